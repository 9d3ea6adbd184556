//! AI text moved before it is committed, in ordinary work: a person renames
//! the file an agent just wrote, or moves the function an agent added into
//! another file (or another place in the same file). The journal records
//! the agent's text at the path it wrote; text that left that place was,
//! for the gate, a person's, and the commit's note said "no AI", so `vouch
//! verify` had nothing to ask about. AI origin is sticky through moves
//! before a commit as it is within the range: a block of lines equal
//! (whitespace aside) to AI text a journal record holds and the next commit
//! does not keep in place is AI where it lands.
//!
//! Each scenario runs through the real binary, real git and the hooks
//! `vouch init` installs, from the agent's edit to `vouch verify`.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use serde_json::Value;
use support::vouch_repo::VouchRepo;

/// The gate warns, so the work can be committed through the hooks; alice
/// reviews.
const POLICY: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";
const WIPE: &str = "def wipe(db):\n    db.drop_all()\n    return True\n";

/// A repository with `files` committed on main, and a branch `feature`.
fn start(files: &[(&str, &str)]) -> VouchRepo {
    let mut all = vec![(".vouch.toml", POLICY)];
    all.extend_from_slice(files);
    let repo = VouchRepo::init_with(&all, &[]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo
}

/// Claude Code's Write of `content` to `rel`, with both hooks around it.
fn agent_writes(repo: &VouchRepo, rel: &str, content: &str) {
    let input = serde_json::json!({ "file_path": repo.root().join(rel), "content": content });
    repo.claude_hook("PreToolUse", "Write", "toolu_1", input.clone());
    let path = repo.root().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
    repo.claude_hook("PostToolUse", "Write", "toolu_1", input);
}

/// Stage everything and commit through the hooks (no trailer: a person
/// commits the agent's work); then `vouch verify main..HEAD`'s failures as
/// (path, unit name).
fn commit_and_verify(repo: &VouchRepo) -> Vec<(String, String)> {
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "work"]);
    let (_, report) = repo.verify("main..HEAD");
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f: &Value| (f["path"].as_str().unwrap_or("").to_string(), f["name"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[test]
fn renaming_the_file_an_agent_wrote_keeps_its_text_ai() {
    let repo = start(&[]);
    agent_writes(&repo, "src/new.py", WIPE);
    std::fs::rename(repo.root().join("src/new.py"), repo.root().join("src/cleanup.py")).unwrap();
    repo.ok(&["add", "-A"]);
    let gate = repo.vouch(&["check", "--staged", "--format", "json"]);
    let units: Value = serde_json::from_str(&gate.stdout).unwrap_or_else(|e| panic!("{e}: {gate:?}"));
    let named: Vec<&str> = units["units"].as_array().unwrap().iter().filter_map(|u| u["name"].as_str()).collect();
    assert_eq!(named, vec!["wipe"], "the gate sees the agent's function at its new path: {units:#}");
    assert_eq!(commit_and_verify(&repo), vec![("src/cleanup.py".to_string(), "wipe".to_string())]);
    // The commit's note says so, and retires the agent's record, whose
    // text the commit holds.
    let note = repo.note("HEAD");
    let file = note.iter().find(|r| r["path"] == "src/cleanup.py").unwrap_or_else(|| panic!("{note:?}"));
    assert_eq!(file["ai"], serde_json::json!([[1, 3]]), "{note:?}");
    assert!(journal_text(&repo).contains("\"kind\":\"retire\""), "the record is retired");
}

/// Every segment of the worktree's journal, as text.
fn journal_text(repo: &VouchRepo) -> String {
    let dir = repo.root().join(".git/vouch/journal");
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        out.push_str(&String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default()));
    }
    out
}

#[test]
fn moving_an_agents_function_into_another_file_keeps_it_ai() {
    let repo = start(&[("src/a.py", "x = 1\n"), ("src/b.py", "y = 2\n")]);
    agent_writes(&repo, "src/a.py", &format!("x = 1\n\n\n{WIPE}"));
    std::fs::write(repo.root().join("src/a.py"), "x = 1\n").unwrap();
    std::fs::write(repo.root().join("src/b.py"), format!("y = 2\n\n\n{WIPE}")).unwrap();
    assert_eq!(commit_and_verify(&repo), vec![("src/b.py".to_string(), "wipe".to_string())]);
}

#[test]
fn moving_an_agents_function_within_its_file_keeps_it_ai() {
    let before = "def keep():\n    return 1\n\n\ndef other():\n    return 2\n";
    let repo = start(&[("src/a.py", before)]);
    agent_writes(&repo, "src/a.py", &format!("{before}\n\n{WIPE}"));
    std::fs::write(repo.root().join("src/a.py"), format!("{WIPE}\n\n{before}")).unwrap();
    assert_eq!(commit_and_verify(&repo), vec![("src/a.py".to_string(), "wipe".to_string())]);
}

#[test]
fn a_persons_own_text_beside_an_agents_elsewhere_stays_theirs() {
    let repo = start(&[("src/a.py", "x = 1\n"), ("src/b.py", "y = 2\n")]);
    agent_writes(&repo, "src/a.py", &format!("x = 1\n\n\n{WIPE}"));
    // A person writes other code in b.py; one of its lines happens to equal
    // one of the agent's (`return True`): a lone line is no move.
    std::fs::write(repo.root().join("src/b.py"), "y = 2\n\n\ndef ok():\n    log('ok')\n    return True\n").unwrap();
    assert_eq!(commit_and_verify(&repo), vec![("src/a.py".to_string(), "wipe".to_string())]);
}

#[test]
fn a_record_whose_text_cannot_be_read_stops_the_gate_rather_than_passing_its_moves() {
    let repo = start(&[]);
    agent_writes(&repo, "src/new.py", WIPE);
    std::fs::remove_file(repo.root().join("src/new.py")).unwrap();
    std::fs::write(repo.root().join("src/cleanup.py"), format!("# cleanup\n{WIPE}")).unwrap();
    // The record's version vanishes (a copied journal, a broken repository).
    let git = git2::Repository::open(repo.root()).unwrap();
    let journal = vouch::store::journal::Journal::open(&git).unwrap();
    let loaded = journal.records().unwrap();
    let blob = loaded.live().find_map(|r| r.file().map(|f| f.blob.clone())).expect("the agent's record");
    std::fs::remove_file(repo.root().join(".git/objects").join(&blob[..2]).join(&blob[2..])).unwrap();
    repo.ok(&["add", "-A"]);
    let gate = repo.vouch(&["check", "--staged"]);
    assert_eq!(gate.code, 2, "{gate:?}");
    assert!(gate.stderr.contains("src/new.py") && gate.stderr.contains("refusing to decide"), "{gate:?}");
    let status = repo.vouch(&["status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stderr.contains("warning: src/new.py: journal record"), "{status:?}");
}

// ---------------------------------------------------------------------------
// An agent that "moves" a file, writing it anew under the new name, and
// leaves out a person's check. The hooks record the new file as all the
// agent's lines and the old one as removed; git sees a rename with two
// lines gone. The removal was nobody's: gate 0, note with nothing for the
// new path, verify 0.

const GUARDED: &str = "def f(u):\n    if not u.admin:\n        raise PermissionError()\n    return u.data\n";
const UNGUARDED: &str = "def f(u):\n    return u.data\n";

/// Claude Code's Bash tool runs `command` (which `run` stands for), with
/// both hooks.
fn agent_shell(repo: &VouchRepo, id: &str, command: &str, run: impl FnOnce()) {
    let input = serde_json::json!({ "command": command });
    repo.claude_hook("PreToolUse", "Bash", id, input.clone());
    run();
    repo.claude_hook("PostToolUse", "Bash", id, input);
}

/// The gate's units, by name, once everything is staged.
fn gate_units(repo: &VouchRepo) -> Vec<String> {
    repo.ok(&["add", "-A"]);
    let gate = repo.vouch(&["check", "--staged", "--format", "json"]);
    let units: Value = serde_json::from_str(&gate.stdout).unwrap_or_else(|e| panic!("{e}: {gate:?}"));
    units["units"].as_array().unwrap().iter().filter_map(|u| u["name"].as_str().map(str::to_string)).collect()
}

#[test]
fn an_agent_that_moves_a_file_and_drops_a_check_in_one_command_removed_it() {
    let repo = start(&[("src/a.py", GUARDED)]);
    agent_shell(&repo, "toolu_mv", "mv src/a.py src/b.py && sed -i 2,3d src/b.py", || {
        std::fs::remove_file(repo.root().join("src/a.py")).unwrap();
        std::fs::write(repo.root().join("src/b.py"), UNGUARDED).unwrap();
    });
    assert_eq!(gate_units(&repo), vec!["f"], "the gate sees the removal");
    assert_eq!(commit_and_verify(&repo), vec![("src/b.py".to_string(), "f".to_string())]);
    let note = repo.note("HEAD");
    let file = note.iter().find(|r| r["path"] == "src/b.py").unwrap_or_else(|| panic!("{note:?}"));
    assert_eq!(file["deleted_before"], serde_json::json!([2]), "{note:?}");
}

#[test]
fn an_agent_that_writes_a_file_anew_and_removes_the_old_one_removed_what_it_left_out() {
    let repo = start(&[("src/a.py", GUARDED)]);
    agent_writes(&repo, "src/b.py", UNGUARDED);
    agent_shell(&repo, "toolu_rm", "rm src/a.py", || std::fs::remove_file(repo.root().join("src/a.py")).unwrap());
    assert_eq!(commit_and_verify(&repo), vec![("src/b.py".to_string(), "f".to_string())]);
}

#[test]
fn a_person_who_renames_a_file_and_drops_lines_removed_them_themselves() {
    let repo = start(&[("src/a.py", GUARDED)]);
    std::fs::remove_file(repo.root().join("src/a.py")).unwrap();
    std::fs::write(repo.root().join("src/b.py"), UNGUARDED).unwrap();
    assert_eq!(gate_units(&repo), Vec::<String>::new());
    assert_eq!(commit_and_verify(&repo), vec![]);
}

/// Red team (rt27b F4): an agent renames a person's file with `git mv`
/// and then adds a function to it. The hook after the command took the
/// new path for a file the command wrote whole, so every line of the
/// person's function was the agent's: the person's edit of their own
/// function was taken for an edit of the agent's text, and the gate and
/// verify asked for sign-off of it. A file the command made where it
/// removed another is that file moved: what it wrote is what differs from
/// the file it moved.
#[test]
fn a_persons_file_an_agent_renames_stays_theirs() {
    let repo = start(&[("src/a.py", GUARDED)]);
    agent_shell(&repo, "toolu_gitmv", "git mv src/a.py src/b.py", || {
        repo.ok(&["mv", "src/a.py", "src/b.py"]);
    });
    agent_writes(&repo, "src/b.py", &format!("{GUARDED}{HELPER}"));
    // The person edits their own function before committing.
    let edited = GUARDED.replace("return u.data", "return u.data or {}");
    std::fs::write(repo.root().join("src/b.py"), format!("{edited}{HELPER}")).unwrap();
    assert_eq!(gate_units(&repo), vec!["helper"], "the gate asks about the agent's function only");
    assert_eq!(commit_and_verify(&repo), vec![("src/b.py".to_string(), "helper".to_string())]);
    let run = repo.vouch_ok(&["blame", "src/b.py", "--format", "json"]);
    let blame: Value = serde_json::from_str(&run.stdout).unwrap();
    let ai: Vec<u64> = blame["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["origin"] == "ai")
        .filter_map(|l| l["line"].as_u64())
        .collect();
    assert_eq!(ai, vec![5, 6, 7, 8], "only what the agent added is AI: {blame:#}");
    // And again after the commit: theirs.
    let again = edited.replace("or {}", "or None");
    std::fs::write(repo.root().join("src/b.py"), format!("{again}{HELPER}")).unwrap();
    assert_eq!(commit_and_verify(&repo), vec![("src/b.py".to_string(), "helper".to_string())]);
}

/// What the agent adds to the renamed file.
const HELPER: &str = "\n\ndef helper():\n    return 1\n";

/// An agent's command that renames a file and edits it in one go wrote
/// only its edit (the same rule, through git's own rename).
#[test]
fn an_agent_that_renames_and_edits_a_file_in_one_command_wrote_its_edit() {
    let repo = start(&[("src/a.py", GUARDED)]);
    agent_shell(&repo, "toolu_gitmv2", "git mv src/a.py src/b.py && echo ... >> src/b.py", || {
        repo.ok(&["mv", "src/a.py", "src/b.py"]);
        std::fs::write(repo.root().join("src/b.py"), format!("{GUARDED}{HELPER}")).unwrap();
    });
    assert_eq!(commit_and_verify(&repo), vec![("src/b.py".to_string(), "helper".to_string())]);
    let note = repo.note("HEAD");
    let file = note.iter().find(|r| r["path"] == "src/b.py").unwrap_or_else(|| panic!("{note:?}"));
    assert_eq!(file["ai"], serde_json::json!([[5, 8]]), "{note:?}");
}

/// Round two (rt28d M2, a regression of the rule above): the agent's edit
/// drops the check from the person's file, and a later command of the
/// agent's moves the file. The move was compared with the file as it was
/// right before the command, which already lacked the check: nothing was
/// recorded at the new path, the journal's record of the removal stayed
/// with the old one, and verify passed. A file moved from one the journal
/// holds live records of is compared with what HEAD holds of that one.
#[test]
fn an_agents_edit_then_its_move_of_the_file_keeps_the_edit_ai() {
    for command in ["mv src/a.py src/b.py", "git mv src/a.py src/b.py"] {
        let repo = start(&[("src/a.py", GUARDED)]);
        agent_writes(&repo, "src/a.py", UNGUARDED);
        agent_shell(&repo, "toolu_mv4", command, || match command.starts_with("git") {
            true => drop(repo.ok(&["mv", "src/a.py", "src/b.py"])),
            false => std::fs::rename(repo.root().join("src/a.py"), repo.root().join("src/b.py")).unwrap(),
        });
        assert_eq!(commit_and_verify(&repo), vec![("src/b.py".to_string(), "f".to_string())], "{command}");
    }
}

/// And the agent's own file, renamed by the agent, is still its own.
#[test]
fn an_agents_file_the_agent_renames_stays_ai() {
    let repo = start(&[]);
    agent_writes(&repo, "src/new.py", WIPE);
    repo.ok(&["add", "src/new.py"]);
    agent_shell(&repo, "toolu_gitmv3", "git mv src/new.py src/cleanup.py", || {
        repo.ok(&["mv", "src/new.py", "src/cleanup.py"]);
    });
    assert_eq!(commit_and_verify(&repo), vec![("src/cleanup.py".to_string(), "wipe".to_string())]);
}

/// Red team (rt27b F5): an agent asked for "a patch I can apply" writes a
/// unified diff; the person runs `git apply` and commits. The agent's lines
/// come back without the `+` that starts each in the patch, so the search
/// for AI text moved before a commit never matched them, and the commit
/// was noted "no AI". The patch's added lines are the agent's text; its
/// context lines (the person's code it quotes) and removed lines are not.
#[test]
fn an_agents_patch_applied_by_a_person_keeps_its_lines_ai() {
    let auth = "def can_delete(user, doc):\n    if not user.is_admin:\n        raise PermissionError()\n    return True\n\n\ndef can_read(user, doc):\n    return doc.public\n";
    let repo = start(&[("src/auth.py", auth)]);
    let patch = "--- a/src/auth.py\n+++ b/src/auth.py\n@@ -5,4 +5,10 @@ def can_delete(user, doc):\n \n \n def can_read(user, doc):\n     return doc.public\n+\n+\n+def grant_all(user, doc):\n+    if user.banned:\n+        return False\n+    return True\n";
    for keep_the_patch in [false, true] {
        repo.ok(&["checkout", "-q", "-B", "feature", "main"]);
        agent_writes(&repo, "fix.patch", patch);
        repo.ok(&["apply", "fix.patch"]);
        if !keep_the_patch {
            std::fs::remove_file(repo.root().join("fix.patch")).unwrap();
        }
        repo.ok(&["add", "src/auth.py"]);
        repo.ok(&["commit", "-q", "-m", "apply the agent's patch"]);
        let note = repo.note("HEAD");
        let file = note.iter().find(|r| r["path"] == "src/auth.py").unwrap_or_else(|| panic!("{note:?}"));
        assert_eq!(file["ai"], serde_json::json!([[11, 14]]), "only the added function: {note:?}");
        let (_, report) = repo.verify("main..HEAD");
        let failed: Vec<&str> =
            report["failures"].as_array().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
        assert_eq!(failed, vec!["grant_all"], "{report:#}");
        if keep_the_patch {
            std::fs::remove_file(repo.root().join("fix.patch")).unwrap();
        }
    }
}

/// The same patch committed first (the agent's commit of it, noted AI),
/// then applied by a person in a commit of their own: `vouch verify` over
/// both finds the added lines the agent's, whether the patch is removed or
/// kept.
#[test]
fn an_agents_committed_patch_applied_later_by_a_person_keeps_its_lines_ai() {
    let auth = "def can_read(user, doc):\n    return doc.public\n";
    let repo = start(&[("src/auth.py", auth)]);
    let patch = "--- a/src/auth.py\n+++ b/src/auth.py\n@@ -1,2 +1,8 @@\n def can_read(user, doc):\n     return doc.public\n+\n+\n+def grant_all(user, doc):\n+    if user.banned:\n+        return False\n+    return True\n";
    for keep_the_patch in [false, true] {
        repo.ok(&["checkout", "-q", "-B", "feature", "main"]);
        agent_writes(&repo, "fix.patch", patch);
        repo.ok(&["add", "fix.patch"]);
        repo.ok(&["commit", "-q", "-m", "the agent's patch"]);
        repo.ok(&["apply", "fix.patch"]);
        repo.ok(&["add", "src/auth.py"]);
        if !keep_the_patch {
            repo.ok(&["rm", "-q", "fix.patch"]);
        }
        repo.ok(&["commit", "-q", "-m", "apply it"]);
        let (_, report) = repo.verify("main..HEAD");
        let failed: Vec<(&str, &str)> = report["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap_or(""), f["name"].as_str().unwrap_or("")))
            .collect();
        assert!(failed.contains(&("src/auth.py", "grant_all")), "keep {keep_the_patch}: {report:#}");
        assert!(
            !failed.iter().any(|(_, name)| *name == "can_read"),
            "the quoted context stays the person's: {report:#}"
        );
    }
}

/// Red team, round two (rt27d A2): a file of the agent's that holds a
/// diff only as an example (in a docstring) was taken for a patch whole,
/// and only its `+` lines were the agent's text: its real code, moved into
/// another file before the commit, was noted "no AI". Only the lines of a
/// diff's hunks are read as a patch's.
#[test]
fn an_agents_file_that_shows_a_diff_is_still_its_code() {
    let repo = start(&[("src/a.py", "x = 1\n")]);
    let tool = "def explain():\n    \"\"\"Shows a change:\n\n--- a/conf.py\n+++ b/conf.py\n@@ -1 +1 @@\n-debug = False\n+debug = True\n    \"\"\"\n\n\ndef wipe(db):\n    db.drop_all()\n    db.commit()\n    return True\n";
    agent_writes(&repo, "src/tool.py", tool);
    std::fs::remove_file(repo.root().join("src/tool.py")).unwrap();
    std::fs::write(repo.root().join("src/a.py"), format!("x = 1\n\n\n{}", &tool[tool.find("def wipe").unwrap()..]))
        .unwrap();
    assert_eq!(commit_and_verify(&repo), vec![("src/a.py".to_string(), "wipe".to_string())]);
}

/// Red team (rt27c F4): a file holding an agent's uncommitted function
/// renamed (a plain `mv`, or an editor's rename): its lines are found
/// again by their text, and the lone `}` that closes the function, which
/// has no letter to be found by, went in as the person's: one AI line
/// fewer, under a policy's `min_ai_lines` the difference between a unit
/// that needs sign-off and one that does not. A line with no letter that
/// follows an agent's line found again, as it followed it in the agent's
/// text, comes with it.
#[test]
fn the_closing_brace_of_an_agents_function_moves_with_it() {
    let repo = start(&[]);
    let wipe = "export function wipe(db) {\n  db.dropAll();\n  return true;\n}\n";
    agent_writes(&repo, "src/new.js", wipe);
    std::fs::rename(repo.root().join("src/new.js"), repo.root().join("src/cleanup.js")).unwrap();
    assert_eq!(commit_and_verify(&repo), vec![("src/cleanup.js".to_string(), "wipe".to_string())]);
    let note = repo.note("HEAD");
    let file = note.iter().find(|r| r["path"] == "src/cleanup.js").unwrap_or_else(|| panic!("{note:?}"));
    assert_eq!(file["ai"], serde_json::json!([[1, 4]]), "{note:?}");
}

/// Claude Code's Edit of `rel` replacing `old` by `new`, with both hooks
/// around the tool.
fn agent_edits(repo: &VouchRepo, rel: &str, old: &str, new: &str) {
    let input = serde_json::json!({ "file_path": repo.root().join(rel), "old_string": old, "new_string": new });
    repo.claude_hook("PreToolUse", "Edit", "toolu_e", input.clone());
    let path = repo.root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(old), "the edit applies");
    std::fs::write(&path, text.replacen(old, new, 1)).unwrap();
    repo.claude_hook("PostToolUse", "Edit", "toolu_e", input);
}

/// Red team (rt29c A1): an agent changes one line of a person's file, or
/// removes its check, and the person renames the file (or its directory)
/// before committing. The journal holds the agent's edit at the old path,
/// and only blocks of two lines or more were looked for elsewhere: the
/// commit was noted "no AI" and verify passed the change. A file the next
/// commit renames is viewed with the records of its old path too.
#[test]
fn an_agents_edit_of_a_file_the_person_then_renames_needs_sign_off() {
    const AUTH: &str = "def p1(x):\n    if not x.admin:\n        raise PermissionError(x)\n    return x\n\n\n\
                        def p2(x):\n    return x\n";
    for (rename, path) in [("src/auth.py:src/authz.py", "src/authz.py"), ("src:core", "core/auth.py")] {
        for (old, new) in [
            ("def p2(x):\n    return x\n", "def p2(x):\n    return x * 2\n"),
            ("    if not x.admin:\n        raise PermissionError(x)\n", ""),
        ] {
            let repo = start(&[("src/auth.py", AUTH)]);
            agent_edits(&repo, "src/auth.py", old, new);
            let (from, to) = rename.split_once(':').unwrap();
            repo.ok(&["mv", from, to]);
            let failures = commit_and_verify(&repo);
            assert_eq!(failures.len(), 1, "{rename}, {new:?}: {failures:?}");
            assert_eq!(failures[0].0, path, "{rename}, {new:?}: {failures:?}");
        }
    }
}

/// Red team (rt29c A2, A3): an agent's commit, then its text committed
/// again under another name: reset and recommitted with the file renamed,
/// or squashed with a person's later rename of it (a soft reset, `git
/// merge --squash`). The new commit takes its AI lines from the commits
/// its text came from, which were read at the same path only: its note
/// said "no AI" and verify passed the agent's function. A file the new
/// commit renames takes them from its old path too.
#[test]
fn an_agents_commit_made_again_under_another_name_keeps_its_ai_lines() {
    const APP: &str = "def f(x):\n    return x\n";
    const AI: &str = "\n\ndef g(x):\n    if x > 10:\n        return x - 10\n    return x + 100\n";
    for how in ["reset --mixed", "reset --soft", "reset into a directory", "squash a rename", "merge --squash"] {
        let repo = start(&[("src/app.py", APP)]);
        agent_edits(&repo, "src/app.py", APP, &format!("{APP}{AI}"));
        repo.ok(&["commit", "-q", "-am", "agent work"]);
        assert!(repo.note("HEAD").iter().any(|r| r["path"] == "src/app.py" && r["ai"] != serde_json::json!([])));
        let path = match how {
            "reset --mixed" => {
                repo.ok(&["reset", "-q", "HEAD~1"]);
                repo.ok(&["add", "-A"]);
                repo.ok(&["mv", "src/app.py", "src/core.py"]);
                "src/core.py"
            }
            "reset --soft" => {
                repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
                repo.ok(&["mv", "src/app.py", "src/core.py"]);
                "src/core.py"
            }
            "reset into a directory" => {
                repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
                std::fs::create_dir_all(repo.root().join("lib")).unwrap();
                repo.ok(&["mv", "src/app.py", "lib/app.py"]);
                "lib/app.py"
            }
            "squash a rename" => {
                repo.ok(&["mv", "src/app.py", "src/core.py"]);
                repo.ok(&["commit", "-q", "-m", "rename"]);
                repo.ok(&["reset", "-q", "--soft", "main"]);
                "src/core.py"
            }
            _ => {
                repo.ok(&["mv", "src/app.py", "src/core.py"]);
                repo.ok(&["commit", "-q", "-m", "rename"]);
                repo.ok(&["checkout", "-q", "-b", "squashed", "main"]);
                repo.ok(&["merge", "-q", "--squash", "feature"]);
                "src/core.py"
            }
        };
        let failures = commit_and_verify(&repo);
        assert_eq!(failures, vec![(path.to_string(), "g".to_string())], "{how}");
    }
}

/// Round two (rt29d F6, F7): the same, renamed over a path HEAD holds
/// (`git mv -f`, or names rotated: `other` to `other2`, then `auth` to
/// `other`). git reports the path it lands on as changed, not renamed,
/// unless renames are looked for among rewrites: the agent's edit, and
/// its function after a reset and a re-commit, were noted "no AI".
#[test]
fn an_agents_work_renamed_over_an_existing_path_needs_sign_off() {
    const AUTH: &str = "def p1(x):\n    if not x.admin:\n        raise PermissionError(x)\n    return x\n\n\n\
                        def p2(x):\n    return x\n";
    const OTHER: &str = "def other():\n    return 0\n";
    let moves: [&[&[&str]]; 2] = [
        &[&["mv", "-f", "src/auth.py", "src/other.py"]],
        &[&["mv", "src/other.py", "src/other2.py"], &["mv", "src/auth.py", "src/other.py"]],
    ];
    for recommit in [false, true] {
        for moves in moves {
            let repo = start(&[("src/auth.py", AUTH), ("src/other.py", OTHER)]);
            agent_edits(&repo, "src/auth.py", "def p2(x):\n    return x\n", "def p2(x):\n    return x * 2\n");
            if recommit {
                repo.ok(&["commit", "-q", "-am", "agent work"]);
                repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
            }
            for args in moves {
                repo.ok(args);
            }
            let failures = commit_and_verify(&repo);
            assert_eq!(failures, [("src/other.py".to_string(), "p2".to_string())], "{moves:?}, recommit {recommit}");
        }
    }
}

/// Red team (rt29c A3): an agent's commit and a person's rename of its
/// file squashed by `git rebase -i` (the post-rewrite hook dropped the
/// record whose path was gone), and the agent's commit picked with `-x`
/// onto a branch where a person renamed the file (git applies it at the new
/// path; the record stayed at the old one): both were noted "no AI".
#[test]
fn an_agents_commit_squashed_or_picked_across_a_rename_keeps_its_ai_lines() {
    const APP: &str = "def f(x):\n    return x\n";
    const AI: &str = "\n\ndef g(x):\n    if x > 10:\n        return x - 10\n    return x + 100\n";
    for how in ["rebase -i squash", "cherry-pick -x"] {
        let repo = start(&[("src/app.py", APP)]);
        agent_edits(&repo, "src/app.py", APP, &format!("{APP}{AI}"));
        repo.ok(&["commit", "-q", "-am", "agent work"]);
        let agent = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
        if how == "rebase -i squash" {
            repo.ok(&["mv", "src/app.py", "src/core.py"]);
            repo.ok(&["commit", "-q", "-m", "rename"]);
            let run = repo
                .command("git", &["rebase", "-q", "-i", "main"])
                .env("GIT_SEQUENCE_EDITOR", "sed -i '2s/^pick/squash/'")
                .env("GIT_EDITOR", "true")
                .output()
                .unwrap();
            assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
            assert_eq!(repo.ok(&["rev-list", "--count", "main..HEAD"]).trim(), "1");
        } else {
            repo.ok(&["checkout", "-q", "-b", "other", "main"]);
            repo.ok(&["mv", "src/app.py", "src/core.py"]);
            repo.ok(&["commit", "-q", "-m", "rename"]);
            repo.ok(&["cherry-pick", "-x", &agent]);
        }
        let (_, report) = repo.verify("main..HEAD");
        let failures: Vec<(&str, &str)> = report["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap_or(""), f["name"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(failures, [("src/core.py", "g")], "{how}: {report:#}");
    }
}
