//! An AI that replaces a person's lines removes them as surely as one that
//! deletes them. Red team (rt26a A1, A2, A5): a removal was dropped
//! whenever a line an AI put in its place was AI, on the idea that those
//! lines made the unit around the place AI already. They do not when they
//! are whitespace only (no unit holds them), when they form a unit of
//! their own (a nested helper a reviewer approved elsewhere, bytes for
//! bytes), or when they are fewer than the lines removed (`min_ai_lines`).
//! In each case verify passed an AI change that took out a permission
//! check. From the attacker's side, with the real binary and real git.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
    pub mod world;
}

use support::vouch_repo::VouchRepo;
use support::world::*;

const POLICY: &str = "reviewers = [\"alice@example.com\"]\n";

const DOCS: &str = "def delete_doc(user, doc):\n    if not user.is_admin:\n        raise PermissionError(\"admin only\")\n    doc.delete()\n";

/// The failures of `report` as `(path, unit name)`.
fn failing_units(report: &serde_json::Value) -> Vec<(String, Option<String>)> {
    failures(report).iter().map(|f| (str_of(&f["path"]).to_string(), f["name"].as_str().map(str::to_string))).collect()
}

#[test]
fn whitespace_lines_put_in_the_place_of_a_check_do_not_hide_its_removal() {
    let (world, dev) = World::with_feature(POLICY, &[("src/docs.py", DOCS)]);
    dev.write(
        "src/docs.py",
        &DOCS.replace("    if not user.is_admin:\n        raise PermissionError(\"admin only\")\n", "    \n\n"),
    );
    dev.commit("tidy", Some(TRAILER));
    let (code, report) = dev.verify("origin/main..HEAD");
    assert_eq!(code, 1, "an AI replaced the admin check with blank lines and verify passed: {report:#}");
    assert_eq!(failing_units(&report), [("src/docs.py".to_string(), Some("delete_doc".to_string()))], "{report:#}");
    // A reviewer's approval of the handler as it is now clears it.
    world.decide(&dev, str_of(&failures(&report)[0]["fingerprint"]), Decision::by("alice"));
    assert_eq!(dev.verify("origin/main..HEAD").0, 0);
}

/// Version A adds a helper with a nested `log`, which alice approves. In
/// version B the same nested `log` stands where the person's check was:
/// her approval of those bytes must not approve the check's removal.
#[test]
fn an_approved_unit_put_in_the_place_of_a_check_does_not_approve_its_removal() {
    let docs = "def delete_doc(user, doc):\n    check_permission(user, \"delete\")\n    doc.delete()\n";
    let archive = "\n\ndef archive_doc(user, doc):\n    def log(msg):\n        audit.write(msg)\n    log(\"archive\")\n    doc.archive()\n";
    let (world, dev) = World::with_feature(POLICY, &[("src/docs.py", docs)]);
    dev.write("src/docs.py", &format!("{docs}{archive}"));
    dev.commit("archive", Some(TRAILER));
    let (code, report) = dev.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(world.all_decided_by(&dev, &report, "alice").0, 0, "version A approved");
    let nested =
        docs.replace("    check_permission(user, \"delete\")\n", "    def log(msg):\n        audit.write(msg)\n");
    dev.write("src/docs.py", &format!("{nested}{archive}"));
    dev.commit("log deletions", Some(TRAILER));
    let (code, report) = dev.verify("origin/main..HEAD");
    assert_eq!(code, 1, "alice's approval of a helper approved the removal of a check: {report:#}");
    assert!(
        failing_units(&report).contains(&("src/docs.py".to_string(), Some("delete_doc".to_string()))),
        "{report:#}"
    );
}

/// With `min_ai_lines = 3`, three lines of a check replaced by one AI line
/// are three lines an AI removed, as they are when nothing replaces them.
#[test]
fn lines_replaced_count_toward_the_threshold_as_lines_removed() {
    let policy = format!("{POLICY}\n[detection]\nmin_ai_lines = 3\n");
    let (_world, dev) = World::with_feature(&policy, &[("src/docs.py", DOCS)]);
    dev.write(
        "src/docs.py",
        &DOCS.replace(
            "    if not user.is_admin:\n        raise PermissionError(\"admin only\")\n",
            "    log.info(\"deleting\")\n",
        ),
    );
    dev.commit("log it", Some(TRAILER));
    let (code, report) = dev.verify("origin/main..HEAD");
    assert_eq!(code, 1, "two lines of a check replaced by one AI line passed under the threshold: {report:#}");
}

/// The same through the agent's hooks, at the pre-commit gate: the hook
/// records the removal, and blank lines in its place (or a person's line
/// typed among them) do not take it back.
#[test]
fn the_gate_refuses_a_check_an_agent_replaced_with_blank_lines() {
    for persons_line in [None, Some("    # tidied\n")] {
        let repo = VouchRepo::init_with(&[(".vouch.toml", POLICY), ("src/docs.py", DOCS)], &[]);
        let path = repo.root().join("src/docs.py");
        let after =
            DOCS.replace("    if not user.is_admin:\n        raise PermissionError(\"admin only\")\n", "    \n\n");
        let input = serde_json::json!({ "file_path": path, "content": after });
        repo.claude_hook("PreToolUse", "Write", "toolu_1", input.clone());
        repo.write("src/docs.py", &after);
        repo.claude_hook("PostToolUse", "Write", "toolu_1", input);
        if let Some(line) = persons_line {
            repo.write("src/docs.py", &after.replacen("    \n", line, 1));
        }
        repo.ok(&["add", "-A"]);
        let run = repo.vouch(&["check", "--staged"]);
        assert_eq!(run.code, 1, "{persons_line:?}: {run:?}");
        assert!(run.stdout.contains("delete_doc"), "{persons_line:?}: {run:?}");
    }
}

/// The person's app with its login check on main, and on the feature
/// branch an AI's `healthz` (after the check, `healthz` as given) that
/// alice approved: the world and the clone.
fn approved_healthz_below_the_check(healthz: &str) -> (World, Clone) {
    let (world, dev) = World::with_feature(POLICY, &[("src/app.py", APP)]);
    dev.write("src/app.py", &format!("{APP}{healthz}"));
    dev.commit("healthz", Some(TRAILER));
    let (_, report) = dev.verify("origin/main..HEAD");
    assert_eq!(world.all_decided_by(&dev, &report, "alice").0, 0, "healthz approved");
    (world, dev)
}

const APP: &str = "app = Flask(__name__)\napp.before_request(require_login)\n";

/// Red team, round two (rt26d R1, a regression of this change): a removal
/// with nothing put in its place, right above AI text an earlier commit
/// of the branch wrote and a reviewer approved, was taken for that text
/// "put in its place", and judged as it: an AI's removal of a person's
/// top-level check passed on the approval of the function below it.
#[test]
fn a_check_removed_above_an_approved_ai_function_needs_sign_off() {
    let healthz = "\n\ndef healthz():\n    return \"ok\"\n";
    let (_world, dev) = approved_healthz_below_the_check(healthz);
    dev.write("src/app.py", &format!("app = Flask(__name__)\n{healthz}"));
    dev.commit("simplify", Some(TRAILER));
    let (code, report) = dev.verify("origin/main..HEAD");
    assert_eq!(code, 1, "the removal of the login check passed on healthz's approval: {report:#}");
}

/// Round two (rt26d B1): in a file with no grammar, a line an AI rewrote
/// is one unit of lines, not that and the whole file besides.
#[test]
fn a_line_rewritten_in_a_file_with_no_grammar_is_one_unit() {
    let doc = "# Deploying\n\nRun make deploy.\nAsk ops first.\n";
    let (_world, dev) = World::with_feature(POLICY, &[("docs/deploy.md", doc)]);
    dev.write("docs/deploy.md", &doc.replace("Ask ops first.", "No need to ask anyone."));
    dev.commit("docs", Some(TRAILER));
    let (code, report) = dev.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let kinds: Vec<&str> = failures(&report).iter().map(|f| str_of(&f["kind"])).collect();
    assert_eq!(kinds, ["lines"], "{report:#}");
}

/// Round three (rt26e S1): a check replaced by one AI line, and that line
/// dropped by a later commit. The count of lines put in the place was
/// carried on unchanged, and came to cover the first line of an approved
/// AI function: the removal went into its approved unit. What was put in
/// the place is followed only while those very lines stay.
#[test]
fn a_replacement_dropped_later_leaves_the_removal_to_be_judged() {
    let healthz = "def healthz():\n    return \"ok\"\n";
    for later in [Some(TRAILER), None] {
        let (_world, dev) = approved_healthz_below_the_check(healthz);
        dev.write("src/app.py", &format!("app = Flask(__name__)\nlog.info(\"ready\")\n{healthz}"));
        dev.commit("log", Some(TRAILER));
        dev.write("src/app.py", &format!("app = Flask(__name__)\n{healthz}"));
        dev.commit("quieter", later);
        let (code, report) = dev.verify("origin/main..HEAD");
        assert_eq!(code, 1, "{later:?}: the login check's removal passed on healthz's approval: {report:#}");
    }
}

/// Round three (rt26e B2): an AI rewrote a person's top-level line (a
/// function's signature), then a person added a line right above it: the
/// removal's place followed the gap onto the person's line, and the whole
/// file was asked for besides the function.
#[test]
fn a_line_a_person_adds_above_a_rewritten_line_does_not_ask_for_the_whole_file() {
    let lib = "def total(items):\n    return sum(items)\n";
    let (_world, dev) = World::with_feature(POLICY, &[("src/cart.py", lib)]);
    let rewritten = lib.replace("def total(items):", "def total(items, coupon=None):");
    dev.write("src/cart.py", &rewritten);
    dev.commit("coupons", Some(TRAILER));
    dev.write("src/cart.py", &format!("# Totals.\n{rewritten}"));
    dev.commit("a comment", None);
    let (code, report) = dev.verify("origin/main..HEAD");
    assert_eq!(code, 1);
    let kinds: Vec<&str> = failures(&report).iter().map(|f| str_of(&f["kind"])).collect();
    assert_eq!(kinds, ["function"], "{report:#}");
    // Round four (rt26f B3): the rewritten line edited again (by the AI or
    // a person): the removal's place goes with what stands there now.
    for by in [Some(TRAILER), None] {
        let again = rewritten.replace("coupon=None", "coupon=None, tax=0");
        dev.write("src/cart.py", &format!("# Totals.\n{again}"));
        dev.commit("tax", by);
        let (_, report) = dev.verify("origin/main..HEAD");
        let kinds: Vec<&str> = failures(&report).iter().map(|f| str_of(&f["kind"])).collect();
        assert_eq!(kinds, ["function"], "{by:?}: {report:#}");
        dev.write("src/cart.py", &format!("# Totals.\n{rewritten}"));
        dev.commit("no tax", by);
    }
}

/// Round four (rt26f S3): a person's top-level guard replaced by a copy
/// of an approved AI statement that also stays where it was: the copy, a
/// unit made only of the new lines, took the removal, and its bytes were
/// approved, so one commit passed. A unit with a twin in the file does not
/// take a removal: the whole file does.
#[test]
fn a_copy_of_an_approved_statement_put_in_the_place_of_a_guard_does_not_approve_its_removal() {
    // A statement of a grammar, and a line of a file with none.
    let cases = [
        (
            "src/server.js",
            "const app = express();\napp.use(requireAuth);\n\napp.get(\"/\", home);\n",
            "app.use(requireAuth);\n",
            "app.use(compression());\n",
        ),
        (
            "deploy.sh",
            "#!/bin/sh\nset -e\ncheck_signature \"$ARTIFACT\" || exit 1\n\nupload \"$ARTIFACT\"\n",
            "check_signature \"$ARTIFACT\" || exit 1\n",
            "echo \"uploading $ARTIFACT\"\n",
        ),
    ];
    for (path, base, guard, approved) in cases {
        let (world, dev) = World::with_feature(POLICY, &[(path, base)]);
        let last = base.rfind('\n').and_then(|end| base[..end].rfind('\n')).map_or(0, |i| i + 1);
        let with_approved = format!("{}{approved}{}", &base[..last], &base[last..]);
        dev.write(path, &with_approved);
        dev.commit("approved line", Some(TRAILER));
        let (_, report) = dev.verify("origin/main..HEAD");
        assert_eq!(world.all_decided_by(&dev, &report, "alice").0, 0, "{path}: approved");
        dev.write(path, &with_approved.replacen(guard, approved, 1));
        dev.commit("faster", Some(TRAILER));
        let (code, report) = dev.verify("origin/main..HEAD");
        assert_eq!(code, 1, "{path}: the guard's removal passed on the approval of its replacement's twin: {report:#}");
    }
}
