//! A temporary repository where the real `vouch` binary and git run as a
//! person's would: vouch's hooks installed by `vouch init`, commits made
//! through them, and one environment for both (no user or system git
//! configuration, `HOME` in the repository, no colour, no agent model from
//! the test's own environment).
//!
//! The single-repository end-to-end tests (cli_gate, workflows, intent,
//! agent_hooks_more, attack_bytes) each wrap [`VouchRepo`] in their own
//! `Repo { inner: VouchRepo, .. }`, which dereferences to it
//! ([`deref_to_inner`]) and adds what only that file needs, under the
//! names that file's tests call (where a file's `git`, `vouch` or `write` takes
//! other arguments, its own shadows the harness's). The trust and attack
//! tests with a remote and several people use `support::world`.

// Each test binary uses a different part of the support code.
#![allow(dead_code)]

use std::io::Write as _;
use std::ops::Deref;
use std::path::Path;
use std::process::{Command, Stdio};

use super::repo::TestRepo;
use super::run::Run;

pub const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");

/// `impl Deref<Target = VouchRepo>` for a test file's `Repo`, whose field
/// `inner` is the harness.
#[allow(unused_macros)]
macro_rules! deref_to_inner {
    ($repo:ty) => {
        impl std::ops::Deref for $repo {
            type Target = $crate::support::vouch_repo::VouchRepo;

            fn deref(&self) -> &Self::Target {
                &self.inner
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use deref_to_inner;

pub struct VouchRepo {
    pub inner: TestRepo,
}

impl Deref for VouchRepo {
    type Target = TestRepo;

    fn deref(&self) -> &TestRepo {
        &self.inner
    }
}

impl VouchRepo {
    /// An empty repository (see [`TestRepo::new`]); vouch not set up.
    pub fn new() -> VouchRepo {
        VouchRepo { inner: TestRepo::new() }
    }

    /// A repository with `files`, set up by `vouch init INIT_ARGS`, and a
    /// first commit of everything through the hooks.
    pub fn init_with(files: &[(&str, &str)], init_args: &[&str]) -> VouchRepo {
        let repo = VouchRepo::new();
        for (path, content) in files {
            repo.write(path, content);
        }
        let mut args = vec!["init"];
        args.extend_from_slice(init_args);
        repo.vouch_ok(&args);
        repo.ok(&["add", "-A"]);
        repo.ok(&["commit", "-q", "-m", "start"]);
        repo
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// `program ARGS` in the repository, in the environment every command
    /// of these tests runs in.
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(self.root())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", self.root())
            .env("NO_COLOR", "1")
            .env("GIT_EDITOR", "true")
            .env_remove("ANTHROPIC_MODEL")
            .env_remove("CLAUDE_MODEL")
            .env_remove("GEMINI_MODEL")
            .env_remove("GIT_INDEX_FILE");
        cmd
    }

    /// git, through the hooks: how it went.
    pub fn git_run(&self, args: &[&str]) -> Run {
        Run::from(self.command("git", args).output().unwrap())
    }

    /// git, through the hooks; it must succeed. Its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.git_run(args);
        assert_eq!(run.code, 0, "git {args:?}: {run:?}");
        run.stdout
    }

    pub fn vouch(&self, args: &[&str]) -> Run {
        self.vouch_with(self.root(), args, b"", &[])
    }

    /// vouch, reading `input` on standard input.
    pub fn vouch_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        self.vouch_with(self.root(), args, input, &[])
    }

    /// vouch, started in `dir`.
    pub fn vouch_in(&self, dir: &Path, args: &[&str], input: Option<&[u8]>) -> Run {
        self.vouch_with(dir, args, input.unwrap_or_default(), &[])
    }

    /// vouch, started in `dir`, reading `input`, with `env` set besides.
    pub fn vouch_with(&self, dir: &Path, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(VOUCH, args);
        cmd.current_dir(dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (key, value) in env {
            cmd.env(key, value);
        }
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let bytes = input.to_vec();
        // Written from a thread, so that a large input cannot block while
        // vouch writes its output.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Run::from(out)
    }

    /// Claude Code's hook for `event` (`PreToolUse`, `PostToolUse`) of
    /// tool call `id` of `tool`, with `input` as its `tool_input`; it must
    /// exit 0.
    pub fn claude_hook(&self, event: &str, tool: &str, id: &str, input: serde_json::Value) -> Run {
        let payload = serde_json::json!({
            "session_id": "s-1",
            "cwd": self.root(),
            "hook_event_name": event,
            "tool_name": tool,
            "tool_use_id": id,
            "tool_input": input,
        });
        let run = self.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
        assert_eq!(run.code, 0, "{run:?}");
        run
    }

    /// The records of the vouch note on `rev`, one JSON value a line
    /// (none when it has no note).
    pub fn note(&self, rev: &str) -> Vec<serde_json::Value> {
        let run = self.git_run(&["notes", "--ref=vouch", "show", rev]);
        if run.code != 0 {
            return Vec::new();
        }
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// `vouch verify range` as JSON, and its exit code (0 or 1).
    pub fn verify(&self, range: &str) -> (i32, serde_json::Value) {
        let run = self.vouch(&["verify", range, "--format", "json"]);
        assert!(run.code == 0 || run.code == 1, "{run:?}");
        (run.code, serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}")))
    }

    /// vouch; it must exit 0.
    pub fn vouch_ok(&self, args: &[&str]) -> Run {
        let run = self.vouch(args);
        assert_eq!(run.code, 0, "vouch {args:?}: {run:?}");
        run
    }
}
