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
use support::lsp::{Server, ai_spans, model, range};
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
    // The server recovers from a panic: that it did not panic is checked
    // on its own.
    server.assert_no_internal_errors(&repo.root);
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
/// 60-character line at the end of the file, clearing the auto-indent, two
/// Enters (the shape recorded in `lsp-sessions/nvim-enter-on-auto-indent`).
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
    text.push('\n');
    let changes = json!([
        { "range": range(19, 60, 20, 0), "text": "\n    \n" },
        { "range": range(20, 0, 20, 4), "text": "" },
        { "range": range(20, 0, 20, 0), "text": "\n" },
        { "range": range(21, 0, 21, 0), "text": "\n" },
    ]);
    let expected = format!("{text}\n\n\n");
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

/// Red team (rt25e N3): a formatter re-indents a large file and sends it
/// whole (or as one change over every line, as Neovim does for `gg=G`).
/// Its diff runs out of time and leaves one block; that block is the
/// person's lines, re-indented, and must not become one large "pasted"
/// insertion of suspected AI text that needs sign-off.
#[test]
fn a_large_file_reindented_in_one_change_is_not_a_large_insertion() {
    let repo = TestRepo::new();
    let fns: Vec<String> = (0..1500)
        .map(|i| format!("\tpub fn f{i}(&self, x: u32) -> u32 {{\n\t\tlet y = x + {i};\n\t\ty * 2\n\t}}\n"))
        .collect();
    let original = format!("pub struct S;\n\nimpl S {{\n{}}}\n", fns.join("\n"));
    repo.write("src/lib.rs", &original);
    repo.commit_all("a person's code");
    let uri = repo.uri("src/lib.rs");
    let lines = original.lines().count() as u32;
    let reindented = original.replace('\t', "    ");
    for (version, change) in
        [(2, json!([{ "text": reindented }])), (3, json!([{ "range": range(0, 0, lines, 0), "text": original }]))]
    {
        let mut server = Server::start(&repo.root, &["utf-16"]);
        let start = if version == 2 { original.as_str() } else { reindented.as_str() };
        server.open(&uri, "rust", start);
        server.diagnostics(&uri, 1);
        server.change(&uri, version, change);
        let doc = server.document(&uri);
        assert_eq!(
            doc["text"].as_str().map(str::len),
            Some(if version == 2 { reindented.len() } else { original.len() })
        );
        let ai: usize = ai_spans(&doc).iter().map(|s| s["text"].as_str().unwrap_or("").len()).sum();
        assert_eq!(ai, 0, "change {version}: {ai} bytes of the person's re-indented code taken for AI");
        server.shutdown();
    }
}

/// Red team (rt27c F2): VS Code's "Format Document" with a Prettier-style
/// formatter sends its result as one change of the whole document (its
/// text, or a range over all of it). The formatter breaks lines, adds
/// semicolons and swaps quotes; the largest piece it inserted was taken
/// for a paste, and the person's functions became suspected AI (every
/// character of them, where the diff ran out of time on a larger file). A
/// piece that brings no word the text it replaced lacked is a reshaping of
/// that text; a new function in the same change still is suspected.
#[test]
fn a_formatters_whole_document_change_is_not_a_large_insertion() {
    let compact = |i: usize| format!("function f{i}(a,b){{return helper('x'+a,b,{{depth:{i},strict:true}})}}\n");
    let pretty = |i: usize| {
        format!(
            "function f{i}(a, b) {{\n  return helper(\"x\" + a, b, {{\n    depth: {i},\n    strict: true,\n  }});\n}}\n"
        )
    };
    let added = "\nexport async function syncAccounts(client, ledger) {\n  const pending = await client.listPending();\n  for (const entry of pending) {\n    await ledger.reconcile(entry.id, entry.amount);\n  }\n}\n";
    for functions in [40, 1_500] {
        let original: String = (0..functions).map(compact).collect();
        let formatted: String = (0..functions).map(pretty).collect();
        let lines = original.lines().count() as u32;
        for (version, change) in
            [(2, json!([{ "text": formatted }])), (2, json!([{ "range": range(0, 0, lines, 0), "text": formatted }]))]
        {
            let repo = TestRepo::new();
            repo.write("src/app.js", &original);
            repo.commit_all("a person's code");
            let uri = repo.uri("src/app.js");
            let mut server = Server::start(&repo.root, &["utf-16"]);
            server.open(&uri, "javascript", &original);
            server.diagnostics(&uri, 1);
            let whole = change[0].get("range").is_none();
            server.change(&uri, version, change);
            let doc = server.document(&uri);
            assert_eq!(doc["text"].as_str(), Some(formatted.as_str()));
            let ai: Vec<&str> = ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
            assert!(ai.is_empty(), "{functions} functions, whole text {whole}: formatted code taken for AI: {ai:?}");
            if functions == 40 {
                // The same format, with a function nobody typed.
                server.change(&uri, 3, json!([{ "text": format!("{formatted}{added}") }]));
                let doc = server.document(&uri);
                let ai: String = ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
                assert!(ai.contains("ledger.reconcile(entry.id, entry.amount)"), "{ai:?}");
                assert!(!ai.contains("function f1("), "{ai:?}");
                // Round two (rt27e H1): a chat's rewrite pasted over a
                // selection (a function's body), reusing its words.
                let body = "  let total = 0;\n  for (const line of lines) {\n    if (line.qty > 0) {\n      total += line.price * line.qty;\n    }\n  }\n  return total;\n";
                let rewrite = "  return lines.reduce((total, line) =>\n    line.qty > 0 ? total + line.price * line.qty : total, 0);\n";
                let with_body = format!("{formatted}function sum(lines) {{\n{body}}}\n");
                server.change(&uri, 4, json!([{ "text": with_body }]));
                let at = with_body.lines().count() as u32 - 8;
                server.change(&uri, 5, json!([{ "range": range(at, 0, at + 7, 0), "text": rewrite }]));
                let doc = server.document(&uri);
                let ai: String = ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
                assert!(ai.contains("lines.reduce"), "{ai:?}");
            }
            server.shutdown();
        }
    }
}

/// Helix offers `utf-8, utf-32, utf-16`, in that order: it gets UTF-8.
/// A client offering only UTF-32 gets UTF-32.
#[test]
fn helix_offers_utf8_first_and_gets_it() {
    let repo = TestRepo::new();
    let server = Server::start(&repo.root, &["utf-8", "utf-32", "utf-16"]);
    assert_eq!(server.encoding, "utf-8");
    server.shutdown();
    let server = Server::start(&repo.root, &["utf-32"]);
    assert_eq!(server.encoding, "utf-32");
    server.shutdown();
}

/// What Helix sends, from its source (helix-lsp `generate_transaction_from_edits`
/// and `changeset_to_changes`): a bare cursor is a one-character selection,
/// so code actions and commands get one-character ranges, in UTF-8 bytes;
/// an edit at several cursors is one `didChange` whose changes come in
/// document order, each relative to the text the previous one left.
#[test]
fn helix_one_character_ranges_and_multi_cursor_batches() {
    let repo = TestRepo::new();
    let text = "def greet(né):\n    return \"😀\" + né\n";
    repo.write("app.py", text);
    repo.commit_all("init");
    let uri = repo.uri("app.py");
    let mut server = Server::start(&repo.root, &["utf-8", "utf-32", "utf-16"]);
    server.open(&uri, "python", text);
    server.diagnostics(&uri, 1);
    // Typing "x" at three cursors: before "greet", after "né" and after 😀.
    let changes = json!([
        { "range": range(0, 4, 0, 4), "text": "x" },
        { "range": range(0, 14, 0, 14), "text": "x" },
        { "range": range(1, 16, 1, 16), "text": "x" },
    ]);
    let expected = "def xgreet(néx):\n    return \"😀x\" + né\n";
    assert_eq!(model::apply(text, changes.as_array().unwrap(), "utf-8"), expected);
    server.change(&uri, 2, changes);
    assert_eq!(server.document(&uri)["text"], expected);
    // A bare cursor on "é", on 😀 and at the end of a line: one character
    // each, in bytes.
    for r in [range(0, 12, 0, 14), range(1, 12, 1, 16), range(0, 16, 0, 17)] {
        let reply = server.request_raw(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": r, "context": { "diagnostics": [] } }),
        );
        assert!(reply.get("error").is_none(), "{reply}");
        let reply =
            server.request_raw("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": r["start"] }));
        assert!(reply.get("error").is_none(), "{reply}");
    }
    // Helix runs a command with the range its code action carried: marking
    // one character as AI marks exactly that character.
    server.request(
        "workspace/executeCommand",
        json!({ "command": "vouch.markAi", "arguments": [{ "uri": uri, "range": range(1, 12, 1, 16), "tool": "t" }] }),
    );
    let doc = server.document(&uri);
    let ai: Vec<&str> = ai_spans(&doc).iter().map(|s| s["text"].as_str().unwrap()).collect();
    assert_eq!(ai, vec!["😀"]);
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
}

mod batches {
    //! Random batches of several changes per `didChange`, in each encoding,
    //! against the naive model: CRLF, lone CR, emoji, positions past the
    //! end of a line or the text, and inside characters.

    use std::cell::RefCell;

    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use serde_json::{Value, json};

    use super::support::lsp::{Server, model, range};
    use super::support::repo::TestRepo;

    const PIECES: &[&str] = &["a", "b", " ", "é", "中", "😀", "\n", "\r\n", "\r", "fn", "{", "}", "    "];

    fn text(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..max).prop_map(|p| p.concat())
    }

    fn position() -> impl Strategy<Value = (u32, u32)> {
        prop_oneof![
            8 => (0u32..6, 0u32..12),
            1 => (0u32..3, Just(u32::MAX)),
            1 => (Just(u32::MAX), 0u32..3),
        ]
    }

    fn change() -> impl Strategy<Value = Value> {
        prop_oneof![
            12 => (position(), position(), text(5)).prop_map(|(a, b, t)| json!({ "range": range(a.0, a.1, b.0, b.1), "text": t })),
            1 => text(12).prop_map(|t| json!({ "text": t })),
        ]
    }

    fn run(encoding: &str) {
        let repo = TestRepo::new();
        let server = RefCell::new(Server::start(&repo.root, &[encoding]));
        assert_eq!(server.borrow().encoding, encoding);
        let case = RefCell::new(0u32);
        let strategy = (text(24), prop::collection::vec(prop::collection::vec(change(), 1..7), 1..4));
        let mut runner = TestRunner::new(Config { cases: 128, failure_persistence: None, ..Config::default() });
        let result = runner.run(&strategy, |(initial, batches)| {
            let mut server = server.borrow_mut();
            let mut n = case.borrow_mut();
            *n += 1;
            let uri = format!("file://{}/case-{n}.txt", repo.root.display());
            server.open(&uri, "plaintext", &initial);
            let mut expected = initial.clone();
            for (i, batch) in batches.iter().enumerate() {
                expected = model::apply(&expected, batch, encoding);
                server.change(&uri, 2 + i as i64, Value::Array(batch.clone()));
            }
            let doc = server.document(&uri);
            server.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
            prop_assert_eq!(doc["text"].as_str(), Some(expected.as_str()), "{}", encoding);
            prop_assert_eq!(&doc["version"], &json!(1 + batches.len()));
            Ok(())
        });
        let mut server = server.into_inner();
        if let Err(e) = result {
            panic!("{e}");
        }
        server.assert_no_internal_errors(&repo.root);
        server.shutdown();
    }

    #[test]
    fn random_batches_in_utf8() {
        run("utf-8");
    }

    #[test]
    fn random_batches_in_utf16() {
        run("utf-16");
    }

    #[test]
    fn random_batches_in_utf32() {
        run("utf-32");
    }
}

/// Open `text` as client `client`, send one change, and return the
/// server's text.
fn after_change_as(client: &str, text: &str, change: Value) -> String {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", text);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start_as(&repo.root, &["utf-16"], client);
    server.open(&uri, "rust", text);
    server.diagnostics(&uri, 1);
    server.change(&uri, 2, json!([change]));
    let text = server.document(&uri)["text"].as_str().unwrap().to_string();
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
    text
}

/// Neovim and Helix count lines at `\n` only: a lone CR inside a line is a
/// character of it, as it is in their buffers. Counted as LSP does (a lone
/// CR ends a line), Neovim's edit of line 2 landed a line off. VS Code
/// counts as LSP does, and still gets that.
#[test]
fn neovim_and_helix_count_a_lone_cr_as_a_character_of_its_line() {
    let text = "const S: &str = \"a\rb\";\nfn f() -> u32 {\n    2\n}\n";
    let want = "const S: &str = \"a\rb\";\nfn f() -> u32 {\n    20\n}\n";
    for client in ["Neovim", "helix"] {
        let change = json!({ "range": range(2, 5, 2, 5), "text": "0" });
        assert_eq!(after_change_as(client, text, change), want, "{client}");
    }
    let change = json!({ "range": range(3, 5, 3, 5), "text": "0" });
    assert_eq!(after_change_as("Visual Studio Code", text, change), want);
}

/// A CRLF line in a file Neovim reads as Unix text (mixed line ends): its
/// CR is the line's last character, and `A` types after it. The server
/// clamped Neovim's column to before the CR, putting the text on the wrong
/// side of it.
#[test]
fn neovim_types_after_the_cr_of_a_crlf_line_in_a_unix_buffer() {
    let text = "fn a() {}\r\nfn b() {}\n";
    let change = json!({ "range": range(0, 10, 0, 10), "text": " // x" });
    assert_eq!(after_change_as("Neovim", text, change), "fn a() {}\r // x\nfn b() {}\n");
    // In a buffer read as DOS text Neovim's line stops before the CR, and
    // so does its column.
    let change = json!({ "range": range(0, 9, 0, 9), "text": " // x" });
    assert_eq!(after_change_as("Neovim", "fn a() {}\r\nfn b() {}\r\n", change), "fn a() {} // x\r\nfn b() {}\r\n");
}

/// Neovim's `:%s`, `:%!` or `gq` over a file sends one change from the
/// first line that differs to the last. The AI function between them was
/// re-attributed as typed (and the whole file then taken for a large
/// insertion, "suspected"): copilot's record was gone. What the change did
/// not change keeps its origin, as it does when the same text comes whole.
#[test]
fn a_change_over_the_whole_file_keeps_the_origin_of_what_it_did_not_change() {
    let ai = "fn generated(x: u64) -> u64 {\n    x * 2\n}\n\n";
    let body: String = (0..10).map(|i| format!("fn h{i}() -> u32 {{\n    {i}\n}}\n\n")).collect();
    let old_name = "fn old_name() {}\n\n";
    let before = format!("{old_name}{body}fn last() {{ old_name() }}\n");
    let ai_line = before.lines().count() as u32 - 1;
    let repo = TestRepo::new();
    repo.write("src/lib.rs", &before);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start_as(&repo.root, &["utf-16"], "Neovim");
    server.open(&uri, "rust", &before);
    server.change(&uri, 2, json!([{ "range": range(ai_line, 0, ai_line, 0), "text": ai }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(ai_line, 0, ai_line + 4, 0), "tool": "copilot" }),
    );
    let text = server.document(&uri)["text"].as_str().unwrap().to_string();
    assert!(text.contains(ai), "{text}");
    // `:%s/old_name/new_name/g`: the first and the last line change.
    let after = text.replace("old_name", "new_name");
    let lines = text.lines().count() as u32;
    server.change(&uri, 3, json!([{ "range": range(0, 0, lines, 0), "text": after }]));
    let doc = server.document(&uri);
    assert_eq!(doc["text"], after);
    let spans: Vec<(String, String)> = ai_spans(&doc)
        .iter()
        .map(|s| (s["tool"].as_str().unwrap_or("").to_string(), s["text"].as_str().unwrap_or("").to_string()))
        .collect();
    assert!(spans.iter().any(|(tool, t)| tool == "copilot" && t.contains("x * 2")), "{spans:?}");
    assert!(spans.iter().all(|(tool, _)| tool == "copilot"), "nothing else became AI: {spans:?}");
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
}

/// Red team (rt25b F1): a change that moves a line break beside AI text (a
/// line joined to the one after it, as `J` or a formatter does), sent whole
/// or as one ranged change, matched a short line (`}`) across the edit: the
/// AI line was taken for removed in one block of lines and typed again in
/// another, and lost its origin byte for byte the same. Its unit left the
/// review. Blocks apart by a short line are refined together.
#[test]
fn joining_a_line_beside_ai_text_keeps_it_ai() {
    let cases = [
        ("if x {\n}\nlet v = compute(1, 2);\n", "if x {\n}let v = compute(1, 2);\n}\n"),
        ("a\n}\nlet v = compute(1, 2);\n}\n", "a\nx}\n}let v = compute(1, 2);\n}\n"),
        ("fn f() {\n\n    let v = compute(1, 2);\n}\n", "fn f() {\n    // note\n\n    let v = compute(1, 2);\n}\n"),
    ];
    for (before, after) in cases {
        let repo = TestRepo::new();
        repo.write("src/lib.rs", "");
        repo.commit_all("init");
        let uri = repo.uri("src/lib.rs");
        let mut server = Server::start(&repo.root, &["utf-16"]);
        server.open(&uri, "rust", "");
        server.change(&uri, 2, json!([{ "range": range(0, 0, 0, 0), "text": before }]));
        let line = before.lines().position(|l| l.contains("compute")).unwrap() as u32;
        let end = before.lines().nth(line as usize).unwrap().encode_utf16().count() as u32;
        server.notify(
            "vouch/aiEdit",
            json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(line, 0, line, end), "tool": "copilot" }),
        );
        server.change(&uri, 3, json!([{ "text": after }]));
        let doc = server.document(&uri);
        assert_eq!(doc["text"], after);
        let ai: String = ai_spans(&doc).iter().map(|s| s["text"].as_str().unwrap_or("")).collect();
        assert!(ai.contains("compute(1, 2);"), "{before:?} -> {after:?}: AI text left: {ai:?}");
        server.shutdown();
    }
}

/// The VS Code extension reports an AI insertion (or a paste) after an
/// `await`: a format-on-paste or an auto-import may land first. The report
/// names the version its range is in; the server applied the range to the
/// text as it was by then, marking a person's line AI and the AI's last
/// line human. The range now follows the edits since that version.
#[test]
fn an_ai_edit_naming_an_older_version_lands_on_the_text_it_named() {
    let text = "fn a() {}\n";
    let repo = TestRepo::new();
    repo.write("src/lib.rs", text);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", text);
    let generated = "fn generated(x: u64) -> u64 {\n    x * 2\n}\n";
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": generated }]));
    // An auto-import lands first, at the top.
    server.change(&uri, 3, json!([{ "range": range(0, 0, 0, 0), "text": "use std::fmt;\n" }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(1, 0, 4, 0), "tool": "copilot" }),
    );
    let doc = server.document(&uri);
    let ai: Vec<&str> = ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
    assert_eq!(ai, vec![generated], "{doc}");
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
}

/// Open `head`, insert `ai` at line 1 as an AI completion (copilot), apply
/// `changes` as one `didChange`; the server's text (checked against the
/// model) and the lines of it with no AI character but whitespace.
fn lines_left_human(client: Option<&str>, head: &str, ai: &str, changes: Value) -> (String, Vec<String>) {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", head);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = match client {
        Some(name) => Server::start_as(&repo.root, &["utf-16"], name),
        None => Server::start(&repo.root, &["utf-16"]),
    };
    let encoding = server.encoding.clone();
    server.open(&uri, "rust", head);
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": ai }]));
    let ai_lines = ai.lines().count() as u32;
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(1, 0, 1 + ai_lines, 0), "tool": "copilot" }),
    );
    let before = format!("{}{ai}{}", &head[..head.find('\n').unwrap() + 1], &head[head.find('\n').unwrap() + 1..]);
    let expected = model::apply(&before, changes.as_array().unwrap(), &encoding);
    server.change(&uri, 3, changes);
    let doc = server.document(&uri);
    let text = doc["text"].as_str().unwrap().to_string();
    assert_eq!(text, expected, "server's text after the batch");
    let mut ai_mask = vec![false; text.len()];
    for span in ai_spans(&doc) {
        let start = model::offset(&text, &span["range"]["start"], &encoding);
        let end = model::offset(&text, &span["range"]["end"], &encoding);
        ai_mask[start..end].iter_mut().for_each(|m| *m = true);
    }
    let mut human = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let code: Vec<usize> = (at..at + line.len()).filter(|&i| !text.as_bytes()[i].is_ascii_whitespace()).collect();
        if !code.is_empty() && code.iter().all(|&i| !ai_mask[i]) {
            human.push(line.trim_end().to_string());
        }
        at += line.len();
    }
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
    (text, human)
}

/// Red team: VS Code's Move Line Up and Down delete the line moved over and
/// insert it on the other side, in one message, in either order and with
/// its line break at the other end. The line moved over became a person's:
/// one keystroke took an AI line out of review.
#[test]
fn moving_lines_up_and_down_keeps_the_ai_lines_ai() {
    let head = "fn main() {}\n";
    let ai = "fn ai() {\n    let a = 1;\n    let b = 2;\n    let c = 3;\n}\n";
    let cases = [
        // Alt+Up on `let b`: `let a` inserted after it, then deleted above.
        json!([{ "range": range(3, 14, 3, 14), "text": "\n    let a = 1;" }, { "range": range(2, 0, 3, 0), "text": "" }]),
        // Alt+Down on `let a`: `let b` deleted (with the break before it),
        // then inserted above.
        json!([{ "range": range(2, 14, 3, 14), "text": "" }, { "range": range(2, 0, 2, 0), "text": "    let b = 2;\n" }]),
        // Alt+Up on `let b` and `let c` selected.
        json!([{ "range": range(4, 14, 4, 14), "text": "\n    let a = 1;" }, { "range": range(2, 0, 3, 0), "text": "" }]),
    ];
    for changes in cases {
        let (text, human) = lines_left_human(None, head, ai, changes.clone());
        assert_eq!(human, vec!["fn main() {}".to_string()], "{changes}\n{text}");
    }
}

/// Red team (rt28b, real Neovim 0.11): Neovim sends `J` as the joined
/// text inserted at the end of the line first, then the line it came from
/// deleted; and a filter (`:%!sort`) as the filtered text inserted after
/// the last line, then the old lines deleted. The AI text put back was
/// taken for the person's typing (`J`: saved as theirs, the gate and
/// verify passed it) or for one large suspected insertion (the filter).
/// Text a batch puts back is the text it removed, whitespace and the order
/// of whole lines aside.
#[test]
fn neovim_joins_and_filters_keep_the_ai_lines_ai() {
    let head = "fn main() {}\n";
    let ai = "fn ai() {\n    let a = 1;\n    let b = 2;\n    let c = 3;\n}\n";
    let cases = [
        // `J` on `let a`.
        json!([{ "range": range(2, 14, 2, 14), "text": " let b = 2;" }, { "range": range(3, 0, 4, 0), "text": "" }]),
        // `3J` on `let a`.
        json!([
            { "range": range(2, 14, 2, 14), "text": " let b = 2; let c = 3;" },
            { "range": range(3, 0, 5, 0), "text": "" },
        ]),
        // `:%!sort`.
        json!([
            { "range": range(6, 0, 6, 0), "text": "    let a = 1;\n    let b = 2;\n    let c = 3;\nfn ai() {\nfn main() {}\n}\n" },
            { "range": range(0, 0, 6, 0), "text": "" },
        ]),
    ];
    // Round two (rt28e 2): Neovim's `:sort` of some lines and VS Code's
    // Sort Lines send one change of them, ending without a line break.
    let unsorted = "fn ai() {\n    let c = 3;\n    let a = 1;\n    let b = 2;\n}\n";
    let sort = json!([{ "range": range(2, 0, 4, 14), "text": "    let a = 1;\n    let b = 2;\n    let c = 3;" }]);
    let (text, human) = lines_left_human(Some("Neovim"), head, unsorted, sort);
    assert!(text.contains("    let a = 1;\n    let b = 2;\n    let c = 3;\n}"), "{text}");
    assert_eq!(human, vec!["fn main() {}".to_string()], "{text}");
    // `J` on the person's line above: the AI's line joined onto it.
    let changes =
        json!([{ "range": range(0, 12, 0, 12), "text": " fn ai() {" }, { "range": range(1, 0, 2, 0), "text": "" }]);
    let (text, human) = lines_left_human(Some("Neovim"), head, ai, changes);
    assert!(text.starts_with("fn main() {} fn ai() {\n"), "{text}");
    assert_eq!(human, Vec::<String>::new(), "{text}");
    for changes in cases {
        let (text, human) = lines_left_human(Some("Neovim"), head, ai, changes.clone());
        assert_eq!(human, vec!["fn main() {}".to_string()], "{changes}\n{text}");
    }
}

/// Round two (rt28e 1, real Neovim 0.11): `dd` on an AI line, then `p`
/// below another: Neovim sends the put as the line break before the place
/// replaced by itself and the line. Taken as a change over several lines,
/// each of its differences remembered only what it removed itself, and the
/// AI line cut before came back as the person's.
#[test]
fn a_line_cut_and_put_back_elsewhere_stays_ai() {
    let repo = TestRepo::new();
    let head = "fn main() {}\n";
    repo.write("src/lib.rs", head);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start_as(&repo.root, &["utf-16"], "Neovim");
    server.open(&uri, "rust", head);
    let ai = "fn ai() {\n    let a = 1;\n    let b = 2;\n}\n";
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": ai }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(1, 0, 5, 0), "tool": "copilot" }),
    );
    // `3Gdd`: `let a` cut.
    server.change(&uri, 3, json!([{ "range": range(2, 0, 3, 0), "text": "" }]));
    // `p` on `let b`: put below it.
    server.change(&uri, 4, json!([{ "range": range(2, 14, 3, 0), "text": "\n    let a = 1;\n" }]));
    let doc = server.document(&uri);
    assert_eq!(doc["text"], "fn main() {}\nfn ai() {\n    let b = 2;\n    let a = 1;\n}\n");
    let ai_text: String = ai_spans(&doc).iter().map(|s| s["text"].as_str().unwrap_or("")).collect();
    assert!(ai_text.contains("let a = 1;"), "the put line is the AI's: {doc}");
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
}

/// Red team: Neovim sends a re-indent (`>`, `<`, `=`, a formatter's hunk)
/// of several lines as one change from the first difference to the last;
/// the AI lines it re-indented became a person's, or suspected, although
/// the same text sent whole kept them AI. A line changed in place is the
/// line it was, as in a whole text; only what was typed is new.
#[test]
fn a_ranged_reindent_of_ai_lines_keeps_them_ai() {
    let head = "fn main() {}\n";
    let ai = "fn ai() {\n  let value0 = compute(0);\n  let value1 = compute(1);\n  let value2 = compute(2);\n}\n";
    // `>` on the statements: two spaces more on each, sent as Neovim
    // sends it, from the first difference to the last (mid-line).
    let changes = json!([{
        "range": range(2, 2, 4, 2),
        "text": "  let value0 = compute(0);\n    let value1 = compute(1);\n    ",
    }]);
    let (text, human) = lines_left_human(Some("Neovim"), head, ai, changes);
    assert!(text.contains("    let value1") && text.contains("    let value2"), "{text}");
    assert_eq!(human, vec!["fn main() {}".to_string()], "{text}");
    // Two lines, the first difference at the start of a statement.
    let changes = json!([{ "range": range(2, 2, 3, 0), "text": "  let value0 = compute(0);\n  " }]);
    let (text, human) = lines_left_human(Some("Neovim"), head, ai, changes);
    assert!(text.contains("    let value0"), "{text}");
    assert_eq!(human, vec!["fn main() {}".to_string()], "{text}");
    // Text put over AI lines that is another text is the person's.
    let replaced = json!([{
        "range": range(2, 0, 5, 0),
        "text": "    first,\n    second,\n    third,\n",
    }]);
    let (_, human) = lines_left_human(Some("Neovim"), head, ai, replaced);
    assert_eq!(human.len(), 4, "{human:?}");
}

/// Red team (real Neovim): a buffer with `fileformat=mac` ends its lines
/// with a lone `\r`, which Neovim sends as it is, numbering lines as the
/// buffer does; vouch counted Neovim's lines at `\n` only, so the whole
/// document was one line and every edit below the first landed at its
/// end. A document Neovim opens with `\r` and no `\n` counts its lines at
/// `\r`; one with `\n` keeps the rule (a lone `\r` there is a character).
#[test]
fn a_neovim_buffer_with_classic_mac_line_endings_takes_edits_where_they_are() {
    let repo = TestRepo::new();
    let uri = repo.uri("notes.txt");
    let mut server = Server::start_as(&repo.root, &["utf-16"], "Neovim");
    server.open(&uri, "text", "one\rtwo\rthree\r");
    // `jAX<Esc>`, then `Gdd` (the last line).
    server.change(&uri, 2, json!([{ "range": range(1, 3, 1, 3), "text": "X" }]));
    server.change(&uri, 3, json!([{ "range": range(2, 0, 3, 0), "text": "" }]));
    assert_eq!(server.document(&uri)["text"], "one\rtwoX\r");
    // A Unix buffer holding a lone `\r` in a line keeps Neovim's rule.
    let other = repo.uri("other.txt");
    server.open(&other, "text", "a\rb\nc\n");
    server.change(&other, 2, json!([{ "range": range(1, 0, 1, 0), "text": "X" }]));
    assert_eq!(server.document(&other)["text"], "a\rb\nXc\n");
    server.shutdown();
}

/// Red team (rt28e 6): Neovim's `:%s` over a large file sends one change
/// from the first line it changed to the last. Its line diff stopped at
/// its deadline on thousands of changed lines, and what was left became
/// one "large insertion": from run to run, 117 to 156 of the person's
/// functions were suspected AI, and AI lines the substitution only touched
/// lost their origin whole. A change that edits lines where they stand
/// (as many lines, each mostly what it was) is the person's edit of each:
/// never a paste, and only the characters it typed are new.
#[test]
fn a_substitution_over_a_large_file_edits_each_line_in_place() {
    // rt29e N1: a longer name (most of a line's characters change), and
    // lines the substitution makes equal to others of the file.
    for name in ["val", "amount_cents"] {
        substitute_over_a_large_file(name);
    }
}

fn substitute_over_a_large_file(name: &str) {
    let functions = 1_500;
    let check = |i: u32| if i % 7 == 3 { format!("check({name})") } else { "check(value)".to_string() };
    let text: String =
        (0..functions).map(|i| format!("def f{i}(value):\n    {}\n    return value + {i}\n\n", check(i))).collect();
    let repo = TestRepo::new();
    repo.write("big.py", &text);
    repo.commit_all("init");
    let uri = repo.uri("big.py");
    let mut server = Server::start_as(&repo.root, &["utf-16"], "Neovim");
    server.open(&uri, "python", &text);
    // Every tenth function is an agent's.
    let ai: Vec<u32> = (0..functions).step_by(10).collect();
    for &i in &ai {
        let line = 4 * i;
        server.notify(
            "vouch/aiEdit",
            json!({ "textDocument": { "uri": uri, "version": 1 }, "range": range(line, 0, line + 3, 0), "tool": "claude" }),
        );
    }
    assert_eq!(ai_spans(&server.document(&uri)).len(), ai.len());
    // `:%s/value/NAME/g`: every line but the blank ones changes.
    let after = text.replace("value", name);
    let last = 4 * functions - 2;
    let body = after.lines().take(last as usize + 1).collect::<Vec<_>>().join("\n");
    let end = text.lines().nth(last as usize).unwrap().len() as u32;
    server.change(&uri, 2, json!([{ "range": range(0, 0, last, end), "text": body }]));
    let diags = server.diagnostics(&uri, 2);
    let doc = server.document(&uri);
    assert_eq!(doc["text"], after);
    let suspected: Vec<&Value> = diags.iter().filter(|d| d["code"] == "suspected-ai").collect();
    assert!(suspected.is_empty(), "{} suspected: {:?}", suspected.len(), suspected.first());
    let spans = ai_spans(&doc);
    assert!(spans.iter().all(|s| s["tool"] == "claude"), "nothing else became AI: {:?}", spans.first());
    // Each agent's function keeps its origin but for the characters the
    // substitution took out: its lines still read as the agent wrote them.
    let ai_text: String = spans.iter().filter_map(|s| s["text"].as_str()).collect();
    for i in &ai {
        assert!(ai_text.contains(&format!(" + {i}\n")), "{name}: f{i}'s return line left the agent's text");
        assert!(ai_text.contains(&format!("def f{i}(")), "{name}: f{i}'s name left the agent's text");
    }
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
}

/// Red team (rt29b F2, real VS Code): Sort Lines with no selection sends
/// the whole document but its last line break as one change; blank lines
/// sorted to the end leave the text ending with a line break where it had
/// none, and the lines were not taken for the same lines in another order:
/// the accepted completion became the person's typing, and after one more
/// edit and a save the gate passed it.
#[test]
fn sorting_a_whole_file_with_blank_lines_keeps_the_ai_lines_ai() {
    let base = "import math\n\ndef greet(name):\n    return \"hi \" + name\n\ndef total(items):\n    s = 0\n    \
                for i in items:\n        s += i\n    return s\n\n";
    let completion = "def add(a, b):\n    return a + b\n";
    let repo = TestRepo::new();
    repo.write("app.py", base);
    repo.commit_all("init");
    let uri = repo.uri("app.py");
    let mut server = Server::start_as(&repo.root, &["utf-16"], "Visual Studio Code");
    server.open(&uri, "python", base);
    server.change(&uri, 2, json!([{ "range": range(11, 0, 11, 0), "text": completion }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(11, 0, 13, 0), "tool": "vscode-inline" }),
    );
    let text = format!("{base}{completion}");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_by(|a, b| b.cmp(a));
    let sorted = lines.join("\n");
    server.change(&uri, 3, json!([{ "range": range(0, 0, 12, 16), "text": sorted }]));
    let doc = server.document(&uri);
    assert_eq!(doc["text"].as_str().unwrap(), format!("{sorted}\n"));
    let ai: String = ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
    assert!(ai.contains("def add(a, b):") && ai.contains("    return a + b"), "the completion's lines: {doc}");
    assert!(!ai.contains("def greet") && !ai.contains("return s"), "and only them: {doc}");
    server.shutdown();
}
