//! Paths that are not UTF-8: vouch cannot follow such a file (the lineage,
//! notes and records name files by UTF-8 paths), so a range that adds,
//! changes, removes or renames one fails, each name by its bytes, with a
//! failure no approval clears. Such names are rare in source repositories;
//! passing what vouch did not read is not an option.

use super::*;

/// One `unreadable-path` failure per name that is not UTF-8 that a commit
/// of the range changes (against its parent; a merge, against every
/// parent: its own change) or that BASE and HEAD hold differently
/// (`since_base`).
pub(super) fn check_unreadable_paths(
    repo: &Repository,
    range: &Range,
    since_base: &[tree_diff::NotUtf8],
    report: &mut Report,
) -> Result<(), VerifyError> {
    let mut found: BTreeMap<Vec<u8>, Vec<Oid>> = since_base.iter().map(|c| (c.path.clone(), Vec::new())).collect();
    for &oid in &range.commits {
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        let tree = commit.tree().map_err(git(format!("read the tree of {oid}")))?;
        let names = |parent: Option<&git2::Tree<'_>>| -> Result<BTreeSet<Vec<u8>>, VerifyError> {
            let changes = tree_diff::changes(repo, parent, &tree).map_err(git(format!("diff {oid}")))?;
            Ok(changes.not_utf8.into_iter().map(|c| c.path).collect())
        };
        let mut own: Option<BTreeSet<Vec<u8>>> = None;
        for parent in commit.parents() {
            let ptree = parent.tree().map_err(git(format!("read the tree of {}", parent.id())))?;
            let names = names(Some(&ptree))?;
            own = Some(match own {
                Some(own) => own.intersection(&names).cloned().collect(),
                None => names,
            });
        }
        let own = match own {
            Some(own) => own,
            None => names(None)?,
        };
        for path in own {
            found.entry(path).or_default().push(oid);
        }
    }
    for (path, commits) in found {
        let shown = crate::display::lossless_text(&path).into_owned();
        let mut failure = Failure::new(
            Rule::UnreadablePath,
            "the range adds, changes or removes a file whose name is not UTF-8: vouch cannot follow such a file, so \
             no approval clears this; rename it to a UTF-8 name so that no commit of the range touches the old one \
             (squash them), or, for a file BASE has, have the renaming commit overridden"
                .to_string(),
        );
        failure.participants = people_of(range, &commits);
        failure.commits = commits.iter().map(Oid::to_string).collect();
        failure.path = Some(shown);
        report.failures.push(failure);
    }
    Ok(())
}
