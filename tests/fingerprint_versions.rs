//! Records made under fingerprint version 1 (normalized text, before
//! records named their version): still readable, never counted, and in
//! every view that lists decisions or requests called what they are —
//! "fingerprint version 1, no longer counts" — never "forged". The real
//! `vouch` binary, real git; the old records are written as the old vouch
//! wrote them (no `fingerprint_version`, a version-1 hash).

mod support {
    pub mod lsp;
    pub mod repo;
}

use std::process::Output;

use git2::{Oid, Repository};
use serde_json::{Value, json};
use support::lsp::{Server, range};
use support::repo::{TestRepo, vouch_in};
use vouch::policy::Verdict;
use vouch::store::notes::{self, NoteRecord};
use vouch::store::records::{self, Approval, Person, Request, RequestedUnit};

const POLICY: &str = "reviewers = [\"alice@example.com\"]\nexempt = []\n";
const UNIT: &str = "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";

/// Version 1: SHA-256 of "vouch-fp/1\0" language "\0" kind "\0" and the
/// text with LF line endings and no trailing spaces or tabs.
fn v1_fingerprint(language: &str, kind: &str, text: &str) -> String {
    let normalized: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches(['\r', ' ', '\t'])).collect();
    let mut bytes = format!("vouch-fp/1\0{language}\0{kind}\0").into_bytes();
    bytes.extend_from_slice(normalized.join("\n").as_bytes());
    vouch::fingerprint::sha256_hex(&bytes)
}

fn run(repo: &TestRepo, args: &[&str]) -> Output {
    vouch_in(&repo.root, args)
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A repository whose `feature` branch adds an AI function (hook, trailer,
/// note), with a version-1 request and approval for it, as an older vouch
/// wrote them, and the note listing that approval.
fn setup() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("src/lib.rs", "pub fn base() {}\n");
    assert!(run(&repo, &["init"]).status.success());
    repo.commit_all("start");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/lib.rs", &format!("pub fn base() {{}}\n{UNIT}"));
    let hook = run(&repo, &["hook", "generic", "--file", "src/lib.rs", "--tool", "claude"]);
    assert!(hook.status.success(), "{}", text(&hook));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "add\n\nCo-authored-by: Claude <noreply@anthropic.com>\n"]);

    let git = Repository::open(&repo.root).unwrap();
    let repository = vouch::store::repo::repository_id(&git).unwrap();
    let old = v1_fingerprint("rust", "function", UNIT);
    assert_ne!(old, vouch::fingerprint::fingerprint("rust", "function", UNIT.as_bytes()));
    let unit = RequestedUnit {
        path: "src/lib.rs".into(),
        language: "rust".into(),
        kind: "function".into(),
        name: Some("add".into()),
        fingerprint: old.clone(),
        fingerprint_version: None,
        text: UNIT.into(),
        ai_lines: vec![[1, 3]],
        tool: Some("claude".into()),
        model: None,
        intents: Vec::new(),
    };
    let dev = Person { name: "dev".into(), email: "dev@example.com".into() };
    let mut request = Request::new(&repository, dev, vec![unit]);
    request.rationale = Some("adds numbers".into());
    let request_id = records::add(&git, &request).unwrap();
    let alice = Person { name: "alice".into(), email: "alice@example.com".into() };
    let mut approval = Approval::new(&repository, &old, Verdict::Approve, alice);
    approval.fingerprint_version = None;
    approval.request = Some(request_id);
    approval.path = Some("src/lib.rs".into());
    let approval_id = records::add(&git, &approval).unwrap();
    // The note an older vouch wrote lists the approval on the AI lines.
    let head = Oid::from_str(repo.git(&["rev-parse", "HEAD"]).trim()).unwrap();
    let mut note = notes::read_note(&git, head).unwrap().unwrap();
    for record in &mut note {
        if let NoteRecord::File(f) = record {
            f.approvals.push(approval_id.clone());
        }
    }
    notes::replace_note(&git, head, &note).unwrap();
    (repo, approval_id)
}

const RETIRED: &str = "fingerprint version 1, no longer counts";

#[test]
fn version_1_records_are_reported_as_such_in_every_view() {
    let (repo, approval) = setup();
    let short = &approval[..12];

    // verify: the unit lacks sign-off; the old approval is named, not forged.
    let out = run(&repo, &["verify", "main..feature", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failure = &report["failures"][0];
    assert_eq!(failure["name"], "add", "{report}");
    let details = failure["details"].to_string();
    assert!(details.contains(RETIRED) && details.contains(short), "{details}");
    assert!(!report.to_string().contains("forged"), "{report}");

    // The review queue: not queued, not forged.
    let out = run(&repo, &["review", "--list", "--all", "--format", "json"]);
    let queue: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(queue["units"].as_array().unwrap().is_empty(), "{queue}");
    let problems = queue["problems"].to_string();
    assert!(problems.contains(RETIRED) && !problems.contains("forged"), "{problems}");

    // status (the working tree holds the unit; the journal record is
    // retired, history says AI).
    repo.write("src/lib.rs", &format!("pub fn base() {{}}\n{UNIT}// touched\n"));
    let out = run(&repo, &["status"]);
    let status = text(&out);
    assert!(status.contains(&format!("not counted: approval by alice@example.com ({short})")), "{status}");
    assert!(status.contains(RETIRED), "{status}");

    // blame: the unit's old approval and the note's listing of it.
    let out = run(&repo, &["blame", "src/lib.rs", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let blame: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(blame["units"][0]["not_counted"][0].as_str().unwrap().contains(RETIRED), "{blame}");
    let line = &blame["lines"][1];
    assert_eq!(line["approved_by"], json!([]), "{blame}");
    assert!(line["not_counted"][0].as_str().unwrap().contains(RETIRED), "{blame}");

    // log: the note's approval, said not to count.
    let out = run(&repo, &["log", "main..feature"]);
    let log = text(&out);
    assert!(log.contains(&format!("alice@example.com (does not count: {RETIRED})")), "{log}");

    // The language server's hover.
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", &repo.read("src/lib.rs"));
    let _ = server.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && !p["diagnostics"].as_array().unwrap().is_empty()
    });
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": range(2, 4, 2, 4)["start"] }),
    );
    let shown = hover.to_string();
    assert!(shown.contains("not counted") && shown.contains(RETIRED), "{shown}");
    server.shutdown();
}
