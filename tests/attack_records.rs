//! Where records live and how they travel, played as an attacker and as an
//! ordinary team would: real git, a bare remote set up as docs/trust.md
//! recommends, real `ssh-keygen` keys and the real `vouch` binary.
//!
//! - Records are append-only in fact (issue 12, finding 8): they live on a
//!   branch a forge can protect, and a record counts if any commit of that
//!   branch's history added it.
//! - One repository id (issue 12, finding 9): named in the policy, taken from
//!   BASE by verify, never computed from the head under review.
//! - Notes travel and survive (issue 13, finding 6).

mod support {
    pub mod lsp;
    pub mod run;
    pub mod world;
}

use std::path::Path;
use std::process::Command;

use git2::Oid;
use serde_json::json;
use support::world::{
    AI_FN, BASE_LIB, Clone, Decision, Run, SIGNED_POLICY, TRAILER, World, details, email, git_env, only_failure,
};
use vouch::policy::Verdict;
use vouch::store::notes::{self, FileRecord, NoteRecord};
use vouch::store::records::{self, Approval, Kind, RECORDS_BRANCH, Request};

/// The failing unit of a fresh AI feature on clone `a`.
fn ai_feature(a: &Clone) -> String {
    a.ai_feature();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    only_failure(&report, "unapproved-ai")["fingerprint"].as_str().unwrap().to_string()
}

/// git run with a private index, as an attacker's plumbing would be.
fn git_with_index(clone: &Clone, index: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.args(args).current_dir(&clone.path);
    git_env(&mut cmd, &clone.home);
    cmd.env("GIT_INDEX_FILE", index);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The tree of `commit` without the file at `path`, made with plumbing.
fn tree_without(clone: &Clone, commit: &str, path: &str) -> String {
    let index = clone.path.join(".git/attacker-index");
    let _ = std::fs::remove_file(&index);
    git_with_index(clone, &index, &["read-tree", commit]);
    git_with_index(clone, &index, &["rm", "-q", "--cached", path]);
    git_with_index(clone, &index, &["write-tree"]).trim().to_string()
}

/// The path of record `id` of `kind` on the records branch.
fn record_path(kind: &str, id: &str) -> String {
    format!("{kind}/{}/{id}.json", &id[..2])
}

/// A CI job: a fresh clone of the feature, the records and notes fetched
/// as the workflow does, then `vouch verify`.
fn ci_verify(world: &World, dir: &str) -> (i32, serde_json::Value) {
    let ci = world.clone_as(dir, "ci");
    ci.git(&["checkout", "-q", "feature"]);
    let run = ci.run(&["sync", "--no-push"]);
    assert_eq!(run.code, 0, "{run:?}");
    ci.verify("origin/main..HEAD")
}

/// A reviewer's approval and, later, another's reject of the same unit,
/// shared through the remote.
fn approved_then_rejected(world: &World, fingerprint: &str) -> (String, String) {
    let b = world.clone_as("b", "alice");
    let approval =
        world.decide(&b, fingerprint, Decision { created: Some("2026-01-01T10:00:00.000Z"), ..Decision::by("bob") });
    let reject = world.decide(
        &b,
        fingerprint,
        Decision { verdict: Verdict::Reject, created: Some("2026-01-01T11:00:00.000Z"), ..Decision::by("alice") },
    );
    let out = b.sync();
    assert!(out.contains(&format!("{RECORDS_BRANCH}: origin does not have it, pushed")), "{out}");
    (approval, reject)
}

#[test]
fn a_force_push_or_deletion_of_the_records_branch_is_refused() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let a = world.clone_as("a", "dev");
    let fingerprint = ai_feature(&a);
    a.git(&["push", "-q", "origin", "feature"]);
    let (_, reject) = approved_then_rejected(&world, &fingerprint);
    let (code, report) = ci_verify(&world, "ci1");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "rejected")["reason"], "AI-written code rejected by alice@example.com");

    // The attacker rewrites the branch: a new history, without the reject.
    a.sync();
    let tip = a.git(&["rev-parse", RECORDS_BRANCH]).trim().to_string();
    let tree = tree_without(&a, &tip, &record_path("approvals", &reject));
    let forged = a.git(&["commit-tree", &tree, "-m", "records"]).trim().to_string();
    let run = a.git_run(&["push", "--force", "origin", &format!("{forged}:{RECORDS_BRANCH}")]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("denying non-fast-forward"), "{run:?}");
    let run = a.git_run(&["push", "origin", &format!(":{RECORDS_BRANCH}")]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("denying ref deletion"), "{run:?}");
    // The same remote settings do not cover a ref outside refs/heads/,
    // which is why records no longer live under refs/vouch/.
    let run = a.git_run(&["push", "origin", &format!("{tip}:refs/vouch/elsewhere")]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = a.git_run(&["push", "--force", "origin", &format!("{forged}:refs/vouch/elsewhere")]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = a.git_run(&["push", "origin", ":refs/vouch/elsewhere"]);
    assert_eq!(run.code, 0, "{run:?}");

    let (code, report) = ci_verify(&world, "ci2");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "rejected")["reason"], "AI-written code rejected by alice@example.com");
}

#[test]
fn a_commit_that_deletes_the_reject_removes_nothing() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let a = world.clone_as("a", "dev");
    let fingerprint = ai_feature(&a);
    a.git(&["push", "-q", "origin", "feature"]);
    let (approval, reject) = approved_then_rejected(&world, &fingerprint);

    // The attacker appends a commit that deletes the reject (a fast-forward,
    // so the protected remote takes it), made with plumbing.
    a.git(&["fetch", "-q", "origin", RECORDS_BRANCH]);
    let tip = a.git(&["rev-parse", "FETCH_HEAD"]).trim().to_string();
    let path = record_path("approvals", &reject);
    let tree = tree_without(&a, &tip, &path);
    let deleting = a.git(&["commit-tree", &tree, "-p", &tip, "-m", "tidy up"]).trim().to_string();
    let run = a.git_run(&["push", "origin", &format!("{deleting}:{RECORDS_BRANCH}")]);
    assert_eq!(run.code, 0, "a fast-forward is accepted: {run:?}");
    let listed = world.remote_git(&["ls-tree", "-r", "--name-only", RECORDS_BRANCH]);
    assert!(!listed.contains(&path) && listed.contains(&record_path("approvals", &approval)), "{listed}");

    // A fresh CI clone still sees the reject: a commit of the branch's
    // history added it.
    let (code, report) = ci_verify(&world, "ci");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "rejected")["reason"], "AI-written code rejected by alice@example.com");
    // So does every local command, through the records cache.
    let c = world.clone_as("c", "dev");
    c.sync();
    let ids: Vec<String> = records::list::<Approval>(&c.repo()).unwrap().records.into_iter().map(|s| s.id).collect();
    assert!(ids.contains(&reject) && ids.contains(&approval), "{ids:?}");
}

#[test]
fn records_written_on_two_clones_at_once_all_reach_the_remote() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let b = world.clone_as("b", "alice");
    let c = world.clone_as("c", "bob");
    let mut written = Vec::new();
    for n in 0..4 {
        let fingerprint = format!("{n:02x}").repeat(32);
        written.push(world.decide(&b, &fingerprint, Decision::by("alice")));
        written.push(world.decide(&c, &fingerprint, Decision::by("bob")));
    }
    // Both share at the same moment; the one that loses the race fetches,
    // merges and pushes again (fast-forwards only: the remote refuses
    // anything else).
    let spawn = |clone: &Clone| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
        cmd.arg("sync").current_dir(&clone.path);
        git_env(&mut cmd, &clone.home);
        cmd.spawn().unwrap()
    };
    let (pb, pc) = (spawn(&b), spawn(&c));
    let (rb, rc) = (Run::from(pb.wait_with_output().unwrap()), Run::from(pc.wait_with_output().unwrap()));
    assert_eq!((rb.code, rc.code), (0, 0), "{rb:?}\n{rc:?}");
    b.sync();
    c.sync();
    let d = world.clone_as("d", "dev");
    d.sync();
    let mut read: Vec<String> =
        records::list::<Approval>(&d.repo()).unwrap().records.into_iter().map(|s| s.id).collect();
    read.sort();
    written.sort();
    assert_eq!(read, written);
    for clone in [&b, &c] {
        assert_eq!(records::list::<Approval>(&clone.repo()).unwrap().records.len(), written.len());
    }
}

/// Records as vouch 0.1 kept them: a tree `<id[0..2]>/<id>.json` under
/// `refs/vouch/<kind>s`, written here with plumbing.
fn legacy_commit(repo: &git2::Repository, files: &[(String, Vec<u8>)], parent: Option<Oid>) -> Oid {
    let mut top = std::collections::BTreeMap::<String, Vec<(String, Oid)>>::new();
    for (id, bytes) in files {
        top.entry(id[..2].to_string()).or_default().push((format!("{id}.json"), repo.blob(bytes).unwrap()));
    }
    let mut root = repo.treebuilder(None).unwrap();
    for (dir, entries) in top {
        let mut sub = repo.treebuilder(None).unwrap();
        for (name, blob) in entries {
            sub.insert(&name, blob, 0o100644).unwrap();
        }
        root.insert(&dir, sub.write().unwrap(), 0o040000).unwrap();
    }
    let tree = repo.find_tree(root.write().unwrap()).unwrap();
    let sig = git2::Signature::now("vouch", "vouch@localhost").unwrap();
    let parents: Vec<git2::Commit> = parent.into_iter().map(|p| repo.find_commit(p).unwrap()).collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(None, &sig, &sig, "vouch: add approval", &tree, &parents).unwrap()
}

#[test]
fn records_under_the_old_refs_are_read_and_moved_to_the_branch() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let a = world.clone_as("a", "dev");
    let fingerprint = ai_feature(&a);
    a.git(&["push", "-q", "origin", "feature"]);
    // Alice approved with an older vouch: her record is on refs/vouch/approvals.
    let old = world.clone_as("old", "alice");
    let scratch = world.clone_as("scratch", "alice");
    let id = world.decide(
        &scratch,
        &fingerprint,
        Decision { repository: Some(old.repository_id()), ..Decision::by("alice") },
    );
    let listing = records::list::<Approval>(&scratch.repo()).unwrap();
    let record = listing.records.into_iter().find(|s| s.id == id).unwrap().record;
    let bytes = records::canonical_bytes(&record);
    let repo = old.repo();
    let commit = legacy_commit(&repo, &[(id.clone(), bytes)], None);
    repo.reference("refs/vouch/approvals", commit, true, "old vouch").unwrap();
    // Read where it is, without any migration.
    assert_eq!(records::list::<Approval>(&repo).unwrap().records[0].id, id);
    assert!(repo.find_reference(RECORDS_BRANCH).is_err());
    old.git(&["push", "-q", "origin", "refs/vouch/approvals"]);

    // A newer vouch's sync moves it to the branch, and shares that.
    let out = a.sync();
    assert!(out.contains("1 record(s) moved from refs/vouch/approvals"), "{out}");
    let listed = world.remote_git(&["ls-tree", "-r", "--name-only", RECORDS_BRANCH]);
    assert!(listed.contains(&record_path("approvals", &id)), "{listed}");
    let (code, report) = ci_verify(&world, "ci");
    assert_eq!(code, 0, "{report:#}");

    // vouch init moves local ones too.
    let run = old.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    let listed = old.git(&["ls-tree", "-r", "--name-only", RECORDS_BRANCH]);
    assert!(listed.contains(&record_path("approvals", &id)), "{run:?}\n{listed}");
}

/// `vouch init` in a clone of the world, committed and pushed: the policy
/// now names the repository.
fn record_repository_id(world: &World) -> String {
    let s = world.clone_as("setup", "dev");
    let run = s.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    let policy = s.read(".vouch.toml");
    let root = s.git(&["rev-list", "--max-parents=0", "HEAD"]).trim().to_string();
    assert!(policy.contains(&format!("repository = \"{root}\"")), "{policy}");
    assert!(run.stdout.contains(&format!("repository = \"{root}\"")), "{run:?}");
    s.commit("record the repository id", None);
    s.git(&["push", "-q", "origin", "main"]);
    root
}

/// Another repository whose history starts before this one's, where Alice
/// approved the same code.
fn older_repository(world: &World, fingerprint: &str) -> (Clone, String, String) {
    let dir = world.root.join("other");
    std::fs::create_dir_all(&dir).unwrap();
    let o = Clone { path: dir, home: world.home(), email: email("dev") };
    o.git(&["init", "-q", "-b", "main"]);
    o.git(&["config", "user.email", "x@example.com"]);
    o.git(&["config", "user.name", "x"]);
    o.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    o.git(&["add", "-A"]);
    let mut cmd = Command::new("git");
    cmd.args(["commit", "-q", "-m", "long ago"]).current_dir(&o.path);
    git_env(&mut cmd, &o.home);
    cmd.env("GIT_AUTHOR_DATE", "2001-01-01T00:00:00Z").env("GIT_COMMITTER_DATE", "2001-01-01T00:00:00Z");
    assert!(cmd.status().unwrap().success());
    let root = o.git(&["rev-parse", "HEAD"]).trim().to_string();
    let id = world.decide(&o, fingerprint, Decision { repository: Some(root.clone()), ..Decision::by("alice") });
    (o, root, id)
}

/// The attack: merge the other repository's older root into the feature
/// (`-s ours`: nothing of it lands), copy its approval, share both.
fn merge_older_root(a: &Clone, other: &Clone, approval: &str) {
    a.git(&["fetch", "-q", other.path.to_str().unwrap(), "main:other"]);
    a.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "merge",
        "-q",
        "-s",
        "ours",
        "--allow-unrelated-histories",
        "other",
        "-m",
        "merge",
    ]);
    let copied = records::list::<Approval>(&other.repo()).unwrap().records.into_iter().find(|s| s.id == approval);
    records::add(&a.repo(), &copied.unwrap().record).unwrap();
    a.git(&["push", "-q", "origin", "feature"]);
    a.sync();
}

#[test]
fn an_unrelated_older_root_does_not_make_another_repositorys_approvals_count() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let ours = record_repository_id(&world);
    let a = world.clone_as("a", "dev");
    let fingerprint = ai_feature(&a);
    let (other, foreign, approval) = older_repository(&world, &fingerprint);
    merge_older_root(&a, &other, &approval);
    // HEAD's oldest root is now the other repository's.
    let roots = a.git(&["rev-list", "--max-parents=0", "HEAD"]);
    assert!(roots.contains(&foreign) && roots.contains(&ours), "{roots}");

    let (code, report) = ci_verify(&world, "ci");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["repository"], ours.as_str());
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(
        details(failure),
        [format!(
            "approval by alice@example.com ({}) does not count: it was made in another repository (root {}, not {})",
            &approval[..10],
            &foreign[..10],
            &ours[..10]
        )]
    );
    // Local commands agree: the id comes from the committed policy.
    assert_eq!(a.repository_id(), ours);
}

#[test]
fn without_the_policy_key_verify_takes_the_root_of_base_and_says_so() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let a = world.clone_as("a", "dev");
    let ours = a.git(&["rev-list", "--max-parents=0", "HEAD"]).trim().to_string();
    let fingerprint = ai_feature(&a);
    let (other, foreign, approval) = older_repository(&world, &fingerprint);
    merge_older_root(&a, &other, &approval);

    let (code, report) = ci_verify(&world, "ci");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["repository"], ours.as_str());
    let failure = only_failure(&report, "unapproved-ai");
    assert!(details(failure)[0].contains(&format!("made in another repository (root {}", &foreign[..10])));
    let warnings: Vec<&str> = report["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(
        warnings.iter().any(|w| w.contains("does not name the repository")
            && w.contains(&format!("repository = \"{ours}\""))
            && w.contains("vouch init")),
        "{warnings:?}"
    );
}

#[test]
fn verify_request_approve_and_the_language_server_agree_on_the_repository_id() {
    let world = World::new("reviewers = [\"alice@example.com\"]\n");
    world.protect();
    let ours = record_repository_id(&world);
    // An older, unrelated history merged in on purpose (a subtree import):
    // the oldest root reachable from HEAD is no longer the repository id.
    let s = world.clone_as("s2", "dev");
    let (other, foreign, _) = older_repository(&world, &"00".repeat(32));
    s.git(&["fetch", "-q", other.path.to_str().unwrap(), "main:other"]);
    s.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "merge",
        "-q",
        "-s",
        "ours",
        "--allow-unrelated-histories",
        "other",
        "-m",
        "import",
    ]);
    s.git(&["push", "-q", "origin", "main"]);
    assert_ne!(foreign, ours);

    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}\npub fn mul(a: u32, b: u32) -> u32 {{\n    a * b\n}}\n"));
    a.commit("add add() and mul()", Some(TRAILER));
    assert_eq!(a.repository_id(), ours);
    let run = a.run(&["request", "src/lib.rs:5", "-m", "adds two numbers"]);
    assert_eq!(run.code, 0, "{run:?}");
    let requests = records::list::<Request>(&a.repo()).unwrap().records;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].record.repository, ours);

    // The language server, in the same clone, requests sign-off on mul().
    let uri = format!("file://{}", a.path.join("src/lib.rs").display());
    let env = [("HOME", a.home.to_str().unwrap()), ("GIT_CONFIG_GLOBAL", "/dev/null"), ("GIT_CONFIG_NOSYSTEM", "1")];
    let mut server = support::lsp::Server::start_with_env(&a.path, &["utf-16"], &env);
    let text = a.read("src/lib.rs");
    server.open(&uri, "rust", &text);
    let diags = server.diagnostics(&uri, 1);
    assert!(!diags.is_empty(), "the AI unit is shown");
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": support::lsp::range(9, 0, 9, 0), "context": { "diagnostics": diags } }),
    );
    let request = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("request"))
        .unwrap_or_else(|| panic!("no request action: {actions}"));
    let mut command = request["command"].clone();
    command["arguments"][0]["rationale"] = json!("asked from the editor");
    let reply = server.request(
        "workspace/executeCommand",
        json!({ "command": command["command"], "arguments": command["arguments"] }),
    );
    assert!(reply.as_str().unwrap_or_default().contains("requested sign-off"), "{reply}");
    server.shutdown();
    let requests = records::list::<Request>(&a.repo()).unwrap().records;
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests.iter().all(|r| r.record.repository == ours), "{requests:?}");
    a.git(&["push", "-q", "origin", "feature"]);
    a.sync();

    // The reviewer approves both from the command line.
    let r = world.clone_as("r", "alice");
    r.sync();
    r.git(&["checkout", "-q", "feature"]);
    for request in &requests {
        let run = r.run(&["approve", &request.id, "--yes"]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let approvals = records::list::<Approval>(&r.repo()).unwrap().records;
    assert_eq!(approvals.len(), 2);
    assert!(approvals.iter().all(|a| a.record.repository == ours), "{approvals:?}");
    r.sync();

    let (code, report) = ci_verify(&world, "ci");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["repository"], ours.as_str());
}

/// A note on `commit` saying an AI tool wrote lines `ai` of src/lib.rs.
fn note_record(clone: &Clone, commit: Oid, tool: &str) -> NoteRecord {
    let repo = clone.repo();
    let blob = repo.find_commit(commit).unwrap().tree().unwrap().get_path(Path::new("src/lib.rs")).unwrap().id();
    NoteRecord::File(FileRecord {
        path: "src/lib.rs".into(),
        blob: blob.to_string(),
        ai: vec![[5, 7]],
        origin: vouch::provenance::AiSource { tool: tool.into(), model: None, session: None, kind: None },
        evidence: vouch::provenance::Evidence::AgentHook,
        accepted_by: None,
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    })
}

#[test]
fn sync_keeps_unpushed_notes_whatever_fetch_refspecs_say() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let a = world.clone_as("a", "dev");
    let commit = a.ai_feature();
    a.git(&["push", "-q", "origin", "feature"]);
    // Someone else's note on the commit reaches the remote first.
    let b = world.clone_as("b", "bob");
    b.git(&["fetch", "-q", "origin", "feature"]);
    notes::write_note(&b.repo(), commit, &[note_record(&b, commit, "copilot")]).unwrap();
    b.sync();
    // A has the common refspec that mirrors every note ref, and a note of
    // its own that it has not pushed.
    a.git(&["config", "--add", "remote.origin.fetch", "+refs/notes/*:refs/notes/*"]);
    notes::write_note(&a.repo(), commit, &[note_record(&a, commit, "claude")]).unwrap();
    let out = a.sync();
    assert!(!out.contains("refs/notes/vouch: fetched, nothing new"), "{out}");
    assert!(out.contains("overwrites local vouch refs"), "the refspec is named: {out}");
    let note = notes::read_note(&a.repo(), commit).unwrap().unwrap();
    assert_eq!(note, vec![note_record(&a, commit, "claude"), note_record(&a, commit, "copilot")]);
    // And the remote has both.
    let c = world.clone_as("c", "dev");
    c.sync();
    assert_eq!(notes::read_note(&c.repo(), commit).unwrap().unwrap().len(), 2);
}

/// A clone set up with `vouch init`, on a feature branch with Claude's code
/// committed through vouch's hooks.
fn initialised_feature(world: &World, dir: &str) -> Clone {
    // The repository id is recorded in the policy on main first: a clone's
    // `vouch init` writing it there is a policy change, which the gate (as
    // verify) refuses without a reviewer's sign-off.
    record_repository_id(world);
    let a = world.clone_as(dir, "dev");
    let run = a.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    a.git(&["add", "-A"]);
    let run = a.git_run(&["commit", "-q", "-m", &format!("add add()\n\n{TRAILER}\n")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(a.git_run(&["notes", "--ref=vouch", "show", "HEAD"]).code == 0, "the post-commit hook wrote a note");
    a
}

#[test]
fn a_plain_git_push_carries_the_notes_and_records() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let a = initialised_feature(&world, "a");
    let run = a.run(&["request", "src/lib.rs:5", "-m", "adds two numbers"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = a.git_run(&["push", "origin", "feature"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("vouch: shared"), "{run:?}");
    let head = a.head().to_string();
    assert!(world.remote_git(&["notes", "--ref=vouch", "list"]).contains(&head), "the note reached the remote");
    let listed = world.remote_git(&["ls-tree", "-r", "--name-only", RECORDS_BRANCH]);
    assert!(listed.contains("requests/"), "{listed}");
    let (code, report) = ci_verify(&world, "ci");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["coverage"]["with_note"], 1, "{report:#}");
}

#[test]
fn a_push_goes_on_when_sharing_fails_and_says_so() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let a = initialised_feature(&world, "a");
    // The remote refuses any update of vouch's refs (a hook standing in for
    // a protection rule that is too strict, or a network hiccup).
    let hook = world.remote().join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\nwhile read old new ref; do case $ref in refs/notes/*|refs/heads/vouch-records) echo \"no: $ref\" >&2; exit 1;; esac; done\nexit 0\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = a.git_run(&["push", "origin", "feature"]);
    assert_eq!(run.code, 0, "the push itself went through: {run:?}");
    assert!(run.stderr.contains("vouch: warning: could not share notes and records with origin"), "{run:?}");
    assert!(run.stderr.contains("run `vouch sync origin`"), "{run:?}");
    assert!(world.remote_git(&["branch", "--list", "feature"]).contains("feature"));
}

#[test]
fn the_starter_policy_fails_closed_on_commits_without_provenance() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let s = world.clone_as("s", "dev");
    std::fs::remove_file(s.path.join(".vouch.toml")).unwrap();
    s.commit("no policy yet", None);
    let run = s.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    let policy = s.read(".vouch.toml");
    assert!(policy.contains("\nrequire_attestation = true\n"), "{policy}");
    let root = s.git(&["rev-list", "--max-parents=0", "HEAD"]).trim().to_string();
    assert!(policy.contains(&format!("\nrepository = \"{root}\"\n")), "{policy}");
    s.commit("policy", None);
    s.git(&["push", "-q", "origin", "main"]);

    // A clone without vouch's hooks commits; its commit has no note.
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    a.commit("add add()", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(only_failure(&report, "missing-attestation")["rule"], "missing-attestation");
}

#[test]
fn doctor_and_the_gate_notice_a_clone_that_is_not_set_up() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    record_repository_id(&world);
    let a = world.clone_as("a", "dev");
    let run = a.run(&["doctor"]);
    assert_eq!(run.code, 1, "{run:?}");
    for hook in ["pre-commit", "post-commit", "post-rewrite", "pre-push"] {
        assert!(
            run.stdout.contains(&format!("FAIL  hook {hook}: .git/hooks/{hook} is missing\n      fix: vouch init")),
            "{run:?}"
        );
    }
    assert!(run.stdout.contains("FAIL  notes config"), "{run:?}");
    let run = a.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = a.run(&["doctor"]);
    assert_eq!(run.code, 0, "{run:?}");

    // A rebase would now drop notes, and pushes would not carry them: the
    // gate says so on the next commit, with what to run.
    a.git(&["config", "--unset-all", "notes.rewriteRef"]);
    std::fs::remove_file(a.path.join(".git/hooks/pre-push")).unwrap();
    a.write("README", "hello\n");
    a.git(&["add", "README"]);
    let run = a.git_run(&["commit", "-q", "-m", "readme"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("vouch: warning: this clone is not set up"), "{run:?}");
    assert!(run.stderr.contains("notes.rewriteRef"), "{run:?}");
    assert!(run.stderr.contains("pre-push"), "{run:?}");
    assert!(run.stderr.contains("run `vouch init`"), "{run:?}");
    let run = a.run(&["doctor"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("FAIL  hook pre-push"), "{run:?}");
}

#[test]
fn a_branch_named_vouch_does_not_clash_with_the_records_branch() {
    let world = World::new(SIGNED_POLICY);
    world.protect();
    let a = world.clone_as("a", "dev");
    a.git(&["branch", "vouch"]);
    a.git(&["push", "-q", "origin", "vouch"]);
    world.decide(&a, &"ab".repeat(32), Decision::by("alice"));
    let out = a.sync();
    assert!(out.contains(&format!("{RECORDS_BRANCH}: origin does not have it, pushed")), "{out}");
    let branches = world.remote_git(&["branch", "--list"]);
    assert!(branches.contains(" vouch\n") && branches.contains(" vouch-records\n"), "{branches}");
    assert_eq!(
        [Kind::Request.dir(), Kind::Approval.dir(), Kind::Override.dir()],
        ["requests", "approvals", "overrides"]
    );
}

/// The approvals blame names for the unit of the feature's `add`.
fn blamed_approvers(clone: &Clone) -> (Vec<String>, String) {
    let out = clone.vouch(&["blame", "src/lib.rs", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let units = report["units"].as_array().unwrap_or_else(|| panic!("no units: {report:#}"));
    let approvers = units.iter().flat_map(|u| u["approved_by"].as_array().unwrap().iter());
    (approvers.map(|e| e.as_str().unwrap().to_string()).collect(), stderr)
}

/// The records cache (`.git/vouch/cache/`) is derived data that anything
/// with write access to `.git` can change. A record in it that does not
/// hash to its id is not believed: the reader goes to the records branch
/// and says why. Played on blame, which reads the cache by key: bob's
/// approval, whose reviewer was changed inside the cache to eve, is still
/// bob's.
#[test]
fn a_record_changed_inside_the_records_cache_is_read_from_the_branch() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    let fingerprint = ai_feature(&a);
    world.decide(&a, &fingerprint, Decision::by("bob"));
    let (approvers, _) = blamed_approvers(&a);
    assert_eq!(approvers, [email("bob")]);

    let cache = a.path.join(".git/vouch/cache/approval.keyed");
    let bytes = std::fs::read(&cache).expect("blame kept the records cache");
    let at = bytes.windows(15).position(|w| w == email("bob").as_bytes()).expect("bob's approval is in the cache");
    let mut changed = bytes.clone();
    changed[at..at + 3].copy_from_slice(b"eve");
    std::fs::write(&cache, &changed).unwrap();

    let (approvers, stderr) = blamed_approvers(&a);
    assert_eq!(approvers, [email("bob")], "the changed record is not believed");
    assert!(stderr.contains("the records cache") && stderr.contains("is damaged"), "{stderr}");
}

/// The records cache files of `clone`, as bytes.
fn records_cache(clone: &Clone) -> Vec<(String, Vec<u8>)> {
    let dir = clone.path.join(".git/vouch/cache");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "keyed" || x == "delta"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

/// `vouch sync` reads the records it brought in, so that the next commit's
/// gate (or any command) finds the records cache up to date and writes
/// nothing.
#[test]
fn sync_brings_the_records_cache_up_to_date() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    let fingerprint = ai_feature(&a);
    let run = a.run(&["status"]);
    assert_eq!(run.code, 0, "{run:?}");
    let b = world.clone_as("b", "bob");
    world.decide(&b, &fingerprint, Decision::by("bob"));
    b.sync();
    a.sync();
    let synced = records_cache(&a);
    assert!(
        synced.iter().any(|(name, _)| name == "approval.delta"),
        "{:?}",
        synced.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let run = a.run(&["status"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(records_cache(&a), synced, "status found the cache up to date and wrote nothing");
}

/// Red team (rt27a C1, A6): a CI job that fetched the notes but not the
/// records, or fetched the records branch with plain git (its clone has
/// `refs/remotes/origin/vouch-records`) without merging it into its own,
/// judged with records that were not there: an approved unit failed as
/// "not requested", and a reject made since passed unseen. Records that
/// this clone has fetched and not read are refused, naming them and the
/// command that reads them.
#[test]
fn records_fetched_here_and_not_read_are_refused() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    let fingerprint = ai_feature(&a);
    a.git(&["push", "-q", "origin", "feature"]);
    let b = world.clone_as("b", "alice");
    world.decide(&b, &fingerprint, Decision::by("bob"));
    b.sync();
    // A clone: git brings the records branch as a remote-tracking branch.
    let ci = world.clone_as("ci", "ci");
    ci.git(&["checkout", "-q", "feature"]);
    let (code, text) = ci.verify_text("origin/main..HEAD");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("refs/remotes/origin/vouch-records") && text.contains("vouch sync"), "{text}");
    assert_eq!(ci.run(&["sync", "--no-push"]).code, 0);
    assert_eq!(ci.verify("origin/main..HEAD").0, 0, "approved");
    // A reject made since, fetched by plain git and not merged.
    world.decide(&b, &fingerprint, Decision { verdict: Verdict::Reject, ..Decision::by("alice") });
    b.sync();
    ci.git(&["fetch", "-q", "origin"]);
    let (code, text) = ci.verify_text("origin/main..HEAD");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("refs/remotes/origin/vouch-records"), "{text}");
    assert_eq!(ci.run(&["sync", "--no-push"]).code, 0);
    assert_eq!(ci.verify("origin/main..HEAD").0, 1, "rejected");
    // Round two (rt27d B2): another project's records, fetched from a
    // remote vouch never synced with (an upstream that uses vouch too), are
    // not this team's to read.
    let upstream = world.root.join("upstream.git");
    Command::new("git").args(["init", "-q", "--bare"]).arg(&upstream).status().unwrap();
    let other = ci.git(&["commit-tree", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "-m", "their records"]);
    ci.git(&["push", "-q", upstream.to_str().unwrap(), &format!("{}:refs/heads/vouch-records", other.trim())]);
    ci.git(&["remote", "add", "upstream", upstream.to_str().unwrap()]);
    ci.git(&["fetch", "-q", "upstream"]);
    assert!(!ci.git(&["rev-parse", "--verify", "-q", "refs/remotes/upstream/vouch-records"]).trim().is_empty());
    assert_eq!(ci.verify("origin/main..HEAD").0, 1, "judged with the team's records, as before");
}

/// Red team (rt28a F5): several `vouch sync` at once in one clone (two
/// pushes' pre-push hooks and an editor's) failed with git's "cannot lock
/// ref refs/vouch-remote/..." and some put refs/notes/vouch back over what
/// another had just merged. Syncs of one clone take their turn.
#[test]
fn several_syncs_at_once_in_one_clone_take_their_turn() {
    let world = World::new(SIGNED_POLICY);
    let a = world.clone_as("a", "dev");
    let b = world.clone_as("b", "bob");
    a.sync();
    for round in 0..5 {
        // The remote moves on: another clone's note and record.
        b.write("NOTES.md", &format!("round {round}\n"));
        let commit = b.commit(&format!("round {round}"), None);
        notes::write_note(&b.repo(), commit, &[NoteRecord::NoAi]).unwrap();
        b.git(&["push", "-q", "origin", "HEAD:main"]);
        world.decide(&b, &format!("{round:064x}"), Decision::by("alice"));
        b.sync();
        let start = std::sync::Barrier::new(4);
        let outputs: Vec<std::process::Output> = std::thread::scope(|scope| {
            let runs: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        a.vouch(&["sync"])
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        for out in outputs {
            let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "round {round}: {said}");
            assert!(!said.contains("put it back"), "round {round}: {said}");
        }
    }
}
