//! What the analysis of a file version found, kept between runs: the
//! journal's view of a version, and the units (with their facts) of a text
//! with given AI lines. `vouch request`, `vouch approve`, `vouch status`,
//! `vouch check` and the language server look at the same versions, and
//! the pre-commit gate should not parse them and compile their syntax
//! queries once more. The lineage of the range is kept beside it
//! ([`super::scope`]).
//!
//! An entry is a pure function of what its key names (see [`Key`]):
//! vouch's version and the digest of its query files (compiled in), its kind, and the kind's
//! inputs, for a journal view the path, the blob of the version and the
//! ids of the journal records that speak for the path (records never
//! change; the view of them is computed from them and from the blobs they
//! name, which never change either); for units the path (its language),
//! the blob and the AI lines with their attributions.
//!
//! One file per entry, `<common git dir>/vouch/cache/analysis/<key>.json`:
//! a run reads only the entries of the files it looks at. An entry is
//! written in place (see [`write`]): one that is cut short does not parse,
//! and is worked out again. When more than [`MAX_ENTRIES`] pile up the oldest go.
//! It is derived data: an entry that cannot be read is computed again, one
//! that cannot be written costs only time.
//!
//! What it can be trusted for: the same as the journal beside it. Anyone
//! who can write `.git/vouch` can also skip the local gate (`--no-verify`);
//! CI's `vouch verify` reads no cache.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What an entry must say to be used; a new vouch version may find other
/// units.
const STAMP: &str = concat!("vouch-analysis-cache/3 ", env!("CARGO_PKG_VERSION"));

/// [`STAMP`] with the digest of the query files compiled in: two builds of
/// one version with other queries find other units, so neither reads the
/// other's entries.
fn stamp() -> &'static str {
    static STAMPED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STAMPED.get_or_init(|| format!("{STAMP} queries {}", crate::syntax::queries::digest()))
}

/// Entries kept, at most: a commit's worth of files many times over (an
/// entry is a few kilobytes per AI unit it lists).
const MAX_ENTRIES: usize = 1024;

#[derive(Serialize, Deserialize)]
struct File<T> {
    stamp: String,
    key: String,
    entry: T,
}

/// The cache of one repository.
#[derive(Debug, Clone)]
pub struct AnalysisCache {
    dir: PathBuf,
}

/// What identifies an entry: its kind and everything it depends on, each
/// part separated from the next so that no two keys run together.
#[derive(Debug, Clone)]
pub struct Key {
    text: String,
}

impl Key {
    /// A key of `kind` (an entry of one kind is never read as another).
    pub fn new(kind: &str) -> Key {
        Key { text: format!("{}\0{kind}", stamp()) }
    }

    /// Add a part.
    pub fn with(mut self, part: impl std::fmt::Display) -> Key {
        use std::fmt::Write as _;
        let _ = write!(self.text, "\0{part}");
        self
    }

    fn digest(&self) -> String {
        crate::fingerprint::sha256_hex(self.text.as_bytes())
    }
}

impl AnalysisCache {
    pub fn of(repo: &git2::Repository) -> AnalysisCache {
        AnalysisCache { dir: repo.commondir().join("vouch").join("cache").join("analysis") }
    }

    /// The entry for `key`, if one was kept and reads as a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &Key) -> Option<T> {
        let digest = key.digest();
        let bytes = std::fs::read(self.dir.join(format!("{digest}.json"))).ok()?;
        let file: File<T> = serde_json::from_slice(&bytes).ok()?;
        (file.stamp == stamp() && file.key == digest).then_some(file.entry)
    }

    /// Keep `entry` for `key`. Failing costs only time later, so it is
    /// ignored.
    pub fn put<T: Serialize>(&self, key: &Key, entry: &T) {
        let digest = key.digest();
        let name = format!("{digest}.json");
        let file = File { stamp: stamp().to_string(), key: digest, entry };
        let _ = write(&self.dir, &name, &file);
        // Counting the entries costs a directory listing: one write in 256
        // (by its key, so no state is needed) does it.
        if name.starts_with("00") {
            self.prune();
        }
    }

    /// Remove the oldest entries once there are more than [`MAX_ENTRIES`].
    fn prune(&self) {
        crate::store::kept::prune(&self.dir, MAX_ENTRIES);
    }
}

/// Write `value` to `dir/name` in place. No temporary file and rename: an
/// entry is a pure function of its key, so writers of one key write the
/// same bytes, and a reader that finds it cut short (a crash, a writer not
/// done yet) cannot parse it and works the analysis out itself.
pub fn write(dir: &Path, name: &str, value: &impl Serialize) -> std::io::Result<()> {
    let file = crate::store::kept::create(dir, name)?;
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut out, value)?;
    std::io::Write::flush(&mut out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::temp_repo;

    #[test]
    fn entries_round_trip_and_a_cut_short_one_is_a_miss() {
        let (_dir, repo) = temp_repo();
        let cache = AnalysisCache::of(&repo);
        let key = Key::new("view").with("src/a.py").with("blob").with("w.1");
        assert_eq!(cache.get::<Vec<u32>>(&key), None);
        cache.put(&key, &vec![1u32, 2, 3]);
        assert_eq!(cache.get::<Vec<u32>>(&key), Some(vec![1, 2, 3]));
        // Another part, another kind: other keys.
        assert_eq!(cache.get::<Vec<u32>>(&Key::new("view").with("src/a.py").with("blob")), None);
        assert_eq!(cache.get::<Vec<u32>>(&Key::new("units").with("src/a.py").with("blob").with("w.1")), None);
        // A writer that died halfway: worked out again.
        let file = cache.dir.join(format!("{}.json", key.digest()));
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        assert_eq!(cache.get::<Vec<u32>>(&key), None);
    }

    #[test]
    fn the_oldest_entries_go_once_there_are_too_many() {
        let (_dir, repo) = temp_repo();
        let cache = AnalysisCache::of(&repo);
        for i in 0..MAX_ENTRIES + 10 {
            let key = Key::new("t").with(i);
            write(&cache.dir, &format!("{}.json", key.digest()), &1u32).unwrap();
        }
        cache.prune();
        assert_eq!(std::fs::read_dir(&cache.dir).unwrap().count(), MAX_ENTRIES * 3 / 4);
    }
}
