//! Output into a closed pipe (`vouch log | head -1`) ends vouch as it ends
//! other Unix tools: killed by SIGPIPE, with nothing on standard error; never
//! a "Broken pipe" panic, and never a success it did not earn. The real
//! binary writes into a pipe whose reading end is closed before it starts.

mod support {
    pub mod repo;
}

use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, Stdio};

use support::repo::TestRepo;

const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";

/// Run vouch with its standard output a pipe nobody reads.
fn into_closed_pipe(repo: &TestRepo, args: &[&str]) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .current_dir(&repo.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"carol@example.com\"]\n");
    repo.write("README.md", "base\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    for i in 0..3 {
        repo.write(&format!("src/m{i}.py"), &format!("def f{i}():\n    return {i}\n"));
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "--no-verify", "-m", &format!("ai {i}\n\n{TRAILER}")]);
    }
    repo
}

#[test]
fn every_command_ends_quietly_when_its_reader_is_gone() {
    let repo = repo();
    // A unit to decide on: AI text in the working tree, requested.
    repo.write("src/tool.py", "def tool():\n    return 0\n");
    let vouch = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_vouch")).args(args).current_dir(&repo.root).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    vouch(&["mark", "src/tool.py:1-2", "--ai"]);
    vouch(&["request", "src/tool.py:1", "-m", "why"]);
    repo.git(&["config", "user.email", "carol@example.com"]);

    for args in [
        &["log"][..],
        &["log", "--format", "json"],
        &["verify", "main..feature"],
        &["verify", "main..feature", "--format", "sarif"],
        &["approve", "src/tool.py:1"],
        &["status"],
        &["blame", "src/m0.py"],
        &["review", "--list", "--all"],
        &["doctor"],
        &["stats"],
    ] {
        let (status, stderr) = into_closed_pipe(&repo, args);
        assert_eq!(status.signal(), Some(libc::SIGPIPE), "vouch {args:?}: {status:?}\n{stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "vouch {args:?}: {stderr}");
    }
    // Nothing was decided on the way: the approval needs a terminal first.
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["status", "--format", "json"])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // (status lists the branch's earlier AI units too: find this one.)
    let tool = status["worktree"].as_array().unwrap().iter().find(|u| u["path"] == "src/tool.py").cloned();
    assert_eq!(tool.map(|u| u["state"].clone()), Some(serde_json::json!("requested")), "{status}");
}

/// Red team: with standard error on a full disk (`/dev/full`: every write
/// fails with ENOSPC), the first message vouch wrote there panicked, and
/// the process ended with Rust's panic status, 101, which an agent or git
/// reads as a crash. What it cannot say ends it with 2, vouch's status for
/// an error, as any other error it cannot report would.
#[test]
fn a_standard_error_that_cannot_be_written_ends_vouch_with_2() {
    let repo = repo();
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["hook", "claude-code"])
        .current_dir(&repo.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
        .status()
        .unwrap();
    assert_eq!(out.code(), Some(2), "{out:?}");
}
