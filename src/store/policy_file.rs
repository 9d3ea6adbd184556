//! Loading the policy (`.vouch.toml`) and CODEOWNERS from one version of
//! the repository: the worktree (the editor), the index (the pre-commit
//! gate, so partial staging is exact) or a commit (`HEAD`, or the BASE that
//! CI verifies against).
//!
//! Files are named in messages the way git names them: `.vouch.toml` in the
//! worktree, `:.vouch.toml` in the index, `HEAD:.vouch.toml` in a commit.
//! No policy file means [`Policy::default`]. With `codeowners = true`, a
//! missing CODEOWNERS file is an error: falling back silently would hand
//! every path to the default reviewers.

use std::path::Path;

use git2::{ObjectType, Repository};

use crate::policy::{CODEOWNERS_PATHS, Codeowners, POLICY_FILE, Policy, PolicyError};
use crate::store::repo;

/// Which version of the repository to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The files on disk.
    Worktree,
    /// The staged version: the index `git commit` will commit
    /// ([`repo::index`], which honours `GIT_INDEX_FILE`).
    Index,
    /// A commit, by any revision git understands (`HEAD`, `origin/main`, an
    /// id). `HEAD` on a branch with no commits yet holds no files.
    Commit(String),
}

impl Source {
    /// `path` as git names it in this source.
    pub fn name(&self, path: &str) -> String {
        match self {
            Source::Worktree => path.to_string(),
            Source::Index => format!(":{path}"),
            Source::Commit(rev) => format!("{rev}:{path}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Invalid(#[from] PolicyError),
    #[error("cannot read {file}: {message}")]
    Read { file: String, message: String },
    #[error("{file} is not valid UTF-8")]
    NotUtf8 { file: String },
    #[error("{file} is not a file")]
    NotAFile { file: String },
    #[error("{file} has unresolved merge conflicts in the index")]
    Conflicted { file: String },
    #[error("cannot resolve revision `{rev}`: {message}")]
    Revision { rev: String, message: String },
    #[error("{policy} sets codeowners = true but there is no CODEOWNERS file (looked for {})", CODEOWNERS_PATHS.join(", "))]
    MissingCodeowners { policy: String },
}

/// The policy of `source`, with CODEOWNERS attached when it asks for it.
pub fn load(repo: &Repository, source: &Source) -> Result<Policy, LoadError> {
    load_with(repo, source, None)
}

/// The `intent` level of the policy in `source` ([`Policy::parse_intent`]:
/// the rest of the policy is not built); the default without a policy file.
pub fn load_intent(repo: &Repository, source: &Source) -> Result<crate::intent::IntentLevel, LoadError> {
    let name = source.name(POLICY_FILE);
    match read_text_with(repo, source, POLICY_FILE, None)? {
        Some(text) => Ok(Policy::parse_intent(&text, &name)?),
        None => Ok(crate::intent::IntentLevel::default()),
    }
}

/// The staged policy, read from `index` (the index `git commit` will
/// commit, already read: reading a large one takes milliseconds).
pub fn load_staged(repo: &Repository, index: &git2::Index) -> Result<Policy, LoadError> {
    load_with(repo, &Source::Index, Some(index))
}

fn load_with(repo: &Repository, source: &Source, index: Option<&git2::Index>) -> Result<Policy, LoadError> {
    let name = source.name(POLICY_FILE);
    let policy = match read_text_with(repo, source, POLICY_FILE, index)? {
        Some(text) => Policy::parse(&text, &name)?,
        None => Policy::default(),
    };
    if !policy.uses_codeowners() {
        return Ok(policy);
    }
    match load_codeowners_with(repo, source, index)? {
        Some(codeowners) => Ok(policy.with_codeowners(codeowners)),
        None => Err(LoadError::MissingCodeowners { policy: name }),
    }
}

/// The first CODEOWNERS file of [`CODEOWNERS_PATHS`] in `source`, parsed.
pub fn load_codeowners(repo: &Repository, source: &Source) -> Result<Option<Codeowners>, LoadError> {
    load_codeowners_with(repo, source, None)
}

fn load_codeowners_with(
    repo: &Repository,
    source: &Source,
    index: Option<&git2::Index>,
) -> Result<Option<Codeowners>, LoadError> {
    for path in CODEOWNERS_PATHS {
        if let Some(text) = read_text_with(repo, source, path, index)? {
            return Ok(Some(Codeowners::parse(&text, &source.name(path))?));
        }
    }
    Ok(None)
}

/// The text of the file at `path` (relative to the root) in `source`, or
/// `None` when there is no such file.
pub fn read_text(repo: &Repository, source: &Source, path: &str) -> Result<Option<String>, LoadError> {
    read_text_with(repo, source, path, None)
}

/// [`read_text`]; for [`Source::Index`], from `index` when given.
fn read_text_with(
    repo: &Repository,
    source: &Source,
    path: &str,
    index: Option<&git2::Index>,
) -> Result<Option<String>, LoadError> {
    let file = source.name(path);
    let Some(bytes) = read_bytes(repo, source, path, index)? else { return Ok(None) };
    String::from_utf8(bytes).map(Some).map_err(|_| LoadError::NotUtf8 { file })
}

fn read_bytes(
    repo: &Repository,
    source: &Source,
    path: &str,
    given: Option<&git2::Index>,
) -> Result<Option<Vec<u8>>, LoadError> {
    let file = source.name(path);
    let read_error = |message: String| LoadError::Read { file: file.clone(), message };
    match source {
        Source::Worktree => {
            let root = repo::worktree_root(repo).map_err(|e| read_error(e.to_string()))?;
            let full = root.join(path);
            if full.is_dir() {
                return Err(LoadError::NotAFile { file });
            }
            match std::fs::read(&full) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(read_error(e.to_string())),
            }
        }
        Source::Index => {
            let read;
            let index = match given {
                Some(index) => index,
                None => {
                    read = repo::index(repo).map_err(|e| read_error(e.to_string()))?;
                    &read
                }
            };
            let p = Path::new(path);
            match index.get_path(p, 0) {
                Some(entry) => {
                    let blob = repo.find_blob(entry.id).map_err(|e| read_error(e.message().to_string()))?;
                    Ok(Some(blob.content().to_vec()))
                }
                None if (1..=3).any(|stage| index.get_path(p, stage).is_some()) => Err(LoadError::Conflicted { file }),
                None => Ok(None),
            }
        }
        Source::Commit(rev) => {
            let revision_error =
                |e: git2::Error| LoadError::Revision { rev: rev.clone(), message: e.message().to_string() };
            let commit = match repo.revparse_single(rev) {
                Ok(object) => object.peel_to_commit().map_err(revision_error)?,
                Err(_) if rev == "HEAD" && head_is_unborn(repo) => return Ok(None),
                Err(e) => return Err(revision_error(e)),
            };
            let tree = commit.tree().map_err(|e| read_error(e.message().to_string()))?;
            let entry = match tree.get_path(Path::new(path)) {
                Ok(entry) => entry,
                Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
                Err(e) => return Err(read_error(e.message().to_string())),
            };
            if entry.kind() != Some(ObjectType::Blob) {
                return Err(LoadError::NotAFile { file });
            }
            let blob = repo.find_blob(entry.id()).map_err(|e| read_error(e.message().to_string()))?;
            Ok(Some(blob.content().to_vec()))
        }
    }
}

fn head_is_unborn(repo: &Repository) -> bool {
    matches!(repo.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Gate, ReviewerSet};
    use crate::store::repo::tests::{commit_files, temp_repo};

    fn stage(repo: &Repository, path: &str, text: &str) {
        std::fs::write(repo.workdir().unwrap().join(path), text).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new(path)).unwrap();
        index.write().unwrap();
    }

    #[test]
    fn worktree_index_and_commit_versions() {
        let (dir, repo) = temp_repo();
        // Nothing anywhere: defaults, even for HEAD with no commits.
        for source in [Source::Worktree, Source::Index, Source::Commit("HEAD".into())] {
            assert_eq!(load(&repo, &source).unwrap().file(), None, "{source:?}");
        }
        assert!(matches!(load(&repo, &Source::Commit("main~3".into())), Err(LoadError::Revision { .. })));

        commit_files(&repo, &[(".vouch.toml", "gate = \"warn\"\n")], 1_000);
        stage(&repo, ".vouch.toml", "gate = \"block\"\n");
        std::fs::write(dir.path().join(".vouch.toml"), "gate = \"warn\"\napprovals = 3\n").unwrap();

        let head = load(&repo, &Source::Commit("HEAD".into())).unwrap();
        assert_eq!((head.file(), head.gate()), (Some("HEAD:.vouch.toml"), Gate::Warn));
        let staged = load(&repo, &Source::Index).unwrap();
        assert_eq!((staged.file(), staged.gate()), (Some(":.vouch.toml"), Gate::Block));
        let disk = load(&repo, &Source::Worktree).unwrap();
        assert_eq!((disk.file(), disk.gate()), (Some(".vouch.toml"), Gate::Warn));
        assert_eq!(disk.requirement("a", &[], 1).approvals, 3);
    }

    #[test]
    fn errors_name_the_version_of_the_file() {
        let (dir, repo) = temp_repo();
        commit_files(&repo, &[(".vouch.toml", "gate = \"block\"\n\nreviewer = []\n")], 1_000);
        let err = load(&repo, &Source::Commit("HEAD".into())).unwrap_err();
        assert_eq!(err.to_string().split(',').next().unwrap(), "HEAD:.vouch.toml:3:1: unknown key `reviewer`");
        let err = load(&repo, &Source::Index).unwrap_err();
        assert!(err.to_string().starts_with(":.vouch.toml:3:1: unknown key `reviewer`"), "{err}");
        std::fs::write(dir.path().join(".vouch.toml"), b"gate = \"\xff\"\n").unwrap();
        assert_eq!(load(&repo, &Source::Worktree).unwrap_err().to_string(), ".vouch.toml is not valid UTF-8");
    }

    #[test]
    fn codeowners_is_read_from_the_same_version() {
        let (dir, repo) = temp_repo();
        let policy = "codeowners = true\n[aliases]\noctocat = \"octo@example.com\"\n";
        commit_files(&repo, &[(".vouch.toml", policy)], 1_000);
        let err = load(&repo, &Source::Commit("HEAD".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "HEAD:.vouch.toml sets codeowners = true but there is no CODEOWNERS file \
             (looked for .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS, .gitlab/CODEOWNERS)"
        );
        // docs/CODEOWNERS is found when it is the only one; .github/ comes first.
        commit_files(&repo, &[("docs/CODEOWNERS", "* docs@example.com\n")], 2_000);
        let reviewers = |p: &Policy| match p.requirement("x.rs", &[], 1).reviewers {
            ReviewerSet::Listed { emails, .. } => emails.into_iter().collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(reviewers(&load(&repo, &Source::Commit("HEAD".into())).unwrap()), ["docs@example.com"]);
        std::fs::create_dir_all(dir.path().join(".github")).unwrap();
        stage(&repo, ".github/CODEOWNERS", "* @octocat\n");
        assert_eq!(reviewers(&load(&repo, &Source::Index).unwrap()), ["octo@example.com"]);
        assert_eq!(reviewers(&load(&repo, &Source::Commit("HEAD".into())).unwrap()), ["docs@example.com"]);
        stage(&repo, ".github/CODEOWNERS", "[ @octocat\n");
        let err = load(&repo, &Source::Index).unwrap_err();
        assert!(err.to_string().starts_with(":.github/CODEOWNERS:1: invalid path pattern"), "{err}");
    }
}
