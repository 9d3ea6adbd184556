//! `vouch doctor` shows what each `exempt` pattern takes out of review: how
//! many files of HEAD it matches, a few of them, and, for a pattern that
//! matches at any depth without saying so (`vendor/`), every place it
//! matches when there is more than one (`src/payments/vendor/charge.py` is
//! exempt too). Real binary, real git.

mod support {
    pub mod repo;
}

use std::process::Command;

use serde_json::Value;
use support::repo::TestRepo;

fn doctor(repo: &TestRepo, json: bool) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    cmd.arg("doctor").current_dir(&repo.root).env("NO_COLOR", "1").env("GIT_CONFIG_GLOBAL", "/dev/null");
    if json {
        cmd.args(["--format", "json"]);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn exempt_checks(repo: &TestRepo) -> Vec<Value> {
    let (_, out) = doctor(repo, true);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}"));
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"].as_str().unwrap().starts_with("exempt"))
        .cloned()
        .collect()
}

fn repo(exempt: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", &format!("exempt = {exempt}\n"));
    for path in [
        "vendor/left_pad.py",
        "vendor/requests/api.py",
        "src/payments/vendor/charge.py",
        "src/app.py",
        "generated/schema.py",
        "src/generated/model.py",
        "Cargo.lock",
        "web/package-lock.json",
    ] {
        repo.write(path, "x = 1\n");
    }
    repo.commit_all("init");
    repo
}

#[test]
fn an_unanchored_pattern_that_matches_at_two_depths_is_flagged() {
    let repo = repo(r#"["vendor/", "/generated/", "*.lock", "**/nothing/"]"#);
    let checks = exempt_checks(&repo);
    let check = |pattern: &str| {
        checks
            .iter()
            .find(|c| c["check"] == format!("exempt {pattern}"))
            .unwrap_or_else(|| panic!("no check for {pattern}: {checks:?}"))
            .clone()
    };
    let vendor = check("vendor/");
    assert_eq!(vendor["ok"], false, "{vendor}");
    let detail = vendor["detail"].as_str().unwrap();
    assert!(detail.contains("3 file(s)"), "{detail}");
    assert!(detail.contains("vendor/ (2 file(s)") && detail.contains("src/payments/vendor/ (1 file(s)"), "{detail}");
    assert!(detail.contains("src/payments/vendor/charge.py"), "an example from each place: {detail}");
    assert!(vendor["fix"].as_str().unwrap().contains("/vendor/"), "{vendor}");

    // Anchored, or matching at one depth only, or explicitly at any depth.
    let generated = check("/generated/");
    assert_eq!(generated["ok"], true, "{generated}");
    assert!(generated["detail"].as_str().unwrap().contains("1 file(s)"), "{generated}");
    let lock = check("*.lock");
    assert_eq!(lock["ok"], true, "{lock}");
    assert!(lock["detail"].as_str().unwrap().contains("Cargo.lock"), "{lock}");
    let nothing = check("**/nothing/");
    assert_eq!(nothing["ok"], true, "{nothing}");
    assert!(nothing["detail"].as_str().unwrap().contains("matches no file"), "{nothing}");

    // The text report says it too, and doctor exits 1 for the surprise.
    let (code, text) = doctor(&repo, false);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL  exempt vendor/: "), "{text}");
}

#[test]
fn the_anchored_patterns_the_docs_show_are_clean() {
    let repo = repo(r#"["/vendor/", "**/generated/**", "*.lock"]"#);
    let checks = exempt_checks(&repo);
    assert_eq!(checks.len(), 3, "{checks:?}");
    for check in &checks {
        assert_eq!(check["ok"], true, "{check}");
    }
    let vendor = checks.iter().find(|c| c["check"] == "exempt /vendor/").unwrap();
    assert!(vendor["detail"].as_str().unwrap().starts_with("2 file(s) in HEAD"), "{vendor}");
}
