//! Commits made where git's hooks did not run: a clone where `vouch init`
//! has not run yet, though the agent's hooks came with the repository
//! (`.claude/settings.json` is committed, git's hooks are not), or a
//! client that runs no hooks. The agent's hooks recorded its code in the
//! journal, but no post-commit hook noted the commits, and nothing said
//! so: `vouch verify` passed the agent's code as lines of unknown origin,
//! and neither `vouch init` nor `vouch notes rebuild` could give it back
//! its provenance afterwards. Now the agent's hooks and `vouch check` say
//! the clone is not set up, and both commands note such commits from the
//! journal's records (never "no AI").
//!
//! Through the real binary, real git and the hooks `vouch init` installs.

mod support {
    pub mod lsp;
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use serde_json::{Value, json};
use support::run::Run;
use support::vouch_repo::VouchRepo;

const POLICY: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";
const LIB: &str = "def total(items):\n    return sum(items)\n";
const WITH_GRANT: &str = "def total(items):\n    return sum(items)\n\n\ndef grant(u):\n    u.admin = True\n";

/// A repository set up with vouch and Claude Code's hooks, whose git hooks
/// are then gone, as in a clone where `vouch init` has not run: on a
/// branch `feature`.
fn unhooked() -> VouchRepo {
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/lib.py", LIB)], &["--agent", "claude-code"]);
    for hook in ["pre-commit", "prepare-commit-msg", "post-commit", "post-rewrite", "pre-push"] {
        std::fs::remove_file(repo.root().join(".git/hooks").join(hook)).unwrap();
    }
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo
}

/// Claude Code's Write tool gives `path` the text `content`, its hooks
/// around it; the hook after it, as it ran.
fn agent_writes(repo: &VouchRepo, id: &str, path: &str, content: &str) -> Run {
    let input = json!({ "file_path": repo.root().join(path), "content": content });
    repo.claude_hook("PreToolUse", "Write", id, input.clone());
    repo.write(path, content);
    repo.claude_hook("PostToolUse", "Write", id, input)
}

/// (rule, path, name) of verify's failures over `main..HEAD`, sorted.
fn failures(repo: &VouchRepo) -> Vec<(String, String, String)> {
    let (_, report) = repo.verify("main..HEAD");
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut found: Vec<_> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (text(&f["rule"]), text(&f["path"]), text(&f["name"])))
        .collect();
    found.sort();
    found
}

fn unapproved(path: &str, name: &str) -> (String, String, String) {
    ("unapproved-ai".into(), path.into(), name.into())
}

/// The AI lines of `path` in the vouch note on `rev`.
fn noted_ai(repo: &VouchRepo, rev: &str, path: &str) -> Value {
    let note = repo.note(rev);
    note.iter().find(|r| r["path"] == path).map(|r| r["ai"].clone()).unwrap_or(Value::Null)
}

#[test]
fn an_agents_code_committed_where_git_hooks_did_not_run_is_noted_by_vouch_init() {
    let repo = unhooked();
    agent_writes(&repo, "toolu_1", "src/lib.py", WITH_GRANT);
    repo.ok(&["commit", "-qam", "grant"]);
    assert!(repo.note("HEAD").is_empty(), "no hook ran: {:?}", repo.note("HEAD"));

    let init = repo.vouch_ok(&["init"]);
    assert!(init.stdout.contains("1 earlier commit"), "{init:?}");
    assert_eq!(noted_ai(&repo, "HEAD", "src/lib.py"), json!([[3, 6]]), "{:?}", repo.note("HEAD"));
    assert_eq!(failures(&repo), vec![unapproved("src/lib.py", "grant")]);
    // The journal's records are settled by that note: the next commit (now
    // through the hooks) does not note them again.
    repo.write("README", "readme\n");
    repo.ok(&["add", "README"]);
    repo.ok(&["commit", "-qm", "readme"]);
    assert_eq!(noted_ai(&repo, "HEAD", "src/lib.py"), Value::Null, "{:?}", repo.note("HEAD"));
}

#[test]
fn notes_rebuild_notes_such_commits_from_the_journal() {
    let repo = unhooked();
    agent_writes(&repo, "toolu_1", "src/lib.py", WITH_GRANT);
    repo.ok(&["commit", "-qam", "grant"]);
    agent_writes(&repo, "toolu_2", "src/admin.py", "def wipe(db):\n    db.drop_all()\n");
    repo.ok(&["add", "src/admin.py"]);
    repo.ok(&["commit", "-qm", "wipe"]);

    let rebuilt = repo.vouch_ok(&["notes", "rebuild", "main..HEAD"]);
    assert!(rebuilt.stdout.starts_with("2 notes written"), "{rebuilt:?}");
    assert_eq!(noted_ai(&repo, "HEAD~1", "src/lib.py"), json!([[3, 6]]));
    assert_eq!(noted_ai(&repo, "HEAD", "src/admin.py"), json!([[1, 2]]));
    assert_eq!(failures(&repo), vec![unapproved("src/admin.py", "wipe"), unapproved("src/lib.py", "grant")]);
}

/// Red team (rt28a F4): the post-commit hook killed before it wrote the
/// note (the terminal closed, the machine off) left the agent's commit
/// with none, and nothing caught it up: later commits did not, `vouch
/// status` showed nothing, and without `require_attestation` verify passed
/// the agent's code as of unknown origin. The next commit's post-commit
/// hook notes the commits before it that have none from the journal, while
/// their records are live.
#[test]
fn the_next_commit_notes_one_whose_post_commit_hook_did_not_finish() {
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/lib.py", LIB)], &["--agent", "claude-code"]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    agent_writes(&repo, "toolu_1", "src/lib.py", WITH_GRANT);
    // Its hooks did not run to their end: here, not at all.
    repo.ok(&["-c", "core.hooksPath=/dev/null", "commit", "-qam", "grant"]);
    assert!(repo.note("HEAD").is_empty(), "{:?}", repo.note("HEAD"));
    repo.write("README", "readme\n");
    repo.ok(&["add", "README"]);
    let next = repo.git_run(&["commit", "-qm", "readme"]);
    assert!(next.stderr.contains("1 earlier commit"), "says so: {next:?}");
    assert_eq!(noted_ai(&repo, "HEAD~1", "src/lib.py"), json!([[3, 6]]), "{:?}", repo.note("HEAD~1"));
    assert_eq!(failures(&repo), vec![unapproved("src/lib.py", "grant")]);
}

#[test]
fn a_persons_commit_made_without_hooks_stays_unattested() {
    let repo = unhooked();
    // A person's own commit, and the agent's, neither through git's hooks.
    repo.write("src/util.py", "def one():\n    return 1\n");
    repo.ok(&["add", "src/util.py"]);
    repo.ok(&["commit", "-qm", "util"]);
    agent_writes(&repo, "toolu_1", "src/lib.py", WITH_GRANT);
    repo.ok(&["commit", "-qam", "grant"]);

    repo.vouch_ok(&["init"]);
    // The journal knows nothing of the person's commit: it is not claimed
    // human ("no AI" is written only by the hook that saw the commit made).
    assert!(repo.note("HEAD~1").is_empty(), "{:?}", repo.note("HEAD~1"));
    assert_eq!(noted_ai(&repo, "HEAD", "src/lib.py"), json!([[3, 6]]));
    // The commit before the feature, noted through the hooks, is as it was.
    assert_eq!(repo.note("main"), repo.note("HEAD~2"));
    assert!(!repo.note("main").is_empty());
}

/// The language server says so too, once a document of such a clone
/// opens: an editor records AI text there that no commit will carry.
#[test]
fn the_language_server_says_the_clone_is_not_set_up() {
    let repo = unhooked();
    let not_set_up = |p: &Value| {
        let message = p["message"].as_str().unwrap_or("");
        message.contains("not set up") && message.contains("vouch init")
    };
    let mut server = support::lsp::Server::start(repo.root(), &["utf-16"]);
    server.open(&repo.uri("src/lib.py"), "python", LIB);
    let shown = server.wait_for("window/showMessage", not_set_up);
    assert!(shown["message"].as_str().unwrap().contains("post-commit"), "{shown}");
    server.shutdown();

    repo.vouch_ok(&["init"]);
    let mut server = support::lsp::Server::start(repo.root(), &["utf-16"]);
    server.open(&repo.uri("src/lib.py"), "python", LIB);
    server.diagnostics(&repo.uri("src/lib.py"), 1);
    assert!(server.take_notifications("window/showMessage", not_set_up).is_empty());
    server.shutdown();
}

#[test]
fn the_agents_hook_and_check_say_the_clone_is_not_set_up() {
    let repo = unhooked();
    let hook = agent_writes(&repo, "toolu_1", "src/lib.py", WITH_GRANT);
    assert!(hook.stderr.contains("not set up") && hook.stderr.contains("vouch init"), "{hook:?}");
    assert!(hook.stderr.contains("post-commit"), "names what is missing: {hook:?}");
    let check = repo.vouch(&["check"]);
    assert!(check.stderr.contains("not set up") && check.stderr.contains("vouch init"), "{check:?}");

    // Set up, they say nothing of it.
    repo.vouch_ok(&["init"]);
    let hook = agent_writes(&repo, "toolu_2", "src/lib.py", &format!("{WITH_GRANT}    return u\n"));
    assert!(!hook.stderr.contains("not set up"), "{hook:?}");
    assert!(!repo.vouch(&["check"]).stderr.contains("not set up"));
}

/// Red team, second pass: a teammate's commit that adds lines where the
/// agent's uncommitted text sits (here, at the end of the same file),
/// fetched and brought in under the agent's text (`git stash && git pull &&
/// git stash pop`), was noted with the journal's record carried onto it by
/// place: her function became AI. Only this clone's own commits are noted
/// from its journal.
#[test]
fn a_teammates_commit_is_not_noted_from_this_clones_journal() {
    let repo = unhooked();
    repo.ok(&["checkout", "-q", "-b", "carol"]);
    repo.write("src/lib.py", &format!("{LIB}\n\ndef can_list(u):\n    return u.public\n"));
    let carol = [("GIT_AUTHOR_EMAIL", "carol@example.com"), ("GIT_COMMITTER_EMAIL", "carol@example.com")];
    let run = repo.command("git", &["commit", "-qam", "carol: can_list"]).envs(carol).output().unwrap();
    assert!(run.status.success(), "{run:?}");
    repo.ok(&["checkout", "-q", "feature"]);
    agent_writes(&repo, "toolu_1", "src/lib.py", WITH_GRANT);
    repo.ok(&["stash", "-q"]);
    repo.ok(&["merge", "-q", "--ff-only", "carol"]);
    // Both appended at the end: the pop conflicts, and keeps both.
    let _ = repo.git_run(&["stash", "pop", "-q"]);
    repo.write("src/lib.py", &format!("{WITH_GRANT}\n\ndef can_list(u):\n    return u.public\n"));
    repo.ok(&["reset", "-q"]);
    repo.ok(&["stash", "drop", "-q"]);

    let rebuilt = repo.vouch_ok(&["notes", "rebuild", "main..HEAD"]);
    assert!(rebuilt.stdout.starts_with("0 notes written"), "{rebuilt:?}");
    repo.vouch_ok(&["init"]);
    assert!(repo.note("carol").is_empty(), "{:?}", repo.note("carol"));
}

#[test]
fn amending_a_commit_no_note_attests_does_not_attest_it() {
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/lib.py", LIB)], &[]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    // Made where git's hooks did not run: no note, so unattested.
    repo.write("src/lib.py", WITH_GRANT);
    repo.ok(&["-c", "core.hooksPath=/dev/null", "commit", "-qam", "grant"]);
    assert!(repo.note("HEAD").is_empty());
    // A person rewords it, or amends it as it is, through the hooks: what it
    // holds still comes from a commit nothing attests.
    repo.ok(&["commit", "-q", "--amend", "-m", "Add grant"]);
    assert!(repo.note("HEAD").is_empty(), "reworded: {:?}", repo.note("HEAD"));
    repo.ok(&["commit", "-q", "--amend", "--no-edit"]);
    assert!(repo.note("HEAD").is_empty(), "amended as it was: {:?}", repo.note("HEAD"));

    // A commit the hooks attested keeps its attestation through an amend.
    repo.write("README", "readme\n");
    repo.ok(&["add", "README"]);
    repo.ok(&["commit", "-qm", "readme"]);
    let attested = |repo: &VouchRepo| repo.note("HEAD").iter().any(|r| r["attest"] == "no-ai");
    assert!(attested(&repo), "{:?}", repo.note("HEAD"));
    repo.ok(&["commit", "-q", "--amend", "-m", "Add a readme"]);
    assert!(attested(&repo), "{:?}", repo.note("HEAD"));
}
