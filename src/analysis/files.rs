//! Which files a command looks at, read through git: the files staged for
//! the next commit (from the index `git commit` will commit), the files a
//! commit changed, the files changed in the working tree, and the text of a
//! file version.
//!
//! Regular files count, and so do submodules (gitlinks): a change of the
//! commit a submodule points to is one unit to review
//! ([`crate::syntax::blob`]). Symbolic links hold no code to review.

use std::path::Path;

use anyhow::Context as _;
use git2::{Delta, DiffOptions, FileMode, Index, ObjectType, Oid, Repository, Tree};

use crate::syntax::Content;

/// A file version a command looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// Repository-relative, forward slashes.
    pub path: String,
    /// The blob of this version; for a submodule, the commit it points to.
    pub blob: Oid,
    /// Where git found it was renamed or copied from, if it was.
    pub from: Option<String>,
    /// A submodule (gitlink), not a file.
    pub submodule: bool,
}

/// The tree of HEAD; `None` on a branch with no commits yet.
pub fn head_tree(repo: &Repository) -> anyhow::Result<Option<Tree<'_>>> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_tree().context("cannot read the tree of HEAD")?)),
        Err(e) if matches!(e.code(), git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(e).context("cannot read HEAD"),
    }
}

/// A file, or a symbolic link: git stores a link as a blob of the path it
/// names, and a commit that replaces a file with a link (to a stub that
/// allows everything) changes what runs as a file's edit does. Its text is
/// that path; it is never followed.
fn is_file(mode: FileMode) -> bool {
    matches!(mode, FileMode::Blob | FileMode::BlobExecutable | FileMode::Link)
}

/// The added, modified, renamed and copied files of a diff, with renames
/// found (as `git status` finds them).
fn changed_files(diff: &mut git2::Diff<'_>) -> anyhow::Result<Vec<Changed>> {
    // A rename deletes a path (and adds one, or rewrites one it lands on).
    let has_deletes = diff.deltas().any(|d| d.status() == Delta::Deleted);
    if has_deletes {
        crate::store::tree_diff::find_renames(diff).context("cannot look for renamed files")?;
    }
    let mut out = Vec::new();
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let new = delta.new_file();
        let submodule = new.mode() == FileMode::Commit;
        if !is_file(new.mode()) && !submodule {
            continue;
        }
        let Some(path) = new.path().and_then(Path::to_str) else { continue };
        let from = match delta.status() {
            Delta::Renamed | Delta::Copied => delta.old_file().path().and_then(Path::to_str).map(str::to_string),
            _ => None,
        };
        out.push(Changed { path: path.to_string(), blob: new.id(), from, submodule });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The files `index` holds that differ from HEAD: what the next commit
/// adds or changes; and the paths HEAD has that the index does not hold
/// (found before renames are looked for, sorted), from the same diff.
/// Conflicted paths are an error (git refuses to commit them anyway), and
/// so is a change of a path that is not UTF-8 ([`refuse_not_utf8`]).
pub fn staged(repo: &Repository, index: &mut Index) -> anyhow::Result<(Vec<Changed>, Vec<String>)> {
    if index.has_conflicts() {
        anyhow::bail!("the index has unresolved merge conflicts; resolve them before committing");
    }
    let head = head_tree(repo)?;
    if let Some(found) = staged_quickly(repo, index, head.as_ref()) {
        return Ok(found);
    }
    // Gitlinks are compared by the commit ids the tree and the index hold;
    // no submodule is opened.
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(false);
    let mut diff = repo
        .diff_tree_to_index(head.as_ref(), Some(index), Some(&mut opts))
        .context("cannot compare the index with HEAD")?;
    refuse_not_utf8(&diff)?;
    let mut deleted: Vec<String> = diff
        .deltas()
        .filter(|d| d.status() == Delta::Deleted)
        .filter_map(|d| d.old_file().path().and_then(Path::to_str).map(str::to_string))
        .collect();
    deleted.sort();
    Ok((changed_files(&mut diff)?, deleted))
}

/// Refuses a change of a path that is not UTF-8: vouch cannot follow it,
/// and `vouch verify` fails every range that touches one.
fn refuse_not_utf8(diff: &git2::Diff<'_>) -> anyhow::Result<()> {
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(path) = file.path_bytes()
                && std::str::from_utf8(path).is_err()
            {
                anyhow::bail!(
                    "cannot commit {}: its name is not UTF-8, which vouch cannot follow (`vouch verify` fails \
                     every change of such a name); rename it to a UTF-8 name",
                    crate::display::lossless_text(path)
                );
            }
        }
    }
    Ok(())
}

/// [`staged`] without libgit2's diff of HEAD with the index, which visits
/// every entry of both (about 3 ms at 10,000 files): the index's tree is
/// built (from the index's cache of unchanged subtrees, as `git commit`
/// builds it) into memory only, and compared with HEAD's, skipping the
/// subtrees both share. `None` when that cannot tell: the index deletes a
/// path (renames are looked for then, which needs libgit2's diff), or its
/// tree cannot be built here, or it changes a name that is not UTF-8.
fn staged_quickly(
    repo: &Repository,
    index: &mut Index,
    head: Option<&Tree<'_>>,
) -> Option<(Vec<Changed>, Vec<String>)> {
    // A handle of its own, whose new objects stay in memory: nothing is
    // written to the repository.
    let scratch = Repository::open(repo.path()).ok()?;
    scratch.odb().ok()?.add_new_mempack_backend(1000).ok()?;
    let tree = scratch.find_tree(index.write_tree_to(&scratch).ok()?).ok()?;
    let head = match head {
        Some(head) => Some(scratch.find_tree(head.id()).ok()?),
        None => None,
    };
    let changes = crate::store::tree_diff::changes(&scratch, head.as_ref(), &tree).ok()?;
    if !changes.not_utf8.is_empty() || changes.changes.iter().any(crate::store::tree_diff::Change::deletes) {
        return None;
    }
    Some((leaves(changes.changes).0, Vec::new()))
}

/// The added and changed files and submodules of `changes` (which delete
/// nothing), as [`committed_both`] gives them.
fn leaves(changes: Vec<crate::store::tree_diff::Change>) -> (Vec<Changed>, Vec<crate::store::derive::Changed>) {
    let mut files = Vec::new();
    let mut raw = Vec::new();
    for change in changes {
        let Some((new, mode)) = change.new else { continue };
        let submodule = mode == i32::from(FileMode::Commit);
        let file = [FileMode::Blob, FileMode::BlobExecutable, FileMode::Link].map(i32::from).contains(&mode);
        if !submodule && !file {
            continue;
        }
        let old = change.base();
        files.push(Changed { path: change.path.clone(), blob: new, from: None, submodule });
        raw.push(crate::store::derive::Changed { path: change.path, old, new, gitlink: submodule, from: None });
    }
    (files, raw)
}

/// The files `commit` added or changed against its first parent (all of
/// them for a root commit).
pub fn committed(repo: &Repository, commit: &git2::Commit<'_>) -> anyhow::Result<Vec<Changed>> {
    Ok(committed_both(repo, commit)?.0)
}

/// [`committed`], and the same files as [`crate::store::derive`] reads
/// them (each against the parent's version at the same path: renames not
/// looked for), from one diff of the commit.
pub fn committed_both(
    repo: &Repository,
    commit: &git2::Commit<'_>,
) -> anyhow::Result<(Vec<Changed>, Vec<crate::store::derive::Changed>)> {
    let tree = commit.tree().with_context(|| format!("cannot read the tree of {}", commit.id()))?;
    let parent = match commit.parent(0) {
        Ok(p) => Some(p.tree().with_context(|| format!("cannot read the tree of {}", p.id()))?),
        Err(_) => None,
    };
    // The walk skips what both trees share; libgit2's diff (which visits
    // every entry) is needed only to look for renames, which pair an added
    // file with a deleted one.
    // A name that is not UTF-8 is none of them (as libgit2's diff below
    // leaves it out): verify fails every range that touches one.
    let changes = crate::store::tree_diff::changes(repo, parent.as_ref(), &tree)
        .with_context(|| format!("cannot diff {}", commit.id()))?
        .changes;
    if !changes.iter().any(crate::store::tree_diff::Change::deletes) {
        return Ok(leaves(changes));
    }
    diffed(repo, parent.as_ref(), &tree, commit.id())
}

/// [`committed_both`] through libgit2's diff of the two trees, renames
/// looked for.
fn diffed(
    repo: &Repository,
    parent: Option<&Tree<'_>>,
    tree: &Tree<'_>,
    id: Oid,
) -> anyhow::Result<(Vec<Changed>, Vec<crate::store::derive::Changed>)> {
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(false);
    let mut diff =
        repo.diff_tree_to_tree(parent, Some(tree), Some(&mut opts)).with_context(|| format!("cannot diff {id}"))?;
    // Read before renames are looked for, which rewrites the deltas.
    let mut raw = Vec::new();
    for delta in diff.deltas() {
        let new = delta.new_file();
        let gitlink = new.mode() == FileMode::Commit;
        if new.id().is_zero() || !(gitlink || is_file(new.mode())) {
            continue;
        }
        let Some(path) = new.path().and_then(Path::to_str) else { continue };
        let old = (!delta.old_file().id().is_zero()).then(|| delta.old_file().id());
        raw.push(crate::store::derive::Changed { path: path.to_string(), old, new: new.id(), gitlink, from: None });
    }
    let changed = changed_files(&mut diff)?;
    // The renames found: the sources' records of the old path are the
    // renamed file's too.
    for r in raw.iter_mut() {
        r.from = changed.iter().find(|c| c.path == r.path).and_then(|c| c.from.clone());
    }
    Ok((changed, raw))
}

/// What the working tree changes against HEAD, from one status of the
/// working tree: the tracked regular files whose working-tree content
/// differs from HEAD (staged or not), by path, and the paths HEAD has that
/// the working tree no longer has, sorted (what [`deleted_by_diff`] finds,
/// without a second scan of the working tree).
pub fn worktree_status(repo: &Repository) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let root = crate::store::repo::worktree_root(repo)?.to_path_buf();
    let mut opts = git2::StatusOptions::new();
    // Submodules included, as the diff includes them (a status excludes
    // a path that is a submodule everywhere, which it can only be deleted
    // as); a path the working tree holds a submodule at is not a regular
    // file, so none of them is a changed file.
    opts.include_untracked(false).include_ignored(false).exclude_submodules(false).renames_head_to_index(false);
    let statuses = repo.statuses(Some(&mut opts)).context("cannot read the status of the working tree")?;
    // The statuses whose deletions read the same as in the diff of HEAD
    // with the working tree: a status diffs HEAD with the index and the
    // index with the working tree, as that diff does before it merges the
    // two, so a path is deleted when the index lost it, or when the
    // working tree lost a path the index did not add. A type change, a
    // conflict or an unreadable file reads differently in the two (a
    // status reports a type change where the diff reports a deletion and
    // an addition): then the diff says.
    let plain = git2::Status::INDEX_NEW
        | git2::Status::INDEX_MODIFIED
        | git2::Status::INDEX_DELETED
        | git2::Status::WT_MODIFIED
        | git2::Status::WT_DELETED;
    let mut all_plain = true;
    let mut changed = Vec::new();
    let mut deleted = Vec::new();
    for entry in statuses.iter() {
        let status = entry.status();
        all_plain &= plain.contains(status);
        let Some(path) = entry.path() else { continue };
        if status.is_index_deleted() || (status.is_wt_deleted() && !status.is_index_new()) {
            deleted.push(path.to_string());
        }
        if status.is_wt_deleted() || (status.is_index_deleted() && !status.is_wt_new()) {
            continue;
        }
        let kind = std::fs::symlink_metadata(root.join(path)).map(|m| m.file_type());
        if kind.is_ok_and(|k| k.is_file() || k.is_symlink()) {
            changed.push(path.to_string());
        }
    }
    changed.sort();
    changed.dedup();
    if !all_plain {
        deleted = deleted_by_diff(repo)?;
    }
    deleted.sort();
    Ok((changed, deleted))
}

/// Paths HEAD has that the working tree no longer has, from libgit2's diff
/// of HEAD with the working tree (a type change is a deletion there).
pub fn deleted_by_diff(repo: &Repository) -> anyhow::Result<Vec<String>> {
    let Some(head) = head_tree(repo)? else { return Ok(Vec::new()) };
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(false);
    let diff = repo
        .diff_tree_to_workdir_with_index(Some(&head), Some(&mut opts))
        .context("cannot compare HEAD with what the next commit holds")?;
    let mut out: Vec<String> = diff
        .deltas()
        .filter(|d| d.status() == Delta::Deleted)
        .filter_map(|d| d.old_file().path().and_then(Path::to_str).map(str::to_string))
        .collect();
    out.sort();
    Ok(out)
}

/// The text of `blob`; `None` when it is not UTF-8.
pub fn blob_text(repo: &Repository, blob: Oid) -> anyhow::Result<Option<String>> {
    let blob = repo.find_blob(blob).with_context(|| format!("cannot read blob {blob}"))?;
    Ok(String::from_utf8(blob.content().to_vec()).ok())
}

/// The content of `blob`: text, or bytes that are not UTF-8.
pub fn blob_content(repo: &Repository, blob: Oid) -> anyhow::Result<Content> {
    let blob = repo.find_blob(blob).with_context(|| format!("cannot read blob {blob}"))?;
    Ok(Content::of_blob(blob.content().to_vec()))
}

/// The content of a changed path: its blob's, or the commit id of a
/// submodule.
pub fn content(repo: &Repository, changed: &Changed) -> anyhow::Result<Content> {
    if changed.submodule {
        return Ok(Content::Submodule(changed.blob.to_string()));
    }
    blob_content(repo, changed.blob)
}

/// What the working tree holds at `path` (relative to `root`): a regular
/// file's content as git would store it (after its end-of-line conversion,
/// see [`crate::store::attributes`]) with the blob id it would get, or a
/// submodule's checked-out commit (or the index's, when it is not checked
/// out); `None` for anything else (a symbolic link, nothing).
pub fn worktree_content(repo: &Repository, root: &Path, path: &str) -> anyhow::Result<Option<(Oid, Content)>> {
    let full = root.join(path);
    let meta = std::fs::symlink_metadata(&full).ok();
    // A symbolic link as git stores it: the path it names, never followed.
    if meta.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
        let bytes = crate::store::repo::link_target(&full).with_context(|| format!("cannot read the link {path}"))?;
        let blob = Oid::hash_object(ObjectType::Blob, &bytes)?;
        return Ok(Some((blob, Content::of_blob(bytes))));
    }
    if meta.as_ref().is_some_and(|m| m.file_type().is_file()) {
        let bytes = std::fs::read(&full).with_context(|| format!("cannot read {path}"))?;
        let bytes = crate::store::attributes::to_blob(repo, path, &bytes).into_owned();
        let blob = Oid::hash_object(ObjectType::Blob, &bytes)?;
        return Ok(Some((blob, Content::of_blob(bytes))));
    }
    Ok(worktree_gitlink(repo, path).map(|commit| (commit, Content::Submodule(commit.to_string()))))
}

/// The commit of the submodule at `path`: checked out in the working tree,
/// else as the index records it; `None` when `path` is no submodule.
pub fn worktree_gitlink(repo: &Repository, path: &str) -> Option<Oid> {
    let index = crate::store::repo::current_index(repo).ok()?;
    let entry = index.get_path(Path::new(path), 0)?;
    if entry.mode != u32::from(FileMode::Commit) {
        return None;
    }
    let checked_out = repo.find_submodule(path).ok().and_then(|s| s.workdir_id());
    Some(checked_out.unwrap_or(entry.id))
}

/// The blob of `path` in `tree`, when it is a regular file there.
pub fn tree_blob(tree: &Tree<'_>, path: &str) -> Option<Oid> {
    let entry = tree.get_path(Path::new(path)).ok()?;
    let mode = entry.filemode();
    let file = mode == i32::from(FileMode::Blob) || mode == i32::from(FileMode::BlobExecutable);
    (entry.kind() == Some(ObjectType::Blob) && file).then(|| entry.id())
}

/// The blob of `path` in `index` (stage 0), when it is a regular file there.
pub fn index_blob(index: &Index, path: &str) -> Option<Oid> {
    let entry = index.get_path(Path::new(path), 0)?;
    let mode = entry.mode;
    (mode == u32::from(FileMode::Blob) || mode == u32::from(FileMode::BlobExecutable)).then_some(entry.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::{git, git_repo};

    /// The deletions read from the one status of the working tree are the
    /// diff of HEAD with the working tree's, in every way a path can go.
    #[test]
    fn worktree_deletions_are_the_diffs() {
        let dir = git_repo();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "ignored/\n").unwrap();
        std::fs::create_dir_all(root.join("ignored")).unwrap();
        std::fs::create_dir_all(root.join("dir")).unwrap();
        let names =
            ["wt.rs", "index.rs", "both.rs", "moved.rs", "mv_wt.rs", "staged_then_gone.rs", "kept.rs", "typed.rs"];
        for name in names {
            std::fs::write(root.join(name), format!("fn {}() {{ a body long enough }}\n", name.len())).unwrap();
        }
        std::fs::write(root.join("ignored/tracked.rs"), "fn t() {}\n").unwrap();
        std::fs::write(root.join("dir/inner.rs"), "fn i() {}\n").unwrap();
        std::fs::write(root.join("became_dir"), "x\n").unwrap();
        git(root, &["add", "."]);
        git(root, &["add", "-f", "ignored/tracked.rs"]);
        git(root, &["commit", "-q", "-m", "one"]);
        let repo = Repository::open(root).unwrap();
        let check = |want: &[&str]| {
            let (_, deleted) = worktree_status(&repo).unwrap();
            assert_eq!(deleted_by_diff(&repo).unwrap(), want, "the diff");
            assert_eq!(deleted, want, "the status");
        };
        check(&[]);

        // Deleted in the working tree only, from the index only (the file
        // stays, untracked), from both, renamed in the index, renamed in the
        // working tree only, inside an ignored directory, changed in the
        // index then deleted from the working tree, added then deleted from
        // the working tree (HEAD never had it), a whole directory.
        std::fs::remove_file(root.join("wt.rs")).unwrap();
        git(root, &["rm", "-q", "--cached", "index.rs"]);
        git(root, &["rm", "-q", "both.rs"]);
        git(root, &["mv", "moved.rs", "renamed.rs"]);
        std::fs::rename(root.join("mv_wt.rs"), root.join("mv_wt2.rs")).unwrap();
        std::fs::remove_file(root.join("ignored/tracked.rs")).unwrap();
        std::fs::write(root.join("staged_then_gone.rs"), "fn s() { changed }\n").unwrap();
        git(root, &["add", "staged_then_gone.rs"]);
        std::fs::remove_file(root.join("staged_then_gone.rs")).unwrap();
        std::fs::write(root.join("new.rs"), "fn n() {}\n").unwrap();
        git(root, &["add", "new.rs"]);
        std::fs::remove_file(root.join("new.rs")).unwrap();
        std::fs::remove_dir_all(root.join("dir")).unwrap();
        let plain = [
            "both.rs",
            "dir/inner.rs",
            "ignored/tracked.rs",
            "index.rs",
            "moved.rs",
            "mv_wt.rs",
            "staged_then_gone.rs",
            "wt.rs",
        ];
        check(&plain);

        // A type change (the diff gives a deletion and an addition): a
        // file become a symbolic link, then a directory.
        std::fs::remove_file(root.join("typed.rs")).unwrap();
        std::os::unix::fs::symlink("kept.rs", root.join("typed.rs")).unwrap();
        let mut typed: Vec<&str> = plain.to_vec();
        typed.push("typed.rs");
        typed.sort();
        check(&typed);
        std::fs::remove_file(root.join("became_dir")).unwrap();
        std::fs::create_dir_all(root.join("became_dir")).unwrap();
        std::fs::write(root.join("became_dir/x"), "x\n").unwrap();
        typed.insert(0, "became_dir");
        check(&typed);
        git(root, &["add", "-A"]);
        let (_, deleted) = worktree_status(&repo).unwrap();
        assert_eq!(deleted, deleted_by_diff(&repo).unwrap());
        assert!(deleted.contains(&"typed.rs".to_string()), "{deleted:?}");

        // Submodules (gitlinks): not checked out, checked out as empty
        // directories, one dropped from the index.
        git(root, &["commit", "-q", "-m", "two"]);
        let head = repo.head().unwrap().peel_to_commit().unwrap().id().to_string();
        for sub in ["sub_a", "sub_b"] {
            git(root, &["update-index", "--add", "--cacheinfo", &format!("160000,{head},{sub}")]);
        }
        git(root, &["commit", "-q", "-m", "three"]);
        // Not checked out: their directories are missing.
        check(&["sub_a", "sub_b"]);
        std::fs::create_dir_all(root.join("sub_a")).unwrap();
        std::fs::create_dir_all(root.join("sub_b")).unwrap();
        check(&[]);
        // A submodule is never a changed file, even one whose commit the
        // index changes.
        git(root, &["update-index", "--cacheinfo", &format!("160000,{},sub_b", "1".repeat(40))]);
        std::fs::write(root.join("kept.rs"), "fn kept() { changed }\n").unwrap();
        check(&[]);
        assert_eq!(worktree_status(&repo).unwrap().0, vec!["kept.rs"]);
        git(root, &["reset", "-q", "--hard"]);
        std::fs::create_dir_all(root.join("sub_a")).unwrap();
        std::fs::create_dir_all(root.join("sub_b")).unwrap();
        git(root, &["rm", "-q", "--cached", "sub_a"]);
        let (_, deleted) = worktree_status(&repo).unwrap();
        assert_eq!(deleted, deleted_by_diff(&repo).unwrap());
        assert!(deleted.contains(&"sub_a".to_string()), "{deleted:?}");
        git(root, &["reset", "-q", "--hard"]);

        // A conflict.
        git(root, &["checkout", "-q", "-b", "other"]);
        std::fs::write(root.join("kept.rs"), "fn other() {}\n").unwrap();
        git(root, &["commit", "-q", "-am", "other"]);
        git(root, &["checkout", "-q", "main"]);
        git(root, &["rm", "-q", "kept.rs"]);
        git(root, &["commit", "-q", "-m", "gone"]);
        let merge =
            std::process::Command::new("git").args(["merge", "-q", "other"]).current_dir(root).output().unwrap();
        assert!(!merge.status.success(), "the merge conflicts");
        let (_, deleted) = worktree_status(&repo).unwrap();
        assert_eq!(deleted, deleted_by_diff(&repo).unwrap());
    }

    #[test]
    fn staged_and_committed_files() {
        let dir = git_repo();
        let root = dir.path();
        let repo = Repository::open(root).unwrap();
        std::fs::write(root.join("a.rs"), "fn a() {}\n").unwrap();
        git(root, &["add", "a.rs"]);
        // Before the first commit everything staged is new.
        let mut index = repo.index().unwrap();
        let (got, deleted) = staged(&repo, &mut index).unwrap();
        let got: Vec<String> = got.into_iter().map(|c| c.path).collect();
        assert_eq!(got, vec!["a.rs"]);
        assert!(deleted.is_empty(), "{deleted:?}");
        git(root, &["commit", "-q", "-m", "one"]);

        let moved = "fn a() {\n    println!(\"a long enough body for rename detection\");\n}\n";
        std::fs::write(root.join("a.rs"), moved).unwrap();
        git(root, &["commit", "-q", "-am", "two"]);
        git(root, &["mv", "a.rs", "b.rs"]);
        std::fs::write(root.join("c.rs"), "fn c() {}\n").unwrap();
        std::os::unix::fs::symlink("c.rs", root.join("link.rs")).unwrap();
        git(root, &["add", "c.rs", "link.rs"]);
        std::fs::write(root.join("c.rs"), "fn c() { changed }\n").unwrap();
        let mut index = repo.index().unwrap();
        index.read(true).unwrap();
        let (got, deleted) = staged(&repo, &mut index).unwrap();
        // A link is a file whose text is the path it names.
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[2].path, "link.rs");
        assert_eq!(blob_text(&repo, got[2].blob).unwrap().as_deref(), Some("c.rs"));
        // The renamed file's old path, as the diff gives it before renames
        // are looked for (`changes::staged` leaves it out).
        assert_eq!(deleted, vec!["a.rs"]);
        assert_eq!((got[0].path.as_str(), got[0].from.as_deref()), ("b.rs", Some("a.rs")));
        assert_eq!(got[1].path, "c.rs");
        // The staged blob, not the working tree's.
        assert_eq!(blob_text(&repo, got[1].blob).unwrap().as_deref(), Some("fn c() {}\n"));
        assert_eq!(worktree_status(&repo).unwrap().0, vec!["b.rs", "c.rs", "link.rs"]);

        // A rename: left to libgit2's diff, which finds it.
        assert!(staged_quickly(&repo, &mut index, head_tree(&repo).unwrap().as_ref()).is_none());
        git(root, &["commit", "-q", "-m", "three"]);
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let got: Vec<(String, Option<String>)> =
            committed(&repo, &head).unwrap().into_iter().map(|c| (c.path, c.from)).collect();
        let link = ("link.rs".to_string(), None);
        assert_eq!(got, vec![("b.rs".to_string(), Some("a.rs".to_string())), ("c.rs".to_string(), None), link]);
        // The same diff read as derive reads it: renames not looked for, so
        // the renamed file has no parent version at its path.
        let (both, raw) = committed_both(&repo, &head).unwrap();
        assert_eq!(both, committed(&repo, &head).unwrap());
        let raw: Vec<(String, Option<Oid>)> = raw.into_iter().map(|c| (c.path, c.old)).collect();
        assert_eq!(raw, vec![("b.rs".to_string(), None), ("c.rs".to_string(), None), ("link.rs".to_string(), None)]);
        // A changed file: against the parent's version at its path.
        let two = head.parent(0).unwrap();
        let (_, raw) = committed_both(&repo, &two).unwrap();
        let one = two.parent(0).unwrap().tree().unwrap();
        assert_eq!(raw.len(), 1);
        assert_eq!((raw[0].path.as_str(), raw[0].old), ("a.rs", tree_blob(&one, "a.rs")));

        // A commit that deletes nothing skips libgit2's diff, which visits
        // every entry: it finds the same, new files, changed files and a
        // changed mode, nested or not.
        std::fs::create_dir_all(root.join("d/e")).unwrap();
        std::fs::write(root.join("d/e/f.rs"), "fn f() {}\n").unwrap();
        std::fs::write(root.join("c.rs"), "fn c() { again }\n").unwrap();
        git(root, &["add", "-A"]);
        git(root, &["update-index", "--chmod=+x", "b.rs"]);
        // Staged, before the commit: what libgit2's diff of HEAD with the
        // index finds, and no object is written.
        let objects = || {
            let out = std::process::Command::new("git").args(["count-objects"]).current_dir(root).output().unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        let before = objects();
        let mut index = repo.index().unwrap();
        index.read(true).unwrap();
        let head = head_tree(&repo).unwrap();
        let quick = staged_quickly(&repo, &mut index, head.as_ref()).expect("nothing deleted");
        assert_eq!(objects(), before, "the index's tree stays in memory");
        let mut opts = DiffOptions::new();
        opts.ignore_submodules(false);
        let mut diff = repo.diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts)).unwrap();
        assert_eq!(quick.0, changed_files(&mut diff).unwrap());
        assert_eq!(staged(&repo, &mut index).unwrap(), quick);
        git(root, &["commit", "-q", "-m", "four"]);
        let four = repo.head().unwrap().peel_to_commit().unwrap();
        let fast = committed_both(&repo, &four).unwrap();
        let slow =
            diffed(&repo, Some(&four.parent(0).unwrap().tree().unwrap()), &four.tree().unwrap(), four.id()).unwrap();
        assert_eq!(fast, slow);
        let paths: Vec<&str> = fast.0.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["b.rs", "c.rs", "d/e/f.rs"]);
    }
}
