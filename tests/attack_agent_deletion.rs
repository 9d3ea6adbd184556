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
//! The removal follows the commit: a rebase, a local squash merge, a
//! cherry-pick, and commits a forge made on the server with plain git (a
//! "squash and merge", a "rebase and merge") once CI's `vouch notes
//! rebuild` gave them notes from the branch's. Before, the rebuild carried
//! only records of files the new commit has, and the deletion landed on
//! main as a person's.
//!
//! Each scenario runs through the real `vouch` binary, real git and the
//! hooks `vouch init` installs.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
    pub mod world;
}

use serde_json::{Value, json};
use support::run::Run;
use support::vouch_repo::{VouchRepo, deref_to_inner};
use support::world::{Clone, World, git_env};

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

    /// On a new branch `feature`: the agent removes DELETED, and the
    /// author commits it as "drop the test" (`commit_args` added, e.g.
    /// `--no-verify`).
    fn agent_removal_on_feature(&self, commit_args: &[&str]) {
        self.ok(&["checkout", "-q", "-b", "feature"]);
        self.agent_rm();
        self.ok(&["add", "-A"]);
        let args = [&["commit", "-q"][..], commit_args, &["-m", "drop the test"]].concat();
        assert_eq!(self.git_run(&args).code, 0);
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

/// Red team (rt28a F1): the gate keeps what it found for the post-commit
/// hook. A commit abandoned after the gate ran (the editor closed with an
/// empty message) left it behind, and the next commit's hook took it as
/// its own: the agent's removal recorded in between was left out of the
/// note, the commit was attested "no AI", and verify passed the deletion.
/// The gate's findings hold only for the commit of the HEAD and journal it
/// saw.
#[test]
fn what_an_abandoned_commits_gate_found_is_not_the_next_commits() {
    let repo = Repo::init(WARN);
    let start = repo.start();
    std::fs::write(repo.root().join("README.md"), "# notes\n").unwrap();
    repo.ok(&["add", "README.md"]);
    let abandoned = repo.git_run(&["-c", "core.editor=false", "commit"]);
    assert_ne!(abandoned.code, 0, "the commit is abandoned at its message: {abandoned:?}");
    repo.agent_rm();
    let commit = repo.git_run(&["commit", "-q", "-a", "--no-verify", "-m", "clean up"]);
    assert_eq!(commit.code, 0, "{commit:?}");
    let note = repo.note("HEAD");
    assert!(note.iter().any(|r| r["path"] == DELETED && r["removed"] == true), "{note:#?}");
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(deleted_file_failures(&report).len(), 1, "{report:#}");
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
    repo.agent_removal_on_feature(&[]);
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
    repo.agent_removal_on_feature(&["--no-verify"]);
    repo.ok(&["checkout", "-q", "main"]);
    assert_eq!(repo.git_run(&["merge", "--squash", "-q", "feature"]).code, 0);
    let commit = repo.git_run(&["commit", "-q", "-m", "feature, squashed"]);
    assert_ne!(commit.code, 0, "{commit:?}");
    assert!(commit.stderr.contains(DELETED) && commit.stderr.contains("deleted by AI"), "{commit:?}");
}

// ---------------------------------------------------------------------------
// Landed on the server: a forge's "squash and merge" or "rebase and merge"
// makes new commits on main with plain git (no vouch hooks, no note). CI
// gives them notes from the branch's with `vouch notes rebuild`; the
// agent's removal must come along, as the lines of present files do.

/// How the forge lands the branch on main.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Landing {
    /// "Squash and merge": one new commit of the branch's changes.
    Squash,
    /// "Rebase and merge": the branch's commits made anew on main.
    Rebase,
    /// "Create a merge commit": the branch's commits, as they are, under a
    /// merge.
    Merge,
}

/// Claude Code's hooks around `rm DELETED` in `clone`, and the removal.
fn claude_rm_in(clone: &Clone) {
    for event in ["PreToolUse", "PostToolUse"] {
        if event == "PostToolUse" {
            std::fs::remove_file(clone.path.join(DELETED)).unwrap();
        }
        let payload = json!({
            "session_id": "s-forge",
            "cwd": clone.path,
            "hook_event_name": event,
            "tool_name": "Bash",
            "tool_use_id": "toolu_forge_rm",
            "tool_input": {"command": format!("rm {DELETED}")},
        });
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"));
        cmd.args(["hook", "claude-code"]).current_dir(&clone.path);
        git_env(&mut cmd, &clone.home);
        cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
        cmd.stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(payload.to_string().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{event}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The remote's main holds [`DELETED`] and `src/app.py`; on branch
/// `feature` of clone `a` (dev, vouch set up), Claude Code removes
/// [`DELETED`] through its Bash tool and dev commits it through the hooks
/// with no trailer, with an edit of `src/app.py` of dev's own, then a
/// commit of dev's alone; pushes the branch and syncs, as docs/trust.md
/// says. Meanwhile main moves (a line on top of `src/app.py`), so that the
/// landed commit that removes the file has the patch of no branch commit. `landing` lands it on main in
/// another clone with plain git; returns the world, clone `a` and main
/// before the landing (BASE).
fn landed_by_the_forge(landing: Landing) -> (World, Clone, String) {
    let world = World::new(WARN);
    world.on_main(&[(DELETED, AUTH_TEST), ("src/app.py", APP)]);
    let a = world.clone_as("a", "dev");
    let run = a.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    // init names the repository in the policy; that change is not the
    // branch's to make.
    a.git(&["checkout", "-q", "--", ".vouch.toml"]);
    a.git(&["checkout", "-q", "-b", "feature"]);
    claude_rm_in(&a);
    // dev's own edit goes in the same commit.
    a.write("src/app.py", &format!("{APP}# by hand\n"));
    a.git(&["add", "-A"]);
    a.git(&["commit", "-q", "-m", "clean up tests"]);
    let note = a.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    assert!(note.contains("\"removed\":true") && note.contains(DELETED), "{note}");
    // More of dev's work on the branch.
    a.write("README.md", "tests: see tests/\n");
    a.git(&["add", "-A"]);
    a.git(&["commit", "-q", "-m", "readme"]);
    a.git(&["push", "-q", "origin", "feature"]);
    a.sync();

    world.on_main(&[("src/app.py", &format!("# main\n{APP}"))]);
    let base = world.remote_git(&["rev-parse", "main"]).trim().to_string();
    // The forge: plain git, no hooks, no vouch, the merge named as forges
    // name it (no AI trailer).
    let forge = world.clone_as("forge", "dev");
    let git = |args: &[&str]| {
        let mut all = vec!["-c", "core.hooksPath=/dev/null"];
        all.extend_from_slice(args);
        forge.git(&all)
    };
    match landing {
        Landing::Squash => {
            git(&["merge", "-q", "--squash", "origin/feature"]);
            git(&["commit", "-q", "-m", "Clean up tests (#1)"]);
        }
        Landing::Rebase => {
            git(&["checkout", "-q", "-b", "land", "origin/feature"]);
            git(&["rebase", "-q", "origin/main"]);
        }
        Landing::Merge => {
            git(&["merge", "-q", "--no-ff", "-m", "Merge pull request #1 from dev/feature", "origin/feature"]);
        }
    }
    git(&["push", "-q", "origin", "HEAD:main"]);
    (world, a, base)
}

/// A CI clone: sync, give the server's commits notes, verify `base..HEAD`.
fn ci_verifies(world: &World, name: &str, base: &str) -> (i32, Value) {
    let ci = world.clone_as(name, "ci");
    ci.sync();
    let range = format!("{base}..HEAD");
    let run = ci.run(&["notes", "rebuild", &range]);
    assert_eq!(run.code, 0, "{run:?}");
    ci.verify(&range)
}

#[test]
fn a_squash_or_rebase_on_the_server_keeps_the_agents_removal() {
    for landing in [Landing::Squash, Landing::Rebase, Landing::Merge] {
        let (world, a, base) = landed_by_the_forge(landing);
        let (code, report) = ci_verifies(&world, "ci", &base);
        assert_eq!(code, 1, "{landing:?}: the agent's deletion is not a person's on main: {report:#}");
        let found = deleted_file_failures(&report);
        assert_eq!(found.len(), 1, "{landing:?}: {report:#}");
        assert_eq!(found[0]["path"], DELETED, "{landing:?}: {report:#}");
        assert_eq!(found[0]["rule"], "unapproved-ai", "{landing:?}: {report:#}");
        assert!(found[0]["reason"].as_str().unwrap_or_default().contains("vouch note"), "{landing:?}: {report:#}");
        assert!(failures(&report).iter().all(|f| f["rule"] != "note-mismatch"), "{landing:?}: {report:#}");

        // Alice approves the deletion on the branch; the approval travels,
        // and the same commits on main pass.
        a.act_as("alice");
        let run = a.run(&["approve", "--file", DELETED, "--base", "origin/main", "--yes"]);
        assert_eq!(run.code, 0, "{landing:?}: {run:?}");
        a.sync();
        let (code, report) = ci_verifies(&world, "ci2", &base);
        assert_eq!(code, 0, "{landing:?}: {report:#}");
        let approved = report["approved"].as_array().unwrap();
        assert!(approved.iter().any(|u| u["path"] == DELETED && u["kind"] == "deleted-file"), "{report:#}");
    }
}

#[test]
fn the_evidence_of_a_deletion_is_what_speaks_for_that_file() {
    // One commit removes two files: its vouch note records the agent's
    // removal of one, its git-ai note attributes lines of the other to AI.
    // Each deletion names its own evidence: the vouch note speaks for the
    // first only, the git-ai note for the second only.
    const OTHER: &str = "tests/test_admin.py";
    let files = [(".vouch.toml", WARN), (DELETED, AUTH_TEST), (OTHER, AUTH_TEST), ("src/app.py", APP)];
    let repo = Repo { inner: VouchRepo::init_with(&files, &[]) };
    let start = repo.start();
    let blob = repo.ok(&["rev-parse", &format!("HEAD:{DELETED}")]).trim().to_string();
    repo.ok(&["rm", "-q", DELETED, OTHER]);
    repo.ok(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "drop tests"]);
    let removal = json!({
        "v": 1, "path": DELETED, "blob": blob, "ai": [], "origin": {"tool": "claude-code"},
        "evidence": "agent-hook", "approvals": [], "removed": true,
    });
    repo.ok(&["notes", "--ref=vouch", "add", "-f", "-m", &removal.to_string(), "HEAD"]);
    let git_ai = format!(
        "{OTHER}\n  abcd1234abcd1234 1-2\n---\n{{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\
         \"prompts\":{{\"abcd1234abcd1234\":{{\"agent_id\":{{\"tool\":\"cursor\",\"id\":\"c\",\"model\":\"m\"}}}}}}}}\n"
    );
    repo.ok(&["notes", "--ref=ai", "add", "-m", &git_ai, "HEAD"]);
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    let found = deleted_file_failures(&report);
    assert_eq!(found.len(), 2, "{report:#}");
    let reason = |path: &str| {
        let f = found.iter().find(|f| f["path"] == path).unwrap_or_else(|| panic!("{path}: {report:#}"));
        f["reason"].as_str().unwrap_or_default().to_string()
    };
    let (mine, other) = (reason(DELETED), reason(OTHER));
    assert!(mine.contains("vouch note") && !mine.contains("git-ai note"), "{mine}");
    assert!(other.contains("git-ai note") && !other.contains("vouch note"), "{other}");
}

#[test]
fn notes_rebuild_gives_an_old_no_ai_squash_the_agents_removal() {
    // A squash merge made without vouch's hooks (git's message lists the
    // squashed commits) whose note an older vouch wrote as `no-ai`:
    // `vouch notes rebuild` repairs it from the commits the message names,
    // removal included.
    let repo = Repo::init(WARN);
    let start = repo.start();
    repo.agent_removal_on_feature(&[]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("src/app.py", &format!("# main\n{APP}"));
    repo.ok(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-am", "main moves"]);
    let base = repo.start();
    repo.ok(&["-c", "core.hooksPath=/dev/null", "merge", "-q", "--squash", "feature"]);
    repo.ok(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "--no-edit"]);
    repo.ok(&["notes", "--ref=vouch", "add", "-f", "-m", r#"{"v":1,"attest":"no-ai"}"#, "HEAD"]);
    let run = repo.vouch(&["notes", "rebuild", &format!("{base}..HEAD")]);
    assert_eq!(run.code, 0, "{run:?}");
    let note = repo.note("HEAD");
    assert!(note.iter().any(|r| r["path"] == DELETED && r["removed"] == true), "{note:#?}");
    let (code, report) = repo.verify(&format!("{start}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(deleted_file_failures(&report).len(), 1, "{report:#}");
    assert!(failures(&report).iter().all(|f| f["rule"] != "note-mismatch"), "{report:#}");
}
