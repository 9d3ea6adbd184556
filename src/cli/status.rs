//! `vouch status`: the units `vouch verify` will judge, as the next commit
//! would leave them if made from what is staged (the index) and from the
//! working tree (files changed since HEAD and files the journal holds
//! records for): AI-written units from the range since BASE and changes to
//! trust files, each with its state, its risk tags, who may sign it off,
//! who may not, the evidence that made it AI (named as `vouch log` and
//! `vouch blame` name it), and every decision on it that does not count
//! and why. The same judgement the gate and the editor make
//! ([`crate::analysis::next`]).
//! A report: it exits 0 whatever the units' state, and reads on past what
//! it cannot read (with a warning), unlike the gate.

use super::check::{next_step, unit_json};
use super::output::Style;
use super::{Format, FormatArg, Outcome};
use crate::analysis::changes::Version;
use crate::analysis::context::Context;
use crate::analysis::evidence::Namer;
use crate::analysis::judge::JudgedUnit;
use crate::analysis::next::{self, Options};
use crate::display;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let mut sections = Vec::new();
    let mut base = None;
    for version in [Version::Staged, Version::Worktree] {
        let prepared =
            next::prepare(&ctx, Options { version, strict: false, all: true, next_people: false, base: None })?;
        let mut units = prepared.judge(&ctx.repo, None)?;
        // Which evidence made each unit AI, as log and blame name it.
        let mut namer = Namer::new(&ctx.repo, prepared.scope.policy.bots());
        for unit in &mut units {
            prepared.name_evidence(&ctx.repo, &mut namer, unit);
        }
        base = prepared.scope.base.as_ref().map(|b| b.describe());
        sections.push((version, units));
    }
    match args.format.format {
        Format::Json => {
            let mut report = serde_json::Map::new();
            for (version, units) in &sections {
                let units = units
                    .iter()
                    .map(|u| {
                        let mut json = unit_json(u);
                        json["evidence"] = u.evidence.clone().into();
                        json
                    })
                    .collect();
                report.insert(version.label().to_string(), units);
            }
            report.insert("base".into(), base.into());
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Text => {
            let style = Style::stdout();
            if let Some(base) = &base {
                println!("{}", style.dim(&format!("as vouch verify will judge it against {base}")));
            }
            for (version, units) in &sections {
                let title = match version {
                    Version::Staged => "staged (what the next commit holds)",
                    Version::Worktree => "working tree",
                };
                println!("{}", style.bold(&format!("{title}: {} unit(s) to sign off", units.len())));
                for u in units {
                    print_unit(style, u);
                }
            }
        }
    }
    Ok(Outcome::Ok)
}

fn print_unit(style: Style, u: &JudgedUnit) {
    let state = match u.state() {
        "approved" | "not-required" => style.green(u.state()),
        "rejected" => style.red(u.state()),
        other => style.yellow(other),
    };
    let tools = u.tools();
    let evidence =
        if u.evidence.is_empty() { String::new() } else { format!(" · {}", display::line(&u.evidence.join(", "))) };
    let what = if u.trust_file {
        String::new()
    } else if u.deleted_file {
        format!(" ({} line(s) deleted{evidence})", u.facts.ai_deleted())
    } else {
        // As `vouch log` says it: the tools, then the evidence.
        let by = if tools.is_empty() { String::new() } else { format!(" by {}", display::line(&tools.join(", "))) };
        let evidence = if u.evidence.is_empty() {
            String::new()
        } else {
            format!(" · {}", display::line(&u.evidence.join(", ")))
        };
        format!(" ({} AI line(s){by}{evidence})", u.facts.unit.ai_lines)
    };
    println!(
        "  {}:{} {} [{state}] {}{what}",
        display::line(&u.path),
        u.line,
        display::line(&u.label()),
        display::line(&u.reason()),
    );
    if !u.facts.unit.risk.is_empty() {
        println!("      risk: {}", style.red(&display::line(&u.facts.unit.risk.join(", "))));
    }
    let approved = u.approved_by();
    if !approved.is_empty() {
        println!("      approved by: {}", display::line(&approved.join(", ")));
    }
    for why in u.not_counted() {
        println!("      not counted: {}", display::line(&why));
    }
    if u.lacks_signoff() {
        let excluded = u.excluded();
        if !excluded.is_empty() {
            println!("      may not: {} (accepted, requested or authors it)", display::line(&excluded.join(", ")));
        }
        println!("      {}", style.dim(&next_step(u)));
    }
}
