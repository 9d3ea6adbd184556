//! The reviewer's queue and the team's views, through the real binary:
//! `vouch review` (listed, and driven by keys on standard input), `vouch
//! stats`, `vouch report --html`, and the language server's budget notice.
//! Requests, approvals and notes are written with the library, as
//! `vouch request`, `vouch approve` and the post-commit hook would.

mod support {
    pub mod lsp;
    pub mod repo;
}

use std::io::Write;
use std::process::{Command, Output, Stdio};

use git2::{Oid, Repository};
use serde_json::{Value, json};
use support::repo::TestRepo;
use vouch::fingerprint::fingerprint;
use vouch::policy::Verdict;
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{self, FileRecord, NoteRecord};
use vouch::store::records::{self, Approval, Person, Request, RequestedUnit};

const POLICY: &str = r#"reviewers = ["carol@example.com", "dora@example.com"]

[[rules]]
paths = ["src/db/"]
risk = "high"

[[triage]]
paths = ["tests/"]
max_ai_lines = 10
peer = true

[[triage]]
paths = ["docs/"]
max_ai_lines = 50
approvals = 0
"#;

const PLAIN: &str = "fn plain() -> u32 {\n    let a = 1;\n    a + 1\n}\n";
const SHELL: &str = "fn shell() {\n    std::process::Command::new(\"sh\").arg(\"-c\").arg(\"ls\").status().ok();\n}\n";
const DB: &str = "fn db() -> u32 {\n    let rows = 2;\n    rows\n}\n";
const FIX_OLD: &str = "fn fix(x: u32) -> u32 {\n    let y = x;\n    y\n}\n";
const FIX_NEW: &str = "fn fix(x: u32) -> u32 {\n    let y = x.saturating_add(1);\n    y\n}\n";

fn vouch(repo: &TestRepo, args: &[&str]) -> Output {
    vouch_with(repo, args, "", &[])
}

/// Run vouch in `repo` with `input` on standard input.
fn vouch_with(repo: &TestRepo, args: &[&str], input: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    cmd.args(args)
        .current_dir(&repo.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .env_remove("VISUAL")
        .env_remove("EDITOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("vouch runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "vouch failed ({}): {}{}",
        out.status,
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

fn json_of(out: Output) -> Value {
    serde_json::from_str(&ok(out)).expect("JSON output")
}

/// A repository with the policy committed, and the library's view of it.
fn setup() -> (TestRepo, Repository, String) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.commit_all("policy");
    let git = Repository::open(&repo.root).unwrap();
    let id = vouch::store::repo::repository_id(&git).unwrap();
    (repo, git, id)
}

fn person(email: &str) -> Person {
    Person { name: email.split('@').next().unwrap().to_string(), email: email.to_string() }
}

fn unit(path: &str, name: &str, text: &str, ai: [u32; 2]) -> RequestedUnit {
    RequestedUnit {
        path: path.into(),
        language: "rust".into(),
        kind: "function".into(),
        name: Some(name.into()),
        fingerprint: fingerprint("rust", "function", text.as_bytes()),
        fingerprint_version: Some(vouch::fingerprint::VERSION),
        text: text.into(),
        ai_lines: vec![ai],
        tool: Some("claude-code".into()),
        model: Some("claude-opus-4".into()),
        intents: Vec::new(),
    }
}

fn request(
    git: &Repository,
    id: &str,
    by: &str,
    created: &str,
    rationale: Option<&str>,
    units: Vec<RequestedUnit>,
) -> String {
    let mut r = Request::new(id, person(by), units);
    r.created = created.into();
    r.rationale = rationale.map(str::to_string);
    records::add(git, &r).unwrap()
}

fn decision(git: &Repository, id: &str, text: &str, by: &str, verdict: Verdict, created: &str, comment: Option<&str>) {
    let mut a = Approval::new(id, &fingerprint("rust", "function", text.as_bytes()), verdict, person(by));
    a.created = created.into();
    a.comment = comment.map(str::to_string);
    records::add(git, &a).unwrap();
}

fn approvals(git: &Repository) -> Vec<Approval> {
    let mut list: Vec<Approval> =
        records::list::<Approval>(git).unwrap().records.into_iter().map(|s| s.record).collect();
    list.sort_by(|a, b| a.created.cmp(&b.created));
    list
}

/// Three requests: a plain unit (oldest), a unit that runs a shell, one on a
/// high-risk path (newest), and a fix whose earlier version was rejected.
fn queue_repo() -> (TestRepo, Repository, String) {
    let (repo, git, id) = setup();
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-05T09:00:00.000Z",
        Some("a helper for the parser"),
        vec![unit("src/a.rs", "plain", PLAIN, [2, 3])],
    );
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-07T09:00:00.000Z",
        None,
        vec![unit("src/b.rs", "shell", SHELL, [1, 3])],
    );
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-09T09:00:00.000Z",
        Some("the query layer needs it"),
        vec![unit("src/db/q.rs", "db", DB, [1, 4])],
    );
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-01T09:00:00.000Z",
        Some("first try"),
        vec![unit("src/c.rs", "fix", FIX_OLD, [2, 2])],
    );
    decision(
        &git,
        &id,
        FIX_OLD,
        "carol@example.com",
        Verdict::Reject,
        "2026-01-02T09:00:00.000Z",
        Some("overflows at u32::MAX"),
    );
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-06T09:00:00.000Z",
        Some("saturates now"),
        vec![unit("src/c.rs", "fix", FIX_NEW, [2, 2])],
    );
    (repo, git, id)
}

fn paths(list: &Value) -> Vec<String> {
    list["units"].as_array().unwrap().iter().map(|u| u["path"].as_str().unwrap().to_string()).collect()
}

#[test]
fn list_json_orders_by_risk_then_age_and_says_everything_a_reviewer_needs() {
    let (repo, _git, _) = queue_repo();
    let list = json_of(vouch(&repo, &["review", "--list", "--all", "--format", "json"]));
    // High-risk path, then a risk tag, then the rest oldest first.
    assert_eq!(paths(&list), ["src/db/q.rs", "src/b.rs", "src/a.rs", "src/c.rs"]);
    assert_eq!(list["reviewer"], Value::Null);
    let db = &list["units"][0];
    assert_eq!(db["kind"], "function");
    assert_eq!(db["name"], "db");
    assert_eq!(db["path_risk"], "high");
    assert_eq!(db["risky"], true);
    assert_eq!(db["tool"], "claude-code");
    assert_eq!(db["model"], "claude-opus-4");
    assert_eq!(db["rationale"], "the query layer needs it");
    assert_eq!(db["ai_lines"], json!([[1, 4]]));
    assert_eq!(db["text"], DB);
    assert_eq!(db["fingerprint"], fingerprint("rust", "function", DB.as_bytes()));
    assert_eq!(db["awaited_by"], json!(["carol@example.com", "dora@example.com"]));
    assert_eq!(list["units"][1]["risk"], json!(["exec"]));
    assert_eq!(list["units"][1]["rationale"], Value::Null);
    let fix = &list["units"][3];
    assert_eq!(fix["earlier_rejection"]["by"], "carol@example.com");
    assert_eq!(fix["earlier_rejection"]["comment"], "overflows at u32::MAX");
    assert_eq!(fix["earlier_rejection"]["text"], FIX_OLD);
    assert!(fix["age_seconds"].as_i64().unwrap() > 0);
}

#[test]
fn list_for_the_current_identity() {
    let (repo, _git, _) = queue_repo();
    // The requester has nothing to sign off.
    let out = ok(vouch(&repo, &["review", "--list"]));
    assert_eq!(out, "Nothing awaits your sign-off (dev@example.com).\nrequests: 4 awaiting, 1 rejected\n");
    repo.git(&["config", "user.email", "carol@example.com"]);
    let out = ok(vouch(&repo, &["review", "--list"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "4 unit(s) await sign-off by carol@example.com, riskiest first:");
    assert!(lines[1].starts_with("  src/db/q.rs function `db` · 4 AI line(s) · high-risk path · waiting "), "{out}");
    assert!(lines[2].contains("src/b.rs function `shell` · 3 AI line(s) · risk: exec"), "{out}");
    assert!(lines[2].ends_with("requested by dev@example.com"), "{out}");
    assert!(
        lines[4].ends_with("requested by dev@example.com · revised after a rejection by carol@example.com"),
        "{out}"
    );
    // Someone the policy does not name sees nothing.
    repo.git(&["config", "user.email", "mallory@example.com"]);
    let list = json_of(vouch(&repo, &["review", "--list", "--format", "json"]));
    assert_eq!(list["reviewer"], "mallory@example.com");
    assert_eq!(paths(&list), Vec::<String>::new());
}

#[test]
fn keys_on_stdin_approve_reject_and_skip() {
    let (repo, git, id) = queue_repo();
    repo.git(&["config", "user.email", "carol@example.com"]);
    // Approve the db unit; a reject with no comment is cancelled, then one
    // with a comment; an unknown key; skip the third; quit on the fourth.
    let keys = "a\nr\n\nr\nquote the argument\nx\ns\nq\n";
    let out = ok(vouch_with(&repo, &["review"], keys, &[]));
    assert!(out.contains("── 1 of 4 ──"), "{out}");
    assert!(
        out.contains("src/db/q.rs · function `db`\n4 AI line(s) of 4 · high-risk path · 0 of 1 approval(s)\n"),
        "{out}"
    );
    assert!(out.contains("written by claude-code, model claude-opus-4\n"), "{out}");
    assert!(out.contains("requested by dev <dev@example.com> on 2026-01-09T09:00:00.000Z ("), "{out}");
    assert!(out.contains("rationale: the query layer needs it\n"), "{out}");
    assert!(out.contains("text (lines marked ai are AI-written):\n1 ai│ fn db() -> u32 {\n"), "{out}");
    assert!(out.contains("Approved function `db` in src/db/q.rs as carol@example.com"), "{out}");
    assert!(out.contains("risk: exec"), "{out}");
    assert!(out.contains("rationale: none given"), "{out}");
    assert!(out.contains("Not rejected: a rejection needs a comment saying what to change."), "{out}");
    assert!(out.contains("Rejected function `shell` in src/b.rs as carol@example.com"), "{out}");
    assert!(out.contains("Unknown key \"x\""), "{out}");
    // The plain unit marks only its AI lines.
    assert!(out.contains("1   │ fn plain() -> u32 {\n2 ai│     let a = 1;\n3 ai│     a + 1\n4   │ }\n"), "{out}");
    assert!(out.contains("── 4 of 4 ──"), "{out}");
    assert!(out.ends_with("Approved 1, rejected 1, skipped 1; 2 of 4 unit(s) still await you.\n"), "{out}");

    let records = approvals(&git);
    let ours: Vec<&Approval> =
        records.iter().filter(|a| a.reviewer.email == "carol@example.com" && a.created.as_str() > "2026-02").collect();
    assert_eq!(ours.len(), 2);
    assert_eq!(ours[0].fingerprint, fingerprint("rust", "function", DB.as_bytes()));
    assert_eq!((ours[0].decision, ours[0].path.as_deref()), (Verdict::Approve, Some("src/db/q.rs")));
    assert!(ours[0].request.is_some());
    assert_eq!(ours[1].fingerprint, fingerprint("rust", "function", SHELL.as_bytes()));
    assert_eq!((ours[1].decision, ours[1].comment.as_deref()), (Verdict::Reject, Some("quote the argument")));
    assert!(ours.iter().all(|a| a.repository == id));

    // What is left: the skipped unit and the one not reached.
    let list = json_of(vouch(&repo, &["review", "--list", "--format", "json"]));
    assert_eq!(paths(&list), ["src/a.rs", "src/c.rs"]);
    // Approved and rejected units left everyone's queue.
    let all = json_of(vouch(&repo, &["review", "--list", "--all", "--format", "json"]));
    assert_eq!(paths(&all), ["src/a.rs", "src/c.rs"]);
}

#[test]
fn a_fix_shows_what_changed_since_the_rejected_version() {
    let (repo, _git, _) = queue_repo();
    repo.git(&["config", "user.email", "dora@example.com"]);
    let out = ok(vouch_with(&repo, &["review"], "s\ns\ns\n", &[]));
    assert!(
        out.contains(
            "an earlier version was rejected by carol@example.com on 2026-01-02T09:00:00.000Z: overflows at u32::MAX\n"
        ),
        "{out}"
    );
    let diff = "changes since the rejected version:\n   fn fix(x: u32) -> u32 {\n -     let y = x;\n +     let y = x.saturating_add(1);\n       y\n   }\n";
    assert!(out.contains(diff), "{out}");
    // End of input quits, leaving the rest.
    assert!(out.ends_with("Approved 0, rejected 0, skipped 3; 4 of 4 unit(s) still await you.\n"), "{out}");
}

#[test]
fn quitting_and_the_end_of_input_decide_nothing() {
    let (repo, git, _) = queue_repo();
    repo.git(&["config", "user.email", "carol@example.com"]);
    let before = approvals(&git).len();
    let out = ok(vouch_with(&repo, &["review"], "q\n", &[]));
    assert!(out.ends_with("Approved 0, rejected 0, skipped 0; 4 of 4 unit(s) still await you.\n"), "{out}");
    let out = ok(vouch_with(&repo, &["review"], "", &[]));
    assert!(out.contains("── 1 of 4 ──"), "{out}");
    assert_eq!(approvals(&git).len(), before);
}

#[test]
fn the_editor_opens_the_file_at_the_first_ai_line_or_a_copy() {
    let (repo, _git, _) = queue_repo();
    repo.git(&["config", "user.email", "carol@example.com"]);
    let log = repo.path("editor.log");
    let editor = repo.path("editor.sh");
    std::fs::write(&editor, format!("#!/bin/sh\necho \"$@\" >> {}\ncat \"$2\" >> {}\n", log.display(), log.display()))
        .unwrap();
    let editor_cmd = format!("sh {}", editor.display());
    // The working tree holds the db unit after two lines of other code.
    repo.write("src/db/q.rs", &format!("use std::fmt;\n\n{DB}"));
    let out = ok(vouch_with(&repo, &["review"], "e\ns\ne\nq\n", &[("EDITOR", &editor_cmd)]));
    assert!(out.contains("Back from the editor (src/db/q.rs:3)."), "{out}");
    assert!(out.contains("Back from the editor (that was a temporary copy"), "{out}");
    let logged = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines[0], format!("+3 {}", repo.path("src/db/q.rs").display()));
    assert!(lines.contains(&"fn shell() {"), "{logged}");
    let copy = lines.iter().find(|l| l.starts_with("+1 ") && l.ends_with(".rs")).expect("a temporary copy at line 1");
    assert!(copy.contains("vouch-review-"), "{copy}");
    // VISUAL wins over EDITOR, and a failing editor is reported.
    let out = ok(vouch_with(&repo, &["review"], "e\nq\n", &[("EDITOR", &editor_cmd), ("VISUAL", "false")]));
    assert!(out.contains("cannot open an editor: false exited with"), "{out}");
}

#[test]
fn a_request_whose_fingerprint_does_not_match_its_text_is_not_queued() {
    let (repo, git, id) = setup();
    let mut forged = unit("src/a.rs", "plain", PLAIN, [2, 3]);
    forged.fingerprint = fingerprint("rust", "function", DB.as_bytes());
    request(&git, &id, "dev@example.com", "2026-01-05T09:00:00.000Z", None, vec![forged]);
    repo.git(&["config", "user.email", "carol@example.com"]);
    let out = vouch(&repo, &["review", "--list", "--all"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "Nothing awaits sign-off.\nrequests: 1 closed: cannot be decided on\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the fingerprint it states is not that of its text"), "{err}");
    assert!(err.contains("forged or damaged, it cannot be approved"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let (repo, _git, _) = setup();
    let out = vouch(&repo, &["review", "--all"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--all lists the whole queue; use it with --list"));
    let out = vouch(&repo, &["stats", "nope..HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot resolve `nope`"));
    let out = vouch(&repo, &["stats", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let outside = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vouch")).args(["stats"]).current_dir(outside.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// ---------------------------------------------------------------------------
// stats and report

/// Commit `files` with a note marking `ai` lines of each as AI-written.
fn commit_with_note(
    repo: &TestRepo,
    git: &Repository,
    message: &str,
    date: &str,
    files: &[(&str, &str, Option<[u32; 2]>)],
) -> Oid {
    for (path, text, _) in files {
        repo.write(path, text);
    }
    repo.git(&["add", "-A"]);
    let out = Command::new("git")
        .args(["commit", "-q", "--no-verify", "-m", message])
        .current_dir(&repo.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let head = git.head().unwrap().peel_to_commit().unwrap().id();
    let records: Vec<NoteRecord> = files
        .iter()
        .filter_map(|(path, _, ai)| {
            let ai = (*ai)?;
            let blob = repo.git(&["rev-parse", &format!("HEAD:{path}")]).trim().to_string();
            Some(NoteRecord::File(FileRecord {
                path: path.to_string(),
                blob,
                ai: vec![ai],
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
            }))
        })
        .collect();
    if !records.is_empty() {
        notes::write_note(git, head, &records).unwrap();
    }
    head
}

/// Four commits over two weeks: AI code in src/ and src/db/, an AI test
/// (peer review by triage), an AI doc (no sign-off by triage), and a human
/// commit with no note.
fn history_repo() -> (TestRepo, Repository, String, Oid) {
    let (repo, git, id) = setup();
    let base = git.head().unwrap().peel_to_commit().unwrap().id();
    commit_with_note(
        &repo,
        &git,
        "lib",
        "2026-01-05T10:00:00Z",
        &[
            ("src/lib.rs", "fn a() -> u32 {\n    1\n}\n\nfn b() -> u32 {\n    2\n}\n", Some([5, 7])),
            ("src/db/q.rs", DB, Some([1, 4])),
        ],
    );
    commit_with_note(
        &repo,
        &git,
        "tests",
        "2026-01-06T10:00:00Z",
        &[("tests/t.rs", "fn t() {\n    assert!(true);\n}\n", Some([1, 3]))],
    );
    commit_with_note(
        &repo,
        &git,
        "docs",
        "2026-01-13T10:00:00Z",
        &[("docs/guide.md", "# Guide\nUse it.\nWell.\nMore.\n", Some([1, 4]))],
    );
    commit_with_note(&repo, &git, "human", "2026-01-14T10:00:00Z", &[("README.md", "hello\nworld\n", None)]);
    (repo, git, id, base)
}

#[test]
fn stats_json_reports_queue_latency_share_and_triage() {
    let (repo, git, id, _) = history_repo();
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-05T09:00:00.000Z",
        Some("r"),
        vec![unit("src/a.rs", "plain", PLAIN, [2, 3])],
    );
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-07T09:00:00.000Z",
        None,
        vec![unit("src/b.rs", "shell", SHELL, [1, 3])],
    );
    request(&git, &id, "dev@example.com", "2026-01-08T09:00:00.000Z", None, vec![unit("tests/t.rs", "db", DB, [2, 2])]);
    decision(&git, &id, SHELL, "carol@example.com", Verdict::Approve, "2026-01-07T10:00:00.000Z", None);
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-08T09:00:00.000Z",
        None,
        vec![unit("src/c.rs", "fix", FIX_NEW, [2, 2])],
    );
    decision(&git, &id, FIX_NEW, "dora@example.com", Verdict::Reject, "2026-01-08T12:00:00.000Z", Some("no"));

    let stats = json_of(vouch(&repo, &["stats", "--format", "json"]));
    let queue = &stats["queue"];
    assert_eq!(
        (queue["units"].as_u64(), queue["ai_lines"].as_u64(), queue["requests"].as_u64()),
        (Some(2), Some(3), Some(2))
    );
    assert_eq!(queue["oldest_request"], "2026-01-05T09:00:00.000Z");
    assert_eq!(
        stats["reviewers"],
        json!([
            { "reviewer": "any peer", "units": 1, "ai_lines": 1, "oldest_seconds": stats["reviewers"][0]["oldest_seconds"], "over_budget": false },
            { "reviewer": "carol@example.com", "units": 1, "ai_lines": 2, "oldest_seconds": queue["oldest_seconds"], "over_budget": false },
            { "reviewer": "dora@example.com", "units": 1, "ai_lines": 2, "oldest_seconds": queue["oldest_seconds"], "over_budget": false },
        ])
    );
    // One hour and three hours to a decision; two units undecided.
    assert_eq!(stats["latency"], json!({ "decided": 2, "undecided": 2, "median_seconds": 3600, "p90_seconds": 10800 }));

    let share = &stats["ai_share"];
    assert_eq!(stats["range"], "all 5 commit(s)");
    assert_eq!((share["commits"].as_u64(), share["commits_with_note"].as_u64()), (Some(5), Some(3)));
    assert_eq!(share["total"]["ai_lines"], 14);
    let dirs: Vec<(String, u64, u64)> = share["directories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (d["label"].as_str().unwrap().into(), d["ai_lines"].as_u64().unwrap(), d["added_lines"].as_u64().unwrap())
        })
        .collect();
    let policy_lines = POLICY.lines().count() as u64;
    assert_eq!(
        dirs,
        [
            (".".to_string(), 0, policy_lines + 2),
            ("src".to_string(), 3, 7),
            ("docs".to_string(), 4, 4),
            ("src/db".to_string(), 4, 4),
            ("tests".to_string(), 3, 3),
        ]
    );
    assert_eq!(share["period"], "week");
    let weeks: Vec<&str> =
        share["over_time"].as_array().unwrap().iter().map(|w| w["label"].as_str().unwrap()).collect();
    assert_eq!(weeks.len(), 3, "{weeks:?}");

    // Triage: the test needs a peer, the doc nothing, b and db seniors.
    let t = &stats["triage"];
    assert_eq!(t["all"], json!({ "units": 4, "ai_lines": 14 }));
    assert_eq!(t["senior"], json!({ "units": 2, "ai_lines": 7 }));
    assert_eq!(t["peer"], json!({ "units": 1, "ai_lines": 3 }));
    assert_eq!(t["no_signoff"], json!({ "units": 1, "ai_lines": 4 }));

    let text = ok(vouch(&repo, &["stats"]));
    assert!(text.contains("  2 unit(s) awaiting sign-off, 3 AI line(s), in 2 request(s); oldest waiting "), "{text}");
    assert!(text.contains("awaiting each reviewer, for planning, not ranking:"), "{text}");
    assert!(text.contains("  median 1h 0m, p90 3h 0m over 2 decided unit(s); 2 undecided"), "{text}");
    assert!(text.contains("  senior review saved: 2 unit(s), 7 AI line(s) of 4 unit(s), 14 AI line(s)"), "{text}");
    assert!(text.contains("provenance: 3 of 5 commit(s) carry some (0 merge(s)); 3 carry a vouch note"), "{text}");
    assert!(text.contains("  requests: 2 awaiting, 1 approved, 1 rejected"), "{text}");
}

#[test]
fn stats_over_a_range() {
    let (repo, _git, _, base) = history_repo();
    let range = format!("{base}..HEAD~1");
    let stats = json_of(vouch(&repo, &["stats", &range, "--format", "json"]));
    assert_eq!(stats["range"], range.as_str());
    assert_eq!(stats["ai_share"]["commits"], 3);
    assert_eq!(stats["ai_share"]["total"]["added_lines"], 18);
    assert_eq!(stats["triage"]["all"]["units"], 4);
    // Only the test commit: the other AI units come from outside the range.
    let one = json_of(vouch(&repo, &["stats", "HEAD~3..HEAD~2", "--format", "json"]));
    assert_eq!(one["ai_share"]["total"]["ai_lines"], 3);
    assert_eq!(one["triage"]["all"], json!({ "units": 1, "ai_lines": 3 }));
    assert_eq!(one["triage"]["peer"]["units"], 1);
}

#[test]
fn stats_over_a_time_window() {
    let (repo, _git, _, _) = history_repo();
    let stats = json_of(vouch(&repo, &["stats", "--since", "2026-01-10", "--format", "json"]));
    assert_eq!(stats["range"], "commits since 2026-01-10");
    // The docs and README commits, and the policy's (made today); not the
    // test's AI lines of 2026-01-06.
    assert_eq!(stats["ai_share"]["commits"], 3);
    assert_eq!(stats["ai_share"]["total"]["ai_lines"], 4);
    let html = ok(vouch(&repo, &["report", "--since", "2026-01-10", "-o", "-"]));
    assert!(html.contains("commits: commits since 2026-01-10"), "{html}");
}

#[test]
fn stats_in_an_empty_repository() {
    let repo = TestRepo::new();
    let stats = json_of(vouch(&repo, &["stats", "--format", "json"]));
    assert_eq!(stats["range"], "no commits yet");
    assert_eq!(stats["queue"]["units"], 0);
    assert_eq!(stats["ai_share"]["commits"], 0);
}

#[test]
fn report_writes_one_self_contained_page() {
    let (repo, git, id, _) = history_repo();
    request(
        &git,
        &id,
        "dev@example.com",
        "2026-01-07T09:00:00.000Z",
        None,
        vec![unit("src/b.rs", "shell", SHELL, [1, 3])],
    );
    let err = String::from_utf8_lossy(&vouch(&repo, &["report", "--html"]).stderr).into_owned();
    assert!(err.contains("wrote vouch-report.html"), "{err}");
    let html = repo.read("vouch-report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 4);
    for id in ["chart-share-time", "chart-share-dir", "chart-queue-age", "chart-risk-mix"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(!html.contains("<script"));
    assert!(
        !html.contains("http://")
            || html.matches("http://").all(|_| html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    );
    assert!(!html.contains("https://"));
    assert!(html.contains("carol@example.com"));
    let out = repo.path("out/r.html");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    ok(vouch(&repo, &["report", "--html", "-o", out.to_str().unwrap()]));
    assert!(std::fs::read_to_string(&out).unwrap().contains("<title>vouch report</title>"));
    let to_stdout = ok(vouch(&repo, &["report", "--html", "-o", "-"]));
    assert!(to_stdout.contains("id=\"chart-risk-mix\""));
}

// ---------------------------------------------------------------------------
// The language server's budget notice

#[test]
fn the_language_server_tells_the_requester_once_when_a_reviewer_is_over_budget() {
    use support::lsp::{Server, range};
    let (repo, git, id) = setup();
    repo.write(".vouch.toml", &format!("{POLICY}\n[budget]\nai_lines_per_reviewer = 5\n"));
    repo.commit_all("budget");
    // Four AI lines already await carol and dora.
    request(
        &git,
        &id,
        "erin@example.com",
        "2026-01-05T09:00:00.000Z",
        None,
        vec![unit("src/db/q.rs", "db", DB, [1, 4])],
    );
    let text = "fn human() -> u32 {\n    1\n}\n";
    repo.write("src/lib.rs", text);
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", text);
    server.diagnostics(&uri, 1);
    let mut version = 1;
    let mut request_unit = |server: &mut Server, name: &str| {
        let inserted = format!("\nfn {name}(x: u32) -> u32 {{\n    let y = x + 1;\n    y * 2\n}}\n");
        let line = (text.lines().count() as u32) + (version as u32 - 1) * 5;
        version += 1;
        server.change(&uri, version, json!([{ "range": range(line, 0, line, 0), "text": inserted }]));
        server.notify(
            "vouch/aiEdit",
            json!({ "textDocument": { "uri": uri, "version": version }, "range": range(line + 1, 0, line + 5, 0), "tool": "claude-code" }),
        );
        server.diagnostics(&uri, version);
        let reply = server.request_raw(
            "workspace/executeCommand",
            json!({ "command": "vouch.requestSignoff", "arguments": [{ "uri": uri, "range": range(line + 1, 0, line + 4, 1) }] }),
        );
        assert!(reply.get("error").is_none(), "{reply}");
    };
    let over = |p: &Value| p["message"].as_str().is_some_and(|m| m.contains("review budget"));
    // 4 + 4 lines: over the budget of 5 for both reviewers.
    request_unit(&mut server, "first");
    let notice = server.wait_for("window/showMessage", over);
    let message = notice["message"].as_str().unwrap();
    assert_eq!(notice["type"], 2, "{notice}");
    assert!(message.starts_with("vouch: 8 AI lines now await "), "{message}");
    assert!(
        message.ends_with("(the review budget is 5 per reviewer); consider splitting the change into smaller requests"),
        "{message}"
    );
    let second = server.wait_for("window/showMessage", over);
    assert_ne!(second["message"], notice["message"]);
    // Once per reviewer per session: another request says nothing more,
    // once the queue read after it (which holds its unit) is in.
    request_unit(&mut server, "second");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let pending = server.request("vouch/pending", json!({}));
        let second = pending["units"].as_array().unwrap().iter().any(|u| u["name"] == "second");
        if second && pending["computing"] == false {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the queue never held the second request: {pending}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !server.backlog.iter().any(|m| m["method"] == "window/showMessage" && over(&m["params"])),
        "{:?}",
        server.backlog
    );
    server.shutdown();
    assert_eq!(records::list::<Request>(&git).unwrap().records.len(), 3);
}

/// Every read of the queue judges every request, and a unit's risk tags
/// come from parsing its text: they are kept between reads (a pure
/// function of the text and vouch's queries), read back rather than worked
/// out again, and not believed from another vouch.
#[test]
fn risk_tags_are_kept_between_reads_of_the_queue() {
    let (repo, _git, _) = queue_repo();
    let list = json_of(vouch(&repo, &["review", "--list", "--all", "--format", "json"]));
    let shell = fingerprint("rust", "function", SHELL.as_bytes());
    let kept_path = repo.root.join(".git/vouch/cache/risk-tags.json");
    let kept: Value = serde_json::from_slice(&std::fs::read(&kept_path).expect("the tags are kept")).unwrap();
    assert_eq!(kept["tags"][&shell], json!(["exec"]), "{kept:#}");
    assert_eq!(kept["tags"].as_object().unwrap().len(), 5, "every requested unit's: {kept:#}");

    // What is kept is what the next read uses.
    let mut edited = kept.clone();
    edited["tags"][&shell] = json!(["kept-tag"]);
    std::fs::write(&kept_path, serde_json::to_vec(&edited).unwrap()).unwrap();
    let again = json_of(vouch(&repo, &["review", "--list", "--all", "--format", "json"]));
    let unit = again["units"].as_array().unwrap().iter().find(|u| u["fingerprint"] == json!(shell)).unwrap();
    assert_eq!(unit["risk"], json!(["kept-tag"]), "{again:#}");

    // Kept by another vouch (other queries): worked out again.
    edited["stamp"] = json!("vouch-risk-tags/1 0.0.0 queries 0");
    std::fs::write(&kept_path, serde_json::to_vec(&edited).unwrap()).unwrap();
    let fresh = json_of(vouch(&repo, &["review", "--list", "--all", "--format", "json"]));
    let risks = |list: &Value| list["units"].as_array().unwrap().iter().map(|u| u["risk"].clone()).collect::<Vec<_>>();
    assert_eq!(risks(&fresh), risks(&list));
}
