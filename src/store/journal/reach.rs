//! Keeping the blobs that live records name reachable, so that `git gc`
//! never prunes them: a tree of those blobs under one ref per worktree,
//! `refs/vouch/journal/main` or `refs/vouch/journal/worktrees/<name>`.
//!
//! The tree fans out by the first two hex digits of the blob id
//! (`ab/cdef…`), like `.git/objects`, so adding a blob rewrites two small
//! trees. A ref may point at a tree: `git gc` keeps it and its blobs, and
//! `git log --all` ignores it. Callers hold the journal lock.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::time::{Duration, Instant};

use git2::{ErrorCode, Oid, Repository, Tree};

use super::segment::Flush;

const BLOB_MODE: i32 = 0o100644;
const TREE_MODE: i32 = 0o040000;

/// The ref that keeps this worktree's journal blobs.
pub(super) fn ref_name(repo: &Repository) -> String {
    if !repo.is_worktree() {
        return "refs/vouch/journal/main".to_string();
    }
    let name = repo.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let safe = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let component = if safe { name } else { format!("x{}", crate::fingerprint::hex(name.as_bytes())) };
    format!("refs/vouch/journal/worktrees/{component}")
}

/// What [`keep`] found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Kept {
    Done,
    /// The ref points at something unreadable: rebuild it with [`set`].
    Broken,
}

/// Add `blob` to the tree under `refname`.
pub(super) fn keep(repo: &Repository, refname: &str, blob: Oid) -> Result<Kept, git2::Error> {
    let root = match repo.find_reference(refname) {
        Ok(r) => match r.peel_to_tree() {
            Ok(tree) => Some(tree),
            Err(_) => return Ok(Kept::Broken),
        },
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e),
    };
    let hex = blob.to_string();
    let (dir, file) = hex.split_at(2);
    let sub = match root.as_ref().and_then(|t| t.get_name(dir).map(|e| e.id())) {
        Some(id) => match repo.find_tree(id) {
            Ok(tree) => Some(tree),
            Err(_) => return Ok(Kept::Broken),
        },
        None => None,
    };
    if sub.as_ref().is_some_and(|t| t.get_name(file).is_some()) {
        return Ok(Kept::Done);
    }
    let mut sub_builder = repo.treebuilder(sub.as_ref())?;
    sub_builder.insert(file, blob, BLOB_MODE)?;
    let sub_id = sub_builder.write()?;
    let mut root_builder = repo.treebuilder(root.as_ref())?;
    root_builder.insert(dir, sub_id, TREE_MODE)?;
    let root_id = root_builder.write()?;
    update_ref(repo, refname, || repo.reference(refname, root_id, true, "vouch: keep journal blobs").map(drop))?;
    Ok(Kept::Done)
}

/// Whether `refname` is missing or points at something other than a
/// readable tree: then only [`set`] makes it keep the blobs again.
pub(super) fn is_broken(repo: &Repository, refname: &str) -> bool {
    repo.find_reference(refname).and_then(|r| r.peel_to_tree()).is_err()
}

/// Make the tree under `refname` hold exactly `blobs` (delete the ref when
/// there are none).
pub(super) fn set(repo: &Repository, refname: &str, blobs: &BTreeSet<Oid>) -> Result<(), git2::Error> {
    if blobs.is_empty() {
        return update_ref(repo, refname, || match repo.find_reference(refname) {
            Ok(mut r) => r.delete(),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e),
        });
    }
    let mut root = repo.treebuilder(None)?;
    let mut group: Option<(String, git2::TreeBuilder<'_>)> = None;
    // Oids sort by their bytes, hence by their hex: each prefix is one run.
    for blob in blobs {
        let hex = blob.to_string();
        let (dir, file) = hex.split_at(2);
        if group.as_ref().is_none_or(|(d, _)| d != dir) {
            if let Some((d, builder)) = group.take() {
                root.insert(&d, builder.write()?, TREE_MODE)?;
            }
            group = Some((dir.to_string(), repo.treebuilder(None)?));
        }
        if let Some((_, builder)) = group.as_mut() {
            builder.insert(file, *blob, BLOB_MODE)?;
        }
    }
    if let Some((d, builder)) = group {
        root.insert(&d, builder.write()?, TREE_MODE)?;
    }
    let root_id = root.write()?;
    update_ref(repo, refname, || repo.reference(refname, root_id, true, "vouch: journal compacted").map(drop))
}

/// How long a ref lock file may stand before it is taken for the leftover of
/// a crash. git's own ref updates hold one for milliseconds.
const STALE_LOCK: Duration = Duration::from_secs(1);

/// Run `update`, a change to `refname`, waiting out a lock held by git
/// (`git pack-refs` takes ref locks briefly) and removing a lock file that a
/// killed process left behind. Only vouch updates this ref, under the
/// journal lock, so a lock file that stays is such a leftover.
fn update_ref(
    repo: &Repository,
    refname: &str,
    mut update: impl FnMut() -> Result<(), git2::Error>,
) -> Result<(), git2::Error> {
    let locks = crate::store::repo::ref_locks(repo, refname);
    let deadline = Instant::now() + 3 * STALE_LOCK;
    loop {
        match update() {
            Err(e) if e.code() == ErrorCode::Locked && Instant::now() < deadline => {
                for lock in &locks {
                    if crate::store::repo::lock_age(lock).is_some_and(|age| age >= STALE_LOCK) {
                        let _ = fs::remove_file(lock);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            result => return result,
        }
    }
}

/// The blobs the tree under `refname` holds.
pub(super) fn blobs(repo: &Repository, refname: &str) -> Result<BTreeSet<Oid>, git2::Error> {
    let mut out = BTreeSet::new();
    let root: Tree<'_> = match repo.find_reference(refname) {
        Ok(r) => r.peel_to_tree()?,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in root.iter() {
        let sub = repo.find_tree(entry.id())?;
        out.extend(sub.iter().map(|e| e.id()));
    }
    Ok(out)
}

/// Flush a freshly written loose object to disk, so that a record naming it
/// never outlives it; with [`Flush::Batch`], only write it out: the flush
/// that makes the record durable makes it durable first. Packed objects
/// (and objects in alternates) are left alone: they were durable before.
pub(super) fn sync_loose_object(repo: &Repository, id: Oid, flush: Flush) -> std::io::Result<()> {
    let hex = id.to_string();
    let dir = repo.commondir().join("objects").join(&hex[..2]);
    let path = dir.join(&hex[2..]);
    match File::open(&path) {
        Ok(file) if flush == Flush::Batch => super::segment::write_out(&file),
        Ok(file) => {
            file.sync_all()?;
            super::segment::sync_dir(&dir)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
