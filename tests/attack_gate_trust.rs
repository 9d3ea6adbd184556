//! The commit gate asks of a staged change to a trust file (the policy,
//! the allowed signers, CODEOWNERS, the policy's `trust_files`) what
//! `vouch verify BASE..HEAD` will ask of it (issue 12, issue 13 finding 11),
//! and `vouch request PATH` can name such a change (issue 13 finding 12).
//! Played as an author who wants to loosen the rules in the same pull
//! request, with the real binary, real git and real signatures.

mod support {
    pub mod run;
    pub mod world;
}

use serde_json::Value;
use support::world::*;
use vouch::fingerprint::trust_fingerprint;

/// `vouch check --staged` as JSON: the exit code and the report.
fn gate(clone: &Clone) -> (i32, Value) {
    let out = clone.vouch(&["check", "--staged", "--format", "json"]);
    let code = out.status.code().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("the gate printed no JSON ({e}), exit {code}: {stdout}{}", String::from_utf8_lossy(&out.stderr))
    });
    (code, report)
}

/// The trust-file units the gate reports: path and state.
fn trust_units(report: &Value) -> Vec<(String, String)> {
    report["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["trust_file"] == true)
        .map(|u| (u["path"].as_str().unwrap().to_string(), u["state"].as_str().unwrap().to_string()))
        .collect()
}

/// Mallory makes herself the only reviewer and drops signatures, staged
/// for commit: the gate refuses it as verify would refuse the commit, and
/// the commit hook with it; once a reviewer signs off on exactly that
/// policy the gate lets it through, and verify agrees.
#[test]
fn the_gate_refuses_a_staged_policy_change_until_a_reviewer_approves_that_text() {
    let world = World::new(SIGNED_POLICY);
    let m = world.clone_as("m", "mallory");
    m.git(&["checkout", "-q", "-b", "loosen"]);
    let loose = "reviewers = [\"mallory@example.com\"]\n";
    m.write(".vouch.toml", loose);
    m.git(&["add", ".vouch.toml"]);

    let (code, report) = gate(&m);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["outcome"], "refused", "{report:#}");
    assert_eq!(trust_units(&report), [(".vouch.toml".to_string(), "pending".to_string())], "{report:#}");
    let unit = report["units"].as_array().unwrap().iter().find(|u| u["trust_file"] == true).unwrap();
    let fingerprint = trust_fingerprint(".vouch.toml", Some(loose.as_bytes()));
    assert_eq!(unit["fingerprint"], fingerprint.as_str(), "{unit:#}");
    // Judged under the policy at BASE: its reviewers, not the staged ones.
    assert_eq!(unit["reviewers"], serde_json::json!(["alice@example.com", "bob@example.com"]), "{unit:#}");
    assert!(unit["excluded"].as_array().unwrap().iter().any(|e| e == "mallory@example.com"), "{unit:#}");

    // What the gate refuses, verify refuses of the same commit.
    m.git(&["commit", "-q", "--no-verify", "-m", "loosen"]);
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "policy-change")["fingerprint"], fingerprint.as_str());

    // Mallory's own approval does not count (she made the change); a
    // reviewer's signed approval of exactly this text does.
    world.decide(&m, &fingerprint, Decision::by("mallory"));
    m.git(&["reset", "-q", "--soft", "HEAD~1"]);
    let (code, report) = gate(&m);
    assert_eq!(code, 1, "{report:#}");
    world.decide(&m, &fingerprint, Decision::by("alice"));
    let (code, report) = gate(&m);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(trust_units(&report), [(".vouch.toml".to_string(), "approved".to_string())], "{report:#}");
    m.git(&["commit", "-q", "--no-verify", "-m", "loosen, approved"]);
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");

    // Another byte is another policy: refused again.
    m.write(".vouch.toml", &format!("{loose}# and a comment\n"));
    m.git(&["add", ".vouch.toml"]);
    let (code, report) = gate(&m);
    assert_eq!(code, 1, "{report:#}");
}

/// Adding her key under another name to the allowed signers, staged: the
/// gate refuses it (the allowed signers the policy at BASE names are a
/// trust file), and so does a staged CODEOWNERS or CI workflow change;
/// an ordinary file next to them is not asked about.
#[test]
fn the_gate_refuses_staged_changes_to_the_signers_codeowners_and_ci() {
    let world = World::new(SIGNED_POLICY);
    let m = world.clone_as("m", "mallory");
    m.git(&["checkout", "-q", "-b", "keys"]);
    let signers = m.read(".vouch/allowed_signers");
    m.write(".vouch/allowed_signers", &format!("{signers}alice@example.com {}\n", world.public_key("mallory")));
    m.write("CODEOWNERS", "* @mallory\n");
    m.write(".github/workflows/vouch.yml", "on: push\njobs: {}\n");
    m.write("docs/notes.md", "a person's notes\n");
    m.git(&["add", "-A"]);
    let (code, report) = gate(&m);
    assert_eq!(code, 1, "{report:#}");
    let mut units = trust_units(&report);
    units.sort();
    assert_eq!(
        units,
        [
            (".github/workflows/vouch.yml".to_string(), "pending".to_string()),
            (".vouch/allowed_signers".to_string(), "pending".to_string()),
            ("CODEOWNERS".to_string(), "pending".to_string()),
        ],
        "{report:#}"
    );
    assert!(!report["units"].as_array().unwrap().iter().any(|u| u["path"] == "docs/notes.md"), "{report:#}");

    // Deleting a trust file is a change too.
    m.git(&["reset", "-q", "--hard"]);
    m.git(&["rm", "-q", ".vouch/allowed_signers"]);
    let (code, report) = gate(&m);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(trust_units(&report), [(".vouch/allowed_signers".to_string(), "pending".to_string())]);
    let unit = report["units"].as_array().unwrap().iter().find(|u| u["trust_file"] == true).unwrap();
    assert_eq!(unit["fingerprint"], trust_fingerprint(".vouch/allowed_signers", None).as_str());
}

/// Dev's clone with a stricter policy staged on a branch, and its text.
fn tightening() -> (World, Clone, String) {
    let world = World::new(SIGNED_POLICY);
    let d = world.clone_as("d", "dev");
    d.git(&["checkout", "-q", "-b", "tighten"]);
    let tighter = format!("{SIGNED_POLICY}require_attestation = true\n");
    d.write(".vouch.toml", &tighter);
    d.git(&["add", ".vouch.toml"]);
    (world, d, tighter)
}

/// `vouch request .vouch.toml` asks for sign-off on the policy change
/// (issue 13 finding 12: it used to find nothing), with the exact bytes
/// and the trust-file fingerprint; a reviewer's approval of that request
/// clears the gate.
#[test]
fn a_trust_file_change_can_be_requested_and_approved_through_the_request() {
    let (world, d, tighter) = tightening();

    let out = d.vouch(&["request", ".vouch.toml", "-m", "require attestation", "--format", "json"]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fingerprint = trust_fingerprint(".vouch.toml", Some(tighter.as_bytes()));
    assert_eq!(made["units"][0]["fingerprint"], fingerprint.as_str(), "{made:#}");
    assert_eq!(made["units"][0]["path"], ".vouch.toml", "{made:#}");
    let request = made["request"].as_str().unwrap().to_string();

    let (code, report) = gate(&d);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(trust_units(&report), [(".vouch.toml".to_string(), "requested".to_string())], "{report:#}");

    // Alice answers the request, signed.
    let mut decision = Decision::by("alice");
    decision.request = Some(request);
    world.decide(&d, &fingerprint, decision);
    let (code, report) = gate(&d);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(trust_units(&report), [(".vouch.toml".to_string(), "approved".to_string())], "{report:#}");
}

/// The same request reaches the reviewer's queue: `vouch review` shows the
/// policy's new text and records the approval that clears the gate (it
/// used to set such a request aside: "unknown language `trust`").
#[test]
fn a_requested_trust_file_change_is_approved_in_the_review() {
    let (world, d, _) = tightening();
    let run = d.run(&["request", ".vouch.toml", "-m", "require attestation"]);
    assert_eq!(run.code, 0, "{run:?}");

    d.act_as("alice");
    d.git(&["config", "gpg.format", "ssh"]);
    d.git(&["config", "user.signingkey", &world.key("alice").display().to_string()]);
    let run = d.run_with_input(&["review"], "a\nq\n");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("unknown language"), "{run:?}");
    assert!(run.stdout.contains("require_attestation = true"), "the new text is shown: {run:?}");
    assert!(run.stdout.contains(".vouch.toml · trust-file"), "named as verify names it: {run:?}");
    assert!(run.stdout.contains("Approved 1"), "{run:?}");
    d.act_as("dev");
    let (code, report) = gate(&d);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(trust_units(&report), [(".vouch.toml".to_string(), "approved".to_string())], "{report:#}");
}
