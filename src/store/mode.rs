//! Files whose executable bit an AI changed in a range `BASE..HEAD`: a
//! regular file that BASE and HEAD both hold, with the bit set in one and
//! not the other (for a file new in the range that HEAD holds executable:
//! the mode it was added with), which a commit of the range with AI
//! evidence for that path changed. No line changes, so no unit holds an AI
//! line, yet what the repository does changed (a script CI or a deploy step now runs): the
//! change is a unit of its own, bound to the path, the new mode and the
//! text ([`crate::fingerprint::mode_fingerprint`]).
//!
//! A commit changes the bit of a path when its mode there differs from that
//! of every parent holding the path as a regular file (a merge taking one
//! side's mode changes nothing; the side's commit did). A change undone
//! within the range (HEAD's mode is BASE's) is none. A file that is a
//! symbolic link or submodule on either side is judged by its content
//! instead. Where a commit moved a file (`git mv deploy.sh run.sh && chmod
//! +x run.sh`), its mode before is the mode of the file it was moved from
//! ([`mode_before`]).

use std::path::Path;

use git2::{FileMode, ObjectType, Oid, Repository, Tree};

use crate::store::lineage::CommitEvidence;
use crate::store::notes::FileRecord;

/// git's mode of a regular file, as it writes it.
const REGULAR: &str = "100644";
/// git's mode of an executable file, as it writes it.
const EXECUTABLE: &str = "100755";

/// A file whose executable bit an AI changed in the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeChange {
    pub path: String,
    /// BASE's mode and HEAD's, as git writes them (`100644`, `100755`).
    pub from: &'static str,
    pub to: &'static str,
    /// The commits of the range that changed the bit with AI evidence,
    /// oldest first.
    pub commits: Vec<Oid>,
    /// What makes each of those changes an AI's (`trailer: claude`, `vouch
    /// note`, `git-ai note`), each once.
    pub evidence: Vec<String>,
    /// HEAD's bytes of the file, which the fingerprint binds.
    pub bytes: Vec<u8>,
    pub fingerprint: String,
}

impl ModeChange {
    /// "executable" or "no longer executable".
    pub fn describe(&self) -> &'static str {
        described(self.to)
    }
}

/// Whether `mode` (as git writes it) is a regular file's, executable or
/// not.
pub fn is_regular(mode: &str) -> bool {
    mode == REGULAR || mode == EXECUTABLE
}

/// What a file's change to `mode` (as git writes it) does: it makes the
/// file "executable" (`100755`), or "no longer executable".
pub fn described(mode: &str) -> &'static str {
    if mode == EXECUTABLE { "executable" } else { "no longer executable" }
}

/// The mode of the regular file at `path` in `tree`, as git writes it;
/// `None` for anything else (absent, a directory, a symbolic link, a
/// submodule) or a tree that cannot be read there.
fn regular_mode(tree: &Tree<'_>, path: &str) -> Option<&'static str> {
    let entry = tree.get_path(Path::new(path)).ok()?;
    if entry.kind() != Some(ObjectType::Blob) {
        return None;
    }
    match entry.filemode() {
        m if m == i32::from(FileMode::BlobExecutable) => Some(EXECUTABLE),
        m if m == i32::from(FileMode::Blob) => Some(REGULAR),
        _ => None,
    }
}

/// The files of `paths` whose executable bit an AI changed between `base`
/// and `head`: `commits` are the range's, oldest first, and `evidence`
/// gives what a commit carries (read only for the commits that changed a
/// bit; `None` when it carries nothing).
pub fn ai_mode_changes<'p, E>(
    repo: &Repository,
    base: &Tree<'_>,
    head: &Tree<'_>,
    commits: &[Oid],
    paths: impl IntoIterator<Item = &'p str>,
    mut evidence: impl FnMut(Oid) -> Result<Option<CommitEvidence>, E>,
) -> Result<Vec<ModeChange>, E>
where
    E: From<git2::Error>,
{
    let mut out = Vec::new();
    for path in paths {
        let Some(to) = regular_mode(head, path) else { continue };
        let (names, from) = match base.get_path(Path::new(path)) {
            Ok(_) => (vec![path.to_string()], regular_mode(base, path)),
            // New in the range and executable: the mode it was added with (a
            // person's new script an agent then made executable), or had
            // under the name BASE has (moved in the range, once or more).
            // Only the executable ones: what it was added with takes a walk.
            Err(_) if to == EXECUTABLE => history(repo, base, commits, path)?,
            Err(_) => (vec![path.to_string()], None),
        };
        let Some(from) = from else { continue };
        if from == to {
            continue;
        }
        let mut by = Vec::new();
        let mut labels: Vec<String> = Vec::new();
        for &oid in commits {
            // The name it had when the commit changed its mode.
            let mut changed = None;
            for name in &names {
                if changes_mode(repo, oid, name)? {
                    changed = Some(name.as_str());
                    break;
                }
            }
            let Some(name) = changed else { continue };
            // A vouch note speaks for the mode through an AI edit of the
            // file in the same commit.
            let edited = |f: &FileRecord| {
                !f.ai.is_empty() || f.removed || !f.deleted_before.is_empty() || f.mode.as_deref() == Some(to)
            };
            let found = evidence(oid)?.map(|e| e.labels_for(name, edited)).unwrap_or_default();
            if found.is_empty() {
                continue;
            }
            by.push(oid);
            for label in found {
                if !labels.contains(&label) {
                    labels.push(label);
                }
            }
        }
        if by.is_empty() {
            continue;
        }
        let bytes = repo.find_blob(head.get_path(Path::new(path))?.id())?.content().to_vec();
        let fingerprint = crate::fingerprint::mode_fingerprint(path, to, &bytes);
        out.push(ModeChange { path: path.to_string(), from, to, commits: by, evidence: labels, bytes, fingerprint });
    }
    Ok(out)
}

/// The names `path`, which BASE lacks, had in the range, newest first, and
/// the mode it had before: the commits (oldest first) are followed back
/// through each that moved the file there (git's rename detection against
/// its first parent) to the name BASE has, whose mode BASE gives, or to
/// the commit that added it, with the mode it was added with.
fn history(
    repo: &Repository,
    base: &Tree<'_>,
    commits: &[Oid],
    path: &str,
) -> Result<(Vec<String>, Option<&'static str>), git2::Error> {
    let mut names = vec![path.to_string()];
    // Each move is a commit of the range: no more of them than commits.
    for _ in 0..commits.len() {
        let current = names[names.len() - 1].clone();
        let mut first = None;
        for &oid in commits {
            let commit = repo.find_commit(oid)?;
            if let Some(mode) = regular_mode(&commit.tree()?, &current) {
                first = Some((commit, mode));
                break;
            }
        }
        let Some((commit, mode)) = first else { return Ok((names, None)) };
        let moved = match commit.parent(0) {
            Ok(parent) => moved_from(repo, &parent.tree()?, &commit.tree()?, &current)?,
            Err(_) => None,
        };
        let Some(from) = moved.filter(|from| !names.contains(from)) else { return Ok((names, Some(mode))) };
        names.push(from.clone());
        if base.get_path(Path::new(&from)).is_ok() {
            return Ok((names, regular_mode(base, &from)));
        }
    }
    Ok((names, None))
}

/// The path of `parent` that `tree` moved to `path`, which `parent` lacks
/// (git's rename detection between the two trees).
fn moved_from(
    repo: &Repository,
    parent: &Tree<'_>,
    tree: &Tree<'_>,
    path: &str,
) -> Result<Option<String>, git2::Error> {
    let mut diff = repo.diff_tree_to_tree(Some(parent), Some(tree), None)?;
    Ok(crate::store::repo::renamed_to(&mut diff, path)?.and_then(|(from, _)| Some(from.to_str()?.to_string())))
}

/// The mode of the regular file at `path` in `parent`, as git writes it;
/// where `parent` has nothing there, the mode of the regular file `tree`
/// moved there from (git's rename detection between the two trees), so
/// that a file moved and made executable at once changed its bit. `None`
/// for anything else.
pub fn mode_before(
    repo: &Repository,
    parent: &Tree<'_>,
    tree: &Tree<'_>,
    path: &str,
) -> Result<Option<&'static str>, git2::Error> {
    if parent.get_path(Path::new(path)).is_ok() {
        return Ok(regular_mode(parent, path));
    }
    Ok(moved_from(repo, parent, tree, path)?.and_then(|from| regular_mode(parent, &from)))
}

/// A change of the executable bit the index holds: the mode before (as
/// git writes it), the mode staged, and the bytes staged.
pub type StagedChange = (&'static str, &'static str, Vec<u8>);

/// The change of the executable bit of `path` that `index` (what the next
/// commit holds) makes against HEAD (`head`, its tree; `None` on an unborn
/// branch), when the index has the file with `mode` (as git writes it):
/// from HEAD's mode, or that of the file the index moved there by git's
/// rename detection. `None` when the index makes no such change.
pub fn staged_change(
    repo: &Repository,
    head: Option<&Tree<'_>>,
    index: &git2::Index,
    path: &str,
    mode: &str,
) -> Result<Option<StagedChange>, git2::Error> {
    let Some(entry) = index.get_path(Path::new(path), 0) else { return Ok(None) };
    let to = match entry.mode {
        m if m == u32::from(FileMode::BlobExecutable) => EXECUTABLE,
        m if m == u32::from(FileMode::Blob) => REGULAR,
        _ => return Ok(None),
    };
    let Some(head) = head.filter(|_| to == mode) else { return Ok(None) };
    let from = match head.get_path(Path::new(path)) {
        Ok(_) => regular_mode(head, path),
        Err(_) => {
            let mut diff = repo.diff_tree_to_index(Some(head), Some(index), None)?;
            crate::store::repo::renamed_to(&mut diff, path)?.and_then(|(from, _)| regular_mode(head, from.to_str()?))
        }
    };
    match from {
        Some(from) if from != to => Ok(Some((from, to, repo.find_blob(entry.id)?.content().to_vec()))),
        _ => Ok(None),
    }
}

/// Whether commit `oid` changed the executable bit of `path`: it holds a
/// regular file there whose mode differs from that of every parent that
/// holds one, or that holds the file it was moved from
/// ([`mode_before`]).
fn changes_mode(repo: &Repository, oid: Oid, path: &str) -> Result<bool, git2::Error> {
    let commit = repo.find_commit(oid)?;
    let tree = commit.tree()?;
    let Some(mine) = regular_mode(&tree, path) else { return Ok(false) };
    let mut any = false;
    for parent in commit.parents() {
        match mode_before(repo, &parent.tree()?, &tree, path)? {
            Some(theirs) if theirs == mine => return Ok(false),
            Some(_) => any = true,
            None => {}
        }
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::history::Declared;

    /// A repository whose commits set `run.sh`'s mode in turn, the
    /// commits' ids oldest first.
    fn history(modes: &[FileMode]) -> (tempfile::TempDir, Repository, Vec<Oid>) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let blob = repo.blob(b"#!/bin/sh\necho hi\n").unwrap();
        let sig = git2::Signature::now("dev", "dev@example.com").unwrap();
        let mut ids = Vec::new();
        for mode in modes {
            let mut tree = repo.treebuilder(None).unwrap();
            tree.insert("run.sh", blob, i32::from(*mode)).unwrap();
            let tree = repo.find_tree(tree.write().unwrap()).unwrap();
            let parents: Vec<git2::Commit<'_>> =
                ids.last().map(|&p| repo.find_commit(p).unwrap()).into_iter().collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            ids.push(repo.commit(None, &sig, &sig, "c", &tree, &parents).unwrap());
        }
        (dir, repo, ids)
    }

    fn tree_of<'r>(repo: &'r Repository, oid: Oid) -> Tree<'r> {
        repo.find_commit(oid).unwrap().tree().unwrap()
    }

    fn declared() -> Option<CommitEvidence> {
        Some(CommitEvidence { declared: Some(Declared::Trailer("claude".into())), ..CommitEvidence::default() })
    }

    #[test]
    fn a_bit_an_ai_commit_set_is_a_change_bound_to_the_new_mode_and_the_text() {
        let (_dir, repo, ids) = history(&[FileMode::Blob, FileMode::BlobExecutable]);
        let (base, head) = (tree_of(&repo, ids[0]), tree_of(&repo, ids[1]));
        let found =
            ai_mode_changes::<git2::Error>(&repo, &base, &head, &ids[1..], ["run.sh"], |_| Ok(declared())).unwrap();
        assert_eq!(found.len(), 1);
        let change = &found[0];
        assert_eq!((change.from, change.to, change.describe()), (REGULAR, EXECUTABLE, "executable"));
        assert_eq!(change.commits, vec![ids[1]]);
        assert_eq!(change.evidence, vec!["trailer: claude".to_string()]);
        assert_eq!(change.fingerprint, crate::fingerprint::mode_fingerprint("run.sh", EXECUTABLE, &change.bytes));
        // A person's change is none.
        let none = ai_mode_changes::<git2::Error>(&repo, &base, &head, &ids[1..], ["run.sh"], |_| Ok(None)).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_change_undone_within_the_range_or_made_by_a_person_after_it_is_not_the_ais() {
        let (_dir, repo, ids) = history(&[FileMode::Blob, FileMode::BlobExecutable, FileMode::Blob]);
        let (base, head) = (tree_of(&repo, ids[0]), tree_of(&repo, ids[2]));
        let undone =
            ai_mode_changes::<git2::Error>(&repo, &base, &head, &ids[1..], ["run.sh"], |_| Ok(declared())).unwrap();
        assert!(undone.is_empty(), "HEAD's mode is BASE's");

        // The AI's commit leaves the mode as it was; a person's sets the
        // bit: the change is the person's.
        let (_dir, repo, ids) = history(&[FileMode::Blob, FileMode::Blob, FileMode::BlobExecutable]);
        let (base, head) = (tree_of(&repo, ids[0]), tree_of(&repo, ids[2]));
        let ai_first = ids[1];
        let found = ai_mode_changes::<git2::Error>(&repo, &base, &head, &ids[1..], ["run.sh"], |c| {
            Ok(if c == ai_first { declared() } else { None })
        })
        .unwrap();
        assert!(found.is_empty(), "the AI's commit changed no mode: {found:?}");
    }
}
