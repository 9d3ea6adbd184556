//! A bare remote with a signed policy, SSH keys made by the real
//! `ssh-keygen`, and clones of it acting as different people: the stage on
//! which attack tests play an author against `vouch verify`.

// Each test binary uses a different part of the support code.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use git2::{Oid, Repository};
use serde_json::Value;
use vouch::policy::Verdict;
use vouch::store::records::{self, Approval, Person};
use vouch::store::signature::{self, SigningConfig};

pub const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";

pub const BASE_LIB: &str = "pub fn base() -> u32 {\n    1\n}\n";

/// The strict policy docs/trust.md recommends.
pub const SIGNED_POLICY: &str = r#"reviewers = ["alice@example.com", "bob@example.com"]
require_signatures = true
allowed_signers = ".vouch/allowed_signers"
"#;

/// Everyone who has a key and is in the allowed-signers file.
pub const PEOPLE: [&str; 4] = ["alice", "bob", "mallory", "dev"];

pub fn email(name: &str) -> String {
    format!("{name}@example.com")
}

/// A bare remote, keys, and clones of it.
pub struct World {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

/// One clone of the remote, acting as one person.
pub struct Clone {
    pub path: PathBuf,
    pub home: PathBuf,
    pub email: String,
}

fn git_env(cmd: &mut Command, home: &Path) {
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
}

pub fn run_git(dir: &Path, home: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(dir);
    git_env(&mut cmd, home);
    let out = cmd.output().expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

impl World {
    /// A remote whose `main` holds `policy` as `.vouch.toml`, an
    /// allowed-signers file listing everyone in [`PEOPLE`], and `files`.
    pub fn new(policy: &str, files: &[(&str, &str)]) -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let world = World { _dir: dir, root };
        std::fs::create_dir_all(world.root.join("keys")).unwrap();
        std::fs::create_dir_all(world.root.join("home")).unwrap();
        for name in PEOPLE {
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(world.key(name))
                .status()
                .expect("ssh-keygen runs");
            assert!(status.success());
        }
        run_git(&world.root, &world.home(), &["init", "-q", "--bare", "-b", "main", "remote.git"]);
        let seed = world.clone_as("seed", "dev");
        seed.write(".vouch.toml", policy);
        let signers: String = PEOPLE.iter().map(|n| format!("{} {}\n", email(n), world.public_key(n))).collect();
        seed.write(".vouch/allowed_signers", &signers);
        for (path, text) in files {
            seed.write(path, text);
        }
        seed.commit("start", None);
        seed.git(&["push", "-q", "origin", "main"]);
        world
    }

    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    pub fn key(&self, name: &str) -> PathBuf {
        self.root.join("keys").join(name)
    }

    fn public_key(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.key(name).with_extension("pub")).unwrap();
        text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    }

    /// A clone of the remote in `dir`, acting as `who@example.com`, on a
    /// new branch `feature`.
    pub fn clone_as(&self, dir: &str, who: &str) -> Clone {
        run_git(&self.root, &self.home(), &["clone", "-q", "remote.git", dir]);
        let clone = Clone { path: self.root.join(dir), home: self.home(), email: email(who) };
        clone.act_as(who);
        clone.git(&["config", "commit.gpgsign", "false"]);
        clone.git(&["config", "protocol.file.allow", "always"]);
        clone
    }

    /// A signed approval of `fingerprint` by `who`, recorded in `clone`.
    pub fn approve(&self, clone: &Clone, fingerprint: &str, path: &str, who: &str) -> String {
        let reviewer = Person { name: who.into(), email: email(who) };
        let mut approval = Approval::new(&clone.repository_id(), fingerprint, Verdict::Approve, reviewer);
        approval.path = Some(path.into());
        let config = SigningConfig { key: self.key(who).display().to_string(), program: "ssh-keygen".into() };
        approval.signature = Some(signature::sign_with(&config, &approval.signed_payload()).unwrap());
        records::add(&clone.repo(), &approval).unwrap()
    }
}

impl Clone {
    pub fn git(&self, args: &[&str]) -> String {
        run_git(&self.path, &self.home, args)
    }

    /// Commit as someone else from now on.
    pub fn act_as(&self, who: &str) {
        self.git(&["config", "user.email", &email(who)]);
        self.git(&["config", "user.name", who]);
    }

    pub fn repo(&self) -> Repository {
        Repository::open(&self.path).unwrap()
    }

    pub fn write(&self, rel: &str, content: &str) {
        self.write_bytes(rel, content.as_bytes());
    }

    pub fn write_bytes(&self, rel: &str, content: &[u8]) {
        let path = self.path.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path.join(rel)).unwrap()
    }

    /// Commit everything; with `trailer`, the message names an AI co-author.
    pub fn commit(&self, subject: &str, trailer: Option<&str>) -> Oid {
        self.git(&["add", "-A"]);
        let message = match trailer {
            Some(t) => format!("{subject}\n\n{t}\n"),
            None => subject.to_string(),
        };
        self.git(&["commit", "-q", "--no-verify", "--allow-empty", "-m", &message]);
        self.head()
    }

    pub fn head(&self) -> Oid {
        Oid::from_str(self.git(&["rev-parse", "HEAD"]).trim()).unwrap()
    }

    /// The blob id of `path` in `commit`.
    pub fn blob(&self, commit: Oid, path: &str) -> Oid {
        self.repo().find_commit(commit).unwrap().tree().unwrap().get_path(Path::new(path)).unwrap().id()
    }

    pub fn vouch(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
        cmd.args(args).current_dir(&self.path);
        git_env(&mut cmd, &self.home);
        cmd.output().expect("vouch runs")
    }

    /// `vouch verify` as JSON: the exit code and the report.
    pub fn verify(&self, range: &str) -> (i32, Value) {
        let out = self.vouch(&["verify", range, "--format", "json"]);
        let code = out.status.code().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("verify printed no JSON ({e}), exit {code}: {stdout}{}", String::from_utf8_lossy(&out.stderr))
        });
        (code, report)
    }

    /// `vouch verify` as text: the exit code and everything printed.
    pub fn verify_text(&self, range: &str) -> (i32, String) {
        let out = self.vouch(&["verify", range]);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap(), text)
    }

    pub fn repository_id(&self) -> String {
        vouch::store::repo::repository_id(&self.repo()).unwrap()
    }
}

/// The failures of a verify report.
pub fn failures(report: &Value) -> &Vec<Value> {
    report["failures"].as_array().unwrap()
}

/// The one failure of `report`, which must be about `rule`.
pub fn only_failure<'a>(report: &'a Value, rule: &str) -> &'a Value {
    let list = failures(report);
    assert_eq!(list.len(), 1, "expected one failure: {report:#}");
    assert_eq!(list[0]["rule"], rule, "{report:#}");
    &list[0]
}
