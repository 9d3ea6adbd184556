//! The language server, driven over stdio with JSON-RPC like an editor.

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::{Value, json};
use support::lsp::{Server, ai_spans, range};
use support::repo::TestRepo;

const RUST: &str = "use std::fmt;\n\nfn human() -> u32 {\n    1\n}\n";

fn codes(diags: &[Value]) -> Vec<String> {
    diags.iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect()
}

#[test]
fn negotiates_position_encoding_both_ways() {
    let repo = TestRepo::new();
    let server = Server::start(&repo.root, &["utf-16", "utf-8"]);
    assert_eq!(server.encoding, "utf-8");
    server.shutdown();
    let server = Server::start(&repo.root, &["utf-16"]);
    assert_eq!(server.encoding, "utf-16");
    server.shutdown();
    let mut server = Server::start(&repo.root, &[]);
    assert_eq!(server.encoding, "utf-16");
    let init = server.request_raw("initialize", json!({ "capabilities": {} }));
    // A second initialize is an error, and the server lives on.
    assert!(init.get("error").is_some(), "{init}");
    server.shutdown();
}

#[test]
fn server_info_and_capabilities() {
    let repo = TestRepo::new();
    let mut cmd = Server::start(&repo.root, &["utf-16"]);
    // Capabilities were read during start; ask for something cheap to prove life.
    let stats = cmd.request("vouch/debug/stats", json!({}));
    assert_eq!(stats["edits"], 0);
    cmd.shutdown();
}

/// Open `text`, insert `inserted` at (line, col) as AI, and return the
/// diagnostics and the server's document.
fn ai_insert(encoding: &str, text: &str, line: u32, col: u32, inserted: &str) -> (Vec<Value>, Value, Server, String) {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", text);
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &[encoding]);
    server.open(&uri, "rust", text);
    let diags = server.diagnostics(&uri, 1);
    assert!(diags.is_empty(), "{diags:?}");
    server.change(&uri, 2, json!([{ "range": range(line, col, line, col), "text": inserted }]));
    let lines: Vec<&str> = inserted.split('\n').collect();
    let end_line = line + lines.len() as u32 - 1;
    let last = lines.last().unwrap();
    let units = |s: &str| -> u32 {
        match encoding {
            "utf-8" => s.len() as u32,
            _ => s.encode_utf16().count() as u32,
        }
    };
    let end_col = if lines.len() == 1 { col + units(last) } else { units(last) };
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(line, col, end_line, end_col), "tool": "copilot", "model": "gpt-x" }),
    );
    let diags = server.diagnostics(&uri, 2);
    let doc = server.document(&uri);
    std::mem::forget(repo); // Kept for the server's lifetime; the OS cleans tmp.
    (diags, doc, server, uri)
}

const GENERATED: &str = "fn generated(x: u32) -> u32 {\n    x * 2\n}\n";

#[test]
fn ai_edit_puts_a_diagnostic_on_the_unit() {
    let (diags, doc, server, _) = ai_insert("utf-16", RUST, 5, 0, GENERATED);
    assert_eq!(codes(&diags), vec!["unreviewed-ai"]);
    let d = &diags[0];
    assert_eq!(d["source"], "vouch");
    // One line underlined, not the whole unit; the whole is related.
    assert_eq!(d["range"], range(5, 0, 5, 29));
    assert_eq!(d["relatedInformation"][0]["location"]["range"], range(5, 0, 7, 1));
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("function `generated`"), "{message}");
    assert!(message.contains("copilot (gpt-x)"), "{message}");
    assert!(message.contains("3 lines"), "{message}");
    assert_eq!(doc["spans"].as_array().unwrap().iter().filter(|s| s["origin"] == "ai").count(), 1);
    server.shutdown();
}

/// Asked for some kinds of action only (`context.only`: organize imports
/// or fix-all on save, which some Neovim setups send to every server and
/// then run whatever comes back), the server offers only its actions of
/// those kinds: its quick fixes under `quickfix` or the empty kind, and
/// nothing under another (it used to offer them all, so a save requested
/// sign-off). Plain commands have no kind and come only when asked for all.
#[test]
fn code_actions_asked_for_other_kinds_offer_none_of_vouchs() {
    let (_, _, mut server, uri) = ai_insert("utf-16", RUST, 5, 0, GENERATED);
    let mut titles = |r: Value, only: Option<Value>| -> Vec<String> {
        let mut context = json!({ "diagnostics": [] });
        if let Some(only) = only {
            context["only"] = only;
        }
        let actions = server.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": r, "context": context }),
        );
        actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect()
    };
    // Over the AI function: its quick fixes. Over the person's lines: the
    // plain commands that mark a selection.
    let (function, person) = (range(5, 0, 6, 3), range(0, 0, 2, 0));
    let all = titles(function.clone(), None);
    assert!(all.iter().any(|t| t.contains("request sign-off")), "{all:?}");
    let marks = titles(person.clone(), None);
    assert!(marks.iter().any(|t| t.contains("mark selection")), "{marks:?}");
    for only in
        [json!(["source.organizeImports"]), json!(["source.fixAll", "refactor.extract"]), json!(["quickfix.other"])]
    {
        assert_eq!(titles(function.clone(), Some(only.clone())), Vec::<String>::new(), "{only}");
    }
    for only in [json!(["quickfix"]), json!([""]), json!(["source", "quickfix"])] {
        assert_eq!(titles(function.clone(), Some(only.clone())), all, "{only}");
        assert_eq!(titles(person.clone(), Some(only.clone())), Vec::<String>::new(), "no kind: {only}");
    }
    server.shutdown();
}

/// A person's word never outranks a record of AI from another source: the
/// editor's "mark as human-written" over text the editor reported as an
/// AI's is refused, and "mark as AI-written" leaves it as it is (a mark
/// would paint over the record, and then be the person's own to take
/// back). Text nobody called AI is the person's to mark.
#[test]
fn marking_text_an_ai_wrote_as_human_is_refused() {
    let (diags, _, mut server, uri) = ai_insert("utf-16", RUST, 5, 0, GENERATED);
    assert_eq!(codes(&diags), vec!["unreviewed-ai"]);
    let reply = server.request_raw(
        "workspace/executeCommand",
        json!({ "command": "vouch.markHuman", "arguments": [{ "uri": uri, "range": range(5, 0, 7, 1) }] }),
    );
    let message = reply["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("copilot") && message.contains("line 6"), "{reply:#}");
    let reply = server.request(
        "workspace/executeCommand",
        json!({ "command": "vouch.markAi", "arguments": [{ "uri": uri, "range": range(5, 0, 7, 1), "tool": "x" }] }),
    );
    let said = reply.as_str().unwrap_or_default();
    assert!(said.starts_with("nothing to mark") && said.contains("copilot"), "left as it is: {reply:#}");
    let doc = server.document(&uri);
    let ai: Vec<&Value> = doc["spans"].as_array().unwrap().iter().filter(|s| s["origin"] == "ai").collect();
    assert_eq!((ai.len(), ai[0]["tool"].as_str()), (1, Some("copilot")), "{doc}");
    // The person's own lines are theirs to mark.
    let marked = server.request(
        "workspace/executeCommand",
        json!({ "command": "vouch.markAi", "arguments": [{ "uri": uri, "range": range(2, 0, 4, 1) }] }),
    );
    assert_eq!(marked, json!("marked 3 lines as AI-written"));
    let marked = server.request(
        "workspace/executeCommand",
        json!({ "command": "vouch.markHuman", "arguments": [{ "uri": uri, "range": range(2, 0, 4, 1) }] }),
    );
    assert_eq!(marked, json!("marked 3 lines as human-written"));
    server.shutdown();
}

#[test]
fn multibyte_text_before_the_unit_in_utf16_and_utf8() {
    let text = "// 日本語 😀 émoji\nconst S: &str = \"中文😀\";\n";
    for enc in ["utf-16", "utf-8"] {
        let line1 = "const S: &str = \"中文😀\"; ";
        let col = match enc {
            "utf-8" => line1.len() - 1,
            _ => line1.encode_utf16().count() - 1,
        } as u32;
        // Insert at the end of line 1 (after the multi-byte literal) a new line and function.
        let inserted = "\nfn g() -> &'static str {\n    \"😀\"\n}";
        let (diags, doc, server, _) = ai_insert(enc, text, 1, col, inserted);
        let ai: Vec<&Value> = doc["spans"].as_array().unwrap().iter().filter(|s| s["origin"] == "ai").collect();
        assert_eq!(ai.len(), 1, "{enc}: {doc}");
        assert_eq!(ai[0]["text"], inserted, "{enc}");
        assert_eq!(codes(&diags), vec!["unreviewed-ai"], "{enc}");
        assert_eq!(diags[0]["range"], range(2, 0, 2, 24), "{enc}");
        server.shutdown();
    }
}

#[test]
fn crlf_file() {
    let text = "fn a() {}\r\n\r\nfn b() {}\r\n";
    let inserted = "fn c(x: i32) -> i32 {\r\n    x + 1\r\n}\r\n";
    let (diags, doc, server, _) = ai_insert("utf-16", text, 2, 0, inserted);
    assert_eq!(codes(&diags), vec!["unreviewed-ai"]);
    // The first line, without its CR LF.
    assert_eq!(diags[0]["range"], range(2, 0, 2, 21));
    assert!(diags[0]["message"].as_str().unwrap().contains("function `c`"));
    let ai: Vec<&Value> = doc["spans"].as_array().unwrap().iter().filter(|s| s["origin"] == "ai").collect();
    assert_eq!(ai[0]["text"], inserted);
    server.shutdown();
}

#[test]
fn five_hundred_changes_sent_without_waiting() {
    let repo = TestRepo::new();
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", "fn f() {\n}\n");
    // Type at the start of line 1, one character per change, with multi-byte
    // characters now and then, and delete every tenth character again.
    let mut typed = String::new();
    for v in 2..502 {
        let col = typed.encode_utf16().count() as u32;
        if v % 10 == 0 {
            let last = typed.pop().unwrap();
            let start = col - last.len_utf16() as u32;
            server.change(&uri, v, json!([{ "range": range(1, start, 1, col), "text": "" }]));
        } else {
            let text = match v % 10 {
                3 => "é",
                7 => "😀",
                _ => "x",
            };
            server.change(&uri, v, json!([{ "range": range(1, col, 1, col), "text": text }]));
            typed.push_str(text);
        }
    }
    let doc = server.document(&uri);
    assert_eq!(doc["version"], 501);
    assert_eq!(doc["text"].as_str().unwrap(), format!("fn f() {{\n{typed}}}\n"));
    let stats = server.request("vouch/debug/stats", json!({}));
    assert_eq!(stats["edits"], 500);
    server.shutdown();
}

#[test]
fn bad_input_leaves_the_server_answering() {
    let repo = TestRepo::new();
    let uri = repo.uri("a.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.send_raw(b"{ this is not json");
    let reply = server.request_raw("no/suchMethod", json!({}));
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    // A request of the protocol's own `$/` namespace that the server does
    // not know gets the same (LSP 3.17), not silence.
    let reply = server.request_raw("$/somethingCustom", json!({}));
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    server.change(&repo.uri("never-opened.rs"), 2, json!([{ "range": range(0, 0, 0, 0), "text": "x" }]));
    server.open(&uri, "rust", "fn a() {}\n");
    server.change(&uri, 2, json!([{ "range": range(99, 99, 120, 0), "text": "fn z() {}" }]));
    server.change(&uri, 3, json!([{ "range": range(0, 999, 0, 3), "text": "" }]));
    server.notify("vouch/aiEdit", json!({ "textDocument": { "uri": uri }, "range": "nonsense" }));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "range": range(50, 0, 60, 0), "tool": "t" }),
    );
    let doc = server.document(&uri);
    // Both ends of the first change lie past the end: it appends. The second
    // names its ends in reverse, and the column past the line end is clamped.
    assert_eq!(doc["text"], "fn \nfn z() {}");
    let bad = server
        .request_raw("workspace/executeCommand", json!({ "command": "vouch.markAi", "arguments": [{ "uri": 7 }] }));
    assert!(bad["error"]["message"].as_str().unwrap().contains("bad arguments"), "{bad}");
    let bad = server
        .request_raw("workspace/executeCommand", json!({ "command": "vouch.nope", "arguments": [{ "uri": uri }] }));
    assert!(bad["error"]["message"].as_str().unwrap().contains("unknown command"), "{bad}");
    // A 10 MB file and a binary file.
    let big: String = "fn f() { let x = 1; }\n".repeat(10 * 1024 * 1024 / 22);
    server.open(&repo.uri("big.rs"), "rust", &big);
    server.open(&repo.uri("bin.dat"), "plaintext", "\u{0}\u{1}binary\u{0}");
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": repo.uri("bin.dat") }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(hover, Value::Null);
    // Typing into the binary file it does not track (red team: every
    // keystroke logged that the file was not open).
    for version in 2..5 {
        server.change(&repo.uri("bin.dat"), version, json!([{ "range": range(0, 0, 0, 0), "text": "x" }]));
    }
    let doc = server.document(&repo.uri("big.rs"));
    assert_eq!(doc["text"].as_str().unwrap().len(), big.len());
    let spam = server.take_notifications("window/logMessage", |p| {
        p["message"].as_str().is_some_and(|m| m.contains("bin.dat") && m.contains("not open"))
    });
    assert!(spam.is_empty(), "{spam:#?}");
    server.shutdown();
}

#[test]
fn heuristic_suspects_a_large_paste_but_not_a_revert() {
    let repo = TestRepo::new();
    let original = "fn a() {}\n";
    repo.write("src/lib.rs", original);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", original);
    let block = "fn big(values: &[u32]) -> u32 {\n    values.iter().copied().filter(|v| v % 2 == 0).sum::<u32>()\n}\n";
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": block }]));
    let diags = server.diagnostics(&uri, 2);
    assert_eq!(codes(&diags), vec!["suspected-ai"]);
    assert_eq!(diags[0]["severity"], 3);
    // Reverting to HEAD with one full-text change, then re-applying the block
    // as an undo: neither is new AI text.
    server.change(&uri, 3, json!([{ "text": original }]));
    assert!(server.diagnostics(&uri, 3).is_empty());
    let with_block = format!("{original}{block}");
    server.change(&uri, 4, json!([{ "text": with_block }]));
    let doc = server.document(&uri);
    // The block came back: it was removed in this session, so it is AI again
    // as suspected text, not new suspected text.
    let ai: Vec<&Value> = doc["spans"].as_array().unwrap().iter().filter(|s| s["origin"] == "ai").collect();
    assert_eq!(ai.len(), 1, "{doc}");
    server.shutdown();
}

/// A paste over a selection of several lines, as VS Code sends it (one
/// change whose range is the selection): carried over by a diff, lines of
/// the pasted block that happen to equal the old ones (a brace, a blank
/// line) do not split it; the block is still a large insertion.
#[test]
fn heuristic_suspects_a_large_paste_over_a_selection() {
    let repo = TestRepo::new();
    let original = "fn a() -> u32 {\n    1\n}\n\nfn b() {}\n";
    repo.write("src/lib.rs", original);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", original);
    let pasted = "fn a() -> u32 {\n    let values = [1u32, 2, 3, 4];\n    values.iter().copied().filter(|v| v % 2 == 0).sum::<u32>()\n}\n";
    server.change(&uri, 2, json!([{ "range": range(0, 0, 3, 0), "text": pasted }]));
    let diags = server.diagnostics(&uri, 2);
    assert_eq!(codes(&diags), vec!["suspected-ai"], "{diags:?}");
    let doc = server.document(&uri);
    let ai: Vec<&str> = ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
    assert!(ai.iter().any(|t| t.contains("let values") && t.contains("sum::<u32>()")), "{doc}");
    server.shutdown();
}

/// VS Code reads the clipboard after the change, so a save (auto-save) can
/// come between a paste and the plugin's word that it was a paste: the
/// save records the block as suspected. The word must outlast that record:
/// neither the next save nor the next look at the journal makes it
/// suspected again, and the journal says what the person said.
#[test]
fn a_paste_reported_after_a_save_stays_the_persons() {
    let repo = TestRepo::new();
    let original = "fn a() {}\n";
    repo.write("src/lib.rs", original);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", original);
    let block = "fn big(values: &[u32]) -> u32 {\n    values.iter().copied().filter(|v| v % 2 == 0).sum::<u32>()\n}\n";
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": block }]));
    assert_eq!(codes(&server.diagnostics(&uri, 2)), vec!["suspected-ai"]);
    repo.write("src/lib.rs", &format!("{original}{block}"));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.notify(
        "vouch/humanPaste",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(1, 0, 4, 0) }),
    );
    server.notify("workspace/didChangeWatchedFiles", json!({ "changes": [] }));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    let doc = server.document(&uri);
    assert!(ai_spans(&doc).is_empty(), "the paste is the person's: {doc}");
    server.shutdown();
    let blame: Value = serde_json::from_str(&repo.vouch_stdout(&["blame", "src/lib.rs", "--format", "json"], true))
        .expect("blame's JSON");
    let origins: Vec<&str> = blame["lines"].as_array().unwrap().iter().filter_map(|l| l["origin"].as_str()).collect();
    assert_eq!(origins, ["unknown", "human", "human", "human"], "the journal says what the person said: {blame}");
}

/// The whole loop in the editor: AI text, a request, an approval from a
/// reviewer's own server, the diagnostic gone, an edit, the diagnostic back.
#[test]
fn request_approve_edit_cycle_across_two_servers() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"reviewer@example.com\"]\n");
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut dev = Server::start(&repo.root, &["utf-16"]);
    dev.open(&uri, "rust", RUST);
    assert!(dev.diagnostics(&uri, 1).is_empty());
    dev.change(&uri, 2, json!([{ "range": range(5, 0, 5, 0), "text": GENERATED }]));
    dev.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(5, 0, 8, 0), "tool": "copilot" }),
    );
    let diags = dev.diagnostics(&uri, 2);
    assert_eq!(codes(&diags), vec!["unreviewed-ai"]);
    assert!(diags[0]["message"].as_str().unwrap().contains("sign-off by: reviewer@example.com"), "{diags:?}");

    // The author may request but not approve.
    let actions = dev.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(6, 0, 6, 0), "context": { "diagnostics": diags } }),
    );
    let titles: Vec<&str> = actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.iter().any(|t| t.contains("request sign-off")), "{titles:?}");
    assert!(!titles.iter().any(|t| t.contains("approve")), "{titles:?}");
    let request =
        actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("request")).unwrap();
    let mut command = request["command"].clone();
    command["arguments"][0]["rationale"] = json!("doubles its input for the pricing table");
    let reply = dev.request(
        "workspace/executeCommand",
        json!({ "command": command["command"], "arguments": command["arguments"] }),
    );
    assert!(reply.as_str().unwrap().contains("requested sign-off"), "{reply}");
    let diags = dev.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p["diagnostics"][0]["code"] == "signoff-requested"
    });
    assert!(diags["diagnostics"][0]["message"].as_str().unwrap().contains("requested by dev@example.com"));
    // Saving writes the journal, so the reviewer's server sees the AI text.
    dev.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    let text = dev.document(&uri)["text"].as_str().unwrap().to_string();
    repo.write("src/lib.rs", &text);

    // The reviewer, in the same repository with their own identity.
    repo.git(&["config", "user.email", "reviewer@example.com"]);
    let mut reviewer = Server::start(&repo.root, &["utf-8"]);
    reviewer.open(&uri, "rust", &text);
    let diags = reviewer.diagnostics(&uri, 1);
    assert_eq!(codes(&diags), vec!["signoff-requested"], "{diags:?}");
    let actions = reviewer.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(6, 0, 6, 0), "context": { "diagnostics": diags } }),
    );
    let approve =
        actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("approve")).unwrap();
    let reply = reviewer.request(
        "workspace/executeCommand",
        json!({ "command": approve["command"]["command"], "arguments": approve["command"]["arguments"] }),
    );
    assert!(reply.as_str().unwrap().contains("approved 1 unit"), "{reply}");
    assert!(reviewer.diagnostics(&uri, 1).is_empty());
    let hover = reviewer.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 6, "character": 4 } }),
    );
    let hover = hover["contents"]["value"].as_str().unwrap();
    assert!(hover.contains("rationale: doubles its input"), "{hover}");
    assert!(hover.contains("approved by reviewer@example.com"), "{hover}");
    reviewer.shutdown();

    // The author's server picks the approval up from the records.
    dev.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri && p["diagnostics"] == json!([]));
    // Editing the approved unit makes a new fingerprint: sign-off is due again.
    dev.change(&uri, 3, json!([{ "range": range(6, 8, 6, 9), "text": "3" }]));
    let diags = dev.diagnostics(&uri, 3);
    assert_eq!(codes(&diags), vec!["unreviewed-ai"], "{diags:?}");
    dev.shutdown();
}

#[test]
fn agent_records_show_up_in_an_open_editor() {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", RUST);
    assert!(server.diagnostics(&uri, 1).is_empty());
    // Another writer (an agent hook, the CLI) records AI text in the journal.
    let text = format!("{RUST}{GENERATED}");
    let git = git2::Repository::open(&repo.root).unwrap();
    let journal = vouch::store::journal::Journal::open(&git).unwrap();
    let attr = vouch::provenance::Attribution::ai(
        vouch::provenance::AiSource { tool: "claude-code".into(), model: None, session: None, kind: None },
        vouch::provenance::Evidence::AgentHook,
        None,
    );
    let spans = vec![(RUST.len()..text.len() - 1, attr)];
    journal.append(&git, vouch::store::journal::Entry::delta("src/lib.rs", &text, &spans)).unwrap();
    // The editor's buffer holds the same text (the agent wrote the file).
    server.change(&uri, 2, json!([{ "range": range(5, 0, 5, 0), "text": GENERATED }]));
    let diags = server.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p["diagnostics"][0]["code"] == "unreviewed-ai"
    });
    assert!(diags["diagnostics"][0]["message"].as_str().unwrap().contains("claude-code"), "{diags}");
    server.shutdown();
}

/// Provenance outlives the server: what an aiEdit recorded is there when
/// the editor opens the file again in a new server.
#[test]
fn restarting_the_server_loses_nothing() {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", RUST);
    server.change(&uri, 2, json!([{ "range": range(5, 0, 5, 0), "text": GENERATED }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(5, 0, 8, 0), "tool": "copilot", "model": "m1" }),
    );
    assert_eq!(codes(&server.diagnostics(&uri, 2)), vec!["unreviewed-ai"]);
    let text = server.document(&uri)["text"].as_str().unwrap().to_string();
    server.shutdown();

    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", &text);
    let diags = server.diagnostics(&uri, 1);
    assert_eq!(codes(&diags), vec!["unreviewed-ai"]);
    assert!(diags[0]["message"].as_str().unwrap().contains("copilot (m1)"), "{diags:?}");
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 6, "character": 4 } }),
    );
    let hover = hover["contents"]["value"].as_str().unwrap();
    assert!(hover.contains("accepted by: dev@example.com"), "{hover}");
    assert!(hover.contains("accepted at: 20"), "{hover}");
    server.shutdown();
}

/// A file renamed from one an agent wrote (the journal records its text at
/// the old path) opens with that text AI, as the gate will judge it.
#[test]
fn a_file_renamed_from_one_an_agent_wrote_opens_with_its_text_ai() {
    use vouch::provenance::{AiSource, Attribution, Evidence};
    use vouch::store::journal::{Entry, Journal};
    let repo = TestRepo::new();
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let git = git2::Repository::open(&repo.root).unwrap();
    let journal = Journal::open(&git).unwrap();
    let source = AiSource { tool: "claude-code".into(), model: None, session: None, kind: None };
    let attr = Attribution::ai(source, Evidence::AgentHook, None);
    journal.append(&git, Entry::delta("src/new.rs", GENERATED, &[(0..GENERATED.len() - 1, attr)])).unwrap();
    // Renamed before it was committed: the old path is gone.
    repo.write("src/moved.rs", GENERATED);
    let uri = repo.uri("src/moved.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", GENERATED);
    let diags = server.diagnostics(&uri, 1);
    assert_eq!(codes(&diags), vec!["unreviewed-ai"], "{diags:#?}");
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("function `generated`") && message.contains("claude-code"), "{message}");
    server.shutdown();
}

/// A keystroke that arrives while the tick analyses its document is
/// handled first: the analysis (tens of milliseconds for a file of 10,000
/// lines an AI wrote, far more in a debug build) gives way, and the
/// document is analysed once it is quiet, as its text then is. Steady typing
/// still gets its diagnostics: past a second, an analysis runs to its end.
/// Open `uri` empty, type `body` into it (version 2) and report all of it
/// as an AI's insertion, as the VS Code extension does; the number of
/// diagnostics published for it.
fn ai_file(server: &mut Server, uri: &str, body: &str) -> usize {
    server.open(uri, "rust", "");
    server.change(uri, 2, json!([{ "range": range(0, 0, 0, 0), "text": body }]));
    let lines = body.matches('\n').count() as u32;
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(0, 0, lines, 0), "tool": "claude" }),
    );
    server.diagnostics(uri, 2).len()
}

/// What editors ask on their own as a person types (VS Code: code lenses
/// after each pause, code actions as the cursor moves) is answered without
/// analysing the document to the end there and then, which in a large file
/// holds up the next keystroke: code lenses from the last analysis, carried
/// through the edits since, the client asked again once the analysis is
/// in; code actions without the units' actions, which the client asks for
/// again when the diagnostics change.
#[test]
fn what_an_editor_asks_on_its_own_while_typing_waits_for_no_analysis() {
    let functions = 200;
    let body: String = (0..functions).map(|i| format!("pub fn f{i}(x: u64) -> u64 {{\n    x + {i}\n}}\n\n")).collect();
    let start = |lens_refresh: bool| {
        let repo = TestRepo::new();
        let uri = repo.uri("src/gen.rs");
        let mut server = if lens_refresh {
            Server::start_with_lens_refresh(&repo.root, &["utf-16"])
        } else {
            Server::start(&repo.root, &["utf-16"])
        };
        assert_eq!(ai_file(&mut server, &uri, &body), functions as usize);
        (repo, uri, server)
    };
    let lens_lines = |lenses: &Value| -> Vec<u64> {
        lenses.as_array().unwrap().iter().map(|l| l["range"]["start"]["line"].as_u64().unwrap()).collect()
    };
    let shifted: Vec<u64> = (0..functions as u64).map(|i| 1 + 4 * i).collect();
    let automatic = |uri: &str| json!({ "textDocument": { "uri": uri }, "range": range(1, 8, 1, 8), "context": { "diagnostics": [], "triggerKind": 2 } });

    let (_repo, uri, mut server) = start(true);
    let refreshes = server.asked("workspace/codeLens/refresh");
    let analyses = server.request("vouch/debug/stats", json!({}))["analyses"].as_u64().unwrap();
    // A new line above every function, and at once the questions: each
    // sent before any answer is read.
    server.change(&uri, 3, json!([{ "range": range(0, 0, 0, 0), "text": "\n" }]));
    let lens_id = server.send_request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let action_id = server.send_request("textDocument/codeAction", automatic(&uri));
    let stats_id = server.send_request("vouch/debug/stats", json!({}));
    let lenses = server.response(lens_id)["result"].clone();
    let actions = server.response(action_id)["result"].clone();
    assert_eq!(server.response(stats_id)["result"]["analyses"].as_u64(), Some(analyses), "a question analysed");
    assert_eq!(lens_lines(&lenses), shifted, "the lenses stand where the functions are now");
    assert!(!actions.to_string().contains("vouch: show provenance of"), "{actions}");
    // Once the document is analysed, the client is asked for its lenses
    // again, and the lightbulb offers the unit's actions.
    assert_eq!(server.diagnostics(&uri, 3).len(), functions as usize);
    assert!(server.wait_asked("workspace/codeLens/refresh", refreshes + 1), "the lenses were not refreshed");
    let lenses = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(lens_lines(&lenses), shifted);
    let actions = server.request("textDocument/codeAction", automatic(&uri));
    assert!(actions.to_string().contains("vouch: show provenance of function `f0`"), "{actions}");
    server.shutdown();

    // A client that cannot be asked again, and code actions asked for by
    // hand, are answered from the document as it is: analysed first.
    let (_repo, uri, mut server) = start(false);
    let analyses = server.request("vouch/debug/stats", json!({}))["analyses"].as_u64().unwrap();
    server.change(&uri, 3, json!([{ "range": range(0, 0, 0, 0), "text": "\n" }]));
    let lenses = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(lens_lines(&lenses), shifted);
    let after = server.request("vouch/debug/stats", json!({}))["analyses"].as_u64().unwrap();
    assert_eq!(after, analyses + 1, "the lenses waited for an analysis");
    server.change(&uri, 4, json!([{ "range": range(0, 0, 0, 0), "text": "\n" }]));
    let mut invoked = automatic(&uri);
    invoked["context"]["triggerKind"] = json!(1);
    invoked["range"] = range(2, 8, 2, 8);
    let actions = server.request("textDocument/codeAction", invoked);
    assert!(actions.to_string().contains("vouch: show provenance of function `f0`"), "{actions}");
    server.shutdown();
}

/// Red team: `vouch/pending` analysed every open document with edits not
/// yet analysed before it answered: after a keystroke in a large file, the
/// queue panel waited seconds for the whole analysis. It answers from the
/// last analysis, its units where the edits since moved them, says it is
/// computing, and asks the client to ask again once the analysis is in.
#[test]
fn the_pending_list_waits_for_no_analysis_while_typing() {
    let functions = 50;
    let body: String = (0..functions).map(|i| format!("pub fn f{i}(x: u64) -> u64 {{\n    x + {i}\n}}\n\n")).collect();
    let repo = TestRepo::new();
    let uri = repo.uri("src/gen.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    assert_eq!(ai_file(&mut server, &uri, &body), functions as usize);
    let lines = |pending: &Value| -> Vec<u64> {
        let units = pending["units"].as_array().unwrap().iter().filter(|u| u["uri"] == uri.as_str());
        let mut lines: Vec<u64> = units.map(|u| u["range"]["start"]["line"].as_u64().unwrap()).collect();
        lines.sort_unstable();
        lines
    };
    let shifted: Vec<u64> = (0..functions as u64).map(|i| 1 + 4 * i).collect();
    let analyses = server.request("vouch/debug/stats", json!({}))["analyses"].as_u64().unwrap();
    server.change(&uri, 3, json!([{ "range": range(0, 0, 0, 0), "text": "\n" }]));
    let pending_id = server.send_request("vouch/pending", json!({}));
    let stats_id = server.send_request("vouch/debug/stats", json!({}));
    let pending = server.response(pending_id)["result"].clone();
    assert_eq!(server.response(stats_id)["result"]["analyses"].as_u64(), Some(analyses), "the list analysed");
    assert_eq!(lines(&pending), shifted, "the units stand where the functions are now");
    assert_eq!(pending["computing"], true, "{pending}");
    server.wait_for("vouch/pendingChanged", |_| true);
    let pending = server.request("vouch/pending", json!({}));
    assert_eq!(lines(&pending), shifted);
    server.shutdown();
}

#[test]
fn a_keystroke_during_an_analysis_is_handled_first() {
    let repo = TestRepo::new();
    let uri = repo.uri("src/gen.rs");
    let functions = 2_000;
    let body: String = (0..functions)
        .map(|i| format!("pub fn f{i}(x: u64) -> u64 {{\n    let y = x.wrapping_mul({i});\n    y ^ 0x5f\n}}\n\n"))
        .collect();
    let mut server = Server::start(&repo.root, &["utf-16"]);
    assert_eq!(ai_file(&mut server, &uri, &body), functions as usize);
    let given_up = |server: &mut Server| server.request("vouch/debug/stats", json!({}))["analysesGivenUp"].as_u64();
    assert_eq!(given_up(&mut server), Some(0));

    // A keystroke; once its debounce has run out, another one.
    let mut version = 2;
    let type_one = |server: &mut Server, version: &mut i64| {
        *version += 1;
        server.change(&uri, *version, json!([{ "range": range(1, 4, 1, 4), "text": "y" }]));
    };
    for attempt in 1.. {
        type_one(&mut server, &mut version);
        std::thread::sleep(std::time::Duration::from_millis(40 * attempt));
        type_one(&mut server, &mut version);
        if given_up(&mut server) > Some(0) {
            break;
        }
        assert!(attempt < 10, "no analysis gave way to a keystroke");
    }
    // Once quiet, the document is analysed as it is: every function, the
    // first as typed.
    let diags = server.diagnostics(&uri, version);
    assert_eq!(diags.len(), functions as usize);
    let text = server.document(&uri)["text"].as_str().unwrap().to_string();
    let typed = "y".repeat(version as usize - 2);
    assert!(text.starts_with(&format!("pub fn f0(x: u64) -> u64 {{\n    {typed}let y")), "{}", &text[..80]);

    // Typing faster than the debounce for three seconds: the analysis is
    // not put off for ever.
    let started = std::time::Instant::now();
    let first = version + 1;
    while started.elapsed() < std::time::Duration::from_secs(3) {
        type_one(&mut server, &mut version);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Every message sent before the answer has been read.
    given_up(&mut server);
    let during = server.take_notifications("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && p["version"].as_i64().is_some_and(|v| v >= first && v < version)
    });
    assert!(!during.is_empty(), "no diagnostics while the keystrokes kept coming");
    assert_eq!(server.diagnostics(&uri, version).len(), functions as usize);
    server.shutdown();
}
