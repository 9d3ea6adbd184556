//! A document as vouch holds it: text, line index, provenance of every byte,
//! and the syntax tree, kept in step through each batch of edits.
//!
//! Edits arrive as an ordered batch (one LSP `didChange`); each applies to the
//! text the previous one left. Positions are resolved in the batch's encoding
//! and clamped; the tree gets one `edit` per change and one re-parse per
//! batch. A change without a range replaces the text, and provenance is
//! carried over through a diff.

use std::collections::HashMap;
use std::ops::Range;

use crate::provenance::{Attribution, ProvenanceMap, RecentlyRemoved};
use crate::syntax::{Language, SyntaxTree, Unit, units};
use crate::text::{Clamp, Encoding, Position, Text, TooLarge};

/// One change of a batch: `range` in the document as the previous change
/// left it, or `None` to replace the whole text.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub range: Option<(Position, Position)>,
    pub text: &'a str,
}

/// What one change of a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Where the text it inserted is in the text the whole batch left: the
    /// changes after it in the batch may have moved it or replaced part of
    /// it; this spans from the first to the last byte left of it (empty if
    /// none is left). For a change that replaces the
    /// whole text, the largest piece the diff found inserted.
    pub inserted: Range<usize>,
    /// How many bytes it removed.
    pub removed: usize,
    /// The positions of the change that had to be clamped.
    pub clamps: Vec<Clamp>,
    /// Whether the inserted text took back the origin of AI text removed
    /// earlier (a cut and paste, a move, an undo).
    pub recalled: bool,
    /// Whether the inserted text equals text removed earlier in the session
    /// (an undo, a paste back): such text is never suspected AI.
    pub restores_removed: bool,
    /// Whether the inserted text is mostly lines of the text it replaced,
    /// re-indented or moved (a formatter's change, sent whole, whose diff
    /// ran out of time and left one block): never suspected AI either.
    pub reshapes: bool,
}

/// When a document parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parsing {
    /// After each batch of edits, and the first time something needs the
    /// tree: a document that is never asked for its units (one with no AI
    /// text, say) is never parsed, and one that is has its tree kept up to
    /// date through edits.
    #[default]
    Eager,
    /// Only when something needs the tree (the units): edits only mark it,
    /// so a keystroke never waits for a parse. For the language server,
    /// which finds units after a quiet spell rather than per keystroke.
    OnDemand,
}

/// How long the diff of a text sent in place of the old one (whole, or
/// over several lines) may refine its hunks
/// ([`crate::provenance::diff_until`]): an editor waits on every change,
/// and two dissimilar texts of 50 KB would take seconds.
const WHOLE_TEXT_DIFF: std::time::Duration = std::time::Duration::from_millis(20);

/// Whether a ranged change replaces text over several lines with other
/// text (neither side empty): carried over through a diff
/// ([`Document::apply`]).
pub fn is_multiline_replacement(old: &str, new: &str) -> bool {
    !old.is_empty() && !new.is_empty() && (old.contains('\n') || new.contains('\n'))
}

/// `pieces` of `text` (sorted, apart) joined where at most two line breaks
/// of other text stand between them.
fn blocks(text: &str, pieces: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for piece in pieces {
        match out.last_mut() {
            Some(last) if text[last.end..piece.start].matches('\n').count() <= 2 => last.end = piece.end,
            _ => out.push(piece),
        }
    }
    out
}

/// What [`Document::units_changed_at`] found for other places: the units
/// beside each set of AI runs, and (once first needed) where the whole
/// file's units of each fingerprint are.
#[derive(Default)]
struct ChangedMemo {
    beside: HashMap<Vec<Range<usize>>, Vec<Unit>>,
    fingerprints: Option<HashMap<String, Vec<Range<usize>>>>,
}

/// What the differences of a diffed replacement remember of the text they
/// remove, for text typed again to take its origin back.
enum Hunks<'a> {
    /// One memory, the document's (a whole text: text moved within it
    /// keeps its origin).
    Together(&'a mut RecentlyRemoved),
    /// Each difference its own, as a lone edit has; text put back that
    /// the document removed before (a line cut, then put: Neovim sends
    /// the put as one change over the line break before it) is recalled
    /// from the document's.
    Apart(&'a RecentlyRemoved),
}

/// A document's text, provenance and syntax.
#[derive(Debug)]
pub struct Document {
    language: Language,
    text: Text,
    provenance: ProvenanceMap,
    syntax: Option<SyntaxTree>,
    parsing: Parsing,
    /// How to take back each byte replacement the last batch made to the
    /// text, in order: kept until the next batch, so that the text as it
    /// was before can be had back if applying the batch stopped half way
    /// (a panic the language server caught).
    undo: Vec<Undo>,
    /// Tests of that: panic in the replacement of a batch numbered so
    /// (from 1), before the text changes or (if true) after.
    #[cfg(test)]
    panic_at: Option<(usize, bool)>,
}

/// Whether most of `piece`'s lines that hold anything but whitespace are,
/// trimmed, lines of `old` (trimmed too): text re-indented or moved about,
/// not text brought in. Linear in both texts.
fn mostly_lines_of(piece: &str, old: &str) -> bool {
    let piece: Vec<&str> = piece.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if piece.len() < 2 {
        return false;
    }
    let old: std::collections::HashSet<&str> = old.lines().map(str::trim).collect();
    2 * piece.iter().filter(|l| old.contains(*l)).count() > piece.len()
}

/// Whether `piece` brings (nearly) no word that `replaced` lacked: each
/// word (a run of letters, digits, `_` or characters past ASCII) of it
/// matched by an occurrence of its own in `replaced`, but for two at most:
/// what a formatter makes of the text it replaces (lines broken and
/// joined, quotes, semicolons and commas), not text brought in. A function
/// added brings names and literals of its own, however many of them the
/// file holds already. Linear in both texts.
fn brings_no_new_words(piece: &str, replaced: &str) -> bool {
    fn words(text: &str) -> impl Iterator<Item = &str> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_' || !c.is_ascii())).filter(|w| !w.is_empty())
    }
    let mut available: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for word in words(replaced) {
        *available.entry(word).or_default() += 1;
    }
    let mut new = 0usize;
    for word in words(piece) {
        match available.get_mut(word) {
            Some(n) if *n > 0 => *n -= 1,
            _ => new += 1,
        }
    }
    new <= 2
}

/// One byte replacement taken back: `inserted` bytes at `start` were
/// `removed`.
#[derive(Debug, Clone)]
pub struct Undo {
    pub start: usize,
    pub inserted: usize,
    pub removed: String,
}

impl Document {
    /// A document whose every byte is of unknown origin, parsed eagerly.
    pub fn new(language: Language, content: String) -> Result<Document, TooLarge> {
        Document::with_parsing(language, content, Parsing::Eager)
    }

    pub fn with_parsing(language: Language, content: String, parsing: Parsing) -> Result<Document, TooLarge> {
        let text = Text::new(content)?;
        // Parsed when first needed (`units`) or edited: most documents a
        // command reads hold no AI text and need no tree.
        let syntax = SyntaxTree::unparsed(language);
        let provenance = ProvenanceMap::new(text.len());
        Ok(Document {
            language,
            text,
            provenance,
            syntax,
            parsing,
            undo: Vec::new(),
            #[cfg(test)]
            panic_at: None,
        })
    }

    pub fn language(&self) -> Language {
        self.language
    }

    pub fn text(&self) -> &Text {
        &self.text
    }

    pub fn provenance(&self) -> &ProvenanceMap {
        &self.provenance
    }

    pub fn syntax(&self) -> Option<&tree_sitter::Tree> {
        self.syntax.as_ref().and_then(SyntaxTree::tree)
    }

    /// Apply a batch of changes in order; inserted text is attributed to
    /// `attr` unless it takes back the origin of removed AI text.
    ///
    /// Each change's range is relative to the text the change before it
    /// left; every range the result holds is relative to the text the whole
    /// batch left (see [`Applied::inserted`]).
    ///
    /// On [`TooLarge`] the changes before the failing one stay applied and
    /// the tree is re-parsed, so the document stays consistent.
    pub fn apply(
        &mut self,
        changes: &[Change<'_>],
        enc: Encoding,
        attr: &Attribution,
        removed: &mut RecentlyRemoved,
    ) -> Result<Vec<Applied>, TooLarge> {
        self.undo.clear();
        let mut applied = Vec::with_capacity(changes.len());
        // Every byte replacement the batch made, in order, and how many of
        // them each applied change had made by its end.
        // How many byte replacements each change had made by its end, when
        // later changes may move what it inserted.
        let several = changes.len() > 1;
        let mark = removed.mark();
        let mut done_after: Vec<usize> = Vec::new();
        let mut result = Ok(());
        for change in changes {
            let step = match change.range {
                Some(range) => self.apply_range(range, change.text, enc, attr, removed),
                None => self.apply_whole(change.text, attr, removed),
            };
            match step {
                Ok(a) => {
                    applied.push(a);
                    if several {
                        done_after.push(self.undo.len());
                    }
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // A change's range is in the text right after it; the changes after
        // it in the batch move it (issue 14: reading the final text with it
        // sliced the wrong bytes, or past the end).
        for (a, &done) in applied.iter_mut().zip(&done_after) {
            a.inserted = follow(a.inserted.clone(), &self.undo[done..]);
        }
        // Text inserted before the batch removed it elsewhere (a line moved
        // up: VS Code inserts it above, then deletes it below) takes back
        // its origin as if removed first.
        if several && removed.mark() > mark && !attr.is_ai() {
            self.recall_moved(&mut applied, attr, removed, mark);
        }
        // A whole text is applied as the edits its diff finds, like any
        // other: the tree is parsed again incrementally (a full-sync
        // client's keystroke in a large file does not parse it afresh).
        if let Some(syntax) = &mut self.syntax
            && self.parsing == Parsing::Eager
            && !applied.is_empty()
        {
            syntax.ensure(self.text.as_str());
        }
        result.map(|()| applied)
    }

    /// Give the batch's insertions that took no origin back the origin of
    /// AI text the batch removed after them, where they are that text.
    fn recall_moved(&mut self, applied: &mut [Applied], attr: &Attribution, removed: &RecentlyRemoved, mark: u64) {
        let default = self.provenance.intern(attr);
        for a in applied.iter_mut().filter(|a| !a.recalled && !a.inserted.is_empty()) {
            let inserted = a.inserted.clone();
            // Only text that is all the batch's default still.
            if self.provenance.spans_in(inserted.clone()).any(|s| s.attr != default) {
                continue;
            }
            let Some(spans) = removed.recall_since(mark, &self.text.as_str()[inserted.clone()]) else { continue };
            for (r, attr) in spans {
                let id = self.provenance.intern(&attr);
                self.provenance.set(inserted.start + r.start..inserted.start + r.end, id);
            }
            a.recalled = true;
        }
    }

    fn apply_range(
        &mut self,
        (start, end): (Position, Position),
        new: &str,
        enc: Encoding,
        attr: &Attribution,
        removed: &mut RecentlyRemoved,
    ) -> Result<Applied, TooLarge> {
        let s = self.text.offset(start, enc);
        let e = self.text.offset(end, enc);
        let clamps: Vec<Clamp> = s.clamp.into_iter().chain(e.clamp).collect();
        // A reversed range is read as its mirror: editors never send one,
        // and guessing beats refusing the whole batch.
        let range = s.offset.min(e.offset)..s.offset.max(e.offset);
        // A change that replaces text over several lines with other text
        // (Neovim's `:%s` or a filter sends one change from the first
        // difference to the last) is carried over as a whole text is: what
        // it did not change keeps its origin, instead of all of it taking
        // the change's. Each difference is an edit of its own, with its own
        // memory of what it removed.
        let old = &self.text.as_str()[range.clone()];
        // Its lines in another order (Neovim's `:sort`, VS Code's Sort
        // Lines): each keeps its origin.
        let reordered = (old.len() == new.len() && old.contains('\n'))
            .then(|| {
                let spans: Vec<(Range<usize>, Attribution)> = self
                    .provenance
                    .spans_in(range.clone())
                    .map(|s| {
                        let attr = self.provenance.attribution(s.attr).clone();
                        (s.range.start - range.start..s.range.end - range.start, attr)
                    })
                    .collect();
                crate::provenance::sorted_spans(old, &spans, new)
            })
            .flatten();
        let mut applied = if let Some(moved) = reordered {
            let mut a = self.replace_bytes(range.clone(), new, attr, removed)?;
            let at = range.start;
            for (r, attr) in moved {
                let id = self.provenance.intern(&attr);
                self.provenance.set(at + r.start..at + r.end, id);
            }
            a.recalled = true;
            a
        } else if is_multiline_replacement(old, new) {
            self.apply_diffed(range, new, attr, &mut Hunks::Apart(removed))?
        } else {
            self.replace_bytes(range, new, attr, removed)?
        };
        applied.clamps = clamps;
        Ok(applied)
    }

    /// The byte replacements the last batch ([`Document::apply`]) made, in
    /// order, each on the text the previous one left.
    pub fn last_batch_edits(&self) -> &[Undo] {
        &self.undo
    }

    /// Count lines for the positions [`Document::apply`] reads as
    /// `lines` says (see [`crate::text::PositionLines`]).
    pub fn set_position_lines(&mut self, lines: crate::text::PositionLines) {
        self.text.set_position_lines(lines);
    }

    /// Replace the whole text, carrying provenance over through a diff.
    fn apply_whole(
        &mut self,
        new: &str,
        attr: &Attribution,
        removed: &mut RecentlyRemoved,
    ) -> Result<Applied, TooLarge> {
        self.apply_diffed(0..self.text.len(), new, attr, &mut Hunks::Together(removed))
    }

    /// Replace `range` with `new`, carrying provenance over through a diff
    /// of the two: the differences are applied as ordinary edits, from the
    /// last to the first.
    fn apply_diffed(
        &mut self,
        range: Range<usize>,
        new: &str,
        attr: &Attribution,
        memory: &mut Hunks<'_>,
    ) -> Result<Applied, TooLarge> {
        let deadline = std::time::Instant::now() + WHOLE_TEXT_DIFF;
        let old = &self.text.as_str()[range.clone()];
        // A whole text is refined within lines (a formatter's fixes keep the
        // rest of their line's origin); a ranged change by whole lines (the
        // lines a `:%s` changed, or a pasted block, are the change's).
        // Lines edited where they stand (a `:%s`, Replace All: one change
        // over the lines) are each the line they were, whatever the
        // deadline would have left of a diff of them. A whole text is
        // refined within lines already, moved text recalled as it is.
        let in_place = match memory {
            Hunks::Apart(_) => crate::provenance::in_place_hunks(old, new),
            Hunks::Together(_) => None,
        };
        let edited_in_place = in_place.is_some();
        let hunks = match (in_place, &memory) {
            (Some(hunks), _) => hunks,
            (None, Hunks::Together(_)) => crate::provenance::diff_until(old, new, deadline),
            (None, Hunks::Apart(_)) => crate::provenance::line_diff_until(old, new, deadline),
        };
        // Several hunks are several edits (a formatter's fixes, a reload, a
        // `:%s`), not one block: the text between them was there before.
        // Report the largest piece inserted. A ranged change's pieces that
        // only a line or two of equal text parts (a blank line, a brace
        // that happened to match) are one block: a paste over a selection
        // is still the large insertion it was.
        let mut pieces: Vec<Range<usize>> = hunks.iter().map(|h| h.new.clone()).collect();
        if matches!(memory, Hunks::Apart(_)) {
            pieces = blocks(new, pieces);
        }
        let inserted = pieces.into_iter().max_by_key(|r| (r.len(), std::cmp::Reverse(r.start)));
        // Of a change of the whole document (a formatter's Format Document),
        // a piece that brings no word the old text of its hunks lacked is its
        // reshaping; over a selection, a chat's answer may reuse the
        // selection's words.
        let whole_document = range.start == 0 && range.end == self.text.len();
        let reshapes = edited_in_place
            || inserted.as_ref().is_some_and(|r| {
                let piece = &new[r.clone()];
                let replaced = || {
                    let within = hunks.iter().filter(|h| r.start <= h.new.start && h.new.end <= r.end);
                    let (start, end) = within.fold((usize::MAX, 0), |(s, e), h| (s.min(h.old.start), e.max(h.old.end)));
                    if start < end { &old[start..end] } else { "" }
                };
                mostly_lines_of(piece, old) || (whole_document && brings_no_new_words(piece, replaced()))
            });
        let base = range.start;
        let mut recalled = false;
        let mut restores_removed = false;
        let mut removed_bytes = 0;
        for hunk in hunks.iter().rev() {
            let old = base + hunk.old.start..base + hunk.old.end;
            let mut own = RecentlyRemoved::default();
            let removed = match memory {
                Hunks::Together(removed) => &mut **removed,
                Hunks::Apart(_) => &mut own,
            };
            // Where the hunk's text begins (what replace_bytes reports is
            // the part of it that differs: the spans recalled are of the
            // whole of it).
            let at = old.start;
            let mut a = self.replace_bytes(old, &new[hunk.new.clone()], attr, removed)?;
            if let Hunks::Apart(earlier) = memory
                && !a.recalled
                && !attr.is_ai()
                && let Some(spans) = earlier.recall(&new[hunk.new.clone()])
            {
                for (r, attr) in spans {
                    let id = self.provenance.intern(&attr);
                    self.provenance.set(at + r.start..at + r.end, id);
                }
                a.recalled = true;
            }
            recalled |= a.recalled;
            restores_removed |= a.restores_removed;
            removed_bytes += a.removed;
        }
        debug_assert_eq!(&self.text.as_str()[base..base + new.len()], new);
        let inserted = inserted.map_or(base..base, |r| base + r.start..base + r.end);
        Ok(Applied { inserted, removed: removed_bytes, clamps: Vec::new(), recalled, restores_removed, reshapes })
    }

    /// Replace `range` (on character boundaries) with `new`.
    fn replace_bytes(
        &mut self,
        range: Range<usize>,
        new: &str,
        attr: &Attribution,
        removed: &mut RecentlyRemoved,
    ) -> Result<Applied, TooLarge> {
        // Editors often send more than changed (Neovim re-sends the rest of
        // the line after a paste): text removed and inserted again unchanged
        // keeps its origin, and only the real difference counts as new.
        let (range, new) = minimize(&self.text.as_str()[range.clone()], range, new);
        let old_text = &self.text.as_str()[range.clone()];
        let restores_removed = removed.was_removed(new);
        let kept = removed.mark();
        if !range.is_empty() {
            let spans: Vec<_> = self
                .provenance
                .spans_in(range.clone())
                .map(|s| {
                    (
                        s.range.start - range.start..s.range.end - range.start,
                        self.provenance.attribution(s.attr).clone(),
                    )
                })
                .collect();
            removed.remember(old_text, spans);
        }
        let start_point = self.text.point(range.start);
        let old_end_point = self.text.point(range.end);
        // The undo entry is written before the text changes, and
        // `String::replace_range` changes it whole or not at all: it panics
        // only on a range off character boundaries, which is checked first.
        // So whatever panics later, the undo entries describe the text.
        let content = self.text.as_str();
        assert!(content.is_char_boundary(range.start) && content.is_char_boundary(range.end));
        #[cfg(test)]
        if self.panic_at == Some((self.undo.len() + 1, false)) {
            panic!("a test's panic half way through a batch");
        }
        self.undo.push(Undo { start: range.start, inserted: new.len(), removed: old_text.to_string() });
        if let Err(e) = self.text.replace(range.clone(), new) {
            self.undo.pop();
            return Err(e);
        }
        #[cfg(test)]
        if self.panic_at == Some((self.undo.len(), true)) {
            panic!("a test's panic half way through a batch");
        }
        let id = self.provenance.intern(attr);
        self.provenance.replace(range.clone(), new.len(), id);
        let inserted = range.start..range.start + new.len();
        if let Some(syntax) = &mut self.syntax {
            let new_end_point = self.text.point(inserted.end);
            syntax.edit(&tree_sitter::InputEdit {
                start_byte: range.start,
                old_end_byte: range.end,
                new_end_byte: inserted.end,
                start_position: point(start_point),
                old_end_position: point(old_end_point),
                new_end_position: point(new_end_point),
            });
        }
        let mut recalled = false;
        if !attr.is_ai()
            && let Some(spans) = removed.recall_before(kept, new)
        {
            for (r, a) in spans {
                let id = self.provenance.intern(&a);
                self.provenance.set(inserted.start + r.start..inserted.start + r.end, id);
            }
            recalled = true;
        }
        Ok(Applied { inserted, removed: range.len(), clamps: Vec::new(), recalled, restores_removed, reshapes: false })
    }

    /// The text as it was before the last batch ([`Document::apply`])
    /// began, however far the batch got: what a document is rebuilt from
    /// when a panic interrupted a batch. Reads only the text's bytes, not
    /// its line index, provenance or tree.
    pub fn text_before_last_batch(&self) -> String {
        let mut text = self.text.as_str().to_string();
        for undo in self.undo.iter().rev() {
            text.replace_range(undo.start..undo.start + undo.inserted, &undo.removed);
        }
        text
    }

    /// Start a batch that is not applied yet: from now on the text before
    /// it is the text as it is.
    pub fn begin_batch(&mut self) {
        self.undo.clear();
    }

    /// Attribute `range` (byte offsets, clamped into the text) to `attr`:
    /// an `aiEdit` report, a person's mark, a record from the journal.
    pub fn set_attribution(&mut self, range: Range<usize>, attr: &Attribution) {
        let end = self.text.floor_char_boundary(range.end);
        let start = self.text.floor_char_boundary(range.start.min(end));
        let id = self.provenance.intern(attr);
        self.provenance.set(start..end, id);
    }

    /// Replace the provenance wholesale with attributed ranges (from the
    /// store's view of this file); the rest is unknown.
    pub fn reset_provenance(&mut self, ranges: &[(Range<usize>, Attribution)]) {
        self.provenance = ProvenanceMap::from_ranges(self.text.len(), ranges);
    }

    /// Free the syntax tree's memory; it is parsed again when next needed.
    pub fn release_tree(&mut self) {
        if let Some(syntax) = &mut self.syntax {
            syntax.release();
        }
    }

    /// Take `tree`, parsed from this document's very text elsewhere (off the
    /// language server's state thread: [`SyntaxTree::parse_apart`]), when
    /// the document holds none.
    pub fn adopt_tree(&mut self, tree: tree_sitter::Tree) {
        if let Some(syntax) = &mut self.syntax {
            syntax.adopt(tree);
        }
    }

    /// Whether the document holds a tree now (up to date or not).
    pub fn has_tree(&self) -> bool {
        self.syntax.as_ref().is_some_and(SyntaxTree::holds_tree)
    }

    fn ensure_tree(&mut self) {
        if let Some(syntax) = &mut self.syntax {
            syntax.ensure(self.text.as_str());
        }
    }

    /// The review units holding AI text.
    pub fn units(&mut self) -> Vec<Unit> {
        let ai = self.provenance.ai_ranges();
        if ai.is_empty() {
            return Vec::new();
        }
        self.ensure_tree();
        units::review_units(self.language, self.syntax(), &self.text, &ai)
    }

    /// The review units holding the text of `ai` (byte ranges of this
    /// text), whatever the document's own provenance says: for a judgement
    /// that counts other AI text than the one shown (the range's lineage).
    pub fn units_holding(&mut self, ai: &[Range<usize>]) -> Vec<Unit> {
        if ai.is_empty() {
            return Vec::new();
        }
        self.ensure_tree();
        units::review_units(self.language, self.syntax(), &self.text, ai)
    }

    /// The unit that lines removed at byte `offset` changed (see
    /// [`units::unit_around`]), its AI fields counting the document's AI
    /// text.
    pub fn unit_around(&mut self, offset: usize) -> Unit {
        let ai = self.provenance.ai_ranges();
        self.ensure_tree();
        units::unit_around(self.language, self.syntax(), &self.text, offset, &ai)
    }

    /// The unit an AI's removal of lines changed, for each place `(offset,
    /// replaced)`: `offset` the start of the line they stood before. That
    /// is [`Document::unit_around`] the place, unless the AI put `replaced`
    /// lines in their place and the unit those lines are part of reaches
    /// past them (the first line of a function rewritten). A unit made of
    /// nothing but those lines inside another (a helper put where a check
    /// was) is not what changed: the unit around the place is. At the top
    /// level, such a unit is the one rewritten (a function replaced whole),
    /// not the whole file, unless the file holds a twin of it (its text, or
    /// its fingerprint): a copy of a unit approved elsewhere put where a
    /// guard was must not take the guard's removal under that approval
    /// (rt26f S3).
    ///
    /// The document is read once for all places (a buffer with thousands of
    /// removals is judged in one pass over its units, not one per removal).
    pub fn units_changed_at(&mut self, places: &[(usize, u32)]) -> Vec<Unit> {
        let ai = self.provenance.ai_ranges();
        self.ensure_tree();
        let mut unique = places.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let offsets: Vec<usize> = unique.iter().map(|&(offset, _)| offset).collect();
        let around = units::units_around(self.language, self.syntax(), &self.text, &offsets, &ai);
        let mut memo = ChangedMemo::default();
        let found: HashMap<(usize, u32), Unit> = unique
            .into_iter()
            .zip(around)
            .map(|((offset, replaced), around)| {
                ((offset, replaced), self.unit_changed_once(offset, replaced, around, &ai, &mut memo))
            })
            .collect();
        places.iter().map(|place| found[place].clone()).collect()
    }

    /// [`Document::units_touching`] the byte at `at`, given the document's
    /// AI runs `ai`, kept in `memo` by those runs (thousands of places in one
    /// long AI run read its units once).
    fn units_beside(&mut self, at: usize, ai: &[Range<usize>], memo: &mut ChangedMemo) -> Vec<Unit> {
        let runs = self.ai_runs_touching(at..at + 1, ai);
        if runs.is_empty() {
            return Vec::new();
        }
        if let Some(units) = memo.beside.get(&runs) {
            return units.clone();
        }
        let units = units::review_units(self.language, self.syntax(), &self.text, &runs);
        memo.beside.insert(runs, units.clone());
        units
    }

    /// [`Document::units_changed_at`] of one place, given the unit around
    /// it ([`units::unit_around`]), the document's AI ranges and what other
    /// places found.
    fn unit_changed_once(
        &mut self,
        offset: usize,
        replaced: u32,
        around: Unit,
        ai: &[Range<usize>],
        memo: &mut ChangedMemo,
    ) -> Unit {
        let text = self.text.as_str();
        let offset = offset.min(text.len());
        let end = offset + text[offset..].split_inclusive('\n').take(replaced as usize).map(str::len).sum::<usize>();
        let put = offset..end;
        let Some(first) = put.clone().find(|&i| !text.as_bytes()[i].is_ascii_whitespace()) else { return around };
        let Some(unit) = self
            .units_beside(first, ai, memo)
            .into_iter()
            .filter(|u| u.range.contains(&first))
            .min_by_key(|u| u.range.len())
        else {
            return around;
        };
        let text = self.text.as_str();
        let has_text = |r: Range<usize>| text.get(r).is_some_and(|t| !t.trim().is_empty());
        let (start, end) = (unit.range.start, unit.range.end);
        if has_text(start..put.start.max(start)) || has_text(put.end.min(end)..end) {
            return unit;
        }
        if around.kind != units::WHOLE_FILE || unit.kind == units::WHOLE_FILE {
            return around;
        }
        // Its text elsewhere in the file (lines of a file with no grammar,
        // which form no unit of their own to compare), or a unit of its
        // fingerprint.
        let text = self.text.as_str();
        let own = text[unit.range.clone()].trim();
        let copied =
            !own.is_empty() && (text[..unit.range.start].contains(own) || text[unit.range.end..].contains(own));
        let twin = copied || {
            let all = memo.fingerprints.get_or_insert_with(|| {
                let mut all: HashMap<String, Vec<Range<usize>>> = HashMap::new();
                let whole = 0..self.text.len();
                for u in units::units_in(self.language, self.syntax(), &self.text, whole, ai) {
                    all.entry(u.fingerprint).or_default().push(u.range);
                }
                all
            });
            all.get(&unit.fingerprint).is_some_and(|ranges| ranges.iter().any(|r| *r != unit.range))
        };
        if twin { around } else { unit }
    }

    /// The review units holding AI text that overlap `range`: the cheap way
    /// to refresh what one edit touched.
    pub fn units_touching(&mut self, range: Range<usize>) -> Vec<Unit> {
        let whole = self.ai_runs_touching(range, &self.provenance.ai_ranges());
        if whole.is_empty() {
            return Vec::new();
        }
        self.ensure_tree();
        units::review_units(self.language, self.syntax(), &self.text, &whole)
    }

    /// The whole AI runs of `ai` (the document's, from
    /// [`ProvenanceMap::ai_ranges`]: sorted, apart) that the AI text in or
    /// beside `range` belongs to: the unit around that text may hold more
    /// AI text outside the range.
    fn ai_runs_touching(&self, range: Range<usize>, ai: &[Range<usize>]) -> Vec<Range<usize>> {
        let mut runs: Vec<Range<usize>> = Vec::new();
        let beside = range.start.saturating_sub(1)..range.end + 1;
        for span in self.provenance.spans_in(beside).filter(|s| self.provenance.attribution(s.attr).is_ai()) {
            let first = ai.partition_point(|r| r.end <= span.range.start);
            for run in ai[first..].iter().take_while(|r| r.start < span.range.end) {
                if !runs.contains(run) {
                    runs.push(run.clone());
                }
            }
        }
        runs
    }
}

/// An undo entry read forward, as the replacement it takes back.
impl Undo {
    /// What is left of the bytes `piece` of the text before this
    /// replacement, in the text after it: none, one or two pieces.
    fn cut(&self, piece: Range<usize>) -> impl Iterator<Item = Range<usize>> {
        let end_of_removed = self.start + self.removed.len();
        let before = piece.start..piece.end.min(self.start);
        let after = piece.start.max(end_of_removed)..piece.end;
        let after = self.shift(after.start)..self.shift(after.end.max(after.start));
        [before, after].into_iter().filter(|r| !r.is_empty())
    }

    /// Where the offset `at` of the text before this replacement is after
    /// it.
    fn point(&self, at: usize) -> usize {
        if at <= self.start {
            at
        } else if at >= self.start + self.removed.len() {
            self.shift(at)
        } else {
            self.start + self.inserted
        }
    }

    /// An offset at or after the replaced bytes, moved by the replacement.
    fn shift(&self, at: usize) -> usize {
        at - self.removed.len() + self.inserted
    }
}

/// Where the bytes `range` are after the replacements `steps`: the span
/// from the first to the last byte of it that no replacement took, or an
/// empty range where it was if no byte is left.
pub fn follow(range: Range<usize>, steps: &[Undo]) -> Range<usize> {
    let mut at = range.start;
    let mut pieces: Vec<Range<usize>> = if range.is_empty() { Vec::new() } else { vec![range] };
    for step in steps {
        at = step.point(at);
        let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else { continue };
        // Most steps of a large batch (a format's edit per line) are
        // wholly after or wholly before the pieces: nothing to cut.
        if last.end <= step.start {
            continue;
        }
        if first.start >= step.start + step.removed.len() {
            for p in &mut pieces {
                *p = step.shift(p.start)..step.shift(p.end);
            }
            continue;
        }
        pieces = pieces.into_iter().flat_map(|p| step.cut(p)).collect();
    }
    match (pieces.first(), pieces.last()) {
        (Some(first), Some(last)) => first.start..last.end,
        _ => at..at,
    }
}

/// The smallest change with the effect of replacing `old` (the bytes
/// `range`) with `new`: the common prefix and suffix dropped, on character
/// boundaries.
fn minimize<'a>(old: &str, range: Range<usize>, new: &'a str) -> (Range<usize>, &'a str) {
    let prefix: usize = old.chars().zip(new.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let suffix: usize = old[prefix..]
        .chars()
        .rev()
        .zip(new[prefix..].chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    (range.start + prefix..range.end - suffix, &new[prefix..new.len() - suffix])
}

fn point((row, column): (usize, usize)) -> tree_sitter::Point {
    tree_sitter::Point { row, column }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{AiSource, Evidence};

    fn ai(tool: &str) -> Attribution {
        Attribution::ai(AiSource { tool: tool.into(), model: None, session: None, kind: None }, Evidence::Editor, None)
    }

    fn at(line: u32, column: u32) -> Position {
        Position::new(line, column)
    }

    fn change(start: Position, end: Position, text: &str) -> Change<'_> {
        Change { range: Some((start, end)), text }
    }

    fn ai_text(doc: &Document) -> Vec<&str> {
        doc.provenance().ai_ranges().into_iter().map(|r| &doc.text().as_str()[r]).collect()
    }

    #[test]
    fn a_tree_parsed_apart_serves_as_the_documents_own() {
        let text = "fn a() -> u32 {\n    1\n}\n\nfn b() -> u32 {\n    2\n}\n";
        let mut own = Document::with_parsing(Language::Rust, text.into(), Parsing::OnDemand).unwrap();
        let mut adopted = Document::with_parsing(Language::Rust, text.into(), Parsing::OnDemand).unwrap();
        assert!(!adopted.has_tree());
        adopted.adopt_tree(SyntaxTree::parse_apart(Language::Rust, text).unwrap());
        assert!(adopted.has_tree());
        for doc in [&mut own, &mut adopted] {
            doc.set_attribution(20..22, &ai("c"));
        }
        assert_eq!(adopted.units(), own.units());
        // A document that holds a tree keeps its own.
        let other = SyntaxTree::parse_apart(Language::Rust, "struct S;\n").unwrap();
        adopted.adopt_tree(other);
        assert_eq!(adopted.syntax().unwrap().root_node().end_byte(), text.len());
    }

    #[test]
    fn changes_of_a_batch_apply_in_order() {
        let mut doc = Document::new(Language::Rust, "fn a() {}\n".into()).unwrap();
        let mut removed = RecentlyRemoved::default();
        let batch = [change(at(0, 3), at(0, 4), "bc"), change(at(0, 5), at(0, 5), "d")];
        doc.apply(&batch, Encoding::Utf16, &Attribution::typed(), &mut removed).unwrap();
        assert_eq!(doc.text().as_str(), "fn bcd() {}\n");
        assert!(!doc.syntax().unwrap().root_node().has_error());
    }

    #[test]
    fn cut_and_paste_keeps_ai_origin() {
        let src = "fn keep() {}\nfn generated() { 1 }\n";
        let mut doc = Document::new(Language::Rust, src.into()).unwrap();
        let mut removed = RecentlyRemoved::default();
        doc.set_attribution(13..33, &ai("t"));
        // Cut the AI function, then paste it above.
        doc.apply(&[change(at(1, 0), at(2, 0), "")], Encoding::Utf16, &Attribution::typed(), &mut removed).unwrap();
        assert!(ai_text(&doc).is_empty());
        let applied = doc
            .apply(
                &[change(at(0, 0), at(0, 0), "fn generated() { 1 }\n")],
                Encoding::Utf16,
                &Attribution::typed(),
                &mut removed,
            )
            .unwrap();
        assert!(applied[0].recalled && applied[0].restores_removed);
        assert_eq!(ai_text(&doc), vec!["fn generated() { 1 }"]);
    }

    /// Red team (rt30b A1): text recalled into a hunk of a ranged
    /// replacement was placed from where the hunk's minimised insertion
    /// began, not the hunk's: when the old text shared a beginning with it,
    /// the AI span slid past its text, off character boundaries in
    /// multi-byte text, and a later look at it panicked.
    #[test]
    fn text_recalled_into_a_ranged_replacement_stays_on_its_own_bytes() {
        let src = "fn keep() {}\nfn 生成() { 1 }\nfn 生\nlet y = 2;\n";
        let mut doc = Document::new(Language::Rust, src.into()).unwrap();
        let mut removed = RecentlyRemoved::default();
        let generated = "fn 生成() { 1 }\n";
        doc.set_attribution(13..13 + generated.len(), &ai("t"));
        // Cut the AI function, then type it back over a line that begins
        // as it does, in one change over two lines.
        doc.apply(&[change(at(1, 0), at(2, 0), "")], Encoding::Utf16, &Attribution::typed(), &mut removed).unwrap();
        let batch = [change(at(1, 0), at(3, 0), "fn 生成() { 1 }\nlet y = 2;\n")];
        doc.apply(&batch, Encoding::Utf16, &Attribution::typed(), &mut removed).unwrap();
        assert_eq!(doc.text().as_str(), "fn keep() {}\nfn 生成() { 1 }\nlet y = 2;\n");
        let text = doc.text().as_str();
        for r in doc.provenance().ai_ranges() {
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end), "{r:?}");
        }
        assert_eq!(ai_text(&doc), vec!["fn 生成() { 1 }\n"]);
    }

    #[test]
    fn whole_replacement_reanchors_by_diff() {
        let mut doc = Document::new(Language::Rust, "fn a() {}\nfn b() {}\n".into()).unwrap();
        let mut removed = RecentlyRemoved::default();
        doc.set_attribution(10..19, &ai("t"));
        let whole = Change { range: None, text: "// hi\nfn a() {}\nfn b() {}\n" };
        doc.apply(&[whole], Encoding::Utf16, &Attribution::typed(), &mut removed).unwrap();
        assert_eq!(ai_text(&doc), vec!["fn b() {}"]);
        // Typing inside the AI function through a full replacement is human.
        let whole = Change { range: None, text: "// hi\nfn a() {}\nfn b() {x}\n" };
        doc.apply(&[whole], Encoding::Utf16, &Attribution::typed(), &mut removed).unwrap();
        assert_eq!(ai_text(&doc), vec!["fn b() {", "}"]);
    }

    #[test]
    fn text_sent_again_unchanged_keeps_its_origin() {
        // Neovim pastes mid-line by replacing the rest of the line with the
        // pasted text followed by that rest.
        let mut doc = Document::new(Language::Rust, "let v = compute();\n".into()).unwrap();
        let mut removed = RecentlyRemoved::default();
        doc.set_attribution(0..18, &ai("t"));
        let applied = doc
            .apply(
                &[change(at(0, 4), at(0, 18), "mut v = compute();")],
                Encoding::Utf8,
                &Attribution::typed(),
                &mut removed,
            )
            .unwrap();
        assert_eq!(doc.text().as_str(), "let mut v = compute();\n");
        assert_eq!(applied[0].inserted, 4..8);
        assert_eq!(ai_text(&doc), vec!["let ", "v = compute();"]);
    }

    #[test]
    fn the_text_before_a_batch_survives_a_panic_half_way() {
        let original = "fn a() {}\n    \n}\n";
        let batch = [
            change(at(1, 4), at(1, 4), "\n    "),
            change(at(1, 0), at(1, 4), ""),
            change(at(0, 3), at(0, 4), "bé"),
            // A whole text that differs in two places: two replacements.
            Change { range: None, text: "fn x() {}\n\n    \n}\n!" },
        ];
        for at in (1..=5).flat_map(|step| [(step, false), (step, true)]) {
            let mut doc = Document::new(Language::Rust, original.into()).unwrap();
            doc.panic_at = Some(at);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                doc.apply(&batch, Encoding::Utf16, &Attribution::typed(), &mut RecentlyRemoved::default())
            }));
            assert!(result.is_err(), "no panic at {at:?}");
            assert_eq!(doc.text_before_last_batch(), original, "panic at {at:?}");
        }
        // Applied whole, and after the next batch begins.
        let mut doc = Document::new(Language::Rust, original.into()).unwrap();
        doc.apply(&batch, Encoding::Utf16, &Attribution::typed(), &mut RecentlyRemoved::default()).unwrap();
        assert_eq!(doc.text().as_str(), "fn x() {}\n\n    \n}\n!");
        assert_eq!(doc.text_before_last_batch(), original);
        doc.begin_batch();
        assert_eq!(doc.text_before_last_batch(), "fn x() {}\n\n    \n}\n!");
    }

    #[test]
    fn clamped_positions_are_reported() {
        let mut doc = Document::new(Language::Text, "a😀b\n".into()).unwrap();
        let mut removed = RecentlyRemoved::default();
        let applied = doc
            .apply(&[change(at(0, 2), at(7, 0), "!")], Encoding::Utf16, &Attribution::typed(), &mut removed)
            .unwrap();
        assert_eq!(applied[0].clamps, vec![Clamp::InsideCharacter, Clamp::LineBeyondEnd]);
        assert_eq!(doc.text().as_str(), "a!");
    }
}

#[cfg(test)]
mod properties;
