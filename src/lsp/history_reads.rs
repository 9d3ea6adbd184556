//! History's account of open documents, read off the state thread.
//!
//! A document opened, or reloaded to a version the store knows, gets the
//! journal's account at once, and history's (`git blame` and the notes:
//! tens of milliseconds for a file with a long history) when a thread of
//! its own has read it ([`crate::lsp::review::HistoryJob`]); meanwhile the
//! state thread handles the other documents' edits. Its diagnostics come
//! once the read is in; a code action asked for by hand, a command on it,
//! a save or a close of it waits for the read (put off, with what comes
//! about the document after it, while the other documents are served),
//! while what clients ask for on their own (code lenses, a lightbulb's code
//! actions, hovers) is answered at once from what is known, and asked again
//! or refreshed once it is in (see the state thread's use of [`Reads`]).
//! The first read of a
//! repository also brings its index of the paths history may hold AI text
//! in up to date ([`HistoryJob`]).

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tower_lsp_server::ls_types::Uri;

use super::review::{HistoryJob, HistoryRead};
use crate::provenance::Spans;

/// A read under way for an open document.
pub struct Pending {
    id: u64,
    /// The journal's spans of the text the read is for: what history's
    /// account is laid under when it comes.
    pub view: Spans,
    /// The document's version when the read began.
    pub version: i32,
    since: Instant,
}

/// What a read brought: what it read, or why it stopped (a panic).
pub type Outcome = Result<HistoryRead, String>;

/// How many reads run at once: each is a `git blame`, and an editor may
/// open dozens of files at start.
const MAX_RUNNING: usize = 2;

/// The reads under way, one at most per document.
pub struct Reads {
    tx: Sender<(u64, Outcome)>,
    rx: Receiver<(u64, Outcome)>,
    next: u64,
    pending: HashMap<Uri, Pending>,
    /// Reads not started yet, in the order asked for.
    queued: VecDeque<(u64, Box<HistoryJob>)>,
    running: usize,
}

impl Default for Reads {
    fn default() -> Reads {
        let (tx, rx) = mpsc::channel();
        Reads { tx, rx, next: 0, pending: HashMap::new(), queued: VecDeque::new(), running: 0 }
    }
}

impl Reads {
    /// Read `job` for `uri`'s text at `version`, whose journal spans are
    /// `view`, on a thread of its own once fewer than [`MAX_RUNNING`] run.
    /// A read already asked for `uri` is superseded: what it brings is
    /// dropped (and it is not started if it has not been).
    pub fn start(&mut self, uri: Uri, version: i32, view: Spans, job: Box<HistoryJob>) {
        let id = self.next;
        self.next += 1;
        self.pending.insert(uri, Pending { id, view, version, since: Instant::now() });
        self.queued.push_back((id, job));
        self.pump();
    }

    /// Start queued reads that are still wanted, up to [`MAX_RUNNING`]; a
    /// read no thread can be started for is run here.
    fn pump(&mut self) {
        while self.running < MAX_RUNNING {
            let Some((id, job)) = self.queued.pop_front() else { return };
            if !self.pending.values().any(|p| p.id == id) {
                continue;
            }
            self.running += 1;
            // Shared with the thread, to be run here if it does not start.
            let job = Arc::new(Mutex::new(Some(job)));
            let (theirs, tx) = (job.clone(), self.tx.clone());
            let spawned = std::thread::Builder::new().name("vouch-history".into()).spawn(move || {
                if let Some(job) = theirs.lock().ok().and_then(|mut j| j.take()) {
                    let _ = tx.send((id, run(job)));
                }
            });
            if spawned.is_err()
                && let Some(job) = job.lock().ok().and_then(|mut j| j.take())
            {
                let _ = self.tx.send((id, run(job)));
            }
        }
    }

    /// A read that came in: one fewer runs.
    fn came(&mut self, read: (u64, Outcome)) -> (u64, Outcome) {
        self.running = self.running.saturating_sub(1);
        self.pump();
        read
    }

    pub fn is_pending(&self, uri: &Uri) -> bool {
        self.pending.contains_key(uri)
    }

    /// When the read for `uri` started, if one is under way.
    pub fn since(&self, uri: &Uri) -> Option<Instant> {
        self.pending.get(uri).map(|p| p.since)
    }

    pub fn any(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether a read is under way for `uri`, or for any document.
    pub fn pending_for(&self, uri: Option<&Uri>) -> bool {
        match uri {
            Some(uri) => self.is_pending(uri),
            None => self.any(),
        }
    }

    /// A read that has come in, if any.
    pub fn try_take(&mut self) -> Option<(u64, Outcome)> {
        let read = self.rx.try_recv().ok()?;
        Some(self.came(read))
    }

    /// The next read to come in, waiting until `deadline` at most.
    pub fn wait(&mut self, deadline: Instant) -> Option<(u64, Outcome)> {
        let read = self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok()?;
        Some(self.came(read))
    }

    /// The document read `id` was for, and what was pending for it, no
    /// longer pending; `None` if it was superseded or dropped.
    pub fn finish(&mut self, id: u64) -> Option<(Uri, Pending)> {
        let uri = self.pending.iter().find(|(_, p)| p.id == id).map(|(u, _)| u.clone())?;
        self.pending.remove(&uri).map(|p| (uri, p))
    }

    /// Stop waiting for the reads for `uri` (for every document, with
    /// `None`): what they bring is dropped. The documents they were for.
    pub fn give_up(&mut self, uri: Option<&Uri>) -> Vec<Uri> {
        let late: Vec<Uri> = self.pending.keys().filter(|u| uri.is_none_or(|w| w == *u)).cloned().collect();
        for u in &late {
            self.pending.remove(u);
        }
        late
    }

    /// Forget the read for `uri` (the document is gone).
    pub fn forget(&mut self, uri: &Uri) {
        self.pending.remove(uri);
    }
}

/// Run `job`; a panic in it is an outcome too, so that nothing waits for
/// it forever.
fn run(job: Box<HistoryJob>) -> Outcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run()))
        .map_err(|payload| super::recovery::panic_message(&*payload))
}
