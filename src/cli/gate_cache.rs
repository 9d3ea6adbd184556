//! What the pre-commit gate found, kept for the post-commit hook: for each
//! staged file version (path and blob), the journal's AI spans and AI
//! deletions, the units
//! with the approvals that count for them and their request's rationale,
//! the journal records that a commit of it covers, and the journal's
//! records of files agents removed whole. The post-commit hook
//! takes it (reads and removes it) and uses an entry only for a committed
//! file whose blob is the one the gate saw, so it never describes other
//! content; without it (a commit with `--no-verify`), the hook works it all
//! out again. The gate's findings hold for one commit only: that of the
//! HEAD it saw, with the journal as it was when the gate began. A cache
//! left by a gate whose commit was not made (refused, or abandoned at the
//! message) is stale once HEAD moves or a record is added (an agent's
//! removal of a file, `vouch mark`): the hook then works it out again.
//!
//! It lives at `<worktree git dir>/vouch/gate-cache.json`: per worktree, as
//! the index is.

use std::ops::Range;
use std::path::PathBuf;

use git2::Repository;
use serde::{Deserialize, Serialize};

use crate::provenance::{AiDeletion, Attribution};
use crate::store::journal::{Journal, RecordId};

const VERSION: u32 = 3;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GateCache {
    v: u32,
    /// What the gate's findings came from.
    #[serde(default)]
    stamp: Stamp,
    pub files: Vec<CachedFile>,
    /// The journal's live records of files agents removed whole, as the
    /// gate read them; `None` when not known (then the post-commit hook
    /// reads the journal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removals: Option<Vec<CachedRemoval>>,
    /// The journal's live records of changes agents made to files' modes,
    /// as the gate read them; `None` when not known (then the post-commit
    /// hook reads the journal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modes: Option<Vec<CachedMode>>,
}

/// What the gate's findings came from: HEAD (the commit's parent to be)
/// and the journal's state ([`Journal::state`]) when it began.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    head: Option<String>,
    journal: Option<String>,
}

impl Stamp {
    /// HEAD and the journal as they are now: taken before the gate reads
    /// the journal, so that a record added while it runs makes its findings
    /// stale rather than silently missing.
    pub fn now(repo: &Repository) -> Stamp {
        let head = repo.head().ok().and_then(|h| h.target()).map(|id| id.to_string());
        Stamp { head, journal: journal_state(repo) }
    }
}

fn journal_state(repo: &Repository) -> Option<String> {
    Journal::open(repo).ok()?.state()
}

/// A journal record that an agent set a file's mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedMode {
    pub id: RecordId,
    pub path: String,
    /// As git writes it (`100755`).
    pub mode: String,
    pub by: Attribution,
}

/// A journal record that an agent removed a file whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedRemoval {
    pub id: RecordId,
    pub path: String,
    pub by: Attribution,
}

/// One staged file version as the gate saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedFile {
    pub path: String,
    pub blob: String,
    /// The journal's attributed ranges.
    pub spans: Vec<CachedSpan>,
    /// Where the journal says agents removed lines (byte offsets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<AiDeletion>,
    pub units: Vec<CachedUnit>,
    /// Journal records a commit of this version covers.
    pub covered: Vec<RecordId>,
}

/// A span of the journal's, stored as the journal stores one.
pub type CachedSpan = crate::provenance::StoredSpan;

/// A unit's bytes, the approvals that count for it and its rationale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedUnit {
    pub start: usize,
    pub end: usize,
    pub approvals: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

impl CachedUnit {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

impl CachedFile {
    pub fn spans(&self) -> Vec<(Range<usize>, Attribution)> {
        self.spans.iter().map(|s| (s.start..s.end, s.attribution.clone())).collect()
    }
}

fn file(repo: &Repository) -> PathBuf {
    crate::store::repo::git_dir(repo).join("vouch").join("gate-cache.json")
}

impl GateCache {
    pub fn new(
        stamp: Stamp,
        files: Vec<CachedFile>,
        removals: Vec<CachedRemoval>,
        modes: Vec<CachedMode>,
    ) -> GateCache {
        GateCache { v: VERSION, stamp, files, removals: Some(removals), modes: Some(modes) }
    }

    /// Write it for the post-commit hook. A failure costs only time later,
    /// so it is ignored.
    pub fn write(&self, repo: &Repository) {
        if let Ok(bytes) = serde_json::to_vec(self) {
            let _ = crate::store::write_atomic(&file(repo), &bytes);
        }
    }

    /// Read and remove it, for the commit `commit` just made; `None` when
    /// there is none, it cannot be read, or it is not the gate's of this
    /// commit (see the module documentation).
    pub fn take(repo: &Repository, commit: &git2::Commit<'_>) -> Option<GateCache> {
        let path = file(repo);
        let bytes = std::fs::read(&path).ok()?;
        let _ = std::fs::remove_file(&path);
        let cache = serde_json::from_slice::<GateCache>(&bytes).ok().filter(|c| c.v == VERSION)?;
        let parent = commit.parent_id(0).ok().map(|id| id.to_string());
        let stamp = &cache.stamp;
        (stamp.head == parent && stamp.journal.is_some() && stamp.journal == journal_state(repo)).then_some(cache)
    }

    /// The entry for `path` at `blob`.
    pub fn get(&self, path: &str, blob: &str) -> Option<&CachedFile> {
        self.files.iter().find(|f| f.path == path && f.blob == blob)
    }
}
