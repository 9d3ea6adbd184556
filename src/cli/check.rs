//! `vouch check --staged`: the commit gate. It asks of the next commit
//! exactly what `vouch verify BASE..HEAD` will ask of it in CI (see
//! [`crate::analysis::scope`]): the index `git commit` will commit (partial
//! staging and `git commit -a` exact) as the last commit of the range from
//! BASE (the merge-base with the upstream or default branch, or git config
//! `vouch.base`), with the note the post-commit hook will write for it as
//! its evidence, judged under the policy and allowed signers as of BASE,
//! with the next commit's author and committer, like every author of the
//! range's commits that touched a unit, unable to approve it. A unit the
//! next commit touches that lacks sign-off (an AI-written unit, or a change
//! to a trust file) is printed as `path:line kind name — reason`, with what
//! to do next; the exit status is 1 (0 under `gate = "warn"`). Units that
//! earlier commits of the range left without sign-off are counted, not
//! refused here: verify asks them of those commits.
//!
//! Fail closed: a journal file, a record or the policy that cannot be read
//! is an error naming it (exit 2). Without `--staged` the same check runs on
//! the working tree.

use super::gate_cache::{CachedFile, CachedMode, CachedRemoval, CachedSpan, CachedUnit, GateCache, Stamp};
use super::output::Style;
use super::status::ModeChangeJudged;
use super::{Format, FormatArg, Outcome};
use crate::analysis::changes::Version;
use crate::analysis::context::Context;
use crate::analysis::judge::JudgedUnit;
use crate::analysis::next::{self, Next, Options};
use crate::analysis::scope::staged_mode_changes;
use crate::display;
use crate::policy::{Gate, Status};

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
    // A clone without vouch init notes no commit, loses notes on rebase and
    // does not share them on push: say so on every check until it is set
    // up (and, on every commit, where the repository id comes from).
    let id = staged.then(|| crate::store::repo::repository(&ctx.repo).ok().and_then(|id| id.warning())).flatten();
    for warning in super::git_hooks::setup_warning(&ctx.repo).into_iter().chain(id) {
        eprintln!("vouch: warning: {warning}");
    }
    let version = if staged { Version::Staged } else { Version::Worktree };
    let stamp = staged.then(|| Stamp::now(&ctx.repo));
    let next = next::next(&ctx, Options { version, strict: true, all: false, next_people: true, base: None })?;
    if let Some(stamp) = stamp {
        cache_for_post_commit(&ctx, &next, stamp);
    }
    let policy = next.policy();
    for warning in &next.warnings {
        eprintln!("vouch: warning: {}", display::line(warning));
    }
    // The units the next commit touches: what verify will ask of it.
    let units: Vec<&JudgedUnit> = next.units.iter().filter(|u| u.next).collect();
    let blocking: Vec<&JudgedUnit> = units.iter().copied().filter(|u| u.blocking).collect();
    let earlier: Vec<&JudgedUnit> = next.units.iter().filter(|u| !u.next && u.lacks_signoff()).collect();
    // And the changes of mode it makes that agents recorded.
    let modes = match staged && !next.modes.is_empty() {
        true => {
            let people = crate::analysis::scope::Scope::next_people(&ctx.repo);
            let found = staged_mode_changes(&ctx.repo, policy, &next.modes, &people)?;
            let verified = crate::analysis::judge::verifier(&ctx.repo, policy, &next.scope.source, true)?;
            let renamed = std::collections::HashMap::new();
            let judge =
                crate::analysis::judge::Judge { policy, ledger: &next.ledger, verified: &*verified, renamed: &renamed };
            ModeChangeJudged::all(found, &judge)
        }
        false => Vec::new(),
    };
    let modes_blocking: Vec<&ModeChangeJudged> = modes.iter().filter(|m| m.blocking()).collect();
    let warn = policy.gate() == Gate::Warn;
    let outcome = match (blocking.is_empty() && modes_blocking.is_empty(), warn) {
        (true, _) => "passed",
        (false, true) => "warned",
        (false, false) => "refused",
    };
    let policy_name = policy.file().map(str::to_string).unwrap_or_else(|| "(no policy file: defaults)".into());
    let base = next.scope.base.as_ref().map(|b| b.describe());
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "version": version.label(),
                "base": next.scope.base.as_ref().map(|b| b.commit.to_string()),
                "base_rule": base,
                "policy": policy_name,
                "gate": if warn { "warn" } else { "block" },
                "outcome": outcome,
                "units": units.iter().map(|u| unit_json(u)).collect::<Vec<_>>(),
                "mode_changes": modes.iter().map(ModeChangeJudged::json).collect::<Vec<_>>(),
                "earlier_units_lacking_signoff": earlier.len(),
            });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Text if quiet && blocking.is_empty() && modes_blocking.is_empty() => {}
        Format::Text => {
            if !modes_blocking.is_empty() {
                let style = Style::stdout();
                let title = format!("staged: {} file(s) whose mode an AI changed lack sign-off", modes_blocking.len());
                println!("{}", if warn { style.yellow(&title) } else { style.red(&title) });
                for m in &modes_blocking {
                    m.print(style);
                }
            }
            match blocking.is_empty() && !modes_blocking.is_empty() {
                // Only changes of mode: the units' "none lacks" would contradict them.
                true => {
                    let verdict = if warn { "the commit goes ahead (gate = \"warn\")" } else { "commit refused" };
                    println!("{}", Style::stdout().bold(&format!("vouch: {verdict}")));
                }
                false => print_text(&units, &blocking, warn, staged, next.ledger.repository_id.is_none()),
            }
            if !earlier.is_empty() {
                println!(
                    "    {} from earlier commits since {} lack sign-off too: vouch status lists them, and vouch verify will ask",
                    counted(&earlier),
                    base.as_deref().unwrap_or("BASE")
                );
            }
        }
    }
    let result = if (blocking.is_empty() && modes_blocking.is_empty()) || warn { Outcome::Ok } else { Outcome::Failed };
    // The command ends here: what it read (the units, their facts, the
    // records, the repository's caches) is left to the process's exit
    // rather than freed piece by piece (about 2 ms of the gate's CPU on 50
    // files). Nothing in it writes when dropped.
    std::mem::forget(next);
    std::mem::forget(ctx);
    Ok(result)
}

/// Keep what the gate found for the post-commit hook (see
/// [`super::gate_cache`]).
fn cache_for_post_commit(ctx: &Context, next: &Next, stamp: Stamp) {
    let files = next
        .files
        .iter()
        .map(|(file, view)| CachedFile {
            path: file.path.clone(),
            blob: file.blob.to_string(),
            spans: view
                .spans
                .iter()
                .map(|(r, a)| CachedSpan { start: r.start, end: r.end, attribution: a.clone() })
                .collect(),
            deletions: view.deletions.clone(),
            units: next
                .units
                .iter()
                .filter(|u| u.path == file.path && !u.trust_file)
                .map(|u| CachedUnit {
                    start: u.facts.unit.range.start,
                    end: u.facts.unit.range.end,
                    approvals: u.approval_ids(&next.ledger),
                    rationale: next.ledger.rationale(&u.facts.unit.fingerprint).map(str::to_string),
                })
                .collect(),
            covered: view.covered.clone(),
        })
        .collect();
    let removals = next
        .removals
        .iter()
        .map(|(id, path, by)| CachedRemoval { id: id.clone(), path: path.clone(), by: by.clone() })
        .collect();
    let modes = next
        .modes
        .iter()
        .map(|(id, path, set)| CachedMode {
            id: id.clone(),
            path: path.clone(),
            mode: set.mode.clone(),
            by: set.by.clone(),
        })
        .collect();
    GateCache::new(stamp, files, removals, modes).write(&ctx.repo);
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
        "awaited_by": u.awaited_by(),
        "excluded": u.excluded(),
        "ai_lines": u.facts.unit.ai_lines,
        "ai_deleted": u.facts.ai_deleted(),
        "risk": u.facts.unit.risk,
        "tools": u.tools(),
        "suspected": u.facts.suspected,
        "not_counted": u.not_counted(),
        "approved_by": u.approved_by(),
        "commits": u.commits,
        "next_commit": u.next,
        "trust_file": u.trust_file,
        "deleted_file": u.deleted_file,
    })
}

/// What to do about a unit that lacks sign-off (shown to a person: names
/// made visible, paths quoted for the shell).
pub fn next_step(u: &JudgedUnit) -> String {
    // A trust file's change is the whole file, and a deleted file has no
    // line: each is named by its path.
    let at = if u.trust_file || u.deleted_file {
        display::shell_word(&u.path)
    } else {
        display::shell_word(&format!("{}:{}", u.path, u.line))
    };
    let reviewers = display::line(&u.reviewers().join(", ")).into_owned();
    match &u.judgement.assessment.status {
        _ if u.facts.suspected => format!(
            "classify it: vouch mark {} --ai (then request sign-off) or --human",
            display::shell_word(&format!("{}:{}-{}", u.path, u.line, u.end_line))
        ),
        Status::Requested { .. } => match u.awaited_by() {
            awaited if awaited.is_empty() => {
                format!(
                    "no reviewer the policy names may sign it off: each took part in it or approved it already ({reviewers})"
                )
            }
            awaited => format!("waiting for sign-off from: {}", display::line(&awaited.join(", "))),
        },
        Status::Rejected { .. } => format!("change it, then request sign-off again: vouch request {at} -m \"why\""),
        _ => format!("request sign-off: vouch request {at} -m \"why\"; may sign off: {reviewers}"),
    }
}

/// How many units, named for what they are: AI-written units, changes to
/// trust files (the policy, the allowed signers, CODEOWNERS, CI), files
/// deleted by AI, or a mix.
fn counted(units: &[&JudgedUnit]) -> String {
    let trust = units.iter().filter(|u| u.trust_file).count();
    let deleted = units.iter().filter(|u| u.deleted_file && !u.trust_file).count();
    let ai = units.len() - trust - deleted;
    let kinds: Vec<String> =
        [(ai, "AI-written unit(s)"), (trust, "trust-file change(s)"), (deleted, "file(s) deleted by AI")]
            .into_iter()
            .filter(|&(n, _)| n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
    match kinds.as_slice() {
        [] => "0 AI-written unit(s)".to_string(),
        [one] => one.clone(),
        _ => format!("{} unit(s) ({})", units.len(), kinds.join(", ")),
    }
}

fn print_text(units: &[&JudgedUnit], blocking: &[&JudgedUnit], warn: bool, staged: bool, no_commits: bool) {
    let style = Style::stdout();
    let what = if staged { "staged" } else { "in the working tree" };
    if blocking.is_empty() {
        let signed = units.iter().filter(|u| !u.lacks_signoff()).count();
        let suspected = units.len() - signed;
        let mut line = format!("vouch: {} {what}; none lacks sign-off", counted(units));
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
    let count = counted(blocking);
    let summary = if warn {
        format!(
            "vouch: warning: {count} {what} lack sign-off (gate = \"warn\": the commit goes ahead; CI's vouch verify will still ask)"
        )
    } else {
        let verdict = if staged { "commit refused" } else { "a commit of them would be refused" };
        format!("vouch: {count} {what} lack sign-off; {verdict}")
    };
    println!("{}", style.bold(&summary));
    if no_commits {
        println!(
            "    the repository has no commits yet, so nothing can be approved: commit without AI text first (e.g. .vouch.toml)"
        );
    }
}
