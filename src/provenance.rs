//! Provenance: the origin of every byte of a document, and how edits move it.
//!
//! A [`ProvenanceMap`] covers a document with runs of bytes that share one
//! [`Attribution`] (origin, evidence, who accepted it). Inserted text takes the
//! attribution of its edit; text typed inside an AI run splits it; deleted
//! text takes its attribution with it, into [`RecentlyRemoved`], so that
//! pasting it back (a cut and paste, a move, an undo) makes it AI again.
//!
//! Whole-text replacements and edits made outside the editor are re-anchored
//! through a diff ([`diff`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::intent::Intent;

/// How an AI tool produced text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AiKind {
    /// An inline completion (Tab).
    Completion,
    /// Text applied from a chat.
    Chat,
    /// An agent editing files on its own.
    Agent,
}

/// The AI tool that wrote some text, as far as vouch was told.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AiSource {
    pub tool: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AiKind>,
}

/// Who wrote some text. `Unknown` is the honest default: no record means
/// unattested, not human.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "origin", rename_all = "lowercase")]
pub enum Origin {
    Ai(AiSource),
    Human,
    Unknown,
}

impl Origin {
    pub fn is_ai(&self) -> bool {
        matches!(self, Origin::Ai(_))
    }

    /// "ai", "human" or "unknown".
    pub fn label(&self) -> &'static str {
        match self {
            Origin::Ai(_) => "ai",
            Origin::Human => "human",
            Origin::Unknown => "unknown",
        }
    }
}

/// How vouch knows an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// An editor plugin reported it (or the editor sent the keystrokes).
    Editor,
    /// An agent's hook reported its edit.
    AgentHook,
    /// A single large insertion: *suspected* until someone classifies it.
    Heuristic,
    /// A commit trailer, a bot author or another tool's git note.
    History,
    /// A person marked it.
    Manual,
    /// `vouch run` saw it change in the worktree while the wrapped command
    /// (an agent) ran: anything that changed then, whoever changed it.
    Wrapper,
}

impl Evidence {
    pub fn label(self) -> &'static str {
        match self {
            Evidence::Editor => "editor",
            Evidence::AgentHook => "agent-hook",
            Evidence::Heuristic => "heuristic",
            Evidence::History => "history",
            Evidence::Manual => "manual",
            Evidence::Wrapper => "wrapper",
        }
    }
}

/// Everything vouch knows about where a run of bytes came from.
///
/// Stored as one flat map: the origin's tag (`"origin":"ai"`) beside its
/// source's fields and the rest. It is read through [`Flat`] in one pass:
/// serde's `flatten` and internally tagged enums first buffer every map
/// into a tree of its values, which made reading the journal about a
/// third slower.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Flat")]
pub struct Attribution {
    #[serde(flatten)]
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The identity (git `user.email`) that accepted AI text or marked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_by: Option<String>,
    /// Why an agent wrote AI text, in its own words at the edit (see
    /// [`crate::intent`]); attacker text, shown only through `display`,
    /// never part of a decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Box<Intent>>,
}

impl Attribution {
    pub fn unknown() -> Attribution {
        Attribution { origin: Origin::Unknown, evidence: None, accepted_by: None, intent: None }
    }

    /// Text typed in an editor with no report of an AI source.
    pub fn typed() -> Attribution {
        Attribution { origin: Origin::Human, evidence: Some(Evidence::Editor), accepted_by: None, intent: None }
    }

    pub fn ai(source: AiSource, evidence: Evidence, accepted_by: Option<String>) -> Attribution {
        Attribution { origin: Origin::Ai(source), evidence: Some(evidence), accepted_by, intent: None }
    }

    /// The same attribution with `intent` (kept for AI text only).
    pub fn with_intent(mut self, intent: Option<Intent>) -> Attribution {
        self.intent = intent.filter(|_| self.is_ai()).map(Box::new);
        self
    }

    /// Whether a record of AI from a source other than `me`'s own mark says
    /// so here: an agent's hook, an editor, the range's history, `vouch
    /// run`, another person's mark (not a size heuristic's suspicion, which
    /// a mark is there to settle). A person's word never outranks it: `me`
    /// may not mark such text anew, as theirs or as AI (a mark would paint
    /// over the record).
    pub fn is_ai_by_another_than(&self, me: Option<&str>) -> bool {
        let own_mark = self.evidence == Some(Evidence::Manual) && me.is_some() && self.accepted_by.as_deref() == me;
        self.is_ai() && self.evidence != Some(Evidence::Heuristic) && !own_mark
    }

    pub fn is_ai(&self) -> bool {
        self.origin.is_ai()
    }

    /// AI text found by the size heuristic and not yet classified.
    pub fn is_suspected(&self) -> bool {
        self.is_ai() && self.evidence == Some(Evidence::Heuristic)
    }

    pub fn tool(&self) -> Option<&str> {
        match &self.origin {
            Origin::Ai(s) => Some(&s.tool),
            _ => None,
        }
    }
}

/// Attributed byte ranges of a text, in order: what records and views hold.
pub type Spans = Vec<(Range<usize>, Attribution)>;

/// A byte range with its attribution, stored as one flat map:
/// `{"start":3,"end":9,"origin":"ai","tool":"copilot",...}` (journal
/// records, the gate's cache).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Flat")]
pub struct StoredSpan {
    pub start: usize,
    pub end: usize,
    #[serde(flatten)]
    pub attribution: Attribution,
}

/// What may be in the map of a stored [`Attribution`] or [`StoredSpan`],
/// read in one pass (see [`Attribution`]). Keys it does not name are
/// ignored, as they were when the maps were read through `flatten`.
#[derive(Deserialize)]
struct Flat {
    #[serde(default)]
    start: Option<usize>,
    #[serde(default)]
    end: Option<usize>,
    origin: OriginTag,
    #[serde(default)]
    tool: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    kind: Option<AiKind>,
    #[serde(default)]
    evidence: Option<Evidence>,
    #[serde(default)]
    accepted_by: Option<String>,
    #[serde(default)]
    intent: Option<Box<Intent>>,
}

/// The tag of [`Origin`].
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum OriginTag {
    Ai,
    Human,
    Unknown,
}

impl TryFrom<Flat> for Attribution {
    type Error = String;

    fn try_from(flat: Flat) -> Result<Attribution, String> {
        let origin = match flat.origin {
            OriginTag::Ai => {
                let tool = flat.tool.ok_or("missing field `tool`")?;
                Origin::Ai(AiSource { tool, model: flat.model, session: flat.session, kind: flat.kind })
            }
            OriginTag::Human => Origin::Human,
            OriginTag::Unknown => Origin::Unknown,
        };
        Ok(Attribution { origin, evidence: flat.evidence, accepted_by: flat.accepted_by, intent: flat.intent })
    }
}

impl TryFrom<Flat> for StoredSpan {
    type Error = String;

    fn try_from(mut flat: Flat) -> Result<StoredSpan, String> {
        let start = flat.start.take().ok_or("missing field `start`")?;
        let end = flat.end.take().ok_or("missing field `end`")?;
        Ok(StoredSpan { start, end, attribution: Attribution::try_from(flat)? })
    }
}

/// Lines an AI removed from a text, at one place: a removal leaves no byte
/// to attribute, so it is kept as the place, for the unit around it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AiDeletion {
    /// The byte offset of the place: the start of the line the removed
    /// lines stood before (the text's length: after its last line).
    pub at: usize,
    /// How many lines were removed (0: not known).
    pub lines: u32,
    /// The first removed line with a letter or a digit, cut short, when
    /// known: what a reviewer is told went (attacker text).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub first: String,
    /// Who removed them.
    pub attribution: Attribution,
    /// How many lines (from the place on) were put in their place, all of
    /// them AI: a replacement, whose unit is found from those lines as well
    /// ([`crate::document::Document::units_changed_at`]); 0 for a removal.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub replaced: u32,
}

pub(crate) fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// The AI attribution of each line of `text` (lines as git splits them, at
/// LF only), from its attributed byte ranges `spans` (sorted): the one rule
/// every count of AI lines follows (the post-commit note, blame, status,
/// the units' AI line counts, the gate's view of the next commit).
///
/// A line is AI when AI text covers a byte of it that is not whitespace
/// (its attribution is that of the first such byte). A line of whitespace
/// only (a blank line) takes the origin of the insertion it is inside: it
/// is AI when AI text covers all of its bytes, line end included, so the
/// blank lines between the functions an agent wrote are its lines, and the
/// blank line a person left before them is not.
pub fn line_attributions(text: &[u8], spans: &[(Range<usize>, Attribution)]) -> Vec<Option<Attribution>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut next = 0;
    while start < text.len() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i + 1);
        while next < spans.len() && spans[next].0.end <= start {
            next += 1;
        }
        out.push(line_attribution(text, start..end, &spans[next..]).cloned());
        start = end;
    }
    out
}

/// The lines of `text` that [`line_attributions`] calls AI, with their
/// attribution, given the lines (as git splits them, in order: what a
/// line index already knows): only the lines `spans` touch are looked at.
pub fn ai_lines_at(
    text: &[u8],
    lines: &[Range<usize>],
    spans: &[(Range<usize>, Attribution)],
) -> Vec<(usize, Attribution)> {
    let mut out = Vec::new();
    let mut next = 0;
    let mut i = 0;
    while i < lines.len() {
        let Range { start, end } = lines[i].clone();
        while next < spans.len() && spans[next].0.end <= start {
            next += 1;
        }
        let Some((span, _)) = spans.get(next) else { break };
        if span.start >= end {
            // No span reaches this line, nor any line before the one the
            // next span starts on.
            i = i.max(lines.partition_point(|l| l.end <= span.start));
            continue;
        }
        if let Some(attr) = line_attribution(text, start..end, &spans[next..]) {
            out.push((i, attr.clone()));
        }
        i += 1;
    }
    out
}

/// The attribution of the line `start..end` of `text` by [`line_attributions`]'s
/// rule, from `spans` (sorted; those that end before the line left out).
fn line_attribution<'s>(
    text: &[u8],
    Range { start, end }: Range<usize>,
    spans: &'s [(Range<usize>, Attribution)],
) -> Option<&'s Attribution> {
    let is_ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let line = &text[start..end];
    let blank = line.iter().all(|&b| is_ws(b));
    let mut found = None;
    let mut covered = start;
    for (range, attr) in spans.iter().take_while(|(r, _)| r.start < end) {
        if !attr.is_ai() {
            continue;
        }
        let (a, b) = (range.start.max(start), range.end.min(end));
        if a >= b {
            continue;
        }
        if blank {
            // Contiguous AI coverage from the line's start.
            if a <= covered {
                covered = covered.max(b);
                found.get_or_insert(attr);
            }
        } else if text[a..b].iter().any(|&c| !is_ws(c)) {
            found = Some(attr);
            break;
        }
    }
    if blank && covered < end {
        found = None;
    }
    found
}

/// An index into a map's table of attributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrId(u32);

/// The unknown origin is always interned first.
const UNKNOWN: AttrId = AttrId(0);

/// A maximal run of bytes with one attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub range: Range<usize>,
    pub attr: AttrId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: usize,
    attr: AttrId,
}

/// The attribution of every byte of one document.
///
/// Runs are kept sorted, contiguous, covering `0..len`, and merged: no two
/// neighbours share an attribution. An edit costs a binary search plus a
/// shift of the runs after it (a few hundred in a file with many AI spans).
#[derive(Debug, Clone)]
pub struct ProvenanceMap {
    runs: Vec<Run>,
    len: usize,
    attrs: Vec<Attribution>,
    ids: HashMap<Attribution, AttrId>,
}

impl PartialEq for ProvenanceMap {
    /// Two maps are equal when every byte has an equal attribution.
    fn eq(&self, other: &ProvenanceMap) -> bool {
        self.len == other.len
            && self.runs.len() == other.runs.len()
            && self
                .spans()
                .zip(other.spans())
                .all(|(a, b)| a.range == b.range && self.attribution(a.attr) == other.attribution(b.attr))
    }
}

impl ProvenanceMap {
    /// A document of `len` bytes, all of unknown origin.
    pub fn new(len: usize) -> ProvenanceMap {
        let unknown = Attribution::unknown();
        let mut ids = HashMap::new();
        ids.insert(unknown.clone(), UNKNOWN);
        let runs = if len == 0 { Vec::new() } else { vec![Run { start: 0, attr: UNKNOWN }] };
        ProvenanceMap { runs, len, attrs: vec![unknown], ids }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The id for `attr`, adding it to the table when it is new.
    pub fn intern(&mut self, attr: &Attribution) -> AttrId {
        if let Some(&id) = self.ids.get(attr) {
            return id;
        }
        let id = AttrId(self.attrs.len() as u32);
        self.attrs.push(attr.clone());
        self.ids.insert(attr.clone(), id);
        id
    }

    pub fn attribution(&self, id: AttrId) -> &Attribution {
        &self.attrs[id.0 as usize]
    }

    fn run_end(&self, i: usize) -> usize {
        self.runs.get(i + 1).map_or(self.len, |r| r.start)
    }

    /// Every span, in order.
    pub fn spans(&self) -> impl Iterator<Item = Span> + '_ {
        (0..self.runs.len()).map(|i| Span { range: self.runs[i].start..self.run_end(i), attr: self.runs[i].attr })
    }

    /// The spans that overlap `range`, cut to it.
    pub fn spans_in(&self, range: Range<usize>) -> impl Iterator<Item = Span> + '_ {
        let first = self.runs.partition_point(|r| r.start <= range.start).saturating_sub(1);
        (first..self.runs.len())
            .map(move |i| Span { range: self.runs[i].start..self.run_end(i), attr: self.runs[i].attr })
            .take_while(move |s| s.range.start < range.end)
            .filter(move |s| s.range.end > range.start)
            .map(move |s| Span { range: s.range.start.max(range.start)..s.range.end.min(range.end), attr: s.attr })
    }

    /// The attribution of the byte at `offset`, if it is inside the document.
    pub fn at(&self, offset: usize) -> Option<&Attribution> {
        if offset >= self.len {
            return None;
        }
        let i = self.runs.partition_point(|r| r.start <= offset) - 1;
        Some(self.attribution(self.runs[i].attr))
    }

    /// The ranges of AI text, merged where AI runs of different sources touch.
    pub fn ai_ranges(&self) -> Vec<Range<usize>> {
        let mut out: Vec<Range<usize>> = Vec::new();
        for span in self.spans().filter(|s| self.attribution(s.attr).is_ai()) {
            match out.last_mut() {
                Some(last) if last.end == span.range.start => last.end = span.range.end,
                _ => out.push(span.range),
            }
        }
        out
    }

    /// Replace the bytes `range` with `new_len` bytes attributed to `attr`,
    /// and return the spans that were removed (relative to `range.start`).
    ///
    /// `range` is clamped into the document.
    pub fn replace(&mut self, range: Range<usize>, new_len: usize, attr: AttrId) -> Vec<Span> {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        let removed: Vec<Span> = self
            .spans_in(start..end)
            .map(|s| Span { range: s.range.start - start..s.range.end - start, attr: s.attr })
            .collect();
        // Runs entirely before `start` stay; the run holding `start` keeps its
        // head; the run holding `end` keeps its tail; the new text goes between.
        let lo = self.runs.partition_point(|r| r.start < start);
        let hi = self.runs.partition_point(|r| r.start <= end);
        let tail_attr = if hi > 0 && self.run_end(hi - 1) > end { Some(self.runs[hi - 1].attr) } else { None };
        let delta = new_len as isize - (end - start) as isize;
        for r in &mut self.runs[hi..] {
            r.start = (r.start as isize + delta) as usize;
        }
        let mut middle = Vec::with_capacity(2);
        if new_len > 0 {
            middle.push(Run { start, attr });
        }
        if let Some(a) = tail_attr {
            middle.push(Run { start: start + new_len, attr: a });
        }
        self.runs.splice(lo..hi, middle);
        self.len = (self.len as isize + delta) as usize;
        self.merge_around(lo.saturating_sub(1), lo + 3);
        removed
    }

    /// Attribute the bytes in `range` (clamped into the document) to `attr`.
    pub fn set(&mut self, range: Range<usize>, attr: AttrId) {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        if start == end {
            return;
        }
        self.replace(start..end, end - start, attr);
    }

    /// Merge neighbours with one attribution among runs `lo..hi`.
    fn merge_around(&mut self, lo: usize, hi: usize) {
        let hi = hi.min(self.runs.len());
        let mut i = lo.max(1);
        let mut hi = hi;
        while i < hi {
            if self.runs[i].attr == self.runs[i - 1].attr {
                self.runs.remove(i);
                hi -= 1;
            } else {
                i += 1;
            }
        }
    }

    /// Every attribution as owned values, for records and tests.
    pub fn to_vec(&self) -> Vec<(Range<usize>, Attribution)> {
        self.spans().map(|s| (s.range, self.attribution(s.attr).clone())).collect()
    }

    /// A map of `len` bytes built from attributed ranges (the rest unknown).
    pub fn from_ranges(len: usize, ranges: &[(Range<usize>, Attribution)]) -> ProvenanceMap {
        let mut map = ProvenanceMap::new(len);
        for (range, attr) in ranges {
            let id = map.intern(attr);
            map.set(range.clone(), id);
        }
        map
    }
}

/// AI text removed from documents in this session, so that text pasted back
/// (cut and paste, a move between files, an undo) is AI again.
///
/// Bounded: the most recent [`RecentlyRemoved::CAPACITY`] fragments.
#[derive(Debug, Default, Clone)]
pub struct RecentlyRemoved {
    fragments: VecDeque<Fragment>,
    /// Hashes of recently removed text of any origin, so that an undo or a
    /// paste back is never taken for new AI text.
    hashes: VecDeque<u64>,
    /// How many fragments were ever kept: each fragment's number.
    kept: u64,
}

#[derive(Debug, Clone)]
struct Fragment {
    text: String,
    spans: Vec<(Range<usize>, Attribution)>,
    /// Its number among the fragments ever kept.
    number: u64,
    /// How many of its bytes are not ASCII whitespace.
    solid: usize,
}

/// How many bytes of `text` are not ASCII whitespace.
fn solid_len(text: &str) -> usize {
    text.bytes().filter(|b| !b.is_ascii_whitespace()).count()
}

/// Insertions shorter than this are never matched against removed text:
/// retyping a brace is not pasting AI code.
const MIN_RECALL_LEN: usize = 3;

/// Fragments longer than this are not kept.
const MAX_FRAGMENT_LEN: usize = 1 << 20;

impl RecentlyRemoved {
    pub const CAPACITY: usize = 64;

    /// Remember removed `text`, and its spans when any of them is AI.
    pub fn remember(&mut self, text: &str, spans: Vec<(Range<usize>, Attribution)>) {
        if text.len() >= MIN_HASHED_LEN {
            if self.hashes.len() == Self::CAPACITY {
                self.hashes.pop_front();
            }
            self.hashes.push_back(text_hash(text));
        }
        if text.len() > MAX_FRAGMENT_LEN || !spans.iter().any(|(_, a)| a.is_ai()) {
            return;
        }
        if self.fragments.len() == Self::CAPACITY {
            self.fragments.pop_front();
        }
        self.kept += 1;
        let solid = solid_len(text);
        self.fragments.push_back(Fragment { text: text.to_string(), spans, number: self.kept, solid });
    }

    /// A mark of the fragments kept so far: [`RecentlyRemoved::recall_since`]
    /// looks only at those kept after it.
    pub fn mark(&self) -> u64 {
        self.kept
    }

    /// The AI spans (relative to the insertion) that inserted `text` takes
    /// back: all of a removed fragment's spans if it equals the fragment
    /// (or is the fragment with its line break moved from one end to the
    /// other: a line moved up or down, as an editor sends it), or the whole
    /// insertion if it equals one removed AI span; else a fragment's spans
    /// carried onto `text` where it is the fragment with other whitespace
    /// (lines joined: Neovim's `J`; re-indented) or with its whole lines in
    /// another order (a filter such as `:%!sort`). Most recent first.
    pub fn recall(&self, text: &str) -> Option<Vec<(Range<usize>, Attribution)>> {
        self.recall_since(0, text)
    }

    /// [`RecentlyRemoved::recall`] among the fragments kept after `mark`.
    pub fn recall_since(&self, mark: u64, text: &str) -> Option<Vec<(Range<usize>, Attribution)>> {
        self.recall_within(mark, u64::MAX, text)
    }

    /// [`RecentlyRemoved::recall`] where the text a replacement removed was
    /// kept after `mark`: the loose rules (other whitespace, lines in
    /// another order) only for what was removed before it. A replacement
    /// that moves its own text about (`\r😀` made `😀\r\n`) is an edit of
    /// it, as the exact rules say.
    pub fn recall_before(&self, mark: u64, text: &str) -> Option<Vec<(Range<usize>, Attribution)>> {
        self.recall_within(0, mark, text)
    }

    /// The exact rules among the fragments kept after `mark`, the loose ones
    /// among those of them kept up to `loose_until`.
    fn recall_within(&self, mark: u64, loose_until: u64, text: &str) -> Option<Vec<(Range<usize>, Attribution)>> {
        if text.trim().len() < MIN_RECALL_LEN {
            return None;
        }
        for frag in self.fragments.iter().rev().take_while(|f| f.number > mark) {
            if frag.text == text {
                return Some(frag.spans.iter().filter(|(_, a)| a.is_ai()).cloned().collect());
            }
            if let Some(spans) = rotated(frag, text) {
                return Some(spans);
            }
            for (range, attr) in &frag.spans {
                if attr.is_ai() && range.len() == text.len() && frag.text.get(range.clone()) == Some(text) {
                    return Some(vec![(0..text.len(), attr.clone())]);
                }
            }
        }
        let solid = solid_len(text);
        let loose = self.fragments.iter().rev().take_while(|f| f.number > mark).filter(|f| f.number <= loose_until);
        for frag in loose {
            if let Some(spans) = respaced(frag, text, solid).or_else(|| reordered(frag, text)) {
                return Some(spans);
            }
        }
        None
    }

    /// Whether `text` equals text removed recently, of any origin (only
    /// text of at least a few bytes is remembered this way).
    pub fn was_removed(&self, text: &str) -> bool {
        text.len() >= MIN_HASHED_LEN && self.hashes.contains(&text_hash(text))
    }

    pub fn len(&self) -> usize {
        self.fragments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fragments.is_empty()
    }
}

/// The AI spans of `frag` for `text`, when `text` is the fragment with
/// its line break moved from its end to its start or back (`"x\n"` and
/// `"\nx"`): what was the break's is the break's still.
fn rotated(frag: &Fragment, text: &str) -> Option<Vec<(Range<usize>, Attribution)>> {
    let n = frag.text.len();
    if n != text.len() || n < 2 {
        return None;
    }
    // Where each byte of the fragment lands in `text`.
    let (body, place): (Range<usize>, Box<dyn Fn(usize) -> usize>) =
        if frag.text.ends_with('\n') && text.starts_with('\n') && frag.text[..n - 1] == text[1..] {
            (0..n - 1, Box::new(move |i| if i == n - 1 { 0 } else { i + 1 }))
        } else if frag.text.starts_with('\n') && text.ends_with('\n') && frag.text[1..] == text[..n - 1] {
            (1..n, Box::new(move |i| if i == 0 { n - 1 } else { i - 1 }))
        } else {
            return None;
        };
    let mut out = Vec::new();
    for (range, attr) in frag.spans.iter().filter(|(_, a)| a.is_ai()) {
        // The part of the span in the body moves as one; the break alone.
        let inside = range.start.max(body.start)..range.end.min(body.end);
        if !inside.is_empty() {
            out.push((place(inside.start)..place(inside.end - 1) + 1, attr.clone()));
        }
        for i in [0, n - 1].into_iter().filter(|&i| !body.contains(&i) && range.contains(&i)) {
            out.push((place(i)..place(i) + 1, attr.clone()));
        }
    }
    Some(out)
}

/// The AI spans of `frag` for `text` (which has `solid` bytes that are
/// not whitespace), when the two are the same text but for how much
/// whitespace stands where (lines joined, re-indented): each such byte of
/// `text` has the origin of its fellow in the fragment.
fn respaced(frag: &Fragment, text: &str, solid: usize) -> Option<Vec<(Range<usize>, Attribution)>> {
    if frag.solid != solid || solid < MIN_RECALL_LEN {
        return None;
    }
    let solid_at = |s: &str| s.bytes().enumerate().filter(|(_, b)| !b.is_ascii_whitespace()).map(|(i, _)| i).collect();
    let (from, to): (Vec<usize>, Vec<usize>) = (solid_at(&frag.text), solid_at(text));
    if from.iter().zip(&to).any(|(&i, &j)| frag.text.as_bytes()[i] != text.as_bytes()[j]) {
        return None;
    }
    // Whitespace moved, not taken out or put in between words:
    // `if coupon:` is not `ifcoupon:`.
    let gaps = |at: &[usize]| at.windows(2).map(|w| w[1] > w[0] + 1).collect::<Vec<bool>>();
    if gaps(&from) != gaps(&to) {
        return None;
    }
    let mut out: Vec<(Range<usize>, Attribution)> = Vec::new();
    for (range, attr) in frag.spans.iter().filter(|(_, a)| a.is_ai()) {
        // The fragment's solid bytes in the span, as runs of `text`.
        let first = from.partition_point(|&i| i < range.start);
        let last = from.partition_point(|&i| i < range.end);
        for &j in &to[first..last] {
            match out.last_mut() {
                Some((r, a)) if r.end == j && a == attr => r.end = j + 1,
                _ => out.push((j..j + 1, attr.clone())),
            }
        }
    }
    Some(out)
}

/// The AI spans of `frag` for `text`, when `text` is the fragment's whole
/// lines in another order ([`reordered_spans`]).
fn reordered(frag: &Fragment, text: &str) -> Option<Vec<(Range<usize>, Attribution)>> {
    let ai: Vec<(Range<usize>, Attribution)> = frag.spans.iter().filter(|(_, a)| a.is_ai()).cloned().collect();
    reordered_spans(&frag.text, &ai, text)
}

/// `spans` of `from` carried onto `to`, when `to` is `from`'s whole lines in
/// another order (a sort, a filter such as `tac`): each line of `to` has the
/// origin of a line of `from` equal to it, line breaks aside (the last
/// line, which may have none, moves too). `None` when it is not.
pub fn reordered_spans(
    from: &str,
    spans: &[(Range<usize>, Attribution)],
    to: &str,
) -> Option<Vec<(Range<usize>, Attribution)>> {
    reorder(from, spans, to, false)
}

/// [`reordered_spans`] of one change that replaces lines with themselves
/// in another order (Neovim's `:sort`, VS Code's Sort Lines), where a sort
/// that puts blank lines last may end the text with a line break where it
/// had none (or the other way round): the empty line after that break is
/// one of the lines sorted. (Text put back in a later edit keeps the
/// stricter reading it had.)
pub fn sorted_spans(
    from: &str,
    spans: &[(Range<usize>, Attribution)],
    to: &str,
) -> Option<Vec<(Range<usize>, Attribution)>> {
    reorder(from, spans, to, true)
}

fn reorder(
    from: &str,
    spans: &[(Range<usize>, Attribution)],
    to: &str,
    last_line_moves: bool,
) -> Option<Vec<(Range<usize>, Attribution)>> {
    if from.len() != to.len() || from == to {
        return None;
    }
    let (mut was, mut now) = (lines_at(from), lines_at(to));
    if last_line_moves && was.len() + 1 == now.len() && from.ends_with('\n') {
        was.push(("", from.len()));
    } else if last_line_moves && now.len() + 1 == was.len() && to.ends_with('\n') {
        now.push(("", to.len()));
    }
    // Two lines of text at least: a line break moved is no sort.
    let texts = was.iter().filter(|(line, _)| !line.trim().is_empty()).count();
    if was.len() < 2 || (last_line_moves && texts < 2) || was.len() != now.len() {
        return None;
    }
    let bare = |line: &str| line.strip_suffix('\n').unwrap_or(line).len();
    let mut unused: HashMap<&str, Vec<usize>> = HashMap::new();
    for (line, start) in was.iter().rev() {
        unused.entry(&line[..bare(line)]).or_default().push(*start);
    }
    let mut out = Vec::new();
    for (line, start) in now {
        let body = &line[..bare(line)];
        let old = unused.get_mut(body)?.pop()?;
        for (range, attr) in spans {
            let inside = range.start.max(old)..range.end.min(old + body.len());
            if !inside.is_empty() {
                out.push((inside.start - old + start..inside.end - old + start, attr.clone()));
            }
        }
    }
    Some(out)
}

/// The lines of `text`, each with where it starts.
fn lines_at(text: &str) -> Vec<(&str, usize)> {
    let mut at = 0;
    text.split_inclusive('\n')
        .map(|line| {
            at += line.len();
            (line, at - line.len())
        })
        .collect()
}

/// Removed text shorter than this is not hashed: such text is far below any
/// heuristic threshold.
const MIN_HASHED_LEN: usize = 16;

fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// A difference between two texts: the bytes `old` of the old text became
/// the bytes `new` of the new one. Ranges are on character boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old: Range<usize>,
    pub new: Range<usize>,
}

/// Texts larger than this (per side of a changed line block) are diffed by
/// lines only: a character diff of them would cost too much.
const MAX_CHAR_DIFF: usize = 64 * 1024;

/// The hunks that turn `old` into `new`: a line diff, refined by a character
/// diff inside each changed block of lines.
pub fn diff(old: &str, new: &str) -> Vec<Hunk> {
    diff_and_unchanged(old, new).0
}

/// [`diff`] that stops refining at `deadline`: past it, the line diff and
/// the character diffs settle for coarser hunks (still a correct diff, the
/// changed text in fewer, larger pieces). Myers' cost grows with the size
/// of the texts times how much differs, so a whole text replaced by
/// another of 50 KB takes seconds; the language server, which an editor
/// waits on at every change, bounds it. The command line does not: its
/// results must not depend on the machine's speed.
pub fn diff_until(old: &str, new: &str, deadline: std::time::Instant) -> Vec<Hunk> {
    between_shared_lines(old, new, |old, new| {
        diff_lines_until(old, new, &similar::DiffableStr::tokenize_lines(new), Some(deadline), Refine::Characters).hunks
    })
}

/// [`diff_until`] by whole lines, refined within a block of lines that
/// changed only when the block is mostly what it was (a re-indent, a word
/// replaced: the same lines edited, which keep their origin but for what
/// was typed); a block that is another text (a paste over a selection) is
/// one hunk, however many of its characters happen to match the old ones.
pub fn line_diff_until(old: &str, new: &str, deadline: std::time::Instant) -> Vec<Hunk> {
    between_shared_lines(old, new, |old, new| {
        diff_lines_until(old, new, &similar::DiffableStr::tokenize_lines(new), Some(deadline), Refine::Similar).hunks
    })
}

/// The hunks of a change that edits lines where they stand (Neovim's `:%s`,
/// VS Code's Replace All, a rename over a file, a re-indent): `old` and
/// `new` have as many lines, and most lines that differ are mostly what
/// they were, by tokens ([`SIMILAR`] of their words, spaces and marks
/// kept: a name replaced by a longer one keeps a line's shape) and are not
/// the text of an old line (lines moved are no edits). Each line is diffed
/// against its own, by tokens, or replaced whole when it is another text,
/// so the answer never depends on a deadline: a line diff of thousands of
/// changed lines stops at one and leaves the rest as one large hunk.
/// `None` when the change is not that shape.
pub fn in_place_hunks(old: &str, new: &str) -> Option<Vec<Hunk>> {
    // Only between the lines both share at their start and end: a
    // keystroke sent as the whole text compares one line.
    let mut in_place = true;
    let hunks = between_shared_lines(old, new, |old, new| {
        edited_lines_hunks(old, new).unwrap_or_else(|| {
            in_place = false;
            Vec::new()
        })
    });
    in_place.then_some(hunks)
}

/// [`in_place_hunks`] of the lines from the first that differs to the last.
fn edited_lines_hunks(old: &str, new: &str) -> Option<Vec<Hunk>> {
    if old.len().abs_diff(new.len()) > old.len().max(new.len()) / 2 {
        return None;
    }
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    if old_lines.len() != new_lines.len() {
        return None;
    }
    let before: HashSet<&str> = old_lines.iter().copied().collect();
    let mut hunks = Vec::new();
    let (mut changed, mut similar, mut moved) = (0, 0, 0);
    let (mut o, mut n) = (0, 0);
    for (a, b) in old_lines.iter().zip(&new_lines) {
        if a != b {
            if a.len().max(b.len()) > PAIR_MAX_LINE {
                return None;
            }
            changed += 1;
            let pushed = hunks.len();
            let (kept, tokens) = token_hunks(a, b, (o, n), &mut hunks);
            if (2 * kept) as f64 >= SIMILAR * tokens as f64 {
                similar += 1;
            } else {
                hunks.truncate(pushed);
                hunks.push(Hunk { old: o..o + a.len(), new: n..n + b.len() });
            }
            moved += usize::from(before.contains(b));
        }
        o += a.len();
        n += b.len();
    }
    (2 * similar > changed && 2 * moved < changed.max(1)).then_some(hunks)
}

/// The hunks that turn line `old` into line `new` (at `old_base` and
/// `new_base` in their texts), by tokens: runs of word characters (letters,
/// digits, `_`, anything past ASCII), runs of spaces, and each other
/// character. Returns how many tokens they keep, and how many both lines
/// hold.
fn token_hunks(old: &str, new: &str, (old_base, new_base): (usize, usize), out: &mut Vec<Hunk>) -> (usize, usize) {
    fn tokens(line: &str) -> Vec<&str> {
        let class = |c: char| match c {
            c if c.is_alphanumeric() || c == '_' || !c.is_ascii() => 0,
            ' ' | '\t' => 1,
            _ => 2,
        };
        let mut out = Vec::new();
        let mut start = 0;
        let mut last: Option<u8> = None;
        for (i, c) in line.char_indices() {
            let k = class(c);
            if i > start && (last != Some(k) || k == 2) {
                out.push(&line[start..i]);
                start = i;
            }
            last = Some(k);
        }
        if start < line.len() {
            out.push(&line[start..]);
        }
        out
    }
    let (a, b) = (tokens(old), tokens(new));
    let (old_at, new_at) = (prefix_offsets(&a), prefix_offsets(&b));
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &a, &b);
    let mut kept = 0;
    for op in &ops {
        if let similar::DiffOp::Equal { len, .. } = op {
            kept += len;
        }
    }
    for (o, n) in changed_blocks(&ops) {
        out.push(Hunk {
            old: old_base + old_at[o.start]..old_base + old_at[o.end],
            new: new_base + new_at[n.start]..new_base + new_at[n.end],
        });
    }
    (kept, a.len() + b.len())
}

/// How [`diff_lines_until`] refines a block of lines that changed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Refine {
    /// Within it, by characters.
    Characters,
    /// By characters when most of its characters are kept
    /// ([`SIMILAR`]), else not at all.
    Similar,
    /// As [`Refine::Similar`], but a block that is another text as a whole
    /// still has its lines that are mostly old lines of it refined
    /// ([`Block::paired`]).
    Paired,
    /// Never.
    Never,
}

/// How much of a block of lines must be kept (twice the characters kept
/// over the characters of both sides) for [`Refine::Similar`] to refine it
/// (and for [`Block::paired`] to pair two lines).
const SIMILAR: f64 = 0.6;

/// `diff` of what lies between the whole lines `old` and `new` share at
/// their start and at their end, its hunks placed in the whole texts. The
/// line diff would leave those lines out as equal anyway; found by
/// comparing bytes, they are never split into lines or hashed, which is
/// most of what a whole-text change of a large file costs (an editor that
/// sends the whole text on every keystroke).
fn between_shared_lines(old: &str, new: &str, diff: impl FnOnce(&str, &str) -> Vec<Hunk>) -> Vec<Hunk> {
    let (o, n) = (old.as_bytes(), new.as_bytes());
    let shortest = o.len().min(n.len());
    let same = o.iter().zip(n).take_while(|(a, b)| a == b).count();
    // The start of the line the first difference is on (the whole text
    // when there is none).
    let head = if same == o.len() && same == n.len() {
        same
    } else {
        o[..same].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
    };
    let same_end = o[head..].iter().rev().zip(n[head..].iter().rev()).take_while(|(a, b)| a == b).count();
    let same_end = same_end.min(shortest - head);
    // From the first line that starts in that shared end in both texts.
    let mut tail = same_end;
    while tail > 0 {
        let (os, ns) = (o.len() - tail, n.len() - tail);
        let at_line_start = |bytes: &[u8], at: usize| at == head || bytes[at - 1] == b'\n';
        if at_line_start(o, os) && at_line_start(n, ns) {
            break;
        }
        tail = o[os..].iter().position(|&b| b == b'\n').map_or(0, |i| tail - i - 1);
    }
    let mut hunks = diff(&old[head..o.len() - tail], &new[head..n.len() - tail]);
    for hunk in &mut hunks {
        hunk.old = hunk.old.start + head..hunk.old.end + head;
        hunk.new = hunk.new.start + head..hunk.new.end + head;
    }
    hunks
}

/// [`diff`], and the byte ranges of `old` that its line diff finds
/// unchanged in `new` ([`unchanged_lines`]), from one line diff.
pub fn diff_and_unchanged(old: &str, new: &str) -> (Vec<Hunk>, Vec<Range<usize>>) {
    diff_and_unchanged_lines(old, new, &similar::DiffableStr::tokenize_lines(new))
}

/// [`diff_and_unchanged`] with `new` already split into lines (similar's
/// `tokenize_lines`, as its line diff splits it): a caller diffing many
/// versions against one text splits it once.
pub fn diff_and_unchanged_lines(old: &str, new: &str, new_lines: &[&str]) -> (Vec<Hunk>, Vec<Range<usize>>) {
    let diff = diff_lines_until(old, new, new_lines, None, Refine::Characters);
    (diff.hunks, diff.unchanged)
}

/// A line diff's result: its hunks, the old byte ranges its lines found
/// unchanged, and the old ranges of lines replaced by another text (under
/// [`Refine::Paired`]).
pub struct LineDiff {
    pub hunks: Vec<Hunk>,
    pub unchanged: Vec<Range<usize>>,
    pub other_text: Vec<Range<usize>>,
}

/// The line diff, with no deadline, by which the journal's view carries a
/// record's version onto a text that may not have grown out of it (a
/// buffer gone back to HEAD, another worktree's, the index under partial
/// staging), with the unchanged lines, as [`diff_and_unchanged_lines`]
/// gives them. A block of lines mostly unchanged is refined by characters;
/// in one that is another text, only its lines that are mostly old lines
/// of it are ([`Block::paired`]): the person's `return doc.public` typed
/// where an agent's discarded function stood shares `return`, `doc` and
/// scattered letters with it, and is not the agent's for that. The lines
/// replaced by another text are named ([`LineDiff::other_text`]): what the
/// view does not take for an edit of the text they replaced.
pub fn line_diff_and_unchanged_lines(old: &str, new: &str, new_lines: &[&str]) -> LineDiff {
    diff_lines_until(old, new, new_lines, None, Refine::Paired)
}

/// [`line_diff_and_unchanged_lines`] by whole lines only: no character of
/// a line that changed is unchanged.
pub fn whole_line_diff_and_unchanged_lines(old: &str, new: &str, new_lines: &[&str]) -> LineDiff {
    diff_lines_until(old, new, new_lines, None, Refine::Never)
}

fn diff_lines_until(
    old: &str,
    new: &str,
    new_lines: &[&str],
    deadline: Option<std::time::Instant>,
    refine: Refine,
) -> LineDiff {
    use similar::{Algorithm, DiffableStr, TextDiff};

    let old_lines = old.tokenize_lines();
    let mut config = TextDiff::configure();
    config.algorithm(Algorithm::Myers);
    if let Some(deadline) = deadline {
        config.deadline(deadline);
    }
    let lines = config.diff_slices(&old_lines, new_lines);
    let old_starts = prefix_offsets(lines.old_slices());
    let new_starts = prefix_offsets(lines.new_slices());
    let unchanged = equal_runs(lines.ops(), &old_starts);
    let mut blocks = changed_blocks(lines.ops());
    if refine == Refine::Characters {
        blocks = joined_across_short_lines(blocks, &old_lines, (&old_starts, &new_starts));
    }
    let mut hunks = Vec::new();
    let mut other_text = Vec::new();
    for (o, n) in blocks {
        let old_range = old_starts[o.start]..old_starts[o.end];
        let new_range = new_starts[n.start]..new_starts[n.end];
        if refine == Refine::Never
            || old_range.is_empty()
            || new_range.is_empty()
            || old_range.len().max(new_range.len()) > MAX_CHAR_DIFF
        {
            hunks.push(Hunk { old: old_range, new: new_range });
        } else {
            let (old_text, new_text) = (&old[old_range.clone()], &new[new_range.clone()]);
            let base = (old_range.start, new_range.start);
            let pushed = hunks.len();
            let kept = char_hunks(old_text, new_text, base, deadline, &mut hunks);
            let share = (2 * kept) as f64 / (old_text.len() + new_text.len()) as f64;
            if matches!(refine, Refine::Similar | Refine::Paired) && share < SIMILAR {
                hunks.truncate(pushed);
                if refine == Refine::Paired {
                    let (old_starts, new_starts) = (&old_starts[o.clone()], &new_starts[n.clone()]);
                    let block = Block { old, new, old_starts, new_starts };
                    block.paired((old_range, new_range), deadline, &mut hunks, &mut other_text);
                } else {
                    hunks.push(Hunk { old: old_range, new: new_range });
                }
            }
        }
    }
    LineDiff { hunks, unchanged, other_text }
}

/// How far ahead [`Block::paired`] looks for an old line a new one edits.
const PAIR_WINDOW: usize = 8;

/// Blocks of more lines than this, or lines longer, are not paired: left
/// whole, as another text.
const PAIR_MAX_LINES: usize = 256;
const PAIR_MAX_LINE: usize = 2_000;

/// A block of changed lines, with the byte offsets of its lines' starts in
/// the old and the new text (each list ends where the next line would
/// start, past the block's last line: `old_starts[k]..old_starts[k + 1]`
/// is line `k` of it, as offsets into the whole text).
struct Block<'a> {
    old: &'a str,
    new: &'a str,
    old_starts: &'a [usize],
    new_starts: &'a [usize],
}

impl Block<'_> {
    /// The hunks of a block that is another text as a whole (a person's
    /// line rewritten and lines added around an agent's line edited by one
    /// character): each new line that is mostly an old line of the block
    /// (in order, at most [`PAIR_WINDOW`] lines on) is refined against it
    /// by characters, as an edit of it; what lies between such pairs is
    /// one hunk, and where it replaced old lines with new ones, those old
    /// lines are named in `other_text`.
    fn paired(
        &self,
        (old_range, new_range): (Range<usize>, Range<usize>),
        deadline: Option<std::time::Instant>,
        hunks: &mut Vec<Hunk>,
        other_text: &mut Vec<Range<usize>>,
    ) {
        let (old_count, new_count) = (self.old_starts.len(), self.new_starts.len());
        let line = |starts: &[usize], end: usize, k: usize| starts[k]..starts.get(k + 1).copied().unwrap_or(end);
        let old_line = |k: usize| line(self.old_starts, old_range.end, k);
        let new_line = |k: usize| line(self.new_starts, new_range.end, k);
        let mut flush = |old: Range<usize>, new: Range<usize>, hunks: &mut Vec<Hunk>| {
            if !old.is_empty() && !new.is_empty() {
                other_text.push(old.clone());
            }
            if !old.is_empty() || !new.is_empty() {
                hunks.push(Hunk { old, new });
            }
        };
        if old_count > PAIR_MAX_LINES || new_count > PAIR_MAX_LINES {
            flush(old_range, new_range, hunks);
            return;
        }
        let (mut next_old, mut open_old, mut open_new) = (0, old_range.start, new_range.start);
        for j in 0..new_count {
            let new = new_line(j);
            let mut paired = None;
            for k in next_old..(next_old + PAIR_WINDOW).min(old_count) {
                let old = old_line(k);
                let (a, b) = (&self.old[old.clone()], &self.new[new.clone()]);
                if a.len().max(b.len()) > PAIR_MAX_LINE || 2 * a.len().min(b.len()) < a.len().max(b.len()) {
                    continue;
                }
                let mut refined = Vec::new();
                let kept = char_hunks(a, b, (old.start, new.start), deadline, &mut refined);
                if (2 * kept) as f64 / (a.len() + b.len()).max(1) as f64 >= SIMILAR {
                    paired = Some((k, refined));
                    break;
                }
            }
            if let Some((k, refined)) = paired {
                flush(open_old..old_line(k).start, open_new..new.start, hunks);
                hunks.extend(refined);
                (next_old, open_old, open_new) = (k + 1, old_line(k).end, new.end);
            }
        }
        flush(open_old..old_range.end, open_new..new_range.end, hunks);
    }
}

/// The byte ranges of `old` that a line diff finds unchanged in `new`,
/// sorted, touching runs merged.
pub fn unchanged_lines(old: &str, new: &str) -> Vec<Range<usize>> {
    use similar::{Algorithm, TextDiff};
    let lines = TextDiff::configure().algorithm(Algorithm::Myers).diff_lines(old, new);
    equal_runs(lines.ops(), &prefix_offsets(lines.old_slices()))
}

/// The old byte ranges of the equal operations of a line diff whose old
/// lines start at `old_starts`, touching runs merged.
fn equal_runs(ops: &[similar::DiffOp], old_starts: &[usize]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for op in ops.iter().filter(|op| op.tag() == similar::DiffTag::Equal) {
        let range = old_starts[op.old_range().start]..old_starts[op.old_range().end];
        match out.last_mut() {
            Some(last) if last.end == range.start => last.end = range.end,
            _ => out.push(range),
        }
    }
    out
}

/// The maximal runs of non-equal diff operations, as token index ranges.
///
/// Positions come from the operations' lengths, counted from the start:
/// similar 2.7 can report a wrong `new_index` on a `Delete` (seen with
/// Myers on mixed line breaks), while the lengths and the order are right.
fn changed_blocks(ops: &[similar::DiffOp]) -> Vec<(Range<usize>, Range<usize>)> {
    let (mut o, mut n) = (0, 0);
    let mut blocks: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let mut open = false;
    for op in ops {
        let (old_len, new_len) = (op.old_range().len(), op.new_range().len());
        if op.tag() == similar::DiffTag::Equal {
            open = false;
        } else if open {
            let last = blocks.last_mut().expect("an open block exists");
            last.0.end = o + old_len;
            last.1.end = n + new_len;
        } else {
            blocks.push((o..o + old_len, n..n + new_len));
            open = true;
        }
        o += old_len;
        n += new_len;
    }
    blocks
}

/// The most bytes two changed blocks joined by [`joined_across_short_lines`]
/// may span: a character diff without a deadline grows with the size of
/// what it diffs times how much differs.
const MAX_JOINED: usize = 4 * 1024;

/// Changed blocks of lines (token ranges, lines starting at `starts`), a
/// removal and an insertion one after the other, apart by no more than two
/// equal lines with no letter or digit (`}`, a blank line), joined, within
/// [`MAX_JOINED`]: a line diff matches such a line across an edit that
/// moved a line break beside it (a line joined to the next, by `J` or a
/// formatter), which leaves the text after it removed in one block and
/// typed again in the other. Refined by characters together, what did not
/// change keeps its origin. Blocks that each replace lines (a re-indent)
/// are left apart.
fn joined_across_short_lines(
    blocks: Vec<(Range<usize>, Range<usize>)>,
    old_lines: &[&str],
    (old_starts, new_starts): (&[usize], &[usize]),
) -> Vec<(Range<usize>, Range<usize>)> {
    let mut out: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(blocks.len());
    for (o, n) in blocks {
        if let Some((last_o, last_n)) = out.last_mut() {
            let between = &old_lines[last_o.end..o.start];
            let plain = |line: &&str| !line.chars().any(char::is_alphanumeric);
            let short = between.len() <= 2 && between.iter().all(plain);
            // One removes lines, the other inserts them.
            let empty = |r: &Range<usize>| r.start == r.end;
            let moved = (empty(last_o) && empty(&n)) || (empty(last_n) && empty(&o));
            let size = (old_starts[o.end] - old_starts[last_o.start]).max(new_starts[n.end] - new_starts[last_n.start]);
            if short && moved && size <= MAX_JOINED {
                last_o.end = o.end;
                last_n.end = n.end;
                continue;
            }
        }
        out.push((o, n));
    }
    out
}

fn prefix_offsets(slices: &[&str]) -> Vec<usize> {
    let mut out = Vec::with_capacity(slices.len() + 1);
    let mut at = 0;
    out.push(0);
    for s in slices {
        at += s.len();
        out.push(at);
    }
    out
}

/// Push onto `out` the character hunks of `old` into `new` (placed at
/// `old_base` and `new_base`); how many bytes of `old` they keep.
fn char_hunks(
    old: &str,
    new: &str,
    (old_base, new_base): (usize, usize),
    deadline: Option<std::time::Instant>,
    out: &mut Vec<Hunk>,
) -> usize {
    let old_chars: Vec<char> = old.chars().collect();
    let new_chars: Vec<char> = new.chars().collect();
    let old_at = char_offsets(old);
    let new_at = char_offsets(new);
    let ops = similar::capture_diff_slices_deadline(similar::Algorithm::Myers, &old_chars, &new_chars, deadline);
    let mut changed = 0;
    for (o, n) in changed_blocks(&ops) {
        changed += old_at[o.end] - old_at[o.start];
        out.push(Hunk {
            old: old_base + old_at[o.start]..old_base + old_at[o.end],
            new: new_base + new_at[n.start]..new_base + new_at[n.end],
        });
    }
    old.len() - changed
}

/// The byte offset of each character, and the length at the end.
fn char_offsets(s: &str) -> Vec<usize> {
    s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).collect()
}

/// Carry attributed ranges of `old` over to `new`, after an edit that vouch
/// did not see (an outside tool, a formatter, a merge).
///
/// Unchanged text keeps its attribution. Text that replaced bytes all of one
/// attribution takes that attribution (a reformat inside an AI function is
/// still AI); a pure insertion between two bytes of one attribution takes it
/// too (a formatter adding a line break). Anything else is `fallback`.
pub fn reanchor(
    old: &str,
    spans: &[(Range<usize>, Attribution)],
    new: &str,
    fallback: &Attribution,
) -> Vec<(Range<usize>, Attribution)> {
    carry(
        old,
        spans,
        new,
        fallback,
        |map, hunk| {
            let inside: Vec<Span> = map.spans_in(hunk.old.clone()).collect();
            if hunk.old.is_empty() {
                let before = hunk.old.start.checked_sub(1).and_then(|b| map.spans_in(b..b + 1).next());
                let after = map.spans_in(hunk.old.start..hunk.old.start + 1).next();
                match (before, after) {
                    (Some(b), Some(a)) if a.attr == b.attr => Some(a.attr),
                    _ => None,
                }
            } else if inside.len() == 1 {
                Some(inside[0].attr)
            } else {
                None
            }
        },
        diff(old, new),
    )
}

/// Carry attributed ranges of `old` over to `new` where the text is
/// unchanged; what changed is of unknown origin ([`reanchor`] guesses for
/// it instead).
pub fn carry_unchanged(
    old: &str,
    spans: &[(Range<usize>, Attribution)],
    new: &str,
) -> Vec<(Range<usize>, Attribution)> {
    carry_unchanged_through(old, spans, new, || diff(old, new))
}

/// [`carry_unchanged`] through a diff that stops refining at `deadline`
/// ([`diff_until`]): for the language server's state thread, which an
/// editor waits on. Past it, less counts as unchanged (a whole file
/// re-indented may carry nothing), never more.
pub fn carry_unchanged_until(
    old: &str,
    spans: &[(Range<usize>, Attribution)],
    new: &str,
    deadline: std::time::Instant,
) -> Vec<(Range<usize>, Attribution)> {
    carry_unchanged_through(old, spans, new, || diff_until(old, new, deadline))
}

/// [`carry_unchanged`] through the hunks `diff` makes.
fn carry_unchanged_through(
    old: &str,
    spans: &[(Range<usize>, Attribution)],
    new: &str,
    diff: impl FnOnce() -> Vec<Hunk>,
) -> Vec<(Range<usize>, Attribution)> {
    // Nothing to carry: all of `new` is of unknown origin, with no diff (one
    // with no deadline, of a whole file).
    if spans.is_empty() {
        return ProvenanceMap::new(new.len()).to_vec();
    }
    carry(old, spans, new, &Attribution::unknown(), |_, _| None, diff())
}

/// Carry `spans` of `old` through `hunks`, the diff to `new`: each changed
/// piece takes what `inherit` picks from the map before it, else `fallback`.
fn carry(
    old: &str,
    spans: &[(Range<usize>, Attribution)],
    new: &str,
    fallback: &Attribution,
    inherit: impl Fn(&ProvenanceMap, &Hunk) -> Option<AttrId>,
    hunks: Vec<Hunk>,
) -> Vec<(Range<usize>, Attribution)> {
    let mut map = ProvenanceMap::from_ranges(old.len(), spans);
    let fallback_id = map.intern(fallback);
    // Apply from the end so earlier hunks' old offsets stay valid.
    for hunk in hunks.into_iter().rev() {
        let inherited = inherit(&map, &hunk);
        map.replace(hunk.old.clone(), hunk.new.len(), inherited.unwrap_or(fallback_id));
    }
    debug_assert_eq!(map.len(), new.len());
    map.to_vec()
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn a_blank_line_takes_the_origin_of_the_insertion_it_is_inside() {
        let ai = Attribution::ai(
            AiSource { tool: "claude".into(), model: None, session: None, kind: None },
            Evidence::AgentHook,
            None,
        );
        let text = b"x = 1\n\ndef f():\n    pass\n\ndef g():\n    pass\n";
        // The agent inserted from "def f" to the end; the blank line before
        // it is the person's, the one between f and g the agent's.
        let start = 7;
        let got = line_attributions(text, &[(start..text.len(), ai.clone())]);
        let labels: String = got.iter().map(|a| if a.is_some() { 'A' } else { '.' }).collect();
        assert_eq!(labels, "..AAAAA");
        // An AI run that ends inside a blank line does not make it AI; one
        // that covers a word of a line does.
        let got = line_attributions(b"a\n  \nb c\n", &[(0..3, ai.clone()), (7..8, ai)]);
        let labels: String = got.iter().map(|a| if a.is_some() { 'A' } else { '.' }).collect();
        assert_eq!(labels, "A.A");
    }
}

#[cfg(test)]
mod stored_tests {
    use super::*;

    fn every_shape() -> Vec<Attribution> {
        let full = AiSource {
            tool: "claude-code".into(),
            model: Some("opus".into()),
            session: Some("s1".into()),
            kind: Some(AiKind::Agent),
        };
        let intent = crate::intent::Intent { prompt: Some("add a cache".into()), ..Default::default() };
        vec![
            Attribution::ai(full, Evidence::AgentHook, Some("a@example.com".into())).with_intent(Some(intent)),
            Attribution::ai(
                AiSource { tool: "copilot".into(), model: None, session: None, kind: None },
                Evidence::Editor,
                None,
            ),
            Attribution::typed(),
            Attribution {
                origin: Origin::Human,
                evidence: Some(Evidence::Manual),
                accepted_by: Some("b@x".into()),
                intent: None,
            },
            Attribution::unknown(),
        ]
    }

    #[test]
    fn attributions_and_spans_read_back_what_is_written() {
        for (i, attribution) in every_shape().into_iter().enumerate() {
            let json = serde_json::to_string(&attribution).unwrap();
            assert_eq!(serde_json::from_str::<Attribution>(&json).unwrap(), attribution, "{json}");
            let span = StoredSpan { start: i, end: i + 3, attribution };
            let json = serde_json::to_string(&span).unwrap();
            assert!(json.starts_with(&format!("{{\"start\":{i},\"end\":{},\"origin\":", i + 3)), "flat: {json}");
            assert_eq!(serde_json::from_str::<StoredSpan>(&json).unwrap(), span, "{json}");
        }
    }

    #[test]
    fn a_stored_attribution_is_read_as_flatten_read_it() {
        // Keys another kind of origin has, or a later version added, are
        // ignored; a missing tag or tool is an error that names it.
        let human: Attribution =
            serde_json::from_str(r#"{"origin":"human","tool":"x","evidence":"editor","later":[1]}"#).unwrap();
        assert_eq!(human, Attribution::typed());
        let span: StoredSpan = serde_json::from_str(r#"{"end":4,"origin":"unknown","start":1}"#).unwrap();
        assert_eq!((span.start, span.end, span.attribution), (1, 4, Attribution::unknown()));
        for (json, named) in [
            (r#"{"origin":"ai","evidence":"editor"}"#, "`tool`"),
            (r#"{"tool":"x"}"#, "`origin`"),
            (r#"{"origin":"robot","tool":"x"}"#, "robot"),
        ] {
            let e = serde_json::from_str::<Attribution>(json).unwrap_err().to_string();
            assert!(e.contains(named), "{json}: {e}");
        }
        let e = serde_json::from_str::<StoredSpan>(r#"{"start":1,"origin":"human"}"#).unwrap_err().to_string();
        assert!(e.contains("`end`"), "{e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_edited_where_they_stand_are_diffed_each_against_its_own() {
        let old = "def f(value):\n    return value\n\nx = value\n";
        let new = old.replace("value", "val");
        let hunks = in_place_hunks(old, &new).expect("a substitution edits lines in place");
        // Each word replaced, and nothing else.
        assert_eq!(hunks.len(), 3);
        for h in &hunks {
            assert_eq!((&old[h.old.clone()], &new[h.new.clone()]), ("value", "val"));
        }
        // A longer name keeps each line's shape, though most of its
        // characters change.
        let longer = old.replace("value", "amount_in_cents");
        assert_eq!(in_place_hunks(old, &longer).map(|h| h.len()), Some(3));
        // Not that shape: a line added, a line moved (even one edited
        // elsewhere too), a line that is another text.
        assert!(in_place_hunks(old, &format!("{new}y = 1\n")).is_none());
        let moved = "x = value\ndef f(value):\n    return value\n\n";
        assert!(in_place_hunks(old, moved).is_none());
        let other = "def f(value):\n    raise NotImplementedError()\n\nx = value\n";
        assert!(in_place_hunks(old, other).is_none());
    }

    #[test]
    fn text_put_back_with_other_whitespace_or_lines_in_another_order_is_recalled() {
        let ai = Attribution::ai(
            AiSource { tool: "t".into(), model: None, session: None, kind: None },
            Evidence::Editor,
            None,
        );
        let mut removed = RecentlyRemoved::default();
        removed.remember("    if coupon:\n", vec![(4..14, ai.clone())]);
        // Joined onto the line above (Neovim's `J`).
        assert_eq!(removed.recall(" if coupon:"), Some(vec![(1..3, ai.clone()), (4..11, ai.clone())]));
        // Not a word run into the next: another text.
        assert_eq!(removed.recall(" ifcoupon:"), None);
        // Whole lines in another order, the last without its line break.
        let spans = vec![(0..5, ai.clone())];
        assert_eq!(reordered_spans("a = 1\nb = 2", &spans, "b = 2\na = 1"), Some(vec![(6..11, ai.clone())]));
        assert_eq!(reordered_spans("a = 1\nb = 2", &spans, "b = 2\na = 2"), None);
    }

    /// A block that is another text as a whole: the editor's ranged change
    /// (a paste over a selection) keeps it one hunk; the journal's view
    /// pairs its line that is mostly an old one (a line edited beside a
    /// rewrite) and names the rest as replaced by another text.
    #[test]
    fn only_the_views_diff_pairs_the_lines_of_a_block_that_is_another_text() {
        let old = "def connect(config):\n    retries = config.get('retries', 3)\n    timeout = compute_timeout(config, retries, backoff=2.0)\n";
        let new = "def connect(config):\n    # the network team asked for this; see ticket NET-2231 and the runbook for the numbers\n    metrics.gauge('net.connect', 1, tags={'host': config['host']})\n    log.info('connecting to %s', config['host'])\n    timeout = compute_timeout(config, retries, backoff=4.0)\n";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        assert_eq!(line_diff_until(old, new, deadline).len(), 1);
        let diff = line_diff_and_unchanged_lines(old, new, &similar::DiffableStr::tokenize_lines(new));
        let edited = new.find("    timeout").unwrap()..new.len();
        let in_edited: Vec<&Hunk> = diff.hunks.iter().filter(|h| edited.contains(&h.new.start)).collect();
        assert_eq!(in_edited.len(), 1, "{:?}", diff.hunks);
        assert_eq!(&new[in_edited[0].new.clone()], "4");
        assert_eq!(diff.other_text, vec![old.find("    retries").unwrap()..old.find("    timeout").unwrap()]);
    }

    fn ai(tool: &str) -> Attribution {
        Attribution::ai(AiSource { tool: tool.into(), model: None, session: None, kind: None }, Evidence::Editor, None)
    }

    /// One letter per byte: `.` unknown, `h` human, or the AI tool's letter.
    fn picture(map: &ProvenanceMap) -> String {
        let mut s = String::new();
        for span in map.spans() {
            let c = match &map.attribution(span.attr).origin {
                Origin::Unknown => '.',
                Origin::Human => 'h',
                Origin::Ai(src) => src.tool.chars().next().unwrap(),
            };
            s.extend(std::iter::repeat_n(c, span.range.len()));
        }
        s
    }

    #[test]
    fn insertion_splits_an_ai_run() {
        let mut map = ProvenanceMap::new(10);
        let a = map.intern(&ai("a"));
        let h = map.intern(&Attribution::typed());
        map.set(2..8, a);
        assert_eq!(picture(&map), "..aaaaaa..");
        map.replace(5..5, 2, h);
        assert_eq!(picture(&map), "..aaahhaaa..");
        assert_eq!(map.spans().count(), 5);
        // Deleting the human text joins the AI halves into one span again.
        let removed = map.replace(5..7, 0, h);
        assert_eq!(removed, vec![Span { range: 0..2, attr: h }]);
        assert_eq!(picture(&map), "..aaaaaa..");
        assert_eq!(map.spans().count(), 3);
        assert_eq!(map.ai_ranges(), vec![2..8]);
    }

    #[test]
    fn replacement_across_runs() {
        let mut map = ProvenanceMap::new(10);
        let a = map.intern(&ai("a"));
        let b = map.intern(&ai("b"));
        map.set(0..4, a);
        map.set(6..10, b);
        let removed = map.replace(2..8, 1, UNKNOWN);
        assert_eq!(picture(&map), "aa.bb");
        let removed: Vec<_> = removed.into_iter().map(|s| (s.range, s.attr)).collect();
        assert_eq!(removed, vec![(0..2, a), (2..4, UNKNOWN), (4..6, b)]);
        assert_eq!(map.ai_ranges(), vec![0..2, 3..5]);
    }

    #[test]
    fn spans_in_cuts_to_the_range() {
        let mut map = ProvenanceMap::new(10);
        let a = map.intern(&ai("a"));
        map.set(3..6, a);
        let got: Vec<_> = map.spans_in(4..8).map(|s| s.range).collect();
        assert_eq!(got, vec![4..6, 6..8]);
        assert_eq!(map.spans_in(10..12).count(), 0);
        assert_eq!(map.at(3).map(|a| a.is_ai()), Some(true));
        assert_eq!(map.at(10), None);
    }

    #[test]
    fn out_of_range_edits_are_clamped() {
        let mut map = ProvenanceMap::new(4);
        let a = map.intern(&ai("a"));
        map.replace(10..20, 2, a);
        assert_eq!(picture(&map), "....aa");
        map.set(5..99, UNKNOWN);
        assert_eq!(picture(&map), "....a.");
        #[allow(clippy::reversed_empty_ranges)] // A client's reversed range must not panic.
        map.replace(3..1, 0, a);
        assert_eq!(map.len(), 6);
    }

    #[test]
    fn removed_ai_text_is_recalled() {
        let mut recent = RecentlyRemoved::default();
        recent.remember("xx fn f() {}", vec![(0..3, Attribution::typed()), (3..12, ai("a"))]);
        assert_eq!(recent.recall("xx fn f() {}"), Some(vec![(3..12, ai("a"))]));
        assert_eq!(recent.recall("fn f() {}"), Some(vec![(0..9, ai("a"))]));
        assert_eq!(recent.recall("fn g() {}"), None);
        assert_eq!(recent.recall("}"), None);
        // Human-only text is not remembered.
        recent.remember("human text", vec![(0..10, Attribution::typed())]);
        assert_eq!(recent.recall("human text"), None);
    }

    #[test]
    fn diff_finds_character_hunks() {
        let hunks = diff("fn a() {\n    1\n}\n", "fn a() {\n    12\n}\n");
        assert_eq!(hunks, vec![Hunk { old: 14..14, new: 14..15 }]);
        let hunks = diff("héllo\n", "hallo\n");
        assert_eq!(hunks, vec![Hunk { old: 1..3, new: 1..2 }]);
        assert_eq!(diff("same", "same"), vec![]);
        assert_eq!(diff("", "new\n"), vec![Hunk { old: 0..0, new: 0..4 }]);
    }

    #[test]
    fn reanchor_follows_lines_inserted_above() {
        let old = "fn a() {}\nfn b() {\n    x\n}\n";
        let spans = vec![(10..25, ai("c"))];
        let new = "use y;\n\nfn a() {}\nfn b() {\n    x\n}\n";
        let got = reanchor(old, &spans, new, &Attribution::unknown());
        let ai: Vec<_> = got.iter().filter(|(_, a)| a.is_ai()).map(|(r, _)| r.clone()).collect();
        assert_eq!(ai, vec![18..33]);
        assert_eq!(&new[18..33], &old[10..25]);
    }

    #[test]
    fn reanchor_keeps_a_reformatted_span_ai() {
        let old = "// top\nfn b(){x+1}\n";
        let spans = vec![(7..18, ai("c"))];
        let new = "// top\nfn b() {\n    x + 1\n}\n";
        let got = reanchor(old, &spans, new, &Attribution::unknown());
        let ai: Vec<_> = got.iter().filter(|(_, a)| a.is_ai()).map(|(r, _)| r.clone()).collect();
        assert_eq!(ai, vec![7..new.len() - 1], "{got:?}");
    }

    #[test]
    fn carry_unchanged_of_nothing_is_what_the_diff_would_give() {
        // No span to carry: the same as diffing, without the diff.
        for (old, new) in [("", "a\n"), ("a\nb\n", "b\nc\n"), ("fn a() {}\n", "")] {
            let diffed = carry(old, &[], new, &Attribution::unknown(), |_, _| None, diff(old, new));
            assert_eq!(carry_unchanged(old, &[], new), diffed, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn carry_unchanged_until_a_deadline_past_carries_less_never_more() {
        // A whole file re-indented, with a deadline already past (the
        // language server's state thread under a slow diff): what is
        // carried is still text that was there, unchanged, never a guess.
        let old: String = (0..400).map(|i| format!("\tfn f{i}() {{ {i} }}\n")).collect();
        let start = old.find("\tfn f10(").unwrap();
        let end = old.find("\tfn f13(").unwrap();
        let spans = vec![(start..end, ai("c"))];
        let new = old.replace('\t', "    ");
        for deadline in [std::time::Instant::now(), std::time::Instant::now() + std::time::Duration::from_secs(60)] {
            let got = carry_unchanged_until(&old, &spans, &new, deadline);
            assert_eq!(got.last().map(|(r, _)| r.end), Some(new.len()));
            for (range, _) in got.iter().filter(|(_, a)| a.is_ai()) {
                assert!(old[start..end].contains(&new[range.clone()]), "{:?}", &new[range.clone()]);
            }
        }
        // Given the time, the diff finds what it always found.
        let far = std::time::Instant::now() + std::time::Duration::from_secs(60);
        assert_eq!(carry_unchanged_until(&old, &spans, &new, far), carry_unchanged(&old, &spans, &new));
    }

    #[test]
    fn carry_unchanged_guesses_nothing() {
        // The reformat that reanchor keeps AI above: only the characters
        // left as they were keep their attribution; the spaces and line
        // breaks added are unknown.
        let old = "// top\nfn b(){x+1}\n";
        let spans = vec![(0..7, Attribution::typed()), (7..18, ai("c"))];
        let new = "// top\nfn b() {\n    x + 1\n}\n";
        let got = carry_unchanged(old, &spans, new);
        let known: Vec<(&str, &str)> = got
            .iter()
            .filter(|(_, a)| a.origin != Origin::Unknown)
            .map(|(r, a)| (&new[r.clone()], a.origin.label()))
            .collect();
        let expected =
            [("// top\n", "human"), ("fn b()", "ai"), ("{", "ai"), ("x", "ai"), ("+", "ai"), ("1", "ai"), ("}", "ai")];
        assert_eq!(known, expected, "{got:?}");
        assert_eq!(got.last().map(|(r, _)| r.end), Some(new.len()));
    }

    /// Apply hunks from the last to the first, as the callers do.
    fn patch(old: &str, new: &str, hunks: &[Hunk]) -> String {
        let mut s = old.to_string();
        for h in hunks.iter().rev() {
            s.replace_range(h.old.clone(), &new[h.new.clone()]);
        }
        s
    }

    #[test]
    fn diff_of_a_blank_line_moved_down() {
        // Reported against an earlier diff that counted positions from
        // similar's Delete new_index.
        let (old, new) = ("aa\n\naaaa\n", "aa\n\naaa\n\n");
        let hunks = diff(old, new);
        assert_eq!(patch(old, new, &hunks), new, "{hunks:?}");
    }

    proptest::proptest! {
        /// The language server's sparse count of a buffer's AI lines
        /// (given its lines, looking only at those a span touches) follows
        /// the one rule every other count follows.
        #[test]
        fn ai_lines_at_are_the_ai_lines_of_line_attributions(
            text in "[a \t\n\r]{0,60}",
            cuts in proptest::collection::vec((0usize..64, 0usize..12, proptest::bool::ANY), 0..6),
        ) {
            let source = AiSource { tool: "t".into(), model: None, session: None, kind: None };
            let ai = Attribution::ai(source, Evidence::Editor, None);
            let mut spans: Vec<(Range<usize>, Attribution)> = Vec::new();
            let mut at = 0;
            for (gap, len, is_ai) in cuts {
                let start = (at + gap).min(text.len());
                let end = (start + len).min(text.len());
                if start < end {
                    spans.push((start..end, if is_ai { ai.clone() } else { Attribution::typed() }));
                }
                at = end;
            }
            let dense: Vec<(usize, Attribution)> = line_attributions(text.as_bytes(), &spans)
                .into_iter()
                .enumerate()
                .filter_map(|(i, a)| a.map(|a| (i, a)))
                .collect();
            let lines = crate::store::notes::line_spans(text.as_bytes());
            proptest::prop_assert_eq!(ai_lines_at(text.as_bytes(), &lines, &spans), dense);
        }

        #[test]
        fn diff_hunks_are_ordered_and_rebuild_the_new_text(
            old in "[a\n\r é😀]{0,40}",
            new in "[a\n\r é😀]{0,40}",
        ) {
            let hunks = diff(&old, &new);
            proptest::prop_assert!(hunks.windows(2).all(|w| w[0].old.end <= w[1].old.start && w[0].new.end <= w[1].new.start), "{:?}", hunks);
            proptest::prop_assert!(hunks.iter().all(|h| !(h.old.is_empty() && h.new.is_empty())));
            proptest::prop_assert_eq!(patch(&old, &new, &hunks), new);
        }

        /// Past its deadline the diff is coarser, never wrong.
        #[test]
        fn a_diff_out_of_time_still_rebuilds_the_new_text(
            old in "[ab\n\r é😀]{0,60}",
            new in "[ab\n\r é😀]{0,60}",
        ) {
            let hunks = diff_until(&old, &new, std::time::Instant::now());
            proptest::prop_assert!(hunks.windows(2).all(|w| w[0].old.end <= w[1].old.start && w[0].new.end <= w[1].new.start), "{:?}", hunks);
            proptest::prop_assert_eq!(patch(&old, &new, &hunks), new);
        }

        /// A whole-text change is diffed between the lines both texts start
        /// and end with: an edit within one line stays in that line, and
        /// any edit rebuilds the new text.
        #[test]
        fn a_diff_between_shared_lines_stays_in_the_changed_line(
            shared_start in "([ab é]{0,3}\r?\n){0,4}",
            old in "[ab é😀]{0,20}",
            new in "[ab é😀]{0,20}",
            shared_end in "(\r?\n[ab é]{0,3}){0,4}",
            anywhere in "[ab\n\r é😀]{0,20}",
        ) {
            let line_start = shared_start.len();
            let (old, new) = (format!("{shared_start}{old}{shared_end}"), format!("{shared_start}{new}{shared_end}"));
            let far = std::time::Instant::now() + std::time::Duration::from_secs(60);
            for hunks in [diff_until(&old, &new, far), line_diff_until(&old, &new, far)] {
                proptest::prop_assert_eq!(patch(&old, &new, &hunks), new.clone());
                for h in &hunks {
                    let (old_end, new_end) = (old.len() - shared_end.len(), new.len() - shared_end.len());
                    proptest::prop_assert!(h.old.start >= line_start && h.new.start >= line_start, "{:?}", hunks);
                    proptest::prop_assert!(h.old.end <= old_end + 2 && h.new.end <= new_end + 2, "{:?}", hunks);
                }
            }
            let changed = format!("{shared_start}{anywhere}{shared_end}");
            for hunks in [diff_until(&old, &changed, far), line_diff_until(&old, &changed, far)] {
                proptest::prop_assert_eq!(patch(&old, &changed, &hunks), changed.clone());
                proptest::prop_assert!(hunks.windows(2).all(|w| w[0].old.end <= w[1].old.start && w[0].new.end <= w[1].new.start), "{:?}", hunks);
            }
        }
    }
}
