//! The files the next commit changes: what the index holds (the commit
//! `git commit` will make, partial staging exact) or what the working tree
//! holds (the commit `git commit -a` would make, plus the files the journal
//! holds records for), against HEAD, whatever their bytes; and the paths
//! it deletes.

use std::path::Path;

use git2::Repository;

use super::attribution::FileVersion;
use super::files;
use crate::store::journal::Loaded;

/// Which version of the files the next commit is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The index `git commit` will commit.
    Staged,
    /// The files on disk.
    Worktree,
}

impl Version {
    pub fn label(self) -> &'static str {
        match self {
            Version::Staged => "index",
            Version::Worktree => "worktree",
        }
    }
}

/// What the next commit changes against HEAD.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Files it adds or changes, in path order.
    pub files: Vec<FileVersion>,
    /// Paths HEAD has that it deletes (renamed files' old paths are in
    /// `files`' history paths instead).
    pub deleted: Vec<String>,
}

/// The files `index` (the index `git commit` will commit) changes against
/// HEAD.
pub fn staged(repo: &Repository, index: &mut git2::Index) -> anyhow::Result<Changes> {
    let mut out = Changes::default();
    // One diff of HEAD with the index gives both what changes and what goes.
    let (changed, deleted) = files::staged(repo, index)?;
    for changed in changed {
        let content = files::content(repo, &changed)?;
        let history_path = changed.from.clone().unwrap_or_else(|| changed.path.clone());
        out.files.push(FileVersion { path: changed.path, history_path, blob: changed.blob, content });
    }
    out.deleted = deleted;
    let renamed: Vec<&str> =
        out.files.iter().filter(|f| f.history_path != f.path).map(|f| f.history_path.as_str()).collect();
    out.deleted.retain(|d| !renamed.contains(&d.as_str()));
    Ok(out)
}

/// The files the working tree changes against HEAD (staged or not), and
/// the files the journal holds records for.
pub fn worktree(repo: &Repository, root: &Path, loaded: &Loaded) -> anyhow::Result<Changes> {
    let mut out = Changes::default();
    let (mut paths, deleted) = files::worktree_status(repo)?;
    paths.extend(loaded.live().filter_map(|r| r.path()).map(str::to_string));
    paths.sort();
    paths.dedup();
    for path in paths {
        if let Some(file) = worktree_file(repo, root, &path)? {
            out.files.push(file);
        }
    }
    out.deleted = deleted;
    Ok(out)
}

/// The working tree's version of `path`: a regular file, whatever its
/// bytes, or the submodule checked out there; `None` for anything else.
pub fn worktree_file(repo: &Repository, root: &Path, path: &str) -> anyhow::Result<Option<FileVersion>> {
    Ok(files::worktree_content(repo, root, path)?.map(|(blob, content)| FileVersion {
        path: path.to_string(),
        history_path: path.to_string(),
        blob,
        content,
    }))
}
