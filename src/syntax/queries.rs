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
//! at a parent makes the query cursor visit every child of that parent, even
//! outside the byte range it is given: a pattern on the root would cost a
//! walk over every top-level item of the file for each edit.
//!
//! Compiling a query costs milliseconds per pattern (tens of milliseconds
//! for TypeScript's risk patterns), paid by every process. A pattern may say
//! which words it cannot match without: a comment line `; needs: w1 w2 ...`
//! just before it. Such a pattern is compiled only for a text that holds one
//! of its words (compared ASCII-case-insensitively, so a `(?i)` regex is
//! covered; a text holding `ſ` or `K`, which Unicode folds onto `s` and `k`,
//! needs every pattern). [`queries_for`] compiles the patterns a text needs
//! (reusing a compiled selection that holds them; after a few selections, all
//! of them, once), so the tags and units are those of the whole query. The
//! words are written by hand from each pattern's predicates: a test checks
//! every `#eq?` and `#any-of?` literal against them, and that the prefiltered
//! queries give the same units and tags as the whole ones on every corpus.

use std::sync::{Mutex, OnceLock};

use aho_corasick::AhoCorasick;
use tree_sitter::Query;

use super::Language;

/// The risk tags a `risk.scm` may capture, in the order of the design.
pub const RISK_TAGS: [&str; 8] = ["unsafe", "sql", "exec", "crypto", "auth", "deserialize", "network", "fs-delete"];

/// Selections compiled for one query file before it is compiled whole: a
/// process that analyses many files (the language server, `vouch verify`)
/// stops paying for selections.
const MAX_SELECTIONS: usize = 2;

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

/// A compiled selection of the patterns of one query file.
#[derive(Debug)]
pub struct Compiled {
    pub query: Query,
    /// For each pattern of `query`, its index among all the file's patterns.
    global: Vec<usize>,
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

    /// The index of pattern `pattern` among all the patterns of the file
    /// (the order in which patterns win).
    pub fn pattern_order(&self, pattern: usize) -> usize {
        self.global[pattern]
    }

    /// The risk tag of capture `index` of a risk query, `None` for a private
    /// capture.
    pub fn risk_tag(&self, index: u32) -> Option<&'static str> {
        self.risk_tags[index as usize]
    }
}

/// The compiled queries of one language for one text.
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

/// Every query of `language`, compiled whole; `None` for plain text.
pub fn queries(language: Language) -> Option<Result<Queries, &'static QueryProblem>> {
    let (units, risk) = (file(language, Which::Units)?, file(language, Which::Risk)?);
    Some((|| Ok(Queries { units: units?.full()?, risk: risk?.full()? }))())
}

/// The queries of `language` that `text` needs, compiled on first use:
/// they find the same units and risk tags in `text` as [`queries`] does.
/// `None` for plain text.
pub fn queries_for(language: Language, text: &str) -> Option<Result<Queries, &'static QueryProblem>> {
    let (units, risk) = (file(language, Which::Units)?, file(language, Which::Risk)?);
    Some((|| Ok(Queries { units: units?.select(text)?, risk: risk?.select(text)? }))())
}

/// How many patterns `text` needs of each query file of `language`, and
/// how many there are: `[(units needed, units), (risk needed, risk)]`.
pub fn needed_patterns(language: Language, text: &str) -> Option<[(usize, usize); 2]> {
    let count = |which: Which| {
        let file = file(language, which)?.ok()?;
        Some((file.needed(text).iter().filter(|&&n| n).count(), file.patterns.len()))
    };
    Some([count(Which::Units)?, count(Which::Risk)?])
}

/// Start compiling, on another thread, the queries of `language` that
/// `text` needs: for a caller that has other work to do before it needs
/// them ([`queries_for`] then waits for them).
pub fn compile_soon(language: Language, text: &str) {
    let (Some(Ok(units)), Some(Ok(risk))) = (file(language, Which::Units), file(language, Which::Risk)) else {
        return;
    };
    let (need_units, need_risk) = (units.needed(text), risk.needed(text));
    if units.has(&need_units) && risk.has(&need_risk) {
        return;
    }
    std::thread::spawn(move || {
        let _ = units.select_needed(&need_units);
        let _ = risk.select_needed(&need_risk);
    });
}

/// Compile every pattern of `language`'s queries on another thread, once
/// per process: for a process that analyses text after text for as long as
/// it runs (the language server, from the first document of the language
/// it opens), after which [`queries_for`] gives the whole queries without
/// looking for words in the text.
pub fn compile_whole_soon(language: Language) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static STARTED: [AtomicBool; Language::ALL.len()] = [const { AtomicBool::new(false) }; Language::ALL.len()];
    if language.grammar().is_none() || STARTED[language as usize].swap(true, Ordering::Relaxed) {
        return;
    }
    std::thread::spawn(move || {
        for which in [Which::Units, Which::Risk] {
            if let Some(Ok(file)) = file(language, which) {
                let _ = file.full();
            }
        }
    });
}

/// The queries of `language` compiled from exactly the patterns `text`
/// needs, with no selection reused: for tests that compare them with
/// [`queries`].
#[cfg(test)]
pub(crate) fn exactly_for(language: Language, text: &str) -> Queries {
    use std::collections::HashMap;
    type Key = (Language, bool, Vec<bool>);
    static SEEN: Mutex<Option<HashMap<Key, &'static Compiled>>> = Mutex::new(None);
    let one = |which: Which| -> &'static Compiled {
        let file = file(language, which).unwrap().unwrap();
        let need = file.needed(text);
        let mut seen = SEEN.lock().unwrap();
        let key = (language, which == Which::Units, need.clone());
        seen.get_or_insert_with(HashMap::new).entry(key).or_insert_with(|| {
            let chosen: Vec<usize> = need.iter().enumerate().filter(|&(_, &n)| n).map(|(i, _)| i).collect();
            leak(file.compile(&chosen).unwrap())
        })
    };
    Queries { units: one(Which::Units), risk: one(Which::Risk) }
}

/// One top-level pattern of a query file.
#[derive(Debug)]
struct Pattern {
    text: &'static str,
    /// The words it cannot match without (lowercase), if it says.
    needs: Option<Vec<String>>,
}

/// A query file split into its patterns, and what of it is compiled.
struct QueryFile {
    language: Language,
    which: Which,
    grammar: tree_sitter::Language,
    patterns: Vec<Pattern>,
    /// Every word any pattern needs, and the patterns that need each.
    words: Option<AhoCorasick>,
    word_patterns: Vec<Vec<usize>>,
    full: OnceLock<Result<&'static Compiled, &'static QueryProblem>>,
    selections: Mutex<Vec<(Vec<bool>, &'static Compiled)>>,
}

/// The query file of `language`, split on first use; `None` for plain text.
fn file(language: Language, which: Which) -> Option<Result<&'static QueryFile, &'static QueryProblem>> {
    static CELLS: [OnceLock<Result<QueryFile, QueryProblem>>; 2 * Language::ALL.len()] =
        [const { OnceLock::new() }; 2 * Language::ALL.len()];
    let grammar = language.grammar()?;
    let (units, risk) = sources(language)?;
    let (index, source) = match which {
        Which::Units => (2 * language as usize, units),
        Which::Risk => (2 * language as usize + 1, risk),
    };
    Some(CELLS[index].get_or_init(|| QueryFile::new(language, which, grammar, source)).as_ref())
}

impl QueryFile {
    fn new(
        language: Language,
        which: Which,
        grammar: tree_sitter::Language,
        source: &'static str,
    ) -> Result<QueryFile, QueryProblem> {
        let problem = |message: String| QueryProblem { language: language.name(), file: which.file(), message };
        let patterns = split_patterns(source).map_err(problem)?;
        let mut all_words: Vec<String> = Vec::new();
        let mut word_patterns: Vec<Vec<usize>> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            for word in p.needs.iter().flatten() {
                match all_words.iter().position(|w| w == word) {
                    Some(k) => word_patterns[k].push(i),
                    None => {
                        all_words.push(word.clone());
                        word_patterns.push(vec![i]);
                    }
                }
            }
        }
        let words = if all_words.is_empty() {
            None
        } else {
            let built = AhoCorasick::builder().ascii_case_insensitive(true).build(&all_words);
            Some(built.map_err(|e| problem(format!("cannot build the word search: {e}")))?)
        };
        Ok(QueryFile {
            language,
            which,
            grammar,
            patterns,
            words,
            word_patterns,
            full: OnceLock::new(),
            selections: Mutex::new(Vec::new()),
        })
    }

    /// Every pattern, compiled.
    fn full(&'static self) -> Result<&'static Compiled, &'static QueryProblem> {
        *self.full.get_or_init(|| {
            let all: Vec<usize> = (0..self.patterns.len()).collect();
            self.compile(&all).map(leak).map_err(leak)
        })
    }

    /// Which patterns `text` needs.
    fn needed(&self, text: &str) -> Vec<bool> {
        let mut need: Vec<bool> = self.patterns.iter().map(|p| p.needs.is_none()).collect();
        let Some(words) = &self.words else { return need };
        // Unicode case folding maps these onto ASCII letters, which a `(?i)`
        // regex would match and an ASCII comparison would not.
        if text.contains(['\u{17F}', '\u{212A}']) {
            return vec![true; need.len()];
        }
        for found in words.find_overlapping_iter(text) {
            for &p in &self.word_patterns[found.pattern().as_usize()] {
                need[p] = true;
            }
        }
        need
    }

    /// Whether a compiled selection holding the patterns of `need` exists.
    fn has(&self, need: &[bool]) -> bool {
        self.full.get().is_some()
            || self.selections.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|(m, _)| holds(m, need))
    }

    /// The compiled patterns `text` needs.
    fn select(&'static self, text: &str) -> Result<&'static Compiled, &'static QueryProblem> {
        if let Some(full) = self.full.get() {
            return *full;
        }
        self.select_needed(&self.needed(text))
    }

    fn select_needed(&'static self, need: &[bool]) -> Result<&'static Compiled, &'static QueryProblem> {
        if let Some(full) = self.full.get() {
            return *full;
        }
        // Held while compiling: a second thread that needs the same waits
        // for it rather than compiling it again.
        let mut selections = self.selections.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, compiled)) = selections.iter().find(|(m, _)| holds(m, need)) {
            return Ok(compiled);
        }
        if need.iter().all(|&n| n) || selections.len() >= MAX_SELECTIONS {
            drop(selections);
            return self.full();
        }
        let chosen: Vec<usize> = need.iter().enumerate().filter(|&(_, &n)| n).map(|(i, _)| i).collect();
        let compiled = leak(self.compile(&chosen).map_err(leak)?);
        selections.push((need.to_vec(), compiled));
        Ok(compiled)
    }

    /// The patterns `chosen` (indices, ascending), compiled.
    fn compile(&self, chosen: &[usize]) -> Result<Compiled, QueryProblem> {
        let text: String = chosen.iter().map(|&i| self.patterns[i].text).collect::<Vec<_>>().join("\n");
        let mut compiled = build(self.language, &self.grammar, self.which, &text)?;
        if compiled.query.pattern_count() != chosen.len() {
            return Err(QueryProblem {
                language: self.language.name(),
                file: self.which.file(),
                message: format!(
                    "split into {} patterns, tree-sitter counts {}",
                    chosen.len(),
                    compiled.query.pattern_count()
                ),
            });
        }
        compiled.global = chosen.to_vec();
        Ok(compiled)
    }
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Whether selection `have` holds every pattern of `need`.
fn holds(have: &[bool], need: &[bool]) -> bool {
    have.iter().zip(need).all(|(&h, &n)| h || !n)
}

/// The top-level patterns of a query file, each with the words its
/// `; needs:` comment line names.
fn split_patterns(source: &'static str) -> Result<Vec<Pattern>, String> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut needs: Option<Vec<String>> = None;
    let mut i = 0;
    let line_end = |from: usize| source[from..].find('\n').map_or(source.len(), |n| from + n);
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b';' => {
                let end = line_end(i);
                let comment = source[i..end].trim_start_matches(';').trim();
                if let Some(words) = comment.strip_prefix("needs:") {
                    let words: Vec<String> = words.split_whitespace().map(str::to_ascii_lowercase).collect();
                    if words.is_empty() {
                        return Err(format!("`; needs:` without words at byte {i}"));
                    }
                    needs = Some(words);
                }
                i = end;
            }
            b'(' | b'[' => {
                let start = i;
                let mut depth = 0usize;
                while i < b.len() {
                    match b[i] {
                        b'(' | b'[' => depth += 1,
                        b')' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        b'"' => {
                            i += 1;
                            while i < b.len() && b[i] != b'"' {
                                i += if b[i] == b'\\' { 2 } else { 1 };
                            }
                        }
                        b';' => i = line_end(i) - 1,
                        _ => {}
                    }
                    i += 1;
                }
                if depth != 0 {
                    return Err(format!("unbalanced pattern at byte {start}"));
                }
                // Quantifiers and captures after the closing bracket.
                loop {
                    let mut j = i;
                    while j < b.len() && matches!(b[j], b' ' | b'\t') {
                        j += 1;
                    }
                    match b.get(j) {
                        Some(b'*' | b'+' | b'?') => i = j + 1,
                        Some(b'@') => {
                            j += 1;
                            while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'_' | b'.' | b'-')) {
                                j += 1;
                            }
                            i = j;
                        }
                        _ => break,
                    }
                }
                out.push(Pattern { text: &source[start..i], needs: needs.take() });
            }
            _ => return Err(format!("unexpected {:?} at byte {i}", b[i] as char)),
        }
    }
    if needs.is_some() {
        return Err("`; needs:` after the last pattern".into());
    }
    Ok(out)
}

fn build(
    language: Language,
    grammar: &tree_sitter::Language,
    which: Which,
    source: &str,
) -> Result<Compiled, QueryProblem> {
    let problem = |message: String| QueryProblem { language: language.name(), file: which.file(), message };
    let query = Query::new(grammar, source).map_err(|e| problem(e.to_string()))?;
    let global = (0..query.pattern_count()).collect();
    let mut compiled =
        Compiled { query, global, unit_captures: Vec::new(), unit_parents: Vec::new(), risk_tags: Vec::new() };
    let query = &compiled.query;
    match which {
        Which::Units => {
            compiled.unit_captures = query
                .capture_names()
                .iter()
                .map(|name| match *name {
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
            for pattern in 0..query.pattern_count() {
                let mut predicates = Vec::new();
                for predicate in query.general_predicates(pattern) {
                    predicates.push(parent_predicate(grammar, predicate).map_err(problem)?);
                }
                compiled.unit_parents.push(predicates);
            }
        }
        Which::Risk => {
            for pattern in 0..query.pattern_count() {
                if let Some(predicate) = query.general_predicates(pattern).first() {
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
                    assert!(q.units.query.pattern_count() > 0, "{language:?} has no unit patterns");
                    assert!(q.risk.query.pattern_count() > 0, "{language:?} has no risk patterns");
                }
            }
        }
    }

    #[test]
    fn every_grammar_language_captures_units_named_and_some_risk() {
        for language in Language::ALL {
            let Some(Ok(q)) = queries(language) else { continue };
            let captures = q.units.query.capture_names();
            assert!(captures.contains(&"name"), "{language:?}");
            assert!(captures.contains(&"unit.function") || captures.contains(&"unit.method"), "{language:?}");
            let tags: Vec<_> = q.risk.query.capture_names().iter().filter(|n| !n.starts_with('_')).collect();
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
    fn query_files_split_into_their_patterns() {
        let source = "; c\n(a) @x\n; needs: Foo bar\n((b \"s;)\" ; (\n c) @y (#eq? @y \"q\"))\n[(d) (e)]+ @z @w\n";
        let patterns = split_patterns(source).unwrap();
        let texts: Vec<&str> = patterns.iter().map(|p| p.text).collect();
        assert_eq!(texts, ["(a) @x", "((b \"s;)\" ; (\n c) @y (#eq? @y \"q\"))", "[(d) (e)]+ @z @w"]);
        let needs: Vec<_> = patterns.iter().map(|p| p.needs.clone()).collect();
        assert_eq!(needs, [None, Some(vec!["foo".to_string(), "bar".to_string()]), None]);
        assert!(split_patterns("(a\n").is_err());
        assert!(split_patterns("(a) x").is_err());
        assert!(split_patterns("(a)\n; needs: w\n").is_err());
        // Every file splits into as many patterns as tree-sitter counts
        // (`full` checks it when it compiles).
        for language in Language::ALL {
            for which in [Which::Units, Which::Risk] {
                if let Some(file) = file(language, which) {
                    let file = file.unwrap_or_else(|p| panic!("{p}"));
                    file.full().unwrap_or_else(|p| panic!("{p}"));
                }
            }
        }
    }

    /// The string arguments of the `#eq?` and `#any-of?` predicates of a
    /// pattern, one list per predicate.
    fn literal_predicates(pattern: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for op in ["(#eq? ", "(#any-of? "] {
            for (at, _) in pattern.match_indices(op) {
                // The quoted arguments up to the closing parenthesis, with
                // `\"` and `\\` read as the query reads them.
                let mut args = Vec::new();
                let mut chars = pattern[at + op.len()..].chars();
                while let Some(c) = chars.next() {
                    match c {
                        ')' => break,
                        '"' => {
                            let mut arg = String::new();
                            while let Some(c) = chars.next() {
                                match c {
                                    '"' => break,
                                    '\\' => arg.extend(chars.next()),
                                    c => arg.push(c),
                                }
                            }
                            args.push(arg.to_ascii_lowercase());
                        }
                        _ => {}
                    }
                }
                out.push(args);
            }
        }
        out
    }

    #[test]
    fn needs_words_cover_a_literal_predicate_of_their_pattern() {
        // A pattern with `#eq?` or `#any-of?` predicates matches only text
        // that holds one of a predicate's strings: its words must cover
        // every string of at least one of them. (Patterns with a `#match?`
        // and those that need a keyword of a node kind are checked by
        // reading them, and by the corpus test in `units::tests`.)
        for language in Language::ALL {
            for which in [Which::Units, Which::Risk] {
                let Some(Ok(file)) = file(language, which) else { continue };
                for p in &file.patterns {
                    let Some(words) = &p.needs else { continue };
                    let predicates = literal_predicates(p.text);
                    if predicates.is_empty() || p.text.contains("#match?") {
                        continue;
                    }
                    let covered = predicates
                        .iter()
                        .any(|strings| strings.iter().all(|s| words.iter().any(|w| s.contains(w.as_str()))));
                    assert!(covered, "{language:?} {}: {:?} do not cover {}", which.file(), words, p.text);
                }
            }
        }
    }

    #[test]
    fn a_text_compiles_only_the_patterns_it_needs() {
        let Some(Ok(file)) = file(Language::TypeScript, Which::Risk) else { panic!() };
        let plain = file.needed("const a = 1;\nexport function add(x: number) { return x + a; }\n");
        let risky = file.needed("import { execSync } from 'child_process';\n");
        let needed = |need: &[bool]| need.iter().filter(|&&n| n).count();
        assert!(needed(&plain) < file.patterns.len() / 2, "{plain:?}");
        assert!(needed(&risky) > needed(&plain));
        // A character that Unicode folds onto an ASCII letter needs all.
        assert_eq!(needed(&file.needed("// \u{17F}\n")), file.patterns.len());
        // Case does not matter.
        assert_eq!(file.needed("EXECSYNC()"), file.needed("execsync()"));
        assert!(holds(&[true, true, false], &[true, false, false]));
        assert!(!holds(&[true, false, false], &[false, true, false]));
    }
}
