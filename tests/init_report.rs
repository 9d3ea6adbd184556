//! `vouch init --format json` (issue 16, item 6): what init wrote, changed
//! and left alone (policy, allowed signers, git hooks, git configuration,
//! fetch refspecs, moved records, the agents' configuration), as data; and
//! an init that cannot finish changes nothing and prints no JSON (its error
//! goes to standard error with exit 2, as for every command).

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
    pub mod world;
}

use std::path::Path;

use serde_json::Value;
use support::vouch_repo::VouchRepo;

const HOOKS: [&str; 5] = ["pre-commit", "prepare-commit-msg", "post-commit", "post-rewrite", "pre-push"];

/// `vouch init ARGS --format json` in `repo`: its exit 0, and its whole
/// standard output as one JSON document.
fn init_json(repo: &VouchRepo, args: &[&str]) -> Value {
    let mut all = vec!["init"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let run = repo.vouch(&all);
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not one JSON document ({e}): {run:?}"))
}

fn make_executable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(path, perms).unwrap();
}

#[test]
fn init_reports_what_it_wrote_changed_and_left_alone_as_json() {
    let repo = VouchRepo::new();
    let remote = tempfile::tempdir().unwrap();
    support::repo::git_in(remote.path(), &["init", "-q", "--bare"]);
    repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    let mine = "#!/bin/sh\nexit 0\n";
    repo.write(".git/hooks/pre-commit", mine);
    make_executable(&repo.path(".git/hooks/pre-commit"));
    repo.write(".claude/settings.json", "{\"model\":\"opus\"}\n");

    // Before the first commit: a starter policy without the repository id.
    let first = init_json(&repo, &["--agent", "claude-code", "--agent", "codex"]);
    assert_eq!(first["repository"], Value::Null, "{first:#}");
    assert_eq!(first["policy"]["file"], ".vouch.toml", "{first:#}");
    assert_eq!(first["policy"]["action"], "written", "{first:#}");
    assert_eq!(first["policy"]["signed"], false, "{first:#}");
    assert_eq!(first["policy"]["repository"], Value::Null, "{first:#}");
    assert!(repo.read(".vouch.toml").contains("gate = \"block\""));
    assert_eq!(first["allowed_signers"], Value::Null, "{first:#}");
    let hooks = first["hooks"].as_array().unwrap();
    assert_eq!(hooks.iter().map(|h| h["hook"].as_str().unwrap()).collect::<Vec<_>>(), HOOKS, "{first:#}");
    for hook in hooks {
        let file = hook["file"].as_str().unwrap();
        assert_eq!(file, format!(".git/hooks/{}", hook["hook"].as_str().unwrap()), "{first:#}");
        assert!(repo.read(file).contains("vouch"), "{file}");
        let expected = if hook["hook"] == "pre-commit" { "chained" } else { "installed" };
        assert_eq!(hook["action"], expected, "{first:#}");
    }
    assert_eq!(hooks[0]["kept_as"], ".git/hooks/pre-commit.local", "{first:#}");
    assert_eq!(repo.read(".git/hooks/pre-commit.local"), mine);
    let config: Vec<(&str, &str)> = first["git_config"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap(), c["value"].as_str().unwrap()))
        .collect();
    for (key, value) in &config {
        let set = repo.git(&["config", "--get-all", key]);
        assert!(set.lines().any(|l| l == *value), "{key} = {set:?}, reported {value}");
    }
    assert!(config.contains(&("notes.rewriteMode", "cat_sort_uniq")), "{config:?}");
    assert!(config.iter().all(|(key, _)| *key != "vouch.repository"), "no id before the first commit: {config:?}");
    let specs = first["fetch_refspecs"].as_array().unwrap();
    assert!(!specs.is_empty(), "{first:#}");
    let fetch = repo.git(&["config", "--get-all", "remote.origin.fetch"]);
    for spec in specs {
        assert_eq!(spec["remote"], "origin", "{first:#}");
        assert!(fetch.lines().any(|l| l == spec["refspec"].as_str().unwrap()), "{fetch}\n{first:#}");
    }
    assert_eq!(first["migrated"], serde_json::json!([]), "{first:#}");
    let agents = first["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2, "{first:#}");
    assert_eq!(
        (agents[0]["agent"].as_str(), agents[0]["file"].as_str(), agents[0]["action"].as_str()),
        (Some("claude-code"), Some(".claude/settings.json"), Some("merged")),
        "{first:#}"
    );
    assert_eq!(agents[0]["note"], Value::Null, "{first:#}");
    assert_eq!(
        (agents[1]["agent"].as_str(), agents[1]["file"].as_str(), agents[1]["action"].as_str()),
        (Some("codex"), Some(".codex/hooks.json"), Some("written")),
        "{first:#}"
    );
    assert!(agents[1]["note"].as_str().unwrap().contains("trusted project"), "{first:#}");
    let settings: Value = serde_json::from_str(&repo.read(".claude/settings.json")).unwrap();
    assert_eq!(settings["model"], "opus");
    assert!(first["warnings"].is_array() && first["notes"].is_array(), "{first:#}");
    assert!(first["next"].as_str().unwrap().contains("vouch doctor"), "{first:#}");

    // After the first commit: the id goes into the policy and the git
    // config; everything else is there already.
    repo.commit_all("start");
    let root = repo.git(&["rev-list", "--max-parents=0", "HEAD"]).trim().to_string();
    let again = init_json(&repo, &["--agent", "claude-code", "--agent", "codex"]);
    assert_eq!(again["repository"], root.as_str(), "{again:#}");
    assert_eq!(
        (again["policy"]["action"].as_str(), again["policy"]["repository"].as_str()),
        (Some("updated"), Some(root.as_str())),
        "{again:#}"
    );
    assert!(repo.read(".vouch.toml").contains(&format!("repository = \"{root}\"")));
    assert!(again["hooks"].as_array().unwrap().iter().all(|h| h["action"] == "unchanged"), "{again:#}");
    assert_eq!(again["fetch_refspecs"], serde_json::json!([]), "{again:#}");
    assert!(again["agents"].as_array().unwrap().iter().all(|a| a["action"] == "unchanged"), "{again:#}");
    let id = again["git_config"].as_array().unwrap().iter().find(|c| c["key"] == "vouch.repository");
    assert_eq!(id.map(|c| c["value"].clone()), Some(Value::from(root.as_str())), "{again:#}");

    // Once the policy names it: kept.
    let third = init_json(&repo, &[]);
    assert_eq!(
        (third["policy"]["action"].as_str(), third["policy"]["repository"].as_str()),
        (Some("kept"), Some(root.as_str())),
        "{third:#}"
    );
    assert_eq!(third["agents"], serde_json::json!([]), "{third:#}");
    // The text report says the same things in words.
    let text = repo.vouch(&["init"]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.contains(".vouch.toml: kept (it exists already;"), "{text:?}");
    assert!(text.stdout.contains(".git/hooks/post-commit: already installed"), "{text:?}");
}

#[test]
fn init_reports_an_invalid_policy_and_the_signed_setup_as_json() {
    let repo = VouchRepo::new();
    repo.write(".vouch.toml", "gate = \"sometimes\"\n");
    let run = init_json(&repo, &["--signed"]);
    assert_eq!(run["policy"]["action"], "kept", "{run:#}");
    assert!(run["policy"]["error"].as_str().unwrap().contains("gate"), "{run:#}");
    assert_eq!(repo.read(".vouch.toml"), "gate = \"sometimes\"\n");
    assert!(
        run["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("--signed changes nothing")),
        "{run:#}"
    );
    assert_eq!(run["allowed_signers"]["file"], ".vouch/allowed_signers", "{run:#}");
    assert_eq!(run["allowed_signers"]["action"], "written", "{run:#}");
    assert_eq!(run["allowed_signers"]["signer"], Value::Null, "no signing key configured: {run:#}");
    assert!(repo.read(".vouch/allowed_signers").starts_with("# Allowed signers"));

    let fresh = VouchRepo::new();
    let run = init_json(&fresh, &["--signed"]);
    assert_eq!(
        (run["policy"]["action"].as_str(), run["policy"]["signed"].as_bool()),
        (Some("written"), Some(true)),
        "{run:#}"
    );
    assert!(fresh.read(".vouch.toml").contains("require_signatures = true"));
    assert_eq!(run["policy"]["error"], Value::Null, "{run:#}");
    let again = init_json(&fresh, &["--signed"]);
    assert_eq!(again["allowed_signers"]["action"], "kept", "{again:#}");
}

#[test]
fn init_that_cannot_finish_changes_nothing_and_prints_no_json() {
    // A hook of someone else's, with a `.local` beside it already: init
    // cannot chain it without --force.
    let repo = VouchRepo::new();
    repo.write(".git/hooks/post-commit", "#!/bin/sh\necho theirs\n");
    repo.write(".git/hooks/post-commit.local", "#!/bin/sh\necho older\n");
    make_executable(&repo.path(".git/hooks/post-commit"));
    for format in ["text", "json"] {
        let run = repo.vouch(&["init", "--agent", "cursor", "--format", format]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("post-commit is not vouch's hook") && run.stderr.contains("--force"), "{run:?}");
        assert_eq!(run.stdout, "", "{format}: {run:?}");
        assert!(!repo.path(".vouch.toml").exists(), "{format}: the policy was written");
        assert!(!repo.path(".cursor/hooks.json").exists(), "{format}: the agent's file was written");
        assert!(!repo.path(".git/hooks/pre-commit").exists(), "{format}: a hook was installed");
        assert!(repo.git_output(&["config", "--get", "notes.rewriteMode"]).stdout.is_empty(), "{format}");
    }
    assert_eq!(repo.read(".git/hooks/post-commit"), "#!/bin/sh\necho theirs\n");

    // With --force it goes through, and says where the hook went.
    let run = init_json(&repo, &["--force"]);
    let post = run["hooks"].as_array().unwrap().iter().find(|h| h["hook"] == "post-commit").unwrap();
    assert_eq!(post["action"], "backed_up", "{run:#}");
    assert_eq!(post["kept_as"], ".git/hooks/post-commit.vouch-backup", "{run:#}");
    assert_eq!(repo.read(".git/hooks/post-commit.vouch-backup"), "#!/bin/sh\necho theirs\n");

    // Outside a repository: the error as every command gives it.
    let dir = tempfile::tempdir().unwrap();
    let run = repo.vouch_in(dir.path(), &["init", "--format", "json"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(run.stderr.starts_with("vouch: not in a git repository"), "{run:?}");
}

/// A fresh clone's `vouch init` reads the records once, into their cache:
/// the first blame or commit gate after the clone does not walk the records
/// branch's history.
#[test]
fn init_in_a_fresh_clone_leaves_the_records_read() {
    use support::world::{Decision, World};
    let world = World::new("reviewers = [\"alice@example.com\"]\n");
    let a = world.clone_as("a", "dev");
    world.decide(&a, &"ab".repeat(32), Decision::by("alice"));
    a.sync();
    let b = world.clone_as("b", "dev");
    let cache = b.path.join(".git/vouch/cache");
    assert!(!cache.join("approval.keyed").exists(), "nothing read yet");
    let out = b.vouch(&["init"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(cache.join("approval.keyed").is_file() && cache.join("request.keyed").is_file());
}
