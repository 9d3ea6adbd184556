//! The server's view of the repositories its documents belong to: where a
//! file lives, who the user is, and how each review unit stands under the
//! repository's policy and records.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::document::Document;
use crate::provenance::Attribution;
use crate::syntax::{Language, Unit};

use super::protocol::UnitState;
use super::state::Assessed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Information,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Information => "information",
        }
    }
}

/// How one unit stands.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub state: UnitState,
    pub severity: Severity,
    /// Who may sign off, as the policy names them.
    pub reviewers: Vec<String>,
    /// Whether the current identity may approve or reject it.
    pub may_approve: bool,
    /// More to say: who rejected it and why, who requested it.
    pub note: Option<String>,
}

/// The no-plugin heuristic's thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub min_chars: usize,
    pub min_lines: usize,
}

struct RepoContext {
    repo: git2::Repository,
}

/// Every repository the open documents belong to, by worktree root.
#[derive(Default)]
pub struct Repos {
    by_root: HashMap<PathBuf, RepoContext>,
    messages: Vec<String>,
}

impl Repos {
    /// The worktree holding `path` and the path inside it (forward slashes).
    pub fn locate(&mut self, path: &Path) -> Option<(PathBuf, String)> {
        let dir = path.parent()?;
        let repo = git2::Repository::discover(dir).ok()?;
        let root = repo.workdir()?.canonicalize().ok()?;
        let canonical = dir.canonicalize().ok()?.join(path.file_name()?);
        let rel = canonical.strip_prefix(&root).ok()?;
        let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        self.by_root.entry(root.clone()).or_insert(RepoContext { repo });
        Some((root, rel))
    }

    pub fn load_spans(&mut self, _root: &Path, _rel: &str, _text: &str) -> anyhow::Result<Vec<(Range<usize>, Attribution)>> {
        Ok(Vec::new())
    }

    pub fn new_spans(&mut self, _root: &Path, _rel: &str, _text: &str) -> anyhow::Result<Vec<(Range<usize>, Attribution)>> {
        Ok(Vec::new())
    }

    pub fn thresholds(&self, _root: Option<&PathBuf>) -> Thresholds {
        Thresholds { min_chars: 80, min_lines: 2 }
    }

    /// Whether `text` is the file as HEAD or the index has it: a branch
    /// switch, a revert or a reload, never new AI text.
    pub fn is_known_version(&self, repo: Option<&(PathBuf, String)>, text: &str) -> bool {
        let Some((root, rel)) = repo else { return false };
        let Some(ctx) = self.by_root.get(root) else { return false };
        let Ok(oid) = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()) else { return false };
        let in_head = ctx
            .repo
            .head()
            .and_then(|h| h.peel_to_tree())
            .and_then(|t| t.get_path(Path::new(rel)))
            .is_ok_and(|entry| entry.id() == oid);
        let in_index = ctx.repo.index().ok().and_then(|i| i.get_path(Path::new(rel), 0)).is_some_and(|e| e.id == oid);
        let on_disk = std::fs::read(root.join(rel)).is_ok_and(|bytes| bytes == text.as_bytes());
        in_head || in_index || on_disk
    }

    pub fn identity(&self, root: Option<&PathBuf>) -> Option<String> {
        let ctx = self.by_root.get(root?)?;
        ctx.repo.config().ok()?.get_string("user.email").ok()
    }

    pub fn record(
        &mut self,
        _root: &Path,
        _rel: &str,
        _doc: &Document,
        _range: Option<Range<usize>>,
        _rationale: Option<&str>,
    ) -> anyhow::Result<()> {
        Ok(())
    }

    /// The roots whose records changed since the last poll.
    pub fn poll(&mut self) -> Vec<PathBuf> {
        Vec::new()
    }

    pub fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }

    pub fn assess(&self, _repo: Option<&(PathBuf, String)>, unit: &Unit, _acceptors: &[String], suspected: bool) -> Verdict {
        let state = if suspected { UnitState::Suspected } else { UnitState::Pending };
        let severity = if unit.risk.is_empty() { Severity::Information } else { Severity::Warning };
        Verdict { state, severity, reviewers: Vec::new(), may_approve: false, note: None }
    }

    pub fn history_of(&self, _root: &Path, _rel: &str, _fingerprint: &str) -> Vec<String> {
        Vec::new()
    }

    pub fn request(
        &mut self,
        _root: &Path,
        _rel: &str,
        _language: Language,
        _units: &[Assessed],
        _rationale: Option<&str>,
    ) -> anyhow::Result<String> {
        anyhow::bail!("sign-off requests are not wired to the store yet")
    }

    pub fn decide(
        &mut self,
        _root: &Path,
        _rel: &str,
        _units: &[Assessed],
        _approve: bool,
        _comment: Option<&str>,
    ) -> anyhow::Result<String> {
        anyhow::bail!("approvals are not wired to the store yet")
    }
}
