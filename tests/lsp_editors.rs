//! What the editors need from the language server (issue 14, items 4-9),
//! driven over JSON-RPC the way each editor talks: Helix offers `utf-8,
//! utf-32, utf-16`, sends a one-character range for a bare cursor, asks
//! for no prompts and shows no command result; the VS Code and Neovim
//! plugins say in `initializationOptions` that they prompt and show results.

mod support {
    pub mod lsp;
    pub mod repo;
}

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::lsp::{Server, range};
use support::repo::TestRepo;

const RUST: &str = "use std::fmt;\n\nfn human() -> u32 {\n    1\n}\n";
const GENERATED: &str = "fn generated(x: u32) -> u32 {\n    x * 2\n}\n";
/// A file name with a space: what the old Helix recipe broke on.
const FILE: &str = "src/my lib.rs";
const HELIX: &[&str] = &["utf-8", "utf-32", "utf-16"];

fn uri_of(repo: &TestRepo, rel: &str) -> String {
    repo.uri(rel).replace(' ', "%20")
}

fn titles(actions: &Value) -> Vec<String> {
    actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect()
}

fn code_actions(server: &mut Server, uri: &str, r: Value) -> Value {
    server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": r, "context": { "diagnostics": [] } }),
    )
}

fn run_action(server: &mut Server, actions: &Value, title_part: &str) -> Value {
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains(title_part))
        .unwrap_or_else(|| panic!("no action with {title_part:?} in {:?}", titles(actions)));
    let command = if action["command"].is_object() { &action["command"] } else { action };
    server.request(
        "workspace/executeCommand",
        json!({ "command": command["command"], "arguments": command["arguments"] }),
    )
}

/// A repository whose policy names reviewer@example.com, holding an
/// AI-written function in `FILE` whose sign-off dev@example.com requested
/// (with a rationale) from their editor, saved to disk.
fn requested_repo() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"reviewer@example.com\"]\n");
    repo.write(FILE, RUST);
    repo.commit_all("init");
    let uri = uri_of(&repo, FILE);
    let mut dev = Server::start_with_options(
        &repo.root,
        &["utf-16"],
        json!({ "promptsForArguments": true, "showsCommandResults": true }),
    );
    dev.open(&uri, "rust", RUST);
    dev.change(&uri, 2, json!([{ "range": range(5, 0, 5, 0), "text": GENERATED }]));
    dev.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(5, 0, 8, 0), "tool": "copilot" }),
    );
    dev.diagnostics(&uri, 2);
    let reply = dev.request(
        "workspace/executeCommand",
        json!({ "command": "vouch.requestSignoff", "arguments": [{ "uri": uri, "range": range(6, 0, 6, 0), "rationale": "doubles the price" }] }),
    );
    assert!(reply.as_str().unwrap().contains("requested sign-off for 1 unit"), "{reply}");
    dev.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    let text = dev.document(&uri)["text"].as_str().unwrap().to_string();
    repo.write(FILE, &text);
    dev.shutdown();
    (repo, text)
}

/// `vouch/pending` once the server has read the queue in the background.
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

/// 14.4: a reviewer who opens the repository, no file open yet, gets the
/// whole queue: the unit `vouch review --list --all` lists, where it is,
/// and a diagnostic on it for the workspace diagnostics picker.
#[test]
fn the_queue_is_the_repository_with_no_file_open() {
    let (repo, _) = requested_repo();
    repo.git(&["config", "user.email", "reviewer@example.com"]);
    let mut reviewer = Server::start(&repo.root, HELIX);
    reviewer.wait_for("vouch/pendingChanged", |_| true);
    let pending = settled_pending(&mut reviewer);
    let units = pending["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "{pending}");
    let unit = &units[0];
    assert_eq!(unit["path"], FILE);
    assert_eq!(unit["uri"], uri_of(&repo, FILE));
    assert_eq!(unit["state"], "requested");
    assert_eq!(unit["mayApprove"], true);
    assert_eq!(unit["requester"], "dev@example.com");
    assert_eq!(unit["rationale"], "doubles the price");
    assert_eq!(unit["located"], true);
    assert_eq!(unit["range"]["start"], json!({ "line": 5, "character": 0 }));
    assert_eq!(pending["reviewer"], "reviewer@example.com");
    // JSON-RPC lets a request leave its params out, and a third-party
    // client may (it got "Missing params field").
    reviewer.send_raw(br#"{"jsonrpc":"2.0","id":777,"method":"vouch/pending"}"#);
    let bare = reviewer.response(777);
    assert_eq!(bare["result"], pending, "{bare:#}");

    // Exactly what `vouch review` lists.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["review", "--list", "--all", "--format", "json"])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fingerprints = |units: &Value| -> Vec<String> {
        let mut f: Vec<String> =
            units.as_array().unwrap().iter().map(|u| u["fingerprint"].as_str().unwrap().to_string()).collect();
        f.sort();
        f
    };
    assert_eq!(fingerprints(&pending["units"]), fingerprints(&listed["units"]));

    // The file is not open: its unit is a diagnostic all the same.
    let uri = uri_of(&repo, FILE);
    let published = reviewer.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri);
    let diags = published["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{published}");
    assert_eq!(diags[0]["code"], "signoff-requested");
    assert_eq!(diags[0]["range"]["start"]["line"], 5);
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("requested by dev@example.com"), "{message}");
    assert!(message.contains("rationale: doubles the price"), "{message}");
    assert!(message.contains("you may sign it off"), "{message}");
    reviewer.shutdown();
}

/// 14.5: the requester sees their unit in the queue, but not as theirs to
/// approve (the VS Code queue showed Approve to the author).
#[test]
fn the_author_may_not_approve_from_the_queue() {
    let (repo, _) = requested_repo();
    let mut dev = Server::start(&repo.root, &["utf-16"]);
    let pending = settled_pending(&mut dev);
    let units = pending["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "{pending}");
    assert_eq!(units[0]["mayApprove"], false);
    assert_eq!(pending["reviewer"], "dev@example.com");
    dev.shutdown();
}

/// 14.5, 14.6 for Helix: a bare cursor (a one-character range) offers no
/// "mark selection"; a reject, which needs a comment Helix cannot ask for,
/// is not offered; what a command did comes as a message.
#[test]
fn helix_is_offered_only_what_works_and_told_what_happened() {
    let (repo, text) = requested_repo();
    repo.git(&["config", "user.email", "reviewer@example.com"]);
    let uri = uri_of(&repo, FILE);
    let mut helix = Server::start(&repo.root, HELIX);
    assert_eq!(helix.encoding, "utf-8");
    helix.open(&uri, "rust", &text);
    // The `d` of `fn generated`'s body line, as Helix selects it.
    let cursor = code_actions(&mut helix, &uri, range(6, 4, 6, 5));
    let offered = titles(&cursor);
    assert!(offered.iter().any(|t| t.contains("approve function `generated`")), "{offered:?}");
    assert!(!offered.iter().any(|t| t.contains("reject")), "{offered:?}");
    assert!(!offered.iter().any(|t| t.contains("mark selection")), "{offered:?}");
    // A selection offers marks, though not over text the editor recorded
    // as an AI's (a person's word never outranks that record).
    let selection = titles(&code_actions(&mut helix, &uri, range(6, 4, 6, 9)));
    assert!(!selection.iter().any(|t| t.contains("mark selection")), "{selection:?}");
    let own = titles(&code_actions(&mut helix, &uri, range(2, 0, 2, 8)));
    assert!(own.iter().any(|t| t.contains("mark selection as human-written")), "{own:?}");

    let reply = run_action(&mut helix, &cursor, "approve");
    assert!(reply.as_str().unwrap().contains("approved 1 unit(s) as reviewer@example.com"), "{reply}");
    let shown = helix.wait_for("window/showMessage", |p| p["message"].as_str().unwrap_or("").contains("approved"));
    assert_eq!(shown["type"], 3, "{shown}");
    assert_eq!(shown["message"], "vouch: approved 1 unit(s) as reviewer@example.com");
    helix.shutdown();
}

/// 14.5: a reject from a client that prompts is offered; one from Helix is
/// given with `path` and `line` (its `%{buffer_name}` and `%{cursor_line}`)
/// on a path with a space, the comment on the command line.
#[test]
fn helix_rejects_by_path_and_line_with_a_comment() {
    let (repo, text) = requested_repo();
    repo.git(&["config", "user.email", "reviewer@example.com"]);
    let uri = uri_of(&repo, FILE);

    let mut plugin = Server::start_with_options(
        &repo.root,
        &["utf-16"],
        json!({ "promptsForArguments": true, "showsCommandResults": true }),
    );
    plugin.open(&uri, "rust", &text);
    let offered = titles(&code_actions(&mut plugin, &uri, range(6, 4, 6, 4)));
    assert!(offered.iter().any(|t| t.contains("reject function `generated`")), "{offered:?}");
    plugin.shutdown();

    let mut helix = Server::start(&repo.root, HELIX);
    helix.open(&uri, "rust", &text);
    let no_comment = helix.request_raw(
        "workspace/executeCommand",
        json!({ "command": "vouch.reject", "arguments": [{ "path": FILE, "line": 7 }] }),
    );
    let why = no_comment["error"]["message"].as_str().unwrap_or("");
    assert!(why.contains("a rejection needs a comment"), "{no_comment}");
    let missing = helix.request_raw(
        "workspace/executeCommand",
        json!({ "command": "vouch.reject", "arguments": [{ "path": "src/other.rs", "line": 7, "comment": "x" }] }),
    );
    assert!(
        missing["error"]["message"].as_str().unwrap_or("").contains("no open document is src/other.rs"),
        "{missing}"
    );
    let reply = helix.request(
        "workspace/executeCommand",
        json!({ "command": "vouch.reject", "arguments": [{ "path": FILE, "line": 7, "comment": "validate x first" }] }),
    );
    assert!(reply.as_str().unwrap().contains("rejected 1 unit(s) as reviewer@example.com"), "{reply}");
    let diags = helix.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p["diagnostics"][0]["code"] == "signoff-rejected"
    });
    assert!(diags["diagnostics"][0]["message"].as_str().unwrap().contains("validate x first"), "{diags}");
    helix.shutdown();
}

/// 14.8: a changed git identity counts for the next action, without a
/// restart.
#[test]
fn a_changed_identity_counts_without_a_restart() {
    let (repo, text) = requested_repo();
    let uri = uri_of(&repo, FILE);
    let mut server = Server::start_with_options(
        &repo.root,
        &["utf-16"],
        json!({ "promptsForArguments": true, "showsCommandResults": true }),
    );
    server.open(&uri, "rust", &text);
    server.diagnostics(&uri, 1);
    let before = titles(&code_actions(&mut server, &uri, range(6, 4, 6, 4)));
    assert!(!before.iter().any(|t| t.contains("approve")), "{before:?}");

    repo.git(&["config", "user.email", "reviewer@example.com"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let actions = loop {
        let actions = code_actions(&mut server, &uri, range(6, 4, 6, 4));
        if titles(&actions).iter().any(|t| t.contains("approve")) {
            break actions;
        }
        assert!(Instant::now() < deadline, "approve never offered after the identity changed: {:?}", titles(&actions));
        std::thread::sleep(Duration::from_millis(100));
    };
    let reply = run_action(&mut server, &actions, "approve");
    assert!(reply.as_str().unwrap().contains("as reviewer@example.com"), "{reply}");
    server.shutdown();
}

/// 14.7: declaring a suspected insertion human leaves no "suspected" mark
/// on the blank lines that came with it, and the unit's diagnostic is one
/// line.
#[test]
fn declaring_a_suspected_insertion_human_clears_its_blank_lines() {
    let repo = TestRepo::new();
    let original = "fn a() {}\n";
    repo.write("src/lib.rs", original);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, HELIX);
    server.open(&uri, "rust", original);
    let block =
        "fn big(values: &[u32]) -> u32 {\n    values.iter().copied().filter(|v| v % 2 == 0).sum::<u32>()\n}\n\n\n";
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": block }]));
    let diags = server.diagnostics(&uri, 2);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "suspected-ai");
    assert_eq!(diags[0]["range"], range(1, 0, 1, 31), "one line, not the unit");
    let actions = code_actions(&mut server, &uri, range(2, 4, 2, 5));
    // What the server published so far is of the text before the
    // declaration.
    server.take_notifications("vouch/regions", |p| p["uri"] == uri);
    let reply = run_action(&mut server, &actions, "declare function `big` human-written");
    assert!(reply.as_str().unwrap().starts_with("marked"), "{reply}");
    // Regions with no suspected mark come (else this times out).
    server.wait_for("vouch/regions", |p| {
        p["uri"] == uri && !p["regions"].as_array().unwrap().iter().any(|r| r["state"] == "suspected")
    });
    let doc = server.document(&uri);
    let suspected: Vec<&Value> =
        doc["spans"].as_array().unwrap().iter().filter(|s| s["evidence"] == "heuristic").collect();
    assert!(suspected.is_empty(), "{doc}");
    server.shutdown();
}

/// After an approval from the editor, the records are read again off the
/// thread that answers every message: reading them can take long (every
/// 512 records their cache is rewritten). Here the records cache is a FIFO
/// that nothing writes to until the test does, so reading it blocks: the
/// approval is recorded and answered at once, and nothing is judged
/// without it; once the read is in, the unit shows approved, and a hover
/// says so.
#[test]
fn an_approval_from_the_editor_is_read_back_off_the_state_thread() {
    let (repo, text) = requested_repo();
    repo.git(&["config", "user.email", "reviewer@example.com"]);
    let uri = uri_of(&repo, FILE);
    let mut helix = Server::start(&repo.root, HELIX);
    helix.open(&uri, "rust", &text);
    helix.wait_for("vouch/regions", |p| p["uri"] == uri.as_str());
    let cursor = code_actions(&mut helix, &uri, range(6, 4, 6, 5));
    let fifo = repo.root.join(".git/vouch/cache/approval.keyed");
    assert!(fifo.is_file(), "the records were read through their cache");
    support::repo::block_reads_of(&fifo);

    let reply = run_action(&mut helix, &cursor, "approve");
    assert!(reply.as_str().unwrap().contains("approved 1 unit(s) as reviewer@example.com"), "{reply}");
    let regions = helix.take_notifications("vouch/regions", |p| p["uri"] == uri.as_str());
    assert!(regions.is_empty(), "judged without the approval just written: {regions:?}");

    support::repo::release_fifo(&fifo);
    let approved = helix.wait_for("vouch/regions", |p| {
        p["uri"] == uri.as_str() && p["regions"].as_array().is_some_and(|r| r.iter().any(|r| r["state"] == "approved"))
    });
    assert!(approved["regions"].as_array().unwrap().iter().all(|r| r["state"] == "approved"), "{approved:#}");
    let hover = json!({ "textDocument": { "uri": uri }, "position": { "line": 6, "character": 4 } });
    let shown = helix.request("textDocument/hover", hover);
    assert!(shown.to_string().contains("approved by reviewer@example.com"), "{shown:#}");
    helix.shutdown();
}

/// A client that spells a file's URI otherwise than the server (Neovim
/// writes `+`, `[`, `(` as they are and lowercase hex; any client may
/// encode a letter): the queue's diagnostic on the file, published under
/// the server's spelling while it was closed, gave way to nothing once it
/// was open, and the file showed the request twice.
#[test]
fn a_file_open_under_another_spelling_of_its_uri_drops_its_queue_diagnostic() {
    let (repo, text) = requested_repo();
    repo.git(&["config", "user.email", "reviewer@example.com"]);
    let mut reviewer = Server::start(&repo.root, HELIX);
    let ours = uri_of(&repo, FILE);
    reviewer.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == ours && p["diagnostics"] != json!([]));
    // The same file: `b` percent-encoded, as RFC 3986 allows.
    let theirs = ours.replace("lib.rs", "li%62.rs");
    assert_ne!(theirs, ours);
    reviewer.open(&theirs, "rust", &text);
    reviewer.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == ours && p["diagnostics"] == json!([]));
    let own = reviewer.diagnostics(&theirs, 1);
    assert_eq!(own.iter().filter(|d| d["code"] == "signoff-requested").count(), 1, "{own:?}");
    reviewer.shutdown();
}

/// Helix and Zed send some characters of a path raw in a URI (`[`, `]`,
/// spaces: Next.js's `app/[slug]/page.tsx`), which the server's URI type
/// refused: the document was never opened (its requests failed with
/// "invalid params"), and a workspace root holding one failed `initialize`.
/// They are taken percent-encoded; what comes back names the file
/// encoded, which is the same path.
#[test]
fn uris_a_client_sends_with_raw_brackets_and_spaces_open_and_answer() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"reviewer@example.com\"]\n");
    repo.write("[w] s/app/[slug]/page.ts", "export const a = 1;\n");
    repo.commit_all("init");
    let mut server = Server::start(&repo.root.join("[w] s"), HELIX);
    let raw = repo.uri("[w] s/app/[slug]/page.ts");
    let encoded = raw.replace('[', "%5B").replace(']', "%5D").replace(' ', "%20");
    server.open(&raw, "typescript", "export const a = 1;\n");
    let text = "export function generated(x: number): number {\n  return x * 2;\n}\n";
    server.change(&raw, 2, json!([{ "range": range(1, 0, 1, 0), "text": text }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": raw, "version": 2 }, "range": range(1, 0, 4, 0), "tool": "copilot" }),
    );
    let diagnostics = server.diagnostics(&encoded, 2);
    assert_eq!(diagnostics.iter().filter(|d| d["code"] == "unreviewed-ai").count(), 1, "{diagnostics:?}");
    let lenses = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": raw } }));
    assert_eq!(lenses.as_array().map(Vec::len), Some(1), "{lenses:#}");
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": raw }, "position": { "line": 2, "character": 4 } }),
    );
    assert!(hover["contents"]["value"].as_str().unwrap_or_default().contains("copilot"), "{hover:#}");
    server.shutdown();
}

/// Red team: in a terminal editor (Neovim, Helix), approving with a signing
/// key that has a passphrase and is not in an SSH agent made `ssh-keygen`
/// ask for the passphrase on the editor's terminal: the prompt landed on
/// the editor's screen, the keys typed next went to whichever read first,
/// and the server answered nothing meanwhile. Signing from the server
/// never reaches the terminal: the approval fails at once, saying what to
/// do, and the server goes on.
#[test]
fn approving_from_a_terminal_editor_never_asks_for_a_passphrase_on_its_terminal() {
    let (repo, text) = requested_repo();
    repo.git(&["config", "user.email", "reviewer@example.com"]);
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id_ed25519");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "a passphrase", "-C", "reviewer", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", &key.display().to_string()]);
    let mut terminal = support::lsp::Terminal::new();
    // No agent, and no display for a graphical askpass.
    let env = [("SSH_AUTH_SOCK", ""), ("DISPLAY", ""), ("WAYLAND_DISPLAY", "")];
    let options = json!({ "promptsForArguments": true, "showsCommandResults": true });
    let mut server = Server::start_on_terminal(&repo.root, options, &env, &terminal);
    let uri = uri_of(&repo, FILE);
    server.open(&uri, "rust", &text);
    server.diagnostics(&uri, 1);
    let actions = code_actions(&mut server, &uri, range(6, 4, 6, 4));
    let approve = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("approve"))
        .unwrap_or_else(|| panic!("approve offered: {:?}", titles(&actions)));
    let reply = server.request_raw(
        "workspace/executeCommand",
        json!({ "command": approve["command"]["command"], "arguments": approve["command"]["arguments"] }),
    );
    let message = reply["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("passphrase") && message.contains("ssh-add"), "{reply:#}");
    assert_eq!(terminal.written(), "", "something was written to the editor's terminal");
    // Nothing was recorded, and the server answers.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 6, "character": 4 } }),
    );
    assert!(!hover.to_string().contains("approved by"), "{hover:#}");
    server.shutdown();
}

/// Red team (rt29e N2, real VS Code): Save As opens the new file empty and
/// sends its whole text as one insertion, with no report: the accepted
/// completion became merely "suspected" (as did the person's lines), and
/// the gate, which suspected text does not stop, passed it. A large
/// insertion that makes a document the copy of another open one takes
/// that document's provenance.
#[test]
fn save_as_keeps_the_provenance_of_the_document_saved() {
    let repo = TestRepo::new();
    let base = "import math\n\ndef greet(name):\n    return \"hi \" + name\n\n\n";
    let completion = "def add(a, b):\n    return a + b\n";
    repo.write("app.py", base);
    repo.commit_all("init");
    let (app, copy) = (repo.uri("app.py"), repo.uri("new.py"));
    let mut server = Server::start_as(&repo.root, &["utf-16"], "Visual Studio Code");
    server.open(&app, "python", base);
    server.change(&app, 2, json!([{ "range": range(6, 0, 6, 0), "text": completion }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": app, "version": 2 }, "range": range(6, 0, 8, 0), "tool": "vscode-inline" }),
    );
    let whole = format!("{base}{completion}");
    server.open(&copy, "python", "");
    repo.write("new.py", &whole);
    server.change(&copy, 2, json!([{ "range": range(0, 0, 0, 0), "text": whole }]));
    let codes: Vec<String> =
        server.diagnostics(&copy, 2).iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect();
    assert!(!codes.iter().any(|c| c == "suspected-ai"), "{codes:?}");
    let doc = server.document(&copy);
    let spans: Vec<(&str, &str)> = doc["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["origin"] == "ai")
        .map(|s| (s["text"].as_str().unwrap_or(""), s["tool"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(spans, [(completion, "vscode-inline")], "{doc}");
    server.shutdown();
}
