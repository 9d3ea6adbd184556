//! `vouch notes rebuild BASE..HEAD [--source REF]... [--all-notes]`: give
//! notes to commits that have none because a server made them (a squash
//! merge, a rebase on the server), from the notes of the commits they came
//! from. For CI to run after a merge; see [`crate::store::notes::rebuild`].

use std::io::IsTerminal as _;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use crate::store::notes::{self, RebuildConfig};

use super::context::Context;
use super::output::Style;
use super::{Format, FormatArg, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write notes for the commits in a range that have none, from the notes
    /// of the commits they were squashed, cherry-picked or rebased from.
    Rebuild(RebuildArgs),
}

#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    /// `BASE..HEAD`, or one commit.
    pub range: String,
    /// Where the original commits are (e.g. `origin/feature`); repeat for
    /// several. Default: every local branch and remote-tracking ref.
    #[arg(long = "source", value_name = "REF")]
    pub sources: Vec<String>,
    /// Also take every commit with a vouch note as a candidate (a branch
    /// deleted after its merge).
    #[arg(long)]
    pub all_notes: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Serialize)]
struct Rebuilt {
    commit: String,
    from: Vec<String>,
    records: usize,
    dropped: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    match args.command {
        Command::Rebuild(args) => rebuild(args),
    }
}

fn rebuild(args: RebuildArgs) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    // Bot authors as the checked-out policy lists them; an unreadable policy
    // lists none (trailers still count).
    let bots = ctx.policy(&crate::store::policy_file::Source::Worktree).map(|p| p.bots().to_vec()).unwrap_or_default();
    let config = RebuildConfig { sources: args.sources, all_notes: args.all_notes, bots };
    let count = count_commits(&ctx.repo, &args.range)?;
    // A spinner only where someone watches: never in CI logs or pipes.
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("rebuilding notes for {count} commit{} in {}", plural(count), args.range));
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let result = notes::rebuild(&ctx.repo, &args.range, &config);
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let done = result.with_context(|| format!("cannot rebuild notes for {}", args.range))?;
    let report: Vec<Rebuilt> = done
        .into_iter()
        .map(|r| Rebuilt {
            commit: r.commit.to_string(),
            from: r.from.iter().map(|c| c.to_string()).collect(),
            records: r.records,
            dropped: r.dropped,
        })
        .collect();
    match args.format.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => {
            let style = Style::stdout();
            println!(
                "{} note{} written ({count} commit{} in {})",
                report.len(),
                plural(report.len()),
                plural(count),
                args.range
            );
            for r in &report {
                let from: Vec<&str> = r.from.iter().map(|c| &c[..10]).collect();
                println!(
                    "  {} {} record{} from {}",
                    style.yellow(&r.commit[..10]),
                    r.records,
                    plural(r.records),
                    if from.is_empty() { "-".to_string() } else { from.join(", ") }
                );
                for d in &r.dropped {
                    println!("    dropped: {}", crate::display::line(d));
                }
            }
        }
    }
    Ok(Outcome::Ok)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How many commits `range` holds (`BASE..HEAD`, or one commit).
fn count_commits(repo: &git2::Repository, range: &str) -> anyhow::Result<usize> {
    if !range.contains("..") {
        repo.revparse_single(range)
            .and_then(|o| o.peel_to_commit())
            .with_context(|| format!("unknown revision `{range}`"))?;
        return Ok(1);
    }
    let mut walk = repo.revwalk()?;
    walk.push_range(range).with_context(|| format!("bad range `{range}` (expected BASE..HEAD)"))?;
    Ok(walk.count())
}
