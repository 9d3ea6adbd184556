//! Sign-off: where each AI-written unit of a file stands, under the policy
//! and the request and approval records. One place decides it for the
//! language server, the gate (`vouch check`), `vouch status` and
//! `vouch verify`, so they can never disagree.

use std::ops::Range;

use git2::Repository;

use crate::document::Document;
use crate::policy::{Assessment, Participants, Policy, Requirement, assess};
use crate::provenance::{AiSource, Attribution, Origin, Spans};
use crate::store::records::{self, Approval, ApprovalIndex, BadRecord, Request, RequestIndex, Stored};
use crate::store::repo;
use crate::syntax::Unit;

/// A review unit with AI text and what the provenance says about it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UnitFacts {
    pub unit: Unit,
    /// From the first to the last non-blank AI byte inside the unit.
    pub ai_range: Range<usize>,
    /// The AI tools (and models) that wrote its text, in order of first use.
    pub sources: Vec<AiSource>,
    /// Who accepted its AI text (may not approve it).
    pub acceptors: Vec<String>,
    /// All of its AI text is only suspected (the size heuristic).
    pub suspected: bool,
}

/// The review units of `doc` that hold AI text, with their provenance.
pub fn unit_facts(doc: &mut Document) -> Vec<UnitFacts> {
    let units = doc.units();
    let map = doc.provenance();
    let text = doc.text().as_str();
    units
        .into_iter()
        .map(|unit| {
            let mut sources: Vec<AiSource> = Vec::new();
            let mut acceptors: Vec<String> = Vec::new();
            let (mut first, mut last) = (usize::MAX, 0);
            let mut suspected = true;
            for span in map.spans_in(unit.range.clone()) {
                let attr = map.attribution(span.attr);
                let Origin::Ai(src) = &attr.origin else { continue };
                let span_text = &text[span.range.clone()];
                let trimmed = span_text.trim();
                if trimmed.is_empty() {
                    continue;
                }
                // The diagnostic covers the AI text itself, not the blank
                // space around it.
                let lead = span_text.len() - span_text.trim_start().len();
                first = first.min(span.range.start + lead);
                last = last.max(span.range.start + lead + trimmed.len());
                suspected &= attr.is_suspected();
                if !sources.contains(src) {
                    sources.push(src.clone());
                }
                if let Some(who) = &attr.accepted_by
                    && !acceptors.iter().any(|a| a.eq_ignore_ascii_case(who))
                {
                    acceptors.push(who.clone());
                }
            }
            let ai_range = if first <= last { first..last } else { unit.range.clone() };
            UnitFacts { unit, ai_range, sources, acceptors, suspected }
        })
        .collect()
}

/// Where one unit stands.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub requirement: Requirement,
    pub assessment: Assessment,
    pub participants: Participants,
}

/// Why the ledger could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Records(#[from] records::RecordError),
    #[error(transparent)]
    Repo(#[from] repo::RepoError),
}

/// Every request and approval of a repository.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// The repository id (its root commit); `None` before the first commit,
    /// when nothing can be approved yet.
    pub repository_id: Option<String>,
    pub approvals: ApprovalIndex,
    pub requests: RequestIndex,
    /// Records that failed their checks: reported, never used. The gate and
    /// the verifier refuse to run while there are any.
    pub bad: Vec<BadRecord>,
}

impl Ledger {
    /// Read both record refs of `repo`.
    pub fn load(repo: &Repository) -> Result<Ledger, LedgerError> {
        let repository_id = match repo::repository_id(repo) {
            Ok(id) => Some(id),
            Err(repo::RepoError::NoCommits) => None,
            Err(e) => return Err(e.into()),
        };
        let approvals = records::list::<Approval>(repo)?;
        let requests = records::list::<Request>(repo)?;
        let mut bad = approvals.bad;
        bad.extend(requests.bad);
        let id = repository_id.as_deref().unwrap_or("");
        Ok(Ledger {
            approvals: ApprovalIndex::new(approvals.records, id),
            requests: RequestIndex::new(requests.records, id),
            repository_id,
            bad,
        })
    }

    /// Judge one unit at `path`. `authors` are the people who author (or
    /// will author) the commit; `verified` says whether an approval's
    /// signature checks out against the allowed signers.
    pub fn judge(
        &self,
        policy: &Policy,
        path: &str,
        facts: &UnitFacts,
        authors: &[String],
        verified: &dyn Fn(&Stored<Approval>) -> bool,
    ) -> Judgement {
        let requirement = policy.requirement(path, &facts.unit.risk, facts.unit.ai_lines);
        let participants = Participants {
            acceptors: facts.acceptors.clone(),
            requesters: self.requests.requesters(&facts.unit.fingerprint),
            authors: authors.to_vec(),
        };
        let votes = self.approvals.votes(&facts.unit.fingerprint, verified);
        let assessment = assess(&requirement, &votes, &participants);
        Judgement { requirement, assessment, participants }
    }

    /// The latest request's rationale for `fingerprint`, if any.
    pub fn rationale(&self, fingerprint: &str) -> Option<&str> {
        self.requests.for_fingerprint(fingerprint).iter().rev().find_map(|r| r.record.rationale.as_deref())
    }
}

/// The attribution of `text`, the content of `path`, from history: lines
/// that HEAD's commits attribute to AI (notes, trailers, bots, git-ai), as
/// blamed against `text` itself, so uncommitted lines are unknown.
pub fn history_spans(
    repo: &Repository,
    path: &str,
    text: &str,
    bots: &[String],
) -> Result<Vec<(Range<usize>, Attribution)>, crate::store::history::HistoryError> {
    use crate::store::history;
    // A path HEAD does not have (a new file, an unborn branch) has no history.
    let in_head =
        repo.head().and_then(|h| h.peel_to_tree()).and_then(|t| t.get_path(std::path::Path::new(path))).is_ok();
    if !in_head {
        return Ok(Vec::new());
    }
    let origins = history::blame_contents(repo, path, Some("HEAD"), text.as_bytes(), bots)?;
    Ok(history::line_origins_to_spans(text, &origins))
}

/// Why a request or a decision was refused: said to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignoffError {
    #[error("the repository has no commits yet; commit something first (vouch init writes .vouch.toml to commit)")]
    NoCommits,
    #[error("{path}: a rationale is required for {unit} (risk: {risk}); say why the code looks as it does")]
    RationaleRequired { path: String, unit: String, risk: String },
    #[error("{unit} in {path}: {refusal}")]
    Refused { path: String, unit: String, refusal: crate::policy::Refusal },
    #[error("{unit} in {path} needs no sign-off")]
    NotRequired { path: String, unit: String },
}

/// "function `name`", or the kind alone.
pub fn unit_label(unit: &Unit) -> String {
    match &unit.name {
        Some(name) => format!("{} `{name}`", unit.kind),
        None => unit.kind.clone(),
    }
}

/// The unit as a request records it: its text, and its AI lines counted
/// within that text. `text` is the whole file. The AI lines are those that
/// hold AI bytes belonging to this unit, not to a unit nested in it
/// ([`Unit::ai_ranges`]): each AI byte is counted for one unit, so a class
/// and its methods never count the same lines twice.
pub fn requested_unit(
    path: &str,
    language: crate::syntax::Language,
    facts: &UnitFacts,
    text: &str,
) -> records::RequestedUnit {
    let range = facts.unit.range.clone();
    let unit_text = &text[range.clone()];
    let first_line = text[..range.start].matches('\n').count() as u32;
    let mut ai_lines: Vec<[u32; 2]> = Vec::new();
    for r in facts.unit.ai_ranges.iter().filter(|r| r.start < range.end && range.start < r.end) {
        let start = r.start.max(range.start);
        let end = r.end.min(range.end);
        let first = text[..start].matches('\n').count() as u32 - first_line + 1;
        // Each line of the range that holds AI text (not blank ones).
        for (line, piece) in (first..).zip(text[start..end].split('\n')) {
            if piece.bytes().any(|c| !matches!(c, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)) {
                match ai_lines.last_mut() {
                    Some(last) if last[1] >= line => {}
                    Some(last) if last[1] + 1 == line => last[1] = line,
                    _ => ai_lines.push([line, line]),
                }
            }
        }
    }
    let source = facts.sources.first();
    records::RequestedUnit {
        path: path.to_string(),
        language: language.name().to_string(),
        kind: facts.unit.kind.clone(),
        name: facts.unit.name.clone(),
        fingerprint: facts.unit.fingerprint.clone(),
        text: unit_text.to_string(),
        ai_lines,
        tool: source.map(|s| s.tool.clone()),
        model: source.and_then(|s| s.model.clone()),
    }
}

/// Check a request for `facts` at `path` against the policy's rationale rule.
pub fn check_request(
    policy: &Policy,
    path: &str,
    facts: &UnitFacts,
    rationale: Option<&str>,
) -> Result<(), SignoffError> {
    let requirement = policy.requirement(path, &facts.unit.risk, facts.unit.ai_lines);
    if !requirement.needs_signoff {
        return Err(SignoffError::NotRequired { path: path.into(), unit: unit_label(&facts.unit) });
    }
    let missing = rationale.is_none_or(|r| r.trim().is_empty());
    if requirement.rationale_required && missing {
        let risk = if facts.unit.risk.is_empty() {
            requirement.path_risk.label().to_string()
        } else {
            facts.unit.risk.join(", ")
        };
        return Err(SignoffError::RationaleRequired { path: path.into(), unit: unit_label(&facts.unit), risk });
    }
    Ok(())
}

/// An approval or rejection of `facts` at `path` by `reviewer`, after the
/// policy's checks: refused when the reviewer may not sign off this unit.
pub fn decide(
    ledger: &Ledger,
    policy: &Policy,
    path: &str,
    facts: &UnitFacts,
    reviewer: records::Person,
    verdict: crate::policy::Verdict,
    comment: Option<&str>,
) -> Result<Approval, SignoffError> {
    let repository = ledger.repository_id.as_deref().ok_or(SignoffError::NoCommits)?;
    let judgement = ledger.judge(policy, path, facts, &[], &|_| false);
    if !judgement.requirement.needs_signoff {
        return Err(SignoffError::NotRequired { path: path.into(), unit: unit_label(&facts.unit) });
    }
    judgement
        .requirement
        .may_approve(&reviewer.email, &judgement.participants)
        .map_err(|refusal| SignoffError::Refused { path: path.into(), unit: unit_label(&facts.unit), refusal })?;
    let mut approval = Approval::new(repository, &facts.unit.fingerprint, verdict, reviewer);
    approval.comment = comment.filter(|c| !c.trim().is_empty()).map(str::to_string);
    approval.request = ledger.requests.for_fingerprint(&facts.unit.fingerprint).last().map(|r| r.id.clone());
    approval.path = Some(path.to_string());
    Ok(approval)
}

/// Why the provenance of a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SpansError {
    #[error(transparent)]
    History(#[from] crate::store::history::HistoryError),
    #[error(transparent)]
    Journal(#[from] crate::store::journal::JournalError),
}

/// The attribution of `text`, the current content of `path`: history
/// (committed AI lines, blamed against `text`), overridden by the journal's
/// view (uncommitted records, which are newer). Only attributed ranges are
/// returned; the rest is unknown.
pub fn file_spans(
    repo: &Repository,
    bots: &[String],
    journal: &crate::store::journal::Journal,
    loaded: &crate::store::journal::Loaded,
    path: &str,
    text: &str,
) -> Result<(Spans, Vec<crate::store::journal::Problem>), SpansError> {
    let history = history_spans(repo, path, text, bots)?;
    let view = journal.view(repo, loaded, path, text)?;
    Ok((overlay(text.len(), &history, &view.spans), view.problems))
}

/// History's attribution of a text of `len` bytes with the journal's laid
/// over it (the journal is newer); only attributed ranges are returned.
pub fn overlay(len: usize, history: &[(Range<usize>, Attribution)], journal: &[(Range<usize>, Attribution)]) -> Spans {
    let journal = journal.iter().filter(|(_, a)| a.origin != Origin::Unknown);
    if history.is_empty() {
        return journal.cloned().collect();
    }
    let mut map = crate::provenance::ProvenanceMap::from_ranges(len, history);
    for (range, attr) in journal {
        let id = map.intern(attr);
        map.set(range.clone(), id);
    }
    map.to_vec().into_iter().filter(|(_, a)| a.origin != Origin::Unknown).collect()
}
