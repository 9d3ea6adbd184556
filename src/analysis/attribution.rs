//! What is known of who wrote a file version: the journal's records of
//! uncommitted provenance ([`view`]), history's account of committed lines
//! ([`display_spans`], for what a person is shown: blame, hover), and the
//! review units of a text with given AI lines ([`units_of`]). Where each
//! unit stands is [`super::judge`]'s; which lines `vouch verify` will ask
//! about is [`super::scope`]'s.
//!
//! Nothing is left unread: a file that is not UTF-8 is one unit over its
//! bytes, and a submodule change one unit over its commit id
//! ([`crate::syntax::blob`]).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use anyhow::Context as _;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

use super::ai_paths::AiPaths;
use super::cache::{AnalysisCache, Key};
use crate::document::Document;
use crate::provenance::{AiDeletion, Attribution, Evidence, Origin, Spans};
use crate::signoff::{self, UnitFacts};
use crate::store::history;
use crate::store::journal::{Journal, Loaded, Record, RecordId};
use crate::syntax::{Content, Language};

/// Worker threads for the per-file work, at most.
const MAX_WORKERS: usize = 4;

/// One version of one file (or submodule) to look at.
#[derive(Debug, Clone)]
pub struct FileVersion {
    pub path: String,
    /// Where HEAD has the file (its path before a staged rename).
    pub history_path: String,
    /// The blob of this version; for a submodule, its commit.
    pub blob: Oid,
    pub content: Content,
}

/// The journal's account of a file version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// The journal's attributed ranges (nothing unknown).
    pub spans: Spans,
    /// Where agents removed lines, as byte offsets of the version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<AiDeletion>,
    /// Live journal records of the path whose AI text is all in this
    /// version, unchanged: what a commit of it retires.
    pub covered: Vec<RecordId>,
    /// Records that could not be applied, said in words.
    #[serde(skip)]
    pub problems: Vec<String>,
}

/// What reading the journal's view of file versions needs, read once.
pub struct Views<'a> {
    pub journal: &'a Journal,
    pub loaded: &'a Loaded,
    /// Fail on any journal record that cannot be applied (the gate).
    pub strict: bool,
    /// Where views are kept between runs, if they are.
    pub cache: Option<&'a AnalysisCache>,
}

impl Views<'_> {
    /// The journal's view of `file`: kept from an earlier run when its
    /// records are the same, else worked out (and kept).
    pub fn view(&self, repo: &Repository, file: &FileVersion) -> anyhow::Result<View> {
        let own = self.view_of(repo, file, &file.path)?;
        if file.history_path == file.path {
            return Ok(own);
        }
        // A file the next commit renames: what the journal holds of its old
        // path is of this text too (an agent's one-line edit or removal,
        // which no search for moved blocks finds), under what the new
        // path's records say.
        let before = self.view_of(repo, file, &file.history_path)?;
        let mut view =
            View { spans: signoff::overlay(file.content.as_bytes().len(), &before.spans, &own.spans), ..own };
        for d in before.deletions {
            if !view.deletions.iter().any(|e| e.at == d.at) {
                view.deletions.push(d);
            }
        }
        view.covered.extend(before.covered);
        view.problems.extend(before.problems);
        Ok(view)
    }

    /// [`Views::view`] of `file` by the records of `path`.
    fn view_of(&self, repo: &Repository, file: &FileVersion, path: &str) -> anyhow::Result<View> {
        let records = self.loaded.records_for(path);
        if records.is_empty() {
            return Ok(View::default());
        }
        let key = records.iter().fold(Key::new("view").with(path).with(file.blob), |key, r| key.with(r.id.as_str()));
        if let Some(kept) = self.cache.and_then(|c| c.get::<View>(&key)) {
            return Ok(kept);
        }
        let view = match &file.content {
            Content::Text(text) => {
                let view = self
                    .journal
                    .view(repo, self.loaded, path, text)
                    .with_context(|| format!("cannot read the provenance of {path}"))?;
                let spans: Spans = view.spans.into_iter().filter(|(_, a)| a.origin != Origin::Unknown).collect();
                let covered = covered(repo, self.journal, &records, text, &view.unchanged);
                let problems = view.problems.iter().map(ToString::to_string).collect();
                View { spans, deletions: view.deletions, covered, problems }
            }
            other => {
                let view = bytes_view(repo, &records, other.as_bytes());
                View { spans: view.spans, deletions: Vec::new(), covered: view.covered, problems: view.problems }
            }
        };
        if let Some(problem) = view.problems.first() {
            let (shown, problem) = (crate::display::line(path), crate::display::line(problem).into_owned());
            if self.strict {
                anyhow::bail!("{shown}: {problem}; refusing to decide without it");
            }
            eprintln!("vouch: warning: {shown}: {problem}");
        } else if let Some(cache) = self.cache {
            cache.put(&key, &view);
        }
        Ok(view)
    }

    /// [`Views::view`] of every file, on up to [`MAX_WORKERS`] threads
    /// (each with its own handle on `repo`), in the order given, with the
    /// AI text each received from elsewhere ([`Views::moved_in`]).
    pub fn all(&self, repo: &Repository, files: &[FileVersion]) -> anyhow::Result<Vec<View>> {
        let views = parallel(repo.path(), files, |repo, file| self.view(repo, file))?;
        self.moved_in(repo, files, views, |_| true)
    }

    /// [`Views::view`] of one file, with the AI text it received from files
    /// the working tree at `root` no longer has ([`Views::moved_in`]): what
    /// the language server shows of a file renamed from one an agent wrote,
    /// as the gate will judge it. (Text moved between files the editor
    /// holds, it follows itself as it is cut and pasted; looking through
    /// every live record at each file it reads would cost the square of
    /// them.)
    pub fn view_moved_in(&self, repo: &Repository, root: &Path, file: &FileVersion) -> anyhow::Result<View> {
        let view = self.view(repo, file)?;
        let gone = |r: &Record| r.path().is_some_and(|p| std::fs::symlink_metadata(root.join(p)).is_err());
        Ok(self.moved_in(repo, std::slice::from_ref(file), vec![view], gone)?.pop().unwrap_or_default())
    }

    /// AI text moved before it is committed: a file renamed, a function
    /// moved into another file or elsewhere in its own. The journal records
    /// an agent's text at the path it wrote; the live records whose AI text
    /// `views` do not hold in place (none of them covers the record) give
    /// their AI lines, and a block of lines of `files` equal to them
    /// (whitespace aside, never a lone line: [`crate::lineage::moved_blocks`])
    /// that no record calls AI where it is is AI, as the record says. AI
    /// origin is sticky through moves before a commit as within the range.
    /// A record whose every such line landed in `files` is covered by the
    /// file that holds most of them: the commit retires it. Only the records
    /// `looked_at` are looked at.
    fn moved_in(
        &self,
        repo: &Repository,
        files: &[FileVersion],
        mut views: Vec<View>,
        looked_at: impl Fn(&Record) -> bool,
    ) -> anyhow::Result<Vec<View>> {
        let covered: HashSet<&RecordId> = views.iter().flat_map(|v| &v.covered).collect();
        let away: Vec<&Record> = self
            .loaded
            .live()
            .filter(|r| !covered.contains(&r.id) && looked_at(r))
            .filter(|r| r.file().is_some_and(|f| f.removed.is_none() && f.ranges().any(|(_, a)| a.is_ai())))
            .collect();
        if away.is_empty() {
            return Ok(views);
        }
        // Each AI line's text (by its move key), as the latest record has it.
        let mut known: HashMap<u64, (usize, Attribution)> = HashMap::new();
        // The AI lines with no key (a lone `}`, `});`), by the key of the AI
        // line they follow and their text, trimmed.
        let mut follows: HashSet<(u64, Vec<u8>)> = HashSet::new();
        let mut keys_of: Vec<HashSet<u64>> = vec![HashSet::new(); away.len()];
        for (i, record) in away.iter().enumerate() {
            let Some(file) = record.file() else { continue };
            let read = self.journal.version_text(repo, &file.blob);
            let raw: Vec<u8>;
            let text: &[u8] = match &read {
                Ok(text) => text.as_bytes(),
                // Said by the view of its own path, when that is viewed.
                Err(_) if files.iter().any(|f| record.path() == Some(f.path.as_str())) => continue,
                Err(e) => {
                    // Bytes that are not UTF-8 (one unit where they are): their
                    // lines are looked for in other files all the same.
                    if let Some(bytes) = not_utf8(repo, &file.blob) {
                        raw = bytes;
                        &raw
                    } else {
                        // Its AI text cannot be looked for elsewhere: said, and
                        // the gate refuses to decide without it.
                        let path = crate::display::line(record.path().unwrap_or_default()).into_owned();
                        let problem = format!("{path}: journal record {}: {}", record.id, crate::display::line(e));
                        if self.strict {
                            anyhow::bail!("{problem}; refusing to decide without it");
                        }
                        eprintln!("vouch: warning: {problem}");
                        continue;
                    }
                }
            };
            let lines = crate::store::notes::line_spans(text);
            // A patch the agent wrote brings its added lines where it is
            // applied, without their `+`; the lines it quotes or removes
            // are not its text.
            let brought = crate::lineage::brought_lines(&lines.iter().map(|l| &text[l.clone()]).collect::<Vec<_>>());
            for (range, attr) in file.ranges().filter(|(_, a)| a.is_ai()) {
                let mut last_key = None;
                for (j, _) in lines.iter().enumerate().filter(|(_, l)| l.start < range.end && range.start < l.end) {
                    let Some(line) = brought[j] else { continue };
                    match crate::lineage::move_key(line) {
                        Some(key) => {
                            known.insert(key, (i, attr.clone()));
                            keys_of[i].insert(key);
                            last_key = Some(key);
                        }
                        None if !line.trim_ascii().is_empty() => {
                            if let Some(key) = last_key {
                                follows.insert((key, line.trim_ascii().to_vec()));
                            }
                        }
                        None => last_key = None,
                    }
                }
            }
        }
        let mut landed: Vec<HashSet<u64>> = vec![HashSet::new(); away.len()];
        let mut landed_in: Vec<HashMap<usize, usize>> = vec![HashMap::new(); away.len()];
        for (f, (file, view)) in files.iter().zip(views.iter_mut()).enumerate() {
            let Content::Text(text) = &file.content else { continue };
            let spans = crate::store::notes::line_spans(text.as_bytes());
            let lines: Vec<&[u8]> = spans.iter().map(|r| &text.as_bytes()[r.clone()]).collect();
            let ai = |r: &Range<usize>| view.spans.iter().any(|(s, a)| a.is_ai() && s.start < r.end && r.start < s.end);
            let eligible: Vec<bool> = spans.iter().map(|r| !ai(r)).collect();
            let moved = crate::lineage::moved_blocks(&lines, &eligible, |key| known.contains_key(&key));
            if moved.is_empty() {
                continue;
            }
            let mut found: Spans = Vec::with_capacity(moved.len());
            for j in moved {
                let Some(key) = crate::lineage::move_key(lines[j]) else { continue };
                let Some((i, attr)) = known.get(&key) else { continue };
                landed[*i].insert(key);
                *landed_in[*i].entry(f).or_default() += 1;
                found.push((spans[j].clone(), attr.clone()));
                // The lines with no letter that followed it in the agent's
                // text, and follow it here.
                for k in j + 1..lines.len() {
                    let text = lines[k].trim_ascii();
                    if !eligible[k] || text.is_empty() || !follows.contains(&(key, text.to_vec())) {
                        break;
                    }
                    found.push((spans[k].clone(), attr.clone()));
                }
            }
            view.spans = signoff::overlay(text.len(), &view.spans, &found);
        }
        for (i, record) in away.iter().enumerate() {
            if keys_of[i].is_empty() || !keys_of[i].is_subset(&landed[i]) {
                continue;
            }
            if let Some((&f, _)) = landed_in[i].iter().max_by_key(|&(&f, &n)| (n, std::cmp::Reverse(f))) {
                views[f].covered.push(record.id.clone());
            }
        }
        Ok(views)
    }
}

/// Run `work` over `items` on up to [`MAX_WORKERS`] threads, each opening
/// the repository at `git_dir` for itself; results in the order given.
pub fn parallel<T: Sync, R: Send>(
    git_dir: &Path,
    items: &[T],
    work: impl Fn(&Repository, &T) -> anyhow::Result<R> + Sync,
) -> anyhow::Result<Vec<R>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_WORKERS).min(items.len());
    if workers <= 1 {
        let repo = open(git_dir)?;
        return items.iter().map(|item| work(&repo, item)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<anyhow::Result<Vec<(usize, R)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (work, next) = (&work, &next);
                scope.spawn(move || -> anyhow::Result<Vec<(usize, R)>> {
                    let repo = open(git_dir)?;
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, work(&repo, item)?));
                    }
                    Ok(mine)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a worker thread panicked"))))
            .collect()
    });
    let mut all: Vec<(usize, R)> = Vec::with_capacity(items.len());
    for result in results {
        all.extend(result?);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

fn open(git_dir: &Path) -> anyhow::Result<Repository> {
    Repository::open(git_dir).with_context(|| format!("cannot open the repository at {}", git_dir.display()))
}

/// Everything known of who wrote `file`, for a person to see (blame, the
/// editor's hover): history's account of its lines (`git blame` against
/// HEAD, with notes, trailers and bots; only where `ai_paths` says history
/// may hold AI text), with the journal's `view` laid over it (it is
/// newer). Whether a unit needs sign-off is not decided from this: see
/// [`super::scope`].
pub fn display_spans(
    repo: &Repository,
    ai_paths: &AiPaths,
    bots: &[String],
    file: &FileVersion,
    view: &View,
) -> anyhow::Result<Spans> {
    let history = displayed_history(repo, ai_paths, bots, file)?;
    Ok(signoff::overlay(file.content.len(), &history, &view.spans))
}

/// History's part of [`display_spans`]: what it lays the journal's view
/// over.
pub fn displayed_history(
    repo: &Repository,
    ai_paths: &AiPaths,
    bots: &[String],
    file: &FileVersion,
) -> anyhow::Result<Spans> {
    Ok(match &file.content {
        Content::Submodule(_) => Vec::new(),
        content if ai_paths.may_have_ai(&file.history_path) => {
            history_spans(repo, &file.history_path, content.as_bytes(), bots)
                .with_context(|| format!("cannot read the history of {}", file.path))?
        }
        _ => Vec::new(),
    })
}

/// History's attribution of `text`, the new content of a file HEAD has at
/// `path`: lines that HEAD's commits attribute to AI (notes, trailers,
/// bots, git-ai), as blamed against `text` itself, so uncommitted lines are
/// unknown. A path HEAD does not have has no history.
pub fn history_spans(
    repo: &Repository,
    path: &str,
    text: &[u8],
    bots: &[String],
) -> Result<Spans, history::HistoryError> {
    let in_head = repo.head().and_then(|h| h.peel_to_tree()).and_then(|t| t.get_path(Path::new(path))).is_ok();
    if !in_head {
        return Ok(Vec::new());
    }
    let origins = history::blame_contents(repo, path, Some("HEAD"), text, bots)?;
    Ok(history::line_origins_to_spans(text, &origins))
}

/// A unit with AI text and its 1-based first and last lines (as git numbers
/// them).
pub type UnitAt = (UnitFacts, usize, usize);

/// The AI units of `content` (the version `blob` of `path`) whose AI text
/// is `spans`, with the units AI `deletions` changed, kept in `cache` by
/// what they depend on: the path (its language), the blob, the attributed
/// ranges and the deletions.
pub fn units_cached(
    cache: Option<&AnalysisCache>,
    path: &str,
    blob: Oid,
    content: &Content,
    spans: &Spans,
    deletions: &[AiDeletion],
) -> anyhow::Result<Vec<UnitAt>> {
    if !spans.iter().any(|(_, a)| a.is_ai()) && deletions.is_empty() {
        return Ok(Vec::new());
    }
    let key = cache.map(|_| {
        let mut described = serde_json::to_string(spans).unwrap_or_default();
        if !deletions.is_empty() {
            described.push_str(&serde_json::to_string(deletions).unwrap_or_default());
        }
        Key::new("units").with(path).with(blob).with(crate::fingerprint::sha256_hex(described.as_bytes()))
    });
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Some(kept) = cache.get::<Vec<UnitAt>>(key)
    {
        return Ok(kept);
    }
    let units = units_changed(path, content, spans, deletions)?;
    if let (Some(cache), Some(key)) = (cache, &key) {
        cache.put(key, &units);
    }
    Ok(units)
}

/// The AI units of `content`, with their lines (as git numbers them).
pub fn units_of(path: &str, content: &Content, spans: &Spans) -> anyhow::Result<Vec<UnitAt>> {
    units_changed(path, content, spans, &[])
}

/// The AI units of `content` and the units AI `deletions` (byte offsets of
/// a text) changed ([`signoff::add_deletions`]), with their lines (as git
/// numbers them).
pub fn units_changed(
    path: &str,
    content: &Content,
    spans: &Spans,
    deletions: &[AiDeletion],
) -> anyhow::Result<Vec<UnitAt>> {
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
    let mut facts = signoff::unit_facts(&mut doc);
    signoff::add_deletions(&mut doc, &mut facts, deletions);
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

/// Add to `deletions` (of `text`, a file renamed from one whose text was
/// `before`) the lines it left out where `spans` call it AI on both sides
/// ([`crate::lineage::left_out`]), at places that have none yet: what the
/// gate and the commit's note count of an agent that rewrote a file under
/// another name.
pub fn add_left_out(before: &str, text: &str, spans: &Spans, deletions: &mut Vec<AiDeletion>) {
    if !spans.iter().any(|(_, a)| a.is_ai()) {
        return;
    }
    let ai = crate::provenance::line_attributions(text.as_bytes(), spans);
    let starts = crate::store::notes::line_spans(text.as_bytes());
    for (gap, lines, first, attribution) in crate::lineage::left_out(before.as_bytes(), text.as_bytes(), &ai) {
        let at = starts.get(gap).map_or(text.len(), |l| l.start);
        if !deletions.iter().any(|d| d.at == at) {
            deletions.push(AiDeletion { at, lines, first, attribution, replaced: 0 });
        }
    }
    deletions.sort_by_key(|d| d.at);
}

/// The records (of one path) that a commit of `text` covers: each holds AI
/// text or AI deletions, all of its AI text in `text` unchanged and the
/// lines around each of its deletions too, and no person's mark of human
/// text (such a mark stays while it lasts). Text left out of the commit
/// (partial staging, a stash) keeps its record.
fn covered(
    repo: &Repository,
    journal: &Journal,
    records: &[&Record],
    text: &str,
    unchanged: &crate::store::journal::Unchanged,
) -> Vec<RecordId> {
    let mut out = Vec::new();
    for record in records {
        let Some(file) = record.file() else { continue };
        let ai: Vec<Range<usize>> = file.ranges().filter(|(_, a)| a.is_ai()).map(|(r, _)| r).collect();
        let marked_human =
            file.ranges().any(|(_, a)| a.origin == Origin::Human && a.evidence == Some(Evidence::Manual));
        if (ai.is_empty() && file.deletions.is_empty()) || marked_human {
            continue;
        }
        let Ok(old) = journal.version_text(repo, &file.blob) else { continue };
        let old = &*old;
        let intact = old == text || {
            // The view's line diff of this version, when it made one.
            let computed;
            let kept: &[Range<usize>] = match unchanged.get(&file.blob) {
                Some(kept) => kept,
                None => {
                    computed = crate::provenance::unchanged_lines(old, text);
                    &computed
                }
            };
            ai.iter().all(|span| {
                let i = kept.partition_point(|r| r.end < span.end);
                kept.get(i).is_some_and(|r| r.start <= span.start && span.end <= r.end)
            }) && deletions_kept(old, text, &file.deletions)
        };
        if intact {
            out.push(record.id.clone());
        }
    }
    out
}

/// Whether every deletion of `old` (byte offsets) is in `new`: the lines
/// around it next to each other there too (not put back, nor left out of
/// the commit by partial staging).
fn deletions_kept(old: &str, new: &str, deletions: &[AiDeletion]) -> bool {
    if deletions.is_empty() {
        return true;
    }
    let old_lines = crate::lineage::split_lines(old.as_bytes());
    let new_lines = crate::lineage::split_lines(new.as_bytes());
    let starts = crate::store::notes::line_spans(old.as_bytes());
    let gaps: Vec<usize> = deletions.iter().map(|d| starts.partition_point(|l| l.start < d.at)).collect();
    crate::lineage::gaps_kept(&old_lines, &new_lines, &gaps).into_iter().all(|kept| kept)
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

/// The bytes of the file version (blob) `hex`, when it is here and is not
/// UTF-8.
fn not_utf8(repo: &Repository, hex: &str) -> Option<Vec<u8>> {
    let blob = Oid::from_str(hex).and_then(|id| repo.find_blob(id)).ok()?;
    std::str::from_utf8(blob.content()).is_err().then(|| blob.content().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::AiSource;

    #[test]
    fn unchanged_lines_of_a_version() {
        use crate::provenance::unchanged_lines;
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
        let human =
            Attribution { origin: Origin::Human, evidence: Some(Evidence::Manual), accepted_by: None, intent: None };
        let got = signoff::overlay(10, &[(0..6, ai.clone())], &[(4..8, human.clone())]);
        assert_eq!(got, vec![(0..4, ai), (4..8, human)]);
    }
}
