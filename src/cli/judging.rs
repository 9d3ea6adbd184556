//! Where the AI-written units of one file version stand: its attribution
//! (history and journal), its review units, and each unit's judgement under
//! the policy and the records. Shared by `vouch check`, `vouch status` and
//! the post-commit hook, so that they agree with each other (and, through
//! [`crate::signoff`], with the language server and the verifier).

use std::ops::Range;

use anyhow::Context as _;

use super::context::Context;
use super::history_index::AiPaths;
use crate::document::Document;
use crate::policy::{Policy, ReviewerSet, Status};
use crate::provenance::{Attribution, Origin, ProvenanceMap, Spans};
use crate::signoff::{self, Judgement, Ledger, UnitFacts};
use crate::store::history;
use crate::store::journal::{Journal, Loaded};
use crate::store::policy_file::Source;
use crate::store::records::{Approval, Stored};
use crate::store::signature;

/// Everything a judgement needs, read once per command.
pub struct Judge<'a> {
    pub ctx: &'a Context,
    pub policy: &'a Policy,
    pub ledger: &'a Ledger,
    pub journal: &'a (Journal, Loaded),
    pub history: &'a AiPaths,
    /// Who authors (or will author) the commit: they may not approve.
    pub authors: Vec<String>,
    /// Fail on any journal record that cannot be applied (the gate).
    pub strict: bool,
    /// Whether an approval's signature verifies (see
    /// [`crate::store::signature`]); only asked when the policy requires
    /// signatures.
    pub verified: &'a dyn Fn(&Stored<Approval>) -> bool,
}

/// One AI-written unit and where it stands.
#[derive(Debug, Clone)]
pub struct JudgedUnit {
    pub path: String,
    /// 1-based lines of the unit.
    pub line: usize,
    pub end_line: usize,
    pub facts: UnitFacts,
    pub judgement: Judgement,
    /// The gate refuses it: it lacks sign-off, and its AI text is not
    /// merely suspected (unless the policy's `heuristic_blocks` says so).
    pub blocking: bool,
}

impl JudgedUnit {
    /// The unit lacks the sign-off the policy requires.
    pub fn lacks_signoff(&self) -> bool {
        self.judgement.assessment.status.is_blocking()
    }

    /// `approved`, `rejected`, `requested`, `pending`, `not-required`, or
    /// `suspected` (heuristic AI text nobody has classified yet).
    pub fn state(&self) -> &'static str {
        match &self.judgement.assessment.status {
            _ if self.facts.suspected && self.lacks_signoff() => "suspected",
            Status::NotRequired => "not-required",
            Status::Approved { .. } => "approved",
            Status::Rejected { .. } => "rejected",
            Status::Requested { .. } => "requested",
            Status::Pending { .. } => "pending",
        }
    }

    /// Why it stands where it does, in words.
    pub fn reason(&self) -> String {
        if self.facts.suspected && self.lacks_signoff() {
            return format!(
                "suspected AI text (a large insertion nobody classified); {}",
                self.judgement.assessment.status
            );
        }
        self.judgement.assessment.status.to_string()
    }

    /// Who may sign it off, as the policy names them.
    pub fn reviewers(&self) -> Vec<String> {
        match &self.judgement.requirement.reviewers {
            ReviewerSet::Listed { names, .. } => names.clone(),
            ReviewerSet::Peers => vec!["any peer".into()],
            ReviewerSet::Unconfigured => vec!["anyone (no reviewers configured)".into()],
        }
    }

    /// The people who may not sign it off, lowercase, deduplicated.
    pub fn excluded(&self) -> Vec<String> {
        let p = &self.judgement.participants;
        let mut all: Vec<String> =
            p.acceptors.iter().chain(&p.requesters).chain(&p.authors).map(|e| e.to_ascii_lowercase()).collect();
        all.sort();
        all.dedup();
        all
    }

    /// The AI tools that wrote it, each once.
    pub fn tools(&self) -> Vec<&str> {
        let mut tools: Vec<&str> = Vec::new();
        for source in &self.facts.sources {
            if !tools.contains(&source.tool.as_str()) {
                tools.push(&source.tool);
            }
        }
        tools
    }

    /// `function `name``, or the kind alone.
    pub fn label(&self) -> String {
        signoff::unit_label(&self.facts.unit)
    }
}

/// A file version with its attribution and judged units.
pub struct JudgedFile {
    pub doc: Document,
    pub spans: Spans,
    pub units: Vec<JudgedUnit>,
}

impl Judge<'_> {
    /// The attribution of `text`, a version of `path`: history (when the
    /// history index says it may hold AI lines; `history_path` is where the
    /// file was in HEAD, for a renamed file), overridden by the journal.
    pub fn spans(&self, path: &str, history_path: &str, text: &str) -> anyhow::Result<Spans> {
        let repo = &self.ctx.repo;
        let bots = self.policy.bots();
        let history = if self.history.may_have_ai(history_path) {
            if history_path == path {
                signoff::history_spans(repo, path, text, bots)
            } else {
                history_of_renamed(repo, history_path, text, bots)
            }
            .with_context(|| format!("cannot read the provenance of {path}"))?
        } else {
            Vec::new()
        };
        let (journal, loaded) = self.journal;
        let view =
            journal.view(repo, loaded, path, text).with_context(|| format!("cannot read the provenance of {path}"))?;
        if let Some(problem) = view.problems.first() {
            if self.strict {
                anyhow::bail!("{path}: {problem}; refusing to decide without it");
            }
            eprintln!("vouch: warning: {path}: {problem}");
        }
        Ok(overlay(text.len(), &history, &view.spans))
    }

    /// Judge the AI-written units of `text`, a version of `path`.
    pub fn file(&self, path: &str, history_path: &str, text: String) -> anyhow::Result<JudgedFile> {
        let spans = self.spans(path, history_path, &text)?;
        let (doc, facts) = self.ctx.facts(path, text, &spans)?;
        let lines = doc.text().lines();
        let units = facts
            .into_iter()
            .map(|facts| {
                let judgement = self.ledger.judge(self.policy, path, &facts, &self.authors, self.verified);
                let line = lines.line_of(facts.unit.range.start) + 1;
                let end_line = lines.line_of(facts.unit.range.end.saturating_sub(1).max(facts.unit.range.start)) + 1;
                let blocking = judgement.assessment.status.is_blocking()
                    && (!facts.suspected || self.policy.detection().heuristic_blocks);
                JudgedUnit { path: path.to_string(), line, end_line, facts, judgement, blocking }
            })
            .collect();
        Ok(JudgedFile { doc, spans, units })
    }
}

/// The signature check for approvals under `policy`, with the allowed
/// signers of `source`. When the policy requires no signatures nothing is
/// read. Strict (the gate), an allowed-signers file that cannot be read is
/// an error; otherwise a warning, and no signature verifies.
pub fn verifier(
    ctx: &Context,
    policy: &Policy,
    source: &Source,
    strict: bool,
) -> anyhow::Result<super::units::Verifier> {
    if !policy.require_signatures() {
        return Ok(Box::new(|_| false));
    }
    match signature::approval_verifier_at(&ctx.repo, policy, source) {
        Ok(verified) => Ok(verified),
        Err(e) if strict => Err(anyhow::Error::new(e).context("cannot check approvals' signatures")),
        Err(e) => {
            eprintln!("vouch: warning: {e}; no approval's signature can be verified");
            Ok(Box::new(|_| false))
        }
    }
}

/// Which version of the files to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The index `git commit` will commit.
    Staged,
    /// The files on disk.
    Worktree,
}

impl Version {
    pub fn label(self) -> &'static str {
        match self {
            Version::Staged => "index",
            Version::Worktree => "worktree",
        }
    }
}

/// The AI-written units of the files that `version` changes against HEAD
/// (and, on disk, of the files the journal holds records for), in path
/// order. A binary file is skipped, unless the journal holds AI records for
/// it: then, strict, it is an error.
pub fn changed_units(judge: &Judge<'_>, version: Version) -> anyhow::Result<Vec<JudgedUnit>> {
    let repo = &judge.ctx.repo;
    let (_, loaded) = judge.journal;
    let recorded = |path: &str| !loaded.records_for(path).is_empty();
    // (path, path in HEAD for history, text or None when binary)
    let mut files: Vec<(String, String, Option<String>)> = Vec::new();
    match version {
        Version::Staged => {
            let mut index = crate::store::repo::index(repo).context("cannot read the index")?;
            for changed in super::gitfiles::staged(repo, &mut index)? {
                let text = super::gitfiles::blob_text(repo, changed.blob)?;
                let history = changed.from.unwrap_or_else(|| changed.path.clone());
                files.push((changed.path, history, text));
            }
        }
        Version::Worktree => {
            let mut paths = super::gitfiles::worktree_changed(repo)?;
            paths.extend(loaded.live().filter_map(|r| r.path()).map(str::to_string));
            paths.sort();
            paths.dedup();
            for path in paths {
                let full = judge.ctx.root.join(&path);
                let is_file = std::fs::symlink_metadata(&full).is_ok_and(|m| m.file_type().is_file());
                if !is_file {
                    continue;
                }
                let bytes = std::fs::read(&full).with_context(|| format!("cannot read {path}"))?;
                files.push((path.clone(), path, String::from_utf8(bytes).ok()));
            }
        }
    }
    let mut units = Vec::new();
    for (path, history, text) in files {
        let Some(text) = text else {
            if recorded(&path) {
                let message = format!("{path} is not UTF-8 text, but the journal holds AI records for it");
                if judge.strict {
                    anyhow::bail!("{message}; refusing to decide without it");
                }
                eprintln!("vouch: warning: {message}");
            }
            continue;
        };
        units.extend(judge.file(&path, &history, text)?.units);
    }
    Ok(units)
}

/// History spans of `text`, the new content of a file that HEAD has at
/// `old_path` (a staged rename): blamed against that path.
fn history_of_renamed(
    repo: &git2::Repository,
    old_path: &str,
    text: &str,
    bots: &[String],
) -> Result<Vec<(Range<usize>, Attribution)>, history::HistoryError> {
    let in_head =
        repo.head().and_then(|h| h.peel_to_tree()).and_then(|t| t.get_path(std::path::Path::new(old_path))).is_ok();
    if !in_head {
        return Ok(Vec::new());
    }
    let origins = history::blame_contents(repo, old_path, Some("HEAD"), text.as_bytes(), bots)?;
    Ok(history::line_origins_to_spans(text, &origins))
}

/// `history`, with the journal's attributed ranges painted over it (they
/// are newer); only attributed ranges are returned.
fn overlay(len: usize, history: &[(Range<usize>, Attribution)], journal: &[(Range<usize>, Attribution)]) -> Spans {
    let mut map = ProvenanceMap::from_ranges(len, history);
    for (range, attr) in journal.iter().filter(|(_, a)| a.origin != Origin::Unknown) {
        let id = map.intern(attr);
        map.set(range.clone(), id);
    }
    map.to_vec().into_iter().filter(|(_, a)| a.origin != Origin::Unknown).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{AiSource, Evidence};

    #[test]
    fn the_journal_paints_over_history() {
        let ai = Attribution::ai(
            AiSource { tool: "t".into(), model: None, session: None, kind: None },
            Evidence::History,
            None,
        );
        let human = Attribution { origin: Origin::Human, evidence: Some(Evidence::Manual), accepted_by: None };
        let got = overlay(10, &[(0..6, ai.clone())], &[(4..8, human.clone()), (8..10, Attribution::unknown())]);
        assert_eq!(got, vec![(0..4, ai), (4..8, human)]);
    }
}
