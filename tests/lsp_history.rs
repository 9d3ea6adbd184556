//! History's account of an open file (what `git blame` and the notes say
//! of its lines) in the language server.
//!
//! It is read off the state thread: while a file with a long history is
//! blamed, the server goes on with the other files, and the edits made to
//! the file meanwhile keep what they are while history's account lands on
//! the text they left unchanged. It is kept while HEAD and the notes stay
//! as they were: a file opened again, or reloaded to a version the server
//! read, is not blamed again. What history says that is new (a note
//! added, a commit) shows the next time the file is read.

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::{Value, json};
use support::lsp::{Server, range};
use support::repo::TestRepo;

const FILE: &str = "src/lib.rs";
const FIRST: &str = "pub fn discount(total: u64) -> u64 {\n    let cut = total / 10;\n    total - cut\n}\n";
const SECOND: &str = "pub fn markup(total: u64) -> u64 {\n    let add = total / 5;\n    total + add\n}\n";

/// The AI spans the server gives `FILE` when it is opened with `text`, as
/// `(first line, last line, tool)`; the file is closed again.
fn ai_lines(server: &mut Server, repo: &TestRepo, text: &str) -> Vec<(usize, usize, String)> {
    let uri = repo.uri(FILE);
    server.open(&uri, "rust", text);
    let doc = server.document(&uri);
    server.close(&uri);
    let spans = doc["spans"].as_array().cloned().unwrap_or_default();
    spans
        .iter()
        .filter(|s| s["origin"] == "ai")
        .map(|s| {
            let (start, end) = (&s["range"]["start"], &s["range"]["end"]);
            let last = end["line"].as_u64().unwrap() + u64::from(end["character"] != 0);
            (
                start["line"].as_u64().unwrap() as usize + 1,
                last as usize,
                s["tool"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn history_reads(server: &mut Server) -> u64 {
    let stats: Value = server.request("vouch/debug/stats", json!({}));
    stats["historyReads"].as_u64().expect("historyReads in vouch/debug/stats")
}

#[test]
fn a_version_read_once_is_not_blamed_again() {
    let repo = claude_wrote(FIRST);
    repo.write("src/plain.rs", SECOND);
    repo.commit_all("a person's file");
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", FIRST);
    assert_eq!(history_reads(&mut server), 1);
    // A reload to the committed text (the whole text in one change), and the
    // file closed and opened again: history is not read again.
    server.change(&uri, 2, json!([{ "text": format!("{FIRST}// x\n") }]));
    server.change(&uri, 3, json!([{ "text": FIRST }]));
    server.close(&uri);
    server.open(&uri, "rust", FIRST);
    assert_eq!(history_reads(&mut server), 1);
    // Another version is read.
    server.close(&uri);
    server.open(&uri, "rust", SECOND);
    assert_eq!(history_reads(&mut server), 2);
    // A file no AI commit, note or bot touched is not blamed at all.
    server.open(&repo.uri("src/plain.rs"), "rust", SECOND);
    assert_eq!(history_reads(&mut server), 2);
    server.shutdown();
}

#[test]
fn what_history_says_later_shows_when_the_file_is_read_again() {
    let repo = TestRepo::new();
    repo.write(FILE, FIRST);
    repo.commit_all("discount");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    assert_eq!(ai_lines(&mut server, &repo, FIRST), Vec::new(), "a person's commit");

    // A git-ai note on that commit, added after the server read it.
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let note = format!(
        "{FILE}\n  0123456789abcdef 1-4\n---\n{{\"schema_version\":\"authorship/3.0.0\",\"git_ai_version\":\"1.3.4\",\
         \"base_commit_sha\":\"0000000000000000000000000000000000000000\",\"prompts\":{{\"0123456789abcdef\":\
         {{\"agent_id\":{{\"tool\":\"cursor\",\"id\":\"p1\",\"model\":\"gpt-5\"}},\"human_author\":\"A <a@example.com>\",\
         \"messages\":[],\"total_additions\":4,\"total_deletions\":0,\"accepted_lines\":4,\"overriden_lines\":0}}}}}}\n"
    );
    repo.git(&["notes", "--ref=ai", "add", "-m", &note, &head]);
    // As an editor watching the repository says it (else the server's
    // next poll finds it): which paths history may hold AI text in is read
    // again then.
    server.notify("workspace/didChangeWatchedFiles", json!({ "changes": [] }));
    assert_eq!(ai_lines(&mut server, &repo, FIRST), vec![(1, 4, "cursor".to_string())], "the note, read again");

    // Text not committed yet has no history; once a commit with an AI
    // trailer brings it, it has, before the server polls the repository
    // (the version's history is kept for the HEAD it was read at).
    let both = format!("{FIRST}\n{SECOND}");
    assert_eq!(ai_lines(&mut server, &repo, &both), vec![(1, 4, "cursor".to_string())]);
    claude_commits(&repo, &both);
    assert_eq!(
        ai_lines(&mut server, &repo, &both),
        vec![(1, 4, "cursor".to_string()), (5, 9, "claude".to_string())],
        "the commit, read again"
    );
    server.shutdown();
}

/// A directory holding a `git` that takes `seconds` more for `git blame`,
/// then runs the real git: a file with a long history.
fn slow_blame(seconds: f64) -> tempfile::TempDir {
    let real =
        String::from_utf8(std::process::Command::new("sh").args(["-c", "command -v git"]).output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
    let dir = tempfile::tempdir().unwrap();
    let script =
        format!("#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = blame ] && sleep {seconds}; done\nexec {real} \"$@\"\n");
    let git = dir.path().join("git");
    std::fs::write(&git, script).unwrap();
    std::fs::set_permissions(&git, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    dir
}

/// A server whose `git blame` takes `seconds` more, and the directory of
/// the `git` that makes it so (kept while the server runs).
fn server_with_slow_blame(repo: &TestRepo, seconds: f64) -> (Server, tempfile::TempDir) {
    let bin = slow_blame(seconds);
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    (Server::start_with_env(&repo.root, &["utf-16"], &[("PATH", &path)]), bin)
}

/// Commit `text` as `FILE` with Claude's trailer.
fn claude_commits(repo: &TestRepo, text: &str) {
    repo.write(FILE, text);
    repo.git(&["add", FILE]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "change\n\nCo-authored-by: Claude <noreply@anthropic.com>\n"]);
}

/// A repository whose one commit, Claude's, wrote `text` as `FILE`.
fn claude_wrote(text: &str) -> TestRepo {
    let repo = TestRepo::new();
    claude_commits(&repo, text);
    repo
}

#[test]
fn other_files_are_served_while_a_files_history_is_read() {
    let repo = claude_wrote(FIRST);
    let (mut server, _git, other, uri) = other_file_served_while_history_is_read(&repo);
    // The editor asks for the file's code lenses at once, as VS Code does:
    // answered without waiting for the file's history (the client's
    // messages are handled one at a time). A keystroke in the other file
    // is handled, and a request about it answered, before the blame of this
    // one is done; nothing of this file has been published yet.
    let lenses = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(lenses, json!([]), "no units known before history is in");
    // So are the code actions it asks for on its own at the cursor (its
    // lightbulb), from what is known then; it asks again when the
    // diagnostics change.
    let automatic = json!({
        "textDocument": { "uri": uri },
        "range": range(1, 4, 1, 4),
        "context": { "diagnostics": [], "triggerKind": 2 },
    });
    let titles = |actions: &Value| -> Vec<String> {
        actions.as_array().into_iter().flatten().filter_map(|a| a["title"].as_str().map(str::to_string)).collect()
    };
    let asked = server.request("textDocument/codeAction", automatic);
    assert_eq!(titles(&asked), Vec::<String>::new(), "no units known before history is in");
    // So is a hover (asked for whenever the pointer rests on text): it
    // says that history is still being read.
    let hover = json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 4 } });
    let shown = server.request("textDocument/hover", hover.clone());
    let said = shown["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(said.contains("still reading this file's history"), "{shown:#}");
    assert!(!said.contains("AI-written"), "nothing of history is known yet: {shown:#}");
    server.change(&other, 2, json!([{ "range": range(0, 0, 0, 0), "text": "x" }]));
    assert_eq!(server.document(&other)["text"], "xfn other() {}\n");
    // A command on the other file does not wait for this one's history.
    let marked = server.request(
        "workspace/executeCommand",
        json!({ "command": "vouch.markHuman", "arguments": [{ "uri": other, "range": range(0, 0, 0, 1) }] }),
    );
    assert_eq!(marked, json!("marked 1 line as human-written"));
    // None of these waited for the file's history: its diagnostics, which
    // come with it, have not come.
    let published = server.take_notifications("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str());
    assert!(published.is_empty(), "the file's diagnostics came before its history: {published:?}");
    // Code actions asked for by hand wait for it.
    let invoked = json!({
        "textDocument": { "uri": uri },
        "range": range(1, 4, 1, 4),
        "context": { "diagnostics": [], "triggerKind": 1 },
    });
    let asked = server.request("textDocument/codeAction", invoked);
    assert!(
        titles(&asked).iter().any(|t| t == "vouch: show provenance of function `discount`"),
        "the actions of the AI function history gives: {asked:#}"
    );
    // They come once it is in, and the file has the AI lines history gives
    // it.
    server.diagnostics(&uri, 1);
    let doc = server.document(&uri);
    let ai: Vec<&Value> = doc["spans"].as_array().unwrap().iter().filter(|s| s["origin"] == "ai").collect();
    assert_eq!(ai.len(), 1, "{doc:#}");
    assert_eq!((ai[0]["text"].as_str(), ai[0]["tool"].as_str()), (Some(FIRST), Some("claude")), "{doc:#}");
    // The hover then shows what history says, and no longer that it is
    // being read.
    let shown = server.request("textDocument/hover", hover);
    let said = shown["contents"]["value"].as_str().unwrap_or_default();
    assert!(said.contains("**AI-written** by `claude`"), "{shown:#}");
    assert!(!said.contains("still reading"), "{shown:#}");
    server.shutdown();
}

#[test]
fn edits_made_while_history_is_read_keep_what_they_are() {
    let repo = claude_wrote(FIRST);
    let (mut server, _git) = server_with_slow_blame(&repo, 0.5);
    let uri = repo.uri(FILE);
    server.open(&uri, "rust", FIRST);
    // Typed at once, before the blame is done: a line above the function
    // and a word inside it.
    server.change(&uri, 2, json!([{ "range": range(0, 0, 0, 0), "text": "// typed\n" }]));
    server.change(&uri, 3, json!([{ "range": range(2, 24, 2, 24), "text": " + 0" }]));
    let doc = server.document(&uri);
    let text = doc["text"].as_str().unwrap();
    assert_eq!(
        text,
        "// typed\npub fn discount(total: u64) -> u64 {\n    let cut = total / 10 + 0;\n    total - cut\n}\n"
    );
    let spans = doc["spans"].as_array().unwrap();
    let of = |origin: &str| -> Vec<String> {
        spans.iter().filter(|s| s["origin"] == origin).map(|s| s["text"].as_str().unwrap().to_string()).collect()
    };
    // History's account lands on the text the edits left unchanged, and
    // only there; what was typed stays the person's.
    assert_eq!(
        of("ai"),
        vec!["pub fn discount(total: u64) -> u64 {\n    let cut = total / 10", ";\n    total - cut\n}\n"],
        "{doc:#}"
    );
    assert_eq!(of("human"), vec!["// typed\n", " + 0"], "{doc:#}");
    server.shutdown();
}

/// What a repository's units are judged by (its records, which a fresh
/// clone reads from the records branch's whole history, and the range
/// since BASE: seconds in a long history) is read off the state thread, as
/// a file's history is. Here the records cache is a FIFO that nothing
/// writes to until the test does: reading it blocks. Meanwhile the server
/// answers about the file from what it knows and takes the edits; once the
/// read is in, the file is given history's account and judged.
#[test]
fn the_records_and_range_are_read_off_the_state_thread() {
    let repo = claude_wrote(FIRST);
    let fifo = repo.root.join(".git/vouch/cache/approval.keyed");
    support::repo::block_reads_of(&fifo);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    let uri = repo.uri(FILE);
    server.open(&uri, "rust", FIRST);
    let lenses = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(lenses, json!([]), "no units known before the records are read");
    let hover = json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 4 } });
    let shown = server.request("textDocument/hover", hover.clone());
    assert!(!shown.to_string().contains("AI-written"), "nothing of history is known yet: {shown:#}");
    server.change(&uri, 2, json!([{ "range": range(0, 0, 0, 0), "text": "// typed\n" }]));
    let published = server.take_notifications("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str());
    assert!(published.is_empty(), "judged before the records were read: {published:?}");

    // Let the reads go on: what they read is not a cache, so they read the
    // records branch and write the cache anew (a file in the FIFO's place).
    support::repo::release_fifo(&fifo);
    // Then the file is analysed, with history's account of the text it
    // was opened with carried onto the text typed since.
    server.diagnostics(&uri, 2);
    let doc = server.document(&uri);
    let spans = doc["spans"].as_array().unwrap();
    let of = |origin: &str| -> Vec<&str> {
        spans.iter().filter(|s| s["origin"] == origin).map(|s| s["text"].as_str().unwrap()).collect()
    };
    assert_eq!(of("ai"), vec![FIRST], "{doc:#}");
    assert_eq!(of("human"), vec!["// typed\n"], "{doc:#}");
    let shown = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 2, "character": 4 } }),
    );
    assert!(shown.to_string().contains("**AI-written** by `claude`"), "{shown:#}");
    server.shutdown();
}

/// Red team (rt25e F3): an AI completion that repeats the line above it
/// lands while the repository's first read is still under way. The
/// server writes its own journal record of it at once; when the read is
/// in, the store's account of the text as opened must not carry that
/// record backwards onto it, where the person's copy of the line stands.
#[test]
fn an_ai_line_equal_to_the_persons_line_above_it_stays_apart_when_the_first_read_lands_late() {
    let opened = "fn a() {\n    let x = 1;\n}\n\nfn b() -> u32 {\n    42\n}\n";
    let repo = TestRepo::new();
    repo.write(FILE, opened);
    repo.git(&["add", FILE]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "a person's code"]);
    let fifo = repo.root.join(".git/vouch/cache/approval.keyed");
    support::repo::block_reads_of(&fifo);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    let uri = repo.uri(FILE);
    server.open(&uri, "rust", opened);
    // The person types above `fn b`, then the AI inserts `    42` after
    // the person's `    42`.
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": "// typed\n" }]));
    server.change(&uri, 3, json!([{ "range": range(7, 0, 7, 0), "text": "    42\n" }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "range": range(7, 0, 8, 0), "tool": "copilot" }),
    );
    support::repo::release_fifo(&fifo);
    server.diagnostics(&uri, 3);
    let doc = server.document(&uri);
    let text = doc["text"].as_str().unwrap();
    assert_eq!(text, "fn a() {\n    let x = 1;\n}\n// typed\n\nfn b() -> u32 {\n    42\n    42\n}\n");
    let ai: Vec<(u64, &str)> = support::lsp::ai_spans(&doc)
        .iter()
        .map(|s| (s["range"]["start"]["line"].as_u64().unwrap(), s["text"].as_str().unwrap()))
        .collect();
    assert_eq!(ai, vec![(7, "    42\n")], "only the AI's copy is AI: {doc:#}");
    server.shutdown();
}

/// Red team: right after a file opens, while its history is read, an AI
/// completion lands and a client that cannot be asked to refresh its code
/// lenses asks for them: it got none, and kept none, although the server
/// knew the AI text (code actions and hovers asked at the same moment
/// showed it). Such a client is answered from what the server knows of the
/// file now; history's units come with the diagnostics when it is in.
#[test]
fn a_client_that_cannot_refresh_lenses_sees_the_ai_text_it_reported_while_history_is_read() {
    let repo = TestRepo::new();
    repo.write(FILE, "// top\n");
    repo.git(&["add", FILE]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "top"]);
    let (mut server, _git) = server_with_slow_blame(&repo, 3.0);
    // The repository's records and range read first (a document opened
    // before that waits for them, and its lenses are none by design): a
    // file no commit touched is judged, and published, once they are in.
    let other = repo.uri("src/other.rs");
    server.open(&other, "rust", "// other\n");
    server.diagnostics(&other, 1);
    let uri = repo.uri(FILE);
    server.open(&uri, "rust", "// top\n");
    let body = "fn ai() {\n    let x = 1;\n}\n";
    server.change(&uri, 2, json!([{ "range": range(1, 0, 1, 0), "text": body }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(1, 0, 4, 0), "tool": "copilot" }),
    );
    let lenses = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(lenses.as_array().map(Vec::len), Some(1), "{lenses:#}");
    assert!(lenses[0]["command"]["title"].as_str().unwrap_or_default().contains("copilot"), "{lenses:#}");
    server.shutdown();
}

/// A server whose `git blame` takes 3 s more, with another file open and
/// served, and `FILE` just opened (its history being read): the server,
/// the directory of its `git`, and the two files' URIs.
fn other_file_served_while_history_is_read(repo: &TestRepo) -> (Server, tempfile::TempDir, String, String) {
    let (mut server, git) = server_with_slow_blame(repo, 3.0);
    let other = repo.uri("src/other.rs");
    server.open(&other, "rust", "fn other() {}\n");
    server.document(&other);
    let uri = repo.uri(FILE);
    server.open(&uri, "rust", FIRST);
    (server, git, other, uri)
}

/// The titles of the code actions in `actions`.
fn titles(actions: &Value) -> Vec<String> {
    actions.as_array().into_iter().flatten().filter_map(|a| a["title"].as_str().map(str::to_string)).collect()
}

/// Red team: a code action asked for by hand (Ctrl+.) waits for the file's
/// history, and while it waited the server answered nothing else: a
/// keystroke and a hover in another file waited for the `git blame` (tens
/// of seconds in a large repository). It now waits alone: the other file is
/// served meanwhile, and an edit of the same file made after the request
/// is applied after it is answered, so that the answer is about the text
/// it was asked about.
#[test]
fn a_code_action_asked_for_by_hand_waits_for_history_without_holding_up_other_files() {
    let repo = claude_wrote(FIRST);
    let (mut server, _git, other, uri) = other_file_served_while_history_is_read(&repo);
    let invoked = json!({
        "textDocument": { "uri": uri },
        "range": range(1, 4, 1, 4),
        "context": { "diagnostics": [], "triggerKind": 1 },
    });
    let asked = server.send_request("textDocument/codeAction", invoked);
    // A line typed above the function right after asking.
    server.change(&uri, 2, json!([{ "range": range(0, 0, 0, 0), "text": "// typed\n" }]));
    // The person goes on in the other file.
    server.change(&other, 2, json!([{ "range": range(0, 0, 0, 0), "text": "x" }]));
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": other }, "position": { "line": 0, "character": 4 } }),
    );
    assert!(hover.is_null() || hover.is_object(), "{hover:#}");
    assert_eq!(server.document(&other)["text"], "xfn other() {}\n");
    assert!(!server.answered(asked), "the code action was answered before the file's history was in");
    let published = server.take_notifications("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str());
    assert!(published.is_empty(), "the file's history came before the other file was served: {published:?}");

    // The code action, once history is in, about the text it was asked
    // about: the function on the first line, not the second.
    let reply = server.response(asked);
    let actions = &reply["result"];
    let show = actions
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["title"] == "vouch: show provenance of function `discount`")
        .unwrap_or_else(|| panic!("the actions of the AI function: {:?}", titles(actions)));
    assert_eq!(show["command"]["arguments"][0]["range"]["start"]["line"], 0, "{show:#}");
    // The edit made after it is applied, and history's account lands on
    // the text it left unchanged.
    let doc = server.document(&uri);
    assert_eq!(doc["text"], format!("// typed\n{FIRST}"));
    let ai: Vec<&str> = doc["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["origin"] == "ai")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(ai, vec![FIRST], "{doc:#}");
    server.shutdown();
}

/// Red team: a person who gives up on a slow code action (Esc sends
/// `$/cancelRequest`) still waited for it, and so did every other file; a
/// file closed while its history was read held the server up the same
/// way. The cancelled request is answered as cancelled at once, and the
/// close waits alone.
#[test]
fn a_cancelled_code_action_and_a_close_do_not_wait_for_history_with_the_rest() {
    let repo = claude_wrote(FIRST);
    let (mut server, _git, other, uri) = other_file_served_while_history_is_read(&repo);
    let invoked = json!({
        "textDocument": { "uri": uri },
        "range": range(1, 4, 1, 4),
        "context": { "diagnostics": [] },
    });
    let asked = server.send_request("textDocument/codeAction", invoked);
    server.notify("$/cancelRequest", json!({ "id": asked }));
    let reply = server.response(asked);
    assert_eq!(reply["error"]["code"], -32800, "cancelled: {reply:#}");
    let published = server.take_notifications("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str());
    assert!(published.is_empty(), "the cancel was answered only after the file's history: {published:?}");

    // Closed before its history is in: the other file is served first.
    server.close(&uri);
    assert_eq!(server.document(&other)["text"], "fn other() {}\n");
    let cleared = server.take_notifications("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str());
    assert!(cleared.is_empty(), "the close held the server up until the file's history was in: {cleared:?}");
    // The close is done once history is in: its diagnostics are cleared.
    server.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && p["diagnostics"].as_array().is_some_and(Vec::is_empty)
    });
    server.shutdown();
}

/// A command sent by path, as Helix sends them (`:lsp-workspace-command`
/// with `%{buffer_name}`), waits for the file's history alone too.
#[test]
fn a_command_sent_by_path_waits_for_history_without_holding_up_other_files() {
    let repo = claude_wrote(FIRST);
    let (mut server, _git, other, _uri) = other_file_served_while_history_is_read(&repo);
    let asked = server.send_request(
        "workspace/executeCommand",
        json!({ "command": "vouch.showProvenance", "arguments": [{ "path": FILE, "line": 2 }] }),
    );
    server.change(&other, 2, json!([{ "range": range(0, 0, 0, 0), "text": "x" }]));
    assert_eq!(server.document(&other)["text"], "xfn other() {}\n");
    assert!(!server.answered(asked), "the command was answered before the file's history was in");
    let reply = server.response(asked);
    let shown = reply["result"].as_str().unwrap_or_default();
    assert!(shown.contains("AI-written") && shown.contains("claude"), "what history says of the line: {reply:#}");
    server.shutdown();
}
