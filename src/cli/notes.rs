//! `vouch notes rebuild BASE..HEAD [--source REF]... [--all-notes]`: give
//! notes to commits that have none because a server made them (a squash
//! merge, a rebase on the server), from the notes of the commits they came
//! from. For CI to run after a merge; see [`crate::store::notes::rebuild`].
//! Run where a commit was made without git's hooks (before `vouch init`),
//! it notes it from that worktree's journal too.

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
    /// of the commits they were squashed, cherry-picked or rebased from, or
    /// (for commits made here where git's hooks did not run) from this
    /// worktree's journal.
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
    /// Noted from this worktree's journal: a commit made where git's hooks
    /// did not run, whose AI text the journal still held.
    journal: bool,
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
    let commits = range_commits(&ctx.repo, &args.range)?;
    let count = commits.len();
    // A spinner only where someone watches: never in CI logs or pipes.
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("rebuilding notes for {count} commit{} in {}", plural(count), args.range));
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let result = notes::rebuild(&ctx.repo, &args.range, &config).map_err(anyhow::Error::from).and_then(|done| {
        // What no other commit gave a note: from this worktree's journal.
        let (_, loaded) = ctx.journal()?;
        Ok((done, super::commit_note::unnoted_in(&ctx, &loaded, &commits)?))
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let (done, journal) = result.with_context(|| format!("cannot rebuild notes for {}", args.range))?;
    let mut report: Vec<Rebuilt> = done
        .into_iter()
        .map(|r| Rebuilt {
            commit: r.commit.to_string(),
            from: r.from.iter().map(|c| c.to_string()).collect(),
            journal: false,
            records: r.records,
            dropped: r.dropped,
        })
        .collect();
    for commit in journal {
        let records = notes::read_note(&ctx.repo, commit)?.map_or(0, |n| n.len());
        report.push(Rebuilt {
            commit: commit.to_string(),
            from: Vec::new(),
            journal: true,
            records,
            dropped: Vec::new(),
        });
    }
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
                    if r.journal {
                        "this worktree's journal (made where git's hooks did not run)".to_string()
                    } else if from.is_empty() {
                        "-".to_string()
                    } else {
                        from.join(", ")
                    }
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

/// The commits `range` holds (`BASE..HEAD`, or one commit), oldest first.
fn range_commits(repo: &git2::Repository, range: &str) -> anyhow::Result<Vec<git2::Oid>> {
    if !range.contains("..") {
        return Ok(vec![crate::verify::resolve(repo, range)?.id()]);
    }
    let (base, head) = crate::verify::range_ends(repo, range)?;
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
    walk.push(head)?;
    walk.hide(base)?;
    walk.collect::<Result<_, _>>().with_context(|| format!("cannot walk {range}"))
}
