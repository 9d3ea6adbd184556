//! The AI units of working-tree files, for the commands that act on them
//! (`request`, `approve`, `reject`, `blame`): reading a file with its
//! provenance, resolving `PATH[:LINE]` arguments, and finding the files
//! worth looking at when no path is given.
//!
//! This is not where sign-off is decided: that is [`crate::signoff`].

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context as _, bail};

use crate::document::Document;
use crate::policy::Policy;
use crate::provenance::Attribution;
use crate::signoff::UnitFacts;
use crate::store::journal::{Journal, Loaded};
use crate::store::policy_file::Source;
use crate::store::signature;
use crate::syntax::{Content, Language};
use crate::text::LineIndex;

use super::cache::AnalysisCache;
use super::context::Context;
use super::ai_paths::AiPaths;
use super::attribution::{Analysis, FileVersion};

/// A `PATH[:LINE]` argument, resolved against the worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Relative to the worktree root, with forward slashes.
    pub path: String,
    /// 1-based.
    pub line: Option<u32>,
}

impl Target {
    /// `path:line`, or the path alone.
    pub fn label(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        }
    }
}

/// Parse `arg` as `PATH` or `PATH:LINE` (a path relative to the current
/// directory, or absolute). A file whose own name ends in `:digits` is taken
/// as a path when it exists.
pub fn parse_target(ctx: &Context, arg: &str) -> anyhow::Result<Target> {
    if arg.trim().is_empty() {
        bail!("empty target: give PATH or PATH:LINE");
    }
    let (path, line) = match arg.rsplit_once(':') {
        Some((path, digits)) if !path.is_empty() && !Path::new(arg).exists() && !digits.is_empty() => {
            let line: u32 = digits
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| anyhow::anyhow!("bad target `{arg}`: LINE must be a line number from 1"))?;
            (path, Some(line))
        }
        _ => (arg, None),
    };
    let rel =
        crate::store::repo::relative_path(&ctx.repo, Path::new(path)).with_context(|| format!("bad target `{arg}`"))?;
    if !ctx.root.join(&rel).is_file() && super::files::worktree_gitlink(&ctx.repo, &rel).is_none() {
        bail!("{rel}: no such file in the working tree");
    }
    Ok(Target { path: rel, line })
}

/// What reading working-tree files with their units needs, read once per
/// command.
pub struct Sources<'a> {
    pub ctx: &'a Context,
    pub policy: &'a Policy,
    pub journal: (Journal, Loaded),
    history: AiPaths,
    cache: AnalysisCache,
}

impl<'a> Sources<'a> {
    /// The journal (problems are warnings) and the history index, for
    /// files under `policy`.
    pub fn open(ctx: &'a Context, policy: &'a Policy) -> anyhow::Result<Sources<'a>> {
        Ok(Sources {
            journal: ctx.journal()?,
            history: AiPaths::load(&ctx.repo, policy.bots())?,
            cache: AnalysisCache::of(&ctx.repo),
            ctx,
            policy,
        })
    }
}

/// A working-tree file (or submodule) with its provenance and its AI units.
pub struct FileUnits {
    pub path: String,
    pub language: Language,
    /// Its bytes: text, bytes that are not UTF-8, or a submodule's commit.
    pub content: Content,
    /// The document, for text.
    pub doc: Option<Document>,
    /// The units holding AI text, as [`crate::signoff::unit_facts`] finds them.
    pub facts: Vec<UnitFacts>,
    /// The attributed ranges (history, then the journal).
    pub spans: Vec<(Range<usize>, Attribution)>,
    /// Lines as git numbers them.
    lines: LineIndex,
}

impl FileUnits {
    /// Read `path` (relative to the root) from the working tree: a file,
    /// whatever its bytes, or a submodule. A journal record that cannot be
    /// applied is a warning.
    pub fn load(sources: &Sources<'_>, path: &str) -> anyhow::Result<FileUnits> {
        FileUnits::load_text(sources, path)?.ok_or_else(|| anyhow::anyhow!("{path}: no such file or submodule"))
    }

    /// [`FileUnits::load`], with `None` when the working tree holds neither
    /// a regular file nor a submodule at `path`.
    ///
    /// Worked out as the gate works out a staged file (and kept for it: the
    /// commit after a request usually stages this very text).
    pub fn load_text(sources: &Sources<'_>, path: &str) -> anyhow::Result<Option<FileUnits>> {
        let ctx = sources.ctx;
        let Some((blob, content)) = super::files::worktree_content(&ctx.repo, &ctx.root, path)? else {
            return Ok(None);
        };
        let analysis = Analysis {
            journal: &sources.journal.0,
            loaded: &sources.journal.1,
            history: &sources.history,
            bots: sources.policy.bots(),
            strict: false,
            cache: Some(&sources.cache),
        };
        let file = FileVersion { path: path.to_string(), history_path: path.to_string(), blob, content };
        let analysed = analysis.one(&ctx.repo, file)?;
        let language = Language::from_path(Path::new(path));
        let lines = LineIndex::git(analysed.content.as_bytes());
        let doc = match &analysed.content {
            Content::Text(text) => {
                let mut doc = Document::new(language, text.clone()).with_context(|| format!("cannot hold {path}"))?;
                doc.reset_provenance(&analysed.spans);
                Some(doc)
            }
            _ => None,
        };
        let facts = analysed.units.into_iter().map(|(facts, _, _)| facts).collect();
        Ok(Some(FileUnits {
            path: path.to_string(),
            language,
            content: analysed.content,
            doc,
            facts,
            spans: analysed.spans,
            lines,
        }))
    }

    /// The text, when the file is UTF-8 text.
    pub fn text(&self) -> Option<&str> {
        self.content.text()
    }

    /// The 1-based line of byte `offset`, as git numbers lines.
    pub fn line_of(&self, offset: usize) -> u32 {
        self.lines.line_of(offset) as u32 + 1
    }

    /// The innermost AI unit holding 1-based `line` (as git numbers lines:
    /// a lone CR ends none).
    pub fn unit_at_line(&self, line: u32) -> Option<&UnitFacts> {
        let index = line.checked_sub(1)? as usize;
        let start = self.lines.line_start(index)?;
        let end = self.lines.line_start(index + 1).unwrap_or(self.content.len());
        self.facts
            .iter()
            .filter(|f| f.unit.range.start < end.max(start + 1) && start < f.unit.range.end)
            .min_by_key(|f| f.unit.range.len())
    }

    /// The AI byte ranges of the file.
    pub fn ai_ranges(&self) -> Vec<Range<usize>> {
        self.spans.iter().filter(|(_, a)| a.is_ai()).map(|(r, _)| r.clone()).collect()
    }

    /// The unit as a request records it (and a reviewer is shown it).
    pub fn requested(&self, facts: &UnitFacts) -> crate::store::records::RequestedUnit {
        let language = crate::syntax::unit_language(self.language, &facts.unit);
        crate::signoff::requested_unit(&self.path, language, facts, self.content.as_bytes(), &self.ai_ranges())
    }
}

/// The files worth looking at for AI units when no path is given: those
/// with live journal records and those that differ from HEAD (in the index
/// or the working tree), that exist in the working tree; sorted.
pub fn candidate_paths(ctx: &Context, journal: &Loaded) -> anyhow::Result<Vec<String>> {
    let mut paths: BTreeSet<String> = journal.live().filter_map(|r| r.path().map(str::to_string)).collect();
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false);
    let statuses = ctx.repo.statuses(Some(&mut options)).context("cannot read git status")?;
    for entry in statuses.iter() {
        let status = entry.status();
        if status.is_wt_deleted() || status.is_index_deleted() && !status.is_wt_new() {
            continue;
        }
        if let Some(path) = entry.path() {
            paths.insert(path.to_string());
        }
    }
    Ok(paths
        .into_iter()
        .filter(|p| ctx.root.join(p).is_file() || super::files::worktree_gitlink(&ctx.repo, p).is_some())
        .collect())
}

/// Whether an approval's signature verifies, for [`crate::signoff::Ledger::judge`].
pub type Verifier = signature::ApprovalVerifier;

/// Approvals' signatures checked against the working tree's allowed
/// signers when the policy requires signatures (otherwise they do not
/// count either way). An allowed-signers file that cannot be read is a
/// warning, and then no signature verifies.
pub fn verifier(ctx: &Context, policy: &Policy) -> Verifier {
    // Not strict: an unreadable file is a warning, never an error.
    super::attribution::verifier(ctx, policy, &Source::Worktree, false).unwrap_or_else(|_| Box::new(|_| None))
}
