//! Conventions people expect of a command-line tool (issue 16, item 6):
//! shell completions and man pages generated from the command-line
//! definition, and progress drawn on a terminal only.

use std::path::Path;
use std::process::{Command, Output};

fn vouch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The subcommands `vouch --help` lists.
fn subcommands() -> Vec<String> {
    let help = vouch().arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let commands = help.split("Commands:").nth(1).expect("a Commands section");
    let commands = commands.split("\n\n").next().unwrap();
    let names: Vec<String> = commands
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(String::from)
        .collect();
    assert!(names.len() > 15 && names.iter().any(|n| n == "verify"), "{names:?}");
    names
}

#[test]
fn bash_completion_is_valid_and_completes_every_command_and_option() {
    let out = vouch().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let script = String::from_utf8(out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vouch.bash");
    std::fs::write(&path, &script).unwrap();
    let complete = |line: &str| -> String {
        let words: Vec<&str> = line.split(' ').collect();
        let shell = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT={}; _vouch vouch '{}' '{}'; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display(),
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            words.len() - 1,
            line.len(),
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = Command::new("bash").args(["--noprofile", "--norc", "-c", &shell]).output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let all = complete("vouch ");
    for name in subcommands() {
        assert!(all.lines().any(|l| l == name), "{name} not completed: {all}");
    }
    assert_eq!(complete("vouch veri"), "verify\n");
    assert!(complete("vouch approve --auto").lines().any(|l| l == "--automated"));
    assert!(complete("vouch run --to").lines().any(|l| l == "--tool"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = vouch().args(["completions", shell]).output().unwrap();
        assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("verify"), "{shell}");
    }
    let out = vouch().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn man_pages_cover_every_command_and_render_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let out = vouch().args(["man", "--dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let mut pages = vec!["vouch.1".to_string()];
    pages.extend(subcommands().iter().map(|c| format!("vouch-{c}.1")));
    for page in &pages {
        let path = dir.path().join(page);
        assert!(path.exists(), "{page} missing");
        // groff's own checks: -ww turns every warning on; -z renders nothing.
        let out = Command::new("groff").args(["-man", "-Tutf8", "-ww", "-z"]).arg(&path).output().unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{page}: {}", text(&out));
    }
    let approve = std::fs::read_to_string(dir.path().join("vouch-approve.1")).unwrap();
    assert!(approve.contains("automated"), "{approve}");
    let run = std::fs::read_to_string(dir.path().join("vouch-run.1")).unwrap();
    assert!(run.contains("wrapper") && run.contains("\\-\\-tool"), "{run}");
    let out = vouch().arg("man").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(".ie"), "{}", text(&out));
}

fn repo_with_commits(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=a", "-c", "user.email=a@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
    };
    git(&["init", "-q", "-b", "main"]);
    for i in 0..n {
        std::fs::write(dir.path().join("f.txt"), format!("{i}\n")).unwrap();
        git(&["add", "f.txt"]);
        git(&["commit", "-q", "-m", &format!("c{i}")]);
    }
    dir
}

/// Runs `vouch ARGS` with standard error on a pseudo-terminal (`script`),
/// standard output discarded; returns what the terminal showed.
fn on_a_terminal(dir: &Path, args: &str) -> String {
    let command = format!("{} {args} >/dev/null", env!("CARGO_BIN_EXE_vouch"));
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    text(&out)
}

#[test]
fn progress_is_drawn_on_a_terminal_and_never_into_a_pipe() {
    let dir = repo_with_commits(30);
    for args in [&["stats"][..], &["verify", "HEAD~29..HEAD"][..]] {
        let out = vouch().args(args).current_dir(dir.path()).env("GIT_CONFIG_GLOBAL", "/dev/null").output().unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{args:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains('\r') && !stderr.contains('\u{1b}'), "{args:?} drew into a pipe: {stderr:?}");
    }
    let shown = on_a_terminal(dir.path(), "stats");
    assert!(shown.contains("reading the history"), "{shown:?}");
    let shown = on_a_terminal(dir.path(), "verify HEAD~29..HEAD");
    assert!(shown.contains("verifying HEAD~29..HEAD"), "{shown:?}");
    // Cleared when done: the last thing drawn erases the line.
    assert!(shown.trim_end().ends_with("\u{1b}[2K"), "{shown:?}");
    // A dumb terminal gets none.
    let command = format!("TERM=dumb {} stats >/dev/null", env!("CARGO_BIN_EXE_vouch"));
    let out = Command::new("script").args(["-qec", &command, "/dev/null"]).current_dir(dir.path()).output().unwrap();
    assert!(!text(&out).contains("reading the history"), "{}", text(&out));
}

/// Commands that do not report: the server, the agents' and git's hooks
/// (whose output their caller defines), the generators, the HTML page (whose
/// numbers `vouch stats --format json` gives), the agent wrapper (`vouch
/// run`: its standard output is the wrapped agent's, passed through
/// untouched; what vouch says goes to standard error), and the Agent Trace
/// export (its output is that format). Setup (`vouch init`) reports what it
/// did: tests/init_report.rs.
const NOT_REPORTING: [&str; 7] = ["lsp", "hook", "completions", "man", "report", "run", "export"];

#[test]
fn every_command_that_reports_takes_format_json() {
    let mut missing = Vec::new();
    for name in subcommands().iter().filter(|n| !NOT_REPORTING.contains(&n.as_str())) {
        // A command with subcommands: each of its leaves.
        let help = String::from_utf8(vouch().args([name.as_str(), "--help"]).output().unwrap().stdout).unwrap();
        let leaves: Vec<Vec<String>> = match help.split("Commands:").nth(1) {
            Some(list) => list
                .split("\n\n")
                .next()
                .unwrap()
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .filter(|n| *n != "help")
                .map(|sub| vec![name.clone(), sub.to_string()])
                .collect(),
            None => vec![vec![name.clone()]],
        };
        for leaf in leaves {
            let out = vouch().args(&leaf).arg("--help").output().unwrap();
            if !String::from_utf8_lossy(&out.stdout).contains("--format") {
                missing.push(leaf.join(" "));
            }
        }
    }
    assert!(missing.is_empty(), "no --format json: {missing:?}");
}

fn vouch_in(dir: &Path, args: &[&str]) -> Output {
    vouch()
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "a")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "a")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

#[test]
fn mark_sync_and_override_report_as_json() {
    let dir = repo_with_commits(3);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=a", "-c", "user.email=a@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
    };
    git(&["config", "user.name", "a"]);
    git(&["config", "user.email", "a@example.com"]);
    std::fs::write(dir.path().join(".vouch.toml"), "allow_override = true\noverride_by = [\"a@example.com\"]\n")
        .unwrap();
    git(&["add", ".vouch.toml"]);
    git(&["commit", "-q", "-m", "policy"]);

    let mark = json_of(&vouch_in(dir.path(), &["mark", "f.txt:1", "--ai", "--tool", "claude", "--format", "json"]));
    assert_eq!(mark["path"], "f.txt");
    assert_eq!((mark["first_line"].as_u64(), mark["origin"].as_str()), (Some(1), Some("ai")));
    assert_eq!((mark["tool"].as_str(), mark["by"].as_str()), (Some("claude"), Some("a@example.com")));

    let over =
        json_of(&vouch_in(dir.path(), &["override", "--reason", "outage", "--commit", "HEAD", "--format", "json"]));
    assert_eq!(over["id"].as_str().map(str::len), Some(64), "{over:#}");
    assert_eq!(over["override"]["reason"], "outage");

    let remote = tempfile::tempdir().unwrap();
    let out = Command::new("git").args(["init", "-q", "--bare"]).arg(remote.path()).output().unwrap();
    assert!(out.status.success());
    git(&["remote", "add", "origin", &remote.path().display().to_string()]);
    let sync = json_of(&vouch_in(dir.path(), &["sync", "--format", "json"]));
    assert_eq!((sync["remote"].as_str(), sync["push"].as_bool()), (Some("origin"), Some(true)), "{sync:#}");
    let records = sync["refs"].as_array().unwrap().iter().find(|r| r["name"] == "refs/heads/vouch-records");
    let records = records.unwrap_or_else(|| panic!("{sync:#}"));
    assert_eq!(records["pushed"], true, "{sync:#}");
}
