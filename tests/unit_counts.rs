//! One count per unit (issue 13, finding 10), end to end: each AI byte
//! belongs to exactly one unit (the smallest that holds it), and every view
//! counts a unit's AI lines from its own bytes only. A class and its
//! methods used to count the same lines twice: `2 AI line(s)` for the class
//! in `vouch status`, all eight of the class's lines in the reviewer's queue.

mod support {
    pub mod repo;
}

use std::process::Output;

use serde_json::Value;
use support::repo::{TestRepo, vouch_in};

const SHOP: &str = "class Shop:\n    \"\"\"A shop.\"\"\"\n\n    def total(self, items):\n        return sum(items)\n\n    def tax(self, amount):\n        return amount * 0.2\n";

fn vouch(repo: &TestRepo, args: &[&str]) -> Output {
    let out = vouch_in(&repo.root, args);
    assert!(
        out.status.success(),
        "vouch {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn a_class_and_its_methods_count_each_ai_line_once_in_every_view() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"alice@example.com\"]\n");
    repo.write("README.md", "shop\n");
    repo.commit_all("start");
    repo.write("src/shop.py", SHOP);
    vouch(&repo, &["mark", "src/shop.py:1-8", "--ai", "--tool", "claude-code"]);

    // Status: the class owns its header and docstring; each method its own
    // two lines. Together they are the six AI lines of the file, once each.
    let status = json(&vouch(&repo, &["status", "--format", "json"]));
    let units = status["worktree"].as_array().unwrap();
    let counts: Vec<(String, u64)> =
        units.iter().map(|u| (u["name"].as_str().unwrap_or("").to_string(), u["ai_lines"].as_u64().unwrap())).collect();
    assert_eq!(counts, [("Shop".to_string(), 2), ("total".to_string(), 2), ("tax".to_string(), 2)], "{status:#}");

    // The reviewer's queue counts the same lines, and marks them.
    vouch(&repo, &["request", "src/shop.py", "-m", "a shop"]);
    repo.git(&["config", "user.email", "alice@example.com"]);
    let review = json(&vouch(&repo, &["review", "--format", "json"]));
    let queued: Vec<(String, u64, Value)> = review["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (u["name"].as_str().unwrap_or("").to_string(), u["ai_line_count"].as_u64().unwrap(), u["ai_lines"].clone())
        })
        .collect();
    let mut queued = queued;
    queued.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        queued,
        [
            ("Shop".to_string(), 2, serde_json::json!([[1, 2]])),
            ("tax".to_string(), 2, serde_json::json!([[1, 2]])),
            ("total".to_string(), 2, serde_json::json!([[1, 2]])),
        ],
        "{review:#}"
    );
}
