//! One truth across views (issue 13.8): `vouch stats`, `vouch report`,
//! `vouch log`, `vouch blame` and `vouch verify` count the same evidence
//! (vouch notes, git-ai notes, AI trailers, aider, bot authors) and say
//! which, through the real binary and real git: one commit of each kind,
//! and a generated AI-heavy history (the benchmark's generator, small).

mod support {
    pub mod commits;
    pub mod repo;
}

#[allow(dead_code)]
#[path = "../benches/support/history_repo.rs"]
mod history_repo;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use git2::Repository;
use serde_json::Value;
use support::commits::{commit_file, commit_git_ai_noted, commit_noted, head};
use support::repo::TestRepo;

const POLICY: &str = "reviewers = [\"carol@example.com\"]\n";

fn vouch_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    history_repo::isolate(&mut cmd, dir);
    cmd.args(args).env("NO_COLOR", "1").output().expect("vouch runs")
}

/// The JSON `vouch` prints for `args`; any exit code but 2.
fn json_in(dir: &Path, args: &[&str]) -> Value {
    let out = vouch_in(dir, args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "vouch {args:?}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("vouch {args:?}: {e}"))
}

fn text_in(dir: &Path, args: &[&str]) -> String {
    let out = vouch_in(dir, args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "vouch {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The evidence labels `vouch log --format json` gives each commit.
fn log_evidence(log: &Value) -> BTreeMap<String, Vec<String>> {
    log.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let labels = e["evidence"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
            (e["commit"].as_str().unwrap().to_string(), labels)
        })
        .collect()
}

/// Commits per evidence kind, from per-commit labels (`trailer: claude` is
/// a `trailer`); commits with none under `none`.
fn kinds_of(labels: &BTreeMap<String, Vec<String>>, merges: &BTreeSet<String>) -> BTreeMap<String, u64> {
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for (commit, labels) in labels {
        let mut own: BTreeSet<&str> = labels.iter().map(|l| l.split(':').next().unwrap().trim()).collect();
        if own.is_empty() && !merges.contains(commit) {
            own.insert("none");
        }
        for kind in own {
            *kinds.entry(kind.to_string()).or_default() += 1;
        }
    }
    kinds
}

/// `ai_share.evidence` of `vouch stats --format json` as kind -> commits,
/// leaving out kinds no commit carries.
fn stats_kinds(stats: &Value) -> BTreeMap<String, u64> {
    stats["ai_share"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["commits"].as_u64().unwrap() > 0)
        .map(|e| (e["kind"].as_str().unwrap().to_string(), e["commits"].as_u64().unwrap()))
        .collect()
}

#[test]
fn one_commit_of_each_kind_of_evidence_counts_the_same_in_every_view() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", POLICY);
    repo.write("README.md", "a project\n");
    repo.commit_all("start");
    let base = head(&repo);
    let dev = ("Dev", "dev@example.com");

    // A vouch note from an agent hook.
    let noted = commit_noted(&repo, "src/noted.rs", "noted", dev);
    // A git-ai note (authorship/3.0.0) naming all four lines Cursor's.
    let git_ai = commit_git_ai_noted(&repo, "src/gitai.rs", "gitai", dev);
    // An AI trailer, aider's author, a bot author, and a commit with none.
    let trailer = commit_file(
        &repo,
        "src/trailer.rs",
        "trailer",
        dev,
        "trailer\n\nCo-authored-by: Claude <noreply@anthropic.com>\n",
    );
    let aider = commit_file(&repo, "src/aider.rs", "aider", ("Ana Lima (aider)", "ana@example.com"), "aider");
    let bot = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com");
    let bot = commit_file(&repo, "src/bot.rs", "bot", bot, "bump");
    let human = commit_file(&repo, "src/human.rs", "human", dev, "by hand");

    let range = format!("{base}..HEAD");
    let expected: BTreeMap<String, Vec<String>> = [
        (noted, vec!["vouch note"]),
        (git_ai, vec!["git-ai note"]),
        (trailer, vec!["trailer: claude"]),
        (aider, vec!["aider author"]),
        (bot, vec!["bot author: dependabot[bot]"]),
        (human, vec![]),
    ]
    .into_iter()
    .map(|(c, l)| (c.to_string(), l.into_iter().map(str::to_string).collect()))
    .collect();

    // log: the evidence of each commit, and its AI lines.
    let log = json_in(&repo.root, &["log", &range, "--format", "json"]);
    assert_eq!(log_evidence(&log), expected);
    for entry in log.as_array().unwrap() {
        let ai = if entry["commit"] == human.to_string() { 0 } else { 4 };
        assert_eq!((entry["ai_lines"].as_u64(), entry["added_lines"].as_u64()), (Some(ai), Some(4)), "{entry}");
    }
    let text = text_in(&repo.root, &["log", &range]);
    assert!(text.contains("100% AI (4/4 lines) by cursor · git-ai note"), "{text}");
    assert!(text.contains("100% AI (4/4 lines) by dependabot[bot] · bot author: dependabot[bot]"), "{text}");
    assert!(text.contains("no provenance (4 line(s) unattested)"), "{text}");

    // verify: the same evidence per commit, and the AI lines of HEAD.
    let verify = json_in(&repo.root, &["verify", &range, "--format", "json"]);
    let coverage = &verify["coverage"];
    let provenance: BTreeMap<String, Vec<String>> = serde_json::from_value(coverage["provenance"].clone()).unwrap();
    let with_some: BTreeMap<String, Vec<String>> =
        expected.clone().into_iter().filter(|(_, l)| !l.is_empty()).collect();
    assert_eq!(provenance, with_some);
    assert_eq!(coverage["without_provenance"], serde_json::json!([human.to_string()]));
    assert_eq!((coverage["ai_lines"].as_u64(), coverage["unknown_lines"].as_u64()), (Some(20), Some(4)));

    // stats: every kind once, 20 of 24 added lines AI, per tool.
    let stats = json_in(&repo.root, &["stats", &range, "--format", "json"]);
    let share = &stats["ai_share"];
    assert_eq!((share["total"]["ai_lines"].as_u64(), share["total"]["added_lines"].as_u64()), (Some(20), Some(24)));
    let kinds: Vec<(String, u64, u64)> = share["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().into(), e["commits"].as_u64().unwrap(), e["ai_lines"].as_u64().unwrap()))
        .collect();
    let kind = |k: &str, c, a| (k.to_string(), c, a);
    assert_eq!(
        kinds,
        [
            kind("vouch note", 1, 4),
            kind("git-ai note", 1, 4),
            kind("trailer", 1, 4),
            kind("aider author", 1, 4),
            kind("bot author", 1, 4),
            kind("none", 1, 0)
        ]
    );
    assert_eq!(stats_kinds(&stats), kinds_of(&expected, &BTreeSet::new()));
    let tools: BTreeSet<(String, Option<String>)> = share["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["tool"].as_str().unwrap().to_string(), t["model"].as_str().map(str::to_string)))
        .collect();
    let want: BTreeSet<(String, Option<String>)> = [
        ("claude-code", Some("opus")),
        ("cursor", Some("gpt-5")),
        ("claude", None),
        ("aider", None),
        ("dependabot[bot]", None),
    ]
    .into_iter()
    .map(|(t, m)| (t.to_string(), m.map(str::to_string)))
    .collect();
    assert_eq!(tools, want);
    assert_eq!(stats["in_head"]["ai_lines"], coverage["ai_lines"]);
    assert_eq!(stats["in_head"]["unknown_lines"], coverage["unknown_lines"]);
    // Five AI functions, one unit each; verify asks sign-off for each.
    assert_eq!(stats["triage"]["all"]["units"], 5);
    assert_eq!(verify["failures"].as_array().unwrap().len(), 5, "{verify:#}");
    let text = text_in(&repo.root, &["stats", &range]);
    assert!(text.contains("20 of 24 line(s) AI-written (83%)"), "{text}");
    assert!(text.contains("provenance: 5 of 6 commit(s) carry some"), "{text}");

    // report: the same numbers on the page.
    let html = text_in(&repo.root, &["report", &range, "-o", "-"]);
    for (label, commits, ai) in [("git-ai note", 1, 4), ("trailer", 1, 4), ("no provenance", 1, 0)] {
        let row = format!("<tr><td>{label}</td><td class=\"n\">{commits}</td><td class=\"n\">{ai}</td>");
        assert!(html.contains(&row), "{row} in {html}");
    }
    assert!(html.contains("5 of 6 commits carry provenance"), "{html}");

    // blame: each line says which evidence made it AI; the human file's
    // lines are unknown, said by nothing.
    for (path, label) in [
        ("src/noted.rs", Some("vouch note")),
        ("src/gitai.rs", Some("git-ai note")),
        ("src/trailer.rs", Some("trailer: claude")),
        ("src/aider.rs", Some("aider author")),
        ("src/bot.rs", Some("bot author: dependabot[bot]")),
        ("src/human.rs", None),
    ] {
        let blame = json_in(&repo.root, &["blame", path, "--format", "json"]);
        for line in blame["lines"].as_array().unwrap() {
            assert_eq!(line["source"].as_str(), label, "{path}: {line}");
            assert_eq!(line["origin"], if label.is_some() { "ai" } else { "unknown" }, "{path}: {line}");
        }
    }
    let text = text_in(&repo.root, &["blame", "src/gitai.rs"]);
    assert!(text.lines().nth(2).unwrap().contains("cursor git-ai note"), "{text}");
}

#[test]
fn on_a_generated_ai_heavy_history_stats_report_log_blame_and_verify_agree() {
    let dir = tempfile::tempdir().unwrap();
    let m = history_repo::build_history(&history_repo::Shape::small(), dir.path());
    let repo = dir.path().join("repo");
    let range = format!("{}..HEAD", m.base);

    let stats = json_in(&repo, &["stats", &range, "--format", "json"]);
    let log = json_in(&repo, &["log", &range, "--format", "json"]);
    let verify = json_in(&repo, &["verify", &range, "--format", "json"]);
    let entries = log.as_array().unwrap();
    let share = &stats["ai_share"];
    assert_eq!(entries.len() as u64, share["commits"].as_u64().unwrap());
    assert_eq!(entries.len(), m.range_commits);

    // The history is AI-heavy, and the numbers say so (they said 0% when
    // only vouch notes counted).
    let ai = share["total"]["ai_lines"].as_u64().unwrap();
    let added = share["total"]["added_lines"].as_u64().unwrap();
    assert!(ai * 5 > added, "{ai} of {added} added lines AI");

    // log and stats: the same lines, commit by commit summed.
    let sum = |key: &str| entries.iter().map(|e| e[key].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum("ai_lines"), sum("added_lines")), (ai, added));
    assert_eq!(sum("ai_lines_carried"), share["carried_lines"].as_u64().unwrap());

    // The same evidence, commit by commit, in log and verify; per kind in
    // stats and the report.
    let labels = log_evidence(&log);
    let merges: BTreeSet<String> =
        entries.iter().filter(|e| e["merge"] == true).map(|e| e["commit"].as_str().unwrap().to_string()).collect();
    let coverage = &verify["coverage"];
    let provenance: BTreeMap<String, Vec<String>> = serde_json::from_value(coverage["provenance"].clone()).unwrap();
    let with_some: BTreeMap<String, Vec<String>> = labels.clone().into_iter().filter(|(_, l)| !l.is_empty()).collect();
    assert_eq!(provenance, with_some);
    let kinds = kinds_of(&labels, &merges);
    assert_eq!(stats_kinds(&stats), kinds);
    for kind in ["git-ai note", "trailer", "vouch note"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "no {kind} in the range: {kinds:?}");
    }
    assert_eq!(coverage["with_git_ai_note"].as_u64(), kinds.get("git-ai note").copied());
    assert_eq!(coverage["with_note"].as_u64(), kinds.get("vouch note").copied());
    let html = text_in(&repo, &["report", &range, "-o", "-"]);
    for e in share["evidence"].as_array().unwrap() {
        let label = if e["kind"] == "none" { "no provenance" } else { e["kind"].as_str().unwrap() };
        let row =
            format!("<tr><td>{label}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>", e["commits"], e["ai_lines"]);
        assert!(html.contains(&row), "{row}");
    }

    // The lines of HEAD the range wrote: stats counts what verify judges.
    for key in ["ai_lines", "attested_lines", "unknown_lines"] {
        assert_eq!(stats["in_head"][key], coverage[key], "{key}");
    }
    assert!(coverage["ai_lines"].as_u64().unwrap() > 0);

    // blame: each line of a file the range changed names the evidence that
    // decided it, one its commit carries as log and verify list it. (Which
    // lines blame calls AI is history's account, line by line from the
    // last commit that changed it, not the range's lineage; see
    // docs/architecture.md.)
    let opened = Repository::open(&repo).unwrap();
    let in_range: BTreeSet<String> = labels.keys().cloned().collect();
    let mut checked = 0;
    for path in
        [m.hot_file.as_str()].into_iter().chain(changed_files(&repo, &range).iter().map(String::as_str).take(12))
    {
        if opened.head().unwrap().peel_to_tree().unwrap().get_path(Path::new(path)).is_err() {
            continue;
        }
        let blame = json_in(&repo, &["blame", path, "--format", "json"]);
        for line in blame["lines"].as_array().unwrap() {
            let (Some(commit), Some(source)) = (line["commit"].as_str(), line["source"].as_str()) else { continue };
            if !in_range.contains(commit) {
                continue;
            }
            assert!(
                labels[commit].iter().any(|l| l == source),
                "{path}: {source} not among {:?}: {line}",
                labels[commit]
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} lines from the range checked");
}

/// The files `range` changed that HEAD has, as git lists them.
fn changed_files(repo: &Path, range: &str) -> Vec<String> {
    let out = history_repo::git(repo, &["log", "--format=", "--name-only", range]);
    let mut files: Vec<String> = out.lines().filter(|l| !l.is_empty()).map(str::to_string).collect();
    files.sort();
    files.dedup();
    files
}
