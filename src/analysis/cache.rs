//! What the analysis of a file version found (its attribution, its AI units
//! and their facts), kept between runs: `vouch request`, `vouch approve`,
//! `vouch status` and `vouch check` look at the same staged versions, and
//! the pre-commit gate should not parse them and compile their syntax
//! queries once more.
//!
//! An entry is a pure function of what its key names: vouch's version (the
//! queries are compiled in), the path (its language), the blob of the
//! version, and the ids of the journal records that speak for the path
//! (records never change; the view of them is computed from them and from
//! the blobs they name, which never change either). A file whose history
//! may hold AI text is not cached: its history comes from `git blame`,
//! which depends on more than vouch can name (HEAD, notes, git's own
//! configuration). Neither is a view that could not use every record.
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

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::provenance::Attribution;
use crate::signoff::UnitFacts;
use crate::store::journal::RecordId;

/// What an entry must say to be used; a new vouch version may find other
/// units.
const STAMP: &str = concat!("vouch-analysis-cache/1 ", env!("CARGO_PKG_VERSION"));

/// Entries kept, at most: a commit's worth of files many times over (an
/// entry is a few kilobytes per AI unit it lists).
const MAX_ENTRIES: usize = 1024;

/// What the analysis of one file version found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub spans: Vec<(Range<usize>, Attribution)>,
    pub journal_spans: Vec<(Range<usize>, Attribution)>,
    /// Its AI units, with their 1-based first and last lines.
    pub units: Vec<(UnitFacts, usize, usize)>,
    /// The live journal records whose AI text is all in this version.
    pub covered: Vec<RecordId>,
}

#[derive(Serialize, Deserialize)]
struct File {
    stamp: String,
    key: String,
    entry: Entry,
}

/// The cache of one repository.
#[derive(Debug, Clone)]
pub struct AnalysisCache {
    dir: PathBuf,
}

/// What identifies a file version's analysis.
pub struct Key<'a> {
    pub path: &'a str,
    pub blob: git2::Oid,
    /// The live journal records of the path, in time order.
    pub records: &'a [RecordId],
}

impl Key<'_> {
    fn digest(&self) -> String {
        let mut text = format!("{STAMP}\0{}\0{}", self.path, self.blob);
        for id in self.records {
            text.push('\0');
            text.push_str(id.as_str());
        }
        crate::fingerprint::sha256_hex(text.as_bytes())
    }
}

impl AnalysisCache {
    pub fn of(repo: &git2::Repository) -> AnalysisCache {
        AnalysisCache { dir: repo.commondir().join("vouch").join("cache").join("analysis") }
    }

    /// The entry for `key`, if one was kept.
    pub fn get(&self, key: &Key<'_>) -> Option<Entry> {
        let digest = key.digest();
        let bytes = std::fs::read(self.dir.join(format!("{digest}.json"))).ok()?;
        let file: File = serde_json::from_slice(&bytes).ok()?;
        (file.stamp == STAMP && file.key == digest).then_some(file.entry)
    }

    /// Keep `entry` for `key`. Failing costs only time later, so it is
    /// ignored.
    pub fn put(&self, key: &Key<'_>, entry: &Entry) {
        let digest = key.digest();
        let name = format!("{digest}.json");
        let file = File { stamp: STAMP.to_string(), key: digest, entry: entry.clone() };
        let _ = write(&self.dir, &name, &file);
        // Counting the entries costs a directory listing: one write in 256
        // (by its key, so no state is needed) does it.
        if name.starts_with("00") {
            self.prune();
        }
    }

    /// Remove the oldest entries once there are more than [`MAX_ENTRIES`].
    fn prune(&self) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else { return };
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> =
            listing.flatten().filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path()))).collect();
        if entries.len() <= MAX_ENTRIES {
            return;
        }
        entries.sort();
        let excess = entries.len() - MAX_ENTRIES * 3 / 4;
        for (_, path) in entries.into_iter().take(excess) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Write `value` to `dir/name` in place. No temporary file and rename: an
/// entry is a pure function of its key, so writers of one key write the
/// same bytes, and a reader that finds it cut short (a crash, a writer not
/// done yet) cannot parse it and works the analysis out itself.
fn write(dir: &Path, name: &str, value: &impl Serialize) -> std::io::Result<()> {
    let path = dir.join(name);
    let file = match std::fs::File::create(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)?;
            std::fs::File::create(&path)?
        }
        other => other?,
    };
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut out, value)?;
    std::io::Write::flush(&mut out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::temp_repo;

    fn entry(n: usize) -> Entry {
        Entry {
            spans: vec![(0..n, Attribution::unknown())],
            journal_spans: Vec::new(),
            units: Vec::new(),
            covered: Vec::new(),
        }
    }

    #[test]
    fn entries_round_trip_and_a_cut_short_one_is_a_miss() {
        let (_dir, repo) = temp_repo();
        let cache = AnalysisCache::of(&repo);
        let id = |s: &str| serde_json::from_value::<RecordId>(serde_json::json!(s)).unwrap();
        let records = [id("w.1"), id("w.2")];
        let key = Key {
            path: "src/a.py",
            blob: git2::Oid::hash_object(git2::ObjectType::Blob, b"x").unwrap(),
            records: &records,
        };
        assert_eq!(cache.get(&key), None);
        cache.put(&key, &entry(3));
        assert_eq!(cache.get(&key), Some(entry(3)));
        // Another record, another path: other keys.
        assert_eq!(cache.get(&Key { records: &records[..1], ..key }), None);
        assert_eq!(cache.get(&Key { path: "src/b.py", ..key }), None);
        // A writer that died halfway: worked out again.
        let file = cache.dir.join(format!("{}.json", key.digest()));
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        assert_eq!(cache.get(&key), None);
    }

    #[test]
    fn the_oldest_entries_go_once_there_are_too_many() {
        let (_dir, repo) = temp_repo();
        let cache = AnalysisCache::of(&repo);
        let blob = git2::Oid::hash_object(git2::ObjectType::Blob, b"x").unwrap();
        let paths: Vec<String> = (0..MAX_ENTRIES + 10).map(|i| format!("f{i}.py")).collect();
        for path in &paths {
            let key = Key { path, blob, records: &[] };
            write(
                &cache.dir,
                &format!("{}.json", key.digest()),
                &File { stamp: STAMP.into(), key: key.digest(), entry: entry(1) },
            )
            .unwrap();
        }
        cache.prune();
        assert_eq!(std::fs::read_dir(&cache.dir).unwrap().count(), MAX_ENTRIES * 3 / 4);
    }
}
