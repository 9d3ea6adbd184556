//! The server's state, owned by one thread: open documents, their analysis,
//! and the repositories they belong to.
//!
//! Events arrive in the order the client sent them and are handled one at a
//! time, so edits can never interleave. Analysis (units, review state,
//! diagnostics, regions) is debounced: it runs once the document has been
//! quiet for [`DEBOUNCE`], or at the latest [`MAX_DELAY`] after the first
//! unanalysed edit, and at once before any request reads it. An analysis
//! the debounce starts gives way to the client's next message
//! ([`crate::cancel`]): the document stays out of date and is analysed
//! again once quiet, or to its end once [`STARVED`] has passed since its
//! first unanalysed edit.
//!
//! A panic while handling one event never stops the thread: it is caught,
//! logged, told to the user once, and the documents are rebuilt from what
//! the client sent ([`super::recovery`]); the event that failed is dropped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::*;

use super::convert;
use super::history_reads::{self, Reads};
use super::protocol::{
    AiEditParams, ClientOptions, CommandArgs, DebugPanicParams, HumanPasteParams, PanicOn, PendingResult, PendingUnit,
    Region, RegionsParams, UnitState, code, command,
};
use super::recovery::{self, Faults};
use super::repo_queue::{self, RepoQueue};
use super::review::{History, HistoryRead, Repos, Severity, Verdict};
use crate::cancel::{self, Arrivals, Watch};
use crate::document::{Change, Document, Parsing, Undo};
use crate::provenance::{AiSource, Attribution, Evidence, Origin, RecentlyRemoved};
use crate::signoff::{UnitFacts, unit_label};
use crate::syntax::Language;
use crate::text::{Clamp, Encoding, PositionLines, Text};

/// How long a document must be quiet before it is analysed again.
const DEBOUNCE: Duration = Duration::from_millis(25);
/// The longest analysis waits while edits keep coming.
const MAX_DELAY: Duration = Duration::from_millis(200);
/// How long analyses given up for the input that kept arriving
/// ([`crate::cancel`]) may put one off: past it, the next runs to its end.
const STARVED: Duration = Duration::from_secs(1);
/// How long a document's provenance may stay unwritten while it is idle.
const IDLE_RECORD: Duration = Duration::from_secs(5);
/// How often the store is checked for records other writers added.
const POLL: Duration = Duration::from_millis(500);
/// How many documents keep their syntax tree between edits: a tree takes
/// about 60 bytes per byte of source (30 MiB for a 10,000-line file), so
/// the least recently analysed documents drop theirs and parse again when
/// next edited or asked about (about 20 ms for 10,000 lines).
const LIVE_TREES: usize = 4;
/// How often a queue read in the background is looked for.
const QUEUE_POLL: Duration = Duration::from_millis(20);
/// How often a repository's judging read is looked for while a document
/// waits for it (an opened file's diagnostics wait for it).
const JUDGING_POLL: Duration = Duration::from_millis(2);
/// How old a queue may be when `vouch/pending` asks for it before it is
/// read again (in the background: the answer is the queue as it was), at
/// least; a queue that took long to read is kept longer ([`queue_fresh_for`]).
const QUEUE_FRESH: Duration = Duration::from_secs(5);
/// How many times as long as its read took a queue is kept, at least: a
/// read judges every request, seconds with tens of thousands of them, and
/// an editor asks for the queue after every pause in typing.
const QUEUE_FRESH_FACTOR: u32 = 10;
/// How long a document's diagnostics wait for history's account of it
/// ([`super::history_reads`]) before they come without it (and again with it).
const HISTORY_PATIENCE: Duration = Duration::from_secs(2);
/// How long a request, a save or a close waits for history's account of a
/// document at most.
const HISTORY_WAIT: Duration = Duration::from_secs(30);

/// How long carrying the store's account of an earlier text onto the text
/// now may diff on the state thread (a history read that lands after a
/// whole file was re-indented): past it, less counts as unchanged and is
/// carried, never more. The store keeps its account either way.
pub(super) const CARRY_DIFF: Duration = Duration::from_millis(50);

/// What a hover adds while the file's history is being read.
const HISTORY_BEING_READ: &str =
    "_vouch is still reading this file's history (git blame and notes): what it says of these lines may change._\n";

/// A request run on the state thread.
pub type Query = Box<dyn FnOnce(&mut State) + Send>;

/// What a request is about, for when it is handled ([`State::admit`]).
pub enum About {
    /// No document in particular: handled as it comes.
    Nothing,
    /// A document: handled after what came about it before.
    Document(Uri),
    /// A document whose history's account the answer needs: handled once
    /// that is in (or after [`HISTORY_WAIT`]), without holding up the
    /// other documents meanwhile.
    History(Uri),
    /// The same, for the open document at a path (a command sent with
    /// `path` instead of `uri`, as Helix sends them).
    HistoryAt(String),
}

/// A document closed lately that held AI text: a document opened with its
/// very text (the file renamed while open: closed under its old name,
/// opened under the new) takes its account.
struct Closed {
    root: PathBuf,
    /// Its file: a rename moved it away.
    path: PathBuf,
    text: String,
    spans: Vec<(Range<usize>, Attribution)>,
    at: Instant,
}

/// How many closed documents are kept, and for how long.
const CLOSED_KEPT: usize = 8;
const CLOSED_FOR: Duration = Duration::from_secs(60);

/// An event put off until its document's history is in, or until what
/// came about that document before it is handled.
struct Parked {
    event: Event,
    uri: Uri,
    /// Whether it needs the document's history (else it waits only for
    /// what came before it).
    needs_history: bool,
    /// How long it waits for history at most.
    until: Instant,
}

pub enum Event {
    Initialize {
        encoding: Encoding,
        /// Where the client's lines end, for positions (by its name).
        lines: PositionLines,
        lens_refresh: bool,
        options: ClientOptions,
        /// The workspace folders (or the root): their repositories' queues
        /// are read before any file is opened.
        folders: Vec<PathBuf>,
    },
    Initialized,
    Open(TextDocumentItem),
    Change(DidChangeTextDocumentParams),
    Save(Uri),
    Close(Uri),
    AiEdit(AiEditParams),
    HumanPaste(HumanPasteParams),
    /// A notification whose parameters did not parse: said to the client.
    Invalid(String),
    FilesChanged,
    /// A request, named by its method.
    Query {
        method: &'static str,
        about: About,
        run: Query,
    },
    /// `vouch/debug/panic`: only sent when the test hook is enabled.
    DebugPanic(DebugPanicParams),
}

impl Event {
    /// What the event is, for a message about it.
    fn kind(&self) -> &'static str {
        match self {
            Event::Initialize { .. } => "initialize",
            Event::Initialized => "initialized",
            Event::Open(_) => "textDocument/didOpen",
            Event::Change(_) => "textDocument/didChange",
            Event::Save(_) => "textDocument/didSave",
            Event::Close(_) => "textDocument/didClose",
            Event::AiEdit(_) => "vouch/aiEdit",
            Event::HumanPaste(_) => "vouch/humanPaste",
            Event::Invalid(_) => "a malformed message",
            Event::FilesChanged => "workspace/didChangeWatchedFiles",
            Event::Query { method, .. } => method,
            Event::DebugPanic(_) => "vouch/debug/panic",
        }
    }

    /// The document the event is about, if one.
    fn uri(&self) -> Option<&Uri> {
        match self {
            Event::Open(item) => Some(&item.uri),
            Event::Change(params) => Some(&params.text_document.uri),
            Event::Save(uri) | Event::Close(uri) => Some(uri),
            Event::AiEdit(params) => Some(&params.text_document.uri),
            Event::HumanPaste(params) => Some(&params.text_document.uri),
            Event::Query { about: About::Document(uri) | About::History(uri), .. } => Some(uri),
            _ => None,
        }
    }

    /// Whether handling the event needs its document's history: what is
    /// written down at a save or a close includes it, and so does what
    /// some requests answer.
    fn needs_history(&self) -> bool {
        matches!(
            self,
            Event::Save(_) | Event::Close(_) | Event::Query { about: About::History(_) | About::HistoryAt(_), .. }
        )
    }
}

/// Why the state thread stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every sender is gone: the server is shutting down.
    Disconnected,
    /// Every sender is gone, and no `shutdown` request came first (the
    /// client sent `exit` alone, or went away): LSP asks for exit code 1.
    WithoutShutdown,
    /// Internal errors came too fast to recover from: the process should
    /// end, so that a client that restarts servers starts a new one.
    GaveUp,
}

/// What the state thread says to the client, in order.
#[derive(Debug)]
pub enum Outgoing {
    Diagnostics {
        uri: Uri,
        version: Option<i32>,
        diagnostics: Vec<Diagnostic>,
    },
    Regions(RegionsParams),
    Log(MessageType, String),
    Show(MessageType, String),
    RefreshCodeLens,
    /// A repository's review queue changed: `vouch/pendingChanged`.
    PendingChanged,
}

/// A repository's review queue, read in the background (see
/// [`repo_queue`]).
#[derive(Default)]
struct QueueSlot {
    current: Option<std::sync::Arc<RepoQueue>>,
    /// When the read that gave `current` began.
    started: Option<Instant>,
    read_at: Option<Instant>,
    /// How long the read that gave `current` took.
    took: Duration,
    /// A read is running.
    reading: bool,
    /// Records, the policy or the identity changed since the last read began.
    stale: bool,
    /// The files not open whose queue diagnostics were published.
    published: HashSet<Uri>,
    /// The last read failed with this (said once).
    failed: Option<String>,
}

/// A request made here, in `root`, for units awaiting `reviewers`: once a
/// queue read begun after `asked` is in, the requester is told of those it
/// puts over the review budget.
struct BudgetWatch {
    root: PathBuf,
    reviewers: Vec<String>,
    asked: Instant,
}

/// One review unit of an open document and where it stands.
#[derive(Debug, Clone)]
pub struct Assessed {
    pub facts: UnitFacts,
    pub verdict: Verdict,
}

impl std::ops::Deref for Assessed {
    type Target = UnitFacts;

    fn deref(&self) -> &UnitFacts {
        &self.facts
    }
}

/// The byte replacements of the last few `didChange` batches, by the
/// version each made: a range a client names in an older version lands on
/// the text it named (the VS Code extension reports an AI insertion or a
/// paste after reading the clipboard, and a format-on-paste or an
/// auto-import may land in between).
#[derive(Default)]
struct Versions {
    batches: VecDeque<Batch>,
    /// Bytes of removed text kept.
    bytes: usize,
}

/// One batch: the version before it, the version it made, and its byte
/// replacements in order, each on the text the previous one left.
struct Batch {
    from: i32,
    to: i32,
    edits: Vec<Undo>,
}

/// The most batches kept, and the most bytes of removed text: a second
/// of fast typing, so that code lenses asked for as the person types can
/// be carried from the last analysis ([`State::code_lenses`]).
const MAX_BATCHES: usize = 64;
const MAX_BATCH_BYTES: usize = 1 << 20;

impl Versions {
    fn push(&mut self, from: i32, to: i32, doc: &Document) {
        let edits = doc.last_batch_edits().to_vec();
        let size: usize = edits.iter().map(|e| e.removed.len()).sum();
        if size > MAX_BATCH_BYTES {
            // Nothing older can be mapped across it.
            *self = Versions::default();
            return;
        }
        self.bytes += size;
        self.batches.push_back(Batch { from, to, edits });
        while self.batches.len() > MAX_BATCHES || self.bytes > MAX_BATCH_BYTES {
            let Some(old) = self.batches.pop_front() else { break };
            self.bytes -= old.edits.iter().map(|e| e.removed.len()).sum::<usize>();
        }
    }

    /// The batches from `version` to `now`, when `version` is older and
    /// every batch since is kept.
    fn since(&self, version: i32, now: i32) -> Option<Vec<&Batch>> {
        if version == now {
            return None;
        }
        let first = self.batches.iter().position(|b| b.from == version)?;
        let since: Vec<&Batch> = self.batches.iter().skip(first).collect();
        if since.last()?.to != now || since.windows(2).any(|w| w[0].to != w[1].from) {
            return None;
        }
        Some(since)
    }

    /// When `version` is older than `now` and every batch since is kept:
    /// the text as it was at `version` (its lines counted as `lines` says),
    /// and the batches since.
    fn then(&self, doc: &Document, version: i32, now: i32, lines: PositionLines) -> Option<Then<'_>> {
        let since = self.since(version, now)?;
        let mut text = doc.text().as_str().to_string();
        for batch in since.iter().rev() {
            for Undo { start, inserted, removed } in batch.edits.iter().rev() {
                text.get(*start..start + inserted)?;
                text.replace_range(*start..start + inserted, removed);
            }
        }
        let mut text = Text::new(text).ok()?;
        text.set_position_lines(lines);
        Some(Then { text, since })
    }
}

/// Where the byte range `range` of an older version is after `since`
/// (see [`crate::document::follow`]).
fn carry(range: Range<usize>, since: &[&Batch]) -> Range<usize> {
    since.iter().fold(range, |range, batch| crate::document::follow(range, &batch.edits))
}

/// A document as it was at an older version ([`Versions::then`]).
struct Then<'a> {
    text: Text,
    since: Vec<&'a Batch>,
}

impl Then<'_> {
    /// The byte range `range` named then, where that text is now; and how
    /// its positions were clamped.
    fn range(&self, range: tower_lsp_server::ls_types::Range, enc: Encoding) -> (Range<usize>, Vec<Clamp>) {
        // Text inserted where the range starts is before it; where it
        // ends, after it; what a replacement took is no longer in it.
        let (range, clamps) = convert::byte_range(&self.text, range, enc);
        (carry(range, &self.since), clamps)
    }
}

/// A document whose analysis is out of date.
#[derive(Debug, Clone, Copy)]
struct Dirty {
    /// When the first edit (or change of records) not yet analysed came.
    first: Instant,
    /// When the last one came.
    last: Instant,
    /// An analysis of it was given up for input that arrived: the next
    /// waits for the document to be quiet ([`DEBOUNCE`]), not only for
    /// [`MAX_DELAY`], so that steady typing does not start one after each
    /// keystroke only to drop it at the next.
    interrupted: bool,
}

impl Dirty {
    fn since(now: Instant) -> Dirty {
        Dirty { first: now, last: now, interrupted: false }
    }

    /// When the tick analyses it: once it has been quiet for [`DEBOUNCE`],
    /// or at the latest [`MAX_DELAY`] after the first edit ([`STARVED`]
    /// after it, once an analysis was given up).
    fn due(&self) -> Instant {
        let latest = if self.interrupted { STARVED } else { MAX_DELAY };
        (self.last + DEBOUNCE).min(self.first + latest)
    }

    /// Whether an analysis begun at `now` gives way to input that arrives
    /// meanwhile: until [`STARVED`] after the first edit.
    fn may_give_way(&self, now: Instant) -> bool {
        now < self.first + STARVED
    }
}

struct OpenDoc {
    uri: Uri,
    version: i32,
    doc: Document,
    /// The repository holding the file and its path inside it.
    repo: Option<(PathBuf, String)>,
    analysis: Vec<Assessed>,
    /// Lines verify will count as AI that the provenance does not show (a
    /// pending squash merge, cherry-pick or re-commit carries them), as of
    /// the last analysis: shown as AI regions and in the hover.
    unshown: Vec<(Range<usize>, Attribution)>,
    /// The text or provenance changed since the units were last found: the
    /// next analysis finds them again (which may need a parse). Otherwise it
    /// only judges the known units again (records or policy changed).
    units_stale: bool,
    /// Edits (or records) not yet analysed.
    dirty: Option<Dirty>,
    /// When the provenance last changed without being written to the
    /// journal: written on save, on close and when idle.
    unrecorded: Option<Instant>,
    /// The last `didChange` batch and its version, kept until the next one:
    /// with the text before it, what the document is rebuilt from after a
    /// panic.
    last_batch: Option<(i32, Vec<TextDocumentContentChangeEvent>)>,
    /// How many panics happened while handling this document.
    faults: u32,
    /// The recent batches' byte replacements, by the version each made
    /// ([`Versions`]): what a report naming an older version
    /// (`vouch/aiEdit`, `vouch/humanPaste`) is mapped through.
    versions: Versions,
    /// The file on disk as this server last saw it (see [`DiskStamp`]),
    /// looked at when the store is polled, never on an edit.
    disk: Option<DiskStamp>,
    /// The file on disk changed since the document was last compared with
    /// it: the next edit may be the editor reloading what another writer
    /// (an agent) put there.
    disk_moved: bool,
    /// The CPU time of its last analysis on the state thread (for
    /// `vouch/debug/document`).
    analysed_cpu_micros: u32,
    /// The version its last analysis saw (`analysis` names ranges of that
    /// text).
    analysed_version: Option<i32>,
    /// Code lenses were answered from an older analysis: the client is
    /// asked for them again once the document is analysed.
    lenses_lag: bool,
    /// A `vouch/pending` was answered from the last analysis, its units
    /// carried through the edits since: the client is told to ask again
    /// (`vouch/pendingChanged`) once the next analysis is in.
    pending_lag: bool,
    /// The text it was opened with, while it waits to be given the store's
    /// account of that text ([`State::read_store`]): its repository's
    /// judging (its records, the range, BASE's policy: see
    /// [`crate::lsp::review::Judging`]) is not read yet. Until then it is
    /// neither analysed nor written to the journal when idle; edits are
    /// taken meanwhile, and the store's account is carried onto them.
    waiting: Option<Waiting>,
}

/// A document's text as opened, waiting for its repository's judging
/// ([`OpenDoc::waiting`]).
struct Waiting {
    text: String,
    version: i32,
    /// When it was opened: the records this server wrote since (an AI
    /// edit of it meanwhile) are of its edits, which the document holds
    /// already, and of a later text.
    since: time::OffsetDateTime,
}

impl Waiting {
    fn now(text: &str, version: i32) -> Waiting {
        Waiting { text: text.to_string(), version, since: time::OffsetDateTime::now_utc() }
    }
}

/// A file's size and modification time: cheap to read on every edit, and
/// different whenever another writer changed the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DiskStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl DiskStamp {
    fn of(repo: Option<&(PathBuf, String)>) -> Option<DiskStamp> {
        let (root, rel) = repo?;
        let meta = std::fs::metadata(root.join(rel)).ok()?;
        Some(DiskStamp { len: meta.len(), modified: meta.modified().ok() })
    }
}

/// Whether `change` replaces whole lines: its range from the start of a
/// line to the start of another, or an insertion of whole lines at the
/// start of one (how editors send a reload from disk).
fn replaces_whole_lines(change: &TextDocumentContentChangeEvent) -> bool {
    change.range.is_some_and(|r| {
        r.start.character == 0 && r.end.character == 0 && (r.start.line != r.end.line || change.text.ends_with('\n'))
    })
}

/// Time spent applying each `didChange`, and analysing a document (its
/// units judged, diagnostics and regions made), for the replay benchmark.
#[derive(Default)]
struct EditStats {
    micros: Vec<u32>,
    cpu_micros: Vec<u32>,
    /// The edits that took the most CPU time, most first (at most
    /// [`SLOWEST_EDITS`]).
    slowest: Vec<EditRecord>,
    /// The latest edits, oldest first (at most [`RECENT_EDITS`]).
    recent: std::collections::VecDeque<EditRecord>,
    analyses: Vec<u32>,
    /// The CPU time of the same analyses: their own work, whatever else
    /// the machine runs.
    analyses_cpu: Vec<u32>,
    /// Analyses given up for input that arrived while they ran.
    given_up: usize,
}

/// The CPU time this thread has used, in microseconds (0 where it cannot
/// be read).
fn thread_cpu_micros() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if read != 0 {
        return 0;
    }
    (ts.tv_sec as u64).saturating_mul(1_000_000) + ts.tv_nsec as u64 / 1_000
}

/// One `didChange` as `vouch/debug/stats` reports it among the slowest:
/// how long it took (wall and CPU) and what kind of change it was.
#[derive(Debug, Clone, Copy)]
struct EditRecord {
    micros: u32,
    /// The CPU time of the same edit: its own work, whatever else the
    /// machine runs (a shared machine makes the wall time's tail).
    cpu_micros: u32,
    /// Bytes inserted and removed by the batch, and lines it inserted.
    inserted: usize,
    removed: usize,
    lines: usize,
    /// A change in the batch replaced the whole text.
    whole: bool,
    /// Some change was large enough for the no-plugin heuristic.
    large: bool,
    /// Time spent asking whether the text is a version the store knows,
    /// when it was asked.
    version_check_micros: Option<u32>,
}

impl EditRecord {
    fn json(&self) -> Value {
        json!({
            "micros": self.micros, "cpuMicros": self.cpu_micros, "insertedBytes": self.inserted,
            "removedBytes": self.removed, "insertedLines": self.lines, "whole": self.whole, "large": self.large,
            "versionCheckMicros": self.version_check_micros,
        })
    }
}

/// Microseconds since `start`, saturated.
fn micros_since(start: Instant) -> u32 {
    start.elapsed().as_micros().min(u32::MAX as u128) as u32
}

/// How many of the slowest edits `vouch/debug/stats` lists.
const SLOWEST_EDITS: usize = 8;

/// How many of the latest edits `vouch/debug/stats` lists.
const RECENT_EDITS: usize = 16;

impl EditStats {
    fn edit(&mut self, record: EditRecord) {
        self.micros.push(record.micros);
        self.cpu_micros.push(record.cpu_micros);
        // By CPU time: on a shared machine, the slowest by wall time are
        // whichever edits the scheduler paused.
        if self.slowest.len() < SLOWEST_EDITS || self.slowest.last().is_some_and(|s| s.cpu_micros < record.cpu_micros) {
            let at = self.slowest.partition_point(|s| s.cpu_micros >= record.cpu_micros);
            self.slowest.insert(at, record);
            self.slowest.truncate(SLOWEST_EDITS);
        }
        if self.recent.len() == RECENT_EDITS {
            self.recent.pop_front();
        }
        self.recent.push_back(record);
    }
}

/// How many of the latest analysis times `vouch/debug/stats` lists.
const RECENT_ANALYSES: usize = 64;

/// `count`, median, p99 and max of `micros`.
fn percentiles(micros: &[u32]) -> (usize, u32, u32, u32) {
    let mut sorted = micros.to_vec();
    sorted.sort_unstable();
    let pct = |p: f64| sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0);
    (sorted.len(), pct(0.5), pct(0.99), sorted.last().copied().unwrap_or(0))
}

pub struct State {
    out: UnboundedSender<Outgoing>,
    /// The client sent `shutdown`.
    shut_down: bool,
    /// Where the client's lines end, for positions.
    lines: PositionLines,
    encoding: Encoding,
    lens_refresh: bool,
    client: ClientOptions,
    queues: HashMap<PathBuf, QueueSlot>,
    queue_tx: mpsc::Sender<repo_queue::Read>,
    queue_rx: Receiver<repo_queue::Read>,
    /// Requests made here whose reviewers' review budget is to be checked
    /// against the queue once a read begun after them is in.
    budget_watch: Vec<BudgetWatch>,
    docs: HashMap<Uri, OpenDoc>,
    /// History's account of open documents, read off this thread.
    histories: Reads,
    removed: RecentlyRemoved,
    repos: Repos,
    stats: EditStats,
    last_poll: Instant,
    /// Documents holding a tree, most recently analysed last.
    live_trees: Vec<Uri>,
    /// The document being handled: the one a panic is blamed on.
    busy: Option<Uri>,
    faults: Faults,
    /// Documents not tracked (binary, too large) or no longer tracked after
    /// internal errors, until reopened: their changes are ignored without a
    /// warning each.
    dropped: HashSet<Uri>,
    /// `vouch/debug/panic`: where to panic next, and how many times.
    trap: Option<DebugPanicParams>,
    /// The events the client's messages made, counted as they are sent
    /// ([`super::backend::Backend`]), and how many of them this thread has
    /// taken: an analysis the tick runs gives way to the ones not yet taken.
    arrivals: Arrivals,
    taken: u64,
    /// Events put off until their document's history is in, in the order
    /// they came ([`State::admit`]).
    parked: VecDeque<Parked>,
    /// How long the event being handled may wait for history: set for an
    /// event that was parked, whose wait began when it came.
    wait_until: Option<Instant>,
    /// Documents closed lately that held AI text, the latest last.
    closed: VecDeque<Closed>,
}

impl State {
    pub fn new(out: UnboundedSender<Outgoing>, arrivals: Arrivals) -> State {
        let (queue_tx, queue_rx) = mpsc::channel();
        State {
            out,
            shut_down: false,
            lines: PositionLines::Lsp,
            encoding: Encoding::Utf16,
            lens_refresh: false,
            client: ClientOptions::default(),
            queues: HashMap::new(),
            queue_tx,
            queue_rx,
            budget_watch: Vec::new(),
            docs: HashMap::new(),
            histories: Reads::default(),
            removed: RecentlyRemoved::default(),
            repos: Repos::default(),
            stats: EditStats::default(),
            last_poll: Instant::now(),
            live_trees: Vec::new(),
            busy: None,
            faults: Faults::default(),
            dropped: HashSet::new(),
            trap: None,
            arrivals,
            taken: 0,
            parked: VecDeque::new(),
            wait_until: None,
            closed: VecDeque::new(),
        }
    }

    /// Handle events until every sender is gone, or until internal errors
    /// come too fast to recover from.
    pub fn run(mut self, events: Receiver<Event>) -> Ended {
        loop {
            let wait = self.next_wakeup().saturating_duration_since(Instant::now());
            match events.recv_timeout(wait) {
                Ok(event) => {
                    self.taken += 1;
                    if let Some(event) = self.admit(event)
                        && !self.handle_guarded(event, None)
                    {
                        return Ended::GaveUp;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| self.tick()))
                && !self.recover("background work", &recovery::panic_message(&*payload))
            {
                return Ended::GaveUp;
            }
            for (event, until) in self.unpark(false) {
                if !self.handle_guarded(event, until) {
                    return Ended::GaveUp;
                }
            }
        }
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| self.shutdown())) {
            eprintln!("vouch: internal error while writing provenance at exit: {}", recovery::panic_message(&*payload));
        }
        if self.shut_down { Ended::Disconnected } else { Ended::WithoutShutdown }
    }

    /// Handle `event`, which may wait for history until `until` (else for
    /// [`HISTORY_WAIT`]); a panic is recovered from. Whether to go on.
    fn handle_guarded(&mut self, event: Event, until: Option<Instant>) -> bool {
        let kind = event.kind();
        self.wait_until = until;
        let handled = catch_unwind(AssertUnwindSafe(|| self.handle(event)));
        self.wait_until = None;
        match handled {
            Ok(()) => true,
            Err(payload) => self.recover(kind, &recovery::panic_message(&*payload)),
        }
    }

    /// `event`, if it is to be handled now; else it is parked. An event
    /// that needs its document's history waits for it there while the
    /// other documents are served (a code action asked for by hand while a
    /// long history is blamed held up every file); what comes about that
    /// document after it waits behind it, so that each document's events
    /// are handled in the order they came (an answer is about the text it
    /// was asked about).
    fn admit(&mut self, event: Event) -> Option<Event> {
        // Kept as it comes: a close put off behind the document's history
        // would come after the open under its new name.
        if let Event::Close(uri) = &event {
            self.remember_closed(uri);
        }
        let uri = match &event {
            Event::Query { about: About::HistoryAt(path), .. } => self.open_doc_at(path).ok(),
            _ => event.uri().cloned(),
        };
        let Some(uri) = uri else { return Some(event) };
        let needs_history = event.needs_history();
        let behind = self.parked.iter().any(|p| p.uri == uri);
        let waits = behind || (needs_history && self.history_due(&uri));
        if !waits {
            return Some(event);
        }
        self.parked.push_back(Parked { event, uri, needs_history, until: Instant::now() + HISTORY_WAIT });
        None
    }

    /// Whether history's account of `uri` (or what its repository is
    /// judged by, which comes first) is being read: what
    /// [`State::wait_history`] would wait for.
    fn history_due(&self, uri: &Uri) -> bool {
        let root = self.docs.get(uri).and_then(|d| d.repo.as_ref()).map(|(root, _)| root);
        self.histories.is_pending(uri) || root.is_some_and(|root| self.repos.is_judging(root))
    }

    /// The parked events that may be handled now, in the order they came,
    /// each with how long it may still wait for history; every one with
    /// `all`.
    fn unpark(&mut self, all: bool) -> Vec<(Event, Option<Instant>)> {
        if self.parked.is_empty() {
            return Vec::new();
        }
        let now = Instant::now();
        let mut held: Vec<Uri> = Vec::new();
        let mut ready = Vec::new();
        for p in std::mem::take(&mut self.parked) {
            let waits =
                !all && (held.contains(&p.uri) || (now < p.until && p.needs_history && self.history_due(&p.uri)));
            if waits {
                held.push(p.uri.clone());
                self.parked.push_back(p);
            } else {
                ready.push((p.event, Some(p.until)));
            }
        }
        ready
    }

    /// After a panic while handling `kind`: tell the user (once), blame the
    /// document being handled, and rebuild every document from what the
    /// client sent. Whether to go on.
    fn recover(&mut self, kind: &str, message: &str) -> bool {
        let culprit = self.busy.take();
        let what = match &culprit {
            Some(uri) => format!("{kind} for {}", uri.as_str()),
            None => kind.to_string(),
        };
        let storm = self.faults.count(Instant::now());
        self.log(MessageType::ERROR, format!("vouch: internal error while handling {what}: {message}"));
        if storm {
            self.show(
                MessageType::ERROR,
                format!(
                    "vouch: {} internal errors in {} s (the last while handling {what}: {message}); the language server \
                     stops. See the server's log; your editor may start it again.",
                    recovery::STORM,
                    recovery::STORM_WINDOW.as_secs()
                ),
            );
            return false;
        }
        if !self.faults.told {
            self.faults.told = true;
            self.show(
                MessageType::ERROR,
                format!(
                    "vouch: internal error while handling {what} ({message}). vouch rebuilt its documents from what \
                     the editor sent and keeps running; further errors go to the log. Please report it with the log."
                ),
            );
        }
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| self.rebuild(culprit.as_ref()))) {
            // Not even that worked: start from nothing rather than stop.
            let message = recovery::panic_message(&*payload);
            self.log(MessageType::ERROR, format!("vouch: internal error while rebuilding the documents: {message}"));
            let uris: Vec<Uri> = self.docs.keys().cloned().collect();
            for uri in uris {
                self.forget(&uri, "after an internal error");
            }
            self.docs.clear();
        }
        true
    }

    /// Rebuild every document, and what the server derived from them, from
    /// what the client sent; stop tracking a document that keeps failing.
    fn rebuild(&mut self, culprit: Option<&Uri>) {
        self.removed = RecentlyRemoved::default();
        self.live_trees.clear();
        self.repos = Repos::default();
        let enc = self.encoding;
        let mut old: Vec<OpenDoc> = self.docs.drain().map(|(_, d)| d).collect();
        old.sort_by(|a, b| a.uri.as_str().cmp(b.uri.as_str()));
        for mut d in old {
            let uri = d.uri.clone();
            if culprit == Some(&uri) {
                d.faults += 1;
            }
            if d.faults >= recovery::DOCUMENT_FAULTS {
                self.docs.insert(uri.clone(), d);
                self.forget(&uri, "after repeated internal errors while handling it");
                continue;
            }
            let repos = &mut self.repos;
            let lines = d.doc.text().position_lines();
            match catch_unwind(AssertUnwindSafe(|| rebuild_document(d, enc, lines, repos))) {
                Ok(Some(d)) => {
                    self.docs.insert(uri, d);
                }
                Ok(None) => self.forget(&uri, "after an internal error"),
                Err(payload) => {
                    let message = recovery::panic_message(&*payload);
                    self.log(MessageType::ERROR, format!("vouch: could not rebuild {}: {message}", uri.as_str()));
                    self.forget(&uri, "after an internal error");
                }
            }
        }
        self.repos.take_messages();
    }

    /// Stop tracking `uri` until the client opens it again, and say so.
    fn forget(&mut self, uri: &Uri, why: &str) {
        self.docs.remove(uri);
        self.histories.forget(uri);
        self.live_trees.retain(|u| u != uri);
        self.dropped.insert(uri.clone());
        let _ = self.out.send(Outgoing::Diagnostics { uri: uri.clone(), version: None, diagnostics: Vec::new() });
        self.show(
            MessageType::WARNING,
            format!("vouch: stopped tracking {} {why}; close and reopen it to track it again", uri.as_str()),
        );
    }

    /// `vouch/debug/panic`: whether to panic now at `on` (for `uri`).
    fn spring(&mut self, on: PanicOn, uri: Option<&Uri>) -> bool {
        let Some(trap) = &mut self.trap else { return false };
        if trap.on != on || trap.uri.as_ref().is_some_and(|u| Some(u) != uri) {
            return false;
        }
        trap.times = trap.times.saturating_sub(1);
        if trap.times == 0 {
            self.trap = None;
        }
        true
    }

    /// Run before every request: `vouch/debug/panic` may ask for a panic.
    pub fn before_request(&mut self) {
        if self.spring(PanicOn::Request, None) {
            panic!("vouch/debug/panic: a panic while answering a request");
        }
    }

    fn handle(&mut self, event: Event) {
        // A request is not blamed on its document (a panic while answering
        // it rebuilds every document): a document is dropped after
        // repeated faults only for what the client sent of it.
        self.busy = match &event {
            Event::Query { .. } => None,
            _ => event.uri().cloned(),
        };
        match event {
            Event::Initialize { encoding, lines, lens_refresh, options, folders } => {
                self.encoding = encoding;
                self.lines = lines;
                self.lens_refresh = lens_refresh;
                self.client = options;
                for folder in folders {
                    if let Some(root) = self.repos.locate_folder(&folder) {
                        self.queue_stale(&root);
                    }
                }
                for message in self.repos.take_messages() {
                    self.show(MessageType::WARNING, format!("vouch: {message}"));
                }
            }
            Event::Initialized => {}
            Event::Open(item) => self.open(item),
            Event::Change(params) => self.change(params),
            Event::Save(uri) => self.save(&uri),
            Event::Close(uri) => self.close(&uri),
            Event::AiEdit(params) => self.ai_edit(params),
            Event::HumanPaste(params) => self.human_paste(params),
            Event::Invalid(message) => self.log(MessageType::ERROR, message),
            Event::FilesChanged => self.poll_store(),
            Event::Query { run, .. } => run(self),
            Event::DebugPanic(params) => {
                if params.on == PanicOn::Now {
                    panic!("vouch/debug/panic: a panic while handling a notification");
                }
                if params.on == PanicOn::Hang {
                    // As a long analysis would: it gives way once the
                    // client is gone.
                    let until = Instant::now() + Duration::from_secs(60);
                    while Instant::now() < until && !self.arrivals.is_closed() {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                } else {
                    self.trap = Some(params);
                }
            }
        }
        self.busy = None;
    }

    fn log(&self, kind: MessageType, message: String) {
        log(&self.out, kind, message);
    }

    fn show(&self, kind: MessageType, message: String) {
        let _ = self.out.send(Outgoing::Show(kind, message));
    }

    fn next_wakeup(&self) -> Instant {
        let mut at = self.last_poll + POLL;
        if self.queues.values().any(|q| q.reading || q.stale) || self.histories.any() || self.repos.any_judging() {
            at = at.min(Instant::now() + QUEUE_POLL);
        }
        let held_back = |d: &OpenDoc| {
            d.waiting.is_some() || d.repo.as_ref().is_some_and(|(root, _)| self.repos.judges_without_own_records(root))
        };
        if self.repos.any_judging() && self.docs.values().any(held_back) {
            at = at.min(Instant::now() + JUDGING_POLL);
        }
        // Parked events go once what they wait for is in (looked for as
        // above), or once they have waited long enough.
        if let Some(until) = self.parked.iter().map(|p| p.until).min() {
            at = at.min(until).min(Instant::now() + QUEUE_POLL);
        }
        // A document waiting for its repository's judging is done nothing
        // with until it is in.
        for d in self.docs.values().filter(|d| d.waiting.is_none()) {
            if let Some(changed) = d.unrecorded {
                at = at.min(changed + IDLE_RECORD);
            }
            if let Some(dirty) = d.dirty {
                at = at.min(dirty.due());
            }
        }
        at
    }

    /// Analyse documents whose debounce ran out; poll the store now and then.
    fn tick(&mut self) {
        self.judging_reads();
        while let Some((id, read)) = self.histories.try_take() {
            self.history_read(id, read);
        }
        let now = Instant::now();
        // A document whose history is being read is analysed once it is in
        // (or after HISTORY_PATIENCE without it).
        let waits = |d: &OpenDoc| self.histories.since(&d.uri).is_some_and(|since| now < since + HISTORY_PATIENCE);
        let due: Vec<Uri> = self
            .docs
            .values()
            .filter(|d| d.dirty.is_some_and(|dirty| now >= dirty.due()))
            .filter(|d| !waits(d))
            .map(|d| d.uri.clone())
            .collect();
        self.busy = None;
        for uri in due {
            // Steady typing in a large file the AI wrote would otherwise wait
            // behind each analysis (tens of milliseconds for 20,000 lines):
            // the next keystroke is handled first, and the document analysed
            // once it is quiet.
            let gives_way = self.docs.get(&uri).and_then(|d| d.dirty).is_some_and(|dirty| dirty.may_give_way(now));
            let watch = gives_way.then(|| self.arrivals.watch(self.taken));
            self.analyse_watching(&uri, watch);
        }
        let idle: Vec<Uri> = self
            .docs
            .values()
            .filter(|d| {
                d.unrecorded.is_some_and(|at| now >= at + IDLE_RECORD)
                    && d.waiting.is_none()
                    && !self.histories.is_pending(&d.uri)
            })
            .map(|d| d.uri.clone())
            .collect();
        for uri in idle {
            self.busy = Some(uri.clone());
            self.record(&uri, None, None);
        }
        self.busy = None;
        if now >= self.last_poll + POLL {
            self.poll_store();
        }
        self.queue_reads();
    }

    /// Take the queues read in the background, and start reading those
    /// that are stale (one read per repository at a time).
    fn queue_reads(&mut self) {
        while let Ok(read) = self.queue_rx.try_recv() {
            self.queue_read(read);
        }
        for (root, slot) in &mut self.queues {
            // Not before the repository's first judging read is in: on a
            // fresh clone both would walk the records' history and the
            // range at once, each for itself; after it, the queue finds
            // them kept.
            if slot.stale && !slot.reading && self.repos.has_judged(root) {
                slot.stale = false;
                slot.reading = true;
                slot.started = Some(Instant::now());
                repo_queue::spawn(root.clone(), (self.encoding, self.lines), self.queue_tx.clone());
            }
        }
    }

    /// Records, the policy or the identity of `root` changed: its queue is
    /// read again.
    fn queue_stale(&mut self, root: &std::path::Path) {
        self.queues.entry(root.to_path_buf()).or_default().stale = true;
    }

    fn queue_read(&mut self, read: repo_queue::Read) {
        let slot = self.queues.entry(read.root.clone()).or_default();
        slot.reading = false;
        let queue = match read.result {
            Ok(queue) => {
                slot.failed = None;
                queue
            }
            Err(e) => {
                if slot.failed.as_deref() != Some(e.as_str()) {
                    slot.failed = Some(e.clone());
                    let message = format!("vouch: cannot read the review queue of {}: {e}", read.root.display());
                    let _ = self.out.send(Outgoing::Show(MessageType::WARNING, message));
                }
                return;
            }
        };
        for problem in &queue.problems {
            log(&self.out, MessageType::WARNING, format!("vouch: review queue: {problem}"));
        }
        // Said only when it changed: a client asks again on the notice,
        // and asking may start a read.
        let changed = slot.current.as_ref().is_none_or(|old| !same_queue(old, &queue));
        slot.read_at = slot.started;
        slot.took = slot.started.map_or(Duration::ZERO, |at| at.elapsed());
        let queue = std::sync::Arc::new(queue);
        slot.current = Some(queue.clone());
        let began = slot.started;
        self.tell_budget(&read.root, began, &queue);
        self.publish_queue(&read.root);
        if changed {
            let _ = self.out.send(Outgoing::PendingChanged);
        }
    }

    /// The budget notices of the requests in `root` made before the queue
    /// read that began at `began` and gave `queue`.
    fn tell_budget(&mut self, root: &std::path::Path, began: Option<Instant>, queue: &RepoQueue) {
        let Some(began) = began else { return };
        let (due, waiting): (Vec<BudgetWatch>, Vec<BudgetWatch>) =
            std::mem::take(&mut self.budget_watch).into_iter().partition(|w| w.root == root && w.asked <= began);
        self.budget_watch = waiting;
        for watch in due {
            for notice in self.repos.budget_notices(root, queue, &watch.reviewers) {
                self.show(MessageType::WARNING, format!("vouch: {notice}"));
            }
        }
    }

    /// Diagnostics for the queue's units in files that are not open (an
    /// open file's come from its own analysis); files that left the queue
    /// are cleared. A file is open when a document names its path, however
    /// the client spells the URI (Neovim writes `+`, `[` and lowercase hex
    /// where the server writes `%2B`, `%5B` and uppercase; a workspace
    /// reached through a link has another path): the queue's URIs are
    /// spelled from the repository's real path.
    fn publish_queue(&mut self, root: &std::path::Path) {
        let open: HashSet<PathBuf> = self
            .docs
            .keys()
            .filter_map(super::convert::file_path)
            .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
            .collect();
        let is_open = |uri: &Uri| {
            self.docs.contains_key(uri) || super::convert::file_path(uri).is_some_and(|p| open.contains(&p))
        };
        let Some(slot) = self.queues.get_mut(root) else { return };
        let mut by_uri: HashMap<Uri, Vec<Diagnostic>> = HashMap::new();
        if self.client.queue_diagnostics {
            for unit in slot.current.iter().flat_map(|q| q.units.iter()) {
                if !is_open(&unit.uri) {
                    by_uri.entry(unit.uri.clone()).or_default().push(queue_diagnostic(unit));
                }
            }
        }
        let published: HashSet<Uri> = by_uri.keys().cloned().collect();
        for gone in slot.published.difference(&published) {
            if !self.docs.contains_key(gone) {
                let _ =
                    self.out.send(Outgoing::Diagnostics { uri: gone.clone(), version: None, diagnostics: Vec::new() });
            }
        }
        slot.published = published;
        for (uri, diagnostics) in by_uri {
            let _ = self.out.send(Outgoing::Diagnostics { uri, version: None, diagnostics });
        }
    }

    fn open(&mut self, item: TextDocumentItem) {
        let path = super::convert::file_path(&item.uri);
        let language = Language::from_language_id(&item.language_id)
            .or_else(|| path.as_deref().map(Language::from_path))
            .unwrap_or(Language::Text);
        if item.text.as_bytes().contains(&0) {
            self.log(MessageType::INFO, format!("vouch: {} looks binary; not tracked", item.uri.as_str()));
            self.dropped.insert(item.uri);
            return;
        }
        // Room to type into, taken now: without it the first keystroke in
        // a large file grows the text, copying all of it into fresh pages
        // (half a millisecond for 500 KB in the replay bench).
        let mut text = item.text;
        text.reserve(text.len() / 4 + 4096);
        let lines = self.lines.of_document(&text);
        let doc = match Document::with_parsing(language, text, Parsing::OnDemand) {
            Ok(mut doc) => {
                doc.set_position_lines(lines);
                doc
            }
            Err(e) => {
                self.log(MessageType::WARNING, format!("vouch: {}: {e}; not tracked", item.uri.as_str()));
                self.dropped.insert(item.uri);
                return;
            }
        };
        let repo = path.as_deref().and_then(|p| self.repos.locate(p));
        let now = Instant::now();
        let uri = item.uri.clone();
        let disk = DiskStamp::of(repo.as_ref());
        let ready = repo.as_ref().is_none_or(|(root, _)| self.repos.is_ready(root));
        let waiting = (!ready).then(|| Waiting::now(doc.text().as_str(), item.version));
        self.dropped.remove(&uri);
        self.histories.forget(&uri);
        self.docs.insert(
            item.uri.clone(),
            OpenDoc {
                uri: item.uri,
                version: item.version,
                doc,
                repo: repo.clone(),
                analysis: Vec::new(),
                unshown: Vec::new(),
                units_stale: true,
                dirty: Some(Dirty::since(now)),
                unrecorded: None,
                last_batch: None,
                faults: 0,
                versions: Versions::default(),
                disk,
                disk_moved: false,
                analysed_cpu_micros: 0,
                analysed_version: None,
                lenses_lag: false,
                pending_lag: false,
                waiting,
            },
        );
        if let Some((root, _)) = &repo {
            // Else once its repository's judging is read (`judging_reads`).
            if ready {
                self.read_store(&uri);
            }
            self.take_closed(&uri, root);
            self.repos.mark_seen(root);
            match self.queues.get(root) {
                // Its queue diagnostics give way to its own: they went under
                // its URI, which its own replace, unless the queue spells
                // the URI otherwise.
                Some(slot) => {
                    let real = path.as_deref().map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
                    let elsewhere = slot.published.iter().any(|u| {
                        *u != uri && super::convert::file_path(u).is_some_and(|p| real.as_deref() == Some(p.as_path()))
                    });
                    if elsewhere {
                        self.publish_queue(&root.clone());
                    }
                }
                None => self.queue_stale(&root.clone()),
            }
        }
        for message in self.repos.take_messages() {
            self.show(MessageType::WARNING, format!("vouch: {message}"));
        }
        // Diagnostics on open come at once, not after the debounce (or once
        // history's account of the file is in).
        if !self.histories.is_pending(&uri) {
            self.analyse(&uri);
        }
    }

    fn change(&mut self, params: DidChangeTextDocumentParams) {
        let started = Instant::now();
        let cpu = thread_cpu_micros();
        let uri = params.text_document.uri;
        let trapped = self.trap.is_some() && self.spring(PanicOn::Change, Some(&uri));
        let Some(d) = self.docs.get_mut(&uri) else {
            if self.dropped.contains(&uri) {
                return;
            }
            log(
                &self.out,
                MessageType::WARNING,
                format!("vouch: didChange for {} which is not open; ignored", uri.as_str()),
            );
            return;
        };
        if params.text_document.version <= d.version {
            log(
                &self.out,
                MessageType::WARNING,
                format!(
                    "vouch: didChange for {} has version {} after {}; applied in the order received",
                    uri.as_str(),
                    params.text_document.version,
                    d.version
                ),
            );
        }
        // Kept before it is applied: if applying it fails half way, the
        // document is rebuilt from the text before it and the whole batch.
        d.doc.begin_batch();
        let (_, batch) = d.last_batch.insert((params.text_document.version, params.content_changes));
        let changes: Vec<Change> = batch
            .iter()
            .map(|c| Change {
                range: c.range.map(|r| (convert::position(r.start), convert::position(r.end))),
                text: &c.text,
            })
            .collect();
        let whole = batch.iter().any(|c| c.range.is_none());
        let by_lines = batch.iter().any(replaces_whole_lines);
        let lines = batch.iter().map(|c| c.text.matches('\n').count()).sum();
        let typed = Attribution::typed();
        if trapped {
            let _ = d.doc.apply(&changes[..changes.len().min(1)], self.encoding, &typed, &mut self.removed);
            panic!("vouch/debug/panic: a panic in the middle of a didChange batch");
        }
        let result = d.doc.apply(&changes, self.encoding, &typed, &mut self.removed);
        d.versions.push(d.version, params.text_document.version, &d.doc);
        d.version = params.text_document.version;
        mark_dirty(d);
        let applied = match result {
            Ok(applied) => applied,
            Err(e) => {
                log(
                    &self.out,
                    MessageType::ERROR,
                    format!("vouch: {}: {e}; the rest of the change was dropped", uri.as_str()),
                );
                return;
            }
        };
        if applied.iter().any(|a| !a.clamps.is_empty()) {
            let clamps: Vec<_> = applied.iter().flat_map(|a| a.clamps.iter()).collect();
            log(&self.out, MessageType::WARNING, format!("vouch: {}: positions clamped: {clamps:?}", uri.as_str()));
        }
        // The no-plugin heuristic: one change inserting a large block. Each
        // change's range is where its text is after the whole batch.
        let thresholds = self.repos.thresholds(d.repo.as_ref().map(|(root, _)| root));
        let candidates: Vec<Range<usize>> = applied
            .iter()
            .filter(|a| !a.recalled && !a.restores_removed && !a.reshapes)
            .map(|a| a.inserted.clone())
            .filter(|r| {
                let Some(text) = d.doc.text().as_str().get(r.clone()) else { return false };
                text.chars().count() >= thresholds.min_chars && line_span(text) >= thresholds.min_lines
            })
            .collect();
        // A reload: the editor took up a version of the file that another
        // writer (an agent, a stash pop, a checkout) made and may have
        // recorded. Looked for after a whole-text change, a large
        // insertion, or the first edit that gives the text the length of a
        // file that changed on disk: as the last poll saw it, or, for a
        // change of whole lines (how editors reload a file, which may come
        // before the next poll), as it is now (no system call on an
        // ordinary keystroke).
        if !d.disk_moved && by_lines {
            let now = DiskStamp::of(d.repo.as_ref());
            if now != d.disk {
                d.disk = now;
                d.disk_moved = true;
            }
        }
        let disk_moved = d.disk_moved && d.disk.is_some_and(|s| s.len == d.doc.text().len() as u64);
        if disk_moved {
            d.disk_moved = false;
        }
        let check = whole || disk_moved || !candidates.is_empty();
        let check_started = Instant::now();
        let known = check && self.repos.is_known_version(d.repo.as_ref(), d.doc.text().as_str());
        let version_check_micros = check.then(|| micros_since(check_started));
        let record = EditRecord {
            micros: 0,
            cpu_micros: 0,
            inserted: applied.iter().map(|a| a.inserted.len()).sum(),
            removed: applied.iter().map(|a| a.removed).sum(),
            lines,
            whole,
            large: !candidates.is_empty(),
            version_check_micros,
        };
        // A copy of another open document whole: VS Code's Save As opens
        // the new file empty and sends its text as one insertion, with no
        // report. It is that document's text, with its provenance.
        let copied = match candidates.is_empty() {
            true => None,
            false => {
                let text = d.doc.text().as_str().to_owned();
                self.docs.iter().find(|(u, o)| **u != uri && o.doc.text().as_str() == text).map(|(_, o)| {
                    o.doc
                        .provenance()
                        .to_vec()
                        .into_iter()
                        .filter(|(_, a)| a.origin != Origin::Unknown)
                        .collect::<Vec<_>>()
                })
            }
        };
        let Some(d) = self.docs.get_mut(&uri) else { return };
        if let Some(spans) = copied {
            for (range, attr) in spans {
                d.doc.set_attribution(range, &attr);
            }
        } else if !candidates.is_empty() && !known {
            let attr = Attribution::ai(
                AiSource { tool: "unknown".into(), model: None, session: None, kind: None },
                Evidence::Heuristic,
                None,
            );
            for range in candidates {
                // Only typed text becomes suspected; recalled AI stays as it is.
                let typed_parts: Vec<Range<usize>> = d
                    .doc
                    .provenance()
                    .spans_in(range)
                    .filter(|s| d.doc.provenance().attribution(s.attr).origin == Origin::Human)
                    .map(|s| s.range)
                    .collect();
                for part in typed_parts {
                    d.doc.set_attribution(part, &attr);
                }
            }
            // What an agent recorded of the same text outranks the guess at
            // once: a mark of the person's over it must not be taken against
            // a guess (an agent's lines merged into an edited buffer).
            self.take_up_journal(&uri);
        }
        if known {
            // Records the store got since the last poll apply to this text
            // now, and those it already had take back what the editor's
            // default "human" covered (issue 13, finding 5).
            self.poll_store();
            self.read_store(&uri);
        }
        let cpu_micros = thread_cpu_micros().saturating_sub(cpu).min(u32::MAX as u64) as u32;
        self.stats.edit(EditRecord { micros: micros_since(started), cpu_micros, ..record });
    }

    /// Take up the repositories' judging reads that came in
    /// ([`crate::lsp::review::Judging`]): the documents of a repository
    /// judged anew are analysed again, and those that waited for its first
    /// read are given the store's account (their history read starts) and
    /// analysed.
    fn judging_reads(&mut self) {
        let rejudged = self.repos.take_judged();
        for d in self.docs.values_mut() {
            if d.waiting.is_none() && d.repo.as_ref().is_some_and(|(root, _)| rejudged.contains(root)) {
                mark_for_review(d);
            }
        }
        let waiting: Vec<Uri> = self
            .docs
            .values()
            .filter(|d| {
                d.waiting.is_some()
                    && d.repo.as_ref().is_some_and(|(root, _)| rejudged.contains(root) || self.repos.is_ready(root))
            })
            .map(|d| d.uri.clone())
            .collect();
        for uri in &waiting {
            let Some(opened) = self.docs.get_mut(uri).and_then(|d| d.waiting.take()) else { continue };
            self.read_store_of(uri, Some(opened));
            if !self.histories.is_pending(uri) {
                self.analyse(uri);
            }
        }
        for message in self.repos.take_messages() {
            self.show(MessageType::WARNING, format!("vouch: {message}"));
        }
        if !rejudged.is_empty() && self.lens_refresh {
            let _ = self.out.send(Outgoing::RefreshCodeLens);
        }
    }

    /// Wait until the judging read under way in `root` (in every
    /// repository, with `None`) is in, until `deadline`, and take up what
    /// came in. A read that is late is said once; what is known is used
    /// meanwhile ([`Repos::wait_judged`]).
    fn wait_judging(&mut self, root: Option<&std::path::Path>, deadline: Instant) {
        if !self.repos.wait_judged(root, deadline) {
            let which = root.map_or_else(|| "the repositories".to_string(), |r| r.display().to_string());
            let message = format!(
                "vouch: the records and range of {which} took longer than {} s to read; going on without them",
                HISTORY_WAIT.as_secs()
            );
            self.show(MessageType::WARNING, message);
        }
        self.judging_reads();
    }

    /// Give `uri`'s text what the store (history and journal) says of it
    /// wherever the document holds only an editor's default ([`State::adopt`]):
    /// the journal's account at once, history's at once if it is kept, else
    /// when it has been read off this thread ([`super::history_reads`]).
    fn read_store(&mut self, uri: &Uri) {
        self.read_store_of(uri, None);
    }

    /// [`State::read_store`] for `opened`, a text the document held before
    /// the edits since; `None`: its text now. The store's account of that
    /// text is carried onto the text now where it is unchanged, as
    /// history's is when it comes in.
    fn read_store_of(&mut self, uri: &Uri, opened: Option<Waiting>) {
        let Some(d) = self.docs.get(uri) else { return };
        let Some((root, rel)) = d.repo.clone() else { return };
        let (language, version) = (d.doc.language(), opened.as_ref().map_or(d.version, |w| w.version));
        let text = opened.as_ref().map_or(d.doc.text().as_str(), |w| w.text.as_str());
        let own_since = opened.as_ref().map(|w| w.since);
        let (file, view) = match self.repos.view_before_own(&root, &rel, text, own_since) {
            Ok(Some(read)) => read,
            Ok(None) => return,
            Err(e) => {
                self.show(MessageType::WARNING, format!("vouch: {e:#}"));
                return;
            }
        };
        let then = file.content.text().unwrap_or_default();
        match self.repos.history(&root, &file) {
            History::Kept(history) => {
                let spans = crate::signoff::overlay(file.content.len(), &history, &view);
                self.adopt_as_of(uri, then, &spans);
            }
            History::Read(mut job) => {
                job.parse_too(language, view.iter().any(|(_, a)| a.is_ai()));
                self.adopt_as_of(uri, then, &view);
                self.histories.start(uri.clone(), version, view, job);
            }
        }
        for message in self.repos.take_messages() {
            self.show(MessageType::WARNING, format!("vouch: {message}"));
        }
    }

    /// [`State::adopt`] of `spans` of `then`, the document's text or an
    /// earlier one: carried onto its text now where that is unchanged.
    fn adopt_as_of(&mut self, uri: &Uri, then: &str, spans: &[(Range<usize>, Attribution)]) {
        let Some(d) = self.docs.get(uri) else { return };
        let now = d.doc.text().as_str();
        if now == then {
            self.adopt(uri, spans);
        } else {
            let carried = crate::provenance::carry_unchanged_until(then, spans, now, Instant::now() + CARRY_DIFF);
            self.adopt(uri, &carried);
        }
    }

    /// History's account of a document came in ([`super::history_reads`]):
    /// laid under the journal's, carried onto the text as it is now (only
    /// where the text is unchanged since the read began) and adopted.
    fn history_read(&mut self, id: u64, outcome: history_reads::Outcome) {
        if let Ok(read) = &outcome {
            self.repos.keep_history(read);
            for message in self.repos.take_messages() {
                self.show(MessageType::WARNING, format!("vouch: {message}"));
            }
        }
        let Some((uri, pending)) = self.histories.finish(id) else { return };
        let Some(d) = self.docs.get_mut(&uri) else { return };
        match outcome {
            Ok(HistoryRead { result: Ok(history), file, tree, .. }) => {
                let then = file.content.text().unwrap_or_default();
                let spans = crate::signoff::overlay(then.len(), &history, &pending.view);
                let now = d.doc.text().as_str();
                let spans = if now == then {
                    // The first parse, done off this thread too.
                    if let Some(tree) = tree {
                        d.doc.adopt_tree(tree);
                    }
                    spans
                } else {
                    crate::provenance::carry_unchanged_until(then, &spans, now, Instant::now() + CARRY_DIFF)
                };
                self.adopt(&uri, &spans);
            }
            Ok(HistoryRead { result: Err(e), .. }) => self.show(MessageType::WARNING, format!("vouch: {e:#}")),
            Err(panic) => self.show(
                MessageType::WARNING,
                format!("vouch: internal error while reading the history of {}: {panic}", uri.as_str()),
            ),
        }
        // Diagnostics at once for the version the read was for (an opened
        // document waits for them); after later edits, when their debounce
        // runs out.
        match self.docs.get_mut(&uri) {
            Some(d) if d.version == pending.version => self.analyse(&uri),
            Some(d) => mark_dirty(d),
            None => {}
        }
        // The lenses the client showed were of the units without history.
        if self.lens_refresh {
            let _ = self.out.send(Outgoing::RefreshCodeLens);
        }
    }

    /// Wait for history's account of `uri` (of every document, with
    /// `None`) if it is being read, so that what follows sees it; after
    /// [`HISTORY_WAIT`], go on without it (and say so).
    fn wait_history(&mut self, uri: Option<&Uri>) {
        let deadline = self.wait_until.unwrap_or_else(|| Instant::now() + HISTORY_WAIT);
        // First what the repository is judged by: the history read of a
        // document that waited for it starts once it is in.
        let root = uri.and_then(|u| self.docs.get(u)).and_then(|d| d.repo.as_ref()).map(|(root, _)| root.clone());
        if (uri.is_none() || root.is_some()) && self.repos.any_judging() {
            self.wait_judging(root.as_deref(), deadline);
        }
        while self.histories.pending_for(uri) {
            match self.histories.wait(deadline) {
                Some((id, outcome)) => self.history_read(id, outcome),
                None => {
                    for late in self.histories.give_up(uri) {
                        let message = format!(
                            "vouch: the history of {} took longer than {} s to read; shown without it",
                            late.as_str(),
                            HISTORY_WAIT.as_secs()
                        );
                        self.show(MessageType::WARNING, message);
                    }
                    return;
                }
            }
        }
    }

    /// Give `uri`'s text `spans` wherever the document holds only an
    /// editor's default: text typed, as every edit the client sends is
    /// taken, or unknown. For text equal to a version the store knows, the
    /// store's account is the version's attribution. Never overrides AI
    /// text or a person's mark, but for the editor's own guess (a large
    /// insertion suspected of being pasted), which a record of AI outranks.
    fn adopt(&mut self, uri: &Uri, spans: &[(Range<usize>, Attribution)]) {
        let Some(d) = self.docs.get_mut(uri) else { return };
        let typed = Attribution::typed();
        let mut adopted = false;
        for (range, attr) in spans.iter().filter(|(_, a)| a.origin != Origin::Unknown) {
            let map = d.doc.provenance();
            let defaults: Vec<Range<usize>> = map
                .spans_in(range.clone())
                .filter(|s| {
                    let held = map.attribution(s.attr);
                    let outranks = held.is_suspected() && attr.is_ai() && !attr.is_suspected();
                    (*held == typed || held.origin == Origin::Unknown || outranks) && held != attr
                })
                .map(|s| s.range)
                .collect();
            for part in defaults {
                d.doc.set_attribution(part, attr);
                adopted = true;
            }
        }
        if adopted {
            mark_dirty(d);
        }
    }

    /// Keep the AI account of `uri`, which the client closes, for a
    /// document opened with its text ([`State::take_closed`]).
    fn remember_closed(&mut self, uri: &Uri) {
        let Some(d) = self.docs.get(uri) else { return };
        let Some((root, rel)) = &d.repo else { return };
        let map = d.doc.provenance();
        let spans: Vec<(Range<usize>, Attribution)> = map
            .spans()
            .filter(|s| map.attribution(s.attr).is_ai())
            .map(|s| (s.range, map.attribution(s.attr).clone()))
            .collect();
        if spans.is_empty() {
            return;
        }
        if self.closed.len() == CLOSED_KEPT {
            self.closed.pop_front();
        }
        let text = d.doc.text().as_str().to_string();
        self.closed.push_back(Closed { root: root.clone(), path: root.join(rel), text, spans, at: Instant::now() });
    }

    /// Give `uri`, just opened in `root`, the account of a document of the
    /// same repository closed lately with its very text whose file is gone
    /// (a rename while open; not another file that happens to hold the
    /// same text), where it holds only an editor's default; written down
    /// under its own name.
    fn take_closed(&mut self, uri: &Uri, root: &std::path::Path) {
        self.closed.retain(|c| c.at.elapsed() < CLOSED_FOR);
        let Some(d) = self.docs.get(uri) else { return };
        let text = d.doc.text().as_str();
        let renamed = |c: &Closed| c.root == root && c.text == text && std::fs::symlink_metadata(&c.path).is_err();
        let Some(i) = self.closed.iter().rposition(renamed) else { return };
        let Some(closed) = self.closed.remove(i) else { return };
        self.adopt(uri, &closed.spans);
        if let Some(d) = self.docs.get_mut(uri) {
            d.unrecorded.get_or_insert(Instant::now());
        }
    }

    fn ai_edit(&mut self, params: AiEditParams) {
        let uri = &params.text_document.uri;
        let Some(d) = self.docs.get_mut(uri) else {
            log(
                &self.out,
                MessageType::WARNING,
                format!("vouch: vouch/aiEdit for {} which is not open; ignored", uri.as_str()),
            );
            return;
        };
        let lines = d.doc.text().position_lines();
        let (range, clamps) = match d.versions.then(&d.doc, params.text_document.version, d.version, lines) {
            Some(then) => then.range(params.range, self.encoding),
            None => {
                if params.text_document.version != d.version {
                    log(
                        &self.out,
                        MessageType::WARNING,
                        format!(
                            "vouch: vouch/aiEdit names version {} of {} but the server has version {}, and not the \
                             edits since; applied to the current text",
                            params.text_document.version,
                            uri.as_str(),
                            d.version
                        ),
                    );
                }
                convert::byte_range(d.doc.text(), params.range, self.encoding)
            }
        };
        if !clamps.is_empty() {
            log(&self.out, MessageType::WARNING, format!("vouch: vouch/aiEdit range clamped: {clamps:?}"));
        }
        let identity = self.repos.identity(d.repo.as_ref().map(|(root, _)| root));
        let source = AiSource { tool: params.tool, model: params.model, session: params.session, kind: params.kind };
        let attr = Attribution::ai(source, Evidence::Editor, identity);
        d.doc.set_attribution(range.clone(), &attr);
        mark_dirty(d);
        self.record(uri, Some(range), None);
    }

    fn human_paste(&mut self, params: HumanPasteParams) {
        let uri = &params.text_document.uri;
        let Some(d) = self.docs.get_mut(uri) else { return };
        let lines = d.doc.text().position_lines();
        let (range, _) = match d.versions.then(&d.doc, params.text_document.version, d.version, lines) {
            Some(then) => then.range(params.range, self.encoding),
            None => convert::byte_range(d.doc.text(), params.range, self.encoding),
        };
        // A paste is the user's text: only what the heuristic suspected is
        // undone; AI text taken back from a cut stays AI. The plugin reads
        // the clipboard after the change, so a save may have recorded the
        // suspicion already: the person's word is recorded too, or the
        // journal's account would make it suspected again.
        let suspected: Vec<Range<usize>> = d
            .doc
            .provenance()
            .spans_in(range.clone())
            .filter(|s| d.doc.provenance().attribution(s.attr).is_suspected())
            .map(|s| s.range)
            .collect();
        if suspected.is_empty() {
            return;
        }
        for part in suspected {
            d.doc.set_attribution(part, &Attribution::typed());
        }
        mark_dirty(d);
        self.record(uri, Some(range), None);
    }

    fn save(&mut self, uri: &Uri) {
        self.wait_history(Some(uri));
        self.record(uri, None, None);
        if let Some(d) = self.docs.get_mut(uri) {
            // The editor wrote the file: its text is the document's.
            d.disk = DiskStamp::of(d.repo.as_ref());
            d.disk_moved = false;
            mark_dirty(d);
            // The queue places units in the files on disk, which just changed.
            if let Some((root, _)) = d.repo.clone() {
                self.queue_stale(&root);
            }
        }
    }

    fn close(&mut self, uri: &Uri) {
        self.wait_history(Some(uri));
        // Closed with text the disk does not have: its changes are
        // discarded, and the disk's version is what stays (nothing of it is
        // recorded when it is gone or not UTF-8).
        let discarded = self.docs.get_mut(uri).and_then(|d| {
            let (root, rel) = d.repo.clone()?;
            let disk = std::fs::read(root.join(&rel)).ok()?;
            (disk != d.doc.text().as_str().as_bytes()).then(|| {
                d.unrecorded = None;
                (root, rel, String::from_utf8(disk).ok())
            })
        });
        match discarded {
            Some((_, _, None)) => {}
            Some((root, rel, Some(disk))) => {
                // Written from all the journal holds (an agent's record of
                // the disk's version, made a moment ago, included), as
                // `record` writes a snapshot.
                self.poll_store();
                if let Err(e) = self.repos.record_disk(&root, &rel, &disk) {
                    let _ = self.out.send(Outgoing::Show(
                        MessageType::ERROR,
                        format!("vouch: could not record provenance of {rel}: {e:#}"),
                    ));
                }
            }
            None => self.record(uri, None, None),
        }
        self.live_trees.retain(|u| u != uri);
        if let Some(d) = self.docs.remove(uri) {
            let _ = self.out.send(Outgoing::Diagnostics { uri: uri.clone(), version: None, diagnostics: Vec::new() });
            // What the queue says of the file shows again once it is closed.
            if let Some((root, _)) = &d.repo {
                self.publish_queue(&root.clone());
            }
        }
    }

    /// Write what vouch knows of `uri` to the store: the attribution of
    /// `range` after an AI edit or a mark, or the whole file's otherwise.
    fn record(&mut self, uri: &Uri, range: Option<Range<usize>>, rationale: Option<&str>) {
        let Some(d) = self.docs.get(uri) else { return };
        // A snapshot is owed only when something changed since the last one.
        if range.is_none() && d.unrecorded.is_none() {
            return;
        }
        if range.is_none() {
            // A snapshot outranks the records before it: it must not be
            // written from less than the journal holds. What other writers
            // recorded since the last look is taken up, and the journal's
            // account of the text as it is now is given to what the
            // document holds only the editor's default for (an agent's
            // lines taken into the buffer from the disk).
            self.poll_store();
            self.take_up_journal(uri);
        }
        let Some(d) = self.docs.get_mut(uri) else { return };
        if range.is_none() {
            d.unrecorded = None;
        }
        let Some((root, rel)) = &d.repo else { return };
        if let Err(e) = self.repos.record(root, rel, &d.doc, range, rationale) {
            let _ = self.out.send(Outgoing::Show(
                MessageType::ERROR,
                format!("vouch: could not record provenance of {rel}: {e:#}"),
            ));
        }
    }

    /// Give `uri`'s text the journal's account of it ([`State::adopt`]):
    /// where the document holds only an editor's default, the records of
    /// other writers carried onto the text as it is now.
    fn take_up_journal(&mut self, uri: &Uri) {
        let Some(d) = self.docs.get(uri) else { return };
        let Some((root, rel)) = d.repo.clone() else { return };
        if d.waiting.is_some() {
            return;
        }
        let text = d.doc.text().as_str().to_string();
        match self.repos.view_unchanged(&root, &rel, &text) {
            Ok(spans) => self.adopt(uri, &spans),
            Err(e) => self.show(MessageType::WARNING, format!("vouch: {e:#}")),
        }
    }

    /// Pick up records other writers (agent hooks, the CLI, other servers)
    /// added, and changes to policy and approvals.
    fn poll_store(&mut self) {
        self.last_poll = Instant::now();
        // Files another writer changed under an open document: the editor
        // may reload them next (see `change`).
        for d in self.docs.values_mut() {
            let now = DiskStamp::of(d.repo.as_ref());
            if now != d.disk {
                d.disk = now;
                d.disk_moved = true;
            }
        }
        let changes = self.repos.poll();
        for message in self.repos.take_messages() {
            self.show(MessageType::WARNING, format!("vouch: {message}"));
        }
        if changes.is_empty() {
            return;
        }
        for change in changes.iter().filter(|c| c.judgement) {
            self.queue_stale(&change.root.clone());
        }
        let changed: Vec<PathBuf> = changes.iter().map(|c| c.root.clone()).collect();
        let uris: Vec<Uri> = self
            .docs
            .values()
            .filter(|d| d.repo.as_ref().is_some_and(|(root, _)| changed.contains(root)))
            .map(|d| d.uri.clone())
            .collect();
        for uri in uris {
            let Some(d) = self.docs.get_mut(&uri) else { continue };
            let Some(change) = changes.iter().find(|c| d.repo.as_ref().is_some_and(|(root, _)| *root == c.root)) else {
                continue;
            };
            // A change of judgement is taken up when the repository's
            // judging, read again off this thread, is in (`judging_reads`).
            // Only what other writers recorded is this server's to apply and
            // write down again; its own records must not start a loop.
            if let (true, Some((root, rel))) = (change.journal, &d.repo) {
                match self.repos.new_spans(root, rel, d.doc.text().as_str()) {
                    Ok(spans) if !spans.is_empty() => {
                        for (range, attr) in spans {
                            d.doc.set_attribution(range, &attr);
                        }
                        mark_dirty(d);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let _ = self.out.send(Outgoing::Show(MessageType::WARNING, format!("vouch: {e:#}")));
                    }
                }
            }
        }
        for root in &changed {
            self.repos.mark_seen(root);
        }
        if self.lens_refresh {
            let _ = self.out.send(Outgoing::RefreshCodeLens);
        }
    }

    /// Recompute a document's units and publish diagnostics and regions.
    fn analyse(&mut self, uri: &Uri) {
        self.analyse_watching(uri, None);
    }

    /// [`State::analyse`], given up (the document left as out of date) if
    /// input arrives past `watch` while it judges.
    fn analyse_watching(&mut self, uri: &Uri, watch: Option<Watch>) {
        if self.docs.get(uri).is_some_and(|d| d.waiting.is_some()) {
            // Analysed once its repository's judging is read.
            return;
        }
        if let Some(d) = self.docs.get_mut(uri)
            && d.repo.as_ref().is_some_and(|(root, _)| self.repos.judges_without_own_records(root))
        {
            // Records this server just wrote are being read: judged again
            // once they are in (`judging_reads`), not without them now.
            d.dirty = None;
            return;
        }
        let trapped = self.trap.is_some() && self.docs.contains_key(uri) && self.spring(PanicOn::Analysis, Some(uri));
        let Some(d) = self.docs.get_mut(uri) else { return };
        let started = Instant::now();
        let cpu = thread_cpu_micros();
        self.busy = Some(uri.clone());
        let out_of_date = (d.dirty, d.units_stale);
        d.dirty = None;
        // Found again whether or not the text changed: who may approve
        // depends on the range and the records too (see
        // `crate::analysis::buffer`).
        d.units_stale = false;
        if trapped {
            panic!("vouch/debug/panic: a panic in the middle of an analysis");
        }
        // One that runs to its end whatever arrives still gives way once
        // the client is gone.
        let watch = watch.unwrap_or_else(|| self.arrivals.until_closed());
        let judged = cancel::run(watch, || self.repos.judge_units(d.repo.as_ref(), &mut d.doc));
        let Ok((units, unshown)) = judged else {
            d.dirty = out_of_date.0.map(|dirty| Dirty { interrupted: true, ..dirty });
            d.units_stale = out_of_date.1;
            self.stats.given_up += 1;
            self.busy = None;
            return;
        };
        d.analysis = units.into_iter().map(|(facts, verdict)| Assessed { facts, verdict }).collect();
        d.unshown = unshown;
        d.analysed_version = Some(d.version);
        if std::mem::take(&mut d.lenses_lag) {
            let _ = self.out.send(Outgoing::RefreshCodeLens);
        }
        if std::mem::take(&mut d.pending_lag) {
            let _ = self.out.send(Outgoing::PendingChanged);
        }
        let diagnostics = diagnostics(d, self.encoding);
        let regions = regions(d, self.encoding);
        // A document without AI text needs no tree until AI text arrives.
        if d.analysis.is_empty() && d.doc.provenance().ai_ranges().is_empty() {
            d.doc.release_tree();
        }
        let has_tree = d.doc.has_tree();
        let _ = self.out.send(Outgoing::Diagnostics { uri: uri.clone(), version: Some(d.version), diagnostics });
        let _ = self.out.send(Outgoing::Regions(RegionsParams { uri: uri.clone(), version: d.version, regions }));
        self.stats.analyses.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
        let cpu_micros = thread_cpu_micros().saturating_sub(cpu).min(u32::MAX as u64) as u32;
        self.stats.analyses_cpu.push(cpu_micros);
        if let Some(d) = self.docs.get_mut(uri) {
            d.analysed_cpu_micros = cpu_micros;
        }
        self.live_trees.retain(|u| u != uri);
        if has_tree {
            self.live_trees.push(uri.clone());
        }
        while self.live_trees.len() > LIVE_TREES {
            let oldest = self.live_trees.remove(0);
            if let Some(d) = self.docs.get_mut(&oldest) {
                d.doc.release_tree();
            }
        }
    }

    /// Whether the document's text was edited since its last analysis,
    /// and only that (not records this server wrote, nor a history being
    /// read), with every edit since kept ([`Versions::since`]): a question
    /// the client asks on its own may then be answered from that analysis.
    fn edited_since_analysis(&self, uri: &Uri) -> bool {
        let Some(d) = self.docs.get(uri) else { return false };
        let root = d.repo.as_ref().map(|(root, _)| root);
        d.dirty.is_some()
            && d.waiting.is_none()
            && !root.is_some_and(|root| self.repos.judges_without_own_records(root))
            && d.analysed_version.is_some_and(|v| d.versions.since(v, d.version).is_some())
    }

    /// Make sure a request sees the document as it is now; while its
    /// history is being read, as it was last analysed. Code lenses, which
    /// clients ask for on their own as a file opens, do not wait for
    /// history (nor does anything sent about the file after them): they
    /// are refreshed once it is in; nor do hovers and code actions asked
    /// for automatically. Code actions asked for by hand and commands are
    /// put off until it is in ([`State::admit`]). After this server wrote
    /// records, every one of them waits for their read.
    fn refresh(&mut self, uri: &Uri) {
        // What is asked after this server wrote records is answered by
        // them: the question waits for their read (off this thread, so that
        // typing does not wait; a few milliseconds, unless the records
        // cache is being rewritten).
        if let Some(root) = self.docs.get(uri).and_then(|d| d.repo.as_ref()).map(|(root, _)| root.clone())
            && self.repos.judges_without_own_records(&root)
        {
            self.wait_judging(Some(&root), Instant::now() + HISTORY_WAIT);
        }
        if self.docs.get(uri).is_some_and(|d| d.dirty.is_some()) && !self.histories.is_pending(uri) {
            self.analyse(uri);
        }
    }

    /// The client's `shutdown` request: write what is held, and remember
    /// that it came.
    pub fn shutdown_requested(&mut self) {
        self.shut_down = true;
        self.shutdown();
    }

    pub fn shutdown(&mut self) {
        // What was put off comes first, in order: a close writes down its
        // document's provenance.
        for (event, until) in self.unpark(true) {
            self.wait_until = until;
            self.handle(event);
        }
        self.wait_until = None;
        self.wait_history(None);
        let uris: Vec<Uri> = self.docs.keys().cloned().collect();
        for uri in uris {
            self.record(&uri, None, None);
        }
    }

    pub fn stats(&mut self) -> Value {
        self.wait_history(None);
        let (edits, median, p99, max) = percentiles(&self.stats.micros);
        let (_, cpu_median, cpu_p99, cpu_max) = percentiles(&self.stats.cpu_micros);
        let (analyses, a_median, a_p99, a_max) = percentiles(&self.stats.analyses);
        let (_, a_cpu_median, a_cpu_p99, _) = percentiles(&self.stats.analyses_cpu);
        json!({
            "edits": edits, "medianMicros": median, "p99Micros": p99, "maxMicros": max,
            "cpuMedianMicros": cpu_median, "cpuP99Micros": cpu_p99, "cpuMaxMicros": cpu_max,
            "analyses": analyses, "analyseMedianMicros": a_median, "analyseP99Micros": a_p99,
            "analyseMaxMicros": a_max, "analyseCpuMedianMicros": a_cpu_median, "analyseCpuP99Micros": a_cpu_p99,
            "analysesGivenUp": self.stats.given_up,
            "slowestEdits": self.stats.slowest.iter().map(EditRecord::json).collect::<Vec<_>>(),
            "recentEdits": self.stats.recent.iter().map(EditRecord::json).collect::<Vec<_>>(),
            "historyReads": self.repos.history_reads(),
            "recentAnalyseMicros": &self.stats.analyses[self.stats.analyses.len().saturating_sub(RECENT_ANALYSES)..],
            "recentAnalyseCpuMicros": &self.stats.analyses_cpu[self.stats.analyses_cpu.len().saturating_sub(RECENT_ANALYSES)..],
        })
    }

    pub fn debug_document(&mut self, uri: &Uri) -> Value {
        self.wait_history(Some(uri));
        let Some(d) = self.docs.get(uri) else { return Value::Null };
        let map = d.doc.provenance();
        let spans: Vec<Value> = map
            .spans()
            .filter(|s| map.attribution(s.attr).origin != Origin::Unknown)
            .map(|s| {
                let attr = map.attribution(s.attr);
                json!({
                    "range": convert::lsp_range(d.doc.text(), s.range.clone(), self.encoding),
                    // A span off character boundaries is a bug, said as
                    // one rather than a panic.
                    "text": d.doc.text().as_str().get(s.range.clone()).unwrap_or("(span off character boundaries)"),
                    "origin": attr.origin.label(),
                    "evidence": attr.evidence.map(|e| e.label()),
                    "tool": attr.tool(),
                })
            })
            .collect();
        json!({
            "version": d.version, "text": d.doc.text().as_str(), "spans": spans,
            "analyseCpuMicros": d.analysed_cpu_micros,
        })
    }

    /// `vouch/pending`: every repository's queue as last read in the
    /// background (the same units `vouch review --list --all` lists, open
    /// files or not), placed where an open document has the unit now; then
    /// the open documents' units that still need a request.
    pub fn pending(&mut self) -> PendingResult {
        let enc = self.encoding;
        // Other clones push records the poll does not see (a fetch by
        // `vouch sync` does move the refs, but not every writer is polled),
        // and other writers change the files it places units in: a queue
        // older than QUEUE_FRESH (or ten times its read) is read again in the
        // background.
        let now = Instant::now();
        for slot in self.queues.values_mut() {
            if !slot.reading && slot.read_at.is_some_and(|at| now >= at + queue_fresh_for(slot.took)) {
                slot.stale = true;
            }
        }
        let uris: Vec<Uri> = self.docs.keys().cloned().collect();
        // A document edited since its last analysis answers from that
        // analysis, its units where the edits since moved them, rather than
        // being analysed to the end first (seconds, for a very large file);
        // the client is told to ask again once the analysis is in.
        let mut carried = false;
        for uri in &uris {
            if self.edited_since_analysis(uri) {
                if let Some(d) = self.docs.get_mut(uri) {
                    d.pending_lag = true;
                }
                carried = true;
            } else {
                self.refresh(uri);
            }
        }
        // Where each open unit is now, by fingerprint.
        let mut open: HashMap<&str, (&OpenDoc, &Assessed)> = HashMap::new();
        for d in self.docs.values() {
            for a in &d.analysis {
                open.entry(a.unit.fingerprint.as_str()).or_insert((d, a));
            }
        }
        let mut units = Vec::new();
        let mut queued: HashSet<String> = HashSet::new();
        let mut computing = carried;
        let mut reviewer = None;
        for slot in self.queues.values() {
            computing |= slot.reading || slot.stale || (slot.current.is_none() && slot.failed.is_none());
            let Some(queue) = &slot.current else { continue };
            reviewer = reviewer.or_else(|| queue.reviewer.clone());
            for q in &queue.units {
                queued.insert(q.fingerprint.clone());
                let (uri, range, located) = match open.get(q.fingerprint.as_str()) {
                    Some((d, a)) => (d.uri.clone(), convert::lsp_range(d.doc.text(), d.now(&a.unit.range), enc), true),
                    None => (q.uri.clone(), q.range, q.located),
                };
                units.push(PendingUnit {
                    uri,
                    range,
                    path: q.path.clone(),
                    kind: q.kind.clone(),
                    name: q.name.clone(),
                    fingerprint: q.fingerprint.clone(),
                    risk: q.risk.clone(),
                    severity: if q.warning { "warning" } else { "information" }.into(),
                    state: UnitState::Requested,
                    ai_lines: q.ai_lines,
                    ai_deleted_lines: q.ai_deleted_lines.filter(|&n| n > 0),
                    tool: q.tool.clone(),
                    reviewers: q.reviewers.clone(),
                    may_approve: q.may_approve,
                    requester: q.requester.clone(),
                    rationale: q.rationale.clone(),
                    rationale_from: q.rationale_from,
                    located,
                });
            }
        }
        for uri in &uris {
            let Some(d) = self.docs.get(uri) else { continue };
            for a in &d.analysis {
                if !a.verdict.state.needs_signoff() || queued.contains(&a.unit.fingerprint) {
                    continue;
                }
                units.push(PendingUnit {
                    uri: uri.clone(),
                    range: convert::lsp_range(d.doc.text(), d.now(&a.unit.range), enc),
                    path: d.repo.as_ref().map_or_else(|| uri.as_str().to_string(), |(_, rel)| rel.clone()),
                    kind: a.unit.kind.clone(),
                    name: a.unit.name.clone(),
                    fingerprint: a.unit.fingerprint.clone(),
                    risk: a.unit.risk.clone(),
                    severity: a.verdict.severity.label().into(),
                    state: a.verdict.state,
                    ai_lines: a.unit.ai_lines,
                    ai_deleted_lines: Some(a.ai_deleted()).filter(|&n| n > 0),
                    tool: a.sources.first().map(|s| s.tool.clone()),
                    reviewers: a.verdict.reviewers.clone(),
                    may_approve: a.verdict.may_approve && a.verdict.state.needs_signoff(),
                    requester: None,
                    rationale: None,
                    rationale_from: None,
                    located: true,
                });
            }
        }
        // Riskiest first: warnings, then more risk tags, then more AI lines.
        units.sort_by(|a, b| {
            (a.severity != "warning", std::cmp::Reverse(a.risk.len()), std::cmp::Reverse(a.ai_lines), &a.path).cmp(&(
                b.severity != "warning",
                std::cmp::Reverse(b.risk.len()),
                std::cmp::Reverse(b.ai_lines),
                &b.path,
            ))
        });
        PendingResult { units, computing, reviewer }
    }

    pub fn code_actions(&mut self, params: &CodeActionParams) -> Option<CodeActionResponse> {
        let enc = self.encoding;
        let uri = &params.text_document.uri;
        // Asked for some kinds only (`only`: organize imports or fix-all
        // on save): vouch's are quick fixes, and its plain commands have no
        // kind, so none of them may come back, and there is nothing to
        // wait for or analyse when quick fixes are not among the kinds.
        if !offers_quick_fixes(params) {
            return Some(Vec::new());
        }
        let automatic = !code_actions_wait_for_history(params);
        if !automatic {
            self.wait_history(Some(uri));
        }
        // Asked for on its own while edits wait for their analysis (VS Code
        // asks as the cursor moves, so after each keystroke): the units'
        // actions are left out rather than the document analysed to the
        // end there and then, which in a large file holds up the next
        // keystroke; the client asks again when the diagnostics change.
        let edited = automatic && self.edited_since_analysis(uri);
        if !edited {
            self.refresh(uri);
        }
        let d = self.docs.get(uri)?;
        let (range, _) = convert::byte_range(d.doc.text(), params.range, enc);
        let mut actions = Vec::new();
        let diags_here: Vec<Diagnostic> =
            params.context.diagnostics.iter().filter(|diag| diag.source.as_deref() == Some("vouch")).cloned().collect();
        for a in d.analysis.iter().filter(|a| !edited && overlaps(&a.unit.range, &range)) {
            let name = unit_label(&a.unit);
            let args = |extra: CommandArgs| -> Vec<Value> {
                let base = CommandArgs {
                    uri: Some(uri.clone()),
                    range: Some(convert::lsp_range(d.doc.text(), a.unit.range.clone(), enc)),
                    fingerprint: Some(a.unit.fingerprint.clone()),
                    ..extra
                };
                vec![serde_json::to_value(base).unwrap_or(Value::Null)]
            };
            let mut push = |title: String, cmd: &str, arguments: Vec<Value>, preferred: bool| {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(diags_here.clone()),
                    command: Some(Command { title, command: cmd.into(), arguments: Some(arguments) }),
                    is_preferred: preferred.then_some(true),
                    ..CodeAction::default()
                }));
            };
            if a.suspected {
                push(
                    format!("vouch: confirm {name} as AI-written"),
                    command::MARK_AI,
                    args(CommandArgs::default()),
                    false,
                );
                push(
                    format!("vouch: declare {name} human-written"),
                    command::MARK_HUMAN,
                    args(CommandArgs::default()),
                    false,
                );
            }
            // Only what will work: a request the policy wants a rationale
            // for, and a reject (always needs a comment), only to a client
            // that asks a person for them.
            let rationale_required = d.repo.as_ref().is_some_and(|(root, rel)| {
                self.repos.rationale_required(root, rel, &a.facts, a.verdict.judged.as_ref())
            });
            let prompts = self.client.prompts_for_arguments;
            if matches!(a.verdict.state, UnitState::Pending | UnitState::Rejected | UnitState::Suspected)
                && (prompts || !rationale_required)
            {
                let spans = d.doc.provenance().to_vec();
                let draft = crate::intent::draft_rationale(&crate::intent::of_range(&spans, a.unit.range.clone()));
                let hint = CommandArgs {
                    rationale_required: rationale_required.then_some(true),
                    rationale_draft: draft,
                    ..CommandArgs::default()
                };
                push(format!("vouch: request sign-off for {name}"), command::REQUEST_SIGNOFF, args(hint), true);
            }
            if a.verdict.may_approve && a.verdict.state.needs_signoff() {
                push(format!("vouch: approve {name}"), command::APPROVE, args(CommandArgs::default()), false);
                if prompts {
                    push(format!("vouch: reject {name}"), command::REJECT, args(CommandArgs::default()), false);
                }
            }
            let position = Some(convert::to_lsp_position(d.doc.text().position(a.ai_range.start, enc)));
            push(
                format!("vouch: show provenance of {name}"),
                command::SHOW_PROVENANCE,
                args(CommandArgs { position, ..CommandArgs::default() }),
                false,
            );
        }
        // A selection can be marked whatever its units; not a single
        // character, which is what Helix sends for a bare cursor (choosing
        // "human" there once recorded one byte).
        let selected = &d.doc.text().as_str()[range.clone()];
        // Not over text another source recorded as AI: marking it human is
        // refused, and marking it AI changes nothing (see
        // `Attribution::is_ai_by_another_than`).
        let who = self.repos.identity(d.repo.as_ref().map(|(root, _)| root));
        let provenance = d.doc.provenance();
        let claimed = provenance
            .spans_in(range.clone())
            .any(|s| provenance.attribution(s.attr).is_ai_by_another_than(who.as_deref()));
        if selected.chars().nth(1).is_some() && !claimed && params.context.only.is_none() {
            let selection = CommandArgs { uri: Some(uri.clone()), range: Some(params.range), ..CommandArgs::default() };
            let arguments = vec![serde_json::to_value(&selection).unwrap_or(Value::Null)];
            for (title, cmd) in [
                ("vouch: mark selection as AI-written", command::MARK_AI),
                ("vouch: mark selection as human-written", command::MARK_HUMAN),
            ] {
                actions.push(CodeActionOrCommand::Command(Command {
                    title: title.into(),
                    command: cmd.into(),
                    arguments: Some(arguments.clone()),
                }));
            }
        }
        Some(actions)
    }

    /// Code lenses, which clients ask for on their own as the person types
    /// (VS Code after each pause): while edits wait for their analysis, a
    /// client that can be asked again (`workspace/codeLens/refresh`) is
    /// answered from the last analysis, its ranges carried through the
    /// edits since (the versions kept, [`Versions`]), and asked again once
    /// the analysis is in. Analysing a large file to the end there and then
    /// would hold up the next keystroke. Otherwise the document is analysed
    /// first (while its history is read, only when AI text is known of it
    /// already).
    pub fn code_lenses(&mut self, uri: &Uri) -> Option<Vec<CodeLens>> {
        let enc = self.encoding;
        let carried = self.lens_refresh && self.edited_since_analysis(uri);
        if !carried {
            self.refresh(uri);
            // A client that cannot be asked again keeps this answer: while
            // the file's history is read, the AI text already known (an
            // editor's AI edit, the journal's) is shown now rather than
            // not at all. History's comes with the diagnostics.
            let knows_ai = |d: &OpenDoc| {
                d.dirty.is_some() && d.doc.provenance().spans().any(|s| d.doc.provenance().attribution(s.attr).is_ai())
            };
            if !self.lens_refresh && self.histories.is_pending(uri) && self.docs.get(uri).is_some_and(knows_ai) {
                self.analyse(uri);
            }
        }
        let d = self.docs.get(uri)?;
        let since = d.analysed_version.filter(|_| carried).and_then(|v| d.versions.since(v, d.version));
        // Where a range starts now (inserted text where it started is
        // before it).
        let at = |range: &Range<usize>| since.as_deref().map_or(range.start, |since| carry(range.clone(), since).start);
        let lenses = d
            .analysis
            .iter()
            .map(|a| {
                let start = d.doc.text().position(at(&a.unit.range), enc);
                let range = tower_lsp_server::ls_types::Range::new(
                    convert::to_lsp_position(start),
                    convert::to_lsp_position(start),
                );
                let tools: Vec<&str> = a.sources.iter().map(|s| s.tool.as_str()).collect();
                let mut title = format!("AI ({}) · {}", tools.join(", "), a.verdict.state.label());
                if !a.verdict.reviewers.is_empty() {
                    title.push_str(&format!(" · reviewers: {}", a.verdict.reviewers.join(", ")));
                }
                let args = CommandArgs {
                    uri: Some(uri.clone()),
                    position: Some(convert::to_lsp_position(d.doc.text().position(at(&a.ai_range), enc))),
                    ..CommandArgs::default()
                };
                CodeLens {
                    range,
                    command: Some(Command {
                        title,
                        command: command::SHOW_PROVENANCE.into(),
                        arguments: Some(vec![serde_json::to_value(args).unwrap_or(Value::Null)]),
                    }),
                    data: None,
                }
            })
            .collect();
        if carried && let Some(d) = self.docs.get_mut(uri) {
            d.lenses_lag = true;
        }
        Some(lenses)
    }

    /// A hover is answered at once, from what is known: editors ask for
    /// one whenever the pointer rests on text, and waiting for a file's
    /// history would hold up what is sent about the file after it. While
    /// that history is being read, the hover says so.
    pub fn hover(&mut self, uri: &Uri, position: Position) -> Option<Hover> {
        let enc = self.encoding;
        self.refresh(uri);
        let reading = self.histories.pending_for(Some(uri));
        let d = self.docs.get(uri)?;
        let offset = d.doc.text().offset(convert::position(position), enc).offset;
        let markdown = match (provenance_markdown(d, offset, &self.repos), reading) {
            (Some(known), false) => known,
            (known, true) => format!("{}{HISTORY_BEING_READ}", known.map(|k| k + "\n").unwrap_or_default()),
            (None, false) => return None,
        };
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: markdown }),
            range: None,
        })
    }

    pub fn execute(&mut self, name: &str, arguments: Vec<Value>) -> jsonrpc::Result<Option<Value>> {
        let result = self.execute_inner(name, arguments);
        // A client that does not show what a command returned (Helix) is
        // told in a message; failures come back as errors, which it shows.
        if !self.client.shows_command_results
            && let Ok(Some(Value::String(text))) = &result
        {
            let text = if name == command::SHOW_PROVENANCE { one_line(text) } else { text.clone() };
            self.show(MessageType::INFO, format!("vouch: {text}"));
        }
        result
    }

    fn execute_inner(&mut self, name: &str, arguments: Vec<Value>) -> jsonrpc::Result<Option<Value>> {
        let mut args = parse_args(name, arguments)?;
        let uri = match (&args.uri, &args.path) {
            (Some(uri), _) => uri.clone(),
            (None, Some(path)) => self.open_doc_at(path).map_err(|why| invalid(format!("{name}: {why}")))?,
            (None, None) => return Err(invalid(format!("{name}: missing `uri` (or `path`)"))),
        };
        if !self.docs.contains_key(&uri) {
            return Err(invalid(format!("{name}: {} is not open", uri.as_str())));
        }
        // A command acts on the units of its document as they are, history
        // included; other documents' histories are not waited for.
        self.wait_history(Some(&uri));
        let enc = self.encoding;
        if let (None, Some(line)) = (args.range, args.line) {
            let d = self.docs.get(&uri).expect("checked above");
            let row = line.checked_sub(1).ok_or_else(|| invalid(format!("{name}: `line` counts from 1")))?;
            let bytes = d
                .doc
                .text()
                .line_range(row as usize)
                .ok_or_else(|| invalid(format!("{name}: line {line} is past the end of {}", uri.as_str())))?;
            let trimmed =
                bytes.start..bytes.start + d.doc.text().as_str()[bytes.clone()].trim_end_matches(['\n', '\r']).len();
            args.range = Some(convert::lsp_range(d.doc.text(), trimmed, enc));
            args.position = args.position.or(Some(Position::new(row, 0)));
        }
        let uri = &uri;
        let args = &args;
        match name {
            command::MARK_AI | command::MARK_HUMAN => {
                if name == command::MARK_HUMAN {
                    // A person's word is judged against every record of AI
                    // there is of the text as it is now: an agent's lines
                    // taken into the buffer by hand hold only the editor's
                    // default until then (rt26e F2s).
                    self.poll_store();
                    self.take_up_journal(uri);
                }
                let d = self.docs.get_mut(uri).expect("checked above");
                let lsp_range = args.range.ok_or_else(|| invalid(format!("{name}: missing `range`")))?;
                let (range, _) = convert::byte_range(d.doc.text(), lsp_range, enc);
                // Blank text the heuristic suspected along with the unit
                // (the lines after it) goes with the decision, so no
                // "suspected" mark stays behind on empty lines.
                let range = with_suspected_blanks(&d.doc, range);
                let who = self.repos.identity(d.repo.as_ref().map(|(root, _)| root));
                // A person's word never outranks a record of AI from
                // another source (see `Attribution::is_ai_by_another_than`):
                // such text is not called a person's, and is left as it is
                // when marked AI (a mark would paint over the record).
                let provenance = d.doc.provenance();
                let claimed: Vec<(Range<usize>, String)> = provenance
                    .spans_in(range.clone())
                    .filter_map(|s| match provenance.attribution(s.attr) {
                        a @ Attribution { origin: Origin::Ai(source), .. }
                            if a.is_ai_by_another_than(who.as_deref()) =>
                        {
                            let evidence = a.evidence.map_or("history", |e| e.label());
                            let at = s.range.start.max(range.start)..s.range.end.min(range.end);
                            Some((at, format!("{} ({evidence})", crate::display::line(&source.tool))))
                        }
                        _ => None,
                    })
                    .collect();
                let first = claimed.first().map(|(at, whose)| (d.doc.text().position(at.start, enc).line + 1, whose));
                if let (Some((line, whose)), command::MARK_HUMAN) = (&first, name) {
                    return Err(invalid(format!(
                        "{name}: line {line} holds text {whose} recorded as AI, and a person's word never outranks \
                         a record of AI from another source; nothing marked (request sign-off instead)"
                    )));
                }
                let text = d.doc.text().as_str();
                let taken: Vec<Range<usize>> = claimed.iter().map(|(r, _)| r.clone()).collect();
                let parts: Vec<Range<usize>> = crate::syntax::units::subtract_all(std::slice::from_ref(&range), &taken)
                    .into_iter()
                    .filter(|r| text[r.clone()].bytes().any(|b| !b.is_ascii_whitespace()))
                    .collect();
                let left = first.map_or(String::new(), |(line, whose)| {
                    format!(" (from line {line}, text {whose} recorded as AI is left as it is)")
                });
                if parts.is_empty() {
                    return Ok(Some(Value::String(format!("nothing to mark{left}"))));
                }
                let attr = if name == command::MARK_AI {
                    let tool = args
                        .tool
                        .clone()
                        .or_else(|| suspected_tool(&d.doc, &range))
                        .unwrap_or_else(|| "unknown".into());
                    Attribution::ai(AiSource { tool, model: None, session: None, kind: None }, Evidence::Manual, who)
                } else {
                    Attribution {
                        origin: Origin::Human,
                        evidence: Some(Evidence::Manual),
                        accepted_by: who,
                        intent: None,
                    }
                };
                let lines: usize = parts.iter().map(|p| line_span(&d.doc.text().as_str()[p.clone()]).max(1)).sum();
                for part in &parts {
                    d.doc.set_attribution(part.clone(), &attr);
                }
                mark_dirty(d);
                self.record(uri, Some(range), None);
                self.analyse(uri);
                let what = if name == command::MARK_AI { "AI-written" } else { "human-written" };
                let plural = if lines == 1 { "" } else { "s" };
                // A document that is no file of a repository (an unsaved
                // buffer) keeps the mark while it is open; nothing records it.
                let kept = if self.docs.get(uri).is_some_and(|d| d.repo.is_none()) {
                    " in this buffer only: it is no file of a git repository, so nothing is recorded"
                } else {
                    ""
                };
                Ok(Some(Value::String(format!("marked {lines} line{plural} as {what}{kept}{left}"))))
            }
            command::SHOW_PROVENANCE => {
                self.refresh(uri);
                let d = self.docs.get(uri).expect("checked above");
                let offset = match (args.position, args.range) {
                    (Some(p), _) => d.doc.text().offset(convert::position(p), enc).offset,
                    (None, Some(r)) => convert::byte_range(d.doc.text(), r, enc).0.start,
                    (None, None) => return Err(invalid(format!("{name}: missing `position`"))),
                };
                let markdown = provenance_markdown(d, offset, &self.repos).unwrap_or_else(|| {
                    "No AI provenance is recorded here. No record means unattested, not human.".into()
                });
                Ok(Some(Value::String(markdown)))
            }
            command::REQUEST_SIGNOFF | command::APPROVE | command::REJECT => self.review_command(name, uri, args),
            _ => Err(invalid(format!("unknown command `{name}`"))),
        }
    }

    /// The open document at `path`: the one whose file is `path`, or, for a
    /// relative path, the one whose path ends with its components (Helix's
    /// `%{buffer_name}` is relative to its working directory, not ours).
    fn open_doc_at(&self, path: &str) -> Result<Uri, String> {
        let wanted = std::path::Path::new(path);
        let matches: Vec<&Uri> = self
            .docs
            .keys()
            .filter(|uri| {
                super::convert::file_path(uri)
                    .is_some_and(|file| if wanted.is_absolute() { file == wanted } else { file.ends_with(wanted) })
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!("no open document is {path}")),
            many => Err(format!(
                "{path} names {} open documents ({}); give the whole path",
                many.len(),
                many.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    fn review_command(&mut self, name: &str, uri: &Uri, args: &CommandArgs) -> jsonrpc::Result<Option<Value>> {
        let enc = self.encoding;
        self.refresh(uri);
        let d = self.docs.get(uri).expect("checked by the caller");
        let Some((root, rel)) = d.repo.clone() else {
            return Err(invalid(format!("{name}: {} is not in a git repository; no sign-off applies", uri.as_str())));
        };
        let range = args.range.map(|r| convert::byte_range(d.doc.text(), r, enc).0);
        let units: Vec<&crate::analysis::judge::JudgedUnit> = d
            .analysis
            .iter()
            .filter(|a| range.as_ref().is_none_or(|r| overlaps(&a.unit.range, r)))
            .filter(|a| args.fingerprint.as_ref().is_none_or(|f| *f == a.unit.fingerprint))
            .filter(|a| name == command::REQUEST_SIGNOFF || a.verdict.state.needs_signoff())
            .filter_map(|a| a.verdict.judged.as_ref())
            .collect();
        if units.is_empty() {
            let why = if args.fingerprint.is_some() {
                "the unit changed since the action was offered (its fingerprint no longer matches); look again"
            } else {
                "no AI-written unit there"
            };
            return Err(invalid(format!("{name}: {why}")));
        }
        let outcome = match name {
            command::REQUEST_SIGNOFF => {
                self.repos.request(&root, &rel, d.doc.language(), &d.doc, &units, args.rationale.as_deref())
            }
            command::APPROVE => self.repos.decide(&root, &rel, &units, true, args.comment.as_deref()),
            _ => self.repos.decide(&root, &rel, &units, false, args.comment.as_deref()),
        };
        match outcome {
            Ok(message) => {
                if name == command::REQUEST_SIGNOFF {
                    let facts: Vec<UnitFacts> = units.iter().map(|u| u.facts.clone()).collect();
                    // Whether a reviewer is now over the budget is the
                    // queue's to say, read again off this thread.
                    if let Some(reviewers) = self.repos.budget_reviewers(&root, &rel, &facts) {
                        self.budget_watch.push(BudgetWatch { root: root.clone(), reviewers, asked: Instant::now() });
                        self.queue_stale(&root);
                    }
                }
                // Records changed: every open document of the repository may
                // stand differently now.
                let uris: Vec<Uri> = self
                    .docs
                    .values()
                    .filter(|d| d.repo.as_ref().is_some_and(|(r, _)| *r == root))
                    .map(|d| d.uri.clone())
                    .collect();
                for uri in uris {
                    self.analyse(&uri);
                }
                if self.lens_refresh {
                    let _ = self.out.send(Outgoing::RefreshCodeLens);
                }
                self.queue_stale(&root);
                Ok(Some(Value::String(message)))
            }
            Err(e) => Err(invalid(format!("{name}: {e:#}"))),
        }
    }
}

fn log(out: &UnboundedSender<Outgoing>, kind: MessageType, message: String) {
    let _ = out.send(Outgoing::Log(kind, message));
}

/// The document changed: find its units again, and write its provenance.
impl OpenDoc {
    /// Where `range`, a byte range of the text its last analysis saw, is in
    /// the text now (carried through the edits since, when they are kept).
    fn now(&self, range: &Range<usize>) -> Range<usize> {
        let since =
            self.analysed_version.filter(|&v| v != self.version).and_then(|v| self.versions.since(v, self.version));
        match since {
            Some(since) => carry(range.clone(), &since),
            None => range.clone(),
        }
    }
}

fn mark_dirty(d: &mut OpenDoc) {
    mark_for_review(d);
    d.units_stale = true;
    d.unrecorded = Some(Instant::now());
}

/// Records or policy changed: judge the document's units again.
fn mark_for_review(d: &mut OpenDoc) {
    let now = Instant::now();
    d.dirty = Some(match d.dirty {
        Some(dirty) => Dirty { last: now, ..dirty },
        None => Dirty::since(now),
    });
}

fn invalid(message: String) -> jsonrpc::Error {
    jsonrpc::Error::invalid_params(message)
}

fn parse_args(name: &str, arguments: Vec<Value>) -> jsonrpc::Result<CommandArgs> {
    let mut arguments = arguments.into_iter();
    let first = arguments.next().unwrap_or(Value::Object(Default::default()));
    serde_json::from_value(first).map_err(|e| invalid(format!("{name}: bad arguments: {e}")))
}

/// How many lines `text` spans.
fn line_span(text: &str) -> usize {
    let breaks = Text::new(text.to_string()).map_or(1, |t| t.line_count());
    // A final line break ends the last line rather than starting one.
    if text.ends_with(['\n', '\r']) { breaks - 1 } else { breaks }
}

/// `range`, grown over the suspected spans next to it that hold only
/// whitespace.
fn with_suspected_blanks(doc: &Document, range: Range<usize>) -> Range<usize> {
    let map = doc.provenance();
    let bytes = doc.text().as_str().as_bytes();
    let blank_suspect = |at: usize| bytes[at].is_ascii_whitespace() && map.at(at).is_some_and(|a| a.is_suspected());
    let (mut start, mut end) = (range.start.min(bytes.len()), range.end.min(bytes.len()));
    while end < bytes.len() && blank_suspect(end) {
        end += 1;
    }
    while start > 0 && blank_suspect(start - 1) {
        start -= 1;
    }
    start..end
}

/// A Markdown text as one line for a status bar: no emphasis, lines joined.
fn one_line(markdown: &str) -> String {
    markdown
        .lines()
        .map(|l| l.trim().trim_start_matches("- ").replace("**", ""))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether vouch's code actions may answer `params`: asked for some kinds
/// only (`only`: organize imports or fix-all on save), vouch's are quick
/// fixes, and its plain commands have no kind.
fn offers_quick_fixes(params: &CodeActionParams) -> bool {
    let only = params.context.only.as_deref();
    only.is_none_or(|kinds| kinds.iter().any(|k| kind_within(&CodeActionKind::QUICKFIX, k)))
}

/// Whether the answer to `params` waits for the file's history, on which
/// what to offer depends: asked for by hand, it is worth the wait. Asked
/// for on its own (a lightbulb at the cursor, as VS Code asks as a file
/// opens), or for kinds vouch has none of, it is answered from what is
/// known: the client asks again when the diagnostics change.
pub fn code_actions_wait_for_history(params: &CodeActionParams) -> bool {
    offers_quick_fixes(params) && params.context.trigger_kind != Some(CodeActionTriggerKind::AUTOMATIC)
}

/// Whether code action kind `kind` is `within` (the same kind, or one of
/// its sub-kinds: `quickfix` is within `quickfix` and within the empty
/// kind, `quickfix.vouch` within `quickfix`).
fn kind_within(kind: &CodeActionKind, within: &CodeActionKind) -> bool {
    let (kind, within) = (kind.as_str(), within.as_str());
    within.is_empty() || kind == within || kind.strip_prefix(within).is_some_and(|rest| rest.starts_with('.'))
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    if b.is_empty() { a.start <= b.start && b.start <= a.end } else { a.start < b.end && b.start < a.end }
}

fn suspected_tool(doc: &Document, range: &Range<usize>) -> Option<String> {
    let map = doc.provenance();
    map.spans_in(range.clone())
        .filter_map(|s| map.attribution(s.attr).tool().map(str::to_string))
        .find(|t| t != "unknown")
}

fn source_label(s: &AiSource) -> String {
    match &s.model {
        Some(model) => format!("{} ({model})", s.tool),
        None => s.tool.clone(),
    }
}

fn diagnostics(d: &OpenDoc, enc: Encoding) -> Vec<Diagnostic> {
    let text = d.doc.text();
    let mut out = Vec::new();
    for a in &d.analysis {
        let (code, state_text) = match a.verdict.state {
            UnitState::Pending => (code::UNREVIEWED_AI, "needs sign-off"),
            UnitState::Suspected => (code::SUSPECTED_AI, "looks AI-written (a large insertion); confirm or declare it"),
            UnitState::Requested => (code::SIGNOFF_REQUESTED, "awaits sign-off"),
            UnitState::Rejected => (code::SIGNOFF_REJECTED, "was rejected"),
            UnitState::Approved | UnitState::Exempt => continue,
        };
        let sources: Vec<String> = a.sources.iter().map(source_label).collect();
        let deleted = a.ai_deleted();
        let mut message = if a.unit.ai_lines == 0 && deleted > 0 {
            // Nothing AI-written is left: an AI removed lines from it.
            format!(
                "{} changed by an AI deletion ({}, {deleted} line{} deleted) {state_text}",
                unit_label(&a.unit),
                sources.join(", "),
                if deleted == 1 { "" } else { "s" },
            )
        } else {
            format!(
                "AI-written {} ({}, {} line{}) {state_text}",
                unit_label(&a.unit),
                sources.join(", "),
                a.unit.ai_lines,
                if a.unit.ai_lines == 1 { "" } else { "s" },
            )
        };
        if a.unit.ai_lines > 0 && deleted > 0 {
            message
                .push_str(&format!("; an AI also deleted {deleted} line{} of it", if deleted == 1 { "" } else { "s" }));
        }
        if !a.unit.risk.is_empty() {
            message.push_str(&format!("; risk: {}", a.unit.risk.join(", ")));
        }
        if let Some(note) = &a.verdict.note {
            message.push_str(&format!("; {note}"));
        }
        if a.verdict.state != UnitState::Suspected {
            if a.verdict.reviewers.is_empty() {
                message.push_str("; no reviewers are configured in .vouch.toml");
            } else {
                message.push_str(&format!("; sign-off by: {}", a.verdict.reviewers.join(", ")));
            }
        }
        // One line: the first of the AI text, without its line break, so
        // an editor underlines one line rather than every line of the unit;
        // the whole is related information.
        let full = convert::lsp_range(text, a.ai_range.clone(), enc);
        let first_line_end = text
            .line_range(full.start.line as usize)
            .map_or(a.ai_range.end, |r| r.end)
            .min(a.ai_range.end)
            .max(a.ai_range.start);
        let first_line_end = first_line_end - text.as_str()[a.ai_range.start..first_line_end].len()
            + text.as_str()[a.ai_range.start..first_line_end].trim_end_matches(['\n', '\r']).len();
        let (range, related) = if full.end.line > full.start.line {
            let first = convert::lsp_range(text, a.ai_range.start..first_line_end, enc);
            let related = DiagnosticRelatedInformation {
                location: Location { uri: d.uri.clone(), range: full },
                message: format!("the AI-written text of {}", unit_label(&a.unit)),
            };
            (first, Some(vec![related]))
        } else {
            (full, None)
        };
        let severity = match (a.verdict.state, a.verdict.severity) {
            (UnitState::Suspected, _) | (_, Severity::Information) => DiagnosticSeverity::INFORMATION,
            (_, Severity::Warning) => DiagnosticSeverity::WARNING,
        };
        out.push(Diagnostic {
            range,
            severity: Some(severity),
            code: Some(NumberOrString::String(code.into())),
            source: Some("vouch".into()),
            message,
            related_information: related,
            data: Some(json!({ "fingerprint": a.unit.fingerprint })),
            ..Diagnostic::default()
        });
    }
    out
}

/// How long a queue whose read took `took` is kept before `vouch/pending`
/// asks for it to be read again: [`QUEUE_FRESH`], or [`QUEUE_FRESH_FACTOR`]
/// times the read, whichever is longer (so that re-reading the queue of a
/// large repository takes a tenth of a core at most, however often the
/// editor asks).
fn queue_fresh_for(took: Duration) -> Duration {
    QUEUE_FRESH.max(took.saturating_mul(QUEUE_FRESH_FACTOR))
}

/// Whether two reads of a queue list the same units the same way.
fn same_queue(a: &RepoQueue, b: &RepoQueue) -> bool {
    let key = |q: &RepoQueue| -> Vec<(String, bool, u32, Range<u32>)> {
        q.units
            .iter()
            .map(|u| (u.fingerprint.clone(), u.may_approve, u.have, u.range.start.line..u.range.end.line))
            .collect()
    };
    a.reviewer == b.reviewer && key(a) == key(b)
}

/// The diagnostic of a queued unit in a file that is not open.
fn queue_diagnostic(unit: &repo_queue::QueuedUnit) -> Diagnostic {
    let mut message = format!(
        "AI-written {} ({}{} line{}) awaits sign-off",
        unit.label(),
        unit.tool.as_deref().map_or(String::new(), |t| format!("{t}, ")),
        unit.ai_lines,
        if unit.ai_lines == 1 { "" } else { "s" },
    );
    if let Some(who) = &unit.requester {
        message.push_str(&format!("; requested by {who}"));
    }
    message.push_str(&format!("; {} of {} approvals", unit.have, unit.need));
    if !unit.risk.is_empty() {
        message.push_str(&format!("; risk: {}", unit.risk.join(", ")));
    }
    if let Some(rationale) = &unit.rationale {
        message.push_str(&format!("; rationale: {rationale}"));
        if let Some(from) = unit.rationale_from {
            message.push_str(&format!(" ({})", from.describe()));
        }
    }
    if !unit.reviewers.is_empty() {
        message.push_str(&format!("; sign-off by: {}", unit.reviewers.join(", ")));
    }
    if unit.may_approve {
        message.push_str("; you may sign it off");
    }
    if !unit.located {
        message.push_str("; the requested text is no longer in the file as it is now");
    }
    // One line, as for an open file's units.
    let range = tower_lsp_server::ls_types::Range::new(
        unit.range.start,
        if unit.range.end.line > unit.range.start.line {
            Position::new(unit.range.start.line + 1, 0)
        } else {
            unit.range.end
        },
    );
    Diagnostic {
        range,
        severity: Some(if unit.warning { DiagnosticSeverity::WARNING } else { DiagnosticSeverity::INFORMATION }),
        code: Some(NumberOrString::String(code::SIGNOFF_REQUESTED.into())),
        source: Some("vouch".into()),
        message,
        data: Some(json!({ "fingerprint": unit.fingerprint })),
        ..Diagnostic::default()
    }
}

fn regions(d: &OpenDoc, enc: Encoding) -> Vec<Region> {
    let map = d.doc.provenance();
    let text = d.doc.text();
    let recorded = map.spans().map(|s| (s.range, map.attribution(s.attr)));
    recorded
        .chain(unshown_regions(d))
        .filter_map(|(range, attr)| {
            let Origin::Ai(src) = &attr.origin else { return None };
            let state = d
                .analysis
                .iter()
                .find(|a| a.unit.range.start < range.end && range.start < a.unit.range.end)
                .map_or(if attr.is_suspected() { UnitState::Suspected } else { UnitState::Pending }, |a| {
                    a.verdict.state
                });
            Some(Region {
                range: convert::lsp_range(text, range, enc),
                origin: "ai".into(),
                tool: Some(src.tool.clone()),
                state,
            })
        })
        .collect()
}

/// The lines verify counts as AI that the provenance does not show, runs
/// of adjacent lines with one attribution made one region.
fn unshown_regions(d: &OpenDoc) -> Vec<(Range<usize>, &Attribution)> {
    let mut out: Vec<(Range<usize>, &Attribution)> = Vec::new();
    for (range, attr) in &d.unshown {
        match out.last_mut() {
            Some((last, a)) if last.end == range.start && *a == attr => last.end = range.end,
            _ => out.push((range.clone(), attr)),
        }
    }
    out
}

fn provenance_markdown(d: &OpenDoc, offset: usize, repos: &Repos) -> Option<String> {
    let map = d.doc.provenance();
    let recorded = map.at(offset).or_else(|| offset.checked_sub(1).and_then(|o| map.at(o)));
    // Lines the next commit carries as AI that no provenance of the buffer
    // records (a pending squash merge, cherry-pick or re-commit).
    let carried = || {
        d.unshown.iter().find(|(r, _)| r.contains(&offset) || (offset > 0 && r.contains(&(offset - 1)))).map(|(_, a)| a)
    };
    let (at, carried) = match recorded.filter(|a| a.is_ai()) {
        Some(at) => (at, false),
        None => (carried()?, true),
    };
    let Origin::Ai(src) = &at.origin else { return None };
    let mut md = String::new();
    if at.is_suspected() {
        md.push_str(
            "**Suspected AI text**: a large insertion no plugin reported. Confirm it as AI or declare it human.\n\n",
        );
    } else {
        // Every value is the author's text: shown through display (see
        // `lsp::shown`), as code spans or escaped Markdown.
        use crate::display::markdown_code;
        md.push_str(&format!("**AI-written** by {}", markdown_code(&src.tool)));
        if let Some(model) = &src.model {
            md.push_str(&format!(", model {}", markdown_code(model)));
        }
        if let Some(session) = &src.session {
            md.push_str(&format!(", session {}", markdown_code(session)));
        }
        md.push_str("\n\n");
    }
    if let Some(evidence) = at.evidence {
        md.push_str(&format!("- evidence: {}\n", evidence.label()));
    }
    if carried {
        md.push_str(
            "- carried: the next commit takes these lines from a commit that made them AI \
             (a pending squash merge, cherry-pick or re-commit)\n",
        );
    }
    if let Some(who) = &at.accepted_by {
        md.push_str(&format!("- accepted by: {}\n", crate::display::markdown(who)));
    }
    if let Some(intent) = &at.intent {
        md.push_str(&crate::intent::markdown(intent));
    }
    if let Some(a) = d.analysis.iter().find(|a| a.unit.range.start <= offset && offset <= a.unit.range.end) {
        let shown = crate::display::markdown;
        md.push_str(&format!("- unit: {} · {}\n", shown(&unit_label(&a.unit)), a.verdict.state.label()));
        if !a.unit.risk.is_empty() {
            md.push_str(&format!("- risk: {}\n", shown(&a.unit.risk.join(", "))));
        }
        if !a.verdict.reviewers.is_empty() {
            md.push_str(&format!("- reviewers: {}\n", shown(&a.verdict.reviewers.join(", "))));
        }
        if let Some((root, rel)) = &d.repo {
            for line in repos.history_of(root, rel, &a.unit, a.verdict.judged.as_ref()) {
                md.push_str(&format!("- {line}\n"));
            }
        }
    }
    Some(md)
}

/// A document rebuilt after a panic from what the client sent: the text
/// before the last batch with that batch applied again; the provenance the
/// old document held, carried over to that text by a diff if it differs,
/// or, if the old provenance does not fit its text, what the store knows;
/// the syntax tree and analysis made again. `None` if it cannot be.
fn rebuild_document(old: OpenDoc, enc: Encoding, lines: PositionLines, repos: &mut Repos) -> Option<OpenDoc> {
    let before = old.doc.text_before_last_batch();
    let (text, version) = match &old.last_batch {
        Some((version, changes)) => (recovery::replay(before, changes, enc, lines)?, *version),
        None => (before, old.version),
    };
    let language = old.doc.language();
    let held = old.doc.text().as_str();
    let provenance = (old.doc.provenance().len() == held.len())
        .then(|| {
            catch_unwind(AssertUnwindSafe(|| {
                let spans = old.doc.provenance().to_vec();
                if held == text {
                    return Some(spans);
                }
                let mut from = Document::with_parsing(language, held.to_string(), Parsing::OnDemand).ok()?;
                from.set_position_lines(lines);
                from.reset_provenance(&spans);
                let whole = Change { range: None, text: &text };
                from.apply(&[whole], enc, &Attribution::typed(), &mut RecentlyRemoved::default()).ok()?;
                (from.text().as_str() == text).then(|| from.provenance().to_vec())
            }))
            .ok()
            .flatten()
        })
        .flatten();
    let mut doc = Document::with_parsing(language, text, Parsing::OnDemand).ok()?;
    doc.set_position_lines(lines);
    let path = super::convert::file_path(&old.uri);
    let repo = path.as_deref().and_then(|p| repos.locate(p));
    // A repository whose judging is not read yet reads the store's account
    // of the document once it is (`judging_reads`).
    let ready = repo.as_ref().is_none_or(|(root, _)| repos.is_ready(root));
    let waiting = match (provenance, &repo) {
        (Some(spans), _) => {
            doc.reset_provenance(&spans);
            old.waiting
        }
        (None, Some((root, rel))) if ready => {
            if let Ok(spans) = repos.load_spans(root, rel, doc.text().as_str()) {
                doc.reset_provenance(&spans);
            }
            None
        }
        (None, Some(_)) => Some(Waiting::now(doc.text().as_str(), version)),
        (None, None) => None,
    };
    if let Some((root, _)) = &repo {
        repos.mark_seen(root);
    }
    let now = Instant::now();
    Some(OpenDoc {
        uri: old.uri,
        version,
        doc,
        repo,
        analysis: Vec::new(),
        unshown: Vec::new(),
        units_stale: true,
        dirty: Some(Dirty::since(now)),
        unrecorded: old.unrecorded.or(Some(now)),
        last_batch: None,
        faults: old.faults,
        versions: Versions::default(),
        disk: old.disk,
        disk_moved: old.disk_moved,
        analysed_cpu_micros: old.analysed_cpu_micros,
        analysed_version: None,
        lenses_lag: false,
        pending_lag: false,
        waiting,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ranges named in an older version follow the batches since: text
    /// inserted where the range starts moves it, where it ends does not
    /// grow it; a version whose batches are not all kept is not mapped.
    #[test]
    fn a_range_of_an_older_version_follows_the_edits_since() {
        use crate::document::Change;
        use crate::provenance::RecentlyRemoved;
        use tower_lsp_server::ls_types::{Position as P, Range as R};
        let mut doc = Document::new(Language::Rust, "ab\ncd\n".into()).unwrap();
        let mut versions = Versions::default();
        let step = |doc: &mut Document, versions: &mut Versions, from: i32, at: (u32, u32), text: &str| {
            let pos = crate::text::Position::new(at.0, at.1);
            let change = Change { range: Some((pos, pos)), text };
            doc.apply(&[change], Encoding::Utf16, &Attribution::typed(), &mut RecentlyRemoved::default()).unwrap();
            versions.push(from, from + 1, doc);
        };
        // v2: "X" where line 1 starts; v3: "Y" at the end of line 1.
        step(&mut doc, &mut versions, 1, (1, 0), "X");
        step(&mut doc, &mut versions, 2, (1, 3), "Y");
        assert_eq!(doc.text().as_str(), "ab\nXcdY\n");
        let then = versions.then(&doc, 1, 3, PositionLines::Lsp).expect("both batches are kept");
        assert_eq!(then.text.as_str(), "ab\ncd\n");
        // "cd" at version 1 is "cd" now, between X and Y.
        let r = R::new(P::new(1, 0), P::new(1, 2));
        assert_eq!(then.range(r, Encoding::Utf16).0, 4..6);
        assert!(versions.then(&doc, 3, 3, PositionLines::Lsp).is_none(), "the current version needs no mapping");
        assert!(versions.then(&doc, 0, 3, PositionLines::Lsp).is_none(), "version 0's batch is not kept");
    }

    #[test]
    fn a_queue_that_took_long_to_read_is_read_again_less_often() {
        assert_eq!(queue_fresh_for(Duration::from_millis(80)), QUEUE_FRESH);
        assert_eq!(queue_fresh_for(Duration::from_millis(4_200)), Duration::from_secs(42));
        for took in [0, 1, 100, 499, 500, 501, 4_200, 60_000].map(Duration::from_millis) {
            let kept = queue_fresh_for(took);
            assert!(kept >= QUEUE_FRESH, "{took:?}");
            assert!(took.as_secs_f64() <= kept.as_secs_f64() / f64::from(QUEUE_FRESH_FACTOR), "{took:?}: {kept:?}");
        }
    }
}
