//! Where records are kept, and how they are read, written and merged.
//!
//! Every request, approval and override lives on one branch,
//! [`RECORDS_BRANCH`] (`refs/heads/vouch-records`), as
//! `<kind dir>/<id[0..2]>/<id>.json` (`requests/`, `approvals/`,
//! `overrides/`). A branch, because what keeps a record from being erased is
//! the forge refusing force-pushes and deletions of it, and git's
//! `receive.denyNonFastForwards` and `receive.denyDeletes` and forge branch
//! protection cover `refs/heads/*`, not custom refs. Its name is one path
//! component, so it cannot clash with a user's branch `vouch` (a ref cannot
//! be a file and a directory at once).
//!
//! **A record counts if any commit of the branch's history added it** (with
//! the content that hashes to its id): a later commit that deletes the file
//! removes nothing, so the only way to lose a record is to rewrite the
//! branch, which protection refuses. Reading walks the history: each commit
//! is compared with its first parent (merges included), and every file
//! added or changed is checked as [`super::verify`] does; a shallow history
//! is refused, never read in part. Invalid files count only while they are
//! at the tip (see [`State::bad`]): they never were records, and a commit
//! that removes one should be able to clear the refusal it causes.
//!
//! Writers append commits and move the branch with a compare-and-swap,
//! retrying when another writer got there first, so writers in separate
//! processes never lose a record. Two versions of the branch (a clone's and
//! its remote's) merge as the union of their files in a merge commit with
//! both parents ([`merge_union`]), never a rewrite.
//!
//! Before this branch, vouch kept each kind under its own custom ref
//! ([`Kind::legacy_ref`], `<id[0..2]>/<id>.json` at the root). Those refs
//! are still read, the same way, and [`migrate`] copies what they hold onto
//! the branch (`vouch init`, `vouch sync`); nothing writes them any more.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use git2::{ErrorCode, FileMode, ObjectType, Oid, Repository, Signature, Tree, build::TreeUpdateBuilder};

use super::{BadRecord, Kind, Listing, Record, RecordError, Stored, canonical_bytes, is_hex, verify};
use crate::fingerprint::sha256_hex;
use crate::store::repo::RefUpdateError;
use crate::store::tree_diff;

/// The branch that holds every record. Protect it on the remote from
/// force-pushes and deletions (see docs/trust.md, "Protecting the records").
pub const RECORDS_BRANCH: &str = "refs/heads/vouch-records";

/// Where [`migrate`] notes how far it has copied each legacy ref.
pub const MIGRATED_PREFIX: &str = "refs/vouch/migrated/";

/// How a tree holds records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The records branch: `<kind dir>/<id[0..2]>/<id>.json`, every kind.
    Branch,
    /// A legacy ref of one kind: `<id[0..2]>/<id>.json` at the root.
    Legacy(Kind),
}

impl Layout {
    /// The directory that holds records of `kind` in a tree of this layout
    /// (`""`: the root); `None` when it holds none.
    pub fn dir(self, kind: Kind) -> Option<&'static str> {
        match self {
            Layout::Branch => Some(kind.dir()),
            Layout::Legacy(k) if k == kind => Some(""),
            Layout::Legacy(_) => None,
        }
    }
}

/// A ref that records of one kind are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    ref_name: &'static str,
    dir: &'static str,
    tip: Oid,
}

/// The commit `ref_name` points to; `None` when there is no such ref.
fn ref_tip(repo: &Repository, ref_name: &'static str) -> Result<Option<Oid>, RecordError> {
    match repo.find_reference(ref_name) {
        Ok(reference) => {
            let commit =
                reference.peel_to_commit().map_err(|_| RecordError::NotACommit { ref_name: ref_name.to_string() })?;
            Ok(Some(commit.id()))
        }
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(RecordError::Git { ref_name, source: e }),
    }
}

/// The refs that hold records of `kind` here: the branch, then the legacy
/// ref, each when it exists.
fn sources(repo: &Repository, kind: Kind) -> Result<Vec<Source>, RecordError> {
    let mut out = Vec::new();
    let legacy = kind.legacy_ref().map(|r| (r, Layout::Legacy(kind)));
    for (ref_name, layout) in std::iter::once((RECORDS_BRANCH, Layout::Branch)).chain(legacy) {
        if let (Some(tip), Some(dir)) = (ref_tip(repo, ref_name)?, layout.dir(kind)) {
            out.push(Source { ref_name, dir, tip });
        }
    }
    Ok(out)
}

/// The tips of the refs that hold records of `kind`, as a read of them
/// leaves [`State::tips`]: `(ref, tip)`, sorted.
pub(super) fn current_tips(repo: &Repository, kind: Kind) -> Result<Vec<(String, Oid)>, RecordError> {
    let mut tips: Vec<(String, Oid)> =
        sources(repo, kind)?.into_iter().map(|s| (s.ref_name.to_string(), s.tip)).collect();
    tips.sort();
    Ok(tips)
}

/// What the records of `kind` are read from, as a marker of change: the
/// records branch's tip (a legacy ref's before the branch exists); `None`
/// before the first record.
pub fn tip(repo: &Repository, kind: Kind) -> Result<Option<Oid>, RecordError> {
    match ref_tip(repo, RECORDS_BRANCH)? {
        Some(tip) => Ok(Some(tip)),
        None => match kind.legacy_ref() {
            Some(legacy) => ref_tip(repo, legacy),
            None => Ok(None),
        },
    }
}

/// The path of record `id` below its kind's directory.
fn record_path(id: &str) -> String {
    format!("{}/{id}.json", &id[..2])
}

/// `dir/rel`, or `rel` for the root.
fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() { rel.to_string() } else { format!("{dir}/{rel}") }
}

// ---------------------------------------------------------------------------
// Reading

/// What reading the records of one kind found; the cache keeps it.
#[derive(Debug, Clone)]
pub(super) struct State<R> {
    /// Each source read, with the tip its history was read to.
    pub tips: Vec<(String, Oid)>,
    /// Every valid record that a commit of a source's history added: id →
    /// (its blob, the record).
    pub records: BTreeMap<String, (Oid, R)>,
    /// Files at a source's tip that are not valid records: (source, path) →
    /// why. A bad file that a later commit removed is not reported: it never
    /// was a record, so dropping it loses nothing.
    pub bad: BTreeMap<(String, String), String>,
    /// Commits compared to bring this state up to date (not kept).
    pub walked: usize,
    /// Whether the last read started from nothing (no earlier read, or one
    /// that no longer describes the refs' history), so that it holds every
    /// record, not only those added since an earlier read (not kept).
    pub whole: bool,
}

impl<R: Record> State<R> {
    pub fn empty() -> State<R> {
        State { tips: Vec::new(), records: BTreeMap::new(), bad: BTreeMap::new(), walked: 0, whole: false }
    }

    pub fn listing(self) -> Listing<R> {
        Listing {
            records: self.records.into_iter().map(|(id, (_, record))| Stored { id, record }).collect(),
            bad: self
                .bad
                .into_iter()
                .map(|((source, path), reason)| BadRecord { kind: R::KIND, source, path, reason })
                .collect(),
        }
    }
}

/// Reads the records of `R` from every source. `known` is an earlier read:
/// when each of its tips is still in the history of the same source, only
/// the commits since are walked and only the files changed at the tips are
/// checked; else everything is read again.
pub(super) fn read<R: Record>(repo: &Repository, known: Option<State<R>>) -> Result<State<R>, RecordError> {
    let sources = sources(repo, R::KIND)?;
    let mut state = match known {
        Some(known) if still_valid(repo, &known.tips, &sources) => State { whole: false, ..known },
        _ => State { whole: true, ..State::empty() },
    };
    state.walked = 0;
    let mut shallow = None;
    for source in &sources {
        let old = state.tips.iter().find(|(r, _)| r == source.ref_name).map(|(_, tip)| *tip);
        if old == Some(source.tip) {
            continue;
        }
        let shallow = shallow.get_or_insert_with(|| crate::store::repo::shallow_commits(repo));
        state.walked += walk_history(repo, source, old, shallow, &mut state.records)?;
        update_bad(repo, source, old, &mut state)?;
        state.tips.retain(|(r, _)| r != source.ref_name);
        state.tips.push((source.ref_name.to_string(), source.tip));
    }
    state.tips.sort();
    Ok(state)
}

/// Whether `tips` (an earlier read) describe part of the current history of
/// `sources`: every ref read then is still there, at the same commit or a
/// later one.
fn still_valid(repo: &Repository, tips: &[(String, Oid)], sources: &[Source]) -> bool {
    tips.iter().all(|(name, old)| {
        sources
            .iter()
            .any(|s| s.ref_name == name && (s.tip == *old || repo.graph_descendant_of(s.tip, *old).unwrap_or(false)))
    })
}

/// The records directory `dir` of `commit` as a tree (`""`: its whole
/// tree); `None` when there is none, or something else stands there.
fn commit_subtree<'r>(
    repo: &'r Repository,
    commit: &git2::Commit<'r>,
    dir: &str,
) -> Result<Option<Tree<'r>>, git2::Error> {
    Ok(Dir::of(repo, commit, dir)?.into_tree())
}

/// The files each commit reachable from `source.tip` (and not from `old`)
/// added or changed against its first parent (merges included; a root
/// commit against the empty tree), every kind's files at once, and how
/// many commits were compared. A process that reads
/// several kinds from one branch (approvals and requests, for every
/// judgement) walks it once: the last walk is kept, by repository, tip and
/// starting point.
///
/// The comparisons skip every subtree a commit shares with its parent
/// ([`tree_diff::changes_between`]), so they follow what each commit changed;
/// a parent's trees are the ones its child's comparison just read, which
/// libgit2's object cache still holds. Replacement refs play no part:
/// libgit2 does not apply them.
fn changed_files(repo: &Repository, source: &Source, old: Option<Oid>) -> Result<std::sync::Arc<Walked>, RecordError> {
    type Key = (std::path::PathBuf, Oid, Option<Oid>);
    static LAST: std::sync::Mutex<Option<(Key, std::sync::Arc<Walked>)>> = std::sync::Mutex::new(None);
    let key = (repo.path().to_path_buf(), source.tip, old);
    if let Some((k, out)) = LAST.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
        && *k == key
    {
        return Ok(out.clone());
    }
    let git = |e: git2::Error| RecordError::Git { ref_name: source.ref_name, source: e };
    let mut walk = repo.revwalk().map_err(git)?;
    walk.push(source.tip).map_err(git)?;
    if let Some(old) = old {
        walk.hide(old).map_err(git)?;
    }
    let mut out = Walked::default();
    for oid in walk {
        let commit = repo.find_commit(oid.map_err(git)?).map_err(git)?;
        out.commits += 1;
        let tree = commit.tree().map_err(git)?;
        let parent = match commit.parent_ids().next() {
            Some(parent) => Some(repo.find_commit(parent).and_then(|p| p.tree()).map_err(git)?),
            None => None,
        };
        // A name that is not UTF-8 is no record's: the directory's scan
        // reports it as an invalid entry.
        for change in tree_diff::changes(repo, parent.as_ref(), &tree).map_err(git)?.changes {
            if let Some((blob, mode)) = change.new
                && mode & 0o170000 == 0o100000
            {
                out.files.push((change.path, blob));
            }
        }
    }
    let out = std::sync::Arc::new(out);
    *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, out.clone()));
    Ok(out)
}

/// What [`changed_files`] found.
#[derive(Debug, Default)]
struct Walked {
    /// Regular files added or changed, with their blobs, in walk order.
    files: Vec<(String, Oid)>,
    /// Commits compared.
    commits: usize,
}

/// Adds to `records` every valid record that a commit reachable from the
/// source's tip, and not from `old`, added ([`changed_files`]); returns how
/// many commits were compared. A shallow history is refused rather than
/// read in part.
fn walk_history<R: Record>(
    repo: &Repository,
    source: &Source,
    old: Option<Oid>,
    shallow: &Option<HashSet<Oid>>,
    records: &mut BTreeMap<String, (Oid, R)>,
) -> Result<usize, RecordError> {
    let git = |e: git2::Error| RecordError::Git { ref_name: source.ref_name, source: e };
    if shallow.as_ref().is_none_or(|s| !s.is_empty()) {
        let mut walk = repo.revwalk().map_err(git)?;
        walk.push(source.tip).map_err(git)?;
        if let Some(old) = old {
            walk.hide(old).map_err(git)?;
        }
        for oid in walk {
            let oid = oid.map_err(git)?;
            if shallow.as_ref().is_none_or(|s| s.contains(&oid)) {
                return Err(RecordError::Shallow { ref_name: source.ref_name.to_string() });
            }
        }
    }
    let walked = changed_files(repo, source, old)?;
    let prefix = if source.dir.is_empty() { String::new() } else { format!("{}/", source.dir) };
    for (path, blob) in &walked.files {
        let Some(id) = path.strip_prefix(prefix.as_str()).and_then(record_id) else { continue };
        if records.contains_key(id) {
            // Content-addressed: other content under this name fails its
            // hash, and the same content is the record we have.
            continue;
        }
        if let Ok(content) = repo.find_blob(*blob)
            && let Ok(record) = verify::<R>(id, content.content())
        {
            records.insert(id.to_string(), (*blob, record));
        }
    }
    Ok(walked.commits)
}

/// What a commit has at a records directory.
enum Dir<'r> {
    Absent,
    Tree(Tree<'r>),
    /// Something else under that name: reported as an invalid entry.
    NotATree,
}

impl<'r> Dir<'r> {
    fn of(repo: &'r Repository, commit: &git2::Commit<'r>, dir: &str) -> Result<Dir<'r>, git2::Error> {
        let tree = commit.tree()?;
        if dir.is_empty() {
            return Ok(Dir::Tree(tree));
        }
        Ok(match tree.get_name(dir) {
            None => Dir::Absent,
            Some(entry) if entry.kind() == Some(ObjectType::Tree) => Dir::Tree(repo.find_tree(entry.id())?),
            Some(_) => Dir::NotATree,
        })
    }

    fn tree(&self) -> Option<&Tree<'r>> {
        match self {
            Dir::Tree(tree) => Some(tree),
            _ => None,
        }
    }

    fn into_tree(self) -> Option<Tree<'r>> {
        match self {
            Dir::Tree(tree) => Some(tree),
            _ => None,
        }
    }
}

/// Brings the invalid files of `source`'s tip in `state` up to date: from
/// the files changed since `old` when that is all of the usual shape, else
/// by reading the tip's directory again.
fn update_bad<R: Record>(
    repo: &Repository,
    source: &Source,
    old: Option<Oid>,
    state: &mut State<R>,
) -> Result<(), RecordError> {
    let git = |e: git2::Error| RecordError::Git { ref_name: source.ref_name, source: e };
    let key = |path: String| (source.ref_name.to_string(), path);
    let new = Dir::of(repo, &repo.find_commit(source.tip).map_err(git)?, source.dir).map_err(git)?;
    if let Some(old) = old {
        let before = Dir::of(repo, &repo.find_commit(old).map_err(git)?, source.dir).map_err(git)?;
        if !matches!(before, Dir::NotATree) && !matches!(new, Dir::NotATree) {
            let changes = tree_changes(repo, before.tree(), new.tree()).map_err(git)?;
            if changes.iter().all(|(path, _)| record_name(path).is_some()) {
                for (rel, change) in changes {
                    let path = join(source.dir, &rel);
                    state.bad.remove(&key(path.clone()));
                    let Some((id, object)) = change else { continue };
                    let (dir, file) = record_name(&rel).expect("checked above");
                    if let Err(reason) = check_entry(repo, dir, file, id, object, &mut state.records) {
                        state.bad.insert(key(path), reason);
                    }
                }
                return Ok(());
            }
        }
    }
    state.bad.retain(|(s, _), _| s != source.ref_name);
    match new {
        Dir::Absent => {}
        Dir::NotATree => {
            state.bad.insert(key(source.dir.to_string()), "not a directory".into());
        }
        Dir::Tree(tree) => {
            let mut found = Vec::new();
            scan(repo, &tree, &mut state.records, &mut found);
            for (rel, reason) in found {
                state.bad.insert(key(join(source.dir, &rel)), reason);
            }
        }
    }
    Ok(())
}

/// The invalid files of a records directory (`<id[0..2]>/<id>.json`), as
/// `(path, reason)`; records not yet in `records` that are valid are added.
fn scan<R: Record>(
    repo: &Repository,
    tree: &Tree<'_>,
    records: &mut BTreeMap<String, (Oid, R)>,
    bad: &mut Vec<(String, String)>,
) {
    for top in tree.iter() {
        let name = crate::display::lossless_text(top.name_bytes()).into_owned();
        if top.kind() != Some(ObjectType::Tree) || !is_hex(&name, 2) {
            bad.push((name, "unexpected entry (records live in <id[0..2]>/<id>.json)".into()));
            continue;
        }
        let sub = match repo.find_tree(top.id()) {
            Ok(sub) => sub,
            Err(e) => {
                bad.push((name, format!("cannot read the directory: {}", e.message())));
                continue;
            }
        };
        for entry in sub.iter() {
            let file = crate::display::lossless_text(entry.name_bytes()).into_owned();
            if let Err(reason) = check_entry(repo, &name, &file, entry.id(), entry.kind(), records) {
                bad.push((format!("{name}/{file}"), reason));
            }
        }
    }
}

/// Whether the entry `dir/file` (object `id`) is a valid record of `R`;
/// a valid one not yet in `records` is added.
fn check_entry<R: Record>(
    repo: &Repository,
    dir: &str,
    file: &str,
    id: Oid,
    object: Option<ObjectType>,
    records: &mut BTreeMap<String, (Oid, R)>,
) -> Result<(), String> {
    let record_id = match file.strip_suffix(".json") {
        Some(rid) if is_hex(rid, 64) && rid.starts_with(dir) => rid,
        _ => return Err("unexpected file name (records are <id[0..2]>/<id>.json)".into()),
    };
    if object != Some(ObjectType::Blob) {
        return Err("not a file".into());
    }
    if records.get(record_id).is_some_and(|(blob, _)| *blob == id) {
        return Ok(());
    }
    let blob = repo.find_blob(id).map_err(|e| format!("cannot read the file: {}", e.message()))?;
    let record = verify::<R>(record_id, blob.content())?;
    records.entry(record_id.to_string()).or_insert((id, record));
    Ok(())
}

/// `(dir, file)` of a path of the usual shape `<2 hex>/<name>`.
fn record_name(path: &str) -> Option<(&str, &str)> {
    let (dir, file) = path.split_once('/')?;
    (is_hex(dir, 2) && !file.contains('/')).then_some((dir, file))
}

/// The id of a record file at `path` (`<id[0..2]>/<id>.json`).
fn record_id(path: &str) -> Option<&str> {
    let (dir, file) = record_name(path)?;
    let id = file.strip_suffix(".json")?;
    (is_hex(id, 64) && id.starts_with(dir)).then_some(id)
}

/// The object at a path afterwards, with its kind (`None`: removed).
type After = Option<(Oid, Option<ObjectType>)>;

/// The files that differ between `old` and `new` (either may be absent),
/// with paths below them, each with the object there afterwards (`None`:
/// removed) and its kind; subtrees both share are not read
/// ([`tree_diff::changes_between`]). A name that is not UTF-8 is spelled
/// as [`crate::display::lossless_text`] spells it, which no valid record's
/// name is: it is an invalid entry.
fn tree_changes(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
) -> Result<Vec<(String, After)>, git2::Error> {
    let kind = |mode: i32| match mode & 0o170000 {
        0o160000 => ObjectType::Commit,
        0o040000 => ObjectType::Tree,
        _ => ObjectType::Blob,
    };
    let changes = tree_diff::changes_between(repo, old, new)?;
    let not_utf8 = changes.not_utf8.into_iter().map(|c| (c.shown(), c.new));
    Ok(changes
        .changes
        .into_iter()
        .map(|c| (c.path, c.new))
        .chain(not_utf8)
        .map(|(path, new)| (path, new.map(|(id, mode)| (id, Some(kind(mode))))))
        .collect())
}

/// The records of `R` here, reading and verifying every commit of every
/// source's history, whatever was read before.
pub(super) fn list_uncached<R: Record>(repo: &Repository) -> Result<Listing<R>, RecordError> {
    Ok(read::<R>(repo, None)?.listing())
}

/// The invalid record files that `theirs` (a fetched version of a ref laid
/// out as `layout`) has and `ours` does not, shown as being in `shown`.
pub fn incoming_bad(
    repo: &Repository,
    layout: Layout,
    shown: &str,
    ours: Option<Oid>,
    theirs: Oid,
) -> Result<Vec<BadRecord>, RecordError> {
    let git = |e: git2::Error| RecordError::Git { ref_name: "fetched records", source: e };
    let theirs = repo.find_commit(theirs).map_err(git)?;
    let ours = ours.map(|o| repo.find_commit(o)).transpose().map_err(git)?;
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let Some(dir) = layout.dir(kind) else { continue };
        let new = commit_subtree(repo, &theirs, dir).map_err(git)?;
        let old = match &ours {
            Some(o) => commit_subtree(repo, o, dir).map_err(git)?,
            None => None,
        };
        for (rel, change) in tree_changes(repo, old.as_ref(), new.as_ref()).map_err(git)? {
            let Some((id, object)) = change else { continue };
            let path = join(dir, &rel);
            let result = match record_name(&rel) {
                None => Err("unexpected entry (records live in <id[0..2]>/<id>.json)".to_string()),
                Some((d, file)) => match kind {
                    Kind::Request => check_entry::<super::Request>(repo, d, file, id, object, &mut BTreeMap::new()),
                    Kind::Approval => check_entry::<super::Approval>(repo, d, file, id, object, &mut BTreeMap::new()),
                    Kind::Override => check_entry::<super::Override>(repo, d, file, id, object, &mut BTreeMap::new()),
                    Kind::Withdrawal => {
                        check_entry::<super::Withdrawal>(repo, d, file, id, object, &mut BTreeMap::new())
                    }
                },
            };
            if let Err(reason) = result {
                out.push(BadRecord { kind, source: shown.to_string(), path, reason });
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Writing

/// Stores `record` (after checking it) on the records branch and returns
/// its id. Adding a record that is at the branch's tip already changes
/// nothing.
pub fn add<R: Record>(repo: &Repository, record: &R) -> Result<String, RecordError> {
    let kind = R::KIND;
    record.validate().map_err(|reason| RecordError::Invalid { kind, reason })?;
    let git = |source| RecordError::Git { ref_name: RECORDS_BRANCH, source };
    let bytes = canonical_bytes(record);
    let id = sha256_hex(&bytes);
    let path = join(kind.dir(), &record_path(&id));
    let blob = crate::store::repo::retry_object_write(|| repo.blob(&bytes)).map_err(git)?;
    update_ref(repo, RECORDS_BRANCH, |current| {
        let base = match current {
            Some(commit) => repo.find_commit(commit)?.tree()?,
            None => empty_tree(repo)?,
        };
        if base.get_path(Path::new(&path)).is_ok_and(|entry| entry.id() == blob) {
            return Ok(None);
        }
        // A file of that name with other content is corrupt; the name proves
        // this content right, so it replaces it.
        let mut update = TreeUpdateBuilder::new();
        update.upsert(path.as_str(), blob, FileMode::Blob);
        let tree = update.create_updated(repo, &base)?;
        let parents: Vec<Oid> = current.into_iter().collect();
        Ok(Some(make_commit(repo, tree, &parents, &format!("vouch: add {} {id}", kind.type_name()))?))
    })?;
    Ok(id)
}

/// Moves `ref_name` from its current tip to the commit `next` makes from it
/// (`None`: nothing to do), with a compare-and-swap; on a race, reads the
/// new tip and asks `next` again ([`crate::store::repo::update_ref`]).
fn update_ref(
    repo: &Repository,
    ref_name: &'static str,
    mut next: impl FnMut(Option<Oid>) -> Result<Option<Oid>, git2::Error>,
) -> Result<Option<Oid>, RecordError> {
    let tip = || ref_tip(repo, ref_name);
    let git = |source| RecordError::Git { ref_name, source };
    let next = |current| crate::store::repo::retry_object_write(|| next(current)).map_err(git);
    crate::store::repo::update_ref(repo, ref_name, tip, next, git).map_err(|e| match e {
        RefUpdateError::Failed(e) => e,
        RefUpdateError::Stuck(stuck) => RecordError::Stuck { ref_name, stuck },
    })
}

pub(super) fn empty_tree(repo: &Repository) -> Result<Tree<'_>, git2::Error> {
    let oid = repo.treebuilder(None)?.write()?;
    repo.find_tree(oid)
}

pub(super) fn make_commit(repo: &Repository, tree: Oid, parents: &[Oid], message: &str) -> Result<Oid, git2::Error> {
    // The commits are bookkeeping, so they carry vouch's name rather than
    // the user's (who may have no identity configured); the records inside
    // say who did what.
    let signature = Signature::now("vouch", "vouch@localhost")?;
    let tree = repo.find_tree(tree)?;
    let parents = parents.iter().map(|p| repo.find_commit(*p)).collect::<Result<Vec<_>, _>>()?;
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(None, &signature, &signature, message, &tree, &parents)
}

// ---------------------------------------------------------------------------
// Merging and migrating

/// What [`merge_union`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// The ref's tip afterwards.
    pub tip: Oid,
    /// Files the other version added.
    pub added: usize,
    /// Paths present in both versions with different content: ours was
    /// kept. By construction this cannot happen; one of them is corrupt.
    pub conflicts: Vec<String>,
}

/// Merges another version of `ref_name` (the commit `other`, e.g. the
/// remote's tip after a fetch) into the local ref: the result's tree is the
/// union of both trees. When ours already holds everything nothing changes;
/// when the other version is ours plus more, the ref fast-forwards; else a
/// merge commit with both parents is made, so that both histories (and every
/// record they added) stay, and pushing it is a fast-forward for the remote.
pub fn merge_union(repo: &Repository, ref_name: &'static str, other: Oid) -> Result<MergeOutcome, RecordError> {
    let git = |source| RecordError::Git { ref_name, source };
    let theirs = repo.find_commit(other).map_err(|_| RecordError::NotACommit { ref_name: other.to_string() })?;
    let theirs_tree = theirs.tree().map_err(git)?;
    let mut added = 0;
    let mut conflicts = Vec::new();
    let tip = update_ref(repo, ref_name, |current| {
        added = 0;
        conflicts.clear();
        let Some(ours) = current else {
            added = count_files(repo, &theirs_tree)?;
            return Ok(Some(other));
        };
        if ours == other || repo.graph_descendant_of(ours, other)? {
            return Ok(None);
        }
        let ours_tree = repo.find_commit(ours)?.tree()?;
        let union = union_trees(repo, &ours_tree, &theirs_tree, "", &mut added, &mut conflicts)?;
        if union == theirs_tree.id() && repo.graph_descendant_of(other, ours)? {
            return Ok(Some(other));
        }
        let message = format!("vouch: merge {ref_name} {other}");
        Ok(Some(make_commit(repo, union, &[ours, other], &message)?))
    })?;
    let tip = tip.ok_or_else(|| RecordError::NotACommit { ref_name: ref_name.to_string() })?;
    Ok(MergeOutcome { tip, added, conflicts })
}

/// The union of two trees: everything of `ours`, plus what only `theirs`
/// has; where both have a path with different content, ours (reported).
fn union_trees(
    repo: &Repository,
    ours: &Tree<'_>,
    theirs: &Tree<'_>,
    prefix: &str,
    added: &mut usize,
    conflicts: &mut Vec<String>,
) -> Result<Oid, git2::Error> {
    let mut builder = repo.treebuilder(Some(ours))?;
    let mut changed = false;
    for entry in theirs.iter() {
        let name = entry.name_bytes();
        let path = format!("{prefix}{}", String::from_utf8_lossy(name));
        match ours.get_name_bytes(name) {
            None => {
                *added += match entry.kind() {
                    Some(ObjectType::Tree) => count_files(repo, &repo.find_tree(entry.id())?)?,
                    _ => 1,
                };
                builder.insert(bytes_path(name), entry.id(), entry.filemode())?;
                changed = true;
            }
            Some(o) if o.id() == entry.id() => {}
            Some(o) if o.kind() == Some(ObjectType::Tree) && entry.kind() == Some(ObjectType::Tree) => {
                let (a, b) = (repo.find_tree(o.id())?, repo.find_tree(entry.id())?);
                let sub = union_trees(repo, &a, &b, &format!("{path}/"), added, conflicts)?;
                if sub != o.id() {
                    builder.insert(bytes_path(name), sub, o.filemode())?;
                    changed = true;
                }
            }
            Some(_) => conflicts.push(path),
        }
    }
    if changed { builder.write() } else { Ok(ours.id()) }
}

fn bytes_path(name: &[u8]) -> &Path {
    use std::os::unix::ffi::OsStrExt;
    Path::new(std::ffi::OsStr::from_bytes(name))
}

fn count_files(repo: &Repository, tree: &Tree<'_>) -> Result<usize, git2::Error> {
    let mut n = 0;
    for entry in tree.iter() {
        n += match entry.kind() {
            Some(ObjectType::Tree) => count_files(repo, &repo.find_tree(entry.id())?)?,
            _ => 1,
        };
    }
    Ok(n)
}

/// Records [`migrate`] copied from one legacy ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub from: &'static str,
    pub records: usize,
}

/// Copies every valid record on the legacy refs (`refs/vouch/requests`,
/// `refs/vouch/approvals`, `refs/vouch/overrides`) that is not at the
/// records branch's tip onto the branch, in one commit. How far each legacy
/// ref was copied is kept under [`MIGRATED_PREFIX`], so that running it
/// again reads only what the legacy ref gained since. The legacy refs are
/// left as they are, for older clients.
pub fn migrate(repo: &Repository) -> Result<Vec<Migrated>, RecordError> {
    // Per legacy ref: its tip, and the (id, blob) of the records it holds.
    type Pending = (Kind, &'static str, Oid, Vec<(String, Oid)>);
    let mut pending: Vec<Pending> = Vec::new();
    for kind in Kind::ALL {
        let Some(legacy) = kind.legacy_ref() else { continue };
        let Some(tip) = ref_tip(repo, legacy)? else { continue };
        let marker = format!("{MIGRATED_PREFIX}{}", kind.dir());
        let done = repo.refname_to_id(&marker).ok();
        if done == Some(tip) {
            continue;
        }
        let done = done.filter(|d| repo.graph_descendant_of(tip, *d).unwrap_or(false));
        let source = Source { ref_name: legacy, dir: "", tip };
        let found: Vec<(String, Oid)> = match kind {
            Kind::Request => collect::<super::Request>(repo, &source, done)?,
            Kind::Approval => collect::<super::Approval>(repo, &source, done)?,
            Kind::Override => collect::<super::Override>(repo, &source, done)?,
            Kind::Withdrawal => collect::<super::Withdrawal>(repo, &source, done)?,
        };
        pending.push((kind, legacy, tip, found));
    }
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let mut counts: Vec<Migrated> = Vec::new();
    update_ref(repo, RECORDS_BRANCH, |current| {
        counts.clear();
        let base = match current {
            Some(commit) => repo.find_commit(commit)?.tree()?,
            None => empty_tree(repo)?,
        };
        let mut update = TreeUpdateBuilder::new();
        let mut any = false;
        for (kind, legacy, _, found) in &pending {
            let mut n = 0;
            for (id, blob) in found {
                let path = join(kind.dir(), &record_path(id));
                if base.get_path(Path::new(&path)).is_ok_and(|e| e.id() == *blob) {
                    continue;
                }
                update.upsert(path.as_str(), *blob, FileMode::Blob);
                n += 1;
            }
            if n > 0 {
                counts.push(Migrated { from: legacy, records: n });
                any = true;
            }
        }
        if !any {
            return Ok(None);
        }
        let tree = update.create_updated(repo, &base)?;
        let parents: Vec<Oid> = current.into_iter().collect();
        let what = counts.iter().map(|m| format!("{} from {}", m.records, m.from)).collect::<Vec<_>>().join(", ");
        Ok(Some(make_commit(repo, tree, &parents, &format!("vouch: move records to the records branch ({what})"))?))
    })?;
    for (kind, legacy, tip, _) in &pending {
        let marker = format!("{MIGRATED_PREFIX}{}", kind.dir());
        repo.reference(&marker, *tip, true, "vouch: migrated")
            .map_err(|source| RecordError::Git { ref_name: legacy, source })?;
    }
    Ok(counts)
}

/// `(id, blob)` of every valid record that a commit of `source`'s history
/// since `done` added.
fn collect<R: Record>(
    repo: &Repository,
    source: &Source,
    done: Option<Oid>,
) -> Result<Vec<(String, Oid)>, RecordError> {
    let mut records = BTreeMap::<String, (Oid, R)>::new();
    walk_history(repo, source, done, &crate::store::repo::shallow_commits(repo), &mut records)?;
    Ok(records.into_iter().map(|(id, (blob, _))| (id, blob)).collect())
}

#[cfg(test)]
mod tests {
    use super::super::{Approval, Person, Request, list};
    use super::*;
    use crate::policy::Verdict;
    use crate::store::repo::tests::{git, temp_repo};

    fn approval(n: u32) -> Approval {
        let reviewer = Person { name: "rev".into(), email: "rev@example.com".into() };
        Approval {
            created: "2026-01-31T09:05:00.000Z".into(),
            ..Approval::new(
                "0123456789abcdef0123456789abcdef01234567",
                &sha256_hex(format!("unit {n}").as_bytes()),
                Verdict::Approve,
                reviewer,
            )
        }
    }

    /// A commit laid out as a legacy ref: `<id[0..2]>/<id>.json` at the root.
    fn legacy_commit(repo: &Repository, records: &[Approval], parent: Option<Oid>) -> Oid {
        let mut update = TreeUpdateBuilder::new();
        for record in records {
            let bytes = canonical_bytes(record);
            update.upsert(record_path(&sha256_hex(&bytes)), repo.blob(&bytes).unwrap(), FileMode::Blob);
        }
        let base = match parent {
            Some(p) => repo.find_commit(p).unwrap().tree().unwrap(),
            None => empty_tree(repo).unwrap(),
        };
        let tree = update.create_updated(repo, &base).unwrap();
        let parents: Vec<Oid> = parent.into_iter().collect();
        make_commit(repo, tree, &parents, "old vouch").unwrap()
    }

    fn ids<R>(listing: &Listing<R>) -> Vec<String> {
        listing.records.iter().map(|s| s.id.clone()).collect()
    }

    #[test]
    fn legacy_refs_are_read_and_migrated_once() {
        let (_dir, repo) = temp_repo();
        let first = legacy_commit(&repo, &[approval(1), approval(2)], None);
        repo.reference(Kind::Approval.legacy_ref().unwrap(), first, true, "old").unwrap();
        add(&repo, &approval(3)).unwrap();
        // Read from both places, the branch knowing nothing of the legacy ref.
        assert_eq!(list::<Approval>(&repo).unwrap().records.len(), 3);
        assert_eq!(list_uncached::<Approval>(&repo).unwrap().records.len(), 3);
        assert!(list::<Request>(&repo).unwrap().records.is_empty());

        let moved = migrate(&repo).unwrap();
        assert_eq!(moved, [Migrated { from: "refs/vouch/approvals", records: 2 }]);
        let branch = repo.find_reference(RECORDS_BRANCH).unwrap().peel_to_tree().unwrap();
        for n in 1..=3 {
            let id = super::super::id_of(&approval(n));
            assert!(branch.get_path(Path::new(&format!("approvals/{}", record_path(&id)))).is_ok(), "{n}");
        }
        // Nothing new: nothing to do, and the legacy history is not read again.
        let tip = ref_tip(&repo, RECORDS_BRANCH).unwrap();
        assert!(migrate(&repo).unwrap().is_empty());
        assert_eq!(ref_tip(&repo, RECORDS_BRANCH).unwrap(), tip);
        // An older client adds one more: only that one moves.
        let second = legacy_commit(&repo, &[approval(4)], Some(first));
        repo.reference(Kind::Approval.legacy_ref().unwrap(), second, true, "old").unwrap();
        assert_eq!(migrate(&repo).unwrap(), [Migrated { from: "refs/vouch/approvals", records: 1 }]);
        // With the legacy ref gone, the branch holds everything.
        repo.find_reference(Kind::Approval.legacy_ref().unwrap()).unwrap().delete().unwrap();
        let listing = list::<Approval>(&repo).unwrap();
        assert_eq!(listing.records.len(), 4);
        assert_eq!(ids(&listing), ids(&list_uncached::<Approval>(&repo).unwrap()));
    }

    #[test]
    fn the_records_of_a_history_cut_short_are_not_trusted() {
        let (dir, repo) = temp_repo();
        for n in 0..3 {
            add(&repo, &approval(n)).unwrap();
        }
        let clone = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().display());
        git(clone.path(), &["clone", "-q", "--depth", "1", "--branch", "vouch-records", &url, "c"]);
        let shallow = Repository::open(clone.path().join("c")).unwrap();
        assert!(shallow.find_reference(RECORDS_BRANCH).is_ok(), "the clone checked out the records branch");
        let err = list_uncached::<Approval>(&shallow).unwrap_err();
        assert!(matches!(err, RecordError::Shallow { .. }), "{err}");
        assert!(err.to_string().contains("git fetch --unshallow"), "{err}");
        git(&clone.path().join("c"), &["fetch", "-q", "--unshallow"]);
        assert_eq!(list_uncached::<Approval>(&shallow).unwrap().records.len(), 3);
    }

    #[test]
    fn incoming_bad_files_are_those_the_other_side_brings() {
        let (_dir, repo) = temp_repo();
        add(&repo, &approval(1)).unwrap();
        let ours = ref_tip(&repo, RECORDS_BRANCH).unwrap().unwrap();
        add(&repo, &approval(2)).unwrap();
        let head = repo.find_commit(ref_tip(&repo, RECORDS_BRANCH).unwrap().unwrap()).unwrap();
        let mut update = TreeUpdateBuilder::new();
        let junk = repo.blob(b"{}").unwrap();
        update.upsert(format!("approvals/{}", record_path(&"ab".repeat(32))), junk, FileMode::Blob);
        update.upsert("requests/README", junk, FileMode::Blob);
        let tree = update.create_updated(&repo, &head.tree().unwrap()).unwrap();
        let theirs = make_commit(&repo, tree, &[head.id()], "theirs").unwrap();
        let bad = incoming_bad(&repo, Layout::Branch, "origin's branch", Some(ours), theirs).unwrap();
        let mut shown: Vec<String> = bad.iter().map(ToString::to_string).collect();
        shown.sort();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0]
                .starts_with(&format!("origin's branch:approvals/ab/{}.json: content does not match", "ab".repeat(32))),
            "{shown:?}"
        );
        assert!(shown[1].starts_with("origin's branch:requests/README: unexpected entry"), "{shown:?}");
    }
}
