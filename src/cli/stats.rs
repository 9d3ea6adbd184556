//! `vouch stats [RANGE] [--since DATE]`: the review load and AI share, for
//! the team: the queue (units and AI lines awaiting each reviewer, the
//! oldest request), review latency, the share of AI-written lines the
//! range's commits added (per evidence kind, tool, author and directory, by
//! the lineage `vouch verify` judges by), the AI lines of HEAD the range
//! wrote, and how much senior review the policy's `[[triage]]` saves.
//! `vouch report` draws the same numbers.
//!
//! A range `A..B` is judged as `vouch verify A..B` judges it, under the
//! policy (and allowed signers) at A; without one, under the policy at BASE
//! of the work in progress. `SOURCE_DATE_EPOCH` (seconds since 1970), when
//! set, is the time the numbers are as of (ages, the report's date), so
//! that the same history gives the same output.
//!
//! The numbers are read by [`super::team`] and computed in
//! [`crate::queue`].

use super::context::Context;
use super::team::{self, Window};
use super::{FormatArg, Outcome};
use crate::queue;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commits to measure: `BASE..HEAD`, or a revision and all its
    /// history (default: the last 100 commits of HEAD, or all if fewer).
    pub range: Option<String>,
    /// Only commits made since DATE (any date git reads: `2026-01-31`,
    /// `2 weeks ago`); without RANGE, all of HEAD's history since then.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    // The history is read in one walk: a spinner, on a terminal only.
    let progress = super::output::spinner("reading the history");
    let report = team::collect(&ctx, &Window { range: args.range, since: args.since });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let report = report?;
    match args.format.format {
        super::Format::Text => print!("{}", queue::render_text(&report)),
        super::Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(Outcome::Ok)
}
