//! A change to a trust file that no commit of the range makes against its
//! first parent: a merge whose first parent is an older commit (or a new
//! root) holding the trust file as the author wants it, and whose second
//! parent is BASE. The merge's tree drops or rolls back the policy and the
//! allowed signers against BASE, yet each commit compared with its first
//! parent changed nothing there, so `vouch verify` passed and the next pull
//! request ran under no policy at all. What the range changed in a trust
//! file is what HEAD holds against the point where it forked from BASE,
//! whichever parent a merge brought it from. Played with the real binary
//! and real git.

mod support {
    pub mod run;
    pub mod world;
}

use serde_json::Value;
use support::world::*;

const POLICY: &str = "reviewers = [\"alice@example.com\", \"bob@example.com\"]\n";

/// `vouch verify origin/main..HEAD` in `a` fails on the change to the
/// policy, and on nothing else: its report.
fn refuses_the_policy_change(a: &Clone) -> Value {
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let found = trust_failures(&report);
    assert_eq!(found.iter().map(|(path, _)| path.as_str()).collect::<Vec<_>>(), [".vouch.toml"], "{report:#}");
    report
}

/// The trust-file failures of a report: (path, commits named).
fn trust_failures(report: &Value) -> Vec<(String, Vec<String>)> {
    failures(report)
        .iter()
        .filter(|f| f["rule"] == "policy-change")
        .map(|f| {
            let commits = f["commits"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
            (f["path"].as_str().unwrap().to_string(), commits)
        })
        .collect()
}

/// `git commit-tree TREE -p FIRST -p SECOND` in `clone`, checked out as
/// HEAD of branch `takeover`.
fn merge_onto(clone: &Clone, tree: &str, first: &str, second: &str) -> String {
    let merge = clone.git(&["commit-tree", tree, "-p", first, "-p", second, "-m", "Merge main"]);
    let merge = merge.trim().to_string();
    clone.git(&["checkout", "-q", "-B", "takeover", &merge]);
    merge
}

#[test]
fn a_merge_that_brings_back_an_older_policy_is_a_change_to_approve() {
    let world = World::new(POLICY);
    let m = world.clone_as("m", "mallory");
    let old = m.git(&["rev-parse", "HEAD"]).trim().to_string();
    // Through review, main's policy gets a second approval.
    world.on_main(&[(".vouch.toml", &format!("{POLICY}approvals = 2\n"))]);
    m.git(&["fetch", "-q"]);
    // Mallory's merge: first parent the old main, second parent BASE, the
    // old main's tree.
    let merge = merge_onto(&m, &format!("{old}^{{tree}}"), &old, "origin/main");
    assert!(m.git(&["diff", "--name-only", "origin/main", "HEAD"]).contains(".vouch.toml"));
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(trust_failures(&report), vec![(".vouch.toml".to_string(), vec![merge])], "{report:#}");
}

#[test]
fn a_merge_from_a_new_root_that_deletes_the_trust_files_is_a_change_to_approve() {
    let world =
        World::new(&format!("{POLICY}require_signatures = true\nallowed_signers = \".vouch/allowed_signers\"\n"));
    let m = world.clone_as("m", "mallory");
    // A new root holding main's files but the policy and the signers.
    m.git(&["checkout", "-q", "--orphan", "root"]);
    m.git(&["rm", "-q", "--cached", ".vouch.toml", ".vouch/allowed_signers"]);
    m.git(&["commit", "-q", "--no-verify", "-m", "import"]);
    let root = m.git(&["rev-parse", "HEAD"]).trim().to_string();
    let merge = merge_onto(&m, &format!("{root}^{{tree}}"), &root, "origin/main");
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        trust_failures(&report),
        vec![(".vouch.toml".to_string(), vec![merge.clone()]), (".vouch/allowed_signers".to_string(), vec![merge])],
        "{report:#}"
    );
    // Approved under BASE's policy (signed), the deletion passes. (The
    // policy names no repository, so the id is BASE's root, as verify
    // says; HEAD's history has two roots now.)
    let fp = |path: &str| {
        failures(&report).iter().find(|f| f["path"] == path).unwrap()["fingerprint"].as_str().unwrap().to_string()
    };
    let repository = report["repository"].as_str().unwrap().to_string();
    for path in [".vouch.toml", ".vouch/allowed_signers"] {
        world.decide(&m, &fp(path), Decision { repository: Some(repository.clone()), ..Decision::by("alice") });
    }
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_policy_main_changed_after_the_branch_forked_is_not_the_branchs_change() {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.ai_feature();
    world.on_main(&[(".vouch.toml", &format!("{POLICY}approvals = 2\n"))]);
    a.git(&["fetch", "-q"]);
    // The branch has not merged main: its policy differs from BASE's
    // because main moved on, not because of the branch.
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "the AI function still needs approval: {report:#}");
    assert_eq!(trust_failures(&report), vec![], "{report:#}");
    // Merged with its second parent main, as `git merge` does: nothing of
    // the policy is the branch's either.
    a.git(&["merge", "-q", "--no-edit", "--no-verify", "origin/main"]);
    let (_, report) = a.verify("origin/main..HEAD");
    assert_eq!(trust_failures(&report), vec![], "{report:#}");
}

/// Red team: with two merge bases (a criss-cross history, which merged
/// pull requests make every day), verify asked libgit2 for one, and took a
/// trust file HEAD holds as that base does for main's own change, made
/// since. A branch begun before main's policy change and committed after
/// it was merged into main; mallory's branch starts there and merges the
/// policy commit with `-s ours`, keeping the old policy: libgit2 picked the
/// branch as the base (the newer), and verify passed the rollback, which a
/// plain `git merge` then lands on main. A trust file is main's own change
/// only where HEAD holds it as every merge base does.
#[test]
fn a_policy_rolled_back_against_one_of_two_merge_bases_is_a_change_to_approve() {
    let world = World::new(POLICY);
    let d = world.clone_as("d", "dave");
    d.git(&["checkout", "-q", "-b", "x"]);
    world.on_main(&[(".vouch.toml", &format!("{POLICY}approvals = 2\n"))]);
    // Dave's branch, begun before the policy change, committed after it.
    d.write("src/notes.md", "notes\n");
    d.git(&["add", "-A"]);
    let later = [("GIT_COMMITTER_DATE", "2099-01-01T00:00:00Z"), ("GIT_AUTHOR_DATE", "2099-01-01T00:00:00Z")];
    let mut commit = std::process::Command::new("git");
    commit.args(["commit", "-q", "--no-verify", "-m", "notes"]).current_dir(d.repo().workdir().unwrap());
    support::world::git_env(&mut commit, &world.home());
    assert!(commit.envs(later).status().unwrap().success());
    d.git(&["push", "-q", "origin", "x"]);
    // Merged into main through review.
    let a = world.clone_as("a", "alice");
    a.git(&["merge", "-q", "--no-edit", "--no-verify", "origin/x"]);
    a.git(&["push", "-q", "origin", "main"]);
    // Mallory's branch: from dave's, merging the policy commit but keeping
    // the old policy.
    let m = world.clone_as("m", "mallory");
    m.git(&["checkout", "-q", "-b", "evil", "origin/x"]);
    m.git(&["merge", "-q", "--no-edit", "--no-verify", "-s", "ours", "origin/main~1"]);
    m.write("src/more.md", "more\n");
    m.commit("more notes", None);
    assert_eq!(m.git(&["merge-base", "--all", "origin/main", "HEAD"]).lines().count(), 2, "a criss-cross");
    assert!(m.git(&["diff", "--name-only", "origin/main", "HEAD"]).contains(".vouch.toml"));
    refuses_the_policy_change(&m);
}

/// Red team: an approval of a trust file names its content (a state), not
/// the change. A reviewer approved adding mallory to the team's policy;
/// later, through review, she was taken out again. A branch that put the
/// old content back was "approved" by the first record, though nobody
/// approved taking back her removal. An approval of a trust file's content
/// counts only when given after BASE's history last changed that file: it
/// approved a change from BASE's version.
#[test]
fn an_old_approval_of_a_trust_files_content_does_not_approve_its_rollback() {
    let with = format!("{POLICY}# on call: mallory\n");
    let without = format!("{POLICY}# on call: nobody\n");
    let world = World::new(POLICY);
    world.on_main(&[(".vouch.toml", &with)]);
    let m = world.clone_as("m", "mallory");
    let fp = vouch::fingerprint::trust_fingerprint(".vouch.toml", Some(with.as_bytes()));
    // Alice approved that content, when it was the change to make.
    let then = Decision { created: Some("2020-01-01T00:00:00Z"), ..Decision::by("alice") };
    world.decide(&m, &fp, then);
    world.on_main(&[(".vouch.toml", &without)]);
    let report = rollback_is_refused(&m, &with);
    let text = serde_json::to_string(&report).unwrap();
    assert!(text.contains("before"), "the old approval is named and why it does not count: {report:#}");
    // Approved now, against BASE's version, it counts.
    approve_policy_as(&m, "alice", "mallory");
    let (code, report) = m.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Red team, round three: when BASE's history last changed the trust file
/// was read along first parents only. A `git pull` merged into a stale
/// local main and pushed (a "foxtrot" merge) puts main's own change on the
/// second parent's side, and the walk went back to when the file was made:
/// the old approval of the content counted again for its rollback. Every
/// parent counts.
#[test]
fn an_old_approval_does_not_approve_a_rollback_after_a_foxtrot_merge() {
    let with = format!("{POLICY}# on call: mallory\n");
    let world = World::new(POLICY);
    // A teammate's local main, left behind before mallory was added.
    let stale = world.clone_as("stale", "dev");
    world.on_main(&[(".vouch.toml", &with)]);
    let m = world.clone_as("m", "mallory");
    let fp = vouch::fingerprint::trust_fingerprint(".vouch.toml", Some(with.as_bytes()));
    // Alice approved adding her, after the policy was made (a second
    // later: times are in seconds), and a second before she was taken out.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    world.decide(&m, &fp, Decision::by("alice"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // Mallory taken out again: the policy as it first was.
    world.on_main(&[(".vouch.toml", POLICY)]);
    // The teammate commits on their stale main, pulls (origin's main is the
    // merge's second parent) and pushes: along first parents, main's
    // policy never changed.
    stale.write("src/notes.md", "notes\n");
    stale.commit("notes", None);
    stale.git(&["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"]);
    stale.git(&["push", "-q", "origin", "main"]);
    m.git(&["fetch", "-q"]);
    assert_eq!(m.git(&["show", "origin/main:.vouch.toml"]), POLICY);
    rollback_is_refused(&m, &with);
}

/// `who` signs off `.vouch.toml` as `a`'s checkout holds it, against
/// origin/main (`vouch approve --file`); `a` then acts as `then` again.
fn approve_policy_as(a: &Clone, who: &str, then: &str) {
    a.act_as(who);
    let run = a.run(&["approve", "--file", ".vouch.toml", "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    a.act_as(then);
}

/// On a branch `remove` from origin/main (fetched a second after what was
/// pushed last, so that the dates differ), mallory taken out of the policy
/// again, in a commit dated 2020 (author and committer), without the hooks.
fn remove_mallory_dated_2020(world: &World, a: &Clone) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    a.git(&["fetch", "-q"]);
    a.git(&["checkout", "-q", "-b", "remove", "origin/main"]);
    a.write(".vouch.toml", POLICY);
    let mut commit = std::process::Command::new("git");
    commit.args(["commit", "-q", "--no-verify", "-am", "take mallory off the list"]).current_dir(&a.path);
    git_env(&mut commit, &world.home());
    for date in ["GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE"] {
        commit.env(date, "2020-01-01T00:00:00Z");
    }
    assert!(commit.status().unwrap().success());
}

/// On a branch from origin/main, `.vouch.toml` put back to `with`: verify
/// must ask for its sign-off ([`refuses_the_policy_change`]).
fn rollback_is_refused(a: &Clone, with: &str) -> Value {
    a.git(&["fetch", "-q"]);
    a.git(&["checkout", "-q", "-b", "rollback", "origin/main"]);
    a.write(".vouch.toml", with);
    a.commit("restore the on-call list", None);
    refuses_the_policy_change(a)
}

/// Red team (rt25a A3): when BASE's history last changed a trust file was
/// read from that commit's committer date, which whoever commits sets. A
/// removal of mallory dated 2020 and landed by fast-forward made alice's
/// approval of adding her, given before it, newer than BASE's last change:
/// a rollback to that content passed on it, nobody approving. An approval
/// of a trust file names the BASE commit it was given against, and counts
/// only where BASE's history changed the file in no commit that one lacks.
#[test]
fn a_backdated_change_of_a_trust_file_does_not_revive_an_old_approval() {
    let with = format!("{POLICY}# on call: mallory\n");
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    // Adding mallory, approved by alice against main's version, landed.
    a.git(&["checkout", "-q", "-b", "add"]);
    a.write(".vouch.toml", &with);
    a.commit("add mallory to the on-call list", None);
    approve_policy_as(&a, "alice", "dev");
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
    a.git(&["push", "-q", "origin", "HEAD:main"]);
    // Taken out again, approved, in a commit dated 2020 that lands by
    // fast-forward.
    remove_mallory_dated_2020(&world, &a);
    approve_policy_as(&a, "bob", "dev");
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
    a.git(&["push", "-q", "origin", "HEAD:main"]);
    // The rollback: nobody approves it.
    rollback_is_refused(&a, &with);
    // Approved now, against BASE's version, it counts.
    approve_policy_as(&a, "bob", "dev");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Red team, round two (rt25d A3): an approval made before vouch named the
/// BASE it was given against (no `base`) still counted by the committer
/// date of BASE's last change, which the backdated removal moves. Such an
/// approval now counts only for content BASE's history never held: a new
/// state of the file, never a return to an old one.
#[test]
fn a_legacy_approval_does_not_approve_a_return_to_an_old_state() {
    let with = format!("{POLICY}# on call: mallory\n");
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    let fp = vouch::fingerprint::trust_fingerprint(".vouch.toml", Some(with.as_bytes()));
    // Adding mallory, approved (by an older vouch: no base), landed.
    a.git(&["checkout", "-q", "-b", "add"]);
    a.write(".vouch.toml", &with);
    a.commit("add mallory to the on-call list", None);
    world.decide(&a, &fp, Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0, "a new state: the legacy approval counts");
    a.git(&["push", "-q", "origin", "HEAD:main"]);
    // Taken out again in a commit dated 2020, landed by fast-forward.
    remove_mallory_dated_2020(&world, &a);
    a.git(&["push", "-q", "origin", "HEAD:main"]);
    rollback_is_refused(&a, &with);
}
