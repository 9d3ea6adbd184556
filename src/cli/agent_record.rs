//! Recording what an agent wrote: the file it edited, resolved inside its
//! worktree (a path that leads out of it, or into the git directory, is an
//! error), its bytes in the form git stores (see
//! [`crate::store::attributes`]), the bytes vouch last saw of it, and the
//! journal record that attributes the written lines (all of a file that is
//! not UTF-8, whose edit cannot be located). Shared by the agent hooks (`vouch hook`)
//! and the wrapper (`vouch run`); no command of its own.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use git2::{Oid, Repository};

use super::agents;
use crate::display;
use crate::intent::Intent;
use crate::provenance::{AiDeletion, AiSource, Attribution, Evidence};
use crate::store::journal::{Entry, Journal};
use crate::store::snapshot::Modes;
use crate::store::{notes, repo};

/// A file an agent edited, in the repository that tracks it.
pub struct Target {
    pub repo: Repository,
    pub rel: String,
    /// Its bytes as git will store them; `text` is them as text, when they
    /// are UTF-8.
    pub bytes: Vec<u8>,
    text: Option<String>,
}

impl Target {
    /// The text, or (for bytes that are not UTF-8) nothing to locate an
    /// edit in.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

/// The repository holding `path`; `None` outside any. Where git will not
/// open the one there (another user's, a SHA-256 one), an error naming
/// git's reason: nothing could be recorded, and a tool call left
/// unrecorded would let the person's commit of what it wrote be noted "no
/// AI" (rt26c A1).
pub(super) fn repository_at(path: &Path) -> anyhow::Result<Option<git2::Repository>> {
    match repo::discover(path) {
        Ok(repo) => Ok(Some(repo)),
        Err(e @ repo::RepoError::CannotOpen { .. }) => {
            anyhow::bail!("cannot record what the agent changes: {}", display::line(&e.to_string()))
        }
        Err(_) => Ok(None),
    }
}

/// The repository file at `path` with its current bytes, or why vouch does
/// not track it; an error for a path that leads out of the worktree or into
/// the git directory.
pub fn target(path: &Path) -> anyhow::Result<Result<Target, String>> {
    let shown = display::line(&path.display().to_string()).into_owned();
    let Some(repo) = repository_at(path)? else {
        return Ok(Err(format!("{shown} is not in a git repository")));
    };
    let Some(root) = repo.workdir().map(Path::to_path_buf) else {
        return Ok(Err(format!("{shown} is in a bare repository")));
    };
    let rel = match repo::relative_path(&repo, path) {
        Ok(rel) => rel,
        Err(repo::RepoError::CurrentDir(e)) => return Err(e).context("cannot read the current directory"),
        Err(e @ (repo::RepoError::LinkOutside { .. } | repo::RepoError::InGitDir { .. })) => {
            anyhow::bail!("refused: {}; nothing recorded", display::line(&e.to_string()))
        }
        Err(e) => return Ok(Err(display::line(&e.to_string()).into_owned())),
    };
    // The worktree file the path resolves to, never the path as given.
    let file = root.join(&rel);
    match std::fs::metadata(&file) {
        Ok(meta) if meta.is_dir() => return Ok(Err(format!("{shown} is a directory"))),
        Ok(meta) if !meta.is_file() => return Ok(Err(format!("{shown} is not a regular file"))),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Err(format!("{shown} does not exist"))),
        Err(e) => return Err(e).with_context(|| format!("cannot read {shown}")),
    }
    let bytes = match std::fs::read(&file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Err(format!("{shown} does not exist"))),
        Err(e) => return Err(e).with_context(|| format!("cannot read {shown}")),
    };
    // As git will store them, so that the journal describes what the gate
    // and verify read.
    let bytes = crate::store::attributes::to_blob(&repo, &rel, &bytes).into_owned();
    let text = String::from_utf8(bytes.clone()).ok();
    Ok(Ok(Target { repo, rel, bytes, text }))
}

/// `file_path` made absolute: against the agent's working directory, else
/// the current directory.
pub fn absolute(file_path: &str, cwd: Option<&str>) -> anyhow::Result<PathBuf> {
    let path = PathBuf::from(file_path);
    if path.is_absolute() {
        return Ok(path);
    }
    let base = match cwd.filter(|c| Path::new(c).is_absolute()) {
        Some(cwd) => PathBuf::from(cwd),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    Ok(base.join(path))
}

/// The current git user's email, for `accepted_by`, if one is set.
pub fn user_email(repo: &Repository) -> Option<String> {
    let email = repo.config().ok()?.get_string("user.email").ok()?;
    let email = email.trim();
    (!email.is_empty()).then(|| email.to_string())
}

/// What a tool changed in a file: the byte ranges it inserted or rewrote,
/// and where it removed lines (byte offsets of the file, each the start of
/// a line or its end, with how many lines went).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub ranges: Vec<Range<usize>>,
    pub removed: Vec<(usize, u32)>,
}

impl Written {
    /// Only inserted or rewritten text (a file that is not text, whose
    /// removals cannot be placed).
    pub fn ranges(ranges: Vec<Range<usize>>) -> Written {
        Written { ranges, removed: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty() && self.removed.is_empty()
    }

    /// Lines removed, all places together.
    pub fn removed_lines(&self) -> u32 {
        self.removed.iter().map(|(_, n)| n).sum()
    }

    /// Of what was written into `text` over a version a move of HEAD
    /// brought, leave out what the worktree held uncommitted before the
    /// command: the lines new against HEAD's version then (`head_then`) but
    /// not against the worktree's (`before`), and the removals likewise (a
    /// person's edit that a stash or `--autostash` carried over the move).
    /// What HEAD held then stays: the command's own committed work, carried
    /// to another branch, is the command's again there.
    pub fn leave_out_uncommitted(&mut self, text: &str, before: &str, head_then: &str) {
        if before == head_then {
            return;
        }
        let (new_then, new_before) = (written(head_then, text), written(before, text));
        let uncommitted = crate::syntax::units::subtract_all(&new_then.ranges, &new_before.ranges);
        self.ranges = crate::syntax::units::subtract_all(&self.ranges, &uncommitted);
        self.removed.retain(|&(at, _)| {
            let theirs = new_then.removed.iter().any(|&(there, _)| there == at)
                && !new_before.removed.iter().any(|&(there, _)| there == at);
            !theirs
        });
    }

    /// Keep only what `other`, written into the same text, says too: the
    /// text both insert, and the removals both make at one place.
    pub fn narrow(&mut self, other: &Written) {
        self.ranges = intersect(&self.ranges, &other.ranges);
        self.removed = self
            .removed
            .iter()
            .filter_map(|&(at, lines)| {
                other.removed.iter().find(|&&(there, _)| there == at).map(|&(_, theirs)| (at, lines.min(theirs)))
            })
            .collect();
    }
}

/// Say that what a tool of `tool` changed in `rel` could not be recorded
/// (`error`), and keep it as unrecorded: its commit is not attested "no
/// AI" ([`crate::store::unrecorded`]). One file that cannot be recorded
/// costs no other file its record.
pub fn not_recorded(repo: &Repository, tool: &str, rel: &str, error: &anyhow::Error) {
    eprintln!(
        "vouch: warning: what the tool changed in {} is not recorded: {}; it is unattested until committed",
        display::line(rel),
        display::line(&format!("{error:#}"))
    );
    let paths = std::iter::once(rel.to_string()).collect();
    if let Err(e) = crate::store::unrecorded::add(repo, tool, paths) {
        eprintln!("vouch: warning: cannot keep that {} may have changed: {e}", display::line(rel));
    }
}

/// Append a delta attributing what `written` says of `target` to `source`,
/// known by `evidence`, with the intent behind the edit (if any): its
/// inserted text, and the places it removed lines at.
pub fn record(
    target: &Target,
    written: &Written,
    source: AiSource,
    evidence: Evidence,
    intent: Option<Intent>,
) -> anyhow::Result<()> {
    let journal = Journal::open(&target.repo).context("cannot open the journal")?;
    append(&journal, target, written, source, evidence, intent)?;
    super::context::tidy_journal(&journal, &target.repo);
    Ok(())
}

/// [`record`] in `journal`, which stays open (for a tool that edited many
/// files).
pub fn append(
    journal: &Journal,
    target: &Target,
    written: &Written,
    source: AiSource,
    evidence: Evidence,
    intent: Option<Intent>,
) -> anyhow::Result<()> {
    append_version(journal, &target.repo, &target.rel, &target.bytes, written, source, evidence, intent)
}

/// [`append`] for version `bytes` of `rel` (as git stores it), wherever it
/// is: a commit's, when the worktree no longer holds it.
#[allow(clippy::too_many_arguments)] // One record's parts, as `append` takes them.
fn append_version(
    journal: &Journal,
    repo: &Repository,
    rel: &str,
    bytes: &[u8],
    written: &Written,
    source: AiSource,
    evidence: Evidence,
    intent: Option<Intent>,
) -> anyhow::Result<()> {
    let attribution = Attribution::ai(source, evidence, user_email(repo)).with_intent(intent);
    let spans: Vec<(Range<usize>, Attribution)> =
        written.ranges.iter().map(|r| (r.clone(), attribution.clone())).collect();
    let deletions: Vec<AiDeletion> = written
        .removed
        .iter()
        .map(|&(at, lines)| AiDeletion {
            at,
            lines,
            first: String::new(),
            attribution: attribution.clone(),
            replaced: 0,
        })
        .collect();
    let entry = Entry { deletions: &deletions, ..Entry::delta(rel, bytes, &spans) };
    journal.append(repo, entry).with_context(|| format!("cannot record the edit of {rel}"))?;
    warn_if_not_set_up(repo);
    Ok(())
}

/// Once a process, after it recorded something: a clone that is not set up
/// (no post-commit hook: `vouch init` has not run, though the agent's hooks
/// came with the repository) notes no commit with what the journal holds.
pub fn warn_if_not_set_up(repo: &Repository) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    if let Some(why) = crate::store::setup::commits_unnoted(repo) {
        eprintln!(
            "vouch: warning: this clone is not set up ({why}): commits made here carry none of what was \
             recorded until `vouch init` runs (it then notes them from the journal)"
        );
    }
}

/// `rel`'s bytes at `commit` (empty: no commit, or no file there).
pub fn version_at(repo: &Repository, commit: Option<Oid>, rel: &str) -> Vec<u8> {
    let tree = commit.and_then(|c| repo.find_commit(c).ok()).and_then(|c| c.tree().ok());
    version_in(repo, tree.as_ref(), rel)
}

/// `rel`'s bytes in `tree` (empty: no tree, or no file there).
fn version_in(repo: &Repository, tree: Option<&git2::Tree<'_>>, rel: &str) -> Vec<u8> {
    tree.and_then(|t| t.get_path(Path::new(rel)).ok())
        .and_then(|e| repo.find_blob(e.id()).ok())
        .map(|b| b.content().to_vec())
        .unwrap_or_default()
}

/// The files a move of HEAD brought, each with its version at HEAD
/// ([`brought_in`]).
pub type Brought = std::collections::HashMap<String, Option<Vec<u8>>>;

/// The files whose version at HEAD changed while a command ran other than
/// through the commits it made (`made`): a pull, a rebase onto commits
/// fetched, a checkout of another branch. Each with its version at HEAD
/// now (`None`: HEAD has no such file). `then`: HEAD before the command.
pub fn brought_in(
    repo: &Repository,
    then: Option<Oid>,
    made: &super::commit_note::Made,
) -> Result<Brought, git2::Error> {
    let mut out = std::collections::HashMap::new();
    let now = repo::head_commit(repo);
    let (Some(then), Some(now)) = (then, now) else { return Ok(out) };
    if then == now {
        return Ok(out);
    }
    let paths_between = |old: Option<&git2::Tree<'_>>, new: &git2::Tree<'_>| -> Result<Vec<String>, git2::Error> {
        Ok(crate::store::tree_diff::changes(repo, old, new)?.changes.into_iter().map(|c| c.path).collect())
    };
    let now_tree = repo.find_commit(now)?.tree()?;
    let moved = paths_between(Some(&repo.find_commit(then)?.tree()?), &now_tree)?;
    let mut ours: std::collections::HashSet<String> = std::collections::HashSet::new();
    for &oid in made.own.iter().chain(&made.copies) {
        let commit = repo.find_commit(oid)?;
        let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
        ours.extend(paths_between(parent.as_ref(), &commit.tree()?)?);
    }
    // What a merge the command made changed against its first parent came
    // from the other side (a teammate's branch a pull merged), whatever
    // else the command committed there: its own commits are recorded for
    // their versions, and what the merge resolved for the merge's.
    let mut merged: std::collections::HashSet<String> = std::collections::HashSet::new();
    for &oid in &made.merges {
        let commit = repo.find_commit(oid)?;
        let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
        merged.extend(paths_between(parent.as_ref(), &commit.tree()?)?);
    }
    for path in moved {
        if (ours.contains(&path) && !merged.contains(&path)) || out.contains_key(&path) {
            continue;
        }
        let version = match now_tree.get_path(Path::new(&path)) {
            Ok(entry) => repo.find_blob(entry.id()).ok().map(|b| b.content().to_vec()),
            Err(_) => None,
        };
        out.insert(path, version);
    }
    Ok(out)
}

/// Record as a command's what the commits it made (`made`, oldest first:
/// by `git commit`) bring that the worktree no longer shows: a commit on
/// a branch the command then left, a file it changed again after
/// committing. For each file such a commit changed, the lines of its
/// committed version that were neither in the file before the command ran
/// (`before`: its bytes then, `Some(None)` when it did not exist, `None`
/// when not known, and then it is left alone) nor in its parent's are the
/// command's, recorded for that version. Of a merge it made, what neither
/// parent has is its own ([`resolved`]), whatever the worktree shows: the
/// hook compares the worktree with HEAD's version, the merge's. `brought`:
/// the files a move of HEAD brought ([`brought_in`]), which the hook's
/// comparison set aside (a commit made in another worktree and merged or
/// picked back here). Returns how many versions were recorded.
#[allow(clippy::too_many_arguments)] // What was there before, and one record's parts, as `append` takes them.
pub fn record_committed(
    repo: &Repository,
    journal: &Journal,
    made: &[Oid],
    brought: &Brought,
    before: impl Fn(&str) -> Option<Option<Vec<u8>>>,
    source: &AiSource,
    evidence: Evidence,
    intent: Option<&Intent>,
) -> anyhow::Result<usize> {
    let root = repo::worktree_root(repo)?.to_path_buf();
    let mut recorded = 0;
    for &oid in made {
        let commit = repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
        let tree = commit.tree().with_context(|| format!("cannot read the tree of {oid}"))?;
        let parent = commit.parent(0).ok().map(|p| p.tree()).transpose().context("cannot read a parent's tree")?;
        let files = new_versions(repo, parent.as_ref(), &tree).with_context(|| format!("cannot diff commit {oid}"))?;
        for (rel, mode, blob) in &files {
            if *mode != i32::from(git2::FileMode::Blob) && *mode != i32::from(git2::FileMode::BlobExecutable) {
                continue;
            }
            let (rel, committed) = (rel.as_str(), blob.content());
            let changed = if commit.parent_count() > 1 {
                resolved(repo, &commit, rel, committed)?
            } else {
                // The worktree shows it: the hook's own comparison saw it,
                // unless a move of HEAD brought it there.
                if !brought.contains_key(rel) && std::fs::read(root.join(rel)).is_ok_and(|now| now == committed) {
                    continue;
                }
                let Some(was) = before(rel) else { continue };
                // What the worktree did not hold before the command (a
                // person's commit it amends or squashes stays theirs), nor
                // the commit's parent (a merge the command made brought it,
                // or an earlier commit of the command, recorded for that
                // one's version).
                let mut changed = written_over(&was.unwrap_or_default(), committed);
                changed.narrow(&written_over(&version_in(repo, parent.as_ref(), rel), committed));
                changed
            };
            let made_by = format!("that commit {} made", &oid.to_string()[..10]);
            match record_version(journal, repo, rel, committed, &changed, &made_by, source, evidence, intent) {
                Ok(done) => recorded += usize::from(done),
                Err(e) => not_recorded(repo, &source.tool, rel, &e),
            }
        }
    }
    Ok(recorded)
}

/// Record as a command's what the stashes it made (`stashes`) hold that
/// was not in the worktree before it ran (`before`, as for
/// [`record_committed`]): a command that writes and stashes leaves the
/// worktree as it found it, and whoever pops the stash brings its text
/// back. Recorded for the stashed versions; returns how many.
pub fn record_stashed(
    repo: &Repository,
    journal: &Journal,
    stashes: &[Oid],
    before: impl Fn(&str) -> Option<Option<Vec<u8>>>,
    source: &AiSource,
    evidence: Evidence,
    intent: Option<&Intent>,
) -> anyhow::Result<usize> {
    let mut recorded = 0;
    for &oid in stashes {
        let stash = repo.find_commit(oid).with_context(|| format!("cannot read stash {oid}"))?;
        let base = stash.parent(0).ok().map(|p| p.tree()).transpose().context("cannot read a stash's base")?;
        // The worktree's tracked files, then its untracked ones (`-u`).
        let mut trees = vec![(base, stash.tree().context("cannot read a stash's tree")?)];
        if let Ok(untracked) = stash.parent(2) {
            trees.push((None, untracked.tree().context("cannot read a stash's untracked files")?));
        }
        for (old, new) in &trees {
            let files = new_versions(repo, old.as_ref(), new).with_context(|| format!("cannot diff stash {oid}"))?;
            for (rel, _, blob) in &files {
                let (rel, stashed) = (rel.as_str(), blob.content());
                let Some(was) = before(rel) else { continue };
                let changed = written_over(&was.unwrap_or_default(), stashed);
                let made_by = "that the command stashed";
                match record_version(journal, repo, rel, stashed, &changed, made_by, source, evidence, intent) {
                    Ok(done) => recorded += usize::from(done),
                    Err(e) => not_recorded(repo, &source.tool, rel, &e),
                }
            }
        }
    }
    Ok(recorded)
}

/// The entries `new` adds or changes against `old`, each with its mode
/// and its blob there ([`crate::store::tree_diff::changes`]: names that are
/// not UTF-8 apart; entries that are no blob, a submodule, left out).
fn new_versions<'r>(
    repo: &'r Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
) -> Result<Vec<(String, i32, git2::Blob<'r>)>, git2::Error> {
    let changes = crate::store::tree_diff::changes(repo, old, new)?;
    Ok(changes
        .changes
        .into_iter()
        .filter_map(|c| {
            let (id, mode) = c.new?;
            Some((c.path, mode, repo.find_blob(id).ok()?))
        })
        .collect())
}

/// What `now` (a file's bytes) has that `was` did not: by lines when it is
/// text, else all of it (nothing when they are equal).
fn written_over(was: &[u8], now: &[u8]) -> Written {
    if was == now {
        return Written::default();
    }
    match std::str::from_utf8(now) {
        Ok(text) => written(&String::from_utf8_lossy(was), text),
        Err(_) => Written::ranges(std::iter::once(0..now.len()).collect()),
    }
}

/// Record the submodules a command moved: each commit it checked one out
/// at, staged or committed for one (`made`: the commits it made), that
/// neither the index nor the submodule's worktree was at before it ran
/// (`before`: [`crate::store::snapshot::gitlinks`] then), and that no move
/// of HEAD brought (`brought`: a pull of a teammate's bump, then `git
/// submodule update`). A submodule's one line, the commit's id, is the
/// command's. How many were recorded.
#[allow(clippy::too_many_arguments)] // What was there before, and one record's parts, as `append` takes them.
pub fn record_gitlinks(
    repo: &Repository,
    journal: &Journal,
    before: &std::collections::BTreeMap<String, Vec<Oid>>,
    made: &[Oid],
    brought: &Brought,
    source: &AiSource,
    evidence: Evidence,
    intent: Option<&Intent>,
) -> anyhow::Result<usize> {
    let now = crate::store::snapshot::gitlinks(repo).context("cannot list the submodules")?;
    let mut moved: std::collections::BTreeSet<(String, Oid)> =
        now.into_iter().flat_map(|(rel, ids)| ids.into_iter().map(move |id| (rel.clone(), id))).collect();
    // What a commit of the command's moved a submodule to is its own,
    // however that commit reached HEAD (a merge of a branch of its own).
    let mut own = std::collections::BTreeSet::new();
    for &oid in made {
        let commit = repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
        let parent = commit.parent(0).ok().map(|p| p.tree()).transpose().context("cannot read a parent's tree")?;
        let tree = commit.tree().with_context(|| format!("cannot read the tree of {oid}"))?;
        for change in crate::store::tree_diff::changes(repo, parent.as_ref(), &tree)?.changes {
            if let Some((id, mode)) = change.new
                && mode == i32::from(git2::FileMode::Commit)
            {
                own.insert((change.path.clone(), id));
                moved.insert((change.path, id));
            }
        }
    }
    let head = repo::head_commit(repo).map(|h| repo.find_commit(h).and_then(|c| c.tree())).transpose()?;
    let at_head = |rel: &str| head.as_ref().and_then(|t| t.get_path(Path::new(rel)).ok()).map(|e| e.id());
    let mut recorded = 0;
    for (rel, id) in moved {
        let theirs = brought.contains_key(&rel) && at_head(&rel) == Some(id) && !own.contains(&(rel.clone(), id));
        if before.get(&rel).is_some_and(|ids| ids.contains(&id)) || theirs {
            continue;
        }
        let hex = id.to_string();
        let made_by = format!("(the submodule at commit {})", &hex[..10]);
        let changed = Written::ranges(std::iter::once(0..hex.len()).collect());
        recorded += usize::from(record_version(
            journal,
            repo,
            &rel,
            hex.as_bytes(),
            &changed,
            &made_by,
            source,
            evidence,
            intent,
        )?);
    }
    Ok(recorded)
}

/// Record as a command's what `bytes`, a version of `rel` the worktree's
/// files do not show as such (a symbolic link's target; a version it
/// staged), has that none of `before` (the versions there before: the
/// first's removed lines are the command's removals) did, and the lines of
/// the first it removed; `made_by` says which version it is. Whether
/// anything was recorded.
#[allow(clippy::too_many_arguments)] // What was there before, and one record's parts, as `append` takes them.
pub fn record_over(
    journal: &Journal,
    repo: &Repository,
    rel: &str,
    before: &[Vec<u8>],
    bytes: &[u8],
    made_by: &str,
    source: &AiSource,
    evidence: Evidence,
    intent: Option<&Intent>,
) -> anyhow::Result<bool> {
    let Some((first, rest)) = before.split_first() else { return Ok(false) };
    let mut changed = written_over(first, bytes);
    for other in rest {
        changed.narrow(&written_over(other, bytes));
    }
    record_version(journal, repo, rel, bytes, &changed, made_by, source, evidence, intent)
}

/// [`append_version`] of `changed`, when it says anything, and say so
/// (`made_by`: which version it is); whether it was recorded.
#[allow(clippy::too_many_arguments)] // One record's parts, as `append_version` takes them.
fn record_version(
    journal: &Journal,
    repo: &Repository,
    rel: &str,
    bytes: &[u8],
    changed: &Written,
    made_by: &str,
    source: &AiSource,
    evidence: Evidence,
    intent: Option<&Intent>,
) -> anyhow::Result<bool> {
    if changed.is_empty() {
        return Ok(false);
    }
    append_version(journal, repo, rel, bytes, changed, source.clone(), evidence, intent.cloned())?;
    eprintln!(
        "vouch: recorded {} line(s) of {} {made_by} as written by {}",
        lines_in(bytes, &changed.ranges),
        display::line(rel),
        display::line(&source.tool)
    );
    Ok(true)
}

/// What merge `commit` wrote itself into `rel` (its version `committed`):
/// the text no parent's version has (a conflict's resolution; a clean
/// merge takes every line from a parent), and the removals of lines every
/// parent kept at that place; git's conflict markers left in are git's.
/// Bytes that are not UTF-8 are its own whole unless a parent has them as
/// they are.
fn resolved(repo: &Repository, commit: &git2::Commit<'_>, rel: &str, committed: &[u8]) -> anyhow::Result<Written> {
    let mut parents = Vec::new();
    for parent in commit.parents() {
        let tree = parent.tree().with_context(|| format!("cannot read the tree of {}", parent.id()))?;
        let entry = match tree.get_path(Path::new(rel)) {
            Ok(entry) => Some(entry.id()),
            // A side that renamed the file has it under its old name.
            Err(_) => renamed_from(repo, &tree, &commit.tree()?, rel),
        };
        let version = entry.and_then(|id| repo.find_blob(id).ok()).map(|b| b.content().to_vec()).unwrap_or_default();
        if version == committed {
            return Ok(Written::default());
        }
        parents.push(version);
    }
    let Ok(text) = std::str::from_utf8(committed) else {
        return Ok(Written::ranges(std::iter::once(0..committed.len()).collect()));
    };
    let mut sides = parents.iter().map(|was| written(&String::from_utf8_lossy(was), text));
    let Some(mut out) = sides.next() else { return Ok(Written::default()) };
    for side in sides {
        out.narrow(&side);
    }
    out.ranges = intersect(&out.ranges, &outside_markers(text));
    Ok(out)
}

/// What a merge, cherry-pick, revert or rebase stopped in the worktree
/// (on a conflict, or `git merge --no-commit` or `--squash`) brings: the
/// versions of the commits it applies (a merge's `MERGE_HEAD`s, a squash's
/// branch tip, the picked commit, the reverted commit's parent) and git's
/// conflict markers. A command that starts one did not write those; nor
/// did one that edits a file with them.
pub struct InProgress {
    /// The trees of the versions brought.
    trees: Vec<Oid>,
    /// The commits whose versions they are (a revert's is the reverted
    /// commit's parent: none), one to a tree.
    commits: Vec<Option<Oid>>,
    /// HEAD's tree, where something is in progress.
    head: Option<Oid>,
}

impl InProgress {
    /// What is in progress in `repo`'s worktree, if anything.
    pub fn of(repo: &Repository) -> InProgress {
        let git_dir = repo.path();
        let named = |file: &str| -> Vec<Oid> {
            std::fs::read_to_string(git_dir.join(file))
                .map(|text| text.lines().filter_map(|l| Oid::from_str(l.trim()).ok()).collect())
                .unwrap_or_default()
        };
        let mut commits = named("MERGE_HEAD");
        commits.extend(named("CHERRY_PICK_HEAD"));
        commits.extend(named("REBASE_HEAD"));
        // A squash merge (`git merge --squash`) names its commits in its
        // message, the branch's tip first.
        if let Ok(message) = std::fs::read_to_string(git_dir.join("SQUASH_MSG")) {
            commits
                .extend(crate::store::derive::squashed_commits(&message).first().and_then(|c| Oid::from_str(c).ok()));
        }
        let (mut trees, mut of): (Vec<Oid>, Vec<Option<Oid>>) =
            commits.iter().filter_map(|&c| repo.find_commit(c).ok()).map(|c| (c.tree_id(), Some(c.id()))).unzip();
        // A revert brings the reverted commit's parent's lines.
        for parent in named("REVERT_HEAD").iter().filter_map(|&c| repo.find_commit(c).ok()?.parent(0).ok()) {
            trees.push(parent.tree_id());
            of.push(None);
        }
        let head = (!trees.is_empty()).then(|| repo.head().and_then(|h| h.peel_to_tree()).ok()).flatten();
        InProgress { trees, commits: of, head: head.map(|t| t.id()) }
    }

    /// `version`, file `rel` as `commit` holds it (blob `blob`), less the
    /// lines `commit`'s vouch note says an AI wrote there: what a picked or
    /// merged commit brings that is not AI text. The agent's own commit
    /// that a rebase it started picks brings its AI lines still, should
    /// the rebase be left with `--quit` and no note follow; a person's
    /// lines beside them stay the person's.
    fn without_ai_lines(repo: &Repository, commit: Option<Oid>, rel: &str, blob: Oid, version: Vec<u8>) -> Vec<u8> {
        let Some(records) = commit.and_then(|c| notes::read_note(repo, c).ok().flatten()) else { return version };
        let blob = blob.to_string();
        let ai = notes::merge_line_ranges(records.iter().flat_map(|r| match r {
            notes::NoteRecord::File(f) if f.path == rel && f.blob == blob => f.ai.clone(),
            _ => Vec::new(),
        }));
        let mut out = Vec::with_capacity(version.len());
        let mut at = 0;
        for drop in notes::lines_to_bytes(&version, &ai) {
            out.extend_from_slice(&version[at..drop.start.max(at)]);
            at = at.max(drop.end);
        }
        out.extend_from_slice(&version[at.min(version.len())..]);
        out
    }

    /// Whether the operation in progress removed `rel` from the worktree
    /// (HEAD has it, a version it brings does not: the other side removed
    /// or renamed it), rather than the command.
    pub fn brings_removal(&self, repo: &Repository, rel: &str) -> bool {
        let has = |tree: Oid| repo.find_tree(tree).is_ok_and(|t| t.get_path(Path::new(rel)).is_ok());
        self.head.is_some_and(has) && self.trees.iter().any(|&tree| !has(tree))
    }

    /// HEAD's version of what a version brought holds at `rel`, where HEAD
    /// has it under another name (the other side renamed it, and the merge
    /// followed): git's merge found it so.
    fn head_renamed(&self, repo: &Repository, rel: &str) -> Option<Vec<u8>> {
        let head = repo.find_tree(self.head?).ok()?;
        if head.get_path(Path::new(rel)).is_ok() {
            return None;
        }
        self.trees.iter().find_map(|&tree| {
            let ours = renamed_from(repo, &head, &repo.find_tree(tree).ok()?, rel)?;
            repo.find_blob(ours).ok().map(|b| b.content().to_vec())
        })
    }

    /// `changed`, what a command wrote into `rel` (now `text`), less what
    /// the operation in progress brings: text one of its versions has (or
    /// HEAD's, under the name the other side renamed), removals one of them
    /// made too, and conflict markers.
    pub fn not_brought(&self, repo: &Repository, rel: &str, text: &str, mut changed: Written) -> Written {
        if self.trees.is_empty() {
            return changed;
        }
        for (&tree, &commit) in self.trees.iter().zip(&self.commits) {
            let version = repo
                .find_tree(tree)
                .and_then(|t| t.get_path(Path::new(rel)))
                .and_then(|e| repo.find_blob(e.id()))
                .map(|b| InProgress::without_ai_lines(repo, commit, rel, b.id(), b.content().to_vec()))
                .unwrap_or_default();
            changed.narrow(&written(&String::from_utf8_lossy(&version), text));
        }
        if let Some(ours) = self.head_renamed(repo, rel) {
            changed.narrow(&written(&String::from_utf8_lossy(&ours), text));
        }
        changed.ranges = intersect(&changed.ranges, &outside_markers(text));
        changed
    }
}

/// The byte ranges of `text` outside git's conflict-marker lines
/// (`<<<<<<< `, `|||||||`, `=======`, `>>>>>>> `).
fn outside_markers(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut at) = (0, 0);
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let marker = ["<<<<<<< ", "||||||| ", ">>>>>>> "].iter().any(|m| bare.starts_with(m))
            || matches!(bare, "=======" | "<<<<<<<" | "|||||||" | ">>>>>>>");
        if marker {
            if start < at {
                out.push(start..at);
            }
            start = at + line.len();
        }
        at += line.len();
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// The blob `from` has under another name for what `to` holds at `rel`:
/// a rename from `from` to `to`, found as git's merge finds it.
fn renamed_from(repo: &Repository, from: &git2::Tree<'_>, to: &git2::Tree<'_>, rel: &str) -> Option<Oid> {
    let mut diff = repo.diff_tree_to_tree(Some(from), Some(to), None).ok()?;
    crate::store::repo::renamed_to(&mut diff, rel).ok()?.map(|(_, blob)| blob)
}

/// The bytes both sorted, disjoint range lists cover.
fn intersect(a: &[Range<usize>], b: &[Range<usize>]) -> Vec<Range<usize>> {
    let (mut out, mut i, mut j) = (Vec::new(), 0, 0);
    while i < a.len() && j < b.len() {
        let (start, end) = (a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if start < end {
            out.push(start..end);
        }
        if a[i].end <= b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Record in `journal` that `source` (known by `evidence`) removed file
/// `rel` of `repo`'s worktree whole, whose last version was `before` (as
/// git would store it): a removal leaves no text to attribute, yet the
/// program changed, so the gate and the commit's note must know.
pub fn record_removal(
    repo: &Repository,
    journal: &Journal,
    rel: &str,
    before: &[u8],
    source: AiSource,
    evidence: Evidence,
    intent: Option<Intent>,
) -> anyhow::Result<()> {
    let tool = source.tool.clone();
    let attribution = Attribution::ai(source, evidence, user_email(repo)).with_intent(intent);
    journal
        .append(repo, Entry::removal(rel, before, &attribution))
        .with_context(|| format!("cannot record the removal of {rel}"))?;
    warn_if_not_set_up(repo);
    eprintln!(
        "vouch: recorded that {} deleted {} ({} line(s)): the deletion needs sign-off",
        display::line(&tool),
        display::line(rel),
        crate::lineage::split_lines(before).len()
    );
    Ok(())
}

/// What a tool call's staged versions and modes are compared with, read
/// once: the index now, and HEAD's tree before the call and now.
pub struct Staging<'r> {
    repo: &'r Repository,
    pub index: git2::Index,
    pub head_then: Option<git2::Tree<'r>>,
    pub head_now: Option<git2::Tree<'r>>,
    /// Whether git reads files' modes in the worktree (`core.fileMode`).
    file_mode: bool,
}

impl<'r> Staging<'r> {
    /// `repo` now, and HEAD's tree when it was at `then`.
    pub fn of(repo: &'r Repository, then: Option<Oid>) -> anyhow::Result<Staging<'r>> {
        let tree_of = |commit: Option<Oid>| commit.and_then(|c| repo.find_commit(c).ok()).and_then(|c| c.tree().ok());
        Ok(Staging {
            repo,
            index: repo.index().context("cannot read the index")?,
            head_then: tree_of(then),
            head_now: tree_of(repo::head_commit(repo)),
            file_mode: repo.config().and_then(|c| c.get_bool("core.fileMode")).unwrap_or(true),
        })
    }

    /// The mode of `rel` in the index now, as git writes it (0: none).
    pub fn staged_mode(&self, rel: &str) -> u32 {
        self.index.get_path(Path::new(rel), 0).map_or(0, |e| e.mode)
    }

    /// Record the mode the tool call set on `rel` ([`mode_set`]; `modes`:
    /// its modes before the call and now, each in the worktree of `root`
    /// and in the index), with the version of the file it applies to (the
    /// one staged, else the worktree's); one record, or none.
    #[allow(clippy::too_many_arguments)]
    pub fn record_mode(
        &self,
        journal: &Journal,
        root: &Path,
        rel: &str,
        modes: (Modes, Modes),
        source: &AiSource,
        evidence: Evidence,
        intent: Option<&Intent>,
    ) -> anyhow::Result<usize> {
        let head_mode = |tree: &Option<git2::Tree<'_>>| {
            tree.as_ref().and_then(|t| t.get_path(Path::new(rel)).ok()).map_or(0, |e| e.filemode() as u32)
        };
        let head = (head_mode(&self.head_then), head_mode(&self.head_now));
        let Some(mode) = mode_set(modes.0, modes.1, head, self.file_mode) else { return Ok(0) };
        let created = modes.0 == (0, 0);
        let text = match self.index.get_path(Path::new(rel), 0) {
            Some(entry) => self.repo.find_blob(entry.id).map(|b| b.content().to_vec()),
            None => Ok(std::fs::read(root.join(rel)).unwrap_or_default()),
        }
        .with_context(|| format!("cannot read the staged {rel}"))?;
        record_mode(self.repo, journal, rel, &text, mode, source.clone(), evidence, intent.cloned())?;
        let tool = display::line(&source.tool);
        let rel = display::line(rel);
        match created {
            true => eprintln!("vouch: recorded that {tool} created {rel} executable"),
            false => eprintln!(
                "vouch: recorded that {tool} made {rel} {}: the change needs sign-off",
                crate::store::mode::described(&format!("{mode:o}"))
            ),
        }
        Ok(1)
    }
}

/// The mode a tool call set on a file, from its modes before and after
/// the call, each (in the worktree, in the index) as git writes them (0:
/// none), and the mode HEAD had for it before and after (0: none): a
/// regular file's executable bit it set or cleared, in the worktree (when
/// git reads modes there: `core.fileMode`) or else in the index (`git
/// update-index --chmod`). A mode put back to HEAD's (a `git checkout` of
/// the file, an unstaging) is nobody's change, and the worktree's mode
/// staged (`git add` of a person's `chmod`) is the worktree's; a file it
/// removed or made a link of is judged by its content. A file it created
/// executable (nothing there before, in the worktree, the index nor HEAD)
/// is recorded as set executable: a moved file (`mv deploy.sh run.sh &&
/// chmod +x run.sh`) brings old content, and its commit's note compares its
/// mode with the moved file's ([`crate::store::mode::mode_before`]).
pub fn mode_set(then: Modes, now: Modes, head: (u32, u32), file_mode: bool) -> Option<u32> {
    use crate::store::snapshot::{EXECUTABLE, REGULAR};
    let regular = |mode: u32| mode == REGULAR || mode == EXECUTABLE;
    let changed =
        |then: u32, now: u32| regular(then) && regular(now) && then != now && !(now == head.0 && now == head.1);
    if then == (0, 0) && head.0 == 0 && ((file_mode && now.0 == EXECUTABLE) || now.1 == EXECUTABLE) {
        Some(EXECUTABLE)
    } else if file_mode && changed(then.0, now.0) {
        Some(now.0)
    } else if changed(then.1, now.1) && !(file_mode && now.1 == then.0) {
        Some(now.1)
    } else {
        None
    }
}

/// Record in `journal` that `source` (known by `evidence`) set the mode of
/// file `rel` of `repo`'s worktree, whose text is `text`, to `mode` (as git
/// writes it): no line changes, yet what the file does may (a script CI
/// runs), so the gate and the commit's note must know.
#[allow(clippy::too_many_arguments)]
pub fn record_mode(
    repo: &Repository,
    journal: &Journal,
    rel: &str,
    text: &[u8],
    mode: u32,
    source: AiSource,
    evidence: Evidence,
    intent: Option<Intent>,
) -> anyhow::Result<()> {
    let attribution = Attribution::ai(source, evidence, user_email(repo)).with_intent(intent);
    let mode = format!("{mode:o}");
    journal
        .append(repo, Entry::mode_set(rel, text, &mode, &attribution))
        .with_context(|| format!("cannot record the change of the mode of {rel}"))?;
    warn_if_not_set_up(repo);
    Ok(())
}

/// Whether HEAD or the index has a file at `rel`: the removal of a file
/// git does not know changes nothing a commit holds.
pub fn known_to_git(repo: &Repository, rel: &str) -> bool {
    let path = Path::new(rel);
    let in_head = repo.head().and_then(|h| h.peel_to_tree()).is_ok_and(|t| t.get_path(path).is_ok());
    in_head || repo.index().is_ok_and(|i| i.get_path(path, 0).is_some())
}

/// Say what was recorded of `target`'s edit by `tool`.
pub fn say_recorded(target: &Target, written: &Written, tool: &str) {
    if !written.ranges.is_empty() {
        eprintln!(
            "vouch: recorded {} AI line(s) of {} ({})",
            lines_in(&target.bytes, &written.ranges),
            display::line(&target.rel),
            display::line(tool)
        );
    }
    if !written.removed.is_empty() {
        eprintln!(
            "vouch: recorded that {} deleted {} line(s) of {}: the code around them needs sign-off",
            display::line(tool),
            written.removed_lines(),
            display::line(&target.rel)
        );
    }
}

pub fn lines_in(bytes: &[u8], ranges: &[Range<usize>]) -> usize {
    notes::bytes_to_lines(bytes, ranges).iter().map(|r| (r[1] - r[0] + 1) as usize).sum()
}

/// Record all of a file that is not UTF-8 as AI, known by `evidence`, with
/// the intent behind the edit: the edit cannot be located in it, and it is
/// one unit to review.
pub fn record_whole(
    target: &Target,
    source: AiSource,
    evidence: Evidence,
    intent: Option<Intent>,
) -> anyhow::Result<()> {
    if target.bytes.is_empty() {
        eprintln!("vouch: nothing to record in {}", display::line(&target.rel));
        return Ok(());
    }
    let all: Vec<Range<usize>> = std::iter::once(0..target.bytes.len()).collect();
    record(target, &Written::ranges(all.clone()), source.clone(), evidence, intent)?;
    eprintln!(
        "vouch: {} is not UTF-8 text: recorded all of it ({} line(s)) as AI ({})",
        display::line(&target.rel),
        lines_in(&target.bytes, &all),
        display::line(&source.tool)
    );
    Ok(())
}

/// What the tool wrote in `current`, by the line diff from `before`: the
/// byte ranges it inserted or rewrote, and where it removed lines.
pub fn written(before: &str, current: &str) -> Written {
    if before == current {
        return Written::default();
    }
    Written { ranges: agents::inserted_ranges(before, current), removed: agents::removed_places(before, current) }
}

/// The bytes of `rel` as vouch last saw them: the journal's latest version,
/// else the index's, else HEAD's; empty for a file vouch never saw.
pub fn last_seen(repo: &Repository, journal: &Journal, rel: &str) -> anyhow::Result<Vec<u8>> {
    let text_of = |id: Oid| repo.find_blob(id).ok().map(|b| b.content().to_vec());
    let loaded = journal.records().context("cannot read the journal")?;
    for problem in &loaded.problems {
        eprintln!("vouch: warning: {}", display::line(&problem.to_string()));
    }
    let latest = loaded.records_for(rel).last().and_then(|r| r.file()).and_then(|f| Oid::from_str(&f.blob).ok());
    if let Some(text) = latest.and_then(text_of) {
        return Ok(text);
    }
    if let Ok(index) = repo.index()
        && let Some(text) = index.get_path(Path::new(rel), 0).and_then(|e| text_of(e.id))
    {
        return Ok(text);
    }
    let head = repo.head().and_then(|h| h.peel_to_tree()).and_then(|t| t.get_path(Path::new(rel)));
    Ok(head.ok().and_then(|e| text_of(e.id())).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_markers_are_left_out_and_ranges_intersect() {
        let text = "a\n<<<<<<< HEAD\nb\n||||||| base\nc\n=======\nd\r\n>>>>>>> main\ne";
        let kept: Vec<&str> = outside_markers(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(kept, ["a\n", "b\n", "c\n", "d\r\n", "e"]);
        // A line that merely begins like a marker is text.
        let whole = outside_markers("======= x\n<<<<<<<<\n");
        assert_eq!((whole.len(), whole.first().cloned()), (1, Some(0..19)));
        assert_eq!(intersect(&[0..4, 6..10], &[2..8, 9..12]), [2..4, 6..8, 9..10]);
        assert_eq!(intersect(&[0..4, 8..9], &[4..6, 6..8]), Vec::<Range<usize>>::new());
    }
}
