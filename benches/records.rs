//! Records benchmarks: reading every record of a records branch whose
//! history holds one commit per record (as `vouch approve` leaves it), as
//! `vouch verify` does (everything, no cache), and as the gate does (through
//! the cache: nothing new, then one new record). Prints its numbers; run
//! with `cargo bench --bench records` (add `-- 20000` for another size).

use std::time::{Duration, Instant};

use git2::Repository;
use vouch::policy::Verdict;
use vouch::store::records::{self, Approval, Person};

fn approval(n: usize) -> Approval {
    let reviewer = Person { name: "rev".into(), email: "rev@example.com".into() };
    Approval {
        created: "2026-01-31T09:05:00.000Z".into(),
        ..Approval::new(
            "0123456789abcdef0123456789abcdef01234567",
            &vouch::fingerprint::sha256_hex(format!("unit {n}").as_bytes()),
            Verdict::Approve,
            reviewer,
        )
    }
}

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = Repository::init(dir.path()).expect("init");
    let start = Instant::now();
    for i in 0..n {
        records::add(&repo, &approval(i)).expect("add");
    }
    let took = start.elapsed();
    println!("{n} records added, one commit each: {took:.1?} ({:.2?} per record)", took / n as u32);
    let gc = std::process::Command::new("git").args(["gc", "-q"]).current_dir(dir.path()).status();
    assert!(gc.is_ok_and(|s| s.success()), "git gc");

    let full = median(5, || {
        let listing = records::list_uncached::<Approval>(&repo).expect("list");
        assert_eq!(listing.records.len(), n);
    });
    println!("read everything (verify): {full:.1?} ({:.1?} per record)", full / n as u32);
    records::list::<Approval>(&repo).expect("warm the cache");
    let cached = median(5, || {
        records::list::<Approval>(&repo).expect("list");
    });
    println!("read through the cache, nothing new (the gate): {cached:.1?}");
    let mut times: Vec<Duration> = (0..5)
        .map(|i| {
            records::add(&repo, &approval(n + i)).expect("add");
            let start = Instant::now();
            records::list::<Approval>(&repo).expect("list");
            start.elapsed()
        })
        .collect();
    times.sort();
    println!("read through the cache after one new record: {:.1?}", times[2]);
}
