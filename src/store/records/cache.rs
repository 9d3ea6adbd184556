//! A cache of what reading one kind's records found, so that a read costs
//! what changed since the last one, not every record ever made, and so that
//! a process that judges a few units reads the records of those units only:
//! a repository gathers approvals for as long as it lives, and the commit
//! gate reads them on every commit.
//!
//! `<common git dir>/vouch/cache/<kind>.keyed` holds the tip of each ref it
//! read (the records branch, a legacy ref), every valid record their
//! histories added (with the blob it was read from), the invalid files at
//! their tips, and an index from keys to records: a record's id, and what
//! [`Record::index_keys`] names (an approval's fingerprint, a request's
//! units' fingerprints and paths). When a ref has moved on, only the commits
//! since the cached tip are walked, and only the files that changed at the
//! tip are checked again (see [`super::branch::read`]); what they added is
//! kept in `<kind>.delta` beside it (JSON, at most [`DELTA_LIMIT`] records),
//! so that bringing the cache up to date costs what changed, not a rewrite
//! of every record. A ref that moved elsewhere (not to a descendant), a ref
//! that is gone, a full delta, or a cache of another vouch version means
//! writing the keyed file anew.
//!
//! While the tips it names (the delta's, when it has one) are the refs'
//! tips, [`open`] hands out the cache itself ([`Keyed`]): it reads the
//! index's fence and the delta, and then, for each key asked about, one
//! block of the index and the records under the key, each checked against
//! its id (the hash of its canonical form) as it is read. So judging the
//! 250 units of a commit reads 250 keys' records, not 100,000 approvals.
//! A reader that asks about many keys reads every record in one pass,
//! checked against one hash of them all.
//!
//! The keyed file, after a stamp line ([`STAMP`]): the header's length (u64,
//! little endian) and the header (JSON: tips, bad files, table sizes), the
//! fence (the first key of each block of [`BLOCK`] keys), then three tables
//! and the records:
//! - keys: 16 bytes of the key's SHA-256, the first member (u32) and the
//!   number of members (u32), sorted by key;
//! - members: where each key's records are (as in the records table), in
//!   id order;
//! - records: each record's offset from the start of the records (u64) and
//!   length (u32), in id order;
//! - the records, each as JSON `[id, blob, record]`.
//!
//! It is derived data, never the record of anything: a cache that cannot be
//! read is ignored and written anew, a record in it that fails its check
//! sends the reader to the records branch, and failing to write one costs
//! only time. It grants nothing a record on the branch could not: records
//! are read from it as they were verified, and approvals' signatures are
//! checked when they are judged, from the records themselves.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::branch::{self, State};
use super::{BadRecord, Listing, Record, RecordError, Stored};

/// What a cache file must start with to be used: vouch's version, since
/// what it accepts as a valid record, and how it keys records, may change
/// between versions.
const STAMP: &str = concat!("vouch-records-cache/4 ", env!("CARGO_PKG_VERSION"), "\n");

/// Bytes of a key's hash kept in the index: a collision only makes a
/// lookup read a record it then leaves out.
const KEY_BYTES: usize = 16;
const KEY_ENTRY: usize = KEY_BYTES + 8;
/// Keys per block of the keys table: a lookup reads the fence (each
/// block's first key) when the cache is opened, then one block.
const BLOCK: usize = 64;
const RECORD_ENTRY: usize = 12;
/// Records up to this size (about 1,700 approvals) are read whole when the
/// cache is opened ([`Keyed::read_whole_if_small`]); unit tests, whose
/// records are few, read them by key.
const SMALL: u64 = if cfg!(test) { 1 } else { 1 << 20 };

#[derive(Serialize, Deserialize)]
struct Header {
    /// `(ref, tip)`, sorted.
    tips: Vec<(String, String)>,
    /// Sorted.
    bad: BadText,
    keys: usize,
    members: usize,
    records: usize,
    /// The length of the records section, and its SHA-256 (hex), checked
    /// when it is read whole.
    data: u64,
    data_sha256: String,
}

fn file(repo: &Repository, kind: super::Kind) -> PathBuf {
    repo.commondir().join("vouch").join("cache").join(format!("{}.keyed", kind.type_name()))
}

/// The key of record id `id`.
pub(super) fn id_key(id: &str) -> String {
    format!("id {id}")
}

fn key_hash(key: &str) -> [u8; KEY_BYTES] {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = [0u8; KEY_BYTES];
    out.copy_from_slice(&digest[..KEY_BYTES]);
    out
}

/// Every key of `record`, stored as `id`.
fn keys_of<R: Record>(id: &str, record: &R) -> Vec<String> {
    let mut keys = record.index_keys();
    keys.push(id_key(id));
    keys.sort();
    keys.dedup();
    keys
}

/// The records of `R`, through the cache.
pub(super) fn list<R: Record>(repo: &Repository) -> Result<Listing<R>, RecordError> {
    Ok(match open::<R>(repo)? {
        Opened::Keyed(keyed) => Listing { records: keyed.all().to_vec(), bad: keyed.bad().to_vec() },
        Opened::Listing(listing) => listing,
    })
}

/// The records of `R` as the cache holds them, brought up to date first
/// when the refs moved: the records a ref's new commits added go to the
/// cache's delta, and the keyed file is written anew only when the delta
/// outgrows [`DELTA_LIMIT`] or the refs' history was rewritten.
pub(super) fn open<R: Record>(repo: &Repository) -> Result<Opened<R>, RecordError> {
    let path = file(repo, R::KIND);
    let cached = Keyed::<R>::open(&path, repo.commondir());
    if let Some(keyed) = cached {
        if keyed.tips == branch::current_tips(repo, R::KIND)? {
            return Ok(Opened::Keyed(Box::new(keyed)));
        }
        let state = branch::read(repo, Some(keyed.delta_state()))?;
        if state.whole {
            write(&path, &state);
            return Ok(Opened::Listing(state.listing()));
        }
        if state.records.len() <= DELTA_LIMIT {
            write_delta(&path, &keyed.base_tips, &state);
            if let Some(again) = Keyed::<R>::open(&path, repo.commondir())
                && again.tips == state.tips
            {
                return Ok(Opened::Keyed(Box::new(again)));
            }
        }
        // The delta is full (or could not be kept): one file again, the
        // keyed file's records copied as they are.
        if let Ok(bytes) = keyed.merged(&state)
            && write_bytes(&path, &bytes)
            && let Some(again) = Keyed::<R>::open(&path, repo.commondir())
            && again.tips == state.tips
        {
            return Ok(Opened::Keyed(Box::new(again)));
        }
        if let Ok(mut whole) = keyed.base_state() {
            whole.records.extend(state.records);
            whole.tips = state.tips;
            whole.bad = state.bad;
            write(&path, &whole);
            return Ok(Opened::Listing(whole.listing()));
        }
    }
    let state = branch::read::<R>(repo, None)?;
    write(&path, &state);
    Ok(Opened::Listing(state.listing()))
}

/// What [`open`] found.
pub enum Opened<R> {
    /// The cache, up to date.
    Keyed(Box<Keyed<R>>),
    /// Every record, read (and the cache written anew).
    Listing(Listing<R>),
}

/// Records a delta holds at most: past it the keyed file is written anew
/// (every process reads the delta whole; at this size, about 300 KB). Tests
/// pass it with a few records.
const DELTA_LIMIT: usize = if cfg!(test) { 4 } else { 512 };

/// Keep `state` as the keyed file. A failure costs only time later, so it
/// is ignored.
fn write<R: Record>(path: &Path, state: &State<R>) {
    if let Ok(bytes) = encode(state) {
        write_bytes(path, &bytes);
    }
}

/// Keep `bytes` as the keyed file at `path`; whether it was kept.
fn write_bytes(path: &Path, bytes: &[u8]) -> bool {
    if crate::store::write_atomic(path, bytes).is_err() {
        return false;
    }
    // Its delta was of the file replaced; and the cache vouch kept before
    // this one (`<kind>.json`, the same records as one JSON document) is
    // derived data nothing reads now.
    let _ = std::fs::remove_file(path.with_extension("delta"));
    let _ = std::fs::remove_file(path.with_extension("json"));
    true
}

/// The records the refs' commits since the keyed file's tips (`base`)
/// added, and the tips and bad files now, as [`Delta`] keeps them.
#[derive(Serialize, Deserialize)]
#[serde(bound = "R: Record")]
struct DeltaFile<R> {
    stamp: String,
    base: Vec<(String, String)>,
    tips: Vec<(String, String)>,
    records: Vec<(String, String, R)>,
    bad: BadText,
}

fn tips_text(tips: &[(String, Oid)]) -> Vec<(String, String)> {
    tips.iter().map(|(name, tip)| (name.clone(), tip.to_string())).collect()
}

fn tips_of(text: Vec<(String, String)>) -> Option<Vec<(String, Oid)>> {
    text.into_iter().map(|(name, tip)| Some((name, Oid::from_str(&tip).ok()?))).collect()
}

/// `(ref, path, reason)` of each bad file.
type BadText = Vec<(String, String, String)>;

fn bad_text(bad: &std::collections::BTreeMap<(String, String), String>) -> BadText {
    bad.iter().map(|((source, path), reason)| (source.clone(), path.clone(), reason.clone())).collect()
}

fn bad_of<R: Record>(text: BadText) -> Vec<BadRecord> {
    text.into_iter().map(|(source, path, reason)| BadRecord { kind: R::KIND, source, path, reason }).collect()
}

/// Keep `state` (what the commits since `base` added) as the delta of the
/// keyed file at `path`. A failure costs only time later.
fn write_delta<R: Record>(path: &Path, base: &[(String, Oid)], state: &State<R>) {
    let delta = DeltaFile {
        stamp: STAMP.to_string(),
        base: tips_text(base),
        tips: tips_text(&state.tips),
        records: state.records.iter().map(|(id, (blob, r))| (id.clone(), blob.to_string(), r.clone())).collect(),
        bad: bad_text(&state.bad),
    };
    if let Ok(bytes) = serde_json::to_vec(&delta) {
        let _ = crate::store::write_atomic(&path.with_extension("delta"), &bytes);
    }
}

/// The records added since the keyed file's tips, read whole (there are
/// at most [`DELTA_LIMIT`]), by key.
struct Delta<R> {
    /// The tips it is up to date with, and the bad files at them.
    tips: Vec<(String, Oid)>,
    bad: Vec<BadRecord>,
    /// The records, and the blob each was read from.
    records: Vec<Stored<R>>,
    blobs: Vec<Oid>,
    by_key: HashMap<String, Vec<usize>>,
}

impl<R: Record> Delta<R> {
    /// The delta beside the keyed file at `path` whose tips are `base`, if
    /// there is one and it is whole.
    fn read(path: &Path, base: &[(String, Oid)]) -> Option<Delta<R>> {
        let bytes = std::fs::read(path.with_extension("delta")).ok()?;
        let file: DeltaFile<R> = serde_json::from_slice(&bytes).ok()?;
        if file.stamp != STAMP || tips_of(file.base)? != base {
            return None;
        }
        let mut records = Vec::with_capacity(file.records.len());
        let mut blobs = Vec::with_capacity(file.records.len());
        for (id, blob, record) in file.records {
            if super::id_of(&record) != id {
                return None;
            }
            blobs.push(Oid::from_str(&blob).ok()?);
            records.push(Stored { id, record });
        }
        let by_key = by_key(&records);
        Some(Delta { tips: tips_of(file.tips)?, bad: bad_of::<R>(file.bad), records, blobs, by_key })
    }

    /// Its records under `key`, in time order.
    fn get(&self, key: &str) -> Vec<&Stored<R>> {
        self.by_key.get(key).map_or(Vec::new(), |list| list.iter().map(|&n| &self.records[n]).collect())
    }

    /// Its records, each with its blob.
    fn entries(&self) -> impl Iterator<Item = (&Stored<R>, Oid)> {
        self.records.iter().zip(self.blobs.iter().copied())
    }
}

fn encode<R: Record>(state: &State<R>) -> Result<Vec<u8>, serde_json::Error> {
    let mut data = Vec::new();
    let mut records = Vec::with_capacity(state.records.len() * RECORD_ENTRY);
    let mut entries: Vec<([u8; KEY_BYTES], u32)> = Vec::new();
    for (number, (id, (blob, record))) in state.records.iter().enumerate() {
        let start = data.len() as u64;
        serde_json::to_writer(&mut data, &(id, blob.to_string(), record))?;
        records.push((start, (data.len() as u64 - start) as u32));
        entries.extend(keys_of(id, record).iter().map(|k| (key_hash(k), number as u32)));
    }
    entries.sort_unstable();
    entries.dedup();
    let members: Vec<([u8; KEY_BYTES], (u64, u32))> =
        entries.into_iter().map(|(key, number)| (key, records[number as usize])).collect();
    assemble(&state.tips, &state.bad, &members, &records, &data)
}

/// The keyed file of the records `data` holds (entries `[id, blob,
/// record]` in id order, at `records`), with `members`: each key's hash
/// and the location of a record under it, sorted by key, then by record.
fn assemble(
    tips: &[(String, Oid)],
    bad: &std::collections::BTreeMap<(String, String), String>,
    members: &[([u8; KEY_BYTES], (u64, u32))],
    records: &[(u64, u32)],
    data: &[u8],
) -> Result<Vec<u8>, serde_json::Error> {
    let location = |(offset, len): (u64, u32)| offset.to_le_bytes().into_iter().chain(len.to_le_bytes());
    let mut keys = Vec::new();
    let mut n_keys = 0;
    let mut i = 0;
    while i < members.len() {
        let key = members[i].0;
        let first = i;
        while i < members.len() && members[i].0 == key {
            i += 1;
        }
        keys.extend_from_slice(&key);
        keys.extend_from_slice(&(first as u32).to_le_bytes());
        keys.extend_from_slice(&((i - first) as u32).to_le_bytes());
        n_keys += 1;
    }
    let header = Header {
        tips: tips_text(tips),
        bad: bad_text(bad),
        keys: n_keys,
        members: members.len(),
        records: records.len(),
        data: data.len() as u64,
        data_sha256: crate::fingerprint::sha256_hex(data),
    };
    let header = serde_json::to_vec(&header)?;
    let fence: Vec<u8> = keys.chunks(BLOCK * KEY_ENTRY).flat_map(|block| block[..KEY_BYTES].to_vec()).collect();
    let tables = (members.len() + records.len()) * RECORD_ENTRY;
    let mut out = Vec::with_capacity(STAMP.len() + 8 + header.len() + fence.len() + keys.len() + tables + data.len());
    out.extend_from_slice(STAMP.as_bytes());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&fence);
    out.extend_from_slice(&keys);
    out.extend(members.iter().flat_map(|(_, at)| location(*at)));
    out.extend(records.iter().flat_map(|at| location(*at)));
    out.extend_from_slice(data);
    Ok(out)
}

/// The id an entry `["<id>", ...` of the keyed file starts with.
fn entry_id(entry: &[u8]) -> Option<&str> {
    let id = entry.strip_prefix(b"[\"")?.get(..64)?;
    (entry.get(66) == Some(&b'"') && id.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
        .then(|| std::str::from_utf8(id).ok())
        .flatten()
}

/// The records of a block's keys, each once read.
type Block<R> = Box<[OnceLock<Vec<Stored<R>>>]>;

/// Where a key is: its position in the keys table, and its first member
/// and number of members.
type Found = (usize, (usize, usize));

/// An up-to-date cache of `R`'s records, read by key: the fence and the
/// delta are read when it is opened, a key's block of the keys table, its
/// members and its records when the key is first asked for. A record that fails its check (the file
/// was damaged after it was written) sends every later question to the
/// records branch itself, read whole.
pub struct Keyed<R> {
    path: PathBuf,
    common_dir: PathBuf,
    file: Mutex<File>,
    /// The first key of each block of the keys table.
    fence: Vec<[u8; KEY_BYTES]>,
    /// Where the keys, the members, the records table and the records
    /// start.
    keys_start: u64,
    members_start: u64,
    records_start: u64,
    data_start: u64,
    n_members: usize,
    n_records: usize,
    data_len: u64,
    data_sha256: String,
    /// The tips the keyed file was written at, and those it and its delta
    /// are up to date with.
    base_tips: Vec<(String, Oid)>,
    tips: Vec<(String, Oid)>,
    bad: Vec<BadRecord>,
    delta: Option<Delta<R>>,
    /// Each key's records once read, by blocks of [`BLOCK`] keys.
    slots: Vec<OnceLock<Block<R>>>,
    n_keys: usize,
    all: OnceLock<Vec<Stored<R>>>,
    /// Every record, read from the branch, once the cache failed a check.
    fallback: OnceLock<Vec<Stored<R>>>,
    /// Every record ([`Keyed::all`]) by key, once they were read at once.
    by_key: OnceLock<HashMap<String, Vec<usize>>>,
    /// Where each key asked about is, and how many keys' records were read.
    found: Mutex<HashMap<String, Option<Found>>>,
    read_keys: AtomicUsize,
    /// Why the branch could not be read either, if it could not: the
    /// answers given since are incomplete.
    damage: OnceLock<String>,
}

impl<R> std::fmt::Debug for Keyed<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyed").field("path", &self.path).field("keys", &self.n_keys).finish()
    }
}

impl<R: Record> Keyed<R> {
    /// The cache at `path`, when it is one this vouch wrote whole.
    fn open(path: &Path, common_dir: &Path) -> Option<Keyed<R>> {
        let mut file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        let mut stamp = vec![0u8; STAMP.len() + 8];
        file.read_exact(&mut stamp).ok()?;
        if &stamp[..STAMP.len()] != STAMP.as_bytes() {
            return None;
        }
        // Every size is checked against the file's before anything is
        // read into memory: a damaged size must not ask for terabytes.
        let header_len = u64::from_le_bytes(stamp[STAMP.len()..].try_into().ok()?);
        let fence_start = (stamp.len() as u64).checked_add(header_len).filter(|&end| end <= len)?;
        let mut header = vec![0u8; usize::try_from(header_len).ok()?];
        file.read_exact(&mut header).ok()?;
        let header: Header = serde_json::from_slice(&header).ok()?;
        let size = |n: usize, width: usize| u64::try_from(n.checked_mul(width)?).ok();
        let keys_start = fence_start.checked_add(size(header.keys.div_ceil(BLOCK), KEY_BYTES)?)?;
        let members_start = keys_start.checked_add(size(header.keys, KEY_ENTRY)?)?;
        let records_start = members_start.checked_add(size(header.members, RECORD_ENTRY)?)?;
        let data_start = records_start.checked_add(size(header.records, RECORD_ENTRY)?)?;
        // A file cut short, or longer than what was written, is not used.
        if len != data_start.checked_add(header.data)? {
            return None;
        }
        let mut fence = vec![0u8; usize::try_from(keys_start - fence_start).ok()?];
        file.read_exact(&mut fence).ok()?;
        let fence = fence.chunks_exact(KEY_BYTES).map(|f| f.try_into().expect("KEY_BYTES long")).collect();
        let base_tips = tips_of(header.tips)?;
        let delta = Delta::read(path, &base_tips);
        let (tips, bad) = match &delta {
            Some(delta) => (delta.tips.clone(), delta.bad.clone()),
            None => (base_tips.clone(), bad_of::<R>(header.bad)),
        };
        let slots = std::iter::repeat_with(OnceLock::new).take(header.keys.div_ceil(BLOCK)).collect();
        Some(Keyed {
            path: path.to_path_buf(),
            common_dir: common_dir.to_path_buf(),
            file: Mutex::new(file),
            fence,
            keys_start,
            members_start,
            records_start,
            data_start,
            n_members: header.members,
            n_records: header.records,
            data_len: header.data,
            data_sha256: header.data_sha256,
            base_tips,
            tips,
            bad,
            delta,
            slots,
            n_keys: header.keys,
            all: OnceLock::new(),
            fallback: OnceLock::new(),
            by_key: OnceLock::new(),
            found: Mutex::new(HashMap::new()),
            read_keys: AtomicUsize::new(0),
            damage: OnceLock::new(),
        })
    }

    /// Whether it holds no record (read from its header and delta).
    pub fn is_empty(&self) -> bool {
        self.n_records == 0 && self.delta.as_ref().is_none_or(|d| d.records.is_empty())
    }

    /// Read every record now when there are few (at most [`SMALL`] bytes
    /// of them): the gate reads the records on a thread of their own
    /// while it reads the commit, and judging a commit may ask about most
    /// of a small repository's records.
    pub fn read_whole_if_small(&self) {
        if self.data_len <= SMALL {
            self.whole_slot("");
        }
    }

    /// The invalid files at the tips.
    pub fn bad(&self) -> &[BadRecord] {
        &self.bad
    }

    /// Why some answers may lack records: the cache failed a check and the
    /// records branch could not be read either.
    pub fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }

    /// The records under `key`, in time order ([`super::time_key`]).
    pub fn get(&self, key: &str) -> Vec<&Stored<R>> {
        // Once the cache failed a check, or once a reader read a sixteenth
        // of the keys' records (a reviewer's queue judges every request,
        // a gate every unit of a commit), every record is read at once
        // and grouped by key: a key's lookup costs about as much as
        // reading ten records in one pass.
        let many = self.read_keys.load(Ordering::Relaxed) >= (self.n_keys / 16).max(16);
        if many || self.fallback.get().is_some() || self.by_key.get().is_some() {
            return self.whole_slot(key);
        }
        let known = self.found.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).copied();
        let found = match known.map_or_else(|| self.find(key), Ok) {
            Ok(found) => {
                self.found.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.to_string(), found);
                found
            }
            Err(e) => {
                self.fall_back(&e);
                return self.whole_slot(key);
            }
        };
        let Some((slot, members)) = found else { return self.delta_slot(key) };
        let block = self.slots[slot / BLOCK]
            .get_or_init(|| std::iter::repeat_with(OnceLock::new).take(BLOCK).collect::<Vec<_>>().into_boxed_slice());
        let records = block[slot % BLOCK].get_or_init(|| match self.read_members(members) {
            Ok(read) => {
                self.read_keys.fetch_add(1, Ordering::Relaxed);
                let mut records: Vec<Stored<R>> =
                    read.into_iter().filter(|s| keys_of(&s.id, &s.record).iter().any(|k| k == key)).collect();
                for added in self.delta_slot(key) {
                    if !records.iter().any(|r| r.id == added.id) {
                        records.push((*added).clone());
                    }
                }
                records.sort_by_cached_key(super::time_key);
                records
            }
            Err(e) => {
                self.fall_back(&e);
                self.whole_slot(key).into_iter().cloned().collect()
            }
        });
        records.iter().collect()
    }

    /// Every record, in id order.
    pub fn all(&self) -> &[Stored<R>] {
        self.all.get_or_init(|| {
            if self.fallback.get().is_none() {
                let read = self.entries().map(|entries| {
                    let mut all: Vec<Stored<R>> =
                        entries.into_iter().map(|(id, _, record)| Stored { id, record }).collect();
                    // The delta's records, less those the file has.
                    let added = self.delta.iter().flat_map(|d| &d.records);
                    let added: Vec<Stored<R>> =
                        added.filter(|a| all.binary_search_by(|s| s.id.cmp(&a.id)).is_err()).cloned().collect();
                    all.extend(added);
                    all.sort_by(|a, b| a.id.cmp(&b.id));
                    all
                });
                match read {
                    Ok(all) => return all,
                    Err(e) => self.fall_back(&e),
                }
            }
            self.fallback.get().cloned().unwrap_or_default()
        })
    }

    /// Every record it holds, the delta's too, with its tips and bad files.
    #[cfg(test)]
    fn state(&self) -> Result<State<R>, String> {
        let mut state = self.base_state()?;
        state.records.extend(self.delta_state().records);
        Ok(state)
    }

    /// The keyed file's records, with the tips and bad files now: what a
    /// delta grown too large is added to.
    fn base_state(&self) -> Result<State<R>, String> {
        let entries = self.entries()?.into_iter().map(|(id, blob, record)| (id, (blob, record)));
        Ok(self.state_with(entries.collect()))
    }

    /// The delta's records, with the tips and bad files now: what the
    /// refs' new commits are read on top of.
    fn delta_state(&self) -> State<R> {
        let delta = self.delta.iter().flat_map(Delta::entries);
        self.state_with(delta.map(|(stored, blob)| (stored.id.clone(), (blob, stored.record.clone()))).collect())
    }

    /// `records`, with the tips and bad files now.
    fn state_with(&self, records: std::collections::BTreeMap<String, (Oid, R)>) -> State<R> {
        let mut state = State::empty();
        state.tips = self.tips.clone();
        state.records = records;
        for bad in &self.bad {
            state.bad.insert((bad.source.clone(), bad.path.clone()), bad.reason.clone());
        }
        state
    }

    /// The delta's records under `key`, in time order.
    fn delta_slot(&self, key: &str) -> Vec<&Stored<R>> {
        self.delta.as_ref().map_or(Vec::new(), |d| d.get(key))
    }

    /// The keyed file with `added` (the records since its tips, with the
    /// tips and bad files now) merged in, as [`encode`] would write every
    /// record: its own records are copied as they are, once their hash
    /// checks, and only the added ones are encoded and keyed; the index
    /// is merged. A full delta so costs copying the file, not decoding
    /// and encoding every record.
    fn merged(&self, added: &State<R>) -> Result<Vec<u8>, String> {
        let data = self.read_at(self.data_start, usize::try_from(self.data_len).map_err(|e| e.to_string())?)?;
        if crate::fingerprint::sha256_hex(&data) != self.data_sha256 {
            return Err("its records do not match their hash".into());
        }
        let old = self.locations(self.records_start, self.n_records)?;
        let entry = |(offset, len): (u64, u32)| {
            let start = usize::try_from(offset).ok()?;
            data.get(start..start.checked_add(len as usize)?)
        };
        let ids: Vec<&str> = old
            .iter()
            .map(|&at| entry(at).and_then(entry_id))
            .collect::<Option<_>>()
            .ok_or("an entry without its id")?;
        if !ids.is_sorted_by(|a, b| a < b) {
            return Err("its records are not in id order".into());
        }
        // Both in id order: the added records, each as its entry.
        let mut new: Vec<(&str, Vec<u8>, &R)> = Vec::with_capacity(added.records.len());
        for (id, (blob, record)) in &added.records {
            new.push((id, serde_json::to_vec(&(id, blob.to_string(), record)).map_err(|e| e.to_string())?, record));
        }
        let mut out_data = Vec::with_capacity(data.len() + new.iter().map(|(_, e, _)| e.len()).sum::<usize>());
        let mut records = Vec::with_capacity(old.len() + new.len());
        // Where each old record is now (an added record of the same id
        // replaces it, as a read of every record would).
        let mut moved: Vec<(u64, u32)> = vec![(0, 0); old.len()];
        let mut keyed: Vec<([u8; KEY_BYTES], (u64, u32))> = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            let start = out_data.len() as u64;
            let take_new = j < new.len() && (i == old.len() || new[j].0 <= ids[i]);
            if take_new {
                let (id, bytes, record) = &new[j];
                out_data.extend_from_slice(bytes);
                let at = (start, bytes.len() as u32);
                keyed.extend(keys_of(id, *record).iter().map(|k| (key_hash(k), at)));
                if i < old.len() && ids[i] == *id {
                    moved[i] = at;
                    i += 1;
                }
                records.push(at);
                j += 1;
            } else {
                let bytes = entry(old[i]).ok_or("a record lies outside the file")?;
                out_data.extend_from_slice(bytes);
                moved[i] = (start, old[i].1);
                records.push(moved[i]);
                i += 1;
            }
        }
        // The old members, each where its record is now.
        let members = self.locations(self.members_start, self.n_members)?;
        let keys = self.read_at(self.keys_start, self.n_keys * KEY_ENTRY)?;
        for entry in keys.chunks_exact(KEY_ENTRY) {
            let key: [u8; KEY_BYTES] = entry[..KEY_BYTES].try_into().expect("KEY_BYTES long");
            let (first, count) = (u32_at(entry, KEY_BYTES) as usize, u32_at(entry, KEY_BYTES + 4) as usize);
            let of_key = first
                .checked_add(count)
                .and_then(|end| members.get(first..end))
                .ok_or("a key's members are out of bounds")?;
            for at in of_key {
                let n = old.binary_search_by_key(&at.0, |o| o.0).map_err(|_| "a key names no record")?;
                keyed.push((key, moved[n]));
            }
        }
        keyed.sort_unstable();
        keyed.dedup();
        assemble(&added.tips, &added.bad, &keyed, &records, &out_data).map_err(|e| e.to_string())
    }

    /// Every entry, read in one pass over the records, whose hash is
    /// checked (one hash of the section, not one per record).
    fn entries(&self) -> Result<Vec<(String, Oid, R)>, String> {
        let locations = self.locations(self.records_start, self.n_records)?;
        let data = self.read_at(self.data_start, usize::try_from(self.data_len).map_err(|e| e.to_string())?)?;
        if crate::fingerprint::sha256_hex(&data) != self.data_sha256 {
            return Err("its records do not match their hash".into());
        }
        locations.into_iter().map(|at| parse_entry(&data, at)).collect()
    }

    /// Where `key` is in the keys table and where its members are
    /// (first, count), if it is there.
    fn find(&self, key: &str) -> Result<Option<Found>, String> {
        let hash = key_hash(key);
        let Some(block) = self.fence.partition_point(|first| *first <= hash).checked_sub(1) else { return Ok(None) };
        let count = BLOCK.min(self.n_keys - block * BLOCK);
        let keys = self.read_at(self.keys_start + (block * BLOCK * KEY_ENTRY) as u64, count * KEY_ENTRY)?;
        let entries: Vec<&[u8]> = keys.chunks_exact(KEY_ENTRY).collect();
        let Ok(i) = entries.binary_search_by(|e| e[..KEY_BYTES].cmp(&hash[..])) else { return Ok(None) };
        let entry = entries[i];
        Ok(Some((block * BLOCK + i, (u32_at(entry, KEY_BYTES) as usize, u32_at(entry, KEY_BYTES + 4) as usize))))
    }

    fn read_members(&self, (first, count): (usize, usize)) -> Result<Vec<Stored<R>>, String> {
        if first.checked_add(count).is_none_or(|end| end > self.n_members) {
            return Err("a key's members are out of bounds".into());
        }
        let start = self.members_start + (first * RECORD_ENTRY) as u64;
        self.locations(start, count)?.into_iter().map(|at| self.read_record(at)).collect()
    }

    /// `count` locations of records, from the table at `start`.
    fn locations(&self, start: u64, count: usize) -> Result<Vec<(u64, u32)>, String> {
        let bytes = self.read_at(start, count * RECORD_ENTRY)?;
        Ok(bytes.chunks_exact(RECORD_ENTRY).map(|e| (u64_at(e, 0), u32_at(e, 8))).collect())
    }

    /// The record at `at`, checked against its id.
    fn read_record(&self, at: (u64, u32)) -> Result<Stored<R>, String> {
        let (id, _, record) = self.read_entry(at)?;
        if super::id_of(&record) != id {
            return Err(format!("record {id} does not match its id"));
        }
        Ok(Stored { id, record })
    }

    fn read_entry(&self, (offset, len): (u64, u32)) -> Result<(String, Oid, R), String> {
        if offset.checked_add(u64::from(len)).is_none_or(|end| end > self.data_len) {
            return Err("a record lies outside the file".into());
        }
        let bytes = self.read_at(self.data_start + offset, len as usize)?;
        parse_entry(&bytes, (0, len))
    }

    fn read_at(&self, at: u64, len: usize) -> Result<Vec<u8>, String> {
        let mut bytes = vec![0u8; len];
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        file.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        file.read_exact(&mut bytes).map_err(|e| e.to_string())?;
        Ok(bytes)
    }

    /// Read every record from the branch itself, once, after the cache
    /// failed a check (`why`).
    fn fall_back(&self, why: &str) {
        self.fallback.get_or_init(|| {
            eprintln!(
                "vouch: warning: the records cache {} is damaged ({}); reading the records branch instead",
                self.path.display(),
                crate::display::line(why)
            );
            let read = Repository::open(&self.common_dir)
                .map_err(|e| e.to_string())
                .and_then(|repo| super::list_uncached::<R>(&repo).map_err(|e| e.to_string()));
            match read {
                Ok(listing) => listing.records,
                Err(e) => {
                    let _ =
                        self.damage.set(format!("the records cache is damaged and the records cannot be read: {e}"));
                    Vec::new()
                }
            }
        });
    }

    /// The records under `key` of every record ([`Keyed::all`]: the
    /// branch's, once the cache failed a check), in time order.
    fn whole_slot(&self, key: &str) -> Vec<&Stored<R>> {
        let all = self.all();
        let by_key = self.by_key.get_or_init(|| by_key(all));
        by_key.get(key).map_or(Vec::new(), |list| list.iter().map(|&n| &all[n]).collect())
    }
}

/// Where each key's records are in `records`, in time order.
pub(super) fn by_key<R: Record>(records: &[Stored<R>]) -> HashMap<String, Vec<usize>> {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (n, stored) in records.iter().enumerate() {
        for key in keys_of(&stored.id, &stored.record) {
            by_key.entry(key).or_default().push(n);
        }
    }
    for list in by_key.values_mut() {
        list.sort_by_cached_key(|&n| super::time_key(&records[n]));
    }
    by_key
}

/// The entry at `(offset, len)` of `data`: `[id, blob, record]`.
fn parse_entry<R: Record>(data: &[u8], (offset, len): (u64, u32)) -> Result<(String, Oid, R), String> {
    let bytes = usize::try_from(offset)
        .ok()
        .and_then(|start| data.get(start..start.checked_add(len as usize)?))
        .ok_or("a record lies outside the file")?;
    let (id, blob, record): (String, String, R) = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    Ok((id, Oid::from_str(&blob).map_err(|e| e.to_string())?, record))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
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

    fn keyed(repo: &Repository) -> Keyed<Approval> {
        Keyed::open(&file(repo, Kind::Approval), repo.commondir()).expect("a cache")
    }

    fn cached_state(repo: &Repository) -> State<Approval> {
        keyed(repo).state().unwrap()
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
        assert_eq!(cached_state(&repo).tips, [(RECORDS_BRANCH.to_string(), tip1)]);

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

    /// A delta grown past its limit is merged into the keyed file from
    /// the file's own bytes: the file is what writing every record anew
    /// writes, byte for byte, a record the file holds added again and a
    /// bad file included, and it answers as a whole read does.
    #[test]
    fn a_full_delta_is_merged_into_the_file_as_writing_every_record_would_write_it() {
        let (_dir, repo) = temp_repo();
        for n in 0..12 {
            add(&repo, &approval(n)).unwrap();
        }
        list::<Approval>(&repo).unwrap();
        let before = std::fs::read(file(&repo, Kind::Approval)).unwrap();
        // A record the file holds, removed and added again; a bad file.
        let again = id_of(&approval(3));
        let path = format!("approvals/{}/{again}.json", &again[..2]);
        let blob = repo
            .find_reference(RECORDS_BRANCH)
            .unwrap()
            .peel_to_tree()
            .unwrap()
            .get_path(Path::new(&path))
            .unwrap()
            .id();
        edit_branch(&repo, |b| {
            b.remove(&path);
        });
        edit_branch(&repo, |b| {
            b.upsert(&path, blob, git2::FileMode::Blob);
            b.upsert("approvals/00/not-a-record.json", repo.blob(b"{}").unwrap(), git2::FileMode::Blob);
        });
        list::<Approval>(&repo).unwrap();
        assert!(file(&repo, Kind::Approval).with_extension("delta").exists());
        for n in 100..100 + DELTA_LIMIT as u32 {
            add(&repo, &approval(n)).unwrap();
        }
        assert!(matches!(open::<Approval>(&repo).unwrap(), Opened::Keyed(_)));
        assert!(!file(&repo, Kind::Approval).with_extension("delta").exists(), "the delta was merged");
        let merged = std::fs::read(file(&repo, Kind::Approval)).unwrap();
        assert_ne!(merged, before);
        let full = branch::read::<Approval>(&repo, None).unwrap();
        assert_eq!(full.bad.len(), 1);
        assert_eq!(merged, encode(&full).unwrap(), "the merged file is the file of every record");
        let keyed = keyed(&repo);
        for n in (0..12).chain(100..100 + DELTA_LIMIT as u32) {
            let key = super::super::fingerprint_key(&approval(n).fingerprint);
            let found: Vec<String> = keyed.get(&key).iter().map(|s| s.id.clone()).collect();
            assert_eq!(found, [id_of(&approval(n))], "approval {n}");
        }
        let listing = list_uncached::<Approval>(&repo).unwrap();
        assert_eq!(keyed.all().iter().map(|s| s.id.clone()).collect::<Vec<_>>(), ids(&listing));
    }

    #[test]
    fn a_damaged_file_is_not_merged_but_written_anew() {
        let (_dir, repo) = temp_repo();
        for n in 0..6 {
            add(&repo, &approval(n)).unwrap();
        }
        list::<Approval>(&repo).unwrap();
        // One byte of a record changed: its hash no longer checks.
        let path = file(&repo, Kind::Approval);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() - 40;
        bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
        std::fs::write(&path, &bytes).unwrap();
        let state = branch::read(&repo, None).unwrap();
        assert!(keyed(&repo).merged(&state).is_err(), "a merge copied damaged records");
        for n in 6..6 + DELTA_LIMIT as u32 + 1 {
            add(&repo, &approval(n)).unwrap();
        }
        list::<Approval>(&repo).unwrap();
        let full = branch::read::<Approval>(&repo, None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), encode(&full).unwrap());
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
        std::fs::write(&path, b"vouch-records-cache/3 tru").unwrap();
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&full));
        // Written by another version of vouch: read everything again.
        let written = std::fs::read(&path).unwrap();
        let mut other = b"vouch-records-cache/3 0.0.0\n".to_vec();
        other.extend_from_slice(&written[STAMP.len()..]);
        std::fs::write(&path, &other).unwrap();
        assert!(Keyed::<Approval>::open(&path, repo.commondir()).is_none());
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&full));
        // Cut short, or with bytes after its end.
        let written = std::fs::read(&path).unwrap();
        std::fs::write(&path, &written[..written.len() - 1]).unwrap();
        assert!(Keyed::<Approval>::open(&path, repo.commondir()).is_none());
        let mut longer = written.clone();
        longer.push(b'\n');
        std::fs::write(&path, &longer).unwrap();
        assert!(Keyed::<Approval>::open(&path, repo.commondir()).is_none());
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&full));
        // An old tip that no longer exists: read everything again.
        let mut gone = State::<Approval>::empty();
        gone.tips
            .push((RECORDS_BRANCH.to_string(), Oid::from_str("1111111111111111111111111111111111111111").unwrap()));
        std::fs::write(&path, encode(&gone).unwrap()).unwrap();
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&full));
    }

    #[test]
    fn an_up_to_date_cache_answers_by_key_as_a_whole_read_does() {
        let (_dir, repo) = temp_repo();
        let mut made = Vec::new();
        // More keys than a block of the keys table holds.
        for n in 0..120 {
            // Three approvals of each fingerprint, made in another order
            // than their ids'.
            let mut a = approval(n / 3);
            a.created = format!("2026-01-31T{:02}:{:02}:00.000Z", 10 - n / 60, 59 - n % 60);
            made.push(id_of(&a));
            add(&repo, &a).unwrap();
        }
        list::<Approval>(&repo).unwrap();
        let Opened::Keyed(keyed) = open::<Approval>(&repo).unwrap() else { panic!("the cache is up to date") };
        let whole = super::super::Records::listed(list_uncached::<Approval>(&repo).unwrap().records);
        assert!(keyed.n_keys > 2 * BLOCK);
        for n in 0..42 {
            let key = super::super::fingerprint_key(&approval(n).fingerprint);
            let by_key: Vec<&str> = keyed.get(&key).iter().map(|s| s.id.as_str()).collect();
            let read: Vec<&str> = whole.get(&key).iter().map(|s| s.id.as_str()).collect();
            assert_eq!(by_key, read, "fingerprint {n}");
            assert_eq!(by_key.len(), if n < 40 { 3 } else { 0 });
        }
        assert!(keyed.get("fingerprint nothing").is_empty());
        assert_eq!(keyed.get(&id_key(&made[7]))[0].id, made[7]);
        assert_eq!(keyed.all().len(), 120);

        // New records: the cache is brought up to date by a delta of what
        // they added, beside the keyed file, which is not written again.
        let keyed_file = std::fs::read(file(&repo, Kind::Approval)).unwrap();
        for n in [99, 0] {
            add(&repo, &approval(n)).unwrap();
        }
        let Opened::Keyed(keyed) = open::<Approval>(&repo).unwrap() else { panic!("a delta keeps it up to date") };
        assert_eq!(std::fs::read(file(&repo, Kind::Approval)).unwrap(), keyed_file);
        assert!(file(&repo, Kind::Approval).with_extension("delta").exists());
        let whole = super::super::Records::listed(list_uncached::<Approval>(&repo).unwrap().records);
        for n in [0, 1, 99] {
            let key = super::super::fingerprint_key(&approval(n).fingerprint);
            let by_key: Vec<&str> = keyed.get(&key).iter().map(|s| s.id.as_str()).collect();
            let read: Vec<&str> = whole.get(&key).iter().map(|s| s.id.as_str()).collect();
            assert_eq!(by_key, read, "fingerprint {n}");
        }
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&list_uncached::<Approval>(&repo).unwrap()));
        assert_eq!(keyed.all().len(), 122);

        // Past the delta's limit the keyed file is written anew, and the
        // delta goes.
        for n in 200..200 + DELTA_LIMIT as u32 {
            add(&repo, &approval(n)).unwrap();
        }
        assert!(matches!(open::<Approval>(&repo).unwrap(), Opened::Keyed(_)));
        assert_ne!(std::fs::read(file(&repo, Kind::Approval)).unwrap(), keyed_file);
        assert!(!file(&repo, Kind::Approval).with_extension("delta").exists());
        let Opened::Keyed(keyed) = open::<Approval>(&repo).unwrap() else { panic!("up to date") };
        assert_eq!(keyed.all().len(), 122 + DELTA_LIMIT);
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&list_uncached::<Approval>(&repo).unwrap()));
    }

    /// Readers that bring the cache up to date while a writer adds records
    /// (each writing the delta or the keyed file anew, by renames) never
    /// fail, never see a record twice or one that is not on the branch, and
    /// leave a cache that lists what a whole read lists.
    #[test]
    fn readers_and_a_writer_at_once_leave_a_cache_that_matches_the_branch() {
        let (dir, repo) = temp_repo();
        add(&repo, &approval(0)).unwrap();
        list::<Approval>(&repo).unwrap();
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let path = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    let repo = Repository::open(&path).unwrap();
                    for n in 1..=24u32 {
                        if t == 0 {
                            add(&repo, &approval(n)).unwrap();
                            continue;
                        }
                        let listed = ids(&list::<Approval>(&repo).unwrap());
                        let mut unique = listed.clone();
                        unique.dedup();
                        assert_eq!(unique, listed, "sorted, each once");
                        let whole = ids(&list_uncached::<Approval>(&repo).unwrap());
                        assert!(listed.iter().all(|id| whole.contains(id)), "only records on the branch");
                        if let Opened::Keyed(keyed) = open::<Approval>(&repo).unwrap() {
                            let key = super::super::fingerprint_key(&approval(n % 3).fingerprint);
                            assert!(keyed.get(&key).len() <= 1);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&list_uncached::<Approval>(&repo).unwrap()));
        assert_eq!(list::<Approval>(&repo).unwrap().records.len(), 25);
    }

    #[test]
    fn a_damaged_size_in_the_cache_asks_for_nothing_it_does_not_hold() {
        let (_dir, repo) = temp_repo();
        add(&repo, &approval(0)).unwrap();
        list::<Approval>(&repo).unwrap();
        let path = file(&repo, Kind::Approval);
        let written = std::fs::read(&path).unwrap();
        // The header's length, then the number of keys in it.
        let mut huge = written.clone();
        huge[STAMP.len()..STAMP.len() + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&path, &huge).unwrap();
        assert!(Keyed::<Approval>::open(&path, repo.commondir()).is_none());
        let header_len = u64::from_le_bytes(written[STAMP.len()..STAMP.len() + 8].try_into().unwrap()) as usize;
        let header_start = STAMP.len() + 8;
        let header = std::str::from_utf8(&written[header_start..header_start + header_len]).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(header).unwrap();
        value["keys"] = serde_json::json!(4_000_000_000_000_000_000u64);
        let header = serde_json::to_vec(&value).unwrap();
        let mut many = STAMP.as_bytes().to_vec();
        many.extend_from_slice(&(header.len() as u64).to_le_bytes());
        many.extend_from_slice(&header);
        many.extend_from_slice(&written[header_start + header_len..]);
        std::fs::write(&path, &many).unwrap();
        assert!(Keyed::<Approval>::open(&path, repo.commondir()).is_none());
        assert_eq!(ids(&list::<Approval>(&repo).unwrap()), ids(&list_uncached::<Approval>(&repo).unwrap()));
    }

    #[test]
    fn a_damaged_record_in_the_cache_sends_the_reader_to_the_branch() {
        let (_dir, repo) = temp_repo();
        for n in 0..3 {
            add(&repo, &approval(n)).unwrap();
        }
        list::<Approval>(&repo).unwrap();
        // The records' reviewer, changed inside the cache (same length).
        let path = file(&repo, Kind::Approval);
        let bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(15).position(|w| w == b"rev@example.com").unwrap();
        let mut damaged = bytes.clone();
        damaged[at..at + 3].copy_from_slice(b"eve");
        std::fs::write(&path, &damaged).unwrap();

        let Opened::Keyed(keyed) = open::<Approval>(&repo).unwrap() else { panic!("the cache looks whole") };
        let key = super::super::fingerprint_key(&approval(0).fingerprint);
        let found = keyed.get(&key);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].record.reviewer.email, "rev@example.com", "read from the branch, not the cache");
        assert_eq!(keyed.all().len(), 3);
        assert!(keyed.damage().is_none(), "the branch could be read");
        // Read whole, the records are checked by one hash of them.
        let Opened::Keyed(keyed) = open::<Approval>(&repo).unwrap() else { panic!("the cache looks whole") };
        assert!(keyed.all().iter().all(|a| a.record.reviewer.email == "rev@example.com"));
    }
}
