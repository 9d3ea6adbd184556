//! Lineage: how the origin of each line flows through one change of one
//! file, under the rules that make AI origin sticky.
//!
//! A line of a file version carries a [`Tag`]: a [`Claim`] about who wrote
//! it (outside the range under review, unknown, attested not AI, or AI with
//! its attribution) and the set of commits of the range that touched it.
//! Given the versions of a file in a commit's parents, their tags, the new
//! version and the commit's own evidence, [`Change`] computes the new tags:
//! - a line that comes unchanged from a parent takes that parent's tag (from
//!   several parents: AI if any says AI, else outside if any says outside);
//! - every other line is the commit's own: AI when the commit's evidence
//!   says so for that line (a vouch note, a git-ai note) or for all it adds
//!   (a trailer, a bot author); else AI when its diff hunk replaced AI lines
//!   (whitespace, re-indentation, rewording in place); else AI when its text,
//!   whitespace aside, is AI text removed earlier in the range (a move, in
//!   any file: the [`Pool`]); else what the evidence claims (not AI), else
//!   unknown. A claim of "not AI" never outranks a claim of AI.
//!
//! At the end of the range ([`settle`]), blocks of lines that are not AI
//! but bring back AI text removed in the range are AI: equal to it
//! whitespace aside (copied before the original was removed), or shaped as
//! a block of it in its order with most of its words (moved and reworded
//! at once, [`shape_key`], [`words`]).
//!
//! Lines are split at LF only, as git numbers them; a line keeps its LF, so
//! a last line without one differs from the same line with one, as in git.
//! A version that is not text (a blob that is not UTF-8, a submodule) is one
//! opaque line ([`opaque_line`]) that equals only itself, so the same rules
//! make such a unit AI when an AI commit changed it.
//!
//! This module is pure: reading commits and blobs is `store::lineage`'s job.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp};

use crate::provenance::Attribution;

/// An index into a [`Table`]'s claims.
pub type ClaimId = u32;
/// An index into a [`Table`]'s commit sets.
pub type SetId = u32;

/// What the evidence says about a line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Claim {
    /// It comes from outside the range (BASE's side): not judged.
    Outside,
    /// A commit of the range wrote it, and nothing says who.
    Unknown,
    /// A note of the range says it is not AI.
    NotAi(Attester),
    /// AI wrote it.
    Ai(Attribution),
}

/// Who says a line is not AI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Attester {
    /// A vouch note on the commit (its `no-ai` attestation, or file records
    /// that leave the line out).
    VouchNote,
    /// A git-ai note naming a human.
    GitAi,
}

/// The claim and the commits of the range that touched a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tag {
    pub claim: ClaimId,
    pub commits: SetId,
}

/// The tag of a line from outside the range.
pub const OUTSIDE: Tag = Tag { claim: 0, commits: 0 };
const UNKNOWN: ClaimId = 1;
const EMPTY: SetId = 0;

/// Claims and commit sets, each stored once: lines refer to them by index.
/// It is kept between runs as its claims and sets (the indexes that find
/// them again are rebuilt).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "TableData", from = "TableData")]
pub struct Table {
    claims: Vec<Claim>,
    claim_ids: HashMap<Claim, ClaimId>,
    sets: Vec<Box<[u32]>>,
    set_ids: HashMap<Box<[u32]>, SetId>,
    unions: HashMap<(SetId, SetId), SetId>,
}

/// A [`Table`] as it is kept.
#[derive(Serialize, Deserialize)]
struct TableData {
    claims: Vec<Claim>,
    sets: Vec<Vec<u32>>,
}

impl From<Table> for TableData {
    fn from(table: Table) -> TableData {
        TableData { claims: table.claims, sets: table.sets.into_iter().map(Vec::from).collect() }
    }
}

impl From<TableData> for Table {
    fn from(data: TableData) -> Table {
        let mut table = Table {
            claims: Vec::new(),
            claim_ids: HashMap::new(),
            sets: Vec::new(),
            set_ids: HashMap::new(),
            unions: HashMap::new(),
        };
        for claim in data.claims {
            let id = table.claims.len() as ClaimId;
            table.claim_ids.entry(claim.clone()).or_insert(id);
            table.claims.push(claim);
        }
        for set in data.sets {
            let set = set.into_boxed_slice();
            let id = table.sets.len() as SetId;
            table.set_ids.entry(set.clone()).or_insert(id);
            table.sets.push(set);
        }
        if table.claims.len() < 2 || table.sets.is_empty() {
            // Damaged: start again from an empty table (the caller sees
            // every tag it kept out of bounds and discards them).
            return Table::new();
        }
        table
    }
}

impl Default for Table {
    fn default() -> Table {
        Table::new()
    }
}

impl Table {
    pub fn new() -> Table {
        let mut table = Table {
            claims: Vec::new(),
            claim_ids: HashMap::new(),
            sets: Vec::new(),
            set_ids: HashMap::new(),
            unions: HashMap::new(),
        };
        let outside = table.claim(Claim::Outside);
        let unknown = table.claim(Claim::Unknown);
        let empty = table.set(Vec::new());
        debug_assert_eq!((outside, unknown, empty), (OUTSIDE.claim, UNKNOWN, EMPTY));
        table
    }

    /// The id of `claim`, stored if new.
    pub fn claim(&mut self, claim: Claim) -> ClaimId {
        if let Some(&id) = self.claim_ids.get(&claim) {
            return id;
        }
        let id = self.claims.len() as ClaimId;
        self.claims.push(claim.clone());
        self.claim_ids.insert(claim, id);
        id
    }

    pub fn get(&self, id: ClaimId) -> &Claim {
        &self.claims[id as usize]
    }

    /// Whether `tag` names a claim and a set of this table (a check for
    /// tags read back from a cache).
    pub fn holds(&self, tag: Tag) -> bool {
        (tag.claim as usize) < self.claims.len() && (tag.commits as usize) < self.sets.len()
    }

    pub fn is_ai(&self, id: ClaimId) -> bool {
        matches!(self.get(id), Claim::Ai(_))
    }

    /// The commits (as the caller numbers them) of a set, sorted.
    pub fn commits(&self, set: SetId) -> &[u32] {
        &self.sets[set as usize]
    }

    fn set(&mut self, mut commits: Vec<u32>) -> SetId {
        commits.sort_unstable();
        commits.dedup();
        let commits = commits.into_boxed_slice();
        if let Some(&id) = self.set_ids.get(&commits) {
            return id;
        }
        let id = self.sets.len() as SetId;
        self.sets.push(commits.clone());
        self.set_ids.insert(commits, id);
        id
    }

    /// The set holding only `commit`.
    pub fn single(&mut self, commit: u32) -> SetId {
        self.set(vec![commit])
    }

    /// The union of two sets.
    pub fn union(&mut self, a: SetId, b: SetId) -> SetId {
        if a == b || b == EMPTY {
            return a;
        }
        if a == EMPTY {
            return b;
        }
        let key = (a.min(b), a.max(b));
        if let Some(&id) = self.unions.get(&key) {
            return id;
        }
        let mut all = self.sets[a as usize].to_vec();
        all.extend_from_slice(&self.sets[b as usize]);
        let id = self.set(all);
        self.unions.insert(key, id);
        id
    }

    /// One tag for a line that several parents hold unchanged: AI if any
    /// says AI, else outside if any says outside, else the first; touched
    /// by every commit that touched it on any side.
    pub fn combine(&mut self, tags: &[Tag]) -> Tag {
        let Some(first) = tags.first() else { return OUTSIDE };
        let claim = tags
            .iter()
            .find(|t| self.is_ai(t.claim))
            .or_else(|| tags.iter().find(|t| t.claim == OUTSIDE.claim))
            .unwrap_or(first)
            .claim;
        let commits = tags.iter().fold(EMPTY, |set, t| self.union(set, t.commits));
        Tag { claim, commits }
    }
}

/// What a commit says about the lines of one file version it wrote.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// The commit declares all it adds or changes AI (a trailer, a bot
    /// author): an AI claim, on the lines it removes too.
    pub whole: Option<ClaimId>,
    /// Per line (index 0 is line 1): what its notes say (AI, or not AI).
    pub lines: Vec<Option<ClaimId>>,
    /// What its notes say about every other line (a vouch note: not AI).
    pub rest: Option<ClaimId>,
    /// Places of the new version where its notes say an AI removed lines
    /// (gaps, as [`Deletion::at`]), with that AI claim.
    pub deleted: Vec<(usize, ClaimId)>,
    /// An AI claim on every line the commit removes from this file, when
    /// its evidence cannot say which removal was whose (a git-ai note that
    /// attributes lines of the file to AI).
    pub removes: Option<ClaimId>,
}

impl Evidence {
    fn line(&self, index: usize) -> Option<ClaimId> {
        self.lines.get(index).copied().flatten()
    }
}

/// The lines of `bytes`, split after each LF (git's lines), each with its
/// LF.
pub fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(bytes.len() / 32 + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes) {
        out.push(&bytes[start..=end]);
        start = end + 1;
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

/// How many lines [`split_lines`] finds in `bytes`.
pub fn count_lines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count() + usize::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

/// Where each line of `bytes` ends (just past its LF, or at the end of the
/// text), as [`split_lines`] splits them.
pub fn line_ends(bytes: &[u8]) -> Vec<usize> {
    let mut out: Vec<usize> = memchr::memchr_iter(b'\n', bytes).map(|i| i + 1).collect();
    if out.last().copied().unwrap_or(0) < bytes.len() {
        out.push(bytes.len());
    }
    out
}

/// The lines of `bytes` that end at `ends` (from [`line_ends`]).
pub fn lines_at<'b>(bytes: &'b [u8], ends: &[usize]) -> Vec<&'b [u8]> {
    let mut start = 0;
    ends.iter()
        .map(|&end| {
            let line = &bytes[start..end];
            start = end;
            line
        })
        .collect()
}

/// The one line of a version that is not text: the object id behind a
/// line break, so it equals only the same content and never a text line.
pub fn opaque_line(kind: &str, id: &str) -> Vec<u8> {
    format!("\n\0{kind} {id}\n").into_bytes()
}

/// AI text removed in the range, whitespace aside: an added line with such
/// text is AI again (a move, a cut and paste). And the same text by shape
/// ([`shape_key`]) and words, in the blocks it was removed in: lines shaped
/// as a block's, in its order, with most of its words, are that text moved
/// and reworded (a name changed, a comment put at the end of each line),
/// see [`settle`].
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Pool {
    #[serde(with = "pool_entries")]
    removed: HashMap<u64, Tag>,
    /// Each run of AI lines removed together, as its lines that have a
    /// shape, in order (runs of fewer than [`MIN_REWORDED`] such lines are
    /// left out: too short to tell).
    #[serde(default)]
    blocks: Vec<Vec<BlockLine>>,
    /// Where each shape stands in `blocks` (block, position), built when
    /// first needed after a change.
    #[serde(skip)]
    shapes: std::sync::OnceLock<HashMap<u64, Vec<(u32, u32)>>>,
    /// Lines of the versions before the range (BASE's side) that an AI
    /// removed, by path and text whitespace aside ([`deleted_key`]), with
    /// its deletion's tag: where the range leaves them removed, the removal
    /// is the AI's, however its place was lost on the way (the file removed
    /// and restored, an edit around it reverted; see [`settle_deletions`]).
    #[serde(default, with = "pool_entries")]
    deleted: HashMap<u64, Tag>,
    /// AI text of the range that still stands at its end, as runs of
    /// [`MIN_COPIED`] lines that have a letter or a digit, in a row, each
    /// run by [`run_key`] with the tag of its first line: what a copy of it
    /// is found by ([`Pool::remember_standing`]). Made for the settling at
    /// the end of a range, never kept.
    #[serde(skip)]
    copies: HashMap<u64, Tag>,
}

/// How many lines with a letter or a digit in a row, equal whitespace aside
/// to AI text the range wrote that still stands elsewhere, make a copy of
/// it: fewer would take boilerplate two lines long (`if err != nil {`,
/// `return err`) for a copy.
const MIN_COPIED: usize = 4;

/// The key a line is matched by when AI text that still stands is copied
/// ([`move_key`]); none for a line everyone writes alike, which says
/// nothing of where it came from: a comment (a house license header) or an
/// import. Such lines neither count in a run nor break it.
fn copy_key(line: &[u8]) -> Option<u64> {
    const SHARED: [&[u8]; 14] = [
        b"#",
        b"//",
        b"/*",
        b"*",
        b"--",
        b"<!--",
        b"import ",
        b"from ",
        b"use ",
        b"using ",
        b"package ",
        b"require",
        b"extern crate",
        b"@import",
    ];
    let code = line.trim_ascii_start();
    if SHARED.iter().any(|shared| code.starts_with(shared)) {
        return None;
    }
    move_key(line)
}

/// The key of a run of lines' [`copy_key`]s.
fn run_key(keys: &[u64]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for key in keys {
        hasher.write_u64(*key);
    }
    hasher.finish()
}

/// A line of removed AI text as a reworded move is matched by: its shape
/// ([`shape_key`]) and its words ([`words`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BlockLine {
    shape: u64,
    words: Vec<u32>,
    tag: Tag,
}

/// The words of a line (runs of letters, digits, `_` and bytes past ASCII;
/// numbers too), trailing comment aside, hashed, sorted, once each: what a
/// line moved and reworded mostly keeps, and code only shaped alike does
/// not (another name, another endpoint, other values).
fn words(line: &[u8]) -> Vec<u32> {
    let code = without_trailing_comment(line);
    let mut out: Vec<u32> = code
        .split(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            hasher.write(w);
            hasher.finish() as u32
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A pool kept as a list (JSON object keys are strings).
mod pool_entries {
    use super::Tag;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::HashMap;

    pub fn serialize<S: Serializer>(map: &HashMap<u64, Tag>, s: S) -> Result<S::Ok, S::Error> {
        let mut list: Vec<(u64, Tag)> = map.iter().map(|(k, v)| (*k, *v)).collect();
        list.sort_by_key(|(k, _)| *k);
        list.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<u64, Tag>, D::Error> {
        Ok(Vec::<(u64, Tag)>::deserialize(d)?.into_iter().collect())
    }
}

impl Pool {
    /// Remember an AI line that was removed.
    pub fn remember(&mut self, line: &[u8], tag: Tag) {
        if let Some(key) = move_key(line) {
            self.removed.insert(key, tag);
        }
    }

    /// Remember the AI text of `lines` (one file at the end of the range,
    /// `tags` theirs) as text a copy of which is found again: every run of
    /// [`MIN_COPIED`] AI lines that have a [`copy_key`], in a row (lines
    /// without one are passed over).
    pub fn remember_standing(&mut self, table: &Table, lines: &[&[u8]], tags: &[Tag]) {
        let brought = brought_lines(lines);
        let mut run: Vec<(u64, Tag)> = Vec::new();
        for (line, &tag) in brought.iter().zip(tags) {
            if !table.is_ai(tag.claim) {
                run.clear();
                continue;
            }
            let Some(key) = line.and_then(copy_key) else { continue };
            run.push((key, tag));
            if run.len() >= MIN_COPIED {
                let last = &run[run.len() - MIN_COPIED..];
                let keys: Vec<u64> = last.iter().map(|(k, _)| *k).collect();
                self.copies.entry(run_key(&keys)).or_insert(last[0].1);
            }
        }
    }

    /// The tag of removed AI text equal to `line`, whitespace aside.
    pub fn recall(&self, line: &[u8]) -> Option<Tag> {
        move_key(line).and_then(|key| self.removed.get(&key).copied())
    }

    /// Remember a line an AI removed from `path`, with its deletion's tag.
    fn remember_deleted(&mut self, path: &str, line: &[u8], tag: Tag) {
        if let Some(key) = deleted_key(path, line) {
            self.deleted.entry(key).or_insert(tag);
        }
    }

    /// Remember a run of AI lines removed together, by shape.
    pub fn remember_block<'l>(&mut self, lines: impl Iterator<Item = (&'l [u8], Tag)>) {
        let block: Vec<BlockLine> = lines
            .filter_map(|(line, tag)| shape_key(line).map(|shape| BlockLine { shape, words: words(line), tag }))
            .collect();
        if block.len() >= MIN_REWORDED {
            self.blocks.push(block);
            self.shapes = std::sync::OnceLock::new();
        }
    }

    fn shapes(&self) -> &HashMap<u64, Vec<(u32, u32)>> {
        self.shapes.get_or_init(|| {
            let mut index: HashMap<u64, Vec<(u32, u32)>> = HashMap::new();
            for (b, block) in self.blocks.iter().enumerate() {
                for (pos, line) in block.iter().enumerate() {
                    index.entry(line.shape).or_default().push((b as u32, pos as u32));
                }
            }
            index
        })
    }

    pub fn len(&self) -> usize {
        self.removed.len()
    }

    /// Whether it holds lines an AI removed from before the range.
    pub fn has_deleted(&self) -> bool {
        !self.deleted.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        self.removed.is_empty()
    }
}

/// Lines a change removed from a file, and the place they leave in a
/// version of it. A removal leaves no line to tag, so the lineage keeps its
/// place instead. Removals an AI made carry its AI claim: the unit around
/// the place changed, and its reviewer must see that. Removals of a commit
/// with no AI evidence for them carry the claim [`UNKNOWN`] and count only
/// for who touched the unit around them ([`Deletion::is_ai`]): a person
/// who removed a line of an AI unit took part in it, as one who changed a
/// line of it did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deletion {
    /// The removed lines stood between line `at - 1` and line `at` of the
    /// version (0-based: 0 is before its first line, its line count after
    /// its last).
    pub at: u32,
    /// How many lines were removed.
    pub lines: u32,
    /// The first removed line with a letter or a digit, trimmed, cut to
    /// [`SHOWN_CHARS`] characters: what a reviewer is told went (attacker
    /// text, shown only through `display`).
    pub first: String,
    /// The AI claim, and the commits of the range that removed the lines.
    pub tag: Tag,
    /// The removed lines ([`text_key`]): the very lines put back where
    /// they were undo the removal. 0: not known (two removals at one
    /// place, counted as one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub text: u64,
    /// How many AI lines the commit put in their place, from `at` on (0:
    /// none, a removal): see [`crate::provenance::AiDeletion::replaced`].
    #[serde(default, skip_serializing_if = "crate::provenance::is_zero_u32")]
    pub replaced: u32,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The key of lines removed together: a hash of each line's bytes, its
/// line break and trailing whitespace aside (indentation counts: in
/// Python it is what the line means); never 0.
pub fn text_key(lines: &[&[u8]]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for line in lines {
        hasher.write(line.trim_ascii_end());
        hasher.write_u8(0xff);
    }
    hasher.finish().max(1)
}

impl Deletion {
    /// Whether an AI made the removal (else it only says who touched the
    /// place).
    pub fn is_ai(&self, table: &Table) -> bool {
        table.is_ai(self.tag.claim)
    }
}

/// The tags of the `deletions` (an AI's or not) among lines `first..=last`
/// (1-based) of their version: from just before the first line (a
/// decorator, an attribute removed) to just after the last (the last
/// statement of a Python function), of lines with a letter or a digit (not
/// a blank line between two units). Whoever made them touched the unit
/// those lines hold.
pub fn touching_lines(deletions: &[Deletion], first: usize, last: usize) -> impl Iterator<Item = Tag> + '_ {
    let places = first.saturating_sub(1)..=last;
    deletions.iter().filter(move |d| places.contains(&(d.at as usize)) && !d.first.is_empty()).map(|d| d.tag)
}

/// How much of a removed line a [`Deletion`] keeps to show.
pub const SHOWN_CHARS: usize = 80;

/// Lines of an old version that a new version lacks at one place (removed,
/// or replaced by other lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The lines of the old version.
    pub old: Range<usize>,
    /// The lines of the new version in their place (empty for a removal).
    pub new: Range<usize>,
    /// The gaps of the new version (as [`Deletion::at`]) the removal can be
    /// placed at: a run of equal lines lets a diff put it at any of them,
    /// and an agent's diff and git's may choose differently.
    pub gaps: std::ops::RangeInclusive<usize>,
}

/// Where `new` lacks lines of `old`.
pub fn removals(old: &[&[u8]], new: &[&[u8]]) -> Vec<Removal> {
    removals_in(&align(old, new), old)
}

fn removals_in(alignment: &Alignment, old: &[&[u8]]) -> Vec<Removal> {
    let mut out = Vec::new();
    for (o, n) in alignment.hunks.iter().filter(|(o, _)| !o.is_empty()) {
        let gaps = if n.is_empty() {
            // How far up the removal could slide: along the equal run before
            // it, while the line above equals the removal's last line.
            let run = alignment.equal.iter().find(|&&(eo, en, len)| eo + len == o.start && en + len == n.start);
            let room = run.map_or(0, |&(_, _, len)| len);
            let mut up = 0;
            while up < room && old[o.start - 1 - up] == old[o.end - 1 - up] {
                up += 1;
            }
            n.start - up..=n.start
        } else {
            n.start..=n.end
        };
        out.push(Removal { old: o.clone(), new: n.clone(), gaps });
    }
    out
}

/// Lines of `old` that `new`, a file renamed from it, lacks where it is
/// AI on both sides: (the place, as [`Deletion::at`]; how many lines; the
/// first shown; the attribution of the text after it, else before it).
/// An agent that writes a file whole as a rename of another (a `Write` of
/// the new path and an `rm` of the old, or `mv` and an edit in one shell
/// command) is recorded as writing every line of it, and left out what it
/// does not hold: those removals are its. A removal with a person's line on
/// either side is left to what else is known of it.
pub fn left_out(old: &[u8], new: &[u8], ai: &[Option<Attribution>]) -> Vec<(usize, u32, String, Attribution)> {
    let (old_lines, new_lines) = (split_lines(old), split_lines(new));
    let ai_at = |i: usize| ai.get(i).and_then(|a| a.as_ref()).filter(|a| a.is_ai());
    let mut out = Vec::new();
    for removal in removals(&old_lines, &new_lines) {
        if !removal.new.is_empty() {
            // Lines in their place are the commit's own, and judged so.
            continue;
        }
        let sides = |g: usize| {
            let before = g.checked_sub(1).map(ai_at);
            let after = (g < new_lines.len()).then(|| ai_at(g));
            match (before, after) {
                (None, None) | (Some(None), _) | (_, Some(None)) => None,
                (_, Some(Some(a))) | (Some(Some(a)), None) => Some(a.clone()),
            }
        };
        if let Some((g, attribution)) = removal.gaps.clone().find_map(|g| sides(g).map(|a| (g, a))) {
            let removed = &old_lines[removal.old.clone()];
            out.push((g, removed.len() as u32, shown(removed), attribution));
        }
    }
    out
}

/// What a reviewer is told of removed `lines`: the first with a letter or
/// a digit, trimmed and cut short.
fn shown(lines: &[&[u8]]) -> String {
    let Some(line) = lines.iter().find(|l| is_telling(l)) else { return String::new() };
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    let mut out: String = text.chars().take(SHOWN_CHARS).collect();
    if text.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Add `deletion` to `out`: at a place that has one already of the same
/// kind (an AI's, or not), the two are one (the same deletion carried from
/// two parents of a merge), or their lines add up.
fn add_deletion(table: &mut Table, out: &mut Vec<Deletion>, deletion: Deletion) {
    let ai = deletion.is_ai(table);
    match out.iter_mut().find(|d| d.at == deletion.at && table.is_ai(d.tag.claim) == ai) {
        Some(d) => {
            let same = d.lines == deletion.lines && d.first == deletion.first && d.tag.claim == deletion.tag.claim;
            // Lines put in the place count only as far as both say.
            d.replaced = d.replaced.min(deletion.replaced);
            if !same {
                d.lines += deletion.lines;
                d.text = 0;
                if d.first.is_empty() {
                    d.first = deletion.first;
                }
            }
            d.tag.commits = table.union(d.tag.commits, deletion.tag.commits);
        }
        None => out.push(deletion),
    }
}

/// The last word on the AI deletions of a file version at the end of the
/// range: one whose place has BASE's lines on both sides, next to each
/// other as in BASE, and where no line of BASE is missing (at any place a
/// diff could put a removal: with repeated lines a removal can be placed
/// at several, and the lines around one prove nothing then), removed
/// nothing and is dropped: the lines came back. The rest stand, those
/// between lines the range added among them (an AI that removed lines of
/// a function written earlier in the range changed it).
///
/// And BASE's lines that the version lacks, with nothing in their place
/// but blank lines or comments, most of which an AI removed from this file
/// in the range (`pool`,
/// whitespace aside), are an AI's deletion where none of the same text
/// stands: the place of its removal was lost on the way (the file removed
/// and restored, the lines around it edited and the edit reverted), the
/// removal was not.
pub fn settle_deletions(
    lines: &[&[u8]],
    deletions: &mut Vec<Deletion>,
    base: Option<&[&[u8]]>,
    pool: &Pool,
    path: &str,
) {
    let Some(base) = base else { return };
    if deletions.is_empty() && pool.deleted.is_empty() {
        return;
    }
    let alignment = align(base, lines);
    let missing = removals_in(&alignment, base);
    let (b, n) = (base.len(), lines.len());
    deletions.retain(|d| {
        let g = d.at as usize;
        let between_base_lines = alignment.equal.iter().any(|&(o, s, len)| {
            (s < g && g < s + len) || (g == 0 && s == 0 && o == 0) || (g == n && s + len == n && o + len == b)
        });
        // BASE's lines still missing, or replaced, where the removed lines
        // could stand (from its place as far down as it removed lines): put
        // back in part (a check's first line and brace around a statement
        // that does nothing), the removal stands.
        let reach = g..=g + d.lines as usize;
        !between_base_lines || missing.iter().any(|r| r.gaps.start() <= reach.end() && reach.start() <= r.gaps.end())
    });
    if pool.deleted.is_empty() {
        return;
    }
    // With nothing in their place but blank lines or comments.
    let filler = |line: &&[u8]| {
        let code = line.trim_ascii_start();
        !is_telling(line) || [&b"//"[..], b"#", b"--", b"/*", b"*"].iter().any(|m| code.starts_with(m))
    };
    for removal in missing.iter().filter(|r| lines[r.new.clone()].iter().all(filler)) {
        // Most of its lines, not one that recurs (`return out;`): a
        // removal the AI made elsewhere in the file says nothing of this.
        let removed = &base[removal.old.clone()];
        let keys: Vec<u64> = removed.iter().filter_map(|l| deleted_key(path, l)).collect();
        let found: Vec<&Tag> = keys.iter().filter_map(|k| pool.deleted.get(k)).collect();
        let Some(&tag) = found.first().filter(|_| 2 * found.len() > keys.len()) else { continue };
        // An AI's deletion at one of its places says it already, and one
        // of the same text elsewhere accounts for the AI's removal (this is
        // a person's of the same lines: a check removed from two
        // functions); else one at its last place, where a diff puts it.
        let first = shown(removed);
        if deletions
            .iter()
            .any(|d| d.tag.claim == tag.claim && (removal.gaps.contains(&(d.at as usize)) || d.first == first))
        {
            continue;
        }
        let at = *removal.gaps.end() as u32;
        deletions.push(Deletion {
            at,
            lines: removed.len() as u32,
            first,
            tag: *tag,
            text: text_key(removed),
            replaced: 0,
        });
    }
    deletions.sort_by_key(|d| d.at);
}

/// Which `gaps` of `old` (as [`Deletion::at`]) `new` still has: no lines
/// of `new` stand at the place that `old` lacks (nothing was put back
/// there, at any place a diff could put it).
pub fn gaps_kept(old: &[&[u8]], new: &[&[u8]], gaps: &[usize]) -> Vec<bool> {
    if gaps.is_empty() {
        return Vec::new();
    }
    // Where `old` lacks lines of `new`, in `old`'s gaps.
    let put_back = removals_in(&align(new, old), new);
    gaps.iter().map(|g| !put_back.iter().any(|r| r.gaps.contains(g))).collect()
}

/// A number that changes when the hash [`Pool`] keys lines by changes (a
/// new Rust release may change it): part of the name of anything that
/// keeps a pool between runs.
pub fn pool_stamp() -> u64 {
    move_key(b"vouch lineage pool stamp").unwrap_or_default()
}

/// The key a line is matched by when text moves: a hash of its bytes with
/// whitespace removed; `None` for lines too plain to tell where they came
/// from (blank, a lone brace: no letter or digit).
pub fn move_key(line: &[u8]) -> Option<u64> {
    if !is_telling(line) {
        return None;
    }
    // The bytes other than whitespace, written in runs: the hasher reads
    // a stream of bytes, so this is the hash of writing them one by one.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for run in line.split(u8::is_ascii_whitespace).filter(|r| !r.is_empty()) {
        hasher.write(run);
    }
    Some(hasher.finish())
}

/// The text each of `lines` brings where AI text is moved or copied: the
/// line itself, but in the hunks of a unified diff (a patch, as `git diff`
/// and `diff -u` write it: after a `+++ ` file header, a `@@ -` hunk header
/// and as many lines as it counts), what the hunk adds where the patch is
/// applied: a `+` line without its `+`, and nothing of the context it
/// quotes (the code it applies to), of the lines it removes, or of its
/// headers. A diff shown in a file of other text (a docstring's example, a
/// plan's diff block) is read so only where its hunks are.
pub fn brought_lines<'l>(lines: &[&'l [u8]]) -> Vec<Option<&'l [u8]>> {
    let mut header = false;
    // Lines the hunk being read has still to give, old and new, as its
    // header counts them.
    let mut left: Option<(u64, u64)> = None;
    let mut out = Vec::with_capacity(lines.len());
    for &line in lines {
        if let Some((old, new)) = &mut left {
            let brought = match line.first() {
                Some(b'+') if *new > 0 => {
                    *new -= 1;
                    Some(Some(&line[1..]))
                }
                Some(b'-') if *old > 0 => {
                    *old -= 1;
                    Some(None)
                }
                Some(b' ') if *old > 0 && *new > 0 => {
                    (*old, *new) = (*old - 1, *new - 1);
                    Some(None)
                }
                // "\ No newline at end of file", after either side's last line.
                Some(b'\\') => Some(None),
                _ => None,
            };
            if let Some(brought) = brought {
                out.push(brought);
                continue;
            }
            left = None;
        }
        if header && let Some(counts) = hunk_counts(line) {
            left = Some(counts);
            out.push(None);
            continue;
        }
        header = line.starts_with(b"+++ ");
        out.push(if header { None } else { Some(line) });
    }
    out
}

/// The old and new line counts of a unified diff's hunk header
/// (`@@ -1,2 +1,3 @@`; a count left out is 1).
fn hunk_counts(line: &[u8]) -> Option<(u64, u64)> {
    let rest = std::str::from_utf8(line.strip_prefix(b"@@ -")?).ok()?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let count = |range: &str| match range.split_once(',') {
        Some((start, n)) => start.parse::<u64>().ok().and(n.parse().ok()),
        None => range.parse::<u64>().ok().map(|_| 1),
    };
    Some((count(old)?, count(new)?))
}

/// The key a line an AI removed from `path` is found again by: its text
/// whitespace aside ([`move_key`]), in that file only (the same line in
/// another file is another line).
fn deleted_key(path: &str, line: &[u8]) -> Option<u64> {
    let text = move_key(line)?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    hasher.write(path.as_bytes());
    hasher.write_u64(text);
    Some(hasher.finish())
}

/// The key a line is matched by when text moves reworded: its shape, the
/// line with each word (letters, digits, `_`, any byte past ASCII) one
/// mark, whitespace dropped and a trailing comment cut (from a `//`, `#`,
/// `--` or `/*` that follows code and a space); `None` for lines too plain
/// to tell (no letter or digit, or fewer than three marks: `}`, `pass`).
/// Renaming, and a comment put at the end of a line, keep the shape.
pub fn shape_key(line: &[u8]) -> Option<u64> {
    if !is_telling(line) {
        return None;
    }
    let code = without_trailing_comment(line);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let (mut marks, mut in_word) = (0, false);
    for &b in code {
        let word = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        if word && in_word {
            continue;
        }
        in_word = word;
        if !b.is_ascii_whitespace() {
            hasher.write_u8(if word { b'w' } else { b });
            marks += 1;
        }
    }
    (marks >= 3).then(|| hasher.finish())
}

/// `line` without a trailing comment: cut at the first `//`, `#`, `--` or
/// `/*` that follows a space after some code (a whole-line comment, a
/// `#[attribute]`, `x--` stay).
fn without_trailing_comment(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(line.len());
    for i in start + 1..line.len() {
        let rest = &line[i..];
        let marker =
            rest.starts_with(b"//") || rest.starts_with(b"#") || rest.starts_with(b"--") || rest.starts_with(b"/*");
        if marker && line[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

/// Whether a line has a letter or a digit (any byte past ASCII counts).
fn is_telling(line: &[u8]) -> bool {
    line.iter().any(|&b| b.is_ascii_alphanumeric() || b >= 0x80)
}

/// How long one diff may search for the best alignment before it settles
/// for a coarser one (still a correct diff).
const DIFF_DEADLINE: Duration = Duration::from_secs(2);

/// The changed regions between `old` and `new`: (old lines, new lines)
/// between two equal runs, with the equal runs as (old start, new start,
/// length).
struct Alignment {
    equal: Vec<(usize, usize, usize)>,
    hunks: Vec<(Range<usize>, Range<usize>)>,
}

/// How many lines of one version may have no equal in the other before
/// their diff first anchors on the lines each side has once (patience),
/// then runs Myers between the anchors. Myers' cost grows with the lines
/// times how many differ: 5,000 lines pasted next to a typed character took
/// 40 ms (and a 50,000-line insertion would reach the deadline), and a
/// 20,000-line file whose every other line was re-indented (one "convert
/// indentation" in an editor) about 1 s at every analysis, where the
/// anchors leave it next to nothing. Below it, Myers alone, as git diffs.
/// Decided by the texts, never by time, so every machine aligns them alike.
const PATIENCE_PAST: usize = 1_000;

/// Whether more than [`PATIENCE_PAST`] lines of one of `old` and `new` have
/// no equal line left in the other (each line matched once).
fn differ_widely(old: &[&[u8]], new: &[&[u8]]) -> bool {
    if old.len().abs_diff(new.len()) > PATIENCE_PAST {
        return true;
    }
    // What lies between the lines both start and end with (most changes
    // are a few lines in the middle); fewer lines than the bound cannot
    // differ in more.
    let head = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let (old, new) = (&old[head..], &new[head..]);
    let tail = old.iter().rev().zip(new.iter().rev()).take_while(|(a, b)| a == b).count();
    let (old, new) = (&old[..old.len() - tail], &new[..new.len() - tail]);
    if old.len().min(new.len()) <= PATIENCE_PAST {
        return false;
    }
    let mut left: HashMap<&[u8], u32> = HashMap::with_capacity(old.len());
    for line in old {
        *left.entry(line).or_default() += 1;
    }
    let mut unmatched = 0;
    for line in new {
        match left.get_mut(line) {
            Some(n) if *n > 0 => *n -= 1,
            _ => {
                unmatched += 1;
                if unmatched > PATIENCE_PAST {
                    return true;
                }
            }
        }
    }
    false
}

fn align(old: &[&[u8]], new: &[&[u8]]) -> Alignment {
    let deadline = Instant::now() + DIFF_DEADLINE;
    let ops = if differ_widely(old, new) {
        anchored(old, new, deadline)
    } else {
        placed(similar::capture_diff_slices_deadline(Algorithm::Myers, old, new, Some(deadline)), 0, 0)
    };
    let mut segments: Vec<Segment> = Vec::new();
    for op in ops {
        if let DiffOp::Equal { old_index, new_index, len } = op {
            segments.push(Segment::Equal(old_index, new_index, len));
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        match segments.last_mut() {
            Some(Segment::Hunk(ho, hn)) => {
                ho.end = o.end;
                hn.end = n.end;
            }
            _ => segments.push(Segment::Hunk(o, n)),
        }
    }
    let segments = slide_down(segments, old, new);
    let mut alignment = Alignment { equal: Vec::new(), hunks: Vec::new() };
    for segment in segments {
        match segment {
            Segment::Equal(o, n, len) if len > 0 => alignment.equal.push((o, n, len)),
            Segment::Equal(..) => {}
            Segment::Hunk(o, n) => alignment.hunks.push((o, n)),
        }
    }
    alignment
}

/// The diff of `old` and `new` anchored first on the lines each has once
/// (in the longest run of them in the same order in both: patience), Myers
/// between the anchors.
fn anchored(old: &[&[u8]], new: &[&[u8]], deadline: Instant) -> Vec<DiffOp> {
    // Per line: how often in each version, and where last.
    let mut seen: HashMap<&[u8], [usize; 4]> = HashMap::with_capacity(old.len());
    for (i, line) in old.iter().enumerate() {
        let e = seen.entry(line).or_insert([0, 0, 0, 0]);
        e[0] += 1;
        e[2] = i;
    }
    for (j, line) in new.iter().enumerate() {
        if let Some(e) = seen.get_mut(line) {
            e[1] += 1;
            e[3] = j;
        }
    }
    let mut pairs: Vec<(usize, usize)> =
        seen.values().filter(|e| e[0] == 1 && e[1] == 1).map(|e| (e[2], e[3])).collect();
    pairs.sort_unstable_by_key(|&(_, j)| j);
    // The longest run of pairs increasing in `old` too (patience sorting).
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; pairs.len()];
    for (k, &(i, _)) in pairs.iter().enumerate() {
        let at = tails.partition_point(|&t| pairs[t].0 < i);
        before[k] = at.checked_sub(1).map(|p| tails[p]);
        if at == tails.len() {
            tails.push(k);
        } else {
            tails[at] = k;
        }
    }
    let mut anchors: Vec<(usize, usize)> = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(k) = at {
        anchors.push(pairs[k]);
        at = before[k];
    }
    anchors.reverse();
    // Myers between them, placed in the whole versions.
    let mut ops: Vec<DiffOp> = Vec::new();
    let (mut o, mut n) = (0, 0);
    for (i, j) in anchors.into_iter().chain(std::iter::once((old.len(), new.len()))) {
        ops.extend(placed(
            similar::capture_diff_slices_deadline(Algorithm::Myers, &old[o..i], &new[n..j], Some(deadline)),
            o,
            n,
        ));
        if i < old.len() {
            ops.push(DiffOp::Equal { old_index: i, new_index: j, len: 1 });
        }
        (o, n) = (i + 1, j + 1);
    }
    ops
}

/// `ops` of versions that start at line `o` and `n` of the whole ones,
/// placed there by their lengths, counted from the start: similar 2.7 can
/// report a wrong `new_index` on a `Delete`, while the lengths and the
/// order are right.
fn placed(mut ops: Vec<DiffOp>, mut o: usize, mut n: usize) -> Vec<DiffOp> {
    for op in &mut ops {
        let (old_len, new_len) = (op.old_range().len(), op.new_range().len());
        *op = match *op {
            DiffOp::Equal { len, .. } => DiffOp::Equal { old_index: o, new_index: n, len },
            DiffOp::Delete { .. } => DiffOp::Delete { old_index: o, old_len, new_index: n },
            DiffOp::Insert { .. } => DiffOp::Insert { old_index: o, new_index: n, new_len },
            DiffOp::Replace { .. } => DiffOp::Replace { old_index: o, old_len, new_index: n, new_len },
        };
        (o, n) = (o + old_len, n + new_len);
    }
    ops
}

#[derive(Debug)]
enum Segment {
    Equal(usize, usize, usize),
    Hunk(Range<usize>, Range<usize>),
}

/// Move each pure insertion or deletion as far down as the text allows, as
/// git does before its indent heuristic: a function added after another
/// then owns its own closing brace and blank line, not its neighbour's.
/// A hunk stops one line short of the next, so hunks never merge.
fn slide_down(mut segments: Vec<Segment>, old: &[&[u8]], new: &[&[u8]]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(segments.len() + 1);
    for i in 0..segments.len() {
        let (o, n) = match std::mem::replace(&mut segments[i], Segment::Equal(0, 0, 0)) {
            Segment::Hunk(o, n) => (o, n),
            equal => {
                push_equal(&mut out, equal);
                continue;
            }
        };
        let after = match segments.get(i + 1) {
            Some(Segment::Equal(_, _, len)) => *len,
            _ => 0,
        };
        let mut m = 0;
        if o.is_empty() {
            while m + 1 < after && new[n.start + m] == new[n.end + m] {
                m += 1;
            }
        } else if n.is_empty() {
            while m + 1 < after && old[o.start + m] == old[o.end + m] {
                m += 1;
            }
        }
        if m > 0 {
            push_equal(&mut out, Segment::Equal(o.start, n.start, m));
            if let Some(Segment::Equal(eo, en, len)) = segments.get_mut(i + 1) {
                *eo += m;
                *en += m;
                *len -= m;
            }
        }
        out.push(Segment::Hunk(o.start + m..o.end + m, n.start + m..n.end + m));
    }
    out
}

/// Append an equal run, joining it to the one before when they touch.
fn push_equal(out: &mut Vec<Segment>, segment: Segment) {
    let Segment::Equal(o, n, len) = segment else { return out.push(segment) };
    if len == 0 {
        return;
    }
    if let Some(Segment::Equal(lo, ln, llen)) = out.last_mut()
        && *lo + *llen == o
        && *ln + *llen == n
    {
        *llen += len;
        return;
    }
    out.push(Segment::Equal(o, n, len));
}

/// One version of a file in one parent: its lines and their tags (one each).
pub struct Version<'a> {
    pub lines: Vec<&'a [u8]>,
    pub tags: &'a [Tag],
}

/// The change of one file in one commit, against each parent's version.
pub struct Change<'a> {
    parents: Vec<Version<'a>>,
    new: Vec<&'a [u8]>,
    alignments: Vec<Alignment>,
    /// Whether the parents' hunks make the lines they replaced AI lines'
    /// rewording (not for a file found again after its removal: a person's
    /// new text beside the lines it kept is theirs).
    rewords: bool,
}

/// Why an own line of a change is AI, where it matters afterwards.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Why {
    Other,
    Moved,
}

impl<'a> Change<'a> {
    /// Diff `new` against each parent's version (a parent that does not
    /// have the file has no version here).
    pub fn new(parents: Vec<Version<'a>>, new: Vec<&'a [u8]>) -> Change<'a> {
        debug_assert!(parents.iter().all(|p| p.lines.len() == p.tags.len()));
        let alignments = parents.iter().map(|p| align(&p.lines, &new)).collect();
        Change { parents, new, alignments, rewords: true }
    }

    /// This change of a file found again after the range removed it (see
    /// `store::lineage`'s graveyard): its lines equal to the removed
    /// version's keep their tags, and its removals carry over, but what it
    /// changed is its own text, not a rewording of the AI lines it
    /// replaced (a person's new file that shares the imports of an AI file
    /// removed before).
    pub fn found_again(mut self) -> Change<'a> {
        self.rewords = false;
        self
    }

    /// Put the AI lines this change removes from any parent in `pool`: call
    /// it for every file of a commit before [`Change::finish`] on any, so
    /// that a move between two files of one commit is seen.
    pub fn forget_removed(&self, table: &Table, pool: &mut Pool) {
        for (parent, alignment) in self.parents.iter().zip(&self.alignments) {
            let removes_ai =
                alignment.hunks.iter().any(|(old, _)| old.clone().any(|i| table.is_ai(parent.tags[i].claim)));
            let brought = if removes_ai { brought_lines(&parent.lines) } else { Vec::new() };
            let keyed = |i: usize| brought.get(i).copied().flatten().map(|line| (line, parent.tags[i]));
            // Removed AI lines at most [`BLOCK_GAP`] lines apart are one
            // block, across hunks (lines removed from between kept ones).
            let mut block: Vec<usize> = Vec::new();
            for (old, _) in &alignment.hunks {
                for i in old.clone().filter(|&i| table.is_ai(parent.tags[i].claim)) {
                    if let Some((line, tag)) = keyed(i) {
                        pool.remember(line, tag);
                    }
                    if block.last().is_some_and(|&last| i - last > BLOCK_GAP + 1) {
                        pool.remember_block(block.drain(..).filter_map(keyed));
                    }
                    block.push(i);
                }
            }
            pool.remember_block(block.into_iter().filter_map(keyed));
        }
    }

    /// The lines of the new version.
    pub fn new_lines(&self) -> &[&'a [u8]] {
        &self.new
    }

    /// The runs of lines equal in parent `parent`'s version and the new
    /// one, as (old start, new start, length).
    pub fn equal_runs(&self, parent: usize) -> &[(usize, usize, usize)] {
        self.alignments.get(parent).map_or(&[], |a| &a.equal)
    }

    /// Which lines of the new version are the change's own: found in no
    /// parent's version (added, or rewritten in place). What the change
    /// adds, as a diff counts it, for the range's statistics.
    pub fn own_lines(&self) -> Vec<bool> {
        let mut own = vec![true; self.new.len()];
        for alignment in &self.alignments {
            for &(_, new, len) in &alignment.equal {
                own[new..new + len].fill(false);
            }
        }
        own
    }

    /// The tags of the new version, `commit` being the change's commit.
    pub fn finish(&self, table: &mut Table, pool: &Pool, commit: u32, evidence: &Evidence) -> Vec<Tag> {
        let n = self.new.len();
        // The tag each parent gives each new line it has (the equal runs of
        // one alignment never overlap): line `j`'s are `matched[j * p..][..p]`.
        let p = self.parents.len();
        let mut matched: Vec<Option<Tag>> = vec![None; n * p];
        // For own lines: the first AI claim among the lines their hunks
        // replaced, and who touched those lines.
        let mut replaced: Vec<(Option<ClaimId>, SetId)> = vec![(None, EMPTY); n];
        for (i, (parent, alignment)) in self.parents.iter().zip(&self.alignments).enumerate() {
            for &(old, new, len) in &alignment.equal {
                for k in 0..len {
                    matched[(new + k) * p + i] = Some(parent.tags[old + k]);
                }
            }
            for (old, new) in alignment.hunks.iter().filter(|_| self.rewords) {
                if new.is_empty() {
                    continue;
                }
                let ai = parent.tags[old.clone()].iter().map(|t| t.claim).find(|&c| table.is_ai(c));
                let touched = parent.tags[old.clone()].iter().fold(EMPTY, |s, t| table.union(s, t.commits));
                for slot in &mut replaced[new.clone()] {
                    slot.0 = slot.0.or(ai);
                    slot.1 = table.union(slot.1, touched);
                }
            }
        }
        let own = table.single(commit);
        let mut tags = Vec::with_capacity(n);
        let mut why = vec![Why::Other; n];
        let mut from_parents: Vec<Tag> = Vec::with_capacity(p);
        let mut own_lines: Vec<bool> = Vec::with_capacity(n);
        for j in 0..n {
            from_parents.clear();
            from_parents.extend(matched[j * p..(j + 1) * p].iter().flatten());
            own_lines.push(from_parents.is_empty());
            if !from_parents.is_empty() {
                let mut tag = table.combine(&from_parents);
                // A note of this commit that calls a line of the range AI
                // outranks an earlier claim that it is not (text committed
                // before the note that records it): never a line from
                // outside the range.
                if let Some(c) = evidence.line(j).filter(|&c| table.is_ai(c))
                    && tag.claim != OUTSIDE.claim
                    && !table.is_ai(tag.claim)
                {
                    tag = Tag { claim: c, commits: table.union(tag.commits, own) };
                }
                tags.push(tag);
                continue;
            }
            let (replaced_ai, replaced_by) = replaced[j];
            let noted = evidence.line(j);
            let mut commits = table.union(own, replaced_by);
            let claim = if let Some(c) = noted.filter(|&c| table.is_ai(c)) {
                c
            } else if let Some(c) = evidence.whole {
                c
            } else if let Some(c) = replaced_ai {
                c
            } else if let Some(moved) = pool.recall(self.new[j]) {
                why[j] = Why::Moved;
                commits = table.union(commits, moved.commits);
                moved.claim
            } else {
                noted.or(evidence.rest).unwrap_or(UNKNOWN)
            };
            tags.push(Tag { claim, commits });
        }
        fill_around_moves(table, &self.new, &mut tags, &why, &own_lines);
        tags
    }

    /// The deletions of the new version: each parent's (`kept`, one list
    /// per parent), carried to where their place is now, and the lines
    /// this change, commit `commit`, removes (in a merge: lines no parent's
    /// version has there): an AI's where its `evidence` says an AI removed
    /// them, else, for lines removed with nothing put in their place, the
    /// commit's own, which only say who touched the place. `tags` are the
    /// new version's, from [`Change::finish`]: lines they call AI put in a
    /// removal's place say an AI removed what stood there (the AI's own
    /// lines rewritten excepted), and how many of them there are goes with
    /// the removal (`Deletion::replaced`).
    #[allow(clippy::too_many_arguments)]
    pub fn deletions(
        &self,
        table: &mut Table,
        pool: &mut Pool,
        path: &str,
        kept: &[&[Deletion]],
        tags: &[Tag],
        commit: u32,
        evidence: &Evidence,
    ) -> Vec<Deletion> {
        let mut out: Vec<Deletion> = Vec::new();
        for (alignment, deletions) in self.alignments.iter().zip(kept) {
            for d in deletions.iter() {
                let (at, replaced) = self.carry_place(alignment, d);
                if self.puts_back(alignment, at, d) {
                    continue;
                }
                add_deletion(table, &mut out, Deletion { at: at as u32, replaced, ..d.clone() });
            }
        }
        let claim_all = evidence.whole.or(evidence.removes).filter(|&c| table.is_ai(c));
        let noted: Vec<(usize, ClaimId)> = evidence.deleted.iter().copied().filter(|&(_, c)| table.is_ai(c)).collect();
        self.own_deletions(table, pool, path, tags, commit, claim_all, &noted, &mut out);
        out.sort_by_key(|d| d.at);
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn own_deletions(
        &self,
        table: &mut Table,
        pool: &mut Pool,
        path: &str,
        tags: &[Tag],
        commit: u32,
        claim_all: Option<ClaimId>,
        noted: &[(usize, ClaimId)],
        out: &mut Vec<Deletion>,
    ) {
        let (Some(first), Some(alignment)) = (self.parents.first(), self.alignments.first()) else { return };
        let others: Vec<Vec<Removal>> =
            self.parents.iter().zip(&self.alignments).skip(1).map(|(p, a)| removals_in(a, &p.lines)).collect();
        for removal in removals_in(alignment, &first.lines) {
            let meets = |r: &Removal| r.new.start <= removal.new.end && removal.new.start <= r.new.end;
            if !others.iter().all(|rs| rs.iter().any(meets)) {
                continue;
            }
            // Lines an AI put in place of lines not the AI's, all of them
            // AI, say who removed those, and the removal stands: the unit
            // around is not judged by them (blank lines are in no unit, and
            // a helper put where a check was is a unit of its own). An AI
            // that rewrote its own lines removed nothing of anyone's; where
            // a person's lines stand among those put in place, the change
            // is theirs too, and their lines are judged with the AI's.
            let put = tags.get(removal.new.clone()).unwrap_or_default();
            let ai_put = put.iter().filter(|t| table.is_ai(t.claim)).count();
            let put_by_ai = (ai_put > 0 && ai_put == put.len()).then(|| put[0].claim);
            let own_rewrite = removal.old.clone().all(|i| table.is_ai(first.tags[i].claim));
            let noted_here = noted.iter().find(|(g, _)| removal.gaps.contains(g));
            // A removal the agent's record names stands whatever was put in
            // its place (a person's line typed among the agent's is no cover).
            if noted_here.is_none() && ai_put > 0 && (put_by_ai.is_none() || own_rewrite) {
                continue;
            }
            let (at, claim) = match noted_here {
                Some(&(g, c)) => (g, c),
                None => match claim_all.or(put_by_ai) {
                    Some(c) => (removal.new.start, c),
                    // Nothing says an AI removed them: kept for who touched
                    // the place (lines put in their place are the commit's
                    // own, and their tags say so already).
                    None if removal.new.is_empty() => (removal.new.start, UNKNOWN),
                    None => continue,
                },
            };
            let removed = &first.lines[removal.old.clone()];
            let tag = Tag { claim, commits: table.single(commit) };
            if table.is_ai(claim) {
                // Lines from before the range only: a line the range added
                // and an AI removed is gone from BASE's view anyway.
                for i in removal.old.clone().filter(|&i| first.tags[i].claim == OUTSIDE.claim) {
                    pool.remember_deleted(path, first.lines[i], tag);
                }
            }
            // Lines put in the place, all the AI's: the unit they are part of
            // may be what changed (the first line of a function rewritten).
            let replaced = if put_by_ai.is_some() && at == removal.new.start { removal.new.len() as u32 } else { 0 };
            let deletion = Deletion {
                at: at as u32,
                lines: removed.len() as u32,
                first: shown(removed),
                tag,
                text: text_key(removed),
                replaced,
            };
            add_deletion(table, out, deletion);
        }
    }

    /// Whether this change puts back, at gap `at` of the new version, the
    /// lines deletion `d` removed: what it inserts there (lines none of the
    /// parent's) is those very lines, nothing more (the same lines inside
    /// a new block, a string or a function never called do not restore
    /// anything). A reverted removal, or the lines put back by hand: the
    /// removal is undone.
    fn puts_back(&self, alignment: &Alignment, at: usize, d: &Deletion) -> bool {
        let k = d.lines as usize;
        if d.text == 0 || k == 0 {
            return false;
        }
        // The equal runs are in the order of the new version.
        let kept = |j: usize| {
            let i = alignment.equal.partition_point(|&(_, n, _)| n <= j);
            i > 0 && j < alignment.equal[i - 1].1 + alignment.equal[i - 1].2
        };
        let start = (0..at).rev().find(|&j| kept(j)).map_or(0, |j| j + 1);
        let end = (at..self.new.len()).find(|&j| kept(j)).unwrap_or(self.new.len());
        end - start == k && text_key(&self.new[start..end]) == d.text
    }

    /// Where gap `g` of a parent's version (aligned to the new version by
    /// `alignment`) is in the new version: just after the line before it,
    /// or, where that line was rewritten or removed, after what stands in
    /// its place.
    /// Where deletion `d`'s place is in the new version, and how many of
    /// the lines put in it are still there: while the first of those lines
    /// stands unchanged, the place goes with it (a line a person adds right
    /// above is not among them), counting the lines put there that stand
    /// unchanged after it. Where this change rewrites lines from the first
    /// on, the lines it puts there stand in their place (a signature the AI
    /// wrote, edited again). Once the first is removed, none counts, and
    /// the removal is judged by its place alone (the lines a count would
    /// cover now are other text: an approved unit below, say).
    fn carry_place(&self, alignment: &Alignment, d: &Deletion) -> (usize, u32) {
        let first = d.at as usize;
        if d.replaced > 0 {
            if let Some(&(o, n, len)) = alignment.equal.iter().find(|&&(o, _, len)| o <= first && first < o + len) {
                let standing = (o + len - first).min(d.replaced as usize);
                return (n + (first - o), standing as u32);
            }
            if let Some((_, new)) = alignment.hunks.iter().find(|(old, new)| old.start == first && !new.is_empty()) {
                let standing = new.len().min(d.replaced as usize);
                return (new.start, standing as u32);
            }
        }
        (self.carry_gap(alignment, first), 0)
    }

    fn carry_gap(&self, alignment: &Alignment, g: usize) -> usize {
        let Some(line) = g.checked_sub(1) else { return 0 };
        if let Some(&(o, n, _)) = alignment.equal.iter().find(|&&(o, _, len)| o <= line && line < o + len) {
            return n + (line - o) + 1;
        }
        if let Some((_, new)) = alignment.hunks.iter().find(|(old, _)| old.start <= line && line < old.end) {
            return new.end;
        }
        self.new.len()
    }
}

/// Plain lines (blank, a lone brace) of a moved block are AI with it: in
/// each run of `eligible` lines, a plain line not AI that follows a moved
/// line through plain lines takes that line's tag (a closing brace), and so
/// does a blank one before it; a brace before it closes what comes before
/// (a person's function the block was put after), and stays as it is.
fn fill_around_moves(table: &mut Table, lines: &[&[u8]], tags: &mut [Tag], why: &[Why], eligible: &[bool]) {
    let n = lines.len();
    // Forward, then backward: a plain line takes the tag of the nearest
    // moved line before it, then a blank one of the nearest after it.
    let plain = |j: usize| !is_telling(lines[j]);
    let blank = |j: usize| lines[j].iter().all(u8::is_ascii_whitespace);
    fill_pass(table, tags, why, eligible, 0..n, plain);
    fill_pass(table, tags, why, eligible, (0..n).rev(), blank);
}

/// One pass of [`fill_around_moves`], over the lines in `order`, filling
/// the lines `fills` takes.
fn fill_pass(
    table: &mut Table,
    tags: &mut [Tag],
    why: &[Why],
    eligible: &[bool],
    order: impl Iterator<Item = usize>,
    fills: impl Fn(usize) -> bool,
) {
    let mut carry: Option<Tag> = None;
    for j in order {
        if !eligible[j] {
            carry = None;
        } else if why[j] == Why::Moved {
            carry = Some(tags[j]);
        } else if fills(j) {
            if let Some(tag) = carry
                && !table.is_ai(tags[j].claim)
            {
                let commits = table.union(tags[j].commits, tag.commits);
                tags[j] = Tag { claim: tag.claim, commits };
            }
        } else {
            carry = None;
        }
    }
}

/// How far apart two lines of removed AI text may be (counting the lines
/// between them) to be taken for one block copied before its original was
/// removed.
const BLOCK_GAP: usize = 3;

/// The last word on the lines of a file version at the end of the range:
/// lines equal to BASE's version of the file (aligned by a diff) are
/// outside the range, whatever happened in between (an AI change reverted);
/// lines of the range that are not AI but whose text is AI text removed in
/// the range are AI when they form a block (two such lines at most
/// [`BLOCK_GAP`] lines apart): text copied before its original was removed,
/// or moved across branches, in an order the walk could not see. A lone
/// line is not enough here, where no order says it moved: short lines
/// (`x += 1`) recur in any code base. Then the lines that bring back a
/// removed block reworded ([`reworded_blocks`]).
pub fn settle(table: &mut Table, pool: &Pool, lines: &[&[u8]], tags: &mut [Tag], base: Option<&[&[u8]]>) {
    let equal = base.map(|base| align(base, lines).equal).unwrap_or_default();
    settle_aligned(table, pool, lines, tags, &equal);
}

/// [`settle`], given the runs of lines equal in BASE's version and `lines`
/// (as (BASE start, start, length), the equal runs of the alignment
/// [`settle`] makes: a caller that just aligned the same two versions
/// passes its own).
pub fn settle_aligned(
    table: &mut Table,
    pool: &Pool,
    lines: &[&[u8]],
    tags: &mut [Tag],
    base_equal: &[(usize, usize, usize)],
) {
    for &(_, new, len) in base_equal {
        tags[new..new + len].fill(OUTSIDE);
    }
    let eligible: Vec<bool> = tags.iter().map(|t| t.claim != OUTSIDE.claim && !table.is_ai(t.claim)).collect();
    let mut why = vec![Why::Other; lines.len()];
    for j in moved_blocks(lines, &eligible, |key| pool.removed.contains_key(&key)) {
        let Some(moved) = pool.recall(lines[j]) else { continue };
        let commits = table.union(tags[j].commits, moved.commits);
        tags[j] = Tag { claim: moved.claim, commits };
        why[j] = Why::Moved;
    }
    let unmatched: Vec<bool> = eligible.iter().zip(&why).map(|(&e, &w)| e && w == Why::Other).collect();
    for (j, moved) in reworded_blocks(pool, lines, &unmatched) {
        let commits = table.union(tags[j].commits, moved.commits);
        tags[j] = Tag { claim: moved.claim, commits };
        why[j] = Why::Moved;
    }
    let unmatched: Vec<bool> = eligible.iter().zip(&why).map(|(&e, &w)| e && w == Why::Other).collect();
    for (j, copied) in copied_lines(pool, lines, &unmatched) {
        let commits = table.union(tags[j].commits, copied.commits);
        tags[j] = Tag { claim: copied.claim, commits };
        why[j] = Why::Moved;
    }
    fill_around_moves(table, lines, tags, &why, &eligible);
}

/// The lines of `lines` among `eligible` ones that copy AI text still
/// standing elsewhere ([`Pool::remember_standing`]): every line of a run of
/// [`MIN_COPIED`] eligible lines with a [`copy_key`], in a row, found
/// there; each with the tag of the AI text it copies.
fn copied_lines(pool: &Pool, lines: &[&[u8]], eligible: &[bool]) -> Vec<(usize, Tag)> {
    if pool.copies.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(usize, Tag)> = Vec::new();
    let mut run: Vec<(usize, u64)> = Vec::new();
    for (j, line) in lines.iter().enumerate() {
        if !eligible[j] {
            run.clear();
            continue;
        }
        let Some(key) = copy_key(line) else { continue };
        run.push((j, key));
        if run.len() < MIN_COPIED {
            continue;
        }
        let last = &run[run.len() - MIN_COPIED..];
        let keys: Vec<u64> = last.iter().map(|(_, k)| *k).collect();
        if let Some(&tag) = pool.copies.get(&run_key(&keys)) {
            let from = out.last().map_or(0, |&(k, _)| k + 1).max(last[0].0);
            out.extend((from..=j).filter(|&k| eligible[k]).map(|k| (k, tag)));
        }
    }
    out
}

/// How many lines of a removed AI block must come back by shape, in order,
/// to be taken for it reworded.
const MIN_REWORDED: usize = 3;

/// How much of the words of the AI lines a chain stands for it must keep,
/// in percent: a move reworded keeps most (a name changed here and there,
/// a comment added: 80% and up); code of the same shape written anew keeps
/// its keywords and little else (a person's test of another endpoint
/// shaped like the AI's: about half; the generated history's lines of one
/// vocabulary: up to 77%).
const REWORDED_WORDS: usize = 80;

/// A shape found at more places of the removed blocks than this is too
/// common to tell where a line came from (and would make the search below
/// quadratic in the pool).
const MAX_SHAPE_PLACES: usize = 256;

/// How many chains one block may give in one file (a block moved in
/// pieces, in another order).
const MAX_CHAINS: usize = 8;

/// The `eligible` lines that bring back removed AI text of `pool`
/// reworded, each with the tag of the AI line it stands for: chains of
/// lines shaped as a block's lines ([`shape_key`]), in the same order, each
/// at most [`BLOCK_GAP`] lines further than the block's own spacing from
/// the one before, with only eligible lines between, of [`MIN_REWORDED`]
/// lines or more that keep [`REWORDED_WORDS`] percent of the words of the
/// lines they stand for. The longest chain of a block first, then the
/// longest of what is left (a block moved in pieces, or in another order).
/// Shapes alone recur in any code base (`x = f(y)`); shapes and most words
/// in order are the AI's text.
fn reworded_blocks(pool: &Pool, lines: &[&[u8]], eligible: &[bool]) -> Vec<(usize, Tag)> {
    if pool.blocks.is_empty() {
        return Vec::new();
    }
    let shapes = pool.shapes();
    // For each block, the (line, position in the block) pairs whose shapes
    // agree, in line order.
    let mut hits: HashMap<u32, Vec<(usize, u32)>> = HashMap::new();
    for (j, line) in lines.iter().enumerate() {
        if !eligible[j] {
            continue;
        }
        let Some(places) = shape_key(line).and_then(|k| shapes.get(&k)) else { continue };
        if places.len() > MAX_SHAPE_PLACES {
            continue;
        }
        for &(b, pos) in places {
            hits.entry(b).or_default().push((j, pos));
        }
    }
    let mut blocks: Vec<(u32, Vec<(usize, u32)>)> = hits.into_iter().filter(|(_, h)| h.len() >= MIN_REWORDED).collect();
    blocks.sort_unstable_by_key(|(b, _)| *b);
    let mut taken = vec![false; lines.len()];
    let mut line_words: Vec<Option<Vec<u32>>> = vec![None; lines.len()];
    let mut out = Vec::new();
    for (b, mut hits) in blocks {
        let block = &pool.blocks[b as usize];
        for _ in 0..MAX_CHAINS {
            hits.retain(|&(j, _)| !taken[j]);
            let chain = longest_chain(&hits, eligible);
            if chain.len() < MIN_REWORDED {
                break;
            }
            hits.retain(|h| !chain.contains(h));
            let (mut kept, mut all) = (0, 0);
            for &(j, pos) in &chain {
                let theirs = &block[pos as usize].words;
                let ours = line_words[j].get_or_insert_with(|| words(lines[j]));
                kept += theirs.iter().filter(|w| ours.binary_search(w).is_ok()).count();
                all += theirs.len();
            }
            if kept * 100 < all * REWORDED_WORDS {
                continue;
            }
            for (j, pos) in chain {
                taken[j] = true;
                out.push((j, block[pos as usize].tag));
            }
        }
    }
    out.sort_unstable_by_key(|&(j, _)| j);
    out
}

/// The longest chain of `hits` (line, position; sorted by line) rising in
/// both, each link at most [`BLOCK_GAP`] lines further apart than the
/// positions it joins, with only `eligible` lines between.
fn longest_chain(hits: &[(usize, u32)], eligible: &[bool]) -> Vec<(usize, u32)> {
    // Longer lists come from blocks too long to bring back in a few lines:
    // the first are enough to tell.
    let hits = &hits[..hits.len().min(4 * MAX_SHAPE_PLACES)];
    let links = |a: (usize, u32), b: (usize, u32)| {
        a.0 < b.0
            && a.1 < b.1
            && b.0 - a.0 <= (b.1 - a.1) as usize + BLOCK_GAP
            && eligible[a.0..=b.0].iter().all(|&e| e)
    };
    let mut best: Vec<(usize, Option<usize>)> = Vec::with_capacity(hits.len());
    for i in 0..hits.len() {
        let from = (0..i).filter(|&k| links(hits[k], hits[i])).max_by_key(|&k| best[k].0);
        best.push((from.map_or(1, |k| best[k].0 + 1), from));
    }
    let Some(mut at) = (0..best.len()).max_by_key(|&i| (best[i].0, std::cmp::Reverse(i))) else { return Vec::new() };
    let mut chain = vec![hits[at]];
    while let Some(k) = best[at].1 {
        chain.push(hits[k]);
        at = k;
    }
    chain.reverse();
    chain
}

/// The `eligible` lines whose text `known` holds (by [`move_key`]:
/// whitespace aside), in blocks: each with another such line at most
/// [`BLOCK_GAP`] lines away and only eligible lines between. A lone line
/// is not enough where no order says it moved: short lines (`x += 1`,
/// `return True`) recur in any code base.
pub fn moved_blocks(lines: &[&[u8]], eligible: &[bool], known: impl Fn(u64) -> bool) -> Vec<usize> {
    let found: Vec<usize> =
        (0..lines.len()).filter(|&j| eligible[j] && move_key(lines[j]).is_some_and(&known)).collect();
    let near = |j: usize, k: usize| {
        let (a, b) = (j.min(k), j.max(k));
        b - a <= BLOCK_GAP + 1 && eligible[a..=b].iter().all(|&e| e)
    };
    found
        .iter()
        .enumerate()
        .filter(|&(i, &j)| (i > 0 && near(found[i - 1], j)) || found.get(i + 1).is_some_and(|&k| near(j, k)))
        .map(|(_, &j)| j)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{AiSource, Evidence as Ev};

    proptest::proptest! {
        #[test]
        fn lines_split_as_split_inclusive_splits_them(bytes in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'\n', b'\r', b' ', 0xff]), 0..40)
        ) {
            let want: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
            proptest::prop_assert_eq!(split_lines(&bytes), want.clone());
            proptest::prop_assert_eq!(count_lines(&bytes), want.len());
            proptest::prop_assert_eq!(lines_at(&bytes, &line_ends(&bytes)), want);
        }
    }

    fn ai(table: &mut Table, tool: &str) -> ClaimId {
        let source = AiSource { tool: tool.into(), model: None, session: None, kind: None };
        table.claim(Claim::Ai(Attribution::ai(source, Ev::History, None)))
    }

    /// Apply `new` to a one-parent file `(old, tags)` as commit `commit`.
    fn step(
        table: &mut Table,
        pool: &mut Pool,
        old: Option<(&str, &[Tag])>,
        new: &str,
        commit: u32,
        evidence: &Evidence,
    ) -> Vec<Tag> {
        let parents: Vec<Version<'_>> =
            old.iter().map(|(text, tags)| Version { lines: split_lines(text.as_bytes()), tags }).collect();
        let change = Change::new(parents, split_lines(new.as_bytes()));
        change.forget_removed(table, pool);
        change.finish(table, pool, commit, evidence)
    }

    fn labels(table: &Table, tags: &[Tag]) -> String {
        tags.iter()
            .map(|t| match table.get(t.claim) {
                Claim::Outside => 'o',
                Claim::Unknown => '?',
                Claim::NotAi(_) => 'h',
                Claim::Ai(_) => 'A',
            })
            .collect()
    }

    const BASE: &str = "fn base() {\n    1\n}\n";

    fn with_ai_fn(table: &mut Table, pool: &mut Pool) -> (String, Vec<Tag>) {
        let text = format!("{BASE}\nfn add(a: u32) -> u32 {{\n    a + 1\n}}\n");
        let outside = vec![OUTSIDE; 3];
        let whole = Evidence { whole: Some(ai(table, "claude")), ..Evidence::default() };
        let tags = step(table, pool, Some((BASE, &outside)), &text, 0, &whole);
        assert_eq!(labels(table, &tags), "oooAAAA");
        (text, tags)
    }

    #[test]
    fn move_keys_are_the_hash_of_the_bytes_other_than_whitespace() {
        // Kept pools (the lineage cache) hold these keys: the hash of every
        // byte but whitespace, written one by one, whatever the code that
        // writes them.
        let one_by_one = |line: &[u8]| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for &b in line.iter().filter(|b| !b.is_ascii_whitespace()) {
                b.hash(&mut hasher);
            }
            hasher.finish()
        };
        for line in
            ["    let x = a + b;\n", "x", "\tfoo(bar,  baz)\r\n", "é ü\u{202e}1", " a b c d e f g h i j k l m n o p "]
        {
            assert_eq!(move_key(line.as_bytes()), Some(one_by_one(line.as_bytes())), "{line:?}");
        }
        assert_eq!(move_key(b"  }\n"), None);
    }

    #[test]
    fn lines_a_commit_adds_take_its_evidence() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let outside = vec![OUTSIDE; 3];
        let new = format!("{BASE}x\ny\n");
        let none = step(&mut table, &mut pool, Some((BASE, &outside)), &new, 0, &Evidence::default());
        assert_eq!(labels(&table, &none), "ooo??");
        let not_ai = table.claim(Claim::NotAi(Attester::VouchNote));
        let noted = Evidence { rest: Some(not_ai), ..Evidence::default() };
        let got = step(&mut table, &mut pool, Some((BASE, &outside)), &new, 0, &noted);
        assert_eq!(labels(&table, &got), "ooohh");
        let claude = ai(&mut table, "claude");
        let one_line =
            Evidence { lines: vec![None, None, None, None, Some(claude)], rest: Some(not_ai), ..Evidence::default() };
        let got = step(&mut table, &mut pool, Some((BASE, &outside)), &new, 0, &one_line);
        assert_eq!(labels(&table, &got), "ooohA");
        assert_eq!(table.commits(none[3].commits), [0]);
        assert_eq!(table.commits(none[0].commits), [] as [u32; 0]);
    }

    #[test]
    fn a_later_note_claiming_ai_outranks_an_earlier_silence_but_not_base() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let outside = vec![OUTSIDE; 3];
        let new = format!("{BASE}x\n");
        let earlier = step(&mut table, &mut pool, Some((BASE, &outside)), &new, 0, &Evidence::default());
        assert_eq!(labels(&table, &earlier), "ooo?");
        let claude = ai(&mut table, "claude");
        let noted = Evidence { lines: vec![Some(claude); 4], ..Evidence::default() };
        let later = step(&mut table, &mut pool, Some((&new, &earlier)), &new, 1, &noted);
        assert_eq!(labels(&table, &later), "oooA");
        assert_eq!(table.commits(later[3].commits), [0, 1]);
    }

    #[test]
    fn a_human_claim_never_outranks_a_trailer() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let human = table.claim(Claim::NotAi(Attester::GitAi));
        let claude = ai(&mut table, "claude");
        let evidence = Evidence { whole: Some(claude), lines: vec![Some(human); 5], ..Evidence::default() };
        let tags = step(&mut table, &mut pool, None, "a\nb\n", 0, &evidence);
        assert_eq!(labels(&table, &tags), "AA");
    }

    #[test]
    fn whitespace_reindentation_and_rewording_keep_ai_lines_ai() {
        for rewrite in [
            "fn add(a: u32) -> u32 { \n    a + 1 \n} \n",
            "    fn add(a: u32) -> u32 {\n        a + 1\n    }\n",
            "fn add(x: u32) -> u32 {\n    x + 1\n} // done\n",
        ] {
            let (mut table, mut pool) = (Table::new(), Pool::default());
            let (text, tags) = with_ai_fn(&mut table, &mut pool);
            let new = format!("{BASE}\n{rewrite}");
            let after = step(&mut table, &mut pool, Some((&text, &tags)), &new, 1, &Evidence::default());
            assert_eq!(labels(&table, &after), "oooAAAA", "{rewrite}");
            assert_eq!(table.commits(after[4].commits), [0, 1], "both commits touched it");
        }
    }

    #[test]
    fn moved_ai_text_is_ai_in_its_new_file_braces_and_all() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let (text, tags) = with_ai_fn(&mut table, &mut pool);
        // One commit removes it from the first file and adds it to another.
        let parents = vec![Version { lines: split_lines(text.as_bytes()), tags: &tags }];
        let removal = Change::new(parents, split_lines(BASE.as_bytes()));
        let moved = "// math\n\nfn add(a: u32) -> u32 {\n\ta + 1\n}\n\nfn human() {\n}\n";
        let addition = Change::new(Vec::new(), split_lines(moved.as_bytes()));
        removal.forget_removed(&table, &mut pool);
        addition.forget_removed(&table, &mut pool);
        let got = removal.finish(&mut table, &pool, 1, &Evidence::default());
        assert_eq!(labels(&table, &got), "ooo");
        let added = addition.finish(&mut table, &pool, 1, &Evidence::default());
        assert_eq!(labels(&table, &added), "?AAAAA??");
        assert_eq!(table.commits(added[2].commits), [0, 1]);
    }

    #[test]
    fn plain_lines_alone_are_not_taken_for_moved_text() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let (text, tags) = with_ai_fn(&mut table, &mut pool);
        let removed = step(&mut table, &mut pool, Some((&text, &tags)), BASE, 1, &Evidence::default());
        assert_eq!(labels(&table, &removed), "ooo");
        let added = step(&mut table, &mut pool, None, "fn other() {\n}\n\n", 2, &Evidence::default());
        assert_eq!(labels(&table, &added), "???");
    }

    #[test]
    fn a_merge_takes_each_line_from_its_parent_and_owns_the_rest() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let (ours, our_tags) = with_ai_fn(&mut table, &mut pool);
        let theirs = format!("// header\n{BASE}");
        let their_tags = vec![OUTSIDE; 4];
        // The merge takes both sides and rewrites the AI body on its own.
        let merged = format!("// header\n{BASE}\nfn add(a: u32) -> u32 {{\n    a + 1 \n}}\nextra\n");
        let parents = vec![
            Version { lines: split_lines(ours.as_bytes()), tags: &our_tags },
            Version { lines: split_lines(theirs.as_bytes()), tags: &their_tags },
        ];
        let change = Change::new(parents, split_lines(merged.as_bytes()));
        change.forget_removed(&table, &mut pool);
        let tags = change.finish(&mut table, &pool, 5, &Evidence::default());
        // The AI lines the merge rewrote stay AI; its own new line is its own.
        assert_eq!(labels(&table, &tags), "ooooAAAA?");
        assert_eq!(table.commits(tags[6].commits), [0, 5]);
        assert_eq!(table.commits(tags[8].commits), [5]);
    }

    #[test]
    fn a_version_that_is_not_text_is_one_opaque_line() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let claude = ai(&mut table, "claude");
        let first = opaque_line("blob", "aa");
        let ai_bump = Evidence { whole: Some(claude), ..Evidence::default() };
        let change = Change::new(Vec::new(), vec![&first[..]]);
        let tags = change.finish(&mut table, &pool, 0, &ai_bump);
        assert_eq!(labels(&table, &tags), "A");
        // A later change by a person keeps it AI; text in its place too.
        let second = opaque_line("blob", "bb");
        let parents = vec![Version { lines: vec![&first[..]], tags: &tags }];
        let change = Change::new(parents, vec![&second[..]]);
        change.forget_removed(&table, &mut pool);
        let tags = change.finish(&mut table, &pool, 1, &Evidence::default());
        assert_eq!(labels(&table, &tags), "A");
        let parents = vec![Version { lines: vec![&second[..]], tags: &tags }];
        let change = Change::new(parents, split_lines(b"text\n"));
        let got = change.finish(&mut table, &pool, 2, &Evidence::default());
        assert_eq!(labels(&table, &got), "A");
    }

    #[test]
    fn lines_left_out_between_ai_lines_are_the_ais_removal() {
        let claude = Attribution::ai(
            AiSource { tool: "claude".into(), model: None, session: None, kind: None },
            Ev::History,
            None,
        );
        let old = b"def f(u):\n    if not u.admin:\n        raise PermissionError()\n    return u.data\n";
        let new = b"def f(u):\n    return u.data\n";
        let all = vec![Some(claude.clone()); 2];
        let found = left_out(old, new, &all);
        assert_eq!(found, vec![(1, 2, "if not u.admin:".to_string(), claude.clone())]);
        // A person's line on either side: not the AI's to answer for.
        assert_eq!(left_out(old, new, &[None, Some(claude.clone())]), vec![]);
        assert_eq!(left_out(old, new, &[Some(claude.clone()), None]), vec![]);
        // At the end, the line before is the only side.
        let head = b"def f(u):\n    if not u.admin:\n        raise PermissionError()\n";
        assert_eq!(left_out(old, head, &vec![Some(claude.clone()); 3]).len(), 1);
        // Lines replaced are the new version's own, judged as such.
        let replaced = b"def f(u):\n    check(u)\n    return u.data\n";
        assert_eq!(left_out(old, replaced, &vec![Some(claude.clone()); 3]), vec![]);
    }

    #[test]
    fn settling_gives_base_its_lines_back_and_finds_late_moves() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let (text, mut tags) = with_ai_fn(&mut table, &mut pool);
        let lines = split_lines(text.as_bytes());
        // Reverted to BASE: nothing of the range is left.
        let mut reverted = tags.clone();
        let base_lines = split_lines(text.as_bytes());
        settle(&mut table, &pool, &lines, &mut reverted, Some(&base_lines));
        assert_eq!(labels(&table, &reverted), "ooooooo");
        // A copy made before the original was removed (another branch).
        let copy = "fn add(a: u32) -> u32 {\n    a + 1\n}\n";
        let mut copy_tags = step(&mut table, &mut pool, None, copy, 1, &Evidence::default());
        assert_eq!(labels(&table, &copy_tags), "???");
        step(&mut table, &mut pool, Some((&text, &tags)), BASE, 2, &Evidence::default());
        settle(&mut table, &pool, &split_lines(copy.as_bytes()), &mut copy_tags, None);
        assert_eq!(labels(&table, &copy_tags), "AAA");
        settle(&mut table, &pool, &lines, &mut tags, None);
        assert_eq!(labels(&table, &tags), "oooAAAA");
    }

    #[test]
    fn an_added_function_owns_its_closing_brace() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let old = "fn a() {\n}\n\nfn b() {\n}\n";
        let outside = vec![OUTSIDE; 5];
        let claude = Evidence { whole: Some(ai(&mut table, "claude")), ..Evidence::default() };
        // Inserted between a and b, and at the end: either way the new
        // function's brace and blank line are its own.
        let between = "fn a() {\n}\n\nfn new() {\n}\n\nfn b() {\n}\n";
        let tags = step(&mut table, &mut pool, Some((old, &outside)), between, 0, &claude);
        assert_eq!(labels(&table, &tags), "oooAAAoo");
        let deleted = step(&mut table, &mut pool, Some((between, &tags)), old, 1, &Evidence::default());
        assert_eq!(labels(&table, &deleted), "ooooo");
        let alignment = align(&split_lines(between.as_bytes()), &split_lines(old.as_bytes()));
        assert_eq!(alignment.hunks, [(3..6, 3..3)]);
    }

    /// Thousands of lines pasted beside a changed line: the alignment
    /// anchors on the lines each side has once, and finds what Myers does
    /// (the pasted block, and the changed line on its own).
    #[test]
    fn a_large_insertion_beside_a_change_is_aligned_by_its_anchors() {
        let function = |i: usize| format!("fn f{i}() -> u32 {{\n    let y = {i};\n    y ^ 1\n}}\n\n");
        let old: String = (0..300).map(function).collect();
        let pasted: String = (1_000..1_400).map(function).collect();
        let mut new = old.clone();
        new.insert_str(old.find("fn f100()").unwrap(), &pasted);
        // A character typed into f200's second line, after the paste.
        let at = new.find("let y = 200;").unwrap();
        new.insert(at, 'x');
        let (old_lines, new_lines) = (split_lines(old.as_bytes()), split_lines(new.as_bytes()));
        assert!(new_lines.len() - old_lines.len() > PATIENCE_PAST, "the case the anchors are for");
        let alignment = align(&old_lines, &new_lines);
        let changed = 200 * 5 + 1;
        assert_eq!(alignment.hunks, [(500..500, 500..2_500), (changed..changed + 1, changed + 2_000..changed + 2_001)]);
        let myers = similar::capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines);
        let equal: usize =
            myers.iter().filter(|op| matches!(op, DiffOp::Equal { .. })).map(|op| op.old_range().len()).sum();
        assert_eq!(alignment.equal.iter().map(|&(_, _, len)| len).sum::<usize>(), equal);
    }

    /// A file whose every other line was re-indented (an editor's
    /// "convert indentation"): more than [`PATIENCE_PAST`] lines differ, and
    /// the alignment anchors on the lines each side has once instead of
    /// running Myers over all of it (about 1 s at 20,000 lines, at every
    /// analysis of the buffer).
    #[test]
    fn a_reindented_file_is_aligned_by_its_anchors() {
        let function = |i: usize| format!("fn f{i}(x: u32) -> u32 {{\n    let y = x * {i};\n    y + 1\n}}\n");
        let old: String = (0..1_200).map(function).collect();
        let new = old.replace("    ", "\t");
        let (old_lines, new_lines) = (split_lines(old.as_bytes()), split_lines(new.as_bytes()));
        assert!(differ_widely(&old_lines, &new_lines), "the case the anchors are for");
        let alignment = align(&old_lines, &new_lines);
        let expected: Vec<(Range<usize>, Range<usize>)> =
            (0..1_200).map(|k| (4 * k + 1..4 * k + 3, 4 * k + 1..4 * k + 3)).collect();
        assert_eq!(alignment.hunks, expected);
        assert_eq!(alignment.equal.iter().map(|&(_, _, len)| len).sum::<usize>(), 2_400);
    }

    /// `len` lines of a few words repeated and lines of their own.
    fn lines_of(next: &mut impl FnMut(u64) -> u64, len: u64, round: usize) -> Vec<String> {
        let words = ["a", "b", "c", "}", ""];
        (0..len)
            .map(|i| {
                if next(3) == 0 {
                    format!("unique {} {round}", next(40) * 1000 + i)
                } else {
                    words[next(5) as usize].to_string()
                }
            })
            .collect()
    }

    /// The anchored diff is a diff: its operations cover both versions in
    /// order, and what it calls equal is.
    #[test]
    fn the_anchored_diff_turns_one_version_into_the_other() {
        let mut seed: u64 = 7;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for round in 0..200 {
            let (old_len, new_len) = (next(60), next(60));
            let old = lines_of(&mut next, old_len, round);
            let new = lines_of(&mut next, new_len, round);
            let (old, new): (Vec<&[u8]>, Vec<&[u8]>) =
                (old.iter().map(|l| l.as_bytes()).collect(), new.iter().map(|l| l.as_bytes()).collect());
            let ops = anchored(&old, &new, Instant::now() + Duration::from_secs(5));
            let (mut o, mut n) = (0, 0);
            for op in &ops {
                assert_eq!((op.old_range().start, op.new_range().start), (o, n), "round {round}: {ops:?}");
                if let DiffOp::Equal { old_index, new_index, len } = *op {
                    assert_eq!(old[old_index..old_index + len], new[new_index..new_index + len], "round {round}");
                }
                (o, n) = (op.old_range().end, op.new_range().end);
            }
            assert_eq!((o, n), (old.len(), new.len()), "round {round}: {ops:?}");
        }
    }

    #[test]
    fn a_lone_line_is_not_taken_for_a_late_copy() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let claude = ai(&mut table, "claude");
        let ai_tag = Tag { claim: claude, commits: table.single(0) };
        for line in ["x += 1\n", "y += 2\n", "z += 3\n"] {
            pool.remember(line.as_bytes(), ai_tag);
        }
        let unknown = Tag { claim: UNKNOWN, commits: table.single(1) };
        let text = "x += 1\nother\nmore\nstuff\nhere\nnow\ny += 2\n\nz += 3\n";
        let lines = split_lines(text.as_bytes());
        let mut tags = vec![unknown; lines.len()];
        settle(&mut table, &pool, &lines, &mut tags, None);
        assert_eq!(labels(&table, &tags), "??????AAA");
    }

    /// Apply `new` to a one-parent file `(old, tags, deletions)` as commit
    /// `commit`: its tags and its AI deletions.
    fn step_deleting(
        table: &mut Table,
        pool: &mut Pool,
        old: (&str, &[Tag], &[Deletion]),
        new: &str,
        commit: u32,
        evidence: &Evidence,
    ) -> (Vec<Tag>, Vec<Deletion>) {
        let parents = vec![Version { lines: split_lines(old.0.as_bytes()), tags: old.1 }];
        let change = Change::new(parents, split_lines(new.as_bytes()));
        change.forget_removed(table, pool);
        let tags = change.finish(table, pool, commit, evidence);
        let deletions = change.deletions(table, pool, "f", &[old.2], &tags, commit, evidence);
        (tags, deletions)
    }

    const GUARDED: &str = "fn delete(actor: &User) {\n    if !actor.admin {\n        return;\n    }\n    drop();\n}\n";
    const UNGUARDED: &str = "fn delete(actor: &User) {\n    drop();\n}\n";

    #[test]
    fn an_ai_removal_keeps_its_place_and_a_persons_does_not() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let outside = vec![OUTSIDE; 6];
        let claude = ai(&mut table, "claude");
        let trailer = Evidence { whole: Some(claude), ..Evidence::default() };
        let (tags, deletions) = step_deleting(&mut table, &mut pool, (GUARDED, &outside, &[]), UNGUARDED, 0, &trailer);
        assert_eq!(labels(&table, &tags), "ooo", "a removal adds no AI line");
        assert_eq!(deletions.len(), 1);
        let d = &deletions[0];
        assert_eq!((d.at, d.lines, d.first.as_str()), (1, 3, "if !actor.admin {"));
        assert_eq!(d.tag.claim, claude);
        assert_eq!(table.commits(d.tag.commits), [0]);
        // A person's removal (no evidence, or a note that names no
        // deletion) is no AI deletion: it keeps its place and its commit
        // only, for who touched the unit there.
        let not_ai = table.claim(Claim::NotAi(Attester::VouchNote));
        let persons = |table: &Table, deletions: &[Deletion]| -> Vec<(u32, u32, bool, Vec<u32>)> {
            deletions.iter().map(|d| (d.at, d.lines, d.is_ai(table), table.commits(d.tag.commits).to_vec())).collect()
        };
        for evidence in [Evidence::default(), Evidence { rest: Some(not_ai), ..Evidence::default() }] {
            let (_, deletions) =
                step_deleting(&mut table, &mut pool, (GUARDED, &outside, &[]), UNGUARDED, 4, &evidence);
            assert_eq!(persons(&table, &deletions), [(1, 3, false, vec![4])]);
        }
        // A note that places an AI deletion there: taken at its place.
        let noted = Evidence { deleted: vec![(1, claude)], rest: Some(not_ai), ..Evidence::default() };
        let (_, deletions) = step_deleting(&mut table, &mut pool, (GUARDED, &outside, &[]), UNGUARDED, 0, &noted);
        assert_eq!(persons(&table, &deletions), [(1, 3, true, vec![0])]);
        // A note placing one where nothing was removed says nothing of it.
        let elsewhere = Evidence { deleted: vec![(3, claude)], ..Evidence::default() };
        let (_, deletions) = step_deleting(&mut table, &mut pool, (GUARDED, &outside, &[]), UNGUARDED, 0, &elsewhere);
        assert_eq!(persons(&table, &deletions), [(1, 3, false, vec![0])]);
    }

    #[test]
    fn a_lines_shape_keeps_its_words_signs_and_order_not_its_names_or_comment() {
        let shape = |l: &str| shape_key(l.as_bytes());
        let line = "    let total = a + b;\n";
        assert_eq!(shape(line), shape("let sum=x + b;  // the sum\n"), "renamed, respaced, commented");
        assert_eq!(shape(line), shape("  let total = a + b;  # why\n"));
        assert_ne!(shape(line), shape("let total = a - b;\n"), "another sign");
        assert_ne!(shape(line), shape("let total = (a + b);\n"));
        assert_ne!(shape(line), shape("b + a = let total;\n"), "another order");
        // A comment only after code and a space: whole-line comments,
        // attributes, `x--` and `a#b` keep theirs.
        assert_ne!(shape("# one two three\n"), shape("# four\n"));
        assert_ne!(shape("#[derive(Debug)]\n"), shape("#[derive(Debug, Clone)]\n"));
        assert_ne!(shape("x--;\n"), shape("x++;\n"));
        // Too plain to tell: fewer than three marks, or no letter or digit.
        assert_eq!(shape("    }\n"), None);
        assert_eq!(shape("import subprocess\n"), None);
        assert_eq!(shape("return x  # done\n"), None);
        assert!(shape("return x + 1\n").is_some());
    }

    #[test]
    fn a_removed_ai_block_comes_back_reworded_only_in_order_and_with_most_of_its_words() {
        let mut table = Table::new();
        let claude = ai(&mut table, "claude");
        let tag = Tag { claim: claude, commits: table.single(0) };
        let removed = [
            "def run(cmd):\n",
            "    subprocess.call(cmd, shell=True)\n",
            "    log.write(cmd)\n",
            "    return \"ran \" + cmd\n",
        ];
        let mut pool = Pool::default();
        pool.remember_block(removed.iter().map(|l| (l.as_bytes(), tag)));
        let person = Tag { claim: UNKNOWN, commits: table.single(1) };
        let settled = |text: &str| -> String {
            let lines = split_lines(text.as_bytes());
            let mut tags = vec![person; lines.len()];
            let mut table = table.clone();
            settle_aligned(&mut table, &pool, &lines, &mut tags, &[]);
            labels(&table, &tags)
        };
        // Commented, respaced, the function renamed.
        let reworded = "x = 1\ndef go(cmd):  # moved\n    subprocess.call(cmd,shell=True)  # why\n    log.write(cmd)\n    \
                        return \"ran \" + cmd  # done\n";
        assert_eq!(settled(reworded), "?AAAA");
        // Three lines of four, in order, with a person's line between.
        assert_eq!(
            settled("def run(cmd):\n    print(cmd)\n    subprocess.call(cmd, shell=True)\n    log.write(cmd)\n"),
            "A?AA"
        );
        // Out of order, or too little of it, or far apart: the person's.
        assert_eq!(settled("    log.write(cmd)\n    subprocess.call(cmd, shell=True)\ndef run(cmd):\n"), "???");
        assert_eq!(settled("def run(cmd):\n    log.write(cmd)\n"), "??");
        let apart =
            "def run(cmd):\n\na = 1\nb = 2\nc = 3\nd = 4\n    subprocess.call(cmd, shell=True)\n    log.write(cmd)\n";
        assert_eq!(settled(apart), "????????");
        // The same shapes with most words another's: written anew (or
        // renamed throughout, which is as good as written anew).
        let anew = "def go(c):\n    subprocess.call(c, shell=True)\n    log.write(c)\n    return \"ran \" + c\n";
        assert_eq!(settled(anew), "????");
        assert_eq!(settled("def save(path):\n    shutil.copy(path, dry=False)\n    out.flush(path)\n"), "???");
    }

    #[test]
    fn base_lines_an_ai_removed_and_the_range_leaves_removed_are_its_deletion() {
        let mut table = Table::new();
        let claude = ai(&mut table, "claude");
        let tag = Tag { claim: claude, commits: table.single(0) };
        let base = split_lines(GUARDED.as_bytes());
        let mut pool = Pool::default();
        pool.remember_deleted("f", b"    if !actor.admin {\n", tag);
        // One line of the two is not enough (a line that recurs).
        let mut deletions = Vec::new();
        settle_deletions(&split_lines(UNGUARDED.as_bytes()), &mut deletions, Some(&base), &pool, "f");
        assert_eq!(deletions, []);
        pool.remember_deleted("f", b"        return;\n", tag);
        // The place was lost on the way; BASE's lines are missing here.
        let mut deletions = Vec::new();
        settle_deletions(&split_lines(UNGUARDED.as_bytes()), &mut deletions, Some(&base), &pool, "f");
        let found: Vec<(u32, u32, &str, bool)> =
            deletions.iter().map(|d| (d.at, d.lines, d.first.as_str(), d.is_ai(&table))).collect();
        assert_eq!(found, [(1, 3, "if !actor.admin {", true)]);
        // One at its place already: no second.
        settle_deletions(&split_lines(UNGUARDED.as_bytes()), &mut deletions, Some(&base), &pool, "f");
        assert_eq!(deletions.len(), 1);
        // Lines back, or lines no AI removed: nothing.
        let mut none = Vec::new();
        settle_deletions(&base, &mut none, Some(&base), &pool, "f");
        settle_deletions(&split_lines(UNGUARDED.as_bytes()), &mut none, Some(&base), &pool, "another file");
        let other = GUARDED.replace("    drop();\n", "");
        assert_ne!(other, GUARDED);
        settle_deletions(&split_lines(other.as_bytes()), &mut none, Some(&base), &pool, "f");
        assert_eq!(none, []);
    }

    #[test]
    fn a_persons_removal_never_hides_an_ais_at_the_same_place() {
        let mut table = Table::new();
        let claude = ai(&mut table, "claude");
        let (ai_commit, persons_commit) = (table.single(0), table.single(1));
        let ai_removal = Deletion {
            at: 2,
            lines: 3,
            first: "check()".into(),
            tag: Tag { claim: claude, commits: ai_commit },
            text: 7,
            replaced: 0,
        };
        let persons = Deletion {
            at: 2,
            lines: 1,
            first: "log()".into(),
            tag: Tag { claim: UNKNOWN, commits: persons_commit },
            text: 9,
            replaced: 0,
        };
        for order in [[persons.clone(), ai_removal.clone()], [ai_removal.clone(), persons.clone()]] {
            let mut out = Vec::new();
            for d in order {
                add_deletion(&mut table, &mut out, d);
            }
            out.sort_by_key(|d| d.is_ai(&table));
            assert_eq!(out, [persons.clone(), ai_removal.clone()], "two, each as it was");
        }
    }

    #[test]
    fn a_diff_brings_what_its_hunks_add_and_other_text_itself() {
        let text: &[&[u8]] = &[
            b"def explain():\n",
            b"--- a/conf.py\n",
            b"+++ b/conf.py\n",
            b"@@ -1,2 +1,2 @@ def explain\n",
            b" keep = 1\n",
            b"-debug = False\n",
            b"+debug = True\n",
            b"\\ No newline at end of file\n",
            b"    \"\"\"\n",
            b"+not in a hunk\n",
            b"def wipe(db):\n",
        ];
        let brought: Vec<Option<&[u8]>> = brought_lines(text);
        let want: Vec<Option<&[u8]>> = vec![
            Some(b"def explain():\n"),
            Some(b"--- a/conf.py\n"),
            None,
            None,
            None,
            None,
            Some(b"debug = True\n"),
            None,
            Some(b"    \"\"\"\n"),
            Some(b"+not in a hunk\n"),
            Some(b"def wipe(db):\n"),
        ];
        assert_eq!(brought, want);
        // No header before it: a `@@ -` line is text.
        assert_eq!(brought_lines(&[b"@@ -1 +1 @@\n", b"+x\n"]), vec![Some(&b"@@ -1 +1 @@\n"[..]), Some(b"+x\n")]);
        // Nor one whose counts it does not give.
        let text: &[&[u8]] = &[b"+++ b/a\n", b"@@ -1 +1 @@\n", b"-a\n", b"+b\n", b"+c\n"];
        assert_eq!(brought_lines(text), vec![None, None, None, Some(&b"b\n"[..]), Some(b"+c\n")]);
    }

    #[test]
    fn a_removal_replaced_by_ai_lines_stands_beside_them() {
        // Red team (rt26a A1, A2): the lines put in the place of a guard do
        // not make the unit around it judged (blank lines are in no unit; a
        // helper there is a unit of its own), so the removal stands.
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let outside = vec![OUTSIDE; 6];
        let claude = Evidence { whole: Some(ai(&mut table, "claude")), ..Evidence::default() };
        let rewritten = "fn delete(actor: &User) {\n    log();\n    drop();\n}\n";
        let (tags, deletions) = step_deleting(&mut table, &mut pool, (GUARDED, &outside, &[]), rewritten, 0, &claude);
        assert_eq!(labels(&table, &tags), "oAoo");
        assert_eq!(deletions.iter().map(|d| (d.at, d.lines, d.is_ai(&table))).collect::<Vec<_>>(), [(1, 3, true)]);
        // An AI that rewrites its own lines removed nothing of anyone's.
        let again = "fn delete(actor: &User) {\n    audit();\n    drop();\n}\n";
        let (_, deletions) = step_deleting(&mut table, &mut pool, (rewritten, &tags, &[]), again, 1, &claude);
        assert!(deletions.is_empty(), "{deletions:?}");
    }

    #[test]
    fn an_ai_removal_follows_later_changes_and_goes_when_undone() {
        let (mut table, mut pool) = (Table::new(), Pool::default());
        let outside = vec![OUTSIDE; 6];
        let claude = Evidence { whole: Some(ai(&mut table, "claude")), ..Evidence::default() };
        let (tags, deletions) = step_deleting(&mut table, &mut pool, (GUARDED, &outside, &[]), UNGUARDED, 0, &claude);
        // A person adds lines above: the place moves with its lines.
        let later = format!("// header\n\n{UNGUARDED}");
        let (tags2, moved) =
            step_deleting(&mut table, &mut pool, (UNGUARDED, &tags, &deletions), &later, 1, &Evidence::default());
        assert_eq!(moved.iter().map(|d| (d.at, d.lines)).collect::<Vec<_>>(), [(3, 3)]);
        assert_eq!(table.commits(moved[0].tag.commits), [0], "still the AI commit's");
        // Settled against BASE: it stands while BASE's lines are missing
        // there, and goes once they are back.
        let base = split_lines(GUARDED.as_bytes());
        let mut kept = moved.clone();
        settle_deletions(&split_lines(later.as_bytes()), &mut kept, Some(&base), &Pool::default(), "f");
        assert_eq!(kept.len(), 1);
        let restored = format!("// header\n\n{GUARDED}");
        let mut settled = vec![Deletion { at: 6, ..moved[0].clone() }];
        settle_deletions(&split_lines(restored.as_bytes()), &mut settled, Some(&base), &Pool::default(), "f");
        assert!(settled.is_empty(), "BASE's lines are back around it: {settled:?}");
        // The commit that puts them back undoes it at once.
        let (_, back) =
            step_deleting(&mut table, &mut pool, (&later, &tags2, &moved), &restored, 2, &Evidence::default());
        assert!(back.is_empty(), "the lines are back where they were: {back:?}");
        // Put back in part, or elsewhere, it stands.
        let part = restored.replace("        return;\n", "");
        let (_, kept) = step_deleting(&mut table, &mut pool, (&later, &tags2, &moved), &part, 2, &Evidence::default());
        assert_eq!(kept.len(), 1, "in part: {kept:?}");
        let elsewhere = format!("    if !actor.admin {{\n        return;\n    }}\n// header\n\n{UNGUARDED}");
        let (_, kept) =
            step_deleting(&mut table, &mut pool, (&later, &tags2, &moved), &elsewhere, 2, &Evidence::default());
        assert_eq!(kept.len(), 1, "elsewhere: {kept:?}");
    }

    #[test]
    fn an_ai_removal_from_lines_the_range_added_stands() {
        // A person adds a function in the range; an AI removes its check.
        let mut table = Table::new();
        let base = "fn other() {\n}\n";
        let mut deletions = vec![Deletion {
            at: 3,
            lines: 3,
            first: "if !actor.admin {".into(),
            tag: Tag { claim: ai(&mut table, "claude"), commits: table.single(1) },
            text: 0,
            replaced: 0,
        }];
        let lines = format!("{base}{UNGUARDED}");
        settle_deletions(
            &split_lines(lines.as_bytes()),
            &mut deletions,
            Some(&split_lines(base.as_bytes())),
            &Pool::default(),
            "f",
        );
        assert_eq!(deletions.len(), 1, "nothing of BASE is missing, but the function changed");
    }

    #[test]
    fn a_removal_of_repeated_lines_is_not_settled_away() {
        // BASE repeats a block; the AI removes the first copy. Aligned to
        // BASE, the lines around the place look untouched (the removal can
        // as well be the second copy): the deletion stands.
        let (mut table, pool) = (Table::new(), Pool::default());
        let base = "check(a);\nuse(a);\ncheck(a);\nuse(a);\n";
        let outside = vec![OUTSIDE; 4];
        let claude = Evidence { whole: Some(ai(&mut table, "claude")), ..Evidence::default() };
        let parents = vec![Version { lines: split_lines(base.as_bytes()), tags: &outside }];
        let after = "check(a);\nuse(a);\n";
        let change = Change::new(parents, split_lines(after.as_bytes()));
        let tags = change.finish(&mut table, &pool, 0, &claude);
        let mut deletions = change.deletions(&mut table, &mut Pool::default(), "f", &[&[]], &tags, 0, &claude);
        assert_eq!(deletions.len(), 1);
        // Wherever the lineage placed it, settling keeps it.
        for at in 0..=2 {
            let mut placed = vec![Deletion { at, ..deletions[0].clone() }];
            settle_deletions(
                &split_lines(after.as_bytes()),
                &mut placed,
                Some(&split_lines(base.as_bytes())),
                &Pool::default(),
                "f",
            );
            assert_eq!(placed.len(), 1, "placed at {at}");
        }
        settle_deletions(
            &split_lines(after.as_bytes()),
            &mut deletions,
            Some(&split_lines(base.as_bytes())),
            &Pool::default(),
            "f",
        );
        assert_eq!(deletions.len(), 1);
    }

    #[test]
    fn removals_can_be_placed_anywhere_along_equal_lines() {
        let old = split_lines(b"a\nx\nx\nx\nb\n");
        let new = split_lines(b"a\nx\nx\nb\n");
        let found = removals(&old, &new);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].gaps, 1..=3, "{found:?}");
        // Lines put back at a gap, wherever a diff could put them.
        let (after, back) = (split_lines(b"a\nb\n"), split_lines(b"a\nc\nb\n"));
        assert_eq!(gaps_kept(&after, &back, &[0, 1, 2]), [true, false, true]);
        let (after, back) = (split_lines(b"x\nb\n"), split_lines(b"x\nx\nb\n"));
        assert_eq!(gaps_kept(&after, &back, &[0, 1, 2]), [false, false, true]);
        assert_eq!(gaps_kept(&new, &new, &[0, 2, 4]), [true, true, true]);
    }

    #[test]
    fn lines_split_at_lf_only() {
        assert_eq!(split_lines(b"a\rb\nc"), [&b"a\rb\n"[..], b"c"]);
        assert!(split_lines(b"").is_empty());
    }
}
