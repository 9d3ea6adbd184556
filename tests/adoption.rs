//! Adopting vouch in a repository that already has history: the policy's
//! first commit is a change to a trust file (it decides who may approve),
//! so it needs a second person's sign-off like any other; on an unborn
//! branch there is nothing before it to protect. What `vouch init` and the
//! gate say must lead there, and must not call the policy AI-written.
//! The real `vouch` binary and git, through the hooks `vouch init` installs.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use support::vouch_repo::VouchRepo;

/// A repository with one commit made before vouch, then `vouch init`.
fn adopted_late() -> (VouchRepo, String) {
    let repo = VouchRepo::new();
    repo.write("README.md", "a project\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "start"]);
    let init = repo.vouch_ok(&["init"]);
    (repo, init.all())
}

#[test]
fn init_says_how_the_first_policy_gets_committed() {
    let (_repo, init) = adopted_late();
    assert!(
        init.contains("vouch request .vouch.toml"),
        "init names the request the policy's first commit needs: {init}"
    );
}

#[test]
fn the_gate_names_a_trust_file_change_as_such_not_as_ai_text() {
    let (repo, _) = adopted_late();
    repo.ok(&["add", "-A"]);
    let commit = repo.git_run(&["commit", "-q", "-m", "adopt vouch"]);
    assert_ne!(commit.code, 0, "the policy's first commit needs sign-off: {commit:?}");
    let said = commit.all();
    assert!(said.contains("1 trust-file change(s) staged lack sign-off; commit refused"), "{said}");
    assert!(!said.contains("AI-written"), "nothing here is AI-written: {said}");
    assert!(said.contains("vouch request .vouch.toml"), "the next step is named: {said}");

    // The way through: the author asks, someone else approves.
    let request = repo.vouch_ok(&["request", ".vouch.toml", "-m", "adopt vouch"]);
    let id = request
        .stdout
        .split_whitespace()
        .skip_while(|w| *w != "approve")
        .nth(1)
        .unwrap_or_else(|| panic!("the request names its id: {request:?}"))
        .to_string();
    repo.ok(&["config", "user.email", "carol@example.com"]);
    repo.vouch_ok(&["approve", &id, "--yes"]);
    repo.ok(&["config", "user.email", "dev@example.com"]);
    let commit = repo.git_run(&["commit", "-q", "-m", "adopt vouch"]);
    assert_eq!(commit.code, 0, "approved, the policy commits: {commit:?}");
}

#[test]
fn a_commit_of_ai_text_and_a_trust_file_counts_each_for_what_it_is() {
    let (repo, _) = adopted_late();
    repo.ok(&["add", "-A"]);
    repo.write("src/gen.rs", "pub fn double(x: u32) -> u32 {\n    x * 2\n}\n");
    repo.vouch_ok(&["mark", "--ai", "--tool", "claude-code", "src/gen.rs:1-3"]);
    repo.ok(&["add", "-A"]);
    let commit = repo.git_run(&["commit", "-q", "-m", "adopt vouch and add code"]);
    assert_ne!(commit.code, 0, "{commit:?}");
    let said = commit.all();
    assert!(
        said.contains("2 unit(s) (1 AI-written unit(s), 1 trust-file change(s)) staged lack sign-off; commit refused"),
        "{said}"
    );
}

#[test]
fn doctor_says_the_id_is_written_and_the_policy_only_needs_committing() {
    let (repo, _) = adopted_late();
    let doctor = repo.vouch(&["doctor"]);
    let said = doctor.all();
    let line = said.lines().skip_while(|l| !l.contains("repository id")).take(2).collect::<Vec<_>>().join("\n");
    assert!(line.contains("FAIL"), "CI cannot know the id until the policy is committed: {said}");
    assert!(!line.contains("fix: vouch init"), "init has already written it: {line}");
    assert!(line.contains("vouch request .vouch.toml"), "the fix is the policy's reviewed first commit: {line}");
}
