//! The journal of uncommitted provenance: what language servers, agent hooks
//! and the CLI were told about AI text that is not committed yet, kept under
//! the worktree's git directory (`.git/vouch/`, or
//! `.git/worktrees/<name>/vouch/` in a linked worktree).
//!
//! It is not the place for committed provenance (git notes) nor for requests
//! and approvals (their own refs).
//!
//! # Records
//!
//! A record is schema-versioned JSON ([`Record`]): a *delta* (these ranges of
//! this file version got these attributions), a *snapshot* (the whole
//! attribution of a file version) or a *retire* (these records are covered by
//! a commit's note). A delta or snapshot names the blob of the file version
//! it describes (written into the object database, and kept reachable under
//! `refs/vouch/journal/…` while the record lives, so `git gc` keeps it) and
//! the SHA-256 of its AI text. The attribution of a file's current text is a
//! view computed from the live records and the blobs ([`Loaded::current_spans`]),
//! so text that leaves and comes back is recognized. A delta may instead
//! record that an agent removed a file whole (`removed`: who; its blob is
//! the version removed): it describes no text, only the file's absence
//! ([`Loaded::removal`]), until a commit's note covers it.
//!
//! A retirement is for good: once a commit's note covers a record, the note
//! is where that provenance lives. Should the commit leave HEAD's history
//! (`git reset`, a checkout of an older commit) with its text kept, the
//! gate, status, request and the post-commit hook read it back from that
//! commit's note, which stays with the commit reachable or not
//! (`crate::store::derive`); compaction can drop retired records safely.
//!
//! # Files
//!
//! ```text
//! .git/vouch/journal.lock                   lock: exclusive to change, shared to read
//! .git/vouch/journal/<writer>.<n>.jsonl     a segment: one writer's records
//! .git/vouch/journal/<…>.corrupt-<time>     a damaged segment, set aside
//! ```
//!
//! A segment holds one record per line: compact JSON, a tab, and the first 16
//! hex digits of the SHA-256 of that JSON. Each writer (one [`Journal`]
//! value, so one process in practice) has its own segments: it appends only
//! to them and never rewrites another's.
//!
//! # Why this layout, and why it is safe
//!
//! One segment per writer, rather than one file per record, because reading
//! a thousand spans is then a few file reads, not a thousand opens.
//!
//! - *Atomic appends.* A record is one `write` of one line, then `fdatasync`;
//!   [`Journal::append`] returns only after both. A line is valid only when
//!   it ends in a newline and its checksum matches, so a line cut short by a
//!   crash (SIGKILL, power loss) is recognized: bytes after the last newline
//!   are ignored, and they were never acknowledged. If a write fails, the
//!   segment is cut back to its last good line (or abandoned).
//! - *Concurrent writers.* Every change (append, compaction, setting aside)
//!   takes an exclusive `flock` on `journal.lock`; reads take it shared. So a
//!   reader never sees half an append or half a compaction, and the ref that
//!   keeps blobs reachable is updated by one process at a time. The kernel
//!   drops an `flock` when its process dies, however it dies.
//! - *Sealed segments.* A writer also holds an exclusive `flock` on its own
//!   segment for as long as it may append to it. A segment is created under a
//!   temporary name, locked, given its first line and only then renamed into
//!   place, so it is never visible unlocked while its writer lives. A segment
//!   nobody holds is sealed: its writer is gone, and writer ids are never
//!   reused, so nothing appends to it again.
//! - *Compaction* ([`Journal::compact`]) runs under the exclusive lock (no
//!   append can interleave) and rewrites only sealed segments it read
//!   entirely: it writes their live records to a new segment (temporary file,
//!   fsync, rename, fsync of the directory) before it deletes them. A crash in
//!   between leaves duplicates, which readers drop by record id. Retired
//!   records are dropped; a retirement is kept while any record it names still
//!   exists anywhere, so no crash point brings a retired record back.
//! - *Durable blobs.* The blob is written (and written out to the disk,
//!   when loose) and added to the reachability tree before the record's
//!   line is written, so a durable record never names a blob that could
//!   vanish. Should the ref ever be found broken, it is rebuilt from the
//!   records.
//! - *One flush per record.* An acknowledged record costs one `fsync` or
//!   `fdatasync`, whatever files it needed (a new blob, a new segment): the
//!   others are only written out, and that one flush commits them, in the
//!   way of git's `core.fsyncMethod=batch` ([`segment::Flush`]; the git
//!   setting `vouch.fsyncMethod=fsync` flushes each file and directory on
//!   its own instead).
//! - *Damage.* What a crash can leave is a torn *last* line after complete
//!   ones (ignored: it was never acknowledged), in a segment appended to;
//!   a segment written whole (compacted, salvaged) has none. Anything else
//!   is damage: a line that does not decode (a bad checksum, not a
//!   record), a torn last line of a segment written whole, a segment
//!   with no complete line (a fragment: a segment appears only once its
//!   first record is on disk) or an empty one. A damaged segment is set
//!   aside: renamed to `<name>.corrupt-<time>`, never deleted, after its
//!   intact lines were copied to a new segment; it is reported in
//!   [`Loaded::problems`], naming the files its unreadable records were
//!   about as far as the bytes still show them, and, while it stays, on
//!   every later read with what to run. So the editor can say so and the
//!   gate and the verifier refuse until the user has recorded the AI lines
//!   again and deleted the file. A damaged segment whose writer is still
//!   alive is reported but left in place until it is sealed. (A segment cut
//!   exactly at a line end, or deleted, cannot be told from a shorter one.)

mod reach;
mod record;
mod segment;
mod view;

use std::collections::VecDeque;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use git2::{ObjectType, Oid, Repository};
use time::OffsetDateTime;

pub use record::{Body, FileVersion, ModeSet, Record, RecordId, Retirement, SCHEMA_VERSION, SpanRecord};
pub use view::Unchanged;

use crate::provenance::{AiDeletion, Attribution};
use segment::{DirLock, Flush, OwnSegment, SEGMENT_EXT, SegmentRead};

/// A writer starts a new segment once its current one is this large, so
/// that a long-lived language server's records can be compacted.
const ROTATE_AT: u64 = 1 << 20;

/// [`Journal::compact_if_crowded`] compacts once there are this many
/// segments. Every short-lived writer (an agent hook, `vouch mark`) leaves
/// one segment, and every reader opens them all: this keeps a read to a few
/// files whatever the number of edits, at the cost of one compaction per
/// this many writers.
const COMPACT_AT: usize = 32;

/// Something wrong with the journal that stopped an operation.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal: {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("journal: git: {0}")]
    Git(#[from] git2::Error),
    #[error("invalid journal record: {0}")]
    Invalid(String),
    #[error("journal: cannot encode record: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("journal of {} used with the repository at {}", expected.display(), got.display())]
    WrongRepository { expected: PathBuf, got: PathBuf },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io { path: path.to_path_buf(), source }
}

/// Something in the journal that could not be read. The editor says it and
/// carries on with the rest; the gate refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A journal file is damaged (not just a last line cut short by a
    /// crash). Its intact records were kept.
    Corrupt {
        path: PathBuf,
        /// The first damaged line, from 1.
        line: usize,
        reason: String,
        /// Where the file now is, or `None` when its writer is still running
        /// (it is set aside once the writer is gone).
        set_aside: Option<PathBuf>,
        /// The files that its unreadable records name, as far as the damaged
        /// bytes still show them.
        mentions: Vec<String>,
    },
    /// A file set aside earlier, still there: the gate refuses until someone
    /// has looked at it, recorded again what it lost, and deleted it.
    SetAside { path: PathBuf, mentions: Vec<String> },
    /// An intact record written by a newer vouch.
    UnsupportedVersion { path: PathBuf, line: usize, version: u64 },
    /// A record whose file version cannot be used (its blob is missing, or
    /// its spans do not fit it).
    Record { id: RecordId, path: String, reason: String },
}

impl Problem {
    /// The journal file the problem is in, if it is about one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Problem::Corrupt { path, .. }
            | Problem::SetAside { path, .. }
            | Problem::UnsupportedVersion { path, .. } => Some(path),
            Problem::Record { .. } => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Corrupt { path, line, reason, set_aside, mentions } => {
                write!(f, "journal file {} is damaged at line {line} ({reason})", path.display())?;
                lost(f, mentions)?;
                match set_aside {
                    Some(to) => {
                        write!(f, "; its intact records were kept and it was moved to {}", to.display())?;
                        decide(f, to)
                    }
                    None => write!(f, "; it is still being written, so it was left in place"),
                }
            }
            Problem::SetAside { path, mentions } => {
                write!(f, "journal file {} was set aside as damaged", path.display())?;
                lost(f, mentions)?;
                decide(f, path)
            }
            Problem::UnsupportedVersion { path, line, version } => write!(
                f,
                "journal file {} line {line} has record schema {version}, newer than this vouch reads ({SCHEMA_VERSION})",
                path.display()
            ),
            Problem::Record { id, path, reason } => write!(f, "journal record {id} for {path}: {reason}"),
        }
    }
}

/// What a damaged file's lost records were about.
fn lost(f: &mut fmt::Formatter<'_>, mentions: &[String]) -> fmt::Result {
    match mentions {
        [] => write!(f, "; which files its unreadable records were about cannot be read from it"),
        paths => write!(f, "; its unreadable records were about {}", paths.join(", ")),
    }
}

/// What the user runs once they have looked at a set-aside file: until it
/// is gone the gate refuses, so provenance is never lost silently.
fn decide(f: &mut fmt::Formatter<'_>, aside: &Path) -> fmt::Result {
    write!(
        f,
        ". The gate refuses until you decide: record the AI lines it held again (vouch mark PATH:FIRST-LAST --ai), \
         then delete it (rm '{}')",
        aside.display()
    )
}

impl std::error::Error for Problem {}

/// What a new record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// These ranges got these attributions; the rest is not described.
    Delta,
    /// The whole attribution of the file at this version.
    Snapshot,
}

/// A delta or snapshot to append.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub kind: EntryKind,
    /// Repository-relative, with forward slashes.
    pub path: &'a str,
    /// The file version the spans describe: its bytes (UTF-8 text, or
    /// bytes that are not UTF-8, or a submodule's commit id in hex).
    pub text: &'a [u8],
    /// Byte ranges of `text`, disjoint, on character boundaries when it is
    /// UTF-8; empty ranges are dropped.
    pub spans: &'a [(Range<usize>, Attribution)],
    pub rationale: Option<&'a str>,
    pub accepted_at: Option<OffsetDateTime>,
    /// Where lines were removed, as byte offsets of `text` (each the start
    /// of a line, or its end), with who removed them.
    pub deletions: &'a [AiDeletion],
    /// Who removed the file whole, for a record of its removal: `text` is
    /// then the version removed, and `spans` and `deletions` are empty.
    pub removed: Option<&'a Attribution>,
    /// The mode an agent set on the file (as git writes it), and who, for
    /// a record of a change of its mode: `text` is then the version whose
    /// mode changed, and `spans` and `deletions` are empty.
    pub mode: Option<(&'a str, &'a Attribution)>,
}

impl<'a> Entry<'a> {
    pub fn delta(
        path: &'a str,
        text: &'a (impl AsRef<[u8]> + ?Sized),
        spans: &'a [(Range<usize>, Attribution)],
    ) -> Entry<'a> {
        Entry {
            kind: EntryKind::Delta,
            path,
            text: text.as_ref(),
            spans,
            rationale: None,
            accepted_at: None,
            deletions: &[],
            removed: None,
            mode: None,
        }
    }

    /// A record that `by` removed file `path` whole, whose last version
    /// was `text`.
    pub fn removal(path: &'a str, text: &'a (impl AsRef<[u8]> + ?Sized), by: &'a Attribution) -> Entry<'a> {
        Entry { removed: Some(by), ..Entry::delta(path, text, &[]) }
    }

    /// A record that `by` set the mode of file `path`, whose text is
    /// `text`, to `mode` (as git writes it: `100755`, `100644`).
    pub fn mode_set(
        path: &'a str,
        text: &'a (impl AsRef<[u8]> + ?Sized),
        mode: &'a str,
        by: &'a Attribution,
    ) -> Entry<'a> {
        Entry { mode: Some((mode, by)), ..Entry::delta(path, text, &[]) }
    }

    pub fn snapshot(
        path: &'a str,
        text: &'a (impl AsRef<[u8]> + ?Sized),
        spans: &'a [(Range<usize>, Attribution)],
    ) -> Entry<'a> {
        Entry { kind: EntryKind::Snapshot, ..Entry::delta(path, text, spans) }
    }
}

/// Everything the journal holds, as read.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every record (deltas, snapshots, retirements, live or retired), each
    /// id once, in time order.
    pub records: Vec<Record>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    retired: HashSet<RecordId>,
}

impl Loaded {
    fn new(reads: Vec<SegmentRead>, problems: Vec<Problem>) -> Loaded {
        let mut seen = HashSet::new();
        let mut retired = HashSet::new();
        let mut records = Vec::new();
        for record in reads.into_iter().flat_map(|r| r.records) {
            if let Body::Retire(r) = &record.body {
                // Copies of one retirement may differ (compaction trims them):
                // what any copy retires is retired.
                retired.extend(r.ids.iter().cloned());
            }
            if seen.insert(record.id.clone()) {
                records.push(record);
            }
        }
        records.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        Loaded { records, problems, retired }
    }

    /// These records but those `left_out`: what the journal said before
    /// they were written (retirements still count).
    pub fn without(&self, left_out: impl Fn(&Record) -> bool) -> Loaded {
        Loaded {
            records: self.records.iter().filter(|r| !left_out(r)).cloned().collect(),
            problems: self.problems.clone(),
            retired: self.retired.clone(),
        }
    }

    pub fn is_retired(&self, id: &RecordId) -> bool {
        self.retired.contains(id)
    }

    /// The deltas and snapshots that still count, in time order.
    pub fn live(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(|r| r.file().is_some() && !self.retired.contains(&r.id))
    }

    /// The live records of the text of `path`, in time order (records of
    /// its removal or of a change of its mode describe no text: see
    /// [`Loaded::removal`], [`Loaded::mode_changes`]).
    pub fn records_for(&self, path: &str) -> Vec<&Record> {
        self.live().filter(|r| r.path() == Some(path) && r.file().is_some_and(FileVersion::describes_text)).collect()
    }

    /// Every live record of an agent's change of a file's mode, in time
    /// order. It speaks for the mode wherever the file has it, until a
    /// commit's note covers it (the commit set that mode) or the file no
    /// longer has it: see `cli::commit_note`.
    pub fn mode_changes(&self) -> impl Iterator<Item = (&Record, &ModeSet)> {
        self.live().filter_map(|r| Some((r, r.file()?.mode.as_ref()?)))
    }

    /// The latest live record that an agent removed file `path` whole.
    /// It speaks for the file's absence wherever the file is absent, until
    /// a commit's note covers it (the commit removed the file, or has it
    /// back): see `cli::commit_note`.
    pub fn removal(&self, path: &str) -> Option<(&Record, &Attribution)> {
        self.removals().filter(|(r, _)| r.path() == Some(path)).last()
    }

    /// Every live record of an agent's removal of a file, in time order,
    /// with who removed it.
    pub fn removals(&self) -> impl Iterator<Item = (&Record, &Attribution)> {
        self.live().filter_map(|r| Some((r, r.file()?.removed.as_ref()?)))
    }

    /// The attribution of every byte of `current`, the text of `path` now
    /// (sorted ranges covering it; what no record speaks for is unknown).
    ///
    /// Each live record is carried from its file version onto `current` (see
    /// [`crate::provenance::reanchor`]); later records override earlier ones,
    /// a snapshot overrides earlier records for the text it holds, and a
    /// record's span whose text is back unchanged counts again. Blobs are read
    /// and diffed once per call.
    pub fn current_spans(&self, repo: &Repository, path: &str, current: &str) -> View {
        self.view(repo, path, current, None, true)
    }

    fn view(
        &self,
        repo: &Repository,
        path: &str,
        current: &str,
        cache: Option<&Mutex<BlobCache>>,
        guesses: bool,
    ) -> View {
        let records = self.records_for(path);
        let current_blob = Oid::hash_object(ObjectType::Blob, current.as_bytes()).ok().map(|id| id.to_string());
        let mut text_of = |hex: &str| version_text(repo, hex, cache);
        let (spans, mut unusable, unchanged) =
            view::view(&records, current, current_blob.as_deref(), &mut text_of, guesses);
        let deletions = if records.iter().any(|r| r.file().is_some_and(|f| !f.deletions.is_empty())) {
            let (deletions, more) = view::deletions(&records, current, current_blob.as_deref(), &mut text_of);
            unusable.extend(more);
            deletions
        } else {
            Vec::new()
        };
        let problems =
            unusable.into_iter().map(|(id, reason)| Problem::Record { id, path: path.to_string(), reason }).collect();
        View { spans, deletions, problems, unchanged }
    }
}

/// The text of the file version (blob) `hex`, through `cache`.
fn version_text(repo: &Repository, hex: &str, cache: Option<&Mutex<BlobCache>>) -> Result<Arc<str>, String> {
    let cached = cache.and_then(|c| c.lock().unwrap_or_else(PoisonError::into_inner).get(hex));
    if let Some(text) = cached {
        return Ok(text);
    }
    let id = Oid::from_str(hex).map_err(|_| format!("blob id {hex:?} is not an object id"))?;
    let blob = repo.find_blob(id).map_err(|e| format!("blob {hex} cannot be read: {}", e.message()))?;
    let text: Arc<str> =
        std::str::from_utf8(blob.content()).map(Arc::from).map_err(|_| format!("blob {hex} is not UTF-8"))?;
    if let Some(cache) = cache {
        cache.lock().unwrap_or_else(PoisonError::into_inner).put(hex, text.clone());
    }
    Ok(text)
}

/// Texts of file versions read lately. Blobs never change, so an entry is
/// never stale; the cache only bounds its memory.
#[derive(Default)]
struct BlobCache {
    texts: std::collections::HashMap<String, Arc<str>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl BlobCache {
    const MAX_BYTES: usize = 64 << 20;

    fn get(&self, hex: &str) -> Option<Arc<str>> {
        self.texts.get(hex).cloned()
    }

    fn put(&mut self, hex: &str, text: Arc<str>) {
        if text.len() > Self::MAX_BYTES / 4 || self.texts.contains_key(hex) {
            return;
        }
        while self.bytes + text.len() > Self::MAX_BYTES {
            let Some(old) = self.order.pop_front() else { break };
            self.bytes -= self.texts.remove(&old).map_or(0, |t| t.len());
        }
        self.bytes += text.len();
        self.order.push_back(hex.to_string());
        self.texts.insert(hex.to_string(), text);
    }
}

/// The attribution of a file's current text, and the records that could not
/// be used for it.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub spans: Vec<(Range<usize>, Attribution)>,
    /// Where agents removed lines, as byte offsets of the current text.
    pub deletions: Vec<AiDeletion>,
    pub problems: Vec<Problem>,
    /// The unchanged lines of the versions the view diffed against the
    /// current text, by blob id: a caller comparing those versions with it
    /// again (which records a commit covers) diffs nothing twice.
    pub unchanged: view::Unchanged,
}

/// What a compaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compaction {
    /// Sealed segments merged into one.
    pub segments_rewritten: usize,
    /// Records copied to the new segment.
    pub records_kept: usize,
    /// Retired records, spent retirements and duplicates left out.
    pub records_dropped: usize,
    /// Blobs kept reachable for the live records.
    pub blobs_kept: usize,
}

/// The journal of one worktree, and this process's writer in it.
///
/// `Journal` is `Send + Sync`; appends from several threads are serialized.
/// Functions that touch git take the repository it was opened with.
pub struct Journal {
    git_dir: PathBuf,
    dir: PathBuf,
    lock_path: PathBuf,
    ref_name: String,
    writer: String,
    flush: Flush,
    state: Mutex<WriterState>,
    blobs: Mutex<BlobCache>,
}

struct WriterState {
    seq: u64,
    files: u32,
    own: Option<OwnSegment>,
    last_time: OffsetDateTime,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal").field("dir", &self.dir).field("writer", &self.writer).finish()
    }
}

impl Journal {
    /// The journal of `repo`'s worktree. Nothing is created until the first
    /// write.
    pub fn open(repo: &Repository) -> Result<Journal, JournalError> {
        let git_dir = repo.path().to_path_buf();
        let root = git_dir.join("vouch");
        Ok(Journal {
            dir: root.join("journal"),
            lock_path: root.join("journal.lock"),
            ref_name: reach::ref_name(repo),
            writer: new_writer_id(),
            flush: Flush::of(repo),
            state: Mutex::new(WriterState { seq: 0, files: 0, own: None, last_time: OffsetDateTime::UNIX_EPOCH }),
            blobs: Mutex::default(),
            git_dir,
        })
    }

    /// The directory of segments.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// This writer's id, as records name it.
    pub fn writer(&self) -> &str {
        &self.writer
    }

    /// The ref that keeps the live records' blobs reachable.
    pub fn keep_ref(&self) -> &str {
        &self.ref_name
    }

    /// Append a delta or snapshot; returns once it is durable.
    pub fn append(&self, repo: &Repository, entry: Entry<'_>) -> Result<RecordId, JournalError> {
        self.check_repo(repo)?;
        check_path(entry.path)?;
        if entry.removed.is_some() && (!entry.spans.is_empty() || !entry.deletions.is_empty()) {
            return Err(JournalError::Invalid("a record of a file's removal describes no text".into()));
        }
        if let Some((mode, _)) = entry.mode {
            if entry.removed.is_some() || !entry.spans.is_empty() || !entry.deletions.is_empty() {
                return Err(JournalError::Invalid("a record of a change of a file's mode describes no text".into()));
            }
            if !matches!(mode, "100644" | "100755") {
                return Err(JournalError::Invalid(format!("{mode:?} is not the mode of a regular file")));
            }
        }
        let spans = check_spans(entry.text, entry.spans)?;
        let mut ai = Vec::new();
        for span in spans.iter().filter(|s| s.attribution.is_ai()) {
            ai.extend_from_slice(&entry.text[span.start..span.end]);
        }
        let bytes = entry.text;
        let blob = Oid::hash_object(ObjectType::Blob, bytes)?;
        if !repo.odb()?.exists(blob) {
            crate::store::repo::retry_object_write(|| repo.blob(bytes))?;
            reach::sync_loose_object(repo, blob, self.flush).map_err(io_at(repo.commondir()))?;
        }
        let file = FileVersion {
            path: entry.path.to_string(),
            blob: blob.to_string(),
            ai_sha256: crate::fingerprint::sha256_hex(&ai),
            spans,
            rationale: entry.rationale.map(str::to_string),
            accepted_at: entry.accepted_at,
            deletions: check_deletions(entry.text, entry.deletions)?,
            removed: entry.removed.cloned(),
            mode: entry.mode.map(|(mode, by)| ModeSet { mode: mode.to_string(), by: by.clone() }),
        };
        let body = match entry.kind {
            EntryKind::Delta => Body::Delta(file),
            EntryKind::Snapshot => Body::Snapshot(file),
        };
        self.write(Some((repo, blob)), body)
    }

    /// Record that `ids` are covered by the note on `note_commit`: they no
    /// longer count. Returns once it is durable.
    pub fn retire(&self, ids: &[RecordId], note_commit: Oid) -> Result<RecordId, JournalError> {
        if ids.is_empty() {
            return Err(JournalError::Invalid("a retirement names no records".into()));
        }
        self.write(None, Body::Retire(Retirement { ids: ids.to_vec(), note_commit: note_commit.to_string() }))
    }

    fn write(&self, keep: Option<(&Repository, Oid)>, body: Body) -> Result<RecordId, JournalError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.create_dir()?;
        let _lock = DirLock::exclusive(&self.lock_path).map_err(io_at(&self.lock_path))?;
        if let Some((repo, blob)) = keep {
            self.keep_reachable(repo, blob)?;
        }
        state.seq += 1;
        let id = RecordId::new(&self.writer, state.seq);
        let time = OffsetDateTime::now_utc().max(state.last_time);
        state.last_time = time;
        let record = Record { schema: SCHEMA_VERSION, id: id.clone(), time, writer: self.writer.clone(), body };
        let line = record::encode(&record)?;
        match state.own.as_mut().filter(|own| own.len() < ROTATE_AT) {
            Some(own) => {
                if let Err(e) = own.append(&line) {
                    let path = own.path().to_path_buf();
                    if !e.segment_usable {
                        state.own = None;
                    }
                    return Err(JournalError::Io { path, source: e.error });
                }
            }
            None => {
                // Dropping the old segment unlocks it: it is sealed.
                state.own = None;
                state.files += 1;
                let name = format!("{}.{}{SEGMENT_EXT}", self.writer, state.files);
                state.own = Some(
                    OwnSegment::create(&self.dir, &name, &line, self.flush).map_err(io_at(&self.dir.join(&name)))?,
                );
            }
        }
        Ok(id)
    }

    /// Create the journal directory, durably, if it is not there yet.
    fn create_dir(&self) -> Result<(), JournalError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir).map_err(io_at(&self.dir))?;
        // With a batch flush, the flush that ends the write commits the new
        // directories' names too.
        if self.flush == Flush::Batch {
            return Ok(());
        }
        for dir in [self.dir.parent().unwrap_or(&self.git_dir), &self.git_dir] {
            segment::sync_dir(dir).map_err(io_at(dir))?;
        }
        Ok(())
    }

    /// Keep `blob` reachable; the caller holds the exclusive lock.
    fn keep_reachable(&self, repo: &Repository, blob: Oid) -> Result<(), JournalError> {
        use crate::store::repo::retry_object_write;
        if retry_object_write(|| reach::keep(repo, &self.ref_name, blob))? == reach::Kept::Broken {
            let mut blobs = live_blobs(&self.read_all()?);
            blobs.insert(blob);
            retry_object_write(|| reach::set(repo, &self.ref_name, &blobs))?;
        }
        Ok(())
    }

    /// Read every segment; the caller holds a lock.
    fn read_all(&self) -> Result<Vec<SegmentRead>, JournalError> {
        let listing = segment::list(&self.dir).map_err(io_at(&self.dir))?;
        let mut reads = Vec::with_capacity(listing.segments.len());
        for path in &listing.segments {
            reads.extend(segment::read(path).map_err(io_at(path))?);
        }
        Ok(reads)
    }

    /// Everything in the journal, with what could not be read. A damaged
    /// segment is set aside here (see the module documentation).
    pub fn records(&self) -> Result<Loaded, JournalError> {
        if !self.dir.exists() {
            return Ok(Loaded::default());
        }
        {
            let _lock = DirLock::shared(&self.lock_path).map_err(io_at(&self.lock_path))?;
            let (reads, problems) = self.scan()?;
            if reads.iter().all(|r| r.corrupt.is_none()) {
                return Ok(Loaded::new(reads, problems));
            }
        }
        // Setting a file aside changes the journal: take the lock for that
        // and read again, as it may have changed in between.
        let _lock = DirLock::exclusive(&self.lock_path).map_err(io_at(&self.lock_path))?;
        let (reads, mut problems) = self.scan()?;
        for read in reads.iter().filter(|r| r.corrupt.is_some()) {
            problems.push(self.set_aside(read)?);
        }
        Ok(Loaded::new(reads, problems))
    }

    /// The damaged segments set aside and not yet deleted by the user (see
    /// "Damage" above): while one stays, records it held may be missing,
    /// and nothing may be attested "no AI".
    pub fn set_aside_segments(&self) -> Result<Vec<PathBuf>, JournalError> {
        Ok(segment::list(&self.dir).map_err(io_at(&self.dir))?.set_aside)
    }

    /// What the journal holds now, in a few bytes: each segment's name,
    /// length and time of change. Records are only ever appended to a
    /// segment or written in a new one (compaction), so a journal with a
    /// record more never has the same state. `None` when it cannot be
    /// read.
    pub fn state(&self) -> Option<String> {
        use std::fmt::Write as _;
        let listing = segment::list(&self.dir).ok()?;
        let mut state = String::new();
        for path in listing.segments.iter().chain(&listing.set_aside) {
            let meta = std::fs::metadata(path).ok()?;
            let changed = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
            let name = path.file_name()?.to_string_lossy();
            let _ = write!(state, "{name}:{}:{};", meta.len(), changed.as_nanos());
        }
        Some(state)
    }

    /// Whether `repo`'s worktree's journal may lack records: a damaged
    /// segment is set aside ([`Journal::set_aside_segments`]), or that
    /// cannot be told.
    pub fn damaged(repo: &Repository) -> bool {
        !Journal::open(repo).and_then(|j| j.set_aside_segments()).is_ok_and(|aside| aside.is_empty())
    }

    /// Read every segment and report what was set aside earlier or is too
    /// new to read.
    fn scan(&self) -> Result<(Vec<SegmentRead>, Vec<Problem>), JournalError> {
        let listing = segment::list(&self.dir).map_err(io_at(&self.dir))?;
        let mut problems: Vec<Problem> = listing
            .set_aside
            .iter()
            .map(|path| {
                let mentions = segment::read(path).ok().flatten().map(|read| read.mentions).unwrap_or_default();
                Problem::SetAside { path: path.clone(), mentions }
            })
            .collect();
        let mut reads = Vec::with_capacity(listing.segments.len());
        for path in &listing.segments {
            let Some(read) = segment::read(path).map_err(io_at(path))? else { continue };
            problems.extend(read.unsupported.iter().map(|(line, version, _)| Problem::UnsupportedVersion {
                path: path.clone(),
                line: *line,
                version: *version,
            }));
            reads.push(read);
        }
        Ok((reads, problems))
    }

    /// Set a damaged segment aside, once its writer is gone, after copying
    /// its intact lines to a new segment. The caller holds the exclusive lock.
    fn set_aside(&self, read: &SegmentRead) -> Result<Problem, JournalError> {
        let (line, reason) = read.corrupt.clone().unwrap_or_default();
        let path = read.path.clone();
        let mentions = read.mentions.clone();
        let Some(_sealed) = segment::try_seal(&path).map_err(io_at(&path))? else {
            return Ok(Problem::Corrupt { path, line, reason, set_aside: None, mentions });
        };
        let mut bytes = Vec::new();
        for record in &read.records {
            bytes.extend(record::encode(record)?);
        }
        for (_, _, raw) in &read.unsupported {
            bytes.extend_from_slice(raw);
            bytes.push(b'\n');
        }
        if !bytes.is_empty() {
            let name = self.next_file_name(segment::SALVAGED);
            segment::write_atomic(&self.dir, &name, &bytes).map_err(io_at(&self.dir.join(&name)))?;
        }
        let to = crate::store::set_aside_path(&path);
        fs::rename(&path, &to).map_err(io_at(&path))?;
        segment::sync_dir(&self.dir).map_err(io_at(&self.dir))?;
        Ok(Problem::Corrupt { path, line, reason, set_aside: Some(to), mentions })
    }

    fn next_file_name(&self, what: &str) -> String {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.files += 1;
        format!("{}.{}-{what}{SEGMENT_EXT}", self.writer, state.files)
    }

    /// The live records of `path` carried onto its current text; see
    /// [`Loaded::current_spans`]. Problems reading the journal come first in
    /// the view's problems.
    pub fn current_spans(&self, repo: &Repository, path: &str, current: &str) -> Result<View, JournalError> {
        let loaded = self.records()?;
        let mut view = self.view(repo, &loaded, path, current)?;
        view.problems.splice(0..0, loaded.problems);
        Ok(view)
    }

    /// [`Loaded::current_spans`], keeping the file versions it reads for
    /// later calls (a language server viewing many files, or one file
    /// again).
    pub fn view(&self, repo: &Repository, loaded: &Loaded, path: &str, current: &str) -> Result<View, JournalError> {
        self.check_repo(repo)?;
        Ok(loaded.view(repo, path, current, Some(&self.blobs), true))
    }

    /// [`Journal::view`] of a text that did not grow out of the records'
    /// versions (a commit of another worktree's): only text unchanged since
    /// a record counts; none changed inside a span inherits it.
    pub fn view_unchanged(
        &self,
        repo: &Repository,
        loaded: &Loaded,
        path: &str,
        current: &str,
    ) -> Result<View, JournalError> {
        self.check_repo(repo)?;
        Ok(loaded.view(repo, path, current, Some(&self.blobs), false))
    }

    /// [`Journal::compact`], when the journal holds [`COMPACT_AT`] segments
    /// or more; otherwise only a directory listing. For writers that leave
    /// a segment behind them (agent hooks, the CLI, the post-commit hook).
    pub fn compact_if_crowded(&self, repo: &Repository) -> Result<Option<Compaction>, JournalError> {
        let listing = segment::list(&self.dir).map_err(io_at(&self.dir))?;
        if listing.segments.len() < COMPACT_AT {
            return Ok(None);
        }
        self.compact(repo).map(Some)
    }

    /// The text of the file version a record names (its blob, `hex`), kept
    /// with those [`Journal::view`] read: a caller that looks at the same
    /// records after a view reads no blob twice.
    pub fn version_text(&self, repo: &Repository, hex: &str) -> Result<Arc<str>, String> {
        version_text(repo, hex, Some(&self.blobs))
    }

    /// Merge sealed segments into one, leaving out retired records, spent
    /// retirements and duplicates, and let go of the blobs only they needed.
    ///
    /// Safe with concurrent appends and readers: it runs under the exclusive
    /// lock, rewrites only sealed segments that it read entirely, and writes
    /// the new segment before it deletes the old ones (see the module
    /// documentation). Segments of running writers are left alone.
    pub fn compact(&self, repo: &Repository) -> Result<Compaction, JournalError> {
        self.check_repo(repo)?;
        let mut done = Compaction::default();
        if !self.dir.exists() {
            return Ok(done);
        }
        let _lock = DirLock::exclusive(&self.lock_path).map_err(io_at(&self.lock_path))?;
        let listing = segment::list(&self.dir).map_err(io_at(&self.dir))?;
        // Every temporary file is written under this lock: any left is an
        // orphan of a crash.
        for (temp, _) in &listing.temps {
            fs::remove_file(temp).map_err(io_at(temp))?;
        }
        let mut reads = Vec::with_capacity(listing.segments.len());
        for path in &listing.segments {
            reads.extend(segment::read(path).map_err(io_at(path))?);
        }
        let all = || reads.iter().flat_map(|r| &r.records);
        let present: HashSet<&RecordId> = all().filter(|r| r.file().is_some()).map(|r| &r.id).collect();
        let retired: HashSet<&RecordId> = all()
            .filter_map(|r| match &r.body {
                Body::Retire(ret) => Some(&ret.ids),
                _ => None,
            })
            .flatten()
            .collect();

        let mut sealed = Vec::new();
        for (i, read) in reads.iter().enumerate() {
            if read.fully_read()
                && let Some(guard) = segment::try_seal(&read.path).map_err(io_at(&read.path))?
            {
                sealed.push((i, guard));
            }
        }
        let mut seen = HashSet::new();
        let mut kept: Vec<Record> = Vec::new();
        let mut dropped = 0;
        for (i, _) in &sealed {
            for record in &reads[*i].records {
                if !seen.insert(&record.id) {
                    dropped += 1;
                    continue;
                }
                match &record.body {
                    Body::Retire(ret) => {
                        // Kept while a record it retires exists anywhere, even
                        // in a segment about to be deleted: a crash before the
                        // delete must not bring that record back.
                        let ids: Vec<RecordId> = ret.ids.iter().filter(|id| present.contains(id)).cloned().collect();
                        if ids.is_empty() {
                            dropped += 1;
                        } else {
                            if ids.len() < ret.ids.len() {
                                dropped += 1;
                            }
                            let trimmed = Retirement { ids, note_commit: ret.note_commit.clone() };
                            kept.push(Record { body: Body::Retire(trimmed), ..record.clone() });
                        }
                    }
                    _ if retired.contains(&record.id) => dropped += 1,
                    _ => kept.push(record.clone()),
                }
            }
        }
        let torn = sealed.iter().any(|(i, _)| reads[*i].torn_tail);
        let rewrite = sealed.len() > 1 || (sealed.len() == 1 && (dropped > 0 || torn));
        let mut remaining: Vec<&Record> = Vec::new();
        let rewritten: HashSet<usize> = if rewrite { sealed.iter().map(|(i, _)| *i).collect() } else { HashSet::new() };
        for (_, read) in reads.iter().enumerate().filter(|(i, _)| !rewritten.contains(i)) {
            remaining.extend(&read.records);
        }
        if rewrite {
            kept.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
            if !kept.is_empty() {
                let mut bytes = Vec::new();
                for record in &kept {
                    bytes.extend(record::encode(record)?);
                }
                let name = self.next_file_name(segment::COMPACTED);
                segment::write_atomic(&self.dir, &name, &bytes).map_err(io_at(&self.dir.join(&name)))?;
            }
            for (i, _) in &sealed {
                fs::remove_file(&reads[*i].path).map_err(io_at(&reads[*i].path))?;
            }
            segment::sync_dir(&self.dir).map_err(io_at(&self.dir))?;
            done.segments_rewritten = sealed.len();
            done.records_kept = kept.len();
            done.records_dropped = dropped;
            remaining.extend(&kept);
        }
        drop(sealed);

        // Let go of the blobs only retired records needed; keep everything
        // if some line could not be understood (it may name a blob). When
        // no record is retired and every line was read, every record lives
        // and the tree already holds its blob (appends put it there): the
        // tree is left as it is, rather than written again blob by blob.
        let fully_read = reads.iter().all(|r| r.fully_read());
        if fully_read && !present.iter().any(|id| retired.contains(id)) && !reach::is_broken(repo, &self.ref_name) {
            done.blobs_kept = live_blobs(&reads).len();
            return Ok(done);
        }
        let retired: HashSet<RecordId> = retired.into_iter().cloned().collect();
        let mut blobs: BTreeSet<Oid> = remaining
            .iter()
            .filter(|r| !retired.contains(&r.id))
            .filter_map(|r| r.file().and_then(|f| Oid::from_str(&f.blob).ok()))
            .collect();
        if !fully_read {
            blobs.extend(reach::blobs(repo, &self.ref_name).unwrap_or_default());
        }
        reach::set(repo, &self.ref_name, &blobs)?;
        done.blobs_kept = blobs.len();
        Ok(done)
    }

    fn check_repo(&self, repo: &Repository) -> Result<(), JournalError> {
        if repo.path() == self.git_dir {
            Ok(())
        } else {
            Err(JournalError::WrongRepository { expected: self.git_dir.clone(), got: repo.path().to_path_buf() })
        }
    }
}

/// The blobs that the live records of `reads` name.
fn live_blobs(reads: &[SegmentRead]) -> BTreeSet<Oid> {
    let all = || reads.iter().flat_map(|r| &r.records);
    let retired: HashSet<&RecordId> = all()
        .filter_map(|r| match &r.body {
            Body::Retire(ret) => Some(&ret.ids),
            _ => None,
        })
        .flatten()
        .collect();
    all()
        .filter(|r| !retired.contains(&r.id))
        .filter_map(|r| r.file().and_then(|f| Oid::from_str(&f.blob).ok()))
        .collect()
}

/// A writer id unique across processes and time: seconds, process id and 32
/// random bits.
fn new_writer_id() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    format!("{}-{}-{:08x}", now.as_secs(), std::process::id(), hasher.finish() as u32)
}

/// A repository-relative path with forward slashes. A backslash is a
/// character of a name, as git takes it (`build\out.log` written on
/// Linux).
fn check_path(path: &str) -> Result<(), JournalError> {
    let bad = path.is_empty() || path.contains('\0') || path.split('/').any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        return Err(JournalError::Invalid(format!("path {path:?} is not repository-relative with forward slashes")));
    }
    Ok(())
}

/// The spans, sorted, checked against `text`, without empty ones.
fn check_spans(bytes: &[u8], spans: &[(Range<usize>, Attribution)]) -> Result<Vec<SpanRecord>, JournalError> {
    let text = std::str::from_utf8(bytes).ok();
    let mut out: Vec<SpanRecord> = spans
        .iter()
        .filter(|(r, _)| !r.is_empty())
        .map(|(r, a)| SpanRecord { start: r.start, end: r.end, attribution: a.clone() })
        .collect();
    out.sort_by_key(|s| s.start);
    let mut at = 0;
    for s in &out {
        if s.end < s.start || s.end > bytes.len() {
            return Err(JournalError::Invalid(format!(
                "span {}..{} is outside the {} byte text",
                s.start,
                s.end,
                bytes.len()
            )));
        }
        if text.is_some_and(|text| !text.is_char_boundary(s.start) || !text.is_char_boundary(s.end)) {
            return Err(JournalError::Invalid(format!("span {}..{} splits a character", s.start, s.end)));
        }
        if s.start < at {
            return Err(JournalError::Invalid(format!("span {}..{} overlaps the span before it", s.start, s.end)));
        }
        at = s.end;
    }
    Ok(out)
}

/// The places of deletions, sorted, checked against `bytes`: each at the
/// start of a line or at the end, in a text.
fn check_deletions(bytes: &[u8], deletions: &[AiDeletion]) -> Result<Vec<AiDeletion>, JournalError> {
    if deletions.is_empty() {
        return Ok(Vec::new());
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(JournalError::Invalid("deletions are recorded in text files only".into()));
    }
    let mut out = deletions.to_vec();
    out.sort_by_key(|d| d.at);
    out.dedup_by_key(|d| d.at);
    for d in &out {
        let at_line = d.at == bytes.len() || d.at == 0 || bytes.get(d.at - 1) == Some(&b'\n');
        if d.at > bytes.len() || !at_line {
            return Err(JournalError::Invalid(format!(
                "deletion at byte {} is not at the start of a line of the {} byte text",
                d.at,
                bytes.len()
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_be_repository_relative() {
        for good in ["a.rs", "src/a.rs", "a b/c.d", "build\\out.log"] {
            assert!(check_path(good).is_ok(), "{good}");
        }
        for bad in ["", "/abs", "a//b", "a/./b", "../up", "a\0b", "dir/"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spans_are_checked_and_sorted() {
        let a = Attribution::typed();
        let text = "héllo world";
        let got = check_spans(text.as_bytes(), &[(7..12, a.clone()), (0..1, a.clone()), (3..3, a.clone())]).unwrap();
        assert_eq!(got.iter().map(|s| s.start..s.end).collect::<Vec<_>>(), vec![0..1, 7..12]);
        assert!(check_spans(text.as_bytes(), &[(0..2, a.clone())]).is_err(), "splits é");
        assert!(check_spans(text.as_bytes(), &[(0..13, a.clone())]).is_err(), "past the end");
        assert!(check_spans(text.as_bytes(), &[(0..5, a.clone()), (4..6, a.clone())]).is_err(), "overlap");
    }

    #[test]
    fn places_of_deletions_are_line_starts_of_a_text() {
        let removed = |at: usize| AiDeletion {
            at,
            lines: 2,
            first: String::new(),
            attribution: Attribution::typed(),
            replaced: 0,
        };
        let text = b"one\ntwo\n";
        let got = check_deletions(text, &[removed(8), removed(0), removed(4), removed(4)]).unwrap();
        assert_eq!(got.iter().map(|d| d.at).collect::<Vec<_>>(), [0, 4, 8], "sorted, one per place");
        assert!(check_deletions(text, &[removed(2)]).is_err(), "inside a line");
        assert!(check_deletions(text, &[removed(9)]).is_err(), "past the end");
        assert!(check_deletions(b"\xff\n", &[removed(0)]).is_err(), "not text");
    }

    #[test]
    fn a_journal_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Journal>();
        shared::<Loaded>();
    }

    #[test]
    fn writer_ids_differ() {
        assert_ne!(new_writer_id(), new_writer_id());
    }
}
