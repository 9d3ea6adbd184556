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
//! Exit codes: 0 when the request was written; 1 when the policy refuses
//! it (a rationale is required) or nothing there needs sign-off; 2 for
//! anything vouch cannot do (no repository, no identity, no commits yet, a
//! bad argument).

use serde::Serialize;

use crate::display;
use crate::policy::{ReviewerSet, Status};
use crate::signoff::{self, SignoffError, UnitFacts};
use crate::store::policy_file::Source;
use crate::store::records;

use super::context::Context;
use super::output::Style;
use crate::analysis::worktree::{self as units, FileUnits, Target};
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
    units: Vec<ReportedUnit>,
    approve_command: String,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let me = ctx.identity()?;
    let policy = ctx.policy(&Source::Worktree)?;
    let ledger = ctx.ledger()?;
    let repository = ledger.repository_id.clone().ok_or(SignoffError::NoCommits)?;
    let sources = units::Sources::open(&ctx, &policy)?;
    let verified = units::verifier(&ctx, &policy);
    let rationale = args.rationale.as_deref().map(str::trim).filter(|r| !r.is_empty());

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
    for (i, facts) in &chosen {
        let file = &files[*i].0;
        wanted.push(file.requested(facts));
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
    let id = records::add(&ctx.repo, &request)?;

    let report = Report {
        approve_command: format!("vouch approve {}", &id[..12]),
        request: id,
        requester,
        rationale: request.rationale.clone(),
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
        println!("rationale: {}", display::line(rationale));
    }
    println!("a reviewer signs off with:\n  {}", report.approve_command);
    println!("or rejects it with:\n  vouch reject {} --comment \"what to change\"", &report.request[..12]);
}
