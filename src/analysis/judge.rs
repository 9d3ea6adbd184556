//! Where each unit the next commit leaves stands: whether it needs sign-off
//! and who may give it, asked of the one judge
//! ([`crate::signoff::Ledger::judge`], [`crate::signoff::Ledger::judge_trust_file`])
//! with what only the analysis knows: the policy and allowed signers as of
//! BASE, and who took part (whoever accepted the AI text, requested the
//! sign-off, or authored, committed or will author and commit a commit that
//! touched the unit). The gate, `vouch status`, `vouch request`, `vouch
//! approve`, `vouch blame`, `vouch log` and the language server show what
//! this says.

use std::collections::HashMap;

use crate::policy::{Policy, ReviewerSet, Status};
use crate::signoff::{self, Judgement, Ledger, UnitFacts, Verified};
use crate::store::policy_file::Source;
use crate::store::records::{self, Approval, Stored};
use crate::store::signature;
use crate::syntax::Unit;

use super::scope::ScopedUnit;

/// Whether an approval's signature verifies (see [`crate::store::signature`]).
pub type Verifier = signature::ApprovalVerifier;

/// The signature check for approvals under `policy`, with the allowed
/// signers of `source`. When the policy requires no signatures nothing is
/// read. Strict (the gate), an allowed-signers file that cannot be read is
/// an error; otherwise a warning, and no signature verifies.
pub fn verifier(repo: &git2::Repository, policy: &Policy, source: &Source, strict: bool) -> anyhow::Result<Verifier> {
    if !policy.require_signatures() {
        return Ok(Box::new(|_| None));
    }
    match signature::approval_verifier_at(repo, policy, source) {
        Ok(verified) => Ok(verified),
        Err(e) if strict => Err(anyhow::Error::new(e).context("cannot check approvals' signatures")),
        Err(e) => {
            eprintln!("vouch: warning: {e}; no approval's signature can be verified");
            Ok(Box::new(|_| None))
        }
    }
}

/// How units are judged: the policy and records, and whether signatures
/// verify.
pub struct Judge<'a> {
    pub policy: &'a Policy,
    pub ledger: &'a Ledger,
    pub verified: Verified<'a>,
    /// The files renamed since BASE, new path to the path BASE had (where
    /// an approval given counts for the file's units too).
    pub renamed: &'a HashMap<String, String>,
}

impl Judge<'_> {
    /// Judge `unit`, a unit verify will judge.
    pub fn unit(&self, unit: &ScopedUnit) -> JudgedUnit {
        let facts = &unit.facts;
        let was = self.renamed.get(&unit.path).map(String::as_str);
        let judgement = self.ledger.judge(self.policy, (&unit.path, was), facts, &unit.people, self.verified);
        let lacks = judgement.assessment.status.is_blocking();
        let blocking = lacks && unit.next && (!facts.suspected || self.policy.detection().heuristic_blocks);
        let retired = self
            .ledger
            .approvals
            .retired_for_unit(&self.ledger.requests, &unit.path, &facts.unit.kind, facts.unit.name.as_deref())
            .into_iter()
            .map(records::describe_not_counted)
            .collect();
        JudgedUnit {
            path: unit.path.clone(),
            line: unit.line,
            end_line: unit.end_line,
            facts: facts.clone(),
            judgement,
            blocking,
            retired,
            commits: unit.commits.clone(),
            next: unit.next,
            trust_file: false,
            deleted_file: false,
            landed: false,
            evidence: Vec::new(),
        }
    }

    /// Judge the deletion of `deleted`, a file BASE has that an AI deleted
    /// whole ([`crate::signoff::Ledger::judge_deleted_file`]): a unit of
    /// kind [`signoff::DELETED_FILE`] with no text, its removed lines
    /// counted as such.
    pub fn deleted_file(&self, deleted: &super::scope::DeletedByAi) -> JudgedUnit {
        let path = &deleted.path;
        let fingerprint = deleted.fingerprint.clone();
        let judgement = self.ledger.judge_deleted_file(
            self.policy,
            path,
            &fingerprint,
            deleted.lines,
            &deleted.risk,
            &deleted.people,
            self.verified,
        );
        let source = match &deleted.attribution.origin {
            crate::provenance::Origin::Ai(source) => Some(source.clone()),
            _ => None,
        };
        let facts = UnitFacts {
            unit: Unit {
                kind: signoff::DELETED_FILE.to_string(),
                name: None,
                range: 0..0,
                fingerprint,
                ai_bytes: 0,
                ai_lines: 0,
                ai_ranges: Default::default(),
                lines: 0,
                ai_share: 0.0,
                risk: Vec::new(),
            },
            ai_range: 0..0,
            sources: source.into_iter().collect(),
            acceptors: Vec::new(),
            suspected: false,
            deletions: vec![crate::provenance::AiDeletion {
                at: 0,
                lines: deleted.lines,
                first: String::new(),
                attribution: deleted.attribution.clone(),
                replaced: 0,
            }],
        };
        let blocking = judgement.assessment.status.is_blocking() && deleted.next;
        JudgedUnit {
            path: path.clone(),
            line: 1,
            end_line: 1,
            facts,
            judgement,
            blocking,
            retired: self.ledger.path_only_deletion_decisions(path),
            commits: deleted.commits.clone(),
            next: deleted.next,
            trust_file: false,
            deleted_file: true,
            landed: false,
            evidence: Vec::new(),
        }
    }

    /// Judge `unit`, an AI unit whose AI text all landed before BASE:
    /// verify does not ask for it, and nothing refuses it; an approval that
    /// counts for it is still shown as such.
    pub fn landed(&self, unit: &ScopedUnit) -> JudgedUnit {
        JudgedUnit { blocking: false, landed: true, next: false, ..self.unit(unit) }
    }

    /// Judge the state of trust file `path` the next commit leaves
    /// (`content`, `None` when it deletes it), changed by `commits` of the
    /// range and (`next`) by the next commit, whose people may not approve.
    #[allow(clippy::too_many_arguments)]
    pub fn trust_file(
        &self,
        repo: &git2::Repository,
        path: &str,
        content: Option<&[u8]>,
        people: &[String],
        commits: Vec<String>,
        next: bool,
        since: Option<crate::signoff::LastChange>,
    ) -> JudgedUnit {
        let (fingerprint, judgement) =
            self.ledger.judge_trust_file(repo, self.policy, path, content, people, self.verified, since);
        let bytes = content.unwrap_or_default();
        let lines = crate::store::notes::line_spans(bytes).len().max(1);
        let facts = UnitFacts {
            unit: Unit {
                kind: crate::syntax::units::LINES.to_string(),
                name: None,
                range: 0..bytes.len(),
                fingerprint,
                ai_bytes: bytes.len(),
                ai_lines: lines,
                ai_ranges: (!bytes.is_empty()).then_some(0..bytes.len()).into_iter().collect(),
                lines,
                ai_share: 1.0,
                risk: Vec::new(),
            },
            ai_range: 0..bytes.len(),
            sources: Vec::new(),
            acceptors: Vec::new(),
            suspected: false,
            deletions: Vec::new(),
        };
        let blocking = judgement.assessment.status.is_blocking() && next;
        JudgedUnit {
            path: path.to_string(),
            line: 1,
            end_line: lines,
            facts,
            judgement,
            blocking,
            retired: Vec::new(),
            commits,
            next,
            trust_file: true,
            deleted_file: false,
            landed: false,
            evidence: Vec::new(),
        }
    }
}

/// One unit (an AI-written unit, or a change to a trust file) and where it
/// stands.
#[derive(Debug, Clone)]
pub struct JudgedUnit {
    pub path: String,
    /// 1-based lines of the unit.
    pub line: usize,
    pub end_line: usize,
    pub facts: UnitFacts,
    pub judgement: Judgement,
    /// The gate refuses it: the next commit touches it, it lacks sign-off,
    /// and its AI text is not merely suspected (unless the policy's
    /// `heuristic_blocks` says so).
    pub blocking: bool,
    /// Decisions made for this unit under a fingerprint version that no
    /// longer counts, described (see [`crate::store::records::FingerprintStanding`]);
    /// for a deleted file, those made under the path's absence alone
    /// ([`crate::signoff::Ledger::path_only_deletion_decisions`]).
    pub retired: Vec<String>,
    /// The commits of the range that touched it (hex), oldest first.
    pub commits: Vec<String>,
    /// The next commit touches it.
    pub next: bool,
    /// A change to a trust file (the policy, the allowed signers,
    /// CODEOWNERS, the policy's `trust_files`): the whole file is the unit.
    pub trust_file: bool,
    /// A file BASE has that an AI deleted whole: its deletion is the unit
    /// (kind [`signoff::DELETED_FILE`], fingerprint of the path and the text
    /// deleted), signed off with `vouch approve --file PATH`.
    pub deleted_file: bool,
    /// Its AI text all landed before BASE: verify does not ask for its
    /// sign-off (shown by blame and the editor, never refused).
    pub landed: bool,
    /// The evidence that made its lines AI, named as `vouch log` and
    /// `vouch blame` name it (`vouch note`, `git-ai note`, `trailer: …`,
    /// `journal`, ...): filled by the views that show it
    /// ([`super::next::Prepared::name_evidence`]), else empty.
    pub evidence: Vec<String>,
}

impl JudgedUnit {
    /// The unit lacks the sign-off the policy requires (and verify will
    /// ask for it).
    pub fn lacks_signoff(&self) -> bool {
        !self.landed && self.judgement.assessment.status.is_blocking()
    }

    /// `approved`, `rejected`, `requested`, `pending`, `not-required`,
    /// `suspected` (heuristic AI text nobody has classified yet), or
    /// `landed` (AI text from before BASE, not approved: verify does not
    /// ask for it).
    pub fn state(&self) -> &'static str {
        match &self.judgement.assessment.status {
            status @ Status::Approved { .. } => status.name(),
            _ if self.landed => "landed",
            _ if self.facts.suspected && self.lacks_signoff() => "suspected",
            status => status.name(),
        }
    }

    /// Why it stands where it does, in words.
    pub fn reason(&self) -> String {
        if self.landed && !matches!(self.judgement.assessment.status, Status::Approved { .. }) {
            return "landed before BASE: vouch verify does not ask for its sign-off".to_string();
        }
        if self.facts.suspected && self.lacks_signoff() {
            return format!(
                "suspected AI text (a large insertion nobody classified); {}",
                self.judgement.assessment.status
            );
        }
        if self.trust_file {
            return format!(
                "a change to a trust file (it decides who may approve, or runs the check); {}",
                self.judgement.assessment.status
            );
        }
        if self.deleted_file {
            return format!(
                "the file was deleted by AI ({} line(s)): what is signed off is its deletion, the text BASE \
                 had; {}",
                self.facts.ai_deleted(),
                self.judgement.assessment.status
            );
        }
        self.judgement.assessment.status.to_string()
    }

    /// Who may sign it off, as the policy names them.
    pub fn reviewers(&self) -> Vec<String> {
        match &self.judgement.requirement.reviewers {
            ReviewerSet::Listed { names, .. } => names.clone(),
            ReviewerSet::Peers => vec!["any peer".into()],
            ReviewerSet::Unconfigured => vec!["anyone (no reviewers configured)".into()],
        }
    }

    /// Who it still awaits while it lacks approvals (requested or not yet),
    /// as the queue names them: the listed reviewers who may sign it off
    /// and whose approval does not count yet, or the policy's word for any
    /// peer or anyone; nobody once it is approved, rejected (it awaits a
    /// change) or needs no sign-off.
    pub fn awaited_by(&self) -> Vec<String> {
        let counted: &[String] = match &self.judgement.assessment.status {
            Status::Requested { by, .. } | Status::Pending { by, .. } => by,
            _ => return Vec::new(),
        };
        let ReviewerSet::Listed { emails, .. } = &self.judgement.requirement.reviewers else {
            return self.reviewers();
        };
        emails
            .iter()
            .filter(|e| self.judgement.requirement.may_sign_off(e, &self.judgement.participants))
            .filter(|e| !counted.iter().any(|b| b.eq_ignore_ascii_case(e)))
            .cloned()
            .collect()
    }

    /// The people who may not sign it off, lowercase, deduplicated.
    pub fn excluded(&self) -> Vec<String> {
        self.judgement.participants.everyone()
    }

    /// Whether `email` may approve it now, and if not, why.
    pub fn may_approve(&self, email: &str) -> Result<(), crate::policy::Refusal> {
        self.judgement.requirement.may_approve(email, &self.judgement.participants)
    }

    /// The AI tools that wrote it, each once.
    pub fn tools(&self) -> Vec<&str> {
        let mut tools: Vec<&str> = Vec::new();
        for source in &self.facts.sources {
            if !tools.contains(&source.tool.as_str()) {
                tools.push(&source.tool);
            }
        }
        tools
    }

    /// `function `name``, or the kind alone; a trust file's change as such.
    pub fn label(&self) -> String {
        if self.trust_file {
            return "trust file change".to_string();
        }
        if self.deleted_file {
            return "file deleted by AI".to_string();
        }
        signoff::unit_label(&self.facts.unit)
    }

    /// The approvals that count for it, by reviewer.
    pub fn approved_by(&self) -> Vec<String> {
        match &self.judgement.assessment.status {
            Status::Approved { by, .. } => by.clone(),
            _ => Vec::new(),
        }
    }

    /// Why the decisions on it that do not count do not: the policy's
    /// refusals (a forged request answered, an unsigned or badly signed
    /// approval where signatures are required, a participant, someone who
    /// is no reviewer), then those of a fingerprint version that no longer
    /// counts.
    pub fn not_counted(&self) -> Vec<String> {
        let refused = self.judgement.assessment.ignored.iter().map(|i| i.refusal.to_string());
        refused.chain(self.retired.iter().cloned()).collect()
    }

    /// The ids of the approvals that count for it.
    pub fn approval_ids(&self, ledger: &Ledger) -> Vec<String> {
        approval_ids(ledger, &self.facts.unit.fingerprint, &self.judgement)
    }

    /// Whether the approval record `approval` counts for it, and if not,
    /// why (as [`JudgedUnit::not_counted`] says it).
    pub fn standing_of(&self, approval: &Stored<Approval>) -> Result<(), String> {
        if !approval.record.standing().counts() {
            return Err(records::describe_not_counted(approval));
        }
        if approval.record.fingerprint != self.facts.unit.fingerprint {
            return Err(format!(
                "{} was for other text (fingerprint {}); approvals are bound to the exact text",
                approval.record.decision.noun(),
                approval.record.fingerprint.get(..12).unwrap_or(&approval.record.fingerprint)
            ));
        }
        let refused = self.judgement.assessment.ignored.iter().find(|i| i.id == approval.id);
        match refused {
            Some(i) => Err(i.refusal.to_string()),
            None => Ok(()),
        }
    }
}

/// The ids of the approvals of `fingerprint` that count in `judgement`.
pub fn approval_ids(ledger: &Ledger, fingerprint: &str, judgement: &Judgement) -> Vec<String> {
    let Status::Approved { by, .. } = &judgement.assessment.status else { return Vec::new() };
    let refused: Vec<&str> = judgement.assessment.ignored.iter().map(|i| i.id.as_str()).collect();
    ledger
        .approvals
        .for_fingerprint(fingerprint)
        .iter()
        .filter(|a| {
            a.record.decision == crate::policy::Verdict::Approve
                && !refused.contains(&a.id.as_str())
                && by.iter().any(|b| b.eq_ignore_ascii_case(&a.record.reviewer.email))
        })
        .map(|a| a.id.clone())
        .collect()
}
