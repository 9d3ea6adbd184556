//! `vouch review`'s interactive decisions are judged as `vouch approve`
//! judges them (issue 13.11, one judge): a reviewer is refused there
//! exactly what `vouch approve` refuses, and an approval made there counts
//! exactly when approve's would. Attacks through the real binary, real git
//! and real `ssh-keygen` keys: the author of the AI commit approving it in
//! the review, a junior let in by a request that understates its AI lines,
//! signed mode with no signing key, and a key the allowed signers list for
//! someone else.

mod support {
    pub mod run;
    pub mod world;
}

use serde_json::Value;
use support::world::{self, Clone, SIGNED_POLICY, World, feature_world};
use vouch::store::records::{self, Approval, Request, RequestedUnit};

const TWO_REVIEWERS: &str = "reviewers = [\"alice@example.com\", \"bob@example.com\"]\n";

/// `vouch review` in `clone`, answering with `keys` on standard input:
/// everything it printed.
fn review(clone: &Clone, keys: &str) -> String {
    let run = clone.run_with_input(&["review"], keys);
    assert_eq!(run.code, 0, "vouch review: {run:?}");
    run.all()
}

/// The approvals (and rejections) `email` has recorded in `clone`.
fn decisions_by(clone: &Clone, email: &str) -> Vec<Approval> {
    records::list::<Approval>(&clone.repo())
        .unwrap()
        .records
        .into_iter()
        .map(|s| s.record)
        .filter(|a| a.reviewer.email == email)
        .collect()
}

/// `vouch approve REQUEST --yes` in `clone`: its exit code and output.
fn approve(clone: &Clone, request: &str) -> (i32, String) {
    let run = clone.run(&["approve", request, "--yes"]);
    (run.code, run.all())
}

/// The unit `failure` names, as a request records it (its real text and
/// fingerprint), claiming `ai_lines`.
fn unit_of(clone: &Clone, failure: &Value, ai_lines: Vec<[u32; 2]>) -> RequestedUnit {
    let (first, last) = (failure["line"].as_u64().unwrap(), failure["end_line"].as_u64().unwrap());
    let path = failure["path"].as_str().unwrap();
    RequestedUnit {
        path: path.into(),
        language: "rust".into(),
        kind: "function".into(),
        name: Some("add".into()),
        fingerprint: failure["fingerprint"].as_str().unwrap().into(),
        fingerprint_version: Some(vouch::fingerprint::VERSION),
        text: clone.unit_text(path, first, last).into(),
        ai_lines,
        tool: Some("claude".into()),
        model: None,
        intents: Vec::new(),
    }
}

#[test]
fn the_author_of_the_ai_commit_cannot_approve_it_in_the_review() {
    // Alice, a reviewer, commits the AI code; Bob asks for sign-off.
    let world = World::new(TWO_REVIEWERS);
    let a = world.clone_as("a", "alice");
    a.ai_feature();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = world::only_failure(&report, "unapproved-ai").clone();
    a.act_as("bob");
    let bob = vouch::store::records::Person { name: "bob".into(), email: world::email("bob") };
    let mut request = Request::new(&a.repository_id(), bob, vec![unit_of(&a, &failure, vec![[1, 3]])]);
    request.rationale = Some("adds two numbers".into());
    let id = records::add(&a.repo(), &request).unwrap();
    a.act_as("alice");

    // `vouch approve` refuses her: she authored the commit.
    let (code, said) = approve(&a, &id);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("alice@example.com"), "{said}");
    assert!(decisions_by(&a, "alice@example.com").is_empty(), "{said}");

    // The review does not offer her the unit: the queue judges the unit
    // her working tree holds, with the authors of the commits that touched
    // it, as approve does.
    let out = review(&a, "a\nq\n");
    assert!(out.contains("Nothing awaits your sign-off"), "{out}");
    assert!(decisions_by(&a, "alice@example.com").is_empty(), "the review recorded her approval: {out}");
    assert_eq!(a.verify("origin/main..HEAD").0, 1);

    // Bob may not either (he asked for it); a third reviewer would.
    a.act_as("bob");
    let out = review(&a, "a\nq\n");
    assert!(decisions_by(&a, "bob@example.com").is_empty(), "{out}");
}

#[test]
fn a_junior_let_in_by_an_understated_request_cannot_approve_in_the_review() {
    // Small AI units (at most 2 AI lines) may be approved by any peer; the
    // AI function has 3. Its author asks for sign-off claiming 1 AI line.
    let policy =
        "reviewers = [\"alice@example.com\"]\n\n[[triage]]\npaths = [\"src/**\"]\nmax_ai_lines = 2\npeer = true\n";
    let (_world, a, failure) = feature_world(policy);
    let mut request = Request::new(&a.repository_id(), a.person(), vec![unit_of(&a, &failure, vec![[1, 1]])]);
    request.rationale = Some("tiny".into());
    let id = records::add(&a.repo(), &request).unwrap();

    // Eve, a peer, is refused by `vouch approve` (the unit in her working
    // tree has 3 AI lines: not a triage unit)...
    a.act_as("eve");
    let (code, said) = approve(&a, &id);
    assert_eq!(code, 1, "{said}");
    assert!(decisions_by(&a, "eve@example.com").is_empty(), "{said}");
    // ...and by the review, which does not offer it to her: the working
    // tree's unit has 3 AI lines (tests/attack_queue.rs).
    let out = review(&a, "a\nq\n");
    assert!(out.contains("Nothing awaits your sign-off"), "the queue offers her the unit: {out}");
    assert!(decisions_by(&a, "eve@example.com").is_empty(), "the review recorded a junior's approval: {out}");
}

#[test]
fn signed_mode_without_a_signing_key_records_nothing_in_the_review() {
    let (_world, a, failure) = feature_world(SIGNED_POLICY);
    let id = a.request(&failure, "adds two numbers");
    a.act_as("bob");
    let (code, said) = approve(&a, &id);
    assert_ne!(code, 0, "{said}");
    let out = review(&a, "a\nq\n");
    assert!(out.contains("not approved:"), "{out}");
    assert!(out.contains("signed"), "{out}");
    assert!(decisions_by(&a, "bob@example.com").is_empty(), "{out}");
}

#[test]
fn an_approval_signed_with_someone_elses_key_is_flagged_in_the_review_as_by_approve_and_counts_the_same() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    a.request(&failure, "adds two numbers");
    // Bob signs with Eve's key: the allowed signers list it for Eve, who is
    // no reviewer. vouch approve writes it and warns that it will not
    // count; so does the review.
    a.act_as("bob");
    a.git(&["config", "gpg.format", "ssh"]);
    a.git(&["config", "user.signingkey", &world.key("eve").display().to_string()]);
    let out = review(&a, "a\nq\n");
    assert!(out.contains("Approved"), "{out}");
    assert!(out.contains("does not verify against the allowed signers"), "{out}");
    assert_eq!(a.verify("origin/main..HEAD").0, 1, "an approval under someone else's key counts");

    // Alice, with her own key: it counts, as approve's would.
    a.act_as("alice");
    a.git(&["config", "user.signingkey", &world.key("alice").display().to_string()]);
    let out = review(&a, "a\nq\n");
    assert!(out.contains("Approved"), "{out}");
    assert!(!out.contains("does not verify"), "{out}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}
