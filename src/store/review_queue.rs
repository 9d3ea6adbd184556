//! The reviewer's queue as read from a repository: its requests, each
//! approval's signature checked against the worktree's allowed signers
//! where the policy asks for signatures, then [`crate::queue::pending`].
//! `vouch review` and the language server's `vouch/pending` both read it
//! here, so the editor and the terminal list the same units.

use anyhow::Context as _;
use git2::Repository;

use crate::policy::Policy;
use crate::queue::{self, Queue};
use crate::signoff::Ledger;
use crate::store::policy_file::Source;
use crate::store::records::{self, Request};
use crate::store::signature;

/// The units of `repo`'s requests that still await sign-off under `policy`,
/// riskiest first. An allowed-signers file that cannot be read is a problem
/// in the queue (no signed approval counts then), not an error.
pub fn load(repo: &Repository, policy: &Policy, ledger: &Ledger) -> anyhow::Result<Queue> {
    let requests = records::list::<Request>(repo).context("cannot read the sign-off requests")?.records;
    let mut problems = Vec::new();
    let verifier = if policy.require_signatures() {
        match signature::approval_verifier_at(repo, policy, &Source::Worktree) {
            Ok(verifier) => Some(verifier),
            Err(e) => {
                problems.push(format!("{e}; no signed approval counts until it is fixed"));
                None
            }
        }
    } else {
        None
    };
    let mut queue = queue::pending(ledger, policy, &requests, &|a| verifier.as_ref().and_then(|v| v(a)));
    queue.problems.extend(problems);
    Ok(queue)
}
