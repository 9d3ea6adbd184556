//! Several writers of `refs/notes/vouch` at once: commits made at the same
//! moment in several worktrees of one repository (agents in worktrees of
//! their own, a person beside them), each through git's post-commit hook.
//! Red team: libgit2's note write moved the notes ref to a notes commit
//! built on the tip it had read, with no check that the ref was still
//! there, so of two writers the later one dropped the earlier one's note
//! (2 to 7 of 12 notes lost a run), silently, after the journal records
//! were retired: the agent's code lost its provenance for good and verify
//! passed it. Every note now survives.
//!
//! Through the real binary, real git and the hooks `vouch init` installs.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use std::path::{Path, PathBuf};

use serde_json::json;
use support::vouch_repo::VouchRepo;

const POLICY: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";

/// Claude Code's Write tool writes `text` into `rel` of the worktree at
/// `dir`, with both hooks around it.
fn agent_writes(repo: &VouchRepo, dir: &Path, id: &str, rel: &str, text: &str) {
    let path = dir.join(rel);
    let input = json!({ "file_path": path, "content": text });
    for event in ["PreToolUse", "PostToolUse"] {
        if event == "PostToolUse" {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        let payload = json!({
            "session_id": "s-1",
            "cwd": dir,
            "hook_event_name": event,
            "tool_name": "Write",
            "tool_use_id": id,
            "tool_input": input,
        });
        let run = repo.vouch_with(dir, &["hook", "claude-code"], payload.to_string().as_bytes(), &[]);
        assert_eq!(run.code, 0, "{run:?}");
    }
}

/// `count` worktrees of `repo` under `base`, on branches `r{round}-w{i}`,
/// in each of which the agent wrote `src/w{i}.py` (its `grant_{i}`).
fn worktrees_with_agent_edits(repo: &VouchRepo, base: &Path, round: usize, count: usize) -> Vec<PathBuf> {
    let dirs: Vec<_> = (0..count).map(|i| base.join(format!("r{round}-w{i}"))).collect();
    for (i, dir) in dirs.iter().enumerate() {
        repo.ok(&["worktree", "add", "-q", "-b", &format!("r{round}-w{i}"), dir.to_str().unwrap(), "HEAD"]);
        let text = format!("def grant_{i}(u):\n    return True\n");
        agent_writes(repo, dir, &format!("toolu_{round}_{i}"), &format!("src/w{i}.py"), &text);
    }
    dirs
}

/// The person's commit of everything in the worktree at `dir`, once every
/// party at `start` is ready: the commits of several worktrees at once.
fn commit_at_once(repo: &VouchRepo, dir: &Path, start: &std::sync::Barrier) {
    let git = |args: &[&str]| {
        let out = repo.command("git", args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["add", "-A"]);
    start.wait();
    git(&["commit", "-q", "-m", "the agent's work"]);
}

/// Each branch of round `round` holds its commit with its note: the AI
/// function the agent wrote.
fn assert_every_note_kept(repo: &VouchRepo, round: usize, count: usize) {
    for i in 0..count {
        let branch = format!("r{round}-w{i}");
        let note = repo.note(&branch);
        let path = format!("src/w{i}.py");
        assert!(
            note.iter().any(|r| r["path"] == path.as_str() && r["ai"] == json!([[1, 2]])),
            "round {round}: the note on {branch} is lost or wrong: {note:?}"
        );
    }
}

#[test]
fn commits_made_at_once_in_several_worktrees_each_keep_their_note() {
    const WORKTREES: usize = 8;
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY)], &[]);
    let worktrees = tempfile::tempdir().unwrap();
    let base = worktrees.path().canonicalize().unwrap();
    for round in 0..2 {
        let dirs = worktrees_with_agent_edits(&repo, &base, round, WORKTREES);
        let start = std::sync::Barrier::new(WORKTREES);
        std::thread::scope(|s| {
            for dir in &dirs {
                let (start, repo) = (&start, &repo);
                s.spawn(move || commit_at_once(repo, dir, start));
            }
        });
        assert_every_note_kept(&repo, round, WORKTREES);
    }
}

/// Red team, round two: `vouch sync` (which the pre-push hook runs) took
/// any move of the notes ref while it fetched for the fetch's own and put
/// the ref back, and merged the fetched notes with `git notes merge`, which
/// moves the ref without checking it: the notes commits made meanwhile in
/// other worktrees were dropped (27 of 36 in the red team's run). Every
/// note survives a sync running beside the commits.
#[test]
fn notes_written_while_vouch_sync_runs_all_survive() {
    const WORKTREES: usize = 6;
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY)], &[]);
    let remote = tempfile::tempdir().unwrap();
    let remote = remote.path().canonicalize().unwrap();
    let out = repo.command("git", &["init", "-q", "--bare", remote.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    repo.ok(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.ok(&["push", "-q", "--no-verify", "origin", "main", "refs/notes/vouch"]);
    let worktrees = tempfile::tempdir().unwrap();
    let base = worktrees.path().canonicalize().unwrap();
    let syncing = std::sync::atomic::AtomicBool::new(true);
    for round in 0..3 {
        let dirs = worktrees_with_agent_edits(&repo, &base, round, WORKTREES);
        syncing.store(true, std::sync::atomic::Ordering::SeqCst);
        let start = std::sync::Barrier::new(WORKTREES + 1);
        std::thread::scope(|s| {
            let (start, repo, syncing) = (&start, &repo, &syncing);
            s.spawn(move || {
                start.wait();
                while syncing.load(std::sync::atomic::Ordering::SeqCst) {
                    let run = repo.vouch(&["sync", "--no-push"]);
                    assert_eq!(run.code, 0, "{run:?}");
                }
            });
            let commits: Vec<_> = dirs.iter().map(|dir| s.spawn(move || commit_at_once(repo, dir, start))).collect();
            for commit in commits {
                commit.join().unwrap();
            }
            syncing.store(false, std::sync::atomic::Ordering::SeqCst);
        });
        assert_every_note_kept(&repo, round, WORKTREES);
    }
}

/// Red team (rt24b B1): a note write that failed (a leftover lock on the
/// notes ref, a read-only refs directory) said only libgit2's error, and
/// nothing later said what became of the commit. The failure names the
/// commit and what writes its note once the cause is gone (`vouch notes
/// rebuild`, from the journal's AI records), or, for a commit of no AI
/// text, that it stays unattested (nothing but the hook says "no AI").
#[test]
fn a_note_that_could_not_be_written_says_how_to_write_it_again() {
    let repo = VouchRepo::init_with(&[("src/lib.rs", "pub fn a() -> u32 {\n    1\n}\n")], &[]);
    // The notes refs cannot be written: a file where their directory goes
    // (the tests run as root, whom a read-only directory does not stop).
    repo.ok(&["pack-refs", "--all"]);
    let notes = repo.root().join(".git/refs/notes");
    let _ = std::fs::remove_dir_all(&notes);
    std::fs::write(&notes, "").unwrap();
    repo.write("src/lib.rs", "pub fn a() -> u32 {\n    2\n}\n");
    let commit = repo.git_run(&["commit", "-q", "-am", "two"]);
    let head = repo.ok(&["rev-parse", "--short=10", "HEAD"]).trim().to_string();
    assert!(commit.all().contains(&format!("vouch note of commit {head}")), "{commit:?}");
    assert!(commit.all().contains("stays unattested"), "{commit:?}");
    std::fs::remove_file(&notes).unwrap();
    assert!(repo.note("HEAD").is_empty(), "no note was written");
}

/// Red team (session 25): a lock file a crashed git left on the notes ref
/// looked like another writer, and every commit waited 30 s for it before
/// it failed. A lock that old is said at once, with its path; once it is
/// gone, `vouch notes rebuild` writes the agent's note from the journal,
/// as the failure says.
#[test]
fn a_leftover_lock_on_the_notes_ref_is_named_at_once_and_the_note_rebuilt_after() {
    let repo = VouchRepo::init_with(&[("src/lib.rs", "pub fn a() -> u32 {\n    1\n}\n")], &[]);
    let lock = repo.root().join(".git/refs/notes/vouch.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    let aged = repo.command("touch", &["-d", "2 minutes ago", lock.to_str().unwrap()]).status().unwrap();
    assert!(aged.success());
    let ai = "pub fn a() -> u32 {\n    1\n}\n\npub fn b(x: u32) -> u32 {\n    x * 2\n}\n";
    agent_writes(&repo, repo.root(), "t-1", "src/lib.rs", ai);
    let started = std::time::Instant::now();
    let commit = repo.git_run(&["commit", "-q", "--no-verify", "-am", "agent's b"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "waited {:?} for a dead lock", started.elapsed());
    let head = repo.ok(&["rev-parse", "--short=10", "HEAD"]).trim().to_string();
    let said = commit.all();
    assert!(said.contains(&format!("vouch note of commit {head}")), "{said}");
    assert!(said.contains(&lock.display().to_string()) && said.contains("remove it"), "{said}");
    assert!(said.contains("vouch notes rebuild"), "{said}");
    assert!(repo.note("HEAD").is_empty(), "no note was written");

    std::fs::remove_file(&lock).unwrap();
    repo.vouch_ok(&["notes", "rebuild", "HEAD"]);
    let note = repo.note("HEAD");
    assert!(note.iter().any(|r| r["path"] == "src/lib.rs" && r["ai"] == json!([[4, 7]])), "{note:#?}");
}
