//! Red team (rt28a F2): an agent's hook that could not write the journal
//! (a full disk, a rename the file system refused) said so to the agent
//! only, and kept nothing: once the disk was fixed, the person's commit of
//! what the agent wrote was noted "no AI", and verify passed it under
//! `require_attestation`. What a hook could not record is kept as
//! unrecorded (where even that cannot be written, an empty marker that
//! needs no data block says something went unrecorded): the commit that
//! holds it is unattested.
//!
//! The failures are injected with strace (scripts/install-deps.sh installs
//! it), as the red team did: every rename fails (a file system that
//! refuses them, a directory with no room left).

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use std::process::{Command, Stdio};

use serde_json::json;
use support::vouch_repo::{VOUCH, VouchRepo};

const POLICY: &str = "reviewers = [\"alice@example.com\"]\nrequire_attestation = true\n";
const AGENTS: &str = "def a():\n    return 1\n\n\ndef wipe(db):\n    db.drop_all()\n";

/// Claude Code's Write of [`AGENTS`] to src/app.py, its PostToolUse hook
/// run under strace injecting `fault` (`rename:error=EXDEV`): the hook's
/// exit code and what it said.
fn agent_write_failing(repo: &VouchRepo, fault: &str) -> (Option<i32>, String) {
    let input = json!({ "file_path": repo.root().join("src/app.py"), "content": AGENTS });
    let payload = |event: &str| {
        json!({
            "session_id": "s-1",
            "cwd": repo.root(),
            "hook_event_name": event,
            "tool_name": "Write",
            "tool_use_id": "toolu_1",
            "tool_input": input,
        })
        .to_string()
    };
    // PostToolUse alone (a setup without the PreToolUse hook): no snapshot
    // waits for this call's record.
    std::fs::write(repo.root().join("src/app.py"), AGENTS).unwrap();
    let mut child = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", &format!("inject={fault}"), VOUCH, "hook", "claude-code"])
        .current_dir(repo.root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("strace runs (scripts/install-deps.sh installs it)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), payload("PostToolUse").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn an_edit_the_hook_could_not_record_is_never_attested_no_ai() {
    for fault in ["rename,renameat,renameat2:error=EXDEV", "rename,renameat,renameat2:error=ENOSPC"] {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/app.py", "def a():\n    return 1\n")], &[]);
        let start = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
        let (code, said) = agent_write_failing(&repo, fault);
        assert_eq!(code, Some(2), "{fault}: the agent is told: {said}");
        assert!(said.contains("src/app.py"), "{fault}: {said}");
        // The disk is fixed; the person commits a file of their own, then
        // the agent's work (rt28d U1: a marker that counted once left the
        // second commit attested).
        repo.write("README", "readme\n");
        repo.ok(&["add", "README"]);
        repo.ok(&["commit", "-q", "-m", "readme"]);
        repo.ok(&["add", "-A"]);
        let commit = repo.git_run(&["commit", "-q", "-m", "work"]);
        assert_eq!(commit.code, 0, "{fault}: {commit:?}");
        let note = repo.note("HEAD");
        assert!(!note.iter().any(|r| r["attest"] == "no-ai"), "{fault}: never attested no-AI: {note:?}");
        let (code, report) = repo.verify(&format!("{start}..HEAD"));
        assert_eq!(code, 1, "{fault}: {report:#}");
    }
}
