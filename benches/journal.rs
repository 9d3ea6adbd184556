//! Journal benchmarks: append latency (median and p99), and the time to read
//! the journal and compute the view of a realistic file holding 1,000
//! attributed spans. Prints its numbers; run with
//! `cargo bench --bench journal` (add `-- write` or `-- read` for one part).

use std::ops::Range;
use std::time::{Duration, Instant};

use git2::{Repository, RepositoryInitOptions, Signature};
use vouch::provenance::{AiSource, Attribution, Evidence};
use vouch::store::journal::{Entry, Journal};

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(dir.path(), &opts).expect("init");
    let base = source_file(2_000);
    commit(&repo, "src/big.rs", &base);
    println!("file: {} lines, {} KiB", base.lines().count(), base.len() / 1024);

    // `cargo bench --bench journal -- write` (or `read`) runs only that part.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if only.is_empty() || only.iter().any(|a| a == "write") {
        append_latency(&repo, &base);
    }
    if only.is_empty() || only.iter().any(|a| a == "read") {
        read_and_view(&repo, &base);
    }
}

fn ai(n: usize) -> Attribution {
    let source = AiSource { tool: format!("tool-{}", n % 3), model: Some("model-1".into()), session: None, kind: None };
    Attribution::ai(source, Evidence::Editor, Some("dev@example.com".into()))
}

/// Rust-like source of about `lines` lines.
fn source_file(lines: usize) -> String {
    let mut s = String::from("//! A generated module.\n\nuse std::collections::HashMap;\n\n");
    let mut n = 0;
    while s.lines().count() < lines {
        s.push_str(&format!(
            "/// Computes value {n}.\npub fn value_{n}(input: &HashMap<String, u64>) -> u64 {{\n    let base = input.get(\"k{n}\").copied().unwrap_or({n});\n    let scaled = base * {m};\n    scaled + {n}\n}}\n\n",
            m = n % 7 + 1
        ));
        n += 1;
    }
    s
}

fn commit(repo: &Repository, path: &str, text: &str) {
    let blob = repo.blob(text.as_bytes()).expect("blob");
    let mut sub = repo.treebuilder(None).expect("tree");
    sub.insert(path.rsplit('/').next().unwrap_or(path), blob, 0o100644).expect("insert");
    let sub = sub.write().expect("write");
    let mut root = repo.treebuilder(None).expect("tree");
    root.insert("src", sub, 0o040000).expect("insert");
    let tree = repo.find_tree(root.write().expect("write")).expect("tree");
    let sig = Signature::now("Bench", "bench@example.com").expect("sig");
    repo.commit(Some("HEAD"), &sig, &sig, "base", &tree, &[]).expect("commit");
}

/// The byte range of line `line` (from 0) of `text`.
fn line_range(text: &str, line: usize, count: usize) -> Range<usize> {
    let starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|&i| i <= text.len()).collect();
    let end_line = (line + count).min(starts.len() - 1);
    starts[line.min(end_line)]..starts[end_line]
}

fn stats(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<50} n={:<4} median {:>9.3?}  p99 {:>9.3?}  max {:>9.3?}",
        samples.len(),
        at(0.5),
        at(0.99),
        samples[samples.len() - 1]
    );
}

fn append_latency(repo: &Repository, base: &str) {
    let journal = Journal::open(repo).expect("journal");
    let spans: Vec<_> = (0..3).map(|i| (line_range(base, 100 + i * 40, 6), ai(i))).collect();

    // The language server's case: each aiEdit is a new version of the file.
    let mut samples = Vec::new();
    for i in 0..300 {
        let text = format!("// edit {i}\n{base}");
        let shifted: Vec<_> = spans.iter().map(|(r, a)| (r.start + 12..r.end + 12, a.clone())).collect();
        let start = Instant::now();
        journal.append(repo, Entry::delta("src/big.rs", &text, &shifted)).expect("append");
        samples.push(start.elapsed());
    }
    stats("append, new file version each time", samples);

    // Several records about one version: no blob or tree to write.
    let mut samples = Vec::new();
    for _ in 0..300 {
        let start = Instant::now();
        journal.append(repo, Entry::delta("src/big.rs", base, &spans)).expect("append");
        samples.push(start.elapsed());
    }
    stats("append, same file version", samples);
    journal
        .retire(
            &journal.records().expect("read").records.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            git2::Oid::zero(),
        )
        .expect("retire");
    drop(journal);
    Journal::open(repo).expect("journal").compact(repo).expect("compact");
}

fn read_and_view(repo: &Repository, base: &str) {
    let path = "src/big.rs";
    // 50 aiEdits, each inserting a 5-line function somewhere and recorded as
    // a delta naming that function and 9 other AI spans (10 spans a record),
    // with a snapshot of 100 spans every 10 edits: 1,000 spans, 55 records,
    // 50 file versions.
    let journal = Journal::open(repo).expect("journal");
    let mut text = base.to_string();
    let mut total_spans = 0;
    let lines = base.lines().count();
    for edit in 0..50 {
        let at = line_range(&text, (edit * 37) % lines, 0).start;
        let function = format!(
            "pub fn ai_{edit}(x: u64) -> u64 {{\n    let y = x.rotate_left({edit});\n    y ^ 0x5bd1e995\n}}\n\n"
        );
        text.insert_str(at, &function);
        let mut spans = vec![(at..at + function.len(), ai(edit))];
        for k in 0..9 {
            let r = line_range(&text, (edit * 53 + k * 97) % lines, 2);
            if r.end <= at || r.start >= at + function.len() {
                spans.push((r, ai(k)));
            }
        }
        spans.sort_by_key(|(r, _)| r.start);
        spans.dedup_by(|b, a| b.0.start < a.0.end);
        total_spans += spans.len();
        journal.append(repo, Entry::delta(path, &text, &spans)).expect("append");
        if edit % 10 == 9 {
            let snapshot: Vec<_> = (0..100).map(|k| (line_range(&text, k * 20, 3), ai(k))).collect();
            total_spans += snapshot.len();
            journal.append(repo, Entry::snapshot(path, &text, &snapshot)).expect("append");
        }
    }
    // An outside edit since the last record: lines inserted at the top.
    let current = format!("// Formatted by a tool.\n#![allow(dead_code)]\n\n{text}");
    let loaded = journal.records().expect("read");
    println!("journal: {} records, {} spans", loaded.records.len(), total_spans);

    let mut read = Vec::new();
    let mut view = Vec::new();
    let mut both = Vec::new();
    let mut view_len = 0;
    for _ in 0..30 {
        let start = Instant::now();
        let loaded = journal.records().expect("read");
        let mid = Instant::now();
        // Cold: every file version is read from the object database.
        let spans = loaded.current_spans(repo, path, &current);
        let end = Instant::now();
        assert!(spans.problems.is_empty(), "{:?}", spans.problems);
        view_len = spans.spans.len();
        read.push(mid - start);
        view.push(end - mid);
        both.push(end - start);
    }
    println!("view: {view_len} runs over {} KiB", current.len() / 1024);
    stats("records()", read);
    stats("current_spans(), outside edit, cold", view);
    stats("records() + current_spans(), outside edit, cold", both);

    // Warm: the journal keeps the file versions it read.
    let mut warm = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        let spans = journal.current_spans(repo, path, &current).expect("view");
        warm.push(start.elapsed());
        assert!(spans.problems.is_empty(), "{:?}", spans.problems);
    }
    stats("records() + current_spans(), outside edit, warm", warm);

    let mut same = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        let loaded = journal.records().expect("read");
        let _ = loaded.current_spans(repo, path, &text);
        same.push(start.elapsed());
    }
    stats("records() + current_spans(), text as saved", same);
}
