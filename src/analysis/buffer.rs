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
) -> anyhow::Result<Vec<JudgedUnit>> {
    let text = doc.text().as_str().to_string();
    let conversion = crate::store::attributes::conversion(repo, rel, text.as_bytes());
    let blob = crate::eol::apply(conversion, text.as_bytes()).into_owned();
    // The editor's AI text, line by line (one rule for every count), laid
    // on the blob's lines.
    let shown: Vec<(Range<usize>, Attribution)> =
        doc.provenance().to_vec().into_iter().filter(|(_, a)| a.is_ai()).collect();
    let per_line = crate::provenance::line_attributions(text.as_bytes(), &shown);
    let blob_lines = crate::store::notes::line_spans(&blob);
    let spans: Vec<(Range<usize>, Attribution)> =
        blob_lines.iter().zip(&per_line).filter_map(|(r, a)| a.as_ref().map(|a| (r.clone(), a.clone()))).collect();
    let id = git2::Oid::hash_object(git2::ObjectType::Blob, &blob)?;
    let file = super::attribution::FileVersion {
        path: rel.to_string(),
        history_path: rel.to_string(),
        blob: id,
        content: Content::of_blob(blob),
    };
    let mut deletions = deletions.to_vec();
    let spans = match derived {
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
    let content = file.content.clone();
    let pending = NextFile { file, spans, deletions };
    let next = scope.next_commit(repo, &[pending], &[], people, false)?;
    // Verify's AI lines, in the buffer's coordinates.
    let buffer_lines = crate::store::notes::line_spans(text.as_bytes());
    let claims = next.line_claims(rel);
    let in_scope: Vec<(Range<usize>, Attribution)> =
        buffer_lines.iter().zip(&claims).filter_map(|(r, a)| a.as_ref().map(|a| (r.clone(), a.clone()))).collect();
    let ranges: Vec<Range<usize>> = in_scope.iter().map(|(r, _)| r.clone()).collect();
    let map = ProvenanceMap::from_ranges(text.len(), &in_scope);
    let mut facts = signoff::facts_of(doc.units_holding(&ranges), &map, &text);
    // Verify's AI deletions, in the buffer's coordinates (by line: the
    // blob's lines are the buffer's).
    let in_blob = next.ai_deletions(rel, &content);
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
        let (first, last) =
            (line_of(f.unit.range.start), line_of(f.unit.range.end.saturating_sub(1).max(f.unit.range.start)));
        let at: Vec<usize> = in_blob
            .iter()
            .zip(&shifted)
            .filter(|(_, s)| f.deletions.iter().any(|d| d.at == s.at))
            .map(|(b, _)| b.at)
            .collect();
        let (commits, touched, people) = next.touching(rel, first, last, content.as_bytes(), &at);
        let unit =
            ScopedUnit { path: rel.to_string(), facts: f, line: first, end_line: last, commits, next: touched, people };
        out.push(judge.unit(&unit));
    }
    // AI text the buffer shows that verify will not ask about: it landed
    // before BASE.
    let mut landed = signoff::unit_facts(doc);
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
    Ok(out)
}
