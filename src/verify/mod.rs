//! `vouch verify BASE..HEAD`: the check CI runs, the one a team relies on
//! (hooks can be skipped; a required CI check cannot).
//!
//! It judges the end state: every review unit in HEAD's tree whose AI lines
//! come from commits in the range must have the approvals that the policy
//! *as of BASE* requires for its current fingerprint, signed where that
//! policy requires signatures (checked against the allowed-signers file as
//! of BASE), by people that policy allows, never by whoever accepted the AI
//! text, requested the sign-off or authored, committed or signed a commit
//! of the range that touched the unit. Work-in-progress commits in between
//! need no approvals of their own. The policy, the allowed-signers file and
//! CODEOWNERS are read as of BASE, so a change to them in the range cannot
//! grant itself rights: a change to any trust file (those, and the policy's
//! `trust_files`) is itself a unit that needs approval under the BASE
//! policy. Whether a unit is approved is decided by
//! [`crate::signoff::Ledger`], the judge every front end asks; this module
//! supplies what only CI knows (BASE's policy and signers, who made the
//! commits of the range) and explains the result. With
//! `require_signed_commits`, every commit of the range must be signed by a
//! key the allowed signers at BASE list.
//!
//! Which lines of HEAD are AI from the range is the range's lineage
//! (`store::lineage`): every line followed from the commit that wrote it to
//! HEAD, AI origin sticky through whitespace, re-indentation, rewording,
//! moves and merges. A file that is not UTF-8 and a submodule change are one
//! unit each; nothing is skipped. A file whose *name* is not UTF-8 cannot
//! be followed: a range that changes one fails (`unreadable`). A file that
//! BASE has and HEAD lacks, removed by a commit of the range with AI
//! evidence, is a unit too: "file deleted by AI", signed off by its path
//! and the text deleted (`deleted`).
//!
//! It reports coverage as it is: commits with no note, the evidence each
//! commit carries, lines of unknown origin (no provenance means
//! *unattested*, not human). It fails closed:
//! a note, record, policy or allowed-signers file it cannot read is an
//! error naming it ([`VerifyError`], exit 2), never a silent pass. Every
//! break-glass override that touches the range is reported, whether it
//! counts or not.
//!
//! Reading git is the store's job; this module puts the pieces together and
//! renders the report (text, JSON, SARIF 2.1.0).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use git2::{Commit, ObjectType, Oid, Repository};
use serde::Serialize;

use crate::document::Document;
use crate::lineage::Claim;
use crate::policy::{POLICY_FILE, Participants, Policy, Refusal, Requirement, Signer, Status};
use crate::provenance::Origin;
use crate::signoff::{self, Ledger, UnitFacts};
use crate::store::lineage::{self, Lineage, LineageError, VersionKind};
use crate::store::notes::{self, NoteError, NoteRecord};
use crate::store::policy_file::{self, LoadError, Source};
use crate::store::records::{self, Approval, BadRecord, Override, Request, Stored};
use crate::store::repo;
use crate::store::signature::{self, AllowedSigners, LoadSignersError};
use crate::store::tree_diff;
use crate::syntax::Language;

/// What a failure is about: the SARIF rule it reports under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// An AI unit lacks the approvals the policy asks for.
    UnapprovedAi,
    /// Approvals exist but their signatures do not verify (or are missing)
    /// where the policy requires signatures.
    UnsignedApproval,
    /// An entitled reviewer's latest decision is a reject.
    Rejected,
    /// A commit carries no note although the policy requires attestation.
    MissingAttestation,
    /// A trust file (the policy, the allowed-signers file, CODEOWNERS, the
    /// policy's `trust_files`) changed without approval under the BASE
    /// policy.
    PolicyChange,
    /// A commit of the range is unsigned, or its signature does not verify,
    /// although the policy requires signed commits.
    UnsignedCommit,
    /// A note does not match its commit (wrong blob, lines past the end,
    /// edited by hand, or contradicting the commit's own evidence).
    NoteMismatch,
    /// The range changes a file whose name is not UTF-8, which vouch
    /// cannot follow (`unreadable`).
    UnreadablePath,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::UnapprovedAi,
        Rule::UnsignedApproval,
        Rule::Rejected,
        Rule::MissingAttestation,
        Rule::PolicyChange,
        Rule::NoteMismatch,
        Rule::UnsignedCommit,
        Rule::UnreadablePath,
    ];

    /// The SARIF rule id (`vouch/unapproved-ai`).
    pub fn id(self) -> &'static str {
        match self {
            Rule::UnapprovedAi => "vouch/unapproved-ai",
            Rule::UnsignedApproval => "vouch/unsigned-approval",
            Rule::Rejected => "vouch/rejected",
            Rule::MissingAttestation => "vouch/missing-attestation",
            Rule::PolicyChange => "vouch/policy-change",
            Rule::NoteMismatch => "vouch/note-mismatch",
            Rule::UnsignedCommit => "vouch/unsigned-commit",
            Rule::UnreadablePath => "vouch/unreadable-path",
        }
    }

    /// The id without the `vouch/` prefix, for the text output.
    pub fn short(self) -> &'static str {
        &self.id()["vouch/".len()..]
    }

    pub fn description(self) -> &'static str {
        match self {
            Rule::UnapprovedAi => "AI-written code lacks the sign-off the policy requires",
            Rule::UnsignedApproval => "approvals lack a signature that verifies against the allowed signers",
            Rule::Rejected => "a reviewer rejected this AI-written code",
            Rule::MissingAttestation => "a commit carries no vouch note although the policy requires one",
            Rule::PolicyChange => {
                "a trust file (the policy, the allowed signers, CODEOWNERS, a CI workflow) changed without approval"
            }
            Rule::NoteMismatch => "a vouch note does not match its commit",
            Rule::UnsignedCommit => "a commit lacks a signature that verifies although the policy requires one",
            Rule::UnreadablePath => "a file whose name is not UTF-8 changed, which vouch cannot follow",
        }
    }
}

/// One reason verify fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub rule: Rule,
    /// The file, when the failure is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// First and last line (1-based) of the unit in HEAD's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// The unit kind ("function", "lines"), when about a unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The main reason, one sentence.
    pub reason: String,
    /// Each approval that did not count, and why; other particulars.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// The commits of the range it comes from.
    pub commits: Vec<String>,
    /// Who took part in what failed (authors, committers and signers of
    /// its commits; who accepted or requested the unit): no one of them may
    /// approve it or override it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<String>,
    /// For a unit or trust file that lacks its sign-off: what the policy
    /// asks and how to give it (the pull request summary shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signoff: Option<Signoff>,
}

/// What a unit (or a trust file's change) that lacks sign-off needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signoff {
    /// Approvals required and approvals that count so far.
    pub need: u32,
    pub have: u32,
    /// Who may approve, as the policy at BASE says (besides the
    /// participants, who may not).
    pub reviewers: String,
    /// The unit's risk tags and its path's risk (`low`, `medium`, `high`).
    pub risk: Vec<String>,
    pub path_risk: String,
    /// A high-risk path or a risk tag that the policy raises.
    pub risky: bool,
    /// The latest request's rationale: the requester's words, or a draft
    /// from the agent's intent the requester confirmed (`rationale_from`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// `intent` when the rationale was drafted from the agent's recorded
    /// intent, not typed by the requester.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale_from: Option<records::RationaleFrom>,
    /// The requests for this fingerprint, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
    /// A trust file: signed off with `vouch approve --file PATH`.
    pub trust_file: bool,
    /// A file an AI deleted whole: signed off with `vouch approve --file
    /// PATH` too (in a checkout of HEAD, which lacks it).
    pub deleted_file: bool,
    /// A file whose executable bit an AI changed: signed off with `vouch
    /// approve --file PATH` as well (in a checkout of HEAD).
    pub mode_change: bool,
}

impl Signoff {
    /// Whether it is signed off with `vouch approve --file PATH` (a trust
    /// file, a file an AI deleted, a file whose mode an AI changed), not
    /// by a unit's fingerprint or request.
    pub fn by_file(&self) -> bool {
        self.trust_file || self.deleted_file || self.mode_change
    }
}

impl Failure {
    fn new(rule: Rule, reason: String) -> Failure {
        Failure {
            rule,
            path: None,
            line: None,
            end_line: None,
            kind: None,
            name: None,
            fingerprint: None,
            reason,
            details: Vec::new(),
            commits: Vec::new(),
            participants: Vec::new(),
            signoff: None,
        }
    }

    /// `path:line kind name`, or what the failure has of it.
    pub fn place(&self) -> String {
        let mut out = String::new();
        match (&self.path, self.line) {
            (Some(path), Some(line)) => {
                let _ = write!(out, "{path}:{line}");
            }
            (Some(path), None) => out.push_str(path),
            (None, _) => match self.commits.first() {
                Some(commit) => {
                    let _ = write!(out, "commit {}", short(commit));
                }
                None => out.push_str("(range)"),
            },
        }
        if let Some(kind) = &self.kind {
            let _ = write!(out, " {kind}");
        }
        if let Some(name) = &self.name {
            let _ = write!(out, " {name}");
        }
        out
    }
}

/// A unit that has its sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approved {
    pub path: String,
    pub line: u32,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub fingerprint: String,
    pub by: Vec<String>,
    /// Those of `by` that are automated reviewers (the policy's
    /// `[[automated]]`): never a person.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub automated: Vec<String>,
    /// Each vote on it that did not count, and why (a reject among them is
    /// worth a reader's look).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_counted: Vec<String>,
}

/// A failure that an override lets through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overridden {
    pub failure: Failure,
    /// The override's record id.
    pub by_override: String,
}

/// A break-glass override that touches the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverrideReport {
    pub id: String,
    pub by: String,
    pub created: String,
    pub reason: String,
    /// Whether it counts (the BASE policy allows overrides, and its
    /// signature verifies where signatures are required).
    pub counted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_counted_because: Option<String>,
    /// The commits of the range it covers.
    pub covers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<String>,
}

/// How much of the range vouch knows about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub commits: usize,
    pub merges: usize,
    /// Commits with a vouch note.
    pub with_note: usize,
    /// Commits that write code (all but merges that add no line of their
    /// own) with no vouch note (what `require_attestation` asks for),
    /// whatever other evidence they carry.
    pub without_note: Vec<String>,
    /// Commits with a git-ai note.
    pub with_git_ai_note: usize,
    /// Commits that declare AI as a whole: an AI trailer, aider's author
    /// suffix, a bot author, an AI tool as author or committer.
    pub with_declaration: usize,
    /// Commits that write code with no provenance at all (no vouch note, no
    /// git-ai note, no declaration): unattested, not necessarily human.
    pub without_provenance: Vec<String>,
    /// The evidence each commit carries (`vouch note`, `git-ai note`,
    /// `trailer: claude`, `aider author`, `bot author: …`, `AI author:
    /// copilot`), by commit.
    pub provenance: BTreeMap<String, Vec<String>>,
    /// Lines in HEAD's files from commits of the range, by what is known.
    pub ai_lines: usize,
    /// Places in HEAD's files where a commit of the range with AI evidence
    /// removed lines (a removal adds no AI line: it is counted here).
    pub ai_deletions: usize,
    /// Files BASE has and HEAD lacks that a commit of the range with AI
    /// evidence deleted whole (each a unit that needs sign-off).
    pub ai_deleted_files: Vec<String>,
    /// Files BASE and HEAD hold whose executable bit a commit of the range
    /// with AI evidence changed (each a unit that needs sign-off).
    pub ai_mode_changes: Vec<String>,
    /// Lines of commits whose note accounts for them as not AI (a vouch
    /// note, or a git-ai note naming a human).
    pub attested_lines: usize,
    /// Lines of commits with no note and no other evidence: unattested, not
    /// necessarily human.
    pub unknown_lines: usize,
    pub unknown_by_path: BTreeMap<String, usize>,
    /// AI units that the policy does not ask sign-off for (exempt, too
    /// little AI text).
    pub units_not_required: usize,
}

/// The outcome of `vouch verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// BASE and HEAD as given, and as commit ids.
    pub base: String,
    pub head: String,
    pub base_commit: String,
    pub head_commit: String,
    /// The repository id (root commit of HEAD).
    pub repository: String,
    /// The policy file as of BASE (`origin/main:.vouch.toml`), or a note
    /// that BASE has none.
    pub policy: String,
    pub require_signatures: bool,
    pub require_attestation: bool,
    pub require_signed_commits: bool,
    pub allow_override: bool,
    pub failures: Vec<Failure>,
    pub overridden: Vec<Overridden>,
    pub approved: Vec<Approved>,
    pub overrides: Vec<OverrideReport>,
    pub coverage: Coverage,
    pub warnings: Vec<String>,
}

impl Report {
    /// Whether CI may pass: no failure left after counted overrides.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// What verify could not read: it refuses to decide (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("invalid range `{0}`: expected BASE..HEAD")]
    Range(String),
    #[error("cannot resolve `{rev}` to a commit: {message}")]
    Revision { rev: String, message: String },
    #[error(
        "the range {base}..{head} holds no commit ({why}): nothing would be verified; a CI job \
         whose checkout is the base branch (`pull_request_target` checks it out by default) verifies the pull \
         request's head commit instead (`vouch verify {base}..<head commit>`)"
    )]
    Empty { base: String, head: String, why: String },
    #[error("cannot read the policy as of BASE: {0}")]
    Policy(#[source] LoadError),
    #[error("cannot read the allowed signers as of BASE: {0}")]
    Signers(#[source] LoadSignersError),
    #[error("cannot read the records: {0}")]
    Records(#[from] records::RecordError),
    #[error("unreadable record {0}; refusing to decide without it")]
    BadRecord(BadRecord),
    #[error(
        "{} {} records this clone fetched and does not read (they are not in {}): an approval or a reject there \
         would be missed; merge them in first (`vouch sync --no-push`, as vouch's CI action does)",
        .0.join(", "), if .0.len() == 1 { "holds" } else { "hold" }, records::RECORDS_BRANCH
    )]
    UnreadRecords(Vec<String>),
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("cannot read the history of the range: {0}")]
    Lineage(#[from] LineageError),
    #[error("{what}: {source}")]
    Git { what: String, source: git2::Error },
    #[error("cannot analyze {path}: {reason}")]
    Unreadable { path: String, reason: String },
}

fn git(what: impl Into<String>) -> impl FnOnce(git2::Error) -> VerifyError {
    let what = what.into();
    move |source| VerifyError::Git { what, source }
}

/// Split `BASE..HEAD` (HEAD defaults to `HEAD`; a lone BASE means
/// `BASE..HEAD`).
pub fn parse_range(spec: &str) -> Result<(String, String), VerifyError> {
    if spec.contains("...") {
        return Err(VerifyError::Range(spec.to_string()));
    }
    let (base, head) = match spec.split_once("..") {
        Some((b, h)) => (b.trim(), h.trim()),
        None => (spec.trim(), ""),
    };
    if base.is_empty() || base.starts_with('-') || head.starts_with('-') {
        return Err(VerifyError::Range(spec.to_string()));
    }
    Ok((base.to_string(), if head.is_empty() { "HEAD".to_string() } else { head.to_string() }))
}

/// The two ends of `BASE..HEAD` (a lone BASE: `BASE..HEAD`), resolved as
/// [`resolve`] does: what every command that takes a range reads, so that
/// each refuses what verify refuses (`A...B`, an ambiguous name) in the
/// same words.
pub fn range_ends(repo: &Repository, spec: &str) -> Result<(Oid, Oid), VerifyError> {
    let (base, head) = parse_range(spec)?;
    Ok((resolve(repo, &base)?.id(), resolve(repo, &head)?.id()))
}

/// The commit `rev` names. A name that means more than one commit (a tag
/// named like the base branch's remote-tracking ref: git takes the tag) is
/// refused, naming each: an author can push tags.
pub fn resolve<'r>(repo: &'r Repository, rev: &str) -> Result<Commit<'r>, VerifyError> {
    let meanings = repo::ambiguous_name(repo, rev);
    if !meanings.is_empty() {
        let each: Vec<String> =
            meanings.iter().map(|(name, id)| format!("{name} ({})", &id.to_string()[..10])).collect();
        let message = format!(
            "the name is ambiguous: it means {}; git takes the first, and an author can push a tag or branch of \
             that name; name it in full (`{}`) or by its commit id",
            each.join(", "),
            meanings.last().map_or("", |(name, _)| name.as_str())
        );
        return Err(VerifyError::Revision { rev: rev.to_string(), message });
    }
    let failed = |e: git2::Error| VerifyError::Revision { rev: rev.to_string(), message: e.message().to_string() };
    repo.revparse_single(rev).and_then(|o| o.peel_to_commit()).map_err(failed)
}

/// Everything verify reads about the range before it judges.
struct Range {
    commits: Vec<Oid>,
    /// Author and committer emails per commit.
    people: HashMap<Oid, Vec<String>>,
    /// The paths each commit changed against its first parent.
    changed: HashMap<Oid, Vec<String>>,
    /// Every line of every file the range touched, as of HEAD: AI or not,
    /// and which commits touched it.
    lineage: Lineage,
}

impl Range {
    /// Whether `commit` of the range changed `path` against its first
    /// parent.
    fn changed_path(&self, commit: &Oid, path: &str) -> bool {
        self.changed.get(commit).is_some_and(|paths| paths.iter().any(|p| p == path))
    }

    /// The range's commits that changed `path` against their first parent,
    /// in order.
    fn commits_changing<'r>(&'r self, path: &'r str) -> impl Iterator<Item = Oid> + 'r {
        self.commits.iter().copied().filter(move |c| self.changed_path(c, path))
    }
}

/// The records of a verification: the ledger the judge reads (the same
/// [`Ledger`] every front end judges with), and what explains a failure.
struct Records {
    ledger: Ledger,
    /// All approvals of this repository, to explain.
    all_approvals: Vec<Stored<Approval>>,
    /// Approvals of other repositories.
    foreign: Vec<Stored<Approval>>,
    overrides: Vec<Stored<Override>>,
}

mod brought;
mod commits;
mod deleted;
mod gitlinks;
mod links;
mod mode;
mod overrides;
mod render;
mod signers;
mod trust;
mod unreadable;

pub use render::{render_github, render_markdown, render_text, to_gitlab, to_sarif};

use commits::{check_commits, touched_paths};
use deleted::check_deleted_files;
use gitlinks::check_gitlinks;
use links::check_links;
use mode::check_mode_changes;
use overrides::apply_overrides;
use signers::check_commit_signatures;
use trust::{check_trust_file, trust_files};
use unreadable::check_unreadable_paths;

/// Verify `base..head` in `repo`.
pub fn verify(repo: &Repository, base_rev: &str, head_rev: &str) -> Result<Report, VerifyError> {
    let base = resolve(repo, base_rev)?;
    let head = resolve(repo, head_rev)?;
    // A range with no commit passes whatever the branch holds: a check
    // that verified nothing says so rather than passing.
    let behind = base.id() != head.id() && repo.graph_descendant_of(base.id(), head.id()).unwrap_or(false);
    if base.id() == head.id() || behind {
        let (base_name, head_name) =
            (crate::display::line(base_rev).into_owned(), crate::display::line(head_rev).into_owned());
        let why = if behind {
            format!("{head_name} is behind {base_name}")
        } else {
            format!("both are commit {}", &head.id().to_string()[..12])
        };
        return Err(VerifyError::Empty { base: base_name, head: head_name, why });
    }
    let base_source = Source::Commit(base_rev.to_string());
    let policy = policy_file::load(repo, &base_source).map_err(VerifyError::Policy)?;
    // The repository id comes from BASE, never from the head under review
    // (whose history an author can graft another repository's root onto).
    let (repository, id_warning) = match policy.repository() {
        Some(id) => (id.to_string(), None),
        None => {
            let root = repo::oldest_root(repo, base.id()).map_err(git("walk the history of BASE"))?.to_string();
            let warning = format!(
                "the policy at BASE ({}) does not name the repository: verify uses the root of BASE, {root}; {}",
                base_source.name(POLICY_FILE),
                repo::add_key_advice(&root)
            );
            (root, Some(warning))
        }
    };
    let signers = signature::load_allowed_signers(repo, &policy, &base_source).map_err(VerifyError::Signers)?;
    let unread = unread_records(repo);
    if !unread.is_empty() {
        return Err(VerifyError::UnreadRecords(unread));
    }
    let records = load_records(repo, &repository)?;
    let mut range = read_range(repo, base.id(), head.id(), policy.bots())?;

    let mut report = Report {
        base: base_rev.to_string(),
        head: head_rev.to_string(),
        base_commit: base.id().to_string(),
        head_commit: head.id().to_string(),
        repository: repository.clone(),
        policy: policy.file().map_or_else(
            || format!("{} (no {POLICY_FILE} at BASE: defaults)", base_source.name(POLICY_FILE)),
            str::to_string,
        ),
        require_signatures: policy.require_signatures(),
        require_attestation: policy.require_attestation(),
        require_signed_commits: policy.require_signed_commits(),
        allow_override: policy.allow_override(),
        failures: Vec::new(),
        overridden: Vec::new(),
        approved: Vec::new(),
        overrides: Vec::new(),
        coverage: Coverage::default(),
        warnings: policy.warnings().to_vec(),
    };
    report.warnings.extend(signers.warnings.iter().cloned());
    report.warnings.extend(id_warning);
    if !range.commits.is_empty() && !has_vouch_notes(repo) {
        report.warnings.push(format!(
            "no vouch notes in this clone ({notes}): what the range's commits recorded of AI text is missing here, \
             and their lines count as unattested; fetch the notes first (`vouch sync`, or `git fetch origin \
             {notes}:{notes}`), as vouch's CI action does",
            notes = crate::store::notes::NOTES_REF
        ));
    }
    if policy.require_signatures() && !policy.require_signed_commits() {
        report.warnings.push(
            "the policy at BASE requires signed approvals but not signed commits (require_signed_commits): commit \
             author and committer fields are whatever the author wrote, so a reviewer who committed AI code under \
             another name could approve it"
                .to_string(),
        );
    }
    if policy.require_signatures() && !signers.present {
        report.warnings.push(format!(
            "the policy at BASE requires signatures but {} does not exist: no approval can count",
            signers.file
        ));
    }
    let judge = Judge {
        policy: &policy,
        signers: &signers,
        records: &records,
        repository: &repository,
        renamed: std::cell::OnceCell::new(),
    };

    check_commit_signatures(repo, &judge, &mut range, &mut report)?;
    check_commits(repo, &policy, &range, &mut report)?;
    let head_tree = head.tree().map_err(git("read HEAD's tree"))?;
    let base_tree = base.tree().map_err(git("read BASE's tree"))?;
    // Every merge base: in a criss-cross history (pull requests merged both
    // ways) there are several, and a trust file is BASE's own change only
    // where HEAD holds it as each of them does.
    let forks = match repo.merge_bases(base.id(), head.id()) {
        Ok(forks) => forks.iter().copied().collect(),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Vec::new(),
        Err(e) => return Err(git("find where HEAD forked from BASE")(e)),
    };
    let fork_trees = forks
        .into_iter()
        .map(|fork| repo.find_commit(fork).and_then(|c| c.tree()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(git("read the fork point's tree"))?;
    let touched = touched_paths(&range);
    // A trust file HEAD holds otherwise than BASE is looked at even when no
    // commit changed it against its first parent (a merge can bring it).
    let since_base =
        tree_diff::changes(repo, Some(&base_tree), &head_tree).map_err(git("compare BASE's tree with HEAD's"))?;
    let candidates: BTreeSet<String> =
        touched.iter().cloned().chain(since_base.changes.into_iter().map(|c| c.path)).collect();
    let trust_files = trust_files(repo, &policy, &head_tree, head_rev, &candidates);
    let code: Vec<&String> = touched.iter().filter(|p| !trust_files.contains(*p)).collect();
    let mut ends = Ends {
        base_commit: base.id(),
        base: &base_tree,
        head: &head_tree,
        forks: &fork_trees,
        renamed: std::cell::OnceCell::new(),
        brought: HashMap::new(),
    };
    judge.renamed.get_or_init(|| plain_renames(ends.renames(repo), &base_tree, &head_tree));
    ends.brought = brought::brought_ai(repo, &judge, &range, &ends, &code)?;
    check_files(repo, &judge, &range, &ends, &code, &mut report)?;
    check_links(repo, &judge, &range, &ends, &mut report)?;
    check_gitlinks(repo, &judge, &range, base.id(), &mut report)?;
    for path in &trust_files {
        check_trust_file(repo, &judge, &range, &ends, path, &mut report)?;
    }
    check_deleted_files(&judge, &range, &trust_files, &mut report);
    check_mode_changes(repo, &judge, &range, (&base_tree, &head_tree), &code, &mut report)?;
    check_unreadable_paths(repo, &range, &since_base.not_utf8, &mut report)?;
    apply_overrides(repo, &judge, &range, &mut report);
    Ok(report)
}

fn load_records(repo: &Repository, repository: &str) -> Result<Records, VerifyError> {
    let approvals = records::list_uncached::<Approval>(repo)?;
    let requests = records::list_uncached::<Request>(repo)?;
    let overrides = records::list_uncached::<Override>(repo)?;
    if let Some(bad) = approvals.bad.into_iter().chain(requests.bad).chain(overrides.bad).next() {
        return Err(VerifyError::BadRecord(bad));
    }
    let (mine, foreign): (Vec<_>, Vec<_>) =
        approvals.records.into_iter().partition(|a| a.record.repository == repository);
    let ledger = Ledger::new(mine.clone(), requests.records, Some(repository.to_string()), Vec::new());
    let overrides = overrides.records.into_iter().filter(|o| o.record.repository == repository).collect();
    Ok(Records { ledger, all_approvals: mine, foreign, overrides })
}

/// The refs of the team's records branch that this clone fetched and the
/// records branch verify reads does not hold: fetched by git
/// (`refs/remotes/<remote>/vouch-records`, as a clone or a plain fetch
/// brings it) or by a sync whose merge did not finish. Judging without
/// them would miss what they hold, a reject as well as an approval. The
/// team's remotes are `origin` (where `vouch sync` goes unless told) and
/// those vouch has synced with; another remote's records (an upstream
/// project that uses vouch too) are not the team's.
fn unread_records(repo: &Repository) -> Vec<String> {
    let local = repo.refname_to_id(records::RECORDS_BRANCH).ok();
    let short = records::RECORDS_BRANCH.strip_prefix("refs/heads/").unwrap_or(records::RECORDS_BRANCH);
    let private = crate::store::sync::PRIVATE_PREFIX;
    let mut synced: BTreeSet<String> = BTreeSet::from(["origin".to_string()]);
    if let Ok(mut refs) = repo.references_glob(&format!("{private}*")) {
        for name in refs.names().flatten() {
            if let Some(remote) = name.strip_prefix(private).and_then(|rest| rest.split('/').next()) {
                synced.insert(remote.to_string());
            }
        }
    }
    let mut names: Vec<String> = synced.iter().map(|remote| format!("refs/remotes/{remote}/{short}")).collect();
    names.extend(synced.iter().map(|remote| format!("{private}{remote}/heads/{short}")));
    let mut unread = Vec::new();
    for name in names {
        let Ok(tip) = repo.refname_to_id(&name) else { continue };
        let read = local.is_some_and(|ours| ours == tip || repo.graph_descendant_of(ours, tip).unwrap_or(false));
        if !read {
            unread.push(name);
        }
    }
    unread
}

/// Whether `repo` has vouch notes: its own, or a remote's fetched and not
/// merged yet.
fn has_vouch_notes(repo: &Repository) -> bool {
    repo.refname_to_id(crate::store::notes::NOTES_REF).is_ok()
        || repo.references_glob("refs/vouch-remote/*/notes/vouch").is_ok_and(|mut refs| refs.next().is_some())
}

fn read_range(repo: &Repository, base: Oid, head: Oid, bots: &[String]) -> Result<Range, VerifyError> {
    let mut lineage = lineage::walk(repo, base, head, bots)?;
    let mut people = HashMap::new();
    for &oid in &lineage.commits {
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        let emails = crate::store::history::commit_people(&commit);
        people.insert(oid, emails);
    }
    let changed = std::mem::take(&mut lineage.changed);
    Ok(Range { commits: lineage.commits.clone(), people, changed, lineage })
}

/// What judging needs, bundled.
struct Judge<'a> {
    policy: &'a Policy,
    signers: &'a AllowedSigners,
    records: &'a Records,
    repository: &'a str,
    /// The files HEAD renamed from BASE ([`plain_renames`]), new path to
    /// old: an approval given at the old path counts at the new
    /// ([`signoff::Ledger::judge`]). Set once the trees are read.
    renamed: std::cell::OnceCell<HashMap<String, String>>,
}

impl Judge<'_> {
    fn verified(&self, stored: &Stored<Approval>) -> Option<Signer> {
        self.signers.approval_signer(&stored.record).ok()
    }

    /// Why the approvals of `fingerprint` that did not count did not, and
    /// other approvals that look like they were meant for this unit.
    fn explain(
        &self,
        fingerprint: &str,
        ignored: &[crate::policy::Ignored],
        unit: Option<(&str, &str, Option<&str>)>,
    ) -> Vec<String> {
        let mut details = Vec::new();
        let approvals = self.records.ledger.approvals.for_fingerprint(fingerprint);
        let mut seen_unsigned: HashSet<String> = HashSet::new();
        for ignored in ignored {
            let what = ignored.verdict.noun();
            match &ignored.refusal {
                Refusal::Unsigned { identity } => {
                    // Each unsigned vote once per identity, with the
                    // signature problem of each of its records.
                    if !seen_unsigned.insert(identity.to_ascii_lowercase()) {
                        continue;
                    }
                    for a in approvals.iter().filter(|a| a.record.reviewer.email.eq_ignore_ascii_case(identity)) {
                        let problem = match self.signers.check_approval(&a.record) {
                            Err(e) => e,
                            Ok(()) => continue,
                        };
                        details.push(format!(
                            "{} by {} ({}) does not count: it {problem}",
                            a.record.decision.noun(),
                            identity,
                            short(&a.id)
                        ));
                    }
                }
                other @ (Refusal::AnswersForgedRequest { .. } | Refusal::SameSigner { .. }) => details.push(format!(
                    "{what} by {} ({}) does not count: {other}",
                    ignored.email,
                    short(&ignored.id)
                )),
                other => details.push(format!("{what} by {} does not count: {other}", ignored.email)),
            }
        }
        for a in self.records.all_approvals.iter().filter(|a| a.record.fingerprint == fingerprint) {
            let standing = a.record.standing();
            if !standing.counts() {
                details.push(format!("{} does not count", records::describe_not_counted(a)));
            }
        }
        for forged in self.records.ledger.forged(fingerprint) {
            details.push(format!(
                "request {} by {} states this fingerprint for text that hashes to {}: a forged request, \
                 which no approval can answer",
                short(&forged.request),
                forged.requester,
                short(&forged.actual)
            ));
        }
        for a in self.records.foreign.iter().filter(|a| a.record.fingerprint == fingerprint) {
            details.push(format!(
                "{} by {} ({}) does not count: it was made in another repository (root {}, not {})",
                a.record.decision.noun(),
                a.record.reviewer.email,
                short(&a.id),
                short(&a.record.repository),
                short(self.repository)
            ));
        }
        if let Some((path, kind, name)) = unit {
            // Approvals of an earlier text of this unit: bound to that
            // text, they do not carry over.
            for a in self.records.all_approvals.iter().filter(|a| a.record.fingerprint != fingerprint) {
                if !a.record.standing().counts() {
                    continue;
                }
                let same_unit = self.records.ledger.requests.for_fingerprint(&a.record.fingerprint).iter().any(|r| {
                    r.record.units.iter().any(|u| {
                        u.fingerprint == a.record.fingerprint
                            && u.kind == kind
                            && u.name.as_deref() == name
                            && u.path == path
                    })
                });
                if same_unit {
                    details.push(format!(
                        "{} by {} ({}) was for an earlier text of this unit (fingerprint {}); approvals are bound to \
                         the exact text, and it changed since",
                        a.record.decision.noun(),
                        a.record.reviewer.email,
                        short(&a.id),
                        short(&a.record.fingerprint)
                    ));
                }
            }
            // The same unit approved under an older fingerprint version:
            // not forged, not another text; it no longer counts.
            let retired =
                self.records.ledger.approvals.retired_for_unit(&self.records.ledger.requests, path, kind, name);
            for a in retired {
                details.push(records::describe_not_counted(a));
            }
        }
        details
    }
}

/// What a failure's unit is, which says how it is signed off: a unit of
/// code by its fingerprint or request, the others with `vouch approve
/// --file PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignedOff {
    Unit,
    TrustFile,
    DeletedFile,
    ModeChange,
}

impl Judge<'_> {
    /// The report's entry for a whole-file unit (a trust file's change, a
    /// file's deletion, a change of its mode) at `path`, of `kind`, when
    /// `judgement` approves it: line 1, no name.
    fn approved_file(&self, path: &str, kind: &str, fp: &str, judgement: &signoff::Judgement) -> Option<Approved> {
        let Status::Approved { by, automated } = &judgement.assessment.status else { return None };
        Some(Approved {
            path: path.to_string(),
            line: 1,
            kind: kind.to_string(),
            name: None,
            fingerprint: fp.to_string(),
            by: by.clone(),
            automated: automated.clone(),
            not_counted: self.explain(fp, &judgement.assessment.ignored, None),
        })
    }

    /// What a unit that lacks sign-off needs, for the report.
    fn signoff(&self, judgement: &signoff::Judgement, fingerprint: &str, risk: &[String], what: SignedOff) -> Signoff {
        let requirement = &judgement.requirement;
        let have = match &judgement.assessment.status {
            Status::Requested { have, .. } | Status::Pending { have, .. } => *have,
            _ => 0,
        };
        Signoff {
            need: requirement.approvals,
            have,
            reviewers: requirement.reviewers.to_string(),
            risk: risk.to_vec(),
            path_risk: requirement.path_risk.label().to_string(),
            risky: requirement.risky(),
            rationale: self.records.ledger.rationale(fingerprint).map(str::to_string),
            rationale_from: self.records.ledger.rationale_with_source(fingerprint).and_then(|(_, from)| from),
            requests: self.records.ledger.requests.for_fingerprint(fingerprint).iter().map(|r| r.id.clone()).collect(),
            trust_file: what == SignedOff::TrustFile,
            deleted_file: what == SignedOff::DeletedFile,
            mode_change: what == SignedOff::ModeChange,
        }
    }
}

/// The text of a file with AI lines, to analyze into units.
#[derive(Debug, Clone)]
pub struct AiText {
    pub path: String,
    pub text: String,
    /// The AI lines as byte spans, with their attribution.
    pub spans: Vec<(std::ops::Range<usize>, crate::provenance::Attribution)>,
    /// Where an AI removed lines.
    pub deletions: Vec<crate::provenance::AiDeletion>,
    /// The file at BASE, where risk tags can change what a unit needs: a
    /// unit where the range removed or replaced lines has the risk tags of
    /// what went ([`signoff::add_removed_risk`]).
    pub before: Option<String>,
}

/// The ends of the range: BASE's commit and tree, HEAD's tree, the trees
/// of the points where HEAD forked from BASE (its merge bases; none: they
/// share no history, so all of HEAD's is the range's), and the renames
/// between BASE and HEAD, found once when first asked
/// ([`Ends::base_text`]).
struct Ends<'a> {
    base_commit: Oid,
    base: &'a git2::Tree<'a>,
    head: &'a git2::Tree<'a>,
    forks: &'a [git2::Tree<'a>],
    renamed: std::cell::OnceCell<HashMap<String, String>>,
    /// The AI lines files of HEAD hold from another path of BASE
    /// ([`brought::brought_ai`]), by path.
    brought: HashMap<String, brought::Brought>,
}

impl Ends<'_> {
    /// The text BASE holds of the file HEAD names `path`: at that path, or
    /// at the one it was renamed from (as `git diff -M` pairs them);
    /// `None` when BASE has neither, or it is not text.
    fn base_text(&self, repo: &Repository, path: &str) -> Option<String> {
        let text = |at: &str| {
            let entry = self.base.get_path(Path::new(at)).ok()?;
            String::from_utf8(repo.find_blob(entry.id()).ok()?.content().to_vec()).ok()
        };
        if let Some(found) = text(path) {
            return Some(found);
        }
        text(self.renames(repo).get(path)?)
    }

    /// The files HEAD renamed from BASE (as `git diff -M` pairs them): new
    /// path to old, found once.
    fn renames(&self, repo: &Repository) -> &HashMap<String, String> {
        self.renamed.get_or_init(|| tree_diff::renames(repo, Some(self.base), self.head).unwrap_or_default())
    }
}

/// Of `renamed` (new path to old), the plain renames: a path BASE lacks
/// taking the place of one HEAD lacks. A pairing git finds among rewrites
/// (both paths at both ends: a file deleted and another written in its
/// place, the source rewritten) moves no approval ([`signoff::Ledger::judge`]).
pub(crate) fn plain_renames(
    renamed: &HashMap<String, String>,
    base: &git2::Tree<'_>,
    head: &git2::Tree<'_>,
) -> HashMap<String, String> {
    renamed
        .iter()
        .filter(|(to, from)| {
            base.get_path(Path::new(to.as_str())).is_err() && head.get_path(Path::new(from.as_str())).is_err()
        })
        .map(|(to, from)| (to.clone(), from.clone()))
        .collect()
}

/// A text file of HEAD with AI lines from the range, to analyze.
struct TextFile<'a> {
    path: &'a str,
    file: &'a lineage::FileLineage,
    ai: AiText,
}

/// Check the files of HEAD that the range touched: count what the lineage
/// says of their lines, analyze the text files that hold AI lines (in
/// parallel: parsing is most of the work), then judge each AI unit.
fn check_files(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    ends: &Ends<'_>,
    paths: &[&String],
    report: &mut Report,
) -> Result<(), VerifyError> {
    let mut texts = Vec::new();
    for path in paths {
        if let Some(text) = read_file(repo, judge, range, ends, path, report)? {
            texts.push(text);
        }
    }
    let ai: Vec<&AiText> = texts.iter().map(|t| &t.ai).collect();
    let analyzed = analyze_ai_texts(&ai);
    for (text, facts) in texts.iter().zip(analyzed) {
        let facts = facts.map_err(|reason| VerifyError::Unreadable { path: text.path.to_string(), reason })?;
        let before = report.failures.len();
        check_file(judge, range, text, &facts, report);
        if let Some(brought) = ends.brought.get(text.path) {
            brought::say(&mut report.failures[before..], &brought.detail(), &brought.commits);
        }
    }
    Ok(())
}

/// Count the lines of one file of HEAD by what the lineage says; judge its
/// one unit right away if it is not text (a file that is not UTF-8, a
/// submodule); return it for analysis if it is text with AI lines.
fn read_file<'r>(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &'r Range,
    ends: &Ends<'_>,
    path: &'r str,
    report: &mut Report,
) -> Result<Option<TextFile<'r>>, VerifyError> {
    let lineage = &range.lineage;
    let Some(file) = lineage.files.get(path) else { return Ok(None) };
    let coverage = &mut report.coverage;
    let ai_deletions = file.deletions.iter().filter(|d| lineage.is_ai(d.tag)).count();
    coverage.ai_deletions += ai_deletions;
    for &tag in &file.tags {
        match lineage.claim(tag) {
            Claim::Outside => {}
            Claim::Ai(_) => coverage.ai_lines += 1,
            Claim::NotAi(_) => coverage.attested_lines += 1,
            Claim::Unknown => {
                coverage.unknown_lines += 1;
                *coverage.unknown_by_path.entry(path.to_string()).or_default() += 1;
            }
        }
    }
    if !file.tags.iter().any(|&t| lineage.is_ai(t)) && ai_deletions == 0 && !ends.brought.contains_key(path) {
        return Ok(None);
    }
    if file.kind != VersionKind::Text {
        check_whole(repo, judge, range, path, file, None, report)?;
        return Ok(None);
    }
    Ok(Some(TextFile { path, file, ai: ai_text(repo, judge, range, ends, path, file)? }))
}

/// HEAD's text of the file at `path` with what the range's lineage says of
/// it (`file`): its AI lines and the places an AI removed lines.
fn ai_text(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    ends: &Ends<'_>,
    path: &str,
    file: &lineage::FileLineage,
) -> Result<AiText, VerifyError> {
    let lineage = &range.lineage;
    let blob = repo.find_blob(file.id).map_err(git(format!("read HEAD:{path}")))?;
    let text = String::from_utf8(blob.content().to_vec())
        .map_err(|e| VerifyError::Unreadable { path: path.to_string(), reason: e.to_string() })?;
    let mut spans = lineage.ai_spans(file, &text);
    if let Some(brought) = ends.brought.get(path) {
        spans = signoff::overlay(text.len(), &brought.spans, &spans);
    }
    let deletions = lineage.ai_deletions(file, &text);
    // What the range removed or replaced was BASE's text (a removal of text
    // the range added is of text no riskier than what is there): its
    // version there, under the name it had (a file renamed in the range).
    // Read (and parsed, where lines went) only where tags can change what a
    // unit needs.
    let before = match !judge.policy.risk_decides() {
        true => None,
        false => ends.base_text(repo, path),
    };
    Ok(AiText { path: path.to_string(), text, spans, deletions, before })
}

/// The AI units of each file, analyzed on as many threads as the machine
/// has cores (at most 8), in the files' order; an error says why a file
/// could not be analyzed. What verify judges, and what `vouch stats`
/// counts for triage.
pub fn analyze_ai_texts(files: &[&AiText]) -> Vec<Result<Vec<UnitFacts>, String>> {
    let analyze = |file: &&AiText| {
        let language = Language::from_path(Path::new(&file.path));
        let mut doc = Document::new(language, file.text.clone()).map_err(|e| e.to_string())?;
        doc.reset_provenance(&file.spans);
        let mut facts = signoff::unit_facts(&mut doc);
        signoff::add_deletions(&mut doc, &mut facts, &file.deletions);
        if let Some(before) = &file.before {
            signoff::add_removed_risk(&file.path, &mut facts, before, &file.text);
        }
        Ok(facts)
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8).min(files.len());
    if workers <= 1 {
        return files.iter().map(analyze).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<Vec<UnitFacts>, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(file) = files.get(i) else { break };
                        mine.push((i, analyze(file)));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Judge the AI units of one text file of HEAD, each with the commits of
/// the range that touched its lines (their authors and committers are
/// participants).
fn check_file(judge: &Judge<'_>, range: &Range, text: &TextFile<'_>, facts: &[UnitFacts], report: &mut Report) {
    let line_starts = notes::line_spans(&text.ai.text);
    let line_of = |byte: usize| line_starts.partition_point(|l| l.end <= byte) as u32 + 1;
    let tags = &text.file.tags;
    for fact in facts {
        let first = line_of(fact.unit.range.start);
        let last = line_of(fact.unit.range.end.saturating_sub(1).max(fact.unit.range.start));
        let mut touched = tags.get(first as usize - 1..(last as usize).min(tags.len())).unwrap_or_default().to_vec();
        // The AI deletions in it: the commits that removed the lines took
        // part in it too, as did those that removed lines among its own.
        let deletions: Vec<&crate::lineage::Deletion> = text
            .file
            .deletions
            .iter()
            .filter(|d| {
                let at = line_starts.get(d.at as usize).map_or(text.ai.text.len(), |l| l.start);
                range.lineage.is_ai(d.tag) && fact.deletions.iter().any(|f| f.at == at)
            })
            .collect();
        touched.extend(deletions.iter().map(|d| d.tag));
        touched.extend(crate::lineage::touching_lines(&text.file.deletions, first as usize, last as usize));
        let commits = range.lineage.commits_touching(&touched);
        let authors = people_of(range, &commits);
        let before = report.failures.len();
        judge_unit(judge, text.path, fact, first, last, &authors, &commits, report);
        // Why the agent wrote it, and what an AI removed from it, beside
        // what failed (attacker text: every format shows details through
        // `display`).
        if report.failures.len() > before
            && let Some(failure) = report.failures.last_mut()
        {
            let intents = crate::intent::of_range(&text.ai.spans, fact.unit.range.clone());
            failure.details.extend(crate::intent::details(&intents));
            for d in deletions {
                failure.details.push(deletion_detail(range, d, line_starts.len()));
            }
        }
    }
}

/// What an AI removed, in words: how many lines, where, by which commits
/// and by what evidence, and the first of them.
fn deletion_detail(range: &Range, d: &crate::lineage::Deletion, lines: usize) -> String {
    let place = if (d.at as usize) < lines { format!("before line {}", d.at + 1) } else { "at the end".to_string() };
    let none = lineage::CommitEvidence::default();
    let by: Vec<String> = range
        .lineage
        .commits_of(d.tag)
        .map(|c| {
            let labels = range.lineage.evidence.get(&c).unwrap_or(&none).labels();
            format!("commit {} ({})", short(&c.to_string()), labels.join(", "))
        })
        .collect();
    let first = if d.first.is_empty() { String::new() } else { format!(", from `{}`", d.first) };
    format!("an AI deleted {} line(s) {place} in {}{first}", d.lines, by.join(", "))
}

/// The one unit of a file that is not UTF-8 (language `text`, kind `file`,
/// over its bytes) or of a submodule (language `git`, kind `submodule`, over
/// its commit id), which an AI commit of the range changed. It counts as all
/// AI: no threshold or triage rule lets it through. `source`: an AI source
/// found elsewhere than the lineage (a submodule's commits: [`gitlinks`]).
fn check_whole(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    path: &str,
    file: &lineage::FileLineage,
    source: Option<crate::provenance::AiSource>,
    report: &mut Report,
) -> Result<(), VerifyError> {
    use crate::fingerprint;
    let (kind, fp, len, lines) = match file.kind {
        VersionKind::Submodule => {
            let id = file.id.to_string();
            (fingerprint::SUBMODULE, fingerprint::submodule_fingerprint(&id), id.len(), 1)
        }
        _ => {
            let blob = repo.find_blob(file.id).map_err(git(format!("read HEAD:{path}")))?;
            let bytes = blob.content();
            let lines = bytes.split_inclusive(|&b| b == b'\n').count().max(1);
            (fingerprint::FILE, fingerprint::file_fingerprint(bytes), bytes.len(), lines)
        }
    };
    let attribution = file.tags.iter().find_map(|&t| match range.lineage.claim(t) {
        Claim::Ai(a) => Some(a.clone()),
        _ => None,
    });
    let unit = crate::syntax::Unit {
        kind: kind.to_string(),
        name: None,
        range: 0..len,
        fingerprint: fp,
        ai_bytes: len,
        ai_lines: usize::MAX,
        ai_ranges: std::iter::once(0..len).collect(),
        lines,
        ai_share: 1.0,
        risk: Vec::new(),
    };
    let fact = UnitFacts {
        unit,
        ai_range: 0..len,
        sources: attribution
            .iter()
            .filter_map(|a| match &a.origin {
                Origin::Ai(source) => Some(source.clone()),
                _ => None,
            })
            .chain(source)
            .collect(),
        acceptors: attribution.iter().filter_map(|a| a.accepted_by.clone()).collect(),
        suspected: false,
        deletions: Vec::new(),
    };
    let commits = range.lineage.commits_touching(&file.tags);
    let authors = people_of(range, &commits);
    let last = u32::try_from(lines).unwrap_or(u32::MAX);
    judge_unit(judge, path, &fact, 1, last, &authors, &commits, report);
    Ok(())
}

fn people_of(range: &Range, commits: &[Oid]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in commits {
        for email in range.people.get(c).into_iter().flatten() {
            if !out.iter().any(|e| e.eq_ignore_ascii_case(email)) {
                out.push(email.clone());
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)] // The unit's place and provenance, each needed once.
fn judge_unit(
    judge: &Judge<'_>,
    path: &str,
    fact: &UnitFacts,
    first: u32,
    last: u32,
    authors: &[String],
    commits: &[Oid],
    report: &mut Report,
) {
    let verified = |s: &Stored<Approval>| judge.verified(s);
    let was = judge.renamed.get().and_then(|r| r.get(path)).map(String::as_str);
    let judgement = judge.records.ledger.judge(judge.policy, (path, was), fact, authors, &verified);
    if !judgement.requirement.needs_signoff {
        report.coverage.units_not_required += 1;
        return;
    }
    let unit = &fact.unit;
    if let Status::Approved { by, automated } = &judgement.assessment.status {
        report.approved.push(Approved {
            path: path.to_string(),
            line: first,
            kind: unit.kind.clone(),
            name: unit.name.clone(),
            fingerprint: unit.fingerprint.clone(),
            by: by.clone(),
            automated: automated.clone(),
            not_counted: judge.explain(&unit.fingerprint, &judgement.assessment.ignored, None),
        });
        return;
    }
    let details =
        judge.explain(&unit.fingerprint, &judgement.assessment.ignored, Some((path, &unit.kind, unit.name.as_deref())));
    // Nothing AI-written is left in a unit an AI only removed lines from.
    let what = if unit.ai_bytes == 0 && !fact.deletions.is_empty() {
        "code an AI deleted lines from"
    } else {
        "AI-written code"
    };
    let (rule, reason) =
        failure_reason(&judgement.requirement, &judgement.assessment.status, &judgement.assessment.ignored, what);
    report.failures.push(Failure {
        rule,
        path: Some(path.to_string()),
        line: Some(first),
        end_line: Some(last),
        kind: Some(unit.kind.clone()),
        name: unit.name.clone(),
        fingerprint: Some(unit.fingerprint.clone()),
        reason,
        details,
        commits: commits.iter().map(Oid::to_string).collect(),
        participants: judgement.participants.everyone(),
        signoff: Some(judge.signoff(&judgement, &unit.fingerprint, &unit.risk, SignedOff::Unit)),
    });
}

fn failure_reason(
    requirement: &Requirement,
    status: &Status,
    ignored: &[crate::policy::Ignored],
    what: &str,
) -> (Rule, String) {
    let unsigned = ignored.iter().any(|i| matches!(i.refusal, Refusal::Unsigned { .. }));
    match status {
        Status::Rejected { by, comment } => {
            let comment = comment.as_deref().map_or(String::new(), |c| format!(": {c}"));
            (Rule::Rejected, format!("{what} rejected by {by}{comment}"))
        }
        Status::Requested { have, need, .. } | Status::Pending { have, need, .. } => {
            let requested =
                if matches!(status, Status::Requested { .. }) { "sign-off requested" } else { "not requested" };
            let rule = if unsigned { Rule::UnsignedApproval } else { Rule::UnapprovedAi };
            let signed = if requirement.require_signatures { "signed " } else { "" };
            (
                rule,
                format!(
                    "{what} needs {need} {signed}approval(s) from {} under the policy at BASE, has {have} ({requested})",
                    requirement.reviewers
                ),
            )
        }
        Status::NotRequired | Status::Approved { .. } => (Rule::UnapprovedAi, format!("{what}: {status}")),
    }
}

fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_as_git_writes_them() {
        assert_eq!(parse_range("origin/main..HEAD").unwrap(), ("origin/main".into(), "HEAD".into()));
        assert_eq!(parse_range("a..").unwrap(), ("a".into(), "HEAD".into()));
        assert_eq!(parse_range("a").unwrap(), ("a".into(), "HEAD".into()));
        assert!(parse_range("..b").is_err());
        assert!(parse_range("a...b").is_err());
        assert!(parse_range("--upload-pack=x..b").is_err());
    }
}
