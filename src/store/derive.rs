//! Provenance a new commit takes from the commits its text came from: the
//! commits a local squash merge squashed, the commit a cherry-pick picked,
//! the commits that left HEAD's history (a reset, a checkout of an older
//! commit) whose text is committed again, and the commits of branches HEAD
//! switched away from, whose AI text a person brings over (`git checkout
//! feature -- f`, splitting a branch). Their AI lines, as their
//! vouch notes, git-ai notes, trailers and bot authors say ([`claims`]),
//! are carried onto the new file versions by a line diff and kept where the
//! new commit adds them ([`Derived::carry`]).
//!
//! Why from notes and not from the journal: a journal record retires once
//! a commit's note covers it, and compaction then drops it. The note stays
//! with its commit for good, reachable or not (git keeps a commit that left
//! HEAD's history in the reflog for months, and its note with it), so "the
//! records a commit retired come back when the commit leaves HEAD's history"
//! is read from that commit's note, whenever and however often it is
//! needed, with no state of its own to keep in step. The reflog of HEAD
//! says which commits left (see [`Sources::add_left`]).
//!
//! The rule behind it: vouch says "no AI" only when it knows. A source
//! commit that no vouch note attests (made where vouch was not set up) and
//! whose lines are in the new commit makes the new commit's origin partly
//! unknown ([`Carried::unknown`]): its note then carries no `no-ai`.
//!
//! Text of a commit that left HEAD's history counts only where it is back:
//! a record is carried when at least one of its AI lines with some
//! substance (not a lone brace or a blank) is in the new version unchanged,
//! so that code a person writes after a hard reset, where the discarded AI
//! code was, is not taken for it. Text of a branch HEAD (or another
//! worktree's) switched away from counts where a version of the file is
//! brought whole, where an AI change of it is held whole, and else by
//! blocks of four or more lines ([`brought`]), matched where a line diff
//! puts them: a person on main writes code much like a feature branch's
//! (an import, `if err != nil { return err }`) far more often than a
//! person who reset writes what they threw away
//! ([`Derived::carry_switched`]). Text of a squashed or picked commit is
//! there by construction and is carried as a rewrite carries it: a line
//! that replaced only AI text stays AI.
//!
//! A file a source removed whole with an AI claim on the removal (its
//! trailer or bot author, its note's `removed` record, a git-ai note
//! naming the path) is removed by the AI in a new commit that removes it
//! too ([`Derived::removal_claim`]; [`Derived::removals_onto`] gives the
//! records of such a commit's removals).
//!
//! A version that is one unit (a submodule's commit, bytes that are not
//! UTF-8) has no lines to follow: a trailer or bot commit, or a git-ai
//! note, claims all of it (line 1, as verify reads it), and a source's
//! record of it is carried only onto that very version
//! ([`Derived::carry_whole`]).
//!
//! This module reads git; it writes nothing (see `notes`).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use git2::{ErrorCode, Oid, Repository, Sort};

use crate::lineage;
use crate::provenance::{AiSource, Attribution, Evidence, Origin};
use crate::store::history::{self, GIT_AI_NOTES_REF, HistoryError};
use crate::store::notes::{self, BlobTexts, FileRecord, NoteError, NoteRecord};
use crate::store::tree_diff;

/// The most entries of HEAD's reflog read for commits that left it.
const MAX_REFLOG: usize = 100;

/// The most commits that left HEAD's history taken as sources.
const MAX_LEFT: usize = 200;

/// The most branches and remote-tracking branches whose versions of a
/// commit's files are compared with it ([`Sources::add_fetched`]).
const MAX_FETCHED: usize = 256;

/// The most entries of each worktree's HEAD reflog read for the branches
/// it switched away from: every commit and every commit a rebase picks is
/// one, so a day's work is a few hundred.
const MAX_SWITCHED_REFLOG: usize = 500;

/// The fewest lines of AI text from a branch HEAD switched away from
/// that make a block ([`brought`]), and the fewest visible characters
/// they hold together.
const MIN_BROUGHT_LINES: usize = 4;
const MIN_BROUGHT_TEXT: usize = 60;

/// What one commit says about the text it added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub commit: Oid,
    /// AI lines of the commit's own file versions: from its vouch note,
    /// else its git-ai note, else its trailer or bot author (every line it
    /// added); a line one source calls AI is AI.
    pub records: Vec<FileRecord>,
    /// Whether a vouch note attests the commit (file records, `no-ai`).
    pub attested: bool,
    /// Of a commit no vouch note attests: the lines it added that nothing
    /// calls AI, whose origin nobody knows.
    pub unknown: Vec<Lines>,
}

/// Lines of one file version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lines {
    pub path: String,
    pub blob: Oid,
    /// 1-based inclusive ranges.
    pub lines: Vec<[u32; 2]>,
}

/// One file a commit added or changed against its first parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub path: String,
    /// The parent's version at the same path (a blob, or a submodule's
    /// commit), if any: a file git finds renamed has none here.
    pub old: Option<Oid>,
    /// The parent's path of a file the commit renamed (as git finds
    /// renames): the sources' records of it are of this file too.
    pub from: Option<String>,
    /// The commit's version: its blob, or a submodule's commit.
    pub new: Oid,
    /// A submodule, whose version is one line (its commit id), as verify
    /// reads it.
    pub gitlink: bool,
}

/// Line ranges (1-based, inclusive), as notes keep them.
type LineRanges = Vec<[u32; 2]>;

/// Versions of files: (path, blob or submodule commit).
type Versions = Vec<(String, Oid)>;

/// Versions of files a commit changed: (path, its version, its first
/// parent's, if any).
type Changes = Vec<(String, Oid, Option<Oid>)>;

/// What reading several commits' claims shares: file versions, the files
/// changed between two trees and the lines added between two versions, all
/// functions of content alone. The commits that left HEAD's history are
/// often the same text committed again and reset again (a commit undone
/// with `git reset --soft` and made anew), so each is read once.
#[derive(Default)]
struct Shared {
    texts: BlobTexts,
    /// [`changed_files`] by (parent's tree, commit's tree).
    changed: HashMap<(Option<Oid>, Oid), Rc<Vec<Changed>>>,
    /// [`notes::added_lines`] by (old version, new version).
    added: HashMap<(Option<Oid>, Oid), Rc<LineRanges>>,
    /// Whether a blob's bytes are not UTF-8.
    binary: HashMap<Oid, bool>,
}

impl Shared {
    fn changed_files(&mut self, repo: &Repository, commit: &git2::Commit<'_>) -> Result<Rc<Vec<Changed>>, NoteError> {
        let tree = commit.tree_id();
        let parent = match commit.parent(0) {
            Ok(p) => Some(p.tree_id()),
            Err(_) => None,
        };
        if let Some(found) = self.changed.get(&(parent, tree)) {
            return Ok(found.clone());
        }
        let changed = Rc::new(changed_files(repo, commit)?);
        self.changed.insert((parent, tree), changed.clone());
        Ok(changed)
    }

    /// Whether blob `id` holds bytes that are not UTF-8 (false when it
    /// cannot be read).
    fn binary(&mut self, repo: &Repository, id: Oid) -> bool {
        *self
            .binary
            .entry(id)
            .or_insert_with(|| repo.find_blob(id).is_ok_and(|b| std::str::from_utf8(b.content()).is_err()))
    }

    /// The lines version `new` adds to `old` (all of them without one).
    fn added_lines(&mut self, repo: &Repository, old: Option<Oid>, new: Oid, text: &str) -> Rc<LineRanges> {
        if let Some(found) = self.added.get(&(old, new)) {
            return found.clone();
        }
        let base = old.and_then(|id| self.texts.get(repo, id));
        let added = Rc::new(notes::added_lines(base.as_deref().unwrap_or(""), text));
        self.added.insert((old, new), added.clone());
        added
    }
}

/// The files a commit added or changed against its first parent, blobs
/// (symbolic links among them) and submodules, each against the parent's
/// version at its path, with the path of each it renamed, in path order.
fn changed_files(repo: &Repository, commit: &git2::Commit<'_>) -> Result<Vec<Changed>, NoteError> {
    let id = commit.id();
    let tree = commit.tree().map_err(NoteError::git(format!("read the tree of {id}")))?;
    let parent = match commit.parent(0) {
        Ok(p) => Some(p.tree().map_err(NoteError::git(format!("read the tree of {}", p.id())))?),
        Err(_) => None,
    };
    let changes = tree_diff::changes(repo, parent.as_ref(), &tree).map_err(NoteError::git(format!("diff {id}")))?;
    let renamed = match changes.changes.iter().any(tree_diff::Change::deletes) {
        true => tree_diff::renames(repo, parent.as_ref(), &tree).map_err(NoteError::git(format!("diff {id}")))?,
        false => HashMap::new(),
    };
    // A name that is not UTF-8 has no record (a note names files by UTF-8
    // paths); verify fails every range that touches one.
    let mut out = Vec::new();
    for change in changes.changes {
        let Some((new, mode)) = change.new else { continue };
        let gitlink = mode == i32::from(git2::FileMode::Commit);
        // Symbolic links are versions like files (their bytes are the
        // target), as the range's lineage reads them.
        let blob = [git2::FileMode::Blob, git2::FileMode::BlobExecutable, git2::FileMode::Link];
        if !gitlink && !blob.iter().any(|&m| mode == i32::from(m)) {
            continue;
        }
        let old = change.base();
        let from = renamed.get(&change.path).cloned();
        out.push(Changed { path: change.path, old, new, gitlink, from });
    }
    Ok(out)
}

/// The files `commit` removed whole against its first parent whose
/// removal an AI claim covers: its declaration (trailer, aider, bot author:
/// every file it removes), its vouch note's `removed` record of the path,
/// a git-ai note attributing lines of the path to AI.
fn removal_claims(repo: &Repository, commit: Oid, bots: &[String]) -> Result<Vec<(String, Attribution)>, HistoryError> {
    let git = |action: String| move |cause| HistoryError::Git { action, cause };
    let c = repo.find_commit(commit).map_err(git(format!("read commit {commit}")))?;
    let Ok(parent) = c.parent(0) else { return Ok(Vec::new()) };
    let declared = history::commit_declaration(&c, bots).map(|d| {
        Attribution::ai(AiSource { tool: d.tool(), model: None, session: None, kind: None }, Evidence::History, None)
    });
    let noted: Vec<FileRecord> = notes::read_note(repo, commit)?
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| match r {
            NoteRecord::File(f) if f.removed => Some(f),
            _ => None,
        })
        .collect();
    let git_ai = git_ai_note(repo, commit)?;
    // Nothing could claim a removal: the commit need not be diffed (most
    // sources, and every commit that left HEAD holding a person's work).
    if declared.is_none() && noted.is_empty() && git_ai.is_none() {
        return Ok(Vec::new());
    }
    let old = parent.tree().map_err(git(format!("read the tree of {}", parent.id())))?;
    let new = c.tree().map_err(git(format!("read the tree of {commit}")))?;
    let changes = tree_diff::changes(repo, Some(&old), &new).map_err(git(format!("diff {commit}")))?;
    let gone = changes.changes.into_iter().filter(|ch| ch.new.is_none() && ch.old.is_some()).map(|ch| ch.path);
    Ok(gone
        .filter_map(|path| {
            let claim = declared
                .clone()
                .or_else(|| noted.iter().find(|f| f.path == path).map(FileRecord::attribution))
                .or_else(|| git_ai.as_ref().and_then(|n| n.first_ai(&path)))?;
            Some((path, claim))
        })
        .collect())
}

/// The git-ai note on `commit`, read as git-ai reads it, if it has one.
fn git_ai_note(repo: &Repository, commit: Oid) -> Result<Option<history::GitAiNote>, HistoryError> {
    match repo.find_note(Some(GIT_AI_NOTES_REF), commit) {
        Ok(note) => {
            let text = String::from_utf8_lossy(note.message_bytes());
            Ok(Some(history::parse_git_ai_note(&text).map_err(|reason| HistoryError::GitAiNote { commit, reason })?))
        }
        Err(e) if e.code() == ErrorCode::NotFound && !note_object_missing(&e) => Ok(None),
        Err(cause) => {
            // Its blob left out (a partial clone): say so, naming it.
            let blob = notes::NotesIndex::new(GIT_AI_NOTES_REF).note_id(repo, commit).ok().flatten();
            let cause = match blob {
                Some(blob) => notes::missing_note_blob(GIT_AI_NOTES_REF, commit, blob, cause),
                None => cause,
            };
            Err(HistoryError::Git { action: format!("read the git-ai note on {commit}"), cause })
        }
    }
}

/// Whether `e`, from reading a note, says that the note's object is
/// missing (a partial clone left it out) rather than that there is no note.
fn note_object_missing(e: &git2::Error) -> bool {
    e.code() == ErrorCode::NotFound && e.class() == git2::ErrorClass::Odb
}

/// What `commit` says about the text it added; `paths`, when given, limits
/// the work to those files. `bots` are the policy's bot authors.
pub fn claims(
    repo: &Repository,
    commit: Oid,
    bots: &[String],
    paths: Option<&HashSet<String>>,
) -> Result<Claims, HistoryError> {
    claims_with(repo, commit, bots, paths, true, true, &mut Shared::default())
}

/// What `commit` says of itself (its trailer or bot author, its git-ai
/// note) as records of its own file versions; its vouch note and the
/// lines of unknown origin are not looked at. For the post-commit hook,
/// before the note is written.
pub fn own_claims(repo: &Repository, commit: Oid, bots: &[String]) -> Result<Vec<FileRecord>, HistoryError> {
    Ok(claims_with(repo, commit, bots, None, false, false, &mut Shared::default())?.records)
}

fn claims_with(
    repo: &Repository,
    commit: Oid,
    bots: &[String],
    paths: Option<&HashSet<String>>,
    read_note: bool,
    want_unknown: bool,
    shared: &mut Shared,
) -> Result<Claims, HistoryError> {
    let c = repo
        .find_commit(commit)
        .map_err(|cause| HistoryError::Git { action: format!("read commit {commit}"), cause })?;
    let note = if read_note { notes::read_note(repo, commit)? } else { None };
    let attested = note.as_deref().is_some_and(notes::attests) || !read_note;
    let mut records: Vec<FileRecord> = note
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| match r {
            NoteRecord::File(f) => Some(f),
            NoteRecord::NoAi | NoteRecord::Partial => None,
        })
        .filter(|f| paths.is_none_or(|p| p.contains(&f.path)))
        .collect();
    let git_ai = git_ai_note(repo, commit)?;
    let whole = history::commit_ai_tool(&c, bots);
    if git_ai.is_none() && whole.is_none() && (attested || !want_unknown) {
        return Ok(Claims { commit, records, attested, unknown: Vec::new() });
    }
    let mut unknown = Vec::new();
    let changed = shared.changed_files(repo, &c)?;
    for Changed { path, old, new, gitlink, .. } in changed.iter().cloned() {
        if paths.is_some_and(|p| !p.contains(&path)) {
            continue;
        }
        let blob = new.to_string();
        let mut ai: Vec<[u32; 2]> = notes::merge_line_ranges(
            records.iter().filter(|r| r.path == path && r.blob == blob).flat_map(|r| r.ai.clone()),
        );
        // A submodule's commit, or bytes that are not UTF-8: one unit, all
        // of it the commit's, AI if any source says so (as verify reads it).
        let opaque = gitlink || shared.binary(repo, new);
        if opaque {
            if !ai.is_empty() {
                continue;
            }
            let claimed = git_ai.as_ref().and_then(|n| n.first_ai(&path)).and_then(|a| match a.origin {
                Origin::Ai(source) => Some(source),
                _ => None,
            });
            match (claimed, &whole) {
                (Some(source), _) => records.push(record(&path, &blob, vec![[1, 1]], source)),
                (None, Some(tool)) => {
                    let origin = AiSource { tool: tool.clone(), model: None, session: None, kind: None };
                    records.push(record(&path, &blob, vec![[1, 1]], origin));
                }
                (None, None) if !attested && want_unknown => {
                    unknown.push(Lines { path, blob: new, lines: vec![[1, 1]] })
                }
                (None, None) => {}
            }
            continue;
        }
        let Some(text) = shared.texts.get(repo, new) else { continue };
        if let Some(note) = &git_ai {
            let count = notes::line_spans(text.as_bytes()).len() as u32;
            let mut by_origin: Vec<(AiSource, Vec<[u32; 2]>)> = Vec::new();
            for line in 1..=count {
                let Some(attr) = note.attribution(&path, line) else { continue };
                let Origin::Ai(source) = &attr.origin else { continue };
                if covers(&ai, line) {
                    continue;
                }
                match by_origin.iter_mut().find(|(s, _)| s == source) {
                    Some((_, lines)) => lines.push([line, line]),
                    None => by_origin.push((source.clone(), vec![[line, line]])),
                }
            }
            for (origin, lines) in by_origin {
                let lines = notes::merge_line_ranges(lines);
                ai = notes::merge_line_ranges(ai.iter().chain(&lines).copied());
                records.push(record(&path, &blob, lines, origin));
            }
        }
        let base = old.and_then(|id| shared.texts.get(repo, id));
        let added = shared.added_lines(repo, old, new, &text);
        let rest = subtract(&added, &ai);
        // A commit that declares all it changes AI removed its lines as an
        // AI: the places of its pure removals (lines it replaced are AI
        // lines of its own already).
        let removed: Vec<u32> = match (&whole, &base) {
            (Some(_), Some(base)) => {
                lineage::removals(&lineage::split_lines(base.as_bytes()), &lineage::split_lines(text.as_bytes()))
                    .into_iter()
                    .filter(|r| r.new.is_empty())
                    .map(|r| r.new.start as u32 + 1)
                    .collect()
            }
            _ => Vec::new(),
        };
        if rest.is_empty() && removed.is_empty() {
            continue;
        }
        match &whole {
            Some(tool) => {
                let origin = AiSource { tool: tool.clone(), model: None, session: None, kind: None };
                records.push(FileRecord { deleted_before: removed, ..record(&path, &blob, rest, origin) });
            }
            None if rest.is_empty() => {}
            None if !attested && want_unknown => unknown.push(Lines { path, blob: new, lines: rest }),
            None => {}
        }
    }
    Ok(Claims { commit, records, attested, unknown })
}

fn record(path: &str, blob: &str, ai: Vec<[u32; 2]>, origin: AiSource) -> FileRecord {
    FileRecord {
        path: path.to_string(),
        blob: blob.to_string(),
        ai,
        origin,
        evidence: Evidence::History,
        accepted_by: None,
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    }
}

fn covers(ranges: &[[u32; 2]], line: u32) -> bool {
    ranges.iter().any(|r| r[0] <= line && line <= r[1])
}

/// The lines of `a` that are not in `b`.
pub fn subtract(a: &[[u32; 2]], b: &[[u32; 2]]) -> Vec<[u32; 2]> {
    let mut out = Vec::new();
    for &[start, end] in a {
        let mut at = start;
        for &[bs, be] in b.iter().filter(|r| r[1] >= start && r[0] <= end) {
            if bs > at {
                out.push([at, bs - 1]);
            }
            at = at.max(be.saturating_add(1));
        }
        if at <= end {
            out.push([at, end]);
        }
    }
    notes::merge_line_ranges(out)
}

/// Where a source's text came from, which decides how it is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Squashed or picked into the new commit: its text is there.
    Source,
    /// Left HEAD's history: its text counts where it is back.
    Left,
}

/// The commits a new commit's text may have come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// Squashed by `git merge --squash`.
    pub squashed: Vec<Oid>,
    /// Picked by `git cherry-pick`.
    pub picked: Vec<Oid>,
    /// Left HEAD's history (see [`Sources::add_left`]).
    pub left: Vec<Oid>,
    /// On branches HEAD, or another worktree's, switched away from (see
    /// [`Sources::add_left`]), and on branches fetched that hold a file as
    /// the next commit has it ([`Sources::add_fetched`]).
    pub switched: Vec<Oid>,
    /// Those of [`Sources::switched`] that come from fetched branches: they
    /// add the AI text they claim, never "unknown" (a teammate's commit
    /// whose notes were not fetched says nothing of the person's).
    pub fetched: Vec<Oid>,
    /// Sources named but not found here (a squash message naming a commit
    /// this repository does not have): the new commit's origin is then
    /// partly unknown.
    pub missing: Vec<String>,
}

impl Sources {
    pub fn is_empty(&self) -> bool {
        self.squashed.is_empty()
            && self.picked.is_empty()
            && self.left.is_empty()
            && self.switched.is_empty()
            && self.missing.is_empty()
    }

    /// Add `rev` to `list` if it names a commit here, else to `missing`.
    fn resolve(repo: &Repository, rev: &str, list: &mut Vec<Oid>, missing: &mut Vec<String>) {
        match repo.revparse_single(rev).and_then(|o| o.peel_to_commit()) {
            Ok(c) if !list.contains(&c.id()) => list.push(c.id()),
            Ok(_) => {}
            Err(_) => missing.push(rev.to_string()),
        }
    }

    /// Add the sources a commit message names: the commits of git's squash
    /// message, the `(cherry picked from commit X)` line, and the commit a
    /// revert of a revert brings back (git's "Reapply": its `This reverts
    /// commit X.` names a revert whose own message names the original),
    /// which it copies as a cherry-pick would.
    pub fn add_from_message(&mut self, repo: &Repository, message: &str) {
        for commit in squashed_commits(message) {
            Self::resolve(repo, &commit, &mut self.squashed, &mut self.missing);
        }
        if let Some(source) = notes::cherry_picked_from(message.as_bytes()) {
            Self::resolve(repo, &source, &mut self.picked, &mut self.missing);
        }
        let reverted = notes::reverted(message.as_bytes()).and_then(|r| repo.revparse_single(&r).ok());
        if let Some(original) =
            reverted.and_then(|r| r.peel_to_commit().ok()).and_then(|r| notes::reverted(r.message_bytes()))
        {
            Self::resolve(repo, &original, &mut self.picked, &mut self.missing);
        }
    }

    /// Where the files of the picked and squashed commits stand on the
    /// branch a commit whose parent has `tree` lands on: old path to new,
    /// for each file git finds renamed between such a commit's parent and
    /// `tree` (a pick onto a branch where a person renamed the file, which
    /// git applies there).
    pub fn renamed_onto(&self, repo: &Repository, tree: &git2::Tree<'_>) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for &commit in self.picked.iter().chain(&self.squashed) {
            let Ok(before) = repo.find_commit(commit).and_then(|c| c.parent(0)).and_then(|p| p.tree()) else {
                continue;
            };
            tree_diff::add_moves(repo, Some(&before), tree, &mut out);
        }
        out
    }

    pub fn add_picked(&mut self, repo: &Repository, rev: &str) {
        Self::resolve(repo, rev, &mut self.picked, &mut self.missing);
    }

    pub fn add_squashed(&mut self, repo: &Repository, rev: &str) {
        Self::resolve(repo, rev, &mut self.squashed, &mut self.missing);
    }
}

/// The sources of the commit being prepared in `repo`'s worktree (for the
/// pre-commit gate and the prepare-commit-msg hook): the commits of a
/// pending squash (`SQUASH_MSG`), a pending cherry-pick
/// (`CHERRY_PICK_HEAD`), and the commits that left HEAD's history.
pub fn pending(repo: &Repository) -> Result<Sources, NoteError> {
    let git_dir = repo.path();
    let mut sources = Sources::default();
    if let Ok(text) = std::fs::read_to_string(git_dir.join("SQUASH_MSG")) {
        sources.add_from_message(repo, &text);
    }
    if let Ok(text) = std::fs::read_to_string(git_dir.join("CHERRY_PICK_HEAD")) {
        sources.add_picked(repo, text.trim());
    }
    sources.add_left(repo)?;
    Ok(sources)
}

/// The commits of git's squash message (`SQUASH_MSG`, or a squash commit
/// made with `--no-edit`): its `commit <id>` lines, after the "Squashed
/// commit of the following:" line.
pub fn squashed_commits(message: &str) -> Vec<String> {
    let Some(at) = message.find("Squashed commit of the following:") else { return Vec::new() };
    message[at..]
        .lines()
        .filter_map(|l| l.strip_prefix("commit "))
        .map(str::trim)
        .filter(|id| matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect()
}

impl Sources {
    /// Add the commits HEAD left, from its reflog, each list newest first
    /// and at most [`MAX_LEFT`] long:
    ///
    /// - [`Sources::left`]: those reachable from where HEAD was, in its
    ///   last [`MAX_REFLOG`] moves, before a reset (`reset:` in its reflog), a checkout of one of its
    ///   ancestors that is no branch (an older commit), or any other move
    ///   back to an ancestor (`git update-ref` of the branch, a reset by
    ///   another name), and not from HEAD now. Rewrites (amend, rebase)
    ///   are left out: their commits' notes follow them through the
    ///   post-rewrite hook.
    /// - [`Sources::switched`]: the rest of what HEAD was at and no longer
    ///   reaches: the branches it switched away from (to another branch,
    ///   or to one with no history, of which the reflog says nothing),
    ///   the commits rewrites replaced, and what the other worktrees'
    ///   HEADs were at (the last [`MAX_SWITCHED_REFLOG`] moves of each).
    ///   Text a person brings from there (`git checkout feature -- f`, a
    ///   copy) is carried ([`Derived::carry_switched`]).
    pub fn add_left(&mut self, repo: &Repository) -> Result<(), NoteError> {
        let head = match repo.head().and_then(|h| h.peel_to_commit()) {
            Ok(c) => Some(c.id()),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
            Err(e) => return Err(NoteError::git("read HEAD")(e)),
        };
        let reflog = match repo.reflog("HEAD") {
            Ok(log) => log,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(()),
            Err(e) => return Err(NoteError::git("read the reflog of HEAD")(e)),
        };
        let mut tips: Vec<Oid> = Vec::new();
        let mut passed: Vec<Oid> = Vec::new();
        let mut seen: HashSet<Oid> = HashSet::new();
        let mut pass = |log: &git2::Reflog| {
            for entry in log.iter().take(MAX_SWITCHED_REFLOG) {
                for id in [entry.id_old(), entry.id_new()] {
                    if !id.is_zero() && Some(id) != head && seen.insert(id) {
                        passed.push(id);
                    }
                }
            }
        };
        pass(&reflog);
        // Where the other worktrees' HEADs were: an agent's worktree, whose
        // commits a person brings over by hand.
        for other in other_worktrees(repo) {
            if let Ok(log) = other.reflog("HEAD") {
                pass(&log);
            }
        }
        for entry in reflog.iter().take(MAX_REFLOG) {
            let (old, new) = (entry.id_old(), entry.id_new());
            if old.is_zero() || old == new || tips.contains(&old) {
                continue;
            }
            let message = entry.message().unwrap_or("");
            let rewrite = ["commit", "rebase", "pull", "merge", "cherry-pick", "revert", "am"]
                .iter()
                .any(|action| message.starts_with(action));
            let back = || !new.is_zero() && repo.graph_descendant_of(old, new).unwrap_or(false);
            let counts = if message.starts_with("reset:") {
                true
            } else if message.starts_with("checkout:") {
                !to_branch(repo, message) && back()
            } else {
                !rewrite && back()
            };
            if !counts || repo.find_commit(old).is_err() {
                continue;
            }
            let reachable = head.is_some_and(|h| h == old || repo.graph_descendant_of(h, old).unwrap_or(false));
            if !reachable {
                tips.push(old);
            }
        }
        self.left = walk_from(repo, &tips, head.iter().copied())?;
        self.switched = walk_from(repo, &passed, head.iter().chain(&tips).copied())?;
        Ok(())
    }
}

impl Sources {
    /// Add the commits of what the last fetch brought (`FETCH_HEAD`) and of
    /// the branches, remote-tracking branches and pull requests' refs (the
    /// first [`MAX_FETCHED`] of them, local ones first) that hold one of
    /// `files` (path, blob: the next commit's versions; those of a block's
    /// size, [`block_sized`]) as that very version, and that HEAD does not
    /// reach: a file taken whole from a branch no worktree's HEAD was on
    /// (`git checkout origin/feature -- f`, a cloud agent's branch fetched).
    /// They join [`Sources::switched`], read as the commits of a branch left
    /// behind, up to [`MAX_LEFT`] of them, and [`Sources::fetched`].
    pub fn add_fetched(&mut self, repo: &Repository, files: &[(String, Oid)]) -> Result<(), NoteError> {
        // A small file is as likely the person's own as a copy (the same
        // release bump in a one-line version file): only files of a block's
        // size are compared.
        let files: Vec<&(String, Oid)> = files.iter().filter(|(_, blob)| block_sized(repo, *blob)).collect();
        if files.is_empty() {
            return Ok(());
        }
        let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok()).map(|c| c.id());
        let known: HashSet<Oid> = self.switched.iter().chain(&self.left).copied().collect();
        let mut tips: Vec<Oid> = Vec::new();
        let mut look_at = |commit: git2::Commit<'_>| {
            let tip = commit.id();
            if Some(tip) == head || known.contains(&tip) || tips.contains(&tip) {
                return;
            }
            let Ok(tree) = commit.tree() else { return };
            let holds = files
                .iter()
                .any(|(path, blob)| tree.get_path(std::path::Path::new(path)).is_ok_and(|entry| entry.id() == *blob));
            if holds {
                tips.push(tip);
            }
        };
        // What the last fetch brought (`git fetch origin pull/7/head`, a
        // pull request's branch), then the branches.
        if let Ok(commit) = repo.revparse_single("FETCH_HEAD").and_then(|o| o.peel_to_commit()) {
            look_at(commit);
        }
        let mut seen = 0;
        for glob in ["refs/heads/*", "refs/remotes/*", "refs/pull/*"] {
            let refs = repo.references_glob(glob).map_err(NoteError::git("list the branches"))?;
            for reference in refs.flatten() {
                if seen == MAX_FETCHED {
                    break;
                }
                seen += 1;
                if let Ok(commit) = reference.peel_to_commit() {
                    look_at(commit);
                }
            }
        }
        for commit in walk_from(repo, &tips, head.into_iter())? {
            if !known.contains(&commit) && !self.switched.contains(&commit) {
                self.switched.push(commit);
                self.fetched.push(commit);
            }
        }
        Ok(())
    }
}

/// Whether blob `blob` is a file of a block's size: four lines or more,
/// with 60 visible characters or more among them (as [`brought`] asks of a
/// part of a change).
fn block_sized(repo: &Repository, blob: Oid) -> bool {
    let Ok(blob) = repo.find_blob(blob) else { return false };
    let content = blob.content();
    let lines = content.split(|&b| b == b'\n').filter(|l| l.iter().any(|b| !b.is_ascii_whitespace())).count();
    lines >= 4 && content.iter().filter(|b| !b.is_ascii_whitespace()).count() >= 60
}

/// The repository's worktrees other than `repo`'s own, opened (the main
/// one through the common git directory); those that cannot be opened
/// left out.
fn other_worktrees(repo: &Repository) -> Vec<Repository> {
    let mut out = Vec::new();
    if repo.is_worktree()
        && let Ok(main) = Repository::open(repo.commondir())
    {
        out.push(main);
    }
    let Ok(names) = repo.worktrees() else { return out };
    for name in names.iter().flatten() {
        let Ok(worktree) = repo.find_worktree(name) else { continue };
        match Repository::open_from_worktree(&worktree) {
            Ok(other) if other.path() != repo.path() => out.push(other),
            _ => {}
        }
    }
    out
}

/// Whether a `checkout: moving from A to B` reflog message names a branch
/// as where HEAD went.
fn to_branch(repo: &Repository, message: &str) -> bool {
    message.rsplit_once(" to ").is_some_and(|(_, to)| repo.find_branch(to.trim(), git2::BranchType::Local).is_ok())
}

/// The commits reachable from `tips` (those that are commits here) and
/// not from `hidden`, newest first, at most [`MAX_LEFT`].
fn walk_from(repo: &Repository, tips: &[Oid], hidden: impl Iterator<Item = Oid>) -> Result<Vec<Oid>, NoteError> {
    let tips: Vec<Oid> = tips.iter().copied().filter(|&t| repo.find_commit(t).is_ok()).collect();
    if tips.is_empty() {
        return Ok(Vec::new());
    }
    const WALK: &str = "walk the commits that left HEAD";
    let mut walk = repo.revwalk().map_err(NoteError::git("walk history"))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME).map_err(NoteError::git("walk history"))?;
    for tip in tips {
        walk.push(tip).map_err(NoteError::git(WALK))?;
    }
    for id in hidden {
        walk.hide(id).map_err(NoteError::git(WALK))?;
    }
    let mut out = Vec::new();
    for id in walk.take(MAX_LEFT) {
        out.push(id.map_err(NoteError::git(WALK))?);
    }
    Ok(out)
}

/// The claims of a commit's sources, read once.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    sources: Vec<(Claims, Kind)>,
    /// The commits of branches HEAD switched away from, each with its
    /// versions (path, blob or submodule commit) of the files asked for
    /// that it changes: many, few of them ever copied, so each is read
    /// only where a new version may bring lines of it
    /// ([`Derived::brought_from`]).
    switched: Vec<(Oid, Changes)>,
    /// Those versions, to tell a version brought whole.
    switched_versions: HashSet<(String, Oid)>,
    /// Those branches' versions of the files asked for where HEAD left
    /// them (their tips): a new version that is none of the above is
    /// compared with these first, and with the rest only when one of these
    /// holds lines it brings.
    switched_tips: Versions,
    /// Those of `switched` from fetched branches ([`Sources::fetched`]).
    fetched: HashSet<Oid>,
    /// The keys ([`lineage::move_key`]) of the lines of versions read, by
    /// blob: the language server compares each pause's buffer again.
    keys: std::sync::Arc<std::sync::Mutex<HashMap<Oid, std::sync::Arc<Keyed>>>>,
    /// The policy's bot authors, and whether unattested lines are wanted,
    /// for reading the switched commits ([`Derived::load`]).
    bots: Vec<String>,
    unknown: bool,
    /// The files the sources removed whole with an AI claim on the
    /// removal (their trailer or bot author, their vouch note's `removed`
    /// record, a git-ai note naming the path), by path, the first claim.
    removals: Vec<(String, Attribution)>,
    /// The changes of files' modes the sources' vouch notes claim for an AI
    /// (records with [`FileRecord::mode`]), carried by [`Derived::modes_onto`].
    modes: Vec<FileRecord>,
    /// Sources named but not found here.
    pub missing: Vec<String>,
}

/// The claims [`Derived::brought_from`] read, and whether some could not
/// be.
#[derive(Debug, Default)]
struct SwitchedClaims {
    read: Vec<Claims>,
    unreadable: bool,
}

/// What the sources say of one new file version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    /// The sources' AI lines carried onto it, as records of it.
    pub records: Vec<FileRecord>,
    /// Lines of a source no vouch note attests are in it.
    pub unknown: bool,
}

impl Derived {
    /// Read what `sources` claim, for the files in `paths` (all, if
    /// `None`). With `unknown`, also the lines of unattested sources, for
    /// [`Carried::unknown`] (the note's `no-ai`); a judge of AI text (the
    /// gate) does without them.
    pub fn load(
        repo: &Repository,
        sources: &Sources,
        bots: &[String],
        paths: Option<&HashSet<String>>,
        unknown: bool,
    ) -> Result<Derived, HistoryError> {
        let mut out = Derived {
            sources: Vec::new(),
            switched: Vec::new(),
            switched_versions: HashSet::new(),
            switched_tips: Vec::new(),
            fetched: sources.fetched.iter().copied().collect(),
            keys: Default::default(),
            bots: bots.to_vec(),
            unknown,
            removals: Vec::new(),
            modes: Vec::new(),
            missing: sources.missing.clone(),
        };
        let mut seen = HashSet::new();
        let mut shared = Shared::default();
        let tagged = sources
            .squashed
            .iter()
            .chain(&sources.picked)
            .map(|&c| (c, Kind::Source))
            .chain(sources.left.iter().map(|&c| (c, Kind::Left)));
        for (commit, kind) in tagged {
            if seen.insert(commit) {
                let mut claims = claims_with(repo, commit, bots, paths, true, unknown, &mut shared)?;
                out.modes.extend(claims.records.iter().filter(|r| r.mode.is_some()).cloned());
                claims.records.retain(|r| !r.ai.is_empty() || !r.deleted_before.is_empty());
                out.sources.push((claims, kind));
                for (path, attribution) in removal_claims(repo, commit, bots)? {
                    if !out.removals.iter().any(|(p, _)| *p == path) {
                        out.removals.push((path, attribution));
                    }
                }
            }
        }
        // Removing a file a branch left behind also removed is no copy of
        // its text: those commits claim no removals.
        let mut parents = HashSet::new();
        for &commit in sources.switched.iter().filter(|&&c| !seen.contains(&c)) {
            let (versions, of) = versions_changed(repo, commit, paths, &mut shared)?;
            parents.extend(of);
            if !versions.is_empty() {
                out.switched_versions.extend(versions.iter().map(|(path, version, _)| (path.clone(), *version)));
                out.switched.push((commit, versions));
            }
        }
        if let Some(paths) = paths.filter(|_| !out.switched.is_empty()) {
            for &tip in sources.switched.iter().filter(|c| !parents.contains(*c)) {
                let tree = repo
                    .find_commit(tip)
                    .and_then(|c| c.tree())
                    .map_err(|cause| HistoryError::Git { action: format!("read the tree of {tip}"), cause })?;
                for path in paths {
                    if let Ok(entry) = tree.get_path(std::path::Path::new(path)) {
                        out.switched_tips.push((path.clone(), entry.id()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The claims of the commits of branches HEAD switched away from whose
    /// version of `path` `admit` lets in (given that version and their
    /// first parent's) and that may claim something of it
    /// ([`Derived::may_claim`]), records of that file only. A commit
    /// whose claims cannot be read (a git-ai note vouch cannot parse)
    /// gives what its vouch note says, and makes the rest unknown.
    fn brought_from(
        &self,
        repo: &Repository,
        path: &str,
        mut admit: impl FnMut(Oid, Option<Oid>) -> bool,
    ) -> SwitchedClaims {
        let mut out = SwitchedClaims::default();
        let mut shared = Shared::default();
        let only: HashSet<String> = std::iter::once(path.to_string()).collect();
        for (commit, versions) in &self.switched {
            let Some(&(_, version, parent)) = versions.iter().find(|(p, _, _)| p == path) else { continue };
            if !admit(version, parent) || !self.may_claim(repo, *commit, path) {
                continue;
            }
            let unknown = self.unknown && !self.fetched.contains(commit);
            match claims_with(repo, *commit, &self.bots, Some(&only), true, unknown, &mut shared) {
                Ok(mut claims) => {
                    claims.records.retain(|r| !r.ai.is_empty() || !r.deleted_before.is_empty());
                    out.read.push(claims);
                }
                Err(e) => {
                    eprintln!(
                        "vouch: warning: {e}: what {path} may have brought from commit {commit} (on a branch \
                         left behind or fetched) beyond its vouch note is taken as of unknown origin"
                    );
                    out.unreadable |= !self.fetched.contains(commit);
                    let records = notes::read_note(repo, *commit)
                        .ok()
                        .flatten()
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|r| match r {
                            NoteRecord::File(f)
                                if f.path == path && (!f.ai.is_empty() || !f.deleted_before.is_empty()) =>
                            {
                                Some(f)
                            }
                            _ => None,
                        })
                        .collect();
                    out.read.push(Claims { commit: *commit, records, attested: false, unknown: Vec::new() });
                }
            }
        }
        out
    }

    /// Whether `commit` may claim anything of `path`, by what is cheap to
    /// read: its vouch note's records of it, a git-ai note, a trailer or
    /// bot author, or no attestation where unattested lines are wanted;
    /// and when any of that cannot be read.
    fn may_claim(&self, repo: &Repository, commit: Oid, path: &str) -> bool {
        let Ok(note) = notes::read_note(repo, commit) else { return true };
        let claims_path = |n: &[NoteRecord]| {
            n.iter().any(|r| {
                matches!(r, NoteRecord::File(f) if f.path == path && (!f.ai.is_empty() || !f.deleted_before.is_empty()))
            })
        };
        let unknown = self.unknown && !self.fetched.contains(&commit);
        if note.as_deref().is_some_and(claims_path) || (unknown && !note.as_deref().is_some_and(notes::attests)) {
            return true;
        }
        let Ok(c) = repo.find_commit(commit) else { return true };
        history::commit_ai_tool(&c, &self.bots).is_some()
            || !matches!(repo.find_note(Some(GIT_AI_NOTES_REF), commit),
                Err(e) if e.code() == ErrorCode::NotFound && !note_object_missing(&e))
    }

    /// Blob `version`'s lines as [`Keyed`], read once.
    fn keyed(&self, repo: &Repository, version: Oid, texts: &mut BlobTexts) -> Option<std::sync::Arc<Keyed>> {
        if let Some(found) = self.keys.lock().ok()?.get(&version) {
            return Some(found.clone());
        }
        let keyed = std::sync::Arc::new(Keyed::of(&texts.get(repo, version)?));
        self.keys.lock().ok()?.insert(version, keyed.clone());
        Some(keyed)
    }

    /// Who removed file `path` whole in a source, when an AI claim on that
    /// removal says so: for a new commit that removes it too.
    pub fn removal_claim(&self, path: &str) -> Option<&Attribution> {
        self.removals.iter().find(|(p, _)| p == path).map(|(_, a)| a)
    }

    /// Records of the files `commit` removes whole against its first
    /// parent that a source removed with an AI claim on the removal
    /// ([`FileRecord::removal`]): the removal is that AI's in `commit` too.
    /// Nothing to read (and no diff) when no source claims a removal.
    pub fn removals_onto(&self, repo: &Repository, commit: &git2::Commit<'_>) -> Result<Vec<FileRecord>, NoteError> {
        if self.removals.is_empty() {
            return Ok(Vec::new());
        }
        let Ok(parent) = commit.parent(0) else { return Ok(Vec::new()) };
        let tree = commit.tree().map_err(NoteError::git(format!("read the tree of {}", commit.id())))?;
        let old = parent.tree().map_err(NoteError::git(format!("read the tree of {}", parent.id())))?;
        let changes =
            tree_diff::changes(repo, Some(&old), &tree).map_err(NoteError::git(format!("diff {}", commit.id())))?;
        Ok(changes
            .changes
            .into_iter()
            .filter_map(|change| match (change.new, change.old) {
                (None, Some((blob, _))) => FileRecord::removal(&change.path, blob, self.removal_claim(&change.path)?),
                _ => None,
            })
            .collect())
    }

    /// Records of the modes the sources' AI set on files (a cherry-pick or a
    /// squash of an agent's `chmod`), where `commit` sets the file to that
    /// mode too ([`FileRecord::mode`]).
    pub fn modes_onto(&self, repo: &Repository, commit: &git2::Commit<'_>) -> Result<Vec<FileRecord>, NoteError> {
        if self.modes.is_empty() {
            return Ok(Vec::new());
        }
        let tree = commit.tree().map_err(NoteError::git(format!("read the tree of {}", commit.id())))?;
        let mut out = Vec::new();
        for record in &self.modes {
            let Some(claimed) = record.mode.as_deref() else { continue };
            let Some(mode) = notes::mode_set_by(repo, commit.id(), &tree, &record.path, claimed) else { continue };
            let Ok(entry) = tree.get_path(std::path::Path::new(&record.path)) else { continue };
            let bare = FileRecord { ai: Vec::new(), deleted_before: Vec::new(), removed: false, ..record.clone() };
            out.push(FileRecord { blob: entry.id().to_string(), mode: Some(mode), ..bare });
        }
        Ok(out)
    }

    /// Whether any source says anything of `path`, or may (a commit of a
    /// branch HEAD switched away from changed it).
    pub fn touches(&self, path: &str) -> bool {
        self.sources
            .iter()
            .any(|(c, _)| c.records.iter().any(|r| r.path == path) || c.unknown.iter().any(|u| u.path == path))
            || self.switched_touch(path)
    }

    /// Whether any source claims AI lines of `path`, or may.
    pub fn claims_ai(&self, path: &str) -> bool {
        self.sources.iter().any(|(c, _)| c.records.iter().any(|r| r.path == path)) || self.switched_touch(path)
    }

    fn switched_touch(&self, path: &str) -> bool {
        self.switched.iter().any(|(_, versions)| versions.iter().any(|(p, _, _)| p == path))
    }

    /// Whether any source is not attested by a vouch note, or missing.
    pub fn unattested(&self) -> bool {
        !self.missing.is_empty() || self.sources.iter().any(|(c, k)| *k == Kind::Source && !c.attested)
    }

    /// The commits whose claims were read.
    pub fn commits(&self) -> Vec<Oid> {
        self.sources.iter().map(|(c, _)| c.commit).collect()
    }

    /// What the sources say of the file versions `commit` added or
    /// changed against its first parent.
    pub fn carry_onto(&self, repo: &Repository, commit: &git2::Commit<'_>) -> Result<Carried, NoteError> {
        self.carry_onto_files(repo, &changed_files(repo, commit)?)
            .map_err(|e| NoteError::Sources { commit: commit.id(), reason: e.to_string() })
    }

    /// [`Derived::carry_onto`] with the commit's changed files already
    /// known (the post-commit hook diffs the commit once for its note and
    /// for this).
    pub fn carry_onto_files(&self, repo: &Repository, changed: &[Changed]) -> Result<Carried, HistoryError> {
        let mut out = Carried::default();
        let mut texts = BlobTexts::default();
        for Changed { path, old, new, gitlink, from } in changed.iter().cloned() {
            if !self.touches(&path) && !from.as_deref().is_some_and(|f| self.touches(f)) {
                continue;
            }
            if gitlink || repo.find_blob(new).is_ok_and(|b| std::str::from_utf8(b.content()).is_err()) {
                let carried = self.carry_whole(repo, &path, new)?;
                out.unknown |= carried.unknown;
                out.records.extend(carried.records);
                continue;
            }
            let Some(text) = texts.get(repo, new) else { continue };
            let base = old.and_then(|id| texts.get(repo, id));
            let carried = self.carry(repo, (&path, from.as_deref()), new, &text, base.as_deref().unwrap_or(""))?;
            out.unknown |= carried.unknown;
            out.records.extend(carried.records);
        }
        out.records = notes::merge_records(out.records);
        Ok(out)
    }

    /// What the sources say of a version of `path` that is one unit (a
    /// submodule's commit `id`, bytes that are not UTF-8 with blob `id`):
    /// a source's AI record of that very version, moved to its one line.
    /// Carried only when the version is the source's own: such content
    /// has no lines to follow through a change.
    pub fn carry_whole(&self, repo: &Repository, path: &str, id: Oid) -> Result<Carried, HistoryError> {
        let mut carried = Carried::default();
        let version = id.to_string();
        let mut records = Vec::new();
        let brought = self.brought_from(repo, path, |v, _| v == id);
        carried.unknown = brought.unreadable;
        for claims in self.sources.iter().map(|(c, _)| c).chain(&brought.read) {
            for record in claims.records.iter().filter(|r| r.path == path && r.blob == version && !r.ai.is_empty()) {
                records.push(record.moved(id, vec![[1, 1]]));
            }
            carried.unknown |= claims.unknown.iter().any(|u| u.path == path && u.blob == id);
        }
        carried.records = notes::merge_records(records);
        Ok(carried)
    }

    /// What the sources say of `text`, the version (`blob`) of `path` that
    /// changes `before` (the parent's version; empty for a new file): their
    /// AI lines among the lines it adds, and the places of their AI
    /// deletions where it removes lines too, as records of this version,
    /// and whether lines of unknown origin came from them. A file renamed
    /// from `from` takes what they say of that path too.
    pub fn carry(
        &self,
        repo: &Repository,
        (path, from): (&str, Option<&str>),
        blob: Oid,
        text: &str,
        before: &str,
    ) -> Result<Carried, HistoryError> {
        let mut carried = Carried::default();
        let added = notes::added_lines(before, text);
        let removals = if before.is_empty() {
            Vec::new()
        } else {
            lineage::removals(&lineage::split_lines(before.as_bytes()), &lineage::split_lines(text.as_bytes()))
        };
        if added.is_empty() && removals.is_empty() {
            return Ok(carried);
        }
        let added = &added[..];
        let mut texts = BlobTexts::default();
        // Sources often hold the same version with the same lines (a
        // commit reset and made again): each is compared once.
        let mut backs: HashMap<(Oid, LineRanges), bool> = HashMap::new();
        let mut moved: HashMap<(Oid, LineRanges), LineRanges> = HashMap::new();
        let mut records = Vec::new();
        // A file brought whole from a branch left behind is carried as a
        // squash's or a pick's sources are, from every commit there that
        // may claim something of it (a line an AI moved is no line it
        // added); one brought in part, by `carry_switched`.
        let whole = self.switched_versions.contains(&(path.to_string(), blob));
        let brought_whole = if whole { self.brought_from(repo, path, |_, _| true) } else { SwitchedClaims::default() };
        carried.unknown = brought_whole.unreadable;
        let sources =
            self.sources.iter().map(|(c, k)| (c, *k)).chain(brought_whole.read.iter().map(|c| (c, Kind::Source)));
        let ours = |p: &str| p == path || from == Some(p);
        for (claims, kind) in sources {
            for record in claims.records.iter().filter(|r| ours(&r.path)) {
                let Some(id) = Oid::from_str(&record.blob).ok() else { continue };
                let Some(old) = texts.get(repo, id) else { continue };
                let deleted_before = at_removals(notes::reanchor_gaps(&old, &record.deleted_before, text), &removals);
                if kind == Kind::Left
                    && deleted_before.is_empty()
                    && !*backs.entry((id, record.ai.clone())).or_insert_with(|| back(&old, &record.ai, text, added))
                {
                    continue;
                }
                let lines = moved
                    .entry((id, record.ai.clone()))
                    .or_insert_with(|| notes::intersect(&notes::reanchor_lines(&old, &record.ai, text), added))
                    .clone();
                if !lines.is_empty() || !deleted_before.is_empty() {
                    records.push(FileRecord { deleted_before, path: path.to_string(), ..record.moved(blob, lines) });
                }
            }
            for lines in claims.unknown.iter().filter(|u| ours(&u.path)) {
                if carried.unknown {
                    break;
                }
                let Some(old) = texts.get(repo, lines.blob) else { continue };
                if *backs
                    .entry((lines.blob, lines.lines.clone()))
                    .or_insert_with(|| back(&old, &lines.lines, text, added))
                {
                    carried.unknown = true;
                }
            }
        }
        if !whole {
            let brought = self.carry_switched(repo, Version { path, blob, text, before }, added, &removals, &mut texts);
            carried.unknown |= brought.unknown;
            records.extend(brought.records);
        }
        carried.records = notes::merge_records(records);
        Ok(carried)
    }

    /// What the commits of branches HEAD switched away from bring into
    /// `new`, a version none of them has (one they have is carried in
    /// [`Derived::carry`]), among the lines it adds (`added`) and the
    /// places it removes lines (`removals`). Of those commits, only those
    /// that wrote a line it adds or removed a line it removes are read (by
    /// how many lines hold each text: a check may stand in two functions),
    /// once a version where HEAD left the branches holds such a line.
    /// Then:
    ///
    /// - a commit's AI change that `new` holds whole (every line of it,
    ///   where a line diff of the two versions puts it, whitespace aside,
    ///   or one after the other among the lines `new` adds; and one added
    ///   at least), however small: `git cherry-pick -n`, `git apply`, a
    ///   checkout and an edit, a function pasted elsewhere in the file;
    ///   with its removals;
    /// - and of the rest, blocks of their AI lines ([`brought`]).
    ///
    /// A commit whose claims cannot be read makes what it may have brought
    /// of unknown origin, with a warning, and stops nothing.
    fn carry_switched(
        &self,
        repo: &Repository,
        new: Version<'_>,
        added: &[[u32; 2]],
        removals: &[lineage::Removal],
        texts: &mut BlobTexts,
    ) -> Carried {
        let mut carried = Carried::default();
        if !self.switched_touch(new.path) {
            return carried;
        }
        let now = Keyed::of(new.text);
        let before = Keyed::of(new.before);
        let mut eligible = vec![false; now.lines.len()];
        for &[a, b] in added {
            for line in a..=b {
                if let Some(e) = eligible.get_mut((line as usize).wrapping_sub(1)) {
                    *e = true;
                }
            }
        }
        let added_keys: HashSet<u64> =
            (0..now.lines.len()).filter(|&j| eligible[j] && now.telling[j]).map(|j| now.lines[j]).collect();
        // Lines the commit removes, by text: those the file holds fewer of
        // now (a check it removes may stand in another function too).
        let removed_keys: HashSet<u64> = removals
            .iter()
            .flat_map(|r| r.old.clone())
            .filter(|&i| before.telling.get(i) == Some(&true))
            .map(|i| before.lines[i])
            .filter(|k| now.count(k) < before.count(k))
            .collect();
        if added_keys.is_empty() && removed_keys.is_empty() {
            return carried;
        }
        // What the branches hold where HEAD left them first: a person's own
        // new lines are seldom there. A line the commit adds is one the
        // file holds more of now (`return True` in a second function), and
        // a tip holds it as often as the new version does (a person's own
        // `return None`, which the file held once already, is not the
        // branch's).
        let wanted: Vec<u64> = added_keys.iter().copied().filter(|k| now.count(k) > before.count(k)).collect();
        let likely = |keyed: &Keyed| {
            wanted.iter().any(|k| keyed.count(k) >= now.count(k))
                || (!removed_keys.is_empty() && removed_keys.iter().all(|k| keyed.count(k) < before.count(k)))
        };
        let tips: Vec<Oid> = self.switched_tips.iter().filter(|(p, _)| p == new.path).map(|&(_, v)| v).collect();
        if !tips.into_iter().any(|v| self.keyed(repo, v, texts).is_some_and(|k| likely(&k))) {
            return carried;
        }
        let claims = self.brought_from(repo, new.path, |version, parent| {
            let Some(v) = self.keyed(repo, version, texts) else { return true };
            let p = parent.and_then(|p| self.keyed(repo, p, texts));
            let had = |k: &u64| p.as_ref().map_or(0, |p| p.count(k));
            v.counts.iter().any(|(k, &n)| added_keys.contains(k) && n > had(k))
                || p.as_ref().is_some_and(|p| p.counts.iter().any(|(k, &n)| removed_keys.contains(k) && n > v.count(k)))
        });
        carried.unknown = claims.unreadable;
        // Each record's AI lines where a line diff puts them in `new`:
        // a change held whole is carried; the rest pooled, for blocks.
        let mut pooled: HashMap<usize, usize> = HashMap::new();
        let mut unknown_pool: HashSet<usize> = HashSet::new();
        let mut records: Vec<&FileRecord> = Vec::new();
        for claims in &claims.read {
            for record in claims.records.iter().filter(|r| r.path == new.path) {
                let Some(id) = Oid::from_str(&record.blob).ok() else { continue };
                let Some(keyed) = self.keyed(repo, id, texts) else { continue };
                let (mapped, whole_change) = keyed.carried_into(&now, &record.ai, &eligible);
                let deleted_before = at_removals(keyed.gaps_into(&now, &record.deleted_before), removals);
                let removal_held = !record.deleted_before.is_empty()
                    && deleted_before.len() == record.deleted_before.len()
                    && (record.ai.is_empty() || whole_change);
                if whole_change || removal_held {
                    let ai = lines_to_ranges(mapped.iter().copied().filter(|&j| eligible[j]));
                    let deleted_before = if removal_held { deleted_before } else { Vec::new() };
                    carried.records.push(FileRecord { deleted_before, ..record.moved(new.blob, ai) });
                } else {
                    for j in mapped.into_iter().filter(|&j| eligible[j] && now.telling[j]) {
                        pooled.entry(j).or_insert(records.len());
                    }
                }
                records.push(record);
            }
            for lines in claims.unknown.iter().filter(|u| u.path == new.path) {
                let Some(keyed) = self.keyed(repo, lines.blob, texts) else { continue };
                let (mapped, whole_change) = keyed.carried_into(&now, &lines.lines, &eligible);
                carried.unknown |= whole_change;
                unknown_pool.extend(mapped.into_iter().filter(|&j| eligible[j] && now.telling[j]));
            }
        }
        let text_lines = lineage::split_lines(new.text.as_bytes());
        let mut by_record: Vec<Vec<usize>> = vec![Vec::new(); records.len()];
        for j in brought(&text_lines, &eligible, |j| pooled.contains_key(&j)) {
            by_record[pooled[&j]].push(j);
        }
        for (record, lines) in records.iter().zip(by_record) {
            if !lines.is_empty() {
                carried.records.push(record.moved(new.blob, lines_to_ranges(lines.into_iter())));
            }
        }
        carried.unknown |= !brought(&text_lines, &eligible, |j| unknown_pool.contains(&j)).is_empty();
        carried
    }
}

/// A new version of a file: its path, its blob, its text and its
/// parent's (`before`).
#[derive(Clone, Copy)]
struct Version<'a> {
    path: &'a str,
    blob: Oid,
    text: &'a str,
    before: &'a str,
}

/// A version's lines by their text, whitespace aside: each line's
/// [`lineage::move_key`] (for a line with no letter or digit, a key of its
/// visible bytes, so that braces and blanks align too), which lines have
/// a letter or digit, and how many lines hold each key of those.
#[derive(Debug)]
struct Keyed {
    lines: Vec<u64>,
    telling: Vec<bool>,
    counts: HashMap<u64, u32>,
}

impl Keyed {
    fn of(text: &str) -> Keyed {
        let mut out = Keyed { lines: Vec::new(), telling: Vec::new(), counts: HashMap::new() };
        for line in lineage::split_lines(text.as_bytes()) {
            match lineage::move_key(line) {
                Some(key) => {
                    out.lines.push(key);
                    out.telling.push(true);
                    *out.counts.entry(key).or_default() += 1;
                }
                None => {
                    use std::hash::Hasher as _;
                    let mut hasher = std::collections::hash_map::DefaultHasher::new();
                    hasher.write_u8(0xff);
                    hasher.write(&line.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect::<Vec<u8>>());
                    out.lines.push(hasher.finish());
                    out.telling.push(false);
                }
            }
        }
        out
    }

    /// Where a line diff of this version and `now` (whitespace aside)
    /// puts this version's `lines` (1-based ranges) in `now` (0-based),
    /// and whether `now` holds the change whole: every one of those lines
    /// with a letter or digit found, one of them at least, and one among
    /// the lines `now` adds (`eligible`).
    fn carried_into(&self, now: &Keyed, lines: &[[u32; 2]], eligible: &[bool]) -> (Vec<usize>, bool) {
        let image = self.image(now);
        // A note's lines are the author's to write: line 0, or past the end,
        // names no line.
        let wanted: Vec<usize> = lines
            .iter()
            .flat_map(|r| r[0]..=r[1])
            .filter_map(|l| (l as usize).checked_sub(1))
            .filter(|&i| i < self.lines.len())
            .collect();
        let mapped: Vec<usize> = wanted.iter().filter_map(|i| image.get(i).copied()).collect();
        let telling: Vec<usize> = wanted.iter().copied().filter(|&i| self.telling[i]).collect();
        let whole = !telling.is_empty()
            && telling.iter().all(|i| image.contains_key(i))
            && mapped.iter().any(|&j| eligible.get(j) == Some(&true));
        if !whole && let Some(run) = self.run_in(now, &telling, eligible) {
            return (run, true);
        }
        (mapped, whole)
    }
}

impl Keyed {
    /// How many lines with a letter or digit hold `key`.
    fn count(&self, key: &u64) -> u32 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    /// Where `now` holds `lines` (0-based, of this version) one after the
    /// other among the lines it adds (`eligible`), whitespace aside, with
    /// nothing but lines with no letter or digit between: a change pasted
    /// elsewhere than a line diff of the two versions puts it (a function
    /// moved to the end of the file).
    fn run_in(&self, now: &Keyed, lines: &[usize], eligible: &[bool]) -> Option<Vec<usize>> {
        let keys: Vec<u64> = lines.iter().filter(|&&i| self.telling[i]).map(|&i| self.lines[i]).collect();
        let first = *keys.first()?;
        let fits = |j: usize| eligible.get(j) == Some(&true) && now.telling[j];
        'start: for start in (0..now.lines.len()).filter(|&j| now.lines[j] == first && fits(j)) {
            let mut found = vec![start];
            let mut j = start;
            for key in &keys[1..] {
                j += 1;
                while j < now.lines.len() && !now.telling[j] {
                    j += 1;
                }
                if j >= now.lines.len() || now.lines[j] != *key || !fits(j) {
                    continue 'start;
                }
                found.push(j);
            }
            return Some(found);
        }
        None
    }

    /// Where a line diff of this version and `now` (whitespace aside) puts
    /// each line of this version that `now` keeps (0-based).
    fn image(&self, now: &Keyed) -> HashMap<usize, usize> {
        use similar::{Algorithm, DiffOp, capture_diff_slices};
        let mut image: HashMap<usize, usize> = HashMap::new();
        for op in capture_diff_slices(Algorithm::Myers, &self.lines, &now.lines) {
            if let DiffOp::Equal { old_index, new_index, len } = op {
                image.extend((0..len).map(|k| (old_index + k, new_index + k)));
            }
        }
        image
    }

    /// The places of removals (`deleted_before`: 1-based lines of this
    /// version the removed lines stood before) in `now`, as
    /// [`notes::reanchor_gaps`] places them, whitespace aside (a file
    /// brought with other line endings); a place with neither neighbour
    /// kept is dropped.
    fn gaps_into(&self, now: &Keyed, deleted_before: &[u32]) -> Vec<u32> {
        let image = self.image(now);
        let mut out: Vec<u32> = deleted_before
            .iter()
            .filter_map(|&before| match (before as usize).checked_sub(1)? {
                0 => Some(1),
                gap => match image.get(&(gap - 1)) {
                    Some(&n) => Some(n as u32 + 2),
                    None => image.get(&gap).map(|&n| n as u32 + 1),
                },
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// 1-based ranges of 0-based `lines`.
fn lines_to_ranges(lines: impl Iterator<Item = usize>) -> LineRanges {
    notes::merge_line_ranges(lines.map(|j| [j as u32 + 1, j as u32 + 1]))
}

/// The lines (0-based) of `lines` that a block brings from a branch HEAD
/// left: lines `found` takes (AI lines of its commits, where a line diff
/// puts them), among those the commit adds (`eligible`), in runs of at
/// least [`MIN_BROUGHT_LINES`] with at least [`MIN_BROUGHT_TEXT`] visible
/// characters between them, one line at most between one and the next
/// (a blank, a brace, a line the person changed), all added. Short idioms
/// recur on any two branches (`if err != nil {` and `return err`,
/// imports, a test module's header, a `__main__` guard a few lines below
/// `def main():`): they are no copy.
fn brought(lines: &[&[u8]], eligible: &[bool], found: impl Fn(usize) -> bool) -> Vec<usize> {
    let hits: Vec<usize> = (0..lines.len().min(eligible.len())).filter(|&j| eligible[j] && found(j)).collect();
    let mut out = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let mut flush = |run: &mut Vec<usize>| {
        let text: usize = run.iter().map(|&j| visible(lines[j])).sum();
        if run.len() >= MIN_BROUGHT_LINES && text >= MIN_BROUGHT_TEXT {
            out.append(run);
        }
        run.clear();
    };
    for j in hits {
        if let Some(&last) = run.last()
            && !(j - last <= 2 && eligible[last..=j].iter().all(|&e| e))
        {
            flush(&mut run);
        }
        run.push(j);
    }
    flush(&mut run);
    out
}

/// The versions of the files in `paths` (all, if `None`) that `commit`
/// adds or changes against its first parent, each with the parent's; and
/// its parents.
fn versions_changed(
    repo: &Repository,
    commit: Oid,
    paths: Option<&HashSet<String>>,
    shared: &mut Shared,
) -> Result<(Changes, Vec<Oid>), HistoryError> {
    let git = |action: String| move |cause| HistoryError::Git { action, cause };
    let c = repo.find_commit(commit).map_err(git(format!("read commit {commit}")))?;
    let parents = c.parent_ids().collect();
    let Some(paths) = paths else {
        let changed = shared.changed_files(repo, &c)?;
        return Ok((changed.iter().map(|ch| (ch.path.clone(), ch.new, ch.old)).collect(), parents));
    };
    let tree = c.tree().map_err(git(format!("read the tree of {commit}")))?;
    let parent = match c.parent(0) {
        Ok(p) => Some(p.tree().map_err(git(format!("read the tree of {}", p.id())))?),
        Err(_) => None,
    };
    let entry = |tree: &git2::Tree<'_>, path: &str| tree.get_path(std::path::Path::new(path)).ok().map(|e| e.id());
    let versions = paths
        .iter()
        .filter_map(|p| {
            let now = entry(&tree, p)?;
            let was = parent.as_ref().and_then(|t| entry(t, p));
            (Some(now) != was).then(|| (p.clone(), now, was))
        })
        .collect();
    Ok((versions, parents))
}

/// Of `places` (1-based lines removed lines stood before), those where
/// the new version removes lines too (`removals`).
fn at_removals(places: Vec<u32>, removals: &[lineage::Removal]) -> Vec<u32> {
    places.into_iter().filter(|&before| removals.iter().any(|r| r.gaps.contains(&(before as usize - 1)))).collect()
}

/// How many bytes of `line` are not ASCII whitespace: lines with one
/// [`lineage::move_key`] have as many.
fn visible(line: &[u8]) -> usize {
    line.iter().filter(|b| !b.is_ascii_whitespace()).count()
}

/// Whether a line of `old` among `lines` with some substance is in `new`
/// unchanged, among the lines `added`.
fn back(old: &str, lines: &[[u32; 2]], new: &str, added: &[[u32; 2]]) -> bool {
    let kept = notes::intersect(&notes::surviving_lines(old, lines, new), added);
    if kept.is_empty() {
        return false;
    }
    let spans = notes::line_spans(new);
    kept.iter()
        .flat_map(|r| r[0]..=r[1])
        .any(|line| spans.get(line as usize - 1).is_some_and(|r| substantial(&new[r.clone()])))
}

/// A line with at least four visible characters, one of them a letter or
/// digit: not a brace, a blank or a lone keyword like `end`.
fn substantial(line: &str) -> bool {
    let visible = line.chars().filter(|c| !c.is_whitespace()).count();
    visible >= 4 && line.chars().any(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squash_messages_name_their_commits() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let msg = format!(
            "Squashed commit of the following:\n\ncommit {a}\nAuthor: A <a@x>\nDate:   now\n\n    one\n\ncommit {b}\nAuthor: A <a@x>\n\n    commit deadbeef in a body\n"
        );
        assert_eq!(squashed_commits(&msg), vec![a.clone(), b]);
        assert!(squashed_commits(&format!("plain\n\ncommit {a}\n")).is_empty());
    }

    #[test]
    fn subtract_leaves_the_rest() {
        assert_eq!(subtract(&[[1, 10]], &[[3, 4], [8, 12]]), vec![[1, 2], [5, 7]]);
        assert_eq!(subtract(&[[1, 3]], &[]), vec![[1, 3]]);
        assert_eq!(subtract(&[[2, 3]], &[[1, 5]]), Vec::<[u32; 2]>::new());
    }

    /// `eligible` for 1-based `added` ranges over `n` lines.
    fn eligible(n: usize, added: &[[u32; 2]]) -> Vec<bool> {
        (1..=n as u32).map(|l| added.iter().any(|r| r[0] <= l && l <= r[1])).collect()
    }

    #[test]
    fn an_ai_change_held_whole_is_found_where_a_diff_puts_it() {
        // The AI weakened one line; a person's branch has a header, and
        // takes the change (`git apply`), re-indented by a formatter.
        let ai = "def can_delete(user):\n    return user.is_admin or True\n";
        let now = "# header\ndef can_delete(user):\n        return user.is_admin  or True\n";
        let (mapped, whole) = Keyed::of(ai).carried_into(&Keyed::of(now), &[[2, 2]], &eligible(3, &[[1, 1], [3, 3]]));
        assert_eq!((mapped, whole), (vec![2], true));
        // Not added by the commit: not the commit's.
        let (_, whole) = Keyed::of(ai).carried_into(&Keyed::of(now), &[[2, 2]], &eligible(3, &[[1, 1]]));
        assert!(!whole);
        // Part of a change is not the change.
        let ai = "import logging\nlog = logging.getLogger(__name__)\n\ndef audit(user):\n    log.info(user)\n";
        let now = "import logging\nlog = logging.getLogger(__name__)\n";
        let (mapped, whole) = Keyed::of(ai).carried_into(&Keyed::of(now), &[[1, 5]], &eligible(2, &[[1, 2]]));
        assert_eq!((mapped, whole), (vec![0, 1], false));
        // A person's function that repeats the AI's lines elsewhere in the
        // version is not where the diff puts the AI's.
        let ai = "def names(rows):\n    return [r.name for r in rows]\n\ndef totals(rows):\n    return [r.name for r in rows]\n";
        let now = "def names(rows):\n    return [r.name for r in rows]\n";
        let (mapped, _) = Keyed::of(ai).carried_into(&Keyed::of(now), &[[4, 5]], &eligible(2, &[[1, 2]]));
        assert!(mapped.is_empty(), "{mapped:?}");
        // A note naming line 0 or lines past the end names nothing.
        let (mapped, whole) = Keyed::of(ai).carried_into(&Keyed::of(now), &[[0, 0], [9, 12]], &eligible(2, &[[1, 2]]));
        assert!(mapped.is_empty() && !whole);
    }

    #[test]
    fn a_part_of_ai_text_counts_in_blocks_with_substance() {
        let text = "# header\ndef grant(user, doc):\n    user.admin = True\n    audit(user, doc)\n    return user.can_do(doc)\n";
        let lines = lineage::split_lines(text.as_bytes());
        let all = eligible(5, &[[1, 5]]);
        assert_eq!(brought(&lines, &all, |j| j >= 1), vec![1, 2, 3, 4]);
        // Three lines are an idiom, not a copy.
        assert!(brought(&lines, &all, |j| j >= 2).is_empty());
        // A line the commit did not add splits a block.
        assert!(brought(&lines, &eligible(5, &[[1, 2], [4, 5]]), |j| j >= 1).is_empty());
        // Four short lines are too little text.
        let short = "a = 1\nb = 2\nc = 3\nd = 4\n";
        assert!(brought(&lineage::split_lines(short.as_bytes()), &eligible(4, &[[1, 4]]), |_| true).is_empty());
    }

    #[test]
    fn only_lines_with_substance_bring_text_back() {
        let old = "def f():\n    return compute(x)\n}\n";
        let new = "def g():\n    pass\n}\n";
        // Only the brace is unchanged: nothing of the old text is back.
        assert!(!back(old, &[[1, 3]], new, &[[1, 3]]));
        let new = "def g():\n    return compute(x)\n}\n";
        assert!(back(old, &[[1, 3]], new, &[[1, 3]]));
        // Back, but not added by the new commit.
        assert!(!back(old, &[[1, 3]], new, &[[1, 1]]));
        assert!(substantial("    pass\n") && !substantial("  })\n") && !substantial("end\n"));
    }
}
