//! The completion scripts `vouch completions SHELL` prints, loaded and run
//! in their real shells (issue 16, item 6): zsh (an interactive zsh in a
//! pseudo-terminal, Tab pressed), fish (`complete -C`) and elvish (its
//! completion API, in an interactive elvish). Each is asked what completes
//! `vouch ` (every subcommand), `vouch veri` (only verify) and `vouch
//! approve --` (every long flag of approve, and nothing else). bash's script
//! is run in tests/conventions.rs. PowerShell is not in Debian's archive:
//! its script is generated (tests/conventions.rs) but never run.
//!
//! scripts/install-deps.sh installs the shells when it runs as root (as CI
//! runs it). A test whose shell is missing prints `SKIPPED: ...` on
//! standard error, past the test harness's capture, and passes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/completions").join(name)
}

/// Whether `program` is installed; when it is not, says that `test`
/// skipped, straight to standard error (the harness captures `eprintln!`,
/// and shows it only for a failing test).
fn available(program: &str, test: &str) -> bool {
    // Started at all (whatever it makes of the flag): it is there.
    let found = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {test}: {program} is not installed (scripts/install-deps.sh installs it when run as root)"
        );
    }
    found
}

/// The completion script for `shell`, in a fresh temporary directory that
/// also serves as the shell's home; the script's path.
fn script(shell: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let out = Command::new(VOUCH).args(["completions", shell]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, &out.stdout).unwrap();
    (dir, path)
}

/// A command for a shell, at home in `home` (so nothing of the user's, and
/// nothing outside the temporary directory, is read or written).
fn shell(program: &str, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("TERM", "xterm")
        .stdin(Stdio::null());
    cmd
}

/// The subcommands `vouch --help` lists.
fn subcommands() -> Vec<String> {
    let help = Command::new(VOUCH).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let commands = help.split("Commands:").nth(1).expect("a Commands section");
    let names: Vec<String> = commands
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect();
    assert!(names.len() > 15 && names.iter().any(|n| n == "verify"), "{names:?}");
    names
}

/// The long flags `vouch approve --help` lists (on its option lines: `-y,
/// --yes`, `--file <PATH>`).
fn approve_flags() -> Vec<String> {
    let help = Command::new(VOUCH).args(["approve", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let mut flags: Vec<String> = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .flat_map(|l| l.split_whitespace().take_while(|w| w.starts_with('-')).map(|w| w.trim_end_matches(',')))
        .filter(|w| w.starts_with("--"))
        .map(String::from)
        .collect();
    flags.sort();
    flags.dedup();
    assert!(flags.contains(&"--automated".to_string()) && flags.contains(&"--yes".to_string()), "{flags:?}");
    flags
}

/// What one shell offered for the three lines: each must hold what a
/// person expects there.
fn check_offers(shell: &str, complete: impl Fn(&str) -> Vec<String>) {
    let offered = complete("vouch ");
    for name in subcommands() {
        assert!(offered.contains(&name), "{shell}: `vouch ` does not offer {name}: {offered:?}");
    }
    assert_eq!(complete("vouch veri"), ["verify"], "{shell}: `vouch veri`");
    let mut offered = complete("vouch approve --");
    offered.sort();
    offered.dedup();
    assert_eq!(offered, approve_flags(), "{shell}: `vouch approve --`");
}

#[test]
fn zsh_completes_subcommands_and_flags() {
    if !available("zsh", "zsh_completes_subcommands_and_flags") {
        return;
    }
    // Installed as a person installs it: a file `_vouch` in a directory on
    // fpath, found by compinit.
    let (dir, _) = script("zsh", "_vouch");
    let complete = |line: &str| -> Vec<String> {
        let offered = dir.path().join("offered");
        let out = shell("zsh", dir.path())
            .arg("-f")
            .arg(fixture("complete.zsh"))
            .arg(dir.path())
            .arg(&offered)
            .arg(line)
            .output()
            .unwrap();
        assert!(out.status.success(), "zsh, {line:?}: {}", text(&out));
        std::fs::read_to_string(&offered).unwrap().lines().map(String::from).collect()
    };
    check_offers("zsh", complete);
}

#[test]
fn fish_completes_subcommands_and_flags() {
    if !available("fish", "fish_completes_subcommands_and_flags") {
        return;
    }
    let (dir, path) = script("fish", "vouch.fish");
    let complete = |line: &str| -> Vec<String> {
        let out = shell("fish", dir.path())
            .args(["--no-config", "-c", "source $argv[1]; and complete -C $argv[2]"])
            .arg(&path)
            .arg(line)
            .output()
            .unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "fish, {line:?}: {}", text(&out));
        // Each line: the word, a tab, its description.
        let stdout = String::from_utf8(out.stdout).unwrap();
        stdout.lines().map(|l| l.split('\t').next().unwrap_or("").to_string()).collect()
    };
    check_offers("fish", complete);
}

#[test]
fn elvish_completes_subcommands_and_flags() {
    if !available("elvish", "elvish_completes_subcommands_and_flags")
        || !available("script", "elvish_completes_subcommands_and_flags")
    {
        return;
    }
    let (dir, path) = script("elvish", "vouch.elv");
    let complete = |line: &str| -> Vec<String> {
        let offered = dir.path().join("offered");
        let _ = std::fs::remove_file(&offered);
        // The line editor needs a terminal: `script` gives elvish one.
        let elvish = format!("elvish -rc '{}'", fixture("complete.elv").display());
        let out = shell("timeout", dir.path())
            .args(["60", "script", "-qec", &elvish, "/dev/null"])
            .env("VOUCH_COMPLETION", &path)
            .env("WORDS", line)
            .env("OFFERED", &offered)
            .output()
            .unwrap();
        assert!(out.status.success(), "elvish, {line:?}: {}", text(&out));
        let offered = std::fs::read_to_string(&offered).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        offered.lines().map(String::from).collect()
    };
    check_offers("elvish", complete);
}
