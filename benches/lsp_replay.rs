//! Replay an editing session through `vouch lsp` over stdio: 50 files of
//! 10,000 lines open, a 300-line function typed character by character into
//! one of them, with AI insertions reported in between.
//!
//! Prints the server's own time per edit (median, p99, max, wall and CPU,
//! from `vouch/debug/stats`) and the edits that took the most CPU with
//! their kind (bytes and lines inserted, whether the known-version check
//! ran and its time), the latency from the last edit to its diagnostics,
//! the server's own time per analysis of the edited file (and over the
//! whole session), and the server's peak memory; then what opening a
//! file with a long history (git blame of it) holds up, and how long a
//! request waits behind the analyses of a 20,000-line file an AI wrote
//! while a person types in it. Run: `cargo bench --bench lsp_replay`;
//! with `VOUCH_REPLAY_SERVER=<path to a vouch binary>`, that build is
//! measured under this harness (to compare builds in interleaved runs).

#[path = "../tests/support/lsp.rs"]
mod lsp;
#[path = "../tests/support/repo.rs"]
mod repo;

use std::time::Instant;

use serde_json::json;

const FILES: usize = 50;
const FUNCTIONS: usize = 500;
const TYPED_LINES: usize = 300;

fn source(seed: usize) -> String {
    let mut s = String::from("use std::collections::HashMap;\n\n");
    for i in 0..FUNCTIONS {
        s.push_str(&format!(
            "/// Function {seed}.{i}.\nfn function_{i}(input: &[u32], map: &mut HashMap<u32, u32>) -> u32 {{\n"
        ));
        for j in 0..16 {
            s.push_str(&format!("    let v{j} = input.get({j}).copied().unwrap_or({i}) + {j};\n"));
        }
        s.push_str("    map.insert(v0, v1);\n}\n");
    }
    s
}

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn main() {
    let repo = repo::TestRepo::new();
    for f in 0..FILES {
        repo.write(&format!("src/file_{f}.rs"), &source(f));
    }
    repo.commit_all("init");
    let history_text = with_history(&repo);
    let mut server = lsp::Server::start(&repo.root, &["utf-16"]);
    let pid = server.pid();
    let started = Instant::now();
    for f in 0..FILES {
        let uri = repo.uri(&format!("src/file_{f}.rs"));
        server.open(&uri, "rust", &source(f));
        // Each file gets an AI function, so every one has units to show.
        let at = 2 + f as u32 * 3;
        server.change(
            &uri,
            2,
            json!([{ "range": lsp::range(at, 0, at, 0), "text": "fn ai_written() -> u32 {\n    42\n}\n" }]),
        );
        server.notify("vouch/aiEdit", json!({ "textDocument": { "uri": uri, "version": 2 }, "range": lsp::range(at, 0, at + 3, 0), "tool": "bench" }));
    }
    for f in 0..FILES {
        let uri = repo.uri(&format!("src/file_{f}.rs"));
        server.diagnostics(&uri, 2);
    }
    println!("opened {FILES} files of {} lines in {:.2?}", source(0).lines().count(), started.elapsed());

    // Type a 300-line function at line 5000 of file 0, one character per
    // change; every 50 lines, an AI insertion of 10 lines is reported.
    let uri = repo.uri("src/file_0.rs");
    let mut version = 2;
    let mut line = 5000u32;
    let typed_start = Instant::now();
    let mut edits = 0;
    for l in 0..TYPED_LINES {
        let text =
            if l == 0 { "fn typed_by_hand(x: u32) -> u32 {".to_string() } else { format!("    let t{l} = x + {l};") };
        for (col, ch) in text.chars().enumerate() {
            version += 1;
            server.change(
                &uri,
                version,
                json!([{ "range": lsp::range(line, col as u32, line, col as u32), "text": ch.to_string() }]),
            );
            edits += 1;
        }
        version += 1;
        let end = text.chars().count() as u32;
        server.change(&uri, version, json!([{ "range": lsp::range(line, end, line, end), "text": "\n" }]));
        line += 1;
        if l % 50 == 49 {
            let block: String = (0..10).map(|i| format!("    let ai_{l}_{i} = x * {i};\n")).collect();
            version += 1;
            server.change(&uri, version, json!([{ "range": lsp::range(line, 0, line, 0), "text": block }]));
            server.notify("vouch/aiEdit", json!({ "textDocument": { "uri": uri, "version": version }, "range": lsp::range(line, 0, line + 10, 0), "tool": "bench" }));
            line += 10;
        }
    }
    // The client sent edits faster than anyone types: let the server catch
    // up (a request is answered after every notification before it), then
    // time one last keystroke to its diagnostics, as an editor sees it.
    let before = server.request("vouch/debug/stats", json!({}));
    let typing = typed_start.elapsed();
    let mut latencies = Vec::new();
    // More keystrokes than the 20 timed by default, for a profile of this
    // phase: `VOUCH_REPLAY_KEYSTROKES=200`.
    let keystrokes: u32 = std::env::var("VOUCH_REPLAY_KEYSTROKES").ok().and_then(|k| k.parse().ok()).unwrap_or(20);
    for k in 0..keystrokes {
        version += 1;
        let text = if k % 2 == 0 { "}" } else { "\n" };
        server.change(&uri, version, json!([{ "range": lsp::range(line, 0, line, 0), "text": text }]));
        let sent = Instant::now();
        server.diagnostics(&uri, version);
        latencies.push(sent.elapsed());
        line += k % 2;
    }
    latencies.sort();
    let latency = latencies[latencies.len() / 2];
    let stats = server.request("vouch/debug/stats", json!({}));
    println!("typed {edits} characters ({} changes in all) in {typing:.2?} of wall time", stats["edits"]);
    println!(
        "server time per edit: median {} µs, p99 {} µs, max {} µs (CPU: median {} µs, p99 {} µs, max {} µs)",
        stats["medianMicros"],
        stats["p99Micros"],
        stats["maxMicros"],
        stats["cpuMedianMicros"],
        stats["cpuP99Micros"],
        stats["cpuMaxMicros"]
    );
    // The edits that took the most CPU and what they were: a large
    // insertion (the no-plugin heuristic's case) or a whole-text change
    // asks whether the text is a version the store knows. (The wall-time
    // max on a shared machine is mostly the scheduler.)
    for e in stats["slowestEdits"].as_array().into_iter().flatten() {
        let kind = if e["whole"] == true {
            "whole text".to_string()
        } else {
            format!("+{} B ({} lines) -{} B", e["insertedBytes"], e["insertedLines"], e["removedBytes"])
        };
        let large = if e["large"] == true { ", large insertion" } else { "" };
        let check = match e["versionCheckMicros"].as_u64() {
            Some(us) => format!(", known-version check {us} µs"),
            None => String::new(),
        };
        println!("  slow edit: CPU {} µs (wall {} µs): {kind}{large}{check}", e["cpuMicros"], e["micros"]);
    }
    println!(
        "latency from the last edit to its diagnostics: median {:.1} ms, max {:.1} ms ({keystrokes} keystrokes; debounce is 25 ms)",
        latency.as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    // The server's own time to analyse the document after each of those
    // keystrokes (units judged, diagnostics and regions made): the part of
    // the latency that is not the debounce.
    let new = stats["analyses"].as_u64().unwrap_or(0).saturating_sub(before["analyses"].as_u64().unwrap_or(0));
    let last = |key: &str| {
        let recent: Vec<u64> = stats[key].as_array().into_iter().flatten().filter_map(|v| v.as_u64()).collect();
        let mut last: Vec<u64> = recent[recent.len().saturating_sub(new as usize)..].to_vec();
        last.sort_unstable();
        last
    };
    let (wall, cpu) = (last("recentAnalyseMicros"), last("recentAnalyseCpuMicros"));
    println!(
        "server time per analysis of that file: median {} µs (CPU {} µs), max {} µs ({} analyses); over the whole session: median {} µs (CPU {} µs), p99 {} µs ({} analyses)",
        wall.get(wall.len() / 2).copied().unwrap_or(0),
        cpu.get(cpu.len() / 2).copied().unwrap_or(0),
        wall.last().copied().unwrap_or(0),
        wall.len(),
        stats["analyseMedianMicros"],
        stats["analyseCpuMedianMicros"],
        stats["analyseP99Micros"],
        stats["analyses"]
    );
    undo_to_saved(&mut server, &repo);
    open_with_history(&mut server, &repo, &history_text);
    typing_in_a_large_ai_file(&mut server, &repo, Asked::AnotherFile);
    println!("peak memory of the server with {FILES} files open: {:.0} MiB", peak_rss_mib(pid));
    server.shutdown();
    // As VS Code types: what it asks on its own about the file itself.
    let mut server = lsp::Server::start_with_lens_refresh(&repo.root, &["utf-16"]);
    typing_in_a_large_ai_file(&mut server, &repo, Asked::ItsOwn);
    server.shutdown();
    typing_after_leaving_a_branch(&repo, &history_text);
}

/// The AI commits of the branch [`typing_after_leaving_a_branch`] leaves.
const LEFT_COMMITS: usize = 200;

/// Type in the file with a long history, waiting for each keystroke's
/// analysis, before and after leaving a branch of [`LEFT_COMMITS`] AI
/// commits that rewrote stretches of it: each analysis then also looks for
/// that branch's AI text in the buffer (text a person brings from a branch
/// left behind is AI, as at the gate). Prints the analyses' CPU.
fn typing_after_leaving_a_branch(repo: &repo::TestRepo, text: &str) {
    let before = analyses_while_typing(repo, text);
    repo.git(&["checkout", "-q", "-b", "left"]);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for c in 0..LEFT_COMMITS {
        let start = (c * 389) % (HISTORY_LINES - 20);
        for (k, line) in lines.iter_mut().enumerate().skip(start).take(20) {
            *line = format!("pub const C{k}: u32 = {} ^ {c};", k * 7);
        }
        repo.write(HISTORY_FILE, &(lines.join("\n") + "\n"));
        repo.commit_all(&format!("left {c}\n\nCo-authored-by: Claude <noreply@anthropic.com>"));
    }
    repo.git(&["checkout", "-q", "main"]);
    let after = analyses_while_typing(repo, text);
    println!(
        "typing in that file, an analysis after each of 20 keystrokes: CPU median {before} µs; after leaving a branch of {LEFT_COMMITS} AI commits on it, {after} µs ({:.2}x)",
        after as f64 / before.max(1) as f64
    );
}

/// A new server's median CPU for the analyses of [`HISTORY_FILE`] (holding
/// `text`) after each of 20 keystrokes, each waited for.
fn analyses_while_typing(repo: &repo::TestRepo, text: &str) -> u64 {
    const KEYSTROKES: i64 = 20;
    let mut server = lsp::Server::start(&repo.root, &["utf-16"]);
    let uri = repo.uri(HISTORY_FILE);
    server.open(&uri, "rust", text);
    server.diagnostics(&uri, 1);
    for k in 0..KEYSTROKES {
        let line = HISTORY_LINES as u32 / 2;
        server.change(&uri, 2 + k, json!([{ "range": lsp::range(line, 0, line, 0), "text": "x" }]));
        server.diagnostics(&uri, 2 + k);
    }
    let stats = server.request("vouch/debug/stats", json!({}));
    server.shutdown();
    let recent: Vec<u64> =
        stats["recentAnalyseCpuMicros"].as_array().into_iter().flatten().filter_map(|v| v.as_u64()).collect();
    let mut these = recent[recent.len().saturating_sub(KEYSTROKES as usize)..].to_vec();
    these.sort_unstable();
    these.get(these.len() / 2).copied().unwrap_or(0)
}

/// What the client asks after each keystroke of [`typing_in_a_large_ai_file`].
#[derive(Clone, Copy, PartialEq)]
enum Asked {
    /// A hover in another file (a question that needs no analysis of this
    /// one).
    AnotherFile,
    /// What VS Code asks on its own about the file typed in: the code
    /// actions at the cursor after each keystroke (measured), its code
    /// lenses at each pause (a client that accepts
    /// `workspace/codeLens/refresh`; not measured: 4,000 lenses are a
    /// large answer to build, whatever the analysis).
    ItsOwn,
}

/// Give a file its committed text again, as a reload does (the whole text
/// in one change: the known-version check's case), then delete a 40-line
/// block and undo it. Prints what each edit cost the server.
fn undo_to_saved(server: &mut lsp::Server, repo: &repo::TestRepo) {
    let uri = repo.uri("src/file_1.rs");
    let text = source(1);
    let version = 100;
    let block: String = text.lines().skip(100).take(40).map(|l| format!("{l}\n")).collect();
    let before = server.request("vouch/debug/stats", json!({}));
    // A reload from disk, as an editor sends it after `git checkout`.
    server.change(&uri, version, json!([{ "range": null, "text": text }]));
    server.change(&uri, version + 1, json!([{ "range": lsp::range(100, 0, 140, 0), "text": "" }]));
    server.change(&uri, version + 2, json!([{ "range": lsp::range(100, 0, 100, 0), "text": block }]));
    let after = server.request("vouch/debug/stats", json!({}));
    let edits = after["edits"].as_u64().unwrap_or(0) - before["edits"].as_u64().unwrap_or(0);
    let recent: Vec<&serde_json::Value> = after["recentEdits"].as_array().into_iter().flatten().collect();
    println!("the committed text again ({edits} edits: the whole text, delete 40 lines, undo):");
    for e in &recent[recent.len().saturating_sub(edits as usize)..] {
        let check = match e["versionCheckMicros"].as_u64() {
            Some(us) => format!(", known-version check {us} µs"),
            None => String::new(),
        };
        println!(
            "  CPU {} µs (wall {} µs): +{} B -{} B{check}",
            e["cpuMicros"], e["micros"], e["insertedBytes"], e["removedBytes"]
        );
    }
}

/// Lines of [`HISTORY_FILE`] and the commits that wrote it.
const HISTORY_LINES: usize = 8_000;
const HISTORY_COMMITS: usize = 80;
const HISTORY_FILE: &str = "src/history.rs";

/// Give the repository a file of [`HISTORY_LINES`] lines written over
/// [`HISTORY_COMMITS`] commits, every third with an AI trailer, each
/// rewriting a stretch of it; its text at the end.
fn with_history(repo: &repo::TestRepo) -> String {
    let mut lines: Vec<String> = (0..HISTORY_LINES).map(|i| format!("pub const C{i}: u32 = {i};")).collect();
    for c in 0..HISTORY_COMMITS {
        let start = (c * 97) % (HISTORY_LINES - 50);
        for (k, line) in lines.iter_mut().enumerate().skip(start).take(50) {
            *line = format!("pub const C{k}: u32 = {} + {c};", k * 3);
        }
        repo.write(HISTORY_FILE, &(lines.join("\n") + "\n"));
        let trailer = if c % 3 == 0 { "\n\nCo-authored-by: Claude <noreply@anthropic.com>" } else { "" };
        repo.commit_all(&format!("change {c}{trailer}"));
    }
    lines.join("\n") + "\n"
}

/// Open the file with a long history, then at once type in another file
/// and ask about it: how long the keystroke waits, and how long until the
/// opened file's provenance (its history) is in.
fn open_with_history(server: &mut lsp::Server, repo: &repo::TestRepo, text: &str) {
    let uri = repo.uri(HISTORY_FILE);
    let other = repo.uri("src/file_2.rs");
    let started = Instant::now();
    server.open(&uri, "rust", text);
    server.change(&other, 100, json!([{ "range": lsp::range(0, 0, 0, 0), "text": "x" }]));
    server.document(&other);
    let keystroke = started.elapsed();
    let doc = server.document(&uri);
    let provenance = started.elapsed();
    let ai = doc["spans"].as_array().map_or(0, |s| s.iter().filter(|s| s["origin"] == "ai").count());
    // The file's first analysis, on the server's own thread (its units: a
    // parse unless the tree came with the history).
    let analysis = &doc["analyseCpuMicros"];
    println!(
        "opening a file of {HISTORY_LINES} lines and {HISTORY_COMMITS} commits: a keystroke in another file answered after {:.1} ms, the file's provenance in after {:.1} ms ({ai} AI spans), its first analysis {analysis} µs CPU on the server's thread",
        keystroke.as_secs_f64() * 1e3,
        provenance.as_secs_f64() * 1e3
    );
}

/// Type into a file of 20,000 lines an AI wrote (4,000 functions, not yet
/// committed), a keystroke every 30 ms with a pause of 300 ms after every
/// tenth, each followed at once by a request (see [`Asked`]): how long the
/// request waits (behind the file's analysis, which takes tens of
/// milliseconds and gives way to it), and how many analyses ran to their
/// end or gave way.
fn typing_in_a_large_ai_file(server: &mut lsp::Server, repo: &repo::TestRepo, asked_for: Asked) {
    const FUNCTIONS: u32 = 4_000;
    let uri = repo.uri("src/generated.rs");
    let other = repo.uri("src/file_3.rs");
    let body: String = (0..FUNCTIONS)
        .map(|i| format!("pub fn f{i}(x: u64) -> u64 {{\n    let y = x.wrapping_mul({i});\n    y ^ 0x5f\n}}\n\n"))
        .collect();
    server.open(&uri, "rust", "");
    server.change(&uri, 2, json!([{ "range": lsp::range(0, 0, 0, 0), "text": body }]));
    let whole = lsp::range(0, 0, FUNCTIONS * 5, 0);
    server.notify(
        "vouch/aiEdit",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "range": whole, "tool": "bench" }),
    );
    server.diagnostics(&uri, 2);
    let before = server.request("vouch/debug/stats", json!({}));
    let line = FUNCTIONS * 5 / 2 + 1;
    let mut waits = Vec::new();
    for k in 0..100i64 {
        server.change(&uri, 3 + k, json!([{ "range": lsp::range(line, 4, line, 4), "text": "a" }]));
        let asked = Instant::now();
        match asked_for {
            Asked::AnotherFile => {
                server.request(
                    "textDocument/hover",
                    json!({ "textDocument": { "uri": other }, "position": { "line": 0, "character": 0 } }),
                );
            }
            Asked::ItsOwn => {
                let at = lsp::range(line, 5, line, 5);
                let context = json!({ "diagnostics": [], "triggerKind": 2 });
                server.request(
                    "textDocument/codeAction",
                    json!({ "textDocument": { "uri": uri }, "range": at, "context": context }),
                );
            }
        }
        waits.push(asked.elapsed().as_secs_f64() * 1e3);
        if asked_for == Asked::ItsOwn && k % 10 == 9 {
            server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
        }
        std::thread::sleep(std::time::Duration::from_millis(if k % 10 == 9 { 300 } else { 30 }));
    }
    server.diagnostics(&uri, 102);
    let after = server.request("vouch/debug/stats", json!({}));
    waits.sort_by(f64::total_cmp);
    let count = |stats: &serde_json::Value, key: &str| stats[key].as_u64().unwrap_or(0);
    let ran = (count(&after, "analyses") - count(&before, "analyses")) as usize;
    let recent: Vec<u64> =
        after["recentAnalyseMicros"].as_array().into_iter().flatten().filter_map(|v| v.as_u64()).collect();
    let mut these = recent[recent.len().saturating_sub(ran)..].to_vec();
    these.sort_unstable();
    println!(
        "typing in a file of {} lines an AI wrote, {} after each of 100 keystrokes: answered after {:.1} ms median, {:.1} ms p90, {:.1} ms max; {ran} analyses ran to their end ({} µs median), {} gave way",
        FUNCTIONS * 5,
        match asked_for {
            Asked::AnotherFile => "a hover in another file",
            Asked::ItsOwn => "its code actions (its lenses at each pause)",
        },
        waits[50],
        waits[90],
        waits[99],
        these.get(these.len() / 2).copied().unwrap_or(0),
        count(&after, "analysesGivenUp") - count(&before, "analysesGivenUp"),
    );
}
