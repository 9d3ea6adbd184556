//! The review queue offers a unit by the count the judge uses (issue
//! 13.11): a request's own account of its AI lines is the requester's
//! word, so where the working tree holds the unit, `vouch review` and the
//! language server's `vouch/pending` offer it to those who may approve it
//! as the working tree has it (its real AI lines, who accepted them, who
//! authored the commits), as `vouch approve` and verify judge it. A
//! deletion-only unit (an AI removed lines from it) says so in the queue
//! rather than "0 AI line(s)". Real git, the real binary, the real server.

mod support {
    pub mod lsp;
    pub mod run;
    pub mod world;
}

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::lsp::Server;
use support::world::{self, Clone, TRAILER, World, feature_world};
use vouch::store::records::{self, Request, RequestedUnit};

/// Small AI units (at most 2 AI lines) may be approved by any peer; the
/// AI function `add` has 3.
const TRIAGE: &str =
    "reviewers = [\"alice@example.com\"]\n\n[[triage]]\npaths = [\"src/**\"]\nmax_ai_lines = 2\npeer = true\n";

/// `vouch review --list ARGS --format json` in `clone`.
fn queue(clone: &Clone, args: &[&str]) -> Value {
    let mut all = vec!["review", "--list", "--format", "json"];
    all.extend_from_slice(args);
    let out = clone.run(&all);
    assert_eq!(out.code, 0, "{out:?}");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

/// `vouch/pending` once the background read of the queue is done.
fn settled_pending(server: &mut Server) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending = server.request("vouch/pending", json!({}));
        if pending["computing"] == false {
            return pending;
        }
        assert!(Instant::now() < deadline, "the queue is still being read: {pending}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_request_that_understates_its_ai_lines_is_not_offered_to_a_peer() {
    let (_world, a, failure) = feature_world(TRIAGE);
    let (first, last) = (failure["line"].as_u64().unwrap(), failure["end_line"].as_u64().unwrap());
    let path = failure["path"].as_str().unwrap();
    // Dev asks for sign-off claiming 1 AI line of the 3.
    let unit = RequestedUnit {
        path: path.into(),
        language: "rust".into(),
        kind: "function".into(),
        name: Some("add".into()),
        fingerprint: failure["fingerprint"].as_str().unwrap().into(),
        fingerprint_version: Some(vouch::fingerprint::VERSION),
        text: a.unit_text(path, first, last).into(),
        ai_lines: vec![[1, 1]],
        tool: Some("claude".into()),
        model: None,
        intents: Vec::new(),
    };
    let mut request = Request::new(&a.repository_id(), a.person(), vec![unit]);
    request.rationale = Some("tiny".into());
    records::add(&a.repo(), &request).unwrap();

    // Eve, a peer: nothing is offered to her.
    a.act_as("eve");
    let mine = queue(&a, &[]);
    assert_eq!(mine["units"], json!([]), "offered to a peer on the request's word: {mine:#}");
    let out = a.run(&["review"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Nothing awaits your sign-off"), "{out:?}");
    // The whole queue shows it for alice, with its real AI lines.
    let all = queue(&a, &["--all"]);
    let units = all["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "{all:#}");
    assert_eq!(units[0]["reviewers"], json!(["alice@example.com"]), "{all:#}");
    assert_eq!(units[0]["ai_line_count"], 3, "{all:#}");
    // The editor's queue says the same.
    let mut server = Server::start(&a.path, &["utf-8"]);
    let pending = settled_pending(&mut server);
    let items = pending["units"].as_array().unwrap();
    let add = items.iter().find(|u| u["name"] == "add").unwrap_or_else(|| panic!("{pending:#}"));
    assert_eq!(add["mayApprove"], false, "{pending:#}");
    assert_eq!(add["aiLines"], 3, "{pending:#}");
    server.shutdown();

    // Alice is offered it.
    a.act_as("alice");
    let mine = queue(&a, &[]);
    assert_eq!(mine["units"].as_array().unwrap().len(), 1, "{mine:#}");
}

const GUARDED: &str = "pub struct User {\n    pub admin: bool,\n}\n\n\
pub fn delete_user(actor: &User, id: u64) -> Result<u64, String> {\n    if !actor.admin {\n        return Err(\"forbidden\".into());\n    }\n    Ok(id)\n}\n";

const UNGUARDED: &str = "pub struct User {\n    pub admin: bool,\n}\n\n\
pub fn delete_user(actor: &User, id: u64) -> Result<u64, String> {\n    Ok(id)\n}\n";

#[test]
fn a_unit_an_ai_only_removed_lines_from_says_so_in_the_queue() {
    let world = World::new("reviewers = [\"alice@example.com\"]\n");
    world.on_main(&[("src/auth.rs", GUARDED)]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/auth.rs", UNGUARDED);
    a.commit("simplify delete_user", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    world::only_failure(&report, "unapproved-ai");
    let out = a.run(&["request", "src/auth.rs:5", "-m", "the router checks admin now"]);
    assert_eq!(out.code, 0, "{out:?}");

    a.act_as("alice");
    let mine = queue(&a, &[]);
    let unit = &mine["units"][0];
    assert_eq!(unit["name"], "delete_user", "{mine:#}");
    assert_eq!(unit["ai_deleted_lines"], 3, "{mine:#}");
    let out = a.run(&["review", "--list"]);
    assert!(out.stdout.contains("3 AI-deleted line(s)"), "{out:?}");
    assert!(!out.stdout.contains("0 AI line(s)"), "{out:?}");
    let out = a.run(&["review"]);
    assert!(out.stdout.contains("3 AI-deleted line(s)"), "{out:?}");
    assert!(!out.stdout.contains("0 AI line(s)"), "{out:?}");
}

/// `vouch approve` by a reviewer whose working tree lacks the unit (they
/// approve from the request alone): the request's own account cannot let
/// in someone verify will not count. Judged as if all its lines were AI,
/// a peer is refused, naming why; a listed reviewer's approval is
/// recorded, with a plain word that the unit was not in their working
/// tree, and verify counts it.
#[test]
fn approving_a_unit_the_working_tree_lacks_cannot_let_in_whom_verify_refuses() {
    let (world, a, failure) = feature_world(TRIAGE);
    let (first, last) = (failure["line"].as_u64().unwrap(), failure["end_line"].as_u64().unwrap());
    let path = failure["path"].as_str().unwrap();
    let unit = RequestedUnit {
        path: path.into(),
        language: "rust".into(),
        kind: "function".into(),
        name: Some("add".into()),
        fingerprint: failure["fingerprint"].as_str().unwrap().into(),
        fingerprint_version: Some(vouch::fingerprint::VERSION),
        text: a.unit_text(path, first, last).into(),
        ai_lines: vec![[1, 1]],
        tool: Some("claude".into()),
        model: None,
        intents: Vec::new(),
    };
    let mut request = Request::new(&a.repository_id(), a.person(), vec![unit]);
    request.rationale = Some("tiny".into());
    let id = records::add(&a.repo(), &request).unwrap();
    a.git(&["push", "-q", "origin", "feature"]);
    a.sync();

    // Eve, a peer, on main (her working tree lacks the unit).
    let e = world.clone_as("e", "eve");
    e.sync();
    let out = e.run(&["approve", &id, "--yes"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("not in your working tree"), "{out:?}");
    assert!(
        records::list::<records::Approval>(&e.repo()).unwrap().records.is_empty(),
        "a decision verify will not count was recorded: {out:?}"
    );

    // Alice, a reviewer, also on main: recorded, and told plainly.
    let b = world.clone_as("b", "alice");
    b.sync();
    let out = b.run(&["approve", &id, "--yes"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("not in your working tree"), "{out:?}");
    b.sync();
    a.sync();
    assert_eq!(a.verify("origin/main..HEAD").0, 0, "verify counts alice's approval");
}

/// A whole-file unit (a trust file's change, a file an AI deleted) is
/// signed off with `vouch approve --file` or `vouch review`, not from an
/// editor's buffer: the editor's queue lists it under the kind verify
/// names and offers no Approve that would fail.
#[test]
fn the_editors_queue_lists_a_deleted_file_and_offers_no_approve_it_cannot_do() {
    let world = World::new("reviewers = [\"alice@example.com\"]\n");
    world.on_main(&[("tests/auth_test.rs", "#[test]\nfn only_admins() {}\n")]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.git(&["rm", "-q", "tests/auth_test.rs"]);
    a.commit("drop a flaky test", Some(TRAILER));
    let run = a.run(&["request", "tests/auth_test.rs", "-m", "moved into tests/admin.rs"]);
    assert_eq!(run.code, 0, "{run:?}");

    a.act_as("alice");
    let mine = queue(&a, &[]);
    assert_eq!(mine["units"].as_array().map(Vec::len), Some(1), "vouch review offers it to alice: {mine:#}");
    let mut server = Server::start(&a.path, &["utf-8"]);
    let pending = settled_pending(&mut server);
    server.shutdown();
    let items = pending["units"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{pending:#}");
    assert_eq!(items[0]["kind"], "deleted-file", "{pending:#}");
    assert_eq!(items[0]["path"], "tests/auth_test.rs", "{pending:#}");
    assert_eq!(items[0]["located"], false, "{pending:#}");
    assert_eq!(items[0]["mayApprove"], false, "an editor cannot approve it from a buffer: {pending:#}");
}

#[test]
fn the_editors_queue_lists_a_change_of_mode_and_offers_no_approve_it_cannot_do() {
    let world = World::new("reviewers = [\"alice@example.com\"]\n");
    world.on_main(&[("scripts/deploy.sh", "#!/bin/sh\nrsync -a build/ prod:/srv/app/\n")]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.git(&["update-index", "--chmod=+x", "scripts/deploy.sh"]);
    a.git(&["commit", "-q", "--no-verify", "-m", &format!("make deploy.sh executable\n\n{TRAILER}\n")]);
    a.git(&["checkout", "-q", "--", "."]);
    let run = a.run(&["request", "scripts/deploy.sh", "-m", "the deploy job runs it"]);
    assert_eq!(run.code, 0, "{run:?}");

    a.act_as("alice");
    let mut server = Server::start(&a.path, &["utf-8"]);
    let pending = settled_pending(&mut server);
    server.shutdown();
    let items = pending["units"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{pending:#}");
    assert_eq!(items[0]["kind"], "file-mode", "{pending:#}");
    assert_eq!(items[0]["path"], "scripts/deploy.sh", "{pending:#}");
    assert_eq!(items[0]["mayApprove"], false, "an editor cannot approve it from a buffer: {pending:#}");
}

/// An approval the request's own account counts but the judge does not:
/// bob authored the commit that brought the AI function, so verify counts
/// no approval of his; dev asked for sign-off, and bob approved from a
/// clone whose working tree lacks the unit (on the request's account he is
/// no participant). Where the working tree holds the unit, the queue must
/// say what verify says: it still awaits sign-off, from carol, not "nothing
/// awaits" while the gate and verify refuse it with no one asked.
#[test]
fn a_unit_approved_only_on_the_requests_account_still_awaits_where_the_working_tree_holds_it() {
    let world = World::new("reviewers = [\"bob@example.com\", \"carol@example.com\"]\n");
    let a = world.clone_as("a", "bob");
    a.ai_feature();
    a.git(&["push", "-q", "origin", "feature"]);
    a.act_as("dev");
    let run = a.run(&["request", "src/lib.rs:5", "-m", "adds add"]);
    assert_eq!(run.code, 0, "{run:?}");
    a.sync();
    let id = records::list::<Request>(&a.repo()).unwrap().records[0].id.clone();

    let b = world.clone_as("b", "bob");
    b.sync();
    let run = b.run(&["approve", &id, "--yes"]);
    assert_eq!(run.code, 0, "bob, a listed reviewer, approves from the request alone: {run:?}");
    b.sync();
    a.sync();

    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "verify counts no approval by the commit's author: {report:#}");
    world::only_failure(&report, "unapproved-ai");

    let all = queue(&a, &["--all"]);
    let units = all["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "the queue says nothing awaits while verify refuses: {all:#}");
    assert_eq!(units[0]["name"], "add", "{all:#}");
    let run = a.run(&["stats", "--format", "json"]);
    let stats: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(stats["queue"]["units"], 1, "stats counts it as the queue does: {stats:#}");
    // `vouch status` names who it awaits as the queue does.
    let run = a.run(&["status"]);
    let waiting = run.stdout.lines().find(|l| l.contains("waiting for sign-off from")).unwrap_or_default();
    assert_eq!(waiting.trim(), "waiting for sign-off from: carol@example.com", "{run:?}");
    let run = a.run(&["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let add = status["index"].as_array().and_then(|u| u.iter().find(|u| u["name"] == "add"));
    assert_eq!(add.map(|u| &u["awaited_by"]), Some(&json!(["carol@example.com"])), "{status:#}");
    a.act_as("carol");
    let mine = queue(&a, &[]);
    assert_eq!(mine["units"].as_array().map(Vec::len), Some(1), "carol is asked: {mine:#}");
    let mut server = Server::start(&a.path, &["utf-8"]);
    let pending = settled_pending(&mut server);
    server.shutdown();
    let items = pending["units"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the editor's queue says what verify says: {pending:#}");
    assert_eq!(items[0]["mayApprove"], true, "{pending:#}");

    // carol approves: verify passes, and the unit awaits no one.
    let run = a.run(&["approve", "src/lib.rs:5", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(a.verify("origin/main..HEAD").0, 0, "carol's approval counts");
    assert_eq!(queue(&a, &["--all"])["units"], json!([]));
    let run = a.run(&["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let add = status["index"].as_array().and_then(|u| u.iter().find(|u| u["name"] == "add"));
    assert_eq!(add.map(|u| (&u["state"], &u["awaited_by"])), Some((&json!("approved"), &json!([]))), "{status:#}");
}
