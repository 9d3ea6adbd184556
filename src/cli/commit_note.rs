//! The post-commit hook: the provenance note on the commit just made, and
//! the journal records it covers retired.
//!
//! For each file the commit added or changed, the journal's view of the
//! committed version gives its AI text; the note records, per origin, the
//! AI lines among the lines this commit added (older lines are covered by
//! the notes of the commits that added them, which blame finds), with the
//! ids of the approvals of the units that hold them and the rationale of
//! their latest request. A commit with no AI text gets the `no-ai`
//! attestation. Reading no blame keeps the hook quick.
//!
//! A journal record retires when all of its AI text is in the commit,
//! unchanged: text left out (partial staging, a stash) keeps its record, so
//! its provenance is still known when it is committed later. Records of a
//! person's mark that text is human-written are kept while they last.
//!
//! A cherry-pick carries the note of its source over; a rebase's commits get
//! their notes from the post-rewrite hook, and no attestation here.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::Context as _;
use git2::{Oid, Repository};

use super::Outcome;
use super::context::Context;
use super::gitfiles;
use super::history_index::AiPaths;
use super::judging::{Judge, JudgedUnit};
use crate::policy::{Policy, Status, Verdict};
use crate::provenance::{AiSource, Attribution, Evidence, Origin, diff};
use crate::signoff::Ledger;
use crate::store::journal::{Journal, Loaded, Record, RecordId};
use crate::store::notes::{self, FileRecord, NoteRecord};
use crate::store::policy_file::Source;

pub fn post_commit() -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let head = ctx.repo.head().context("cannot read HEAD")?.peel_to_commit().context("HEAD is not a commit")?;
    let action = ctx
        .repo
        .reflog("HEAD")
        .ok()
        .and_then(|log| log.get(0).and_then(|e| e.message().map(str::to_string)))
        .unwrap_or_default();
    let rebasing = action.starts_with("rebase");
    if action.starts_with("cherry-pick") {
        notes::follow_cherry_pick(&ctx.repo, head.id()).context("cannot carry the note of the cherry-picked commit")?;
    }
    let policy = match ctx.policy(&Source::Commit(head.id().to_string())) {
        Ok(policy) => policy,
        Err(e) => {
            eprintln!("vouch: warning: {e:#}; the note is written under the default policy");
            Policy::default()
        }
    };
    let ledger = ctx.ledger()?;
    let journal = ctx.journal()?;
    let note = note_for(&ctx, &policy, &ledger, &journal, &head)?;
    let mut records: Vec<NoteRecord> = note.files.into_iter().map(NoteRecord::File).collect();
    if records.is_empty() && !rebasing {
        records.push(NoteRecord::NoAi);
    }
    if !records.is_empty() {
        notes::write_note(&ctx.repo, head.id(), &records).context("cannot write the vouch note")?;
    }
    if !note.retire.is_empty() {
        journal.0.retire(&note.retire, head.id()).context("cannot retire the journal records the note covers")?;
    }
    Ok(Outcome::Ok)
}

/// What the post-commit hook writes.
#[derive(Debug, Default)]
pub struct Note {
    pub files: Vec<FileRecord>,
    /// Journal records the note covers.
    pub retire: Vec<RecordId>,
}

/// The note for `commit`, from the journal.
pub fn note_for(
    ctx: &Context,
    policy: &Policy,
    ledger: &Ledger,
    journal: &(Journal, Loaded),
    commit: &git2::Commit<'_>,
) -> anyhow::Result<Note> {
    let repo = &ctx.repo;
    let (_, loaded) = journal;
    // History is not read (no blame): the note is about this commit's text.
    let no_history = AiPaths::nothing();
    let authors = vec![String::from_utf8_lossy(commit.author().email_bytes()).into_owned()];
    let verified = super::judging::verifier(ctx, policy, &Source::Commit(commit.id().to_string()), false)?;
    let judge =
        Judge { ctx, policy, ledger, journal, history: &no_history, authors, strict: false, verified: &*verified };
    let parent = commit.parent(0).ok().map(|p| p.tree()).transpose().context("cannot read the parent's tree")?;
    let mut note = Note::default();
    for changed in gitfiles::committed(repo, commit)? {
        let records = loaded.records_for(&changed.path);
        if records.is_empty() {
            continue;
        }
        let Some(text) = gitfiles::blob_text(repo, changed.blob)? else { continue };
        let before = parent
            .as_ref()
            .and_then(|t| gitfiles::tree_blob(t, changed.from.as_deref().unwrap_or(&changed.path)))
            .map(|id| gitfiles::blob_text(repo, id))
            .transpose()?
            .flatten()
            .unwrap_or_default();
        // All of a new file, else the lines that differ from the parent's.
        let added = super::agents::inserted_ranges(&before, &text);
        let judged = judge.file(&changed.path, &changed.path, text.clone())?;
        note.files.extend(file_records(
            &changed.path,
            changed.blob,
            &text,
            &judged.spans,
            &added,
            &judged.units,
            ledger,
        ));
        note.retire.extend(retired(repo, &records, &text));
    }
    Ok(note)
}

/// The note's records for one committed file: AI lines among `added`, one
/// record per origin.
fn file_records(
    path: &str,
    blob: Oid,
    text: &str,
    spans: &[(Range<usize>, Attribution)],
    added: &[Range<usize>],
    units: &[JudgedUnit],
    ledger: &Ledger,
) -> Vec<FileRecord> {
    /// The AI bytes of one origin.
    struct Group {
        origin: AiSource,
        evidence: Evidence,
        accepted_by: Option<String>,
        bytes: Vec<Range<usize>>,
    }
    // Group the AI bytes that fall in added lines by origin.
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (range, attr) in spans {
        let Origin::Ai(source) = &attr.origin else { continue };
        for a in added {
            let (start, end) = (range.start.max(a.start), range.end.min(a.end));
            if start >= end || text[start..end].trim().is_empty() {
                continue;
            }
            let evidence = attr.evidence.unwrap_or(Evidence::Editor);
            let key = serde_json::to_string(&(source, evidence, &attr.accepted_by)).unwrap_or_default();
            let group = groups.entry(key).or_insert_with(|| Group {
                origin: source.clone(),
                evidence,
                accepted_by: attr.accepted_by.clone(),
                bytes: Vec::new(),
            });
            group.bytes.push(start..end);
        }
    }
    groups
        .into_values()
        .filter_map(|Group { origin, evidence, accepted_by, bytes }| {
            let ai = notes::bytes_to_lines(text, &bytes);
            if ai.is_empty() {
                return None;
            }
            let holding: Vec<&JudgedUnit> = units
                .iter()
                .filter(|u| bytes.iter().any(|b| b.start < u.facts.unit.range.end && u.facts.unit.range.start < b.end))
                .collect();
            let mut approvals: Vec<String> = holding.iter().flat_map(|u| approval_ids(u, ledger)).collect();
            approvals.sort();
            approvals.dedup();
            let rationale =
                holding.iter().find_map(|u| ledger.rationale(&u.facts.unit.fingerprint)).map(str::to_string);
            Some(FileRecord {
                path: path.to_string(),
                blob: blob.to_string(),
                ai,
                origin,
                evidence,
                accepted_by,
                rationale,
                approvals,
            })
        })
        .collect()
}

/// The ids of the approvals that count for `unit`.
fn approval_ids(unit: &JudgedUnit, ledger: &Ledger) -> Vec<String> {
    let Status::Approved { by } = &unit.judgement.assessment.status else { return Vec::new() };
    ledger
        .approvals
        .for_fingerprint(&unit.facts.unit.fingerprint)
        .iter()
        .filter(|a| {
            a.record.decision == Verdict::Approve && by.iter().any(|b| b.eq_ignore_ascii_case(&a.record.reviewer.email))
        })
        .map(|a| a.id.clone())
        .collect()
}

/// The records of one path that the commit of `text` covers: each holds AI
/// text, all of it in `text` unchanged, and no person's mark of human text.
fn retired(repo: &Repository, records: &[&Record], text: &str) -> Vec<RecordId> {
    let mut out = Vec::new();
    for record in records {
        let Some(file) = record.file() else { continue };
        let ai: Vec<Range<usize>> = file.ranges().filter(|(_, a)| a.is_ai()).map(|(r, _)| r).collect();
        let marked_human =
            file.ranges().any(|(_, a)| a.origin == Origin::Human && a.evidence == Some(Evidence::Manual));
        if ai.is_empty() || marked_human {
            continue;
        }
        let Some(old) = Oid::from_str(&file.blob).ok().and_then(|id| repo.find_blob(id).ok()) else { continue };
        let Ok(old) = std::str::from_utf8(old.content()) else { continue };
        let hunks = diff(old, text);
        let kept = ai.iter().all(|span| {
            span.end <= old.len()
                && hunks.iter().all(|h| {
                    let touches = if h.old.is_empty() {
                        span.start < h.old.start && h.old.start < span.end
                    } else {
                        h.old.start < span.end && span.start < h.old.end
                    };
                    !touches
                })
        });
        if kept {
            out.push(record.id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_added_ai_lines_are_noted_by_origin() {
        let ai = |tool: &str| {
            Attribution::ai(
                AiSource { tool: tool.into(), model: None, session: None, kind: None },
                Evidence::AgentHook,
                Some("a@x".into()),
            )
        };
        let text = "one\ntwo\nthree\nfour\n";
        // Lines 1-2 by tool a (line 1 not added by this commit), line 4 by b.
        let spans = vec![(0..8, ai("a")), (14..19, ai("b"))];
        let added: Vec<Range<usize>> = std::iter::once(4..19).collect();
        let records = file_records("f.txt", Oid::zero(), text, &spans, &added, &[], &Ledger::default());
        let got: Vec<(String, Vec<[u32; 2]>)> = records.iter().map(|r| (r.origin.tool.clone(), r.ai.clone())).collect();
        assert_eq!(got, vec![("a".to_string(), vec![[2, 2]]), ("b".to_string(), vec![[4, 4]])]);
        assert!(records.iter().all(|r| r.evidence == Evidence::AgentHook && r.accepted_by.as_deref() == Some("a@x")));
    }
}
