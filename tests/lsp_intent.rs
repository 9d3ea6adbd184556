//! The agent's intent in the editor (issue 17.3): the hover shows it
//! beside the AI text, and the request code action offers a rationale
//! drafted from it, which, sent back unchanged, is recorded as taken from
//! the intent. Over JSON-RPC, as an editor drives the server.

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::{Value, json};
use support::lsp::{Server, range};
use support::repo::TestRepo;
use vouch::intent::Intent;
use vouch::provenance::{AiSource, Attribution, Evidence};

const RUST: &str = "use std::fmt;\n\nfn human() -> u32 {\n    1\n}\n";
const GENERATED: &str = "fn generated(x: u32) -> u32 {\n    x * 2\n}\n";
const WORDS: &str = "Doubling the input for the pricing table.";

/// The request record, wherever this version of vouch keeps it (the
/// records branch, or the older refs/vouch/requests).
fn request_record(repo: &TestRepo) -> Value {
    let on_branch = repo.git_output(&["rev-parse", "-q", "--verify", "refs/heads/vouch-records"]).status.success();
    let (tree, prefix) = if on_branch {
        (
            repo.git(&["ls-tree", "-r", "--name-only", "refs/heads/vouch-records", "requests"]),
            "refs/heads/vouch-records",
        )
    } else {
        (repo.git(&["ls-tree", "-r", "--name-only", "refs/vouch/requests"]), "refs/vouch/requests")
    };
    let name = tree.lines().find(|l| l.ends_with(".json")).expect("a request record");
    serde_json::from_str(&repo.git(&["show", &format!("{prefix}:{name}")])).unwrap()
}

#[test]
fn hover_shows_the_intent_and_the_request_action_drafts_the_rationale_from_it() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"reviewer@example.com\"]\n");
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    // An agent hook recorded the edit with its intent.
    let text = format!("{RUST}{GENERATED}");
    repo.write("src/lib.rs", &text);
    let git = git2::Repository::open(&repo.root).unwrap();
    let journal = vouch::store::journal::Journal::open(&git).unwrap();
    let intent =
        Intent { prompt: Some("add a \u{202e}doubling helper".into()), said: Some(WORDS.into()), ..Intent::default() };
    let attr = Attribution::ai(
        AiSource { tool: "claude-code".into(), model: None, session: None, kind: None },
        Evidence::AgentHook,
        None,
    )
    .with_intent(Some(intent));
    let spans = vec![(RUST.len()..text.len() - 1, attr)];
    journal.append(&git, vouch::store::journal::Entry::delta("src/lib.rs", &text, &spans)).unwrap();

    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", &text);
    let diags = server.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p["diagnostics"][0]["code"] == "unreviewed-ai"
    });
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 6, "character": 4 } }),
    );
    let hover = hover["contents"]["value"].as_str().unwrap();
    assert!(hover.contains("agent's intent: Doubling the input for the pricing table"), "{hover}");
    assert!(hover.contains("‹U+202E›") && !hover.contains('\u{202e}'), "{hover}");

    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(6, 0, 6, 0), "context": { "diagnostics": diags["diagnostics"] } }),
    );
    let request =
        actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("request")).unwrap();
    let mut command = request["command"].clone();
    assert_eq!(command["arguments"][0]["rationaleDraft"], WORDS, "{command}");
    // The editor shows the draft; the requester accepts it unchanged.
    command["arguments"][0]["rationale"] = command["arguments"][0]["rationaleDraft"].clone();
    let reply = server.request(
        "workspace/executeCommand",
        json!({ "command": command["command"], "arguments": command["arguments"] }),
    );
    assert!(reply.as_str().unwrap().contains("requested sign-off"), "{reply}");
    let record = request_record(&repo);
    assert_eq!(record["rationale"], WORDS, "{record}");
    assert_eq!(record["rationale_from"], "intent", "{record}");
    assert_eq!(record["units"][0]["intents"][0]["said"], WORDS, "{record}");
    server.shutdown();
}

#[test]
fn an_edited_rationale_is_the_requesters_own() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"reviewer@example.com\"]\n");
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
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
    journal
        .append(&git, vouch::store::journal::Entry::delta("src/lib.rs", &text, &[(RUST.len()..text.len() - 1, attr)]))
        .unwrap();
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", &text);
    let diags = server.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p["diagnostics"][0]["code"] == "unreviewed-ai"
    });
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(6, 0, 6, 0), "context": { "diagnostics": diags["diagnostics"] } }),
    );
    let request =
        actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("request")).unwrap();
    let mut command = request["command"].clone();
    command["arguments"][0]["rationale"] = json!("for the spring pricing table");
    server.request(
        "workspace/executeCommand",
        json!({ "command": command["command"], "arguments": command["arguments"] }),
    );
    let record = request_record(&repo);
    assert_eq!(record["rationale"], "for the spring pricing table", "{record}");
    assert!(record.get("rationale_from").is_none(), "{record}");
    server.shutdown();
}
