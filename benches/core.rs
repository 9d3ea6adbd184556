//! Core benchmark: the cost of edits to a 10,000-line Rust file holding 200
//! AI spans, each beside a bare tree-sitter incremental re-parse of the same
//! edit, measured in the same run.
//!
//! Prints medians, p99 and the ratio to the bare re-parse, and the memory
//! one such document takes; before that, what compiling the queries costs
//! (whole, and for one file's needs), and how analysis scales with deeply
//! nested, very wide and minified (one-line) files, and what a CODEOWNERS of thousands of rules
//! costs a process that judges; and (j) how finding the units of the places
//! an AI removed lines from scales with how many there are. Run: `cargo bench --bench core`, or one
//! section: `cargo bench --bench core -- queries|nesting|codeowners|edits [FILTER]`;
//! `-- patterns [LANGUAGE]` (not run by default) prints what each query
//! pattern costs to compile.

// AI text is a list of ranges; a list of one is the common case here, not
// a mistaken `Vec` of a range.
#![allow(clippy::single_range_in_vec_init)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use vouch::document::{Change, Document};
use vouch::provenance::{AiSource, Attribution, Evidence, RecentlyRemoved};
use vouch::syntax::Language;
use vouch::text::{Encoding, Position};

const FUNCTIONS: usize = 500;
const AI_SPANS: usize = 200;
const ROUNDS: usize = 400;

fn source() -> String {
    let mut s = String::from("use std::collections::HashMap;\n\n");
    for i in 0..FUNCTIONS {
        s.push_str(&format!(
            "/// Function number {i}.\nfn function_{i}(input: &[u32], map: &mut HashMap<u32, u32>) -> u32 {{\n"
        ));
        for j in 0..16 {
            s.push_str(&format!("    let v{j} = input.get({j}).copied().unwrap_or({i}) + {j};\n"));
        }
        s.push_str("    map.insert(v0, v1);\n}\n");
    }
    s
}

fn ai() -> Attribution {
    Attribution::ai(
        AiSource { tool: "bench".into(), model: Some("m".into()), session: None, kind: None },
        Evidence::Editor,
        Some("dev@example.com".into()),
    )
}

/// A bare tree-sitter parser and tree that follow the same edits.
struct Bare {
    parser: tree_sitter::Parser,
    tree: tree_sitter::Tree,
    text: String,
}

impl Bare {
    fn new(text: &str) -> Bare {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Language::Rust.grammar().unwrap()).unwrap();
        let tree = parser.parse(text, None).unwrap();
        Bare { parser, tree, text: text.to_string() }
    }

    fn point(&self, offset: usize) -> tree_sitter::Point {
        let before = &self.text[..offset];
        let row = before.matches('\n').count();
        let column = offset - before.rfind('\n').map_or(0, |i| i + 1);
        tree_sitter::Point { row, column }
    }

    /// Replace `start..end` with `new`; the points are computed before the
    /// timer starts, as an editor already knows them.
    fn edit(&mut self, start: usize, end: usize, new: &str) -> Duration {
        let (sp, op) = (self.point(start), self.point(end));
        let mut after = self.text.clone();
        after.replace_range(start..end, new);
        let t = Instant::now();
        self.text.replace_range(start..end, new);
        let np = {
            let offset = start + new.len();
            let before = &after[..offset];
            tree_sitter::Point {
                row: before.matches('\n').count(),
                column: offset - before.rfind('\n').map_or(0, |i| i + 1),
            }
        };
        self.tree.edit(&tree_sitter::InputEdit {
            start_byte: start,
            old_end_byte: end,
            new_end_byte: start + new.len(),
            start_position: sp,
            old_end_position: op,
            new_end_position: np,
        });
        self.tree = self.parser.parse(&self.text, Some(&self.tree)).unwrap();
        t.elapsed()
    }
}

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
    (median, p99)
}

fn report(name: &str, ours: Vec<Duration>, bare: Vec<Duration>) {
    let (m, p) = stats(ours);
    let (bm, bp) = stats(bare);
    println!(
        "{name:<44} median {:>8.1} µs  p99 {:>8.1} µs | bare re-parse median {:>8.1} µs  p99 {:>8.1} µs | ratio {:.2}x",
        m.as_secs_f64() * 1e6,
        p.as_secs_f64() * 1e6,
        bm.as_secs_f64() * 1e6,
        bp.as_secs_f64() * 1e6,
        m.as_secs_f64() / bm.as_secs_f64()
    );
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// What a CODEOWNERS of many rules (one directory each, as a monorepo's)
/// costs every process that judges: parsing it (each glob checked) and
/// asking who owns the paths of a commit of 50 files, beside compiling every
/// glob into one `globset::GlobSet` and asking it (what vouch did before it
/// compiled a glob only when a path under its literal prefix is asked
/// about).
fn codeowners() {
    let policy = vouch::policy::Policy::parse("codeowners = true\n", ".vouch.toml").expect("the policy parses");
    for rules in [100, 1_000, 5_000] {
        let text: String =
            (0..rules).map(|i| format!("/services/svc{}/module{i}/**/*.rs alice@example.com\n", i % 300)).collect();
        let paths: Vec<String> = (0..50)
            .map(|i| format!("services/svc{}/module{}/src/lib.rs", (i * 97 % rules) % 300, i * 97 % rules))
            .collect();
        let ours = median_ms(9, || {
            let owners = vouch::policy::Codeowners::parse(&text, "CODEOWNERS").expect("CODEOWNERS parses");
            let policy = policy.clone().with_codeowners(owners);
            for path in &paths {
                black_box(policy.requirement(path, &[], 3));
            }
        });
        let set = median_ms(9, || {
            let mut builder = globset::GlobSetBuilder::new();
            for i in 0..rules {
                let base = format!("services/svc{}/module{i}/**/*.rs", i % 300);
                for glob in [base.clone(), format!("{base}/**")] {
                    let glob = globset::GlobBuilder::new(&glob).literal_separator(true).backslash_escape(true).build();
                    builder.add(glob.expect("the glob parses"));
                }
            }
            let set = builder.build().expect("the set builds");
            for path in &paths {
                black_box(set.matches(path));
            }
        });
        println!(
            "CODEOWNERS of {rules} rules, 50 paths asked about: {ours:.2} ms; one compiled set of its globs: {set:.2} ms ({:.1}x)",
            set / ours
        );
    }
}

/// The median time of `runs` calls of `f`, in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// What compiling each language's queries costs: every CLI process that
/// finds units (the commit gate, `vouch status`) pays it once per language.
/// vouch compiles them with its own matcher; tree-sitter's compile
/// (`tree_sitter::Query::new`, which vouch no longer calls) is shown beside
/// it, in the same run.
fn query_compile_times() {
    let min_of = |f: &dyn Fn()| {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut line = String::from("query compile, units + risk (vouch's matcher | tree_sitter::Query):\n ");
    for language in Language::ALL {
        let (Some(grammar), Some((units, risk))) = (language.grammar(), vouch::syntax::queries::sources(language))
        else {
            continue;
        };
        let ours = |source: &str| {
            min_of(&|| {
                vouch::syntax::matcher::Query::new(&grammar, language.node_types(), source).expect("the queries build");
            })
        };
        // Building the `#match?` regexes, done once per process on first
        // use: the first language pays for the regexes it shares with the
        // next ones.
        let regexes = {
            let units = vouch::syntax::matcher::Query::new(&grammar, language.node_types(), units);
            let risk = vouch::syntax::matcher::Query::new(&grammar, language.node_types(), risk);
            let t = Instant::now();
            units.and_then(|q| q.check_regexes()).expect("the regexes build");
            risk.and_then(|q| q.check_regexes()).expect("the regexes build");
            t.elapsed().as_secs_f64() * 1000.0
        };
        let theirs = |source: &str| {
            min_of(&|| {
                tree_sitter::Query::new(&grammar, source).expect("the queries build");
            })
        };
        line.push_str(&format!(
            " {} {:.2} + {:.2} ms (then its regexes, first use: {:.2} ms) | {:.1} + {:.1} ms;",
            language.name(),
            ours(units),
            ours(risk),
            regexes,
            theirs(units),
            theirs(risk)
        ));
    }
    println!("{}", line.trim_end_matches(';'));
}

/// What compiling each pattern of each query costs alone, beside the
/// fixed cost of a query of one pattern that needs no analysis (`(ERROR)`):
/// where a query's compile time goes (`cargo bench --bench core --
/// patterns [LANGUAGE]`). With `PATTERNS_PREFIXES=1`, each line compiles the
/// file up to and including the pattern instead: a pattern can cost more
/// beside others than alone (tree-sitter's analysis of a pattern descends
/// into the nodes other patterns have children under). With
/// `PATTERNS_FILE=path`, the patterns of that file are measured instead of
/// the language's query files (to try a rewrite without rebuilding).
fn pattern_compile_times(filter: &str) {
    let min_of = |grammar: &tree_sitter::Language, source: &str| {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                tree_sitter::Query::new(grammar, source).expect("the queries build");
                t.elapsed().as_secs_f64() * 1000.0
            })
            .fold(f64::INFINITY, f64::min)
    };
    for language in Language::ALL {
        let (Some(grammar), Some((units, risk))) = (language.grammar(), vouch::syntax::queries::sources(language))
        else {
            continue;
        };
        if !language.name().contains(filter) {
            continue;
        }
        let fixed = min_of(&grammar, "(ERROR) @e");
        println!("{}: a one-pattern query {fixed:.2} ms", language.name());
        let extra = std::env::var("PATTERNS_FILE").ok().map(|p| std::fs::read_to_string(p).expect("PATTERNS_FILE"));
        let files: Vec<(&str, &str)> = match &extra {
            Some(text) => vec![("PATTERNS_FILE", text.as_str())],
            None => vec![("units", units), ("risk", risk)],
        };
        for (file, source) in files {
            let whole = tree_sitter::Query::new(&grammar, source).expect("the queries build");
            let starts: Vec<usize> = (0..whole.pattern_count()).map(|i| whole.start_byte_for_pattern(i)).collect();
            let ours = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    vouch::syntax::matcher::Query::new(&grammar, language.node_types(), source)
                        .expect("the queries build");
                    t.elapsed().as_secs_f64() * 1000.0
                })
                .fold(f64::INFINITY, f64::min);
            println!(
                "  {file}: whole {:.2} ms with tree-sitter, {ours:.3} ms with vouch's matcher, {} patterns",
                min_of(&grammar, source),
                starts.len()
            );
            for (i, &start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(source.len());
                let text =
                    if std::env::var_os("PATTERNS_PREFIXES").is_some() { &source[..end] } else { &source[start..end] };
                let ms = min_of(&grammar, text);
                let head: String = text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(90).collect();
                println!("    {:>7.2} ms (+{:.2})  {head}", ms, ms - fixed);
            }
        }
    }
}

/// Deeply nested sources: `depth` levels of one construct, in one language.
fn nested(language: Language, shape: &str, depth: usize) -> String {
    let (open, close): (&str, &str) = match (language, shape) {
        (Language::Rust, "fn") => ("fn f() {\n", "}\n"),
        (Language::Rust, "closure") => ("let c = |x: u8| {\n", "};\n"),
        (Language::Rust, "array") => ("[", "]"),
        (Language::Rust, "mod") => ("mod m {\n", "}\n"),
        (Language::Python, "def") => ("def f():\n", ""),
        (Language::Python, "list") => ("[", "]"),
        (Language::Python, "call") => ("f(", ")"),
        (Language::JavaScript | Language::TypeScript, "function") => ("function f() {\n", "}\n"),
        (Language::JavaScript | Language::TypeScript, "callback") => ("a(() => {\n", "});\n"),
        (Language::JavaScript | Language::TypeScript, "array") => ("[", "]"),
        (Language::JavaScript | Language::TypeScript, "class") => ("class A { m() {\n", "} }\n"),
        (Language::Go, "funclit") => ("func() {\n", "}()\n"),
        (Language::Go, "composite") => ("[]any{", "}"),
        (Language::Java, "class") => ("class A {\n", "}\n"),
        (Language::Java, "lambda") => ("r(() -> {\n", "});\n"),
        _ => unreachable!(),
    };
    let (prefix, suffix) = match (language, shape) {
        (Language::Rust, "closure" | "array") => ("fn main() {\n", "\n}\n"),
        (Language::Rust, _) => ("", ""),
        (Language::Python, "def") => ("", "pass\n"),
        (Language::Python, _) => ("x = ", "\n"),
        (Language::JavaScript | Language::TypeScript, "array") => ("const x = ", ";\n"),
        (Language::JavaScript | Language::TypeScript, _) => ("", ""),
        (Language::Go, _) => ("package p\n\nfunc main() {\n_ = ", "\n}\n"),
        (Language::Java, "lambda") => ("class M { void m() {\n", "} }\n"),
        (Language::Java, _) => ("", ""),
        _ => ("", ""),
    };
    let mut s = String::from(prefix);
    for i in 0..depth {
        if language == Language::Python && shape == "def" {
            s.push_str(&" ".repeat(i));
        }
        s.push_str(open);
    }
    if language == Language::Python && shape == "def" {
        s.push_str(&" ".repeat(depth));
    }
    for _ in 0..depth {
        s.push_str(close);
    }
    s.push_str(suffix);
    s
}

/// Analysis of deeply nested code must stay near-linear: a file that nests
/// 4,000 items must not freeze the language server or verify.
fn nesting(filter: &str) {
    let cases: [(Language, &str); 17] = [
        (Language::Rust, "fn"),
        (Language::Rust, "closure"),
        (Language::Rust, "array"),
        (Language::Rust, "mod"),
        (Language::Python, "def"),
        (Language::Python, "list"),
        (Language::Python, "call"),
        (Language::JavaScript, "function"),
        (Language::JavaScript, "callback"),
        (Language::JavaScript, "array"),
        (Language::JavaScript, "class"),
        (Language::TypeScript, "class"),
        (Language::TypeScript, "callback"),
        (Language::Go, "funclit"),
        (Language::Go, "composite"),
        (Language::Java, "class"),
        (Language::Java, "lambda"),
    ];
    // Wide files: many units side by side (each unit's siblings matter).
    for (language, unit) in [
        (Language::Rust, "#[inline]\nfn f() {}\n"),
        (Language::Python, "@d\ndef f():\n    pass\n"),
        (Language::TypeScript, "@d()\nexport class A {}\n"),
        (Language::Go, "// F does.\nfunc F() {}\n"),
    ] {
        if !language.name().contains(filter) && !"wide".contains(filter) {
            continue;
        }
        let units = 20_000;
        let prefix = if language == Language::Go { "package p\n" } else { "" };
        let source = format!("{prefix}{}", unit.repeat(units));
        let text = vouch::text::Text::new(source.clone()).unwrap();
        let tree = vouch::syntax::SyntaxTree::new(language, &source).unwrap();
        let t = Instant::now();
        let all = vouch::syntax::review_units(language, tree.tree(), &text, &[0..source.len()]);
        let whole = t.elapsed();
        // One AI byte in the middle, as an edit there asks (median of 21).
        let mid = source.len() / 2;
        let mut times = Vec::new();
        let mut some = Vec::new();
        for _ in 0..21 {
            let t = Instant::now();
            some = vouch::syntax::review_units(language, tree.tree(), &text, &[mid..mid + 1]);
            times.push(t.elapsed());
        }
        let (one, _) = stats(times);
        println!(
            "wide   {:<10} x{units:<5} {:>7} bytes: all AI {:>8.1} ms ({} units), one byte {:>8.3} ms ({} units)",
            language.name(),
            source.len(),
            whole.as_secs_f64() * 1e3,
            all.len(),
            one.as_secs_f64() * 1e3,
            some.len()
        );
    }
    // Minified files: every statement on one line, all of it AI (as the
    // line-granular claims of history make it). The cost should grow with
    // the size, not its square: the ratio of the two sizes' times is about
    // 4 when linear, 16 when quadratic.
    for (language, statement) in [(Language::JavaScript, "var a=1;"), (Language::Python, "a=1;")] {
        if !language.name().contains(filter) && !"minified".contains(filter) {
            continue;
        }
        let mut times = Vec::new();
        for statements in [5_000, 20_000] {
            let source = format!("{}\n", statement.repeat(statements));
            let text = vouch::text::Text::new(source.clone()).unwrap();
            let tree = vouch::syntax::SyntaxTree::new(language, &source).unwrap();
            let t = Instant::now();
            let all = vouch::syntax::review_units(language, tree.tree(), &text, &[0..source.len()]);
            let took = t.elapsed().as_secs_f64() * 1e3;
            times.push(took);
            println!(
                "minified {:<10} one line of {:>7} bytes: all AI {:>8.1} ms ({} units)",
                language.name(),
                source.len(),
                took,
                all.len()
            );
        }
        println!("minified {:<10} 4x the size: {:.1}x the time", language.name(), times[1] / times[0]);
    }
    for (language, shape) in cases {
        if !language.name().contains(filter) && !shape.contains(filter) {
            continue;
        }
        for depth in [1000, 4000] {
            let source = nested(language, shape, depth);
            let text = vouch::text::Text::new(source.clone()).unwrap();
            let t = Instant::now();
            let tree = vouch::syntax::SyntaxTree::new(language, &source).unwrap();
            let parse = t.elapsed();
            let t = Instant::now();
            let all = vouch::syntax::review_units(language, tree.tree(), &text, &[0..source.len()]);
            let whole = t.elapsed();
            let mid = source.len() / 2;
            let t = Instant::now();
            let some = vouch::syntax::review_units(language, tree.tree(), &text, &[mid..mid + 1]);
            let deep = t.elapsed();
            println!(
                "nested {:<10} {shape:<9} x{depth:<5} {:>7} bytes: parse {:>7.1} ms, all AI {:>8.1} ms ({} units), one byte deep {:>8.1} ms ({} units)",
                language.name(),
                source.len(),
                parse.as_secs_f64() * 1e3,
                whole.as_secs_f64() * 1e3,
                all.len(),
                deep.as_secs_f64() * 1e3,
                some.len()
            );
            if whole.as_secs_f64() > 5.0 || deep.as_secs_f64() > 5.0 {
                break;
            }
        }
    }
}

fn main() {
    // `cargo bench --bench core -- SECTION [FILTER]` runs one section:
    // `queries`, `nesting` (FILTER: a language or shape), or `edits`.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let section = args.first().map(String::as_str);
    let filter = args.get(1).map(String::as_str).unwrap_or("");
    if section.is_none_or(|s| s == "queries") {
        query_compile_times();
    }
    if section == Some("patterns") {
        pattern_compile_times(filter);
        return;
    }
    if section.is_none_or(|s| s == "nesting") {
        nesting(filter);
    }
    if section.is_none_or(|s| s == "codeowners") {
        codeowners();
    }
    if section.is_some_and(|s| s != "edits") {
        return;
    }
    let text = source();
    let lines = text.lines().count();
    let mut doc = Document::new(Language::Rust, text.clone()).unwrap();
    // 200 AI spans: the bodies of every other function of the first 400.
    let starts: Vec<usize> = text.match_indices("fn function_").map(|(i, _)| i).collect();
    for k in 0..AI_SPANS {
        let s = starts[k * 2];
        let e = starts[k * 2 + 1] - 1;
        doc.set_attribution(s..e, &ai());
    }
    assert_eq!(doc.provenance().ai_ranges().len(), AI_SPANS);
    println!(
        "document: {lines} lines, {} bytes, {} AI spans, {} units with AI",
        text.len(),
        AI_SPANS,
        doc.units().len()
    );

    let mut removed = RecentlyRemoved::default();
    let typed = Attribution::typed();
    // The middle of function 250 (inside an AI span: 250 = 2 × 125).
    let line = (text[..starts[250]].matches('\n').count() + 5) as u32;

    // (a) One keystroke, then its deletion, inside an AI function.
    let mut bare = Bare::new(&text);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let col = 10 + (round % 20) as u32;
        let pos = Position::new(line, col);
        let offset = doc.text().offset(pos, Encoding::Utf16).offset;
        let t = Instant::now();
        doc.apply(&[Change { range: Some((pos, pos)), text: "x" }], Encoding::Utf16, &typed, &mut removed).unwrap();
        ours.push(t.elapsed());
        theirs.push(bare.edit(offset, offset, "x"));
        let end = Position::new(line, col + 1);
        let t = Instant::now();
        doc.apply(&[Change { range: Some((pos, end)), text: "" }], Encoding::Utf16, &typed, &mut removed).unwrap();
        ours.push(t.elapsed());
        theirs.push(bare.edit(offset, offset + 1, ""));
    }
    report("(a) keystroke (insert or delete one char)", ours, theirs);

    // (b) A 40-line AI insertion reported by a plugin, then removed again.
    let block: String = (0..40).map(|i| format!("    let generated_{i} = input.len() as u32 * {i};\n")).collect();
    let at_line = line + 2;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS / 4 {
        let pos = Position::new(at_line, 0);
        let offset = doc.text().offset(pos, Encoding::Utf16).offset;
        let t = Instant::now();
        doc.apply(&[Change { range: Some((pos, pos)), text: &block }], Encoding::Utf16, &typed, &mut removed).unwrap();
        doc.set_attribution(offset..offset + block.len(), &ai());
        ours.push(t.elapsed());
        theirs.push(bare.edit(offset, offset, &block));
        let end = Position::new(at_line + 40, 0);
        doc.apply(&[Change { range: Some((pos, end)), text: "" }], Encoding::Utf16, &typed, &mut removed).unwrap();
        bare.edit(offset, offset + block.len(), "");
    }
    report("(b) 40-line AI insertion", ours, theirs);

    // (c) Units and fingerprints of the edited unit after a keystroke.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let col = 10 + (round % 20) as u32;
        let pos = Position::new(line, col);
        let offset = doc.text().offset(pos, Encoding::Utf16).offset;
        let text = if round % 2 == 0 { "y" } else { "" };
        let end = if round % 2 == 0 { pos } else { Position::new(line, col - 1 + 1) };
        let (pos, end) =
            if round % 2 == 0 { (pos, end) } else { (Position::new(line, col - 1), Position::new(line, col)) };
        doc.apply(&[Change { range: Some((pos, end)), text }], Encoding::Utf16, &typed, &mut removed).unwrap();
        let t = Instant::now();
        let units = doc.units_touching(offset..offset + 1);
        ours.push(t.elapsed());
        black_box(units);
        let o = if round % 2 == 0 { offset } else { offset - 1 };
        theirs.push(if round % 2 == 0 { bare.edit(o, o, "y") } else { bare.edit(o, o + 1, "") });
    }
    report("(c) units + fingerprints of the edited unit", ours, theirs);

    // (d) A whole text sent in place of the old one (a full-sync client, a
    // reload) where a 50 KB line (minified JSON, a lockfile) became
    // another: the diff that carries provenance over stops refining at its
    // deadline instead of taking seconds.
    let line_of = |letters: &[u8]| -> String {
        let mut x = 1u32;
        (0..50_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                letters[(x >> 16) as usize % letters.len()] as char
            })
            .collect()
    };
    let (before, after) = (line_of(b"abcdefgh"), line_of(b"ijklmnop"));
    let mut times = Vec::new();
    for _ in 0..5 {
        let mut blob = Document::new(Language::Text, format!("{before}\n")).unwrap();
        let t = Instant::now();
        blob.apply(&[Change { range: None, text: &format!("{after}\n") }], Encoding::Utf16, &typed, &mut removed)
            .unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2].as_secs_f64() * 1000.0;
    println!("(d) whole-text change, a 50 KB line replaced by another: median {median:.1} ms");

    // (e) A keystroke from a full-sync client (Neovim with
    // `allow_incremental_sync = false`): the whole text of the large file
    // again, one character typed in its first line. The lines both
    // versions share are left out of the diff by comparing bytes.
    let mut doc = Document::new(Language::Rust, text.clone()).unwrap();
    let mut current = text.clone();
    let mut times = Vec::new();
    for _ in 0..50 {
        current.insert(0, 'x');
        let t = Instant::now();
        doc.apply(&[Change { range: None, text: &current }], Encoding::Utf16, &typed, &mut removed).unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "(e) whole-text keystroke in a file of {} lines: median {:.2} ms",
        text.lines().count(),
        times[times.len() / 2].as_secs_f64() * 1000.0
    );

    // (f) One message of an edit per line over 20,000 lines (an editor's
    // "convert indentation", a format sent as line edits), last position
    // first as VS Code sends them; and (g) the alignment of that buffer
    // with the committed version, which every analysis of it makes.
    let functions: String =
        (0..5_000).map(|i| format!("fn f{i}(x: u32) -> u32 {{\n    let y = x * {i};\n    y + 1\n}}\n")).collect();
    let mut reindent: Vec<(Position, Position)> = functions
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("    "))
        .map(|(i, _)| (Position::new(i as u32, 0), Position::new(i as u32, 4)))
        .collect();
    reindent.reverse();
    let mut times = Vec::new();
    for _ in 0..3 {
        let mut doc = Document::new(Language::Rust, functions.clone()).unwrap();
        let changes: Vec<Change<'_>> = reindent.iter().map(|&r| Change { range: Some(r), text: "\t" }).collect();
        let t = Instant::now();
        doc.apply(&changes, Encoding::Utf16, &typed, &mut removed).unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "(f) one message of {} line edits in a file of {} lines: median {:.1} ms ({:.1} us per edit)",
        reindent.len(),
        functions.lines().count(),
        median.as_secs_f64() * 1000.0,
        median.as_secs_f64() * 1e6 / reindent.len() as f64
    );
    let tabbed = functions.replace("    ", "\t");
    let (old_lines, new_lines) =
        (vouch::lineage::split_lines(functions.as_bytes()), vouch::lineage::split_lines(tabbed.as_bytes()));
    let tags = vec![vouch::lineage::OUTSIDE; old_lines.len()];
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let version = vouch::lineage::Version { lines: old_lines.clone(), tags: &tags };
        black_box(vouch::lineage::Change::new(vec![version], new_lines.clone()));
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "(g) aligning that buffer with the committed version (half its lines changed): median {:.1} ms",
        times[times.len() / 2].as_secs_f64() * 1000.0
    );

    // (h) The AI text of that file carried over the re-indent, as the
    // language server does when the buffer it opened differs from the
    // journal's version, and the journal's view of a file edited since:
    // a diff without a deadline. Blocks of changed lines apart by `}` used
    // to be joined into one for the character diff (tens of seconds here).
    let ai_spans: Vec<(std::ops::Range<usize>, Attribution)> =
        functions.match_indices("fn f1").map(|(at, _)| (at..at + 20, ai())).collect();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        black_box(vouch::provenance::carry_unchanged(&functions, &ai_spans, &tabbed));
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "(h) AI text carried over that re-indent (a diff with no deadline): median {:.1} ms",
        times[times.len() / 2].as_secs_f64() * 1000.0
    );
    let unbounded = times[times.len() / 2];
    // The same on the language server's state thread, which gives the diff
    // 50 ms and carries less past it.
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let deadline = t + std::time::Duration::from_millis(50);
        black_box(vouch::provenance::carry_unchanged_until(&functions, &ai_spans, &tabbed, deadline));
        times.push(t.elapsed());
    }
    times.sort();
    let bounded = times[times.len() / 2];
    println!(
        "(h') the same with the state thread's 50 ms deadline: median {:.1} ms ({:.2}x of (h))",
        bounded.as_secs_f64() * 1000.0,
        bounded.as_secs_f64() / unbounded.as_secs_f64().max(1e-9)
    );

    // (i) Typing at the end of a minified bundle of one 5 MB line that
    // holds one character past ASCII (a `©` in its banner), as a UTF-16
    // client (VS Code) sends it: each keystroke's position is a column of
    // that line, resolved by counting on from the last one counted. As
    // the language server applies it: the parse waits for a pause.
    let bundle = format!("/*! © vendor */{}\n", "var a=function(b){return b+1};".repeat(170_000));
    let mut doc =
        Document::with_parsing(Language::JavaScript, bundle.clone(), vouch::document::Parsing::OnDemand).unwrap();
    let end = bundle.trim_end().chars().map(char::len_utf16).sum::<usize>() as u32;
    let mut times = Vec::new();
    for round in 0..200 {
        let at = Position::new(0, end + round);
        let typed_text = if round % 2 == 0 { "x" } else { ";" };
        let t = Instant::now();
        doc.apply(&[Change { range: Some((at, at)), text: typed_text }], Encoding::Utf16, &typed, &mut removed)
            .unwrap();
        times.push(t.elapsed());
    }
    let (median, p99) = stats(times);
    println!(
        "(i) keystroke at the end of a {:.1} MB one-line bundle with one non-ASCII character (UTF-16), as the server applies it: median {:.1} us, p99 {:.1} us",
        bundle.len() as f64 / 1e6,
        median.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );

    // (j) The units of the places an AI removed lines from, in a file an
    // agent wrote whole (a `:%s` or a rewrite over it leaves a removal at
    // every line it changed): each place's unit was found with the whole
    // file's units made again (seconds at 5,000 places; the language
    // server's judging of the buffer waited for it).
    let generated: String = (0..5_000).map(|i| format!("def f{i}(value):\n    return value + {i}\n\n\n")).collect();
    let whole = 0..generated.len();
    let line_starts: Vec<usize> = std::iter::once(0).chain(generated.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let mut per_place = Vec::new();
    for places in [1_000usize, 5_000] {
        let deletions: Vec<vouch::provenance::AiDeletion> = (0..places)
            .map(|k| vouch::provenance::AiDeletion {
                at: line_starts[(k * 20_000 / places) + 1],
                lines: 1,
                first: String::new(),
                attribution: ai(),
                replaced: 1,
            })
            .collect();
        let mut doc = Document::new(Language::Python, generated.clone()).unwrap();
        doc.set_attribution(whole.clone(), &ai());
        let mut facts = vouch::signoff::unit_facts(&mut doc);
        let t = Instant::now();
        vouch::signoff::add_deletions(&mut doc, &mut facts, &deletions);
        let took = t.elapsed();
        black_box(&facts);
        per_place.push(took.as_secs_f64() / places as f64);
        println!(
            "(j) units of {places} places an AI removed lines from, in a 20,000-line AI file: {:.1} ms",
            took.as_secs_f64() * 1000.0
        );
    }
    println!("(j') time per place, 5,000 places / 1,000: {:.2}x (1.0: linear)", per_place[1] / per_place[0]);

    // Memory: text, line index, spans and tree of one such document.
    let before = rss_bytes();
    let docs: Vec<Document> = (0..20)
        .map(|_| {
            let mut d = Document::new(Language::Rust, text.clone()).unwrap();
            for k in 0..AI_SPANS {
                d.set_attribution(starts[k * 2]..starts[k * 2 + 1] - 1, &ai());
            }
            d
        })
        .collect();
    let per_doc = (rss_bytes().saturating_sub(before)) / docs.len();
    println!(
        "memory per document: {:.1} MiB resident (text {:.1} MiB); {} documents measured",
        per_doc as f64 / (1 << 20) as f64,
        text.len() as f64 / (1 << 20) as f64,
        docs.len()
    );
}
