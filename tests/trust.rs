//! Trust, end to end: signed approvals, sharing through a git remote with
//! `vouch sync`, and `vouch verify` for CI, with the real git binary, real
//! `ssh-keygen` keys and the real `vouch` binary, on clones of a local bare
//! repository. Each attack the verifier must refuse has its own test, and
//! each asserts the precise reason it gives.
//!
//! Approvals and requests are written with `records::add` (as `vouch approve`
//! and `vouch request` do), signed through `store::signature`.

mod support {
    pub mod run;
    pub mod world;
}

use std::path::Path;
use std::process::Command;

use git2::Oid;
use serde_json::Value;
use support::world::*;
use vouch::policy::Verdict;
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{self, FileRecord, NoteRecord};
use vouch::store::records::{self, Approval, Override, Person, Request};
use vouch::store::signature;

#[test]
fn happy_path_across_clones() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    assert_eq!(failure["path"], "src/lib.rs");
    assert_eq!(failure["line"], 5);
    assert_eq!(failure["kind"], "function");
    assert_eq!(failure["name"], "add");
    assert_eq!(
        failure["reason"],
        "AI-written code needs 1 signed approval(s) from alice@example.com, bob@example.com under the policy at BASE, \
         has 0 (not requested)"
    );
    let fingerprint = failure["fingerprint"].as_str().unwrap().to_string();

    // The requester asks on clone A and shares the request.
    let request = a.request(&failure, "adds two numbers");
    a.git(&["push", "-q", "origin", "feature"]);
    let out = a.sync();
    assert!(out.contains("refs/heads/vouch-records: origin does not have it, pushed"), "{out}");

    // The reviewer on clone B sees it, with its text and rationale.
    let b = world.clone_as("b", "alice");
    let out = b.sync();
    assert!(out.contains("refs/heads/vouch-records: fetched and merged 1 new record(s)"), "{out}");
    let pending = records::list::<Request>(&b.repo()).unwrap();
    assert_eq!(pending.records.len(), 1);
    assert_eq!(pending.records[0].record.rationale.as_deref(), Some("adds two numbers"));
    assert!(pending.records[0].record.units[0].fingerprint_matches());
    assert!(pending.records[0].record.units[0].text.as_text().unwrap().contains("a + b"));

    // Alice approves, signed, and shares it.
    world.decide(&b, &fingerprint, Decision { request: Some(request), ..Decision::by("alice") });
    b.sync();

    // The requester's check passes once synced.
    let (code, _) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "not synced yet");
    let out = a.sync();
    assert!(out.contains("refs/heads/vouch-records: fetched and merged 1 new record(s)"), "{out}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["approved"][0]["by"][0], "alice@example.com");
    assert_eq!(report["coverage"]["ai_lines"], 4);

    // CI on a fresh clone, after fetching the records, agrees.
    let ci = world.clone_as("ci", "ci");
    ci.git(&["checkout", "-q", "feature"]);
    ci.sync();
    let (code, text) = ci.verify_text("origin/main..HEAD");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("PASS: 1 unit(s) approved, 0 failure(s), 0 overridden"), "{text}");
}

#[test]
fn concurrent_approvals_and_notes_survive_sync() {
    let policy = SIGNED_POLICY.replace("require_signatures", "approvals = 2\nrequire_signatures");
    let (world, a, failure) = feature_world(&policy);
    let fingerprint = failure["fingerprint"].as_str().unwrap().to_string();
    let commit = Oid::from_str(a.git(&["rev-parse", "HEAD"]).trim()).unwrap();
    a.git(&["push", "-q", "origin", "feature"]);

    // A note on the commit, written on A and not yet shared.
    let blob = a.repo().find_commit(commit).unwrap().tree().unwrap().get_path(Path::new("src/lib.rs")).unwrap().id();
    let record = |tool: &str| {
        NoteRecord::File(FileRecord {
            path: "src/lib.rs".into(),
            blob: blob.to_string(),
            ai: vec![[4, 7]],
            origin: AiSource { tool: tool.into(), model: None, session: None, kind: None },
            evidence: Evidence::AgentHook,
            accepted_by: None,
            rationale: None,
            approvals: Vec::new(),
            intent: None,
            imported: None,
            deleted_before: Vec::new(),
            removed: false,
            mode: None,
        })
    };
    notes::write_note(&a.repo(), commit, &[record("claude")]).unwrap();

    // Two reviewers approve at the same time on their own clones, and one
    // of them also notes the commit differently.
    let b = world.clone_as("b", "alice");
    let c = world.clone_as("c", "bob");
    c.git(&["fetch", "-q", "origin", "feature"]);
    world.decide(&b, &fingerprint, Decision::by("alice"));
    world.decide(&c, &fingerprint, Decision::by("bob"));
    notes::write_note(&c.repo(), commit, &[record("copilot")]).unwrap();
    b.sync();
    let out = c.sync();
    assert!(out.contains("refs/heads/vouch-records: fetched and merged 1 new record(s), pushed"), "{out}");
    a.sync();

    let approvals = records::list::<Approval>(&a.repo()).unwrap();
    let mut by: Vec<String> = approvals.records.iter().map(|s| s.record.reviewer.email.clone()).collect();
    by.sort();
    assert_eq!(by, ["alice@example.com", "bob@example.com"]);
    // The local note was not overwritten: both lines are there.
    let note = notes::read_note(&a.repo(), commit).unwrap().unwrap();
    assert_eq!(note, vec![record("claude"), record("copilot")]);
    // And the remote has everything too.
    let d = world.clone_as("d", "dan");
    d.sync();
    assert_eq!(records::list::<Approval>(&d.repo()).unwrap().records.len(), 2);
    assert_eq!(notes::read_note(&d.repo(), commit).unwrap().unwrap().len(), 2);

    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["approved"][0]["by"].as_array().unwrap().len(), 2);
}

#[test]
fn sync_fetches_merges_and_pushes_again_when_the_remote_moves_on_meanwhile() {
    let world = World::new(SIGNED_POLICY);
    let fingerprint = "f0".repeat(32);
    // Z is cloned before any record exists (without hard links), so that
    // its fetch of the records needs a pack.
    run_git(&world.root, &world.home(), &["clone", "-q", "--no-local", "remote.git", "z"]);
    let x = world.clone_as("x", "dev");
    world.decide(&x, &fingerprint, Decision::by("alice"));
    x.sync();
    // Bob's approval reaches the remote, parked under another ref for now.
    let y = world.clone_as("y", "dev");
    y.sync();
    world.decide(&y, &fingerprint, Decision::by("bob"));
    y.git(&["push", "-q", "origin", "refs/heads/vouch-records:refs/parked/approvals"]);
    // While Z fetches, the remote's approvals move on to Bob's version: a
    // pack-objects hook (read from global config only) stands in for
    // another reviewer pushing at that moment.
    let z = Clone { path: world.root.join("z"), home: world.home(), email: email("dev") };
    world.decide(&z, &fingerprint, Decision::by("eve"));
    let remote = world.root.join("remote.git");
    let hook = world.root.join("race.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nif [ ! -e '{marker}' ]; then\n  touch '{marker}'\n  git --git-dir='{remote}' update-ref \
             refs/heads/vouch-records refs/parked/approvals\nfi\nexec \"$@\"\n",
            marker = world.root.join("raced").display(),
            remote = remote.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let global = world.root.join("race.gitconfig");
    std::fs::write(&global, format!("[uploadpack]\n\tpackObjectsHook = {}\n", hook.display())).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .arg("sync")
        .current_dir(&z.path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", &global)
        .env("HOME", world.home())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(world.root.join("raced").exists(), "the race happened");
    assert!(text.contains("origin moved on while syncing; took 2 rounds"), "{text}");

    let check = world.clone_as("check", "dev");
    check.sync();
    let mut by: Vec<String> = records::list::<Approval>(&check.repo())
        .unwrap()
        .records
        .into_iter()
        .map(|s| s.record.reviewer.email)
        .collect();
    by.sort();
    assert_eq!(by, ["alice@example.com", "bob@example.com", "eve@example.com"]);
}

#[test]
fn sync_never_fetches_journal_refs_and_warns_of_overwriting_refspecs() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    let head = a.git(&["rev-parse", "HEAD"]);
    a.git(&["update-ref", "refs/vouch/journal/keep", head.trim()]);
    a.git(&["push", "-q", "origin", "refs/vouch/journal/keep"]);
    a.git(&["config", "--add", "remote.origin.fetch", "+refs/notes/*:refs/notes/*"]);
    let out = a.sync();
    assert!(out.contains("overwrites local vouch refs on git fetch"), "{out}");
    let refs = a.git(&["for-each-ref", "--format=%(refname)", "refs/vouch-remote/"]);
    assert!(!refs.contains("journal"), "{refs}");
}

#[test]
fn approval_by_someone_the_policy_does_not_name() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("eve"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(
        details(failure),
        ["approval by eve@example.com does not count: eve@example.com is not a reviewer for src/lib.rs \
          (reviewers: alice@example.com, bob@example.com)"]
    );
}

#[test]
fn approval_by_whoever_accepted_the_ai_text() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let commit = Oid::from_str(a.git(&["rev-parse", "HEAD"]).trim()).unwrap();
    let blob = a.repo().find_commit(commit).unwrap().tree().unwrap().get_path(Path::new("src/lib.rs")).unwrap().id();
    // The note says Bob accepted Claude's suggestion in his editor.
    let record = NoteRecord::File(FileRecord {
        path: "src/lib.rs".into(),
        blob: blob.to_string(),
        ai: vec![[4, 7]],
        origin: AiSource { tool: "claude".into(), model: None, session: None, kind: None },
        evidence: Evidence::Editor,
        accepted_by: Some("bob@example.com".into()),
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    });
    notes::write_note(&a.repo(), commit, &[record]).unwrap();
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("bob"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    assert_eq!(
        details(only_failure(&report, "unapproved-ai")),
        ["approval by bob@example.com does not count: bob@example.com accepted this AI text and cannot approve it"]
    );
}

#[test]
fn approval_by_the_requester_or_the_author() {
    let world = World::new(SIGNED_POLICY);
    // Alice writes the AI code herself, and asks for sign-off.
    let a = world.clone_as("a", "alice");
    a.ai_feature();
    let (_, report) = a.verify("origin/main..HEAD");
    let failure = only_failure(&report, "unapproved-ai").clone();
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    a.request(&failure, "trust me");
    world.decide(&a, fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    assert_eq!(
        details(only_failure(&report, "unapproved-ai")),
        [
            "approval by alice@example.com does not count: alice@example.com requested this sign-off and cannot approve it"
        ]
    );

    // Bob requests for code that Alice authored: Alice still may not approve.
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "alice");
    a.ai_feature();
    let (_, report) = a.verify("origin/main..HEAD");
    let fingerprint = failures(&report)[0]["fingerprint"].as_str().unwrap().to_string();
    world.decide(&a, &fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    assert_eq!(
        details(only_failure(&report, "unapproved-ai")),
        [
            "approval by alice@example.com does not count: alice@example.com authored, committed or signed a commit of it and cannot approve it"
        ]
    );
}

#[test]
fn approval_signed_by_a_key_not_in_allowed_signers() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let id = world.decide(
        &a,
        failure["fingerprint"].as_str().unwrap(),
        Decision { key: Some("stranger"), ..Decision::by("alice") },
    );
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let failure = only_failure(&report, "unsigned-approval");
    let details = details(failure);
    assert_eq!(details.len(), 1, "{details:?}");
    let expected =
        format!("approval by alice@example.com ({}) does not count: it is signed with key SHA256:", &id[..10]);
    assert!(details[0].starts_with(&expected), "{}", details[0]);
    assert!(
        details[0].ends_with(
            "which origin/main:.vouch/allowed_signers does not list (it lists other keys for alice@example.com)"
        ),
        "{}",
        details[0]
    );

    // An unsigned approval does not count either.
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision { key: None, ..Decision::by("alice") });
    let (_, report) = a.verify("origin/main..HEAD");
    let unsigned = self::details(only_failure(&report, "unsigned-approval"));
    assert!(unsigned[0].ends_with("does not count: it carries no signature"), "{unsigned:?}");
}

#[test]
fn approval_signed_with_another_reviewers_key_under_this_reviewers_name() {
    let policy = SIGNED_POLICY.replace("require_signatures", "approvals = 2\nrequire_signatures");
    let (world, a, failure) = feature_world(&policy);
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    // Bob approves as himself, then again under Alice's name with his key.
    world.decide(&a, fingerprint, Decision::by("bob"));
    world.decide(&a, fingerprint, Decision { key: Some("bob"), ..Decision::by("alice") });
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let failure = only_failure(&report, "unsigned-approval");
    assert!(failure["reason"].as_str().unwrap().ends_with("has 1 (not requested)"), "{failure:#}");
    let details = details(failure);
    assert_eq!(details.len(), 1);
    assert!(
        details[0]
            .ends_with("which origin/main:.vouch/allowed_signers lists for bob@example.com, not for alice@example.com"),
        "{}",
        details[0]
    );
}

#[test]
fn identity_spoofed_with_git_c_user_email_in_signed_mode() {
    let (world, _a, failure) = feature_world(SIGNED_POLICY);
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    // Mallory signs with her configured key, claiming Alice's identity.
    let m = world.clone_as("m", "mallory");
    m.git(&["config", "gpg.format", "ssh"]);
    m.git(&["config", "user.signingkey", &world.key("mallory").with_extension("pub").display().to_string()]);
    m.git(&["fetch", "-q", "origin"]);
    let spoofed = m.git(&["-c", "user.email=alice@example.com", "config", "user.email"]).trim().to_string();
    assert_eq!(spoofed, "alice@example.com");
    let mut approval = Approval::new(
        &m.repository_id(),
        fingerprint,
        Verdict::Approve,
        Person { name: "Alice".into(), email: spoofed },
    );
    approval.signature = signature::sign(&m.repo(), &approval.signed_payload()).unwrap();
    assert!(approval.signature.is_some());
    records::add(&m.repo(), &approval).unwrap();
    m.sync();

    let ci = world.clone_as("ci", "ci");
    ci.git(&["fetch", "-q", "origin"]);
    ci.sync();
    _a.git(&["push", "-q", "origin", "feature"]);
    ci.git(&["fetch", "-q", "origin"]);
    ci.git(&["checkout", "-q", "-b", "feature", "origin/feature"]);
    let (code, report) = ci.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let details = details(only_failure(&report, "unsigned-approval"));
    assert!(
        details[0].ends_with(
            "which origin/main:.vouch/allowed_signers lists for mallory@example.com, not for alice@example.com"
        ),
        "{details:?}"
    );
}

#[test]
fn approval_replayed_onto_a_unit_whose_text_changed() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let old = failure["fingerprint"].as_str().unwrap().to_string();
    a.request(&failure, "adds");
    world.decide(&a, &old, Decision::by("bob"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
    // The code changes after approval.
    a.write(
        "src/lib.rs",
        &format!("{BASE_LIB}\npub fn add(a: u32, b: u32) -> u32 {{\n    a.wrapping_add(b) + 1\n}}\n"),
    );
    a.commit("tweak", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let failure = only_failure(&report, "unapproved-ai");
    assert_ne!(failure["fingerprint"], old.as_str());
    let details = details(failure);
    assert_eq!(details.len(), 1, "{details:?}");
    assert!(details[0].starts_with("approval by bob@example.com ("), "{}", details[0]);
    assert!(
        details[0].ends_with(&format!(
            "was for an earlier text of this unit (fingerprint {}); approvals are bound to the exact text, and it changed since",
            &old[..10]
        )),
        "{}",
        details[0]
    );
}

#[test]
fn approval_replayed_from_another_repository() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    // The same code in another repository, approved there by Alice.
    let other = tempfile::tempdir().unwrap();
    run_git(other.path(), &world.home(), &["init", "-q", "-b", "main"]);
    let o = Clone { path: other.path().to_path_buf(), home: world.home(), email: email("dev") };
    o.git(&["config", "user.email", "x@example.com"]);
    o.git(&["config", "user.name", "x"]);
    o.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    o.commit("elsewhere", None);
    let foreign = o.repository_id();
    assert_ne!(foreign, a.repository_id());
    world.decide(&o, fingerprint, Decision { repository: Some(foreign.clone()), ..Decision::by("alice") });
    // Its record is copied into this repository's approvals.
    let copied = records::list::<Approval>(&o.repo()).unwrap().records.remove(0).record;
    records::add(&a.repo(), &copied).unwrap();

    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let details = details(only_failure(&report, "unapproved-ai"));
    assert_eq!(details.len(), 1);
    assert!(
        details[0].ends_with(&format!(
            "does not count: it was made in another repository (root {}, not {})",
            &foreign[..10],
            &a.repository_id()[..10]
        )),
        "{}",
        details[0]
    );
}

#[test]
fn request_whose_fingerprint_does_not_match_its_text_cannot_be_approved() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    // The request shows harmless text but names the real unit's fingerprint.
    let benign = "pub fn add(a: u32, b: u32) -> u32 {\n    0\n}";
    let request = a.request_with("src/lib.rs", fingerprint, benign, "trivial");
    let stored = records::list::<Request>(&a.repo()).unwrap().records.remove(0).record;
    assert!(!stored.units[0].fingerprint_matches());
    // Alice approves what she was shown, answering that request.
    let id = world.decide(&a, fingerprint, Decision { request: Some(request.clone()), ..Decision::by("alice") });
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let failure = only_failure(&report, "unapproved-ai");
    let actual = vouch::fingerprint::fingerprint("rust", "function", benign.as_bytes());
    assert_eq!(
        details(failure),
        [
            format!(
                "approval by alice@example.com ({}) does not count: it answers request {} whose stated fingerprint \
                 does not match its text, so it cannot approve it",
                &id[..10],
                &request[..10]
            ),
            format!(
                "request {} by dev@example.com states this fingerprint for text that hashes to {}: a forged request, \
                 which no approval can answer",
                &request[..10],
                &actual[..10]
            ),
        ]
    );
}

#[test]
fn a_later_reject_overrides_earlier_approvals() {
    let policy = SIGNED_POLICY.replace("require_signatures", "approvals = 1\nrequire_signatures");
    let (world, a, failure) = feature_world(&policy);
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    world.decide(&a, fingerprint, Decision { created: Some("2026-01-01T10:00:00.000Z"), ..Decision::by("alice") });
    world.decide(
        &a,
        fingerprint,
        Decision { verdict: Verdict::Reject, created: Some("2026-01-01T11:00:00.000Z"), ..Decision::by("bob") },
    );
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let failure = only_failure(&report, "rejected");
    assert_eq!(failure["reason"], "AI-written code rejected by bob@example.com");
}

#[test]
fn note_edited_by_hand() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    let commit = a.ai_feature();
    let repo = a.repo();
    let blob = repo.find_commit(commit).unwrap().tree().unwrap().get_path(Path::new("src/lib.rs")).unwrap().id();
    let base_blob = repo
        .find_commit(repo.find_commit(commit).unwrap().parent_id(0).unwrap())
        .unwrap()
        .tree()
        .unwrap()
        .get_path(Path::new("src/lib.rs"))
        .unwrap()
        .id();
    let set_note = |text: &str| a.git(&["notes", "--ref=vouch", "add", "-f", "-m", text, &commit.to_string()]);

    // A record moved onto another blob (copied from another commit).
    set_note(&format!(
        r#"{{"v":1,"path":"src/lib.rs","blob":"{base_blob}","ai":[[1,3]],"origin":{{"tool":"claude"}},"evidence":"agent-hook","approvals":[]}}"#
    ));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let mismatch: Vec<&Value> = failures(&report).iter().filter(|f| f["rule"] == "note-mismatch").collect();
    assert_eq!(mismatch.len(), 1, "{report:#}");
    assert_eq!(
        mismatch[0]["reason"],
        format!(
            "the note on commit {} describes blob {} of src/lib.rs, but the commit has blob {}",
            &commit.to_string()[..10],
            &base_blob.to_string()[..10],
            &blob.to_string()[..10]
        )
    );

    // A record rewritten by hand (not as vouch writes it).
    set_note(&format!(
        r#"{{ "v": 1, "path": "src/lib.rs", "blob": "{blob}", "ai": [[4, 7]], "origin": {{"tool": "claude"}}, "evidence": "agent-hook", "approvals": [] }}"#
    ));
    let (_, report) = a.verify("origin/main..HEAD");
    let mismatch: Vec<&Value> = failures(&report).iter().filter(|f| f["rule"] == "note-mismatch").collect();
    assert_eq!(mismatch.len(), 1, "{report:#}");
    assert_eq!(
        mismatch[0]["reason"],
        format!("the note on commit {} is not as vouch writes it (edited by hand?, line 1)", &commit.to_string()[..10])
    );

    // AI text hidden behind a "no AI" attestation the trailer contradicts.
    set_note(r#"{"v":1,"attest":"no-ai"}"#);
    let (_, report) = a.verify("origin/main..HEAD");
    let mismatch: Vec<&Value> = failures(&report).iter().filter(|f| f["rule"] == "note-mismatch").collect();
    assert_eq!(mismatch.len(), 1, "{report:#}");
    assert_eq!(
        mismatch[0]["reason"],
        format!("the note on commit {} attests no AI text, but its trailer names claude", &commit.to_string()[..10])
    );
    // The trailer still makes the code AI: it still needs its approval.
    assert!(failures(&report).iter().any(|f| f["rule"] == "unapproved-ai"));

    // A note vouch cannot read at all: verify refuses to decide.
    set_note("{not json");
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&format!("malformed vouch note on commit {commit}, line 1")), "{text}");
}

#[test]
fn policy_change_in_the_range_that_grants_the_attacker_reviewer_rights() {
    let world = World::new(SIGNED_POLICY);
    let m = world.clone_as("m", "mallory");
    m.git(&["checkout", "-q", "-b", "takeover"]);
    // Mallory makes Eve a reviewer, and turns signatures off.
    m.write(".vouch.toml", "reviewers = [\"eve@example.com\"]\n");
    m.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    m.commit("add add(), new reviewers", Some(TRAILER));
    let (_, report) = m.verify("origin/main..HEAD");
    let fingerprint = failures(&report)
        .iter()
        .find(|f| f["rule"] == "unapproved-ai")
        .and_then(|f| f["fingerprint"].as_str())
        .unwrap()
        .to_string();
    world.decide(&m, &fingerprint, Decision { key: None, ..Decision::by("eve") });
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let list = failures(&report);
    assert_eq!(list.len(), 2, "{report:#}");
    let policy = list.iter().find(|f| f["rule"] == "policy-change").unwrap();
    assert_eq!(policy["path"], ".vouch.toml");
    let reason = policy["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            ".vouch.toml is changed in the range and is a trust file (it decides who may approve, or runs the \
             check), so the change needs 1 signed \
             approval(s) from alice@example.com, bob@example.com under the policy at BASE, has 0 (not requested); \
             approve fingerprint "
        ),
        "{reason}"
    );
    let unit = list.iter().find(|f| f["rule"] == "unapproved-ai").unwrap();
    assert_eq!(
        details(unit),
        ["approval by eve@example.com does not count: eve@example.com is not a reviewer for src/lib.rs \
          (reviewers: alice@example.com, bob@example.com)"]
    );

    // The change itself can be approved by a BASE reviewer, by its fingerprint.
    let policy_fp = policy["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(policy_fp, vouch::fingerprint::trust_fingerprint(".vouch.toml", Some(m.read(".vouch.toml").as_bytes())));
    world.decide(&m, &policy_fp, Decision::by("bob"));
    let (_, report) = m.verify("origin/main..HEAD");
    assert!(failures(&report).iter().all(|f| f["rule"] != "policy-change"), "{report:#}");
}

#[test]
fn ai_trailer_commit_with_no_approval_and_sarif() {
    let (_world, a, failure) = feature_world(SIGNED_POLICY);
    assert_eq!(failure["commits"].as_array().unwrap().len(), 1);
    let out = a.vouch(&["verify", "origin/main..HEAD", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "vouch/unapproved-ai");
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "src/lib.rs");
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 5);

    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 1);
    assert!(
        text.contains(
            "src/lib.rs:5 function add unapproved-ai — AI-written code needs 1 signed approval(s) from \
             alice@example.com, bob@example.com under the policy at BASE, has 0 (not requested)"
        ),
        "{text}"
    );
    assert!(text.contains("FAIL: 0 unit(s) approved, 1 failure(s), 0 overridden"), "{text}");
}

#[test]
fn commit_with_no_note_under_require_attestation() {
    let policy = format!("{SIGNED_POLICY}require_attestation = true\n");
    let world = World::new(&policy);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("README", "hello\n");
    let attested = a.commit("readme", None);
    notes::write_note(&a.repo(), attested, &[NoteRecord::NoAi]).unwrap();
    a.write("README", "hello\nworld\n");
    let bare = a.commit("more readme", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let failure = only_failure(&report, "missing-attestation");
    assert_eq!(
        failure["reason"],
        format!(
            "commit {} (more readme) carries no vouch note; the policy at BASE requires every commit to attest its AI \
             text (a note with file records, or `no-ai`); where vouch's post-commit hook did not run or finish, `vouch \
             notes rebuild BASE..HEAD` in the clone that made it notes it from the journal, and `vouch sync` shares \
             the note",
            &bare.to_string()[..10]
        )
    );
    assert_eq!(report["coverage"]["without_note"][0], bare.to_string());
    assert_eq!(report["coverage"]["unknown_lines"], 1);
    assert_eq!(report["coverage"]["attested_lines"], 1);
    notes::write_note(&a.repo(), bare, &[NoteRecord::NoAi]).unwrap();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn overrides_count_only_where_the_base_policy_allows_them() {
    // Not allowed: the command refuses, and a record made anyway is
    // reported but does not count.
    let (world, a, _) = feature_world(SIGNED_POLICY);
    let out = a.vouch(&["override", "--reason", "incident 42", "origin/main..HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not allow overrides (allow_override = false)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = a.git(&["rev-parse", "HEAD"]).trim().to_string();
    let mut record = Override::new(&a.repository_id(), a.person(), "incident 42");
    record.commits.push(head.clone());
    let id = records::add(&a.repo(), &record).unwrap();
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!(
            "override {} by dev@example.com at {}: \"incident 42\" — covers 1 commit(s) of the range; NOT counted: \
             the policy at BASE does not allow overrides (allow_override = false)",
            &id[..10],
            record.created
        )),
        "{text}"
    );
    drop(world);

    // Allowed: a signed override by someone `override_by` names lets the
    // range pass, and is listed.
    let policy = format!("{SIGNED_POLICY}allow_override = true\noverride_by = [\"bob@example.com\"]\n");
    let (world, a, failure) = feature_world(&policy);
    a.git(&["config", "user.email", "bob@example.com"]);
    a.git(&["config", "gpg.format", "ssh"]);
    a.git(&["config", "user.signingkey", &world.key("bob").display().to_string()]);
    let out = a.vouch(&["override", "--reason", "incident 42", "origin/main..HEAD"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["overrides"][0]["counted"], true);
    assert_eq!(report["overrides"][0]["reason"], "incident 42");
    assert_eq!(report["overridden"][0]["failure"]["fingerprint"], failure["fingerprint"]);
    let (_, text) = a.verify_text("origin/main..HEAD");
    assert!(text.contains("overridden: src/lib.rs:5 function add unapproved-ai"), "{text}");
    assert!(text.contains("PASS: 0 unit(s) approved, 0 failure(s), 1 overridden"), "{text}");

    // An unsigned override where signatures are required does not count.
    let (_world, a, _) = feature_world(&policy);
    let out = a.vouch(&["override", "--reason", "incident 43", "origin/main..HEAD"]);
    assert_eq!(out.status.code(), Some(2), "no signing key configured");
    let head = a.git(&["rev-parse", "HEAD"]).trim().to_string();
    let mut record = Override::new(&a.repository_id(), a.person(), "incident 43");
    record.commits.push(head);
    records::add(&a.repo(), &record).unwrap();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    assert_eq!(report["overrides"][0]["counted"], false);
    assert_eq!(report["overrides"][0]["not_counted_because"], "the override carries no signature");
}

#[test]
fn unreadable_records_and_policies_fail_closed() {
    let (_world, a, _) = feature_world(SIGNED_POLICY);
    // A file under the approvals ref that is not a valid record.
    let repo = a.repo();
    let blob = repo.blob(b"{\"type\":\"approval\"}").unwrap();
    let mut sub = repo.treebuilder(None).unwrap();
    let name = format!("{}.json", "ab".repeat(32));
    sub.insert(&name, blob, 0o100644).unwrap();
    let sub = sub.write().unwrap();
    let mut top = repo.treebuilder(None).unwrap();
    top.insert("ab", sub, 0o040000).unwrap();
    let tree = repo.find_tree(top.write().unwrap()).unwrap();
    let sig = git2::Signature::now("x", "x@example.com").unwrap();
    let commit = repo.commit(None, &sig, &sig, "junk", &tree, &[]).unwrap();
    repo.reference("refs/vouch/approvals", commit, true, "junk").unwrap();
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&format!("unreadable record refs/vouch/approvals:ab/{name}")), "{text}");

    // An allowed-signers file at BASE that cannot be parsed.
    let world = World::new(SIGNED_POLICY);
    let s = world.clone_as("s", "dev");
    s.write(".vouch/allowed_signers", "alice@example.com ssh-ed25519 not-base64!\n");
    s.commit("break the signers", None);
    s.git(&["push", "-q", "origin", "main"]);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("cannot read the allowed signers as of BASE: origin/main:.vouch/allowed_signers:1: cannot parse"),
        "{text}"
    );

    // An invalid policy at BASE.
    let world = World::new("reviewer = [\"typo@example.com\"]\n");
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("cannot read the policy as of BASE: origin/main:.vouch.toml:1:1: unknown key `reviewer`"),
        "{text}"
    );
}

/// A reviewer signs off a policy change with `vouch approve --file`, and a
/// non-reviewer cannot.
#[test]
fn policy_change_signed_off_from_the_command_line() {
    let world = World::new("reviewers = [\"alice@example.com\"]\n");
    let d = world.clone_as("d", "dev");
    d.git(&["checkout", "-q", "-b", "more-reviewers"]);
    d.write(".vouch.toml", "reviewers = [\"alice@example.com\", \"bob@example.com\"]\n");
    d.commit("add bob as a reviewer", None);
    let (code, report) = d.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    assert_eq!(failures(&report).iter().filter(|f| f["rule"] == "policy-change").count(), 1, "{report:#}");
    // Bob is a reviewer only in the new policy: the base's decides.
    d.git(&["config", "user.email", "bob@example.com"]);
    let out = d.vouch(&["approve", "--file", ".vouch.toml", "--base", "origin/main", "--yes"]);
    // Refused by the policy: exit 1, as approve's other refusals; bad input is 2.
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bob@example.com is not a reviewer"));
    let out = d.vouch(&["approve", "--file", "src/lib.rs", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "not a trust file: bad input");
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not decide who may approve"));
    // Alice may; verify then passes.
    d.git(&["config", "user.email", "alice@example.com"]);
    let out = d.vouch(&["approve", "--file", ".vouch.toml", "--base", "origin/main", "--yes"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, report) = d.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}
