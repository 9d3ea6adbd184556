//! `vouch log [RANGE]`: commits with the evidence each carries, their AI
//! share and approvals.
//!
//! A commit's lines are judged by the lineage of the commits shown
//! (`store::lineage`), as `vouch verify` and `vouch stats` judge them: the
//! lines it added (in none of its parents' versions; a merge's own lines
//! are its conflict resolutions) are AI by its evidence (its vouch note,
//! its git-ai note, an AI trailer, aider, a bot author) or because they
//! rewrite or move AI text of an earlier commit shown (AI origin is
//! sticky). Its evidence is listed as verify's coverage names it; a commit
//! with none says so: no provenance means unattested, not human. Lines it
//! removed as an AI are counted apart (`AI deletion`): a removal adds no
//! AI line.
//! Approvals are the approval records its vouch note lists, each judged
//! now as verify judges approvals ([`crate::analysis::listed`]: the one
//! judge, for the unit it binds in the commit's file version, under the
//! policy and allowed signers read as below): one that does not count (a
//! fingerprint version that no longer does, no valid signature where the
//! policy requires one, a key listed for someone else, a participant, no
//! reviewer for the path, ...) is marked with why.
//!
//! The bots and the rest of the policy are the policy at A for a range
//! `A..B` (as verify reads them), else at BASE of the work in progress;
//! never the working tree's. A note of nothing but imported records (Agent
//! Trace) is named `imported: agent-trace` and does not count as a note,
//! as in verify.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use git2::{Oid, Repository, Sort};
use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::base::{Base, Rule};
use crate::analysis::listed::Listed;
use crate::analysis::scope::AtBase;
use crate::lineage::Claim;
use crate::policy::Verdict;
use crate::provenance::Origin;
use crate::store::lineage::{self, Lineage};
use crate::store::notes::{self, FileRecord, NoteRecord};
use crate::store::policy_file::Source;

use super::blame::write_stdout;
use super::context::Context;
use super::output::Style;
use super::{Format, FormatArg, Outcome};

/// Commits shown when no range is given (or a single revision is).
const DEFAULT_COUNT: usize = 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `BASE..HEAD`, or a revision to list back from (default: HEAD).
    pub range: Option<String>,
    /// How many commits at most (default: 20 back from a revision, all of a
    /// `BASE..HEAD` range).
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    pub max_count: Option<usize>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Serialize)]
struct Reviewer {
    id: String,
    reviewer: String,
    decision: Option<Verdict>,
    /// Why the decision does not count now, as verify judges it (a
    /// fingerprint version that no longer does, no valid signature where
    /// the policy requires one, a key the allowed signers list for someone
    /// else, a participant, no reviewer for the path, a later rejection),
    /// if it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_counted: Option<String>,
}

#[derive(Debug, Serialize)]
struct Entry {
    commit: String,
    /// Commit time, `YYYY-MM-DD` (UTC).
    date: String,
    author: String,
    subject: String,
    merge: bool,
    /// The evidence it carries, as `vouch verify` names it: `vouch note`,
    /// `git-ai note`, `trailer: claude`, `aider author`, `bot author: …`.
    evidence: Vec<String>,
    /// Whether the commit has a vouch note that attests it, as
    /// `vouch verify` counts notes: a note of nothing but records imported
    /// from another tool (Agent Trace) adds AI lines and attests nothing.
    note: bool,
    /// Its vouch note says the commit adds no AI text.
    attested_no_ai: bool,
    /// Lines the commit added that are AI-written.
    ai_lines: u32,
    /// Of those, lines AI because they rewrite or move AI text of an
    /// earlier commit shown, not by this commit's own evidence.
    ai_lines_carried: u32,
    /// Of the lines it added, those attested not AI (a vouch note that
    /// attests, a git-ai note's human lines).
    attested_lines: u32,
    /// Of the lines it added, those nothing says anything of: unattested,
    /// not human.
    unknown_lines: u32,
    /// Lines the commit added (in none of its parents' versions).
    added_lines: u32,
    /// Lines the commit removed where its evidence says an AI removed them
    /// (no AI line is left of them: they are not in `ai_lines`).
    ai_deleted_lines: u32,
    /// `ai_lines / added_lines`; `None` without added lines.
    ai_share: Option<f64>,
    /// The AI tools its AI lines name.
    tools: Vec<String>,
    approvals: Vec<Reviewer>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let repo = &ctx.repo;
    let commits = walk(repo, args.range.as_deref(), args.max_count)?;
    let at = at_base(repo, args.range.as_deref())?;
    let policy = &at.policy;
    let lineage = lineage::walk_commits(repo, walk_order(repo, args.range.as_deref(), &commits)?, None, policy.bots())
        .context("cannot read the history of the commits shown")?;
    // Records that do not read are left out here; the gate and verify refuse them.
    let mut listed = Listed::open(repo, policy, &at.source)?;
    let mut entries = Vec::new();
    for id in commits {
        entries.push(entry(repo, &lineage, id, &mut listed)?);
    }
    match args.format.format {
        Format::Json => write_stdout(&format!("{}\n", serde_json::to_string_pretty(&entries)?))?,
        Format::Text => write_stdout(&render(&entries, Style::stdout()))?,
    }
    Ok(Outcome::Ok)
}

/// The policy the commits shown are judged by, as `vouch verify` judges:
/// for a range `A..B`, the policy at A; otherwise the policy at BASE of the
/// work in progress ([`crate::analysis::base`]), as `vouch stats` reads it.
/// Never the working tree's: an edit to `.vouch.toml` that is not part of
/// BASE changes nothing.
fn at_base(repo: &Repository, range: Option<&str>) -> anyhow::Result<AtBase> {
    let given = match range.filter(|r| r.contains("..")) {
        Some(range) => {
            let (base, _) = crate::verify::parse_range(range)?;
            let commit = crate::verify::resolve(repo, &base)?.id();
            Some(Base { commit, rule: Rule::Given(base) })
        }
        None => None,
    };
    AtBase::open(repo, Source::Worktree, given.as_ref())
}

/// The commits to show, newest first.
fn walk(repo: &Repository, range: Option<&str>, max: Option<usize>) -> anyhow::Result<Vec<Oid>> {
    let mut revwalk = repo.revwalk()?;
    revwalk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    let limit = match range {
        Some(range) if range.contains("..") => {
            let (base, head) = crate::verify::range_ends(repo, range)?;
            revwalk.push(head)?;
            revwalk.hide(base)?;
            max
        }
        Some(rev) => {
            revwalk.push(crate::verify::resolve(repo, rev)?.id())?;
            Some(max.unwrap_or(DEFAULT_COUNT))
        }
        None => {
            let head = repo.head().and_then(|h| h.peel_to_commit());
            revwalk.push(head.map_err(|_| anyhow::anyhow!("the repository has no commits yet"))?.id())?;
            Some(max.unwrap_or(DEFAULT_COUNT))
        }
    };
    let mut out = Vec::new();
    for id in revwalk {
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
        out.push(id.context("cannot walk history")?);
    }
    Ok(out)
}

/// The commits shown, parents first, in the order `vouch verify` and
/// `vouch stats` walk a `BASE..HEAD` range (the lineage of parallel
/// branches can depend on it), so that the three agree.
fn walk_order(repo: &Repository, range: Option<&str>, shown: &[Oid]) -> anyhow::Result<Vec<Oid>> {
    let range_order = match range.filter(|r| r.contains("..")) {
        Some(range) => {
            let (base, head) = crate::verify::range_ends(repo, range)?;
            Some(lineage::range_commits(repo, base, head)?)
        }
        None => None,
    };
    Ok(match range_order {
        Some(all) => {
            let shown: std::collections::HashSet<Oid> = shown.iter().copied().collect();
            all.into_iter().filter(|c| shown.contains(c)).collect()
        }
        None => shown.iter().rev().copied().collect(),
    })
}

fn entry(repo: &Repository, lineage: &Lineage, id: Oid, listed: &mut Listed<'_>) -> anyhow::Result<Entry> {
    let commit = repo.find_commit(id)?;
    let date = time::OffsetDateTime::from_unix_timestamp(commit.time().seconds())
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default();
    let evidence = lineage.evidence.get(&id);
    let records: &[NoteRecord] = evidence.and_then(|e| e.vouch_note.as_deref()).unwrap_or_default();
    let mut e = Entry {
        commit: id.to_string(),
        date,
        author: commit.author().email().unwrap_or_default().to_string(),
        subject: commit.summary().unwrap_or_default().to_string(),
        merge: commit.parent_count() > 1,
        evidence: evidence.map(|e| e.labels()).unwrap_or_default(),
        note: evidence.and_then(|e| e.vouch_note.as_deref()).is_some_and(notes::attests),
        attested_no_ai: records.contains(&NoteRecord::NoAi),
        ai_lines: 0,
        ai_lines_carried: 0,
        attested_lines: 0,
        unknown_lines: 0,
        added_lines: 0,
        ai_deleted_lines: lineage.deleted.get(&id).copied().unwrap_or(0),
        ai_share: None,
        tools: Vec::new(),
        approvals: Vec::new(),
    };
    let mut tools: BTreeMap<String, ()> = BTreeMap::new();
    for added in lineage.added.get(&id).into_iter().flatten() {
        e.added_lines += added.added();
        e.ai_lines_carried += added.carried;
        for &(claim, n) in &added.by_claim {
            match lineage.claim_by_id(claim) {
                Claim::Ai(attribution) => {
                    e.ai_lines += n;
                    if let Origin::Ai(source) = &attribution.origin {
                        tools.insert(source.tool.clone(), ());
                    }
                }
                Claim::NotAi(_) => e.attested_lines += n,
                Claim::Unknown => e.unknown_lines += n,
                Claim::Outside => {}
            }
        }
    }
    e.tools = tools.into_keys().collect();
    // Each listed approval once, judged for the first record that lists it.
    let mut ids: BTreeMap<&String, &FileRecord> = BTreeMap::new();
    for record in records {
        if let NoteRecord::File(f) = record {
            for id in &f.approvals {
                ids.entry(id).or_insert(f);
            }
        }
    }
    for (id, record) in ids {
        let found = listed.approval(id);
        let a = found.as_ref();
        e.approvals.push(Reviewer {
            reviewer: a
                .map_or_else(|| "(record not here: vouch sync)".to_string(), |a| a.record.reviewer.email.clone()),
            decision: a.map(|a| a.record.decision),
            not_counted: a.and_then(|a| listed.not_counted(&commit, record, a)),
            id: id.clone(),
        });
    }
    if e.added_lines > 0 {
        e.ai_share = Some(f64::from(e.ai_lines) / f64::from(e.added_lines));
    }
    Ok(e)
}

fn render(entries: &[Entry], style: Style) -> String {
    let mut out = String::new();
    for e in entries {
        let share = match e.ai_share {
            Some(s) if e.ai_lines > 0 => {
                let carried = if e.ai_lines_carried > 0 {
                    format!(", {} carried from earlier AI text", e.ai_lines_carried)
                } else {
                    String::new()
                };
                let unknown =
                    if e.unknown_lines > 0 { format!("; {} unattested", e.unknown_lines) } else { String::new() };
                style.yellow(&format!(
                    "{:.0}% AI ({}/{} lines{carried}{unknown})",
                    s * 100.0,
                    e.ai_lines,
                    e.added_lines
                ))
            }
            _ if e.attested_no_ai => "no AI (attested)".to_string(),
            _ if e.evidence.is_empty() => style.dim(&format!("no provenance ({} line(s) unattested)", e.added_lines)),
            _ => format!("0% AI (0/{} lines)", e.added_lines),
        };
        let tools = if e.tools.is_empty() {
            String::new()
        } else {
            format!(" by {}", crate::display::line(&e.tools.join(", ")))
        };
        let evidence = if e.evidence.is_empty() {
            String::new()
        } else {
            format!(" · {}", crate::display::line(&e.evidence.join(", ")))
        };
        let approvals = if e.approvals.is_empty() {
            String::new()
        } else {
            let approvers: BTreeSet<String> = e
                .approvals
                .iter()
                .map(|a| match &a.not_counted {
                    Some(why) => format!("{} (does not count: {why})", a.reviewer),
                    None => a.reviewer.clone(),
                })
                .collect();
            let names: Vec<String> = approvers.into_iter().collect();
            format!(
                "; {} approval{}: {}",
                e.approvals.len(),
                if e.approvals.len() == 1 { "" } else { "s" },
                crate::display::line(&names.join(", "))
            )
        };
        let merge = if e.merge { " merge" } else { "" };
        let deleted = if e.ai_deleted_lines > 0 {
            style.yellow(&format!(" · AI deletion: {} line(s)", e.ai_deleted_lines))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{} {}{merge} {}{tools}{evidence}{deleted}{approvals}",
            style.yellow(&e.commit[..10]),
            e.date,
            share
        );
        let _ = writeln!(out, "    {} <{}>", crate::display::line(&e.subject), crate::display::line(&e.author));
    }
    out
}
