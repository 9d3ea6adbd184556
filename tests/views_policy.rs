//! Every view of a range judges as `vouch verify BASE..HEAD` does (issues
//! 13 and 17), through the real binary and real git:
//!
//! - `vouch stats A..B` and `vouch report A..B` read the policy at A (the
//!   range's BASE), not the one the working tree's BASE has;
//! - `vouch log` reads the bots (and the rest of the policy) from a
//!   commit, never from the working tree, so an author who edits
//!   `.vouch.toml` without committing it changes nothing it says;
//! - a note made only of imported records (Agent Trace) adds AI lines and
//!   attests nothing, in stats and log as in verify.

mod support {
    pub mod commits;
    pub mod repo;
}

use std::path::Path;

use git2::{Oid, Repository};
use serde_json::Value;
use support::commits::{commit_file, function, head};
use support::repo::{TestRepo, vouch_in};
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{self, FileRecord, NoteRecord};

const POLICY: &str = "reviewers = [\"carol@example.com\"]\n";
const HELPER: (&str, &str) = ("helper", "helper@example.com");

fn vouch(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = vouch_in(dir, args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What `vouch ARGS` prints; exit 0 or 1 (verify's "failed").
fn text(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = vouch(dir, args);
    assert!(matches!(code, 0 | 1), "vouch {args:?}: exit {code}\n{stdout}{stderr}");
    stdout
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = text(dir, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("vouch {args:?}: {e}\n{out}"))
}

/// A repository whose policy at its first commit (BASE) lists `helper` as a
/// bot, then a commit by helper (four lines), then a commit that drops
/// `helper` from the bots. Returns the repository and BASE.
fn bot_dropped_after_base() -> (TestRepo, Oid) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", &format!("{POLICY}bots = [\"helper\"]\n"));
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    let base = head(&repo);
    commit_file(&repo, "src/gen.rs", "generated", HELPER, "generated code");
    repo.write(".vouch.toml", POLICY);
    repo.commit_all("policy: no bots");
    (repo, base)
}

/// The `ai_share.evidence` row of `kind` in stats JSON: (commits, AI lines).
fn kind_row(stats: &Value, kind: &str) -> (u64, u64) {
    let row = stats["ai_share"]["evidence"].as_array().unwrap().iter().find(|e| e["kind"] == kind);
    row.map_or((0, 0), |e| (e["commits"].as_u64().unwrap(), e["ai_lines"].as_u64().unwrap()))
}

#[test]
fn stats_and_report_over_a_range_judge_by_the_policy_at_its_base() {
    let (repo, base) = bot_dropped_after_base();
    let range = format!("{base}..HEAD");

    // verify: helper was a bot at BASE, so its four lines are AI.
    let verify = json(&repo.root, &["verify", &range, "--format", "json"]);
    let coverage = &verify["coverage"];
    assert_eq!(coverage["ai_lines"], 4, "{verify:#}");

    let stats = json(&repo.root, &["stats", &range, "--format", "json"]);
    let share = &stats["ai_share"];
    assert_eq!(share["total"]["ai_lines"], 4, "stats judges A..B by the policy at A: {stats:#}");
    assert_eq!(kind_row(&stats, "bot author"), (1, 4), "{stats:#}");
    for key in ["ai_lines", "attested_lines", "unknown_lines"] {
        assert_eq!(stats["in_head"][key], coverage[key], "{key}: {stats:#}");
    }
    // One AI unit, as verify asks sign-off for one.
    assert_eq!(stats["triage"]["all"]["units"], 1, "{stats:#}");

    let html = text(&repo.root, &["report", &range, "-o", "-"]);
    let row = "<tr><td>bot author</td><td class=\"n\">1</td><td class=\"n\">4</td>";
    assert!(html.contains(row), "{row} not in the report:\n{html}");

    // Nothing the working tree says changes it: the policy is BASE's.
    repo.write(".vouch.toml", &format!("{POLICY}bots = [\"someone-else\"]\n"));
    let again = json(&repo.root, &["stats", &range, "--format", "json"]);
    assert_eq!(again["ai_share"], stats["ai_share"]);
}

#[test]
fn log_reads_the_policy_from_a_commit_never_from_the_working_tree() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", &format!("{POLICY}bots = [\"helper\"]\n"));
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    let base = head(&repo);
    let generated = commit_file(&repo, "src/gen.rs", "generated", HELPER, "generated code");
    let range = format!("{base}..HEAD");

    let entry = |log: &Value| log.as_array().unwrap().iter().find(|e| e["commit"] == generated.to_string()).cloned();
    let verify = json(&repo.root, &["verify", &range, "--format", "json"]);
    assert_eq!(verify["coverage"]["ai_lines"], 4, "{verify:#}");
    let labels = serde_json::json!(["bot author: helper"]);
    assert_eq!(verify["coverage"]["provenance"][generated.to_string()], labels, "{verify:#}");

    let before_range = json(&repo.root, &["log", &range, "--format", "json"]);
    let before_head = json(&repo.root, &["log", "--format", "json"]);
    for log in [&before_range, &before_head] {
        let e = entry(log).unwrap_or_else(|| panic!("{generated} not in {log:#}"));
        assert_eq!((e["ai_lines"].as_u64(), e["added_lines"].as_u64()), (Some(4), Some(4)), "{e:#}");
        assert_eq!(e["evidence"], labels, "{e:#}");
    }
    let text_before = text(&repo.root, &["log", &range]);

    // The author drops helper from the bots in the working tree (and in
    // the index), without committing it: log says what it said.
    repo.write(".vouch.toml", POLICY);
    repo.git(&["add", ".vouch.toml"]);
    assert_eq!(json(&repo.root, &["log", &range, "--format", "json"]), before_range);
    assert_eq!(json(&repo.root, &["log", "--format", "json"]), before_head);
    assert_eq!(text(&repo.root, &["log", &range]), text_before);
    // And the other way: naming a person a bot in the working tree does
    // not make their commit AI.
    repo.git(&["reset", "-q", "--hard"]);
    let dev = commit_file(&repo, "src/dev.rs", "by_hand", ("Dev", "dev@example.com"), "by hand");
    repo.write(".vouch.toml", &format!("{POLICY}bots = [\"helper\", \"dev@example.com\"]\n"));
    let log = json(&repo.root, &["log", "--format", "json"]);
    let e = log.as_array().unwrap().iter().find(|e| e["commit"] == dev.to_string()).unwrap();
    assert_eq!(e["ai_lines"], 0, "{e:#}");
    assert_eq!(e["evidence"], serde_json::json!([]), "{e:#}");
}

#[test]
fn log_over_a_range_judges_by_the_policy_at_its_base_as_verify_does() {
    let (repo, base) = bot_dropped_after_base();
    let range = format!("{base}..HEAD");
    let verify = json(&repo.root, &["verify", &range, "--format", "json"]);
    let log = json(&repo.root, &["log", &range, "--format", "json"]);
    let ai: u64 = log.as_array().unwrap().iter().map(|e| e["ai_lines"].as_u64().unwrap()).sum();
    assert_eq!(ai, 4, "{log:#}");
    assert_eq!(verify["coverage"]["ai_lines"], 4, "{verify:#}");
    for e in log.as_array().unwrap() {
        let commit = e["commit"].as_str().unwrap();
        let listed = &verify["coverage"]["provenance"][commit];
        let labels = if listed.is_null() { serde_json::json!([]) } else { listed.clone() };
        assert_eq!(e["evidence"], labels, "{commit}: {log:#}\n{verify:#}");
    }
}

#[test]
fn a_note_of_imported_records_only_attests_nothing_in_stats_and_log_as_in_verify() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    let base = head(&repo);
    let dev = ("Dev", "dev@example.com");
    // Six lines: a function of four, two by hand after it.
    repo.write("src/parser.rs", &format!("{}// by hand\n// also by hand\n", function("parse")));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "parser"]);
    let imported = head(&repo);
    let blob = repo.git(&["rev-parse", "HEAD:src/parser.rs"]).trim().to_string();
    // What `vouch import --agent-trace` writes: the AI lines, marked
    // imported, and nothing else.
    let record = FileRecord {
        path: "src/parser.rs".into(),
        blob,
        ai: vec![[1, 4]],
        origin: AiSource { tool: "cursor".into(), model: None, session: None, kind: None },
        evidence: Evidence::History,
        accepted_by: None,
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: Some("agent-trace".into()),
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    };
    notes::write_note(&Repository::open(&repo.root).unwrap(), imported, &[NoteRecord::File(record)]).unwrap();
    let attested = commit_file(&repo, "src/other.rs", "other", dev, "other");
    let blob = repo.git(&["rev-parse", "HEAD:src/other.rs"]).trim().to_string();
    let own = FileRecord {
        path: "src/other.rs".into(),
        blob,
        ai: vec![[1, 2]],
        origin: AiSource { tool: "claude-code".into(), model: None, session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: Some("dev@example.com".into()),
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    };
    notes::write_note(&Repository::open(&repo.root).unwrap(), attested, &[NoteRecord::File(own)]).unwrap();
    let range = format!("{base}..HEAD");

    // verify: the imported commit has no note that attests; its four
    // imported lines are AI, its two others unknown.
    let verify = json(&repo.root, &["verify", &range, "--format", "json"]);
    let coverage = &verify["coverage"];
    assert_eq!(coverage["with_note"], 1, "{verify:#}");
    assert_eq!(coverage["without_note"], serde_json::json!([imported.to_string()]), "{verify:#}");
    let provenance = coverage["provenance"].clone();
    assert_eq!(provenance[attested.to_string()], serde_json::json!(["vouch note"]), "{verify:#}");
    let imported_labels = provenance[imported.to_string()].clone();
    assert!(
        !imported_labels.as_array().is_some_and(|l| l.iter().any(|l| l == "vouch note")),
        "verify names an imported-only note as it counts it: {verify:#}"
    );

    let stats = json(&repo.root, &["stats", &range, "--format", "json"]);
    let share = &stats["ai_share"];
    assert_eq!(share["commits_with_note"], coverage["with_note"], "{stats:#}");
    assert_eq!(kind_row(&stats, "vouch note"), (1, 2), "{stats:#}");
    assert_eq!((share["total"]["ai_lines"].as_u64(), share["attested_lines"].as_u64()), (Some(6), Some(2)));
    for key in ["ai_lines", "attested_lines", "unknown_lines"] {
        assert_eq!(stats["in_head"][key], coverage[key], "{key}: {stats:#}");
    }
    let text_stats = text(&repo.root, &["stats", &range]);
    assert!(text_stats.contains("2 of 2 commit(s) carry some (0 merge(s)); 1 carry a vouch note"), "{text_stats}");
    assert!(text_stats.contains("imported                             1 commit(s)       4 AI / 6"), "{text_stats}");

    let log = json(&repo.root, &["log", &range, "--format", "json"]);
    let entry = log.as_array().unwrap().iter().find(|e| e["commit"] == imported.to_string()).unwrap();
    assert_eq!(entry["note"], false, "{entry:#}");
    assert_eq!(entry["evidence"], imported_labels, "{entry:#}");
    assert_eq!((entry["ai_lines"].as_u64(), entry["added_lines"].as_u64()), (Some(4), Some(6)), "{entry:#}");
    let entry = log.as_array().unwrap().iter().find(|e| e["commit"] == attested.to_string()).unwrap();
    assert_eq!(entry["note"], true, "{entry:#}");
    let text_log = text(&repo.root, &["log", &range]);
    let line = text_log.lines().find(|l| l.starts_with(&imported.to_string()[..10])).unwrap();
    assert!(!line.contains("vouch note"), "{text_log}");
    assert!(line.contains("2 unattested") || line.contains("2 unknown"), "the lines it does not claim: {text_log}");
}

/// Red team (rt30c C3): `vouch status` said nothing of a policy in the
/// working tree that does not parse (the gate and `vouch doctor` name its
/// line): a person read the units as judged and learnt of the typo only at
/// commit time. It says so, once, naming the line, and judges under BASE's.
#[test]
fn status_names_a_working_tree_policy_that_does_not_parse() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    repo.write(".vouch.toml", &format!("{POLICY}gate = \"blok\"\n"));
    let (code, _, stderr) = vouch(&repo.root, &["status"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches(".vouch.toml:2").count(), 1, "named once, with its line: {stderr}");
    assert!(stderr.contains("judged under the policy at BASE"), "{stderr}");
}
