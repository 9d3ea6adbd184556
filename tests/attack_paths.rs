//! Paths that come from outside (agent hook payloads, `vouch mark`, the
//! language server's document URIs and `vouch/aiEdit`) are followed only
//! into files of the worktree: a symbolic link in the worktree that points
//! out of it (`src/coupons.py -> ~/.ssh/id_ed25519`) or into `.git` is
//! refused with a clear error, and nothing of the file it points to is
//! recorded, neither in the journal nor as a git object. Real binary, real
//! git, the fixture payloads of `tests/fixtures/agent-hooks/`.

mod support {
    pub mod lsp;
    pub mod repo;
}

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::json;
use support::lsp::{Server, range};
use support::repo::TestRepo;

/// What the author would love to have in their journal ref.
const SECRET: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAsecret\n-----END OPENSSH PRIVATE KEY-----\n";

const CART_AFTER: &str = "def total(items, coupon=None):\n    subtotal = sum(i.price * i.qty for i in items)\n    if coupon:\n        subtotal -= coupon.discount(subtotal)\n    return max(subtotal, 0)\n";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent-hooks").join(name);
    std::fs::read_to_string(path).unwrap()
}

fn vouch(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .env_remove("ANTHROPIC_MODEL")
        .env_remove("CLAUDE_MODEL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A repository with `src/cart.py` committed, and a secret outside it.
struct Setup {
    repo: TestRepo,
    _outside: tempfile::TempDir,
    secret_dir: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let repo = TestRepo::new();
        repo.write("src/cart.py", "def total(items):\n    return sum(i.price for i in items)\n");
        repo.commit_all("init");
        let outside = tempfile::tempdir().unwrap();
        let secret_dir = outside.path().canonicalize().unwrap();
        std::fs::write(secret_dir.join("id_ed25519"), SECRET).unwrap();
        std::fs::write(secret_dir.join("cart.py"), SECRET).unwrap();
        Setup { repo, _outside: outside, secret_dir }
    }

    fn root(&self) -> &Path {
        &self.repo.root
    }

    /// The journal's files and their bytes.
    fn journal(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(self.root().join(".git/vouch/journal")) {
            for entry in entries.flatten() {
                out.insert(entry.path(), std::fs::read(entry.path()).unwrap());
            }
        }
        out
    }

    /// Nothing of the secret is anywhere in the repository: no journal
    /// record, no blob, no journal ref.
    fn assert_secret_not_recorded(&self) {
        let journal: Vec<PathBuf> = self.journal().into_keys().collect();
        assert!(journal.is_empty(), "the journal holds {journal:?}");
        let git = git2::Repository::open(self.root()).unwrap();
        let id = git2::Oid::hash_object(git2::ObjectType::Blob, SECRET.as_bytes()).unwrap();
        assert!(!git.odb().unwrap().exists(id), "the secret was stored as a git object");
        let refs: Vec<String> =
            git.references().unwrap().flatten().filter_map(|r| r.name().map(str::to_string)).collect();
        assert!(!refs.iter().any(|r| r.starts_with("refs/vouch/journal")), "{refs:?}");
    }

    /// Claude Code's Write payload (the fixture) for `file`, its content
    /// the secret: what an agent tricked into "writing" the link reports.
    fn claude_write(&self, file: &Path) -> Output {
        let mut payload: serde_json::Value =
            serde_json::from_str(&fixture("claude-code-post-tool-use-write.json")).unwrap();
        payload["cwd"] = json!(self.root());
        payload["tool_input"]["file_path"] = json!(file);
        payload["tool_input"]["content"] = json!(SECRET);
        vouch(self.root(), &["hook", "claude-code"], payload.to_string().as_bytes())
    }

    /// Cursor's afterFileEdit payload (the fixture) for `file`, its edit a
    /// line of the secret.
    fn cursor_edit(&self, file: &Path, new: &str) -> Output {
        let mut payload: serde_json::Value = serde_json::from_str(&fixture("cursor-after-file-edit.json")).unwrap();
        payload["workspace_roots"] = json!([self.root()]);
        payload["file_path"] = json!(file);
        payload["edits"][0]["new_string"] = json!(new);
        vouch(self.root(), &["hook", "cursor"], payload.to_string().as_bytes())
    }
}

#[test]
fn a_link_out_of_the_worktree_is_refused_by_every_agent_hook() {
    let s = Setup::new();
    // A file that is a link to a secret, and a directory that is a link to
    // the secret's directory.
    symlink(s.secret_dir.join("id_ed25519"), s.root().join("src/coupons.py")).unwrap();
    symlink(&s.secret_dir, s.root().join("vendor")).unwrap();
    for out in [
        s.claude_write(&s.root().join("src/coupons.py")),
        s.cursor_edit(&s.root().join("vendor/cart.py"), "b3BlbnNzaC1rZXktdjEAAAAAsecret\n"),
        vouch(s.root(), &["hook", "generic", "--file", "src/coupons.py"], b""),
        vouch(s.root(), &["hook", "generic", "--file", "vendor/cart.py"], b""),
    ] {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let message = stderr(&out);
        assert!(message.contains("outside the worktree") && message.contains("nothing recorded"), "{message}");
        assert!(message.contains(&s.secret_dir.display().to_string()), "names where it leads: {message}");
    }
    s.assert_secret_not_recorded();
}

#[test]
fn a_link_into_git_and_paths_inside_git_are_refused() {
    let s = Setup::new();
    std::fs::write(s.root().join(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n").unwrap();
    symlink("../.git/hooks/pre-commit", s.root().join("src/hook.py")).unwrap();
    for out in [
        s.claude_write(&s.root().join("src/hook.py")),
        s.claude_write(&s.root().join(".git/hooks/pre-commit")),
        s.cursor_edit(&s.root().join("src/../.git/config"), "[core]\n"),
    ] {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(".git") && stderr(&out).contains("nothing recorded"), "{}", stderr(&out));
    }
    assert!(s.journal().is_empty());
}

#[test]
fn dot_dot_and_absolute_paths_elsewhere_record_nothing() {
    let s = Setup::new();
    // `<root>/src/../../…/<secret dir>/id_ed25519`: up to `/`, then down.
    let ups = "../".repeat(s.root().components().count());
    let secret = s.secret_dir.join("id_ed25519");
    let escape = s.root().join("src").join(ups).join(secret.strip_prefix("/").unwrap());
    for file in [secret, escape] {
        let out = s.claude_write(&file);
        assert_eq!(out.status.code(), Some(0), "not a file of any repository: {}", stderr(&out));
        assert!(stderr(&out).contains("not recorded"), "{}", stderr(&out));
    }
    s.assert_secret_not_recorded();
}

#[test]
fn mark_refuses_a_link_out_of_the_worktree() {
    let s = Setup::new();
    symlink(s.secret_dir.join("id_ed25519"), s.root().join("src/key.py")).unwrap();
    let out = vouch(s.root(), &["mark", "src/key.py:1-3", "--ai"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("outside the worktree"), "{}", stderr(&out));
    s.assert_secret_not_recorded();
}

#[test]
fn a_link_inside_the_worktree_records_the_file_it_names() {
    let s = Setup::new();
    symlink("cart.py", s.root().join("src/alias.py")).unwrap();
    s.repo.write("src/cart.py", CART_AFTER);
    let out = s.cursor_edit(&s.root().join("src/alias.py"), CART_AFTER);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("recorded 5 AI line(s) of src/cart.py"), "{}", stderr(&out));
}

#[test]
fn the_language_server_records_nothing_through_a_link_out_of_the_worktree() {
    let s = Setup::new();
    symlink(s.secret_dir.join("id_ed25519"), s.root().join("src/key.py")).unwrap();
    let uri = s.repo.uri("src/key.py");
    let mut server = Server::start(s.root(), &["utf-16"]);
    server.open(&uri, "python", SECRET);
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": "def leak():\n    return 1\n" }]));
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": range(3, 0, 5, 0), "tool": "copilot" }),
    );
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": uri } }));
    // The server answers in order: once this reply is in, the edits were handled.
    server.request("vouch/debug/stats", json!({}));
    server.shutdown();
    s.assert_secret_not_recorded();
}
