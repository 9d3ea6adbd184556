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
    // The panics are on purpose: their reports on standard error are noise.
    Server::start_quiet(&repo.root, &["utf-16"], &[("VOUCH_LSP_DEBUG_PANIC", "1")])
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

/// Red team (rt28b, real Neovim): a server busy with a long analysis when
/// Neovim quit went on burning a core for minutes after its standard input
/// closed, waiting for its state thread to finish. A client gone is a
/// client gone: the process leaves within moments.
#[test]
fn a_busy_server_leaves_when_its_client_goes_away() {
    let repo = TestRepo::new();
    let mut server = start(&repo);
    panic_on(&mut server, "hang", 1);
    // The state thread is stuck: a request waits.
    server.notify("vouch/debug/stats", json!({}));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let closed = std::time::Instant::now();
    server.close_stdin();
    let status = server.wait_exit().expect("the server exits once its client is gone");
    assert!(closed.elapsed() < std::time::Duration::from_secs(15), "{:?}", closed.elapsed());
    assert!(!status.success(), "no shutdown came first: {status}");
}

/// Round two (rt28e 3, 4): a save made while the server is busy reaches
/// the journal though the client goes away right after it (the state
/// thread goes through what is queued; only its analyses give way), and a
/// request waiting for an answer does not keep the process alive.
#[test]
fn a_save_made_while_busy_is_recorded_when_the_client_goes_away() {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", LIB);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = start(&repo);
    server.open(&uri, "rust", LIB);
    server.diagnostics(&uri, 1);
    panic_on(&mut server, "hang", 1);
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": AI_FN }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(3, 0, 6, 0), "tool": "copilot" }),
    );
    repo.write("src/lib.rs", &format!("{LIB}{AI_FN}"));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    // A hover waits behind it, then the client is gone.
    server.send_request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 4, "character": 4 } }),
    );
    server.close_stdin();
    let gone = std::time::Instant::now();
    server.wait_exit().expect("the server exits once its client is gone");
    assert!(gone.elapsed() < std::time::Duration::from_secs(15), "{:?}", gone.elapsed());
    let journal: String = std::fs::read_dir(repo.root.join(".git/vouch/journal"))
        .unwrap()
        .flatten()
        .map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).unwrap_or_default()).into_owned())
        .collect();
    assert!(journal.contains("copilot") && journal.contains("src/lib.rs"), "the save's record: {journal}");
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

/// A message framed the way the test says, then a request that must be
/// answered.
fn answers_after(server: &mut Server, bytes: &[u8]) {
    server.send_bytes(bytes);
    let stats = server.request("vouch/debug/stats", json!({}));
    assert!(stats["edits"].is_number(), "{stats}");
}

fn framed(length: &str, body: &[u8]) -> Vec<u8> {
    [format!("Content-Length: {length}\r\n\r\n").into_bytes(), body.to_vec()].concat()
}

fn did_change(uri: &str, version: i64, line: u32, text: &str) -> Vec<u8> {
    json!({
        "jsonrpc": "2.0", "method": "textDocument/didChange",
        "params": { "textDocument": { "uri": uri, "version": version },
                    "contentChanges": [{ "range": range(line, 0, line, 0), "text": text }] },
    })
    .to_string()
    .into_bytes()
}

/// Issue 14, item 3: what used to end the stream, leave the server deaf or
/// panic, through the real binary.
#[test]
fn broken_framing_leaves_the_server_serving() {
    let repo = TestRepo::new();
    let uri = repo.uri("a.txt");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "plaintext", "");
    // Non-UTF-8 bytes in a field vouch ignores: the message still applies.
    let mut body = did_change(&uri, 2, 0, "one\n");
    let at = body.len() - 1;
    body.splice(at..at, b",\"junk\":\"\xff\xfe\xc3\"".iter().copied());
    answers_after(&mut server, &framed(&body.len().to_string(), &body));
    assert_eq!(server.document(&uri)["text"], "one\n");
    // A length one byte short, then one byte long, each followed by more.
    let body = did_change(&uri, 3, 1, "two\n");
    answers_after(&mut server, &framed(&(body.len() - 1).to_string(), &body));
    let body = did_change(&uri, 4, 2, "three\n");
    answers_after(&mut server, &framed(&(body.len() + 1).to_string(), &body));
    assert_eq!(server.document(&uri)["text"], "one\ntwo\nthree\n");
    // Lengths that are no length, and none at all.
    for length in ["-12", "twelve", ""] {
        answers_after(&mut server, &framed(length, b"{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}"));
    }
    answers_after(&mut server, b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}");
    // Lengths too large to hold: no overflow, no waiting for the bytes.
    for length in ["18446744073709551615", "100000000000", "99999999999999999999999"] {
        answers_after(&mut server, &framed(length, b"{\"jsonrpc\":\"2.0\""));
    }
    // A message whose strings hold a header, after one that claims too much.
    let short = did_change(&uri, 5, 0, "zero\n");
    let tricky = did_change(&uri, 6, 4, "Content-Length: 12\r\n\r\n{}");
    let input = [framed(&(short.len() + 40).to_string(), &short), framed(&tricky.len().to_string(), &tricky)].concat();
    answers_after(&mut server, &input);
    assert_eq!(server.document(&uri)["text"], "zero\none\ntwo\nthree\nContent-Length: 12\r\n\r\n{}");
    // Every problem was said, none was a panic.
    server.assert_no_internal_errors(&repo.root);
    let said = server.take_notifications("window/logMessage", |p| p["type"] == 1);
    assert!(said.len() >= 10, "{said:#?}");
    server.shutdown();
}

/// A bounded fuzz run of framing and message contents: seeded (set
/// `VOUCH_FUZZ_SEED` to replay a failure, `VOUCH_FUZZ_CASES` for more or
/// fewer cases), reusing the test build. After every piece of garbage the
/// server must answer a valid request; at the end it must not have
/// panicked, and it must still follow a document exactly.
#[test]
fn fuzzed_framing_and_contents_never_stop_the_server() {
    let seed: u64 = std::env::var("VOUCH_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_1234);
    let cases: usize = std::env::var("VOUCH_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(5000);
    let repo = TestRepo::new();
    repo.write("src/lib.rs", LIB);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-8", "utf-16"]);
    server.open(&uri, "rust", LIB);
    let mut fuzz = fuzz::Fuzz::new(seed, &repo.root, &uri);
    for case in 0..cases {
        let garbage = fuzz.garbage();
        server.send_bytes(&garbage);
        let reply = server.request_raw("vouch/debug/stats", json!({}));
        assert!(
            reply["result"]["edits"].is_number(),
            "seed {seed}, case {case}: no answer after {:?}: {reply}",
            String::from_utf8_lossy(&garbage)
        );
        if case % 100 == 99 {
            server.assert_no_internal_errors(&repo.root);
            server.take_backlog();
        }
    }
    server.assert_no_internal_errors(&repo.root);
    // It still follows a document, wherever the garbage left it.
    let fresh = repo.uri("after.txt");
    server.open(&fresh, "plaintext", "a\n");
    server.change(
        &fresh,
        2,
        json!([{ "range": range(1, 0, 1, 0), "text": "b😀\r\n" }, { "range": range(0, 0, 0, 1), "text": "" }]),
    );
    assert_eq!(server.document(&fresh)["text"], "\nb😀\r\n");
    server.shutdown();
}

mod fuzz {
    //! Garbage for the language server: broken framing around messages
    //! that are valid, nearly valid or random, and messages of every kind
    //! with random contents.

    use std::path::Path;

    use serde_json::{Value, json};

    /// SplitMix64: small, seedable, good enough to pick garbage.
    pub struct Fuzz {
        state: u64,
        root: String,
        uri: String,
        id: u64,
    }

    const PIECES: &[&str] = &[
        "a",
        "é",
        "😀",
        "\r\n",
        "\n",
        "\r",
        "\t",
        "fn ",
        "{",
        "}",
        "\"",
        "\\",
        "\u{0}",
        "\u{FEFF}",
        "\u{202E}",
        "Content-Length: 12\r\n\r\n",
    ];
    const METHODS: &[&str] = &[
        "textDocument/didChange",
        "textDocument/didOpen",
        "textDocument/didClose",
        "textDocument/didSave",
        "textDocument/hover",
        "textDocument/codeAction",
        "textDocument/codeLens",
        "workspace/executeCommand",
        "workspace/didChangeWatchedFiles",
        "vouch/aiEdit",
        "vouch/humanPaste",
        "vouch/pending",
        "vouch/debug/document",
        "$/cancelRequest",
        "$/setTrace",
        "no/such/method",
    ];
    const COMMANDS: &[&str] = &[
        "vouch.markAi",
        "vouch.markHuman",
        "vouch.showProvenance",
        "vouch.requestSignoff",
        "vouch.approve",
        "vouch.nope",
    ];

    impl Fuzz {
        pub fn new(seed: u64, root: &Path, uri: &str) -> Fuzz {
            Fuzz { state: seed, root: root.display().to_string(), uri: uri.to_string(), id: 1_000_000_000 }
        }

        fn next(&mut self) -> u64 {
            self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }

        fn chance(&mut self, one_in: u64) -> bool {
            self.below(one_in) == 0
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len() as u64) as usize]
        }

        fn text(&mut self) -> String {
            let n = self.below(8);
            (0..n).map(|_| self.pick(PIECES)).collect()
        }

        /// A number that is sometimes far out of range, or not a number.
        fn number(&mut self) -> Value {
            match self.below(12) {
                0 => json!(u32::MAX),
                1 => json!(-1),
                2 => json!(1.5),
                3 => json!("7"),
                4 => json!(u64::MAX),
                _ => json!(self.below(8)),
            }
        }

        fn position(&mut self) -> Value {
            json!({ "line": self.number(), "character": self.number() })
        }

        fn range(&mut self) -> Value {
            if self.chance(30) {
                return json!("nonsense");
            }
            json!({ "start": self.position(), "end": self.position() })
        }

        fn uri(&mut self) -> String {
            match self.below(6) {
                0 => {
                    let n = self.below(3);
                    format!("file://{}/other-{n}.rs", self.root)
                }
                1 => "file:///nowhere/x.py".into(),
                2 => "not a uri".into(),
                _ => self.uri.clone(),
            }
        }

        fn params(&mut self, method: &str) -> Value {
            let uri = self.uri();
            let doc = json!({ "uri": uri, "version": self.number() });
            match method {
                "textDocument/didChange" => {
                    let changes: Vec<Value> = (0..1 + self.below(4))
                        .map(|_| {
                            if self.chance(10) {
                                json!({ "text": self.text() })
                            } else {
                                json!({ "range": self.range(), "text": self.text() })
                            }
                        })
                        .collect();
                    json!({ "textDocument": doc, "contentChanges": changes })
                }
                "textDocument/didOpen" => {
                    let language = self.pick(&["rust", "python", "go", "plaintext", "??"]);
                    json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": self.text() } })
                }
                "workspace/executeCommand" => {
                    let command = self.pick(COMMANDS);
                    let args =
                        json!({ "uri": uri, "range": self.range(), "position": self.position(), "tool": "fuzz" });
                    json!({ "command": command, "arguments": [args] })
                }
                "vouch/aiEdit" | "vouch/humanPaste" => {
                    json!({ "textDocument": doc, "range": self.range(), "tool": "fuzz" })
                }
                "textDocument/hover" => json!({ "textDocument": doc, "position": self.position() }),
                "textDocument/codeAction" => {
                    json!({ "textDocument": doc, "range": self.range(), "context": { "diagnostics": [] } })
                }
                "$/cancelRequest" => json!({ "id": self.number() }),
                _ if self.chance(4) => json!([1, "two", null]),
                _ => json!({ "textDocument": doc }),
            }
        }

        /// A message, valid JSON-RPC with random contents, as bytes.
        fn message(&mut self) -> Vec<u8> {
            let method = self.pick(METHODS);
            let params = self.params(method);
            let mut msg = json!({ "jsonrpc": "2.0", "method": method, "params": params });
            let is_request = matches!(
                method,
                "textDocument/hover"
                    | "textDocument/codeAction"
                    | "textDocument/codeLens"
                    | "workspace/executeCommand"
                    | "vouch/pending"
                    | "vouch/debug/document"
                    | "no/such/method"
            );
            if is_request || self.chance(10) {
                self.id += 1;
                msg["id"] = json!(self.id);
            }
            if self.chance(15) {
                // A response to a request the server never made.
                msg = json!({ "jsonrpc": "2.0", "id": self.id, "result": null });
            }
            msg.to_string().into_bytes()
        }

        /// Bytes that are mostly wrong.
        fn mangle(&mut self, mut body: Vec<u8>) -> Vec<u8> {
            match self.below(5) {
                0 if !body.is_empty() => {
                    let at = self.below(body.len() as u64) as usize;
                    body[at] = self.next() as u8;
                }
                1 => {
                    let at = self.below(body.len() as u64 + 1) as usize;
                    body.truncate(at);
                }
                2 => {
                    // Invalid UTF-8 inside the message.
                    let at = self.below(body.len() as u64 + 1) as usize;
                    body.splice(at..at, [0xff, 0xc3, 0x28].into_iter().take(1 + self.below(3) as usize));
                }
                3 => body.extend_from_slice(self.text().as_bytes()),
                _ => {}
            }
            body
        }

        fn header(&mut self, body_len: usize) -> Vec<u8> {
            let length = match self.below(12) {
                0 => (body_len + 1 + self.below(50) as usize).to_string(),
                1 => body_len.saturating_sub(1 + self.below(10) as usize).to_string(),
                2 => "-5".into(),
                3 => "18446744073709551615".into(),
                4 => "100000000000".into(),
                5 => "".into(),
                6 => "0x10".into(),
                _ => body_len.to_string(),
            };
            let mut header = match self.below(8) {
                0 => String::new(),
                1 => format!("content-length: {length}\r\n"),
                2 => format!("Content-Length:{length}\n"),
                3 => format!("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: {length}\r\n"),
                4 => format!("Content-Length: {length}\r\nContent-Length: {length}\r\n"),
                _ => format!("Content-Length: {length}\r\n"),
            };
            if !self.chance(10) {
                header.push_str("\r\n");
            }
            header.into_bytes()
        }

        /// One piece of garbage: framed badly, or well around bad bytes.
        pub fn garbage(&mut self) -> Vec<u8> {
            match self.below(10) {
                0 => (0..self.below(200)).map(|_| self.next() as u8).collect(),
                1 => {
                    let n = self.below(20);
                    (0..n).flat_map(|_| self.pick(PIECES).as_bytes().to_vec()).collect()
                }
                2 | 3 => {
                    let body = self.message();
                    [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body].concat()
                }
                _ => {
                    let body = self.message();
                    let body = self.mangle(body);
                    [self.header(body.len()), body].concat()
                }
            }
        }
    }
}

/// LSP: the server exits with 0 after `shutdown` then `exit`, and with 1
/// when `exit` comes without a `shutdown` first (a client that crashed, or
/// skipped it): a supervisor can tell the two apart.
#[test]
fn exit_without_shutdown_is_exit_code_one() {
    let repo = TestRepo::new();
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.notify("exit", Value::Null);
    let status = server.wait_exit().expect("vouch lsp exits on `exit`");
    assert_eq!(status.code(), Some(1), "{status}");
    // The ordinary way out is 0 (checked inside `shutdown`).
    Server::start(&repo.root, &["utf-16"]).shutdown();
}

/// Red team (rt25b F2): a `file:` URI holding `%00` became a path with a NUL
/// byte, which git2 refuses by panicking (`Index::get_path`): every
/// analysis of the document failed as an internal error until the server
/// stopped tracking it. Such a path is no file git can hold: not tracked,
/// said once, and nothing else is disturbed.
#[test]
fn a_uri_holding_a_nul_byte_is_not_tracked_and_panics_nothing() {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", LIB);
    repo.commit_all("init");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    let nul = repo.uri("src/nul%00.rs");
    server.open(&nul, "rust", "fn a() {}\n");
    server.change(&nul, 2, json!([{ "range": range(0, 0, 0, 0), "text": AI_FN }]));
    let uri = repo.uri("src/lib.rs");
    server.open(&uri, "rust", LIB);
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": AI_FN }]));
    server.diagnostics(&uri, 2);
    server.assert_no_internal_errors(&repo.root);
}

/// Red team (rt26c B3): a document that is no file (VS Code's new unsaved
/// buffer `untitled:Untitled-1`, a `git:` view of a version) was taken
/// for the file its URI's path names, relative to where the server runs:
/// a mark in an unsaved buffer went to the repository's journal as a
/// record of `Untitled-1`. Only `file:` documents are the repository's.
#[test]
fn a_document_that_is_no_file_is_not_the_repositorys() {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", LIB);
    repo.commit_all("init");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    for uri in ["untitled:Untitled-1", "git:/src/lib.rs?%7B%22ref%22%3A%22HEAD%22%7D"] {
        server.open(uri, "rust", "fn a() {\n    1\n}\n");
        let said = server.request(
            "workspace/executeCommand",
            json!({ "command": "vouch.markAi", "arguments": [{ "uri": uri, "range": range(0, 0, 2, 1) }] }),
        );
        assert!(said.as_str().is_some_and(|s| s.contains("nothing is recorded")), "{said}");
        server.change(uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": "    // typed\n" }]));
        server.close(uri);
    }
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
    let journal = repo.root.join(".git/vouch/journal");
    let recorded: Vec<String> = std::fs::read_dir(&journal)
        .map(|entries| {
            entries.flatten().map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned()).collect()
        })
        .unwrap_or_default();
    for text in &recorded {
        assert!(!text.contains("Untitled-1") && !text.contains("src/lib.rs"), "recorded: {text}");
    }
}
