//! The report as a GitLab Code Quality report (`--format gitlab`): the
//! CodeClimate-style JSON array GitLab reads from a job's
//! `artifacts:reports:codequality`, one issue per failure (an overridden
//! failure as `info`), each on the unit's lines. GitLab shows the
//! description as text; it is shown through [`display::line`] all the same,
//! so hidden characters are visible wherever it is read.

use serde_json::json;

use super::*;

/// The issue's severity: a reject blocks, a risky unit is critical, every
/// other failure major; an overridden one is information.
fn severity(failure: &Failure) -> &'static str {
    match failure.rule {
        Rule::Rejected => "blocker",
        _ if failure.signoff.as_ref().is_some_and(|s| s.risky) => "critical",
        Rule::PolicyChange | Rule::UnsignedCommit => "critical",
        _ => "major",
    }
}

/// The report as a Code Quality report.
pub fn to_gitlab(report: &Report) -> serde_json::Value {
    let issue = |failure: &Failure, severity: &str, suffix: &str| {
        let mut description =
            format!("{} — {}{suffix}", display::line(&failure.place()), display::line(&failure.reason));
        if let Some(command) = approve_command(report, failure) {
            description.push_str(&format!(" (to approve: {command})"));
        }
        let (path, begin, end) = match &failure.path {
            Some(path) => {
                let begin = failure.line.unwrap_or(1);
                (display::line(path).into_owned(), begin, failure.end_line.unwrap_or(begin).max(begin))
            }
            None => (POLICY_FILE.to_string(), 1, 1),
        };
        // Stable across runs for the same problem with the same code, so
        // GitLab can tell new issues from fixed ones.
        let what = failure.fingerprint.clone().unwrap_or_else(|| failure.commits.join(","));
        let fingerprint =
            crate::fingerprint::sha256_hex(format!("{}\0{path}\0{what}\0{severity}", failure.rule.id()).as_bytes());
        json!({
            "type": "issue",
            "check_name": failure.rule.id(),
            "description": description,
            "categories": ["Security"],
            "severity": severity,
            "fingerprint": fingerprint,
            "location": { "path": path, "lines": { "begin": begin, "end": end } },
        })
    };
    let mut issues: Vec<serde_json::Value> = report.failures.iter().map(|f| issue(f, severity(f), "")).collect();
    for o in &report.overridden {
        let suffix = format!(" (overridden by {})", display::line(short(&o.by_override)));
        issues.push(issue(&o.failure, "info", &suffix));
    }
    serde_json::Value::Array(issues)
}
