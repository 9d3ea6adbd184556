//! Gemini CLI's and Codex CLI's hooks (issue 16.4), end to end: the real
//! vouch binary, real git, the documented payloads of
//! `tests/fixtures/agent-hooks/` pointed at a temporary repository. The
//! same questions as for Claude Code and Cursor: what is recorded (tool,
//! model, session, exactly the agent's lines thanks to the snapshot taken
//! before the tool), what a malformed payload does (exit 2, nothing
//! changed), paths that lead out of the worktree (refused), and the intent
//! their payloads offer (issue 17.1: Gemini's words for its call, Codex's
//! ids; their transcripts never read).

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::run::Run;
use support::vouch_repo::{VOUCH, VouchRepo, deref_to_inner};

const CART_BEFORE: &str = "def total(items):\n    return sum(i.price for i in items)\n";
const CART_AFTER: &str = "def total(items, coupon=None):\n    subtotal = sum(i.price * i.qty for i in items)\n    if coupon:\n        subtotal -= coupon.discount(subtotal)\n    return max(subtotal, 0)\n";
/// A person's line, written before the agent's tool ran: never the agent's.
const HUMAN: &str = "\n\n# checked by hand\n";
const SECRET: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAsecret\n-----END OPENSSH PRIVATE KEY-----\n";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent-hooks").join(name);
    std::fs::read_to_string(path).unwrap()
}

/// A repository (vouch not set up unless a test runs `vouch init`), driven
/// through the shared harness (see [`VouchRepo`]), with what these tests
/// ask of it besides.
struct Repo {
    inner: VouchRepo,
}

deref_to_inner!(Repo);

impl Repo {
    /// `src/cart.py` committed.
    fn new() -> Repo {
        let inner = VouchRepo::new();
        inner.write("src/cart.py", CART_BEFORE);
        inner.commit_all("start");
        Repo { inner }
    }

    /// A fixture with the sample project's path replaced by this one's.
    fn payload(&self, name: &str) -> String {
        fixture(name).replace("/home/dev/shop", self.root().to_str().unwrap())
    }

    /// vouch, reading `input`, with `env` set besides.
    fn vouch(&self, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Run {
        self.vouch_with(self.root(), args, input, env)
    }

    fn hook(&self, agent: &str, payload: &str) -> Run {
        let run = self.vouch(&["hook", agent], payload.as_bytes(), &[]);
        assert_eq!(run.code, 0, "{run:?}");
        run
    }

    /// Everything under `.git/vouch` (journal and snapshots), with bytes.
    fn vouch_state(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.root().join(".git/vouch")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                if entry.path().is_dir() {
                    stack.push(entry.path());
                } else {
                    out.insert(entry.path(), std::fs::read(entry.path()).unwrap());
                }
            }
        }
        out
    }

    fn snapshots(&self) -> usize {
        std::fs::read_dir(self.root().join(".git/vouch/pre")).map_or(0, |d| d.count())
    }

    /// Each journal record's path and the text of its spans, with the
    /// first span's attribution.
    fn recorded(&self) -> BTreeMap<String, (Vec<String>, Value)> {
        let mut out = BTreeMap::new();
        let dir = self.root().join(".git/vouch/journal");
        let Ok(entries) = std::fs::read_dir(&dir) else { return out };
        for entry in entries.flatten() {
            for line in String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).lines() {
                let json = line.rsplit_once('\t').map_or(line, |(json, _)| json);
                let record: Value = serde_json::from_str(json).unwrap();
                let Some(path) = record["path"].as_str() else { continue };
                let text = self.read(path);
                let spans: Vec<String> = record["spans"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        text[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize].to_string()
                    })
                    .collect();
                out.insert(path.to_string(), (spans, record["spans"][0].clone()));
            }
        }
        out
    }
}

fn attribution(span: &Value) -> (String, String, Option<String>, Option<String>) {
    (
        span["tool"].as_str().unwrap_or_default().to_string(),
        span["evidence"].as_str().unwrap_or_default().to_string(),
        span["model"].as_str().map(str::to_string),
        span["session"].as_str().map(str::to_string),
    )
}

#[test]
fn gemini_replace_records_the_agents_lines_from_the_snapshot() {
    let repo = Repo::new();
    // A person's edit before the tool: in the file, not the agent's.
    repo.write("src/cart.py", &format!("{CART_BEFORE}{HUMAN}"));
    let before = repo.hook("gemini", &repo.payload("gemini-before-tool-replace.json"));
    assert_eq!(before.stdout.trim(), "{}", "Gemini CLI reads JSON on stdout: {before:?}");
    assert_eq!(repo.snapshots(), 1);
    // The tool writes; a formatter hook then reflows the agent's text.
    let after = format!("{CART_AFTER}{HUMAN}").replace("    if coupon:\n", "    if coupon:  # reflowed\n");
    repo.write("src/cart.py", &after);
    let run = repo.vouch(
        &["hook", "gemini"],
        repo.payload("gemini-after-tool-replace.json").as_bytes(),
        &[("GEMINI_MODEL", "gemini-3-pro")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout.trim(), "{}");
    assert_eq!(repo.snapshots(), 0, "the AfterTool takes the snapshot");
    let recorded = repo.recorded();
    let (spans, span) = &recorded["src/cart.py"];
    assert_eq!(spans.concat(), after.strip_suffix(HUMAN).unwrap(), "exactly the agent's lines, reflowed");
    assert_eq!(
        attribution(span),
        (
            "gemini-cli".into(),
            "agent-hook".into(),
            Some("gemini-3-pro".into()),
            Some("4f6e2b1a-9c3d-4e8f-a1b2-c3d4e5f60718".into())
        )
    );
}

#[test]
fn gemini_write_file_and_shell() {
    let repo = Repo::new();
    let write: Value = serde_json::from_str(&repo.payload("gemini-after-tool-write-file.json")).unwrap();
    let content = write["tool_input"]["content"].as_str().unwrap();
    repo.write("src/coupons.py", content);
    repo.hook("gemini", &write.to_string());
    assert_eq!(repo.recorded()["src/coupons.py"].0.concat(), content);

    // A shell command: the worktree's snapshot, then what changed. The
    // person's uncommitted file, untouched by the command, is not the agent's.
    repo.write("notes.txt", "mine\n");
    repo.hook("gemini", &repo.payload("gemini-before-tool-shell.json"));
    repo.write("src/cart.py", &CART_BEFORE.replace("price", "unit_price"));
    repo.hook("gemini", &repo.payload("gemini-after-tool-shell.json"));
    let recorded = repo.recorded();
    assert_eq!(recorded["src/cart.py"].0, vec!["    return sum(i.unit_price for i in items)\n"]);
    assert!(!recorded.contains_key("notes.txt"), "{recorded:?}");
    // Other events and tools: nothing, with the reason.
    let read = r#"{"hook_event_name":"AfterTool","tool_name":"read_file","tool_input":{"file_path":"/x"}}"#;
    assert!(repo.hook("gemini", read).stderr.contains("tool read_file edits no file vouch tracks"));
    let start = r#"{"hook_event_name":"SessionStart","source":"startup"}"#;
    assert!(repo.hook("gemini", start).stderr.contains("SessionStart is not a tool call"));
}

#[test]
fn codex_apply_patch_records_each_file_it_names() {
    let repo = Repo::new();
    repo.write("src/cart.py", &format!("{CART_BEFORE}{HUMAN}"));
    repo.hook("codex", &repo.payload("codex-pre-tool-use-apply-patch.json"));
    assert_eq!(repo.snapshots(), 1);
    // What the patch does (paths relative to `cwd`).
    let post: Value = serde_json::from_str(&repo.payload("codex-post-tool-use-apply-patch.json")).unwrap();
    let coupons: String = post["tool_input"]["command"]
        .as_str()
        .unwrap()
        .split("*** Add File: src/coupons.py\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with('+'))
        .map(|l| format!("{}\n", &l[1..]))
        .collect();
    repo.write("src/cart.py", &format!("{CART_AFTER}{HUMAN}"));
    repo.write("src/coupons.py", &coupons);
    let run = repo.hook("codex", &post.to_string());
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(repo.snapshots(), 0);
    let recorded = repo.recorded();
    assert_eq!(recorded["src/cart.py"].0.concat(), CART_AFTER);
    assert_eq!(recorded["src/coupons.py"].0.concat(), coupons);
    let session = "019a7f3e-6b2c-7d10-9e4f-0a1b2c3d4e5f";
    assert_eq!(
        attribution(&recorded["src/cart.py"].1),
        ("codex".into(), "agent-hook".into(), Some("gpt-5.5-codex".into()), Some(session.into()))
    );
}

#[test]
fn codex_without_a_snapshot_records_what_changed_since_vouch_last_saw_the_file() {
    let repo = Repo::new();
    repo.write("src/cart.py", CART_AFTER);
    repo.write("src/coupons.py", "class Coupon:\n    pass\n");
    repo.hook("codex", &repo.payload("codex-post-tool-use-apply-patch.json"));
    let recorded = repo.recorded();
    assert_eq!(recorded["src/cart.py"].0.concat(), CART_AFTER);
    assert_eq!(recorded["src/coupons.py"].0.concat(), "class Coupon:\n    pass\n");
    // A shell command with no snapshot records nothing, and says why.
    let run = repo.hook("codex", &repo.payload("codex-post-tool-use-bash.json"));
    assert!(run.stderr.contains("vouch init --agent codex adds the PreToolUse hook"), "{run:?}");
}

#[test]
fn codex_bash_records_the_files_the_command_changed() {
    let repo = Repo::new();
    repo.write("notes.txt", "mine\n");
    repo.hook("codex", &repo.payload("codex-pre-tool-use-bash.json"));
    repo.write("src/cart.py", &CART_BEFORE.replace("price", "unit_price"));
    repo.write("src/new.py", "x = 1\n");
    repo.hook("codex", &repo.payload("codex-post-tool-use-bash.json"));
    let recorded = repo.recorded();
    assert_eq!(recorded.keys().collect::<Vec<_>>(), vec!["src/cart.py", "src/new.py"]);
    assert_eq!(recorded["src/new.py"].1["tool"], "codex");
}

#[test]
fn malformed_payloads_exit_2_and_change_nothing() {
    let repo = Repo::new();
    repo.write("src/cart.py", CART_AFTER);
    let cart = repo.root().join("src/cart.py");
    let cart = cart.to_str().unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("gemini", "not json".into(), "malformed gemini-cli hook payload: not JSON"),
        ("gemini", "".into(), "empty input"),
        ("gemini", "{}".into(), "missing `hook_event_name`"),
        ("gemini", r#"{"hook_event_name":"BeforeTool"}"#.into(), "missing `tool_name`"),
        ("gemini", r#"{"hook_event_name":"BeforeTool","tool_name":"write_file","tool_input":[]}"#.into(), "`tool_input` must be an object, found an array"),
        ("gemini", format!(r#"{{"hook_event_name":"AfterTool","tool_name":"write_file","tool_input":{{"file_path":"{cart}"}}}}"#), "missing `tool_input.content`"),
        ("gemini", format!(r#"{{"hook_event_name":"AfterTool","tool_name":"replace","tool_input":{{"file_path":"{cart}","new_string":"x","expected_replacements":"all"}}}}"#), "`tool_input.expected_replacements` must be a number, found a string"),
        ("gemini", format!(r#"{{"hook_event_name":"BeforeTool","session_id":7,"tool_name":"replace","tool_input":{{"file_path":"{cart}","new_string":"x"}}}}"#), "`session_id` must be a string, found a number"),
        // rt30c B2: without the event, a payload was taken for the hook
        // after a tool, and recorded the person's own changes as the agent's.
        ("claude-code", format!(r#"{{"tool_name":"Edit","tool_input":{{"file_path":"{cart}","old_string":"x","new_string":"y"}}}}"#), "missing `hook_event_name`"),
        ("codex", "[1]".into(), "malformed codex hook payload: not a JSON object"),
        ("codex", r#"{"hook_event_name":"PostToolUse","tool_name":"apply_patch","tool_input":{}}"#.into(), "missing `tool_input.command`"),
        ("codex", r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t","tool_input":{"command":["ls"]}}"#.into(), "`tool_input.command` must be a string, found an array"),
        ("codex", r#"{"hook_event_name":"PostToolUse","tool_name":"apply_patch","model":3,"tool_input":{"command":"*** Add File: a.py\n+x\n"}}"#.into(), "`model` must be a string, found a number"),
    ];
    let before = repo.vouch_state();
    for (agent, payload, message) in cases {
        let run = repo.vouch(&["hook", agent], payload.as_bytes(), &[]);
        assert_eq!(run.code, 2, "{agent} {message}: {run:?}");
        assert!(run.stderr.contains(message), "{agent} {message}: {run:?}");
        assert_eq!(repo.vouch_state(), before, "{agent} {message}: .git/vouch changed");
    }
}

#[test]
fn paths_out_of_the_worktree_are_refused_and_nothing_of_them_is_kept() {
    let repo = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    let secret_dir = outside.path().canonicalize().unwrap();
    std::fs::write(secret_dir.join("id_ed25519"), SECRET).unwrap();
    symlink(secret_dir.join("id_ed25519"), repo.root().join("src/key.py")).unwrap();
    let key = repo.root().join("src/key.py");
    let gemini = json!({"hook_event_name": "AfterTool", "session_id": "s", "tool_name": "write_file",
        "tool_input": {"file_path": key, "content": SECRET}});
    let codex = json!({"hook_event_name": "PostToolUse", "session_id": "s", "tool_use_id": "c1", "cwd": repo.root(),
        "tool_name": "apply_patch", "tool_input": {"command": "*** Begin Patch\n*** Update File: src/cart.py\n@@\n+x\n*** Update File: src/key.py\n@@\n+y\n*** End Patch\n"}});
    for (agent, payload) in [("gemini", &gemini), ("codex", &codex)] {
        // Before the tool: no snapshot of what the link names.
        let mut pre = payload.clone();
        pre["hook_event_name"] = json!(if agent == "gemini" { "BeforeTool" } else { "PreToolUse" });
        assert_eq!(repo.vouch(&["hook", agent], pre.to_string().as_bytes(), &[]).code, 0);
        let run = repo.vouch(&["hook", agent], payload.to_string().as_bytes(), &[]);
        assert_eq!(run.code, 2, "{agent}: {run:?}");
        assert!(
            run.stderr.contains("outside the worktree") && run.stderr.contains("nothing recorded"),
            "{agent}: {run:?}"
        );
    }
    assert!(repo.recorded().is_empty(), "{:?}", repo.recorded());
    for (path, bytes) in repo.vouch_state() {
        assert!(!String::from_utf8_lossy(&bytes).contains("secret"), "{} holds the secret", path.display());
    }
    let git = git2::Repository::open(repo.root()).unwrap();
    let id = git2::Oid::hash_object(git2::ObjectType::Blob, SECRET.as_bytes()).unwrap();
    assert!(!git.odb().unwrap().exists(id), "the secret was stored as a git object");
}

#[test]
fn init_writes_both_configurations_and_doctor_runs_them() {
    let repo = Repo::new();
    repo.write(".gemini/settings.json", "{\"theme\":\"dark\",\"hooks\":{\"AfterTool\":[{\"matcher\":\"write_file\",\"hooks\":[{\"type\":\"command\",\"command\":\"./lint.sh\"}]}]}}\n");
    let bin = Path::new(VOUCH).parent().unwrap().to_str().unwrap().to_string();
    let path = format!("{bin}:/usr/bin:/bin");
    let run = repo.vouch(&["init", "--agent", "gemini", "--agent", "codex"], b"", &[("PATH", &path)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("only in a trusted project"), "{run:?}");
    let gemini: Value = serde_json::from_str(&repo.read(".gemini/settings.json")).unwrap();
    assert_eq!(gemini["theme"], "dark");
    assert_eq!(gemini["hooks"]["AfterTool"][0]["hooks"][0]["command"], "./lint.sh");
    for event in ["BeforeTool", "AfterTool"] {
        let ours = gemini["hooks"][event].as_array().unwrap().last().unwrap();
        assert_eq!(ours["matcher"], "write_file|replace|run_shell_command", "{gemini}");
        assert_eq!(ours["hooks"][0], json!({"name": "vouch", "type": "command", "command": "vouch hook gemini"}));
    }
    let codex: Value = serde_json::from_str(&repo.read(".codex/hooks.json")).unwrap();
    for event in ["PreToolUse", "PostToolUse"] {
        assert_eq!(
            codex["hooks"][event],
            json!([{"matcher": "apply_patch|Bash", "hooks": [{"type": "command", "command": "vouch hook codex"}]}])
        );
    }
    assert_eq!(codex.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["hooks"], "Codex refuses other root keys");
    let files = (repo.read(".gemini/settings.json"), repo.read(".codex/hooks.json"));
    assert_eq!(repo.vouch(&["init", "--agent", "gemini", "--agent", "codex"], b"", &[("PATH", &path)]).code, 0);
    assert_eq!(
        (repo.read(".gemini/settings.json"), repo.read(".codex/hooks.json")),
        files,
        "a second init changes nothing"
    );

    let run = repo.vouch(&["doctor"], b"", &[("PATH", &path)]);
    for expected in [
        "ok    agent Gemini CLI: .gemini/settings.json runs vouch's hook",
        "ok    agent Gemini CLI hook: `vouch hook gemini` runs",
        "ok    agent Codex CLI: .codex/hooks.json runs vouch's hook",
        "ok    agent Codex CLI hook: `vouch hook codex` runs",
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {run:?}");
    }
    // Without vouch on PATH, doctor says so; a file without vouch's hook too.
    let run = repo.vouch(&["doctor"], b"", &[("PATH", "/usr/bin:/bin")]);
    assert!(run.stdout.contains("FAIL  agent Codex CLI hook: `vouch hook codex` fails with exit 127"), "{run:?}");
    repo.write(".codex/hooks.json", "{\"hooks\":{}}\n");
    let run = repo.vouch(&["doctor"], b"", &[("PATH", &path)]);
    assert!(
        run.stdout.contains("FAIL  agent Codex CLI: .codex/hooks.json exists but does not run vouch's hook"),
        "{run:?}"
    );
    assert!(run.stdout.contains("fix: vouch init --agent codex"), "{run:?}");
}

/// A transcript in Claude Code's format (the one format vouch reads), whose
/// prompt and words carry `mark`, with tool calls of the ids the Codex
/// fixtures use: what vouch would find if it read Gemini CLI's or Codex's
/// transcript path (their formats are undocumented; vouch reads neither).
fn transcript_with(dir: &Path, mark: &str) -> PathBuf {
    let path = dir.join("transcript.jsonl");
    let mut text = String::new();
    for (i, id) in ["toolu_control", "call_7Hk2pQ9rT4", "call_9Lm3nB5vX1"].iter().enumerate() {
        for line in [
            json!({"type": "user", "message": {"role": "user", "content": format!("prompt {i} {mark}")}}),
            json!({"type": "assistant", "message": {"role": "assistant", "model": "claude-opus-4-5-20251101",
                "content": [{"type": "text", "text": format!("intent {i} {mark}")}]}}),
            json!({"type": "assistant", "message": {"role": "assistant", "model": "claude-opus-4-5-20251101",
                "content": [{"type": "tool_use", "id": id, "name": "Write", "input": {}}]}}),
        ] {
            text.push_str(&format!("{line}\n"));
        }
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Codex's turn in the fixtures (`turn_id`).
const CODEX_TURN: &str = "019a7f3e-7c3d-7e21-8f50-1b2c3d4e5f60";
/// A secret in the words Gemini CLI gives its shell command.
const AWS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";

/// Gemini CLI's and Codex CLI's edits keep what their payloads offer as
/// intent (docs/intent.md), as the policy's `intent` says: Gemini's own
/// words for the tool call (a `replace`'s `instruction`, a shell command's
/// `description`) as the agent's intent, trimmed to the level and with
/// secrets redacted; Codex's `tool_use_id` and `turn_id` as the call and
/// the turn (`generation`); nothing at `none`. Their transcripts are never
/// read (their formats are undocumented): a transcript in Claude Code's
/// format at their `transcript_path` leaves no word in the journal or the
/// note, while Claude Code's hook, given the same transcript, keeps its
/// intent. Blame shows Gemini's words beside the unit, and never Codex's
/// ids (they are details, for the hover).
#[test]
fn gemini_and_codex_edits_keep_what_their_payloads_offer_and_never_read_the_transcript() {
    const MARK: &str = "zq7-transcript-words";
    let instruction = format!(
        "In total(), take an optional coupon and clamp at zero.\n\n\nSo carts never go negative.   \n{}",
        "Keep the old signature working. ".repeat(30)
    );
    let description = format!("Rename price to unit_price\nin the cart (deploy key {AWS_KEY})");
    let folded = instruction.split_whitespace().collect::<Vec<_>>().join(" ");
    for level in ["none", "summary", "full"] {
        // `summary` is the default: the policy does not name it.
        let policy = match level {
            "summary" => "gate = \"warn\"\n".to_string(),
            _ => format!("gate = \"warn\"\nintent = \"{level}\"\n"),
        };
        for agent in ["gemini", "codex"] {
            let case = format!("{level} {agent}");
            let repo = Repo::new();
            repo.write(".vouch.toml", &policy);
            let init = repo.vouch(&["init"], b"", &[]);
            assert_eq!(init.code, 0, "{init:?}");
            repo.inner.commit_all("policy");
            let outside = tempfile::tempdir().unwrap();
            let transcript = transcript_with(outside.path(), MARK);
            // A fixture with the transcript at its path and these tool
            // arguments besides (the same in the events before and after).
            let payload = |name: &str, input: &[(&str, &str)]| -> String {
                let mut payload: Value = serde_json::from_str(&repo.payload(name)).unwrap();
                payload["transcript_path"] = json!(transcript);
                for (key, value) in input {
                    payload["tool_input"][*key] = json!(value);
                }
                payload.to_string()
            };

            // The control: Claude Code's hook reads this transcript.
            repo.write("src/control.py", "x = 1\n");
            let control = json!({"session_id": "s-1", "transcript_path": transcript, "hook_event_name": "PostToolUse",
                "tool_name": "Write", "tool_use_id": "toolu_control",
                "tool_input": {"file_path": repo.root().join("src/control.py"), "content": "x = 1\n"}});
            repo.hook("claude-code", &control.to_string());
            let kept = &repo.recorded()["src/control.py"].1["intent"];
            if level == "none" {
                assert_eq!(kept, &Value::Null, "{case}");
            } else {
                assert!(kept["prompt"].as_str().is_some_and(|p| p.contains(MARK)), "{case}: {kept}");
            }

            // The agent's file tool, then its shell tool, each with its hook
            // before and after; what each file's intent must be.
            let mut expected: Vec<(&str, Value)> = Vec::new();
            match agent {
                "gemini" => {
                    let words = [("instruction", instruction.as_str())];
                    repo.hook(agent, &payload("gemini-before-tool-replace.json", &words));
                    repo.write("src/cart.py", CART_AFTER);
                    repo.hook(agent, &payload("gemini-after-tool-replace.json", &words));
                    let words = [("description", description.as_str())];
                    repo.hook(agent, &payload("gemini-before-tool-shell.json", &words));
                    repo.write("src/shell.py", "y = 2\n");
                    repo.hook(agent, &payload("gemini-after-tool-shell.json", &words));
                    let cart = match level {
                        // Folded on one line, cut to 500 characters.
                        "summary" => {
                            let cut: String = folded.chars().take(500).collect();
                            json!({"said": format!("{}…", cut.trim_end()), "cut": true})
                        }
                        // Line breaks kept (one blank line at most), not cut.
                        _ => json!({"said": instruction
                            .replace("\n\n\n", "\n\n")
                            .replace("negative.   \n", "negative.\n")
                            .trim_end()}),
                    };
                    let shell = match level {
                        "summary" => "Rename price to unit_price in the cart (deploy key [redacted])",
                        _ => "Rename price to unit_price\nin the cart (deploy key [redacted])",
                    };
                    expected.push(("src/cart.py", cart));
                    expected.push(("src/shell.py", json!({"said": shell, "redacted": 1})));
                }
                _ => {
                    repo.hook(agent, &payload("codex-pre-tool-use-apply-patch.json", &[]));
                    repo.write("src/cart.py", CART_AFTER);
                    repo.write("src/coupons.py", "class Coupon:\n    pass\n");
                    repo.hook(agent, &payload("codex-post-tool-use-apply-patch.json", &[]));
                    repo.hook(agent, &payload("codex-pre-tool-use-bash.json", &[]));
                    repo.write("src/shell.py", "y = 2\n");
                    repo.hook(agent, &payload("codex-post-tool-use-bash.json", &[]));
                    let patch = json!({"call": "call_7Hk2pQ9rT4", "generation": CODEX_TURN});
                    expected.push(("src/cart.py", patch.clone()));
                    expected.push(("src/coupons.py", patch));
                    expected.push(("src/shell.py", json!({"call": "call_9Lm3nB5vX1", "generation": CODEX_TURN})));
                }
            }
            if level == "none" {
                for (_, intent) in &mut expected {
                    *intent = Value::Null;
                }
            }
            let recorded = repo.recorded();
            for (path, intent) in &expected {
                let (spans, span) = recorded.get(*path).unwrap_or_else(|| panic!("{case}: {path} not recorded"));
                assert!(!spans.is_empty(), "{case}: {path}");
                assert_eq!(span["tool"], if agent == "gemini" { "gemini-cli" } else { "codex" }, "{span}");
                assert_eq!(&span["intent"], intent, "{case}: {path}: {span}");
            }
            // Only the control's journal record holds the transcript's
            // words; the secret is nowhere.
            for (path, bytes) in repo.vouch_state() {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(AWS_KEY), "{case}: {} holds the secret", path.display());
                for line in text.lines().filter(|l| l.contains(MARK)) {
                    assert!(line.contains("src/control.py"), "{case}: {}: {line}", path.display());
                }
            }

            // Committed: the note's records carry the same intents, and no
            // word of the transcript.
            repo.inner.commit_all("the agent's edits");
            let note = repo.inner.git(&["notes", "--ref=vouch", "show", "HEAD"]);
            assert!(!note.contains(AWS_KEY), "{case}: {note}");
            let records: Vec<Value> = note.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            for (path, intent) in &expected {
                let record = records.iter().find(|r| r["path"] == *path);
                let record = record.unwrap_or_else(|| panic!("{case}: no note record of {path}: {note}"));
                assert!(!record["ai"].as_array().unwrap().is_empty(), "{record}");
                assert_eq!(&record["intent"], intent, "{case}: {record}");
                assert!(!record.to_string().contains(MARK), "{record}");
            }
            if level != "none" {
                let control = records.iter().find(|r| r["path"] == "src/control.py").unwrap();
                assert!(control["intent"]["prompt"].as_str().is_some_and(|p| p.contains(MARK)), "{control}");
            }

            // Blame: Gemini's words beside the unit; Codex's ids are not
            // words a reviewer reads there.
            if level == "summary" {
                let blame = repo.vouch(&["blame", "src/shell.py"], b"", &[]);
                assert_eq!(blame.code, 0, "{blame:?}");
                if agent == "gemini" {
                    let line = "│ agent's intent: Rename price to unit_price in the cart (deploy key [redacted])";
                    assert!(blame.stdout.contains(line), "{blame:?}");
                } else {
                    assert!(!blame.stdout.contains("call_9Lm3nB5vX1"), "{blame:?}");
                    assert!(!blame.stdout.contains(CODEX_TURN), "{blame:?}");
                    assert!(!blame.stdout.contains("intent"), "{blame:?}");
                }
            }
        }
    }
}
