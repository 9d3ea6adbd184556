//! The tree-sitter queries vouch compiles into its binary:
//! `queries/<lang>/units.scm` (review units) and `queries/<lang>/risk.scm`
//! (risk tags), compiled on first use.
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
//! at a parent makes the matcher visit every child of that parent, even
//! outside the byte range it is given: a pattern on the root would cost a
//! walk over every top-level item of the file for each edit.
//!
//! The files are compiled by vouch's own matcher ([`super::matcher`]), not
//! by `tree_sitter::Query`, whose analysis of the grammar cost every process
//! tens of milliseconds; they stay valid tree-sitter queries, and the tests
//! compile them with tree-sitter too and compare the matches.

use std::sync::OnceLock;

use super::Language;
use super::matcher::{GeneralPredicate, PredicateArg, Query};

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

/// A digest of every query text compiled in: what the units and risk tags
/// found in a text depend on, besides the grammars (which change only with
/// vouch's dependencies, and so with its version).
pub fn digest() -> &'static str {
    static DIGEST: OnceLock<String> = OnceLock::new();
    DIGEST.get_or_init(|| {
        let mut all = String::new();
        for language in Language::ALL {
            if let Some((units, risk)) = sources(language) {
                for part in [language.name(), units, risk] {
                    all.push_str(part);
                    all.push('\0');
                }
            }
        }
        crate::fingerprint::sha256_hex(all.as_bytes())
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

/// Which query file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Units,
    Risk,
}

impl Which {
    fn file(self) -> &'static str {
        match self {
            Which::Units => "units.scm",
            Which::Risk => "risk.scm",
        }
    }
}

/// A compiled query file.
#[derive(Debug)]
pub struct Compiled {
    pub query: Query,
    unit_captures: Vec<UnitCapture>,
    /// Per pattern: its `#parent?` predicates, each a list of allowed
    /// ancestor paths (kinds from the outermost to the parent).
    unit_parents: Vec<Vec<Vec<Vec<String>>>>,
    risk_tags: Vec<Option<&'static str>>,
}

impl Compiled {
    /// The meaning of capture `index` of a units query.
    pub fn unit_capture(&self, index: u32) -> &UnitCapture {
        &self.unit_captures[index as usize]
    }

    /// The `#parent?` predicates of pattern `pattern` of a units query: each
    /// is a list of ancestor paths (outermost kind first, the parent's kind
    /// last), one of which must match.
    pub fn unit_parents(&self, pattern: usize) -> &[Vec<Vec<String>>] {
        &self.unit_parents[pattern]
    }

    /// The risk tag of capture `index` of a risk query, `None` for a private
    /// capture.
    pub fn risk_tag(&self, index: u32) -> Option<&'static str> {
        self.risk_tags[index as usize]
    }
}

/// The compiled queries of one language.
#[derive(Debug, Clone, Copy)]
pub struct Queries {
    pub units: &'static Compiled,
    pub risk: &'static Compiled,
}

/// A query that does not build: a bug in `queries/`, which the tests catch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("queries/{language}/{file}: {message}")]
pub struct QueryProblem {
    pub language: &'static str,
    pub file: &'static str,
    pub message: String,
}

/// The queries of `language`, compiled on first use in this process;
/// `None` for plain text.
pub fn queries(language: Language) -> Option<Result<Queries, &'static QueryProblem>> {
    type Slot = OnceLock<Result<Queries, QueryProblem>>;
    static COMPILED: [Slot; Language::ALL.len()] = [const { OnceLock::new() }; Language::ALL.len()];
    let (units, risk) = sources(language)?;
    let grammar = language.grammar()?;
    let compiled = COMPILED[language as usize].get_or_init(|| {
        Ok(Queries {
            units: leak(build(language, &grammar, Which::Units, units)?),
            risk: leak(build(language, &grammar, Which::Risk, risk)?),
        })
    });
    Some(compiled.as_ref().copied())
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

fn build(
    language: Language,
    grammar: &tree_sitter::Language,
    which: Which,
    source: &str,
) -> Result<Compiled, QueryProblem> {
    let problem = |message: String| QueryProblem { language: language.name(), file: which.file(), message };
    let query = Query::new(grammar, language.node_types(), source).map_err(problem)?;
    let mut compiled = Compiled { query, unit_captures: Vec::new(), unit_parents: Vec::new(), risk_tags: Vec::new() };
    let query = &compiled.query;
    match which {
        Which::Units => {
            compiled.unit_captures = query
                .capture_names()
                .iter()
                .map(|name| match name.as_str() {
                    "name" => Ok(UnitCapture::Name),
                    "name.trait" => Ok(UnitCapture::NameTrait),
                    _ if name.starts_with('_') => Ok(UnitCapture::Private),
                    _ => match name.strip_prefix("unit.") {
                        Some(kind) if !kind.is_empty() && kind != "lines" && kind != super::units::WHOLE_FILE => {
                            Ok(UnitCapture::Unit(kind.to_string()))
                        }
                        _ => Err(problem(format!("unknown capture @{name}"))),
                    },
                })
                .collect::<Result<Vec<_>, _>>()?;
            for pattern in query.patterns() {
                let mut predicates = Vec::new();
                for predicate in pattern.general_predicates() {
                    predicates.push(parent_predicate(grammar, predicate).map_err(problem)?);
                }
                compiled.unit_parents.push(predicates);
            }
        }
        Which::Risk => {
            for pattern in query.patterns() {
                if let Some(predicate) = pattern.general_predicates().first() {
                    return Err(problem(format!("unknown predicate #{}", predicate.operator)));
                }
            }
            compiled.risk_tags = query
                .capture_names()
                .iter()
                .map(|name| {
                    if name.starts_with('_') {
                        Ok(None)
                    } else {
                        match RISK_TAGS.iter().find(|tag| *tag == name) {
                            Some(tag) => Ok(Some(*tag)),
                            None => Err(problem(format!("unknown risk tag @{name}"))),
                        }
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
        }
    }
    Ok(compiled)
}

/// The ancestor paths of a `#parent?` predicate, checked against the
/// grammar.
fn parent_predicate(grammar: &tree_sitter::Language, predicate: &GeneralPredicate) -> Result<Vec<Vec<String>>, String> {
    if predicate.operator != "parent?" {
        return Err(format!("unknown predicate #{}", predicate.operator));
    }
    if predicate.args.is_empty() {
        return Err("#parent? needs at least one node kind".to_string());
    }
    let mut paths = Vec::new();
    for arg in &predicate.args {
        let PredicateArg::String(path) = arg else {
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

/// tree-sitter's own compilation of `language`'s query files: the
/// reference the tests compare the matcher with.
#[cfg(test)]
pub(crate) fn reference(language: Language) -> &'static (tree_sitter::Query, tree_sitter::Query) {
    type Slot = OnceLock<(tree_sitter::Query, tree_sitter::Query)>;
    static COMPILED: [Slot; Language::ALL.len()] = [const { OnceLock::new() }; Language::ALL.len()];
    COMPILED[language as usize].get_or_init(|| {
        let grammar = language.grammar().expect("a grammar");
        let (units, risk) = sources(language).expect("queries");
        let build = |source| tree_sitter::Query::new(&grammar, source).unwrap_or_else(|e| panic!("{language:?}: {e}"));
        (build(units), build(risk))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_builds_against_its_grammar_here_and_in_tree_sitter() {
        for language in Language::ALL {
            match queries(language) {
                None => assert_eq!(language, Language::Text),
                Some(Err(problem)) => panic!("{problem}"),
                Some(Ok(q)) => {
                    // The files stay tree-sitter queries with the same
                    // patterns, captures and predicates of vouch's own.
                    let (units, risk) = reference(language);
                    for (ours, theirs) in [(q.units, units), (q.risk, risk)] {
                        ours.query.check_regexes().unwrap_or_else(|e| panic!("{language:?}: {e}"));
                        assert!(ours.query.pattern_count() > 0, "{language:?}");
                        assert_eq!(ours.query.pattern_count(), theirs.pattern_count(), "{language:?}");
                        assert_eq!(ours.query.capture_names(), theirs.capture_names(), "{language:?}");
                        for (i, pattern) in ours.query.patterns().iter().enumerate() {
                            let theirs: Vec<GeneralPredicate> = theirs
                                .general_predicates(i)
                                .iter()
                                .map(|p| GeneralPredicate {
                                    operator: p.operator.to_string(),
                                    args: p
                                        .args
                                        .iter()
                                        .map(|a| match a {
                                            tree_sitter::QueryPredicateArg::Capture(c) => PredicateArg::Capture(*c),
                                            tree_sitter::QueryPredicateArg::String(s) => {
                                                PredicateArg::String(s.to_string())
                                            }
                                        })
                                        .collect(),
                                })
                                .collect();
                            assert_eq!(pattern.general_predicates(), &theirs[..], "{language:?} pattern {i}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_grammar_language_captures_units_named_and_some_risk() {
        for language in Language::ALL {
            let Some(Ok(q)) = queries(language) else { continue };
            let captures = q.units.query.capture_names();
            assert!(captures.iter().any(|c| c == "name"), "{language:?}");
            assert!(captures.iter().any(|c| c == "unit.function" || c == "unit.method"), "{language:?}");
            let tags: Vec<_> = q.risk.query.capture_names().iter().filter(|n| !n.starts_with('_')).collect();
            // Every language tags at least SQL, processes, crypto, auth,
            // network and file deletion.
            for tag in ["sql", "exec", "crypto", "auth", "network", "fs-delete"] {
                assert!(tags.iter().any(|t| *t == tag), "{language:?} lacks @{tag}");
            }
        }
    }

    #[test]
    fn unknown_captures_are_refused() {
        let grammar = Language::Rust.grammar().unwrap();
        let err = build(Language::Rust, &grammar, Which::Risk, "(unsafe_block) @danger").unwrap_err();
        assert_eq!(err.to_string(), "queries/rust/risk.scm: unknown risk tag @danger");
        let err = build(Language::Rust, &grammar, Which::Units, "(function_item) @fn").unwrap_err();
        assert_eq!(err.to_string(), "queries/rust/units.scm: unknown capture @fn");
        let err = build(Language::Rust, &grammar, Which::Units, "(function_item) @unit.lines").unwrap_err();
        assert_eq!(err.file, "units.scm");
        let err = build(Language::Rust, &grammar, Which::Units, "(function_item) @unit.whole-file").unwrap_err();
        assert_eq!(err.message, "unknown capture @unit.whole-file");
        let units = r#"((function_item) @unit.function (#parent? "impl_item/block_list"))"#;
        let err = build(Language::Rust, &grammar, Which::Units, units).unwrap_err();
        assert_eq!(err.message, "#parent? names unknown node kind \"block_list\"");
        let units = r#"((function_item) @unit.function (#parents? "source_file"))"#;
        let err = build(Language::Rust, &grammar, Which::Units, units).unwrap_err();
        assert_eq!(err.message, "unknown predicate #parents?");
        let risk = r#"((unsafe_block) @unsafe (#parent? "block"))"#;
        let err = build(Language::Rust, &grammar, Which::Risk, risk).unwrap_err();
        assert_eq!(err.to_string(), "queries/rust/risk.scm: unknown predicate #parent?");
    }

    #[test]
    fn constructs_the_matcher_does_not_know_are_refused() {
        // Each is a valid tree-sitter query that the matcher would not
        // match as tree-sitter does: it must fail to build, saying what.
        let refused = [
            ("(function_item name: (identifier)+ @unsafe)", "line 1: quantifier `+` is not supported"),
            ("(block (expression_statement)* @unsafe)", "line 1: quantifier `*` is not supported"),
            ("(function_item\n  (visibility_modifier)? @unsafe)", "line 2: quantifier `?` is not supported"),
            ("(function_itemm) @unsafe", "line 1: unknown node kind (function_itemm)"),
            ("(function_item \"unsafee\") @unsafe", "line 1: unknown node kind \"unsafee\""),
            ("(function_item nam: (identifier)) @unsafe", "line 1: unknown field nam:"),
            ("(function_item !name) @unsafe", "line 1: negated fields (`!field`) are not supported"),
            ("(_ (unsafe_block)) @unsafe", "line 1: a pattern whose root is a wildcard is not supported"),
            (
                "((unsafe_block) (unsafe_block)) @unsafe",
                "line 1: a group of several patterns (a sequence) is not supported",
            ),
            (
                "(block [[(unsafe_block)] (loop_expression)] @unsafe)",
                "line 1: an alternation directly inside an alternation is not supported",
            ),
            ("(MISSING identifier) @unsafe", "line 1: (MISSING) is not supported"),
            ("(_expression/identifier) @unsafe", "line 1: (supertype/subtype) is not supported"),
            ("((identifier) @unsafe (#not-eq? @unsafe \"x\"))", "line 1: predicate #not-eq? is not supported"),
            ("((identifier) @unsafe (#any-match? @unsafe \"x\"))", "line 1: predicate #any-match? is not supported"),
            ("((identifier) @unsafe (#set! x \"y\"))", "line 1: predicate #set! is not supported"),
            (
                "((identifier) @unsafe (#eq? @unsafe @unsafe))",
                "line 1: #eq? takes a capture and 1 string, not 1 argument",
            ),
            ("((identifier) @unsafe (#eq? @other \"x\"))", "line 1: #eq? names unknown capture @other"),
            ("(identifier) @unsafe\n(block", "line 2: unterminated node pattern (block"),
        ];
        let grammar = Language::Rust.grammar().unwrap();
        for (source, message) in refused {
            let err = build(Language::Rust, &grammar, Which::Risk, source).unwrap_err();
            assert_eq!((source, err.to_string()), (source, format!("queries/rust/risk.scm: {message}")));
        }
        // A regex that does not build is found by the check the tests run
        // on every file (the regexes are otherwise built on first use).
        let compiled = build(Language::Rust, &grammar, Which::Risk, r#"((identifier) @unsafe (#match? @unsafe "(x"))"#)
            .expect("builds");
        let err = compiled.query.check_regexes().unwrap_err();
        assert!(err.starts_with("regex \"(x\" does not build"), "{err}");
    }
}
