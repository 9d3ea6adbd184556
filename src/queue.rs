//! The reviewer's queue and the team's view of review: which requested units
//! still await sign-off (riskiest first, then oldest), how the load spreads
//! over reviewers, how long decisions take, how much of the new code AI
//! wrote per directory, how much senior review the policy's `[[triage]]`
//! saves, and the self-contained HTML report of all that.
//!
//! Everything here is pure: it takes records, the policy and facts that the
//! front ends read from git (`vouch review`, `vouch stats`, `vouch report`,
//! the language server's budget notice), and the current time as an
//! argument. It decides nothing about sign-off itself; that is
//! [`crate::signoff`]'s and [`crate::policy::assess`]'s.
//!
//! Load is reported for the team, to plan and share review, not to rank
//! people: reviewers are listed by name, never by how much they carry.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::policy::{Budget, Participants, Policy, Requirement, ReviewerSet, Risk, Status, Verdict};
use crate::signoff::Ledger;
use crate::store::records::{FingerprintStanding, Request, RequestedUnit, Stored, UnitText, Withdrawal};
use crate::syntax::{Language, SyntaxTree, review_units};
use crate::text::Text;

/// The reviewer bucket of units any peer may approve (a `[[triage]]` entry
/// with `peer = true`).
pub const ANY_PEER: &str = "any peer";
/// The reviewer bucket of units when the policy names no reviewers.
pub const ANYONE: &str = "anyone";

/// A request that asked for sign-off on a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRef {
    pub id: String,
    pub requester: String,
    pub requester_name: String,
    /// RFC 3339.
    pub created: String,
    pub rationale: Option<String>,
    /// Where the rationale's words came from when the requester did not
    /// type them: `intent`, drafted from the agent's recorded intent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale_from: Option<crate::store::records::RationaleFrom>,
}

/// An earlier version of a unit (same path, kind and name, another
/// fingerprint) that a reviewer rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub fingerprint: String,
    pub text: String,
    pub by: String,
    pub comment: Option<String>,
    /// RFC 3339.
    pub at: String,
}

/// A requested unit that still needs sign-off.
#[derive(Debug, Clone, Serialize)]
pub struct PendingUnit {
    /// Recomputed from `text`; units whose request states another are left
    /// out of the queue (see [`Queue::problems`]).
    pub fingerprint: String,
    pub path: String,
    pub language: String,
    pub kind: String,
    pub name: Option<String>,
    /// The unit's text as shown: its bytes, those that are not UTF-8 (a
    /// `file` unit) written `\xNN`.
    pub text: String,
    /// The unit's exact bytes: what a decision binds to.
    #[serde(skip)]
    pub bytes: UnitText,
    /// AI lines as `[first, last]`, 1-based, within `text`.
    pub ai_lines: Vec<[u32; 2]>,
    /// How many lines `ai_lines` covers.
    pub ai_line_count: usize,
    /// Lines an AI removed from it, where the front end holds the unit
    /// (the judge's count); `None` where only the request speaks of it (a
    /// request carries no removed line: one that names no AI line is of a
    /// unit an AI only removed lines from).
    pub ai_deleted_lines: Option<u32>,
    pub tool: Option<String>,
    pub model: Option<String>,
    /// Why the agent wrote the AI text, as the request carries it
    /// (attacker text: shown through `display`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub intents: Vec<crate::intent::Intent>,
    /// Risk tags of the unit's text (captures of `queries/<lang>/risk.scm`).
    pub risk: Vec<String>,
    /// The tags among `risk` that the policy's `[risk] raise` lists.
    pub raised_by: Vec<String>,
    /// The risk the policy's matching rule gives the path.
    pub path_risk: &'static str,
    /// A high-risk path or a raising tag.
    pub risky: bool,
    /// Who may sign off, as the policy names them.
    pub reviewers: Vec<String>,
    /// Approvals so far (entitled ones) and approvals needed.
    pub have: u32,
    pub need: u32,
    pub approved_by: Vec<String>,
    /// Everyone whose vote on this fingerprint counts (their latest vote
    /// stands).
    pub voted: Vec<String>,
    /// Votes on it that do not count, and why (an unsigned approval where
    /// the policy requires signatures, one of a fingerprint version that no
    /// longer counts): their reviewers are asked again.
    pub not_counted: Vec<String>,
    /// The requests that asked for it, oldest first.
    pub requests: Vec<RequestRef>,
    /// When sign-off was first requested (RFC 3339).
    pub waiting_since: String,
    pub earlier_rejection: Option<Rejection>,
    #[serde(skip)]
    pub requirement: Requirement,
    #[serde(skip)]
    pub participants: Participants,
    #[serde(skip)]
    waiting_since_time: OffsetDateTime,
}

impl PendingUnit {
    /// A trust file's change, a file's deletion or a change of its mode:
    /// the whole file, a unit no buffer holds.
    pub fn is_whole_file(&self) -> bool {
        crate::fingerprint::is_whole_file(&self.language)
    }

    /// "function `name`", the kind alone, "file deleted by AI", "file made
    /// executable by AI" or "trust-file".
    pub fn label(&self) -> String {
        if self.language == crate::fingerprint::DELETED {
            return format!("{} deleted by AI", self.kind);
        }
        if self.language == crate::fingerprint::MODE {
            return format!("file made {} by AI", crate::store::mode::described(&self.kind));
        }
        let kind = shown_kind(&self.language, &self.kind);
        match &self.name {
            Some(name) => format!("{kind} `{name}`"),
            None => kind.to_string(),
        }
    }

    /// "3 AI line(s)", "3 AI-deleted line(s)", "2 AI line(s), 1
    /// AI-deleted line(s)", or, for a unit an AI only removed lines from
    /// that only a request speaks of, "AI-deleted lines (how many: not in
    /// the request)".
    pub fn ai_summary(&self) -> String {
        match (self.ai_line_count, self.ai_deleted_lines) {
            (_, Some(0)) => format!("{} AI line(s)", self.ai_line_count),
            (0, Some(n)) => format!("{n} AI-deleted line(s)"),
            (lines, Some(n)) => format!("{lines} AI line(s), {n} AI-deleted line(s)"),
            (0, None) => "AI-deleted lines (how many: not in the request)".to_string(),
            (lines, None) => format!("{lines} AI line(s)"),
        }
    }

    /// The latest rationale any request gave.
    pub fn rationale(&self) -> Option<&str> {
        self.requests.iter().rev().find_map(|r| r.rationale.as_deref())
    }

    /// Where the words of [`PendingUnit::rationale`] came from, when the
    /// requester did not type them (drafted from the agent's intent).
    pub fn rationale_from(&self) -> Option<crate::store::records::RationaleFrom> {
        self.requests.iter().rev().find(|r| r.rationale.is_some()).and_then(|r| r.rationale_from)
    }

    /// How long it has waited, in seconds, at `now`.
    pub fn age(&self, now: OffsetDateTime) -> i64 {
        (now - self.waiting_since_time).whole_seconds().max(0)
    }

    /// Whether `email` may still act on it: an entitled reviewer who has
    /// not voted on this text yet.
    pub fn awaits(&self, email: &str) -> bool {
        self.requirement.may_sign_off(email, &self.participants)
            && !self.voted.iter().any(|v| v.eq_ignore_ascii_case(email))
    }

    /// The reviewer buckets this unit awaits: the listed reviewers who may
    /// still act on it, or [`ANY_PEER`] / [`ANYONE`].
    pub fn awaited_by(&self) -> Vec<String> {
        match &self.requirement.reviewers {
            ReviewerSet::Listed { emails, .. } => emails.iter().filter(|e| self.awaits(e)).cloned().collect(),
            ReviewerSet::Peers => vec![ANY_PEER.to_string()],
            ReviewerSet::Unconfigured => vec![ANYONE.to_string()],
        }
    }
}

/// The queue: units awaiting sign-off, riskiest first, then oldest; every
/// request's state; and what could not be queued.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    pub units: Vec<PendingUnit>,
    /// Every request of the repository and where it stands, oldest first.
    pub requests: Vec<RequestStatus>,
    /// Requested units left out, and why (a fingerprint that does not match
    /// the text, an unknown language).
    pub problems: Vec<String>,
}

impl Queue {
    /// The units `email` may sign off and has not voted on yet, in queue
    /// order.
    pub fn for_reviewer(&self, email: &str) -> Vec<&PendingUnit> {
        self.units.iter().filter(|u| u.awaits(email)).collect()
    }
}

/// The language named `name` ([`Language::name`]).
pub fn language_named(name: &str) -> Option<Language> {
    Language::ALL.into_iter().find(|l| l.name() == name)
}

/// The kind of a requested unit as verify, the gate and the editors name
/// it: a trust file's change is a `trust-file`, a file's deletion a
/// `deleted-file`, a change of its mode a `file-mode`; a request records
/// instead the kind its fingerprint binds (`present`, `absent`, `file`,
/// `submodule`, the new mode).
pub fn shown_kind<'a>(language: &str, kind: &'a str) -> &'a str {
    match language {
        crate::fingerprint::TRUST => TRUST_FILE,
        crate::fingerprint::DELETED => crate::signoff::DELETED_FILE,
        crate::fingerprint::MODE => crate::signoff::MODE_CHANGE,
        _ => kind,
    }
}

/// The kind of the unit a trust file's change is (see [`shown_kind`]).
pub const TRUST_FILE: &str = "trust-file";

/// The language of a requested unit: its grammar, or plain text for the
/// `file` and `submodule` units, a trust file's change, a file's deletion
/// and a change of its mode (which have no risk tags); `None` for a
/// language vouch does not know.
pub fn unit_language(unit: &RequestedUnit) -> Option<Language> {
    match (unit.language.as_str(), unit.kind.as_str()) {
        (crate::fingerprint::GIT, crate::fingerprint::SUBMODULE) => Some(Language::Text),
        (language, _) if crate::fingerprint::is_whole_file(language) => Some(Language::Text),
        (name, _) => language_named(name),
    }
}

/// The risk tags of a unit's bytes: none for bytes that are not UTF-8 (see
/// [`risk_tags`]).
pub fn unit_risk_tags(language: Language, text: &UnitText) -> Vec<String> {
    text.as_text().map_or_else(Vec::new, |text| risk_tags(language, text))
}

/// The risk tags of a unit's text, parsed on its own: the union of the tags
/// of the units found in it.
pub fn risk_tags(language: Language, text: &str) -> Vec<String> {
    let Ok(t) = Text::new(text.to_string()) else { return Vec::new() };
    let tree = SyntaxTree::new(language, text);
    // One range, the whole text: all of it counts as AI for the units query.
    let whole: Vec<std::ops::Range<usize>> = std::iter::once(0..text.len()).collect();
    let units = review_units(language, tree.as_ref().and_then(|t| t.tree()), &t, &whole);
    let mut tags: Vec<String> = units.into_iter().flat_map(|u| u.risk).collect();
    tags.sort();
    tags.dedup();
    tags
}

/// A unit's identity across versions: path, kind and name.
type VersionKey<'a> = (&'a str, &'a str, Option<&'a str>);

fn parse_time(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn line_count(ranges: &[[u32; 2]]) -> usize {
    crate::store::notes::merge_line_ranges(ranges.iter().copied()).iter().map(|[a, b]| (b - a + 1) as usize).sum()
}

// ---------------------------------------------------------------------------
// The life of a request

/// Where the code a request names is, as this clone sees it (see
/// [`Lifecycle::presence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// In the working tree, the index or a branch.
    Present,
    /// Committed here once, and in none of those any more: reset away,
    /// rewritten, dropped.
    Gone,
    /// Never committed here: a request made before its commit (as the
    /// pre-commit gate asks), or in another clone. Still awaited.
    Unseen,
}

/// Where a request stands. Only `awaiting` asks anything of a reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestState {
    /// Some unit still awaits sign-off.
    Awaiting,
    /// Every unit has its sign-off (or needs none any more).
    Approved,
    /// A reviewer rejected a unit: back with the requester.
    Rejected,
    /// Its requester withdrew it.
    Withdrawn,
    /// Closed: the code it names is gone (reset away, rewritten).
    CodeGone,
    /// Closed: the policy asks no sign-off for its units any more.
    NotRequired,
    /// Closed: its units use a fingerprint version that no longer counts
    /// (version 1): request the units again.
    Outdated,
    /// Closed: it cannot be decided on (a stated fingerprint that does not
    /// match its text, a language this vouch does not know).
    Unusable,
}

impl RequestState {
    pub const ALL: [RequestState; 8] = [
        RequestState::Awaiting,
        RequestState::Approved,
        RequestState::Rejected,
        RequestState::Withdrawn,
        RequestState::CodeGone,
        RequestState::NotRequired,
        RequestState::Outdated,
        RequestState::Unusable,
    ];

    /// As reports show it.
    pub fn label(self) -> &'static str {
        match self {
            RequestState::Awaiting => "awaiting",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Withdrawn => "withdrawn",
            RequestState::CodeGone => "closed: code gone",
            RequestState::NotRequired => "closed: needs no sign-off",
            RequestState::Outdated => "closed: fingerprint version 1 (request again)",
            RequestState::Unusable => "closed: cannot be decided on",
        }
    }

    /// Whether it was ever something a reviewer could decide on: awaiting,
    /// or decided (for latency).
    pub fn was_live(self) -> bool {
        matches!(self, RequestState::Awaiting | RequestState::Approved | RequestState::Rejected)
    }
}

/// A withdrawal that counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WithdrawalRef {
    pub id: String,
    pub by: String,
    /// RFC 3339.
    pub created: String,
    pub reason: Option<String>,
}

/// One request and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestStatus {
    pub id: String,
    pub requester: String,
    /// RFC 3339.
    pub created: String,
    pub state: RequestState,
    /// [`RequestState::label`].
    pub label: &'static str,
    pub units: usize,
    /// Its units still awaiting sign-off.
    pub awaiting_units: usize,
    /// Why it is closed, in words, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<WithdrawalRef>,
}

/// What decides the life of requests beyond the approvals: withdrawals,
/// and where their code is.
pub struct Lifecycle<'a> {
    /// Withdrawal records (of any repository: others' are ignored).
    pub withdrawals: &'a [Stored<Withdrawal>],
    /// Whether a withdrawal is signed as the policy asks: always true when
    /// the policy requires no signatures, else whether its signature
    /// verifies for the person it names.
    pub signed_as_required: &'a dyn Fn(&Stored<Withdrawal>) -> bool,
    /// Where a requested unit's code is.
    pub presence: &'a dyn Fn(&RequestedUnit) -> Presence,
    /// The judge's word on a requested unit the front end holds (the
    /// working tree's unit with its fingerprint: its real AI lines, who
    /// accepted them, who authored the commits that touched it), by which
    /// the queue offers it, as `vouch approve` and verify judge it; `None`
    /// when it holds no such unit, and the request's own account is all
    /// there is.
    pub held: &'a dyn Fn(&RequestedUnit) -> Option<Held>,
    /// The risk tags of a requested unit whose fingerprint matches its
    /// text, in its language: [`unit_risk_tags`], or what an earlier read
    /// kept of it (a pure function of the text).
    pub risk_tags: &'a dyn Fn(&RequestedUnit, Language) -> Vec<String>,
}

/// A requested unit as the front end's judge sees it where it holds the
/// unit ([`Lifecycle::held`]).
#[derive(Debug, Clone)]
pub struct Held {
    pub judgement: crate::signoff::Judgement,
    /// Its AI lines as the judge counts them, `[first, last]`, 1-based
    /// within its text.
    pub ai_lines: Vec<[u32; 2]>,
    /// Lines an AI removed from it.
    pub ai_deleted: u32,
}

impl Lifecycle<'_> {
    /// No withdrawals, and no code seen anywhere: requests close only by
    /// decisions and by being rewritten.
    pub fn none() -> Lifecycle<'static> {
        Lifecycle {
            withdrawals: &[],
            signed_as_required: &|_| true,
            presence: &|_| Presence::Unseen,
            held: &|_| None,
            risk_tags: &|unit, language| unit_risk_tags(language, &unit.text),
        }
    }
}

/// The state of a request's unit, before the request's own.
fn unit_state(status: &Status, presence: Presence, rewritten: bool) -> RequestState {
    match status {
        Status::Approved { .. } => RequestState::Approved,
        Status::Rejected { .. } => RequestState::Rejected,
        Status::NotRequired => RequestState::NotRequired,
        Status::Requested { .. } | Status::Pending { .. } => match presence {
            Presence::Present => RequestState::Awaiting,
            Presence::Gone => RequestState::CodeGone,
            Presence::Unseen if rewritten => RequestState::CodeGone,
            Presence::Unseen => RequestState::Awaiting,
        },
    }
}

/// A request's state from its units': awaiting while any unit awaits, then
/// rejected, then approved, then why it closed.
fn request_state(units: &[RequestState]) -> RequestState {
    for state in [RequestState::Awaiting, RequestState::Rejected, RequestState::Approved] {
        if units.contains(&state) {
            return state;
        }
    }
    units.iter().copied().min().unwrap_or(RequestState::Unusable)
}

/// The units of `requests` (records of the ledger's repository; others are
/// ignored) that still need sign-off under `policy`, riskiest first
/// ([`order`]), with no withdrawals and no code seen ([`Lifecycle::none`]).
/// `verified` says whether an approval's signature checks out.
pub fn pending(
    ledger: &Ledger,
    policy: &Policy,
    requests: &[Stored<Request>],
    verified: crate::signoff::Verified<'_>,
) -> Queue {
    let requests: Vec<&Stored<Request>> = requests.iter().collect();
    pending_with(ledger, policy, &requests, verified, &Lifecycle::none())
}

/// Every request's state and the units awaiting sign-off: the units of
/// awaiting requests (of the ledger's repository) that still need
/// sign-off under `policy`, riskiest first ([`order`]). A fingerprint
/// requested several times is one unit.
///
/// A request is closed by its requester's withdrawal ([`Lifecycle`]; one by
/// anyone else, or unsigned where signatures are required, is ignored and
/// said so), by the decisions on its units, or when its code is gone: a
/// unit committed here once and in no tree now ([`Presence::Gone`]), or
/// never seen here and rewritten since (a later request names another text
/// of the same named unit). Closing takes no approval and no rejection
/// away, and a requester stays a participant.
pub fn pending_with(
    ledger: &Ledger,
    policy: &Policy,
    requests: &[&Stored<Request>],
    verified: crate::signoff::Verified<'_>,
    life: &Lifecycle<'_>,
) -> Queue {
    let mut queue = Queue::default();
    let Some(repository) = ledger.repository_id.as_deref() else { return queue };
    let mut ours: Vec<&Stored<Request>> =
        requests.iter().copied().filter(|r| r.record.repository == repository).collect();
    ours.sort_by_cached_key(|r| (parse_time(&r.record.created), r.id.clone()));

    let (withdrawn, problems) = withdrawals_that_count(&ours, life);
    queue.problems.extend(problems);

    // Every version of each (path, kind, name), to find earlier rejected
    // ones, and the latest request of each named unit, to find rewritten
    // ones.
    let mut versions: HashMap<VersionKey<'_>, Vec<(&str, &UnitText)>> = HashMap::new();
    let mut latest: HashMap<VersionKey<'_>, (usize, &str)> = HashMap::new();
    for (i, request) in ours.iter().enumerate() {
        for unit in &request.record.units {
            let key = (unit.path.as_str(), unit.kind.as_str(), unit.name.as_deref());
            let list = versions.entry(key).or_default();
            if !list.iter().any(|(fp, _)| *fp == unit.fingerprint) {
                list.push((unit.fingerprint.as_str(), &unit.text));
            }
            if unit.name.is_some() {
                latest.insert(key, (i, unit.fingerprint.as_str()));
            }
        }
    }

    let mut judged: HashMap<String, crate::signoff::Judgement> = HashMap::new();
    // The AI lines and AI-removed lines of the units the front end holds.
    let mut held: HashMap<String, (Vec<[u32; 2]>, u32)> = HashMap::new();
    let mut by_fingerprint: BTreeMap<String, PendingUnit> = BTreeMap::new();
    for (i, request) in ours.iter().enumerate() {
        let r = &request.record;
        let short = &request.id[..12.min(request.id.len())];
        let withdrawal = withdrawn.get(request.id.as_str()).cloned();
        let reference = RequestRef {
            id: request.id.clone(),
            requester: r.requester.email.clone(),
            requester_name: r.requester.name.clone(),
            created: r.created.clone(),
            rationale: r.rationale.clone(),
            rationale_from: r.rationale.as_ref().and(r.rationale_from),
        };
        let mut states = Vec::with_capacity(r.units.len());
        let mut details: Vec<String> = Vec::new();
        let mut awaiting: Vec<(&RequestedUnit, Language, Vec<String>)> = Vec::new();
        for unit in &r.units {
            let Some(language) = unit_language(unit) else {
                queue.problems.push(format!(
                    "request {short}: {} in {}: unknown language `{}`",
                    unit.kind, unit.path, unit.language
                ));
                states.push(RequestState::Unusable);
                continue;
            };
            // A unit of fingerprint version 1 is not forged: it no longer
            // counts, and is said to be so.
            let standing = unit.standing();
            if standing != FingerprintStanding::Counts {
                if withdrawal.is_none() {
                    queue.problems.push(format!("request {short}: {} in {}: {standing}", unit.kind, unit.path));
                }
                states.push(match standing {
                    FingerprintStanding::Retired { .. } => RequestState::Outdated,
                    _ => RequestState::Unusable,
                });
                continue;
            }
            let fingerprint = unit.fingerprint.as_str();
            let risk = (life.risk_tags)(unit, language);
            // Judged as the front end's judge judges the unit it holds,
            // else on the request's own account.
            if !judged.contains_key(fingerprint) {
                let judgement = match (life.held)(unit) {
                    Some(h) => {
                        held.insert(fingerprint.to_string(), (h.ai_lines, h.ai_deleted));
                        h.judgement
                    }
                    None => {
                        let requirement = if unit.is_trust_file() {
                            policy.trust_requirement(&unit.path)
                        } else {
                            policy.requirement(&unit.path, &risk, crate::signoff::requested_amount(unit))
                        };
                        ledger.judge_fingerprint(requirement, fingerprint, &[], &[], verified)
                    }
                };
                judged.insert(fingerprint.to_string(), judgement);
            }
            let judgement = &judged[fingerprint];
            let key = (unit.path.as_str(), unit.kind.as_str(), unit.name.as_deref());
            let rewritten = latest.get(&key).is_some_and(|&(j, fp)| j > i && fp != fingerprint);
            let presence = match judgement.assessment.status {
                Status::Requested { .. } | Status::Pending { .. } => (life.presence)(unit),
                _ => Presence::Present,
            };
            let state = unit_state(&judgement.assessment.status, presence, rewritten);
            match (state, presence) {
                (RequestState::CodeGone, Presence::Gone) => details.push(format!(
                    "{} in {}: committed here once, in no branch, index or working tree now",
                    label_of(unit),
                    unit.path
                )),
                (RequestState::CodeGone, _) => details.push(format!(
                    "{} in {}: rewritten (a later request asks for another text of it)",
                    label_of(unit),
                    unit.path
                )),
                _ => {}
            }
            if state == RequestState::Awaiting {
                awaiting.push((unit, language, risk));
            }
            states.push(state);
        }
        let state = if withdrawal.is_some() { RequestState::Withdrawn } else { request_state(&states) };
        let detail = match state {
            RequestState::Withdrawn => withdrawal.as_ref().map(|w| match &w.reason {
                Some(reason) => format!("withdrawn by {} on {}: {reason}", w.by, w.created),
                None => format!("withdrawn by {} on {}", w.by, w.created),
            }),
            RequestState::CodeGone => Some(details.join("; ")),
            _ => None,
        };
        queue.requests.push(RequestStatus {
            id: request.id.clone(),
            requester: r.requester.email.clone(),
            created: r.created.clone(),
            state,
            label: state.label(),
            units: r.units.len(),
            awaiting_units: if state == RequestState::Awaiting { awaiting.len() } else { 0 },
            detail,
            withdrawal,
        });
        if state != RequestState::Awaiting {
            continue;
        }
        for (unit, _language, risk) in awaiting {
            let actual = unit.fingerprint.clone();
            if let Some(existing) = by_fingerprint.get_mut(&actual) {
                if !existing.requests.iter().any(|q| q.id == reference.id) {
                    existing.requests.push(reference.clone());
                }
                continue;
            }
            let Some(judgement) = judged.get(&actual) else { continue };
            let (Status::Requested { have, need, by } | Status::Pending { have, need, by }) =
                judgement.assessment.status.clone()
            else {
                continue;
            };
            let (requirement, participants) = (judgement.requirement.clone(), judgement.participants.clone());
            // Who voted in a way that counts: their vote stands. A vote that
            // does not count (unsigned where signatures are required, say)
            // leaves the unit in its reviewer's queue, with the reason.
            let ignored: Vec<&str> = judgement.assessment.ignored.iter().map(|g| g.id.as_str()).collect();
            let mut voted: Vec<String> = Vec::new();
            for a in ledger.approvals.for_fingerprint(&actual) {
                if ignored.contains(&a.id.as_str()) {
                    continue;
                }
                if !voted.iter().any(|v| v.eq_ignore_ascii_case(&a.record.reviewer.email)) {
                    voted.push(a.record.reviewer.email.clone());
                }
            }
            let not_counted: Vec<String> = judgement
                .assessment
                .ignored
                .iter()
                .map(|g| format!("{} by {} does not count: {}", g.verdict.noun(), g.email, g.refusal))
                .chain(
                    ledger
                        .approvals
                        .retired_for_unit(&ledger.requests, &unit.path, &unit.kind, unit.name.as_deref())
                        .into_iter()
                        .map(crate::store::records::describe_not_counted),
                )
                .collect();
            let key = (unit.path.as_str(), unit.kind.as_str(), unit.name.as_deref());
            let earlier_rejection = versions
                .get(&key)
                .into_iter()
                .flatten()
                .filter(|(fp, _)| *fp != actual)
                .filter_map(|(fp, text)| {
                    let reject = ledger
                        .approvals
                        .for_fingerprint(fp)
                        .into_iter()
                        .rev()
                        .find(|a| a.record.decision == Verdict::Reject)?;
                    Some(Rejection {
                        fingerprint: fp.to_string(),
                        text: text.to_text_lossless().into_owned(),
                        by: reject.record.reviewer.email.clone(),
                        comment: reject.record.comment.clone(),
                        at: reject.record.created.clone(),
                    })
                })
                .max_by_key(|rej| parse_time(&rej.at));
            let reviewers = match &requirement.reviewers {
                ReviewerSet::Listed { names, .. } => names.clone(),
                ReviewerSet::Peers => vec![ANY_PEER.to_string()],
                ReviewerSet::Unconfigured => Vec::new(),
            };
            // As the judge counts them where the front end holds the unit;
            // else as the request states them (it carries no removed line,
            // so how many went is not known then).
            let (ai_lines, ai_deleted_lines) = match held.get(&actual) {
                Some((lines, deleted)) => (lines.clone(), Some(*deleted)),
                None => (unit.ai_lines.clone(), None),
            };
            by_fingerprint.insert(
                actual.clone(),
                PendingUnit {
                    fingerprint: actual,
                    path: unit.path.clone(),
                    language: unit.language.clone(),
                    kind: unit.kind.clone(),
                    name: unit.name.clone(),
                    text: unit.text.to_text_lossless().into_owned(),
                    bytes: unit.text.clone(),
                    ai_lines: ai_lines.clone(),
                    ai_line_count: line_count(&ai_lines),
                    ai_deleted_lines,
                    tool: unit.tool.clone(),
                    model: unit.model.clone(),
                    intents: unit.intents.clone(),
                    raised_by: requirement.raised_by.clone(),
                    path_risk: requirement.path_risk.label(),
                    risky: requirement.risky(),
                    risk,
                    reviewers,
                    have,
                    need,
                    approved_by: by,
                    voted,
                    not_counted,
                    waiting_since: r.created.clone(),
                    waiting_since_time: parse_time(&r.created),
                    requests: vec![reference.clone()],
                    earlier_rejection,
                    requirement,
                    participants,
                },
            );
        }
    }
    queue.units = by_fingerprint.into_values().collect();
    order(&mut queue.units);
    queue
}

/// The withdrawals of `requests` that count, by request id (the first
/// one of each), and why the others do not: a withdrawal counts when it is
/// by the request's requester and signed as the policy asks
/// ([`Lifecycle::signed_as_required`]). `requests` are those of one
/// repository; withdrawals of others are ignored.
pub fn withdrawals_that_count<'r>(
    requests: &[&'r Stored<Request>],
    life: &Lifecycle<'_>,
) -> (HashMap<&'r str, WithdrawalRef>, Vec<String>) {
    let mut withdrawn: HashMap<&str, WithdrawalRef> = HashMap::new();
    let mut problems = Vec::new();
    let Some(repository) = requests.first().map(|r| r.record.repository.as_str()) else {
        return (withdrawn, problems);
    };
    let mut withdrawals: Vec<&Stored<Withdrawal>> =
        life.withdrawals.iter().filter(|w| w.record.repository == repository).collect();
    withdrawals.sort_by_cached_key(|w| (parse_time(&w.record.created), w.id.clone()));
    let by_id: HashMap<&str, &Stored<Request>> = requests.iter().map(|r| (r.id.as_str(), *r)).collect();
    for w in withdrawals {
        let short = &w.id[..12.min(w.id.len())];
        let Some(&request) = by_id.get(w.record.request.as_str()) else {
            problems.push(format!(
                "withdrawal {short} names request {}, which is not here (vouch sync fetches others' requests)",
                &w.record.request[..12.min(w.record.request.len())]
            ));
            continue;
        };
        let requester = &request.record.requester.email;
        if !w.record.by.email.eq_ignore_ascii_case(requester) {
            problems.push(format!(
                "withdrawal {short} of request {} by {} is ignored: only its requester ({requester}) may withdraw it",
                &request.id[..12],
                w.record.by.email
            ));
            continue;
        }
        if !(life.signed_as_required)(w) {
            problems.push(format!(
                "withdrawal {short} of request {} by {} is ignored: the policy requires signatures and its \
                 signature does not verify",
                &request.id[..12],
                w.record.by.email
            ));
            continue;
        }
        withdrawn.entry(request.id.as_str()).or_insert_with(|| WithdrawalRef {
            id: w.id.clone(),
            by: w.record.by.email.clone(),
            created: w.record.created.clone(),
            reason: w.record.reason.clone(),
        });
    }
    (withdrawn, problems)
}

/// "function `name`", or the kind alone, of a requested unit.
fn label_of(unit: &RequestedUnit) -> String {
    match &unit.name {
        Some(name) => format!("{} `{name}`", unit.kind),
        None => unit.kind.clone(),
    }
}

/// How many requests are in each state, in [`RequestState::ALL`]'s order
/// (states no request is in left out).
pub fn request_counts(requests: &[RequestStatus]) -> Vec<Bucket> {
    RequestState::ALL
        .iter()
        .map(|&state| Bucket {
            label: state.label().to_string(),
            count: requests.iter().filter(|r| r.state == state).count(),
        })
        .filter(|b| b.count > 0)
        .collect()
}

/// Queue order: risky units first (a high-risk path or a raising tag), then
/// by path risk, then by number of risk tags, then the oldest; ties by path
/// and fingerprint, so the order is the same everywhere.
pub fn order(units: &mut [PendingUnit]) {
    fn risk_rank(label: &str) -> u8 {
        match label {
            "high" => 2,
            "medium" => 1,
            _ => 0,
        }
    }
    units.sort_by(|a, b| {
        let key = |u: &PendingUnit| {
            (
                std::cmp::Reverse(u.risky),
                std::cmp::Reverse(risk_rank(u.path_risk)),
                std::cmp::Reverse(u.raised_by.len()),
                std::cmp::Reverse(u.risk.len()),
                u.waiting_since_time,
            )
        };
        key(a).cmp(&key(b)).then_with(|| (&a.path, &a.fingerprint).cmp(&(&b.path, &b.fingerprint)))
    });
}

// ---------------------------------------------------------------------------
// Differences from a rejected version

/// One line of a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffTag {
    Same,
    Removed,
    Added,
    /// Unchanged lines left out between two groups of changes.
    Gap,
}

/// A line diff of `old` to `new`, with three lines of context around each
/// change; each line without its line break.
///
/// Lines are split where git splits them, at LF only (a lone CR is part of
/// its line, to be shown, never a line break); a line's CRLF end is dropped
/// only where every line end of its text is CRLF (see [`crate::display`]).
pub fn line_diff(old: &str, new: &str) -> Vec<(DiffTag, String)> {
    fn lines(text: &str) -> Vec<&str> {
        let windows = crate::display::has_windows_line_ends(text);
        text.split_inclusive('\n')
            .map(|l| {
                let l = l.strip_suffix('\n').unwrap_or(l);
                if windows { l.strip_suffix('\r').unwrap_or(l) } else { l }
            })
            .collect()
    }
    let (old, new) = (lines(old), lines(new));
    let diff = similar::TextDiff::from_slices(&old, &new);
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            out.push((DiffTag::Gap, String::new()));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let tag = match change.tag() {
                    similar::ChangeTag::Equal => DiffTag::Same,
                    similar::ChangeTag::Delete => DiffTag::Removed,
                    similar::ChangeTag::Insert => DiffTag::Added,
                };
                out.push((tag, change.value().to_string()));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Load and budget

/// The queue as one reviewer (or bucket) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewerLoad {
    /// An email, or [`ANY_PEER`] / [`ANYONE`].
    pub reviewer: String,
    pub units: usize,
    pub ai_lines: usize,
    /// The age of the oldest unit awaiting them, in seconds.
    pub oldest_seconds: i64,
    /// More AI lines await them than the policy's `[budget]` allows.
    pub over_budget: bool,
}

/// Units and AI lines awaiting each reviewer, by reviewer name (a unit that
/// several people may sign off counts for each of them).
pub fn reviewer_load(units: &[PendingUnit], budget: &Budget, now: OffsetDateTime) -> Vec<ReviewerLoad> {
    let mut by: BTreeMap<String, ReviewerLoad> = BTreeMap::new();
    for unit in units {
        for reviewer in unit.awaited_by() {
            let load = by.entry(reviewer.clone()).or_insert_with(|| ReviewerLoad {
                reviewer,
                units: 0,
                ai_lines: 0,
                oldest_seconds: 0,
                over_budget: false,
            });
            load.units += 1;
            load.ai_lines += unit.ai_line_count;
            load.oldest_seconds = load.oldest_seconds.max(unit.age(now));
        }
    }
    let mut loads: Vec<ReviewerLoad> = by.into_values().collect();
    for load in &mut loads {
        load.over_budget = is_person(&load.reviewer)
            && budget.ai_lines_per_reviewer.is_some_and(|limit| load.ai_lines > limit as usize);
    }
    loads
}

fn is_person(reviewer: &str) -> bool {
    reviewer != ANY_PEER && reviewer != ANYONE
}

/// A reviewer who has more AI lines waiting than the budget allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetNotice {
    pub reviewer: String,
    pub ai_lines: usize,
    pub budget: u32,
}

impl std::fmt::Display for BudgetNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} AI lines now await {} (the review budget is {} per reviewer); consider splitting the change into smaller requests",
            self.ai_lines, self.reviewer, self.budget
        )
    }
}

/// The reviewers among `reviewers` (emails; any case) whose waiting AI
/// lines exceed the budget. Nothing without a budget.
pub fn over_budget(loads: &[ReviewerLoad], budget: &Budget, reviewers: &[String]) -> Vec<BudgetNotice> {
    let Some(limit) = budget.ai_lines_per_reviewer else { return Vec::new() };
    loads
        .iter()
        .filter(|l| is_person(&l.reviewer) && l.ai_lines > limit as usize)
        .filter(|l| reviewers.iter().any(|r| r.eq_ignore_ascii_case(&l.reviewer)))
        .map(|l| BudgetNotice { reviewer: l.reviewer.clone(), ai_lines: l.ai_lines, budget: limit })
        .collect()
}

/// The queue at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueSummary {
    pub units: usize,
    pub ai_lines: usize,
    /// Distinct requests with a unit still waiting.
    pub requests: usize,
    /// The oldest waiting unit's age in seconds, and when it was requested.
    pub oldest_seconds: Option<i64>,
    pub oldest_request: Option<String>,
}

pub fn summary(units: &[PendingUnit], now: OffsetDateTime) -> QueueSummary {
    let mut requests: Vec<&str> = units.iter().flat_map(|u| u.requests.iter().map(|r| r.id.as_str())).collect();
    requests.sort_unstable();
    requests.dedup();
    let oldest = units.iter().max_by_key(|u| u.age(now));
    QueueSummary {
        units: units.len(),
        ai_lines: units.iter().map(|u| u.ai_line_count).sum(),
        requests: requests.len(),
        oldest_seconds: oldest.map(|u| u.age(now)),
        oldest_request: oldest.map(|u| u.waiting_since.clone()),
    }
}

/// A labelled count, for the report's charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub label: String,
    pub count: usize,
}

/// Waiting units by age: under a day, 1–3 days, 3–7 days, 1–2 weeks, older.
pub fn age_buckets(units: &[PendingUnit], now: OffsetDateTime) -> Vec<Bucket> {
    const DAY: i64 = 86_400;
    let bounds = [(DAY, "< 1 day"), (3 * DAY, "1–3 days"), (7 * DAY, "3–7 days"), (14 * DAY, "1–2 weeks")];
    let mut counts = vec![0usize; bounds.len() + 1];
    for unit in units {
        let age = unit.age(now);
        let i = bounds.iter().position(|(limit, _)| age < *limit).unwrap_or(bounds.len());
        counts[i] += 1;
    }
    let labels = bounds.iter().map(|(_, l)| *l).chain(["> 2 weeks"]);
    labels.zip(counts).map(|(label, count)| Bucket { label: label.to_string(), count }).collect()
}

/// Waiting units by risk: each raising tag, a high- or medium-risk path,
/// and "low" for the rest (a unit with two tags counts for both).
pub fn risk_mix(units: &[PendingUnit]) -> Vec<Bucket> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for unit in units {
        let mut labels: Vec<String> = unit.raised_by.clone();
        if unit.path_risk != Risk::Low.label() {
            labels.push(format!("{} path", unit.path_risk));
        }
        if labels.is_empty() {
            labels.push("low".to_string());
        }
        for label in labels {
            *counts.entry(label).or_default() += 1;
        }
    }
    let mut buckets: Vec<Bucket> = counts.into_iter().map(|(label, count)| Bucket { label, count }).collect();
    buckets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    buckets
}

// ---------------------------------------------------------------------------
// Latency

/// How long sign-off takes: from a request to the first decision (approve or
/// reject) on each of its units.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Latency {
    /// Requested units with a decision since.
    pub decided: usize,
    /// Requested units with none yet.
    pub undecided: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// The latency of every unit of `requests` (of the ledger's repository).
pub fn latency(ledger: &Ledger, requests: &[Stored<Request>]) -> Latency {
    let Some(repository) = ledger.repository_id.as_deref() else { return Latency::default() };
    let mut times = Vec::new();
    let mut undecided = 0;
    for request in requests.iter().filter(|r| r.record.repository == repository) {
        let asked = parse_time(&request.record.created);
        for unit in &request.record.units {
            let first = ledger
                .approvals
                .for_fingerprint(&unit.fingerprint)
                .iter()
                .map(|a| parse_time(&a.record.created))
                .find(|t| *t >= asked);
            match first {
                Some(t) => times.push((t - asked).whole_seconds()),
                None => undecided += 1,
            }
        }
    }
    times.sort_unstable();
    Latency {
        decided: times.len(),
        undecided,
        median_seconds: percentile(&times, 50),
        p90_seconds: percentile(&times, 90),
    }
}

/// The nearest-rank percentile of sorted `values`.
pub fn percentile(values: &[i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let rank = (values.len() * p as usize).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

// ---------------------------------------------------------------------------
// AI share

/// What one commit of the range added, line by line as the range's
/// lineage judges it (`store::lineage`): the one definition of an AI line
/// that `vouch verify` judges by, with AI origin sticky through rewording,
/// re-indentation and moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitLines {
    pub id: String,
    /// Commit time, seconds since the epoch.
    pub time: i64,
    /// The author's email.
    pub author: String,
    pub merge: bool,
    /// The evidence it carries, as `vouch verify`'s coverage names it
    /// (`vouch note`, `git-ai note`, `trailer: claude`, `aider author`,
    /// `bot author: …`); none: no provenance.
    pub evidence: Vec<String>,
    pub files: Vec<FileLines>,
    /// AI lines it added, by tool and model.
    pub tools: Vec<ToolLines>,
}

impl CommitLines {
    pub fn added(&self) -> usize {
        self.files.iter().map(|f| f.added).sum()
    }

    pub fn ai(&self) -> usize {
        self.files.iter().map(|f| f.ai).sum()
    }
}

/// Lines one commit added to one file (in none of its parents' versions),
/// and what the lineage says of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileLines {
    pub path: String,
    pub added: usize,
    pub ai: usize,
    /// Of `ai`: AI because the commit rewrote or moved AI text, not by its
    /// own evidence.
    pub carried: usize,
    /// Lines a note says are not AI (a vouch note, a git-ai note naming a
    /// human).
    pub attested: usize,
}

/// AI lines written by one tool (and model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolLines {
    pub tool: String,
    pub model: Option<String>,
    pub ai_lines: usize,
}

/// Added and AI lines for a directory or a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    pub label: String,
    pub added_lines: usize,
    pub ai_lines: usize,
    /// `ai_lines / added_lines`, from 0 to 1; `None` with nothing added.
    pub share: Option<f64>,
}

impl Share {
    fn new(label: String, added_lines: usize, ai_lines: usize) -> Share {
        let share = (added_lines > 0).then(|| ai_lines as f64 / added_lines as f64);
        Share { label, added_lines, ai_lines, share }
    }
}

/// The commits that carry one kind of evidence, and the lines they added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceShare {
    /// `vouch note`, `git-ai note`, `trailer`, `aider author`,
    /// `bot author`, or `none` (no provenance at all).
    pub kind: String,
    pub commits: usize,
    pub added_lines: usize,
    pub ai_lines: usize,
}

/// The evidence kinds, in the order reports list them.
pub const EVIDENCE_KINDS: [&str; 5] = ["vouch note", "git-ai note", "trailer", "aider author", "bot author"];

/// The kind of an evidence label (`trailer: claude` is a `trailer`).
pub fn evidence_kind(label: &str) -> &str {
    label.split_once(':').map_or(label, |(kind, _)| kind).trim()
}

/// The AI share of the lines added in a range of commits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AiShare {
    /// Commits in the range, merges included (a merge adds the lines it
    /// wrote itself: a conflict's resolution, an evil merge).
    pub commits: usize,
    pub merges: usize,
    /// Non-merge commits with a vouch note.
    pub commits_with_note: usize,
    /// Non-merge commits with any provenance (a vouch or git-ai note, an AI
    /// trailer, aider, a bot author); the lines of the others are
    /// unattested, not human.
    pub commits_with_provenance: usize,
    pub total: Share,
    /// Of the AI lines: AI because a commit rewrote or moved AI text of the
    /// range rather than by its own evidence.
    pub carried_lines: usize,
    /// Lines a note says are not AI.
    pub attested_lines: usize,
    /// Lines with no evidence either way: unattested, not human.
    pub unknown_lines: usize,
    /// Per kind of evidence ([`EVIDENCE_KINDS`], then `none`): the commits
    /// carrying it and the lines they added (a commit with two kinds counts
    /// under each).
    pub evidence: Vec<EvidenceShare>,
    /// AI lines per tool and model, most first.
    pub tools: Vec<ToolLines>,
    /// Per commit author, by email: for planning, not ranking (listed by
    /// name).
    pub authors: Vec<Share>,
    /// By the directory holding the file ("." for the root), most lines
    /// added first.
    pub directories: Vec<Share>,
    /// `"week"` (ISO weeks) or `"commit"`.
    pub period: &'static str,
    /// Oldest first.
    pub over_time: Vec<Share>,
}

/// The directory of `path` ("." for a file at the root).
pub fn directory_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

/// The AI share of `commits` (newest or oldest first; any order), per
/// evidence kind, tool, author and directory, and over time: per ISO week
/// when the commits span more than one week, else per commit.
pub fn ai_share(commits: &[CommitLines]) -> AiShare {
    let mut dirs: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut authors: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut tools: BTreeMap<(&str, Option<&str>), usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let (mut added, mut ai, mut carried, mut attested) = (0, 0, 0, 0);
    for commit in commits {
        for file in &commit.files {
            let entry = dirs.entry(directory_of(&file.path)).or_default();
            entry.0 += file.added;
            entry.1 += file.ai;
            added += file.added;
            ai += file.ai;
            carried += file.carried;
            attested += file.attested;
        }
        let entry = authors.entry(commit.author.to_ascii_lowercase()).or_default();
        entry.0 += commit.added();
        entry.1 += commit.ai();
        for t in &commit.tools {
            *tools.entry((t.tool.as_str(), t.model.as_deref())).or_default() += t.ai_lines;
        }
        let mut own: Vec<&str> = commit.evidence.iter().map(|l| evidence_kind(l)).collect();
        own.sort_unstable();
        own.dedup();
        if own.is_empty() && !commit.merge {
            own.push("none");
        }
        for kind in own {
            let entry = kinds.entry(kind).or_default();
            entry.0 += 1;
            entry.1 += commit.added();
            entry.2 += commit.ai();
        }
    }
    let mut directories: Vec<Share> = dirs.into_iter().map(|(d, (a, i))| Share::new(d.to_string(), a, i)).collect();
    directories.sort_by(|a, b| b.added_lines.cmp(&a.added_lines).then_with(|| a.label.cmp(&b.label)));
    let authors = authors.into_iter().map(|(who, (a, i))| Share::new(who, a, i)).collect();
    let mut tools: Vec<ToolLines> = tools
        .into_iter()
        .map(|((tool, model), n)| ToolLines { tool: tool.to_string(), model: model.map(str::to_string), ai_lines: n })
        .collect();
    tools.sort_by(|a, b| b.ai_lines.cmp(&a.ai_lines).then_with(|| (&a.tool, &a.model).cmp(&(&b.tool, &b.model))));
    let kind_share = |kind: &str| {
        let (commits, added_lines, ai_lines) = kinds.get(kind).copied().unwrap_or_default();
        EvidenceShare { kind: kind.to_string(), commits, added_lines, ai_lines }
    };
    let mut evidence: Vec<EvidenceShare> = EVIDENCE_KINDS.iter().map(|k| kind_share(k)).collect();
    // Kinds a newer vouch may name, then commits with none.
    for kind in kinds.keys().filter(|k| !EVIDENCE_KINDS.contains(k) && **k != "none") {
        evidence.push(kind_share(kind));
    }
    evidence.push(kind_share("none"));

    let mut sorted: Vec<&CommitLines> = commits.iter().collect();
    sorted.sort_by_key(|c| c.time);
    let week = |c: &CommitLines| {
        OffsetDateTime::from_unix_timestamp(c.time).map_or((1970, 1), |t| (t.to_iso_week_date().0, t.iso_week()))
    };
    let mut weeks: Vec<(i32, u8)> = sorted.iter().map(|c| week(c)).collect();
    weeks.dedup();
    let (period, over_time) = if weeks.len() > 1 {
        let mut by_week: BTreeMap<(i32, u8), (usize, usize)> = BTreeMap::new();
        for c in &sorted {
            let entry = by_week.entry(week(c)).or_default();
            entry.0 += c.added();
            entry.1 += c.ai();
        }
        let shares = by_week.into_iter().map(|((y, w), (a, i))| Share::new(format!("{y}-W{w:02}"), a, i)).collect();
        ("week", shares)
    } else {
        let shares = sorted.iter().map(|c| Share::new(c.id.chars().take(7).collect(), c.added(), c.ai())).collect();
        ("commit", shares)
    };
    let plain = |c: &&CommitLines| !c.merge;
    AiShare {
        commits: commits.len(),
        merges: commits.iter().filter(|c| c.merge).count(),
        commits_with_note: commits
            .iter()
            .filter(plain)
            .filter(|c| c.evidence.iter().any(|l| evidence_kind(l) == "vouch note"))
            .count(),
        commits_with_provenance: commits.iter().filter(plain).filter(|c| !c.evidence.is_empty()).count(),
        total: Share::new("all".to_string(), added, ai),
        carried_lines: carried,
        attested_lines: attested,
        unknown_lines: added.saturating_sub(ai + attested),
        evidence,
        tools,
        authors,
        directories,
        period,
        over_time,
    }
}

/// Lines of HEAD's files that commits of the range wrote, as of HEAD, by
/// what the lineage says of them: what `vouch verify` counts in its
/// coverage (`ai_lines`, `attested_lines`, `unknown_lines`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HeadLines {
    pub ai_lines: usize,
    pub attested_lines: usize,
    pub unknown_lines: usize,
}

// ---------------------------------------------------------------------------
// Triage

/// An AI-written unit, as the triage report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageUnit {
    pub path: String,
    pub risk: Vec<String>,
    pub ai_lines: usize,
}

/// Units and their AI lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub units: usize,
    pub ai_lines: usize,
}

impl Tally {
    fn add(&mut self, ai_lines: usize) {
        self.units += 1;
        self.ai_lines += ai_lines;
    }
}

/// How much senior review the policy's `[[triage]]` saves, over a set of
/// AI-written units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TriageSavings {
    /// Every AI unit considered.
    pub all: Tally,
    /// Units that need the listed reviewers' sign-off.
    pub senior: Tally,
    /// Units that need no sign-off thanks to a triage entry (`approvals = 0`).
    pub no_signoff: Tally,
    /// Units that any peer may sign off thanks to a triage entry.
    pub peer: Tally,
    /// Units a triage entry gave another number of approvals, still from
    /// the listed reviewers.
    pub other_count: Tally,
    /// Units on exempt paths.
    pub exempt: Tally,
    /// Units with fewer AI lines than `[detection] min_ai_lines`.
    pub below_threshold: Tally,
}

impl TriageSavings {
    /// The units (and AI lines) spared a senior's review.
    pub fn saved(&self) -> Tally {
        Tally {
            units: self.no_signoff.units + self.peer.units,
            ai_lines: self.no_signoff.ai_lines + self.peer.ai_lines,
        }
    }
}

pub fn triage_savings(policy: &Policy, units: &[TriageUnit]) -> TriageSavings {
    let mut s = TriageSavings::default();
    for unit in units {
        let r = policy.requirement(&unit.path, &unit.risk, unit.ai_lines);
        s.all.add(unit.ai_lines);
        let tally = if r.exempt {
            &mut s.exempt
        } else if !r.needs_signoff && r.triage.is_some() && r.approvals == 0 {
            &mut s.no_signoff
        } else if !r.needs_signoff {
            &mut s.below_threshold
        } else if r.peer_ok {
            &mut s.peer
        } else if r.triage.is_some() {
            &mut s.other_count
        } else {
            &mut s.senior
        };
        tally.add(unit.ai_lines);
    }
    s
}

// ---------------------------------------------------------------------------
// The team report

/// Everything `vouch stats` prints and `vouch report --html` draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamReport {
    /// RFC 3339.
    pub generated: String,
    /// The commits the AI share and triage cover, in words.
    pub range: String,
    pub queue: QueueSummary,
    /// How many requests are in each state ([`RequestState::label`]); only
    /// awaiting ones are in the queue.
    pub requests: Vec<Bucket>,
    /// By reviewer name: for planning, not a ranking.
    pub reviewers: Vec<ReviewerLoad>,
    pub budget: Option<u32>,
    pub latency: Latency,
    pub ai_share: AiShare,
    /// The lines of HEAD's files the range wrote, by what the lineage says
    /// of them (`vouch verify`'s coverage of the same range).
    pub in_head: HeadLines,
    pub triage: TriageSavings,
    pub queue_age: Vec<Bucket>,
    pub risk_mix: Vec<Bucket>,
    /// Units awaiting sign-off whose requests carry the agent's intent,
    /// riskiest first (at most [`WHY_UNITS`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<WhyUnit>,
}

/// How many units the report's "why" section lists.
pub const WHY_UNITS: usize = 50;

/// A unit awaiting sign-off and why the agent wrote it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhyUnit {
    pub path: String,
    pub unit: String,
    /// "prompt: ..." and "agent's intent: ..." lines (raw text).
    pub intent: Vec<String>,
}

/// What [`team_report`] is made of.
pub struct ReportInput<'a> {
    pub queue: &'a [PendingUnit],
    pub requests: &'a [RequestStatus],
    pub budget: &'a Budget,
    pub latency: Latency,
    pub commits: &'a [CommitLines],
    pub in_head: HeadLines,
    pub triage: TriageSavings,
    pub range: String,
    pub now: OffsetDateTime,
}

pub fn team_report(input: ReportInput<'_>) -> TeamReport {
    let now = input.now;
    TeamReport {
        generated: crate::store::records::format_time(now),
        range: input.range,
        queue: summary(input.queue, now),
        requests: request_counts(input.requests),
        reviewers: reviewer_load(input.queue, input.budget, now),
        budget: input.budget.ai_lines_per_reviewer,
        latency: input.latency,
        ai_share: ai_share(input.commits),
        in_head: input.in_head,
        triage: input.triage,
        queue_age: age_buckets(input.queue, now),
        risk_mix: risk_mix(input.queue),
        // Ids alone (Cursor's, Codex's) are no words to list.
        why: input
            .queue
            .iter()
            .map(|u| WhyUnit { path: u.path.clone(), unit: u.label(), intent: crate::intent::details(&u.intents) })
            .filter(|w| !w.intent.is_empty())
            .take(WHY_UNITS)
            .collect(),
    }
}

/// A duration in words: "45s", "12m", "5h 3m", "3d 4h".
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A share as a percentage, or "–" when nothing was added.
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_string(), |s| format!("{:.0}%", s * 100.0))
}

/// The report as plain text, for `vouch stats`.
pub fn render_text(report: &TeamReport) -> String {
    let mut out = String::new();
    let q = &report.queue;
    let _ = writeln!(out, "Queue");
    let oldest = q.oldest_seconds.map_or("-".to_string(), human_duration);
    let _ = writeln!(
        out,
        "  {} unit(s) awaiting sign-off, {} AI line(s), in {} request(s); oldest waiting {oldest}",
        q.units, q.ai_lines, q.requests
    );
    if !report.requests.is_empty() {
        let states: Vec<String> = report.requests.iter().map(|b| format!("{} {}", b.count, b.label)).collect();
        let _ = writeln!(out, "  requests: {}", states.join(", "));
    }
    if !report.reviewers.is_empty() {
        let budget = report.budget.map_or(String::new(), |b| format!(" (budget: {b} AI lines per reviewer)"));
        let _ = writeln!(out, "  awaiting each reviewer, for planning, not ranking{budget}:");
        for load in &report.reviewers {
            let over = if load.over_budget { "  over budget" } else { "" };
            let _ = writeln!(
                out,
                "    {:<32} {:>4} unit(s) {:>6} AI line(s)  oldest {}{over}",
                crate::display::line(&load.reviewer),
                load.units,
                load.ai_lines,
                human_duration(load.oldest_seconds)
            );
        }
    }
    let l = &report.latency;
    let _ = writeln!(out, "\nReview latency (request to first decision)");
    let _ = writeln!(
        out,
        "  median {}, p90 {} over {} decided unit(s); {} undecided",
        l.median_seconds.map_or("-".to_string(), human_duration),
        l.p90_seconds.map_or("-".to_string(), human_duration),
        l.decided,
        l.undecided
    );
    let a = &report.ai_share;
    let _ = writeln!(out, "\nAI share of added lines ({})", crate::display::line(&report.range));
    let _ = writeln!(
        out,
        "  {} of {} line(s) AI-written ({}); {} attested not AI, {} unknown (unattested, not human)",
        a.total.ai_lines,
        a.total.added_lines,
        percent(a.total.share),
        a.attested_lines,
        a.unknown_lines
    );
    if a.carried_lines > 0 {
        let _ = writeln!(
            out,
            "  {} of the AI line(s) rewrite or move AI text of the range (AI origin is sticky, as verify judges)",
            a.carried_lines
        );
    }
    let _ = writeln!(
        out,
        "  provenance: {} of {} commit(s) carry some ({} merge(s)); {} carry a vouch note",
        a.commits_with_provenance,
        a.commits - a.merges,
        a.merges,
        a.commits_with_note
    );
    let _ = writeln!(out, "  by evidence (a commit with two kinds counts under each):");
    for e in &a.evidence {
        let label = if e.kind == "none" { "no provenance" } else { e.kind.as_str() };
        let _ = writeln!(
            out,
            "    {:<32} {:>5} commit(s) {:>7} AI / {:<7} line(s)",
            crate::display::line(label),
            e.commits,
            e.ai_lines,
            e.added_lines
        );
    }
    if !a.tools.is_empty() {
        let _ = writeln!(out, "  by tool:");
        for t in &a.tools {
            let name = match &t.model {
                Some(model) => format!("{} ({model})", t.tool),
                None => t.tool.clone(),
            };
            let _ = writeln!(out, "    {:<40} {:>7} AI line(s)", crate::display::line(&name), t.ai_lines);
        }
    }
    let _ = writeln!(out, "  by directory:");
    for d in &a.directories {
        let label = crate::display::line(&d.label);
        let _ = writeln!(out, "    {label:<40} {:>5} {:>7} / {:<7}", percent(d.share), d.ai_lines, d.added_lines);
    }
    let _ = writeln!(out, "  by author, for planning, not ranking:");
    for d in &a.authors {
        let label = crate::display::line(&d.label);
        let _ = writeln!(out, "    {label:<40} {:>5} {:>7} / {:<7}", percent(d.share), d.ai_lines, d.added_lines);
    }
    let h = &report.in_head;
    let _ = writeln!(
        out,
        "  in HEAD now: {} AI line(s) from the range, {} attested not AI, {} unknown",
        h.ai_lines, h.attested_lines, h.unknown_lines
    );
    let t = &report.triage;
    let saved = t.saved();
    let _ =
        writeln!(out, "\nTriage (AI units in HEAD whose AI lines come from {})", crate::display::line(&report.range));
    let _ = writeln!(
        out,
        "  senior review saved: {} unit(s), {} AI line(s) of {} unit(s), {} AI line(s)",
        saved.units, saved.ai_lines, t.all.units, t.all.ai_lines
    );
    for (label, tally) in [
        ("need the listed reviewers", t.senior),
        ("need no sign-off (triage)", t.no_signoff),
        ("any peer may sign off (triage)", t.peer),
        ("other approval count (triage)", t.other_count),
        ("exempt paths", t.exempt),
        ("below min_ai_lines", t.below_threshold),
    ] {
        let _ = writeln!(out, "    {label:<32} {:>4} unit(s) {:>6} AI line(s)", tally.units, tally.ai_lines);
    }
    out
}

// ---------------------------------------------------------------------------
// HTML

/// Text for HTML content and attribute values: hidden characters made
/// visible first (see [`crate::display`]: a browser renders bidi controls
/// and zero-width characters as silently as a terminal), then escaped.
pub fn escape(text: &str) -> String {
    let shown = crate::display::line(text);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}
.meta{color:#59636e;margin:0 0 20px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}
section{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:16px;margin-bottom:16px}
.figures{display:flex;gap:24px;flex-wrap:wrap}.figure b{display:block;font-size:22px}
.figure span{color:#59636e;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef1f4}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg.chart{width:100%;height:auto;display:block}
svg text{font:12px system-ui,sans-serif;fill:#1f2328}
.bar{fill:#8250df}.bar.ai{fill:#bf3989}.bar.age{fill:#0969da}.bar.risk{fill:#cf222e}.track{fill:#eef1f4}
.empty{fill:#59636e}.over{color:#cf222e;font-weight:600}
.note{color:#59636e;font-size:13px}
";

/// One bar of a chart: its label, its length (0 to 1 of the track) and the
/// text shown beside it.
struct Bar {
    label: String,
    fraction: f64,
    value: String,
}

/// A horizontal bar chart as inline SVG.
fn bar_chart(id: &str, title: &str, class: &str, bars: &[Bar], empty: &str) -> String {
    const WIDTH: f64 = 480.0;
    const LABEL: f64 = 150.0;
    const VALUE: f64 = 90.0;
    const ROW: f64 = 24.0;
    let track = WIDTH - LABEL - VALUE;
    let rows = bars.len().max(1) as f64;
    let height = 8.0 + rows * ROW;
    let mut svg = format!(
        "<svg class=\"chart\" id=\"{id}\" role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {WIDTH} {height}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        t = escape(title)
    );
    if bars.is_empty() {
        let _ = write!(svg, "<text class=\"empty\" x=\"0\" y=\"20\">{}</text>", escape(empty));
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + i as f64 * ROW;
        let w = (bar.fraction.clamp(0.0, 1.0) * track).max(if bar.fraction > 0.0 { 1.0 } else { 0.0 });
        let label: String = bar.label.chars().take(22).collect();
        let _ = write!(
            svg,
            "<g class=\"row\"><title>{full}: {value}</title><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>\
             <rect class=\"track\" x=\"{LABEL}\" y=\"{y}\" width=\"{track}\" height=\"{h}\" rx=\"3\"/>\
             <rect class=\"bar {class}\" x=\"{LABEL}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\" rx=\"3\"/>\
             <text x=\"{vx}\" y=\"{ty}\">{value}</text></g>",
            full = escape(&bar.label),
            value = escape(&bar.value),
            lx = LABEL - 8.0,
            ty = y + 14.0,
            label = escape(&label),
            h = ROW - 8.0,
            vx = LABEL + track + 8.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A vertical bar chart (columns) as inline SVG, for values over time.
fn column_chart(id: &str, title: &str, class: &str, bars: &[Bar], empty: &str) -> String {
    const WIDTH: f64 = 480.0;
    const HEIGHT: f64 = 200.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 36.0;
    const LEFT: f64 = 36.0;
    let plot = HEIGHT - TOP - BOTTOM;
    let mut svg = format!(
        "<svg class=\"chart\" id=\"{id}\" role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        t = escape(title)
    );
    for (pct, y) in [(100, TOP), (50, TOP + plot / 2.0), (0, TOP + plot)] {
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{WIDTH}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#d1d9e0\"/><text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\">{pct}%</text>",
            x = LEFT - 4.0,
            ty = y + 4.0
        );
    }
    if bars.is_empty() {
        let _ = write!(
            svg,
            "<text class=\"empty\" x=\"{}\" y=\"{}\">{}</text>",
            LEFT + 8.0,
            TOP + plot / 2.0,
            escape(empty)
        );
    }
    let n = bars.len().max(1) as f64;
    let slot = (WIDTH - LEFT) / n;
    let bar_width = (slot * 0.7).min(40.0);
    // Label at most about 12 columns, evenly spaced.
    let every = bars.len().div_ceil(12).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let h = bar.fraction.clamp(0.0, 1.0) * plot;
        let x = LEFT + i as f64 * slot + (slot - bar_width) / 2.0;
        let _ = write!(
            svg,
            "<g class=\"col\"><title>{label}: {value}</title><rect class=\"bar {class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_width:.1}\" height=\"{h:.1}\" rx=\"2\"/></g>",
            label = escape(&bar.label),
            value = escape(&bar.value),
            y = TOP + plot - h,
        );
        if i % every == 0 {
            let label: String = bar.label.chars().take(10).collect();
            let _ = write!(
                svg,
                "<text x=\"{cx:.1}\" y=\"{ly}\" text-anchor=\"middle\">{}</text>",
                escape(&label),
                cx = x + bar_width / 2.0,
                ly = HEIGHT - BOTTOM + 16.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn count_bars(buckets: &[Bucket]) -> Vec<Bar> {
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    buckets
        .iter()
        .map(|b| Bar { label: b.label.clone(), fraction: b.count as f64 / max, value: b.count.to_string() })
        .collect()
}

fn share_bars(shares: &[Share]) -> Vec<Bar> {
    shares
        .iter()
        .map(|s| Bar {
            label: s.label.clone(),
            fraction: s.share.unwrap_or(0.0),
            value: format!("{} ({}/{})", percent(s.share), s.ai_lines, s.added_lines),
        })
        .collect()
}

fn figure(out: &mut String, value: &str, label: &str) {
    let _ = write!(out, "<div class=\"figure\"><b>{}</b><span>{}</span></div>", escape(value), escape(label));
}

/// How many directories the per-directory chart shows.
const CHART_DIRECTORIES: usize = 15;

/// The report as one self-contained HTML page: inline CSS and inline SVG,
/// no scripts, nothing fetched.
pub fn render_html(report: &TeamReport) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
    h.push_str("<title>vouch report</title><style>");
    h.push_str(CSS);
    h.push_str("</style></head><body><main>");
    let _ = write!(
        h,
        "<h1>vouch report</h1><p class=\"meta\">Generated {} · commits: {}</p>",
        escape(&report.generated),
        escape(&report.range)
    );

    let q = &report.queue;
    let a = &report.ai_share;
    let l = &report.latency;
    let saved = report.triage.saved();
    h.push_str("<section><h2>At a glance</h2><div class=\"figures\">");
    figure(&mut h, &q.units.to_string(), "units awaiting sign-off");
    figure(&mut h, &q.ai_lines.to_string(), "AI lines awaiting sign-off");
    figure(&mut h, &q.oldest_seconds.map_or("–".to_string(), human_duration), "oldest waiting");
    figure(&mut h, &l.median_seconds.map_or("–".to_string(), human_duration), "median time to a decision");
    figure(&mut h, &l.p90_seconds.map_or("–".to_string(), human_duration), "p90 time to a decision");
    figure(&mut h, &percent(a.total.share), "of added lines AI-written");
    figure(&mut h, &saved.units.to_string(), "AI units spared senior review by triage");
    h.push_str("</div>");
    let _ = write!(
        h,
        "<p class=\"note\">{} of {} commits carry provenance (a vouch or git-ai note, an AI trailer, aider, a bot author); \
         {} of them a vouch note. Lines with no evidence count as added, not as AI: no record means unattested, not human. \
         {} AI lines of HEAD come from these commits now.</p></section>",
        a.commits_with_provenance,
        a.commits - a.merges,
        a.commits_with_note,
        report.in_head.ai_lines
    );

    h.push_str("<div class=\"grid\">");
    let over_time_title = format!("AI share of added lines per {}", a.period);
    let _ = write!(
        h,
        "<section><h2>{}</h2>{}</section>",
        escape(&over_time_title),
        column_chart("chart-share-time", &over_time_title, "ai", &share_bars(&a.over_time), "no commits in range")
    );
    let dirs: Vec<Share> = a.directories.iter().take(CHART_DIRECTORIES).cloned().collect();
    let _ = write!(
        h,
        "<section><h2>AI share per directory</h2>{}</section>",
        bar_chart("chart-share-dir", "AI share per directory", "ai", &share_bars(&dirs), "no lines added in range")
    );
    let _ = write!(
        h,
        "<section><h2>Queue age</h2>{}</section>",
        bar_chart("chart-queue-age", "Units awaiting sign-off by age", "age", &count_bars(&report.queue_age), "")
    );
    let _ = write!(
        h,
        "<section><h2>Risk mix of the queue</h2>{}</section>",
        bar_chart(
            "chart-risk-mix",
            "Units awaiting sign-off by risk",
            "risk",
            &count_bars(&report.risk_mix),
            "nothing awaits sign-off"
        )
    );
    h.push_str("</div>");

    h.push_str("<section><h2>Requests</h2><p class=\"note\">Only awaiting requests are in the queue; a request closes when its requester withdraws it, when its units are decided, or when its code is gone.</p>");
    if report.requests.is_empty() {
        h.push_str("<p>No requests.</p>");
    } else {
        h.push_str("<table><thead><tr><th>state</th><th class=\"n\">requests</th></tr></thead><tbody>");
        for b in &report.requests {
            let _ = write!(h, "<tr><td>{}</td><td class=\"n\">{}</td></tr>", escape(&b.label), b.count);
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");

    h.push_str("<section><h2>Awaiting each reviewer</h2>");
    h.push_str("<p class=\"note\">For planning and sharing review, not for ranking people; a unit several people may sign off counts for each.");
    if let Some(b) = report.budget {
        let _ = write!(h, " Budget: {b} AI lines per reviewer.");
    }
    h.push_str("</p>");
    if report.reviewers.is_empty() {
        h.push_str("<p>Nothing awaits sign-off.</p>");
    } else {
        h.push_str("<table><thead><tr><th>reviewer</th><th class=\"n\">units</th><th class=\"n\">AI lines</th><th class=\"n\">oldest</th></tr></thead><tbody>");
        for r in &report.reviewers {
            let over = if r.over_budget { " <span class=\"over\">over budget</span>" } else { "" };
            let _ = write!(
                h,
                "<tr><td>{}{over}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&r.reviewer),
                r.units,
                r.ai_lines,
                human_duration(r.oldest_seconds)
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");

    if !report.why.is_empty() {
        h.push_str("<section><h2>Why the agent wrote what awaits sign-off</h2>");
        h.push_str("<p class=\"note\">In the agent's and the user's words at the edit, as recorded by its hook (trimmed, secrets redacted); not vouch's judgement.</p>");
        h.push_str("<table><thead><tr><th>unit</th><th>intent</th></tr></thead><tbody>");
        for w in &report.why {
            let lines: Vec<String> = w.intent.iter().map(|l| escape(l)).collect();
            let _ =
                write!(h, "<tr><td>{} {}</td><td>{}</td></tr>", escape(&w.path), escape(&w.unit), lines.join("<br>"));
        }
        h.push_str("</tbody></table></section>");
    }

    let t = &report.triage;
    h.push_str("<section><h2>Senior review the policy saves</h2>");
    let _ = write!(
        h,
        "<p class=\"note\">AI units in HEAD whose AI lines come from {}: {} units, {} AI lines.</p>",
        escape(&report.range),
        t.all.units,
        t.all.ai_lines
    );
    h.push_str(
        "<table><thead><tr><th></th><th class=\"n\">units</th><th class=\"n\">AI lines</th></tr></thead><tbody>",
    );
    for (label, tally) in [
        ("need the listed reviewers", t.senior),
        ("need no sign-off ([[triage]])", t.no_signoff),
        ("any peer may sign off ([[triage]])", t.peer),
        ("another approval count ([[triage]])", t.other_count),
        ("exempt paths", t.exempt),
        ("below min_ai_lines", t.below_threshold),
    ] {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(label),
            tally.units,
            tally.ai_lines
        );
    }
    h.push_str("</tbody></table></section>");

    h.push_str("<section><h2>Evidence</h2><p class=\"note\">What says who wrote the added lines; a commit with two kinds counts under each.</p>");
    h.push_str("<table><thead><tr><th>evidence</th><th class=\"n\">commits</th><th class=\"n\">AI lines</th><th class=\"n\">added lines</th></tr></thead><tbody>");
    for e in &a.evidence {
        let label = if e.kind == "none" { "no provenance" } else { e.kind.as_str() };
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(label),
            e.commits,
            e.ai_lines,
            e.added_lines
        );
    }
    h.push_str("</tbody></table>");
    let _ = write!(
        h,
        "<p class=\"note\">{} AI lines rewrite or move AI text of the range (AI origin is sticky, as <code>vouch verify</code> judges); {} lines are attested not AI, {} unknown.</p></section>",
        a.carried_lines, a.attested_lines, a.unknown_lines
    );
    h.push_str("<section><h2>AI lines per tool</h2><table><thead><tr><th>tool</th><th>model</th><th class=\"n\">AI lines</th></tr></thead><tbody>");
    for t in &a.tools {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            escape(&t.tool),
            escape(t.model.as_deref().unwrap_or("–")),
            t.ai_lines
        );
    }
    h.push_str("</tbody></table></section>");
    h.push_str("<section><h2>AI share per author</h2><p class=\"note\">For planning, not for ranking people.</p><table><thead><tr><th>author</th><th class=\"n\">AI share</th><th class=\"n\">AI lines</th><th class=\"n\">added lines</th></tr></thead><tbody>");
    for d in &a.authors {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&d.label),
            percent(d.share),
            d.ai_lines,
            d.added_lines
        );
    }
    h.push_str("</tbody></table></section>");

    h.push_str("<section><h2>AI share per directory</h2><table><thead><tr><th>directory</th><th class=\"n\">AI share</th><th class=\"n\">AI lines</th><th class=\"n\">added lines</th></tr></thead><tbody>");
    for d in &a.directories {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&d.label),
            percent(d.share),
            d.ai_lines,
            d.added_lines
        );
    }
    h.push_str("</tbody></table></section>");
    h.push_str("</main></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    use expect_test::expect;

    use crate::fingerprint::fingerprint;
    use crate::policy::Policy;
    use crate::store::records::{Approval, Person, RequestedUnit};

    const REPO: &str = "0123456789abcdef0123456789abcdef01234567";

    fn person(email: &str) -> Person {
        Person { name: email.split('@').next().unwrap_or("").to_string(), email: email.to_string() }
    }

    fn unit(path: &str, name: &str, text: &str, ai: [u32; 2]) -> RequestedUnit {
        RequestedUnit {
            path: path.to_string(),
            language: "rust".to_string(),
            kind: "function".to_string(),
            name: Some(name.to_string()),
            fingerprint: fingerprint("rust", "function", text.as_bytes()),
            fingerprint_version: Some(crate::fingerprint::VERSION),
            text: UnitText::Text(text.to_string()),
            ai_lines: vec![ai],
            tool: Some("claude".to_string()),
            model: Some("opus".to_string()),
            intents: Vec::new(),
        }
    }

    fn request(n: u32, by: &str, created: &str, units: Vec<RequestedUnit>) -> Stored<Request> {
        let mut record = Request::new(REPO, person(by), units);
        record.created = created.to_string();
        record.rationale = Some(format!("because {n}"));
        Stored { id: format!("{n:064x}"), record }
    }

    fn vote(n: u32, fp: &str, by: &str, verdict: Verdict, created: &str, comment: Option<&str>) -> Stored<Approval> {
        let mut a = Approval::new(REPO, fp, verdict, person(by));
        a.created = created.to_string();
        a.comment = comment.map(str::to_string);
        Stored { id: format!("{:064x}", 1000 + n), record: a }
    }

    fn ledger(requests: &[Stored<Request>], approvals: Vec<Stored<Approval>>) -> Ledger {
        Ledger::new(approvals, requests.to_vec(), Some(REPO.to_string()), Vec::new())
    }

    const POLICY: &str = r#"
reviewers = ["carol@example.com", "dora@example.com"]
[[rules]]
paths = ["src/db/"]
risk = "high"
[[triage]]
paths = ["tests/"]
max_ai_lines = 10
peer = true
[[triage]]
paths = ["docs/"]
max_ai_lines = 50
approvals = 0
[budget]
ai_lines_per_reviewer = 5
"#;

    fn policy() -> Policy {
        Policy::parse(POLICY, ".vouch.toml").unwrap()
    }

    const PLAIN: &str = "fn plain() -> u32 {\n    1\n}\n";
    const SHELL: &str =
        "fn shell() {\n    std::process::Command::new(\"sh\").arg(\"-c\").arg(\"ls\").status().ok();\n}\n";
    const DB: &str = "fn db() -> u32 {\n    2\n}\n";
    const OLD: &str = "fn fix() -> u32 {\n    let x = 1;\n    x\n}\n";
    const NEW: &str = "fn fix() -> u32 {\n    let x = 2;\n    x\n}\n";

    fn now() -> OffsetDateTime {
        parse_time("2026-02-10T12:00:00Z")
    }

    #[test]
    fn risk_tags_come_from_the_unit_text() {
        assert_eq!(risk_tags(Language::Rust, SHELL), ["exec"]);
        assert!(risk_tags(Language::Rust, PLAIN).is_empty());
        assert!(risk_tags(Language::Text, "rm -rf /\n").is_empty());
    }

    #[test]
    fn riskiest_first_then_oldest_and_settled_units_leave() {
        let requests = vec![
            request(1, "dev@example.com", "2026-02-01T09:00:00Z", vec![unit("src/a.rs", "plain", PLAIN, [2, 2])]),
            request(2, "dev@example.com", "2026-02-05T09:00:00Z", vec![unit("src/b.rs", "shell", SHELL, [1, 3])]),
            request(3, "dev@example.com", "2026-02-09T09:00:00Z", vec![unit("src/db/q.rs", "db", DB, [1, 3])]),
            request(4, "dev@example.com", "2026-01-01T09:00:00Z", vec![unit("src/c.rs", "fix", OLD, [2, 2])]),
            request(5, "dev@example.com", "2026-02-02T09:00:00Z", vec![unit("src/c.rs", "fix", NEW, [2, 2])]),
            // The same text again: one unit, two requests.
            request(6, "eve@example.com", "2026-02-06T09:00:00Z", vec![unit("src/a.rs", "plain", PLAIN, [2, 2])]),
        ];
        let old_fp = fingerprint("rust", "function", OLD.as_bytes());
        let approvals = vec![
            vote(1, &old_fp, "carol@example.com", Verdict::Reject, "2026-01-02T09:00:00Z", Some("x must be 2")),
            // A requester's vote does not count.
            vote(
                2,
                &requests[1].record.units[0].fingerprint,
                "dev@example.com",
                Verdict::Approve,
                "2026-02-05T10:00:00Z",
                None,
            ),
        ];
        let ledger = ledger(&requests, approvals);
        let queue = pending(&ledger, &policy(), &requests, &|_| None);
        assert!(queue.problems.is_empty(), "{:?}", queue.problems);
        let order: Vec<String> =
            queue.units.iter().map(|u| format!("{} {} {}", u.path, u.label(), u.age(now()))).collect();
        expect![[r#"
            [
                "src/db/q.rs function `db` 97200",
                "src/b.rs function `shell` 442800",
                "src/a.rs function `plain` 788400",
                "src/c.rs function `fix` 702000",
            ]
        "#]]
        .assert_debug_eq(&order);
        let plain = &queue.units[2];
        assert_eq!(plain.requests.len(), 2);
        assert_eq!(plain.rationale(), Some("because 6"));
        assert_eq!(plain.participants.requesters, ["dev@example.com", "eve@example.com"]);
        let fix = &queue.units[3];
        let rejection = fix.earlier_rejection.as_ref().unwrap();
        assert_eq!((rejection.by.as_str(), rejection.comment.as_deref()), ("carol@example.com", Some("x must be 2")));
        assert_eq!(rejection.text, OLD);
        // The rejected version itself is back with its requester.
        assert!(queue.units.iter().all(|u| u.fingerprint != old_fp));

        // A reviewer's queue: what they may sign off and did not vote on.
        assert_eq!(queue.for_reviewer("carol@example.com").len(), 4);
        assert_eq!(queue.for_reviewer("dev@example.com").len(), 0);
        assert_eq!(queue.for_reviewer("mallory@example.com").len(), 0);
    }

    #[test]
    fn votes_move_units_out_of_a_reviewers_queue_and_approval_settles_them() {
        let requests =
            vec![request(1, "dev@example.com", "2026-02-01T09:00:00Z", vec![unit("src/a.rs", "plain", PLAIN, [2, 2])])];
        let fp = requests[0].record.units[0].fingerprint.clone();
        let two =
            Policy::parse("reviewers = [\"carol@example.com\", \"dora@example.com\"]\napprovals = 2\n", "p").unwrap();
        let one = vec![vote(1, &fp, "carol@example.com", Verdict::Approve, "2026-02-01T10:00:00Z", None)];
        let queue = pending(&ledger(&requests, one.clone()), &two, &requests, &|_| None);
        assert_eq!((queue.units[0].have, queue.units[0].need), (1, 2));
        assert!(queue.for_reviewer("carol@example.com").is_empty());
        assert_eq!(queue.for_reviewer("dora@example.com").len(), 1);
        assert_eq!(queue.units[0].awaited_by(), ["dora@example.com"]);
        let mut both = one;
        both.push(vote(2, &fp, "dora@example.com", Verdict::Approve, "2026-02-01T11:00:00Z", None));
        assert!(pending(&ledger(&requests, both), &two, &requests, &|_| None).units.is_empty());
    }

    #[test]
    fn a_forged_fingerprint_is_reported_not_queued() {
        let mut forged = unit("src/a.rs", "plain", PLAIN, [2, 2]);
        forged.fingerprint = fingerprint("rust", "function", "fn other() {}".as_bytes());
        let requests = vec![request(7, "dev@example.com", "2026-02-01T09:00:00Z", vec![forged])];
        let queue = pending(&ledger(&requests, Vec::new()), &policy(), &requests, &|_| None);
        assert!(queue.units.is_empty());
        expect![[r#"
            [
                "request 000000000000: function in src/a.rs: the fingerprint it states is not that of its text (which is 0bbaa6b7d3a4): forged or damaged, it cannot be approved",
            ]
        "#]]
        .assert_debug_eq(&queue.problems);
    }

    #[test]
    fn a_version_1_request_no_longer_counts_and_is_not_called_forged() {
        // Version 1 hashed normalized text: its fingerprint is not the
        // version-2 fingerprint of its text, and that is no forgery.
        let mut old = unit("src/a.rs", "plain", PLAIN, [2, 2]);
        old.fingerprint_version = None;
        old.fingerprint = crate::store::records::v1_fingerprint("rust", "function", PLAIN);
        let bytes = unit("src/b.bin", "latin1", "", [1, 1]);
        let bytes = RequestedUnit {
            language: "text".into(),
            kind: "file".into(),
            name: None,
            fingerprint: crate::fingerprint::file_fingerprint(b"caf\xe9\n"),
            text: UnitText::Bytes(b"caf\xe9\n".to_vec()),
            ..bytes
        };
        let commit = "3f786850e387550fdab836ed7e6dc881de23001b";
        let submodule = RequestedUnit {
            path: "deps/lib".into(),
            language: "git".into(),
            kind: "submodule".into(),
            fingerprint: crate::fingerprint::submodule_fingerprint(commit),
            text: UnitText::Text(commit.into()),
            ..bytes.clone()
        };
        let requests = vec![request(7, "dev@example.com", "2026-02-01T09:00:00Z", vec![old, bytes, submodule])];
        let queue = pending(&ledger(&requests, Vec::new()), &policy(), &requests, &|_| None);
        expect![[r#"
            [
                "request 000000000000: function in src/a.rs: fingerprint version 1, no longer counts (version 2 binds the exact bytes; approve the unit again)",
            ]
        "#]]
        .assert_debug_eq(&queue.problems);
        // A unit of bytes that are not UTF-8 is queued, shown losslessly,
        // and so is a submodule's.
        assert_eq!(queue.units.len(), 2);
        let file = queue.units.iter().find(|u| u.kind == "file").unwrap();
        assert_eq!(file.text, "caf‹0xE9›\n");
        assert_eq!(file.bytes.as_bytes(), b"caf\xe9\n");
        assert!(queue.units.iter().any(|u| u.kind == "submodule" && u.text == commit));
    }

    #[test]
    fn load_per_reviewer_and_budget() {
        let requests = vec![
            request(1, "dev@example.com", "2026-02-01T09:00:00Z", vec![unit("src/b.rs", "shell", SHELL, [1, 3])]),
            request(2, "dev@example.com", "2026-02-09T09:00:00Z", vec![unit("src/a.rs", "plain", PLAIN, [1, 3])]),
            request(3, "dev@example.com", "2026-02-09T09:00:00Z", vec![unit("tests/t.rs", "db", DB, [2, 2])]),
        ];
        let queue = pending(&ledger(&requests, Vec::new()), &policy(), &requests, &|_| None);
        let budget = policy().budget().clone();
        let loads = reviewer_load(&queue.units, &budget, now());
        expect![[r#"
            [
                ReviewerLoad {
                    reviewer: "any peer",
                    units: 1,
                    ai_lines: 1,
                    oldest_seconds: 97200,
                    over_budget: false,
                },
                ReviewerLoad {
                    reviewer: "carol@example.com",
                    units: 2,
                    ai_lines: 6,
                    oldest_seconds: 788400,
                    over_budget: true,
                },
                ReviewerLoad {
                    reviewer: "dora@example.com",
                    units: 2,
                    ai_lines: 6,
                    oldest_seconds: 788400,
                    over_budget: true,
                },
            ]
        "#]]
        .assert_debug_eq(&loads);
        // Only the reviewers asked about are told; no budget, no notice.
        let notices = over_budget(&loads, &budget, &["CAROL@example.com".to_string(), "erin@example.com".to_string()]);
        expect![[r#"
            [
                "6 AI lines now await carol@example.com (the review budget is 5 per reviewer); consider splitting the change into smaller requests",
            ]
        "#]]
        .assert_debug_eq(&notices.iter().map(ToString::to_string).collect::<Vec<_>>());
        assert!(over_budget(&loads, &budget, &[ANY_PEER.to_string()]).is_empty());
        assert!(over_budget(&loads, &Budget::default(), &["carol@example.com".to_string()]).is_empty());

        let s = summary(&queue.units, now());
        assert_eq!((s.units, s.ai_lines, s.requests, s.oldest_seconds), (3, 7, 3, Some(788400)));
        let ages: Vec<(String, usize)> =
            age_buckets(&queue.units, now()).into_iter().map(|b| (b.label, b.count)).collect();
        assert_eq!(ages.iter().map(|(_, c)| *c).collect::<Vec<_>>(), [0, 2, 0, 1, 0]);
        let mix: Vec<(String, usize)> = risk_mix(&queue.units).into_iter().map(|b| (b.label, b.count)).collect();
        assert_eq!(mix, [("low".to_string(), 2), ("exec".to_string(), 1)]);
    }

    #[test]
    fn latency_from_request_to_first_decision() {
        let requests = vec![
            request(1, "dev@example.com", "2026-02-01T09:00:00Z", vec![unit("src/a.rs", "plain", PLAIN, [1, 1])]),
            request(2, "dev@example.com", "2026-02-01T09:00:00Z", vec![unit("src/b.rs", "db", DB, [1, 1])]),
            request(3, "dev@example.com", "2026-02-01T09:00:00Z", vec![unit("src/c.rs", "fix", OLD, [1, 1])]),
        ];
        let fp = |i: usize| requests[i].record.units[0].fingerprint.clone();
        let approvals = vec![
            vote(1, &fp(0), "carol@example.com", Verdict::Approve, "2026-02-01T10:00:00Z", None),
            vote(2, &fp(0), "dora@example.com", Verdict::Approve, "2026-02-03T10:00:00Z", None),
            vote(3, &fp(1), "carol@example.com", Verdict::Reject, "2026-02-01T09:30:00Z", Some("no")),
            // Before the request: not an answer to it.
            vote(4, &fp(2), "carol@example.com", Verdict::Approve, "2026-01-01T09:30:00Z", None),
        ];
        let l = latency(&ledger(&requests, approvals), &requests);
        assert_eq!(l, Latency { decided: 2, undecided: 1, median_seconds: Some(1800), p90_seconds: Some(3600) });
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), Some(9));
        assert_eq!(percentile(&[5], 50), Some(5));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn ai_share_per_directory_and_over_time() {
        let day = 86_400;
        let t0 = 1_769_990_400; // a Monday
        let commit =
            |id: &str, time: i64, author: &str, evidence: &[&str], files: &[(&str, usize, usize)]| CommitLines {
                id: id.to_string(),
                time,
                author: author.to_string(),
                merge: false,
                evidence: evidence.iter().map(|e| e.to_string()).collect(),
                files: files
                    .iter()
                    .map(|(p, a, i)| FileLines { path: p.to_string(), added: *a, ai: *i, ..FileLines::default() })
                    .collect(),
                tools: vec![ToolLines {
                    tool: "claude".into(),
                    model: None,
                    ai_lines: files.iter().map(|f| f.2).sum(),
                }],
            };
        let commits = vec![
            commit("aaaaaaaa", t0, "ann@x", &["vouch note"], &[("src/a.rs", 10, 5), ("README.md", 4, 0)]),
            commit("bbbbbbbb", t0 + day, "Bob@x", &["trailer: claude", "git-ai note"], &[("src/b.rs", 10, 10)]),
            commit("cccccccc", t0 + 8 * day, "ann@x", &[], &[("tests/t.rs", 6, 3)]),
        ];
        let share = ai_share(&commits);
        assert_eq!((share.commits, share.commits_with_note, share.commits_with_provenance), (3, 1, 2));
        assert_eq!((share.total.added_lines, share.total.ai_lines, share.unknown_lines), (30, 18, 12));
        let dirs: Vec<String> = share.directories.iter().map(|d| format!("{} {}", d.label, percent(d.share))).collect();
        assert_eq!(dirs, ["src 75%", "tests 50%", ". 0%"]);
        let kinds: Vec<String> = share
            .evidence
            .iter()
            .map(|e| format!("{} {} {}/{}", e.kind, e.commits, e.ai_lines, e.added_lines))
            .collect();
        assert_eq!(
            kinds,
            [
                "vouch note 1 5/14",
                "git-ai note 1 10/10",
                "trailer 1 10/10",
                "aider author 0 0/0",
                "bot author 0 0/0",
                "none 1 3/6"
            ]
        );
        let authors: Vec<String> = share.authors.iter().map(|a| format!("{} {}", a.label, a.ai_lines)).collect();
        assert_eq!(authors, ["ann@x 8", "bob@x 10"]);
        assert_eq!(share.tools, [ToolLines { tool: "claude".into(), model: None, ai_lines: 18 }]);
        assert_eq!(share.period, "week");
        let weeks: Vec<String> = share.over_time.iter().map(|w| format!("{} {}", w.label, percent(w.share))).collect();
        assert_eq!(weeks, ["2026-W06 62%", "2026-W07 50%"]);
        // Within one week, per commit.
        let one_week = ai_share(&commits[..2]);
        assert_eq!(one_week.period, "commit");
        assert_eq!(one_week.over_time.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(), ["aaaaaaa", "bbbbbbb"]);
        assert_eq!(directory_of("a/b/c.rs"), "a/b");
        assert_eq!(directory_of("c.rs"), ".");
        assert_eq!(evidence_kind("bot author: x[bot]"), "bot author");
    }

    #[test]
    fn triage_savings_count_units_and_lines() {
        let u = |path: &str, risk: &[&str], ai_lines| TriageUnit {
            path: path.to_string(),
            risk: risk.iter().map(|s| s.to_string()).collect(),
            ai_lines,
        };
        let units = [
            u("src/a.rs", &[], 12),
            u("tests/t.rs", &[], 4),
            u("tests/big.rs", &[], 40),
            u("tests/sh.rs", &["exec"], 2),
            u("docs/x.md", &[], 30),
        ];
        let s = triage_savings(&policy(), &units);
        assert_eq!(s.all, Tally { units: 5, ai_lines: 88 });
        assert_eq!(s.senior, Tally { units: 3, ai_lines: 54 });
        assert_eq!(s.peer, Tally { units: 1, ai_lines: 4 });
        assert_eq!(s.no_signoff, Tally { units: 1, ai_lines: 30 });
        assert_eq!(s.saved(), Tally { units: 2, ai_lines: 34 });
    }

    #[test]
    fn diff_against_the_rejected_version() {
        let diff = line_diff(OLD, NEW);
        let lines: Vec<String> = diff
            .iter()
            .map(|(t, l)| {
                let mark = match t {
                    DiffTag::Same => ' ',
                    DiffTag::Removed => '-',
                    DiffTag::Added => '+',
                    DiffTag::Gap => '~',
                };
                format!("{mark}{l}")
            })
            .collect();
        expect![[r#"
            [
                " fn fix() -> u32 {",
                "-    let x = 1;",
                "+    let x = 2;",
                "     x",
                " }",
            ]
        "#]]
        .assert_debug_eq(&lines);
        let long_old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let long_new = long_old.replace("2\n", "two\n").replace("17\n", "seventeen\n");
        assert!(line_diff(&long_old, &long_new).iter().any(|(t, _)| *t == DiffTag::Gap));
        assert!(line_diff(OLD, OLD).is_empty());
    }

    #[test]
    fn a_lone_cr_stays_in_its_line_of_the_diff() {
        let old = "def f():\n    # checked\n    return 1\n";
        let new = "def f():\n    # checked\ros.system(cmd)\n    return 1\n";
        let diff = line_diff(old, new);
        assert!(diff.contains(&(DiffTag::Added, "    # checked\ros.system(cmd)".to_string())), "{diff:?}");
        assert_eq!(diff.len(), 4, "{diff:?}");
        // Windows line ends are line ends.
        let diff = line_diff("a\r\nb\r\n", "a\r\nc\r\n");
        assert_eq!(diff[0], (DiffTag::Same, "a".to_string()));
    }

    #[test]
    fn html_is_self_contained_and_escaped() {
        let requests = vec![request(
            1,
            "dev@example.com",
            "2026-02-01T09:00:00Z",
            vec![unit("src/<b>.rs", "shell", SHELL, [1, 3])],
        )];
        let queue = pending(&ledger(&requests, Vec::new()), &policy(), &requests, &|_| None);
        let report = team_report(ReportInput {
            queue: &queue.units,
            requests: &queue.requests,
            budget: &Budget { ai_lines_per_reviewer: Some(2) },
            latency: Latency::default(),
            commits: &[CommitLines {
                id: "abc".into(),
                time: 0,
                author: "dev@example.com".into(),
                merge: false,
                evidence: vec!["vouch note".into()],
                files: vec![FileLines { path: "src/<x>/a.rs".into(), added: 4, ai: 1, ..FileLines::default() }],
                tools: Vec::new(),
            }],
            in_head: HeadLines::default(),
            triage: TriageSavings::default(),
            range: "the last 1 commit(s)".into(),
            now: now(),
        });
        let html = render_html(&report);
        assert_eq!(html.matches("<svg class=\"chart\"").count(), 4);
        assert!(!html.contains("<script"));
        assert!(!html.contains("src=\"http"));
        assert!(!html.contains("<x>"));
        assert!(html.contains("src/&lt;x&gt;"));
        assert!(html.contains("carol@example.com <span class=\"over\">over budget</span>"));
        let text = render_text(&report);
        assert!(
            text.contains("1 unit(s) awaiting sign-off, 3 AI line(s), in 1 request(s); oldest waiting 9d 3h"),
            "{text}"
        );
    }

    #[test]
    fn the_why_section_lists_units_with_words_not_ids_alone() {
        use crate::intent::Intent;
        let ids = Intent { call: Some("call_1".into()), generation: Some("turn-1".into()), ..Intent::default() };
        let words = Intent { said: Some("Rename price to unit_price".into()), ..ids.clone() };
        let mut only_ids = unit("src/a.rs", "a", "fn a() {}\n", [1, 1]);
        only_ids.intents = vec![ids];
        let mut with_words = unit("src/b.rs", "b", "fn b() {}\n", [1, 1]);
        with_words.intents = vec![words];
        let requests = vec![request(1, "dev@example.com", "2026-02-01T09:00:00Z", vec![only_ids, with_words])];
        let queue = pending(&ledger(&requests, Vec::new()), &policy(), &requests, &|_| None);
        assert_eq!(queue.units.len(), 2);
        let report = team_report(ReportInput {
            queue: &queue.units,
            requests: &queue.requests,
            budget: &Budget::default(),
            latency: Latency::default(),
            commits: &[],
            in_head: HeadLines::default(),
            triage: TriageSavings::default(),
            range: "the last 1 commit(s)".into(),
            now: now(),
        });
        let why: Vec<(&str, &[String])> = report.why.iter().map(|w| (w.path.as_str(), w.intent.as_slice())).collect();
        assert_eq!(why, [("src/b.rs", &["agent's intent: Rename price to unit_price".to_string()][..])]);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 120), "3h 2m");
        assert_eq!(human_duration(2 * 86_400 + 5 * 3600), "2d 5h");
        assert_eq!(human_duration(-5), "0s");
    }
}
