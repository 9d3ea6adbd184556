//! Journal files: the directory lock, segments (one writer's append-only
//! file), reading them back, and writing whole files atomically.
//!
//! Names inside the journal directory:
//! - `<segment>.jsonl`: a segment, read by everyone;
//! - `<segment>.jsonl.corrupt-<UTC time>`: a segment set aside as unreadable;
//! - `.tmp-*`: a file being written, never read.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::record::{self, LineError, Record};

pub(super) const SEGMENT_EXT: &str = ".jsonl";

/// What the names of segments written whole end in (before
/// [`SEGMENT_EXT`]): a compaction's, and one holding a damaged segment's
/// intact records. Written to a temporary file, flushed and renamed, such a
/// segment never ends in the middle of a line but through damage.
pub(super) const COMPACTED: &str = "compacted";
pub(super) const SALVAGED: &str = "salvaged";

/// Whether the segment at `path` was written whole ([`COMPACTED`],
/// [`SALVAGED`]).
fn written_whole(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    [COMPACTED, SALVAGED].iter().any(|what| name.ends_with(&format!("-{what}{SEGMENT_EXT}")))
}
pub(super) const TEMP_PREFIX: &str = ".tmp-";

/// A lock on the whole journal (an advisory `flock` on `journal.lock`):
/// held exclusively to change the journal, shared to read it. The kernel
/// drops it when the process dies, however it dies.
pub(super) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(super) fn exclusive(path: &Path) -> io::Result<DirLock> {
        let file = open_lock_file(path)?;
        file.lock()?;
        Ok(DirLock { _file: file })
    }

    /// A shared lock, or `None` when the lock file cannot be created on a
    /// read-only file system (nobody can be writing then).
    pub(super) fn shared(path: &Path) -> io::Result<Option<DirLock>> {
        match open_lock_file(path) {
            Ok(file) => {
                file.lock_shared()?;
                Ok(Some(DirLock { _file: file }))
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)
}

/// The segment a live writer appends to. Its `flock` is held for as long as
/// the writer keeps it, which is how compaction knows a segment is sealed.
pub(super) struct OwnSegment {
    file: File,
    path: PathBuf,
    len: u64,
}

impl OwnSegment {
    /// Create the segment `name` in `dir` holding `first` as its first line.
    ///
    /// The file is written and locked under a temporary name, then renamed:
    /// a segment is never visible empty or unlocked, so compaction cannot
    /// take a brand-new segment for a dead writer's.
    ///
    /// It is durable on return: with [`Flush::Batch`], its bytes are written
    /// out and the one flush of the directory commits them with the rename
    /// (and whatever was written out before, such as the record's blob).
    pub(super) fn create(dir: &Path, name: &str, first: &[u8], flush: Flush) -> io::Result<OwnSegment> {
        let temp = dir.join(format!("{TEMP_PREFIX}{name}"));
        let path = dir.join(name);
        let file = OpenOptions::new().read(true).append(true).create_new(true).open(&temp)?;
        let written = (|| {
            file.lock()?;
            (&file).write_all(first)?;
            match flush {
                Flush::Batch => write_out(&file)?,
                Flush::Each => file.sync_data()?,
            }
            fs::rename(&temp, &path)?;
            sync_dir(dir)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        Ok(OwnSegment { file, path, len: first.len() as u64 })
    }

    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Append one line and wait until it is on disk.
    ///
    /// On failure the file is cut back to its previous length, so no torn
    /// line stays in the middle of the segment; if even that fails the
    /// caller must stop using this segment.
    pub(super) fn append(&mut self, line: &[u8]) -> Result<(), AppendError> {
        let written = (&self.file).write_all(line).and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                let restored = self.file.set_len(self.len).and_then(|()| self.file.sync_data()).is_ok();
                Err(AppendError { error: e, segment_usable: restored })
            }
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

pub(super) struct AppendError {
    pub(super) error: io::Error,
    pub(super) segment_usable: bool,
}

/// Write `bytes` as the file `dir/name`, atomically and durably: a temporary
/// file, fsync, rename, fsync of the directory.
pub(super) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let temp = dir.join(format!("{TEMP_PREFIX}{name}"));
    let path = dir.join(name);
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, &path)?;
        sync_dir(dir)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    Ok(path)
}

/// How the journal waits for what it writes to reach the disk.
///
/// Every acknowledged record costs one flush (`fsync` or `fdatasync`), not
/// one per file it touches: with `Batch`, each file a record depends on
/// (the blob's loose object, a new segment) is only *written out*
/// (`sync_file_range`: its data sent to the device and waited for, its
/// blocks allocated), and the one flush that ends the write (of the new
/// segment's directory, or of the segment appended to) commits the file
/// system's journal, which holds every earlier change to names and sizes
/// in order, and flushes the device's cache. This is git's own
/// `core.fsyncMethod=batch`, and it assumes what git assumes there: a file
/// system that commits metadata in order (ext4, xfs). `Each` flushes every
/// file and directory on its own (the setting `vouch.fsyncMethod=fsync`,
/// and every system but Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flush {
    Batch,
    Each,
}

impl Flush {
    /// The method `repo`'s configuration asks for (`vouch.fsyncMethod`:
    /// `batch`, the default on Linux, or `fsync`).
    pub(super) fn of(repo: &git2::Repository) -> Flush {
        let asked = repo.config().ok().and_then(|c| c.get_string("vouch.fsyncMethod").ok());
        match asked.as_deref().map(str::trim) {
            Some(m) if m.eq_ignore_ascii_case("fsync") => Flush::Each,
            _ if cfg!(target_os = "linux") => Flush::Batch,
            _ => Flush::Each,
        }
    }
}

/// Send `file`'s data to the device and wait for it, without the flush
/// that makes it durable: a later flush in the same file system does
/// ([`Flush::Batch`]). Elsewhere than on Linux, a flush.
pub(super) fn write_out(file: &File) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER;
        // SAFETY: the descriptor is open for as long as `file` lives.
        if unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, flags) } == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        // A file system that cannot (EINVAL, ENOSYS): flush instead.
        if !matches!(error.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS | libc::ESPIPE)) {
            return Err(error);
        }
    }
    file.sync_data()
}

/// Make a rename or a new file in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Lock the segment at `path` if no writer holds it: `Some` means it is
/// sealed (its writer is gone and nobody appends to it again) for as long as
/// the returned file is kept.
pub(super) fn try_seal(path: &Path) -> io::Result<Option<File>> {
    let file = File::open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// What the journal directory holds.
#[derive(Default)]
pub(super) struct Listing {
    /// Segments, sorted by name.
    pub(super) segments: Vec<PathBuf>,
    /// Files set aside earlier as unreadable.
    pub(super) set_aside: Vec<PathBuf>,
    /// Temporary files, with their age.
    pub(super) temps: Vec<(PathBuf, Duration)>,
}

pub(super) fn list(dir: &Path) -> io::Result<Listing> {
    let mut listing = Listing::default();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(listing),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(TEMP_PREFIX) {
            let age = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .unwrap_or_default();
            listing.temps.push((entry.path(), age));
        } else if name.contains(crate::store::CORRUPT_MARK) {
            listing.set_aside.push(entry.path());
        } else if name.ends_with(SEGMENT_EXT) {
            listing.segments.push(entry.path());
        }
    }
    listing.segments.sort();
    listing.set_aside.sort();
    Ok(listing)
}

/// A segment as read.
pub(super) struct SegmentRead {
    pub(super) path: PathBuf,
    pub(super) records: Vec<Record>,
    /// The first damaged line (1-based) and why.
    pub(super) corrupt: Option<(usize, String)>,
    /// Intact lines from a newer schema: line number, version, the line.
    pub(super) unsupported: Vec<(usize, u64, Vec<u8>)>,
    /// Bytes after the last newline, after at least one complete line: a
    /// line a crash cut short (or one being written, when read without the
    /// lock). Never acknowledged; ignored.
    pub(super) torn_tail: bool,
    /// The files that the unreadable part names, as far as they can be read
    /// from its bytes: what the records lost with it were about.
    pub(super) mentions: Vec<String>,
}

impl SegmentRead {
    /// Every line was understood (a torn tail aside).
    pub(super) fn fully_read(&self) -> bool {
        self.corrupt.is_none() && self.unsupported.is_empty()
    }
}

/// Read the segment at `path`; `None` if it no longer exists.
pub(super) fn read(path: &Path) -> io::Result<Option<SegmentRead>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(parse(path.to_path_buf(), &bytes)))
}

/// Read a segment's bytes.
///
/// A segment is created under a temporary name and renamed into place only
/// once its first record is on disk ([`OwnSegment::create`]), and appends
/// are whole lines: so a crash can leave only a torn *last* line after
/// complete ones, which is ignored. A segment that is empty, or holds bytes
/// but no complete line, cannot come from a crash: it is damage (a file
/// overwritten, truncated), as is a complete line that does not decode.
pub(super) fn parse(path: PathBuf, bytes: &[u8]) -> SegmentRead {
    let (complete, tail) = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(i) => (&bytes[..=i], &bytes[i + 1..]),
        None => (&bytes[..0], bytes),
    };
    let mut read = SegmentRead {
        path,
        records: Vec::new(),
        corrupt: None,
        unsupported: Vec::new(),
        torn_tail: false,
        mentions: Vec::new(),
    };
    let mut unreadable: Vec<&[u8]> = Vec::new();
    // A torn last line where no crash can leave one.
    let torn_whole = !complete.is_empty() && !tail.is_empty() && written_whole(&read.path);
    if complete.is_empty() {
        let reason = if bytes.is_empty() {
            "empty, but vouch never writes an empty segment".to_string()
        } else {
            format!(
                "no complete record: {} byte(s) and no line end, but vouch writes a segment's first record before \
                 the segment appears, so this is damage, not a crash",
                bytes.len()
            )
        };
        read.corrupt = Some((1, reason));
        unreadable.push(bytes);
    } else if torn_whole {
        unreadable.push(tail);
    } else {
        read.torn_tail = !tail.is_empty();
    }
    for (i, line) in complete.split_inclusive(|&b| b == b'\n').enumerate() {
        let line = &line[..line.len() - 1];
        match record::decode(line) {
            Ok(record) => read.records.push(record),
            Err(LineError::Unsupported(v)) => read.unsupported.push((i + 1, v, line.to_vec())),
            Err(LineError::Corrupt(reason)) => {
                unreadable.push(line);
                if read.corrupt.is_none() {
                    read.corrupt = Some((i + 1, reason));
                }
            }
        }
    }
    if torn_whole && read.corrupt.is_none() {
        let line = complete.iter().filter(|&&b| b == b'\n').count() + 1;
        let reason = format!(
            "its last line stops {} byte(s) in, with no line end, but this segment was written whole, so this is \
             damage, not a crash",
            tail.len()
        );
        read.corrupt = Some((line, reason));
    }
    read.mentions = mentions(&unreadable);
    read
}

/// The `"path":"…"` values that damaged bytes still hold, each once, sorted
/// (at most ten): a best guess at which files' records were lost.
fn mentions(damaged: &[&[u8]]) -> Vec<String> {
    const KEY: &[u8] = b"\"path\":";
    let mut found = std::collections::BTreeSet::new();
    for bytes in damaged {
        let mut rest = *bytes;
        while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
            rest = &rest[at + KEY.len()..];
            // The JSON string that follows, up to its unescaped closing quote.
            if rest.first() != Some(&b'"') {
                continue;
            }
            let mut end = 1;
            while end < rest.len() && rest[end] != b'"' {
                end += if rest[end] == b'\\' { 2 } else { 1 };
            }
            if let Some(string) = rest.get(..=end)
                && let Ok(path) = serde_json::from_slice::<String>(string)
                && !path.is_empty()
            {
                found.insert(path);
            }
        }
    }
    found.into_iter().take(10).collect()
}
