//! An AI change that only deletes lines (issue 13): an agent removes the
//! permission check of a function a person wrote. Nothing AI-written is
//! left in HEAD, yet the function does something else now. The unit that
//! lost the lines needs sign-off as AI-changed (its approval covers its
//! current text, so approving it covers the deletion); a deletion outside
//! every unit that is left (a function deleted whole) makes the file's
//! whole-file unit need sign-off. Every view agrees: `vouch verify`, the
//! gate on the index, `vouch status` and the language server. A person's
//! deletion stays unflagged, and a deletion adds no AI line to any count.
//!
//! Each scenario runs from the attacker's side through the real `vouch`
//! binary, real git, and (where a person works) the hooks `vouch init`
//! installs.

mod support {
    pub mod lsp;
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
    pub mod world;
}

use serde_json::Value;
use support::run::Run;
use support::vouch_repo::{VouchRepo, deref_to_inner};
use support::world::{Decision, TRAILER, World, details, failures, only_failure};

const POLICY: &str = "reviewers = [\"alice@example.com\"]\n";
/// The gate warns (so the agent's work can be committed through the hooks);
/// alice reviews.
const WARN: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";
/// The gate blocks; alice reviews.
const BLOCK: &str = "reviewers = [\"alice@example.com\"]\n";

const GUARDED: &str = "pub struct User {\n    pub admin: bool,\n}\n\n\
pub fn delete_user(actor: &User, id: u64) -> Result<u64, String> {\n    if !actor.admin {\n        return Err(\"forbidden\".into());\n    }\n    Ok(id)\n}\n";

const UNGUARDED: &str = "pub struct User {\n    pub admin: bool,\n}\n\n\
pub fn delete_user(actor: &User, id: u64) -> Result<u64, String> {\n    Ok(id)\n}\n";

/// The check as the agent's Edit replaces it.
const CHECK_OLD: &str = "    if !actor.admin {\n        return Err(\"forbidden\".into());\n    }\n    Ok(id)\n";
const CHECK_NEW: &str = "    Ok(id)\n";

/// A file with an audit function a person wrote before `delete_user`.
const WITH_AUDIT: &str = "pub struct User {\n    pub admin: bool,\n}\n\n\
pub fn audit(actor: &User) -> bool {\n    actor.admin\n}\n\n\
pub fn delete_user(actor: &User, id: u64) -> Result<u64, String> {\n    Ok(id)\n}\n";

/// The same with `audit` gone.
const WITHOUT_AUDIT: &str = UNGUARDED;

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Commits with history evidence (a trailer): `vouch verify` in CI.

/// A feature branch of clone `a` whose one commit, with Claude's trailer,
/// turns `before` (on main) into `after`.
fn trailer_commit(before: &str, after: &str) -> (World, support::world::Clone) {
    let world = World::new(POLICY);
    world.on_main(&[("src/auth.rs", before)]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/auth.rs", after);
    a.commit("simplify delete_user", Some(TRAILER));
    (world, a)
}

#[test]
fn an_ai_commit_that_only_deletes_a_permission_check_needs_sign_off() {
    let (world, a) = trailer_commit(GUARDED, UNGUARDED);
    let diff = a.git(&["diff", "--numstat", "origin/main..HEAD"]);
    assert_eq!(diff.trim(), "0\t3\tsrc/auth.rs", "the AI commit only deletes");

    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], "src/auth.rs", "{report:#}");
    assert_eq!(failure["kind"], "function", "{report:#}");
    assert_eq!(failure["name"], "delete_user", "the unit that lost the lines: {report:#}");
    assert_eq!((failure["line"].as_u64(), failure["end_line"].as_u64()), (Some(5), Some(7)), "{report:#}");
    assert!(str_of(&failure["reason"]).contains("deleted"), "{report:#}");
    let said = details(failure);
    assert!(
        said.iter().any(|d| d.contains("deleted 3 line(s)") && d.contains("if !actor.admin") && d.contains("trailer")),
        "the reviewer is told what went and why it counts: {said:#?}"
    );
    // A deletion adds no AI line; it is counted as what it is.
    let coverage = &report["coverage"];
    assert_eq!(coverage["ai_lines"], 0, "{report:#}");
    assert_eq!(coverage["ai_deletions"], 1, "{report:#}");
    assert!(coverage.to_string().contains("trailer: claude"), "{report:#}");
    let log = a.run(&["log", "origin/main..HEAD", "--format", "json"]);
    let log: Value = serde_json::from_str(&log.stdout).unwrap_or_else(|e| panic!("{e}: {log:?}"));
    assert_eq!((log[0]["ai_lines"].as_u64(), log[0]["ai_deleted_lines"].as_u64()), (Some(0), Some(3)), "{log:#}");
    // The author may not approve it; alice's approval of the function as it
    // is now covers the deletion.
    let participants: Vec<&str> = failure["participants"].as_array().unwrap().iter().map(str_of).collect();
    assert!(participants.contains(&"dev@example.com"), "{report:#}");
    let fingerprint = str_of(&failure["fingerprint"]).to_string();
    world.decide(&a, &fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    let approved = report["approved"].as_array().unwrap();
    assert_eq!(approved.len(), 1, "{report:#}");
    assert_eq!(approved[0]["name"], "delete_user", "{report:#}");
}

#[test]
fn a_person_deleting_the_check_is_not_flagged() {
    let world = World::new(POLICY);
    world.on_main(&[("src/auth.rs", GUARDED)]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/auth.rs", UNGUARDED);
    a.commit("simplify delete_user", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert!(failures(&report).is_empty(), "{report:#}");
    assert_eq!(report["coverage"]["ai_deletions"], 0, "{report:#}");
}

/// A person who only removed a line from a function an AI wrote on the
/// branch took part in it, as one who changed a line of it does: her
/// approval of it does not count, and an override given before her
/// removal, naming only the AI's commit, does not cover it. (Red team:
/// Eve, a reviewer, deleted the authorization check of Dev's AI-written
/// `delete_user` and approved it herself; an override of the AI commit
/// kept covering the function after the check was gone.)
#[test]
fn a_person_who_only_removed_a_line_of_an_ai_function_took_part_in_it() {
    let policy = "reviewers = [\"alice@example.com\", \"eve@example.com\"]\n\
                  require_signatures = true\nallowed_signers = \".vouch/allowed_signers\"\n\
                  allow_override = true\noverride_by = [\"mallory@example.com\"]\n";
    let world = World::new(policy);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/lib.rs", GUARDED);
    a.commit("delete_user", Some(TRAILER));
    let ai_commit = a.git(&["rev-parse", "HEAD"]).trim().to_string();

    // Mallory overrides the range as it is (the AI commit only).
    world.sign_override(&a, "mallory", "incident 7", &[ai_commit]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "the override covers the AI commit: {report:#}");

    // Eve removes the check, and nothing else.
    a.git(&["config", "user.email", "eve@example.com"]);
    a.write("src/lib.rs", UNGUARDED);
    a.commit("tidy", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "the override names the AI commit, not Eve's removal: {report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["name"], "delete_user", "{report:#}");
    assert_eq!(failure["commits"].as_array().map(Vec::len), Some(2), "both commits touched it: {report:#}");
    let participants: Vec<&str> = failure["participants"].as_array().unwrap().iter().map(str_of).collect();
    assert!(participants.contains(&"eve@example.com"), "{report:#}");
    assert!(participants.contains(&"dev@example.com"), "{report:#}");

    let fingerprint = str_of(&failure["fingerprint"]).to_string();
    world.decide(&a, &fingerprint, Decision::by("eve"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "Eve's approval of what she changed does not count: {report:#}");
    only_failure(&report, "unapproved-ai");
    world.decide(&a, &fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");

    // The same removal before the unit's first line (a decorator, an
    // attribute): Eve removes `#[must_use]` from an AI function.
    let world = World::new(policy);
    let b = world.clone_as("b", "dev");
    b.git(&["checkout", "-q", "-b", "feature"]);
    b.write("src/lib.rs", &GUARDED.replace("pub fn delete_user", "#[must_use]\npub fn delete_user"));
    b.commit("delete_user", Some(TRAILER));
    b.git(&["config", "user.email", "eve@example.com"]);
    b.write("src/lib.rs", GUARDED);
    b.commit("tidy", None);
    let (code, report) = b.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let participants = |name: &str| -> Vec<String> {
        let failure = failures(&report).iter().find(|f| f["name"] == name).expect("a failure");
        failure["participants"].as_array().unwrap().iter().map(|p| str_of(p).to_string()).collect()
    };
    assert_eq!(participants("delete_user"), ["dev@example.com", "eve@example.com"], "{report:#}");
    assert_eq!(participants("User"), ["dev@example.com"], "Eve touched only delete_user: {report:#}");

    // After the unit's last line (red team, second round: the last
    // statement of a Python function, which no brace closes); and not a
    // blank line above a unit, which touches nothing in it.
    let pay = "\n\n\ndef pay(user, amount):\n    charge(user, amount)\n    check_fraud(user, amount)\n";
    let world = World::new(policy);
    let c = world.clone_as("c", "dev");
    c.git(&["checkout", "-q", "-b", "feature"]);
    c.write("src/pay.py", pay);
    c.commit("pay", Some(TRAILER));
    c.git(&["config", "user.email", "eve@example.com"]);
    c.write("src/pay.py", &pay.replace("    check_fraud(user, amount)\n", "").replacen("\n", "", 1));
    c.commit("tidy", None);
    let (code, report) = c.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["name"], "pay", "{report:#}");
    assert_eq!(failure["participants"], serde_json::json!(["dev@example.com", "eve@example.com"]), "{report:#}");
    assert_eq!(failure["commits"].as_array().map(Vec::len), Some(2), "{report:#}");
    c.git(&["reset", "-q", "--hard", "HEAD~1"]);
    c.write("src/pay.py", &pay.replacen("\n", "", 1));
    c.commit("two blank lines", None);
    let (_, report) = c.verify("origin/main..HEAD");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["participants"], serde_json::json!(["dev@example.com"]), "a blank line: {report:#}");
}

#[test]
fn an_ai_deletion_undone_later_in_the_range_needs_nothing() {
    let (_world, a) = trailer_commit(GUARDED, UNGUARDED);
    a.write("src/auth.rs", GUARDED);
    a.commit("put the check back", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert!(failures(&report).is_empty(), "{report:#}");
}

#[test]
fn an_ai_deletion_from_a_function_written_earlier_on_the_branch_needs_sign_off() {
    // The person writes the guarded function on the branch; the agent then
    // removes its check. Nothing of BASE is missing, yet the AI changed it.
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/auth.rs", GUARDED);
    a.commit("delete_user", None);
    a.write("src/auth.rs", UNGUARDED);
    a.commit("simplify delete_user", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");
}

#[test]
fn an_ai_deletion_survives_a_person_editing_the_function_afterwards() {
    let (_world, a) = trailer_commit(GUARDED, UNGUARDED);
    // A person reformats the signature in a later commit: the function
    // still lost its check to the AI.
    a.write("src/auth.rs", &UNGUARDED.replace("id: u64)", "id: u64,)"));
    a.commit("format", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["name"], "delete_user", "{report:#}");
    assert_eq!(failure["commits"].as_array().map(Vec::len), Some(2), "both commits touched it: {report:#}");
}

/// Red team: the AI's removal of the check was lost on its way to HEAD,
/// and verify passed a range whose diff from BASE is exactly the check
/// gone: a person removed the file and restored it in the next commit (the
/// removal's place went with the file), or edited the lines around the
/// place and reverted the edit (the place moved with the edit, and no
/// longer matched where BASE's lines are missing). What an AI removed and
/// the range leaves removed needs sign-off, however it got there.
#[test]
fn an_ai_deletion_survives_the_file_removed_and_restored_or_an_edit_reverted() {
    let (_world, a) = trailer_commit(GUARDED, UNGUARDED);
    a.git(&["rm", "-q", "src/auth.rs"]);
    a.commit("remove auth", None);
    a.git(&["checkout", "HEAD~1", "--", "src/auth.rs"]);
    a.commit("restore auth", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");

    // Restored with a comment or a blank line where the check was (red
    // team, second round).
    for filler in ["    // checked by the caller\n", "\n"] {
        let (_world, r) = trailer_commit(GUARDED, UNGUARDED);
        r.git(&["rm", "-q", "src/auth.rs"]);
        r.commit("remove auth", None);
        r.write("src/auth.rs", &UNGUARDED.replace("    Ok(id)\n", &format!("{filler}    Ok(id)\n")));
        r.commit("restore auth", None);
        let (code, report) = r.verify("origin/main..HEAD");
        assert_eq!(code, 1, "{filler:?}: {report:#}");
        assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");
    }

    let (_world, b) = trailer_commit(GUARDED, UNGUARDED);
    let spaced: String = UNGUARDED
        .lines()
        .enumerate()
        .map(|(i, l)| if (4..6).contains(&i) { format!("{l} \n") } else { format!("{l}\n") })
        .collect();
    b.write("src/auth.rs", &spaced);
    b.commit("whitespace", None);
    b.git(&["revert", "--no-edit", "HEAD"]);
    let (code, report) = b.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["name"], "delete_user", "{report:#}");
    let said = details(failure);
    assert!(said.iter().any(|d| d.contains("before line 6") && d.contains("if !actor.admin")), "{said:#?}");
}

/// Red team, second round: the file the AI removed the check from was
/// removed, and its text added back under another name in a later commit
/// (a rename in two commits, which git's rename detection, commit by
/// commit, does not see), or renamed, then removed and restored. A file
/// added back with most of a file the range removed is that file, as a
/// rename is.
#[test]
fn an_ai_deletion_survives_a_rename_made_in_two_commits() {
    let (_world, a) = trailer_commit(GUARDED, UNGUARDED);
    a.git(&["rm", "-q", "src/auth.rs"]);
    a.commit("remove auth", None);
    a.write("src/users.rs", UNGUARDED);
    a.commit("users", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!((failure["path"].as_str(), failure["name"].as_str()), (Some("src/users.rs"), Some("delete_user")));
    // The lines BASE had are BASE's, as through a rename: not of unknown
    // origin.
    assert_eq!(report["coverage"]["unknown_lines"], 0, "{report:#}");

    let (_world, b) = trailer_commit(GUARDED, UNGUARDED);
    b.git(&["mv", "src/auth.rs", "src/users.rs"]);
    b.commit("rename", None);
    b.git(&["rm", "-q", "src/users.rs"]);
    b.commit("remove users", None);
    b.git(&["checkout", "HEAD~1", "--", "src/users.rs"]);
    b.commit("restore users", None);
    let (code, report) = b.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");

    // Red team, round two: added back by a merge commit of its own.
    let (_world, m) = trailer_commit(GUARDED, UNGUARDED);
    m.git(&["rm", "-q", "src/auth.rs"]);
    m.commit("remove auth", None);
    m.git(&["checkout", "-q", "-b", "side", "HEAD~1"]);
    m.write("README", "side\n");
    m.commit("side", None);
    m.git(&["checkout", "-q", "feature"]);
    m.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    m.write("src/users.rs", UNGUARDED);
    m.git(&["add", "src/users.rs"]);
    m.git(&["commit", "-q", "--no-verify", "-m", "merge side"]);
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");

    // The gate, when the text comes back in the commit being made: the
    // removal is an earlier commit's (the gate judges what the commit
    // brings, and says what earlier commits leave unapproved).
    let (_world, c) = trailer_commit(GUARDED, UNGUARDED);
    c.git(&["rm", "-q", "src/auth.rs"]);
    c.commit("remove auth", None);
    c.write("src/users.rs", UNGUARDED);
    c.git(&["add", "src/users.rs"]);
    let gate = c.vouch(&["check", "--staged", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&gate.stdout).unwrap();
    assert_eq!(report["earlier_units_lacking_signoff"], 1, "{report:#}");
}

/// Red team, ordinary work: a person wrote a function with its check in
/// the range, an AI commit removed the check, and the person reverted that
/// commit (or put the check back by hand). HEAD is the person's commit
/// again, yet verify asked for sign-off of an AI removal: the rule that
/// drops a removal undone looked only for BASE's lines. Lines an AI removed
/// that come back where they were, as they were, undo its removal.
#[test]
fn an_ai_removal_of_a_persons_lines_that_is_reverted_needs_nothing() {
    let world = World::new(POLICY);
    world.on_main(&[("src/auth.rs", "pub struct User {\n    pub admin: bool,\n}\n")]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/auth.rs", GUARDED);
    a.commit("delete_user", None);
    a.write("src/auth.rs", UNGUARDED);
    a.commit("simplify delete_user", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "the removal needs sign-off: {report:#}");
    a.git(&["revert", "--no-edit", "HEAD"]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "reverted: {report:#}");
    assert_eq!(report["coverage"]["ai_deletions"], 0, "{report:#}");

    // Put back by hand, with the indentation of the rest of the file.
    a.write("src/auth.rs", UNGUARDED);
    a.commit("simplify again", Some(TRAILER));
    a.write("src/auth.rs", GUARDED);
    a.commit("the check is needed", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "put back: {report:#}");

    // Red team, round two: the same lines put back inside something that
    // never runs (a function never called, a comment block) restore
    // nothing: the removal stands.
    for (open, close) in [("    fn _unused() {\n", "    }\n"), ("    /*\n", "    */\n")] {
        a.write("src/auth.rs", UNGUARDED);
        a.commit("simplify yet again", Some(TRAILER));
        let check = "    if !actor.admin {\n        return Err(\"forbidden\".into());\n    }\n";
        a.write("src/auth.rs", &GUARDED.replace(check, &format!("{open}{check}{close}")));
        a.commit("is it back?", None);
        let (code, report) = a.verify("origin/main..HEAD");
        assert_eq!(code, 1, "{open:?}: {report:#}");
        a.write("src/auth.rs", GUARDED);
        a.commit("back for real", None);
    }

    // Put back only in part: the removal stands.
    a.write("src/auth.rs", UNGUARDED);
    a.commit("simplify once more", Some(TRAILER));
    a.write("src/auth.rs", &GUARDED.replace("        return Err(\"forbidden\".into());\n", ""));
    a.commit("half of it", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "in part: {report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");
}

/// Red team, round two, against the rule above: a person removed an AI's
/// test file and wrote their own, sharing the imports and the fixture
/// (half its lines). Found again as the AI's file, the person's new test
/// was taken for a rewording of the AI's and flagged. A file found again
/// keeps the tags of the lines it kept and the AI's removals; what it
/// changed is its author's.
#[test]
fn a_persons_new_file_sharing_boilerplate_with_a_removed_ai_file_stays_theirs() {
    let fixture = "import pytest\nfrom app import create_app\n\n\n@pytest.fixture\ndef client():\n    app = create_app()\n    app.config[\"TESTING\"] = True\n    return app.test_client()\n\n\n";
    let ai = format!(
        "{fixture}def test_index(client):\n    resp = client.get(\"/\")\n    assert resp.status_code == 200\n    assert resp.json[\"ok\"] is True\n"
    );
    let mine = format!(
        "{fixture}def test_about_page_renders(client):\n    page = client.get(\"/about\")\n    assert page.status_code == 200\n    assert b\"About us\" in page.data\n"
    );
    let world = World::new(POLICY);
    world.on_main(&[("README", "tests\n")]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("tests/test_api.py", &ai);
    a.commit("api tests", Some(TRAILER));
    a.git(&["rm", "-q", "tests/test_api.py"]);
    a.commit("drop the AI's tests", None);
    a.write("tests/test_views.py", &mine);
    a.commit("my view tests", None);
    let (_, report) = a.verify("origin/main..HEAD");
    let names: Vec<&str> = failures(&report).iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(!names.contains(&"test_about_page_renders"), "the person's test: {report:#}");
}

/// Red team, round two: the AI removed BASE's check; a person put back its
/// first line and its closing brace around a statement that does nothing
/// (`if !admin { let _ = id; }`). The lines around the removal's place were BASE's again, next to
/// each other as in BASE, and the removal was dropped as undone. A removal
/// stands while BASE's lines it could have held are still missing there.
#[test]
fn an_ai_removal_of_base_lines_put_back_in_part_stands() {
    let (_world, a) = trailer_commit(GUARDED, UNGUARDED);
    a.write("src/auth.rs", &GUARDED.replace("        return Err(\"forbidden\".into());\n", "        let _ = id;\n"));
    a.commit("the check, sort of", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");
    // Put back whole, it is undone.
    a.write("src/auth.rs", GUARDED);
    a.commit("the check", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// The other side of finding a lost removal again (red team, second
/// round): the AI removed a check from one function and a person the same
/// check from another. The AI's removal stands where it was made; the
/// person's, of the same text, is not taken for a second one of the AI's.
#[test]
fn a_persons_removal_of_the_text_an_ai_removed_elsewhere_stays_theirs() {
    let twice = format!("{GUARDED}\n{}", GUARDED.split_once("\n\n").unwrap().1.replace("delete_user", "ban_user"));
    let (_world, a) = trailer_commit(&twice, &twice.replacen(CHECK_OLD, CHECK_NEW, 1));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");
    a.write("src/auth.rs", &twice.replace(CHECK_OLD, CHECK_NEW));
    a.commit("ban_user too", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "not ban_user: {report:#}");
    assert_eq!(report["coverage"]["ai_deletions"], 1, "{report:#}");
}

#[test]
fn an_ai_commit_deleting_a_whole_function_needs_the_file_signed_off() {
    let (world, a) = trailer_commit(WITH_AUDIT, WITHOUT_AUDIT);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], "src/auth.rs", "{report:#}");
    assert_eq!(failure["kind"], "whole-file", "no unit is left to show: the file is: {report:#}");
    assert_eq!(failure["line"], 1, "{report:#}");
    let said = details(failure);
    assert!(
        said.iter().any(|d| d.contains("deleted 4 line(s)") && d.contains("pub fn audit")),
        "the reviewer is told what went: {said:#?}"
    );
    assert_eq!(report["coverage"]["ai_lines"], 0, "{report:#}");
    let fingerprint = str_of(&failure["fingerprint"]).to_string();
    world.decide(&a, &fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "approving the file as it is now covers the deletion: {report:#}");
}

// ---------------------------------------------------------------------------
// An agent's hook (Claude Code): the journal, the gate, the note, status,
// the editor.

struct Repo {
    inner: VouchRepo,
}

deref_to_inner!(Repo);

impl Repo {
    /// `vouch init --agent claude-code` with `policy` and `src/auth.rs`,
    /// committed on main; then a branch `feature`.
    fn init(policy: &str, auth: &str) -> Repo {
        let inner = VouchRepo::init_with(&[(".vouch.toml", policy), ("src/auth.rs", auth)], &[]);
        inner.ok(&["checkout", "-q", "-b", "feature"]);
        Repo { inner }
    }

    /// Claude Code's Edit of `rel` replacing `old` by `new`, with both hooks
    /// around the tool: its PostToolUse output.
    fn agent_edit(&self, rel: &str, old: &str, new: &str, id: &str) -> Run {
        let input = serde_json::json!({"file_path": self.root().join(rel), "old_string": old, "new_string": new});
        self.claude_hook("PreToolUse", "Edit", id, input.clone());
        let text = self.read(rel);
        assert!(text.contains(old), "the edit applies");
        self.write(rel, &text.replacen(old, new, 1));
        self.claude_hook("PostToolUse", "Edit", id, input)
    }

    fn as_user(&self, name: &str) {
        self.ok(&["config", "user.email", &format!("{name}@example.com")]);
    }

    /// `vouch status` units of `version` (`index`, `worktree`).
    fn status_units(&self, version: &str) -> Vec<Value> {
        let run = self.vouch(&["status", "--format", "json"]);
        assert_eq!(run.code, 0, "{run:?}");
        let status: Value = serde_json::from_str(&run.stdout).unwrap();
        status[version].as_array().unwrap().clone()
    }

    fn gate(&self) -> (i32, Value) {
        let run = self.vouch(&["check", "--staged", "--format", "json"]);
        assert!(run.code == 0 || run.code == 1, "{run:?}");
        (run.code, serde_json::from_str(&run.stdout).unwrap())
    }
}

fn named<'a>(units: &'a [Value], name: &str) -> Vec<&'a Value> {
    units.iter().filter(|u| u["name"] == name).collect()
}

#[test]
fn a_claude_code_edit_that_deletes_the_check_is_noted_and_needs_sign_off() {
    let repo = Repo::init(WARN, GUARDED);
    let run = repo.agent_edit("src/auth.rs", CHECK_OLD, CHECK_NEW, "toolu_del");
    assert!(run.stderr.contains("deleted 3 line(s)"), "the hook says what it recorded: {run:?}");
    assert_eq!(repo.read("src/auth.rs"), UNGUARDED);

    // Before the commit: status asks for the function, with no AI line.
    let units = repo.status_units("worktree");
    let found = named(&units, "delete_user");
    assert_eq!(found.len(), 1, "{units:#?}");
    assert_eq!(found[0]["state"], "pending", "{units:#?}");
    assert_eq!(found[0]["ai_lines"], 0, "a deletion adds no AI line: {units:#?}");
    assert_eq!(found[0]["ai_deleted"], 3, "{units:#?}");
    let evidence = found[0]["evidence"].to_string();
    assert!(evidence.contains("AI deletion"), "{units:#?}");

    // Committed through the hooks (the gate warns): the note records the
    // deletion, not a `no-ai` attestation.
    repo.ok(&["add", "-A"]);
    let run = repo.git_run(&["commit", "-q", "-m", "simplify delete_user"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.all().contains("delete_user"), "the warning names the unit: {run:?}");
    let note = repo.note("HEAD");
    assert!(!note.iter().any(|r| r["attest"] == "no-ai"), "{note:#?}");
    let record = note.iter().find(|r| r["path"] == "src/auth.rs").unwrap_or_else(|| panic!("{note:#?}"));
    assert_eq!(record["deleted_before"], serde_json::json!([6]), "{record:#}");
    assert_eq!(record["ai"], serde_json::json!([]), "{record:#}");
    assert_eq!(record["origin"]["tool"], "claude-code", "{record:#}");

    // CI: verify fails on the function, and counts no AI line.
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["name"], "delete_user", "{report:#}");
    assert_eq!(report["coverage"]["ai_lines"], 0, "{report:#}");
    assert_eq!(report["coverage"]["ai_deletions"], 1, "{report:#}");
    let said = details(failure);
    assert!(said.iter().any(|d| d.contains("vouch note")), "{said:#?}");
}

#[test]
fn a_trailer_commit_through_the_hooks_notes_its_deletions() {
    let repo = Repo::init(WARN, GUARDED);
    repo.write("src/auth.rs", UNGUARDED);
    repo.ok(&["add", "-A"]);
    let run = repo.git_run(&["commit", "-q", "-m", &format!("simplify delete_user\n\n{TRAILER}\n")]);
    assert_eq!(run.code, 0, "{run:?}");
    // The note says what the trailer says: never `no-ai`.
    let note = repo.note("HEAD");
    assert!(!note.iter().any(|r| r["attest"] == "no-ai"), "{note:#?}");
    let record = note.iter().find(|r| r["path"] == "src/auth.rs").unwrap_or_else(|| panic!("{note:#?}"));
    assert_eq!(record["deleted_before"], serde_json::json!([6]), "{record:#}");
    assert_eq!(record["evidence"], "history", "{record:#}");
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["name"], "delete_user", "no note-mismatch, the function: {report:#}");
}

#[test]
fn a_local_squash_of_an_ai_deletion_carries_it() {
    let repo = Repo::init(WARN, GUARDED);
    repo.write("src/auth.rs", UNGUARDED);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "--no-verify", "-m", &format!("simplify delete_user\n\n{TRAILER}\n")]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["merge", "-q", "--squash", "feature"]);
    // The gate already asks for the function the squash changes.
    let (_, report) = repo.gate();
    let units = report["units"].as_array().unwrap();
    assert_eq!(named(units, "delete_user").len(), 1, "{report:#}");
    let run = repo.git_run(&["commit", "-q", "-m", "squashed feature"]);
    assert_eq!(run.code, 0, "{run:?}");
    let note = repo.note("HEAD");
    let record = note.iter().find(|r| r["path"] == "src/auth.rs").unwrap_or_else(|| panic!("{note:#?}"));
    assert_eq!(record["deleted_before"], serde_json::json!([6]), "{record:#}");
    let (code, report) = repo.verify("HEAD~1..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");
}

#[test]
fn a_server_squash_rebuilt_from_the_branch_notes_keeps_the_deletion() {
    let repo = Repo::init(WARN, GUARDED);
    repo.agent_edit("src/auth.rs", CHECK_OLD, CHECK_NEW, "toolu_del");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "simplify delete_user"]);
    // The forge squashes the branch into main: no hook, no note.
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["-c", "core.hooksPath=/dev/null", "merge", "-q", "--squash", "feature"]);
    repo.ok(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "simplify delete_user (#1)"]);
    assert!(repo.note("HEAD").is_empty());
    let run = repo.vouch(&["notes", "rebuild", "HEAD~1..HEAD", "--source", "feature"]);
    assert_eq!(run.code, 0, "{run:?}");
    let note = repo.note("HEAD");
    let record = note.iter().find(|r| r["path"] == "src/auth.rs").unwrap_or_else(|| panic!("{note:#?}"));
    assert_eq!(record["deleted_before"], serde_json::json!([6]), "{record:#}");
    let (code, report) = repo.verify("HEAD~1..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "delete_user", "{report:#}");
}

#[test]
fn the_gate_refuses_a_staged_ai_deletion_until_it_is_approved() {
    let repo = Repo::init(BLOCK, GUARDED);
    repo.agent_edit("src/auth.rs", CHECK_OLD, CHECK_NEW, "toolu_del");
    repo.ok(&["add", "-A"]);
    let (code, report) = repo.gate();
    assert_eq!(code, 1, "{report:#}");
    let units = report["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "{report:#}");
    assert_eq!(units[0]["name"], "delete_user", "{report:#}");
    assert_eq!(units[0]["ai_deleted"], 3, "{report:#}");
    let refused = repo.git_run(&["commit", "-q", "-m", "simplify delete_user"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.all().contains("src/auth.rs:5 function `delete_user`"), "{refused:?}");

    // Requested: the reviewer's queue offers it (a request of a unit an AI
    // removed lines from names no AI line, and is not closed for that).
    let run = repo.vouch(&["request", "src/auth.rs:5", "-m", "the router checks admin now"]);
    assert_eq!(run.code, 0, "{run:?}");
    // The one who accepted the agent's edit may not approve it; alice may.
    let run = repo.vouch(&["approve", "src/auth.rs:5", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    repo.as_user("alice");
    let queue = repo.vouch(&["review", "--list", "--format", "json"]);
    let queue: Value = serde_json::from_str(&queue.stdout).unwrap_or_else(|e| panic!("{e}: {queue:?}"));
    assert_eq!(named(queue["units"].as_array().unwrap(), "delete_user").len(), 1, "{queue:#}");
    let run = repo.vouch(&["approve", "src/auth.rs:5", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    repo.as_user("dev");
    let (code, report) = repo.gate();
    assert_eq!(code, 0, "{report:#}");
    let run = repo.git_run(&["commit", "-q", "-m", "simplify delete_user"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn an_edit_hook_without_a_snapshot_and_vouch_run_record_removals_too() {
    // Claude Code's PostToolUse alone (a configuration without PreToolUse).
    let repo = Repo::init(WARN, GUARDED);
    let input = serde_json::json!({
        "file_path": repo.root().join("src/auth.rs"), "old_string": CHECK_OLD, "new_string": CHECK_NEW,
    });
    repo.write("src/auth.rs", UNGUARDED);
    let run = repo.claude_hook("PostToolUse", "Edit", "toolu_post", input);
    assert!(run.stderr.contains("deleted 3 line(s)"), "{run:?}");
    let units = repo.status_units("worktree");
    assert_eq!(named(&units, "delete_user").len(), 1, "{units:#?}");

    // An agent wrapped by `vouch run` that removes the check with sed.
    let repo = Repo::init(WARN, GUARDED);
    let run = repo.vouch(&["run", "--", "sed", "-i", "6,8d", "src/auth.rs"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(repo.read("src/auth.rs"), UNGUARDED);
    assert!(run.stderr.contains("sed deleted 3 line(s) of src/auth.rs"), "{run:?}");
    let units = repo.status_units("worktree");
    let found = named(&units, "delete_user");
    assert_eq!(found.len(), 1, "{units:#?}");
    assert_eq!(found[0]["ai_deleted"], 3, "{units:#?}");
}

#[test]
fn a_person_deleting_through_the_hooks_is_not_flagged() {
    let repo = Repo::init(BLOCK, GUARDED);
    repo.write("src/auth.rs", UNGUARDED);
    repo.ok(&["add", "-A"]);
    let (code, report) = repo.gate();
    assert_eq!(code, 0, "{report:#}");
    assert!(report["units"].as_array().unwrap().is_empty(), "{report:#}");
    repo.ok(&["commit", "-q", "-m", "simplify"]);
    assert!(repo.note("HEAD").iter().any(|r| r["attest"] == "no-ai"), "vouch saw it all: no AI");
    let (code, report) = repo.verify("main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn an_agent_write_that_deletes_here_and_adds_there_flags_both_units() {
    let repo = Repo::init(WARN, &WITH_AUDIT.replace("    Ok(id)\n", CHECK_OLD));
    // One Write: the check goes from delete_user, a line comes into audit.
    let before = repo.read("src/auth.rs");
    let after = before
        .replace(CHECK_OLD, CHECK_NEW)
        .replace("    actor.admin\n", "    log::info!(\"audit\");\n    actor.admin\n");
    let input = serde_json::json!({"file_path": repo.root().join("src/auth.rs"), "content": after});
    repo.claude_hook("PreToolUse", "Write", "toolu_w", input.clone());
    repo.write("src/auth.rs", &after);
    repo.claude_hook("PostToolUse", "Write", "toolu_w", input);
    let units = repo.status_units("worktree");
    let audit = named(&units, "audit");
    let delete = named(&units, "delete_user");
    assert_eq!((audit.len(), delete.len()), (1, 1), "{units:#?}");
    assert_eq!((audit[0]["ai_lines"].as_u64(), audit[0]["ai_deleted"].as_u64()), (Some(1), Some(0)), "{units:#?}");
    assert_eq!((delete[0]["ai_lines"].as_u64(), delete[0]["ai_deleted"].as_u64()), (Some(0), Some(3)), "{units:#?}");
}

#[test]
fn the_editor_marks_the_function_an_agent_deleted_lines_from() {
    use support::lsp::Server;
    let repo = Repo::init(WARN, GUARDED);
    repo.agent_edit("src/auth.rs", CHECK_OLD, CHECK_NEW, "toolu_del");
    let status = repo.status_units("worktree");
    let fingerprint = str_of(&named(&status, "delete_user")[0]["fingerprint"]).to_string();

    let uri = repo.uri("src/auth.rs");
    let mut server = Server::start_with_env(repo.root(), &["utf-8"], &[("HOME", repo.root().to_str().unwrap())]);
    server.open(&uri, "rust", &repo.read("src/auth.rs"));
    let diagnostics = server.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "the editor asks what status asks: {diagnostics:#?}");
    assert_eq!(diagnostics[0]["data"]["fingerprint"], fingerprint.as_str(), "{diagnostics:#?}");
    let message = str_of(&diagnostics[0]["message"]);
    assert!(message.contains("3 lines deleted"), "said as what it is, not as AI lines: {message}");
    server.shutdown();
}
