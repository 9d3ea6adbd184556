//! What a path holds, as vouch reviews it: UTF-8 text, whose units the
//! grammars find ([`super::units`]); bytes that are not UTF-8, which are one
//! unit of kind [`FILE`] over the raw bytes; or a submodule (a gitlink), one
//! unit of kind [`SUBMODULE`] over the 40-hex commit id.
//!
//! Nothing here decides what is text by libgit2's `is_binary` or by control
//! characters: UTF-8 with NULs or U+0001 in it is text and is parsed like any
//! other, because compilers and interpreters run it. Only bytes that are not
//! UTF-8 make a `file` unit.
//!
//! Lines are git's throughout (see [`crate::text::Text::git_lines`]).

use std::ops::Range;

use super::Language;
use super::units::Unit;
use crate::fingerprint::{self, FILE, GIT, SUBMODULE, TEXT};
use crate::text::LineIndex;

/// The content of one path of a tree, the index or the working tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// UTF-8 text (control characters included): parsed as usual.
    Text(String),
    /// Bytes that are not UTF-8: one [`FILE`] unit.
    Bytes(Vec<u8>),
    /// A submodule at this commit (40 hex digits): one [`SUBMODULE`] unit.
    Submodule(String),
}

impl Content {
    /// A blob's bytes: text when they are UTF-8.
    pub fn of_blob(bytes: Vec<u8>) -> Content {
        match String::from_utf8(bytes) {
            Ok(text) => Content::Text(text),
            Err(e) => Content::Bytes(e.into_bytes()),
        }
    }

    /// The bytes the unit's fingerprint covers: the blob's bytes, or the
    /// submodule's commit id in hex.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Content::Text(text) => text.as_bytes(),
            Content::Bytes(bytes) => bytes,
            Content::Submodule(commit) => commit.as_bytes(),
        }
    }

    /// The text, when it is UTF-8 text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Content::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

/// The language name a unit's fingerprint hashes: [`TEXT`] for a `file`
/// unit, [`GIT`] for a `submodule` unit, else the file's language.
pub fn unit_language(language: Language, unit: &Unit) -> &'static str {
    match unit.kind.as_str() {
        FILE => TEXT,
        SUBMODULE => GIT,
        _ => language.name(),
    }
}

/// The one unit of a blob that is not UTF-8: all of `bytes`, language
/// [`TEXT`], kind [`FILE`]. `ai` are its AI byte ranges (sorted or not;
/// clamped to the bytes). Every AI byte counts, whitespace included: in
/// bytes vouch cannot parse, a CR or a space may be what changes the
/// meaning.
pub fn file_unit(bytes: &[u8], ai: &[Range<usize>]) -> Unit {
    let lines = LineIndex::git(bytes);
    let mut ai_bytes = 0;
    let mut ai_lines: Vec<usize> = Vec::new();
    let mut ai_ranges: Vec<Range<usize>> = Vec::new();
    for r in ai {
        let r = r.start.min(bytes.len())..r.end.min(bytes.len());
        if r.is_empty() {
            continue;
        }
        ai_bytes += r.len();
        ai_lines.extend(lines.line_of(r.start)..=lines.line_of(r.end - 1));
        ai_ranges.push(r);
    }
    ai_ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ai_ranges.len());
    for r in ai_ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    ai_lines.sort_unstable();
    ai_lines.dedup();
    // A last line with no bytes (after a final LF) is no line.
    let line_count = if bytes.ends_with(b"\n") { lines.len() - 1 } else { lines.len() };
    let ai_bytes = ai_bytes.min(bytes.len());
    Unit {
        kind: FILE.to_string(),
        name: None,
        range: 0..bytes.len(),
        fingerprint: fingerprint::file_fingerprint(bytes),
        ai_bytes,
        ai_lines: ai_lines.len(),
        ai_ranges: merged,
        lines: line_count.max(1),
        ai_share: if bytes.is_empty() { 0.0 } else { ai_bytes as f32 / bytes.len() as f32 },
        risk: Vec::new(),
    }
}

/// The one unit of a submodule at `commit` (40 hex digits): language
/// [`GIT`], kind [`SUBMODULE`], over the id's hex digits. When it is
/// reviewed, all of it is AI.
pub fn submodule_unit(commit: &str) -> Unit {
    Unit {
        kind: SUBMODULE.to_string(),
        name: None,
        range: 0..commit.len(),
        fingerprint: fingerprint::submodule_fingerprint(commit),
        ai_bytes: commit.len(),
        ai_lines: 1,
        ai_ranges: std::iter::once(0..commit.len()).collect(),
        lines: 1,
        ai_share: 1.0,
        risk: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_of_a_blob() {
        assert_eq!(Content::of_blob(b"a\x01b\0".to_vec()), Content::Text("a\x01b\0".into()));
        assert_eq!(Content::of_blob(b"caf\xe9".to_vec()), Content::Bytes(b"caf\xe9".to_vec()));
        assert_eq!(Content::Submodule("ab".repeat(20)).as_bytes().len(), 40);
    }

    #[test]
    fn a_file_unit_is_all_the_bytes() {
        let bytes = b"# caf\xe9\nimport os\nos.system(cmd)\n";
        let unit = file_unit(bytes, std::slice::from_ref(&(18..32)));
        assert_eq!(unit.kind, "file");
        assert_eq!(unit.range, 0..bytes.len());
        assert_eq!(unit.fingerprint, fingerprint::file_fingerprint(bytes));
        assert_eq!((unit.ai_lines, unit.lines, unit.ai_bytes), (1, 3, 14));
        // A lone CR does not end a line; every AI byte counts, a CR too.
        let unit = file_unit(b"\xff\ra\rb", std::slice::from_ref(&(1..2)));
        assert_eq!((unit.ai_lines, unit.lines, unit.ai_bytes), (1, 1, 1));
        assert_eq!(file_unit(b"\xff", std::slice::from_ref(&(0..9))).ai_bytes, 1);
        assert_eq!(unit_language(Language::Python, &unit), "text");
    }

    #[test]
    fn a_submodule_unit_is_its_commit_id() {
        let id = "3f786850e387550fdab836ed7e6dc881de23001b";
        let unit = submodule_unit(id);
        assert_eq!(unit.fingerprint, "f6d8c7d709baf9e4a802ed8233f7cf4f6d592770c7b58b5b936e05454a650e13");
        assert_eq!(unit_language(Language::Rust, &unit), "git");
    }
}
