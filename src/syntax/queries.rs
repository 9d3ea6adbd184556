//! The tree-sitter queries vouch compiles into its binary:
//! `queries/<lang>/units.scm` (review units) and `queries/<lang>/risk.scm`
//! (risk tags), each built once per language, on first use.
//!
//! TSX has the TypeScript queries followed by its own files, and TypeScript
//! has the JavaScript risk patterns followed by its own: the query text is
//! put together at compile time. This module knows which capture names mean
//! what and checks the one predicate of vouch's own, `#parent?`; what the
//! units and tags are is [`super::units`]'s business.
//!
//! `(#parent? "impl_item/declaration_list" "source_file")` in `units.scm`
//! keeps the pattern's unit only if its parent is a `declaration_list` inside
//! an `impl_item`, or a `source_file`. Patterns say where a unit may be this
//! way, rather than by starting at its parent, because a pattern that starts
//! at a parent makes the query cursor visit every child of that parent, even
//! outside the byte range it is given: a pattern on the root would cost a
//! walk over every top-level item of the file for each edit.

use std::sync::OnceLock;

use tree_sitter::Query;

use super::Language;

/// The risk tags a `risk.scm` may capture, in the order of the design.
pub const RISK_TAGS: [&str; 8] = ["unsafe", "sql", "exec", "crypto", "auth", "deserialize", "network", "fs-delete"];

/// The query texts of a language: `(units.scm, risk.scm)`, or `None` for
/// plain text.
pub fn sources(language: Language) -> Option<(&'static str, &'static str)> {
    macro_rules! q {
        ($($file:literal),+) => {
            concat!($(include_str!(concat!("../../queries/", $file))),+)
        };
    }
    Some(match language {
        Language::Rust => (q!("rust/units.scm"), q!("rust/risk.scm")),
        Language::Python => (q!("python/units.scm"), q!("python/risk.scm")),
        Language::JavaScript => (q!("javascript/units.scm"), q!("javascript/risk.scm")),
        Language::TypeScript => (q!("typescript/units.scm"), q!("javascript/risk.scm", "typescript/risk.scm")),
        Language::Tsx => (
            q!("typescript/units.scm", "tsx/units.scm"),
            q!("javascript/risk.scm", "typescript/risk.scm", "tsx/risk.scm"),
        ),
        Language::Go => (q!("go/units.scm"), q!("go/risk.scm")),
        Language::Java => (q!("java/units.scm"), q!("java/risk.scm")),
        Language::Text => return None,
    })
}

/// What a capture of `units.scm` means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitCapture {
    /// `@unit.<kind>`: the node is a review unit of this kind.
    Unit(String),
    /// `@name`: the unit's name.
    Name,
    /// `@name.trait`: the trait a Rust impl implements; the name becomes
    /// "Trait for Type".
    NameTrait,
    /// `@_...`: used by predicates only.
    Private,
}

/// The compiled queries of one language.
#[derive(Debug)]
pub struct Queries {
    pub units: Query,
    pub risk: Query,
    unit_captures: Vec<UnitCapture>,
    /// Per pattern of `units`: its `#parent?` predicates, each a list of
    /// allowed ancestor paths (kinds from the outermost to the parent).
    unit_parents: Vec<Vec<Vec<Vec<String>>>>,
    risk_tags: Vec<Option<&'static str>>,
}

impl Queries {
    /// The meaning of capture `index` of [`Queries::units`].
    pub fn unit_capture(&self, index: u32) -> &UnitCapture {
        &self.unit_captures[index as usize]
    }

    /// The `#parent?` predicates of pattern `pattern` of [`Queries::units`]:
    /// each is a list of ancestor paths (outermost kind first, the parent's
    /// kind last), one of which must match.
    pub fn unit_parents(&self, pattern: usize) -> &[Vec<Vec<String>>] {
        &self.unit_parents[pattern]
    }

    /// The risk tag of capture `index` of [`Queries::risk`], `None` for a
    /// private capture.
    pub fn risk_tag(&self, index: u32) -> Option<&'static str> {
        self.risk_tags[index as usize]
    }
}

/// A query that does not build: a bug in `queries/`, which the tests catch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("queries/{language}/{file}: {message}")]
pub struct QueryProblem {
    pub language: &'static str,
    pub file: &'static str,
    pub message: String,
}

/// The queries of `language`, built on first use; `None` for plain text.
pub fn queries(language: Language) -> Option<Result<&'static Queries, &'static QueryProblem>> {
    static CELLS: [OnceLock<Result<Queries, QueryProblem>>; Language::ALL.len()] =
        [const { OnceLock::new() }; Language::ALL.len()];
    let grammar = language.grammar()?;
    let (units, risk) = sources(language)?;
    let cell = &CELLS[language as usize];
    Some(cell.get_or_init(|| build(language, &grammar, units, risk)).as_ref())
}

/// Start building the queries of `language` on another thread, if that
/// has not been started yet: for a caller that has other work to do before
/// it needs them ([`queries`] then waits for them).
pub fn compile_soon(language: Language) {
    static STARTED: [std::sync::atomic::AtomicBool; Language::ALL.len()] =
        [const { std::sync::atomic::AtomicBool::new(false) }; Language::ALL.len()];
    if language.grammar().is_none() || STARTED[language as usize].swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    std::thread::spawn(move || {
        let _ = queries(language);
    });
}

fn build(
    language: Language,
    grammar: &tree_sitter::Language,
    units: &str,
    risk: &str,
) -> Result<Queries, QueryProblem> {
    let problem = |file: &'static str, message: String| QueryProblem { language: language.name(), file, message };
    let units = Query::new(grammar, units).map_err(|e| problem("units.scm", e.to_string()))?;
    let risk = Query::new(grammar, risk).map_err(|e| problem("risk.scm", e.to_string()))?;
    let unit_captures = units
        .capture_names()
        .iter()
        .map(|name| match *name {
            "name" => Ok(UnitCapture::Name),
            "name.trait" => Ok(UnitCapture::NameTrait),
            _ if name.starts_with('_') => Ok(UnitCapture::Private),
            _ => match name.strip_prefix("unit.") {
                Some(kind) if !kind.is_empty() && kind != "lines" => Ok(UnitCapture::Unit(kind.to_string())),
                _ => Err(problem("units.scm", format!("unknown capture @{name}"))),
            },
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut unit_parents = Vec::with_capacity(units.pattern_count());
    for pattern in 0..units.pattern_count() {
        let mut predicates = Vec::new();
        for predicate in units.general_predicates(pattern) {
            predicates.push(parent_predicate(grammar, predicate).map_err(|m| problem("units.scm", m))?);
        }
        unit_parents.push(predicates);
    }
    for pattern in 0..risk.pattern_count() {
        if let Some(predicate) = risk.general_predicates(pattern).first() {
            return Err(problem("risk.scm", format!("unknown predicate #{}", predicate.operator)));
        }
    }
    let risk_tags = risk
        .capture_names()
        .iter()
        .map(|name| {
            if name.starts_with('_') {
                Ok(None)
            } else {
                match RISK_TAGS.iter().find(|tag| *tag == name) {
                    Some(tag) => Ok(Some(*tag)),
                    None => Err(problem("risk.scm", format!("unknown risk tag @{name}"))),
                }
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Queries { units, risk, unit_captures, unit_parents, risk_tags })
}

/// The ancestor paths of a `#parent?` predicate, checked against the
/// grammar.
fn parent_predicate(
    grammar: &tree_sitter::Language,
    predicate: &tree_sitter::QueryPredicate,
) -> Result<Vec<Vec<String>>, String> {
    if &*predicate.operator != "parent?" {
        return Err(format!("unknown predicate #{}", predicate.operator));
    }
    if predicate.args.is_empty() {
        return Err("#parent? needs at least one node kind".to_string());
    }
    let mut paths = Vec::new();
    for arg in &predicate.args {
        let tree_sitter::QueryPredicateArg::String(path) = arg else {
            return Err("#parent? takes node kinds, not captures".to_string());
        };
        let kinds: Vec<String> = path.split('/').map(str::to_string).collect();
        if let Some(bad) = kinds.iter().find(|k| grammar.id_for_node_kind(k, true) == 0) {
            return Err(format!("#parent? names unknown node kind {bad:?}"));
        }
        paths.push(kinds);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_builds_against_its_grammar() {
        for language in Language::ALL {
            match queries(language) {
                None => assert_eq!(language, Language::Text),
                Some(Err(problem)) => panic!("{problem}"),
                Some(Ok(q)) => {
                    assert!(q.units.pattern_count() > 0, "{language:?} has no unit patterns");
                    assert!(q.risk.pattern_count() > 0, "{language:?} has no risk patterns");
                }
            }
        }
    }

    #[test]
    fn every_grammar_language_captures_units_named_and_some_risk() {
        for language in Language::ALL {
            let Some(Ok(q)) = queries(language) else { continue };
            let captures = q.units.capture_names();
            assert!(captures.contains(&"name"), "{language:?}");
            assert!(captures.contains(&"unit.function") || captures.contains(&"unit.method"), "{language:?}");
            let tags: Vec<_> = q.risk.capture_names().iter().filter(|n| !n.starts_with('_')).collect();
            // Every language tags at least SQL, processes, crypto, auth,
            // network and file deletion.
            for tag in ["sql", "exec", "crypto", "auth", "network", "fs-delete"] {
                assert!(tags.contains(&&tag), "{language:?} lacks @{tag}");
            }
        }
    }

    #[test]
    fn unknown_captures_are_refused() {
        let grammar = Language::Rust.grammar().unwrap();
        let err =
            build(Language::Rust, &grammar, "(function_item) @unit.function", "(unsafe_block) @danger").unwrap_err();
        assert_eq!(err.to_string(), "queries/rust/risk.scm: unknown risk tag @danger");
        let err = build(Language::Rust, &grammar, "(function_item) @fn", "(unsafe_block) @unsafe").unwrap_err();
        assert_eq!(err.to_string(), "queries/rust/units.scm: unknown capture @fn");
        let err = build(Language::Rust, &grammar, "(function_item) @unit.lines", "").unwrap_err();
        assert_eq!(err.file, "units.scm");
        let units = r#"((function_item) @unit.function (#parent? "impl_item/block_list"))"#;
        let err = build(Language::Rust, &grammar, units, "").unwrap_err();
        assert_eq!(err.message, "#parent? names unknown node kind \"block_list\"");
        let units = r#"((function_item) @unit.function (#parents? "source_file"))"#;
        let err = build(Language::Rust, &grammar, units, "").unwrap_err();
        assert_eq!(err.message, "unknown predicate #parents?");
        let risk = r#"((unsafe_block) @unsafe (#parent? "block"))"#;
        let err = build(Language::Rust, &grammar, "(function_item) @unit.function", risk).unwrap_err();
        assert_eq!(err.to_string(), "queries/rust/risk.scm: unknown predicate #parent?");
    }
}
