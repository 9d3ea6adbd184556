//! Issue 13, finding 5: an editor reloading a file an agent edited on disk
//! must not erase the agent's record. The agent writes the file and records
//! its edit (`vouch mark ... --ai`, as its hook does); the editor, which had
//! the file open, reloads it and sends the new text; the language server
//! then writes its snapshot of the file. Its default "human" for text it
//! did not see being typed must never override the AI record: text equal
//! to a version the store knows takes that version's attribution.

mod support {
    pub mod lsp;
    pub mod repo;
}

use std::time::Duration;

use serde_json::json;
use support::lsp::{Server, range};
use support::repo::TestRepo;

const BEFORE: &str = "use std::fmt;\n\nfn human() -> u32 {\n    1\n}\n";
const GENERATED: &str = "\nfn generated(x: u32) -> u32 {\n    x * 2\n}\n";
const FILE: &str = "src/lib.rs";

/// A repository with `FILE` committed as `BEFORE`.
fn before_committed() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(FILE, BEFORE);
    repo.commit_all("init");
    repo
}

/// The lines `vouch blame` attributes to AI in `FILE`.
fn ai_lines(repo: &TestRepo) -> Vec<u64> {
    ai_lines_of(repo, FILE)
}

/// The lines `vouch blame` attributes to AI in `path`.
fn ai_lines_of(repo: &TestRepo, path: &str) -> Vec<u64> {
    let blame = repo.vouch_json(&["blame", path, "--format", "json"]);
    blame["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("blame has no lines: {blame}"))
        .iter()
        .filter(|l| l["origin"] == "ai")
        .map(|l| l["line"].as_u64().unwrap())
        .collect()
}

/// Claude Code's Write of `text` to `FILE`, with both its hooks around it.
fn agent_writes(repo: &TestRepo, text: &str) {
    let path = repo.path(FILE);
    let input = json!({ "file_path": path, "content": text });
    for event in ["PreToolUse", "PostToolUse"] {
        if event == "PostToolUse" {
            repo.write(FILE, text);
        }
        let payload = json!({
            "session_id": "s-1",
            "cwd": repo.root,
            "hook_event_name": event,
            "tool_name": "Write",
            "tool_use_id": "toolu_1",
            "tool_input": input,
        });
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(["hook", "claude-code"])
            .current_dir(&repo.root)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), payload.to_string().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// How the editor tells the server of the reloaded text.
enum Reload {
    /// One change without a range: the whole new text.
    FullText,
    /// The difference only, as Helix and VS Code compute it on a reload.
    Diff,
}

/// Open `FILE`, let an agent append a function on disk and mark it AI,
/// wait for the server to have read the record, then reload the editor's
/// buffer from disk and save; return the server to check and shut down.
fn agent_edit_then_reload(repo: &TestRepo, reload: Reload) -> Server {
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-8", "utf-32", "utf-16"]);
    server.open(&uri, "rust", BEFORE);
    assert!(server.diagnostics(&uri, 1).is_empty());

    // The agent: the file on disk, then its record.
    let after = format!("{BEFORE}{GENERATED}");
    repo.write(FILE, &after);
    repo.vouch_stdout(&["mark", "--ai", "--tool", "claude-code", &format!("{FILE}:7-9")], true);
    assert_eq!(ai_lines(repo), vec![7, 8, 9], "the agent's record, before the editor reloads");
    // The server reads other writers' records every half second: let it
    // see this one while the buffer still has the old text.
    std::thread::sleep(Duration::from_millis(1500));

    let changes = match reload {
        Reload::FullText => json!([{ "text": after }]),
        Reload::Diff => json!([{ "range": range(5, 0, 5, 0), "text": GENERATED }]),
    };
    server.change(&uri, 2, changes);
    let diagnostics = server.diagnostics(&uri, 2);
    assert!(
        diagnostics.iter().any(|d| d["message"].as_str().is_some_and(|m| m.contains("generated"))
            || d["range"]["start"]["line"] == 7),
        "the reloaded AI function shows as AI in the editor: {diagnostics:?}"
    );
    // The editor saves (or the server goes idle): the snapshot is written.
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server
}

fn check_still_ai(repo: &TestRepo, server: Server) {
    server.shutdown();
    assert_eq!(ai_lines(repo), vec![7, 8, 9], "blame after the editor's snapshot");
    let status = repo.vouch_json(&["status", "--format", "json"]);
    let text = status.to_string();
    assert!(text.contains("generated") && text.contains("claude-code"), "status still names the AI unit: {status}");
}

#[test]
fn a_full_text_reload_keeps_the_agents_record() {
    let repo = before_committed();
    let server = agent_edit_then_reload(&repo, Reload::FullText);
    check_still_ai(&repo, server);
}

#[test]
fn a_reload_sent_as_a_diff_keeps_the_agents_record() {
    let repo = before_committed();
    let server = agent_edit_then_reload(&repo, Reload::Diff);
    check_still_ai(&repo, server);
}

/// What the user types stays theirs: the rule is about text a known
/// version holds, not a way to turn typing into AI.
#[test]
fn typing_after_the_reload_stays_human() {
    let repo = before_committed();
    let uri = repo.uri(FILE);
    let mut server = agent_edit_then_reload(&repo, Reload::FullText);
    // A human function typed below the agent's.
    server.change(&uri, 3, json!([{ "range": range(10, 0, 10, 0), "text": "\nfn mine() {}\n" }]));
    server.diagnostics(&uri, 3);
    repo.write(FILE, &format!("{BEFORE}{GENERATED}\nfn mine() {{}}\n"));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.shutdown();
    assert_eq!(ai_lines(&repo), vec![7, 8, 9], "the typed function is not AI");
}

/// An agent's one-character edit, reloaded as the one-character change an
/// editor's diff makes: nothing about the change itself says "reload".
#[test]
fn a_one_character_reload_keeps_the_agents_record() {
    let repo = before_committed();
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", BEFORE);
    server.diagnostics(&uri, 1);
    let after = BEFORE.replace("    1\n", "    2\n");
    repo.write(FILE, &after);
    repo.vouch_stdout(&["mark", "--ai", "--tool", "claude-code", &format!("{FILE}:4")], true);
    std::thread::sleep(Duration::from_millis(1500));
    server.change(&uri, 2, json!([{ "range": range(3, 4, 3, 5), "text": "2" }]));
    server.diagnostics(&uri, 2);
    assert_eq!(server.document(&uri)["text"].as_str(), Some(after.as_str()));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.shutdown();
    assert_eq!(ai_lines(&repo), vec![4], "blame after the editor's snapshot");
}

/// Open `FILE` with `BEFORE` and append `GENERATED` to it as an AI
/// completion (copilot).
fn ai_completion(server: &mut Server, uri: &str) {
    server.open(uri, "rust", BEFORE);
    let lines = BEFORE.lines().count() as u32;
    server.change(uri, 2, json!([{ "range": range(lines, 0, lines, 0), "text": GENERATED }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(lines, 0, lines + 4, 0), "tool": "copilot" }),
    );
}

/// [`before_committed`], and a server (positions in `encoding`) that saw
/// an AI completion append `GENERATED` to `FILE`: the repository, the
/// server and the file's URI.
fn ai_completed(encoding: &str) -> (TestRepo, Server, String) {
    let repo = before_committed();
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &[encoding]);
    ai_completion(&mut server, &uri);
    (repo, server, uri)
}

/// A repository with `FILE` committed as `BEFORE`, a server (positions in
/// `encoding`) that saw an AI completion append `GENERATED` to it, and the
/// file saved so: the repository, the server, the file's URI and its text.
fn saved_ai_completion(encoding: &str) -> (TestRepo, Server, String, String) {
    let (repo, mut server, uri) = ai_completed(encoding);
    let text = format!("{BEFORE}{GENERATED}");
    repo.write(FILE, &text);
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    (repo, server, uri, text)
}

/// Red team: a file renamed while open, as VS Code's explorer does it (the
/// file moved on disk, the old document closed, the new one opened with the
/// same text): the new document had no AI text, so its diagnostics went,
/// and nothing recorded the AI lines under the new name. A document opened
/// with the very text of one closed a moment before, of the same
/// repository, takes its account, and records it under its own name.
#[test]
fn a_file_renamed_while_open_keeps_its_ai_text() {
    let (repo, mut server, uri, text) = saved_ai_completion("utf-16");

    std::fs::rename(repo.path(FILE), repo.path("src/renamed.rs")).unwrap();
    server.close(&uri);
    let renamed = repo.uri("src/renamed.rs");
    server.open(&renamed, "rust", &text);
    let doc = server.document(&renamed);
    let ai: Vec<&str> = support::lsp::ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
    assert_eq!(ai.concat().trim(), GENERATED.trim(), "{doc:#}");
    let diagnostics = server.diagnostics(&renamed, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    // Closed: written down under its new name.
    server.close(&renamed);
    server.shutdown();
    repo.git(&["add", "-A"]);
    assert_eq!(ai_lines_of(&repo, "src/renamed.rs"), vec![6, 7, 8, 9], "the insertion the editor reported");
}

/// Red team, round two: a person's committed file that happens to hold the
/// very text of an AI-edited file just closed (which is still there) is
/// not that file renamed: it keeps no AI text.
#[test]
fn a_file_with_the_text_of_one_just_closed_is_not_taken_for_it_renamed() {
    let repo = TestRepo::new();
    let text = format!("{BEFORE}{GENERATED}");
    repo.write(FILE, BEFORE);
    repo.write("src/other.rs", &text);
    repo.commit_all("init");
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    ai_completion(&mut server, &uri);
    repo.write(FILE, &text);
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.close(&uri);
    let other = repo.uri("src/other.rs");
    server.open(&other, "rust", &text);
    let doc = server.document(&other);
    assert!(support::lsp::ai_spans(&doc).is_empty(), "{doc:#}");
    server.shutdown();
}

/// Red team, twentieth session: Neovim's `:w` then `:e` (a save, then a
/// close and an open of the same file at once, as `:e` re-reads a buffer)
/// right after an AI completion: the reopened buffer had no AI text, and
/// its next save wrote that down, so `vouch blame` lost the AI lines. The
/// server's own records were not in the journal it read documents from
/// until its next look at the journal.
#[test]
fn a_file_closed_and_opened_again_right_after_an_ai_edit_keeps_it() {
    let (repo, mut server, uri, text) = saved_ai_completion("utf-8");
    server.close(&uri);
    server.open(&uri, "rust", &text);
    let doc = server.document(&uri);
    let ai: Vec<&str> = support::lsp::ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
    assert_eq!(ai.concat().trim(), GENERATED.trim(), "{doc:#}");
    // A person's line at the top, saved: the AI lines stay AI.
    server.change(&uri, 2, json!([{ "range": range(0, 0, 0, 0), "text": "// x\n" }]));
    repo.write(FILE, &format!("// x\n{text}"));
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.shutdown();
    assert_eq!(ai_lines(&repo), vec![7, 8, 9, 10], "blame after the reopened buffer's save");
}

/// Red team, twentieth session: an AI completion never saved (the tab
/// closed with "Don't Save", Neovim's `:q!`) left the journal a snapshot
/// of the discarded buffer; a function a person later wrote at the same
/// place was then taken for a rewording of the AI's, shown as AI and
/// blamed as AI. A buffer closed with text the disk does not have records
/// the disk's version, as the journal accounts for it.
#[test]
fn a_person_writing_where_a_discarded_ai_edit_was_stays_human() {
    let (repo, mut server, uri) = ai_completed("utf-16");
    server.close(&uri);
    // Answered once the close is handled: the person writes later.
    server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } }),
    );
    let mine = "\n/// Written by hand.\nfn clamp(v: i64, lo: i64, hi: i64) -> i64 {\n    v.max(lo).min(hi)\n}\n";
    repo.write(FILE, &format!("{BEFORE}{mine}"));
    server.open(&uri, "rust", &format!("{BEFORE}{mine}"));
    let doc = server.document(&uri);
    assert!(support::lsp::ai_spans(&doc).is_empty(), "{doc:#}");
    server.shutdown();
    assert_eq!(ai_lines(&repo), Vec::<u64>::new(), "blame of the person's function");
}

/// Red team (rt26b F1): Neovim reloads a buffer an agent changed on disk
/// by closing and opening it. Closed before the server's next look at the
/// journal (it looks twice a second), the buffer's old text is not the
/// disk's, so the server wrote a snapshot of the disk's version from the
/// journal as it last read it, without the agent's record; that later
/// snapshot then outranked the record, and the agent's lines went to the
/// commit as a person's.
#[test]
fn a_reload_by_close_and_open_right_after_the_agents_record_keeps_it() {
    let repo = before_committed();
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", BEFORE);
    assert!(server.diagnostics(&uri, 1).is_empty());
    let after = format!("{BEFORE}{GENERATED}");
    repo.write(FILE, &after);
    repo.vouch_stdout(&["mark", "--ai", "--tool", "claude-code", &format!("{FILE}:7-9")], true);
    server.close(&uri);
    server.open(&uri, "rust", &after);
    let doc = server.document(&uri);
    let ai: Vec<&str> = support::lsp::ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
    assert_eq!(ai.concat().trim(), GENERATED.trim(), "{doc:#}");
    server.shutdown();
    assert_eq!(ai_lines(&repo), vec![7, 8, 9], "the agent's record, after the reload");
}

/// Red team (rt26b F2): a person with unsaved edits takes the agent's
/// lines from the disk into their buffer (`:diffget`, a merge tool). The
/// buffer's text is no version the store knows, so the lines came in as
/// typed, and the save wrote them down as the person's, outranking the
/// agent's record. Before a snapshot is written, the journal's account of
/// the text as it is now is taken up.
#[test]
fn the_agents_lines_taken_into_a_buffer_with_unsaved_edits_stay_ai() {
    // A few lines, and a block large enough for the editor to suspect it
    // pasted: the agent's record outranks that guess too.
    let large = "\nfn generated(values: &[u32]) -> u32 {\n    let total: u32 = values.iter().copied().sum();\n    total * 2\n}\n";
    for generated in [GENERATED, large] {
        let repo = before_committed();
        let uri = repo.uri(FILE);
        let mut server = Server::start(&repo.root, &["utf-16"]);
        server.open(&uri, "rust", BEFORE);
        assert!(server.diagnostics(&uri, 1).is_empty());
        // The person's unsaved edit.
        server.change(&uri, 2, json!([{ "range": range(0, 12, 0, 12), "text": "::Write" }]));
        // The agent's edit on disk, and its record, seen by the server.
        agent_writes(&repo, &format!("{BEFORE}{generated}"));
        let last = BEFORE.lines().count() + generated.lines().count();
        std::thread::sleep(Duration::from_millis(1500));
        // The agent's lines taken into the buffer, then saved.
        let lines = BEFORE.lines().count() as u32;
        server.change(&uri, 3, json!([{ "range": range(lines, 0, lines, 0), "text": generated }]));
        let merged = format!("{}{generated}", BEFORE.replace("std::fmt", "std::fmt::Write"));
        let doc = server.document(&uri);
        assert_eq!(doc["text"], merged.as_str());
        // At once, before any save (round two, rt26d F2'): a mark of the
        // person's over it would otherwise be taken against a mere guess.
        let guessed = support::lsp::ai_spans(&doc)
            .iter()
            .filter(|s| s["evidence"] == "heuristic" && !s["text"].as_str().unwrap_or("").trim().is_empty())
            .count();
        assert_eq!(guessed, 0, "the agent's record outranks the editor's guess at once: {doc:#}");
        // Round three (rt26e F2s): nor may a person's mark call them theirs
        // before the save, however few they are.
        let mark = json!({ "command": "vouch.markHuman", "arguments": [{ "uri": uri, "range": range(lines + 1, 0, lines + 2, 0) }] });
        let reply = server.request_raw("workspace/executeCommand", mark);
        assert!(reply["error"]["message"].as_str().is_some_and(|m| m.contains("claude-code")), "{reply:#}");
        repo.write(FILE, &merged);
        server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
        let doc = server.document(&uri);
        let ai: Vec<&str> = support::lsp::ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
        assert_eq!(ai.concat().trim(), generated.trim(), "{doc:#}");
        let guessed = support::lsp::ai_spans(&doc)
            .iter()
            .filter(|s| s["evidence"] == "heuristic" && !s["text"].as_str().unwrap_or("").trim().is_empty())
            .count();
        assert_eq!(guessed, 0, "the agent's record outranks the editor's guess: {doc:#}");
        server.shutdown();
        // Line 6, the blank line the agent's text starts with, may go with
        // the editor's guess of the block it pasted; the person's lines not.
        let blamed = ai_lines(&repo);
        assert!(blamed.iter().all(|&l| l >= 6) && (7..=last as u64).all(|l| blamed.contains(&l)), "{blamed:?}");
    }
}

/// Red team (rt26b F3): while a person keeps their own version of a file
/// an agent changed on disk, the agent's record is carried onto their
/// buffer where its text is unchanged; a scrap of it that a diff happens
/// to keep (the last `}`, a `2` of `x * 2`) is not the agent's text, and
/// the person's characters there stay theirs.
#[test]
fn a_scrap_of_an_agents_record_does_not_land_on_a_persons_buffer() {
    let repo = before_committed();
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", BEFORE);
    assert!(server.diagnostics(&uri, 1).is_empty());
    server.change(&uri, 2, json!([{ "range": range(3, 4, 3, 5), "text": "2" }]));
    repo.write(FILE, &format!("{BEFORE}{GENERATED}"));
    repo.vouch_stdout(&["mark", "--ai", "--tool", "claude-code", &format!("{FILE}:7-9")], true);
    std::thread::sleep(Duration::from_millis(1500));
    // Any request after the poll: the buffer as the server holds it.
    server.change(&uri, 3, json!([{ "range": range(0, 0, 0, 0), "text": "// kept\n" }]));
    let doc = server.document(&uri);
    assert!(support::lsp::ai_spans(&doc).is_empty(), "{doc:#}");
    server.shutdown();
}

/// The line and column (ASCII text) of byte `offset` of `text`.
fn repo_offset_to_position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    (before.matches('\n').count() as u32, (offset - before.rfind('\n').map_or(0, |i| i + 1)) as u32)
}

/// Round two (rt27e V2): lines a person types in the editor inside a
/// function an agent wrote were the agent's once saved. Before the
/// snapshot, the server takes up the journal's account of the text, and
/// that account carried the agent's record onto the typed lines by the
/// guess a record makes of its own text's later versions (text inserted
/// inside its span inherits it). Only the record's text found unchanged
/// is taken up: the editor saw the typing.
#[test]
fn lines_typed_inside_an_agents_function_stay_the_persons_when_saved() {
    let repo = before_committed();
    let uri = repo.uri(FILE);
    let agents = "\nfn generated(values: &[u32]) -> u32 {\n    let total: u32 = values.iter().copied().sum();\n    total * 2\n}\n";
    let text = format!("{BEFORE}{agents}");
    agent_writes(&repo, &text);
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", &text);
    server.diagnostics(&uri, 1);
    let typed = "    // checked by hand: the total never overflows here\n    debug_assert!(total < u32::MAX / 2);\n";
    // Typed: a few characters a change, as an editor sends keystrokes.
    let mut at = repo_offset_to_position(&text, text.find("    total * 2").unwrap());
    for (version, piece) in typed.as_bytes().chunks(6).enumerate() {
        let piece = std::str::from_utf8(piece).unwrap();
        server.change(&uri, version as i64 + 2, json!([{ "range": range(at.0, at.1, at.0, at.1), "text": piece }]));
        for c in piece.chars() {
            at = if c == '\n' { (at.0 + 1, 0) } else { (at.0, at.1 + 1) };
        }
    }
    let before = server.document(&uri);
    let ai_before: String = support::lsp::ai_spans(&before).iter().filter_map(|s| s["text"].as_str()).collect();
    assert!(!ai_before.contains("debug_assert"), "typed, before the save: {ai_before:?}");
    let saved = before["text"].as_str().unwrap().to_string();
    assert!(saved.contains(typed), "{saved}");
    repo.write(FILE, &saved);
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    let doc = server.document(&uri);
    let ai: String = support::lsp::ai_spans(&doc).iter().filter_map(|s| s["text"].as_str()).collect();
    assert!(ai.contains("let total: u32"), "the agent's lines stay AI: {ai:?}");
    assert!(!ai.contains("checked by hand") && !ai.contains("debug_assert"), "{ai:?}");
    server.shutdown();
}
