//! The language server judges a buffer as the gate and `vouch status`
//! judge the next commit (issue 13.11): the AI lines a pending squash
//! merge, a `cherry-pick --no-commit`, a re-commit after `git reset
//! --soft` or a file brought from a branch left behind carries from its
//! source commits are AI in the editor too, and
//! which commit authors are bots comes from the policy at BASE, never from
//! the working tree's `.vouch.toml` (which the author edits at will). The
//! real `vouch lsp` over JSON-RPC, the real `vouch` and `git` binaries.

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::{Value, json};
use support::lsp::Server;
use support::repo::TestRepo;

const POLICY: &str = "reviewers = [\"carol@example.com\"]\n";
const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";
const AI_FN: &str = "pub fn discount(total: u64) -> u64 {\n    let cut = total / 10;\n    total - cut\n}\n";

/// A repository on `main` with the policy and a README, and a branch
/// `side`, checked out, whose one commit (an AI trailer) adds
/// `src/side.rs`. Returns the side commit.
fn on_side_branch() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("src/side.rs", AI_FN);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &format!("discount\n\n{TRAILER}\n")]);
    let side = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    (repo, side)
}

/// [`on_side_branch`], back on main, which moved on.
fn with_side_branch() -> (TestRepo, String) {
    let (repo, side) = on_side_branch();
    repo.git(&["checkout", "-q", "main"]);
    repo.write("NOTES", "main moved on\n");
    repo.commit_all("notes");
    (repo, side)
}

/// `vouch status` demands sign-off for `src/side.rs`, and the editor,
/// opening the file, marks it as needing sign-off.
fn editor_agrees_with_status(repo: &TestRepo, how: &str) {
    let status = repo.vouch_json(&["status", "--format", "json"]);
    let units: Vec<&Value> =
        status["worktree"].as_array().unwrap().iter().filter(|u| u["path"] == "src/side.rs").collect();
    assert_eq!(units.len(), 1, "{how}: status asks for the unit: {status:#}");
    assert_eq!(units[0]["state"], "pending", "{how}: {status:#}");
    let fingerprint = units[0]["fingerprint"].as_str().unwrap();

    let uri = repo.uri("src/side.rs");
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", &repo.read("src/side.rs"));
    let diagnostics = server.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{how}: the editor marks the unit status asks for: {diagnostics:#?}");
    assert_eq!(diagnostics[0]["code"], "unreviewed-ai", "{how}: {diagnostics:#?}");
    assert_eq!(diagnostics[0]["data"]["fingerprint"], fingerprint, "{how}: the same unit");
    // The gutter marks the lines the next commit carries as AI, each line
    // of the function, as pending sign-off.
    let regions = server.wait_for("vouch/regions", |p| p["uri"] == uri.as_str() && p["version"] == 1);
    let regions = regions["regions"].as_array().unwrap();
    let lines = AI_FN.lines().count() as u64;
    for line in 0..lines {
        assert!(
            regions.iter().any(|r| r["origin"] == "ai"
                && r["state"] == "pending"
                && r["range"]["start"]["line"].as_u64() <= Some(line)
                && r["range"]["end"]["line"].as_u64() >= Some(line)),
            "{how}: line {line} is shown as AI: {regions:#?}"
        );
    }
    // The hover says what the lines are and why.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 8 } }),
    );
    let hover = hover["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(hover.contains("**AI-written** by `claude`"), "{how}: {hover}");
    assert!(hover.contains("carried"), "{how}: the hover says the next commit carries the lines: {hover}");
    // The reviewer's queue in the editor lists it as needing a request.
    let pending = server.request("vouch/pending", json!({}));
    let listed: Vec<&Value> =
        pending["units"].as_array().unwrap().iter().filter(|u| u["fingerprint"] == fingerprint).collect();
    assert_eq!(listed.len(), 1, "{how}: {pending:#}");
    assert_eq!(listed[0]["state"], "pending", "{how}: {pending:#}");
    server.shutdown();
}

#[test]
fn a_pending_squash_merge_is_ai_in_the_editor_as_at_the_gate() {
    let (repo, _) = with_side_branch();
    repo.git(&["merge", "-q", "--squash", "side"]);
    editor_agrees_with_status(&repo, "squash");
}

#[test]
fn a_pending_cherry_pick_is_ai_in_the_editor_as_at_the_gate() {
    let (repo, side) = with_side_branch();
    repo.git(&["cherry-pick", "--no-commit", &side]);
    editor_agrees_with_status(&repo, "cherry-pick --no-commit");
}

#[test]
fn a_re_commit_after_a_soft_reset_is_ai_in_the_editor_as_at_the_gate() {
    let (repo, side) = with_side_branch();
    // The AI commit made on main, then undone with its changes kept.
    repo.git(&["cherry-pick", &side]);
    repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
    editor_agrees_with_status(&repo, "reset --soft");
}

#[test]
fn a_file_brought_from_a_branch_left_behind_is_ai_in_the_editor_as_at_the_gate() {
    let (repo, _) = on_side_branch();
    // Main moves on meanwhile (`git fetch origin main:main`); back on it,
    // the side branch's file brought over by hand.
    let tree = repo.git(&["rev-parse", "main^{tree}"]);
    let teammate = repo.git(&["commit-tree", tree.trim(), "-p", "main", "-m", "a teammate's commit"]);
    repo.git(&["update-ref", "refs/heads/main", teammate.trim()]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["checkout", "side", "--", "src/side.rs"]);
    editor_agrees_with_status(&repo, "checkout side -- src/side.rs");
}

#[test]
fn a_file_taken_whole_from_a_fetched_branch_is_ai_in_the_editor_as_at_the_gate() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    // The agent's commit, made elsewhere and fetched: HEAD was never on it.
    // (A file of a block's size: a smaller one is as likely a person's own.)
    let ai_fn = "pub fn discount(price: u32, percent: u32) -> u32 {\n    let cut = price * percent / 100;\n    price - cut\n}\n";
    repo.write("src/side.rs", ai_fn);
    repo.git(&["add", "src/side.rs"]);
    let tree = repo.git(&["write-tree"]);
    repo.git(&["rm", "-q", "--cached", "src/side.rs"]);
    std::fs::remove_file(repo.path("src/side.rs")).unwrap();
    let message = format!("discount\n\n{TRAILER}\n");
    let commit = repo.git(&["commit-tree", tree.trim(), "-p", "HEAD", "-m", &message]);
    repo.git(&["update-ref", "refs/remotes/origin/side", commit.trim()]);
    repo.git(&["checkout", "origin/side", "--", "src/side.rs"]);
    editor_agrees_with_status(&repo, "checkout origin/side -- src/side.rs");
}

#[test]
fn bot_authors_come_from_the_policy_at_base_not_the_working_tree() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", &format!("{POLICY}bots = [\"ci-runner@example.com\"]\n"));
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    repo.write("src/gen.rs", AI_FN);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "--author", "CI Runner <ci-runner@example.com>", "-m", "generated"]);
    // The author drops the bot from the working tree's policy.
    repo.write(".vouch.toml", POLICY);

    let uri = repo.uri("src/gen.rs");
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", AI_FN);
    let regions = server.wait_for("vouch/regions", |p| p["uri"] == uri.as_str() && p["version"] == 1);
    let regions = regions["regions"].as_array().unwrap();
    assert!(
        regions.iter().any(|r| r["origin"] == "ai" && r["tool"] == "CI Runner"),
        "the bot's lines stay AI in the editor: {regions:#?}"
    );
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 8 } }),
    );
    let hover = hover["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(hover.contains("**AI-written** by `CI Runner`"), "{hover}");
    server.shutdown();
}
