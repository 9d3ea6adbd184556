//! `vouch mark PATH:LINE[-LINE] --ai|--human`: a person says who wrote some
//! lines (evidence `manual`, recorded in the journal as the current git
//! user). For text an agent wrote without a hook, and for text the size
//! heuristic suspected wrongly. A person's word never outranks a record of
//! AI from another source: lines an agent's hook, an editor, the range's
//! history, `vouch run` or another person's mark call AI are not marked as
//! a person's (exit 1, nothing recorded), and `--ai` leaves them as they
//! are and marks the rest.
//!
//! Lines are git's (only `\n` ends one). A file that is not UTF-8 is marked
//! by its lines all the same; a submodule is one line, its commit id (`vouch
//! mark path/to/submodule:1 --ai` for a submodule bump an agent made).

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::context::Context;
use super::{Format, FormatArg, Outcome};
use crate::analysis::worktree::Worktree;
use crate::display;
use crate::provenance::{AiSource, Attribution, Evidence, Origin};
use crate::store::journal::{Entry, Journal};
use crate::store::{notes, repo};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("origin").required(true).args(["ai", "human"])))]
pub struct Args {
    /// The lines: PATH:LINE or PATH:FIRST-LAST (1-based, inclusive).
    #[arg(value_name = "PATH:LINE[-LINE]")]
    pub target: String,
    /// An AI wrote them.
    #[arg(long)]
    pub ai: bool,
    /// A person wrote them (refused for lines an agent's hook, an editor,
    /// history or `vouch run` recorded as AI: ask for sign-off instead).
    #[arg(long)]
    pub human: bool,
    /// The AI tool that wrote them.
    #[arg(long, value_name = "TOOL", conflicts_with = "human", value_parser = super::tool_name)]
    pub tool: Option<String>,
    /// The model that wrote them.
    #[arg(long, value_name = "MODEL", conflicts_with = "human")]
    pub model: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `PATH:LINE` or `PATH:FIRST-LAST`, split (the path may hold colons).
pub fn parse_target(target: &str) -> anyhow::Result<(PathBuf, u32, u32)> {
    let usage = || anyhow::anyhow!("expected PATH:LINE or PATH:FIRST-LAST (lines from 1), got {target:?}");
    let (path, lines) = target.rsplit_once(':').ok_or_else(usage)?;
    if path.is_empty() {
        return Err(usage());
    }
    let number = |s: &str| -> anyhow::Result<u32> {
        match s.trim().parse::<u32>() {
            Ok(0) => anyhow::bail!("line numbers start at 1, got 0 in {target:?}"),
            Ok(n) => Ok(n),
            Err(_) => Err(usage()),
        }
    };
    let (first, last) = match lines.split_once('-') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(lines)?;
            (n, n)
        }
    };
    if last < first {
        anyhow::bail!("the line range {first}-{last} in {target:?} runs backwards");
    }
    Ok((PathBuf::from(path), first, last))
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let (path, first, last) = parse_target(&args.target)?;
    let absolute = if path.is_absolute() { path.clone() } else { std::env::current_dir()?.join(&path) };
    let dir = absolute.parent().unwrap_or(Path::new("/"));
    let ctx = Context::open_at(dir)?;
    // Resolved as the file system resolves it: a link out of the worktree
    // or into .git is refused, and the file read is the one resolved to.
    let rel = repo::relative_path(&ctx.repo, &absolute)
        .map_err(|e| anyhow::anyhow!("cannot mark {}: {e}; nothing recorded", path.display()))?;
    // The worktree file (or submodule) the path resolves to, as git would
    // store it.
    let text: Vec<u8> = match super::gitfiles::worktree_content(&ctx.repo, &ctx.root, &rel)? {
        Some((_, content)) => content.as_bytes().to_vec(),
        None => std::fs::read(ctx.root.join(&rel)).with_context(|| format!("cannot read {}", path.display()))?,
    };
    let count = notes::line_spans(&text).len() as u32;
    if count == 0 {
        anyhow::bail!("{} is empty: there are no lines to mark", path.display());
    }
    if last > count {
        anyhow::bail!("{} has {count} line(s); cannot mark {first}-{last}", path.display());
    }
    let me = ctx.identity()?;
    let attribution = if args.ai {
        let tool = args.tool.as_deref().unwrap_or("unknown");
        let source = AiSource { tool: tool.to_string(), model: args.model.clone(), session: None, kind: None };
        Attribution::ai(source, Evidence::Manual, Some(me.email.clone()))
    } else {
        Attribution {
            origin: Origin::Human,
            evidence: Some(Evidence::Manual),
            accepted_by: Some(me.email.clone()),
            intent: None,
        }
    };
    let mut ranges: Vec<Range<usize>> = notes::lines_to_bytes(&text, &[[first, last]]);
    // A person's mark never outranks a record of AI from another source
    // (an agent's hook, an editor, the range's history): not by calling the
    // text theirs, nor by marking it AI again (their mark would paint over
    // the record, and their own mark they may take back). Text already AI
    // is left as it is; calling it a person's is refused.
    let claimed = claimed_by_another(&ctx, &rel, &ranges, &me.email)?;
    if let Some((_, line, whose)) = claimed.first() {
        let at = display::shell_word(&format!("{rel}:{line}"));
        let (target, shown, whose) = (display::line(&args.target), display::line(&rel), display::line(whose));
        if args.human {
            eprintln!(
                "vouch: cannot mark {target} as human-written: {shown}:{line} holds text {whose} recorded as AI, and \
                 a person's word never outranks a record of AI from another source; nothing recorded (to have it \
                 signed off: vouch request {at})"
            );
            return Ok(Outcome::Failed);
        }
        eprintln!("vouch: {shown}:{line} is already recorded as AI by {whose}: left as it is");
        let taken: Vec<Range<usize>> = claimed.iter().map(|(r, _, _)| r.clone()).collect();
        ranges = crate::syntax::units::subtract_all(&ranges, &taken);
        ranges.retain(|r| text[r.clone()].iter().any(|b| !b.is_ascii_whitespace()));
        if ranges.is_empty() {
            eprintln!("vouch: nothing else to record");
            return Ok(Outcome::Ok);
        }
    }
    let spans: Vec<(Range<usize>, Attribution)> = ranges.into_iter().map(|r| (r, attribution.clone())).collect();
    let journal = Journal::open(&ctx.repo).context("cannot open the journal")?;
    journal
        .append(&ctx.repo, Entry::delta(&rel, &text, &spans))
        .with_context(|| format!("cannot record the mark on {rel}"))?;
    super::context::tidy_journal(&journal, &ctx.repo);
    if args.format.format == Format::Json {
        let report = serde_json::json!({
            "path": rel,
            "first_line": first,
            "last_line": last,
            "origin": if args.ai { "ai" } else { "human" },
            "tool": args.ai.then(|| args.tool.as_deref().unwrap_or("unknown")),
            "model": args.model,
            "by": me.email,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(Outcome::Ok);
    }
    let lines = if first == last { format!("{first}") } else { format!("{first}-{last}") };
    let what = if args.ai {
        format!("AI-written ({})", args.tool.as_deref().unwrap_or("unknown tool"))
    } else {
        "human-written".into()
    };
    println!(
        "marked {}:{lines} as {}, by {}",
        crate::display::line(&rel),
        crate::display::line(&what),
        crate::display::line(&me.email)
    );
    Ok(Outcome::Ok)
}

/// The text within `ranges` (byte ranges of `rel` as git stores it) that a
/// source other than `me`'s own mark calls AI, as the working tree's
/// judgement counts its AI lines (the journal, the range's history), in
/// order: each span, its first line there, and who recorded it
/// (`claude-code (agent-hook)`). A size heuristic's suspicion and `me`'s
/// own marks are not in it (settling those is what marks are for).
fn claimed_by_another(
    ctx: &Context,
    rel: &str,
    ranges: &[Range<usize>],
    me: &str,
) -> anyhow::Result<Vec<(Range<usize>, u32, String)>> {
    let worktree = Worktree::open(ctx)?;
    let Some(file) = worktree.file(ctx, rel)? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (span, attribution) in &file.spans {
        let Origin::Ai(source) = &attribution.origin else { continue };
        if !attribution.is_ai_by_another_than(Some(me)) {
            continue;
        }
        for r in ranges.iter().filter(|r| r.start < span.end && span.start < r.end) {
            let evidence = attribution.evidence.unwrap_or(Evidence::History);
            let whose = format!("{} ({})", source.tool, evidence.label());
            let at = r.start.max(span.start)..r.end.min(span.end);
            out.push((at.clone(), file.line_of(at.start), whose));
        }
    }
    out.sort_by_key(|(r, _, _)| r.start);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(parse_target("src/a.rs:3").unwrap(), (PathBuf::from("src/a.rs"), 3, 3));
        assert_eq!(parse_target("c:/x/a.rs:3-7").unwrap(), (PathBuf::from("c:/x/a.rs"), 3, 7));
        for bad in ["src/a.rs", "src/a.rs:", ":3", "a.rs:x", "a.rs:3-", "a.rs:-3", "a.rs:1-2-3"] {
            assert!(parse_target(bad).unwrap_err().to_string().starts_with("expected PATH:LINE"), "{bad}");
        }
        assert_eq!(parse_target("a.rs:0").unwrap_err().to_string(), "line numbers start at 1, got 0 in \"a.rs:0\"");
        assert_eq!(
            parse_target("a.rs:5-2").unwrap_err().to_string(),
            "the line range 5-2 in \"a.rs:5-2\" runs backwards"
        );
    }
}
