//! `vouch request [PATH[:LINE]]... [-m TEXT]`: ask for sign-off on AI units
//! of the working tree, in one request record that a reviewer approves or
//! rejects in one act (`vouch approve <id>`).
//!
//! Which units: with no target, every AI unit of the working tree that
//! needs sign-off and has none requested yet (pending or rejected), across
//! the files with journal records or uncommitted changes; with `PATH`, that
//! file's; with `PATH:LINE`, the unit at that line (also when it was
//! requested before: a new request may carry a better rationale). Text the
//! size heuristic merely suspects is left out unless named by its line.
//!
//! The rationale is the requester's: `-m TEXT`, or, at a terminal (or with
//! `--from-intent`), a draft made from the units' recorded intents (see
//! [`crate::intent::draft_rationale`]) that Enter accepts (recorded as
//! `rationale_from: intent`) and anything typed replaces. Each requested
//! unit carries its intents for the reviewer.
//!
//! Exit codes: 0 when the request was written; 1 when the policy refuses
//! it (a rationale is required) or nothing there needs sign-off; 2 for
//! anything vouch cannot do (no repository, no identity, no commits yet, a
//! bad argument).

use std::io::IsTerminal as _;

use anyhow::Context as _;
use serde::Serialize;

use crate::display;
use crate::intent::{self, Intent};
use crate::policy::{ReviewerSet, Status};
use crate::signoff::{self, SignoffError, UnitFacts};
use crate::store::policy_file::Source;
use crate::store::records::{self, RationaleFrom};

use super::context::Context;
use super::output::Style;
use super::units::{self, FileUnits, Target};
use super::{Format, FormatArg, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to request sign-off for: a file, or the unit at a line of it.
    /// None: every AI unit in the working tree that needs sign-off.
    #[arg(value_name = "PATH[:LINE]")]
    pub targets: Vec<String>,
    /// Why the code looks the way it does (shown to reviewers and, later,
    /// in blame and on hover).
    #[arg(short = 'm', long = "rationale", value_name = "TEXT")]
    pub rationale: Option<String>,
    /// Draft the rationale from the agent's recorded intent and ask on
    /// standard input to confirm it (Enter) or type another; the default
    /// without -m when standard input is a terminal.
    #[arg(long, conflicts_with = "rationale")]
    pub from_intent: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

/// One unit of the request, as reported.
#[derive(Debug, Serialize)]
struct ReportedUnit {
    path: String,
    line: u32,
    end_line: u32,
    kind: String,
    name: Option<String>,
    fingerprint: String,
    ai_lines: usize,
    risk: Vec<String>,
    reviewers: String,
}

#[derive(Debug, Serialize)]
struct Report {
    request: String,
    requester: String,
    rationale: Option<String>,
    /// `intent` when the rationale is the draft from the agent's intent,
    /// confirmed unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    rationale_from: Option<RationaleFrom>,
    units: Vec<ReportedUnit>,
    approve_command: String,
}

/// Show the rationale drafted from `intents` on standard error and read
/// one line from standard input: empty accepts the draft (recorded as
/// taken from the intent), anything else is the requester's own words.
/// With no draft, the line read is the rationale (empty: none).
fn confirm_draft(intents: &[Intent]) -> anyhow::Result<(Option<String>, Option<RationaleFrom>)> {
    let draft = intent::draft_rationale(intents);
    match &draft {
        Some(draft) => {
            eprintln!("vouch: rationale drafted from the agent's recorded intent (its words, not yours):");
            eprintln!("  {}", display::line(draft));
            eprint!("vouch: press Enter to use it, or type your own rationale: ");
        }
        None => eprint!("vouch: no intent was recorded for these units; rationale (Enter for none): "),
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the rationale from standard input")?;
    let line = line.trim();
    Ok(match (line.is_empty(), draft) {
        (false, _) => (Some(line.to_string()), None),
        (true, Some(draft)) => (Some(draft), Some(RationaleFrom::Intent)),
        (true, None) => (None, None),
    })
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let me = ctx.identity()?;
    let policy = ctx.policy(&Source::Worktree)?;
    let ledger = ctx.ledger()?;
    let repository = ledger.repository_id.clone().ok_or(SignoffError::NoCommits)?;
    let sources = units::Sources::open(&ctx, &policy)?;
    let verified = units::verifier(&ctx, &policy);
    let typed = args.rationale.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);

    let targets: Vec<Target> = args.targets.iter().map(|t| units::parse_target(&ctx, t)).collect::<Result<_, _>>()?;
    let mut files: Vec<(FileUnits, Option<Target>)> = Vec::new();
    if targets.is_empty() {
        for path in units::candidate_paths(&ctx, &sources.journal.1)? {
            if let Some(file) = FileUnits::load_text(&sources, &path)? {
                files.push((file, None));
            }
        }
    } else {
        for target in targets {
            files.push((FileUnits::load(&sources, &target.path)?, Some(target)));
        }
    }

    // Choose the units, then check every one before writing anything.
    let mut chosen: Vec<(usize, &UnitFacts)> = Vec::new();
    let mut refusals: Vec<String> = Vec::new();
    for (i, (file, target)) in files.iter().enumerate() {
        match target.as_ref().and_then(|t| t.line) {
            Some(line) => {
                let Some(facts) = file.unit_at_line(line) else {
                    refusals.push(format!("{}:{line}: no AI-written unit there", file.path));
                    continue;
                };
                let judgement = ledger.judge(&policy, &file.path, facts, &[], &verified);
                match &judgement.assessment.status {
                    Status::Approved { by } => refusals.push(format!(
                        "{}:{line}: {} is already approved by {}",
                        file.path,
                        signoff::unit_label(&facts.unit),
                        by.join(", ")
                    )),
                    Status::NotRequired => refusals.push(
                        SignoffError::NotRequired { path: file.path.clone(), unit: signoff::unit_label(&facts.unit) }
                            .to_string(),
                    ),
                    _ => chosen.push((i, facts)),
                }
            }
            None => {
                for facts in &file.facts {
                    if facts.suspected {
                        continue;
                    }
                    let judgement = ledger.judge(&policy, &file.path, facts, &[], &verified);
                    if matches!(judgement.assessment.status, Status::Pending { .. } | Status::Rejected { .. }) {
                        chosen.push((i, facts));
                    }
                }
            }
        }
    }
    if let Some(first) = refusals.first() {
        for refusal in &refusals[1..] {
            eprintln!("vouch: {}", display::line(refusal));
        }
        eprintln!("vouch: {}; nothing was requested", display::line(first));
        return Ok(Outcome::Failed);
    }
    if chosen.is_empty() {
        let place = if args.targets.is_empty() { "in the working tree".to_string() } else { args.targets.join(", ") };
        eprintln!("vouch: nothing {place} needs sign-off (no AI-written unit that is pending or rejected)");
        return Ok(Outcome::Failed);
    }
    let intents: Vec<Vec<Intent>> =
        chosen.iter().map(|(i, facts)| intent::of_range(&files[*i].0.spans, facts.unit.range.clone())).collect();
    let ask = args.from_intent || (args.rationale.is_none() && std::io::stdin().is_terminal());
    let (rationale, rationale_from) = match typed {
        Some(typed) => (Some(typed), None),
        None if ask => confirm_draft(&intents.concat())?,
        None => (None, None),
    };
    let rationale = rationale.as_deref();
    let mut failed = false;
    for (i, facts) in &chosen {
        if let Err(e) = signoff::check_request(&policy, &files[*i].0.path, facts, rationale) {
            eprintln!("vouch: {}", display::line(&e.to_string()));
            failed = true;
        }
    }
    if failed {
        eprintln!("vouch: nothing was requested; pass the rationale with -m \"...\"");
        return Ok(Outcome::Failed);
    }

    let mut wanted = Vec::new();
    let mut reported = Vec::new();
    for ((i, facts), intents) in chosen.iter().zip(intents) {
        let file = &files[*i].0;
        let mut unit = file.requested(facts);
        unit.intents = intents;
        wanted.push(unit);
        let requirement = policy.requirement(&file.path, &facts.unit.risk, facts.unit.ai_lines);
        reported.push(ReportedUnit {
            path: file.path.clone(),
            line: file.line_of(facts.unit.range.start),
            end_line: file.line_of(facts.unit.range.end.saturating_sub(1).max(facts.unit.range.start)),
            kind: facts.unit.kind.clone(),
            name: facts.unit.name.clone(),
            fingerprint: facts.unit.fingerprint.clone(),
            ai_lines: facts.unit.ai_lines,
            risk: facts.unit.risk.clone(),
            reviewers: reviewers_label(&requirement.reviewers),
        });
    }
    let requester = me.email.clone();
    let mut request = records::Request::new(&repository, me.into(), wanted);
    request.rationale = rationale.map(str::to_string);
    request.rationale_from = rationale_from;
    let id = records::add(&ctx.repo, &request)?;

    let report = Report {
        approve_command: format!("vouch approve {}", &id[..12]),
        request: id,
        requester,
        rationale: request.rationale.clone(),
        rationale_from: request.rationale_from,
        units: reported,
    };
    match args.format.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print_text(&report, Style::stdout()),
    }
    Ok(Outcome::Ok)
}

fn reviewers_label(reviewers: &ReviewerSet) -> String {
    match reviewers {
        ReviewerSet::Listed { names, .. } if names.is_empty() => "nobody (no reviewer resolves to an email)".into(),
        ReviewerSet::Listed { names, .. } => names.join(", "),
        other => other.to_string(),
    }
}

fn print_text(report: &Report, style: Style) {
    let n = report.units.len();
    println!(
        "{} {n} unit{} (request {})",
        style.green("requested sign-off for"),
        if n == 1 { "" } else { "s" },
        style.bold(&report.request[..12])
    );
    for unit in &report.units {
        let label = match &unit.name {
            Some(name) => format!("{} `{name}`", unit.kind),
            None => unit.kind.clone(),
        };
        let risk = if unit.risk.is_empty() { String::new() } else { format!("; risk: {}", unit.risk.join(", ")) };
        println!(
            "  {}:{} {} ({} AI line{}{}); reviewers: {}",
            display::line(&unit.path),
            unit.line,
            display::line(&label),
            unit.ai_lines,
            if unit.ai_lines == 1 { "" } else { "s" },
            display::line(&risk),
            display::line(&unit.reviewers)
        );
    }
    if let Some(rationale) = &report.rationale {
        let from = if report.rationale_from.is_some() { " (drafted from the agent's intent, confirmed)" } else { "" };
        println!("rationale{from}: {}", display::line(rationale));
    }
    println!("a reviewer signs off with:\n  {}", report.approve_command);
    println!("or rejects it with:\n  vouch reject {} --comment \"what to change\"", &report.request[..12]);
}
