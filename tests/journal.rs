//! The journal of uncommitted provenance, in real repositories: concurrent
//! writer processes, writers killed mid-write, stash and branch switches,
//! damaged files, re-anchoring after outside edits, compaction and gc.
//!
//! Writer processes are this test binary run again with a filter: the test
//! `child_writer` does nothing unless `VOUCH_JOURNAL_CHILD` is set.

use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use git2::{Oid, Repository, RepositoryInitOptions};
use tempfile::TempDir;
use vouch::provenance::{AiSource, Attribution, Evidence};
use vouch::store::journal::{Body, Entry, Journal, Problem, RecordId};

const CHILD: &str = "VOUCH_JOURNAL_CHILD";

fn ai(tool: &str) -> Attribution {
    Attribution::ai(
        AiSource { tool: tool.into(), model: Some("model-1".into()), session: None, kind: None },
        Evidence::Editor,
        Some("dev@example.com".into()),
    )
}

/// A repository with one commit, `src/lib.rs` holding `base`.
fn repo_with(base: &str) -> (TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(dir.path(), &opts).unwrap();
    {
        let mut config = repo.config().unwrap();
        config.set_str("user.name", "Dev").unwrap();
        config.set_str("user.email", "dev@example.com").unwrap();
    }
    write(dir.path(), "src/lib.rs", base);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    (dir, repo)
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The AI ranges of a view, merged, as the text they cover.
fn ai_text<'a>(spans: &[(Range<usize>, Attribution)], text: &'a str) -> Vec<&'a str> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for (r, _) in spans.iter().filter(|(_, a)| a.is_ai()) {
        match ranges.last_mut() {
            Some(last) if last.end == r.start => last.end = r.end,
            _ => ranges.push(r.clone()),
        }
    }
    ranges.into_iter().map(|r| &text[r]).collect()
}

/// How many blobs the journal's ref keeps reachable.
fn kept_blobs(repo: &Repository, journal: &Journal) -> usize {
    let kept = repo.find_reference(journal.keep_ref()).unwrap().peel_to_tree().unwrap();
    let mut blobs = 0;
    kept.walk(git2::TreeWalkMode::PreOrder, |_, e| {
        blobs += usize::from(e.kind() == Some(git2::ObjectType::Blob));
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    blobs
}

fn span_of(text: &str, needle: &str) -> Range<usize> {
    let start = text.find(needle).unwrap();
    start..start + needle.len()
}

const BASE: &str = "//! A library.\n\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n";
const AI_FN: &str = "pub fn mul(a: u32, b: u32) -> u32 {\n    let product = a * b;\n    product\n}\n";

// ---------------------------------------------------------------------------
// Child writer processes.

/// Not a test: the entry point of writer processes spawned by the tests
/// below. Appends `VOUCH_JOURNAL_COUNT` records (0: until killed), printing
/// `ACK <id>` once each is durable.
#[test]
fn child_writer() {
    let Ok(repo_path) = std::env::var(CHILD) else { return };
    let count: usize = std::env::var("VOUCH_JOURNAL_COUNT").unwrap().parse().unwrap();
    let tag = std::env::var("VOUCH_JOURNAL_TAG").unwrap();
    if let Ok(go) = std::env::var("VOUCH_JOURNAL_GO") {
        while !Path::new(&go).exists() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let repo = Repository::open(&repo_path).unwrap();
    let journal = Journal::open(&repo).unwrap();
    let attr = ai(&tag);
    let path = format!("src/{tag}.rs");
    let mut i = 0;
    while count == 0 || i < count {
        let text = format!("// writer {tag}\npub fn f{i}() -> usize {{\n    {i}\n}}\n");
        let spans = [(15..text.len(), attr.clone())];
        let id = journal.append(&repo, Entry::delta(&path, &text, &spans)).unwrap();
        println!("ACK {id}");
        i += 1;
    }
}

fn spawn_writer(repo: &Path, tag: &str, count: usize, go: Option<&Path>) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_writer", "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, repo)
        .env("VOUCH_JOURNAL_COUNT", count.to_string())
        .env("VOUCH_JOURNAL_TAG", tag)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(go) = go {
        cmd.env("VOUCH_JOURNAL_GO", go);
    }
    cmd.spawn().unwrap()
}

/// The ids a writer acknowledged: complete `ACK` lines of its output.
fn acknowledged(output: &[u8]) -> Vec<RecordId> {
    let text = String::from_utf8_lossy(output);
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    complete.lines().filter_map(ack).collect()
}

/// The id in an `ACK` line (libtest may print its own text before it).
fn ack(line: &str) -> Option<RecordId> {
    line.rfind("ACK ").map(|i| RecordId::from(&line[i + 4..]))
}

/// A small pseudo-random generator (xorshift), seeded from the clock.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        eprintln!("rng seed {seed}");
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

// ---------------------------------------------------------------------------
// Writing and reading.

#[test]
fn a_record_reads_back_with_its_blob_and_ai_hash() {
    let (dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    assert_eq!(journal.dir(), repo.path().join("vouch/journal"));
    assert!(journal.records().unwrap().records.is_empty());

    let text = format!("{BASE}\n{AI_FN}");
    let spans = [(span_of(&text, AI_FN), ai("copilot"))];
    let entry = Entry { rationale: Some("needed for scaling"), ..Entry::delta("src/lib.rs", &text, &spans) };
    let id = journal.append(&repo, entry).unwrap();

    let loaded = journal.records().unwrap();
    assert_eq!(loaded.problems, vec![]);
    assert_eq!(loaded.records.len(), 1);
    let record = &loaded.records[0];
    assert_eq!(record.id, id);
    assert_eq!(record.writer, journal.writer());
    let file = record.file().unwrap();
    assert_eq!(file.path, "src/lib.rs");
    assert_eq!(file.rationale.as_deref(), Some("needed for scaling"));
    assert_eq!(file.ai_sha256, vouch::fingerprint::sha256_hex(AI_FN.as_bytes()));
    let blob = repo.find_blob(Oid::from_str(&file.blob).unwrap()).unwrap();
    assert_eq!(blob.content(), text.as_bytes());
    assert_eq!(loaded.records_for("src/lib.rs").len(), 1);
    assert!(loaded.records_for("src/other.rs").is_empty());

    write(dir.path(), "src/lib.rs", &text);
    let view = journal.current_spans(&repo, "src/lib.rs", &text).unwrap();
    assert_eq!(view.problems, vec![]);
    assert_eq!(ai_text(&view.spans, &text), vec![AI_FN]);
    assert_eq!(view.spans.last().unwrap().0.end, text.len(), "the view covers the text");
}

#[test]
fn bad_records_are_refused() {
    let (_dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    let spans = [(0..BASE.len() + 1, ai("x"))];
    assert!(journal.append(&repo, Entry::delta("src/lib.rs", BASE, &spans)).is_err());
    assert!(journal.append(&repo, Entry::delta("/abs/lib.rs", BASE, &[])).is_err());
    assert!(journal.retire(&[], Oid::zero()).is_err());
    let (_other_dir, other) = repo_with(BASE);
    let err = journal.append(&other, Entry::delta("src/lib.rs", BASE, &[])).unwrap_err();
    assert!(err.to_string().contains("used with the repository"), "{err}");
    assert!(journal.records().unwrap().records.is_empty(), "nothing was written");
}

#[test]
fn a_linked_worktree_has_its_own_journal() {
    let (dir, repo) = repo_with(BASE);
    let wt_path = dir.path().join("wt");
    git(dir.path(), &["worktree", "add", "-q", "-b", "side", wt_path.to_str().unwrap()]);
    let wt = Repository::open(&wt_path).unwrap();
    let main_journal = Journal::open(&repo).unwrap();
    let wt_journal = Journal::open(&wt).unwrap();
    assert_eq!(wt_journal.dir(), repo.path().join("worktrees/wt/vouch/journal"));
    assert_eq!(wt_journal.keep_ref(), "refs/vouch/journal/worktrees/wt");
    assert_eq!(main_journal.keep_ref(), "refs/vouch/journal/main");

    let spans = [(0..3, ai("x"))];
    wt_journal.append(&wt, Entry::delta("src/lib.rs", "abc\n", &spans)).unwrap();
    assert_eq!(wt_journal.records().unwrap().records.len(), 1);
    assert!(main_journal.records().unwrap().records.is_empty());
    assert!(repo.find_reference("refs/vouch/journal/worktrees/wt").is_ok(), "visible to gc from any worktree");
}

// ---------------------------------------------------------------------------
// Concurrency and crashes.

#[test]
fn eight_writer_processes_lose_nothing() {
    let (dir, repo) = repo_with(BASE);
    let go = dir.path().join("go");
    let children: Vec<Child> = (0..8).map(|i| spawn_writer(dir.path(), &format!("w{i}"), 500, Some(&go))).collect();
    std::fs::write(&go, "").unwrap();
    let mut acked = Vec::new();
    for mut child in children {
        let mut out = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
        assert!(child.wait().unwrap().success());
        let ids = acknowledged(&out);
        assert_eq!(ids.len(), 500);
        acked.extend(ids);
    }
    let journal = Journal::open(&repo).unwrap();
    let loaded = journal.records().unwrap();
    assert_eq!(loaded.problems, vec![]);
    assert_eq!(loaded.records.len(), 4000);
    let have: std::collections::HashSet<&RecordId> = loaded.records.iter().map(|r| &r.id).collect();
    assert!(acked.iter().all(|id| have.contains(id)));
    // Every record's blob is there and kept by the ref.
    assert_eq!(kept_blobs(&repo, &journal), 8 * 500, "each writer wrote 500 distinct versions");
}

#[test]
fn writers_killed_mid_write_leave_every_acknowledged_record() {
    let (dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    let mut rng = Rng::new();
    let mut acked = Vec::new();
    for round in 0..200 {
        let mut child = spawn_writer(dir.path(), &format!("k{round}"), 0, None);
        let stdout = child.stdout.take().unwrap();
        // Read while the writer runs, so a full pipe never stalls it; say
        // when it has started writing.
        let (started, has_started) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut stdout = BufReader::new(stdout);
            let mut started = Some(started);
            loop {
                let n = stdout.read_until(b'\n', &mut out).unwrap_or(0);
                if n == 0 {
                    return out;
                }
                if out.ends_with(b"\n") && ack(&String::from_utf8_lossy(&out)).is_some() {
                    started.take().map(|s| s.send(()));
                }
            }
        });
        // Kill it at a random moment while it writes.
        has_started.recv_timeout(Duration::from_secs(30)).expect("the writer started");
        std::thread::sleep(Duration::from_micros(rng.below(10_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        let ids = acknowledged(&reader.join().unwrap());
        assert!(!ids.is_empty());
        acked.extend(ids);

        let loaded = journal.records().unwrap();
        assert_eq!(loaded.problems, vec![], "round {round}");
        let have: std::collections::HashSet<&RecordId> = loaded.records.iter().map(|r| &r.id).collect();
        for id in &acked {
            assert!(have.contains(id), "round {round}: acknowledged {id} is missing");
        }
    }
    // What the kills left behind: segments whose last line was cut short,
    // and files of a write that never finished.
    let files: Vec<PathBuf> = std::fs::read_dir(journal.dir()).unwrap().map(|e| e.unwrap().path()).collect();
    let torn = files.iter().filter(|p| std::fs::read(p).unwrap().last().is_some_and(|&b| b != b'\n')).count();
    let temps = files.iter().filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(".tmp-")).count();
    eprintln!("{} records acknowledged by 200 writers; {torn} torn last lines, {temps} unfinished files", acked.len());
    // Compaction merges the dead writers' segments and keeps every record.
    let done = journal.compact(&repo).unwrap();
    assert!(done.segments_rewritten > 100, "{done:?}");
    let loaded = journal.records().unwrap();
    assert_eq!(loaded.problems, vec![]);
    let have: std::collections::HashSet<&RecordId> = loaded.records.iter().map(|r| &r.id).collect();
    assert!(acked.iter().all(|id| have.contains(id)));
    let names: Vec<_> = std::fs::read_dir(journal.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "one compacted segment, no temporary files: {names:?}");
}

#[test]
fn compaction_alongside_running_writers_loses_nothing() {
    let (dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    // Short-lived writers started one after another, so that compaction
    // merges the segments of finished ones while others append.
    let root = dir.path().to_path_buf();
    let spawner = std::thread::spawn(move || {
        let mut readers = Vec::new();
        for i in 0..9 {
            let mut child = spawn_writer(&root, &format!("c{i}"), 40, None);
            let stdout = child.stdout.take().unwrap();
            readers.push(std::thread::spawn(move || {
                let ids: Vec<RecordId> =
                    BufReader::new(stdout).lines().map_while(Result::ok).filter_map(|l| ack(&l)).collect();
                assert!(child.wait().unwrap().success());
                ids
            }));
            std::thread::sleep(Duration::from_millis(60));
        }
        readers.into_iter().flat_map(|r| r.join().unwrap()).collect::<Vec<RecordId>>()
    });
    let started = Instant::now();
    let mut merged = 0;
    while !spawner.is_finished() && started.elapsed() < Duration::from_secs(120) {
        merged += journal.compact(&repo).unwrap().segments_rewritten;
        let loaded = journal.records().unwrap();
        assert_eq!(loaded.problems, vec![]);
        std::thread::sleep(Duration::from_millis(2));
    }
    let acked = spawner.join().unwrap();
    assert_eq!(acked.len(), 9 * 40);
    assert!(merged > 0, "compaction merged segments while writers ran");
    journal.compact(&repo).unwrap();
    let loaded = journal.records().unwrap();
    assert_eq!(loaded.problems, vec![]);
    assert_eq!(loaded.records.len(), 9 * 40);
    let have: std::collections::HashSet<&RecordId> = loaded.records.iter().map(|r| &r.id).collect();
    assert!(acked.iter().all(|id| have.contains(id)));
    assert_eq!(kept_blobs(&repo, &journal), 9 * 40, "compaction kept every live record's blob");
    // With nothing retired the tree is left as appends built it; should the
    // ref be gone, compaction puts it back.
    repo.find_reference(journal.keep_ref()).unwrap().delete().unwrap();
    journal.compact(&repo).unwrap();
    assert_eq!(kept_blobs(&repo, &journal), 9 * 40, "compaction restored the ref that keeps the blobs");
}

#[test]
fn a_torn_last_line_is_ignored() {
    let (_dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    let spans = [(0..3, ai("x"))];
    journal.append(&repo, Entry::delta("a.rs", "abc\n", &spans)).unwrap();
    // A dead writer's segment whose last line a crash cut short.
    let good = std::fs::read(first_segment(&journal)).unwrap();
    let mut torn = good.clone();
    torn.extend_from_slice(&good[..good.len() / 2]);
    std::fs::write(journal.dir().join("dead.1.jsonl"), &torn).unwrap();
    let loaded = journal.records().unwrap();
    assert_eq!(loaded.problems, vec![]);
    assert_eq!(loaded.records.len(), 1, "the copy of the first line is the same record");
    assert!(journal.dir().join("dead.1.jsonl").exists());
}

fn first_segment(journal: &Journal) -> PathBuf {
    let mut names: Vec<PathBuf> = std::fs::read_dir(journal.dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    names.sort();
    names.remove(0)
}

// ---------------------------------------------------------------------------
// Damaged files.

#[test]
fn a_corrupt_file_is_set_aside_and_reported_not_deleted() {
    let (_dir, repo) = repo_with(BASE);
    let writer = Journal::open(&repo).unwrap();
    let spans = [(0..3, ai("x"))];
    let first = writer.append(&repo, Entry::delta("a.rs", "abc\n", &spans)).unwrap();
    let second = writer.append(&repo, Entry::delta("b.rs", "def\n", &spans)).unwrap();
    let segment = first_segment(&writer);
    drop(writer); // its writer is gone: the segment is sealed

    // Damage the first line in the middle of the file.
    let bytes = std::fs::read(&segment).unwrap();
    let mut damaged = bytes.clone();
    damaged[20] = b'#';
    std::fs::write(&segment, &damaged).unwrap();

    let journal = Journal::open(&repo).unwrap();
    let loaded = journal.records().unwrap();
    let [Problem::Corrupt { path, line, set_aside: Some(aside), .. }] = loaded.problems.as_slice() else {
        panic!("{:?}", loaded.problems);
    };
    assert_eq!((path, *line), (&segment, 1));
    assert!(!segment.exists());
    assert_eq!(std::fs::read(aside).unwrap(), damaged, "set aside as it was");
    assert!(aside.file_name().unwrap().to_str().unwrap().contains(".jsonl.corrupt-"));
    let message = loaded.problems[0].to_string();
    assert!(message.contains(&segment.display().to_string()) && message.contains("line 1"), "{message}");
    let ids: Vec<_> = loaded.records.iter().map(|r| &r.id).collect();
    assert_eq!(ids, vec![&second], "the intact record was kept");
    assert_ne!(first, second);

    // Later reads keep the intact record and keep saying a file is set aside.
    let again = journal.records().unwrap();
    assert_eq!(again.records.len(), 1);
    assert!(matches!(&again.problems[..], [Problem::SetAside { path, .. }] if path == aside), "{:?}", again.problems);
}

#[test]
fn a_corrupt_file_of_a_running_writer_is_reported_then_set_aside_when_it_stops() {
    let (_dir, repo) = repo_with(BASE);
    let writer = Journal::open(&repo).unwrap();
    let spans = [(0..3, ai("x"))];
    writer.append(&repo, Entry::delta("a.rs", "abc\n", &spans)).unwrap();
    let segment = first_segment(&writer);
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes.extend_from_slice(b"garbage\n");
    std::fs::write(&segment, &bytes).unwrap();

    let reader = Journal::open(&repo).unwrap();
    let loaded = reader.records().unwrap();
    assert!(
        matches!(&loaded.problems[..], [Problem::Corrupt { line: 2, set_aside: None, .. }]),
        "{:?}",
        loaded.problems
    );
    assert_eq!(loaded.records.len(), 1);
    assert!(segment.exists());

    drop(writer);
    // The writer's lock goes with its file, but a child that another test
    // thread is starting right now holds a copy of every open file until
    // it calls exec: the segment may look locked for that moment.
    let mut loaded = reader.records().unwrap();
    for _ in 0..50 {
        if matches!(&loaded.problems[..], [Problem::Corrupt { set_aside: Some(_), .. }]) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        loaded = reader.records().unwrap();
    }
    assert!(matches!(&loaded.problems[..], [Problem::Corrupt { set_aside: Some(_), .. }]), "{:?}", loaded.problems);
    assert_eq!(loaded.records.len(), 1);
}

/// A dead writer's segment holding `bytes` instead of what it held; the
/// journal had one AI record for `src/lib.rs` in it.
fn damaged_segment(bytes: impl FnOnce(&[u8]) -> Vec<u8>) -> (TempDir, Repository, PathBuf, Vec<u8>) {
    let (dir, repo) = repo_with(BASE);
    let text = format!("{BASE}{AI_FN}");
    write(dir.path(), "src/lib.rs", &text);
    let writer = Journal::open(&repo).unwrap();
    writer.append(&repo, Entry::delta("src/lib.rs", &text, &[(span_of(&text, AI_FN), ai("claude-code"))])).unwrap();
    let segment = first_segment(&writer);
    drop(writer);
    let damaged = bytes(&std::fs::read(&segment).unwrap());
    std::fs::write(&segment, &damaged).unwrap();
    wait_until_sealed(&segment);
    (dir, repo, segment, damaged)
}

/// Wait until no process holds `segment`'s lock. The writer is gone, but a
/// process another test forks at that moment holds its descriptors (and so
/// the lock) until it execs, and a reader then takes the segment for a live
/// writer's: it is reported, not set aside, as it should be.
fn wait_until_sealed(segment: &Path) {
    for _ in 0..500 {
        let file = std::fs::File::open(segment).unwrap();
        if file.try_lock().is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("{} stays locked", segment.display());
}

/// A crash cannot leave a segment without a complete line: a segment is
/// created under a temporary name and renamed only once its first record is
/// on disk. So a segment overwritten with an unterminated fragment is
/// damage: set aside (never deleted), reported on every read, and its loss
/// is not silent.
#[test]
fn a_segment_with_no_complete_line_is_set_aside_and_reported() {
    let (_dir, repo, segment, damaged) = damaged_segment(|good| good[..good.len() / 2].to_vec());
    assert!(!damaged.contains(&b'\n'));
    let journal = Journal::open(&repo).unwrap();
    let loaded = journal.records().unwrap();
    let [Problem::Corrupt { path, line: 1, reason, set_aside: Some(aside), mentions }] = loaded.problems.as_slice()
    else {
        panic!("{:?}", loaded.problems);
    };
    assert_eq!(path, &segment);
    assert!(reason.contains("no complete record"), "{reason}");
    assert_eq!(mentions, &["src/lib.rs"]);
    assert!(!segment.exists());
    assert_eq!(std::fs::read(aside).unwrap(), damaged, "set aside as it was");
    let message = loaded.problems[0].to_string();
    assert!(message.contains("src/lib.rs"), "says which file's records it held: {message}");
    assert!(loaded.records.is_empty());
    // It stays reported until someone decides.
    let again = journal.records().unwrap();
    assert_eq!(again.problems.len(), 1);
    assert!(matches!(&again.problems[0], Problem::SetAside { path, .. } if path == aside), "{:?}", again.problems);
    let message = again.problems[0].to_string();
    assert!(message.contains("vouch mark") && message.contains("rm "), "says what to run: {message}");
}

/// Red team (rt28a F3): a compacted segment is written whole (a temporary
/// file, flushed, renamed), so no crash can leave it with a torn last
/// line; cut inside its last record, it was read as a crash's leftover:
/// the record was dropped without a word, and the next compaction deleted
/// the damaged file. Such a tail is damage: set aside and reported.
#[test]
fn a_compacted_segment_cut_short_is_damage_not_a_crash() {
    let (_dir, repo) = repo_with(BASE);
    let spans = [(0..3, ai("x"))];
    // Two writers' segments, sealed, compacted into one by a third.
    for names in [&["a.rs", "b.rs"][..], &["c.rs"]] {
        let writer = Journal::open(&repo).unwrap();
        for name in names {
            writer.append(&repo, Entry::delta(name, "abc\n", &spans)).unwrap();
        }
        let segment = first_segment(&writer);
        drop(writer);
        wait_until_sealed(&segment);
    }
    Journal::open(&repo).unwrap().compact(&repo).unwrap();
    let segment = first_segment(&Journal::open(&repo).unwrap());
    assert!(segment.to_str().unwrap().ends_with("-compacted.jsonl"), "{}", segment.display());
    let whole = std::fs::read(&segment).unwrap();
    let cut = whole[..whole.len() - 30].to_vec();
    std::fs::write(&segment, &cut).unwrap();
    wait_until_sealed(&segment);
    let journal = Journal::open(&repo).unwrap();
    let loaded = journal.records().unwrap();
    let [Problem::Corrupt { path, set_aside: Some(aside), mentions, .. }] = loaded.problems.as_slice() else {
        panic!("{:?}", loaded.problems);
    };
    assert_eq!(path, &segment);
    assert_eq!(mentions, &["c.rs"], "says whose record it held");
    assert_eq!(std::fs::read(aside).unwrap(), cut, "set aside as it was");
    assert_eq!(loaded.records.len(), 2, "the intact records are kept");
    // Compaction never deletes it.
    journal.compact(&repo).unwrap();
    assert!(aside.exists());
    assert!(Journal::damaged(&repo));
}

#[test]
fn an_empty_segment_is_set_aside_and_reported() {
    let (_dir, repo, segment, _) = damaged_segment(|_| Vec::new());
    let loaded = Journal::open(&repo).unwrap().records().unwrap();
    assert!(
        matches!(&loaded.problems[..], [Problem::Corrupt { line: 1, set_aside: Some(_), .. }]),
        "{:?}",
        loaded.problems
    );
    assert!(!segment.exists());
}

#[test]
fn a_bad_checksum_in_the_middle_is_set_aside_and_a_torn_tail_after_it_is_not_the_reason() {
    let (_dir, repo, segment, _) = damaged_segment(|good| {
        let mut bytes = good.to_vec();
        bytes.extend_from_slice(good); // a second copy of the record
        let tab = bytes.iter().rposition(|&b| b == b'\t').unwrap();
        bytes[tab + 1] = if bytes[tab + 1] == b'0' { b'1' } else { b'0' }; // its checksum broken
        bytes.extend_from_slice(&good[..10]); // and a torn tail
        bytes
    });
    let loaded = Journal::open(&repo).unwrap().records().unwrap();
    assert!(
        matches!(&loaded.problems[..], [Problem::Corrupt { line: 2, set_aside: Some(_), .. }]),
        "{:?}",
        loaded.problems
    );
    assert_eq!(loaded.records.len(), 1, "the intact first record was kept");
    assert!(!segment.exists());
}

/// The gate, the real binary: an AI record lost to a damaged segment does
/// not let its lines through; the gate refuses and says what to run.
#[test]
fn the_gate_refuses_while_a_damaged_segment_is_set_aside() {
    let (dir, _repo, _segment, _) = damaged_segment(|good| good[..good.len() / 2].to_vec());
    git(dir.path(), &["add", "src/lib.rs"]);
    let gate = || {
        Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(["check", "--staged"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let out = gate();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("src/lib.rs") && stderr.contains("vouch mark"), "{stderr}");
    }
    // The user decides: the AI text marked again, the file removed.
    let aside: Vec<PathBuf> = std::fs::read_dir(dir.path().join(".git/vouch/journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    let mark = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["mark", "src/lib.rs:6-9", "--ai"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(mark.status.success(), "{}", String::from_utf8_lossy(&mark.stderr));
    std::fs::remove_file(&aside[0]).unwrap();
    let out = gate();
    assert_eq!(out.status.code(), Some(1), "the AI unit needs sign-off: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_record_of_a_newer_schema_is_reported_and_kept() {
    let (_dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    journal.append(&repo, Entry::delta("a.rs", "abc\n", &[(0..3, ai("x"))])).unwrap();
    let json = br#"{"v":2,"id":"future.1"}"#;
    let sum = &vouch::fingerprint::sha256_hex(json)[..16];
    let line = [&json[..], b"\t", sum.as_bytes(), b"\n"].concat();
    let path = journal.dir().join("future.1.jsonl");
    std::fs::write(&path, &line).unwrap();
    let loaded = journal.records().unwrap();
    assert_eq!(loaded.problems, vec![Problem::UnsupportedVersion { path: path.clone(), line: 1, version: 2 }]);
    assert_eq!(loaded.records.len(), 1);
    journal.compact(&repo).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), line, "compaction leaves what it cannot read");
}

// ---------------------------------------------------------------------------
// The view.

#[test]
fn the_view_follows_lines_inserted_above_and_a_reformat_inside() {
    let (_dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    let v1 = format!("{BASE}\n{AI_FN}");
    journal.append(&repo, Entry::delta("src/lib.rs", &v1, &[(span_of(&v1, AI_FN), ai("copilot"))])).unwrap();

    // Lines inserted above: the span moves with its text.
    let v2 = format!("use std::fmt;\nuse std::io;\n\n{v1}");
    let view = journal.current_spans(&repo, "src/lib.rs", &v2).unwrap();
    assert_eq!(ai_text(&view.spans, &v2), vec![AI_FN]);

    // A formatter rewrites the inside of the function: still AI, and the
    // human code around it is not.
    let reformatted = "pub fn mul(a: u32, b: u32) -> u32 {\n        let product = a*b;\n        product\n}\n";
    let v3 = v2.replace(AI_FN, reformatted);
    let view = journal.current_spans(&repo, "src/lib.rs", &v3).unwrap();
    assert_eq!(ai_text(&view.spans, &v3), vec![reformatted]);

    // Text typed inside a function that is not AI stays out of it.
    let v4 = v3.replace("    a + b\n", "    let sum = a + b;\n    sum\n");
    let view = journal.current_spans(&repo, "src/lib.rs", &v4).unwrap();
    assert_eq!(ai_text(&view.spans, &v4), vec![reformatted]);
}

#[test]
fn later_records_override_and_a_snapshot_supersedes() {
    let (_dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    let text = format!("{BASE}\n{AI_FN}");
    let f = span_of(&text, AI_FN);
    journal.append(&repo, Entry::delta("src/lib.rs", &text, &[(f.clone(), ai("copilot"))])).unwrap();
    // A person marks the first line of the function as theirs.
    let line = f.start..f.start + AI_FN.find('\n').unwrap() + 1;
    journal.append(&repo, Entry::delta("src/lib.rs", &text, &[(line.clone(), Attribution::typed())])).unwrap();
    let view = journal.current_spans(&repo, "src/lib.rs", &text).unwrap();
    assert_eq!(ai_text(&view.spans, &text), vec![&text[line.end..f.end]]);
    // A snapshot says the whole file is unknown but the last line.
    let last = f.end - 2..f.end;
    journal.append(&repo, Entry::snapshot("src/lib.rs", &text, &[(last.clone(), ai("agent"))])).unwrap();
    let view = journal.current_spans(&repo, "src/lib.rs", &text).unwrap();
    assert_eq!(ai_text(&view.spans, &text), vec!["}\n"]);
    assert_eq!(view.spans.iter().find(|(r, _)| *r == last).map(|(_, a)| a.tool()), Some(Some("agent")));
}

#[test]
fn ai_text_stashed_and_popped_is_still_ai() {
    let (dir, repo) = repo_with(BASE);
    let root = dir.path();
    let journal = Journal::open(&repo).unwrap();
    let with_ai = format!("{BASE}\n{AI_FN}");
    write(root, "src/lib.rs", &with_ai);
    journal.append(&repo, Entry::delta("src/lib.rs", &with_ai, &[(span_of(&with_ai, AI_FN), ai("copilot"))])).unwrap();

    git(root, &["stash", "-q"]);
    let stashed = read(root, "src/lib.rs");
    assert_eq!(stashed, BASE);
    // Meanwhile the language server saved a snapshot of the file as it was:
    // typed by a person, no AI.
    journal
        .append(&repo, Entry::snapshot("src/lib.rs", &stashed, &[(0..stashed.len(), Attribution::typed())]))
        .unwrap();
    let view = journal.current_spans(&repo, "src/lib.rs", &stashed).unwrap();
    assert_eq!(ai_text(&view.spans, &stashed), Vec::<&str>::new());

    git(root, &["stash", "pop", "-q"]);
    let popped = read(root, "src/lib.rs");
    assert_eq!(popped, with_ai);
    let view = journal.current_spans(&repo, "src/lib.rs", &popped).unwrap();
    assert_eq!(view.problems, vec![]);
    assert_eq!(ai_text(&view.spans, &popped), vec![AI_FN]);
    // The person's text is still theirs.
    assert_eq!(view.spans[0].1, Attribution::typed());
}

#[test]
fn ai_text_carried_across_a_branch_switch_is_still_ai() {
    let (dir, repo) = repo_with(BASE);
    let root = dir.path();
    // Another branch adds lines above, in the same file.
    git(root, &["switch", "-q", "-c", "other"]);
    let other_base = format!("use std::ops::Add;\n\n{BASE}");
    write(root, "src/lib.rs", &other_base);
    git(root, &["commit", "-q", "-am", "imports"]);
    git(root, &["switch", "-q", "main"]);

    let journal = Journal::open(&repo).unwrap();
    let with_ai = format!("{BASE}\n{AI_FN}");
    write(root, "src/lib.rs", &with_ai);
    journal.append(&repo, Entry::delta("src/lib.rs", &with_ai, &[(span_of(&with_ai, AI_FN), ai("copilot"))])).unwrap();

    git(root, &["stash", "-q"]);
    git(root, &["switch", "-q", "other"]);
    git(root, &["stash", "pop", "-q"]);
    let merged = read(root, "src/lib.rs");
    assert_eq!(merged, format!("{other_base}\n{AI_FN}"));
    let view = journal.current_spans(&repo, "src/lib.rs", &merged).unwrap();
    assert_eq!(ai_text(&view.spans, &merged), vec![AI_FN]);

    // And back again.
    git(root, &["stash", "-q"]);
    git(root, &["switch", "-q", "main"]);
    git(root, &["stash", "pop", "-q"]);
    let back = read(root, "src/lib.rs");
    let view = journal.current_spans(&repo, "src/lib.rs", &back).unwrap();
    assert_eq!(ai_text(&view.spans, &back), vec![AI_FN]);
}

#[test]
fn a_missing_blob_is_a_problem_not_a_failure() {
    let (_dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    let text = format!("{BASE}\n{AI_FN}");
    let id = journal.append(&repo, Entry::delta("src/lib.rs", &text, &[(span_of(&text, AI_FN), ai("x"))])).unwrap();
    // The object vanishes (a copied journal, a broken repository).
    let blob = journal.records().unwrap().records[0].file().unwrap().blob.clone();
    let loose = repo.path().join("objects").join(&blob[..2]).join(&blob[2..]);
    std::fs::remove_file(loose).unwrap();
    let view = journal.current_spans(&repo, "src/lib.rs", BASE).unwrap();
    assert!(matches!(&view.problems[..], [Problem::Record { id: bad, .. }] if *bad == id), "{:?}", view.problems);
    assert_eq!(ai_text(&view.spans, BASE), Vec::<&str>::new());
}

// ---------------------------------------------------------------------------
// Retiring, compaction and gc.

#[test]
fn retired_records_stop_counting_and_their_blobs_are_let_go() {
    let (dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    let text = format!("{BASE}\n{AI_FN}");
    let id = journal.append(&repo, Entry::delta("src/lib.rs", &text, &[(span_of(&text, AI_FN), ai("x"))])).unwrap();
    let other = journal.append(&repo, Entry::delta("src/b.rs", "fn b() {}\n", &[(0..9, ai("x"))])).unwrap();
    let blob = Oid::from_str(&journal.records().unwrap().records[0].file().unwrap().blob).unwrap();

    // The blob is nowhere but in the journal, and gc keeps it.
    git(dir.path(), &["gc", "-q", "--prune=now"]);
    assert!(repo.find_blob(blob).is_ok());

    let head = repo.head().unwrap().target().unwrap();
    let retirement = journal.retire(std::slice::from_ref(&id), head).unwrap();
    let loaded = journal.records().unwrap();
    assert!(loaded.is_retired(&id));
    assert_eq!(loaded.live().map(|r| &r.id).collect::<Vec<_>>(), vec![&other]);
    assert!(matches!(&loaded.records.last().unwrap().body, Body::Retire(r) if r.ids == vec![id.clone()]));
    let view = journal.current_spans(&repo, "src/lib.rs", &text).unwrap();
    assert_eq!(ai_text(&view.spans, &text), Vec::<&str>::new());

    // Once this writer is gone, compaction drops the retired record, and its
    // retirement after that; gc may then prune the blob.
    drop(journal);
    let journal = Journal::open(&repo).unwrap();
    let done = journal.compact(&repo).unwrap();
    assert_eq!(done.records_dropped, 1, "{done:?}");
    assert_eq!(done.blobs_kept, 1);
    let ids: Vec<_> = journal.records().unwrap().records.into_iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![other.clone(), retirement]);
    let done = journal.compact(&repo).unwrap();
    assert_eq!(done.records_dropped, 1, "the spent retirement: {done:?}");
    let ids: Vec<_> = journal.records().unwrap().records.into_iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![other]);
    git(dir.path(), &["gc", "-q", "--prune=now"]);
    let exists = Command::new("git").arg("-C").arg(dir.path()).args(["cat-file", "-e", &blob.to_string()]).status();
    assert!(!exists.unwrap().success(), "no longer kept");
}

#[test]
fn a_broken_keep_ref_is_rebuilt() {
    let (_dir, repo) = repo_with(BASE);
    let journal = Journal::open(&repo).unwrap();
    journal.append(&repo, Entry::delta("a.rs", "abc\n", &[(0..3, ai("x"))])).unwrap();
    // Point the ref at a blob instead of a tree.
    let stray = repo.blob(b"stray").unwrap();
    repo.reference(journal.keep_ref(), stray, true, "test").unwrap();
    journal.append(&repo, Entry::delta("b.rs", "def\n", &[(0..3, ai("x"))])).unwrap();
    assert_eq!(kept_blobs(&repo, &journal), 2, "both records' blobs are kept again");
}
