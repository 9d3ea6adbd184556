//! `vouch status` names the evidence that made each unit AI (issue 13.8),
//! as `vouch log`, `vouch blame` and verify's coverage name it: `vouch
//! note`, `git-ai note`, `trailer: claude`, `aider author`, `bot author:
//! …`, `journal` for what the next commit's note will record, and the
//! evidence of the commit a pending squash merge carries lines from.
//! Through the real binary and real git.

mod support {
    pub mod commits;
    pub mod repo;
}

use std::collections::BTreeMap;

use serde_json::Value;
use support::commits::{commit_file, commit_git_ai_noted, commit_noted, function, head};
use support::repo::{TestRepo, vouch_ok_in};

const POLICY: &str = "reviewers = [\"carol@example.com\"]\n";

/// The evidence `vouch status --format json` names for each unit of the
/// working tree, by path.
fn evidence_by_path(status: &Value) -> BTreeMap<String, Vec<String>> {
    status["worktree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let labels = u["evidence"]
                .as_array()
                .unwrap_or_else(|| panic!("no evidence in {u}"))
                .iter()
                .map(|l| l.as_str().unwrap().to_string())
                .collect();
            (u["path"].as_str().unwrap().to_string(), labels)
        })
        .collect()
}

#[test]
fn status_names_the_evidence_of_every_unit_as_log_and_blame_do() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    let base = head(&repo);
    let dev = ("Dev", "dev@example.com");

    // A side branch whose commit a squash merge brings in later.
    repo.git(&["checkout", "-q", "-b", "side"]);
    let side =
        commit_file(&repo, "src/side.rs", "side", dev, "side\n\nCo-authored-by: Claude <noreply@anthropic.com>\n");
    repo.git(&["checkout", "-q", "main"]);

    // A vouch note from an agent hook.
    commit_noted(&repo, "src/noted.rs", "noted", dev);
    // A git-ai note (authorship/3.0.0) naming all four lines Cursor's.
    commit_git_ai_noted(&repo, "src/gitai.rs", "gitai", dev);
    // An AI trailer, aider's author, a bot author, and a commit with none.
    commit_file(&repo, "src/trailer.rs", "trailer", dev, "trailer\n\nCo-authored-by: Claude <noreply@anthropic.com>\n");
    commit_file(&repo, "src/aider.rs", "aider", ("Ana Lima (aider)", "ana@example.com"), "aider");
    let bot = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com");
    commit_file(&repo, "src/bot.rs", "bot", bot, "bump");
    commit_file(&repo, "src/human.rs", "human", dev, "by hand");
    repo.git(&["config", "vouch.base", &base.to_string()]);

    // Not committed yet: a file an agent wrote (the journal), and a
    // pending squash merge of the side branch.
    repo.write("src/fresh.rs", &function("fresh"));
    vouch_ok_in(&repo.root, &["mark", "src/fresh.rs:1-4", "--ai", "--tool", "codex"]);
    repo.git(&["merge", "-q", "--squash", "side"]);

    let status: Value = serde_json::from_str(&vouch_ok_in(&repo.root, &["status", "--format", "json"])).unwrap();
    let short = &side.to_string()[..10];
    let expected: BTreeMap<String, Vec<String>> = [
        ("src/aider.rs", "aider author".to_string()),
        ("src/bot.rs", "bot author: dependabot[bot]".to_string()),
        ("src/fresh.rs", "journal".to_string()),
        ("src/gitai.rs", "git-ai note".to_string()),
        ("src/noted.rs", "vouch note".to_string()),
        ("src/side.rs", format!("trailer: claude (carried from {short})")),
        ("src/trailer.rs", "trailer: claude".to_string()),
    ]
    .into_iter()
    .map(|(p, l)| (p.to_string(), vec![l]))
    .collect();
    assert_eq!(evidence_by_path(&status), expected, "{status:#}");
    // The staged section (what the next commit holds) names the same.
    let staged: Vec<&Value> = status["index"].as_array().unwrap().iter().collect();
    let side_staged = staged.iter().find(|u| u["path"] == "src/side.rs").expect("the squash is staged");
    assert_eq!(side_staged["evidence"], serde_json::json!([format!("trailer: claude (carried from {short})")]));

    // The text says it too, beside the tools.
    let text = vouch_ok_in(&repo.root, &["status"]);
    for line in
        ["src/gitai.rs:1 function `gitai`", "src/trailer.rs:1 function `trailer`", "src/fresh.rs:1 function `fresh`"]
    {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(text.contains("(4 AI line(s) by cursor · git-ai note)"), "{text}");
    assert!(text.contains("(4 AI line(s) by dependabot[bot] · bot author: dependabot[bot])"), "{text}");
    assert!(text.contains("(4 AI line(s) by codex · journal)"), "{text}");
    assert!(text.contains(&format!("(4 AI line(s) by claude · trailer: claude (carried from {short}))")), "{text}");
}
