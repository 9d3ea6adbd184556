//! The units of working-tree files, for the commands that act on them
//! (`request`, `approve`, `reject`): resolving `PATH[:LINE]` arguments, and
//! reading a file with the units verify will judge in it, judged as the
//! gate and `vouch status` judge them (the working tree as the next
//! commit of the range from BASE, see [`super::next`]).

use std::ops::Range;
use std::path::Path;

use anyhow::{Context as _, bail};
use git2::Repository;

use crate::policy::Policy;
use crate::provenance::Spans;
use crate::signoff::{Ledger, UnitFacts};
use crate::syntax::{Content, Language};
use crate::text::LineIndex;

use super::changes::Version;
use super::context::Context;
use super::judge::JudgedUnit;
use super::next::{Options, Prepared};

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
    // A symbolic link is a file of its own (the path it names), not the
    // file it leads to.
    let rel = match crate::store::repo::worktree_link(&ctx.repo, Path::new(path)) {
        Some(link) => link,
        None => crate::store::repo::relative_path(&ctx.repo, Path::new(path))
            .with_context(|| format!("bad target `{arg}`"))?,
    };
    let link = std::fs::symlink_metadata(ctx.root.join(&rel)).is_ok_and(|m| m.file_type().is_symlink());
    if !link && !ctx.root.join(&rel).is_file() && super::files::worktree_gitlink(&ctx.repo, &rel).is_none() {
        bail!("{rel}: no such file in the working tree");
    }
    Ok(Target { path: rel, line })
}

/// The working tree as the next commit (as `git commit -a` would make
/// it), placed in its range: what the commands that act on working-tree
/// units (`request`, `approve`, `reject`) judge them by, as `vouch status`
/// and the gate do.
pub struct Worktree {
    pub prepared: Prepared,
}

impl Worktree {
    /// Read it; what cannot be read is a warning.
    pub fn open(ctx: &Context) -> anyhow::Result<Worktree> {
        Worktree::open_at(ctx, None)
    }

    /// [`Worktree::open`] in the range from `base` (`--base REV`), or from
    /// the BASE [`super::base::resolve`] finds.
    pub fn open_at(ctx: &Context, base: Option<&super::base::Base>) -> anyhow::Result<Worktree> {
        let options = Options { version: Version::Worktree, strict: false, all: true, next_people: false, base };
        Ok(Worktree { prepared: super::next::prepare(ctx, options)? })
    }

    /// The policy units are judged under (BASE's).
    pub fn policy(&self) -> &Policy {
        &self.prepared.scope.policy
    }

    pub fn ledger(&self) -> &Ledger {
        &self.prepared.ledger
    }

    /// What an AI's deletion of `path` deletes: BASE's version, its kind and
    /// bytes as its fingerprint binds them
    /// ([`crate::store::lineage::deleted_version`]); `None` without BASE or
    /// when BASE has no file there.
    pub fn deleted_version(&self, repo: &Repository, path: &str) -> anyhow::Result<Option<(&'static str, Vec<u8>)>> {
        let Some(base) = &self.prepared.scope.base else { return Ok(None) };
        let tree = repo.find_commit(base.commit).and_then(|c| c.tree()).context("cannot read BASE's tree")?;
        crate::store::lineage::deleted_version(repo, &tree, path).with_context(|| format!("cannot read BASE's {path}"))
    }

    /// The file (or submodule) at `path` as the working tree has it, with
    /// the units verify will judge in it; for a path the working tree
    /// lacks, its deletion when verify will judge that (a trust file's, or
    /// one an AI made: [`FileUnits::absent`]); else `None` when the working
    /// tree holds neither a regular file nor a submodule there.
    pub fn file(&self, ctx: &Context, path: &str) -> anyhow::Result<Option<FileUnits>> {
        let Some((_, content)) = super::files::worktree_content(&ctx.repo, &ctx.root, path)? else {
            let units: Vec<JudgedUnit> = self
                .prepared
                .judge(&ctx.repo, Some(&[path.to_string()]))?
                .into_iter()
                .filter(|u| u.path == path && (u.trust_file || u.deleted_file))
                .collect();
            if units.is_empty() {
                return Ok(None);
            }
            return Ok(Some(FileUnits {
                path: path.to_string(),
                language: Language::from_path(Path::new(path)),
                content: Content::Text(String::new()),
                absent: true,
                units,
                spans: Vec::new(),
                lines: LineIndex::git(b""),
            }));
        };
        let units = self.prepared.judge(&ctx.repo, Some(&[path.to_string()]))?;
        let spans = self.prepared.next.ai_spans(path, &content);
        let lines = LineIndex::git(content.as_bytes());
        Ok(Some(FileUnits {
            path: path.to_string(),
            language: Language::from_path(Path::new(path)),
            content,
            absent: false,
            units,
            spans,
            lines,
        }))
    }

    /// The units verify will judge at the symbolic link `link`, which
    /// leads to the working tree's file `to`: `to`'s text and AI lines,
    /// judged under the link's rules ([`super::next::Prepared::judge_linked`]);
    /// `None` when the next commit leaves no file at `to`.
    pub fn linked(&self, ctx: &Context, link: &str, to: &str) -> anyhow::Result<Option<FileUnits>> {
        let Some(super::next::Linked { content, spans, units }) = self.prepared.judge_linked(&ctx.repo, link, to)?
        else {
            return Ok(None);
        };
        let lines = LineIndex::git(content.as_bytes());
        Ok(Some(FileUnits {
            path: link.to_string(),
            language: Language::from_path(Path::new(to)),
            content,
            absent: false,
            units,
            spans,
            lines,
        }))
    }

    /// Every file with a unit verify will judge (AI-written units from the
    /// range or the working tree's changes, trust-file changes), in path
    /// order.
    pub fn files(&self, ctx: &Context) -> anyhow::Result<Vec<FileUnits>> {
        let mut paths: Vec<String> = self.prepared.judge(&ctx.repo, None)?.into_iter().map(|u| u.path).collect();
        paths.dedup();
        let mut out = Vec::new();
        for path in paths {
            out.extend(self.file(ctx, &path)?);
        }
        Ok(out)
    }

    /// [`Worktree::file`], an error when there is nothing at `path`.
    pub fn load(&self, ctx: &Context, path: &str) -> anyhow::Result<FileUnits> {
        self.file(ctx, path)?.ok_or_else(|| anyhow::anyhow!("{path}: no such file or submodule"))
    }
}

/// A working-tree file (or submodule) with the units verify will judge in
/// it.
pub struct FileUnits {
    pub path: String,
    pub language: Language,
    /// Its bytes, as git would store them: text, bytes that are not UTF-8,
    /// or a submodule's commit; empty when [`FileUnits::absent`].
    pub content: Content,
    /// The working tree lacks the file: its units are its deletion (a
    /// trust file's change, or a file an AI deleted whole).
    pub absent: bool,
    /// Its units, judged: AI-written units with AI lines from the range (or
    /// the working tree's changes), and the change to it when it is a
    /// trust file.
    pub units: Vec<JudgedUnit>,
    /// The AI lines verify will count, as byte ranges.
    pub spans: Spans,
    /// Lines as git numbers them.
    lines: LineIndex,
}

impl FileUnits {
    /// The text, when the file is UTF-8 text.
    pub fn text(&self) -> Option<&str> {
        self.content.text()
    }

    /// The 1-based line of byte `offset`, as git numbers lines.
    pub fn line_of(&self, offset: usize) -> u32 {
        self.lines.line_of(offset) as u32 + 1
    }

    /// The change to this trust file, when it is one that changed.
    pub fn trust_change(&self) -> Option<&JudgedUnit> {
        self.units.iter().find(|u| u.trust_file)
    }

    /// Its deletion by an AI, when it is a file an AI deleted whole.
    pub fn deletion(&self) -> Option<&JudgedUnit> {
        self.units.iter().find(|u| u.deleted_file)
    }

    /// The innermost AI unit holding 1-based `line` (as git numbers lines:
    /// a lone CR ends none).
    pub fn unit_at_line(&self, line: u32) -> Option<&JudgedUnit> {
        let index = line.checked_sub(1)? as usize;
        let start = self.lines.line_start(index)?;
        let end = self.lines.line_start(index + 1).unwrap_or(self.content.len());
        self.units
            .iter()
            .filter(|u| !u.trust_file && !u.deleted_file)
            .filter(|u| u.facts.unit.range.start < end.max(start + 1) && start < u.facts.unit.range.end)
            .min_by_key(|u| u.facts.unit.range.len())
    }

    /// The AI byte ranges of the file.
    pub fn ai_ranges(&self) -> Vec<Range<usize>> {
        self.spans.iter().filter(|(_, a)| a.is_ai()).map(|(r, _)| r.clone()).collect()
    }

    /// The unit as a request records it (and a reviewer is shown it).
    pub fn requested(&self, facts: &UnitFacts) -> crate::store::records::RequestedUnit {
        let language = crate::syntax::unit_language(self.language, &facts.unit);
        crate::signoff::requested_unit(&self.path, language, facts, self.content.as_bytes())
    }
}
