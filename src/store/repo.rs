//! Finding a repository and naming things in it: the repository that holds a
//! path, its worktree root, the worktree's git directory, the repository id,
//! and a file's path relative to the worktree.
//!
//! The repository id is what every record carries, so that records made in
//! another repository never count here. It has one definition for every
//! command, fixed per repository and never computed from the head under
//! review: the `repository` key of the committed policy (`.vouch.toml`),
//! which `vouch init` writes as the repository's root commit. `vouch verify`
//! reads it from the policy at BASE ([`crate::verify`]); local commands (the
//! gate, status, request, approve, the language server) from the policy at
//! HEAD, else the staged one ([`repository`]). Where the policy does not name
//! it yet, local commands use `vouch.repository` from the git config (`vouch
//! init` sets it), else the oldest root commit reachable from HEAD (by
//! committer time, ties by id: what vouch used before the key existed),
//! computed once and then kept in the git config; verify uses the oldest
//! root of BASE. Each fallback comes with a warning to add the key
//! ([`RepositoryId::warning`]).

use std::path::{Component, Path, PathBuf};

use git2::{Oid, Repository, Sort};

use crate::policy::{POLICY_FILE, Policy};
use crate::store::policy_file::{self, Source};

/// The git config key where the repository id is kept for local commands
/// while the policy does not name it.
pub const ID_CONFIG_KEY: &str = "vouch.repository";

/// How many times [`retry_object_write`] tries.
const OBJECT_WRITE_ATTEMPTS: u32 = 4;

/// Run `write`, which writes into the object database (a blob, trees, a
/// commit, a note), again when the filesystem failed it. A `git gc`
/// running beside vouch (git starts `gc --auto` in the background after a
/// large commit) prunes loose objects and removes the object directories
/// it empties, and libgit2, unlike git, does not try again when the
/// directory it just made is gone: an agent's edit went unrecorded so. Each
/// try writes the same objects (they are named by their content), so
/// trying again is safe.
pub fn retry_object_write<T>(mut write: impl FnMut() -> Result<T, git2::Error>) -> Result<T, git2::Error> {
    let mut attempt = 1;
    loop {
        match write() {
            Err(e) if e.class() == git2::ErrorClass::Os && attempt < OBJECT_WRITE_ATTEMPTS => {
                std::thread::sleep(std::time::Duration::from_millis(1 << (2 * attempt)));
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// How long a writer keeps retrying a ref other writers keep moving
/// ([`update_ref`]) before giving up.
pub const CONTENTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a ref's lock file may stand before [`update_ref`] takes it for
/// the leftover of a process that stopped: git and vouch hold one for
/// milliseconds.
pub const STALE_REF_LOCK: std::time::Duration = std::time::Duration::from_secs(10);

/// Why [`update_ref`] did not move a ref.
#[derive(Debug)]
pub enum RefUpdateError<E> {
    /// Reading the ref, or making what it moves to, failed.
    Failed(E),
    /// The ref could not be moved; a sentence for the caller's error.
    Stuck(Stuck),
}

/// Why a ref stayed where it was although nothing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stuck {
    /// Other writers kept moving it for [`CONTENTION_TIMEOUT`].
    Contention { ref_name: String },
    /// Its lock file has stood for longer than [`STALE_REF_LOCK`]: no
    /// writer holds a lock that long, so waiting for it is waiting forever.
    StaleLock { path: PathBuf, age: std::time::Duration },
}

impl std::fmt::Display for Stuck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stuck::Contention { ref_name } => {
                write!(f, "other writers kept moving {ref_name} for {} s", CONTENTION_TIMEOUT.as_secs())
            }
            Stuck::StaleLock { path, age } => write!(
                f,
                "the lock file {} has stood for {} s, left by a git or vouch process that stopped; if no git \
                 command is running in this repository, remove it",
                path.display(),
                age.as_secs()
            ),
        }
    }
}

/// Move `ref_name` from its tip (`tip` reads it: `None` when there is no
/// such ref) to the commit `next` makes from that tip (`None`: nothing to
/// do), with a compare-and-swap under the ref's lock: should another
/// writer (another process, another worktree) have moved it meanwhile, the
/// new tip is read and `next` asked again, so that no writer's commit is
/// dropped. git's errors are `E` through `git`. Returns the tip it leaves.
pub fn update_ref<E>(
    repo: &Repository,
    ref_name: &str,
    tip: impl Fn() -> Result<Option<Oid>, E>,
    mut next: impl FnMut(Option<Oid>) -> Result<Option<Oid>, E>,
    git: impl Fn(git2::Error) -> E,
) -> Result<Option<Oid>, RefUpdateError<E>> {
    let deadline = std::time::Instant::now() + CONTENTION_TIMEOUT;
    let mut attempt: u32 = 0;
    loop {
        let current = tip().map_err(RefUpdateError::Failed)?;
        let Some(new) = next(current).map_err(RefUpdateError::Failed)? else { return Ok(current) };
        let message = format!("vouch: update {ref_name}");
        // The old value is compared under the ref's lock. For a ref that
        // must not exist yet the expected old value is the zero id: libgit2
        // checks `force = false` before taking the lock, so two writers
        // creating the ref at once could both succeed and one write would
        // be lost (a test caught that).
        let expected = current.unwrap_or_else(Oid::zero);
        match repo.reference_matching(ref_name, new, true, expected, &message) {
            Ok(_) => return Ok(Some(new)),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::Modified | git2::ErrorCode::Exists | git2::ErrorCode::Locked
                ) =>
            {
                if let Some(stale) = stale_lock(repo, ref_name) {
                    return Err(RefUpdateError::Stuck(stale));
                }
                if std::time::Instant::now() >= deadline {
                    return Err(RefUpdateError::Stuck(Stuck::Contention { ref_name: ref_name.to_string() }));
                }
                backoff(attempt);
                attempt = attempt.saturating_add(1);
            }
            Err(e) => return Err(RefUpdateError::Failed(git(e))),
        }
    }
}

/// A lock on `ref_name` older than [`STALE_REF_LOCK`].
fn stale_lock(repo: &Repository, ref_name: &str) -> Option<Stuck> {
    ref_locks(repo, ref_name)
        .into_iter()
        .find_map(|path| lock_age(&path).filter(|age| *age >= STALE_REF_LOCK).map(|age| Stuck::StaleLock { path, age }))
}

/// The lock files an update of `ref_name` can meet: its own, and the
/// packed refs'.
pub fn ref_locks(repo: &Repository, ref_name: &str) -> [PathBuf; 2] {
    [repo.commondir().join(format!("{ref_name}.lock")), repo.commondir().join("packed-refs.lock")]
}

/// How long the lock file at `path` has stood; `None` when there is none.
pub fn lock_age(path: &Path) -> Option<std::time::Duration> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()?.elapsed().ok()
}

/// Sleeps a little, more after each failed attempt, with jitter so that
/// writers that collided do not collide again in step.
fn backoff(attempt: u32) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let ceiling_micros = 200u64 << attempt.min(6);
    let jitter = u64::from(nanos ^ std::process::id().rotate_left(13)) % ceiling_micros;
    std::thread::sleep(std::time::Duration::from_micros(100 + jitter));
}

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{} is not in a git repository: {source}", path.display())]
    NotARepository { path: PathBuf, source: git2::Error },
    /// A repository is there, but git (libgit2) will not open it: owned by
    /// another user (git's `safe.directory`), of an object format libgit2
    /// does not read (SHA-256), damaged.
    #[error("git refuses to open the repository holding {}: {}{}", path.display(), source.message(), open_hint(source))]
    CannotOpen { path: PathBuf, source: git2::Error },
    #[error("the repository at {} has no worktree (it is bare)", .0.display())]
    Bare(PathBuf),
    #[error("the repository has no commits yet, so it has no id (make a first commit)")]
    NoCommits,
    #[error("{} is outside the worktree {}", path.display(), root.display())]
    OutsideWorktree { path: PathBuf, root: PathBuf },
    #[error("{} is not a file of the worktree", path.display())]
    NotAWorktreeFile { path: PathBuf },
    /// A path holding a NUL byte (a `file:` URI with `%00`, a hook
    /// payload's `\u0000`): no file git can hold has one, and libgit2 takes
    /// none.
    #[error("{} holds a NUL byte, which no path git holds can", crate::display::line(&path.to_string_lossy()))]
    NulByte { path: PathBuf },
    /// A path in the worktree that a symbolic link takes elsewhere: what it
    /// names is not the worktree's, so nothing of it may be read or kept.
    #[error(
        "{} leads through a symbolic link to {}, outside the worktree {}",
        path.display(),
        target.display(),
        root.display()
    )]
    LinkOutside { path: PathBuf, target: PathBuf, root: PathBuf },
    /// A path inside the git directory (directly, or through a link).
    #[error("{} is inside the git directory ({}), not a file of the worktree", path.display(), target.display())]
    InGitDir { path: PathBuf, target: PathBuf },
    #[error("{} is not valid UTF-8", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("cannot read the current directory: {0}")]
    CurrentDir(std::io::Error),
    #[error(transparent)]
    Git(#[from] git2::Error),
}

/// The repository that holds `path` (a file or a directory, which need not
/// exist yet), searching upwards as git does. It starts from the nearest
/// existing directory that the name reaches without going through a
/// symbolic link, so that `vendor/x.py`, with `vendor` a link elsewhere, is
/// found in the repository that holds `vendor` (where [`relative_path`]
/// refuses it); only when that finds no repository does it follow links
/// (a name that starts with a link to a worktree, `~/work/a.py`).
pub fn discover(path: &Path) -> Result<Repository, RepoError> {
    // libgit2 wants a directory; start from the nearest existing one.
    let nearest = |skip_links: bool| {
        let mut start = path;
        while !start.is_dir() || (skip_links && start.is_symlink()) {
            match start.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => start = parent,
                _ => return Path::new("."),
            }
        }
        start
    };
    Repository::discover(nearest(true)).or_else(|_| Repository::discover(nearest(false))).map_err(|source| {
        let path = path.to_path_buf();
        if source.code() == git2::ErrorCode::NotFound {
            RepoError::NotARepository { path, source }
        } else {
            RepoError::CannotOpen { path, source }
        }
    })
}

/// What to do about a repository git will not open, where that is known.
fn open_hint(e: &git2::Error) -> &'static str {
    if e.code() == git2::ErrorCode::Owner {
        " (it belongs to another user: if you trust it, add it with `git config --global --add safe.directory DIR`)"
    } else {
        ""
    }
}

/// Set libgit2's process-wide options for how vouch reads, once, before
/// the first repository is opened and before any thread starts (the
/// command line's `main` calls it first thing).
///
/// - Objects are not hashed again on every read. libgit2 does by default;
///   git does not (it checks objects when they arrive, in `index-pack` and
///   `fsck`, as a clone or fetch does before vouch reads them). Hashing
///   every note, tree and commit again was a tenth of `vouch blame`.
/// - Trees up to 1 MiB stay in libgit2's object cache (by default only
///   those under 4 KiB do): a notes ref is one tree of thousands of
///   entries, looked up once per commit, and was read, inflated and parsed
///   again for each.
pub fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        git2::opts::strict_hash_verification(false);
        // SAFETY: called once, before this process opens a repository.
        let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 1 << 20) };
    });
}

/// The root of the worktree (for a linked worktree, that worktree's root).
pub fn worktree_root(repo: &Repository) -> Result<&Path, RepoError> {
    repo.workdir().ok_or_else(|| RepoError::Bare(repo.path().to_path_buf()))
}

/// The worktree's own git directory: `.git` for the main worktree,
/// `.git/worktrees/<name>` for a linked one. Per-worktree state (the
/// journal) lives here; refs and objects are shared through
/// [`Repository::commondir`].
pub fn git_dir(repo: &Repository) -> &Path {
    repo.path()
}

/// The index `git commit` will commit: `$GIT_INDEX_FILE` when set, else the
/// repository's own. Git sets `GIT_INDEX_FILE` for hooks, and for
/// `git commit -a` or `git commit <paths>` it names a temporary index, so a
/// pre-commit gate must read this one, not `.git/index`.
pub fn index(repo: &Repository) -> Result<git2::Index, RepoError> {
    index_from(repo, std::env::var_os("GIT_INDEX_FILE"))
}

/// The repository's own index as the file now has it. libgit2 reads
/// `.git/index` once per opened repository and keeps it: a long-lived
/// process (the language server) would go on seeing what was staged when
/// it first asked. Reading it again costs a `stat` when it has not changed.
pub fn current_index(repo: &Repository) -> Result<git2::Index, RepoError> {
    let mut index = repo.index()?;
    index.read(false)?;
    Ok(index)
}

/// [`index`] with the value of `GIT_INDEX_FILE` given; a relative path is
/// relative to the current directory, as for git.
pub fn index_from(repo: &Repository, file: Option<std::ffi::OsString>) -> Result<git2::Index, RepoError> {
    match file.filter(|f| !f.is_empty()) {
        Some(file) => {
            let path = PathBuf::from(file);
            let path = if path.is_relative() {
                std::env::current_dir().map_err(RepoError::CurrentDir)?.join(path)
            } else {
                path
            };
            Ok(git2::Index::open(&path)?)
        }
        None => current_index(repo),
    }
}

/// Where a repository id came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdOrigin {
    /// The `repository` key of the policy, in the version named
    /// (`HEAD:.vouch.toml`, `:.vouch.toml`).
    Policy(String),
    /// [`ID_CONFIG_KEY`] in the git config.
    Config,
    /// The oldest root reachable from HEAD, computed now (and kept in the
    /// git config from now on).
    History,
}

/// The repository id local commands use, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryId {
    pub id: String,
    pub origin: IdOrigin,
}

impl RepositoryId {
    /// What to tell the user when the id did not come from the committed
    /// policy.
    pub fn warning(&self) -> Option<String> {
        match self.origin {
            IdOrigin::Policy(_) => None,
            IdOrigin::Config | IdOrigin::History => Some(missing_key_warning(&self.id)),
        }
    }
}

/// The warning for a policy that does not name the repository, `id` being
/// what is used meanwhile.
pub fn missing_key_warning(id: &str) -> String {
    format!(
        "{POLICY_FILE} does not name the repository, so its id ({id}) is worked out from history; {}",
        add_key_advice(id)
    )
}

/// How to name the repository `id` in the policy.
pub fn add_key_advice(id: &str) -> String {
    format!(
        "add `repository = \"{id}\"` to {POLICY_FILE} and commit it (vouch init does) so that every command and CI \
         use the same id"
    )
}

/// Whether `s` is a commit id as records carry it.
fn is_commit_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The repository id (see the module docs), as hex.
pub fn repository_id(repo: &Repository) -> Result<String, RepoError> {
    repository(repo).map(|r| r.id)
}

/// The repository id local commands use, and where it came from: the policy
/// at HEAD, else the staged policy, else the git config, else the oldest
/// root reachable from HEAD (then kept in the git config).
pub fn repository(repo: &Repository) -> Result<RepositoryId, RepoError> {
    for source in [Source::Commit("HEAD".into()), Source::Index] {
        if let Some(id) = policy_repository(repo, &source) {
            return Ok(RepositoryId { id, origin: IdOrigin::Policy(source.name(POLICY_FILE)) });
        }
    }
    if let Some(id) = configured_id(repo) {
        return Ok(RepositoryId { id, origin: IdOrigin::Config });
    }
    let head = match repo.head() {
        Ok(head) => head,
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => {
            return Err(RepoError::NoCommits);
        }
        Err(e) => return Err(e.into()),
    };
    let id = oldest_root(repo, head.peel_to_commit()?.id())?.to_string();
    // Kept, so that history is walked once per clone, not on every command;
    // failing to keep it costs only time.
    if let Ok(mut config) = repo.config() {
        let _ = config.set_str(ID_CONFIG_KEY, &id);
    }
    Ok(RepositoryId { id, origin: IdOrigin::History })
}

/// The `repository` key of the policy in `source`, when it is there and
/// the policy parses.
fn policy_repository(repo: &Repository, source: &Source) -> Option<String> {
    let text = policy_file::read_text(repo, source, POLICY_FILE).ok()??;
    Policy::parse(&text, &source.name(POLICY_FILE)).ok()?.repository().map(str::to_string)
}

/// [`ID_CONFIG_KEY`], when set to a commit id.
pub fn configured_id(repo: &Repository) -> Option<String> {
    let value = repo.config().ok()?.get_string(ID_CONFIG_KEY).ok()?;
    is_commit_id(&value).then_some(value)
}

/// The refs that the name `rev` starts with may mean, as git tries them
/// (`NAME`, `refs/NAME`, `refs/tags/NAME`, `refs/heads/NAME`,
/// `refs/remotes/NAME`, `refs/remotes/NAME/HEAD`, and the commit an
/// abbreviated id names), each with its commit, when they name more than
/// one commit: git warns that such a name is ambiguous and takes the first,
/// so a tag anyone can push named `origin/main`, or like BASE's short id,
/// outranks what it means. Empty otherwise.
pub fn ambiguous_name(repo: &Repository, rev: &str) -> Vec<(String, Oid)> {
    let name = rev.split(['~', '^', ':']).next().unwrap_or_default();
    let name = name.split("@{").next().unwrap_or_default();
    if name.is_empty() || name == "HEAD" || name == "@" {
        return Vec::new();
    }
    let candidates = [
        name.to_string(),
        format!("refs/{name}"),
        format!("refs/tags/{name}"),
        format!("refs/heads/{name}"),
        format!("refs/remotes/{name}"),
        format!("refs/remotes/{name}/HEAD"),
    ];
    let mut found: Vec<(String, Oid)> = Vec::new();
    for refname in candidates {
        let Ok(reference) = repo.find_reference(&refname) else { continue };
        let Ok(commit) = reference.peel_to_commit() else { continue };
        if !found.iter().any(|(r, _)| *r == refname) {
            found.push((refname, commit.id()));
        }
    }
    // A ref named like an abbreviated commit id outranks that commit.
    if !found.is_empty()
        && (4..40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(commit) = repo.find_commit_by_prefix(name)
    {
        found.push((format!("commit {name}"), commit.id()));
    }
    if found.iter().all(|(_, id)| *id == found[0].1) {
        return Vec::new();
    }
    found
}

/// The commit HEAD names; `None` on a branch with no commits yet (or a
/// HEAD that cannot be read).
pub fn head_commit(repo: &Repository) -> Option<Oid> {
    repo.head().ok().and_then(|h| h.peel_to_commit().ok()).map(|c| c.id())
}

/// Where `diff` (one without rename detection yet) renamed `path` from, as
/// git's rename detection pairs them (`git diff -M`, a merge's): the old
/// path and blob; `None` when nothing was renamed to it.
pub fn renamed_to(diff: &mut git2::Diff<'_>, path: &str) -> Result<Option<(PathBuf, Oid)>, git2::Error> {
    diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))?;
    Ok(diff.deltas().find_map(|d| {
        let renamed = d.status() == git2::Delta::Renamed && d.new_file().path() == Some(Path::new(path));
        let old = d.old_file();
        renamed.then(|| Some((old.path()?.to_path_buf(), old.id()))).flatten()
    }))
}

/// The commits git marks as shallow (their parents were not fetched);
/// `None` when the repository is shallow but the list cannot be read, so
/// that no history is trusted to be whole.
pub fn shallow_commits(repo: &Repository) -> Option<std::collections::HashSet<Oid>> {
    if !repo.is_shallow() {
        return Some(std::collections::HashSet::new());
    }
    let text = std::fs::read_to_string(repo.commondir().join("shallow")).ok()?;
    Some(text.lines().filter_map(|l| Oid::from_str(l.trim()).ok()).collect())
}

/// Of the parentless commits reachable from `from`, the oldest by committer
/// time (ties: the smallest id). Walks the whole history.
pub fn oldest_root(repo: &Repository, from: Oid) -> Result<Oid, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::NONE)?;
    walk.push(from)?;
    let mut best: Option<(i64, Oid)> = None;
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        if commit.parent_count() == 0 {
            let candidate = (commit.time().seconds(), commit.id());
            if best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
    }
    Ok(best.map_or(from, |(_, oid)| oid))
}

/// The path of `path` (absolute, or relative to the current directory)
/// relative to the worktree root, with forward slashes, e.g. `src/main.rs`:
/// the file the file system would open, so the worktree file to read and to
/// record under.
///
/// Every path from outside (an agent's payload, a command's argument, an
/// editor's document) comes through here, and symbolic links are followed
/// as the file system follows them: a link to another worktree file gives
/// that file's path; a link that leads out of the worktree is
/// [`RepoError::LinkOutside`] and one into the git directory is
/// [`RepoError::InGitDir`], so that nothing outside the worktree (a key in
/// `~/.ssh`, `.git/config`) is ever read or kept as a worktree file. A link
/// to the worktree root itself (a `/tmp` that is `/private/tmp`) is fine.
/// A path holding a NUL byte is [`RepoError::NulByte`].
pub fn relative_path(repo: &Repository, path: &Path) -> Result<String, RepoError> {
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(RepoError::NulByte { path: path.to_path_buf() });
    }
    let root = worktree_root(repo)?;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(RepoError::CurrentDir)?.join(path)
    };
    let outside = || RepoError::OutsideWorktree { path: path.to_path_buf(), root: root.to_path_buf() };
    let real_root = root.canonicalize().map_err(|_| outside())?;
    let real = resolve(&absolute);
    let Ok(relative) = real.strip_prefix(&real_root) else {
        // Written as a worktree path, it goes elsewhere: through a link.
        let written = lexical_normal(&absolute);
        let looks_inside = written.starts_with(lexical_normal(root)) || written.starts_with(&real_root);
        return Err(if looks_inside {
            RepoError::LinkOutside { path: path.to_path_buf(), target: real, root: root.to_path_buf() }
        } else {
            outside()
        });
    };
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => {
                parts.push(part.to_str().ok_or_else(|| RepoError::NotUtf8 { path: path.to_path_buf() })?)
            }
            _ => return Err(RepoError::NotAWorktreeFile { path: path.to_path_buf() }),
        }
    }
    match parts.first() {
        None => Err(RepoError::NotAWorktreeFile { path: path.to_path_buf() }),
        // Case-insensitive file systems open `.GIT/config` as `.git/config`.
        Some(first) if first.eq_ignore_ascii_case(".git") => {
            Err(RepoError::InGitDir { path: path.to_path_buf(), target: real.clone() })
        }
        Some(_) => Ok(parts.join("/")),
    }
}

/// The symbolic link at `path` as git stores it: the path it names, never
/// followed.
pub fn link_target(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt as _;
    Ok(std::fs::read_link(path)?.as_os_str().as_bytes().to_vec())
}

/// The worktree path of `path` (absolute, or relative to the current
/// directory) when it is itself a symbolic link in the worktree (its
/// directory resolving inside it): the link, which git stores as the path
/// it names, not the file it leads to. `None` for anything else.
pub fn worktree_link(repo: &Repository, path: &Path) -> Option<String> {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    if !std::fs::symlink_metadata(&absolute).ok()?.file_type().is_symlink() {
        return None;
    }
    let name = absolute.file_name()?.to_str()?;
    let parent = absolute.parent()?;
    let root = worktree_root(repo).ok()?;
    if parent.canonicalize().ok()? == root.canonicalize().ok()? {
        return Some(name.to_string());
    }
    let dir = relative_path(repo, parent).ok()?;
    Some(format!("{dir}/{name}"))
}

/// `path` without `.` components and with `..` applied, touching no file.
pub fn lexical_normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` (absolute) as the file system resolves it: its longest existing
/// prefix through every symbolic link (so `link/..` goes where the file
/// system goes, not back where the name came from), the rest, which does
/// not exist yet, normalized lexically.
fn resolve(path: &Path) -> PathBuf {
    let components: Vec<Component> = path.components().collect();
    for existing in (1..=components.len()).rev() {
        let prefix: PathBuf = components[..existing].iter().collect();
        if let Ok(mut out) = prefix.canonicalize() {
            for component in &components[existing..] {
                match component {
                    Component::CurDir => {}
                    Component::ParentDir => {
                        out.pop();
                    }
                    other => out.push(other),
                }
            }
            return out;
        }
    }
    lexical_normal(path)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use git2::{Signature, Time};

    #[test]
    fn an_object_write_the_filesystem_failed_is_tried_again_and_other_failures_are_not() {
        let os = || git2::Error::new(git2::ErrorCode::GenericError, git2::ErrorClass::Os, "failed to rename lockfile");
        let mut tries = 0;
        let done = retry_object_write(|| {
            tries += 1;
            if tries < 3 { Err(os()) } else { Ok(tries) }
        });
        assert_eq!(done.unwrap(), 3);
        let mut tries = 0;
        let failed: Result<(), _> = retry_object_write(|| {
            tries += 1;
            Err(os())
        });
        assert!(failed.is_err());
        assert_eq!(tries, OBJECT_WRITE_ATTEMPTS, "a bounded number of tries");
        let mut tries = 0;
        let refused: Result<(), _> = retry_object_write(|| {
            tries += 1;
            Err(git2::Error::new(git2::ErrorCode::Invalid, git2::ErrorClass::Object, "not a blob"))
        });
        assert!(refused.is_err());
        assert_eq!(tries, 1, "only the filesystem's failures are tried again");
    }

    /// Run the git binary in `dir`, ignoring the machine's and the user's
    /// configuration; it must succeed.
    pub(crate) fn git(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// A new repository made by the git binary on branch `main`, with an
    /// identity to commit as, in a temporary directory.
    pub(crate) fn git_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["config", "user.email", "t@example.com"]);
        git(dir.path(), &["config", "user.name", "T"]);
        dir
    }

    /// A new repository in a temporary directory.
    pub(crate) fn temp_repo() -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        (dir, repo)
    }

    /// Commits `files` (path, content) on top of HEAD at `time` (seconds).
    pub(crate) fn commit_files(repo: &Repository, files: &[(&str, &str)], time: i64) -> Oid {
        let sig = Signature::new("Test", "test@example.com", &Time::new(time, 0)).unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let mut index = repo.index().unwrap();
        let root = repo.workdir().unwrap().to_path_buf();
        for (path, content) in files {
            let full = root.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, content).unwrap();
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "test", &tree, &parents).unwrap()
    }

    #[test]
    fn the_oldest_root_reachable_from_head() {
        let (_dir, repo) = temp_repo();
        let repository_id = |repo: &Repository| -> Result<String, RepoError> {
            let head = repo.head().map_err(|_| RepoError::NoCommits)?.peel_to_commit()?.id();
            Ok(oldest_root(repo, head)?.to_string())
        };
        assert!(matches!(repository_id(&repo), Err(RepoError::NoCommits)));
        let root = commit_files(&repo, &[("a.txt", "a")], 1_000);
        commit_files(&repo, &[("b.txt", "b")], 2_000);
        assert_eq!(repository_id(&repo).unwrap(), root.to_string());

        // Merge in an unrelated, younger history: the id stays.
        let sig = Signature::new("T", "t@x", &Time::new(3_000, 0)).unwrap();
        let empty = repo.find_tree(repo.treebuilder(None).unwrap().write().unwrap()).unwrap();
        let other_root = repo.commit(None, &sig, &sig, "other", &empty, &[]).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let other = repo.find_commit(other_root).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "merge", &empty, &[&head, &other]).unwrap();
        assert_eq!(repository_id(&repo).unwrap(), root.to_string());

        // An older unrelated root becomes the id once merged: "oldest" decides.
        let sig0 = Signature::new("T", "t@x", &Time::new(10, 0)).unwrap();
        let ancient = repo.commit(None, &sig0, &sig0, "ancient", &empty, &[]).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let ancient_commit = repo.find_commit(ancient).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "merge 2", &empty, &[&head, &ancient_commit]).unwrap();
        assert_eq!(repository_id(&repo).unwrap(), ancient.to_string());
    }

    #[test]
    fn the_repository_id_comes_from_the_committed_policy_else_is_computed_once() {
        let (dir, repo) = temp_repo();
        assert!(matches!(repository(&repo), Err(RepoError::NoCommits)));
        let root = commit_files(&repo, &[("a.txt", "a")], 1_000).to_string();
        // No key: history, then the git config.
        let found = repository(&repo).unwrap();
        assert_eq!((found.id.as_str(), &found.origin), (root.as_str(), &IdOrigin::History));
        assert!(found.warning().unwrap().contains(&format!("repository = \"{root}\"")));
        assert_eq!(configured_id(&repo), Some(root.clone()));
        assert_eq!(repository(&repo).unwrap().origin, IdOrigin::Config);

        // An older unrelated root merged in changes nothing any more.
        let sig0 = Signature::new("T", "t@x", &Time::new(10, 0)).unwrap();
        let empty = repo.find_tree(repo.treebuilder(None).unwrap().write().unwrap()).unwrap();
        let ancient = repo.commit(None, &sig0, &sig0, "ancient", &empty, &[]).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let sig = Signature::new("T", "t@x", &Time::new(3_000, 0)).unwrap();
        let ancient_commit = repo.find_commit(ancient).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "merge", &head.tree().unwrap(), &[&head, &ancient_commit]).unwrap();
        assert_eq!(repository_id(&repo).unwrap(), root);

        // The policy's key wins: staged first, then committed.
        let named = "89abcdef0123456789abcdef0123456789abcdef";
        std::fs::write(dir.path().join(".vouch.toml"), format!("repository = \"{named}\"\n")).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new(".vouch.toml")).unwrap();
        index.write().unwrap();
        assert_eq!(repository(&repo).unwrap().origin, IdOrigin::Policy(":.vouch.toml".into()));
        commit_files(&repo, &[(".vouch.toml", &format!("repository = \"{named}\"\n"))], 4_000);
        let found = repository(&repo).unwrap();
        assert_eq!((found.id.as_str(), found.origin.clone()), (named, IdOrigin::Policy("HEAD:.vouch.toml".into())));
        assert_eq!(found.warning(), None);
    }

    #[test]
    fn the_index_git_will_commit() {
        let (dir, repo) = temp_repo();
        commit_files(&repo, &[("a.txt", "one")], 1_000);
        // A temporary index, as `git commit -a` makes, with another a.txt.
        let temp = dir.path().join(".git/index.tmp");
        std::fs::copy(dir.path().join(".git/index"), &temp).unwrap();
        let mut other = git2::Index::open(&temp).unwrap();
        let blob = repo.blob(b"two").unwrap();
        let mut entry = other.get_path(Path::new("a.txt"), 0).unwrap();
        entry.id = blob;
        other.add(&entry).unwrap();
        other.write().unwrap();
        let staged = |index: git2::Index| index.get_path(Path::new("a.txt"), 0).unwrap().id;
        assert_eq!(staged(index_from(&repo, Some(temp.into_os_string())).unwrap()), blob);
        assert_ne!(staged(index_from(&repo, None).unwrap()), blob);
        assert_ne!(staged(index_from(&repo, Some("".into())).unwrap()), blob);
    }

    #[test]
    fn paths_relative_to_the_worktree() {
        let (dir, repo) = temp_repo();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        assert_eq!(relative_path(&repo, &root.join("src/deep/a.rs")).unwrap(), "src/deep/a.rs");
        assert_eq!(relative_path(&repo, &root.join("src/./x/../b.rs")).unwrap(), "src/b.rs");
        // A file that does not exist yet, through a symlinked root.
        let link_parent = tempfile::tempdir().unwrap();
        let link = link_parent.path().join("link");
        std::os::unix::fs::symlink(root, &link).unwrap();
        assert_eq!(relative_path(&repo, &link.join("src/new.rs")).unwrap(), "src/new.rs");
        assert!(matches!(
            relative_path(&repo, Path::new("/definitely/elsewhere.rs")),
            Err(RepoError::OutsideWorktree { .. })
        ));
        assert!(matches!(relative_path(&repo, &root.join(".git/config")), Err(RepoError::InGitDir { .. })));
        assert!(matches!(relative_path(&repo, root), Err(RepoError::NotAWorktreeFile { .. })));
    }

    #[test]
    fn links_are_followed_and_never_out_of_the_worktree() {
        let (dir, repo) = temp_repo();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/real.rs"), "fn a() {}").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "key").unwrap();
        let link = |target: &Path, name: &str| std::os::unix::fs::symlink(target, root.join(name)).unwrap();
        link(Path::new("real.rs"), "src/alias.rs");
        link(&outside.path().join("secret"), "src/key.rs");
        link(outside.path(), "vendor");
        link(Path::new("../.git/config"), "src/config.rs");
        link(outside.path(), "src/up");
        // A link inside the worktree names the file it leads to.
        assert_eq!(relative_path(&repo, &root.join("src/alias.rs")).unwrap(), "src/real.rs");
        // Out of the worktree, through a file or a directory link, also for
        // a file that does not exist yet; `..` after a link goes where the
        // file system goes.
        for path in ["src/key.rs", "vendor/secret", "vendor/new.rs", "src/up/../x"] {
            let err = relative_path(&repo, &root.join(path)).unwrap_err();
            assert!(matches!(err, RepoError::LinkOutside { .. }), "{path}: {err}");
            assert!(err.to_string().contains("outside the worktree"), "{err}");
        }
        assert!(matches!(relative_path(&repo, &root.join("src/config.rs")), Err(RepoError::InGitDir { .. })));
        assert!(matches!(relative_path(&repo, &root.join(".GIT/config")), Err(RepoError::InGitDir { .. })));
    }

    #[test]
    fn discover_from_a_file_and_linked_worktrees() {
        let (dir, repo) = temp_repo();
        commit_files(&repo, &[("src/a.rs", "fn a() {}")], 1_000);
        let found = discover(&dir.path().join("src/a.rs")).unwrap();
        assert_eq!(found.path(), repo.path());
        let found = discover(&dir.path().join("src/not-yet/b.rs")).unwrap();
        assert_eq!(worktree_root(&found).unwrap().canonicalize().unwrap(), dir.path().canonicalize().unwrap());

        let wt_parent = tempfile::tempdir().unwrap();
        let wt_path = wt_parent.path().join("wt");
        repo.worktree("feature", &wt_path, None).unwrap();
        let linked = discover(&wt_path.join("src/a.rs")).unwrap();
        assert!(git_dir(&linked).ends_with("worktrees/feature/"), "{}", git_dir(&linked).display());
        assert_eq!(linked.commondir().canonicalize().unwrap(), repo.path().canonicalize().unwrap());
        assert_eq!(relative_path(&linked, &wt_path.join("src/a.rs")).unwrap(), "src/a.rs");
        assert_eq!(repository_id(&linked).unwrap(), repository_id(&repo).unwrap());

        let outside = tempfile::tempdir().unwrap();
        assert!(matches!(discover(outside.path()), Err(RepoError::NotARepository { .. })));
    }
}
