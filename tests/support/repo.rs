//! Temporary git repositories driven through the real `git` binary.

// Each test binary uses a different part of the support code.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestRepo {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl TestRepo {
    /// An empty repository on branch `main`, with identity `dev@example.com`.
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let repo = TestRepo { _dir: dir, root };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "dev@example.com"]);
        repo.git(&["config", "user.name", "Dev"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn uri(&self, rel: &str) -> String {
        format!("file://{}", self.path(rel).display())
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Run git and return its output; panics when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn git_output(&self, args: &[&str]) -> Output {
        git_in(&self.root, args)
    }

    /// Run the real `vouch` binary in the repository ([`vouch_in`]).
    pub fn vouch_output(&self, args: &[&str]) -> Output {
        vouch_in(&self.root, args)
    }

    /// Run vouch and return what it printed; panics unless it exits 0, or 1
    /// with `findings_allowed` (1: it found something to review).
    pub fn vouch_stdout(&self, args: &[&str], findings_allowed: bool) -> String {
        let out = self.vouch_output(args);
        let code = out.status.code();
        let ok = code == Some(0) || (findings_allowed && code == Some(1));
        assert!(
            ok,
            "vouch {args:?} exited {code:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("vouch prints UTF-8")
    }

    /// Run vouch with `--format json` among `args` (exit 0 or 1) and parse
    /// what it printed.
    pub fn vouch_json(&self, args: &[&str]) -> serde_json::Value {
        let stdout = self.vouch_stdout(args, true);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("vouch {args:?} printed no JSON ({e}): {stdout}"))
    }

    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
    }
}

pub fn git_in(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs")
}

/// Run the real `vouch` binary in `dir`, away from the user's git
/// configuration, home and terminal (no colour, no input, no git
/// environment inherited from a hook).
pub fn vouch_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("vouch runs")
}

/// [`vouch_in`], which must succeed; what it printed.
pub fn vouch_ok_in(dir: &Path, args: &[&str]) -> String {
    let out = vouch_in(dir, args);
    assert!(
        out.status.success(),
        "vouch {args:?}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("vouch prints UTF-8")
}

/// Put a FIFO at `path` (a file vouch reads, such as the records cache):
/// whoever opens it to read waits until [`release_fifo`] lets it go, so a
/// test can hold a read under way.
pub fn block_reads_of(path: &Path) {
    let _ = std::fs::remove_file(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success(), "mkfifo {}", path.display());
}

/// Let every read of the FIFO at `path` go (each gets a line that is no
/// cache, so it reads the records themselves) until a reader has written
/// a file in its place; panics if none does within 20 s.
pub fn release_fifo(path: &Path) {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
        assert!(std::time::Instant::now() < deadline, "{} was never read", path.display());
        // Fails at once while no reader has it open.
        if let Ok(mut w) = std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path) {
            let _ = std::io::Write::write_all(&mut w, b"not a cache\n");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
