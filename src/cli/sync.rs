//! `vouch sync [REMOTE]`: fetch the remote's vouch notes and records, merge
//! them with ours as a union (nothing on either side is lost), move records
//! older versions kept under `refs/vouch/*` onto the records branch, and push
//! the result (fast-forwards only).

use anyhow::Context as _;

use super::context::Context;
use super::output::Style;
use super::{Format, FormatArg, Outcome};
use crate::store::notes::NOTES_REF;
use crate::store::sync::{self, Config};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The remote to share with (a name, URL or path).
    #[arg(default_value = "origin")]
    pub remote: String,
    /// Fetch and merge, but do not push.
    #[arg(long)]
    pub no_push: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let cx = Context::open()?;
    let config = Config { push: !args.no_push, ..Config::default() };
    let report =
        sync::sync(&cx.repo, &args.remote, &config).with_context(|| format!("cannot sync with {}", args.remote))?;
    // The records that came in are read here, not by the next commit's
    // gate. The cache is derived data: failing to keep it costs only time.
    if let Err(e) = crate::store::records::refresh_cache(&cx.repo) {
        eprintln!("vouch: warning: cannot bring the records cache up to date: {e}");
    }
    if args.format.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&report_json(&report, !args.no_push))?);
        return Ok(Outcome::Ok);
    }
    let style = Style::stdout();
    let warn = Style::stderr();
    for warning in &report.warnings {
        eprintln!("vouch: {} {}", warn.yellow("warning:"), crate::display::line(warning));
    }
    for bad in &report.bad_remote_records {
        eprintln!(
            "vouch: {} {} has an invalid record {}",
            warn.yellow("warning:"),
            report.remote,
            crate::display::line(&bad.to_string())
        );
    }
    for r in &report.refs {
        let short = |o: Option<git2::Oid>| o.map_or("none".to_string(), |o| o.to_string()[..10].to_string());
        let what = match (r.fetched, r.name.as_str()) {
            (None, _) => format!("{}: {} does not have it", r.name, report.remote),
            (Some(_), NOTES_REF) if r.before == r.after => format!("{}: fetched, nothing new", r.name),
            (Some(_), NOTES_REF) => {
                format!("{}: fetched and merged ({} → {})", r.name, short(r.before), short(r.after))
            }
            (Some(_), _) if r.added == 0 => format!("{}: fetched, nothing new", r.name),
            (Some(_), _) => format!("{}: fetched and merged {} new record(s)", r.name, r.added),
        };
        println!("{what}{}", if r.pushed { style.green(", pushed") } else { String::new() });
        for conflict in &r.conflicts {
            eprintln!(
                "vouch: {} {}: {} differs between here and {} (kept ours; one of them is corrupt)",
                warn.yellow("warning:"),
                r.name,
                crate::display::line(&conflict.to_string()),
                report.remote
            );
        }
    }
    for moved in &report.migrated {
        println!(
            "{}: {} record(s) moved from {} (where older versions of vouch keep them)",
            crate::store::records::RECORDS_BRANCH,
            moved.records,
            moved.from
        );
    }
    if report.attempts > 1 {
        println!("{} moved on while syncing; took {} rounds", report.remote, report.attempts);
    }
    if args.no_push {
        println!("not pushed (--no-push)");
    }
    Ok(Outcome::Ok)
}

/// The report as data: each shared ref (ids in full), what moved, and every
/// warning (which text mode prints on standard error).
fn report_json(report: &sync::SyncReport, push: bool) -> serde_json::Value {
    let id = |o: Option<git2::Oid>| o.map(|o| o.to_string());
    let refs: Vec<serde_json::Value> = report
        .refs
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.name,
                "fetched": id(r.fetched),
                "before": id(r.before),
                "after": id(r.after),
                "added": r.added,
                "conflicts": r.conflicts,
                "pushed": r.pushed,
            })
        })
        .collect();
    let migrated: Vec<serde_json::Value> =
        report.migrated.iter().map(|m| serde_json::json!({ "from": m.from, "records": m.records })).collect();
    let bad: Vec<String> = report.bad_remote_records.iter().map(ToString::to_string).collect();
    serde_json::json!({
        "remote": report.remote,
        "push": push,
        "attempts": report.attempts,
        "refs": refs,
        "migrated": migrated,
        "bad_remote_records": bad,
        "warnings": report.warnings,
    })
}
