//! Files and git: everything vouch remembers (the journal of uncommitted
//! provenance, notes on commits, request and approval records, the policy
//! file), kept safe from crashes and concurrent writers.

pub mod attributes;
pub mod deferred;
pub mod derive;
pub mod history;
pub mod identity;
pub mod journal;
pub mod kept;
pub mod lineage;
pub mod mode;
pub mod notes;
pub mod policy_file;
pub mod presence;
pub mod records;
pub mod repo;
pub mod review_queue;
pub mod setup;
pub mod signature;
pub mod snapshot;
pub mod sync;
pub mod transcript;
pub mod tree_diff;
pub mod unrecorded;
pub mod worktree_state;

/// Replace `file` with `bytes` in one step (a temporary file beside it,
/// then a rename), creating its directory: a reader sees the old content or
/// the new, never part of it. Not synced to disk: for files that cost only
/// time when lost (caches) or that the user sees being written (agent
/// configuration). The journal syncs its own.
pub fn write_atomic(file: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temp, bytes)?;
    temp.persist(file).map_err(|e| e.error)?;
    Ok(())
}

/// What the name of a damaged file set aside holds ([`set_aside_path`]).
pub const CORRUPT_MARK: &str = ".corrupt-";

/// The name a damaged file of the store is set aside under (a journal
/// segment, an agent hook's snapshot): `<name>.corrupt-<UTC time>`, with a
/// counter if that exists already. Such a file is never deleted.
pub fn set_aside_path(path: &std::path::Path) -> std::path::PathBuf {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut candidate = path.with_file_name(format!("{name}{CORRUPT_MARK}{stamp}"));
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = path.with_file_name(format!("{name}{CORRUPT_MARK}{stamp}-{n}"));
    }
    candidate
}
