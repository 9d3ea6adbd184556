//! `vouch verify BASE..HEAD`: CI's check. Exit 0 when every AI unit of the
//! range has its sign-off under the policy as of BASE, 1 with every reason
//! listed, 2 when a note, record or policy cannot be read.

use anyhow::Context as _;

use super::Outcome;
use super::context::Context;
use crate::verify::{self, parse_range};

/// How `vouch verify` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum VerifyFormat {
    #[default]
    Text,
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The range to check, `BASE..HEAD` (e.g. `origin/main..HEAD`); the
    /// policy and allowed signers are read as of BASE.
    #[arg(value_name = "BASE..HEAD")]
    pub range: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
    /// Also write the report to this file (same format), e.g. for a SARIF
    /// upload step.
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let cx = Context::open()?;
    let (base, head) = parse_range(&args.range)?;
    let report = verify::verify(&cx.repo, &base, &head).with_context(|| format!("cannot verify {}", args.range))?;
    let text = match args.format {
        VerifyFormat::Text => verify::render_text(&report),
        VerifyFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        VerifyFormat::Sarif => format!("{}\n", serde_json::to_string_pretty(&verify::to_sarif(&report))?),
    };
    print!("{text}");
    if let Some(path) = &args.output {
        std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if report.passed() { Outcome::Ok } else { Outcome::Failed })
}
