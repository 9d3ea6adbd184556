//! `vouch log` judges the approvals a commit's note lists as `vouch verify`
//! judges them (issue 13.13): where the policy requires signatures, an
//! approval with no signature, a bad one, or one made with a key the
//! allowed signers list for someone else does not count, and log says so
//! and why, as verify does; an approval that counts carries no mark. The
//! author controls the note (it names whatever approvals they like), not
//! the reviewers' keys. Real git, real `ssh-keygen`, the real binary.

mod support {
    pub mod run;
    pub mod world;
}

use git2::Oid;
use serde_json::Value;
use support::world::{Decision, SIGNED_POLICY, feature_world};
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{self, FileRecord, NoteRecord};

/// The approvals `vouch log --format json` shows for `commit`.
fn log_approvals(clone: &support::world::Clone, range: &str, commit: Oid) -> Vec<Value> {
    let out = clone.run(&["log", range, "--format", "json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let entries: Value = serde_json::from_str(&out.stdout).unwrap();
    let entry = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["commit"] == commit.to_string())
        .unwrap_or_else(|| panic!("no entry for {commit}: {entries:#}"));
    entry["approvals"].as_array().unwrap().clone()
}

fn by_id<'a>(approvals: &'a [Value], id: &str) -> &'a Value {
    approvals.iter().find(|a| a["id"] == id).unwrap_or_else(|| panic!("{id} not listed: {approvals:#?}"))
}

#[test]
fn log_does_not_count_an_approval_verify_refuses_for_its_signature_and_says_why() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    let commit = a.head();
    // Bob's approval with no signature, and one signed with Eve's key
    // (the allowed signers list it for Eve, not for Bob).
    let unsigned = world.decide(&a, fingerprint, Decision { key: None, ..Decision::by("bob") });
    let borrowed = world.decide(&a, fingerprint, Decision { key: Some("eve"), ..Decision::by("bob") });
    // The author notes the commit as approved by both.
    let record = |approvals: Vec<String>| FileRecord {
        path: "src/lib.rs".into(),
        blob: a.blob(commit, "src/lib.rs").to_string(),
        ai: vec![[failure["line"].as_u64().unwrap() as u32, failure["end_line"].as_u64().unwrap() as u32]],
        origin: AiSource { tool: "claude".into(), model: None, session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: None,
        rationale: None,
        approvals,
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    };
    notes::write_note(&a.repo(), commit, &[NoteRecord::File(record(vec![unsigned.clone(), borrowed.clone()]))])
        .unwrap();

    // verify counts neither.
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let range = "origin/main..HEAD";
    let approvals = log_approvals(&a, range, commit);
    assert_eq!(approvals.len(), 2, "{approvals:#?}");
    let why =
        by_id(&approvals, &unsigned)["not_counted"].as_str().unwrap_or_else(|| panic!("{approvals:#?}")).to_string();
    assert!(why.contains("no signature"), "{why}");
    let why =
        by_id(&approvals, &borrowed)["not_counted"].as_str().unwrap_or_else(|| panic!("{approvals:#?}")).to_string();
    assert!(why.contains("eve@example.com") && why.contains("not for bob@example.com"), "{why}");
    let out = a.run(&["log", range]);
    let line = out.stdout.lines().find(|l| l.starts_with(&commit.to_string()[..10])).unwrap().to_string();
    assert!(line.contains("2 approvals") && line.matches("does not count").count() == 2, "{}", out.stdout);
    assert!(line.contains("no signature"), "{line}");

    // Alice's approval, signed with her own key, counts for verify and in
    // log, with no mark; Bob's still do not.
    let good = world.decide(&a, fingerprint, Decision::by("alice"));
    notes::write_note(
        &a.repo(),
        commit,
        &[NoteRecord::File(record(vec![unsigned.clone(), borrowed.clone(), good.clone()]))],
    )
    .unwrap();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    let approvals = log_approvals(&a, range, commit);
    assert!(by_id(&approvals, &good).get("not_counted").is_none_or(Value::is_null), "{approvals:#?}");
    assert!(by_id(&approvals, &unsigned)["not_counted"].is_string(), "{approvals:#?}");
    assert!(by_id(&approvals, &borrowed)["not_counted"].is_string(), "{approvals:#?}");
}

#[test]
fn log_does_not_count_the_approval_of_the_commits_author() {
    // Dev authored the AI commit and approves it with a valid signature
    // (dev is listed as a reviewer): a participant's approval counts for
    // neither verify nor log.
    let policy = SIGNED_POLICY.replace(
        "reviewers = [\"alice@example.com\", \"bob@example.com\"]",
        "reviewers = [\"alice@example.com\", \"bob@example.com\", \"dev@example.com\"]",
    );
    let (world, a, failure) = feature_world(&policy);
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    let commit = a.head();
    let own = world.decide(&a, fingerprint, Decision::by("dev"));
    let record = FileRecord {
        path: "src/lib.rs".into(),
        blob: a.blob(commit, "src/lib.rs").to_string(),
        ai: vec![[failure["line"].as_u64().unwrap() as u32, failure["end_line"].as_u64().unwrap() as u32]],
        origin: AiSource { tool: "claude".into(), model: None, session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: None,
        rationale: None,
        approvals: vec![own.clone()],
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    };
    notes::write_note(&a.repo(), commit, &[NoteRecord::File(record)]).unwrap();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let approvals = log_approvals(&a, "origin/main..HEAD", commit);
    let why = by_id(&approvals, &own)["not_counted"].as_str().unwrap_or_else(|| panic!("{approvals:#?}")).to_string();
    assert!(why.contains("authored, committed or signed a commit of it"), "{why}");
}
