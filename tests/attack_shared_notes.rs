//! A teammate's commit fetched with plain git (`git pull`, `git fetch`),
//! not `vouch sync`: its vouch note arrives in the remote's private copy
//! of the notes (`refs/vouch-remote/origin/notes/vouch`), and only a sync
//! merges it into `refs/notes/vouch`. A rebase or a cherry-pick of that
//! commit then found no note to carry: the new commit had none, and CI's
//! `vouch verify` passed the agent's code. Notes fetched but not yet
//! merged are read where the local notes have none. Real binary, real git,
//! the hooks `vouch init` installs.

mod support {
    pub mod run;
    pub mod world;
}

use serde_json::json;
use support::world::*;

const POLICY: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";
const AI_PY: &str = "def transfer(a, b, amount):\n    a.balance -= amount\n    b.balance += amount\n";
/// A git-ai note saying lines 5-7 of src/lib.rs are cursor's.
const GIT_AI_NOTE: &str = "src/lib.rs\n  abcd1234abcd1234 5-7\n---\n{\"schema_version\":\"authorship/3.0.0\",\
                           \"base_commit_sha\":\"x\",\"prompts\":{\"abcd1234abcd1234\":{\"agent_id\":{\"tool\":\"cursor\",\
                           \"id\":\"c\",\"model\":\"m\"}}}}\n";

/// A clone set up with `vouch init` (its hooks, its notes refspecs), the
/// policy left as the remote has it.
fn clone_with_hooks(world: &World, dir: &str, who: &str) -> Clone {
    let clone = world.clone_as(dir, who);
    let out = clone.vouch(&["init"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    clone.git(&["checkout", "-q", "--", ".vouch.toml"]);
    clone
}

/// Bob's agent writes src/pay.py through Claude Code's hooks; Bob commits
/// it (no trailer) on `feature`, pushes and syncs.
fn bobs_agent_commit(world: &World) {
    let b = clone_with_hooks(world, "b", "bob");
    b.git(&["checkout", "-q", "-b", "feature"]);
    let path = b.path.join("src/pay.py");
    let input = json!({ "file_path": path, "content": AI_PY });
    for event in ["PreToolUse", "PostToolUse"] {
        if event == "PostToolUse" {
            std::fs::write(&path, AI_PY).unwrap();
        }
        let payload = json!({ "session_id": "s", "cwd": b.path, "hook_event_name": event, "tool_name": "Write",
            "tool_use_id": "toolu_1", "tool_input": input });
        let run = b.run_with_input(&["hook", "claude-code"], &payload.to_string());
        assert_eq!(run.code, 0, "{run:?}");
    }
    b.git(&["add", "-A"]);
    b.git(&["commit", "-q", "-m", "add transfer"]);
    assert!(b.git(&["notes", "--ref=vouch", "show", "HEAD"]).contains("src/pay.py"));
    b.git(&["push", "-q", "origin", "feature"]);
    b.sync();
}

fn note_of(clone: &Clone, rev: &str) -> String {
    clone.git_run(&["notes", "--ref=vouch", "show", rev]).stdout
}

#[test]
fn a_teammates_commit_rebased_after_a_plain_pull_keeps_its_note() {
    let world = World::new(POLICY);
    bobs_agent_commit(&world);
    world.on_main(&[("README", "main moved on\n")]);
    let a = clone_with_hooks(&world, "a", "dev");
    a.git(&["checkout", "-q", "feature"]);
    a.git(&["fetch", "-q", "origin"]);
    assert_eq!(note_of(&a, "HEAD"), "", "not merged into refs/notes/vouch: only a sync does that");
    a.git(&["rebase", "-q", "origin/main"]);
    assert!(note_of(&a, "HEAD").contains("src/pay.py"), "the rebased commit has the note: {}", note_of(&a, "HEAD"));
    a.git(&["push", "-q", "-f", "origin", "feature"]);
    a.sync();
    let ci = world.clone_as("ci", "ci");
    ci.sync();
    let (code, report) = ci.verify("origin/main..origin/feature");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["path"], "src/pay.py");
}

#[test]
fn a_teammates_commit_cherry_picked_after_a_plain_fetch_keeps_its_note() {
    let world = World::new(POLICY);
    bobs_agent_commit(&world);
    let a = clone_with_hooks(&world, "a", "dev");
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["checkout", "-q", "-b", "port"]);
    a.git(&["cherry-pick", "origin/feature"]);
    assert!(note_of(&a, "HEAD").contains("src/pay.py"), "the pick has the note: {}", note_of(&a, "HEAD"));
}

/// The same commit, fetched with plain git and not synced, read where it
/// stands: `vouch verify` of the branch, `vouch blame` and `vouch log`
/// read the range's notes through the lineage, which knew only
/// `refs/notes/vouch`. The agent's function was unattested there (verify
/// passed it) while CI, after a sync, failed it.
#[test]
fn a_teammates_commit_after_a_plain_fetch_is_read_with_its_note() {
    let world = World::new(POLICY);
    bobs_agent_commit(&world);
    let a = clone_with_hooks(&world, "a", "dev");
    a.git(&["fetch", "-q", "origin"]);
    assert_eq!(note_of(&a, "origin/feature"), "", "not merged into refs/notes/vouch: only a sync does that");
    let (code, report) = a.verify("origin/main..origin/feature");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["path"], "src/pay.py");
    a.git(&["checkout", "-q", "feature"]);
    let blame = a.run(&["blame", "src/pay.py"]);
    assert_eq!(blame.code, 0, "{blame:?}");
    assert!(blame.stdout.contains("vouch note"), "the note's evidence: {}", blame.stdout);
    assert_eq!(note_of(&a, "origin/feature"), "", "reading merged nothing");
}

/// Claude Code's Write of `content` to `rel` in the worktree at `dir`,
/// with both hooks.
fn agent_writes_in(clone: &Clone, dir: &std::path::Path, rel: &str, content: &str) {
    let path = dir.join(rel);
    let input = json!({ "file_path": path, "content": content });
    for event in ["PreToolUse", "PostToolUse"] {
        if event == "PostToolUse" {
            std::fs::write(&path, content).unwrap();
        }
        let payload = json!({ "session_id": "s", "cwd": dir, "hook_event_name": event, "tool_name": "Write",
            "tool_use_id": "toolu_w", "tool_input": input });
        let run = clone.run_with_input(&["-C", dir.to_str().unwrap(), "hook", "claude-code"], &payload.to_string());
        assert_eq!(run.code, 0, "{run:?}");
    }
}

/// HEAD's note names `src/pay.py` (no `no-ai`), and once synced, verify
/// fails on it alone, unapproved AI.
fn pay_needs_sign_off(a: &Clone) {
    let note = note_of(a, "HEAD");
    assert!(note.contains("src/pay.py") && !note.contains("no-ai"), "{note}");
    a.sync();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["path"], "src/pay.py");
}

/// An agent works in a linked worktree (as parallel agents do); a person
/// moves its uncommitted work to the main worktree with `git stash` and
/// commits it there. Each worktree keeps its own journal, and the commit's
/// note said "no AI": attested human. The other worktrees' journals are
/// read for the text a commit holds.
#[test]
fn an_agents_work_stashed_from_another_worktree_is_noted_as_ai() {
    let world = World::new(POLICY);
    let a = clone_with_hooks(&world, "a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.git(&["branch", "agent-wip"]);
    let wip = world.root.join("a-agent");
    a.git(&["worktree", "add", "-q", wip.to_str().unwrap(), "agent-wip"]);
    agent_writes_in(&a, &wip, "src/pay.py", AI_PY);
    run_git(&wip, &a.home, &["stash", "-q", "-u"]);
    a.git(&["stash", "pop", "-q"]);
    a.git(&["add", "-A"]);
    a.git(&["commit", "-q", "-m", "add transfer"]);
    pay_needs_sign_off(&a);
}

/// Red team, twentieth session: the agent removes a check in its linked
/// worktree, and the person carries its uncommitted work over with `git
/// diff | git apply` and commits: the AI text such a move carries was
/// found, its removal was not, and verify passed the function without its
/// check. Other worktrees' journals give their removals too.
#[test]
fn an_agents_removal_applied_from_another_worktree_needs_sign_off() {
    const CHECKED: &str = "def transfer(a, b, amount):\n    if amount <= 0:\n        raise ValueError(amount)\n    \
                           a.balance -= amount\n    b.balance += amount\n";
    let (world, a) = World::with_feature(POLICY, &[("src/pay.py", CHECKED)]);
    let out = a.vouch(&["init"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    a.git(&["checkout", "-q", "--", ".vouch.toml"]);
    a.git(&["branch", "agent-wip"]);
    let wip = world.root.join("a-agent");
    a.git(&["worktree", "add", "-q", wip.to_str().unwrap(), "agent-wip"]);
    agent_writes_in(&a, &wip, "src/pay.py", AI_PY);
    let diff = run_git(&wip, &a.home, &["diff"]);
    std::fs::write(world.root.join("agent.patch"), &diff).unwrap();
    a.git(&["apply", world.root.join("agent.patch").to_str().unwrap()]);
    a.git(&["commit", "-qam", "simplify transfer"]);
    pay_needs_sign_off(&a);
}

/// Red team, twentieth session: CI's fresh clone fetched the branches but
/// not the notes (a plain `git clone`, `actions/checkout`): every line was
/// unattested and verify passed Bob's agent's code without a word. It
/// still cannot know the notes exist elsewhere, but it says that it has
/// none, and how to fetch them.
#[test]
fn a_clone_without_the_notes_is_told_so_by_verify() {
    let world = World::new(POLICY);
    bobs_agent_commit(&world);
    let ci = world.clone_as("ci", "ci");
    ci.git(&["fetch", "-q", "origin", "feature:feature"]);
    assert!(ci.git_output(&["rev-parse", "-q", "--verify", "refs/notes/vouch"]).stdout.is_empty());
    let (_, report) = ci.verify("origin/main..feature");
    let warnings: Vec<&str> = report["warnings"].as_array().unwrap().iter().filter_map(|w| w.as_str()).collect();
    assert!(warnings.iter().any(|w| w.contains("refs/notes/vouch") && w.contains("vouch sync")), "{report:#}");

    // With them fetched, no such warning.
    ci.git(&["fetch", "-q", "origin", "refs/notes/vouch:refs/notes/vouch"]);
    let (code, report) = ci.verify("origin/main..feature");
    assert_eq!(code, 1, "{report:#}");
    let warned =
        report["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap_or("").contains("no vouch notes"));
    assert!(!warned, "{report:#}");
}

/// Red team: CI's clone with a blob filter (`actions/checkout`'s `filter:
/// blob:none`) fetched the notes' trees but not their blobs, and a note
/// whose blob is missing was read as no note: verify passed the agent's
/// code as unattested (exit 0). A note vouch cannot read stops verify
/// (exit 2), naming the note and what to do: a vouch note, and a git-ai
/// note on a commit whose vouch note says "no AI".
#[test]
fn a_note_whose_blob_a_partial_clone_left_out_stops_verify() {
    let world = World::new(POLICY);
    bobs_agent_commit(&world);
    // Bob's next commit, its lines an agent's as git-ai (not vouch) saw.
    let b = Clone { path: world.root.join("b"), home: world.home(), email: email("bob") };
    b.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    let commit = b.commit("add add()", None);
    let git_ai = GIT_AI_NOTE;
    b.git(&["notes", "--ref=ai", "add", "-m", git_ai, &commit.to_string()]);
    b.git(&["push", "-q", "origin", "feature", "refs/notes/ai"]);
    run_git(&world.root, &world.home(), &["--git-dir", "remote.git", "config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", world.root.join("remote.git").display());
    run_git(&world.root, &world.home(), &["clone", "-q", "--filter=blob:none", "--branch", "feature", &url, "ci"]);
    let ci = Clone { path: world.root.join("ci"), home: world.home(), email: email("ci") };
    ci.git(&["fetch", "-q", "origin", "main:refs/remotes/origin/main", "refs/notes/*:refs/notes/*"]);
    // The code's blobs are fetched as git needs them; the notes' are not.
    ci.git(&["log", "-p", "-q", "origin/main..HEAD"]);
    let missing = |notes: &str| -> Vec<String> {
        let objects = ci.git(&["rev-list", "--objects", "--missing=print", notes]);
        objects.lines().filter_map(|l| l.strip_prefix('?')).map(str::to_string).collect()
    };
    assert_eq!(missing("refs/notes/vouch").len(), 2, "both vouch notes' blobs are left out");

    let verify = |ci: &Clone, blobs: &[String]| {
        let out = ci.vouch(&["verify", "origin/main..HEAD"]);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(blobs.iter().any(|b| text.contains(b.as_str())) && text.contains("partial clone"), "{text}");
        assert_eq!(text.matches("partial clone").count(), 1, "said once: {text}");
    };
    verify(&ci, &missing("refs/notes/vouch"));
    // With the vouch notes' blobs fetched, the git-ai note's is missing.
    for blob in missing("refs/notes/vouch") {
        ci.git(&["cat-file", "blob", &blob]);
    }
    assert!(missing("refs/notes/vouch").is_empty());
    let git_ai_blob = missing("refs/notes/ai");
    assert_eq!(git_ai_blob.len(), 1);
    verify(&ci, &git_ai_blob);
    // And with every blob there, the agent's code needs sign-off.
    ci.git(&["cat-file", "blob", &git_ai_blob[0]]);
    let (code, report) = ci.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
}

/// The same partial clone, synced with `vouch sync --no-push` as the CI
/// examples do: the sync fetches the notes' and records' blobs the clone's
/// filter would leave out, and verify reads them (the agent's code needs
/// sign-off; nothing is unreadable).
#[test]
fn vouch_sync_in_a_partial_clone_fetches_what_verify_reads() {
    let world = World::new(POLICY);
    bobs_agent_commit(&world);
    run_git(&world.root, &world.home(), &["--git-dir", "remote.git", "config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", world.root.join("remote.git").display());
    run_git(&world.root, &world.home(), &["clone", "-q", "--filter=blob:none", "--branch", "feature", &url, "ci"]);
    let ci = Clone { path: world.root.join("ci"), home: world.home(), email: email("ci") };
    ci.git(&["fetch", "-q", "origin", "main:refs/remotes/origin/main"]);
    let out = ci.vouch(&["sync", "--no-push"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let missing = ci.git(&["rev-list", "--objects", "--missing=print", "refs/notes/vouch"]);
    assert!(!missing.lines().any(|l| l.starts_with('?')), "{missing}");
    let (code, report) = ci.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert!(report["failures"].as_array().unwrap().iter().any(|f| f["path"] == "src/pay.py"), "{report:#}");
}

/// Red team (rt29a G1): a teammate's agent code that git-ai attributed
/// (its note pushed to the remote's `refs/notes/ai`, as git-ai does). CI
/// does what the docs say, a clone, `vouch sync --no-push`, `vouch
/// verify`: the sync fetched vouch's notes and records but never git-ai's,
/// which verify reads, and the agent's code passed with no word. The sync
/// fetches them too, keeps its own where both have a note of a commit,
/// and never pushes them (git-ai shares its notes itself).
#[test]
fn vouch_sync_fetches_the_git_ai_notes_verify_reads() {
    let world = World::new(POLICY);
    let b = clone_with_hooks(&world, "b", "bob");
    b.git(&["checkout", "-q", "-b", "feature"]);
    b.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    let commit = b.commit("add add()", None);
    let git_ai = GIT_AI_NOTE;
    b.git(&["notes", "--ref=ai", "add", "-m", git_ai, &commit.to_string()]);
    b.git(&["push", "-q", "origin", "feature", "refs/notes/ai"]);

    let ci = world.clone_as("ci", "ci");
    ci.git(&["checkout", "-q", "--detach", "origin/feature"]);
    // A note of its own on another commit: kept beside the remote's.
    let own = "src/other.rs\n  0123456789abcdef 1-1\n---\n{\"schema_version\":\"authorship/3.0.0\"}\n";
    ci.git(&["notes", "--ref=ai", "add", "-m", own, "origin/main"]);
    let out = ci.vouch(&["sync", "--no-push"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ci.git(&["notes", "--ref=ai", "show", &commit.to_string()]), git_ai, "git-ai's note, byte for byte");
    assert_eq!(ci.git(&["notes", "--ref=ai", "show", "origin/main"]), own);
    let (code, report) = ci.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert!(report["failures"].as_array().unwrap().iter().any(|f| f["path"] == "src/lib.rs"), "{report:#}");

    // A sync that pushes leaves the remote's git-ai notes as git-ai left them.
    let remote_notes =
        || run_git(&world.root, &world.home(), &["--git-dir", "remote.git", "rev-parse", "refs/notes/ai"]);
    let remote_before = remote_notes();
    let out = ci.vouch(&["sync"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(remote_notes(), remote_before);
}
