//! `vouch check --staged`: the commit gate. For every file staged for the
//! next commit (read from the index `git commit` will commit, so partial
//! staging and `git commit -a` are exact), its AI spans (history and
//! journal) are mapped onto the staged content, its review units found and
//! judged under the staged policy, with the commit's author unable to
//! approve. A unit that lacks sign-off is printed as
//! `path:line kind name — reason`, with what to do next; the exit status is
//! 1 (0 under `gate = "warn"`).
//!
//! Fail closed: a journal file, a record or the policy that cannot be read
//! is an error naming it (exit 2). Without `--staged` the same check runs on
//! the working tree.

use anyhow::Context as _;

use crate::analysis::cache::AnalysisCache;
use super::context::{Context, read_journal_strict};
use super::gate_cache::{CachedFile, CachedSpan, CachedUnit, GateCache};
use crate::analysis::ai_paths::AiPaths;
use crate::analysis::attribution::{
    Analysed, Analysis, JudgedUnit, Verdicts, Version, join_ledger, ledger_in_background, list_changed, list_staged,
    verifier,
};
use super::output::Style;
use super::{Format, FormatArg, Outcome};
use crate::display;
use crate::policy::{Gate, Status};
use crate::signoff::Ledger;
use crate::store::identity;
use crate::store::journal::Journal;
use crate::store::policy_file::{self, Source};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Check what is staged (the index git will commit), as the pre-commit
    /// hook does; without it, the working tree.
    #[arg(long)]
    pub staged: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    gate(args.staged, args.format.format, false)
}

/// The check, on the index (`staged`) or the working tree. `quiet`: say
/// nothing when all is well (the pre-commit hook).
pub fn gate(staged: bool, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let version = if staged { Version::Staged } else { Version::Worktree };
    let source = if staged { Source::Index } else { Source::Worktree };
    let git_dir = ctx.repo.path().to_path_buf();
    let cache = AnalysisCache::of(&ctx.repo);
    let journal = Journal::open(&ctx.repo)?;
    // The records and the journal are read on other threads while this one
    // reads the index, the policy and the files.
    let (analysed, ledger, policy) = std::thread::scope(|scope| -> anyhow::Result<_> {
        let ledger = ledger_in_background(scope, &ctx.root, true);
        let loading = scope.spawn(|| read_journal_strict(&journal));
        // The index is read once, for the policy and the staged files: a
        // large one takes milliseconds.
        let mut index = match version {
            Version::Staged => Some(crate::store::repo::index(&ctx.repo).context("cannot read the index")?),
            Version::Worktree => None,
        };
        let policy = match &index {
            Some(index) => policy_file::load_staged(&ctx.repo, index)?,
            None => ctx.policy(&source)?,
        };
        let listed = match &mut index {
            Some(index) => list_staged(&ctx, index)?,
            None => list_changed(&ctx, version)?,
        };
        let loaded = loading.join().unwrap_or_else(|_| Err(anyhow::anyhow!("reading the journal panicked")))?;
        let files = listed.finish(&ctx, &loaded)?;
        let history = AiPaths::load(&ctx.repo, policy.bots())?;
        let analysis = Analysis {
            journal: &journal,
            loaded: &loaded,
            history: &history,
            bots: policy.bots(),
            strict: true,
            cache: Some(&cache),
        };
        let analysed = analysis.run(&git_dir, files)?;
        Ok((analysed, join_ledger(ledger)?, policy))
    })?;
    let author = identity::commit_author(&ctx.repo).ok();
    let verified = verifier(&ctx, &policy, &source, true)?;
    let verdicts = Verdicts {
        policy: &policy,
        ledger: &ledger,
        authors: author.iter().map(|a| a.email.clone()).collect(),
        verified: &*verified,
    };
    let judged: Vec<Vec<JudgedUnit>> = analysed.iter().map(|file| verdicts.judge(file)).collect();
    if staged {
        cache_for_post_commit(&ctx, &ledger, &analysed, &judged);
    }
    let units: Vec<JudgedUnit> = judged.into_iter().flatten().collect();
    let blocking: Vec<&JudgedUnit> = units.iter().filter(|u| u.blocking).collect();
    let warn = policy.gate() == Gate::Warn;
    let outcome = match (blocking.is_empty(), warn) {
        (true, _) => "passed",
        (false, true) => "warned",
        (false, false) => "refused",
    };
    let policy_name = policy.file().map(str::to_string).unwrap_or_else(|| "(no policy file: defaults)".into());
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "version": version.label(),
                "policy": policy_name,
                "gate": if warn { "warn" } else { "block" },
                "outcome": outcome,
                "units": units.iter().map(unit_json).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Text if quiet && blocking.is_empty() => {}
        Format::Text => print_text(&units, &blocking, warn, staged, ledger.repository_id.is_none()),
    }
    Ok(if blocking.is_empty() || warn { Outcome::Ok } else { Outcome::Failed })
}

/// Keep what the gate found for the post-commit hook (see
/// [`super::gate_cache`]).
fn cache_for_post_commit(ctx: &Context, ledger: &Ledger, analysed: &[Analysed], judged: &[Vec<JudgedUnit>]) {
    let files = analysed
        .iter()
        .zip(judged)
        .map(|(file, units)| CachedFile {
            path: file.path.clone(),
            blob: file.blob.to_string(),
            spans: file
                .journal_spans
                .iter()
                .map(|(r, a)| CachedSpan { start: r.start, end: r.end, attribution: a.clone() })
                .collect(),
            units: units
                .iter()
                .map(|u| CachedUnit {
                    start: u.facts.unit.range.start,
                    end: u.facts.unit.range.end,
                    approvals: u.approval_ids(ledger),
                    rationale: ledger.rationale(&u.facts.unit.fingerprint).map(str::to_string),
                })
                .collect(),
            covered: file.covered.clone(),
        })
        .collect();
    GateCache::new(files).write(&ctx.repo);
}

/// A unit as JSON, for `check` and `status`.
pub fn unit_json(u: &JudgedUnit) -> serde_json::Value {
    serde_json::json!({
        "path": u.path,
        "line": u.line,
        "end_line": u.end_line,
        "kind": u.facts.unit.kind,
        "name": u.facts.unit.name,
        "fingerprint": u.facts.unit.fingerprint,
        "state": u.state(),
        "reason": u.reason(),
        "blocking": u.blocking,
        "reviewers": u.reviewers(),
        "excluded": u.excluded(),
        "ai_lines": u.facts.unit.ai_lines,
        "risk": u.facts.unit.risk,
        "tools": u.tools(),
        "suspected": u.facts.suspected,
        "not_counted": u.not_counted(),
    })
}

/// What to do about a unit that lacks sign-off (shown to a person: names
/// made visible, paths quoted for the shell).
pub fn next_step(u: &JudgedUnit) -> String {
    let at = display::shell_word(&format!("{}:{}", u.path, u.line));
    let reviewers = display::line(&u.reviewers().join(", ")).into_owned();
    match &u.judgement.assessment.status {
        _ if u.facts.suspected => format!(
            "classify it: vouch mark {} --ai (then request sign-off) or --human",
            display::shell_word(&format!("{}:{}-{}", u.path, u.line, u.end_line))
        ),
        Status::Requested { .. } => format!("waiting for sign-off from: {reviewers}"),
        Status::Rejected { .. } => format!("change it, then request sign-off again: vouch request {at} -m \"why\""),
        _ => format!("request sign-off: vouch request {at} -m \"why\"; may sign off: {reviewers}"),
    }
}

fn print_text(units: &[JudgedUnit], blocking: &[&JudgedUnit], warn: bool, staged: bool, no_commits: bool) {
    let style = Style::stdout();
    let what = if staged { "staged" } else { "in the working tree" };
    if blocking.is_empty() {
        let signed = units.iter().filter(|u| !u.lacks_signoff()).count();
        let suspected = units.len() - signed;
        let mut line = format!("vouch: {} AI-written unit(s) {what}; none lacks sign-off", units.len());
        if suspected > 0 {
            line.push_str(&format!(" ({suspected} merely suspected: classify them with vouch mark)"));
        }
        println!("{}", style.green(&line));
        return;
    }
    for u in blocking {
        let head = format!(
            "{}:{} {} — {}",
            display::line(&u.path),
            u.line,
            display::line(&u.label()),
            display::line(&u.reason())
        );
        println!("{}", if warn { style.yellow(&head) } else { style.red(&head) });
        for why in u.not_counted() {
            println!("    not counted: {}", display::line(&why));
        }
        println!("    {}", style.dim(&next_step(u)));
    }
    let count = blocking.len();
    let summary = if warn {
        format!(
            "vouch: warning: {count} AI-written unit(s) {what} lack sign-off (gate = \"warn\": the commit goes ahead; CI's vouch verify will still ask)"
        )
    } else {
        let verdict = if staged { "commit refused" } else { "a commit of them would be refused" };
        format!("vouch: {count} AI-written unit(s) {what} lack sign-off; {verdict}")
    };
    println!("{}", style.bold(&summary));
    if no_commits {
        println!(
            "    the repository has no commits yet, so nothing can be approved: commit without AI text first (e.g. .vouch.toml)"
        );
    }
}
