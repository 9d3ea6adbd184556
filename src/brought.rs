//! AI text a range brings from another path of BASE, under other rules.
//!
//! The range's lineage follows AI text the range wrote; text that was
//! BASE's is BASE's, and needed nothing. But what an agent wrote under an
//! exempt path (landed there as the policy allows), or what a reviewer
//! approved under one path's rules, is still an agent's code when a
//! person's later pull request moves it where other rules hold. So the
//! lines such a file holds from its source are blamed in BASE's history at
//! the source's path, and those history calls AI are AI where they stand,
//! judged under that path's rules (an approval of the same text counts
//! where its approver may approve there: the path is not hashed into a
//! fingerprint).
//!
//! One rule for every front end: `vouch verify` judges a range's HEAD by it
//! ([`crate::verify`], which also follows links and reverts), and the
//! commands that act on the working tree (`vouch status`, `approve`,
//! `request`, the gate) judge the next commit by it, so a reviewer can
//! approve what verify will ask about.
//!
//! Followed: git's renames (over an existing path too), copies byte for
//! byte (from every path that holds the bytes), and copies edited a little
//! at a new path (of a file the range removes, or of one of BASE's files of
//! the same name: [`NearSources`]). A policy that judges every path alike
//! has no moves to follow ([`crate::policy::Policy::judges_paths_alike`]).
//!
//! The same holds of text a range restores ([`restored`]): a `git revert`
//! of a commit from before the range brings back what that commit
//! removed, and the lines of it history calls AI are AI again.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree};

use crate::policy::Policy;
use crate::provenance::Spans;
use crate::store::{history, notes};

/// What could not be read, and why.
#[derive(Debug)]
pub struct Unreadable {
    pub path: String,
    pub reason: String,
}

/// BASE, and what the far end of the range (HEAD, or the next commit) did
/// with its paths.
pub struct Landing<'a> {
    pub base_commit: Oid,
    pub base: &'a Tree<'a>,
    /// The far end's files renamed from BASE (as `git diff -M` pairs them):
    /// new path to old.
    pub renamed: &'a HashMap<String, String>,
    /// The paths of BASE the far end lacks, found when first needed.
    pub removed: &'a dyn Fn() -> Vec<String>,
}

/// The AI lines a text file of the far end holds from another path of
/// BASE.
#[derive(Debug, Clone)]
pub struct Found {
    /// The first path of BASE they came from.
    pub from: String,
    /// Its lines that history calls AI there, as byte spans of its text.
    pub spans: Spans,
    /// What evidence of history says so (`trailer: claude`), each once.
    pub sources: Vec<String>,
}

/// Of `files` (path, blob id, bytes: the text files of the far end the
/// range changed), those BASE holds at another path under other rules
/// (renamed from it, a copy of it byte for byte at a new path or over one
/// BASE has, or a copy edited a little at a new path), with the AI lines
/// history gives them there, by path. Text moved between paths the policy
/// judges alike needs nothing it did not need where BASE held it.
pub fn from_other_paths(
    repo: &Repository,
    policy: &Policy,
    landing: &Landing<'_>,
    files: &[(&str, Oid, &[u8])],
) -> Result<HashMap<String, Found>, Unreadable> {
    let mut out = HashMap::new();
    if policy.judges_paths_alike() {
        return Ok(out);
    }
    let base = landing.base;
    // BASE's blobs by id, read once; and what a file may be a copy of.
    let mut copied: Option<HashMap<Oid, Vec<String>>> = None;
    let mut near: Option<NearSources> = None;
    let mut sources: Vec<(&str, &[u8], String)> = Vec::new();
    for &(path, id, text) in files {
        if base.get_path(Path::new(path)).is_ok_and(|e| e.id() == id) {
            continue;
        }
        let from: Vec<String> = match landing.renamed.get(path) {
            Some(from) => vec![from.clone()],
            None => {
                let blobs = copied.get_or_insert_with(|| blobs_of(base));
                match blobs.get(&id) {
                    // Every path that holds the bytes: a person's duplicate
                    // of an agent's file under other rules must not hide it.
                    Some(from) => from.clone(),
                    // Or, at a path BASE lacks, edited a little (a line
                    // added, functions added after a move git no longer
                    // pairs): a file the range removes, or one of BASE of
                    // its name, that it holds most of. (A file BASE has at
                    // its path is its own history's.)
                    None if base.get_path(Path::new(path)).is_ok() => Vec::new(),
                    None => {
                        let near = near.get_or_insert_with(|| NearSources::of(blobs, (landing.removed)()));
                        let other_rules = |from: &str| !policy.same_rules(from, path);
                        near.sources(repo, base, (path, text), other_rules)
                    }
                }
            }
        };
        for from in from {
            if from != path && !policy.same_rules(&from, path) {
                sources.push((path, text, from));
            }
        }
    }
    let base_rev = landing.base_commit.to_string();
    for (path, text, from) in sources {
        let (spans, said) = ai_in_history(repo, policy, (&from, &base_rev), text, |_| true)?;
        if spans.is_empty() {
            continue;
        }
        let found = out.entry(path.to_string()).or_insert(Found { from, spans: Vec::new(), sources: Vec::new() });
        found.spans = crate::signoff::overlay(text.len(), &found.spans, &spans);
        for source in said {
            if !found.sources.contains(&source) {
                found.sources.push(source);
            }
        }
    }
    Ok(out)
}

/// How many files a range's reverts restore that are blamed, at most
/// (each is one `git blame`, about 5 ms); a range whose reverts restore
/// more is refused rather than judged in part. Files brought from other
/// paths are all blamed, however many: a move of a whole tree of them out
/// of an exempt path is ordinary work, and each costs a few milliseconds.
pub const MAX_RESTORED_FILES: usize = 1_000;

/// A range as [`restored`] reads it: verify's, or the one the next commit
/// ends.
pub trait Reverting {
    /// Its commits, oldest first.
    fn commits(&self) -> &[Oid];
    /// The paths its commit number `i` changed against its first parent.
    fn changed_by(&self, i: usize) -> &[String];
    /// The text the range leaves at `path` (`None` when it is not a text
    /// file), and whether the range added or changed each of its lines
    /// (0-based).
    fn added_lines(&self, repo: &Repository, path: &str) -> Option<(Vec<u8>, Vec<bool>)>;
}

/// What a revert in the range restores.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The commit from before the range it reverts.
    pub reverted: Oid,
    /// The range's commits that revert it, in order.
    pub reverts: Vec<Oid>,
    /// Its lines that history calls AI where the reverted commit's parent
    /// had them, among those the range added.
    pub found: Found,
}

/// The text the range's reverts of commits from before it restore, among
/// the files `wanted`: blamed where the reverted commit's parent had it;
/// the lines the range added that history calls AI there (an agent's
/// function a person took out in the pull request that added it, both
/// landed, brought back by a person's revert), by path. A range whose
/// reverts restore more than [`MAX_RESTORED_FILES`] files is refused.
pub fn restored(
    repo: &Repository,
    policy: &Policy,
    range: &impl Reverting,
    wanted: impl Fn(&str) -> bool,
) -> Result<HashMap<String, Restored>, Unreadable> {
    let mut out: HashMap<String, Restored> = HashMap::new();
    let commits = range.commits();
    let mut blamed = 0;
    for (i, &revert) in commits.iter().enumerate() {
        let commit = repo
            .find_commit(revert)
            .map_err(|e| Unreadable { path: String::new(), reason: format!("cannot read commit {revert}: {e}") })?;
        let Some(reverted) = notes::reverted(commit.message_bytes())
            .and_then(|r| repo.revparse_single(&r).ok())
            .and_then(|o| o.peel_to_commit().ok())
        else {
            continue;
        };
        // Within the range, the lineage follows what it brings back.
        if commits.contains(&reverted.id()) {
            continue;
        }
        let Ok(parent) = reverted.parent(0) else { continue };
        let parent_rev = parent.id().to_string();
        for path in range.changed_by(i) {
            if !wanted(path) || parent.tree().is_ok_and(|t| t.get_path(Path::new(path)).is_err()) {
                continue;
            }
            let Some((text, added)) = range.added_lines(repo, path) else { continue };
            if blamed == MAX_RESTORED_FILES {
                return Err(Unreadable {
                    path: path.clone(),
                    reason: format!(
                        "the range's reverts restore more than {MAX_RESTORED_FILES} files, whose history vouch \
                         reads; split it"
                    ),
                });
            }
            blamed += 1;
            let wanted_line = |line: usize| added.get(line).copied().unwrap_or(false);
            let (spans, sources) = ai_in_history(repo, policy, (path, &parent_rev), &text, wanted_line)?;
            if spans.is_empty() {
                continue;
            }
            let restored = out.entry(path.clone()).or_insert_with(|| Restored {
                reverted: reverted.id(),
                reverts: Vec::new(),
                found: Found { from: path.clone(), spans: Vec::new(), sources: Vec::new() },
            });
            restored.found.spans = crate::signoff::overlay(text.len(), &restored.found.spans, &spans);
            for source in sources {
                if !restored.found.sources.contains(&source) {
                    restored.found.sources.push(source);
                }
            }
            if !restored.reverts.contains(&revert) {
                restored.reverts.push(revert);
            }
        }
    }
    Ok(out)
}

/// The lines of `text` that history calls AI where `at` (a path and a
/// revision) has them, among those `wanted` (0-based line numbers), as
/// byte spans with their attribution; and what evidence says so, each once.
pub fn ai_in_history(
    repo: &Repository,
    policy: &Policy,
    (path, rev): (&str, &str),
    text: &[u8],
    wanted: impl Fn(usize) -> bool,
) -> Result<(Spans, Vec<String>), Unreadable> {
    let origins = history::blame_contents_following(repo, path, rev, text, policy.bots())
        .map_err(|e| Unreadable { path: path.to_string(), reason: e.to_string() })?;
    let lines = notes::line_spans(text);
    let mut sources: Vec<String> = Vec::new();
    let mut spans = Vec::new();
    for origin in origins.iter().filter(|o| o.attribution.is_ai()) {
        let at = (origin.line as usize).wrapping_sub(1);
        let Some(line) = lines.get(at).filter(|_| wanted(at)) else { continue };
        spans.push((line.clone(), origin.attribution.clone()));
        if let Some(source) = &origin.source
            && !sources.contains(source)
        {
            sources.push(source.clone());
        }
    }
    Ok((spans, sources))
}

/// How many files of BASE one new file is compared with for a copy edited
/// a little (those the range removes, then those of its name), at most.
const MAX_NEAR_CANDIDATES: usize = 64;

/// The fewest lines with a letter or a digit a file of BASE must share with
/// a new file, and the least share of its own such lines, for the one to
/// be taken for the other edited ([`NearSources`]).
const MIN_NEAR_LINES: usize = 4;

/// Where a new file may come from edited: BASE's files by their name, and
/// the paths of BASE the range removes.
struct NearSources {
    by_name: HashMap<String, Vec<String>>,
    removed: Vec<String>,
}

impl NearSources {
    fn of(blobs: &HashMap<Oid, Vec<String>>, removed: Vec<String>) -> NearSources {
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for path in blobs.values().flatten() {
            let name = path.rsplit('/').next().unwrap_or(path);
            by_name.entry(name.to_string()).or_default().push(path.clone());
        }
        NearSources { by_name, removed }
    }

    /// The files of BASE `text` (of the new file `path`) holds most of: at
    /// least [`MIN_NEAR_LINES`] of their lines with a letter or a digit,
    /// and half of them.
    fn sources(
        &self,
        repo: &Repository,
        base: &Tree<'_>,
        (path, text): (&str, &[u8]),
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let telling = |bytes: &[u8]| -> Vec<Vec<u8>> {
            crate::lineage::split_lines(bytes)
                .into_iter()
                .map(|l| l.trim_ascii().to_vec())
                .filter(|l| l.iter().any(u8::is_ascii_alphanumeric))
                .collect()
        };
        let ours: HashSet<Vec<u8>> = telling(text).into_iter().collect();
        // Those the range removes first (where a move comes from), then
        // those of its name, each in path order: the same every run.
        let mut named: Vec<&String> = self.by_name.get(name).into_iter().flatten().collect();
        named.sort();
        let candidates = self.removed.iter().chain(named);
        let mut out: Vec<String> = Vec::new();
        for candidate in candidates.filter(|c| c.as_str() != path && wanted(c)).take(MAX_NEAR_CANDIDATES) {
            let Some(blob) = base.get_path(Path::new(candidate)).ok().and_then(|e| repo.find_blob(e.id()).ok()) else {
                continue;
            };
            let theirs = telling(blob.content());
            let shared = theirs.iter().filter(|l| ours.contains(*l)).count();
            if shared >= MIN_NEAR_LINES && 2 * shared >= theirs.len() && !out.contains(candidate) {
                out.push(candidate.clone());
            }
        }
        out
    }
}

/// The paths of each blob `tree` holds.
fn blobs_of(tree: &Tree<'_>) -> HashMap<Oid, Vec<String>> {
    let mut out: HashMap<Oid, Vec<String>> = HashMap::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob)
            && let Some(name) = entry.name()
        {
            out.entry(entry.id()).or_default().push(format!("{dir}{name}"));
        }
        git2::TreeWalkResult::Ok
    })
    .ok();
    out
}
