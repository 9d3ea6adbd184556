//! The language server under faults: a panic while handling one message
//! (provoked through the hidden `vouch/debug/panic` hook, enabled only by
//! `VOUCH_LSP_DEBUG_PANIC=1`) must not stop it from serving the others, and
//! its documents must stay what the editor holds (issue 14, item 2).

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::{Value, json};
use support::lsp::{Server, model, range};
use support::repo::TestRepo;

const LIB: &str = "fn human() -> u32 {\n    1\n}\n";
const AI_FN: &str = "fn generated(values: &[u32]) -> u32 {\n    values.iter().sum()\n}\n";

fn start(repo: &TestRepo) -> Server {
    Server::start_with_env(&repo.root, &["utf-16"], &[("VOUCH_LSP_DEBUG_PANIC", "1")])
}

fn panic_on(server: &mut Server, on: &str, times: u32) {
    server.notify("vouch/debug/panic", json!({ "on": on, "times": times }));
}

fn panic_on_document(server: &mut Server, on: &str, times: u32, uri: &str) {
    server.notify("vouch/debug/panic", json!({ "on": on, "times": times, "uri": uri }));
}

/// Errors shown to the user about internal errors, consumed.
fn internal_error_messages(server: &mut Server) -> Vec<String> {
    server
        .take_notifications("window/showMessage", |p| {
            p["type"] == 1 && p["message"].as_str().unwrap_or("").contains("internal error")
        })
        .iter()
        .map(|p| p["message"].as_str().unwrap().to_string())
        .collect()
}

fn ai_spans(doc: &Value) -> Vec<String> {
    doc["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["origin"] == "ai")
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect()
}

/// A repository with `src/lib.rs` open, an AI function reported in it, and
/// `src/other.rs` open beside it.
fn session() -> (TestRepo, Server, String, String, String) {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", LIB);
    repo.write("src/other.rs", "fn other() {}\n");
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let other = repo.uri("src/other.rs");
    let mut server = start(&repo);
    server.open(&uri, "rust", LIB);
    server.open(&other, "rust", "fn other() {}\n");
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": AI_FN }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(3, 0, 6, 0), "tool": "copilot" }),
    );
    let diags = server.diagnostics(&uri, 2);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let text = format!("{LIB}{AI_FN}");
    (repo, server, uri, other, text)
}

/// A panic half way through a batch: the server rebuilds the document with
/// the whole batch, keeps its provenance, tells the user once, and goes on.
#[test]
fn a_panic_in_the_middle_of_a_batch_loses_nothing() {
    let (_repo, mut server, uri, other, text) = session();
    panic_on(&mut server, "change", 1);
    let batch = vec![
        json!({ "range": range(1, 5, 1, 5), "text": "\n    " }),
        json!({ "range": range(1, 0, 1, 4), "text": "" }),
        json!({ "range": range(0, 3, 0, 8), "text": "person" }),
    ];
    let expected = model::apply(&text, &batch, "utf-16");
    server.change(&uri, 3, Value::Array(batch));
    let doc = server.document(&uri);
    assert_eq!(doc["text"], expected);
    assert_eq!(doc["version"], 3);
    assert_eq!(ai_spans(&doc), vec![AI_FN.to_string()], "{doc}");
    // Edits go on, diagnostics come back, the other document is intact.
    server.change(&uri, 4, json!([{ "range": range(0, 0, 0, 0), "text": "// ok\n" }]));
    let diags = server.diagnostics(&uri, 4);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(server.document(&uri)["text"], format!("// ok\n{expected}"));
    assert_eq!(server.document(&other)["text"], "fn other() {}\n");
    // What the server says leaves in order: the message about the panic
    // came before those diagnostics.
    let shown = internal_error_messages(&mut server);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].contains("textDocument/didChange") && shown[0].contains("keeps running"), "{shown:?}");
    // A second panic is logged, not shown again.
    panic_on(&mut server, "now", 1);
    server.change(&uri, 5, json!([{ "range": range(0, 0, 0, 0), "text": "// ok\n" }]));
    server.diagnostics(&uri, 5);
    assert_eq!(server.document(&uri)["text"], format!("// ok\n// ok\n{expected}"));
    assert!(internal_error_messages(&mut server).is_empty());
    let logged = server.take_notifications("window/logMessage", |p| {
        p["type"] == 1
            && p["message"].as_str().unwrap_or("").contains("internal error while handling vouch/debug/panic")
    });
    assert_eq!(logged.len(), 1);
    server.shutdown();
}

/// A request that panics gets an error reply that says so; the next one is
/// answered.
#[test]
fn a_request_that_panics_gets_an_error_reply() {
    let (_repo, mut server, uri, _other, text) = session();
    panic_on(&mut server, "request", 1);
    let hover = json!({ "textDocument": { "uri": uri }, "position": { "line": 4, "character": 4 } });
    let reply = server.request_raw("textDocument/hover", hover.clone());
    assert_eq!(reply["error"]["code"], -32603, "{reply}");
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(message.contains("internal error while answering textDocument/hover"), "{message}");
    let reply = server.request("textDocument/hover", hover);
    assert!(reply["contents"]["value"].as_str().unwrap().contains("copilot"), "{reply}");
    let doc = server.document(&uri);
    assert_eq!(doc["text"], text);
    assert_eq!(ai_spans(&doc), vec![AI_FN.to_string()]);
    server.shutdown();
}

/// An analysis that panics every time: after a few tries the server stops
/// tracking that document, says so, ignores its changes quietly, serves
/// the others, and tracks it again once it is reopened.
#[test]
fn a_document_that_keeps_failing_is_dropped_until_reopened() {
    let (_repo, mut server, uri, other, text) = session();
    panic_on_document(&mut server, "analysis", 100, &uri);
    server.change(&uri, 3, json!([{ "range": range(0, 0, 0, 0), "text": "// a\n" }]));
    let dropped = server.wait_for("window/showMessage", |p| {
        p["message"].as_str().unwrap_or("").contains("stopped tracking")
            && p["message"].as_str().unwrap().contains(&uri)
    });
    assert!(dropped["message"].as_str().unwrap().contains("reopen"), "{dropped}");
    server.change(&uri, 4, json!([{ "range": range(0, 0, 0, 0), "text": "// b\n" }]));
    assert_eq!(server.document(&uri), Value::Null);
    server.change(&other, 2, json!([{ "range": range(0, 0, 0, 0), "text": "// c\n" }]));
    server.diagnostics(&other, 2);
    assert!(
        server
            .take_notifications("window/logMessage", |p| p["message"].as_str().unwrap_or("").contains("not open"))
            .is_empty()
    );
    assert_eq!(server.document(&other)["text"], "// c\nfn other() {}\n");
    // Let the trap go, then reopen.
    panic_on(&mut server, "request", 1);
    let _ = server.request_raw("vouch/debug/stats", json!({}));
    server.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    let reopened = format!("// b\n// a\n{text}");
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "rust", "version": 5, "text": reopened } }),
    );
    server.diagnostics(&uri, 5);
    assert_eq!(server.document(&uri)["text"], reopened);
    server.shutdown();
}

/// Panics faster than recovery can help: the process ends with an error
/// (a client that restarts servers starts a new one) after saying why,
/// rather than living on answering nothing.
#[test]
fn a_storm_of_panics_ends_the_process_after_saying_why() {
    let repo = TestRepo::new();
    let mut server = start(&repo);
    for _ in 0..20 {
        panic_on(&mut server, "now", 1);
    }
    let status = server.wait_exit().expect("the server exits");
    assert!(!status.success(), "{status}");
    let stops = server.wait_for("window/showMessage", |p| p["message"].as_str().unwrap_or("").contains("stops"));
    assert_eq!(stops["type"], 1);
}

/// The hook is off unless its environment variable says otherwise.
#[test]
fn the_panic_hook_is_off_by_default() {
    let repo = TestRepo::new();
    let mut server = Server::start(&repo.root, &["utf-16"]);
    panic_on(&mut server, "now", 1);
    let stats = server.request("vouch/debug/stats", json!({}));
    assert_eq!(stats["edits"], 0);
    assert!(internal_error_messages(&mut server).is_empty());
    server.shutdown();
}
