//! `vouch blame` says what every other view says (issues 13 and 17),
//! through the real binary and real git:
//!
//! - lines that come from records imported from another tool's format
//!   (Agent Trace), which attest nothing, are named `imported:
//!   agent-trace`, as `vouch status`, `vouch log`, `vouch stats` and
//!   verify's coverage name them, never `vouch note`;
//! - a rationale drafted from the agent's intent says so, as `vouch
//!   review`, `vouch approve` and the editor say it (`rationale_from` in
//!   JSON).

mod support {
    pub mod commits;
    pub mod repo;
}

use std::path::Path;
use std::process::Command;

use git2::{Oid, Repository};
use serde_json::Value;
use support::commits::{commit_file, function, head};
use support::repo::{TestRepo, vouch_in, vouch_ok_in};
use vouch::intent::Intent;
use vouch::provenance::{AiSource, Attribution, Evidence};
use vouch::store::notes::{self, FileRecord, NoteRecord};

const POLICY: &str = "reviewers = [\"carol@example.com\"]\n";
const DEV: (&str, &str) = ("Dev", "dev@example.com");

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = vouch_ok_in(dir, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("vouch {args:?}: {e}\n{out}"))
}

/// A note record of `path` at HEAD with AI lines `ai`, by `tool`;
/// `imported` as `vouch import --agent-trace` marks its records.
fn record(repo: &TestRepo, path: &str, ai: Vec<[u32; 2]>, tool: &str, imported: Option<&str>) -> FileRecord {
    let blob = repo.git(&["rev-parse", &format!("HEAD:{path}")]).trim().to_string();
    FileRecord {
        path: path.into(),
        blob,
        ai,
        origin: AiSource { tool: tool.into(), model: None, session: None, kind: None },
        evidence: if imported.is_some() { Evidence::History } else { Evidence::AgentHook },
        accepted_by: imported.is_none().then(|| DEV.1.to_string()),
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: imported.map(str::to_string),
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    }
}

fn note(repo: &TestRepo, commit: Oid, records: Vec<FileRecord>) {
    let records: Vec<NoteRecord> = records.into_iter().map(NoteRecord::File).collect();
    notes::write_note(&Repository::open(&repo.root).unwrap(), commit, &records).unwrap();
}

/// The `source` blame gives each line of `path`, by line number.
fn sources(blame: &Value) -> Vec<(u64, Option<String>)> {
    blame["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["line"].as_u64().unwrap(), l["source"].as_str().map(str::to_string)))
        .collect()
}

#[test]
fn blame_and_status_name_imported_records_as_imported_not_as_a_vouch_note() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    let base = head(&repo);

    // A commit whose note holds nothing but an imported record: four AI
    // lines of a function, two lines by hand after it.
    repo.write("src/parser.rs", &format!("{}// by hand\n// also by hand\n", function("parse")));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "parser"]);
    let imported = head(&repo);
    note(&repo, imported, vec![record(&repo, "src/parser.rs", vec![[1, 4]], "cursor", Some("agent-trace"))]);
    // A commit whose note vouch wrote for one file and imported for
    // another: the note attests its commit, and each line is named by the
    // record that covers it.
    repo.write("src/own.rs", &function("own"));
    repo.write("src/theirs.rs", &function("theirs"));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "two files"]);
    let mixed = head(&repo);
    note(
        &repo,
        mixed,
        vec![
            record(&repo, "src/own.rs", vec![[1, 4]], "claude-code", None),
            record(&repo, "src/theirs.rs", vec![[1, 4]], "cursor", Some("agent-trace")),
        ],
    );
    commit_file(&repo, "src/other.rs", "other", DEV, "other");
    repo.git(&["config", "vouch.base", &base.to_string()]);

    // verify and log name the imported-only commit's evidence so.
    let log = json(&repo.root, &["log", &format!("{base}..HEAD"), "--format", "json"]);
    let entry = log.as_array().unwrap().iter().find(|e| e["commit"] == imported.to_string()).unwrap();
    assert_eq!(entry["evidence"], serde_json::json!(["imported: agent-trace"]), "{log:#}");

    // blame, JSON: the imported lines are AI, named as imported.
    let blame = json(&repo.root, &["blame", "src/parser.rs", "--format", "json"]);
    let imported_label = Some("imported: agent-trace".to_string());
    let expected: Vec<(u64, Option<String>)> =
        (1..=6).map(|n| (n, if n <= 4 { imported_label.clone() } else { None })).collect();
    assert_eq!(sources(&blame), expected, "{blame:#}");
    let blame = json(&repo.root, &["blame", "src/theirs.rs", "--format", "json"]);
    assert!(sources(&blame).iter().all(|(_, s)| *s == imported_label), "{blame:#}");
    let blame = json(&repo.root, &["blame", "src/own.rs", "--format", "json"]);
    assert!(sources(&blame).iter().all(|(_, s)| s.as_deref() == Some("vouch note")), "{blame:#}");

    // blame, text: the evidence column says it.
    let text = vouch_ok_in(&repo.root, &["blame", "src/parser.rs"]);
    assert!(!text.contains("vouch note"), "{text}");
    let first = text.lines().find(|l| l.contains("pub fn parse")).unwrap_or_else(|| panic!("{text}"));
    assert!(first.contains("imported: agent-trace"), "{text}");

    // status names the same evidence for the units.
    let status = json(&repo.root, &["status", "--format", "json"]);
    let evidence = |path: &str| {
        status["worktree"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["path"] == path)
            .unwrap_or_else(|| panic!("no unit of {path}: {status:#}"))["evidence"]
            .clone()
    };
    assert_eq!(evidence("src/parser.rs"), serde_json::json!(["imported: agent-trace"]), "{status:#}");
    assert_eq!(evidence("src/theirs.rs"), serde_json::json!(["imported: agent-trace"]), "{status:#}");
    assert_eq!(evidence("src/own.rs"), serde_json::json!(["vouch note"]), "{status:#}");
    let text = vouch_ok_in(&repo.root, &["status"]);
    assert!(text.contains("(4 AI line(s) by cursor · imported: agent-trace)"), "{text}");
}

const RUST: &str = "use std::fmt;\n\nfn human() -> u32 {\n    1\n}\n";
const GENERATED: &str = "fn generated(x: u32) -> u32 {\n    x * 2\n}\n";
const WORDS: &str = "Doubling the input for the pricing table.";
const MARK: &str = "drafted from the agent's intent";

/// An uncommitted AI function whose agent hook recorded `WORDS` as its
/// intent, requested with `request_args`.
fn requested(request_args: &[&str]) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"reviewer@example.com\"]\n");
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let text = format!("{RUST}{GENERATED}");
    repo.write("src/lib.rs", &text);
    let git = Repository::open(&repo.root).unwrap();
    let journal = vouch::store::journal::Journal::open(&git).unwrap();
    let attr = Attribution::ai(
        AiSource { tool: "claude-code".into(), model: None, session: None, kind: None },
        Evidence::AgentHook,
        None,
    )
    .with_intent(Some(Intent { said: Some(WORDS.into()), ..Intent::default() }));
    let spans = vec![(RUST.len()..text.len() - 1, attr)];
    journal.append(&git, vouch::store::journal::Entry::delta("src/lib.rs", &text, &spans)).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    cmd.args(request_args)
        .current_dir(&repo.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(b"\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    repo
}

/// The unit blame reports for `generated`, and blame's text.
fn blame_unit(repo: &TestRepo) -> (Value, String) {
    let blame = json(&repo.root, &["blame", "src/lib.rs", "--format", "json"]);
    let unit = blame["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "generated")
        .unwrap_or_else(|| panic!("no unit: {blame:#}"))
        .clone();
    (unit, vouch_ok_in(&repo.root, &["blame", "src/lib.rs"]))
}

#[test]
fn blame_says_a_rationale_was_drafted_from_the_agents_intent() {
    let repo = requested(&["request", "--from-intent", "src/lib.rs"]);
    let (unit, text) = blame_unit(&repo);
    assert_eq!(unit["rationale"], WORDS, "{unit:#}");
    assert_eq!(unit["rationale_from"], "intent", "{unit:#}");
    let line = text.lines().find(|l| l.contains("rationale:")).unwrap_or_else(|| panic!("no rationale: {text}"));
    assert!(line.contains(WORDS) && line.contains(MARK), "{text}");
}

#[test]
fn blame_shows_a_typed_rationale_with_no_mark() {
    let repo = requested(&["request", "src/lib.rs", "-m", "for the spring pricing table"]);
    let (unit, text) = blame_unit(&repo);
    assert_eq!(unit["rationale"], "for the spring pricing table", "{unit:#}");
    assert!(unit.get("rationale_from").is_none_or(Value::is_null), "{unit:#}");
    assert!(text.contains("rationale: for the spring pricing table") && !text.contains(MARK), "{text}");
}

#[test]
fn the_pull_request_summary_says_a_rationale_was_drafted_from_the_agents_intent() {
    let repo = requested(&["request", "--from-intent", "src/lib.rs"]);
    let base = head(&repo);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "generated\n\nCo-authored-by: Claude <noreply@anthropic.com>\n"]);
    let range = format!("{base}..HEAD");
    let out = vouch_in(&repo.root, &["verify", &range, "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    let signoff = &report["failures"][0]["signoff"];
    assert_eq!(signoff["rationale"], WORDS, "{report:#}");
    assert_eq!(signoff["rationale_from"], "intent", "{report:#}");
    let out = vouch_in(&repo.root, &["verify", &range, "--format", "markdown"]);
    let summary = String::from_utf8_lossy(&out.stdout);
    let line = summary.lines().find(|l| l.starts_with("| rationale |")).unwrap_or_else(|| panic!("{summary}"));
    assert!(line.contains("Doubling the input") && line.contains(MARK), "{summary}");
}

/// A journal record whose file version is lost is said once, and the
/// records that can be used still speak.
#[test]
fn blame_says_once_that_a_journal_record_cannot_be_used() {
    use vouch::store::journal::{Entry, Journal};
    let repo = TestRepo::new();
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let git = Repository::open(&repo.root).unwrap();
    let journal = Journal::open(&git).unwrap();
    let attr = Attribution::ai(
        AiSource { tool: "claude-code".into(), model: None, session: None, kind: None },
        Evidence::AgentHook,
        None,
    );
    // An earlier version, whose blob goes missing.
    let lost = format!("{RUST}// lost\n");
    journal.append(&git, Entry::delta("src/lib.rs", &lost, &[(RUST.len()..lost.len() - 1, attr.clone())])).unwrap();
    let id = Oid::hash_object(git2::ObjectType::Blob, lost.as_bytes()).unwrap().to_string();
    std::fs::remove_file(repo.root.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    let text = format!("{RUST}{GENERATED}");
    repo.write("src/lib.rs", &text);
    journal.append(&git, Entry::delta("src/lib.rs", &text, &[(RUST.len()..text.len() - 1, attr)])).unwrap();

    let out = vouch_in(&repo.root, &["blame", "src/lib.rs", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches(&format!("blob {id} cannot be read")).count(), 1, "said once: {stderr}");
    let blame: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ai: Vec<&Value> = blame["lines"].as_array().unwrap().iter().filter(|l| l["origin"] == "ai").collect();
    assert_eq!(ai.len(), 3, "{blame:#}");
    assert!(ai.iter().all(|l| l["source"] == "journal" && l["tool"] == "claude-code"), "{blame:#}");
}
