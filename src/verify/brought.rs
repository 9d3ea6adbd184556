//! Text the range brings from history before it: files BASE holds at
//! another path under other rules ([`crate::brought`], the rule every front
//! end shares), links to them ([`super::links`]), and text a revert
//! restores. A `git revert` of a commit from before the range brings back
//! what that commit removed, and the lines of it history calls AI (an
//! agent's function a person took out in the pull request that added it,
//! both landed) are AI again.
//!
//! Not followed: a function copied out of one file into another across two
//! ranges, a copy under another name that changes more, links to
//! directories, and text restored from older history by a checkout of an
//! old version of the file, a pick without `-x`, or a revert whose message
//! no longer names the commit.

use super::*;
use crate::provenance::Spans;

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
/// holds at another path under other rules, with the AI lines history
/// gives them there ([`crate::brought::from_other_paths`]); and what the
/// range's reverts restore.
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
    if !judge.policy.judges_paths_alike() {
        let mut blobs = Vec::new();
        for &path in paths {
            let Some(file) = range.lineage.files.get(path).filter(|f| f.kind == VersionKind::Text) else { continue };
            blobs.push((path, repo.find_blob(file.id).map_err(git(format!("read HEAD:{path}")))?));
        }
        let texts: Vec<(&str, Oid, &[u8])> = blobs.iter().map(|(p, b)| (p.as_str(), b.id(), b.content())).collect();
        let renamed = match texts.is_empty() {
            true => &HashMap::new(),
            false => ends.renames(repo),
        };
        let removed = || {
            tree_diff::changes(repo, Some(ends.base), ends.head)
                .map(|c| c.changes.into_iter().filter(|c| c.new.is_none()).map(|c| c.path).collect())
                .unwrap_or_default()
        };
        let landing =
            crate::brought::Landing { base_commit: ends.base_commit, base: ends.base, renamed, removed: &removed };
        let found = crate::brought::from_other_paths(repo, judge.policy, &landing, &texts).map_err(unreadable)?;
        for (path, found) in found {
            let commits = range.commits_changing(&path).map(|c| c.to_string()).collect();
            let from = format!("its text stood at {} at BASE", crate::display::line(&found.from));
            out.insert(path, Brought { from, spans: found.spans, sources: found.sources, commits });
        }
    }
    restored_ai(repo, judge, range, paths, &mut out)?;
    Ok(out)
}

/// The error verify reports for what [`crate::brought`] could not read.
pub(super) fn unreadable(e: crate::brought::Unreadable) -> VerifyError {
    VerifyError::Unreadable { path: e.path, reason: e.reason }
}

/// Text the range's reverts of commits from before it restore
/// ([`crate::brought::restored`]), into `out`.
fn restored_ai(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    paths: &[&String],
    out: &mut HashMap<String, Brought>,
) -> Result<(), VerifyError> {
    let wanted = |path: &str| paths.iter().any(|p| p.as_str() == path);
    let restored = crate::brought::restored(repo, judge.policy, range, wanted).map_err(unreadable)?;
    for (path, restored) in restored {
        let Some(len) = range.lineage.files.get(&path).and_then(|f| repo.find_blob(f.id).ok()).map(|b| b.size()) else {
            continue;
        };
        let from = format!(
            "its lines restore text commit {} removed (the range reverts it)",
            &restored.reverted.to_string()[..10]
        );
        let found = restored.found;
        let brought =
            out.entry(path).or_insert(Brought { from, spans: Vec::new(), sources: found.sources, commits: Vec::new() });
        brought.spans = signoff::overlay(len, &brought.spans, &found.spans);
        for revert in restored.reverts {
            if !brought.commits.contains(&revert.to_string()) {
                brought.commits.push(revert.to_string());
            }
        }
    }
    Ok(())
}

impl crate::brought::Reverting for Range {
    fn commits(&self) -> &[Oid] {
        &self.commits
    }

    fn changed_by(&self, i: usize) -> &[String] {
        self.commits.get(i).and_then(|c| self.changed.get(c)).map_or(&[], Vec::as_slice)
    }

    fn added_lines(&self, repo: &Repository, path: &str) -> Option<(Vec<u8>, Vec<bool>)> {
        let lineage = &self.lineage;
        let file = lineage.files.get(path).filter(|f| f.kind == VersionKind::Text)?;
        let text = repo.find_blob(file.id).ok()?.content().to_vec();
        let added = file.tags.iter().map(|&t| !matches!(lineage.claim(t), Claim::Outside)).collect();
        Some((text, added))
    }
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
