//! How the language server follows an editor's buffer: `didChange` batches
//! of several changes, exactly as VS Code, Neovim and Helix send them, checked
//! against a naive model of the text; the server must never panic and its
//! copy must equal the editor's buffer.
//!
//! Issue 14, item 1: a batch whose ranges are each relative to the text the
//! previous change left used to kill the server's state thread.

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::{Value, json};
use support::lsp::{Server, model, range};
use support::repo::TestRepo;

/// Open `text`, send `changes` as one `didChange`, and check the server's
/// text against the model and against `expected`; then check it still
/// answers and still follows a further edit.
fn check_batch(encodings: &[&str], text: &str, changes: Value, expected: &str) {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", text);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, encodings);
    let encoding = server.encoding.clone();
    server.open(&uri, "rust", text);
    server.diagnostics(&uri, 1);
    let list = changes.as_array().unwrap().clone();
    assert_eq!(model::apply(text, &list, &encoding), expected, "the model disagrees with the editor");
    server.change(&uri, 2, changes);
    let doc = server.document(&uri);
    assert_eq!(doc["text"], expected, "server's text after the batch");
    assert_eq!(doc["version"], 2);
    // It still answers and still follows edits.
    server.change(&uri, 3, json!([{ "range": range(0, 0, 0, 0), "text": "// ok\n" }]));
    assert_eq!(server.document(&uri)["text"], format!("// ok\n{expected}"));
    server.diagnostics(&uri, 3);
    server.shutdown();
}

/// VS Code, Enter at the end of a line that holds only auto-indent: the new
/// line gets the indent and the old one loses it, in one message.
#[test]
fn vscode_enter_on_an_auto_indented_line() {
    let text = "fn main() {\n    let x = 1;\n    \n}\n";
    let changes = json!([
        { "range": range(2, 4, 2, 4), "rangeLength": 0, "text": "\n    " },
        { "range": range(2, 0, 2, 4), "rangeLength": 4, "text": "" },
    ]);
    check_batch(&["utf-16"], text, changes, "fn main() {\n    let x = 1;\n\n    \n}\n");
}

/// Neovim batches the changes of one debounce window: opening a line below a
/// 60-character line in insert mode, clearing the auto-indent, two Enters.
#[test]
fn neovim_batch_of_four_changes() {
    let mut text = String::new();
    for i in 0..19 {
        text.push_str(&format!("// line {i}\n"));
    }
    let long = format!("fn f() -> u32 {{ let total = compute_everything(1, 2, 3); {} }}", "x");
    let long = format!("{long:<60}");
    assert_eq!(long.len(), 60);
    text.push_str(&long);
    text.push_str("\n}\n");
    let changes = json!([
        { "range": range(19, 60, 20, 0), "text": "\n    \n" },
        { "range": range(20, 0, 20, 4), "text": "" },
        { "range": range(20, 0, 20, 0), "text": "\n" },
        { "range": range(21, 0, 21, 0), "text": "\n" },
    ]);
    let expected = text.replacen(&format!("{long}\n"), &format!("{long}\n\n\n\n"), 1);
    check_batch(&["utf-8", "utf-16", "utf-32"], &text, changes, &expected);
}

/// VS Code, typing "x" over two selections: one change per selection, the
/// later one first.
#[test]
fn vscode_typing_over_two_selections() {
    let text = "let st = hello.max(world);\n";
    let changes = json!([
        { "range": range(0, 19, 0, 24), "rangeOffset": 19, "rangeLength": 5, "text": "x" },
        { "range": range(0, 9, 0, 14), "rangeOffset": 9, "rangeLength": 5, "text": "x" },
    ]);
    check_batch(&["utf-16"], text, changes, "let st = x.max(x);\n");
}

/// The same shapes in multi-byte text, where a range of the wrong text
/// falls inside a character.
#[test]
fn batches_in_multibyte_text() {
    let text = "fn é() { \"😀😀\" }\n    \n";
    let changes = json!([
        { "range": range(1, 4, 1, 4), "text": "\n    " },
        { "range": range(1, 0, 1, 4), "text": "" },
        { "range": range(0, 10, 0, 12), "text": "ü" },
        { "range": range(0, 3, 0, 4), "text": "😀" },
    ]);
    check_batch(&["utf-16"], text, changes, "fn 😀() { \"ü😀\" }\n\n    \n");
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags.iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect()
}

/// A formatter or a client without incremental sync sends the whole text:
/// two small fixes far apart are not one large insertion, and the text the
/// user typed between them is not suspected of being AI-written.
#[test]
fn whole_text_with_two_small_fixes_is_not_a_large_insertion() {
    let repo = TestRepo::new();
    let original = "fn a() {}\n";
    repo.write("src/lib.rs", original);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", original);
    server.diagnostics(&uri, 1);
    // Typed line by line: human text.
    let lines = [
        "fn typed(values: &[u32]) -> u32 {",
        "    let total = values.iter().copied().sum::<u32>();",
        "    let twice = total * 2;",
        "    twice + 1",
        "}",
    ];
    let mut text = original.to_string();
    for (i, line) in lines.iter().enumerate() {
        let l = 1 + i as u32;
        server.change(&uri, 2 + i as i64, json!([{ "range": range(l, 0, l, 0), "text": format!("{line}\n") }]));
        text.push_str(line);
        text.push('\n');
    }
    let version = 2 + lines.len() as i64;
    assert!(server.diagnostics(&uri, version - 1).is_empty());
    // The formatter's result, sent whole: two fixes, lines apart.
    let formatted = text.replace("fn a() {}", "fn a() { }").replace("twice + 1", "twice + 2");
    server.change(&uri, version, json!([{ "text": formatted }]));
    let diags = server.diagnostics(&uri, version);
    assert_eq!(codes(&diags), Vec::<String>::new(), "{diags:?}");
    assert_eq!(server.document(&uri)["text"], formatted);
    server.shutdown();
}
