//! The content of a worktree at one moment, for `vouch run`: every file
//! git tracks and every untracked file it does not ignore, by the id of its
//! content (a git blob id), so that two states taken before and after a
//! command tell exactly which files the command created, changed or
//! deleted, and what each was before. Not the journal: a state says nothing
//! about origin and lives in memory for one run.
//!
//! # Cost and bounds
//!
//! A file that `git status` reports unchanged since the index is not read:
//! its content is the index's blob (git's own stat cache decides, as
//! `git status` does). Every other file (modified, untracked) is hashed,
//! and, before the command runs, kept in memory when small enough
//! ([`MAX_KEPT_FILE`], [`MAX_KEPT`] in all) so that what the command
//! changed in it can be told from what was there; a file that was not
//! kept is compared with what vouch last saw of it instead.
//!
//! A worktree of more than [`MAX_FILES`] files, or whose modified and
//! untracked files hold more than [`MAX_HASHED`] bytes, is refused
//! ([`StateError::TooLarge`]): taking its state would cost more than a
//! wrapper should, and a partial state would silently miss changes. Ignored
//! files (`.gitignore`), the git directory, submodules and symbolic links
//! are not part of a state.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Status, StatusOptions};

use crate::store::snapshot::{Modes, REGULAR};

/// The most files (tracked, and untracked not ignored) a state covers.
pub const MAX_FILES: usize = 200_000;
/// The most bytes of modified and untracked files a state hashes.
pub const MAX_HASHED: u64 = 1 << 30;
/// The largest file kept in memory before the command runs.
pub const MAX_KEPT_FILE: u64 = 8 << 20;
/// The most bytes kept in memory before the command runs.
pub const MAX_KEPT: u64 = 256 << 20;

/// Why a state could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{0}")]
    TooLarge(String),
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

/// The worktree's files and their content ids.
#[derive(Debug, Clone, Default)]
pub struct WorktreeState {
    /// Repository-relative path → blob id of its content (regular files).
    pub files: BTreeMap<String, Oid>,
    /// Content kept in memory (files whose blob git may not hold).
    kept: HashMap<Oid, Vec<u8>>,
    /// The modes of the files of `files`, in the worktree and in the
    /// index (as git writes them, 0: none), where they are not both a
    /// regular file's (most files: kept out).
    modes: BTreeMap<String, Modes>,
}

/// What a file was in the state before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Was {
    /// It did not exist (or was not a regular file).
    Absent,
    Bytes(Vec<u8>),
    /// It existed, but its content was neither kept nor in git.
    Unknown,
}

impl WorktreeState {
    /// Take the state of `repo`'s worktree; with `keep`, keep the content
    /// of modified and untracked files in memory (within the bounds).
    pub fn capture(repo: &Repository, keep: bool) -> Result<WorktreeState, StateError> {
        let root =
            crate::store::repo::worktree_root(repo).map_err(|e| StateError::TooLarge(e.to_string()))?.to_path_buf();
        let index = repo.index()?;
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true)
            .renames_head_to_index(false)
            .renames_index_to_workdir(false);
        let statuses = repo.statuses(Some(&mut opts))?;
        let mut dirty: BTreeMap<String, Status> = BTreeMap::new();
        for entry in statuses.iter() {
            if let Some(path) = entry.path() {
                dirty.insert(path.to_string(), entry.status());
            }
        }
        let untracked = dirty.values().filter(|s| s.contains(Status::WT_NEW)).count();
        let total = index.len() + untracked;
        if total > MAX_FILES {
            return Err(StateError::TooLarge(format!(
                "the worktree has {total} files (tracked, and untracked not ignored); vouch run takes the state \
                 of at most {MAX_FILES}"
            )));
        }
        let mut state = WorktreeState::default();
        let (mut hashed, mut kept) = (0u64, 0u64);
        let mut hash = |rel: &str, state: &mut WorktreeState| -> Result<(), StateError> {
            let path = root.join(rel);
            let io = |source| StateError::Io { path: rel.to_string(), source };
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(io(e)),
            };
            // A symbolic link as git stores it: the path it names.
            if meta.file_type().is_symlink() {
                let Ok(bytes) = crate::store::repo::link_target(&path) else { return Ok(()) };
                let id = Oid::hash_object(ObjectType::Blob, &bytes)?;
                if keep {
                    state.kept.insert(id, bytes);
                }
                state.files.insert(rel.to_string(), id);
                return Ok(());
            }
            if !meta.file_type().is_file() {
                return Ok(());
            }
            let modes =
                (crate::store::snapshot::worktree_mode(&path), index.get_path(Path::new(rel), 0).map_or(0, |e| e.mode));
            if modes != (REGULAR, REGULAR) {
                state.modes.insert(rel.to_string(), modes);
            }
            hashed += meta.len();
            if hashed > MAX_HASHED {
                return Err(StateError::TooLarge(format!(
                    "the worktree's modified and untracked files hold more than {} MiB; vouch run hashes at most \
                     that much",
                    MAX_HASHED >> 20
                )));
            }
            let id = if keep && meta.len() <= MAX_KEPT_FILE && kept + meta.len() <= MAX_KEPT {
                let bytes = match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(e) => return Err(io(e)),
                };
                let id = Oid::hash_object(ObjectType::Blob, &bytes)?;
                kept += bytes.len() as u64;
                state.kept.insert(id, bytes);
                id
            } else {
                match Oid::hash_file(ObjectType::Blob, &path) {
                    Ok(id) => id,
                    Err(_) if !path.exists() => return Ok(()),
                    Err(e) => return Err(e.into()),
                }
            };
            state.files.insert(rel.to_string(), id);
            Ok(())
        };
        // Tracked files git reports unchanged: the index's blob.
        for entry in index.iter() {
            let stage = (entry.flags >> 12) & 0x3;
            let Ok(rel) = std::str::from_utf8(&entry.path) else { continue };
            if stage != 0 || entry.mode & 0o170000 != 0o100000 || dirty.contains_key(rel) {
                continue;
            }
            state.files.insert(rel.to_string(), entry.id);
            if entry.mode != REGULAR {
                state.modes.insert(rel.to_string(), (entry.mode, entry.mode));
            }
        }
        // Everything else that is there: hashed.
        for (rel, status) in &dirty {
            if status.intersects(Status::WT_NEW | Status::WT_MODIFIED | Status::WT_TYPECHANGE | Status::CONFLICTED) {
                hash(rel, &mut state)?;
            } else if status.contains(Status::WT_DELETED) || status.contains(Status::INDEX_DELETED) {
                continue;
            } else if let Some(entry) = index.get_path(Path::new(rel), 0) {
                // Staged, and the worktree matches the index.
                if entry.mode & 0o170000 == 0o100000 {
                    state.files.insert(rel.clone(), entry.id);
                    if entry.mode != REGULAR {
                        state.modes.insert(rel.clone(), (entry.mode, entry.mode));
                    }
                }
            }
        }
        Ok(state)
    }

    /// The files that differ between this state and `after`: created,
    /// changed or deleted, sorted.
    pub fn changed(&self, after: &WorktreeState) -> Vec<String> {
        let paths: BTreeSet<&String> = self.files.keys().chain(after.files.keys()).collect();
        paths.into_iter().filter(|p| self.files.get(*p) != after.files.get(*p)).cloned().collect()
    }

    /// The files `after` holds whose modes differ from this state's, in the
    /// worktree or in the index (none where this state lacks the file): each
    /// with its modes in this state and in `after` (see
    /// [`crate::cli::agent_record::mode_set`]), sorted.
    pub fn mode_changes(&self, after: &WorktreeState) -> Vec<(String, Modes, Modes)> {
        let paths: BTreeSet<&String> = self.modes.keys().chain(after.modes.keys()).collect();
        paths
            .into_iter()
            .filter(|p| after.files.contains_key(*p))
            .filter_map(|p| {
                let mode = |state: &WorktreeState| match state.files.contains_key(p) {
                    true => state.modes.get(p).copied().unwrap_or((REGULAR, REGULAR)),
                    false => (0, 0),
                };
                let (then, now) = (mode(self), mode(after));
                (then != now).then(|| (p.clone(), then, now))
            })
            .collect()
    }

    /// What `rel` was in this state, in the form git stores (kept bytes
    /// through git's end-of-line conversion, see
    /// [`crate::store::attributes`]; else the blob git holds).
    pub fn was(&self, repo: &Repository, rel: &str) -> Was {
        let Some(id) = self.files.get(rel) else { return Was::Absent };
        if let Some(bytes) = self.kept.get(id) {
            return Was::Bytes(crate::store::attributes::to_blob(repo, rel, bytes).into_owned());
        }
        match repo.find_blob(*id) {
            Ok(blob) => Was::Bytes(blob.content().to_vec()),
            Err(_) => Was::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::git;

    #[test]
    fn a_state_tells_created_changed_and_deleted_files_and_what_they_were() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
        std::fs::write(dir.path().join("clean.txt"), "clean\n").unwrap();
        std::fs::write(dir.path().join("gone.txt"), "gone\n").unwrap();
        std::fs::write(dir.path().join("dirty.txt"), "one\n").unwrap();
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["-c", "user.name=a", "-c", "user.email=a@x", "commit", "-q", "-m", "a"]);
        std::fs::write(dir.path().join("dirty.txt"), "one\ntwo\n").unwrap();
        std::fs::write(dir.path().join("new.txt"), "new\n").unwrap();
        std::fs::create_dir(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("target/out.txt"), "ignored\n").unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let before = WorktreeState::capture(&repo, true).unwrap();
        assert_eq!(
            before.files.keys().map(String::as_str).collect::<Vec<_>>(),
            vec![".gitignore", "clean.txt", "dirty.txt", "gone.txt", "new.txt"]
        );

        std::fs::write(dir.path().join("dirty.txt"), "one\ntwo\nthree\n").unwrap();
        std::fs::write(dir.path().join("made.txt"), "made\n").unwrap();
        std::fs::remove_file(dir.path().join("gone.txt")).unwrap();
        std::fs::write(dir.path().join("target/out.txt"), "changed, ignored\n").unwrap();
        let after = WorktreeState::capture(&repo, false).unwrap();
        assert_eq!(before.changed(&after), vec!["dirty.txt", "gone.txt", "made.txt"]);
        assert_eq!(before.was(&repo, "dirty.txt"), Was::Bytes(b"one\ntwo\n".to_vec()));
        assert_eq!(before.was(&repo, "gone.txt"), Was::Bytes(b"gone\n".to_vec()));
        assert_eq!(before.was(&repo, "made.txt"), Was::Absent);
        // Not kept, not in git: unknown.
        assert_eq!(after.was(&repo, "made.txt"), Was::Unknown);
    }
}
