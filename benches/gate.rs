//! The commit gate's cost, through the release binary and the real git:
//!
//! - `vouch hook claude-code` per agent edit, its PreToolUse (snapshot) and
//!   PostToolUse (record) (median and p90 of wall and CPU time; target: at
//!   most 5 ms CPU, one flush per acknowledged record), measured while
//!   building the journal below; and for a shell command, which reads the
//!   worktree's status before and after;
//! - `vouch check --staged` on a repository of 10,000 files with 50 staged
//!   files holding 1,000 journal spans (20 agent edits each, every unit
//!   approved): the first run, with nothing kept from earlier runs; with no
//!   file analysed before (an agent committing right after its edits); and
//!   after a `vouch check` or `vouch status` (analyses kept);
//! - the time vouch's hooks add to `git commit` of those 50 files beside a
//!   plain commit with no hooks (target: at most 20 ms CPU added on first
//!   sight of the files, i.e. with no analysis kept), with the
//!   ratio, after a check, with no analysis kept, and after the agent's
//!   turn ended (its `Stop` hook analysed the files, as in real use a
//!   person commits after the agent is done; the hook's own cost printed
//!   besides).
//!
//! Each is measured in CPU time (user + system of the process and of the
//! children it waited for, from `wait4`: git's hooks count in the commit's)
//! beside wall time: on a machine shared with other work, wall time
//! stretches and CPU time much less. One agent edit more is run under
//! `strace -f -c` (when strace is installed) to count its `fsync` and
//! `fdatasync` calls (target: one per acknowledged record).
//!
//! Prints numbers; asserts nothing. `cargo bench --bench gate`; it builds
//! the release binary first (a no-op when it is up to date), or uses
//! `$VOUCH_BIN`. `GATE_BENCH_QUICK=1` shrinks the repository for a smoke run;
//! `GATE_BENCH_KEEP=1` keeps it, as `vouch check --staged` saw it, and stops
//! there, for profiling.

#[path = "support/measure.rs"]
mod measure;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use measure::{Run, measured, syncs_counted};
use vouch::cli::context::Context;
use vouch::policy::Verdict;
use vouch::signoff;
use vouch::store::policy_file::Source;
use vouch::store::records::{self, Person};

struct Sizes {
    files: usize,
    staged: usize,
    edits_per_file: usize,
    runs: usize,
}

fn main() {
    let quick = std::env::var_os("GATE_BENCH_QUICK").is_some();
    let sizes = if quick {
        Sizes { files: 500, staged: 5, edits_per_file: 4, runs: 3 }
    } else {
        Sizes { files: 10_000, staged: 50, edits_per_file: 20, runs: 7 }
    };
    let vouch = measure::release_binary();
    println!("vouch binary: {}", vouch.display());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let bench = Bench { root: root.clone(), vouch };
    if std::env::var_os("GATE_BENCH_KEEP").is_some() {
        println!("keeping the repository at {}", root.display());
        std::mem::forget(dir);
    }

    let t = Instant::now();
    bench.setup_repository(&sizes);
    println!(
        "setup: {} files, {} staged, {} agent edits ({:.1} s)",
        sizes.files,
        sizes.staged,
        sizes.staged * sizes.edits_per_file,
        t.elapsed().as_secs_f64()
    );

    // Agent edits, as Claude Code reports them (a snapshot before the tool,
    // the record after it): the journal the gate reads.
    let (mut pre_times, mut pre_cpu) = (Vec::new(), Vec::new());
    let (mut hook_times, mut hook_cpu) = (Vec::new(), Vec::new());
    for k in 0..sizes.edits_per_file {
        for f in 0..sizes.staged {
            let (pre, post) = bench.agent_edit(f, k, false);
            pre_times.push(pre.wall);
            pre_cpu.push(pre.cpu);
            hook_times.push(post.wall);
            hook_cpu.push(post.cpu);
        }
    }
    println!(
        "vouch hook claude-code, PostToolUse (record) per edit: wall median {:.1} ms, p90 {:.1} ms, max {:.1} ms; CPU median {:.1} ms, p90 {:.1} ms over {} edits (target: CPU <= 5 ms)",
        ms(percentile(&mut hook_times, 50)),
        ms(percentile(&mut hook_times, 90)),
        ms(percentile(&mut hook_times, 100)),
        ms(percentile(&mut hook_cpu, 50)),
        ms(percentile(&mut hook_cpu, 90)),
        hook_times.len()
    );
    println!(
        "vouch hook claude-code, PreToolUse (snapshot) per edit: wall median {:.1} ms, p90 {:.1} ms; CPU median {:.1} ms, p90 {:.1} ms",
        ms(percentile(&mut pre_times, 50)),
        ms(percentile(&mut pre_times, 90)),
        ms(percentile(&mut pre_cpu, 50)),
        ms(percentile(&mut pre_cpu, 90)),
    );
    // One more edit (of a file with a journal already), its flushes counted.
    match bench.agent_edit(0, sizes.edits_per_file, true) {
        (Run { syncs: Some(pre), .. }, Run { syncs: Some(post), .. }) => println!(
            "vouch hook claude-code, one edit: PreToolUse {pre}; PostToolUse {post} (target: one flush per acknowledged record)"
        ),
        _ => println!("vouch hook claude-code, one edit: flushes not counted (strace is not installed)"),
    }

    let spans = bench.journal_spans();
    println!("journal: {spans} spans");

    bench.git(&["add", "-A"]);
    let t = Instant::now();
    let approved = bench.approve_all(sizes.staged);
    println!("approved {approved} units ({:.1} s)", t.elapsed().as_secs_f64());

    // The gate alone: the first run, with nothing kept from earlier runs;
    // then with the records' listing kept but no file analysed before (an
    // agent that commits right after its edits); then after a check or a
    // status run (a developer who looked before committing).
    bench.clear_caches(true);
    let first = bench.check();
    let (mut cold, mut cold_cpu) = (Vec::new(), Vec::new());
    for _ in 0..sizes.runs {
        bench.clear_caches(false);
        let run = bench.check();
        cold.push(run.wall);
        cold_cpu.push(run.cpu);
    }
    let (mut warm, mut warm_cpu) = (Vec::new(), Vec::new());
    for _ in 0..sizes.runs {
        let run = bench.check();
        warm.push(run.wall);
        warm_cpu.push(run.cpu);
    }
    println!(
        "vouch check --staged, first run (nothing kept): {:.1} ms wall, {:.1} ms CPU",
        ms(first.wall),
        ms(first.cpu)
    );
    println!(
        "vouch check --staged, no analysis kept: wall median {:.1} ms (min {:.1} ms), CPU median {:.1} ms over {} runs",
        ms(percentile(&mut cold, 50)),
        ms(percentile(&mut cold, 0)),
        ms(percentile(&mut cold_cpu, 50)),
        sizes.runs
    );
    println!(
        "vouch check --staged, after a check: wall median {:.1} ms (min {:.1} ms), CPU median {:.1} ms over {} runs",
        ms(percentile(&mut warm, 50)),
        ms(percentile(&mut warm, 0)),
        ms(percentile(&mut warm_cpu, 50)),
        sizes.runs
    );

    if std::env::var_os("GATE_BENCH_KEEP").is_some() {
        return;
    }

    // A commit with vouch's hooks beside one without, on the same index.
    let saved = bench.saved_state();
    let mut plain = Vec::new();
    let mut hooked_warm = Vec::new();
    let mut hooked_cold = Vec::new();
    let mut hooked_after_turn = Vec::new();
    let mut turn_ends = Vec::new();
    for _ in 0..sizes.runs {
        plain.push(bench.commit(false, &saved));
        hooked_warm.push(bench.commit(true, &saved));
        bench.clear_caches(false);
        hooked_cold.push(bench.commit(true, &saved));
        bench.clear_caches(false);
        turn_ends.push(bench.turn_ends());
        hooked_after_turn.push(bench.commit(true, &saved));
    }
    let median = |runs: &[Run], cpu: bool| {
        let mut v: Vec<Duration> = runs.iter().map(|r| if cpu { r.cpu } else { r.wall }).collect();
        percentile(&mut v, 50)
    };
    let (p, p_cpu) = (median(&plain, false), median(&plain, true));
    for (label, runs) in [
        ("after a check", &hooked_warm),
        ("no analysis kept (first sight)", &hooked_cold),
        ("after the agent's turn ended (its Stop hook ran)", &hooked_after_turn),
    ] {
        let (h, h_cpu) = (median(runs, false), median(runs, true));
        println!(
            "git commit of {} files, {label}: plain {:.1} ms wall / {:.1} ms CPU, with vouch's hooks {:.1} ms wall / {:.1} ms CPU: {:+.1} ms CPU added (target: <= 20 ms), CPU ratio {:.2}, {:+.1} ms wall added",
            sizes.staged,
            ms(p),
            ms(p_cpu),
            ms(h),
            ms(h_cpu),
            ms(h_cpu) - ms(p_cpu),
            h_cpu.as_secs_f64() / p_cpu.as_secs_f64(),
            ms(h) - ms(p),
        );
    }
    println!(
        "vouch hook claude-code, Stop (the end of the agent's turn, {} files analysed): wall median {:.1} ms, CPU median {:.1} ms",
        sizes.staged,
        ms(median(&turn_ends, false)),
        ms(median(&turn_ends, true)),
    );

    // Once the AI text is committed (with its note), a later change to
    // those files needs their history (from the range's lineage and a
    // lineage step of each staged file, not git blame).
    let out = bench.command(Path::new("git"), &["commit", "-q", "-m", "agent work"]).output().unwrap();
    assert!(out.status.success(), "git commit: {}", String::from_utf8_lossy(&out.stderr));
    for f in 0..sizes.staged {
        let path = bench.root.join(file_name(f));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("    return total * 0\n", "    return total * 0 + 1\n")).unwrap();
    }
    bench.git(&["add", "-A"]);
    let (mut history_times, mut history_cpu) = (Vec::new(), Vec::new());
    for _ in 0..sizes.runs {
        let run = measured(bench.command(&bench.vouch, &["check", "--staged"]), None);
        history_times.push(run.wall);
        history_cpu.push(run.cpu);
        assert_eq!(run.code, Some(1), "the edited units need sign-off again");
    }
    println!(
        "vouch check --staged, {} staged files with AI history: wall median {:.1} ms, CPU median {:.1} ms",
        sizes.staged,
        ms(percentile(&mut history_times, 50)),
        ms(percentile(&mut history_cpu, 50))
    );

    // Last, as it adds journal records: a shell command's hooks, which read
    // the worktree's status before and after. One run varies by half (the
    // journal's upkeep runs on some and not others): the median of several.
    let runs: Vec<(Run, Run)> = (0..SHELL_RUNS).map(|_| bench.shell_command(sizes.staged)).collect();
    let median = |pick: fn(&(Run, Run)) -> Duration| {
        let mut times: Vec<Duration> = runs.iter().map(pick).collect();
        times.sort();
        ms(times[times.len() / 2])
    };
    println!(
        "vouch hook claude-code for a shell command ({} files, {} changed), median of {SHELL_RUNS}: PreToolUse {:.1} ms wall / {:.1} ms CPU, PostToolUse {:.1} ms wall / {:.1} ms CPU",
        sizes.files,
        sizes.staged,
        median(|r| r.0.wall),
        median(|r| r.0.cpu),
        median(|r| r.1.wall),
        median(|r| r.1.cpu)
    );
}

/// How many times a shell command's hooks are measured.
const SHELL_RUNS: usize = 7;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    let i = ((times.len() - 1) * p) / 100;
    times[i]
}

struct Bench {
    root: PathBuf,
    vouch: PathBuf,
}

fn file_name(i: usize) -> String {
    format!("pkg{:03}/mod{:03}.py", i / 100, i % 100)
}

impl Bench {
    fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(&self.root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", &self.root)
            .env("NO_COLOR", "1")
            .env_remove("GIT_INDEX_FILE");
        cmd
    }

    fn git(&self, args: &[&str]) -> String {
        let out = self.command(Path::new("git"), args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn setup_repository(&self, sizes: &Sizes) {
        self.git(&["init", "-q", "-b", "main"]);
        self.git(&["config", "user.email", "dev@example.com"]);
        self.git(&["config", "user.name", "Dev"]);
        self.git(&["config", "commit.gpgsign", "false"]);
        for i in 0..sizes.files {
            let path = self.root.join(file_name(i));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, format!("def base_{i}(x):\n    return x + {i}\n\n# end\n")).unwrap();
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "ten thousand files"]);
        let out = self.command(&self.vouch, &["init"]).output().unwrap();
        assert!(out.status.success(), "vouch init: {}", String::from_utf8_lossy(&out.stderr));
        self.git(&["add", "-A"]);
        // The policy is a trust file: the gate asks a sign-off for a change
        // to it, which this setup does not measure.
        self.git(&["commit", "-q", "--no-verify", "-m", "vouch policy"]);
        // The agent works on a branch: its commits are the range BASE..HEAD
        // that the gate and verify judge (on `main` itself BASE is HEAD,
        // and committed AI text has landed).
        self.git(&["checkout", "-q", "-b", "feature"]);
    }

    /// Agent edit `k` of staged file `f`: a new function before `# end`,
    /// reported through the Claude Code hooks (PreToolUse, then
    /// PostToolUse), each measured; with `count_syncs`, under `strace`
    /// (when installed), their flushes counted.
    fn agent_edit(&self, f: usize, k: usize, count_syncs: bool) -> (Run, Run) {
        let path = self.root.join(file_name(f));
        let text = std::fs::read_to_string(&path).unwrap();
        let new = format!("def agent_{f}_{k}(items):\n    total = sum(items)\n    return total * {k}\n\n# end\n");
        let payload = |event: &str| {
            serde_json::json!({
                "session_id": "bench",
                "hook_event_name": event,
                "tool_name": "Edit",
                "tool_use_id": format!("toolu_{f}_{k}"),
                "tool_input": {"file_path": path, "old_string": "# end\n", "new_string": new},
            })
            .to_string()
        };
        let pre = self.hook(&payload("PreToolUse"), count_syncs);
        std::fs::write(&path, text.replace("# end\n", &new)).unwrap();
        let post = self.hook(&payload("PostToolUse"), count_syncs);
        (pre, post)
    }

    /// A shell command that changes the `staged` files, reported through
    /// the Claude Code hooks; the change is undone after.
    fn shell_command(&self, staged: usize) -> (Run, Run) {
        let payload = |event: &str| {
            serde_json::json!({
                "session_id": "bench",
                "cwd": self.root,
                "hook_event_name": event,
                "tool_name": "Bash",
                "tool_use_id": "toolu_shell",
                "tool_input": {"command": "sed -i ..."},
            })
            .to_string()
        };
        let pre = self.hook(&payload("PreToolUse"), false);
        let files: Vec<PathBuf> = (0..staged).map(|f| self.root.join(file_name(f))).collect();
        let saved: Vec<String> = files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
        for (p, text) in files.iter().zip(&saved) {
            std::fs::write(p, format!("{text}# by the shell\n")).unwrap();
        }
        let post = self.hook(&payload("PostToolUse"), false);
        for (p, text) in files.iter().zip(&saved) {
            std::fs::write(p, text).unwrap();
        }
        (pre, post)
    }

    /// `vouch hook claude-code` with `payload`, measured; with
    /// `count_syncs`, under `strace -f -c` (if installed), its flushes
    /// counted.
    fn hook(&self, payload: &str, count_syncs: bool) -> Run {
        let strace = count_syncs && Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success());
        let cmd = if strace {
            let vouch = self.vouch.to_string_lossy().into_owned();
            self.command(
                Path::new("strace"),
                &["-f", "-c", "-e", "trace=fsync,fdatasync", &vouch, "hook", "claude-code"],
            )
        } else {
            self.command(&self.vouch, &["hook", "claude-code"])
        };
        let mut run = measured(cmd, Some(payload.as_bytes()));
        assert_eq!(run.code, Some(0), "vouch hook: {}", String::from_utf8_lossy(&run.stderr));
        if strace {
            run.syncs = Some(syncs_counted(&String::from_utf8_lossy(&run.stderr)));
        }
        run
    }

    fn journal_dir(&self) -> PathBuf {
        self.root.join(".git/vouch/journal")
    }

    fn journal_files(&self) -> BTreeSet<PathBuf> {
        std::fs::read_dir(self.journal_dir()).unwrap().flatten().map(|e| e.path()).collect()
    }

    fn journal_spans(&self) -> usize {
        self.journal_files().iter().map(|p| std::fs::read_to_string(p).unwrap().matches("\"start\":").count()).sum()
    }

    /// Approve every AI unit of the staged files, as a reviewer.
    fn approve_all(&self, staged: usize) -> usize {
        let ctx = Context::open_at(&self.root).unwrap();
        let policy = ctx.policy(&Source::Index).unwrap();
        let ledger = ctx.ledger().unwrap();
        let journal = ctx.journal().unwrap();
        let reviewer = Person { name: "Rev".into(), email: "reviewer@example.com".into() };
        let mut count = 0;
        for f in 0..staged {
            let path = file_name(f);
            let text = std::fs::read_to_string(self.root.join(&path)).unwrap();
            let spans = ctx.spans(&policy, &journal, &path, &text, true).unwrap();
            let (_, facts) = ctx.facts(&path, text, &spans).unwrap();
            for unit in &facts {
                let judgement = ledger.judge(&policy, (&path, None), unit, &[], &|_| None);
                let approval =
                    signoff::decide_judged(&ledger, &path, unit, &judgement, reviewer.clone(), Verdict::Approve, None)
                        .unwrap();
                records::add(&ctx.repo, &approval).unwrap();
                count += 1;
            }
        }
        count
    }

    /// One `vouch check --staged`, which must pass.
    /// Claude Code's `Stop` at the end of the agent's turn.
    fn turn_ends(&self) -> Run {
        let payload = serde_json::json!({
            "session_id": "bench",
            "cwd": self.root,
            "hook_event_name": "Stop",
            "stop_hook_active": false,
        });
        let bytes = payload.to_string().into_bytes();
        let run = measured(self.command(&self.vouch, &["hook", "claude-code"]), Some(&bytes));
        assert_eq!(run.code, Some(0), "the Stop hook: {}", String::from_utf8_lossy(&run.stderr));
        run
    }

    fn check(&self) -> Run {
        let run = measured(self.command(&self.vouch, &["check", "--staged"]), None);
        assert_eq!(run.code, Some(0), "vouch check --staged failed: {}", String::from_utf8_lossy(&run.stdout));
        run
    }

    /// Forget the analyses kept between runs; with `all`, every cache.
    fn clear_caches(&self, all: bool) {
        let dir = self.root.join(".git/vouch/cache");
        let _ = std::fs::remove_dir_all(if all { dir } else { dir.join("analysis") });
    }

    /// What a commit's hooks change: the journal (its files, and the ref
    /// that keeps its blobs, which compaction rewrites), the notes ref and
    /// the history index.
    fn saved_state(&self) -> Saved {
        let journal = self.journal_files().into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect();
        Saved {
            journal,
            refs: ["refs/notes/vouch", "refs/vouch/journal/main"].map(|r| (r, self.rev(r))).into(),
            cache: std::fs::read(self.cache_file()).ok(),
        }
    }

    fn rev(&self, name: &str) -> String {
        let out = self.command(Path::new("git"), &["rev-parse", "-q", "--verify", name]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn cache_file(&self) -> PathBuf {
        self.root.join(".git/vouch/cache/ai-paths.json")
    }

    /// Commit the index, with vouch's hooks or none; then undo the commit
    /// and what the hooks did, so the next run starts alike.
    fn commit(&self, hooks: bool, saved: &Saved) -> Run {
        let mut args = vec![];
        if !hooks {
            args.extend(["-c", "core.hooksPath=.git/no-hooks"]);
        }
        args.extend(["commit", "-q", "-m", "agent work"]);
        let run = measured(self.command(Path::new("git"), &args), None);
        assert_eq!(
            run.code,
            Some(0),
            "git commit: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        self.git(&["reset", "-q", "--soft", "HEAD~1"]);
        for file in self.journal_files() {
            std::fs::remove_file(file).unwrap();
        }
        for (file, bytes) in &saved.journal {
            std::fs::write(file, bytes).unwrap();
        }
        for (name, id) in &saved.refs {
            if id.is_empty() {
                let _ = self.command(Path::new("git"), &["update-ref", "-d", name]).output();
            } else {
                self.git(&["update-ref", name, id]);
            }
        }
        if let Some(cache) = &saved.cache {
            std::fs::write(self.cache_file(), cache).unwrap();
        }
        run
    }
}

struct Saved {
    journal: Vec<(PathBuf, Vec<u8>)>,
    refs: Vec<(&'static str, String)>,
    cache: Option<Vec<u8>>,
}
