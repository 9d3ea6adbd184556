//! Attacks through attributes that stand apart from the code they change
//! (issue 12, finding 13), end to end: the real `vouch` binary and real git.
//!
//! rustc applies an outer attribute to the next item across blank lines and
//! comments, and an inner attribute (`#![...]`) to the whole module. A
//! one-line AI `#[cfg(any())]` above a blank line compiles out an approved
//! impl; if vouch made that line a unit of its own, an approval of the same
//! line given anywhere else (approvals bind text, not places) would let it
//! through, and the reviewer would never see what it switches off. The
//! attribute is part of the item it applies to, so the impl needs review
//! again; an inner attribute makes the whole file the unit to review.

mod support {
    pub mod repo;
}

use std::process::Output;

use serde_json::Value;
use support::repo::{TestRepo, vouch_in};
use vouch::policy::Verdict;
use vouch::store::records::{self, Approval, Person};
use vouch::syntax::{Language, SyntaxTree, review_units};
use vouch::text::Text;

const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";
const POLICY: &str = "reviewers = [\"alice@example.com\"]\n";

const BASE: &str = "pub struct Gate;\n";
const IMPL: &str = "impl Gate {\n    pub fn allow(&self, user: &str) -> bool {\n        user == \"admin\"\n    }\n}\n";
/// What the attacker's AI commit puts above the impl.
const DETACHED: &str = "#[cfg(any())]\n\n";

fn vouch(repo: &TestRepo, args: &[&str]) -> Output {
    vouch_in(&repo.root, args)
}

fn commit_ai(repo: &TestRepo, subject: &str) {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &format!("{subject}\n\n{TRAILER}\n")]);
}

fn head(repo: &TestRepo) -> String {
    repo.git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// Alice's approval of `fingerprint`, as `vouch approve` records it.
fn approve(repo: &TestRepo, fingerprint: &str) {
    let git = git2::Repository::open(&repo.root).unwrap();
    let repository = vouch::store::repo::repository_id(&git).unwrap();
    let alice = Person { name: "alice".into(), email: "alice@example.com".into() };
    let mut approval = Approval::new(&repository, fingerprint, Verdict::Approve, alice);
    approval.path = Some("src/lib.rs".into());
    records::add(&git, &approval).unwrap();
}

/// The review units that vouch finds for the AI text `ai` of `source`:
/// their kinds and fingerprints.
fn units_of(source: &str, ai: std::ops::Range<usize>) -> Vec<(String, String)> {
    let text = Text::new(source.to_string()).unwrap();
    let tree = SyntaxTree::new(Language::Rust, source).unwrap();
    review_units(Language::Rust, tree.tree(), &text, &[ai]).into_iter().map(|u| (u.kind, u.fingerprint)).collect()
}

/// The fingerprint of the unit of `kind` that vouch finds for the AI text
/// `ai` of `source`.
fn fingerprint_of(source: &str, ai: std::ops::Range<usize>, kind: &str) -> String {
    let units = units_of(source, ai);
    let unit = units.iter().find(|u| u.0 == kind).unwrap_or_else(|| panic!("no {kind} unit in {units:#?}"));
    unit.1.clone()
}

fn verify(repo: &TestRepo, range: &str) -> (i32, Value) {
    let out = vouch(repo, &["verify", range, "--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("verify printed no JSON ({e}): {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report)
}

fn failures(report: &Value) -> Vec<(String, String)> {
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap_or("").to_string(), f["name"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// A repository whose `main` holds an AI-written impl that Alice approved;
/// returns it and the commit where the attacker's branch starts.
fn approved_impl() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("src/lib.rs", BASE);
    repo.commit_all("start");
    let start = head(&repo);
    let source = format!("{BASE}{IMPL}");
    repo.write("src/lib.rs", &source);
    commit_ai(&repo, "gate impl");
    for (_, fingerprint) in units_of(&source, BASE.len()..source.len()) {
        approve(&repo, &fingerprint);
    }
    let (code, report) = verify(&repo, &format!("{start}..HEAD"));
    assert_eq!(code, 0, "the approved impl passes: {report:#}");
    let base = head(&repo);
    (repo, base)
}

#[test]
fn a_detached_ai_attribute_makes_the_item_it_applies_to_need_review() {
    let (repo, base) = approved_impl();
    // The attacker's AI commit: `#[cfg(any())]` and a blank line above the
    // approved impl, which rustc then compiles out.
    let attacked = format!("{BASE}{DETACHED}{IMPL}");
    repo.write("src/lib.rs", &attacked);
    commit_ai(&repo, "tidy");
    // An approval of the attribute line on its own, as a reviewer might give
    // it anywhere else: it must not count for what the line does here.
    approve(&repo, &vouch::fingerprint::fingerprint("rust", "lines", b"#[cfg(any())]\n"));

    let (code, report) = verify(&repo, &format!("{base}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failures(&report), [("impl".to_string(), "Gate".to_string())], "{report:#}");
    // The unit the reviewer is asked about shows the attribute with the impl.
    let impl_fp = fingerprint_of(&attacked, BASE.len()..BASE.len() + DETACHED.len(), "impl");
    assert_eq!(report["failures"][0]["fingerprint"], impl_fp.as_str());

    // Once Alice approves the impl as it now reads, it passes.
    approve(&repo, &impl_fp);
    let (code, report) = verify(&repo, &format!("{base}..HEAD"));
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn the_gate_refuses_a_detached_ai_attribute_above_an_approved_item() {
    let (repo, _) = approved_impl();
    approve(&repo, &vouch::fingerprint::fingerprint("rust", "lines", b"#[cfg(any())]\n"));
    repo.write("src/lib.rs", &format!("{BASE}{DETACHED}{IMPL}"));
    let run = vouch(&repo, &["mark", "src/lib.rs:2", "--ai", "--tool", "claude-code"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    repo.git(&["add", "src/lib.rs"]);
    let run = vouch(&repo, &["check", "--staged"]);
    let out = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert!(out.contains("src/lib.rs:2 impl `Gate` — needs sign-off"), "{out}");
}

#[test]
fn an_ai_inner_attribute_makes_the_whole_file_need_review() {
    let (repo, base) = approved_impl();
    let attacked = format!("#![cfg(any())]\n{BASE}{IMPL}");
    repo.write("src/lib.rs", &attacked);
    commit_ai(&repo, "tidy");
    approve(&repo, &vouch::fingerprint::fingerprint("rust", "statement", b"#![cfg(any())]\n"));
    approve(&repo, &vouch::fingerprint::fingerprint("rust", "lines", b"#![cfg(any())]\n"));

    let (code, report) = verify(&repo, &format!("{base}..HEAD"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failures(&report), [("whole-file".to_string(), String::new())], "{report:#}");
    let whole = vouch::fingerprint::fingerprint("rust", "whole-file", attacked.as_bytes());
    assert_eq!(report["failures"][0]["fingerprint"], whole.as_str());
    approve(&repo, &whole);
    let (code, report) = verify(&repo, &format!("{base}..HEAD"));
    assert_eq!(code, 0, "{report:#}");
}
