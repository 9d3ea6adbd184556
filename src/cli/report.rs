//! `vouch report --html [-o FILE] [RANGE]`: the numbers of `vouch stats` as
//! one self-contained HTML page (inline CSS and SVG charts, no scripts,
//! nothing fetched): AI share over time and per directory, queue age, the
//! queue's risk mix, the load awaiting each reviewer and triage savings.

use std::path::PathBuf;

use anyhow::Context as _;

use super::Outcome;
use super::context::Context;
use super::team::{self, Window};
use crate::queue;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write HTML (the report's only format; `vouch stats --format json`
    /// gives the same numbers as data).
    #[arg(long)]
    pub html: bool,
    /// Where to write the page (`-` for standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE", default_value = "vouch-report.html")]
    pub output: PathBuf,
    /// The commits to measure, as for `vouch stats`.
    pub range: Option<String>,
    /// Only commits made since DATE, as for `vouch stats`.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let report = team::collect(&ctx, &Window { range: args.range, since: args.since })?;
    let html = queue::render_html(&report);
    if args.output.as_os_str() == "-" {
        print!("{html}");
    } else {
        std::fs::write(&args.output, html).with_context(|| format!("cannot write {}", args.output.display()))?;
        eprintln!("vouch: wrote {}", args.output.display());
    }
    Ok(Outcome::Ok)
}
