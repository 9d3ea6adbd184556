//! `vouch request [PATH[:LINE]]... [-m TEXT]`: ask for sign-off on AI units
//! of the working tree, in one request record that a reviewer approves or
//! rejects in one act (`vouch approve <id>`).
//!
//! Which units: those `vouch verify` will ask about once the working tree
//! is committed (the gate's and `vouch status`'s judgement, see
//! [`crate::analysis::next`]): AI-written units with AI lines from the
//! range since BASE or the uncommitted changes, and changes to trust files
//! (the policy, the allowed signers, CODEOWNERS, the policy's
//! `trust_files`), each the whole file. With no target, every such unit
//! that needs sign-off and has none requested yet (pending or rejected);
//! with `PATH`, that file's (a trust file: its change, also when requested
//! before; a file an AI deleted whole, which the working tree lacks: its
//! deletion, likewise; a file whose executable bit an AI changed in the
//! range: that change, likewise); with `PATH:LINE`, the unit at that line (also when it was
//! requested before: a new request may carry a better rationale). A unit
//! whose approvals stopped counting (signatures now required, a
//! fingerprint version retired) is pending again and can be requested
//! again. Text the size heuristic merely suspects is left out unless named
//! by its line.
//!
//! The rationale is the requester's: `-m TEXT`, or, at a terminal (or with
//! `--from-intent`), a draft made from the units' recorded intents (see
//! [`crate::intent::draft_rationale`]) that Enter accepts (recorded as
//! `rationale_from: intent`) and anything typed replaces. Each requested
//! unit carries its intents for the reviewer.
//!
//! Units asked for before come back when their request no longer asks
//! anything: when it was withdrawn, when it was made under fingerprint
//! version 1, or when approvals of the unit stopped counting (unsigned,
//! since the policy requires signatures); with no target, the files of
//! such units are looked at too.
//!
//! `vouch request --withdraw ID [-m REASON]` withdraws a request: an
//! append-only withdrawal record (signed where the policy requires
//! signatures) that closes it. Only its requester may; the units'
//! approvals and rejections stay as they are.
//!
//! Exit codes: 0 when the request (or withdrawal) was written; 1 when the
//! policy refuses it (a rationale is required, someone else's request) or
//! nothing there needs sign-off; 2 for anything vouch cannot do (no
//! repository, no identity, no commits yet, a bad argument, an unknown
//! request).

use std::io::IsTerminal as _;

use anyhow::{Context as _, bail};
use serde::Serialize;

use std::collections::{BTreeSet, HashSet};

use crate::analysis::judge::JudgedUnit;
use crate::analysis::worktree::{self as units, FileUnits, Target, Worktree};
use crate::display;
use crate::intent::{self, Intent};
use crate::policy::{Policy, Refusal, ReviewerSet, Status};
use crate::signoff::{self, Judgement, Ledger, SignoffError, UnitFacts};
use crate::store::identity::Identity;
use crate::store::policy_file::Source;
use crate::store::records::{self, FingerprintStanding, RationaleFrom, Request, Stored, Withdrawal};
use crate::store::signature;

use super::output::Style;
use super::{Format, FormatArg, Outcome};
use crate::analysis::context::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to request sign-off for: a file, or the unit at a line of it.
    /// None: every AI unit in the working tree that needs sign-off.
    #[arg(value_name = "PATH[:LINE]")]
    pub targets: Vec<String>,
    /// Withdraw your request REQUEST-ID (or a unique prefix of at least 6
    /// hex digits) instead; -m gives the reason.
    #[arg(long, value_name = "REQUEST-ID", conflicts_with = "targets")]
    pub withdraw: Option<String>,
    /// Why the code looks the way it does (shown to reviewers and, later,
    /// in blame and on hover).
    #[arg(short = 'm', long = "rationale", value_name = "TEXT")]
    pub rationale: Option<String>,
    /// Draft the rationale from the agent's recorded intent and ask on
    /// standard input to confirm it (Enter) or type another; the default
    /// without -m when standard input is a terminal.
    #[arg(long, conflicts_with = "rationale")]
    pub from_intent: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

/// One unit of the request, as reported.
#[derive(Debug, Serialize)]
struct ReportedUnit {
    path: String,
    line: u32,
    end_line: u32,
    kind: String,
    name: Option<String>,
    fingerprint: String,
    ai_lines: usize,
    risk: Vec<String>,
    reviewers: String,
}

#[derive(Debug, Serialize)]
struct Report {
    request: String,
    requester: String,
    rationale: Option<String>,
    /// `intent` when the rationale is the draft from the agent's intent,
    /// confirmed unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    rationale_from: Option<RationaleFrom>,
    units: Vec<ReportedUnit>,
    approve_command: String,
}

/// Show the rationale drafted from `intents` on standard error and read
/// one line from standard input: empty accepts the draft (recorded as
/// taken from the intent), anything else is the requester's own words.
/// With no draft, the line read is the rationale (empty: none).
fn confirm_draft(intents: &[Intent]) -> anyhow::Result<(Option<String>, Option<RationaleFrom>)> {
    let draft = intent::draft_rationale(intents);
    match &draft {
        Some(draft) => {
            eprintln!("vouch: rationale drafted from the agent's recorded intent (its words, not yours):");
            eprintln!("  {}", display::line(draft));
            eprint!("vouch: press Enter to use it, or type your own rationale: ");
        }
        None => eprint!("vouch: no intent was recorded for these units; rationale (Enter for none): "),
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the rationale from standard input")?;
    let line = line.trim();
    Ok(match (line.is_empty(), draft) {
        (false, _) => (Some(line.to_string()), None),
        (true, Some(draft)) => (Some(draft), Some(RationaleFrom::Intent)),
        (true, None) => (None, None),
    })
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let me = ctx.identity()?;
    let worktree = Worktree::open(&ctx)?;
    let ledger = worktree.ledger();
    let repository = ledger.repository_id.clone().ok_or(SignoffError::NoCommits)?;
    // Judged under the policy at BASE, as verify will judge the units.
    let policy = worktree.policy().clone();
    let source = worktree.prepared.scope.source.clone();
    if let Some(id) = &args.withdraw {
        let format = args.format.format;
        return withdraw(&ctx, (&policy, &source), &repository, &me, id, args.rationale.as_deref(), format);
    }
    let typed = args.rationale.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    let asked = Asked::read(&ctx, &policy, &source, &repository)?;

    let mut files: Vec<(FileUnits, Option<Target>)> = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    for arg in &args.targets {
        match units::parse_target(&ctx, arg) {
            Ok(target) => targets.push(target),
            // A path the working tree lacks: its deletion, when verify will
            // judge one (a file an AI deleted, a trust file's deletion).
            Err(e) => {
                let deletion = match crate::store::repo::relative_path(&ctx.repo, std::path::Path::new(arg)) {
                    Ok(rel) => worktree.file(&ctx, &rel)?.filter(|f| f.absent),
                    Err(_) => None,
                };
                let Some(file) = deletion else { return Err(e) };
                let target = Target { path: file.path.clone(), line: None };
                files.push((file, Some(target)));
            }
        }
    }
    if args.targets.is_empty() {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for file in worktree.files(&ctx)? {
            seen.insert(file.path.clone());
            files.push((file, None));
        }
        // Files of units asked about before whose requests no longer ask.
        for path in asked.revisit.iter().filter(|p| !seen.contains(*p) && ctx.root.join(p).is_file()) {
            if let Some(file) = worktree.file(&ctx, path)? {
                files.push((file, None));
            }
        }
    } else {
        for target in targets {
            files.push((worktree.load(&ctx, &target.path)?, Some(target)));
        }
    }
    let modes = mode_changes_to_request(&ctx, &worktree, &args.targets, &asked)?;

    // Choose the units, then check every one before writing anything.
    let mut chosen: Vec<(usize, &JudgedUnit)> = Vec::new();
    let mut refusals: Vec<String> = Vec::new();
    for (i, (file, target)) in files.iter().enumerate() {
        match target.as_ref().and_then(|t| t.line) {
            Some(line) => {
                let Some(unit) = file.unit_at_line(line) else {
                    refusals.push(format!(
                        "{}:{line}: no AI-written unit there that vouch verify would ask about",
                        file.path
                    ));
                    continue;
                };
                match &unit.judgement.assessment.status {
                    status @ Status::Approved { .. } => {
                        refusals.push(format!("{}:{line}: {} is already {status}", file.path, unit.label()))
                    }
                    Status::NotRequired => refusals
                        .push(SignoffError::NotRequired { path: file.path.clone(), unit: unit.label() }.to_string()),
                    _ => chosen.push((i, unit)),
                }
            }
            None => {
                for unit in &file.units {
                    if unit.facts.suspected {
                        continue;
                    }
                    // A trust file named by its path: its change, also when
                    // it was requested before (a better rationale).
                    let named_trust_file =
                        target.is_some() && (unit.trust_file || unit.deleted_file) && unit.lacks_signoff();
                    if named_trust_file || asked.again(ledger, &unit.facts.unit.fingerprint, &unit.judgement) {
                        chosen.push((i, unit));
                    }
                }
            }
        }
    }
    if let Some(first) = refusals.first() {
        for refusal in &refusals[1..] {
            eprintln!("vouch: {}", display::line(refusal));
        }
        eprintln!("vouch: {}; nothing was requested", display::line(first));
        return Ok(Outcome::Failed);
    }
    if chosen.is_empty() && modes.is_empty() {
        let place = if args.targets.is_empty() { "in the working tree".to_string() } else { args.targets.join(", ") };
        eprintln!(
            "vouch: nothing {place} needs sign-off (no AI-written unit since BASE, nor a change to a trust file, that is pending or rejected)"
        );
        return Ok(Outcome::Failed);
    }
    let intents: Vec<Vec<Intent>> =
        chosen.iter().map(|(i, unit)| intent::of_range(&files[*i].0.spans, unit.facts.unit.range.clone())).collect();
    let ask = args.from_intent || (args.rationale.is_none() && std::io::stdin().is_terminal());
    let (rationale, rationale_from) = match typed {
        Some(typed) => (Some(typed), None),
        None if ask => confirm_draft(&intents.concat())?,
        None => (None, None),
    };
    let rationale = rationale.as_deref();
    let mut failed = false;
    for (i, unit) in &chosen {
        let path = &files[*i].0.path;
        if let Err(e) = signoff::check_request_with(&unit.judgement.requirement, path, &unit.facts, rationale) {
            eprintln!("vouch: {}", display::line(&e.to_string()));
            failed = true;
        }
    }
    for mode in &modes {
        if let Err(e) =
            signoff::check_request_with(&mode.judgement.requirement, &mode.unit.path, &mode.facts, rationale)
        {
            eprintln!("vouch: {}", display::line(&e.to_string()));
            failed = true;
        }
    }
    if failed {
        eprintln!("vouch: nothing was requested; pass the rationale with -m \"...\"");
        return Ok(Outcome::Failed);
    }

    let mut wanted = Vec::new();
    let mut reported = Vec::new();
    for ((i, unit), intents) in chosen.iter().zip(intents) {
        let file = &files[*i].0;
        let facts = &unit.facts;
        if unit.deleted_file {
            // Requested as the version deleted, which the reviewer is shown.
            let Some((kind, bytes)) = worktree.deleted_version(&ctx.repo, &file.path)? else {
                bail!("{}: BASE no longer has the file an AI deleted; nothing was requested", file.path);
            };
            let requested = signoff::deleted_requested_unit(&file.path, kind, &bytes);
            if requested.fingerprint != facts.unit.fingerprint {
                bail!("{}: BASE's version changed while it was read; nothing was requested", file.path);
            }
            wanted.push(requested);
        } else if unit.trust_file {
            let content = (!file.absent).then(|| file.content.as_bytes());
            wanted.push(signoff::trust_requested_unit(&file.path, content));
        } else {
            let mut requested = file.requested(facts);
            requested.intents = intents;
            wanted.push(requested);
        }
        reported.push(ReportedUnit {
            path: file.path.clone(),
            line: unit.line as u32,
            end_line: unit.end_line as u32,
            kind: if unit.trust_file { crate::queue::TRUST_FILE.to_string() } else { facts.unit.kind.clone() },
            name: facts.unit.name.clone(),
            fingerprint: facts.unit.fingerprint.clone(),
            ai_lines: facts.unit.ai_lines,
            risk: facts.unit.risk.clone(),
            reviewers: reviewers_label(&unit.judgement.requirement.reviewers),
        });
    }
    for mode in modes {
        reported.push(ReportedUnit {
            path: mode.unit.path.clone(),
            line: 1,
            end_line: 1,
            kind: signoff::MODE_CHANGE.to_string(),
            name: None,
            fingerprint: mode.unit.fingerprint.clone(),
            ai_lines: 0,
            risk: Vec::new(),
            reviewers: reviewers_label(&mode.judgement.requirement.reviewers),
        });
        wanted.push(mode.unit);
    }
    let requester = me.email.clone();
    let mut request = records::Request::new(&repository, me.into(), wanted);
    request.rationale = rationale.map(str::to_string);
    request.rationale_from = rationale_from;
    let id = records::add(&ctx.repo, &request)?;

    let report = Report {
        approve_command: format!("vouch approve {}", &id[..12]),
        request: id,
        requester,
        rationale: request.rationale.clone(),
        rationale_from: request.rationale_from,
        units: reported,
    };
    match args.format.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print_text(&report, Style::stdout()),
    }
    Ok(Outcome::Ok)
}

fn reviewers_label(reviewers: &ReviewerSet) -> String {
    match reviewers {
        ReviewerSet::Listed { names, .. } if names.is_empty() => "nobody (no reviewer resolves to an email)".into(),
        ReviewerSet::Listed { names, .. } => names.join(", "),
        other => other.to_string(),
    }
}

fn print_text(report: &Report, style: Style) {
    let n = report.units.len();
    println!(
        "{} {n} unit{} (request {})",
        style.green("requested sign-off for"),
        if n == 1 { "" } else { "s" },
        style.bold(&report.request[..12])
    );
    for unit in &report.units {
        let label = match &unit.name {
            Some(name) => format!("{} `{name}`", unit.kind),
            None => unit.kind.clone(),
        };
        let risk = if unit.risk.is_empty() { String::new() } else { format!("; risk: {}", unit.risk.join(", ")) };
        println!(
            "  {}:{} {} ({} AI line{}{}); reviewers: {}",
            display::line(&unit.path),
            unit.line,
            display::line(&label),
            unit.ai_lines,
            if unit.ai_lines == 1 { "" } else { "s" },
            display::line(&risk),
            display::line(&unit.reviewers)
        );
    }
    if let Some(rationale) = &report.rationale {
        let from = if report.rationale_from.is_some() { " (drafted from the agent's intent, confirmed)" } else { "" };
        println!("rationale{from}: {}", display::line(rationale));
    }
    println!("a reviewer signs off with:\n  {}", report.approve_command);
    println!("or rejects it with:\n  vouch reject {} --comment \"what to change\"", &report.request[..12]);
}

/// What the records say about earlier requests: which were withdrawn (by
/// their requester, signed where the policy asks), and the files of units
/// to look at again when no path is given.
struct Asked {
    withdrawn: HashSet<String>,
    /// Paths of units whose requests no longer ask anything (withdrawn,
    /// fingerprint version 1) or whose approvals no longer count.
    revisit: BTreeSet<String>,
}

impl Asked {
    /// `policy` and the allowed signers of `source` (BASE's) decide which
    /// withdrawals count and which approvals stopped counting.
    fn read(ctx: &Context, policy: &Policy, source: &Source, repository: &str) -> anyhow::Result<Asked> {
        let requests: Vec<Stored<Request>> = records::list::<Request>(&ctx.repo)?
            .records
            .into_iter()
            .filter(|r| r.record.repository == repository)
            .collect();
        let ours: Vec<&Stored<Request>> = requests.iter().collect();
        let withdrawn = super::team::withdrawn(ctx, policy, source, &ours)?;
        let signers = if policy.require_signatures() {
            signature::load_allowed_signers(&ctx.repo, policy, source).ok()
        } else {
            None
        };
        let mut revisit = BTreeSet::new();
        for request in &requests {
            let closed = withdrawn.contains(&request.id);
            for unit in &request.record.units {
                let outdated = matches!(unit.standing(), FingerprintStanding::Retired { .. });
                if closed || outdated {
                    revisit.insert(unit.path.clone());
                }
            }
        }
        let ledger = ctx.ledger()?;
        revisit.extend(ledger.approvals.retired().iter().filter_map(|a| a.record.path.clone()));
        if policy.require_signatures() {
            // Unsigned approvals of requested units: they stopped counting.
            for request in &requests {
                for unit in &request.record.units {
                    let unsigned = ledger.approvals.for_fingerprint(&unit.fingerprint).iter().any(|a| {
                        a.record.decision == crate::policy::Verdict::Approve
                            && signers.as_ref().is_none_or(|s| s.check_approval(&a.record).is_err())
                    });
                    if unsigned {
                        revisit.insert(unit.path.clone());
                    }
                }
            }
        }
        Ok(Asked { withdrawn, revisit })
    }

    /// Whether a request that is not withdrawn asks for `fingerprint`.
    fn is_live(&self, ledger: &Ledger, fingerprint: &str) -> bool {
        ledger.requests.for_fingerprint(fingerprint).iter().any(|r| !self.withdrawn.contains(&r.id))
    }

    /// Whether a unit judged `judgement` needs asking for (again): pending
    /// or rejected, or asked before but no request asks any more, or its
    /// approvals stopped counting.
    fn again(&self, ledger: &Ledger, fingerprint: &str, judgement: &Judgement) -> bool {
        match &judgement.assessment.status {
            Status::Pending { .. } | Status::Rejected { .. } => true,
            Status::Requested { .. } => {
                !self.is_live(ledger, fingerprint)
                    || judgement.assessment.ignored.iter().any(|g| matches!(g.refusal, Refusal::Unsigned { .. }))
            }
            _ => false,
        }
    }
}

/// An AI's change of a file's mode to request, as the request records it.
struct ModeToRequest {
    unit: records::RequestedUnit,
    facts: UnitFacts,
    judgement: Judgement,
}

/// The files of the range whose executable bit an AI changed and that
/// need asking for: with no target, those [`Asked::again`] says; else
/// those named by their path (also when asked before: a better rationale)
/// that lack sign-off.
fn mode_changes_to_request(
    ctx: &Context,
    worktree: &Worktree,
    targets: &[String],
    asked: &Asked,
) -> anyhow::Result<Vec<ModeToRequest>> {
    let judge = worktree.prepared.judge_with();
    let named: Vec<String> = targets
        .iter()
        .filter_map(|t| crate::store::repo::relative_path(&ctx.repo, std::path::Path::new(t)).ok())
        .collect();
    let mut out = Vec::new();
    for found in worktree.prepared.scope.ai_mode_changes(&ctx.repo, None)? {
        let change = &found.change;
        let fingerprint = &change.fingerprint;
        let judgement =
            judge.ledger.judge_mode_change(judge.policy, &change.path, fingerprint, &found.people, judge.verified);
        let wanted = match targets.is_empty() {
            true => asked.again(judge.ledger, fingerprint, &judgement),
            false => named.contains(&change.path) && judgement.assessment.status.is_blocking(),
        };
        if wanted {
            let unit = signoff::mode_requested_unit(&change.path, change.to, &change.bytes);
            let facts = crate::analysis::decision::facts_from_text(&unit, fingerprint);
            out.push(ModeToRequest { unit, facts, judgement });
        }
    }
    Ok(out)
}

/// The shortest request id prefix accepted.
const MIN_PREFIX: usize = 6;

/// `vouch request --withdraw ID`: withdraw the current identity's request,
/// signed where the policy at BASE (`at`: it and where it was read) asks.
fn withdraw(
    ctx: &Context,
    at: (&Policy, &Source),
    repository: &str,
    me: &Identity,
    id: &str,
    reason: Option<&str>,
    format: Format,
) -> anyhow::Result<Outcome> {
    let prefix = id.trim().to_ascii_lowercase();
    if prefix.len() < MIN_PREFIX || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("bad request id {id:?}: give the id (or at least {MIN_PREFIX} of its first hex digits)");
    }
    let requests = records::list::<Request>(&ctx.repo)?.records;
    let matching: Vec<&Stored<Request>> =
        requests.iter().filter(|r| r.record.repository == repository && r.id.starts_with(&prefix)).collect();
    let request = match matching.as_slice() {
        [one] => *one,
        [] => anyhow::bail!("no request {id} in this repository (vouch sync fetches others' requests)"),
        many => {
            let ids: Vec<&str> = many.iter().map(|r| &r.id[..16]).collect();
            anyhow::bail!("request id prefix {id} is ambiguous: {}; give more digits", ids.join(", "))
        }
    };
    let short = &request.id[..12];
    let requester = &request.record.requester.email;
    if !requester.eq_ignore_ascii_case(&me.email) {
        eprintln!(
            "vouch: request {short} was made by {}; only its requester may withdraw it (you are {}); nothing was written",
            display::line(requester),
            display::line(&me.email)
        );
        return Ok(Outcome::Failed);
    }
    let (policy, source) = at;
    let asked = Asked::read(ctx, policy, source, repository)?;
    if asked.withdrawn.contains(&request.id) {
        eprintln!("vouch: request {short} is already withdrawn; nothing was written");
        return Ok(Outcome::Ok);
    }
    let mut withdrawal = Withdrawal::new(repository, &request.id, me.clone().into());
    withdrawal.reason = reason.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    signature::sign_withdrawal(&ctx.repo, policy, &mut withdrawal)?;
    let record = records::add(&ctx.repo, &withdrawal)?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "withdrawn": request.id,
                "withdrawal": record,
                "by": me.email,
                "reason": withdrawal.reason,
                "signed": withdrawal.signature.is_some(),
            }))?
        ),
        Format::Text => {
            let n = request.record.units.len();
            println!(
                "withdrew request {short} ({n} unit{}; withdrawal {})",
                if n == 1 { "" } else { "s" },
                &record[..12]
            );
            println!("share it with: vouch sync");
        }
    }
    Ok(Outcome::Ok)
}
