//! Who made each commit of the range, as far as signatures show it.
//!
//! A commit's author and committer fields are whatever its author wrote,
//! so they can exclude someone from approving (that fails closed) but never
//! show that a reviewer did *not* take part. A commit's SSH signature
//! (git's `gpg.format=ssh`, namespace `git`) checked against the
//! allowed-signers file at BASE, as `git verify-commit` checks it, does:
//! every identity the file lists the signing key for becomes a participant
//! of the units the commit touched. With `require_signed_commits`, a commit
//! of the range that is unsigned or whose signature does not verify is a
//! failure naming it.

use super::*;

/// Add the signers of the range's commits to its people; report commits
/// without a good signature where the policy requires one.
pub(super) fn check_commit_signatures(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &mut Range,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let required = judge.policy.require_signed_commits();
    for &oid in &range.commits {
        match judge.signers.commit_signer(repo, oid) {
            Ok(signer) => {
                let people = range.people.entry(oid).or_default();
                for principal in signer.principals {
                    if !people.iter().any(|p| p.eq_ignore_ascii_case(&principal)) {
                        people.push(principal);
                    }
                }
            }
            Err(problem) if required => {
                let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
                let subject = commit.summary().unwrap_or("").to_string();
                let mut failure = Failure::new(
                    Rule::UnsignedCommit,
                    format!(
                        "commit {} ({subject}) {problem}; the policy at BASE requires signed commits \
                         (require_signed_commits), checked against {}, so who made it is not known",
                        short(&oid.to_string()),
                        judge.signers.file
                    ),
                );
                failure.commits.push(oid.to_string());
                report.failures.push(failure);
            }
            Err(_) => {}
        }
    }
    Ok(())
}
