//! Review units: the smallest enclosing syntax nodes (as `queries/<lang>/units.scm`
//! names them) that hold AI text, with their fingerprints and risk tags.
//!
//! A unit's bytes are its node, widened to the wrapper that belongs to it
//! (Python's `decorated_definition`, an `export` or `declare` statement in
//! JavaScript and TypeScript), plus what applies to it from above and the
//! rest of its last line: a `;`, a comment and the line break, when nothing
//! else follows on that line. What applies from above, as the compiler sees
//! it: attributes (Rust's `#[...]` and its `///` doc comments, which are
//! `#[doc]` attributes), decorators and compiler directives (Go's `//go:...`)
//! however many blank lines and comments stand between; doc comments that
//! carry no meaning (Go's, `/** */` in JavaScript, TypeScript and Java) only
//! when nothing but a line break does. Units nest (an impl holds its
//! methods); a byte belongs to the smallest unit that holds it, and an
//! attribute on an enclosing item (`#[cfg(...)]` on an impl) is part of
//! that item's unit, whose text is everything it switches.
//!
//! Some text changes what a whole file means: Rust's inner attributes at
//! the top of a file (`#![cfg(...)]`), Go's build constraints and
//! `//go:linkname`, JavaScript and TypeScript directives (`"use strict"`),
//! Python's `from __future__` imports and encoding declaration. Such a
//! *file gate* belongs to a unit of kind [`WHOLE_FILE`] over the whole file, so
//! an approval of it is an approval of everything it affects. (An inner
//! attribute of an inline module belongs to the module's unit, like any text
//! in it.) Text outside every unit, and all text of a language without a
//! grammar, falls back to runs of whole lines (kind [`LINES`]). Lines are
//! git's: only `\n` ends one, so a lone CR never splits a run, and every
//! line number agrees with `git blame`'s.
//!
//! Units start at most [`MAX_UNIT_DEPTH`] levels below the root of the
//! syntax tree: a definition nested deeper is part of the deepest unit
//! above it (a coarser unit, never no unit). This bounds the work on
//! pathological nesting (thousands of nested functions) to a constant
//! factor of the file's size.
//!
//! Everything here works on the byte ranges it is given: the queries are
//! restricted to those ranges and the units around them, so the cost
//! follows the size of the AI text and of its units, not of the file.
//! tree-sitter's `Node::parent` and `Node::prev_sibling` start again at the
//! root each time; they are called only on nodes at most [`MAX_UNIT_DEPTH`]
//! deep, and a walk up from a deeper node goes through a `TreeCursor`.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::ops::Range;

use tree_sitter::Node;

use super::Language;
use super::matcher::Capture;
use super::queries::{self, Queries, UnitCapture};
use crate::fingerprint::fingerprint;
use crate::text::Text;

/// The kind of a unit made of whole lines: text outside every syntax unit,
/// or any text of a language without a grammar.
pub const LINES: &str = "lines";

/// The kind of the unit that is a whole source file, which a file gate (see
/// the module documentation) belongs to. Its fingerprint names the file's
/// language, unlike [`crate::fingerprint::FILE`] (a file that is not UTF-8,
/// language `text`).
pub const WHOLE_FILE: &str = "whole-file";

/// How many levels below the root of the syntax tree a unit may start (the
/// root's children are at depth 1). Definitions nested deeper belong to the
/// deepest unit above them. Real code stays far above it: a method in an
/// impl in three nested modules starts at depth 7, a function declared in a
/// callback ten callbacks deep at about 50.
pub const MAX_UNIT_DEPTH: u32 = 64;

/// Windows of AI text closer than this are queried together: walking the
/// nodes between them costs less than descending the tree again.
const COALESCE_GAP: usize = 512;

/// One review unit of a document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    /// The unit's kind as the queries name it ("function", "method", "class",
    /// "impl", "statement", ...), [`WHOLE_FILE`] for a whole source file, or [`LINES`]
    /// for a run of whole lines outside every syntax unit or in a language
    /// without a grammar.
    pub kind: String,
    /// The unit's name, where the syntax gives one.
    pub name: Option<String>,
    /// Bytes of the unit, including its decorators, attributes and doc
    /// comments.
    pub range: Range<usize>,
    /// See [`crate::fingerprint`].
    pub fingerprint: String,
    /// Non-whitespace AI bytes that belong to this unit: bytes inside a
    /// smaller unit nested in it count for that one.
    pub ai_bytes: usize,
    /// Lines holding non-whitespace AI bytes that belong to this unit.
    pub ai_lines: usize,
    /// The AI bytes that belong to this unit, as byte ranges of the
    /// document: sorted, each without whitespace at its ends.
    pub ai_ranges: Vec<Range<usize>>,
    /// Lines of the unit.
    pub lines: usize,
    /// AI share of the non-whitespace bytes that belong to this unit (not to
    /// a unit nested in it), from 0 to 1.
    pub ai_share: f32,
    /// Risk tags (capture names of `queries/<lang>/risk.scm`) of the unit's
    /// whole text, sorted, unique.
    pub risk: Vec<String>,
}

/// The review units of a document that hold AI text (`ai`: byte ranges,
/// sorted and non-overlapping), ordered by position (a unit before the units
/// nested in it). A unit is listed when some non-whitespace AI byte belongs
/// to it; AI text outside every syntax unit forms [`LINES`] units.
pub fn review_units(
    language: Language,
    tree: Option<&tree_sitter::Tree>,
    text: &Text,
    ai: &[Range<usize>],
) -> Vec<Unit> {
    let finder = Finder::new(language, tree, text, ai);
    finder.units_holding(&finder.ai)
}

/// The units a selection touches, whether or not they hold AI text (for
/// marking or approving a selection): the units to which a non-whitespace
/// byte of `range` belongs, and runs of the selected lines outside every
/// syntax unit. Their AI fields count the AI text `ai`.
pub fn units_in(
    language: Language,
    tree: Option<&tree_sitter::Tree>,
    text: &Text,
    range: Range<usize>,
    ai: &[Range<usize>],
) -> Vec<Unit> {
    let finder = Finder::new(language, tree, text, ai);
    finder.units_holding(&normalize(&[range], text.len()))
}

/// The smallest unit holding byte `offset` (for a code action or hover at a
/// cursor). Outside every syntax unit it is the run of AI lines around the
/// offset, as [`review_units`] reports it, else the offset's line alone;
/// `None` on a blank line outside every unit. Its AI fields count the AI
/// text `ai`.
pub fn unit_at(
    language: Language,
    tree: Option<&tree_sitter::Tree>,
    text: &Text,
    offset: usize,
    ai: &[Range<usize>],
) -> Option<Unit> {
    let finder = Finder::new(language, tree, text, ai);
    finder.unit_at(offset.min(text.len()))
}

/// The unit that lines removed at byte `offset` (the start of a line, or
/// the end of the text: where they stood) changed: the smallest syntax
/// unit with text of its own on both sides of the place, else the whole
/// file's unit ([`WHOLE_FILE`]: a unit removed whole, or lines outside
/// every unit, leave nothing smaller that shows the change). Its AI fields
/// count the AI text `ai`.
pub fn unit_around(
    language: Language,
    tree: Option<&tree_sitter::Tree>,
    text: &Text,
    offset: usize,
    ai: &[Range<usize>],
) -> Unit {
    units_around(language, tree, text, &[offset], ai).remove(0)
}

/// [`unit_around`] of each offset, the file's unit made once for them all.
pub fn units_around(
    language: Language,
    tree: Option<&tree_sitter::Tree>,
    text: &Text,
    offsets: &[usize],
    ai: &[Range<usize>],
) -> Vec<Unit> {
    let finder = Finder::new(language, tree, text, ai);
    offsets.iter().map(|&offset| finder.unit_around(offset.min(text.len()))).collect()
}

/// A syntax node that the units query names a unit, with what vouch makes
/// of it.
#[derive(Debug, Clone)]
struct Candidate {
    range: Range<usize>,
    kind: &'static str,
    name: Option<String>,
    /// The index of the pattern that captured it: the first pattern wins.
    pattern: usize,
}

/// Risk tags and the bytes of the nodes that bear them, sorted by start.
struct RiskCaptures(Vec<(Range<usize>, &'static str)>);

impl RiskCaptures {
    /// The tags of the captures inside `range`, sorted, unique.
    fn tags_in(&self, range: &Range<usize>) -> Vec<String> {
        let first = self.0.partition_point(|(r, _)| r.start < range.start);
        let tags: BTreeSet<&str> = self.0[first..]
            .iter()
            .take_while(|(r, _)| r.start < range.end)
            .filter(|(r, _)| contains(range, r))
            .map(|(_, tag)| *tag)
            .collect();
        tags.into_iter().map(str::to_string).collect()
    }
}

/// How a node before a definition (its sibling) belongs to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attach {
    /// An attribute, decorator or compiler directive: it applies to the
    /// definition after it across blank lines and comments, as the compiler
    /// reads it.
    Attribute,
    /// A doc comment: part of the definition when nothing but a line break
    /// stands between them (a doc comment with no meaning to the compiler).
    Doc,
    /// Any other comment: part of the definition only when something above
    /// it is (a unit's bytes are contiguous).
    Comment,
}

struct Finder<'a> {
    language: Language,
    text: &'a Text,
    src: &'a str,
    syntax: Option<(Node<'a>, Queries)>,
    /// The AI text: clamped, sorted, merged.
    ai: Vec<Range<usize>>,
    /// Where the file's preamble ends (see [`Finder::preamble_end`]).
    preamble: OnceCell<usize>,
    /// The whole file's unit, once made ([`Finder::file_unit`]).
    whole: OnceCell<Unit>,
    /// Take the units nested in chosen ones from the candidates already
    /// found where they can be (see [`Finder::syntax_units`]); off only in
    /// the tests that check it changes nothing.
    reuse: bool,
    /// Find matches with tree-sitter's own query cursor, the reference the
    /// matcher is compared with.
    #[cfg(test)]
    reference: bool,
}

/// Which query file a match comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    Units,
    Risk,
}

impl<'a> Finder<'a> {
    fn new(language: Language, tree: Option<&'a tree_sitter::Tree>, text: &'a Text, ai: &[Range<usize>]) -> Finder<'a> {
        // A query that does not build is a bug the tests catch; should one
        // slip through, units fall back to lines rather than vanish.
        let syntax = match (tree, queries::queries(language)) {
            (Some(tree), Some(Ok(queries))) => Some((tree.root_node(), queries)),
            _ => None,
        };
        Finder::with(language, syntax, text, ai)
    }

    fn with(
        language: Language,
        syntax: Option<(Node<'a>, Queries)>,
        text: &'a Text,
        ai: &[Range<usize>],
    ) -> Finder<'a> {
        // A byte order mark is no code: no unit holds it.
        let bom = if text.as_str().starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        Finder {
            language,
            text,
            src: text.as_str(),
            syntax,
            ai: subtract_all(&normalize(ai, text.len()), std::slice::from_ref(&(0..bom))),
            preamble: OnceCell::new(),
            whole: OnceCell::new(),
            reuse: true,
            #[cfg(test)]
            reference: false,
        }
    }

    /// The units to which the non-whitespace bytes of `select` belong.
    fn units_holding(&self, select: &[Range<usize>]) -> Vec<Unit> {
        let select: Vec<Range<usize>> = select.iter().filter_map(|r| self.trim(r.clone())).collect();
        if select.is_empty() {
            return Vec::new();
        }
        let windows = coalesce(select.iter().map(|r| self.window(r.clone())).collect());
        // The bytes of a file gate belong to the whole file's unit.
        let gates = self.gates_in(&windows);
        let in_gates = self.nonws(&intersect(&select, &gates)) > 0;
        let select = subtract_all(&select, &gates);
        let candidates = self.candidates(&windows);

        // Nest the candidates (sorted by start, then longest first) and give
        // each selected byte to the smallest one that holds it.
        let total: Vec<usize> = candidates.iter().map(|c| self.nonws(&clip(&select, c.range.clone()))).collect();
        let mut direct = total.clone();
        let mut roots: Vec<Range<usize>> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        for (i, c) in candidates.iter().enumerate() {
            while let Some(&top) = stack.last() {
                if contains(&candidates[top].range, &c.range) {
                    break;
                }
                stack.pop();
            }
            match stack.last() {
                Some(&top) => direct[top] = direct[top].saturating_sub(total[i]),
                None => roots.push(c.range.clone()),
            }
            stack.push(i);
        }
        roots.extend(gates.iter().cloned());
        let roots = normalize(&roots, self.src.len());

        let chosen: Vec<&Candidate> = candidates.iter().zip(&direct).filter(|&(_, &d)| d > 0).map(|(c, _)| c).collect();
        let mut units = self.syntax_units(&chosen, self.reuse.then_some((&windows[..], &candidates[..])));
        if in_gates {
            units.push(self.file_unit());
        }
        let outside = subtract_all(&select, &roots);
        let runs = runs(&self.lines_with_text(&outside));
        let risk = self.risk_captures(&coalesce(runs.iter().map(|run| self.lines_range(run)).collect()));
        units.extend(runs.into_iter().map(|run| self.lines_unit(run, &roots, &risk)));
        units.sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
        units
    }

    fn unit_around(&self, offset: usize) -> Unit {
        if self.syntax.is_some() && offset > 0 && offset < self.src.len() {
            let window = self.window(offset - 1..offset + 1);
            let candidates = self.candidates(std::slice::from_ref(&window));
            let bytes = self.src.as_bytes();
            let has_text = |r: Range<usize>| bytes[r].iter().any(|&b| !is_ws(b));
            let smallest = candidates
                .iter()
                .filter(|c| c.range.start < offset && offset < c.range.end)
                .filter(|c| has_text(c.range.start..offset) && has_text(offset..c.range.end))
                .min_by_key(|c| (c.range.len(), c.pattern));
            if let Some(unit) = smallest.and_then(|c| self.syntax_units(&[c], None).pop()) {
                return unit;
            }
        }
        self.file_unit()
    }

    fn unit_at(&self, offset: usize) -> Option<Unit> {
        if self.syntax.is_some() {
            let line = self.text.git_lines().line_of(offset);
            let start = self.line_start(line);
            let end = if offset < self.src.len() { self.probe_end(offset + 1) } else { offset };
            let window = start..end.max(start + 1);
            if self.gates_in(std::slice::from_ref(&window)).iter().any(|g| g.contains(&offset)) {
                return Some(self.file_unit());
            }
            let candidates = self.candidates(std::slice::from_ref(&window));
            let smallest =
                candidates.iter().filter(|c| c.range.contains(&offset)).min_by_key(|c| (c.range.len(), c.pattern));
            if let Some(c) = smallest {
                return self.syntax_units(&[c], None).pop();
            }
        }
        let line = self.text.git_lines().line_of(offset);
        let run = if self.line_has_ai_outside_units(line) {
            let mut first = line;
            while first > 0 && self.line_has_ai_outside_units(first - 1) {
                first -= 1;
            }
            let mut last = line;
            while last + 1 < self.text.git_lines().len() && self.line_has_ai_outside_units(last + 1) {
                last += 1;
            }
            first..last + 1
        } else if self.trim(self.whole_line(line)).is_some() {
            line..line + 1
        } else {
            return None;
        };
        let range = self.lines_range(&run);
        let covered = self.unit_ranges_in(range.clone());
        Some(self.lines_unit(run, &covered, &self.risk_captures(&[range])))
    }

    /// Whether `line` holds non-whitespace AI bytes outside every syntax
    /// unit.
    fn line_has_ai_outside_units(&self, line: usize) -> bool {
        let ai = clip(&self.ai, self.whole_line(line));
        if self.nonws(&ai) == 0 {
            return false;
        }
        let covered = self.unit_ranges_in(self.whole_line(line));
        self.nonws(&subtract_all(&ai, &covered)) > 0
    }

    /// The ranges of the units that overlap `range` (file gates count as
    /// their own ranges), merged.
    fn unit_ranges_in(&self, range: Range<usize>) -> Vec<Range<usize>> {
        if self.syntax.is_none() || range.is_empty() {
            return Vec::new();
        }
        let window = range.start..self.probe_end(range.end).max(range.end);
        let windows = std::slice::from_ref(&window);
        let mut ranges: Vec<_> = self.candidates(windows).into_iter().map(|c| c.range).collect();
        ranges.extend(self.gates_in(windows));
        normalize(&ranges, self.src.len())
    }

    /// The unit candidates whose nodes meet the windows, sorted by start,
    /// longest first, one per unit range (the first pattern wins).
    fn candidates(&self, windows: &[Range<usize>]) -> Vec<Candidate> {
        let Some((_, queries)) = self.syntax else { return Vec::new() };
        let mut found = Vec::new();
        for window in windows {
            // Unit patterns start at the unit's node: this is as deep as a
            // unit may be. It also bounds what `Node::parent` and
            // `Node::prev_sibling` cost below: each starts again at the root.
            self.each_match(File::Units, window.clone(), Some(MAX_UNIT_DEPTH), &mut |pattern, captures| {
                let mut unit = None;
                let mut name = None;
                let mut of_trait = None;
                for capture in captures {
                    match queries.units.unit_capture(capture.index) {
                        UnitCapture::Unit(kind) => unit = Some((capture.node, kind.as_str())),
                        UnitCapture::Name => {
                            name.get_or_insert(capture.node);
                        }
                        UnitCapture::NameTrait => {
                            of_trait.get_or_insert(capture.node);
                        }
                        UnitCapture::Private => {}
                    }
                }
                let Some((node, kind)) = unit else { return };
                if node.end_byte() <= window.start || node.start_byte() >= window.end {
                    // A match whose parent meets the window; its own text lies
                    // outside.
                    return;
                }
                let node = self.widen(node);
                if !queries.units.unit_parents(pattern).iter().all(|paths| has_parent(node, paths)) {
                    return;
                }
                let name = name.map(|n| match of_trait {
                    Some(t) => format!("{} for {}", self.name_text(t), self.name_text(n)),
                    None => self.name_text(n),
                });
                found.push(Candidate { range: self.unit_range(node), kind, name, pattern });
            });
        }
        sort_candidates(&mut found);
        found
    }

    /// The units of `chosen` candidates. The units nested in them and
    /// their risk captures are found in one pass over their text, not one
    /// per unit: matching walks from the root to its range each time.
    /// `known`: windows already queried (sorted, disjoint) and the
    /// candidates found in them; the chosen text inside them is not
    /// queried again (for a file that is all AI, that is nearly all of it).
    fn syntax_units(&self, chosen: &[&Candidate], known: Option<(&[Range<usize>], &[Candidate])>) -> Vec<Unit> {
        if chosen.is_empty() {
            return Vec::new();
        }
        let windows = coalesce(chosen.iter().map(|c| c.range.clone()).collect());
        let nested = match known {
            // Every candidate whose node meets a queried window was found
            // there; one inside a chosen range that meets none lies in the
            // chosen text outside them (a unit's attributes above it, the
            // rest of its last line), which alone is queried.
            Some((queried, found)) => {
                let rest = subtract_all(&windows, queried);
                if rest.is_empty() {
                    found.to_vec()
                } else {
                    let mut all = found.to_vec();
                    all.extend(self.candidates(&rest));
                    sort_candidates(&mut all);
                    all
                }
            }
            None => self.candidates(&windows),
        };
        let risk = self.risk_captures(&windows);
        chosen
            .iter()
            .map(|c| {
                crate::cancel::check();
                self.syntax_unit(c, &nested, &risk)
            })
            .collect()
    }

    /// The unit of candidate `c`; `nested` holds (at least) the candidates
    /// inside it, sorted by start, and `risk` the risk captures inside it.
    fn syntax_unit(&self, c: &Candidate, nested: &[Candidate], risk: &RiskCaptures) -> Unit {
        let range = c.range.clone();
        let first = nested.partition_point(|n| n.range.start < range.start);
        let inner: Vec<Range<usize>> = nested[first..]
            .iter()
            .take_while(|n| n.range.start < range.end)
            .map(|n| n.range.clone())
            .filter(|r| *r != range && contains(&range, r))
            .collect();
        let own = subtract_all(std::slice::from_ref(&range), &normalize(&inner, self.src.len()));
        let ai_own = intersect(&self.ai, &own);
        let ai_bytes = self.nonws(&ai_own);
        let own_bytes = self.nonws(&own);
        Unit {
            kind: c.kind.to_string(),
            name: c.name.clone(),
            fingerprint: fingerprint(self.language.name(), c.kind, self.slice(&range).as_bytes()),
            ai_bytes,
            ai_lines: self.lines_with_text(&ai_own).len(),
            ai_ranges: self.trimmed(&ai_own),
            lines: self.line_span(&range),
            ai_share: share(ai_bytes, own_bytes),
            risk: risk.tags_in(&range),
            range,
        }
    }

    /// The unit of the whole file, which owns the bytes of its file gates.
    fn file_unit(&self) -> Unit {
        self.whole.get_or_init(|| self.make_file_unit()).clone()
    }

    fn make_file_unit(&self) -> Unit {
        let range = 0..self.src.len();
        let gates = self.all_gates();
        let ai_own = intersect(&self.ai, &gates);
        let ai_bytes = self.nonws(&ai_own);
        let risk = self.risk_captures(std::slice::from_ref(&range));
        Unit {
            kind: WHOLE_FILE.to_string(),
            name: None,
            fingerprint: fingerprint(self.language.name(), WHOLE_FILE, self.src.as_bytes()),
            ai_bytes,
            ai_lines: self.lines_with_text(&ai_own).len(),
            ai_ranges: self.trimmed(&ai_own),
            lines: self.line_span(&range),
            ai_share: share(ai_bytes, self.nonws(&gates)),
            risk: risk.tags_in(&range),
            range,
        }
    }

    /// The unit made of the lines `run`; its AI fields count the bytes
    /// outside the `covered` syntax units.
    fn lines_unit(&self, run: Range<usize>, covered: &[Range<usize>], risk: &RiskCaptures) -> Unit {
        let range = self.lines_range(&run);
        let own = subtract_all(std::slice::from_ref(&range), covered);
        let ai_own = intersect(&self.ai, &own);
        let ai_bytes = self.nonws(&ai_own);
        Unit {
            kind: LINES.to_string(),
            name: None,
            fingerprint: fingerprint(self.language.name(), LINES, self.slice(&range).as_bytes()),
            ai_bytes,
            ai_lines: self.lines_with_text(&ai_own).len(),
            ai_ranges: self.trimmed(&ai_own),
            lines: run.len(),
            ai_share: share(ai_bytes, self.nonws(&own)),
            risk: risk.tags_in(&range),
            range,
        }
    }

    /// The bytes of the lines `run`.
    fn lines_range(&self, run: &Range<usize>) -> Range<usize> {
        self.line_start(run.start)..self.line_start(run.end)
    }

    /// The risk captures that meet `windows`.
    fn risk_captures(&self, windows: &[Range<usize>]) -> RiskCaptures {
        let mut found = Vec::new();
        let Some((_, queries)) = self.syntax else { return RiskCaptures(found) };
        for window in windows.iter().filter(|w| !w.is_empty()) {
            self.each_match(File::Risk, window.clone(), None, &mut |_, captures| {
                for capture in captures {
                    if let Some(tag) = queries.risk.risk_tag(capture.index) {
                        found.push((capture.node.byte_range(), tag));
                    }
                }
            });
        }
        found.sort_by_key(|(r, tag)| (r.start, r.end, *tag));
        found.dedup();
        RiskCaptures(found)
    }

    /// Call `f` with the pattern index and captures of each match of query
    /// `file` whose root meets `window`, at most `max_depth` levels deep.
    fn each_match(
        &self,
        file: File,
        window: Range<usize>,
        max_depth: Option<u32>,
        f: &mut dyn FnMut(usize, &[Capture<'a>]),
    ) {
        let Some((root, queries)) = self.syntax else { return };
        #[cfg(test)]
        if self.reference {
            let (units, risk) = queries::reference(self.language);
            let query = if file == File::Units { units } else { risk };
            super::matcher::reference_matches(query, root, self.src.as_bytes(), window, max_depth, f);
            return;
        }
        let compiled = if file == File::Units { queries.units } else { queries.risk };
        compiled.query.matches(root, self.src.as_bytes(), window, max_depth, f);
    }

    /// The ranges of the file gates (see the module documentation) among
    /// the root's children that meet `windows`: each gate's node and the
    /// rest of its line, sorted, merged.
    fn gates_in(&self, windows: &[Range<usize>]) -> Vec<Range<usize>> {
        let Some((root, _)) = self.syntax else { return Vec::new() };
        let mut out = Vec::new();
        let mut cursor = root.walk();
        for window in windows {
            cursor.reset(root);
            if cursor.goto_first_child_for_byte(window.start).is_none() {
                continue;
            }
            loop {
                let node = cursor.node();
                if node.start_byte() >= window.end {
                    break;
                }
                if self.is_file_gate(node) {
                    let range = node.start_byte()..self.rest_of_line(node.end_byte());
                    if range.start < window.end && window.start < range.end {
                        out.push(range);
                    }
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        normalize(&out, self.src.len())
    }

    /// The ranges of every file gate of the file.
    fn all_gates(&self) -> Vec<Range<usize>> {
        self.gates_in(std::slice::from_ref(&(0..self.src.len())))
    }

    /// Whether `node`, a child of the root, is a file gate: text that
    /// changes what the whole file means.
    fn is_file_gate(&self, node: Node<'_>) -> bool {
        use Language::*;
        let text = || self.slice(&node.byte_range());
        match (self.language, node.kind()) {
            // rustc accepts inner attributes only before the first item;
            // any other is an error, so taking them all is exact enough.
            (Rust, "inner_attribute_item") => true,
            (Python, "future_import_statement") => true,
            // An encoding declaration (PEP 263) on the first two lines
            // decides how every byte after it reads.
            (Python, "comment") => self.text.lines().line_of(node.start_byte()) < 2 && is_coding_declaration(text()),
            (JavaScript | TypeScript | Tsx, "expression_statement") => {
                node.end_byte() <= self.preamble_end() && is_directive(node)
            }
            (Go, "comment") => {
                let t = text();
                t.starts_with("//go:linkname") || (node.end_byte() <= self.preamble_end() && is_build_constraint(t))
            }
            _ => false,
        }
    }

    /// Where the file's preamble ends: in JavaScript and TypeScript the
    /// directive prologue (directives, comments, a `#!` line), in Go what
    /// comes before the package clause; the end of the text otherwise.
    fn preamble_end(&self) -> usize {
        *self.preamble.get_or_init(|| {
            let len = self.src.len();
            let Some((root, _)) = self.syntax else { return len };
            let mut cursor = root.walk();
            if !cursor.goto_first_child() {
                return len;
            }
            loop {
                let node = cursor.node();
                let preamble = match (self.language, node.kind()) {
                    (Language::JavaScript | Language::TypeScript | Language::Tsx, "comment" | "hash_bang_line") => true,
                    (Language::JavaScript | Language::TypeScript | Language::Tsx, "expression_statement") => {
                        is_directive(node)
                    }
                    (Language::Go, "comment") => true,
                    _ => false,
                };
                if !preamble {
                    return node.start_byte();
                }
                if !cursor.goto_next_sibling() {
                    return len;
                }
            }
        })
    }

    /// The node a unit node stands for: its wrapper (a decorated
    /// definition, an `export` or `declare` statement), if it has one.
    fn widen(&self, mut node: Node<'a>) -> Node<'a> {
        while let Some(parent) = node.parent() {
            if self.wrapped(parent) != Some(node) {
                break;
            }
            node = parent;
        }
        node
    }

    /// The definition that `node` wraps, if `node` is a wrapper.
    fn wrapped(&self, node: Node<'a>) -> Option<Node<'a>> {
        use Language::*;
        match (self.language, node.kind()) {
            (Python, "decorated_definition") => node.child_by_field_name("definition"),
            (JavaScript | TypeScript | Tsx, "export_statement") => node.child_by_field_name("declaration"),
            (TypeScript | Tsx, "ambient_declaration") => {
                node.named_child(0).filter(|n| n.kind() != "statement_block" && !n.is_extra())
            }
            (TypeScript | Tsx, "expression_statement") => {
                node.named_child(0).filter(|n| n.kind() == "internal_module" && n.byte_range() == node.byte_range())
            }
            _ => None,
        }
    }

    /// The innermost definition inside a chain of wrappers.
    fn unwrap_all(&self, mut node: Node<'a>) -> Node<'a> {
        while let Some(inner) = self.wrapped(node) {
            node = inner;
        }
        node
    }

    /// How `node` belongs to the definition after it, if it may.
    fn attachment(&self, node: Node<'_>) -> Option<Attach> {
        use Language::*;
        let text = || self.slice(&node.byte_range());
        let doc_block = || text().starts_with("/**") && !text().starts_with("/**/");
        match (self.language, node.kind()) {
            (Rust, "attribute_item") => Some(Attach::Attribute),
            // `///` and `/** */` are `#[doc]` attributes; `//!` and `/*! */`
            // belong to the enclosing module.
            (Rust, "line_comment" | "block_comment") => {
                if node.child_by_field_name("outer").is_some() {
                    Some(Attach::Attribute)
                } else if node.child_by_field_name("inner").is_some() {
                    None
                } else {
                    Some(Attach::Comment)
                }
            }
            // Compiler directives apply to the next declaration across blank
            // lines and comments; a build constraint or `//go:linkname`
            // belongs to the whole file.
            (Go, "comment") => {
                let t = text();
                if self.is_file_gate(node) {
                    None
                } else if t.starts_with("//go:") || t.starts_with("//export ") || t.starts_with("//extern ") {
                    Some(Attach::Attribute)
                } else {
                    Some(Attach::Doc)
                }
            }
            (JavaScript | TypeScript | Tsx, "decorator") => Some(Attach::Attribute),
            (JavaScript | TypeScript | Tsx, "comment") | (Java, "block_comment" | "line_comment") => {
                Some(if doc_block() { Attach::Doc } else { Attach::Comment })
            }
            _ => None,
        }
    }

    /// The bytes of the unit whose (widened) node is `node`.
    fn unit_range(&self, node: Node<'a>) -> Range<usize> {
        let lines = self.text.git_lines();
        let len = self.src.len();
        let mut start = node.start_byte().min(len);
        let mut prev = node.prev_sibling();
        while let Some(p) = prev {
            let joins = match self.attachment(p) {
                None => break,
                Some(Attach::Attribute) => true,
                Some(Attach::Doc) => {
                    p.end_byte() > p.start_byte()
                        && lines.line_of(start) <= lines.line_of(p.end_byte() - 1) + 1
                        && self.starts_line(p.start_byte())
                }
                Some(Attach::Comment) => false,
            };
            if joins {
                start = p.start_byte().min(len);
            }
            prev = p.prev_sibling();
        }
        start..self.rest_of_line(node.end_byte().min(len)).max(start)
    }

    /// Where a unit ending at `end` ends: after a `;` that follows it, and
    /// after its line break (and a comment before it) if nothing else
    /// follows on its line.
    fn rest_of_line(&self, end: usize) -> usize {
        let b = self.src.as_bytes();
        if end == 0 || matches!(b[end - 1], b'\n' | b'\r') {
            return end;
        }
        let skip = |mut i: usize| {
            while i < b.len() && matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            i
        };
        let mut kept = end;
        let mut i = skip(end);
        if b.get(i) == Some(&b';') {
            kept = i + 1;
            i = skip(i + 1);
        }
        if let Some(after) = self.comment_on_line(i) {
            i = skip(after);
        }
        match b.get(i) {
            None => b.len(),
            Some(b'\n') => i + 1,
            Some(b'\r') if b.get(i + 1) == Some(&b'\n') => i + 2,
            Some(b'\r') => i + 1,
            Some(_) => kept,
        }
    }

    /// The end of a comment starting at `at` that ends on its line. Only
    /// as far as the comment reaches is read: every unit of a minified file
    /// asks this about the one line they share, and a look to its end each
    /// time made analysis quadratic in the line's length.
    fn comment_on_line(&self, at: usize) -> Option<usize> {
        let rest = self.src.get(at..)?.as_bytes();
        let line_end = |bytes: &[u8]| memchr::memchr2(b'\n', b'\r', bytes);
        let line_comment = match self.language {
            Language::Python => rest.starts_with(b"#"),
            Language::Text => false,
            _ => rest.starts_with(b"//"),
        };
        if line_comment {
            return Some(at + line_end(rest).unwrap_or(rest.len()));
        }
        if self.language != Language::Python && rest.starts_with(b"/*") {
            let close = 2 + memchr::memmem::find(&rest[2..], b"*/")?;
            return line_end(&rest[..close]).is_none().then_some(at + close + 2);
        }
        None
    }

    /// The query window for selected bytes `r`: from the start of its first
    /// line (a unit ending on that line may own a trailing comment), to past
    /// the start of the definition that the attributes, decorators or doc
    /// comments at its end belong to.
    fn window(&self, r: Range<usize>) -> Range<usize> {
        let start = self.line_start(self.text.git_lines().line_of(r.start));
        start..self.probe_end(r.end).max(r.end)
    }

    /// `end`, moved past the start of the definition that the bytes before
    /// it lead up to (attributes, decorators, doc comments, `export`).
    fn probe_end(&self, end: usize) -> usize {
        let Some((root, _)) = self.syntax else { return end };
        // Look at the last non-whitespace byte: whitespace belongs to no
        // token, and its node would be the whole file.
        let b = self.src.as_bytes();
        let mut last = end.min(b.len());
        while last > 0 && is_ws(b[last - 1]) {
            last -= 1;
        }
        if last == 0 {
            return end;
        }
        // Down from the root to the smallest node that holds that byte, or
        // to the depth below which no unit starts.
        let mut cursor = root.walk();
        while cursor.depth() <= MAX_UNIT_DEPTH {
            match cursor.goto_first_child_for_byte(last - 1) {
                None => break,
                Some(_) if cursor.node().start_byte() < last => {}
                Some(_) => {
                    cursor.goto_parent();
                    break;
                }
            }
        }
        let mut best = end;
        loop {
            let node = cursor.node();
            if self.attachment(node).is_some() {
                // The definition after the attributes, doc comments and
                // comments that this one is among.
                let mut next = cursor.clone();
                while next.goto_next_sibling() {
                    let n = next.node();
                    if n.is_named() && self.attachment(n).is_none() {
                        best = best.max(self.unwrap_all(n).start_byte() + 1);
                        break;
                    }
                }
            }
            if self.wrapped(node).is_some() {
                let inner = self.unwrap_all(node);
                if last <= inner.start_byte() {
                    best = best.max(inner.start_byte() + 1);
                }
            }
            if !cursor.goto_parent() {
                return best;
            }
        }
    }

    /// `r` without the whitespace at its ends; `None` if it is all
    /// whitespace.
    fn trim(&self, r: Range<usize>) -> Option<Range<usize>> {
        let b = &self.src.as_bytes()[r.clone()];
        let first = b.iter().position(|&c| !is_ws(c))?;
        let last = b.iter().rposition(|&c| !is_ws(c))?;
        Some(r.start + first..r.start + last + 1)
    }

    /// `ranges` without the whitespace at their ends, all-whitespace ones
    /// dropped.
    fn trimmed(&self, ranges: &[Range<usize>]) -> Vec<Range<usize>> {
        ranges.iter().filter_map(|r| self.trim(r.clone())).collect()
    }

    fn starts_line(&self, offset: usize) -> bool {
        let offset = offset.min(self.src.len());
        let line_start = self.line_start(self.text.git_lines().line_of(offset));
        self.src.as_bytes()[line_start..offset].iter().all(|&c| c == b' ' || c == b'\t')
    }

    /// The offset at which `line` starts; the end of the text past the last
    /// line.
    fn line_start(&self, line: usize) -> usize {
        self.text.git_lines().line_start(line).unwrap_or(self.src.len())
    }

    /// The bytes of `line` with its line break.
    fn whole_line(&self, line: usize) -> Range<usize> {
        self.line_start(line)..self.line_start(line + 1)
    }

    fn line_span(&self, r: &Range<usize>) -> usize {
        if r.is_empty() {
            return 0;
        }
        let lines = self.text.git_lines();
        lines.line_of(r.end - 1) - lines.line_of(r.start) + 1
    }

    /// Non-whitespace bytes in `ranges`.
    fn nonws(&self, ranges: &[Range<usize>]) -> usize {
        let b = self.src.as_bytes();
        ranges.iter().map(|r| b[r.clone()].iter().filter(|&&c| !is_ws(c)).count()).sum()
    }

    /// The lines (sorted, unique) holding non-whitespace bytes of `ranges`
    /// (sorted).
    fn lines_with_text(&self, ranges: &[Range<usize>]) -> Vec<usize> {
        let lines = self.text.git_lines();
        let b = self.src.as_bytes();
        let mut out: Vec<usize> = Vec::new();
        for r in ranges {
            let Some(t) = self.trim(r.clone()) else { continue };
            for line in lines.line_of(t.start)..=lines.line_of(t.end - 1) {
                if out.last() == Some(&line) {
                    continue;
                }
                let seg = t.start.max(self.line_start(line))..t.end.min(self.line_start(line + 1));
                if b[seg].iter().any(|&c| !is_ws(c)) {
                    out.push(line);
                }
            }
        }
        out
    }

    fn name_text(&self, node: Node<'_>) -> String {
        self.slice(&node.byte_range()).split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The text of `r`; empty if `r` does not fit the text, which happens
    /// only with a tree that was not parsed from this text.
    fn slice(&self, r: &Range<usize>) -> &'a str {
        self.src.get(r.clone()).unwrap_or_default()
    }
}

/// Whether the parent of `node` (and its ancestors above) match one of the
/// `paths` (outermost kind first).
fn has_parent(node: Node<'_>, paths: &[Vec<String>]) -> bool {
    let mut ancestors: Vec<Node<'_>> = Vec::new();
    paths.iter().any(|path| {
        let mut at = node;
        path.iter().rev().enumerate().all(|(i, kind)| {
            if ancestors.len() <= i {
                match at.parent() {
                    Some(parent) => ancestors.push(parent),
                    None => return false,
                }
            }
            at = ancestors[i];
            at.kind() == kind
        })
    })
}

/// Whether a Python comment is an encoding declaration (PEP 263:
/// `coding[:=]`).
fn is_coding_declaration(comment: &str) -> bool {
    comment.match_indices("coding").any(|(i, _)| matches!(comment.as_bytes().get(i + 6), Some(b':' | b'=')))
}

/// Whether a JavaScript or TypeScript statement is a directive: a string
/// alone (`"use strict";`).
fn is_directive(statement: Node<'_>) -> bool {
    statement.named_child_count() == 1 && statement.named_child(0).is_some_and(|n| n.kind() == "string")
}

/// Whether a Go comment is a build constraint.
fn is_build_constraint(comment: &str) -> bool {
    comment.starts_with("//go:build") || comment.starts_with("// +build") || comment.starts_with("//+build")
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn share(part: usize, whole: usize) -> f32 {
    if whole == 0 { 0.0 } else { part as f32 / whole as f32 }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// `ranges` clamped to `0..len`, without empty ones, sorted and merged.
fn normalize(ranges: &[Range<usize>], len: usize) -> Vec<Range<usize>> {
    let mut v: Vec<Range<usize>> =
        ranges.iter().map(|r| r.start.min(len)..r.end.min(len)).filter(|r| r.start < r.end).collect();
    v.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Sort candidates by start, longest first, and keep one per unit range:
/// the first pattern's (then a named one).
fn sort_candidates(found: &mut Vec<Candidate>) {
    found.sort_by(|a, b| {
        (a.range.start, std::cmp::Reverse(a.range.end), a.pattern, a.name.is_none()).cmp(&(
            b.range.start,
            std::cmp::Reverse(b.range.end),
            b.pattern,
            b.name.is_none(),
        ))
    });
    found.dedup_by(|later, earlier| later.range == earlier.range);
}

/// Windows (sorted by start) merged where they overlap or nearly touch.
fn coalesce(mut windows: Vec<Range<usize>>) -> Vec<Range<usize>> {
    windows.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(windows.len());
    for w in windows {
        match out.last_mut() {
            Some(last) if w.start <= last.end + COALESCE_GAP => last.end = last.end.max(w.end),
            _ => out.push(w),
        }
    }
    out
}

/// The parts of sorted, disjoint `set` inside `r`.
fn clip(set: &[Range<usize>], r: Range<usize>) -> Vec<Range<usize>> {
    let first = set.partition_point(|s| s.end <= r.start);
    set[first..]
        .iter()
        .take_while(|s| s.start < r.end)
        .map(|s| s.start.max(r.start)..s.end.min(r.end))
        .filter(|s| s.start < s.end)
        .collect()
}

/// The intersection of two sorted, disjoint sets.
fn intersect(a: &[Range<usize>], b: &[Range<usize>]) -> Vec<Range<usize>> {
    b.iter().flat_map(|r| clip(a, r.clone())).collect()
}

/// Sorted, disjoint `set` without sorted, disjoint `holes`.
pub fn subtract_all(set: &[Range<usize>], holes: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for r in set {
        let mut start = r.start;
        for h in clip(holes, r.clone()) {
            if start < h.start {
                out.push(start..h.start);
            }
            start = h.end;
        }
        if start < r.end {
            out.push(start..r.end);
        }
    }
    out
}

/// Sorted, unique line numbers grouped into runs of consecutive lines.
fn runs(lines: &[usize]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for &l in lines {
        match out.last_mut() {
            Some(run) if run.end == l => run.end = l + 1,
            _ => out.push(l..l + 1),
        }
    }
    out
}

// A document's AI text is a list of ranges; in tests a list of one is the
// common case, not a mistaken `Vec` of a range.
#[allow(clippy::single_range_in_vec_init)]
#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    #[test]
    fn subtract_all_takes_the_holes_out_of_each_range() {
        assert_eq!(subtract_all(&[0..10, 20..30], &[2..4, 8..22, 25..26]), vec![0..2, 4..8, 22..25, 26..30]);
        assert_eq!(subtract_all(&[0..10], &[0..10]), Vec::<Range<usize>>::new());
        assert_eq!(subtract_all(&[5..10], &[]), vec![5..10]);
    }
    use crate::syntax::SyntaxTree;

    /// `source` with its AI text between `«` and `»`: the text without the
    /// markers, and the AI byte ranges.
    fn parse_markers(source: &str) -> (String, Vec<Range<usize>>) {
        let mut text = String::new();
        let mut ai = Vec::new();
        let mut open = None;
        for c in source.chars() {
            match c {
                '«' => open = Some(text.len()),
                '»' => ai.push(open.take().expect("» without «")..text.len()),
                _ => text.push(c),
            }
        }
        assert!(open.is_none(), "« without »");
        (text, ai)
    }

    fn show(text: &Text, units: &[Unit]) -> String {
        let mut out = String::new();
        for u in units {
            let first = text.git_lines().line_of(u.range.start) + 1;
            let last = text.git_lines().line_of(u.range.end.max(u.range.start + 1) - 1) + 1;
            let name = u.name.as_deref().unwrap_or("-");
            out.push_str(&format!(
                "{} {name} L{first}-{last} ai_lines={}/{} share={:.2} risk=[{}]\n",
                u.kind,
                u.ai_lines,
                u.lines,
                u.ai_share,
                u.risk.join(",")
            ));
        }
        out
    }

    /// The review units of `source` (AI text marked with `«»`), one a line.
    fn check(language: Language, source: &str, expect: Expect) {
        let (content, ai) = parse_markers(source);
        let text = Text::new(content).unwrap();
        let tree = SyntaxTree::new(language, text.as_str());
        let units = review_units(language, tree.as_ref().and_then(|t| t.tree()), &text, &ai);
        expect.assert_eq(&show(&text, &units));
    }

    /// Red team (rt28c B1): a file an AI wrote that starts with a UTF-8
    /// byte order mark had a `lines` unit of its own for the mark, on line 1
    /// with the function: `vouch approve PATH:1`, as verify's failure line
    /// says, approved the mark and never the function. The mark is no code.
    #[test]
    fn a_byte_order_mark_is_no_unit() {
        for language in [Language::Python, Language::Rust, Language::JavaScript] {
            let source = match language {
                Language::Python => "«\u{feff}def f(x):\n    return x + 1\n»",
                Language::Rust => "«\u{feff}fn f(x: u32) -> u32 {\n    x + 1\n}\n»",
                _ => "«\u{feff}function f(x) {\n  return x + 1;\n}\n»",
            };
            let (content, ai) = parse_markers(source);
            let text = Text::new(content).unwrap();
            let tree = SyntaxTree::new(language, text.as_str());
            let units = review_units(language, tree.as_ref().and_then(|t| t.tree()), &text, &ai);
            let kinds: Vec<(&str, Option<&str>)> = units.iter().map(|u| (u.kind.as_str(), u.name.as_deref())).collect();
            assert_eq!(kinds, [("function", Some("f"))], "{language:?}: {}", show(&text, &units));
        }
    }

    #[test]
    fn rust_units_and_risk() {
        check(
            Language::Rust,
            r#"«//! Crate docs written by AI.»
use std::collections::HashMap;
«use std::process::Command;»

«#[derive(Debug)]
/// A user.
pub struct User {
    name: String,
}»

impl User {
    «/// Logs in.
    pub fn login(&self, password: &str) -> bool {
        let q = "SELECT id FROM users WHERE name = ?";
        check_password(password)
    }»

    pub fn name(&self) -> &str {
        «unsafe { std::str::from_utf8_unchecked(self.name.as_bytes()) }»
    }
}

«unsafe impl Send for User {}»

fn human() {}

«// A plain comment, not a doc comment.»

fn cleanup() {
    std::fs::remove_dir_all("/tmp/x").ok();«
    let _ = Command::new("rm").status();»
}
"#,
            expect![[r#"
                lines - L1-1 ai_lines=1/1 share=1.00 risk=[]
                import - L3-3 ai_lines=1/1 share=1.00 risk=[exec]
                struct User L5-9 ai_lines=5/5 share=1.00 risk=[]
                method login L12-16 ai_lines=5/5 share=1.00 risk=[auth,sql]
                method name L18-20 ai_lines=1/3 share=0.71 risk=[unsafe]
                impl Send for User L23-23 ai_lines=1/1 share=1.00 risk=[unsafe]
                lines - L27-27 ai_lines=1/1 share=1.00 risk=[]
                function cleanup L29-32 ai_lines=1/4 share=0.39 risk=[exec,fs-delete]
            "#]],
        );
    }

    #[test]
    fn python_units_and_risk() {
        check(
            Language::Python,
            r#"«import os
import subprocess»
import pickle

«TIMEOUT = 30»

«@login_required
def view(request):
    return render(request, "home.html")»

class Store:
    «"""A store."""»

    def load(self, path):
        «with open(path, "rb") as f:
            return pickle.load(f)»

    «@staticmethod
    def wipe(path):
        shutil.rmtree(path)
        os.system("sync")»

def query(db):
    db.execute("«SELECT name FROM users»")

«if __name__ == "__main__":
    main()»
"#,
            expect![[r#"
                import - L1-1 ai_lines=1/1 share=1.00 risk=[]
                import - L2-2 ai_lines=1/1 share=1.00 risk=[exec]
                statement TIMEOUT L5-5 ai_lines=1/1 share=1.00 risk=[]
                function view L7-9 ai_lines=3/3 share=1.00 risk=[auth]
                class Store L11-21 ai_lines=1/11 share=0.54 risk=[deserialize,exec,fs-delete]
                method load L14-16 ai_lines=2/3 share=0.69 risk=[deserialize]
                method wipe L18-21 ai_lines=4/4 share=1.00 risk=[exec,fs-delete]
                function query L23-24 ai_lines=1/2 share=0.41 risk=[sql]
                statement - L26-27 ai_lines=2/2 share=1.00 risk=[]
            "#]],
        );
    }

    #[test]
    fn javascript_units_and_risk() {
        check(
            Language::JavaScript,
            r#"«const { exec } = require("child_process");»
import axios from "axios";

«/** Fetches a user. */
export async function fetchUser(id) {
  return axios.get(`/users/${id}`);
}»

class Session {
  «constructor(token) {
    this.token = token;
  }»

  «refreshToken = async () => {
    return fetch("/refresh");
  };»
}

«export const remove = (p) => fs.rmSync(p, { recursive: true });»

«app.listen(3000);»
"#,
            expect![[r#"
                statement - L1-1 ai_lines=1/1 share=1.00 risk=[exec]
                function fetchUser L4-7 ai_lines=4/4 share=1.00 risk=[network]
                method constructor L10-12 ai_lines=3/3 share=1.00 risk=[]
                method refreshToken L14-16 ai_lines=3/3 share=1.00 risk=[network]
                function remove L19-19 ai_lines=1/1 share=1.00 risk=[fs-delete]
                statement - L21-21 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
    }

    #[test]
    fn typescript_units_and_risk() {
        check(
            Language::TypeScript,
            r#"«import { createHash } from "crypto";»

«/** Greets. */
@Injectable()
export class Greeter {»
  «@Input() name: string;»

  greet(name: string): string {
    «return `hello ${name}`;»
  }

  «private hash(s: string) {
    return createHash("sha256").update(s).digest("hex");
  }»
}

«interface Options { verbose: boolean }»
«type Id = string;»
«enum Color { Red }»
«namespace Util { export function id<T>(x: T): T { return x; } }»
«declare function ambient(): void;»
"#,
            expect![[r#"
                import - L1-1 ai_lines=1/1 share=1.00 risk=[crypto]
                class Greeter L3-15 ai_lines=4/13 share=0.98 risk=[crypto]
                method greet L8-10 ai_lines=1/3 share=0.44 risk=[]
                method hash L12-14 ai_lines=3/3 share=1.00 risk=[crypto]
                interface Options L17-17 ai_lines=1/1 share=1.00 risk=[]
                type Id L18-18 ai_lines=1/1 share=1.00 risk=[]
                enum Color L19-19 ai_lines=1/1 share=1.00 risk=[]
                module Util L20-20 ai_lines=1/1 share=1.00 risk=[]
                function id L20-20 ai_lines=1/1 share=1.00 risk=[]
                function ambient L21-21 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
    }

    #[test]
    fn tsx_units_and_risk() {
        check(
            Language::Tsx,
            r#"import React from "react";

«export function App({ user }: Props) {
  return <div onClick={() => login(user)}>{user.name}</div>;
}»

«export default function Page() {
  const data = fetch("/api");
  return <App user={data} />;
}»
"#,
            expect![[r#"
                function App L3-5 ai_lines=3/3 share=1.00 risk=[auth]
                function Page L7-10 ai_lines=4/4 share=1.00 risk=[network]
            "#]],
        );
    }

    #[test]
    fn go_units_and_risk() {
        check(
            Language::Go,
            r#"«// Package store keeps things.
package store»

import (
	"database/sql"
	«"os/exec"»
)

«// Sum adds.
func Sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}»

«type Config struct {
	Token string
}»

func (s *Store) Delete(id int) error {
	«_, err := s.db.Exec("DELETE FROM items WHERE id = ?", id)
	os.RemoveAll(s.dir)»
	return err
}

«var x = 1 // trailing»
«const (
	A = 1
	B = 2
)»
"#,
            expect![[r#"
                package store L1-2 ai_lines=2/2 share=1.00 risk=[]
                import - L4-7 ai_lines=1/4 share=0.29 risk=[exec]
                function Sum L9-16 ai_lines=8/8 share=1.00 risk=[]
                struct Config L18-20 ai_lines=3/3 share=1.00 risk=[]
                method Delete L22-26 ai_lines=2/5 share=0.61 risk=[fs-delete,sql]
                variable x L28-28 ai_lines=1/1 share=1.00 risk=[]
                const - L29-32 ai_lines=4/4 share=1.00 risk=[]
            "#]],
        );
    }

    #[test]
    fn java_units_and_risk() {
        check(
            Language::Java,
            r#"package app;

«import java.security.MessageDigest;»

«/** Users. */
@Service
public class Users {»
    «/** Logs in. */
    @PreAuthorize("hasRole('USER')")
    public boolean login(String password) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        return check(md.digest(password.getBytes()));
    }»

    public void purge() throws IOException {
        «Files.delete(Path.of("/tmp/x"));
        Runtime.getRuntime().exec("sync");»
    }

    «Users() {}»
}
"#,
            expect![[r#"
                import - L3-3 ai_lines=1/1 share=1.00 risk=[crypto]
                class Users L5-21 ai_lines=3/17 share=0.97 risk=[auth,crypto,exec,fs-delete]
                method login L8-13 ai_lines=6/6 share=1.00 risk=[auth,crypto]
                method purge L15-18 ai_lines=2/4 share=0.65 risk=[exec,fs-delete]
                method Users L20-20 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
    }

    #[test]
    fn text_is_runs_of_lines() {
        check(
            Language::Text,
            "intro\n«line one  \nline two»\n\n«other» text\nplain\n«   »\n",
            expect![[r#"
                lines - L2-3 ai_lines=2/2 share=1.00 risk=[]
                lines - L5-5 ai_lines=1/1 share=0.56 risk=[]
            "#]],
        );
        // A grammar language whose tree is missing: lines too.
        let text = Text::new("fn a() {}\nfn b() {}\n".to_string()).unwrap();
        let units = review_units(Language::Rust, None, &text, &[3..4]);
        expect![[r#"
            lines - L1-1 ai_lines=1/1 share=0.14 risk=[]
        "#]]
        .assert_eq(&show(&text, &units));
        assert_eq!(units[0].fingerprint, fingerprint("rust", "lines", "fn a() {}\n".as_bytes()));
    }

    #[test]
    fn a_lone_cr_ends_no_line() {
        // Git, rustc's `//` comments and `git blame` see one line where a
        // lone CR stands; so do runs of lines and their numbers.
        check(
            Language::Text,
            "intro\n«a\rrm -rf /»\nb\n",
            expect![[r#"
                lines - L2-2 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
        let source = "x\n// caller must be authorised\r    check(ok)?;\nfn f() {}\n";
        let text = Text::new(source.to_string()).unwrap();
        let units = review_units(Language::Text, None, &text, &[2..4]);
        assert_eq!(units.len(), 1);
        assert_eq!(&source[units[0].range.clone()], "// caller must be authorised\r    check(ok)?;\n");
        assert_eq!((units[0].lines, units[0].ai_lines), (1, 1));
    }

    #[test]
    fn attachments_belong_to_the_item_below_them() {
        // AI only in the attribute, the doc comment or the decorator still
        // makes the item below the unit. Rust's `///` is a `#[doc]`
        // attribute: it applies across a blank line and a plain comment, as
        // rustc reads it. A comment with nothing attached above it stays
        // apart, and a trailing comment belongs to its line's item.
        check(
            Language::Rust,
            "«#[inline]»\nfn a() {}\n\n«/// Doc.»\n\nfn b() {}\n\n/// Doc.\n«// plain»\nfn c() {}\n\nconst X: u8 = 1; «// why»\n«// loose»\n\nfn d() {}\n",
            expect![[r#"
                function a L1-2 ai_lines=1/2 share=0.56 risk=[]
                function b L4-6 ai_lines=1/3 share=0.50 risk=[]
                function c L8-10 ai_lines=1/3 share=0.33 risk=[]
                const X L12-12 ai_lines=1/1 share=0.29 risk=[]
                lines - L13-13 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
        check(
            Language::Python,
            "class A:\n    «@property»\n    def x(self):\n        return 1\n",
            expect![[r#"
                method x L2-4 ai_lines=1/3 share=0.33 risk=[]
            "#]],
        );
        // A doc comment that means nothing to the compiler joins only when
        // adjacent.
        check(
            Language::TypeScript,
            "class A {\n  «/** Doc. */»\n  @dec\n  m() {}\n}\n«export» function f() {}\n«/** Far. */»\n\nfunction g() {}\n",
            expect![[r#"
                method m L2-4 ai_lines=1/3 share=0.50 risk=[]
                function f L6-6 ai_lines=1/1 share=0.32 risk=[]
                lines - L7-7 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
        check(
            Language::Go,
            "package p\n\nvar x = 1 // trailing\n«// F does.»\nfunc F() {}\n\n«// G does.»\n\nfunc G() {}\n",
            expect![[r#"
                function F L4-5 ai_lines=1/2 share=0.47 risk=[]
                lines - L7-7 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
        check(
            Language::Java,
            "class A {\n  «/** Doc. */»\n  @Override\n  void m() {}\n  /* plain */\n  «void n() {}»\n}\n",
            expect![[r#"
                method m L2-4 ai_lines=1/3 share=0.33 risk=[]
                method n L6-6 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
    }

    /// The text of each unit, one `kind name: text` a line (line breaks
    /// shown as `⏎`).
    fn check_texts(language: Language, source: &str, expect: Expect) {
        let (content, ai) = parse_markers(source);
        let text = Text::new(content.clone()).unwrap();
        let tree = SyntaxTree::new(language, &content);
        let units = review_units(language, tree.as_ref().and_then(|t| t.tree()), &text, &ai);
        let mut out = String::new();
        for u in &units {
            let name = u.name.as_deref().unwrap_or("-");
            out.push_str(&format!("{} {name}: {}\n", u.kind, content[u.range.clone()].replace('\n', "⏎")));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn attributes_apply_across_blank_lines_and_comments() {
        // Issue 12, finding 13: rustc compiles out the impl below a detached
        // `#[cfg(any())]`; the attribute is part of the impl's unit, so an
        // approval of the impl without it no longer applies.
        check_texts(
            Language::Rust,
            "pub struct Gate;\n«#[cfg(any())]»\n\n// Checks who may pass.\n/* more */\nimpl Gate {\n    fn allow(&self) -> bool { true }\n}\n",
            expect![[r#"
                impl Gate: #[cfg(any())]⏎⏎// Checks who may pass.⏎/* more */⏎impl Gate {⏎    fn allow(&self) -> bool { true }⏎}⏎
            "#]],
        );
        // Inside an impl: the method's unit.
        check_texts(
            Language::Rust,
            "impl Gate {\n    «#[cfg(any())]»\n\n    fn allow(&self) -> bool { true }\n}\n",
            expect![[r#"
                method allow: #[cfg(any())]⏎⏎    fn allow(&self) -> bool { true }⏎
            "#]],
        );
        // An inner attribute of an inline module, or of an impl, is part of
        // the unit it stands in: its text is everything the attribute
        // switches.
        check_texts(
            Language::Rust,
            "mod checks {\n    «#![cfg(any())]»\n    fn allow() -> bool { true }\n}\nimpl Gate {\n    «#![allow(unused)]»\n    fn deny() {}\n}\n",
            expect![[r#"
                module checks: mod checks {⏎    #![cfg(any())]⏎    fn allow() -> bool { true }⏎}⏎
                impl Gate: impl Gate {⏎    #![allow(unused)]⏎    fn deny() {}⏎}⏎
            "#]],
        );
        // Decorators in a TypeScript class body are siblings of the method.
        check_texts(
            Language::TypeScript,
            "class A {\n  «@Guard()»\n\n  // why\n  open() {}\n}\n",
            expect![[r#"
                method open: @Guard()⏎⏎  // why⏎  open() {}⏎
            "#]],
        );
        // Python decorators, JavaScript decorators and Java annotations are
        // part of their definition's node, blank lines and comments included.
        check_texts(
            Language::Python,
            "«@app.route(\"/admin\")»\n\n# why\ndef admin():\n    pass\n",
            expect![[r#"
                function admin: @app.route("/admin")⏎⏎# why⏎def admin():⏎    pass⏎
            "#]],
        );
        check_texts(
            Language::JavaScript,
            "«@sealed»\n\nclass A {}\n",
            expect![[r#"
                class A: @sealed⏎⏎class A {}⏎
            "#]],
        );
        check_texts(
            Language::Java,
            "class A {\n  «@Deprecated»\n\n  // why\n  void m() {}\n}\n",
            expect![[r#"
                method m: @Deprecated⏎⏎  // why⏎  void m() {}⏎
            "#]],
        );
        // Go compiler directives apply to the next declaration across blank
        // lines and comments; a doc comment only when adjacent.
        check_texts(
            Language::Go,
            "package p\n\n«//go:noinline»\n\n// F does.\nfunc F() {}\n\nvar x = 1\n«//go:embed secret.txt»\n\nvar secret string\n",
            expect![[r#"
                function F: //go:noinline⏎⏎// F does.⏎func F() {}⏎
                variable secret: //go:embed secret.txt⏎⏎var secret string⏎
            "#]],
        );
    }

    #[test]
    fn file_gates_make_the_whole_file_a_unit() {
        // Text that changes what the whole file means belongs to a unit over
        // the whole file; the rest of the AI text keeps its own units.
        check(
            Language::Rust,
            "«#![cfg(any())]»\n//! Docs.\n\npub fn allow() -> bool {« true »}\n",
            expect![[r#"
                whole-file - L1-4 ai_lines=1/4 share=1.00 risk=[]
                function allow L4-4 ai_lines=1/1 share=0.17 risk=[]
            "#]],
        );
        check(
            Language::Python,
            "«# -*- coding: utf-7 -*-»\nimport os\n«from __future__ import annotations»\n\ndef f():\n    os.system(\"ls\")\n",
            expect![[r#"
                whole-file - L1-6 ai_lines=2/6 share=1.00 risk=[exec]
            "#]],
        );
        // Not an encoding declaration past the second line.
        check(
            Language::Python,
            "import os\nx = 1\n«# coding: utf-7»\n",
            expect![[r#"
            lines - L3-3 ai_lines=1/1 share=1.00 risk=[]
        "#]],
        );
        check(
            Language::JavaScript,
            "#!/usr/bin/env node\n// c\n«'use strict';»\nfoo();\n«'not a directive';»\n",
            expect![[r#"
                whole-file - L1-5 ai_lines=1/5 share=1.00 risk=[]
                statement - L5-5 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
        check(
            Language::TypeScript,
            "«\"use client\";»\nexport function App() {}\n",
            expect![[r#"
                whole-file - L1-2 ai_lines=1/2 share=1.00 risk=[]
            "#]],
        );
        // A build constraint before the package clause, and `//go:linkname`
        // anywhere; a `//go:build` after the package clause is a comment.
        check(
            Language::Go,
            "«//go:build ignore»\n\npackage p\n\n«//go:linkname now runtime.nanotime»\nfunc now() int64\n«//go:build linux»\n\nvar x = 1\n",
            expect![[r#"
                whole-file - L1-9 ai_lines=2/9 share=1.00 risk=[]
                variable x L7-9 ai_lines=1/3 share=0.71 risk=[]
            "#]],
        );
        // The unit at a gate's byte is the file's.
        let source = "#![cfg(any())]\nfn f() {}\n";
        let text = Text::new(source.to_string()).unwrap();
        let tree = SyntaxTree::new(Language::Rust, source).unwrap();
        let unit = unit_at(Language::Rust, tree.tree(), &text, 3, &[0..14]).unwrap();
        assert_eq!((unit.kind.as_str(), unit.range.clone(), unit.ai_lines), (WHOLE_FILE, 0..source.len(), 1));
        assert_eq!(unit.fingerprint, fingerprint("rust", WHOLE_FILE, source.as_bytes()));
        // Human gates change nothing: AI text elsewhere has its usual units.
        check(
            Language::Rust,
            "#![allow(dead_code)]\n«fn f() {}»\n",
            expect![[r#"
                function f L2-2 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
    }

    #[test]
    fn definitions_nested_past_the_bound_belong_to_the_deepest_unit_above() {
        // 1,000 nested functions: each is two levels below the one around it
        // (function_item, block), so the units are the 32 outermost and the
        // innermost of them holds all the text below it.
        let depth = 1000;
        let source = format!("{}{}", "fn f() {\n".repeat(depth), "}\n".repeat(depth));
        let text = Text::new(source.clone()).unwrap();
        let tree = SyntaxTree::new(Language::Rust, &source).unwrap();
        let deep = source.rfind("fn f").unwrap();
        let ai = [deep..deep + 4];
        let units = review_units(Language::Rust, tree.tree(), &text, &ai);
        assert_eq!(units.len(), 1, "{units:#?}");
        let unit = &units[0];
        let in_bounds = (MAX_UNIT_DEPTH as usize).div_ceil(2);
        let expected_start = "fn f() {\n".len() * (in_bounds - 1);
        assert_eq!((unit.kind.as_str(), unit.range.start), ("function", expected_start));
        assert!(unit.range.contains(&deep) && unit.ai_bytes == "fnf".len() && unit.ai_lines == 1, "{unit:#?}");
        assert_eq!(unit_at(Language::Rust, tree.tree(), &text, deep + 1, &ai).as_ref(), Some(unit));
        // All of it AI: the units in bounds, every AI byte counted once.
        let all = [0..source.len()];
        let units = review_units(Language::Rust, tree.tree(), &text, &all);
        assert_eq!(units.len(), in_bounds);
        let finder = Finder::new(Language::Rust, tree.tree(), &text, &all);
        assert_eq!(units.iter().map(|u| u.ai_bytes).sum::<usize>(), finder.nonws(&finder.ai));
        assert_eq!(units.last().map(|u| u.ai_lines), Some(2 * (depth - in_bounds + 1)));
    }

    #[test]
    fn bytes_count_for_the_smallest_unit() {
        let source = "«impl Store {»\n    «fn get(&self) {}»\n    fn put(&self) {}\n«}»\n";
        check(
            Language::Rust,
            source,
            expect![[r#"
                impl Store L1-4 ai_lines=2/4 share=1.00 risk=[]
                method get L2-2 ai_lines=1/1 share=1.00 risk=[]
            "#]],
        );
        // AI text in a method only: the impl holds none of it.
        check(
            Language::Rust,
            "impl Store {\n    fn get(&self) {« 1 »}\n}\n",
            expect![[r#"
                method get L2-2 ai_lines=1/1 share=0.07 risk=[]
            "#]],
        );
    }

    #[test]
    fn whitespace_never_makes_a_unit() {
        check(Language::Rust, "fn a() {«   »}\n«\n\n»fn b() {}\n", expect![[""]]);
        check(Language::Text, "a«  \t»\n«\n»b\n", expect![[""]]);
    }

    #[test]
    fn crlf_and_end_of_text() {
        let (content, ai) = parse_markers("«fn a() {\r\n}»\r\n«fn b() {}»");
        let text = Text::new(content).unwrap();
        let tree = SyntaxTree::new(Language::Rust, text.as_str()).unwrap();
        let units = review_units(Language::Rust, tree.tree(), &text, &ai);
        let texts: Vec<_> = units.iter().map(|u| &text.as_str()[u.range.clone()]).collect();
        assert_eq!(texts, ["fn a() {\r\n}\r\n", "fn b() {}"]);
        assert_eq!(units[0].fingerprint, fingerprint("rust", "function", b"fn a() {\r\n}\r\n"));
    }

    #[test]
    fn broken_code_falls_back_to_lines() {
        check(
            Language::Rust,
            "fn ok() {}\n«fn broken( {\n    let x = ;»\n",
            expect![[r#"
                lines - L2-3 ai_lines=2/2 share=1.00 risk=[]
            "#]],
        );
    }

    #[test]
    fn units_in_a_selection() {
        let source = "use std::fs;\n\nimpl Store {\n    fn get(&self) {}\n    fn put(&self) {\n        fs::remove_file(\"x\");\n    }\n}\n";
        let text = Text::new(source.to_string()).unwrap();
        let tree = SyntaxTree::new(Language::Rust, source).unwrap();
        let at = |needle: &str| source.find(needle).unwrap();
        let ai = [at("fs::remove")..at("(\"x\")")];
        let units = units_in(Language::Rust, tree.tree(), &text, at("get")..at("put"), &ai);
        expect![[r#"
            method get L4-4 ai_lines=0/1 share=0.00 risk=[]
            method put L5-7 ai_lines=1/3 share=0.43 risk=[fs-delete]
        "#]]
        .assert_eq(&show(&text, &units));
        // The whole text: every unit, the impl for its own lines.
        let units = units_in(Language::Rust, tree.tree(), &text, 0..source.len(), &ai);
        expect![[r#"
            import - L1-1 ai_lines=0/1 share=0.00 risk=[]
            impl Store L3-8 ai_lines=0/6 share=0.00 risk=[fs-delete]
            method get L4-4 ai_lines=0/1 share=0.00 risk=[]
            method put L5-7 ai_lines=1/3 share=0.43 risk=[fs-delete]
        "#]]
        .assert_eq(&show(&text, &units));
    }

    #[test]
    fn unit_at_an_offset() {
        let source = "#[test]\nfn a() {\n    1\n}\n\n// note one\n// note two\n\nstruct S;\n";
        let text = Text::new(source.to_string()).unwrap();
        let tree = SyntaxTree::new(Language::Rust, source).unwrap();
        let at = |needle: &str| source.find(needle).unwrap();
        let ai = [at("// note")..at("\n\nstruct")];
        let show_at = |offset: usize| {
            let unit = unit_at(Language::Rust, tree.tree(), &text, offset, &ai);
            show(&text, unit.as_slice())
        };
        assert_eq!(show_at(at("test")), "function a L1-4 ai_lines=0/4 share=0.00 risk=[]\n");
        assert_eq!(show_at(at("    1")), show_at(at("#[test]")));
        assert_eq!(show_at(at("two")), "lines - L6-7 ai_lines=2/2 share=1.00 risk=[]\n");
        assert_eq!(show_at(at("\n\nstruct") + 1), "");
        assert_eq!(show_at(source.len()), "");
        assert_eq!(show_at(at("S;")), "struct S L9-9 ai_lines=0/1 share=0.00 risk=[]\n");
        // The lines unit at an offset is the one review_units reports.
        let review = review_units(Language::Rust, tree.tree(), &text, &ai);
        let here = unit_at(Language::Rust, tree.tree(), &text, at("one"), &ai);
        assert_eq!(review, here.into_iter().collect::<Vec<_>>());
        // A doc comment below belongs to its item, not to the run.
        let source = "// note\n/// Doc.\nfn f() {}\n";
        let text = Text::new(source.to_string()).unwrap();
        let tree = SyntaxTree::new(Language::Rust, source).unwrap();
        let ai = [0..source.find("fn").unwrap()];
        let review = review_units(Language::Rust, tree.tree(), &text, &ai);
        expect![[r#"
            lines - L1-1 ai_lines=1/1 share=1.00 risk=[]
            function f L2-3 ai_lines=1/2 share=0.50 risk=[]
        "#]]
        .assert_eq(&show(&text, &review));
        assert_eq!(unit_at(Language::Rust, tree.tree(), &text, 3, &ai).as_ref(), review.first());
        // Plain text: the run of AI lines, else the line itself.
        let text = Text::new("a\nb\nc\n".to_string()).unwrap();
        let unit = unit_at(Language::Text, None, &text, 2, &[0..3]).unwrap();
        assert_eq!((unit.range, unit.ai_lines), (0..4, 2));
        let unit = unit_at(Language::Text, None, &text, 4, &[0..3]).unwrap();
        assert_eq!((unit.range, unit.ai_lines), (4..6, 0));
    }

    #[derive(serde::Deserialize)]
    struct Vectors {
        vectors: Vec<Vector>,
    }

    #[derive(serde::Deserialize)]
    struct Vector {
        language: String,
        kind: String,
        /// Absent for vectors given as bytes (`text_hex`): those are whole
        /// files that are not UTF-8, not units of a grammar.
        #[serde(default)]
        text: String,
        fingerprint: String,
    }

    /// The unit `review_units` finds when the whole of `source` is AI text.
    fn sole_unit(language: Language, source: &str, ai: Range<usize>) -> (Unit, String) {
        let text = Text::new(source.to_string()).unwrap();
        let tree = SyntaxTree::new(language, source);
        let units = review_units(language, tree.as_ref().and_then(|t| t.tree()), &text, &[ai]);
        assert_eq!(units.len(), 1, "{source:?}: {units:#?}");
        let unit = units.into_iter().next().unwrap();
        let unit_text = source[unit.range.clone()].to_string();
        (unit, unit_text)
    }

    #[test]
    fn published_fingerprint_vectors_are_units() {
        let json = include_str!("../../tests/fixtures/fingerprints.json");
        let vectors: Vectors = serde_json::from_str(json).unwrap();
        let mut seen = BTreeSet::new();
        // Units of a grammar or of lines; `file` and `submodule` units are
        // not found in text (see `crate::fingerprint`).
        let grammar_or_lines = |v: &&Vector| !matches!(v.kind.as_str(), "file" | "submodule");
        for v in vectors.vectors.iter().filter(grammar_or_lines) {
            let (unit, unit_text) = match v.language.as_str() {
                "typescript" => {
                    // A method lives in a class.
                    let source = format!("class Greeter {{\n  {} }}\n", v.text);
                    let start = source.find(&v.text).unwrap();
                    sole_unit(Language::TypeScript, &source, start..start + v.text.len())
                }
                name => {
                    let language = Language::ALL.into_iter().find(|l| l.name() == name).unwrap();
                    sole_unit(language, &v.text, 0..v.text.len())
                }
            };
            assert_eq!(unit_text, v.text);
            assert_eq!(unit.kind, v.kind, "{:?}", v.text);
            assert_eq!(unit.fingerprint, v.fingerprint, "{:?}", v.text);
            seen.insert(v.language.as_str());
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["go", "javascript", "python", "rust", "text", "typescript"]);
    }

    const RUST_SNIPPETS: &[&str] = &[
        "fn f() { unsafe { g() } }",
        "unsafe fn f() {}",
        "unsafe impl Send for A {}",
        r#"const Q: &str = "select id, name from users";"#,
        r#"const Q: &str = r"DELETE FROM t WHERE id = 1";"#,
        r#"const S: &str = "Please select a file from the list";"#,
        r#"fn f() { std::process::Command::new("ls"); }"#,
        "use std::process::{Command, Stdio};",
        "use sha2::{Digest, Sha256};",
        "fn f() { let h = Sha256::digest(b\"x\"); }",
        "fn verify_token(t: &str) {}",
        "fn f() { user.check_password(p); }",
        "fn tokenize(s: &str) {}",
        "fn f() { let v: T = serde_json::from_str(s)?; }",
        "fn f() { reqwest::get(url); }",
        "use std::net::TcpStream;",
        "fn f() { std::fs::remove_dir_all(p); }",
        "fn f() { let v = vec![1]; v.len(); }",
        "fn f() { auth::check(&u, \"delete\")?; }",
        "fn f() { authz.allow(&u); }",
        "fn f() { self.authz.allow(&u); }",
        "fn f() { auth_service.check(&u); }",
    ];

    const PYTHON_SNIPPETS: &[&str] = &[
        "import ctypes",
        "cur.execute(\"UPDATE users SET name = ? WHERE id = ?\")",
        "subprocess.run([\"ls\"])",
        "os.system(\"ls\")",
        "eval(code)",
        "h = hashlib.sha256(b)",
        "from cryptography.fernet import Fernet",
        "@login_required\ndef view(r): pass",
        "def authenticate(user, password): pass",
        "def author_name(): pass",
        "data = pickle.loads(blob)",
        "cfg = yaml.load(f)",
        "cfg = yaml.safe_load(f)",
        "requests.get(url)",
        "import socket",
        "shutil.rmtree(d)",
        "path.unlink()",
        "items.remove(x)",
        "urlopen(u)",
        "lib = ctypes.CDLL(name)",
        "x.eval(s)",
        "(eval)(code)",
        "@app.login_required\ndef view(r): pass",
        "client.login(u)",
        "await asyncio.create_subprocess_exec(\"ls\")",
        "t = secrets.token_hex()",
        "auth.check(user, \"delete\")",
        "self.authz.check(user)",
        "auth_service.check(user)",
    ];

    const GO_SNIPPETS: &[&str] = &[
        "package p\nimport \"unsafe\"",
        "package p\nvar p = unsafe.Pointer(&x)",
        "package p\nconst q = `INSERT INTO t (a) VALUES (?)`",
        "package p\nfunc f() { exec.Command(\"ls\").Run() }",
        "package p\nimport \"crypto/sha256\"",
        "package p\nfunc f() { sha256.Sum256(b) }",
        "package p\nfunc Login(w http.ResponseWriter) {}",
        "package p\nimport \"encoding/gob\"",
        "package p\nfunc f() { http.Get(url) }",
        "package p\nfunc f() { os.RemoveAll(dir) }",
        "package p\nfunc f() { fmt.Println(\"hi\") }",
        "package p\nfunc f() { auth.Check(u, \"delete\") }",
        "package p\nfunc f() { rbac.Can(u, \"delete\") }",
        "package p\nfunc f() { h.authz.Allow(u) }",
        "package p\nfunc f() { authzClient.Allow(u) }",
    ];

    const JAVA_SNIPPETS: &[&str] = &[
        "import sun.misc.Unsafe;",
        "class A { String q = \"SELECT name FROM users\"; }",
        "class A { void f() { Runtime.getRuntime().exec(\"ls\"); } }",
        "class A { void f() { new ProcessBuilder(\"ls\").start(); } }",
        "import javax.crypto.Cipher;",
        "class A { void f() { MessageDigest.getInstance(\"SHA-256\"); } }",
        "class A { @PreAuthorize(\"x\") void f() {} }",
        "class A { boolean checkPassword(String p) { return true; } }",
        "class A { void f() { new ObjectInputStream(in).readObject(); } }",
        "import java.net.URL;",
        "class A { void f() { Files.delete(p); } }",
        "class A { void f() { file.delete(); } }",
        "class A { void f() { list.add(1); } }",
        "class A { void f() { Auth.check(u); } }",
        "class A { void f() { this.authz.check(u); } }",
        "class A { void f() { authService.check(u); } }",
    ];

    const JS_SNIPPETS: &[&str] = &[
        "db.query(`SELECT * FROM users WHERE id = ${id}`);",
        "const cp = require(\"child_process\");",
        "execSync(\"ls\");",
        "re.exec(s);",
        "new Function(\"return 1\");",
        "import crypto from \"node:crypto\";",
        "const h = crypto.createHash(\"sha256\");",
        "function login(user) {}",
        "auth.verifyToken(t);",
        "const o = serialize.unserialize(s);",
        "const r = await fetch(url);",
        "import http from \"http\";",
        "fs.rmSync(dir, { recursive: true });",
        "JSON.parse(s);",
        "child_process.exec(c);",
        "new Deno.Command(\"ls\");",
        "randomBytes(8);",
        "api.login(u);",
        "unserialize(s);",
        "yaml.load(s);",
        "v8.deserialize(b);",
        "new WebSocket(u);",
        "fse.remove(p);",
        "rimraf(p);",
        "x.eval(s);",
        "(eval)(s);",
        "new x.Function();",
        "obj.fetch(u);",
        "authz.check(u, \"delete\");",
        "this.authz.can(u);",
        "authService.check(u);",
    ];

    /// The risk tags of each snippet as a whole, one `snippet => tags` a
    /// line.
    fn risk_table(language: Language, snippets: &[&str]) -> String {
        let mut out = String::new();
        for snippet in snippets {
            let text = Text::new(snippet.to_string()).unwrap();
            let tree = SyntaxTree::new(language, snippet).unwrap();
            let finder = Finder::new(language, tree.tree(), &text, &[]);
            let whole = 0..snippet.len();
            let tags = finder.risk_captures(std::slice::from_ref(&whole)).tags_in(&whole);
            out.push_str(&format!("{} => {}\n", snippet.replace('\n', " "), tags.join(",")));
        }
        out
    }

    #[test]
    fn rust_risk_tags() {
        let table = risk_table(Language::Rust, RUST_SNIPPETS);
        expect![[r#"
            fn f() { unsafe { g() } } => unsafe
            unsafe fn f() {} => unsafe
            unsafe impl Send for A {} => unsafe
            const Q: &str = "select id, name from users"; => sql
            const Q: &str = r"DELETE FROM t WHERE id = 1"; => sql
            const S: &str = "Please select a file from the list"; => 
            fn f() { std::process::Command::new("ls"); } => exec
            use std::process::{Command, Stdio}; => exec
            use sha2::{Digest, Sha256}; => crypto
            fn f() { let h = Sha256::digest(b"x"); } => crypto
            fn verify_token(t: &str) {} => auth
            fn f() { user.check_password(p); } => auth
            fn tokenize(s: &str) {} => 
            fn f() { let v: T = serde_json::from_str(s)?; } => deserialize
            fn f() { reqwest::get(url); } => network
            use std::net::TcpStream; => network
            fn f() { std::fs::remove_dir_all(p); } => fs-delete
            fn f() { let v = vec![1]; v.len(); } => 
            fn f() { auth::check(&u, "delete")?; } => auth
            fn f() { authz.allow(&u); } => auth
            fn f() { self.authz.allow(&u); } => auth
            fn f() { auth_service.check(&u); } => auth
        "#]]
        .assert_eq(&table);
    }

    #[test]
    fn python_risk_tags() {
        let table = risk_table(Language::Python, PYTHON_SNIPPETS);
        expect![[r#"
            import ctypes => unsafe
            cur.execute("UPDATE users SET name = ? WHERE id = ?") => sql
            subprocess.run(["ls"]) => exec
            os.system("ls") => exec
            eval(code) => exec
            h = hashlib.sha256(b) => crypto
            from cryptography.fernet import Fernet => crypto
            @login_required def view(r): pass => auth
            def authenticate(user, password): pass => auth
            def author_name(): pass => 
            data = pickle.loads(blob) => deserialize
            cfg = yaml.load(f) => deserialize
            cfg = yaml.safe_load(f) => 
            requests.get(url) => network
            import socket => network
            shutil.rmtree(d) => fs-delete
            path.unlink() => fs-delete
            items.remove(x) => 
            urlopen(u) => network
            lib = ctypes.CDLL(name) => unsafe
            x.eval(s) => 
            (eval)(code) => 
            @app.login_required def view(r): pass => auth
            client.login(u) => auth
            await asyncio.create_subprocess_exec("ls") => exec
            t = secrets.token_hex() => auth,crypto
            auth.check(user, "delete") => auth
            self.authz.check(user) => auth
            auth_service.check(user) => auth
        "#]]
        .assert_eq(&table);
    }

    #[test]
    fn javascript_risk_tags() {
        let snippets = JS_SNIPPETS;
        let table = risk_table(Language::JavaScript, snippets);
        expect![[r#"
            db.query(`SELECT * FROM users WHERE id = ${id}`); => sql
            const cp = require("child_process"); => exec
            execSync("ls"); => exec
            re.exec(s); => 
            new Function("return 1"); => exec
            import crypto from "node:crypto"; => crypto
            const h = crypto.createHash("sha256"); => crypto
            function login(user) {} => auth
            auth.verifyToken(t); => auth
            const o = serialize.unserialize(s); => deserialize
            const r = await fetch(url); => network
            import http from "http"; => network
            fs.rmSync(dir, { recursive: true }); => fs-delete
            JSON.parse(s); => 
            child_process.exec(c); => exec
            new Deno.Command("ls"); => exec
            randomBytes(8); => crypto
            api.login(u); => auth
            unserialize(s); => deserialize
            yaml.load(s); => deserialize
            v8.deserialize(b); => deserialize
            new WebSocket(u); => network
            fse.remove(p); => fs-delete
            rimraf(p); => fs-delete
            x.eval(s); => 
            (eval)(s); => 
            new x.Function(); => 
            obj.fetch(u); => 
            authz.check(u, "delete"); => auth
            this.authz.can(u); => auth
            authService.check(u); => auth
        "#]]
        .assert_eq(&table);
        // The TypeScript grammars share these patterns.
        assert_eq!(risk_table(Language::TypeScript, snippets), table);
        assert_eq!(risk_table(Language::Tsx, snippets), table);
        expect![[r#"
            class A { refreshToken = async () => {}; } => auth
        "#]]
        .assert_eq(&risk_table(Language::TypeScript, &["class A { refreshToken = async () => {}; }"]));
    }

    #[test]
    fn go_risk_tags() {
        let table = risk_table(Language::Go, GO_SNIPPETS);
        expect![[r#"
            package p import "unsafe" => unsafe
            package p var p = unsafe.Pointer(&x) => unsafe
            package p const q = `INSERT INTO t (a) VALUES (?)` => sql
            package p func f() { exec.Command("ls").Run() } => exec
            package p import "crypto/sha256" => crypto
            package p func f() { sha256.Sum256(b) } => crypto
            package p func Login(w http.ResponseWriter) {} => auth
            package p import "encoding/gob" => deserialize
            package p func f() { http.Get(url) } => network
            package p func f() { os.RemoveAll(dir) } => fs-delete
            package p func f() { fmt.Println("hi") } => 
            package p func f() { auth.Check(u, "delete") } => auth
            package p func f() { rbac.Can(u, "delete") } => auth
            package p func f() { h.authz.Allow(u) } => auth
            package p func f() { authzClient.Allow(u) } => auth
        "#]]
        .assert_eq(&table);
    }

    #[test]
    fn java_risk_tags() {
        let table = risk_table(Language::Java, JAVA_SNIPPETS);
        expect![[r#"
            import sun.misc.Unsafe; => unsafe
            class A { String q = "SELECT name FROM users"; } => sql
            class A { void f() { Runtime.getRuntime().exec("ls"); } } => exec
            class A { void f() { new ProcessBuilder("ls").start(); } } => exec
            import javax.crypto.Cipher; => crypto
            class A { void f() { MessageDigest.getInstance("SHA-256"); } } => crypto
            class A { @PreAuthorize("x") void f() {} } => auth
            class A { boolean checkPassword(String p) { return true; } } => auth
            class A { void f() { new ObjectInputStream(in).readObject(); } } => deserialize
            import java.net.URL; => network
            class A { void f() { Files.delete(p); } } => fs-delete
            class A { void f() { file.delete(); } } => fs-delete
            class A { void f() { list.add(1); } } => 
            class A { void f() { Auth.check(u); } } => auth
            class A { void f() { this.authz.check(u); } } => auth
            class A { void f() { authService.check(u); } } => auth
        "#]]
        .assert_eq(&table);
    }

    /// Every text the differential tests read for `language`: the snippets
    /// above and the files of this repository in that language.
    fn corpus(language: Language) -> Vec<String> {
        let mut out: Vec<String> = match language {
            Language::Rust => RUST_SNIPPETS.iter().map(|s| s.to_string()).collect(),
            Language::Python => PYTHON_SNIPPETS.iter().map(|s| s.to_string()).collect(),
            Language::JavaScript | Language::TypeScript | Language::Tsx => {
                JS_SNIPPETS.iter().map(|s| s.to_string()).collect()
            }
            Language::Go => GO_SNIPPETS.iter().map(|s| s.to_string()).collect(),
            Language::Java => JAVA_SNIPPETS.iter().map(|s| s.to_string()).collect(),
            Language::Text => Vec::new(),
        };
        out.extend(PROPERTY_SOURCES.iter().filter(|(l, _)| *l == language).map(|(_, s)| s.to_string()));
        out.extend(SHAPES.iter().filter(|(l, _)| *l == language).map(|(_, s)| s.to_string()));
        // The whole snippet list as one file, so that patterns meet
        // each other's words.
        let joined = out.join("\n");
        out.push(joined);
        fn walk(dir: &std::path::Path, language: Language, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                if path.is_dir() {
                    if !matches!(name.to_str(), Some("target" | "node_modules" | ".git")) {
                        walk(&path, language, out);
                    }
                } else {
                    let as_ts = language == Language::TypeScript && Language::from_path(&path) == Language::Tsx;
                    if (Language::from_path(&path) == language || as_ts)
                        && let Ok(text) = std::fs::read_to_string(&path)
                    {
                        out.push(text);
                    }
                }
            }
        }
        walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), language, &mut out);
        out
    }

    /// A match as (pattern, sorted (capture, start, end), whether a capture
    /// is a later child in its field).
    type FoundMatch = (usize, Vec<(u32, usize, usize)>, bool);

    /// Every match of query `file` that meets `window`, by the matcher or
    /// (`reference`) by tree-sitter's query cursor, as a set.
    fn match_set(
        finder: &mut Finder<'_>,
        reference: bool,
        file: File,
        window: Range<usize>,
        max_depth: Option<u32>,
    ) -> BTreeSet<FoundMatch> {
        finder.reference = reference;
        let mut out = BTreeSet::new();
        let units = finder.syntax.map(|(_, q)| q.units);
        finder.each_match(file, window, max_depth, &mut |pattern, captures| {
            // A supertype matches more nodes than tree-sitter's (see
            // `matcher`): compare such patterns where their `#parent?`
            // predicates hold, where the two agree.
            if let Some(units) =
                units.filter(|u| file == File::Units && u.query.patterns()[pattern].has_supertype_root())
            {
                let unit = captures.iter().find(|c| matches!(units.unit_capture(c.index), UnitCapture::Unit(_)));
                if !unit.is_some_and(|c| units.unit_parents(pattern).iter().all(|paths| has_parent(c.node, paths))) {
                    return;
                }
            }
            let mut caps: Vec<(u32, usize, usize)> =
                captures.iter().map(|c| (c.index, c.node.start_byte(), c.node.end_byte())).collect();
            caps.sort();
            out.insert((pattern, caps, captures.iter().any(|c| later_in_its_field(c.node))));
        });
        finder.reference = false;
        out
    }

    /// Whether `node` is in a field that a sibling before it is in too:
    /// where the matcher finds more than tree-sitter (see `matcher`).
    fn later_in_its_field(node: Node<'_>) -> bool {
        let Some(parent) = node.parent() else { return false };
        let mut cursor = parent.walk();
        let mut seen = Vec::new();
        if cursor.goto_first_child() {
            loop {
                let field = cursor.field_id();
                if cursor.node() == node {
                    return field.is_some_and(|f| seen.contains(&f));
                }
                seen.extend(field);
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        false
    }

    /// Windows to compare matches in: the whole text, the empty window
    /// (tree-sitter reads `0..0` as all of it), single bytes and empty
    /// windows inside it, whole lines, and a few pseudo-random spans.
    fn windows_of(source: &str) -> Vec<Range<usize>> {
        let n = source.len();
        let mut out = vec![0..n, 0..0, 0..1.min(n)];
        let line_starts: Vec<usize> =
            std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let mut seed = n as u64 ^ 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            if bound == 0 { 0 } else { (seed >> 33) as usize % bound }
        };
        for _ in 0..3 {
            let at = next(n + 1);
            out.push(at..at);
            out.push(at..(at + 1).min(n));
            let line = next(line_starts.len());
            let end = line_starts.get(line + 1 + next(3)).copied().unwrap_or(n);
            out.push(line_starts[line]..end);
            let (a, b) = (next(n + 1), next(n + 1));
            out.push(a.min(b)..a.max(b));
        }
        out.push(n..n);
        out
    }

    /// Where the matcher and tree-sitter's cursor disagree on `source` in
    /// `windows`, if anywhere: every match tree-sitter finds, and no other
    /// but those that take a later child in a field (see `matcher`).
    fn disagreement(language: Language, source: &str, windows: &[Range<usize>]) -> Option<String> {
        let queries = queries::queries(language)?.ok()?;
        let text = Text::new(source.to_string()).ok()?;
        let tree = SyntaxTree::new(language, source)?;
        let root = tree.tree()?.root_node();
        let mut finder = Finder::with(language, Some((root, queries)), &text, &[]);
        for window in windows {
            for (file, depth) in
                [(File::Units, Some(MAX_UNIT_DEPTH)), (File::Units, Some(2)), (File::Risk, None), (File::Units, None)]
            {
                let ours = match_set(&mut finder, false, file, window.clone(), depth);
                let theirs = match_set(&mut finder, true, file, window.clone(), depth);
                let only_ours: Vec<_> = ours.difference(&theirs).filter(|m| !m.2).collect();
                let only_theirs: Vec<_> = theirs.difference(&ours).collect();
                if !only_ours.is_empty() || !only_theirs.is_empty() {
                    return Some(format!(
                        "{language:?} {file:?} {window:?} depth {depth:?}: only ours {only_ours:?}, only tree-sitter's {only_theirs:?} in\n{source}"
                    ));
                }
            }
        }
        None
    }

    #[test]
    fn the_matcher_finds_what_tree_sitter_finds() {
        // The matcher replaces tree-sitter's query cursor: on every snippet
        // above and every file of this repository, in many windows and
        // with and without a depth bound, it finds the same matches as
        // tree-sitter's cursor running the same query files.
        let mut compared = 0;
        for language in Language::ALL {
            for source in corpus(language) {
                if let Some(problem) = disagreement(language, &source, &windows_of(&source)) {
                    panic!("{problem}");
                }
                compared += 1;
            }
        }
        assert!(compared > 200, "{compared} texts compared");
    }

    /// Text inserted by the edits of the property test below.
    const INSERTS: [&str; 16] = [
        "",
        "{",
        "}",
        "(",
        ")",
        "\n",
        "fn f() ",
        "unsafe ",
        "\"select * from t\"",
        "import os\n",
        ";",
        "class A:\n ",
        "=>",
        "const ( a = 1; b = 2 )",
        ".",
        "@d\n",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// The matcher finds what tree-sitter's cursor finds in sources
        /// broken by random edits too (error recovery makes shapes no
        /// file has).
        #[test]
        fn the_matcher_agrees_on_edited_sources(
            which in 0..PROPERTY_SOURCES.len() + SHAPES.len(),
            edits in proptest::collection::vec((0.0f64..1.0, 0usize..12, 0..INSERTS.len()), 1..6),
        ) {
            let (language, original) = PROPERTY_SOURCES.iter().chain(SHAPES).nth(which).copied().unwrap();
            let mut source = original.to_string();
            for (at, remove, insert) in edits {
                let mut at = (at * source.len() as f64) as usize;
                while !source.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + remove).min(source.len());
                while !source.is_char_boundary(end) {
                    end += 1;
                }
                source.replace_range(at..end, INSERTS[insert]);
            }
            let windows = windows_of(&source);
            let problem = disagreement(language, &source, &windows[..windows.len().min(6)]);
            proptest::prop_assert!(problem.is_none(), "{}", problem.unwrap_or_default());
        }
    }

    #[test]
    fn units_and_risk_tags_are_those_tree_sitter_finds() {
        // What vouch makes of the matches: the units and risk tags of every
        // text are those found through tree-sitter's query cursor, for the
        // whole text and for a few selections.
        for language in Language::ALL {
            let Some(Ok(queries)) = queries::queries(language) else { continue };
            for source in corpus(language) {
                let text = Text::new(source.clone()).unwrap();
                let tree = SyntaxTree::new(language, &source).unwrap();
                let root = tree.tree().unwrap().root_node();
                let all = [0..source.len()];
                let mut selections: Vec<Vec<Range<usize>>> = vec![all.to_vec()];
                selections.extend(windows_of(&source).into_iter().skip(3).step_by(2).map(|w| vec![w]));
                for ai in selections {
                    let found = |reference: bool| {
                        let mut finder = Finder::with(language, Some((root, queries)), &text, &ai);
                        finder.reference = reference;
                        let units = finder.units_holding(&finder.ai);
                        let risk = finder.risk_captures(&all).0;
                        (units, risk)
                    };
                    let (units, risk) = found(false);
                    let (reference_units, reference_risk) = found(true);
                    assert_eq!(risk, reference_risk, "{language:?}: {source}");
                    assert_eq!(units, reference_units, "{language:?} {ai:?}: {source}");
                }
                // The nested units taken from the first query are those a
                // query of their own finds.
                let mut fresh = Finder::with(language, Some((root, queries)), &text, &all);
                let units = fresh.units_holding(&fresh.ai);
                fresh.reuse = false;
                assert_eq!(fresh.units_holding(&fresh.ai), units, "{language:?}: {source}");
            }
        }
    }

    #[test]
    fn kind_ids_by_name_are_the_ids_of_nodes() {
        // The matcher looks kinds up by name (`id_for_node_kind`) and
        // compares them with `Node::kind_id`: the two agree for every node
        // of every corpus text, aliased kinds included.
        for language in Language::ALL {
            let Some(grammar) = language.grammar() else { continue };
            for source in corpus(language) {
                let tree = SyntaxTree::new(language, &source).unwrap();
                let mut cursor = tree.tree().unwrap().walk();
                'walk: loop {
                    let node = cursor.node();
                    assert_eq!(
                        grammar.id_for_node_kind(node.kind(), node.is_named()),
                        node.kind_id(),
                        "{language:?} {:?} named {}",
                        node.kind(),
                        node.is_named()
                    );
                    if cursor.goto_first_child() {
                        continue;
                    }
                    while !cursor.goto_next_sibling() {
                        if !cursor.goto_parent() {
                            break 'walk;
                        }
                    }
                }
            }
        }
    }

    /// Shapes the query files tell apart that the files of this repository
    /// may lack: anchored children (one spec in a block or several),
    /// several children a child pattern can take, errors.
    const SHAPES: &[(Language, &str)] = &[
        (
            Language::Go,
            "package p\ntype A int\ntype ( B int; C string )\ntype (\n\t// c\n\tD struct{}\n)\nvar ( x = 1; y = 2 )\nvar z = 3\nconst ( k = 1 )\nconst ( l, m = 1, 2 )\ntype E = int\nimport ( \"os\"; \"unsafe\" )\n",
        ),
        (Language::Python, "import os.path, a.os\nfrom b.subprocess import x\nimport pickle as p\nx = y = 1\nx += 1\n"),
        (
            Language::Rust,
            "use std::process::{Stdio, Command};\nuse a::{b, c::{d, e}};\nunsafe impl<T> S for T {}\nimpl<T> S for T {}\nfn f( {\n",
        ),
        (
            Language::JavaScript,
            "let a = 1, b = () => 2;\nvar c = function() {}, d;\nexport function e() {}\nfor (let i = 0;;) {}\nclass K { m() {} f = () => 1; }\n",
        ),
        (
            Language::TypeScript,
            "export default class A { m(): void {} }\ndeclare function f(): void;\nabstract class B { abstract m(): void; }\nlet a = 1, b = () => 2;\n",
        ),
        (
            Language::Java,
            "@Deprecated package a.b;\nimport java.net.URL;\nclass A { void f() { Files.delete(p); new File(x).delete(); } }\n",
        ),
    ];

    const PROPERTY_SOURCES: [(Language, &str); 4] = [
        (
            Language::Rust,
            "#![allow(unused)]\n//! Crate.\nuse std::fs;\n\n#[derive(Debug)]\n\n/// A.\n// plain\nstruct A { x: u8 }\n\n#[cfg(test)]\nimpl A {\n    /// Get.\n    fn get(&self) -> u8 { self.x } // why\n\n    fn put(&mut self) {\n        fs::remove_file(\"x\").ok();\n    }\n}\n\n// loose\nconst C: u8 = 1;\nfn broken( {\n",
        ),
        (
            Language::Python,
            "# coding: utf-8\nfrom __future__ import annotations\nimport os\n\n@dec\n\n# c\ndef f(x):\n    return x  # why\n\nclass A:\n    \"\"\"Doc.\"\"\"\n\n    @property\n    def p(self):\n        def inner():\n            pass\n        return os.system(\"ls\")\n\n# loose\nX = 1\n",
        ),
        (
            Language::TypeScript,
            "\"use strict\";\nimport x from \"x\";\n\n/** A. */\n@dec()\nexport class A {\n  /** m */\n  @m()\n\n  // c\n  m(): void {}\n  f = () => 1;\n}\n\n// loose\nexport const g = (a: number) => a;\nnamespace N { export function h() {} }\n",
        ),
        (
            Language::Go,
            "//go:build linux\n\n// Package p.\npackage p\n\nimport \"os\"\n\n//go:noinline\n\n// F does.\nfunc F() {\n\tos.RemoveAll(\"/\")\n}\n\nvar x = 1 // why\n\n// loose\n\ntype T struct{ a int }\n",
        ),
    ];

    proptest::proptest! {
        /// Every non-whitespace AI byte belongs to exactly one review unit,
        /// and the unit at that byte is that unit.
        #[test]
        fn every_ai_byte_belongs_to_one_unit(
            which in 0..PROPERTY_SOURCES.len(),
            cuts in proptest::collection::vec(0.0f64..1.0, 0..8),
        ) {
            let (language, source) = PROPERTY_SOURCES[which];
            let text = Text::new(source.to_string()).unwrap();
            let tree = SyntaxTree::new(language, source).unwrap();
            let mut cuts: Vec<usize> = cuts.iter().map(|c| (c * source.len() as f64) as usize).collect();
            cuts.sort();
            cuts.dedup();
            let ai: Vec<Range<usize>> = cuts.chunks_exact(2).map(|c| c[0]..c[1]).collect();
            let units = review_units(language, tree.tree(), &text, &ai);
            let mut finder = Finder::new(language, tree.tree(), &text, &ai);
            finder.reuse = false;
            proptest::prop_assert_eq!(&finder.units_holding(&finder.ai), &units, "nested units queried again");
            finder.reuse = true;
            let total: usize = units.iter().map(|u| u.ai_bytes).sum();
            proptest::prop_assert_eq!(total, finder.nonws(&finder.ai), "{:#?}", units);
            for u in &units {
                proptest::prop_assert!(u.ai_bytes > 0, "{:?}", u);
                proptest::prop_assert!(u.ai_lines > 0 && u.ai_lines <= u.lines, "{:?}", u);
                proptest::prop_assert_eq!(&u.fingerprint, &fingerprint(language.name(), &u.kind, source[u.range.clone()].as_bytes()));
            }
            proptest::prop_assert!(units.windows(2).all(|w| w[0].range.start <= w[1].range.start));
            for r in &finder.ai {
                for offset in r.clone().filter(|&o| !is_ws(source.as_bytes()[o])).step_by(7) {
                    let here = unit_at(language, tree.tree(), &text, offset, &ai);
                    proptest::prop_assert!(
                        here.as_ref().is_some_and(|h| units.contains(h)),
                        "unit at {} is {:?}, not among {:#?}", offset, here, units
                    );
                }
            }
        }
    }
}
