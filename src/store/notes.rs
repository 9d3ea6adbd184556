//! Provenance on commits: the git notes in `refs/notes/vouch`, and how they
//! follow commits that git rewrites, cherry-picks or a server squashes.
//!
//! A note is JSON Lines, one record a line, so that git's own note merging
//! (`cat_sort_uniq`: concatenate, sort, drop duplicates) keeps it valid:
//!
//! ```text
//! {"v":1,"path":"src/a.rs","blob":"<oid>","ai":[[3,9]],"origin":{"tool":"claude"},"evidence":"agent-hook","approvals":[]}
//! {"v":1,"attest":"no-ai"}
//! ```
//!
//! A file record names one committed file version (path and blob id) and the
//! 1-based inclusive line ranges of AI text in that blob; a file with AI text
//! from several tools has one record per origin. The `no-ai` attestation says
//! the commit adds no AI text beyond the file records beside it (alone, it
//! means no AI text at all); it survives a squash next to the records of the
//! other commits.
//!
//! A file record may carry the agent's `intent` (see [`crate::intent`];
//! at most [`crate::intent::NOTE_BUDGET`] bytes of them a note) and
//! `imported` (lines read from another tool's format, which add AI lines
//! but do not attest the commit: [`attests`]). Both are optional: older
//! notes read as before, and older readers ignore them.
//!
//! A file record may also carry `deleted_before`: the places where that
//! origin removed lines in the commit, each the 1-based line of the blob
//! the removed lines stood just before (its line count plus one: at its
//! end). A removal leaves no AI line, so a record may have `"ai":[]` and
//! places only:
//!
//! ```text
//! {"v":1,"path":"src/auth.rs","blob":"<oid>","ai":[],"origin":{"tool":"claude-code"},"evidence":"agent-hook","approvals":[],"deleted_before":[6]}
//! ```
//!
//! Older readers parse such a record (the field is unknown to them and
//! ignored), but `vouch verify` of a build that predates it finds the note
//! not as it would write it and reports `note-mismatch` on that commit: it
//! fails closed rather than passing the removal. Notes without removals
//! are written exactly as before.
//!
//! A file an agent removed whole (through the hooks or `vouch run`) has a
//! record of its own, `removed`, naming the version removed (the first
//! parent's blob) and no lines:
//!
//! ```text
//! {"v":1,"path":"tests/test_auth.py","blob":"<oid>","ai":[],"origin":{"tool":"claude-code"},"evidence":"agent-hook","approvals":[],"removed":true}
//! ```
//!
//! Older readers parse it as a record of a version the commit does not
//! have, and their `vouch verify` reports `note-mismatch`: it fails closed.
//! A rewrite, a pick and [`rebuild`] (a server's squash or rebase) carry
//! it onto a new commit that removes the file too, naming the version
//! that commit's parent has.
//!
//! A note that cannot be read is an error naming the commit and the line:
//! the gate and the verifier fail closed on it.
//!
//! This module is not the journal of uncommitted provenance, nor history
//! evidence read from trailers and other tools' notes (see `history`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::ops::Range;
use std::process::{Command, Stdio};

use git2::{ErrorCode, ObjectType, Oid, Repository, Signature, Sort};
use serde::{Deserialize, Serialize};

use crate::intent::{self, Intent};
use crate::provenance::{AiSource, Attribution, Evidence, Origin, reanchor};

/// The notes ref vouch writes.
pub const NOTES_REF: &str = "refs/notes/vouch";

/// The schema version written in every line (`"v"`).
pub const SCHEMA_VERSION: u32 = 1;

/// How many commits with notes `find_source` compares patch ids with.
const PATCH_ID_CANDIDATES: usize = 2000;

/// One line of a note.
// A note holds a handful of records; boxing the large variant would only add
// noise at every use.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NoteRecord {
    /// AI line ranges in one committed file version.
    File(FileRecord),
    /// The commit adds no AI text (beyond the file records beside this line).
    NoAi,
    /// The file records beside this line name AI text, and the note attests
    /// nothing else: what vouch knew of the commit was not whole when it
    /// was written (a tool call's record it could not write, a journal
    /// segment set aside as damaged, lines from a commit no note attests),
    /// so its other lines are of unknown origin, never a person's.
    Partial,
}

/// AI text in one committed file version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    /// The blob id of the file version the line ranges describe (hex).
    pub blob: String,
    /// 1-based inclusive line ranges of AI text in the blob, sorted and
    /// disjoint.
    pub ai: Vec<[u32; 2]>,
    pub origin: AiSource,
    pub evidence: Evidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Ids of approval records that cover this text.
    #[serde(default)]
    pub approvals: Vec<String>,
    /// Why the agent wrote these lines, as it said at the edit (optional:
    /// notes written before it, and readers that predate it, do without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    /// Set on AI lines read from another tool's records (`agent-trace`):
    /// they add AI lines and nothing else; a note of nothing but imported
    /// records does not attest its commit (see `store::derive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<String>,
    /// Where this origin removed lines in the commit: each the 1-based line
    /// of the blob that the removed lines stood just before (one past its
    /// last line: at its end), sorted, unique. A removal leaves no AI line,
    /// so the place is what the lineage keeps ([`crate::lineage::Deletion`]).
    /// Optional: notes without deletions are written as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_before: Vec<u32>,
    /// Set when the commit removed the file whole and this origin removed
    /// it (an agent's shell command, a patch): `blob` is then the version
    /// removed (the first parent's), `ai` and `deleted_before` are empty.
    /// Optional: notes without removals are written as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// Set when this origin changed the file's mode in the commit (an
    /// agent's `chmod +x`): the mode the commit gave the file, as git
    /// writes it (`100755`, `100644`). `blob` is the version committed.
    /// Optional: notes without changes of mode are written as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

impl FileRecord {
    /// Whether the 1-based `line` is in one of the AI ranges.
    pub fn covers(&self, line: u32) -> bool {
        let i = self.ai.partition_point(|r| r[1] < line);
        self.ai.get(i).is_some_and(|r| r[0] <= line)
    }

    /// How views name this record as evidence, as verify's coverage and
    /// `vouch log` name a note: `vouch note` for a record vouch wrote,
    /// `imported: <format>` (`imported: agent-trace`) for one read from
    /// another tool's format, which adds AI lines and attests nothing.
    pub fn evidence_label(&self) -> String {
        match &self.imported {
            Some(format) => format!("imported: {format}"),
            None => "vouch note".to_string(),
        }
    }

    /// The attribution this record gives its AI lines.
    pub fn attribution(&self) -> Attribution {
        Attribution::ai(self.origin.clone(), self.evidence, self.accepted_by.clone()).with_intent(self.intent.clone())
    }

    /// The record that `by` removed file `path` whole, whose last version
    /// was `blob`; `None` when `by` is no AI.
    pub fn removal(path: &str, blob: Oid, by: &Attribution) -> Option<FileRecord> {
        let Origin::Ai(origin) = &by.origin else { return None };
        Some(FileRecord {
            path: path.to_string(),
            blob: blob.to_string(),
            ai: Vec::new(),
            origin: origin.clone(),
            evidence: by.evidence.unwrap_or(Evidence::AgentHook),
            accepted_by: by.accepted_by.clone(),
            rationale: None,
            approvals: Vec::new(),
            intent: by.intent.as_deref().cloned(),
            imported: None,
            deleted_before: Vec::new(),
            removed: true,
            mode: None,
        })
    }

    /// A record that `by` set the mode of file `path` (at `blob`) to `mode`
    /// in the commit; `None` when `by` is no AI.
    pub fn mode_set(path: &str, blob: Oid, mode: &str, by: &Attribution) -> Option<FileRecord> {
        let removal = FileRecord::removal(path, blob, by)?;
        Some(FileRecord { removed: false, mode: Some(mode.to_string()), ..removal })
    }

    /// The same record with other line ranges, for another blob (the
    /// places of its deletions are the old blob's: the caller carries them
    /// or leaves them out).
    pub(crate) fn moved(&self, blob: Oid, ai: Vec<[u32; 2]>) -> FileRecord {
        FileRecord { blob: blob.to_string(), ai, deleted_before: Vec::new(), ..self.clone() }
    }

    /// Everything but the blob, the line ranges and the places of
    /// deletions, to merge records that differ only in those.
    fn key(&self) -> (String, String, String) {
        let mut meta = self.clone();
        meta.ai.clear();
        meta.deleted_before.clear();
        let meta = serde_json::to_string(&meta).unwrap_or_default();
        (self.path.clone(), self.blob.clone(), meta)
    }
}

impl NoteRecord {
    /// The record as one line of JSON, without the line break.
    pub fn to_line(&self) -> String {
        // Serializing strings, numbers and enums into JSON cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parse one line of a note; the error says what is wrong with it.
    pub fn parse_line(line: &str) -> Result<NoteRecord, String> {
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        NoteRecord::from_value(value)
    }

    fn from_value(value: serde_json::Value) -> Result<NoteRecord, String> {
        let Some(object) = value.as_object() else {
            return Err("not a JSON object".into());
        };
        match object.get("v").and_then(|v| v.as_u64()) {
            Some(1) => {}
            Some(v) => return Err(format!("unsupported schema version {v} (this vouch reads version 1)")),
            None => return Err("missing schema version \"v\"".into()),
        }
        if let Some(attest) = object.get("attest") {
            return match attest.as_str() {
                Some("no-ai") => Ok(NoteRecord::NoAi),
                Some("partial") => Ok(NoteRecord::Partial),
                _ => Err(format!("unknown attestation {attest}")),
            };
        }
        let record: FileRecord = serde_json::from_value(value).map_err(|e| e.to_string())?;
        if record.path.is_empty() {
            return Err("empty path".into());
        }
        if Oid::from_str(&record.blob).is_err() || !matches!(record.blob.len(), 40 | 64) {
            return Err(format!("blob {:?} is not an object id", record.blob));
        }
        let mut last = 0;
        for &[start, end] in &record.ai {
            if start == 0 || end < start {
                return Err(format!("bad line range [{start},{end}]"));
            }
            if start <= last {
                return Err(format!("line range [{start},{end}] is out of order or overlaps the one before"));
            }
            last = end;
        }
        if record.removed && (!record.ai.is_empty() || !record.deleted_before.is_empty()) {
            return Err("a record of a removed file names lines".into());
        }
        let mut last = 0;
        for &line in &record.deleted_before {
            if line <= last {
                return Err(format!("deleted_before {line} is 0, out of order or repeated"));
            }
            last = line;
        }
        Ok(NoteRecord::File(record))
    }
}

impl Serialize for NoteRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct FileLine<'a> {
            v: u32,
            #[serde(flatten)]
            record: &'a FileRecord,
        }
        #[derive(Serialize)]
        struct AttestLine {
            v: u32,
            attest: &'static str,
        }
        match self {
            NoteRecord::File(record) => FileLine { v: SCHEMA_VERSION, record }.serialize(serializer),
            NoteRecord::NoAi => AttestLine { v: SCHEMA_VERSION, attest: "no-ai" }.serialize(serializer),
            NoteRecord::Partial => AttestLine { v: SCHEMA_VERSION, attest: "partial" }.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for NoteRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        NoteRecord::from_value(value).map_err(serde::de::Error::custom)
    }
}

/// Errors reading and writing notes. `Malformed` is the one the gate and the
/// verifier report as an unreadable note (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("malformed vouch note on commit {commit}, line {line}: {reason}")]
    Malformed { commit: Oid, line: usize, reason: String },
    #[error("{action}: {cause}")]
    Git { action: String, cause: git2::Error },
    #[error("{action}: {detail}")]
    Command { action: String, detail: String },
    #[error("cannot read the provenance of the commits {commit} came from: {reason}")]
    Sources { commit: Oid, reason: String },
}

impl NoteError {
    pub(crate) fn git(action: impl Into<String>) -> impl FnOnce(git2::Error) -> NoteError {
        let action = action.into();
        move |cause| NoteError::Git { action, cause }
    }
}

/// Whether a note's records attest its commit: a `no-ai` line, or a file
/// record vouch itself wrote, and no `partial` line. Records imported from
/// another tool's format (`imported`) add AI lines only: a note of nothing
/// else leaves the commit's other lines unattested, as if it had no note;
/// so does a `partial` line ([`NoteRecord::Partial`]).
pub fn attests(records: &[NoteRecord]) -> bool {
    !records.contains(&NoteRecord::Partial)
        && records.iter().any(|r| match r {
            NoteRecord::NoAi => true,
            NoteRecord::Partial => false,
            NoteRecord::File(f) => f.imported.is_none(),
        })
}

/// Parse a note's bytes. Blank lines are skipped; any other line that is not
/// a valid record is an error naming `commit` and the 1-based line.
pub fn parse_note(commit: Oid, bytes: &[u8]) -> Result<Vec<NoteRecord>, NoteError> {
    let malformed = |line: usize, reason: String| NoteError::Malformed { commit, line, reason };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        malformed(line, "not UTF-8".into())
    })?;
    let mut records = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        records.push(NoteRecord::parse_line(line).map_err(|reason| malformed(i + 1, reason))?);
    }
    Ok(records)
}

/// A note's text as libgit2 keeps it: up to its first NUL byte.
pub fn note_text(content: &[u8]) -> &[u8] {
    content.iter().position(|&b| b == 0).map_or(content, |end| &content[..end])
}

/// A notes ref's notes, found as `git_note_read` finds them, reading each
/// tree of the ref once: `git_note_read` parses the whole notes tree
/// (thousands of entries, through delta chains) again for every commit
/// asked about. The ref is read when first asked: notes written after
/// that are not seen.
pub struct NotesIndex {
    refname: String,
    /// The ref's tree, once read (`None` inside: no such ref).
    root: Option<Option<Oid>>,
    trees: HashMap<Oid, NotesLevel>,
}

/// One tree of a notes ref, indexed the way libgit2's note lookup reads
/// it: each name's first entry, with its position, and each
/// two-hex-digit fan-out directory's first entry.
struct NotesLevel {
    names: HashMap<Vec<u8>, (usize, Oid)>,
    dirs: HashMap<[u8; 2], (usize, Oid)>,
}

impl NotesLevel {
    fn of(tree: &git2::Tree<'_>) -> NotesLevel {
        let mut names = HashMap::with_capacity(tree.len());
        let mut dirs = HashMap::new();
        for (index, entry) in tree.iter().enumerate() {
            let name = entry.name_bytes();
            names.entry(name.to_vec()).or_insert((index, entry.id()));
            let is_dir = entry.filemode() & 0o170000 == 0o040000;
            if is_dir && name.len() == 2 && name.iter().all(u8::is_ascii_hexdigit) {
                dirs.entry([name[0], name[1]]).or_insert((index, entry.id()));
            }
        }
        NotesLevel { names, dirs }
    }
}

impl NotesIndex {
    pub fn new(refname: impl Into<String>) -> NotesIndex {
        NotesIndex { refname: refname.into(), root: None, trees: HashMap::new() }
    }

    /// The id of the note on `commit`, found as `git_note_read` finds it
    /// (the same entries win when a tree holds a note both flat and under
    /// a fan-out directory).
    pub fn note_id(&mut self, repo: &Repository, commit: Oid) -> Result<Option<Oid>, git2::Error> {
        let root = match self.root {
            Some(root) => root,
            None => {
                let root = match repo.refname_to_id(&self.refname) {
                    Ok(id) => Some(repo.find_commit(id)?.tree_id()),
                    Err(e) if e.code() == ErrorCode::NotFound => None,
                    Err(e) => return Err(e),
                };
                self.root = Some(root);
                root
            }
        };
        let Some(mut tree) = root else { return Ok(None) };
        let target = commit.to_string().into_bytes();
        let mut fanout = 0;
        loop {
            let level = match self.trees.entry(tree) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(NotesLevel::of(&repo.find_tree(tree)?)),
            };
            let rest = &target[fanout..];
            let named = level.names.get(rest).copied();
            // Before its note's own entry, a fan-out directory named by the
            // next two digits leads deeper (`find_subtree_in_current_level`).
            let dir = match rest {
                [a, b, ..] => level.dirs.get(&[*a, *b]).copied(),
                _ => None,
            };
            match (dir, named) {
                (Some((at, sub)), named) if named.is_none_or(|(first, _)| at < first) => {
                    tree = sub;
                    fanout += 2;
                }
                (_, Some((_, blob))) => return Ok(Some(blob)),
                _ => return Ok(None),
            }
        }
    }

    /// The blob of the note on `commit`, if it has one (its text is
    /// [`note_text`] of its content, as `git_note_read` gives it).
    /// A note whose blob this clone lacks (a partial clone leaves blobs
    /// out) is an error: it is a note vouch cannot read, not no note.
    pub fn note_blob<'r>(&mut self, repo: &'r Repository, commit: Oid) -> Result<Option<git2::Blob<'r>>, git2::Error> {
        let Some(id) = self.note_id(repo, commit)? else { return Ok(None) };
        repo.find_blob(id).map(Some).map_err(|e| missing_note_blob(&self.refname, commit, id, e))
    }
}

/// The error for the note on `commit` in `notes` whose blob `blob` cannot
/// be read (`cause`): when this clone lacks it, say why that happens and
/// what to do.
pub fn missing_note_blob(notes: &str, commit: Oid, blob: Oid, cause: git2::Error) -> git2::Error {
    if cause.code() != ErrorCode::NotFound {
        return cause;
    }
    git2::Error::from_str(&format!(
        "the note on commit {commit} ({notes}) is blob {blob}, which this clone does not have: a partial clone \
         (--filter, as actions/checkout's `filter:`) leaves blobs out and vouch does not fetch them; clone without \
         a filter, or fetch them (`git cat-file blob {blob}` fetches one)"
    ))
}

/// The vouch notes of many commits, as [`read_note`] gives them, each
/// notes ref's trees read once (see [`NotesIndex`]).
///
/// Where `refs/notes/vouch` has no note, the notes fetched from remotes and
/// not merged yet (`refs/vouch-remote/<remote>/notes/vouch`, which `git
/// fetch` and `git pull` update through the refspec `vouch init` adds, and
/// only `vouch sync` merges) answer, all of them: a teammate's commit
/// fetched with plain git is read with its note (by verify's lineage,
/// blame, log), and keeps it when rebased, amended or cherry-picked. Those
/// refs are looked for at the first commit the local notes leave out.
pub struct NoteReader<'r> {
    repo: &'r Repository,
    notes: NotesIndex,
    fetched: Option<Vec<NotesIndex>>,
}

impl<'r> NoteReader<'r> {
    pub fn new(repo: &'r Repository) -> NoteReader<'r> {
        NoteReader::of(repo, NOTES_REF)
    }

    /// A reader of the notes `refname` holds (and, where it has none, of
    /// the notes fetched).
    fn of(repo: &'r Repository, refname: &str) -> NoteReader<'r> {
        NoteReader { repo, notes: NotesIndex::new(refname), fetched: None }
    }

    /// What [`read_note`] gives for `commit`.
    pub fn read(&mut self, commit: Oid) -> Result<Option<Vec<NoteRecord>>, NoteError> {
        let texts = self.texts(commit)?;
        if texts.is_empty() {
            return Ok(None);
        }
        let mut records = Vec::new();
        for text in texts {
            records.extend(parse_note(commit, note_text(text.content()))?);
        }
        Ok(Some(records))
    }

    /// The notes on `commit` that [`NoteReader::read`] reads, as blobs:
    /// the local one, or else those fetched and not merged.
    pub fn texts(&mut self, commit: Oid) -> Result<Vec<git2::Blob<'r>>, NoteError> {
        let repo = self.repo;
        if let Some(blob) = blob_in(repo, &mut self.notes, commit)? {
            return Ok(vec![blob]);
        }
        let fetched = self.fetched.get_or_insert_with(|| {
            let refs = repo.references_glob(&format!("{}*", crate::store::sync::PRIVATE_PREFIX));
            refs.into_iter()
                .flatten()
                .flatten()
                .filter_map(|r| r.name().filter(|n| n.ends_with(&NOTES_REF["refs".len()..])).map(NotesIndex::new))
                .collect()
        });
        let mut found = Vec::new();
        for notes in fetched {
            if let Some(blob) = blob_in(repo, notes, commit)? {
                found.push(blob);
            }
        }
        Ok(found)
    }
}

/// The blob of the note on `commit` in the notes ref `notes` indexes.
fn blob_in<'r>(repo: &'r Repository, notes: &mut NotesIndex, commit: Oid) -> Result<Option<git2::Blob<'r>>, NoteError> {
    notes
        .note_blob(repo, commit)
        .map_err(NoteError::git(format!("read the vouch note on {commit} in {}", notes.refname)))
}

/// The records of the note on `commit`, or `None` when it has no note;
/// where `refs/notes/vouch` has none, those of the notes fetched and not
/// merged yet (see [`NoteReader`]): a teammate's commit
/// fetched with plain git and then rebased, amended or cherry-picked keeps
/// its provenance.
pub fn read_note(repo: &Repository, commit: Oid) -> Result<Option<Vec<NoteRecord>>, NoteError> {
    NoteReader::new(repo).read(commit)
}

/// Add `records` to the note on `commit`: the union of the lines already
/// there and the new ones, sorted and without duplicates (what git's
/// `cat_sort_uniq` does). An existing note that cannot be read is an error,
/// and nothing is written.
pub fn write_note(repo: &Repository, commit: Oid, records: &[NoteRecord]) -> Result<(), NoteError> {
    update_note(repo, commit, |old| old.unwrap_or_default().into_iter().chain(records.iter().cloned()).collect())
}

/// Set the note on `commit` to exactly `records` (sorted, deduplicated);
/// no records removes the note.
pub fn replace_note(repo: &Repository, commit: Oid, records: &[NoteRecord]) -> Result<(), NoteError> {
    update_note(repo, commit, |_| records.to_vec())
}

/// Set the note on `commit` to what `records` makes of the records it has
/// (`None`: no note; read as [`read_note`] reads them); no records removes
/// it. Several writers may write notes at once (commits in several
/// worktrees, an agent's hook beside a person's commit): the notes ref
/// moves with a compare-and-swap ([`crate::store::repo::update_ref`]), and
/// a writer that finds it moved reads the note again and writes anew, so
/// no writer's note is dropped ([`through_scratch`]).
fn update_note(
    repo: &Repository,
    commit: Oid,
    records: impl Fn(Option<Vec<NoteRecord>>) -> Vec<NoteRecord>,
) -> Result<(), NoteError> {
    let sig = signature(repo);
    let failed = |action: &str| NoteError::git(format!("{action} (writing the vouch note on {commit})"));
    let edit = |scratch: &str| -> Result<(), NoteError> {
        let old = NoteReader::of(repo, scratch).read(commit)?;
        let new = records(old);
        if new.is_empty() {
            return match repo.note_delete(commit, Some(scratch), &sig, &sig) {
                Err(e) if e.code() != ErrorCode::NotFound => Err(failed("remove the note")(e)),
                _ => Ok(()),
            };
        }
        let lines: BTreeSet<String> = bounded(&new).iter().map(NoteRecord::to_line).collect();
        let text: String = lines.into_iter().map(|line| line + "\n").collect();
        crate::store::repo::retry_object_write(|| repo.note(&sig, &sig, Some(scratch), commit, &text, true))
            .map_err(failed("write the note"))?;
        Ok(())
    };
    let contention = |stuck: crate::store::repo::Stuck| NoteError::Command {
        action: format!("write the vouch note on {commit}"),
        detail: stuck.to_string(),
    };
    through_scratch(repo, NOTES_REF, "note", edit, |action, e| failed(action)(e), contention)
}

/// Move the notes ref `notes_ref` to what `edit` makes of it, with other
/// writers of it at work (commits in several worktrees, an agent's hook beside a
/// person's commit, `vouch sync`): `edit` changes the notes on a scratch
/// notes ref of this process's own (`purpose` in its name), set to the
/// notes ref's tip (absent when there is none), through libgit2's note API
/// or `git notes`, which keep git's fan-out of the notes tree; the notes
/// ref is then moved to the scratch's tip with a compare-and-swap
/// ([`crate::store::repo::update_ref`]), and should another writer have
/// moved it first, `edit` runs again on the new tip, so that no writer's
/// note is dropped. git's errors are `E` through `git` (what was being
/// done, and the error); `contention` when others kept moving it.
pub(crate) fn through_scratch<E>(
    repo: &Repository,
    notes_ref: &str,
    purpose: &str,
    mut edit: impl FnMut(&str) -> Result<(), E>,
    git: impl Fn(&str, git2::Error) -> E,
    contention: impl FnOnce(crate::store::repo::Stuck) -> E,
) -> Result<(), E> {
    static SCRATCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nth = SCRATCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Under refs/notes/, which `git notes --ref` requires; not named like a
    // notes ref vouch reads (`…notes/vouch`).
    let scratch = format!("refs/notes/vouch-scratch-{purpose}-{}-{nth}", std::process::id());
    let tip = || match repo.refname_to_id(notes_ref) {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(git(&format!("read {notes_ref}"), e)),
    };
    let mut edit_at = |current: Option<Oid>| -> Result<Option<Oid>, E> {
        match current {
            Some(id) => repo.reference(&scratch, id, true, "vouch: notes").map(drop),
            None => match repo.find_reference(&scratch) {
                Ok(mut stale) => stale.delete(),
                Err(_) => Ok(()),
            },
        }
        .map_err(|e| git(&format!("set {scratch}"), e))?;
        edit(&scratch)?;
        let made = match repo.refname_to_id(&scratch) {
            Ok(id) => Some(id),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => return Err(git(&format!("read {scratch}"), e)),
        };
        Ok(made.filter(|&made| Some(made) != current))
    };
    let next = |current: Option<Oid>| {
        let made = edit_at(current);
        if let Ok(mut scratch) = repo.find_reference(&scratch) {
            let _ = scratch.delete();
        }
        made
    };
    let moved = |e: git2::Error| git(&format!("move {notes_ref}"), e);
    match crate::store::repo::update_ref(repo, notes_ref, tip, next, moved) {
        Ok(_) => Ok(()),
        Err(crate::store::repo::RefUpdateError::Failed(e)) => Err(e),
        Err(crate::store::repo::RefUpdateError::Stuck(stuck)) => Err(contention(stuck)),
    }
}

/// `records` with their intents within [`intent::NOTE_BUDGET`]: the
/// records of the largest intents lose theirs first, and every record
/// keeps its AI lines. (A squash that git concatenates may bring many.)
fn bounded(records: &[NoteRecord]) -> Vec<NoteRecord> {
    let mut records = records.to_vec();
    let mut files: Vec<&mut FileRecord> = records
        .iter_mut()
        .filter_map(|r| match r {
            NoteRecord::File(f) => Some(f),
            NoteRecord::NoAi | NoteRecord::Partial => None,
        })
        .collect();
    files.sort_by_key(|f| f.intent.as_ref().map_or(0, Intent::weight));
    intent::bound_intents(files.into_iter().map(|f| &mut f.intent), intent::NOTE_BUDGET);
    records
}

fn signature(repo: &Repository) -> Signature<'static> {
    repo.signature()
        .or_else(|_| Signature::now("vouch", "vouch@localhost"))
        .unwrap_or_else(|_| Signature::new("vouch", "vouch@localhost", &git2::Time::new(0, 0)).expect("valid"))
}

/// Make git carry vouch notes over amend and rebase, merging notes of
/// squashed commits line by line. Other notes refs in `notes.rewriteRef`
/// are kept.
pub fn configure(repo: &Repository) -> Result<(), NoteError> {
    let mut config = repo.config().map_err(NoteError::git("open the repository config"))?;
    let set = |config: &mut git2::Config, name: &str, value: &str| -> Result<(), NoteError> {
        config.set_str(name, value).map_err(NoteError::git(format!("set {name}")))
    };
    config
        .set_multivar("notes.rewriteRef", &format!("^{}$", NOTES_REF.replace('/', "\\/")), NOTES_REF)
        .map_err(NoteError::git("set notes.rewriteRef"))?;
    set(&mut config, "notes.rewriteMode", "cat_sort_uniq")?;
    set(&mut config, "notes.rewrite.amend", "true")?;
    set(&mut config, "notes.rewrite.rebase", "true")?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Lines and bytes

/// The byte ranges of the lines of `text`, each with its line break (git's
/// lines: only `\n` ends one).
pub fn line_spans(text: &(impl AsRef<[u8]> + ?Sized)) -> Vec<Range<usize>> {
    let text = text.as_ref();
    let mut out = Vec::new();
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', text) {
        out.push(start..i + 1);
        start = i + 1;
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Byte ranges of `text` for 1-based inclusive line ranges; lines past the
/// end are ignored.
pub fn lines_to_bytes(text: &(impl AsRef<[u8]> + ?Sized), ranges: &[[u32; 2]]) -> Vec<Range<usize>> {
    let lines = line_spans(text);
    let mut out: Vec<Range<usize>> = Vec::new();
    for &[start, end] in ranges {
        let first = (start.max(1) - 1) as usize;
        let last = (end as usize).min(lines.len());
        if first >= last {
            continue;
        }
        let range = lines[first].start..lines[last - 1].end;
        match out.last_mut() {
            Some(prev) if prev.end >= range.start => prev.end = prev.end.max(range.end),
            _ => out.push(range),
        }
    }
    out
}

/// 1-based inclusive line ranges of the lines of `text` that `bytes`
/// (sorted or not) touch, merged.
pub fn bytes_to_lines(text: &(impl AsRef<[u8]> + ?Sized), bytes: &[Range<usize>]) -> Vec<[u32; 2]> {
    let text = text.as_ref();
    let starts: Vec<usize> = line_spans(text).iter().map(|r| r.start).collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset) as u32;
    let lines = bytes
        .iter()
        .filter(|r| r.start < r.end && r.start < text.len())
        .map(|r| [line_of(r.start), line_of(r.end.min(text.len()) - 1)]);
    merge_line_ranges(lines)
}

/// Sort and merge overlapping or touching 1-based line ranges.
pub fn merge_line_ranges(ranges: impl IntoIterator<Item = [u32; 2]>) -> Vec<[u32; 2]> {
    let mut ranges: Vec<[u32; 2]> = ranges.into_iter().filter(|r| r[0] >= 1 && r[0] <= r[1]).collect();
    ranges.sort_unstable();
    let mut out: Vec<[u32; 2]> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(prev) if r[0] <= prev[1].saturating_add(1) => prev[1] = prev[1].max(r[1]),
            _ => out.push(r),
        }
    }
    out
}

/// Carry AI line ranges of `old` over to `new` through
/// [`crate::provenance::reanchor`]: unchanged lines keep their origin, and
/// text that replaced only AI text stays AI (a reformat, an amend that
/// touched up an AI function).
pub fn reanchor_lines(old: &str, ai: &[[u32; 2]], new: &str) -> Vec<[u32; 2]> {
    let marker = Attribution::ai(
        AiSource { tool: String::new(), model: None, session: None, kind: None },
        Evidence::Manual,
        None,
    );
    let spans: Vec<_> = lines_to_bytes(old, ai).into_iter().map(|r| (r, marker.clone())).collect();
    let moved = reanchor(old, &spans, new, &Attribution::unknown());
    let ai_bytes: Vec<Range<usize>> = moved.into_iter().filter(|(_, a)| a.is_ai()).map(|(r, _)| r).collect();
    bytes_to_lines(new, &ai_bytes)
}

/// Carry the places of deletions (`deleted_before`: 1-based lines of
/// `old` the removed lines stood before) over to `new`: after the line
/// before the place where a line diff finds it unchanged, else before the
/// line after it; a place with neither left is dropped.
pub fn reanchor_gaps(old: &str, deleted_before: &[u32], new: &str) -> Vec<u32> {
    if deleted_before.is_empty() {
        return Vec::new();
    }
    let equal = equal_lines(old, new);
    let image =
        |line: usize| equal.iter().find(|&&(o, _, len)| o <= line && line < o + len).map(|&(o, n, _)| n + line - o);
    let mut out: Vec<u32> = deleted_before
        .iter()
        .filter_map(|&before| {
            let gap = before.checked_sub(1)? as usize;
            if gap == 0 {
                return Some(1);
            }
            match image(gap - 1) {
                Some(n) => Some(n as u32 + 2),
                None => image(gap).map(|n| n as u32 + 1),
            }
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Carry AI line ranges of `old` over to `new` strictly: only lines that a
/// line diff finds unchanged keep their origin. For recovering notes from
/// other commits, where replaced text is not evidence of anything.
pub fn surviving_lines(old: &str, ai: &[[u32; 2]], new: &str) -> Vec<[u32; 2]> {
    let equal = equal_lines(old, new);
    let mut out = Vec::new();
    for &(o, n, len) in &equal {
        let (o, n) = (o as u32 + 1, n as u32 + 1);
        for &[start, end] in ai {
            let lo = start.max(o);
            let hi = end.min(o + len as u32 - 1);
            if lo <= hi {
                out.push([lo - o + n, hi - o + n]);
            }
        }
    }
    merge_line_ranges(out)
}

/// The runs of lines a line diff finds equal: (old index, new index, length),
/// 0-based.
fn equal_lines(old: &str, new: &str) -> Vec<(usize, usize, usize)> {
    use similar::{Algorithm, DiffOp, TextDiff};
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).diff_lines(old, new);
    diff.ops()
        .iter()
        .filter_map(|op| match *op {
            DiffOp::Equal { old_index, new_index, len } => Some((old_index, new_index, len)),
            _ => None,
        })
        .collect()
}

/// 1-based ranges of the lines of `new` that are not in `old` (added or
/// changed), by a line diff.
pub fn added_lines(old: &str, new: &str) -> Vec<[u32; 2]> {
    let total = line_spans(new).len() as u32;
    let mut out = Vec::new();
    let mut next = 1;
    for (_, n, len) in equal_lines(old, new) {
        let n = n as u32 + 1;
        if n > next {
            out.push([next, n - 1]);
        }
        next = n + len as u32;
    }
    if next <= total {
        out.push([next, total]);
    }
    out
}

/// The lines in both `a` and `b`, merged.
pub fn intersect(a: &[[u32; 2]], b: &[[u32; 2]]) -> Vec<[u32; 2]> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let lo = x[0].max(y[0]);
            let hi = x[1].min(y[1]);
            if lo <= hi {
                out.push([lo, hi]);
            }
        }
    }
    merge_line_ranges(out)
}

/// Merge records that differ only in their line ranges.
pub(crate) fn merge_records(records: Vec<FileRecord>) -> Vec<FileRecord> {
    let mut order: Vec<(String, String, String)> = Vec::new();
    let mut by_key: HashMap<(String, String, String), FileRecord> = HashMap::new();
    for record in records {
        let key = record.key();
        match by_key.get_mut(&key) {
            Some(existing) => {
                existing.ai = merge_line_ranges(existing.ai.iter().chain(&record.ai).copied());
                existing.deleted_before.extend(record.deleted_before);
                existing.deleted_before.sort_unstable();
                existing.deleted_before.dedup();
            }
            None => {
                order.push(key.clone());
                by_key.insert(key, record);
            }
        }
    }
    order.into_iter().filter_map(|k| by_key.remove(&k)).collect()
}

// ---------------------------------------------------------------------------
// Following rewrites

/// What re-mapping or rebuilding did to one commit's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remapped {
    pub commit: Oid,
    /// The commits whose notes the new note was made from.
    pub from: Vec<Oid>,
    /// File records in the note written.
    pub records: usize,
    /// Records dropped, with the reason (file gone, no AI text left).
    pub dropped: Vec<String>,
}

/// Re-map notes after git rewrote commits (amend, rebase): `pairs` are the
/// "old new" lines a post-rewrite hook reads. For each new commit, the
/// records of its old commits (several, for a squash) and of its own note
/// (which git may have copied) are united; a record whose blob no longer
/// matches the new commit's file at its path is re-anchored onto that file,
/// and the new commit's note is replaced with the result.
pub fn remap_after_rewrite(repo: &Repository, pairs: &[(Oid, Oid)]) -> Result<Vec<Remapped>, NoteError> {
    let mut olds_of: Vec<(Oid, Vec<Oid>)> = Vec::new();
    for &(old, new) in pairs {
        match olds_of.iter_mut().find(|(n, _)| *n == new) {
            Some((_, olds)) => olds.push(old),
            None => olds_of.push((new, vec![old])),
        }
    }
    let mut out = Vec::new();
    for (new, olds) in olds_of {
        let mut input = Vec::new();
        let mut from = Vec::new();
        for &commit in olds.iter().chain(std::iter::once(&new)) {
            if let Some(records) = read_note(repo, commit)? {
                if commit != new {
                    from.push(commit);
                }
                input.extend(records);
            }
        }
        if input.is_empty() {
            continue;
        }
        let mut seen = HashSet::new();
        input.retain(|r| seen.insert(r.clone()));
        let (records, dropped) = remap_records(repo, new, &olds, input)?;
        let count = records.iter().filter(|r| matches!(r, NoteRecord::File(_))).count();
        replace_note(repo, new, &records)?;
        out.push(Remapped { commit: new, from, records: count, dropped });
    }
    Ok(out)
}

/// The pairs a post-rewrite hook reads on its standard input: lines of
/// `<old> <new>`, maybe followed by extra words that git may add. A line
/// that does not start with two object ids is an error naming it.
pub fn parse_rewrite_pairs(input: &str) -> Result<Vec<(Oid, Oid)>, String> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let pair = (words.next().map(Oid::from_str), words.next().map(Oid::from_str));
        match pair {
            (Some(Ok(old)), Some(Ok(new))) => out.push((old, new)),
            _ => return Err(format!("post-rewrite input line {}: expected \"<old> <new>\", got {line:?}", i + 1)),
        }
    }
    Ok(out)
}

/// The version of `path` that `commit` (whose tree is `tree`) removes: its
/// first parent's, when the commit lacks the path.
fn removed_from_parent(repo: &Repository, commit: Oid, tree: &git2::Tree<'_>, path: &str) -> Option<Oid> {
    if tree_blob(tree, path).is_some() {
        return None;
    }
    let parent = repo.find_commit(commit).ok()?.parent(0).ok()?.tree().ok()?;
    tree_blob(&parent, path)
}

/// `mode` (as git writes it), when `commit` sets file `path` to it: its
/// tree (`tree`) has the file with that mode, and its first parent has the
/// file, or the file the commit moved there from, as a regular file with
/// another ([`crate::store::mode::mode_before`]); `None` otherwise. What a
/// mode record ([`FileRecord::mode`]) keeps on a rewritten or squashed
/// commit.
pub(crate) fn mode_set_by(
    repo: &Repository,
    commit: Oid,
    tree: &git2::Tree<'_>,
    path: &str,
    mode: &str,
) -> Option<String> {
    let now = tree.get_path(std::path::Path::new(path)).ok().map(|e| format!("{:o}", e.filemode()));
    if now.as_deref() != Some(mode) {
        return None;
    }
    let parent = repo.find_commit(commit).ok()?.parent(0).ok()?.tree().ok()?;
    let before = crate::store::mode::mode_before(repo, &parent, tree, path).ok()??;
    (before != mode).then(|| mode.to_string())
}

/// Fit `input` to the files of `commit`.
fn remap_records(
    repo: &Repository,
    commit: Oid,
    olds: &[Oid],
    input: Vec<NoteRecord>,
) -> Result<(Vec<NoteRecord>, Vec<String>), NoteError> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(NoteError::git(format!("read the tree of {commit}")))?;
    let mut no_ai = false;
    let mut partial = false;
    let mut files = Vec::new();
    let mut dropped = Vec::new();
    let mut texts = BlobTexts::default();
    let mut renames: Option<HashMap<String, String>> = None;
    for record in input {
        let record = match record {
            NoteRecord::NoAi => {
                no_ai = true;
                continue;
            }
            NoteRecord::Partial => {
                partial = true;
                continue;
            }
            NoteRecord::File(f) => f,
        };
        if record.removed {
            // The rewritten commit removes the file too: from its own
            // parent's version.
            match removed_from_parent(repo, commit, &tree, &record.path) {
                Some(blob) => files.push(FileRecord { blob: blob.to_string(), ..record }),
                None => dropped.push(format!("{}: {commit} does not remove it", record.path)),
            }
            continue;
        }
        // A file the commit renamed (a squash of an agent's commit and a
        // person's rename of its file) is the record's, at its new path.
        let (record, blob) = match tree_blob(&tree, &record.path) {
            Some(blob) => (record, blob),
            None => {
                let renamed = renames.get_or_insert_with(|| renamed_by(repo, commit, olds, &tree));
                match renamed.get(&record.path).and_then(|to| Some((to, tree_blob(&tree, to)?))) {
                    Some((to, blob)) => (FileRecord { path: to.clone(), ..record }, blob),
                    None => {
                        dropped.push(format!("{}: not in {commit}", record.path));
                        continue;
                    }
                }
            }
        };
        if blob.to_string() == record.blob {
            files.push(record);
            continue;
        }
        let Some(old) = Oid::from_str(&record.blob).ok().and_then(|id| texts.get(repo, id)) else {
            dropped.push(format!("{}: blob {} is not in the repository", record.path, record.blob));
            continue;
        };
        let Some(new) = texts.get(repo, blob) else {
            dropped.push(format!("{}: blob {blob} is not in the repository", record.path));
            continue;
        };
        let ai = reanchor_lines(&old, &record.ai, &new);
        let deleted_before = reanchor_gaps(&old, &record.deleted_before, &new);
        // An AI's change of the file's mode stays while the commit makes it.
        let mode = record.mode.as_deref().and_then(|m| mode_set_by(repo, commit, &tree, &record.path, m));
        if ai.is_empty() && deleted_before.is_empty() && mode.is_none() {
            dropped.push(format!("{}: no AI text left", record.path));
            continue;
        }
        files.push(FileRecord { deleted_before, mode, ..record.moved(blob, ai) });
    }
    let mut records: Vec<NoteRecord> = merge_records(files).into_iter().map(NoteRecord::File).collect();
    // A note of the AI's records says what "no AI" says of the rest (see
    // [`attests`]): one said beside them (the post-commit hook's, before
    // this hook carried the records over) would contradict them.
    if no_ai && !attests(&records) {
        records.push(NoteRecord::NoAi);
    }
    // What was not whole stays so, carried over.
    if partial {
        records.push(NoteRecord::Partial);
    }
    Ok((records, dropped))
}

/// Where the files of `olds` (the commits `commit` rewrote or picked) are
/// in `commit` (whose tree is `tree`), old path to new, as git finds
/// renames: those `commit` renamed against its first parent, and those the
/// branch it landed on renamed since the olds' parents (a pick onto a
/// branch where a person renamed the file, which git applies there).
fn renamed_by(repo: &Repository, commit: Oid, olds: &[Oid], tree: &git2::Tree<'_>) -> HashMap<String, String> {
    let parent_tree = |c: Oid| repo.find_commit(c).and_then(|c| c.parent(0)).and_then(|p| p.tree()).ok();
    let parent = parent_tree(commit);
    let mut out: HashMap<String, String> = HashMap::new();
    crate::store::tree_diff::add_moves(repo, parent.as_ref(), tree, &mut out);
    if let Some(parent) = &parent {
        for &old in olds {
            if let Some(before) = parent_tree(old) {
                crate::store::tree_diff::add_moves(repo, Some(&before), parent, &mut out);
            }
        }
    }
    out
}

/// The blob id at `path` in `tree`, if it is a file.
pub(crate) fn tree_blob(tree: &git2::Tree, path: &str) -> Option<Oid> {
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    (entry.kind() == Some(ObjectType::Blob)).then(|| entry.id())
}

/// Blob texts read once each (lossy UTF-8: line structure is kept).
#[derive(Default)]
pub(crate) struct BlobTexts(HashMap<Oid, Option<std::rc::Rc<str>>>);

impl BlobTexts {
    pub(crate) fn get(&mut self, repo: &Repository, id: Oid) -> Option<std::rc::Rc<str>> {
        self.0
            .entry(id)
            .or_insert_with(|| {
                let blob = repo.find_blob(id).ok()?;
                Some(String::from_utf8_lossy(blob.content()).into())
            })
            .clone()
    }
}

// ---------------------------------------------------------------------------
// Cherry-picks

/// The commit that `commit` was cherry-picked from: the last
/// `(cherry picked from commit X)` line that `git cherry-pick -x` writes,
/// if X exists here, else the most recent commit with a vouch note with AI
/// lines and the same patch id (`git patch-id --stable`), else the most
/// recent with any vouch note and that patch id.
pub fn find_source(repo: &Repository, commit: Oid) -> Result<Option<Oid>, NoteError> {
    find_source_with(repo, commit, &mut None)
}

/// [`find_source`], with the patch ids of the noted commits kept in `cache`
/// across calls (newest first).
fn find_source_with(
    repo: &Repository,
    commit: Oid,
    cache: &mut Option<Vec<(Oid, String)>>,
) -> Result<Option<Oid>, NoteError> {
    let c = repo.find_commit(commit).map_err(NoteError::git(format!("read commit {commit}")))?;
    if let Some(source) = cherry_picked_from(c.message_bytes())
        && let Ok(id) = repo.revparse_single(&source).and_then(|o| o.peel_to_commit())
        && id.id() != commit
    {
        return Ok(Some(id.id()));
    }
    if c.parent_count() > 1 {
        return Ok(None);
    }
    let candidates = match cache {
        Some(c) => c,
        None => {
            let mut noted = noted_commits(repo)?;
            noted.sort_by_key(|&(_, time)| std::cmp::Reverse(time));
            noted.truncate(PATCH_ID_CANDIDATES);
            let ids: Vec<Oid> = noted.iter().map(|&(id, _)| id).collect();
            let mut found = if ids.is_empty() { HashMap::new() } else { patch_ids(repo, &ids)? };
            cache.insert(ids.into_iter().filter_map(|id| Some((id, found.remove(&id)?))).collect())
        }
    };
    if candidates.iter().all(|&(id, _)| id == commit) {
        return Ok(None);
    }
    let Some(target) = patch_ids(repo, &[commit])?.remove(&commit) else {
        return Ok(None);
    };
    // Several commits may share the patch (the source, an earlier pick, a
    // squash of it): one whose note has AI lines says the most.
    let matching: Vec<Oid> =
        candidates.iter().filter(|(id, pid)| *id != commit && *pid == target).map(|&(id, _)| id).collect();
    for &id in &matching {
        if read_note(repo, id)?.is_some_and(|r| r.iter().any(|r| matches!(r, NoteRecord::File(_)))) {
            return Ok(Some(id));
        }
    }
    Ok(matching.first().copied())
}

/// The source named by the last `(cherry picked from commit X)` line.
pub fn cherry_picked_from(message: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    text.lines().rev().find_map(|line| {
        let rest = line.trim().strip_prefix("(cherry picked from commit ")?;
        let hex = rest.strip_suffix(')')?.trim();
        (hex.len() >= 4 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_string())
    })
}

/// The commit a revert's message says it reverts (git's `This reverts
/// commit X.` line, `X.` or `X, reversing` for a merge).
pub fn reverted(message: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("This reverts commit ")?;
        let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (hex.len() >= 4).then_some(hex)
    })
}

/// After `commit` was cherry-picked: find its source and carry the source's
/// note over, re-mapped to `commit`'s files. `None` when no source is found
/// or the source has no note.
pub fn follow_cherry_pick(repo: &Repository, commit: Oid) -> Result<Option<Remapped>, NoteError> {
    let Some(source) = find_source(repo, commit)? else {
        return Ok(None);
    };
    Ok(remap_after_rewrite(repo, &[(source, commit)])?.into_iter().next())
}

/// Every commit with a vouch note, and its commit time.
fn noted_commits(repo: &Repository) -> Result<Vec<(Oid, i64)>, NoteError> {
    let notes = match repo.notes(Some(NOTES_REF)) {
        Ok(notes) => notes,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(NoteError::git("list vouch notes")(e)),
    };
    let mut out = Vec::new();
    for item in notes {
        let (_, annotated) = item.map_err(NoteError::git("list vouch notes"))?;
        if let Ok(c) = repo.find_commit(annotated) {
            out.push((annotated, c.time().seconds()));
        }
    }
    Ok(out)
}

/// A `git` command for `repo`, run in its working directory (or its git
/// directory when bare).
pub(crate) fn git_command(repo: &Repository) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir").arg(repo.path());
    match repo.workdir() {
        Some(dir) => {
            cmd.arg("--work-tree").arg(dir).current_dir(dir);
        }
        None => {
            cmd.current_dir(repo.path());
        }
    }
    // A hook runs with these set for the repository it was called for.
    cmd.env_remove("GIT_DIR").env_remove("GIT_WORK_TREE").env_remove("GIT_INDEX_FILE");
    // The objects as libgit2 reads them: replace refs (which it ignores)
    // would give git's blame another history than vouch's walk.
    cmd.env("GIT_NO_REPLACE_OBJECTS", "1");
    cmd
}

/// Stable patch ids of non-merge `commits` (merges and empty commits have
/// none), through `git log -p | git patch-id --stable`.
pub fn patch_ids(repo: &Repository, commits: &[Oid]) -> Result<HashMap<Oid, String>, NoteError> {
    let failed = |action: &str| {
        let action = action.to_string();
        move |e: std::io::Error| NoteError::Command { action, detail: e.to_string() }
    };
    let mut log = git_command(repo)
        .args(["log", "--no-walk=unsorted", "--stdin", "-p", "--no-color", "--no-ext-diff", "--no-renames"])
        .args(["--full-index", "--format=commit %H"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(failed("run git log"))?;
    let log_out = log
        .stdout
        .take()
        .ok_or_else(|| NoteError::Command { action: "run git log".into(), detail: "no output pipe".into() })?;
    let patch_id = git_command(repo)
        .args(["patch-id", "--stable"])
        .stdin(log_out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(failed("run git patch-id"))?;
    if let Some(mut stdin) = log.stdin.take() {
        let mut list = String::with_capacity(commits.len() * 41);
        for c in commits {
            list.push_str(&c.to_string());
            list.push('\n');
        }
        stdin.write_all(list.as_bytes()).map_err(failed("write to git log"))?;
    }
    let output = patch_id.wait_with_output().map_err(failed("run git patch-id"))?;
    let status = log.wait().map_err(failed("run git log"))?;
    if !status.success() || !output.status.success() {
        return Err(NoteError::Command { action: "compute patch ids".into(), detail: format!("git log: {status}") });
    }
    let mut out = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let mut parts = line.split_whitespace();
        if let (Some(pid), Some(commit)) = (parts.next(), parts.next())
            && let Ok(commit) = Oid::from_str(commit)
        {
            out.insert(commit, pid.to_string());
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Rebuilding notes for commits a server made

/// Where `rebuild` looks for the notes of the commits a squash merge came
/// from.
#[derive(Debug, Clone, Default)]
pub struct RebuildConfig {
    /// Revisions whose unmerged commits are the candidates (e.g.
    /// `origin/feature`). Empty: every local branch and remote-tracking ref.
    pub sources: Vec<String>,
    /// Also consider every note in `refs/notes/vouch`, e.g. those of a branch
    /// that was deleted after its merge.
    pub all_notes: bool,
    /// Bot authors (the policy's): their commits' lines are AI.
    pub bots: Vec<String>,
}

/// Give notes to the commits in `range` (`BASE..HEAD`, or one revision)
/// that have none, e.g. a server's squash merge, from the notes of the
/// commits they came from:
///
/// 1. a cherry-pick's source (`-x` line or patch id, see [`find_source`]),
///    re-mapped as after a rewrite;
/// 2. otherwise, for each file the commit changed: every record (from the
///    candidate commits of `config`) whose blob is that very file version is
///    copied; a record of another version of the path gives the lines that
///    survive unchanged in the new file and that the commit added (lines it
///    did not add are blamed on older commits, whose own notes cover them);
///    a candidate's record of a file an agent removed whole (`removed`)
///    is copied, naming the commit's parent's version, when the commit
///    removes that file too.
///
/// A commit whose note says only `no-ai` is looked at again, as an older
/// vouch wrote that note for local squash merges and cherry-picks: when it
/// is recognizably made from other commits (a cherry-pick's source; the
/// commits git's squash message lists; its own AI trailer or bot author;
/// the candidates of `config`, only when `config` names them with
/// `sources` or `all_notes`), and they carry AI lines or an AI's removal
/// of a file it removes too into it, its note is replaced by those records
/// (see [`crate::store::derive`]). A note with file
/// records is never changed: nothing is downgraded to `no-ai`.
///
/// Merge commits are skipped. Returns what was written.
pub fn rebuild(repo: &Repository, range: &str, config: &RebuildConfig) -> Result<Vec<Remapped>, NoteError> {
    let spec = repo.revparse(range).map_err(NoteError::git(format!("resolve {range}")))?;
    let mut walk = repo.revwalk().map_err(NoteError::git("walk history"))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).map_err(NoteError::git("walk history"))?;
    match (spec.from(), spec.to()) {
        (Some(from), Some(to)) => {
            walk.push(to.id()).map_err(NoteError::git(format!("walk {range}")))?;
            walk.hide(from.id()).map_err(NoteError::git(format!("walk {range}")))?;
        }
        (Some(one), None) | (None, Some(one)) => {
            let commit = one.peel_to_commit().map_err(NoteError::git(format!("resolve {range}")))?;
            walk.push(commit.id()).map_err(NoteError::git(format!("walk {range}")))?;
            for parent in commit.parent_ids() {
                walk.hide(parent).map_err(NoteError::git(format!("walk {range}")))?;
            }
        }
        (None, None) => return Ok(Vec::new()),
    }
    let commits: Vec<Oid> = walk.collect::<Result<_, _>>().map_err(NoteError::git(format!("walk {range}")))?;
    let mut all_notes: Option<Vec<(Oid, i64)>> = None;
    let mut patch_id_cache = None;
    let mut out = Vec::new();
    for commit in commits {
        let existing = read_note(repo, commit)?;
        let only_no_ai = existing.as_ref().is_some_and(|r| !r.is_empty() && r.iter().all(|r| *r == NoteRecord::NoAi));
        if existing.is_some() && !only_no_ai {
            continue;
        }
        let c = repo.find_commit(commit).map_err(NoteError::git(format!("read commit {commit}")))?;
        if c.parent_count() > 1 {
            continue;
        }
        if only_no_ai {
            let explicit = !config.sources.is_empty() || config.all_notes;
            let mut candidates = Vec::new();
            if explicit {
                candidates = source_commits(repo, &c, config)?;
                if config.all_notes {
                    let all = match &all_notes {
                        Some(all) => all,
                        None => all_notes.insert(noted_commits(repo)?),
                    };
                    candidates.extend(all.iter().map(|&(id, _)| id).filter(|&id| id != commit));
                }
                let mut seen = HashSet::new();
                candidates.retain(|id| seen.insert(*id));
            }
            if let Some(done) = repair_no_ai(repo, &c, &candidates, config, &mut patch_id_cache)? {
                out.push(done);
            }
            continue;
        }
        if let Some(source) = find_source_with(repo, commit, &mut patch_id_cache)?
            && let Some(done) = remap_after_rewrite(repo, &[(source, commit)])?.into_iter().next()
        {
            out.push(done);
            continue;
        }
        let mut candidates = source_commits(repo, &c, config)?;
        if config.all_notes {
            let all = match &all_notes {
                Some(all) => all,
                None => all_notes.insert(noted_commits(repo)?),
            };
            candidates.extend(all.iter().map(|&(id, _)| id).filter(|&id| id != commit));
        }
        let mut seen = HashSet::new();
        candidates.retain(|id| seen.insert(*id));
        if let Some(done) = recover_from(repo, &c, &candidates)? {
            out.push(done);
        }
    }
    Ok(out)
}

/// Replace the `no-ai` note of `commit` with the AI lines the commits it
/// came from carry into it, if they carry any (see [`rebuild`]).
fn repair_no_ai(
    repo: &Repository,
    commit: &git2::Commit,
    candidates: &[Oid],
    config: &RebuildConfig,
    patch_id_cache: &mut Option<Vec<(Oid, String)>>,
) -> Result<Option<Remapped>, NoteError> {
    use crate::store::derive::{self, Derived, Sources};
    let id = commit.id();
    let failed = |e: crate::store::history::HistoryError| NoteError::Sources { commit: id, reason: e.to_string() };
    let mut sources = Sources::default();
    sources.add_from_message(repo, &String::from_utf8_lossy(commit.message_bytes()));
    if sources.picked.is_empty()
        && let Some(source) = find_source_with(repo, id, patch_id_cache)?
    {
        sources.picked.push(source);
    }
    let mut files = derive::claims(repo, id, &config.bots, None).map_err(failed)?.records;
    let mut from: Vec<Oid> = Vec::new();
    if !sources.is_empty() {
        let derived = Derived::load(repo, &sources, &config.bots, None, true).map_err(failed)?;
        let mut carried = derived.carry_onto(repo, commit)?.records;
        // The files it removes that a source's AI removed.
        carried.extend(derived.removals_onto(repo, commit)?);
        if !carried.is_empty() {
            from.extend(derived.commits());
        }
        files.extend(carried);
    }
    if !candidates.is_empty() {
        let (records, used) = recover_records(repo, commit, candidates)?;
        files.extend(records);
        from.extend(used);
    }
    if files.is_empty() {
        return Ok(None);
    }
    let records: Vec<NoteRecord> = merge_records(files).into_iter().map(NoteRecord::File).collect();
    replace_note(repo, id, &records)?;
    Ok(Some(Remapped { commit: id, from, records: records.len(), dropped: vec!["the no-ai attestation".into()] }))
}

/// Commits reachable from the configured sources and not merged into
/// `commit` or its parent, newest first.
fn source_commits(repo: &Repository, commit: &git2::Commit, config: &RebuildConfig) -> Result<Vec<Oid>, NoteError> {
    let mut tips = Vec::new();
    if config.sources.is_empty() {
        let refs = repo.references().map_err(NoteError::git("list refs"))?;
        for r in refs.flatten() {
            let name = r.name().unwrap_or_default();
            if (name.starts_with("refs/heads/") || name.starts_with("refs/remotes/"))
                && let Ok(c) = r.peel_to_commit()
            {
                tips.push(c.id());
            }
        }
    } else {
        for source in &config.sources {
            let c = repo
                .revparse_single(source)
                .and_then(|o| o.peel_to_commit())
                .map_err(NoteError::git(format!("resolve {source}")))?;
            tips.push(c.id());
        }
    }
    let mut walk = repo.revwalk().map_err(NoteError::git("walk history"))?;
    let mut any = false;
    for tip in tips {
        if tip == commit.id() || repo.graph_descendant_of(commit.id(), tip).unwrap_or(false) {
            continue;
        }
        walk.push(tip).map_err(NoteError::git("walk source refs"))?;
        any = true;
    }
    if !any {
        return Ok(Vec::new());
    }
    walk.hide(commit.id()).map_err(NoteError::git("walk source refs"))?;
    for parent in commit.parent_ids() {
        walk.hide(parent).map_err(NoteError::git("walk source refs"))?;
    }
    walk.collect::<Result<_, _>>().map_err(NoteError::git("walk source refs"))
}

/// Build the note of `commit` from the notes of `candidates`.
fn recover_from(repo: &Repository, commit: &git2::Commit, candidates: &[Oid]) -> Result<Option<Remapped>, NoteError> {
    let (files, from) = recover_records(repo, commit, candidates)?;
    if files.is_empty() {
        return Ok(None);
    }
    let records: Vec<NoteRecord> = merge_records(files).into_iter().map(NoteRecord::File).collect();
    write_note(repo, commit.id(), &records)?;
    Ok(Some(Remapped { commit: commit.id(), from, records: records.len(), dropped: Vec::new() }))
}

/// The records of `candidates` that describe text `commit` added, carried
/// onto its files, and the candidates they came from.
fn recover_records(
    repo: &Repository,
    commit: &git2::Commit,
    candidates: &[Oid],
) -> Result<(Vec<FileRecord>, Vec<Oid>), NoteError> {
    let tree = commit.tree().map_err(NoteError::git(format!("read the tree of {}", commit.id())))?;
    let parent_tree = match commit.parent(0) {
        Ok(p) => Some(p.tree().map_err(NoteError::git(format!("read the tree of {}", p.id())))?),
        Err(_) => None,
    };
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
        .map_err(NoteError::git(format!("diff {}", commit.id())))?;
    // Path -> (old blob in the parent, new blob).
    let mut changed: HashMap<String, (Option<Oid>, Oid)> = HashMap::new();
    // Path -> the parent's version, of the files the commit removes whole.
    let mut removed: HashMap<String, Oid> = HashMap::new();
    for delta in diff.deltas() {
        let new = delta.new_file();
        if new.id().is_zero() {
            let old = delta.old_file();
            if let Some(path) = old.path().and_then(|p| p.to_str())
                && !old.id().is_zero()
                && delta.status() == git2::Delta::Deleted
            {
                removed.insert(path.to_string(), old.id());
            }
            continue;
        }
        if let Some(path) = new.path().and_then(|p| p.to_str()) {
            let old = (!delta.old_file().id().is_zero()).then(|| delta.old_file().id());
            changed.insert(path.to_string(), (old, new.id()));
        }
    }
    if changed.is_empty() && removed.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut texts = BlobTexts::default();
    let mut added: HashMap<String, Vec<[u32; 2]>> = HashMap::new();
    let mut files = Vec::new();
    let mut from = Vec::new();
    let mut reader = NoteReader::new(repo);
    for &candidate in candidates {
        let Some(records) = reader.read(candidate)? else { continue };
        let mut used = false;
        for record in records {
            let NoteRecord::File(record) = record else { continue };
            if record.removed {
                // An agent removed the file in the candidate, and this
                // commit removes it too: the removal is the agent's here as
                // well, of the version this commit's parent has.
                if let Some(&blob) = removed.get(&record.path) {
                    files.push(FileRecord { blob: blob.to_string(), ..record });
                    used = true;
                }
                continue;
            }
            let Some(&(old_blob, new_blob)) = changed.get(&record.path) else { continue };
            if record.blob == new_blob.to_string() {
                files.push(record);
                used = true;
                continue;
            }
            let Some(old) = Oid::from_str(&record.blob).ok().and_then(|id| texts.get(repo, id)) else { continue };
            let Some(new) = texts.get(repo, new_blob) else { continue };
            let fresh = match added.get(&record.path) {
                Some(lines) => lines.clone(),
                None => {
                    let base = old_blob.and_then(|id| texts.get(repo, id));
                    let lines = added_lines(base.as_deref().unwrap_or(""), &new);
                    added.insert(record.path.clone(), lines.clone());
                    lines
                }
            };
            let ai = intersect(&surviving_lines(&old, &record.ai, &new), &fresh);
            // Places of AI deletions, where this commit removes lines too.
            let deleted_before = if record.deleted_before.is_empty() {
                Vec::new()
            } else {
                let base = old_blob.and_then(|id| texts.get(repo, id));
                let removals = crate::lineage::removals(
                    &crate::lineage::split_lines(base.as_deref().unwrap_or("").as_bytes()),
                    &crate::lineage::split_lines(new.as_bytes()),
                );
                reanchor_gaps(&old, &record.deleted_before, &new)
                    .into_iter()
                    .filter(|&before| removals.iter().any(|r| r.gaps.contains(&(before as usize - 1))))
                    .collect()
            };
            // An AI's change of the file's mode, where this commit makes it.
            let mode = record.mode.as_deref().and_then(|m| mode_set_by(repo, commit.id(), &tree, &record.path, m));
            if !ai.is_empty() || !deleted_before.is_empty() || mode.is_some() {
                files.push(FileRecord { deleted_before, mode, ..record.moved(new_blob, ai) });
                used = true;
            }
        }
        if used {
            from.push(candidate);
        }
    }
    Ok((files, from))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_commit_a_revert_names() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(reverted(format!("Revert \"x\"\n\nThis reverts commit {id}.\n").as_bytes()), Some(id.into()));
        let merge = format!("Revert \"m\"\n\nThis reverts commit {id}, reversing\nchanges made to abcd.\n");
        assert_eq!(reverted(merge.as_bytes()), Some(id.into()));
        assert_eq!(reverted(b"This reverts nothing.\n"), None);
        assert_eq!(reverted(b"Fix x\n\nThis reverts commit zz.\n"), None);
    }

    /// Eight commits and a notes ref `refname` holding notes of texts
    /// `text(0..6)` in every layout libgit2 reads: flat, under fan-out,
    /// both at once, and a flat note hidden by a fan-out directory.
    pub(crate) fn notes_in_every_layout(repo: &Repository, refname: &str, text: impl Fn(usize) -> Vec<u8>) -> Vec<Oid> {
        // A fixed time, so the commits' ids are the same on every run, and
        // commits chosen so that the layouts below do not share a fan-out
        // directory: with ids that change every second, two of them did now
        // and then, and one note hid another.
        let sig = git2::Signature::new("t", "t@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap();
        let empty = repo.treebuilder(None).unwrap().write().unwrap();
        let empty = repo.find_tree(empty).unwrap();
        let mut commits: Vec<Oid> = Vec::new();
        let mut parents: Vec<git2::Commit<'_>> = Vec::new();
        let fanned = [1, 2, 3, 5];
        for i in 0..8 {
            let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let id = (0..)
                .map(|salt| repo.commit(None, &sig, &sig, &format!("c{i} {salt}"), &empty, &parent_refs).unwrap())
                .find(|id| {
                    let dir = &id.as_bytes()[0];
                    !fanned.contains(&i)
                        || commits.iter().enumerate().all(|(j, c)| !fanned.contains(&j) || c.as_bytes()[0] != *dir)
                })
                .unwrap();
            commits.push(id);
            parents = vec![repo.find_commit(id).unwrap()];
        }
        let blob = |i: usize| repo.blob(&text(i)).unwrap();
        let hex: Vec<String> = commits.iter().map(Oid::to_string).collect();
        // Commit 0 flat, 1 under one level of fan-out, 2 under two, 3 under
        // fan-out (text 3) and flat (text 4) at once, 4 flat (text 4), 5
        // flat behind a fan-out directory that holds no note of it.
        let mut root = repo.treebuilder(None).unwrap();
        root.insert(&hex[0], blob(0), 0o100644).unwrap();
        let mut sub = repo.treebuilder(None).unwrap();
        sub.insert(&hex[1][2..], blob(1), 0o100644).unwrap();
        root.insert(&hex[1][..2], sub.write().unwrap(), 0o040000).unwrap();
        let mut inner = repo.treebuilder(None).unwrap();
        inner.insert(&hex[2][4..], blob(2), 0o100644).unwrap();
        let mut outer = repo.treebuilder(None).unwrap();
        outer.insert(&hex[2][2..4], inner.write().unwrap(), 0o040000).unwrap();
        root.insert(&hex[2][..2], outer.write().unwrap(), 0o040000).unwrap();
        let mut both = repo.treebuilder(None).unwrap();
        both.insert(&hex[3][2..], blob(3), 0o100644).unwrap();
        root.insert(&hex[3][..2], both.write().unwrap(), 0o040000).unwrap();
        root.insert(&hex[3], blob(4), 0o100644).unwrap();
        root.insert(&hex[4], blob(4), 0o100644).unwrap();
        let mut other = repo.treebuilder(None).unwrap();
        other.insert("unrelated", repo.blob(b"x").unwrap(), 0o100644).unwrap();
        root.insert(&hex[5][..2], other.write().unwrap(), 0o040000).unwrap();
        root.insert(&hex[5], blob(5), 0o100644).unwrap();
        let tree = repo.find_tree(root.write().unwrap()).unwrap();
        repo.commit(Some(refname), &sig, &sig, "notes", &tree, &[]).unwrap();
        commits
    }

    #[test]
    fn note_reader_reads_what_read_note_reads() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let line = |i: usize| NoteRecord::File(record(&format!("f{i}.rs"), vec![[1, 2]])).to_line();
        // Records, records cut by a NUL, and a note that is not records.
        let commits = notes_in_every_layout(&repo, NOTES_REF, |i| match i {
            4 => format!("{}\0not a record", line(4)).into_bytes(),
            1 => b"not a record".to_vec(),
            i => format!("{}\n{}\n", line(i), line(i + 10)).into_bytes(),
        });
        let mut reader = NoteReader::new(&repo);
        let mut found = 0;
        for commit in &commits {
            let want = read_note(&repo, *commit).map_err(|e| e.to_string());
            let got = reader.read(*commit).map_err(|e| e.to_string());
            assert_eq!(got, want, "note on {commit}");
            found += usize::from(want.is_ok_and(|n| n.is_some()));
        }
        // Four read, one not records; the rest without a note (one hidden).
        assert_eq!(found, 4);
        assert!(reader.read(commits[1]).is_err());
        assert_eq!(reader.read(commits[3]).unwrap().unwrap().len(), 2);
        assert_eq!(reader.read(commits[4]).unwrap().unwrap().len(), 1);
        // No notes ref at all: no note.
        let bare = tempfile::tempdir().unwrap();
        let bare = Repository::init(bare.path()).unwrap();
        assert!(NoteReader::new(&bare).read(commits[0]).unwrap().is_none());
    }

    fn record(path: &str, ai: Vec<[u32; 2]>) -> FileRecord {
        FileRecord {
            path: path.into(),
            blob: "0123456789abcdef0123456789abcdef01234567".into(),
            ai,
            origin: AiSource { tool: "claude".into(), model: Some("opus".into()), session: None, kind: None },
            evidence: Evidence::AgentHook,
            accepted_by: None,
            rationale: None,
            approvals: vec!["a1".into()],
            intent: None,
            imported: None,
            deleted_before: Vec::new(),
            removed: false,
            mode: None,
        }
    }

    #[test]
    fn a_record_round_trips_through_its_line() {
        let r = NoteRecord::File(record("src/a.rs", vec![[1, 3], [7, 7]]));
        let line = r.to_line();
        expect_test::expect![[r#"{"v":1,"path":"src/a.rs","blob":"0123456789abcdef0123456789abcdef01234567","ai":[[1,3],[7,7]],"origin":{"tool":"claude","model":"opus"},"evidence":"agent-hook","approvals":["a1"]}"#]].assert_eq(&line);
        assert_eq!(NoteRecord::parse_line(&line), Ok(r));
        assert_eq!(NoteRecord::parse_line(r#"{"v":1,"attest":"no-ai"}"#), Ok(NoteRecord::NoAi));
        assert_eq!(NoteRecord::NoAi.to_line(), r#"{"v":1,"attest":"no-ai"}"#);
        let via_serde: NoteRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(serde_json::to_string(&via_serde).unwrap(), line);
    }

    #[test]
    fn places_of_ai_deletions_round_trip_and_are_checked() {
        let r = NoteRecord::File(FileRecord { deleted_before: vec![2, 9], ..record("src/a.rs", Vec::new()) });
        let line = r.to_line();
        expect_test::expect![[r#"{"v":1,"path":"src/a.rs","blob":"0123456789abcdef0123456789abcdef01234567","ai":[],"origin":{"tool":"claude","model":"opus"},"evidence":"agent-hook","approvals":["a1"],"deleted_before":[2,9]}"#]].assert_eq(&line);
        assert_eq!(NoteRecord::parse_line(&line), Ok(r));
        for bad in ["[0]", "[3,3]", "[9,2]"] {
            let got = NoteRecord::parse_line(&line.replace("[2,9]", bad));
            assert!(got.as_ref().is_err_and(|e| e.contains("deleted_before")), "{bad}: {got:?}");
        }
        // Records of one origin merge their places, as their lines.
        let a = FileRecord { deleted_before: vec![4], ..record("src/a.rs", vec![[1, 1]]) };
        let b = FileRecord { deleted_before: vec![2, 4], ..record("src/a.rs", Vec::new()) };
        let merged = merge_records(vec![a, b]);
        assert_eq!(merged.len(), 1);
        assert_eq!((merged[0].ai.clone(), merged[0].deleted_before.clone()), (vec![[1, 1]], vec![2, 4]));
    }

    #[test]
    fn places_of_deletions_follow_a_rewrite() {
        // Lines added above move the place; the end stays the end.
        assert_eq!(reanchor_gaps("a\nb\nc\n", &[2, 4], "x\ny\na\nb\nc\n"), [4, 6]);
        // The line before it rewritten: placed before the line after it.
        assert_eq!(reanchor_gaps("a\nb\nc\n", &[3], "a\nB\nc\n"), [3]);
        // Both gone: dropped.
        assert_eq!(reanchor_gaps("a\nb\nc\n", &[3], "a\nx\n"), Vec::<u32>::new());
        assert_eq!(reanchor_gaps("a\n", &[1], "z\na\n"), [1]);
    }

    #[test]
    fn bad_lines_are_refused_with_a_reason() {
        let bad = [
            ("hello", "not JSON"),
            ("[1]", "not a JSON object"),
            (r#"{"v":2,"attest":"no-ai"}"#, "unsupported schema version 2"),
            (r#"{"attest":"no-ai"}"#, "missing schema version"),
            (r#"{"v":1,"attest":"maybe"}"#, "unknown attestation"),
            (
                r#"{"v":1,"path":"a","blob":"xyz","ai":[],"origin":{"tool":"t"},"evidence":"editor"}"#,
                "not an object id",
            ),
            (
                r#"{"v":1,"path":"a","blob":"0123456789abcdef0123456789abcdef01234567","ai":[[3,2]],"origin":{"tool":"t"},"evidence":"editor"}"#,
                "bad line range",
            ),
            (
                r#"{"v":1,"path":"a","blob":"0123456789abcdef0123456789abcdef01234567","ai":[[1,4],[3,5]],"origin":{"tool":"t"},"evidence":"editor"}"#,
                "overlaps",
            ),
            (
                r#"{"v":1,"path":"a","blob":"0123456789abcdef0123456789abcdef01234567","ai":[],"origin":{"tool":"t"},"evidence":"vibes"}"#,
                "unknown variant",
            ),
        ];
        for (line, want) in bad {
            let err = NoteRecord::parse_line(line).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
    }

    #[test]
    fn parse_note_names_the_line() {
        let commit = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let text = format!("{}\n\n{{\"v\":1,\"attest\":\"no-ai\"}}\nnot json\n", NoteRecord::NoAi.to_line());
        let err = parse_note(commit, text.as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("malformed vouch note on commit 1111111111111111111111111111111111111111, line 4:"),
            "{err}"
        );
        let err = parse_note(commit, b"{\"v\":1,\"attest\":\"no-ai\"}\n\xff\n").unwrap_err();
        assert!(err.to_string().contains("line 2: not UTF-8"), "{err}");
    }

    #[test]
    fn lines_and_bytes_convert_both_ways() {
        let text = "a\nbb\nccc\nd";
        assert_eq!(line_spans(text), vec![0..2, 2..5, 5..9, 9..10]);
        assert_eq!(lines_to_bytes(text, &[[2, 3], [4, 9]]), vec![2..10]);
        assert_eq!(lines_to_bytes(text, &[[1, 1], [3, 3]]), vec![0..2, 5..9]);
        assert_eq!(lines_to_bytes(text, &[[5, 6]]), Vec::<Range<usize>>::new());
        assert_eq!(bytes_to_lines(text, &[2..10, 10..10]), vec![[2, 4]]);
        assert_eq!(bytes_to_lines(text, &[0..1, 1..2, 6..7]), vec![[1, 1], [3, 3]]);
        assert_eq!(bytes_to_lines("", &[0..3, 0..0]), Vec::<[u32; 2]>::new());
        assert_eq!(merge_line_ranges([[5, 6], [1, 2], [3, 4], [9, 9], [0, 7]]), vec![[1, 6], [9, 9]]);
    }

    #[test]
    fn reanchor_lines_follows_inserted_lines() {
        let old = "fn a() {}\nfn b() {\n    x\n}\n";
        let new = "use y;\n\nfn a() {}\nfn b() {\n    x + 1\n}\n";
        assert_eq!(reanchor_lines(old, &[[2, 4]], new), vec![[4, 6]]);
        // The strict carry keeps only unchanged lines.
        assert_eq!(surviving_lines(old, &[[2, 4]], new), vec![[4, 4], [6, 6]]);
        assert_eq!(added_lines(old, new), vec![[1, 2], [5, 5]]);
        assert_eq!(added_lines("", "a\nb\n"), vec![[1, 2]]);
        assert_eq!(intersect(&[[1, 5], [8, 9]], &[[4, 8]]), vec![[4, 5], [8, 8]]);
    }

    #[test]
    fn covers_uses_the_ranges() {
        let r = record("a", vec![[2, 4], [9, 9]]);
        let covered: Vec<u32> = (1..=10).filter(|&l| r.covers(l)).collect();
        assert_eq!(covered, vec![2, 3, 4, 9]);
    }

    #[test]
    fn records_that_differ_only_in_lines_merge() {
        let merged =
            merge_records(vec![record("a", vec![[1, 2]]), record("b", vec![[1, 1]]), record("a", vec![[3, 5]])]);
        assert_eq!(merged, vec![record("a", vec![[1, 5]]), record("b", vec![[1, 1]])]);
    }

    #[test]
    fn rewrite_pairs_are_parsed() {
        let a = "1111111111111111111111111111111111111111";
        let b = "2222222222222222222222222222222222222222";
        let pairs = parse_rewrite_pairs(&format!("{a} {b}\n{b} {a} extra\n\n")).unwrap();
        let (a, b) = (Oid::from_str(a).unwrap(), Oid::from_str(b).unwrap());
        assert_eq!(pairs, vec![(a, b), (b, a)]);
        assert!(parse_rewrite_pairs("nonsense\n").unwrap_err().contains("line 1"));
    }

    #[test]
    fn cherry_pick_line_is_found() {
        let msg = b"fix\n\nbody\n(cherry picked from commit 0123abcd)\n";
        assert_eq!(cherry_picked_from(msg), Some("0123abcd".into()));
        assert_eq!(cherry_picked_from(b"(cherry picked from commit nothex)"), None);
        assert_eq!(cherry_picked_from(b"plain"), None);
    }
}
