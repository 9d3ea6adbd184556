//! The lineage of a range `BASE..HEAD`: for every line of every file the
//! range touched, as of HEAD, whether AI wrote it (and by what evidence) and
//! which commits of the range touched it, in one pass over the range's
//! commits, oldest first, with the rules of [`crate::lineage`] (AI origin is
//! sticky through whitespace, re-indentation, rewording, moves and merges).
//! It also keeps the files a change with AI evidence removed whole
//! ([`RemovedFile`]): a path BASE has and the head lacks, removed so, is a
//! [`DeletedFile`] that needs sign-off like a unit (nothing of it is left
//! to hold an AI line). A rename is not a removal (renames are found, as
//! `git log -M` finds them, and across commits: a file added with most of
//! the text of one the range removed is that file, [`Graveyard`]), a file
//! keeps the path it had at BASE through renames (what a removal after them
//! removes), and a merge removes a file only when every parent has it.
//!
//! Evidence per commit: its vouch note (file records for a path at a blob,
//! or `no-ai`), its git-ai note ([`GitAiReader`]), and what it declares as a
//! whole (a trailer, aider's author suffix, a bot author:
//! [`history::commit_declaration`]). A commit outside the range (BASE's
//! side) contributes "outside" lines, which are not judged.
//!
//! A blob that is not UTF-8 is one opaque unit, and so is a submodule
//! (gitlink). A path that is not UTF-8 is not followed (verify fails every
//! range that touches one). The cost is about one `git log -p` of the
//! range: a tree diff per commit and parent, a line diff per changed file;
//! a commit's file states are kept only until its last child in the range
//! has used them.
//!
//! This module reads git; the rules themselves are pure (`crate::lineage`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

use git2::{Delta, DiffFindOptions, DiffOptions, FileMode, ObjectType, Oid, Repository, Sort, Tree};

use crate::lineage::{
    self, Attester, Change, Claim, ClaimId, Deletion, OUTSIDE, Pool, Table, Tag, Version, opaque_line,
};
use crate::provenance::{AiSource, Attribution, Evidence as How};
use crate::store::history::{self, Declared, GitAiNote, GitAiReader, HistoryError};
use crate::store::notes::{self, NoteError, NoteRecord};

/// Why the lineage could not be computed: verify refuses to decide.
#[derive(Debug, thiserror::Error)]
pub enum LineageError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("{action}: {cause}")]
    Git { action: String, cause: git2::Error },
    #[error("commit {commit} came before its parent {parent} in the walk of the range")]
    Order { commit: Oid, parent: Oid },
    #[error("the kept lineage of {path} does not match its file")]
    Stale { path: String },
    #[error(
        "commit {commit} of the range has parents this clone did not fetch (a shallow clone), so what lies behind \
         it may belong to the range too; fetch the whole history (git fetch --unshallow, or fetch-depth: 0 with \
         actions/checkout)"
    )]
    Shallow { commit: Oid },
    #[error(
        "BASE {base} and HEAD share no commit this clone fetched (a shallow clone cut BASE's history), so BASE's own \
         commits cannot be told from the range's; fetch the whole history (git fetch --unshallow, or fetch-depth: 0 \
         with actions/checkout)"
    )]
    ShallowBase { base: Oid },
    #[error(
        "{path} gives commits other parents than they have (grafts), which the walk of the range would follow; \
         remove it, or verify in a fresh clone"
    )]
    Grafts { path: String },
}

fn git(action: impl Into<String>) -> impl FnOnce(git2::Error) -> LineageError {
    let action = action.into();
    move |cause| LineageError::Git { action, cause }
}

/// What a commit of the range carries as evidence of who wrote its lines.
#[derive(Debug, Clone, Default)]
pub struct CommitEvidence {
    /// Its vouch note, read and parsed.
    pub vouch_note: Option<Vec<NoteRecord>>,
    /// Its git-ai note, read as git-ai reads it.
    pub git_ai_note: Option<GitAiNote>,
    /// What it declares as a whole (trailer, aider, bot author).
    pub declared: Option<Declared>,
}

impl CommitEvidence {
    /// What `commit` carries, read on its own (a walk of a range reads each
    /// commit's with readers it keeps for the whole walk).
    pub fn read(repo: &Repository, commit: &git2::Commit<'_>, bots: &[String]) -> Result<CommitEvidence, LineageError> {
        Ok(CommitEvidence {
            vouch_note: notes::NoteReader::new(repo).read(commit.id())?,
            git_ai_note: GitAiReader::new(repo).read(commit.id())?,
            declared: history::commit_declaration(commit, bots),
        })
    }

    /// What makes this commit's change of `path` an AI's, as a report
    /// names it (`trailer: claude`, `bot author: …`, `vouch note`,
    /// `git-ai note`): what it declares, which speaks for every path it
    /// changes; else its vouch note's first record of `path` that `counts`
    /// (a removal, an AI edit), and a git-ai note that attributes lines of
    /// `path` to AI (git-ai records no removals and no modes: such a note
    /// speaks for any of the file). Nothing for a note about other paths.
    pub fn labels_for(&self, path: &str, counts: impl Fn(&notes::FileRecord) -> bool) -> Vec<String> {
        if let Some(declared) = &self.declared {
            return vec![declared.label()];
        }
        let noted = self.vouch_note.iter().flatten().find_map(|r| match r {
            NoteRecord::File(f) if f.path == path && counts(f) => Some(f.evidence_label()),
            _ => None,
        });
        let git_ai = self.git_ai_note.as_ref().and_then(|n| n.first_ai(path)).map(|_| "git-ai note".to_string());
        noted.into_iter().chain(git_ai).collect()
    }

    /// Each piece of evidence, as a report names it: `vouch note`,
    /// `trailer: claude`, `aider author`, `bot author: …`, `git-ai note`.
    /// A vouch note is a `vouch note` when it attests its commit
    /// ([`notes::attests`]); a note of nothing but records imported from
    /// another tool's format is `imported: <format>` (`imported:
    /// agent-trace`), which adds AI lines and attests nothing, as verify
    /// counts it; a partial note's own records are a `vouch note` too
    /// (they attest nothing else either); an empty note says nothing.
    pub fn labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(note) = &self.vouch_note {
            if notes::attests(note) {
                out.push("vouch note".to_string());
            } else {
                // Its AI records, each as what it is (a partial note's
                // own, or imported from another tool).
                for record in note {
                    if let NoteRecord::File(f) = record {
                        let label = f.evidence_label();
                        if !out.contains(&label) {
                            out.push(label);
                        }
                    }
                }
            }
        }
        if let Some(declared) = &self.declared {
            out.push(declared.label());
        }
        if self.git_ai_note.is_some() {
            out.push("git-ai note".to_string());
        }
        out
    }

    /// Whether anything besides a vouch note says AI wrote part of it: a
    /// declaration, or a git-ai note attributing some line to AI.
    pub fn other_ai_claim(&self) -> Option<String> {
        if let Some(declared) = &self.declared {
            return Some(match declared {
                Declared::Trailer(tool) => format!("its trailer names {tool}"),
                Declared::Aider => "its author is aider".to_string(),
                Declared::Bot(name) => format!("its author {name} is a bot"),
                Declared::Author(tool) => format!("its author or committer is {tool}"),
            });
        }
        self.git_ai_note.as_ref().filter(|n| n.claims_ai()).map(|_| "its git-ai note attributes lines to AI".into())
    }
}

/// What one version of a file is to the lineage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionKind {
    /// UTF-8 text, judged line by line (control characters and all).
    Text,
    /// A blob that is not UTF-8: one unit.
    Bytes,
    /// A submodule (gitlink): one unit, its commit id.
    Submodule,
}

/// The lines one commit added to one text file (those in none of its
/// parents' versions: added, or rewritten in place), by what the lineage
/// says of them at that commit: what the range's statistics count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedLines {
    pub path: String,
    /// How many added lines carry each claim ([`Lineage::claim_by_id`]).
    pub by_claim: Vec<(ClaimId, u32)>,
    /// Of the AI lines, those AI because of text the commit rewrote or
    /// moved (sticky origin), not because of its own evidence.
    pub carried: u32,
}

impl AddedLines {
    /// All the lines it added.
    pub fn added(&self) -> u32 {
        self.by_claim.iter().map(|(_, n)| n).sum()
    }
}

/// A file one commit removed whole, with AI evidence for the removal: the
/// commit's trailer, aider's author or a bot author (every file it removes),
/// or a git-ai note that attributes lines of that very path to AI. A vouch
/// note speaks for the versions it names, which a removed file no longer
/// has: it makes no removal of a file an AI's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemovedFile {
    pub path: String,
    /// The AI claim of the removal (its evidence).
    pub claim: ClaimId,
    /// The lines the removed version had (one for a version that is not
    /// text).
    pub lines: u32,
}

/// A path that BASE has and the end of the range lacks, which a commit of
/// the range with AI evidence removed ([`RemovedFile`]): a unit of its own
/// that needs sign-off (a file created and removed within the range, or
/// removed and restored, is none; nor is one BASE's side removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedFile {
    /// The commits that removed it with AI evidence, by number in the
    /// range's commits (a pending commit: the number after the last).
    pub commits: Vec<u32>,
    /// The first of their claims.
    pub claim: ClaimId,
    /// The lines of the version removed first.
    pub lines: u32,
    /// The fingerprint of its deletion: its path and BASE's version
    /// ([`crate::fingerprint::deleted_fingerprint`] of [`deleted_version`]).
    pub fingerprint: String,
    /// The risk tags of the text deleted ([`crate::signoff::risk_of_text`]).
    pub risk: Vec<String>,
}

/// What deleting `path` from BASE (whose tree is `base`) deletes, as its
/// fingerprint binds it: the kind ([`crate::fingerprint::DELETED_BLOB`] or
/// [`crate::fingerprint::DELETED_SUBMODULE`]) and the bytes (the blob's, or
/// the submodule's 40-hex commit id); `None` when BASE has no file there.
pub fn deleted_version(
    repo: &Repository,
    base: &Tree<'_>,
    path: &str,
) -> Result<Option<(&'static str, Vec<u8>)>, git2::Error> {
    match file_entry(base, path)? {
        Some(entry) => entry_version(repo, &entry).map(Some),
        None => Ok(None),
    }
}

/// The entry of the file (or submodule) at `path` in `tree`; `None` when
/// there is none.
fn file_entry<'t>(tree: &'t Tree<'_>, path: &str) -> Result<Option<git2::TreeEntry<'t>>, git2::Error> {
    match tree.get_path(Path::new(path)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Ok(None),
        Ok(entry) => Ok(Some(entry)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The kind and bytes of the version `entry` names, as a deletion's
/// fingerprint binds them.
fn entry_version(repo: &Repository, entry: &git2::TreeEntry<'_>) -> Result<(&'static str, Vec<u8>), git2::Error> {
    use crate::fingerprint::{DELETED_BLOB, DELETED_SUBMODULE};
    Ok(match entry.kind() {
        Some(ObjectType::Commit) => (DELETED_SUBMODULE, entry.id().to_string().into_bytes()),
        _ => (DELETED_BLOB, repo.find_blob(entry.id())?.content().to_vec()),
    })
}

/// The fingerprint of deleting `path` from `base`
/// ([`crate::fingerprint::deleted_fingerprint`] of [`deleted_version`]);
/// `None` when `base` has no file there. Kept in `memo` by the version
/// deleted, so that the language server's step after each pause in typing
/// does not read and hash it again.
/// A deletion's fingerprint and the risk tags of the text deleted.
type FileDeletion = (String, Vec<String>);

fn deletion_fingerprint(
    repo: &Repository,
    base: &Tree<'_>,
    path: &str,
    memo: Option<&Blobs>,
) -> Result<Option<FileDeletion>, git2::Error> {
    let Some(entry) = file_entry(base, path)? else { return Ok(None) };
    let key = (path.to_string(), entry.id());
    if let Some(kept) = memo.and_then(|m| m.deletions.borrow().get(&key).cloned()) {
        return Ok(Some(kept));
    }
    let (kind, bytes) = entry_version(repo, &entry)?;
    let fingerprint = crate::fingerprint::deleted_fingerprint(path, kind, &bytes);
    let risk = match kind {
        crate::fingerprint::DELETED_BLOB => crate::signoff::risk_of_text(path, &bytes),
        _ => Vec::new(),
    };
    if let Some(memo) = memo {
        let mut kept = memo.deletions.borrow_mut();
        if kept.len() >= Blobs::MAX_COUNT {
            kept.clear();
        }
        kept.insert(key, (fingerprint.clone(), risk.clone()));
    }
    Ok(Some((fingerprint, risk)))
}

/// The paths of `base` (a tree) that `present` says the end of the range
/// lacks and that `removed` (each commit's AI removals, by number) names.
fn deleted_files<'a>(
    repo: &Repository,
    memo: Option<&Blobs>,
    removed: impl IntoIterator<Item = (u32, &'a RemovedFile)>,
    base: Option<&Tree<'_>>,
    present: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, DeletedFile>, LineageError> {
    let mut out: BTreeMap<String, DeletedFile> = BTreeMap::new();
    let Some(base) = base else { return Ok(out) };
    for (commit, r) in removed {
        if let Some(found) = out.get_mut(&r.path) {
            if !found.commits.contains(&commit) {
                found.commits.push(commit);
            }
            continue;
        }
        if present(&r.path) {
            continue;
        }
        let found = deletion_fingerprint(repo, base, &r.path, memo).map_err(git(format!("read BASE's {}", r.path)))?;
        if let Some((fingerprint, risk)) = found {
            out.insert(
                r.path.clone(),
                DeletedFile { commits: vec![commit], claim: r.claim, lines: r.lines, fingerprint, risk },
            );
        }
    }
    for file in out.values_mut() {
        file.commits.sort_unstable();
    }
    Ok(out)
}

/// Whether `tree` holds a file (or a submodule) at `path`.
fn holds_file(tree: Option<&Tree<'_>>, path: &str) -> bool {
    tree.and_then(|t| t.get_path(Path::new(path)).ok()).is_some_and(|e| e.kind() != Some(ObjectType::Tree))
}

/// One file as of HEAD, with the lineage of each of its lines (one tag for
/// a [`VersionKind::Bytes`] or [`VersionKind::Submodule`] unit).
#[derive(Debug, Clone)]
pub struct FileLineage {
    /// The blob id, or the submodule's commit id (zero for a pending text
    /// version given without its id, see [`PendingVersion::id`]).
    pub id: Oid,
    pub kind: VersionKind,
    pub tags: Vec<Tag>,
    /// Where commits of the range removed lines, in this version: an AI's
    /// removals, and the others, which only say who touched the place
    /// ([`Deletion::is_ai`]).
    pub deletions: Vec<Deletion>,
}

/// The lineage of a range.
#[derive(Debug)]
pub struct Lineage {
    /// The commits of the range, oldest first (parents before children).
    pub commits: Vec<Oid>,
    pub evidence: HashMap<Oid, CommitEvidence>,
    /// The paths each commit changed against its first parent (all of its
    /// files for a root commit), old and new names of a rename.
    pub changed: HashMap<Oid, Vec<String>>,
    /// Every path of HEAD that a commit of the range touched.
    pub files: BTreeMap<String, FileLineage>,
    /// The lines each commit added to text files, by path (a version that
    /// is not text, a submodule, adds no lines here).
    pub added: HashMap<Oid, Vec<AddedLines>>,
    /// The lines each commit removed as an AI (its own AI deletions, and
    /// the lines of the files it removed whole as an AI; a removal adds no
    /// line to `added`).
    pub deleted: HashMap<Oid, u32>,
    /// The files each commit removed whole with AI evidence.
    pub removed: HashMap<Oid, Vec<RemovedFile>>,
    /// The paths BASE has and HEAD lacks that a commit of the range
    /// removed with AI evidence (empty without BASE).
    pub deleted_files: BTreeMap<String, DeletedFile>,
    table: Table,
}

impl Lineage {
    /// The commits (ids) that removed `file` with AI evidence.
    pub fn commits_deleting(&self, file: &DeletedFile) -> Vec<Oid> {
        file.commits.iter().filter_map(|&i| self.commits.get(i as usize).copied()).collect()
    }

    pub fn claim(&self, tag: Tag) -> &Claim {
        self.table.get(tag.claim)
    }

    pub fn is_ai(&self, tag: Tag) -> bool {
        self.table.is_ai(tag.claim)
    }

    /// The AI deletions of `file` (a text file of HEAD) as byte offsets of
    /// `text`, its content, with their attribution: what analysis turns
    /// into the units they changed.
    pub fn ai_deletions(&self, file: &FileLineage, text: &str) -> Vec<crate::provenance::AiDeletion> {
        ai_deletions(&self.table, &file.deletions, text.as_bytes())
    }

    /// The AI lines of `file` (a text file of HEAD) as byte spans of `text`,
    /// its content, with their attribution: what analysis turns into units.
    pub fn ai_spans(&self, file: &FileLineage, text: &str) -> Vec<(std::ops::Range<usize>, Attribution)> {
        let mut spans: Vec<(std::ops::Range<usize>, Attribution)> = Vec::new();
        for (line, &tag) in notes::line_spans(text).into_iter().zip(&file.tags) {
            let Claim::Ai(attribution) = self.claim(tag) else { continue };
            match spans.last_mut() {
                Some((prev, attr)) if prev.end == line.start && attr == attribution => prev.end = line.end,
                _ => spans.push((line, attribution.clone())),
            }
        }
        spans
    }

    /// The claim a count of [`AddedLines::by_claim`] is about.
    pub fn claim_by_id(&self, id: ClaimId) -> &Claim {
        self.table.get(id)
    }

    /// The commits of the range that touched a line, oldest first.
    pub fn commits_of(&self, tag: Tag) -> impl Iterator<Item = Oid> + '_ {
        self.table.commits(tag.commits).iter().map(|&i| self.commits[i as usize])
    }

    /// The commits of the range that touched any of these lines, oldest
    /// first.
    pub fn commits_touching(&self, tags: &[Tag]) -> Vec<Oid> {
        let mut sets: Vec<u32> = tags.iter().map(|t| t.commits).collect();
        sets.sort_unstable();
        sets.dedup();
        let mut indexes: Vec<u32> = sets.into_iter().flat_map(|s| self.table.commits(s).iter().copied()).collect();
        indexes.sort_unstable();
        indexes.dedup();
        indexes.into_iter().map(|i| self.commits[i as usize]).collect()
    }
}

/// The content of one version of a file: text as git stores it, or the one
/// opaque line of a version that is not text.
#[derive(Debug, Clone)]
struct Content {
    id: Oid,
    kind: VersionKind,
    bytes: Rc<[u8]>,
}

impl Content {
    /// How many lines [`Content::lines`] has, without collecting them.
    fn line_count(&self) -> usize {
        match self.kind {
            VersionKind::Text => lineage::count_lines(&self.bytes),
            VersionKind::Bytes | VersionKind::Submodule => 1,
        }
    }

    fn lines(&self) -> Vec<&[u8]> {
        match self.kind {
            VersionKind::Text => lineage::split_lines(&self.bytes),
            VersionKind::Bytes | VersionKind::Submodule => vec![&self.bytes[..]],
        }
    }

    /// Where each of [`Content::lines`] ends.
    fn line_ends(&self) -> Vec<usize> {
        match self.kind {
            VersionKind::Text => lineage::line_ends(&self.bytes),
            VersionKind::Bytes | VersionKind::Submodule => vec![self.bytes.len()],
        }
    }
}

/// A file version, the tags of its lines, and its AI deletions.
#[derive(Debug)]
struct FileState {
    content: Content,
    tags: Vec<Tag>,
    deletions: Vec<Deletion>,
    /// The path its content had when it came from outside the range (BASE's
    /// side), carried through renames: what a removal of it removes of
    /// BASE. `None`: created within the range.
    origin: Option<Rc<str>>,
}

/// `pool` with the AI text of `files` (the versions at the end of the
/// range) in it as text standing ([`Pool::remember_standing`]): a copy of
/// AI text the range wrote that still stands where it was (out of an
/// exempt path into code that needs sign-off) is AI, as a move of it is
/// ([`lineage::settle`]).
fn with_ai_at_head<'s>(table: &Table, pool: &Pool, files: impl Iterator<Item = &'s FileState>) -> Pool {
    let mut pool = pool.clone();
    for state in files.filter(|s| s.content.kind == VersionKind::Text) {
        if state.tags.iter().any(|t| table.is_ai(t.claim)) {
            pool.remember_standing(table, &state.content.lines(), &state.tags);
        }
    }
    pool
}

/// `deletions` of a text `content` as byte offsets, with their claims'
/// attributions (only AI claims are kept as deletions).
fn ai_deletions(table: &Table, deletions: &[Deletion], content: &[u8]) -> Vec<crate::provenance::AiDeletion> {
    if deletions.is_empty() {
        return Vec::new();
    }
    let lines = notes::line_spans(content);
    deletions
        .iter()
        .filter_map(|d| {
            let Claim::Ai(attribution) = table.get(d.tag.claim) else { return None };
            let at = lines.get(d.at as usize).map_or(content.len(), |l| l.start);
            // The lines put in the place, as many as the version still has
            // from it (later commits may have removed some).
            let replaced = d.replaced.min(lines.len().saturating_sub(d.at as usize) as u32);
            Some(crate::provenance::AiDeletion {
                at,
                lines: d.lines,
                first: d.first.clone(),
                attribution: attribution.clone(),
                replaced,
            })
        })
        .collect()
}

/// The files the range touched, as of one commit.
type Snapshot = HashMap<Rc<str>, Rc<FileState>>;

/// The commits of `base..head`, oldest first, in the order [`walk`] takes
/// them (the lineage of parallel branches can depend on which comes
/// first: moved text is matched against text removed before it). A range
/// that reaches the edge of a shallow clone is refused ([`whole`]).
pub fn range_commits(repo: &Repository, base: Oid, head: Oid) -> Result<Vec<Oid>, LineageError> {
    // A shallow clone that cut BASE's history where HEAD's is whole (BASE
    // fetched at depth 1): the walk hides only what it reaches from BASE,
    // and BASE's own commits would count as the range's.
    if base != head && repo.is_shallow() && repo.merge_base(base, head).is_err() {
        return Err(LineageError::ShallowBase { base });
    }
    // Grafts (a runner's reused clone) make libgit2 walk another history
    // than the commits': the range's own commits could leave it.
    let grafts = repo.commondir().join("info").join("grafts");
    if std::fs::read_to_string(&grafts).is_ok_and(|t| t.lines().any(|l| !l.trim().is_empty() && !l.starts_with('#'))) {
        return Err(LineageError::Grafts { path: grafts.display().to_string() });
    }
    range_commits_hiding(repo, base, head, &[])
}

/// [`range_commits`] without the commits reachable from `known`.
fn range_commits_hiding(repo: &Repository, base: Oid, head: Oid, known: &[Oid]) -> Result<Vec<Oid>, LineageError> {
    let mut walk = repo.revwalk().map_err(git("walk BASE..HEAD"))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).map_err(git("walk BASE..HEAD"))?;
    walk.push(head).map_err(git("walk BASE..HEAD"))?;
    walk.hide(base).map_err(git("walk BASE..HEAD"))?;
    for &known in known {
        walk.hide(known).map_err(git("walk BASE..HEAD"))?;
    }
    let commits: Vec<Oid> = walk.collect::<Result<_, _>>().map_err(git("walk BASE..HEAD"))?;
    whole(repo, &commits)?;
    Ok(commits)
}

/// Refuses `commits` (of a range) when one of them is a commit whose
/// parents a shallow clone did not fetch: the walk stops there, as if it
/// were a root, and whatever lies behind it, AI commits included, may
/// belong to the range. A shallow clone whose edge is behind BASE is whole
/// where it matters.
fn whole(repo: &Repository, commits: &[Oid]) -> Result<(), LineageError> {
    let cut = match crate::store::repo::shallow_commits(repo) {
        Some(shallow) => commits.iter().find(|c| shallow.contains(c)),
        None => commits.first(),
    };
    match cut {
        Some(&commit) => Err(LineageError::Shallow { commit }),
        None => Ok(()),
    }
}

/// Compute the lineage of `base..head`. `bots` are the authors the policy
/// lists as bots.
pub fn walk(repo: &Repository, base: Oid, head: Oid, bots: &[String]) -> Result<Lineage, LineageError> {
    let commits = range_commits(repo, base, head)?;
    walk_commits(repo, commits, Some(base), bots)
}

/// Compute the lineage of `commits`, parents before children (a
/// topological order): a parent outside the list is outside the range. The
/// files of the result are those of the last commit. With `base`, lines of
/// those files equal to `base`'s version are outside (see
/// [`lineage::settle`]); without, only what the walk saw counts.
pub fn walk_commits(
    repo: &Repository,
    commits: Vec<Oid>,
    base: Option<Oid>,
    bots: &[String],
) -> Result<Lineage, LineageError> {
    let (mut walker, commits, head_snapshot) = run_commits(repo, commits, bots, None)?;
    let base_tree = match base {
        Some(base) => Some(repo.find_commit(base).and_then(|c| c.tree()).map_err(git("read BASE's tree"))?),
        None => None,
    };
    let last = || head_snapshot.iter().flat_map(|s| s.iter());
    let pool = with_ai_at_head(&walker.table, &walker.pool, last().map(|(_, state)| &**state));
    let mut files = BTreeMap::new();
    for (path, state) in last() {
        files.insert(path.to_string(), walker.settle(&pool, base_tree.as_ref(), path, state)?);
    }
    let head_tree = match commits.last() {
        Some(&last) => Some(repo.find_commit(last).and_then(|c| c.tree()).map_err(git("read HEAD's tree"))?),
        None => None,
    };
    let removed = commits
        .iter()
        .enumerate()
        .flat_map(|(i, c)| walker.removed.get(c).into_iter().flatten().map(move |r| (i as u32, r)));
    let deleted_files = deleted_files(repo, None, removed, base_tree.as_ref(), |p| holds_file(head_tree.as_ref(), p))?;
    Ok(Lineage {
        commits,
        evidence: walker.evidence,
        changed: walker.changed,
        files,
        added: walker.added,
        deleted: walker.deleted,
        removed: walker.removed,
        deleted_files,
        table: walker.table,
    })
}

/// Walk the commits of `base..head` after those of `from` (a state at an
/// earlier head whose commits all come first), oldest first: see
/// [`run_commits`].
#[allow(clippy::type_complexity)] // Three results of one walk, each used once by the callers.
fn run<'r>(
    repo: &'r Repository,
    base: Oid,
    head: Oid,
    bots: &'r [String],
    from: Option<State>,
) -> Result<(Walker<'r>, Vec<Oid>, Option<Rc<Snapshot>>), LineageError> {
    let known: Vec<Oid> = from.iter().flat_map(State::commit_ids).collect();
    let new = range_commits_hiding(repo, base, head, &known)?;
    run_commits(repo, new, bots, from)
}

/// Walk `new` commits (parents before children) after those of `from`, a
/// state at an earlier head whose commits all come first: the walker with
/// what it found, all the commits, and the files the range touched as of
/// the last.
#[allow(clippy::type_complexity)] // Three results of one walk, each used once by the callers.
fn run_commits<'r>(
    repo: &'r Repository,
    new: Vec<Oid>,
    bots: &'r [String],
    from: Option<State>,
) -> Result<(Walker<'r>, Vec<Oid>, Option<Rc<Snapshot>>), LineageError> {
    let (mut commits, table, pool, mut snapshots, mut people, mut changed, removed, graveyard) = match from {
        Some(state) => {
            let at = state.commits.len().checked_sub(1).map(|i| i as u32);
            let snapshot = state.snapshot(repo)?;
            let commits = state.commit_ids();
            let mut snapshots = HashMap::new();
            if let Some(at) = at {
                snapshots.insert(at, Rc::new(snapshot));
            }
            let people: HashMap<Oid, Vec<String>> = commits.iter().copied().zip(state.people).collect();
            let changed: HashMap<Oid, Vec<String>> = commits.iter().copied().zip(state.changed).collect();
            let removed: HashMap<Oid, Vec<RemovedFile>> =
                commits.iter().copied().zip(state.removed).filter(|(_, r)| !r.is_empty()).collect();
            (commits, state.table, state.pool, snapshots, people, changed, removed, state.buried)
        }
        None => (
            Vec::new(),
            Table::new(),
            Pool::default(),
            HashMap::new(),
            HashMap::new(),
            HashMap::new(),
            HashMap::new(),
            Graveyard::default(),
        ),
    };
    let earlier = commits.len();
    commits.extend(new);
    let mut walker = Walker {
        repo,
        bots,
        index: commits.iter().enumerate().map(|(i, &c)| (c, i as u32)).collect(),
        table,
        pool,
        git_ai: GitAiReader::new(repo),
        vouch_notes: notes::NoteReader::new(repo),
        evidence: HashMap::new(),
        changed: std::mem::take(&mut changed),
        people: std::mem::take(&mut people),
        added: HashMap::new(),
        deleted: HashMap::new(),
        removed,
        gone: Vec::new(),
        graveyard,
        blobs: Blobs::for_walk(),
    };
    let mut children = vec![0u32; commits.len()];
    for &oid in &commits[earlier..] {
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        for parent in commit.parent_ids() {
            if let Some(&i) = walker.index.get(&parent) {
                children[i as usize] += 1;
            }
        }
    }
    for (i, &oid) in commits.iter().enumerate().skip(earlier) {
        let snapshot = walker.commit(oid, i as u32, &mut snapshots, &mut children)?;
        snapshots.insert(i as u32, Rc::new(snapshot));
    }
    let head_snapshot = commits.len().checked_sub(1).and_then(|last| snapshots.remove(&(last as u32)));
    Ok((walker, commits, head_snapshot))
}

/// The lineage of a range at its head before the last word on each file
/// ([`lineage::settle`]): what a next commit on top of the head continues
/// from. It can be kept between runs (serde) and brought forward by a
/// commit ([`State::extend`]); [`State::pending`] adds a commit not made
/// yet (the index, the working tree, an editor's buffer) as the range's
/// last commit and settles its files, as `vouch verify` would once it is
/// made.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct State {
    base: String,
    head: String,
    /// The commits of the range, oldest first.
    commits: Vec<String>,
    /// Author and committer emails, per commit.
    people: Vec<Vec<String>>,
    /// The paths each commit changed against its first parent.
    changed: Vec<Vec<String>>,
    /// The files each commit removed whole with AI evidence (no default:
    /// a state kept before it was recorded is not read back).
    removed: Vec<Vec<RemovedFile>>,
    /// Every path of the head that the range touched.
    files: BTreeMap<String, StateFile>,
    table: Table,
    pool: Pool,
    /// The files the range removed that a later file may be found to be.
    buried: Graveyard,
}

/// One file of a [`State`]: its version at the head and its lines' tags,
/// run-length encoded (claim, commit set, count).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct StateFile {
    id: String,
    kind: VersionKind,
    tags: Vec<[u32; 3]>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deletions: Vec<Deletion>,
    /// [`FileState::origin`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
}

impl StateFile {
    fn of(state: &FileState) -> StateFile {
        StateFile {
            id: state.content.id.to_string(),
            kind: state.content.kind,
            tags: run_length(&state.tags),
            deletions: state.deletions.clone(),
            origin: state.origin.as_deref().map(str::to_string),
        }
    }

    fn tags(&self) -> Vec<Tag> {
        let mut out = Vec::new();
        for &[claim, commits, count] in &self.tags {
            out.extend(std::iter::repeat_n(Tag { claim, commits }, count as usize));
        }
        out
    }
}

/// The files the range removed, kept to be found again: a file a later
/// commit adds with most of the text of one of them is that file, its
/// lines' tags and AI removals carried over as through a rename (a rename
/// made in two commits, a file removed and restored: git finds renames
/// within one commit only). Without it, a person who removed the file an AI
/// had removed a check from and added its text back under another name
/// left nothing of the AI's removal, and BASE's lines came back as the
/// person's own. A merge looks here for a file no parent has.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Graveyard {
    files: Vec<Buried>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Buried {
    path: String,
    file: StateFile,
    /// The [`lineage::move_key`]s of its lines that have one, each once,
    /// sorted.
    keys: Vec<u64>,
}

impl Graveyard {
    /// At most this many removed files are kept, the latest.
    const MAX: usize = 128;
    /// A file is found again only by this many lines at least.
    const MIN_SHARED: usize = 3;

    /// Keep `state`, the last version of `path`, which a commit removes.
    fn bury(&mut self, path: &str, state: &FileState) {
        if state.content.kind != VersionKind::Text {
            return;
        }
        let keys = keys_of(&state.content.lines());
        if keys.len() < Self::MIN_SHARED {
            return;
        }
        if self.files.len() == Self::MAX {
            self.files.remove(0);
        }
        self.files.push(Buried { path: path.to_string(), file: StateFile::of(state), keys });
    }

    /// The removed file `lines` (a file added) are, if any: the one that
    /// shares the most lines with them, at least half of the larger's
    /// (whitespace aside, lines with a letter or a digit, each once).
    fn find(&self, lines: &[&[u8]]) -> Option<usize> {
        if self.files.is_empty() {
            return None;
        }
        let keys = keys_of(lines);
        let mut best: Option<(usize, usize)> = None;
        for (i, buried) in self.files.iter().enumerate() {
            let larger = keys.len().max(buried.keys.len());
            // Half of the larger cannot be shared with fewer than that.
            if keys.len().min(buried.keys.len()) * 2 < larger {
                continue;
            }
            let shared = shared(&keys, &buried.keys);
            if shared >= Self::MIN_SHARED && shared * 2 >= larger && best.is_none_or(|(_, most)| shared > most) {
                best = Some((i, shared));
            }
        }
        best.map(|(i, _)| i)
    }

    /// The removed file `lines` are, taken out: its version, lines' tags,
    /// AI removals and origin.
    fn raise(&mut self, reader: &Reader<'_>, lines: &[&[u8]]) -> Result<Option<FileState>, LineageError> {
        let Some(i) = self.find(lines) else { return Ok(None) };
        let buried = self.files.remove(i);
        buried.file.state(reader, &buried.path).map(Some)
    }
}

impl StateFile {
    /// The file state this describes, its version read through `reader`.
    fn state(&self, reader: &Reader<'_>, path: &str) -> Result<FileState, LineageError> {
        let content = reader.content(oid(&self.id)?, self.kind == VersionKind::Submodule, path)?;
        let tags = self.tags();
        if tags.len() != reader.line_count(&content) {
            return Err(LineageError::Stale { path: path.to_string() });
        }
        let origin = self.origin.as_deref().map(Rc::from);
        Ok(FileState { content, tags, deletions: self.deletions.clone(), origin })
    }
}

/// The move keys of `lines`, each once, sorted.
fn keys_of(lines: &[&[u8]]) -> Vec<u64> {
    let mut keys: Vec<u64> = lines.iter().filter_map(|l| lineage::move_key(l)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// How many keys two sorted lists share.
fn shared(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn run_length(tags: &[Tag]) -> Vec<[u32; 3]> {
    let mut out: Vec<[u32; 3]> = Vec::new();
    for tag in tags {
        match out.last_mut() {
            Some(last) if last[0] == tag.claim && last[1] == tag.commits => last[2] += 1,
            _ => out.push([tag.claim, tag.commits, 1]),
        }
    }
    out
}

fn oid(hex: &str) -> Result<Oid, LineageError> {
    Oid::from_str(hex).map_err(git(format!("read the object id {hex}")))
}

/// A file that a commit not made yet changes (see [`State::pending`]).
#[derive(Debug, Clone)]
pub struct PendingFile {
    pub path: String,
    /// Where the head has it, when that is another path (a rename).
    pub from: Option<String>,
    /// Its new version: a blob, or a submodule's commit; `None` when the
    /// commit deletes it.
    pub new: Option<PendingVersion>,
    /// The lines of the new version (0-based, ascending) that the commit's
    /// note will record as AI, with their attribution; the others are not
    /// AI. Lines the commit does not add or rewrite are left to the range's
    /// lineage, as a note speaks only for the lines its commit adds.
    pub ai_lines: Vec<(usize, Attribution)>,
    /// Where the commit's note will say an AI removed lines: gaps of the
    /// new version (as [`Deletion::at`]), with the AI attribution. They
    /// count only where the commit does remove lines from the head's
    /// version. For a file the commit deletes (`new` is `None`), the first
    /// says who removed it whole, if an AI did.
    pub deleted: Vec<(usize, Attribution)>,
}

/// The new version of a pending file (not necessarily in the object
/// database yet: the working tree's, an editor's buffer).
#[derive(Debug, Clone)]
pub struct PendingVersion {
    /// Its blob id (as git would store it), or a submodule's commit. A
    /// text version may come without it (`None`: an editor's buffer, which
    /// costs a hash of the whole file to name): the lineage needs no id to
    /// follow text, and the file's [`FileLineage::id`] is then zero.
    pub id: Option<Oid>,
    pub gitlink: bool,
    /// Its bytes, as git would store them (nothing for a submodule).
    pub bytes: Rc<[u8]>,
}

impl PendingVersion {
    fn content(&self) -> Result<Content, LineageError> {
        // A version that is not text is one opaque line naming it: it needs
        // its id.
        if self.gitlink {
            let missing = || git2::Error::from_str("a submodule's version comes without its commit id");
            let id = self.id.ok_or_else(missing).map_err(git("read a submodule's version"))?;
            let bytes = Rc::from(opaque_line("submodule", &id.to_string()));
            return Ok(Content { id, kind: VersionKind::Submodule, bytes });
        }
        Ok(match std::str::from_utf8(&self.bytes) {
            Ok(_) => Content {
                id: self.id.unwrap_or_else(Oid::zero),
                kind: VersionKind::Text,
                bytes: Rc::clone(&self.bytes),
            },
            Err(_) => {
                let id = match self.id {
                    Some(id) => id,
                    None => Oid::hash_object(ObjectType::Blob, &self.bytes).map_err(git("hash a file version"))?,
                };
                Content { id, kind: VersionKind::Bytes, bytes: Rc::from(opaque_line("blob", &id.to_string())) }
            }
        })
    }
}

/// What a commit not made yet would be to the range: its files and every
/// other file the range touched, settled as `vouch verify` settles HEAD's.
#[derive(Debug)]
pub struct Pending {
    /// The commits of the range, oldest first; the pending commit is number
    /// `commits.len()` in commit sets.
    pub commits: Vec<Oid>,
    /// Author and committer emails of each commit of the range.
    pub people: Vec<Vec<String>>,
    /// The paths each commit of the range changed against its first parent.
    pub changed: Vec<Vec<String>>,
    /// The files, as the pending commit leaves them.
    pub files: BTreeMap<String, FileLineage>,
    /// The files the pending commit changes (its own paths).
    pub touched: Vec<String>,
    /// The paths BASE has and the pending commit leaves absent that a
    /// commit of the range (or the pending one, whose author is a bot)
    /// removed with AI evidence.
    pub deleted_files: BTreeMap<String, DeletedFile>,
    table: Table,
}

impl Pending {
    /// The number the pending commit has in commit sets.
    pub fn index(&self) -> u32 {
        self.commits.len() as u32
    }

    /// The AI deletions of `file` (a text file) as byte offsets of
    /// `content`, its content, with their attribution.
    pub fn ai_deletions(&self, file: &FileLineage, content: &[u8]) -> Vec<crate::provenance::AiDeletion> {
        ai_deletions(&self.table, &file.deletions, content)
    }

    pub fn claim(&self, tag: Tag) -> &Claim {
        self.table.get(tag.claim)
    }

    /// The claim a [`DeletedFile::claim`] is about.
    pub fn claim_by_id(&self, id: ClaimId) -> &Claim {
        self.table.get(id)
    }

    pub fn is_ai(&self, tag: Tag) -> bool {
        self.table.is_ai(tag.claim)
    }

    /// The commits (by number; [`Pending::index`] for the pending one) that
    /// touched any of these lines, in order.
    pub fn commits_touching(&self, tags: &[Tag]) -> Vec<u32> {
        let mut sets: Vec<u32> = tags.iter().map(|t| t.commits).collect();
        sets.sort_unstable();
        sets.dedup();
        let mut out: Vec<u32> = sets.into_iter().flat_map(|s| self.table.commits(s).iter().copied()).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl State {
    /// The state of an empty range ending at no commit (an unborn branch):
    /// a pending commit on top of it is the first commit, all its own.
    pub fn empty() -> State {
        State {
            base: Oid::zero().to_string(),
            head: Oid::zero().to_string(),
            commits: Vec::new(),
            people: Vec::new(),
            changed: Vec::new(),
            removed: Vec::new(),
            files: BTreeMap::new(),
            table: Table::new(),
            pool: Pool::default(),
            buried: Graveyard::default(),
        }
    }

    /// The state of `base..head`, walked from the start.
    pub fn walk(repo: &Repository, base: Oid, head: Oid, bots: &[String]) -> Result<State, LineageError> {
        let (walker, commits, snapshot) = run(repo, base, head, bots, None)?;
        Ok(State::of(walker, base, head, &commits, snapshot))
    }

    /// This state brought forward to `head`, a descendant of its head whose
    /// commits since it have all their parents in the range or outside it
    /// (behind BASE): only the new commits are walked.
    pub fn extend(self, repo: &Repository, head: Oid, bots: &[String]) -> Result<State, LineageError> {
        let base = oid(&self.base)?;
        let (walker, commits, snapshot) = run(repo, base, head, bots, Some(self))?;
        Ok(State::of(walker, base, head, &commits, snapshot))
    }

    fn of(walker: Walker<'_>, base: Oid, head: Oid, commits: &[Oid], snapshot: Option<Rc<Snapshot>>) -> State {
        let files = snapshot
            .iter()
            .flat_map(|s| s.iter())
            .map(|(path, state)| (path.to_string(), StateFile::of(state)))
            .collect();
        let mut people = walker.people;
        let mut changed = walker.changed;
        let mut removed = walker.removed;
        State {
            base: base.to_string(),
            head: head.to_string(),
            commits: commits.iter().map(Oid::to_string).collect(),
            people: commits.iter().map(|c| people.remove(c).unwrap_or_default()).collect(),
            changed: commits.iter().map(|c| changed.remove(c).unwrap_or_default()).collect(),
            removed: commits.iter().map(|c| removed.remove(c).unwrap_or_default()).collect(),
            files,
            table: walker.table,
            pool: walker.pool,
            buried: walker.graveyard,
        }
    }

    /// The BASE and head it is the state of.
    pub fn ends(&self) -> (String, String) {
        (self.base.clone(), self.head.clone())
    }

    /// The commits of the range, oldest first, as hex.
    pub fn commit_hexes(&self) -> &[String] {
        &self.commits
    }

    /// The commits of the range, oldest first.
    pub fn commit_ids(&self) -> Vec<Oid> {
        self.commits.iter().filter_map(|c| Oid::from_str(c).ok()).collect()
    }

    /// Who authored or committed a commit of the range that changed `path`
    /// (against its first parent), or one of `also`: each email once.
    pub fn people_touching(&self, path: &str, also: &[Oid]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, hex) in self.commits.iter().enumerate() {
            let changed = self.changed.get(i).is_some_and(|p| p.iter().any(|p| p == path));
            if !changed && !also.iter().any(|c| c.to_string() == *hex) {
                continue;
            }
            for email in self.people.get(i).into_iter().flatten() {
                if !out.iter().any(|e| e.eq_ignore_ascii_case(email)) {
                    out.push(email.clone());
                }
            }
        }
        out
    }

    /// Whether everything it refers to is there (a state read back from a
    /// cache that was cut short or came from elsewhere is not used).
    pub fn is_whole(&self) -> bool {
        let n = self.commits.len();
        self.people.len() == n
            && self.changed.len() == n
            && self.removed.len() == n
            && self.removed.iter().flatten().all(|r| self.table.holds(Tag { claim: r.claim, commits: 0 }))
            && self.commit_ids().len() == n
            && self.files.values().all(|f| {
                Oid::from_str(&f.id).is_ok()
                    && f.tags.iter().all(|&[claim, commits, _]| self.table.holds(Tag { claim, commits }))
                    && f.deletions.iter().all(|d| self.table.holds(d.tag))
            })
    }

    /// The files of the head with their content, as the walk holds them.
    fn snapshot(&self, repo: &Repository) -> Result<Snapshot, LineageError> {
        let reader = Reader { repo, blobs: None };
        let mut out = Snapshot::new();
        for (path, file) in &self.files {
            out.insert(Rc::from(path.as_str()), Rc::new(file.state(&reader, path)?));
        }
        Ok(out)
    }

    /// Add a commit not made yet on top of the head: `files` are what it
    /// changes, `people` who will author and commit it, `whole` an AI claim
    /// on every line it adds (its author is a bot). Every file the pending
    /// commit changes is settled against BASE, and with `all`, every other
    /// file the range touched too. File versions read from git are kept in
    /// `blobs` for the next call.
    pub fn pending(
        &self,
        repo: &Repository,
        blobs: &Blobs,
        files: &[PendingFile],
        people: Vec<String>,
        whole: Option<Attribution>,
        all: bool,
    ) -> Result<Pending, LineageError> {
        let reader = Reader { repo, blobs: Some(blobs) };
        // What the pending commit adds to the range's claims and moved text
        // stays with its result: the state itself serves the next call.
        let mut table = self.table.clone();
        let mut pool = self.pool.clone();
        let base = oid(&self.base)?;
        let head = oid(&self.head)?;
        let at = self.commits.len() as u32;
        let head_tree = if head.is_zero() {
            None
        } else {
            Some(repo.find_commit(head).and_then(|c| c.tree()).map_err(git("read HEAD's tree"))?)
        };
        let base_tree = if base.is_zero() {
            None
        } else {
            Some(repo.find_commit(base).and_then(|c| c.tree()).map_err(git("read BASE's tree"))?)
        };
        let news: Vec<Option<Content>> =
            files.iter().map(|f| f.new.as_ref().map(PendingVersion::content).transpose()).collect::<Result<_, _>>()?;
        // Each file's version at the head, with its tags: from the range,
        // or from outside it; for a file added, a file the range removed
        // that it is ([`Graveyard`]).
        let mut olds: Vec<Option<FileState>> = Vec::new();
        let mut found_again: Vec<bool> = Vec::new();
        for (file, new) in files.iter().zip(&news) {
            let from = file.from.as_deref().unwrap_or(&file.path);
            let (old, raised) = match self.files.get(from) {
                Some(kept) => (Some(kept.state(&reader, from)?), false),
                None => match head_tree.as_ref().and_then(|t| t.get_path(Path::new(from)).ok()) {
                    Some(e) if e.kind() != Some(ObjectType::Tree) => {
                        let content = reader.content(e.id(), is_gitlink(&e), from)?;
                        let tags = vec![OUTSIDE; reader.line_count(&content)];
                        (Some(FileState { content, tags, deletions: Vec::new(), origin: Some(Rc::from(from)) }), false)
                    }
                    _ => match new.as_ref().and_then(|new| self.buried.find(&new.lines())) {
                        Some(i) => (Some(self.buried.files[i].file.state(&reader, &self.buried.files[i].path)?), true),
                        None => (None, false),
                    },
                },
            };
            found_again.push(raised);
            olds.push(old);
        }
        let old_lines: Vec<Vec<&[u8]>> =
            olds.iter().map(|o| o.as_ref().map_or_else(Vec::new, |o| reader.lines(&o.content))).collect();
        let changes: Vec<Change<'_>> = olds
            .iter()
            .zip(&old_lines)
            .zip(&news)
            .zip(&found_again)
            .map(|(((old, lines), new), &found_again)| {
                let parents = old.iter().map(|o| Version { lines: lines.clone(), tags: &o.tags }).collect::<Vec<_>>();
                let change = Change::new(parents, new.as_ref().map_or_else(Vec::new, Content::lines));
                if found_again { change.found_again() } else { change }
            })
            .collect();
        for change in &changes {
            change.forget_removed(&table, &mut pool);
        }
        let whole = whole.map(|a| table.claim(Claim::Ai(a)));
        let rest = Some(table.claim(Claim::NotAi(Attester::VouchNote)));
        // The files with a new version, by path: their tags, and which of
        // `files` they are.
        let mut done: BTreeMap<&str, (FileState, usize)> = BTreeMap::new();
        for (i, (((file, change), new), old)) in files.iter().zip(&changes).zip(&news).zip(&olds).enumerate() {
            let Some(new) = new else { continue };
            // The note speaks only for the lines the commit adds or
            // rewrites; the rest keep what the range says of them.
            let own = change.own_lines();
            let mut lines: Vec<Option<ClaimId>> = vec![None; own.len()];
            for (line, a) in &file.ai_lines {
                if own.get(*line).copied().unwrap_or(false) {
                    lines[*line] = Some(table.claim(Claim::Ai(a.clone())));
                }
            }
            let deleted = file.deleted.iter().map(|(g, a)| (*g, table.claim(Claim::Ai(a.clone())))).collect();
            let evidence = lineage::Evidence { whole, lines, rest, deleted, removes: None };
            let tags = change.finish(&mut table, &pool, at, &evidence);
            let kept: Vec<&[Deletion]> = old.iter().map(|o| o.deletions.as_slice()).collect();
            let deletions = change.deletions(&mut table, &mut pool, &file.path, &kept, &tags, at, &evidence);
            let origin = old.as_ref().and_then(|o| o.origin.clone());
            done.insert(file.path.as_str(), (FileState { content: new.clone(), tags, deletions, origin }, i));
        }
        let mut touched: Vec<String> = Vec::new();
        for file in files {
            touched.push(file.path.clone());
            if let Some(from) = &file.from {
                touched.push(from.clone());
            }
        }
        touched.sort();
        touched.dedup();
        let mut settler = Settler { reader, table: &mut table, pool: &pool };
        let mut out = BTreeMap::new();
        for (path, (state, i)) in &done {
            // The file's lines were just aligned with HEAD's version: when
            // BASE has that very version, the alignment with BASE is the
            // same.
            let known = Known {
                lines: changes[*i].new_lines(),
                aligned: olds[*i].as_ref().map(|o| Aligned {
                    id: o.content.id,
                    kind: o.content.kind,
                    equal: changes[*i].equal_runs(0),
                }),
            };
            out.insert(path.to_string(), settler.settle(base_tree.as_ref(), path, state, Some(known))?);
        }
        if all {
            let moved_away: Vec<&str> = files.iter().filter_map(|f| f.from.as_deref()).collect();
            for (path, kept) in &self.files {
                if out.contains_key(path) || moved_away.contains(&path.as_str()) || touched.contains(path) {
                    continue;
                }
                let state = kept.state(&settler.reader, path)?;
                out.insert(path.clone(), settler.settle(base_tree.as_ref(), path, &state, None)?);
            }
        }
        // The files removed whole: by the range's commits, and by the
        // pending one when its author is a bot, or when the file says who
        // removed it (an agent, as the journal recorded).
        let own: Vec<RemovedFile> = files
            .iter()
            .zip(&olds)
            .filter(|(f, _)| f.new.is_none() && f.from.is_none())
            .filter_map(|(f, old)| {
                let claim = whole.or_else(|| f.deleted.first().map(|(_, a)| table.claim(Claim::Ai(a.clone()))))?;
                let old = old.as_ref()?;
                let origin = old.origin.as_deref()?;
                Some(RemovedFile { path: origin.to_string(), claim, lines: old.content.line_count() as u32 })
            })
            .collect();
        let removed = self
            .removed
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.iter().map(move |r| (i as u32, r)))
            .chain(own.iter().map(|r| (at, r)));
        let present = |path: &str| match files.iter().find(|f| f.path == path) {
            Some(f) => f.new.is_some(),
            None => !files.iter().any(|f| f.from.as_deref() == Some(path)) && holds_file(head_tree.as_ref(), path),
        };
        let deleted_files = deleted_files(repo, Some(blobs), removed, base_tree.as_ref(), present)?;
        let commits = self.commit_ids();
        let mut all_people = self.people.clone();
        all_people.push(people);
        Ok(Pending {
            commits,
            people: all_people,
            changed: self.changed.clone(),
            files: out,
            touched,
            deleted_files,
            table,
        })
    }
}

struct Walker<'r> {
    repo: &'r Repository,
    bots: &'r [String],
    index: HashMap<Oid, u32>,
    table: Table,
    pool: Pool,
    git_ai: GitAiReader<'r>,
    vouch_notes: notes::NoteReader<'r>,
    evidence: HashMap<Oid, CommitEvidence>,
    changed: HashMap<Oid, Vec<String>>,
    /// Author and committer emails per commit.
    people: HashMap<Oid, Vec<String>>,
    added: HashMap<Oid, Vec<AddedLines>>,
    /// Lines each commit removed as an AI.
    deleted: HashMap<Oid, u32>,
    /// The files each commit removed whole with AI evidence.
    removed: HashMap<Oid, Vec<RemovedFile>>,
    /// The files the commit being walked removes whole (path, lines), as
    /// its plan finds them.
    gone: Vec<(String, u32)>,
    /// The files removed so far, to be found again.
    graveyard: Graveyard,
    /// The versions read lately: a walk reads most versions more than once
    /// (a merge's version of a path is one of its parents', the same
    /// version from outside the range comes back in several merges, BASE's
    /// versions are read again to settle HEAD's files): on the generated
    /// history, 6,535 reads of 2,014 versions over 1,000 commits.
    blobs: Blobs,
}

/// One file to bring up to a commit: its versions in the parents (each with
/// tags) and its new version, if it still exists.
struct Job {
    path: Option<Rc<str>>,
    olds: Vec<Rc<FileState>>,
    new: Option<Content>,
    /// Its old version is a file the range removed, found again
    /// ([`Graveyard`]).
    found_again: bool,
}

impl Walker<'_> {
    /// The files the range touched as of commit `oid` (number `at`).
    fn commit(
        &mut self,
        oid: Oid,
        at: u32,
        snapshots: &mut HashMap<u32, Rc<Snapshot>>,
        children: &mut [u32],
    ) -> Result<Snapshot, LineageError> {
        let repo = self.repo;
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        self.read_evidence(&commit)?;
        let tree = commit.tree().map_err(git(format!("read the tree of {oid}")))?;
        let mut parents: Vec<(Tree<'_>, Option<Rc<Snapshot>>)> = Vec::new();
        for parent in commit.parents() {
            let ptree = parent.tree().map_err(git(format!("read the tree of {}", parent.id())))?;
            let snapshot = match self.index.get(&parent.id()) {
                Some(&i) => {
                    children[i as usize] -= 1;
                    let taken =
                        if children[i as usize] == 0 { snapshots.remove(&i) } else { snapshots.get(&i).cloned() };
                    // Topological order: an in-range parent came first, and
                    // its state is kept until its last child is done.
                    Some(taken.ok_or(LineageError::Order { commit: oid, parent: parent.id() })?)
                }
                None => None,
            };
            parents.push((ptree, snapshot));
        }
        let (mut map, jobs) = if parents.len() <= 1 {
            self.plan_commit(oid, &tree, parents.pop())?
        } else {
            self.plan_merge(oid, &tree, &parents)?
        };
        self.record_removals(oid);
        // First what every file loses (so that a move between two files of
        // this commit is seen), then what each new version holds.
        let versions: Vec<Vec<Vec<&[u8]>>> =
            jobs.iter().map(|j| j.olds.iter().map(|s| s.content.lines()).collect()).collect();
        let changes: Vec<Change<'_>> = jobs
            .iter()
            .zip(&versions)
            .map(|(job, lines)| {
                let parents = job
                    .olds
                    .iter()
                    .zip(lines)
                    .map(|(state, lines)| Version { lines: lines.clone(), tags: &state.tags })
                    .collect();
                let change = Change::new(parents, job.new.as_ref().map_or_else(Vec::new, Content::lines));
                if job.found_again { change.found_again() } else { change }
            })
            .collect();
        for change in &changes {
            change.forget_removed(&self.table, &mut self.pool);
        }
        let mut finished: Vec<(Rc<str>, Vec<Tag>, Vec<Deletion>)> = Vec::new();
        let mut added = Vec::new();
        for (job, change) in jobs.iter().zip(&changes) {
            let (Some(path), Some(new)) = (&job.path, &job.new) else { continue };
            let evidence = self.evidence_for(oid, path, new);
            let tags = change.finish(&mut self.table, &self.pool, at, &evidence);
            let kept: Vec<&[Deletion]> = job.olds.iter().map(|o| o.deletions.as_slice()).collect();
            let deletions = change.deletions(&mut self.table, &mut self.pool, path, &kept, &tags, at, &evidence);
            let own: u32 = deletions
                .iter()
                .filter(|d| d.is_ai(&self.table) && self.table.commits(d.tag.commits) == [at])
                .map(|d| d.lines)
                .sum();
            if own > 0 {
                *self.deleted.entry(oid).or_default() += own;
            }
            if new.kind == VersionKind::Text {
                added.push(self.count_added(path, &change.own_lines(), &tags, &evidence));
            }
            finished.push((path.clone(), tags, deletions));
        }
        added.retain(|a| !a.by_claim.is_empty());
        self.added.insert(oid, added);
        drop(changes);
        drop(versions);
        for (job, (path, tags, deletions)) in
            jobs.into_iter().filter(|j| j.path.is_some() && j.new.is_some()).zip(finished)
        {
            let origin = job.olds.iter().find_map(|o| o.origin.clone());
            let content = job.new.unwrap_or_else(|| unreachable!("filtered above"));
            map.insert(path, Rc::new(FileState { content, tags, deletions, origin }));
        }
        Ok(map)
    }

    /// The lines of `path` a change added (`own`), by their `tags`, and how
    /// many of its AI lines are AI by text it rewrote or moved rather than
    /// by its `evidence`.
    fn count_added(&self, path: &str, own: &[bool], tags: &[Tag], evidence: &lineage::Evidence) -> AddedLines {
        let mut by_claim: Vec<(ClaimId, u32)> = Vec::new();
        let mut carried = 0;
        for (j, tag) in tags.iter().enumerate().filter(|&(j, _)| own[j]) {
            match by_claim.iter_mut().find(|(c, _)| *c == tag.claim) {
                Some((_, n)) => *n += 1,
                None => by_claim.push((tag.claim, 1)),
            }
            let own_evidence = evidence.whole.is_some()
                || evidence.lines.get(j).copied().flatten().is_some_and(|c| self.table.is_ai(c));
            carried += u32::from(self.table.is_ai(tag.claim) && !own_evidence);
        }
        AddedLines { path: path.to_string(), by_claim, carried }
    }

    /// A commit with one parent (or none): its diff, renames found.
    fn plan_commit(
        &mut self,
        oid: Oid,
        tree: &Tree<'_>,
        parent: Option<(Tree<'_>, Option<Rc<Snapshot>>)>,
    ) -> Result<(Snapshot, Vec<Job>), LineageError> {
        let (ptree, snapshot) = match parent {
            Some((t, s)) => (Some(t), s),
            None => (None, None),
        };
        let mut map: Snapshot = snapshot.map(Rc::unwrap_or_clone).unwrap_or_default();
        let mut diff = self
            .repo
            .diff_tree_to_tree(ptree.as_ref(), Some(tree), Some(&mut diff_options()))
            .map_err(git(format!("diff {oid}")))?;
        diff.find_similar(Some(DiffFindOptions::new().renames(true))).map_err(git(format!("find renames in {oid}")))?;
        let mut jobs = Vec::new();
        let mut changed = Vec::new();
        for delta in diff.deltas() {
            let (old, new) = (delta.old_file(), delta.new_file());
            let old_path = old.path().and_then(path_str);
            let new_path = new.path().and_then(path_str);
            for p in [&old_path, &new_path].into_iter().flatten() {
                if !changed.contains(p) {
                    changed.push(p.clone());
                }
            }
            let removed = matches!(delta.status(), Delta::Deleted);
            let added = matches!(delta.status(), Delta::Added);
            if !matches!(
                delta.status(),
                Delta::Added | Delta::Deleted | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
            ) {
                continue;
            }
            let mut olds = Vec::new();
            if !added && let Some(path) = &old_path {
                let from_map = if delta.status() == Delta::Copied {
                    map.get(path.as_str()).cloned()
                } else {
                    map.remove(path.as_str())
                };
                olds.push(match from_map {
                    Some(state) => state,
                    None => self.outside(old.id(), old.mode() == FileMode::Commit, path)?,
                });
            }
            // What a removal removes of BASE: the file its content came
            // from, under the name it had there (a file renamed, then
            // removed, is BASE's file removed).
            if removed && let Some(origin) = olds.first().and_then(|o| o.origin.as_deref()) {
                self.gone.push((origin.to_string(), olds[0].content.line_count() as u32));
            }
            if removed && let (Some(path), Some(state)) = (&old_path, olds.first()) {
                self.graveyard.bury(path, state);
            }
            let new_content = match (&new_path, removed) {
                (Some(path), false) => Some(self.content(new.id(), new.mode() == FileMode::Commit, path)?),
                _ => None,
            };
            // A file added with most of the text of a file the range
            // removed is that file ([`Graveyard`]).
            let mut found_again = false;
            if added && let Some(content) = &new_content {
                let reader = Reader { repo: self.repo, blobs: Some(&self.blobs) };
                if let Some(state) = self.graveyard.raise(&reader, &content.lines())? {
                    olds.push(Rc::new(state));
                    found_again = true;
                }
            }
            jobs.push(Job {
                path: new_path.filter(|_| !removed).map(|p| Rc::from(p.as_str())),
                olds,
                new: new_content,
                found_again,
            });
        }
        self.changed.insert(oid, changed);
        Ok((map, jobs))
    }

    /// A merge: each path that differs from some parent, against every
    /// parent's version of it; the other paths are the same in every parent
    /// and take their tags from all of them.
    fn plan_merge(
        &mut self,
        oid: Oid,
        tree: &Tree<'_>,
        parents: &[(Tree<'_>, Option<Rc<Snapshot>>)],
    ) -> Result<(Snapshot, Vec<Job>), LineageError> {
        let mut paths: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (k, (ptree, _)) in parents.iter().enumerate() {
            let diff = self
                .repo
                .diff_tree_to_tree(Some(ptree), Some(tree), Some(&mut diff_options()))
                .map_err(git(format!("diff {oid} against its parent {}", k + 1)))?;
            let mut changed = Vec::new();
            for delta in diff.deltas() {
                for file in [delta.old_file(), delta.new_file()] {
                    if let Some(p) = file.path().and_then(path_str) {
                        if k == 0 && !changed.contains(&p) {
                            changed.push(p.clone());
                        }
                        if seen.insert(p.clone()) {
                            paths.push(p);
                        }
                    }
                }
            }
            if k == 0 {
                self.changed.insert(oid, changed);
            }
        }
        // Paths the range touched that the merge did not change against any
        // parent: one version in every parent, tagged from all of them.
        let mut map: Snapshot = Snapshot::new();
        let untouched: HashSet<Rc<str>> = parents
            .iter()
            .flat_map(|(_, s)| s.iter().flat_map(|s| s.keys()))
            .filter(|key| !seen.contains(key.as_ref()))
            .cloned()
            .collect();
        for key in untouched {
            let states: Vec<Option<&Rc<FileState>>> =
                parents.iter().map(|(_, s)| s.as_ref().and_then(|s| s.get(&key))).collect();
            let Some(first) = states.iter().flatten().next().map(|s| Rc::clone(s)) else { continue };
            let state = if states.iter().all(|s| s.is_some_and(|s| Rc::ptr_eq(s, &first))) {
                first
            } else {
                let tags = (0..first.tags.len())
                    .map(|j| {
                        let line: Vec<Tag> =
                            states.iter().map(|s| s.and_then(|s| s.tags.get(j).copied()).unwrap_or(OUTSIDE)).collect();
                        self.table.combine(&line)
                    })
                    .collect();
                let content =
                    Content { id: first.content.id, kind: first.content.kind, bytes: Rc::clone(&first.content.bytes) };
                // One version in every parent: the AI deletions of each.
                let mut deletions: Vec<Deletion> = Vec::new();
                for d in states.iter().flatten().flat_map(|s| &s.deletions) {
                    if !deletions.contains(d) {
                        deletions.push(d.clone());
                    }
                }
                deletions.sort_by_key(|d| d.at);
                let origin = states.iter().flatten().find_map(|s| s.origin.clone());
                Rc::new(FileState { content, tags, deletions, origin })
            };
            map.insert(key, state);
        }
        let mut jobs = Vec::new();
        for path in paths {
            map.remove(path.as_str());
            let entry = |t: &Tree<'_>| t.get_path(Path::new(&path)).ok().filter(|e| e.kind() != Some(ObjectType::Tree));
            let mut olds = Vec::new();
            for (ptree, snapshot) in parents {
                let Some(e) = entry(ptree) else { continue };
                let from_map = snapshot.as_ref().and_then(|s| s.get(path.as_str())).cloned();
                olds.push(match from_map {
                    Some(state) => state,
                    None => self.outside(e.id(), is_gitlink(&e), &path)?,
                });
            }
            let new = match entry(tree) {
                Some(e) => Some(self.content(e.id(), is_gitlink(&e), &path)?),
                None => None,
            };
            // The merge itself removes a file only when every parent has
            // it; else the removal is the other side's.
            if new.is_none()
                && olds.len() == parents.len()
                && let Some(origin) = olds.iter().find_map(|o| o.origin.as_deref())
            {
                let lines = olds.first().map_or(1, |o| o.content.line_count() as u32);
                self.gone.push((origin.to_string(), lines));
            }
            if new.is_none() && olds.len() == parents.len() {
                self.graveyard.bury(&path, &olds[0]);
            }
            // A file no parent has, added by the merge itself: found again
            // when the range removed it ([`Graveyard`]).
            let mut found_again = false;
            if let (true, Some(content)) = (olds.is_empty(), &new) {
                let reader = Reader { repo: self.repo, blobs: Some(&self.blobs) };
                if let Some(state) = self.graveyard.raise(&reader, &content.lines())? {
                    olds.push(Rc::new(state));
                    found_again = true;
                }
            }
            let path = new.as_ref().map(|_| Rc::from(path.as_str()));
            jobs.push(Job { path, olds, new, found_again });
        }
        Ok((map, jobs))
    }

    /// Keep the files commit `oid` removed whole ([`Walker::gone`]) whose
    /// removal its evidence makes an AI's, and count their lines as its AI
    /// deletions.
    fn record_removals(&mut self, oid: Oid) {
        let gone = std::mem::take(&mut self.gone);
        let mut removed = Vec::new();
        for (path, lines) in gone {
            if let Some(claim) = self.removal_claim(oid, &path) {
                *self.deleted.entry(oid).or_default() += lines;
                removed.push(RemovedFile { path, claim, lines });
            }
        }
        if !removed.is_empty() {
            self.removed.insert(oid, removed);
        }
    }

    /// The AI claim of commit `oid`'s removal of file `path`: its
    /// declaration (every file it removes), its vouch note's record that an
    /// agent removed that very path, or a git-ai note attributing lines of
    /// that path to AI.
    fn removal_claim(&mut self, oid: Oid, path: &str) -> Option<ClaimId> {
        let ev = self.evidence.get(&oid)?;
        let noted = || {
            ev.vouch_note.iter().flatten().find_map(|r| match r {
                NoteRecord::File(f) if f.removed && f.path == path => Some(f.attribution()),
                _ => None,
            })
        };
        let attribution = match &ev.declared {
            Some(d) => {
                let source = AiSource { tool: d.tool(), model: None, session: None, kind: None };
                Attribution::ai(source, How::History, None)
            }
            None => match noted() {
                Some(attribution) => attribution,
                None => ev.git_ai_note.as_ref()?.first_ai(path)?,
            },
        };
        Some(self.table.claim(Claim::Ai(attribution)))
    }

    /// A version from outside the range: every line outside.
    fn outside(&self, id: Oid, gitlink: bool, path: &str) -> Result<Rc<FileState>, LineageError> {
        let content = self.content(id, gitlink, path)?;
        debug_assert_eq!(content.line_count(), content.lines().len());
        let tags = vec![OUTSIDE; content.line_count()];
        Ok(Rc::new(FileState { content, tags, deletions: Vec::new(), origin: Some(Rc::from(path)) }))
    }

    fn content(&self, id: Oid, gitlink: bool, path: &str) -> Result<Content, LineageError> {
        Reader { repo: self.repo, blobs: Some(&self.blobs) }.content(id, gitlink, path)
    }

    fn read_evidence(&mut self, commit: &git2::Commit<'_>) -> Result<(), LineageError> {
        let oid = commit.id();
        let emails = history::commit_people(commit);
        self.people.insert(oid, emails);
        let evidence = CommitEvidence {
            vouch_note: self.vouch_notes.read(oid)?,
            git_ai_note: self.git_ai.read(oid)?,
            declared: history::commit_declaration(commit, self.bots),
        };
        self.evidence.insert(oid, evidence);
        Ok(())
    }

    /// What commit `oid` says about the lines of `content`, its version of
    /// `path`.
    fn evidence_for(&mut self, oid: Oid, path: &str, content: &Content) -> lineage::Evidence {
        let Some(ev) = self.evidence.get(&oid) else { return lineage::Evidence::default() };
        let table = &mut self.table;
        let ai = |table: &mut Table, attribution: Attribution| table.claim(Claim::Ai(attribution));
        let whole = ev.declared.as_ref().map(|d| {
            let source = AiSource { tool: d.tool(), model: None, session: None, kind: None };
            ai(table, Attribution::ai(source, How::History, None))
        });
        // Lines no record claims are attested not AI only by a note that
        // attests (imported records add AI lines and nothing else).
        let rest = ev
            .vouch_note
            .as_deref()
            .filter(|n| notes::attests(n))
            .map(|_| table.claim(Claim::NotAi(Attester::VouchNote)));
        let n = content.line_count();
        let mut lines: Vec<Option<ClaimId>> = vec![None; n];
        let not_ai = table.claim(Claim::NotAi(Attester::GitAi));
        if let Some(note) = ev.git_ai_note.as_ref().filter(|n| n.files.contains_key(path)) {
            match content.kind {
                VersionKind::Text => {
                    for (i, slot) in lines.iter_mut().enumerate() {
                        *slot = note.attribution(path, i as u32 + 1).map(|a| match a.is_ai() {
                            true => ai(table, a),
                            false => not_ai,
                        });
                    }
                }
                VersionKind::Bytes | VersionKind::Submodule => {
                    lines[0] = Some(match note.first_ai(path) {
                        Some(a) => ai(table, a),
                        None => not_ai,
                    });
                }
            }
        }
        // git-ai notes name no removals: when one attributes lines of the
        // file to AI, every removal from it may be the AI's (AI origin is
        // sticky; a claim of "human" never outranks one of AI).
        let removes = ev
            .git_ai_note
            .as_ref()
            .filter(|n| n.files.contains_key(path))
            .and_then(|n| n.first_ai(path))
            .map(|a| ai(table, a));
        let mut deleted: Vec<(usize, ClaimId)> = Vec::new();
        let id = content.id.to_string();
        let records = ev.vouch_note.iter().flatten().filter_map(|r| match r {
            NoteRecord::File(f) if f.path == path && f.blob == id => Some(f),
            _ => None,
        });
        for record in records {
            let claim = ai(table, record.attribution());
            if content.kind == VersionKind::Text {
                deleted.extend(record.deleted_before.iter().map(|&before| (before.saturating_sub(1) as usize, claim)));
            }
            match content.kind {
                VersionKind::Text => {
                    for &[a, b] in &record.ai {
                        let (a, b) = (a.max(1) as usize, (b as usize).min(n));
                        for slot in lines.iter_mut().take(b).skip(a - 1) {
                            *slot = Some(claim);
                        }
                    }
                }
                VersionKind::Bytes | VersionKind::Submodule => {
                    if !record.ai.is_empty() {
                        lines[0] = Some(claim);
                    }
                }
            }
        }
        lineage::Evidence { whole, lines, rest, deleted, removes }
    }

    /// The last word on one file of HEAD (see [`lineage::settle`]), with
    /// `pool` as the AI text that moved.
    fn settle(
        &mut self,
        pool: &Pool,
        base: Option<&Tree<'_>>,
        path: &str,
        state: &FileState,
    ) -> Result<FileLineage, LineageError> {
        let reader = Reader { repo: self.repo, blobs: Some(&self.blobs) };
        Settler { reader, table: &mut self.table, pool }.settle(base, path, state, None)
    }
}

/// Reads file versions as the lineage holds them.
struct Reader<'r> {
    repo: &'r Repository,
    /// Versions kept between calls, when the caller keeps them.
    blobs: Option<&'r Blobs>,
}

impl Reader<'_> {
    /// The lines of `content`, split once for a version kept between calls.
    fn lines<'c>(&self, content: &'c Content) -> Vec<&'c [u8]> {
        match self.blobs.and_then(|b| b.ends(content)) {
            Some(ends) => lineage::lines_at(&content.bytes, &ends),
            None => content.lines(),
        }
    }

    /// How many lines `content` has (see [`Reader::lines`]).
    fn line_count(&self, content: &Content) -> usize {
        match self.blobs.and_then(|b| b.ends(content)) {
            Some(ends) => ends.len(),
            None => content.line_count(),
        }
    }

    fn content(&self, id: Oid, gitlink: bool, path: &str) -> Result<Content, LineageError> {
        if gitlink {
            let bytes = Rc::from(opaque_line("submodule", &id.to_string()));
            return Ok(Content { id, kind: VersionKind::Submodule, bytes });
        }
        if let Some(kept) = self.blobs.and_then(|b| b.get(id)) {
            return Ok(kept);
        }
        let blob = self.repo.find_blob(id).map_err(git(format!("read {path} (blob {id})")))?;
        let content = match std::str::from_utf8(blob.content()) {
            Ok(_) => Content { id, kind: VersionKind::Text, bytes: blob.content().into() },
            Err(_) => Content { id, kind: VersionKind::Bytes, bytes: Rc::from(opaque_line("blob", &id.to_string())) },
        };
        if let Some(blobs) = self.blobs {
            blobs.keep(&content);
        }
        Ok(content)
    }
}

/// File versions read from git, kept by blob id for a caller that settles
/// the same files again and again (the language server judges a buffer
/// after every pause in typing: HEAD's and BASE's versions of its file are
/// read once, not after each keystroke), and for a walk of a range, which
/// reads most versions several times. A blob's content never changes, so
/// nothing kept can go stale. Bounded: the most recently used versions, at
/// most [`Blobs::MAX_COUNT`] of them and [`Blobs::MAX_BYTES`] in all (a
/// walk's: [`Blobs::for_walk`]).
#[derive(Debug)]
pub struct Blobs {
    kept: std::cell::RefCell<KeptBlobs>,
    /// The fingerprints (and risk tags) of deletions worked out, by path
    /// and the version deleted ([`deletion_fingerprint`]): a pending commit that leaves a
    /// file an AI deleted absent names the same one at every call.
    deletions: std::cell::RefCell<HashMap<(String, Oid), FileDeletion>>,
    max_count: usize,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct KeptBlobs {
    versions: HashMap<Oid, Kept>,
    bytes: usize,
    clock: u64,
}

/// A version [`Blobs`] keeps, with where its lines end once asked, and
/// when it was last used.
#[derive(Debug)]
struct Kept {
    content: Content,
    ends: Option<Rc<[usize]>>,
    used: u64,
}

impl Default for Blobs {
    fn default() -> Blobs {
        Blobs::with_limits(Self::MAX_COUNT, Self::MAX_BYTES)
    }
}

impl Blobs {
    pub const MAX_COUNT: usize = 64;
    pub const MAX_BYTES: usize = 32 << 20;
    /// How many bytes of versions a walk of a range keeps (the versions
    /// the walk holds anyway are shared, not copied).
    pub const WALK_BYTES: usize = 16 << 20;

    fn with_limits(max_count: usize, max_bytes: usize) -> Blobs {
        Blobs { kept: std::cell::RefCell::default(), deletions: std::cell::RefCell::default(), max_count, max_bytes }
    }

    /// The versions a walk of a range keeps: [`Blobs::WALK_BYTES`], any
    /// number of them.
    fn for_walk() -> Blobs {
        Blobs::with_limits(usize::MAX, Self::WALK_BYTES)
    }

    fn get(&self, id: Oid) -> Option<Content> {
        let mut kept = self.kept.borrow_mut();
        kept.clock += 1;
        let now = kept.clock;
        let entry = kept.versions.get_mut(&id)?;
        entry.used = now;
        Some(entry.content.clone())
    }

    fn keep(&self, content: &Content) {
        let size = content.bytes.len();
        if size > self.max_bytes {
            return;
        }
        let mut kept = self.kept.borrow_mut();
        kept.clock += 1;
        let now = kept.clock;
        if let Some(old) = kept.versions.insert(content.id, Kept { content: content.clone(), ends: None, used: now }) {
            kept.bytes -= old.content.bytes.len();
        }
        kept.bytes += size;
        if kept.versions.len() > self.max_count || kept.bytes > self.max_bytes {
            // Forget the least recently used until a quarter of the room is
            // free again (one sort for many versions kept after).
            let mut by_use: Vec<(u64, Oid, usize)> =
                kept.versions.values().map(|k| (k.used, k.content.id, k.content.bytes.len())).collect();
            by_use.sort_unstable_by_key(|&(used, ..)| used);
            let (count_room, bytes_room) = (self.max_count - self.max_count / 4, self.max_bytes - self.max_bytes / 4);
            let mut count = kept.versions.len();
            let mut bytes = kept.bytes;
            for (_, id, len) in by_use {
                if count <= count_room && bytes <= bytes_room {
                    break;
                }
                kept.versions.remove(&id);
                count -= 1;
                bytes -= len;
            }
            kept.bytes = bytes;
        }
    }

    /// Where the lines of `content` end, if it is kept here (found once).
    fn ends(&self, content: &Content) -> Option<Rc<[usize]>> {
        let mut kept = self.kept.borrow_mut();
        let kept = kept.versions.get_mut(&content.id).filter(|k| Rc::ptr_eq(&k.content.bytes, &content.bytes))?;
        Some(Rc::clone(kept.ends.get_or_insert_with(|| Rc::from(content.line_ends()))))
    }

    /// How many versions are kept (for tests).
    pub fn len(&self) -> usize {
        self.kept.borrow().versions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.borrow().versions.is_empty()
    }
}

/// Settles files against BASE (see [`lineage::settle`]).
struct Settler<'a, 'r> {
    reader: Reader<'r>,
    table: &'a mut Table,
    pool: &'a Pool,
}

/// What is already known of a file version being settled: its lines, and
/// the alignment just made with another version, when there is one.
struct Known<'k, 'a> {
    lines: &'k [&'a [u8]],
    aligned: Option<Aligned<'k>>,
}

/// The runs of lines equal in a version (`id`, `kind`) and the one being
/// settled, as (that version's start, start, length).
#[derive(Clone, Copy)]
struct Aligned<'k> {
    id: Oid,
    kind: VersionKind,
    equal: &'k [(usize, usize, usize)],
}

impl Settler<'_, '_> {
    /// The last word on one file at the end of the range; `base` is BASE's
    /// tree (`None` when there is no BASE: nothing is outside the range).
    fn settle(
        &mut self,
        base: Option<&Tree<'_>>,
        path: &str,
        state: &FileState,
        known: Option<Known<'_, '_>>,
    ) -> Result<FileLineage, LineageError> {
        let mut tags = state.tags.clone();
        let split;
        let lines = match &known {
            Some(k) => k.lines,
            None => {
                split = state.content.lines();
                &split[..]
            }
        };
        let at_base =
            base.and_then(|b| b.get_path(Path::new(path)).ok()).filter(|e| e.kind() != Some(ObjectType::Tree));
        let gitlink = at_base.as_ref().is_some_and(is_gitlink);
        // BASE holds the version the lines were just aligned with (the same
        // blob, or the same submodule commit): the same alignment.
        let same = at_base.as_ref().zip(known.as_ref().and_then(|k| k.aligned)).and_then(|(e, a)| {
            (e.id() == a.id && !a.id.is_zero() && gitlink == (a.kind == VersionKind::Submodule)).then_some(a.equal)
        });
        // Only an AI's deletions are settled against BASE; the others only
        // say who touched a place, and stand.
        let (mut deletions, touches): (Vec<Deletion>, Vec<Deletion>) =
            state.deletions.iter().cloned().partition(|d| d.is_ai(self.table));
        // BASE's lines, when they are needed.
        let base_content = match (&at_base, same) {
            (Some(e), None) => Some(self.reader.content(e.id(), gitlink, path)?),
            (Some(e), Some(_)) if !deletions.is_empty() || self.pool.has_deleted() => {
                Some(self.reader.content(e.id(), gitlink, path)?)
            }
            _ => None,
        };
        let base_lines = base_content.as_ref().map(|c| self.reader.lines(c));
        match same {
            Some(equal) => lineage::settle_aligned(self.table, self.pool, lines, &mut tags, equal),
            None => lineage::settle(self.table, self.pool, lines, &mut tags, base_lines.as_deref()),
        }
        lineage::settle_deletions(lines, &mut deletions, base_lines.as_deref(), self.pool, path);
        deletions.extend(touches);
        deletions.sort_by_key(|d| d.at);
        Ok(FileLineage { id: state.content.id, kind: state.content.kind, tags, deletions })
    }
}

fn is_gitlink(entry: &git2::TreeEntry<'_>) -> bool {
    entry.filemode() == i32::from(FileMode::Commit)
}

fn diff_options() -> DiffOptions {
    let mut options = DiffOptions::new();
    options.include_typechange(true).ignore_submodules(false);
    options
}

/// The path, when it is UTF-8: a side of a change whose name is not is no
/// file of the lineage (never one spelled lossily, which two names can
/// share); verify fails every range that touches such a name.
fn path_str(path: &Path) -> Option<String> {
    path.to_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::{DELETED_BLOB, DELETED_SUBMODULE};

    #[test]
    fn a_deletion_binds_the_version_base_has_of_each_kind() {
        let (_dir, repo) = crate::store::repo::tests::temp_repo();
        let (base, _) = crate::store::tree_diff::tests::trees_differing_every_way(&repo);
        let base = repo.find_tree(base).unwrap();
        let read = |path: &str| deleted_version(&repo, &base, path).unwrap();
        assert_eq!(read("a.txt"), Some((DELETED_BLOB, b"one\n".to_vec())));
        assert_eq!(read("exec.sh"), Some((DELETED_BLOB, b"#!/bin/sh\n".to_vec())));
        // A symbolic link's bytes are its target, as git stores them.
        assert_eq!(read("link"), Some((DELETED_BLOB, b"a.txt".to_vec())));
        assert_eq!(read("module"), Some((DELETED_SUBMODULE, "1".repeat(40).into_bytes())));
        // No file there: a directory, or nothing.
        assert_eq!(read("dir"), None);
        assert_eq!(read("nowhere.rs"), None);
        assert_eq!(read("dir/nowhere.rs"), None);
    }

    #[test]
    fn a_deletions_fingerprint_kept_between_calls_is_the_one_worked_out() {
        let (_dir, repo) = crate::store::repo::tests::temp_repo();
        let (before, after) = crate::store::tree_diff::tests::trees_differing_every_way(&repo);
        let (before, after) = (repo.find_tree(before).unwrap(), repo.find_tree(after).unwrap());
        let memo = Blobs::default();
        for path in ["a.txt", "link", "module", "dir", "nowhere.rs"] {
            let fresh = deletion_fingerprint(&repo, &before, path, None).unwrap().map(|(fingerprint, _)| fingerprint);
            let expected = deleted_version(&repo, &before, path)
                .unwrap()
                .map(|(kind, bytes)| crate::fingerprint::deleted_fingerprint(path, kind, &bytes));
            assert_eq!(fresh, expected, "{path}");
            let kept =
                || deletion_fingerprint(&repo, &before, path, Some(&memo)).unwrap().map(|(fingerprint, _)| fingerprint);
            assert_eq!(kept(), fresh, "{path}");
            assert_eq!(kept(), fresh, "{path}, kept");
        }
        // Kept by the version deleted: another BASE's text at the path is
        // another deletion.
        let other = deletion_fingerprint(&repo, &after, "a.txt", Some(&memo)).unwrap();
        assert_ne!(other, deletion_fingerprint(&repo, &before, "a.txt", Some(&memo)).unwrap());
        assert_eq!(other, deletion_fingerprint(&repo, &after, "a.txt", None).unwrap());
    }
}
