//! What `vouch stats`, `vouch report`, `vouch verify` and `vouch log`
//! print over a range of the benchmark's generated history (small size:
//! deterministic commits, notes, trailers, requests and approvals), pinned
//! byte for byte: the work to make them faster (issue 15) must not change
//! a number. The clock is fixed with `SOURCE_DATE_EPOCH`.
//!
//! To re-pin after an intended change: `UPDATE_EXPECT=1 cargo test --test
//! range_views_pinned`, and say in the commit why the numbers moved.

#[allow(dead_code)]
#[path = "../benches/support/history_repo.rs"]
mod history_repo;

use std::path::Path;
use std::process::Command;

fn vouch(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    history_repo::isolate(&mut cmd, dir);
    let out = cmd.args(args).env("NO_COLOR", "1").env("SOURCE_DATE_EPOCH", NOW).output().expect("vouch runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "vouch {args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The time the numbers are as of: 2026-01-02T03:04:05Z.
const NOW: &str = "1767323045";

fn pretty(out: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(out).expect("JSON");
    serde_json::to_string_pretty(&value).unwrap() + "\n"
}

#[test]
fn stats_report_verify_and_log_over_a_generated_history_print_what_they_printed() {
    let dir = tempfile::tempdir().unwrap();
    let m = history_repo::build_history(&history_repo::Shape::small(), dir.path());
    let repo = dir.path().join("repo");
    let range = format!("{}..{}", m.base, m.head);

    let stats = vouch(&repo, &["stats", &range, "--format", "json"]);
    expect_test::expect_file!["pinned/stats.json"].assert_eq(&pretty(&stats));
    let verify = vouch(&repo, &["verify", &range, "--format", "json"]);
    expect_test::expect_file!["pinned/verify.json"].assert_eq(&pretty(&verify));
    let log = vouch(&repo, &["log", &range, "--format", "json"]);
    expect_test::expect_file!["pinned/log.json"].assert_eq(&pretty(&log));

    let html = vouch(&repo, &["report", &range, "-o", "-"]);
    expect_test::expect_file!["pinned/report.html"].assert_eq(&html);
    let text = vouch(&repo, &["stats", &range]);
    expect_test::expect_file!["pinned/stats.txt"].assert_eq(&text);
}
