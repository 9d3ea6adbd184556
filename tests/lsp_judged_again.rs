//! An open buffer is judged again when what it is judged against changes
//! while its text stays the same: HEAD moves (a commit, a reset from the
//! command line), the records change (a request and an approval from the
//! command line), the policy at BASE changes. The language server keeps
//! what does not depend on the buffer between analyses (HEAD's and BASE's
//! versions of the file, the compiled queries) so that typing stays
//! quick; none of it may make the editor answer for an older state. The
//! real `vouch lsp` over JSON-RPC, the real `vouch` and `git` binaries.

mod support {
    pub mod lsp;
    pub mod repo;
}

use serde_json::{Value, json};
use support::lsp::{Server, range};
use support::repo::TestRepo;

const POLICY: &str = "reviewers = [\"carol@example.com\"]\n";
const HUMAN: &str = "pub fn total(items: &[u64]) -> u64 {\n    items.iter().sum()\n}\n";
const AI_FN: &str = "\npub fn discount(total: u64) -> u64 {\n    let cut = total / 10;\n    total - cut\n}\n";
const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";
const FILE: &str = "src/lib.rs";

fn codes(diagnostics: &Value) -> Vec<String> {
    diagnostics.as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect()
}

/// A repository on `main` whose `src/lib.rs` holds a person's function,
/// with `policy` committed; a server with the file open, an AI function
/// typed in (version 2, reported by `vouch/aiEdit`), judged as
/// `expected` (diagnostic codes).
fn open_with_ai_text(policy: &str, expected: &[&str]) -> (TestRepo, Server, String) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", policy);
    repo.write(FILE, HUMAN);
    repo.commit_all("start");
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", HUMAN);
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": AI_FN }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(3, 0, 8, 0), "tool": "claude-code" }),
    );
    judged_as(&mut server, &uri, expected);
    (repo, server, uri)
}

/// Wait until the server publishes `expected` (diagnostic codes) for
/// version 2 of `uri`, the buffer's text all along; then drop what it sent
/// before, so the next wait sees only what came after.
fn judged_as(server: &mut Server, uri: &str, expected: &[&str]) {
    server.wait_for("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p["version"] == 2 && codes(&p["diagnostics"]) == expected
    });
    // A round trip: every message handled before this one has been answered.
    server.document(uri);
    for message in server.take_backlog() {
        let said = message["params"]["message"].as_str().unwrap_or_default();
        assert!(!said.contains("cannot") && !said.contains("internal error"), "{message}");
    }
}

fn buffer_text() -> String {
    format!("{HUMAN}{AI_FN}")
}

/// On `main` BASE is HEAD: a commit of the buffer's text with an AI
/// trailer moves both, and the AI text has landed before BASE (verify
/// will not ask about it); a soft reset takes it back out of HEAD and
/// BASE, and the next commit adds it again: sign-off is due again. The
/// buffer never changes; only what HEAD and BASE hold of the file does.
#[test]
fn head_and_base_moving_under_an_open_buffer_are_followed() {
    let (repo, mut server, uri) = open_with_ai_text(POLICY, &["unreviewed-ai"]);
    repo.write(FILE, &buffer_text());
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &format!("discount\n\n{TRAILER}\n")]);
    judged_as(&mut server, &uri, &[]);
    repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
    judged_as(&mut server, &uri, &["unreviewed-ai"]);
    server.assert_no_internal_errors(&repo.root);
    server.shutdown();
}

/// On a branch whose BASE is `main`, a commit of the buffer's text with no
/// AI evidence (no note, no trailer) moves HEAD and not BASE: the lines
/// are the range's now, of unknown origin, and the next commit adds
/// nothing, so verify will not ask about them. Judged against HEAD's
/// earlier version of the file, the AI lines would still be the next
/// commit's own.
#[test]
fn head_moving_on_a_branch_under_an_open_buffer_is_followed() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write(FILE, HUMAN);
    repo.commit_all("start");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.git(&["config", "vouch.base", "main"]);
    let uri = repo.uri(FILE);
    let mut server = Server::start(&repo.root, &["utf-8"]);
    server.open(&uri, "rust", HUMAN);
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": AI_FN }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(3, 0, 8, 0), "tool": "claude-code" }),
    );
    judged_as(&mut server, &uri, &["unreviewed-ai"]);
    repo.write(FILE, &buffer_text());
    repo.commit_all("discount, typed by hand");
    judged_as(&mut server, &uri, &[]);
    // And back: the commit undone, the buffer's AI text is the next
    // commit's again.
    repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
    judged_as(&mut server, &uri, &["unreviewed-ai"]);
    server.shutdown();
}

/// The policy at BASE exempts the file, then a commit from the command
/// line (on `main`, BASE is HEAD) takes the exemption away: the AI text
/// of the open buffer needs sign-off from then on, without a keystroke.
#[test]
fn the_policy_at_base_changing_under_an_open_buffer_is_followed() {
    let exempt = format!("{POLICY}exempt = [\"/{FILE}\"]\n");
    let (repo, mut server, uri) = open_with_ai_text(&exempt, &[]);
    repo.write(".vouch.toml", POLICY);
    repo.commit_all("review src/lib.rs again");
    judged_as(&mut server, &uri, &["unreviewed-ai"]);
    server.shutdown();
}

/// A request and an approval written from the command line (the author
/// requests, the reviewer approves in their own shell): the open buffer
/// follows each record as the server polls the store.
#[test]
fn records_written_from_the_command_line_are_followed() {
    let (repo, mut server, uri) = open_with_ai_text(POLICY, &["unreviewed-ai"]);
    // Saved: the file is on disk and the journal knows its AI text.
    repo.write(FILE, &buffer_text());
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    server.document(&uri);
    let line = format!("{FILE}:6");
    repo.vouch_stdout(&["request", &line, "-m", "a tenth off for members"], false);
    judged_as(&mut server, &uri, &["signoff-requested"]);
    repo.git(&["config", "user.email", "carol@example.com"]);
    repo.vouch_stdout(&["approve", &line, "--yes"], false);
    judged_as(&mut server, &uri, &[]);
    server.shutdown();
}
