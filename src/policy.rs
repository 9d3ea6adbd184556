//! The policy (`.vouch.toml`): who may sign off on which paths, how many
//! sign-offs a unit needs, and how strict the gate is; and the pure decision
//! that the language server, the gate and the CI verifier share: given the
//! votes on one fingerprint, is the unit approved?
//!
//! Parsing takes the file's text and its name (for messages); loading it
//! from the worktree, the index or a commit is `store::policy_file`'s job.
//! Every key, with its default, is documented in `docs/policy.md`.
//!
//! Path patterns (`[[rules]] paths`, `exempt`, CODEOWNERS) are gitignore-like:
//! a pattern without a `/` (other than a trailing one) matches at any depth,
//! a leading `/` or a `/` in the middle anchors it at the repository root,
//! a trailing `/` matches only what lies under a directory, and a pattern that
//! matches a directory matches every file under it. Paths are relative to the
//! repository root, with forward slashes. Among `[[rules]]`, `[[triage]]` and
//! CODEOWNERS lines the last match wins.
//!
//! Identities are git emails, compared without regard to ASCII case.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::Deserialize;
use toml::Spanned;

use crate::intent::IntentLevel;

/// The name of the policy file at the repository root.
pub const POLICY_FILE: &str = ".vouch.toml";

/// Where vouch looks for CODEOWNERS, in order; the first found is used:
/// GitHub's locations, then GitLab's own. Every one of them is a trust
/// file, whether the policy uses CODEOWNERS or not: the forge reads them to
/// decide who reviews the policy.
pub const CODEOWNERS_PATHS: [&str; 4] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];

/// The default `trust_files`: the CI configuration that runs `vouch verify`
/// (GitHub's workflows and the local actions they use, GitLab's file).
pub const DEFAULT_TRUST_FILES: [&str; 3] = [".github/workflows/", ".github/actions/", ".gitlab-ci.yml"];

/// Non-whitespace AI bytes that count as one AI line for the thresholds
/// (`min_ai_lines`, `[[triage]] max_ai_lines`), so that a unit written on
/// one long line counts as the lines it would take.
pub const BYTES_PER_LINE: usize = 80;

/// How much AI text a unit holds, as the thresholds see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AiAmount {
    /// Lines holding non-whitespace AI bytes.
    pub lines: usize,
    /// Non-whitespace AI bytes.
    pub bytes: usize,
    /// All of the unit's own non-whitespace text is AI text.
    pub whole: bool,
    /// Lines an AI removed from the unit: a removal changes what the unit
    /// does as much as an edit of as many lines.
    pub deleted: usize,
}

impl AiAmount {
    /// The AI lines the thresholds compare: the AI lines, or one per
    /// [`BYTES_PER_LINE`] non-whitespace AI bytes, whichever is more, and
    /// the lines an AI removed.
    pub fn effective_lines(&self) -> usize {
        self.lines.max(self.bytes.div_ceil(BYTES_PER_LINE)) + self.deleted
    }
}

/// A bare line count (no byte count, not a whole unit): what callers that
/// know only lines pass.
impl From<usize> for AiAmount {
    fn from(lines: usize) -> AiAmount {
        AiAmount { lines, ..AiAmount::default() }
    }
}

/// What the pre-commit gate does with units that lack sign-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    /// Refuse the commit.
    Block,
    /// Print the units and let the commit through.
    Warn,
}

/// How risky a path is, as a rule declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

/// When a request for sign-off must carry a rationale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RationaleRule {
    Never,
    /// For risky units only (see [`Requirement::risky`]).
    Risky,
    Always,
}

/// How loudly an editor reports a unit that needs sign-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Information,
    Warning,
}

/// `[detection]`: when text counts as AI text that needs sign-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The no-plugin heuristic suspects a single insertion of at least this
    /// many characters...
    pub min_chars: u32,
    /// ...spanning at least this many lines.
    pub min_lines: u32,
    /// A unit needs sign-off only with at least this many AI lines (≥ 1).
    pub min_ai_lines: u32,
    /// Whether text the heuristic merely suspects blocks the gate before
    /// someone classifies it.
    pub heuristic_blocks: bool,
}

impl Default for Detection {
    fn default() -> Detection {
        Detection { min_chars: 80, min_lines: 2, min_ai_lines: 1, heuristic_blocks: false }
    }
}

/// `[risk]`: what risk tags (the captures of `queries/<lang>/risk.scm`) do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskConfig {
    /// Tags that make a unit risky; `"*"` stands for every tag.
    pub raise: Vec<String>,
    /// Approvals a unit with such a tag needs on top of its rule's.
    pub extra_approvals: u32,
}

impl Default for RiskConfig {
    fn default() -> RiskConfig {
        RiskConfig { raise: vec!["*".to_string()], extra_approvals: 0 }
    }
}

impl RiskConfig {
    /// The tags among `tags` that raise a unit's risk, sorted and unique.
    pub fn raising(&self, tags: &[String]) -> Vec<String> {
        let any = self.raise.iter().any(|r| r == "*");
        let set: BTreeSet<&String> = tags.iter().filter(|t| any || self.raise.contains(t)).collect();
        set.into_iter().cloned().collect()
    }
}

/// `[budget]`: review load limits (reported, not enforced, for now).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    pub ai_lines_per_reviewer: Option<u32>,
}

/// An invalid policy or CODEOWNERS file. Display:
/// `.vouch.toml:7:1: unknown key `reviewer` in [[rules]], expected ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// The file as the caller named it.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// 1-based column in characters, where known.
    pub column: Option<usize>,
    /// The key at fault, where known.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// A rule of the policy, by position: `index` counts `[[rules]]` (or
/// `[[triage]]`) entries from 0, `line` is where the entry starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRef {
    pub index: usize,
    pub line: usize,
}

/// Where a unit's reviewers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewerSource {
    /// The top-level `reviewers`.
    Policy,
    /// A `[[rules]]` entry's `reviewers`.
    Rule(RuleRef),
    /// A CODEOWNERS line.
    Codeowners { file: String, line: usize },
}

/// Who may approve a unit (besides the identities always excluded: the
/// people who accepted the AI text, requested the sign-off or author the
/// commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewerSet {
    /// The policy names no reviewers: anyone may approve. Front ends tell the
    /// user to configure reviewers.
    Unconfigured,
    /// A `[[triage]]` entry with `peer = true` applies: any peer may approve.
    Peers,
    /// These people. `names` are as written (emails, `@group`, `@handle`);
    /// `emails` are what they resolve to, lowercase. `emails` may be empty
    /// (CODEOWNERS owners that map to no email): nobody can approve then.
    Listed { names: Vec<String>, emails: BTreeSet<String>, from: ReviewerSource },
}

impl ReviewerSet {
    /// Whether `email` is one of these reviewers.
    pub fn contains(&self, email: &str) -> bool {
        match self {
            ReviewerSet::Unconfigured | ReviewerSet::Peers => true,
            ReviewerSet::Listed { emails, .. } => emails.contains(&email.to_ascii_lowercase()),
        }
    }
}

impl fmt::Display for ReviewerSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewerSet::Unconfigured => f.write_str("anyone (no reviewers are configured in .vouch.toml)"),
            ReviewerSet::Peers => f.write_str("any peer"),
            ReviewerSet::Listed { names, from, .. } => {
                if names.is_empty() {
                    f.write_str("nobody")?;
                } else {
                    f.write_str(&names.join(", "))?;
                }
                match from {
                    ReviewerSource::Policy => Ok(()),
                    ReviewerSource::Rule(r) => write!(f, " (rule at line {})", r.line),
                    ReviewerSource::Codeowners { file, line } => write!(f, " ({file}:{line})"),
                }
            }
        }
    }
}

/// What the policy asks of one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The path the requirement was computed for.
    pub path: String,
    /// The path matches `exempt`: it never needs sign-off.
    pub exempt: bool,
    /// The unit needs sign-off: not exempt, wholly AI or enough AI lines
    /// (`[detection] min_ai_lines`, see [`AiAmount::effective_lines`]), and
    /// at least one approval required.
    pub needs_signoff: bool,
    /// Distinct approvals required (when `needs_signoff`).
    pub approvals: u32,
    pub reviewers: ReviewerSet,
    /// The matching rule's `risk`, or low.
    pub path_risk: Risk,
    /// The unit's risk tags that `[risk] raise` lists.
    pub raised_by: Vec<String>,
    /// Warning for risky units, else information.
    pub severity: Severity,
    /// A `[[triage]]` entry lets any peer approve.
    pub peer_ok: bool,
    /// A request for this unit must carry a rationale.
    pub rationale_required: bool,
    /// Only approvals with a verified signature count.
    pub require_signatures: bool,
    /// The `[[rules]]` entry that matched, if any.
    pub rule: Option<RuleRef>,
    /// The `[[triage]]` entry that applied, if any.
    pub triage: Option<RuleRef>,
    /// The automated reviewers whose `[[automated]]` rule lets them clear
    /// this unit (lowercase): a small unit without risk tags, on a path of
    /// low enough risk, never a trust file.
    pub automated: Vec<String>,
    /// Every automated reviewer the policy names (lowercase): their votes
    /// never count as a person's.
    pub automated_identities: Vec<String>,
}

impl Requirement {
    /// Whether `email` is one of the policy's automated reviewers.
    pub fn is_automated(&self, email: &str) -> bool {
        contains_email(&self.automated_identities, email)
    }

    /// Whether automated reviewer `email` may clear this unit, as an
    /// automated approval; when not, why.
    pub fn may_clear(&self, email: &str, participants: &Participants) -> Result<(), Refusal> {
        participants.refusal(email, &[])?;
        if !contains_email(&self.automated, email) {
            return Err(Refusal::AutomatedNotAllowed { identity: email.to_string(), path: self.path.clone() });
        }
        Ok(())
    }

    /// Whether `email` may sign this unit off: approve it, or clear it
    /// when it is an automated reviewer.
    pub fn may_sign_off(&self, email: &str, participants: &Participants) -> bool {
        if self.is_automated(email) {
            self.may_clear(email, participants).is_ok()
        } else {
            self.may_approve(email, participants).is_ok()
        }
    }

    /// Risky: a high-risk path, or a risk tag that `[risk] raise` lists.
    pub fn risky(&self) -> bool {
        self.path_risk == Risk::High || !self.raised_by.is_empty()
    }

    /// Whether `email` may approve this unit; when not, why.
    pub fn may_approve(&self, email: &str, participants: &Participants) -> Result<(), Refusal> {
        participants.refusal(email, &[])?;
        self.may_review(email)
    }

    /// Whether `email` is one of this unit's reviewers.
    pub fn may_review(&self, email: &str) -> Result<(), Refusal> {
        if !self.reviewers.contains(email) {
            return Err(Refusal::NotAReviewer {
                identity: email.to_string(),
                path: self.path.clone(),
                reviewers: self.reviewers.to_string(),
            });
        }
        Ok(())
    }
}

/// The people who took part in a unit's life and so may not sign it off.
///
/// These lists come from records of every kind, authenticated or not (an
/// unsigned request, a note's `accepted_by`, a commit's author field): a
/// name in them only ever takes an approval away (which fails closed), and
/// never a reject (see [`assess`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participants {
    /// Who accepted the AI text (the journal's and notes' `accepted_by`).
    pub acceptors: Vec<String>,
    /// Who requested sign-off; non-empty means a request exists.
    pub requesters: Vec<String>,
    /// Who authors the commit (or, at the gate, will author it): authors,
    /// committers and, where commits are signed, the principals of the
    /// signing keys.
    pub authors: Vec<String>,
}

impl Participants {
    /// Why `email` (or another identity the same key is listed for,
    /// `aliases`) took part, if it did.
    pub fn refusal(&self, email: &str, aliases: &[String]) -> Result<(), Refusal> {
        type Check<'a> = (&'a [String], fn(String) -> Refusal);
        let checks: [Check<'_>; 3] = [
            (&self.acceptors, |identity| Refusal::AcceptedTheAiText { identity }),
            (&self.requesters, |identity| Refusal::RequestedTheSignoff { identity }),
            (&self.authors, |identity| Refusal::AuthorsTheCommit { identity }),
        ];
        for (list, refusal) in checks {
            if contains_email(list, email) {
                return Err(refusal(email.to_string()));
            }
            if let Some(alias) = aliases.iter().find(|a| contains_email(list, a)) {
                return Err(refusal(format!("{email} (whose signing key is also listed for {alias})")));
            }
        }
        Ok(())
    }

    /// Everyone, lowercase, each once.
    pub fn everyone(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .acceptors
            .iter()
            .chain(&self.requesters)
            .chain(&self.authors)
            .map(|e| e.to_ascii_lowercase())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

fn contains_email(list: &[String], email: &str) -> bool {
    list.iter().any(|e| e.eq_ignore_ascii_case(email))
}

/// Why a vote does not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{identity} is not a reviewer for {path} (reviewers: {reviewers})")]
    NotAReviewer { identity: String, path: String, reviewers: String },
    #[error("{identity} accepted this AI text and cannot approve it")]
    AcceptedTheAiText { identity: String },
    #[error("{identity} requested this sign-off and cannot approve it")]
    RequestedTheSignoff { identity: String },
    #[error("{identity} authored, committed or signed a commit of it and cannot approve it")]
    AuthorsTheCommit { identity: String },
    #[error("the approval by {identity} carries no valid signature and the policy requires one")]
    Unsigned { identity: String },
    /// The approval answers a request whose stated fingerprint is not the
    /// fingerprint of the text it shows: the reviewer saw other text.
    #[error("it answers request {request} whose stated fingerprint does not match its text, so it cannot approve it")]
    AnswersForgedRequest { identity: String, request: String },
    /// In signed mode the emails and keys the allowed signers tie together
    /// (one key listed under several emails, or keys sharing an email) are
    /// one approver.
    #[error(
        "{identity} and {other} are one approver: the allowed signers tie them together (the later signed with key \
         {key})"
    )]
    SameSigner { identity: String, other: String, key: String },
    /// An automated reviewer's approval counts only where an `[[automated]]`
    /// rule lets it clear the unit, and never as a person's.
    #[error(
        "{identity} is an automated reviewer, and no [[automated]] rule lets it clear this unit of {path} (a unit \
         with a risk tag, on a riskier path, larger than its max_ai_lines, outside its paths, or a trust file); a \
         person must approve it"
    )]
    AutomatedNotAllowed { identity: String, path: String },
    /// An automated reviewer's reject is advice: it withdraws the reviewer's
    /// own approval, and a person decides.
    #[error("the automated reviewer {identity} rejected it: that leaves the decision to a person, it does not block")]
    AutomatedReject { identity: String },
    /// Overrides only by the people `override_by` names.
    #[error("{identity} is not among the people the policy lets override (override_by: {allowed})")]
    NotAnOverrider { identity: String, allowed: String },
    /// An approval of a trust file's content approves a change from the
    /// version BASE holds: one given before BASE's history last changed the
    /// file approved a change from another version (the same content put
    /// back later is a rollback nobody approved).
    #[error(
        "{identity} approved this content on {approved}, before BASE's history last changed the file (commit \
         {commit}): an approval of a trust file counts for a change from the version BASE holds, given since"
    )]
    BeforeBaseChanged { identity: String, approved: String, commit: String },
    #[error(
        "{identity} approved this content on {approved} as a change from another version of the file than the one \
         BASE holds: an approval of a trust file counts for the change it was given for"
    )]
    ReplacedAnother { identity: String, approved: String },
    /// An approval of code counts where it was given, and where a rename
    /// since BASE took the file: the same text elsewhere (a test's stub put
    /// in place of the real function) is another decision.
    #[error(
        "{identity} approved the same text at {at}: an approval counts where it was given (and where a rename takes \
         its file), not at every place the text stands"
    )]
    ApprovedElsewhere { identity: String, at: String },
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    /// "approval" or "rejection": what a decision of this verdict is called.
    pub fn noun(self) -> &'static str {
        match self {
            Verdict::Approve => "approval",
            Verdict::Reject => "rejection",
        }
    }
}

/// The key that made a signature that verified, and every identity the
/// allowed-signers file lists it for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signer {
    /// The key's SHA-256 fingerprint (`SHA256:...`).
    pub key: String,
    /// Every principal (email, lowercase) listed with that key.
    pub principals: Vec<String>,
}

/// One approval record, as the decision sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// The record's id (empty when there is no record).
    pub id: String,
    pub email: String,
    pub verdict: Verdict,
    pub comment: Option<String>,
    /// The key whose signature over the record verified for `email`
    /// against the allowed signers; `None` when unsigned or not verified.
    pub signer: Option<Signer>,
    /// The record says it is an automated reviewer's verdict.
    pub automated: bool,
    /// A reject whose reviewer is a reviewer of the path its record names,
    /// where the unit stood when they cast it: it counts wherever the text
    /// is now (moving the text must not take a reject away).
    pub entitled_where_cast: bool,
}

impl Vote {
    /// Whether the record carries a signature that verified.
    pub fn signed(&self) -> bool {
        self.signer.is_some()
    }
}

/// Where a unit stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Exempt, too little AI text, or a triage rule that asks for nothing.
    NotRequired,
    /// Enough distinct entitled reviewers approved, and none rejects; or an
    /// automated reviewer whose rule covers the unit approved it. `by` is
    /// everyone whose approval counts; `automated` the automated reviewers
    /// among them (never people).
    Approved { by: Vec<String>, automated: Vec<String> },
    /// An entitled reviewer's latest vote is a reject (the latest such
    /// reviewer is named).
    Rejected { by: String, comment: Option<String> },
    /// Sign-off was requested; `have` of `need` approvals so far.
    Requested { have: u32, need: u32, by: Vec<String> },
    /// Nobody requested sign-off yet; `have` of `need` approvals so far.
    Pending { have: u32, need: u32, by: Vec<String> },
}

impl Status {
    /// Whether the unit still lacks sign-off (what the gate refuses).
    pub fn is_blocking(&self) -> bool {
        !matches!(self, Status::NotRequired | Status::Approved { .. })
    }

    /// `approved`, `not-required`, `rejected`, `requested` or `pending`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Approved { .. } => "approved",
            Status::NotRequired => "not-required",
            Status::Rejected { .. } => "rejected",
            Status::Requested { .. } => "requested",
            Status::Pending { .. } => "pending",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::NotRequired => f.write_str("needs no sign-off"),
            Status::Approved { by, automated } => {
                let names: Vec<String> = by
                    .iter()
                    .map(|b| if contains_email(automated, b) { format!("{b} (automated)") } else { b.clone() })
                    .collect();
                write!(f, "approved by {}", names.join(", "))
            }
            Status::Rejected { by, comment: Some(c) } => write!(f, "rejected by {by}: {c}"),
            Status::Rejected { by, comment: None } => write!(f, "rejected by {by}"),
            Status::Requested { have, need, .. } => write!(f, "sign-off requested: {have} of {need} approvals"),
            Status::Pending { have, need, .. } => {
                write!(f, "needs sign-off: {have} of {need} approvals, not requested yet")
            }
        }
    }
}

/// A vote that did not count, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The record's id (empty when there is no record).
    pub id: String,
    pub email: String,
    pub verdict: Verdict,
    pub refusal: Refusal,
}

impl Ignored {
    /// A vote left out for `refusal`.
    pub fn new(vote: &Vote, refusal: Refusal) -> Ignored {
        Ignored { id: vote.id.clone(), email: vote.email.clone(), verdict: vote.verdict, refusal }
    }
}

/// A unit's status and the votes that did not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub status: Status,
    pub ignored: Vec<Ignored>,
}

/// Who cast each of `votes`, for counting people: its email, lowercase.
/// Where signatures are required, the emails the keys of `votes` are
/// listed for join into one person: a key under two emails, or two keys
/// (a laptop's and a desktop's) under one email, is one person, named by
/// the least of their emails.
fn people(votes: &[Vote], signed: bool) -> Vec<String> {
    let email = |vote: &Vote| vote.email.to_ascii_lowercase();
    if !signed {
        return votes.iter().map(email).collect();
    }
    // Union-find over emails: each key joins every email it is listed for.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn root(parent: &BTreeMap<String, String>, mut at: String) -> String {
        while let Some(up) = parent.get(&at).filter(|up| **up != at) {
            at = up.clone();
        }
        at
    }
    for vote in votes {
        let mut joined = vec![email(vote)];
        joined.extend(vote.signer.iter().flat_map(|s| s.principals.iter().map(|p| p.to_ascii_lowercase())));
        let roots: BTreeSet<String> = joined.into_iter().map(|e| root(&parent, e)).collect();
        let least = roots.first().expect("a vote has an email").clone();
        for r in roots {
            parent.insert(r, least.clone());
        }
    }
    votes.iter().map(|vote| root(&parent, email(vote))).collect()
}

/// The decision: where a unit with `requirement` stands, given the `votes`
/// on its fingerprint in time order (oldest first) and its `participants`.
///
/// A vote is *entitled* when its reviewer is one of the unit's reviewers
/// and, where the policy requires signatures, its signature verified; other
/// votes do not count at all. Each person's latest entitled vote is theirs
/// (a reviewer may change their mind); a person is an email, or, where
/// signatures are required, every email and key joined by the allowed
/// signers ([`people`]): one key listed under two emails is one approver,
/// and so are two keys listed under one email.
///
/// If any person's latest vote is a reject the unit is rejected, whatever
/// others approved before or after; a reject stands until the same person
/// approves the same text (an edit makes a new fingerprint, free of old
/// votes). Participants never lose a reject: the participant lists come
/// from records anyone can write (an unsigned request, a note), so they
/// only ever take an *approval* away, which fails closed. An approval
/// counts when its signer is not a participant (under the email it names,
/// or any email its key is listed for). Every vote that does not count is
/// returned in `ignored` with the reason, in the order of `votes`.
pub fn assess(requirement: &Requirement, votes: &[Vote], participants: &Participants) -> Assessment {
    let mut ignored = Vec::new();
    let signed_mode = requirement.require_signatures;
    // Latest entitled vote per person, with its position.
    let mut latest: BTreeMap<String, (usize, &Vote)> = BTreeMap::new();
    let people = people(votes, signed_mode);
    // Latest vote per automated reviewer that may clear the unit.
    let mut automated: BTreeMap<String, (usize, &Vote)> = BTreeMap::new();
    for (i, vote) in votes.iter().enumerate() {
        let aliases = vote.signer.as_ref().map_or(&[][..], |s| s.principals.as_slice());
        // An automated reviewer's vote, whatever the record claims: its
        // identity, or a key also listed for one, is never a person.
        let bot = vote.automated
            || requirement.is_automated(&vote.email)
            || aliases.iter().any(|a| requirement.is_automated(a));
        if bot {
            let signed = if signed_mode && !vote.signed() {
                Err(Refusal::Unsigned { identity: vote.email.clone() })
            } else {
                Ok(())
            };
            // A key also listed for a participant is that participant's.
            let cleared = participants
                .refusal(&vote.email, aliases)
                .and_then(|()| requirement.may_clear(&vote.email, participants))
                .and(signed);
            match (vote.verdict, cleared) {
                (Verdict::Approve, Ok(())) => {
                    automated.insert(vote.email.to_ascii_lowercase(), (i, vote));
                }
                (Verdict::Reject, Ok(())) => {
                    // Withdraws its own approval; the decision is a person's.
                    automated.insert(vote.email.to_ascii_lowercase(), (i, vote));
                    ignored.push(Ignored::new(vote, Refusal::AutomatedReject { identity: vote.email.clone() }));
                }
                (Verdict::Reject, Err(_)) => {
                    ignored.push(Ignored::new(vote, Refusal::AutomatedReject { identity: vote.email.clone() }));
                }
                (Verdict::Approve, Err(refusal)) => ignored.push(Ignored::new(vote, refusal)),
            }
            continue;
        }
        let cast_there = |refusal| match vote.verdict == Verdict::Reject && vote.entitled_where_cast {
            true => Ok(()),
            false => Err(refusal),
        };
        let entitled = requirement.may_review(&vote.email).or_else(cast_there).and_then(|()| {
            if signed_mode && !vote.signed() { Err(Refusal::Unsigned { identity: vote.email.clone() }) } else { Ok(()) }
        });
        let refusal = match vote.verdict {
            // A participant's approval is named as such first: the most
            // useful reason to hear.
            Verdict::Approve => participants.refusal(&vote.email, aliases).and(entitled.clone()).err(),
            Verdict::Reject => entitled.clone().err(),
        };
        if entitled.is_ok() {
            let person = people[i].clone();
            // An earlier vote of the same person under another email is
            // superseded: said once, unless it was left out already.
            if let Some((_, earlier)) = latest.get(&person)
                && !earlier.email.eq_ignore_ascii_case(&vote.email)
                && let Some(signer) = &vote.signer
                && !ignored.iter().any(|g: &Ignored| !g.id.is_empty() && g.id == earlier.id)
            {
                ignored.push(Ignored::new(
                    earlier,
                    Refusal::SameSigner {
                        identity: earlier.email.clone(),
                        other: vote.email.clone(),
                        key: signer.key.clone(),
                    },
                ));
            }
            // A participant's own entitled vote still replaces their
            // earlier one: an approval withdraws their reject even though
            // it cannot count itself.
            latest.insert(person, (i, vote));
        }
        if let Some(refusal) = refusal {
            ignored.push(Ignored::new(vote, refusal));
        }
    }
    if !requirement.needs_signoff {
        return Assessment { status: Status::NotRequired, ignored };
    }
    let rejection = latest.values().filter(|(_, v)| v.verdict == Verdict::Reject).max_by_key(|(i, _)| *i);
    if let Some((_, vote)) = rejection {
        let status = Status::Rejected { by: vote.email.clone(), comment: vote.comment.clone() };
        return Assessment { status, ignored };
    }
    let mut approvers: Vec<(usize, &Vote)> = latest
        .values()
        .filter(|(_, v)| v.verdict == Verdict::Approve)
        .filter(|(_, v)| {
            let aliases = v.signer.as_ref().map_or(&[][..], |s| s.principals.as_slice());
            participants.refusal(&v.email, aliases).is_ok()
        })
        .copied()
        .collect();
    approvers.sort_by_key(|(i, _)| *i);
    let by: Vec<String> = approvers.iter().map(|(_, v)| v.email.clone()).collect();
    let have = u32::try_from(by.len()).unwrap_or(u32::MAX);
    let need = requirement.approvals;
    // An automated approval that its rule covers clears the unit by itself
    // (and only such a unit); it adds nothing to a count of people.
    let cleared_by: Vec<String> =
        automated.values().filter(|(_, v)| v.verdict == Verdict::Approve).map(|(_, v)| v.email.clone()).collect();
    let status = if have >= need {
        Status::Approved { by, automated: Vec::new() }
    } else if !cleared_by.is_empty() {
        let mut all = by;
        all.extend(cleared_by.iter().cloned());
        Status::Approved { by: all, automated: cleared_by }
    } else if participants.requesters.is_empty() {
        Status::Pending { have, need, by }
    } else {
        Status::Requested { have, need, by }
    };
    Assessment { status, ignored }
}

/// A parsed policy. [`Policy::default`] is the policy of a repository
/// without `.vouch.toml`.
#[derive(Debug, Clone)]
pub struct Policy {
    file: Option<String>,
    gate: Gate,
    reviewers: Reviewers,
    approvals: u32,
    rules: Vec<Rule>,
    rule_matcher: Matcher,
    exempt: Matcher,
    /// The `exempt` patterns as written, for explaining them (`vouch doctor`).
    exempt_patterns: Vec<String>,
    codeowners: bool,
    owners: Option<ResolvedCodeowners>,
    groups: BTreeMap<String, Reviewers>,
    aliases: BTreeMap<String, String>,
    detection: Detection,
    risk: RiskConfig,
    bots: Vec<String>,
    triage: Vec<Triage>,
    triage_matcher: Matcher,
    automated: Vec<Automated>,
    require_rationale: RationaleRule,
    intent: IntentLevel,
    budget: Budget,
    require_signatures: bool,
    allowed_signers: String,
    require_attestation: bool,
    require_signed_commits: bool,
    allow_override: bool,
    repository: Option<String>,
    override_by: Reviewers,
    trust_files: Vec<String>,
    /// The matcher of `trust_files`; `None` for the defaults, whose matcher
    /// is built once, on first use ([`DEFAULT_TRUST_MATCHER`]): most
    /// commands (an agent hook) never ask, and building it compiles globs.
    trust_matcher: Option<Matcher>,
    warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Reviewers {
    names: Vec<String>,
    emails: BTreeSet<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    at: RuleRef,
    approvals: Option<u32>,
    reviewers: Option<Reviewers>,
    risk: Option<Risk>,
}

#[derive(Debug, Clone)]
struct Triage {
    at: RuleRef,
    max_ai_lines: u32,
    max_risk: Risk,
    peer: bool,
    approvals: Option<u32>,
}

/// An `[[automated]]` entry: what one automated reviewer may clear.
#[derive(Debug, Clone)]
struct Automated {
    /// The reviewer's identity, lowercase.
    reviewer: String,
    max_ai_lines: u32,
    max_risk: Risk,
    /// `None`: every path.
    paths: Option<Matcher>,
}

#[derive(Debug, Clone)]
struct ResolvedCodeowners {
    file: String,
    lines: Vec<usize>,
    owners: Vec<Reviewers>,
    matcher: Matcher,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            file: None,
            gate: Gate::Block,
            reviewers: Reviewers::default(),
            approvals: 1,
            rules: Vec::new(),
            rule_matcher: Matcher::default(),
            exempt: Matcher::default(),
            exempt_patterns: Vec::new(),
            codeowners: false,
            owners: None,
            groups: BTreeMap::new(),
            aliases: BTreeMap::new(),
            detection: Detection::default(),
            risk: RiskConfig::default(),
            bots: Vec::new(),
            triage: Vec::new(),
            triage_matcher: Matcher::default(),
            automated: Vec::new(),
            require_rationale: RationaleRule::Never,
            intent: IntentLevel::default(),
            budget: Budget::default(),
            require_signatures: false,
            allowed_signers: ".vouch/allowed_signers".to_string(),
            require_attestation: false,
            require_signed_commits: false,
            allow_override: false,
            repository: None,
            override_by: Reviewers::default(),
            trust_files: DEFAULT_TRUST_FILES.iter().map(|p| p.to_string()).collect(),
            trust_matcher: None,
            warnings: Vec::new(),
        }
    }
}

/// The matcher of [`DEFAULT_TRUST_FILES`], built when first asked.
static DEFAULT_TRUST_MATCHER: std::sync::LazyLock<Matcher> = std::sync::LazyLock::new(default_trust_matcher);

/// The matcher of [`DEFAULT_TRUST_FILES`].
fn default_trust_matcher() -> Matcher {
    let mut builder = MatcherBuilder::default();
    for pattern in DEFAULT_TRUST_FILES {
        // The defaults are valid patterns; a test parses them.
        let _ = builder.add(pattern, 0);
    }
    builder.build()
}

impl Policy {
    /// Parses the text of a policy file; `file` names it in messages.
    ///
    /// The last policy parsed is kept for the process: one command reads
    /// the same policy several times (the gate: for the repository id, the
    /// records and its decisions), and parsing is a pure function of
    /// `text` and `file`.
    pub fn parse(text: &str, file: &str) -> Result<Policy, PolicyError> {
        static LAST: std::sync::Mutex<Option<(String, String, Policy)>> = std::sync::Mutex::new(None);
        if let Ok(last) = LAST.lock()
            && let Some((kept_file, kept_text, policy)) = last.as_ref()
            && kept_file == file
            && kept_text == text
        {
            return Ok(policy.clone());
        }
        let raw: RawPolicy = toml::from_str(text).map_err(|e| from_toml(&e, text, file))?;
        let policy = Builder { text, file }.build(raw)?;
        if let Ok(mut last) = LAST.lock() {
            *last = Some((file.to_string(), text.to_string(), policy.clone()));
        }
        Ok(policy)
    }

    /// The `intent` level policy file `text` sets (the default when it sets
    /// none), read as [`Policy::parse`] reads it (bad TOML, an unknown key
    /// or a wrong type is the same error), without building the rest: its
    /// path patterns, reviewers and rules. For the agent hooks, which need
    /// only this, on every edit.
    pub fn parse_intent(text: &str, file: &str) -> Result<IntentLevel, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| from_toml(&e, text, file))?;
        Ok(raw.intent.unwrap_or_default())
    }

    /// The policy with CODEOWNERS attached (used when `codeowners = true`).
    /// Owners that map to no email (a `@handle` missing from `[aliases]` and
    /// `[groups]`) are kept by name, reported in [`Policy::warnings`], and
    /// can approve nothing.
    pub fn with_codeowners(mut self, codeowners: Codeowners) -> Policy {
        let mut owners = Vec::with_capacity(codeowners.entries.len());
        let mut lines = Vec::with_capacity(codeowners.entries.len());
        for entry in &codeowners.entries {
            let mut resolved = Reviewers::default();
            for owner in &entry.owners {
                resolved.names.push(owner.clone());
                match self.resolve_owner(owner) {
                    Some(emails) => resolved.emails.extend(emails),
                    None => self.warnings.push(format!(
                        "{}:{}: owner {owner} maps to no email; add it to [aliases] or [groups] in {}",
                        codeowners.file,
                        entry.line,
                        self.file.as_deref().unwrap_or(POLICY_FILE)
                    )),
                }
            }
            owners.push(resolved);
            lines.push(entry.line);
        }
        self.owners = Some(ResolvedCodeowners { file: codeowners.file, lines, owners, matcher: codeowners.matcher });
        self
    }

    fn resolve_owner(&self, owner: &str) -> Option<BTreeSet<String>> {
        match owner.strip_prefix('@') {
            Some(name) => {
                if let Some(group) = self.groups.get(name) {
                    Some(group.emails.clone())
                } else {
                    self.aliases.get(name).map(|email| BTreeSet::from([email.clone()]))
                }
            }
            None if is_email(owner) => Some(BTreeSet::from([owner.to_ascii_lowercase()])),
            None => None,
        }
    }

    /// The file the policy came from; `None` for the defaults.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    pub fn gate(&self) -> Gate {
        self.gate
    }

    /// Whether reviewers come from CODEOWNERS (the loader then attaches it
    /// with [`Policy::with_codeowners`]).
    pub fn uses_codeowners(&self) -> bool {
        self.codeowners
    }

    /// Whether the policy names any reviewer at all (top level, a rule,
    /// CODEOWNERS); when not, anyone but the participants may approve.
    pub fn reviewers_configured(&self) -> bool {
        !self.reviewers.names.is_empty()
            || self.rules.iter().any(|r| r.reviewers.is_some())
            || self.owners.as_ref().is_some_and(|o| !o.owners.is_empty())
    }

    /// Whether a unit's risk tags can change what it needs: a `[[triage]]`
    /// or `[[automated]]` rule (never for a unit with a tag), extra
    /// approvals for a risky one, or a rationale asked of a risky one.
    /// Otherwise they only change how a unit is shown.
    pub fn risk_decides(&self) -> bool {
        !self.triage.is_empty()
            || !self.automated.is_empty()
            || self.risk.extra_approvals > 0
            || self.require_rationale == RationaleRule::Risky
    }

    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    pub fn risk(&self) -> &RiskConfig {
        &self.risk
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn require_rationale(&self) -> RationaleRule {
        self.require_rationale
    }

    /// How much of an agent's reasoning its hook keeps with an edit
    /// (`intent`; see [`crate::intent`]).
    pub fn intent(&self) -> IntentLevel {
        self.intent
    }

    pub fn require_signatures(&self) -> bool {
        self.require_signatures
    }

    /// The allowed-signers file, relative to the repository root.
    pub fn allowed_signers(&self) -> &str {
        &self.allowed_signers
    }

    pub fn require_attestation(&self) -> bool {
        self.require_attestation
    }

    pub fn allow_override(&self) -> bool {
        self.allow_override
    }

    /// The repository id (a root commit, as `vouch init` records it) that
    /// records must carry to count here; `None` when the policy does not
    /// name one.
    pub fn repository(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    /// Whether every commit of a verified range must carry an SSH signature
    /// that verifies against the allowed signers (namespace `git`).
    pub fn require_signed_commits(&self) -> bool {
        self.require_signed_commits
    }

    /// `override_by` as written.
    pub fn override_by(&self) -> &[String] {
        &self.override_by.names
    }

    /// Whether `email` (or another identity its signing key is listed for,
    /// `aliases`) may make an override that counts: overrides are allowed,
    /// `override_by` names them, and they took no part in what the override
    /// covers.
    pub fn may_override(&self, email: &str, aliases: &[String], participants: &Participants) -> Result<(), Refusal> {
        participants.refusal(email, aliases)?;
        if !self.override_by.emails.contains(&email.to_ascii_lowercase()) {
            let allowed = if self.override_by.names.is_empty() {
                "nobody".to_string()
            } else {
                self.override_by.names.join(", ")
            };
            return Err(Refusal::NotAnOverrider { identity: email.to_string(), allowed });
        }
        Ok(())
    }

    /// `trust_files` as written (or the default).
    pub fn trust_file_patterns(&self) -> &[String] {
        &self.trust_files
    }

    /// Whether `path` is a trust file under this policy: the policy itself,
    /// the allowed-signers file it names, a CODEOWNERS location, or a path
    /// `trust_files` matches. A change to a trust file needs approval of the
    /// whole file as a change (see [`Policy::trust_requirement`]).
    pub fn is_trust_file(&self, path: &str) -> bool {
        let path = clean_path(path);
        path == POLICY_FILE
            || path == clean_path(&self.allowed_signers)
            || CODEOWNERS_PATHS.contains(&path)
            || self.trust_matcher.as_ref().unwrap_or(&DEFAULT_TRUST_MATCHER).last_match(path).is_some()
    }

    /// What the policy asks of a change to trust file `path`: the approvals
    /// and reviewers of its path (at least one approval), never exempt, and
    /// whatever its size.
    pub fn trust_requirement(&self, path: &str) -> Requirement {
        let path = clean_path(path);
        let rule = self.rule_matcher.last_match(path).map(|i| &self.rules[i]);
        let mut requirement = self.requirement(path, &[], AiAmount { lines: 1, bytes: 0, whole: true, deleted: 0 });
        // No exemption and no triage: a trust file is not small code.
        requirement.exempt = false;
        requirement.triage = None;
        requirement.peer_ok = false;
        requirement.automated.clear();
        requirement.approvals = rule.and_then(|r| r.approvals).unwrap_or(self.approvals).max(1);
        requirement.reviewers = self.reviewers_for(path, rule);
        requirement.needs_signoff = true;
        requirement
    }

    /// The automated reviewers `[[automated]]` names (lowercase), each once.
    pub fn automated_reviewers(&self) -> Vec<String> {
        let mut all: Vec<String> = self.automated.iter().map(|a| a.reviewer.clone()).collect();
        all.sort();
        all.dedup();
        all
    }

    /// The `bots` list as written.
    pub fn bots(&self) -> &[String] {
        &self.bots
    }

    /// Problems that do not make the policy invalid but that a user should
    /// hear about (CODEOWNERS owners with no email).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The members of `[groups]` entry `name` (without `@`), lowercase.
    pub fn group(&self, name: &str) -> Option<&BTreeSet<String>> {
        self.groups.get(name).map(|g| &g.emails)
    }

    /// Whether a commit by this author counts as AI-written: the author's
    /// name or email is in `bots`, or the name (or the email's local part)
    /// ends with `[bot]`, as GitHub's app accounts do.
    pub fn is_bot(&self, name: &str, email: &str) -> bool {
        let local = email.split('@').next().unwrap_or("");
        self.bots.iter().any(|b| b.eq_ignore_ascii_case(name) || b.eq_ignore_ascii_case(email))
            || name.ends_with("[bot]")
            || local.ends_with("[bot]")
    }

    /// Whether `path` never needs sign-off.
    pub fn is_exempt(&self, path: &str) -> bool {
        self.exempt.last_match(path).is_some()
    }

    /// The `exempt` patterns as written.
    pub fn exempt_patterns(&self) -> &[String] {
        &self.exempt_patterns
    }

    /// What the policy asks of a unit at `path` (relative to the root, with
    /// forward slashes) with these risk tags and this much AI text (a bare
    /// number is a count of lines).
    /// Whether every path is judged alike: nothing exempt, no `[[rules]]`,
    /// no CODEOWNERS in use, no triage or automated review limited to
    /// paths. Then text moved from one path to another never needs more
    /// than it did ([`Policy::same_rules`] holds of any two).
    pub fn judges_paths_alike(&self) -> bool {
        let owners = self.codeowners && self.owners.as_ref().is_some_and(|o| !o.owners.is_empty());
        self.exempt_patterns.is_empty()
            && self.rules.is_empty()
            && !owners
            && self.triage.is_empty()
            && self.automated.iter().all(|a| a.paths.is_none())
    }

    /// Whether a unit at `a` and the same unit at `b` need the same: both
    /// exempt or neither, as many approvals from the same reviewers (named
    /// by the same rule). Text moved between two such paths needs nothing
    /// it did not need where it stood.
    pub fn same_rules(&self, a: &str, b: &str) -> bool {
        // Whoever named the reviewers (two CODEOWNERS lines naming the same
        // people are alike), at every size a limit of the policy draws a
        // line at (triage and automated review by AI lines).
        let ask = |path: &str, lines: usize| {
            let mut r = self.requirement(path, &[], AiAmount { lines, whole: true, ..AiAmount::default() });
            r.path = String::new();
            if let ReviewerSet::Listed { from, .. } = &mut r.reviewers {
                *from = ReviewerSource::Policy;
            }
            r
        };
        let limits = self.triage.iter().map(|t| t.max_ai_lines).chain(self.automated.iter().map(|a| a.max_ai_lines));
        let sizes: BTreeSet<usize> =
            std::iter::once(0).chain(limits.flat_map(|n| [n as usize, n as usize + 1])).collect();
        sizes.into_iter().all(|lines| ask(a, lines) == ask(b, lines))
    }

    pub fn requirement(&self, path: &str, risk_tags: &[String], ai: impl Into<AiAmount>) -> Requirement {
        let ai: AiAmount = ai.into();
        let ai_lines = ai.effective_lines();
        let path = clean_path(path);
        let exempt = self.is_exempt(path);
        let rule = self.rule_matcher.last_match(path).map(|i| &self.rules[i]);
        let path_risk = rule.and_then(|r| r.risk).unwrap_or(Risk::Low);
        let raised_by = self.risk.raising(risk_tags);
        let base_approvals = rule.and_then(|r| r.approvals).unwrap_or(self.approvals);
        let mut approvals = base_approvals + if raised_by.is_empty() { 0 } else { self.risk.extra_approvals };
        let mut reviewers = self.reviewers_for(path, rule);

        let triage = self.triage_matcher.last_match(path).map(|i| &self.triage[i]).filter(|t| {
            u32::try_from(ai_lines).is_ok_and(|n| n <= t.max_ai_lines)
                && path_risk <= t.max_risk
                && raised_by.is_empty()
        });
        if let Some(t) = triage {
            if let Some(n) = t.approvals {
                approvals = n;
            }
            if t.peer {
                reviewers = ReviewerSet::Peers;
            }
        }

        // A unit that is all AI always needs sign-off: a threshold lets small
        // AI edits of human code through, never a whole AI unit.
        let enough_ai = ai.whole || u32::try_from(ai_lines).map_or(true, |n| n >= self.detection.min_ai_lines);
        let risky = path_risk == Risk::High || !raised_by.is_empty();
        // Never a unit with any risk tag (raising or not), never a trust
        // file, never more AI lines than the rule allows.
        let mut automated: Vec<String> = Vec::new();
        if risk_tags.is_empty() && !self.is_trust_file(path) {
            for a in &self.automated {
                let fits = u32::try_from(ai_lines).is_ok_and(|n| n <= a.max_ai_lines)
                    && path_risk <= a.max_risk
                    && a.paths.as_ref().is_none_or(|m| m.last_match(path).is_some());
                if fits && !automated.contains(&a.reviewer) {
                    automated.push(a.reviewer.clone());
                }
            }
        }
        Requirement {
            path: path.to_string(),
            exempt,
            needs_signoff: !exempt && enough_ai && approvals > 0,
            approvals,
            reviewers,
            path_risk,
            severity: if risky { Severity::Warning } else { Severity::Information },
            raised_by,
            peer_ok: triage.is_some_and(|t| t.peer),
            rationale_required: match self.require_rationale {
                RationaleRule::Never => false,
                RationaleRule::Risky => risky,
                RationaleRule::Always => true,
            },
            require_signatures: self.require_signatures,
            rule: rule.map(|r| r.at),
            triage: triage.map(|t| t.at),
            automated,
            automated_identities: self.automated_reviewers(),
        }
    }

    /// First of: the rule's `reviewers`, the CODEOWNERS owners of the path
    /// (with `codeowners = true`), the top-level `reviewers`; else anyone.
    fn reviewers_for(&self, path: &str, rule: Option<&Rule>) -> ReviewerSet {
        if let Some(rule) = rule
            && let Some(r) = &rule.reviewers
        {
            return listed(r, ReviewerSource::Rule(rule.at));
        }
        if self.codeowners
            && let Some(owners) = &self.owners
            && let Some(i) = owners.matcher.last_match(path)
            && !owners.owners[i].names.is_empty()
        {
            let from = ReviewerSource::Codeowners { file: owners.file.clone(), line: owners.lines[i] };
            return listed(&owners.owners[i], from);
        }
        if self.reviewers.names.is_empty() {
            ReviewerSet::Unconfigured
        } else {
            listed(&self.reviewers, ReviewerSource::Policy)
        }
    }

    /// Whether `email` may approve a unit at `path`; a shorthand for
    /// [`Policy::requirement`] then [`Requirement::may_approve`].
    pub fn may_approve(
        &self,
        email: &str,
        path: &str,
        risk_tags: &[String],
        ai: impl Into<AiAmount>,
        participants: &Participants,
    ) -> Result<(), Refusal> {
        self.requirement(path, risk_tags, ai).may_approve(email, participants)
    }
}

fn listed(r: &Reviewers, from: ReviewerSource) -> ReviewerSet {
    ReviewerSet::Listed { names: r.names.clone(), emails: r.emails.clone(), from }
}

fn clean_path(mut path: &str) -> &str {
    loop {
        if let Some(rest) = path.strip_prefix("./") {
            path = rest;
        } else if let Some(rest) = path.strip_prefix('/') {
            path = rest;
        } else {
            return path;
        }
    }
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

// ---------------------------------------------------------------------------
// Path patterns.

/// A set of gitignore-like patterns, each owned by an entry (a rule, a
/// CODEOWNERS line); answers which entry matched last.
///
/// A pattern's glob is parsed when it is added (so a bad one is an error
/// then) but compiled only when a path is asked about that starts with the
/// glob's literal prefix (the text before its first wildcard): a CODEOWNERS
/// of thousands of rules, most of them under a directory of their own,
/// compiled into one set cost every process about 90 µs a rule (465 ms of a
/// gate at 5,000 rules); a path asked about now compiles and tries only the
/// rules of its directories and those that can match anywhere.
#[derive(Debug)]
struct Matcher {
    globs: Vec<LazyGlob>,
    /// Indexes into `globs`, the entries with the highest numbers first.
    order: Vec<u32>,
    /// The last path asked about and its answer: the units of one file ask
    /// about the same path one after another (hundreds of times in a large
    /// file), and the patterns never change.
    last: std::sync::Mutex<Option<(String, Option<usize>)>>,
}

/// One glob of a [`Matcher`], compiled when first needed.
#[derive(Debug, Clone)]
struct LazyGlob {
    glob: Glob,
    /// What every path it matches starts with: the glob's text before its
    /// first character that is not itself.
    prefix: String,
    owner: usize,
    compiled: std::sync::OnceLock<GlobMatcher>,
}

impl LazyGlob {
    fn new(glob: Glob, owner: usize) -> LazyGlob {
        let text = glob.glob();
        let literal = text.find(['*', '?', '[', ']', '{', '}', '\\']).unwrap_or(text.len());
        LazyGlob { prefix: text[..literal].to_string(), glob, owner, compiled: std::sync::OnceLock::new() }
    }

    fn is_match(&self, path: &str) -> bool {
        path.starts_with(&self.prefix) && self.compiled.get_or_init(|| self.glob.compile_matcher()).is_match(path)
    }
}

impl Clone for Matcher {
    fn clone(&self) -> Matcher {
        Matcher::new(self.globs.clone())
    }
}

impl Default for Matcher {
    fn default() -> Matcher {
        Matcher::new(Vec::new())
    }
}

impl Matcher {
    fn new(globs: Vec<LazyGlob>) -> Matcher {
        let mut order: Vec<u32> = (0..globs.len() as u32).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(globs[i as usize].owner));
        Matcher { globs, order, last: std::sync::Mutex::new(None) }
    }

    fn last_match(&self, path: &str) -> Option<usize> {
        if self.globs.is_empty() {
            return None;
        }
        let path = clean_path(path);
        if let Ok(last) = self.last.lock()
            && let Some((asked, answer)) = &*last
            && asked == path
        {
            return *answer;
        }
        // The highest-numbered entry first: the first glob that matches is
        // of the entry that matches last.
        let answer = self.order.iter().map(|&i| &self.globs[i as usize]).find(|g| g.is_match(path)).map(|g| g.owner);
        if let Ok(mut last) = self.last.lock() {
            *last = Some((path.to_string(), answer));
        }
        answer
    }
}

#[derive(Default)]
struct MatcherBuilder {
    globs: Vec<LazyGlob>,
}

impl MatcherBuilder {
    /// Adds `pattern` for entry `owner`; the error is a message.
    fn add(&mut self, pattern: &str, owner: usize) -> Result<(), String> {
        for glob in expand_pattern(pattern)? {
            let glob = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("invalid path pattern \"{pattern}\": {}", e.kind()))?;
            self.globs.push(LazyGlob::new(glob, owner));
        }
        Ok(())
    }

    /// The matcher: nothing more can fail here, every glob was parsed when
    /// it was added.
    fn build(self) -> Matcher {
        Matcher::new(self.globs)
    }
}

/// The globs a gitignore-like pattern stands for (see the module docs).
fn expand_pattern(pattern: &str) -> Result<Vec<String>, String> {
    let p = pattern.trim();
    if p.is_empty() {
        return Err("empty path pattern".to_string());
    }
    if p.starts_with('!') {
        return Err(format!("path pattern \"{pattern}\": negation (!) is not supported"));
    }
    let (p, rooted) = match p.strip_prefix('/') {
        Some(rest) => (rest, true),
        None => (p, false),
    };
    let (p, dir_only) = match p.strip_suffix('/') {
        Some(rest) => (rest, true),
        None => (p, false),
    };
    if p.is_empty() {
        return Err(format!("path pattern \"{pattern}\" matches nothing; use \"**\" for every path"));
    }
    // git paths are relative to the root, without `.`, `..` or empty parts:
    // a pattern with one would match nothing, and the rule or trust file
    // it names would quietly not be.
    let parts: Vec<&str> = p.split('/').collect();
    if parts.iter().any(|s| s.is_empty() || *s == "." || *s == "..") {
        let kept: Vec<&str> = parts.iter().copied().filter(|s| !s.is_empty() && *s != ".").collect();
        let hint = if parts.contains(&"..") || kept.is_empty() {
            String::new()
        } else {
            let (slash, what) = if dir_only { ("/", "directory") } else { ("", "path") };
            format!(" (write \"/{}{slash}\" for the {what} at the root)", kept.join("/"))
        };
        return Err(format!(
            "path pattern \"{pattern}\" never matches: a git path has no \".\" or \"..\" part and no empty one{hint}"
        ));
    }
    let base = if rooted || p.contains('/') { p.to_string() } else { format!("**/{p}") };
    let under = format!("{base}/**");
    Ok(if dir_only { vec![under] } else { vec![base, under] })
}

/// One path pattern on its own, for explaining a policy (`vouch doctor`
/// shows what each `exempt` pattern matches): the same gitignore-like
/// semantics as everywhere (see the module docs).
#[derive(Debug, Clone)]
pub struct PathPattern {
    text: String,
    matcher: Matcher,
    /// The same pattern anchored at the root, when it is not anchored.
    anchored: Option<Matcher>,
}

impl PathPattern {
    pub fn new(pattern: &str) -> Result<PathPattern, String> {
        let build = |p: &str| {
            let mut builder = MatcherBuilder::default();
            builder.add(p, 0)?;
            Ok::<_, String>(builder.build())
        };
        let matcher = build(pattern)?;
        let p = pattern.trim();
        let body = p.trim_end_matches('/');
        let anchored = if p.starts_with('/') || body.contains('/') { None } else { Some(build(&format!("/{p}"))?) };
        Ok(PathPattern { text: pattern.to_string(), matcher, anchored })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, path: &str) -> bool {
        self.matcher.last_match(path).is_some()
    }

    /// Whether it matches at any depth without saying so: no `/` but a
    /// trailing one (`vendor/`, `*.lock`). `/vendor/` and `src/gen/` are
    /// anchored at the root; `**/vendor/` says "any depth" in so many words.
    pub fn matches_at_any_depth(&self) -> bool {
        self.anchored.is_some()
    }

    /// Where in `path` the pattern matches: the directory it applies from
    /// (`""` for the root, `"src/payments/"` deeper), the shallowest one;
    /// `None` when it does not match.
    pub fn matched_at<'p>(&self, path: &'p str) -> Option<&'p str> {
        if !self.matches(path) {
            return None;
        }
        let path = clean_path(path);
        let Some(anchored) = &self.anchored else { return Some("") };
        let starts = std::iter::once(0).chain(path.match_indices('/').map(|(i, _)| i + 1));
        starts.filter(|&i| i < path.len()).find(|&i| anchored.last_match(&path[i..]).is_some()).map(|i| &path[..i])
    }
}

// ---------------------------------------------------------------------------
// CODEOWNERS.

/// A parsed CODEOWNERS file: lines of `pattern owner...`, the last matching
/// line wins, a line with no owners leaves its paths unowned.
#[derive(Debug, Clone)]
pub struct Codeowners {
    file: String,
    entries: Vec<CodeownersEntry>,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
struct CodeownersEntry {
    line: usize,
    owners: Vec<String>,
}

impl Codeowners {
    /// Parses CODEOWNERS text; `file` names it in messages. A pattern vouch
    /// cannot read is an error (skipping it would silently change who owns
    /// what).
    pub fn parse(text: &str, file: &str) -> Result<Codeowners, PolicyError> {
        let mut entries = Vec::new();
        let mut builder = MatcherBuilder::default();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut tokens = line.split_whitespace();
            let Some(pattern) = tokens.next() else { continue };
            let owners: Vec<String> = tokens.take_while(|t| !t.starts_with('#')).map(str::to_string).collect();
            let error = |message: String| PolicyError {
                file: file.to_string(),
                line: Some(line_no),
                column: None,
                key: None,
                message,
            };
            builder.add(pattern, entries.len()).map_err(error)?;
            entries.push(CodeownersEntry { line: line_no, owners });
        }
        Ok(Codeowners { file: file.to_string(), entries, matcher: builder.build() })
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// The owners of `path` as written, and the line that gave them; `None`
    /// when no line matches. An empty list means the path is unowned.
    pub fn owners_of(&self, path: &str) -> Option<(usize, &[String])> {
        self.matcher.last_match(path).map(|i| (self.entries[i].line, self.entries[i].owners.as_slice()))
    }
}

// ---------------------------------------------------------------------------
// The file format, as serde reads it.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    gate: Option<Gate>,
    reviewers: Option<Vec<Spanned<String>>>,
    approvals: Option<Spanned<u32>>,
    codeowners: Option<bool>,
    exempt: Option<Vec<Spanned<String>>>,
    bots: Option<Vec<Spanned<String>>>,
    require_signatures: Option<bool>,
    allowed_signers: Option<Spanned<String>>,
    require_attestation: Option<bool>,
    require_signed_commits: Option<bool>,
    allow_override: Option<Spanned<bool>>,
    override_by: Option<Spanned<Vec<Spanned<String>>>>,
    trust_files: Option<Vec<Spanned<String>>>,
    repository: Option<Spanned<String>>,
    require_rationale: Option<RationaleRule>,
    intent: Option<IntentLevel>,
    groups: Option<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>,
    aliases: Option<BTreeMap<String, Spanned<String>>>,
    rules: Option<Vec<Spanned<RawRule>>>,
    triage: Option<Vec<Spanned<RawTriage>>>,
    automated: Option<Vec<Spanned<RawAutomated>>>,
    detection: Option<RawDetection>,
    risk: Option<RawRisk>,
    budget: Option<RawBudget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    paths: Vec<Spanned<String>>,
    approvals: Option<Spanned<u32>>,
    reviewers: Option<Vec<Spanned<String>>>,
    risk: Option<Risk>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTriage {
    paths: Vec<Spanned<String>>,
    max_ai_lines: u32,
    max_risk: Option<Risk>,
    peer: Option<bool>,
    approvals: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAutomated {
    reviewer: Spanned<String>,
    max_ai_lines: u32,
    max_risk: Option<Risk>,
    paths: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetection {
    min_chars: Option<u32>,
    min_lines: Option<u32>,
    min_ai_lines: Option<Spanned<u32>>,
    heuristic_blocks: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRisk {
    raise: Option<Vec<Spanned<String>>>,
    extra_approvals: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    ai_lines_per_reviewer: Option<u32>,
}

/// Checks what serde cannot (references, patterns, counts) and builds the
/// policy; errors point at the offending value.
struct Builder<'a> {
    text: &'a str,
    file: &'a str,
}

impl Builder<'_> {
    fn error(&self, span: Range<usize>, key: &str, message: String) -> PolicyError {
        let (line, column) = line_column(self.text, span.start);
        PolicyError {
            file: self.file.to_string(),
            line: Some(line),
            column: Some(column),
            key: Some(key.to_string()),
            message,
        }
    }

    fn line(&self, span: &Range<usize>) -> usize {
        line_column(self.text, span.start).0
    }

    fn build(&self, raw: RawPolicy) -> Result<Policy, PolicyError> {
        let mut policy = Policy { file: Some(self.file.to_string()), ..Policy::default() };
        policy.gate = raw.gate.unwrap_or(Gate::Block);
        policy.codeowners = raw.codeowners.unwrap_or(false);
        policy.require_signatures = raw.require_signatures.unwrap_or(false);
        policy.require_attestation = raw.require_attestation.unwrap_or(false);
        policy.require_signed_commits = raw.require_signed_commits.unwrap_or(false);
        if let Some(repository) = raw.repository {
            let id = repository.get_ref();
            let hex = id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex || !(id.len() == 40 || id.len() == 64) {
                return Err(self.error(
                    repository.span(),
                    "repository",
                    format!(
                        "`repository` must be a commit id (40 or 64 lowercase hex digits), not \"{}\": the root \
                         commit `vouch init` records",
                        id.escape_debug()
                    ),
                ));
            }
            policy.repository = Some(repository.into_inner());
        }
        policy.require_rationale = raw.require_rationale.unwrap_or(RationaleRule::Never);
        policy.intent = raw.intent.unwrap_or_default();
        policy.budget = Budget { ai_lines_per_reviewer: raw.budget.and_then(|b| b.ai_lines_per_reviewer) };
        if let Some(signers) = raw.allowed_signers {
            if signers.get_ref().trim().is_empty() {
                return Err(self.error(signers.span(), "allowed_signers", "`allowed_signers` is empty".into()));
            }
            policy.allowed_signers = signers.into_inner();
        }
        for bot in raw.bots.unwrap_or_default() {
            if bot.get_ref().trim().is_empty() {
                return Err(self.error(bot.span(), "bots", "empty entry in `bots`".into()));
            }
            policy.bots.push(bot.into_inner());
        }

        policy.aliases = self.aliases(raw.aliases.unwrap_or_default())?;
        policy.groups = self.groups(raw.groups.unwrap_or_default(), &policy.aliases)?;

        if let Some(d) = raw.detection {
            let defaults = Detection::default();
            let min_ai_lines = match d.min_ai_lines {
                Some(n) if *n.get_ref() == 0 => {
                    return Err(self.error(
                        n.span(),
                        "min_ai_lines",
                        "`min_ai_lines` must be at least 1 (use `exempt` for paths that need no sign-off)".into(),
                    ));
                }
                Some(n) => n.into_inner(),
                None => defaults.min_ai_lines,
            };
            policy.detection = Detection {
                min_chars: d.min_chars.unwrap_or(defaults.min_chars),
                min_lines: d.min_lines.unwrap_or(defaults.min_lines),
                min_ai_lines,
                heuristic_blocks: d.heuristic_blocks.unwrap_or(defaults.heuristic_blocks),
            };
        }
        if let Some(r) = raw.risk {
            let mut risk = RiskConfig::default();
            if let Some(raise) = r.raise {
                risk.raise.clear();
                for tag in raise {
                    if tag.get_ref().trim().is_empty() {
                        return Err(self.error(tag.span(), "raise", "empty risk tag in `raise`".into()));
                    }
                    risk.raise.push(tag.into_inner());
                }
            }
            risk.extra_approvals = r.extra_approvals.unwrap_or(0);
            policy.risk = risk;
        }

        let resolver = Resolver { builder: self, groups: &policy.groups, aliases: &policy.aliases };
        policy.reviewers = resolver.reviewers(&raw.reviewers.unwrap_or_default())?;
        let (allow_override, override_by) = self.overrides(&resolver, raw.allow_override, raw.override_by)?;
        if !allow_override && !override_by.names.is_empty() {
            policy.warnings.push(format!("{}: `override_by` has no effect without `allow_override = true`", self.file));
        }
        policy.allow_override = allow_override;
        policy.override_by = override_by;
        if let Some(patterns) = raw.trust_files {
            let mut trust = MatcherBuilder::default();
            policy.trust_files.clear();
            for pattern in patterns {
                trust.add(pattern.get_ref(), 0).map_err(|m| self.error(pattern.span(), "trust_files", m))?;
                policy.trust_files.push(pattern.into_inner());
            }
            policy.trust_matcher = Some(trust.build());
        }
        if let Some(approvals) = raw.approvals {
            self.check_nonzero(&approvals)?;
            let (n, span) = (*approvals.get_ref(), approvals.span());
            self.check_enough_reviewers(n, span, false, &policy.reviewers, &policy.risk, &mut policy.warnings)?;
            policy.approvals = n;
        }

        let mut exempt = MatcherBuilder::default();
        for pattern in raw.exempt.unwrap_or_default() {
            exempt.add(pattern.get_ref(), 0).map_err(|m| self.error(pattern.span(), "exempt", m))?;
            policy.exempt_patterns.push(pattern.into_inner());
        }
        policy.exempt = exempt.build();

        let mut matcher = MatcherBuilder::default();
        for (index, raw_rule) in raw.rules.unwrap_or_default().into_iter().enumerate() {
            let at = RuleRef { index, line: self.line(&raw_rule.span()) };
            let span = raw_rule.span();
            let raw_rule = raw_rule.into_inner();
            self.add_paths(&mut matcher, &raw_rule.paths, index, span.clone(), "[[rules]]")?;
            let reviewers = match &raw_rule.reviewers {
                Some(list) => Some(resolver.reviewers(list)?),
                None => None,
            };
            if let Some(approvals) = &raw_rule.approvals {
                self.check_nonzero(approvals)?;
            }
            // The reviewers this rule ends up with, when known here (not
            // when CODEOWNERS may supply them).
            let effective = match (&reviewers, policy.codeowners) {
                (Some(r), _) => Some(r),
                (None, false) => Some(&policy.reviewers),
                (None, true) => None,
            };
            if let Some(effective) = effective {
                let (n, at, inherited) = match &raw_rule.approvals {
                    Some(a) => (*a.get_ref(), a.span(), false),
                    None => (policy.approvals, span.clone(), true),
                };
                self.check_enough_reviewers(n, at, inherited, effective, &policy.risk, &mut policy.warnings)?;
            }
            policy.rules.push(Rule {
                at,
                approvals: raw_rule.approvals.map(Spanned::into_inner),
                reviewers,
                risk: raw_rule.risk,
            });
        }
        policy.rule_matcher = matcher.build();

        let mut matcher = MatcherBuilder::default();
        for (index, raw_triage) in raw.triage.unwrap_or_default().into_iter().enumerate() {
            let span = raw_triage.span();
            let at = RuleRef { index, line: self.line(&span) };
            let t = raw_triage.into_inner();
            self.add_paths(&mut matcher, &t.paths, index, span.clone(), "[[triage]]")?;
            if t.peer.is_none() && t.approvals.is_none() {
                return Err(self.error(
                    span,
                    "triage",
                    "a [[triage]] entry changes nothing without `peer = true` or `approvals`".into(),
                ));
            }
            policy.triage.push(Triage {
                at,
                max_ai_lines: t.max_ai_lines,
                max_risk: t.max_risk.unwrap_or(Risk::Low),
                peer: t.peer.unwrap_or(false),
                approvals: t.approvals,
            });
        }
        policy.triage_matcher = matcher.build();

        for raw_automated in raw.automated.unwrap_or_default() {
            let span = raw_automated.span();
            let a = raw_automated.into_inner();
            let reviewer = a.reviewer.get_ref().trim();
            if !is_email(reviewer) {
                return Err(self.error(
                    a.reviewer.span(),
                    "reviewer",
                    format!("an automated reviewer is one identity (an email), not \"{reviewer}\""),
                ));
            }
            if a.max_ai_lines == 0 {
                return Err(self.error(span, "max_ai_lines", "`max_ai_lines` must be at least 1".into()));
            }
            let paths = match &a.paths {
                Some(paths) => {
                    let mut m = MatcherBuilder::default();
                    self.add_paths(&mut m, paths, 0, span.clone(), "[[automated]]")?;
                    Some(m.build())
                }
                None => None,
            };
            let reviewer = reviewer.to_ascii_lowercase();
            if policy.reviewers.emails.contains(&reviewer) || policy.override_by.emails.contains(&reviewer) {
                policy.warnings.push(format!(
                    "{}:{}: {reviewer} is an automated reviewer and is also listed as a person; its votes count \
                     only as automated",
                    self.file,
                    self.line(&span)
                ));
            }
            policy.automated.push(Automated {
                reviewer,
                max_ai_lines: a.max_ai_lines,
                max_risk: a.max_risk.unwrap_or(Risk::Low),
                paths,
            });
        }
        Ok(policy)
    }

    /// `allow_override` and `override_by`: overrides count only by the
    /// people named, so allowing them without naming anyone is an error.
    fn overrides(
        &self,
        resolver: &Resolver<'_>,
        allow: Option<Spanned<bool>>,
        by: Option<Spanned<Vec<Spanned<String>>>>,
    ) -> Result<(bool, Reviewers), PolicyError> {
        let override_by = match &by {
            Some(by) => resolver.identities(by.get_ref(), "override_by")?,
            None => Reviewers::default(),
        };
        let allowed = allow.as_ref().is_some_and(|a| *a.get_ref());
        if let Some(a) = &allow
            && allowed
            && override_by.emails.is_empty()
        {
            return Err(self.error(
                a.span(),
                "allow_override",
                "`allow_override = true` needs `override_by`, the people who may override \
                 (e.g. override_by = [\"@leads\"]); nobody else's override counts"
                    .into(),
            ));
        }
        Ok((allowed, override_by))
    }

    fn add_paths(
        &self,
        matcher: &mut MatcherBuilder,
        paths: &[Spanned<String>],
        index: usize,
        entry: Range<usize>,
        table: &str,
    ) -> Result<(), PolicyError> {
        if paths.is_empty() {
            return Err(self.error(entry, "paths", format!("`paths` is empty in {table}")));
        }
        for pattern in paths {
            matcher.add(pattern.get_ref(), index).map_err(|m| self.error(pattern.span(), "paths", m))?;
        }
        Ok(())
    }

    fn check_nonzero(&self, approvals: &Spanned<u32>) -> Result<(), PolicyError> {
        if *approvals.get_ref() == 0 {
            let message = "`approvals` must be at least 1; list paths that need no sign-off under `exempt`";
            return Err(self.error(approvals.span(), "approvals", message.into()));
        }
        Ok(())
    }

    /// No more approvals than the listed reviewers can give (an error), even
    /// with `[risk] extra_approvals` (a warning: only risky units are stuck).
    fn check_enough_reviewers(
        &self,
        approvals: u32,
        at: Range<usize>,
        inherited: bool,
        reviewers: &Reviewers,
        risk: &RiskConfig,
        warnings: &mut Vec<String>,
    ) -> Result<(), PolicyError> {
        if reviewers.names.is_empty() {
            return Ok(());
        }
        let listed = reviewers.emails.len();
        let source = if inherited { " (from the top-level `approvals`)" } else { "" };
        if listed < approvals as usize {
            let message = format!(
                "`approvals` is {approvals}{source} but only {listed} reviewer(s) are listed, so nothing could be approved"
            );
            return Err(self.error(at, "approvals", message));
        }
        let risky = approvals.saturating_add(risk.extra_approvals);
        if listed < risky as usize {
            let (line, _) = line_column(self.text, at.start);
            warnings.push(format!(
                "{}:{line}: units with a raising risk tag need {risky} approvals (with `extra_approvals`) \
                 but only {listed} reviewer(s) are listed",
                self.file
            ));
        }
        Ok(())
    }

    fn aliases(&self, raw: BTreeMap<String, Spanned<String>>) -> Result<BTreeMap<String, String>, PolicyError> {
        let mut aliases = BTreeMap::new();
        for (name, email) in raw {
            if let Some(bare) = name.strip_prefix('@') {
                let message = format!("write the alias name without `@`: `{bare}`");
                return Err(self.error(email.span(), &name, message));
            }
            if !is_email(email.get_ref()) {
                let message = format!("alias `{name}` must map to an email, found \"{}\"", email.get_ref());
                return Err(self.error(email.span(), &name, message));
            }
            aliases.insert(name, email.into_inner().to_ascii_lowercase());
        }
        Ok(aliases)
    }

    /// Resolves `[groups]`, which may include one another (not in a cycle).
    fn groups(
        &self,
        raw: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
        aliases: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, Reviewers>, PolicyError> {
        for (name, members) in &raw {
            if let Some(bare) = name.strip_prefix('@') {
                let message = format!("write the group name without `@`: `{bare}`");
                return Err(self.error(members.span(), name, message));
            }
            if aliases.contains_key(name) {
                let message = format!("`{name}` is both a group and an alias; @{name} would be ambiguous");
                return Err(self.error(members.span(), name, message));
            }
        }
        let mut resolved = BTreeMap::new();
        for name in raw.keys() {
            let mut stack = Vec::new();
            let group = self.expand_group(name, &raw, aliases, &mut stack)?;
            resolved.insert(name.clone(), group);
        }
        Ok(resolved)
    }

    fn expand_group(
        &self,
        name: &str,
        raw: &BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
        aliases: &BTreeMap<String, String>,
        stack: &mut Vec<String>,
    ) -> Result<Reviewers, PolicyError> {
        stack.push(name.to_string());
        let mut out = Reviewers::default();
        let members = &raw[name];
        for member in members.get_ref() {
            let m = member.get_ref().trim();
            out.names.push(m.to_string());
            match m.strip_prefix('@') {
                Some(inner) if raw.contains_key(inner) => {
                    if stack.iter().any(|s| s == inner) {
                        let cycle: Vec<String> = stack.iter().map(|s| format!("@{s}")).collect();
                        let message = format!("group @{inner} includes itself ({} -> @{inner})", cycle.join(" -> "));
                        return Err(self.error(member.span(), name, message));
                    }
                    let nested = self.expand_group(inner, raw, aliases, stack)?;
                    out.emails.extend(nested.emails);
                }
                Some(inner) => match aliases.get(inner) {
                    Some(email) => {
                        out.emails.insert(email.clone());
                    }
                    None => return Err(self.error(member.span(), name, unknown_reference(inner))),
                },
                None if is_email(m) => {
                    out.emails.insert(m.to_ascii_lowercase());
                }
                None => return Err(self.error(member.span(), name, not_an_identity(m))),
            }
        }
        stack.pop();
        Ok(out)
    }
}

fn unknown_reference(name: &str) -> String {
    format!("unknown group or alias @{name}: define it in [groups] or [aliases]")
}

fn not_an_identity(s: &str) -> String {
    format!("\"{s}\" is not an identity: expected an email (git user.email) or @group")
}

/// Resolves reviewer lists against the parsed groups and aliases.
struct Resolver<'a> {
    builder: &'a Builder<'a>,
    groups: &'a BTreeMap<String, Reviewers>,
    aliases: &'a BTreeMap<String, String>,
}

impl Resolver<'_> {
    fn reviewers(&self, list: &[Spanned<String>]) -> Result<Reviewers, PolicyError> {
        self.identities(list, "reviewers")
    }

    /// A list of identities under `key` (`reviewers`, `override_by`).
    fn identities(&self, list: &[Spanned<String>], key: &str) -> Result<Reviewers, PolicyError> {
        let mut out = Reviewers::default();
        for entry in list {
            let e = entry.get_ref().trim();
            match e.strip_prefix('@') {
                Some(name) => {
                    if let Some(group) = self.groups.get(name) {
                        out.emails.extend(group.emails.iter().cloned());
                    } else if let Some(email) = self.aliases.get(name) {
                        out.emails.insert(email.clone());
                    } else {
                        return Err(self.builder.error(entry.span(), key, unknown_reference(name)));
                    }
                }
                None if is_email(e) => {
                    out.emails.insert(e.to_ascii_lowercase());
                }
                None => return Err(self.builder.error(entry.span(), key, not_an_identity(e))),
            }
            out.names.push(e.to_string());
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------
// Turning toml's errors into messages that name the line, the key and the
// table. toml reports a byte span; the table around it is found by reading
// the document again into a tree of spans.

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

fn from_toml(err: &toml::de::Error, text: &str, file: &str) -> PolicyError {
    let raw = err.message().trim();
    let span = err.span();
    let path = span.as_ref().map(|s| locate(text, s.start)).unwrap_or_default();
    let key_at = path.iter().rposition(|s| matches!(s, Segment::Key(_)));
    let key = key_at.and_then(|i| match &path[i] {
        Segment::Key(k) => Some(k.clone()),
        Segment::Index(_) => None,
    });
    let table = |segments: &[Segment]| table_name(segments).map(|t| format!(" in {t}")).unwrap_or_default();
    let around_key = table(&path[..key_at.unwrap_or(0)]);

    let (message, key) = if let Some(rest) = raw.strip_prefix("unknown field `") {
        let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let tail = tail.trim_start_matches(',').trim();
        let hint = if tail.is_empty() { String::new() } else { format!(", {tail}") };
        (format!("unknown key `{name}`{around_key}{hint}"), Some(name.to_string()))
    } else if let Some(rest) = raw.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        (format!("missing key `{name}`{}", table(&path)), Some(name.to_string()))
    } else if let Some(key) = key.as_deref().filter(|_| is_value_error(raw)) {
        let (expected, found) = describe_value_error(raw, key);
        let found = found.map(|f| format!(", found {f}")).unwrap_or_default();
        let hint = match (key, raw.contains("expected a sequence") && raw.contains("map")) {
            ("rules" | "triage", true) => format!(" (write [[{key}]] for each entry)"),
            _ => String::new(),
        };
        (format!("invalid value for `{key}`{around_key}: expected {expected}{found}{hint}"), Some(key.to_string()))
    } else {
        (raw.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", "), key)
    };
    let (line, column) = match span {
        Some(s) => {
            let (l, c) = line_column(text, s.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    PolicyError { file: file.to_string(), line, column, key, message }
}

fn is_value_error(raw: &str) -> bool {
    raw.starts_with("invalid type:")
        || raw.starts_with("invalid value:")
        || raw.starts_with("unknown variant")
        || raw.starts_with("wanted string or table")
        || raw.starts_with("invalid length")
}

/// What a value should have been and what it was, in the words of this
/// file's documentation.
fn describe_value_error(raw: &str, key: &str) -> (String, Option<String>) {
    let variants = match key {
        "gate" => Some("\"block\" or \"warn\""),
        "risk" | "max_risk" => Some("\"low\", \"medium\" or \"high\""),
        "require_rationale" => Some("\"never\", \"risky\" or \"always\""),
        "intent" => Some("\"none\", \"summary\" or \"full\""),
        _ => None,
    };
    if let Some(rest) = raw.strip_prefix("unknown variant `") {
        let found = rest.split('`').next().unwrap_or("");
        return (variants.unwrap_or("one of the documented values").to_string(), Some(format!("\"{found}\"")));
    }
    if raw.starts_with("wanted string or table") {
        return (variants.unwrap_or("a string").to_string(), None);
    }
    // "invalid type: string \"1\", expected u32", "invalid value: integer `-1`, expected u32"
    let body = raw.split_once(": ").map_or(raw, |(_, b)| b);
    let (found, expected) = body.rsplit_once(", expected ").unwrap_or((body, "another value"));
    let expected = match expected {
        "u32" | "u64" | "usize" | "u16" | "u8" => "a non-negative integer".to_string(),
        "a sequence" => "an array".to_string(),
        "a boolean" => "true or false".to_string(),
        e if e.starts_with("struct ") || e == "a map" => "a table".to_string(),
        e => e.to_string(),
    };
    let found = if let Some(inner) = found.split('`').nth(1) {
        inner.to_string()
    } else if let Some(s) = found.strip_prefix("string ") {
        s.to_string()
    } else {
        match found {
            "map" => "a table".to_string(),
            "sequence" => "an array".to_string(),
            f => f.to_string(),
        }
    };
    (expected, Some(found))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// `[[rules]]`, `[detection]`; `None` at the top level.
fn table_name(segments: &[Segment]) -> Option<String> {
    let keys: Vec<&str> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    if keys.is_empty() {
        return None;
    }
    Some(match segments.last() {
        Some(Segment::Index(_)) => format!("[[{}]]", keys.join(".")),
        _ => format!("[{}]", keys.join(".")),
    })
}

/// The key path to the innermost key or value at `offset`, or nothing when
/// the document cannot be read into a tree of spans.
fn locate(text: &str, offset: usize) -> Vec<Segment> {
    let mut path = Vec::new();
    if let Ok(tree) = toml::from_str::<Node>(text) {
        descend(&tree, offset, &mut path);
    }
    path
}

fn descend(node: &Node, offset: usize, path: &mut Vec<Segment>) {
    let contains = |span: Range<usize>| span.start <= offset && offset < span.end.max(span.start + 1);
    match node {
        Node::Table(entries) => {
            for (key, _) in entries {
                if contains(key.span()) {
                    path.push(Segment::Key(key.get_ref().clone()));
                    return;
                }
            }
            for (key, value) in entries {
                if contains(value.span()) {
                    path.push(Segment::Key(key.get_ref().clone()));
                    descend(value.get_ref(), offset, path);
                    return;
                }
            }
        }
        Node::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if contains(item.span()) {
                    path.push(Segment::Index(i));
                    descend(item.get_ref(), offset, path);
                    return;
                }
            }
        }
        Node::Leaf => {}
    }
}

/// Any TOML document, with the span of every key and value.
enum Node {
    Table(Vec<(Spanned<String>, Spanned<Node>)>),
    Array(Vec<Spanned<Node>>),
    Leaf,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        struct NodeVisitor;
        impl<'de> serde::de::Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any TOML value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value::<Spanned<Node>>()?));
                }
                Ok(Node::Table(entries))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Array(items))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    /// The entry whose patterns match `path` last, as one compiled
    /// `GlobSet` of every glob answers (how the matcher was built before
    /// globs were compiled only when needed).
    fn last_match_by_set(patterns: &[(String, usize)], path: &str) -> Option<usize> {
        let mut set = globset::GlobSetBuilder::new();
        let mut owners = Vec::new();
        for (pattern, owner) in patterns {
            for glob in expand_pattern(pattern).unwrap() {
                set.add(GlobBuilder::new(&glob).literal_separator(true).backslash_escape(true).build().unwrap());
                owners.push(*owner);
            }
        }
        set.build().unwrap().matches(clean_path(path)).into_iter().map(|i| owners[i]).max()
    }

    proptest::proptest! {
        #[test]
        fn the_matcher_answers_as_one_compiled_set_of_its_globs(
            patterns in proptest::collection::vec(
                (proptest::collection::vec(proptest::sample::select(vec![
                    "a", "b", "src", "/", "*", "**", "?", "[ab]", "{a,b}", ".rs", "\\*", "-",
                ]), 1..6), 0..4usize),
                1..8,
            ),
            paths in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec!["a", "b", "src", "/", ".rs", "*", "-", "ab"]), 1..8),
                1..12,
            ),
        ) {
            let patterns: Vec<(String, usize)> = patterns
                .into_iter()
                .map(|(parts, owner)| (parts.concat(), owner))
                .filter(|(p, _)| expand_pattern(p).is_ok_and(|globs| {
                    globs.iter().all(|g| GlobBuilder::new(g).literal_separator(true).backslash_escape(true).build().is_ok())
                }))
                .collect();
            let mut builder = MatcherBuilder::default();
            for (pattern, owner) in &patterns {
                builder.add(pattern, *owner).unwrap();
            }
            let matcher = builder.build();
            for path in paths.iter().map(|parts| parts.concat()) {
                proptest::prop_assert_eq!(
                    matcher.last_match(&path),
                    last_match_by_set(&patterns, &path),
                    "{:?} against {:?}", path, patterns
                );
            }
        }
    }

    const EXAMPLE: &str = include_str!("../tests/fixtures/policy/example.toml");

    fn example() -> Policy {
        Policy::parse(EXAMPLE, ".vouch.toml").unwrap()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// One line describing what the policy asks of a unit.
    fn describe(policy: &Policy, path: &str, risk_tags: &[&str], ai_lines: usize) -> String {
        let r = policy.requirement(path, &strings(risk_tags), ai_lines);
        let mut parts = Vec::new();
        parts.push(r.rule.map_or("default".to_string(), |r| format!("rule {}@{}", r.index, r.line)));
        if let Some(t) = r.triage {
            parts.push(format!("triage {}@{}", t.index, t.line));
        }
        if r.exempt {
            parts.push("exempt".to_string());
        }
        if r.needs_signoff {
            parts.push(format!("{} from {}", r.approvals, r.reviewers));
        } else {
            parts.push("no sign-off".to_string());
        }
        parts.push(format!("{} risk", r.path_risk.label()));
        if !r.raised_by.is_empty() {
            parts.push(format!("raised by {}", r.raised_by.join(",")));
        }
        parts.push(format!("{:?}", r.severity));
        if r.rationale_required {
            parts.push("rationale".to_string());
        }
        parts.join("; ")
    }

    #[test]
    fn no_policy_file_means_one_approval_from_anyone_but_the_participants() {
        let policy = Policy::default();
        assert_eq!(policy.file(), None);
        assert_eq!(policy.gate(), Gate::Block);
        assert!(!policy.reviewers_configured());
        expect!["default; 1 from anyone (no reviewers are configured in .vouch.toml); low risk; Information"]
            .assert_eq(&describe(&policy, "src/main.rs", &[], 1));
        expect!["default; no sign-off; low risk; Information"].assert_eq(&describe(&policy, "src/main.rs", &[], 0));
        // Every risk tag raises a unit by default.
        expect![
            "default; 1 from anyone (no reviewers are configured in .vouch.toml); low risk; raised by network; Warning"
        ]
        .assert_eq(&describe(&policy, "a.rs", &["network"], 1));

        let req = policy.requirement("src/main.rs", &[], 1);
        let author = Participants { authors: strings(&["me@x"]), ..Participants::default() };
        assert_eq!(req.may_approve("you@x", &author), Ok(()));
        assert_eq!(req.may_approve("ME@x", &author), Err(Refusal::AuthorsTheCommit { identity: "ME@x".into() }));

        // An empty file is the defaults, but it is a file.
        let empty = Policy::parse("# nothing yet\n", ".vouch.toml").unwrap();
        assert_eq!(empty.file(), Some(".vouch.toml"));
        assert_eq!(empty.requirement("src/main.rs", &[], 1), req);
    }

    #[test]
    fn example_policy_parses_with_every_key() {
        let policy = example();
        assert_eq!(policy.gate(), Gate::Block);
        assert!(!policy.uses_codeowners());
        assert!(policy.allow_override());
        assert!(!policy.require_signatures());
        assert!(!policy.require_attestation());
        assert_eq!(policy.require_rationale(), RationaleRule::Risky);
        assert_eq!(Policy::default().intent(), IntentLevel::Summary);
        for (text, level) in
            [("none", IntentLevel::None), ("summary", IntentLevel::Summary), ("full", IntentLevel::Full)]
        {
            let parsed = Policy::parse(&format!("intent = \"{text}\"\n"), ".vouch.toml").expect("a valid level");
            assert_eq!(parsed.intent(), level);
        }
        assert_eq!(policy.budget().ai_lines_per_reviewer, Some(400));
        assert_eq!(
            policy.detection(),
            &Detection { min_chars: 80, min_lines: 2, min_ai_lines: 3, heuristic_blocks: false }
        );
        assert_eq!(policy.risk().extra_approvals, 1);
        assert_eq!(policy.allowed_signers(), ".vouch/allowed_signers");
        assert_eq!(policy.bots(), ["dependabot[bot]", "renovate@example.com"]);
        assert!(policy.reviewers_configured());
        assert!(policy.warnings().is_empty());
        // Groups nest, and reach aliases.
        let seniors: Vec<&String> = policy.group("seniors").unwrap().iter().collect();
        assert_eq!(
            seniors,
            ["alice@example.com", "bob@example.com", "carol@example.com", "dan@example.com", "dora@example.com"]
        );
    }

    #[test]
    fn last_matching_rule_wins() {
        let policy = example();
        let check = |path: &str, expect: Expect| expect.assert_eq(&describe(&policy, path, &[], 5));
        check("README.md", expect!["default; 1 from @seniors; low risk; Information"]);
        check("src/lib.rs", expect!["rule 0@26; 1 from @seniors; medium risk; Information"]);
        check("src/db/query.rs", expect!["rule 1@30; 2 from @dba (rule at line 30); high risk; Warning; rationale"]);
        // `*.sql` has no slash: it matches at any depth, and it comes after src/**.
        check(
            "src/schema/init.sql",
            expect!["rule 1@30; 2 from @dba (rule at line 30); high risk; Warning; rationale"],
        );
        check("migrations/1.sql", expect!["rule 1@30; 2 from @dba (rule at line 30); high risk; Warning; rationale"]);
        // `/docs/` is anchored at the root.
        check("docs/guide.md", expect!["rule 2@36; triage 0@40; 1 from any peer; low risk; Information"]);
        check("src/docs/x.rs", expect!["rule 0@26; 1 from @seniors; medium risk; Information"]);
        // Leading `./` and `/` are ignored.
        check("./src/lib.rs", expect!["rule 0@26; 1 from @seniors; medium risk; Information"]);
    }

    #[test]
    fn paths_are_judged_alike_only_where_the_policy_says_nothing_of_them() {
        let uniform = Policy::parse("reviewers = [\"a@example.com\"]\n", "t").unwrap();
        assert!(uniform.judges_paths_alike());
        assert!(uniform.same_rules("vendor/x.rs", "src/x.rs"));
        let policy = example();
        assert!(!policy.judges_paths_alike());
        assert!(!policy.same_rules("vendor/lib/x.c", "src/x.c"), "exempt and not");
        assert!(policy.same_rules("src/a.rs", "src/b.rs"));
        let rules = Policy::parse(
            "reviewers = [\"a@example.com\"]\n[[rules]]\npaths = [\"src/payments/\"]\nreviewers = [\"b@example.com\"]\n",
            "t",
        )
        .unwrap();
        assert!(!rules.same_rules("src/util/charge.rs", "src/payments/charge.rs"), "other reviewers");
        // Round three (rt29f G8): a bot may clear 200 lines in one path and
        // 2 in another; alike at no AI line, not at 30.
        let bots = Policy::parse(
            "reviewers = [\"a@example.com\"]\n\
             [[automated]]\nreviewer = \"bot@example.com\"\nmax_ai_lines = 200\npaths = [\"src/ui/\"]\n\
             [[automated]]\nreviewer = \"bot@example.com\"\nmax_ai_lines = 2\npaths = [\"src/core/\"]\n",
            "t",
        )
        .unwrap();
        assert!(!bots.judges_paths_alike());
        assert!(!bots.same_rules("src/ui/view.rs", "src/core/view.rs"));
        assert!(bots.same_rules("src/ui/a.rs", "src/ui/b.rs"));
        // Round three (rt29f G4): two CODEOWNERS lines naming the same
        // people judge alike; other people do not.
        let text = "codeowners = true\nreviewers = [\"lead@example.com\"]\n";
        let owners =
            "/svc-a/ a@example.com b@example.com\n/svc-b/ a@example.com b@example.com\n/svc-c/ c@example.com\n";
        let owned = Policy::parse(text, ".vouch.toml")
            .unwrap()
            .with_codeowners(Codeowners::parse(owners, "CODEOWNERS").unwrap());
        assert!(owned.same_rules("svc-a/config.py", "svc-b/config.py"));
        assert!(!owned.same_rules("svc-a/config.py", "svc-c/config.py"));
    }

    #[test]
    fn exempt_paths_never_need_signoff() {
        let policy = example();
        let check = |path: &str, expect: Expect| expect.assert_eq(&describe(&policy, path, &["unsafe"], 50));
        check(
            "src/generated/api.rs",
            expect!["rule 0@26; exempt; no sign-off; medium risk; raised by unsafe; Warning; rationale"],
        );
        check(
            "generated/api.rs",
            expect!["default; exempt; no sign-off; low risk; raised by unsafe; Warning; rationale"],
        );
        check(
            "vendor/lib/x.c",
            expect!["default; exempt; no sign-off; low risk; raised by unsafe; Warning; rationale"],
        );
        check("Cargo.lock", expect!["default; exempt; no sign-off; low risk; raised by unsafe; Warning; rationale"]);
        // `vendor/` is a directory pattern that matches at any depth, but not a file named vendor.
        check(
            "lib/vendor/x.c",
            expect!["default; exempt; no sign-off; low risk; raised by unsafe; Warning; rationale"],
        );
        check("vendor", expect!["default; 2 from @seniors; low risk; raised by unsafe; Warning; rationale"]);
        assert!(policy.is_exempt("a/b/generated/c/d.rs"));
        assert!(!policy.is_exempt("generated.rs"));
        assert_eq!(policy.exempt_patterns().len(), 3, "{:?}", policy.exempt_patterns());
    }

    #[test]
    fn a_pattern_on_its_own_says_where_it_matches() {
        let vendor = PathPattern::new("vendor/").unwrap();
        assert!(vendor.matches_at_any_depth());
        assert_eq!(vendor.matched_at("vendor/a.py"), Some(""));
        assert_eq!(vendor.matched_at("src/payments/vendor/charge.py"), Some("src/payments/"));
        assert_eq!(vendor.matched_at("vendor"), None);
        assert_eq!(vendor.matched_at("vendor/x/vendor/y.py"), Some(""), "the shallowest place");
        let lock = PathPattern::new("*.lock").unwrap();
        assert_eq!(lock.matched_at("web/yarn.lock"), Some("web/"));
        for anchored in ["/vendor/", "src/gen/", "**/vendor/"] {
            let p = PathPattern::new(anchored).unwrap();
            assert!(!p.matches_at_any_depth(), "{anchored}");
        }
        assert_eq!(PathPattern::new("**/vendor/").unwrap().matched_at("a/vendor/x"), Some(""));
        assert_eq!(PathPattern::new("/vendor/").unwrap().matched_at("a/vendor/x"), None);
        assert!(PathPattern::new("!x").is_err());
    }

    #[test]
    fn risk_tags_thresholds_and_triage() {
        let policy = example();
        let check =
            |path: &str, tags: &[&str], ai: usize, expect: Expect| expect.assert_eq(&describe(&policy, path, tags, ai));
        // `[risk] raise` lists the tags that raise; others do not.
        check(
            "lib.rs",
            &["sql", "network", "exec"],
            5,
            expect!["default; 2 from @seniors; low risk; raised by exec,sql; Warning; rationale"],
        );
        check("lib.rs", &["network"], 5, expect!["default; 1 from @seniors; low risk; Information"]);
        // Below `min_ai_lines` (3) nothing is needed.
        check(
            "lib.rs",
            &["unsafe"],
            2,
            expect!["default; no sign-off; low risk; raised by unsafe; Warning; rationale"],
        );
        // Triage: small, low-risk units under tests/ need any peer.
        check("tests/it.rs", &[], 20, expect!["default; triage 0@40; 1 from any peer; low risk; Information"]);
        check("tests/it.rs", &[], 21, expect!["default; 1 from @seniors; low risk; Information"]);
        check(
            "tests/it.rs",
            &["exec"],
            4,
            expect!["default; 2 from @seniors; low risk; raised by exec; Warning; rationale"],
        );
        check("docs/a.md", &[], 4, expect!["rule 2@36; triage 0@40; 1 from any peer; low risk; Information"]);
        let req = policy.requirement("tests/it.rs", &[], 4);
        assert!(req.peer_ok);
        assert_eq!(req.may_approve("anyone@else", &Participants::default()), Ok(()));
    }

    #[test]
    fn triage_can_waive_signoff_and_respects_max_risk() {
        let text = r#"
            reviewers = ["a@x"]
            [[rules]]
            paths = ["src/"]
            risk = "medium"
            [[triage]]
            paths = ["**"]
            max_ai_lines = 3
            approvals = 0
            [[triage]]
            paths = ["src/"]
            max_ai_lines = 3
            max_risk = "medium"
            peer = true
        "#;
        let policy = Policy::parse(text, ".vouch.toml").unwrap();
        expect!["default; triage 0@6; no sign-off; low risk; Information"].assert_eq(&describe(
            &policy,
            "a.md",
            &[],
            3,
        ));
        expect!["rule 0@3; triage 1@10; 1 from any peer; medium risk; Information"].assert_eq(&describe(
            &policy,
            "src/a.rs",
            &[],
            3,
        ));
        let status = assess(&policy.requirement("a.md", &[], 3), &[], &Participants::default()).status;
        assert_eq!(status, Status::NotRequired);
    }

    #[test]
    fn path_patterns_are_gitignore_like() {
        let cases: &[(&str, &str, bool)] = &[
            ("*.rs", "a.rs", true),
            ("*.rs", "src/deep/a.rs", true),
            ("*.rs", "a.rsx", false),
            ("src/*.rs", "src/a.rs", true),
            ("src/*.rs", "src/x/a.rs", false),
            ("src/*.rs", "lib/src/a.rs", false),
            ("/a.rs", "a.rs", true),
            ("/a.rs", "x/a.rs", false),
            ("build/", "build/out/x", true),
            ("build/", "x/build/y", true),
            ("build/", "build", false),
            ("build", "build", true),
            ("build", "x/build/y", true),
            ("docs/api", "docs/api/x.md", true),
            ("docs/api", "x/docs/api/y.md", false),
            ("**/gen/**", "gen/a", true),
            ("**/gen/**", "x/y/gen/a/b", true),
            ("**", "any/thing", true),
            ("src/**/test_*.py", "src/a/b/test_x.py", true),
            ("src/**/test_*.py", "src/test_x.py", true),
            ("\\#notes", "#notes", true),
        ];
        for &(pattern, path, expected) in cases {
            let mut builder = MatcherBuilder::default();
            builder.add(pattern, 0).unwrap();
            let matcher = builder.build();
            assert_eq!(matcher.last_match(path).is_some(), expected, "{pattern} against {path}");
        }
        assert!(expand_pattern("!x").is_err());
        assert!(expand_pattern("/").is_err());
        assert!(expand_pattern(" ").is_err());
    }

    fn error(text: &str) -> String {
        match Policy::parse(text, ".vouch.toml") {
            Ok(_) => "parsed".to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn invalid_policies_name_file_line_and_key() {
        let check = |text: &str, expect: Expect| expect.assert_eq(&error(text));
        check(
            "gate = \"block\"\n\n[[rules]]\npaths = [\"src/**\"]\n\n[[rules]]\npaths = [\"a\"]\nreviewer = [\"a@x\"]\n",
            expect![
                ".vouch.toml:8:1: unknown key `reviewer` in [[rules]], expected one of `paths`, `approvals`, `reviewers`, `risk`"
            ],
        );
        check(
            "[[rules]]\npaths = [\"src/**\"]\n\n[[rules]]\npaths = [\"a\"]\nreviewer = [\"a@x\"]\n",
            expect![[
                r#".vouch.toml:6:1: unknown key `reviewer` in [[rules]], expected one of `paths`, `approvals`, `reviewers`, `risk`"#
            ]],
        );
        check(
            "intent = \"everything\"\n",
            expect![[
                r#".vouch.toml:1:10: invalid value for `intent`: expected "none", "summary" or "full", found "everything""#
            ]],
        );
        check(
            "intent = true\n",
            expect![[r#".vouch.toml:1:10: invalid value for `intent`: expected "none", "summary" or "full""#]],
        );
        check(
            "\n\ngate = \"blok\"\n",
            expect![[r#".vouch.toml:3:8: invalid value for `gate`: expected "block" or "warn", found "blok""#]],
        );
        check("gate = 1\n", expect![[r#".vouch.toml:1:8: invalid value for `gate`: expected "block" or "warn""#]]);
        check(
            "reviewer = []\n",
            expect![
                ".vouch.toml:1:1: unknown key `reviewer`, expected one of `gate`, `reviewers`, `approvals`, `codeowners`, `exempt`, `bots`, `require_signatures`, `allowed_signers`, `require_attestation`, `require_signed_commits`, `allow_override`, `override_by`, `trust_files`, `repository`, `require_rationale`, `intent`, `groups`, `aliases`, `rules`, `triage`, `automated`, `detection`, `risk`, `budget`"
            ],
        );
        check(
            "[detection]\nmin_chars = \"80\"\n",
            expect![[
                r#".vouch.toml:2:13: invalid value for `min_chars` in [detection]: expected a non-negative integer, found "80""#
            ]],
        );
        check(
            "[detection]\nmin_lines = -2\n",
            expect![
                ".vouch.toml:2:13: invalid value for `min_lines` in [detection]: expected a non-negative integer, found -2"
            ],
        );
        check(
            "[detection]\nmin_ai_lines = 0\n",
            expect![
                ".vouch.toml:2:16: `min_ai_lines` must be at least 1 (use `exempt` for paths that need no sign-off)"
            ],
        );
        check(
            "[detection]\nmax = 3\n",
            expect![
                ".vouch.toml:2:1: unknown key `max` in [detection], expected one of `min_chars`, `min_lines`, `min_ai_lines`, `heuristic_blocks`"
            ],
        );
        check("[[rules]]\napprovals = 2\n", expect![".vouch.toml:1:1: missing key `paths` in [[rules]]"]);
        check(
            "[rules]\npaths = [\"a\"]\n",
            expect![
                ".vouch.toml:1:1: invalid value for `rules`: expected an array, found a table (write [[rules]] for each entry)"
            ],
        );
        check(
            "[[rules]]\npaths = [\"a\", 3]\n",
            expect![".vouch.toml:2:15: invalid value for `paths` in [[rules]]: expected a string, found 3"],
        );
        check(
            "[[rules]]\npaths = [\"a\"]\nrisk = \"severe\"\n",
            expect![[
                r#".vouch.toml:3:8: invalid value for `risk` in [[rules]]: expected "low", "medium" or "high", found "severe""#
            ]],
        );
        check("[[rules]]\npaths = []\n", expect![".vouch.toml:1:1: `paths` is empty in [[rules]]"]);
        check(
            "[[rules]]\npaths = [\"src/[\"]\n",
            expect![".vouch.toml:2:10: invalid path pattern \"src/[\": unclosed character class; missing ']'"],
        );
        check(
            "exempt = [\"!keep\"]\n",
            expect![[r#".vouch.toml:1:11: path pattern "!keep": negation (!) is not supported"#]],
        );
        // Red team (rt26c B1): patterns no git path can match were taken,
        // and a stricter rule written with one never applied.
        check(
            "[[rules]]\npaths = [\"./src/\"]\napprovals = 2\n",
            expect![[
                r#".vouch.toml:2:10: path pattern "./src/" never matches: a git path has no "." or ".." part and no empty one (write "/src/" for the directory at the root)"#
            ]],
        );
        check(
            "trust_files = [\"deploy//prod.sh\"]\n",
            expect![[
                r#".vouch.toml:1:16: path pattern "deploy//prod.sh" never matches: a git path has no "." or ".." part and no empty one (write "/deploy/prod.sh" for the path at the root)"#
            ]],
        );
        check(
            "reviewers = [\"alice\"]\n",
            expect![[r#".vouch.toml:1:14: "alice" is not an identity: expected an email (git user.email) or @group"#]],
        );
        check(
            "reviewers = [\"@seniors\"]\n",
            expect![".vouch.toml:1:14: unknown group or alias @seniors: define it in [groups] or [aliases]"],
        );
        check(
            "[groups]\na = [\"@b\"]\nb = [\"x@y\", \"@a\"]\n",
            expect![".vouch.toml:3:13: group @a includes itself (@a -> @b -> @a)"],
        );
        check("[groups]\n\"@a\" = [\"x@y\"]\n", expect![".vouch.toml:2:8: write the group name without `@`: `a`"]);
        check(
            "[groups]\nx = [\"a@x\"]\n[aliases]\nx = \"b@x\"\n",
            expect![".vouch.toml:2:5: `x` is both a group and an alias; @x would be ambiguous"],
        );
        check(
            "[aliases]\noctocat = \"octocat\"\n",
            expect![[r#".vouch.toml:2:11: alias `octocat` must map to an email, found "octocat""#]],
        );
        check(
            "approvals = 0\n",
            expect![
                ".vouch.toml:1:13: `approvals` must be at least 1; list paths that need no sign-off under `exempt`"
            ],
        );
        check(
            "reviewers = [\"a@x\"]\napprovals = 2\n",
            expect![
                ".vouch.toml:2:13: `approvals` is 2 but only 1 reviewer(s) are listed, so nothing could be approved"
            ],
        );
        check(
            "approvals = 2\n[[rules]]\npaths = [\"a\"]\nreviewers = [\"a@x\"]\n",
            expect![
                ".vouch.toml:2:1: `approvals` is 2 (from the top-level `approvals`) but only 1 reviewer(s) are listed, so nothing could be approved"
            ],
        );
        check("approvals = 2\ncodeowners = true\n[[rules]]\npaths = [\"a\"]\n", expect!["parsed"]);
        check(
            "[[rules]]\npaths = [\"a\"]\nreviewers = [\"a@x\", \"A@X\"]\napprovals = 2\n",
            expect![
                ".vouch.toml:4:13: `approvals` is 2 but only 1 reviewer(s) are listed, so nothing could be approved"
            ],
        );
        check(
            "[[triage]]\npaths = [\"a\"]\nmax_ai_lines = 3\n",
            expect![".vouch.toml:1:1: a [[triage]] entry changes nothing without `peer = true` or `approvals`"],
        );
        check(
            "require_rationale = \"sometimes\"\n",
            expect![[
                r#".vouch.toml:1:21: invalid value for `require_rationale`: expected "never", "risky" or "always", found "sometimes""#
            ]],
        );
        check(
            "codeowners = \"yes\"\n",
            expect![[r#".vouch.toml:1:14: invalid value for `codeowners`: expected true or false, found "yes""#]],
        );
        check("gate = \"block\"\ngate = \"warn\"\n", expect![".vouch.toml:2:1: duplicate key `gate` in document root"]);
        check("gate = [\n", expect![".vouch.toml:2:1: invalid array, expected `]`"]);
        check(
            "[risk]\nraise = \"sql\"\n",
            expect![[r#".vouch.toml:2:9: invalid value for `raise` in [risk]: expected an array, found "sql""#]],
        );
        check(
            "risk = \"high\"\n",
            expect![[r#".vouch.toml:1:8: invalid value for `risk`: expected a table, found "high""#]],
        );
    }

    #[test]
    fn extra_approvals_beyond_the_reviewers_warn() {
        let text = "reviewers = [\"a@x\", \"b@x\"]\napprovals = 2\n[risk]\nextra_approvals = 1\n";
        let policy = Policy::parse(text, ".vouch.toml").unwrap();
        expect![[r#"
            [
                ".vouch.toml:2: units with a raising risk tag need 3 approvals (with `extra_approvals`) but only 2 reviewer(s) are listed",
            ]
        "#]]
        .assert_debug_eq(&policy.warnings());
    }

    /// The kept last policy answers only for the same text and file name:
    /// another text, or the same text under another name (its errors name
    /// the file), is parsed afresh.
    #[test]
    fn a_kept_policy_answers_only_for_its_own_text() {
        let one = "repository = \"1111111111111111111111111111111111111111\"\n";
        let two = "repository = \"2222222222222222222222222222222222222222\"\n";
        for _ in 0..2 {
            for (text, id) in [(one, '1'), (two, '2'), (one, '1')] {
                let policy = Policy::parse(text, ".vouch.toml").unwrap();
                assert_eq!(policy.repository(), Some(id.to_string().repeat(40).as_str()), "{text}");
            }
        }
        let bad = "approvals = \"two\"\n";
        for file in ["a.toml", "b.toml", "a.toml"] {
            let e = Policy::parse(bad, file).unwrap_err().to_string();
            assert!(e.contains(file), "{e}");
        }
    }

    #[test]
    fn policy_error_is_typed() {
        let err = Policy::parse("\n[[rules]]\npaths=[\"a\"]\nreviewer = 1\n", "repo/.vouch.toml").unwrap_err();
        assert_eq!(err.file, "repo/.vouch.toml");
        assert_eq!((err.line, err.column), (Some(4), Some(1)));
        assert_eq!(err.key.as_deref(), Some("reviewer"));
    }

    const CODEOWNERS: &str = "\
# Owners.
*                 @octocat
/src/             @org/backend  frank@example.com   # backend
*.md              docs@example.com
/src/generated/
src/db/**         @nobody-known
";

    fn with_owners() -> Policy {
        let text = r#"
            codeowners = true
            reviewers = ["lead@example.com"]
            [aliases]
            octocat = "octo@example.com"
            [groups]
            "org/backend" = ["bea@example.com", "ben@example.com"]
            [[rules]]
            paths = ["src/crypto/"]
            reviewers = ["sec@example.com"]
        "#;
        let policy = Policy::parse(text, ".vouch.toml").unwrap();
        assert!(policy.uses_codeowners());
        policy.with_codeowners(Codeowners::parse(CODEOWNERS, ".github/CODEOWNERS").unwrap())
    }

    #[test]
    fn codeowners_last_match_wins() {
        let owners = Codeowners::parse(CODEOWNERS, "CODEOWNERS").unwrap();
        assert_eq!(owners.owners_of("Makefile"), Some((2, &strings(&["@octocat"])[..])));
        assert_eq!(owners.owners_of("src/a.rs"), Some((3, &strings(&["@org/backend", "frank@example.com"])[..])));
        assert_eq!(owners.owners_of("src/README.md"), Some((4, &strings(&["docs@example.com"])[..])));
        assert_eq!(owners.owners_of("src/generated/x.rs"), Some((5, &[][..])));
        assert_eq!(Codeowners::parse("", "CODEOWNERS").unwrap().owners_of("a"), None);
    }

    #[test]
    fn reviewers_come_from_the_rule_then_codeowners_then_the_policy() {
        let policy = with_owners();
        let check = |path: &str, expect: Expect| {
            let r = policy.requirement(path, &[], 1);
            let emails = match &r.reviewers {
                ReviewerSet::Listed { emails, .. } => emails.iter().cloned().collect::<Vec<_>>().join(" "),
                _ => String::new(),
            };
            expect.assert_eq(&format!("{} = {emails}", r.reviewers));
        };
        check("Makefile", expect!["@octocat (.github/CODEOWNERS:2) = octo@example.com"]);
        check(
            "src/a.rs",
            expect![
                "@org/backend, frank@example.com (.github/CODEOWNERS:3) = bea@example.com ben@example.com frank@example.com"
            ],
        );
        check("src/crypto/aes.rs", expect!["sec@example.com (rule at line 8) = sec@example.com"]);
        // An unowned path falls back to the policy's reviewers.
        check("src/generated/x.rs", expect!["lead@example.com = lead@example.com"]);
        // An owner with no email: nobody can approve, and the policy warns.
        check("src/db/q.rs", expect!["@nobody-known (.github/CODEOWNERS:6) = "]);
        expect![[r#"
            [
                ".github/CODEOWNERS:6: owner @nobody-known maps to no email; add it to [aliases] or [groups] in .vouch.toml",
            ]
        "#]]
        .assert_debug_eq(&policy.warnings());
        let refusal = policy.may_approve("lead@example.com", "src/db/q.rs", &[], 1, &Participants::default());
        expect!["lead@example.com is not a reviewer for src/db/q.rs (reviewers: @nobody-known (.github/CODEOWNERS:6))"]
            .assert_eq(&refusal.unwrap_err().to_string());
    }

    #[test]
    fn codeowners_errors_name_the_line() {
        let err = Codeowners::parse("* a@x\nsrc/[ b@x\n", "CODEOWNERS").unwrap_err();
        expect![[r#"CODEOWNERS:2: invalid path pattern "src/[": unclosed character class; missing ']'"#]]
            .assert_eq(&err.to_string());
    }

    #[test]
    fn bots() {
        let policy = example();
        assert!(policy.is_bot("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"));
        assert!(policy.is_bot("Renovate Bot", "RENOVATE@example.com"));
        assert!(policy.is_bot("someapp[bot]", "x@y"));
        assert!(!policy.is_bot("Alice", "alice@example.com"));
    }

    // The decision.

    fn vote(email: &str, verdict: Verdict) -> Vote {
        Vote {
            id: String::new(),
            email: email.to_string(),
            verdict,
            comment: None,
            signer: None,
            automated: false,
            entitled_where_cast: false,
        }
    }

    fn key(name: &str, principals: &[&str]) -> Signer {
        Signer { key: format!("SHA256:{name}"), principals: strings(principals) }
    }

    fn reject(email: &str, comment: &str) -> Vote {
        Vote { comment: Some(comment.to_string()), ..vote(email, Verdict::Reject) }
    }

    fn two_of_dba() -> Requirement {
        example().requirement("src/db/q.rs", &[], 5)
    }

    use Verdict::Approve;

    #[test]
    fn n_of_m_distinct_approvals() {
        let req = two_of_dba();
        let none = Participants::default();
        let requested = Participants { requesters: strings(&["req@example.com"]), ..Participants::default() };
        assert_eq!(assess(&req, &[], &none).status, Status::Pending { have: 0, need: 2, by: vec![] });
        assert_eq!(assess(&req, &[], &requested).status, Status::Requested { have: 0, need: 2, by: vec![] });
        let one = [vote("carol@example.com", Approve)];
        assert_eq!(
            assess(&req, &one, &requested).status,
            Status::Requested { have: 1, need: 2, by: strings(&["carol@example.com"]) }
        );
        // The same reviewer twice (in any case) is one approval.
        let twice = [vote("carol@example.com", Approve), vote("Carol@Example.com", Approve)];
        assert_eq!(
            assess(&req, &twice, &none).status,
            Status::Pending { have: 1, need: 2, by: strings(&["Carol@Example.com"]) }
        );
        let both = [vote("carol@example.com", Approve), vote("dora@example.com", Approve)];
        let a = assess(&req, &both, &requested);
        assert_eq!(
            a.status,
            Status::Approved { by: strings(&["carol@example.com", "dora@example.com"]), automated: Vec::new() }
        );
        assert!(a.ignored.is_empty());
        assert!(!a.status.is_blocking());
    }

    #[test]
    fn a_later_reject_overrides_earlier_approvals() {
        let req = two_of_dba();
        let none = Participants::default();
        let votes = [
            vote("carol@example.com", Approve),
            vote("dora@example.com", Approve),
            reject("carol@example.com", "leaks the pool"),
        ];
        let status = assess(&req, &votes, &none).status;
        assert_eq!(status, Status::Rejected { by: "carol@example.com".into(), comment: Some("leaks the pool".into()) });
        assert!(status.is_blocking());
        expect!["rejected by carol@example.com: leaks the pool"].assert_eq(&status.to_string());
        // Another reviewer's later approval does not outvote the reject...
        let mut more = votes.to_vec();
        more.push(vote("dora@example.com", Approve));
        assert!(matches!(assess(&req, &more, &none).status, Status::Rejected { .. }));
        // ...but the rejecting reviewer may change their mind.
        more.push(vote("carol@example.com", Approve));
        assert_eq!(
            assess(&req, &more, &none).status,
            Status::Approved { by: strings(&["dora@example.com", "carol@example.com"]), automated: Vec::new() }
        );
        // Of two standing rejects, the later is reported.
        let two = [reject("dora@example.com", "first"), reject("carol@example.com", "second")];
        assert_eq!(
            assess(&req, &two, &none).status,
            Status::Rejected { by: "carol@example.com".into(), comment: Some("second".into()) }
        );
    }

    #[test]
    fn votes_of_participants_and_non_reviewers_do_not_count() {
        let req = two_of_dba();
        let participants = Participants {
            acceptors: strings(&["carol@example.com"]),
            requesters: strings(&["dora@example.com"]),
            authors: strings(&["alice@example.com"]),
        };
        let votes = [
            vote("carol@example.com", Approve),
            vote("dora@example.com", Approve),
            vote("alice@example.com", Approve),
            reject("mallory@example.com", "no"),
        ];
        let a = assess(&req, &votes, &participants);
        assert_eq!(a.status, Status::Requested { have: 0, need: 2, by: vec![] });
        let reasons: Vec<String> = a.ignored.iter().map(|i| format!("{:?}: {}", i.verdict, i.refusal)).collect();
        expect![[r#"
            [
                "Approve: carol@example.com accepted this AI text and cannot approve it",
                "Approve: dora@example.com requested this sign-off and cannot approve it",
                "Approve: alice@example.com authored, committed or signed a commit of it and cannot approve it",
                "Reject: mallory@example.com is not a reviewer for src/db/q.rs (reviewers: @dba (rule at line 30))",
            ]
        "#]]
        .assert_debug_eq(&reasons);
    }

    #[test]
    fn signatures_are_required_when_the_policy_says_so() {
        let policy = Policy::parse("require_signatures = true\nreviewers = [\"a@x\"]\n", ".vouch.toml").unwrap();
        let req = policy.requirement("f.rs", &[], 1);
        let a = assess(&req, &[vote("a@x", Approve)], &Participants::default());
        assert_eq!(a.status, Status::Pending { have: 0, need: 1, by: vec![] });
        assert_eq!(a.ignored[0].refusal, Refusal::Unsigned { identity: "a@x".into() });
        let signed = Vote { signer: Some(key("k1", &["a@x"])), ..vote("a@x", Approve) };
        assert_eq!(
            assess(&req, &[signed], &Participants::default()).status,
            Status::Approved { by: strings(&["a@x"]), automated: Vec::new() }
        );
    }

    #[test]
    fn units_that_need_no_signoff_are_not_required_but_bad_votes_are_still_reported() {
        let req = example().requirement("vendor/x.c", &[], 10);
        let a = assess(&req, &[vote("mallory@x", Approve)], &Participants::default());
        assert_eq!(a.status, Status::NotRequired);
        assert_eq!(a.ignored.len(), 1);
    }

    #[test]
    fn the_repository_key_is_a_commit_id() {
        let root = "0123456789abcdef0123456789abcdef01234567";
        let policy = Policy::parse(&format!("repository = \"{root}\"\n"), ".vouch.toml").unwrap();
        assert_eq!(policy.repository(), Some(root));
        assert_eq!(Policy::parse("gate = \"warn\"\n", ".vouch.toml").unwrap().repository(), None);
        expect_test::expect![[r#".vouch.toml:2:14: `repository` must be a commit id (40 or 64 lowercase hex digits), not "HEAD": the root commit `vouch init` records"#]]
            .assert_eq(&error("gate = \"warn\"\nrepository = \"HEAD\"\n"));
        assert!(error(&format!("repository = \"{}\"\n", root.to_uppercase())).contains("lowercase hex"));
    }

    /// Issue 12, finding 3: records anyone can write (an unsigned request,
    /// a note's `accepted_by`) name a reviewer as a participant; that takes
    /// her approvals away, never her reject.
    #[test]
    fn participants_lose_approvals_never_rejects() {
        let req = two_of_dba();
        let forged = Participants {
            requesters: strings(&["carol@example.com"]),
            acceptors: strings(&["carol@example.com"]),
            ..Participants::default()
        };
        let votes = [
            reject("carol@example.com", "leaks the pool"),
            vote("dora@example.com", Approve),
            vote("dan@example.com", Approve),
        ];
        let a = assess(&req, &votes, &forged);
        assert_eq!(
            a.status,
            Status::Rejected { by: "carol@example.com".into(), comment: Some("leaks the pool".into()) }
        );
        assert!(a.ignored.is_empty(), "{:?}", a.ignored);
        // Her own later approval withdraws the reject, though as a
        // participant it does not count itself.
        let mut more = votes.to_vec();
        more.push(vote("carol@example.com", Approve));
        let a = assess(&req, &more, &forged);
        assert_eq!(
            a.status,
            Status::Approved { by: strings(&["dora@example.com", "dan@example.com"]), automated: Vec::new() }
        );
        assert_eq!(a.ignored.len(), 1);
        assert_eq!(a.ignored[0].refusal, Refusal::AcceptedTheAiText { identity: "carol@example.com".into() });
        // A reject that does not count is reported.
        let a = assess(&req, &[reject("mallory@example.com", "no")], &forged);
        assert_eq!(a.ignored[0].verdict, Verdict::Reject);
    }

    /// Issue 12, finding 14: in signed mode one key is one approver, and a
    /// key is a participant under every email it is listed for.
    #[test]
    fn in_signed_mode_approvers_are_counted_by_key() {
        let text = "require_signatures = true\nreviewers = [\"a@x\", \"a2@x\", \"b@x\"]\napprovals = 2\n";
        let policy = Policy::parse(text, ".vouch.toml").unwrap();
        let req = policy.requirement("f.rs", &[], 5);
        let shared = key("a", &["a@x", "a2@x"]);
        let by = |email: &str, k: &Signer| Vote { signer: Some(k.clone()), ..vote(email, Approve) };
        let none = Participants::default();
        let a = assess(&req, &[by("a@x", &shared), by("a2@x", &shared)], &none);
        assert_eq!(a.status, Status::Pending { have: 1, need: 2, by: strings(&["a2@x"]) });
        expect![
            "a@x and a2@x are one approver: the allowed signers tie them together (the later signed with key SHA256:a)"
        ]
        .assert_eq(&a.ignored[0].refusal.to_string());
        let b = key("b", &["b@x"]);
        let a = assess(&req, &[by("a@x", &shared), by("b@x", &b)], &none);
        assert_eq!(a.status, Status::Approved { by: strings(&["a@x", "b@x"]), automated: Vec::new() });
        // The author committed as a@x; her key is also listed as a2@x.
        let author = Participants { authors: strings(&["a@x"]), ..Participants::default() };
        let a = assess(&req, &[by("a2@x", &shared), by("b@x", &b)], &author);
        assert_eq!(a.status, Status::Pending { have: 1, need: 2, by: strings(&["b@x"]) });
        expect!["a2@x (whose signing key is also listed for a@x) authored, committed or signed a commit of it and cannot approve it"]
            .assert_eq(&a.ignored[0].refusal.to_string());
        // Two keys listed under one email (a laptop's and a desktop's) are
        // one person too, and so are emails a chain of keys joins.
        let laptop = key("a-laptop", &["a@x"]);
        let a = assess(&req, &[by("a@x", &shared), by("a@x", &laptop)], &none);
        assert_eq!(a.status, Status::Pending { have: 1, need: 2, by: strings(&["a@x"]) });
        let chained = key("c", &["a2@x", "b@x"]);
        let a = assess(&req, &[by("a@x", &laptop), by("b@x", &chained)], &none);
        assert_eq!(a.status, Status::Approved { by: strings(&["a@x", "b@x"]), automated: Vec::new() });
        let a = assess(&req, &[by("a@x", &shared), by("b@x", &chained)], &none);
        assert_eq!(a.status, Status::Pending { have: 1, need: 2, by: strings(&["b@x"]) });
        // Without signatures required, people are emails.
        let unsigned = Policy::parse("reviewers = [\"a@x\", \"a2@x\"]\napprovals = 2\n", ".vouch.toml").unwrap();
        let a = assess(&unsigned.requirement("f.rs", &[], 5), &[by("a@x", &shared), by("a2@x", &shared)], &none);
        assert_eq!(a.status, Status::Approved { by: strings(&["a@x", "a2@x"]), automated: Vec::new() });
    }

    /// Lines an AI removed from a unit count as an edit of as many lines:
    /// by default any removal needs sign-off, and a threshold lets a small
    /// one through as it does a small edit.
    #[test]
    fn lines_an_ai_removed_count_toward_the_thresholds() {
        let removed = |deleted: usize| AiAmount { deleted, ..AiAmount::default() };
        assert!(Policy::default().requirement("src/a.rs", &[], removed(1)).needs_signoff);
        assert!(!Policy::default().requirement("src/a.rs", &[], removed(0)).needs_signoff);
        let policy = Policy::parse("[detection]\nmin_ai_lines = 3\n", ".vouch.toml").unwrap();
        let needs = |ai: AiAmount| policy.requirement("src/a.rs", &[], ai).needs_signoff;
        assert!(!needs(removed(2)));
        assert!(needs(removed(3)));
        assert!(needs(AiAmount { lines: 1, bytes: 20, whole: false, deleted: 2 }));
        assert_eq!(AiAmount { lines: 1, bytes: 200, whole: false, deleted: 2 }.effective_lines(), 5);
    }

    /// Issue 12, finding 14: a threshold lets small AI edits through, never
    /// a whole AI unit, and a long line counts as the lines it would take.
    #[test]
    fn thresholds_never_let_a_whole_ai_unit_through() {
        let policy = Policy::parse("[detection]\nmin_ai_lines = 3\n", ".vouch.toml").unwrap();
        let needs = |ai: AiAmount| policy.requirement("src/a.rs", &[], ai).needs_signoff;
        // One human-written function with one short AI line: below.
        assert!(!needs(AiAmount { lines: 1, bytes: 20, whole: false, deleted: 0 }));
        // A function written entirely by AI on one line.
        assert!(needs(AiAmount { lines: 1, bytes: 20, whole: true, deleted: 0 }));
        // One long AI line in a human function: 200 bytes are 3 lines.
        assert!(needs(AiAmount { lines: 1, bytes: 200, whole: false, deleted: 0 }));
        assert_eq!(AiAmount { lines: 1, bytes: 200, whole: false, deleted: 0 }.effective_lines(), 3);
        assert!(!needs(AiAmount { lines: 2, bytes: 160, whole: false, deleted: 0 }));
        // Triage compares the same count.
        let triage =
            Policy::parse("[[triage]]\npaths = [\"tests/\"]\nmax_ai_lines = 2\napprovals = 0\n", ".vouch.toml")
                .unwrap();
        assert!(
            !triage
                .requirement("tests/a.rs", &[], AiAmount { lines: 1, bytes: 100, whole: false, deleted: 0 })
                .needs_signoff
        );
        assert!(
            triage
                .requirement("tests/a.rs", &[], AiAmount { lines: 1, bytes: 900, whole: false, deleted: 0 })
                .needs_signoff
        );
    }

    /// Issue 12, finding 2: which files are trust files, and what a change
    /// to one needs.
    #[test]
    fn trust_files_and_what_their_change_needs() {
        let policy = Policy::default();
        // GitHub's CODEOWNERS locations, and GitLab's (rt25a B1: GitLab
        // reads `.gitlab/CODEOWNERS`, which was not one).
        let codeowners = ["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];
        for path in [".vouch.toml", ".vouch/allowed_signers"].into_iter().chain(codeowners) {
            assert!(policy.is_trust_file(path), "{path}");
        }
        assert!(policy.is_trust_file(".github/workflows/ci.yml"));
        assert!(policy.is_trust_file(".gitlab-ci.yml"));
        assert!(!policy.is_trust_file("src/.github/workflows/ci.yml"));
        assert!(!policy.is_trust_file("docs/policy.toml"));
        let listed = Policy::parse(
            "allowed_signers = \"keys/signers\"\ntrust_files = [\"/deploy/\", \"Makefile\"]\n\
             exempt = [\"deploy/\", \"keys/\"]\n\
             [[triage]]\npaths = [\"deploy/\"]\nmax_ai_lines = 100\napprovals = 0\n",
            ".vouch.toml",
        )
        .unwrap();
        assert!(listed.is_trust_file("keys/signers") && !listed.is_trust_file(".vouch/allowed_signers"));
        assert!(listed.is_trust_file("deploy/prod.sh") && listed.is_trust_file("sub/Makefile"));
        // Setting the list replaces the default.
        assert!(!listed.is_trust_file(".github/workflows/ci.yml"));
        // Neither `exempt` nor triage waives a trust file's change.
        let r = listed.trust_requirement("deploy/prod.sh");
        assert!(r.needs_signoff && !r.exempt && r.triage.is_none() && r.approvals == 1);
        assert_eq!(listed.trust_file_patterns(), ["/deploy/", "Makefile"]);
        let err = Policy::parse("trust_files = [\"!x\"]\n", ".vouch.toml").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("trust_files"));
    }

    /// Issue 12, findings 5 and 12: the new keys.
    #[test]
    fn overrides_need_named_people_and_signed_commits_parse() {
        let err = Policy::parse("allow_override = true\n", ".vouch.toml").unwrap_err();
        expect![[r#".vouch.toml:1:18: `allow_override = true` needs `override_by`, the people who may override (e.g. override_by = ["@leads"]); nobody else's override counts"#]]
            .assert_eq(&err.to_string());
        let err = Policy::parse("allow_override = true\noverride_by = [\"@ops\"]\n", ".vouch.toml").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("override_by"));
        let policy = Policy::parse(
            "allow_override = true\noverride_by = [\"@ops\"]\nrequire_signed_commits = true\n\
             [groups]\nops = [\"olga@x\"]\n",
            ".vouch.toml",
        )
        .unwrap();
        assert!(policy.require_signed_commits() && policy.allow_override());
        assert_eq!(policy.override_by(), ["@ops"]);
        let none = Participants::default();
        assert_eq!(policy.may_override("Olga@x", &[], &none), Ok(()));
        expect!["dev@x is not among the people the policy lets override (override_by: @ops)"]
            .assert_eq(&policy.may_override("dev@x", &[], &none).unwrap_err().to_string());
        let took_part = Participants { authors: strings(&["olga@x"]), ..Participants::default() };
        assert_eq!(
            policy.may_override("olga@x", &[], &took_part),
            Err(Refusal::AuthorsTheCommit { identity: "olga@x".into() })
        );
        let quiet = Policy::parse("override_by = [\"a@x\"]\n", ".vouch.toml").unwrap();
        assert!(!quiet.allow_override() && quiet.warnings().len() == 1);
        assert!(!Policy::default().require_signed_commits());
    }

    // Automated reviewers (issue 16, item 5).

    const AUTOMATED: &str = r#"
reviewers = ["alice@example.com", "bob@example.com"]
approvals = 2
[[rules]]
paths = ["src/billing/"]
risk = "high"
[[automated]]
reviewer = "Bot@Example.com"
max_ai_lines = 10
paths = ["src/"]
"#;

    fn bot_vote(verdict: Verdict) -> Vote {
        Vote { automated: true, ..vote("bot@example.com", verdict) }
    }

    #[test]
    fn an_automated_rule_covers_small_plain_units_only() {
        let p = Policy::parse(AUTOMATED, ".vouch.toml").unwrap();
        assert_eq!(p.automated_reviewers(), strings(&["bot@example.com"]));
        let bots = strings(&["bot@example.com"]);
        assert_eq!(p.requirement("src/a.rs", &[], 5).automated, bots);
        assert_eq!(p.requirement("src/a.rs", &[], 10).automated, bots);
        assert!(p.requirement("src/a.rs", &[], 11).automated.is_empty(), "too large");
        // Any risk tag, raising or not.
        assert!(p.requirement("src/a.rs", &strings(&["network"]), 2).automated.is_empty());
        assert!(p.requirement("src/billing/a.rs", &[], 2).automated.is_empty(), "high-risk path");
        assert!(p.requirement("docs/a.md", &[], 2).automated.is_empty(), "outside its paths");
        assert!(p.trust_requirement(".vouch.toml").automated.is_empty(), "never a trust file");
        assert!(p.requirement("src/a.rs", &[], 2).is_automated("BOT@example.com"));
    }

    #[test]
    fn automated_entries_are_checked() {
        let bad = |extra: &str, says: &str| {
            let e = Policy::parse(&format!("[[automated]]\n{extra}"), ".vouch.toml").unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        };
        bad("reviewer = \"@bots\"\nmax_ai_lines = 3", "one identity");
        bad("reviewer = \"b@x.com\"\nmax_ai_lines = 0", "at least 1");
        bad("reviewer = \"b@x.com\"", "max_ai_lines");
        bad("reviewer = \"b@x.com\"\nmax_ai_lines = 3\npaths = []", "paths");
    }

    #[test]
    fn an_automated_approval_clears_only_what_its_rule_covers() {
        let p = Policy::parse(AUTOMATED, ".vouch.toml").unwrap();
        let none = Participants::default();
        let covered = p.requirement("src/a.rs", &[], 3);
        let a = assess(&covered, &[bot_vote(Verdict::Approve)], &none);
        let bots = strings(&["bot@example.com"]);
        assert_eq!(a.status, Status::Approved { by: bots.clone(), automated: bots });
        assert_eq!(a.status.to_string(), "approved by bot@example.com (automated)");

        // A risky unit: the bot's approval does not count, and never as a
        // person: alice's one approval of two needed stays one.
        let risky = p.requirement("src/a.rs", &strings(&["exec"]), 3);
        let votes = [bot_vote(Verdict::Approve), vote("alice@example.com", Verdict::Approve)];
        let a = assess(&risky, &votes, &none);
        assert!(matches!(a.status, Status::Pending { have: 1, need: 2, .. }), "{:?}", a.status);
        assert!(matches!(a.ignored[0].refusal, Refusal::AutomatedNotAllowed { .. }));
    }

    #[test]
    fn an_automated_identity_is_never_a_person() {
        let p = Policy::parse(AUTOMATED, ".vouch.toml").unwrap();
        let none = Participants::default();
        let risky = p.requirement("src/a.rs", &strings(&["exec"]), 3);
        // Not flagged automated, by the bot's identity.
        let a = assess(&risky, &[vote("bot@example.com", Verdict::Approve)], &none);
        assert!(a.status.is_blocking());
        // Signed with a key the allowed signers also list for the bot.
        let mut disguised = vote("carol@example.com", Verdict::Approve);
        disguised.signer = Some(key("k", &["carol@example.com", "bot@example.com"]));
        let unconfigured = Policy::parse("[[automated]]\nreviewer = \"bot@example.com\"\nmax_ai_lines = 1", "p")
            .unwrap()
            .requirement("src/a.rs", &strings(&["exec"]), 3);
        let a = assess(&unconfigured, &[disguised], &none);
        assert!(a.status.is_blocking(), "{:?}", a.status);
        // A participant cannot clear its own unit either.
        let covered = p.requirement("src/a.rs", &[], 3);
        let bot_authored = Participants { authors: strings(&["bot@example.com"]), ..Participants::default() };
        assert!(assess(&covered, &[bot_vote(Verdict::Approve)], &bot_authored).status.is_blocking());
        // Nor with a key also listed for the unit's author.
        let dev_authored = Participants { authors: strings(&["dev@example.com"]), ..Participants::default() };
        let mut shared = bot_vote(Verdict::Approve);
        shared.signer = Some(key("k", &["bot@example.com", "dev@example.com"]));
        let a = assess(&covered, &[shared], &dev_authored);
        assert!(a.status.is_blocking(), "{:?}", a.status);
        assert!(matches!(a.ignored[0].refusal, Refusal::AuthorsTheCommit { .. }), "{:?}", a.ignored);
    }

    #[test]
    fn an_automated_reject_leaves_the_decision_to_people() {
        let p = Policy::parse(AUTOMATED, ".vouch.toml").unwrap();
        let none = Participants::default();
        let covered = p.requirement("src/a.rs", &[], 3);
        // Its reject withdraws its own approval and blocks nothing.
        let a = assess(&covered, &[bot_vote(Verdict::Approve), bot_vote(Verdict::Reject)], &none);
        assert!(matches!(a.status, Status::Pending { have: 0, .. }), "{:?}", a.status);
        let votes = [
            bot_vote(Verdict::Reject),
            vote("alice@example.com", Verdict::Approve),
            vote("bob@example.com", Verdict::Approve),
        ];
        let a = assess(&covered, &votes, &none);
        assert_eq!(
            a.status,
            Status::Approved { by: strings(&["alice@example.com", "bob@example.com"]), automated: vec![] }
        );
        // A person's reject still blocks, whatever the bot said.
        let votes = [bot_vote(Verdict::Approve), reject("alice@example.com", "no")];
        assert!(matches!(assess(&covered, &votes, &none).status, Status::Rejected { .. }));
    }
}
