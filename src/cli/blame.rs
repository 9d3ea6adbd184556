//! `vouch blame PATH`: each line of a working-tree file with its origin
//! (ai, human, unknown), tool, the commit that brought it (or
//! "uncommitted"), who accepted it and who approved it; and, for each AI
//! unit, where its sign-off stands, the requester's rationale and the
//! reviewers' comments, so that review teaches as well as gates.
//!
//! A line is AI when `vouch verify` will count it so (its lineage through
//! the range since BASE, the working tree's changes as the next commit),
//! else as history says (`git blame` of the working-tree text against HEAD,
//! with vouch notes, other tools' notes, trailers and bots) with the journal
//! of uncommitted provenance laid over it; each line says which evidence
//! decided it (`source`: `vouch note`, `imported: agent-trace` for a
//! record imported from another tool, `git-ai note`, `trailer: claude`,
//! `aider author`, `bot author: …` as `vouch verify`'s coverage names
//! them, or `journal` for uncommitted text). A blank line inside an AI
//! insertion is AI, as every count of AI lines says
//! ([`crate::provenance::line_attributions`]). Units are judged by the one
//! judge, as the gate and `vouch status` judge them; a unit whose AI text
//! landed before BASE is shown as landed (verify does not ask for it).
//! Approvers are those whose approval counts now; a decision that does not
//! count (forged request, no valid signature where one is required, a
//! participant, a retired fingerprint version, other text), whether bound
//! to the unit or listed by a commit's note, is shown with the reason.

use std::collections::HashMap;
use std::ops::Range;

use anyhow::{Context as _, bail};
use git2::Oid;
use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::judge::JudgedUnit;
use crate::analysis::scope::ScopedUnit;
use crate::analysis::worktree::{self as units, Worktree};
use crate::display;
use crate::intent::{self, Intent};
use crate::policy::{Status, Verdict};
use crate::provenance::{Attribution, Origin, ProvenanceMap};
use crate::signoff::{self, UnitFacts};
use crate::store::history::{self, LineOrigin};
use crate::store::notes::{self, NoteRecord};
use crate::store::records::{self, Approval, RationaleFrom, Stored};
use crate::syntax::Content;

use super::context::Context;
use super::output::Style;
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
    /// Which evidence says so: `vouch note`, `imported: agent-trace`,
    /// `git-ai note`, `trailer: …`,
    /// `aider author`, `bot author: …` (of the line's commit), `journal`
    /// (uncommitted provenance); `None` for a line nothing speaks of.
    source: Option<String>,
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
    /// Why the decision does not count, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_counted: Option<String>,
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
    /// The latest request's rationale, else the one its lines' notes give.
    rationale: Option<String>,
    /// Where the rationale's words came from when the requester did not
    /// type them: `intent`, drafted from the agent's recorded intent and
    /// confirmed by the requester (as `vouch review` says it).
    rationale_from: Option<RationaleFrom>,
    /// Why the agent wrote the unit's AI text, as recorded at its edits
    /// (the journal's, else the notes').
    #[serde(skip_serializing_if = "Vec::is_empty")]
    intents: Vec<Intent>,
    comments: Vec<Comment>,
    /// Every decision on it that does not count, and why: the judge's
    /// refusals (a forged request answered, no valid signature where one is
    /// required, a participant, no reviewer), and decisions made for this
    /// unit under a fingerprint version that no longer counts.
    not_counted: Vec<String>,
    /// The decisions on its fingerprint, each with why it does not count.
    #[serde(skip)]
    decisions: Vec<(Stored<Approval>, Option<String>)>,
}

/// For `arg`, a path the working tree lacks that an AI deleted: an error
/// saying so (there are no lines to blame; its deletion is the unit), else
/// `None`.
fn deleted_by_ai(ctx: &Context, arg: &str) -> Option<anyhow::Error> {
    let path = crate::store::repo::relative_path(&ctx.repo, std::path::Path::new(arg)).ok()?;
    let worktree = Worktree::open(ctx).ok()?;
    let file = worktree.file(ctx, &path).ok()??;
    let deletion = file.deletion()?;
    Some(anyhow::anyhow!(
        "{path}: no such file in the working tree: {}; a reviewer signs off its deletion with \
         `vouch approve --file {path}`",
        deletion.reason()
    ))
}

#[derive(Debug, Serialize)]
struct Report {
    path: String,
    lines: Vec<Line>,
    units: Vec<UnitReport>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let target = match units::parse_target(&ctx, &args.path) {
        Ok(target) => target,
        Err(e) => return Err(deleted_by_ai(&ctx, &args.path).unwrap_or(e)),
    };
    if target.line.is_some() {
        bail!("vouch blame takes a file, not a line: {}", args.path);
    }
    let path = target.path;
    // The file as git would store it (its line endings converted as git
    // converts them), whatever its bytes.
    let file = match crate::analysis::changes::worktree_file(&ctx.repo, &ctx.root, &path)? {
        Some(f) if matches!(f.content, Content::Submodule(_)) => {
            bail!("{path} is a submodule: vouch status shows its units")
        }
        Some(f) => f,
        None => bail!("{path}: no such file in the working tree"),
    };
    let text = file.content.as_bytes();

    // History, blamed against the working-tree text; a path HEAD does not
    // have is all uncommitted. git blames while the worktree is opened.
    let in_head =
        ctx.repo.head().and_then(|h| h.peel_to_tree()).is_ok_and(|t| t.get_path(std::path::Path::new(&path)).is_ok());
    let blaming = in_head.then(|| history::start_blame_contents(&ctx.repo, &path, Some("HEAD"), text));
    // The units verify will judge, judged as the gate and status judge them.
    let worktree = Worktree::open(&ctx)?;
    let policy = worktree.policy();
    let ledger = worktree.ledger();
    let scoped = worktree.load(&ctx, &path)?;
    let origins: Vec<LineOrigin> = match blaming {
        Some(blaming) => {
            blaming.finish(&ctx.repo, policy.bots()).with_context(|| format!("cannot read the history of {path}"))?
        }
        None => Vec::new(),
    };
    let by_line: HashMap<u32, &LineOrigin> = origins.iter().map(|o| (o.line, o)).collect();
    // The journal's view of the file, as the next commit's preparation read
    // it (a file with live records is among its files; read once, its
    // problems said once).
    let view = worktree.prepared.files.iter().find(|(f, _)| f.path == path).map(|(_, v)| v.clone()).unwrap_or_default();
    // What the journal says of uncommitted text (a line it speaks of shows
    // `journal` as its source).
    let journal_spans = &view.spans;
    let spans = signoff::overlay(text.len(), &history::line_origins_to_spans(text, &origins), &view.spans);
    let map = ProvenanceMap::from_ranges(text.len(), &spans);
    // One rule for every count of AI lines (blank lines inside an AI
    // insertion are AI): verify's lines first, then what history and the
    // journal say.
    let in_scope = crate::provenance::line_attributions(text, &scoped.spans);
    let shown = crate::provenance::line_attributions(text, &spans);

    // The units: those verify will judge (judged), then AI units that
    // landed before BASE (not asked about again; an approval that counts
    // is still shown).
    let verified = crate::analysis::judge::verifier(&ctx.repo, policy, &worktree.prepared.scope.source, false)?;
    let mut unit_reports: Vec<UnitReport> =
        scoped.units.iter().filter(|u| !u.trust_file).map(|u| unit_report(ledger, u)).collect();
    let mut facts: Vec<UnitFacts> = scoped.units.iter().filter(|u| !u.trust_file).map(|u| u.facts.clone()).collect();
    let judge = crate::analysis::judge::Judge { verified: &*verified, ..worktree.prepared.judge_with() };
    // Kept by path, blob and attributed lines (a second look at an
    // unchanged file parses nothing); the gate and status keep theirs
    // there too.
    let cache = crate::analysis::cache::AnalysisCache::of(&ctx.repo);
    let from_history =
        crate::analysis::attribution::units_cached(Some(&cache), &path, file.blob, &file.content, &spans, &[])?;
    let mut taken = Taken::new(facts.iter().map(|f| f.unit.range.clone()));
    for (f, line, end_line) in from_history {
        if !taken.take(f.unit.range.clone()) {
            continue;
        }
        let landed = ScopedUnit {
            path: path.clone(),
            facts: f.clone(),
            line,
            end_line,
            commits: Vec::new(),
            next: false,
            people: Vec::new(),
        };
        unit_reports.push(unit_report(ledger, &judge.landed(&landed)));
        facts.push(f);
    }
    // Why the agent wrote each unit's AI text, as its edits recorded it
    // (the journal's, else the notes').
    for (report, f) in unit_reports.iter_mut().zip(&facts) {
        report.intents = intent::of_range(&spans, f.unit.range.clone());
    }

    let mut notes_cache: HashMap<Oid, Vec<NoteRecord>> = HashMap::new();
    let mut note_reader = notes::NoteReader::new(&ctx.repo);
    let mut lines = Vec::new();
    // A line's CR stays with it unless every line of the file ends in CRLF.
    let lf = text.iter().filter(|&&b| b == b'\n').count();
    let windows = lf > 0 && text.windows(2).filter(|w| w == b"\r\n").count() == lf;
    let mut innermost = Innermost::new(&facts);
    for (i, range) in notes::line_spans(text).into_iter().enumerate() {
        let number = i as u32 + 1;
        let attr = match in_scope.get(i).cloned().flatten().or_else(|| shown.get(i).cloned().flatten()) {
            Some(ai) => ai,
            None => line_attribution(&map, range.clone(), text),
        };
        let origin = by_line.get(&number);
        let commit = origin.and_then(|o| o.commit);
        let unit = innermost.of(&range);
        let approved_by: Vec<String> = unit.map(|u| unit_reports[u].approved_by.clone()).unwrap_or_default();
        let mut not_counted = Vec::new();
        if let Some(o) = origin {
            // The approvals the commit's note listed when it was made: only
            // those that count now are named as approvers; the others are
            // said not to count, and why.
            for id in &o.approvals {
                let Some(a) = ledger.approvals.record(id) else { continue };
                if approved_by.iter().any(|e| e.eq_ignore_ascii_case(&a.record.reviewer.email))
                    && unit.is_some_and(|u| unit_reports[u].fingerprint == a.record.fingerprint)
                {
                    continue;
                }
                let why = match unit.map(|u| &unit_reports[u]) {
                    Some(u) => u.why_not_counted(a),
                    // A line of no unit (a blank line above a function the
                    // note's AI lines began at): an approval of a unit still
                    // in the file is that unit's to show, not this line's.
                    None if unit_reports.iter().any(|u| u.fingerprint == a.record.fingerprint) => continue,
                    None => describe_not_counted_or(a, "the unit it approved is not here any more"),
                };
                not_counted.push(why);
            }
        }
        let rationale = match (commit, origin) {
            (Some(c), Some(o)) => note_rationale(&mut note_reader, &mut notes_cache, c, &o.orig_path, o.orig_line)?,
            _ => None,
        };
        let (tool, model) = match &attr.origin {
            Origin::Ai(s) => (Some(s.tool.clone()), s.model.clone()),
            _ => (None, None),
        };
        let from_journal = journal_spans.iter().any(|(r, a)| {
            a.origin != Origin::Unknown
                && r.start < range.end.max(range.start + 1)
                && range.start < r.end
                && !text[r.start.max(range.start)..r.end.min(range.end)].iter().all(u8::is_ascii_whitespace)
        });
        let source = match (&attr.origin, from_journal) {
            (Origin::Unknown, _) => None,
            (_, true) => Some("journal".to_string()),
            (_, false) => origin.and_then(|o| o.source.clone()),
        };
        lines.push(Line {
            line: number,
            origin: attr.origin.label(),
            tool,
            model,
            evidence: attr.evidence.map(|e| e.label()),
            source,
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
    // A unit without a request's rationale shows the one its notes give,
    // with where its words came from when a request here says.
    for (i, u) in unit_reports.iter_mut().enumerate() {
        if u.rationale.is_none() {
            u.rationale = lines.iter().filter(|l| l.unit == Some(i)).find_map(|l| l.rationale.clone());
            u.rationale_from = u.rationale.as_deref().and_then(|text| ledger.rationale_source_of(&path, text));
        }
    }
    let report = Report { path, lines, units: unit_reports };
    match args.format.format {
        Format::Json => write_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?,
        Format::Text => write_stdout(&render(&report, Style::stdout()))?,
    }
    // The command ends here: what it read (the report, history's lines, the
    // units, the records, the repository) is left to the process's exit
    // rather than freed piece by piece, as `vouch check` leaves its own
    // (about 2 ms of a blame of the history bench's hot file). Nothing in
    // it writes when dropped.
    std::mem::forget(by_line);
    std::mem::forget((report, origins, in_scope, shown, map, spans, facts, notes_cache, note_reader));
    std::mem::forget((scoped, worktree, ctx));
    Ok(Outcome::Ok)
}

/// The attribution of a line that is not AI: human if any of its text is,
/// else unknown.
fn line_attribution(map: &ProvenanceMap, range: Range<usize>, text: &[u8]) -> Attribution {
    for span in map.spans_in(range.clone()) {
        let start = span.range.start.max(range.start);
        let end = span.range.end.min(range.end);
        if text[start..end].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let attr = map.attribution(span.attr);
        if attr.origin == Origin::Human {
            return attr.clone();
        }
    }
    Attribution::unknown()
}

/// The smallest AI unit that holds part of each line, for lines asked
/// about in order (ties: the first in `facts`), in one sweep over the units
/// by start: a file has thousands of units.
struct Innermost<'a> {
    facts: &'a [UnitFacts],
    /// Unit indices by start.
    by_start: Vec<usize>,
    next: usize,
    /// Units begun before the last line asked about that may still hold
    /// part of a later one.
    open: Vec<usize>,
}

impl<'a> Innermost<'a> {
    fn new(facts: &'a [UnitFacts]) -> Innermost<'a> {
        let mut by_start: Vec<usize> = (0..facts.len()).collect();
        by_start.sort_by_key(|&i| facts[i].unit.range.start);
        Innermost { facts, by_start, next: 0, open: Vec::new() }
    }

    /// The smallest unit that holds part of `line` (a line after the ones
    /// asked about before).
    fn of(&mut self, line: &Range<usize>) -> Option<usize> {
        let end = line.end.max(line.start + 1);
        while let Some(&i) = self.by_start.get(self.next).filter(|&&i| self.facts[i].unit.range.start < end) {
            self.open.push(i);
            self.next += 1;
        }
        let facts = self.facts;
        self.open.retain(|&i| line.start < facts[i].unit.range.end);
        self.open.iter().copied().min_by_key(|&i| (facts[i].unit.range.len(), i))
    }
}

/// Byte ranges taken, asked whether a range overlaps any, in time
/// logarithmic in their number: the units verify judges, then the landed
/// units history gives, each taken unless it overlaps one taken before.
struct Taken {
    /// Sorted by start, each with the largest end up to it.
    ranges: Vec<(usize, usize)>,
    max_end: Vec<usize>,
}

impl Taken {
    fn new(ranges: impl Iterator<Item = Range<usize>>) -> Taken {
        let mut taken = Taken { ranges: ranges.map(|r| (r.start, r.end)).collect(), max_end: Vec::new() };
        taken.index();
        taken
    }

    fn index(&mut self) {
        self.ranges.sort_unstable();
        self.max_end = self
            .ranges
            .iter()
            .scan(0, |max, &(_, end)| {
                *max = (*max).max(end);
                Some(*max)
            })
            .collect();
    }

    /// Whether `range` overlaps no range taken (a range `a` overlaps `b`
    /// when `a.start < b.end && b.start < a.end`); if so, it is taken.
    fn take(&mut self, range: Range<usize>) -> bool {
        let before = self.ranges.partition_point(|&(start, _)| start < range.end);
        if before > 0 && self.max_end[before - 1] > range.start {
            return false;
        }
        // Units come by start: most are taken at the end.
        if self.ranges.last().is_none_or(|&(start, _)| start <= range.start) {
            let max = self.max_end.last().copied().unwrap_or(0).max(range.end);
            self.ranges.push((range.start, range.end));
            self.max_end.push(max);
        } else {
            self.ranges.push((range.start, range.end));
            self.index();
        }
        true
    }
}

/// A unit as blame reports it: where the one judge says it stands, every
/// decision on it with whether it counts, and why those that do not.
/// `landed`: its AI text came before BASE, so verify does not ask for it.
fn unit_report(ledger: &signoff::Ledger, unit: &JudgedUnit) -> UnitReport {
    let landed = unit.landed;
    let facts = &unit.facts;
    let status = &unit.judgement.assessment.status;
    let (state, approved_by) = match status {
        // An automated reviewer is named as one.
        Status::Approved { by, automated } => (
            "approved",
            by.iter()
                .map(|b| {
                    if automated.iter().any(|a| a.eq_ignore_ascii_case(b)) {
                        format!("{b} (automated)")
                    } else {
                        b.clone()
                    }
                })
                .collect(),
        ),
        _ if landed => ("landed", Vec::new()),
        Status::NotRequired => ("needs-no-signoff", Vec::new()),
        Status::Rejected { .. } => ("rejected", Vec::new()),
        Status::Requested { .. } => ("requested", Vec::new()),
        Status::Pending { .. } => ("pending", Vec::new()),
    };
    let rationale = ledger.rationale_with_source(&facts.unit.fingerprint);
    let status_text = if landed && approved_by.is_empty() {
        "landed before BASE: vouch verify does not ask for its sign-off".to_string()
    } else {
        status.to_string()
    };
    let decisions: Vec<(Stored<Approval>, Result<(), String>)> = ledger
        .approvals
        .for_fingerprint(&facts.unit.fingerprint)
        .iter()
        .map(|a| ((*a).clone(), unit.standing_of(a)))
        .collect();
    let comments = decisions
        .iter()
        .filter_map(|(a, standing)| {
            let comment = a.record.comment.clone()?;
            Some(Comment {
                reviewer: a.record.reviewer.email.clone(),
                decision: a.record.decision,
                comment,
                created: a.record.created.clone(),
                not_counted: standing.clone().err(),
            })
        })
        .collect();
    UnitReport {
        kind: facts.unit.kind.clone(),
        name: facts.unit.name.clone(),
        line: unit.line as u32,
        end_line: unit.end_line as u32,
        fingerprint: facts.unit.fingerprint.clone(),
        state,
        status: status_text,
        approved_by,
        rationale: rationale.map(|(text, _)| text.to_string()),
        rationale_from: rationale.and_then(|(_, from)| from),
        intents: Vec::new(),
        comments,
        not_counted: unit.not_counted(),
        decisions: decisions.into_iter().map(|(a, s)| (a, s.err())).collect(),
    }
}

impl UnitReport {
    /// Why `approval`, which a note lists for a line of this unit, does not
    /// count for it now.
    fn why_not_counted(&self, approval: &Stored<Approval>) -> String {
        let who = &approval.record.reviewer.email;
        let id = approval.id.get(..12).unwrap_or(&approval.id);
        if let Some((_, Some(why))) = self.decisions.iter().find(|(a, _)| a.id == approval.id) {
            return format!("approval by {who} ({id}) does not count: {why}");
        }
        describe_not_counted_or(
            approval,
            &format!(
                "it was for other text (fingerprint {}); approvals are bound to the exact text",
                approval.record.fingerprint.get(..12).unwrap_or(&approval.record.fingerprint)
            ),
        )
    }
}

/// Why `approval` does not count: its fingerprint version, if that is
/// why, else `other`.
fn describe_not_counted_or(approval: &Stored<Approval>, other: &str) -> String {
    if !approval.record.standing().counts() {
        return records::describe_not_counted(approval);
    }
    let id = approval.id.get(..12).unwrap_or(&approval.id);
    format!("approval by {} ({id}) does not count: {other}", approval.record.reviewer.email)
}

/// The rationale the note on `commit` gives line `line` of `path`.
fn note_rationale(
    reader: &mut notes::NoteReader<'_>,
    cache: &mut HashMap<Oid, Vec<NoteRecord>>,
    commit: Oid,
    path: &str,
    line: u32,
) -> anyhow::Result<Option<String>> {
    let records = match cache.entry(commit) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => e.insert(reader.read(commit)?.unwrap_or_default()),
    };
    Ok(records.iter().find_map(|r| match r {
        NoteRecord::File(f) if f.path == path && f.covers(line) => f.rationale.clone(),
        _ => None,
    }))
}

fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let dash = || "-".to_string();
    let rows: Vec<[String; 6]> = report
        .lines
        .iter()
        .map(|l| {
            [
                l.origin.to_string(),
                l.tool.as_deref().map_or_else(dash, |t| display::line(t).into_owned()),
                l.source.as_deref().map_or_else(dash, |t| display::line(t).into_owned()),
                l.commit.as_ref().map_or_else(|| "uncommitted".to_string(), |c| c[..10].to_string()),
                l.accepted_by.as_deref().map_or_else(dash, |a| display::line(a).into_owned()),
                if l.approved_by.is_empty() { dash() } else { display::line(&l.approved_by.join(", ")).into_owned() },
            ]
        })
        .collect();
    let mut widths = [6, 4, 8, 11, 11, 11];
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
            "{:>nw$} {:<w0$} {:<w1$} {:<w2$} {:<w3$} {:<w4$} {:<w5$}",
            "line",
            "origin",
            "tool",
            "evidence",
            "commit",
            "accepted by",
            "approved by",
            nw = number_width,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
            w5 = widths[5],
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
            for i in &u.intents {
                for (label, text) in [("prompt", &i.prompt), ("agent's intent", &i.said)] {
                    if let Some(text) = text {
                        let shown = display::line(&intent::fold_whitespace(text)).into_owned();
                        let _ = writeln!(out, "{:>number_width$} │ {label}: {shown}", "");
                    }
                }
            }
            if let Some(r) = &u.rationale {
                let from = u
                    .rationale_from
                    .map_or(String::new(), |f| format!(" {}", style.dim(&format!("({})", f.describe()))));
                let _ = writeln!(out, "{:>number_width$} │ rationale: {}{from}", "", display::line(r));
            }
            for c in &u.comments {
                let verb = if c.decision == Verdict::Approve { "approved" } else { "rejected" };
                let (who, comment) = (display::line(&c.reviewer), display::line(&c.comment));
                let counted = if c.not_counted.is_some() { " (does not count)" } else { "" };
                let _ = writeln!(out, "{:>number_width$} │ {who} {verb}{counted}: {comment}", "");
            }
            for why in &u.not_counted {
                let _ = writeln!(out, "{:>number_width$} │ not counted: {}", "", display::line(why));
            }
        }
        current = l.unit;
        let origin = match l.origin {
            "ai" => style.yellow(&format!("{:<w$}", row[0], w = widths[0])),
            _ => format!("{:<w$}", row[0], w = widths[0]),
        };
        let _ = writeln!(
            out,
            "{:>nw$} {origin} {:<w1$} {:<w2$} {:<w3$} {:<w4$} {:<w5$} │ {}",
            l.line,
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            display::code_lines_bytes(&l.text).concat(),
            nw = number_width,
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
            w5 = widths[5],
        );
        for why in &l.not_counted {
            let _ = writeln!(out, "{:>number_width$} │ not counted: {}", "", display::line(why));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::units::Unit;
    use proptest::prelude::*;

    fn fact(range: Range<usize>) -> UnitFacts {
        let unit = Unit {
            kind: "function".into(),
            name: None,
            range,
            fingerprint: String::new(),
            ai_bytes: 0,
            ai_lines: 0,
            ai_ranges: Vec::new(),
            lines: 0,
            ai_share: 0.0,
            risk: Vec::new(),
        };
        UnitFacts {
            unit,
            ai_range: 0..0,
            sources: Vec::new(),
            acceptors: Vec::new(),
            suspected: false,
            deletions: Vec::new(),
        }
    }

    proptest! {
        /// The sweeps answer as the scans over every unit they replace.
        #[test]
        fn the_sweeps_agree_with_a_scan_of_every_unit(
            units in proptest::collection::vec((0usize..300, 0usize..80), 0..60),
            more in proptest::collection::vec((0usize..300, 0usize..80), 0..60),
            line_ends in proptest::collection::btree_set(1usize..400, 1..40),
        ) {
            let facts: Vec<UnitFacts> = units.iter().map(|&(s, l)| fact(s..s + l)).collect();
            let mut lines = Vec::new();
            let mut start = 0;
            for end in line_ends {
                lines.push(start..end);
                start = end;
            }
            let mut innermost = Innermost::new(&facts);
            for line in &lines {
                let end = line.end.max(line.start + 1);
                let scanned = facts
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.unit.range.start < end && line.start < f.unit.range.end)
                    .min_by_key(|(_, f)| f.unit.range.len())
                    .map(|(i, _)| i);
                prop_assert_eq!(innermost.of(line), scanned, "line {:?}", line);
            }
            let mut all: Vec<Range<usize>> = facts.iter().map(|f| f.unit.range.clone()).collect();
            let mut taken = Taken::new(all.clone().into_iter());
            for &(s, l) in &more {
                let r = s..s + l;
                let free = !all.iter().any(|a| a.start < r.end && r.start < a.end);
                prop_assert_eq!(taken.take(r.clone()), free, "{:?}", r);
                if free {
                    all.push(r);
                }
            }
        }
    }
}
