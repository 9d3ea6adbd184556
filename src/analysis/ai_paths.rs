//! Which paths may hold AI-written lines according to history, so that the
//! language server runs `git blame` of an opened file (the costly part of
//! reading history evidence: one process per file) only when its history
//! has any AI evidence at all. (The gate, `vouch status` and the
//! post-commit hook take history from the range's lineage instead.)
//!
//! A path *may have AI history* when it was touched by a commit that history
//! evidence counts as AI (a trailer, aider's author suffix, a bot author; see
//! `store::history`), or touched by a commit that carries a vouch or git-ai
//! note (but not a vouch note that only attests that the commit added no AI
//! text), or named in a vouch note; and any path a commit added while it
//! deleted such a path (a rename, as blame follows it). The index errs on
//! the side of including a path: that costs one blame, while leaving one out
//! would hide committed AI text from the gate.
//!
//! The index is a cache (`<common git dir>/vouch/cache/ai-paths.json`),
//! brought up to date on every use: new commits since the commits it has
//! seen, changes to the notes refs since the versions it has read, and a
//! rebuild when the policy's bots change. A cache that cannot be read is
//! rebuilt; one that cannot be written is only a lost speed-up. A history
//! too long to index (more than [`MAX_COMMITS`] new commits) makes every
//! path count.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use anyhow::Context as _;
use git2::{Commit, ErrorCode, Oid, Repository, Sort};
use serde::{Deserialize, Serialize};

use crate::store::history::{self, GIT_AI_NOTES_REF};
use crate::store::notes::{NOTES_REF, NoteRecord};
use crate::store::tree_diff;

/// The cache format this code writes (2: notes that attest no AI text
/// seed no paths).
const VERSION: u32 = 2;

/// More new commits than this in one update: give up and count every path.
pub const MAX_COMMITS: usize = 200_000;

/// How many indexed tips the cache remembers (branches switched between).
const MAX_TIPS: usize = 32;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    version: u32,
    /// The policy's bots it was built with.
    bots: Vec<String>,
    /// Every path may have AI history (the history was too long to index).
    all: bool,
    /// Commits whose ancestry is indexed.
    tips: Vec<String>,
    /// The commit of each notes ref that was read.
    notes: BTreeMap<String, String>,
    /// Paths AI commits touched or notes name.
    seeds: BTreeSet<String>,
    /// For each commit that deleted some files and added others: both lists.
    moves: Vec<(Vec<String>, Vec<String>)>,
}

/// The paths that may have AI history.
#[derive(Debug, Clone)]
pub struct AiPaths {
    all: bool,
    paths: HashSet<String>,
}

impl AiPaths {
    /// Every path counts: blame them all.
    pub fn everything() -> AiPaths {
        AiPaths { all: true, paths: HashSet::new() }
    }

    /// No path counts: read no history.
    pub fn nothing() -> AiPaths {
        AiPaths { all: false, paths: HashSet::new() }
    }

    /// The index of `repo` for a policy listing `bots`, brought up to date.
    pub fn load(repo: &Repository, bots: &[String]) -> anyhow::Result<AiPaths> {
        let file = cache_file(repo);
        let mut bots: Vec<String> = bots.iter().map(|b| b.trim().to_ascii_lowercase()).collect();
        bots.sort();
        let mut cache = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Cache>(&bytes).ok())
            .filter(|c| c.version == VERSION && c.bots == bots)
            .unwrap_or_else(|| Cache { version: VERSION, bots: bots.clone(), ..Cache::default() });
        if update(repo, &mut cache, &bots)? {
            // Losing the cache only costs time: ignore a failure to write it.
            let _ = crate::store::write_atomic(&file, &serde_json::to_vec(&cache).unwrap_or_default());
        }
        Ok(AiPaths::from_cache(&cache))
    }

    fn from_cache(cache: &Cache) -> AiPaths {
        let mut paths: HashSet<String> = cache.seeds.iter().cloned().collect();
        // Follow moves until nothing changes: a move of a path that may have
        // AI history passes it on to the paths it added.
        loop {
            let mut grew = false;
            for (deleted, added) in &cache.moves {
                if deleted.iter().any(|d| paths.contains(d)) {
                    for a in added {
                        grew |= paths.insert(a.clone());
                    }
                }
            }
            if !grew {
                break;
            }
        }
        AiPaths { all: cache.all, paths }
    }

    /// Whether `path` may have AI-written lines in history.
    pub fn may_have_ai(&self, path: &str) -> bool {
        self.all || self.paths.contains(path)
    }
}

fn cache_file(repo: &Repository) -> PathBuf {
    repo.commondir().join("vouch").join("cache").join("ai-paths.json")
}

/// Bring `cache` up to date; whether anything changed.
fn update(repo: &Repository, cache: &mut Cache, bots: &[String]) -> anyhow::Result<bool> {
    let mut changed = false;
    // A noted commit is diffed for its note and again in the walk below:
    // once.
    let mut diffs = Diffs::default();
    for notes_ref in [NOTES_REF, GIT_AI_NOTES_REF] {
        changed |= update_notes(repo, cache, notes_ref, &mut diffs)?;
    }
    let head = match repo.head() {
        Ok(head) => head.peel_to_commit().context("cannot read the commit of HEAD")?.id(),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => return Ok(changed),
        Err(e) => return Err(e).context("cannot read HEAD"),
    };
    let hex = head.to_string();
    if cache.all || cache.tips.contains(&hex) {
        return Ok(changed);
    }
    let mut walk = repo.revwalk().context("cannot walk the history")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(head)?;
    for tip in &cache.tips {
        if let Ok(id) = Oid::from_str(tip)
            && repo.find_commit(id).is_ok()
        {
            walk.hide(id)?;
        }
    }
    let mut count = 0;
    for id in walk {
        let id = id.context("cannot walk the history")?;
        count += 1;
        if count > MAX_COMMITS {
            cache.all = true;
            cache.seeds.clear();
            cache.moves.clear();
            return Ok(true);
        }
        let commit = repo.find_commit(id).with_context(|| format!("cannot read commit {id}"))?;
        let declares = declares_ai(&commit, bots);
        // A merge's own changes come from its parents' commits, indexed on
        // their own; only a merge that declares AI needs its diff.
        if commit.parent_count() > 1 && !declares {
            continue;
        }
        let paths = diffs.of(repo, &commit)?;
        if declares {
            cache.seeds.extend(paths.touched.iter().cloned());
        }
        if !paths.deleted.is_empty() && !paths.added.is_empty() {
            cache.moves.push((paths.deleted.clone(), paths.added.clone()));
        }
    }
    cache.tips.retain(|t| t != &hex);
    cache.tips.push(hex);
    if cache.tips.len() > MAX_TIPS {
        cache.tips.remove(0);
    }
    Ok(true)
}

/// Whether `commit` as a whole says it is AI-written, as
/// `store::history` reads it: an AI trailer, aider's `(aider)` author
/// suffix, or a bot author.
fn declares_ai(commit: &Commit<'_>, bots: &[String]) -> bool {
    history::commit_ai_tool(commit, bots).is_some()
}

#[derive(Debug, Default)]
struct DiffPaths {
    touched: Vec<String>,
    deleted: Vec<String>,
    added: Vec<String>,
}

/// The paths `commit` changed against its first parent (every path of a
/// root commit), as libgit2's tree diff told to ignore submodules finds
/// them (a change of kind is a deletion and an addition; a submodule moved
/// to another commit is no change; a name that is not UTF-8 is none of
/// them), walked by [`tree_diff`], which skips the subtrees both share:
/// every commit of the history is diffed once, and libgit2's diff visits
/// every entry of both trees.
fn diff_paths(repo: &Repository, commit: &Commit<'_>) -> anyhow::Result<DiffPaths> {
    let tree = commit.tree().with_context(|| format!("cannot read the tree of {}", commit.id()))?;
    let parent = match commit.parent(0) {
        Ok(p) => Some(p.tree().with_context(|| format!("cannot read the tree of {}", p.id()))?),
        Err(_) => None,
    };
    let changes =
        tree_diff::changes(repo, parent.as_ref(), &tree).with_context(|| format!("cannot diff {}", commit.id()))?;
    let mut out = DiffPaths::default();
    for change in changes.changes {
        let gitlink = |side: Option<(Oid, i32)>| side.is_some_and(|(_, mode)| mode == GITLINK_MODE);
        if gitlink(change.old) && gitlink(change.new) {
            continue;
        }
        let retyped = change.deletes() && change.new.is_some();
        if change.new.is_none() || retyped {
            out.deleted.push(change.path.clone());
        }
        if change.old.is_none() || retyped {
            out.added.push(change.path.clone());
        }
        out.touched.push(change.path);
    }
    Ok(out)
}

/// The mode of a tree entry that is a submodule.
const GITLINK_MODE: i32 = 0o160000;

/// [`diff_paths`] of the commits one update diffed, by commit.
#[derive(Default)]
struct Diffs {
    done: std::collections::HashMap<Oid, std::rc::Rc<DiffPaths>>,
}

impl Diffs {
    fn of(&mut self, repo: &Repository, commit: &Commit<'_>) -> anyhow::Result<std::rc::Rc<DiffPaths>> {
        if let Some(paths) = self.done.get(&commit.id()) {
            return Ok(paths.clone());
        }
        let paths = std::rc::Rc::new(diff_paths(repo, commit)?);
        self.done.insert(commit.id(), paths.clone());
        Ok(paths)
    }
}

/// Read what changed in `notes_ref` since the cache last read it.
fn update_notes(repo: &Repository, cache: &mut Cache, notes_ref: &str, diffs: &mut Diffs) -> anyhow::Result<bool> {
    let tip = match repo.refname_to_id(notes_ref) {
        Ok(id) => Some(id),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {notes_ref}")),
    };
    let old = cache.notes.get(notes_ref).and_then(|hex| Oid::from_str(hex).ok());
    if tip == old {
        return Ok(false);
    }
    let tree_of = |id: Option<Oid>| -> Option<git2::Tree<'_>> { repo.find_commit(id?).ok()?.tree().ok() };
    let new_tree = match tip {
        Some(id) => Some(
            repo.find_commit(id)
                .and_then(|c| c.tree())
                .with_context(|| format!("{notes_ref} does not point to a notes commit"))?,
        ),
        None => None,
    };
    let changes = tree_diff::changes_between(repo, tree_of(old).as_ref(), new_tree.as_ref())
        .with_context(|| format!("cannot compare versions of {notes_ref}"))?;
    // Notes added or changed (what is gone names no path).
    // A name that is not UTF-8 is no commit's id, so no note.
    for (name, note) in changes.changes.into_iter().filter_map(|c| Some((c.path, c.new?.0))) {
        // Notes trees name each note by its commit's id, maybe fanned out
        // into directories (`ab/cdef…`).
        let Ok(commit_id) = Oid::from_str(&name.replace('/', "")) else { continue };
        let mut attests_no_ai = false;
        if notes_ref == NOTES_REF
            && let Ok(blob) = repo.find_blob(note)
        {
            let text = String::from_utf8_lossy(blob.content());
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            for line in &lines {
                let path = serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v.get("path").and_then(|p| p.as_str()).map(str::to_string));
                cache.seeds.extend(path);
            }
            // vouch's post-commit hook notes every commit; one that says
            // only that the commit added no AI text names no path to blame.
            attests_no_ai =
                !lines.is_empty() && lines.iter().all(|l| NoteRecord::parse_line(l) == Ok(NoteRecord::NoAi));
        }
        if attests_no_ai {
            continue;
        }
        if let Ok(commit) = repo.find_commit(commit_id) {
            cache.seeds.extend(diffs.of(repo, &commit)?.touched.iter().cloned());
        }
    }
    match tip {
        Some(id) => cache.notes.insert(notes_ref.to_string(), id.to_string()),
        None => cache.notes.remove(notes_ref),
    };
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::store::repo::tests::{git, git_repo};

    fn commit(dir: &Path, files: &[(&str, &str)], message: &str) {
        for (path, content) in files {
            let full = dir.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, content).unwrap();
        }
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", message]);
    }

    #[test]
    fn ai_commits_notes_renames_and_bots() {
        let dir = git_repo();
        let root = dir.path();
        commit(root, &[("human.rs", "fn h() {}\n"), ("old.rs", "fn o() {}\n")], "plain");
        let repo = Repository::open(root).unwrap();
        let paths = AiPaths::load(&repo, &[]).unwrap();
        assert!(!paths.may_have_ai("human.rs") && !paths.may_have_ai("old.rs"));

        commit(root, &[("old.rs", "fn o() { ai }\n")], "change\n\nCo-authored-by: Claude <noreply@anthropic.com>");
        let paths = AiPaths::load(&repo, &[]).unwrap();
        assert!(paths.may_have_ai("old.rs"));
        assert!(!paths.may_have_ai("human.rs"));

        // A rename passes it on.
        git(root, &["mv", "old.rs", "new.rs"]);
        git(root, &["commit", "-q", "-m", "move"]);
        assert!(AiPaths::load(&repo, &[]).unwrap().may_have_ai("new.rs"));

        // A note on a plain commit: its paths count, once the notes ref changes.
        commit(root, &[("noted.rs", "fn n() {}\n")], "plain again");
        assert!(!AiPaths::load(&repo, &[]).unwrap().may_have_ai("noted.rs"));
        let note = r#"{"v":1,"path":"named.rs","blob":"0000000000000000000000000000000000000001","ai":[[1,1]],"origin":{"tool":"x"},"evidence":"manual"}"#;
        git(root, &["notes", "--ref=vouch", "add", "-m", note, "HEAD"]);
        let paths = AiPaths::load(&repo, &[]).unwrap();
        assert!(paths.may_have_ai("noted.rs") && paths.may_have_ai("named.rs"));

        // A note that only attests no AI text (vouch's post-commit hook
        // notes every commit) makes nothing worth a blame.
        commit(root, &[("attested.rs", "fn a() {}\n")], "plain, attested");
        git(root, &["notes", "--ref=vouch", "add", "-m", r#"{"v":1,"attest":"no-ai"}"#, "HEAD"]);
        assert!(!AiPaths::load(&repo, &[]).unwrap().may_have_ai("attested.rs"));

        // The bots list is part of the index.
        commit(root, &[("bot.rs", "fn b() {}\n")], "by the bot");
        assert!(!AiPaths::load(&repo, &[]).unwrap().may_have_ai("bot.rs"));
        assert!(AiPaths::load(&repo, &["t@example.com".into()]).unwrap().may_have_ai("bot.rs"));
        assert!(!AiPaths::load(&repo, &[]).unwrap().may_have_ai("bot.rs"));

        // A damaged cache is rebuilt.
        std::fs::write(cache_file(&repo), "{not json").unwrap();
        let paths = AiPaths::load(&repo, &[]).unwrap();
        assert!(paths.may_have_ai("new.rs") && !paths.may_have_ai("human.rs"));
    }

    /// What the old code took from libgit2's tree diff, ignoring
    /// submodules: (touched, deleted, added), sorted.
    fn libgit2_paths(repo: &Repository, commit: &Commit<'_>) -> (Vec<String>, Vec<String>, Vec<String>) {
        let tree = commit.tree().unwrap();
        let parent = commit.parent(0).ok().map(|p| p.tree().unwrap());
        let mut opts = git2::DiffOptions::new();
        opts.ignore_submodules(true);
        let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut opts)).unwrap();
        let (mut touched, mut deleted, mut added) = (Vec::new(), Vec::new(), Vec::new());
        for delta in diff.deltas() {
            let old = delta.old_file().path().and_then(Path::to_str).map(str::to_string);
            let new = delta.new_file().path().and_then(Path::to_str).map(str::to_string);
            match delta.status() {
                git2::Delta::Deleted => deleted.extend(old.clone()),
                git2::Delta::Added => added.extend(new.clone()),
                _ => {}
            }
            touched.extend(new.or(old));
        }
        for list in [&mut touched, &mut deleted, &mut added] {
            list.sort();
        }
        // A change of kind is two deltas of one path; the paths touched are
        // a set to their one user.
        touched.dedup();
        (touched, deleted, added)
    }

    #[test]
    fn a_commits_paths_are_what_libgit2s_diff_ignoring_submodules_finds() {
        let dir = git_repo();
        let repo = Repository::open(dir.path()).unwrap();
        let (before, after) = crate::store::tree_diff::tests::trees_differing_every_way(&repo);
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let root = repo.commit(None, &sig, &sig, "before", &repo.find_tree(before).unwrap(), &[]).unwrap();
        let root = repo.find_commit(root).unwrap();
        let next = repo.commit(None, &sig, &sig, "after", &repo.find_tree(after).unwrap(), &[&root]).unwrap();
        for commit in [root, repo.find_commit(next).unwrap()] {
            let got = diff_paths(&repo, &commit).unwrap();
            let sorted = |mut v: Vec<String>| {
                v.sort();
                v
            };
            let got = (sorted(got.touched), sorted(got.deleted), sorted(got.added));
            assert_eq!(got, libgit2_paths(&repo, &commit), "commit {}", commit.summary().unwrap_or_default());
        }
    }
}
