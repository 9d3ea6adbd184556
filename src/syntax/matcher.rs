//! vouch's own matcher for the part of tree-sitter's query language that
//! `queries/*/*.scm` use: it compiles a query file into patterns and finds
//! their matches in a syntax tree, the job of `tree_sitter::Query` and
//! `tree_sitter::QueryCursor`.
//!
//! Why: `tree_sitter::Query::new` analyses every pattern against the
//! grammar's whole parse table (to plan its cursor), which cost each
//! process tens of milliseconds per language (TypeScript's risk patterns
//! 54 ms) and was the largest fixed cost of a short command such as the
//! commit gate or `vouch blame`. Compiling a file here is reading it and
//! looking its names up, well under a millisecond; a regex of `#match?` is
//! built the first time a match needs it, once per process for every file
//! that uses it (tree-sitter built the SQL regex, 1.5 ms, in every
//! language's risk query, and the authentication regex once per pattern).
//! The `.scm` files stay valid tree-sitter queries, and the tests compare
//! every match found here with tree-sitter's `QueryCursor` on every file of
//! this repository.
//!
//! What is understood, with tree-sitter's meaning:
//! - node patterns `(kind child...)`, the named wildcard `(_)` and the any
//!   node `_` (neither matches an `ERROR` node), anonymous nodes `"unsafe"`,
//!   and supertypes `(statement)` (see below);
//! - fields `name: pattern`; child patterns in order, not necessarily
//!   adjacent (among all the node's children, a named pattern matching only
//!   named nodes); the anchor `.` before the first child pattern (it is the
//!   first named child), between two (nothing named between them) and after
//!   the last (it is the last named child);
//! - alternations `[...]`, groups of one pattern with its predicates
//!   `((...) @x (#eq? @x "y"))`, and captures `@name`;
//! - the predicates `#eq?` and `#any-of?` (a capture's text against
//!   strings) and `#match?` (a regex *search* in a capture's text, as
//!   tree-sitter's Rust binding does); any other predicate whose name ends
//!   in `?` and that tree-sitter does not define is handed to the caller
//!   ([`Pattern::general_predicates`]), as vouch's `#parent?` is.
//!
//! Every way a pattern's child patterns can be assigned to a node's
//! children is a match (tree-sitter reports one per assignment); matches of
//! one pattern at one node with the same captures are reported once.
//! Patterns start at the nodes that meet the byte window asked about
//! (pruning the subtrees that do not), no deeper than a given depth, and
//! are looked up by the node's kind, so a node costs a table lookup; child
//! patterns see the node's children wherever they lie.
//!
//! What is refused, when the file is compiled (a [`QueryProblem`]-style
//! message naming the construct): quantifiers (`+`, `*`, `?`), negated
//! fields (`!field`), `MISSING`, `(supertype/subtype)`, a pattern whose root
//! is a wildcard, a group of several patterns (a sequence of siblings), an
//! anchor in a group, an alternation directly inside an alternation, the
//! predicates tree-sitter defines but this matcher does not (`#not-eq?`,
//! `#any-match?`, `#is?`, `#set!`, ...), `#eq?` between two captures, an
//! unknown node kind, field or capture, and a regex that does not build
//! (checked by [`Query::check_regexes`], which the tests call).
//!
//! Where this matcher differs from tree-sitter: a supertype pattern matches
//! a node whose kind is one of the supertype's subtypes (transitively),
//! whereas tree-sitter matches it only where the grammar's rule wrapped the
//! node in that supertype (a `lexical_declaration` in a `for` loop's
//! initializer is no `statement` to tree-sitter). Under the `#parent?`
//! predicates of the unit patterns that use one (a child of the program,
//! every one of which the grammar wraps) the two agree. And a field pattern
//! `name: (identifier)` takes every child in that field, where tree-sitter's
//! cursor takes only the first of the children a grammar puts in one field
//! through a repetition (in Go's `const l, m = 1, 2`, `l` only): a unit's
//! first match wins, which is tree-sitter's, and a risk pattern can only tag
//! more. Tests pin both differences. Grammars older than ABI 15 do not
//! carry their subtypes; they are read from the grammar's `node-types.json`
//! instead.

use std::ops::Range;
use std::sync::OnceLock;

use tree_sitter::{Node, TreeCursor};

/// The kind id tree-sitter gives `ERROR` nodes.
const ERROR_KIND: u16 = u16::MAX;

/// A capture of a match: capture `index` (into [`Query::capture_names`])
/// holds `node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture<'tree> {
    pub index: u32,
    pub node: Node<'tree>,
}

/// A predicate this matcher does not check, handed to the caller: its
/// operator without `#` (`parent?`) and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneralPredicate {
    pub operator: String,
    pub args: Vec<PredicateArg>,
}

/// An argument of a [`GeneralPredicate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PredicateArg {
    Capture(u32),
    String(String),
}

/// What a node must be.
#[derive(Debug, Clone)]
enum Kind {
    /// This kind id (named or anonymous).
    Id(u16),
    /// `(_)`: any named node but `ERROR`.
    Named,
    /// `_`: any node but `ERROR`.
    Any,
    /// A supertype: any of these kind ids (sorted).
    OneOf(Box<[u16]>),
}

/// A node pattern with its children.
#[derive(Debug, Clone)]
struct NodePattern {
    kind: Kind,
    /// The field the node must be in (0: any).
    field: u16,
    captures: Vec<u32>,
    children: Vec<ChildStep>,
}

/// One child pattern of a node pattern: alternatives at one position.
#[derive(Debug, Clone)]
struct ChildStep {
    /// `.` before it: nothing named between it and the previous child
    /// pattern's node (or the start of the children).
    immediate: bool,
    /// `.` after it: its node is the last named child.
    last: bool,
    alternatives: Vec<NodePattern>,
}

/// A text predicate on a capture.
#[derive(Debug)]
enum TextPredicate {
    Eq(u32, Box<[u8]>),
    AnyOf(u32, Vec<Box<[u8]>>),
    /// Capture, index into [`Query::regexes`].
    Match(u32, usize),
}

/// One top-level pattern of a query file.
#[derive(Debug)]
pub struct Pattern {
    /// Its alternatives at the root (one but for a top-level alternation).
    roots: Vec<NodePattern>,
    text: Vec<TextPredicate>,
    general: Vec<GeneralPredicate>,
    /// Whether a match may be found in more than one way (some node
    /// pattern has children), so that duplicates must be dropped.
    branches: bool,
}

impl Pattern {
    /// The predicates of this pattern that are the caller's to check.
    pub fn general_predicates(&self) -> &[GeneralPredicate] {
        &self.general
    }

    /// Whether a root alternative is a supertype, whose matches differ
    /// from tree-sitter's (see the module documentation).
    pub fn has_supertype_root(&self) -> bool {
        self.roots.iter().any(|r| matches!(r.kind, Kind::OneOf(_)))
    }
}

/// A compiled query file.
#[derive(Debug)]
pub struct Query {
    patterns: Vec<Pattern>,
    capture_names: Vec<String>,
    /// Per node kind id: the (pattern, root alternative) that may start
    /// at a node of that kind, in pattern order.
    by_kind: Vec<Vec<(u32, u32)>>,
    /// The distinct regexes of `#match?`, each built on first use.
    regexes: Vec<TextRegex>,
}

impl Query {
    /// Compile query `source` for `grammar`. `node_types`: the grammar's
    /// `node-types.json`, read for supertypes when the grammar does not
    /// carry them itself. The error says where and what.
    pub fn new(grammar: &tree_sitter::Language, node_types: Option<&str>, source: &str) -> Result<Query, String> {
        let mut parser = Parser { src: source, at: 0, grammar, node_types, names: Vec::new(), kinds: Vec::new() };
        let mut patterns = Vec::new();
        let mut regexes: Vec<TextRegex> = Vec::new();
        loop {
            parser.skip_space();
            if parser.at >= source.len() {
                break;
            }
            let start = parser.at;
            let mut predicates = Vec::new();
            let roots = parser.pattern(&mut predicates).map_err(|e| parser.located(e))?;
            let Some(roots) = roots else {
                return Err(parser.located_at(start, "a predicate outside a pattern".into()));
            };
            if roots.iter().any(|r| matches!(r.kind, Kind::Named | Kind::Any)) {
                return Err(parser.located_at(start, "a pattern whose root is a wildcard is not supported".into()));
            }
            if roots.iter().any(|r| r.field != 0) {
                return Err(parser.located_at(start, "a field on a pattern's root".into()));
            }
            let mut text = Vec::new();
            let mut general = Vec::new();
            for (operator, args) in predicates {
                let capture_then_strings = |at_least: usize, at_most: usize| -> Result<(u32, Vec<String>), String> {
                    let arity = args.len() - 1;
                    match args.split_first() {
                        Some((PredicateArg::Capture(c), rest))
                            if rest.len() >= at_least
                                && rest.len() <= at_most
                                && rest.iter().all(|a| matches!(a, PredicateArg::String(_))) =>
                        {
                            let strings = rest
                                .iter()
                                .filter_map(|a| match a {
                                    PredicateArg::String(s) => Some(s.clone()),
                                    PredicateArg::Capture(_) => None,
                                })
                                .collect();
                            Ok((*c, strings))
                        }
                        _ => Err(format!(
                            "#{operator} takes a capture and {} string{}, not {arity} argument{}",
                            if at_least == at_most { at_least.to_string() } else { "one or more".to_string() },
                            if at_most == 1 { "" } else { "s" },
                            if arity == 1 { "" } else { "s" },
                        )),
                    }
                };
                let located = |e: String| parser.located_at(start, e);
                match operator.as_str() {
                    "eq?" => {
                        let (c, s) = capture_then_strings(1, 1).map_err(located)?;
                        text.push(TextPredicate::Eq(c, s[0].as_bytes().into()));
                    }
                    "any-of?" => {
                        let (c, s) = capture_then_strings(1, usize::MAX).map_err(located)?;
                        text.push(TextPredicate::AnyOf(c, s.iter().map(|s| s.as_bytes().into()).collect()));
                    }
                    "match?" => {
                        let (c, s) = capture_then_strings(1, 1).map_err(located)?;
                        let regex = s.into_iter().next().unwrap_or_default();
                        let index = match regexes.iter().position(|r| r.source == regex) {
                            Some(i) => i,
                            None => {
                                regexes.push(TextRegex::new(regex));
                                regexes.len() - 1
                            }
                        };
                        text.push(TextPredicate::Match(c, index));
                    }
                    "not-eq?" | "any-eq?" | "any-not-eq?" | "not-match?" | "any-match?" | "any-not-match?"
                    | "not-any-of?" | "is?" | "is-not?" | "set!" | "select-adjacent!" | "strip!" => {
                        return Err(located(format!("predicate #{operator} is not supported")));
                    }
                    _ if operator.ends_with('!') => {
                        return Err(located(format!("directive #{operator} is not supported")));
                    }
                    _ => general.push(GeneralPredicate { operator, args }),
                }
            }
            let branches = roots.iter().any(|r| !r.children.is_empty());
            patterns.push(Pattern { roots, text, general, branches });
        }
        let mut by_kind = vec![Vec::new(); grammar.node_kind_count()];
        for (p, pattern) in patterns.iter().enumerate() {
            for (a, root) in pattern.roots.iter().enumerate() {
                let ids: &[u16] = match &root.kind {
                    Kind::Id(id) => std::slice::from_ref(id),
                    Kind::OneOf(ids) => ids,
                    Kind::Named | Kind::Any => &[],
                };
                for &id in ids {
                    if let Some(list) = by_kind.get_mut(id as usize) {
                        list.push((p as u32, a as u32));
                    }
                }
            }
        }
        Ok(Query { patterns, capture_names: parser.names, by_kind, regexes })
    }

    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// The capture names, by capture index (in order of first appearance,
    /// as tree-sitter numbers them).
    pub fn capture_names(&self) -> &[String] {
        &self.capture_names
    }

    /// Build every regex of the query now, in both its forms (see
    /// [`TextRegex`]); the first that does not build, with why.
    pub fn check_regexes(&self) -> Result<(), String> {
        for regex in &self.regexes {
            let source = &regex.source;
            if regex.unicode().is_none() {
                let why = regex::bytes::Regex::new(source).err().map(|e| e.to_string()).unwrap_or_default();
                return Err(format!("regex {source:?} does not build: {why}"));
            }
            if source.is_ascii() && regex.ascii().is_none() {
                let why = ascii_regex(source).err().map(|e| e.to_string()).unwrap_or_default();
                return Err(format!("regex {source:?} does not build without Unicode classes: {why}"));
            }
        }
        Ok(())
    }

    /// Call `each` with the pattern index and the captures of every match
    /// whose root node meets `window` and lies at most `max_start_depth`
    /// levels below `root` (the root's children are at depth 1), in the
    /// order of their roots. `text` is the source `root` was parsed from.
    /// As with tree-sitter's `QueryCursor::set_byte_range`, a node meets
    /// `a..b` if it ends after `a` (or is empty and at `a`) and starts
    /// before `b`; `b == 0` means the end of the text.
    pub fn matches<'tree>(
        &self,
        root: Node<'tree>,
        text: &[u8],
        window: Range<usize>,
        max_start_depth: Option<u32>,
        each: &mut dyn FnMut(usize, &[Capture<'tree>]),
    ) {
        let (start, end) = (window.start, if window.end == 0 { usize::MAX } else { window.end });
        let meets = |n: Node<'_>| {
            let (s, e) = (n.start_byte(), n.end_byte());
            (e > start || (s == e && e == start)) && s < end
        };
        if !meets(root) {
            return;
        }
        let max_depth = max_start_depth.unwrap_or(u32::MAX);
        let mut walk = root.walk();
        let mut scratch = root.walk();
        let mut captures = Vec::new();
        let mut seen: Vec<Vec<Capture<'tree>>> = Vec::new();
        let mut depth = 0u32;
        let mut visited = 0u32;
        loop {
            visited = visited.wrapping_add(1);
            if visited.is_multiple_of(256) {
                crate::cancel::check();
            }
            let node = walk.node();
            self.start_at(node, text, &mut scratch, &mut captures, &mut seen, each);
            if depth < max_depth && first_child_meeting(&mut walk, start, end, &meets) {
                depth += 1;
                continue;
            }
            // On to the next sibling that meets the window, else up.
            loop {
                if depth == 0 {
                    return;
                }
                if next_sibling_meeting(&mut walk, end, &meets) {
                    break;
                }
                walk.goto_parent();
                depth -= 1;
            }
        }
    }

    /// The matches of the patterns that may start at `node`.
    fn start_at<'tree>(
        &self,
        node: Node<'tree>,
        text: &[u8],
        scratch: &mut TreeCursor<'tree>,
        captures: &mut Vec<Capture<'tree>>,
        seen: &mut Vec<Vec<Capture<'tree>>>,
        each: &mut dyn FnMut(usize, &[Capture<'tree>]),
    ) {
        let Some(starts) = self.by_kind.get(node.kind_id() as usize) else { return };
        // The node's children, collected once for all its patterns.
        let mut kids: Option<Vec<Child<'tree>>> = None;
        let mut at = 0;
        while at < starts.len() {
            let p = starts[at].0;
            let pattern = &self.patterns[p as usize];
            seen.clear();
            // Every root alternative of this pattern that may start here.
            while at < starts.len() && starts[at].0 == p {
                let root = &pattern.roots[starts[at].1 as usize];
                at += 1;
                let mut emit = |captures: &mut Vec<Capture<'tree>>, _: &mut TreeCursor<'tree>| {
                    if !self.predicates_hold(pattern, captures, text) {
                        return;
                    }
                    if pattern.branches {
                        if seen.iter().any(|s| s[..] == captures[..]) {
                            return;
                        }
                        seen.push(captures.clone());
                    }
                    each(p as usize, captures);
                };
                captures.clear();
                captures.extend(root.captures.iter().map(|&index| Capture { index, node }));
                if root.children.is_empty() {
                    emit(captures, scratch);
                } else {
                    let kids = kids.get_or_insert_with(|| children(node, scratch));
                    self.match_steps(&root.children, 0, kids, 0, false, scratch, captures, &mut emit);
                }
            }
        }
    }

    /// Match `pattern` at `node` (its kind and field already checked),
    /// calling `k` once per way it matches, with the captures so far.
    fn match_node<'tree>(
        &self,
        pattern: &NodePattern,
        node: Node<'tree>,
        scratch: &mut TreeCursor<'tree>,
        captures: &mut Vec<Capture<'tree>>,
        k: &mut dyn FnMut(&mut Vec<Capture<'tree>>, &mut TreeCursor<'tree>),
    ) {
        let before = captures.len();
        captures.extend(pattern.captures.iter().map(|&index| Capture { index, node }));
        if pattern.children.is_empty() {
            k(captures, scratch);
        } else {
            let children = children(node, scratch);
            self.match_steps(&pattern.children, 0, &children, 0, false, scratch, captures, k);
        }
        captures.truncate(before);
    }

    /// Match child patterns `steps[i..]` against `children[from..]`.
    /// `seeking`: the previous child pattern was `_` and this one is
    /// anchored to it, so only the very next child may match.
    #[allow(clippy::too_many_arguments)]
    fn match_steps<'tree>(
        &self,
        steps: &[ChildStep],
        i: usize,
        children: &[Child<'tree>],
        from: usize,
        seeking: bool,
        scratch: &mut TreeCursor<'tree>,
        captures: &mut Vec<Capture<'tree>>,
        k: &mut dyn FnMut(&mut Vec<Capture<'tree>>, &mut TreeCursor<'tree>),
    ) {
        let Some(step) = steps.get(i) else {
            k(captures, scratch);
            return;
        };
        for (j, child) in children.iter().enumerate().skip(from) {
            if !(step.last && child.later_named) {
                for alternative in &step.alternatives {
                    if (alternative.field == 0 || alternative.field == child.field) && alternative.kind.admits(child) {
                        let next_seeking =
                            matches!(alternative.kind, Kind::Any) && steps.get(i + 1).is_some_and(|s| s.immediate);
                        self.match_node(alternative, child.node, scratch, captures, &mut |captures, scratch| {
                            self.match_steps(steps, i + 1, children, j + 1, next_seeking, scratch, captures, k)
                        });
                    }
                }
            }
            // An anchored child pattern may skip anonymous nodes only.
            if seeking || (step.immediate && child.named) {
                break;
            }
        }
    }

    fn predicates_hold(&self, pattern: &Pattern, captures: &[Capture<'_>], text: &[u8]) -> bool {
        let texts = |c: u32| {
            captures.iter().filter(move |x| x.index == c).map(|x| text.get(x.node.byte_range()).unwrap_or_default())
        };
        pattern.text.iter().all(|predicate| match predicate {
            TextPredicate::Eq(c, s) => texts(*c).all(|t| t == &s[..]),
            TextPredicate::AnyOf(c, v) => texts(*c).all(|t| v.iter().any(|s| t == &s[..])),
            // A regex that does not build (the tests rule it out) holds:
            // more risk tags and units, never fewer.
            TextPredicate::Match(c, r) => texts(*c).all(|t| self.regexes[*r].is_match(t).unwrap_or(true)),
        })
    }
}

/// The regex of a `#match?`, in two forms built on first use: with
/// Unicode classes (the regex crate's default, tree-sitter's meaning) and,
/// when its source is ASCII, without them (`\w`, `\s`, `\b`, `.` and
/// `(?i)` on ASCII only). On ASCII text the two find the same matches: the
/// Unicode classes differ from the ASCII ones only in characters outside
/// ASCII (`\w` holds no other ASCII character than `[0-9A-Za-z_]`, `\s` no
/// other than `[\t\n\v\f\r ]`, and case folding takes an ASCII letter only
/// to itself, its other case, or a non-ASCII character such as the Kelvin
/// sign), so on ASCII text, nearly every capture, the ASCII form answers;
/// it costs a fraction to build (the SQL and authentication regexes'
/// Unicode word classes were a sixth of the matcher's time in `vouch
/// blame`) and its lazy DFA never gives up on a Unicode word boundary.
/// Text with any other byte gets the Unicode form. Tests compare the two
/// on random ASCII text.
#[derive(Debug)]
struct TextRegex {
    source: String,
    unicode: OnceLock<Option<regex::bytes::Regex>>,
    ascii: OnceLock<Option<regex::bytes::Regex>>,
}

impl TextRegex {
    fn new(source: String) -> TextRegex {
        TextRegex { source, unicode: OnceLock::new(), ascii: OnceLock::new() }
    }

    /// The Unicode form (`None` if it does not build).
    fn unicode(&self) -> Option<&regex::bytes::Regex> {
        self.unicode.get_or_init(|| shared_regex(&self.source, false)).as_ref()
    }

    /// The ASCII form (`None` if the source is not ASCII or it does not
    /// build).
    fn ascii(&self) -> Option<&regex::bytes::Regex> {
        self.ascii.get_or_init(|| if self.source.is_ascii() { shared_regex(&self.source, true) } else { None }).as_ref()
    }

    /// Whether the regex finds a match in `text`; `None` if it does not
    /// build. On ASCII text the ASCII form answers without the Unicode
    /// form being built: [`Query::check_regexes`], which the tests call on
    /// every query vouch ships, checks that both forms build.
    fn is_match(&self, text: &[u8]) -> Option<bool> {
        if text.is_ascii()
            && let Some(ascii) = self.ascii()
        {
            return Some(ascii.is_match(text));
        }
        self.unicode().map(|regex| regex.is_match(text))
    }
}

/// The regex `source` without Unicode classes.
fn ascii_regex(source: &str) -> Result<regex::bytes::Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(source).unicode(false).build()
}

/// The regex `source` (`None` if it does not build), with or without
/// Unicode classes, built once per process: the query files of several
/// languages share their SQL and authentication regexes, the costliest to
/// build.
fn shared_regex(source: &str, ascii: bool) -> Option<regex::bytes::Regex> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Built = HashMap<(String, bool), Option<regex::bytes::Regex>>;
    static BUILT: Mutex<Option<Built>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(regex) = built.get(&(source.to_string(), ascii)) {
        return regex.clone();
    }
    let regex = if ascii { ascii_regex(source).ok() } else { regex::bytes::Regex::new(source).ok() };
    built.insert((source.to_string(), ascii), regex.clone());
    regex
}

impl Kind {
    fn admits(&self, child: &Child<'_>) -> bool {
        match self {
            Kind::Id(id) => child.kind == *id,
            Kind::Named => child.named && child.kind != ERROR_KIND,
            Kind::Any => child.kind != ERROR_KIND,
            Kind::OneOf(ids) => ids.binary_search(&child.kind).is_ok(),
        }
    }
}

/// A child of a node, as child patterns see it.
struct Child<'tree> {
    node: Node<'tree>,
    kind: u16,
    named: bool,
    /// Its field id (0: none).
    field: u16,
    /// Whether a named child follows it.
    later_named: bool,
}

fn children<'tree>(node: Node<'tree>, cursor: &mut TreeCursor<'tree>) -> Vec<Child<'tree>> {
    let mut out = Vec::new();
    cursor.reset(node);
    if cursor.goto_first_child() {
        loop {
            let n = cursor.node();
            let field = cursor.field_id().map_or(0, |f| f.get());
            out.push(Child { node: n, kind: n.kind_id(), named: n.is_named(), field, later_named: false });
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    let mut named_after = false;
    for child in out.iter_mut().rev() {
        child.later_named = named_after;
        named_after |= child.named;
    }
    out
}

/// Move `walk` to the first child of its node that meets the window
/// (`start..end`, see [`Query::matches`]); `false`, not moved, if none.
fn first_child_meeting(walk: &mut TreeCursor<'_>, start: usize, end: usize, meets: &dyn Fn(Node<'_>) -> bool) -> bool {
    // The first child that ends at or after `start`: those before it
    // cannot meet the window. (tree-sitter's search gives up inside a
    // hidden node whose visible children end before it; then look at
    // every child.)
    let moved = if start > 0 { walk.goto_first_child_for_byte(start - 1).is_some() } else { false };
    if !moved && !walk.goto_first_child() {
        return false;
    }
    if meets(walk.node()) || next_sibling_meeting(walk, end, meets) {
        return true;
    }
    walk.goto_parent();
    false
}

/// Move `walk` to the next sibling that meets the window; `false` if none
/// (`walk` then stands somewhere among the siblings).
fn next_sibling_meeting(walk: &mut TreeCursor<'_>, end: usize, meets: &dyn Fn(Node<'_>) -> bool) -> bool {
    while walk.goto_next_sibling() {
        let node = walk.node();
        if meets(node) {
            return true;
        }
        if node.start_byte() >= end {
            return false;
        }
    }
    false
}

/// A parser of query text into patterns.
struct Parser<'a> {
    src: &'a str,
    at: usize,
    grammar: &'a tree_sitter::Language,
    node_types: Option<&'a str>,
    names: Vec<String>,
    /// Kind ids looked up so far: `id_for_node_kind` scans every kind.
    kinds: Vec<((String, bool), u16)>,
}

/// A predicate as parsed: operator and arguments.
type RawPredicate = (String, Vec<PredicateArg>);

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => self.at += 1,
                b';' => self.at = self.src[self.at..].find('\n').map_or(self.src.len(), |n| self.at + n),
                _ => break,
            }
        }
    }

    fn located(&self, message: String) -> String {
        self.located_at(self.at, message)
    }

    fn located_at(&self, at: usize, message: String) -> String {
        let line = self.src[..at.min(self.src.len())].matches('\n').count() + 1;
        format!("line {line}: {message}")
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        self.skip_space();
        if self.peek() != Some(c) {
            return Err(format!("expected {:?}", c as char));
        }
        self.at += 1;
        Ok(())
    }

    fn identifier(&mut self) -> &'a str {
        let start = self.at;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.') || c >= 0x80 {
                self.at += 1;
            } else {
                break;
            }
        }
        &self.src[start..self.at]
    }

    /// A `"..."` string, read as tree-sitter reads it (`\n`, `\r`, `\t`,
    /// `\0`; any other escaped character stands for itself).
    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = String::new();
        let mut chars = self.src[self.at..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(out);
                }
                '\n' => break,
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, '0')) => out.push('\0'),
                    Some((_, c)) => out.push(c),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }

    fn kind_id(&mut self, name: &str, named: bool) -> Result<u16, String> {
        if let Some(&(_, id)) = self.kinds.iter().find(|((k, n), _)| k == name && *n == named) {
            return Ok(id);
        }
        let id = self.grammar.id_for_node_kind(name, named);
        if id == 0 {
            return Err(if named {
                format!("unknown node kind ({name})")
            } else {
                format!("unknown node kind {name:?}")
            });
        }
        self.kinds.push(((name.to_string(), named), id));
        Ok(id)
    }

    /// The kind ids of supertype `id`'s subtypes, transitively, sorted.
    fn subtypes(&mut self, id: u16, name: &str) -> Result<Box<[u16]>, String> {
        let grammar = self.grammar;
        let mut out = Vec::new();
        let mut todo = vec![(id, name.to_string())];
        while let Some((id, name)) = todo.pop() {
            let own = grammar.subtypes_for_supertype(id);
            let direct: Vec<(u16, String)> = if own.is_empty() {
                // Kinds by name; a supertype is "named" in node-types.json
                // whatever the grammar's metadata says of it.
                let listed = self.node_types.map(|json| subtypes_in_node_types(json, &name)).transpose()?;
                let mut direct = Vec::new();
                for (kind, named) in listed.unwrap_or_default() {
                    let mut sub = grammar.id_for_node_kind(&kind, named);
                    if sub == 0 {
                        sub = grammar.id_for_node_kind(&kind, !named);
                    }
                    if sub == 0 {
                        return Err(format!("unknown node kind ({kind}) among the subtypes of ({name})"));
                    }
                    direct.push((sub, kind));
                }
                direct
            } else {
                own.iter().map(|&s| (s, grammar.node_kind_for_id(s).unwrap_or_default().to_string())).collect()
            };
            if direct.is_empty() {
                return Err(format!("no subtypes known for supertype ({name})"));
            }
            for (sub, kind) in direct {
                if grammar.node_kind_is_supertype(sub) {
                    todo.push((sub, kind));
                } else {
                    // The id nodes of this kind report (aliases share one).
                    let public = grammar.id_for_node_kind(&kind, grammar.node_kind_is_named(sub));
                    out.push(if public == 0 { sub } else { public });
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out.into())
    }

    fn capture(&mut self) -> Result<u32, String> {
        self.at += 1;
        let name = self.identifier();
        if name.is_empty() {
            return Err("a capture without a name".into());
        }
        Ok(match self.names.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                self.names.push(name.to_string());
                (self.names.len() - 1) as u32
            }
        })
    }

    /// One pattern with its suffixes: its alternatives, or `None` for a
    /// predicate (added to `predicates`).
    fn pattern(&mut self, predicates: &mut Vec<RawPredicate>) -> Result<Option<Vec<NodePattern>>, String> {
        self.skip_space();
        let mut alternatives = match self.peek() {
            Some(b'[') => {
                self.at += 1;
                let mut all = Vec::new();
                loop {
                    self.skip_space();
                    match self.peek() {
                        Some(b']') => {
                            self.at += 1;
                            break;
                        }
                        Some(b'[') => {
                            return Err("an alternation directly inside an alternation is not supported".into());
                        }
                        None => return Err("unterminated alternation".into()),
                        _ => {}
                    }
                    match self.pattern(predicates)? {
                        Some(branch) => all.extend(branch),
                        None => return Err("a predicate inside an alternation".into()),
                    }
                }
                if all.is_empty() {
                    return Err("an empty alternation".into());
                }
                all
            }
            Some(b'(') => {
                self.at += 1;
                self.skip_space();
                match self.peek() {
                    Some(b'(' | b'"' | b'[') => self.group(predicates)?,
                    Some(b'#') => {
                        self.at += 1;
                        let predicate = self.predicate()?;
                        predicates.push(predicate);
                        return Ok(None);
                    }
                    _ => vec![self.node(predicates)?],
                }
            }
            Some(b'_') => {
                self.at += 1;
                vec![NodePattern { kind: Kind::Any, field: 0, captures: Vec::new(), children: Vec::new() }]
            }
            Some(b'"') => {
                let name = self.string()?;
                let id = self.kind_id(&name, false)?;
                vec![NodePattern { kind: Kind::Id(id), field: 0, captures: Vec::new(), children: Vec::new() }]
            }
            Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                let name = self.identifier();
                self.skip_space();
                if self.peek() != Some(b':') {
                    return Err(format!("expected `:` after field name {name}"));
                }
                self.at += 1;
                let field = self.grammar.field_id_for_name(name).ok_or_else(|| format!("unknown field {name}:"))?;
                let Some(mut inner) = self.pattern(predicates)? else {
                    return Err(format!("field {name}: holds a predicate"));
                };
                for alternative in &mut inner {
                    alternative.field = field.get();
                }
                return Ok(Some(inner));
            }
            Some(c) => return Err(format!("unexpected {:?}", c as char)),
            None => return Err("unexpected end of the query".into()),
        };
        // Suffixes: captures; quantifiers are refused.
        loop {
            self.skip_space();
            match self.peek() {
                Some(b'@') => {
                    let capture = self.capture()?;
                    for alternative in &mut alternatives {
                        alternative.captures.push(capture);
                    }
                }
                Some(c @ (b'+' | b'*' | b'?')) => return Err(format!("quantifier `{}` is not supported", c as char)),
                _ => break,
            }
        }
        Ok(Some(alternatives))
    }

    /// A group `(pattern predicate...)` after its `(`: one pattern, any
    /// number of predicates.
    fn group(&mut self, predicates: &mut Vec<RawPredicate>) -> Result<Vec<NodePattern>, String> {
        let mut found: Option<Vec<NodePattern>> = None;
        loop {
            self.skip_space();
            match self.peek() {
                Some(b')') => {
                    self.at += 1;
                    break;
                }
                Some(b'.') => return Err("an anchor in a group is not supported".into()),
                None => return Err("unterminated group".into()),
                _ => {}
            }
            if let Some(pattern) = self.pattern(predicates)? {
                if found.is_some() {
                    return Err("a group of several patterns (a sequence) is not supported".into());
                }
                found = Some(pattern);
            }
        }
        found.ok_or_else(|| "a group without a pattern".into())
    }

    /// A node pattern after its `(`: kind, children, `)`.
    fn node(&mut self, predicates: &mut Vec<RawPredicate>) -> Result<NodePattern, String> {
        let name = self.identifier();
        let kind = match name {
            "" => return Err("expected a node kind".into()),
            "_" => Kind::Named,
            "MISSING" => return Err("(MISSING) is not supported".into()),
            _ if self.peek() == Some(b'/') => return Err("(supertype/subtype) is not supported".into()),
            _ => {
                let id = self.kind_id(name, true)?;
                if self.grammar.node_kind_is_supertype(id) {
                    Kind::OneOf(self.subtypes(id, name)?)
                } else {
                    Kind::Id(id)
                }
            }
        };
        let mut children: Vec<ChildStep> = Vec::new();
        let mut immediate = false;
        loop {
            self.skip_space();
            match self.peek() {
                Some(b')') => {
                    self.at += 1;
                    break;
                }
                Some(b'.') => {
                    self.at += 1;
                    self.skip_space();
                    if self.peek() == Some(b')') {
                        match children.last_mut() {
                            Some(last) => last.last = true,
                            None => return Err("an anchor with no child pattern".into()),
                        }
                        continue;
                    }
                    immediate = true;
                    continue;
                }
                Some(b'!') => return Err("negated fields (`!field`) are not supported".into()),
                None => return Err(format!("unterminated node pattern ({name}")),
                _ => {}
            }
            if let Some(alternatives) = self.pattern(predicates)? {
                children.push(ChildStep { immediate, last: false, alternatives });
                immediate = false;
            }
        }
        Ok(NodePattern { kind, field: 0, captures: Vec::new(), children })
    }

    /// A predicate after its `(#`: name, arguments, `)`.
    fn predicate(&mut self) -> Result<RawPredicate, String> {
        let name = self.identifier();
        let Some(mark @ (b'?' | b'!')) = self.peek() else {
            return Err(format!("predicate #{name} does not end in `?` or `!`"));
        };
        self.at += 1;
        let operator = format!("{name}{}", mark as char);
        let mut args = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(b')') => {
                    self.at += 1;
                    return Ok((operator, args));
                }
                Some(b'@') => {
                    let at = self.at;
                    self.at += 1;
                    let name = self.identifier();
                    match self.names.iter().position(|n| n == name) {
                        Some(i) => args.push(PredicateArg::Capture(i as u32)),
                        None => {
                            self.at = at;
                            return Err(format!("#{operator} names unknown capture @{name}"));
                        }
                    }
                }
                Some(b'"') => args.push(PredicateArg::String(self.string()?)),
                Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                    args.push(PredicateArg::String(self.identifier().to_string()))
                }
                Some(c) => return Err(format!("unexpected {:?} in #{operator}", c as char)),
                None => return Err(format!("unterminated #{operator}")),
            }
        }
    }
}

/// The direct subtypes of supertype `name` in a grammar's
/// `node-types.json`: (kind, named) pairs.
fn subtypes_in_node_types(json: &str, name: &str) -> Result<Vec<(String, bool)>, String> {
    #[derive(serde::Deserialize)]
    struct Entry<'a> {
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
        named: bool,
        #[serde(default, borrow)]
        subtypes: Vec<Sub<'a>>,
    }
    #[derive(serde::Deserialize)]
    struct Sub<'a> {
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
        named: bool,
    }
    let entries: Vec<Entry<'_>> =
        serde_json::from_str(json).map_err(|e| format!("the grammar's node-types.json does not read: {e}"))?;
    Ok(entries
        .into_iter()
        .find(|e| e.named && e.kind == name && !e.subtypes.is_empty())
        .map(|e| e.subtypes.into_iter().map(|s| (s.kind.into_owned(), s.named)).collect())
        .unwrap_or_default())
}

/// The matches tree-sitter's own `QueryCursor` finds for `query` (the
/// same file compiled by tree-sitter), given as [`Query::matches`] gives
/// them: the reference the tests compare the matcher with.
#[cfg(test)]
pub(crate) fn reference_matches<'tree>(
    query: &tree_sitter::Query,
    root: Node<'tree>,
    text: &[u8],
    window: Range<usize>,
    max_start_depth: Option<u32>,
    each: &mut dyn FnMut(usize, &[Capture<'tree>]),
) {
    use tree_sitter::StreamingIterator;
    let mut cursor = tree_sitter::QueryCursor::new();
    cursor.set_max_start_depth(max_start_depth);
    cursor.set_byte_range(window);
    let mut matches = cursor.matches(query, root, text);
    while let Some(m) = matches.next() {
        let captures: Vec<Capture<'tree>> =
            m.captures.iter().map(|c| Capture { index: c.index, node: c.node }).collect();
        each(m.pattern_index, &captures);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::Language;

    fn parse(language: Language, source: &str) -> tree_sitter::Tree {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&language.grammar().unwrap()).unwrap();
        parser.parse(source, None).unwrap()
    }

    /// The matches of `query` in `source` as (pattern, [(capture, text)]),
    /// by the matcher and by tree-sitter.
    /// Matches as (pattern, [(capture name, text)]).
    type Found = Vec<(usize, Vec<(String, String)>)>;

    fn both(language: Language, query: &str, source: &str) -> [Found; 2] {
        let grammar = language.grammar().unwrap();
        let ours = Query::new(&grammar, language.node_types(), query).unwrap();
        let theirs = tree_sitter::Query::new(&grammar, query).unwrap();
        let tree = parse(language, source);
        let names = ours.capture_names();
        let mut out = [Vec::new(), Vec::new()];
        {
            let [a, b] = &mut out;
            let collect = |slot: &mut Vec<_>, pattern: usize, captures: &[Capture<'_>]| {
                let mut caps: Vec<(String, String)> = captures
                    .iter()
                    .map(|c| (names[c.index as usize].clone(), source[c.node.byte_range()].to_string()))
                    .collect();
                caps.sort();
                slot.push((pattern, caps));
            };
            let root = tree.root_node();
            ours.matches(root, source.as_bytes(), 0..source.len(), None, &mut |p, c| collect(a, p, c));
            reference_matches(&theirs, root, source.as_bytes(), 0..source.len(), None, &mut |p, c| collect(b, p, c));
        }
        for list in &mut out {
            list.sort();
            list.dedup();
        }
        out
    }

    #[test]
    fn child_patterns_match_in_every_way_and_anchors_hold() {
        // Each assignment of a child pattern to a child is a match; `.`
        // anchors to the first and last named child; `_` and anonymous
        // nodes; fields; a predicate inside a node pattern.
        let cases = [
            (Language::Rust, "(use_list (identifier) @x)", "use a::{B, C, D};"),
            (Language::Rust, "(use_list . (identifier) @x)", "use a::{B, C, D};"),
            (Language::Rust, "(use_list (identifier) @x .)", "use a::{B, C, D};"),
            (Language::Rust, "(use_list (identifier) @x (identifier) @y)", "use a::{B, C, D};"),
            (Language::Rust, "(use_list (identifier) @x . (identifier) @y)", "use a::{B, C, D};"),
            (Language::Rust, "(use_list \"{\" . _ @x)", "use a::{B, C};"),
            (Language::Rust, "(function_item \"fn\" @x name: (_) @y)", "fn f() {}"),
            (
                Language::Rust,
                "(call_expression function: [(identifier) @f (field_expression field: (_) @f)] (#eq? @f \"g\"))",
                "fn m() { g(); a.g(); h(); }",
            ),
            (
                Language::Go,
                "(type_declaration . (type_spec name: (_) @n) .) @t",
                "package p\ntype A int\ntype ( B int; C int )\n",
            ),
            (
                Language::Python,
                "((dotted_name . (identifier) @x) (#any-of? @x \"os\" \"a\"))",
                "import os.path\nimport a.os\n",
            ),
            (Language::TypeScript, "((lexical_declaration) @s (#match? @s \"^co\"))", "const a = 1;\nlet b = 2;\n"),
        ];
        for (language, query, source) in cases {
            let [ours, theirs] = both(language, query, source);
            assert!(!theirs.is_empty(), "{query}");
            assert_eq!(ours, theirs, "{query} on {source}");
        }
    }

    #[test]
    fn a_supertype_matches_every_node_of_its_subtypes() {
        // Where vouch differs from tree-sitter (see the module
        // documentation): the `lexical_declaration` of a `for` loop's head
        // is a statement to vouch, not to tree-sitter, which asks whether
        // the grammar wrapped it in one there. (Under `#parent? "program"`, as
        // `queries/javascript/units.scm` uses it, the two agree: the
        // differential tests in `units` compare them there.)
        let source = "for (let i = 0; i < 1; i++) {}\n";
        let [ours, theirs] = both(Language::JavaScript, "(statement) @s", source);
        let texts = |list: &[(usize, Vec<(String, String)>)]| -> Vec<String> {
            list.iter().map(|(_, c)| c[0].1.clone()).collect()
        };
        assert_eq!(texts(&theirs), ["for (let i = 0; i < 1; i++) {}", "{}"]);
        assert_eq!(texts(&ours), ["for (let i = 0; i < 1; i++) {}", "let i = 0;", "{}"]);
    }

    #[test]
    fn a_field_pattern_takes_every_child_in_the_field() {
        // Where vouch differs from tree-sitter (see the module
        // documentation): Go's `const l, m = 1, 2` has two children in
        // field `name`; tree-sitter's cursor matches `name: (identifier)`
        // with the first only, the matcher with both.
        let source = "package p\nconst l, m = 1, 2\n";
        let [ours, theirs] = both(Language::Go, "(const_spec name: (identifier) @n)", source);
        let texts = |list: &[(usize, Vec<(String, String)>)]| -> Vec<String> {
            list.iter().map(|(_, c)| c[0].1.clone()).collect()
        };
        assert_eq!(texts(&theirs), ["l"]);
        assert_eq!(texts(&ours), ["l", "m"]);
        // Without the field both find both.
        let [ours, theirs] = both(Language::Go, "(const_spec (identifier) @n)", source);
        assert_eq!(
            (texts(&ours), texts(&theirs)),
            (vec!["l".to_string(), "m".into()], vec!["l".to_string(), "m".into()])
        );
    }

    #[test]
    fn supertypes_read_from_node_types_are_the_grammars() {
        // TypeScript's grammar (ABI 14) does not carry its subtypes: they
        // are read from its node-types.json, which for JavaScript's grammar
        // (ABI 15) says what the grammar says of itself.
        let grammar = Language::JavaScript.grammar().unwrap();
        for &supertype in grammar.supertypes() {
            let name = grammar.node_kind_for_id(supertype).unwrap();
            let mut own: Vec<String> = grammar
                .subtypes_for_supertype(supertype)
                .iter()
                .map(|&s| grammar.node_kind_for_id(s).unwrap().to_string())
                .collect();
            let mut read: Vec<String> = subtypes_in_node_types(tree_sitter_javascript::NODE_TYPES, name)
                .unwrap()
                .into_iter()
                .map(|(kind, _)| kind)
                .collect();
            own.sort();
            read.sort();
            assert!(!own.is_empty(), "{name}");
            assert_eq!(read, own, "{name}");
        }
        let typescript = Language::TypeScript.grammar().unwrap();
        let err = Query::new(&typescript, None, "(statement) @s").unwrap_err();
        assert_eq!(err, "line 1: no subtypes known for supertype (statement)");
        let query = Query::new(&typescript, Language::TypeScript.node_types(), "(statement) @s").unwrap();
        let Kind::OneOf(ids) = &query.patterns[0].roots[0].kind else { panic!() };
        let function = typescript.id_for_node_kind("function_declaration", true);
        assert!(ids.contains(&function), "a declaration is a statement");
    }

    /// Every `#match?` regex of the queries vouch ships.
    fn shipped_regexes() -> Vec<&'static TextRegex> {
        let mut all: Vec<&'static TextRegex> = Vec::new();
        for language in Language::ALL {
            let Some(queries) = crate::syntax::queries::queries(language) else { continue };
            let queries = queries.unwrap();
            for compiled in [queries.units, queries.risk] {
                for regex in &compiled.query.regexes {
                    if !all.iter().any(|r| r.source == regex.source) {
                        all.push(regex);
                    }
                }
            }
        }
        assert!(all.len() > 10, "the risk queries' regexes are found");
        all
    }

    /// Pieces of text the shipped regexes look for (SQL words, the
    /// authentication words in both cases, module paths), mixed with single
    /// ASCII characters: random characters alone would almost never match.
    fn ascii_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let words = proptest::sample::select(vec![
            "select",
            "SELECT",
            "Select",
            "distinct",
            "count",
            "(",
            "*",
            "from",
            "FROM",
            "as",
            "insert",
            "or",
            "into",
            "update",
            "set",
            "delete",
            "create",
            "DROP",
            "table",
            "index",
            "view",
            "auth",
            "Auth",
            "AUTH",
            "token",
            "Token",
            "TOKEN",
            "login",
            "signIn",
            "SignIn",
            "Password",
            "oauth2",
            "OAuth",
            "session",
            "role",
            "jwt",
            "JWT",
            "acl",
            "ACL",
            "authorized",
            "authorised",
            "s",
            "_",
            "::",
            "process",
            "Command",
            "new",
            "libc",
            "execvp",
            "serde_json",
            "from_str",
            "crypto",
            "golang.org/x/crypto",
            "net",
            "\"",
            "k",
            "K",
            "sha2",
            "Sha256",
            "std",
            "tokio",
            "TcpStream",
            "node:",
            "child_process",
            "java.net",
            "sun.misc",
            ".",
            ",",
            "`",
            "x1",
            "9",
        ]);
        let piece = prop_oneof![
            3 => words.prop_map(str::to_string),
            1 => proptest::char::range('\0', '\x7f').prop_map(|c| c.to_string()),
            1 => proptest::sample::select(vec![" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c"]).prop_map(str::to_string),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]
        /// On ASCII text, each shipped regex without Unicode classes finds
        /// a match exactly when the regex with them (tree-sitter's meaning)
        /// does.
        #[test]
        fn ascii_regexes_agree_with_unicode_ones_on_ascii_text(text in ascii_text()) {
            for regex in shipped_regexes() {
                let unicode = regex.unicode().unwrap().is_match(text.as_bytes());
                let ascii = regex.ascii().unwrap().is_match(text.as_bytes());
                proptest::prop_assert_eq!(ascii, unicode, "{:?} on {:?}", regex.source, text);
                proptest::prop_assert_eq!(regex.is_match(text.as_bytes()), Some(unicode));
            }
        }
    }

    #[test]
    fn text_with_other_bytes_is_matched_with_unicode_classes() {
        // `\w` holds `é` only with Unicode classes; `(?i)s` holds the long
        // s, `(?i)k` the Kelvin sign.
        for (source, text) in [("^\\w+$", "café"), ("(?i)^ses$", "ſeſ"), ("(?i)^token$", "to\u{212a}en")] {
            let regex = TextRegex::new(source.to_string());
            assert!(regex.unicode().unwrap().is_match(text.as_bytes()), "{source} {text}");
            assert!(!regex.ascii().unwrap().is_match(text.as_bytes()), "{source} {text}");
            assert_eq!(regex.is_match(text.as_bytes()), Some(true), "{source} {text}");
        }
        // A non-ASCII source has no ASCII form.
        let regex = TextRegex::new("^é$".to_string());
        assert!(regex.ascii().is_none());
        assert_eq!(regex.is_match(b"e"), Some(false));
        // A regex that does not build holds, as before.
        assert_eq!(TextRegex::new("(".to_string()).is_match(b"x"), None);
    }

    #[test]
    fn shipped_regexes_build_in_both_forms() {
        for regex in shipped_regexes() {
            assert!(regex.source.is_ascii(), "{}", regex.source);
            assert!(regex.unicode().is_some(), "{}", regex.source);
            assert!(regex.ascii().is_some(), "{}", regex.source);
        }
    }
}
