//! Syntax: the languages vouch parses, their tree-sitter trees, and the
//! review units and risk tags found in them ([`units`]).
//!
//! Trees are re-parsed incrementally: the document calls [`SyntaxTree::edit`]
//! for each change of a batch and [`SyntaxTree::reparse`] once after it.
//! A language without a grammar ([`Language::Text`]) has no tree; its review
//! units are runs of lines. Bytes that are not UTF-8 and submodules are one
//! unit each ([`blob`]).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod blob;
pub mod matcher;
pub mod queries;
pub mod units;

pub use blob::{Content, file_unit, submodule_unit, unit_language};
pub use units::{Unit, review_units, unit_around, unit_at, units_in};

/// A language vouch knows, by grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    Java,
    /// Any other text: units are runs of lines.
    Text,
}

impl Language {
    pub const ALL: [Language; 8] = [
        Language::Rust,
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Go,
        Language::Java,
        Language::Text,
    ];

    /// The name hashed into fingerprints and used for `queries/<name>/`.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Go => "go",
            Language::Java => "java",
            Language::Text => "text",
        }
    }

    /// The language of a file, by its extension.
    pub fn from_path(path: &Path) -> Language {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext.to_ascii_lowercase().as_str() {
            "rs" => Language::Rust,
            "py" | "pyi" | "pyw" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "go" => Language::Go,
            "java" => Language::Java,
            _ => Language::Text,
        }
    }

    /// The language an LSP client names with `languageId`, if vouch has a
    /// grammar for it.
    pub fn from_language_id(id: &str) -> Option<Language> {
        Some(match id {
            "rust" => Language::Rust,
            "python" => Language::Python,
            "javascript" | "javascriptreact" => Language::JavaScript,
            "typescript" => Language::TypeScript,
            "typescriptreact" => Language::Tsx,
            "go" => Language::Go,
            "java" => Language::Java,
            _ => return None,
        })
    }

    /// The tree-sitter grammar, or `None` for plain text.
    pub fn grammar(self) -> Option<tree_sitter::Language> {
        Some(match self {
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Java => tree_sitter_java::LANGUAGE.into(),
            Language::Text => return None,
        })
    }

    /// The grammar's `node-types.json`, for a grammar older than ABI 15,
    /// which does not carry its supertypes' subtypes itself (see
    /// [`matcher`]); `None` for the others.
    pub fn node_types(self) -> Option<&'static str> {
        match self {
            Language::TypeScript => Some(tree_sitter_typescript::TYPESCRIPT_NODE_TYPES),
            Language::Tsx => Some(tree_sitter_typescript::TSX_NODE_TYPES),
            Language::Java => Some(tree_sitter_java::NODE_TYPES),
            _ => None,
        }
    }
}

/// A parser and the current tree of one document.
///
/// The tree may be *stale*: edits were applied to it ([`SyntaxTree::edit`])
/// but it was not parsed since. [`SyntaxTree::tree`] then has nothing to
/// give, and [`SyntaxTree::ensure`] parses, reusing what did not change.
pub struct SyntaxTree {
    parser: tree_sitter::Parser,
    tree: Option<tree_sitter::Tree>,
    stale: bool,
}

impl std::fmt::Debug for SyntaxTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyntaxTree").field("has_tree", &self.tree.is_some()).field("stale", &self.stale).finish()
    }
}

/// Bytes of text whose syntax trees may still be left unfreed when dropped
/// (see [`leave_trees_unfreed`]).
static UNFREED_BUDGET: AtomicUsize = AtomicUsize::new(0);

/// For a process that exits soon after its analyses (a CLI command, not
/// the language server): syntax trees of up to `text_bytes` bytes of text
/// in all are not freed when dropped, but left to the process's exit.
/// Freeing a tree walks every one of its nodes (for a file of a few
/// thousand lines, about a tenth of the cost of analysing it, and more in
/// the allocator's consolidation of the freed chunks that follows); past
/// the budget trees are freed as usual, so memory stays bounded (measured:
/// the trees of one 221 KB file hold about 3.7 MB, some 17 bytes per byte
/// of text; the trees of many small files hold more, about 50 MB for the
/// first MiB of verify's, which is why only blame leaves them).
pub fn leave_trees_unfreed(text_bytes: usize) {
    UNFREED_BUDGET.store(text_bytes, Ordering::Relaxed);
}

/// Whether a tree of `len` bytes of text may be left unfreed, taking it
/// from the budget if so.
fn take_unfreed(len: usize) -> bool {
    UNFREED_BUDGET.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(len)).is_ok()
}

impl Drop for SyntaxTree {
    fn drop(&mut self) {
        if let Some(tree) = self.tree.take()
            && take_unfreed(tree.root_node().end_byte().max(1))
        {
            std::mem::forget(tree);
        }
    }
}

impl SyntaxTree {
    /// Parse `text`; `None` for a language without a grammar.
    pub fn new(language: Language, text: &str) -> Option<SyntaxTree> {
        let mut syntax = SyntaxTree::unparsed(language)?;
        syntax.tree = syntax.parser.parse(text, None);
        Some(syntax)
    }

    /// The tree of `text`, parsed with a parser of its own (on any thread):
    /// what [`SyntaxTree::adopt`] takes. `None` for a language without a
    /// grammar.
    pub fn parse_apart(language: Language, text: &str) -> Option<tree_sitter::Tree> {
        SyntaxTree::new(language, text)?.tree.take()
    }

    /// Take `tree`, parsed elsewhere from the very text this tree is of,
    /// when this one holds none.
    pub fn adopt(&mut self, tree: tree_sitter::Tree) {
        if self.tree.is_none() {
            self.tree = Some(tree);
            self.stale = false;
        }
    }

    /// A parser with no tree yet: the first [`SyntaxTree::ensure`] parses.
    pub fn unparsed(language: Language) -> Option<SyntaxTree> {
        let grammar = language.grammar()?;
        let mut parser = tree_sitter::Parser::new();
        // The grammars are compiled in and their ABI is checked by tests.
        parser.set_language(&grammar).ok()?;
        Some(SyntaxTree { parser, tree: None, stale: false })
    }

    /// Tell the tree about one edit. It is stale until parsed again.
    pub fn edit(&mut self, edit: &tree_sitter::InputEdit) {
        if let Some(tree) = &mut self.tree {
            tree.edit(edit);
            self.stale = true;
        }
    }

    /// Parse again after edits, reusing what did not change. A released
    /// tree stays released: it is parsed afresh when next needed.
    pub fn reparse(&mut self, text: &str) {
        if self.tree.is_some() {
            self.tree = self.parser.parse(text, self.tree.as_ref());
            self.stale = false;
        }
    }

    /// Drop the tree to free its memory (tens of MiB for a 10,000-line
    /// file); [`SyntaxTree::ensure`] parses again when it is needed.
    pub fn release(&mut self) {
        self.tree = None;
        self.stale = false;
    }

    /// The tree of `text`: parsed from scratch if there is none, parsed
    /// again incrementally if it is stale.
    pub fn ensure(&mut self, text: &str) -> Option<&tree_sitter::Tree> {
        if self.tree.is_none() {
            self.tree = self.parser.parse(text, None);
        } else if self.stale {
            self.tree = self.parser.parse(text, self.tree.as_ref());
        }
        self.stale = false;
        self.tree.as_ref()
    }

    /// Whether a tree is held, up to date or stale (it takes memory).
    pub fn holds_tree(&self) -> bool {
        self.tree.is_some()
    }

    /// The tree, if it is parsed and up to date.
    pub fn tree(&self) -> Option<&tree_sitter::Tree> {
        if self.stale { None } else { self.tree.as_ref() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grammar_loads() {
        for lang in Language::ALL {
            let tree = SyntaxTree::new(lang, "x");
            assert_eq!(tree.is_some(), lang != Language::Text, "{lang:?}");
        }
    }

    #[test]
    fn languages_by_extension_and_id() {
        assert_eq!(Language::from_path(Path::new("src/a.RS")), Language::Rust);
        assert_eq!(Language::from_path(Path::new("a.tsx")), Language::Tsx);
        assert_eq!(Language::from_path(Path::new("Makefile")), Language::Text);
        assert_eq!(Language::from_language_id("typescriptreact"), Some(Language::Tsx));
        assert_eq!(Language::from_language_id("markdown"), None);
    }
}
