//! The report as text and as SARIF 2.1.0.
//!
//! Both are read by people (a CI log, a code-scanning UI), and most of what
//! they name comes from the author of the change (paths, identities,
//! reasons that quote them): every value is shown through
//! [`crate::display::line`], so a newline in a file name cannot inject a
//! line into the log (a fake `::notice::` or `PASS`), and control, bidi and
//! invisible characters show as what they are. `--format json` keeps the
//! exact values.

use super::*;
use crate::display;

mod github;
mod gitlab;
mod markdown;

pub use github::render_github;
pub use gitlab::to_gitlab;
pub use markdown::render_markdown;

/// The command that approves a failure's unit, for a reviewer to copy: the
/// request's id when one was made (`vouch approve` shows its units from
/// the request), else the unit at `PATH:LINE` in a checkout of HEAD, or the
/// trust file (or the file an AI deleted) with `--file`. `None` when approving does not fix it (a
/// reject, a commit-level failure). Every value is shown through
/// [`display::shell_word`], so pasting it runs nothing planted in a name.
pub fn approve_command(report: &Report, failure: &Failure) -> Option<String> {
    let signoff = failure.signoff.as_ref()?;
    if failure.rule == Rule::Rejected {
        return None;
    }
    let path = failure.path.as_deref()?;
    if signoff.by_file() {
        return Some(format!(
            "vouch approve --file {} --base {}",
            display::shell_word(path),
            display::shell_word(&report.base_commit)
        ));
    }
    match signoff.requests.last() {
        Some(request) => Some(format!("vouch approve {}", display::shell_word(short(request)))),
        None => Some(format!("vouch approve {}", display::shell_word(&format!("{path}:{}", failure.line?)))),
    }
}

/// What a reviewer runs before [`approve_command`]: fetch the records and
/// notes, and check out HEAD when the unit is approved from the working
/// tree.
pub fn setup_commands(report: &Report, failure: &Failure) -> Vec<String> {
    let mut commands = vec!["vouch sync".to_string()];
    let from_worktree = failure.signoff.as_ref().is_some_and(|s| s.by_file() || s.requests.is_empty());
    if from_worktree {
        commands.push(format!("git checkout --detach {}", display::shell_word(&report.head_commit)));
    }
    commands
}

/// The report as text: one line per failure (`path:line kind name — reason`),
/// its details indented below, then overrides and coverage.
pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "vouch verify {}..{} ({} commit(s)); policy {}",
        display::line(&report.base),
        display::line(&report.head),
        report.coverage.commits,
        display::line(&report.policy)
    );
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {}", display::line(warning));
    }
    for failure in &report.failures {
        let (place, reason) = (display::line(&failure.place()).into_owned(), display::line(&failure.reason));
        let _ = writeln!(out, "{place} {} — {reason}", failure.rule.short());
        for detail in &failure.details {
            let _ = writeln!(out, "    {}", display::line(detail));
        }
    }
    // An approved unit is listed only when a vote on it did not count (a
    // reject that did not count is worth a reader's look) or an automated
    // reviewer cleared it (a person may want to look again).
    for a in report.approved.iter().filter(|a| !a.not_counted.is_empty() || !a.automated.is_empty()) {
        let name = a.name.as_deref().map_or(String::new(), |n| format!(" {n}"));
        let place = format!("{}:{} {}{name}", a.path, a.line, a.kind);
        let _ = writeln!(out, "approved: {} by {}", display::line(&place), display::line(&approvers(a)));
        for detail in &a.not_counted {
            let _ = writeln!(out, "    {}", display::line(detail));
        }
    }
    for o in &report.overridden {
        let _ = writeln!(
            out,
            "overridden: {} {} — {} (override {})",
            display::line(&o.failure.place()),
            o.failure.rule.short(),
            display::line(&o.failure.reason),
            display::line(short(&o.by_override))
        );
    }
    for o in &report.overrides {
        let state = match &o.not_counted_because {
            None => "counted".to_string(),
            Some(why) => format!("NOT counted: {}", display::line(why)),
        };
        let _ = writeln!(
            out,
            "override {} by {} at {}: \"{}\" — covers {} commit(s) of the range; {state}",
            display::line(short(&o.id)),
            display::line(&o.by),
            display::line(&o.created),
            display::line(&o.reason),
            o.covers.len()
        );
    }
    let c = &report.coverage;
    let list = |commits: &[String]| {
        if commits.is_empty() {
            String::new()
        } else {
            format!(": {}", commits.iter().map(|s| short(s)).collect::<Vec<_>>().join(", "))
        }
    };
    let _ = writeln!(
        out,
        "coverage: {} commit(s) ({} merge(s)), {} with a vouch note, {} without{}",
        c.commits,
        c.merges,
        c.with_note,
        c.without_note.len(),
        list(&c.without_note)
    );
    // Not one note: most likely pushed without the pre-push hook's `vouch
    // sync`, or a CI that does not fetch them.
    if c.with_note == 0 && !c.without_note.is_empty() {
        let _ = writeln!(
            out,
            "hint: no commit of the range carries a vouch note: were they shared? The pre-push hook (vouch sync) \
             pushes them, and vouch sync --no-push fetches them here"
        );
    }
    let _ = writeln!(
        out,
        "provenance: {} with a git-ai note, {} declaring AI (trailer, aider or bot author), {} with none at all{}",
        c.with_git_ai_note,
        c.with_declaration,
        c.without_provenance.len(),
        list(&c.without_provenance)
    );
    let _ = writeln!(
        out,
        "lines from the range: {} AI, {} attested not AI, {} of unknown origin (unattested, not necessarily human){}",
        c.ai_lines,
        c.attested_lines,
        c.unknown_lines,
        if c.unknown_by_path.is_empty() {
            String::new()
        } else {
            let paths: Vec<String> =
                c.unknown_by_path.iter().map(|(p, n)| format!("{} {n}", display::line(p))).collect();
            format!(": {}", paths.join(", "))
        }
    );
    if c.units_not_required > 0 {
        let _ = writeln!(
            out,
            "AI units the policy at BASE asks no sign-off for: {} (exempt paths, min_ai_lines, triage)",
            c.units_not_required
        );
    }
    if c.ai_deletions > 0 {
        let _ = writeln!(
            out,
            "AI deletions: {} place(s) where a commit with AI evidence removed lines (no AI line is left there; the \
             unit around each needs sign-off)",
            c.ai_deletions
        );
    }
    if !c.ai_deleted_files.is_empty() {
        let paths: Vec<String> = c.ai_deleted_files.iter().map(|p| display::line(p).into_owned()).collect();
        let _ = writeln!(
            out,
            "files deleted by AI: {} (each needs its deletion signed off: vouch approve --file PATH)",
            paths.join(", ")
        );
    }
    if !c.ai_mode_changes.is_empty() {
        let paths: Vec<String> = c.ai_mode_changes.iter().map(|p| display::line(p).into_owned()).collect();
        let _ = writeln!(
            out,
            "files whose mode changed by AI (executable bit): {} (each needs the change signed off: vouch approve \
             --file PATH)",
            paths.join(", ")
        );
    }
    let automated = report.approved.iter().filter(|a| !a.automated.is_empty()).count();
    let _ = writeln!(
        out,
        "{}: {} unit(s) approved{}, {} failure(s), {} overridden",
        if report.passed() { "PASS" } else { "FAIL" },
        report.approved.len(),
        if automated > 0 { format!(" ({automated} by an automated reviewer)") } else { String::new() },
        report.failures.len(),
        report.overridden.len()
    );
    out
}

/// The report as SARIF 2.1.0: one result per failure (and a note-level
/// result per overridden failure, so an override is never silent).
pub fn to_sarif(report: &Report) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<serde_json::Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.short(),
                "shortDescription": { "text": r.description() },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let index_of = |rule: Rule| Rule::ALL.iter().position(|r| *r == rule).unwrap_or(0);
    let result = |failure: &Failure, level: &str, suffix: &str| {
        // Message text is shown in a UI: each value made visible; the only
        // line breaks are the ones that start each detail.
        let mut text = format!("{} — {}{suffix}", display::line(&failure.place()), display::line(&failure.reason));
        for detail in &failure.details {
            text.push_str("\n- ");
            text.push_str(&display::line(detail));
        }
        // Code scanning needs a location; a commit-level failure points at
        // the policy that asks for it. A location is a URI reference, so
        // the path's bytes are percent-encoded.
        let (uri, start, end) = match &failure.path {
            Some(path) => (uri_path(path), failure.line.unwrap_or(1), failure.end_line.or(failure.line).unwrap_or(1)),
            None => (POLICY_FILE.to_string(), 1, 1),
        };
        let mut value = json!({
            "ruleId": failure.rule.id(),
            "ruleIndex": index_of(failure.rule),
            "level": level,
            "message": { "text": text },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": { "startLine": start, "endLine": end.max(start) },
                }
            }],
            "properties": { "commits": failure.commits },
        });
        if let Some(fp) = &failure.fingerprint {
            value["partialFingerprints"] = json!({ "vouchUnit/v1": fp });
        }
        value
    };
    let mut results: Vec<serde_json::Value> = report.failures.iter().map(|f| result(f, "error", "")).collect();
    for o in &report.overridden {
        let suffix = format!(" (overridden by {})", display::line(short(&o.by_override)));
        results.push(result(&o.failure, "note", &suffix));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "vouch",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
            "properties": {
                "base": report.base_commit,
                "head": report.head_commit,
                "policy": report.policy,
                "overrides": report.overrides,
                "coverage": report.coverage,
            },
        }]
    })
}

/// A repository path as a relative URI reference (RFC 3986): every byte
/// but the unreserved ones, `/` and the sub-delimiters that paths allow,
/// percent-encoded.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Coverage, Failure, Report, Rule};

    fn failure() -> Failure {
        Failure {
            path: Some("src/a.rs".into()),
            line: Some(3),
            end_line: Some(9),
            kind: Some("function".into()),
            name: Some("parse".into()),
            fingerprint: Some("ab".repeat(32)),
            details: vec!["approval by eve@x does not count: eve@x is not a reviewer".into()],
            commits: vec!["c".repeat(40)],
            ..Failure::new(Rule::UnapprovedAi, "AI-written code needs 1 approval(s)".into())
        }
    }

    fn report(failures: Vec<Failure>) -> Report {
        Report {
            base: "main".into(),
            head: "HEAD".into(),
            base_commit: "b".repeat(40),
            head_commit: "h".repeat(40),
            repository: "r".repeat(40),
            policy: "main:.vouch.toml".into(),
            require_signatures: true,
            require_attestation: false,
            require_signed_commits: false,
            allow_override: false,
            failures,
            overridden: Vec::new(),
            approved: Vec::new(),
            overrides: Vec::new(),
            coverage: Coverage { commits: 2, with_note: 1, ..Coverage::default() },
            warnings: Vec::new(),
        }
    }

    #[test]
    fn text_lists_each_failure_with_its_place_and_reason() {
        let mut commit_level =
            Failure::new(Rule::MissingAttestation, "commit cccccccccc (wip) carries no vouch note".into());
        commit_level.commits.push("c".repeat(40));
        let mut report = report(vec![failure(), commit_level]);
        // AI units the policy spares are said, so an exemption is seen.
        report.coverage.units_not_required = 2;
        let text = render_text(&report);
        expect_test::expect![[r#"
            vouch verify main..HEAD (2 commit(s)); policy main:.vouch.toml
            src/a.rs:3 function parse unapproved-ai — AI-written code needs 1 approval(s)
                approval by eve@x does not count: eve@x is not a reviewer
            commit cccccccccc missing-attestation — commit cccccccccc (wip) carries no vouch note
            coverage: 2 commit(s) (0 merge(s)), 1 with a vouch note, 0 without
            provenance: 0 with a git-ai note, 0 declaring AI (trailer, aider or bot author), 0 with none at all
            lines from the range: 0 AI, 0 attested not AI, 0 of unknown origin (unattested, not necessarily human)
            AI units the policy at BASE asks no sign-off for: 2 (exempt paths, min_ai_lines, triage)
            FAIL: 0 unit(s) approved, 2 failure(s), 0 overridden
        "#]]
        .assert_eq(&text);
    }

    #[test]
    fn a_range_without_a_single_note_hints_they_were_not_shared() {
        let mut report = report(Vec::new());
        report.coverage =
            Coverage { commits: 2, without_note: vec!["c".repeat(40), "d".repeat(40)], ..Coverage::default() };
        let text = render_text(&report);
        assert!(text.contains("hint: no commit of the range carries a vouch note"), "{text}");
        report.coverage.with_note = 1;
        report.coverage.without_note.pop();
        assert!(!render_text(&report).contains("hint:"));
    }

    #[test]
    fn paths_are_uri_references() {
        assert_eq!(uri_path("src/a.rs"), "src/a.rs");
        assert_eq!(uri_path("src/my file#1?.rs"), "src/my%20file%231%3F.rs");
        assert_eq!(uri_path("a\nb%\u{202e}"), "a%0Ab%25%E2%80%AE");
    }

    #[test]
    fn sarif_has_one_result_per_failure_with_a_location() {
        let mut commit_level = Failure::new(Rule::MissingAttestation, "no note".into());
        commit_level.commits.push("c".repeat(40));
        let sarif = to_sarif(&report(vec![failure(), commit_level]));
        assert_eq!(sarif["version"], "2.1.0");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["ruleId"], "vouch/unapproved-ai");
        assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "src/a.rs");
        assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
        assert_eq!(results[1]["ruleId"], "vouch/missing-attestation");
        assert_eq!(results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], ".vouch.toml");
        let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let index = results[1]["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], "vouch/missing-attestation");
    }
}

#[cfg(test)]
mod format_tests;

/// Who approved `a`, an automated reviewer named as one.
pub(super) fn approvers(a: &Approved) -> String {
    let named: Vec<String> =
        a.by.iter()
            .map(|b| {
                if a.automated.iter().any(|x| x.eq_ignore_ascii_case(b)) {
                    format!("{b} (automated)")
                } else {
                    b.clone()
                }
            })
            .collect();
    named.join(", ")
}
