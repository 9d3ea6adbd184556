//! The units of an editor's buffer, judged as the gate judges the next
//! commit: the buffer is the file as the next commit would hold it (in the
//! bytes git stores, its line endings converted as the repository says),
//! the AI text the editor knows of in it, with the AI lines a pending
//! squash merge, cherry-pick or re-commit carries from its sources
//! ([`super::derived`]), is what the post-commit note would record, and
//! the range since BASE says which lines `vouch verify` will
//! count as AI ([`super::scope`]). So the editor offers "approve" to exactly
//! those `vouch status` says may approve: never to the person whose
//! uncommitted change touches the unit (they will author the commit).
//!
//! Units are found on the buffer's own tree and reported in the buffer's
//! coordinates; lines are the same in both (git's end-of-line conversion
//! keeps every LF).

use std::ops::Range;

use git2::Repository;

use super::judge::{Judge, JudgedUnit};
use super::scope::{NextFile, Scope, ScopedUnit};
use crate::document::Document;
use crate::eol::Conversion;
use crate::provenance::{AiDeletion, Attribution, ProvenanceMap};
use crate::signoff::{self, UnitFacts};
use crate::store::derive::Derived;
use crate::syntax::{Content, Language, unit_language};

/// Fingerprint `facts`, units of `text` (a buffer of `language`), as
/// `vouch verify` will: over the bytes git stores for them (`conversion`,
/// the file's end-of-line conversion into the repository), not the
/// buffer's. Units never split a CRLF, so each converts as its part of the
/// whole file does.
pub fn blob_fingerprints(facts: &mut [UnitFacts], language: Language, text: &str, conversion: Conversion) {
    if conversion == Conversion::None {
        return;
    }
    for f in facts {
        let Some(bytes) = text.as_bytes().get(f.unit.range.clone()) else { continue };
        let blob = crate::eol::apply(conversion, bytes);
        f.unit.fingerprint = crate::fingerprint::fingerprint(unit_language(language, &f.unit), &f.unit.kind, &blob);
    }
}

/// The units of `doc` (the buffer of `rel`) that verify will judge once it
/// is committed by `people`, judged; then the AI units the buffer shows
/// whose AI text all landed before BASE ([`JudgedUnit::landed`]).
/// `derived`: what the commits the next commit's text comes from claim of
/// `rel` (a pending squash merge or cherry-pick, commits that left HEAD's
/// history, [`super::derived::pending`]): their AI lines are the buffer's
/// evidence too, as they are the gate's. `deletions`: where the journal
/// says agents removed lines, as byte offsets of the buffer in the form git
/// stores: the units around them need sign-off as the
/// gate's do.
///
/// The language server calls this after every pause in typing, on files of
/// any size: each step reads the buffer once, HEAD's and BASE's versions
/// of the file come from the scope's cache, and the blob id of the buffer
/// is computed only when a pending squash or pick needs it.
#[allow(clippy::too_many_arguments)] // What the buffer is and what is known of it, each needed once.
pub fn judge_buffer(
    repo: &Repository,
    scope: &Scope,
    judge: &Judge<'_>,
    rel: &str,
    doc: &mut Document,
    people: Vec<String>,
    derived: Option<&Derived>,
    deletions: &[AiDeletion],
) -> anyhow::Result<Judged> {
    let text = doc.text().as_str().to_string();
    let conversion = crate::store::attributes::conversion(repo, rel, text.as_bytes());
    let blob = crate::eol::apply(conversion, text.as_bytes());
    // The buffer's lines as git splits them: the document keeps them.
    let buffer_lines = git_line_spans(doc.text());
    debug_assert_eq!(buffer_lines, crate::store::notes::line_spans(text.as_bytes()));
    // The editor's AI text, line by line (one rule for every count), laid
    // on the blob's lines (git's end-of-line conversion keeps every LF).
    let shown: Vec<(Range<usize>, Attribution)> =
        doc.provenance().to_vec().into_iter().filter(|(_, a)| a.is_ai()).collect();
    let ai_lines = crate::provenance::ai_lines_at(text.as_bytes(), &buffer_lines, &shown);
    // The buffer is UTF-8, and so is its blob (the conversion only adds or
    // removes CRs).
    let blob: Result<String, Vec<u8>> = match blob {
        std::borrow::Cow::Borrowed(_) => Ok(text.clone()),
        std::borrow::Cow::Owned(bytes) => String::from_utf8(bytes).map_err(|e| e.into_bytes()),
    };
    let mut deletions = deletions.to_vec();
    crate::cancel::check();
    let next = match (derived.filter(|d| d.claims_ai(rel)), blob) {
        (None, Ok(blob)) => scope.next_commit_text(repo, rel, blob, ai_lines, &deletions, people)?,
        // What a pending squash or pick carries is found by the blob's id.
        (carried_from, blob) => {
            let blob = blob.map(String::into_bytes).unwrap_or_else(|bytes| bytes);
            let blob_lines = crate::store::notes::line_spans(&blob);
            let spans: Vec<(Range<usize>, Attribution)> =
                ai_lines.into_iter().filter_map(|(i, a)| blob_lines.get(i).map(|r| (r.clone(), a))).collect();
            let id = git2::Oid::hash_object(git2::ObjectType::Blob, &blob)?;
            let file = super::attribution::FileVersion {
                path: rel.to_string(),
                history_path: rel.to_string(),
                blob: id,
                content: Content::of_blob(blob),
            };
            let spans = match carried_from {
                Some(derived) => {
                    let (spans, more) = super::derived::carried_all(repo, derived, &file, spans)?;
                    for d in more {
                        if !deletions.iter().any(|e| e.at == d.at) {
                            deletions.push(d);
                        }
                    }
                    spans
                }
                None => spans,
            };
            scope.next_commit(repo, &[NextFile { file, spans, deletions }], &[], people, false)?
        }
    };
    // The blob, as the next commit holds it.
    let stored = next.content(rel);
    let content: &[u8] = stored.map_or(&[], Content::as_bytes);
    // Verify's AI lines, in the buffer's coordinates.
    let in_scope: Vec<(Range<usize>, Attribution)> = next
        .ai_line_claims(rel)
        .into_iter()
        .filter_map(|(i, a)| buffer_lines.get(i).map(|r| (r.clone(), a.clone())))
        .collect();
    let ranges: Vec<Range<usize>> = in_scope.iter().map(|(r, _)| r.clone()).collect();
    // Lines verify counts as AI that the buffer's own provenance does not
    // show (what a pending squash or pick carries): shown with them. The
    // provenance's spans are in order and do not overlap.
    let unshown: Vec<(Range<usize>, Attribution)> = in_scope
        .iter()
        .filter(|(line, _)| {
            let first = shown.partition_point(|(s, _)| s.end <= line.start);
            shown.get(first).is_none_or(|(s, _)| s.start >= line.end)
        })
        .cloned()
        .collect();
    crate::cancel::check();
    let map = ProvenanceMap::from_ranges(text.len(), &in_scope);
    crate::cancel::check();
    let mut facts = signoff::facts_of(doc.units_holding(&ranges), &map, &text);
    // Verify's AI deletions, in the buffer's coordinates (by line: the
    // blob's lines are the buffer's).
    let in_blob = stored.map(|c| next.ai_deletions(rel, c)).unwrap_or_default();
    let blob_lines = if in_blob.is_empty() { Vec::new() } else { crate::store::notes::line_spans(content) };
    let to_buffer = |at: usize| {
        let line = blob_lines.partition_point(|l| l.start < at);
        buffer_lines.get(line).map_or(text.len(), |l| l.start)
    };
    let shifted: Vec<AiDeletion> = in_blob.iter().map(|d| AiDeletion { at: to_buffer(d.at), ..d.clone() }).collect();
    signoff::add_deletions(doc, &mut facts, &shifted);
    blob_fingerprints(&mut facts, doc.language(), &text, conversion);
    let lines = doc.text().git_lines().clone();
    let line_of = |offset: usize| lines.line_of(offset) + 1;
    let mut out = Vec::new();
    for f in facts {
        crate::cancel::check();
        let (first, last) =
            (line_of(f.unit.range.start), line_of(f.unit.range.end.saturating_sub(1).max(f.unit.range.start)));
        let at: Vec<usize> = in_blob
            .iter()
            .zip(&shifted)
            .filter(|(_, s)| f.deletions.iter().any(|d| d.at == s.at))
            .map(|(b, _)| b.at)
            .collect();
        let (commits, touched, people) = next.touching(rel, first, last, content, &at);
        let unit =
            ScopedUnit { path: rel.to_string(), facts: f, line: first, end_line: last, commits, next: touched, people };
        out.push(judge.unit(&unit));
    }
    // AI text the buffer shows that verify will not ask about: it landed
    // before BASE. Each unit holding the buffer's AI text holds some of
    // it, so when all of it lies in the units just judged, every such unit
    // overlaps one of them and none is added: they are not looked for.
    let judged: Vec<Range<usize>> = out.iter().map(|u| u.facts.unit.range.clone()).collect();
    let mut landed = if within(text.as_bytes(), &doc.provenance().ai_ranges(), &judged) {
        Vec::new()
    } else {
        signoff::unit_facts(doc)
    };
    blob_fingerprints(&mut landed, doc.language(), &text, conversion);
    for f in landed {
        if out
            .iter()
            .any(|u| u.facts.unit.range.start < f.unit.range.end && f.unit.range.start < u.facts.unit.range.end)
        {
            continue;
        }
        let (first, last) =
            (line_of(f.unit.range.start), line_of(f.unit.range.end.saturating_sub(1).max(f.unit.range.start)));
        let unit = ScopedUnit {
            path: rel.to_string(),
            facts: f,
            line: first,
            end_line: last,
            commits: Vec::new(),
            next: false,
            people: Vec::new(),
        };
        out.push(judge.landed(&unit));
    }
    out.sort_by_key(|u| u.facts.unit.range.start);
    Ok(Judged { units: out, unshown })
}

/// What [`judge_buffer`] found of a buffer.
#[derive(Debug)]
pub struct Judged {
    /// Its units verify will judge, then the AI units it shows that landed
    /// before BASE, in the order of the text.
    pub units: Vec<JudgedUnit>,
    /// The lines (byte ranges of the buffer, each with its LF) verify will
    /// count as AI that the buffer's provenance does not hold as AI, with
    /// the attribution that makes them so: the lines a pending squash
    /// merge, cherry-pick or re-commit carries from its source commits.
    pub unshown: Vec<(Range<usize>, Attribution)>,
}

/// The byte range of each line of `text` as git splits them (at LF only,
/// each with its LF; no empty last line), from its line index.
fn git_line_spans(text: &crate::text::Text) -> Vec<Range<usize>> {
    let index = text.git_lines();
    (0..index.len())
        .filter_map(|i| {
            let start = index.line_start(i)?;
            let end = index.line_start(i + 1).unwrap_or(text.len());
            (start < end).then_some(start..end)
        })
        .collect()
}

/// Whether every byte of `text` in `ranges` that is not whitespace lies in
/// one of `covers` (any order, may overlap).
fn within(text: &[u8], ranges: &[Range<usize>], covers: &[Range<usize>]) -> bool {
    let mut cover: Vec<Range<usize>> = covers.to_vec();
    cover.sort_by_key(|r| r.start);
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    for r in ranges {
        let mut at = r.start.min(text.len());
        let end = r.end.min(text.len());
        for c in &cover {
            if at >= end {
                break;
            }
            if c.end <= at {
                continue;
            }
            if c.start > at && !text[at..c.start.min(end)].iter().all(is_ws) {
                return false;
            }
            at = at.max(c.end);
        }
        if at < end && !text[at..end].iter().all(is_ws) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Language, SyntaxTree, units};
    use crate::text::Text;

    #[test]
    fn within_looks_at_what_is_not_whitespace() {
        let text = b"ab  cd\n  ef\n";
        let check = |ranges: &[(usize, usize)], cover: &[(usize, usize)]| {
            let ranges: Vec<Range<usize>> = ranges.iter().map(|&(a, b)| a..b).collect();
            let cover: Vec<Range<usize>> = cover.iter().map(|&(a, b)| a..b).collect();
            within(text, &ranges, &cover)
        };
        assert!(check(&[(0, 2)], &[(0, 2)]));
        assert!(check(&[(0, 4)], &[(0, 2)]), "trailing spaces need no cover");
        assert!(!check(&[(0, 6)], &[(0, 2)]));
        assert!(check(&[(0, 6)], &[(4, 6), (0, 2)]), "covers in any order");
        assert!(check(&[(0, 12)], &[(9, 11), (0, 3), (3, 6)]));
        assert!(!check(&[(0, 12)], &[(0, 6), (10, 12)]), "`e` is not covered");
        assert!(check(&[], &[]));
        assert!(check(&[(6, 9)], &[]), "only whitespace");
    }

    const SOURCE: &str = "use std::fs;\n\n/// A.\nstruct A { x: u8 }\n\nimpl A {\n    /// Get.\n    fn get(&self) -> u8 { self.x } // why\n\n    fn put(&mut self) {\n        fs::remove_file(\"x\").ok();\n    }\n}\n\n// loose\nconst C: u8 = 1;\nfn broken( {\n";

    proptest::proptest! {
        /// What `judge_buffer` relies on to skip looking for units of AI
        /// text that landed before BASE: when the non-whitespace bytes of
        /// the buffer's AI text all lie in the units judged (those holding
        /// verify's AI lines), every unit holding that AI text overlaps
        /// one of them.
        #[test]
        fn units_of_covered_ai_text_overlap_the_units_covering_it(
            ai in proptest::collection::vec((0.0f64..1.0, 0usize..40), 0..4),
            judged in proptest::collection::vec((0.0f64..1.0, 0usize..80), 0..4),
        ) {
            let text = Text::new(SOURCE.to_string()).unwrap();
            let tree = SyntaxTree::new(Language::Rust, SOURCE).unwrap();
            let ranges = |picked: &[(f64, usize)]| -> Vec<Range<usize>> {
                let mut out: Vec<Range<usize>> = picked
                    .iter()
                    .map(|&(at, len)| {
                        let start = (at * SOURCE.len() as f64) as usize;
                        start..(start + len).min(SOURCE.len())
                    })
                    .collect();
                out.sort_by_key(|r| r.start);
                out
            };
            let ai = ranges(&ai);
            // Verify's AI lines hold the buffer's AI text, and maybe more.
            let mut lines: Vec<Range<usize>> = ranges(&judged);
            lines.extend(ai.iter().cloned());
            lines.sort_by_key(|r| r.start);
            let held = units::review_units(Language::Rust, tree.tree(), &text, &lines);
            let covered: Vec<Range<usize>> = held.iter().map(|u| u.range.clone()).collect();
            if within(SOURCE.as_bytes(), &ai, &covered) {
                for unit in units::review_units(Language::Rust, tree.tree(), &text, &ai) {
                    proptest::prop_assert!(
                        covered.iter().any(|c| c.start < unit.range.end && unit.range.start < c.end),
                        "{:?} overlaps none of {:?}", unit, covered
                    );
                }
            }
        }
    }
}
