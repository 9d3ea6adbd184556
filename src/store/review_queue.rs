//! The reviewer's queue as read from a repository: its requests and their
//! lives (withdrawals that count, code gone), each approval's and
//! withdrawal's signature checked against the allowed signers where the
//! policy asks for signatures, then [`crate::queue::pending_with`].
//! `vouch review`, `vouch stats`, `vouch report` and the language server's
//! `vouch/pending` all read it here, so the editor and the terminal list the
//! same units; each passes the policy and the allowed signers as of BASE
//! ([`crate::analysis::scope::AtBase`]), as `vouch verify BASE..HEAD`
//! judges.

use std::cell::RefCell;
use std::collections::HashMap;

use anyhow::Context as _;
use git2::Repository;
use serde::{Deserialize, Serialize};

use crate::policy::Policy;
use crate::queue::{self, Held, Lifecycle, Queue};
use crate::signoff::Ledger;
use crate::store::policy_file::Source;
use crate::store::presence::Presences;
use crate::store::records::{self, Request, RequestedUnit, Stored, Withdrawal};
use crate::store::signature::{self, AllowedSigners};
use crate::syntax::Language;

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
    requests: &[&Stored<Request>],
    held: &dyn Fn(&RequestedUnit) -> Option<Held>,
) -> anyhow::Result<Queue> {
    let withdrawals = records::list::<Withdrawal>(repo).context("cannot read the withdrawals")?.records;
    let (signers, problem) = signers(repo, policy, source);
    let verified = |a: &Stored<records::Approval>| signers.as_ref().and_then(|s| s.approval_signer(&a.record).ok());
    let signed = |w: &Stored<Withdrawal>| withdrawal_counts(policy, signers.as_ref(), w);
    let presences = Presences::new(repo, requests.iter().flat_map(|r| r.record.units.iter().map(|u| u.path.as_str())));
    let presence = |unit: &RequestedUnit| presences.of(unit);
    let kept = RiskTags::open(repo);
    let risk_tags = |unit: &RequestedUnit, language| kept.of(unit, language);
    let life = Lifecycle {
        withdrawals: &withdrawals,
        signed_as_required: &signed,
        presence: &presence,
        held,
        risk_tags: &risk_tags,
    };
    let mut queue = queue::pending_with(ledger, policy, requests, &verified, &life);
    kept.save();
    queue.problems.extend(problem);
    Ok(queue)
}

/// The risk tags of requested units, kept between reads of the queue in
/// `<common git dir>/vouch/cache/risk-tags.json`: every read judges every
/// request, and parsing each unit's text for its tags was about a sixth of
/// a read. A unit's tags are a pure function of its language and text
/// (the fingerprint binds both, and the queue asks only about units whose
/// fingerprint matches their text) and of vouch's queries (the stamp).
/// Derived data: a file that cannot be read is worked out again, and one
/// that cannot be written costs only time. It keeps the units of the last
/// read, so it never outgrows the requests.
struct RiskTags {
    path: std::path::PathBuf,
    kept: HashMap<String, Vec<String>>,
    /// The tags asked about by this read.
    asked: RefCell<HashMap<String, Vec<String>>>,
}

#[derive(Serialize, Deserialize)]
struct RiskTagsFile {
    stamp: String,
    tags: HashMap<String, Vec<String>>,
}

impl RiskTags {
    fn open(repo: &Repository) -> RiskTags {
        let path = repo.commondir().join("vouch").join("cache").join("risk-tags.json");
        let kept = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<RiskTagsFile>(&bytes).ok())
            .filter(|file| file.stamp == risk_tags_stamp())
            .map(|file| file.tags)
            .unwrap_or_default();
        RiskTags { path, kept, asked: RefCell::default() }
    }

    fn of(&self, unit: &RequestedUnit, language: Language) -> Vec<String> {
        if let Some(tags) = self.asked.borrow().get(&unit.fingerprint) {
            return tags.clone();
        }
        let tags = match self.kept.get(&unit.fingerprint) {
            Some(tags) => tags.clone(),
            None => queue::unit_risk_tags(language, &unit.text),
        };
        self.asked.borrow_mut().insert(unit.fingerprint.clone(), tags.clone());
        tags
    }

    /// Keep the tags of this read's units, when they are not what is kept.
    fn save(self) {
        let asked = self.asked.into_inner();
        if asked == self.kept {
            return;
        }
        let file = RiskTagsFile { stamp: risk_tags_stamp(), tags: asked };
        if let Ok(bytes) = serde_json::to_vec(&file) {
            let _ = crate::store::write_atomic(&self.path, &bytes);
        }
    }
}

/// What the kept tags must say to be used: vouch's version and its queries.
fn risk_tags_stamp() -> String {
    format!("vouch-risk-tags/1 {} queries {}", env!("CARGO_PKG_VERSION"), crate::syntax::queries::digest())
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
