//! Property tests: random edit sequences against a naive reference model.
//!
//! The model keeps the text as a `String` and one origin tag per byte, and
//! resolves positions by walking characters one at a time; it shares no code
//! with the line index, the position conversion or the provenance runs.

use proptest::prelude::*;

use super::*;
use crate::provenance::{AiSource, Evidence, Origin};

/// Pieces of text that stress encodings and line breaks.
const PIECES: &[&str] = &["a", "b", " ", "é", "中", "😀", "\n", "\r\n", "\r", "fn", "{", "}"];

#[derive(Debug, Clone)]
struct Edit {
    start: (u32, u32),
    end: (u32, u32),
    text: String,
    tag: u8,
    enc: Encoding,
}

fn attribution(tag: u8) -> Attribution {
    match tag {
        0 => Attribution::typed(),
        t => Attribution::ai(
            AiSource { tool: format!("tool{t}"), model: None, session: None, kind: None },
            Evidence::Editor,
            None,
        ),
    }
}

fn tag_of(attr: &Attribution) -> u8 {
    match &attr.origin {
        Origin::Unknown => 9,
        Origin::Human => 0,
        Origin::Ai(src) => src.tool[4..].parse().unwrap(),
    }
}

fn text_strategy(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..max).prop_map(|p| p.concat())
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let enc = prop::sample::select(vec![Encoding::Utf8, Encoding::Utf16, Encoding::Utf32]);
    ((0u32..8, 0u32..10), (0u32..8, 0u32..10), text_strategy(6), 0u8..3, enc)
        .prop_map(|(start, end, text, tag, enc)| Edit { start, end, text, tag, enc })
}

/// Lines as (start, end of content) byte offsets, found one character at a
/// time.
fn model_lines(text: &str) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' || c == '\r' {
            let mut next = i + 1;
            if c == '\r' && chars.peek().map(|&(_, c)| c) == Some('\n') {
                chars.next();
                next += 1;
            }
            lines.push((start, i));
            start = next;
        }
    }
    lines.push((start, text.len()));
    lines
}

fn model_offset(text: &str, (line, column): (u32, u32), enc: Encoding) -> usize {
    let lines = model_lines(text);
    let Some(&(start, end)) = lines.get(line as usize) else { return text.len() };
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        let len = match enc {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf32 => 1,
        };
        if units == column as usize || units + len > column as usize {
            return start + i;
        }
        units += len;
    }
    end
}

struct Model {
    text: String,
    tags: Vec<u8>,
}

impl Model {
    fn apply(&mut self, e: &Edit) {
        let a = model_offset(&self.text, e.start, e.enc);
        let b = model_offset(&self.text, e.end, e.enc);
        let (a, b) = (a.min(b), a.max(b));
        // A replacement over several lines is each of its differences by
        // lines (or, of lines edited where they stand, by characters), the
        // last first (the diff itself is not what this model checks).
        if crate::document::is_multiline_replacement(&self.text[a..b], &e.text) {
            let far = std::time::Instant::now() + std::time::Duration::from_secs(60);
            let hunks = crate::provenance::in_place_hunks(&self.text[a..b], &e.text)
                .unwrap_or_else(|| crate::provenance::line_diff_until(&self.text[a..b], &e.text, far));
            for h in hunks.iter().rev() {
                self.replace(a + h.old.start..a + h.old.end, &e.text[h.new.clone()], e.tag);
            }
        } else {
            self.replace(a..b, &e.text, e.tag);
        }
    }

    /// One edit: bytes `a..b` become `text`, typed with `tag`.
    fn replace(&mut self, range: std::ops::Range<usize>, text: &str, tag: u8) {
        let (a, b) = (range.start, range.end);
        let e = &Edit { start: (0, 0), end: (0, 0), text: text.to_string(), tag, enc: Encoding::Utf8 };
        // Only the real difference is an edit: drop the common prefix and
        // suffix, one character at a time.
        let old: Vec<char> = self.text[a..b].chars().collect();
        let ins: Vec<char> = e.text.chars().collect();
        let mut p = 0;
        while p < old.len() && p < ins.len() && old[p] == ins[p] {
            p += 1;
        }
        let mut q = 0;
        while q < old.len() - p && q < ins.len() - p && old[old.len() - 1 - q] == ins[ins.len() - 1 - q] {
            q += 1;
        }
        let bytes = |cs: &[char]| cs.iter().map(|c| c.len_utf8()).sum::<usize>();
        let (a, b) = (a + bytes(&old[..p]), b - bytes(&old[old.len() - q..]));
        let text: String = ins[p..ins.len() - q].iter().collect();
        let e = &Edit { text, ..e.clone() };
        let removed_text = self.text[a..b].to_string();
        let removed_tags: Vec<u8> = self.tags[a..b].to_vec();
        self.text.replace_range(a..b, &e.text);
        self.tags.splice(a..b, std::iter::repeat_n(e.tag, e.text.len()));
        // Text typed over AI text equal to it takes the AI origin back: all
        // of it when it equals the removed text, or one removed AI run.
        let is_ai = |t: u8| t != 0 && t != 9;
        if e.tag == 0 && e.text.trim().len() >= 3 && removed_tags.iter().any(|&t| is_ai(t)) {
            if e.text == removed_text {
                for (i, &t) in removed_tags.iter().enumerate().filter(|(_, t)| is_ai(**t)) {
                    self.tags[a + i] = t;
                }
            } else {
                let mut start = 0;
                for run in removed_tags.chunk_by(|x, y| x == y) {
                    if is_ai(run[0]) && removed_text[start..start + run.len()] == e.text {
                        self.tags[a..a + e.text.len()].fill(run[0]);
                        break;
                    }
                    start += run.len();
                }
            }
        }
    }
}

fn doc_tags(doc: &Document) -> Vec<u8> {
    let map = doc.provenance();
    let mut tags = Vec::new();
    for span in map.spans() {
        tags.extend(std::iter::repeat_n(tag_of(map.attribution(span.attr)), span.range.len()));
    }
    tags
}

fn runs(tags: &[u8]) -> usize {
    tags.chunk_by(|a, b| a == b).count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn edits_match_the_model(initial in text_strategy(30), edits in prop::collection::vec(edit_strategy(), 1..25)) {
        let mut doc = Document::new(Language::Rust, initial.clone()).unwrap();
        let mut model = Model { tags: vec![9; initial.len()], text: initial };
        for e in &edits {
            let change = Change {
                range: Some((Position::new(e.start.0, e.start.1), Position::new(e.end.0, e.end.1))),
                text: &e.text,
            };
            // A fresh memory of removed text: recall is tested on its own.
            let mut removed = RecentlyRemoved::default();
            doc.apply(&[change], e.enc, &attribution(e.tag), &mut removed).unwrap();
            model.apply(e);
            prop_assert_eq!(doc.text().as_str(), model.text.as_str());
            prop_assert_eq!(doc.text(), &Text::new(model.text.clone()).unwrap(), "line index");
            let tags = doc_tags(&doc);
            prop_assert_eq!(&tags, &model.tags);
            prop_assert_eq!(doc.provenance().spans().count(), runs(&tags), "runs are merged");
        }
        // The incrementally re-parsed tree equals a fresh parse.
        let fresh = SyntaxTree::new(Language::Rust, doc.text().as_str()).unwrap();
        prop_assert_eq!(doc.syntax().unwrap().root_node().to_sexp(), fresh.tree().unwrap().root_node().to_sexp());
    }

    /// A whole text in place of the old one (a full-sync client's every
    /// keystroke) is applied as the edits its diff finds: the tree, parsed
    /// again from the old one, is the tree of the new text.
    #[test]
    fn whole_texts_keep_the_tree_right(initial in text_strategy(30), edits in prop::collection::vec(edit_strategy(), 1..12)) {
        let mut doc = Document::new(Language::Rust, initial.clone()).unwrap();
        let mut model = Model { tags: vec![9; initial.len()], text: initial };
        for e in &edits {
            model.apply(e);
            let change = Change { range: None, text: &model.text };
            doc.apply(&[change], e.enc, &attribution(e.tag), &mut RecentlyRemoved::default()).unwrap();
            prop_assert_eq!(doc.text().as_str(), model.text.as_str());
            let fresh = SyntaxTree::new(Language::Rust, doc.text().as_str()).unwrap();
            prop_assert_eq!(doc.syntax().unwrap().root_node().to_sexp(), fresh.tree().unwrap().root_node().to_sexp());
        }
    }

    #[test]
    fn a_batch_equals_its_changes_one_by_one(initial in text_strategy(30), edits in prop::collection::vec(edit_strategy(), 1..10)) {
        let enc = Encoding::Utf16;
        let mut batched = Document::new(Language::Rust, initial.clone()).unwrap();
        let mut single = Document::new(Language::Rust, initial).unwrap();
        let changes: Vec<Change> = edits
            .iter()
            .map(|e| Change { range: Some((Position::new(e.start.0, e.start.1), Position::new(e.end.0, e.end.1))), text: &e.text })
            .collect();
        let attr = attribution(1);
        batched.apply(&changes, enc, &attr, &mut RecentlyRemoved::default()).unwrap();
        for c in &changes {
            single.apply(std::slice::from_ref(c), enc, &attr, &mut RecentlyRemoved::default()).unwrap();
        }
        prop_assert_eq!(batched.text(), single.text());
        prop_assert_eq!(batched.provenance(), single.provenance());
        prop_assert_eq!(batched.syntax().unwrap().root_node().to_sexp(), single.syntax().unwrap().root_node().to_sexp());
    }

    /// Issue 14: each change's range is relative to the text the previous
    /// one left; what `apply` reports must be where the text is after the
    /// whole batch. Applied one by one with a tag of its own, each change's
    /// surviving bytes are exactly the span it reports.
    #[test]
    fn a_batch_reports_inserted_text_where_it_ends_up(
        initial in text_strategy(30),
        edits in prop::collection::vec(edit_strategy(), 1..10),
        whole in prop::option::of((0usize..10, text_strategy(20))),
    ) {
        let enc = Encoding::Utf16;
        let mut changes: Vec<Change> = edits
            .iter()
            .map(|e| Change { range: Some((Position::new(e.start.0, e.start.1), Position::new(e.end.0, e.end.1))), text: &e.text })
            .collect();
        if let Some((at, text)) = &whole {
            changes.insert((*at).min(changes.len()), Change { range: None, text });
        }
        let mut batched = Document::new(Language::Text, initial.clone()).unwrap();
        let applied = batched.apply(&changes, enc, &attribution(10), &mut RecentlyRemoved::default()).unwrap();
        let mut single = Document::new(Language::Text, initial).unwrap();
        // Which changes replace text over several lines (carried over by a
        // diff, as a whole text is).
        let mut diffed = Vec::new();
        for (i, c) in changes.iter().enumerate() {
            diffed.push(c.range.is_none_or(|(s, e)| {
                let (s, e) = (single.text().offset(s, enc).offset, single.text().offset(e, enc).offset);
                crate::document::is_multiline_replacement(&single.text().as_str()[s.min(e)..s.max(e)], c.text)
            }));
            single.apply(std::slice::from_ref(c), enc, &attribution(10 + i as u8), &mut RecentlyRemoved::default()).unwrap();
        }
        prop_assert_eq!(batched.text(), single.text());
        let tags = doc_tags(&single);
        for (i, a) in applied.iter().enumerate() {
            let mine: Vec<usize> = (0..tags.len()).filter(|&b| tags[b] == 10 + i as u8).collect();
            if diffed[i] {
                // A whole replacement reports the largest piece it inserted;
                // one over several lines, the largest block of pieces (with
                // the few lines of other text between them), wherever the
                // batch left it.
                if changes[i].range.is_none() {
                    prop_assert!(mine.is_empty() || a.inserted.is_empty() || mine.contains(&a.inserted.start));
                }
                prop_assert!(batched.text().as_str().get(a.inserted.clone()).is_some());
                continue;
            }
            match (mine.first(), mine.last()) {
                (Some(&first), Some(&last)) => prop_assert_eq!(a.inserted.clone(), first..last + 1, "change {}", i),
                _ => prop_assert!(a.inserted.is_empty(), "change {}: {:?}", i, a.inserted),
            }
            prop_assert!(batched.text().as_str().get(a.inserted.clone()).is_some());
        }
    }

    #[test]
    fn whole_replacement_keeps_unchanged_text_attributed(
        initial in text_strategy(30),
        ai in (0usize..40, 0usize..40),
        new in text_strategy(30),
    ) {
        let mut doc = Document::new(Language::Text, initial.clone()).unwrap();
        let (a, b) = (doc.text().floor_char_boundary(ai.0.min(ai.1)), doc.text().floor_char_boundary(ai.0.max(ai.1)));
        doc.set_attribution(a..b, &attribution(1));
        let before = doc_tags(&doc);
        doc.apply(&[Change { range: None, text: &new }], Encoding::Utf16, &attribution(0), &mut RecentlyRemoved::default()).unwrap();
        prop_assert_eq!(doc.text().as_str(), new.as_str());
        let after = doc_tags(&doc);
        prop_assert_eq!(after.len(), new.len());
        // Every byte is either carried over from equal text of the old
        // one or typed (human): nothing else invents an origin. (Text the
        // replacement removed and puts back twice is carried twice: a
        // copy of AI text is AI.)
        prop_assert!(after.iter().all(|&t| t == 0 || before.contains(&t)));
        for (at, c) in new.char_indices() {
            if after[at] != 0 {
                prop_assert!(initial.contains(c), "{:?} at {} was not old text", c, at);
            }
        }
        // Replacing the text with itself changes nothing.
        let same = doc.text().as_str().to_string();
        doc.apply(&[Change { range: None, text: &same }], Encoding::Utf16, &attribution(0), &mut RecentlyRemoved::default()).unwrap();
        prop_assert_eq!(doc_tags(&doc), after);
    }

    #[test]
    fn positions_round_trip(text in text_strategy(40)) {
        let t = Text::new(text.clone()).unwrap();
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            for (offset, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                // Offsets between "\r" and "\n" are not positions of their own.
                let inside_crlf = offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n');
                if inside_crlf {
                    continue;
                }
                let pos = t.position(offset, enc);
                prop_assert_eq!(t.offset(pos, enc), crate::text::Resolved { offset, clamp: None }, "{:?} {:?}", enc, pos);
                prop_assert_eq!(model_offset(&text, (pos.line, pos.column), enc), offset);
            }
        }
    }

    #[test]
    fn any_position_resolves_like_the_model(text in text_strategy(30), line in 0u32..10, column in 0u32..12) {
        let t = Text::new(text.clone()).unwrap();
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let got = t.offset(Position::new(line, column), enc);
            prop_assert_eq!(got.offset, model_offset(&text, (line, column), enc));
            prop_assert!(text.is_char_boundary(got.offset));
        }
    }
}
