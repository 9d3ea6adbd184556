//! vouch's extensions to LSP: custom notifications, requests and command
//! arguments, namespaced `vouch/` like rust-analyzer's `rust-analyzer/`.
//!
//! Every field name here is part of the protocol the editor plugins speak;
//! `docs/protocol.md` documents them.

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{Position, Range, Uri, VersionedTextDocumentIdentifier};

use crate::provenance::AiKind;

/// Client → server: the text now in `range` (in the document as of
/// `version`) came from an AI tool.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AiEditParams {
    pub text_document: VersionedTextDocumentIdentifier,
    pub range: Range,
    pub tool: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub kind: Option<AiKind>,
}

/// Client → server: the text now in `range` was pasted by the user.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanPasteParams {
    pub text_document: VersionedTextDocumentIdentifier,
    pub range: Range,
}

/// Server → client, after changes: the document's attributed regions, for
/// gutter and background decorations.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegionsParams {
    pub uri: Uri,
    pub version: i32,
    pub regions: Vec<Region>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub range: Range,
    /// "ai", "human" or "unknown".
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub state: UnitState,
}

/// Where a unit (or a region inside it) stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitState {
    /// AI text that needs sign-off and has no request yet.
    Pending,
    /// Found by the size heuristic; nobody classified it yet.
    Suspected,
    /// Sign-off requested, not yet given.
    Requested,
    Approved,
    Rejected,
    /// No sign-off applies (exempt path, below the threshold, outside a
    /// repository).
    Exempt,
}

impl UnitState {
    /// Whether the unit still lacks the sign-off it needs.
    pub fn needs_signoff(self) -> bool {
        matches!(self, UnitState::Pending | UnitState::Suspected | UnitState::Requested | UnitState::Rejected)
    }

    pub fn label(self) -> &'static str {
        match self {
            UnitState::Pending => "pending",
            UnitState::Suspected => "suspected",
            UnitState::Requested => "requested",
            UnitState::Approved => "approved",
            UnitState::Rejected => "rejected",
            UnitState::Exempt => "exempt",
        }
    }
}

/// Result of `vouch/pending`: the repositories' review queues (what `vouch
/// review --list --all` lists, open files or not) and the open documents'
/// units that still need a request, the riskiest first.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PendingResult {
    pub units: Vec<PendingUnit>,
    /// A repository's queue is being read in the background: ask again
    /// after `vouch/pendingChanged`.
    pub computing: bool,
    /// The git identity the queue was read as (`mayApprove` is for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingUnit {
    pub uri: Uri,
    pub range: Range,
    pub path: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub fingerprint: String,
    pub risk: Vec<String>,
    /// "warning" or "information".
    pub severity: String,
    pub state: UnitState,
    pub ai_lines: usize,
    /// Lines an AI removed from the unit (none of them is an AI line):
    /// absent when none were, or when only a request speaks of the unit
    /// and it names no AI line (a request carries no removed line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_deleted_lines: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub reviewers: Vec<String>,
    /// Whether the current git identity may approve or reject it now,
    /// from the editor (never a trust file's change or a file's deletion,
    /// which `vouch approve --file` signs off).
    pub may_approve: bool,
    /// Who asked for sign-off (requested units).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// `"intent"` when the rationale was drafted from the agent's recorded
    /// intent (and confirmed by the requester), not typed: a client shows
    /// it beside the rationale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale_from: Option<crate::store::records::RationaleFrom>,
    /// False when the requested text is no longer in the file as it is now
    /// (`range` is then the file's start).
    pub located: bool,
}

/// What a client says it does itself, in `initializationOptions`. A client
/// that says nothing (Helix) gets only what works without a plugin.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientOptions {
    /// The client asks a person for a rationale or a rejection comment
    /// before it runs a command: a reject is offered only then.
    pub prompts_for_arguments: bool,
    /// The client shows what a command returned: otherwise the server says
    /// it with `window/showMessage`.
    pub shows_command_results: bool,
    /// Publish diagnostics for the queue's units in files that are not open
    /// (the workspace diagnostics picker of Helix, VS Code's Problems).
    pub queue_diagnostics: bool,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions { prompts_for_arguments: false, shows_command_results: false, queue_diagnostics: true }
    }
}

/// The commands a client runs through `workspace/executeCommand`; code
/// actions carry them with complete arguments.
pub mod command {
    pub const REQUEST_SIGNOFF: &str = "vouch.requestSignoff";
    pub const APPROVE: &str = "vouch.approve";
    pub const REJECT: &str = "vouch.reject";
    pub const MARK_AI: &str = "vouch.markAi";
    pub const MARK_HUMAN: &str = "vouch.markHuman";
    pub const SHOW_PROVENANCE: &str = "vouch.showProvenance";

    pub const ALL: [&str; 6] = [REQUEST_SIGNOFF, APPROVE, REJECT, MARK_AI, MARK_HUMAN, SHOW_PROVENANCE];
}

/// The one argument every vouch command takes.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommandArgs {
    pub uri: Option<Uri>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// The unit's fingerprint as the client saw it when it offered the
    /// action; the server recomputes it and refuses a mismatch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// On a request's code action: the rationale drafted from the agent's
    /// recorded intent, for the client to offer as the default; a request
    /// whose `rationale` is exactly this draft is recorded as taken from
    /// the intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale_draft: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Instead of `uri`: the document's path, absolute or relative (matched
    /// against the open documents by its last components), for clients
    /// that can only name a file (Helix's `%{buffer_name}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Instead of `range`: a 1-based line (Helix's `%{cursor_line}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// A hint the server puts in a request's code action for the client's
    /// prompt: the policy requires a rationale here. Ignored on the way in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale_required: Option<bool>,
}

/// `vouch/debug/panic` (client → server, a notification): a hidden test
/// hook, served only when the environment variable [`DEBUG_PANIC_ENV`] is
/// `1`, that makes the server panic, so tests can check that it recovers.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DebugPanicParams {
    pub on: PanicOn,
    /// How many times (for every place but `now`).
    #[serde(default = "one")]
    pub times: u32,
    /// Only for this document (for `change` and `analysis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<Uri>,
}

fn one() -> u32 {
    1
}

/// Where `vouch/debug/panic` makes the server panic (or hang).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum PanicOn {
    /// At once, while handling the notification.
    Now,
    /// In the next `didChange`, after its first change was applied.
    Change,
    /// In the next analysis, after the units were found.
    Analysis,
    /// While answering the next request.
    Request,
    /// No panic: the state thread stays busy for a minute at once, as a
    /// long analysis would keep it (what the server does meanwhile).
    Hang,
}

/// The environment variable that enables `vouch/debug/panic`.
pub const DEBUG_PANIC_ENV: &str = "VOUCH_LSP_DEBUG_PANIC";

/// Diagnostic codes, stable across versions.
pub mod code {
    pub const UNREVIEWED_AI: &str = "unreviewed-ai";
    pub const SIGNOFF_REQUESTED: &str = "signoff-requested";
    pub const SIGNOFF_REJECTED: &str = "signoff-rejected";
    pub const SUSPECTED_AI: &str = "suspected-ai";
}
