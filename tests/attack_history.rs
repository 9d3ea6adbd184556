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
