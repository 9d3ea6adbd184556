//! The hook configuration of AI agents, merged into the files they read:
//! Claude Code's `.claude/settings.json` (a `PreToolUse` hook that takes a
//! snapshot and a `PostToolUse` hook that records what changed, on its file
//! tools and its shell), Cursor's `.cursor/hooks.json` (`afterFileEdit`
//! and `afterTabFileEdit`), Gemini CLI's `.gemini/settings.json`
//! (`BeforeTool` and `AfterTool` on `write_file`, `replace` and
//! `run_shell_command`) and Codex CLI's `.codex/hooks.json` (`PreToolUse`
//! and `PostToolUse` on `apply_patch` and `Bash`); and for each, the hook
//! at the end of the agent's turn (`Stop`, Cursor's `stop`, Gemini CLI's
//! `AfterAgent`), where vouch analyses what the agent left for the next
//! commit (see [`super::hook`]). All but Cursor nest the commands the same
//! way: `hooks.<event>: [{matcher, hooks: [{type, command}]}]`, with no
//! matcher at the end of the turn. What is there already is kept, in its
//! order; adding vouch's hook twice changes nothing. A file that is not valid JSON, or
//! whose `hooks` have another shape, is an error naming the file, and
//! nothing is written.
//!
//! The command written is a bare `vouch hook …`: the file is usually
//! committed, and one machine's path to vouch would break every other
//! clone. So `vouch` must be on the `PATH` the agent runs hooks with;
//! `vouch init` says when it is not, and `vouch doctor` runs each
//! configured command as the agent would ([`probe`]: `sh -c`, this `PATH`)
//! and reports a command the shell cannot find (exit 127).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// The agents `vouch init --agent` configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentName {
    ClaudeCode,
    Cursor,
    /// Gemini CLI.
    Gemini,
    /// OpenAI Codex CLI.
    Codex,
}

impl AgentName {
    /// Every agent `vouch init --agent` configures.
    pub const ALL: [AgentName; 4] = [AgentName::ClaudeCode, AgentName::Cursor, AgentName::Gemini, AgentName::Codex];

    /// How people call it.
    pub fn display(self) -> &'static str {
        match self {
            AgentName::ClaudeCode => "Claude Code",
            AgentName::Cursor => "Cursor",
            AgentName::Gemini => "Gemini CLI",
            AgentName::Codex => "Codex CLI",
        }
    }

    /// Its value for `--agent` and `vouch hook`.
    pub fn flag(self) -> &'static str {
        match self {
            AgentName::ClaudeCode => "claude-code",
            AgentName::Cursor => "cursor",
            AgentName::Gemini => "gemini",
            AgentName::Codex => "codex",
        }
    }

    /// The hooks of an agent that nests them under a matcher (all but
    /// Cursor).
    fn nested(self) -> Option<Nested> {
        match self {
            AgentName::ClaudeCode => Some(Nested {
                events: CLAUDE_EVENTS,
                matcher: CLAUDE_MATCHER,
                turn_end: CLAUDE_TURN_END,
                command: CLAUDE_COMMAND,
                name: None,
            }),
            AgentName::Cursor => None,
            AgentName::Gemini => Some(Nested {
                events: GEMINI_EVENTS,
                matcher: GEMINI_MATCHER,
                turn_end: GEMINI_TURN_END,
                command: GEMINI_COMMAND,
                name: Some("vouch"),
            }),
            AgentName::Codex => Some(Nested {
                events: CODEX_EVENTS,
                matcher: CODEX_MATCHER,
                turn_end: CODEX_TURN_END,
                command: CODEX_COMMAND,
                name: None,
            }),
        }
    }

    /// Whether `command` is vouch's hook for this agent.
    fn is_ours(self, command: &str) -> bool {
        command.trim().ends_with(&format!("hook {}", self.flag())) && command.contains("vouch")
    }
}

/// vouch's hooks in the configuration of an agent that nests them.
struct Nested {
    /// The event before the tool (a snapshot), and those after it.
    events: &'static [&'static str],
    matcher: &'static str,
    /// The event at the end of the agent's turn (no matcher).
    turn_end: &'static str,
    command: &'static str,
    /// The hook's `name`, where the agent names hooks (Gemini CLI's
    /// `/hooks disable NAME`).
    name: Option<&'static str>,
}

/// The command Claude Code runs before and after a tool that may edit.
pub const CLAUDE_COMMAND: &str = "vouch hook claude-code";
/// The tools it runs for: the file tools, notebooks' cells, the shell, and
/// MCP servers' tools (a regular expression of tool names).
pub const CLAUDE_MATCHER: &str = "Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.*";
/// The Claude Code events vouch's hook runs on: a snapshot before the
/// tool, the record after it, whether it succeeded (`PostToolUse`) or
/// failed (`PostToolUseFailure`: a shell command that exits non-zero may
/// have written files all the same).
pub const CLAUDE_EVENTS: &[&str] = &["PreToolUse", "PostToolUse", "PostToolUseFailure"];
/// Claude Code's event at the end of its turn.
pub const CLAUDE_TURN_END: &str = "Stop";
/// The command Cursor runs after an edit.
pub const CURSOR_COMMAND: &str = "vouch hook cursor";
/// The Cursor events vouch's hook runs on: its edits, and the end of its
/// turn.
pub const CURSOR_EVENTS: [&str; 3] = ["afterFileEdit", "afterTabFileEdit", "stop"];
/// The command Gemini CLI runs before and after a tool that may edit.
pub const GEMINI_COMMAND: &str = "vouch hook gemini";
/// Gemini CLI's file tools and its shell.
pub const GEMINI_MATCHER: &str = "write_file|replace|run_shell_command";
/// The Gemini CLI events vouch's hook runs on.
pub const GEMINI_EVENTS: &[&str] = &["BeforeTool", "AfterTool"];
/// Gemini CLI's event at the end of its turn.
pub const GEMINI_TURN_END: &str = "AfterAgent";
/// The command Codex CLI runs before and after a tool that may edit.
pub const CODEX_COMMAND: &str = "vouch hook codex";
/// Codex's file edits and its shell.
pub const CODEX_MATCHER: &str = "apply_patch|Bash";
/// The Codex CLI events vouch's hook runs on.
pub const CODEX_EVENTS: &[&str] = &["PreToolUse", "PostToolUse"];
/// Codex CLI's event at the end of its turn.
pub const CODEX_TURN_END: &str = "Stop";

/// A JSON value that keeps the order of object members as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn object(members: Vec<(&str, Json)>) -> Json {
        Json::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn string(s: &str) -> Json {
        Json::String(s.to_string())
    }

    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The member `key` of this object, inserted (as `default`) at the end
    /// if missing.
    fn entry(&mut self, key: &str, default: impl FnOnce() -> Json) -> Option<&mut Json> {
        let Json::Object(members) = self else { return None };
        let i = match members.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                members.push((key.to_string(), default()));
                members.len() - 1
            }
        };
        Some(&mut members[i].1)
    }

    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(v) => s.serialize_str(v),
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
                serde_json::Number::from_f64(v).map(Json::Number).ok_or_else(|| E::custom("not a finite number"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
                Ok(Json::String(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
                Ok(Json::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members: Vec<(String, Json)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    // A repeated key: the last one wins, as for most readers.
                    match members.iter_mut().find(|(key, _)| *key == k) {
                        Some(member) => member.1 = v,
                        None => members.push((k, v)),
                    }
                }
                Ok(Json::Object(members))
            }
        }
        d.deserialize_any(V)
    }
}

/// What merging vouch's hook into one file does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub file: PathBuf,
    /// The new content, or `None` when vouch's hook is there already.
    pub content: Option<String>,
    pub created: bool,
}

/// Why an agent's configuration cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read it: {source}", file.display())]
    Read { file: PathBuf, source: std::io::Error },
    #[error("{}: not valid JSON: {reason}; fix it, then run vouch init again", file.display())]
    Json { file: PathBuf, reason: String },
    #[error("{}: {reason}; fix it, then run vouch init again", file.display())]
    Shape { file: PathBuf, reason: String },
}

/// The file of `agent` in the worktree at `root`.
pub fn config_file(root: &Path, agent: AgentName) -> PathBuf {
    match agent {
        AgentName::ClaudeCode => root.join(".claude").join("settings.json"),
        AgentName::Cursor => root.join(".cursor").join("hooks.json"),
        AgentName::Gemini => root.join(".gemini").join("settings.json"),
        AgentName::Codex => root.join(".codex").join("hooks.json"),
    }
}

/// Plan the merge of vouch's hook into `agent`'s configuration under
/// `root`; nothing is written.
pub fn plan(root: &Path, agent: AgentName) -> Result<Merge, ConfigError> {
    let file = config_file(root, agent);
    let (mut doc, created) = match std::fs::read(&file) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => (Json::Object(Vec::new()), false),
        Ok(bytes) => {
            let doc = serde_json::from_slice::<Json>(&bytes)
                .map_err(|e| ConfigError::Json { file: file.clone(), reason: e.to_string() })?;
            (doc, false)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let fresh = match agent {
                AgentName::Cursor => Json::object(vec![("version", Json::Number(1.into()))]),
                AgentName::ClaudeCode | AgentName::Gemini | AgentName::Codex => Json::Object(Vec::new()),
            };
            (fresh, true)
        }
        Err(source) => return Err(ConfigError::Read { file, source }),
    };
    let shape = |reason: String| ConfigError::Shape { file: file.clone(), reason };
    if !matches!(doc, Json::Object(_)) {
        return Err(shape(format!("the top level is {}, not an object", doc.kind())));
    }
    let changed = match agent.nested() {
        Some(nested) => merge_nested(&mut doc, agent, &nested).map_err(shape)?,
        None => merge_cursor(&mut doc).map_err(shape)?,
    };
    let content = changed.then(|| {
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    });
    Ok(Merge { file, content, created })
}

/// The array of hooks for `event` under `hooks`, created if missing.
fn event_list<'a>(doc: &'a mut Json, event: &str) -> Result<&'a mut Vec<Json>, String> {
    let hooks = doc.entry("hooks", || Json::Object(Vec::new())).ok_or("the top level is not an object")?;
    if !matches!(hooks, Json::Object(_)) {
        return Err(format!("`hooks` is {}, not an object", hooks.kind()));
    }
    let list = hooks.entry(event, || Json::Array(Vec::new())).ok_or("`hooks` is not an object")?;
    match list {
        Json::Array(items) => Ok(items),
        other => Err(format!("`hooks.{event}` is {}, not an array", other.kind())),
    }
}

/// Add vouch's hooks before and after a tool (Claude Code's and Codex's
/// `PreToolUse` and `PostToolUse`, Gemini CLI's `BeforeTool` and
/// `AfterTool`), or bring their matcher up to date, and its hook at the end
/// of the turn; whether anything changed.
fn merge_nested(doc: &mut Json, agent: AgentName, nested: &Nested) -> Result<bool, String> {
    let mut changed = false;
    let is_ours = |entry: &Json| {
        matches!(entry.get("hooks"), Some(Json::Array(hooks))
            if hooks.iter().any(|h| h.get("command").and_then(Json::as_str).is_some_and(|c| agent.is_ours(c))))
    };
    let hook = || {
        let mut hook = Vec::new();
        if let Some(name) = nested.name {
            hook.push(("name", Json::string(name)));
        }
        hook.push(("type", Json::string("command")));
        hook.push(("command", Json::string(nested.command)));
        Json::Array(vec![Json::object(hook)])
    };
    for event in nested.events {
        let list = event_list(doc, event)?;
        let ours = list.iter_mut().find(|entry| is_ours(entry));
        match ours {
            Some(entry) => {
                if entry.get("matcher").and_then(Json::as_str) != Some(nested.matcher) {
                    if let Some(matcher) = entry.entry("matcher", || Json::Null) {
                        *matcher = Json::string(nested.matcher);
                    }
                    changed = true;
                }
            }
            None => {
                list.push(Json::object(vec![("matcher", Json::string(nested.matcher)), ("hooks", hook())]));
                changed = true;
            }
        }
    }
    let turn_end = event_list(doc, nested.turn_end)?;
    if !turn_end.iter().any(is_ours) {
        turn_end.push(Json::object(vec![("hooks", hook())]));
        changed = true;
    }
    Ok(changed)
}

/// Add vouch's `afterFileEdit`, `afterTabFileEdit` and `stop` hooks.
fn merge_cursor(doc: &mut Json) -> Result<bool, String> {
    let mut changed = false;
    for event in CURSOR_EVENTS {
        let list = event_list(doc, event)?;
        let present =
            list.iter().any(|h| h.get("command").and_then(Json::as_str).is_some_and(|c| AgentName::Cursor.is_ours(c)));
        if !present {
            list.push(Json::object(vec![("command", Json::string(CURSOR_COMMAND))]));
            changed = true;
        }
    }
    Ok(changed)
}

/// What the person must still do for `agent` to run the hooks written in
/// the repository, where the agent asks more than the file.
pub fn activation_note(agent: AgentName) -> Option<&'static str> {
    match agent {
        AgentName::Codex => Some(
            "Codex CLI runs a project's .codex/hooks.json only in a trusted project, and a new or changed hook \
             only after you review and trust it (/hooks in codex); until then it skips vouch's hook without a word",
        ),
        AgentName::Gemini => Some(
            "Gemini CLI runs the hooks of .gemini/settings.json while its hooks system is on (/hooks panel shows \
             it; older versions need tools.enableHooks = true in settings.json)",
        ),
        AgentName::ClaudeCode | AgentName::Cursor => None,
    }
}

/// Whether vouch's hook is configured for `agent` under `root` (for
/// `vouch doctor`); `None` when the agent's file does not exist.
pub fn installed(root: &Path, agent: AgentName) -> Option<Result<bool, ConfigError>> {
    if !config_file(root, agent).exists() {
        return None;
    }
    Some(plan(root, agent).map(|m| m.content.is_none()))
}

/// vouch's hook commands in `agent`'s configuration under `root`, each
/// once: Claude Code's `settings.json` and `settings.local.json` (it runs
/// the hooks of both), Cursor's and Codex's `hooks.json`, Gemini CLI's
/// `settings.json`. Files that cannot be read are
/// left out (`installed` reports them).
pub fn vouch_commands(root: &Path, agent: AgentName) -> Vec<String> {
    let files = match agent {
        AgentName::ClaudeCode => vec![config_file(root, agent), root.join(".claude").join("settings.local.json")],
        AgentName::Cursor | AgentName::Gemini | AgentName::Codex => vec![config_file(root, agent)],
    };
    let mut out: Vec<String> = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else { continue };
        let Ok(doc) = serde_json::from_slice::<Json>(&bytes) else { continue };
        let Some(Json::Object(events)) = doc.get("hooks") else { continue };
        for (_, list) in events {
            let Json::Array(entries) = list else { continue };
            for entry in entries {
                // Claude Code, Gemini CLI and Codex nest commands under
                // `hooks`; Cursor lists them.
                let nested = match entry.get("hooks") {
                    Some(Json::Array(hooks)) => hooks.iter().collect(),
                    _ => vec![entry],
                };
                for hook in nested {
                    let Some(command) = hook.get("command").and_then(Json::as_str) else { continue };
                    if agent.is_ours(command) && !out.iter().any(|c| c == command) {
                        out.push(command.to_string());
                    }
                }
            }
        }
    }
    out
}

/// How a hook command fared when run as the agent runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Ran,
    /// The shell found no such command (exit 127): not on `PATH`.
    NotFound {
        stderr: String,
    },
    /// It ran and failed.
    Failed {
        code: Option<i32>,
        stderr: String,
    },
}

/// Run `command` as `agent` runs a hook: through `sh -c`, in `root`, with
/// this process's environment (its `PATH`), a payload on standard input
/// that vouch's hook reads and ignores. At most [`PROBE_TIMEOUT`].
pub fn probe(root: &Path, agent: AgentName, command: &str) -> std::io::Result<Probe> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let payload = match agent {
        AgentName::ClaudeCode | AgentName::Codex => {
            r#"{"hook_event_name":"PostToolUse","tool_name":"vouch-doctor","tool_input":{}}"#
        }
        AgentName::Gemini => r#"{"hook_event_name":"AfterTool","tool_name":"vouch-doctor","tool_input":{}}"#,
        AgentName::Cursor => r#"{"hook_event_name":"vouch-doctor"}"#,
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(payload.as_bytes());
    }
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > PROBE_TIMEOUT {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    let _ = child.wait();
    let stderr = stderr.trim().to_string();
    Ok(match status.and_then(|s| s.code()) {
        Some(0) => Probe::Ran,
        Some(127) => Probe::NotFound { stderr },
        code => Probe::Failed { code, stderr },
    })
}

/// How long [`probe`] waits for a hook command.
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether `vouch` on `PATH` (as a shell finds it) is there at all.
pub fn vouch_on_path() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join("vouch")).find(|p| crate::store::setup::is_executable(p))
}

/// Write a planned merge (creating its directory).
pub fn write(merge: &Merge) -> std::io::Result<()> {
    let Some(content) = &merge.content else { return Ok(()) };
    crate::store::write_atomic(&merge.file, content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(agent: AgentName, existing: Option<&str>) -> Result<Merge, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = existing {
            let file = config_file(dir.path(), agent);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, text).unwrap();
        }
        plan(dir.path(), agent)
    }

    #[test]
    fn claude_settings_keep_what_is_there() {
        let existing = r#"{"permissions":{"allow":["Bash(ls)"]},"hooks":{"PostToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"echo hi"}]}],"Stop":[]},"model":"opus"}"#;
        let merge = merged(AgentName::ClaudeCode, Some(existing)).unwrap();
        expect_test::expect![[r#"
            {
              "permissions": {
                "allow": [
                  "Bash(ls)"
                ]
              },
              "hooks": {
                "PostToolUse": [
                  {
                    "matcher": "Bash",
                    "hooks": [
                      {
                        "type": "command",
                        "command": "echo hi"
                      }
                    ]
                  },
                  {
                    "matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.*",
                    "hooks": [
                      {
                        "type": "command",
                        "command": "vouch hook claude-code"
                      }
                    ]
                  }
                ],
                "Stop": [
                  {
                    "hooks": [
                      {
                        "type": "command",
                        "command": "vouch hook claude-code"
                      }
                    ]
                  }
                ],
                "PreToolUse": [
                  {
                    "matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.*",
                    "hooks": [
                      {
                        "type": "command",
                        "command": "vouch hook claude-code"
                      }
                    ]
                  }
                ],
                "PostToolUseFailure": [
                  {
                    "matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.*",
                    "hooks": [
                      {
                        "type": "command",
                        "command": "vouch hook claude-code"
                      }
                    ]
                  }
                ]
              },
              "model": "opus"
            }
        "#]]
        .assert_eq(merge.content.as_deref().unwrap());
        // Merging into the result changes nothing.
        let again = merged(AgentName::ClaudeCode, merge.content.as_deref()).unwrap();
        assert_eq!(again.content, None);
    }

    #[test]
    fn an_older_vouch_hook_gets_the_snapshot_and_the_shell() {
        let older = r#"{"hooks":{"PostToolUse":[{"matcher":"Write|Edit|MultiEdit","hooks":[{"type":"command","command":"vouch hook claude-code"}]}]}}"#;
        let merge = merged(AgentName::ClaudeCode, Some(older)).unwrap();
        let text = merge.content.unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for event in CLAUDE_EVENTS {
            let entries = doc["hooks"][event].as_array().unwrap();
            assert_eq!(entries.len(), 1, "{text}");
            assert_eq!(entries[0]["matcher"], CLAUDE_MATCHER, "{text}");
        }
        assert_eq!(merged(AgentName::ClaudeCode, Some(&text)).unwrap().content, None);
    }

    #[test]
    fn cursor_hooks_are_created_or_merged() {
        let fresh = merged(AgentName::Cursor, None).unwrap();
        assert!(fresh.created);
        expect_test::expect![[r#"
            {
              "version": 1,
              "hooks": {
                "afterFileEdit": [
                  {
                    "command": "vouch hook cursor"
                  }
                ],
                "afterTabFileEdit": [
                  {
                    "command": "vouch hook cursor"
                  }
                ],
                "stop": [
                  {
                    "command": "vouch hook cursor"
                  }
                ]
              }
            }
        "#]]
        .assert_eq(fresh.content.as_deref().unwrap());
        let existing = r#"{"version":1,"hooks":{"afterFileEdit":[{"command":"./format.sh"}]}}"#;
        let merge = merged(AgentName::Cursor, Some(existing)).unwrap();
        let text = merge.content.unwrap();
        assert!(text.find("./format.sh").unwrap() < text.find("vouch hook cursor").unwrap());
        assert_eq!(merged(AgentName::Cursor, Some(&text)).unwrap().content, None);
    }

    #[test]
    fn gemini_and_codex_hooks_are_created_once() {
        for (agent, events, command) in
            [(AgentName::Gemini, GEMINI_EVENTS, GEMINI_COMMAND), (AgentName::Codex, CODEX_EVENTS, CODEX_COMMAND)]
        {
            let fresh = merged(agent, None).unwrap();
            let text = fresh.content.unwrap();
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            for event in events {
                assert_eq!(doc["hooks"][event][0]["hooks"][0]["command"], command, "{text}");
            }
            assert_eq!(merged(agent, Some(&text)).unwrap().content, None, "{text}");
            // Another agent's vouch hook is not this one's.
            let other = text.replace(command, "vouch hook claude-code");
            assert!(merged(agent, Some(&other)).unwrap().content.is_some());
        }
    }

    #[test]
    fn bad_files_are_named() {
        let err = merged(AgentName::ClaudeCode, Some("{\"hooks\": ")).unwrap_err().to_string();
        assert!(err.contains(".claude/settings.json: not valid JSON: EOF while parsing"), "{err}");
        let err = merged(AgentName::ClaudeCode, Some(r#"{"hooks":{"PostToolUse":{}}}"#)).unwrap_err().to_string();
        assert!(
            err.ends_with(
                "settings.json: `hooks.PostToolUse` is an object, not an array; fix it, then run vouch init again"
            ),
            "{err}"
        );
        let err = merged(AgentName::Cursor, Some("[]")).unwrap_err().to_string();
        assert!(err.contains("the top level is an array, not an object"), "{err}");
        let err = merged(AgentName::Cursor, Some(r#"{"hooks":3}"#)).unwrap_err().to_string();
        assert!(err.contains("`hooks` is a number, not an object"), "{err}");
    }
}
