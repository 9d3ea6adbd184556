//! A bare remote, real `ssh-keygen` keys and clones of the remote, each
//! acting as one person, driving the real `vouch` binary: the world the
//! trust and attack tests play in. Approvals and requests are written with
//! `records::add` (as `vouch approve` and `vouch request` do), signed
//! through `store::signature`, as an attacker with the library would.

// Each test binary uses a different part of the support code.
#![allow(dead_code)]

pub use super::run::Run;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use git2::{Oid, Repository};
use serde_json::Value;
use vouch::policy::Verdict;
use vouch::store::records::{self, Approval, Override, Person, Request, RequestedUnit};
use vouch::store::signature::{self, SigningConfig};

pub const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";

pub const BASE_LIB: &str = "pub fn base() -> u32 {\n    1\n}\n";
pub const AI_FN: &str = "\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";

pub const SIGNED_POLICY: &str = r#"reviewers = ["alice@example.com", "bob@example.com"]
require_signatures = true
allowed_signers = ".vouch/allowed_signers"
"#;

/// Everyone who has a key; the allowed-signers file lists all but the
/// stranger (being able to sign is not being a reviewer).
pub const PEOPLE: [&str; 5] = ["alice", "bob", "eve", "mallory", "dev"];

/// A bare remote, keys, and clones of it.
pub struct World {
    pub _dir: tempfile::TempDir,
    pub root: PathBuf,
}

/// One clone of the remote, with its own git identity.
pub struct Clone {
    pub path: PathBuf,
    pub home: PathBuf,
    pub email: String,
}

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
    /// allowed-signers file listing everyone in [`PEOPLE`], and a small
    /// `src/lib.rs`.
    pub fn new(policy: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let world = World { _dir: dir, root };
        std::fs::create_dir_all(world.root.join("keys")).unwrap();
        std::fs::create_dir_all(world.root.join("home")).unwrap();
        for name in PEOPLE.iter().chain(["stranger"].iter()) {
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
        seed.write(".vouch/allowed_signers", &world.allowed_signers(&PEOPLE));
        seed.write("src/lib.rs", BASE_LIB);
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
}

impl Clone {
    pub fn git(&self, args: &[&str]) -> String {
        run_git(&self.path, &self.home, args)
    }

    /// Run git and return its output, whether it succeeded or not.
    pub fn git_output(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(&self.path);
        git_env(&mut cmd, &self.home);
        cmd.output().expect("git runs")
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

    /// Commit everything; with `trailer`, the message names an AI co-author.
    pub fn commit(&self, subject: &str, trailer: Option<&str>) -> Oid {
        self.git(&["add", "-A"]);
        let message = match trailer {
            Some(t) => format!("{subject}\n\n{t}\n"),
            None => subject.to_string(),
        };
        self.git(&["commit", "-q", "--no-verify", "-m", &message]);
        Oid::from_str(self.git(&["rev-parse", "HEAD"]).trim()).unwrap()
    }

    /// A feature branch with Claude's `add` function appended to src/lib.rs.
    pub fn ai_feature(&self) -> Oid {
        self.git(&["checkout", "-q", "-b", "feature"]);
        self.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
        self.commit("add add()", Some(TRAILER))
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

    pub fn sync(&self) -> String {
        let out = self.vouch(&["sync"]);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "vouch sync failed: {text}");
        text
    }

    pub fn repository_id(&self) -> String {
        vouch::store::repo::repository_id(&self.repo()).unwrap()
    }

    /// The text of lines `first..=last` of `path` with the last line's
    /// break, as a unit holds it.
    pub fn unit_text(&self, path: &str, first: u64, last: u64) -> String {
        let text = self.read(path);
        let lines: Vec<&str> = text.lines().collect();
        format!("{}\n", lines[first as usize - 1..last as usize].join("\n"))
    }

    /// A request for the unit a failure names, with the unit's real text.
    pub fn request(&self, failure: &Value, rationale: &str) -> String {
        let (first, last) = (failure["line"].as_u64().unwrap(), failure["end_line"].as_u64().unwrap());
        let path = failure["path"].as_str().unwrap();
        let text = self.unit_text(path, first, last);
        let fingerprint = failure["fingerprint"].as_str().unwrap().to_string();
        assert_eq!(
            vouch::fingerprint::fingerprint("rust", "function", text.as_bytes()),
            fingerprint,
            "the unit text is exact"
        );
        self.request_with(path, &fingerprint, &text, rationale)
    }

    pub fn request_with(&self, path: &str, fingerprint: &str, text: &str, rationale: &str) -> String {
        let unit = RequestedUnit {
            path: path.into(),
            language: "rust".into(),
            kind: "function".into(),
            name: Some("add".into()),
            fingerprint: fingerprint.into(),
            fingerprint_version: Some(vouch::fingerprint::VERSION),
            text: text.into(),
            ai_lines: vec![[1, 3]],
            tool: Some("claude".into()),
            model: None,
            intents: Vec::new(),
        };
        let mut request = Request::new(&self.repository_id(), self.person(), vec![unit]);
        request.rationale = Some(rationale.into());
        records::add(&self.repo(), &request).unwrap()
    }

    pub fn person(&self) -> Person {
        Person { name: self.email.split('@').next().unwrap().into(), email: self.email.clone() }
    }
}

/// How an approval is made in a test.
pub struct Decision<'a> {
    pub reviewer: &'a str,
    /// Whose key signs it (`None`: unsigned).
    pub key: Option<&'a str>,
    pub verdict: Verdict,
    pub request: Option<String>,
    pub created: Option<&'a str>,
    pub repository: Option<String>,
    /// Where the unit was when decided on (`None`: the record names no
    /// path, which counts wherever the text stands).
    pub path: Option<&'a str>,
}

impl<'a> Decision<'a> {
    /// An approval by `who`, signed with their own key.
    pub fn by(who: &'a str) -> Decision<'a> {
        Decision {
            reviewer: who,
            key: Some(who),
            verdict: Verdict::Approve,
            request: None,
            created: None,
            repository: None,
            path: None,
        }
    }
}

impl World {
    /// Replace files on the remote's `main` (a change made through review
    /// before the attack starts).
    pub fn on_main(&self, files: &[(&str, &str)]) {
        let s = self.clone_as(&format!("main-{}", files.len() + self.root.read_dir().map_or(0, |d| d.count())), "dev");
        for (path, content) in files {
            s.write(path, content);
        }
        s.commit("change main", None);
        s.git(&["push", "-q", "origin", "main"]);
    }

    /// `who` decides every unit `report` failed on (an approval, signed
    /// with their key); `clone` verifies `origin/main..HEAD` again.
    pub fn all_decided_by(&self, clone: &Clone, report: &Value, who: &str) -> (i32, Value) {
        for failure in failures(report) {
            self.decide(clone, str_of(&failure["fingerprint"]), Decision::by(who));
        }
        clone.verify("origin/main..HEAD")
    }

    /// Record `decision` on `fingerprint` in `clone`.
    pub fn decide(&self, clone: &Clone, fingerprint: &str, decision: Decision<'_>) -> String {
        let repository = decision.repository.unwrap_or_else(|| clone.repository_id());
        let reviewer = Person { name: decision.reviewer.into(), email: email(decision.reviewer) };
        let mut approval = Approval::new(&repository, fingerprint, decision.verdict, reviewer);
        approval.path = decision.path.map(str::to_string);
        approval.request = decision.request;
        if let Some(created) = decision.created {
            approval.created = created.into();
        }
        if let Some(key) = decision.key {
            let config = SigningConfig { key: self.key(key).display().to_string(), program: "ssh-keygen".into() };
            approval.signature = Some(signature::sign_with(&config, &approval.signed_payload()).unwrap());
        }
        records::add(&clone.repo(), &approval).unwrap()
    }
}

impl World {
    /// An override of `commits` by `who` in `clone`, signed with `who`'s
    /// key, as `vouch override` writes it: its record id.
    pub fn sign_override(&self, clone: &Clone, who: &str, reason: &str, commits: &[String]) -> String {
        let person = Person { name: who.into(), email: email(who) };
        let mut record = Override::new(&clone.repository_id(), person, reason);
        record.commits.extend_from_slice(commits);
        let config = SigningConfig { key: self.key(who).display().to_string(), program: "ssh-keygen".into() };
        record.signature = Some(signature::sign_with(&config, &record.signed_payload()).unwrap());
        records::add(&clone.repo(), &record).unwrap()
    }
}

/// A string field of a report, or "".
pub fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

impl World {
    /// A world under `policy` whose main also holds `files`, and clone `a`
    /// (dev) on a new branch `feature` from it.
    pub fn with_feature(policy: &str, files: &[(&str, &str)]) -> (World, Clone) {
        let world = World::new(policy);
        world.on_main(files);
        let a = world.clone_as("a", "dev");
        a.git(&["checkout", "-q", "-b", "feature"]);
        (world, a)
    }
}

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

/// A world with the AI feature committed on clone `a` (dev) and its one
/// failing unit.
pub fn feature_world(policy: &str) -> (World, Clone, Value) {
    let world = World::new(policy);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai").clone();
    (world, a, failure)
}

impl Clone {
    /// Commit as someone else from now on.
    pub fn act_as(&self, who: &str) {
        self.git(&["config", "user.email", &email(who)]);
        self.git(&["config", "user.name", who]);
    }

    pub fn write_bytes(&self, rel: &str, content: &[u8]) {
        let path = self.path.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn head(&self) -> Oid {
        Oid::from_str(self.git(&["rev-parse", "HEAD"]).trim()).unwrap()
    }

    /// The blob id of `path` in `commit`.
    pub fn blob(&self, commit: Oid, path: &str) -> Oid {
        self.repo().find_commit(commit).unwrap().tree().unwrap().get_path(Path::new(path)).unwrap().id()
    }
}

impl World {
    pub fn remote(&self) -> PathBuf {
        self.root.join("remote.git")
    }

    /// Run git in the bare remote; it must succeed.
    pub fn remote_git(&self, args: &[&str]) -> String {
        run_git(&self.remote(), &self.home(), args)
    }

    /// Set the remote up as docs/trust.md recommends for a plain git server:
    /// branches can be neither force-pushed nor deleted.
    pub fn protect(&self) {
        self.remote_git(&["config", "receive.denyNonFastForwards", "true"]);
        self.remote_git(&["config", "receive.denyDeletes", "true"]);
    }
}

impl Clone {
    /// [`Clone::vouch`], as a [`Run`].
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.vouch(args))
    }

    /// `vouch ARGS` answering with `input` on standard input (a pipe, not a
    /// terminal), as a [`Run`].
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write as _;
        use std::process::Stdio;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
        cmd.args(args).current_dir(&self.path).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        git_env(&mut cmd, &self.home);
        let mut child = cmd.spawn().expect("vouch runs");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    /// [`Clone::git_output`], as a [`Run`].
    pub fn git_run(&self, args: &[&str]) -> Run {
        Run::from(self.git_output(args))
    }
}
