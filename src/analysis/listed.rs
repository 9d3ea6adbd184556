//! The approvals a commit's vouch note lists, judged now as `vouch verify`
//! judges approvals (`vouch log` shows them): a note is written by the
//! commit's author and may list any record, so a listing proves nothing
//! until the one judge ([`crate::signoff::Ledger::judge`]) counts it.
//!
//! Each listed approval is judged for the unit it binds in the file
//! version the note describes (the note's path and blob, its AI lines and
//! the places its origin removed lines): the unit's path, risk and AI
//! amount give the requirement; whoever accepted the AI text, requested
//! the sign-off, or authored or committed the commit took part; where the
//! policy requires signatures, the signature must verify against the
//! allowed signers (the policy's, read where the policy was). Why one does
//! not count is said as verify says it: a fingerprint version that no
//! longer counts, another repository, no signature or one that does not
//! verify (with the signature's own problem), a key of someone else, a
//! participant, no reviewer for the path, a forged request answered, a
//! later rejection. Verify judges HEAD's units: an approval that counts
//! here for the text of this commit still counts there only if the unit
//! kept that text.

use std::collections::HashMap;

use git2::{Oid, Repository};

use crate::policy::{Policy, Refusal, Status, Verdict};
use crate::provenance::AiDeletion;
use crate::signoff::{Ledger, UnitFacts};
use crate::store::notes::{self, FileRecord};
use crate::store::policy_file::Source;
use crate::store::records::{Approval, Stored};
use crate::store::signature::{self, AllowedSigners};
use crate::syntax::Content;

/// Judges listed approvals under one policy, with one ledger and one set of
/// allowed signers.
pub struct Listed<'a> {
    repo: &'a Repository,
    policy: &'a Policy,
    ledger: Ledger,
    /// The allowed signers where the policy requires signatures; `None`
    /// otherwise, or when the file cannot be read (then no signature
    /// verifies, and `problem` says why).
    signers: Option<AllowedSigners>,
    problem: Option<String>,
    /// The AI units of each (path, blob) a note describes.
    units: HashMap<(String, String), Vec<UnitFacts>>,
}

impl<'a> Listed<'a> {
    /// The approval record `id`, if it is here.
    pub fn approval(&self, id: &str) -> Option<Stored<Approval>> {
        self.ledger.approvals.record(id).cloned()
    }

    /// For `policy`, read at `source` (its allowed signers are read there).
    pub fn open(repo: &'a Repository, policy: &'a Policy, source: &Source) -> anyhow::Result<Listed<'a>> {
        let ledger = Ledger::load(repo)?;
        let (signers, problem) = if policy.require_signatures() {
            match signature::load_allowed_signers(repo, policy, source) {
                Ok(signers) => (Some(signers), None),
                Err(e) => (None, Some(format!("{e}; no signature can be verified"))),
            }
        } else {
            (None, None)
        };
        Ok(Listed { repo, policy, ledger, signers, problem, units: HashMap::new() })
    }

    /// Why `approval` (listed by the note of `commit` on `record`) does not
    /// count now, in a few words; `None` when it counts.
    pub fn not_counted(
        &mut self,
        commit: &git2::Commit<'_>,
        record: &FileRecord,
        approval: &Stored<Approval>,
    ) -> Option<String> {
        let standing = approval.record.standing();
        if !standing.counts() {
            return Some(standing.short());
        }
        let here = self.ledger.repository_id.as_deref().unwrap_or_default();
        if approval.record.repository != here {
            let theirs = &approval.record.repository;
            return Some(format!("made in another repository (root {})", theirs.get(..10).unwrap_or(theirs)));
        }
        let authors = crate::store::history::commit_people(commit);
        let key = (record.path.clone(), record.blob.clone());
        if !self.units.contains_key(&key) {
            let units = units_of(self.repo, record);
            self.units.insert(key.clone(), units);
        }
        let Some(facts) = self.units[&key].iter().find(|f| f.unit.fingerprint == approval.record.fingerprint) else {
            let fp = &approval.record.fingerprint;
            return Some(format!(
                "it is for no AI unit of {} in this commit (fingerprint {}); approvals are bound to the exact text",
                record.path,
                fp.get(..12).unwrap_or(fp)
            ));
        };
        let mut facts = facts.clone();
        if let Some(who) = &record.accepted_by
            && !facts.acceptors.iter().any(|a| a.eq_ignore_ascii_case(who))
        {
            facts.acceptors.push(who.clone());
        }
        let signers = self.signers.as_ref();
        let verified = |stored: &Stored<Approval>| signers.and_then(|s| s.approval_signer(&stored.record).ok());
        let judgement = self.ledger.judge(self.policy, (&record.path, None), &facts, &authors, &verified);
        if let Some(ignored) = judgement.assessment.ignored.iter().find(|i| i.id == approval.id) {
            return Some(match &ignored.refusal {
                // The signature's own problem, as verify names it.
                Refusal::Unsigned { .. } => match (signers, &self.problem) {
                    (Some(s), _) => match s.check_approval(&approval.record) {
                        Err(problem) => format!("it {problem}, and the policy requires a valid signature"),
                        Ok(()) => ignored.refusal.to_string(),
                    },
                    (None, Some(problem)) => problem.clone(),
                    (None, None) => ignored.refusal.to_string(),
                },
                other => other.to_string(),
            });
        }
        match &judgement.assessment.status {
            Status::Rejected { by, .. } if approval.record.decision == Verdict::Approve => {
                Some(format!("{by} rejected this text, which overrides approvals"))
            }
            _ => None,
        }
    }
}

/// The AI units of the file version `record` describes (its AI lines and
/// the places its origin removed lines); none when the blob cannot be read.
fn units_of(repo: &Repository, record: &FileRecord) -> Vec<UnitFacts> {
    let Some(blob) = Oid::from_str(&record.blob).ok().and_then(|id| repo.find_blob(id).ok()) else {
        return Vec::new();
    };
    let bytes = blob.content();
    let attribution = record.attribution();
    let spans: Vec<_> =
        notes::lines_to_bytes(bytes, &record.ai).into_iter().map(|r| (r, attribution.clone())).collect();
    let lines = notes::line_spans(bytes);
    let deletions: Vec<AiDeletion> = record
        .deleted_before
        .iter()
        .map(|&before| AiDeletion {
            at: lines.get(before.saturating_sub(1) as usize).map_or(bytes.len(), |l| l.start),
            lines: 0,
            first: String::new(),
            attribution: attribution.clone(),
            replaced: 0,
        })
        .collect();
    let content = match std::str::from_utf8(bytes) {
        Ok(text) => Content::Text(text.to_string()),
        Err(_) => Content::Bytes(bytes.to_vec()),
    };
    super::attribution::units_changed(&record.path, &content, &spans, &deletions)
        .map(|units| units.into_iter().map(|(facts, _, _)| facts).collect())
        .unwrap_or_default()
}
