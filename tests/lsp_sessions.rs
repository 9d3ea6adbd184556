//! Real editor sessions, recorded from the editor (see
//! `tests/fixtures/lsp-sessions/README.md`), replayed against the server:
//! at the end its copy of every document must equal the editor's buffer,
//! it must not have panicked, and it must still answer.

mod support {
    pub mod lsp;
    pub mod repo;
}

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::lsp::{Server, model};
use support::repo::TestRepo;

const PLACEHOLDER: &str = "${ROOT}";

struct Session {
    name: String,
    messages: Vec<Value>,
    /// The editor's buffers at the end, by path relative to the root.
    expected: BTreeMap<String, String>,
}

fn sessions() -> Vec<Session> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lsp-sessions");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("messages.jsonl").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| {
            let messages = std::fs::read_to_string(d.join("messages.jsonl"))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", d.display())))
                .collect();
            let expected: Value =
                serde_json::from_str(&std::fs::read_to_string(d.join("expected.json")).unwrap()).unwrap();
            let expected = expected["files"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            Session { name: d.file_name().unwrap().to_string_lossy().into_owned(), messages, expected }
        })
        .collect()
}

/// `value` with the recorded root replaced by `root`.
fn rooted(value: &Value, root: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace(PLACEHOLDER, root)),
        Value::Array(items) => Value::Array(items.iter().map(|v| rooted(v, root)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), rooted(v, root))).collect()),
        other => other.clone(),
    }
}

/// The text each document holds at the end of the session, by the naive
/// model: a check that the recording is whole.
fn modelled(messages: &[Value], encoding: &str) -> BTreeMap<String, String> {
    let mut docs = BTreeMap::new();
    for msg in messages {
        let p = &msg["params"];
        let uri = p["textDocument"]["uri"].as_str().unwrap_or_default().to_string();
        match msg["method"].as_str() {
            Some("textDocument/didOpen") => {
                docs.insert(uri, p["textDocument"]["text"].as_str().unwrap().to_string());
            }
            Some("textDocument/didChange") => {
                let text = docs.get(&uri).expect("a change to an open document");
                let changed = model::apply(text, p["contentChanges"].as_array().unwrap(), encoding);
                docs.insert(uri, changed);
            }
            Some("textDocument/didClose") => {
                docs.remove(&uri);
            }
            _ => {}
        }
    }
    docs
}

fn replay(session: &Session) {
    let repo = TestRepo::new();
    let root = repo.root.display().to_string();
    let messages: Vec<Value> = session.messages.iter().map(|m| rooted(m, &root)).collect();
    // The files as the editor first opened them, committed.
    for msg in &messages {
        if msg["method"] == "textDocument/didOpen" {
            let uri = msg["params"]["textDocument"]["uri"].as_str().unwrap();
            let rel = uri.strip_prefix(&format!("file://{root}/")).expect("a file under the root");
            if !repo.path(rel).exists() {
                repo.write(rel, msg["params"]["textDocument"]["text"].as_str().unwrap());
            }
        }
    }
    repo.commit_all("as the session found it");
    let init = messages.iter().find(|m| m["method"] == "initialize").expect("an initialize");
    let offered: Vec<&str> = init["params"]["capabilities"]["general"]["positionEncodings"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut server = Server::spawn(&repo.root, &[]);
    let mut encoding = String::new();
    for msg in &messages {
        match msg["method"].as_str() {
            // The end of the session: the checks come first.
            Some("shutdown" | "exit") => break,
            // Replies to requests the recorded server made: this one made
            // its own, which the harness answers.
            None => continue,
            Some(method) => {
                let reply = server.replay(msg);
                if let Some(reply) = &reply {
                    assert!(reply.get("error").is_none(), "{}: {method} failed: {reply}", session.name);
                }
                if method == "initialize" {
                    let reply = reply.expect("initialize is a request");
                    encoding = reply["result"]["capabilities"]["positionEncoding"].as_str().unwrap().to_string();
                }
            }
        }
    }
    assert!(offered.is_empty() || offered.contains(&encoding.as_str()), "{}: {encoding} not offered", session.name);
    let modelled = modelled(&messages, &encoding);
    for (rel, expected) in &session.expected {
        let uri = format!("file://{root}/{rel}");
        assert_eq!(modelled.get(&uri), Some(expected), "{}: the recording does not add up to the buffer", session.name);
        let doc = server.document(&uri);
        assert_eq!(
            doc["text"].as_str(),
            Some(expected.as_str()),
            "{}: {rel} differs from the editor's buffer",
            session.name
        );
    }
    let stats = server.request("vouch/debug/stats", json!({}));
    assert!(stats["edits"].as_u64().unwrap() > 0, "{}: {stats}", session.name);
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
}

#[test]
fn recorded_editor_sessions_replay_to_the_editors_buffer() {
    let sessions = sessions();
    assert!(sessions.len() >= 8, "{} sessions", sessions.len());
    for session in &sessions {
        replay(session);
    }
}
