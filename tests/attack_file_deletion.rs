//! An AI change that deletes a file whole: a commit with Claude's trailer
//! removes `tests/auth_test.rs` (the tests of a security check), and
//! nothing of it is left in HEAD to show as a unit. The path that BASE has
//! and HEAD lacks, removed by a change with AI evidence, is a unit of its
//! own ("file deleted by AI") that needs sign-off in `vouch verify`, in
//! `vouch status`, and in the counts of `vouch log`; a reviewer signs it off
//! with `vouch approve --file PATH`, the commit's author may not.
//!
//! Not flagged: a person's deletion, a file the AI created and deleted
//! within the range, a file deleted and restored, a rename by an AI, a file
//! deleted on BASE's side of a merge, and a deletion in a commit whose AI
//! evidence speaks for other files only (a vouch note, a git-ai note).
//!
//! Each scenario runs from the attacker's side through the real `vouch`
//! binary and real git.

mod support {
    pub mod repo;
    pub mod run;
    pub mod world;
}

use serde_json::Value;
use support::world::{Decision, TRAILER, World, details, failures, only_failure, str_of};

/// dev (who makes the attacking commits) is a reviewer too: only their
/// part in the deletion keeps them from approving it.
const POLICY: &str = "reviewers = [\"alice@example.com\", \"dev@example.com\"]\n";

const AUTH_TEST: &str = "#[test]\nfn only_admins_may_delete_users() {\n    assert!(!may_delete(&guest()));\n}\n";
const DELETED: &str = "tests/auth_test.rs";

/// A world whose main holds [`DELETED`], and clone `a` (dev) on a branch
/// `feature` from it.
fn start() -> (World, support::world::Clone) {
    World::with_feature(POLICY, &[(DELETED, AUTH_TEST)])
}

/// [`start`], then one commit on `feature` that removes [`DELETED`], with
/// Claude's trailer.
fn ai_deletes() -> (World, support::world::Clone) {
    let (world, a) = start();
    a.git(&["rm", "-q", DELETED]);
    a.commit("drop a flaky test", Some(TRAILER));
    (world, a)
}

/// The fingerprint of deleting [`DELETED`] when it holds `text`.
fn deletion_of(text: &str) -> String {
    vouch::fingerprint::deleted_fingerprint(DELETED, vouch::fingerprint::DELETED_BLOB, text.as_bytes())
}

/// The failures of `report` about `path`.
fn about<'a>(report: &'a Value, path: &str) -> Vec<&'a Value> {
    failures(report).iter().filter(|f| f["path"] == path).collect()
}

#[test]
fn an_ai_commit_deleting_a_test_file_whole_needs_sign_off() {
    let (world, a) = ai_deletes();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "the deletion no longer passes: {report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], DELETED, "{report:#}");
    assert_eq!(failure["kind"], "deleted-file", "{report:#}");
    let reason = str_of(&failure["reason"]);
    assert!(reason.contains("deleted by AI"), "named for what it is: {reason}");
    assert!(reason.contains("trailer: claude"), "with the evidence: {reason}");
    let said = details(failure);
    assert!(said.iter().any(|d| d.contains("4 line(s)") && d.contains("trailer: claude")), "{said:#?}");
    // Bound to the path and to the text deleted (BASE's version).
    let fingerprint = str_of(&failure["fingerprint"]).to_string();
    let deleted = deletion_of(AUTH_TEST);
    assert_eq!(fingerprint, deleted, "{report:#}");
    let participants: Vec<&str> = failure["participants"].as_array().unwrap().iter().map(str_of).collect();
    assert!(participants.contains(&"dev@example.com"), "{report:#}");
    assert_eq!(failure["signoff"]["deleted_file"], true, "{report:#}");
    // Counted as what it is: no AI line, no place in a file of HEAD.
    let coverage = &report["coverage"];
    assert_eq!(coverage["ai_lines"], 0, "{report:#}");
    assert_eq!(coverage["ai_deletions"], 0, "{report:#}");
    assert_eq!(coverage["ai_deleted_files"], serde_json::json!([DELETED]), "{report:#}");
    // The text report says it, and how to approve it.
    let (_, text) = a.verify_text("origin/main..HEAD");
    assert!(text.contains(DELETED) && text.contains("deleted by AI"), "{text}");
    assert!(text.contains(&format!("files deleted by AI: {DELETED}")), "the coverage says it too: {text}");
    let markdown = a.vouch(&["verify", "origin/main..HEAD", "--format", "markdown"]);
    let markdown = String::from_utf8_lossy(&markdown.stdout);
    assert!(markdown.contains(&format!("vouch approve --file {DELETED}")), "{markdown}");

    // The commit's author approving their own deletion does not count.
    world.decide(&a, &fingerprint, Decision::by("dev"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let said = details(only_failure(&report, "unapproved-ai"));
    assert!(
        said.iter()
            .any(|d| d.contains("dev@example.com") && d.contains("authored, committed or signed a commit of it")),
        "{said:#?}"
    );
    // A reviewer's does.
    world.decide(&a, &fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    let approved = report["approved"].as_array().unwrap();
    assert_eq!(approved.len(), 1, "{report:#}");
    assert_eq!((approved[0]["path"].as_str(), approved[0]["kind"].as_str()), (Some(DELETED), Some("deleted-file")));
}

/// A test file that took [`DELETED`]'s place after its deletion was
/// approved.
const NEW_AUTH_TEST: &str = "#[test]\nfn only_owners_may_export_users() {\n    assert!(!may_export(&member()));\n}\n";

#[test]
fn an_approved_deletion_does_not_cover_deleting_what_was_written_there_since() {
    // Alice signed off the AI's deletion of the old tests...
    let (world, a) = ai_deletes();
    let (_, report) = a.verify("origin/main..HEAD");
    let old = str_of(&only_failure(&report, "unapproved-ai")["fingerprint"]).to_string();
    world.decide(&a, &old, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    // ...then, the branch abandoned, a person wrote other tests at that
    // path on main, and an AI deletes those.
    world.on_main(&[(DELETED, NEW_AUTH_TEST)]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["checkout", "-q", "-b", "again", "origin/main"]);
    a.git(&["rm", "-q", DELETED]);
    a.commit("drop another flaky test", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "alice approved deleting other text: {report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!((failure["path"].as_str(), failure["kind"].as_str()), (Some(DELETED), Some("deleted-file")));
    let new = str_of(&failure["fingerprint"]);
    assert_ne!(new, old, "{report:#}");
    assert_eq!(new, deletion_of(NEW_AUTH_TEST));
    // The same text deleted again is what alice saw deleted: hers counts.
    let (world, a) = ai_deletes();
    world.decide(&a, &old, Decision::by("alice"));
    a.git(&["checkout", "-q", "-b", "again", "origin/main"]);
    a.git(&["rm", "-q", DELETED]);
    a.commit("drop the flaky test again", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn an_approval_of_the_paths_absence_alone_is_said_not_to_count() {
    // Made as vouch made them before a deletion was bound to its text.
    let (world, a) = ai_deletes();
    world.decide(&a, &vouch::fingerprint::trust_fingerprint(DELETED, None), Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let said = details(only_failure(&report, "unapproved-ai"));
    let why = "names only the path's absence";
    assert!(said.iter().any(|d| d.contains("alice@example.com") && d.contains(why)), "{said:#?}");
    let run = a.run(&["status"]);
    assert!(run.stdout.contains(why), "status says it too: {run:?}");
}

#[test]
fn a_bot_author_deleting_a_file_needs_sign_off() {
    let (_world, a) = start();
    a.act_as("renovate[bot]");
    a.git(&["rm", "-q", DELETED]);
    a.commit("chore: remove unused test", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], DELETED, "{report:#}");
    assert!(str_of(&failure["reason"]).contains("bot author"), "{report:#}");
}

#[test]
fn the_reviewer_signs_off_a_deleted_file_with_approve_file_and_the_author_cannot() {
    let (_world, a) = ai_deletes();
    // The author asks for sign-off of a path the working tree lacks.
    let run = a.run(&["request", DELETED, "-m", "the case moved into tests/admin.rs"]);
    assert_eq!(run.code, 0, "{run:?}");
    // The author may not sign it off (refused by the policy, exit 1, as a
    // trust file's change is), and nothing is written.
    let run = a.run(&["approve", "--file", DELETED, "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.all().contains("dev@example.com") && run.all().contains("cannot approve"), "{run:?}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["signoff"]["requests"].as_array().map(Vec::len), Some(1), "{report:#}");
    // Alice may, from a checkout of HEAD.
    a.act_as("alice");
    let run = a.run(&["approve", "--file", DELETED, "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    a.act_as("dev");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn approve_file_shows_the_reviewer_the_text_deleted() {
    let (_world, a) = ai_deletes();
    a.act_as("alice");
    // A terminal, as a reviewer has (util-linux `script` gives the command
    // one), answering yes.
    let vouch = env!("CARGO_BIN_EXE_vouch");
    let command = format!("{vouch} approve --file {DELETED} --base origin/main");
    let run = support::run::Run::from({
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &command, "/dev/null"]).current_dir(&a.path);
        support::world::git_env(&mut cmd, &a.home);
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("script runs");
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"y\n").unwrap();
        child.wait_with_output().unwrap()
    });
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("the text deleted (4 lines"), "{run:?}");
    assert!(run.stdout.contains("fn only_admins_may_delete_users()"), "{run:?}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn status_and_log_see_the_deleted_file() {
    let (_world, a) = ai_deletes();
    let run = a.run(&["status", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let status: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let units = status["worktree"].as_array().unwrap();
    let found: Vec<&Value> = units.iter().filter(|u| u["path"] == DELETED).collect();
    assert_eq!(found.len(), 1, "{status:#}");
    assert_eq!(found[0]["state"], "pending", "{status:#}");
    assert_eq!(found[0]["kind"], "deleted-file", "{status:#}");
    assert_eq!(found[0]["deleted_file"], true, "{status:#}");
    let deleted = deletion_of(AUTH_TEST);
    assert_eq!(found[0]["fingerprint"], deleted, "{status:#}");
    let reason = str_of(&found[0]["reason"]);
    assert!(reason.contains("deleted by AI") && reason.contains("not requested yet"), "{status:#}");
    assert!(!reason.contains("is approved"), "a pending deletion reads as pending: {status:#}");
    assert!(found[0]["evidence"].to_string().contains("trailer: claude"), "{status:#}");
    assert!(found[0]["excluded"].to_string().contains("dev@example.com"), "{status:#}");
    // blame has no lines to show, and says why.
    let blame = a.run(&["blame", DELETED]);
    assert_ne!(blame.code, 0, "{blame:?}");
    assert!(blame.stderr.contains("deleted by AI") && blame.stderr.contains("vouch approve --file"), "{blame:?}");
    let text = a.run(&["status"]);
    assert!(text.stdout.contains("file deleted by AI"), "{text:?}");
    assert!(text.stdout.contains(&format!("vouch request {DELETED}")), "{text:?}");

    let log = a.run(&["log", "origin/main..HEAD", "--format", "json"]);
    let log: Value = serde_json::from_str(&log.stdout).unwrap_or_else(|e| panic!("{e}: {log:?}"));
    assert_eq!((log[0]["ai_lines"].as_u64(), log[0]["ai_deleted_lines"].as_u64()), (Some(0), Some(4)), "{log:#}");
}

#[test]
fn a_person_deleting_a_file_is_not_flagged() {
    let (_world, a) = start();
    a.git(&["rm", "-q", DELETED]);
    a.commit("drop a flaky test", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert!(failures(&report).is_empty(), "{report:#}");
    assert_eq!(report["coverage"]["ai_deleted_files"], serde_json::json!([]), "{report:#}");
}

#[test]
fn a_file_the_ai_created_and_deleted_in_the_range_is_not_flagged() {
    let (_world, a) = start();
    a.write("tests/scratch_test.rs", AUTH_TEST);
    a.commit("try a test", Some(TRAILER));
    a.git(&["rm", "-q", "tests/scratch_test.rs"]);
    a.commit("drop it again", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert!(failures(&report).is_empty(), "{report:#}");
}

#[test]
fn a_file_deleted_by_ai_and_restored_is_not_flagged() {
    let (_world, a) = ai_deletes();
    a.git(&["checkout", "origin/main", "--", DELETED]);
    a.commit("restore the test", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert!(failures(&report).is_empty(), "{report:#}");
}

#[test]
fn an_ai_rename_is_not_a_deletion() {
    let (_world, a) = start();
    std::fs::create_dir_all(a.path.join("tests/admin")).unwrap();
    a.git(&["mv", DELETED, "tests/admin/auth_test.rs"]);
    a.commit("group the admin tests", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "the content lives on at the new path: {report:#}");
    assert!(about(&report, DELETED).is_empty(), "{report:#}");
    // A rename with a small edit is still a rename: the edited line is AI,
    // the path's removal is not a deletion.
    let (_world, a) = start();
    std::fs::create_dir_all(a.path.join("tests/admin")).unwrap();
    a.git(&["mv", DELETED, "tests/admin/auth_test.rs"]);
    a.write("tests/admin/auth_test.rs", &AUTH_TEST.replace("guest()", "visitor()"));
    a.commit("group the admin tests", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert!(about(&report, DELETED).is_empty(), "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["path"], "tests/admin/auth_test.rs", "{report:#}");
}

#[test]
fn a_file_deleted_on_bases_side_of_a_merge_is_not_flagged() {
    let (world, a) = start();
    a.write("src/lib.rs", &format!("{}// a person's note\n", support::world::BASE_LIB));
    a.commit("note", None);
    // Main drops the test (reviewed there); the branch merges main, with an
    // AI trailer on the merge.
    let m = world.clone_as("m", "alice");
    m.git(&["rm", "-q", DELETED]);
    m.commit("drop the test", Some(TRAILER));
    m.git(&["push", "-q", "origin", "main"]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["merge", "-q", "--no-edit", "-m", &format!("merge main\n\n{TRAILER}\n"), "origin/main"]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert!(failures(&report).is_empty(), "{report:#}");
}

#[test]
fn an_evil_merge_that_deletes_a_file_is_flagged() {
    // Both parents hold the file; the merge itself, with an AI trailer,
    // drops it.
    let (world, a) = start();
    a.write("src/lib.rs", &format!("{}// a person's note\n", support::world::BASE_LIB));
    a.commit("note", None);
    let m = world.clone_as("m", "alice");
    m.write("README.md", "hello\n");
    m.commit("readme", None);
    m.git(&["push", "-q", "origin", "main"]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["merge", "-q", "--no-commit", "origin/main"]);
    a.git(&["rm", "-q", DELETED]);
    a.git(&["commit", "-q", "--no-verify", "-m", &format!("merge main\n\n{TRAILER}\n")]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["path"], DELETED, "{report:#}");
}

#[test]
fn a_note_that_speaks_for_other_files_does_not_flag_a_persons_deletion() {
    // One commit: the agent adds a function to src/lib.rs (its git-ai note
    // names those lines), the person removes the test. git-ai's note speaks
    // for src/lib.rs only.
    let (_world, a) = start();
    a.write("src/lib.rs", &format!("{}{}", support::world::BASE_LIB, support::world::AI_FN));
    a.git(&["rm", "-q", DELETED]);
    let commit = a.commit("add add(), drop the test", None);
    let note = "src/lib.rs\n  abcd1234abcd1234 5-7\n---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\
                \"prompts\":{\"abcd1234abcd1234\":{\"agent_id\":{\"tool\":\"cursor\",\"id\":\"c\",\"model\":\"m\"}}}}\n";
    a.git(&["notes", "--ref=ai", "add", "-m", note, &commit.to_string()]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], "src/lib.rs", "the AI's function, not the person's deletion: {report:#}");

    // The same with a vouch note (agent hooks) for src/lib.rs.
    let (_world, a) = start();
    a.write("src/lib.rs", &format!("{}{}", support::world::BASE_LIB, support::world::AI_FN));
    a.git(&["rm", "-q", DELETED]);
    let commit = a.commit("add add(), drop the test", None);
    let blob = a.blob(commit, "src/lib.rs");
    let record = format!(
        "{{\"v\":1,\"path\":\"src/lib.rs\",\"blob\":\"{blob}\",\"ai\":[[5,7]],\"origin\":{{\"tool\":\"claude-code\"}},\
         \"evidence\":\"agent-hook\",\"approvals\":[]}}"
    );
    a.git(&["notes", "--ref=vouch", "add", "-m", &record, &commit.to_string()]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], "src/lib.rs", "{report:#}");
}

#[test]
fn the_gate_counts_an_earlier_ai_deletion_and_refuses_a_bots_own() {
    // An earlier commit of the range deleted the file: the gate on a
    // person's next commit counts it (verify will ask), without refusing.
    let (_world, a) = ai_deletes();
    a.write("src/lib.rs", &format!("{}// a person's note\n", support::world::BASE_LIB));
    a.git(&["add", "-A"]);
    let run = a.run(&["check", "--staged", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let gate: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(gate["earlier_units_lacking_signoff"], 1, "{gate:#}");

    // A bot author's next commit deletes the file: the gate refuses it.
    let (_world, a) = start();
    a.act_as("renovate[bot]");
    a.git(&["rm", "-q", DELETED]);
    let run = a.run(&["check", "--staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let gate: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let units = gate["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "{gate:#}");
    assert_eq!((units[0]["path"].as_str(), units[0]["deleted_file"].as_bool()), (Some(DELETED), Some(true)));
    assert_eq!(units[0]["blocking"], true, "{gate:#}");
    let deleted = deletion_of(AUTH_TEST);
    assert_eq!(units[0]["fingerprint"].as_str(), Some(deleted.as_str()), "as verify will name it: {gate:#}");
    // Named for what it is, not as AI-written text.
    let run = a.run(&["check", "--staged"]);
    assert!(run.stdout.contains("1 file(s) deleted by AI staged lack sign-off"), "{run:?}");
}

#[test]
fn a_rename_then_a_deletion_is_the_deletion_of_the_file_base_had() {
    // The AI moves the test away (a rename, not a deletion), then deletes
    // it under its new name: BASE's file is gone all the same.
    let (_world, a) = start();
    a.git(&["mv", DELETED, "tests/old_auth.rs"]);
    a.commit("park the test", None);
    a.git(&["rm", "-q", "tests/old_auth.rs"]);
    a.commit("drop the parked test", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], DELETED, "named by the path BASE had: {report:#}");
    assert_eq!(failure["kind"], "deleted-file", "{report:#}");
    let deleted = deletion_of(AUTH_TEST);
    assert_eq!(failure["fingerprint"], deleted, "BASE's text, deleted under another name: {report:#}");
}

#[test]
fn a_reviewer_is_shown_the_text_deleted_and_approves_it_in_the_review() {
    let (_world, a) = ai_deletes();
    let run = a.run(&["request", DELETED, "-m", "the case moved into tests/admin.rs"]);
    assert_eq!(run.code, 0, "{run:?}");
    a.act_as("alice");
    let run = a.run_with_input(&["review"], "a\nq\n");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("only_admins_may_delete_users"), "the text deleted is shown: {run:?}");
    assert!(run.stdout.contains("file deleted by AI") && run.stdout.contains("the text deleted"), "{run:?}");
    let approvals = vouch::store::records::list::<vouch::store::records::Approval>(&a.repo()).unwrap().records;
    assert_eq!(approvals.len(), 1, "{run:?}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_request_for_a_deleted_file_is_approved_by_its_id() {
    let (_world, a) = ai_deletes();
    let run = a.run(&["request", "-m", "the case moved into tests/admin.rs", "--format", "json"]);
    assert_eq!(run.code, 0, "every unit that needs sign-off, the deleted file among them: {run:?}");
    let request: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let units = request["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "{request:#}");
    assert_eq!((units[0]["path"].as_str(), units[0]["kind"].as_str()), (Some(DELETED), Some("deleted-file")));
    let id = str_of(&request["request"]).to_string();
    // It holds the text deleted, bound to it: what the reviewer is shown.
    let stored = vouch::store::records::list::<vouch::store::records::Request>(&a.repo()).unwrap().records;
    let unit = &stored.iter().find(|r| r.id == id).expect("the request is stored").record.units[0];
    assert_eq!((unit.language.as_str(), unit.kind.as_str()), ("deleted", "file"));
    assert_eq!(unit.text.as_bytes(), AUTH_TEST.as_bytes());
    assert!(unit.fingerprint_matches(), "{unit:?}");
    assert_eq!(units[0]["fingerprint"].as_str(), Some(unit.fingerprint.as_str()), "{request:#}");
    // The requester may not approve it; alice may, by the request's id.
    let run = a.run(&["approve", &id, "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.all().contains("dev@example.com") && run.all().contains("cannot approve"), "{run:?}");
    assert_eq!(a.verify("origin/main..HEAD").0, 1);
    a.act_as("alice");
    let run = a.run(&["approve", &id, "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    a.act_as("dev");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}
