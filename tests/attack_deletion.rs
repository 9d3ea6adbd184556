//! An AI commit that only deletes lines (issue 13, a known limit of the
//! lineage, docs/architecture.md "What a unit's approval does not cover"):
//! an agent removes the permission check of a function a person wrote.
//! Verify judges the AI lines the range leaves in HEAD; a deletion leaves
//! none, so nothing asks for sign-off. The right behaviour: the unit that
//! held the deleted lines, when it still exists, needs sign-off as
//! AI-changed (a unit removed whole cannot be shown). That needs the
//! lineage (`src/lineage.rs`, `Change::finish`) to tag the lines beside
//! an AI deletion as touched by that commit with its AI claim.
//!
//! FIXME: this test asserts today's wrong behaviour (verify passes), so
//! that the day the lineage flags the deletion, it fails and is turned
//! into the attack test it should be.

mod support {
    pub mod run;
    pub mod world;
}

use support::world::{TRAILER, World};

const POLICY: &str = "reviewers = [\"alice@example.com\"]\n";

const GUARDED: &str = "pub struct User {\n    pub admin: bool,\n}\n\n\
pub fn delete_user(actor: &User, id: u64) -> Result<u64, String> {\n    if !actor.admin {\n        return Err(\"forbidden\".into());\n    }\n    Ok(id)\n}\n";

const UNGUARDED: &str = "pub struct User {\n    pub admin: bool,\n}\n\n\
pub fn delete_user(actor: &User, id: u64) -> Result<u64, String> {\n    Ok(id)\n}\n";

#[test]
fn an_ai_commit_that_only_deletes_a_permission_check_is_not_flagged_yet() {
    let world = World::new(POLICY);
    world.on_main(&[("src/auth.rs", GUARDED)]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/auth.rs", UNGUARDED);
    a.commit("simplify delete_user", Some(TRAILER));
    let diff = a.git(&["diff", "--numstat", "origin/main..HEAD"]);
    assert_eq!(diff.trim(), "0\t3\tsrc/auth.rs", "the AI commit only deletes");

    let (code, report) = a.verify("origin/main..HEAD");
    // FIXME: should be 1, with an `unapproved-ai` failure on `delete_user`
    // (the unit the deletion changed): see the module comment.
    assert_eq!(code, 0, "{report:#}");
    assert!(report["failures"].as_array().unwrap().is_empty(), "{report:#}");
    // The commit's AI evidence is still reported, honestly.
    let coverage = &report["coverage"];
    assert!(coverage.to_string().contains("trailer: claude"), "{report:#}");
}
