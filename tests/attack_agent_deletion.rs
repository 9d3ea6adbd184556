//! An agent deletes a file through a tool (Claude Code's `Bash` running
//! `rm`, Codex's `apply_patch` with `*** Delete File`, a command run under
//! `vouch run`), and a person commits the result with no AI trailer. Before,
//! the hooks recorded nothing for a file that is gone, the commit's note
//! said nothing of it, and `vouch verify` passed the deletion of the tests
//! of a security check as a person's.
//!
//! The hook now records the removal in the journal (the version removed,
//! who removed it); the gate and `vouch status` count the deletion as "file
//! deleted by AI"; the post-commit note keeps it (a `removed` record), so
//! `vouch verify` asks for sign-off in any clone. Not flagged: a file a
//! person deleted before the agent ran, and a file the agent deleted that
//! is back when the commit is made.
//!
//! Each scenario runs through the real `vouch` binary, real git and the
//! hooks `vouch init` installs.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use serde_json::{Value, json};
use support::run::Run;
use support::vouch_repo::{VouchRepo, deref_to_inner};

/// The gate warns (so the commit can be made through the hooks); alice
/// reviews.
const WARN: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";
/// The gate blocks.
const BLOCK: &str = "reviewers = [\"alice@example.com\"]\n";

const AUTH_TEST: &str = "def test_only_admins_may_delete_users():\n    assert not may_delete(guest())\n";
const DELETED: &str = "tests/test_auth.py";
const APP: &str = "def may_delete(user):\n    return user.admin\n";

struct Repo {
    inner: VouchRepo,
}

deref_to_inner!(Repo);

impl Repo {
    fn init(policy: &str) -> Repo {
        let files = [(".vouch.toml", policy), (DELETED, AUTH_TEST), ("src/app.py", APP)];
        Repo { inner: VouchRepo::init_with(&files, &[]) }
    }

    /// Claude Code runs `rm DELETED` through its Bash tool, with both hooks.
    fn agent_rm(&self) -> Run {
        let input = json!({"command": format!("rm {DELETED}")});
        self.claude_hook("PreToolUse", "Bash", "toolu_rm", input.clone());
        std::fs::remove_file(self.root().join(DELETED)).unwrap();
        self.claude_hook("PostToolUse", "Bash", "toolu_rm", input)
    }

    fn start(&self) -> String {
        self.ok(&["rev-parse", "HEAD"]).trim().to_string()
    }

    fn status(&self) -> Value {
        let run = self.vouch(&["status", "--format", "json"]);
        assert_eq!(run.code, 0, "{run:?}");
        serde_json::from_str(&run.stdout).unwrap()
    }
}

fn failures(report: &Value) -> Vec<&Value> {
    report["failures"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

fn deleted_file_failures(report: &Value) -> Vec<&Value> {
    failures(report).into_iter().filter(|f| f["kind"] == "deleted-file").collect()
}

/// Every unit of `vouch status` (any version) whose kind is a deleted file.
fn deleted_units(status: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for version in ["index", "worktree"] {
        for unit in status[version].as_array().into_iter().flatten() {
            if unit["deleted_file"] == true || unit["kind"] == "file deleted by AI" {
                out.push(format!("{version}:{}", unit["path"].as_str().unwrap_or_default()));
            }
        }
    }
    out
}

#[test]
fn a_file_an_agent_deletes_with_a_shell_command_needs_sign_off() {
    let repo = Repo::init(WARN);
    let start = repo.start();
    let run = repo.agent_rm();
    assert!(run.stderr.contains(DELETED), "the hook says what it recorded: {run:?}");
    assert!(run.stderr.contains("deleted"), "{run:?}");

    // The person commits the agent's work as their own: no trailer.
    repo.ok(&["add", "-A"]);
    let commit = repo.git_run(&["commit", "-q", "-m", "clean up tests"]);
    assert_eq!(commit.code, 0, "the warn gate lets it through: {commit:?}");
    assert!(commit.stderr.contains(DELETED), "the gate names the deleted file: {commit:?}");

    // The note keeps the removal, so it travels with the commit.
    let note = repo.note("HEAD");
    let removal: Vec<&Value> = note.iter().filter(|r| r["path"] == DELETED).collect();
    assert_eq!(removal.len(), 1, "{note:#?}");
    assert_eq!(removal[0]["removed"], true, "{note:#?}");
    assert_eq!(removal[0]["origin"]["tool"], "claude-code", "{note:#?}");

    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "the agent's deletion does not pass as a person's: {report:#}");
    let found = deleted_file_failures(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0]["path"], DELETED, "{report:#}");
    assert_eq!(found[0]["rule"], "unapproved-ai", "{report:#}");
    let reason = found[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("vouch note"), "the evidence is named: {reason}");
}

#[test]
fn the_blocking_gate_refuses_a_deletion_an_agent_made() {
    let repo = Repo::init(BLOCK);
    repo.agent_rm();
    let status = repo.status();
    assert_eq!(deleted_units(&status), [format!("worktree:{DELETED}")], "{status:#}");
    repo.ok(&["add", "-A"]);
    let status = repo.status();
    assert!(deleted_units(&status).contains(&format!("index:{DELETED}")), "{status:#}");
    let commit = repo.git_run(&["commit", "-q", "-m", "clean up tests"]);
    assert_ne!(commit.code, 0, "refused: {commit:?}");
    assert!(commit.stderr.contains(DELETED), "{commit:?}");
    assert!(commit.stderr.contains("deleted by AI"), "{commit:?}");
}

#[test]
fn a_deletion_committed_past_the_gate_is_still_caught() {
    let repo = Repo::init(BLOCK);
    let start = repo.start();
    repo.agent_rm();
    repo.ok(&["add", "-A"]);
    // --no-verify skips the gate, not the post-commit note.
    let commit = repo.git_run(&["commit", "-q", "--no-verify", "-m", "clean up tests"]);
    assert_eq!(commit.code, 0, "{commit:?}");
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(deleted_file_failures(&report).len(), 1, "{report:#}");
}

#[test]
fn codex_deleting_a_file_with_apply_patch_is_recorded() {
    let repo = Repo::init(WARN);
    let start = repo.start();
    let patch = format!("*** Begin Patch\n*** Delete File: {DELETED}\n*** End Patch\n");
    let payload = |event: &str| {
        json!({
            "session_id": "s-2",
            "cwd": repo.root(),
            "model": "gpt-5.5-codex",
            "hook_event_name": event,
            "tool_name": "apply_patch",
            "tool_use_id": "call_del",
            "tool_input": {"command": patch},
        })
        .to_string()
    };
    let pre = repo.vouch_stdin(&["hook", "codex"], payload("PreToolUse").as_bytes());
    assert_eq!(pre.code, 0, "{pre:?}");
    std::fs::remove_file(repo.root().join(DELETED)).unwrap();
    let post = repo.vouch_stdin(&["hook", "codex"], payload("PostToolUse").as_bytes());
    assert_eq!(post.code, 0, "{post:?}");
    assert!(post.stderr.contains(DELETED), "{post:?}");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "drop the test"]);
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    let found = deleted_file_failures(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0]["path"], DELETED, "{report:#}");
}

#[test]
fn a_file_deleted_under_vouch_run_is_recorded() {
    let repo = Repo::init(WARN);
    let start = repo.start();
    let run = repo.vouch(&["run", "--tool", "aider", "--", "rm", DELETED]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains(DELETED), "{run:?}");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "drop the test"]);
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(deleted_file_failures(&report).len(), 1, "{report:#}");
}

#[test]
fn a_file_a_person_deleted_before_the_agent_ran_is_theirs() {
    let repo = Repo::init(BLOCK);
    let start = repo.start();
    // The person deletes the file; then the agent runs a command that
    // touches something else.
    std::fs::remove_file(repo.root().join(DELETED)).unwrap();
    let input = json!({"command": "echo '# x' >> src/app.py"});
    repo.claude_hook("PreToolUse", "Bash", "toolu_x", input.clone());
    repo.write("src/app.py", &format!("{APP}# x\n"));
    repo.claude_hook("PostToolUse", "Bash", "toolu_x", input);
    assert!(deleted_units(&repo.status()).is_empty());
    repo.ok(&["rm", "-q", "--cached", DELETED]);
    let commit = repo.git_run(&["commit", "-q", "-m", "drop the test", "--", DELETED]);
    assert_eq!(commit.code, 0, "the person's own deletion passes the gate: {commit:?}");
    let (_, report) = repo.verify(&format!("{start}..HEAD"));
    assert!(deleted_file_failures(&report).is_empty(), "{report:#}");
}

#[test]
fn a_file_the_agent_deleted_that_is_back_is_not_its_deletion() {
    let repo = Repo::init(BLOCK);
    let start = repo.start();
    repo.agent_rm();
    // The person restores it and commits something else.
    repo.ok(&["checkout", "--", DELETED]);
    repo.write("src/app.py", &format!("{APP}# by hand\n"));
    repo.ok(&["add", "src/app.py"]);
    let commit = repo.git_run(&["commit", "-q", "-m", "by hand"]);
    assert_eq!(commit.code, 0, "{commit:?}");
    assert!(deleted_units(&repo.status()).is_empty());
    // Later, the person deletes it themselves.
    repo.ok(&["rm", "-q", DELETED]);
    let commit = repo.git_run(&["commit", "-q", "-m", "drop the test"]);
    assert_eq!(commit.code, 0, "a person's deletion, after the agent's was undone: {commit:?}");
    let (_, report) = repo.verify(&format!("{start}..HEAD"));
    assert!(deleted_file_failures(&report).is_empty(), "{report:#}");
}

#[test]
fn a_deletion_committed_after_other_work_is_still_the_agents() {
    let repo = Repo::init(WARN);
    let start = repo.start();
    repo.agent_rm();
    // The person commits other work first; the deletion stays unstaged,
    // and the file stays gone.
    repo.write("src/app.py", &format!("{APP}# by hand\n"));
    repo.ok(&["add", "src/app.py"]);
    assert_eq!(repo.git_run(&["commit", "-q", "-m", "by hand"]).code, 0);
    // Then the deletion.
    repo.ok(&["add", "-A"]);
    assert_eq!(repo.git_run(&["commit", "-q", "-m", "drop the test"]).code, 0);
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(deleted_file_failures(&report).len(), 1, "{report:#}");
}

#[test]
fn a_file_an_agent_deletes_and_writes_again_is_judged_by_its_new_text() {
    let repo = Repo::init(BLOCK);
    repo.agent_rm();
    let path = repo.root().join(DELETED);
    let new = "def test_admins_may_delete_users():\n    assert may_delete(admin())\n";
    std::fs::write(&path, new).unwrap();
    let input = json!({"file_path": path, "content": new});
    repo.claude_hook("PostToolUse", "Write", "toolu_w", input);
    let status = repo.status();
    assert!(deleted_units(&status).is_empty(), "{status:#}");
    let worktree: Vec<&Value> = status["worktree"].as_array().unwrap().iter().collect();
    assert!(worktree.iter().any(|u| u["path"] == DELETED && u["ai_lines"].as_u64() > Some(0)), "{status:#}");
}

#[test]
fn a_note_that_claims_a_removal_the_commit_did_not_make_is_refused() {
    let repo = Repo::init(WARN);
    let start = repo.start();
    repo.write("src/app.py", &format!("{APP}# by hand\n"));
    repo.ok(&["add", "src/app.py"]);
    repo.ok(&["commit", "-q", "--no-verify", "-m", "by hand"]);
    let blob = repo.ok(&["rev-parse", &format!("HEAD:{DELETED}")]).trim().to_string();
    let forged = json!({
        "v": 1, "path": DELETED, "blob": blob, "ai": [], "origin": {"tool": "claude-code"},
        "evidence": "agent-hook", "approvals": [], "removed": true,
    });
    repo.ok(&["notes", "--ref=vouch", "add", "-f", "-m", &forged.to_string(), "HEAD"]);
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    let mismatch: Vec<&Value> = failures(&report).into_iter().filter(|f| f["rule"] == "note-mismatch").collect();
    assert!(
        mismatch.iter().any(|f| f["reason"].as_str().unwrap_or_default().contains("which the commit has")),
        "{report:#}"
    );
}

#[test]
fn a_rebase_keeps_the_agents_removal() {
    let repo = Repo::init(WARN);
    let start = repo.start();
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.agent_rm();
    repo.ok(&["add", "-A"]);
    assert_eq!(repo.git_run(&["commit", "-q", "-m", "drop the test"]).code, 0);
    // main moves on, under the deleted file too; the feature is rebased
    // onto it (the post-rewrite hook carries notes over).
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("src/app.py", &format!("{APP}# main moved\n"));
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "--no-verify", "-m", "main moves"]);
    repo.ok(&["checkout", "-q", "feature"]);
    let rebase = repo.git_run(&["rebase", "-q", "main"]);
    assert_eq!(rebase.code, 0, "{rebase:?}");
    let note = repo.note("HEAD");
    assert!(note.iter().any(|r| r["path"] == DELETED && r["removed"] == true), "{note:#?}");
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(deleted_file_failures(&report).len(), 1, "{report:#}");
    assert!(failures(&report).iter().all(|f| f["rule"] != "note-mismatch"), "{report:#}");
}

/// On a branch, the agent removes the file and the person commits it; then
/// the branch comes to main by `how` (a local squash merge, a cherry-pick),
/// committed through the hooks with no trailer.
fn brought_to_main(how: &[&str], trailer: bool) -> (Repo, String) {
    let repo = Repo::init(WARN);
    let start = repo.start();
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    if trailer {
        repo.ok(&["rm", "-q", DELETED]);
        let message = "drop the test\n\nCo-authored-by: Claude <noreply@anthropic.com>";
        assert_eq!(repo.git_run(&["commit", "-q", "-m", message]).code, 0);
    } else {
        repo.agent_rm();
        repo.ok(&["add", "-A"]);
        assert_eq!(repo.git_run(&["commit", "-q", "-m", "drop the test"]).code, 0);
    }
    repo.ok(&["checkout", "-q", "main"]);
    let run = repo.git_run(how);
    assert_eq!(run.code, 0, "{run:?}");
    if how.contains(&"--squash") {
        assert_eq!(repo.git_run(&["commit", "-q", "-m", "feature, squashed"]).code, 0);
    }
    (repo, start)
}

#[test]
fn a_local_squash_merge_keeps_the_agents_removal() {
    for trailer in [false, true] {
        let (repo, start) = brought_to_main(&["merge", "--squash", "-q", "feature"], trailer);
        let (code, report) = repo.verify(&format!("{start}..HEAD"));
        assert_eq!(code, 1, "trailer: {trailer}: {report:#}");
        assert_eq!(deleted_file_failures(&report).len(), 1, "trailer: {trailer}: {report:#}");
    }
}

#[test]
fn a_cherry_pick_keeps_the_agents_removal() {
    for trailer in [false, true] {
        let (repo, start) = brought_to_main(&["cherry-pick", "feature"], trailer);
        let (code, report) = repo.verify(&format!("{start}..HEAD"));
        assert_eq!(code, 1, "trailer: {trailer}: {report:#}");
        assert_eq!(deleted_file_failures(&report).len(), 1, "trailer: {trailer}: {report:#}");
    }
}

#[test]
fn the_blocking_gate_refuses_a_squash_that_brings_an_agents_removal() {
    let repo = Repo::init(BLOCK);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.agent_rm();
    repo.ok(&["add", "-A"]);
    assert_eq!(repo.git_run(&["commit", "-q", "--no-verify", "-m", "drop the test"]).code, 0);
    repo.ok(&["checkout", "-q", "main"]);
    assert_eq!(repo.git_run(&["merge", "--squash", "-q", "feature"]).code, 0);
    let commit = repo.git_run(&["commit", "-q", "-m", "feature, squashed"]);
    assert_ne!(commit.code, 0, "{commit:?}");
    assert!(commit.stderr.contains(DELETED) && commit.stderr.contains("deleted by AI"), "{commit:?}");
}
