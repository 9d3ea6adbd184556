//! vouch at real-repository scale (issue 15), each command beside the plain
//! git command it depends on, through the release binary and the real git:
//!
//! - `vouch blame` of the hot file (about 2,200 lines, about 90 commits)
//!   beside `git blame --porcelain`, with nothing kept from earlier runs and
//!   after a run (what a developer's second look costs);
//! - `vouch verify BASE..HEAD` over about 1,000 commits (about 400 files
//!   touched) beside `git log -p` of the range;
//! - `vouch stats` and `vouch report` over the same range beside
//!   `git log --numstat`;
//! - a 5,200-line file blamed through 200 AI commits, and written by one AI
//!   commit (`vouch blame` beside `git blame`); and a 100-line file written
//!   by one AI commit, where what vouch adds is its fixed cost per process
//!   (the 5,200-line one adds the analysis of 5,200 AI lines);
//! - 4,000 and 10,000 nested Rust `fn` items through `vouch verify`,
//!   killed after a timeout (printed as such, never a hang);
//! - `vouch lsp` opening the hot file with BASE 300 first-parent commits
//!   behind HEAD: from `didOpen`, the answer to a hover sent right after it
//!   and the file's first diagnostics, with nothing kept and with
//!   `.git/vouch` kept.
//!
//! The history is generated (`support/history_repo.rs`: merges, AI
//! trailers, git-ai and vouch notes, requests and approvals) and cached
//! under `target/bench-repos/`, so reruns start at once.
//!
//! For each command: the median wall time, CPU time (user + system of the
//! process and the children it waited for, from `wait4`), peak RSS (the
//! largest of the process and those children, as `/usr/bin/time` reports
//! it) and the process's own peak RSS without its children (read every
//! 5 ms while it runs) over several runs, run in turn with the git command
//! so that both see the same machine load, and the ratio to git. On a
//! loaded machine wall time stretches; CPU time much less. Every vouch run but the "after a run" ones starts with
//! no `.git/vouch` (a fresh clone, as CI has it). Prints numbers; asserts
//! nothing.
//!
//! `cargo bench --bench history`. Environment:
//! - `VOUCH_BIN`: the vouch binary (default: the release binary, built
//!   first); `VOUCH_BIN_BEFORE` and `VOUCH_BIN_MAIN`: others, measured in
//!   the same runs (each run started by the next binary), with the ratios
//!   of `VOUCH_BIN` to each (e.g. `/work/bin/vouch-before`);
//! - `HISTORY_BENCH_SIZE=small`: a few hundred commits, for a quick run;
//! - `HISTORY_BENCH_ONLY=blame,verify,stats,report,synthetic,nested,lsp`: some
//!   cases only (`none`: build the repositories and stop);
//! - `HISTORY_BENCH_RUNS` (default 7) and `HISTORY_BENCH_SLOW_RUNS`
//!   (default 3, for the commands over the range);
//! - `HISTORY_BENCH_TIMEOUT` (seconds, default 300) and
//!   `HISTORY_BENCH_NESTED_TIMEOUT` (default 60).

#[path = "support/history_repo.rs"]
mod history_repo;

#[path = "support/measure.rs"]
mod measure;

#[path = "../tests/support/lsp.rs"]
mod lsp;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use history_repo::{Shape, build_blame_file, build_history, build_nested, build_small_file, cache_root, cached};
use measure::{Bin, binaries, cores, load};
use serde_json::json;

fn main() {
    let config = Config::from_env();
    let shape =
        if std::env::var("HISTORY_BENCH_SIZE").as_deref() == Ok("small") { Shape::small() } else { Shape::full() };
    let root = cache_root(Path::new(env!("CARGO_MANIFEST_DIR")));
    if std::env::var_os(BUILDER).is_some() {
        repositories(&shape, &root);
        return;
    }
    // Build in a child process: every process this one starts begins with
    // this one's peak RSS as its own (exec keeps the high-water mark of the
    // memory it replaces), so building here would inflate every RSS below.
    let status = Command::new(std::env::current_exe().expect("this binary"))
        .env(BUILDER, "1")
        .status()
        .expect("the builder runs");
    assert!(status.success(), "building the repositories failed");
    let repos = repositories(&shape, &root);

    let bins = binaries();
    println!("machine: {} cores, load average {}", cores(), load());
    println!("{}", history_repo::git(Path::new("."), &["--version"]).trim());
    for bin in &bins {
        println!("vouch [{}]: {}", bin.label, bin.path.display());
    }
    println!("repositories: {}", root.display());
    let m = &repos.history.manifest;
    println!(
        "history ({}): {} commits ({} merges), {} with AI trailers, {} aider, {} git-ai notes, {} vouch notes \
         ({} no-ai), {} requests, {} decisions; {} files at HEAD (longest {} lines)",
        shape.name,
        m.commits,
        m.merges,
        m.trailer_commits,
        m.aider_commits,
        m.git_ai_notes,
        m.vouch_notes,
        m.vouch_no_ai_notes,
        m.requests,
        m.approvals,
        m.files,
        m.max_file_lines
    );
    println!(
        "RSS floor: {:.1} MB (this process's peak, which every command measured starts from)",
        own_peak_rss() as f64 / 1024.0
    );
    let history = &repos.history;
    let (blame200, blame1, small, nested, depths) =
        (&repos.blame200, &repos.blame1, &repos.small, &repos.nested, repos.depths);

    let repo = history.repo();
    // Set only while the language server's case runs: a run stopped in it
    // (^C runs no destructor) would leave it for every case after.
    let _ = history_repo::git_command(&repo).args(["config", "--unset-all", "vouch.base"]).status();
    let range = format!("{}..{}", m.base, m.head);
    let mut results = Vec::new();

    if config.wants("blame") {
        let title =
            format!("blame {} ({} lines, {} commits), nothing kept", m.hot_file, m.hot_file_lines, m.hot_file_commits);
        let case = Case::new(&title, &repo, &["blame", "--porcelain", "--", &m.hot_file], &["blame", &m.hot_file]);
        results.push(("blame", run_case(&case, &bins, &config)));
        let title = format!("blame {}, records kept (a file version not looked at before)", m.hot_file);
        let records = Case { records_kept: true, ..Case::new(&title, &repo, &case.git_args(), &case.vouch_args()) };
        results.push(("blame, records kept", run_case(&records, &bins, &config)));
        let title = format!(
            "blame {}, records and notes' texts kept (a file version not looked at before; its commits' notes read before)",
            m.hot_file
        );
        let notes = Case { notes_kept: true, ..Case::new(&title, &repo, &case.git_args(), &case.vouch_args()) };
        results.push(("blame, notes kept", run_case(&notes, &bins, &config)));
        let title = format!("blame {}, after a run (caches kept)", m.hot_file);
        let case = Case { warm: true, ..Case::new(&title, &repo, &case.git_args(), &case.vouch_args()) };
        results.push(("blame, warm", run_case(&case, &bins, &config)));
    }
    if config.wants("verify") {
        let title = format!("verify over {} commits ({} files touched)", m.range_commits, m.range_files);
        let case = Case { slow: true, ..Case::new(&title, &repo, &["log", "-p", &range], &["verify", &range]) };
        results.push(("verify", run_case(&case, &bins, &config)));
    }
    if config.wants("stats") {
        let title = format!("stats over {} commits", m.range_commits);
        let case = Case { slow: true, ..Case::new(&title, &repo, &["log", "--numstat", &range], &["stats", &range]) };
        results.push(("stats", run_case(&case, &bins, &config)));
    }
    if config.wants("report") {
        let title = format!("report over {} commits", m.range_commits);
        let case = Case {
            slow: true,
            ..Case::new(&title, &repo, &["log", "--numstat", &range], &["report", &range, "-o", "-"])
        };
        results.push(("report", run_case(&case, &bins, &config)));
    }
    if config.wants("synthetic") {
        for (built, label, name) in [
            (blame200, "200 AI commits", "blame, 200 AI commits"),
            (blame1, "1 AI commit", "blame, 1 AI commit"),
            (small, "1 AI commit", "blame, small AI file"),
        ] {
            let s = &built.manifest;
            let title = format!("blame {} ({} lines, {label}), nothing kept", s.path, s.lines);
            let case = Case::new(&title, &built.repo(), &["blame", "--porcelain", "--", &s.path], &["blame", &s.path]);
            results.push((name, run_case(&case, &bins, &config)));
        }
    }
    if config.wants("nested") {
        for (depth, built) in nested {
            let s = &built.manifest;
            let range = format!("{}..{}", s.base, s.head);
            let title = format!("verify of {depth} nested Rust fn items ({} lines)", s.lines);
            let case = Case {
                slow: true,
                timeout: Some(config.nested_timeout),
                ..Case::new(&title, &built.repo(), &["log", "-p", &range], &["verify", &range])
            };
            let label = if *depth == depths[0] { "nested, smaller" } else { "nested, larger" };
            results.push((label, run_case(&case, &bins, &config)));
        }
    }
    summary(&results, &bins);
    if config.wants("lsp") {
        lsp_first_open(&repo, &m.hot_file, &bins, &config);
    }
    println!("\nload average at the end: {}", load());
}

// ---------------------------------------------------------------------------
// The language server

/// How far behind HEAD (first parents) BASE is for the language server's
/// case: the range it reads when it opens the repository.
const LSP_BASE_BEHIND: usize = 300;

/// `vouch lsp` opening `hot` in `repo` with BASE [`LSP_BASE_BEHIND`]
/// first-parent commits behind HEAD (`vouch.base`, set for the case and
/// unset after): from `didOpen`, the answer to a hover sent right after it
/// (nothing the client asks should wait for the repository's records and
/// range) and the file's first diagnostics (which wait for them and for
/// its history), with nothing kept from earlier runs and with `.git/vouch`
/// kept. Each binary in turn, `config.runs` times; medians.
fn lsp_first_open(repo: &Path, hot: &str, bins: &[Bin], config: &Config) {
    let base = history_repo::git(repo, &["rev-parse", &format!("HEAD~{LSP_BASE_BEHIND}")]).trim().to_string();
    let commits = history_repo::git(repo, &["rev-list", "--count", &format!("{base}..HEAD")]).trim().to_string();
    let _base = GitConfig::set(repo, "vouch.base", &base);
    let text = std::fs::read_to_string(repo.join(hot)).expect("the hot file");
    let home = repo.to_string_lossy().into_owned();
    let env = [("GIT_CONFIG_NOSYSTEM", "1"), ("GIT_CONFIG_GLOBAL", "/dev/null"), ("HOME", home.as_str())];
    let uri = format!("file://{}/{hot}", repo.display());
    let open = |bin: &Bin| -> (f64, f64) {
        let mut server = lsp::Server::start_binary(&bin.path, repo, &["utf-16"], &env);
        let started = Instant::now();
        server.open(&uri, "rust", &text);
        let at = json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } });
        server.request("textDocument/hover", at);
        let hover = started.elapsed().as_secs_f64() * 1000.0;
        server.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri.as_str());
        let diagnostics = started.elapsed().as_secs_f64() * 1000.0;
        server.shutdown();
        (hover, diagnostics)
    };
    for kept in [false, true] {
        let mut times = vec![(Vec::new(), Vec::new()); bins.len()];
        if kept {
            // One run each first, which writes what is kept.
            for bin in bins {
                let _ = open(bin);
            }
        }
        for _ in 0..config.runs {
            for (bin, (hovers, diagnostics)) in bins.iter().zip(&mut times) {
                if !kept {
                    let _ = std::fs::remove_dir_all(repo.join(".git/vouch"));
                }
                let (hover, first) = open(bin);
                hovers.push(hover);
                diagnostics.push(first);
            }
        }
        let what = if kept { "`.git/vouch` kept" } else { "nothing kept" };
        println!("\nlanguage server opening {hot}, BASE {commits} commits behind HEAD, {what}:");
        for (bin, (hovers, diagnostics)) in bins.iter().zip(times) {
            println!(
                "  vouch [{}]: a hover sent right after didOpen answered after {:.0} ms, the file's first diagnostics after {:.0} ms (medians of {})",
                bin.label,
                median(hovers),
                median(diagnostics),
                config.runs
            );
        }
    }
    let _ = std::fs::remove_dir_all(repo.join(".git/vouch"));
}

/// A git config key set in a repository for as long as it lives.
struct GitConfig<'a> {
    repo: &'a Path,
    key: &'static str,
}

impl<'a> GitConfig<'a> {
    fn set(repo: &'a Path, key: &'static str, value: &str) -> GitConfig<'a> {
        history_repo::git(repo, &["config", key, value]);
        GitConfig { repo, key }
    }
}

impl Drop for GitConfig<'_> {
    fn drop(&mut self) {
        let _ = history_repo::git_command(self.repo).args(["config", "--unset-all", self.key]).status();
    }
}

/// Set for the child process that builds the repositories.
const BUILDER: &str = "HISTORY_BENCH_BUILDER";

struct Repos {
    history: history_repo::Built<history_repo::Manifest>,
    blame200: history_repo::Built<history_repo::Synthetic>,
    blame1: history_repo::Built<history_repo::Synthetic>,
    small: history_repo::Built<history_repo::Synthetic>,
    nested: Vec<(usize, history_repo::Built<history_repo::Synthetic>)>,
    depths: [usize; 2],
}

/// The repositories, from the cache or built (and then said so).
fn repositories(shape: &Shape, root: &Path) -> Repos {
    history_repo::prune_stale(root);
    let timed = |name: String, was_cached: bool, t: Instant| {
        if !was_cached {
            println!("{}: built in {:.1} s", root.join(name).display(), t.elapsed().as_secs_f64());
        }
    };
    let t = Instant::now();
    let name = format!("history-{}", shape.name);
    let (history, was_cached) = cached(root, &name, |d| build_history(shape, d));
    timed(name, was_cached, t);
    let synthetic = |name: String, build: &dyn Fn(&Path) -> history_repo::Synthetic| {
        let t = Instant::now();
        let (built, was_cached) = cached(root, &name, build);
        timed(name, was_cached, t);
        built
    };
    let blame200 = synthetic("blame-200".into(), &|d| build_blame_file(d, 200));
    let blame1 = synthetic("blame-1".into(), &|d| build_blame_file(d, 1));
    let small = synthetic("blame-small".into(), &|d| build_small_file(d));
    let depths: [usize; 2] = if shape.name == "small" { [400, 1000] } else { [4000, 10_000] };
    let nested = depths
        .iter()
        .map(|&depth| (depth, synthetic(format!("nested-{depth}"), &|d| build_nested(d, depth))))
        .collect();
    Repos { history, blame200, blame1, small, nested, depths }
}

/// The peak RSS of this process's memory (`VmHWM`), in KiB: what every
/// process it starts counts as its own from the start (`ru_maxrss` would
/// also count the peak of cargo, which exec'd this one).
fn own_peak_rss() -> u64 {
    vm_hwm("/proc/self/status").unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Configuration

struct Config {
    runs: usize,
    slow_runs: usize,
    timeout: Duration,
    nested_timeout: Duration,
    only: Option<BTreeSet<String>>,
}

impl Config {
    fn from_env() -> Config {
        let number =
            |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default).max(1);
        Config {
            runs: number("HISTORY_BENCH_RUNS", 7) as usize,
            slow_runs: number("HISTORY_BENCH_SLOW_RUNS", 3) as usize,
            timeout: Duration::from_secs(number("HISTORY_BENCH_TIMEOUT", 300)),
            nested_timeout: Duration::from_secs(number("HISTORY_BENCH_NESTED_TIMEOUT", 60)),
            only: std::env::var("HISTORY_BENCH_ONLY")
                .ok()
                .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()),
        }
    }

    fn wants(&self, case: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(case))
    }
}

// ---------------------------------------------------------------------------
// Measuring one process

/// One run of one command.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    /// Peak resident set size, in KiB, of the process or one of the
    /// children it waited for, whichever was largest (what `/usr/bin/time`
    /// reports).
    rss: u64,
    /// The process's own peak, without its children, as last read while it
    /// ran (0 when it ended first).
    own_rss: u64,
    /// The exit code; `None` when killed (by the timeout or a signal).
    code: Option<i32>,
    timed_out: bool,
}

/// Run `cmd` to its end (or kill its process group after `timeout`),
/// draining its output, and measure it. The last bytes of its standard
/// error come back too.
fn measure(mut cmd: Command, timeout: Duration) -> (Sample, String) {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn().expect("the command starts");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let drain = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while matches!(stdout.read(&mut buf), Ok(n) if n > 0) {}
    });
    let errors = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let (ended, own_rss) = exits_within(pid, timeout);
    let timed_out = !ended;
    if timed_out {
        // The whole group: vouch and the git processes it started.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let _ = drain.join();
    let stderr = errors.join().unwrap_or_default();
    // The process was reaped by wait4: std must not wait for it again.
    std::mem::forget(child);
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let tail = String::from_utf8_lossy(&stderr[stderr.len().saturating_sub(2000)..]).into_owned();
    let sample = Sample {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        rss: usage.ru_maxrss as u64,
        own_rss,
        code,
        timed_out,
    };
    (sample, tail)
}

/// How often the process's own peak RSS is read while it runs.
const RSS_SAMPLE: Duration = Duration::from_millis(5);

/// Whether process `pid` (a child) ends within `timeout` (it is not
/// reaped), and the last peak RSS of its own memory read while it ran
/// (`VmHWM`, in KiB; 0 when it ended before the first reading).
fn exits_within(pid: libc::pid_t, timeout: Duration) -> (bool, u64) {
    let deadline = Instant::now() + timeout;
    let mut own = 0;
    let sample = |own: &mut u64| {
        if let Some(kib) = vm_hwm(&format!("/proc/{pid}/status")) {
            *own = (*own).max(kib);
        }
    };
    // A pidfd turns readable when the process ends: no polling delay.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int;
    if fd >= 0 {
        let ended = loop {
            let left = deadline.saturating_duration_since(Instant::now()).min(RSS_SAMPLE);
            let mut poll = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
            let n = unsafe { libc::poll(&mut poll, 1, left.as_millis() as i32) };
            if n > 0 {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
            sample(&mut own);
        };
        unsafe { libc::close(fd) };
        return (ended, own);
    }
    // No pidfd (an old kernel): ask every millisecond.
    let mut next_sample = Instant::now() + RSS_SAMPLE;
    loop {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOWAIT | libc::WNOHANG;
        let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) };
        if r == 0 && unsafe { info.si_pid() } == pid {
            return (true, own);
        }
        if Instant::now() >= deadline {
            return (false, own);
        }
        if Instant::now() >= next_sample {
            sample(&mut own);
            next_sample += RSS_SAMPLE;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `VmHWM` of a `/proc/<pid>/status` file, in KiB.
fn vm_hwm(status: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

// ---------------------------------------------------------------------------
// Cases

struct Case {
    title: String,
    repo: PathBuf,
    git: Vec<String>,
    vouch: Vec<String>,
    /// Over a range: fewer runs, no warm-up run of vouch.
    slow: bool,
    /// Keep `.git/vouch` between runs (after one warm-up run).
    warm: bool,
    /// Keep only the records caches between runs (after one warm-up run):
    /// what a clone where vouch has run holds before it first looks at a
    /// file version (no analysis, no lineage, no notes' texts kept).
    records_kept: bool,
    /// As `records_kept`, with the texts of the notes read before kept too
    /// (the file's commits were looked at before, for another version of
    /// it or for another file they wrote).
    notes_kept: bool,
    /// Instead of `HISTORY_BENCH_TIMEOUT`.
    timeout: Option<Duration>,
}

impl Case {
    fn new(title: &str, repo: &Path, git: &[&str], vouch: &[&str]) -> Case {
        Case {
            title: title.to_string(),
            repo: repo.to_path_buf(),
            git: git.iter().map(|s| s.to_string()).collect(),
            vouch: vouch.iter().map(|s| s.to_string()).collect(),
            slow: false,
            warm: false,
            records_kept: false,
            notes_kept: false,
            timeout: None,
        }
    }

    fn git_args(&self) -> Vec<&str> {
        self.git.iter().map(String::as_str).collect()
    }

    fn vouch_args(&self) -> Vec<&str> {
        self.vouch.iter().map(String::as_str).collect()
    }

    /// `program` with `args` in the repository, git and vouch alike with no
    /// system or global git configuration.
    fn command(&self, program: &Path, args: &[String]) -> Command {
        let mut cmd = Command::new(program);
        history_repo::isolate(&mut cmd, &self.repo);
        cmd.args(args).env("NO_COLOR", "1");
        cmd
    }

    /// Before a timed run: remove what the case does not keep.
    fn clear_vouch_state(&self) {
        if self.warm {
            return;
        }
        if self.records_kept || self.notes_kept {
            // Only caches: a journal left by someone's editor would make it a
            // blame of a worktree with edits.
            let vouch = self.repo.join(".git/vouch");
            for entry in std::fs::read_dir(&vouch).into_iter().flatten().flatten() {
                if entry.file_name() != "cache" {
                    let path = entry.path();
                    let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
                }
            }
            let cache = vouch.join("cache");
            let notes = (!self.notes_kept).then_some("notes");
            for derived in ["analysis", "lineage"].into_iter().chain(notes) {
                let _ = std::fs::remove_dir_all(cache.join(derived));
            }
            return;
        }
        let _ = std::fs::remove_dir_all(self.repo.join(".git/vouch"));
    }
}

/// Medians of one command's runs.
#[derive(Debug, Clone, Copy)]
struct Summary {
    wall: f64,
    cpu: f64,
    rss: f64,
    /// NaN when no run was long enough to read it.
    own_rss: f64,
    code: Option<i32>,
    timed_out: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
}

fn summarize(samples: &[Sample]) -> Summary {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Summary {
        wall: median(samples.iter().map(|s| ms(s.wall)).collect()),
        cpu: median(samples.iter().map(|s| ms(s.cpu)).collect()),
        rss: median(samples.iter().map(|s| s.rss as f64 / 1024.0).collect()),
        own_rss: median(samples.iter().filter(|s| s.own_rss > 0).map(|s| s.own_rss as f64 / 1024.0).collect()),
        code: samples.last().and_then(|s| s.code),
        timed_out: samples.iter().any(|s| s.timed_out),
    }
}

/// What one case measured: git's medians and each binary's.
struct Outcome {
    git: Summary,
    vouch: Vec<Summary>,
}

fn run_case(case: &Case, bins: &[Bin], config: &Config) -> Outcome {
    println!("\n{} [load {}]", case.title, load());
    let git = Path::new("git");
    let runs = if case.slow { config.slow_runs } else { config.runs };
    let timeout = case.timeout.unwrap_or(config.timeout);
    // Warm-up, untimed: the page cache, for both.
    let _ = measure(case.command(git, &case.git), timeout);
    if !case.slow || case.warm {
        for bin in bins {
            let _ = std::fs::remove_dir_all(case.repo.join(".git/vouch"));
            let _ = measure(case.command(&bin.path, &case.vouch), timeout);
        }
    }
    let mut git_samples = Vec::new();
    let mut samples: Vec<Vec<Sample>> = bins.iter().map(|_| Vec::new()).collect();
    let mut notes: Vec<Option<String>> = bins.iter().map(|_| None).collect();
    for run in 0..runs {
        git_samples.push(measure(case.command(git, &case.git), timeout).0);
        // Each run starts with the next binary, so that none always runs
        // right after git or right after another vouch.
        for i in (0..bins.len()).map(|i| (i + run) % bins.len()) {
            let bin = &bins[i];
            if samples[i].iter().any(|s| s.timed_out) {
                continue;
            }
            case.clear_vouch_state();
            let (sample, stderr) = measure(case.command(&bin.path, &case.vouch), timeout);
            if sample.code == Some(2) || sample.code.is_none() && !sample.timed_out {
                notes[i] =
                    Some(format!("exit {:?}: {}", sample.code, stderr.trim().lines().last().unwrap_or("(no message)")));
            }
            samples[i].push(sample);
        }
    }
    let git_summary = summarize(&git_samples);
    println!(
        "  {:<30} {:>11} {:>9} {:>7} {:>7} {:>4}   {:>8} {:>7} {:>7}",
        format!("(median of {runs} runs)"),
        "wall ms",
        "CPU ms",
        "RSS MB",
        "own MB",
        "exit",
        "wall/git",
        "CPU/git",
        "RSS/git"
    );
    let row = |name: &str, s: &Summary, ratios: Option<&Summary>| {
        let exit = match (s.timed_out, s.code) {
            (true, _) => "kill".to_string(),
            (false, Some(c)) => c.to_string(),
            (false, None) => "sig".to_string(),
        };
        let own = if s.own_rss.is_nan() { "-".to_string() } else { format!("{:.1}", s.own_rss) };
        // A killed run shows the CPU time it had used, as a lower bound.
        let (wall, cpu) = if s.timed_out {
            (format!("timeout>{}s", timeout.as_secs()), format!(">{:.0}", s.cpu))
        } else {
            (format!("{:.1}", s.wall), format!("{:.1}", s.cpu))
        };
        let mut line = format!("  {name:<30} {wall:>11} {cpu:>9} {:>7.1} {own:>7} {exit:>4}", s.rss);
        if let Some(g) = ratios
            && !s.timed_out
        {
            line.push_str(&format!("   {:>8.2} {:>7.2} {:>7.2}", s.wall / g.wall, s.cpu / g.cpu, s.rss / g.rss));
        }
        println!("{line}");
    };
    row(&format!("git {}", case.git.first().map_or("", String::as_str)), &git_summary, None);
    let summaries: Vec<Summary> = samples.iter().map(|s| summarize(s)).collect();
    for (i, bin) in bins.iter().enumerate() {
        row(&format!("vouch {} [{}]", case.vouch[0], bin.label), &summaries[i], Some(&git_summary));
        if let Some(note) = &notes[i] {
            println!("    !! [{}] {note}", bin.label);
        }
    }
    if let Some(after) = summaries.last().filter(|a| !a.timed_out) {
        for (bin, earlier) in bins.iter().zip(&summaries).take(bins.len() - 1) {
            if earlier.timed_out {
                continue;
            }
            println!(
                "  {:<30} {:>11.2} {:>9.2} {:>7.2} {:>7.2}",
                format!("after / {}", bin.label),
                after.wall / earlier.wall,
                after.cpu / earlier.cpu,
                after.rss / earlier.rss,
                after.own_rss / earlier.own_rss
            );
        }
    }
    Outcome { git: git_summary, vouch: summaries }
}

/// Each binary against issue 15's goals.
fn summary(results: &[(&str, Outcome)], bins: &[Bin]) {
    if results.is_empty() {
        return;
    }
    println!("\ngoals (issue 15):");
    let find = |name: &str| results.iter().find(|(n, _)| *n == name).map(|(_, o)| o);
    for (i, bin) in bins.iter().enumerate() {
        let mut lines = Vec::new();
        if let Some(o) = find("blame") {
            let (v, g) = (&o.vouch[i], &o.git);
            lines.push(format!(
                "blame CPU {:.2}x git (goal <= 1.5x); peak RSS {:.2}x git's, vouch's own {:.1} MB beside git's {:.1} MB \
                 (goal <= 1.5x)",
                v.cpu / g.cpu,
                v.rss / g.rss,
                v.own_rss,
                g.rss
            ));
        }
        for name in ["blame, records kept", "blame, notes kept", "blame, warm"] {
            if let Some(o) = find(name) {
                lines.push(format!("{name}: {:.2}x git CPU (goal <= 1.5x)", o.vouch[i].cpu / o.git.cpu));
            }
        }
        if let Some(o) = find("verify") {
            let v = &o.vouch[i];
            lines.push(format!("verify {:.1} s wall, {:.1} s CPU (goal < 10 s)", v.wall / 1000.0, v.cpu / 1000.0));
        }
        for name in ["stats", "report"] {
            if let Some(o) = find(name) {
                let v = &o.vouch[i];
                lines.push(format!("{name} {:.1} s wall, {:.1} s CPU (goal < 5 s)", v.wall / 1000.0, v.cpu / 1000.0));
            }
        }
        for name in ["blame, 200 AI commits", "blame, 1 AI commit", "blame, small AI file"] {
            if let Some(o) = find(name) {
                let (v, g) = (&o.vouch[i], &o.git);
                let goal = if g.wall >= 40.0 {
                    format!("{:.2}x git CPU (goal <= 1.5x)", v.cpu / g.cpu)
                } else {
                    format!(
                        "{:+.1} ms wall, {:+.1} ms CPU over git (goal <= 15 ms where git takes under 40 ms)",
                        v.wall - g.wall,
                        v.cpu - g.cpu
                    )
                };
                lines.push(format!("{name}: {goal}"));
            }
        }
        if let Some(o) = find("nested, smaller") {
            let v = &o.vouch[i];
            let shown = if v.timed_out {
                "timeout".to_string()
            } else {
                format!("{:.2} s wall, {:.2} s CPU", v.wall / 1000.0, v.cpu / 1000.0)
            };
            lines.push(format!("nested fn items (smaller): {shown} (goal < 1 s at 4,000)"));
        }
        if let Some(o) = find("nested, larger") {
            let v = &o.vouch[i];
            let shown = if v.timed_out {
                "timeout".to_string()
            } else {
                format!("{:.2} s wall, {:.2} s CPU", v.wall / 1000.0, v.cpu / 1000.0)
            };
            lines.push(format!("nested fn items (larger): {shown} (never a hang)"));
        }
        println!("  [{}]", bin.label);
        for line in lines {
            println!("    {line}");
        }
    }
}
