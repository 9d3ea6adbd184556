//! One agent edit through `vouch hook claude-code` (issues 15 and 17), in
//! CPU time per call, through the release binary:
//!
//! - the process alone (`vouch --version`): the floor every call pays;
//! - an `Edit`'s PreToolUse (the snapshot) and PostToolUse (the record in
//!   the journal, with the intent read from the transcript) with no
//!   transcript, with a small one (a prompt, the agent's words, the call),
//!   and with a 50 MB one (a long session: prompts, the agent's words,
//!   tool calls and large tool results as JSON Lines) whose matching
//!   `tool_use` is at its end, or at the start of the window the hook reads
//!   (`store::transcript::TAIL_BUDGET` from the end: 256 KiB of tool
//!   results after the call, as when parallel calls return first).
//!
//! Target: at most 5 ms CPU per PostToolUse, and one flush per
//! acknowledged record (counted under `strace -f -c` when it is installed).
//!
//! Every binary edits its own copy of the same repository (10,000 files, a
//! committed policy, a journal holding 100 earlier edits), in turn, edit by
//! edit, each round started by the next binary, so that all see the same
//! machine load: median and p90 of CPU (user + system, children included,
//! from `wait4`) and median wall, per call. Prints numbers; asserts
//! nothing.
//!
//! `cargo bench --bench hook`. Environment: `VOUCH_BIN` (default: the
//! release binary, built first), `VOUCH_BIN_BEFORE` and `VOUCH_BIN_MAIN`
//! (measured in the same runs, with ratios to the first of them),
//! `HOOK_BENCH_EDITS` (edits per case, default 25).

#[path = "support/measure.rs"]
mod measure;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use measure::{Bin, Run, binaries, cores, load, measured, strace_installed, syncs_counted};
use serde_json::json;

/// Files in each repository (as many as `cargo bench --bench gate`'s).
const FILES: usize = 10_000;
/// Agent edits made before anything is measured, so that the journal holds
/// what a working session leaves in it.
const EARLIER_EDITS: usize = 100;
/// Files the edits cycle over.
const EDITED: usize = 10;
/// The transcript size of a long session.
const BIG_TRANSCRIPT: usize = 50 << 20;
/// What the hook reads of a transcript's end (`store::transcript`).
const WINDOW: usize = 256 << 10;

fn main() {
    let edits: usize = std::env::var("HOOK_BENCH_EDITS").ok().and_then(|v| v.parse().ok()).unwrap_or(25).max(1);
    let bins = binaries();
    println!("machine: {} cores, load average {}", cores(), load());
    for bin in &bins {
        println!("vouch [{}]: {}", bin.label, bin.path.display());
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let t = Instant::now();
    let repos: Vec<Repo> = bins.iter().map(|b| Repo::build(&root.join(format!("repo-{}", b.label)), b)).collect();
    let transcripts = Transcripts::build(&root.join("transcripts"));
    println!(
        "{} repositories of {FILES} files, transcripts of {:.1} MB, built in {:.1} s; {EARLIER_EDITS} earlier edits in each journal",
        repos.len(),
        file_len(&transcripts.big_end) as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // A working session's journal, not measured.
    let mut k = 0;
    for _ in 0..EARLIER_EDITS {
        k += 1;
        for repo in &repos {
            repo.edit(k, &format!("toolu_earlier_{k:05}"), None, false);
        }
    }

    // The floor: starting the process.
    let mut floor: Vec<Vec<Run>> = bins.iter().map(|_| Vec::new()).collect();
    for round in 0..edits {
        for i in turns(round, repos.len()) {
            floor[i].push(measured(repos[i].command(&["--version"]), None));
        }
    }
    println!("\nvouch --version (process start) [load {}]", load());
    table(&bins, &[("--version", &floor)]);

    let cases: [(&str, Option<&Path>, Placement); 4] = [
        ("no transcript", None, Placement::End),
        ("small transcript", Some(&transcripts.small), Placement::End),
        ("50 MB transcript, call at its end", Some(&transcripts.big_end), Placement::End),
        ("50 MB transcript, call at the start of the window", Some(&transcripts.big_window), Placement::WindowStart),
    ];
    for (title, transcript, placement) in cases {
        let mut pre: Vec<Vec<Run>> = bins.iter().map(|_| Vec::new()).collect();
        let mut post: Vec<Vec<Run>> = bins.iter().map(|_| Vec::new()).collect();
        let mut intents = vec![0usize; bins.len()];
        for _ in 0..edits {
            k += 1;
            let call = format!("toolu_bench_{k:05}");
            if let Some(path) = transcript {
                transcripts.add_call(path, &call, k, placement);
            }
            for i in turns(k, repos.len()) {
                let repo = &repos[i];
                let (a, b) = repo.edit(k, &call, transcript, false);
                pre[i].push(a);
                post[i].push(b);
                intents[i] += usize::from(repo.last_record_has_intent());
            }
        }
        println!("\n{title} [load {}]", load());
        table(&bins, &[("PreToolUse (snapshot)", &pre), ("PostToolUse (record)", &post)]);
        if transcript.is_some() {
            let found: Vec<String> =
                bins.iter().zip(&intents).map(|(b, n)| format!("[{}] {n} of {edits}", b.label)).collect();
            println!("  edits whose record carries the intent: {}", found.join(", "));
        }
    }

    if strace_installed() {
        println!("\nflushes of one edit (strace -f -c), 50 MB transcript:");
        for repo in &repos {
            k += 1;
            let call = format!("toolu_bench_{k:05}");
            transcripts.add_call(&transcripts.big_end, &call, k, Placement::End);
            let (pre, post) = repo.edit(k, &call, Some(&transcripts.big_end), true);
            println!(
                "  [{}] PreToolUse {}; PostToolUse {} (target: one per acknowledged record)",
                repo.label,
                pre.syncs.unwrap_or_default(),
                post.syncs.unwrap_or_default()
            );
        }
    } else {
        println!("\nflushes not counted (strace is not installed)");
    }
    println!("\nload average at the end: {}", load());
}

/// The order the binaries take their turns in, round `round`: each starts
/// a round as often as the others (the first call of a round measured
/// about a millisecond less CPU than the last, on a loaded machine).
fn turns(round: usize, n: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |i| (i + round) % n)
}

// ---------------------------------------------------------------------------
// Repositories

struct Repo {
    root: PathBuf,
    vouch: PathBuf,
    label: String,
}

fn module(i: usize) -> String {
    format!("pkg{:03}/mod{:03}.py", i / 100, i % 100)
}

impl Repo {
    /// A repository of [`FILES`] Python files and a committed policy.
    fn build(root: &Path, bin: &Bin) -> Repo {
        std::fs::create_dir_all(root).unwrap();
        let repo = Repo { root: root.to_path_buf(), vouch: bin.path.clone(), label: bin.label.clone() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "dev@example.com"]);
        repo.git(&["config", "user.name", "Dev"]);
        for i in 0..FILES {
            let path = root.join(module(i));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let mut text = String::new();
            for f in 0..if i < EDITED { 60 } else { 3 } {
                let _ = write!(text, "def base_{i}_{f}(x):\n    return x + {f}\n\n");
            }
            text.push_str("# end\n");
            std::fs::write(path, text).unwrap();
        }
        std::fs::write(root.join(".vouch.toml"), "reviewers = [\"rev@example.com\"]\nintent = \"summary\"\n").unwrap();
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "start"]);
        repo
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.vouch);
        cmd.args(args)
            .current_dir(&self.root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", &self.root)
            .env_remove("ANTHROPIC_MODEL")
            .env_remove("CLAUDE_MODEL");
        cmd
    }

    fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Agent edit `k` (tool call `call`): a new function before `# end` of
    /// one of the edited files, reported through PreToolUse and
    /// PostToolUse, each measured.
    fn edit(&self, k: usize, call: &str, transcript: Option<&Path>, count_syncs: bool) -> (Run, Run) {
        let path = self.root.join(module(k % EDITED));
        let text = std::fs::read_to_string(&path).unwrap();
        let new = format!("def agent_{k}(items):\n    total = sum(items)\n    return total * {k}\n\n# end\n");
        let payload = |event: &str| {
            let mut p = json!({
                "session_id": "bench",
                "cwd": self.root,
                "permission_mode": "default",
                "hook_event_name": event,
                "tool_name": "Edit",
                "tool_use_id": call,
                "tool_input": {"file_path": path, "old_string": "# end\n", "new_string": new, "replace_all": false},
            });
            if let Some(t) = transcript {
                p["transcript_path"] = json!(t);
            }
            p.to_string()
        };
        let pre = self.hook(&payload("PreToolUse"), count_syncs);
        std::fs::write(&path, text.replacen("# end\n", &new, 1)).unwrap();
        let post = self.hook(&payload("PostToolUse"), count_syncs);
        (pre, post)
    }

    fn hook(&self, payload: &str, count_syncs: bool) -> Run {
        let cmd = if count_syncs {
            let mut cmd = Command::new("strace");
            cmd.args(["-f", "-c", "-e", "trace=fsync,fdatasync"])
                .arg(&self.vouch)
                .args(["hook", "claude-code"])
                .current_dir(&self.root)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("HOME", &self.root);
            cmd
        } else {
            self.command(&["hook", "claude-code"])
        };
        let mut run = measured(cmd, Some(payload.as_bytes()));
        assert_eq!(run.code, Some(0), "[{}] vouch hook: {}", self.label, String::from_utf8_lossy(&run.stderr));
        if count_syncs {
            run.syncs = Some(syncs_counted(&String::from_utf8_lossy(&run.stderr)));
        }
        run
    }

    /// Whether the journal's newest segment line mentions an intent (the
    /// transcript was read and the call found).
    fn last_record_has_intent(&self) -> bool {
        let dir = self.root.join(".git/vouch/journal");
        let Ok(entries) = std::fs::read_dir(&dir) else { return false };
        let newest = entries
            .flatten()
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .max_by_key(|(t, _)| *t);
        let Some((_, path)) = newest else { return false };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines().rev().find(|l| !l.trim().is_empty()).is_some_and(|l| l.contains("\"intent\""))
    }
}

// ---------------------------------------------------------------------------
// Transcripts

#[derive(Clone, Copy)]
enum Placement {
    /// The call is the transcript's last line.
    End,
    /// About [`WINDOW`] bytes of tool results follow the call, so that it
    /// is among the first lines the hook reads.
    WindowStart,
}

struct Transcripts {
    small: PathBuf,
    big_end: PathBuf,
    big_window: PathBuf,
}

const MODEL: &str = "claude-opus-4-5-20251101";

fn line(value: serde_json::Value) -> String {
    let mut s = value.to_string();
    s.push('\n');
    s
}

fn prompt(k: usize) -> String {
    line(json!({"type": "user", "message": {"role": "user", "content":
        format!("Please make the report for batch {k} sum the items first, and keep the old behaviour for empty input.")},
        "timestamp": "2026-11-20T10:00:00Z", "sessionId": "bench"}))
}

fn said(k: usize) -> String {
    line(json!({"type": "assistant", "message": {"role": "assistant", "model": MODEL, "content": [{"type": "text",
        "text": format!("I'll add agent_{k}, which sums the items and scales the total; the old function stays as it is.")}]},
        "timestamp": "2026-11-20T10:00:03Z", "sessionId": "bench"}))
}

fn tool_use(call: &str, k: usize) -> String {
    line(json!({"type": "assistant", "message": {"role": "assistant", "model": MODEL, "content": [{"type": "tool_use",
        "id": call, "name": "Edit", "input": {"file_path": format!("/repo/pkg000/mod{:03}.py", k % 10),
        "old_string": "# end\n", "new_string": format!("def agent_{k}(items):\n    ...\n")}}]},
        "timestamp": "2026-11-20T10:00:05Z", "sessionId": "bench"}))
}

/// A tool's result of about `size` bytes (a file read back, a test run).
fn tool_result(n: usize, size: usize) -> String {
    let mut body = String::with_capacity(size);
    let mut i = 0;
    while body.len() < size {
        let _ = writeln!(body, "{:>6}\tdef helper_{n}_{i}(value):  # returns the value scaled by {i}", i + 1);
        i += 1;
    }
    line(json!({"type": "user", "message": {"role": "user", "content": [{"type": "tool_result",
        "tool_use_id": format!("toolu_old_{n}"), "content": body}]}, "timestamp": "2026-11-20T09:00:00Z",
        "sessionId": "bench"}))
}

/// About `size` bytes of a long session: turns of a prompt, the agent's
/// words, a tool call and its (large) result.
fn session(size: usize) -> String {
    let mut out = String::with_capacity(size + (64 << 10));
    let mut n = 0;
    while out.len() < size {
        out.push_str(&prompt(n));
        out.push_str(&said(n));
        out.push_str(&tool_use(&format!("toolu_old_{n}"), n));
        out.push_str(&tool_result(n, 2_000 + (n * 7919) % 30_000));
        n += 1;
    }
    out
}

impl Transcripts {
    fn build(dir: &Path) -> Transcripts {
        std::fs::create_dir_all(dir).unwrap();
        let t = Transcripts {
            small: dir.join("small.jsonl"),
            big_end: dir.join("big-end.jsonl"),
            big_window: dir.join("big-window.jsonl"),
        };
        std::fs::write(&t.small, session(4 << 10)).unwrap();
        let big = session(BIG_TRANSCRIPT);
        std::fs::write(&t.big_end, &big).unwrap();
        std::fs::write(&t.big_window, &big).unwrap();
        t
    }

    /// Append edit `k`'s turn (its prompt, the agent's words, the call
    /// `call`) to the transcript at `path`, placed as `placement` says.
    fn add_call(&self, path: &Path, call: &str, k: usize, placement: Placement) {
        let mut text = String::new();
        text.push_str(&prompt(k));
        text.push_str(&said(k));
        text.push_str(&tool_use(call, k));
        if let Placement::WindowStart = placement {
            // Results of other calls after it, filling the window but for
            // the call's turn and a margin.
            let mut filler = String::new();
            let mut n = 1_000_000 + k * 100;
            let room = WINDOW - text.len() - 2_048;
            while filler.len() < room {
                let next = tool_result(n, 8_000.min(room - filler.len()).max(200));
                if filler.len() + next.len() > room {
                    break;
                }
                filler.push_str(&next);
                n += 1;
            }
            text.push_str(&filler);
        }
        let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

// ---------------------------------------------------------------------------
// Measuring

fn percentile(values: &[f64], p: usize) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() { f64::NAN } else { v[((v.len() - 1) * p) / 100] }
}

/// One row per call and binary: CPU median and p90, wall median, and the
/// CPU ratio to the first binary.
fn table(bins: &[Bin], rows: &[(&str, &Vec<Vec<Run>>)]) {
    println!("  {:<34} {:>10} {:>9} {:>10} {:>10}", "(per call)", "CPU ms", "CPU p90", "wall ms", "CPU / 1st");
    for (name, runs) in rows {
        let mut first = None;
        for (bin, runs) in bins.iter().zip(runs.iter()) {
            let cpu: Vec<f64> = runs.iter().map(|r| r.cpu.as_secs_f64() * 1000.0).collect();
            let wall: Vec<f64> = runs.iter().map(|r| r.wall.as_secs_f64() * 1000.0).collect();
            let median = percentile(&cpu, 50);
            let ratio = match first {
                None => {
                    first = Some(median);
                    String::new()
                }
                Some(f) => format!("{:.2}", median / f),
            };
            println!(
                "  {:<34} {:>10.2} {:>9.2} {:>10.2} {:>10}",
                format!("{name} [{}]", bin.label),
                median,
                percentile(&cpu, 90),
                percentile(&wall, 50),
                ratio
            );
        }
    }
}
