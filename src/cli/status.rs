//! `vouch status`: the units `vouch verify` will judge, as the next commit
//! would leave them if made from what is staged (the index) and from the
//! working tree (files changed since HEAD and files the journal holds
//! records for): AI-written units from the range since BASE and changes to
//! trust files, each with its state, its risk tags, who may sign it off,
//! who may not, the evidence that made it AI (named as `vouch log` and
//! `vouch blame` name it), and every decision on it that does not count
//! and why. The same judgement the gate and the editor make
//! ([`crate::analysis::next`]). Then the files whose executable bit an AI
//! changed in the range ([`crate::analysis::scope::Scope::ai_mode_changes`]),
//! as verify judges them.
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
use crate::analysis::scope::{ModeChangeByAi, staged_mode_changes};
use crate::display;
use crate::signoff::{self, Judgement};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let mut sections = Vec::new();
    let mut base = None;
    let mut modes = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    for version in [Version::Staged, Version::Worktree] {
        let prepared =
            next::prepare(&ctx, Options { version, strict: false, all: true, next_people: false, base: None })?;
        // What a person needs to hear (a policy that does not parse, a
        // record a view could not use), once for both versions.
        for warning in &prepared.warnings {
            if !warnings.contains(warning) {
                eprintln!("vouch: warning: {}", crate::display::line(warning));
                warnings.push(warning.clone());
            }
        }
        if version == Version::Staged {
            modes = judge_mode_changes(&ctx, &prepared)?;
        }
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
            let modes: Vec<serde_json::Value> = modes.iter().map(ModeChangeJudged::json).collect();
            report.insert("mode_changes".into(), modes.into());
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
            for (committed, title) in [(true, "committed"), (false, "staged")] {
                let these: Vec<&ModeChangeJudged> = modes.iter().filter(|m| m.committed() == committed).collect();
                if !these.is_empty() {
                    println!("{}", style.bold(&format!("{title}: {} file(s) whose mode an AI changed", these.len())));
                    for m in these {
                        m.print(style);
                    }
                }
            }
        }
    }
    Ok(Outcome::Ok)
}

/// A file whose executable bit an AI changed, in the range or in the next
/// commit, judged as `vouch verify` judges it.
pub(super) struct ModeChangeJudged {
    found: ModeChangeByAi,
    judgement: Judgement,
}

/// The files whose executable bit an AI changed in the range, and those
/// whose change an agent made that the next commit holds, judged.
fn judge_mode_changes(ctx: &Context, prepared: &next::Prepared) -> anyhow::Result<Vec<ModeChangeJudged>> {
    let mut found = prepared.scope.ai_mode_changes(&ctx.repo, None)?;
    let staged = staged_mode_changes(&ctx.repo, &prepared.scope.policy, &prepared.modes, &[])?;
    let staged: Vec<ModeChangeByAi> =
        staged.into_iter().filter(|s| !found.iter().any(|c| c.change.path == s.change.path)).collect();
    found.extend(staged);
    Ok(ModeChangeJudged::all(found, &prepared.judge_with()))
}

impl ModeChangeJudged {
    /// Each of `found` that needs sign-off under `judge`'s policy, judged.
    pub(super) fn all(found: Vec<ModeChangeByAi>, judge: &crate::analysis::judge::Judge<'_>) -> Vec<ModeChangeJudged> {
        found
            .into_iter()
            .map(|found| {
                let (path, fp) = (&found.change.path, &found.change.fingerprint);
                let judgement = judge.ledger.judge_mode_change(judge.policy, path, fp, &found.people, judge.verified);
                ModeChangeJudged { found, judgement }
            })
            .filter(|m| m.judgement.requirement.needs_signoff)
            .collect()
    }

    /// Whether a commit of the range made it (else the next commit holds
    /// it).
    fn committed(&self) -> bool {
        !self.found.change.commits.is_empty()
    }

    /// Whether it lacks sign-off.
    pub(super) fn blocking(&self) -> bool {
        self.judgement.assessment.status.is_blocking()
    }

    fn state(&self) -> &'static str {
        self.judgement.assessment.status.name()
    }

    pub(super) fn json(&self) -> serde_json::Value {
        let change = &self.found.change;
        serde_json::json!({
            "path": change.path,
            "kind": signoff::MODE_CHANGE,
            "from": change.from,
            "to": change.to,
            "fingerprint": change.fingerprint,
            "state": self.state(),
            "evidence": change.evidence,
            "commits": change.commits.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            "staged": !self.committed(),
            "excluded": self.found.people,
        })
    }

    pub(super) fn print(&self, style: Style) {
        let change = &self.found.change;
        let state = match self.state() {
            "approved" => style.green("approved"),
            "rejected" => style.red("rejected"),
            other => style.yellow(other),
        };
        println!(
            "  {} {} [{state}] made {} ({} → {} · {})",
            display::line(&change.path),
            signoff::MODE_CHANGE,
            change.describe(),
            change.from,
            change.to,
            display::line(&change.evidence.join(", ")),
        );
        if self.judgement.assessment.status.is_blocking() {
            if !self.found.people.is_empty() {
                println!("      may not: {} (authors it)", display::line(&self.found.people.join(", ")));
            }
            // Committed, it is approved as HEAD has it; staged, as the
            // index has it.
            let from = if self.committed() { " from a checkout of HEAD" } else { "" };
            let step = format!(
                "a reviewer signs it off{from}: vouch approve --file {}; may sign off: {}",
                display::shell_word(&change.path),
                display::line(&self.judgement.requirement.reviewers.to_string())
            );
            println!("      {}", style.dim(&step));
        }
    }
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
