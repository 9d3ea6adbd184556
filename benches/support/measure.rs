//! What the process benchmarks (gate, hook, history) share: which vouch
//! binaries to measure, one measured run of a command (wall time, and CPU
//! as user + system time of the process and the children it waited for,
//! from `wait4`), fsyncs counted by strace, and the machine's state to
//! print beside the numbers.

// Each bench uses a different part of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A vouch binary to measure, and its name in the tables.
pub struct Bin {
    pub label: String,
    pub path: PathBuf,
}

/// `$VOUCH_BIN`, or the release binary of this checkout (built if needed).
pub fn release_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("VOUCH_BIN") {
        return PathBuf::from(bin);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "--bin", "vouch"])
        .current_dir(manifest)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --release failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| manifest.join("target"));
    target.join("release").join("vouch")
}

/// The binaries to compare, in this order: `$VOUCH_BIN_BEFORE` and
/// `$VOUCH_BIN_MAIN` when set, then [`release_binary`] ("after" beside
/// others, else named by its file).
pub fn binaries() -> Vec<Bin> {
    let mut bins = Vec::new();
    for (var, label) in [("VOUCH_BIN_BEFORE", "before"), ("VOUCH_BIN_MAIN", "main")] {
        if let Some(path) = std::env::var_os(var) {
            bins.push(Bin { label: label.into(), path: PathBuf::from(path) });
        }
    }
    let after = release_binary();
    let label = if bins.is_empty() {
        after.file_name().map_or("vouch".into(), |n| n.to_string_lossy().into_owned())
    } else {
        "after".into()
    };
    bins.push(Bin { label, path: after });
    bins
}

/// One measured run of a command.
pub struct Run {
    pub wall: Duration,
    /// User + system time of the process and the children it waited for.
    pub cpu: Duration,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `fsync` and `fdatasync` calls, as strace counted them.
    pub syncs: Option<String>,
}

/// Run `cmd` (with `stdin` as its input) to its end and measure it.
pub fn measured(mut cmd: Command, stdin: Option<&[u8]>) -> Run {
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd.spawn().expect("the command starts");
    let pid = child.id() as libc::pid_t;
    if let Some(bytes) = stdin {
        child.stdin.take().expect("stdin").write_all(bytes).expect("the payload is written");
    }
    let (mut out, mut err) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let errors = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut bytes);
        bytes
    });
    let mut stdout = Vec::new();
    let _ = std::io::Read::read_to_end(&mut out, &mut stdout);
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = t.elapsed();
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    // Reaped by wait4: std must not wait for it again.
    std::mem::forget(child);
    Run {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout,
        stderr: errors.join().unwrap_or_default(),
        syncs: None,
    }
}

/// A `timeval` of `rusage` as a duration.
pub fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

pub fn strace_installed() -> bool {
    Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// The `fsync` and `fdatasync` lines of `strace -c` output, summed up.
pub fn syncs_counted(strace: &str) -> String {
    let mut counts = Vec::new();
    for name in ["fsync", "fdatasync"] {
        let calls = strace
            .lines()
            .filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                (cols.last() == Some(&name)).then(|| cols.get(3).and_then(|c| c.parse::<u64>().ok())).flatten()
            })
            .sum::<u64>();
        counts.push(format!("{calls} {name}"));
    }
    counts.join(" + ")
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The load averages (1, 5, 15 minutes), as the kernel reports them.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
