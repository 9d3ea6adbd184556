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
//! Each message's handler begins as the message is read ([`in_order`]), so
//! the state thread gets the events in the order the client sent them, and
//! up to [`WAITING_REPLIES`] requests may wait for their replies at once: a
//! request the state thread puts off until its file's history is in holds
//! up no other message.
//!
//! A panic while handling one message never leaves a server that answers
//! nothing: the state thread catches it, rebuilds its documents from what
//! the client sent ([`recovery`]) and goes on; only when panics come faster
//! than that can help does the process end, with an error, so that a client
//! that restarts servers starts a new one.

use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::{mpsc as async_mpsc, oneshot};
use tower_lsp_server::{Client, LspService, Server};

mod backend;
pub mod convert;
mod framing;
mod history_reads;
mod in_order;
pub mod protocol;
mod recovery;
mod repo_queue;
mod review;
mod shown;
mod state;

pub use state::Outgoing;

/// How many requests may wait for their replies at once; past it, the
/// replies of later ones wait too (their events are sent all the same).
const WAITING_REPLIES: usize = 64;

/// Serve LSP on stdin and stdout until the client says `exit`; whether a
/// `shutdown` request came first (LSP's exit code is 0 then, else 1).
pub fn run() -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let ended = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // tokio reads stdin on a blocking thread that a runtime's drop waits
    // for, and a client keeps the pipe open until the process is gone:
    // after `exit`, leave without waiting (Neovim waited, then killed it).
    runtime.shutdown_background();
    match ended {
        state::Ended::Disconnected => Ok(true),
        state::Ended::WithoutShutdown => Ok(false),
        state::Ended::GaveUp => anyhow::bail!("the language server stopped after repeated internal errors"),
    }
}

/// Serve LSP over any pair of streams (stdio in production, pipes in tests).
pub async fn serve<I, O>(input: I, output: O) -> state::Ended
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite,
{
    let (events_tx, events_rx) = mpsc::channel();
    let arrivals = crate::cancel::Arrivals::default();
    let counted = arrivals.clone();
    let (closing, gone) = (arrivals.clone(), arrivals.clone());
    let (out_tx, out_rx) = async_mpsc::unbounded_channel();
    let (gave_up_tx, gave_up_rx) = oneshot::channel();
    let (drained_tx, drained_rx) = oneshot::channel();
    let state_thread = std::thread::Builder::new()
        .name("vouch-state".into())
        .spawn(move || {
            let ended = state::State::new(out_tx, counted).run(events_rx);
            if ended == state::Ended::GaveUp {
                let _ = gave_up_tx.send(());
            }
            ended
        })
        .expect("spawning a thread succeeds");
    let debug_panic = std::env::var(protocol::DEBUG_PANIC_ENV).is_ok_and(|v| v == "1");
    let mut builder = LspService::build(|client: Client| {
        tokio::spawn(async move {
            forward(client, out_rx).await;
            let _ = drained_tx.send(());
        });
        backend::Backend::new(events_tx, arrivals)
    })
    .custom_method("vouch/aiEdit", backend::Backend::ai_edit)
    .custom_method("vouch/humanPaste", backend::Backend::human_paste)
    .custom_method("vouch/malformed", backend::Backend::malformed)
    .custom_method("vouch/pending", backend::Backend::pending)
    .custom_method("vouch/debug/stats", backend::Backend::stats)
    .custom_method("vouch/debug/document", backend::Backend::debug_document);
    if debug_panic {
        builder = builder.custom_method("vouch/debug/panic", backend::Backend::debug_panic);
    }
    let (service, socket) = builder.finish();
    let (guarded, reader) = tokio::io::duplex(1 << 20);
    // Once the client's input ends, what the state thread computes is for
    // nobody: its analyses give way, and it goes through what is queued
    // (saves, records) and ends.
    let guard = tokio::spawn(async move {
        framing::guard(input, guarded, record_file()).await;
        closing.close();
    });
    let mut server = Box::pin(
        Server::new(reader, output, socket).concurrency_level(WAITING_REPLIES).serve(in_order::InOrder(service)),
    );
    let gave_up = async {
        match gave_up_rx.await {
            Ok(()) => {}
            // The state thread ended for the ordinary reason.
            Err(_) => std::future::pending().await,
        }
    };
    let ended = tokio::select! {
        () = &mut server => state::Ended::Disconnected,
        () = gave_up => {
            // Let the last messages (why the server stops) reach the client:
            // the server writes them while the outbox drains, and a moment
            // after.
            let drained = async {
                let _ = drained_rx.await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                tokio::select! {
                    () = &mut server => {}
                    () = drained => {}
                }
            })
            .await;
            state::Ended::GaveUp
        }
    };
    guard.abort();
    if ended == state::Ended::GaveUp {
        return ended;
    }
    // The service, and with it the last sender of events, is gone: the state
    // thread sees its channel close and returns once through what is queued
    // (a save's record is not lost); a long analysis gives way, rather than
    // keep the process burning a core for a client that is gone (rt28b).
    gone.close();
    drop(server);
    state_thread.join().unwrap_or(state::Ended::Disconnected)
}

/// The file `VOUCH_LSP_RECORD` names, opened to append the raw input to.
fn record_file() -> Option<std::fs::File> {
    let path = std::env::var_os(framing::RECORD_ENV)?;
    match std::fs::OpenOptions::new().create(true).append(true).open(&path) {
        Ok(file) => Some(file),
        Err(e) => {
            eprintln!("vouch: cannot record the client's messages in {}: {e}", std::path::Path::new(&path).display());
            None
        }
    }
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
