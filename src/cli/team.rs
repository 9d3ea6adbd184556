//! What `vouch stats` and `vouch report` measure, read from git: the
//! reviewer's queue and the request states, review latency, and the range's
//! numbers (the AI share of the lines its commits added, per evidence kind,
//! tool, author and directory; the AI lines of HEAD it wrote; the triage
//! savings over its AI units).
//!
//! Every number about lines comes from one walk of the range's lineage
//! (`store::lineage`), the walk `vouch verify` judges by: an AI line here is
//! what verify calls one, by every kind of evidence (vouch notes, git-ai
//! notes, AI trailers, aider, bot authors), AI origin sticky through
//! rewording, re-indentation and moves. The numbers themselves are computed
//! in [`crate::queue`]. Not a command: the helper both commands share, with
//! the queue and the withdrawals that count, which `vouch review`,
//! `vouch request` and `vouch approve` read the same way.

use std::collections::{BTreeMap, HashSet};

use anyhow::Context as _;
use git2::{Oid, Repository, Sort};
use time::OffsetDateTime;

use super::context::Context;
use crate::analysis::base::{Base, Rule};
use crate::analysis::decision;
use crate::analysis::scope::AtBase;
use crate::lineage::Claim;
use crate::policy::Policy;
use crate::provenance::Origin;
use crate::queue::{
    self, CommitLines, FileLines, HeadLines, Lifecycle, ReportInput, TeamReport, ToolLines, TriageUnit,
};
use crate::store::lineage::{self, Lineage, VersionKind};
use crate::store::notes;
use crate::store::policy_file::Source;
use crate::store::records::{self, Request, Stored, Withdrawal};
use crate::store::review_queue;
use crate::verify::resolve;

/// How many commits of HEAD's history the numbers cover by default.
pub const DEFAULT_COMMITS: usize = 100;

/// The commits a report covers, as the user named them.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// `BASE..HEAD`, or a revision and all its history; none: the last
    /// [`DEFAULT_COMMITS`] commits of HEAD (with `since`: all of HEAD's
    /// history since then).
    pub range: Option<String>,
    /// Only commits made since this date (any date git reads:
    /// `2026-01-31`, `2 weeks ago`).
    pub since: Option<String>,
}

/// Everything the team report holds, read from the repository of `ctx`.
pub fn collect(ctx: &Context, window: &Window) -> anyhow::Result<TeamReport> {
    let selection = select(&ctx.repo, window)?;
    // One policy source: BASE's, as request, approve and verify judge by.
    // A range `A..B` is judged as `vouch verify A..B` judges it, under the
    // policy and the allowed signers at A; otherwise BASE is the work in
    // progress's ([`crate::analysis::base`]).
    let given = selection.given_base();
    let at = AtBase::open(&ctx.repo, Source::Worktree, given.as_ref())?;
    // The queue is what awaits sign-off now, whatever range the numbers
    // cover: as `vouch review` lists it, under the BASE it finds (judging
    // the working tree as the end of `A..` would read the lineage of the
    // whole window again).
    let found;
    let review_at = match given {
        Some(_) => {
            found = AtBase::open(&ctx.repo, Source::Worktree, None)?;
            &found
        }
        None => &at,
    };
    let read = decision::queue(ctx, review_at, None)?;
    let pending = &read.queue;
    let policy = at.policy;
    for problem in &pending.problems {
        eprintln!("vouch: warning: {}", crate::display::line(problem));
    }
    // Latency over the requests a reviewer could act on (awaiting or
    // decided), not those withdrawn or closed unseen.
    let was_live: HashSet<&str> =
        pending.requests.iter().filter(|s| s.state.was_live()).map(|s| s.id.as_str()).collect();
    let live: Vec<Stored<Request>> = read.requests().filter(|r| was_live.contains(r.id.as_str())).cloned().collect();
    let lineage = lineage::walk_commits(&ctx.repo, selection.commits, selection.base, policy.bots())
        .context("cannot read the history of the range")?;
    let commits = commit_lines(&ctx.repo, &lineage)?;
    let in_head = head_lines(&lineage, &policy);
    let triage = triage_units(&ctx.repo, &lineage, &policy)?;
    Ok(queue::team_report(ReportInput {
        queue: &pending.units,
        requests: &pending.requests,
        budget: policy.budget(),
        latency: queue::latency(read.ledger(), &live),
        commits: &commits,
        in_head,
        triage: queue::triage_savings(&policy, &triage),
        range: selection.label,
        now: now()?,
    }))
}

/// The time the numbers are as of: now, or the time `SOURCE_DATE_EPOCH`
/// gives (seconds since 1970, the reproducible-builds convention), so that
/// a report of the same history can be made again byte for byte.
fn now() -> anyhow::Result<OffsetDateTime> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .with_context(|| format!("SOURCE_DATE_EPOCH={value:?} is not a time (seconds since 1970)")),
        Err(_) => Ok(OffsetDateTime::now_utc()),
    }
}

/// The requests of `requests` (of one repository) their requesters
/// withdrew, by id.
/// `policy` and `source` (where it was read) as in
/// [`review_queue::signers`].
pub fn withdrawn(
    ctx: &Context,
    policy: &Policy,
    source: &Source,
    requests: &[&Stored<Request>],
) -> anyhow::Result<HashSet<String>> {
    let withdrawals = records::list::<Withdrawal>(&ctx.repo).context("cannot read the withdrawals")?.records;
    let (signers, problem) = review_queue::signers(&ctx.repo, policy, source);
    if let Some(problem) = problem {
        eprintln!("vouch: warning: {}", crate::display::line(&problem));
    }
    let signed = |w: &Stored<Withdrawal>| review_queue::withdrawal_counts(policy, signers.as_ref(), w);
    let life = Lifecycle { withdrawals: &withdrawals, signed_as_required: &signed, ..Lifecycle::none() };
    let (withdrawn, _) = queue::withdrawals_that_count(requests, &life);
    Ok(withdrawn.into_keys().map(str::to_string).collect())
}

/// The commits of a window, parents before children, and what bounds them.
#[derive(Debug)]
pub struct Selection {
    pub commits: Vec<Oid>,
    /// BASE of a `BASE..HEAD` range: lines as BASE has them are not the
    /// range's.
    pub base: Option<Oid>,
    /// The range in words.
    pub label: String,
}

impl Selection {
    /// BASE of a `BASE..HEAD` range, as a command given it takes it.
    pub fn given_base(&self) -> Option<Base> {
        self.base.map(|commit| Base { commit, rule: Rule::Given(commit.to_string()) })
    }
}

/// The commits `window` names.
pub fn select(repo: &Repository, window: &Window) -> anyhow::Result<Selection> {
    let head_missing = repo.head().and_then(|h| h.peel_to_commit()).is_err();
    let (base, head, label) = match window.range.as_deref() {
        None if head_missing => {
            return Ok(Selection { commits: Vec::new(), base: None, label: "no commits yet".to_string() });
        }
        None => (None, resolve(repo, "HEAD")?.id(), None),
        Some(range) if range.contains("..") => {
            let (base, head) = crate::verify::range_ends(repo, range)?;
            (Some(base), head, Some(range.to_string()))
        }
        Some(rev) => (None, resolve(repo, rev)?.id(), Some(format!("{rev} and its history"))),
    };
    let mut commits = match (&window.since, base) {
        (Some(since), _) => since_commits(repo, base, head, since)?,
        // The order `vouch verify` walks a range in, newest first here.
        (None, Some(base)) => {
            let mut commits = lineage::range_commits(repo, base, head)?;
            commits.reverse();
            commits
        }
        (None, None) => {
            let mut walk = repo.revwalk()?;
            walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
            walk.push(head)?;
            walk.collect::<Result<Vec<Oid>, _>>()?
        }
    };
    let label = match (label, &window.since) {
        (Some(label), None) => label,
        (Some(label), Some(since)) => format!("{label}, since {since}"),
        (None, Some(since)) => format!("commits since {since}"),
        (None, None) if commits.len() > DEFAULT_COMMITS => {
            commits.truncate(DEFAULT_COMMITS);
            format!("the last {DEFAULT_COMMITS} commits")
        }
        (None, None) => format!("all {} commit(s)", commits.len()),
    };
    // Newest first so far; the lineage walks parents first.
    commits.reverse();
    Ok(Selection { commits, base, label })
}

/// The commits of `head` (less those of `base`) made since `since`, newest
/// first, through git, which reads every date format git users know.
fn since_commits(repo: &Repository, base: Option<Oid>, head: Oid, since: &str) -> anyhow::Result<Vec<Oid>> {
    if since.trim().is_empty() || since.starts_with('-') {
        anyhow::bail!("invalid date {since:?} for --since");
    }
    // git's log reads any text as a date (a word it does not know as now);
    // its reading of an expiry date is the same reader, careful: it refuses
    // what is no date.
    let mut check = notes::git_command(repo);
    check.args(["-c", &format!("vouch.since={since}"), "config", "--type=expiry-date", "vouch.since"]);
    let checked = check.output().context("cannot run git config")?;
    if !checked.status.success() {
        anyhow::bail!("--since {since:?} is not a date git reads (`2026-01-31`, `2 weeks ago`, `yesterday`)");
    }
    let mut cmd = notes::git_command(repo);
    cmd.args(["rev-list", "--topo-order", &format!("--since-as-filter={since}"), &head.to_string()]);
    if let Some(base) = base {
        cmd.arg(format!("^{base}"));
    }
    let out = cmd.output().context("cannot run git rev-list")?;
    if !out.status.success() {
        anyhow::bail!("git rev-list --since {since:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| Oid::from_str(l.trim()).with_context(|| format!("git rev-list printed {l:?}")))
        .collect()
}

/// What each commit of the lineage added, as [`crate::queue`] counts it.
pub fn commit_lines(repo: &Repository, lineage: &Lineage) -> anyhow::Result<Vec<CommitLines>> {
    let mut out = Vec::with_capacity(lineage.commits.len());
    for &oid in &lineage.commits {
        let commit = repo.find_commit(oid).with_context(|| format!("cannot read commit {oid}"))?;
        let evidence = lineage.evidence.get(&oid).map(|e| e.labels()).unwrap_or_default();
        let mut tools: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
        let mut files = Vec::new();
        for added in lineage.added.get(&oid).into_iter().flatten() {
            let mut file = FileLines {
                path: added.path.clone(),
                added: added.added() as usize,
                carried: added.carried as usize,
                ..FileLines::default()
            };
            for &(claim, n) in &added.by_claim {
                match lineage.claim_by_id(claim) {
                    Claim::Ai(attribution) => {
                        file.ai += n as usize;
                        if let Origin::Ai(source) = &attribution.origin {
                            *tools.entry((source.tool.clone(), source.model.clone())).or_default() += n as usize;
                        }
                    }
                    Claim::NotAi(_) => file.attested += n as usize,
                    Claim::Outside | Claim::Unknown => {}
                }
            }
            files.push(file);
        }
        out.push(CommitLines {
            id: oid.to_string(),
            time: commit.time().seconds(),
            author: String::from_utf8_lossy(commit.author().email_bytes()).trim().to_string(),
            merge: commit.parent_count() > 1,
            evidence,
            files,
            tools: tools.into_iter().map(|((tool, model), ai_lines)| ToolLines { tool, model, ai_lines }).collect(),
        });
    }
    Ok(out)
}

/// The lines of HEAD's files the range wrote, trust files aside, as
/// `vouch verify` counts them in its coverage.
pub fn head_lines(lineage: &Lineage, policy: &Policy) -> HeadLines {
    let mut lines = HeadLines::default();
    for (_, file) in lineage.files.iter().filter(|(p, _)| !policy.is_trust_file(p)) {
        for &tag in &file.tags {
            match lineage.claim(tag) {
                Claim::Ai(_) => lines.ai_lines += 1,
                Claim::NotAi(_) => lines.attested_lines += 1,
                Claim::Unknown => lines.unknown_lines += 1,
                Claim::Outside => {}
            }
        }
    }
    lines
}

/// The AI units of HEAD whose AI lines come from the range (trust files
/// aside, which have their own rule): the units `vouch verify` judges.
fn triage_units(repo: &Repository, lineage: &Lineage, policy: &Policy) -> anyhow::Result<Vec<TriageUnit>> {
    let mut units = Vec::new();
    let mut texts = Vec::new();
    for (path, file) in &lineage.files {
        if policy.is_trust_file(path) || !file.tags.iter().any(|&t| lineage.is_ai(t)) {
            continue;
        }
        if file.kind != VersionKind::Text {
            // One unit, all of it AI (see `vouch verify`).
            units.push(TriageUnit { path: path.clone(), risk: Vec::new(), ai_lines: file.tags.len().max(1) });
            continue;
        }
        let blob = repo.find_blob(file.id).with_context(|| format!("cannot read HEAD:{path}"))?;
        let text = String::from_utf8(blob.content().to_vec()).with_context(|| format!("{path} is not UTF-8"))?;
        let spans = lineage.ai_spans(file, &text);
        // Triage tallies AI lines: a unit an AI only removed lines from has
        // none, and is left out of it (verify still asks for it).
        texts.push(crate::verify::AiText { path: path.clone(), text, spans, deletions: Vec::new(), before: None });
    }
    let refs: Vec<&crate::verify::AiText> = texts.iter().collect();
    for (text, facts) in texts.iter().zip(crate::verify::analyze_ai_texts(&refs)) {
        let facts = facts.map_err(|reason| anyhow::anyhow!("cannot analyze {}: {reason}", text.path))?;
        units.extend(facts.into_iter().map(|f| TriageUnit {
            path: text.path.clone(),
            risk: f.unit.risk,
            ai_lines: f.unit.ai_lines,
        }));
    }
    Ok(units)
}
