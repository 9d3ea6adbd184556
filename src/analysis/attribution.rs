//! Where the AI-written units of file versions stand: their attribution
//! (history and journal), their review units, and each unit's judgement
//! under the policy and the records. Shared by `vouch check`, `vouch
//! status` and the post-commit hook, so that they agree with each other
//! (and, through [`crate::signoff`], with the language server and the
//! verifier).
//!
//! The work per file (journal view, blame where history may hold AI text,
//! parsing, units) runs on a few threads, each with its own handle on the
//! repository; judging needs the records and runs after. A file with no AI
//! text is not parsed at all.
//!
//! Nothing is left unread: a file that is not UTF-8 is one unit over its
//! bytes, and a submodule change one unit over its commit id
//! ([`crate::syntax::blob`]); with AI evidence they are judged like any
//! unit.

use std::ops::Range;
use std::path::Path;

use anyhow::Context as _;
use git2::{Oid, Repository};

use super::cache::{AnalysisCache, Entry, Key};
use super::context::Context;
use super::ai_paths::AiPaths;
use crate::document::Document;
use crate::policy::{Policy, ReviewerSet, Status};
use crate::provenance::{Attribution, Evidence, Origin, Spans};
use crate::signoff::{self, Judgement, Ledger, UnitFacts};
use crate::store::history;
use crate::store::journal::{Journal, Loaded, Record, RecordId};
use crate::store::policy_file::Source;

use crate::store::signature;
use crate::syntax::Content;
use crate::syntax::Language;

/// Worker threads for the per-file work, at most.
const MAX_WORKERS: usize = 4;

/// One version of one file (or submodule) to look at.
#[derive(Debug, Clone)]
pub struct FileVersion {
    pub path: String,
    /// Where HEAD has the file (its path before a staged rename), for
    /// history.
    pub history_path: String,
    /// The blob of this version; for a submodule, its commit.
    pub blob: Oid,
    pub content: Content,
}

/// What the per-file work reads, shared by the workers.
pub struct Analysis<'a> {
    pub journal: &'a Journal,
    pub loaded: &'a Loaded,
    pub history: &'a AiPaths,
    pub bots: &'a [String],
    /// Fail on any journal record that cannot be applied (the gate).
    pub strict: bool,
    /// Where analyses are kept between runs, if they are.
    pub cache: Option<&'a AnalysisCache>,
}

/// A file version's attribution and AI units, before judgement.
#[derive(Debug, Clone)]
pub struct Analysed {
    pub path: String,
    pub blob: Oid,
    pub content: Content,
    /// History, with the journal painted over it.
    pub spans: Spans,
    /// The journal's attributed ranges alone.
    pub journal_spans: Spans,
    /// Its AI units, with their 1-based first and last lines.
    pub units: Vec<(UnitFacts, usize, usize)>,
    /// Live journal records of the path whose AI text is all in this
    /// version, unchanged: what a commit of it retires.
    pub covered: Vec<RecordId>,
}

impl Analysis<'_> {
    /// Analyse `files` on up to [`MAX_WORKERS`] threads, each opening the
    /// repository at `git_dir` for itself; results in the order given.
    ///
    /// Each worker first works out the attribution of all its files, then
    /// their units: the first file with AI text starts the syntax queries
    /// compiling on another thread (milliseconds, tens for TypeScript), and
    /// the attribution of the rest is worked out meanwhile.
    pub fn run(&self, git_dir: &Path, files: Vec<FileVersion>) -> anyhow::Result<Vec<Analysed>> {
        let workers =
            std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_WORKERS).min(files.len());
        let work = |repo: &Repository, share: Vec<(usize, FileVersion)>| -> anyhow::Result<Vec<(usize, Analysed)>> {
            let attributed: Vec<(usize, Step)> =
                share.into_iter().map(|(i, f)| Ok((i, self.attribute(repo, f)?))).collect::<anyhow::Result<_>>()?;
            attributed.into_iter().map(|(i, step)| Ok((i, self.finish(step)?))).collect()
        };
        if workers <= 1 {
            let repo = open(git_dir)?;
            let all = work(&repo, files.into_iter().enumerate().collect())?;
            return Ok(all.into_iter().map(|(_, a)| a).collect());
        }
        let mut shares: Vec<Vec<(usize, FileVersion)>> = (0..workers).map(|_| Vec::new()).collect();
        let count = files.len();
        for (i, file) in files.into_iter().enumerate() {
            shares[i % workers].push((i, file));
        }
        let results: Vec<anyhow::Result<Vec<(usize, Analysed)>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = shares
                .into_iter()
                .map(|share| {
                    let work = &work;
                    scope.spawn(move || -> anyhow::Result<Vec<(usize, Analysed)>> { work(&open(git_dir)?, share) })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a worker thread panicked"))))
                .collect()
        });
        let mut slots: Vec<Option<Analysed>> = (0..count).map(|_| None).collect();
        for result in results {
            for (i, analysed) in result? {
                slots[i] = Some(analysed);
            }
        }
        Ok(slots.into_iter().flatten().collect())
    }

    /// Analyse one file version.
    pub fn one(&self, repo: &Repository, file: FileVersion) -> anyhow::Result<Analysed> {
        let step = self.attribute(repo, file)?;
        self.finish(step)
    }

    /// The first half of analysing a file version: its attribution (or
    /// all of it, when it was kept).
    fn attribute(&self, repo: &Repository, file: FileVersion) -> anyhow::Result<Step> {
        let FileVersion { path, history_path, blob, content } = file;
        let (journal, loaded) = (self.journal, self.loaded);
        let records = loaded.records_for(&path);
        let may_have_ai_history = self.history.may_have_ai(&history_path);
        let text = match content {
            Content::Text(text) => text,
            other => return self.attribute_bytes(repo, path, history_path, blob, other, &records),
        };
        // Only what the journal and the text decide is cached (see
        // [`AnalysisCache`]), and only when there is something to find.
        let ids: Vec<RecordId> = records.iter().map(|r| r.id.clone()).collect();
        let cacheable = self.cache.is_some() && !may_have_ai_history && !ids.is_empty();
        if cacheable && let Some(hit) = self.cache.and_then(|c| c.get(&Key { path: &path, blob, records: &ids })) {
            let Entry { spans, journal_spans, units, covered } = hit;
            let content = Content::Text(text);
            return Ok(Step::Done(Analysed { path, blob, content, spans, journal_spans, units, covered }));
        }
        let history = if may_have_ai_history {
            if history_path == path {
                signoff::history_spans(repo, &path, &text, self.bots)
            } else {
                history_of_renamed(repo, &history_path, &text, self.bots)
            }
            .with_context(|| format!("cannot read the provenance of {path}"))?
        } else {
            Vec::new()
        };
        let view = journal
            .view(repo, loaded, &path, &text)
            .with_context(|| format!("cannot read the provenance of {path}"))?;
        if let Some(problem) = view.problems.first() {
            let (shown, problem) =
                (crate::display::line(&path), crate::display::line(&problem.to_string()).into_owned());
            if self.strict {
                anyhow::bail!("{shown}: {problem}; refusing to decide without it");
            }
            eprintln!("vouch: warning: {shown}: {problem}");
        }
        let journal_spans: Spans = view.spans.into_iter().filter(|(_, a)| a.origin != Origin::Unknown).collect();
        let spans = signoff::overlay(text.len(), &history, &journal_spans);
        if spans.iter().any(|(_, a)| a.is_ai()) {
            crate::syntax::queries::compile_soon(Language::from_path(Path::new(&path)));
        }
        let covered = covered(repo, journal, &records, &text);
        let keep = (cacheable && view.problems.is_empty()).then_some(ids);
        let content = Content::Text(text);
        let analysed = Analysed { path, blob, content, spans, journal_spans, units: Vec::new(), covered };
        Ok(Step::Units { analysed, keep })
    }

    /// [`Analysis::attribute`] for content that is not text: bytes that
    /// are not UTF-8 (history from `git blame` over the bytes, as for
    /// text) or a submodule's commit id (no history: the gate looks at a
    /// change not yet committed). The journal's records apply as
    /// [`bytes_view`] says.
    fn attribute_bytes(
        &self,
        repo: &Repository,
        path: String,
        history_path: String,
        blob: Oid,
        content: Content,
        records: &[&Record],
    ) -> anyhow::Result<Step> {
        let bytes = content.as_bytes();
        let history = if matches!(content, Content::Bytes(_)) && self.history.may_have_ai(&history_path) {
            if history_path == path {
                signoff::history_spans(repo, &path, bytes, self.bots)
            } else {
                history_of_renamed(repo, &history_path, bytes, self.bots)
            }
            .with_context(|| format!("cannot read the provenance of {path}"))?
        } else {
            Vec::new()
        };
        let view = bytes_view(repo, records, bytes);
        if let Some(problem) = view.problems.first() {
            if self.strict {
                anyhow::bail!("{path}: {problem}; refusing to decide without it");
            }
            eprintln!("vouch: warning: {path}: {problem}");
        }
        let spans = signoff::overlay(bytes.len(), &history, &view.spans);
        let analysed = Analysed {
            path,
            blob,
            spans,
            journal_spans: view.spans,
            units: Vec::new(),
            covered: view.covered,
            content,
        };
        Ok(Step::Units { analysed, keep: None })
    }

    /// The second half: the AI units, kept for later runs when they may be.
    fn finish(&self, step: Step) -> anyhow::Result<Analysed> {
        let (mut analysed, keep) = match step {
            Step::Done(analysed) => return Ok(analysed),
            Step::Units { analysed, keep } => (analysed, keep),
        };
        if analysed.spans.iter().any(|(_, a)| a.is_ai()) {
            analysed.units = units_of(&analysed.path, &analysed.content, &analysed.spans)?;
        }
        if let (Some(cache), Some(ids)) = (self.cache, keep) {
            let entry = Entry {
                spans: analysed.spans.clone(),
                journal_spans: analysed.journal_spans.clone(),
                units: analysed.units.clone(),
                covered: analysed.covered.clone(),
            };
            cache.put(&Key { path: &analysed.path, blob: analysed.blob, records: &ids }, &entry);
        }
        Ok(analysed)
    }
}

/// A file version half analysed.
enum Step {
    /// All known (kept from an earlier run).
    Done(Analysed),
    /// Attributed; its units are still to be found. `keep`: the journal
    /// records of its key, when the result may be kept.
    Units { analysed: Analysed, keep: Option<Vec<RecordId>> },
}

fn open(git_dir: &Path) -> anyhow::Result<Repository> {
    Repository::open(git_dir).with_context(|| format!("cannot open the repository at {}", git_dir.display()))
}

/// The AI units of `content`, with their lines (as git numbers them).
pub fn units_of(path: &str, content: &Content, spans: &Spans) -> anyhow::Result<Vec<(UnitFacts, usize, usize)>> {
    let text = match content {
        Content::Text(text) => text,
        Content::Bytes(bytes) => {
            let ai: Vec<Range<usize>> = spans.iter().filter(|(_, a)| a.is_ai()).map(|(r, _)| r.clone()).collect();
            let unit = crate::syntax::file_unit(bytes, &ai);
            if unit.ai_bytes == 0 {
                return Ok(Vec::new());
            }
            let lines = crate::text::LineIndex::git(bytes);
            let last = lines.line_of(bytes.len().saturating_sub(1)) + 1;
            return Ok(vec![(signoff::whole_unit_facts(unit, spans), 1, last)]);
        }
        Content::Submodule(commit) => {
            if !spans.iter().any(|(_, a)| a.is_ai()) {
                return Ok(Vec::new());
            }
            let unit = crate::syntax::submodule_unit(commit);
            return Ok(vec![(signoff::whole_unit_facts(unit, spans), 1, 1)]);
        }
    };
    let language = Language::from_path(Path::new(path));
    let mut doc = Document::new(language, text.to_string()).with_context(|| format!("cannot hold {path}"))?;
    doc.reset_provenance(spans);
    let facts = signoff::unit_facts(&mut doc);
    let lines = doc.text().git_lines();
    Ok(facts
        .into_iter()
        .map(|f| {
            let line = lines.line_of(f.unit.range.start) + 1;
            let end_line = lines.line_of(f.unit.range.end.saturating_sub(1).max(f.unit.range.start)) + 1;
            (f, line, end_line)
        })
        .collect())
}

/// The records (of one path) that a commit of `text` covers: each holds AI
/// text, all of it in `text` unchanged, and no person's mark of human
/// text (such a mark stays while it lasts). Text left out of the commit
/// (partial staging, a stash) keeps its record.
fn covered(repo: &Repository, journal: &Journal, records: &[&Record], text: &str) -> Vec<RecordId> {
    let mut out = Vec::new();
    for record in records {
        let Some(file) = record.file() else { continue };
        let ai: Vec<Range<usize>> = file.ranges().filter(|(_, a)| a.is_ai()).map(|(r, _)| r).collect();
        let marked_human =
            file.ranges().any(|(_, a)| a.origin == Origin::Human && a.evidence == Some(Evidence::Manual));
        if ai.is_empty() || marked_human {
            continue;
        }
        let Ok(old) = journal.version_text(repo, &file.blob) else { continue };
        let old = &*old;
        let unchanged = old == text || {
            let kept = unchanged_lines(old, text);
            ai.iter().all(|span| {
                let i = kept.partition_point(|r| r.end < span.end);
                kept.get(i).is_some_and(|r| r.start <= span.start && span.end <= r.end)
            })
        };
        if unchanged {
            out.push(record.id.clone());
        }
    }
    out
}

/// The journal's account of content that is not text, which has no text to
/// carry records onto; see [`bytes_view`].
#[derive(Debug, Default)]
pub struct BytesView {
    pub spans: Spans,
    /// Records whose AI bytes all occur in the content, unchanged: what a
    /// commit of it covers.
    pub covered: Vec<RecordId>,
    pub problems: Vec<String>,
}

/// The journal's attribution of `content` (bytes that are not UTF-8, or a
/// submodule's commit id in hex), from the live `records` of its path, in
/// time order, later ones painted over earlier ones. A record of this very
/// content applies as it is. A record of another version applies where
/// each of its AI byte runs occurs in `content`; if one of them no longer
/// occurs (it was edited), AI text was changed in a way vouch cannot follow
/// through bytes it cannot parse, so all of `content` is AI: AI origin is
/// sticky, and the file is one unit anyway. A record whose version cannot
/// be read is a problem, and its AI covers all of `content` too.
pub fn bytes_view(repo: &Repository, records: &[&Record], content: &[u8]) -> BytesView {
    let current = Oid::hash_object(git2::ObjectType::Blob, content).ok().map(|id| id.to_string());
    let mut map = crate::provenance::ProvenanceMap::from_ranges(content.len(), &[]);
    let mut view = BytesView::default();
    for record in records {
        let Some(file) = record.file() else { continue };
        let ai: Vec<(Range<usize>, &Attribution)> = file.ranges().filter(|(_, a)| a.is_ai()).collect();
        let marked_human =
            file.ranges().any(|(_, a)| a.origin == Origin::Human && a.evidence == Some(Evidence::Manual));
        if current.as_deref() == Some(file.blob.as_str()) {
            for (range, attr) in file.ranges() {
                let range = range.start.min(content.len())..range.end.min(content.len());
                let id = map.intern(attr);
                map.set(range, id);
            }
            if !ai.is_empty() && !marked_human {
                view.covered.push(record.id.clone());
            }
            continue;
        }
        if ai.is_empty() {
            continue;
        }
        let old = Oid::from_str(&file.blob).ok().and_then(|id| repo.find_blob(id).ok()).map(|b| b.content().to_vec());
        let Some(old) = old else {
            view.problems
                .push(format!("journal record {} names file version {}, which cannot be read", record.id, file.blob));
            let id = map.intern(ai[0].1);
            map.set(0..content.len(), id);
            continue;
        };
        let found: Option<Vec<(Range<usize>, &Attribution)>> = ai
            .iter()
            .map(|(range, attr)| {
                let run = old.get(range.clone())?;
                let at = find_bytes(content, run)?;
                Some((at..at + run.len(), *attr))
            })
            .collect();
        match found {
            Some(found) => {
                for (range, attr) in found {
                    let id = map.intern(attr);
                    map.set(range, id);
                }
                if !marked_human {
                    view.covered.push(record.id.clone());
                }
            }
            None => {
                let id = map.intern(ai[0].1);
                map.set(0..content.len(), id);
            }
        }
    }
    view.spans = map.to_vec().into_iter().filter(|(_, a)| a.origin != Origin::Unknown).collect();
    view
}

/// Where `needle` first occurs in `haystack`.
fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The byte ranges of `old` that a line diff finds unchanged in `new`,
/// sorted, touching runs merged.
fn unchanged_lines(old: &str, new: &str) -> Vec<Range<usize>> {
    use similar::{Algorithm, DiffTag, TextDiff};
    let lines = TextDiff::configure().algorithm(Algorithm::Myers).diff_lines(old, new);
    let mut starts = Vec::with_capacity(lines.old_slices().len() + 1);
    let mut at = 0;
    for s in lines.old_slices() {
        starts.push(at);
        at += s.len();
    }
    starts.push(at);
    let mut out: Vec<Range<usize>> = Vec::new();
    for op in lines.ops().iter().filter(|op| op.tag() == DiffTag::Equal) {
        let range = starts[op.old_range().start]..starts[op.old_range().end];
        match out.last_mut() {
            Some(last) if last.end == range.start => last.end = range.end,
            _ => out.push(range),
        }
    }
    out
}

/// How units are judged: the policy, the records, who authors the commit;
/// the judging itself is [`Ledger::judge`], the one every front end asks.
pub struct Verdicts<'a> {
    pub policy: &'a Policy,
    pub ledger: &'a Ledger,
    /// Who authors (or will author) the commit: they may not approve.
    pub authors: Vec<String>,
    /// Whether an approval's signature verifies (see
    /// [`crate::store::signature`]); only asked when the policy requires
    /// signatures.
    pub verified: signoff::Verified<'a>,
}

impl Verdicts<'_> {
    /// Judge the AI units of `file`.
    pub fn judge(&self, file: &Analysed) -> Vec<JudgedUnit> {
        file.units
            .iter()
            .map(|(facts, line, end_line)| {
                let judgement = self.ledger.judge(self.policy, &file.path, facts, &self.authors, self.verified);
                let blocking = judgement.assessment.status.is_blocking()
                    && (!facts.suspected || self.policy.detection().heuristic_blocks);
                let retired = self
                    .ledger
                    .approvals
                    .retired_for_unit(&self.ledger.requests, &file.path, &facts.unit.kind, facts.unit.name.as_deref())
                    .into_iter()
                    .map(crate::store::records::describe_not_counted)
                    .collect();
                JudgedUnit {
                    path: file.path.clone(),
                    line: *line,
                    end_line: *end_line,
                    facts: facts.clone(),
                    judgement,
                    blocking,
                    retired,
                }
            })
            .collect()
    }
}

/// One AI-written unit and where it stands.
#[derive(Debug, Clone)]
pub struct JudgedUnit {
    pub path: String,
    /// 1-based lines of the unit.
    pub line: usize,
    pub end_line: usize,
    pub facts: UnitFacts,
    pub judgement: Judgement,
    /// The gate refuses it: it lacks sign-off, and its AI text is not
    /// merely suspected (unless the policy's `heuristic_blocks` says so).
    pub blocking: bool,
    /// Decisions made for this unit under a fingerprint version that no
    /// longer counts, described (see [`crate::store::records::FingerprintStanding`]).
    pub retired: Vec<String>,
}

impl JudgedUnit {
    /// The unit lacks the sign-off the policy requires.
    pub fn lacks_signoff(&self) -> bool {
        self.judgement.assessment.status.is_blocking()
    }

    /// `approved`, `rejected`, `requested`, `pending`, `not-required`, or
    /// `suspected` (heuristic AI text nobody has classified yet).
    pub fn state(&self) -> &'static str {
        match &self.judgement.assessment.status {
            _ if self.facts.suspected && self.lacks_signoff() => "suspected",
            Status::NotRequired => "not-required",
            Status::Approved { .. } => "approved",
            Status::Rejected { .. } => "rejected",
            Status::Requested { .. } => "requested",
            Status::Pending { .. } => "pending",
        }
    }

    /// Why it stands where it does, in words.
    pub fn reason(&self) -> String {
        if self.facts.suspected && self.lacks_signoff() {
            return format!(
                "suspected AI text (a large insertion nobody classified); {}",
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

    /// The people who may not sign it off, lowercase, deduplicated.
    pub fn excluded(&self) -> Vec<String> {
        self.judgement.participants.everyone()
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

    /// `function `name``, or the kind alone.
    pub fn label(&self) -> String {
        signoff::unit_label(&self.facts.unit)
    }

    /// Why the decisions on it that do not count do not: the policy's
    /// refusals, then those of a fingerprint version that no longer counts.
    pub fn not_counted(&self) -> Vec<String> {
        let refused = self.judgement.assessment.ignored.iter().map(|i| i.refusal.to_string());
        refused.chain(self.retired.iter().cloned()).collect()
    }

    /// The ids of the approvals that count for it.
    pub fn approval_ids(&self, ledger: &Ledger) -> Vec<String> {
        let Status::Approved { by } = &self.judgement.assessment.status else { return Vec::new() };
        ledger
            .approvals
            .for_fingerprint(&self.facts.unit.fingerprint)
            .iter()
            .filter(|a| {
                a.record.decision == crate::policy::Verdict::Approve
                    && by.iter().any(|b| b.eq_ignore_ascii_case(&a.record.reviewer.email))
            })
            .map(|a| a.id.clone())
            .collect()
    }
}

/// The signature check for approvals under `policy`, with the allowed
/// signers of `source`. When the policy requires no signatures nothing is
/// read. Strict (the gate), an allowed-signers file that cannot be read is
/// an error; otherwise a warning, and no signature verifies.
pub fn verifier(
    ctx: &Context,
    policy: &Policy,
    source: &Source,
    strict: bool,
) -> anyhow::Result<super::worktree::Verifier> {
    if !policy.require_signatures() {
        return Ok(Box::new(|_| None));
    }
    match signature::approval_verifier_at(&ctx.repo, policy, source) {
        Ok(verified) => Ok(verified),
        Err(e) if strict => Err(anyhow::Error::new(e).context("cannot check approvals' signatures")),
        Err(e) => {
            eprintln!("vouch: warning: {e}; no approval's signature can be verified");
            Ok(Box::new(|_| None))
        }
    }
}

/// Which version of the files to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The index `git commit` will commit.
    Staged,
    /// The files on disk.
    Worktree,
}

impl Version {
    pub fn label(self) -> &'static str {
        match self {
            Version::Staged => "index",
            Version::Worktree => "worktree",
        }
    }
}

/// The files that `version` changes against HEAD (and, on disk, the files
/// the journal holds records for), in path order, whatever their bytes.
pub fn changed_files(ctx: &Context, version: Version, loaded: &Loaded) -> anyhow::Result<Vec<FileVersion>> {
    list_changed(ctx, version)?.finish(ctx, loaded)
}

/// The files git sees changed in `version` against HEAD; see [`Listed`].
pub fn list_changed(ctx: &Context, version: Version) -> anyhow::Result<Listed> {
    match version {
        Version::Staged => {
            let mut index = crate::store::repo::index(&ctx.repo).context("cannot read the index")?;
            list_staged(ctx, &mut index)
        }
        Version::Worktree => {
            let mut found = Vec::new();
            for path in super::files::worktree_changed(&ctx.repo)? {
                found.extend(read_worktree_file(ctx, path)?);
            }
            Ok(Listed { version, found })
        }
    }
}

/// The files `index` (the index `git commit` will commit) changes against
/// HEAD; see [`Listed`].
pub fn list_staged(ctx: &Context, index: &mut git2::Index) -> anyhow::Result<Listed> {
    let repo = &ctx.repo;
    let mut found = Vec::new();
    for changed in super::files::staged(repo, index)? {
        let content = super::files::content(repo, &changed)?;
        let history = changed.from.unwrap_or_else(|| changed.path.clone());
        found.push(Found { path: changed.path, history_path: history, blob: changed.blob, content });
    }
    Ok(Listed { version: Version::Staged, found })
}

/// A changed file version.
struct Found {
    path: String,
    history_path: String,
    blob: Oid,
    content: Content,
}

/// The files git sees changed, from [`list_changed`]: read before the
/// journal is, which [`Listed::finish`] then takes into account.
pub struct Listed {
    version: Version,
    found: Vec<Found>,
}

impl Listed {
    /// The files to look at, given the journal: on disk, also the files it
    /// holds records for. Every one is looked at, whatever its bytes. In
    /// path order.
    pub fn finish(self, ctx: &Context, loaded: &Loaded) -> anyhow::Result<Vec<FileVersion>> {
        let mut found = self.found;
        if self.version == Version::Worktree {
            let mut extra: Vec<&str> =
                loaded.live().filter_map(|r| r.path()).filter(|p| !found.iter().any(|f| f.path == *p)).collect();
            extra.sort_unstable();
            extra.dedup();
            for path in extra {
                found.extend(read_worktree_file(ctx, path.to_string())?);
            }
            found.sort_by(|a, b| a.path.cmp(&b.path));
        }
        Ok(found
            .into_iter()
            .map(|Found { path, history_path, blob, content }| FileVersion { path, history_path, blob, content })
            .collect())
    }
}

/// The file at `path` on disk, if it is a regular file, or the submodule
/// checked out there.
fn read_worktree_file(ctx: &Context, path: String) -> anyhow::Result<Option<Found>> {
    Ok(super::files::worktree_content(&ctx.repo, &ctx.root, &path)?.map(|(blob, content)| Found {
        history_path: path.clone(),
        path,
        blob,
        content,
    }))
}

/// The ledger, read on another thread (through its own handle on the
/// repository at `root`) while the caller does other work.
pub fn ledger_in_background<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    root: &'scope Path,
    strict: bool,
) -> std::thread::ScopedJoinHandle<'scope, anyhow::Result<Ledger>> {
    scope.spawn(move || {
        let ctx = Context::open_at(root)?;
        if strict { ctx.ledger_strict() } else { ctx.ledger() }
    })
}

/// Wait for [`ledger_in_background`].
pub fn join_ledger(handle: std::thread::ScopedJoinHandle<'_, anyhow::Result<Ledger>>) -> anyhow::Result<Ledger> {
    handle.join().unwrap_or_else(|_| Err(anyhow::anyhow!("reading the records panicked")))
}

/// History spans of `text`, the new content of a file that HEAD has at
/// `old_path` (a staged rename): blamed against that path.
fn history_of_renamed(
    repo: &Repository,
    old_path: &str,
    text: &(impl AsRef<[u8]> + ?Sized),
    bots: &[String],
) -> Result<Vec<(Range<usize>, Attribution)>, history::HistoryError> {
    let text = text.as_ref();
    let in_head =
        repo.head().and_then(|h| h.peel_to_tree()).and_then(|t| t.get_path(std::path::Path::new(old_path))).is_ok();
    if !in_head {
        return Ok(Vec::new());
    }
    let origins = history::blame_contents(repo, old_path, Some("HEAD"), text, bots)?;
    Ok(history::line_origins_to_spans(text, &origins))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::AiSource;

    #[test]
    fn unchanged_lines_of_a_version() {
        let old = "a\nb\nc\nd\n";
        assert_eq!(unchanged_lines(old, "a\nb\nX\nd\n"), vec![0..4, 6..8]);
        assert_eq!(unchanged_lines(old, old), vec![0..8]);
        assert_eq!(unchanged_lines(old, "new\na\nb\nc\nd\n"), vec![0..8]);
    }

    #[test]
    fn the_journal_paints_over_history() {
        let ai = Attribution::ai(
            AiSource { tool: "t".into(), model: None, session: None, kind: None },
            Evidence::History,
            None,
        );
        let human = Attribution { origin: Origin::Human, evidence: Some(Evidence::Manual), accepted_by: None };
        let got = signoff::overlay(10, &[(0..6, ai.clone())], &[(4..8, human.clone())]);
        assert_eq!(got, vec![(0..4, ai), (4..8, human)]);
    }
}
