//! What `vouch verify` reads of the range's history, played from CI's side
//! and the author's: a shallow clone (what `actions/checkout` makes unless
//! told `fetch-depth: 0`) whose boundary cuts the range, and AI tools that
//! commit under their own name. Real binary, real git.

mod support {
    pub mod run;
    pub mod world;
}

use support::world::*;

const POLICY: &str = "reviewers = [\"alice@example.com\", \"bob@example.com\"]\n";

/// A clone of the remote with `git clone --depth 1 --no-single-branch`.
fn shallow_clone(world: &World, dir: &str) -> Clone {
    let url = format!("file://{}", world.remote().display());
    run_git(&world.root, &world.home(), &["clone", "-q", "--depth", "1", "--no-single-branch", &url, dir]);
    Clone { path: world.root.join(dir), home: world.home(), email: email("dev") }
}

#[test]
fn a_shallow_clone_that_cuts_the_range_is_refused_not_passed() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    a.git(&["commit", "-q", "--allow-empty", "--no-verify", "-m", "a person's later commit"]);
    a.git(&["push", "-q", "origin", "feature"]);
    let (code, _) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "with the whole history, the AI function needs approval");

    let ci = shallow_clone(&world, "ci");
    let (code, text) = ci.verify_text("origin/main..origin/feature");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("shallow clone") && text.contains("fetch-depth: 0"),
        "the refusal says why and what to do: {text}"
    );
    // Fetched whole, the same clone decides.
    ci.git(&["fetch", "-q", "--unshallow"]);
    let (code, _) = ci.verify("origin/main..origin/feature");
    assert_eq!(code, 1);
}

/// Red team (rt25a B4): CI fetched BASE at depth 1 and the head in full.
/// The walk of the range hid only what it could reach from the cut BASE,
/// so main's own commits counted as the pull request's (each failing as
/// unattested). BASE and HEAD sharing no commit the clone fetched, in a
/// shallow clone, is refused as a cut range, saying what to do.
#[test]
fn a_shallow_base_with_a_full_head_is_refused_not_blamed_on_the_range() {
    let world = World::new(POLICY);
    world.on_main(&[("README", "a project\n")]);
    world.on_main(&[("README", "a project, and more\n")]);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    a.git(&["push", "-q", "origin", "feature"]);
    world.on_main(&[("NEWS", "news\n")]);
    let url = format!("file://{}", world.remote().display());
    let ci = world.root.join("ci");
    run_git(&world.root, &world.home(), &["init", "-q", "ci"]);
    run_git(&ci, &world.home(), &["fetch", "-q", "--depth", "1", &url, "main:refs/remotes/origin/main"]);
    run_git(&ci, &world.home(), &["fetch", "-q", &url, "feature:refs/remotes/origin/feature"]);
    let ci = Clone { path: ci, home: world.home(), email: email("dev") };
    assert!(std::fs::metadata(ci.path.join(".git/shallow")).is_ok(), "the clone is shallow");
    let (code, text) = ci.verify_text("origin/main..origin/feature");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("shallow clone") && text.contains("fetch-depth: 0"), "{text}");
}

#[test]
fn a_shallow_clone_whose_boundary_is_behind_base_still_verifies() {
    let world = World::new(POLICY);
    world.on_main(&[("README", "a project\n")]);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    a.git(&["push", "-q", "origin", "feature"]);
    // Depth 2 holds the feature commit and its parent, main: the range is
    // whole, only history behind BASE is cut.
    let url = format!("file://{}", world.remote().display());
    run_git(&world.root, &world.home(), &["clone", "-q", "--depth", "2", "--no-single-branch", &url, "ci"]);
    let ci = Clone { path: world.root.join("ci"), home: world.home(), email: email("dev") };
    assert!(std::fs::metadata(ci.path.join(".git/shallow")).is_ok(), "the clone is shallow");
    let (code, report) = ci.verify("origin/main..origin/feature");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "unapproved-ai")["path"], "src/lib.rs");
}

/// A feature branch whose one commit, `add()`, `identity` (name, email)
/// authored and committed; verify's exit code and report over it.
fn committed_as(identity: (&str, &str)) -> (i32, serde_json::Value) {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    a.git(&["add", "-A"]);
    let (name, mail) = identity;
    let (name, mail) = (format!("user.name={name}"), format!("user.email={mail}"));
    a.git(&["-c", &name, "-c", &mail, "commit", "-q", "--no-verify", "-m", "add add()"]);
    a.verify("origin/main..HEAD")
}

#[test]
fn an_ai_tool_committing_under_its_own_name_is_ai_evidence() {
    // GitHub's Copilot coding agent and Cursor's background agents commit
    // as themselves, with no trailer and no `[bot]`.
    for (identity, tool) in [
        (("Copilot", "198982749+Copilot@users.noreply.github.com"), "copilot"),
        (("Cursor Agent", "cursoragent@cursor.com"), "cursor"),
        (("Claude", "noreply@anthropic.com"), "claude"),
    ] {
        let (code, report) = committed_as(identity);
        assert_eq!(code, 1, "{identity:?}: {report:#}");
        let failure = only_failure(&report, "unapproved-ai");
        assert_eq!(failure["name"], "add", "{identity:?}: {report:#}");
        let evidence = report["coverage"]["provenance"].to_string();
        assert!(evidence.contains(&format!("AI author: {tool}")), "{identity:?}: {evidence}");
    }
}

#[test]
fn a_person_at_an_ai_company_or_named_claude_is_a_person() {
    for identity in
        [("Jane Doe", "jane@openai.com"), ("Dario", "dario@anthropic.com"), ("Claude Monet", "claude@example.com")]
    {
        let (code, report) = committed_as(identity);
        assert_eq!(code, 0, "{identity:?}: {report:#}");
    }
}

/// An AI commit (its trailer names Claude) that adds a symbolic link: the
/// post-commit note attested "no AI" (a link was no file to note), so
/// verify reported the note as contradicting the commit on top of the
/// unit to approve. The note now carries the link's line.
#[test]
fn an_ai_commit_that_adds_a_link_is_noted_as_ai_not_attested_human() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    std::os::unix::fs::symlink("lib.rs", a.path.join("src/prelude.rs")).unwrap();
    a.git(&["add", "-A"]);
    a.git(&["commit", "-q", "--no-verify", "-m", &format!("prelude\n\n{TRAILER}\n")]);
    // What git's post-commit hook runs.
    let out = a.vouch(&["hook", "post-commit"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let note = a.git(&["notes", "--ref=vouch", "show", "HEAD"]);
    assert!(note.contains("\"path\":\"src/prelude.rs\"") && !note.contains("no-ai"), "{note}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let rules: Vec<&str> = failures(&report).iter().filter_map(|f| f["rule"].as_str()).collect();
    assert_eq!(rules, vec!["unapproved-ai"], "{report:#}");
}

/// Red team: under `require_attestation`, a commit with no vouch note
/// fails, but a merge needed none, so code written in a merge commit (an
/// evil merge, made without the hooks) passed as of unknown origin. A
/// merge that adds lines of its own is a commit that writes code: it needs
/// a note too. A merge that only joins its parents still needs none.
#[test]
fn under_require_attestation_a_merge_that_writes_code_needs_a_note() {
    let world = World::new("reviewers = [\"alice@example.com\"]\nrequire_attestation = true\n");
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    world.on_main(&[("docs/notes.txt", "x\n")]);
    a.git(&["fetch", "-q"]);
    a.git(&["merge", "-q", "--no-ff", "--no-commit", "origin/main"]);
    a.git(&["commit", "-q", "--no-verify", "-m", "Merge main"]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "a merge that only joins: {report:#}");

    a.git(&["reset", "-q", "--hard", "HEAD~1"]);
    a.git(&["merge", "-q", "--no-ff", "--no-commit", "origin/main"]);
    a.write("src/run.py", "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n");
    a.git(&["add", "-A"]);
    a.git(&["commit", "-q", "--no-verify", "-m", "Merge main"]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "missing-attestation");
    assert!(failure["reason"].as_str().unwrap().contains("(Merge main) carries no vouch note"), "{report:#}");
    assert_eq!(report["coverage"]["without_note"].as_array().map(Vec::len), Some(1), "{report:#}");
}

/// Red team (rt25a A1): a merge that added no line of its own needed no
/// note, so one whose own change only removed lines (the admin check
/// dropped while resolving a conflict), removed a file both parents have,
/// or made a script executable passed with its note deleted. Each is a
/// change of the merge's own, as written code is: it needs a note too.
#[test]
fn under_require_attestation_a_merge_that_removes_or_chmods_on_its_own_needs_a_note() {
    const AUTH: &str =
        "def can_delete(user):\n    if not user.admin:\n        raise PermissionError()\n    return True\n";
    type Change = fn(&Clone);
    let cases: [(&str, Change); 3] = [
        ("removes lines", |a| a.write("src/auth.py", "def can_delete(user):\n    return True\n")),
        ("removes a file", |a| drop(a.git(&["rm", "-q", "src/auth.py"]))),
        ("makes a file executable", |a| {
            use std::os::unix::fs::PermissionsExt;
            let script = a.path.join("deploy.sh");
            std::fs::set_permissions(script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }),
    ];
    for (case, change) in cases {
        let world = World::new("reviewers = [\"alice@example.com\"]\nrequire_attestation = true\n");
        world.on_main(&[("src/auth.py", AUTH), ("deploy.sh", "#!/bin/sh\necho deploy\n")]);
        let a = world.clone_as("a", "dev");
        a.git(&["checkout", "-q", "-b", "feature"]);
        world.on_main(&[("docs/notes.txt", "x\n")]);
        a.git(&["fetch", "-q"]);
        a.git(&["merge", "-q", "--no-ff", "--no-commit", "origin/main"]);
        change(&a);
        a.git(&["add", "-A"]);
        a.git(&["commit", "-q", "--no-verify", "-m", "Merge main"]);
        let (code, report) = a.verify("origin/main..HEAD");
        assert_eq!(code, 1, "{case}: {report:#}");
        let failure = only_failure(&report, "missing-attestation");
        assert!(
            failure["reason"].as_str().unwrap().contains("(Merge main) carries no vouch note"),
            "{case}: {report:#}"
        );
    }
}

/// Red team, round two (rt25d A1): a merge that keeps one parent's version
/// of a file the other parent changed drops that change: main's new check,
/// merged into a branch that keeps its own version of the file. Each file
/// equalled a parent's, so the merge needed no note, and the drop passed.
/// What the other side changed against where the two forked, and the merge
/// drops, is the merge's own change.
#[test]
fn under_require_attestation_a_merge_that_drops_the_other_sides_change_needs_a_note() {
    const AUTH: &str = "def can_delete(user):\n    return True\n";
    const CHECKED: &str = "def can_delete(user):\n    if user.locked:\n        return False\n    return True\n";
    let world = World::new("reviewers = [\"alice@example.com\"]\nrequire_attestation = true\n");
    world.on_main(&[("src/auth.py", AUTH)]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    // main adds the check after the branch forked.
    world.on_main(&[("src/auth.py", CHECKED)]);
    a.git(&["fetch", "-q"]);
    a.git(&["merge", "-q", "--no-ff", "--no-commit", "origin/main"]);
    a.write("src/auth.py", AUTH);
    a.git(&["add", "-A"]);
    a.git(&["commit", "-q", "--no-verify", "-m", "Merge main"]);
    assert_eq!(a.read("src/auth.py"), AUTH, "the merge kept the branch's version");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "missing-attestation");
    assert!(failure["reason"].as_str().unwrap().contains("(Merge main) carries no vouch note"), "{report:#}");
}

/// Red team: CI runs `vouch verify origin/main..$SHA` (the GitLab example)
/// in a clone that fetches tags. The author pushed a tag named
/// `origin/main` at their own head; git takes `refs/tags/origin/main`
/// before `refs/remotes/origin/main`, so BASE was the author's head, the
/// range empty, and verify passed. A name that means more than one commit
/// is refused, naming each; named in full, the range verifies.
#[test]
fn a_tag_named_like_the_base_branch_cannot_stand_in_for_it() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    a.git(&["push", "-q", "origin", "feature"]);
    a.git(&["tag", "origin/main"]);
    a.git(&["push", "-q", "origin", "refs/tags/origin/main"]);
    let ci = world.clone_as("ci", "ci");
    ci.git(&["checkout", "-q", "feature"]);
    assert!(ci.git(&["tag"]).contains("origin/main"), "CI fetched the author's tag");

    let (code, text) = ci.verify_text("origin/main..HEAD");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("refs/tags/origin/main") && text.contains("refs/remotes/origin/main"), "{text}");
    let (code, report) = ci.verify("refs/remotes/origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    // A name that means one commit, whatever refs share it, is no question.
    ci.git(&["tag", "-f", "origin/main", "refs/remotes/origin/main"]);
    let (code, report) = ci.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    // Red team, round two: nor may a tag named like BASE's abbreviated id
    // stand in for that commit.
    let short = ci.git(&["rev-parse", "--short=10", "refs/remotes/origin/main"]).trim().to_string();
    ci.git(&["tag", &short, "HEAD"]);
    let (code, text) = ci.verify_text(&format!("{short}..HEAD"));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&format!("refs/tags/{short}")), "{text}");
}

/// Red team (rt26c B2): vouch found its repository from the directory it
/// ran in and took no notice of `GIT_DIR`, where git does. Run with
/// `GIT_DIR` naming a repository whose range holds unapproved AI code,
/// from a clean repository, verify judged the clean one and passed, while
/// `git log` run the same way showed the AI commit. A `GIT_DIR` that
/// names another repository than the one found is refused; one that names
/// the same (as git sets it for its hooks) changes nothing.
#[test]
fn verify_refuses_a_git_dir_naming_another_repository() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    let clean = world.clone_as("clean", "dev");
    clean.git(&["checkout", "-q", "-b", "feature"]);
    let git_dir = a.path.join(".git");
    let run = |dir: &std::path::Path, git_dir: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(["verify", "origin/main..feature"])
            .current_dir(dir)
            .env("GIT_DIR", git_dir)
            .env("HOME", world.home())
            .output()
            .unwrap();
        (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    };
    let (code, said) = run(&clean.path, &git_dir);
    assert_eq!(code, Some(2), "verify judged the wrong repository: {said}");
    assert!(said.contains("GIT_DIR"), "{said}");
    // The same repository, as git's hooks set it: judged as without it.
    let (code, said) = run(&a.path, &git_dir);
    assert_eq!(code, Some(1), "{said}");
    let (code, said) = run(&a.path, std::path::Path::new(".git"));
    assert_eq!(code, Some(1), "{said}");
}

/// Red team (rt29a H1): `.git/info/grafts` (a CI runner that reuses its
/// clone, where an earlier job of the author's wrote one) gives a person's
/// commit on top of the agent's BASE as its parent: libgit2 follows the
/// graft, the agent's commit left the range, and verify passed. A clone
/// with grafts is refused, as a shallow one is; replace refs, which
/// libgit2 ignores, are ignored by the git vouch runs too.
#[test]
fn a_clone_with_grafts_is_refused_not_passed() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    a.git(&["commit", "-q", "--allow-empty", "--no-verify", "-m", "a person's later commit"]);
    let main = a.git(&["rev-parse", "origin/main"]);
    let head = a.git(&["rev-parse", "HEAD"]);
    std::fs::write(a.path.join(".git/info/grafts"), format!("{} {}\n", head.trim(), main.trim())).unwrap();
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("info/grafts"), "the refusal names the file: {text}");
    // Without it, the agent's function needs approval.
    std::fs::remove_file(a.path.join(".git/info/grafts")).unwrap();
    let (code, _) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1);
}
