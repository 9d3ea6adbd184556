//! Review units: the smallest enclosing syntax nodes (as `queries/<lang>/units.scm`
//! names them) that hold AI text, with their fingerprints and risk tags.

use std::ops::Range;

use super::Language;
use crate::text::Text;

/// One review unit of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The unit's kind as the queries name it ("function", "method", ...), or
    /// "lines" for a run of lines in a language without a grammar.
    pub kind: String,
    /// The unit's name, where the syntax gives one.
    pub name: Option<String>,
    /// Bytes of the unit, including its decorators, attributes and doc
    /// comments.
    pub range: Range<usize>,
    /// See [`crate::fingerprint`].
    pub fingerprint: String,
    /// Non-whitespace AI bytes inside the unit.
    pub ai_bytes: usize,
    /// Lines of the unit that hold non-whitespace AI text.
    pub ai_lines: usize,
    /// Lines of the unit.
    pub lines: usize,
    /// AI share of the unit's non-whitespace bytes, from 0 to 1.
    pub ai_share: f32,
    /// Risk tags (capture names of `queries/<lang>/risk.scm`), sorted, unique.
    pub risk: Vec<String>,
}

/// The review units of a document that hold AI text (`ai`: sorted,
/// non-overlapping byte ranges).
pub fn review_units(
    _language: Language,
    _tree: Option<&tree_sitter::Tree>,
    _text: &Text,
    _ai: &[Range<usize>],
) -> Vec<Unit> {
    Vec::new()
}
