//! Snapshots an agent hook takes before a tool runs (Claude Code's
//! `PreToolUse`), so that the hook after it (`PostToolUse`) records exactly
//! what the tool changed: the difference between the snapshot and the
//! files after it. Not the journal: a snapshot says nothing about origin
//! and lives only for one tool call.
//!
//! Why: the text an agent says it wrote is not always in the file when
//! vouch looks (another hook may have reformatted it), a `Write` over an
//! existing file says nothing about which lines changed, and a shell
//! command says nothing at all about the files it touched.
//!
//! # Files
//!
//! ```text
//! <worktree git dir>/vouch/pre/<id>.snap
//! ```
//!
//! `<id>` is the tool call's id when it is a plain name (letters, digits,
//! `-`, `_`), else the SHA-256 of it. A snapshot is one JSON line (what was
//! kept, see [`Meta`]), a newline, then the kept files' bytes one after the
//! other. It is written atomically (a temporary file, then a rename) and
//! not synced: a snapshot lost to a crash costs precision, not provenance
//! (the hook after the tool then records what changed since vouch last saw
//! the file).
//!
//! # Bounds and cleanup
//!
//! One file is kept up to [`MAX_FILE`] bytes; a worktree snapshot (for a
//! shell command) keeps at most [`MAX_FILES`] changed files and
//! [`MAX_TOTAL`] bytes, and names the rest as not kept. The hook after the
//! tool reads its snapshot and removes it once what the call changed is
//! recorded; a snapshot whose call's record never came (a hook killed or
//! failed, a call denied, an agent that died) stays [`pending`] until the
//! hook settles it (`cli::hook::settle_orphans`). Other files a writer left
//! behind are removed by a later snapshot once they are [`STALE_AFTER`]
//! old.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use git2::{Oid, Repository, Status, StatusOptions};
use serde::{Deserialize, Serialize};

/// The largest file kept.
pub const MAX_FILE: u64 = 8 << 20;
/// The most changed files a worktree snapshot keeps.
pub const MAX_FILES: usize = 2000;
/// The most bytes a worktree snapshot keeps.
pub const MAX_TOTAL: u64 = 32 << 20;
/// Temporary files older than this are removed by the next snapshot taken.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Snapshots of calls settled as unknown ([`settled`]) older than this are
/// removed by the next snapshot taken: a permission prompt may wait over a
/// weekend, or a holiday, for its call to run.
pub const SETTLED_KEPT: Duration = Duration::from_secs(14 * 24 * 3600);

/// The extension of the snapshot of a call settled as unknown.
const SETTLED: &str = "settled";

const VERSION: u32 = 1;

/// A file as it was before the tool ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Before {
    /// It did not exist.
    Absent,
    /// Its bytes.
    Bytes(Vec<u8>),
    /// It existed but was not kept (too large, or past a bound).
    NotKept,
}

/// What a snapshot holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// HEAD when it was taken (worktree snapshots).
    pub head: Option<Oid>,
    /// How many entries HEAD's reflog had then (worktree snapshots): the
    /// commits the tool call makes are in those it gains.
    pub reflog: Option<usize>,
    /// The same for the repository's other worktrees, by their path.
    pub others: BTreeMap<PathBuf, usize>,
    /// How many entries the stash had then (worktree snapshots): the
    /// stashes the tool call makes are those it gains.
    pub stash: Option<usize>,
    /// When it was taken (seconds since the epoch; worktree snapshots).
    pub taken: Option<i64>,
    /// The commits the branches and remote-tracking branches pointed to
    /// then (worktree snapshots; [`branch_tips`]): what they reach is not
    /// the tool call's.
    pub tips: Vec<Oid>,
    /// Files whose staged version differed from HEAD's, and that staged
    /// blob (worktree snapshots); the zero id for a removal staged.
    pub staged: BTreeMap<String, Oid>,
    /// Kept files, by repository-relative path.
    pub files: BTreeMap<String, Before>,
    /// Whether it covers the whole worktree (a shell command) rather than
    /// the files named.
    pub worktree: bool,
    /// The size and modification time (nanoseconds since the epoch) of
    /// each regular file it did not keep (worktree snapshots): one
    /// unchanged since was not touched by the tool call.
    pub stats: BTreeMap<String, (u64, i128)>,
    /// Each submodule (gitlink) of the index, with the commits it was at
    /// (worktree snapshots; [`gitlinks`]). `None`: not known (a snapshot
    /// an older vouch took).
    pub gitlinks: Option<BTreeMap<String, Vec<Oid>>>,
    /// The modes of each file that differed from HEAD (worktree
    /// snapshots): in the worktree and in the index, as git writes them,
    /// 0 for none ([`Snapshot::modes_before`]). `None`: not known (a
    /// snapshot an older vouch took).
    pub modes: Option<BTreeMap<String, Modes>>,
}

/// A file's modes in the worktree and in the index, as git writes them
/// (0: none there).
pub type Modes = (u32, u32);

/// git's mode of a regular file.
pub const REGULAR: u32 = 0o100644;
/// git's mode of an executable regular file.
pub const EXECUTABLE: u32 = 0o100755;

/// The mode git would give the file at `path` (`git add`): a regular
/// file's, an executable's (any execute bit set), a symbolic link's; 0 for
/// anything else, or nothing there.
pub fn worktree_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() && m.permissions().mode() & 0o111 != 0 => EXECUTABLE,
        Ok(m) if m.file_type().is_file() => REGULAR,
        Ok(m) if m.file_type().is_symlink() => u32::from(git2::FileMode::Link),
        _ => 0,
    }
}

/// The JSON line a snapshot file starts with.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    v: u32,
    worktree: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    head: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reflog: Option<usize>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    others: BTreeMap<PathBuf, usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stash: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    taken: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tips: Vec<String>,
    #[serde(default)]
    staged: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gitlinks: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    stats: BTreeMap<String, (u64, i128)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modes: Option<BTreeMap<String, Modes>>,
    /// The tool call it was taken for, and the agent (`vouch hook`'s
    /// argument), so that a call whose record never comes can be recorded
    /// from it later. Optional: older snapshots do without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    call: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
    /// The agent's session, when it names one: the end of its turn settles
    /// the calls of its own whose record never came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<String>,
    /// Path, and the length of its kept bytes (`null`: absent, `-1`: not
    /// kept), in the order of the bytes after the line.
    files: Vec<(String, Option<i64>)>,
}

/// Something wrong with a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("snapshot {}: {reason}", path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error("snapshot: git: {0}")]
    Git(#[from] git2::Error),
}

/// The directory of snapshots of `repo`'s worktree.
pub fn dir(repo: &Repository) -> PathBuf {
    crate::store::repo::git_dir(repo).join("vouch").join("pre")
}

/// The repository's worktrees other than `repo`'s own (the main one and
/// the linked ones), each by its path, opened.
pub fn other_worktrees(repo: &Repository) -> Vec<(PathBuf, Repository)> {
    let own = repo.workdir().map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    let mut paths: Vec<PathBuf> = Vec::new();
    if let Some(main) = repo.commondir().parent() {
        paths.push(main.to_path_buf());
    }
    if let Ok(names) = repo.worktrees() {
        for name in names.iter().flatten() {
            if let Ok(wt) = repo.find_worktree(name) {
                paths.push(wt.path().to_path_buf());
            }
        }
    }
    paths
        .into_iter()
        .map(|p| p.canonicalize().unwrap_or(p))
        .filter(|p| Some(p) != own.as_ref())
        .filter_map(|p| Some((p.clone(), Repository::open(&p).ok()?)))
        .filter(|(_, wt)| !wt.is_bare())
        .collect()
}

/// Those of [`other_worktrees`] that a shell command names: by its path,
/// or by its directory's name as a word of its own (`cd ../wt`, `git -C
/// wt-2 ...`). A command that goes there is kept there too.
pub fn named_worktrees(repo: &Repository, command: &str) -> Vec<(PathBuf, Repository)> {
    other_worktrees(repo).into_iter().filter(|(path, _)| names(command, path)).collect()
}

/// Whether `command` names the directory `path`.
fn names(command: &str, path: &Path) -> bool {
    if path.to_str().is_some_and(|p| command.contains(p)) {
        return true;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()).filter(|n| !n.is_empty()) else { return false };
    let part_of_name = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    command.match_indices(name).any(|(at, _)| {
        let before = command[..at].chars().next_back();
        let after = command[at + name.len()..].chars().next();
        !before.is_some_and(part_of_name) && !after.is_some_and(part_of_name)
    })
}

/// Seconds since the epoch, now.
pub fn epoch_seconds() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// How many entries `repo`'s stash has (`refs/stash`'s reflog).
pub fn stash_entries(repo: &Repository) -> usize {
    repo.reflog("refs/stash").map(|log| log.len()).unwrap_or(0)
}

/// The stashes made since the stash had `before` entries, newest first
/// (a stash is a commit of the worktree on HEAD, its untracked files in a
/// third parent).
pub fn stashes_since(repo: &Repository, before: usize) -> Vec<Oid> {
    let Ok(log) = repo.reflog("refs/stash") else { return Vec::new() };
    log.iter().take(log.len().saturating_sub(before)).map(|e| e.id_new()).collect()
}

/// The stashes made since `since` (seconds since the epoch, whole: one
/// second of slack), newest first: those of a command no snapshot marked
/// the stash's length for.
pub fn stashes_made_since(repo: &Repository, since: i64) -> Vec<Oid> {
    let Ok(log) = repo.reflog("refs/stash") else { return Vec::new() };
    log.iter().take_while(|e| e.committer().when().seconds() >= since - 1).map(|e| e.id_new()).collect()
}

/// The paths stash `stash` holds a version of: what it changed against
/// the commit it was made on, and the untracked files it took (`-u`).
pub fn stashed_paths(repo: &Repository, stash: Oid) -> Result<BTreeSet<String>, git2::Error> {
    let commit = repo.find_commit(stash)?;
    let base = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
    let mut paths: BTreeSet<String> = crate::store::tree_diff::changes(repo, base.as_ref(), &commit.tree()?)?
        .changes
        .into_iter()
        .map(|c| c.path)
        .collect();
    if let Ok(untracked) = commit.parent(2) {
        let changes = crate::store::tree_diff::changes(repo, None, &untracked.tree()?)?;
        paths.extend(changes.changes.into_iter().map(|c| c.path));
    }
    Ok(paths)
}

/// At most this many branch tips are kept in a snapshot; past it, none.
const MAX_TIPS: usize = 10_000;

/// The commits `repo`'s branches and remote-tracking branches point to,
/// each once; none past [`MAX_TIPS`].
pub fn branch_tips(repo: &Repository) -> Vec<Oid> {
    let mut tips = std::collections::BTreeSet::new();
    for glob in ["refs/heads/*", "refs/remotes/*"] {
        let Ok(refs) = repo.references_glob(glob) else { continue };
        tips.extend(refs.flatten().filter_map(|r| r.target()));
        if tips.len() > MAX_TIPS {
            return Vec::new();
        }
    }
    tips.into_iter().collect()
}

/// How many entries the HEAD reflog of each of `repo`'s other worktrees
/// has, by path: the commits a command makes there are in those it gains.
pub fn other_reflogs(repo: &Repository) -> BTreeMap<PathBuf, usize> {
    other_worktrees(repo).into_iter().filter_map(|(path, wt)| Some((path, wt.reflog("HEAD").ok()?.len()))).collect()
}

/// The file of the snapshot for tool call `id`.
pub fn file(repo: &Repository, id: &str) -> PathBuf {
    let plain =
        !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let name = if plain { id.to_string() } else { crate::fingerprint::sha256_hex(id.as_bytes()) };
    dir(repo).join(format!("{name}.snap"))
}

impl Snapshot {
    /// One file (repository-relative `rel`, at `path` on disk) as it is now.
    pub fn of_file(rel: &str, path: &Path) -> Result<Snapshot, SnapshotError> {
        let mut snapshot = Snapshot::default();
        snapshot.files.insert(rel.to_string(), read_before(path, MAX_FILE)?);
        Ok(snapshot)
    }

    /// Several files (repository-relative path, and where it is on disk) as
    /// they are now, within [`MAX_TOTAL`] bytes together.
    pub fn of_files(files: &[(String, PathBuf)]) -> Result<Snapshot, SnapshotError> {
        let mut snapshot = Snapshot::default();
        let mut total = 0u64;
        for (rel, path) in files {
            let before = read_before(path, MAX_TOTAL.saturating_sub(total).min(MAX_FILE))?;
            if let Before::Bytes(bytes) = &before {
                total += bytes.len() as u64;
            }
            snapshot.files.insert(rel.clone(), before);
        }
        Ok(snapshot)
    }

    /// The worktree as it is now: HEAD, the staged versions that differ
    /// from it, and the files whose content differs from the index
    /// (modified or untracked, ignored files left out), within the bounds.
    pub fn of_worktree(repo: &Repository) -> Result<Snapshot, SnapshotError> {
        let root = crate::store::repo::worktree_root(repo)
            .map_err(|e| SnapshotError::Malformed { path: repo.path().to_path_buf(), reason: e.to_string() })?
            .to_path_buf();
        let mut snapshot = Snapshot { worktree: true, ..Snapshot::default() };
        snapshot.mark_now(repo);
        let index = repo.index()?;
        snapshot.gitlinks = Some(gitlinks_in(&index, &root));
        let mut modes = BTreeMap::new();
        let mut total = 0u64;
        for (path, status) in dirty(repo)? {
            let staged_mode = index.get_path(Path::new(&path), 0).map_or(0, |e| e.mode);
            modes.insert(path.clone(), (worktree_mode(&root.join(&path)), staged_mode));
            if status.intersects(Status::INDEX_NEW | Status::INDEX_MODIFIED | Status::INDEX_TYPECHANGE)
                && let Some(entry) = index.get_path(Path::new(&path), 0)
            {
                snapshot.staged.insert(path.clone(), entry.id);
            } else if status.contains(Status::INDEX_DELETED) {
                // Staged as removed: none.
                snapshot.staged.insert(path.clone(), Oid::zero());
            }
            if !status.intersects(Status::WT_NEW | Status::WT_MODIFIED | Status::WT_TYPECHANGE | Status::WT_DELETED) {
                continue;
            }
            let full = root.join(&path);
            let room = MAX_TOTAL.saturating_sub(total).min(MAX_FILE);
            let before = if snapshot.files.len() >= MAX_FILES { Before::NotKept } else { read_before(&full, room)? };
            if let Before::Bytes(bytes) = &before {
                total += bytes.len() as u64;
            }
            if before == Before::NotKept
                && let Some(stat) = stat(&full)
            {
                snapshot.stats.insert(path.clone(), stat);
            }
            snapshot.files.insert(path, before);
        }
        snapshot.modes = Some(modes);
        Ok(snapshot)
    }

    /// Note where git stands now (HEAD, the reflogs, the stash, the branch
    /// tips, the time) as where it stood before the tool ran.
    fn mark_now(&mut self, repo: &Repository) {
        self.head = crate::store::repo::head_commit(repo);
        self.reflog = repo.reflog("HEAD").ok().map(|log| log.len());
        self.others = other_reflogs(repo);
        self.stash = Some(stash_entries(repo));
        self.taken = Some(epoch_seconds());
        self.tips = branch_tips(repo);
    }

    /// What `repo`, a worktree added during the tool call that `main` (the
    /// snapshot of the worktree it began in) was taken for, held before
    /// the call touched it: the commit it was added at, nothing changed.
    /// `None` when it was there before the call: `main` lists the
    /// worktrees there were (a snapshot an older vouch took, which lists
    /// no branch tips either, says nothing of them: `None`). Times are not
    /// asked: the command sets them.
    pub fn of_added_worktree(repo: &Repository, path: &Path, main: &Snapshot) -> Option<Snapshot> {
        if main.others.contains_key(path) || main.tips.is_empty() || main.taken.is_none() {
            return None;
        }
        // Added at the commit its HEAD's first reflog entry moved to,
        // unless that entry is a commit made in it (a branch added unborn,
        // `--orphan`, has no entry for being added). With no reflog at all
        // (`core.logAllRefUpdates` off), at its HEAD now: what it holds
        // beyond that is the command's.
        let log = repo.reflog("HEAD").ok().filter(|log| !log.is_empty());
        let (reflog, head) = match log.as_ref().and_then(|log| log.get(log.len() - 1)) {
            Some(first) if first.message().unwrap_or_default().starts_with("commit") => (0, None),
            Some(first) => (1, Some(first.id_new()).filter(|id| !id.is_zero())),
            None => (0, crate::store::repo::head_commit(repo)),
        };
        Some(Snapshot {
            worktree: true,
            reflog: Some(reflog),
            head,
            taken: main.taken,
            tips: main.tips.clone(),
            ..Snapshot::default()
        })
    }

    /// Write it as the snapshot of `agent`'s (`vouch hook`'s argument) tool
    /// call `id` of `session`, and remove files a writer left behind.
    pub fn save(&self, repo: &Repository, id: &str, agent: &str, session: Option<&str>) -> Result<(), SnapshotError> {
        self.save_at(file(repo, id), Some(id), Some(agent), session)
    }

    /// Write it at `path`, naming its tool call, agent and session.
    fn save_at(
        &self,
        path: PathBuf,
        call: Option<&str>,
        agent: Option<&str>,
        session: Option<&str>,
    ) -> Result<(), SnapshotError> {
        let meta = Meta {
            call: call.map(str::to_string),
            agent: agent.map(str::to_string),
            session: session.map(str::to_string),
            v: VERSION,
            worktree: self.worktree,
            head: self.head.map(|h| h.to_string()),
            reflog: self.reflog,
            others: self.others.clone(),
            stash: self.stash,
            taken: self.taken,
            tips: self.tips.iter().map(Oid::to_string).collect(),
            staged: self.staged.iter().map(|(p, id)| (p.clone(), id.to_string())).collect(),
            stats: self.stats.clone(),
            modes: self.modes.clone(),
            gitlinks: self.gitlinks.as_ref().map(|links| {
                links.iter().map(|(p, ids)| (p.clone(), ids.iter().map(Oid::to_string).collect())).collect()
            }),
            files: self
                .files
                .iter()
                .map(|(p, b)| {
                    let len = match b {
                        Before::Absent => None,
                        Before::Bytes(bytes) => Some(bytes.len() as i64),
                        Before::NotKept => Some(-1),
                    };
                    (p.clone(), len)
                })
                .collect(),
        };
        let io = |source| SnapshotError::Io { path: path.clone(), source };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        sweep(dir);
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        let line = serde_json::to_vec(&meta)
            .map_err(|e| SnapshotError::Malformed { path: path.clone(), reason: e.to_string() })?;
        let mut out = std::io::BufWriter::new(temp.as_file_mut());
        out.write_all(&line).map_err(io)?;
        out.write_all(b"\n").map_err(io)?;
        for before in self.files.values() {
            if let Before::Bytes(bytes) = before {
                out.write_all(bytes).map_err(io)?;
            }
        }
        out.flush().map_err(io)?;
        drop(out);
        temp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// Read the snapshot of tool call `id`, [`settled`] or not; `None` when
    /// there is none. It stays until [`remove`]d, once what the call
    /// changed is recorded: a call whose record never comes leaves it
    /// [`pending`].
    pub fn read(repo: &Repository, id: &str) -> Result<Option<Snapshot>, SnapshotError> {
        let path = file(repo, id);
        match Snapshot::read_at(&path)? {
            Some(found) => Ok(Some(found)),
            None => Snapshot::read_at(&path.with_extension(SETTLED)),
        }
    }

    /// Read the snapshot at `path`; `None` when there is none.
    fn read_at(path: &Path) -> Result<Option<Snapshot>, SnapshotError> {
        let path = path.to_path_buf();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SnapshotError::Io { path, source }),
        };
        let malformed = |reason: String| SnapshotError::Malformed { path: path.clone(), reason };
        let end = bytes.iter().position(|&b| b == b'\n').ok_or_else(|| malformed("no header line".into()))?;
        let meta: Meta = serde_json::from_slice(&bytes[..end]).map_err(|e| malformed(e.to_string()))?;
        if meta.v != VERSION {
            return Err(malformed(format!("version {} (this vouch reads {VERSION})", meta.v)));
        }
        let oid = |s: &str| Oid::from_str(s).map_err(|_| malformed(format!("{s:?} is not an object id")));
        let mut snapshot = Snapshot {
            worktree: meta.worktree,
            head: meta.head.as_deref().map(oid).transpose()?,
            reflog: meta.reflog,
            others: meta.others,
            stash: meta.stash,
            taken: meta.taken,
            tips: meta.tips.iter().map(|t| oid(t)).collect::<Result<_, _>>()?,
            stats: meta.stats,
            modes: meta.modes,
            ..Snapshot::default()
        };
        for (p, id) in &meta.staged {
            snapshot.staged.insert(p.clone(), oid(id)?);
        }
        if let Some(links) = &meta.gitlinks {
            let mut known = BTreeMap::new();
            for (p, ids) in links {
                known.insert(p.clone(), ids.iter().map(|id| oid(id)).collect::<Result<_, _>>()?);
            }
            snapshot.gitlinks = Some(known);
        }
        let mut at = end + 1;
        for (p, len) in meta.files {
            let before = match len {
                None => Before::Absent,
                Some(n) if n < 0 => Before::NotKept,
                Some(n) => {
                    let to = at.checked_add(n as usize).filter(|&to| to <= bytes.len());
                    let to = to.ok_or_else(|| malformed(format!("{p}: {n} bytes past the end")))?;
                    let kept = bytes[at..to].to_vec();
                    at = to;
                    Before::Bytes(kept)
                }
            };
            snapshot.files.insert(p, before);
        }
        Ok(Some(snapshot))
    }

    /// Whether `rel`, a regular file this snapshot did not keep, is as it
    /// was then (its size and modification time): the tool call did not
    /// touch it.
    pub fn not_kept_unchanged(&self, root: &Path, rel: &str) -> bool {
        self.stats.get(rel).is_some_and(|then| stat(&root.join(rel)).as_ref() == Some(then))
    }

    /// The files a worktree snapshot's tool call may have changed: those it
    /// kept, and those that differ from HEAD (as it was) or the index now.
    pub fn candidates(&self, repo: &Repository) -> Result<BTreeSet<String>, SnapshotError> {
        let mut out: BTreeSet<String> = self.files.keys().cloned().collect();
        out.extend(changed_since(repo, self.head)?);
        Ok(out)
    }

    /// The modes of `rel` before the tool ran, in the worktree and in the
    /// index, as git writes them (0: none): as the snapshot noted them for a
    /// file that differed from HEAD, else as `head_then` (the tree of the
    /// snapshot's HEAD) has it. `None` when not known (a snapshot of files,
    /// or one an older vouch took).
    pub fn modes_before(&self, rel: &str, head_then: Option<&git2::Tree<'_>>) -> Option<Modes> {
        if let Some(&modes) = self.modes.as_ref()?.get(rel) {
            return Some(modes);
        }
        let mode = match (self.head, head_then) {
            (None, _) => 0,
            (Some(_), Some(tree)) => tree.get_path(Path::new(rel)).map_or(0, |e| e.filemode() as u32),
            (Some(_), None) => return None,
        };
        Some((mode, mode))
    }

    /// The bytes of `rel` before the tool ran, as this snapshot knows them:
    /// kept, else the staged version it noted, else HEAD's (as it was);
    /// `Some(None)` when the file did not exist, `None` when not known (not
    /// kept, or not in the snapshot of one file).
    pub fn before(&self, repo: &Repository, rel: &str) -> Option<Option<Vec<u8>>> {
        match self.files.get(rel) {
            Some(Before::Bytes(bytes)) => return Some(Some(bytes.clone())),
            Some(Before::Absent) => return Some(None),
            Some(Before::NotKept) => return None,
            None if !self.worktree => return None,
            None => {}
        }
        let blob = match self.staged.get(rel) {
            Some(id) if id.is_zero() => None,
            Some(id) => Some(*id),
            None => {
                let tree = self.head.and_then(|h| repo.find_commit(h).ok()).and_then(|c| c.tree().ok());
                match tree {
                    Some(tree) => tree.get_path(Path::new(rel)).ok().map(|e| e.id()),
                    None if self.head.is_none() => None,
                    None => return None,
                }
            }
        };
        match blob {
            Some(id) => repo.find_blob(id).ok().map(|b| Some(b.content().to_vec())),
            None => Some(None),
        }
    }
}

/// The files of `repo`'s worktree that differ from HEAD or the index now,
/// and those HEAD's commits since `then` changed (from an unborn HEAD, `None`:
/// a new repository, an orphan branch, everything the first commits hold).
pub fn changed_since(repo: &Repository, then: Option<Oid>) -> Result<BTreeSet<String>, SnapshotError> {
    let mut out: BTreeSet<String> = dirty(repo)?.into_iter().map(|(p, _)| p).collect();
    if let Some(now) = crate::store::repo::head_commit(repo).filter(|&now| Some(now) != then) {
        let then = then.map(|then| repo.find_commit(then).and_then(|c| c.tree())).transpose()?;
        let now = repo.find_commit(now)?.tree()?;
        out.extend(crate::store::tree_diff::changes(repo, then.as_ref(), &now)?.changes.into_iter().map(|c| c.path));
    }
    Ok(out)
}

/// Each submodule (gitlink) of `repo`'s index, with the commits it is at:
/// the index's, then the one checked out in its worktree when that differs.
pub fn gitlinks(repo: &Repository) -> Result<BTreeMap<String, Vec<Oid>>, SnapshotError> {
    let root = crate::store::repo::worktree_root(repo)
        .map_err(|e| SnapshotError::Malformed { path: repo.path().to_path_buf(), reason: e.to_string() })?;
    Ok(gitlinks_in(&repo.index()?, root))
}

/// [`gitlinks`] of `index`, whose worktree is at `root`.
fn gitlinks_in(index: &git2::Index, root: &Path) -> BTreeMap<String, Vec<Oid>> {
    let mut out = BTreeMap::new();
    for entry in index.iter() {
        // Stage 0 only: the sides of a conflict are not where it is.
        if entry.mode != u32::from(git2::FileMode::Commit) || (entry.flags >> 12) & 3 != 0 {
            continue;
        }
        let Ok(path) = String::from_utf8(entry.path) else { continue };
        let mut ids = vec![entry.id];
        let checked_out = Repository::open_ext(root.join(&path), git2::RepositoryOpenFlags::NO_SEARCH, [""; 0])
            .ok()
            .and_then(|sub| sub.head().ok()?.target());
        if let Some(id) = checked_out.filter(|&id| id != entry.id) {
            ids.push(id);
        }
        out.insert(path, ids);
    }
    out
}

/// The paths of [`dirty`], without their status.
pub fn dirty_paths(repo: &Repository) -> Result<std::collections::BTreeSet<String>, SnapshotError> {
    Ok(dirty(repo)?.into_iter().map(|(path, _)| path).collect())
}

/// Paths whose worktree or index version differs (untracked included,
/// ignored and submodules left out), with their status.
fn dirty(repo: &Repository) -> Result<Vec<(String, Status)>, SnapshotError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .renames_head_to_index(false);
    let statuses = repo.statuses(Some(&mut opts))?;
    Ok(statuses.iter().filter_map(|e| Some((e.path()?.to_string(), e.status()))).collect())
}

/// The size and modification time (nanoseconds since the epoch) of the
/// regular file at `path`; `None` for anything else.
fn stat(path: &Path) -> Option<(u64, i128)> {
    let meta = std::fs::symlink_metadata(path).ok().filter(|m| m.file_type().is_file())?;
    let modified = meta.modified().ok()?;
    let nanos = match modified.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    };
    Some((meta.len(), nanos))
}

/// A file as it is now, kept when it is a regular file of at most `room`
/// bytes, or a symbolic link (as the path it names).
fn read_before(path: &Path, room: u64) -> Result<Before, SnapshotError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Before::Absent),
        Err(source) => return Err(SnapshotError::Io { path: path.to_path_buf(), source }),
    };
    // A symbolic link as git stores it: the path it names.
    if meta.file_type().is_symlink() {
        return Ok(match crate::store::repo::link_target(path) {
            Ok(bytes) => Before::Bytes(bytes),
            Err(_) => Before::NotKept,
        });
    }
    if !meta.file_type().is_file() || meta.len() > room {
        return Ok(Before::NotKept);
    }
    match std::fs::read(path) {
        Ok(bytes) => Ok(Before::Bytes(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Before::Absent),
        Err(source) => Err(SnapshotError::Io { path: path.to_path_buf(), source }),
    }
}

/// Remove from `dir` the snapshots of calls settled as unknown older than
/// [`SETTLED_KEPT`], and temporary files a crash left older than
/// [`STALE_AFTER`]. Failures are ignored: it is tidying.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        // A damaged snapshot set aside is never deleted ([`set_aside`]).
        if entry.file_name().to_string_lossy().contains(crate::store::CORRUPT_MARK) {
            continue;
        }
        // A snapshot stays until its call is settled (see [`pending`]).
        let kept = match entry.path().extension() {
            Some(e) if e == "snap" => continue,
            Some(e) if e == SETTLED => SETTLED_KEPT,
            _ => STALE_AFTER,
        };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > kept);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Set aside the damaged snapshot at `path`, as the journal sets aside a
/// damaged segment ([`crate::store::set_aside_path`]): never deleted (the
/// sweep leaves it), so that what went wrong can be looked into. Returns
/// where it went.
pub fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    // Only a snapshot file, never what an error names besides.
    let snapshot_file = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
        && path.extension().is_some_and(|e| e == "snap" || e == SETTLED);
    if !snapshot_file {
        return Err(std::io::Error::other(format!("{} is not a snapshot file", path.display())));
    }
    let to = crate::store::set_aside_path(path);
    std::fs::rename(path, &to)?;
    Ok(to)
}

/// The damaged snapshots of `repo`'s worktree that [`set_aside`] kept,
/// oldest name first: `vouch doctor` lists them until someone deletes them.
pub fn set_aside_files(repo: &Repository) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir(repo)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(crate::store::CORRUPT_MARK))
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// Remove the snapshot at `path` ([`file`]), [`settled`] or not, once
/// what its tool call changed is recorded (or settled).
pub fn remove(path: &Path) {
    remove_file(path);
    remove_file(&path.with_extension(SETTLED));
}

/// Remove the snapshot file at `path`, if there is one; a failure is said.
fn remove_file(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("vouch: warning: cannot remove the snapshot {}: {e}", path.display());
    }
}

/// Keep the snapshot of `pending`, a call settled as unknown, for its
/// record, should that still come: Claude Code runs the hook before a tool
/// ahead of asking the person's permission, and a call may wait there for
/// hours. What was done before the settling is unattested already, so a
/// worktree's snapshot takes where git stands now as where it stood before
/// the call (HEAD, the reflogs, the branch tips: commits made meanwhile are
/// not the call's), keeping the files as they were. [`pending`] no longer
/// lists it; [`Snapshot::read`] still finds it; it is swept
/// [`SETTLED_KEPT`] later.
pub fn settled(repo: &Repository, pending: &Pending) {
    let path = &pending.file;
    let kept = Snapshot::read_at(path).and_then(|found| {
        let Some(mut snapshot) = found else { return Ok(()) };
        if snapshot.worktree {
            snapshot.mark_now(repo);
        }
        let (call, agent, session) = (pending.call.as_deref(), pending.agent.as_deref(), pending.session.as_deref());
        snapshot.save_at(path.with_extension(SETTLED), call, agent, session)
    });
    if let Err(e) = kept {
        eprintln!("vouch: warning: cannot keep the snapshot {}: {e}", path.display());
    }
    remove_file(path);
}

/// A snapshot whose tool call's record has not come (yet).
#[derive(Debug, Clone)]
pub struct Pending {
    pub file: PathBuf,
    /// How long ago it was taken.
    pub age: Duration,
    /// When it was taken (seconds since the epoch).
    pub taken: i64,
    /// A shell command's, of the worktree (it may have changed any file),
    /// or a file tool's, of these files. A snapshot whose header cannot be
    /// read counts as a worktree's.
    pub worktree: bool,
    pub files: Vec<String>,
    /// HEAD when it was taken (a worktree's snapshot).
    pub head: Option<Oid>,
    /// The tool call, its agent (`vouch hook`'s argument) and its session,
    /// when known.
    pub call: Option<String>,
    pub agent: Option<String>,
    pub session: Option<String>,
    /// Its header cannot be read: damaged (it is written whole, by a
    /// rename), so what its call changed can never be told from it.
    pub damaged: bool,
}

/// The snapshots of `repo`'s worktree still there: tool calls in flight,
/// or whose record never came (the hook after the tool killed, failed, or
/// never run). Only the first line of each is read.
pub fn pending(repo: &Repository) -> Vec<Pending> {
    let Ok(entries) = std::fs::read_dir(dir(repo)) else { return Vec::new() };
    let now = SystemTime::now();
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let file = entry.path();
        if file.extension().is_none_or(|e| e != "snap") {
            continue;
        }
        let modified = entry.metadata().and_then(|m| m.modified()).unwrap_or(now);
        let age = now.duration_since(modified).unwrap_or_default();
        let header = std::fs::File::open(&file).ok().and_then(|f| {
            let mut line = Vec::new();
            std::io::BufRead::read_until(&mut std::io::BufReader::new(f), b'\n', &mut line).ok()?;
            serde_json::from_slice::<Meta>(line.strip_suffix(b"\n").unwrap_or(&line)).ok()
        });
        let taken = modified.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let Some(meta) = header else {
            let (files, head, call, agent, session) = (Vec::new(), None, None, None, None);
            out.push(Pending { file, age, taken, worktree: true, files, head, call, agent, session, damaged: true });
            continue;
        };
        out.push(Pending {
            file,
            age,
            taken,
            worktree: meta.worktree,
            files: meta.files.into_iter().map(|(path, _)| path).collect(),
            head: meta.head.and_then(|h| Oid::from_str(&h).ok()),
            call: meta.call,
            agent: meta.agent,
            session: meta.session,
            damaged: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::git;

    /// Red team (rt25d A6): a call settled as unknown on a Friday whose
    /// permission prompt is allowed on Monday lost its snapshot to a sweep a
    /// day later. A settled snapshot is kept for two weeks; a temporary file
    /// a crash left, a day.
    #[test]
    fn the_sweep_keeps_a_settled_snapshot_over_a_weekend() {
        let dir = tempfile::tempdir().unwrap();
        let aged = |name: &str, days: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, b"x").unwrap();
            let then = SystemTime::now() - Duration::from_secs(days * 24 * 3600);
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(then).unwrap();
            path
        };
        let weekend = aged("toolu_1.settled", 3);
        let forgotten = aged("toolu_2.settled", 15);
        let temporary = aged(".tmpAbc123", 2);
        sweep(dir.path());
        assert!(weekend.exists());
        assert!(!forgotten.exists());
        assert!(!temporary.exists());
    }

    #[test]
    fn a_command_names_a_worktree_by_its_path_or_its_name_as_a_word() {
        let wt = Path::new("/home/dev/shop-wt");
        for command in ["cd /home/dev/shop-wt && make", "cd ../shop-wt && make", "git -C shop-wt status", "ls shop-wt/"]
        {
            assert!(names(command, wt), "{command}");
        }
        for command in ["cd ../shop-wt2", "make shop-wt.o", "cd ../my-shop-wt", "ls"] {
            assert!(!names(command, wt), "{command}");
        }
    }

    #[test]
    fn a_snapshot_round_trips_and_stays_until_removed() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        let repo = Repository::open(dir.path()).unwrap();
        std::fs::write(dir.path().join("a.txt"), "one\n").unwrap();
        let mut snapshot = Snapshot::of_file("a.txt", &dir.path().join("a.txt")).unwrap();
        snapshot.files.insert("gone.txt".into(), Before::Absent);
        snapshot.files.insert("big.bin".into(), Before::NotKept);
        let (one, two) = (Oid::from_str(&"1".repeat(40)).unwrap(), Oid::from_str(&"2".repeat(40)).unwrap());
        snapshot.gitlinks = Some(BTreeMap::from([("deps/lib".into(), vec![one, two])]));
        snapshot.stats.insert("big.bin".into(), (9 << 20, 1_796_000_000_123_456_789));
        snapshot.save(&repo, "toolu_01", "claude-code", Some("s-1")).unwrap();
        assert!(file(&repo, "toolu_01").ends_with("vouch/pre/toolu_01.snap"));
        assert_eq!(Snapshot::read(&repo, "toolu_01").unwrap(), Some(snapshot.clone()));
        let found = pending(&repo);
        assert_eq!(found.len(), 1);
        assert!(!found[0].worktree && found[0].files == ["a.txt", "big.bin", "gone.txt"], "{found:?}");
        let named = (found[0].call.as_deref(), found[0].agent.as_deref(), found[0].session.as_deref());
        assert_eq!(named, (Some("toolu_01"), Some("claude-code"), Some("s-1")));
        remove(&file(&repo, "toolu_01"));
        assert_eq!(Snapshot::read(&repo, "toolu_01").unwrap(), None);
        // An id that is not a plain name is hashed.
        snapshot.save(&repo, "../../x", "claude-code", None).unwrap();
        assert!(!file(&repo, "../../x").to_string_lossy().contains(".."));
        assert_eq!(snapshot.before(&repo, "a.txt"), Some(Some(b"one\n".to_vec())));
        assert_eq!(snapshot.before(&repo, "gone.txt"), Some(None));
        assert_eq!(snapshot.before(&repo, "big.bin"), None);
        assert_eq!(snapshot.before(&repo, "other.txt"), None);
    }

    #[test]
    fn a_damaged_snapshot_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        let repo = Repository::open(dir.path()).unwrap();
        let path = file(&repo, "t");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"v\":1,\"worktree\":false,\"files\":[[\"a\",10]]}\nshort").unwrap();
        let err = Snapshot::read(&repo, "t").unwrap_err().to_string();
        assert!(err.contains("a: 10 bytes past the end"), "{err}");
    }
}
