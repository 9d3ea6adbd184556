//! A shared remote and its clones, for tests that play several people (and
//! an attacker) through the real `git`, `ssh-keygen` and `vouch` binaries:
//! a bare repository set up as docs/trust.md recommends (force-pushes and
//! deletions of branches refused), SSH keys for everyone, and clones with
//! their own identities.

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
pub const AI_FN: &str = "\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";

pub const SIGNED_POLICY: &str = r#"reviewers = ["alice@example.com", "bob@example.com"]
require_signatures = true
allowed_signers = ".vouch/allowed_signers"
"#;

/// Everyone who has a key, all listed in the allowed-signers file.
pub const PEOPLE: [&str; 5] = ["alice", "bob", "eve", "mallory", "dev"];

pub fn email(name: &str) -> String {
    format!("{name}@example.com")
}

pub fn git_env(cmd: &mut Command, home: &Path) {
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
}

pub fn git_output(dir: &Path, home: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(dir);
    git_env(&mut cmd, home);
    cmd.output().expect("git runs")
}

pub fn run_git(dir: &Path, home: &Path, args: &[&str]) -> String {
    let out = git_output(dir, home, args);
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// What a command printed, and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// A bare remote, keys, and clones of it.
pub struct World {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

/// One clone of the remote, with its own git identity.
pub struct Clone {
    pub path: PathBuf,
    pub home: PathBuf,
    pub email: String,
}

impl World {
    /// A remote that refuses force-pushes and deletions of branches, whose
    /// `main` holds `policy` as `.vouch.toml`, an allowed-signers file listing
    /// everyone in [`PEOPLE`], and a small `src/lib.rs`.
    pub fn new(policy: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let world = World { _dir: dir, root };
        std::fs::create_dir_all(world.root.join("keys")).unwrap();
        std::fs::create_dir_all(world.home()).unwrap();
        for name in PEOPLE.iter().chain(["stranger"].iter()) {
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(world.key(name))
                .status()
                .expect("ssh-keygen runs");
            assert!(status.success());
        }
        run_git(&world.root, &world.home(), &["init", "-q", "--bare", "-b", "main", "remote.git"]);
        world.remote_git(&["config", "receive.denyNonFastForwards", "true"]);
        world.remote_git(&["config", "receive.denyDeletes", "true"]);
        let seed = world.clone_as("seed", "dev");
        seed.write(".vouch.toml", policy);
        seed.write(".vouch/allowed_signers", &world.allowed_signers(&PEOPLE));
        seed.write("src/lib.rs", BASE_LIB);
        seed.commit("start", None);
        seed.git(&["push", "-q", "origin", "main"]);
        world
    }

    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    pub fn remote(&self) -> PathBuf {
        self.root.join("remote.git")
    }

    pub fn remote_git(&self, args: &[&str]) -> String {
        run_git(&self.remote(), &self.home(), args)
    }

    pub fn key(&self, name: &str) -> PathBuf {
        self.root.join("keys").join(name)
    }

    pub fn public_key(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.key(name).with_extension("pub")).unwrap();
        text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    }

    pub fn allowed_signers(&self, names: &[&str]) -> String {
        names.iter().map(|n| format!("{} {}\n", email(n), self.public_key(n))).collect()
    }

    /// A clone of the remote in `dir`, acting as `who@example.com`.
    pub fn clone_as(&self, dir: &str, who: &str) -> Clone {
        run_git(&self.root, &self.home(), &["clone", "-q", "remote.git", dir]);
        let clone = Clone { path: self.root.join(dir), home: self.home(), email: email(who) };
        clone.git(&["config", "user.email", &email(who)]);
        clone.git(&["config", "user.name", who]);
        clone.git(&["config", "commit.gpgsign", "false"]);
        clone
    }

    /// A signed decision by `who` on `fingerprint`, recorded in `clone`
    /// under `repository` (default: the id `clone` uses).
    pub fn decide(
        &self,
        clone: &Clone,
        fingerprint: &str,
        who: &str,
        verdict: Verdict,
        created: Option<&str>,
        repository: Option<&str>,
    ) -> String {
        let repository = repository.map_or_else(|| clone.repository_id(), str::to_string);
        let reviewer = Person { name: who.into(), email: email(who) };
        let mut approval = Approval::new(&repository, fingerprint, verdict, reviewer);
        approval.path = Some("src/lib.rs".into());
        if let Some(created) = created {
            approval.created = created.into();
        }
        let config = SigningConfig { key: self.key(who).display().to_string(), program: "ssh-keygen".into() };
        approval.signature = Some(signature::sign_with(&config, &approval.signed_payload()).unwrap());
        records::add(&clone.repo(), &approval).unwrap()
    }
}

impl Clone {
    pub fn git(&self, args: &[&str]) -> String {
        run_git(&self.path, &self.home, args)
    }

    pub fn git_run(&self, args: &[&str]) -> Run {
        Run::from(git_output(&self.path, &self.home, args))
    }

    pub fn repo(&self) -> Repository {
        Repository::open(&self.path).unwrap()
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path.join(rel)).unwrap()
    }

    pub fn head(&self) -> Oid {
        Oid::from_str(self.git(&["rev-parse", "HEAD"]).trim()).unwrap()
    }

    /// Commit everything without running the hooks; with `trailer`, the
    /// message names an AI co-author.
    pub fn commit(&self, subject: &str, trailer: Option<&str>) -> Oid {
        self.git(&["add", "-A"]);
        let message = match trailer {
            Some(t) => format!("{subject}\n\n{t}\n"),
            None => subject.to_string(),
        };
        self.git(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", &message]);
        self.head()
    }

    /// A feature branch with Claude's `add` function appended to src/lib.rs.
    pub fn ai_feature(&self) -> Oid {
        self.git(&["checkout", "-q", "-b", "feature"]);
        self.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
        self.commit("add add()", Some(TRAILER))
    }

    pub fn vouch(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
        cmd.args(args).current_dir(&self.path);
        git_env(&mut cmd, &self.home);
        Run::from(cmd.output().expect("vouch runs"))
    }

    /// `vouch verify` as JSON: the exit code and the report.
    pub fn verify(&self, range: &str) -> (i32, Value) {
        let run = self.vouch(&["verify", range, "--format", "json"]);
        let report =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("verify printed no JSON ({e}): {run:?}"));
        (run.code, report)
    }

    pub fn sync(&self) -> String {
        let run = self.vouch(&["sync"]);
        assert_eq!(run.code, 0, "vouch sync failed: {run:?}");
        run.all()
    }

    /// The repository id local commands use.
    pub fn repository_id(&self) -> String {
        vouch::store::repo::repository_id(&self.repo()).unwrap()
    }

    pub fn person(&self) -> Person {
        Person { name: self.email.split('@').next().unwrap().into(), email: self.email.clone() }
    }
}

/// The failures of a verify report.
pub fn failures(report: &Value) -> &Vec<Value> {
    report["failures"].as_array().unwrap()
}

pub fn details(failure: &Value) -> Vec<String> {
    failure["details"].as_array().map_or(Vec::new(), |d| d.iter().map(|s| s.as_str().unwrap().to_string()).collect())
}

/// The one failure of `report`, which must be about `rule`.
pub fn only_failure<'a>(report: &'a Value, rule: &str) -> &'a Value {
    let list = failures(report);
    assert_eq!(list.len(), 1, "expected one failure: {report:#}");
    assert_eq!(list[0]["rule"], rule, "{report:#}");
    &list[0]
}
