//! `vouch verify BASE..HEAD`: CI's check. Exit 0 when every AI unit of the
//! range has its sign-off under the policy as of BASE, 1 with every reason
//! listed, 2 when a note, record or policy cannot be read.
//!
//! One run can write several formats: `--format` for standard output, and
//! `--report FORMAT=FILE` (repeatable) for files, e.g. annotations on
//! standard output, the job summary, SARIF and a GitLab Code Quality report
//! from one verification.

use anyhow::{Context as _, bail};

use super::Outcome;
use super::context::Context;
use crate::verify::{self, Report, parse_range};

/// How `vouch verify` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum VerifyFormat {
    #[default]
    Text,
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands: an annotation per failure on the
    /// unit's lines.
    Github,
    /// GitHub-flavoured Markdown, for a job summary or a comment.
    Markdown,
    /// A GitLab Code Quality report (CodeClimate-style JSON).
    Gitlab,
}

impl VerifyFormat {
    /// The report in this format.
    pub fn render(self, report: &Report) -> anyhow::Result<String> {
        Ok(match self {
            VerifyFormat::Text => verify::render_text(report),
            VerifyFormat::Json => format!("{}\n", serde_json::to_string_pretty(report)?),
            VerifyFormat::Sarif => format!("{}\n", serde_json::to_string_pretty(&verify::to_sarif(report))?),
            VerifyFormat::Github => verify::render_github(report),
            VerifyFormat::Markdown => verify::render_markdown(report),
            VerifyFormat::Gitlab => format!("{}\n", serde_json::to_string_pretty(&verify::to_gitlab(report))?),
        })
    }
}

/// `FORMAT=FILE`, for `--report`.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub format: VerifyFormat,
    pub path: std::path::PathBuf,
}

fn parse_report_file(spec: &str) -> Result<ReportFile, String> {
    use clap::ValueEnum as _;
    let (format, path) =
        spec.split_once('=').ok_or_else(|| format!("expected FORMAT=FILE (e.g. sarif=vouch.sarif), got `{spec}`"))?;
    let format = VerifyFormat::from_str(format, true).map_err(|_| {
        let names: Vec<String> = VerifyFormat::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        format!("unknown format `{format}` (one of: {})", names.join(", "))
    })?;
    if path.is_empty() {
        return Err(format!("no file after `{format:?}=`").to_lowercase());
    }
    Ok(ReportFile { format, path: path.into() })
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The range to check, `BASE..HEAD` (e.g. `origin/main..HEAD`); the
    /// policy and allowed signers are read as of BASE. A lone revision is
    /// BASE (`origin/main` means `origin/main..HEAD`). A range that holds
    /// no commit (HEAD at BASE or behind it) is refused: it would verify
    /// nothing.
    #[arg(value_name = "BASE..HEAD")]
    pub range: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
    /// Also write the report to this file (same format), e.g. for a SARIF
    /// upload step.
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Also write the report in another format to a file, from the same
    /// run: `--report sarif=vouch.sarif --report markdown=summary.md`.
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report_file)]
    pub reports: Vec<ReportFile>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let cx = Context::open()?;
    let (base, head) = parse_range(&args.range)?;
    let mut paths: Vec<&std::path::Path> = args.reports.iter().map(|r| r.path.as_path()).collect();
    paths.extend(args.output.as_deref());
    paths.sort();
    if let Some(twice) = paths.windows(2).find(|w| w[0] == w[1]) {
        bail!("{} is named twice as an output file", crate::display::line(&twice[0].display().to_string()));
    }
    // The commits are walked inside the verifier: a spinner, on a terminal only.
    let progress = super::output::spinner(&format!("verifying {}", crate::display::line(&args.range)));
    let report = verify::verify(&cx.repo, &base, &head);
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let report = report.with_context(|| format!("cannot verify {}", args.range))?;
    let text = args.format.render(&report)?;
    // Files first: a closed standard output must not lose them.
    if let Some(path) = &args.output {
        std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    for file in &args.reports {
        let text = file.format.render(&report)?;
        std::fs::write(&file.path, text).with_context(|| format!("cannot write {}", file.path.display()))?;
    }
    print!("{text}");
    Ok(if report.passed() { Outcome::Ok } else { Outcome::Failed })
}
