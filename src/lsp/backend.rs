//! The tower-lsp-server front: each handler turns its message into an event
//! for the state thread and, for a request, waits for the reply. No handler
//! touches a document itself.

use std::sync::mpsc::Sender;

use serde_json::Value;
use tokio::sync::oneshot;
use tower_lsp_server::LanguageServer;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::*;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::protocol::{self, AiEditParams, DebugPanicParams, HumanPasteParams, PendingResult, RegionsParams};
use super::recovery::panic_message;
use super::state::{About, Event, Query, State, code_actions_wait_for_history};
use crate::cancel::Arrivals;
use crate::text::PositionLines;

pub struct Backend {
    events: Sender<Event>,
    arrivals: Arrivals,
}

/// `vouch/regions`, server → client.
pub enum RegionsNotification {}

impl Notification for RegionsNotification {
    type Params = RegionsParams;
    const METHOD: &'static str = "vouch/regions";
}

/// `vouch/pendingChanged`, server → client: a repository's review queue
/// was read again; ask `vouch/pending` for it.
pub enum PendingChangedNotification {}

impl Notification for PendingChangedNotification {
    type Params = Value;
    const METHOD: &'static str = "vouch/pendingChanged";
}

impl Backend {
    pub fn new(events: Sender<Event>, arrivals: Arrivals) -> Backend {
        Backend { events, arrivals }
    }

    fn send(&self, event: Event) {
        // Counted first, so that the state thread never sees more events
        // than were counted: an analysis under way gives way to this one.
        self.arrivals.arrived();
        // The state thread lives as long as the service; a send can fail only
        // while the server shuts down, when nothing is left to do.
        let _ = self.events.send(event);
    }

    /// Run `f` on the state thread for the request `method`, about what
    /// `about` says, and wait for what it returns. A panic in `f` is an
    /// error reply saying so; the state thread then recovers (see
    /// [`super::recovery`]). A request the client cancelled before the
    /// state thread came to it is not run.
    async fn query<T: Send + 'static>(
        &self,
        method: &'static str,
        about: About,
        f: impl FnOnce(&mut State) -> T + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        let run: Query = Box::new(move |state| {
            if tx.is_closed() {
                return;
            }
            match catch_unwind(AssertUnwindSafe(|| {
                state.before_request();
                f(state)
            })) {
                Ok(value) => {
                    let _ = tx.send(Ok(value));
                }
                Err(payload) => {
                    let _ = tx.send(Err(panic_message(&*payload)));
                    resume_unwind(payload);
                }
            }
        });
        self.send(Event::Query { method, about, run });
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(message)) => Err(Error {
                code: tower_lsp_server::jsonrpc::ErrorCode::InternalError,
                message: super::shown::message(format!(
                    "vouch: internal error while answering {method}: {message}; the server rebuilt its state and \
                     keeps serving"
                ))
                .into(),
                data: None,
            }),
            Err(_) => Err(Error::internal_error()),
        }
    }

    /// Custom notifications parse their own parameters so that a bad one
    /// gets a message naming what was wrong (tower-lsp would drop it).
    pub async fn ai_edit(&self, params: Value) {
        self.send(match serde_json::from_value::<AiEditParams>(params) {
            Ok(p) => Event::AiEdit(p),
            Err(e) => Event::Invalid(format!("vouch: ignored vouch/aiEdit with bad parameters: {e}")),
        });
    }

    pub async fn human_paste(&self, params: Value) {
        self.send(match serde_json::from_value::<HumanPasteParams>(params) {
            Ok(p) => Event::HumanPaste(p),
            Err(e) => Event::Invalid(format!("vouch: ignored vouch/humanPaste with bad parameters: {e}")),
        });
    }

    /// A message the framing guard could not pass on.
    pub async fn malformed(&self, params: Value) {
        let why = params["error"].as_str().unwrap_or("ignored a malformed message").to_string();
        self.send(Event::Invalid(format!("vouch: {why}")));
    }

    /// `vouch/debug/panic`, registered only when the test hook is enabled.
    pub async fn debug_panic(&self, params: Value) {
        self.send(match serde_json::from_value::<DebugPanicParams>(params) {
            Ok(p) => Event::DebugPanic(p),
            Err(e) => Event::Invalid(format!("vouch: ignored vouch/debug/panic with bad parameters: {e}")),
        });
    }

    pub async fn pending(&self, _params: Option<Value>) -> Result<PendingResult> {
        self.query("vouch/pending", About::Nothing, |state| state.pending()).await.map(super::shown::pending)
    }

    pub async fn stats(&self, _params: Option<Value>) -> Result<Value> {
        self.query("vouch/debug/stats", About::Nothing, |state| state.stats()).await
    }

    /// `vouch/debug/document`: the server's copy of a document (text,
    /// version, AI spans), so tests can check it against the client's.
    pub async fn debug_document(&self, params: TextDocumentIdentifier) -> Result<Value> {
        let about = About::History(params.uri.clone());
        self.query("vouch/debug/document", about, move |state| state.debug_document(&params.uri)).await
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.clone());
        let encoding = super::convert::negotiate(offered.as_deref());
        let lens_refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        // What the client does itself (prompts, showing results); a bad
        // value is said and the defaults used.
        let options = match params.initialization_options.clone().filter(|v| !v.is_null()) {
            None => protocol::ClientOptions::default(),
            Some(value) => serde_json::from_value(value).unwrap_or_else(|e| {
                self.send(Event::Invalid(format!("vouch: ignored initializationOptions: {e}")));
                protocol::ClientOptions::default()
            }),
        };
        let mut folders: Vec<std::path::PathBuf> =
            params.workspace_folders.iter().flatten().filter_map(|f| super::convert::file_path(&f.uri)).collect();
        #[allow(deprecated)] // Clients without workspace folders send only the root.
        if folders.is_empty()
            && let Some(root) = params.root_uri.as_ref().and_then(super::convert::file_path)
        {
            folders.push(root);
        }
        // Neovim and Helix end lines at `\n` only: their positions count so.
        let lines = params.client_info.as_ref().map_or(PositionLines::Lsp, |c| PositionLines::of_client(&c.name));
        self.send(Event::Initialize { encoding, lines, lens_refresh, options, folders });
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(super::convert::encoding_kind(encoding)),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
                    ..TextDocumentSyncOptions::default()
                })),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::EMPTY]),
                    ..CodeActionOptions::default()
                })),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: protocol::command::ALL.iter().map(|c| c.to_string()).collect(),
                    ..ExecuteCommandOptions::default()
                }),
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo { name: "vouch".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.send(Event::Initialized);
    }

    async fn shutdown(&self) -> Result<()> {
        // Flush what the state thread holds before replying.
        self.query("shutdown", About::Nothing, |state| state.shutdown_requested()).await
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.send(Event::Open(params.text_document));
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.send(Event::Change(params));
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.send(Event::Save(params.text_document.uri));
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.send(Event::Close(params.text_document.uri));
    }

    async fn did_change_watched_files(&self, _: DidChangeWatchedFilesParams) {
        self.send(Event::FilesChanged);
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        let about = if code_actions_wait_for_history(&params) { About::History(uri) } else { About::Document(uri) };
        self.query("textDocument/codeAction", about, move |state| state.code_actions(&params))
            .await
            .map(super::shown::code_actions)
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let about = About::Document(params.text_document.uri.clone());
        self.query("textDocument/codeLens", about, move |state| state.code_lenses(&params.text_document.uri))
            .await
            .map(super::shown::code_lenses)
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        let about = About::Document(at.text_document.uri.clone());
        self.query("textDocument/hover", about, move |state| state.hover(&at.text_document.uri, at.position)).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        // A command on a document acts on its units as they are, history
        // included.
        let first = params.arguments.first();
        let about = match (first.and_then(|a| a.get("uri")), first.and_then(|a| a.get("path"))) {
            (Some(Value::String(uri)), _) => uri.parse().map_or(About::Nothing, About::History),
            (None, Some(Value::String(path))) => About::HistoryAt(path.clone()),
            _ => About::Nothing,
        };
        self.query("workspace/executeCommand", about, move |state| state.execute(&params.command, params.arguments))
            .await?
            .map(super::shown::command_reply)
    }
}
