//! Changes to trust files: the files that decide who may approve, or that
//! run the check itself (the policy, the allowed signers, CODEOWNERS, the
//! policy's `trust_files`, by default the CI workflows). A change to one in
//! the range is a unit of its own, the whole file, to approve under the
//! policy at BASE, by its trust-file fingerprint
//! ([`crate::fingerprint::trust_fingerprint`]): bound to the path, and
//! telling deletion from emptying, so that no approval of another file or
//! of code can stand for it.

use super::*;

/// The paths among `touched` that are trust files under the policy at BASE
/// or at HEAD (HEAD's may name another allowed-signers file, or more
/// `trust_files`; if it does not parse, its own change is already a unit to
/// approve).
pub(super) fn trust_files(
    repo: &Repository,
    base_policy: &Policy,
    head_tree: &git2::Tree<'_>,
    head_rev: &str,
    touched: &BTreeSet<String>,
) -> BTreeSet<String> {
    let head_policy = head_tree
        .get_path(Path::new(POLICY_FILE))
        .ok()
        .and_then(|_| policy_file::read_text(repo, &Source::Commit(head_rev.to_string()), POLICY_FILE).ok().flatten())
        .and_then(|text| Policy::parse(&text, POLICY_FILE).ok());
    touched
        .iter()
        .filter(|path| base_policy.is_trust_file(path) || head_policy.as_ref().is_some_and(|p| p.is_trust_file(path)))
        .cloned()
        .collect()
}

/// A change in the range to trust file `path`: HEAD's version differs from
/// BASE's, and is not the one every merge base holds (which would make the
/// difference BASE's own, made since; with two merge bases, a version one
/// of them holds may roll back what the other brought). A merge counts whichever parent it
/// took the version from: one whose first parent is an older commit, or a
/// new root, and whose second is BASE changes nothing against its first
/// parent, yet rolls the file back against BASE.
pub(super) fn check_trust_file(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    ends: &Ends<'_>,
    path: &str,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let at = |tree: &git2::Tree<'_>| tree.get_path(Path::new(path)).ok().map(|e| (e.id(), e.filemode()));
    let (before, after) = (at(ends.base), at(ends.head));
    if before == after || (!ends.forks.is_empty() && ends.forks.iter().all(|fork| at(fork) == after)) {
        return Ok(());
    }
    let commits = changing_commits(repo, range, path)?;
    let bytes = match after {
        Some((id, _)) => Some(
            repo.find_blob(id)
                .map_err(|e| VerifyError::Unreadable {
                    path: path.to_string(),
                    reason: format!("HEAD has it, but not as a file a trust file can be: {}", e.message()),
                })?
                .content()
                .to_vec(),
        ),
        None => None,
    };
    let verified = |s: &Stored<Approval>| judge.verified(s);
    let authors = people_of(range, &commits);
    let since = crate::signoff::last_change(repo, ends.base_commit, path)
        .map_err(git(&format!("read when BASE's history last changed {path}")))?;
    let (fp, judgement) =
        judge.records.ledger.judge_trust_file(repo, judge.policy, path, bytes.as_deref(), &authors, &verified, since);
    let lines = bytes.as_deref().map_or(0, |b| b.split(|&c| c == b'\n').filter(|l| !l.is_empty()).count());
    let lines = u32::try_from(lines).unwrap_or(u32::MAX).max(1);
    if let Some(approved) = judge.approved_file(path, crate::syntax::units::LINES, &fp, &judgement) {
        report.approved.push(approved);
        return Ok(());
    }
    let assessment = &judgement.assessment;
    let (rule, reason) = failure_reason(&judgement.requirement, &assessment.status, &assessment.ignored, "the change");
    let change = match (before, after) {
        (None, _) => "added",
        (_, None) => "deleted",
        (Some((a, _)), Some((b, _))) if a == b => "changed (its mode)",
        _ => "changed",
    };
    let reason = format!(
        "{path} is {change} in the range and is a trust file (it decides who may approve, or runs the check), so \
         {reason}; approve fingerprint {fp}"
    );
    let mut details = judge.explain(&fp, &assessment.ignored, None);
    if rule == Rule::Rejected {
        details.insert(0, "a reviewer rejected this change".into());
    }
    report.failures.push(Failure {
        rule: Rule::PolicyChange,
        path: Some(path.to_string()),
        line: Some(1),
        end_line: Some(lines),
        kind: Some(crate::syntax::units::LINES.to_string()),
        name: None,
        fingerprint: Some(fp.clone()),
        reason,
        details,
        commits: commits.iter().map(Oid::to_string).collect(),
        participants: judgement.participants.everyone(),
        signoff: Some(judge.signoff(&judgement, &fp, &[], SignedOff::TrustFile)),
    });
    Ok(())
}

/// The commits of the range that changed `path`: against their first
/// parent; else (a merge that took it from another parent) against any
/// parent, a root against nothing; else (HEAD lacks a file no commit of the
/// range ever held) all of them.
fn changing_commits(repo: &Repository, range: &Range, path: &str) -> Result<Vec<Oid>, VerifyError> {
    let first_parent: Vec<Oid> = range.commits_changing(path).collect();
    if !first_parent.is_empty() {
        return Ok(first_parent);
    }
    let entry = |commit: &Commit<'_>| -> Result<Option<(Oid, i32)>, VerifyError> {
        let tree = commit.tree().map_err(git(format!("read the tree of {}", commit.id())))?;
        Ok(tree.get_path(Path::new(path)).ok().map(|e| (e.id(), e.filemode())))
    };
    let mut any_parent = Vec::new();
    for &oid in &range.commits {
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        let own = entry(&commit)?;
        let mut parents = commit.parents().peekable();
        let changed = if parents.peek().is_none() {
            own.is_some()
        } else {
            let mut differs = false;
            for parent in parents {
                differs |= entry(&parent)? != own;
            }
            differs
        };
        if changed {
            any_parent.push(oid);
        }
    }
    Ok(if any_parent.is_empty() { range.commits.clone() } else { any_parent })
}
