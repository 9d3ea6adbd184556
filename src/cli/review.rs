//! `vouch review`: the reviewer's queue in the terminal. Units awaiting the
//! current identity's sign-off, riskiest first, then oldest; for each its
//! path, kind and name, its text with the AI-written lines marked, tool and
//! model, the requester's rationale (and whether it was drafted from the
//! agent's intent), risk tags, and what changed since an
//! earlier rejected version. `--list` prints the queue for scripts.
//!
//! The interaction is line-based: each key is a line (`a`, `r`, `s`, `e`,
//! `q`, then Enter) read from standard input. That works over ssh, in any
//! terminal and multiplexer, and from a pipe; it leaves no terminal mode to
//! restore when an editor runs or the program is interrupted, and a
//! rejection's comment is typed on the same line discipline. Decisions are
//! judged as `vouch approve` judges them ([`crate::analysis::decision`]:
//! the unit as the working tree holds it, with everyone who took part,
//! under the policy and allowed signers at BASE, then
//! [`signoff::decide_judged`]), over the text the reviewer was shown (the
//! fingerprint is recomputed from it), signed as the policy asks, and
//! followed by the same warning when a signature will not verify. The queue
//! offers a unit the working tree holds as that judge judges it (its real
//! AI lines, who accepted them, who authored the commits that touched it:
//! a request that understates its AI lines is not offered to a peer), and
//! a unit it does not hold on the records' account of it; whether the
//! reviewer may sign it off is decided again at the decision.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};
use time::OffsetDateTime;

use super::context::Context;
use super::output::Style;
use super::{Format, Outcome};
use crate::analysis::decision::{self, Files};
use crate::analysis::scope::AtBase;
use crate::analysis::worktree::Worktree;
use crate::display;
use crate::fingerprint::requested_fingerprint;
use crate::intent;
use crate::policy::Verdict;
use crate::queue::{self, DiffTag, PendingUnit, Queue};
use crate::signoff;
use crate::store::identity::Identity;
use crate::store::policy_file::Source;
use crate::store::records;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the queue and exit without asking anything (for scripts).
    #[arg(long)]
    pub list: bool,
    /// With --list: every unit awaiting sign-off, whoever may sign it off.
    #[arg(long)]
    pub all: bool,
    /// Output format of --list (json implies --list).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// BASE, whose policy and allowed signers decide who may sign off what
    /// (what `vouch verify` will use as BASE); default: the BASE `vouch
    /// status` names (the merge-base with the upstream or default branch).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    // BASE's policy and signers, as request, approve and verify judge by
    // (BASE as given with --base).
    let given = args.base.as_deref().map(|rev| crate::analysis::base::given(&ctx.repo, rev)).transpose()?;
    let at = AtBase::open(&ctx.repo, Source::Worktree, given.as_ref())?;
    // What is read here (every request and record, the working tree) is
    // left to the process's exit at each return below rather than freed
    // piece by piece: at 50,000 requests freeing it was a tenth of the
    // command. Nothing in it writes when dropped.
    let (queue, worktree) = decision::queue(&ctx, &at, given.as_ref())?.into_parts();
    for problem in &queue.problems {
        eprintln!("vouch: warning: {}", display::line(&problem.to_string()));
    }
    let list = args.list || args.format == Format::Json;
    if args.all && !list {
        bail!("--all lists the whole queue; use it with --list (you can sign off only your own units)");
    }
    let me = if args.all { None } else { Some(ctx.identity()?) };
    let now = OffsetDateTime::now_utc();
    if list {
        print_list(&queue, me.as_ref().map(|m| m.email.as_str()), args.format, now)?;
        std::mem::forget((queue, worktree));
        return Ok(Outcome::Ok);
    }
    let me = me.expect("an identity unless --all");
    let mine: Vec<PendingUnit> = queue.for_reviewer(&me.email).into_iter().cloned().collect();
    let style = Style::stdout();
    if mine.is_empty() {
        let others = queue.units.len();
        println!("Nothing awaits your sign-off ({}).", display::line(&me.email));
        if others > 0 {
            println!("{others} unit(s) await other reviewers: `vouch review --list --all` shows them.");
        }
        std::mem::forget((queue, worktree));
        return Ok(Outcome::Ok);
    }
    let mut session = Session { ctx: &ctx, base: given, worktree, me, style, now };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout();
    session.run(&mine, &mut input, &mut output)?;
    std::mem::forget((queue, session));
    Ok(Outcome::Ok)
}

fn print_list(queue: &Queue, me: Option<&str>, format: Format, now: OffsetDateTime) -> anyhow::Result<()> {
    let units: Vec<&PendingUnit> = match me {
        Some(email) => queue.for_reviewer(email),
        None => queue.units.iter().collect(),
    };
    match format {
        Format::Json => {
            let mut list = Vec::with_capacity(units.len());
            for unit in &units {
                let mut value = serde_json::to_value(unit)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("age_seconds".into(), unit.age(now).into());
                    object.insert("awaited_by".into(), unit.awaited_by().into());
                    object.insert("rationale".into(), unit.rationale().into());
                    object.insert("rationale_from".into(), serde_json::to_value(unit.rationale_from())?);
                }
                list.push(value);
            }
            let out = serde_json::json!({
                "reviewer": me,
                "units": list,
                "requests": queue.requests,
                "problems": queue.problems,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Text => {
            let style = Style::stdout();
            match me {
                Some(email) if units.is_empty() => {
                    println!("Nothing awaits your sign-off ({}).", display::line(email))
                }
                Some(email) => {
                    println!("{} unit(s) await sign-off by {}, riskiest first:", units.len(), display::line(email))
                }
                None if units.is_empty() => println!("Nothing awaits sign-off."),
                None => println!("{} unit(s) await sign-off, riskiest first:", units.len()),
            }
            for unit in units {
                let mut line = format!(
                    "  {} {} · {}",
                    style.bold(&display::line(&unit.path)),
                    display::line(&unit.label()),
                    unit.ai_summary()
                );
                let risk = risk_words(unit);
                if !risk.is_empty() {
                    line.push_str(&format!(" · {}", style.red(&display::line(&risk))));
                }
                line.push_str(&format!(
                    " · waiting {} · requested by {}",
                    queue::human_duration(unit.age(now)),
                    display::line(&unit.participants.requesters.join(", "))
                ));
                if let Some(rejection) = &unit.earlier_rejection {
                    line.push_str(&format!(" · revised after a rejection by {}", display::line(&rejection.by)));
                }
                if me.is_none() {
                    line.push_str(&format!(" · awaits {}", display::line(&unit.awaited_by().join(", "))));
                }
                println!("{line}");
                if let Some(headline) = unit.intents.iter().find_map(|i| i.headline()) {
                    println!("    intent: {}", display::line(&headline));
                }
                for why in &unit.not_counted {
                    println!("      not counted: {}", display::line(why));
                }
            }
            let states = queue::request_counts(&queue.requests);
            if !states.is_empty() {
                let states: Vec<String> = states.iter().map(|b| format!("{} {}", b.count, b.label)).collect();
                println!("requests: {}", states.join(", "));
            }
        }
    }
    Ok(())
}

/// "risk: sql, exec · high-risk path", or nothing.
fn risk_words(unit: &PendingUnit) -> String {
    let mut parts = Vec::new();
    if !unit.risk.is_empty() {
        parts.push(format!("risk: {}", unit.risk.join(", ")));
    }
    if unit.path_risk != "low" {
        parts.push(format!("{}-risk path", unit.path_risk));
    }
    parts.join(" · ")
}

/// One reviewer going through their queue.
struct Session<'a> {
    ctx: &'a Context,
    /// BASE as given (`--base REV`).
    base: Option<crate::analysis::base::Base>,
    /// The working tree as the next commit, in its range from BASE: what a
    /// decision is judged by, as `vouch approve` judges it. Read on the
    /// first decision; its records are read again after each.
    worktree: Option<Worktree>,
    me: Identity,
    style: Style,
    now: OffsetDateTime,
}

/// What the reviewer did with the queue.
#[derive(Debug, Default)]
struct Tally {
    approved: usize,
    rejected: usize,
    skipped: usize,
}

const HELP: &str = "a approve · r reject (asks why) · s skip · e open in $EDITOR · q quit";

impl Session<'_> {
    fn run(&mut self, units: &[PendingUnit], input: &mut dyn BufRead, out: &mut dyn Write) -> anyhow::Result<()> {
        let mut tally = Tally::default();
        let total = units.len();
        let mut quit = false;
        for (i, unit) in units.iter().enumerate() {
            self.show(unit, i + 1, total, out)?;
            loop {
                write!(out, "{} > ", self.style.bold("[a]pprove [r]eject [s]kip [e]dit [q]uit"))?;
                out.flush()?;
                let Some(answer) = read_line(input)? else {
                    writeln!(out)?;
                    quit = true;
                    break;
                };
                let key = answer.trim().chars().next().map(|c| c.to_ascii_lowercase());
                match key {
                    Some('a') => match self.decide(unit, Verdict::Approve, None, out) {
                        Ok(message) => {
                            writeln!(out, "{}", self.style.green(&message))?;
                            tally.approved += 1;
                            break;
                        }
                        Err(e) => writeln!(out, "{}", self.style.red(&format!("not approved: {e:#}")))?,
                    },
                    Some('r') => {
                        write!(out, "Why? What should change (one line; empty cancels): ")?;
                        out.flush()?;
                        let comment = read_line(input)?.unwrap_or_default();
                        let comment = comment.trim();
                        if comment.is_empty() {
                            writeln!(out, "Not rejected: a rejection needs a comment saying what to change.")?;
                            continue;
                        }
                        match self.decide(unit, Verdict::Reject, Some(comment), out) {
                            Ok(message) => {
                                writeln!(out, "{}", self.style.yellow(&message))?;
                                tally.rejected += 1;
                                break;
                            }
                            Err(e) => writeln!(out, "{}", self.style.red(&format!("not rejected: {e:#}")))?,
                        }
                    }
                    Some('s') => {
                        tally.skipped += 1;
                        break;
                    }
                    Some('e') => match self.edit(unit) {
                        Ok(message) => writeln!(out, "{message}")?,
                        Err(e) => writeln!(out, "{}", self.style.red(&format!("cannot open an editor: {e:#}")))?,
                    },
                    Some('q') => {
                        quit = true;
                        break;
                    }
                    Some('?' | 'h') | None => writeln!(out, "{HELP}")?,
                    Some(_) => writeln!(out, "Unknown key {:?}. {HELP}", answer.trim())?,
                }
            }
            if quit {
                break;
            }
        }
        let left = total - tally.approved - tally.rejected;
        writeln!(
            out,
            "Approved {}, rejected {}, skipped {}; {left} of {total} unit(s) still await you.",
            tally.approved, tally.rejected, tally.skipped
        )?;
        Ok(())
    }

    fn show(&self, unit: &PendingUnit, n: usize, total: usize, out: &mut dyn Write) -> anyhow::Result<()> {
        let s = self.style;
        writeln!(out)?;
        writeln!(out, "{}", s.dim(&format!("── {n} of {total} ──────────────────────────────────────────")))?;
        writeln!(out, "{} · {}", s.bold(&display::line(&unit.path)), s.bold(&display::line(&unit.label())))?;
        let risk = risk_words(unit);
        // Every byte shown, numbered as git numbers lines (a lone CR ends
        // none); bytes that are not UTF-8 as `‹0xE9›`.
        let lines = display::code_lines_bytes(unit.bytes.as_bytes());
        let mut facts = format!("{} of {}", unit.ai_summary(), lines.len());
        if !risk.is_empty() {
            facts.push_str(&format!(" · {}", s.red(&display::line(&risk))));
        }
        facts.push_str(&format!(" · {} of {} approval(s)", unit.have, unit.need));
        if unit.requirement.peer_ok {
            facts.push_str(" · any peer may sign off ([[triage]])");
        }
        if !unit.approved_by.is_empty() {
            facts.push_str(&format!(" (by {})", display::line(&unit.approved_by.join(", "))));
        }
        writeln!(out, "{facts}")?;
        let written = match (&unit.tool, &unit.model) {
            (Some(tool), Some(model)) => format!("written by {}, model {}", display::line(tool), display::line(model)),
            (Some(tool), None) => format!("written by {}, model unknown", display::line(tool)),
            (None, _) => "written by an unknown AI tool".to_string(),
        };
        writeln!(out, "{written}")?;
        for intent in &unit.intents {
            if let Some(prompt) = &intent.prompt {
                writeln!(out, "{} {}", s.bold("prompt:"), display::line(&intent::fold_whitespace(prompt)))?;
            }
            if let Some(said) = &intent.said {
                writeln!(out, "{} {}", s.bold("agent's intent:"), display::line(&intent::fold_whitespace(said)))?;
            }
        }
        for request in &unit.requests {
            let who = if request.requester_name.is_empty() {
                request.requester.clone()
            } else {
                format!("{} <{}>", request.requester_name, request.requester)
            };
            writeln!(
                out,
                "requested by {} on {} ({} ago) · request {}",
                display::line(&who),
                display::line(&request.created),
                queue::human_duration((self.now - parse(&request.created)).whole_seconds()),
                display::line(request.id.get(..12).unwrap_or(&request.id))
            )?;
        }
        match unit.rationale() {
            Some(rationale) => {
                // Whose words they are, when not the requester's own.
                let from = unit
                    .rationale_from()
                    .map_or(String::new(), |f| format!(" {}", s.dim(&format!("({})", f.describe()))));
                writeln!(out, "{} {}{from}", s.bold("rationale:"), display::line(rationale))?
            }
            None => writeln!(out, "{} {}", s.bold("rationale:"), s.dim("none given"))?,
        }
        for why in &unit.not_counted {
            writeln!(out, "{}", s.yellow(&format!("not counted: {}", display::line(why))))?;
        }
        if let Some(rejection) = &unit.earlier_rejection {
            let why = rejection.comment.as_deref().map_or(String::new(), |c| format!(": {}", display::line(c)));
            writeln!(
                out,
                "{}",
                s.yellow(&format!(
                    "an earlier version was rejected by {} on {}{why}",
                    display::line(&rejection.by),
                    display::line(&rejection.at)
                ))
            )?;
            writeln!(out, "changes since the rejected version:")?;
            for (tag, line) in queue::line_diff(&rejection.text, &unit.text) {
                // Each diff line is one line of code: shown as a code line.
                let line = display::code_lines(&line).concat();
                let shown = match tag {
                    DiffTag::Same => s.dim(&format!("   {line}")),
                    DiffTag::Removed => s.red(&format!(" - {line}")),
                    DiffTag::Added => s.green(&format!(" + {line}")),
                    DiffTag::Gap => s.dim("   …"),
                };
                writeln!(out, "{shown}")?;
            }
        }
        if unit.language == crate::fingerprint::DELETED {
            writeln!(out, "{}", s.dim("the text deleted (BASE's version; nothing of it is left):"))?;
        } else if unit.language == crate::fingerprint::MODE {
            let what = crate::store::mode::described(&unit.kind);
            let shown = format!("the text an AI made {what} (mode {}; no line changed):", display::line(&unit.kind));
            writeln!(out, "{}", s.dim(&shown))?;
        } else {
            writeln!(out, "{}", s.dim("text (lines marked ai are AI-written):"))?;
        }
        let width = lines.len().to_string().len();
        for (i, line) in lines.iter().enumerate() {
            let n = i as u32 + 1;
            let ai = unit.ai_lines.iter().any(|[a, b]| *a <= n && n <= *b);
            if ai {
                writeln!(out, "{} {} {line}", s.yellow(&format!("{n:>width$}")), s.yellow("ai│"))?;
            } else {
                writeln!(out, "{} {}", s.dim(&format!("{n:>width$}   │")), s.dim(line))?;
            }
        }
        Ok(())
    }

    /// Approve or reject `unit` as the current identity: the bytes shown
    /// are what is signed off, judged and refused as `vouch approve` judges
    /// and refuses a decision on them.
    fn decide(
        &mut self,
        unit: &PendingUnit,
        verdict: Verdict,
        comment: Option<&str>,
        out: &mut dyn Write,
    ) -> anyhow::Result<String> {
        let actual = requested_fingerprint(&unit.path, &unit.language, &unit.kind, unit.bytes.as_bytes());
        if actual != unit.fingerprint {
            bail!("the fingerprint of the text shown does not match the request; refusing to sign it off");
        }
        if self.worktree.is_none() {
            self.worktree = Some(Worktree::open_at(self.ctx, self.base.as_ref())?);
        }
        let Some(worktree) = &self.worktree else { bail!("cannot read the working tree") };
        let ledger = worktree.ledger();
        // The unit as a request that counts records it: these very bytes.
        let requested = ledger
            .requests
            .for_fingerprint(&unit.fingerprint)
            .iter()
            .rev()
            .flat_map(|r| r.record.units.iter())
            .find(|u| u.fingerprint == unit.fingerprint && u.standing().counts() && u.text == unit.bytes)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no request that counts shows this text any more"))?;
        let candidate = Files::new(self.ctx, worktree).candidate(&requested)?;
        let unheld = candidate.unheld_note(&unit.path);
        let mut approval = match signoff::decide_judged(
            ledger,
            &unit.path,
            &candidate.facts,
            &candidate.judgement,
            self.me.clone().into(),
            verdict,
            comment,
        ) {
            Ok(approval) => approval,
            Err(e) => match &unheld {
                Some(note) => bail!("{e}: {note}"),
                None => return Err(e.into()),
            },
        };
        if let Some(note) = &unheld {
            writeln!(out, "{}", self.style.yellow(&format!("warning: {}", display::line(note))))?;
        }
        let policy = worktree.policy();
        crate::store::signature::sign_approval(&self.ctx.repo, policy, &mut approval)?;
        let id = records::add(&self.ctx.repo, &approval)?;
        for warning in decision::unverifiable(&self.ctx.repo, policy, &[(id.as_str(), &approval)]) {
            writeln!(out, "{}", self.style.yellow(&format!("warning: {}", display::line(&warning))))?;
        }
        // Later units see this decision (and whatever others added since):
        // the records read again, the range and the working tree kept.
        let ledger = self.ctx.ledger()?;
        if let Some(worktree) = &mut self.worktree {
            worktree.prepared.ledger = ledger;
        }
        let verb = if verdict == Verdict::Approve { "Approved" } else { "Rejected" };
        Ok(format!(
            "{verb} {} in {} as {} (record {})",
            display::line(&unit.label()),
            display::line(&unit.path),
            display::line(&self.me.email),
            &id[..12]
        ))
    }

    /// Open the unit in `$VISUAL` or `$EDITOR` (else `vi`): the working-tree
    /// file at the unit's first AI line when it still holds the unit, else
    /// a temporary copy of the requested text.
    fn edit(&self, unit: &PendingUnit) -> anyhow::Result<String> {
        let editor = ["VISUAL", "EDITOR"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|e| !e.trim().is_empty())
            .unwrap_or_else(|| "vi".to_string());
        let first_ai = unit.ai_lines.first().map_or(1, |r| r[0]);
        let worktree = self.ctx.root.join(&unit.path);
        // Found in the file as git would store it: line numbers are the same.
        let content = super::gitfiles::worktree_content(&self.ctx.repo, &self.ctx.root, &unit.path).ok().flatten();
        let in_tree = content.and_then(|(_, content)| {
            let content = content.as_bytes();
            let at = content.windows(unit.bytes.len().max(1)).position(|w| w == unit.bytes.as_bytes())?;
            Some(content[..at].iter().filter(|&&b| b == b'\n').count() as u32)
        });
        let (file, line, temp) = match in_tree {
            Some(before) => (worktree, before + first_ai, None),
            None => {
                let ext = Path::new(&unit.path).extension().and_then(|e| e.to_str()).unwrap_or("txt");
                let mut temp = tempfile::Builder::new()
                    .prefix("vouch-review-")
                    .suffix(&format!(".{ext}"))
                    .tempfile()
                    .context("cannot create a temporary file")?;
                temp.write_all(unit.bytes.as_bytes()).context("cannot write the temporary file")?;
                (temp.path().to_path_buf(), first_ai, Some(temp))
            }
        };
        // Through the shell, so that an editor with arguments ("code -w")
        // works as it does for git.
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$@\""))
            .arg("vouch-editor")
            .arg(format!("+{line}"))
            .arg(&file)
            .status()
            .with_context(|| format!("cannot run {editor}"))?;
        if !status.success() {
            bail!("{editor} exited with {status}");
        }
        Ok(match temp {
            Some(_) => {
                "Back from the editor (that was a temporary copy of the requested text; edits to it are not kept)."
                    .into()
            }
            None => format!("Back from the editor ({}:{line}).", display::line(&unit.path)),
        })
    }
}

fn parse(created: &str) -> OffsetDateTime {
    OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// One line from `input` without its line break; `None` at the end.
fn read_line(input: &mut dyn BufRead) -> anyhow::Result<Option<String>> {
    let mut line = String::new();
    if input.read_line(&mut line).context("cannot read standard input")? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}
