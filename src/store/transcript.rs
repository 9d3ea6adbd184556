//! An agent's transcript, read from its end within a fixed budget: what
//! an agent hook needs of it (the intent behind the edit, the model) is
//! in its last entries, and a transcript grows for the whole session, so
//! the hook never reads it whole.
//!
//! Only reading: what the bytes say is `intent`'s and `cli::agents`'
//! business.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
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
    // Opened without waiting (a named pipe would block the open until a
    // writer came), then read only if it is a regular file.
    let mut file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).ok()?;
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

/// When tool call `id` began: the `timestamp` of the transcript entry that
/// asked for it (seconds since the epoch); `None` when the transcript's
/// tail does not hold it.
pub fn tool_use_time(path: &Path, id: &str) -> Option<i64> {
    let tail = tail(path, TAIL_BUDGET)?;
    let text = String::from_utf8_lossy(&tail.bytes);
    text.lines().rev().filter(|line| line.contains(id)).find_map(|line| {
        let entry: serde_json::Value = serde_json::from_str(line).ok()?;
        let asks = entry["message"]["content"].as_array()?.iter().any(|c| c["type"] == "tool_use" && c["id"] == id);
        let at = entry["timestamp"].as_str().filter(|_| asks)?;
        let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
        Some(at.unix_timestamp())
    })
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
        // Red team (rt26c B4): a named pipe blocked the hook on its open
        // until the agent killed it, and the tool call went unrecorded.
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(tail(&fifo, 4)));
        assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(10)), Ok(None), "a pipe is no transcript");
    }

    #[test]
    fn a_tool_call_began_when_its_entry_says() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        let lines = [
            r#"{"type":"user","timestamp":"2026-11-20T10:00:00Z","message":{"content":"mentions toolu_1"}}"#,
            r#"{"type":"assistant","timestamp":"2026-11-20T10:00:05Z","message":{"content":[{"type":"tool_use","id":"toolu_1"}]}}"#,
            r#"{"type":"user","timestamp":"2026-11-20T10:00:09Z","message":{"content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}}"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        assert_eq!(tool_use_time(&path, "toolu_1"), Some(1_795_168_805));
        assert_eq!(tool_use_time(&path, "toolu_2"), None);
    }
}
