//! `vouch status`: the AI-written units of what is staged (the index, under
//! the staged policy) and of the working tree (files changed since HEAD and
//! files the journal holds records for, under the policy on disk), each with
//! its state and who may sign it off. A report: it exits 0 whatever the
//! units' state, and reads on past what it cannot read (with a warning),
//! unlike the gate.

use crate::analysis::cache::AnalysisCache;
use super::check::{next_step, unit_json};
use super::context::Context;
use crate::analysis::ai_paths::AiPaths;
use crate::analysis::attribution::{
    Analysis, JudgedUnit, Verdicts, Version, changed_files, join_ledger, ledger_in_background, verifier,
};
use super::output::Style;
use super::{Format, FormatArg, Outcome};
use crate::display;
use crate::store::identity;
use crate::store::policy_file::Source;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let git_dir = ctx.repo.path().to_path_buf();
    let cache = AnalysisCache::of(&ctx.repo);
    let author = identity::commit_author(&ctx.repo).ok();
    let versions = [(Version::Staged, Source::Index), (Version::Worktree, Source::Worktree)];
    let (analysed, ledger) = std::thread::scope(|scope| -> anyhow::Result<_> {
        let ledger = ledger_in_background(scope, &ctx.root, false);
        let journal = ctx.journal()?;
        let mut analysed = Vec::new();
        for (version, source) in &versions {
            let policy = ctx.policy(source)?;
            let files = changed_files(&ctx, *version, &journal.1)?;
            let history = AiPaths::load(&ctx.repo, policy.bots())?;
            let analysis = Analysis {
                journal: &journal.0,
                loaded: &journal.1,
                history: &history,
                bots: policy.bots(),
                strict: false,
                cache: Some(&cache),
            };
            let found = analysis.run(&git_dir, files)?;
            analysed.push((policy, found));
        }
        Ok((analysed, join_ledger(ledger)?))
    })?;
    let mut sections = Vec::new();
    for ((version, source), (policy, files)) in versions.iter().zip(&analysed) {
        let verified = verifier(&ctx, policy, source, false)?;
        let verdicts = Verdicts {
            policy,
            ledger: &ledger,
            authors: author.iter().map(|a| a.email.clone()).collect(),
            verified: &*verified,
        };
        let units: Vec<JudgedUnit> = files.iter().flat_map(|f| verdicts.judge(f)).collect();
        sections.push((*version, units));
    }
    match args.format.format {
        Format::Json => {
            let mut report = serde_json::Map::new();
            for (version, units) in &sections {
                report.insert(version.label().to_string(), units.iter().map(unit_json).collect());
            }
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Text => {
            let style = Style::stdout();
            for (version, units) in &sections {
                let title = match version {
                    Version::Staged => "staged (what the next commit holds)",
                    Version::Worktree => "working tree",
                };
                println!("{}", style.bold(&format!("{title}: {} AI-written unit(s)", units.len())));
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
    println!(
        "  {}:{} {} [{state}] {} ({} AI line(s){})",
        display::line(&u.path),
        u.line,
        display::line(&u.label()),
        display::line(&u.reason()),
        u.facts.unit.ai_lines,
        if tools.is_empty() { String::new() } else { format!(", {}", display::line(&tools.join(", "))) }
    );
    if u.lacks_signoff() {
        let excluded = u.excluded();
        if !excluded.is_empty() {
            println!("      may not: {} (accepted, requested or authors it)", display::line(&excluded.join(", ")));
        }
        for why in u.not_counted() {
            println!("      not counted: {why}");
        }
        println!("      {}", style.dim(&next_step(u)));
    }
}
