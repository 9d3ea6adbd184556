//! A cache of what reading one kind's records found, so that a read costs
//! what changed since the last one, not every record ever made: a
//! repository gathers approvals for as long as it lives, and the commit gate
//! reads them on every commit.
//!
//! `<common git dir>/vouch/cache/<kind>.json` holds the tip of each ref it
//! read (the records branch, a legacy ref), every valid record their
//! histories added (with the blob it was read from) and the invalid files at
//! their tips. When a ref has moved on, only the commits since the cached
//! tip are walked, and only the files that changed at the tip are checked
//! again (see [`super::branch::read`]). A ref that moved elsewhere (not to a
//! descendant), a ref that is gone, or a cache of another vouch version
//! means reading everything.
//!
//! It is derived data, never the record of anything: a cache that cannot be
//! read is ignored and written anew, and failing to write one costs only
//! time. It grants nothing a record on the branch could not: records are read
//! from it as they were verified, and approvals' signatures are checked
//! when they are judged, from the records themselves.

use std::path::PathBuf;

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

use super::branch::{self, State};
use super::{Listing, Record, RecordError};

/// What a cache file must say to be used: vouch's version, since what it
/// accepts as a valid record may change between versions.
const STAMP: &str = concat!("vouch-records-cache/2 ", env!("CARGO_PKG_VERSION"));

#[derive(Serialize, Deserialize)]
#[serde(bound = "R: Record")]
struct CacheFile<R> {
    stamp: String,
    /// `(ref, tip)`, sorted.
    tips: Vec<(String, String)>,
    /// `(id, blob, record)`, sorted by id.
    records: Vec<(String, String, R)>,
    /// `(ref, path, reason)`, sorted.
    bad: Vec<(String, String, String)>,
}

fn file(repo: &Repository, kind: super::Kind) -> PathBuf {
    repo.commondir().join("vouch").join("cache").join(format!("{}.json", kind.type_name()))
}

/// The records of `R`, through the cache.
pub(super) fn list<R: Record>(repo: &Repository) -> Result<Listing<R>, RecordError> {
    let path = file(repo, R::KIND);
    let cached = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<CacheFile<R>>(&bytes).ok())
        .filter(|c| c.stamp == STAMP)
        .and_then(into_state);
    let before = cached.as_ref().map(|s| s.tips.clone());
    let state = branch::read(repo, cached)?;
    if before.as_ref() != Some(&state.tips) {
        write(&path, &state);
    }
    Ok(state.listing())
}

fn into_state<R: Record>(cache: CacheFile<R>) -> Option<State<R>> {
    let mut state = State::empty();
    for (name, tip) in cache.tips {
        state.tips.push((name, Oid::from_str(&tip).ok()?));
    }
    for (id, blob, record) in cache.records {
        state.records.insert(id, (Oid::from_str(&blob).ok()?, record));
    }
    for (source, path, reason) in cache.bad {
        state.bad.insert((source, path), reason);
    }
    Some(state)
}

/// Keep `state`. A failure costs only time later, so it is ignored.
fn write<R: Record>(path: &std::path::Path, state: &State<R>) {
    let cache = CacheFile {
        stamp: STAMP.to_string(),
        tips: state.tips.iter().map(|(name, tip)| (name.clone(), tip.to_string())).collect(),
        records: state.records.iter().map(|(id, (blob, r))| (id.clone(), blob.to_string(), r.clone())).collect(),
        bad: state.bad.iter().map(|((s, p), reason)| (s.clone(), p.clone(), reason.clone())).collect(),
    };
    if let Ok(bytes) = serde_json::to_vec(&cache) {
        let _ = crate::store::write_atomic(path, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::super::branch::make_commit;
    use super::super::{Approval, Kind, Person, RECORDS_BRANCH, add, canonical_bytes, id_of, list, list_uncached, tip};
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

    fn cached_state(repo: &Repository) -> State<Approval> {
        into_state(cached(repo)).unwrap()
    }

    fn ids(listing: &Listing<Approval>) -> Vec<String> {
        listing.records.iter().map(|s| s.id.clone()).collect()
    }

    /// A commit on the records branch that applies `edit` to its tree.
    fn edit_branch(repo: &Repository, edit: impl FnOnce(&mut git2::build::TreeUpdateBuilder)) -> Oid {
        let head = repo.find_commit(tip(repo, Kind::Approval).unwrap().unwrap()).unwrap();
        let mut builder = git2::build::TreeUpdateBuilder::new();
        edit(&mut builder);
        let tree = builder.create_updated(repo, &head.tree().unwrap()).unwrap();
        let commit = make_commit(repo, tree, &[head.id()], "edited").unwrap();
        repo.reference(RECORDS_BRANCH, commit, true, "test").unwrap();
        commit
    }

    #[test]
    fn moving_from_a_known_tip_walks_only_the_new_commits() {
        let (_dir, repo) = temp_repo();
        for n in 0..5 {
            add(&repo, &approval(n)).unwrap();
        }
        let first = list::<Approval>(&repo).unwrap();
        assert_eq!(ids(&first), ids(&list_uncached::<Approval>(&repo).unwrap()));
        let tip1 = tip(&repo, Kind::Approval).unwrap().unwrap();
        assert_eq!(cached(&repo).tips, [(RECORDS_BRANCH.to_string(), tip1.to_string())]);

        // Three more records: three commits walked, from the cache.
        for n in 5..8 {
            add(&repo, &approval(n)).unwrap();
        }
        let updated = branch::read(&repo, Some(cached_state(&repo))).unwrap();
        assert_eq!(updated.walked, 3);
        let full = branch::read::<Approval>(&repo, None).unwrap();
        assert_eq!(full.walked, 8);
        assert_eq!(updated.records.keys().collect::<Vec<_>>(), full.records.keys().collect::<Vec<_>>());
        let listed = list::<Approval>(&repo).unwrap();
        assert_eq!(listed.records.len(), 8);
        assert_eq!(ids(&listed), ids(&list_uncached::<Approval>(&repo).unwrap()));
        // Nothing new: nothing walked.
        assert_eq!(branch::read(&repo, Some(cached_state(&repo))).unwrap().walked, 0);
    }

    #[test]
    fn a_deleted_record_stays_and_a_removed_bad_file_goes() {
        let (_dir, repo) = temp_repo();
        for n in 0..3 {
            add(&repo, &approval(n)).unwrap();
        }
        list::<Approval>(&repo).unwrap();
        // A commit deletes a record, and one puts tampered content under
        // another record's name.
        let removed = id_of(&approval(0));
        edit_branch(&repo, |b| {
            b.remove(format!("approvals/{}/{removed}.json", &removed[..2]));
        });
        let tampered = String::from_utf8(canonical_bytes(&approval(9))).unwrap().replace("approve", "reject");
        let id = sha256_hex(canonical_bytes(&approval(9)).as_slice());
        let path = format!("approvals/{}/{id}.json", &id[..2]);
        let blob = repo.blob(tampered.as_bytes()).unwrap();
        edit_branch(&repo, |b| {
            b.upsert(&path, blob, git2::FileMode::Blob);
        });
        let listed = list::<Approval>(&repo).unwrap();
        let full = list_uncached::<Approval>(&repo).unwrap();
        assert_eq!((ids(&listed), listed.bad.clone()), (ids(&full), full.bad.clone()));
        assert_eq!(listed.records.len(), 3, "the deleted record still counts");
        assert!(ids(&listed).contains(&removed));
        assert_eq!(listed.bad.len(), 1);
        assert_eq!(listed.bad[0].path, path);
        assert!(listed.bad[0].reason.starts_with("content does not match its name"), "{:?}", listed.bad);

        // Removing the bad file clears it; the record it squatted on was
        // never there.
        edit_branch(&repo, |b| {
            b.remove(&path);
        });
        let listed = list::<Approval>(&repo).unwrap();
        let full = list_uncached::<Approval>(&repo).unwrap();
        assert_eq!((ids(&listed), listed.bad.clone()), (ids(&full), full.bad.clone()));
        assert!(listed.bad.is_empty());
        assert!(!ids(&listed).contains(&id));
    }

    #[test]
    fn odd_entries_and_a_rewound_branch_match_a_full_read() {
        let (_dir, repo) = temp_repo();
        for n in 0..3 {
            add(&repo, &approval(n)).unwrap();
        }
        let early = tip(&repo, Kind::Approval).unwrap().unwrap();
        list::<Approval>(&repo).unwrap();
        let readme = repo.blob(b"hi").unwrap();
        edit_branch(&repo, |b| {
            b.upsert("approvals/README", readme, git2::FileMode::Blob);
            b.upsert("approvals/zz/x.json", readme, git2::FileMode::Blob);
        });
        let listed = list::<Approval>(&repo).unwrap();
        let full = list_uncached::<Approval>(&repo).unwrap();
        assert_eq!((ids(&listed), listed.bad.clone()), (ids(&full), full.bad.clone()));
        assert_eq!(listed.bad.len(), 2, "{:?}", listed.bad);

        // The local branch reset to an earlier commit (by hand): what only
        // the dropped commits added is gone, as a full read says.
        add(&repo, &approval(7)).unwrap();
        list::<Approval>(&repo).unwrap();
        repo.reference(RECORDS_BRANCH, early, true, "reset").unwrap();
        let listed = list::<Approval>(&repo).unwrap();
        assert_eq!(listed.records.len(), 3);
        assert!(listed.bad.is_empty());
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
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&full));
        // Written by another version of vouch: read everything again.
        let mut other = cached(&repo);
        other.stamp = "vouch-records-cache/2 0.0.0".into();
        other.records.clear();
        std::fs::write(&path, serde_json::to_vec(&other).unwrap()).unwrap();
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&full));
        // An old tip that no longer exists: read everything again.
        let mut gone = cached(&repo);
        gone.tips[0].1 = "1111111111111111111111111111111111111111".into();
        gone.records.clear();
        std::fs::write(&path, serde_json::to_vec(&gone).unwrap()).unwrap();
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&full));
    }
}
