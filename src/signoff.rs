//! Sign-off: where each AI-written unit of a file stands, under the policy
//! and the request and approval records. One place decides it for the
//! language server, the gate (`vouch check`), `vouch status` and
//! `vouch verify`, so they can never disagree: [`Ledger::judge`] for a unit
//! of code, [`Ledger::judge_trust_file`] for a change to a trust file, both
//! through [`Ledger::judge_fingerprint`] and [`crate::policy::assess`].
//!
//! What the records themselves say against an approval is decided here
//! too, once: an approval that answers a request whose stated fingerprint
//! does not match its text (the reviewer was shown other text) never
//! counts, wherever it is judged. Front ends supply only what differs
//! between them: the policy and allowed signers they read (the worktree,
//! the index, BASE) and who authors the commit.

use std::ops::Range;

use git2::Repository;

use crate::document::Document;
use crate::policy::{
    AiAmount, Assessment, Ignored, Participants, Policy, Refusal, Requirement, Signer, Verdict, assess,
};
use crate::provenance::{AiDeletion, AiSource, Attribution, Origin, Spans};
use crate::store::records::{self, Approval, ApprovalIndex, BadRecord, Records, Request, RequestIndex, Stored};
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
    /// Where an AI removed lines from it ([`add_deletions`]): a removal
    /// adds no AI line, but it changed what the unit does, so the unit
    /// needs sign-off as AI text does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<AiDeletion>,
}

impl UnitFacts {
    /// The lines an AI removed from it.
    pub fn ai_deleted(&self) -> u32 {
        self.deletions.iter().map(|d| d.lines.max(1)).sum()
    }
}

/// The units of `text`, a file at `path`, every one of them (as if all of
/// it were AI), with their risk tags; none where it cannot be held.
fn all_units(path: &str, text: &str) -> Vec<Unit> {
    let language = crate::syntax::Language::from_path(std::path::Path::new(path));
    let Ok(mut doc) = Document::new(language, text.to_string()) else { return Vec::new() };
    let all = std::iter::once(0..text.len()).collect::<Vec<_>>();
    doc.units_holding(&all)
}

/// The risk tags of `text` as a file at `path`: those of every unit of it,
/// sorted and unique (what a file an AI deleted took away).
pub fn risk_of_text(path: &str, text: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(text) else { return Vec::new() };
    let tags: std::collections::BTreeSet<String> = all_units(path, text).into_iter().flat_map(|u| u.risk).collect();
    tags.into_iter().collect()
}

/// Give each of `facts` (the AI units of `after`, a file whose version at
/// BASE is `before`) the risk tags of what the range removed from it: a
/// risk tag comes from text, and what a removal took out (an authorization
/// check taken out of a handler) may be what made the unit risky, so that
/// no `[[automated]]` or `[[triage]]` rule lets it through. A unit takes
/// the tags of BASE's unit of the same kind and name where an AI removed
/// lines from it, and of every unit of `before` that held lines removed or
/// replaced where it stands (the unit renamed, or its lines rewritten, with
/// the removal).
pub fn add_removed_risk(path: &str, facts: &mut [UnitFacts], before: &str, after: &str) {
    if facts.is_empty() {
        return;
    }
    let (old, new) = (crate::lineage::split_lines(before.as_bytes()), crate::lineage::split_lines(after.as_bytes()));
    let removals = crate::lineage::removals(&old, &new);
    if removals.is_empty() && facts.iter().all(|f| f.deletions.is_empty()) {
        return;
    }
    // Where each line starts, and the end.
    let starts = |lines: &[&[u8]]| {
        let mut at = vec![0];
        for line in lines {
            at.push(at[at.len() - 1] + line.len());
        }
        at
    };
    let (old_at, new_at) = (starts(&old), starts(&new));
    let then = all_units(path, before);
    for fact in facts.iter_mut() {
        let unit = &mut fact.unit;
        let mut tags: std::collections::BTreeSet<String> = unit.risk.iter().cloned().collect();
        if !fact.deletions.is_empty() {
            let named = then.iter().filter(|u| u.kind == unit.kind && u.name == unit.name);
            tags.extend(named.flat_map(|u| u.risk.iter().cloned()));
        }
        for removal in &removals {
            // Where it stands in `after`: the lines in its place, or the
            // place between two lines, inside the unit.
            let (from, to) = (new_at[removal.new.start], new_at[removal.new.end]);
            let inside = match from == to {
                true => unit.range.start < from && from <= unit.range.end + 1,
                false => unit.range.start < to && from < unit.range.end,
            };
            if !inside {
                continue;
            }
            let taken = old_at[removal.old.start]..old_at[removal.old.end];
            let held = then.iter().filter(|u| u.range.start < taken.end && taken.start < u.range.end);
            tags.extend(held.flat_map(|u| u.risk.iter().cloned()));
        }
        unit.risk = tags.into_iter().collect();
    }
}

/// The review units of `doc` that hold AI text, with their provenance.
pub fn unit_facts(doc: &mut Document) -> Vec<UnitFacts> {
    let units = doc.units();
    facts_of(units, doc.provenance(), doc.text().as_str())
}

/// The facts of `units` of `text` whose provenance is `map`.
pub fn facts_of(units: Vec<Unit>, map: &crate::provenance::ProvenanceMap, text: &str) -> Vec<UnitFacts> {
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
            UnitFacts { unit, ai_range, sources, acceptors, suspected, deletions: Vec::new() }
        })
        .collect()
}

/// The facts of a unit that has no document: the one unit of bytes that
/// are not UTF-8, or of a submodule ([`crate::syntax::blob`]). `spans` are
/// the attributed ranges of its content; every AI byte counts, whitespace
/// too.
pub fn whole_unit_facts(unit: Unit, spans: &[(Range<usize>, Attribution)]) -> UnitFacts {
    let mut sources: Vec<AiSource> = Vec::new();
    let mut acceptors: Vec<String> = Vec::new();
    let (mut first, mut last) = (usize::MAX, 0);
    let mut suspected = true;
    for (range, attr) in spans {
        let Origin::Ai(src) = &attr.origin else { continue };
        let range = range.start.min(unit.range.end)..range.end.min(unit.range.end);
        if range.is_empty() {
            continue;
        }
        first = first.min(range.start);
        last = last.max(range.end);
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
    UnitFacts { unit, ai_range, sources, acceptors, suspected, deletions: Vec::new() }
}

/// Where one unit stands.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub requirement: Requirement,
    pub assessment: Assessment,
    pub participants: Participants,
    /// Of a change to a trust file: BASE, which an approval given now names
    /// as the commit it was given against ([`Approval::base`]).
    pub base: Option<String>,
}

/// Why the ledger could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Records(#[from] records::RecordError),
    #[error(transparent)]
    Repo(#[from] repo::RepoError),
}

/// The key whose signature over an approval verifies (for the reviewer the
/// approval names, against the allowed signers a front end reads), if one
/// does: how front ends tell the judge about signatures.
pub type Verified<'a> = &'a dyn Fn(&Stored<Approval>) -> Option<Signer>;

/// The commit of BASE's history that last changed a trust file (the newest,
/// by committer time, whose version of the file differs from one of its
/// parents', or a root that holds it), and when it was committed:
/// approvals of the file's content count only when given since
/// ([`Ledger::judge_trust_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastChange {
    pub commit: git2::Oid,
    /// Seconds since the epoch.
    pub time: i64,
    /// BASE, and its version of the file (blob and mode; `None`: absent):
    /// what an approval given against BASE ([`Approval::base`]) replaced.
    pub base: git2::Oid,
    pub version: Option<(git2::Oid, i32)>,
}

impl LastChange {
    /// Whether an approval given against commit `given` ([`Approval::base`])
    /// is one of a change from BASE's version: `given` holds the file as
    /// BASE does, and BASE's history changed it in no commit that `given`'s
    /// lacks. By the commits' graph, never their dates, which whoever
    /// commits sets.
    fn given_against_base(&self, repo: &Repository, path: &str, given: &str) -> bool {
        let Ok(given) = git2::Oid::from_str(given) else { return false };
        let Ok(commit) = repo.find_commit(given) else { return false };
        if version_at(&commit, path) != self.version {
            return false;
        }
        let walk = || -> Result<bool, git2::Error> {
            let mut walk = repo.revwalk()?;
            walk.push(self.base)?;
            walk.hide(given)?;
            for oid in walk {
                if changes_file(&repo.find_commit(oid?)?, path)? {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        walk().unwrap_or(false)
    }

    /// Whether a commit of BASE's history held the file as `content` (its
    /// bytes as git stores them; `None`: absent): a return to an old state
    /// of the file, which an approval that names no BASE commit (made
    /// before vouch named one) does not approve, however its time compares
    /// with dates whoever commits sets.
    fn held_before(&self, repo: &Repository, path: &str, content: Option<&[u8]>) -> bool {
        let blob = match content {
            Some(bytes) => match git2::Oid::hash_object(git2::ObjectType::Blob, bytes) {
                Ok(id) => Some(id),
                Err(_) => return true,
            },
            None => None,
        };
        let walk = || -> Result<bool, git2::Error> {
            let mut walk = repo.revwalk()?;
            walk.push(self.base)?;
            for oid in walk {
                if version_at(&repo.find_commit(oid?)?, path).map(|(id, _)| id) == blob {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        walk().unwrap_or(true)
    }
}

/// The version of `path` in `commit` (blob and mode); `None`: absent.
fn version_at(commit: &git2::Commit<'_>, path: &str) -> Option<(git2::Oid, i32)> {
    commit.tree().ok()?.get_path(std::path::Path::new(path)).ok().map(|e| (e.id(), e.filemode()))
}

/// Whether `commit` changed `path`: a root that has it, or a commit whose
/// version differs from a parent's.
fn changes_file(commit: &git2::Commit<'_>, path: &str) -> Result<bool, git2::Error> {
    let version = version_at(commit, path);
    if commit.parent_count() == 0 {
        return Ok(version.is_some());
    }
    for parent in commit.parents() {
        if version_at(&parent, path) != version {
            return Ok(true);
        }
    }
    Ok(false)
}

/// When BASE's history (`base`) last changed `path` ([`LastChange`]);
/// `None` when no commit of it holds the file. Every parent counts: a
/// change that came to BASE through a merge's second parent (a `git pull`
/// merged into a stale local main and pushed) is BASE's history too.
/// Walks BASE's history newest first, to that commit.
pub fn last_change(repo: &Repository, base: git2::Oid, path: &str) -> Result<Option<LastChange>, git2::Error> {
    let version = version_at(&repo.find_commit(base)?, path);
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TIME)?;
    walk.push(base)?;
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        if changes_file(&commit, path)? {
            let time = commit.committer().when().seconds();
            return Ok(Some(LastChange { commit: commit.id(), time, base, version }));
        }
    }
    Ok(None)
}

/// A request unit whose stated fingerprint is not the fingerprint of the
/// text it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgedRequest {
    /// The request's id.
    pub request: String,
    pub requester: String,
    /// The fingerprint its text really has.
    pub actual: String,
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
    /// Read both record refs of `repo`: from the records cache when it is
    /// up to date, a fingerprint's records when it is judged (so a commit's
    /// gate reads its units' records, not every record ever made).
    pub fn load(repo: &Repository) -> Result<Ledger, LedgerError> {
        let repository_id = match repo::repository_id(repo) {
            Ok(id) => Some(id),
            Err(repo::RepoError::NoCommits) => None,
            Err(e) => return Err(e.into()),
        };
        let id = repository_id.as_deref().unwrap_or("");
        let (approvals, mut bad) = Records::<Approval>::open(repo)?;
        let (requests, more) = Records::<Request>::open(repo)?;
        bad.extend(more);
        Ok(Ledger {
            approvals: ApprovalIndex::of(approvals, id),
            requests: RequestIndex::of(requests, id),
            repository_id,
            bad,
        })
    }

    /// The ledger of these records, for `repository_id`: records of other
    /// repositories are set aside.
    pub fn new(
        approvals: Vec<Stored<Approval>>,
        requests: Vec<Stored<Request>>,
        repository_id: Option<String>,
        bad: Vec<BadRecord>,
    ) -> Ledger {
        let id = repository_id.as_deref().unwrap_or("");
        Ledger {
            approvals: ApprovalIndex::new(approvals, id),
            requests: RequestIndex::new(requests, id),
            repository_id,
            bad,
        }
    }

    /// Why the ledger's answers may lack records: the records cache failed
    /// a check as it was read and the records branch could not be read
    /// either. Strict front ends refuse to decide when there is a reason.
    pub fn damage(&self) -> Option<&str> {
        self.approvals.damage().or_else(|| self.requests.damage())
    }

    /// The request units whose stated fingerprint is `fingerprint` but
    /// whose text has another.
    pub fn forged(&self, fingerprint: &str) -> Vec<ForgedRequest> {
        let mut forged = Vec::new();
        for request in self.requests.for_fingerprint(fingerprint) {
            // A unit of an older fingerprint version is not forged: it no
            // longer counts, and views say so.
            for unit in request.record.units.iter().filter(|u| u.fingerprint == fingerprint) {
                let records::FingerprintStanding::Mismatch { actual } = unit.standing() else { continue };
                forged.push(ForgedRequest {
                    request: request.id.clone(),
                    requester: request.record.requester.email.clone(),
                    actual,
                });
            }
        }
        forged
    }

    /// Judge one unit at `path`, whose file was at `was` at BASE when the
    /// range renamed it (as git pairs renames). `authors` are the people who
    /// author (or will author) the commit; `verified` gives the key that
    /// signed an approval, when its signature checks out against the
    /// allowed signers. An approval counts where it was given (the path its
    /// record names, signed with it), or where a rename took the file: the
    /// same text elsewhere is not what its reviewer saw (rt30a A1). One
    /// whose record names no path counts wherever the text stands.
    pub fn judge(
        &self,
        policy: &Policy,
        (path, was): (&str, Option<&str>),
        facts: &UnitFacts,
        authors: &[String],
        verified: Verified<'_>,
    ) -> Judgement {
        let amount = facts_amount(facts);
        let requirement = policy.requirement(path, &facts.unit.risk, amount);
        // A reject cast where the unit stood before a move still counts.
        let reviewer_at = |at: &str, email: &str| {
            at != path && policy.requirement(at, &facts.unit.risk, amount).may_review(email).is_ok()
        };
        let elsewhere = |stored: &Stored<Approval>, vote: &crate::policy::Vote| {
            let at = stored.record.path.as_deref()?;
            let here = at == path || Some(at) == was;
            (!here).then(|| Refusal::ApprovedElsewhere {
                identity: vote.email.clone(),
                at: crate::display::line(at).into_owned(),
            })
        };
        self.judge_votes(
            requirement,
            &facts.unit.fingerprint,
            &facts.acceptors,
            authors,
            verified,
            &reviewer_at,
            &elsewhere,
        )
    }

    /// Judge the state of trust file `path` (`content`: its bytes, `None`
    /// when deleted) under `policy` (the policy at BASE): its fingerprint
    /// ([`crate::fingerprint::trust_fingerprint`]) and where it stands.
    /// Judge a change of trust file `path` to `content` (`None`: its
    /// removal): an approval of that content counts only when given since
    /// BASE's history last changed the file (`since`), so that one given for
    /// a change from an older version does not approve the same content put
    /// back later.
    #[allow(clippy::too_many_arguments)]
    pub fn judge_trust_file(
        &self,
        repo: &Repository,
        policy: &Policy,
        path: &str,
        content: Option<&[u8]>,
        authors: &[String],
        verified: Verified<'_>,
        since: Option<LastChange>,
    ) -> (String, Judgement) {
        let fingerprint = crate::fingerprint::trust_fingerprint(path, content);
        let held = std::cell::OnceCell::new();
        let stale = |stored: &Stored<Approval>, vote: &crate::policy::Vote| {
            let since = since.as_ref()?;
            // It names the commit it was given against.
            if let Some(given) = &stored.record.base {
                return (!since.given_against_base(repo, path, given)).then(|| Refusal::ReplacedAnother {
                    identity: vote.email.clone(),
                    approved: stored.record.created.clone(),
                });
            }
            // Made before approvals named it: by its time, and for a state
            // of the file BASE's history never held.
            let given =
                time::OffsetDateTime::parse(&stored.record.created, &time::format_description::well_known::Rfc3339);
            if given.is_ok_and(|t| t.unix_timestamp() >= since.time)
                && !*held.get_or_init(|| since.held_before(repo, path, content))
            {
                return None;
            }
            Some(Refusal::BeforeBaseChanged {
                identity: vote.email.clone(),
                approved: stored.record.created.clone(),
                commit: since.commit.to_string()[..10].to_string(),
            })
        };
        let requirement = policy.trust_requirement(path);
        let mut judgement = self.judge_votes(requirement, &fingerprint, &[], authors, verified, &|_, _| false, &stale);
        judgement.base = since.map(|s| s.base.to_string());
        (fingerprint, judgement)
    }

    /// Judge the removal of file `path` (`lines` long) by an AI in the
    /// range, under `fingerprint`, the fingerprint of its deletion
    /// ([`crate::fingerprint::deleted_fingerprint`]: its path and the bytes
    /// deleted, never code's): the policy asks of it what it asks of an AI
    /// change of as many lines at that path (its reviewers, exemptions and
    /// triage; a whole unit, so no threshold lets it through), with the
    /// `risk` tags of the text deleted ([`risk_of_text`]).
    #[allow(clippy::too_many_arguments)]
    pub fn judge_deleted_file(
        &self,
        policy: &Policy,
        path: &str,
        fingerprint: &str,
        lines: u32,
        risk: &[String],
        authors: &[String],
        verified: Verified<'_>,
    ) -> Judgement {
        let amount = AiAmount { lines: 0, bytes: 0, whole: true, deleted: (lines as usize).max(1) };
        let requirement = policy.requirement(path, risk, amount);
        self.judge_fingerprint(requirement, fingerprint, &[], authors, verified)
    }

    /// Judge an AI's change of the executable bit of file `path`, under
    /// `fingerprint` ([`crate::fingerprint::mode_fingerprint`]: its path,
    /// new mode and bytes): the policy asks of it what it asks of a whole
    /// AI unit at that path (its reviewers, exemptions and triage; no
    /// threshold lets it through), though it adds no AI line.
    pub fn judge_mode_change(
        &self,
        policy: &Policy,
        path: &str,
        fingerprint: &str,
        authors: &[String],
        verified: Verified<'_>,
    ) -> Judgement {
        self.judge_fingerprint(policy.requirement(path, &[], MODE_AMOUNT), fingerprint, &[], authors, verified)
    }

    /// Why the decisions on the deletion of `path` made under the
    /// fingerprint of the path's absence alone (what a deletion of a file
    /// that is not a trust file was approved by before it was bound to the
    /// text deleted) do not count, one line each.
    pub fn path_only_deletion_decisions(&self, path: &str) -> Vec<String> {
        let old = crate::fingerprint::trust_fingerprint(path, None);
        self.approvals
            .for_fingerprint(&old)
            .iter()
            .map(|a| {
                format!(
                    "{} does not count: it names only the path's absence (an older fingerprint); a deletion is \
                     decided with the text deleted, so decide again",
                    records::describe_decision(a)
                )
            })
            .collect()
    }

    /// Where a unit with `requirement` and `fingerprint` stands: the votes
    /// on the fingerprint (less those that answer a forged request), and the
    /// participants (`acceptors`, the requesters the records name, `authors`).
    pub fn judge_fingerprint(
        &self,
        requirement: Requirement,
        fingerprint: &str,
        acceptors: &[String],
        authors: &[String],
        verified: Verified<'_>,
    ) -> Judgement {
        self.judge_votes(requirement, fingerprint, acceptors, authors, verified, &|_, _| false, &|_, _| None)
    }

    /// [`Ledger::judge_fingerprint`], where a reject whose record names a
    /// path at which `reviewer_at(path, email)` holds counts as entitled
    /// ([`crate::policy::Vote::entitled_where_cast`]), and an approval
    /// `stale` refuses does not count.
    #[allow(clippy::too_many_arguments)]
    fn judge_votes(
        &self,
        requirement: Requirement,
        fingerprint: &str,
        acceptors: &[String],
        authors: &[String],
        verified: Verified<'_>,
        reviewer_at: &dyn Fn(&str, &str) -> bool,
        stale: &dyn Fn(&Stored<Approval>, &crate::policy::Vote) -> Option<Refusal>,
    ) -> Judgement {
        let participants = Participants {
            acceptors: acceptors.to_vec(),
            requesters: self.requests.requesters(fingerprint),
            authors: authors.to_vec(),
        };
        let mut dropped = Vec::new();
        let mut votes = Vec::new();
        let forged = self.forged(fingerprint);
        for stored in self.approvals.for_fingerprint(fingerprint) {
            let mut vote = stored.record.vote(&stored.id, verified(stored));
            vote.entitled_where_cast = vote.verdict == Verdict::Reject
                && stored.record.path.as_deref().is_some_and(|at| reviewer_at(at, &vote.email));
            // Only approvals: a reject of the text someone was shown still
            // says no.
            let answers = stored.record.request.as_ref().filter(|r| forged.iter().any(|f| &&f.request == r));
            let stale = (vote.verdict == Verdict::Approve).then(|| stale(stored, &vote)).flatten();
            match (answers, stale) {
                (Some(request), _) if vote.verdict == Verdict::Approve => {
                    let refusal = Refusal::AnswersForgedRequest {
                        identity: vote.email.clone(),
                        request: request.get(..10).unwrap_or(request).to_string(),
                    };
                    dropped.push(Ignored::new(&vote, refusal));
                }
                (_, Some(refusal)) => dropped.push(Ignored::new(&vote, refusal)),
                _ => votes.push(vote),
            }
        }
        let mut assessment = assess(&requirement, &votes, &participants);
        assessment.ignored.extend(dropped);
        Judgement { requirement, assessment, participants, base: None }
    }

    /// The latest request's rationale for `fingerprint`, if any.
    pub fn rationale(&self, fingerprint: &str) -> Option<&str> {
        self.rationale_with_source(fingerprint).map(|(text, _)| text)
    }

    /// [`Ledger::rationale`], with where its words came from when the
    /// requester did not type them (drafted from the agent's intent).
    pub fn rationale_with_source(&self, fingerprint: &str) -> Option<(&str, Option<records::RationaleFrom>)> {
        self.requests
            .for_fingerprint(fingerprint)
            .iter()
            .rev()
            .find_map(|r| r.record.rationale.as_deref().map(|text| (text, r.record.rationale_from)))
    }

    /// Where the words of a rationale a commit's note gives a unit at
    /// `path` came from (a note copies the latest request's rationale and
    /// not its source): the latest request for a unit at `path` whose
    /// rationale is exactly `text` says, `None` when it was typed or no
    /// such request is here.
    pub fn rationale_source_of(&self, path: &str, text: &str) -> Option<records::RationaleFrom> {
        self.requests
            .at_path(path)
            .into_iter()
            .filter(|r| r.record.rationale.as_deref() == Some(text))
            .max_by(|a, b| (&a.record.created, &a.id).cmp(&(&b.record.created, &b.id)))
            .and_then(|r| r.record.rationale_from)
    }
}

/// The kind of the unit a file an AI deleted whole is (see
/// [`Ledger::judge_deleted_file`]).
pub const DELETED_FILE: &str = "deleted-file";

/// The kind of the unit an AI's change of a file's executable bit is (see
/// [`Ledger::judge_mode_change`]).
pub const MODE_CHANGE: &str = "file-mode";

/// How much AI an AI's change of a file's mode is, for the policy: no line,
/// but a whole unit (no threshold lets it through).
const MODE_AMOUNT: AiAmount = AiAmount { lines: 0, bytes: 0, whole: true, deleted: 0 };

/// How much AI text a requested unit holds by its own account (its
/// `ai_lines`), for the policy's thresholds. A request names no AI line of
/// a unit only when an AI removed lines from it (a removal leaves none):
/// that counts as one removed line, so the request is not closed as
/// needing nothing.
pub fn requested_amount(unit: &records::RequestedUnit) -> AiAmount {
    if unit.is_deleted_file() {
        // A whole unit of removed lines, as [`Ledger::judge_deleted_file`]
        // counts it.
        let lines = crate::store::notes::line_spans(unit.text.as_bytes()).len().max(1);
        return AiAmount { lines: 0, bytes: 0, whole: true, deleted: lines };
    }
    if unit.is_mode_change() {
        // As [`Ledger::judge_mode_change`] counts it.
        return MODE_AMOUNT;
    }
    if unit.ai_lines.is_empty() {
        return AiAmount { deleted: 1, ..AiAmount::default() };
    }
    // Whitespace as the review units count it (ASCII), over the unit's
    // bytes, UTF-8 or not.
    let text = unit.text.as_bytes();
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let nonws = |r: &Range<usize>| text.get(r.clone()).map_or(0, |s| s.iter().filter(|b| !is_ws(b)).count());
    let ai = crate::store::notes::lines_to_bytes(text, &unit.ai_lines);
    let bytes: usize = ai.iter().map(nonws).sum();
    let lines = crate::store::notes::line_spans(text);
    let ai_lines =
        lines.iter().filter(|l| nonws(l) > 0 && ai.iter().any(|r| r.start <= l.start && l.end <= r.end)).count();
    AiAmount { lines: ai_lines, bytes, whole: bytes > 0 && bytes == nonws(&(0..text.len())), deleted: 0 }
}

/// How much AI text `unit` holds, for the policy's thresholds.
pub fn ai_amount(unit: &Unit) -> AiAmount {
    AiAmount {
        lines: unit.ai_lines,
        bytes: unit.ai_bytes,
        whole: unit.ai_bytes > 0 && unit.ai_share >= 1.0,
        deleted: 0,
    }
}

/// How much AI change a unit holds, for the policy's thresholds: its AI
/// text and the lines an AI removed from it.
pub fn facts_amount(facts: &UnitFacts) -> AiAmount {
    AiAmount { deleted: facts.ai_deleted() as usize, ..ai_amount(&facts.unit) }
}

/// Add to `facts` (the AI units of `doc`, from [`unit_facts`] or
/// [`facts_of`]) the units that AI `deletions` changed: for each, the
/// smallest syntax unit with text of its own on both sides of the place
/// (a removal inside it), else the whole file's unit (a unit removed
/// whole, or lines outside every unit, leave nothing smaller to show:
/// approving the file as it is now covers the removal). A unit keeps its
/// AI text as counted; its deletions are listed beside it.
pub fn add_deletions(doc: &mut Document, facts: &mut Vec<UnitFacts>, deletions: &[AiDeletion]) {
    if deletions.is_empty() {
        return;
    }
    let places: Vec<(usize, u32)> = deletions.iter().map(|d| (d.at, d.replaced)).collect();
    for (deletion, unit) in deletions.iter().zip(doc.units_changed_at(&places)) {
        let slot = match facts.iter().position(|f| f.unit.range == unit.range && f.unit.kind == unit.kind) {
            Some(i) => i,
            None => {
                // What an editor marks: the line after the place (before it,
                // at the end of the text), within the unit.
                let text = doc.text().as_str();
                let at = deletion.at.min(text.len());
                let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let ai_range = if line_end > at { at..line_end } else { line_start..at };
                let ai_range =
                    ai_range.start.max(unit.range.start)..ai_range.end.min(unit.range.end).max(unit.range.start);
                facts.push(UnitFacts {
                    unit,
                    ai_range,
                    sources: Vec::new(),
                    acceptors: Vec::new(),
                    suspected: false,
                    deletions: Vec::new(),
                });
                facts.len() - 1
            }
        };
        let f = &mut facts[slot];
        if let Origin::Ai(source) = &deletion.attribution.origin
            && !f.sources.contains(source)
        {
            f.sources.push(source.clone());
        }
        if let Some(who) = &deletion.attribution.accepted_by
            && !f.acceptors.iter().any(|a| a.eq_ignore_ascii_case(who))
        {
            f.acceptors.push(who.clone());
        }
        f.suspected &= deletion.attribution.is_suspected();
        f.deletions.push(deletion.clone());
    }
    facts.sort_by(|a, b| a.unit.range.start.cmp(&b.unit.range.start).then(b.unit.range.end.cmp(&a.unit.range.end)));
}

/// Why a request or a decision was refused: said to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignoffError {
    #[error("the repository has no commits yet; commit something first (vouch init writes .vouch.toml to commit)")]
    NoCommits,
    #[error("{path}: a rationale is required for {unit} (risk: {risk}); say why the code looks as it does")]
    RationaleRequired { path: String, unit: String, risk: String },
    #[error("{unit} in {path}: {refusal}")]
    Refused { path: String, unit: String, refusal: Box<crate::policy::Refusal> },
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

/// The unit as a request records it: its exact bytes, and its AI lines
/// counted within them as git counts lines. `content` is the whole file (or
/// a submodule's commit id); `language` is the fingerprint's language name
/// ([`crate::syntax::unit_language`]). The AI lines are those that hold AI
/// bytes belonging to this unit, not to a unit nested in it
/// ([`Unit::ai_ranges`]): each AI byte is counted for one unit, so a class
/// and its methods never count the same lines twice.
pub fn requested_unit(path: &str, language: &str, facts: &UnitFacts, content: &[u8]) -> records::RequestedUnit {
    let range = facts.unit.range.start.min(content.len())..facts.unit.range.end.min(content.len());
    let newlines = |bytes: &[u8]| bytes.iter().filter(|&&b| b == b'\n').count() as u32;
    let first_line = newlines(&content[..range.start]);
    // Lines that hold AI text, not blank ones; in a file that is not text,
    // every byte counts.
    let counts = |piece: &[u8]| {
        facts.unit.kind == crate::fingerprint::FILE
            || piece.iter().any(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
    };
    let mut ai_lines: Vec<[u32; 2]> = Vec::new();
    for r in facts.unit.ai_ranges.iter().filter(|r| r.start < range.end && range.start < r.end) {
        let start = r.start.max(range.start);
        let end = r.end.min(range.end);
        let first = newlines(&content[..start]) - first_line + 1;
        for (line, piece) in (first..).zip(content[start..end].split(|&b| b == b'\n')) {
            if counts(piece) {
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
        language: language.to_string(),
        kind: facts.unit.kind.clone(),
        name: facts.unit.name.clone(),
        fingerprint: facts.unit.fingerprint.clone(),
        fingerprint_version: records::current_fingerprint_version(),
        text: records::UnitText::from_bytes(content[range].to_vec()),
        ai_lines,
        tool: source.map(|s| s.tool.clone()),
        model: source.and_then(|s| s.model.clone()),
        intents: Vec::new(),
    }
}

/// The change to trust file `path` as a request records it: its whole
/// bytes as git stores them (`None`: the file is deleted), under its
/// trust-file fingerprint ([`crate::fingerprint::trust_fingerprint`]).
pub fn trust_requested_unit(path: &str, content: Option<&[u8]>) -> records::RequestedUnit {
    use crate::fingerprint::{TRUST, TRUST_ABSENT, TRUST_PRESENT};
    let bytes = content.unwrap_or_default();
    let lines = crate::store::notes::line_spans(bytes).len().max(1) as u32;
    let kind = if content.is_some() { TRUST_PRESENT } else { TRUST_ABSENT };
    let mut unit = whole_file_unit(path, TRUST, kind, crate::fingerprint::trust_fingerprint(path, content), bytes);
    if !bytes.is_empty() {
        unit.ai_lines = vec![[1, lines]];
    }
    unit
}

/// A whole-file unit (a trust file's change, a file's deletion, a change of
/// its mode) as a request records it: `bytes` under `language` and `kind`,
/// no AI line of its own, no tool.
fn whole_file_unit(
    path: &str,
    language: &str,
    kind: &str,
    fingerprint: String,
    bytes: &[u8],
) -> records::RequestedUnit {
    records::RequestedUnit {
        path: path.to_string(),
        language: language.to_string(),
        kind: kind.to_string(),
        name: None,
        fingerprint,
        fingerprint_version: records::current_fingerprint_version(),
        text: records::UnitText::from_bytes(bytes.to_vec()),
        ai_lines: Vec::new(),
        tool: None,
        model: None,
        intents: Vec::new(),
    }
}

/// The deletion of file `path` by an AI as a request records it: the
/// version deleted (`kind` and `bytes`, as
/// [`crate::store::lineage::deleted_version`] reads BASE's), under its
/// fingerprint ([`crate::fingerprint::deleted_fingerprint`]), so that the
/// reviewer sees what is deleted and checks it.
pub fn deleted_requested_unit(path: &str, kind: &str, bytes: &[u8]) -> records::RequestedUnit {
    // No AI line is left: the lines are removed.
    let fingerprint = crate::fingerprint::deleted_fingerprint(path, kind, bytes);
    whole_file_unit(path, crate::fingerprint::DELETED, kind, fingerprint, bytes)
}

/// An AI's change of the executable bit of file `path` as a request
/// records it: the file's bytes and its new `mode`, under its fingerprint
/// ([`crate::fingerprint::mode_fingerprint`]), so that the reviewer sees
/// the text made executable (or no longer) and checks it.
pub fn mode_requested_unit(path: &str, mode: &str, bytes: &[u8]) -> records::RequestedUnit {
    // No line changed.
    let fingerprint = crate::fingerprint::mode_fingerprint(path, mode, bytes);
    whole_file_unit(path, crate::fingerprint::MODE, mode, fingerprint, bytes)
}

/// Check a request for `facts` at `path` against the policy's rationale rule.
pub fn check_request(
    policy: &Policy,
    path: &str,
    facts: &UnitFacts,
    rationale: Option<&str>,
) -> Result<(), SignoffError> {
    let requirement = policy.requirement(path, &facts.unit.risk, facts_amount(facts));
    check_request_with(&requirement, path, facts, rationale)
}

/// [`check_request`] under `requirement`, the one the judge found (a trust
/// file's, say).
pub fn check_request_with(
    requirement: &Requirement,
    path: &str,
    facts: &UnitFacts,
    rationale: Option<&str>,
) -> Result<(), SignoffError> {
    if !requirement.needs_signoff {
        return Err(SignoffError::NotRequired { path: path.into(), unit: unit_label(&facts.unit) });
    }
    // A rationale no reader can see (spaces, control or invisible
    // characters only) says nothing.
    let missing = rationale.is_none_or(|r| r.chars().all(|c| c.is_whitespace() || crate::display::is_hidden(c)));
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

/// An approval or rejection of `facts` at `path` by `reviewer`, for a unit
/// the judge already judged (with every participant the front end knows
/// of, under the policy and allowed signers at BASE): refused when
/// `judgement` says `reviewer` may not approve it (a rejection needs only a
/// reviewer: a participant's reject still counts, see
/// [`crate::policy::assess`]). The decision answers the latest request for
/// the unit whose text really has its fingerprint, never a forged one.
///
/// The one way every front end records a decision (`vouch approve`,
/// `vouch review`, the language server): each judges the unit as the gate
/// and verify do first ([`crate::analysis::decision`], the editor's
/// buffer), so that what one refuses, all refuse.
pub fn decide_judged(
    ledger: &Ledger,
    path: &str,
    facts: &UnitFacts,
    judgement: &Judgement,
    reviewer: records::Person,
    verdict: Verdict,
    comment: Option<&str>,
) -> Result<Approval, SignoffError> {
    let repository = ledger.repository_id.as_deref().ok_or(SignoffError::NoCommits)?;
    if !judgement.requirement.needs_signoff {
        return Err(SignoffError::NotRequired { path: path.into(), unit: unit_label(&facts.unit) });
    }
    let requirement = &judgement.requirement;
    let allowed = match (verdict, requirement.is_automated(&reviewer.email)) {
        // An automated reviewer's verdict is recorded as one, where its
        // rule lets it clear the unit; its reject is advice.
        (Verdict::Approve, true) => requirement.may_clear(&reviewer.email, &judgement.participants),
        (Verdict::Reject, true) => Ok(()),
        (Verdict::Approve, false) => requirement.may_approve(&reviewer.email, &judgement.participants),
        (Verdict::Reject, false) => requirement.may_review(&reviewer.email),
    };
    allowed.map_err(|refusal| SignoffError::Refused {
        path: path.into(),
        unit: unit_label(&facts.unit),
        refusal: Box::new(refusal),
    })?;
    let fingerprint = &facts.unit.fingerprint;
    let automated = requirement.is_automated(&reviewer.email);
    let mut approval = Approval::new(repository, fingerprint, verdict, reviewer);
    approval.automated = automated;
    approval.comment = comment.filter(|c| !c.trim().is_empty()).map(str::to_string);
    approval.request = ledger
        .requests
        .for_fingerprint(fingerprint)
        .iter()
        .rev()
        .find(|r| !ledger.forged(fingerprint).iter().any(|f| f.request == r.id))
        .map(|r| r.id.clone());
    approval.path = Some(path.to_string());
    approval.base = judgement.base.clone();
    Ok(approval)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::{Person, RequestedUnit, UnitText, add, current_fingerprint_version, list_uncached};
    use crate::store::repo::tests::{commit_files, temp_repo};

    fn person(n: u64) -> Person {
        Person { name: format!("p{n}"), email: format!("p{n}@example.com") }
    }

    /// A requested unit of text `text` at `path`, stating `fingerprint`
    /// (its own unless forged).
    fn unit(text: &str, path: &str, fingerprint: Option<&str>) -> RequestedUnit {
        let own = crate::fingerprint::fingerprint("rust", "function", text.as_bytes());
        RequestedUnit {
            path: path.into(),
            language: "rust".into(),
            kind: "function".into(),
            name: Some("f".into()),
            fingerprint: fingerprint.map_or(own, str::to_string),
            fingerprint_version: current_fingerprint_version(),
            text: UnitText::Text(text.into()),
            ai_lines: vec![[1, 1]],
            tool: None,
            model: None,
            intents: Vec::new(),
        }
    }

    /// What a front end asks of a ledger about `fingerprint` and the units
    /// at `paths`, written out to compare.
    fn answers(ledger: &Ledger, policy: &Policy, fingerprint: &str, paths: &[&str]) -> String {
        let requirement = policy.requirement("src/a.rs", &[], 3);
        let judged = ledger.judge_fingerprint(requirement, fingerprint, &[], &["p9@example.com".into()], &|_| None);
        let approvals: Vec<&str> =
            ledger.approvals.for_fingerprint(fingerprint).iter().map(|a| a.id.as_str()).collect();
        let requests: Vec<&str> = ledger.requests.for_fingerprint(fingerprint).iter().map(|r| r.id.as_str()).collect();
        let retired: Vec<Vec<&str>> = paths
            .iter()
            .map(|p| {
                let found = ledger.approvals.retired_for_unit(&ledger.requests, p, "function", Some("f"));
                found.iter().map(|a| a.id.as_str()).collect()
            })
            .collect();
        format!(
            "{:?}\n{approvals:?}\n{requests:?}\n{:?}\n{:?}\n{:?}\n{retired:?}",
            judged.assessment,
            ledger.forged(fingerprint),
            ledger.requests.requesters(fingerprint),
            ledger.rationale_with_source(fingerprint),
        )
    }

    /// The ledger a process reads from the kept records cache, one
    /// fingerprint's records at a time, says what a ledger of every record
    /// read whole says: the same votes in the same order, requesters,
    /// forged requests, retired approvals and rationales.
    #[test]
    fn a_ledger_read_by_fingerprint_from_the_cache_answers_as_a_whole_read() {
        let (_dir, repo) = temp_repo();
        commit_files(&repo, &[("src/a.rs", "fn f() {}\n")], 1_700_000_000);
        let here = crate::store::repo::repository_id(&repo).unwrap();
        let elsewhere = "1".repeat(40);
        let texts: Vec<String> = (0..5).map(|n| format!("fn f() {{ {n} }}\n")).collect();
        let fingerprints: Vec<String> =
            texts.iter().map(|t| crate::fingerprint::fingerprint("rust", "function", t.as_bytes())).collect();
        let paths = ["src/a.rs", "src/b.rs"];
        // A small generator, so that every run makes the same records.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut request_ids = Vec::new();
        for r in 0..12 {
            let i = next(5) as usize;
            let path = paths[next(2) as usize];
            let forged = next(4) == 0;
            let text = if forged { "fn f() { evil }\n" } else { texts[i].as_str() };
            let mut units = vec![unit(text, path, forged.then_some(fingerprints[i].as_str()))];
            if next(2) == 0 {
                let j = next(5) as usize;
                units.push(unit(&texts[j], paths[next(2) as usize], None));
            }
            let repository = if next(6) == 0 { elsewhere.as_str() } else { here.as_str() };
            let mut request = Request::new(repository, person(next(4)), units);
            request.created = format!("2026-02-01T10:{:02}:00.000Z", next(60));
            if next(2) == 0 {
                // The same words in two requests, drafted in one.
                request.rationale = Some(format!("why {}", r % 6));
                request.rationale_from = (r % 4 == 0).then_some(records::RationaleFrom::Intent);
            }
            request_ids.push(add(&repo, &request).unwrap());
        }
        for _ in 0..30 {
            let i = next(5) as usize;
            let repository = if next(8) == 0 { elsewhere.as_str() } else { here.as_str() };
            let verdict = if next(4) == 0 { Verdict::Reject } else { Verdict::Approve };
            let mut approval = Approval::new(repository, &fingerprints[i], verdict, person(next(5)));
            approval.created = format!("2026-02-01T11:{:02}:00.000Z", next(60));
            if next(5) == 0 {
                // Made under the first fingerprint version: no longer counts.
                approval.fingerprint_version = None;
                approval.fingerprint = crate::store::records::v1_fingerprint("rust", "function", &texts[i]);
            }
            if next(2) == 0 {
                approval.request = Some(request_ids[next(12) as usize].clone());
            }
            approval.path = Some(paths[next(2) as usize].to_string());
            add(&repo, &approval).unwrap();
        }

        // Most records are in the keyed file, the last few in its delta.
        Ledger::load(&repo).unwrap();
        for n in 0..3 {
            let mut approval = Approval::new(&here, &fingerprints[n], Verdict::Approve, person(n as u64 + 1));
            approval.request = Some(request_ids[n].clone());
            add(&repo, &approval).unwrap();
        }
        add(&repo, &Request::new(&here, person(1), vec![unit("fn f() { evil }\n", paths[0], Some(&fingerprints[0]))]))
            .unwrap();
        let whole = Ledger::new(
            list_uncached::<Approval>(&repo).unwrap().records,
            list_uncached::<Request>(&repo).unwrap().records,
            Some(here.clone()),
            Vec::new(),
        );
        Ledger::load(&repo).unwrap();
        let kept = Ledger::load(&repo).unwrap();
        assert!(kept.approvals.is_keyed() && kept.requests.is_keyed(), "the second read uses the kept cache");
        let cache = repo.commondir().join("vouch").join("cache");
        assert!(cache.join("approval.delta").exists() && cache.join("request.delta").exists());
        let policy = Policy::parse(
            "reviewers = [\"p0@example.com\", \"p1@example.com\", \"p2@example.com\"]\napprovals = 2\n",
            ".vouch.toml",
        )
        .unwrap();
        let mut asked: Vec<String> = fingerprints.clone();
        asked.push(crate::fingerprint::sha256_hex(b"nothing"));
        let mut forged = 0;
        for fingerprint in &asked {
            let expected = answers(&whole, &policy, fingerprint, &paths);
            // A ledger asked about a few keys reads them one by one; one
            // asked about many reads every record at once.
            assert_eq!(answers(&Ledger::load(&repo).unwrap(), &policy, fingerprint, &paths), expected);
            assert_eq!(answers(&kept, &policy, fingerprint, &paths), expected);
            forged += whole.forged(fingerprint).len();
        }
        assert!(forged > 0, "the records include a forged request");
        assert!(!whole.approvals.retired().is_empty(), "and retired approvals");
        for id in &request_ids {
            assert_eq!(kept.requests.get(id).map(|r| &r.id), whole.requests.get(id).map(|r| &r.id));
        }
        let mut drafted = 0;
        for path in paths {
            let at = |l: &Ledger| l.requests.at_path(path).iter().map(|r| r.id.clone()).collect::<Vec<_>>();
            assert_eq!(at(&kept), at(&whole));
            assert!(!at(&whole).is_empty());
            for r in 0..6 {
                let why = format!("why {r}");
                assert_eq!(kept.rationale_source_of(path, &why), whole.rationale_source_of(path, &why));
                drafted += usize::from(whole.rationale_source_of(path, &why).is_some());
            }
        }
        assert!(drafted > 0, "a rationale drafted from intents is found by its path");
        let ids = |l: &Ledger| {
            let mut ids: Vec<String> = l.requests.iter().map(|r| r.id.clone()).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(&kept), ids(&whole));
        assert_eq!(kept.approvals.foreign().len(), whole.approvals.foreign().len());
        assert!(!whole.approvals.foreign().is_empty());
    }
}
