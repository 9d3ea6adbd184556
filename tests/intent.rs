//! The agent's reasoning travels with the code (issue 17): an agent hook
//! keeps the prompt and the agent's words before its tool call (from the
//! end of the transcript, trimmed, secrets redacted), the note carries
//! them through amend, rebase, squash and cherry-pick, and blame, the
//! review queue and the request show them. Through the real `vouch`
//! binary, git and the hooks `vouch init` installs.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use std::path::{Path, PathBuf};

use support::run::Run;
use support::vouch_repo::{VouchRepo, deref_to_inner};

const WARN: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";
const COUPONS: &str = "class Coupon:\n    def __init__(self, code, percent):\n        self.code = code\n        self.percent = percent\n\n    def discount(self, amount):\n        return amount * self.percent / 100\n";

/// A repository set up with `vouch init`, driven through the real hooks
/// (see [`VouchRepo`]), with what these tests ask of it besides.
struct Repo {
    inner: VouchRepo,
}

deref_to_inner!(Repo);

impl Repo {
    fn init(policy: &str) -> Repo {
        Repo { inner: VouchRepo::init_with(&[(".vouch.toml", policy), ("README", "readme\n")], &[]) }
    }

    /// A transcript (outside the worktree) with these lines.
    fn transcript(&self, lines: &[serde_json::Value]) -> PathBuf {
        let path = self.root().join(".git").join("transcript.jsonl");
        let mut text = String::new();
        for l in lines {
            text.push_str(&l.to_string());
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Claude Code's PostToolUse hook for a Write of `rel`, tool call `id`.
    fn agent_write(&self, rel: &str, content: &str, id: &str, transcript: Option<&Path>) -> Run {
        self.inner.write(rel, content);
        let payload = serde_json::json!({
            "session_id": "s-1",
            "transcript_path": transcript,
            "hook_event_name": "PostToolUse",
            "tool_name": "Write",
            "tool_use_id": id,
            "tool_input": {"file_path": self.root().join(rel), "content": content},
        });
        let r = self.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
        assert_eq!(r.code, 0, "{r:?}");
        r
    }

    /// The intents of the note records of `path` on `rev`.
    fn intents(&self, rev: &str, path: &str) -> Vec<serde_json::Value> {
        self.note(rev).into_iter().filter(|r| r["path"] == path).filter_map(|r| r.get("intent").cloned()).collect()
    }
}

fn user(text: &str) -> serde_json::Value {
    serde_json::json!({"type": "user", "message": {"role": "user", "content": text}})
}
fn said(text: &str) -> serde_json::Value {
    serde_json::json!({"type": "assistant", "message": {"role": "assistant", "model": "claude-opus-4-5-20251101", "content": [{"type": "text", "text": text}]}})
}
fn call(id: &str) -> serde_json::Value {
    serde_json::json!({"type": "assistant", "message": {"role": "assistant", "model": "claude-opus-4-5-20251101", "content": [{"type": "tool_use", "id": id, "name": "Write", "input": {}}]}})
}
fn result(id: &str) -> serde_json::Value {
    serde_json::json!({"type": "user", "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": "ok"}]}})
}

/// A repository where the agent wrote coupons.py in its second turn,
/// with secrets in both the prompt and its words, and committed it.
fn coupons(policy: &str) -> Repo {
    let repo = Repo::init(policy);
    let transcript = repo.transcript(&[
        user("first, rename the cart helper"),
        said("Renaming it."),
        call("toolu_a"),
        result("toolu_a"),
        user("Add coupon support; the staging key is AKIAIOSFODNN7EXAMPLE and password=hunter22"),
        said("I'll add a Coupon class with a percentage discount, using sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWX for the test call."),
        call("toolu_b"),
        result("toolu_b"),
        said("Done."),
    ]);
    repo.agent_write("src/coupons.py", COUPONS, "toolu_b", Some(&transcript));
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "coupons"]);
    repo
}

fn assert_coupon_intent(intents: &[serde_json::Value]) {
    assert_eq!(intents.len(), 1, "{intents:?}");
    let intent = &intents[0];
    let prompt = intent["prompt"].as_str().unwrap();
    let words = intent["said"].as_str().unwrap();
    assert!(prompt.starts_with("Add coupon support"), "{intent}");
    assert!(words.starts_with("I'll add a Coupon class"), "{intent}");
    let all = intent.to_string();
    for secret in ["AKIAIOSFODNN7EXAMPLE", "hunter22", "sk-ant-api03"] {
        assert!(!all.contains(secret), "{secret} kept: {all}");
    }
    assert_eq!(intent["redacted"], 3, "{intent}");
    assert_eq!(intent["call"], "toolu_b", "{intent}");
}

#[test]
fn the_hook_keeps_the_turns_prompt_and_words_redacted_and_the_note_carries_them() {
    let repo = coupons(WARN);
    assert_coupon_intent(&repo.intents("HEAD", "src/coupons.py"));
    // Blame shows it beside the unit, as text and JSON.
    let blame = repo.vouch(&["blame", "src/coupons.py"]);
    assert_eq!(blame.code, 0, "{blame:?}");
    assert!(blame.stdout.contains("│ prompt: Add coupon support"), "{blame:?}");
    assert!(blame.stdout.contains("│ agent's intent: I'll add a Coupon class"), "{blame:?}");
    let json = repo.vouch(&["blame", "src/coupons.py", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_coupon_intent(report["units"][0]["intents"].as_array().unwrap());
}

#[test]
fn verify_shows_the_intent_beside_the_failing_unit() {
    let repo = coupons(WARN);
    let text = repo.vouch(&["verify", "HEAD~1..HEAD"]);
    assert_eq!(text.code, 1, "{text:?}");
    assert!(text.stdout.contains("    agent's intent: I'll add a Coupon class"), "{text:?}");
    assert!(text.stdout.contains("    prompt: Add coupon support"), "{text:?}");
    assert!(!text.stdout.contains("hunter22"), "{text:?}");
    let sarif = repo.vouch(&["verify", "HEAD~1..HEAD", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let message = sarif["runs"][0]["results"][0]["message"]["text"].as_str().unwrap();
    assert!(message.contains("- agent's intent: I'll add a Coupon class"), "{message}");
    // The pull request's summary (Markdown) shows it too, escaped.
    let md = repo.vouch(&["verify", "HEAD~1..HEAD", "--format", "markdown"]);
    assert!(md.stdout.contains("- agent's intent\\: I'll add a Coupon class"), "{md:?}");
    assert!(!md.stdout.contains("hunter22"), "{md:?}");
}

#[test]
fn intent_survives_amend_rebase_squash_and_cherry_pick() {
    let repo = coupons(WARN);
    let path = "src/coupons.py";
    // Amend.
    repo.ok(&["commit", "-q", "--amend", "-m", "coupons, amended"]);
    assert_coupon_intent(&repo.intents("HEAD", path));
    // Rebase onto a main that moved on.
    repo.ok(&["branch", "-q", "feature"]);
    repo.ok(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.inner.write("NOTES", "main moved on\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "notes"]);
    repo.ok(&["checkout", "-q", "feature"]);
    repo.ok(&["rebase", "-q", "main"]);
    assert_coupon_intent(&repo.intents("HEAD", path));
    let rebased = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    // Cherry-pick onto a new branch from main.
    repo.ok(&["checkout", "-q", "-b", "picked", "main"]);
    repo.ok(&["cherry-pick", &rebased]);
    assert_coupon_intent(&repo.intents("HEAD", path));
    // A local squash merge.
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["merge", "-q", "--squash", "feature"]);
    repo.ok(&["commit", "-q", "-m", "Coupons (#1)"]);
    assert_coupon_intent(&repo.intents("HEAD", path));
}

#[test]
fn the_policy_decides_what_is_kept() {
    let none = coupons(&format!("{WARN}intent = \"none\"\n"));
    assert!(none.intents("HEAD", "src/coupons.py").is_empty(), "{:?}", none.note("HEAD"));
    assert_eq!(none.note("HEAD").len(), 1, "the AI lines are still noted");

    let full = Repo::init(&format!("{WARN}intent = \"full\"\n"));
    let long = format!("Step one.\n\nStep two: {}", "careful work ".repeat(100));
    let transcript = full.transcript(&[user("go"), said(&long), call("toolu_f")]);
    full.agent_write("src/coupons.py", COUPONS, "toolu_f", Some(&transcript));
    full.ok(&["add", "-A"]);
    full.ok(&["commit", "-q", "-m", "coupons"]);
    let intent = &full.intents("HEAD", "src/coupons.py")[0];
    let words = intent["said"].as_str().unwrap();
    assert!(words.starts_with("Step one.\n\nStep two:"), "{intent}");
    assert!(words.chars().count() > 500, "full keeps more than a summary: {intent}");

    // A policy vouch cannot read costs the agent nothing: the default.
    let bad = Repo::init(WARN);
    bad.inner.write(".vouch.toml", &format!("{WARN}intent = \"everything\"\n"));
    let transcript = bad.transcript(&[user("add coupons"), call("toolu_x")]);
    let r = bad.agent_write("src/coupons.py", COUPONS, "toolu_x", Some(&transcript));
    assert!(r.stderr.contains("invalid value for `intent`"), "{r:?}");
    // The commands that judge do so under the policy as of BASE (as
    // verify will): the broken policy in the working tree is a change to a
    // trust file that needs sign-off, and doctor names what is wrong in it.
    let status = bad.vouch(&["status"]);
    assert!(status.stdout.contains(".vouch.toml:1 trust file change [pending]"), "{status:?}");
    let doctor = bad.vouch(&["doctor"]);
    assert_ne!(doctor.code, 0, "{doctor:?}");
    assert!(format!("{}{}", doctor.stdout, doctor.stderr).contains("invalid value for `intent`"), "{doctor:?}");
}

#[test]
fn a_huge_transcript_is_read_from_its_end_only() {
    let repo = Repo::init(WARN);
    // Megabytes of earlier session, then the turn; a line cut by the
    // budget and malformed lines in between.
    let mut lines: Vec<serde_json::Value> = (0..2000).map(|i| said(&format!("old {i} {}", "x".repeat(2000)))).collect();
    lines.push(user("the real prompt"));
    lines.push(said("the real words"));
    lines.push(call("toolu_h"));
    let transcript = repo.transcript(&lines);
    let mut text = std::fs::read_to_string(&transcript).unwrap();
    let at = text[..text.rfind("the real prompt").unwrap()].rfind('\n').unwrap() + 1;
    text.insert_str(at, "not json\n{\"type\":\"assistant\"\n");
    std::fs::write(&transcript, text).unwrap();
    assert!(std::fs::metadata(&transcript).unwrap().len() > 4 << 20);
    repo.agent_write("src/coupons.py", COUPONS, "toolu_h", Some(&transcript));
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "coupons"]);
    let intent = &repo.intents("HEAD", "src/coupons.py")[0];
    assert_eq!(intent["prompt"], "the real prompt", "{intent}");
    assert_eq!(intent["said"], "the real words", "{intent}");

    // A prompt further back than the budget is not found: the words are.
    let repo = Repo::init(WARN);
    let transcript = repo.transcript(&[
        user("too far back"),
        said(&"y".repeat(300 << 10)),
        said("what I will do"),
        call("toolu_far"),
    ]);
    repo.agent_write("src/coupons.py", COUPONS, "toolu_far", Some(&transcript));
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "coupons"]);
    let intent = &repo.intents("HEAD", "src/coupons.py")[0];
    assert!(intent.get("prompt").is_none(), "{intent}");
    assert_eq!(intent["said"], "what I will do", "{intent}");
}

#[test]
fn cursor_edits_keep_their_conversation_and_generation() {
    let repo = Repo::init(WARN);
    repo.inner.write("src/coupons.py", COUPONS);
    let payload = serde_json::json!({
        "hook_event_name": "afterFileEdit",
        "conversation_id": "c0ffee00-1111-2222-3333-444455556666",
        "generation_id": "9e1d2c3b-aaaa-bbbb-cccc-ddddeeeeffff",
        "model": "gpt-5-codex",
        "workspace_roots": [repo.root()],
        "file_path": repo.root().join("src/coupons.py"),
        "edits": [{"old_string": "", "new_string": COUPONS}],
    });
    let r = repo.vouch_stdin(&["hook", "cursor"], payload.to_string().as_bytes());
    assert_eq!(r.code, 0, "{r:?}");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "coupons"]);
    let intent = &repo.intents("HEAD", "src/coupons.py")[0];
    assert_eq!(intent["conversation"], "c0ffee00-1111-2222-3333-444455556666", "{intent}");
    assert_eq!(intent["generation"], "9e1d2c3b-aaaa-bbbb-cccc-ddddeeeeffff", "{intent}");
    let record = repo.note("HEAD").into_iter().find(|r| r["path"] == "src/coupons.py").unwrap();
    assert_eq!(record["origin"]["model"], "gpt-5-codex", "{record}");
}

/// The request records of the repository, newest last.
fn requests(repo: &Repo) -> Vec<serde_json::Value> {
    let r = repo.vouch(&["review", "--list", "--all", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    list["units"].as_array().unwrap().clone()
}

/// The one request record, wherever this version of vouch keeps it (the
/// records branch, or the older refs/vouch/requests).
fn request_record(repo: &Repo) -> serde_json::Value {
    let branch =
        Run::from(repo.command("git", &["rev-parse", "-q", "--verify", "refs/heads/vouch-records"]).output().unwrap());
    let (tree, prefix) = if branch.code == 0 {
        (repo.ok(&["ls-tree", "-r", "--name-only", "refs/heads/vouch-records", "requests"]), "refs/heads/vouch-records")
    } else {
        (repo.ok(&["ls-tree", "-r", "--name-only", "refs/vouch/requests"]), "refs/vouch/requests")
    };
    let names: Vec<&str> = tree.lines().filter(|l| l.ends_with(".json")).collect();
    assert_eq!(names.len(), 1, "{tree}");
    serde_json::from_str(&repo.ok(&["show", &format!("{prefix}:{}", names[0])])).unwrap()
}

/// An uncommitted agent edit with an intent, ready to request.
fn pending_edit() -> Repo {
    let repo = Repo::init(WARN);
    let transcript = repo.transcript(&[
        user("add coupons"),
        said("Adding a Coupon class with a percentage discount."),
        call("toolu_r"),
    ]);
    repo.agent_write("src/coupons.py", COUPONS, "toolu_r", Some(&transcript));
    repo
}

#[test]
fn a_request_drafts_its_rationale_from_the_intent_for_the_requester_to_confirm() {
    // Enter accepts the draft: recorded as taken from the intent.
    let repo = pending_edit();
    let r = repo.vouch_stdin(&["request", "--from-intent", "src/coupons.py"], b"\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("Adding a Coupon class with a percentage discount."), "the draft is shown: {r:?}");
    let record = request_record(&repo);
    assert_eq!(record["rationale"], "Adding a Coupon class with a percentage discount.", "{record}");
    assert_eq!(record["rationale_from"], "intent", "{record}");
    assert_eq!(record["units"][0]["intents"][0]["prompt"], "add coupons", "{record}");
    // The reviewer's queue shows the intent beside the unit.
    let units = requests(&repo);
    assert_eq!(units[0]["intents"][0]["said"], "Adding a Coupon class with a percentage discount.");
    let text = repo.vouch(&["review", "--list", "--all"]);
    assert!(text.stdout.contains("intent: Adding a Coupon class"), "{text:?}");
    // So does the team's HTML report.
    let html = repo.vouch(&["report", "--html", "-o", "-"]);
    assert_eq!(html.code, 0, "{html:?}");
    assert!(html.stdout.contains("Why the agent wrote what awaits sign-off"), "{html:?}");
    assert!(
        html.stdout.contains("agent&#39;s intent: Adding a Coupon class")
            || html.stdout.contains("agent's intent: Adding a Coupon class"),
        "{}",
        html.stdout
    );

    // An edit: the requester's words, not marked.
    let repo = pending_edit();
    let r = repo.vouch_stdin(&["request", "--from-intent", "src/coupons.py"], b"coupons for the spring sale\n");
    assert_eq!(r.code, 0, "{r:?}");
    let record = request_record(&repo);
    assert_eq!(record["rationale"], "coupons for the spring sale", "{record}");
    assert!(record.get("rationale_from").is_none(), "{record}");

    // -m: the requester's words, with no question asked.
    let repo = pending_edit();
    let r = repo.vouch(&["request", "src/coupons.py", "-m", "my reasons"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("drafted"), "{r:?}");
    let record = request_record(&repo);
    assert_eq!(record["rationale"], "my reasons", "{record}");
    assert!(record.get("rationale_from").is_none(), "{record}");
    // Not a terminal and no flag: nothing asked, no rationale.
    let repo = pending_edit();
    let r = repo.vouch(&["request", "src/coupons.py"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(request_record(&repo).get("rationale").is_none());
}

#[test]
fn intent_text_is_shown_with_hidden_characters_made_visible() {
    let repo = Repo::init(WARN);
    let transcript = repo.transcript(&[user("ok"), said("fine \u{202e}evil\u{1b}[31m"), call("toolu_d")]);
    repo.agent_write("src/coupons.py", COUPONS, "toolu_d", Some(&transcript));
    let blame = repo.vouch(&["blame", "src/coupons.py"]);
    assert!(blame.stdout.contains("‹U+202E›"), "{blame:?}");
    assert!(!blame.stdout.contains('\u{202e}') && !blame.stdout.contains('\u{1b}'), "{blame:?}");
}
