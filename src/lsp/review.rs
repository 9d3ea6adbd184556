//! The server's view of the repositories its documents belong to: where a
//! file lives, who the user is, the policy, the records, and how each review
//! unit stands. Which units `vouch verify` will ask about and who may sign
//! them off is the analysis layer's ([`crate::analysis::buffer`], the same
//! judgement the gate and `vouch status` make); the decisions themselves
//! are [`crate::signoff`]'s.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context as _;
use git2::Repository;

use crate::analysis::ai_paths::AiPaths;
use crate::analysis::attribution::{self, FileVersion, Views};
use crate::analysis::judge::{Judge, JudgedUnit};
use crate::analysis::scope::Scope;
use crate::display::markdown;
use crate::document::Document;
use crate::policy::{Policy, ReviewerSet, Status, Verdict as Decision};
use crate::provenance::{AiDeletion, Attribution};
use crate::signoff::{self, Ledger, UnitFacts};
use crate::store::journal::{Entry, Journal, Loaded, RecordId};
use crate::store::{identity, policy_file, records};
use crate::syntax::Language;

use super::protocol::UnitState;
use super::repo_queue::RepoQueue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Information,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Information => "information",
        }
    }
}

/// A document's units with how each stands, and the lines verify counts as
/// AI that its provenance does not show ([`Repos::judge_units`]).
pub type JudgedUnits = (Vec<(UnitFacts, Verdict)>, Vec<(Range<usize>, Attribution)>);

/// How one unit stands, as the editor shows it.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub state: UnitState,
    pub severity: Severity,
    /// Who may sign off, as the policy names them.
    pub reviewers: Vec<String>,
    /// Whether the current identity may approve or reject it.
    pub may_approve: bool,
    /// More to say: who rejected it and why, who requested it.
    pub note: Option<String>,
    /// The judge's word on it, when it is in a repository.
    pub judged: Option<JudgedUnit>,
}

/// The no-plugin heuristic's thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub min_chars: usize,
    pub min_lines: usize,
}

/// What changes when someone else writes: compared on each poll.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Stamp {
    approvals: Option<git2::Oid>,
    requests: Option<git2::Oid>,
    policy: Option<(SystemTime, u64)>,
    journal: Option<SystemTime>,
    /// HEAD and the notes: the range BASE..HEAD and what it says.
    head: Option<git2::Oid>,
    notes: Vec<Option<git2::Oid>>,
    /// The git identity: who may approve what depends on it.
    identity: Option<String>,
    /// A pending squash merge or cherry-pick (`SQUASH_MSG`,
    /// `CHERRY_PICK_HEAD`): what the next commit's text comes from.
    sources: Vec<Option<(SystemTime, u64)>>,
}

struct RepoContext {
    repo: Repository,
    root: PathBuf,
    /// The working tree's last valid policy: read to tell the user when
    /// the `.vouch.toml` they edit does not parse, never to judge or show
    /// anything (the author writes it; see [`RepoContext::base_policy`]).
    policy: Policy,
    /// The policy at BASE, as the range's scope read it (or, when the range
    /// cannot be read, BASE's policy alone): what every judgement and what
    /// the editor shows (bot authors, thresholds) go by.
    base_policy: Option<Policy>,
    ledger: Ledger,
    identity: Option<identity::Identity>,
    stamp: Stamp,
    journal: Option<Journal>,
    loaded: Option<Loaded>,
    /// Whether this server appended to the journal since `loaded` was read:
    /// a document opened meanwhile must find those records (a close and an
    /// open right after an AI edit, as Neovim's `:e` sends them), which the
    /// next poll takes as seen. Read again before `loaded` is used.
    loaded_stale: bool,
    /// The journal's time (see [`journal_time`]) just before `loaded` was
    /// read: a poll that finds it unchanged has nothing more to read.
    loaded_at: Option<SystemTime>,
    /// The range the next commit ends (BASE..HEAD) and BASE's policy: what
    /// units are judged by, as the gate judges them.
    scope: Option<Scope>,
    /// Whether an approval's signature checks out against the allowed
    /// signers at BASE.
    scope_verifier: Option<crate::store::signature::ApprovalVerifier>,
    /// Which paths history may hold AI text in (for what is shown), for
    /// the range and policy as last read: built by the first history read
    /// that needs it, on its worker (see [`AiIndex`]).
    ai_paths: AiIndex,
    /// What the commits the next commit's text comes from (a pending
    /// squash merge or cherry-pick, commits that left HEAD's history) claim
    /// of each path asked about: read once per path until HEAD, the notes,
    /// the records or a pending squash or pick change.
    derived: HashMap<String, Option<crate::store::derive::Derived>>,
    /// Journal records already applied to open documents (or written by
    /// this server): a poll applies only the others.
    seen: HashSet<RecordId>,
    /// The size of objects [`Repos::is_known_version`] asked about: an
    /// object's content never changes.
    sizes: HashMap<git2::Oid, u64>,
    /// History's account of file versions read for open documents, by
    /// path and blob, for HEAD and the notes as they were when it was read
    /// ([`HistoryKey`]); emptied when the range or BASE's policy (its bot
    /// authors) is read again, and a read begun before that is not kept.
    /// A `git blame` of a file with a long history takes tens of
    /// milliseconds, and editors open files again and reload the versions
    /// they had.
    history: HashMap<HistoryKey, crate::provenance::Spans>,
    /// How many times the range and BASE's policy were read: what
    /// [`HistoryKey::scope`] holds.
    scopes_read: u64,
    /// How many times history was read, here or by a [`HistoryJob`] (for
    /// `vouch/debug/stats`).
    history_reads: u64,
    /// The [`Judging`] read under way, by number: what it brings is taken up
    /// only if no later read began (or was done here) meanwhile.
    judging: Option<u64>,
    /// Whether a [`Judging`] read was taken up: until then nothing of the
    /// repository is judged, nor its history read (by BASE's bot authors).
    judged: bool,
    /// What judging goes by changed again while a read was under way: one
    /// more is read once it is in (a read is never superseded by a poll,
    /// so that one finishes however often the repository changes).
    again: bool,
    /// This server wrote records and the read that holds them is not in
    /// yet: nothing of the repository is judged until it is (what is
    /// known would judge without them).
    wrote: bool,
}

/// What judging in a repository goes by, read again whenever HEAD, the
/// notes, the records, the policy or the identity change: the working
/// tree's policy, the records, the git identity, and the range the next
/// commit ends with BASE's policy and signers. Read off the state thread
/// ([`Repos::start_judging`]): on a fresh clone reading the records walks
/// the whole records branch, and a range far from the one kept walks its
/// commits (hundreds of milliseconds in the history bench, seconds in a
/// longer history), while every message waited for the state thread.
pub struct Judging {
    /// `None`: invalid (the last valid one stays; `messages` say why).
    policy: Option<Policy>,
    /// `None`: unreadable (the last read stays; `messages` say why).
    ledger: Option<Ledger>,
    identity: Option<identity::Identity>,
    scope: Option<crate::analysis::scope::Sendable>,
    scope_verifier: Option<crate::store::signature::ApprovalVerifier>,
    base_policy: Option<Policy>,
    messages: Vec<String>,
}

impl Judging {
    /// Read it from `repo` (whose working tree is `root`).
    fn read(repo: &Repository, root: &Path) -> Judging {
        let mut messages = Vec::new();
        let policy = match policy_file::load(repo, &policy_file::Source::Worktree) {
            Ok(policy) => Some(policy),
            Err(e) => {
                messages.push(format!("{e}; vouch keeps using the last valid policy"));
                None
            }
        };
        let ledger = match Ledger::load(repo) {
            Ok(ledger) => {
                for bad in &ledger.bad {
                    messages.push(format!("unreadable record {}: {}", bad.path, bad.reason));
                }
                Some(ledger)
            }
            Err(e) => {
                messages.push(format!("cannot read sign-off records in {}: {e}", root.display()));
                None
            }
        };
        let mut judging = Judging {
            policy,
            ledger,
            identity: identity::user(repo).ok(),
            scope: None,
            scope_verifier: None,
            base_policy: None,
            messages,
        };
        match Scope::open(repo, policy_file::Source::Worktree, None) {
            Ok(scope) => {
                match crate::analysis::judge::verifier(repo, &scope.policy, &scope.source, false) {
                    Ok(v) => judging.scope_verifier = Some(v),
                    Err(e) => judging.messages.push(format!("{e:#}; no signed approval counts until it is fixed")),
                }
                judging.base_policy = Some(scope.policy.clone());
                judging.scope = Some(scope.into_sendable());
            }
            Err(e) => {
                judging.messages.push(format!(
                    "cannot place the working tree in its range ({e:#}); no unit is judged until it is fixed"
                ));
                // What is shown still goes by BASE's policy, when it can be read.
                match crate::analysis::scope::AtBase::open(repo, policy_file::Source::Worktree, None) {
                    Ok(at) => judging.base_policy = Some(at.policy),
                    Err(e) => judging
                        .messages
                        .push(format!("cannot read the policy at BASE ({e:#}); vouch shows by its defaults")),
                }
            }
        }
        judging
    }

    /// A read that could not be made: everything stays as it was, but the
    /// identity, the range and BASE's policy, which are unknown.
    fn failed(why: String) -> Judging {
        Judging {
            policy: None,
            ledger: None,
            identity: None,
            scope: None,
            scope_verifier: None,
            base_policy: None,
            messages: vec![why],
        }
    }
}

/// What history's account of a file version depends on: the version,
/// HEAD, the notes' tips, and BASE's policy (its bot authors) as last read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct HistoryKey {
    path: String,
    blob: git2::Oid,
    head: Option<git2::Oid>,
    notes: [Option<git2::Oid>; 2],
    /// [`RepoContext::scopes_read`] when it was read.
    scope: u64,
}

/// How many file versions' history [`RepoContext::history`] keeps.
const HISTORY_KEPT: usize = 64;

/// History's account of a file version, kept or to be read.
pub enum History {
    Kept(crate::provenance::Spans),
    Read(Box<HistoryJob>),
}

/// The reading of history's account of one file version: `git blame` and
/// the notes, tens of milliseconds for a file with a long history, so the
/// language server runs it off its state thread. It holds what it needs.
pub struct HistoryJob {
    root: PathBuf,
    key: HistoryKey,
    file: FileVersion,
    /// Which paths history may hold AI text in: the job brings the index
    /// up to date first when no read has yet.
    ai_paths: AiIndex,
    bots: Vec<String>,
    /// Parse the text too, in this language, if it has AI text (the
    /// journal's, `ai_already`, or history's): its units will need the
    /// tree, and a large file's first parse takes tens of milliseconds.
    parse: Option<(Language, bool)>,
}

/// What a [`HistoryJob`] read, and the file version it read it for.
pub struct HistoryRead {
    pub root: PathBuf,
    key: HistoryKey,
    pub file: FileVersion,
    pub result: anyhow::Result<crate::provenance::Spans>,
    /// The syntax tree of the file version, when it was asked for.
    pub tree: Option<tree_sitter::Tree>,
    /// Why the index of which paths history may hold AI text in could not
    /// be built, when this job tried.
    index_failed: Option<String>,
}

/// The index of which paths history may hold AI text in, for one reading
/// of the range and policy, shared by the history reads that need it. The
/// first to need it brings `ai-paths.json` up to date (on a fresh clone of
/// a long history that walks every commit: hundreds of milliseconds, which
/// the state thread does not wait for); a read that needs it meanwhile
/// waits for that one, on its own worker.
#[derive(Clone, Default)]
struct AiIndex(std::sync::Arc<std::sync::OnceLock<Result<AiPaths, String>>>);

/// What an index that could not be built stands for: every path (it hides
/// nothing; every path is blamed).
static EVERYTHING: std::sync::LazyLock<AiPaths> = std::sync::LazyLock::new(AiPaths::everything);

impl AiIndex {
    /// The index, if a read has built it.
    fn get(&self) -> Option<&AiPaths> {
        self.0.get().map(|built| built.as_ref().unwrap_or(&EVERYTHING))
    }

    /// The index, built from `repo` for a policy listing `bots` if no read
    /// has yet (waiting for a read building it meanwhile); and why it could
    /// not be built, when this call tried and failed.
    fn get_or_build(&self, repo: &Repository, bots: &[String]) -> (&AiPaths, Option<String>) {
        let mut failed = None;
        let built = self.0.get_or_init(|| {
            AiPaths::load(repo, bots).map_err(|e| {
                let why = format!("{e:#}");
                failed = Some(why.clone());
                why
            })
        });
        (built.as_ref().unwrap_or(&EVERYTHING), failed)
    }
}

impl HistoryJob {
    /// Also parse the file version (in `language`) if it has AI text:
    /// `ai_already` when the journal gives it some.
    pub fn parse_too(&mut self, language: Language, ai_already: bool) {
        self.parse = Some((language, ai_already));
    }

    /// Read it, with a handle of its own on the repository.
    pub fn run(self: Box<Self>) -> HistoryRead {
        let mut index_failed = None;
        let result = Repository::open(&self.root)
            .with_context(|| format!("cannot open the repository at {}", self.root.display()))
            .and_then(|repo| {
                let (ai_paths, failed) = self.ai_paths.get_or_build(&repo, &self.bots);
                index_failed = failed;
                attribution::displayed_history(&repo, ai_paths, &self.bots, &self.file)
            });
        let has_ai = |spans: &crate::provenance::Spans| spans.iter().any(|(_, a)| a.is_ai());
        let tree = match (self.parse, self.file.content.text()) {
            (Some((language, ai_already)), Some(text)) if ai_already || result.as_ref().is_ok_and(has_ai) => {
                crate::syntax::SyntaxTree::parse_apart(language, text)
            }
            _ => None,
        };
        HistoryRead { root: self.root, key: self.key, file: self.file, result, tree, index_failed }
    }
}

/// What changed in one repository.
pub struct Changed {
    pub root: PathBuf,
    /// The journal has records it did not have.
    pub journal: bool,
    /// The policy or the records changed: every unit is judged again.
    pub judgement: bool,
}

/// Every repository the open documents belong to, by worktree root.
#[derive(Default)]
pub struct Repos {
    by_root: HashMap<PathBuf, RepoContext>,
    /// Problems to tell the user (a bad policy, unreadable records).
    messages: Vec<String>,
    /// Reviewers (by root, lowercase email) whose review budget this session
    /// already told the requester about.
    budget_told: std::collections::HashSet<(PathBuf, String)>,
    /// [`Judging`] reads done off the state thread, by root and number.
    judging: JudgingReads,
    /// Repositories whose judging was read again since the last
    /// [`Repos::take_judged`]: every unit there is to be judged again.
    rejudged: Vec<PathBuf>,
}

/// The channel [`Judging`] reads come back on, and their next number.
struct JudgingReads {
    tx: std::sync::mpsc::Sender<(PathBuf, u64, Judging)>,
    rx: std::sync::mpsc::Receiver<(PathBuf, u64, Judging)>,
    next: u64,
}

impl Default for JudgingReads {
    fn default() -> JudgingReads {
        let (tx, rx) = std::sync::mpsc::channel();
        JudgingReads { tx, rx, next: 0 }
    }
}

/// When `journal` last changed: a new record means a new line in a
/// segment (or a new segment), so the newest modification time among the
/// segments moves.
fn journal_time(journal: Option<&Journal>) -> Option<SystemTime> {
    journal
        .and_then(|j| std::fs::read_dir(j.dir()).ok())
        .and_then(|entries| entries.filter_map(|e| e.ok()?.metadata().ok()?.modified().ok()).max())
}

fn stamp(repo: &Repository, root: &Path, journal: Option<&Journal>) -> Stamp {
    let policy = std::fs::metadata(root.join(crate::policy::POLICY_FILE))
        .ok()
        .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
    let journal = journal_time(journal);
    Stamp {
        approvals: records::tip(repo, records::Kind::Approval).ok().flatten(),
        requests: records::tip(repo, records::Kind::Request).ok().flatten(),
        policy,
        journal,
        head: repo.head().ok().and_then(|h| h.target()),
        notes: [crate::store::notes::NOTES_REF, crate::store::history::GIT_AI_NOTES_REF]
            .iter()
            .map(|r| repo.refname_to_id(r).ok())
            .collect(),
        identity: identity::user(repo).ok().map(|i| i.email),
        sources: ["SQUASH_MSG", "CHERRY_PICK_HEAD"]
            .iter()
            .map(|f| {
                std::fs::metadata(repo.path().join(f))
                    .ok()
                    .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
            })
            .collect(),
    }
}

impl RepoContext {
    fn open(repo: Repository, root: PathBuf, messages: &mut Vec<String>) -> RepoContext {
        // A clone of a repository that uses vouch (its policy is there) but
        // where `vouch init` has not run: no hook notes its commits with the
        // AI text this editor records.
        if root.join(crate::policy::POLICY_FILE).is_file()
            && let Some(warning) = crate::store::setup::setup_warning(&repo)
        {
            messages.push(format!(
                "{}: {warning}: until then, commits made here carry none of the AI provenance this editor records \
                 (vouch init notes the commits made meanwhile)",
                root.display()
            ));
        }
        let journal = match Journal::open(&repo) {
            Ok(j) => Some(j),
            Err(e) => {
                messages.push(format!("cannot open the journal of {}: {e}", root.display()));
                None
            }
        };
        let mut ctx = RepoContext {
            stamp: stamp(&repo, &root, journal.as_ref()),
            identity: identity::user(&repo).ok(),
            repo,
            root,
            policy: Policy::default(),
            base_policy: None,
            ledger: Ledger::default(),
            journal,
            loaded: None,
            loaded_stale: false,
            loaded_at: None,
            scope: None,
            scope_verifier: None,
            ai_paths: AiIndex::default(),
            derived: HashMap::new(),
            seen: HashSet::new(),
            sizes: HashMap::new(),
            history: HashMap::new(),
            scopes_read: 0,
            history_reads: 0,
            judging: None,
            judged: false,
            again: false,
            wrote: false,
        };
        ctx.reload_journal(messages);
        ctx.seen = ctx.loaded.as_ref().map(|l| l.live().map(|r| r.id.clone()).collect()).unwrap_or_default();
        ctx
    }

    /// The journal as read, read again first when this server appended to
    /// it since.
    fn loaded(&mut self, messages: &mut Vec<String>) -> Option<&Loaded> {
        if self.loaded_stale {
            self.reload_journal(messages);
        }
        self.loaded.as_ref()
    }

    /// Read the journal again; what cannot be read is said, and the rest used.
    fn reload_journal(&mut self, messages: &mut Vec<String>) {
        self.loaded_stale = false;
        let Some(journal) = &self.journal else { return };
        // Taken first: what is appended while it is read moves it on.
        let at = journal_time(Some(journal));
        match journal.records() {
            Ok(loaded) => {
                for problem in &loaded.problems {
                    messages.push(problem.to_string());
                }
                self.loaded = Some(loaded);
                self.loaded_at = at;
            }
            Err(e) => messages.push(format!("cannot read the journal: {e}")),
        }
    }

    /// Take up what a [`Judging`] read found. An invalid policy keeps the
    /// last valid one, and records that cannot be read keep the last read
    /// (the read said so).
    fn apply(&mut self, judging: Judging, messages: &mut Vec<String>) {
        messages.extend(judging.messages);
        if let Some(policy) = judging.policy {
            self.policy = policy;
        }
        if let Some(ledger) = judging.ledger {
            self.ledger = ledger;
        }
        self.identity = judging.identity;
        self.scope = judging.scope.map(crate::analysis::scope::Sendable::into_scope);
        self.scope_verifier = judging.scope_verifier;
        self.base_policy = judging.base_policy;
        // What was read for the range and BASE's policy as they were: which
        // paths history may hold AI text in is indexed by the next history
        // read, off this thread (see `AiIndex`).
        self.ai_paths = AiIndex::default();
        self.derived.clear();
        self.history.clear();
        self.scopes_read += 1;
        self.judged = true;
    }

    /// The size of object `oid` (from its header, read once), or `None` when
    /// it cannot be read.
    fn blob_size(&mut self, oid: git2::Oid) -> Option<u64> {
        if let Some(&size) = self.sizes.get(&oid) {
            return Some(size);
        }
        let (size, _) = self.repo.odb().ok()?.read_header(oid).ok()?;
        let size = size as u64;
        self.sizes.insert(oid, size);
        Some(size)
    }

    /// The policy at BASE, or the defaults when it cannot be read (never
    /// the working tree's).
    fn base_policy(&self) -> &Policy {
        static DEFAULT: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
        self.base_policy.as_ref().unwrap_or_else(|| DEFAULT.get_or_init(Policy::default))
    }

    /// Read what the commits the next commit's text comes from claim of
    /// `rel` ([`crate::analysis::derived`]), once. What cannot be read is
    /// said, and the buffer judged without it.
    fn load_derived(&mut self, rel: &str, messages: &mut Vec<String>) {
        if self.derived.contains_key(rel) {
            return;
        }
        let paths: HashSet<String> = [rel.to_string()].into_iter().collect();
        let derived = match crate::analysis::derived::pending(&self.repo, self.base_policy().bots(), Some(&paths)) {
            Ok(derived) => derived,
            Err(e) => {
                messages
                    .push(format!("{rel}: {e:#}; the AI lines it takes from a squash, pick or reset are not shown"));
                None
            }
        };
        self.derived.insert(rel.to_string(), derived);
    }

    /// The units of `doc` (the buffer of `rel`) that verify will judge once
    /// it is committed, and the AI units it shows that landed before BASE,
    /// judged as the gate judges them; `None` when the range cannot be read.
    fn judge_buffer(
        &mut self,
        rel: &str,
        doc: &mut Document,
        messages: &mut Vec<String>,
    ) -> anyhow::Result<crate::analysis::buffer::Judged> {
        if self.scope.is_none() {
            anyhow::bail!("the range since BASE cannot be read");
        }
        // A pending squash, pick or re-commit: the AI lines its sources
        // carry are the next commit's evidence, as at the gate.
        self.load_derived(rel, messages);
        let derived = self.derived.get(rel).and_then(Option::as_ref);
        let Some(scope) = &self.scope else { anyhow::bail!("the range since BASE cannot be read") };
        let none = |_: &records::Stored<records::Approval>| None;
        let verified: signoff::Verified<'_> = match &self.scope_verifier {
            Some(v) => &**v,
            None => &none,
        };
        let judge = Judge { policy: &scope.policy, ledger: &self.ledger, verified, renamed: &HashMap::new() };
        // Who will commit the buffer is not known here (the gate knows,
        // and asks the same judge with them): as for `vouch approve` and
        // `vouch status`, the people of the range's commits, the AI text's
        // acceptors and the requesters are the participants.
        let deletions = self.journal_deletions(rel, doc, messages);
        crate::analysis::buffer::judge_buffer(&self.repo, scope, &judge, rel, doc, Vec::new(), derived, &deletions)
    }

    /// Where the journal says agents removed lines from `rel`, carried onto
    /// the buffer in the form git stores it (byte offsets of that form):
    /// read only when a record of the path holds a deletion.
    fn journal_deletions(&self, rel: &str, doc: &Document, messages: &mut Vec<String>) -> Vec<AiDeletion> {
        let (Some(journal), Some(loaded)) = (&self.journal, &self.loaded) else { return Vec::new() };
        if !loaded.records_for(rel).iter().any(|r| r.file().is_some_and(|f| !f.deletions.is_empty())) {
            return Vec::new();
        }
        let text = doc.text().as_str();
        let conversion = crate::store::attributes::conversion(&self.repo, rel, text.as_bytes());
        let blob = crate::eol::apply(conversion, text.as_bytes());
        let Ok(blob) = std::str::from_utf8(&blob) else { return Vec::new() };
        match journal.view(&self.repo, loaded, rel, blob) {
            Ok(view) => {
                messages.extend(view.problems.iter().map(|p| format!("{rel}: {p}")));
                view.deletions
            }
            Err(e) => {
                messages.push(format!("{rel}: {e}; what agents removed from it is not shown"));
                Vec::new()
            }
        }
    }

    fn verdict(&self, unit: JudgedUnit) -> Verdict {
        let judgement = &unit.judgement;
        let requirement = &judgement.requirement;
        let severity = match requirement.severity {
            crate::policy::Severity::Warning => Severity::Warning,
            crate::policy::Severity::Information => Severity::Information,
        };
        let reviewers = match &requirement.reviewers {
            ReviewerSet::Listed { names, .. } => names.clone(),
            ReviewerSet::Peers => vec!["any peer".into()],
            ReviewerSet::Unconfigured => Vec::new(),
        };
        let (mut state, mut note) = match &judgement.assessment.status {
            status @ Status::Approved { .. } => (UnitState::Approved, Some(status.to_string())),
            _ if unit.landed => (UnitState::Exempt, Some(unit.reason())),
            Status::NotRequired => (UnitState::Exempt, None),
            Status::Rejected { by, comment } => {
                let why = comment.as_deref().map_or(String::new(), |c| format!(": {c}"));
                (UnitState::Rejected, Some(format!("rejected by {by}{why}")))
            }
            Status::Requested { have, need, .. } => {
                let who = judgement.participants.requesters.join(", ");
                (UnitState::Requested, Some(format!("requested by {who}; {have} of {need} approvals")))
            }
            Status::Pending { .. } => (UnitState::Pending, None),
        };
        if unit.facts.suspected && unit.lacks_signoff() {
            state = UnitState::Suspected;
        }
        // Who may approve: the identity the gate and `vouch status` ask
        // about, with everyone who took part (this buffer's author among
        // them, when the uncommitted change touches the unit).
        let mine = self.identity.as_ref().map(|me| unit.may_approve(&me.email));
        let may_approve = requirement.needs_signoff && !unit.landed && matches!(mine, Some(Ok(())));
        if unit.lacks_signoff()
            && let Some(Err(refusal)) = &mine
        {
            let why = format!("you may not sign it off: {refusal}");
            note = Some(match note {
                Some(n) => format!("{n}; {why}"),
                None => why,
            });
        }
        Verdict { state, severity, reviewers, may_approve, note, judged: Some(unit) }
    }
}

impl Repos {
    /// The worktree holding `path` and the path inside it (forward slashes).
    /// A document that leads out of its worktree through a symbolic link,
    /// or into the git directory, belongs to none: it is not tracked, and
    /// nothing of it is recorded (the user is told why).
    pub fn locate(&mut self, path: &Path) -> Option<(PathBuf, String)> {
        use crate::store::repo::{self, RepoError};
        let repo = repo::discover(path).ok()?;
        let root = repo.workdir()?.canonicalize().ok()?;
        let rel = match repo::relative_path(&repo, path) {
            Ok(rel) => rel,
            Err(e @ (RepoError::LinkOutside { .. } | RepoError::InGitDir { .. } | RepoError::NulByte { .. })) => {
                self.messages.push(format!("{e}; not tracked, nothing of it is recorded"));
                return None;
            }
            Err(_) => return None,
        };
        if !self.by_root.contains_key(&root) {
            let ctx = RepoContext::open(repo, root.clone(), &mut self.messages);
            self.by_root.insert(root.clone(), ctx);
            self.start_judging(&root);
        }
        Some((root, rel))
    }

    /// The worktree holding the folder `dir` (a workspace folder), loaded
    /// as for a document in it.
    pub fn locate_folder(&mut self, dir: &Path) -> Option<PathBuf> {
        let repo = crate::store::repo::discover(dir).ok()?;
        let root = repo.workdir()?.canonicalize().ok()?;
        if !self.by_root.contains_key(&root) {
            let ctx = RepoContext::open(repo, root.clone(), &mut self.messages);
            self.by_root.insert(root.clone(), ctx);
            self.start_judging(&root);
        }
        Some(root)
    }

    /// What vouch knows of `rel`'s current text from history and the store
    /// (see [`attribution::display_spans`]: the same account blame gives),
    /// history read here if it is not kept.
    pub fn load_spans(
        &mut self,
        root: &Path,
        rel: &str,
        text: &str,
    ) -> anyhow::Result<Vec<(Range<usize>, Attribution)>> {
        let Some((file, view)) = self.view(root, rel, text)? else { return Ok(Vec::new()) };
        let history = match self.history(root, &file) {
            History::Kept(history) => history,
            History::Read(job) => {
                let read = job.run();
                self.keep_history(&read);
                read.result?
            }
        };
        Ok(signoff::overlay(text.len(), &history, &view))
    }

    /// The journal's account of `rel`'s `text` (the spans it attributes),
    /// with the file version it is of; `None` outside a known repository.
    pub fn view(
        &mut self,
        root: &Path,
        rel: &str,
        text: &str,
    ) -> anyhow::Result<Option<(FileVersion, crate::provenance::Spans)>> {
        self.view_before_own(root, rel, text, None)
    }

    /// The journal's account of `rel`'s `text` where its records' text is
    /// found unchanged ([`Journal::view_unchanged`]): what a document the
    /// editor saw edited takes up of it. Text typed inside an agent's lines
    /// is the editor's to say; a record's guess would make it the agent's.
    pub fn view_unchanged(&mut self, root: &Path, rel: &str, text: &str) -> anyhow::Result<crate::provenance::Spans> {
        let Some(ctx) = self.by_root.get_mut(root) else { return Ok(Vec::new()) };
        ctx.loaded(&mut self.messages);
        let (Some(journal), Some(loaded)) = (&ctx.journal, &ctx.loaded) else { return Ok(Vec::new()) };
        let view = journal.view_unchanged(&ctx.repo, loaded, rel, text)?;
        self.messages.extend(view.problems.iter().map(|p| format!("{rel}: {p}")));
        Ok(view.spans)
    }

    /// [`Repos::view`], leaving out the records this server wrote at or
    /// after `own_since`: for a text it held before them, which they
    /// describe a later state of (a document whose edits since are its own
    /// account already). Carried backwards, a record's range could land on
    /// an equal line beside it.
    pub fn view_before_own(
        &mut self,
        root: &Path,
        rel: &str,
        text: &str,
        own_since: Option<time::OffsetDateTime>,
    ) -> anyhow::Result<Option<(FileVersion, crate::provenance::Spans)>> {
        let Some(ctx) = self.by_root.get_mut(root) else { return Ok(None) };
        ctx.loaded(&mut self.messages);
        let blob = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())?;
        let file = FileVersion {
            path: rel.to_string(),
            history_path: rel.to_string(),
            blob,
            content: crate::syntax::Content::Text(text.to_string()),
        };
        let view = match (&ctx.journal, &ctx.loaded) {
            (Some(journal), Some(loaded)) => {
                let before_own =
                    own_since.map(|since| loaded.without(|r| r.writer == journal.writer() && r.time >= since));
                let loaded = before_own.as_ref().unwrap_or(loaded);
                let views = Views { journal, loaded, strict: false, cache: None };
                views.view_moved_in(&ctx.repo, root, &file)?
            }
            _ => attribution::View::default(),
        };
        self.messages.extend(view.problems.iter().map(|p| format!("{rel}: {p}")));
        Ok(Some((file, view.spans)))
    }

    /// History's account of `file` ([`attribution::displayed_history`]):
    /// kept from an earlier read, or the job of reading it, which may run
    /// on another thread ([`HistoryJob::run`]; [`Repos::keep_history`]
    /// keeps what it read).
    pub fn history(&self, root: &Path, file: &FileVersion) -> History {
        let Some(ctx) = self.by_root.get(root) else { return History::Kept(Vec::new()) };
        // What history cannot speak of is not read at all: a submodule, and
        // a path no AI commit, note or bot ever touched (most files of a
        // repository), which `displayed_history` would answer with nothing.
        let silent = matches!(file.content, crate::syntax::Content::Submodule(_))
            || ctx.ai_paths.get().is_some_and(|paths| !paths.may_have_ai(&file.history_path));
        if silent {
            return History::Kept(Vec::new());
        }
        let key = HistoryKey {
            path: file.path.clone(),
            blob: file.blob,
            head: ctx.repo.head().ok().and_then(|h| h.target()),
            notes: [crate::store::notes::NOTES_REF, crate::store::history::GIT_AI_NOTES_REF]
                .map(|r| ctx.repo.refname_to_id(r).ok()),
            scope: ctx.scopes_read,
        };
        if let Some(kept) = ctx.history.get(&key) {
            return History::Kept(kept.clone());
        }
        History::Read(Box::new(HistoryJob {
            root: root.to_path_buf(),
            key,
            file: file.clone(),
            ai_paths: ctx.ai_paths.clone(),
            // Bot authors as BASE's policy lists them, as verify reads them.
            bots: ctx.base_policy().bots().to_vec(),
            parse: None,
        }))
    }

    /// Keep what a [`HistoryJob`] read, when it read it.
    pub fn keep_history(&mut self, read: &HistoryRead) {
        let Some(ctx) = self.by_root.get_mut(&read.root) else { return };
        ctx.history_reads += 1;
        // Said by the one read that tried; every path is blamed until the
        // range is read again.
        if let Some(why) = &read.index_failed {
            self.messages.push(format!("cannot index which files history holds AI text in: {why}"));
        }
        let Ok(history) = &read.result else { return };
        if read.key.scope != ctx.scopes_read {
            return;
        }
        if ctx.history.len() >= HISTORY_KEPT {
            ctx.history.clear();
        }
        ctx.history.insert(read.key.clone(), history.clone());
    }

    /// How many times history was read ([`Repos::keep_history`]), in every
    /// repository.
    pub fn history_reads(&self) -> u64 {
        self.by_root.values().map(|ctx| ctx.history_reads).sum()
    }

    /// Spans that records added since the last poll give `rel`'s text.
    ///
    /// Each new record is carried from the file version it describes onto
    /// `text`, and only its attributed ranges apply: what this server knows
    /// beyond them (typing since the last save) stays.
    pub fn new_spans(
        &mut self,
        root: &Path,
        rel: &str,
        text: &str,
    ) -> anyhow::Result<Vec<(Range<usize>, Attribution)>> {
        let Some(ctx) = self.by_root.get(root) else { return Ok(Vec::new()) };
        let Some(loaded) = &ctx.loaded else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for record in loaded.records_for(rel).into_iter().filter(|r| !ctx.seen.contains(&r.id)) {
            let Some(file) = record.file() else { continue };
            let blob = git2::Oid::from_str(&file.blob).and_then(|oid| ctx.repo.find_blob(oid))?;
            let Ok(old) = std::str::from_utf8(blob.content()) else { continue };
            // Each span onto the text the document holds unchanged only,
            // and only when most of it is there: a record's range carried
            // by guesswork, or a scrap of it (a `}` the diff happened to
            // keep), onto other text would give a person's characters the
            // agent's origin (rt26b F3). The document holds the rest once
            // it takes the text in (a reload is a known version). One diff,
            // bounded as the state thread's carries are, for all the
            // record's spans: the stretches of `old` it leaves unchanged,
            // each with where it starts in `text`.
            let mut unchanged: Vec<(Range<usize>, usize)> = Vec::new();
            let (mut o, mut n) = (0, 0);
            let deadline = std::time::Instant::now() + super::state::CARRY_DIFF;
            for hunk in crate::provenance::diff_until(old, text, deadline) {
                if hunk.old.start > o {
                    unchanged.push((o..hunk.old.start, n));
                }
                (o, n) = (hunk.old.end, hunk.new.end);
            }
            if o < old.len() {
                unchanged.push((o..old.len(), n));
            }
            let solid = |s: &str| s.bytes().filter(|b| !b.is_ascii_whitespace()).count();
            for (range, attr) in file.ranges().filter(|(_, a)| a.origin != crate::provenance::Origin::Unknown) {
                let Some(within) = old.get(range.clone()) else { continue };
                let first = unchanged.partition_point(|(g, _)| g.end <= range.start);
                let kept: Vec<Range<usize>> = unchanged[first..]
                    .iter()
                    .take_while(|(g, _)| g.start < range.end)
                    .map(|(g, at)| {
                        let (start, end) = (range.start.max(g.start), range.end.min(g.end));
                        at + (start - g.start)..at + (end - g.start)
                    })
                    .collect();
                let kept_bytes: usize = kept.iter().map(|r| text.get(r.clone()).map_or(0, solid)).sum();
                if 2 * kept_bytes > solid(within) {
                    out.extend(kept.into_iter().map(|r| (r, attr.clone())));
                }
            }
        }
        Ok(out)
    }

    pub fn thresholds(&self, root: Option<&PathBuf>) -> Thresholds {
        let policy = root.and_then(|r| self.by_root.get(r)).map(|c| c.base_policy());
        let detection = policy.map(|p| p.detection().clone()).unwrap_or_else(|| Policy::default().detection().clone());
        Thresholds { min_chars: detection.min_chars as usize, min_lines: detection.min_lines as usize }
    }

    /// Whether `text` is the file as HEAD, the index, the disk or a journal
    /// record has it: a branch switch, a revert or a reload, never new text.
    ///
    /// Asked on the edit path (after a large insertion or a whole-text
    /// change), so it hashes the text only when it could match: a version
    /// has the text's length, or the length of one cannot be read. Each
    /// version's length is an object header (read once per object) or a
    /// `stat`; hashing a 10,000-line buffer takes a millisecond.
    pub fn is_known_version(&mut self, repo: Option<&(PathBuf, String)>, text: &str) -> bool {
        let Some((root, rel)) = repo else { return false };
        let Some(ctx) = self.by_root.get_mut(root) else { return false };
        ctx.loaded(&mut self.messages);
        let len = text.len() as u64;
        let path = Path::new(rel);
        let in_head =
            ctx.repo.head().and_then(|h| h.peel_to_tree()).and_then(|t| t.get_path(path)).ok().map(|e| e.id());
        let in_index =
            crate::store::repo::current_index(&ctx.repo).ok().and_then(|i| i.get_path(path, 0)).map(|e| e.id);
        // The file versions journal records describe, by the blob id they
        // name (spelled as git spells an id, or it can equal no hash).
        let recorded = ctx.loaded.as_ref().map(|l| l.records_for(rel)).unwrap_or_default();
        let recorded = recorded
            .iter()
            .filter_map(|r| r.file())
            .filter(|f| f.blob.len() == 40 && f.blob.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .filter_map(|f| git2::Oid::from_str(&f.blob).ok());
        let mut candidates: Vec<git2::Oid> = in_head.into_iter().chain(in_index).chain(recorded).collect();
        candidates.retain(|&oid| ctx.blob_size(oid).is_none_or(|size| size == len));
        if !candidates.is_empty()
            && let Ok(oid) = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())
            && candidates.contains(&oid)
        {
            return true;
        }
        let file = root.join(rel);
        std::fs::metadata(&file).is_ok_and(|m| m.len() == len)
            && std::fs::read(&file).is_ok_and(|bytes| bytes == text.as_bytes())
    }

    /// The git identity now: read when an action needs it, so a changed
    /// `user.email` counts without a restart.
    pub fn identity(&self, root: Option<&PathBuf>) -> Option<String> {
        identity::user(&self.by_root.get(root?)?.repo).ok().map(|i| i.email)
    }

    /// Whether the policy wants a rationale with a request for `facts`:
    /// the requirement the judge found (`judged`: BASE's policy, a trust
    /// file's), else BASE's policy, else the worktree's.
    pub fn rationale_required(&self, root: &Path, rel: &str, facts: &UnitFacts, judged: Option<&JudgedUnit>) -> bool {
        let Some(ctx) = self.by_root.get(root) else { return false };
        let checked = match judged {
            Some(j) => signoff::check_request_with(&j.judgement.requirement, rel, facts, None),
            None => signoff::check_request(ctx.base_policy(), rel, facts, None),
        };
        checked.is_err_and(|e| matches!(e, signoff::SignoffError::RationaleRequired { .. }))
    }

    /// Write what vouch knows of `doc` to the journal: the attribution of
    /// `range` (after an AI edit or a mark) as a delta, or the whole file's
    /// as a snapshot.
    pub fn record(
        &mut self,
        root: &Path,
        rel: &str,
        doc: &Document,
        range: Option<Range<usize>>,
        rationale: Option<&str>,
    ) -> anyhow::Result<()> {
        let Some(ctx) = self.by_root.get_mut(root) else { return Ok(()) };
        let Some(journal) = &ctx.journal else { return Ok(()) };
        let map = doc.provenance();
        let attributed = |r: Range<usize>| -> Vec<(Range<usize>, Attribution)> {
            map.spans_in(r)
                .map(|s| (s.range, map.attribution(s.attr).clone()))
                .filter(|(_, a)| a.origin != crate::provenance::Origin::Unknown)
                .collect()
        };
        let text = doc.text().as_str();
        let entry = match range {
            Some(r) => {
                let spans = attributed(r);
                let mut e = Entry::delta(rel, text, &[]);
                e.rationale = rationale;
                e.accepted_at = Some(time::OffsetDateTime::now_utc());
                let id = journal.append(&ctx.repo, Entry { spans: &spans, ..e })?;
                ctx.seen.insert(id);
                ctx.loaded_stale = true;
                return Ok(());
            }
            None => attributed(0..text.len()),
        };
        // A snapshot only when there is something to say: attributed text,
        // or earlier records of this file that it supersedes.
        let has_records = ctx.loaded(&mut self.messages).is_some_and(|l| !l.records_for(rel).is_empty());
        if entry.is_empty() && !has_records {
            return Ok(());
        }
        let Some(journal) = &ctx.journal else { return Ok(()) };
        let id = journal.append(&ctx.repo, Entry::snapshot(rel, text, &entry))?;
        ctx.seen.insert(id);
        ctx.loaded_stale = true;
        // A snapshot is written on save, close or idle, never per keystroke:
        // the time to tidy up after agent hooks' many segments.
        if let Err(e) = journal.compact_if_crowded(&ctx.repo) {
            anyhow::bail!("recorded, but cannot compact the journal: {e}");
        }
        Ok(())
    }

    /// After a buffer of `rel` was closed with text the disk does not have
    /// (its changes discarded): a snapshot of the disk's version, as the
    /// journal accounts for it, so that what the buffer held (an AI
    /// completion never saved) is not carried onto what is written there
    /// later. `text`: the disk's version.
    pub fn record_disk(&mut self, root: &Path, rel: &str, text: &str) -> anyhow::Result<()> {
        let Some((_, spans)) = self.view(root, rel, text)? else { return Ok(()) };
        let Some(ctx) = self.by_root.get_mut(root) else { return Ok(()) };
        let Some(journal) = &ctx.journal else { return Ok(()) };
        let spans: Vec<(Range<usize>, Attribution)> =
            spans.into_iter().filter(|(_, a)| a.origin != crate::provenance::Origin::Unknown).collect();
        let id = journal.append(&ctx.repo, Entry::snapshot(rel, text, &spans))?;
        ctx.seen.insert(id);
        ctx.loaded_stale = true;
        Ok(())
    }

    /// What changed in each repository since the last poll.
    pub fn poll(&mut self) -> Vec<Changed> {
        let mut changed = Vec::new();
        for (root, ctx) in &mut self.by_root {
            let now = stamp(&ctx.repo, root, ctx.journal.as_ref());
            if now == ctx.stamp {
                continue;
            }
            let journal = now.journal != ctx.stamp.journal;
            let judgement = Stamp { journal: None, ..now.clone() } != Stamp { journal: None, ..ctx.stamp.clone() };
            ctx.stamp = now;
            // Unless read since (after this server's own record).
            if journal && ctx.loaded_at != ctx.stamp.journal {
                ctx.reload_journal(&mut self.messages);
            }
            changed.push(Changed { root: root.clone(), journal, judgement });
        }
        // Judged by what was read last until the new read is in
        // ([`Repos::take_judged`]).
        for change in changed.iter().filter(|c| c.judgement) {
            self.start_judging(&change.root);
        }
        changed
    }

    /// Read what judging in `root` goes by ([`Judging`]) on a thread of its
    /// own; it is taken up by [`Repos::take_judged`] or
    /// [`Repos::wait_judged`]. With a read under way, one more is read once
    /// it is in.
    fn start_judging(&mut self, root: &Path) {
        let Some(ctx) = self.by_root.get_mut(root) else { return };
        if ctx.judging.is_some() {
            ctx.again = true;
            return;
        }
        let id = self.judging.next;
        self.judging.next += 1;
        ctx.judging = Some(id);
        let tx = self.judging.tx.clone();
        let (theirs, ours) = (root.to_path_buf(), root.to_path_buf());
        let spawned = std::thread::Builder::new().name("vouch-judging".into()).spawn(move || {
            let read = std::panic::catch_unwind(|| match Repository::open(&theirs) {
                Ok(repo) => Judging::read(&repo, &theirs),
                Err(e) => {
                    Judging::failed(format!("cannot open the repository at {}: {}", theirs.display(), e.message()))
                }
            });
            let judging = read.unwrap_or_else(|_| {
                Judging::failed(format!("internal error while reading the records and range of {}", theirs.display()))
            });
            let _ = tx.send((theirs, id, judging));
        });
        if spawned.is_err() {
            // No thread: read here.
            let judging = Judging::read(&ctx.repo, &ours);
            let _ = self.judging.tx.send((ours, id, judging));
        }
    }

    /// After this server added records in `root`: read them off this
    /// thread, in place of a read under way (which began before them), and
    /// take the new state as seen so the next poll does not ask for another
    /// read. Until the read is in, the repository's documents wait for it
    /// ([`Repos::judges_without_own_records`]), and commands wait for it as
    /// for any read. Reading the records once cost a few milliseconds, and
    /// every 512 records a rewrite of their cache (0.6 s at 100,000), on
    /// the thread that answers every message.
    fn wrote_records(&mut self, root: &Path) {
        let Some(ctx) = self.by_root.get_mut(root) else { return };
        ctx.judging = None;
        ctx.again = false;
        ctx.wrote = true;
        ctx.stamp = stamp(&ctx.repo, &ctx.root, ctx.journal.as_ref());
        self.start_judging(root);
    }

    /// Whether judging in `root` would go without records this server
    /// wrote: the read that holds them is not in yet.
    pub fn judges_without_own_records(&self, root: &Path) -> bool {
        self.by_root.get(root).is_some_and(|ctx| ctx.wrote)
    }

    /// Take up one read that came in, if it is the one its repository
    /// waits for.
    fn judged(&mut self, (root, id, judging): (PathBuf, u64, Judging)) {
        let Some(ctx) = self.by_root.get_mut(&root) else { return };
        if ctx.judging != Some(id) {
            return;
        }
        ctx.judging = None;
        ctx.wrote = false;
        ctx.apply(judging, &mut self.messages);
        let again = std::mem::take(&mut ctx.again);
        if again {
            self.start_judging(&root);
        }
        if !self.rejudged.contains(&root) {
            self.rejudged.push(root);
        }
    }

    /// Take up the [`Judging`] reads that came in; the repositories whose
    /// judging was read again (here, or by [`Repos::wait_judged`]) since the
    /// last call: every unit there is to be judged again.
    pub fn take_judged(&mut self) -> Vec<PathBuf> {
        while let Ok(read) = self.judging.rx.try_recv() {
            self.judged(read);
        }
        std::mem::take(&mut self.rejudged)
    }

    /// Wait until the judging read under way in `root` (in every
    /// repository, with `None`) is in, until `deadline`; whether it is. A
    /// read that is late is still taken up when it comes, but what is known
    /// is used meanwhile, records this server wrote or not (else every
    /// later question would wait for it again).
    pub fn wait_judged(&mut self, root: Option<&Path>, deadline: std::time::Instant) -> bool {
        let under_way: Vec<(PathBuf, u64)> = self
            .by_root
            .iter()
            .filter(|(r, _)| root.is_none_or(|root| root == *r))
            .filter_map(|(r, ctx)| Some((r.clone(), ctx.judging?)))
            .collect();
        let waiting = |repos: &Repos| {
            under_way.iter().any(|(r, id)| repos.by_root.get(r).is_some_and(|ctx| ctx.judging == Some(*id)))
        };
        while waiting(self) {
            let wait = deadline.saturating_duration_since(std::time::Instant::now());
            match self.judging.rx.recv_timeout(wait) {
                Ok(read) => self.judged(read),
                Err(_) => {
                    for (r, _) in &under_way {
                        if let Some(ctx) = self.by_root.get_mut(r) {
                            ctx.wrote = false;
                        }
                    }
                    return false;
                }
            }
        }
        true
    }

    /// Whether a [`Judging`] read is under way in any repository.
    pub fn any_judging(&self) -> bool {
        self.by_root.values().any(|ctx| ctx.judging.is_some())
    }

    /// Whether what judging in `root` goes by is being read.
    pub fn is_judging(&self, root: &Path) -> bool {
        self.by_root.get(root).is_some_and(|ctx| ctx.judging.is_some())
    }

    /// Whether what judging in `root` goes by was read at least once.
    pub fn has_judged(&self, root: &Path) -> bool {
        self.by_root.get(root).is_some_and(|ctx| ctx.judged)
    }

    /// Whether what judging in `root` goes by is read, and no read is
    /// under way: a document opened meanwhile waits for it (as it would
    /// for a read made at once), neither judged nor given history's
    /// account before.
    pub fn is_ready(&self, root: &Path) -> bool {
        self.by_root.get(root).is_some_and(|ctx| ctx.judged && ctx.judging.is_none())
    }

    /// Mark every live journal record of `root` as applied.
    pub fn mark_seen(&mut self, root: &Path) {
        if let Some(ctx) = self.by_root.get_mut(root)
            && let Some(loaded) = &ctx.loaded
        {
            ctx.seen.extend(loaded.live().map(|r| r.id.clone()));
        }
    }

    pub fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }

    /// The units of `doc` and where each stands: those verify will ask
    /// about once the buffer is committed, judged as the gate and `vouch
    /// status` judge them, and the AI units it shows that landed before
    /// BASE. Outside any repository (or when the range cannot be read)
    /// every AI unit is shown, and no sign-off applies. Then the lines
    /// verify counts as AI that the document's provenance does not show
    /// (see [`crate::analysis::buffer::Judged::unshown`]).
    pub fn judge_units(&mut self, repo: Option<&(PathBuf, String)>, doc: &mut Document) -> JudgedUnits {
        if let Some((root, rel)) = repo
            && let Some(ctx) = self.by_root.get_mut(root)
        {
            match ctx.judge_buffer(rel, doc, &mut self.messages) {
                Ok(judged) => {
                    let units = judged.units.into_iter().map(|u| (u.facts.clone(), ctx.verdict(u))).collect();
                    return (units, judged.unshown);
                }
                Err(e) => self.messages.push(format!("{rel}: cannot judge its units: {e:#}")),
            }
        }
        // Outside any repository: tracked and shown, but no sign-off applies.
        let units = signoff::unit_facts(doc)
            .into_iter()
            .map(|facts| {
                let verdict = Verdict {
                    state: if facts.suspected { UnitState::Suspected } else { UnitState::Exempt },
                    severity: Severity::Information,
                    reviewers: Vec::new(),
                    may_approve: false,
                    note: None,
                    judged: None,
                };
                (facts, verdict)
            })
            .collect();
        (units, Vec::new())
    }

    /// Lines for the hover (Markdown): the rationale and the decisions on
    /// this text, and those made for the unit under a fingerprint version
    /// that no longer counts, every value escaped.
    pub fn history_of(
        &self,
        root: &Path,
        rel: &str,
        unit: &crate::syntax::Unit,
        judged: Option<&JudgedUnit>,
    ) -> Vec<String> {
        let Some(ctx) = self.by_root.get(root) else { return Vec::new() };
        let fingerprint = unit.fingerprint.as_str();
        let mut lines = Vec::new();
        // When the AI text was accepted: the latest journal record of the
        // file that says so (committed text carries its commit instead).
        let accepted = ctx
            .loaded
            .as_ref()
            .and_then(|l| l.records_for(rel).into_iter().rev().find_map(|r| r.file().and_then(|f| f.accepted_at)));
        if let Some(at) = accepted
            && let Ok(at) = at.format(&time::format_description::well_known::Rfc3339)
        {
            lines.push(format!("accepted at: {at}"));
        }
        if let Some((rationale, from)) = ctx.ledger.rationale_with_source(fingerprint) {
            // Whose words they are, when not the requester's own.
            let from = from.map_or(String::new(), |f| format!(" _({})_", f.describe()));
            lines.push(format!("rationale: {}{from}", markdown(rationale)));
        }
        for a in ctx.ledger.approvals.for_fingerprint(fingerprint) {
            let verb = match a.record.decision {
                Decision::Approve => "approved",
                Decision::Reject => "rejected",
            };
            let comment = a.record.comment.as_deref().map_or(String::new(), |c| format!(": {}", markdown(c)));
            let (who, at) = (markdown(&a.record.reviewer.email), markdown(&a.record.created));
            // Every decision on this text, and whether it counts (the
            // judge's word, as status and blame give it).
            let counted = match judged.map(|j| j.standing_of(a)) {
                Some(Err(why)) => format!(" (does not count: {})", markdown(&why)),
                _ => String::new(),
            };
            lines.push(format!("{verb} by {who} on {at}{comment}{counted}"));
        }
        let retired =
            ctx.ledger.approvals.retired_for_unit(&ctx.ledger.requests, rel, &unit.kind, unit.name.as_deref());
        for a in retired {
            lines.push(format!("not counted: {}", markdown(&records::describe_not_counted(a))));
        }
        lines
    }

    /// Request sign-off for `units` of `rel` as the current identity.
    pub fn request(
        &mut self,
        root: &Path,
        rel: &str,
        language: Language,
        doc: &Document,
        units: &[&JudgedUnit],
        rationale: Option<&str>,
    ) -> anyhow::Result<String> {
        let ctx = self
            .by_root
            .get_mut(root)
            .ok_or_else(|| anyhow::anyhow!("{} is not a known repository", root.display()))?;
        let me = identity::user(&ctx.repo)?;
        let repository = ctx.ledger.repository_id.clone().ok_or(signoff::SignoffError::NoCommits)?;
        // The request carries each unit as git will store it, matching its
        // fingerprint (see `blob_fingerprints`).
        let conversion = crate::store::attributes::conversion(&ctx.repo, rel, doc.text().as_str().as_bytes());
        let spans = doc.provenance().to_vec();
        let mut wanted = Vec::new();
        let mut intents = Vec::new();
        for judged in units {
            let facts = &judged.facts;
            signoff::check_request_with(&judged.judgement.requirement, rel, facts, rationale)?;
            let name = crate::syntax::unit_language(language, &facts.unit);
            let mut unit = signoff::requested_unit(rel, name, facts, doc.text().as_str().as_bytes());
            let bytes = crate::eol::apply(conversion, unit.text.as_bytes()).into_owned();
            unit.text = records::UnitText::from_bytes(bytes);
            unit.intents = crate::intent::of_range(&spans, facts.unit.range.clone());
            intents.extend(unit.intents.iter().cloned());
            wanted.push(unit);
        }
        let mut request = records::Request::new(&repository, me.into(), wanted);
        request.rationale = rationale.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        // The client offered the draft (`rationaleDraft`) and the requester
        // sent it back unchanged: say where those words came from.
        if request.rationale.is_some() && request.rationale == crate::intent::draft_rationale(&intents) {
            request.rationale_from = Some(records::RationaleFrom::Intent);
        }
        let id = records::add(&ctx.repo, &request)?;
        self.wrote_records(root);
        Ok(format!("requested sign-off for {} unit(s) (request {})", units.len(), &id[..12]))
    }

    /// The reviewers of `units` of `rel`, as BASE's policy names them,
    /// when that policy sets a review budget and names any (`None`
    /// otherwise): after a request for the units, the requester is told of
    /// those the queue then puts over the budget ([`Repos::budget_notices`]).
    pub fn budget_reviewers(&self, root: &Path, rel: &str, units: &[UnitFacts]) -> Option<Vec<String>> {
        // The queue as `vouch review` judges it: BASE's policy.
        let policy = &self.by_root.get(root)?.scope.as_ref()?.policy;
        policy.budget().ai_lines_per_reviewer?;
        let mut reviewers = Vec::new();
        for facts in units {
            if let ReviewerSet::Listed { emails, .. } =
                policy.requirement(rel, &facts.unit.risk, facts.unit.ai_lines).reviewers
            {
                reviewers.extend(emails);
            }
        }
        (!reviewers.is_empty()).then_some(reviewers)
    }

    /// For `reviewers` of a request in `root`: a notice for each whom
    /// `queue` (read after the request, off the state thread: reading it
    /// means reading every request) puts over the review budget, once per
    /// reviewer per session. The numbers are [`crate::queue`]'s, as
    /// `vouch review` and `vouch/pending` count them.
    pub fn budget_notices(&mut self, root: &Path, queue: &RepoQueue, reviewers: &[String]) -> Vec<String> {
        crate::queue::over_budget(&queue.loads, &queue.budget, reviewers)
            .into_iter()
            .filter(|n| self.budget_told.insert((root.to_path_buf(), n.reviewer.to_ascii_lowercase())))
            .map(|n| n.to_string())
            .collect()
    }

    /// Approve or reject `units` of `rel` as the current identity.
    pub fn decide(
        &mut self,
        root: &Path,
        rel: &str,
        units: &[&JudgedUnit],
        approve: bool,
        comment: Option<&str>,
    ) -> anyhow::Result<String> {
        let ctx = self
            .by_root
            .get_mut(root)
            .ok_or_else(|| anyhow::anyhow!("{} is not a known repository", root.display()))?;
        let me = identity::user(&ctx.repo)?;
        let verdict = if approve { Decision::Approve } else { Decision::Reject };
        if !approve && comment.is_none_or(|c| c.trim().is_empty()) {
            anyhow::bail!("a rejection needs a comment saying what to change");
        }
        // Check every unit before writing anything: all or nothing.
        // The judgement the editor showed (who took part, BASE's policy),
        // as the gate and `vouch status` make it.
        let approvals: Vec<records::Approval> = units
            .iter()
            .map(|u| {
                signoff::decide_judged(&ctx.ledger, rel, &u.facts, &u.judgement, me.clone().into(), verdict, comment)
            })
            .collect::<Result<_, _>>()?;
        let mut approvals = approvals;
        let policy = ctx.base_policy();
        for approval in &mut approvals {
            crate::store::signature::sign_approval(&ctx.repo, policy, approval)?;
        }
        let mut ids = Vec::with_capacity(approvals.len());
        for approval in &approvals {
            ids.push(records::add(&ctx.repo, approval)?);
        }
        // As `vouch approve` and `vouch review` warn: a signature that will
        // not verify where verify checks it.
        let written: Vec<(&str, &records::Approval)> = ids.iter().map(String::as_str).zip(&approvals).collect();
        let warnings = crate::analysis::decision::unverifiable(&ctx.repo, ctx.base_policy(), &written);
        self.wrote_records(root);
        let verb = if approve { "approved" } else { "rejected" };
        let mut said = format!("{verb} {} unit(s) as {}", approvals.len(), me.email);
        for warning in warnings {
            said.push_str(&format!("; warning: {warning}"));
        }
        Ok(said)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::{git, git_repo};

    fn write(root: &Path, path: &str, text: &str) {
        std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
        std::fs::write(root.join(path), text).unwrap();
    }

    #[test]
    fn which_paths_history_may_hold_ai_in_is_indexed_by_a_history_read_not_by_the_caller() {
        let dir = git_repo();
        let root = dir.path();
        write(root, "plain.rs", "fn plain() {}\n");
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "a person's"]);
        write(root, "ai.rs", "fn ai() {}\n");
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "Claude's\n\nCo-authored-by: Claude <noreply@anthropic.com>"]);
        let index = root.join(".git/vouch/cache/ai-paths.json");

        let mut repos = Repos::default();
        let (root, rel) = repos.locate(&root.join("ai.rs")).unwrap();
        assert!(!index.exists(), "opening the repository does not index its history");
        let (file, _) = repos.view(&root, &rel, "fn ai() {}\n").unwrap().unwrap();
        let History::Read(job) = repos.history(&root, &file) else { panic!("history is read") };
        assert!(job.ai_paths.get().is_none(), "the read indexes it");
        // A second read asked for meanwhile shares what the first builds.
        let (other, _) = repos.view(&root, &rel, "fn ai() { 2 }\n").unwrap().unwrap();
        let History::Read(second) = repos.history(&root, &other) else { panic!("history is read") };
        let read = job.run();
        assert!(index.exists());
        assert!(second.ai_paths.get().is_some_and(|p| p.may_have_ai("ai.rs")), "built once, for both");
        assert!(read.result.as_ref().unwrap().iter().any(|(_, a)| a.is_ai()));
        repos.keep_history(&read);
        assert!(repos.take_messages().is_empty());

        // Kept: a path no AI commit touched is not read at all, and the next
        // read is given the index.
        let (plain, _) = repos.view(&root, "plain.rs", "fn plain() {}\n").unwrap().unwrap();
        assert!(matches!(repos.history(&root, &plain), History::Kept(spans) if spans.is_empty()));
        let (changed, _) = repos.view(&root, &rel, "fn ai() { 1 }\n").unwrap().unwrap();
        let History::Read(job) = repos.history(&root, &changed) else { panic!("another version is read") };
        assert!(job.ai_paths.get().is_some_and(|p| p.may_have_ai("ai.rs") && !p.may_have_ai("plain.rs")));
    }

    /// Let readers blocked on the FIFO at `path` through (each is given
    /// bytes that are no records cache) until a reader wrote a file there.
    fn release_fifo(path: &Path) {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
            assert!(std::time::Instant::now() < deadline, "nothing read {}", path.display());
            // Fails at once while no reader has it open.
            if let Ok(mut w) = std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(path) {
                let _ = std::io::Write::write_all(&mut w, b"not a cache\n");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// What the repository changed while a judging read was under way does
    /// not supersede the read: one more follows once it is in, so that a
    /// read finishes however often the repository changes, and the last
    /// one taken up judges by the repository as it is now.
    #[test]
    fn a_judging_read_under_way_is_followed_not_superseded() {
        let dir = git_repo();
        let root = dir.path();
        write(root, "a.rs", "fn a() {}\n");
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "first"]);
        // The records cache is a FIFO that nothing writes to: the read
        // blocks on it.
        let cache = root.join(".git/vouch/cache");
        std::fs::create_dir_all(&cache).unwrap();
        let fifo = cache.join("approval.keyed");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());

        let mut repos = Repos::default();
        let (root, _) = repos.locate(&root.join("a.rs")).unwrap();
        let first = repos.by_root[&root].judging.expect("a read under way");
        assert!(!repos.has_judged(&root) && !repos.is_ready(&root));
        write(&root, "a.rs", "fn a() { 1 }\n");
        git(&root, &["commit", "-q", "-am", "second"]);
        let changed = repos.poll();
        assert!(changed.iter().any(|c| c.judgement), "HEAD moved");
        assert_eq!(repos.by_root[&root].judging, Some(first), "the read under way goes on");

        release_fifo(&fifo);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        assert!(repos.wait_judged(Some(&root), deadline));
        assert!(repos.has_judged(&root));
        let second = repos.by_root[&root].judging.expect("one more read, for what changed");
        assert_ne!(second, first);
        assert!(!repos.is_ready(&root));
        assert!(repos.wait_judged(Some(&root), deadline));
        assert!(repos.is_ready(&root));
        assert_eq!(repos.take_judged(), vec![root.clone()]);
        let head = Repository::open(&root).unwrap().head().unwrap().target();
        assert_eq!(repos.by_root[&root].scope.as_ref().and_then(|s| s.head), head);
    }
}
