//! `vouch verify BASE..HEAD`: the check CI runs, the one a team relies on
//! (hooks can be skipped; a required CI check cannot).
//!
//! It judges the end state: every review unit in HEAD's tree whose AI lines
//! come from commits in the range must have the approvals that the policy
//! *as of BASE* requires for its current fingerprint, signed where that
//! policy requires signatures (checked against the allowed-signers file as
//! of BASE), by people that policy allows, never by whoever accepted the AI
//! text, requested the sign-off or authored (or committed) a commit of the
//! range that touched the unit. Work-in-progress commits in between need no
//! approvals of their own. The policy, the allowed-signers file and (when the
//! policy uses it) CODEOWNERS are judged as of BASE, so a change to them in
//! the range cannot grant itself rights: such a change is itself a unit that
//! needs approval under the BASE policy.
//!
//! It reports coverage as it is: commits with no note, lines of unknown
//! origin (no provenance means *unattested*, not human). It fails closed:
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

use git2::{Commit, ObjectType, Oid, Repository, Sort};
use serde::Serialize;

use crate::document::Document;
use crate::fingerprint::fingerprint;
use crate::policy::{CODEOWNERS_PATHS, POLICY_FILE, Participants, Policy, Refusal, Requirement, Status, Vote, assess};
use crate::provenance::Origin;
use crate::signoff::{self, Ledger, UnitFacts};
use crate::store::history::{self, HistoryError, LineOrigin};
use crate::store::notes::{self, NOTES_REF, NoteError, NoteRecord};
use crate::store::policy_file::{self, LoadError, Source};
use crate::store::records::{self, Approval, ApprovalIndex, BadRecord, Override, Request, RequestIndex, Stored};
use crate::store::signature::{self, AllowedSigners, LoadSignersError, SigError};
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
    /// The policy, the allowed-signers file or CODEOWNERS changed without
    /// approval under the BASE policy.
    PolicyChange,
    /// A note does not match its commit (wrong blob, lines past the end,
    /// edited by hand, or contradicting the commit's own evidence).
    NoteMismatch,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::UnapprovedAi,
        Rule::UnsignedApproval,
        Rule::Rejected,
        Rule::MissingAttestation,
        Rule::PolicyChange,
        Rule::NoteMismatch,
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
            Rule::PolicyChange => "the policy, the allowed signers or CODEOWNERS changed without approval",
            Rule::NoteMismatch => "a vouch note does not match its commit",
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
    pub with_note: usize,
    /// Non-merge commits with no vouch note.
    pub without_note: Vec<String>,
    /// Lines in HEAD's files from commits of the range, by what is known.
    pub ai_lines: usize,
    /// Lines of commits whose note accounts for them as not AI.
    pub attested_lines: usize,
    /// Lines of commits with no note and no other evidence: unattested, not
    /// necessarily human.
    pub unknown_lines: usize,
    pub unknown_by_path: BTreeMap<String, usize>,
    /// AI units that the policy does not ask sign-off for (exempt, too
    /// little AI text).
    pub units_not_required: usize,
    /// Files of the range vouch did not read, and why (binary files).
    pub skipped: BTreeMap<String, String>,
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
    #[error("cannot read the policy as of BASE: {0}")]
    Policy(#[source] LoadError),
    #[error("cannot read the allowed signers as of BASE: {0}")]
    Signers(#[source] LoadSignersError),
    #[error("cannot read the records: {0}")]
    Records(#[from] records::RecordError),
    #[error("unreadable record {0}; refusing to decide without it")]
    BadRecord(BadRecord),
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("cannot read the history of {path}: {source}")]
    History { path: String, source: HistoryError },
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

fn resolve<'r>(repo: &'r Repository, rev: &str) -> Result<Commit<'r>, VerifyError> {
    let failed = |e: git2::Error| VerifyError::Revision { rev: rev.to_string(), message: e.message().to_string() };
    repo.revparse_single(rev).and_then(|o| o.peel_to_commit()).map_err(failed)
}

/// The commits of `base..head` (reachable from head, not from base),
/// oldest first.
pub fn range_commits(repo: &Repository, base: Oid, head: Oid) -> Result<Vec<Oid>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(head)?;
    walk.hide(base)?;
    walk.collect()
}

/// The root commit of `head`'s history (the oldest, ties by id): the
/// repository id records carry.
fn root_of(repo: &Repository, head: Oid) -> Result<String, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.push(head)?;
    let mut best: Option<(i64, Oid)> = None;
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        if commit.parent_count() == 0 {
            let candidate = (commit.time().seconds(), commit.id());
            if best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
    }
    Ok(best.map_or_else(|| head.to_string(), |(_, oid)| oid.to_string()))
}

/// Everything verify reads about the range before it judges.
struct Range {
    commits: Vec<Oid>,
    set: HashSet<Oid>,
    notes: HashMap<Oid, Vec<NoteRecord>>,
    /// Author and committer emails per commit.
    people: HashMap<Oid, Vec<String>>,
    /// The paths each commit changed against its first parent.
    changed: HashMap<Oid, Vec<String>>,
}

/// The ledger of a verification: records of this repository, with
/// approvals that answer a forged request left out (and said why).
struct Records {
    ledger: Ledger,
    /// All approvals of this repository by fingerprint, to explain.
    all_approvals: Vec<Stored<Approval>>,
    /// Approvals of other repositories.
    foreign: Vec<Stored<Approval>>,
    /// Approval id → why it was left out.
    dropped: HashMap<String, String>,
    /// Forged request units by fingerprint: (request id, requester, actual fingerprint).
    forged: HashMap<String, Vec<(String, String, String)>>,
    overrides: Vec<Stored<Override>>,
}

/// Verify `base..head` in `repo`.
pub fn verify(repo: &Repository, base_rev: &str, head_rev: &str) -> Result<Report, VerifyError> {
    let base = resolve(repo, base_rev)?;
    let head = resolve(repo, head_rev)?;
    let repository = root_of(repo, head.id()).map_err(git("walk the history of HEAD"))?;
    let base_source = Source::Commit(base_rev.to_string());
    let policy = policy_file::load(repo, &base_source).map_err(VerifyError::Policy)?;
    let signers = signature::load_allowed_signers(repo, &policy, &base_source).map_err(VerifyError::Signers)?;
    let records = load_records(repo, &repository)?;
    let range = read_range(repo, base.id(), head.id())?;

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
        allow_override: policy.allow_override(),
        failures: Vec::new(),
        overridden: Vec::new(),
        approved: Vec::new(),
        overrides: Vec::new(),
        coverage: Coverage::default(),
        warnings: policy.warnings().to_vec(),
    };
    report.warnings.extend(signers.warnings.iter().cloned());
    if policy.require_signatures() && !signers.present {
        report.warnings.push(format!(
            "the policy at BASE requires signatures but {} does not exist: no approval can count",
            signers.file
        ));
    }
    let judge = Judge { policy: &policy, signers: &signers, records: &records, repository: &repository };

    check_commits(repo, &policy, &range, &mut report)?;
    let head_tree = head.tree().map_err(git("read HEAD's tree"))?;
    let base_tree = base.tree().map_err(git("read BASE's tree"))?;
    let touched = touched_paths(&range);
    let policy_files = policy_files(repo, &policy, &head_tree, head_rev);
    for path in &touched {
        if policy_files.contains(path) {
            continue;
        }
        check_file(repo, &judge, &range, &head_tree, head.id(), path, &mut report)?;
    }
    for path in &policy_files {
        check_policy_file(repo, &judge, &range, &base_tree, &head_tree, path, &mut report)?;
    }
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
    let mut forged: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    let mut forged_by_request: HashMap<String, Vec<String>> = HashMap::new();
    for request in requests.records.iter().filter(|r| r.record.repository == repository) {
        for unit in request.record.units.iter().filter(|u| !u.fingerprint_matches()) {
            let actual = fingerprint(&unit.language, &unit.kind, &unit.text);
            forged.entry(unit.fingerprint.clone()).or_default().push((
                request.id.clone(),
                request.record.requester.email.clone(),
                actual,
            ));
            forged_by_request.entry(request.id.clone()).or_default().push(unit.fingerprint.clone());
        }
    }
    let (mine, foreign): (Vec<_>, Vec<_>) =
        approvals.records.into_iter().partition(|a| a.record.repository == repository);
    let mut dropped = HashMap::new();
    let mut counted = Vec::new();
    for approval in &mine {
        let answers_forgery =
            approval.record.request.as_ref().and_then(|r| forged_by_request.get(r).map(|fps| (r, fps)));
        match answers_forgery {
            Some((request, fps)) if fps.contains(&approval.record.fingerprint) => {
                dropped.insert(
                    approval.id.clone(),
                    format!(
                        "answers request {} whose stated fingerprint does not match its text, so it cannot approve it",
                        short(request)
                    ),
                );
            }
            _ => counted.push(approval.clone()),
        }
    }
    let ledger = Ledger {
        repository_id: Some(repository.to_string()),
        approvals: ApprovalIndex::new(counted, repository),
        requests: RequestIndex::new(requests.records, repository),
        bad: Vec::new(),
    };
    let overrides = overrides.records.into_iter().filter(|o| o.record.repository == repository).collect();
    Ok(Records { ledger, all_approvals: mine, foreign, dropped, forged, overrides })
}

fn read_range(repo: &Repository, base: Oid, head: Oid) -> Result<Range, VerifyError> {
    let commits = range_commits(repo, base, head).map_err(git("walk BASE..HEAD"))?;
    let mut notes_by_commit = HashMap::new();
    let mut people = HashMap::new();
    let mut changed = HashMap::new();
    for &oid in &commits {
        if let Some(records) = notes::read_note(repo, oid)? {
            notes_by_commit.insert(oid, records);
        }
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        let mut emails = Vec::new();
        for who in [commit.author(), commit.committer()] {
            let email = String::from_utf8_lossy(who.email_bytes()).trim().to_string();
            if !email.is_empty() && !emails.iter().any(|e: &String| e.eq_ignore_ascii_case(&email)) {
                emails.push(email);
            }
        }
        people.insert(oid, emails);
        changed.insert(oid, changed_in(repo, oid)?);
    }
    let set = commits.iter().copied().collect();
    Ok(Range { commits, set, notes: notes_by_commit, people, changed })
}

/// Attestation and note consistency, commit by commit.
fn check_commits(repo: &Repository, policy: &Policy, range: &Range, report: &mut Report) -> Result<(), VerifyError> {
    let coverage = &mut report.coverage;
    coverage.commits = range.commits.len();
    for &oid in &range.commits {
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        let merge = commit.parent_count() > 1;
        coverage.merges += usize::from(merge);
        let subject = commit.summary().unwrap_or("").to_string();
        let Some(records) = range.notes.get(&oid) else {
            if !merge {
                coverage.without_note.push(oid.to_string());
                if policy.require_attestation() {
                    let mut failure = Failure::new(
                        Rule::MissingAttestation,
                        format!(
                            "commit {} ({subject}) carries no vouch note; the policy at BASE requires every commit to \
                             attest its AI text (a note with file records, or `no-ai`)",
                            short(&oid.to_string())
                        ),
                    );
                    failure.commits.push(oid.to_string());
                    report.failures.push(failure);
                }
            }
            continue;
        };
        coverage.with_note += 1;
        for problem in note_problems(repo, policy, &commit, records)? {
            let mut failure = Failure::new(Rule::NoteMismatch, problem.reason);
            failure.path = problem.path;
            failure.commits.push(oid.to_string());
            report.failures.push(failure);
        }
    }
    Ok(())
}

struct NoteProblem {
    path: Option<String>,
    reason: String,
}

/// What is wrong with the note on `commit`: records that name a blob the
/// commit does not have at that path or lines past the blob's end, text
/// that is not as vouch writes it (edited by hand), or a `no-ai`
/// attestation the commit's own trailer or author contradicts.
fn note_problems(
    repo: &Repository,
    policy: &Policy,
    commit: &Commit<'_>,
    records: &[NoteRecord],
) -> Result<Vec<NoteProblem>, VerifyError> {
    let oid = commit.id();
    let full = oid.to_string();
    let id = short(&full);
    let mut problems = Vec::new();
    let tree = commit.tree().map_err(git(format!("read the tree of {oid}")))?;
    for record in records {
        let NoteRecord::File(file) = record else { continue };
        let entry = tree.get_path(Path::new(&file.path)).ok();
        let Some(entry) = entry.filter(|e| e.kind() == Some(ObjectType::Blob)) else {
            problems.push(NoteProblem {
                path: Some(file.path.clone()),
                reason: format!("the note on commit {id} describes {}, which the commit does not have", file.path),
            });
            continue;
        };
        if entry.id().to_string() != file.blob {
            problems.push(NoteProblem {
                path: Some(file.path.clone()),
                reason: format!(
                    "the note on commit {id} describes blob {} of {}, but the commit has blob {}",
                    short(&file.blob),
                    file.path,
                    short(&entry.id().to_string())
                ),
            });
            continue;
        }
        let blob = repo.find_blob(entry.id()).map_err(git(format!("read {}:{}", oid, file.path)))?;
        let lines = notes::line_spans(&String::from_utf8_lossy(blob.content())).len();
        if let Some(&[a, b]) = file.ai.iter().find(|r| r[1] as usize > lines) {
            problems.push(NoteProblem {
                path: Some(file.path.clone()),
                reason: format!(
                    "the note on commit {id} marks lines {a}-{b} of {}, which has {lines} lines",
                    file.path
                ),
            });
        }
    }
    let raw = repo.find_note(Some(NOTES_REF), oid).map_err(git(format!("read the note on {oid}")))?;
    let text = String::from_utf8_lossy(raw.message_bytes()).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let canonical: BTreeSet<String> = records.iter().map(NoteRecord::to_line).collect();
    let written: Vec<&str> = canonical.iter().map(String::as_str).collect();
    if lines != written {
        let first =
            lines.iter().position(|l| !canonical.contains(*l)).map_or(String::new(), |i| format!(", line {}", i + 1));
        problems.push(NoteProblem {
            path: None,
            reason: format!("the note on commit {id} is not as vouch writes it (edited by hand?{first})"),
        });
    }
    let only_no_ai = !records.is_empty() && records.iter().all(|r| *r == NoteRecord::NoAi);
    if only_no_ai {
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        let author = commit.author();
        let name = String::from_utf8_lossy(author.name_bytes()).into_owned();
        let email = String::from_utf8_lossy(author.email_bytes()).into_owned();
        let evidence = history::ai_trailer_tool(&message)
            .map(|tool| format!("its trailer names {tool}"))
            .or_else(|| history::is_bot(&name, &email, policy.bots()).then(|| format!("its author {name} is a bot")));
        if let Some(evidence) = evidence {
            problems.push(NoteProblem {
                path: None,
                reason: format!("the note on commit {id} attests no AI text, but {evidence}"),
            });
        }
    }
    Ok(problems)
}

/// Paths that commits of the range changed (against their first parent)
/// and that HEAD still has, sorted.
fn touched_paths(range: &Range) -> BTreeSet<String> {
    range.changed.values().flatten().cloned().collect()
}

/// The paths commit `oid` changed against its first parent (or all of its
/// files, for a root commit).
fn changed_in(repo: &Repository, oid: Oid) -> Result<Vec<String>, VerifyError> {
    let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
    let tree = commit.tree().map_err(git(format!("read the tree of {oid}")))?;
    let parent = match commit.parent(0) {
        Ok(p) => Some(p.tree().map_err(git(format!("read the parent tree of {oid}")))?),
        Err(_) => None,
    };
    let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None).map_err(git(format!("diff {oid}")))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.new_file(), delta.old_file()] {
            if let Some(path) = file.path().and_then(Path::to_str)
                && !out.iter().any(|p| p == path)
            {
                out.push(path.to_string());
            }
        }
    }
    Ok(out)
}

/// The files whose change can change who may approve: the policy, the
/// allowed-signers file (as BASE's and HEAD's policies name it) and, when
/// either policy uses it, CODEOWNERS.
fn policy_files(
    repo: &Repository,
    base_policy: &Policy,
    head_tree: &git2::Tree<'_>,
    head_rev: &str,
) -> BTreeSet<String> {
    let mut files = BTreeSet::from([POLICY_FILE.to_string(), base_policy.allowed_signers().to_string()]);
    // HEAD's policy may name another allowed-signers file; if it does not
    // parse, its own change is already a unit to approve.
    let head_policy = head_tree
        .get_path(Path::new(POLICY_FILE))
        .ok()
        .and_then(|_| policy_file::read_text(repo, &Source::Commit(head_rev.to_string()), POLICY_FILE).ok().flatten())
        .and_then(|text| Policy::parse(&text, POLICY_FILE).ok());
    if let Some(head_policy) = &head_policy {
        files.insert(head_policy.allowed_signers().to_string());
    }
    if base_policy.uses_codeowners() || head_policy.as_ref().is_some_and(Policy::uses_codeowners) {
        files.extend(CODEOWNERS_PATHS.iter().map(|p| p.to_string()));
    }
    files
}

/// What judging needs, bundled.
struct Judge<'a> {
    policy: &'a Policy,
    signers: &'a AllowedSigners,
    records: &'a Records,
    repository: &'a str,
}

impl Judge<'_> {
    fn verified(&self, stored: &Stored<Approval>) -> bool {
        self.signers.check_approval(&stored.record).is_ok()
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
            let what = verdict_noun(ignored.verdict);
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
                            verdict_noun(a.record.decision),
                            identity,
                            short(&a.id)
                        ));
                    }
                }
                other => details.push(format!("{what} by {} does not count: {other}", ignored.email)),
            }
        }
        for a in self.records.all_approvals.iter().filter(|a| a.record.fingerprint == fingerprint) {
            if let Some(why) = self.records.dropped.get(&a.id) {
                details.push(format!(
                    "{} by {} ({}) does not count: it {why}",
                    verdict_noun(a.record.decision),
                    a.record.reviewer.email,
                    short(&a.id)
                ));
            }
        }
        for (request, requester, actual) in self.records.forged.get(fingerprint).into_iter().flatten() {
            details.push(format!(
                "request {} by {requester} states this fingerprint for text that hashes to {}: a forged request, \
                 which no approval can answer",
                short(request),
                short(actual)
            ));
        }
        for a in self.records.foreign.iter().filter(|a| a.record.fingerprint == fingerprint) {
            details.push(format!(
                "{} by {} ({}) does not count: it was made in another repository (root {}, not {})",
                verdict_noun(a.record.decision),
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
                        verdict_noun(a.record.decision),
                        a.record.reviewer.email,
                        short(&a.id),
                        short(&a.record.fingerprint)
                    ));
                }
            }
        }
        details
    }
}

fn verdict_noun(verdict: crate::policy::Verdict) -> &'static str {
    match verdict {
        crate::policy::Verdict::Approve => "approval",
        crate::policy::Verdict::Reject => "rejection",
    }
}

/// The AI units of one file of HEAD whose AI lines come from the range.
fn check_file(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    head_tree: &git2::Tree<'_>,
    head: Oid,
    path: &str,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let Ok(entry) = head_tree.get_path(Path::new(path)) else { return Ok(()) };
    if entry.kind() != Some(ObjectType::Blob) {
        return Ok(());
    }
    let blob = repo.find_blob(entry.id()).map_err(git(format!("read HEAD:{path}")))?;
    if blob.is_binary() {
        report.coverage.skipped.insert(path.to_string(), "binary".into());
        return Ok(());
    }
    let Ok(text) = String::from_utf8(blob.content().to_vec()) else {
        report.coverage.skipped.insert(path.to_string(), "not UTF-8".into());
        return Ok(());
    };
    let origins = history::blame_history(repo, path, Some(&head.to_string()), judge.policy.bots())
        .map_err(|source| VerifyError::History { path: path.to_string(), source })?;
    let in_range: Vec<&LineOrigin> =
        origins.iter().filter(|o| o.commit.is_some_and(|c| range.set.contains(&c))).collect();
    let mut ai_origins: Vec<LineOrigin> = Vec::new();
    for origin in &in_range {
        match &origin.attribution.origin {
            Origin::Ai(_) => {
                report.coverage.ai_lines += 1;
                ai_origins.push((*origin).clone());
            }
            Origin::Human => report.coverage.attested_lines += 1,
            Origin::Unknown => {
                let noted = origin.commit.is_some_and(|c| range.notes.contains_key(&c));
                if noted {
                    report.coverage.attested_lines += 1;
                } else {
                    report.coverage.unknown_lines += 1;
                    *report.coverage.unknown_by_path.entry(path.to_string()).or_default() += 1;
                }
            }
        }
    }
    if ai_origins.is_empty() {
        return Ok(());
    }
    let spans = history::line_origins_to_spans(&text, &ai_origins);
    let language = Language::from_path(Path::new(path));
    let mut doc = Document::new(language, text.clone())
        .map_err(|e| VerifyError::Unreadable { path: path.to_string(), reason: e.to_string() })?;
    doc.reset_provenance(&spans);
    let facts = signoff::unit_facts(&mut doc);
    let line_starts = notes::line_spans(&text);
    let line_of = |byte: usize| line_starts.partition_point(|l| l.end <= byte) as u32 + 1;
    // The commit of each line of HEAD's file that comes from the range.
    let commit_of_line: HashMap<u32, Oid> = in_range.iter().filter_map(|o| o.commit.map(|c| (o.line, c))).collect();
    for fact in &facts {
        let first = line_of(fact.unit.range.start);
        let last = line_of(fact.unit.range.end.saturating_sub(1).max(fact.unit.range.start));
        let mut commits: Vec<Oid> = Vec::new();
        for line in first..=last {
            if let Some(c) = commit_of_line.get(&line)
                && !commits.contains(c)
            {
                commits.push(*c);
            }
        }
        let authors = people_of(range, &commits);
        judge_unit(judge, path, fact, first, last, &authors, &commits, report);
    }
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
    let judgement = judge.records.ledger.judge(judge.policy, path, fact, authors, &verified);
    if !judgement.requirement.needs_signoff {
        report.coverage.units_not_required += 1;
        return;
    }
    let unit = &fact.unit;
    if let Status::Approved { by } = &judgement.assessment.status {
        report.approved.push(Approved {
            path: path.to_string(),
            line: first,
            kind: unit.kind.clone(),
            name: unit.name.clone(),
            fingerprint: unit.fingerprint.clone(),
            by: by.clone(),
        });
        return;
    }
    let details =
        judge.explain(&unit.fingerprint, &judgement.assessment.ignored, Some((path, &unit.kind, unit.name.as_deref())));
    let (rule, reason) = failure_reason(
        &judgement.requirement,
        &judgement.assessment.status,
        &judgement.assessment.ignored,
        "AI-written code",
    );
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

/// The fingerprint under which a change to a trust file (the policy, the
/// allowed signers, CODEOWNERS) is approved: the whole file at HEAD (empty
/// when deleted) as one `lines` unit of its language.
pub fn trust_file_fingerprint(path: &str, text: &str) -> String {
    let language = Language::from_path(Path::new(path));
    fingerprint(language.name(), crate::syntax::units::LINES, text)
}

/// A change in the range to a file that decides who may approve.
fn check_policy_file(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    base_tree: &git2::Tree<'_>,
    head_tree: &git2::Tree<'_>,
    path: &str,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let at = |tree: &git2::Tree<'_>| tree.get_path(Path::new(path)).ok().map(|e| e.id());
    let (before, after) = (at(base_tree), at(head_tree));
    if before == after {
        return Ok(());
    }
    // The commits of the range that changed it.
    let commits: Vec<Oid> = range
        .commits
        .iter()
        .copied()
        .filter(|c| range.changed.get(c).is_some_and(|p| p.iter().any(|p| p == path)))
        .collect();
    if commits.is_empty() {
        // BASE is not an ancestor and the difference comes from its side.
        return Ok(());
    }
    let text = match after {
        Some(id) => {
            let blob = repo.find_blob(id).map_err(git(format!("read HEAD:{path}")))?;
            String::from_utf8_lossy(blob.content()).into_owned()
        }
        None => String::new(),
    };
    let fp = trust_file_fingerprint(path, &text);
    let lines = u32::try_from(notes::line_spans(&text).len()).unwrap_or(u32::MAX);
    let mut requirement = judge.policy.requirement(path, &[], lines.max(1) as usize);
    requirement.exempt = false;
    requirement.needs_signoff = true;
    requirement.approvals = requirement.approvals.max(1);
    let participants = Participants {
        acceptors: Vec::new(),
        requesters: judge.records.ledger.requests.requesters(&fp),
        authors: people_of(range, &commits),
    };
    let votes: Vec<Vote> = judge.records.ledger.approvals.votes(&fp, |s| judge.verified(s));
    let assessment = assess(&requirement, &votes, &participants);
    if let Status::Approved { by } = &assessment.status {
        report.approved.push(Approved {
            path: path.to_string(),
            line: 1,
            kind: crate::syntax::units::LINES.to_string(),
            name: None,
            fingerprint: fp,
            by: by.clone(),
        });
        return Ok(());
    }
    let (rule, reason) = failure_reason(&requirement, &assessment.status, &assessment.ignored, "the change");
    let change = match (before, after) {
        (None, _) => "added",
        (_, None) => "deleted",
        _ => "changed",
    };
    let reason =
        format!("{path} is {change} in the range and decides who may approve, so {reason}; approve fingerprint {fp}");
    let mut details = judge.explain(&fp, &assessment.ignored, None);
    if rule == Rule::Rejected {
        details.insert(0, "a reviewer rejected this change".into());
    }
    report.failures.push(Failure {
        rule: Rule::PolicyChange,
        path: Some(path.to_string()),
        line: Some(1),
        end_line: Some(lines.max(1)),
        kind: Some(crate::syntax::units::LINES.to_string()),
        name: None,
        fingerprint: Some(fp),
        reason,
        details,
        commits: commits.iter().map(Oid::to_string).collect(),
    });
    Ok(())
}

/// Report every override that touches the range; let the counted ones
/// cover the failures they name.
fn apply_overrides(repo: &Repository, judge: &Judge<'_>, range: &Range, report: &mut Report) {
    let failing: HashSet<&str> = report.failures.iter().filter_map(|f| f.fingerprint.as_deref()).collect();
    let mut counted: Vec<(String, HashSet<Oid>, HashSet<String>)> = Vec::new();
    for stored in &judge.records.overrides {
        let record = &stored.record;
        let mut covered: HashSet<Oid> = HashSet::new();
        for c in &record.commits {
            if let Ok(oid) = Oid::from_str(c) {
                covered.insert(oid);
            }
        }
        if let Some(spec) = &record.range {
            match override_range(repo, spec) {
                Ok(commits) => covered.extend(commits),
                Err(e) => report.warnings.push(format!(
                    "override {} covers the range {spec}, which cannot be read here ({e}); if it should cover \
                     commits of this range, fetch them",
                    short(&stored.id)
                )),
            }
        }
        let covers: Vec<String> = range.commits.iter().filter(|c| covered.contains(c)).map(Oid::to_string).collect();
        let fingerprints: Vec<String> =
            record.fingerprints.iter().filter(|f| failing.contains(f.as_str())).cloned().collect();
        if covers.is_empty() && fingerprints.is_empty() {
            continue;
        }
        let why_not = if !judge.policy.allow_override() {
            Some("the policy at BASE does not allow overrides (allow_override = false)".to_string())
        } else if judge.policy.require_signatures() {
            judge.signers.check_override(record).err().map(|e: SigError| format!("the override {e}"))
        } else {
            None
        };
        if why_not.is_none() {
            counted.push((stored.id.clone(), covered.clone(), record.fingerprints.iter().cloned().collect()));
        }
        report.overrides.push(OverrideReport {
            id: stored.id.clone(),
            by: record.by.email.clone(),
            created: record.created.clone(),
            reason: record.reason.clone(),
            counted: why_not.is_none(),
            not_counted_because: why_not,
            covers,
            fingerprints,
        });
    }
    if counted.is_empty() {
        return;
    }
    let failures = std::mem::take(&mut report.failures);
    for failure in failures {
        let by = counted.iter().find(|(_, commits, fps)| {
            let by_fp = failure.fingerprint.as_ref().is_some_and(|f| fps.contains(f));
            let by_commits = !failure.commits.is_empty()
                && failure.commits.iter().all(|c| Oid::from_str(c).is_ok_and(|o| commits.contains(&o)));
            by_fp || by_commits
        });
        match by {
            Some((id, _, _)) => report.overridden.push(Overridden { failure, by_override: id.clone() }),
            None => report.failures.push(failure),
        }
    }
}

fn override_range(repo: &Repository, spec: &str) -> Result<Vec<Oid>, String> {
    let (base, head) = parse_range(spec).map_err(|e| e.to_string())?;
    let base = resolve(repo, &base).map_err(|e| e.to_string())?;
    let head = resolve(repo, &head).map_err(|e| e.to_string())?;
    range_commits(repo, base.id(), head.id()).map_err(|e| e.message().to_string())
}

fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

// ---------------------------------------------------------------------------
// Rendering

/// The report as text: one line per failure (`path:line kind name — reason`),
/// its details indented below, then overrides and coverage.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "vouch verify {}..{} ({} commit(s)); policy {}",
        report.base, report.head, report.coverage.commits, report.policy
    );
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    for failure in &report.failures {
        let _ = writeln!(out, "{} {} — {}", failure.place(), failure.rule.short(), failure.reason);
        for detail in &failure.details {
            let _ = writeln!(out, "    {detail}");
        }
    }
    for o in &report.overridden {
        let _ = writeln!(
            out,
            "overridden: {} {} — {} (override {})",
            o.failure.place(),
            o.failure.rule.short(),
            o.failure.reason,
            short(&o.by_override)
        );
    }
    for o in &report.overrides {
        let state = match &o.not_counted_because {
            None => "counted".to_string(),
            Some(why) => format!("NOT counted: {why}"),
        };
        let _ = writeln!(
            out,
            "override {} by {} at {}: \"{}\" — covers {} commit(s) of the range; {state}",
            short(&o.id),
            o.by,
            o.created,
            o.reason,
            o.covers.len()
        );
    }
    let c = &report.coverage;
    let _ = writeln!(
        out,
        "coverage: {} commit(s) ({} merge(s)), {} with a note, {} without{}",
        c.commits,
        c.merges,
        c.with_note,
        c.without_note.len(),
        if c.without_note.is_empty() {
            String::new()
        } else {
            format!(": {}", c.without_note.iter().map(|s| short(s)).collect::<Vec<_>>().join(", "))
        }
    );
    let _ = writeln!(
        out,
        "lines from the range: {} AI, {} attested not AI, {} of unknown origin (unattested, not necessarily human){}",
        c.ai_lines,
        c.attested_lines,
        c.unknown_lines,
        if c.unknown_by_path.is_empty() {
            String::new()
        } else {
            format!(": {}", c.unknown_by_path.iter().map(|(p, n)| format!("{p} {n}")).collect::<Vec<_>>().join(", "))
        }
    );
    for (path, why) in &c.skipped {
        let _ = writeln!(out, "not read: {path} ({why})");
    }
    let _ = writeln!(
        out,
        "{}: {} unit(s) approved, {} failure(s), {} overridden",
        if report.passed() { "PASS" } else { "FAIL" },
        report.approved.len(),
        report.failures.len(),
        report.overridden.len()
    );
    out
}

/// The report as SARIF 2.1.0: one result per failure (and a note-level
/// result per overridden failure, so an override is never silent).
pub fn to_sarif(report: &Report) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<serde_json::Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.short(),
                "shortDescription": { "text": r.description() },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let index_of = |rule: Rule| Rule::ALL.iter().position(|r| *r == rule).unwrap_or(0);
    let result = |failure: &Failure, level: &str, suffix: &str| {
        let mut text = format!("{} — {}{suffix}", failure.place(), failure.reason);
        for detail in &failure.details {
            text.push_str("\n- ");
            text.push_str(detail);
        }
        // Code scanning needs a location; a commit-level failure points at
        // the policy that asks for it.
        let (uri, start, end) = match &failure.path {
            Some(path) => (path.clone(), failure.line.unwrap_or(1), failure.end_line.or(failure.line).unwrap_or(1)),
            None => (POLICY_FILE.to_string(), 1, 1),
        };
        let mut value = json!({
            "ruleId": failure.rule.id(),
            "ruleIndex": index_of(failure.rule),
            "level": level,
            "message": { "text": text },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": { "startLine": start, "endLine": end.max(start) },
                }
            }],
            "properties": { "commits": failure.commits },
        });
        if let Some(fp) = &failure.fingerprint {
            value["partialFingerprints"] = json!({ "vouchUnit/v1": fp });
        }
        value
    };
    let mut results: Vec<serde_json::Value> = report.failures.iter().map(|f| result(f, "error", "")).collect();
    for o in &report.overridden {
        results.push(result(&o.failure, "note", &format!(" (overridden by {})", short(&o.by_override))));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "vouch",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
            "properties": {
                "base": report.base_commit,
                "head": report.head_commit,
                "policy": report.policy,
                "overrides": report.overrides,
                "coverage": report.coverage,
            },
        }]
    })
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

    fn failure() -> Failure {
        Failure {
            path: Some("src/a.rs".into()),
            line: Some(3),
            end_line: Some(9),
            kind: Some("function".into()),
            name: Some("parse".into()),
            fingerprint: Some("ab".repeat(32)),
            details: vec!["approval by eve@x does not count: eve@x is not a reviewer".into()],
            commits: vec!["c".repeat(40)],
            ..Failure::new(Rule::UnapprovedAi, "AI-written code needs 1 approval(s)".into())
        }
    }

    fn report(failures: Vec<Failure>) -> Report {
        Report {
            base: "main".into(),
            head: "HEAD".into(),
            base_commit: "b".repeat(40),
            head_commit: "h".repeat(40),
            repository: "r".repeat(40),
            policy: "main:.vouch.toml".into(),
            require_signatures: true,
            require_attestation: false,
            allow_override: false,
            failures,
            overridden: Vec::new(),
            approved: Vec::new(),
            overrides: Vec::new(),
            coverage: Coverage { commits: 2, with_note: 1, ..Coverage::default() },
            warnings: Vec::new(),
        }
    }

    #[test]
    fn text_lists_each_failure_with_its_place_and_reason() {
        let mut commit_level =
            Failure::new(Rule::MissingAttestation, "commit cccccccccc (wip) carries no vouch note".into());
        commit_level.commits.push("c".repeat(40));
        let text = render_text(&report(vec![failure(), commit_level]));
        expect_test::expect![[r#"
            vouch verify main..HEAD (2 commit(s)); policy main:.vouch.toml
            src/a.rs:3 function parse unapproved-ai — AI-written code needs 1 approval(s)
                approval by eve@x does not count: eve@x is not a reviewer
            commit cccccccccc missing-attestation — commit cccccccccc (wip) carries no vouch note
            coverage: 2 commit(s) (0 merge(s)), 1 with a note, 0 without
            lines from the range: 0 AI, 0 attested not AI, 0 of unknown origin (unattested, not necessarily human)
            FAIL: 0 unit(s) approved, 2 failure(s), 0 overridden
        "#]]
        .assert_eq(&text);
    }

    #[test]
    fn sarif_has_one_result_per_failure_with_a_location() {
        let mut commit_level = Failure::new(Rule::MissingAttestation, "no note".into());
        commit_level.commits.push("c".repeat(40));
        let sarif = to_sarif(&report(vec![failure(), commit_level]));
        assert_eq!(sarif["version"], "2.1.0");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["ruleId"], "vouch/unapproved-ai");
        assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "src/a.rs");
        assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
        assert_eq!(results[1]["ruleId"], "vouch/missing-attestation");
        assert_eq!(results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], ".vouch.toml");
        let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let index = results[1]["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], "vouch/missing-attestation");
    }
}
