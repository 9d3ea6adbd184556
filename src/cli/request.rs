//! `vouch request [PATH[:LINE]]... [-m TEXT]`: ask for sign-off on AI units
//! of the working tree, in one request record that a reviewer approves or
//! rejects in one act (`vouch approve <id>`).
//!
//! Which units: those `vouch verify` will ask about once the working tree
//! is committed (the gate's and `vouch status`'s judgement, see
//! [`crate::analysis::next`]): AI-written units with AI lines from the
//! range since BASE or the uncommitted changes, and changes to trust files
//! (the policy, the allowed signers, CODEOWNERS, the policy's
//! `trust_files`), each the whole file. With no target, every such unit
//! that needs sign-off and has none requested yet (pending or rejected);
//! with `PATH`, that file's (a trust file: its change, also when requested
//! before); with `PATH:LINE`, the unit at that line (also when it was
//! requested before: a new request may carry a better rationale). A unit
//! whose approvals stopped counting (signatures now required, a
//! fingerprint version retired) is pending again and can be requested
//! again. Text the size heuristic merely suspects is left out unless named
//! by its line.
//!
//! Exit codes: 0 when the request was written; 1 when the policy refuses
//! it (a rationale is required) or nothing there needs sign-off; 2 for
//! anything vouch cannot do (no repository, no identity, no commits yet, a
//! bad argument).

use serde::Serialize;

use crate::analysis::judge::JudgedUnit;
use crate::analysis::worktree::{self as units, FileUnits, Target, Worktree};
use crate::display;
use crate::policy::{ReviewerSet, Status};
use crate::signoff::{self, SignoffError};
use crate::store::records;

use super::output::Style;
use super::{Format, FormatArg, Outcome};
use crate::analysis::context::Context;

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
    let worktree = Worktree::open(&ctx)?;
    let ledger = worktree.ledger();
    let repository = ledger.repository_id.clone().ok_or(SignoffError::NoCommits)?;
    let rationale = args.rationale.as_deref().map(str::trim).filter(|r| !r.is_empty());

    let targets: Vec<Target> = args.targets.iter().map(|t| units::parse_target(&ctx, t)).collect::<Result<_, _>>()?;
    let mut files: Vec<(FileUnits, Option<Target>)> = Vec::new();
    if targets.is_empty() {
        for file in worktree.files(&ctx)? {
            files.push((file, None));
        }
    } else {
        for target in targets {
            files.push((worktree.load(&ctx, &target.path)?, Some(target)));
        }
    }

    // Choose the units, then check every one before writing anything.
    let mut chosen: Vec<(usize, &JudgedUnit)> = Vec::new();
    let mut refusals: Vec<String> = Vec::new();
    for (i, (file, target)) in files.iter().enumerate() {
        match target.as_ref().and_then(|t| t.line) {
            Some(line) => {
                let Some(unit) = file.unit_at_line(line) else {
                    refusals.push(format!(
                        "{}:{line}: no AI-written unit there that vouch verify would ask about",
                        file.path
                    ));
                    continue;
                };
                match &unit.judgement.assessment.status {
                    Status::Approved { by } => refusals.push(format!(
                        "{}:{line}: {} is already approved by {}",
                        file.path,
                        unit.label(),
                        by.join(", ")
                    )),
                    Status::NotRequired => refusals
                        .push(SignoffError::NotRequired { path: file.path.clone(), unit: unit.label() }.to_string()),
                    _ => chosen.push((i, unit)),
                }
            }
            None => {
                for unit in &file.units {
                    if unit.facts.suspected {
                        continue;
                    }
                    // A trust file named by its path: its change, also when
                    // it was requested before (a better rationale).
                    let named_trust_file = target.is_some() && unit.trust_file && unit.lacks_signoff();
                    if named_trust_file
                        || matches!(unit.judgement.assessment.status, Status::Pending { .. } | Status::Rejected { .. })
                    {
                        chosen.push((i, unit));
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
        eprintln!(
            "vouch: nothing {place} needs sign-off (no AI-written unit since BASE, nor a change to a trust file, that is pending or rejected)"
        );
        return Ok(Outcome::Failed);
    }
    let mut failed = false;
    for (i, unit) in &chosen {
        let path = &files[*i].0.path;
        if let Err(e) = signoff::check_request_with(&unit.judgement.requirement, path, &unit.facts, rationale) {
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
    for (i, unit) in &chosen {
        let file = &files[*i].0;
        let facts = &unit.facts;
        if unit.trust_file {
            wanted.push(signoff::trust_requested_unit(&file.path, Some(file.content.as_bytes())));
        } else {
            wanted.push(file.requested(facts));
        }
        reported.push(ReportedUnit {
            path: file.path.clone(),
            line: unit.line as u32,
            end_line: unit.end_line as u32,
            kind: if unit.trust_file { "trust-file".to_string() } else { facts.unit.kind.clone() },
            name: facts.unit.name.clone(),
            fingerprint: facts.unit.fingerprint.clone(),
            ai_lines: facts.unit.ai_lines,
            risk: facts.unit.risk.clone(),
            reviewers: reviewers_label(&unit.judgement.requirement.reviewers),
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
