//! What the commits the next commit's text comes from say of it: a pending
//! squash merge (`SQUASH_MSG`) or cherry-pick (`CHERRY_PICK_HEAD`), and
//! commits that left HEAD's history (a reset, a checkout of an older
//! commit) whose text is being committed again ([`crate::store::derive`]).
//! The post-commit hook writes their AI lines into the new commit's note;
//! so they are part of the evidence of the next commit
//! ([`super::scope::Scope::next_commit`]), and the gate refuses a squash,
//! a pick or a re-commit of unapproved AI text as it refused the original.
//!
//! Only the sources' AI claims are read (no diff for lines of unknown
//! origin, which only the note's `no-ai` needs), and only for the paths
//! the next commit touches. The journal's views stay as the journal has
//! them (and cached as such): the sources' lines are laid over them here,
//! where no line is AI already, since a claim of human text never outranks
//! one of AI text.

use std::collections::HashSet;
use std::ops::Range;

use anyhow::Context as _;
use git2::Repository;

use super::attribution::FileVersion;
use crate::provenance::{AiDeletion, Origin, ProvenanceMap, Spans};
use crate::store::derive::{self, Derived};
use crate::store::notes;
use crate::syntax::Content;

/// The AI claims of the commits the next commit comes from, for the files
/// at `paths` (all, when `None`); `None` when it comes from none. `bots`
/// are the policy's bot authors (BASE's).
pub fn pending(repo: &Repository, bots: &[String], paths: Option<&HashSet<String>>) -> anyhow::Result<Option<Derived>> {
    let mut sources = derive::pending(repo).context("cannot read what the next commit comes from")?;
    // Files staged as a branch no worktree's HEAD was on has them (`git
    // checkout origin/feature -- f`); a version HEAD holds brings nothing.
    if let Some(paths) = paths {
        let index = crate::store::repo::current_index(repo).context("cannot read the index")?;
        let head = super::files::head_tree(repo)?;
        let staged: Vec<(String, git2::Oid)> = paths
            .iter()
            .filter_map(|p| Some((p.clone(), index.get_path(std::path::Path::new(p), 0)?.id)))
            .filter(|(p, blob)| head.as_ref().and_then(|t| super::files::tree_blob(t, p)) != Some(*blob))
            .collect();
        sources.add_fetched(repo, &staged).context("cannot read the branches the next commit's files may come from")?;
    }
    if sources.is_empty() {
        return Ok(None);
    }
    let derived = Derived::load(repo, &sources, bots, paths, false).context("cannot read the commits it comes from")?;
    Ok(Some(derived))
}

/// `spans` (the journal's account of `file`) with the AI lines `derived`
/// carries onto it among the lines it adds to HEAD's version, laid over
/// what is not AI already. A version that is one unit (a submodule, bytes
/// that are not UTF-8) takes a source's record only when it is that very
/// version, and then whole.
pub fn carried(repo: &Repository, derived: &Derived, file: &FileVersion, spans: Spans) -> anyhow::Result<Spans> {
    Ok(carried_all(repo, derived, file, spans)?.0)
}

/// [`carried`], with the AI deletions `derived` carries onto `file` where
/// it removes lines from HEAD's version (byte offsets of its text).
pub fn carried_all(
    repo: &Repository,
    derived: &Derived,
    file: &FileVersion,
    spans: Spans,
) -> anyhow::Result<(Spans, Vec<AiDeletion>)> {
    // A file the next commit renames: the sources' records of its old path.
    let renamed_from = (file.history_path != file.path).then_some(file.history_path.as_str());
    if !derived.claims_ai(&file.path) && !renamed_from.is_some_and(|p| derived.claims_ai(p)) {
        return Ok((spans, Vec::new()));
    }
    let text = match &file.content {
        Content::Text(text) => text,
        other => {
            let len = other.len();
            if len == 0 || spans.iter().any(|(_, a)| a.is_ai()) {
                return Ok((spans, Vec::new()));
            }
            let carried = derived
                .carry_whole(repo, &file.path, file.blob)
                .context("cannot read the commits the next commit comes from")?;
            let spans = match carried.records.first() {
                Some(record) => vec![(0..len, record.attribution())],
                None => spans,
            };
            return Ok((spans, Vec::new()));
        }
    };
    let head = super::files::head_tree(repo)?;
    let before = match head.as_ref().and_then(|t| super::files::tree_blob(t, &file.history_path)) {
        Some(id) => super::files::blob_text(repo, id)?.unwrap_or_default(),
        None => String::new(),
    };
    let carried = derived
        .carry(repo, (&file.path, renamed_from), file.blob, text, &before)
        .context("cannot read the commits the next commit comes from")?;
    if carried.records.is_empty() {
        return Ok((spans, Vec::new()));
    }
    let starts = notes::line_spans(text.as_bytes());
    let deletions: Vec<AiDeletion> = carried
        .records
        .iter()
        .flat_map(|record| {
            let starts = &starts;
            record.deleted_before.iter().map(move |&before| AiDeletion {
                at: starts.get(before as usize - 1).map_or(text.len(), |l| l.start),
                lines: 0,
                first: String::new(),
                attribution: record.attribution(),
                replaced: 0,
            })
        })
        .collect();
    let mut map = ProvenanceMap::from_ranges(text.len(), &spans);
    for record in &carried.records {
        let id = map.intern(&record.attribution());
        for range in notes::lines_to_bytes(text.as_str(), &record.ai) {
            let holes: Vec<Range<usize>> =
                map.spans_in(range.clone()).filter(|s| !map.attribution(s.attr).is_ai()).map(|s| s.range).collect();
            for hole in holes {
                map.set(hole.start.max(range.start)..hole.end.min(range.end), id);
            }
        }
    }
    Ok((map.to_vec().into_iter().filter(|(_, a)| a.origin != Origin::Unknown).collect(), deletions))
}
