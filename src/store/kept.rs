//! Derived data kept between runs under `<common git dir>/vouch/cache`:
//! what every such directory shares (writing an entry in place, bounding
//! how many are kept), and the texts of git-ai notes ([`NoteTexts`]).
//!
//! Nothing here is the record of anything: an entry that cannot be read is
//! worked out again, one that cannot be written costs only time.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository};

/// Create `dir/name` to write an entry in place, creating `dir` first
/// when it is missing. No temporary file and rename: an entry is a pure
/// function of its name, so writers of one name write the same bytes, and
/// a reader that finds it cut short (a crash, a writer not done yet) must
/// be able to tell and work the entry out itself.
pub fn create(dir: &Path, name: &str) -> std::io::Result<std::fs::File> {
    let path = dir.join(name);
    match std::fs::File::create(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)?;
            std::fs::File::create(&path)
        }
        other => other,
    }
}

/// Remove the oldest files of `dir` once there are more than `max`, down
/// to three quarters of it.
pub fn prune(dir: &Path, max: usize) {
    let Ok(listing) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> =
        listing.flatten().filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path()))).collect();
    if entries.len() <= max {
        return;
    }
    entries.sort();
    let excess = entries.len() - max * 3 / 4;
    for (_, path) in entries.into_iter().take(excess) {
        let _ = std::fs::remove_file(path);
    }
}

/// The texts of git-ai notes as git stores them, by blob id, one file per
/// note (`cache/notes/<blob>`). `vouch blame` reads the note of every
/// commit that wrote a line of the file; packed, notes are alike and git
/// stores them as deltas of one another, so a note is often the end of a
/// long chain of deltas, and reading one back costs tens of inflates
/// (about 0.15 ms a note in the history bench).
///
/// A kept text counts only when it hashes to its blob id, as git hashes a
/// blob: one cut short or changed is read from git again. So it can say no
/// more than the object database. Not used by `vouch verify`, which reads
/// no cache.
#[derive(Debug, Clone)]
pub struct NoteTexts {
    dir: PathBuf,
}

impl NoteTexts {
    /// How many notes are kept at most.
    const MAX_ENTRIES: usize = 4096;
    /// Notes larger than this are not kept (a note that carries prompts'
    /// messages can be large; reading those is rare).
    const MAX_BYTES: usize = 64 << 10;

    pub fn of(repo: &Repository) -> NoteTexts {
        NoteTexts { dir: repo.commondir().join("vouch").join("cache").join("notes") }
    }

    /// The text of blob `id`, if it is kept whole.
    pub fn get(&self, id: Oid) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.dir.join(id.to_string())).ok()?;
        (Oid::hash_object(ObjectType::Blob, &bytes).ok()? == id).then_some(bytes)
    }

    /// Keep `bytes` as the text of blob `id`. Failing costs only time
    /// later, so it is ignored.
    pub fn put(&self, id: Oid, bytes: &[u8]) {
        if bytes.len() > Self::MAX_BYTES {
            return;
        }
        let name = id.to_string();
        if let Ok(mut file) = create(&self.dir, &name) {
            let _ = file.write_all(bytes);
        }
        // Counting the entries costs a directory listing: one write in 256
        // (by its name, so no state is needed) does it.
        if name.starts_with("00") {
            prune(&self.dir, Self::MAX_ENTRIES);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::temp_repo;

    #[test]
    fn a_kept_text_counts_only_when_it_hashes_to_its_blob() {
        let (_dir, repo) = temp_repo();
        let texts = NoteTexts::of(&repo);
        let id = repo.blob(b"src/a.rs\n  abcd 1-3\n---\n{}\n").unwrap();
        assert_eq!(texts.get(id), None);
        texts.put(id, b"src/a.rs\n  abcd 1-3\n---\n{}\n");
        assert_eq!(texts.get(id).as_deref(), Some(&b"src/a.rs\n  abcd 1-3\n---\n{}\n"[..]));
        // Changed (say, to claim other lines), or cut short: not believed.
        let file = repo.commondir().join("vouch/cache/notes").join(id.to_string());
        std::fs::write(&file, b"src/a.rs\n  abcd 1-9\n---\n{}\n").unwrap();
        assert_eq!(texts.get(id), None);
        std::fs::write(&file, b"src/a.rs\n").unwrap();
        assert_eq!(texts.get(id), None);
        // Too large to keep: not written.
        let big = vec![b'x'; NoteTexts::MAX_BYTES + 1];
        let big_id = repo.blob(&big).unwrap();
        texts.put(big_id, &big);
        assert_eq!(texts.get(big_id), None);
        assert!(!repo.commondir().join("vouch/cache/notes").join(big_id.to_string()).exists());
    }

    #[test]
    fn pruning_keeps_the_newest_three_quarters() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..8 {
            std::fs::write(dir.path().join(format!("e{i}")), b"x").unwrap();
            let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000 + i);
            std::fs::File::options()
                .write(true)
                .open(dir.path().join(format!("e{i}")))
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
        prune(dir.path(), 8);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 8, "not more than the bound: nothing goes");
        prune(dir.path(), 4);
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, ["e5", "e6", "e7"]);
    }
}
