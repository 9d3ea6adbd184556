//! Text BASE held at another path, which the range brings where it now
//! stands: a file renamed, or a copy of one whole. The range's lineage
//! follows AI text the range wrote; text that was BASE's is BASE's, and
//! needed nothing. But what an agent wrote under an exempt path (landed
//! there as the policy allows), or what a reviewer approved under one
//! path's rules, is still an agent's code when a person's later pull
//! request moves it where other rules hold: in one range the copy rule
//! ([`crate::lineage`]) and the link rule ([`super::links`]) catch it, and
//! two ranges must not be a way round them. So the lines such a file holds
//! unchanged from its source are blamed in BASE's history at the source's
//! path, and those history calls AI are AI here, judged under this path's
//! rules (an approval of the same text counts where its approver may
//! approve here: the path is not hashed into a fingerprint).
//!
//! The same holds of text a range restores: a `git revert` of a commit
//! from before the range brings back what that commit removed, and the
//! lines of it history calls AI (an agent's function a person took out in
//! the pull request that added it, both landed) are AI again.
//!
//! Followed: git's renames (over an existing path too), copies byte for
//! byte (from every path that holds the bytes), copies edited a little at
//! a new path (of a file the range removes, or of one of BASE's files of
//! the same name: [`NearSources`]), links the range adds
//! ([`super::links`]), and text restored by a `git revert`. Not followed: a
//! function copied out of one file into another across two ranges, a copy
//! under another name that changes more, links to directories, and text
//! restored from older history by a checkout of an old version of the
//! file, a pick without `-x`, or a revert whose message no longer names
//! the commit. A policy that judges every path alike has no moves to
//! follow ([`crate::policy::Policy::judges_paths_alike`]).

use super::*;
use crate::provenance::Spans;
use crate::store::history;

/// How many files a range's reverts restore that are blamed, at most
/// (each is one `git blame`, about 5 ms); a range whose reverts restore
/// more is refused rather than judged in part. Files brought from other
/// paths are all blamed, however many: a move of a whole tree of them out
/// of an exempt path is ordinary work, and each costs a few milliseconds.
pub(super) const MAX_BROUGHT_FILES: usize = 1_000;

/// The AI lines a text file of HEAD holds from history before the range.
pub(super) struct Brought {
    /// Where they came from, in words.
    pub from: String,
    /// Its lines that history calls AI there, as byte spans of HEAD's text.
    pub spans: Spans,
    /// What evidence of history says so (`trailer: claude`), each once.
    pub sources: Vec<String>,
    /// The range's commits that brought them, in order.
    pub commits: Vec<String>,
}

impl Brought {
    /// What a failure about a unit of the file says of it.
    pub fn detail(&self) -> String {
        format!(
            "{}, where history says an AI wrote lines of it ({}); they are judged here, under this path's rules",
            self.from,
            crate::display::line(&self.sources.join(", "))
        )
    }
}

/// The text files among `paths` (of HEAD, touched by the range) that BASE
/// holds at another path under other rules (renamed from it, a copy of it
/// byte for byte at a new path or over one BASE has, or a copy edited a
/// little at a new path), with the AI lines history gives them there; and
/// what the range's reverts restore. Text moved between paths the policy
/// judges alike needs nothing it did not need where BASE held it.
pub(super) fn brought_ai(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    ends: &Ends<'_>,
    paths: &[&String],
) -> Result<HashMap<String, Brought>, VerifyError> {
    let mut out = HashMap::new();
    // Reverts restore text wherever it stood; moves matter only between
    // paths judged otherwise.
    if judge.policy.judges_paths_alike() {
        restored_ai(repo, judge, range, paths, &mut out)?;
        return Ok(out);
    }
    let texts: Vec<(&String, Oid)> = paths
        .iter()
        .filter_map(|&path| {
            let file = range.lineage.files.get(path)?;
            let unchanged = ends.base.get_path(Path::new(path)).is_ok_and(|e| e.id() == file.id);
            (file.kind == VersionKind::Text && !unchanged).then_some((path, file.id))
        })
        .collect();
    let renamed = match texts.is_empty() {
        true => &HashMap::new(),
        false => ends.renames(repo),
    };
    // BASE's blobs by id, read once; and what a file may be a copy of.
    let mut copied: Option<HashMap<Oid, Vec<String>>> = None;
    let mut near: Option<NearSources> = None;
    let mut sources: Vec<(&String, Oid, String)> = Vec::new();
    for (path, id) in texts {
        let from: Vec<String> = match renamed.get(path.as_str()) {
            Some(from) => vec![from.clone()],
            None => {
                let blobs = copied.get_or_insert_with(|| blobs_of(ends.base));
                match blobs.get(&id) {
                    // Every path that holds the bytes: a person's duplicate
                    // of an agent's file under other rules must not hide it.
                    Some(from) => from.clone(),
                    // Or, at a path BASE lacks, edited a little (a line
                    // added, functions added after a move git no longer
                    // pairs): a file the range removes, or one of BASE of
                    // its name, that it holds most of. (A file BASE has at
                    // its path is its own history's.)
                    None if ends.base.get_path(Path::new(path)).is_ok() => Vec::new(),
                    None => {
                        let near = near.get_or_insert_with(|| NearSources::of(repo, ends, blobs));
                        let text = repo.find_blob(id).map_err(git(format!("read HEAD:{path}")))?;
                        let other_rules = |from: &str| !judge.policy.same_rules(from, path);
                        near.sources(repo, ends.base, (path, text.content()), other_rules)
                    }
                }
            }
        };
        for from in from {
            if from != *path && !judge.policy.same_rules(&from, path) {
                sources.push((path, id, from));
            }
        }
    }
    let base_rev = ends.base_commit.to_string();
    for (path, id, from) in sources {
        let blob = repo.find_blob(id).map_err(git(format!("read HEAD:{path}")))?;
        let (spans, sources) = ai_in_history(repo, judge, (&from, &base_rev), blob.content(), |_| true)?;
        if spans.is_empty() {
            continue;
        }
        let commits = range.commits_changing(path).map(|c| c.to_string()).collect();
        let said = format!("its text stood at {} at BASE", crate::display::line(&from));
        let brought = out.entry(path.clone()).or_insert(Brought { from: said, spans: Vec::new(), sources, commits });
        brought.spans = signoff::overlay(blob.content().len(), &brought.spans, &spans);
    }
    restored_ai(repo, judge, range, paths, &mut out)?;
    Ok(out)
}

/// Text the range's reverts of commits from before it restore: blamed
/// where the reverted commit's parent had it; the lines the range added
/// (the lineage holds them) that history calls AI there go into `out`.
fn restored_ai(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    paths: &[&String],
    out: &mut HashMap<String, Brought>,
) -> Result<(), VerifyError> {
    let lineage = &range.lineage;
    let mut blamed = 0;
    for &revert in &range.commits {
        let commit = repo.find_commit(revert).map_err(git(format!("read commit {revert}")))?;
        let Some(reverted) = notes::reverted(commit.message_bytes())
            .and_then(|r| repo.revparse_single(&r).ok())
            .and_then(|o| o.peel_to_commit().ok())
        else {
            continue;
        };
        // Within the range, the lineage follows what it brings back.
        if range.commits.contains(&reverted.id()) {
            continue;
        }
        let Ok(parent) = reverted.parent(0) else { continue };
        let parent_rev = parent.id().to_string();
        for path in range.changed.get(&revert).into_iter().flatten() {
            let Some(file) = lineage.files.get(path).filter(|f| f.kind == VersionKind::Text) else { continue };
            if !paths.contains(&path) || parent.tree().is_ok_and(|t| t.get_path(Path::new(path)).is_err()) {
                continue;
            }
            if blamed == MAX_BROUGHT_FILES {
                return Err(VerifyError::Unreadable {
                    path: path.clone(),
                    reason: format!(
                        "the range's reverts restore more than {MAX_BROUGHT_FILES} files, whose history verify \
                         reads; split it"
                    ),
                });
            }
            blamed += 1;
            let blob = repo.find_blob(file.id).map_err(git(format!("read HEAD:{path}")))?;
            let added = |line: usize| file.tags.get(line).is_some_and(|&t| !matches!(lineage.claim(t), Claim::Outside));
            let (spans, sources) = ai_in_history(repo, judge, (path, &parent_rev), blob.content(), added)?;
            if spans.is_empty() {
                continue;
            }
            let from = format!(
                "its lines restore text commit {} removed (the range reverts it)",
                &reverted.id().to_string()[..10]
            );
            let brought =
                out.entry(path.clone()).or_insert(Brought { from, spans: Vec::new(), sources, commits: Vec::new() });
            brought.spans = signoff::overlay(blob.content().len(), &brought.spans, &spans);
            if !brought.commits.contains(&revert.to_string()) {
                brought.commits.push(revert.to_string());
            }
        }
    }
    Ok(())
}

/// The lines of `text` that history calls AI where `at` (a path and a
/// revision) has them, among those `wanted` (0-based line numbers), as
/// byte spans with their attribution; and what evidence says so, each once.
pub(super) fn ai_in_history(
    repo: &Repository,
    judge: &Judge<'_>,
    (path, rev): (&str, &str),
    text: &[u8],
    wanted: impl Fn(usize) -> bool,
) -> Result<(Spans, Vec<String>), VerifyError> {
    let origins = history::blame_contents_following(repo, path, rev, text, judge.policy.bots())
        .map_err(|e| VerifyError::Unreadable { path: path.to_string(), reason: e.to_string() })?;
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

/// Say on each of `failures` what brought its unit's text (`detail`), and
/// name the range's `commits` that did.
pub(super) fn say(failures: &mut [Failure], detail: &str, commits: &[String]) {
    for failure in failures {
        failure.details.push(detail.to_string());
        for commit in commits {
            if !failure.commits.contains(commit) {
                failure.commits.push(commit.clone());
            }
        }
    }
}

/// How many files of BASE one new file of HEAD is compared with for a
/// copy edited a little (those the range removes, then those of its name),
/// at most.
const MAX_NEAR_CANDIDATES: usize = 64;

/// The fewest lines with a letter or a digit a file of BASE must share with
/// a file of HEAD, and the least share of its own such lines, for the one
/// to be taken for the other edited ([`NearSources`]).
const MIN_NEAR_LINES: usize = 4;

/// Where a file of HEAD may come from edited: BASE's files by their name,
/// and the paths of BASE the range removes.
struct NearSources {
    by_name: HashMap<String, Vec<String>>,
    removed: Vec<String>,
}

impl NearSources {
    fn of(repo: &Repository, ends: &Ends<'_>, blobs: &HashMap<Oid, Vec<String>>) -> NearSources {
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for path in blobs.values().flatten() {
            let name = path.rsplit('/').next().unwrap_or(path);
            by_name.entry(name.to_string()).or_default().push(path.clone());
        }
        let removed = tree_diff::changes(repo, Some(ends.base), ends.head)
            .map(|c| c.changes.into_iter().filter(|c| c.new.is_none()).map(|c| c.path).collect())
            .unwrap_or_default();
        NearSources { by_name, removed }
    }

    /// The files of BASE `text` (of HEAD's `path`) holds most of: at least
    /// [`MIN_NEAR_LINES`] of their lines with a letter or a digit, and half
    /// of them.
    fn sources(
        &self,
        repo: &Repository,
        base: &git2::Tree<'_>,
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
fn blobs_of(tree: &git2::Tree<'_>) -> HashMap<Oid, Vec<String>> {
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
