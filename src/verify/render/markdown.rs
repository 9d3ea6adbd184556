//! The report as GitHub-flavoured Markdown (`--format markdown`), for a
//! pull request's job summary (`$GITHUB_STEP_SUMMARY`) or a comment: the
//! verdict and counts, each unit awaiting sign-off (path and lines, risk,
//! rationale, who may approve, and the exact command that approves it),
//! the other failures, overrides and coverage.
//!
//! The page is rendered by the forge, and most of what it names comes from
//! the author of the change (paths, unit names, rationales, comments,
//! identities). Every such value goes through [`md`] (shown through
//! [`display::line`], then every Markdown punctuation character escaped,
//! and `@`, `:` and `$` too, against mentions, autolinks and math) or
//! through [`code`] (a code span that no backtick in the
//! value can close); commands are in fenced blocks, one value a line, each
//! shown through [`display::shell_word`].

use super::*;

/// At most this many units are described one by one; the rest are
/// counted (the annotations, the SARIF and `--format json` list all).
pub const MAX_UNITS: usize = 100;

/// A value as Markdown text: no emphasis, link, image, HTML, entity, table
/// cell break, mention or math can be planted in it. (A bare URL may still
/// render as a link whose target is its visible text.)
pub fn md(text: &str) -> String {
    let escaped = display::markdown(text);
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        if matches!(c, '@' | ':' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A value as a code span that may sit in a table cell (a `|` splits a
/// GFM table cell even inside a code span unless escaped).
pub fn code(text: &str) -> String {
    display::markdown_code(text).replace('|', "\\|")
}

fn lines_of(failure: &Failure) -> String {
    match (failure.line, failure.end_line) {
        (Some(a), Some(b)) if b > a => format!("lines {a}–{b}"),
        (Some(a), _) => format!("line {a}"),
        _ => String::new(),
    }
}

/// The report as Markdown.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let units: Vec<&Failure> =
        report.failures.iter().filter(|f| f.signoff.is_some() && f.rule != Rule::Rejected).collect();
    let rejected: Vec<&Failure> = report.failures.iter().filter(|f| f.rule == Rule::Rejected).collect();
    let others: Vec<&Failure> =
        report.failures.iter().filter(|f| f.signoff.is_none() && f.rule != Rule::Rejected).collect();
    let verdict = if report.passed() {
        "PASS: every AI-written unit of the range has its sign-off".to_string()
    } else {
        let mut parts = Vec::new();
        if !units.is_empty() {
            parts.push(format!("{} unit(s) await sign-off", units.len()));
        }
        if !rejected.is_empty() {
            parts.push(format!("{} rejected", rejected.len()));
        }
        if !others.is_empty() {
            parts.push(format!("{} other failure(s)", others.len()));
        }
        format!("FAIL: {}", parts.join(", "))
    };
    let _ = writeln!(out, "## vouch verify — {verdict}\n");
    let _ = writeln!(
        out,
        "Range {}..{} ({} commit(s), {} → {}) · policy {}\n",
        code(&report.base),
        code(&report.head),
        report.coverage.commits,
        code(short(&report.base_commit)),
        code(short(&report.head_commit)),
        code(&report.policy)
    );
    let automated = report.approved.iter().filter(|a| !a.automated.is_empty()).count();
    let _ = writeln!(out, "| | count |\n| --- | ---: |");
    let _ = writeln!(out, "| units approved | {} |", report.approved.len());
    if automated > 0 {
        let _ = writeln!(out, "| … of which by an automated reviewer | {automated} |");
    }
    let _ = writeln!(out, "| units awaiting sign-off | {} |", units.len());
    let _ = writeln!(out, "| rejected | {} |", rejected.len());
    let _ = writeln!(out, "| other failures | {} |", others.len());
    let _ = writeln!(out, "| overridden | {} |", report.overridden.len());
    let _ = writeln!(out, "| AI units that need no sign-off | {} |\n", report.coverage.units_not_required);

    if !report.warnings.is_empty() {
        let _ = writeln!(out, "### Warnings\n");
        for w in &report.warnings {
            let _ = writeln!(out, "- {}", md(w));
        }
        out.push('\n');
    }

    if !units.is_empty() {
        let _ = writeln!(out, "### Awaiting sign-off (riskiest first)\n");
        let mut sorted = units.clone();
        sorted.sort_by_key(|f| {
            let s = f.signoff.as_ref();
            (!s.is_some_and(|s| s.risky), f.path.clone(), f.line)
        });
        for (i, failure) in sorted.iter().take(MAX_UNITS).enumerate() {
            unit_section(&mut out, report, i + 1, failure);
        }
        if sorted.len() > MAX_UNITS {
            let _ = writeln!(
                out,
                "… and {} more unit(s): the annotations, the SARIF report and `vouch verify --format json` list \
                 every one.\n",
                sorted.len() - MAX_UNITS
            );
        }
    }

    if !rejected.is_empty() {
        let _ = writeln!(out, "### Rejected\n");
        let _ = writeln!(
            out,
            "A reviewer rejected these. Change the code (a new text needs a new sign-off), or the reviewer who \
             rejected it approves this text.\n"
        );
        for failure in rejected.iter().take(MAX_UNITS) {
            let _ = writeln!(out, "- {} — {}", place(failure), md(&failure.reason));
        }
        out.push('\n');
    }

    if !others.is_empty() {
        let _ = writeln!(out, "### Other failures\n");
        let _ = writeln!(out, "| rule | where | reason |\n| --- | --- | --- |");
        for failure in others.iter().take(MAX_UNITS) {
            let mut reason = md(&failure.reason);
            for d in &failure.details {
                reason.push_str("<br>");
                reason.push_str(&md(d));
            }
            let _ = writeln!(out, "| {} | {} | {reason} |", failure.rule.short(), place(failure));
        }
        out.push('\n');
    }

    let cleared: Vec<&Approved> = report.approved.iter().filter(|a| !a.automated.is_empty()).collect();
    if !cleared.is_empty() {
        let _ = writeln!(out, "### Cleared by an automated reviewer\n");
        let _ = writeln!(
            out,
            "The policy's `[[automated]]` rules let a bot clear these small units without a risk tag; no \
             person has approved them.\n"
        );
        for a in cleared.iter().take(MAX_UNITS) {
            let mut place = format!("{} line {}", code(&a.path), a.line);
            if let Some(name) = &a.name {
                let _ = write!(place, " · {} {}", md(&a.kind), code(name));
            }
            let _ = writeln!(out, "- {place} — approved by {}", md(&approvers(a)));
        }
        out.push('\n');
    }

    if !report.overridden.is_empty() || !report.overrides.is_empty() {
        let _ = writeln!(out, "### Overrides\n");
        for o in &report.overridden {
            let _ = writeln!(
                out,
                "- overridden: {} — {} (override {})",
                place(&o.failure),
                md(&o.failure.reason),
                code(short(&o.by_override))
            );
        }
        for o in &report.overrides {
            let state = match &o.not_counted_because {
                None => "counted".to_string(),
                Some(why) => format!("**not counted**: {}", md(why)),
            };
            let _ = writeln!(
                out,
                "- override {} by {} at {}: “{}” — covers {} commit(s) of the range; {state}",
                code(short(&o.id)),
                md(&o.by),
                md(&o.created),
                md(&o.reason),
                o.covers.len()
            );
        }
        out.push('\n');
    }

    let c = &report.coverage;
    let _ = writeln!(out, "### Coverage\n");
    let _ = writeln!(out, "| | |\n| --- | ---: |");
    let _ = writeln!(out, "| commits (merges) | {} ({}) |", c.commits, c.merges);
    let _ = writeln!(out, "| with a vouch note | {} |", c.with_note);
    let _ = writeln!(out, "| without a vouch note | {} |", c.without_note.len());
    let _ = writeln!(out, "| with no provenance at all | {} |", c.without_provenance.len());
    let _ = writeln!(out, "| lines from the range: AI | {} |", c.ai_lines);
    let _ = writeln!(out, "| lines from the range: attested not AI | {} |", c.attested_lines);
    if c.ai_deletions > 0 {
        let _ = writeln!(out, "| places where AI deleted lines | {} |", c.ai_deletions);
    }
    if !c.ai_deleted_files.is_empty() {
        let _ = writeln!(out, "| files deleted by AI | {} |", c.ai_deleted_files.len());
    }
    if !c.ai_mode_changes.is_empty() {
        let _ = writeln!(out, "| files whose mode AI changed | {} |", c.ai_mode_changes.len());
    }
    let _ = writeln!(out, "| lines from the range: unknown origin | {} |\n", c.unknown_lines);
    if c.unknown_lines > 0 {
        let _ = writeln!(
            out,
            "Lines of unknown origin are *unattested*, not necessarily human: vouch was told nothing about them.\n"
        );
    }
    out
}

/// `` `path` lines 3–9 · function `name` ``, or the commit a failure is
/// about.
fn place(failure: &Failure) -> String {
    let mut out = match (&failure.path, failure.commits.first()) {
        (Some(path), _) => code(path),
        (None, Some(commit)) => format!("commit {}", code(short(commit))),
        (None, None) => "the range".to_string(),
    };
    let lines = lines_of(failure);
    if !lines.is_empty() {
        let _ = write!(out, " {lines}");
    }
    if let Some(kind) = failure.kind.as_ref().filter(|k| *k != crate::syntax::units::LINES) {
        let _ = write!(out, " · {}", md(kind));
    }
    if let Some(name) = &failure.name {
        let _ = write!(out, " {}", code(name));
    }
    out
}

fn unit_section(out: &mut String, report: &Report, n: usize, failure: &Failure) {
    let Some(signoff) = &failure.signoff else { return };
    let _ = writeln!(out, "#### {n}. {}\n", place(failure));
    let _ = writeln!(out, "| | |\n| --- | --- |");
    let mut risk = Vec::new();
    if signoff.risky {
        risk.push("**risky**".to_string());
    }
    if !signoff.risk.is_empty() {
        risk.push(signoff.risk.iter().map(|t| md(t)).collect::<Vec<_>>().join(", "));
    }
    risk.push(format!("path risk {}", md(&signoff.path_risk)));
    let _ = writeln!(out, "| risk | {} |", risk.join(" · "));
    let rationale = match (&signoff.rationale, signoff.rationale_from) {
        (Some(r), Some(from)) => format!("{} *({})*", md(r), from.describe()),
        (Some(r), None) => md(r),
        (None, _) => "*none given*".to_string(),
    };
    let _ = writeln!(out, "| rationale | {rationale} |");
    let _ =
        writeln!(out, "| needs | {} approval(s) from {}; has {} |", signoff.need, md(&signoff.reviewers), signoff.have);
    if !failure.participants.is_empty() {
        let who: Vec<String> = failure.participants.iter().map(|p| md(p)).collect();
        let _ = writeln!(out, "| may not approve (took part) | {} |", who.join(", "));
    }
    let status = match signoff.requests.last() {
        Some(id) => format!("requested (request {})", code(short(id))),
        None => "not requested yet".to_string(),
    };
    let _ = writeln!(out, "| status | {status} |");
    if let Some(fp) = &failure.fingerprint {
        let _ = writeln!(out, "| fingerprint | {} |", code(short(fp)));
    }
    out.push('\n');
    if !failure.details.is_empty() {
        for d in &failure.details {
            let _ = writeln!(out, "- {}", md(d));
        }
        out.push('\n');
    }
    if let Some(command) = approve_command(report, failure) {
        let _ = writeln!(out, "To approve it (as a reviewer the policy names):\n");
        let _ = writeln!(out, "```sh");
        for line in setup_commands(report, failure) {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "{command}\nvouch sync\n```\n");
    }
}
