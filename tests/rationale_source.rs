//! A rationale drafted from the agent's intent says so wherever a reviewer
//! reads it (issue 17.2): a request made with `--from-intent` (or the
//! editor's draft) records `rationale_from: "intent"`, and `vouch review`
//! (text and JSON), the language server's hover and its `vouch/pending`
//! items show that the words are the agent's, confirmed by the requester,
//! not the requester's own. A typed rationale is shown with no such mark.
//! The real binary, real git, and the real `vouch lsp` over JSON-RPC.

mod support {
    pub mod lsp;
    pub mod repo;
}

use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::lsp::Server;
use support::repo::TestRepo;
use vouch::intent::Intent;
use vouch::provenance::{AiSource, Attribution, Evidence};

const RUST: &str = "use std::fmt;\n\nfn human() -> u32 {\n    1\n}\n";
const GENERATED: &str = "fn generated(x: u32) -> u32 {\n    x * 2\n}\n";
const WORDS: &str = "Doubling the input for the pricing table.";
const MARK: &str = "drafted from the agent's intent";

fn vouch(repo: &TestRepo, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .current_dir(&repo.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "vouch {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An uncommitted AI function whose agent hook recorded `WORDS` as its
/// intent, requested by dev with `request_args` (answering `input`); the
/// reviewer's identity set afterwards.
fn requested(request_args: &[&str], input: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"reviewer@example.com\"]\n");
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let text = format!("{RUST}{GENERATED}");
    repo.write("src/lib.rs", &text);
    let git = git2::Repository::open(&repo.root).unwrap();
    let journal = vouch::store::journal::Journal::open(&git).unwrap();
    let attr = Attribution::ai(
        AiSource { tool: "claude-code".into(), model: None, session: None, kind: None },
        Evidence::AgentHook,
        None,
    )
    .with_intent(Some(Intent { said: Some(WORDS.into()), ..Intent::default() }));
    let spans = vec![(RUST.len()..text.len() - 1, attr)];
    journal.append(&git, vouch::store::journal::Entry::delta("src/lib.rs", &text, &spans)).unwrap();
    vouch(&repo, request_args, input);
    repo.git(&["config", "user.email", "reviewer@example.com"]);
    repo
}

/// `vouch/pending` once the background read of the queue is done.
fn settled_pending(server: &mut Server) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = server.request("vouch/pending", json!({}));
        if pending["computing"] == false {
            return pending;
        }
        assert!(Instant::now() < deadline, "the queue is still being read: {pending}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_rationale_drafted_from_the_intent_says_so_in_the_review_and_the_editor() {
    let repo = requested(&["request", "--from-intent", "src/lib.rs"], "\n");

    // vouch review --list --format json: the unit and its request say it.
    let list: Value =
        serde_json::from_slice(&vouch(&repo, &["review", "--list", "--format", "json"], "").stdout).expect("JSON");
    let unit = &list["units"][0];
    assert_eq!(unit["rationale"], WORDS, "{list:#}");
    assert_eq!(unit["rationale_from"], "intent", "{list:#}");
    assert_eq!(unit["requests"][0]["rationale_from"], "intent", "{list:#}");

    // The interactive review, beside the rationale.
    let text = stdout(&vouch(&repo, &["review"], "s\n"));
    let line = text.lines().find(|l| l.starts_with("rationale")).unwrap_or_else(|| panic!("no rationale: {text}"));
    assert!(line.contains(WORDS) && line.contains(MARK), "{text}");

    // The editor: the hover over the unit, and the queue's item.
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", &repo.read("src/lib.rs"));
    server.diagnostics(&uri, 1);
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 6, "character": 4 } }),
    );
    let hover = hover["contents"]["value"].as_str().unwrap_or_default().to_string();
    let said = hover.lines().find(|l| l.contains("rationale:")).unwrap_or_else(|| panic!("no rationale: {hover}"));
    assert!(said.contains("Doubling the input") && said.contains(MARK), "{hover}");
    let pending = settled_pending(&mut server);
    let items = pending["units"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{pending:#}");
    assert_eq!(items[0]["rationale"], WORDS, "{pending:#}");
    assert_eq!(items[0]["rationaleFrom"], "intent", "{pending:#}");
    server.shutdown();
}

#[test]
fn a_typed_rationale_carries_no_mark() {
    let repo = requested(&["request", "src/lib.rs", "-m", "for the spring pricing table"], "");
    let list: Value =
        serde_json::from_slice(&vouch(&repo, &["review", "--list", "--format", "json"], "").stdout).expect("JSON");
    assert_eq!(list["units"][0]["rationale"], "for the spring pricing table", "{list:#}");
    assert_eq!(list["units"][0]["rationale_from"], Value::Null, "{list:#}");
    let text = stdout(&vouch(&repo, &["review"], "s\n"));
    assert!(text.contains("rationale: for the spring pricing table"), "{text}");
    assert!(!text.contains(MARK), "{text}");

    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", &repo.read("src/lib.rs"));
    server.diagnostics(&uri, 1);
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 6, "character": 4 } }),
    );
    let hover = hover["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(hover.contains("rationale: for the spring pricing table") && !hover.contains(MARK), "{hover}");
    let pending = settled_pending(&mut server);
    assert!(pending["units"][0].get("rationaleFrom").is_none(), "{pending:#}");
    server.shutdown();
}
