//! History evidence through real git blame: trailers, bot authors, aider,
//! a git-ai note, and a vouch note seen through a later commit.

use std::path::Path;
use std::process::Command;

use git2::{Oid, Repository};
use vouch::provenance::{AiSource, Evidence, Origin};
use vouch::store::history::{HistoryError, LineOrigin, blame_contents, blame_history, line_origins_to_spans};
use vouch::store::notes::{FileRecord, NoteRecord, write_note};

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Ann"]);
        repo.git(&["config", "user.email", "ann@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn open(&self) -> Repository {
        Repository::open(self.path()).unwrap()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Append `lines` to `file` and commit as `author` with `message`.
    fn append(&self, file: &str, lines: &[&str], author: &str, message: &str) -> Oid {
        let path = self.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--author", author, "-m", message]);
        Oid::from_str(self.git(&["rev-parse", "HEAD"]).trim()).unwrap()
    }
}

/// Per line: (origin label, tool, evidence label).
fn labels(origins: &[LineOrigin]) -> Vec<(u32, &'static str, Option<String>, Option<&'static str>)> {
    origins
        .iter()
        .map(|o| {
            (
                o.line,
                o.attribution.origin.label(),
                o.attribution.tool().map(str::to_string),
                o.attribution.evidence.map(|e| e.label()),
            )
        })
        .collect()
}

const ANN: &str = "Ann <ann@example.com>";

#[test]
fn trailers_aider_and_bots_attribute_lines_with_the_tool_named() {
    let repo = Repo::new();
    repo.append("f.txt", &["human"], ANN, "start");
    repo.append("f.txt", &["claude"], ANN, "add\n\nCo-authored-by: Claude <noreply@anthropic.com>");
    repo.append("f.txt", &["assisted"], ANN, "add\n\nAssisted-by: Cursor");
    repo.append("f.txt", &["generated"], ANN, "add\n\nGenerated-by: Gemini CLI");
    repo.append("f.txt", &["aider"], "Ann (aider) <ann@example.com>", "aider: add");
    repo.append(
        "f.txt",
        &["dependabot"],
        "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
        "bump",
    );
    repo.append("f.txt", &["listed bot"], "Renovate <bot@renovateapp.com>", "bump");
    repo.append("f.txt", &["co-author person"], ANN, "pair\n\nCo-authored-by: Claude Monet <claude@monet.fr>");

    let bots = vec!["bot@renovateapp.com".to_string()];
    let got = blame_history(&repo.open(), "f.txt", Some("HEAD"), &bots).unwrap();
    let h = Some("history");
    assert_eq!(
        labels(&got),
        vec![
            (1, "unknown", None, None),
            (2, "ai", Some("claude".into()), h),
            (3, "ai", Some("cursor".into()), h),
            (4, "ai", Some("gemini".into()), h),
            (5, "ai", Some("aider".into()), h),
            (6, "ai", Some("dependabot[bot]".into()), h),
            (7, "ai", Some("Renovate".into()), h),
            (8, "unknown", None, None),
        ]
    );
    // Without the policy's list, Renovate is a person.
    let got = blame_history(&repo.open(), "f.txt", Some("HEAD"), &[]).unwrap();
    assert_eq!(got[6].attribution.origin, Origin::Unknown);
    // Each line names the commit that introduced it.
    let first = Oid::from_str(repo.git(&["rev-list", "--max-parents=0", "HEAD"]).trim()).unwrap();
    assert_eq!(got[0].commit, Some(first));
}

#[test]
fn a_hand_written_git_ai_note_attributes_its_lines() {
    let repo = Repo::new();
    repo.append("src/main.rs", &["fn main() {", "    ai();", "    more_ai();", "    human();", "}"], ANN, "one");
    let note = "src/main.rs\n  s_c9883b05a2487d::t_9f8e7d6c5b4a32 2-3\n  h_31dce776f88375 4\n---\n{\n  \"schema_version\": \"authorship/3.0.0\",\n  \"base_commit_sha\": \"7734793b756b3921c88db5375a8c156e9532447b\",\n  \"prompts\": {},\n  \"humans\": {\"h_31dce776f88375\": {\"author\": \"Ann <ann@example.com>\"}},\n  \"sessions\": {\"s_c9883b05a2487d\": {\"agent_id\": {\"tool\": \"cursor\", \"id\": \"6ef2\", \"model\": \"claude-sonnet-4-5\"}}}\n}\n";
    repo.git(&["notes", "--ref", "ai", "add", "-m", note, "HEAD"]);
    // A later commit shifts the lines down.
    std::fs::write(
        repo.path().join("src/main.rs"),
        format!("// top\n{}", std::fs::read_to_string(repo.path().join("src/main.rs")).unwrap()),
    )
    .unwrap();
    repo.git(&["commit", "-q", "-am", "top"]);

    let got = blame_history(&repo.open(), "src/main.rs", Some("HEAD"), &[]).unwrap();
    let h = Some("history");
    assert_eq!(
        labels(&got),
        vec![
            (1, "unknown", None, None),
            (2, "unknown", None, None),
            (3, "ai", Some("cursor".into()), h),
            (4, "ai", Some("cursor".into()), h),
            (5, "human", None, h),
            (6, "unknown", None, None),
        ]
    );
    match &got[2].attribution.origin {
        Origin::Ai(source) => assert_eq!(source.model.as_deref(), Some("claude-sonnet-4-5")),
        other => panic!("{other:?}"),
    }
}

/// A 3.x git-ai note naming `key` for `lines` of `path`, with `prompts` as
/// the JSON of its prompts.
fn git_ai_note(path: &str, entries: &[(&str, &str)], prompts: &str) -> String {
    let entries: String = entries.iter().map(|(key, lines)| format!("  {key} {lines}\n")).collect();
    format!(
        "{path}\n{entries}---\n{{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\"prompts\":{{{prompts}}},\
         \"humans\":{{\"h_31dce776f88375\":{{\"author\":\"Ann <ann@example.com>\"}}}}}}\n"
    )
}

#[test]
fn git_ai_notes_are_read_as_git_ai_reads_them_and_never_outrank_a_trailer() {
    let repo = Repo::new();
    // A cherry-picked prompt: defined in the first commit's note only.
    repo.append("a.rs", &["one"], ANN, "one");
    let cursor = r#""abcd1234abcd1234":{"agent_id":{"tool":"cursor","id":"c1","model":"gpt-4"},"messages":[]}"#;
    repo.git(&[
        "notes",
        "--ref",
        "ai",
        "add",
        "-m",
        &git_ai_note("a.rs", &[("abcd1234abcd1234", "1")], cursor),
        "HEAD",
    ]);
    repo.append("a.rs", &["two", "three", "four"], ANN, "two\n\nCo-authored-by: Claude <noreply@anthropic.com>");
    // The second note calls line 3 human and line 4 by the old sentinel;
    // the trailer says the commit's lines are Claude's.
    let note = git_ai_note("a.rs", &[("abcd1234abcd1234", "2"), ("h_31dce776f88375", "3"), ("human", "4")], "");
    repo.git(&["notes", "--ref", "ai", "add", "-m", &note, "HEAD"]);
    repo.append("b.rs", &["plain", "sentinel"], ANN, "three");
    repo.git(&["notes", "--ref", "ai", "add", "-m", &git_ai_note("b.rs", &[("human", "2")], ""), "HEAD"]);

    let got = blame_history(&repo.open(), "a.rs", Some("HEAD"), &[]).unwrap();
    let h = Some("history");
    assert_eq!(
        labels(&got),
        vec![
            (1, "ai", Some("cursor".into()), h),
            // Resolved through the first commit's note, as git-ai does.
            (2, "ai", Some("cursor".into()), h),
            // A human claim from the note never outranks the trailer.
            (3, "ai", Some("claude".into()), h),
            (4, "ai", Some("claude".into()), h),
        ]
    );
    let got = blame_history(&repo.open(), "b.rs", Some("HEAD"), &[]).unwrap();
    assert_eq!(labels(&got), vec![(1, "unknown", None, None), (2, "human", None, h)]);
}

#[test]
fn a_vouch_note_is_seen_through_a_later_commit_that_moved_the_lines() {
    let repo = Repo::new();
    repo.append("a.rs", &["use x;", "fn ai() {", "    1", "}", "fn human() {}"], ANN, "one");
    let first = Oid::from_str(repo.git(&["rev-parse", "HEAD"]).trim()).unwrap();
    let blob = repo.git(&["rev-parse", "HEAD:a.rs"]).trim().to_string();
    let record = FileRecord {
        path: "a.rs".into(),
        blob,
        ai: vec![[2, 4]],
        origin: AiSource { tool: "claude".into(), model: Some("opus".into()), session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: Some("ann@example.com".into()),
        rationale: None,
        approvals: vec!["appr-1".into()],
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    };
    write_note(&repo.open(), first, &[NoteRecord::File(record)]).unwrap();
    // Move the lines: three lines above them, and rename the file.
    let text = std::fs::read_to_string(repo.path().join("a.rs")).unwrap();
    std::fs::write(repo.path().join("a.rs"), format!("// 1\n// 2\n// 3\n{text}")).unwrap();
    repo.git(&[
        "commit",
        "-q",
        "-am",
        "header, a trailer that does not matter\n\nCo-authored-by: Copilot <copilot@github.com>",
    ]);
    repo.git(&["mv", "a.rs", "b.rs"]);
    repo.git(&["commit", "-q", "-m", "rename"]);

    let got = blame_history(&repo.open(), "b.rs", Some("HEAD"), &[]).unwrap();
    assert_eq!(
        labels(&got),
        vec![
            (1, "ai", Some("copilot".into()), Some("history")),
            (2, "ai", Some("copilot".into()), Some("history")),
            (3, "ai", Some("copilot".into()), Some("history")),
            (4, "unknown", None, None),
            (5, "ai", Some("claude".into()), Some("agent-hook")),
            (6, "ai", Some("claude".into()), Some("agent-hook")),
            (7, "ai", Some("claude".into()), Some("agent-hook")),
            (8, "unknown", None, None),
        ]
    );
    let line5 = &got[4];
    assert_eq!(line5.commit, Some(first));
    assert_eq!((line5.orig_path.as_str(), line5.orig_line), ("a.rs", 2));
    assert_eq!(line5.approvals, vec!["appr-1".to_string()]);
    assert_eq!(line5.attribution.accepted_by.as_deref(), Some("ann@example.com"));

    // As byte spans of the file.
    let text = repo.git(&["show", "HEAD:b.rs"]);
    let spans = line_origins_to_spans(&text, &got);
    let ai: Vec<&str> =
        spans.iter().filter(|(_, a)| a.tool() == Some("claude")).map(|(r, _)| &text[r.clone()]).collect();
    assert_eq!(ai, vec!["fn ai() {\n    1\n}\n"]);
}

#[test]
fn uncommitted_lines_have_no_commit() {
    let repo = Repo::new();
    repo.append("a.txt", &["one"], ANN, "start\n\nCo-authored-by: Claude <noreply@anthropic.com>");
    std::fs::write(repo.path().join("a.txt"), "zero\none\n").unwrap();

    let got = blame_history(&repo.open(), "a.txt", None, &[]).unwrap();
    assert_eq!(got[0].commit, None);
    assert_eq!(got[0].attribution.origin, Origin::Unknown);
    assert_eq!(got[1].attribution.tool(), Some("claude"));

    let got = blame_contents(&repo.open(), "a.txt", None, b"one\nbuffer\n", &[]).unwrap();
    assert_eq!(labels(&got)[0], (1, "ai", Some("claude".into()), Some("history")));
    assert_eq!(got[1].commit, None);
}

#[test]
fn a_malformed_vouch_note_fails_the_blame() {
    let repo = Repo::new();
    let c = repo.append("a.txt", &["one"], ANN, "start");
    repo.git(&["notes", "--ref", "vouch", "add", "-m", "oops", "HEAD"]);
    let err = blame_history(&repo.open(), "a.txt", Some("HEAD"), &[]).unwrap_err();
    assert!(matches!(err, HistoryError::Note(_)), "{err:?}");
    assert!(err.to_string().contains(&format!("commit {c}, line 1")), "{err}");
    let err = blame_history(&repo.open(), "missing.txt", Some("HEAD"), &[]).unwrap_err();
    assert!(matches!(err, HistoryError::Blame { .. }), "{err:?}");
}
