//! History attribution against plain `git blame`: a 5,000-line file with 200
//! commits (some with AI trailers, some with vouch notes), timed in one run.
//! Prints the medians and their ratio; the target is at most 1.5x.

use std::process::Command;
use std::time::{Duration, Instant};

use git2::{Oid, Repository, Signature};
use vouch::provenance::{AiSource, Evidence};
use vouch::store::history::blame_history;
use vouch::store::notes::{FileRecord, NoteRecord, write_note};

const LINES: usize = 5000;
const COMMITS: usize = 200;
const RUNS: usize = 9;
const FILE: &str = "big.rs";

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = Repository::init(dir.path()).expect("init");
    let noted = build(&repo);
    println!("repo: {LINES} lines, {COMMITS} commits, {noted} vouch notes, every 5th commit with an AI trailer");

    // Warm the caches of both once.
    let origins = blame_history(&repo, FILE, Some("HEAD"), &[]).expect("blame_history");
    let ai = origins.iter().filter(|o| o.attribution.is_ai()).count();
    println!("blame_history: {} lines, {ai} AI", origins.len());
    plain_blame(dir.path());

    let mut ours = Vec::new();
    let mut plain = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let got = blame_history(&repo, FILE, Some("HEAD"), &[]).expect("blame_history");
        ours.push(t.elapsed());
        assert_eq!(got.len(), origins.len());
        let t = Instant::now();
        plain_blame(dir.path());
        plain.push(t.elapsed());
    }
    let (ours, plain) = (median(ours), median(plain));
    println!("git blame --porcelain: {:>8.1} ms (median of {RUNS})", ms(plain));
    println!("blame_history:         {:>8.1} ms (median of {RUNS})", ms(ours));
    println!("ratio: {:.2}x (target <= 1.5x)", ms(ours) / ms(plain));
}

fn plain_blame(dir: &std::path::Path) {
    let out = Command::new("git")
        .args(["blame", "--porcelain", "HEAD", "--", FILE])
        .current_dir(dir)
        .output()
        .expect("git blame");
    assert!(out.status.success());
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Commit 0 writes the file; commit i rewrites a block of 25 lines and
/// inserts one. Every 5th commit has a `Co-authored-by: Claude` trailer,
/// every 7th a vouch note on its block. Returns the number of notes.
fn build(repo: &Repository) -> usize {
    let sig = Signature::now("Ann", "ann@example.com").expect("signature");
    let mut lines: Vec<String> = (0..LINES).map(|i| format!("    let v{i} = compute({i}); // initial\n")).collect();
    let mut parent: Option<Oid> = None;
    let mut notes = 0;
    for c in 0..COMMITS {
        let mut block = 0..0;
        if c > 0 {
            let start = (c * 97) % (lines.len() - 30);
            for (k, line) in lines[start..start + 25].iter_mut().enumerate() {
                *line = format!("    let w{k} = change({c}, {k});\n");
            }
            lines.insert(start + 25, format!("    // commit {c}\n"));
            block = start..start + 26;
        }
        let text: String = lines.concat();
        let blob = repo.blob(text.as_bytes()).expect("blob");
        let mut tb = repo.treebuilder(None).expect("treebuilder");
        tb.insert(FILE, blob, 0o100644).expect("insert");
        let tree = repo.find_tree(tb.write().expect("tree")).expect("tree");
        let message = if c % 5 == 1 {
            format!("change {c}\n\nCo-authored-by: Claude <noreply@anthropic.com>\n")
        } else {
            format!("change {c}\n")
        };
        let parents: Vec<git2::Commit> = parent.iter().map(|p| repo.find_commit(*p).expect("parent")).collect();
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let id = repo.commit(Some("HEAD"), &sig, &sig, &message, &tree, &parent_refs).expect("commit");
        if c % 7 == 3 {
            let record = FileRecord {
                path: FILE.into(),
                blob: blob.to_string(),
                ai: vec![[block.start as u32 + 1, block.end as u32]],
                origin: AiSource { tool: "claude".into(), model: None, session: None, kind: None },
                evidence: Evidence::AgentHook,
                accepted_by: None,
                rationale: None,
                approvals: vec![],
                intent: None,
                imported: None,
                deleted_before: Vec::new(),
                removed: false,
                mode: None,
            };
            write_note(repo, id, &[NoteRecord::File(record)]).expect("note");
            notes += 1;
        }
        parent = Some(id);
    }
    notes
}
