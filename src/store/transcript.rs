//! An agent's transcript, read from its end within a fixed budget: what
//! an agent hook needs of it (the intent behind the edit, the model) is
//! in its last entries, and a transcript grows for the whole session, so
//! the hook never reads it whole.
//!
//! Only reading: what the bytes say is `intent`'s and `cli::agents`'
//! business.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How much of a transcript's end the hook reads for the intent.
pub const TAIL_BUDGET: u64 = 256 << 10;

/// The last bytes of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    pub bytes: Vec<u8>,
    /// Whether they start at the file's start (else the first line is cut).
    pub whole: bool,
}

/// The last `budget` bytes of the file at `path`; `None` when it cannot
/// be read (gone, not a regular file, no permission).
pub fn tail(path: &Path, budget: u64) -> Option<Tail> {
    let mut file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let start = meta.len().saturating_sub(budget);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::with_capacity(budget.min(meta.len()) as usize);
    file.take(budget).read_to_end(&mut bytes).ok()?;
    Some(Tail { bytes, whole: start == 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_budget_is_read_from_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(tail(&path, 4), Some(Tail { bytes: b"6789".to_vec(), whole: false }));
        assert_eq!(tail(&path, 10), Some(Tail { bytes: b"0123456789".to_vec(), whole: true }));
        assert_eq!(tail(&path, 100), Some(Tail { bytes: b"0123456789".to_vec(), whole: true }));
        assert_eq!(tail(&dir.path().join("missing"), 4), None);
        assert_eq!(tail(dir.path(), 4), None);
    }
}
