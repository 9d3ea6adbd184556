//! Which evidence made a unit's lines AI, named as `vouch log`, `vouch
//! blame` and verify's coverage name a commit's evidence (`vouch note`,
//! `imported: agent-trace` for a note record imported from another tool,
//! `git-ai note`, `trailer: claude`, `aider author`, `bot author: …`),
//! with `journal` for the AI text the next commit's note will record and
//! `… (carried from <commit>)` for lines a pending squash merge,
//! cherry-pick or re-commit carries from its source commit
//! ([`super::derived`]), and `AI deletion (…)` for the evidence of lines an
//! AI removed from a unit (a removal leaves no AI line to name).
//!
//! The range's lineage keeps, for each line, the AI claim that made it AI
//! and the commits that touched it, not which of a commit's kinds of
//! evidence made the claim: that is found here by asking each of those
//! commits' evidence which claims it makes, as the lineage reads it
//! ([`crate::store::lineage`]: a vouch note record's attribution, a git-ai
//! note's, a declaration's). Only asked for when a view shows it
//! (`vouch status`), so the gate never pays for it.

use std::collections::HashMap;

use git2::{Oid, Repository};

use crate::provenance::{AiSource, Attribution, Evidence};
use crate::store::history::{self, GitAiNote, GitAiReader};
use crate::store::notes::{self, NoteRecord};

/// The label of AI text the journal holds: what the next commit's note
/// will record (as `vouch blame` names it).
pub const JOURNAL: &str = "journal";

/// What evidence of a removal is named as, before the evidence itself
/// (`AI deletion (trailer: claude)`): a removal leaves no AI line, and a
/// unit can need sign-off for it alone.
pub const AI_DELETION: &str = "AI deletion";

/// The AI claims one commit's evidence makes, each with its label.
#[derive(Debug, Default)]
struct Claims {
    /// Each claim (an attribution) with the evidence that makes it.
    claims: Vec<(Attribution, String)>,
}

impl Claims {
    fn label_of(&self, attribution: &Attribution) -> Option<&str> {
        self.claims.iter().find(|(a, _)| a == attribution).map(|(_, l)| l.as_str())
    }

    /// Every label, each once, in the order of the evidence.
    fn labels(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (_, label) in &self.claims {
            if !out.contains(&label.as_str()) {
                out.push(label);
            }
        }
        out
    }
}

/// Names evidence, reading each commit's evidence once.
pub struct Namer<'r> {
    repo: &'r Repository,
    bots: &'r [String],
    git_ai: GitAiReader<'r>,
    known: HashMap<Oid, Claims>,
}

impl<'r> Namer<'r> {
    /// `bots`: the policy's bot authors (BASE's), as the lineage read them.
    pub fn new(repo: &'r Repository, bots: &'r [String]) -> Namer<'r> {
        Namer { repo, bots, git_ai: GitAiReader::new(repo), known: HashMap::new() }
    }

    /// The label of the evidence of `commit` that claims `attribution`;
    /// when none claims exactly that, every kind of AI evidence the commit
    /// carries (the claim came to the line through a rewrite of AI text it
    /// carried). What cannot be read is said as such, never dropped.
    pub fn commit_labels(&mut self, commit: Oid, attribution: &Attribution) -> Vec<String> {
        let claims = self.claims(commit);
        match claims.label_of(attribution) {
            Some(label) => vec![label.to_string()],
            None => claims.labels().into_iter().map(str::to_string).collect(),
        }
    }

    /// Whether `commit` carries evidence that claims exactly `attribution`.
    pub fn claims_exactly(&mut self, commit: Oid, attribution: &Attribution) -> Option<String> {
        self.claims(commit).label_of(attribution).map(str::to_string)
    }

    fn claims(&mut self, commit: Oid) -> &Claims {
        if !self.known.contains_key(&commit) {
            let claims = read_claims(self.repo, &mut self.git_ai, commit, self.bots);
            self.known.insert(commit, claims);
        }
        &self.known[&commit]
    }
}

/// The AI claims of `commit`'s evidence. Evidence that cannot be read (a
/// malformed note) is named as unreadable: verify refuses it, and a view
/// says what it could not read.
fn read_claims(repo: &Repository, git_ai: &mut GitAiReader<'_>, commit: Oid, bots: &[String]) -> Claims {
    let mut claims = Claims::default();
    match notes::read_note(repo, commit) {
        Ok(Some(records)) => {
            for record in records {
                if let NoteRecord::File(f) = record
                    && (!f.ai.is_empty() || !f.deleted_before.is_empty() || f.removed)
                {
                    claims.claims.push((f.attribution(), f.evidence_label()));
                }
            }
        }
        Ok(None) => {}
        Err(e) => claims.claims.push((Attribution::unknown(), format!("unreadable vouch note: {e}"))),
    }
    if let Ok(c) = repo.find_commit(commit)
        && let Some(declared) = history::commit_declaration(&c, bots)
    {
        let source = AiSource { tool: declared.tool(), model: None, session: None, kind: None };
        claims.claims.push((Attribution::ai(source, Evidence::History, None), declared.label()));
    }
    match git_ai.read(commit) {
        Ok(Some(note)) => {
            for attribution in git_ai_claims(&note) {
                claims.claims.push((attribution, "git-ai note".to_string()));
            }
        }
        Ok(None) => {}
        Err(e) => claims.claims.push((Attribution::unknown(), format!("unreadable git-ai note: {e}"))),
    }
    claims
}

/// Every AI attribution a git-ai note gives some line, as git-ai reads it
/// ([`GitAiNote::attribution`]): asked where an entry starts or ends,
/// which is where the answer can change.
fn git_ai_claims(note: &GitAiNote) -> Vec<Attribution> {
    let mut out: Vec<Attribution> = Vec::new();
    for (path, entries) in &note.files {
        let mut points: Vec<u32> =
            entries.iter().flat_map(|(ranges, _)| ranges.iter().flat_map(|r| [r[0], r[1].saturating_add(1)])).collect();
        points.sort_unstable();
        points.dedup();
        for line in points {
            if let Some(a) = note.attribution(path, line).filter(Attribution::is_ai)
                && !out.contains(&a)
            {
                out.push(a);
            }
        }
    }
    out
}

/// Add `labels` to `out`, each once, in order.
pub fn add_labels(out: &mut Vec<String>, labels: impl IntoIterator<Item = String>) {
    for label in labels {
        if !out.contains(&label) {
            out.push(label);
        }
    }
}
