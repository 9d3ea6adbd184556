//! The sign-off commands and history views through the real binary, in
//! temporary repositories: `vouch request`, `approve`, `reject`, `blame`,
//! `log` and `notes rebuild`.
//!
//! AI edits are recorded the way an agent hook records them: a journal
//! delta written through the library. Identities change with
//! `git config user.email`, as a reviewer's checkout would have its own.

mod support {
    pub mod repo;
}

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use git2::{Oid, Repository};
use serde_json::Value;
use support::repo::TestRepo;
use vouch::policy::Verdict;
use vouch::provenance::{AiSource, Attribution, Evidence};
use vouch::store::journal::{Entry, Journal};
use vouch::store::notes::{self, FileRecord, NoteRecord};
use vouch::store::records::{self, Approval, Request};

const POLICY: &str = "reviewers = [\"carol@example.com\", \"dora@example.com\"]\n";

const BASE: &str = "pub fn base() -> u32 {\n    1\n}\n";

/// Two functions appended to `BASE`; the AI wrote `double` (lines 5-7).
const WITH_AI: &str = "pub fn base() -> u32 {\n    1\n}\n\npub fn double(x: u32) -> u32 {\n    x * 2\n}\n";

const AI_FN: &str = "pub fn double(x: u32) -> u32 {\n    x * 2\n}\n";

fn repo_with_policy(policy: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", policy);
    repo.write("src/lib.rs", BASE);
    repo.commit_all("base");
    repo
}

/// Write `text` to `path` and record `ai` (a substring of it) as written
/// by claude and accepted by `accepted_by`, as the agent hook does.
fn ai_edit(repo: &TestRepo, path: &str, text: &str, ai: &str, accepted_by: &str) {
    repo.write(path, text);
    let start = text.find(ai).expect("the AI text is in the file");
    let attr = Attribution::ai(
        AiSource { tool: "claude".into(), model: Some("opus-4".into()), session: None, kind: None },
        Evidence::AgentHook,
        Some(accepted_by.into()),
    );
    let git = Repository::open(&repo.root).unwrap();
    let journal = Journal::open(&git).unwrap();
    journal.append(&git, Entry::delta(path, text, &[(start..start + ai.len(), attr)])).unwrap();
}

fn user(repo: &TestRepo, email: &str) {
    repo.git(&["config", "user.email", email]);
}

fn vouch(repo: &TestRepo, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .current_dir(&repo.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        // libgit2 reads the user's global config from HOME: keep it out.
        .env("HOME", repo.root.join(".git"))
        .env("XDG_CONFIG_HOME", repo.root.join(".git"))
        .stdin(Stdio::null())
        .output()
        .expect("vouch runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "stdout:\n{}\nstderr:\n{}", stdout(out), stderr(out));
}

fn approvals(repo: &TestRepo) -> Vec<Approval> {
    let git = Repository::open(&repo.root).unwrap();
    let listing = records::list::<Approval>(&git).unwrap();
    assert!(listing.bad.is_empty(), "{:?}", listing.bad);
    listing.records.into_iter().map(|s| s.record).collect()
}

fn requests(repo: &TestRepo) -> Vec<(String, Request)> {
    let git = Repository::open(&repo.root).unwrap();
    records::list::<Request>(&git).unwrap().records.into_iter().map(|s| (s.id, s.record)).collect()
}

/// `vouch request` as dev, returning the request id.
fn request(repo: &TestRepo, args: &[&str]) -> String {
    let mut all = vec!["request", "--format", "json"];
    all.extend_from_slice(args);
    let out = vouch(repo, &all);
    assert_exit(&out, 0);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    report["request"].as_str().unwrap().to_string()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

#[test]
fn request_then_a_reviewer_approves_the_whole_request() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");

    let out = vouch(&repo, &["request", "-m", "doubling is what the caller wants"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let (id, request) = requests(&repo).pop().unwrap();
    assert!(text.contains(&format!("requested sign-off for 1 unit (request {})", &id[..12])), "{text}");
    assert!(
        text.contains("src/lib.rs:5 function `double` (3 AI lines); reviewers: carol@example.com, dora@example.com"),
        "{text}"
    );
    assert!(text.contains(&format!("vouch approve {}", &id[..12])), "{text}");
    assert_eq!(request.requester.email, "dev@example.com");
    assert_eq!(request.rationale.as_deref(), Some("doubling is what the caller wants"));
    assert_eq!(request.units.len(), 1);
    assert_eq!(request.units[0].text.as_text(), Some(AI_FN));
    assert_eq!(request.units[0].ai_lines, [[1, 3]]);
    assert_eq!(request.units[0].tool.as_deref(), Some("claude"));

    // Asking again finds nothing left to request.
    let again = vouch(&repo, &["request"]);
    assert_exit(&again, 1);
    assert!(stderr(&again).contains("nothing in the working tree needs sign-off"), "{}", stderr(&again));

    user(&repo, "carol@example.com");
    // With --yes, the request must be named, even when it is the only one.
    let out = vouch(&repo, &["approve", "--yes"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains(&format!("open requests:\n  {}  dev@example.com  1 unit(s)", &id[..12])),
        "{}",
        stderr(&out)
    );
    let out = vouch(&repo, &["approve", &id[..8], "--yes", "--comment", "fine", "--format", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["decision"], "approve");
    assert_eq!(report["reviewer"], "carol@example.com");
    assert_eq!(report["request"], id.as_str());
    assert_eq!(report["approvals"][0]["line"], 5);
    let written = approvals(&repo);
    assert_eq!(written.len(), 1);
    let a = &written[0];
    assert_eq!((a.reviewer.email.as_str(), a.decision), ("carol@example.com", Verdict::Approve));
    assert_eq!(a.fingerprint, request.units[0].fingerprint);
    assert_eq!(a.request.as_deref(), Some(id.as_str()));
    assert_eq!(a.comment.as_deref(), Some("fine"));
    assert_eq!(a.path.as_deref(), Some("src/lib.rs"));
}

#[test]
fn approving_a_unit_by_its_line() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    user(&repo, "dora@example.com");
    let out = vouch(&repo, &["approve", "src/lib.rs:6", "--yes"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("approved 1 unit as dora@example.com"), "{}", stdout(&out));
    assert!(stdout(&out).contains("src/lib.rs:5 function `double`"), "{}", stdout(&out));
    let written = approvals(&repo);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].request, None);
    assert_eq!(written[0].fingerprint, vouch::fingerprint::fingerprint("rust", "function", AI_FN.as_bytes()));

    // A line outside every AI unit names nothing to approve.
    let out = vouch(&repo, &["approve", "src/lib.rs:2", "--yes"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("no AI-written unit at line 2"), "{}", stderr(&out));
}

#[test]
fn self_approval_is_refused() {
    let repo = repo_with_policy("reviewers = [\"dev@example.com\", \"carol@example.com\"]\n");
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    // dev is a reviewer, but accepted the AI text.
    let out = vouch(&repo, &["approve", "src/lib.rs:5", "--yes"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("dev@example.com accepted this AI text and cannot approve it"), "{}", stderr(&out));
    assert!(approvals(&repo).is_empty());
}

#[test]
fn the_requester_may_not_approve_their_request() {
    let repo = repo_with_policy(POLICY);
    // Dev accepted the text; carol, a reviewer, requested the sign-off.
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    user(&repo, "carol@example.com");
    let id = request(&repo, &[]);
    let out = vouch(&repo, &["approve", &id, "--yes"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("carol@example.com requested this sign-off and cannot approve it"), "{err}");
    assert!(err.contains("nothing was approved"), "{err}");
    assert!(approvals(&repo).is_empty());
}

#[test]
fn a_non_reviewer_is_refused_with_the_reviewers_named() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &[]);
    user(&repo, "erin@example.com");
    let out = vouch(&repo, &["approve", &id, "--yes"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(
            "erin@example.com is not a reviewer for src/lib.rs (reviewers: carol@example.com, dora@example.com)"
        ),
        "{err}"
    );
    assert!(approvals(&repo).is_empty());
}

#[test]
fn a_risky_unit_needs_a_rationale_when_the_policy_says_so() {
    let repo = repo_with_policy(&format!("{POLICY}require_rationale = \"risky\"\n"));
    let risky = "pub fn peek(p: *const u32) -> u32 {\n    unsafe { *p }\n}\n";
    ai_edit(&repo, "src/lib.rs", &format!("{BASE}\n{risky}"), risky, "dev@example.com");

    let out = vouch(&repo, &["request"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("src/lib.rs: a rationale is required for function `peek` (risk: unsafe)"), "{err}");
    assert!(err.contains("nothing was requested"), "{err}");
    assert!(requests(&repo).is_empty());

    // A blank rationale is no rationale, nor one a reader cannot see:
    // control characters (a terminal's escape), invisible ones.
    for blank in ["  ", "\u{1b}\u{7}", "\u{200b}\u{feff}", "\u{3000}\t"] {
        assert_exit(&vouch(&repo, &["request", "-m", blank]), 1);
    }
    assert!(requests(&repo).is_empty());

    let out = vouch(&repo, &["request", "src/lib.rs", "-m", "the pointer comes from a live Vec"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("risk: unsafe"), "{}", stdout(&out));
    assert_eq!(requests(&repo).len(), 1);
}

#[test]
fn a_request_whose_fingerprint_does_not_match_its_text_is_refused_whole() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &[]);
    let (_, honest) = requests(&repo).into_iter().find(|(i, _)| *i == id).unwrap();

    // A forged request: the first unit is honest, the second shows harmless
    // text but carries the fingerprint of other code.
    let git = Repository::open(&repo.root).unwrap();
    let mut forged = honest.clone();
    let mut shown = honest.units[0].clone();
    shown.text = "pub fn harmless() {}".into();
    shown.name = Some("harmless".into());
    shown.fingerprint = vouch::fingerprint::fingerprint("rust", "function", b"pub fn evil() { std::process::exit(1) }");
    forged.units.push(shown);
    forged.created = "2026-01-31T09:05:00.000Z".into();
    let forged_id = records::add(&git, &forged).unwrap();

    user(&repo, "carol@example.com");
    let out = vouch(&repo, &["approve", &forged_id, "--yes"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&format!("request {} refused", &forged_id[..12])), "{err}");
    assert!(err.contains("unit 2 (function harmless in src/lib.rs) states fingerprint"), "{err}");
    assert!(approvals(&repo).is_empty(), "not even the honest unit is approved");

    // The honest request still goes through.
    assert_exit(&vouch(&repo, &["approve", &id, "--yes"]), 0);
    assert_eq!(approvals(&repo).len(), 1);
}

#[test]
fn a_rejection_needs_a_comment_and_blame_shows_it() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &["-m", "quick helper"]);
    user(&repo, "carol@example.com");

    let out = vouch(&repo, &["reject", &id, "--yes"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--comment"), "{}", stderr(&out));
    let out = vouch(&repo, &["reject", &id, "--yes", "--comment", " "]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("a rejection needs a comment"), "{}", stderr(&out));
    assert!(approvals(&repo).is_empty());

    let out = vouch(&repo, &["reject", &id, "--yes", "--comment", "use checked_mul"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("rejected 1 unit as carol@example.com"), "{}", stdout(&out));
    let written = approvals(&repo);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].decision, Verdict::Reject);
    assert_eq!(written[0].comment.as_deref(), Some("use checked_mul"));

    let out = vouch(&repo, &["blame", "src/lib.rs"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("function `double` (lines 5-7): rejected by carol@example.com: use checked_mul"), "{text}");
    assert!(text.contains("rationale: quick helper"), "{text}");
    assert!(text.contains("carol@example.com rejected: use checked_mul"), "{text}");

    // The rejected unit can be requested again.
    user(&repo, "dev@example.com");
    assert_exit(&vouch(&repo, &["request", "-m", "kept it: inputs are small"]), 0);
}

#[test]
fn without_a_terminal_approve_needs_yes() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &[]);
    user(&repo, "carol@example.com");
    let out = vouch(&repo, &["approve", &id]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("pass --yes"), "{}", stderr(&out));
    assert!(approvals(&repo).is_empty());
}

#[test]
fn on_a_terminal_approve_shows_the_unit_and_asks() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &["-m", "needed by the report"]);
    user(&repo, "carol@example.com");
    // `script` gives vouch a terminal; its input is the answer.
    let run = |answer: &str| {
        let command = format!("{} approve {}", env!("CARGO_BIN_EXE_vouch"), &id[..12]);
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .current_dir(&repo.root)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script runs");
        child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).replace('\r', ""))
    };
    let (code, shown) = run("n\n");
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("[1/1] src/lib.rs:5-7 function `double`"), "{shown}");
    assert!(shown.contains("written by claude (opus-4) · 3 of 3 lines AI · requested by dev@example.com"), "{shown}");
    assert!(shown.contains("rationale: needed by the report"), "{shown}");
    assert!(shown.contains("5 ai │ pub fn double(x: u32) -> u32 {"), "{shown}");
    assert!(shown.contains("approve 1 unit as carol@example.com? [y/N]"), "{shown}");
    assert!(approvals(&repo).is_empty());

    let (code, shown) = run("y\n");
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(approvals(&repo).len(), 1);
}

#[test]
fn bad_arguments_exit_2_and_write_nothing() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let cases: &[&[&str]] = &[
        &["approve", "--bogus"],
        &["approve", "src/nosuch.rs:3", "--yes"],
        &["approve", "src/lib.rs", "--yes"],
        &["approve", "abcdef0123", "--yes"],
        &["request", "src/lib.rs:0"],
        &["request", "src/lib.rs:x1"],
        &["request", "../outside.rs"],
        &["request", "--format", "yaml"],
        &["reject", "src/lib.rs:5", "--yes"],
        &["blame"],
        &["blame", "src/lib.rs:3"],
        &["log", "nosuchrev"],
        &["notes", "rebuild"],
    ];
    for args in cases {
        let out = vouch(&repo, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?} says why");
    }
    assert!(requests(&repo).is_empty());
    assert!(approvals(&repo).is_empty());
}

/// What a user mistypes in a range, a date or a tool's name is refused
/// once, in plain words naming it (not libgit2's internals), and a lone
/// revision that is HEAD itself, which verifies nothing, is refused rather
/// than passed.
#[test]
fn ranges_dates_and_tool_names_are_refused_in_plain_words() {
    let repo = repo_with_policy(POLICY);
    repo.write("src/lib.rs", WITH_AI);
    repo.commit_all("second");
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let said = |args: &[&str]| {
        let out = vouch(&repo, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(!err.contains("class="), "{args:?} names libgit2's internals: {err}");
        err
    };
    for args in [
        &["log", "HEAD~1...HEAD"][..],
        &["notes", "rebuild", "HEAD~1...HEAD"],
        &["export", "--agent-trace", "HEAD~1...HEAD"],
        &["stats", "HEAD~1...HEAD"],
        &["verify", "HEAD~1...HEAD"],
    ] {
        let err = said(args);
        assert_eq!(err.matches("expected BASE..HEAD").count(), 1, "{args:?} says it once: {err}");
    }
    for args in [&["stats", "HEAD~9"][..], &["log", "HEAD~9..HEAD"], &["export", "--agent-trace", "HEAD~9"]] {
        assert!(said(args).contains("HEAD~9"), "{args:?} names the revision");
    }
    for args in [&["stats", "--since", "not a date at all"][..], &["report", "--since", "garbage", "-o", "r.html"]] {
        assert!(said(args).contains("--since"), "{args:?} names the option");
    }
    assert!(!repo.root.join("r.html").exists(), "a refused report writes nothing");
    // A CI step written `vouch verify $SHA` with the head's own id, a
    // checkout of the base branch (`origin/main..HEAD` there), a range
    // written the wrong way round: each holds no commit, and passing it
    // would pass anything.
    for rev in ["HEAD", "@", head.as_str(), &head[..12], "HEAD..HEAD", "HEAD..HEAD~1"] {
        let err = said(&["verify", rev]);
        assert!(err.contains("holds no commit"), "verify {rev}: {err}");
    }
    repo.write("notes.txt", "x = 1\n");
    for tool in ["", "  ", "claude\u{1b}[2J"] {
        let err = said(&["mark", "notes.txt:1", "--ai", "--tool", tool]);
        assert!(err.contains("--tool"), "{tool:?}: {err}");
        let err = said(&["hook", "generic", "--file", "notes.txt", "--tool", tool]);
        assert!(err.contains("--tool"), "{tool:?}: {err}");
    }
    let journal = Journal::open(&Repository::open(&repo.root).unwrap()).unwrap();
    assert!(journal.records().unwrap().records.is_empty(), "nothing was recorded");
}

#[test]
fn request_refuses_without_identity_or_commits() {
    let repo = TestRepo::new();
    repo.write("a.rs", "fn a() {}\n");
    let out = vouch(&repo, &["request"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("no commits yet"), "{}", stderr(&out));

    let repo = repo_with_policy(POLICY);
    repo.git(&["config", "--unset", "user.email"]);
    let out = vouch(&repo, &["request"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("no git identity"), "{}", stderr(&out));

    let outside = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vouch")).arg("request").current_dir(outside.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not in a git repository"), "{}", stderr(&out));
}

#[test]
fn request_with_no_target_covers_every_file_and_one_line_targets_one_unit() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let other = "def triple(x):\n    return x * 3\n\n\ndef quad(x):\n    return x * 4\n";
    ai_edit(&repo, "tools/calc.py", other, other, "dev@example.com");
    // A binary file among the changes holds no units and stops nothing.
    std::fs::write(repo.path("logo.png"), [0x89, b'P', b'N', b'G', 0xff, 0xfe, 0]).unwrap();

    let id = request(&repo, &["tools/calc.py:5"]);
    let (_, one) = requests(&repo).into_iter().find(|(i, _)| *i == id).unwrap();
    let names: Vec<_> = one.units.iter().map(|u| u.name.clone().unwrap()).collect();
    assert_eq!(names, ["quad"]);

    // Everything else: `double` and `triple`, not `quad` again.
    let out = vouch(&repo, &["request", "--format", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    let mut units: Vec<String> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| format!("{}:{}", u["path"].as_str().unwrap(), u["line"]))
        .collect();
    units.sort();
    assert_eq!(units, ["src/lib.rs:5", "tools/calc.py:1"]);
}

#[test]
fn blame_shows_tool_uncommitted_acceptor_and_approver() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");

    let out = vouch(&repo, &["blame", "src/lib.rs", "--format", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    let lines = report["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["origin"], "unknown");
    assert!(lines[0]["commit"].is_string(), "line 1 is committed");
    assert_eq!(lines[4]["origin"], "ai");
    assert_eq!(lines[4]["tool"], "claude");
    assert_eq!(lines[4]["model"], "opus-4");
    assert_eq!(lines[4]["commit"], Value::Null);
    assert_eq!(lines[4]["accepted_by"], "dev@example.com");
    assert_eq!(report["units"][0]["state"], "pending");

    let id = request(&repo, &["-m", "small helper"]);
    user(&repo, "carol@example.com");
    assert_exit(&vouch(&repo, &["approve", &id, "--yes", "--comment", "clear enough"]), 0);

    let out = vouch(&repo, &["blame", "src/lib.rs"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let row = text.lines().find(|l| l.contains("│ pub fn double")).unwrap_or_else(|| panic!("{text}"));
    for expected in ["ai", "claude", "uncommitted", "dev@example.com", "carol@example.com"] {
        assert!(row.contains(expected), "{expected} in {row:?}");
    }
    assert!(text.contains("function `double` (lines 5-7): approved by carol@example.com"), "{text}");
    assert!(text.contains("rationale: small helper"), "{text}");
    assert!(text.contains("carol@example.com approved: clear enough"), "{text}");
    let base = text.lines().find(|l| l.contains("│ pub fn base")).unwrap();
    assert!(base.contains("unknown") && !base.contains("uncommitted"), "{base}");

    // Editing the approved unit leaves it without approval.
    repo.write("src/lib.rs", &WITH_AI.replace("x * 2", "x * 2 + 0"));
    let report = json(&vouch(&repo, &["blame", "src/lib.rs", "--format", "json"]));
    assert_eq!(report["units"][0]["state"], "pending", "{report}");
    assert_eq!(report["lines"][4]["approved_by"], serde_json::json!([]));
}

/// Commit the working tree and give the commit a note for `path`'s AI
/// lines, listing `approvals`.
fn commit_with_note(repo: &TestRepo, message: &str, path: &str, ai: Vec<[u32; 2]>, approvals: Vec<String>) -> Oid {
    repo.commit_all(message);
    let git = Repository::open(&repo.root).unwrap();
    let head = git.head().unwrap().peel_to_commit().unwrap();
    let blob = head.tree().unwrap().get_path(std::path::Path::new(path)).unwrap().id();
    let record = FileRecord {
        path: path.into(),
        blob: blob.to_string(),
        ai,
        origin: AiSource { tool: "claude".into(), model: None, session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: Some("dev@example.com".into()),
        rationale: Some("from the note".into()),
        approvals,
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    };
    notes::write_note(&git, head.id(), &[NoteRecord::File(record)]).unwrap();
    head.id()
}

#[test]
fn blame_after_commit_names_the_commit_and_the_notes_approvals() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &[]);
    user(&repo, "carol@example.com");
    let out = vouch(&repo, &["approve", &id, "--yes", "--format", "json"]);
    assert_exit(&out, 0);
    let approval_id = json(&out)["approvals"][0]["id"].as_str().unwrap().to_string();
    user(&repo, "dev@example.com");
    let commit = commit_with_note(&repo, "double", "src/lib.rs", vec![[5, 7]], vec![approval_id]);

    let report = json(&vouch(&repo, &["blame", "src/lib.rs", "--format", "json"]));
    let line = &report["lines"][5];
    assert_eq!(line["origin"], "ai");
    assert_eq!(line["commit"], commit.to_string());
    assert_eq!(line["approved_by"], serde_json::json!(["carol@example.com"]));
    assert_eq!(line["rationale"], "from the note");
    assert_eq!(report["units"][0]["rationale"], "from the note");
    let text = stdout(&vouch(&repo, &["blame", "src/lib.rs"]));
    let row = text.lines().find(|l| l.contains("│     x * 2")).unwrap();
    assert!(row.contains(&commit.to_string()[..10]) && row.contains("carol@example.com"), "{row}");
}

#[test]
fn blame_says_nothing_of_an_approval_on_an_ai_line_outside_the_unit_it_approved() {
    // The note's AI lines start at the blank line above the approved
    // function: that line belongs to no unit, and the approval is valid.
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &[]);
    user(&repo, "carol@example.com");
    let out = vouch(&repo, &["approve", &id, "--yes", "--format", "json"]);
    let approval_id = json(&out)["approvals"][0]["id"].as_str().unwrap().to_string();
    user(&repo, "dev@example.com");
    commit_with_note(&repo, "double", "src/lib.rs", vec![[4, 7]], vec![approval_id]);

    let report = json(&vouch(&repo, &["blame", "src/lib.rs", "--format", "json"]));
    let blank = &report["lines"][3];
    assert_eq!(blank["text"], "", "{report}");
    assert_eq!(blank["not_counted"], serde_json::json!([]), "{report}");
    assert_eq!(report["lines"][5]["approved_by"], serde_json::json!(["carol@example.com"]));
    let text = stdout(&vouch(&repo, &["blame", "src/lib.rs"]));
    assert!(!text.contains("not counted"), "{text}");
}

#[test]
fn log_shows_ai_share_approvals_and_commits_without_a_note() {
    let repo = repo_with_policy(POLICY);
    // A commit with AI text, approved.
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &[]);
    user(&repo, "carol@example.com");
    let out = vouch(&repo, &["approve", &id, "--yes", "--format", "json"]);
    let approval_id = json(&out)["approvals"][0]["id"].as_str().unwrap().to_string();
    user(&repo, "dev@example.com");
    // 4 lines added (blank + 3), 3 of them AI.
    let noted = commit_with_note(&repo, "add double", "src/lib.rs", vec![[5, 7]], vec![approval_id]);
    // A commit with no note.
    repo.write("README.md", "hello\n");
    repo.commit_all("readme");

    let out = vouch(&repo, &["log"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    // No evidence of any kind: unattested, not human.
    assert!(lines[0].ends_with("no provenance (1 line(s) unattested)"), "{text}");
    assert!(lines[1].contains("readme <dev@example.com>"), "{text}");
    assert!(lines[2].starts_with(&noted.to_string()[..10]), "{text}");
    assert!(lines[2].contains("75% AI (3/4 lines) by claude · vouch note; 1 approval: carol@example.com"), "{text}");
    assert!(lines[4].ends_with("no provenance (4 line(s) unattested)"), "{text}");

    let out = vouch(&repo, &["log", "HEAD~2..HEAD", "--format", "json"]);
    assert_exit(&out, 0);
    let entries = json(&out);
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["note"], false);
    assert_eq!(entries[0]["evidence"], serde_json::json!([]));
    assert_eq!(entries[1]["evidence"], serde_json::json!(["vouch note"]));
    assert_eq!(entries[1]["commit"], noted.to_string());
    assert_eq!((entries[1]["ai_lines"].as_u64(), entries[1]["added_lines"].as_u64()), (Some(3), Some(4)));
    assert_eq!(entries[1]["approvals"][0]["reviewer"], "carol@example.com");

    // -n limits a revision's history.
    let entries = json(&vouch(&repo, &["log", "-n", "1", "--format", "json"]));
    assert_eq!(entries.as_array().unwrap().len(), 1);
}

#[test]
fn notes_rebuild_gives_a_squash_merge_the_branch_notes() {
    let repo = repo_with_policy(POLICY);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/lib.rs", WITH_AI);
    commit_with_note(&repo, "double", "src/lib.rs", vec![[5, 7]], Vec::new());
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--squash", "feature"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "squashed"]);
    let git = Repository::open(&repo.root).unwrap();
    let squash = git.head().unwrap().peel_to_commit().unwrap().id();
    assert!(notes::read_note(&git, squash).unwrap().is_none());

    let out = vouch(&repo, &["notes", "rebuild", "HEAD~1..HEAD", "--source", "feature"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.starts_with("1 note written (1 commit in HEAD~1..HEAD)"), "{text}");
    assert!(text.contains(&squash.to_string()[..10]), "{text}");
    let note = notes::read_note(&git, squash).unwrap().unwrap();
    let NoteRecord::File(record) = &note[0] else { panic!("{note:?}") };
    assert_eq!(record.ai, [[5, 7]]);

    // Nothing left to do the second time.
    let out = vouch(&repo, &["notes", "rebuild", "HEAD~1..HEAD", "--format", "json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out), serde_json::json!([]));
}

#[test]
fn approvals_are_signed_when_the_policy_requires_it() {
    let repo = repo_with_policy(&format!("{POLICY}require_signatures = true\n"));
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &[]);
    user(&repo, "carol@example.com");

    // No signing key: refused, nothing written.
    let out = vouch(&repo, &["approve", &id, "--yes"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("the policy requires signed approvals and git has no SSH signing key"),
        "{}",
        stderr(&out)
    );
    assert!(approvals(&repo).is_empty());

    // Carol's key, listed in the allowed signers.
    let key = repo.root.join(".git/carol_key");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "carol", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    repo.write(".vouch/allowed_signers", &format!("carol@example.com namespaces=\"vouch\" {public}"));
    // Signatures are checked against the allowed signers as of BASE, as
    // verify checks them: the list lands on main first.
    repo.git(&["add", ".vouch/allowed_signers"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "allowed signers", "--", ".vouch/allowed_signers"]);
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);

    let out = vouch(&repo, &["approve", &id, "--yes"]);
    assert_exit(&out, 0);
    let written = approvals(&repo);
    assert_eq!(written.len(), 1);
    let signature = written[0].signature.as_deref().expect("signed");
    assert!(signature.starts_with("-----BEGIN SSH SIGNATURE-----"), "{signature}");
    // The signed approval counts: blame sees the unit approved.
    let report = json(&vouch(&repo, &["blame", "src/lib.rs", "--format", "json"]));
    assert_eq!(report["units"][0]["state"], "approved", "{report}");
}

#[test]
fn a_request_for_text_no_longer_in_the_working_tree_is_decided_on_its_own_text() {
    let repo = repo_with_policy(POLICY);
    ai_edit(&repo, "src/lib.rs", WITH_AI, AI_FN, "dev@example.com");
    let id = request(&repo, &[]);
    let (_, requested) = requests(&repo).pop().unwrap();
    repo.write("src/lib.rs", BASE);
    user(&repo, "carol@example.com");
    let out = vouch(&repo, &["approve", &id, "--yes", "--format", "json"]);
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["approvals"][0]["line"], Value::Null);
    assert_eq!(report["approvals"][0]["fingerprint"], requested.units[0].fingerprint.as_str());
    assert_eq!(approvals(&repo)[0].fingerprint, requested.units[0].fingerprint);
}

/// Issue 13 finding 13: text `vouch status` shows a unit's risk tags, and an
/// approval that stopped counting (signatures turned on afterwards) with
/// the reason, not as an approval; blame agrees.
#[test]
fn status_text_shows_risk_tags_and_approvals_that_do_not_count() {
    let repo = repo_with_policy(POLICY);
    let risky = "pub fn peek(p: *const u32) -> u32 {\n    unsafe { *p }\n}\n";
    ai_edit(&repo, "src/lib.rs", &format!("{BASE}\n{risky}"), risky, "dev@example.com");
    let id = request(&repo, &["-m", "the pointer comes from a live Vec"]);
    user(&repo, "carol@example.com");
    assert_exit(&vouch(&repo, &["approve", &id, "--yes"]), 0);
    user(&repo, "dev@example.com");
    let out = vouch(&repo, &["status"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("[approved]"), "{text}");
    assert!(text.contains("risk: unsafe"), "{text}");
    assert!(text.contains("approved by: carol@example.com"), "{text}");
    assert!(!text.contains("not counted"), "{text}");

    // Signatures become required on main: carol's unsigned approval no
    // longer counts, and status says why instead of listing it as valid.
    repo.write(".vouch.toml", &format!("{POLICY}require_signatures = true\n"));
    repo.git(&["commit", "-q", "--no-verify", "-m", "require signatures", "--", ".vouch.toml"]);
    let out = vouch(&repo, &["status"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("[requested]"), "{text}");
    assert!(text.contains("risk: unsafe"), "{text}");
    assert!(!text.contains("approved by:"), "{text}");
    assert!(
        text.contains(
            "not counted: the approval by carol@example.com carries no valid signature and the policy requires one"
        ),
        "{text}"
    );
    let report: Value =
        serde_json::from_str(&stdout(&vouch(&repo, &["blame", "src/lib.rs", "--format", "json"]))).unwrap();
    assert_eq!(report["units"][0]["state"], "requested", "{report}");
    assert_eq!(report["units"][0]["approved_by"], serde_json::json!([]), "{report}");
    assert_eq!(report["units"][0]["not_counted"].as_array().map(Vec::len), Some(1), "{report}");
}
