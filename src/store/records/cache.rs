//! A cache of each record ref's verified listing, so that reading the records
//! costs what changed since the last read, not every record ever made: a
//! repository gathers approvals for as long as it lives, and the commit gate
//! reads them on every commit.
//!
//! `<common git dir>/vouch/cache/<kind>.json` holds the ref's tip it
//! describes, its good records and its bad files. When the ref has moved,
//! the trees of the two tips are diffed (git compares subtrees by id, so
//! this reads only the directories that changed) and only the files added,
//! changed or removed are read and verified, as [`super::list_at`] would.
//! Anything unusual (a file that is not `<id[0..2]>/<id>.json`, an old tip
//! that is gone, a cache of another vouch version) falls back to reading
//! everything.
//!
//! It is derived data, never the record of anything: a cache that cannot be
//! read is ignored and written anew, and failing to write one costs only
//! time. It grants nothing a record in the ref could not: records are read
//! from it as they were verified, and approvals' signatures are checked
//! when they are judged, from the records themselves.

use std::path::PathBuf;

use git2::{Delta, DiffOptions, Oid, Repository};
use serde::{Deserialize, Serialize};

use super::{BadRecord, Listing, Record, RecordError, Stored, is_hex, list_at, verify};

/// What a cache file must say to be used: vouch's version, since what it
/// accepts as a valid record may change between versions.
const STAMP: &str = concat!("vouch-records-cache/1 ", env!("CARGO_PKG_VERSION"));

#[derive(Serialize, Deserialize)]
#[serde(bound = "R: Record")]
struct CacheFile<R> {
    stamp: String,
    tip: String,
    /// `(id, record)`, sorted by id.
    records: Vec<(String, R)>,
    /// `(path, reason)`, sorted by path.
    bad: Vec<(String, String)>,
}

fn file(repo: &Repository, kind: super::Kind) -> PathBuf {
    repo.commondir().join("vouch").join("cache").join(format!("{}.json", kind.type_name()))
}

/// The listing of the records of `R` at `tip`, through the cache.
pub(super) fn list<R: Record>(repo: &Repository, tip: Oid) -> Result<Listing<R>, RecordError> {
    let path = file(repo, R::KIND);
    let cached = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<CacheFile<R>>(&bytes).ok())
        .filter(|c| c.stamp == STAMP);
    let listing = match cached {
        Some(cache) if cache.tip == tip.to_string() => return Ok(into_listing(cache)),
        Some(cache) => update(repo, cache, tip),
        None => None,
    };
    let listing = match listing {
        Some(listing) => listing,
        None => list_at(repo, tip)?,
    };
    write(&path, tip, &listing);
    Ok(listing)
}

fn into_listing<R: Record>(cache: CacheFile<R>) -> Listing<R> {
    Listing {
        records: cache.records.into_iter().map(|(id, record)| Stored { id, record }).collect(),
        bad: cache.bad.into_iter().map(|(path, reason)| BadRecord { kind: R::KIND, path, reason }).collect(),
    }
}

/// The listing at `tip`, from `cache` and the files that changed since its
/// tip; `None` when that cannot be worked out so (then everything is read).
fn update<R: Record>(repo: &Repository, cache: CacheFile<R>, tip: Oid) -> Option<Listing<R>> {
    let old = repo.find_commit(Oid::from_str(&cache.tip).ok()?).ok()?.tree().ok()?;
    let new = repo.find_commit(tip).ok()?.tree().ok()?;
    let mut options = DiffOptions::new();
    options.skip_binary_check(true);
    let diff = repo.diff_tree_to_tree(Some(&old), Some(&new), Some(&mut options)).ok()?;
    let mut records: std::collections::BTreeMap<String, R> = cache.records.into_iter().collect();
    let mut bad: std::collections::BTreeMap<String, String> = cache.bad.into_iter().collect();
    for delta in diff.deltas() {
        let (old_file, new_file) = (delta.old_file(), delta.new_file());
        let path = new_file.path().or(old_file.path())?.to_str()?.to_string();
        let id = record_id(&path)?.to_string();
        records.remove(&id);
        bad.remove(&path);
        match delta.status() {
            Delta::Deleted => {}
            Delta::Added | Delta::Modified => {
                if new_file.mode() != git2::FileMode::Blob {
                    return None;
                }
                match repo.find_blob(new_file.id()) {
                    Ok(blob) => match verify::<R>(&id, blob.content()) {
                        Ok(record) => {
                            records.insert(id, record);
                        }
                        Err(reason) => {
                            bad.insert(path, reason);
                        }
                    },
                    Err(e) => {
                        bad.insert(path, format!("cannot read the file: {}", e.message()));
                    }
                }
            }
            _ => return None,
        }
    }
    // Only files of the usual shape were read here; a bad file of another
    // shape (a stray directory entry) is reported by a full read.
    if bad.keys().any(|path| record_id(path).is_none()) {
        return None;
    }
    Some(Listing {
        records: records.into_iter().map(|(id, record)| Stored { id, record }).collect(),
        bad: bad.into_iter().map(|(path, reason)| BadRecord { kind: R::KIND, path, reason }).collect(),
    })
}

/// The id of a record file at `path`, if the path is `<id[0..2]>/<id>.json`.
fn record_id(path: &str) -> Option<&str> {
    let (dir, name) = path.split_once('/')?;
    let id = name.strip_suffix(".json")?;
    (is_hex(dir, 2) && is_hex(id, 64) && id.starts_with(dir)).then_some(id)
}

/// Keep `listing` as the listing at `tip`. A failure costs only time later,
/// so it is ignored.
fn write<R: Record>(path: &std::path::Path, tip: Oid, listing: &Listing<R>) {
    let cache = CacheFile {
        stamp: STAMP.to_string(),
        tip: tip.to_string(),
        records: listing.records.iter().map(|s| (s.id.clone(), s.record.clone())).collect(),
        bad: listing.bad.iter().map(|b| (b.path.clone(), b.reason.clone())).collect(),
    };
    if let Ok(bytes) = serde_json::to_vec(&cache) {
        let _ = crate::store::write_atomic(path, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Approval, Kind, Person, add, canonical_bytes, list, list_uncached, tip};
    use super::*;
    use crate::fingerprint::sha256_hex;
    use crate::policy::Verdict;
    use crate::store::repo::tests::temp_repo;

    fn approval(n: u32) -> Approval {
        let reviewer = Person { name: "rev".into(), email: "rev@example.com".into() };
        let fingerprint = sha256_hex(format!("unit {n}").as_bytes());
        Approval {
            created: "2026-01-31T09:05:00.000Z".into(),
            ..Approval::new("0123456789abcdef0123456789abcdef01234567", &fingerprint, Verdict::Approve, reviewer)
        }
    }

    fn cached(repo: &Repository) -> CacheFile<Approval> {
        serde_json::from_slice(&std::fs::read(file(repo, Kind::Approval)).unwrap()).unwrap()
    }

    #[test]
    fn the_listing_is_brought_up_to_date_from_what_changed() {
        let (_dir, repo) = temp_repo();
        for n in 0..5 {
            add(&repo, &approval(n)).unwrap();
        }
        let first = list::<Approval>(&repo).unwrap();
        assert_eq!(first.records, list_uncached::<Approval>(&repo).unwrap().records);
        assert_eq!(cached(&repo).tip, tip(&repo, Kind::Approval).unwrap().unwrap().to_string());

        // Three more records: worked out from the cache and the difference
        // alone.
        for n in 5..8 {
            add(&repo, &approval(n)).unwrap();
        }
        let old = cached(&repo);
        let tip = tip(&repo, Kind::Approval).unwrap().unwrap();
        let updated = update(&repo, old, tip).expect("worked out from the difference");
        let full = list_uncached::<Approval>(&repo).unwrap();
        assert_eq!(updated.records, full.records);
        assert_eq!(updated.records.len(), 8);
        assert_eq!(list::<Approval>(&repo).unwrap().records, full.records);
        assert_eq!(cached(&repo).tip, tip.to_string());
    }

    #[test]
    fn bad_files_and_removals_match_a_full_read() {
        let (_dir, repo) = temp_repo();
        for n in 0..3 {
            add(&repo, &approval(n)).unwrap();
        }
        list::<Approval>(&repo).unwrap();
        // A tampered file under a record's name, beside the others; then
        // one record removed (a rewritten ref, as a bad merge would leave).
        let tampered = String::from_utf8(canonical_bytes(&approval(9))).unwrap().replace("approve", "reject");
        let id = sha256_hex(canonical_bytes(&approval(9)).as_slice());
        let head = repo.find_commit(tip(&repo, Kind::Approval).unwrap().unwrap()).unwrap();
        let mut builder = git2::build::TreeUpdateBuilder::new();
        builder.upsert(
            format!("{}/{id}.json", &id[..2]),
            repo.blob(tampered.as_bytes()).unwrap(),
            git2::FileMode::Blob,
        );
        let removed = super::super::id_of(&approval(0));
        builder.remove(format!("{}/{removed}.json", &removed[..2]));
        let tree = builder.create_updated(&repo, &head.tree().unwrap()).unwrap();
        let commit = super::super::make_commit(&repo, tree, &[head.id()], "edited").unwrap();
        repo.reference(Kind::Approval.ref_name(), commit, true, "test").unwrap();

        let updated = update(&repo, cached(&repo), commit).expect("worked out from the difference");
        let full = list_uncached::<Approval>(&repo).unwrap();
        assert_eq!(updated.records, full.records);
        assert_eq!(updated.bad, full.bad);
        assert_eq!((updated.records.len(), updated.bad.len()), (2, 1));
        assert!(updated.bad[0].reason.starts_with("content does not match its name"), "{:?}", updated.bad);
        let listed = list::<Approval>(&repo).unwrap();
        assert_eq!((listed.records, listed.bad), (full.records, full.bad));
    }

    #[test]
    fn a_damaged_or_foreign_cache_is_not_believed() {
        let (_dir, repo) = temp_repo();
        for n in 0..2 {
            add(&repo, &approval(n)).unwrap();
        }
        let full = list_uncached::<Approval>(&repo).unwrap();
        let path = file(&repo, Kind::Approval);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{\"stamp\": tru").unwrap();
        assert_eq!(list::<Approval>(&repo).unwrap().records, full.records);
        // Written by another version of vouch: read everything again.
        let mut other = cached(&repo);
        other.stamp = "vouch-records-cache/1 0.0.0".into();
        other.records.clear();
        std::fs::write(&path, serde_json::to_vec(&other).unwrap()).unwrap();
        assert_eq!(list::<Approval>(&repo).unwrap().records, full.records);
        // An old tip that no longer exists: read everything again.
        let mut gone = cached(&repo);
        gone.tip = "1111111111111111111111111111111111111111".into();
        gone.records.clear();
        std::fs::write(&path, serde_json::to_vec(&gone).unwrap()).unwrap();
        assert_eq!(list::<Approval>(&repo).unwrap().records, full.records);
    }
}
