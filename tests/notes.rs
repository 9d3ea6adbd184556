//! Notes on commits through real git flows: commit, amend, rebase (plain and
//! interactive squash), cherry-pick (with and without -x), a server-style
//! squash merge rebuilt, and a note broken by hand.

use std::path::Path;
use std::process::Command;

use git2::{Oid, Repository};
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{
    self, FileRecord, NoteError, NoteRecord, RebuildConfig, find_source, follow_cherry_pick, parse_rewrite_pairs,
    read_note, rebuild, remap_after_rewrite, write_note,
};

/// A temporary repository driven through the git binary.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo { dir };
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

    fn git_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_EDITOR", "true")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn git(&self, args: &[&str]) -> String {
        self.git_env(args, &[])
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.path().join(file), text).unwrap();
    }

    fn commit(&self, message: &str) -> Oid {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.head()
    }

    fn head(&self) -> Oid {
        self.rev("HEAD")
    }

    fn rev(&self, rev: &str) -> Oid {
        Oid::from_str(self.git(&["rev-parse", rev]).trim()).unwrap()
    }

    fn blob(&self, rev: &str, file: &str) -> String {
        self.git(&["rev-parse", &format!("{rev}:{file}")]).trim().to_string()
    }

    /// Note `lines` of `file` at HEAD as AI text from `tool`.
    fn note_ai(&self, file: &str, lines: Vec<[u32; 2]>, tool: &str) -> Oid {
        let head = self.head();
        let record = ai_record(file, &self.blob("HEAD", file), lines, tool);
        write_note(&self.open(), head, &[NoteRecord::File(record)]).unwrap();
        head
    }

    /// Record what a post-rewrite hook would read, for `remap_after_rewrite`.
    fn install_rewrite_log(&self) {
        let hook = self.path().join(".git/hooks/post-rewrite");
        std::fs::write(&hook, "#!/bin/sh\ncat >> \"$(git rev-parse --git-dir)/rewritten\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Run what `vouch hook post-rewrite` will run, with the pairs git gave
    /// the hook, and clear them.
    fn run_post_rewrite(&self) -> Vec<notes::Remapped> {
        let log = self.path().join(".git/rewritten");
        let input = std::fs::read_to_string(&log).unwrap_or_default();
        std::fs::remove_file(&log).ok();
        let pairs = parse_rewrite_pairs(&input).unwrap();
        assert!(!pairs.is_empty(), "the hook saw no rewrite");
        remap_after_rewrite(&self.open(), &pairs).unwrap()
    }

    fn file_records(&self, commit: Oid) -> Vec<FileRecord> {
        read_note(&self.open(), commit)
            .unwrap()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| match r {
                NoteRecord::File(f) => Some(f),
                NoteRecord::NoAi | NoteRecord::Partial => None,
            })
            .collect()
    }
}

fn ai_record(path: &str, blob: &str, ai: Vec<[u32; 2]>, tool: &str) -> FileRecord {
    FileRecord {
        path: path.into(),
        blob: blob.into(),
        ai,
        origin: AiSource { tool: tool.into(), model: None, session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: Some("ann@example.com".into()),
        rationale: Some("boilerplate".into()),
        approvals: vec![],
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    }
}

fn numbered(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} {i}\n")).collect()
}

/// (path, blob, ai) of each record, sorted, for compact asserts.
fn summary(records: &[FileRecord]) -> Vec<(String, String, Vec<[u32; 2]>, String)> {
    let mut out: Vec<_> =
        records.iter().map(|r| (r.path.clone(), r.blob.clone(), r.ai.clone(), r.origin.tool.clone())).collect();
    out.sort();
    out
}

#[test]
fn note_after_commit_reads_back_and_merges_like_cat_sort_uniq() {
    let repo = Repo::new();
    repo.write("a.rs", &numbered("a", 5));
    let c = repo.commit("one");
    let blob = repo.blob("HEAD", "a.rs");
    let git = repo.open();
    assert_eq!(read_note(&git, c).unwrap(), None);

    let r1 = NoteRecord::File(ai_record("a.rs", &blob, vec![[2, 3]], "claude"));
    let r2 = NoteRecord::File(ai_record("a.rs", &blob, vec![[5, 5]], "copilot"));
    write_note(&git, c, std::slice::from_ref(&r2)).unwrap();
    write_note(&git, c, &[r1.clone(), r2.clone(), NoteRecord::NoAi]).unwrap();
    let got = read_note(&git, c).unwrap().unwrap();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.contains(&r1) && got.contains(&r2) && got.contains(&NoteRecord::NoAi));

    // The note git shows is the sorted, deduplicated lines.
    let shown = repo.git(&["notes", "--ref", "vouch", "show", &c.to_string()]);
    let mut lines: Vec<&str> = shown.lines().collect();
    let before = lines.clone();
    lines.sort();
    lines.dedup();
    assert_eq!(before, lines);
    assert!(shown.starts_with("{\"v\":1,"), "{shown}");
}

#[test]
fn configure_sets_the_rewrite_settings_and_keeps_other_refs() {
    let repo = Repo::new();
    repo.git(&["config", "--add", "notes.rewriteRef", "refs/notes/commits"]);
    notes::configure(&repo.open()).unwrap();
    notes::configure(&repo.open()).unwrap();
    let refs = repo.git(&["config", "--get-all", "notes.rewriteRef"]);
    assert_eq!(refs, "refs/notes/commits\nrefs/notes/vouch\n");
    assert_eq!(repo.git(&["config", "notes.rewriteMode"]), "cat_sort_uniq\n");
    assert_eq!(repo.git(&["config", "notes.rewrite.amend"]), "true\n");
    assert_eq!(repo.git(&["config", "notes.rewrite.rebase"]), "true\n");
}

#[test]
fn amend_carries_the_note_and_remaps_its_lines() {
    let repo = Repo::new();
    notes::configure(&repo.open()).unwrap();
    repo.install_rewrite_log();
    repo.write("a.rs", &numbered("line", 6));
    let old = repo.commit("one");
    repo.note_ai("a.rs", vec![[2, 3]], "claude");

    repo.write("a.rs", &format!("// header\n// more\n{}", numbered("line", 6)));
    repo.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    let new = repo.head();
    assert_ne!(old, new);
    // git copied the note as it was: its blob is the old one.
    assert_eq!(repo.file_records(new)[0].blob, repo.blob(&old.to_string(), "a.rs"));

    let done = repo.run_post_rewrite();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].commit, new);
    let records = repo.file_records(new);
    assert_eq!(summary(&records), vec![("a.rs".into(), repo.blob("HEAD", "a.rs"), vec![[4, 5]], "claude".into())]);
    // Everything but the blob and lines is kept.
    assert_eq!(records[0].rationale.as_deref(), Some("boilerplate"));
    assert_eq!(records[0].evidence, Evidence::AgentHook);
}

#[test]
fn amend_that_rewrites_ai_lines_keeps_them_ai_and_drops_removed_ones() {
    let repo = Repo::new();
    notes::configure(&repo.open()).unwrap();
    repo.install_rewrite_log();
    repo.write("a.rs", "keep\nfn ai() {x+1}\nhuman\n");
    repo.write("b.rs", "ai only\n");
    repo.commit("one");
    repo.note_ai("a.rs", vec![[2, 2]], "claude");
    repo.note_ai("b.rs", vec![[1, 1]], "claude");

    // Reformat the AI function, delete b.rs.
    repo.write("a.rs", "keep\nfn ai() {\n    x + 1\n}\nhuman\n");
    std::fs::remove_file(repo.path().join("b.rs")).unwrap();
    repo.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    let done = repo.run_post_rewrite();
    assert_eq!(done[0].dropped, vec![format!("b.rs: not in {}", repo.head())]);
    assert_eq!(
        summary(&repo.file_records(repo.head())),
        vec![("a.rs".into(), repo.blob("HEAD", "a.rs"), vec![[2, 4]], "claude".into())]
    );
}

#[test]
fn rebase_remaps_each_commit() {
    let repo = Repo::new();
    notes::configure(&repo.open()).unwrap();
    repo.install_rewrite_log();
    repo.write("a.rs", &numbered("base", 4));
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("a.rs", &format!("{}ai one\nai two\n", numbered("base", 4)));
    repo.commit("f1");
    repo.note_ai("a.rs", vec![[5, 6]], "claude");
    repo.write("b.rs", "copilot text\n");
    repo.commit("f2");
    repo.note_ai("b.rs", vec![[1, 1]], "copilot");

    repo.git(&["checkout", "-q", "main"]);
    repo.write("a.rs", &format!("top 1\ntop 2\ntop 3\n{}", numbered("base", 4)));
    repo.commit("main moves on");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["rebase", "-q", "main"]);
    let done = repo.run_post_rewrite();
    assert_eq!(done.len(), 2);

    let f2 = repo.head();
    let f1 = repo.rev("HEAD~1");
    assert_eq!(
        summary(&repo.file_records(f1)),
        vec![("a.rs".into(), repo.blob("HEAD~1", "a.rs"), vec![[8, 9]], "claude".into())]
    );
    assert_eq!(
        summary(&repo.file_records(f2)),
        vec![("b.rs".into(), repo.blob("HEAD", "b.rs"), vec![[1, 1]], "copilot".into())]
    );
}

#[test]
fn interactive_squash_unites_the_records() {
    let repo = Repo::new();
    notes::configure(&repo.open()).unwrap();
    repo.install_rewrite_log();
    repo.write("a.rs", &numbered("base", 3));
    repo.commit("base");
    repo.write("a.rs", &format!("{}ai one\n", numbered("base", 3)));
    let c1 = repo.commit("c1");
    repo.note_ai("a.rs", vec![[4, 4]], "claude");
    repo.write("a.rs", &format!("inserted\n{}ai one\nai two\n", numbered("base", 3)));
    let c2 = repo.commit("c2");
    repo.note_ai("a.rs", vec![[6, 6]], "claude");
    repo.write("b.rs", "cursor\n");
    let c3 = repo.commit("c3");
    repo.note_ai("b.rs", vec![[1, 1]], "cursor");

    // pick c1, squash c2, squash c3.
    repo.git_env(&["rebase", "-q", "-i", "HEAD~3"], &[("GIT_SEQUENCE_EDITOR", "sed -i -e '2,3s/^pick/squash/'")]);
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "2\n");
    // The hook ran twice: once for the amend of the first squash step (to an
    // intermediate commit), then for the whole rebase.
    let done = repo.run_post_rewrite();
    let head = repo.head();
    let last = done.iter().find(|d| d.commit == head).unwrap();
    assert!([c1, c2, c3].iter().all(|c| last.from.contains(c)), "{last:?}");
    assert_eq!(
        summary(&repo.file_records(head)),
        vec![
            ("a.rs".into(), repo.blob("HEAD", "a.rs"), vec![[5, 6]], "claude".into()),
            ("b.rs".into(), repo.blob("HEAD", "b.rs"), vec![[1, 1]], "cursor".into()),
        ]
    );
}

#[test]
fn cherry_pick_with_x_finds_its_source_and_remaps() {
    let repo = Repo::new();
    repo.write("a.rs", &numbered("base", 3));
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("a.rs", &format!("{}ai line\n", numbered("base", 3)));
    let source = repo.commit("ai change");
    repo.note_ai("a.rs", vec![[4, 4]], "claude");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("c.rs", "unrelated\n");
    repo.write("a.rs", &format!("head\n{}", numbered("base", 3)));
    repo.commit("main work");

    repo.git(&["cherry-pick", "-x", &source.to_string()]);
    let picked = repo.head();
    assert_eq!(find_source(&repo.open(), picked).unwrap(), Some(source));
    let done = follow_cherry_pick(&repo.open(), picked).unwrap().unwrap();
    assert_eq!(done.from, vec![source]);
    assert_eq!(
        summary(&repo.file_records(picked)),
        vec![("a.rs".into(), repo.blob("HEAD", "a.rs"), vec![[5, 5]], "claude".into())]
    );
}

#[test]
fn plain_cherry_pick_is_found_by_patch_id() {
    let repo = Repo::new();
    repo.write("a.rs", &numbered("base", 3));
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("b.rs", "other\n");
    let decoy = repo.commit("decoy with a note");
    repo.note_ai("b.rs", vec![[1, 1]], "copilot");
    repo.write("a.rs", &format!("{}ai line\n", numbered("base", 3)));
    let source = repo.commit("ai change");
    repo.note_ai("a.rs", vec![[4, 4]], "claude");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("a.rs", &format!("head\n{}", numbered("base", 3)));
    repo.commit("main work");

    repo.git(&["cherry-pick", &source.to_string()]);
    let picked = repo.head();
    let git = repo.open();
    assert_eq!(find_source(&git, picked).unwrap(), Some(source));
    assert_ne!(find_source(&git, picked).unwrap(), Some(decoy));
    follow_cherry_pick(&git, picked).unwrap().unwrap();
    assert_eq!(
        summary(&repo.file_records(picked)),
        vec![("a.rs".into(), repo.blob("HEAD", "a.rs"), vec![[5, 5]], "claude".into())]
    );
    // A commit that is no cherry-pick has no source.
    assert_eq!(find_source(&git, repo.rev("HEAD~1")).unwrap(), None);
}

/// A GitHub-style squash merge: the branch's commits stay reachable from a
/// remote-tracking ref; main got a commit of its own to the same file in
/// between, so no blob of the branch equals the squashed one.
fn squash_merged_repo() -> (Repo, Oid) {
    let repo = Repo::new();
    repo.write("a.rs", &numbered("base", 5));
    repo.write("b.rs", "b base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("a.rs", &format!("{}ai tail 1\nai tail 2\n", numbered("base", 5)));
    repo.commit("f1");
    repo.note_ai("a.rs", vec![[6, 7]], "claude");
    repo.write("a.rs", &format!("{}ai tail 1\nhuman edit\nai tail 3\n", numbered("base", 5)));
    repo.write("b.rs", "b base\nb by copilot\n");
    repo.commit("f2");
    repo.note_ai("a.rs", vec![[8, 8]], "claude");
    repo.note_ai("b.rs", vec![[2, 2]], "copilot");
    // The server's view of the branch.
    repo.git(&["update-ref", "refs/remotes/origin/feature", "feature"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("a.rs", &format!("main top\n{}", numbered("base", 5)));
    repo.commit("main work");
    repo.git(&["merge", "-q", "--squash", "feature"]);
    let squash = repo.commit("Feature (#1)");
    assert_eq!(read_note(&repo.open(), squash).unwrap(), None);
    (repo, squash)
}

#[test]
fn rebuild_recovers_a_squash_merge_from_the_branch_commits() {
    let (repo, squash) = squash_merged_repo();
    let config = RebuildConfig { sources: vec!["origin/feature".into()], ..RebuildConfig::default() };
    let done = rebuild(&repo.open(), "HEAD~1..HEAD", &config).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].commit, squash);
    assert_eq!(done[0].from.len(), 2);
    assert_eq!(
        summary(&repo.file_records(squash)),
        vec![
            // Lines 7-9: "ai tail 1", "human edit", "ai tail 3"; f1's tail 2
            // was replaced by a person, so it is not carried.
            ("a.rs".into(), repo.blob("HEAD", "a.rs"), vec![[7, 7], [9, 9]], "claude".into()),
            ("b.rs".into(), repo.blob("HEAD", "b.rs"), vec![[2, 2]], "copilot".into()),
        ]
    );
    // A second run finds nothing left to do.
    assert!(rebuild(&repo.open(), "HEAD~1..HEAD", &config).unwrap().is_empty());
}

#[test]
fn rebuild_uses_every_branch_by_default_and_all_notes_after_the_branch_is_gone() {
    let (repo, squash) = squash_merged_repo();
    let done = rebuild(&repo.open(), "HEAD", &RebuildConfig::default()).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(repo.file_records(squash).len(), 2);

    let (repo, squash) = squash_merged_repo();
    repo.git(&["branch", "-q", "-D", "feature"]);
    repo.git(&["update-ref", "-d", "refs/remotes/origin/feature"]);
    assert!(rebuild(&repo.open(), "HEAD", &RebuildConfig::default()).unwrap().is_empty());
    let config = RebuildConfig { all_notes: true, ..RebuildConfig::default() };
    let done = rebuild(&repo.open(), "HEAD", &config).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(summary(&repo.file_records(squash)).len(), 2);
}

#[test]
fn rebuild_copies_a_record_whose_blob_is_the_same_file_version() {
    let repo = Repo::new();
    repo.write("a.rs", "base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("a.rs", "base\nai\n");
    repo.commit("f1");
    repo.note_ai("a.rs", vec![[2, 2]], "claude");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--squash", "feature"]);
    let squash = repo.commit("squash");
    // The blob matches, so even a record covering lines older than the commit
    // is copied as it is.
    let done = rebuild(&repo.open(), "HEAD", &RebuildConfig::default()).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        summary(&repo.file_records(squash)),
        vec![("a.rs".into(), repo.blob("HEAD", "a.rs"), vec![[2, 2]], "claude".into())]
    );
}

#[test]
fn a_note_broken_by_hand_is_an_error_naming_commit_and_line() {
    let repo = Repo::new();
    repo.write("a.rs", "x\n");
    let c = repo.commit("one");
    repo.note_ai("a.rs", vec![[1, 1]], "claude");
    let shown = repo.git(&["notes", "--ref", "vouch", "show", &c.to_string()]);
    let edited = format!("{shown}{{\"v\":1,\"path\":\"a.rs\",\"ai\":[[1\n");
    repo.git(&["notes", "--ref", "vouch", "add", "-f", "-m", &edited, &c.to_string()]);

    let err = read_note(&repo.open(), c).unwrap_err();
    assert!(matches!(err, NoteError::Malformed { line: 2, commit, .. } if commit == c), "{err:?}");
    assert!(err.to_string().starts_with(&format!("malformed vouch note on commit {c}, line 2: not JSON")), "{err}");
    // Nothing is written over a note that cannot be read.
    assert!(write_note(&repo.open(), c, &[NoteRecord::NoAi]).is_err());
    let after = repo.git(&["notes", "--ref", "vouch", "show", &c.to_string()]);
    assert_eq!(after.trim_end(), edited.trim_end());
}
