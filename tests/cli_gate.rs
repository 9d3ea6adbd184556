//! The commit gate and the agent-facing CLI, end to end: the real vouch
//! binary and the real git binary in temporary repositories. Agents' hook
//! payloads are the samples in `tests/fixtures/agent-hooks/`, pointed at the
//! temporary repository.
//!
//! The main flow requests and approves through `vouch request` and
//! `vouch approve`; other tests write approvals through the library
//! (`signoff::decide_judged`, `records::add`) as a second identity, as
//! `vouch approve` does.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use support::run::Run;
use support::vouch_repo::{VOUCH, VouchRepo, deref_to_inner};
use vouch::cli::context::Context;
use vouch::policy::Verdict;
use vouch::signoff::{self, SignoffError};
use vouch::store::policy_file::Source;
use vouch::store::records::{self, Person};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent-hooks").join(name);
    std::fs::read_to_string(path).unwrap()
}

const CART_BEFORE: &str = "def total(items):\n    return sum(i.price for i in items)\n";
const CART_AFTER: &str = "def total(items, coupon=None):\n    subtotal = sum(i.price * i.qty for i in items)\n    if coupon:\n        subtotal -= coupon.discount(subtotal)\n    return max(subtotal, 0)\n";

/// A test repository and how to drive vouch and git in it (see
/// [`VouchRepo`]), with what these tests ask of it besides.
struct Repo {
    inner: VouchRepo,
}

deref_to_inner!(Repo);

impl Repo {
    fn new() -> Repo {
        Repo { inner: VouchRepo::new() }
    }

    /// `vouch init`, then commit the policy and the starting files.
    fn init_with(files: &[(&str, &str)], init_args: &[&str]) -> Repo {
        Repo { inner: VouchRepo::init_with(files, init_args) }
    }

    /// A Claude Code payload from `fixture`, pointed at this repository.
    fn claude_payload(&self, fixture_name: &str) -> String {
        fixture(fixture_name).replace("/home/dev/shop", self.root().to_str().unwrap())
    }

    /// The journal's files and their bytes.
    fn journal_state(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let dir = self.root().join(".git/vouch/journal");
        let mut out = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                out.insert(entry.path(), std::fs::read(entry.path()).unwrap());
            }
        }
        out
    }

    /// Every journal line's JSON, in no particular order.
    fn journal_lines(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for bytes in self.journal_state().values() {
            for line in String::from_utf8_lossy(bytes).lines() {
                let json = line.rsplit_once('\t').map_or(line, |(json, _)| json);
                out.push(serde_json::from_str(json).unwrap());
            }
        }
        out
    }

    fn status_json(&self) -> serde_json::Value {
        let run = self.vouch(&["status", "--format", "json"]);
        assert_eq!(run.code, 0, "{run:?}");
        serde_json::from_str(&run.stdout).unwrap()
    }

    fn note(&self, rev: &str) -> Option<String> {
        let out = self.git_run(&["notes", "--ref=vouch", "show", rev]);
        (out.code == 0).then_some(out.stdout)
    }

    /// Approve, as `email`, every AI unit of `path` whose text is `text`.
    fn approve(&self, path: &str, text: &str, email: &str) -> Result<Vec<String>, SignoffError> {
        self.decide(path, text, email, Verdict::Approve)
    }

    fn decide(&self, path: &str, text: &str, email: &str, verdict: Verdict) -> Result<Vec<String>, SignoffError> {
        let ctx = Context::open_at(self.root()).unwrap();
        let policy = ctx.policy(&Source::Worktree).unwrap();
        let ledger = ctx.ledger().unwrap();
        let journal = ctx.journal().unwrap();
        let spans = ctx.spans(&policy, &journal, path, text, false).unwrap();
        let (_, facts) = ctx.facts(path, text.to_string(), &spans).unwrap();
        assert!(!facts.is_empty(), "no AI unit in {path}");
        let reviewer = Person { name: email.split('@').next().unwrap().into(), email: email.into() };
        let mut ids = Vec::new();
        for f in &facts {
            let comment = (verdict == Verdict::Reject).then_some("use decimals");
            let judgement = ledger.judge(&policy, (path, None), f, &[], &|_| None);
            let approval = signoff::decide_judged(&ledger, path, f, &judgement, reviewer.clone(), verdict, comment)?;
            ids.push(records::add(&ctx.repo, &approval).unwrap());
        }
        Ok(ids)
    }
}

/// An agent's edit to src/cart.py, recorded by the Claude Code hook.
fn cart_repo() -> Repo {
    let repo = Repo::init_with(&[("src/cart.py", CART_BEFORE)], &[]);
    repo.write("src/cart.py", CART_AFTER);
    let run = repo
        .vouch_stdin(&["hook", "claude-code"], repo.claude_payload("claude-code-post-tool-use-edit.json").as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    repo
}

#[test]
fn an_agent_edit_blocks_the_commit_until_a_reviewer_approves() {
    let policy = "reviewers = [\"alice@example.com\"]\n";
    let repo = Repo::init_with(&[(".vouch.toml", policy), ("src/cart.py", CART_BEFORE)], &[]);
    // Work on a branch: its commits are the range verify judges against
    // main (BASE is their merge-base).
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/cart.py", CART_AFTER);
    let run = repo
        .vouch_stdin(&["hook", "claude-code"], repo.claude_payload("claude-code-post-tool-use-edit.json").as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    let lines = repo.journal_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let span = &lines[0]["spans"][0];
    assert_eq!((span["tool"].as_str(), span["evidence"].as_str()), (Some("claude-code"), Some("agent-hook")));
    assert_eq!(span["accepted_by"], "dev@example.com");
    assert_eq!(span["session"], "8c1f0e2a-3b4d-4e5f-9a6b-7c8d9e0f1a2b");

    // The pre-commit hook refuses the commit, naming the unit.
    repo.git(&["add", "src/cart.py"]);
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.all().contains("src/cart.py:1 function `total` — needs sign-off: 0 of 1 approvals, not requested yet"),
        "{run:?}"
    );
    assert!(run.all().contains("vouch request src/cart.py:1 -m \"why\""), "{run:?}");
    assert!(run.all().contains("commit refused"), "{run:?}");
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "1");

    // Requested, as the message says: still refused, now waiting.
    let run = repo.vouch(&["request", "src/cart.py:1", "-m", "coupons can exceed the total"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = repo.vouch(&["check", "--staged"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("sign-off requested: 0 of 1 approvals"), "{run:?}");
    assert!(run.stdout.contains("waiting for sign-off from: alice@example.com"), "{run:?}");

    // Self-approval and a non-reviewer's approval are refused.
    let run = repo.vouch(&["approve", "src/cart.py:1", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("dev@example.com accepted this AI text and cannot approve it"), "{run:?}");
    repo.git(&["config", "user.email", "bob@example.com"]);
    let run = repo.vouch(&["approve", "src/cart.py:1", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("bob@example.com is not a reviewer for src/cart.py"), "{run:?}");

    // The reviewer approves; the author commits.
    repo.git(&["config", "user.email", "alice@example.com"]);
    let run = repo.vouch(&["approve", "src/cart.py:1", "--yes", "--comment", "fine"]);
    assert_eq!(run.code, 0, "{run:?}");
    repo.git(&["config", "user.email", "dev@example.com"]);
    let run = repo.vouch(&["check", "--staged"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_eq!(run.code, 0, "{run:?}");

    // The note records the AI lines, the tool, the rationale and the approval.
    let note = repo.note("HEAD").expect("a note on the commit");
    let record: serde_json::Value = serde_json::from_str(note.lines().next().unwrap()).unwrap();
    assert_eq!(record["path"], "src/cart.py");
    assert_eq!(record["ai"], serde_json::json!([[1, 5]]));
    assert_eq!(record["origin"]["tool"], "claude-code");
    assert_eq!(record["evidence"], "agent-hook");
    assert_eq!(record["accepted_by"], "dev@example.com");
    assert_eq!(record["rationale"], "coupons can exceed the total");
    assert_eq!(record["approvals"].as_array().map(Vec::len), Some(1), "{record}");
    // The journal record is covered: retired.
    assert!(repo.journal_lines().iter().any(|l| l["kind"] == "retire"));

    // Amend keeps the note (git copies it, the post-rewrite hook re-maps it).
    let run = repo.git_run(&["commit", "-q", "--amend", "-m", "coupons, amended"]);
    assert_eq!(run.code, 0, "{run:?}");
    let amended = repo.note("HEAD").expect("the amended commit keeps its note");
    assert!(amended.contains("\"path\":\"src/cart.py\"") && amended.contains("claude-code"), "{amended}");

    // Blame shows the lines with their tool and approver, from the note.
    let run = repo.vouch(&["blame", "src/cart.py"]);
    assert_eq!(run.code, 0, "{run:?}");
    let row = run.stdout.lines().find(|l| l.contains("subtotal = sum")).unwrap_or_else(|| panic!("{run:?}"));
    for expected in ["ai", "claude-code", "alice@example.com"] {
        assert!(row.contains(expected), "{expected} in {row:?}");
    }

    // A person edits the approved function: its approval no longer applies
    // (its AI text came in the range, and stays AI through the edit).
    repo.write("src/cart.py", &CART_AFTER.replace("max(subtotal, 0)", "max(subtotal, 1)"));
    repo.git(&["add", "src/cart.py"]);
    let run = repo.git_run(&["commit", "-q", "-m", "tweak"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.all().contains("src/cart.py:1 function `total` — needs sign-off"), "{run:?}");

    // Once merged into main, the function landed: a person's edit next to
    // it on a new branch is not asked about again, as verify does not ask.
    assert_eq!(repo.git_run(&["commit", "-q", "--no-verify", "-m", "tweak"]).code, 0);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--ff-only", "feature"]);
    repo.git(&["checkout", "-q", "-b", "next"]);
    repo.write("src/cart.py", &format!("# carts\n{}", repo.read("src/cart.py")));
    repo.git(&["add", "src/cart.py"]);
    let run = repo.vouch(&["check", "--staged"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(repo.git_run(&["commit", "-q", "-m", "a comment"]).code, 0);
}

#[test]
fn a_commit_that_skips_the_gate_still_gets_its_note() {
    let repo = cart_repo();
    repo.git(&["add", "src/cart.py"]);
    // A gate run that saw other content leaves nothing the note could use.
    let run = repo.vouch(&["check", "--staged"]);
    assert_eq!(run.code, 1, "{run:?}");
    repo.write("src/cart.py", &format!("{CART_AFTER}\n# more\n"));
    repo.git(&["add", "src/cart.py"]);
    let run = repo.git_run(&["commit", "-q", "--no-verify", "-m", "coupons, unchecked"]);
    assert_eq!(run.code, 0, "{run:?}");
    let note = repo.note("HEAD").expect("a note without the gate");
    let record: serde_json::Value = serde_json::from_str(note.lines().next().unwrap()).unwrap();
    assert_eq!(record["ai"], serde_json::json!([[1, 5]]), "{note}");
    assert_eq!(record["approvals"], serde_json::json!([]));
    assert!(repo.journal_lines().iter().any(|l| l["kind"] == "retire"));
    assert!(!repo.root().join(".git/vouch/gate-cache.json").exists());
}

#[test]
fn editing_an_approved_unit_before_committing_blocks_again() {
    let repo = cart_repo();
    repo.approve("src/cart.py", CART_AFTER, "alice@example.com").unwrap();
    let edited = CART_AFTER.replace("subtotal -= coupon", "subtotal -= 2 * coupon");
    repo.write("src/cart.py", &edited);
    repo.git(&["add", "src/cart.py"]);
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.all().contains("function `total` — needs sign-off"), "{run:?}");
    // Back to the approved text: it passes.
    repo.write("src/cart.py", CART_AFTER);
    repo.git(&["add", "src/cart.py"]);
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn the_author_and_non_reviewers_do_not_count() {
    let policy = "reviewers = [\"alice@example.com\"]\n";
    let repo = Repo::init_with(&[(".vouch.toml", policy), ("src/cart.py", CART_BEFORE)], &[]);
    repo.write("src/cart.py", CART_AFTER);
    let payload = repo.claude_payload("claude-code-post-tool-use-edit.json");
    assert_eq!(repo.vouch_stdin(&["hook", "claude-code"], payload.as_bytes()).code, 0);

    let err = repo.approve("src/cart.py", CART_AFTER, "bob@example.com").unwrap_err().to_string();
    assert!(err.contains("bob@example.com is not a reviewer for src/cart.py (reviewers: alice@example.com)"), "{err}");

    // Alice approves, but commits herself: her own approval does not count for her commit.
    repo.approve("src/cart.py", CART_AFTER, "alice@example.com").unwrap();
    repo.git(&["add", "src/cart.py"]);
    let mut cmd = repo.command("git", &["commit", "-q", "-m", "coupons"]);
    cmd.env("GIT_AUTHOR_EMAIL", "alice@example.com").env("GIT_AUTHOR_NAME", "Alice");
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.all().contains(
            "not counted: alice@example.com authored, committed or signed a commit of it and cannot approve it"
        ),
        "{run:?}"
    );
    // Committed by someone else, it passes.
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn notes_follow_rebase_and_cherry_pick() {
    let repo = Repo::init_with(&[(".vouch.toml", "gate = \"warn\"\n"), ("src/cart.py", CART_BEFORE)], &[]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/cart.py", CART_AFTER);
    let payload = repo.claude_payload("claude-code-post-tool-use-edit.json");
    assert_eq!(repo.vouch_stdin(&["hook", "claude-code"], payload.as_bytes()).code, 0);
    repo.git(&["add", "src/cart.py"]);
    assert_eq!(repo.git_run(&["commit", "-q", "-m", "coupons"]).code, 0);
    let original = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    assert!(repo.note(&original).unwrap().contains("claude-code"));

    repo.git(&["checkout", "-q", "main"]);
    repo.write("README", "readme\n");
    repo.git(&["add", "README"]);
    assert_eq!(repo.git_run(&["commit", "-q", "-m", "readme"]).code, 0);

    // A cherry-pick (no -x: found by patch id) carries the note over.
    let run = repo.git_run(&["cherry-pick", &original]);
    assert_eq!(run.code, 0, "{run:?}");
    let picked = repo.note("HEAD").expect("the cherry-pick has a note");
    assert!(picked.contains("\"path\":\"src/cart.py\"") && picked.contains("claude-code"), "{picked}");
    assert!(!picked.contains("no-ai"), "{picked}");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);

    // A rebase: the rewritten commit keeps the record.
    repo.git(&["checkout", "-q", "feature"]);
    let run = repo.git_run(&["rebase", "-q", "main"]);
    assert_eq!(run.code, 0, "{run:?}");
    let rebased = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    assert_ne!(rebased, original);
    let note = repo.note("HEAD").expect("the rebased commit has a note");
    assert!(note.contains("\"path\":\"src/cart.py\"") && note.contains("claude-code"), "{note}");
    assert!(!note.contains("no-ai"), "a rebase attests nothing new: {note}");
}

#[test]
fn a_rejection_blocks_with_its_reason() {
    let repo = cart_repo();
    repo.decide("src/cart.py", CART_AFTER, "alice@example.com", Verdict::Reject).unwrap();
    repo.git(&["add", "src/cart.py"]);
    let run = repo.vouch(&["check", "--staged"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("— rejected by alice@example.com: use decimals"), "{run:?}");
    assert!(run.stdout.contains("change it, then request sign-off again"), "{run:?}");
}

#[test]
fn partial_staging_checks_the_staged_version() {
    let repo = cart_repo();
    repo.git(&["add", "src/cart.py"]);
    // The agent edits again; that edit stays unstaged.
    let later = CART_AFTER.replace("return max(subtotal, 0)", "return round(max(subtotal, 0), 2)");
    repo.write("src/cart.py", &later);
    let payload = format!(
        r#"{{"hook_event_name":"PostToolUse","tool_name":"Edit","tool_input":{{"file_path":"{}","old_string":"return max(subtotal, 0)","new_string":"return round(max(subtotal, 0), 2)"}}}}"#,
        repo.root().join("src/cart.py").display()
    );
    assert_eq!(repo.vouch_stdin(&["hook", "claude-code"], payload.as_bytes()).code, 0);

    // Approving the working tree's version does not approve the staged one.
    repo.approve("src/cart.py", &later, "alice@example.com").unwrap();
    let run = repo.vouch(&["check", "--staged"]);
    assert_eq!(run.code, 1, "{run:?}");
    let status = repo.status_json();
    assert_eq!(status["index"][0]["state"], "pending", "{status}");
    assert_eq!(status["worktree"][0]["state"], "approved", "{status}");
    assert_ne!(status["index"][0]["fingerprint"], status["worktree"][0]["fingerprint"]);

    // Approving the staged version lets the commit through; the later edit stays.
    repo.approve("src/cart.py", CART_AFTER, "alice@example.com").unwrap();
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(repo.git(&["show", "HEAD:src/cart.py"]), CART_AFTER);
    assert_eq!(repo.read("src/cart.py"), later);
    // The unstaged AI text kept its record: it is still AI in the working tree.
    let status = repo.status_json();
    assert_eq!(status["worktree"][0]["tools"], serde_json::json!(["claude-code"]), "{status}");
    assert_eq!(status["worktree"][0]["state"], "approved", "{status}");
}

#[test]
fn commit_all_is_checked_through_gits_temporary_index() {
    let repo = cart_repo();
    // Not staged: `git commit -a` stages it into a temporary index.
    let run = repo.git_run(&["commit", "-q", "-a", "-m", "coupons"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.all().contains("src/cart.py:1 function `total`"), "{run:?}");
    let run = repo.git_run(&["commit", "-q", "-m", "coupons", "--", "src/cart.py"]);
    assert_eq!(run.code, 1, "{run:?}");
}

#[test]
fn gate_warn_prints_and_lets_the_commit_through() {
    let repo = Repo::init_with(&[(".vouch.toml", "gate = \"warn\"\n"), ("src/cart.py", CART_BEFORE)], &[]);
    repo.write("src/cart.py", CART_AFTER);
    let payload = repo.claude_payload("claude-code-post-tool-use-edit.json");
    assert_eq!(repo.vouch_stdin(&["hook", "claude-code"], payload.as_bytes()).code, 0);
    repo.git(&["add", "src/cart.py"]);
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.all().contains("src/cart.py:1 function `total` — needs sign-off"), "{run:?}");
    assert!(run.all().contains("gate = \"warn\""), "{run:?}");
    let note = repo.note("HEAD").unwrap();
    assert!(note.contains("\"approvals\":[]"), "{note}");
}

#[test]
fn a_corrupt_journal_or_policy_fails_closed() {
    let repo = cart_repo();
    repo.git(&["add", "src/cart.py"]);
    let (file, mut bytes) = repo.journal_state().into_iter().next().unwrap();
    bytes[20] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let run = repo.vouch(&["check", "--staged"]);
    assert_eq!(run.code, 2, "{run:?}");
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(run.stderr.contains(name) && run.stderr.contains("damaged"), "{run:?}");
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_ne!(run.code, 0, "{run:?}");
    // Red team: a commit the gate does not run for (`--no-verify`) was
    // noted "no AI" by the post-commit hook, which had said the journal was
    // damaged: verify passed the AI lines the damaged record held. It is
    // left unattested while a damaged segment is set aside.
    let run = repo.git_run(&["commit", "-q", "--no-verify", "-m", "coupons"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("damaged"), "{run:?}");
    assert_eq!(repo.note("HEAD"), None, "a commit made over a damaged journal is not attested");

    // An invalid staged policy: the gate judges under BASE's policy (as
    // verify does), says the staged one does not parse, and refuses the
    // change to it, a trust file, until it is approved.
    let repo = cart_repo();
    repo.write(".vouch.toml", "gate = \"blok\"\n");
    repo.git(&["add", "-A"]);
    let run = repo.vouch(&["check", "--staged"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(":.vouch.toml:1:8"), "{run:?}");
    assert!(run.stdout.contains(".vouch.toml:1 trust file change"), "{run:?}");
}

#[test]
fn malformed_payloads_exit_2_and_record_nothing() {
    let repo = Repo::init_with(&[("src/cart.py", CART_BEFORE)], &[]);
    repo.write("src/cart.py", CART_AFTER);
    let path = repo.root().join("src/cart.py");
    let path = path.to_str().unwrap();
    let huge = vec![b' '; (64 << 20) + 10];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("claude-code", b"not json".to_vec(), "not JSON"),
        ("claude-code", b"".to_vec(), "empty input"),
        ("claude-code", b"[]".to_vec(), "not a JSON object"),
        ("claude-code", br#"{"hook_event_name":"PostToolUse","tool_name":"Edit"}"#.to_vec(), "missing `tool_input`"),
        (
            "claude-code",
            format!(r#"{{"hook_event_name":"PostToolUse","tool_name":"Edit","tool_input":{{"file_path":"{path}","new_string":7}}}}"#).into_bytes(),
            "`tool_input.new_string` must be a string, found a number",
        ),
        (
            "claude-code",
            format!(r#"{{"hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{{"file_path":"{path}"}}}}"#).into_bytes(),
            "missing `tool_input.content`",
        ),
        ("claude-code", vec![b'{', 0xc3, 0x28, b'}'], "not UTF-8"),
        ("cursor", br#"{"hook_event_name":"afterFileEdit","file_path":3}"#.to_vec(), "`file_path` must be a string"),
        (
            "cursor",
            format!(r#"{{"hook_event_name":"afterFileEdit","file_path":"{path}","edits":"x"}}"#).into_bytes(),
            "`edits` must be an array",
        ),
        ("cursor", huge, "larger than 64 MiB"),
    ];
    let before = repo.journal_state();
    for (agent, payload, message) in cases {
        let run = repo.vouch_stdin(&["hook", agent], &payload);
        assert_eq!(run.code, 2, "{agent} {message}: {run:?}");
        assert!(run.stderr.contains(message), "{agent} {message}: {run:?}");
        assert_eq!(repo.journal_state(), before, "{agent} {message}: the journal changed");
    }
    // Bad arguments: exit 2, nothing written.
    for args in [
        vec!["hook", "generic"],
        vec!["hook", "nope"],
        vec!["mark", "src/cart.py:99", "--ai"],
        vec!["mark", "src/cart.py:3-1", "--ai"],
        vec!["mark", "src/cart.py", "--ai"],
        vec!["mark", "src/cart.py:1"],
        vec!["mark", "src/cart.py:1", "--human", "--tool", "x"],
        vec!["mark", "nowhere.py:1", "--ai"],
        vec!["check", "--format", "yaml"],
    ] {
        let run = repo.vouch(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert_eq!(repo.journal_state(), before, "{args:?}: the journal changed");
    }
    let run = repo.vouch(&["mark", "src/cart.py:99", "--ai"]);
    assert!(run.stderr.contains("src/cart.py has 5 line(s); cannot mark 99-99"), "{run:?}");
}

/// (Paths into `.git` and links out of the worktree are refused with exit 2:
/// see `tests/attack_paths.rs`.)
#[test]
fn files_vouch_does_not_track_are_skipped_without_blocking_the_agent() {
    let repo = Repo::init_with(&[("a.py", "x = 1\n")], &[]);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("b.py"), "y = 2\n").unwrap();
    let before = repo.journal_state();
    for (file, why) in
        [(outside.path().join("b.py"), "is not in a git repository"), (repo.root().join("gone.py"), "does not exist")]
    {
        let payload = format!(
            r#"{{"hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{{"file_path":"{}","content":"y = 2\n"}}}}"#,
            file.display()
        );
        let run = repo.vouch_stdin(&["hook", "claude-code"], payload.as_bytes());
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains(why), "{why}: {run:?}");
    }
    // A PreToolUse is no edit: it takes a snapshot for the PostToolUse,
    // not a journal record.
    let run = repo
        .vouch_stdin(&["hook", "claude-code"], repo.claude_payload("claude-code-pre-tool-use-edit.json").as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(repo.root().join(".git/vouch/pre/toolu_01ABCDEF.snap").exists(), "{run:?}");
    assert_eq!(repo.journal_state(), before);
    // A file that is not UTF-8 is tracked: all of it is recorded as AI
    // (issue 12: "not read" never passes).
    std::fs::write(repo.root().join("bin.dat"), [0xff, 0xfe, 0x00]).unwrap();
    let payload = format!(
        r#"{{"hook_event_name":"afterFileEdit","file_path":"{}","edits":[{{"old_string":"","new_string":"x"}}]}}"#,
        repo.root().join("bin.dat").display()
    );
    let run = repo.vouch_stdin(&["hook", "cursor"], payload.as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("bin.dat is not UTF-8 text: recorded all of it (1 line(s)) as AI"), "{run:?}");
    assert_ne!(repo.journal_state(), before);
}

#[test]
fn claude_code_write_multi_edit_and_the_model() {
    let repo = Repo::init_with(&[("src/cart.py", CART_BEFORE)], &[]);
    let transcript = repo.root().join(".git/transcript.jsonl");
    std::fs::write(&transcript, fixture("claude-code-transcript.jsonl")).unwrap();
    let write = repo.claude_payload("claude-code-post-tool-use-write.json").replace(
        "/home/dev/.claude/projects/-home-dev-shop/8c1f0e2a-3b4d-4e5f-9a6b-7c8d9e0f1a2b.jsonl",
        transcript.to_str().unwrap(),
    );
    let content: serde_json::Value = serde_json::from_str(&write).unwrap();
    let content = content["tool_input"]["content"].as_str().unwrap().to_string();
    repo.write("src/coupons.py", &content);
    let run = repo.vouch_stdin(&["hook", "claude-code"], write.as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    let lines = repo.journal_lines();
    let spans = &lines[0]["spans"];
    assert_eq!(spans.as_array().unwrap().len(), 1);
    assert_eq!((spans[0]["start"].as_u64(), spans[0]["end"].as_u64()), (Some(0), Some(content.len() as u64)));
    assert_eq!(spans[0]["model"], "claude-opus-4-5-20251101");

    // The environment names the model first; MultiEdit with replace_all.
    repo.write("src/multi.py", "a = 1\nb = 1\nc = 1\nkeep = 0\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "files"]);
    repo.write("src/multi.py", "a = 2\nb = 2\nc = 2\nkeep = 0\nnew = 3\n");
    let multi = format!(
        r#"{{"hook_event_name":"PostToolUse","tool_name":"MultiEdit","session_id":"s1","tool_input":{{"file_path":"{}","edits":[{{"old_string":"= 1","new_string":"= 2","replace_all":true}},{{"old_string":"keep = 0\n","new_string":"keep = 0\nnew = 3\n"}}]}}}}"#,
        repo.root().join("src/multi.py").display()
    );
    let mut cmd = repo.command(VOUCH, &["hook", "claude-code"]);
    cmd.env("ANTHROPIC_MODEL", "claude-sonnet-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(multi.as_bytes()).unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
    let record = repo.journal_lines().into_iter().find(|l| l["path"] == "src/multi.py").unwrap();
    let text = repo.read("src/multi.py");
    let got: Vec<&str> = record["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &text[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize])
        .collect();
    // What the agent wrote: "= 2" three times, and a line.
    assert_eq!(got, vec!["= 2", "= 2", "= 2", "new = 3\n"]);
    assert_eq!(record["spans"][0]["model"], "claude-sonnet-test");
    assert_eq!(record["spans"][0]["session"], "s1");
}

#[test]
fn cursor_agent_and_tab_edits() {
    let repo = Repo::init_with(&[("src/cart.py", CART_BEFORE)], &[]);
    repo.write("src/cart.py", CART_AFTER);
    let root = repo.root().to_str().unwrap().to_string();
    let run = repo.vouch_stdin(
        &["hook", "cursor"],
        fixture("cursor-after-file-edit.json").replace("/home/dev/shop", &root).as_bytes(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let tabbed = CART_AFTER.replace("    subtotal = ", "    if not items:\n        return 0\n    subtotal = ");
    repo.write("src/cart.py", &tabbed);
    let run = repo.vouch_stdin(
        &["hook", "cursor"],
        fixture("cursor-after-tab-file-edit.json").replace("/home/dev/shop", &root).as_bytes(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let mut kinds: Vec<(String, String, String)> = repo
        .journal_lines()
        .iter()
        .map(|l| {
            let s = &l["spans"][0];
            (
                s["tool"].as_str().unwrap().into(),
                s["kind"].as_str().unwrap().into(),
                s["model"].as_str().unwrap().into(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("cursor".into(), "agent".into(), "gpt-5-codex".into()),
            ("cursor".into(), "completion".into(), "cursor-tab".into())
        ]
    );
    let status = repo.status_json();
    assert_eq!(status["worktree"][0]["ai_lines"], 7, "{status}");
}

#[test]
fn generic_records_what_changed_since_vouch_last_saw_the_file() {
    let repo = Repo::init_with(&[("src/old.py", "def f():\n    return 1\n")], &[]);
    repo.write("src/new.py", "def g():\n    return 2\n");
    let run = repo.vouch(&["hook", "generic", "--file", "src/new.py", "--tool", "aider"]);
    assert_eq!(run.code, 0, "{run:?}");
    repo.write("src/old.py", "def f():\n    return 1\n\n\ndef h():\n    return 3\n");
    let run = repo.vouch(&["hook", "generic", "--file", "src/old.py", "--tool", "aider"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = repo.vouch(&["hook", "generic", "--file", "src/old.py"]);
    assert!(run.stderr.contains("no new text since vouch last saw it"), "{run:?}");
    let status = repo.status_json();
    let units: Vec<(String, String)> = status["worktree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["path"].as_str().unwrap().into(), u["name"].as_str().unwrap().into()))
        .collect();
    assert_eq!(units, vec![("src/new.py".into(), "g".into()), ("src/old.py".into(), "h".into())]);
    assert_eq!(status["worktree"][1]["tools"], serde_json::json!(["aider"]));
}

#[test]
fn marks_by_hand() {
    let repo = Repo::init_with(&[("src/a.py", "def f():\n    return 1\n")], &[]);
    // Marked before it is committed: the next commit's note will say so.
    repo.write("src/a.py", "def f():\n    return 1\n\n\ndef g():\n    return 2\n");
    let run = repo.vouch(&["mark", "src/a.py:5-6", "--ai", "--tool", "chatgpt"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("marked src/a.py:5-6 as AI-written (chatgpt), by dev@example.com"), "{run:?}");
    let status = repo.status_json();
    assert_eq!(status["worktree"][0]["name"], "g", "{status}");
    let run = repo.vouch(&["mark", "src/a.py:5-6", "--human"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(repo.status_json()["worktree"], serde_json::json!([]));
}

/// A person's word that text is theirs never outranks a record of AI from
/// another source: `vouch mark --human` over the text an agent's hook
/// recorded, or over lines an AI commit of the range wrote, would make the
/// gate pass and the commit's note say "no AI", and `vouch verify` would
/// then have nothing to ask about. Refused, and nothing is recorded.
#[test]
fn a_person_cannot_mark_the_text_an_agent_wrote_as_theirs() {
    let repo = cart_repo();
    let journal = repo.journal_state();
    let run = repo.vouch(&["mark", "src/cart.py:1-5", "--human"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("src/cart.py:1") && run.stderr.contains("claude-code"), "which line, whose: {run:?}");
    assert!(run.stderr.contains("never outranks") && run.stderr.contains("nothing recorded"), "{run:?}");
    assert_eq!(repo.journal_state(), journal, "the journal is as it was");
    repo.git(&["add", "src/cart.py"]);
    assert_eq!(repo.vouch(&["check", "--staged"]).code, 1, "the gate still asks for sign-off");

    // Nor can a mark of their own hide the agent's record first: a line
    // another source calls AI is left as it is by `--ai` (the person's mark
    // would paint over the record, and their own mark they may take back).
    let run = repo.vouch(&["mark", "src/cart.py:1", "--ai", "--tool", "x"]);
    assert_eq!(run.code, 0, "it is AI, as asked: {run:?}");
    assert!(run.stderr.contains("already recorded as AI by claude-code"), "{run:?}");
    assert_eq!(repo.journal_state(), journal, "the journal is as it was");
    let run = repo.vouch(&["mark", "src/cart.py:1", "--human"]);
    assert_eq!(run.code, 1, "{run:?}");

    // An AI commit's lines (a trailer) are AI too, committed or not.
    let repo = Repo::init_with(&[("src/a.py", "def f():\n    return 1\n")], &[]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/a.py", "def f():\n    return 1\n\n\ndef g():\n    return 2\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "add g\n\nCo-authored-by: Claude <noreply@anthropic.com>"]);
    let run = repo.vouch(&["mark", "src/a.py:5-6", "--human"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("src/a.py:5") && run.stderr.contains("history"), "{run:?}");
    let run = repo.vouch(&["mark", "src/a.py:1-2", "--human"]);
    assert_eq!(run.code, 0, "a person's own lines: {run:?}");
    // Marking AI a range that holds both: only the lines no source calls AI
    // are recorded.
    let before = repo.journal_state();
    let run = repo.vouch(&["mark", "src/a.py:1-6", "--ai", "--tool", "chatgpt", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("src/a.py:3 is already recorded as AI by claude (history)"), "{run:?}");
    assert_ne!(repo.journal_state(), before, "lines 1-2 are recorded");
    let status = repo.status_json();
    let units = status["worktree"].as_array().unwrap();
    assert_eq!(units.len(), 1, "{status:#}");
    assert_eq!((units[0]["name"].as_str(), units[0]["tools"].clone()), (Some("g"), serde_json::json!(["claude"])));
}

/// The units `vouch check` keeps between runs (entries listing units, not
/// the journal's views).
fn analysis_entries(repo: &Repo) -> Vec<PathBuf> {
    let dir = repo.root().join(".git/vouch/cache/analysis");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).map_or(Vec::new(), |d| d.flatten().map(|e| e.path()).collect());
    out.retain(|p| {
        std::fs::read(p)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v["entry"].is_array())
    });
    out.sort();
    out
}

#[test]
fn the_gate_reuses_an_analysis_only_for_the_same_text_and_records() {
    let repo = cart_repo();
    repo.git(&["add", "src/cart.py"]);
    // `vouch status` analyses the version that is both staged and on disk
    // once; the gate finds it kept.
    assert_eq!(repo.status_json()["index"][0]["name"], "total");
    let entries = analysis_entries(&repo);
    assert_eq!(entries.len(), 1, "one file version analysed: {entries:?}");
    let first = repo.vouch(&["check", "--staged"]);
    assert_eq!(first.code, 1, "{first:?}");
    assert!(first.stdout.contains("src/cart.py:1 function `total` — needs sign-off"), "{first:?}");
    assert_eq!(analysis_entries(&repo), entries);

    // Again: the same answer, from the kept analysis.
    let again = repo.vouch(&["check", "--staged"]);
    assert_eq!((again.code, &again.stdout), (first.code, &first.stdout));
    assert_eq!(analysis_entries(&repo), entries);

    // A damaged entry is worked out again, and replaced.
    std::fs::write(&entries[0], b"{\"stamp\": \"vouch").unwrap();
    let damaged = repo.vouch(&["check", "--staged"]);
    assert_eq!((damaged.code, &damaged.stdout), (first.code, &first.stdout));
    let entry: serde_json::Value = serde_json::from_slice(&std::fs::read(&entries[0]).unwrap()).unwrap();
    assert_eq!(entry["entry"][0][0]["unit"]["name"], "total", "{entry}");

    // A new journal record about the same text that attributes it to
    // another agent (Cursor's edit of it) is a new key: the kept analysis
    // does not answer for it.
    let payload = repo.claude_payload("cursor-after-file-edit.json");
    let run = repo.vouch_stdin(&["hook", "cursor"], payload.as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    let recorded = repo.vouch(&["check", "--staged"]);
    assert_eq!(recorded.code, 1, "{recorded:?}");
    assert_eq!(analysis_entries(&repo).len(), 2, "another tool: other AI lines, another entry");

    // Approvals are judged afresh on every run, never kept.
    repo.approve("src/cart.py", CART_AFTER, "alice@example.com").unwrap();
    let approved = repo.vouch(&["check", "--staged"]);
    assert_eq!(approved.code, 0, "{approved:?}");
    assert!(approved.stdout.contains("1 AI-written unit(s) staged; none lacks sign-off"), "{approved:?}");
}

#[test]
fn a_request_leaves_the_analysis_the_gate_needs() {
    let repo = cart_repo();
    let run = repo.vouch(&["request", "src/cart.py", "-m", "coupons, per the spec"]);
    assert_eq!(run.code, 0, "{run:?}");
    let entries = analysis_entries(&repo);
    assert_eq!(entries.len(), 1, "{entries:?}");
    repo.git(&["add", "src/cart.py"]);
    let check = repo.vouch(&["check", "--staged"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stdout.contains("function `total` — sign-off requested"), "{check:?}");
    assert_eq!(analysis_entries(&repo), entries, "the gate found the request's analysis");
}

#[test]
fn many_agent_edits_leave_few_journal_files_and_lose_none() {
    let mut text = String::from("# agent work\n");
    let repo = Repo::init_with(&[("src/many.py", &text)], &[]);
    let edits = 40;
    for k in 0..edits {
        let new = format!("def f{k}(x):\n    return x * {k}\n\n");
        text.push_str(&new);
        repo.write("src/many.py", &text);
        let payload = serde_json::json!({
            "session_id": "s",
            "hook_event_name": "PostToolUse",
            "tool_name": "Edit",
            "tool_input": {"file_path": repo.root().join("src/many.py"), "old_string": "", "new_string": new},
        });
        let run = repo.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
        assert_eq!(run.code, 0, "{run:?}");
    }
    // Every hook is a writer with a file of its own; compaction merges
    // them once they pile up, so a reader opens a few, not one per edit.
    let files = repo.journal_state().len();
    assert!(files < 32, "{files} journal files after {edits} edits");
    let units = repo.status_json()["worktree"].as_array().unwrap().len();
    assert_eq!(units, edits, "every edit's function is still AI-written");
}

#[test]
fn existing_hooks_are_chained_and_init_is_idempotent() {
    let repo = Repo::new();
    let hooks = repo.root().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let mine = "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/mine.log\"\n";
    std::fs::write(hooks.join("pre-commit"), mine).unwrap();
    std::fs::write(hooks.join("post-rewrite"), "#!/bin/sh\ncat > \"$(git rev-parse --git-dir)/rewrites.log\"\n")
        .unwrap();
    for name in ["pre-commit", "post-rewrite"] {
        let mut perms = std::fs::metadata(hooks.join(name)).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(hooks.join(name), perms).unwrap();
    }
    let run = repo.vouch(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(".git/hooks/pre-commit: installed; the existing hook was kept as .local"), "{run:?}");
    assert_eq!(std::fs::read_to_string(hooks.join("pre-commit.local")).unwrap(), mine);
    let snapshot = |dir: &Path| -> BTreeMap<String, String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap_or_default())
            })
            .collect()
    };
    let first = snapshot(&hooks);
    let run = repo.vouch(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("pre-commit: already installed"), "{run:?}");
    assert_eq!(snapshot(&hooks), first);

    repo.git(&["add", "-A"]);
    let run = repo.git_run(&["commit", "-q", "-m", "start"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read_to_string(repo.root().join(".git/mine.log")).unwrap(), "ran\n");
    assert!(repo.note("HEAD").unwrap().contains("no-ai"), "vouch's post-commit ran");
    let run = repo.git_run(&["commit", "-q", "--amend", "-m", "start again"]);
    assert_eq!(run.code, 0, "{run:?}");
    let rewrites = std::fs::read_to_string(repo.root().join(".git/rewrites.log")).unwrap();
    assert_eq!(rewrites.split_whitespace().nth(1), Some(repo.git(&["rev-parse", "HEAD"]).trim()));

    // A failing hook of theirs still stops the commit.
    std::fs::write(hooks.join("pre-commit.local"), "#!/bin/sh\necho no >&2\nexit 3\n").unwrap();
    repo.write("x.txt", "x\n");
    repo.git(&["add", "x.txt"]);
    let run = repo.git_run(&["commit", "-q", "-m", "x"]);
    assert_ne!(run.code, 0, "{run:?}");
}

#[test]
fn core_hooks_path_is_honoured() {
    let repo = Repo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let run = repo.vouch(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(repo.root().join(".githooks/pre-commit").exists(), "{run:?}");
    assert!(!repo.root().join(".git/hooks/pre-commit").exists());
    repo.write("src/cart.py", CART_BEFORE);
    repo.git(&["add", "-A"]);
    assert_eq!(repo.git_run(&["commit", "-q", "-m", "start"]).code, 0);
    repo.write("src/cart.py", CART_AFTER);
    let payload = repo.claude_payload("claude-code-post-tool-use-edit.json");
    assert_eq!(repo.vouch_stdin(&["hook", "claude-code"], payload.as_bytes()).code, 0);
    repo.git(&["add", "src/cart.py"]);
    let run = repo.git_run(&["commit", "-q", "-m", "coupons"]);
    assert_eq!(run.code, 1, "the gate in .githooks ran: {run:?}");
    let doctor = repo.vouch(&["doctor"]);
    assert!(doctor.stdout.contains("ok    hook pre-commit: installed"), "{doctor:?}");
}

/// A `core.hooksPath` outside the repository (`~/.githooks`, a team's
/// shared directory) is where every repository that uses it runs hooks
/// from: `vouch init` wrote its hooks there, and every commit of every
/// other repository then ran vouch (a note written, "this clone is not set
/// up" on each commit). It refuses, says why and what to do, and changes
/// nothing.
#[test]
fn init_does_not_install_into_hooks_shared_with_other_repositories() {
    let shared = tempfile::tempdir().unwrap();
    for relative in [false, true] {
        let repo = Repo::new();
        let name = repo.root().file_name().unwrap().to_str().unwrap().to_string();
        let path = match relative {
            false => shared.path().to_str().unwrap().to_string(),
            true => format!("../{name}-hooks"),
        };
        repo.git(&["config", "core.hooksPath", &path]);
        let run = repo.vouch(&["init"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("outside this repository") && run.stderr.contains("nothing was changed"),
            "{run:?}"
        );
        assert!(run.stderr.contains("core.hooksPath"), "{run:?}");
        assert!(std::fs::read_dir(shared.path()).unwrap().next().is_none(), "{path}: {run:?}");
        assert!(!repo.root().join(format!("../{name}-hooks")).exists(), "{path}: {run:?}");
        assert!(!repo.root().join(".vouch.toml").exists(), "{path}: {run:?}");
        // And a clone whose hooks an earlier vouch put there hears of it.
        let doctor = repo.vouch(&["doctor"]);
        assert!(doctor.stdout.contains("hooks directory: core.hooksPath is"), "{doctor:?}");
    }
}

#[test]
fn hooks_do_not_break_commits_when_vouch_is_gone() {
    let repo = Repo::init_with(&[("a.txt", "a\n")], &[]);
    let hook = repo.root().join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap().replace(VOUCH, "/nonexistent/vouch");
    std::fs::write(&hook, text).unwrap();
    repo.write("a.txt", "b\n");
    repo.git(&["add", "a.txt"]);
    let mut cmd = repo.command("git", &["commit", "-q", "-m", "b"]);
    cmd.env("PATH", "/usr/bin:/bin");
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("vouch not found") && run.stderr.contains("gate did not run"), "{run:?}");
}

#[test]
fn agent_configuration_is_merged() {
    let repo = Repo::new();
    repo.write(".claude/settings.json", "{\"model\":\"opus\",\"hooks\":{\"Stop\":[]}}\n");
    let run = repo.vouch(&["init", "--agent", "claude-code", "--agent", "cursor"]);
    assert_eq!(run.code, 0, "{run:?}");
    let settings: serde_json::Value = serde_json::from_str(&repo.read(".claude/settings.json")).unwrap();
    assert_eq!(settings["model"], "opus");
    assert_eq!(settings["hooks"]["PostToolUse"][0]["matcher"], "Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.*");
    assert_eq!(settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"], "vouch hook claude-code");
    assert_eq!(settings["hooks"]["PostToolUse"][0]["hooks"][0]["command"], "vouch hook claude-code");
    // After a tool that failed (a shell command that exits non-zero), Claude
    // Code runs PostToolUseFailure instead.
    assert_eq!(settings["hooks"]["PostToolUseFailure"][0]["matcher"], "Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.*");
    assert_eq!(settings["hooks"]["PostToolUseFailure"][0]["hooks"][0]["command"], "vouch hook claude-code");
    let cursor: serde_json::Value = serde_json::from_str(&repo.read(".cursor/hooks.json")).unwrap();
    assert_eq!(cursor["hooks"]["afterTabFileEdit"][0]["command"], "vouch hook cursor");
    let before = repo.read(".claude/settings.json");
    assert_eq!(repo.vouch(&["init", "--agent", "claude-code"]).code, 0);
    assert_eq!(repo.read(".claude/settings.json"), before);

    // Bad JSON: named, and nothing is written (not even the hooks).
    let fresh = Repo::new();
    fresh.write(".cursor/hooks.json", "{\"hooks\": [");
    let run = fresh.vouch(&["init", "--agent", "cursor"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(".cursor/hooks.json: not valid JSON"), "{run:?}");
    assert!(!fresh.root().join(".vouch.toml").exists());
    assert!(!fresh.root().join(".git/hooks/pre-commit").exists());
    assert_eq!(fresh.read(".cursor/hooks.json"), "{\"hooks\": [");
}

#[test]
fn doctor_says_what_is_missing_and_how_to_fix_it() {
    let repo = Repo::new();
    let run = repo.vouch(&["doctor"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("FAIL  hook pre-commit: .git/hooks/pre-commit is missing\n      fix: vouch init"),
        "{run:?}"
    );
    assert!(run.stdout.contains("FAIL  notes config"), "{run:?}");

    let repo = Repo::init_with(&[("a.txt", "a\n")], &[]);
    // Before the first commit there was no root commit to name: doctor says
    // so, and vouch init again records it.
    let run = repo.vouch(&["doctor"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("FAIL  repository id: .vouch.toml does not name the repository"), "{run:?}");
    let root = repo.git(&["rev-parse", "HEAD"]);
    let run = repo.vouch(&["init"]);
    assert!(run.stdout.contains(&format!("added repository = \"{}\"", root.trim())), "{run:?}");
    repo.git(&["commit", "-q", "--no-verify", "-am", "name the repository"]);
    assert_eq!(repo.vouch(&["doctor"]).code, 0, "{:?}", repo.vouch(&["doctor"]));
    let remote = tempfile::tempdir().unwrap();
    support::repo::git_in(remote.path(), &["init", "-q", "--bare"]);
    repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    let run = repo.vouch(&["doctor", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let failed: Vec<&serde_json::Value> =
        report["checks"].as_array().unwrap().iter().filter(|c| c["ok"] == false).collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0]["check"], "remote origin");
    let fix = failed[0]["fix"].as_str().unwrap();
    assert!(
        fix.contains("git config --add remote.origin.fetch '+refs/notes/vouch:refs/vouch-remote/origin/notes/vouch'"),
        "{fix}"
    );
    // Following the advice fixes it.
    for command in fix.split("git fetch: ").nth(1).unwrap().split("; ") {
        let spec = command.rsplit_once(' ').unwrap().1.trim_matches('\'');
        repo.git(&["config", "--add", "remote.origin.fetch", spec]);
    }
    let run = repo.vouch(&["doctor"]);
    assert_eq!(run.code, 0, "{run:?}");
    // A refspec that would overwrite local notes on git fetch is a problem.
    repo.git(&["config", "--add", "remote.origin.fetch", "+refs/notes/*:refs/notes/*"]);
    let run = repo.vouch(&["doctor"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("overwrites local vouch refs"), "{run:?}");
}
