//! Requests have a life (issue 13.12), through the real binary, real git
//! and real `ssh-keygen`: a request closes when its code is gone (reset
//! away, rewritten) but not while it was merely never committed here (a
//! request before its commit, seen from a reviewer's clone); its requester
//! can withdraw it (an append-only record, signed where the policy requires
//! signatures), nobody else can; units whose approvals stopped counting come
//! back to their reviewers and can be asked for again; and `vouch approve`
//! warns when the signature it just made will not verify.

mod support {
    pub mod run;
    pub mod world;
}

use git2::Repository;
use serde_json::Value;
use support::world::{AI_FN, BASE_LIB, Clone, SIGNED_POLICY, World, email};
use vouch::provenance::{AiSource, Attribution, Evidence};
use vouch::store::journal::{Entry, Journal};
use vouch::store::records::{self, Approval, Person, Request, RequestedUnit, Withdrawal};

const POLICY: &str = "reviewers = [\"alice@example.com\", \"bob@example.com\"]\n";

fn out_text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Run vouch in `clone`; the exit code must be `code`.
#[track_caller]
fn run(clone: &Clone, args: &[&str], code: i32) -> String {
    let out = clone.vouch(args);
    assert_eq!(out.status.code(), Some(code), "vouch {args:?}:\n{}", out_text(&out));
    out_text(&out)
}

#[track_caller]
fn json(clone: &Clone, args: &[&str]) -> Value {
    let out = clone.vouch(args);
    assert!(out.status.success(), "vouch {args:?}:\n{}", out_text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("vouch {args:?}: {e}\n{}", out_text(&out)))
}

/// `vouch request ARGS --format json` in `clone`: the request id.
#[track_caller]
fn request(clone: &Clone, args: &[&str]) -> String {
    let mut all = vec!["request", "--format", "json"];
    all.extend_from_slice(args);
    json(clone, &all)["request"].as_str().unwrap().to_string()
}

/// The whole queue and every request's state, as `clone` sees them.
fn queue(clone: &Clone) -> Value {
    json(clone, &["review", "--list", "--all", "--format", "json"])
}

/// The states of the requests, oldest first.
fn states(queue: &Value) -> Vec<String> {
    queue["requests"].as_array().unwrap().iter().map(|r| r["state"].as_str().unwrap().to_string()).collect()
}

fn unit_count(queue: &Value) -> usize {
    queue["units"].as_array().unwrap().len()
}

/// Write `text` to `path` and record `ai` (a part of it) as Claude's, as the
/// agent hook does: uncommitted provenance.
fn ai_edit(clone: &Clone, path: &str, text: &str, ai: &str) {
    clone.write(path, text);
    let start = text.find(ai).expect("the AI text is in the file");
    let attr = Attribution::ai(
        AiSource { tool: "claude".into(), model: None, session: None, kind: None },
        Evidence::AgentHook,
        Some(clone.email.clone()),
    );
    let git = clone.repo();
    let journal = Journal::open(&git).unwrap();
    journal.append(&git, Entry::delta(path, text, &[(start..start + ai.len(), attr)])).unwrap();
}

fn sign_with_key(clone: &Clone, world: &World, key: &str) {
    clone.git(&["config", "gpg.format", "ssh"]);
    clone.git(&["config", "user.signingkey", &world.key(key).display().to_string()]);
}

fn withdrawals(clone: &Clone) -> Vec<Withdrawal> {
    records::list::<Withdrawal>(&clone.repo()).unwrap().records.into_iter().map(|s| s.record).collect()
}

#[test]
fn a_request_whose_commit_was_reset_away_closes_as_code_gone() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    let feature = a.ai_feature();
    let id = request(&a, &["src/lib.rs", "-m", "adds add"]);
    let before = queue(&a);
    assert_eq!((unit_count(&before), states(&before)), (1, vec!["awaiting".to_string()]));

    // The commit is reset away: the code was committed here once and is in
    // no branch, index or working tree now.
    a.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let after = queue(&a);
    assert_eq!(unit_count(&after), 0, "{after:#}");
    let closed = &after["requests"][0];
    assert_eq!((closed["id"].as_str(), closed["state"].as_str()), (Some(id.as_str()), Some("code-gone")));
    assert_eq!(closed["label"], "closed: code gone");
    assert!(closed["detail"].as_str().unwrap().contains("committed here once"), "{closed}");
    let text = run(&a, &["review", "--list", "--all"], 0);
    assert!(text.contains("Nothing awaits sign-off.\nrequests: 1 closed: code gone"), "{text}");

    // stats and the report count it as closed, not awaiting.
    let stats = json(&a, &["stats", "--format", "json"]);
    assert_eq!((stats["queue"]["units"].as_u64(), stats["queue"]["requests"].as_u64()), (Some(0), Some(0)));
    assert_eq!(stats["requests"], serde_json::json!([{ "label": "closed: code gone", "count": 1 }]));
    assert_eq!(stats["latency"]["undecided"], 0, "a closed request is not waiting for a decision");
    let html = run(&a, &["report", "-o", "-"], 0);
    assert!(html.contains("<tr><td>closed: code gone</td><td class=\"n\">1</td></tr>"), "{html}");

    // Back in a branch, it is awaited again.
    a.git(&["cherry-pick", &feature.to_string()]);
    assert_eq!(states(&queue(&a)), ["awaiting"]);
}

#[test]
fn a_request_made_before_its_commit_stays_awaiting_for_the_reviewer_until_rewritten() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    let first = format!("{BASE_LIB}{AI_FN}");
    ai_edit(&a, "src/lib.rs", &first, AI_FN.trim_start());
    let old = request(&a, &["-m", "adds add"]);
    a.sync();

    // The reviewer's clone has never seen the code: the request is awaited.
    let b = world.clone_as("b", "alice");
    b.sync();
    let seen = json(&b, &["review", "--list", "--format", "json"]);
    assert_eq!((unit_count(&seen), states(&seen)), (1, vec!["awaiting".to_string()]), "{seen:#}");

    // The requester rewrites the unit and asks again: the first text is
    // gone, the new one awaited.
    let rewritten = AI_FN.replace("a + b", "a.saturating_add(b)");
    ai_edit(&a, "src/lib.rs", &format!("{BASE_LIB}{rewritten}"), rewritten.trim_start());
    let new = request(&a, &["-m", "saturating"]);
    a.sync();
    b.sync();
    let seen = json(&b, &["review", "--list", "--format", "json"]);
    assert_eq!(states(&seen), ["code-gone", "awaiting"], "{seen:#}");
    assert_eq!(seen["requests"][0]["id"], old.as_str());
    assert!(seen["requests"][0]["detail"].as_str().unwrap().contains("rewritten"), "{seen:#}");
    assert_eq!(unit_count(&seen), 1);
    assert_eq!(seen["units"][0]["requests"][0]["id"], new.as_str());
    assert!(seen["units"][0]["text"].as_str().unwrap().contains("saturating_add"));
}

#[test]
fn the_requester_withdraws_and_asks_again_and_nobody_else_can_withdraw() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let id = request(&a, &["src/lib.rs", "-m", "adds add"]);
    a.sync();

    // Someone else cannot withdraw it, through vouch or a record of their own.
    let e = world.clone_as("e", "eve");
    e.sync();
    let refused = run(&e, &["request", "--withdraw", &id[..12]], 1);
    assert!(refused.contains("only its requester may withdraw it"), "{refused}");
    assert!(withdrawals(&e).is_empty());
    let mut forged = Withdrawal::new(&e.repository_id(), &id, e.person());
    forged.reason = Some("not needed".into());
    records::add(&e.repo(), &forged).unwrap();
    let out = e.vouch(&["review", "--list", "--all", "--format", "json"]);
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(states(&seen), ["awaiting"]);
    assert!(
        out_text(&out).contains("is ignored: only its requester (dev@example.com) may withdraw it"),
        "{}",
        out_text(&out)
    );

    // The requester withdraws it: closed, in every clone once synced.
    let said = run(&a, &["request", "--withdraw", &id[..8], "-m", "wrong approach"], 0);
    assert!(said.contains(&format!("withdrew request {}", &id[..12])), "{said}");
    let seen = queue(&a);
    assert_eq!((unit_count(&seen), states(&seen)), (0, vec!["withdrawn".to_string()]));
    assert!(seen["requests"][0]["detail"].as_str().unwrap().contains("wrong approach"), "{seen:#}");
    let again = run(&a, &["request", "--withdraw", &id], 0);
    assert!(again.contains("already withdrawn"), "{again}");
    assert_eq!(withdrawals(&a).len(), 1, "records are written once");
    a.sync();
    let b = world.clone_as("b", "alice");
    b.sync();
    assert_eq!(states(&queue(&b)), ["withdrawn"]);
    let stats = json(&b, &["stats", "--format", "json"]);
    assert_eq!(stats["requests"], serde_json::json!([{ "label": "withdrawn", "count": 1 }]));
    assert_eq!(stats["queue"]["units"], 0);

    // The requester may ask again, with no path named: the unit is back.
    let new = request(&a, &["-m", "after all"]);
    a.sync();
    b.sync();
    let seen = json(&b, &["review", "--list", "--format", "json"]);
    assert_eq!(states(&seen), ["withdrawn", "awaiting"]);
    assert_eq!(seen["units"][0]["requests"], serde_json::json!([seen["units"][0]["requests"][0].clone()]));
    assert_eq!(seen["units"][0]["requests"][0]["id"], new.as_str());
    // Withdrawn or not, the requester may not approve their own unit.
    let refused = run(&a, &["approve", &new[..12], "--yes"], 1);
    assert!(refused.contains("requested this sign-off and cannot approve it"), "{refused}");
}

#[test]
fn where_signatures_are_required_a_withdrawal_must_be_signed() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let id = request(&a, &["src/lib.rs", "-m", "adds add"]);

    // No key: refused, nothing written.
    let refused = run(&a, &["request", "--withdraw", &id], 2);
    assert!(refused.contains("git has no SSH signing key"), "{refused}");
    assert!(withdrawals(&a).is_empty());
    // A record that says it is the requester's, unsigned, does not count.
    let repo = a.repo();
    records::add(&repo, &Withdrawal::new(&a.repository_id(), &id, a.person())).unwrap();
    let out = a.vouch(&["review", "--list", "--all", "--format", "json"]);
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(states(&seen), ["awaiting"]);
    assert!(out_text(&out).contains("the policy requires signatures and its signature does not verify"));
    // Signed with a key the allowed signers list for someone else: no.
    sign_with_key(&a, &world, "eve");
    run(&a, &["request", "--withdraw", &id], 0);
    assert_eq!(states(&queue(&a)), ["awaiting"]);
    // Signed with the requester's own key: withdrawn.
    sign_with_key(&a, &world, "dev");
    run(&a, &["request", "--withdraw", &id, "-m", "later"], 0);
    assert_eq!(states(&queue(&a)), ["withdrawn"]);
    // Three records, append-only: the unsigned one, eve's key's, dev's.
    assert_eq!(withdrawals(&a).len(), 3);
}

#[test]
fn approvals_that_stop_counting_bring_the_unit_back_and_it_can_be_asked_for_again() {
    let policy =
        "reviewers = [\"alice@example.com\", \"bob@example.com\"]\nallowed_signers = \".vouch/allowed_signers\"\n";
    let world = World::new(policy);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let id = request(&a, &["src/lib.rs", "-m", "adds add"]);
    a.sync();
    let b = world.clone_as("b", "alice");
    b.sync();
    run(&b, &["approve", &id[..12], "--yes"], 0);
    b.sync();
    a.sync();
    assert_eq!(states(&queue(&a)), ["approved"]);
    assert_eq!(unit_count(&json(&b, &["review", "--list", "--format", "json"])), 0);
    assert_eq!(a.verify("origin/main..HEAD").0, 0);

    // A policy counts as of BASE, for the queue as for verify: turning
    // signatures on in a working tree changes nothing yet.
    let signed = format!("{policy}require_signatures = true\n");
    b.write(".vouch.toml", &signed);
    assert_eq!(unit_count(&json(&b, &["review", "--list", "--format", "json"])), 0);
    b.git(&["checkout", "--", ".vouch.toml"]);

    // The team turns signatures on, on the base branch; the feature is
    // brought up to date with it. Alice's unsigned approval stops
    // counting, and the unit is back in her queue, saying why.
    let lead = world.clone_as("lead", "bob");
    lead.write(".vouch.toml", &signed);
    lead.commit("require signatures", None);
    lead.git(&["push", "-q", "origin", "main"]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["rebase", "-q", "origin/main"]);
    b.git(&["pull", "-q", "--ff-only"]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "verify no longer counts the unsigned approval: {report:#}");
    let mine = json(&b, &["review", "--list", "--format", "json"]);
    assert_eq!(unit_count(&mine), 1, "{mine:#}");
    let why = mine["units"][0]["not_counted"][0].as_str().unwrap();
    assert!(
        why.contains("approval by alice@example.com does not count") && why.contains("no valid signature"),
        "{why}"
    );
    let text = run(&b, &["review", "--list"], 0);
    assert!(text.contains("not counted: approval by alice@example.com does not count"), "{text}");

    // The author can ask again for it, no path named.
    let again = request(&a, &["-m", "please sign it"]);
    assert_ne!(again, id);
    a.sync();
    b.sync();
    // Alice signs off again, signed: approved, and nothing to warn about.
    sign_with_key(&b, &world, "alice");
    let out = run(&b, &["approve", &again[..12], "--yes"], 0);
    assert!(!out.contains("does not verify"), "{out}");
    b.sync();
    a.sync();
    assert_eq!(states(&queue(&a)), ["approved", "approved"]);
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
}

#[test]
fn a_request_under_fingerprint_version_1_is_closed_and_its_unit_can_be_asked_for_again() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    // A request and an approval made before fingerprints were versioned.
    let text = AI_FN.trim_start();
    let v1 = records::v1_fingerprint("rust", "function", text);
    let unit = RequestedUnit {
        path: "src/lib.rs".into(),
        language: "rust".into(),
        kind: "function".into(),
        name: Some("add".into()),
        fingerprint: v1.clone(),
        fingerprint_version: None,
        text: text.into(),
        ai_lines: vec![[1, 3]],
        tool: Some("claude".into()),
        model: None,
        intents: Vec::new(),
    };
    let repo: Repository = a.repo();
    let old = records::add(&repo, &Request::new(&a.repository_id(), a.person(), vec![unit])).unwrap();
    let mut approval = Approval::new(
        &a.repository_id(),
        &v1,
        vouch::policy::Verdict::Approve,
        Person { name: "alice".into(), email: email("alice") },
    );
    approval.fingerprint_version = None;
    approval.request = Some(old.clone());
    records::add(&repo, &approval).unwrap();

    let seen = queue(&a);
    assert_eq!((unit_count(&seen), states(&seen)), (0, vec!["outdated".to_string()]));
    assert_eq!(seen["requests"][0]["label"], "closed: fingerprint version 1 (request again)");
    // Committed code, no uncommitted change: `vouch request` finds it anyway.
    let new = request(&a, &["-m", "again, under version 2"]);
    let seen = queue(&a);
    assert_eq!(states(&seen), ["outdated", "awaiting"]);
    assert_eq!(seen["units"][0]["requests"][0]["id"], new.as_str());
}

#[test]
fn approve_warns_when_the_signature_it_made_will_not_verify() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let id = request(&a, &["src/lib.rs", "-m", "adds add"]);
    a.sync();
    let b = world.clone_as("b", "alice");
    b.sync();
    // Alice signs with a key the allowed signers list only for eve.
    sign_with_key(&b, &world, "eve");
    let out = run(&b, &["approve", &id[..12], "--yes"], 0);
    assert!(out.contains("does not verify against the allowed signers at HEAD (.vouch/allowed_signers)"), "{out}");
    assert!(out.contains("vouch verify will not count it"), "{out}");
    // With her own key: no warning, and it counts.
    sign_with_key(&b, &world, "alice");
    let out = run(&b, &["approve", &id[..12], "--yes"], 0);
    assert!(!out.contains("does not verify"), "{out}");
    b.sync();
    a.sync();
    assert_eq!(states(&queue(&a)), ["approved"]);
}

#[test]
fn files_forged_onto_the_records_branch_do_not_close_a_request() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    let text = format!("{BASE_LIB}{AI_FN}");
    ai_edit(&a, "src/lib.rs", &text, AI_FN.trim_start());
    request(&a, &["-m", "adds add"]);
    a.sync();
    let b = world.clone_as("b", "alice");
    b.sync();
    assert_eq!(states(&queue(&b)), ["awaiting"]);

    // Someone commits the requested code at the requested path onto the
    // records branch, then removes it (so nothing bad is at the tip): the
    // records branch holds records, not code, and says nothing of where the
    // code is.
    let repo = b.repo();
    let tip = repo.refname_to_id(records::RECORDS_BRANCH).unwrap();
    let old = repo.find_commit(tip).unwrap();
    let blob = repo.blob(text.as_bytes()).unwrap();
    let mut update = git2::build::TreeUpdateBuilder::new();
    update.upsert("src/lib.rs", blob, git2::FileMode::Blob);
    let forged = update.create_updated(&repo, &old.tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Mallory", "mallory@example.com").unwrap();
    let with = repo.commit(None, &sig, &sig, "code", &repo.find_tree(forged).unwrap(), &[&old]).unwrap();
    let with = repo.find_commit(with).unwrap();
    let without = repo.commit(None, &sig, &sig, "tidy", &old.tree().unwrap(), &[&with]).unwrap();
    repo.reference(records::RECORDS_BRANCH, with.id(), true, "forged").unwrap();
    assert_eq!(states(&queue(&b)), ["awaiting"], "the code at the records branch's tip");
    repo.reference(records::RECORDS_BRANCH, without, true, "forged").unwrap();
    assert_eq!(states(&queue(&b)), ["awaiting"], "the code in the records branch's history");
}
