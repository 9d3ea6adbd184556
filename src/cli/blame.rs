//! `vouch blame PATH`: each line of a working-tree file with its origin
//! (ai, human, unknown), tool, the commit that brought it (or
//! "uncommitted"), who accepted it and who approved it; and, for each AI
//! unit, where its sign-off stands, the requester's rationale and the
//! reviewers' comments, so that review teaches as well as gates.
//!
//! Origins come from history (`git blame` of the working-tree text against
//! HEAD, with vouch notes, other tools' notes, trailers and bots), overridden
//! by the journal of uncommitted provenance. Approvals are those bound to
//! the fingerprint of the unit as it is now, plus those a commit's note
//! lists for the line.

use std::collections::HashMap;
use std::ops::Range;

use anyhow::{Context as _, bail};
use git2::Oid;
use std::fmt::Write as _;

use serde::Serialize;

use crate::display;
use crate::policy::{Status, Verdict};
use crate::provenance::{Attribution, Origin, ProvenanceMap};
use crate::signoff::{self, UnitFacts};
use crate::store::history::{self, LineOrigin};
use crate::store::notes::{self, NoteRecord};
use crate::store::policy_file::Source;
use crate::store::records::{self, Approval, Stored};
use crate::syntax::Content;

use super::context::Context;
use super::output::Style;
use crate::analysis::worktree as units;
use super::{Format, FormatArg, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file, in the working tree.
    pub path: String,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Serialize)]
struct Line {
    line: u32,
    origin: &'static str,
    tool: Option<String>,
    model: Option<String>,
    evidence: Option<&'static str>,
    /// The full commit id, or `None` when uncommitted.
    commit: Option<String>,
    accepted_by: Option<String>,
    approved_by: Vec<String>,
    /// The innermost AI unit holding the line, as an index into `units`.
    unit: Option<usize>,
    /// The rationale the commit's note gives the line, if any.
    rationale: Option<String>,
    /// Decisions the commit's note lists that do not count (a fingerprint
    /// version that no longer does), described.
    not_counted: Vec<String>,
    /// The line's bytes, without its line end; in JSON as text, bytes that
    /// are not UTF-8 as `‹0xE9›` ([`display::lossless_text`]).
    #[serde(serialize_with = "lossless")]
    text: Vec<u8>,
}

fn lossless<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&display::lossless_text(bytes))
}

#[derive(Debug, Serialize)]
struct Comment {
    reviewer: String,
    decision: Verdict,
    comment: String,
    created: String,
}

#[derive(Debug, Serialize)]
struct UnitReport {
    kind: String,
    name: Option<String>,
    line: u32,
    end_line: u32,
    fingerprint: String,
    /// needs-no-signoff, approved, rejected, requested, pending.
    state: &'static str,
    status: String,
    approved_by: Vec<String>,
    rationale: Option<String>,
    comments: Vec<Comment>,
    /// Decisions made for this unit under a fingerprint version that no
    /// longer counts, described.
    not_counted: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    path: String,
    lines: Vec<Line>,
    units: Vec<UnitReport>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let target = units::parse_target(&ctx, &args.path)?;
    if target.line.is_some() {
        bail!("vouch blame takes a file, not a line: {}", args.path);
    }
    let path = target.path;
    let policy = ctx.policy(&Source::Worktree)?;
    let ledger = ctx.ledger()?;
    let journal = ctx.journal()?;
    // The file as git would store it (its line endings converted as git
    // converts them), whatever its bytes.
    let content = match super::gitfiles::worktree_content(&ctx.repo, &ctx.root, &path)? {
        Some((_, Content::Submodule(_))) => bail!("{path} is a submodule: vouch status shows its units"),
        Some((_, content)) => content,
        None => bail!("{path}: no such file in the working tree"),
    };
    let text = content.as_bytes();

    // History, blamed against the working-tree text; a path HEAD does not
    // have is all uncommitted.
    let in_head =
        ctx.repo.head().and_then(|h| h.peel_to_tree()).is_ok_and(|t| t.get_path(std::path::Path::new(&path)).is_ok());
    let origins: Vec<LineOrigin> = if in_head {
        history::blame_contents(&ctx.repo, &path, Some("HEAD"), text, policy.bots())
            .with_context(|| format!("cannot read the history of {path}"))?
    } else {
        Vec::new()
    };
    let by_line: HashMap<u32, &LineOrigin> = origins.iter().map(|o| (o.line, o)).collect();
    let (journal_spans, problems) = match &content {
        Content::Text(text) => {
            let view = journal.0.view(&ctx.repo, &journal.1, &path, text)?;
            (view.spans, view.problems.iter().map(ToString::to_string).collect())
        }
        other => {
            let view = crate::analysis::attribution::bytes_view(&ctx.repo, &journal.1.records_for(&path), other.as_bytes());
            (view.spans, view.problems)
        }
    };
    for problem in &problems {
        eprintln!("vouch: warning: {}: {}", display::line(&path), display::line(problem));
    }
    let mut map = ProvenanceMap::from_ranges(text.len(), &history::line_origins_to_spans(text, &origins));
    for (range, attr) in journal_spans.iter().filter(|(_, a)| a.origin != Origin::Unknown) {
        let id = map.intern(attr);
        map.set(range.clone(), id);
    }
    let spans: Vec<(Range<usize>, Attribution)> =
        map.to_vec().into_iter().filter(|(_, a)| a.origin != Origin::Unknown).collect();
    let units = crate::analysis::attribution::units_of(&path, &content, &spans)?;

    // Approval records by id, for the ids that notes list.
    let by_id: HashMap<String, Stored<Approval>> = if origins.iter().any(|o| !o.approvals.is_empty()) {
        records::list::<Approval>(&ctx.repo)?.records.into_iter().map(|s| (s.id.clone(), s)).collect()
    } else {
        HashMap::new()
    };

    let verified = units::verifier(&ctx, &policy);
    let mut unit_reports = Vec::new();
    for (f, line, end_line) in &units {
        unit_reports.push(unit_report(&ledger, &policy, &verified, &path, f, *line as u32, *end_line as u32));
    }
    let facts: Vec<UnitFacts> = units.into_iter().map(|(f, _, _)| f).collect();

    let mut notes_cache: HashMap<Oid, Vec<NoteRecord>> = HashMap::new();
    let mut lines = Vec::new();
    // A line's CR stays with it unless every line of the file ends in CRLF.
    let lf = text.iter().filter(|&&b| b == b'\n').count();
    let windows = lf > 0 && text.windows(2).filter(|w| w == b"\r\n").count() == lf;
    for (i, range) in notes::line_spans(text).into_iter().enumerate() {
        let number = i as u32 + 1;
        let attr = line_attribution(&map, range.clone(), text);
        let origin = by_line.get(&number);
        let commit = origin.and_then(|o| o.commit);
        let unit = innermost(&facts, &range);
        let mut approved_by: Vec<String> = unit.map(|u| unit_reports[u].approved_by.clone()).unwrap_or_default();
        let mut not_counted = Vec::new();
        if let Some(o) = origin {
            for id in &o.approvals {
                let Some(a) = by_id.get(id) else { continue };
                if !a.record.standing().counts() {
                    not_counted.push(records::describe_not_counted(a));
                } else if a.record.decision == Verdict::Approve
                    && !approved_by.iter().any(|e| e.eq_ignore_ascii_case(&a.record.reviewer.email))
                {
                    approved_by.push(a.record.reviewer.email.clone());
                }
            }
        }
        let rationale = match (commit, origin) {
            (Some(c), Some(o)) => note_rationale(&ctx, &mut notes_cache, c, &o.orig_path, o.orig_line)?,
            _ => None,
        };
        let (tool, model) = match &attr.origin {
            Origin::Ai(s) => (Some(s.tool.clone()), s.model.clone()),
            _ => (None, None),
        };
        lines.push(Line {
            line: number,
            origin: attr.origin.label(),
            tool,
            model,
            evidence: attr.evidence.map(|e| e.label()),
            commit: commit.map(|c| c.to_string()),
            accepted_by: attr.accepted_by.clone(),
            approved_by,
            unit,
            rationale,
            not_counted,
            text: {
                let line = &text[range];
                let line = line.strip_suffix(b"\n").unwrap_or(line);
                let line = if windows { line.strip_suffix(b"\r").unwrap_or(line) } else { line };
                line.to_vec()
            },
        });
    }
    // A unit without a request's rationale shows the one its notes give.
    for (i, u) in unit_reports.iter_mut().enumerate() {
        if u.rationale.is_none() {
            u.rationale = lines.iter().filter(|l| l.unit == Some(i)).find_map(|l| l.rationale.clone());
        }
    }
    let report = Report { path, lines, units: unit_reports };
    match args.format.format {
        Format::Json => write_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?,
        Format::Text => write_stdout(&render(&report, Style::stdout()))?,
    }
    Ok(Outcome::Ok)
}

/// The attribution of a line: its AI text if it has any (of its first AI
/// run), else human if any of it is, else unknown.
fn line_attribution(map: &ProvenanceMap, range: Range<usize>, text: &[u8]) -> Attribution {
    let mut human = None;
    for span in map.spans_in(range.clone()) {
        let start = span.range.start.max(range.start);
        let end = span.range.end.min(range.end);
        if text[start..end].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let attr = map.attribution(span.attr);
        match attr.origin {
            Origin::Ai(_) => return attr.clone(),
            Origin::Human if human.is_none() => human = Some(attr.clone()),
            _ => {}
        }
    }
    human.unwrap_or_else(Attribution::unknown)
}

/// The smallest AI unit that holds part of the line.
fn innermost(facts: &[UnitFacts], line: &Range<usize>) -> Option<usize> {
    let end = line.end.max(line.start + 1);
    facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.unit.range.start < end && line.start < f.unit.range.end)
        .min_by_key(|(_, f)| f.unit.range.len())
        .map(|(i, _)| i)
}

fn unit_report(
    ledger: &signoff::Ledger,
    policy: &crate::policy::Policy,
    verified: &units::Verifier,
    path: &str,
    facts: &UnitFacts,
    line: u32,
    end_line: u32,
) -> UnitReport {
    let judgement = ledger.judge(policy, path, facts, &[], verified);
    let status = &judgement.assessment.status;
    let (state, approved_by) = match status {
        Status::NotRequired => ("needs-no-signoff", Vec::new()),
        Status::Approved { by } => ("approved", by.clone()),
        Status::Rejected { .. } => ("rejected", Vec::new()),
        Status::Requested { by, .. } => ("requested", by.clone()),
        Status::Pending { by, .. } => ("pending", by.clone()),
    };
    let comments = ledger
        .approvals
        .for_fingerprint(&facts.unit.fingerprint)
        .iter()
        .filter_map(|a| {
            let comment = a.record.comment.clone()?;
            Some(Comment {
                reviewer: a.record.reviewer.email.clone(),
                decision: a.record.decision,
                comment,
                created: a.record.created.clone(),
            })
        })
        .collect();
    UnitReport {
        kind: facts.unit.kind.clone(),
        name: facts.unit.name.clone(),
        line,
        end_line,
        fingerprint: facts.unit.fingerprint.clone(),
        state,
        status: status.to_string(),
        approved_by,
        rationale: ledger.rationale(&facts.unit.fingerprint).map(str::to_string),
        comments,
        not_counted: ledger
            .approvals
            .retired_for_unit(&ledger.requests, path, &facts.unit.kind, facts.unit.name.as_deref())
            .into_iter()
            .map(records::describe_not_counted)
            .collect(),
    }
}

/// The rationale the note on `commit` gives line `line` of `path`.
fn note_rationale(
    ctx: &Context,
    cache: &mut HashMap<Oid, Vec<NoteRecord>>,
    commit: Oid,
    path: &str,
    line: u32,
) -> anyhow::Result<Option<String>> {
    let records = match cache.entry(commit) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(notes::read_note(&ctx.repo, commit)?.unwrap_or_default())
        }
    };
    Ok(records.iter().find_map(|r| match r {
        NoteRecord::File(f) if f.path == path && f.covers(line) => f.rationale.clone(),
        _ => None,
    }))
}

fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let dash = || "-".to_string();
    let rows: Vec<[String; 5]> = report
        .lines
        .iter()
        .map(|l| {
            [
                l.origin.to_string(),
                l.tool.as_deref().map_or_else(dash, |t| display::line(t).into_owned()),
                l.commit.as_ref().map_or_else(|| "uncommitted".to_string(), |c| c[..10].to_string()),
                l.accepted_by.as_deref().map_or_else(dash, |a| display::line(a).into_owned()),
                if l.approved_by.is_empty() { dash() } else { display::line(&l.approved_by.join(", ")).into_owned() },
            ]
        })
        .collect();
    let mut widths = [6, 4, 11, 11, 11];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let number_width = report.lines.len().to_string().len().max(4);
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{:>nw$} {:<w0$} {:<w1$} {:<w2$} {:<w3$} {:<w4$}",
            "line",
            "origin",
            "tool",
            "commit",
            "accepted by",
            "approved by",
            nw = number_width,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        ))
    );
    let mut current: Option<usize> = None;
    for (l, row) in report.lines.iter().zip(&rows) {
        if l.unit.is_some()
            && l.unit != current
            && let Some(u) = l.unit.and_then(|i| report.units.get(i))
        {
            let label = u.name.as_ref().map_or(u.kind.clone(), |n| format!("{} `{n}`", u.kind));
            let label = display::line(&label);
            let shown_status = display::line(&u.status);
            let status = match u.state {
                "approved" => style.green(&shown_status),
                "rejected" | "pending" => style.red(&shown_status),
                _ => style.yellow(&shown_status),
            };
            let _ = writeln!(out, "{:>number_width$} ┌ {label} (lines {}-{}): {status}", "", u.line, u.end_line);
            if let Some(r) = &u.rationale {
                let _ = writeln!(out, "{:>number_width$} │ rationale: {}", "", display::line(r));
            }
            for c in &u.comments {
                let verb = if c.decision == Verdict::Approve { "approved" } else { "rejected" };
                let (who, comment) = (display::line(&c.reviewer), display::line(&c.comment));
                let _ = writeln!(out, "{:>number_width$} │ {who} {verb}: {comment}", "");
            }
            for why in &u.not_counted {
                let _ = writeln!(out, "{:>number_width$} │ not counted: {why}", "");
            }
        }
        current = l.unit;
        let origin = match l.origin {
            "ai" => style.yellow(&format!("{:<w$}", row[0], w = widths[0])),
            _ => format!("{:<w$}", row[0], w = widths[0]),
        };
        let _ = writeln!(
            out,
            "{:>nw$} {origin} {:<w1$} {:<w2$} {:<w3$} {:<w4$} │ {}",
            l.line,
            row[1],
            row[2],
            row[3],
            row[4],
            display::code_lines_bytes(&l.text).concat(),
            nw = number_width,
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
        for why in &l.not_counted {
            let _ = writeln!(out, "{:>number_width$} │ not counted: {why}", "");
        }
    }
    out
}

/// Write `text` to stdout; a reader that went away (`vouch blame | head`)
/// ends vouch as it ends other Unix tools (see
/// [`super::output::broken_pipe`]).
pub(super) fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => super::output::broken_pipe(),
        result => result.context("cannot write to stdout"),
    }
}
