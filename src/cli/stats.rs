//! `vouch stats [RANGE]`: the review load and AI share, for the team: the
//! queue (units and AI lines awaiting each reviewer, the oldest request),
//! review latency, the share of AI-written lines per directory (from the
//! notes on the commits in RANGE) and how much senior review the policy's
//! `[[triage]]` saves. `vouch report` draws the same numbers.
//!
//! The numbers are computed in [`crate::queue`]; this module reads them
//! from git.

use std::collections::{BTreeSet, HashSet};

use anyhow::Context as _;
use git2::{DiffOptions, Oid, Patch, Repository, Sort};
use time::OffsetDateTime;

use super::context::Context;
use super::{FormatArg, Outcome};
use crate::policy::Policy;
use crate::queue::{self, CommitLines, FileLines, ReportInput, TeamReport, TriageUnit};
use crate::store::history;
use crate::store::notes::{self, NoteRecord};
use crate::store::policy_file::Source;
use crate::store::records::{self, Request};

/// How many commits of HEAD's history the AI share covers by default.
pub const DEFAULT_COMMITS: usize = 100;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commits to measure: `BASE..HEAD`, or a revision and all its
    /// history (default: the last 100 commits of HEAD, or all if fewer).
    pub range: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let report = collect(&ctx, args.range.as_deref())?;
    match args.format.format {
        super::Format::Text => print!("{}", queue::render_text(&report)),
        super::Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(Outcome::Ok)
}

/// Everything the team report holds, read from the repository of `ctx`.
pub fn collect(ctx: &Context, range: Option<&str>) -> anyhow::Result<TeamReport> {
    let policy = ctx.policy(&Source::Worktree)?;
    let ledger = ctx.ledger()?;
    let requests = records::list::<Request>(&ctx.repo).context("cannot read the sign-off requests")?.records;
    let pending = queue::pending(&ledger, &policy, &requests, &|_| None);
    for problem in &pending.problems {
        eprintln!("vouch: warning: {}", crate::display::line(problem));
    }
    let (commits, label) = commits_in(&ctx.repo, range)?;
    let mut lines = Vec::new();
    let progress = super::output::progress_bar(commits.len() as u64, "reading commits");
    for &commit in &commits {
        if let Some(c) = commit_lines(&ctx.repo, commit)? {
            lines.push(c);
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let triage_units = triage_units(ctx, &policy, &commits, &lines)?;
    Ok(queue::team_report(ReportInput {
        queue: &pending.units,
        budget: policy.budget(),
        latency: queue::latency(&ledger, &requests),
        commits: &lines,
        triage: queue::triage_savings(&policy, &triage_units),
        range: label,
        now: OffsetDateTime::now_utc(),
    }))
}

/// The commits of `range`, newest first, and the range in words.
fn commits_in(repo: &Repository, range: Option<&str>) -> anyhow::Result<(Vec<Oid>, String)> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    match range {
        None => {
            if repo.head().and_then(|h| h.peel_to_commit()).is_err() {
                return Ok((Vec::new(), "no commits yet".to_string()));
            }
            walk.push_head()?;
            let mut commits: Vec<Oid> = walk.take(DEFAULT_COMMITS + 1).collect::<Result<_, _>>()?;
            let label = if commits.len() > DEFAULT_COMMITS {
                commits.truncate(DEFAULT_COMMITS);
                format!("the last {DEFAULT_COMMITS} commits")
            } else {
                format!("all {} commit(s)", commits.len())
            };
            Ok((commits, label))
        }
        Some(range) if range.contains("..") => {
            walk.push_range(range).with_context(|| format!("invalid range {range:?}: expected BASE..HEAD"))?;
            Ok((walk.collect::<Result<_, _>>()?, range.to_string()))
        }
        Some(rev) => {
            let commit = repo
                .revparse_single(rev)
                .and_then(|o| o.peel_to_commit())
                .with_context(|| format!("unknown revision {rev:?}"))?;
            walk.push(commit.id())?;
            Ok((walk.collect::<Result<_, _>>()?, format!("{rev} and its history")))
        }
    }
}

/// What `commit` added, file by file, and how much of it its vouch note
/// says is AI-written; `None` for a merge (its lines come from the merged
/// commits, which count them).
fn commit_lines(repo: &Repository, id: Oid) -> anyhow::Result<Option<CommitLines>> {
    let commit = repo.find_commit(id)?;
    if commit.parent_count() > 1 {
        return Ok(None);
    }
    let tree = commit.tree()?;
    let parent = if commit.parent_count() == 1 { Some(commit.parent(0)?.tree()?) } else { None };
    let mut options = DiffOptions::new();
    options.context_lines(0);
    let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut options))?;
    let note = match notes::read_note(repo, id) {
        Ok(note) => note,
        Err(e) => {
            eprintln!("vouch: warning: {}; its lines count as unattested", crate::display::line(&e.to_string()));
            None
        }
    };
    let records: Vec<&notes::FileRecord> = note
        .iter()
        .flatten()
        .filter_map(|r| match r {
            NoteRecord::File(f) => Some(f),
            NoteRecord::NoAi => None,
        })
        .collect();
    let mut files = Vec::new();
    for i in 0..diff.deltas().len() {
        let Some(patch) = Patch::from_diff(&diff, i)? else { continue };
        let delta = patch.delta();
        if delta.flags().is_binary() {
            continue;
        }
        let Some(path) = delta.new_file().path().and_then(|p| p.to_str()).map(str::to_string) else { continue };
        let mut added = Vec::new();
        for hunk in 0..patch.num_hunks() {
            for line in 0..patch.num_lines_in_hunk(hunk)? {
                let line = patch.line_in_hunk(hunk, line)?;
                if line.origin() == '+'
                    && let Some(n) = line.new_lineno()
                {
                    added.push(n);
                }
            }
        }
        if added.is_empty() {
            continue;
        }
        let ai = added.iter().filter(|&&n| records.iter().any(|r| r.path == path && r.covers(n))).count();
        files.push(FileLines { path, added: added.len(), ai });
    }
    Ok(Some(CommitLines { id: id.to_string(), time: commit.time().seconds(), has_note: note.is_some(), files }))
}

/// The AI units in HEAD whose AI lines come from `commits`: files with AI
/// lines in the notes, or changed by a commit that history marks as AI (a
/// trailer, a bot author), attributed by blame.
fn triage_units(
    ctx: &Context,
    policy: &Policy,
    commits: &[Oid],
    lines: &[CommitLines],
) -> anyhow::Result<Vec<TriageUnit>> {
    let in_range: HashSet<Oid> = commits.iter().copied().collect();
    let mut paths: BTreeSet<&str> = BTreeSet::new();
    for c in lines {
        let whole_commit_ai =
            Oid::from_str(&c.id).ok().and_then(|id| ctx.repo.find_commit(id).ok()).is_some_and(|commit| {
                let author = commit.author();
                history::ai_trailer_tool(commit.message().unwrap_or("")).is_some()
                    || policy.is_bot(author.name().unwrap_or(""), author.email().unwrap_or(""))
            });
        for f in &c.files {
            if f.ai > 0 || whole_commit_ai {
                paths.insert(&f.path);
            }
        }
    }
    let Ok(head) = ctx.repo.head().and_then(|h| h.peel_to_tree()) else { return Ok(Vec::new()) };
    let mut units = Vec::new();
    for path in paths {
        let Ok(entry) = head.get_path(std::path::Path::new(path)) else { continue };
        let Ok(blob) = ctx.repo.find_blob(entry.id()) else { continue };
        let Ok(text) = std::str::from_utf8(blob.content()) else { continue };
        let origins = match history::blame_history(&ctx.repo, path, Some("HEAD"), policy.bots()) {
            Ok(origins) => origins,
            Err(e) => {
                eprintln!(
                    "vouch: warning: {}; {} is left out of the triage figures",
                    crate::display::line(&e.to_string()),
                    crate::display::line(path)
                );
                continue;
            }
        };
        let ours: Vec<history::LineOrigin> = origins
            .into_iter()
            .filter(|o| o.attribution.is_ai() && o.commit.is_some_and(|c| in_range.contains(&c)))
            .collect();
        let spans = history::line_origins_to_spans(text, &ours);
        if spans.is_empty() {
            continue;
        }
        let (_, facts) = ctx.facts(path, text.to_string(), &spans)?;
        units.extend(facts.into_iter().map(|f| TriageUnit {
            path: path.to_string(),
            risk: f.unit.risk,
            ai_lines: f.unit.ai_lines,
        }));
    }
    Ok(units)
}
