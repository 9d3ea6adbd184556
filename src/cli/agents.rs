//! AI agents' hook payloads: what Claude Code, Cursor, Gemini CLI and
//! Codex CLI send on standard input around their edits, parsed into what
//! vouch snapshots or records, and where in the edited file an edit's text
//! now is.
//!
//! Pure: no file, git or environment access (finding the model in a Claude
//! Code transcript takes the transcript's bytes). Taking snapshots and
//! writing the journal record is `hook`'s job.
//!
//! Formats (samples in `tests/fixtures/agent-hooks/`):
//! - Claude Code `PreToolUse` and `PostToolUse`: `hook_event_name`,
//!   `tool_name` (`Write`, `Edit`, `MultiEdit`, `Bash`), `tool_use_id`
//!   (the same in both events of one tool call), `tool_input.file_path`
//!   and `content` (Write), `old_string`, `new_string`, `replace_all`
//!   (Edit) or `edits: [{old_string, new_string, replace_all}]`
//!   (MultiEdit), `tool_input.command` (Bash); `session_id`,
//!   `transcript_path`, `cwd`. The payload names no model.
//! - Cursor `afterFileEdit` (agent) and `afterTabFileEdit` (Tab completion):
//!   `file_path`, `edits: [{old_string, new_string}]`, `model`,
//!   `conversation_id`, `generation_id` (kept as the intent's ids).
//! - Gemini CLI `BeforeTool` and `AfterTool` (geminicli.com/docs/hooks/reference):
//!   `hook_event_name`, `tool_name` (`write_file`, `replace`,
//!   `run_shell_command`), `tool_input.file_path` and `content`
//!   (write_file), `old_string`, `new_string`, `instruction` (the model's
//!   statement of the change), `allow_multiple` (or, in older versions,
//!   `expected_replacements`) (replace), `command` and `description` (the
//!   model's statement of the command's purpose) (run_shell_command);
//!   `session_id`, `transcript_path`, `cwd`, `timestamp`. No tool call id
//!   and no model: the two events of one call are paired by the session,
//!   the tool and its arguments ([`gemini_call_id`]). The `instruction` and
//!   `description` are kept as the agent's words (the intent's `said`).
//! - Codex CLI `PreToolUse` and `PostToolUse`
//!   (developers.openai.com/codex/hooks; the schemas in openai/codex
//!   `codex-rs/hooks/schema/generated/`): Claude Code's shape plus `model`
//!   and `turn_id`; `tool_name` `apply_patch` (its file edits:
//!   `tool_input.command` is the patch, whose `*** Add File:`,
//!   `*** Update File:`, `*** Delete File:` and `*** Move to:` lines name
//!   the files) or `Bash` (`tool_input.command`, a shell command). The
//!   `tool_use_id` and `turn_id` are kept as the intent's call and turn.
//!
//! What a payload offers as intent besides a transcript is an
//! [`Offered`]; the hook keeps it as the policy says
//! ([`crate::intent::Intent::from_payload`]). Those fields are read
//! leniently: one of another shape is not kept, and never costs the edit's
//! record.
//!
//! A payload that is not JSON, or whose fields have the wrong shape, is an
//! error naming the field. An event or tool that edits nothing vouch
//! tracks is not an error: it is ignored, with the reason.

use std::ops::Range;

use serde_json::{Map, Value};

use crate::intent::Offered;
use crate::provenance::{AiKind, AiSource};

/// The agents whose payloads vouch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    ClaudeCode,
    Cursor,
    Gemini,
    Codex,
}

impl Agent {
    /// Its name as `vouch hook` takes it.
    pub fn flag(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Cursor => "cursor",
            Agent::Gemini => "gemini",
            Agent::Codex => "codex",
        }
    }

    /// The agent `vouch hook` names `flag`.
    pub fn from_flag(flag: &str) -> Option<Agent> {
        [Agent::ClaudeCode, Agent::Cursor, Agent::Gemini, Agent::Codex].into_iter().find(|a| a.flag() == flag)
    }

    /// The tool name recorded with the text.
    pub fn tool(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Cursor => "cursor",
            Agent::Gemini => "gemini-cli",
            Agent::Codex => "codex",
        }
    }
}

/// One file edit an agent reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEdit {
    /// As the payload gives it (Claude Code and Cursor send absolute paths).
    pub file_path: String,
    /// The tool call, when the agent names it: the snapshot taken before it
    /// ran (see [`Parsed::Before`]) has this id.
    pub tool_use_id: Option<String>,
    /// The agent's working directory, for a relative `file_path`.
    pub cwd: Option<String>,
    pub source: AiSource,
    /// Claude Code's transcript (JSON Lines), where the model and the
    /// intent behind the edit can be found.
    pub transcript_path: Option<String>,
    /// What the payload offers as intent (not Claude Code's: its intent is
    /// in the transcript).
    pub offered: Offered,
    pub change: Change,
}

/// What the agent did to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// It wrote the whole file.
    Write { content: String },
    /// It replaced text, in this order.
    Replace(Vec<Replacement>),
}

/// One replacement of `old` by `new` (every occurrence with `all`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub old: String,
    pub new: String,
    pub all: bool,
}

/// A payload, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A tool that may edit is about to run: take a snapshot.
    Before(Before),
    /// A file tool ran.
    Edit(AgentEdit),
    /// A shell command ran (Claude Code's `Bash`): it may have edited any
    /// file of the worktree.
    Shell(Shell),
    /// A tool edited (created, changed, deleted or moved) these files
    /// (Codex's `apply_patch`).
    Files(FileSet),
    /// The agent's turn ended (Claude Code's and Codex CLI's `Stop`,
    /// Cursor's `stop`, Gemini CLI's `AfterAgent`): nothing to record, but
    /// what it left in the working tree can be analysed while nobody waits.
    TurnEnded(TurnEnd),
    /// Nothing to record (another event, a tool that edits no file).
    Ignored(String),
}

/// The end of an agent's turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnEnd {
    /// The directory the agent worked in, as the payload names it.
    pub cwd: Option<String>,
    /// The agent's session, when it names one: its tool calls whose record
    /// never came are settled at the end of its turn.
    pub session: Option<String>,
}

/// What a tool about to run may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One file (absolute, or relative to `cwd`).
    File(String),
    /// These files (absolute, or relative to `cwd`).
    Files(Vec<String>),
    /// Any file of the worktree `cwd` is in.
    Worktree,
}

/// A `PreToolUse`: what to keep before the tool runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Before {
    pub tool_use_id: String,
    pub scope: Scope,
    pub cwd: Option<String>,
    /// The shell command about to run (a [`Scope::Worktree`]): the
    /// repository's other worktrees it names are kept too.
    pub command: Option<String>,
    /// The agent's session, when it names one.
    pub session: Option<String>,
}

/// A shell command that ran (`PostToolUse` of `Bash`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shell {
    pub tool_use_id: Option<String>,
    pub cwd: Option<String>,
    pub source: AiSource,
    pub transcript_path: Option<String>,
    /// What the payload offers as intent (see [`AgentEdit::offered`]).
    pub offered: Offered,
}

/// The files a tool edited (`PostToolUse` of Codex's `apply_patch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSet {
    /// As the patch names them: relative to `cwd`, or absolute.
    pub paths: Vec<String>,
    pub tool_use_id: Option<String>,
    pub cwd: Option<String>,
    pub source: AiSource,
    /// What the payload offers as intent (see [`AgentEdit::offered`]).
    pub offered: Offered,
}

/// A payload that cannot be read: said to the user as is (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {agent} hook payload: {reason}")]
pub struct PayloadError {
    pub agent: &'static str,
    pub reason: String,
}

/// Parse `bytes`, the payload `agent` sent on standard input.
pub fn parse(agent: Agent, bytes: &[u8]) -> Result<Parsed, PayloadError> {
    let fail = |reason: String| PayloadError { agent: agent.tool(), reason };
    let text = std::str::from_utf8(bytes).map_err(|e| fail(format!("not UTF-8 (at byte {})", e.valid_up_to())))?;
    if text.trim().is_empty() {
        return Err(fail("empty input (the hook expects the agent's JSON payload on standard input)".into()));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(fail("not a JSON object".into()));
    };
    let fields = Fields { object: &object, prefix: "" };
    match agent {
        Agent::ClaudeCode => claude_code(&fields),
        Agent::Cursor => cursor(&fields),
        Agent::Gemini => gemini(&fields),
        Agent::Codex => codex(&fields),
    }
    .map_err(fail)
}

/// Typed access to an object's fields, with errors that name the field.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    /// The path of this object in the payload, with a trailing dot.
    prefix: &'a str,
}

impl<'a> Fields<'a> {
    fn name(&self, key: &str) -> String {
        format!("`{}{key}`", self.prefix)
    }

    /// A string field; absent or null is `None`.
    fn opt_str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!("{} must be a string, found {}", self.name(key), kind(other))),
        }
    }

    fn str(&self, key: &str) -> Result<&'a str, String> {
        self.opt_str(key)?.ok_or_else(|| format!("missing {}", self.name(key)))
    }

    /// A non-negative whole number; absent or null is `None`.
    fn opt_count(&self, key: &str) -> Result<Option<u64>, String> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                n.as_u64().map(Some).ok_or_else(|| format!("{} must be a whole number of at least 0", self.name(key)))
            }
            Some(other) => Err(format!("{} must be a number, found {}", self.name(key), kind(other))),
        }
    }

    /// A string kept only as intent: absent, empty or of another shape is
    /// `None` (never an error: the edit is recorded all the same).
    fn words(&self, key: &str) -> Option<String> {
        self.object.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty()).map(str::to_string)
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(format!("{} must be true or false, found {}", self.name(key), kind(other))),
        }
    }

    fn object(&self, key: &str) -> Result<&'a Map<String, Value>, String> {
        match self.object.get(key) {
            Some(Value::Object(o)) => Ok(o),
            None | Some(Value::Null) => Err(format!("missing {}", self.name(key))),
            Some(other) => Err(format!("{} must be an object, found {}", self.name(key), kind(other))),
        }
    }

    fn array(&self, key: &str) -> Result<&'a [Value], String> {
        match self.object.get(key) {
            Some(Value::Array(a)) => Ok(a),
            None | Some(Value::Null) => Err(format!("missing {}", self.name(key))),
            Some(other) => Err(format!("{} must be an array, found {}", self.name(key), kind(other))),
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The `{old_string, new_string[, replace_all]}` objects of `edits`.
fn replacements(fields: &Fields<'_>, key: &str) -> Result<Vec<Replacement>, String> {
    let mut out = Vec::new();
    for (i, item) in fields.array(key)?.iter().enumerate() {
        let prefix = format!("{}{key}[{i}].", fields.prefix);
        let Value::Object(object) = item else {
            return Err(format!("`{}` must be an object, found {}", prefix.trim_end_matches('.'), kind(item)));
        };
        let edit = Fields { object, prefix: &prefix };
        out.push(Replacement {
            old: edit.opt_str("old_string")?.unwrap_or_default().to_string(),
            new: edit.str("new_string")?.to_string(),
            all: edit.opt_bool("replace_all")?.unwrap_or(false),
        });
    }
    Ok(out)
}

fn claude_code(fields: &Fields<'_>) -> Result<Parsed, String> {
    let session = fields.opt_str("session_id")?;
    let transcript = fields.opt_str("transcript_path")?;
    let cwd = fields.opt_str("cwd")?;
    let tool_use_id = fields.opt_str("tool_use_id")?.filter(|id| !id.trim().is_empty());
    // After a tool that failed, what it wrote before it failed (a shell
    // command that exits non-zero, an edit cut short) is recorded as after
    // one that succeeded; a file tool's, against its snapshot alone.
    // Which hook it is decides what is recorded: without it, a payload
    // could be taken for the hook after a tool, and record the person's
    // own changes as the agent's.
    let (before, failed) = match fields.str("hook_event_name")? {
        "PostToolUse" => (false, false),
        "PostToolUseFailure" => (false, true),
        "PreToolUse" => (true, false),
        "Stop" => {
            let (cwd, session) = (cwd.map(str::to_string), session.map(str::to_string));
            return Ok(Parsed::TurnEnded(TurnEnd { cwd, session }));
        }
        event => {
            return Ok(Parsed::Ignored(format!(
                "{event} is not a tool call (vouch records PreToolUse, PostToolUse and PostToolUseFailure, and \
                 reads Stop)"
            )));
        }
    };
    let tool = fields.str("tool_name")?;
    // An MCP server's tool (`mcp__filesystem__write_file`) may write any
    // file, in a shape vouch does not know: compared as a shell command's,
    // over the worktree.
    let shell = tool == "Bash" || tool.starts_with("mcp__");
    let notebook = tool == "NotebookEdit";
    if !shell && !notebook && !matches!(tool, "Write" | "Edit" | "MultiEdit") {
        return Ok(Parsed::Ignored(format!("tool {tool} edits no file vouch tracks")));
    }
    let input = Fields { object: fields.object("tool_input")?, prefix: "tool_input." };
    let source = || AiSource {
        tool: Agent::ClaudeCode.tool().into(),
        model: None,
        session: session.map(str::to_string),
        kind: Some(AiKind::Agent),
    };
    // A notebook's cell: the notebook file, against its snapshot.
    if notebook {
        let paths = vec![input.str("notebook_path")?.to_string()];
        if before {
            let Some(id) = tool_use_id else {
                return Ok(Parsed::Ignored(
                    "a PreToolUse with no `tool_use_id` cannot be paired with its result".into(),
                ));
            };
            let (tool_use_id, scope, cwd) = (id.to_string(), Scope::Files(paths), cwd.map(str::to_string));
            let session = session.map(str::to_string);
            return Ok(Parsed::Before(Before { tool_use_id, scope, cwd, command: None, session }));
        }
        let (tool_use_id, cwd) = (tool_use_id.map(str::to_string), cwd.map(str::to_string));
        return Ok(Parsed::Files(FileSet { paths, tool_use_id, cwd, source: source(), offered: Offered::default() }));
    }
    let file_path = if shell { None } else { Some(input.str("file_path")?) };
    if before {
        let Some(id) = tool_use_id else {
            return Ok(Parsed::Ignored("a PreToolUse with no `tool_use_id` cannot be paired with its result".into()));
        };
        let scope = file_path.map_or(Scope::Worktree, |p| Scope::File(p.to_string()));
        let command = if shell { input.opt_str("command")?.map(str::to_string) } else { None };
        return Ok(Parsed::Before(Before {
            tool_use_id: id.to_string(),
            scope,
            cwd: cwd.map(str::to_string),
            command,
            session: session.map(str::to_string),
        }));
    }
    let source = source();
    if let (true, Some(file_path)) = (failed, file_path) {
        let (tool_use_id, cwd) = (tool_use_id.map(str::to_string), cwd.map(str::to_string));
        let paths = vec![file_path.to_string()];
        return Ok(Parsed::Files(FileSet { paths, tool_use_id, cwd, source, offered: Offered::default() }));
    }
    let Some(file_path) = file_path else {
        return Ok(Parsed::Shell(Shell {
            tool_use_id: tool_use_id.map(str::to_string),
            cwd: cwd.map(str::to_string),
            source,
            transcript_path: transcript.map(str::to_string),
            offered: Offered::default(),
        }));
    };
    let change = match tool {
        "Write" => Change::Write { content: input.str("content")?.to_string() },
        "Edit" => Change::Replace(vec![Replacement {
            old: input.opt_str("old_string")?.unwrap_or_default().to_string(),
            new: input.str("new_string")?.to_string(),
            all: input.opt_bool("replace_all")?.unwrap_or(false),
        }]),
        _ => Change::Replace(replacements(&input, "edits")?),
    };
    Ok(Parsed::Edit(AgentEdit {
        file_path: file_path.to_string(),
        tool_use_id: tool_use_id.map(str::to_string),
        cwd: cwd.map(str::to_string),
        source,
        transcript_path: transcript.map(str::to_string),
        offered: Offered::default(),
        change,
    }))
}

fn cursor(fields: &Fields<'_>) -> Result<Parsed, String> {
    let model = fields.opt_str("model")?;
    let conversation = fields.opt_str("conversation_id")?;
    let offered = Offered {
        conversation: fields.words("conversation_id"),
        generation: fields.words("generation_id"),
        ..Offered::default()
    };
    let cwd = match fields.object.get("workspace_roots") {
        Some(Value::Array(roots)) => roots.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    let kind = match fields.str("hook_event_name")? {
        "afterFileEdit" => AiKind::Agent,
        "afterTabFileEdit" => AiKind::Completion,
        "stop" => return Ok(Parsed::TurnEnded(TurnEnd { cwd, session: conversation.map(str::to_string) })),
        other => {
            return Ok(Parsed::Ignored(format!(
                "{other} is not a file edit (vouch records afterFileEdit and afterTabFileEdit, and reads stop)"
            )));
        }
    };
    let file_path = fields.str("file_path")?;
    let edits = replacements(fields, "edits")?;
    Ok(Parsed::Edit(AgentEdit {
        file_path: file_path.to_string(),
        tool_use_id: None,
        cwd,
        source: AiSource {
            tool: Agent::Cursor.tool().into(),
            model: model.filter(|m| !m.trim().is_empty()).map(str::to_string),
            session: conversation.map(str::to_string),
            kind: Some(kind),
        },
        transcript_path: None,
        offered,
        change: Change::Replace(edits),
    }))
}

/// The id that pairs Gemini CLI's `BeforeTool` with the `AfterTool` of the
/// same call, which sends no call id: the session, the tool and its
/// arguments (canonical JSON, so the order of members does not matter).
/// Two calls of one tool with the same arguments in flight at once in one
/// session share it; the second `BeforeTool` then replaces the first's
/// snapshot, which is the file as it was before either ran.
pub fn gemini_call_id(session: Option<&str>, tool: &str, input: &Map<String, Value>) -> String {
    let input = Value::Object(input.clone());
    let args = crate::canonical::to_string(&input).unwrap_or_else(|_| input.to_string());
    let key = format!("gemini-cli\0{}\0{tool}\0{args}", session.unwrap_or_default());
    format!("gemini-{}", &crate::fingerprint::sha256_hex(key.as_bytes())[..32])
}

fn gemini(fields: &Fields<'_>) -> Result<Parsed, String> {
    let session = fields.opt_str("session_id")?;
    let cwd = fields.opt_str("cwd")?;
    let before = match fields.str("hook_event_name")? {
        "BeforeTool" => true,
        "AfterTool" => false,
        "AfterAgent" => {
            let (cwd, session) = (cwd.map(str::to_string), session.map(str::to_string));
            return Ok(Parsed::TurnEnded(TurnEnd { cwd, session }));
        }
        other => {
            return Ok(Parsed::Ignored(format!(
                "{other} is not a tool call (vouch records BeforeTool and AfterTool, and reads AfterAgent)"
            )));
        }
    };
    let tool = fields.str("tool_name")?;
    let shell = tool == "run_shell_command";
    if !shell && !matches!(tool, "write_file" | "replace") {
        return Ok(Parsed::Ignored(format!("tool {tool} edits no file vouch tracks")));
    }
    let object = fields.object("tool_input")?;
    let input = Fields { object, prefix: "tool_input." };
    let file_path = if shell { None } else { Some(input.str("file_path")?) };
    let change = match tool {
        "write_file" => Some(Change::Write { content: input.str("content")?.to_string() }),
        "replace" => Some(Change::Replace(vec![Replacement {
            old: input.opt_str("old_string")?.unwrap_or_default().to_string(),
            new: input.str("new_string")?.to_string(),
            all: input.opt_count("expected_replacements")?.is_some_and(|n| n > 1)
                || input.opt_bool("allow_multiple")? == Some(true),
        }])),
        _ => None,
    };
    let id = gemini_call_id(session, tool, object);
    if before {
        let scope = file_path.map_or(Scope::Worktree, |p| Scope::File(p.to_string()));
        let command = if shell { input.opt_str("command")?.map(str::to_string) } else { None };
        let (cwd, session) = (cwd.map(str::to_string), session.map(str::to_string));
        return Ok(Parsed::Before(Before { tool_use_id: id, scope, cwd, command, session }));
    }
    let source = AiSource {
        tool: Agent::Gemini.tool().into(),
        model: None,
        session: session.map(str::to_string),
        kind: Some(AiKind::Agent),
    };
    // The model's own words for the call; the pairing id is vouch's, not
    // the agent's, so it is no call id to keep.
    let offered =
        Offered { said: input.words(if shell { "description" } else { "instruction" }), ..Offered::default() };
    match (file_path, change) {
        (Some(file_path), Some(change)) => Ok(Parsed::Edit(AgentEdit {
            file_path: file_path.to_string(),
            tool_use_id: Some(id),
            cwd: cwd.map(str::to_string),
            source,
            transcript_path: None,
            offered,
            change,
        })),
        _ => Ok(Parsed::Shell(Shell {
            tool_use_id: Some(id),
            cwd: cwd.map(str::to_string),
            source,
            transcript_path: None,
            offered,
        })),
    }
}

fn codex(fields: &Fields<'_>) -> Result<Parsed, String> {
    let session = fields.opt_str("session_id")?;
    let cwd = fields.opt_str("cwd")?;
    let model = fields.opt_str("model")?;
    let tool_use_id = fields.opt_str("tool_use_id")?.filter(|id| !id.trim().is_empty());
    let before = match fields.str("hook_event_name")? {
        "PreToolUse" => true,
        "PostToolUse" => false,
        "Stop" => {
            let (cwd, session) = (cwd.map(str::to_string), session.map(str::to_string));
            return Ok(Parsed::TurnEnded(TurnEnd { cwd, session }));
        }
        other => {
            return Ok(Parsed::Ignored(format!(
                "{other} is not a tool call (vouch records PreToolUse and PostToolUse, and reads Stop)"
            )));
        }
    };
    let tool = fields.str("tool_name")?;
    let shell = tool == "Bash";
    if !shell && tool != "apply_patch" {
        return Ok(Parsed::Ignored(format!("tool {tool} edits no file vouch tracks")));
    }
    let input = Fields { object: fields.object("tool_input")?, prefix: "tool_input." };
    let command = input.str("command")?;
    let paths = if shell { Vec::new() } else { patch_paths(command) };
    if !shell && paths.is_empty() {
        return Ok(Parsed::Ignored(
            "the patch names no file (no `*** Add File:`, `*** Update File:` or `*** Delete File:` line)".into(),
        ));
    }
    if before {
        let Some(id) = tool_use_id else {
            return Ok(Parsed::Ignored("a PreToolUse with no `tool_use_id` cannot be paired with its result".into()));
        };
        let scope = if shell { Scope::Worktree } else { Scope::Files(paths) };
        return Ok(Parsed::Before(Before {
            tool_use_id: id.to_string(),
            scope,
            cwd: cwd.map(str::to_string),
            command: shell.then(|| command.to_string()),
            session: session.map(str::to_string),
        }));
    }
    let source = AiSource {
        tool: Agent::Codex.tool().into(),
        model: model.map(str::trim).filter(|m| !m.is_empty()).map(str::to_string),
        session: session.map(str::to_string),
        kind: Some(AiKind::Agent),
    };
    let (tool_use_id, cwd) = (tool_use_id.map(str::to_string), cwd.map(str::to_string));
    let offered = Offered { call: tool_use_id.clone(), generation: fields.words("turn_id"), ..Offered::default() };
    if shell {
        return Ok(Parsed::Shell(Shell { tool_use_id, cwd, source, transcript_path: None, offered }));
    }
    Ok(Parsed::Files(FileSet { paths, tool_use_id, cwd, source, offered }))
}

/// The files a Codex patch (`*** Begin Patch` … `*** End Patch`) adds,
/// updates, deletes or moves to, each once, in the order named.
pub fn patch_paths(patch: &str) -> Vec<String> {
    const HEADERS: [&str; 4] = ["*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "];
    let mut out: Vec<String> = Vec::new();
    for line in patch.lines() {
        let line = line.trim_end_matches('\r');
        let Some(path) = HEADERS.iter().find_map(|h| line.strip_prefix(h)) else { continue };
        let path = path.trim();
        if !path.is_empty() && !out.iter().any(|p| p == path) {
            out.push(path.to_string());
        }
    }
    out
}

/// The model of the last assistant entry (`message.model`) in a Claude Code
/// transcript, given its last bytes (a line cut at the start is skipped).
pub fn transcript_model(tail: &[u8]) -> Option<String> {
    transcript_model_text(&String::from_utf8_lossy(tail))
}

/// [`transcript_model`] of a tail already read as text.
pub fn transcript_model_text(text: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        // Only an assistant entry names the model: a line without the word
        // (or a `\u` escape, which could spell it) is not parsed, so the
        // large tool results after the last assistant entry cost a scan.
        if !line.contains("assistant") && !line.contains("\\u") {
            return None;
        }
        let value: Value = serde_json::from_str(line.trim()).ok()?;
        if value.get("type").and_then(Value::as_str) != Some("assistant") {
            return None;
        }
        let model = value.get("message")?.get("model")?.as_str()?.trim();
        // Claude Code writes "<synthetic>" for messages it made up itself.
        (!model.is_empty() && !model.starts_with('<')).then(|| model.to_string())
    })
}

/// Where an edit's text is in `current`, the file's content after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    /// Byte ranges of inserted text, sorted, disjoint, merged.
    pub ranges: Vec<Range<usize>>,
    /// Replacements whose text the file no longer holds (edited since).
    pub missing: usize,
    /// Replacements whose text occurs more than once, with nothing to tell
    /// the occurrences apart: every occurrence is attributed.
    pub ambiguous: usize,
}

/// Find `change` in `current`. `previous` says whether a text was the file
/// just before the edit (the journal's, the index's or HEAD's version); it
/// tells apart the occurrences of a replacement's text when there are
/// several.
pub fn locate(change: &Change, current: &str, previous: &dyn Fn(&str) -> bool) -> Located {
    let mut located = Located::default();
    match change {
        Change::Write { content } => {
            if current == content {
                located.ranges.push(0..current.len());
            } else if let Some(at) = current.find(content.as_str()).filter(|_| !content.is_empty()) {
                located.ranges.push(at..at + content.len());
            } else if !content.is_empty() {
                located.missing += 1;
            }
        }
        Change::Replace(edits) => {
            let single = edits.len() == 1;
            for edit in edits {
                if edit.new.is_empty() {
                    continue; // A deletion leaves no text to attribute.
                }
                let at: Vec<usize> = current.match_indices(edit.new.as_str()).map(|(i, _)| i).collect();
                let chosen: Vec<usize> = match at.len() {
                    0 => {
                        located.missing += 1;
                        continue;
                    }
                    1 => at,
                    _ if edit.all => at,
                    _ => {
                        // Which occurrence, put back, gives the file as it was?
                        let undo = |i: usize| {
                            let mut before = String::with_capacity(current.len() + edit.old.len());
                            before.push_str(&current[..i]);
                            before.push_str(&edit.old);
                            before.push_str(&current[i + edit.new.len()..]);
                            before
                        };
                        let found: Vec<usize> = if single {
                            at.iter().copied().filter(|&i| previous(&undo(i))).collect()
                        } else {
                            Vec::new()
                        };
                        if found.len() == 1 {
                            found
                        } else {
                            located.ambiguous += 1;
                            at
                        }
                    }
                };
                let inserted = inserted_ranges(&edit.old, &edit.new);
                for i in chosen {
                    located.ranges.extend(inserted.iter().map(|r| r.start + i..r.end + i));
                }
            }
        }
    }
    located.ranges = merge(located.ranges);
    located
}

/// The byte ranges of `new` that are not in `old`, by whole lines: what a
/// replacement inserted or changed. Context the agent repeated unchanged (it
/// must quote some to make `old` unique) is not its text.
pub fn inserted_ranges(old: &str, new: &str) -> Vec<Range<usize>> {
    use similar::{Algorithm, DiffTag, TextDiff};
    if old.is_empty() {
        return std::iter::once(0..new.len()).collect();
    }
    let lines = TextDiff::configure().algorithm(Algorithm::Myers).diff_lines(old, new);
    let starts = line_starts(lines.new_slices());
    let ranges = lines
        .ops()
        .iter()
        .filter(|op| op.tag() != DiffTag::Equal && op.tag() != DiffTag::Delete)
        .map(|op| starts[op.new_range().start]..starts[op.new_range().end])
        .collect();
    merge(ranges)
}

/// Where `new` lacks lines of `old`, by whole lines: for each place, the
/// byte offset of `new` where the removed lines stood (the start of the
/// line after them, or the end) and how many lines went. Lines replaced by
/// text of substance are not a removal but that text's edit (recorded as
/// its AI lines; a person who marks them as theirs claims the rewrite):
/// only lines removed, or replaced by blank lines, count.
pub fn removed_places(old: &str, new: &str) -> Vec<(usize, u32)> {
    use similar::{Algorithm, DiffTag, TextDiff};
    if old.is_empty() {
        return Vec::new();
    }
    let lines = TextDiff::configure().algorithm(Algorithm::Myers).diff_lines(old, new);
    let starts = line_starts(lines.new_slices());
    let mut out: Vec<(usize, u32)> = Vec::new();
    let blank = |range: std::ops::Range<usize>| lines.new_slices()[range].iter().all(|l| l.trim().is_empty());
    for op in lines.ops().iter().filter(|op| match op.tag() {
        DiffTag::Delete => true,
        DiffTag::Replace => blank(op.new_range()),
        _ => false,
    }) {
        let place = starts[op.new_range().start.min(starts.len() - 1)];
        let removed = op.old_range().len() as u32;
        match out.last_mut() {
            Some((at, n)) if *at == place => *n += removed,
            _ => out.push((place, removed)),
        }
    }
    out
}

/// The byte offset where each of `slices` (a text's lines, in order)
/// starts, then the text's end.
fn line_starts(slices: &[&str]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(slices.len() + 1);
    let mut at = 0;
    for s in slices {
        starts.push(at);
        at += s.len();
    }
    starts.push(at);
    starts
}

/// Sort and merge overlapping or touching ranges.
pub fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.retain(|r| !r.is_empty());
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDIT: &str = include_str!("../../tests/fixtures/agent-hooks/claude-code-post-tool-use-edit.json");
    const WRITE: &str = include_str!("../../tests/fixtures/agent-hooks/claude-code-post-tool-use-write.json");
    const PRE: &str = include_str!("../../tests/fixtures/agent-hooks/claude-code-pre-tool-use-edit.json");
    const CURSOR: &str = include_str!("../../tests/fixtures/agent-hooks/cursor-after-file-edit.json");
    const TAB: &str = include_str!("../../tests/fixtures/agent-hooks/cursor-after-tab-file-edit.json");
    const TRANSCRIPT: &str = include_str!("../../tests/fixtures/agent-hooks/claude-code-transcript.jsonl");

    #[test]
    fn removed_lines_are_placed_where_they_stood() {
        let old = "a\ncheck\nguard\nb\nc\nd\n";
        // Removed: before `b` (byte 2 of the new text), 2 lines.
        assert_eq!(removed_places(old, "a\nb\nc\nd\n"), [(2, 2)]);
        // Replaced by a blank line: still a removal; by text: that text's.
        assert_eq!(removed_places(old, "a\n\nb\nc\nd\n"), [(2, 2)]);
        assert!(removed_places(old, "a\nlog()\nb\nc\nd\n").is_empty());
        // At the end, and nothing for a new file.
        assert_eq!(removed_places(old, "a\ncheck\nguard\nb\n"), [(16, 2)]);
        assert!(removed_places("", "x\n").is_empty());
    }

    fn edit(parsed: Result<Parsed, PayloadError>) -> AgentEdit {
        match parsed {
            Ok(Parsed::Edit(e)) => e,
            other => panic!("expected an edit, got {other:?}"),
        }
    }

    fn error(agent: Agent, payload: &str) -> String {
        parse(agent, payload.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn claude_code_fixtures() {
        let e = edit(parse(Agent::ClaudeCode, EDIT.as_bytes()));
        assert_eq!(e.file_path, "/home/dev/shop/src/cart.py");
        assert_eq!(e.source.tool, "claude-code");
        assert_eq!(e.source.session.as_deref(), Some("8c1f0e2a-3b4d-4e5f-9a6b-7c8d9e0f1a2b"));
        assert_eq!(e.source.kind, Some(AiKind::Agent));
        assert_eq!(e.source.model, None);
        assert!(e.transcript_path.as_deref().is_some_and(|t| t.ends_with(".jsonl")));
        let Change::Replace(r) = &e.change else { panic!("{:?}", e.change) };
        assert_eq!(r.len(), 1);
        assert!(r[0].new.starts_with("def total(items, coupon=None):"));
        assert!(!r[0].all);

        let w = edit(parse(Agent::ClaudeCode, WRITE.as_bytes()));
        assert_eq!(w.file_path, "/home/dev/shop/src/coupons.py");
        assert!(matches!(&w.change, Change::Write { content } if content.starts_with("import hashlib")));

        assert_eq!(
            parse(Agent::ClaudeCode, PRE.as_bytes()).unwrap(),
            Parsed::Before(Before {
                tool_use_id: "toolu_01ABCDEF".into(),
                scope: Scope::File("/home/dev/shop/src/cart.py".into()),
                cwd: Some("/home/dev/shop".into()),
                command: None,
                session: Some("8c1f0e2a-3b4d-4e5f-9a6b-7c8d9e0f1a2b".into()),
            })
        );
        assert_eq!(e.tool_use_id.as_deref(), Some("toolu_01ABCDEF"));
    }

    #[test]
    fn claude_code_multi_edit_and_other_tools() {
        let multi = r#"{"hook_event_name":"PostToolUse","tool_name":"MultiEdit","tool_input":{"file_path":"/r/a.rs",
            "edits":[{"old_string":"a","new_string":"b"},{"old_string":"c","new_string":"d","replace_all":true}]}}"#;
        let e = edit(parse(Agent::ClaudeCode, multi.as_bytes()));
        assert_eq!(
            e.change,
            Change::Replace(vec![
                Replacement { old: "a".into(), new: "b".into(), all: false },
                Replacement { old: "c".into(), new: "d".into(), all: true },
            ])
        );
        let bash = r#"{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"t1","cwd":"/r","tool_input":{"command":"ls"}}"#;
        let Ok(Parsed::Shell(shell)) = parse(Agent::ClaudeCode, bash.as_bytes()) else { panic!("a shell run") };
        assert_eq!((shell.tool_use_id.as_deref(), shell.cwd.as_deref()), (Some("t1"), Some("/r")));
        let pre = bash.replace("PostToolUse", "PreToolUse");
        assert!(matches!(parse(Agent::ClaudeCode, pre.as_bytes()), Ok(Parsed::Before(b))
            if b.scope == Scope::Worktree && b.command.as_deref() == Some("ls")));
        let no_id = r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}"#;
        assert!(
            matches!(parse(Agent::ClaudeCode, no_id.as_bytes()), Ok(Parsed::Ignored(r)) if r.contains("tool_use_id"))
        );
        let read = r#"{"hook_event_name":"PreToolUse","tool_name":"Read","tool_use_id":"t","tool_input":{}}"#;
        assert!(matches!(parse(Agent::ClaudeCode, read.as_bytes()), Ok(Parsed::Ignored(_))));
    }

    #[test]
    fn the_end_of_each_agents_turn() {
        let ended = |agent, payload: &str| match parse(agent, payload.as_bytes()) {
            Ok(Parsed::TurnEnded(turn)) => turn.cwd,
            other => panic!("{payload}: {other:?}"),
        };
        // Claude Code's Stop names its directory, or (older versions) not.
        let stop = r#"{"session_id":"s","transcript_path":"/t.jsonl","cwd":"/w","hook_event_name":"Stop","stop_hook_active":false}"#;
        assert_eq!(ended(Agent::ClaudeCode, stop).as_deref(), Some("/w"));
        assert_eq!(ended(Agent::ClaudeCode, r#"{"session_id":"s","hook_event_name":"Stop"}"#), None);
        let cursor = r#"{"conversation_id":"c","generation_id":"g","hook_event_name":"stop","status":"completed","workspace_roots":["/w","/x"]}"#;
        assert_eq!(ended(Agent::Cursor, cursor).as_deref(), Some("/w"));
        assert_eq!(
            ended(Agent::Gemini, r#"{"session_id":"s","cwd":"/w","hook_event_name":"AfterAgent"}"#).as_deref(),
            Some("/w")
        );
        assert_eq!(
            ended(Agent::Codex, r#"{"session_id":"s","cwd":"/w","hook_event_name":"Stop"}"#).as_deref(),
            Some("/w")
        );
        // A subagent's end is not the turn's, nor is the start of one.
        for (agent, event) in
            [(Agent::ClaudeCode, "SubagentStop"), (Agent::Gemini, "BeforeAgent"), (Agent::Codex, "UserPromptSubmit")]
        {
            let payload = format!(r#"{{"session_id":"s","cwd":"/w","hook_event_name":"{event}"}}"#);
            assert!(matches!(parse(agent, payload.as_bytes()), Ok(Parsed::Ignored(_))), "{event}");
        }
        // A field of the wrong shape is named.
        let bad = r#"{"session_id":"s","cwd":5,"hook_event_name":"Stop"}"#;
        assert!(parse(Agent::ClaudeCode, bad.as_bytes()).unwrap_err().to_string().contains("`cwd` must be a string"));
    }

    #[test]
    fn cursor_fixtures() {
        let e = edit(parse(Agent::Cursor, CURSOR.as_bytes()));
        assert_eq!(e.file_path, "/home/dev/shop/src/cart.py");
        assert_eq!(
            e.source,
            AiSource {
                tool: "cursor".into(),
                model: Some("gpt-5-codex".into()),
                session: Some("c0ffee00-1111-2222-3333-444455556666".into()),
                kind: Some(AiKind::Agent),
            }
        );
        assert_eq!(e.cwd.as_deref(), Some("/home/dev/shop"));
        assert_eq!(e.offered.conversation.as_deref(), Some("c0ffee00-1111-2222-3333-444455556666"));
        assert!(e.offered.generation.is_some() && e.offered.said.is_none() && e.offered.call.is_none());
        let t = edit(parse(Agent::Cursor, TAB.as_bytes()));
        assert_eq!(t.source.kind, Some(AiKind::Completion));
        assert_eq!(
            t.change,
            Change::Replace(vec![Replacement {
                old: String::new(),
                new: "    if not items:\n        return 0\n".into(),
                all: false
            }])
        );
        let other = r#"{"hook_event_name":"beforeSubmitPrompt","prompt":"hi"}"#;
        assert!(matches!(parse(Agent::Cursor, other.as_bytes()), Ok(Parsed::Ignored(_))));
    }

    #[test]
    fn malformed_payloads_name_the_problem() {
        expect_test::expect!["malformed claude-code hook payload: not JSON: expected value at line 1 column 1"]
            .assert_eq(&error(Agent::ClaudeCode, "hello"));
        expect_test::expect!["malformed claude-code hook payload: not a JSON object"]
            .assert_eq(&error(Agent::ClaudeCode, "[1,2]"));
        expect_test::expect!["malformed claude-code hook payload: empty input (the hook expects the agent's JSON payload on standard input)"]
            .assert_eq(&error(Agent::ClaudeCode, " \n"));
        expect_test::expect!["malformed claude-code hook payload: missing `tool_name`"]
            .assert_eq(&error(Agent::ClaudeCode, r#"{"hook_event_name":"PostToolUse"}"#));
        expect_test::expect!["malformed claude-code hook payload: missing `tool_input.file_path`"].assert_eq(&error(
            Agent::ClaudeCode,
            r#"{"hook_event_name":"PostToolUse","tool_name":"Edit","tool_input":{"new_string":"x"}}"#,
        ));
        expect_test::expect![
            "malformed claude-code hook payload: `tool_input.new_string` must be a string, found a number"
        ]
        .assert_eq(&error(
            Agent::ClaudeCode,
            r#"{"hook_event_name":"PostToolUse","tool_name":"Edit","tool_input":{"file_path":"/a","new_string":3}}"#,
        ));
        expect_test::expect![
            "malformed claude-code hook payload: `tool_input.replace_all` must be true or false, found a string"
        ]
        .assert_eq(&error(
            Agent::ClaudeCode,
            r#"{"hook_event_name":"PostToolUse","tool_name":"Edit","tool_input":{"file_path":"/a","new_string":"x","replace_all":"yes"}}"#,
        ));
        expect_test::expect![
            "malformed claude-code hook payload: `tool_input.edits[1]` must be an object, found a string"
        ]
        .assert_eq(&error(
            Agent::ClaudeCode,
            r#"{"hook_event_name":"PostToolUse","tool_name":"MultiEdit","tool_input":{"file_path":"/a","edits":[{"new_string":"x"},"y"]}}"#,
        ));
        expect_test::expect!["malformed claude-code hook payload: `session_id` must be a string, found an array"]
            .assert_eq(&error(
                Agent::ClaudeCode,
                r#"{"hook_event_name":"PostToolUse","session_id":[],"tool_name":"Write"}"#,
            ));
        expect_test::expect!["malformed cursor hook payload: missing `edits`"]
            .assert_eq(&error(Agent::Cursor, r#"{"hook_event_name":"afterFileEdit","file_path":"/a"}"#));
        expect_test::expect!["malformed cursor hook payload: missing `edits[0].new_string`"]
            .assert_eq(&error(Agent::Cursor, r#"{"hook_event_name":"afterFileEdit","file_path":"/a","edits":[{}]}"#));
        expect_test::expect!["malformed cursor hook payload: missing `hook_event_name`"]
            .assert_eq(&error(Agent::Cursor, "{}"));
        let invalid = [b'{', 0xff, b'}'];
        assert!(parse(Agent::Cursor, &invalid).unwrap_err().reason.starts_with("not UTF-8"));
    }

    #[test]
    fn model_from_the_transcript_tail() {
        assert_eq!(transcript_model(TRANSCRIPT.as_bytes()).as_deref(), Some("claude-opus-4-5-20251101"));
        // A tail that starts in the middle of a line, and a synthetic message last.
        let tail = format!(
            "xt\"}}\n{}\n{{\"type\":\"assistant\",\"message\":{{\"model\":\"<synthetic>\"}}}}\n",
            TRANSCRIPT.lines().nth(1).unwrap()
        );
        assert_eq!(transcript_model(tail.as_bytes()).as_deref(), Some("claude-opus-4-5-20251101"));
        assert_eq!(transcript_model(b"{\"type\":\"user\"}\n"), None);
        assert_eq!(transcript_model(b""), None);
        // JSON may spell the words with escapes: still read.
        let escaped = br#"{"type":"\u0061ssistant","message":{"\u006dodel":"m-1"}}"#;
        assert_eq!(transcript_model(escaped).as_deref(), Some("m-1"));
        // Tool results after the last assistant entry are skipped over.
        let results = "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"content\":\"x\"}]}}\n";
        let tail = format!("{}\n{}", TRANSCRIPT.lines().nth(1).unwrap(), results.repeat(100));
        assert_eq!(transcript_model(tail.as_bytes()).as_deref(), Some("claude-opus-4-5-20251101"));
    }

    #[test]
    fn gemini_fixtures_pair_before_and_after() {
        let before = include_str!("../../tests/fixtures/agent-hooks/gemini-before-tool-replace.json");
        let after = include_str!("../../tests/fixtures/agent-hooks/gemini-after-tool-replace.json");
        let Ok(Parsed::Before(b)) = parse(Agent::Gemini, before.as_bytes()) else { panic!("a BeforeTool") };
        assert_eq!(b.scope, Scope::File("/home/dev/shop/src/cart.py".into()));
        let e = edit(parse(Agent::Gemini, after.as_bytes()));
        assert_eq!(e.tool_use_id.as_deref(), Some(b.tool_use_id.as_str()), "the same call, paired");
        assert_eq!((e.source.tool.as_str(), e.source.model.as_deref()), ("gemini-cli", None));
        assert!(matches!(&e.change, Change::Replace(r) if r.len() == 1 && !r[0].all));
        // The model's words for the call; vouch's pairing id is not the agent's.
        assert_eq!(
            e.offered,
            Offered {
                said: Some(
                    "In total(), take an optional coupon, subtract its discount and never return less than zero."
                        .into()
                ),
                ..Offered::default()
            }
        );
        let mut multiple: Value = serde_json::from_str(after).unwrap();
        multiple["tool_input"]["allow_multiple"] = Value::Bool(true);
        assert!(
            matches!(&edit(parse(Agent::Gemini, multiple.to_string().as_bytes())).change, Change::Replace(r) if r[0].all)
        );
        // Words of another shape are not kept, and cost nothing else.
        multiple["tool_input"]["instruction"] = serde_json::json!(["not", "words"]);
        let e2 = edit(parse(Agent::Gemini, multiple.to_string().as_bytes()));
        assert_eq!(e2.offered, Offered::default());
        // The order of the arguments does not matter; their values do.
        let mut reordered: Value = serde_json::from_str(after).unwrap();
        let input = reordered["tool_input"].as_object().unwrap().clone();
        let mut flipped = Map::new();
        for (k, v) in input.iter().rev() {
            flipped.insert(k.clone(), v.clone());
        }
        reordered["tool_input"] = Value::Object(flipped.clone());
        assert_eq!(edit(parse(Agent::Gemini, reordered.to_string().as_bytes())).tool_use_id, e.tool_use_id);
        flipped.insert("new_string".into(), "other".into());
        assert_ne!(gemini_call_id(Some("4f6e2b1a-9c3d-4e8f-a1b2-c3d4e5f60718"), "replace", &flipped), b.tool_use_id);
        let shell = include_str!("../../tests/fixtures/agent-hooks/gemini-before-tool-shell.json");
        assert!(matches!(parse(Agent::Gemini, shell.as_bytes()), Ok(Parsed::Before(b))
            if b.scope == Scope::Worktree && b.command.as_deref() == Some("sed -i 's/price/unit_price/' src/cart.py")));
        let shell = include_str!("../../tests/fixtures/agent-hooks/gemini-after-tool-shell.json");
        let Ok(Parsed::Shell(s)) = parse(Agent::Gemini, shell.as_bytes()) else { panic!("a shell run") };
        assert_eq!(s.offered.said.as_deref(), Some("Rename price to unit_price in the cart"));
    }

    #[test]
    fn codex_fixtures_name_the_patched_files() {
        let pre = include_str!("../../tests/fixtures/agent-hooks/codex-pre-tool-use-apply-patch.json");
        let post = include_str!("../../tests/fixtures/agent-hooks/codex-post-tool-use-apply-patch.json");
        let files = vec!["src/cart.py".to_string(), "src/coupons.py".to_string()];
        assert_eq!(
            parse(Agent::Codex, pre.as_bytes()).unwrap(),
            Parsed::Before(Before {
                tool_use_id: "call_7Hk2pQ9rT4".into(),
                scope: Scope::Files(files.clone()),
                cwd: Some("/home/dev/shop".into()),
                command: None,
                session: Some("019a7f3e-6b2c-7d10-9e4f-0a1b2c3d4e5f".into()),
            })
        );
        let Ok(Parsed::Files(set)) = parse(Agent::Codex, post.as_bytes()) else { panic!("an apply_patch") };
        assert_eq!(set.paths, files);
        assert_eq!(set.source.model.as_deref(), Some("gpt-5.5-codex"));
        let turn = "019a7f3e-7c3d-7e21-8f50-1b2c3d4e5f60";
        assert_eq!(
            set.offered,
            Offered { call: Some("call_7Hk2pQ9rT4".into()), generation: Some(turn.into()), ..Offered::default() }
        );
        let bash = include_str!("../../tests/fixtures/agent-hooks/codex-post-tool-use-bash.json");
        let Ok(Parsed::Shell(s)) = parse(Agent::Codex, bash.as_bytes()) else { panic!("a shell run") };
        assert_eq!(s.tool_use_id.as_deref(), Some("call_9Lm3nB5vX1"));
        assert_eq!((s.offered.call.as_deref(), s.offered.generation.as_deref()), (Some("call_9Lm3nB5vX1"), Some(turn)));
        // A turn id of another shape is not kept, and costs nothing else.
        let mut odd: Value = serde_json::from_str(bash).unwrap();
        odd["turn_id"] = Value::from(7);
        let Ok(Parsed::Shell(s)) = parse(Agent::Codex, odd.to_string().as_bytes()) else { panic!("a shell run") };
        assert_eq!(s.offered.generation, None);
        assert_eq!(
            patch_paths(
                "*** Begin Patch\n*** Update File: a.rs\n*** Move to: b.rs\n@@\n-x\n+y\n*** Delete File: c.rs\r\n*** Update File: a.rs\n*** End Patch"
            ),
            vec!["a.rs", "b.rs", "c.rs"]
        );
        let empty = r#"{"hook_event_name":"PostToolUse","tool_name":"apply_patch","tool_input":{"command":"nothing"}}"#;
        assert!(matches!(parse(Agent::Codex, empty.as_bytes()), Ok(Parsed::Ignored(r)) if r.contains("names no file")));
    }

    fn replace(old: &str, new: &str, all: bool) -> Change {
        Change::Replace(vec![Replacement { old: old.into(), new: new.into(), all }])
    }

    fn texts<'a>(current: &'a str, located: &Located) -> Vec<&'a str> {
        located.ranges.iter().map(|r| &current[r.clone()]).collect()
    }

    #[test]
    fn an_edit_attributes_only_what_it_inserted() {
        let current = "fn a() {\n    1\n}\n\nfn total(items: &[u32], coupon: u32) -> u32 {\n    items.iter().sum::<u32>() - coupon\n}\n";
        let change = replace(
            "fn total(items: &[u32]) -> u32 {\n    items.iter().sum()\n}\n",
            "fn total(items: &[u32], coupon: u32) -> u32 {\n    items.iter().sum::<u32>() - coupon\n}\n",
            false,
        );
        let located = locate(&change, current, &|_| false);
        assert_eq!(
            texts(current, &located),
            vec!["fn total(items: &[u32], coupon: u32) -> u32 {\n    items.iter().sum::<u32>() - coupon\n"]
        );
        assert_eq!((located.missing, located.ambiguous), (0, 0));
    }

    #[test]
    fn writes_insertions_and_text_that_is_gone() {
        let located = locate(&Change::Write { content: "all\n".into() }, "all\n", &|_| false);
        assert_eq!(located.ranges, vec![0..4]);
        let located = locate(&Change::Write { content: "mine\n".into() }, "// header\nmine\n", &|_| false);
        assert_eq!(located.ranges, vec![10..15]);
        let located = locate(&Change::Write { content: "gone".into() }, "other", &|_| false);
        assert_eq!((located.ranges.len(), located.missing), (0, 1));
        let located = locate(&replace("", "    if x:\n", false), "def f():\n    if x:\n        pass\n", &|_| false);
        assert_eq!(located.ranges, vec![9..19]);
        let located = locate(&replace("old", "", false), "anything", &|_| false);
        assert_eq!(located, Located::default());
    }

    #[test]
    fn occurrences_are_told_apart_by_the_previous_version() {
        let current = "x = 1\ny = 2\nx = 1\n";
        let before = "x = 1\ny = 2\nz = 0\n";
        let located = locate(&replace("z = 0", "x = 1", false), current, &|t| t == before);
        assert_eq!(located.ranges, vec![12..17]);
        assert_eq!(located.ambiguous, 0);
        // Without the previous version, every occurrence counts.
        let located = locate(&replace("z = 0", "x = 1", false), current, &|_| false);
        assert_eq!(located.ranges, vec![0..5, 12..17]);
        assert_eq!(located.ambiguous, 1);
        let located = locate(&replace("z = 0", "x = 1", true), current, &|_| false);
        assert_eq!((located.ranges.len(), located.ambiguous), (2, 0));
    }
}
