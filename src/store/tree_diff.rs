//! The entries one tree changes against another, found by walking both
//! and skipping every subtree they share (the same tree id): its cost
//! follows what changed, not the size of the repository. libgit2's tree
//! diff visits every entry of both trees, about 3 ms for 10,000 files and
//! seconds for a million, on every commit the post-commit hook notes.
//!
//! What it gives is what a libgit2 tree diff without rename detection
//! finds, leaf by leaf (files, symbolic links, submodules), with each
//! side's id and mode: [`Change::old`] is `None` for an entry the old tree
//! lacks, [`Change::new`] `None` for one the new tree lacks. A path that
//! is a tree on one side and a leaf on the other is the leaf on its side
//! and the tree's leaves on the other. An entry whose name is not UTF-8
//! is reported apart ([`Changes::not_utf8`]), by its bytes, never dropped
//! or spelled lossily.

use std::collections::{BTreeMap, HashMap};

use git2::{Oid, Repository, Tree};

/// The mode of a tree entry that is a tree.
const TREE_MODE: i32 = 0o040000;

/// One leaf that differs between the two trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Repository-relative, forward slashes.
    pub path: String,
    /// The old tree's entry: its id and mode.
    pub old: Option<(Oid, i32)>,
    /// The new tree's entry: its id and mode.
    pub new: Option<(Oid, i32)>,
}

impl Change {
    /// Whether libgit2's diff (without `INCLUDE_TYPECHANGE`) reports this
    /// change as the old entry deleted: it is gone, or its kind (file,
    /// symbolic link, submodule) changed, which git reports as a deletion
    /// and an addition.
    pub fn deletes(&self) -> bool {
        match (self.old, self.new) {
            (Some(_), None) => true,
            (Some((_, old)), Some((_, new))) => kind(old) != kind(new),
            _ => false,
        }
    }

    /// The old entry's id when git diffs the new entry against it (same
    /// path, same kind); `None` for an added entry.
    pub fn base(&self) -> Option<Oid> {
        match (self.old, self.new) {
            (Some((id, old)), Some((_, new))) if kind(old) == kind(new) => Some(id),
            _ => None,
        }
    }
}

/// The kind of an entry's mode, as git compares them (`S_IFMT`): the two
/// file modes are one kind.
fn kind(mode: i32) -> i32 {
    mode & 0o170000
}

/// What a tree diff found: the leaves that differ, and the entries whose
/// name is not UTF-8, which it does not walk into or spell lossily (two
/// such names would become one): every caller decides what they mean.
#[derive(Debug, Default)]
pub struct Changes {
    /// Leaves with UTF-8 paths, in path order (bytes).
    pub changes: Vec<Change>,
    /// Entries (leaves or subtrees) whose name is not UTF-8, in path order.
    pub not_utf8: Vec<NotUtf8>,
}

/// An entry that differs between the two trees and whose name is not UTF-8
/// (a subtree's leaves are not walked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Repository-relative, forward slashes, as git stores it.
    pub path: Vec<u8>,
    /// The old tree's entry: its id and mode.
    pub old: Option<(Oid, i32)>,
    /// The new tree's entry: its id and mode.
    pub new: Option<(Oid, i32)>,
}

impl NotUtf8 {
    /// The path as data, unambiguous: each byte that is not UTF-8 as
    /// `‹0xFF›` ([`crate::display::lossless_text`]).
    pub fn shown(&self) -> String {
        crate::display::lossless_text(&self.path).into_owned()
    }
}

/// The entries `new` changes against `old` (`None`: the empty tree).
pub fn changes(repo: &Repository, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Result<Changes, git2::Error> {
    changes_between(repo, old, Some(new))
}

/// The files `new` renamed from `old`, as git finds renames (libgit2's
/// diff of the two trees with its rename detection): new path to old path.
/// Its cost is a full tree diff: asked only when a commit deletes a file.
pub fn renames(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
) -> Result<HashMap<String, String>, git2::Error> {
    let mut diff = repo.diff_tree_to_tree(old, Some(new), None)?;
    find_renames(&mut diff)?;
    let path = |f: git2::DiffFile<'_>| f.path().and_then(std::path::Path::to_str).map(str::to_string);
    Ok(diff
        .deltas()
        .filter(|d| d.status() == git2::Delta::Renamed)
        .filter_map(|d| Some((path(d.new_file())?, path(d.old_file())?)))
        .collect())
}

/// Add to `out` where each file `new` renamed from `old` went: old path to
/// new, a path already there kept (what an earlier pair of trees said).
pub fn add_moves(repo: &Repository, old: Option<&Tree<'_>>, new: &Tree<'_>, out: &mut HashMap<String, String>) {
    for (to, from) in renames(repo, old, new).unwrap_or_default() {
        out.entry(from).or_insert(to);
    }
}

/// Pair `diff`'s renames as git does, and a file renamed over one the old
/// side has (`git mv -f`, names rotated: `b` to `c`, then `a` to `b`):
/// the path it lands on is a rewrite, and the rename's destination.
pub fn find_renames(diff: &mut git2::Diff<'_>) -> Result<(), git2::Error> {
    diff.find_similar(Some(git2::DiffFindOptions::new().renames(true).rewrites(true).renames_from_rewrites(true)))
}

/// [`changes`] between two trees either of which may be absent.
pub fn changes_between(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
) -> Result<Changes, git2::Error> {
    let mut out = Changes::default();
    walk(repo, old, new, "", &mut out)?;
    out.changes.sort_by(|a, b| a.path.cmp(&b.path));
    out.not_utf8.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

type Side = Option<(Oid, i32)>;

fn walk(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    prefix: &str,
    out: &mut Changes,
) -> Result<(), git2::Error> {
    if let (Some(o), Some(n)) = (old, new)
        && o.id() == n.id()
    {
        return Ok(());
    }
    let mut entries: BTreeMap<Vec<u8>, (Side, Side)> = BTreeMap::new();
    for entry in old.into_iter().flat_map(|t| t.iter()) {
        entries.entry(entry.name_bytes().to_vec()).or_default().0 = Some((entry.id(), entry.filemode()));
    }
    for entry in new.into_iter().flat_map(|t| t.iter()) {
        entries.entry(entry.name_bytes().to_vec()).or_default().1 = Some((entry.id(), entry.filemode()));
    }
    for (name, (o, n)) in entries {
        if o == n {
            continue;
        }
        let Ok(name) = std::str::from_utf8(&name) else {
            let path = [prefix.as_bytes(), &name].concat();
            out.not_utf8.push(NotUtf8 { path, old: o, new: n });
            continue;
        };
        let path = format!("{prefix}{name}");
        let subtree = |side: Side| -> Result<Option<Tree<'_>>, git2::Error> {
            match side {
                Some((id, mode)) if mode == TREE_MODE => repo.find_tree(id).map(Some),
                _ => Ok(None),
            }
        };
        let (old_tree, new_tree) = (subtree(o)?, subtree(n)?);
        let leaf = |side: Side| side.filter(|&(_, mode)| mode != TREE_MODE);
        let (old_leaf, new_leaf) = (leaf(o), leaf(n));
        if old_tree.is_some() || new_tree.is_some() {
            walk(repo, old_tree.as_ref(), new_tree.as_ref(), &format!("{path}/"), out)?;
        }
        if old_leaf.is_some() || new_leaf.is_some() {
            out.changes.push(Change { path, old: old_leaf, new: new_leaf });
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::repo::tests::temp_repo;
    use git2::{Index, IndexEntry, IndexTime};

    enum Leaf<'a> {
        File(&'a str),
        Exec(&'a str),
        Link(&'a str),
        Submodule(Oid),
    }

    fn tree(repo: &Repository, leaves: &[(&str, Leaf<'_>)]) -> Oid {
        let mut index = Index::new().unwrap();
        for (path, leaf) in leaves {
            let (mode, bytes) = match leaf {
                Leaf::File(t) => (0o100644, t.as_bytes()),
                Leaf::Exec(t) => (0o100755, t.as_bytes()),
                Leaf::Link(t) => (0o120000, t.as_bytes()),
                Leaf::Submodule(_) => (0o160000, &b""[..]),
            };
            let id = match leaf {
                Leaf::Submodule(id) => *id,
                _ => repo.blob(bytes).unwrap(),
            };
            let time = IndexTime::new(0, 0);
            let entry = IndexEntry {
                ctime: time,
                mtime: time,
                dev: 0,
                ino: 0,
                mode,
                uid: 0,
                gid: 0,
                file_size: bytes.len() as u32,
                id,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        index.write_tree_to(repo).unwrap()
    }

    /// What libgit2's tree diff (no renames, no type changes) reports:
    /// (path, old id, new id) per delta.
    fn libgit2(repo: &Repository, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Vec<(String, Option<Oid>, Option<Oid>)> {
        let diff = repo.diff_tree_to_tree(old, Some(new), None).unwrap();
        let side = |f: git2::DiffFile<'_>| (!f.id().is_zero()).then(|| f.id());
        let mut out: Vec<_> = diff
            .deltas()
            .map(|d| {
                let path = d.new_file().path().or(d.old_file().path()).unwrap().to_str().unwrap().to_string();
                (path, side(d.old_file()), side(d.new_file()))
            })
            .collect();
        out.sort();
        out
    }

    /// The same from [`changes`]: a change of kind is a deletion and an
    /// addition, as libgit2 reports it.
    fn walked(repo: &Repository, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Vec<(String, Option<Oid>, Option<Oid>)> {
        let mut out = Vec::new();
        for c in changes(repo, old, new).unwrap().changes {
            let (o, n) = (c.old.map(|s| s.0), c.new.map(|s| s.0));
            if c.deletes() && n.is_some() {
                assert_eq!(c.base(), None);
                out.push((c.path.clone(), o, None));
                out.push((c.path, None, n));
            } else {
                assert_eq!(c.base(), o.filter(|_| n.is_some()));
                out.push((c.path, o, n));
            }
        }
        out.sort();
        out
    }

    /// Two trees that differ in every way a tree diff tells apart: a file
    /// changed, added, removed, moved deeper; a symbolic link become a file;
    /// a submodule moved to another commit, become a file, removed, added;
    /// a file become a directory and a directory a file; a mode changed;
    /// and a subtree both share (`keep/`).
    pub(crate) fn trees_differing_every_way(repo: &Repository) -> (Oid, Oid) {
        let (x, y) = (Oid::from_str(&"1".repeat(40)).unwrap(), Oid::from_str(&"2".repeat(40)).unwrap());
        let a = tree(
            repo,
            &[
                ("a.txt", Leaf::File("one\n")),
                ("dir/x.rs", Leaf::File("x\n")),
                ("dir/y.rs", Leaf::File("y\n")),
                ("keep/k.rs", Leaf::File("k\n")),
                ("link", Leaf::Link("a.txt")),
                ("module", Leaf::Submodule(x)),
                ("module2", Leaf::Submodule(x)),
                ("module3", Leaf::Submodule(x)),
                ("swap", Leaf::File("becomes a directory\n")),
                ("tree2file/inner.rs", Leaf::File("inner\n")),
                ("exec.sh", Leaf::File("#!/bin/sh\n")),
                ("gone/deep/g.rs", Leaf::File("g\n")),
            ],
        );
        let b = tree(
            repo,
            &[
                ("a.txt", Leaf::File("two\n")),
                ("dir/x.rs", Leaf::File("x\n")),
                ("dir/z.rs", Leaf::File("z\n")),
                ("keep/k.rs", Leaf::File("k\n")),
                ("link", Leaf::File("a.txt")),
                ("module", Leaf::Submodule(y)),
                ("module2", Leaf::File("no longer a submodule\n")),
                ("module4", Leaf::Submodule(y)),
                ("swap/inner.rs", Leaf::File("inside\n")),
                ("swap.rs", Leaf::File("beside\n")),
                ("tree2file", Leaf::File("now a file\n")),
                ("exec.sh", Leaf::Exec("#!/bin/sh\n")),
                ("new/deep/n.rs", Leaf::File("n\n")),
            ],
        );
        (a, b)
    }

    #[test]
    fn finds_what_libgit2s_diff_finds_and_skips_shared_trees() {
        let (_dir, repo) = temp_repo();
        let (a, b) = trees_differing_every_way(&repo);
        let (a, b) = (repo.find_tree(a).unwrap(), repo.find_tree(b).unwrap());
        let got = walked(&repo, Some(&a), &b);
        assert_eq!(got, libgit2(&repo, Some(&a), &b));
        assert!(got.iter().any(|(p, _, _)| p == "exec.sh"), "a mode change is a change: {got:?}");
        assert!(!got.iter().any(|(p, _, _)| p.starts_with("keep/") || p == "dir/x.rs"));
        // Both ways, and from the empty tree (a root commit).
        assert_eq!(walked(&repo, Some(&b), &a), libgit2(&repo, Some(&b), &a));
        assert_eq!(walked(&repo, None, &b), libgit2(&repo, None, &b));
        assert!(changes(&repo, Some(&a), &a).unwrap().changes.is_empty());
        // Pure additions and changes delete nothing.
        let c = tree(&repo, &[("a.txt", Leaf::File("one\n")), ("dir/x.rs", Leaf::File("x2\n"))]);
        let d = tree(
            &repo,
            &[("a.txt", Leaf::File("one\n")), ("dir/x.rs", Leaf::File("x3\n")), ("dir/sub/w.rs", Leaf::File("w\n"))],
        );
        let (c, d) = (repo.find_tree(c).unwrap(), repo.find_tree(d).unwrap());
        let found = changes(&repo, Some(&c), &d).unwrap().changes;
        assert!(!found.iter().any(Change::deletes));
        let paths: Vec<&str> = found.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["dir/sub/w.rs", "dir/x.rs"]);
        assert_eq!(walked(&repo, Some(&c), &d), libgit2(&repo, Some(&c), &d));
    }

    /// An entry whose name is not UTF-8 is no change but one of
    /// [`Changes::not_utf8`], by its bytes (two such names stay two), a
    /// subtree not walked; [`changes_between`] also takes an absent tree.
    #[test]
    fn names_that_are_not_utf8() {
        let (_dir, repo) = temp_repo();
        let blob = repo.blob(b"x\n").unwrap();
        let mut deep = repo.treebuilder(None).unwrap();
        deep.insert("inner.json", blob, 0o100644).unwrap();
        let deep = deep.write().unwrap();
        let mut sub = repo.treebuilder(None).unwrap();
        sub.insert(&b"bad\xff.json"[..], blob, 0o100644).unwrap();
        sub.insert(&b"bad\xfe.json"[..], blob, 0o100755).unwrap();
        sub.insert(&b"dir\xff"[..], deep, TREE_MODE).unwrap();
        sub.insert("good.json", blob, 0o100644).unwrap();
        let sub = sub.write().unwrap();
        let mut root = repo.treebuilder(None).unwrap();
        root.insert("ab", sub, TREE_MODE).unwrap();
        let tree = repo.find_tree(root.write().unwrap()).unwrap();
        let found = changes(&repo, None, &tree).unwrap();
        assert_eq!(found.changes.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), ["ab/good.json"]);
        let bad: Vec<(String, Option<(Oid, i32)>)> = found.not_utf8.iter().map(|b| (b.shown(), b.new)).collect();
        assert_eq!(
            bad,
            [
                ("ab/bad‹0xFE›.json".to_string(), Some((blob, 0o100755))),
                ("ab/bad‹0xFF›.json".to_string(), Some((blob, 0o100644))),
                ("ab/dir‹0xFF›".to_string(), Some((deep, TREE_MODE))),
            ]
        );
        assert_eq!(found.not_utf8[1].path, b"ab/bad\xff.json");
        let gone = changes_between(&repo, Some(&tree), None).unwrap();
        assert_eq!(gone.changes.len(), 1);
        assert_eq!(gone.not_utf8.len(), 3);
        assert!(gone.not_utf8.iter().all(|c| c.new.is_none() && c.old.is_some()), "{gone:?}");
    }
}
