//! `vouch log [RANGE]`: commits with their AI share and approvals, from the
//! vouch notes on them.
//!
//! A commit's AI share is the lines it added that its note attributes to
//! AI, over all the lines it added (against its first parent). Approvals are
//! the approval records its note lists. A commit without a note says so:
//! no note means unattested, not human.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;
use git2::{DiffOptions, Oid, Repository, Sort};
use std::fmt::Write as _;

use serde::Serialize;

use crate::policy::Verdict;
use crate::store::notes::{self, FileRecord, NoteRecord};
use crate::store::records::{self, Approval};

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
    /// Why the decision does not count (a fingerprint version that no
    /// longer does), if it does not.
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
    /// Whether the commit has a vouch note.
    note: bool,
    /// The note says the commit adds no AI text.
    attested_no_ai: bool,
    /// Why the note could not be read.
    unreadable: Option<String>,
    /// Lines the commit added that its note attributes to AI.
    ai_lines: u32,
    /// Lines the commit added.
    added_lines: u32,
    /// `ai_lines / added_lines`; `None` without a note or added lines.
    ai_share: Option<f64>,
    tools: Vec<String>,
    approvals: Vec<Reviewer>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let repo = &ctx.repo;
    let commits = walk(repo, args.range.as_deref(), args.max_count)?;
    let approvals: HashMap<String, Approval> =
        records::list::<Approval>(repo)?.records.into_iter().map(|s| (s.id, s.record)).collect();
    // Records that do not read are left out here; the gate and verify refuse them.
    let mut entries = Vec::new();
    for id in commits {
        entries.push(entry(repo, id, &approvals)?);
    }
    match args.format.format {
        Format::Json => write_stdout(&format!("{}\n", serde_json::to_string_pretty(&entries)?))?,
        Format::Text => write_stdout(&render(&entries, Style::stdout()))?,
    }
    Ok(Outcome::Ok)
}

/// The commits to show, newest first.
fn walk(repo: &Repository, range: Option<&str>, max: Option<usize>) -> anyhow::Result<Vec<Oid>> {
    let mut revwalk = repo.revwalk()?;
    revwalk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    let limit = match range {
        Some(range) if range.contains("..") => {
            revwalk.push_range(range).with_context(|| format!("bad range `{range}` (expected BASE..HEAD)"))?;
            max
        }
        _ => {
            let rev = range.unwrap_or("HEAD");
            let commit = match repo.revparse_single(rev).and_then(|o| o.peel_to_commit()) {
                Ok(c) => c,
                Err(_) if range.is_none() => anyhow::bail!("the repository has no commits yet"),
                Err(e) => anyhow::bail!("unknown revision `{rev}`: {}", e.message()),
            };
            revwalk.push(commit.id())?;
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

fn entry(repo: &Repository, id: Oid, approvals: &HashMap<String, Approval>) -> anyhow::Result<Entry> {
    let commit = repo.find_commit(id)?;
    let date = time::OffsetDateTime::from_unix_timestamp(commit.time().seconds())
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default();
    let mut e = Entry {
        commit: id.to_string(),
        date,
        author: commit.author().email().unwrap_or_default().to_string(),
        subject: commit.summary().unwrap_or_default().to_string(),
        note: false,
        attested_no_ai: false,
        unreadable: None,
        ai_lines: 0,
        added_lines: 0,
        ai_share: None,
        tools: Vec::new(),
        approvals: Vec::new(),
    };
    let added = added_lines(repo, &commit)?;
    e.added_lines = added.values().map(|l| l.len() as u32).sum();
    let records = match notes::read_note(repo, id) {
        Ok(Some(records)) => records,
        Ok(None) => return Ok(e),
        Err(err) => {
            e.note = true;
            e.unreadable = Some(err.to_string());
            return Ok(e);
        }
    };
    e.note = true;
    let tree = commit.tree()?;
    let mut files: Vec<&FileRecord> = Vec::new();
    for r in &records {
        match r {
            NoteRecord::NoAi => e.attested_no_ai = true,
            NoteRecord::File(f) => files.push(f),
        }
    }
    let mut tools = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (path, lines) in &added {
        let blob = tree.get_path(std::path::Path::new(path)).ok().map(|entry| entry.id().to_string());
        // The records of this very file version; a record of another version
        // of the path (a note not re-mapped yet) is better than none.
        let exact: Vec<&&FileRecord> =
            files.iter().filter(|f| &f.path == path && Some(&f.blob) == blob.as_ref()).collect();
        let of_path: Vec<&&FileRecord> =
            if exact.is_empty() { files.iter().filter(|f| &f.path == path).collect() } else { exact };
        e.ai_lines += lines.iter().filter(|&&l| of_path.iter().any(|f| f.covers(l))).count() as u32;
    }
    for f in &files {
        tools.insert(f.origin.tool.clone());
        ids.extend(f.approvals.iter().cloned());
    }
    e.tools = tools.into_iter().collect();
    e.approvals = ids
        .into_iter()
        .map(|id| {
            let a = approvals.get(&id);
            Reviewer {
                reviewer: a.map_or_else(|| "(record not here: vouch sync)".to_string(), |a| a.reviewer.email.clone()),
                decision: a.map(|a| a.decision),
                not_counted: a.map(Approval::standing).filter(|s| !s.counts()).map(|s| s.short()),
                id,
            }
        })
        .collect();
    if e.added_lines > 0 {
        e.ai_share = Some(f64::from(e.ai_lines) / f64::from(e.added_lines));
    } else if e.ai_lines == 0 {
        e.ai_share = None;
    }
    Ok(e)
}

/// The 1-based numbers of the lines `commit` added, by path, against its
/// first parent.
fn added_lines(repo: &Repository, commit: &git2::Commit) -> anyhow::Result<HashMap<String, Vec<u32>>> {
    let tree = commit.tree()?;
    let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
    let mut options = DiffOptions::new();
    options.context_lines(0);
    let diff = repo
        .diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut options))
        .with_context(|| format!("cannot diff {}", commit.id()))?;
    let mut out: HashMap<String, Vec<u32>> = HashMap::new();
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            if line.origin() == '+'
                && let (Some(n), Some(path)) = (line.new_lineno(), delta.new_file().path().and_then(|p| p.to_str()))
            {
                out.entry(path.to_string()).or_default().push(n);
            }
            true
        }),
    )
    .with_context(|| format!("cannot diff {}", commit.id()))?;
    Ok(out)
}

fn render(entries: &[Entry], style: Style) -> String {
    let mut out = String::new();
    for e in entries {
        let share = if let Some(why) = &e.unreadable {
            style.red(&format!("unreadable note: {}", crate::display::line(why)))
        } else if !e.note {
            style.dim("no note")
        } else {
            match e.ai_share {
                Some(s) if e.ai_lines > 0 => {
                    style.yellow(&format!("{:.0}% AI ({}/{} lines)", s * 100.0, e.ai_lines, e.added_lines))
                }
                _ if e.attested_no_ai => "no AI (attested)".to_string(),
                _ => format!("0% AI (0/{} lines)", e.added_lines),
            }
        };
        let tools = if e.tools.is_empty() {
            String::new()
        } else {
            format!(" by {}", crate::display::line(&e.tools.join(", ")))
        };
        let approvals = if e.approvals.is_empty() {
            String::new()
        } else {
            let approvers: BTreeSet<String> = e
                .approvals
                .iter()
                .map(|a| match &a.not_counted {
                    Some(why) => format!("{} ({why})", a.reviewer),
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
        let _ = writeln!(out, "{} {} {}{tools}{approvals}", style.yellow(&e.commit[..10]), e.date, share);
        let _ = writeln!(out, "    {} <{}>", crate::display::line(&e.subject), crate::display::line(&e.author));
    }
    out
}
