//! The language server fingerprints the bytes git stores, not its buffer:
//! a Windows checkout (`core.autocrlf`, or `* text=auto eol=crlf`) edits
//! CRLF text whose blob holds LF, and an approval made in the editor must
//! be the one the gate and `vouch verify` look for. The real `vouch lsp`
//! over JSON-RPC and the real `vouch` and `git` binaries in a temporary
//! repository.

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::json;
use support::lsp::{Server, range};
use support::repo::TestRepo;

const CRLF: &str = "fn generated(x: u32) -> u32 {\r\n    x * 2\r\n}\r\n";

fn lf_fingerprint() -> String {
    vouch::fingerprint::fingerprint("rust", "function", CRLF.replace("\r\n", "\n").as_bytes())
}

/// The fingerprint the server gives the unit of `CRLF` once it is AI.
fn editor_fingerprint(repo: &TestRepo) -> (Server, String, String) {
    let uri = repo.uri("src/gen.rs");
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", CRLF);
    assert!(server.diagnostics(&uri, 1).is_empty());
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 1 }, "range": range(0, 0, 3, 0), "tool": "copilot" }),
    );
    let diags = server.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && !p["diagnostics"].as_array().unwrap().is_empty()
    });
    let fingerprint = diags["diagnostics"][0]["data"]["fingerprint"].as_str().unwrap().to_string();
    (server, uri, fingerprint)
}

#[test]
fn with_text_auto_eol_crlf_the_editor_fingerprints_the_blob() {
    let repo = TestRepo::new();
    repo.write(".gitattributes", "* text=auto eol=crlf\n");
    repo.write("src/lib.rs", "\n");
    repo.commit_all("start");
    repo.write("src/gen.rs", CRLF);

    let (mut server, uri, fingerprint) = editor_fingerprint(&repo);
    assert_eq!(fingerprint, lf_fingerprint());

    // A request made in the editor carries the blob's bytes, so that its
    // fingerprint matches its text and a reviewer can approve it.
    let reply = server.request(
        "workspace/executeCommand",
        json!({ "command": "vouch.requestSignoff", "arguments": [{ "uri": uri, "range": range(1, 0, 1, 0), "rationale": "why" }] }),
    );
    assert!(reply.to_string().contains("requested sign-off"), "{reply}");
    let queue = repo.vouch_json(&["review", "--list", "--all", "--format", "json"]);
    assert!(queue["problems"].as_array().unwrap().is_empty(), "{queue}");
    assert_eq!(queue["units"][0]["fingerprint"], fingerprint.as_str());
    assert_eq!(queue["units"][0]["text"], CRLF.replace("\r\n", "\n"));
    server.shutdown();

    // The CLI, from the working tree, and git itself agree.
    repo.git(&["add", "src/gen.rs"]);
    let stored = repo.git(&["cat-file", "-p", ":src/gen.rs"]);
    assert_eq!(stored, CRLF.replace("\r\n", "\n"));
    let status = repo.vouch_json(&["status", "--format", "json"]);
    for section in ["index", "worktree"] {
        assert_eq!(status[section][0]["fingerprint"], fingerprint.as_str(), "{section}: {status}");
    }
}

#[test]
fn with_core_autocrlf_the_editor_fingerprints_the_blob() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.autocrlf", "true"]);
    repo.write("src/lib.rs", "\n");
    repo.commit_all("start");
    repo.write("src/gen.rs", CRLF);
    let (server, _, fingerprint) = editor_fingerprint(&repo);
    assert_eq!(fingerprint, lf_fingerprint());
    server.shutdown();
}

#[test]
fn without_a_conversion_the_editor_fingerprints_every_byte() {
    let repo = TestRepo::new();
    repo.write("src/lib.rs", "\n");
    repo.commit_all("start");
    repo.write("src/gen.rs", CRLF);
    let (server, _, fingerprint) = editor_fingerprint(&repo);
    assert_eq!(fingerprint, vouch::fingerprint::fingerprint("rust", "function", CRLF.as_bytes()));
    server.shutdown();
}
