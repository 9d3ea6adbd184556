//! The no-plugin heuristic and the versions the store knows.
//!
//! Without an editor plugin, one change inserting a large block is taken
//! for AI text ("suspected"), unless the text it leaves is a version of the
//! file the store knows: HEAD's, the index's, the disk's, or one a journal
//! record describes (a checkout, a revert, a reload, a paste of committed
//! text). The server answers that question by a version's length before it
//! hashes the text (a large insertion must not cost a hash of a 10,000-line
//! buffer); these tests pin that the answer stays the same: each kind of
//! known version is still recognised, and text of the same length as a
//! known version but other content is still suspected.

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::{Value, json};
use support::lsp::{Server, range};
use support::repo::TestRepo;

const FILE: &str = "src/lib.rs";
const BEFORE: &str = "fn a() -> u32 {\n    1\n}\n";
/// Large enough for the heuristic (80 characters, 2 lines by default).
const BLOCK: &str =
    "fn big(values: &[u32]) -> u32 {\n    values.iter().copied().filter(|v| v % 2 == 0).sum::<u32>()\n}\n";
/// As long as [`BLOCK`], one character different.
const SAME_LENGTH: &str =
    "fn big(values: &[u32]) -> u32 {\n    values.iter().copied().filter(|v| v % 3 == 0).sum::<u32>()\n}\n";

fn after() -> String {
    format!("{BEFORE}{BLOCK}")
}

/// Open `FILE` with `BEFORE` in the editor, insert `block` below it in one
/// change, and return the spans the server gives the document then, and
/// its diagnostics' codes.
fn insert_block(repo: &TestRepo, block: &str) -> (Vec<Value>, Vec<String>) {
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", BEFORE);
    assert!(server.diagnostics(&uri, 1).is_empty());
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": block }]));
    let codes =
        server.diagnostics(&uri, 2).iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect();
    let doc = server.document(&uri);
    assert_eq!(doc["text"].as_str(), Some(format!("{BEFORE}{block}").as_str()), "{doc}");
    let spans = doc["spans"].as_array().cloned().unwrap_or_default();
    server.shutdown();
    (spans, codes)
}

fn suspected(spans: &[Value]) -> Vec<&Value> {
    spans.iter().filter(|s| s["origin"] == "ai" && s["evidence"] == "heuristic").collect()
}

fn assert_known((spans, codes): (Vec<Value>, Vec<String>), which: &str) {
    assert!(suspected(&spans).is_empty(), "{which}: the block is a known version, not suspected: {spans:?}");
    assert!(!codes.iter().any(|c| c == "suspected-ai"), "{which}: {codes:?}");
}

fn assert_suspected((spans, codes): (Vec<Value>, Vec<String>), which: &str) {
    let suspected = suspected(&spans);
    assert_eq!(suspected.len(), 1, "{which}: the block is suspected AI: {spans:?}");
    assert!(suspected[0]["text"].as_str().is_some_and(|t| t.contains("fn big")), "{which}: {spans:?}");
    assert_eq!(codes, vec!["suspected-ai"], "{which}");
}

#[test]
fn an_insertion_that_makes_heads_version_is_not_suspected() {
    let repo = TestRepo::new();
    repo.write(FILE, &after());
    repo.commit_all("with the block");
    // The index and the disk hold the version without it.
    repo.write(FILE, BEFORE);
    repo.git(&["add", FILE]);
    assert_known(insert_block(&repo, BLOCK), "HEAD");
}

#[test]
fn an_insertion_that_makes_the_indexs_version_is_not_suspected() {
    let repo = TestRepo::new();
    repo.write(FILE, BEFORE);
    repo.commit_all("init");
    repo.write(FILE, &after());
    repo.git(&["add", FILE]);
    repo.write(FILE, BEFORE);
    assert_known(insert_block(&repo, BLOCK), "index");
}

#[test]
fn an_insertion_that_makes_the_disks_version_is_not_suspected() {
    let repo = TestRepo::new();
    repo.write(FILE, BEFORE);
    repo.commit_all("init");
    repo.write(FILE, &after());
    assert_known(insert_block(&repo, BLOCK), "disk");
}

#[test]
fn an_insertion_that_makes_a_recorded_version_is_not_suspected() {
    let repo = TestRepo::new();
    repo.write(FILE, BEFORE);
    repo.commit_all("init");
    // A journal record of the version with the block (a person's), and the
    // disk back to the version without it: only the record knows it.
    repo.write(FILE, &after());
    repo.vouch_stdout(&["mark", "--human", &format!("{FILE}:4-6")], true);
    repo.write(FILE, BEFORE);
    assert_known(insert_block(&repo, BLOCK), "journal record");
}

#[test]
fn an_insertion_as_long_as_a_known_version_but_different_is_suspected() {
    let repo = TestRepo::new();
    // Every place a version can be known from holds one of the same length.
    repo.write(FILE, &after());
    repo.commit_all("with the block");
    repo.vouch_stdout(&["mark", "--human", &format!("{FILE}:4-6")], true);
    assert_eq!(SAME_LENGTH.len(), BLOCK.len());
    assert_suspected(insert_block(&repo, SAME_LENGTH), "same length as HEAD, the index, the disk and a record");
}

#[test]
fn an_insertion_that_makes_no_known_version_is_suspected() {
    let repo = TestRepo::new();
    repo.write(FILE, BEFORE);
    repo.commit_all("init");
    assert_suspected(insert_block(&repo, BLOCK), "no version with the block");
}

#[test]
fn a_version_staged_after_the_server_started_is_known() {
    let repo = TestRepo::new();
    repo.write(FILE, BEFORE);
    repo.commit_all("init");
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", BEFORE);
    assert!(server.diagnostics(&uri, 1).is_empty());
    // In a terminal, while the editor is open: the version with the block
    // is staged, and the disk goes back to the one without it. Then the
    // editor's buffer becomes the staged version (a paste of it).
    repo.write(FILE, &after());
    repo.git(&["add", FILE]);
    repo.write(FILE, BEFORE);
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": BLOCK }]));
    let codes: Vec<String> =
        server.diagnostics(&uri, 2).iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect();
    let spans = server.document(&uri)["spans"].as_array().cloned().unwrap_or_default();
    server.shutdown();
    assert_known((spans, codes), "index, staged after the server read it");
}

/// Red team: an AI line saved and recorded, then stashed; in a new session
/// `git stash pop` brings it back and the editor reloads at once, as line
/// edits (VS Code), before the server's poll has seen the file change. The
/// reload was not recognised as a version the journal knows: the line was
/// typed text, and saving the file then wrote that down over the journal's
/// record, so `vouch status` found nothing to review. A change of whole
/// lines looks at the file on disk first.
#[test]
fn a_reload_right_after_a_stash_pop_keeps_the_ai_line_the_journal_recorded() {
    let repo = TestRepo::new();
    let head = "fn main() {\n    println!(\"hi\");\n}\n";
    let ai = "    let token = std::env::var(\"K\");\n";
    let with_ai = format!("fn main() {{\n{ai}    println!(\"hi\");\n}}\n");
    repo.write(FILE, head);
    repo.commit_all("main");
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", head);
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": ai }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(1, 0, 2, 0), "tool": "copilot" }),
    );
    repo.write(FILE, &with_ai);
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.close(&uri);
    server.shutdown();
    repo.git(&["stash", "-q"]);

    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", head);
    server.diagnostics(&uri, 1);
    repo.git(&["stash", "pop", "-q"]);
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": ai }]));
    let doc = server.document(&uri);
    assert_eq!(doc["text"].as_str(), Some(with_ai.as_str()));
    let ai_text: Vec<&str> = support::lsp::ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
    assert_eq!(ai_text, vec![ai], "{doc:#}");
    // Saved and closed: the journal still says so.
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.close(&uri);
    server.shutdown();
    let status = repo.vouch_json(&["status", "--format", "json"]);
    assert_eq!(status["worktree"].as_array().map(Vec::len), Some(1), "{status:#}");
}
