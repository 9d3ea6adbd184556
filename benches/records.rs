//! Records benchmarks: reading every record of a records branch whose
//! history holds one commit per record (as `vouch approve` leaves it), as
//! `vouch verify` does (everything, no cache), and as the gate does (through
//! the cache: nothing new, then one new record). Prints its numbers; run
//! with `cargo bench --bench records` (add `-- 20000` for another size).
//!
//! Then a repository with many records (`-- --ledger 100000`: that many
//! approvals and half as many requests, in one commit of the records branch,
//! as a union merge or a migration leaves them): what a process that judges
//! a commit's units pays to read them (`Ledger::load` and the judgement of
//! 250 units, half of them approved), once the cache is kept; then the
//! read after one new approval (kept in the cache's delta) and after 600 in
//! one commit (past the delta: merged into the keyed file). Set
//! `VOUCH_BENCH_KEEP=DIR` to keep that repository in `DIR` (to time `vouch`
//! in it).

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--ledger") {
        let n = args.get(i + 1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
        return ledger(n);
    }
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(5_000);
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

/// A unit fingerprint of the ledger bench.
fn unit_fingerprint(n: usize) -> String {
    vouch::fingerprint::fingerprint("rust", "function", format!("fn unit_{n}() {{}}\n").as_bytes())
}

/// `n` approvals and `n / 2` requests in one commit of the records branch of
/// a fresh repository (or the one `VOUCH_BENCH_KEEP` names, as it is when it
/// holds records already), then the read and judgement a gate makes.
fn ledger(n: usize) {
    use vouch::policy::{AiAmount, Policy, Status};
    use vouch::signoff::Ledger;

    let keep = std::env::var_os("VOUCH_BENCH_KEEP");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = keep.map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let repo = Repository::init(&dir).expect("init");
    if repo.find_reference(records::RECORDS_BRANCH).is_ok() {
        println!("{} holds records already: measured as it is", dir.display());
    } else {
        write_ledger(&repo, n);
    }

    let start = Instant::now();
    Ledger::load(&repo).expect("ledger");
    println!("first read (it builds the cache when there is none): {:.1?}", start.elapsed());

    // A gate's judgement: 250 units, the even ones approved.
    let amount = AiAmount { lines: 10, bytes: 200, whole: true, deleted: 0 };
    let requirement = Policy::default().requirement("src/m1.rs", &[], amount);
    let asked: Vec<String> = (0..250).map(|u| unit_fingerprint(if u % 2 == 0 { u * 397 % n } else { n + u })).collect();
    let mut approved = 0;
    let took = median(5, || {
        let ledger = Ledger::load(&repo).expect("ledger");
        approved = asked
            .iter()
            .filter(|fp| {
                let j = ledger.judge_fingerprint(requirement.clone(), fp, &[], &[], &|_| None);
                matches!(j.assessment.status, Status::Approved { .. })
            })
            .count();
    });
    println!("read the records and judge 250 units ({approved} approved), cache kept: {took:.1?}");

    // Records arriving: a few (kept beside the cache, in its delta), then
    // more than the delta holds (the cache is made one file again).
    for (label, count) in [("1 new approval", 1), ("600 new approvals in one commit (past the delta)", 600)] {
        let first = n * 2 + count * 7;
        add_in_one_commit(&repo, &id_of_repo(&repo), first..first + count);
        let start = Instant::now();
        Ledger::load(&repo).expect("ledger");
        println!("read the records after {label}: {:.1?}", start.elapsed());
    }
    let took = median(5, || {
        Ledger::load(&repo).expect("ledger");
    });
    println!("read the records once more, nothing new: {took:.1?}");
}

fn id_of_repo(repo: &Repository) -> String {
    vouch::store::repo::repository_id(repo).expect("repository id")
}

/// Approvals of units `units` added to the records branch in one commit.
fn add_in_one_commit(repo: &Repository, id: &str, units: std::ops::Range<usize>) {
    let branch = repo.find_reference(records::RECORDS_BRANCH).expect("records branch");
    let parent = branch.peel_to_commit().expect("commit");
    let mut update = git2::build::TreeUpdateBuilder::new();
    for a in units {
        let reviewer = Person { name: "late".into(), email: "late@example.com".into() };
        let mut approval = Approval::new(id, &unit_fingerprint(a), Verdict::Approve, reviewer);
        // Another time each run, so that a kept repository gets new records.
        approval.created = records::now();
        let bytes = records::canonical_bytes(&approval);
        let name = vouch::fingerprint::sha256_hex(&bytes);
        let blob = repo.blob(&bytes).expect("blob");
        update.upsert(format!("approvals/{}/{name}.json", &name[..2]), blob, git2::FileMode::Blob);
    }
    let tree = repo.find_tree(update.create_updated(repo, &parent.tree().expect("tree")).expect("tree")).expect("tree");
    let sig = git2::Signature::now("bench", "bench@example.com").expect("signature");
    let commit = repo.commit(None, &sig, &sig, "more records", &tree, &[&parent]).expect("commit");
    repo.reference(records::RECORDS_BRANCH, commit, true, "bench").expect("ref");
}

/// `n` approvals and `n / 2` requests in one commit of `repo`'s records
/// branch, on top of a first commit.
fn write_ledger(repo: &Repository, n: usize) {
    use vouch::policy::Verdict;
    use vouch::store::records::{Request, RequestedUnit};

    let sig = git2::Signature::now("bench", "bench@example.com").expect("signature");
    let blob = repo.blob(b"fn main() {}\n").expect("blob");
    let mut tree = repo.treebuilder(None).expect("tree");
    tree.insert("main.rs", blob, 0o100644).expect("insert");
    let tree = repo.find_tree(tree.write().expect("write")).expect("tree");
    repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[]).expect("commit");
    let id = vouch::store::repo::repository_id(repo).expect("repository id");

    let start = Instant::now();
    let mut update = git2::build::TreeUpdateBuilder::new();
    let mut put = |dir: &str, bytes: Vec<u8>| {
        let name = vouch::fingerprint::sha256_hex(&bytes);
        let blob = repo.blob(&bytes).expect("blob");
        update.upsert(format!("{dir}/{}/{name}.json", &name[..2]), blob, git2::FileMode::Blob);
    };
    let requester = Person { name: "dev".into(), email: "dev@example.com".into() };
    let mut requests = Vec::new();
    for r in 0..n / 2 {
        let unit = |u: usize| RequestedUnit {
            path: format!("src/m{}.rs", u % 1000),
            language: "rust".into(),
            kind: "function".into(),
            name: Some(format!("unit_{u}")),
            fingerprint: unit_fingerprint(u),
            fingerprint_version: vouch::store::records::current_fingerprint_version(),
            text: format!("fn unit_{u}() {{}}\n").into(),
            ai_lines: vec![[1, 1]],
            tool: Some("claude".into()),
            model: None,
            intents: Vec::new(),
        };
        let mut request = Request::new(&id, requester.clone(), vec![unit(2 * r), unit(2 * r + 1)]);
        request.created = "2026-01-31T09:05:00.000Z".into();
        requests.push(records::id_of(&request));
        put("requests", records::canonical_bytes(&request));
    }
    for a in 0..n {
        let reviewer = Person { name: format!("rev{}", a % 50), email: format!("rev{}@example.com", a % 50) };
        let mut approval = Approval::new(&id, &unit_fingerprint(a), Verdict::Approve, reviewer);
        approval.created = "2026-02-01T10:00:00.000Z".into();
        approval.request = requests.get(a / 2).cloned();
        approval.path = Some(format!("src/m{}.rs", a % 1000));
        put("approvals", records::canonical_bytes(&approval));
    }
    let empty = repo.find_tree(repo.treebuilder(None).expect("tree").write().expect("tree")).expect("tree");
    let tree = repo.find_tree(update.create_updated(repo, &empty).expect("tree")).expect("tree");
    let commit = repo.commit(None, &sig, &sig, "records", &tree, &[]).expect("commit");
    repo.reference(records::RECORDS_BRANCH, commit, true, "bench").expect("ref");
    println!("{n} approvals and {} requests written, one commit: {:.1?}", n / 2, start.elapsed());
}
