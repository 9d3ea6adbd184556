//! The reviewer's queue as read from a repository: its requests and their
//! lives (withdrawals that count, code gone), each approval's and
//! withdrawal's signature checked against the allowed signers where the
//! policy asks for signatures, then [`crate::queue::pending_with`].
//! `vouch review`, `vouch stats`, `vouch report` and the language server's
//! `vouch/pending` all read it here, so the editor and the terminal list the
//! same units; each passes the policy and the allowed signers as of BASE
//! ([`crate::analysis::scope::AtBase`]), as `vouch verify BASE..HEAD`
//! judges.

use anyhow::Context as _;
use git2::Repository;

use crate::policy::Policy;
use crate::queue::{self, Held, Lifecycle, Queue};
use crate::signoff::Ledger;
use crate::store::policy_file::Source;
use crate::store::presence::Presences;
use crate::store::records::{self, Request, RequestedUnit, Stored, Withdrawal};
use crate::store::signature::{self, AllowedSigners};

/// The units of `requests` (`repo`'s, as read) that still await sign-off
/// under `policy`, riskiest first, with every request's state; signatures
/// are checked against the allowed signers of `source`, where `policy` was
/// read. An allowed-signers file that cannot be read is a problem in the
/// queue (no signed approval or withdrawal counts then), not an error.
/// The units the front end holds (`held`: the working tree's unit with a
/// requested fingerprint, judged) are offered as its judge judges them
/// (see [`crate::queue::Lifecycle::held`]), the others on their request's
/// account.
pub fn load(
    repo: &Repository,
    policy: &Policy,
    source: &Source,
    ledger: &Ledger,
    requests: &[Stored<Request>],
    held: &dyn Fn(&RequestedUnit) -> Option<Held>,
) -> anyhow::Result<Queue> {
    let withdrawals = records::list::<Withdrawal>(repo).context("cannot read the withdrawals")?.records;
    let (signers, problem) = signers(repo, policy, source);
    let verified = |a: &Stored<records::Approval>| signers.as_ref().and_then(|s| s.approval_signer(&a.record).ok());
    let signed = |w: &Stored<Withdrawal>| withdrawal_counts(policy, signers.as_ref(), w);
    let presences = Presences::new(repo, requests.iter().flat_map(|r| r.record.units.iter().map(|u| u.path.as_str())));
    let presence = |unit: &RequestedUnit| presences.of(unit);
    let life = Lifecycle { withdrawals: &withdrawals, signed_as_required: &signed, presence: &presence, held };
    let mut queue = queue::pending_with(ledger, policy, requests, &verified, &life);
    queue.problems.extend(problem);
    Ok(queue)
}

/// The allowed signers of `source` (where `policy` was read) where `policy`
/// requires signatures; a file that cannot be read is `None` and the
/// problem to report.
pub fn signers(repo: &Repository, policy: &Policy, source: &Source) -> (Option<AllowedSigners>, Option<String>) {
    if !policy.require_signatures() {
        return (None, None);
    }
    match signature::load_allowed_signers(repo, policy, source) {
        Ok(signers) => (Some(signers), None),
        Err(e) => (None, Some(format!("{e}; no signed approval or withdrawal counts until it is fixed"))),
    }
}

/// Whether withdrawal `w` is signed as `policy` asks: always, when it
/// requires no signatures; else checked against `signers` (none: the file
/// could not be read, and no signature verifies).
pub fn withdrawal_counts(policy: &Policy, signers: Option<&AllowedSigners>, w: &Stored<Withdrawal>) -> bool {
    !policy.require_signatures() || signers.is_some_and(|s| s.check_withdrawal(&w.record).is_ok())
}
