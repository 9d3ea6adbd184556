//! The benchmark repository generator (`benches/support/history_repo.rs`)
//! builds what `cargo bench --bench history` claims to measure: at the small
//! size, a valid repository whose commits, merges, AI trailers, git-ai
//! notes, vouch notes and records are there in the intended proportions,
//! readable by vouch, and the same on every build. Without this test the
//! generator could rot silently and the benchmark measure something else.

// The module is shared with the benchmark, which uses more of it.
#[allow(dead_code)]
#[path = "../benches/support/history_repo.rs"]
mod history_repo;

use std::collections::BTreeSet;
use std::path::Path;

use git2::{Oid, Repository};
use history_repo::{Shape, build_history, git};
use vouch::store::history::{ai_trailer_tool, parse_git_ai_note};
use vouch::store::notes::{NoteRecord, parse_note};
use vouch::store::records::{self, Approval, Request};

fn count(repo: &Path, args: &[&str]) -> usize {
    git(repo, args).trim().parse().expect("a count")
}

/// `(note blob, commit)` pairs of a notes ref.
fn notes(repo: &Path, name: &str) -> Vec<(String, String)> {
    git(repo, &["notes", &format!("--ref={name}"), "list"])
        .lines()
        .map(|l| {
            let (note, commit) = l.split_once(' ').expect("note and commit");
            (note.to_string(), commit.to_string())
        })
        .collect()
}

#[test]
fn the_generated_history_has_the_intended_shape() {
    let shape = Shape::small();
    let dir = tempfile::tempdir().unwrap();
    let m = build_history(&shape, dir.path());
    let repo = dir.path().join("repo");
    eprintln!("{m:#?}");
    git(&repo, &["fsck", "--no-progress", "--no-dangling"]);

    // Commits and merges, as git counts them.
    assert_eq!(count(&repo, &["rev-list", "--count", "HEAD"]), m.commits);
    assert!(m.commits >= shape.commits, "{} commits", m.commits);
    assert_eq!(count(&repo, &["rev-list", "--count", "--merges", "HEAD"]), m.merges);
    assert!(m.merges * 100 >= m.commits * 8, "{} merges of {} commits", m.merges, m.commits);
    let nonmerge = m.commits - m.merges;

    // AI trailers, as vouch reads them: about 30% of the non-merge commits.
    let log = git(&repo, &["log", "--no-merges", "--format=%B%x00"]);
    let messages: Vec<&str> = log.split('\0').map(|m| m.trim_start_matches('\n')).filter(|m| !m.is_empty()).collect();
    assert_eq!(messages.len(), nonmerge);
    let trailers = messages.iter().filter(|m| ai_trailer_tool(m).is_some()).count();
    assert_eq!(trailers, m.trailer_commits);
    let share = trailers as f64 / nonmerge as f64;
    assert!((0.22..=0.40).contains(&share), "AI trailer share {share:.2}");
    let tools: BTreeSet<String> = messages.iter().filter_map(|m| ai_trailer_tool(m)).collect();
    assert!(tools.len() >= 4, "several AI tools: {tools:?}");

    // git-ai notes: on about 45% of the non-merge commits, each one a valid
    // authorship/3.0.0 log.
    let opened = Repository::open(&repo).unwrap();
    let git_ai = notes(&repo, "ai");
    assert_eq!(git_ai.len(), m.git_ai_notes);
    let share = git_ai.len() as f64 / nonmerge as f64;
    assert!((0.35..=0.58).contains(&share), "git-ai note share {share:.2}");
    let mut attributed = 0;
    for (note, commit) in &git_ai {
        let text = git(&repo, &["cat-file", "-p", note]);
        assert!(text.contains("\"schema_version\": \"authorship/3.0.0\""), "{commit}: {text}");
        let parsed = parse_git_ai_note(&text).unwrap_or_else(|e| panic!("git-ai note on {commit}: {e}\n{text}"));
        attributed += usize::from(!parsed.files.is_empty());
    }
    assert!(attributed * 10 >= git_ai.len() * 8, "{attributed} of {} git-ai notes attribute lines", git_ai.len());

    // vouch notes: valid JSON Lines whose file records name the blob the
    // commit has at that path, and lines inside it.
    let vouch = notes(&repo, "vouch");
    assert_eq!(vouch.len(), m.vouch_notes);
    assert!(m.vouch_notes * 2 >= shape.vouch_notes, "{} vouch notes", m.vouch_notes);
    assert!(m.vouch_no_ai_notes > 0 && m.vouch_no_ai_notes * 2 < m.vouch_notes, "{} no-ai notes", m.vouch_no_ai_notes);
    for (note, commit) in &vouch {
        let id = Oid::from_str(commit).unwrap();
        let bytes = git(&repo, &["cat-file", "-p", note]);
        let parsed = parse_note(id, bytes.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!parsed.is_empty());
        let tree = opened.find_commit(id).unwrap().tree().unwrap();
        for record in parsed {
            let NoteRecord::File(file) = record else { continue };
            let entry = tree.get_path(Path::new(&file.path)).unwrap();
            assert_eq!(entry.id().to_string(), file.blob, "{commit}: {}", file.path);
            let lines = opened.find_blob(entry.id()).unwrap().content().iter().filter(|&&b| b == b'\n').count();
            assert!(file.ai.iter().all(|r| r[1] as usize <= lines), "{commit}: {} {:?}", file.path, file.ai);
        }
    }

    // Requests and approvals, through vouch's own listing, none bad.
    let requests = records::list_uncached::<Request>(&opened).unwrap();
    let approvals = records::list_uncached::<Approval>(&opened).unwrap();
    assert!(requests.bad.is_empty() && approvals.bad.is_empty());
    assert_eq!(requests.records.len(), m.requests);
    assert_eq!(approvals.records.len(), m.approvals);
    assert!(m.requests > 0 && m.approvals >= m.requests, "{} requests, {} approvals", m.requests, m.approvals);

    // Files in three programming languages, none over 3,000 lines; the hot
    // file and the range as the manifest says.
    let files = git(&repo, &["ls-files"]);
    for ext in [".rs", ".py", ".ts", ".md"] {
        assert!(files.lines().any(|f| f.ends_with(ext)), "no {ext} file");
    }
    assert_eq!(files.lines().count(), m.files);
    assert!(m.max_file_lines <= 3000 && m.max_file_lines > 1000, "longest file: {} lines", m.max_file_lines);
    let hot = count(&repo, &["rev-list", "--count", "HEAD", "--", &m.hot_file]);
    assert_eq!(hot, m.hot_file_commits);
    assert!(hot + 2 >= shape.hot_commits, "{hot} commits change the hot file");
    assert_eq!(count(&repo, &["rev-list", "--count", &format!("{}..HEAD", m.base)]), m.range_commits);
    assert!(
        m.range_commits >= shape.range && m.range_commits < shape.range * 2,
        "{} commits in range",
        m.range_commits
    );
    let policy = git(&repo, &["show", &format!("{}:.vouch.toml", m.base)]);
    assert!(policy.contains("seniors"), "the policy is there at BASE");

    // vouch reads all of it: verify reaches a verdict (1: unapproved AI
    // code), never "could not read" (2).
    let mut verify = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"));
    history_repo::isolate(&mut verify, &repo);
    let verify = verify.args(["verify", &format!("{}..HEAD", m.base)]).env("NO_COLOR", "1").output().unwrap();
    assert!(
        matches!(verify.status.code(), Some(0 | 1)),
        "vouch verify: {:?}\n{}{}",
        verify.status,
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );

    // The same on every build.
    let again = tempfile::tempdir().unwrap();
    let m2 = build_history(&shape, again.path());
    let refs = |repo: &Path| git(repo, &["rev-parse", "HEAD", "refs/notes/ai", "refs/notes/vouch"]);
    assert_eq!(refs(&repo), refs(&again.path().join("repo")));
    assert_eq!((m2.head, m2.base, m2.requests, m2.approvals), (m.head, m.base, m.requests, m.approvals));
    let ids = |repo: &Path| {
        let opened = Repository::open(repo).unwrap();
        let mut ids: Vec<String> =
            records::list_uncached::<Approval>(&opened).unwrap().records.into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&repo), ids(&again.path().join("repo")));
}
