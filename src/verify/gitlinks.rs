//! Submodules that point into this very repository. A gitlink names a
//! commit; one this repository holds, where BASE does not reach, brings the
//! commits between (a side branch the author pushed and never merged,
//! checked out by `git submodule update` from a `.gitmodules` URL that is
//! the repository itself). Those commits are outside the range, so their
//! AI evidence was not read: with AI evidence among them, the submodule's
//! unit is AI, judged as a submodule an AI changed is, and the failure
//! names the commits.

use super::*;
use crate::provenance::AiSource;

/// How many commits a gitlink may bring that are looked at.
const MAX_BROUGHT: usize = 1_000;

/// Judge the submodules of HEAD the range touched whose commit this
/// repository holds, BASE does not reach, and brings AI evidence.
pub(super) fn check_gitlinks(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    base: Oid,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let lineage = &range.lineage;
    for (path, file) in &lineage.files {
        if file.kind != VersionKind::Submodule || file.tags.iter().any(|&t| lineage.is_ai(t)) {
            continue;
        }
        let brought = ai_commits_brought(repo, judge, file.id, base)?;
        let Some((first, labels)) = brought.first() else { continue };
        let before = report.failures.len();
        let source = AiSource { tool: labels.join(", "), model: None, session: None, kind: None };
        check_whole(repo, judge, range, path, file, Some(source), report)?;
        for failure in &mut report.failures[before..] {
            failure.details.push(format!(
                "the submodule points at commit {} of this repository, which BASE does not hold: it brings {} \
                 commit(s) with AI evidence that the range does not, the first {} ({})",
                short(&file.id.to_string()),
                brought.len(),
                short(&first.to_string()),
                crate::display::line(&labels.join(", "))
            ));
            failure.commits.push(first.to_string());
        }
    }
    Ok(())
}

/// The commits with AI evidence (and its labels) that the gitlink to `id`
/// brings: those of `id`'s history BASE does not reach, when this
/// repository holds `id`; oldest first.
fn ai_commits_brought(
    repo: &Repository,
    judge: &Judge<'_>,
    id: Oid,
    base: Oid,
) -> Result<Vec<(Oid, Vec<String>)>, VerifyError> {
    if repo.find_commit(id).is_err() || id == base || repo.graph_descendant_of(base, id).unwrap_or(false) {
        return Ok(Vec::new());
    }
    let mut walk = repo.revwalk().map_err(git("walk a submodule's commits"))?;
    walk.push(id).map_err(git("walk a submodule's commits"))?;
    walk.hide(base).map_err(git("walk a submodule's commits"))?;
    let mut found = Vec::new();
    for oid in walk.take(MAX_BROUGHT) {
        let commit = repo.find_commit(oid.map_err(git("walk a submodule's commits"))?).map_err(git("read a commit"))?;
        let evidence = lineage::CommitEvidence::read(repo, &commit, judge.policy.bots())
            .map_err(|e| VerifyError::Unreadable { path: commit.id().to_string(), reason: e.to_string() })?;
        let labels = evidence.labels();
        if !labels.is_empty() {
            found.push((commit.id(), labels));
        }
    }
    found.reverse();
    Ok(found)
}
