//! `vouch blame` keeps the units it finds in the analysis cache (by path,
//! blob and attributed lines), so a second look at an unchanged file parses
//! nothing. A kept entry must never answer for another file version or
//! other attributed lines: each test blames, changes one input, and checks
//! that the next blame says what a blame with nothing kept says.

mod support {
    pub mod repo;
}

use std::path::PathBuf;

use serde_json::Value;
use support::repo::{TestRepo, vouch_ok_in};

const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";
const BASE: &str = "pub fn base() -> u32 {\n    1\n}\n";
const ADD: &str = "\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";

/// A repository whose `src/lib.rs` has a person's `base` and, from an AI
/// commit, `add`.
fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"alice@example.com\"]\n");
    repo.write("src/lib.rs", BASE);
    repo.commit_all("base");
    repo.write("src/lib.rs", &format!("{BASE}{ADD}"));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &format!("add\n\n{TRAILER}")]);
    repo
}

fn vouch(repo: &TestRepo, args: &[&str]) -> String {
    vouch_ok_in(&repo.root, args)
}

fn analysis_cache(repo: &TestRepo) -> PathBuf {
    repo.root.join(".git/vouch/cache/analysis")
}

/// Blame `src/lib.rs`: its units (kind, name, fingerprint) and its lines'
/// origins.
fn blame(repo: &TestRepo) -> (Vec<(String, String, String)>, Vec<String>) {
    let report: Value = serde_json::from_str(&vouch(repo, &["blame", "src/lib.rs", "--format", "json"])).unwrap();
    let units = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["kind"].to_string(), u["name"].to_string(), u["fingerprint"].to_string()))
        .collect();
    let origins = report["lines"].as_array().unwrap().iter().map(|l| l["origin"].to_string()).collect();
    (units, origins)
}

/// Blame with the analysis cache as it is, then with nothing kept: both
/// must agree.
fn blame_kept_and_fresh(repo: &TestRepo) -> (Vec<(String, String, String)>, Vec<String>) {
    let kept = blame(repo);
    std::fs::remove_dir_all(analysis_cache(repo)).unwrap();
    let fresh = blame(repo);
    assert_eq!(kept, fresh, "a kept analysis answered for other inputs");
    kept
}

#[test]
fn blame_keeps_its_units_and_an_edited_file_is_analysed_again() {
    let repo = repo();
    let (before, _) = blame(&repo);
    assert!(before.iter().any(|(_, name, _)| name == "\"add\""), "{before:?}");
    assert!(std::fs::read_dir(analysis_cache(&repo)).unwrap().next().is_some(), "blame keeps what it found");

    // The AI function's body changes in the working tree: another blob, so
    // another fingerprint; a kept entry for the committed version would
    // still show the old one.
    repo.write("src/lib.rs", &format!("{BASE}{}", ADD.replace("a + b", "a.wrapping_add(b)")));
    let (after, _) = blame_kept_and_fresh(&repo);
    let fingerprint = |units: &[(String, String, String)]| {
        units.iter().find(|(_, name, _)| name == "\"add\"").map(|(_, _, f)| f.clone())
    };
    assert!(fingerprint(&after).is_some(), "{after:?}");
    assert_ne!(fingerprint(&before), fingerprint(&after), "the edited unit has a new fingerprint");
}

#[test]
fn a_kept_analysis_does_not_answer_for_other_ai_lines_of_the_same_text() {
    let repo = repo();
    let (before, _) = blame(&repo);
    assert!(!before.iter().any(|(_, name, _)| name == "\"base\""), "{before:?}");

    // The same text, but the journal now says an AI wrote `base` too: a
    // kept entry keyed by the text alone would leave `base` out.
    vouch(&repo, &["mark", "src/lib.rs:1-3", "--ai", "--tool", "claude-code"]);
    let (after, origins) = blame_kept_and_fresh(&repo);
    assert_eq!(origins[0], "\"ai\"", "{origins:?}");
    assert!(after.iter().any(|(_, name, _)| name == "\"base\""), "{after:?}");
}
