//! A reviewer's decision on a requested unit, judged one way wherever it
//! is made on the command line (`vouch approve`, `vouch reject`, the
//! interactive `vouch review`), as the language server's is made on its
//! buffer: the unit as the working tree holds it, when it is there (its
//! real AI lines, who accepted them, the people of the commits that touched
//! it: [`super::worktree`]), else from the request's own text; judged under
//! the policy and allowed signers at BASE ([`super::judge`]); the decision
//! checked by [`crate::signoff::decide_judged`]. A request's account of
//! itself never decides who may approve a unit the working tree holds.
//!
//! Also what follows a decision, for each of them: the warning that a
//! signature just made will not verify where `vouch verify` will check it.

use std::collections::HashMap;

use crate::document::Document;
use crate::policy::Policy;
use crate::provenance::{AiSource, Attribution, Evidence};
use crate::queue::{Held, Queue};
use crate::signoff::{Judgement, UnitFacts};
use crate::store::policy_file::Source;
use crate::store::records::{self, Approval, Request, RequestedUnit, Stored};
use crate::store::review_queue;
use crate::store::signature;
use crate::syntax::{Language, Unit};

use super::base::Base;
use super::context::Context;
use super::scope::AtBase;
use super::worktree::{FileUnits, Worktree};

/// Working-tree files read once each, for the units of requests.
pub struct Files<'a> {
    ctx: &'a Context,
    worktree: &'a Worktree,
    loaded: HashMap<String, Option<FileUnits>>,
}

/// A requested unit, where it stands, and what the reviewer is shown of it.
pub struct Candidate {
    pub facts: UnitFacts,
    /// The unit as shown: as the working tree has it, else as requested.
    pub shown: RequestedUnit,
    /// Its first line in the working tree, when it is there.
    pub line: Option<u32>,
    /// The one judge's word, with everyone who took part that vouch knows.
    pub judgement: Judgement,
    /// The working tree holds it: judged with its real AI lines and the
    /// people of the commits that touched it. Otherwise it was judged from
    /// the request's text as if all of it were AI, with only the people the
    /// records name ([`Candidate::unheld_note`]).
    pub held: bool,
}

impl Candidate {
    /// What a reviewer must be told of a decision on a unit their working
    /// tree lacks (`None` when it holds it): how it was judged, and what
    /// vouch verify, which judges it where it is, may still refuse.
    pub fn unheld_note(&self, path: &str) -> Option<String> {
        if self.held {
            return None;
        }
        let label = crate::signoff::unit_label(&self.facts.unit);
        if self.shown.is_trust_file() {
            return Some(format!(
                "{path} is not in your working tree as the request shows it: judged from the request's text"
            ));
        }
        if self.shown.is_deleted_file() {
            return Some(format!(
                "your working tree does not delete {path} as the request shows it: judged from the request's text \
                 (the text deleted), with no commit that deleted it known"
            ));
        }
        if self.shown.is_mode_change() {
            return Some(format!(
                "no AI changed the mode of {path} as the request shows it in your range since BASE: judged from the \
                 request's text, with no commit that changed it known"
            ));
        }
        let lines = git_line_count(self.shown.text.as_bytes());
        let claimed: u32 = self.shown.ai_lines.iter().map(|[a, b]| b + 1 - a).sum();
        Some(format!(
            "{label} in {path} is not in your working tree: its AI lines cannot be checked, so it was judged as if \
             all {lines} of its lines were AI (the request says {claimed}), and no commit that touched it is known; \
             vouch verify will not count a decision by an author or committer of such a commit (check out the \
             branch that holds it to be judged as verify will)"
        ))
    }
}

/// `facts` with every line of the unit's text AI: the strictest count.
fn all_ai(facts: &UnitFacts) -> UnitFacts {
    let mut strict = facts.clone();
    let len = strict.unit.range.len();
    strict.unit.ai_bytes = len;
    strict.unit.ai_lines = strict.unit.lines;
    strict.unit.ai_ranges = (len > 0).then_some(0..len).into_iter().collect();
    strict.unit.ai_share = 1.0;
    strict
}

impl<'a> Files<'a> {
    pub fn new(ctx: &'a Context, worktree: &'a Worktree) -> Files<'a> {
        Files { ctx, worktree, loaded: HashMap::new() }
    }

    pub fn worktree(&self) -> &'a Worktree {
        self.worktree
    }

    /// The file (or submodule) at `path`, or `None` when the working tree
    /// has no such thing.
    pub fn get(&mut self, path: &str) -> anyhow::Result<Option<&FileUnits>> {
        if !self.loaded.contains_key(path) {
            let file = self.worktree.file(self.ctx, path)?;
            self.loaded.insert(path.to_string(), file);
        }
        Ok(self.loaded.get(path).and_then(Option::as_ref))
    }

    /// Where `unit` (a unit of a request, its fingerprint checked against
    /// its text) stands. Found in the working tree by its fingerprint, its
    /// real provenance names who accepted the AI text and which lines are
    /// AI, and the range's commits that touched it name who authored them;
    /// elsewhere, the request's text is judged with the participants the
    /// records name.
    pub fn candidate(&mut self, unit: &RequestedUnit) -> anyhow::Result<Candidate> {
        let worktree = self.worktree;
        let here = self.in_worktree(unit)?;
        Ok(match here {
            Some(found) => found,
            None => {
                let facts = facts_from_text(unit, &unit.fingerprint);
                // Its AI lines cannot be checked here, so it is judged as
                // if every line of its text were AI (the strictest count:
                // no [[triage]] rule or threshold a smaller count would
                // meet): the request's own account never lets in someone
                // the real count would not.
                let judgement = if unit.is_whole_file() {
                    judge_requested(&self.ctx.repo, worktree, unit, &facts)
                } else {
                    judge_requested(&self.ctx.repo, worktree, unit, &all_ai(&facts))
                };
                Candidate { facts, shown: unit.clone(), line: None, judgement, held: false }
            }
        })
    }
}

impl Files<'_> {
    /// Where `unit` stands when the working tree holds a unit with its
    /// fingerprint (judged with its real provenance and people); `None`
    /// when it does not.
    pub fn in_worktree(&mut self, unit: &RequestedUnit) -> anyhow::Result<Option<Candidate>> {
        if unit.is_mode_change() {
            return self.mode_change_here(unit);
        }
        Ok(self.get(&unit.path)?.and_then(|file| {
            let found = file.units.iter().find(|u| u.facts.unit.fingerprint == unit.fingerprint)?;
            // A trust file's change and a deleted file are the whole file.
            let whole = found.trust_file || found.deleted_file;
            let shown = if whole { unit.clone() } else { file.requested(&found.facts) };
            let line = (!whole).then(|| file.line_of(found.facts.unit.range.start));
            Some(Candidate { facts: found.facts.clone(), shown, line, judgement: found.judgement.clone(), held: true })
        }))
    }
}

impl Files<'_> {
    /// Where `unit`, an AI's change of a file's mode, stands when the range
    /// since BASE holds that very change (judged with the people of the
    /// commits that changed the path, as verify judges it); `None` when it
    /// does not.
    fn mode_change_here(&self, unit: &RequestedUnit) -> anyhow::Result<Option<Candidate>> {
        let scope = &self.worktree.prepared.scope;
        let found = scope.ai_mode_changes(&self.ctx.repo, Some(&unit.path))?;
        let Some(found) = found.into_iter().find(|m| m.change.fingerprint == unit.fingerprint) else { return Ok(None) };
        let judge = self.worktree.prepared.judge_with();
        let fingerprint = &found.change.fingerprint;
        let judgement =
            judge.ledger.judge_mode_change(judge.policy, &unit.path, fingerprint, &found.people, judge.verified);
        let facts = facts_from_text(unit, fingerprint);
        Ok(Some(Candidate { facts, shown: unit.clone(), line: None, judgement, held: true }))
    }
}

/// The review queue as `vouch review` and the editor's `vouch/pending`
/// offer it ([`crate::store::review_queue`]), under the policy and allowed
/// signers at BASE (`at`; `base` as given with `--base`): each requested
/// unit the working tree holds as the judge judges it there ([`Holder`]),
/// the others on their requests' account. The working tree is read
/// whenever there is a request, and returned for the decisions that
/// follow: a unit its request's account calls approved may still await
/// sign-off where it is held, when an approver authored a commit that
/// touched it or accepted its AI text and the records do not say so.
pub fn queue(ctx: &Context, at: &AtBase, base: Option<&Base>) -> anyhow::Result<ReviewQueue> {
    // Whether there is a request at all, told from the records cache's
    // header; the requests themselves are read once, by the records the
    // judge reads.
    let (requests, _) = records::Records::<Request>::open(&ctx.repo)?;
    if requests.is_empty() {
        let ledger = ctx.ledger()?;
        let queue = review_queue::load(&ctx.repo, &at.policy, &at.source, &ledger, &[], &|_| None)?;
        return Ok(ReviewQueue { queue, judged: Judged::Records(ledger) });
    }
    drop(requests);
    let worktree = Worktree::open_at(ctx, base)?;
    let queue = {
        let holder = Holder::new(ctx, &worktree);
        let requests: Vec<&Stored<Request>> = worktree.ledger().requests.iter().collect();
        review_queue::load(&ctx.repo, &at.policy, &at.source, worktree.ledger(), &requests, &|u| holder.held(u))?
    };
    Ok(ReviewQueue { queue, judged: Judged::Worktree(Box::new(worktree)) })
}

/// The review queue read by [`queue`].
pub struct ReviewQueue {
    pub queue: Queue,
    judged: Judged,
}

/// What a queue was judged by.
enum Judged {
    /// The working tree, read to judge the units it holds (there is a
    /// request).
    Worktree(Box<Worktree>),
    /// The records alone (there is no request).
    Records(crate::signoff::Ledger),
}

impl ReviewQueue {
    /// The records the queue was judged by.
    pub fn ledger(&self) -> &crate::signoff::Ledger {
        match &self.judged {
            Judged::Worktree(worktree) => worktree.ledger(),
            Judged::Records(ledger) => ledger,
        }
    }

    /// Every request of the repository, as read.
    pub fn requests(&self) -> impl Iterator<Item = &Stored<Request>> {
        self.ledger().requests.iter()
    }

    /// The queue, and the working tree when it was read (for the decisions
    /// that follow).
    pub fn into_parts(self) -> (Queue, Option<Worktree>) {
        match self.judged {
            Judged::Worktree(worktree) => (self.queue, Some(*worktree)),
            Judged::Records(_) => (self.queue, None),
        }
    }
}

/// The review queue's view of the requested units the working tree holds
/// ([`crate::queue::Lifecycle::held`]): each judged as a decision on it
/// would be judged ([`Files::in_worktree`]), so that the queue offers it
/// by the count the judge uses, not by the request's own account.
pub struct Holder<'a> {
    files: std::cell::RefCell<Files<'a>>,
    /// The paths that may hold a unit verify will judge
    /// ([`super::next::Prepared::judged_paths`]): no other is read.
    judged: std::collections::HashSet<String>,
}

impl<'a> Holder<'a> {
    fn new(ctx: &'a Context, worktree: &'a Worktree) -> Holder<'a> {
        let judged = worktree.prepared.judged_paths();
        Holder { files: std::cell::RefCell::new(Files::new(ctx, worktree)), judged }
    }

    /// `unit` as the working tree holds it, judged; `None` when it holds
    /// no unit with its fingerprint, or cannot be read (a warning: the
    /// request's own account is used then, and the decision is judged
    /// again when it is made).
    pub fn held(&self, unit: &RequestedUnit) -> Option<Held> {
        if !self.judged.contains(&unit.path) {
            return None;
        }
        match self.files.borrow_mut().in_worktree(unit) {
            Ok(found) => found.map(|c| Held {
                ai_lines: c.shown.ai_lines.clone(),
                ai_deleted: c.facts.ai_deleted(),
                judgement: c.judgement,
            }),
            Err(e) => {
                eprintln!("vouch: warning: cannot read {} to judge its requested units: {e:#}", unit.path);
                None
            }
        }
    }
}

/// Where a requested unit stands from its own account (it is not in the
/// working tree as the request shows it): the judge's word on its
/// fingerprint, with no participant but those the records name.
pub fn judge_requested(
    repo: &git2::Repository,
    worktree: &Worktree,
    unit: &RequestedUnit,
    facts: &UnitFacts,
) -> Judgement {
    let judge = worktree.prepared.judge_with();
    if unit.is_trust_file() {
        let content = (unit.kind != crate::fingerprint::TRUST_ABSENT).then(|| unit.text.as_bytes());
        // Not known (an unreadable history) counts no approval as stale:
        // verify, which fails on it, decides.
        let since = worktree.prepared.scope.trust_last_change(repo, &unit.path).ok().flatten();
        return judge.ledger.judge_trust_file(repo, judge.policy, &unit.path, content, &[], judge.verified, since).1;
    }
    if unit.is_mode_change() {
        return judge.ledger.judge_mode_change(judge.policy, &unit.path, &unit.fingerprint, &[], judge.verified);
    }
    if unit.is_deleted_file() {
        let lines = git_line_count(unit.text.as_bytes()) as u32;
        let risk = crate::signoff::risk_of_text(&unit.path, unit.text.as_bytes());
        return judge.ledger.judge_deleted_file(
            judge.policy,
            &unit.path,
            &unit.fingerprint,
            lines,
            &risk,
            &[],
            judge.verified,
        );
    }
    judge.ledger.judge(judge.policy, (&unit.path, None), facts, &[], judge.verified)
}

/// A unit's facts from its text alone (a unit no longer in the working
/// tree): the risk tags of every syntax unit in the text, its AI lines as
/// the request states them, and nobody known to have accepted it.
pub fn facts_from_text(unit: &RequestedUnit, fingerprint: &str) -> UnitFacts {
    let language = Language::ALL.into_iter().find(|l| l.name() == unit.language).unwrap_or(Language::Text);
    let bytes = unit.text.as_bytes();
    let source = AiSource {
        tool: unit.tool.clone().unwrap_or_else(|| "unknown".into()),
        model: unit.model.clone(),
        session: None,
        kind: None,
    };
    // Risk is read from the whole text, so it cannot be understated by
    // the request's own account of which lines are AI.
    let mut risk: Vec<String> = Vec::new();
    if let Some(text) = unit.text.as_text()
        && let Ok(mut doc) = Document::new(language, text.to_string())
    {
        doc.set_attribution(0..text.len(), &Attribution::ai(source.clone(), Evidence::Manual, None));
        for u in doc.units() {
            risk.extend(u.risk);
        }
    }
    risk.sort();
    risk.dedup();
    let lines = git_line_count(bytes);
    let ai_lines: usize = unit
        .ai_lines
        .iter()
        .map(|&[a, b]| (b.min(lines as u32) as usize + 1).saturating_sub(a as usize))
        .sum::<usize>()
        .min(lines);
    let ai_ranges = crate::store::notes::lines_to_bytes(bytes, &unit.ai_lines);
    let ai_bytes: usize = ai_ranges.iter().map(|r| r.len()).sum();
    UnitFacts {
        unit: Unit {
            // A change of mode's kind is the new mode: named as verify names it.
            kind: if unit.is_mode_change() { crate::signoff::MODE_CHANGE.to_string() } else { unit.kind.clone() },
            name: unit.name.clone(),
            range: 0..bytes.len(),
            fingerprint: fingerprint.to_string(),
            ai_bytes,
            ai_lines,
            ai_ranges,
            lines,
            ai_share: if bytes.is_empty() { 0.0 } else { ai_bytes as f32 / bytes.len() as f32 },
            risk,
        },
        ai_range: 0..bytes.len(),
        sources: vec![source.clone()],
        acceptors: Vec::new(),
        suspected: false,
        // A request names no AI line of a unit only when an AI removed
        // lines from it (a removal leaves none): it needs sign-off as
        // such, however many lines went. A change of a file's mode
        // changes no line.
        deletions: if unit.ai_lines.is_empty() && !unit.is_mode_change() {
            vec![crate::provenance::AiDeletion {
                at: 0,
                lines: 0,
                first: String::new(),
                attribution: Attribution::ai(source, Evidence::Manual, None),
                replaced: 0,
            }]
        } else {
            Vec::new()
        },
    }
}

/// The number of lines of `bytes` as git counts them (at least one).
pub fn git_line_count(bytes: &[u8]) -> usize {
    crate::store::notes::line_spans(bytes).len().max(1)
}

/// Warnings for decisions just written (`written`: record id and record)
/// that will not count where signatures are required: each signature (or
/// its lack) checked against the allowed-signers file as committed at
/// HEAD, and at the default branch's tip (what `vouch verify` will most
/// likely take as BASE) when that is another commit, each named. Nothing
/// when no policy there (nor `policy`) requires signatures and the
/// decisions are unsigned.
pub fn unverifiable(repo: &git2::Repository, policy: &Policy, written: &[(&str, &Approval)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut places: Vec<(String, String)> = Vec::new();
    if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
        places.push(("HEAD".to_string(), head.id().to_string()));
        if let Some((name, tip)) = default_branch(repo)
            && tip != head.id()
        {
            places.push((name, tip.to_string()));
        }
    }
    for (name, rev) in places {
        let source = Source::Commit(rev);
        let Ok(at) = crate::store::policy_file::load(repo, &source) else { continue };
        let required = at.require_signatures() || policy.require_signatures();
        if !required && written.iter().all(|(_, a)| a.signature.is_none()) {
            continue;
        }
        let signers = match signature::load_allowed_signers(repo, &at, &source) {
            Ok(signers) => signers,
            Err(e) => {
                out.push(format!("cannot check your signature against {name}'s allowed signers: {e}"));
                continue;
            }
        };
        for (id, approval) in written {
            if let Err(problem) = signers.check_approval(approval) {
                let short = &id[..12.min(id.len())];
                let consequence = if required {
                    "vouch verify will not count it where the policy requires signatures"
                } else {
                    "it will not count if the policy comes to require signatures"
                };
                out.push(format!(
                    "decision {short} does not verify against the allowed signers at {name} ({}): it {}; {consequence}",
                    crate::display::line(at.allowed_signers()),
                    crate::display::line(&problem.to_string())
                ));
            }
        }
    }
    out
}

/// The default branch's tip as this clone knows it: what `origin/HEAD`
/// points to, else a local `main` or `master`.
fn default_branch(repo: &git2::Repository) -> Option<(String, git2::Oid)> {
    if let Ok(reference) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Some(target) = reference.symbolic_target()
        && let Ok(tip) = repo.refname_to_id(target)
    {
        return Some((target.trim_start_matches("refs/remotes/").to_string(), tip));
    }
    ["main", "master"]
        .into_iter()
        .find_map(|b| repo.refname_to_id(&format!("refs/heads/{b}")).ok().map(|tip| (b.to_string(), tip)))
}
