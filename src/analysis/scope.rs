//! What `vouch verify BASE..HEAD` will ask of the next commit: the range
//! from BASE ([`super::base`]) to HEAD, with the commit not made yet (the
//! index, the working tree, an editor's buffer) as its last commit, and
//! the note the post-commit hook will write for it (the journal's AI lines
//! among the lines it adds) as that commit's evidence. Every line of the
//! files it touches is followed through the range by verify's own rules
//! ([`crate::store::lineage`]: AI origin sticky through whitespace,
//! re-indentation, rewording, moves and merges), under the policy and the
//! allowed signers as of BASE. So the gate refuses what verify would
//! refuse of this commit, and only that: an AI unit that landed before
//! BASE is not asked about again because a person edited a line next to it.
//!
//! Walking the range costs about one `git log -p` of it. The lineage at
//! HEAD is kept under `<common git dir>/vouch/cache/lineage/`, one file per
//! BASE, HEAD and policy bots, each holding the notes tips it was computed
//! with: derived data, safe to delete. A kept lineage is used while no note
//! of a commit in the range changed, and one kept for HEAD's parent is
//! brought forward by the one new commit, so that the gate only adds the
//! next commit to what an earlier run found.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

use super::attribution::{self, FileVersion, UnitAt};
use super::base::{self, Base};
use super::cache::AnalysisCache;
use crate::lineage::{Claim, Deletion, Tag};
use crate::policy::Policy;
use crate::provenance::{AiDeletion, AiSource, Attribution, Evidence, Spans};
use crate::signoff::LastChange;
use crate::store::history::{self, GIT_AI_NOTES_REF};
use crate::store::lineage::{
    Blobs, CommitEvidence, FileLineage, Pending, PendingFile, PendingVersion, State, VersionKind,
};
use crate::store::mode;
use crate::store::notes::NOTES_REF;
use crate::store::policy_file::{self, Source};
use crate::syntax::Content;

/// The format of the kept lineage (with vouch's version and the hash the
/// lineage keys moved text by). 3: the files each commit removed whole as
/// an AI. 4: the lines every commit removed, an AI's or not (who touched a
/// unit), and removed AI text by shape. 5: the lines an AI removed from
/// before the range. 6: removed AI text keeps its words.
const STAMP: &str = concat!("vouch-lineage-cache/7 ", env!("CARGO_PKG_VERSION"));

/// Kept lineages, at most (one per BASE and HEAD: branches switched
/// between, commits made).
const MAX_KEPT: usize = 16;

/// The range the next commit will be verified in, and its policy.
pub struct Scope {
    /// BASE; `None` on an unborn branch.
    pub base: Option<Base>,
    /// HEAD's commit; `None` on an unborn branch.
    pub head: Option<Oid>,
    /// The policy as of BASE (on an unborn branch: as `fallback` has it).
    pub policy: Policy,
    /// Where the policy (and the allowed signers) were read.
    pub source: Source,
    state: State,
    /// The file versions [`Scope::next_commit_text`] read (HEAD's and
    /// BASE's versions of an editor's file), kept for its next call: the
    /// language server asks again after every pause in typing, and a scope
    /// lives as long as HEAD and BASE do.
    blobs: Blobs,
}

/// A [`Scope`] without the file versions it keeps ([`Scope::into_sendable`]),
/// which another thread can take.
pub struct Sendable {
    base: Option<Base>,
    head: Option<Oid>,
    policy: Policy,
    source: Source,
    state: State,
}

impl Sendable {
    pub fn into_scope(self) -> Scope {
        let Sendable { base, head, policy, source, state } = self;
        Scope { base, head, policy, source, state, blobs: Blobs::default() }
    }
}

/// BASE and what it decides with: the policy and the allowed signers as of
/// BASE. Every command that judges a unit judges under these (the gate,
/// status, request, approve, the reviewer's queue, stats), as
/// `vouch verify BASE..HEAD` does; a change to the policy counts once it is
/// part of BASE.
pub struct AtBase {
    /// BASE; `None` on an unborn branch.
    pub base: Option<Base>,
    /// Where the policy (and the allowed signers) are read: BASE's commit,
    /// or on an unborn branch `fallback`.
    pub source: Source,
    pub policy: Policy,
}

impl AtBase {
    /// BASE as `given` (`--base REV`), else as [`base::resolve`] finds it,
    /// with its policy. On an unborn branch the policy comes from
    /// `fallback` (the index or the working tree: the first commit holds
    /// it).
    pub fn open(repo: &Repository, fallback: Source, given: Option<&Base>) -> anyhow::Result<AtBase> {
        let base = match given {
            Some(b) => Some(b.clone()),
            None => base::resolve(repo)?,
        };
        let source = match &base {
            Some(b) => Source::Commit(b.commit.to_string()),
            None => fallback,
        };
        let policy = policy_file::load(repo, &source)?;
        Ok(AtBase { base, source, policy })
    }
}

/// A file whose executable bit an AI changed in `BASE..HEAD`, as `vouch
/// verify` finds it ([`mode::ai_mode_changes`]), with whoever authored or
/// committed a commit of the range that changed the path: none of them may
/// approve it.
#[derive(Debug, Clone)]
pub struct ModeChangeByAi {
    pub change: mode::ModeChange,
    pub people: Vec<String>,
}

/// The changes of mode agents made that the next commit holds: the
/// journal's live records of them (`modes`, see
/// [`crate::store::journal::Loaded::mode_changes`]) whose mode the index
/// (`GIT_INDEX_FILE`'s, as `git commit` will commit it) has against HEAD's
/// ([`mode::staged_change`]), but the trust files' (judged as trust
/// files), as verify will find them once committed. Whoever accepted the
/// agent's change (the journal says who ran it) may not approve it, nor
/// may `people` (who will make the commit, for the gate).
pub fn staged_mode_changes(
    repo: &Repository,
    policy: &crate::policy::Policy,
    modes: &[(crate::store::journal::RecordId, String, crate::store::journal::ModeSet)],
    people: &[String],
) -> anyhow::Result<Vec<ModeChangeByAi>> {
    if modes.is_empty() {
        return Ok(Vec::new());
    }
    let index = crate::store::repo::index(repo).context("cannot read the index")?;
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut out: Vec<ModeChangeByAi> = Vec::new();
    for (_, path, set) in modes.iter().rev() {
        if policy.is_trust_file(path) || out.iter().any(|m| m.change.path == *path) {
            continue;
        }
        let found = mode::staged_change(repo, head.as_ref(), &index, path, &set.mode)
            .with_context(|| format!("cannot read the staged mode of {path}"))?;
        let Some((from, to, bytes)) = found else { continue };
        let tool = match &set.by.origin {
            crate::provenance::Origin::Ai(source) => source.tool.clone(),
            _ => "an agent".to_string(),
        };
        let fingerprint = crate::fingerprint::mode_fingerprint(path, to, &bytes);
        let evidence = vec![format!("journal: {tool}")];
        let change =
            mode::ModeChange { path: path.clone(), from, to, commits: Vec::new(), evidence, bytes, fingerprint };
        let mut excluded = people.to_vec();
        if let Some(who) = set.by.accepted_by.as_ref().filter(|w| !excluded.iter().any(|e| e.eq_ignore_ascii_case(w))) {
            excluded.push(who.clone());
        }
        out.push(ModeChangeByAi { change, people: excluded });
    }
    out.reverse();
    Ok(out)
}

impl Scope {
    /// The scope of the next commit in `repo`, from `given` BASE or the one
    /// [`base::resolve`] finds. On an unborn branch there is no BASE, and
    /// the policy comes from `fallback` (the index or the working tree: the
    /// first commit holds it).
    pub fn open(repo: &Repository, fallback: Source, given: Option<&Base>) -> anyhow::Result<Scope> {
        let AtBase { base, source, policy } = AtBase::open(repo, fallback, given)?;
        let head = match repo.head() {
            Ok(h) => Some(h.peel_to_commit().context("cannot read the commit of HEAD")?.id()),
            Err(_) => None,
        };
        let state = match (&base, head) {
            (Some(b), Some(h)) => lineage_at(repo, b.commit, h, policy.bots())
                .with_context(|| format!("cannot read the history of {}..HEAD", short(&b.commit)))?,
            _ => State::empty(),
        };
        Ok(Scope { base, head, policy, source, state, blobs: Blobs::default() })
    }

    /// The files of `BASE..HEAD` whose executable bit an AI changed: at
    /// `path` only, or wherever BASE's and HEAD's modes differ; not the
    /// trust files (their change, of mode too, is judged as a trust file's).
    /// Committed changes only (the journal records no modes); none without
    /// BASE.
    pub fn ai_mode_changes(&self, repo: &Repository, path: Option<&str>) -> anyhow::Result<Vec<ModeChangeByAi>> {
        let (Some(base), Some(head)) = (self.base.as_ref(), self.head) else { return Ok(Vec::new()) };
        let base_tree = repo.find_commit(base.commit)?.tree()?;
        let head_tree = repo.find_commit(head)?.tree()?;
        let mut paths: Vec<String> = match path {
            Some(p) => vec![p.to_string()],
            None => {
                let diff = repo.diff_tree_to_tree(Some(&base_tree), Some(&head_tree), None)?;
                diff.deltas()
                    .filter(|d| d.old_file().mode() != d.new_file().mode())
                    .filter_map(|d| d.new_file().path().and_then(Path::to_str).map(str::to_string))
                    .collect()
            }
        };
        paths.retain(|p| !self.policy.is_trust_file(p));
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        // The range as its lineage walked it, oldest first.
        let commits = self.state.commit_ids();
        let bots = self.policy.bots();
        let evidence =
            |oid: Oid| -> anyhow::Result<_> { Ok(Some(CommitEvidence::read(repo, &repo.find_commit(oid)?, bots)?)) };
        let changes =
            mode::ai_mode_changes(repo, &base_tree, &head_tree, &commits, paths.iter().map(String::as_str), evidence)?;
        Ok(changes
            .into_iter()
            .map(|change| {
                let people = self.state.people_touching(&change.path, &change.commits);
                ModeChangeByAi { change, people }
            })
            .collect())
    }

    /// When BASE's history last changed trust file `path`: an approval of
    /// the file's content counts only when given since
    /// ([`crate::signoff::Ledger::judge_trust_file`]); `None` without BASE.
    pub fn trust_last_change(&self, repo: &Repository, path: &str) -> anyhow::Result<Option<LastChange>> {
        let Some(base) = &self.base else { return Ok(None) };
        crate::signoff::last_change(repo, base.commit, path)
            .with_context(|| format!("cannot read when BASE's history last changed {path}"))
    }

    /// The scope without the file versions it keeps, to hand to another
    /// thread (the language server reads it off its state thread).
    pub fn into_sendable(self) -> Sendable {
        let Scope { base, head, policy, source, state, blobs: _ } = self;
        Sendable { base, head, policy, source, state }
    }

    /// Who authors and commits the next commit, as git will record them.
    pub fn next_people(repo: &Repository) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let author = crate::store::identity::commit_author(repo).ok().map(|i| i.email);
        let committer = std::env::var("GIT_COMMITTER_EMAIL")
            .ok()
            .filter(|e| !e.trim().is_empty())
            .or_else(|| repo.config().ok().and_then(|c| c.get_string("committer.email").ok()))
            .or_else(|| repo.config().ok().and_then(|c| c.get_string("user.email").ok()));
        for email in author.into_iter().chain(committer) {
            let email = email.trim().to_string();
            if !email.is_empty() && !out.iter().any(|e| e.eq_ignore_ascii_case(&email)) {
                out.push(email);
            }
        }
        out
    }

    /// The commits of the range BASE..HEAD, oldest first.
    pub fn range_commits(&self) -> usize {
        self.state.commit_hexes().len()
    }

    /// The next commit on top of HEAD: `files` it adds or changes (each
    /// with the AI text the journal, or an editor, knows of in it, and
    /// where an AI removed lines: what the post-commit note will record),
    /// `deleted` paths (each with who removed it, when an AI did, as the
    /// journal recorded), authored and committed by `people`. Every file it
    /// touches is settled as verify settles HEAD's; with `all`, every other
    /// file the range touched too.
    pub fn next_commit(
        &self,
        repo: &Repository,
        files: &[NextFile],
        deleted: &[(String, Option<Attribution>)],
        people: Vec<String>,
        all: bool,
    ) -> anyhow::Result<NextCommit> {
        let mut pending = Vec::with_capacity(files.len() + deleted.len());
        for NextFile { file, spans, deletions } in files {
            let gitlink = matches!(file.content, Content::Submodule(_));
            let ai_lines: Vec<(usize, Attribution)> = match &file.content {
                Content::Text(text) => crate::provenance::line_attributions(text.as_bytes(), spans)
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, a)| a.map(|a| (i, a)))
                    .collect(),
                // One opaque line: AI when any of it is.
                other => spans
                    .iter()
                    .find(|(r, a)| a.is_ai() && r.start < other.len())
                    .map(|(_, a)| (0, a.clone()))
                    .into_iter()
                    .collect(),
            };
            let from = (file.history_path != file.path).then(|| file.history_path.clone());
            let deleted = match &file.content {
                Content::Text(text) => {
                    let lines = crate::store::notes::line_spans(text.as_bytes());
                    deletions
                        .iter()
                        .map(|d| (lines.partition_point(|l| l.start < d.at), d.attribution.clone()))
                        .collect()
                }
                _ => Vec::new(),
            };
            pending.push(PendingFile {
                path: file.path.clone(),
                from,
                new: Some(PendingVersion {
                    id: Some(file.blob),
                    gitlink,
                    bytes: if gitlink {
                        std::rc::Rc::from(&[][..])
                    } else {
                        std::rc::Rc::from(file.content.as_bytes())
                    },
                }),
                ai_lines,
                deleted,
            });
        }
        for (path, removed_by) in deleted {
            pending.push(PendingFile {
                path: path.clone(),
                from: None,
                new: None,
                ai_lines: Vec::new(),
                deleted: removed_by.iter().map(|a| (0, a.clone())).collect(),
            });
        }
        let contents = files.iter().map(|f| (f.file.path.clone(), f.file.content.clone())).collect();
        // A command asks once: what it reads is not kept.
        self.settle_next(repo, &Blobs::default(), &pending, contents, people, all)
    }

    /// The next commit when it changes one text file, `path` (in HEAD
    /// under the same path), and nothing else: an editor's buffer. `blob`
    /// is its text as git will store it, `ai_lines` the lines (0-based,
    /// ascending, as git splits them) that the post-commit note would
    /// record as AI, with their attribution, and `deletions` (byte offsets
    /// of `blob`) where it would say an AI removed lines. Its blob id is
    /// not computed (a hash of the whole file after every pause in
    /// typing): nothing asked of the result needs it.
    pub fn next_commit_text(
        &self,
        repo: &Repository,
        path: &str,
        blob: String,
        ai_lines: Vec<(usize, Attribution)>,
        deletions: &[AiDeletion],
        people: Vec<String>,
    ) -> anyhow::Result<NextCommit> {
        let deleted = if deletions.is_empty() {
            Vec::new()
        } else {
            let lines = crate::store::notes::line_spans(blob.as_bytes());
            deletions.iter().map(|d| (lines.partition_point(|l| l.start < d.at), d.attribution.clone())).collect()
        };
        let pending = [PendingFile {
            path: path.to_string(),
            from: None,
            new: Some(PendingVersion { id: None, gitlink: false, bytes: std::rc::Rc::from(blob.as_bytes()) }),
            ai_lines,
            deleted,
        }];
        let contents = [(path.to_string(), Content::Text(blob))].into_iter().collect();
        self.settle_next(repo, &self.blobs, &pending, contents, people, false)
    }

    fn settle_next(
        &self,
        repo: &Repository,
        blobs: &Blobs,
        pending: &[PendingFile],
        contents: HashMap<String, Content>,
        people: Vec<String>,
        all: bool,
    ) -> anyhow::Result<NextCommit> {
        let whole = bot_claim(repo, &self.policy);
        let lineage = self.state.pending(repo, blobs, pending, people, whole, all)?;
        Ok(NextCommit { lineage, contents, brought: HashMap::new() })
    }
}

/// The AI claim on every line of a commit whose author is a bot (as the
/// policy at BASE lists them, or `[bot]`), as verify reads it.
fn bot_claim(repo: &Repository, policy: &Policy) -> Option<Attribution> {
    next_bot(repo, policy).map(|(claim, _)| claim)
}

/// The next commit's bot author's claim ([`bot_claim`]) and its label, as
/// a report names it (`bot author: …`).
pub fn next_bot(repo: &Repository, policy: &Policy) -> Option<(Attribution, String)> {
    let author = crate::store::identity::commit_author(repo).ok()?;
    if !history::is_bot(&author.name, &author.email, policy.bots()) {
        return None;
    }
    let name = author.name.trim().to_string();
    let source = AiSource { tool: name.clone(), model: None, session: None, kind: None };
    let label = history::Declared::Bot(name).label();
    Some((Attribution::ai(source, Evidence::History, None), label))
}

/// A file the next commit adds or changes, with what the journal (or an
/// editor) knows of it: its AI text and where an AI removed lines, which
/// the post-commit note will record.
#[derive(Debug, Clone)]
pub struct NextFile {
    pub file: FileVersion,
    pub spans: Spans,
    /// Byte offsets of its content.
    pub deletions: Vec<AiDeletion>,
}

/// A unit of the next commit's files that verify will judge: AI lines from
/// the range (or the next commit), with the commits that touched it.
#[derive(Debug, Clone)]
pub struct ScopedUnit {
    pub path: String,
    pub facts: crate::signoff::UnitFacts,
    /// 1-based first and last lines.
    pub line: usize,
    pub end_line: usize,
    /// The commits of the range that touched its lines (hex), oldest first.
    pub commits: Vec<String>,
    /// Whether the next commit touches it: the gate asks about it now.
    pub next: bool,
    /// Who authored, committed (or will author and commit) the commits
    /// that touched it: none of them may approve it.
    pub people: Vec<String>,
}

/// A file BASE has and the next commit leaves absent, which a commit of
/// the range (or the next commit, whose author is a bot) deleted whole with
/// AI evidence: a unit verify will judge ("file deleted by AI").
#[derive(Debug, Clone)]
pub struct DeletedByAi {
    pub path: String,
    /// The lines of the version deleted first.
    pub lines: u32,
    /// The fingerprint of its deletion ([`crate::store::lineage::DeletedFile::fingerprint`]).
    pub fingerprint: String,
    /// The risk tags of the text deleted.
    pub risk: Vec<String>,
    /// The AI claim of its deletion.
    pub attribution: Attribution,
    /// The commits that deleted it with AI evidence, oldest first (`None`:
    /// the next commit).
    pub deleting: Vec<Option<Oid>>,
    /// The commits of the range that deleted or changed it (hex), oldest
    /// first.
    pub commits: Vec<String>,
    /// The next commit deletes it.
    pub next: bool,
    /// Who authored, committed (or will author and commit) those commits:
    /// none of them may approve the deletion.
    pub people: Vec<String>,
}

/// The next commit, as verify will see the range it ends.
pub struct NextCommit {
    lineage: Pending,
    contents: HashMap<String, Content>,
    /// The AI lines its files hold from other paths of BASE under other
    /// rules, by path ([`NextCommit::bring`]).
    brought: HashMap<String, Brought>,
}

/// The AI lines a file of the next commit holds from another path of BASE
/// under other rules, as verify finds them ([`crate::brought`]).
#[derive(Debug, Clone)]
pub struct Brought {
    /// Where, and what history says of them there.
    pub found: crate::brought::Found,
    /// Where they came from, in words (`at vendor/x.py before BASE`).
    pub said: String,
    /// The same lines (0-based, ascending), with their attribution.
    pub lines: Vec<(usize, Attribution)>,
}

impl Brought {
    /// What `found` says of `content`, which came from where `said` says.
    pub fn new(found: crate::brought::Found, said: String, content: &Content) -> Brought {
        let lines = crate::provenance::line_attributions(content.as_bytes(), &found.spans)
            .into_iter()
            .enumerate()
            .filter_map(|(i, a)| a.filter(Attribution::is_ai).map(|a| (i, a)))
            .collect();
        Brought { found, said, lines }
    }
}

impl NextCommit {
    /// Take what each of its files holds from history before the range
    /// (by path) as AI lines verify will count.
    pub fn bring(&mut self, brought: HashMap<String, Brought>) {
        self.brought = brought;
    }

    /// Whether the range or the next commit added or changed each line of
    /// `path` (0-based, as git splits its version).
    pub fn added_lines(&self, path: &str) -> Vec<bool> {
        let Some(file) = self.lineage.files.get(path) else { return Vec::new() };
        file.tags.iter().map(|&t| !matches!(self.lineage.claim(t), Claim::Outside)).collect()
    }

    /// What `path` holds from another path of BASE under other rules.
    pub fn brought(&self, path: &str) -> Option<&Brought> {
        self.brought.get(path)
    }

    /// [`ai_spans`] of `path`'s lineage, with what it holds from other
    /// paths of BASE under them.
    fn spans_of(&self, path: &str, file: &FileLineage, content: &Content) -> Spans {
        let spans = ai_spans(&self.lineage, file, content);
        match self.brought.get(path) {
            Some(brought) => crate::signoff::overlay(content.len(), &brought.found.spans, &spans),
            None => spans,
        }
    }

    /// The paths it settled: the files it touches (and with `all`, every
    /// file the range touched), in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.lineage.files.keys().map(String::as_str)
    }

    /// The paths the next commit itself changes (old and new names).
    pub fn touched(&self) -> &[String] {
        &self.lineage.touched
    }

    /// The commits of the range BASE..HEAD, oldest first (the next commit
    /// is not among them).
    pub fn range_commits(&self) -> &[Oid] {
        &self.lineage.commits
    }

    /// The paths commit number `i` of the range changed.
    pub fn changed_by(&self, i: usize) -> &[String] {
        self.lineage.changed.get(i).map_or(&[], Vec::as_slice)
    }

    /// The people of these commits (numbers; the next commit's is
    /// `range_commits().len()`).
    pub fn people_of(&self, commits: &[u32]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for &c in commits {
            for email in self.lineage.people.get(c as usize).into_iter().flatten() {
                if !out.iter().any(|e| e.eq_ignore_ascii_case(email)) {
                    out.push(email.clone());
                }
            }
        }
        out
    }

    /// The AI lines of `path` that verify will count (from the range or the
    /// next commit), as byte spans of `content` with their attribution.
    pub fn ai_spans(&self, path: &str, content: &Content) -> Spans {
        let Some(file) = self.lineage.files.get(path) else { return Vec::new() };
        self.spans_of(path, file, content)
    }

    /// The AI deletions of `path` that verify will count (from the range or
    /// the next commit), as byte offsets of `content`.
    pub fn ai_deletions(&self, path: &str, content: &Content) -> Vec<AiDeletion> {
        match self.lineage.files.get(path) {
            Some(file) if file.kind == VersionKind::Text => self.lineage.ai_deletions(file, content.as_bytes()),
            _ => Vec::new(),
        }
    }

    /// The lineage's AI deletions of `path` at byte offsets `at` of
    /// `content`.
    fn deletions_at(&self, path: &str, content: &[u8], at: &[usize]) -> Vec<&Deletion> {
        let Some(file) = self.lineage.files.get(path) else { return Vec::new() };
        if at.is_empty() || file.deletions.is_empty() {
            return Vec::new();
        }
        let lines = crate::store::notes::line_spans(content);
        file.deletions
            .iter()
            .filter(|d| {
                self.lineage.is_ai(d.tag) && at.contains(&lines.get(d.at as usize).map_or(content.len(), |l| l.start))
            })
            .collect()
    }

    /// The AI deletions of `path` at byte offsets `at` of `content` (those
    /// of a unit: [`crate::signoff::UnitFacts::deletions`]), each with its
    /// lines, its claim's attribution and the commits that made it, oldest
    /// first (`None`: the next commit).
    pub fn deletions_in(&self, path: &str, content: &[u8], at: &[usize]) -> Vec<(u32, Attribution, Vec<Option<Oid>>)> {
        let next = self.lineage.index();
        self.deletions_at(path, content, at)
            .into_iter()
            .filter_map(|d| {
                let Claim::Ai(attribution) = self.lineage.claim(d.tag) else { return None };
                let commits = self
                    .lineage
                    .commits_touching(&[d.tag])
                    .into_iter()
                    .filter_map(|n| {
                        if n == next { Some(None) } else { self.lineage.commits.get(n as usize).map(|&c| Some(c)) }
                    })
                    .collect();
                Some((d.lines, attribution.clone(), commits))
            })
            .collect()
    }

    /// What verify will count of each line of `path` (lines as git splits
    /// them): its AI attribution, or `None` (not AI, or not in the range).
    pub fn line_claims(&self, path: &str) -> Vec<Option<Attribution>> {
        let Some(file) = self.lineage.files.get(path) else { return Vec::new() };
        file.tags
            .iter()
            .map(|&t| match self.lineage.claim(t) {
                Claim::Ai(a) => Some(a.clone()),
                _ => None,
            })
            .collect()
    }

    /// The lines of `path` (0-based, ascending) that verify will count as
    /// AI, with their claim's attribution: [`NextCommit::line_claims`]
    /// without the others.
    pub fn ai_line_claims(&self, path: &str) -> Vec<(usize, &Attribution)> {
        let Some(file) = self.lineage.files.get(path) else { return Vec::new() };
        file.tags
            .iter()
            .enumerate()
            .filter_map(|(i, &t)| match self.lineage.claim(t) {
                Claim::Ai(a) => Some((i, a)),
                _ => None,
            })
            .collect()
    }

    /// The lines of `first..=last` (1-based; the one line of a version that
    /// is not text) of `path` that verify will count as AI, each with its
    /// claim's attribution and the commits that touched it, oldest first
    /// (`None`: the next commit).
    pub fn ai_lines(&self, path: &str, first: usize, last: usize) -> Vec<(usize, Attribution, Vec<Option<Oid>>)> {
        let Some(file) = self.lineage.files.get(path) else { return Vec::new() };
        let start = first.max(1);
        let tags = file.tags.get(start - 1..last.min(file.tags.len())).unwrap_or_default();
        let next = self.lineage.index();
        let mut out: Vec<(usize, Attribution, Vec<Option<Oid>>)> = tags
            .iter()
            .enumerate()
            .filter_map(|(i, &tag)| {
                let Claim::Ai(attribution) = self.lineage.claim(tag) else { return None };
                let commits = self
                    .lineage
                    .commits_touching(&[tag])
                    .into_iter()
                    .filter_map(|n| {
                        if n == next { Some(None) } else { self.lineage.commits.get(n as usize).map(|&c| Some(c)) }
                    })
                    .collect();
                Some((start + i, attribution.clone(), commits))
            })
            .collect();
        // Lines brought from another path of BASE: history before the
        // range wrote them ([`NextCommit::brought`] names it).
        if let Some(brought) = self.brought.get(path) {
            for (line, attribution) in &brought.lines {
                let line = line + 1;
                if (start..=last).contains(&line) && !out.iter().any(|(l, ..)| *l == line) {
                    out.push((line, attribution.clone(), Vec::new()));
                }
            }
            out.sort_by_key(|(line, ..)| *line);
        }
        out
    }

    /// The commits that touched lines `first..=last` (1-based) of `path`
    /// (changed them, or removed lines among them), or made its AI
    /// deletions at byte offsets `at` of `content`: their
    /// ids (hex, the range's), whether the next commit is among them, and
    /// their people.
    pub fn touching(
        &self,
        path: &str,
        first: usize,
        last: usize,
        content: &[u8],
        at: &[usize],
    ) -> (Vec<String>, bool, Vec<String>) {
        let Some(file) = self.lineage.files.get(path) else { return (Vec::new(), false, Vec::new()) };
        let mut tags = file.tags.get(first.saturating_sub(1)..last.min(file.tags.len())).unwrap_or_default().to_vec();
        tags.extend(self.deletions_at(path, content, at).into_iter().map(|d| d.tag));
        tags.extend(crate::lineage::touching_lines(&file.deletions, first, last));
        let numbers = self.lineage.commits_touching(&tags);
        let commits =
            numbers.iter().filter_map(|&i| self.lineage.commits.get(i as usize)).map(Oid::to_string).collect();
        (commits, numbers.contains(&self.lineage.index()), self.people_of(&numbers))
    }

    /// The files BASE has that the next commit leaves absent, deleted whole
    /// by AI in the range or by the next commit, in path order.
    pub fn deleted_files(&self) -> Vec<DeletedByAi> {
        let next = self.lineage.index();
        let mut out = Vec::new();
        for (path, file) in &self.lineage.deleted_files {
            let Claim::Ai(attribution) = self.lineage.claim_by_id(file.claim) else { continue };
            let deleting: Vec<Option<Oid>> =
                file.commits.iter().map(|&i| self.lineage.commits.get(i as usize).copied()).collect();
            let in_next = file.commits.contains(&next) || self.lineage.touched.iter().any(|p| p == path);
            let mut numbers: Vec<u32> = (0..self.lineage.commits.len() as u32)
                .filter(|&i| file.commits.contains(&i) || self.changed_by(i as usize).iter().any(|p| p == path))
                .collect();
            if in_next {
                numbers.push(next);
            }
            let commits =
                numbers.iter().filter_map(|&i| self.lineage.commits.get(i as usize)).map(Oid::to_string).collect();
            out.push(DeletedByAi {
                path: path.clone(),
                lines: file.lines,
                fingerprint: file.fingerprint.clone(),
                risk: file.risk.clone(),
                attribution: attribution.clone(),
                deleting,
                commits,
                next: in_next,
                people: self.people_of(&numbers),
            });
        }
        out
    }

    /// The content of `path` the next commit holds, if it changes it.
    pub fn content(&self, path: &str) -> Option<&Content> {
        self.contents.get(path)
    }

    /// The units verify will judge in `path`, whose content (as the next
    /// commit leaves it) is `content`, version `blob`; their facts kept in
    /// `cache` when given.
    pub fn units(
        &self,
        cache: Option<&AnalysisCache>,
        path: &str,
        blob: Oid,
        content: &Content,
    ) -> anyhow::Result<Vec<ScopedUnit>> {
        self.units_at(cache, (path, path), blob, content, &[])
    }

    /// The units verify will judge where link `link` makes the text file
    /// `to` stand ([`crate::verify`]'s link rule): `to`'s AI lines (from
    /// the range or the next commit, and `history`: the lines history
    /// before the range calls AI), judged under the link's path.
    pub fn units_through_link(
        &self,
        cache: Option<&AnalysisCache>,
        (link, to): (&str, &str),
        blob: Oid,
        content: &Content,
        history: &[(Range<usize>, Attribution)],
    ) -> anyhow::Result<Vec<ScopedUnit>> {
        self.units_at(cache, (link, to), blob, content, history)
    }

    /// The units of `path` with the AI lines of `history` too, as they
    /// stand at `at`.
    fn units_at(
        &self,
        cache: Option<&AnalysisCache>,
        (at, path): (&str, &str),
        blob: Oid,
        content: &Content,
        history: &[(Range<usize>, Attribution)],
    ) -> anyhow::Result<Vec<ScopedUnit>> {
        let file = self.lineage.files.get(path);
        let mut spans = file.map(|f| self.spans_of(path, f, content)).unwrap_or_default();
        if !history.is_empty() {
            spans = crate::signoff::overlay(content.len(), history, &spans);
        }
        let deletions = self.ai_deletions(path, content);
        if spans.is_empty() && deletions.is_empty() {
            return Ok(Vec::new());
        }
        let kind = file.map_or(VersionKind::Text, |f| f.kind);
        let units: Vec<UnitAt> = match kind {
            VersionKind::Text => attribution::units_cached(cache, path, blob, content, &spans, &deletions)?,
            // One unit, all of it AI: no threshold lets it through.
            VersionKind::Bytes | VersionKind::Submodule => {
                let whole: Spans = spans.first().map(|(_, a)| (0..content.len(), a.clone())).into_iter().collect();
                attribution::units_of(path, content, &whole)?
            }
        };
        let next = self.lineage.index();
        Ok(units
            .into_iter()
            .map(|(facts, line, end_line)| {
                let mut touched: Vec<Tag> = match (file, kind) {
                    (Some(file), VersionKind::Text) => {
                        file.tags.get(line - 1..end_line.min(file.tags.len())).unwrap_or_default().to_vec()
                    }
                    (Some(file), _) => file.tags.clone(),
                    (None, _) => Vec::new(),
                };
                let deleted: Vec<usize> = facts.deletions.iter().map(|d| d.at).collect();
                touched.extend(self.deletions_at(path, content.as_bytes(), &deleted).into_iter().map(|d| d.tag));
                if let Some(file) = file.filter(|_| kind == VersionKind::Text) {
                    touched.extend(crate::lineage::touching_lines(&file.deletions, line, end_line));
                }
                let numbers = self.lineage.commits_touching(&touched);
                let commits =
                    numbers.iter().filter_map(|&i| self.lineage.commits.get(i as usize)).map(Oid::to_string).collect();
                ScopedUnit {
                    path: at.to_string(),
                    facts,
                    line,
                    end_line,
                    commits,
                    next: numbers.contains(&next),
                    people: self.people_of(&numbers),
                }
            })
            .collect())
    }
}

/// The AI lines of `file` as byte spans of `content`, each with its claim's
/// attribution (a line of verify's lineage is AI or not as a whole).
fn ai_spans(lineage: &Pending, file: &FileLineage, content: &Content) -> Spans {
    let mut spans: Spans = Vec::new();
    if file.kind != VersionKind::Text {
        if let Some(a) = file.tags.iter().find_map(|&t| match lineage.claim(t) {
            Claim::Ai(a) => Some(a.clone()),
            _ => None,
        }) {
            spans.push((0..content.len(), a));
        }
        return spans;
    }
    let lines: Vec<Range<usize>> = crate::store::notes::line_spans(content.as_bytes());
    for (line, &tag) in lines.into_iter().zip(&file.tags) {
        let Claim::Ai(attribution) = lineage.claim(tag) else { continue };
        match spans.last_mut() {
            Some((prev, attr)) if prev.end == line.start && attr == attribution => prev.end = line.end,
            _ => spans.push((line, attribution.clone())),
        }
    }
    spans
}

fn short(id: &Oid) -> String {
    id.to_string()[..10].to_string()
}

// ---------------------------------------------------------------------------
// The kept lineage

/// A lineage kept on disk.
#[derive(Serialize, Deserialize)]
struct Kept {
    stamp: String,
    key: String,
    /// The notes tips it was computed with (`None`: no such ref).
    notes: BTreeMap<String, Option<String>>,
    state: State,
}

fn dir(repo: &Repository) -> PathBuf {
    repo.commondir().join("vouch").join("cache").join("lineage")
}

fn key(base: Oid, head: Oid, bots: &[String]) -> String {
    let mut bots: Vec<String> = bots.iter().map(|b| b.trim().to_ascii_lowercase()).collect();
    bots.sort();
    let text = format!("{STAMP}\0{}\0{base}\0{head}\0{}", crate::lineage::pool_stamp(), bots.join("\0"));
    crate::fingerprint::sha256_hex(text.as_bytes())
}

fn notes_tips(repo: &Repository) -> BTreeMap<String, Option<String>> {
    [NOTES_REF, GIT_AI_NOTES_REF]
        .into_iter()
        .map(|r| (r.to_string(), repo.refname_to_id(r).ok().map(|id| id.to_string())))
        .collect()
}

/// The lineage of `base..head` at `head`: kept, brought forward from the
/// one kept for `head`'s parent, or walked; kept for the next run.
fn lineage_at(repo: &Repository, base: Oid, head: Oid, bots: &[String]) -> anyhow::Result<State> {
    let dir = dir(repo);
    let tips = notes_tips(repo);
    let name = key(base, head, bots);
    if let Some(state) = read_kept(repo, &dir, &name, &tips) {
        return Ok(state);
    }
    let parent = repo.find_commit(head).ok().filter(|c| c.parent_count() == 1).and_then(|c| c.parent_id(0).ok());
    let state = match parent.filter(|&p| p != base) {
        Some(p) => match read_kept(repo, &dir, &key(base, p, bots), &tips) {
            Some(earlier) => earlier.extend(repo, head, bots)?,
            None => State::walk(repo, base, head, bots)?,
        },
        None => State::walk(repo, base, head, bots)?,
    };
    let kept = Kept { stamp: STAMP.to_string(), key: name.clone(), notes: tips, state };
    let _ = super::cache::write(&dir, &format!("{name}.json"), &kept);
    crate::store::kept::prune(&dir, MAX_KEPT);
    Ok(kept.state)
}

/// The lineage kept as `name`, if it is whole and still holds: no note of
/// a commit of its range changed since (a git-ai note changing anywhere
/// may change how others read, so that discards it too).
fn read_kept(repo: &Repository, dir: &Path, name: &str, tips: &BTreeMap<String, Option<String>>) -> Option<State> {
    let bytes = std::fs::read(dir.join(format!("{name}.json"))).ok()?;
    let kept: Kept = serde_json::from_slice(&bytes).ok()?;
    if kept.stamp != STAMP || kept.key != name || !kept.state.is_whole() {
        return None;
    }
    if &kept.notes == tips {
        return Some(kept.state);
    }
    if kept.notes.get(GIT_AI_NOTES_REF) != tips.get(GIT_AI_NOTES_REF) {
        return None;
    }
    let old = kept.notes.get(NOTES_REF).cloned().flatten();
    let new = tips.get(NOTES_REF).cloned().flatten();
    let noted = notes_changed(repo, old.as_deref(), new.as_deref())?;
    let range: std::collections::HashSet<&str> = kept.state.commit_hexes().iter().map(String::as_str).collect();
    if noted.iter().any(|c| range.contains(c.as_str())) {
        return None;
    }
    Some(kept.state)
}

/// The commits whose note differs between two versions of the notes ref;
/// `None` when they cannot be compared.
fn notes_changed(repo: &Repository, old: Option<&str>, new: Option<&str>) -> Option<Vec<String>> {
    let tree = |hex: Option<&str>| -> Option<Option<git2::Tree<'_>>> {
        match hex {
            None => Some(None),
            Some(hex) => Some(Some(repo.find_commit(Oid::from_str(hex).ok()?).ok()?.tree().ok()?)),
        }
    };
    let (old, new) = (tree(old)?, tree(new)?);
    let diff = repo.diff_tree_to_tree(old.as_ref(), new.as_ref(), None).ok()?;
    Some(
        diff.deltas()
            .filter_map(|d| {
                d.new_file().path().or(d.old_file().path()).and_then(Path::to_str).map(|p| p.replace('/', ""))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{AiSource, Evidence};
    use crate::store::repo::tests::git;

    fn ai() -> Attribution {
        Attribution::ai(
            AiSource { tool: "claude".into(), model: None, session: None, kind: None },
            Evidence::Editor,
            None,
        )
    }

    /// The lines numbered in `numbers` (0-based) attributed to AI.
    fn with_ai(numbers: &[usize]) -> Vec<(usize, Attribution)> {
        numbers.iter().map(|&i| (i, ai())).collect()
    }

    fn function(name: &str, body: &str) -> String {
        format!("fn {name}(x: u32) -> u32 {{\n    let y = x + 1;\n    {body}\n}}\n\n")
    }

    #[test]
    fn a_buffer_judged_again_and_again_is_judged_as_a_command_judges_it() {
        // The language server asks `next_commit_text` after every pause in
        // typing, keeping HEAD's and BASE's versions of the file between
        // calls and reusing the alignment with HEAD when BASE holds the same
        // version; a command asks `next_commit` once. Both must give every
        // line the same claim and the same commits.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["config", "user.email", "dev@example.com"]);
        git(root, &["config", "user.name", "Dev"]);
        let plain: String = (0..20).map(|i| function(&format!("f{i}"), "y * 2")).collect();
        std::fs::write(root.join("untouched.rs"), &plain).unwrap();
        std::fs::write(root.join("touched.rs"), &plain).unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "start"]);
        git(root, &["checkout", "-q", "-b", "feature"]);
        git(root, &["config", "vouch.base", "main"]);
        let touched = format!("{plain}{}", function("generated", "y * 3"));
        std::fs::write(root.join("touched.rs"), &touched).unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "generated\n\nCo-authored-by: Claude <noreply@anthropic.com>\n"]);
        let repo = Repository::open(root).unwrap();
        let scope = Scope::open(&repo, Source::Worktree, None).unwrap();
        assert_eq!(scope.range_commits(), 1);

        let inserted = |text: &str, at: usize, what: &str| {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            lines.insert(at, what);
            lines.concat()
        };
        let moved = {
            // The AI function cut from the end and pasted at the start.
            let tail = function("generated", "y * 3");
            format!("{tail}{plain}")
        };
        // An agent removed the `let y` line of `f3` (line 17 of 0-based
        // lines, at byte `removed_at` once gone).
        let removed: String =
            plain.split_inclusive('\n').enumerate().filter(|&(i, _)| i != 16).map(|(_, l)| l).collect();
        let removed_at: usize = plain.split_inclusive('\n').take(16).map(str::len).sum();
        // Each buffer: its AI lines, the removal an agent recorded, and how
        // many AI lines stand in the place of BASE lines (the lines they
        // replaced were removed by the AI too).
        type Buffer<'a> = (&'a str, String, Vec<usize>, Option<usize>, usize);
        let buffers: Vec<Buffer> = vec![
            ("untouched.rs", plain.clone(), vec![], None, 0),
            ("untouched.rs", inserted(&plain, 7, "    let z = y;\n"), vec![7], None, 0),
            ("untouched.rs", inserted(&plain, 7, "    let z = y;\n"), vec![], None, 0),
            ("untouched.rs", plain.replacen("y * 2", "y * 4", 3), vec![2], None, 1),
            ("untouched.rs", removed.clone(), vec![], Some(removed_at), 0),
            ("touched.rs", touched.clone(), vec![], None, 0),
            ("touched.rs", touched.replace("y * 3", "y  *  3"), vec![], None, 0),
            ("touched.rs", moved, vec![], None, 0),
            ("touched.rs", inserted(&touched, 3, "// a person's note\n"), vec![], None, 0),
            ("touched.rs", touched[..touched.len() - 30].to_string(), vec![0], None, 0),
            ("new.rs", "fn new() {}\n".to_string(), vec![0], None, 0),
        ];
        for (path, text, ai_lines, removal, replaced) in buffers {
            let lines = with_ai(&ai_lines);
            let deletions: Vec<AiDeletion> = removal
                .map(|at| AiDeletion { at, lines: 1, first: "let y = x + 1;".into(), attribution: ai(), replaced: 0 })
                .into_iter()
                .collect();
            let kept =
                scope.next_commit_text(&repo, path, text.clone(), lines.clone(), &deletions, Vec::new()).unwrap();
            let line_spans = crate::store::notes::line_spans(&text);
            let spans: Spans = lines.iter().map(|(i, a)| (line_spans[*i].clone(), a.clone())).collect();
            let file = FileVersion {
                path: path.to_string(),
                history_path: path.to_string(),
                blob: Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()).unwrap(),
                content: Content::Text(text.clone()),
            };
            let content = file.content.clone();
            let next = NextFile { file, spans, deletions: deletions.clone() };
            let once = scope.next_commit(&repo, &[next], &[], Vec::new(), false).unwrap();
            let claims = once.line_claims(path);
            assert_eq!(kept.line_claims(path), claims, "{path}: {text}");
            let ai: Vec<(usize, Attribution)> =
                claims.iter().enumerate().filter_map(|(i, a)| a.clone().map(|a| (i, a))).collect();
            let sparse: Vec<(usize, Attribution)> =
                kept.ai_line_claims(path).into_iter().map(|(i, a)| (i, a.clone())).collect();
            assert_eq!(sparse, ai, "{path}");
            assert!(claims.iter().any(Option::is_some) || ai_lines.is_empty() && path == "untouched.rs", "{path}");
            let gone = once.ai_deletions(path, &content);
            assert_eq!(kept.ai_deletions(path, &content), gone, "{path}");
            assert_eq!(gone.len(), deletions.len() + replaced, "{path}: the removal stands");
            let at: Vec<usize> = gone.iter().map(|d| d.at).collect();
            for line in 1..=line_spans.len() {
                assert_eq!(
                    kept.touching(path, line, line, text.as_bytes(), &at),
                    once.touching(path, line, line, text.as_bytes(), &at),
                    "{path}:{line}"
                );
            }
        }
    }
}
