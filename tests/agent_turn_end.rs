//! The end of an agent's turn (Claude Code's and Codex CLI's `Stop`,
//! Cursor's `stop`, Gemini CLI's `AfterAgent`): vouch analyses what the
//! agent left in the working tree while nobody waits, so that the commit a
//! person makes next finds its files analysed instead of parsing them in
//! the pre-commit hook (issue 15: the commit's cost on first sight of its
//! files). What that must never do: stand in the agent's way (any exit but
//! 0 would, and Claude Code takes a `Stop` hook's exit 2 as "keep going"),
//! or change what the gate decides.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};
use support::run::Run;
use support::vouch_repo::VouchRepo;

const BEFORE: &str = "pub fn base() -> u32 {\n    1\n}\n";
const AFTER: &str = "pub fn base() -> u32 {\n    1\n}\n\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";
const POLICY: &str = "reviewers = [\"alice@example.com\"]\n";

/// A repository set up with vouch and Claude Code's hooks, `src/lib.rs`
/// committed by a person.
fn repo() -> VouchRepo {
    VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/lib.rs", BEFORE)], &["--agent", "claude-code"])
}

/// Claude Code writes `add` into `src/lib.rs`, its hooks around the tool.
fn agent_adds_a_function(repo: &VouchRepo) {
    let input = json!({ "file_path": repo.root().join("src/lib.rs"), "content": AFTER });
    repo.claude_hook("PreToolUse", "Write", "toolu_add", input.clone());
    repo.write("src/lib.rs", AFTER);
    repo.claude_hook("PostToolUse", "Write", "toolu_add", input);
}

fn analysis_dir(repo: &VouchRepo) -> std::path::PathBuf {
    repo.root().join(".git/vouch/cache/analysis")
}

/// The names of the analysis cache's entries.
fn analysed(repo: &VouchRepo) -> BTreeSet<String> {
    std::fs::read_dir(analysis_dir(repo))
        .map(|dir| dir.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

fn forget_analyses(repo: &VouchRepo) {
    let _ = std::fs::remove_dir_all(analysis_dir(repo));
}

/// `agent`'s end-of-turn hook with `payload`.
fn turn_ends(repo: &VouchRepo, agent: &str, payload: &Value) -> Run {
    repo.vouch_stdin(&["hook", agent], payload.to_string().as_bytes())
}

fn claude_stop(root: &Path) -> Value {
    json!({
        "session_id": "s-1",
        "transcript_path": root.join("no-transcript.jsonl"),
        "cwd": root,
        "permission_mode": "default",
        "hook_event_name": "Stop",
        "stop_hook_active": false,
    })
}

/// What the gate says of the staged files: its outcome and units.
fn gate(repo: &VouchRepo) -> (i32, Value, Value) {
    let run = repo.vouch(&["check", "--staged", "--format", "json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    (run.code, report["outcome"].clone(), report["units"].clone())
}

#[test]
fn a_commit_after_the_agents_turn_finds_its_files_analysed() {
    // Without the end of the turn, the gate analyses the file itself and
    // keeps what it found: the cache grows.
    let cold = repo();
    agent_adds_a_function(&cold);
    cold.ok(&["add", "-A"]);
    forget_analyses(&cold);
    let cold_gate = gate(&cold);
    assert!(!analysed(&cold).is_empty(), "the gate keeps its analyses");

    let repo = repo();
    agent_adds_a_function(&repo);
    forget_analyses(&repo);
    let run = turn_ends(&repo, "claude-code", &claude_stop(repo.root()));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "", "a Stop hook's output is shown to the agent: {run:?}");
    let warmed = analysed(&repo);
    assert!(!warmed.is_empty(), "the end of the turn analyses the agent's file: {run:?}");

    // The person stages what the agent wrote and commits: the gate finds
    // every analysis it needs, and decides as it does with nothing kept.
    repo.ok(&["add", "-A"]);
    let warm_gate = gate(&repo);
    assert_eq!(analysed(&repo), warmed, "the gate analysed nothing again");
    assert_eq!(warm_gate, cold_gate);
    assert_eq!(warm_gate.1, "refused", "{warm_gate:?}");
    assert!(warm_gate.2.to_string().contains("\"add\""), "{warm_gate:?}");
}

/// An agent's end-of-turn payload for a worktree root.
type Payload = fn(&str) -> Value;

#[test]
fn every_agents_end_of_turn_analyses_the_worktree() {
    let root_of = |repo: &VouchRepo| repo.root().to_str().unwrap().to_string();
    let cases: [(&str, Payload, &str); 3] = [
        (
            "cursor",
            |root| {
                json!({
                    "conversation_id": "c-1",
                    "generation_id": "g-1",
                    "hook_event_name": "stop",
                    "status": "completed",
                    "loop_count": 0,
                    "workspace_roots": [root],
                })
            },
            "",
        ),
        ("gemini", |root| json!({ "session_id": "s-1", "cwd": root, "hook_event_name": "AfterAgent" }), "{}\n"),
        ("codex", |root| json!({ "session_id": "s-1", "cwd": root, "hook_event_name": "Stop", "turn_id": "t-1" }), ""),
    ];
    for (agent, payload, stdout) in cases {
        let repo = repo();
        agent_adds_a_function(&repo);
        forget_analyses(&repo);
        let run = turn_ends(&repo, agent, &payload(&root_of(&repo)));
        assert_eq!(run.code, 0, "{agent}: {run:?}");
        assert_eq!(run.stdout, stdout, "{agent}: {run:?}");
        assert!(!analysed(&repo).is_empty(), "{agent}: {run:?}");
    }
}

#[test]
fn the_end_of_a_turn_never_stands_in_the_agents_way() {
    // A turn that edited nothing: no work, nothing written.
    let repo = repo();
    forget_analyses(&repo);
    let run = turn_ends(&repo, "claude-code", &claude_stop(repo.root()));
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""), "{run:?}");
    assert!(!analysis_dir(&repo).exists());

    // A policy that cannot be read (committed past the gate): said, and
    // the turn ends all the same (the commit's gate refuses it with the
    // file named).
    agent_adds_a_function(&repo);
    repo.write(".vouch.toml", "gate = 5\n");
    repo.ok(&["commit", "-q", "--no-verify", "-m", "a bad policy", "--", ".vouch.toml"]);
    let run = turn_ends(&repo, "claude-code", &claude_stop(repo.root()));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("warning") && run.stderr.contains(".vouch.toml"), "{run:?}");

    // Stopped again by another Stop hook, or outside any repository.
    repo.write(".vouch.toml", POLICY);
    let mut again = claude_stop(repo.root());
    again["stop_hook_active"] = json!(true);
    assert_eq!(turn_ends(&repo, "claude-code", &again).code, 0);
    let outside = tempfile::tempdir().unwrap();
    let run = turn_ends(&repo, "claude-code", &claude_stop(outside.path()));
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
}

#[test]
fn init_installs_the_end_of_turn_hook_for_each_agent() {
    let repo = VouchRepo::new();
    repo.write("a.txt", "a\n");
    let init_all = ["init", "--agent", "claude-code", "--agent", "cursor", "--agent", "gemini", "--agent", "codex"];
    let files = [".claude/settings.json", ".cursor/hooks.json", ".gemini/settings.json", ".codex/hooks.json"];
    let bytes = || -> Vec<Vec<u8>> { files.iter().map(|f| std::fs::read(repo.root().join(f)).unwrap()).collect() };
    let run = repo.vouch(&init_all);
    assert_eq!(run.code, 0, "{run:?}");
    let read =
        |file: &str| -> Value { serde_json::from_slice(&std::fs::read(repo.root().join(file)).unwrap()).unwrap() };
    for (file, event, command) in [
        (".claude/settings.json", "Stop", "vouch hook claude-code"),
        (".gemini/settings.json", "AfterAgent", "vouch hook gemini"),
        (".codex/hooks.json", "Stop", "vouch hook codex"),
    ] {
        let entries = read(file)["hooks"][event].clone();
        let entries = entries.as_array().unwrap_or_else(|| panic!("{file}: no {event}"));
        assert_eq!(entries.len(), 1, "{file}");
        assert_eq!(entries[0]["hooks"][0]["command"], command, "{file}");
        assert!(entries[0].get("matcher").is_none(), "{file}: {event} takes no matcher");
    }
    assert_eq!(read(".cursor/hooks.json")["hooks"]["stop"], json!([{ "command": "vouch hook cursor" }]));
    // Once is enough.
    let before = bytes();
    let run = repo.vouch(&init_all);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(bytes(), before);

    // Set up by an older vouch (no end of turn): doctor says what is
    // missing, and init adds it.
    let older = json!({ "hooks": {
        "PreToolUse": [{ "matcher": "Write|Edit|MultiEdit|Bash", "hooks": [{ "type": "command", "command": "vouch hook claude-code" }] }],
        "PostToolUse": [{ "matcher": "Write|Edit|MultiEdit|Bash", "hooks": [{ "type": "command", "command": "vouch hook claude-code" }] }],
    }});
    repo.write(".claude/settings.json", &older.to_string());
    let run = repo.vouch(&["doctor"]);
    assert!(
        run.stdout
            .contains("FAIL  agent Claude Code: .claude/settings.json runs vouch's hook as an older vouch set it up"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("the analysis at the end of the turn")
            && run.stdout.contains("fix: vouch init --agent claude-code"),
        "{run:?}"
    );
    assert_eq!(repo.vouch(&["init", "--agent", "claude-code"]).code, 0);
    assert_eq!(read(".claude/settings.json")["hooks"]["Stop"][0]["hooks"][0]["command"], "vouch hook claude-code");
    assert!(
        repo.vouch(&["doctor"]).stdout.contains("ok    agent Claude Code: .claude/settings.json runs vouch's hook")
    );
}
