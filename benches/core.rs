//! Core benchmark: the cost of edits to a 10,000-line Rust file holding 200
//! AI spans, each beside a bare tree-sitter incremental re-parse of the same
//! edit, measured in the same run.
//!
//! Prints medians, p99 and the ratio to the bare re-parse, and the memory
//! one such document takes. Run: `cargo bench --bench core`.

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

/// What compiling each language's queries costs: every CLI process that
/// finds units (the commit gate, `vouch status`) pays it once per language.
fn query_compile_times() {
    let mut line = String::from("query compile (units + risk, each a fresh tree_sitter::Query):");
    for language in Language::ALL {
        let (Some(grammar), Some((units, risk))) = (language.grammar(), vouch::syntax::queries::sources(language))
        else {
            continue;
        };
        let time = |source: &str| {
            let t = Instant::now();
            tree_sitter::Query::new(&grammar, source).expect("the queries build");
            t.elapsed().as_secs_f64() * 1000.0
        };
        line.push_str(&format!(" {} {:.1} + {:.1} ms;", language.name(), time(units), time(risk)));
    }
    println!("{}", line.trim_end_matches(';'));
}

fn main() {
    query_compile_times();
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
