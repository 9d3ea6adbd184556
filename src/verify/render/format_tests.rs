//! Golden files for the pull request formats (`github`, `markdown`,
//! `gitlab`), over one report that has every kind of entry, and the proof
//! that text an author wrote cannot inject a workflow command, Markdown or
//! HTML. `UPDATE_EXPECT=1 cargo test --lib verify::render` rewrites them.

use super::*;
use crate::verify::{Approved, Coverage, Failure, Overridden, OverrideReport, Report, Rule, Signoff};

fn unit(path: &str, line: u32, name: &str, signoff: Signoff) -> Failure {
    Failure {
        path: Some(path.into()),
        line: Some(line),
        end_line: Some(line + 6),
        kind: Some("function".into()),
        name: Some(name.into()),
        fingerprint: Some("ab".repeat(32)),
        commits: vec!["c".repeat(40)],
        participants: vec!["dev@example.com".into()],
        signoff: Some(signoff),
        ..Failure::new(
            Rule::UnapprovedAi,
            format!("AI-written code needs {} approval(s) from alice@example.com, has 0", signoff_need()),
        )
    }
}

fn signoff_need() -> u32 {
    1
}

fn sample() -> Report {
    let risky = Signoff {
        need: 1,
        have: 0,
        reviewers: "alice@example.com".into(),
        risk: vec!["sql".into(), "exec".into()],
        path_risk: "high".into(),
        risky: true,
        rationale: Some("build the query from the form fields".into()),
        rationale_from: None,
        requests: vec!["1234567890abcdef".repeat(4)],
        trust_file: false,
        deleted_file: false,
        mode_change: false,
    };
    let plain = Signoff {
        risk: Vec::new(),
        path_risk: "low".into(),
        risky: false,
        rationale: None,
        rationale_from: None,
        requests: Vec::new(),
        ..risky.clone()
    };
    let mut trust = Failure {
        path: Some(".vouch.toml".into()),
        line: Some(1),
        end_line: Some(12),
        kind: Some("lines".into()),
        fingerprint: Some("cd".repeat(32)),
        commits: vec!["c".repeat(40)],
        signoff: Some(Signoff { trust_file: true, ..plain.clone() }),
        ..Failure::new(Rule::PolicyChange, ".vouch.toml is changed in the range and is a trust file".into())
    };
    trust.details.push("approval by dev@example.com does not count: dev@example.com authors the commit".into());
    let rejected = Failure {
        rule: Rule::Rejected,
        reason: "AI-written code rejected by alice@example.com: use a prepared statement".into(),
        ..unit("src/db.rs", 40, "lookup", plain.clone())
    };
    let mut attestation =
        Failure::new(Rule::MissingAttestation, "commit cccccccccc (wip) carries no vouch note".into());
    attestation.commits.push("c".repeat(40));
    let overridden =
        Overridden { failure: unit("src/old.rs", 2, "legacy", plain.clone()), by_override: "ef".repeat(32) };
    Report {
        base: "origin/main".into(),
        head: "HEAD".into(),
        base_commit: "b".repeat(40),
        head_commit: "h".repeat(40),
        repository: "r".repeat(40),
        policy: "origin/main:.vouch.toml".into(),
        require_signatures: true,
        require_attestation: true,
        require_signed_commits: false,
        allow_override: true,
        failures: vec![
            unit("src/ui.rs", 10, "render", plain),
            unit("src/pay.rs", 3, "charge", risky),
            trust,
            rejected,
            attestation,
        ],
        overridden: vec![overridden],
        approved: vec![Approved {
            path: "src/ok.rs".into(),
            line: 1,
            kind: "function".into(),
            name: Some("fine".into()),
            fingerprint: "99".repeat(32),
            by: vec!["alice@example.com".into()],
            automated: Vec::new(),
            not_counted: Vec::new(),
        }],
        overrides: vec![OverrideReport {
            id: "ef".repeat(32),
            by: "lead@example.com".into(),
            created: "2026-12-01T10:00:00.000Z".into(),
            reason: "incident 42".into(),
            counted: true,
            not_counted_because: None,
            covers: vec!["c".repeat(40)],
            fingerprints: Vec::new(),
        }],
        coverage: Coverage {
            commits: 3,
            with_note: 2,
            without_note: vec!["c".repeat(40)],
            ai_lines: 40,
            attested_lines: 10,
            unknown_lines: 2,
            units_not_required: 1,
            ..Coverage::default()
        },
        warnings: vec!["the policy at BASE requires signed approvals but not signed commits".into()],
    }
}

#[test]
fn github_annotations() {
    expect_test::expect_file!["golden/github.txt"].assert_eq(&render_github(&sample()));
}

#[test]
fn markdown_summary() {
    expect_test::expect_file!["golden/markdown.md"].assert_eq(&render_markdown(&sample()));
}

#[test]
fn gitlab_code_quality() {
    let text = serde_json::to_string_pretty(&to_gitlab(&sample())).unwrap();
    expect_test::expect_file!["golden/gitlab.json"].assert_eq(&format!("{text}\n"));
}

#[test]
fn sarif_report() {
    let text = serde_json::to_string_pretty(&to_sarif(&sample())).unwrap();
    expect_test::expect_file!["golden/sarif.json"].assert_eq(&format!("{text}\n"));
}

/// A report whose every author-written value tries to inject.
fn hostile() -> Report {
    let evil = "x\n::error file=src/ok.rs,line=1::forged\r\n::add-mask::secret%0A::stop-commands::tok";
    let html = "<img src=x onerror=alert(1)> [click](javascript:alert(1)) ![i](http://t/x.png) **bold** \
                @org/team `code` | cell | &#x202E; $x^2$ <script>alert(1)</script>\n## heading";
    let mut report = sample();
    for failure in &mut report.failures {
        failure.path = failure.path.as_ref().map(|p| format!("{p}{evil}"));
        failure.name = Some(format!("{html}{evil}"));
        failure.reason = format!("{evil}{html}");
        failure.details.push(html.to_string());
        failure.participants.push(format!("{html}@x"));
        if let Some(s) = &mut failure.signoff {
            s.rationale = Some(format!("{html}\n{evil}"));
            s.reviewers = html.to_string();
            s.risk.push(html.to_string());
            s.requests = vec![format!("{html}{evil}")];
        }
    }
    report.warnings.push(format!("{evil}{html}"));
    report.overrides[0].reason = format!("{html}{evil}");
    report.overrides[0].by = html.to_string();
    report
}

#[test]
fn github_commands_cannot_be_injected() {
    let text = render_github(&hostile());
    for line in text.lines() {
        let ours = ["::error ", "::notice ", "::warning title=vouch::", "vouch verify "];
        assert!(ours.iter().any(|p| line.starts_with(p)), "a line vouch did not write: {line:?}");
        if let Some(rest) = line.strip_prefix("::error ").or_else(|| line.strip_prefix("::notice ")) {
            // The properties end at the first `::`; each is key=value with
            // no `:` or `,` of its own.
            let (properties, _message) = rest.split_once("::").expect("a message");
            for property in properties.split(',') {
                let (key, value) = property.split_once('=').expect("key=value");
                assert!(["file", "line", "endLine", "title"].contains(&key), "{key} in {line:?}");
                assert!(!value.contains(':'), "{value:?} in {line:?}");
            }
        }
    }
    assert_eq!(text.lines().filter(|l| l.starts_with("::error ")).count(), 5);
    assert!(!text.contains('\r'));
}

#[test]
fn markdown_renders_author_text_as_text() {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let text = render_markdown(&hostile());
    let mut headings = 0;
    let mut strong = 0;
    for event in Parser::new_ext(&text, Options::ENABLE_TABLES | Options::ENABLE_MATH) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => {
                // The only HTML is vouch's own line break in a table cell.
                assert_eq!(h.as_ref(), "<br>", "HTML from the report: {h:?}");
            }
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
                panic!("a link or image rendered from author text: {dest_url}")
            }
            Event::InlineMath(m) | Event::DisplayMath(m) => panic!("math rendered from author text: {m}"),
            Event::Start(Tag::Heading { .. }) => headings += 1,
            Event::Start(Tag::Strong) => strong += 1,
            Event::Start(Tag::Emphasis) => {}
            _ => {}
        }
    }
    let clean = render_markdown(&sample());
    let count = |t: &str, tag: fn(&Tag) -> bool| {
        Parser::new_ext(t, Options::ENABLE_TABLES).filter(|e| matches!(e, Event::Start(x) if tag(x))).count()
    };
    assert_eq!(headings, count(&clean, |t| matches!(t, Tag::Heading { .. })), "no heading from author text");
    assert_eq!(strong, count(&clean, |t| matches!(t, Tag::Strong)), "no bold from author text");
    // Every line of a command block is a command vouch wrote.
    let mut in_block = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            assert!(line.starts_with("vouch ") || line.starts_with("git checkout --detach "), "{line:?}");
        }
    }
    assert!(!in_block);
    // GitHub's runner reads workflow commands in a step's log, not in the
    // summary file, but nothing there starts a line with one either.
    assert!(text.lines().all(|l| !l.starts_with("::")));
    assert!(!text.contains('\r'));
}

#[test]
fn gitlab_and_sarif_show_author_text_visibly() {
    let report = hostile();
    let gitlab = to_gitlab(&report);
    let sarif = to_sarif(&report);
    let mut shown: Vec<String> = Vec::new();
    for issue in gitlab.as_array().unwrap() {
        shown.push(issue["description"].as_str().unwrap().to_string());
        shown.push(issue["location"]["path"].as_str().unwrap().to_string());
    }
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        shown.push(result["message"]["text"].as_str().unwrap().to_string());
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.bytes().all(|b| b.is_ascii_graphic()), "{uri}");
    }
    assert_eq!(shown.len(), 2 * 6 + 6);
    for text in &shown {
        // No CR or bidi control; a line break only where vouch starts a
        // detail (SARIF's "\n- ").
        assert!(!text.contains('\r') && !text.contains('\u{202e}'), "{text:?}");
        for line in text.lines().skip(1) {
            assert!(line.starts_with("- "), "{text:?}");
        }
    }
    assert!(shown.iter().any(|t| t.contains("‹LF›::error")));
}
