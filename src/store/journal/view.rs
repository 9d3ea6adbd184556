//! The view: the attribution of a file's current text, computed from the
//! live records for its path and the file versions (blobs) they describe.
//! Pure: the caller supplies the blobs' text.
//!
//! Records apply in time order, later overriding earlier. The latest
//! snapshot and the records after it are *fresh*: each is carried from its
//! version onto the current text as [`crate::provenance::reanchor`] does
//! (unchanged text keeps its attribution; changed text inherits from the one
//! span it replaced or sits inside), and for a snapshot the text it does not
//! attribute is of unknown origin. Records older than the latest snapshot are
//! *stale*: the snapshot speaks for the text it holds, but a stale record's
//! span still counts where its text is back unchanged (text that left and
//! came back: a stash and pop, a branch switch and back, an undo).
//!
//! By strength of evidence, from weakest to strongest, each painted over the
//! one before: inherited guesses of fresh records, unchanged spans of stale
//! records, unchanged text of fresh records. So a snapshot that saw no AI
//! text around a popped stash does not hide it by guessing, while what a
//! fresh record saw unchanged always wins.

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

use super::record::{Record, RecordId};
use crate::provenance::{
    AiDeletion, Attribution, Hunk, Origin, ProvenanceMap, diff, line_diff_and_unchanged_lines,
    whole_line_diff_and_unchanged_lines,
};

/// Where the spans of one file version land in a newer text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Carried {
    /// Unchanged text: its range in the new text and the span it lies in.
    pub(super) exact: Vec<(Range<usize>, usize)>,
    /// Changed text inside one span: it inherits that span.
    pub(super) guessed: Vec<(Range<usize>, usize)>,
}

/// Carry `spans` (sorted, disjoint, non-empty byte ranges of a text of
/// `old_len` bytes) through `hunks` (from [`diff`]). Text that replaced a
/// block of lines named in `other_text` (old ranges: a block replaced by
/// another text) inherits no span: it is not an edit of what stood there.
pub(super) fn carry(spans: &[Range<usize>], old_len: usize, hunks: &[Hunk], other_text: &[Range<usize>]) -> Carried {
    let hunks = normalize(hunks);
    let mut unchanged = Vec::with_capacity(hunks.len() + 1);
    let mut replaced = Vec::with_capacity(hunks.len());
    let (mut old_at, mut new_at) = (0, 0);
    for (old, new_len) in hunks {
        unchanged.push((old_at..old.start, new_at));
        new_at += old.start - old_at;
        replaced.push((old.clone(), new_at..new_at + new_len));
        new_at += new_len;
        old_at = old.end;
    }
    unchanged.push((old_at..old_len, new_at));

    let mut carried = Carried::default();
    let mut first = 0;
    for (seg, new_start) in unchanged {
        while first < spans.len() && spans[first].end <= seg.start {
            first += 1;
        }
        for (i, span) in spans.iter().enumerate().skip(first).take_while(|(_, s)| s.start < seg.end) {
            let (start, end) = (span.start.max(seg.start), span.end.min(seg.end));
            if start < end {
                carried.exact.push((new_start + (start - seg.start)..new_start + (end - seg.start), i));
            }
        }
    }
    for (old, new) in replaced.into_iter().filter(|(_, new)| !new.is_empty()) {
        let i = spans.partition_point(|s| s.end <= old.start);
        let Some(span) = spans.get(i) else { continue };
        let inside = if old.is_empty() {
            span.start < old.start && old.start < span.end
        } else {
            span.start <= old.start && old.end <= span.end
        };
        let another_text = other_text.iter().any(|o| o.start <= old.start && old.end <= o.end && !old.is_empty());
        if inside && !another_text {
            carried.guessed.push((new, i));
        }
    }
    carried
}

/// Hunks as old ranges and new lengths, sorted, with hunks that touch or
/// overlap merged.
///
/// New offsets are counted from old offsets and new lengths, as `reanchor`
/// does, because [`diff`] does not always give them exactly, nor in order:
/// similar can report a deletion's new index after the equal run that
/// follows it, and a deletion and an insertion at one old offset in either
/// order.
fn normalize(hunks: &[Hunk]) -> Vec<(Range<usize>, usize)> {
    let mut sorted: Vec<&Hunk> = hunks.iter().collect();
    sorted.sort_by_key(|h| (h.old.start, h.old.end));
    let mut out: Vec<(Range<usize>, usize)> = Vec::with_capacity(sorted.len());
    for h in sorted {
        match out.last_mut() {
            Some((old, new_len)) if h.old.start <= old.end => {
                old.end = old.end.max(h.old.end);
                *new_len += h.new.len();
            }
            _ => out.push((h.old.clone(), h.new.len())),
        }
    }
    out
}

/// A record that could not be used, and why.
pub(super) type Unusable = (RecordId, String);

/// Attributed byte ranges of a text, sorted.
type Spans = Vec<(Range<usize>, Attribution)>;

/// For each file version diffed against the current text, by blob id: the
/// byte ranges of that version its line diff finds unchanged
/// ([`crate::provenance::unchanged_lines`]).
pub type Unchanged = HashMap<String, Vec<Range<usize>>>;

/// The attribution of every byte of `current` (sorted, covering it, merged
/// like [`ProvenanceMap::to_vec`]), from `records`: the live records of one
/// path in time order, with the records that could not be used and the
/// unchanged lines of the versions diffed. `current_blob` is the blob id of
/// `current`, when known; `text_of` gives a blob's text. With `guesses`
/// false, only text unchanged since a record counts (no text changed
/// inside a span inherits it): for a text that did not grow out of the
/// records' versions (another worktree's records).
pub(super) fn view(
    records: &[&Record],
    current: &str,
    current_blob: Option<&str>,
    text_of: &mut dyn FnMut(&str) -> Result<Arc<str>, String>,
    guesses: bool,
) -> (Spans, Vec<Unusable>, Unchanged) {
    let unknown = Attribution::unknown();
    let latest_snapshot = records.iter().rposition(|r| r.is_snapshot()).unwrap_or(0);
    let (stale_records, fresh_records) = records.split_at(latest_snapshot);
    let mut versions = Versions {
        guesses,
        current,
        current_blob,
        text_of,
        texts: HashMap::new(),
        shared_current: None,
        current_lines: None,
        hunks: HashMap::new(),
        unchanged: HashMap::new(),
        unusable: Vec::new(),
    };
    // Paint layers, weakest first.
    let mut guessed: Vec<(Range<usize>, &Attribution)> = Vec::new();
    let mut stale: Vec<(Range<usize>, &Attribution)> = Vec::new();
    let mut exact: Vec<(Range<usize>, &Attribution)> = Vec::new();

    for record in fresh_records {
        let kind = if record.is_snapshot() { LayerKind::FreshSnapshot } else { LayerKind::FreshDelta };
        let Some((text, layer)) = versions.layer(record, &unknown, kind) else { continue };
        let carried = versions.carry(record, &text, &layer);
        if guesses {
            exact.extend(carried.exact.into_iter().map(|(range, j)| (range, layer[j].1)));
            guessed.extend(carried.guessed.into_iter().map(|(range, j)| (range, layer[j].1)));
        } else {
            // A lone `}` or blank line any text has says nothing of where
            // it came from.
            let telling = |r: &Range<usize>| current[r.clone()].chars().any(char::is_alphanumeric);
            exact.extend(carried.exact.into_iter().filter(|(r, _)| telling(r)).map(|(range, j)| (range, layer[j].1)));
        }
    }

    // A stale span matters only where no fresh record saw the text
    // unchanged: look only at spans whose text is found there.
    let uncovered = uncovered(current.len(), exact.iter().map(|(r, _)| r.clone()));
    for record in stale_records.iter().filter(|_| !uncovered.is_empty()) {
        let Some((text, layer)) = versions.layer(record, &unknown, LayerKind::Stale) else { continue };
        if !layer.iter().any(|(r, _)| found_in(&text[r.clone()], current, &uncovered)) {
            continue;
        }
        let carried = versions.carry(record, &text, &layer);
        // A span counts only when it is carried whole, in one piece.
        let mut pieces = vec![0usize; layer.len()];
        for (_, j) in &carried.exact {
            pieces[*j] += 1;
        }
        for (range, j) in carried.exact {
            if pieces[j] == 1 && range.len() == layer[j].0.len() {
                stale.push((range, layer[j].1));
            }
        }
    }

    let mut map = ProvenanceMap::new(current.len());
    for (range, attr) in guessed.into_iter().chain(stale).chain(exact) {
        let id = map.intern(attr);
        map.set(range, id);
    }
    let unchanged = versions.unchanged.into_iter().map(|(blob, lines)| (blob.to_string(), lines)).collect();
    (map.to_vec(), versions.unusable, unchanged)
}

/// Where the AI deletions of `records` (the live records of one path, in
/// time order) are in `current`: each place carried from its record's
/// version onto the current text through a diff, fresh records and stale
/// ones alike (a person's snapshot says nothing of what an agent removed).
/// A place inside text that changed since lands where that text now
/// starts. Whether lines are really gone there is for the range's lineage
/// to say, against HEAD. Later records win at one place.
pub(super) fn deletions(
    records: &[&Record],
    current: &str,
    current_blob: Option<&str>,
    text_of: &mut dyn FnMut(&str) -> Result<Arc<str>, String>,
) -> (Vec<AiDeletion>, Vec<Unusable>) {
    let mut out: Vec<AiDeletion> = Vec::new();
    let mut unusable = Vec::new();
    for record in records {
        let Some(file) = record.file().filter(|f| !f.deletions.is_empty()) else { continue };
        let hunks = if current_blob == Some(file.blob.as_str()) {
            Vec::new()
        } else {
            match text_of(&file.blob) {
                Ok(text) => {
                    if file.deletions.iter().any(|d| d.at > text.len() || !text.is_char_boundary(d.at)) {
                        unusable.push((record.id.clone(), "a deletion's place is outside its file".to_string()));
                        continue;
                    }
                    normalize(&diff(&text, current))
                }
                Err(reason) => {
                    unusable.push((record.id.clone(), reason));
                    continue;
                }
            }
        };
        for d in &file.deletions {
            let at = carry_point(d.at, &hunks).min(current.len());
            let carried = AiDeletion { at, ..d.clone() };
            match out.iter_mut().find(|e| e.at == at) {
                Some(e) => *e = carried,
                None => out.push(carried),
            }
        }
    }
    out.sort_by_key(|d| d.at);
    (out, unusable)
}

/// Where byte `p` of an old text is in the new one, through `hunks`
/// (normalized): shifted by what changed before it; inside a replaced
/// range, where its replacement starts.
fn carry_point(p: usize, hunks: &[(Range<usize>, usize)]) -> usize {
    let mut shift: isize = 0;
    for (old, new_len) in hunks {
        if p <= old.start {
            break;
        }
        if p < old.end {
            return (old.start as isize + shift) as usize;
        }
        shift += *new_len as isize - old.len() as isize;
    }
    (p as isize + shift).max(0) as usize
}

/// A record's attributed ranges over its own text.
type Layer<'a> = Vec<(Range<usize>, &'a Attribution)>;

/// The file versions records describe, each read and diffed against the
/// current text at most once.
struct Versions<'r, 'f> {
    /// Whether changed text may inherit a span ([`view`]'s `guesses`);
    /// without, blocks of lines that changed keep no character either.
    guesses: bool,
    current: &'r str,
    current_blob: Option<&'r str>,
    text_of: &'f mut dyn FnMut(&str) -> Result<Arc<str>, String>,
    texts: HashMap<&'r str, Result<Arc<str>, String>>,
    /// `current`, shared, once a record of its version needs it.
    shared_current: Option<Arc<str>>,
    /// `current` split into lines, once a version is diffed against it.
    current_lines: Option<Vec<&'r str>>,
    /// Each version's diff with the current text.
    hunks: HashMap<&'r str, Rc<Diffed>>,
    /// What the line diffs behind `hunks` found unchanged.
    unchanged: HashMap<&'r str, Vec<Range<usize>>>,
    unusable: Vec<Unusable>,
}

impl<'r> Versions<'r, '_> {
    /// The text of `record`'s version and its non-empty layer, or `None`
    /// (with the reason noted when the record is unusable).
    fn layer(
        &mut self,
        record: &'r Record,
        unknown: &'r Attribution,
        kind: LayerKind,
    ) -> Option<(Arc<str>, Layer<'r>)> {
        let file = record.file()?;
        let text = if self.current_blob == Some(file.blob.as_str()) {
            self.shared_current.get_or_insert_with(|| Arc::from(self.current)).clone()
        } else {
            let text_of = &mut self.text_of;
            match self.texts.entry(&file.blob).or_insert_with(|| text_of(&file.blob)) {
                Ok(text) => text.clone(),
                Err(reason) => {
                    self.unusable.push((record.id.clone(), reason.clone()));
                    return None;
                }
            }
        };
        match layer(file.ranges(), &text, unknown, kind) {
            Ok(layer) if layer.is_empty() => None,
            Ok(layer) => Some((text, layer)),
            Err(reason) => {
                self.unusable.push((record.id.clone(), reason));
                None
            }
        }
    }

    fn carry(&mut self, record: &'r Record, text: &str, layer: &[(Range<usize>, &Attribution)]) -> Carried {
        let ranges: Vec<Range<usize>> = layer.iter().map(|(r, _)| r.clone()).collect();
        let Some(file) = record.file() else { return Carried::default() };
        if self.current_blob == Some(file.blob.as_str()) {
            return carry(&ranges, text.len(), &[], &[]);
        }
        let diffed = match self.hunks.get(file.blob.as_str()) {
            Some(diffed) => diffed.clone(),
            None => {
                let current = self.current;
                let lines = self.current_lines.get_or_insert_with(|| similar::DiffableStr::tokenize_lines(current));
                let diff =
                    if self.guesses { line_diff_and_unchanged_lines } else { whole_line_diff_and_unchanged_lines };
                let diff = diff(text, current, lines);
                let diffed = Rc::new(Diffed { hunks: diff.hunks, other_text: diff.other_text });
                self.hunks.insert(&file.blob, diffed.clone());
                self.unchanged.insert(&file.blob, diff.unchanged);
                diffed
            }
        };
        carry(&ranges, text.len(), &diffed.hunks, &diffed.other_text)
    }
}

/// A version's diff with the current text: its hunks, and its blocks of
/// lines replaced by another text ([`crate::provenance::LineDiff`]).
struct Diffed {
    hunks: Vec<Hunk>,
    other_text: Vec<Range<usize>>,
}

/// The parts of `0..len` that no range of `covered` covers.
fn uncovered(len: usize, covered: impl Iterator<Item = Range<usize>>) -> Vec<Range<usize>> {
    let mut covered: Vec<Range<usize>> = covered.collect();
    covered.sort_by_key(|r| r.start);
    let mut out = Vec::new();
    let mut at = 0;
    for r in covered {
        if r.start > at {
            out.push(at..r.start);
        }
        at = at.max(r.end);
    }
    if at < len {
        out.push(at..len);
    }
    out
}

/// Whether `needle` occurs in `text` overlapping one of `regions`.
fn found_in(needle: &str, text: &str, regions: &[Range<usize>]) -> bool {
    regions.iter().any(|region| {
        let mut lo = region.start.saturating_sub(needle.len() - 1);
        let mut hi = (region.end + needle.len() - 1).min(text.len());
        while !text.is_char_boundary(lo) {
            lo -= 1;
        }
        while !text.is_char_boundary(hi) {
            hi += 1;
        }
        hi - lo >= needle.len() && text[lo..hi].contains(needle)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LayerKind {
    /// A fresh delta: its spans, merged where neighbours are equal.
    FreshDelta,
    /// A fresh snapshot: its spans, and unknown origin between them.
    FreshSnapshot,
    /// A stale record: its spans that say something (not unknown).
    Stale,
}

/// A record's spans over its text `text`, checked (sorted, disjoint, inside
/// the text, on character boundaries) and shaped for `kind`.
fn layer<'a>(
    spans: impl Iterator<Item = (Range<usize>, &'a Attribution)>,
    text: &str,
    unknown: &'a Attribution,
    kind: LayerKind,
) -> Result<Layer<'a>, String> {
    let mut out: Vec<(Range<usize>, &Attribution)> = Vec::new();
    let mut at = 0;
    for (range, attr) in spans {
        if range.start < at || range.end < range.start || range.end > text.len() {
            return Err(format!("span {range:?} is out of order or outside its {} byte file", text.len()));
        }
        if !text.is_char_boundary(range.start) || !text.is_char_boundary(range.end) {
            return Err(format!("span {range:?} splits a character"));
        }
        if kind == LayerKind::FreshSnapshot && at < range.start {
            push_merged(&mut out, at..range.start, unknown);
        }
        at = range.end;
        match kind {
            _ if range.is_empty() => {}
            LayerKind::Stale if matches!(attr.origin, Origin::Unknown) => {}
            LayerKind::Stale => out.push((range, attr)),
            LayerKind::FreshDelta | LayerKind::FreshSnapshot => push_merged(&mut out, range, attr),
        }
    }
    if kind == LayerKind::FreshSnapshot && at < text.len() {
        push_merged(&mut out, at..text.len(), unknown);
    }
    Ok(out)
}

fn push_merged<'a>(out: &mut Vec<(Range<usize>, &'a Attribution)>, range: Range<usize>, attr: &'a Attribution) {
    match out.last_mut() {
        Some((last, a)) if last.end == range.start && *a == attr => last.end = range.end,
        _ => out.push((range, attr)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{AiSource, Evidence, reanchor};
    use proptest::prelude::*;

    fn ai(tool: &str) -> Attribution {
        Attribution::ai(AiSource { tool: tool.into(), model: None, session: None, kind: None }, Evidence::Editor, None)
    }

    /// What `carry` gives, painted like the view paints one fresh delta.
    fn via_carry(old: &str, spans: &[(Range<usize>, Attribution)], new: &str) -> Vec<(Range<usize>, Attribution)> {
        let unknown = Attribution::unknown();
        let layer = layer(spans.iter().map(|(r, a)| (r.clone(), a)), old, &unknown, LayerKind::FreshDelta).unwrap();
        let ranges: Vec<_> = layer.iter().map(|(r, _)| r.clone()).collect();
        let carried = carry(&ranges, old.len(), &diff(old, new), &[]);
        let mut map = ProvenanceMap::new(new.len());
        for (range, j) in carried.guessed.into_iter().chain(carried.exact) {
            let id = map.intern(layer[j].1);
            map.set(range, id);
        }
        map.to_vec()
    }

    #[test]
    fn carry_follows_insertions_and_reformats() {
        let old = "fn a() {}\nfn b(){x+1}\n";
        let new = "use y;\nfn a() {}\nfn b() {\n    x + 1\n}\n";
        let span = 10..22;
        let carried = carry(std::slice::from_ref(&span), old.len(), &diff(old, new), &[]);
        let exact: Vec<_> = carried.exact.iter().map(|(r, _)| &new[r.clone()]).collect();
        assert_eq!(exact, vec!["fn b()", "{", "x", "+", "1", "}\n"]);
        let guessed: Vec<_> = carried.guessed.iter().map(|(r, _)| &new[r.clone()]).collect();
        assert_eq!(guessed, vec![" ", "\n    ", " ", " ", "\n"]);
    }

    #[test]
    fn places_of_deletions_follow_the_text() {
        let old = "a\nb\nc\n";
        let removed = AiDeletion { at: 2, lines: 1, first: String::new(), attribution: ai("agent"), replaced: 0 };
        let mut r = record(1, false, old, &[]);
        if let super::super::record::Body::Delta(f) = &mut r.body {
            f.deletions.push(removed);
        }
        let mut text_of = |hex: &str| -> Result<Arc<str>, String> {
            hex.strip_prefix("blob-of-").map(Arc::from).ok_or_else(|| "unknown".to_string())
        };
        let at = |current: &str, text_of: &mut dyn FnMut(&str) -> Result<Arc<str>, String>| {
            let (found, unusable) = deletions(&[&r], current, None, text_of);
            assert!(unusable.is_empty());
            found.iter().map(|d| d.at).collect::<Vec<_>>()
        };
        assert_eq!(at(old, &mut text_of), [2]);
        // Lines added above move it; a changed line after it keeps it
        // before that line.
        assert_eq!(at("x\ny\na\nb\nc\n", &mut text_of), [6]);
        assert_eq!(at("a\nB!\nc\n", &mut text_of), [2]);
        assert_eq!(carry_point(5, &[(2..8, 1)]), 2, "inside replaced text: where it starts");
    }

    fn record(n: u64, snapshot: bool, text: &str, spans: &[(Range<usize>, Attribution)]) -> Record {
        use super::super::record::{Body, FileVersion, SCHEMA_VERSION, SpanRecord};
        let file = FileVersion {
            path: "a.rs".into(),
            blob: format!("blob-of-{text}"),
            ai_sha256: String::new(),
            spans: spans
                .iter()
                .map(|(r, a)| SpanRecord { start: r.start, end: r.end, attribution: a.clone() })
                .collect(),
            rationale: None,
            accepted_at: None,
            deletions: Vec::new(),
            removed: None,
            mode: None,
        };
        Record {
            schema: SCHEMA_VERSION,
            id: RecordId::new("w", n),
            time: time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(n as i64),
            writer: "w".into(),
            body: if snapshot { Body::Snapshot(file) } else { Body::Delta(file) },
        }
    }

    /// The unchanged lines a view hands back for each version it diffed
    /// are what a line diff of that version with the current text finds
    /// (`attribution::covered` decides with them which records a commit
    /// covers, without diffing again).
    #[test]
    fn the_unchanged_lines_of_each_version_are_its_line_diff() {
        let v1 = "fn a() {}\nfn ai() {\n    one()\n}\n";
        let v2 = "fn a() {}\nfn ai() {\n    one()\n}\nfn more() {\n    two()\n}\n";
        let current = "// header\nfn a() { changed }\nfn ai() {\n    one()\n}\nfn more() {\n    two()\n}\n";
        let records =
            [record(1, false, v1, &[(10..v1.len(), ai("x"))]), record(2, false, v2, &[(31..v2.len(), ai("y"))])];
        let refs: Vec<&Record> = records.iter().collect();
        let mut text_of = |blob: &str| -> Result<Arc<str>, String> {
            blob.strip_prefix("blob-of-").map(Arc::from).ok_or_else(|| "missing".to_string())
        };
        let (_, unusable, unchanged) = view(&refs, current, None, &mut text_of, true);
        assert!(unusable.is_empty());
        assert_eq!(unchanged.len(), 2, "{unchanged:?}");
        for version in [v1, v2] {
            let got = &unchanged[&format!("blob-of-{version}")];
            assert_eq!(got, &crate::provenance::unchanged_lines(version, current), "{version:?}");
        }
    }

    /// The AI text of the view of `current` from `records`.
    fn ai_view(records: &[Record], current: &str) -> Vec<String> {
        ai_view_with(records, current, true)
    }

    fn ai_view_with(records: &[Record], current: &str, guesses: bool) -> Vec<String> {
        let refs: Vec<&Record> = records.iter().collect();
        let mut text_of = |blob: &str| -> Result<Arc<str>, String> {
            blob.strip_prefix("blob-of-").map(Arc::from).ok_or_else(|| "missing".to_string())
        };
        let (spans, unusable, _) = view(&refs, current, None, &mut text_of, guesses);
        assert_eq!(unusable, vec![]);
        spans.into_iter().filter(|(_, a)| a.is_ai()).map(|(r, _)| current[r].to_string()).collect()
    }

    /// A record's view of its own later text: a line of its AI text edited
    /// stays AI (the edit inherits its span). Of a text that did not grow
    /// out of it (another worktree's), only the lines it holds unchanged
    /// that say something (a letter or a digit): neither a line edited, nor
    /// a line that shares characters with one, nor a lone brace.
    #[test]
    fn without_guesses_only_unchanged_lines_are_carried() {
        let v1 = "fn a() {}\nfn ai(user, doc) {\n    grant(user, doc)\n}\n";
        let ai_fn = v1.find("fn ai").unwrap()..v1.len();
        let records = [record(1, false, v1, &[(ai_fn, ai("agent"))])];
        let edited = "fn a() {}\nfn ai(user, doc) {\n    audit(user, doc)\n}\n";
        assert_eq!(ai_view_with(&records, edited, true), ["fn ai(user, doc) {\n    audit(user, doc)\n}\n"]);
        assert_eq!(ai_view_with(&records, edited, false), ["fn ai(user, doc) {\n"]);
        let other = "fn a() {}\nfn audit(user, doc) {\n    log(user, doc)\n}\n";
        assert!(ai_view_with(&records, other, false).is_empty());
    }

    #[test]
    fn stale_spans_count_only_when_back_whole() {
        let base = "fn human() {}
";
        let ai_fn = "fn ai() {
    compute()
}
";
        let v1 = format!("{base}{ai_fn}");
        let records = vec![
            record(1, false, &v1, &[(base.len()..v1.len(), ai("x"))]),
            // The function went away and a snapshot of the file without it
            // says the rest is human.
            record(2, true, base, &[(0..base.len(), Attribution::typed())]),
        ];
        assert_eq!(ai_view(&records, base), Vec::<String>::new());
        // Back whole: AI again, even below new human text.
        let back = format!(
            "{base}fn other() {{}}
{ai_fn}"
        );
        assert_eq!(ai_view(&records, &back), vec![ai_fn.to_string()]);
        // Back in part (its first line only): not AI.
        let part = format!(
            "{base}fn ai() {{
    other()
}}
"
        );
        assert_eq!(ai_view(&records, &part), Vec::<String>::new());
        // The snapshot wins over the stale record for text it holds.
        let records = vec![record(1, false, &v1, &[(base.len()..v1.len(), ai("x"))]), record(2, true, &v1, &[])];
        assert_eq!(ai_view(&records, &v1), Vec::<String>::new());
    }

    proptest! {
        /// For one fresh delta the view carries spans exactly as
        /// `provenance::reanchor` does (it only caches the diff per blob),
        /// when the diff's hunks are in order; and it always covers the new
        /// text.
        #[test]
        fn carry_agrees_with_reanchor(
            old in "[ab\n]{0,40}",
            cuts in proptest::collection::vec((0usize..41, 0usize..41, 0u8..3), 0..4),
            edits in proptest::collection::vec((0usize..41, 0usize..4, "[abc\n]{0,4}"), 0..4),
        ) {
            let mut spans: Vec<(Range<usize>, Attribution)> = Vec::new();
            let mut bounds: Vec<(usize, usize, u8)> =
                cuts.into_iter().map(|(a, b, t)| (a.min(b).min(old.len()), a.max(b).min(old.len()), t)).collect();
            bounds.sort();
            let mut at = 0;
            for (s, e, t) in bounds {
                if s >= at && s < e {
                    let attr = match t { 0 => ai("x"), 1 => ai("y"), _ => Attribution::typed() };
                    spans.push((s..e, attr));
                    at = e;
                }
            }
            let mut new = old.clone();
            for (at, del, ins) in edits {
                let at = at.min(new.len());
                let end = (at + del).min(new.len());
                new.replace_range(at..end, &ins);
            }
            let carried = via_carry(&old, &spans, &new);
            prop_assert_eq!(carried.last().map_or(0, |(r, _)| r.end), new.len());
            let hunks = diff(&old, &new);
            let in_order = hunks.windows(2).all(|w| w[0].old.end < w[1].old.start && w[0].new.end < w[1].new.start);
            if in_order {
                prop_assert_eq!(carried, reanchor(&old, &spans, &new, &Attribution::unknown()));
            }
        }
    }
}
