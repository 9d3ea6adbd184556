//! `vouch approve` and `vouch reject`: a reviewer's decision, as the current
//! git identity, on a whole request (by id, or a unique prefix of at least
//! six hex digits) or on the unit at `PATH:LINE` in the working tree.
//!
//! The reviewer's client never trusts a request: every unit's fingerprint
//! is recomputed from the text it shows, and a request in which any stated
//! fingerprint does not match its text is refused as a whole. The decision
//! binds to that fingerprint. The policy is checked for every unit before
//! any record is written (all or nothing): the reviewer must be a reviewer
//! for the unit's path and must not have accepted the AI text or requested
//! the sign-off. Who accepted the text comes from the unit's provenance in
//! the working tree when the unit is there (journal, notes, history); the
//! requester is always known from the records. (Whoever authors the commit
//! is checked where the commit is known: by the gate and the verifier.)
//!
//! Each unit is shown first, AI lines marked, with its rationale, tool,
//! model and risk tags, and the decision is confirmed on the terminal;
//! `--yes` skips both, and without a terminal `--yes` is required.
//!
//! Exit codes: 0 when the decisions were written; 1 when the policy refuses
//! them, or the reviewer declined at the prompt; 2 for bad input (an unknown
//! or ambiguous id, a tampered request, a bad target, no terminal and no
//! `--yes`, no identity).

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::analysis::decision::{self, Candidate, Files, facts_from_text, git_line_count, judge_requested};
use crate::analysis::scope::ModeChangeByAi;
use crate::analysis::worktree::Worktree;
use crate::display;
use crate::policy::{Policy, Verdict};
use crate::signoff::{self, Judgement, SignoffError, UnitFacts};
use crate::store::records::{self, Approval, FingerprintStanding, Request, RequestedUnit, Stored};
use crate::store::signature;

use super::context::Context;
use super::output::Style;
use super::{Format, FormatArg, Outcome};
use crate::analysis::worktree::{self as units};

/// The shortest request id prefix accepted.
const MIN_PREFIX: usize = 6;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A request id (or a unique prefix of at least 6 hex digits), or the
    /// unit at PATH:LINE in the working tree. None: the one open request, if
    /// there is exactly one (not with --yes).
    #[arg(value_name = "REQUEST-ID|PATH:LINE")]
    pub target: Option<String>,
    /// A comment for the requester (shown in blame and on hover).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// Do not show the units and ask; needed when stdin is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Sign off the whole current text of a file that decides who may
    /// approve (.vouch.toml, the allowed-signers file, CODEOWNERS), as
    /// `vouch verify` asks for a change to one; or the deletion of a file
    /// an AI deleted whole (absent from the working tree); or an AI's
    /// change of a file's executable bit (in a checkout of HEAD).
    #[arg(long, value_name = "PATH", conflicts_with = "target")]
    pub file: Option<String>,
    /// BASE: the revision whose policy and allowed signers say who may sign
    /// off (what `vouch verify` will use as BASE). Default: the BASE `vouch
    /// status` names (the merge-base with the upstream or default branch).
    /// An automated reviewer run on a pull request's head passes the base,
    /// so that the head's policy cannot widen what it may clear.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Only the unit of the request with this fingerprint (or a unique
    /// prefix of at least 12 hex digits), e.g. from `vouch review --format
    /// json`.
    #[arg(long, value_name = "FINGERPRINT", conflicts_with = "file")]
    pub unit: Option<String>,
    /// Record the verdict as an automated reviewer's (the policy's
    /// `[[automated]]`): required of, and only for, an automated reviewer's
    /// identity. It clears only what its rule covers, and never counts as
    /// a person (docs/automated-review.md).
    #[arg(long, conflicts_with = "file")]
    pub automated: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// A request id (or a unique prefix of at least 6 hex digits), or the
    /// unit at PATH:LINE in the working tree.
    #[arg(value_name = "REQUEST-ID|PATH:LINE")]
    pub target: Option<String>,
    /// What to change: required for a rejection.
    #[arg(long, value_name = "TEXT", required = true)]
    pub comment: String,
    /// Do not show the units and ask; needed when stdin is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Reject the whole current text of a file that decides who may
    /// approve, the deletion of a file an AI deleted whole, or an AI's
    /// change of a file's executable bit.
    #[arg(long, value_name = "PATH", conflicts_with = "target")]
    pub file: Option<String>,
    /// BASE: the revision whose policy and allowed signers say who may sign
    /// off (what `vouch verify` will use as BASE). Default: the BASE `vouch
    /// status` names (the merge-base with the upstream or default branch).
    /// An automated reviewer run on a pull request's head passes the base,
    /// so that the head's policy cannot widen what it may clear.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Only the unit of the request with this fingerprint (or a unique
    /// prefix of at least 12 hex digits), e.g. from `vouch review --format
    /// json`.
    #[arg(long, value_name = "FINGERPRINT", conflicts_with = "file")]
    pub unit: Option<String>,
    /// Record the verdict as an automated reviewer's (the policy's
    /// `[[automated]]`): required of, and only for, an automated reviewer's
    /// identity. It clears only what its rule covers, and never counts as
    /// a person (docs/automated-review.md).
    #[arg(long, conflicts_with = "file")]
    pub automated: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    if let Some(file) = &args.file {
        let base = args.base.as_deref();
        return decide_trust_file(file, base, Verdict::Approve, args.comment.as_deref(), args.yes, args.format.format);
    }
    decide(Decision {
        verdict: Verdict::Approve,
        target: args.target,
        comment: args.comment,
        yes: args.yes,
        format: args.format.format,
        unit: args.unit,
        automated: args.automated,
        base: args.base,
    })
}

pub fn run_reject(args: RejectArgs) -> anyhow::Result<Outcome> {
    if args.comment.trim().is_empty() {
        bail!("a rejection needs a comment saying what to change (--comment \"...\")");
    }
    if let Some(file) = &args.file {
        let base = args.base.as_deref();
        return decide_trust_file(file, base, Verdict::Reject, Some(&args.comment), args.yes, args.format.format);
    }
    decide(Decision {
        verdict: Verdict::Reject,
        target: args.target,
        comment: Some(args.comment),
        yes: args.yes,
        format: args.format.format,
        unit: args.unit,
        automated: args.automated,
        base: args.base,
    })
}

struct Decision {
    verdict: Verdict,
    target: Option<String>,
    comment: Option<String>,
    yes: bool,
    format: Format,
    unit: Option<String>,
    automated: bool,
    /// BASE as given (`--base REV`); `None`: BASE as `vouch status` finds it.
    base: Option<String>,
}

/// One unit to decide on, with what the reviewer is shown.
struct Item {
    /// The path the policy is checked against.
    path: String,
    facts: UnitFacts,
    /// The unit as shown: its text, AI lines, tool and model.
    shown: RequestedUnit,
    /// The line of the unit's first line in the working tree, when it is
    /// there.
    line: Option<u32>,
    requesters: Vec<String>,
    rationale: Option<String>,
    /// Where the rationale's words came from, when not typed by the
    /// requester.
    rationale_from: Option<records::RationaleFrom>,
    /// Where it stands, as the one judge says (with everyone who took part
    /// in it that vouch knows of).
    judgement: Judgement,
    /// How it was judged when the working tree lacks it
    /// ([`Candidate::unheld_note`]), said with the decision.
    unheld: Option<String>,
}

/// What the reviewer is asked about: a request, or a unit of the worktree.
struct Selection {
    request: Option<String>,
    items: Vec<Item>,
}

#[derive(Debug, Serialize)]
struct Written {
    id: String,
    fingerprint: String,
    path: String,
    line: Option<u32>,
    kind: String,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    decision: &'static str,
    reviewer: String,
    /// An automated reviewer's verdict.
    automated: bool,
    request: Option<String>,
    comment: Option<String>,
    approvals: Vec<Written>,
    /// Units that need no sign-off (any more), left out.
    skipped: Vec<String>,
}

fn verb(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Approve => ("approve", "approved"),
        Verdict::Reject => ("reject", "rejected"),
    }
}

fn decide(d: Decision) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let me = ctx.identity()?;
    // BASE's policy and signers judge, as verify will (BASE as given with
    // --base, as an automated reviewer run on a pull request's head is).
    let given = d.base.as_deref().map(|rev| crate::analysis::base::given(&ctx.repo, rev)).transpose()?;
    let worktree = Worktree::open_at(&ctx, given.as_ref())?;
    let (policy, ledger) = (worktree.policy(), worktree.ledger());
    if ledger.repository_id.is_none() {
        return Err(SignoffError::NoCommits.into());
    }
    let (verb, past) = verb(d.verdict);
    let is_bot = policy.automated_reviewers().iter().any(|b| b.eq_ignore_ascii_case(&me.email));
    match (d.automated, is_bot) {
        (true, false) => bail!(
            "--automated: {} is not an automated reviewer of the policy ([[automated]] reviewer = ...)",
            display::line(&me.email)
        ),
        (false, true) => bail!(
            "{} is an automated reviewer of the policy: record its verdict with --automated",
            display::line(&me.email)
        ),
        _ => {}
    }
    let mut selection = select(&ctx, &worktree, d.target.as_deref(), d.yes)?;
    if let Some(unit) = &d.unit {
        let prefix = unit.trim().to_ascii_lowercase();
        if prefix.len() < 12 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("--unit takes a fingerprint, or a prefix of at least 12 hex digits");
        }
        selection.items.retain(|i| i.facts.unit.fingerprint.starts_with(&prefix));
        let mut fingerprints: Vec<&str> = selection.items.iter().map(|i| i.facts.unit.fingerprint.as_str()).collect();
        fingerprints.dedup();
        match fingerprints.len() {
            0 => bail!("no unit with fingerprint {} in what you named", display::line(unit)),
            1 => {}
            _ => bail!("fingerprint prefix {} is ambiguous; give more digits", display::line(unit)),
        }
    }

    // Check every unit before writing anything: all or nothing.
    let mut approvals: Vec<(Approval, &Item)> = Vec::new();
    let mut skipped = Vec::new();
    let mut refusals = Vec::new();
    // One decision per place: an approval counts where it was given, so the
    // same text at two paths the request names is two (rt30d B4).
    let mut seen = std::collections::HashSet::new();
    for item in &selection.items {
        if !seen.insert((item.path.clone(), item.facts.unit.fingerprint.clone())) {
            continue;
        }
        let reviewer = records::Person::from(me.clone());
        let decided = signoff::decide_judged(
            ledger,
            &item.path,
            &item.facts,
            &item.judgement,
            reviewer,
            d.verdict,
            d.comment.as_deref(),
        );
        match decided {
            Ok(mut approval) => {
                if selection.request.is_some() {
                    approval.request = selection.request.clone();
                }
                if let Some(note) = &item.unheld {
                    eprintln!("vouch: warning: {}", display::line(note));
                }
                approvals.push((approval, item));
            }
            Err(e @ SignoffError::NotRequired { .. }) => skipped.push(e.to_string()),
            Err(e) => match &item.unheld {
                Some(note) => refusals.push(format!("{e}: {note}")),
                None => refusals.push(e.to_string()),
            },
        }
    }
    if !refusals.is_empty() {
        for refusal in &refusals {
            eprintln!("vouch: {}", display::line(refusal));
        }
        eprintln!("vouch: refused; nothing was {past}");
        return Ok(Outcome::Failed);
    }
    for s in &skipped {
        eprintln!("vouch: {}; left out", display::line(s));
    }
    if approvals.is_empty() {
        eprintln!("vouch: nothing to {verb}: no unit there needs sign-off");
        return Ok(Outcome::Failed);
    }

    if !d.yes {
        let style = if d.format == Format::Json { Style::stderr() } else { Style::stdout() };
        let mut shown = String::new();
        for (i, (_, item)) in approvals.iter().enumerate() {
            shown.push_str(&preview(item, i + 1, approvals.len(), style));
        }
        if d.format == Format::Json {
            eprint!("{shown}");
        } else {
            print!("{shown}");
        }
        let n = approvals.len();
        let question =
            format!("{verb} {n} unit{} as {}? [y/N] ", if n == 1 { "" } else { "s" }, display::line(&me.email));
        if !confirm(&question)? {
            eprintln!("vouch: nothing was {past}");
            return Ok(Outcome::Failed);
        }
    }

    // Sign every record before writing any.
    for (approval, _) in &mut approvals {
        sign(&ctx, policy, approval)?;
    }
    let mut written = Vec::new();
    for (approval, item) in &approvals {
        let id = records::add(&ctx.repo, approval).with_context(|| {
            format!("cannot record the decision on {}", display::line(&signoff::unit_label(&item.facts.unit)))
        })?;
        written.push(Written {
            id,
            fingerprint: approval.fingerprint.clone(),
            path: item.path.clone(),
            line: item.line,
            kind: item.facts.unit.kind.clone(),
            name: item.facts.unit.name.clone(),
        });
    }
    let signed: Vec<(&str, &Approval)> =
        written.iter().zip(&approvals).map(|(w, (approval, _))| (w.id.as_str(), approval)).collect();
    warn_unverifiable(&ctx, policy, &signed);
    let report = Report {
        decision: verb,
        reviewer: me.email.clone(),
        automated: d.automated,
        request: selection.request,
        comment: d.comment,
        approvals: written,
        skipped,
    };
    match d.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print_text(&report, past, Style::stdout()),
    }
    Ok(Outcome::Ok)
}

/// Warn when a decision just written will not count where signatures are
/// required ([`decision::unverifiable`]).
fn warn_unverifiable(ctx: &Context, policy: &Policy, written: &[(&str, &Approval)]) {
    for warning in decision::unverifiable(&ctx.repo, policy, written) {
        eprintln!("vouch: warning: {warning}");
    }
}

/// Sign `approval` when the policy requires it or git is set up to sign
/// with an SSH key (`gpg.format=ssh`, `user.signingkey`), as git signs
/// commits. A configured key that fails to sign is an error, not a silent
/// unsigned record.
fn sign(ctx: &Context, policy: &Policy, approval: &mut Approval) -> anyhow::Result<()> {
    Ok(signature::sign_approval(&ctx.repo, policy, approval)?)
}

/// Sign off a change to a trust file: its whole current text, under the
/// fingerprint `vouch verify` names; or the deletion of a file an AI
/// deleted whole (the working tree lacks it), under the fingerprint of its
/// deletion (its path and BASE's version); or an AI's change of a file's
/// executable bit, under the fingerprint of its path, new mode and text as
/// HEAD has them (the working tree and index must hold HEAD's version).
/// The policy at `base` (default HEAD) decides who may; verify checks
/// again against the policy at its base.
fn decide_trust_file(
    path: &str,
    base: Option<&str>,
    verdict: Verdict,
    comment: Option<&str>,
    yes: bool,
    format: Format,
) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    // Who may sign off: the policy at BASE, as verify will ask (or at the
    // revision given, itself BASE then).
    let given = base.map(|rev| crate::analysis::base::given(&ctx.repo, rev)).transpose()?;
    let worktree = Worktree::open_at(&ctx, given.as_ref())?;
    let (policy, source) = (worktree.policy(), worktree.prepared.scope.source.clone());
    let path = path.trim_start_matches("./").to_string();
    // What verify will judge at this path: the trust file's change, or the
    // file's deletion by an AI, with whoever changed or deleted it since
    // BASE (or is doing so now) unable to approve it.
    let file = worktree.file(&ctx, &path)?;
    let deletion = file.as_ref().and_then(|f| f.deletion()).cloned();
    let trust = policy.is_trust_file(&path);
    // A change of mode committed in the range, else one the next commit
    // holds (an agent's, as the journal recorded it).
    let mode = match trust || deletion.is_some() {
        true => None,
        false => match worktree.prepared.scope.ai_mode_changes(&ctx.repo, Some(&path))?.pop() {
            Some(committed) => Some(committed),
            None => {
                let modes = &worktree.prepared.modes;
                let staged = crate::analysis::scope::staged_mode_changes(&ctx.repo, policy, modes, &[])?;
                staged.into_iter().find(|m| m.change.path == path)
            }
        },
    };
    if !trust && deletion.is_none() && mode.is_none() {
        let mut named: Vec<&str> = vec![crate::policy::POLICY_FILE, policy.allowed_signers()];
        named.extend(crate::policy::CODEOWNERS_PATHS);
        named.extend(policy.trust_file_patterns().iter().map(String::as_str));
        bail!(
            "{path} is not a trust file (it does not decide who may approve, nor is it listed in trust_files), nor a \
             file an AI deleted in the range, nor a file whose mode an AI changed in the range; --file takes one of: \
             {}",
            named.join(", ")
        );
    }
    if mode.as_ref().is_some_and(|m| !m.change.commits.is_empty()) {
        let status = ctx
            .repo
            .status_file(std::path::Path::new(&path))
            .with_context(|| format!("cannot read the status of {path}"))?;
        if !status.is_empty() {
            bail!(
                "{path} differs from HEAD in the working tree or the index: an AI's change of its mode is approved \
                 as HEAD has the file (its text and mode), so check out HEAD's version first (git stash)"
            );
        }
    }
    // A deleted trust file is signed off as absent, which differs from empty;
    // a present one as git stores it.
    let bytes = match std::fs::read(ctx.root.join(&path)) {
        Ok(bytes) => Some(crate::store::attributes::to_blob(&ctx.repo, &path, &bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {path}")),
    };
    let me = ctx.identity()?;
    let ledger = worktree.ledger();
    let repository = ledger.repository_id.clone().ok_or(SignoffError::NoCommits)?;
    let lines = git_line_count(bytes.as_deref().unwrap_or_default());
    // The same judgement verify makes of this state of the file, with
    // whoever changed it since BASE (or is changing it now) unable to
    // approve it.
    let (fingerprint, judgement) = match (&deletion, &mode) {
        (Some(unit), _) if bytes.is_none() => (unit.facts.unit.fingerprint.clone(), unit.judgement.clone()),
        (_, Some(ModeChangeByAi { change, people })) => {
            let verified = crate::analysis::judge::verifier(&ctx.repo, policy, &source, false)?;
            let judgement = ledger.judge_mode_change(policy, &path, &change.fingerprint, people, &*verified);
            (change.fingerprint.clone(), judgement)
        }
        _ => {
            let people: Vec<String> =
                file.as_ref().and_then(|f| f.trust_change()).map(|u| u.excluded()).unwrap_or_default();
            let verified = crate::analysis::judge::verifier(&ctx.repo, policy, &source, false)?;
            let since = worktree.prepared.scope.trust_last_change(&ctx.repo, &path)?;
            ledger.judge_trust_file(&ctx.repo, policy, &path, bytes.as_deref(), &people, &*verified, since)
        }
    };
    let (ask, past) = verb(verdict);
    // Refused by the policy: said, and exit 1, as approve's other refusals.
    if let Err(refusal) = judgement.requirement.may_approve(&me.email, &judgement.participants) {
        eprintln!("vouch: {}", display::line(&format!("{path}: {refusal}")));
        eprintln!("vouch: refused; nothing was {past}");
        return Ok(Outcome::Failed);
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!("stdin is not a terminal: pass --yes to {ask} {path} without being shown it");
        }
        if bytes.is_none() {
            // The deletion is decided: shown by what it deletes (BASE's
            // version), which its fingerprint binds.
            let shown = match &deletion {
                Some(_) => worktree.deleted_version(&ctx.repo, &path)?,
                None => None,
            };
            match shown {
                Some((crate::fingerprint::DELETED_SUBMODULE, commit)) => println!(
                    "{} is deleted: the submodule at commit {} (fingerprint {})",
                    display::line(&path),
                    String::from_utf8_lossy(&commit),
                    &fingerprint[..12]
                ),
                Some((_, removed)) => {
                    let lines = git_line_count(&removed);
                    println!(
                        "{} is deleted; the text deleted ({lines} lines, fingerprint {}):",
                        display::line(&path),
                        &fingerprint[..12]
                    );
                    let width = lines.to_string().len();
                    for (i, line) in display::code_lines_bytes(&removed).iter().enumerate() {
                        println!("  {:>width$} │ {line}", i + 1);
                    }
                }
                None => println!("{} is deleted (fingerprint {})", display::line(&path), &fingerprint[..12]),
            }
            if !confirm(&format!("{ask} its deletion as {}? [y/N] ", display::line(&me.email)))? {
                return Ok(Outcome::Failed);
            }
        } else {
            match &mode {
                Some(ModeChangeByAi { change, .. }) => println!(
                    "{} was made {} by AI ({} → {}, {}); its text, which the approval covers with that mode ({lines} \
                     lines, fingerprint {}):",
                    display::line(&path),
                    change.describe(),
                    change.from,
                    change.to,
                    display::line(&change.evidence.join(", ")),
                    &fingerprint[..12]
                ),
                None => {
                    println!(
                        "{} as it is now ({lines} lines, fingerprint {}):",
                        display::line(&path),
                        &fingerprint[..12]
                    )
                }
            }
            let width = lines.to_string().len();
            for (i, line) in display::code_lines_bytes(bytes.as_deref().unwrap_or_default()).iter().enumerate() {
                println!("  {:>width$} │ {line}", i + 1);
            }
            let question = match &mode {
                Some(ModeChangeByAi { change, .. }) => format!(
                    "{ask} making {} {} with this text as {}? [y/N] ",
                    display::line(&path),
                    change.describe(),
                    display::line(&me.email)
                ),
                None => format!("{ask} this text of {} as {}? [y/N] ", display::line(&path), display::line(&me.email)),
            };
            if !confirm(&question)? {
                return Ok(Outcome::Failed);
            }
        }
    }
    let mut approval = Approval::new(&repository, &fingerprint, verdict, me.clone().into());
    approval.comment = comment.filter(|c| !c.trim().is_empty()).map(str::to_string);
    approval.path = Some(path.clone());
    approval.base = judgement.base.clone();
    sign(&ctx, policy, &mut approval)?;
    let id = records::add(&ctx.repo, &approval)?;
    warn_unverifiable(&ctx, policy, &[(id.as_str(), &approval)]);
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({ "decision": ask, "reviewer": me.email, "path": path, "fingerprint": fingerprint, "approval": id })
        ),
        Format::Text => println!(
            "{past} {} (fingerprint {}) as {}",
            display::line(&path),
            &fingerprint[..12],
            display::line(&me.email)
        ),
    }
    Ok(Outcome::Ok)
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("stdin is not a terminal, so vouch cannot ask; pass --yes to decide without being asked");
    }
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).context("cannot read the answer")?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Resolve the target into the units to decide on.
fn select(ctx: &Context, worktree: &Worktree, target: Option<&str>, yes: bool) -> anyhow::Result<Selection> {
    let ledger = worktree.ledger();
    let repository = ledger.repository_id.as_deref().unwrap_or_default();
    let listing = records::list::<Request>(&ctx.repo)?;
    let requests: Vec<Stored<Request>> =
        listing.records.into_iter().filter(|r| r.record.repository == repository).collect();
    let mut files = Files::new(ctx, worktree);
    let ours: Vec<&Stored<Request>> = requests.iter().collect();
    let withdrawn = super::team::withdrawn(ctx, worktree.policy(), &worktree.prepared.scope.source, &ours)?;
    let Some(target) = target else {
        let open: Vec<&Stored<Request>> =
            requests.iter().filter(|r| !withdrawn.contains(&r.id) && is_open(&ctx.repo, worktree, r)).collect();
        return match open.as_slice() {
            [one] if !yes => from_request(&mut files, one),
            [] => bail!("no open request; name one (vouch approve REQUEST-ID) or a unit (PATH:LINE)"),
            many => {
                let mut list = String::new();
                for r in many.iter().take(10) {
                    list.push_str(&format!(
                        "\n  {}  {}  {} unit(s)  {}",
                        &r.id[..12],
                        display::line(&r.record.requester.email),
                        r.record.units.len(),
                        display::line(&r.record.created)
                    ));
                }
                bail!("name the request to decide on (REQUEST-ID or PATH:LINE); open requests:{list}")
            }
        };
    };
    let target = target.trim();
    let looks_like_id = target.len() >= MIN_PREFIX && target.bytes().all(|b| b.is_ascii_hexdigit());
    if looks_like_id && !ctx.root.join(target).exists() {
        let prefix = target.to_ascii_lowercase();
        let matching: Vec<&Stored<Request>> = requests.iter().filter(|r| r.id.starts_with(&prefix)).collect();
        return match matching.as_slice() {
            [one] => {
                if withdrawn.contains(&one.id) {
                    eprintln!(
                        "vouch: warning: request {} was withdrawn by its requester; a decision still binds to the text",
                        &one.id[..12]
                    );
                }
                from_request(&mut files, one)
            }
            [] => bail!("no request {target} in this repository (vouch sync fetches others' requests)"),
            many => {
                let ids: Vec<&str> = many.iter().map(|r| &r.id[..16]).collect();
                bail!("request id prefix {target} is ambiguous: {}; give more digits", ids.join(", "))
            }
        };
    }
    let parsed = units::parse_target(ctx, target)?;
    let Some(line) = parsed.line else {
        bail!("give the unit as PATH:LINE, or a request id (a unit is decided on by its line)");
    };
    // A symbolic link's code is the file it leads to, which verify judges
    // under the link's rules: decided on as it stands at the link.
    let linked = match linked_file(ctx, &parsed.path) {
        Some(to) => {
            eprintln!(
                "vouch: {} is a symbolic link to {}: deciding on the unit there, under the rules of the link's path",
                display::line(&parsed.path),
                display::line(&to)
            );
            worktree.linked(ctx, &parsed.path, &to)?
        }
        None => None,
    };
    let file = match &linked {
        Some(file) => file,
        None => files
            .get(&parsed.path)?
            .ok_or_else(|| anyhow::anyhow!("{}: no such file or submodule", display::line(&parsed.path)))?,
    };
    let unit = file.unit_at_line(line).ok_or_else(|| {
        // Say which range that is: a unit that landed before BASE is asked
        // about with the BASE verify is run with (--base REV).
        let range = match &worktree.prepared.scope.base {
            Some(base) => format!(" from {} (--base REV names another)", base.describe()),
            None => String::new(),
        };
        anyhow::anyhow!(
            "{}: no AI-written unit at line {line} that vouch verify would ask about{range}",
            display::line(&parsed.label())
        )
    })?;
    let facts = &unit.facts;
    let shown = file.requested(facts);
    let item = Item {
        path: file.path.clone(),
        line: Some(file.line_of(facts.unit.range.start)),
        requesters: ledger.requests.requesters(&facts.unit.fingerprint),
        rationale: ledger.rationale(&facts.unit.fingerprint).map(str::to_string),
        rationale_from: ledger.rationale_with_source(&facts.unit.fingerprint).and_then(|(_, from)| from),
        facts: facts.clone(),
        shown,
        judgement: unit.judgement.clone(),
        unheld: None,
    };
    Ok(Selection { request: None, items: vec![item] })
}

/// The worktree path of the file the symbolic link at `rel` leads to, when
/// it is one and leads to a file in the worktree.
fn linked_file(ctx: &Context, rel: &str) -> Option<String> {
    let at = ctx.root.join(rel);
    if !std::fs::symlink_metadata(&at).ok()?.file_type().is_symlink() {
        return None;
    }
    let to = crate::store::repo::relative_path(&ctx.repo, &at).ok()?;
    (to != rel && ctx.root.join(&to).is_file()).then_some(to)
}

/// Whether some unit of `request` still lacks its sign-off.
fn is_open(repo: &git2::Repository, worktree: &Worktree, request: &Stored<Request>) -> bool {
    request.record.units.iter().filter(|u| u.standing().counts()).any(|u| {
        let facts = facts_from_text(u, &u.fingerprint);
        judge_requested(repo, worktree, u, &facts).assessment.status.is_blocking()
    })
}

/// The units of a request, each recomputed from its bytes; refused as a
/// whole when any stated fingerprint does not match its bytes, or is of a
/// fingerprint version that no longer counts.
fn from_request(files: &mut Files<'_>, request: &Stored<Request>) -> anyhow::Result<Selection> {
    let ledger = files.worktree().ledger();
    let id = &request.id;
    let mut mismatches = Vec::new();
    let mut retired = Vec::new();
    for (i, unit) in request.record.units.iter().enumerate() {
        let what = format!(
            "unit {} ({} {} in {})",
            i + 1,
            display::line(&unit.kind),
            display::line(unit.name.as_deref().unwrap_or("(unnamed)")),
            display::line(&unit.path)
        );
        match unit.standing() {
            FingerprintStanding::Counts => {}
            FingerprintStanding::Mismatch { actual } => mismatches.push(format!(
                "{what} states fingerprint {} but its text has {}",
                display::line(unit.fingerprint.get(..12).unwrap_or(&unit.fingerprint)),
                &actual[..12]
            )),
            other => retired.push(format!("{what}: {other}")),
        }
    }
    if !mismatches.is_empty() {
        bail!(
            "request {} refused: {}; its fingerprints do not match the text it shows, so nothing in it was decided on",
            &id[..12],
            mismatches.join("; ")
        );
    }
    if !retired.is_empty() {
        bail!(
            "request {} cannot be decided on: {}; ask for sign-off again (vouch request)",
            &id[..12],
            retired.join("; ")
        );
    }
    let mut items = Vec::new();
    for unit in &request.record.units {
        let fingerprint = unit.fingerprint.clone();
        // The unit as the working tree has it, if it is there (the one way
        // every decision is judged: `analysis::decision`).
        let candidate = files.candidate(unit)?;
        let unheld = candidate.unheld_note(&unit.path);
        let Candidate { facts, shown, line, judgement, .. } = candidate;
        items.push(Item {
            unheld,
            path: unit.path.clone(),
            facts,
            shown,
            line,
            requesters: ledger.requests.requesters(&fingerprint),
            rationale: request.record.rationale.clone().or_else(|| ledger.rationale(&fingerprint).map(str::to_string)),
            rationale_from: match &request.record.rationale {
                Some(_) => request.record.rationale_from,
                None => ledger.rationale_with_source(&fingerprint).and_then(|(_, from)| from),
            },
            judgement,
        });
    }
    Ok(Selection { request: Some(id.clone()), items })
}

/// The unit as the reviewer sees it before deciding: every byte (bytes
/// that are not UTF-8 as `\xNN`), numbered as git numbers lines.
fn preview(item: &Item, n: usize, of: usize, style: Style) -> String {
    let unit = &item.shown;
    let first = item.line.unwrap_or(1);
    // Every byte shown (those that are not UTF-8 as `‹0xE9›`), numbered as
    // git numbers lines.
    let lines = display::code_lines_bytes(unit.text.as_bytes());
    let count = lines.len().max(1) as u32;
    let path = display::line(&item.path);
    let place = match item.line {
        Some(line) => format!("{path}:{line}-{}", line + count - 1),
        None => format!("{path} (not in your working tree; shown as requested)"),
    };
    let label = signoff::unit_label(&item.facts.unit);
    let mut out = format!("\n{} {place} {}\n", style.bold(&format!("[{n}/{of}]")), display::line(&label));
    let mut about = Vec::new();
    match (&unit.tool, &unit.model) {
        (Some(tool), Some(model)) => {
            about.push(format!("written by {} ({})", display::line(tool), display::line(model)))
        }
        (Some(tool), None) => about.push(format!("written by {}", display::line(tool))),
        _ => about.push("written by an AI tool vouch was not told the name of".into()),
    }
    let ai: u32 = unit.ai_lines.iter().map(|[a, b]| b + 1 - a).sum();
    about.push(format!("{ai} of {count} lines AI"));
    if !item.facts.unit.risk.is_empty() {
        about.push(style.yellow(&format!("risk: {}", display::line(&item.facts.unit.risk.join(", ")))));
    }
    if !item.requesters.is_empty() {
        about.push(format!("requested by {}", display::line(&item.requesters.join(", "))));
    }
    if !item.facts.acceptors.is_empty() {
        about.push(format!("accepted by {}", display::line(&item.facts.acceptors.join(", "))));
    }
    out.push_str(&format!("  {}\n", about.join(" · ")));
    match &item.rationale {
        Some(r) => {
            let from = item
                .rationale_from
                .map_or(String::new(), |f| format!(" {}", style.dim(&format!("({})", f.describe()))));
            out.push_str(&format!("  rationale: {}{from}\n", display::line(r)))
        }
        None => out.push_str(&format!("  {}\n", style.dim("no rationale given"))),
    }
    let width = (first + count).to_string().len();
    for (i, line) in lines.iter().enumerate() {
        let k = i as u32 + 1;
        let is_ai = unit.ai_lines.iter().any(|&[a, b]| a <= k && k <= b);
        let mark = if is_ai { style.green("ai │") } else { "   │".to_string() };
        out.push_str(&format!("  {:>width$} {mark} {line}\n", first + i as u32));
    }
    out
}

fn print_text(report: &Report, past: &str, style: Style) {
    let n = report.approvals.len();
    let request = report.request.as_deref().map_or(String::new(), |r| format!(" (request {})", &r[..12]));
    let who = display::line(&report.reviewer);
    let who = if report.automated { format!("{who} (automated)") } else { who.into_owned() };
    let head = format!("{past} {n} unit{} as {who}", if n == 1 { "" } else { "s" });
    let head = if report.decision == "approve" { style.green(&head) } else { style.red(&head) };
    println!("{head}{request}");
    for w in &report.approvals {
        let place = w.line.map_or(w.path.clone(), |l| format!("{}:{l}", w.path));
        let label = w.name.as_ref().map_or(w.kind.clone(), |name| format!("{} `{name}`", w.kind));
        println!("  {} {} (record {})", display::line(&place), display::line(&label), &w.id[..12]);
    }
    if let Some(c) = &report.comment {
        println!("comment: {}", display::line(c));
    }
    println!("share it with: vouch sync");
}
