//! Red team (rt26c A1): an agent's hook in a repository git will not open
//! (another user's, as when the agent runs in a container under another
//! uid; a SHA-256 one) said "not in a git repository", exited 0 and
//! recorded nothing; the person's commit of what the agent wrote was then
//! noted "no AI" and verify passed it under `require_attestation`. The
//! hook now refuses with git's reason (exit 2: Claude Code blocks the tool
//! before it runs, and shows the refusal after), and the command line says
//! what git said instead of "not in a git repository".

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::json;
use support::vouch_repo::VOUCH;

/// `vouch args` in `dir`, reading `input`.
fn vouch(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(VOUCH)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.email=dev@example.com", "-c", "user.name=Dev"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository in `dir` (made with `init` args) with one commit.
fn repository(dir: &Path, init: &[&str]) {
    git(dir, &[&["init", "-q"], init].concat());
    std::fs::write(dir.join("a.py"), "def a():\n    return 1\n").unwrap();
    git(dir, &["add", "a.py"]);
    git(dir, &["commit", "-q", "-m", "start"]);
}

/// Claude Code's Write of `a.py` in `dir`, both hooks around it: their
/// exit codes and what they said.
fn agent_writes(dir: &Path) -> Vec<(Option<i32>, String)> {
    let path = dir.join("a.py");
    ["PreToolUse", "PostToolUse"]
        .iter()
        .map(|event| {
            if *event == "PostToolUse" {
                std::fs::write(&path, "def a():\n    return 2\n").unwrap();
            }
            let payload = json!({
                "session_id": "s-1",
                "cwd": dir,
                "hook_event_name": event,
                "tool_name": "Write",
                "tool_use_id": "toolu_1",
                "tool_input": { "file_path": path, "content": "def a():\n    return 2\n" },
            });
            let out = vouch(dir, &["hook", "claude-code"], &payload.to_string());
            (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
        })
        .collect()
}

#[test]
fn a_hook_in_a_repository_git_will_not_open_refuses_with_gits_reason() {
    let sha256 = tempfile::tempdir().unwrap();
    repository(sha256.path(), &["--object-format=sha256"]);
    for (code, said) in agent_writes(sha256.path()) {
        assert_eq!(code, Some(2), "{said}");
        assert!(said.contains("git refuses to open the repository") && said.contains("sha256"), "{said}");
    }
    let status = vouch(sha256.path(), &["status"], "");
    let said = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(2), "{said}");
    assert!(said.contains("git refuses to open") && !said.contains("not in a git repository"), "{said}");

    // Another user's repository (the tests run as root, whom git's check
    // of ownership holds too): the refusal says what to do.
    let foreign = tempfile::tempdir().unwrap();
    repository(foreign.path(), &[]);
    let chown = Command::new("chown").args(["-R", "65534"]).arg(foreign.path()).status().unwrap();
    assert!(chown.success());
    for (code, said) in agent_writes(foreign.path()) {
        assert_eq!(code, Some(2), "{said}");
        assert!(said.contains("safe.directory"), "{said}");
    }

    // Outside any repository there is nothing to record, and nothing to
    // refuse.
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("a.py"), "def a():\n    return 1\n").unwrap();
    for (code, said) in agent_writes(plain.path()) {
        assert_eq!(code, Some(0), "{said}");
    }
}
