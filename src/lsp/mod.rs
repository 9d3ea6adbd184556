//! The language server: `vouch lsp` over stdio.
//!
//! tower-lsp-server reads and writes JSON-RPC; [`backend`] turns each message
//! into an [`state::Event`] for one thread that owns every document
//! ([`state`]), so edits apply strictly in the order they were sent. Handlers
//! never await the client; what the server has to say (diagnostics,
//! `vouch/regions`, messages) leaves through one ordered outbox task. Text
//! for a person leaves through [`shown`], which makes hidden characters
//! visible.
//!
//! The server runs with a concurrency level of 1 as well: tower-lsp runs
//! handlers concurrently by default (its issue #284), and two `didChange`
//! handlers could otherwise interleave.

use std::sync::mpsc;

use tokio::sync::mpsc as async_mpsc;
use tower_lsp_server::{Client, LspService, Server};

mod backend;
pub mod convert;
mod framing;
pub mod protocol;
mod repo_queue;
mod review;
mod shown;
mod state;

pub use state::Outgoing;

/// Serve LSP on stdin and stdout until the client says `exit`.
pub fn run() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // tokio reads stdin on a blocking thread that a runtime's drop waits
    // for, and a client keeps the pipe open until the process is gone:
    // after `exit`, leave without waiting (Neovim waited, then killed it).
    runtime.shutdown_background();
    Ok(())
}

/// Serve LSP over any pair of streams (stdio in production, pipes in tests).
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite,
{
    let (events_tx, events_rx) = mpsc::channel();
    let (out_tx, out_rx) = async_mpsc::unbounded_channel();
    let state_thread = std::thread::Builder::new()
        .name("vouch-state".into())
        .spawn(move || state::State::new(out_tx).run(events_rx))
        .expect("spawning a thread succeeds");
    let (service, socket) = LspService::build(|client: Client| {
        tokio::spawn(forward(client.clone(), out_rx));
        backend::Backend::new(events_tx)
    })
    .custom_method("vouch/aiEdit", backend::Backend::ai_edit)
    .custom_method("vouch/humanPaste", backend::Backend::human_paste)
    .custom_method("vouch/malformed", backend::Backend::malformed)
    .custom_method("vouch/pending", backend::Backend::pending)
    .custom_method("vouch/debug/stats", backend::Backend::stats)
    .custom_method("vouch/debug/document", backend::Backend::debug_document)
    .finish();
    let (guarded, reader) = tokio::io::duplex(1 << 20);
    let guard = tokio::spawn(framing::guard(input, guarded));
    Server::new(reader, output, socket).concurrency_level(1).serve(service).await;
    guard.abort();
    // The service, and with it the last sender of events, is gone: the state
    // thread sees its channel close and returns.
    let _ = state_thread.join();
}

/// Send what the state thread says to the client, in order.
async fn forward(client: Client, mut out: async_mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(msg) = out.recv().await {
        match msg {
            Outgoing::Diagnostics { uri, version, diagnostics } => {
                client.publish_diagnostics(uri, shown::diagnostics(diagnostics), version).await;
            }
            Outgoing::Regions(params) => {
                client.send_notification::<backend::RegionsNotification>(shown::regions(params)).await;
            }
            Outgoing::Log(kind, message) => client.log_message(kind, shown::message(message)).await,
            Outgoing::Show(kind, message) => client.show_message(kind, shown::message(message)).await,
            Outgoing::PendingChanged => {
                client.send_notification::<backend::PendingChangedNotification>(serde_json::json!({})).await;
            }
            Outgoing::RefreshCodeLens => {
                // A request to the client: never awaited on the edit path.
                let client = client.clone();
                tokio::spawn(async move {
                    let _ = client.code_lens_refresh().await;
                });
            }
        }
    }
}
