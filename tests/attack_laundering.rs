//! Laundering AI origin through history, end to end: an author who wants AI
//! code merged without a senior's approval rewrites history on their side
//! (whitespace, re-indentation, rewording, moves, evil and unrelated
//! merges, contradicting notes, bytes vouch might not read), and
//! `vouch verify` must still find the AI units and name them. Each attack
//! has its honest counterpart: human edits stay human, and approving the
//! final units is enough.
//!
//! The real `vouch` binary, real git and real `ssh-keygen`, under the strict
//! signed policy of docs/trust.md.

mod support {
    pub mod run;
    pub mod world;
}

use git2::Oid;
use serde_json::Value;
use support::world::{AI_FN, BASE_LIB, Clone, Decision, SIGNED_POLICY, TRAILER, World, failures, only_failure};
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{self, FileRecord, NoteRecord};

/// A world whose `main` has `src/lib.rs` = [`BASE_LIB`], and a clone of it
/// acting as `who` on branch `feature`.
fn start(policy: &str, who: &str) -> (World, Clone) {
    let world = World::new(policy);
    let a = world.clone_as("a", who);
    a.git(&["checkout", "-q", "-b", "feature"]);
    (world, a)
}

/// Claude's `add` appended to src/lib.rs (lines 5-7), with the trailer and a
/// vouch note that says so.
fn ai_commit(a: &Clone) -> Oid {
    a.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    let commit = a.commit("add add()", Some(TRAILER));
    let record = NoteRecord::File(FileRecord {
        path: "src/lib.rs".into(),
        blob: a.blob(commit, "src/lib.rs").to_string(),
        ai: vec![[5, 7]],
        origin: AiSource { tool: "claude".into(), model: None, session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: None,
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    });
    notes::write_note(&a.repo(), commit, &[record]).unwrap();
    commit
}

/// A commit with no AI evidence, attested `no-ai` by a vouch note.
fn no_ai_commit(a: &Clone, subject: &str) -> Oid {
    let commit = a.commit(subject, None);
    notes::write_note(&a.repo(), commit, &[NoteRecord::NoAi]).unwrap();
    commit
}

/// The one failure, which must be about the AI function `name` in `path`.
fn ai_unit_failure<'a>(report: &'a Value, path: &str, name: &str) -> &'a Value {
    let failure = only_failure(report, "unapproved-ai");
    assert_eq!(failure["path"], path, "{report:#}");
    assert_eq!(failure["kind"], "function", "{report:#}");
    assert_eq!(failure["name"], name, "{report:#}");
    failure
}

fn commits_of(failure: &Value) -> Vec<String> {
    failure["commits"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()
}

fn attested_policy() -> String {
    format!("{SIGNED_POLICY}require_attestation = true\n")
}

/// A later commit rewrites Claude's lines as `rewrite` says; verify must
/// still find the AI function, tied to both commits, and pass once someone
/// who touched neither approves it.
fn laundered(rewrite: &str) {
    let (world, a) = start(&attested_policy(), "dev");
    let ai = ai_commit(&a);
    a.write("src/lib.rs", &format!("{BASE_LIB}{rewrite}"));
    let launder = no_ai_commit(&a, "tidy");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = ai_unit_failure(&report, "src/lib.rs", "add");
    assert_eq!(failure["line"], 5);
    let commits = commits_of(failure);
    assert!(commits.contains(&ai.to_string()) && commits.contains(&launder.to_string()), "{failure:#}");

    let fingerprint = failure["fingerprint"].as_str().unwrap();
    world.decide(&a, fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["approved"][0]["by"][0], "alice@example.com");
}

#[test]
fn a_trailing_space_on_every_ai_line_keeps_it_ai() {
    laundered("\npub fn add(a: u32, b: u32) -> u32 { \n    a + b \n} \n");
}

#[test]
fn re_indenting_ai_lines_keeps_them_ai() {
    laundered("\n    pub fn add(a: u32, b: u32) -> u32 {\n        a + b\n    }\n");
}

#[test]
fn rewording_ai_lines_in_place_keeps_them_ai() {
    laundered("\npub fn add(x: u32, y: u32) -> u32 {\n    x + y\n} // sum\n");
}

#[test]
fn moving_ai_lines_to_another_file_keeps_them_ai() {
    let (world, a) = start(&attested_policy(), "dev");
    let ai = ai_commit(&a);
    a.write("src/lib.rs", BASE_LIB);
    a.write("src/math.rs", &format!("// Arithmetic.\n{}", AI_FN.replace("    a + b", "\ta + b")));
    let moved = no_ai_commit(&a, "move add() to its own module");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = ai_unit_failure(&report, "src/math.rs", "add");
    let commits = commits_of(failure);
    assert!(commits.contains(&ai.to_string()) && commits.contains(&moved.to_string()), "{failure:#}");
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("bob"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Red team (rt25a A2): AI text stayed AI when moved, not when copied. An
/// AI's code written where no sign-off is asked (an exempt path), then
/// copied by a person into the code that needs one, landed there as the
/// person's. AI text the range wrote that stands elsewhere at HEAD is AI
/// wherever a copy of it stands too: four lines of it in a row (fewer are
/// boilerplate, which a person writes as well).
#[test]
fn copying_ai_lines_out_of_an_exempt_path_keeps_them_ai() {
    const GRANT: &str = "\npub fn grant(user: &User, doc: &Doc) -> bool {\n    let owner = doc.owner();\n    log::info!(\"granting {}\", user.id);\n    owner == user.id || user.is_admin()\n}\n";
    // A house header and imports, the same in the AI's file and the
    // person's: what anyone writes, no copy.
    const HEADER: &str = "// Copyright 2024 Example Corp.\n// SPDX-License-Identifier: Apache-2.0\n// Licensed under the Apache License, Version 2.0;\n// see LICENSE in the project root.\nuse crate::auth::User;\nuse crate::docs::Doc;\nuse crate::log;\nuse crate::store;\n";
    let (world, a) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
    a.write("vendor/grant.rs", &format!("{HEADER}{GRANT}"));
    a.commit("vendored grant", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "exempt: {report:#}");
    // A person's own function that shares two lines with it is theirs.
    let own = "\npub fn owner(doc: &Doc) -> u64 {\n    let owner = doc.owner();\n    log::info!(\"granting {}\", user.id);\n    owner.id\n}\n";
    a.write("src/lib.rs", &format!("{BASE_LIB}{own}"));
    a.write("src/owner.rs", &format!("{HEADER}{own}"));
    no_ai_commit(&a, "add owner()");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    a.git(&["rm", "-q", "src/owner.rs"]);
    no_ai_commit(&a, "one owner() is enough");
    // The AI's function copied whole.
    a.write("src/lib.rs", &format!("{BASE_LIB}{own}{GRANT}"));
    let copied = no_ai_commit(&a, "add grant()");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = ai_unit_failure(&report, "src/lib.rs", "grant");
    assert!(commits_of(failure).contains(&copied.to_string()), "{failure:#}");
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

const CHARGE: &str = "pub fn charge(card: &Card, amount: u64) -> bool {\n    log::info!(\"charging {}\", card.id);\n    gateway::charge(card, amount * 0)\n}\n";

/// A symbolic link, `at` -> `to`, committed by a person with a "no AI"
/// note.
fn link_commit(a: &Clone, at: &str, to: &str) -> Oid {
    let path = a.path.join(at);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(to, &path).unwrap();
    no_ai_commit(a, "link it")
}

/// Red team (rt28c A1): a copy of AI code out of an exempt path is AI
/// where it lands, but a symbolic link to it was a one-line file of a
/// person's: CI's checkout of `src/grant.rs` ran the AI's code, and
/// nobody was asked. A link the range adds or changes is judged as the
/// text it leads to, under the rules of the link's own path.
#[test]
fn a_link_to_ai_code_in_an_exempt_path_is_judged_where_it_stands() {
    let (world, a) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
    a.write("vendor/charge.rs", CHARGE);
    a.commit("vendored charge", Some(TRAILER));
    assert_eq!(a.verify("origin/main..HEAD").0, 0, "exempt");
    let linked = link_commit(&a, "src/charge.rs", "../vendor/charge.rs");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = ai_unit_failure(&report, "src/charge.rs", "charge");
    assert!(commits_of(failure).iter().all(|c| *c != linked.to_string()), "the link wrote none of it: {failure:#}");
    let details = failure["details"].to_string();
    assert!(details.contains("symbolic link on the way to vendor/charge.rs"), "{failure:#}");
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// The same through a link to a directory, and a chain of links.
#[test]
fn a_link_to_a_directory_of_exempt_ai_code_is_judged_where_it_stands() {
    let (_world, a) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
    a.write("vendor/pay/charge.rs", CHARGE);
    a.commit("vendored charge", Some(TRAILER));
    link_commit(&a, "third_party", "vendor");
    link_commit(&a, "src/pay", "../third_party/pay");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    // Both links put the AI's function where no exemption holds.
    let at: Vec<(&str, &str)> =
        failures(&report).iter().map(|f| (f["path"].as_str().unwrap(), f["name"].as_str().unwrap())).collect();
    assert_eq!(at, [("src/pay/charge.rs", "charge"), ("third_party/pay/charge.rs", "charge")], "{report:#}");
    // A link that leaves the repository, or leads nowhere, brings no code.
    let (_world, b) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
    link_commit(&b, "src/outside", "../../../etc/passwd");
    link_commit(&b, "src/absolute", "/etc/passwd");
    link_commit(&b, "src/loop", "loop");
    link_commit(&b, "src/missing", "nothing/here");
    let (code, report) = b.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Round two (rt28d L1, L2, L3): links the first version did not follow.
/// A link that stood before the range, to a file the range gives AI text;
/// a link to a directory that holds a link; a link that climbs out of the
/// repository and comes back in through the checkout's own directory, or
/// names it by an absolute path.
#[test]
fn every_link_that_brings_ai_code_is_followed() {
    let policy = format!("exempt = [\"/vendor/\", \"/third_party/\"]\n{SIGNED_POLICY}");
    // L1: the link is on main; the agent writes in the range.
    let world = World::new(&policy);
    let admin = world.clone_as("admin", "carol");
    admin.write("vendor/charge.rs", "pub fn charge() {}\n");
    admin.commit("vendored", None);
    let path = admin.path.join("src/charge.rs");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("../vendor/charge.rs", &path).unwrap();
    admin.commit("link it", None);
    admin.git(&["push", "-q", "origin", "main"]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("vendor/charge.rs", CHARGE);
    a.commit("vendored charge", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    ai_unit_failure(&report, "src/charge.rs", "charge");

    // L2: src/lib -> ../vendor, vendor/tp -> ../third_party.
    let (_world, b) = start(&policy, "dev");
    b.write("third_party/run.rs", CHARGE);
    b.commit("third party", Some(TRAILER));
    link_commit(&b, "vendor/tp", "../third_party");
    link_commit(&b, "src/lib", "../vendor");
    let (code, report) = b.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    ai_unit_failure(&report, "src/lib/tp/run.rs", "charge");

    // L3: back in through the checkout's directory (`b`), and by its
    // absolute path.
    let (_world, c) = start(&policy, "dev");
    c.write("vendor/charge.rs", CHARGE);
    c.commit("vendored charge", Some(TRAILER));
    link_commit(&c, "src/again.rs", "../../a/vendor/charge.rs");
    let absolute = c.path.canonicalize().unwrap().join("vendor/charge.rs");
    link_commit(&c, "src/absolute.rs", absolute.to_str().unwrap());
    let (code, report) = c.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let mut at: Vec<&str> = failures(&report).iter().map(|f| f["path"].as_str().unwrap()).collect();
    at.sort();
    assert_eq!(at, ["src/absolute.rs", "src/again.rs"], "{report:#}");
}

/// Red team (rt28c A2): a submodule whose URL is the repository itself,
/// pointing at an agent's commit pushed on a side branch and never merged.
/// The agent's commit was outside the range and the gitlink a person's:
/// verify passed, and `git submodule update --init` checked the AI code
/// out. A gitlink to a commit of this repository that BASE does not reach
/// brings the commits it holds: with AI evidence among them, the
/// submodule's unit needs sign-off.
#[test]
fn a_submodule_pointing_into_this_repository_brings_its_ai_commits() {
    let (world, a) = start(SIGNED_POLICY, "dev");
    a.git(&["checkout", "-q", "-b", "ai-scratch"]);
    a.write("src/evil.rs", CHARGE);
    let side = a.commit("agent: helper", Some(TRAILER));
    a.git(&["push", "-q", "origin", "ai-scratch"]);
    a.git(&["checkout", "-q", "-b", "feature2", "origin/main"]);
    a.write(".gitmodules", "[submodule \"lib\"]\n\tpath = lib\n\turl = ./\n");
    // A submodule not checked out: its directory, empty.
    std::fs::create_dir_all(a.path.join("lib")).unwrap();
    a.git(&["update-index", "--add", "--cacheinfo", &format!("160000,{side},lib")]);
    a.git(&["add", ".gitmodules"]);
    no_ai_commit(&a, "add lib");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!((failure["path"].as_str(), failure["kind"].as_str()), (Some("lib"), Some("submodule")), "{report:#}");
    assert!(failure["details"].to_string().contains(&side.to_string()[..10]), "names the AI commit: {failure:#}");
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Red team (rt28c A3): AI code alice may approve where it was written
/// (src/util/) made the code of a path only bob may approve
/// (src/payments/) by a link: verify passed on alice's approval.
#[test]
fn a_link_into_a_stricter_path_needs_its_reviewers() {
    let policy =
        format!("{SIGNED_POLICY}\n[[rules]]\npaths = [\"src/payments/\"]\nreviewers = [\"bob@example.com\"]\n");
    let (world, a) = start(&policy, "dev");
    a.write("src/util/charge.rs", CHARGE);
    a.commit("add charge()", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = ai_unit_failure(&report, "src/util/charge.rs", "charge");
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
    link_commit(&a, "src/payments/charge.rs", "../util/charge.rs");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    ai_unit_failure(&report, "src/payments/charge.rs", "charge");
    // Round two (rt28d L4): bob approves where verify says, at the link;
    // the unit is decided on at the file it leads to.
    a.act_as("bob");
    a.git(&["config", "gpg.format", "ssh"]);
    a.git(&["config", "user.signingkey", world.key("bob").to_str().unwrap()]);
    let run = a.run(&["approve", "src/payments/charge.rs:1", "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("symbolic link to src/util/charge.rs"), "{run:?}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn an_evil_merge_that_rewrites_ai_lines_keeps_them_ai() {
    let (world, a) = start(SIGNED_POLICY, "dev");
    a.git(&["checkout", "-q", "-b", "side", "origin/main"]);
    a.write("README", "side work\n");
    a.commit("readme", None);
    a.git(&["checkout", "-q", "feature"]);
    let ai = ai_commit(&a);
    // The merge takes the README, and rewrites Claude's lines on its own.
    a.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    a.write("src/lib.rs", &format!("{BASE_LIB}\npub fn add(a: u32, b: u32) -> u32 {{ \n    a + b \n}} \n"));
    a.git(&["add", "-A"]);
    a.git(&["commit", "-q", "--no-verify", "--no-edit"]);
    let merge = a.head();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = ai_unit_failure(&report, "src/lib.rs", "add");
    let commits = commits_of(failure);
    assert!(commits.contains(&ai.to_string()) && commits.contains(&merge.to_string()), "{failure:#}");
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
}

#[test]
fn an_ours_merge_of_an_unrelated_ai_history_does_not_launder_its_text() {
    let (_world, a) = start(SIGNED_POLICY, "dev");
    // The agent works on a history of its own...
    a.git(&["checkout", "-q", "--orphan", "agent"]);
    a.git(&["rm", "-q", "-rf", "."]);
    a.write("src/ai.rs", AI_FN.trim_start());
    a.commit("agent work", Some(TRAILER));
    // ...which is merged with `-s ours` (its text dropped), and the text is
    // then committed again as if a person wrote it.
    a.git(&["checkout", "-q", "feature"]);
    a.git(&["merge", "-q", "-s", "ours", "--allow-unrelated-histories", "-m", "merge agent", "agent"]);
    a.write("src/ai.rs", AI_FN.trim_start());
    a.commit("add ai.rs", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    ai_unit_failure(&report, "src/ai.rs", "add");
}

#[test]
fn a_git_ai_note_claiming_human_never_outranks_a_claude_trailer() {
    let (world, a) = start(SIGNED_POLICY, "dev");
    a.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    let commit = a.commit("add add()", Some(TRAILER));
    let note = format!(
        "src/lib.rs\n  h_0123456789abcd 1-7\n---\n{{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"{commit}\",\
         \"prompts\":{{}},\"humans\":{{\"h_0123456789abcd\":{{\"author\":\"dev <dev@example.com>\"}}}}}}\n"
    );
    a.write_bytes("../ai-note", note.as_bytes());
    let note_file = a.path.join("../ai-note");
    a.git(&["notes", "--ref=ai", "add", "-F", note_file.to_str().unwrap(), &commit.to_string()]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    ai_unit_failure(&report, "src/lib.rs", "add");
    // Coverage names the evidence the commit carries.
    let evidence = &report["coverage"]["provenance"][commit.to_string()];
    assert_eq!(evidence, &serde_json::json!(["trailer: claude", "git-ai note"]), "{report:#}");
    world.decide(&a, failures(&report)[0]["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
}

#[test]
fn control_characters_do_not_make_a_file_unread() {
    let (world, a) = start(&attested_policy(), "dev");
    let hidden = "\u{1}".repeat(10);
    a.write(
        "src/lib.rs",
        &format!("{BASE_LIB}\npub fn add(a: u32, b: u32) -> u32 {{\n    // {hidden}\n    a + b\n}}\n"),
    );
    let commit = a.commit("add add()", Some(TRAILER));
    notes::write_note(&a.repo(), commit, &[NoteRecord::NoAi]).unwrap();
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("not read"), "{text}");
    let (_, report) = a.verify("origin/main..HEAD");
    let list = failures(&report);
    let unit = list.iter().find(|f| f["rule"] == "unapproved-ai").expect("the AI unit fails");
    assert_eq!(
        (&unit["path"], &unit["kind"], &unit["name"]),
        (&"src/lib.rs".into(), &"function".into(), &"add".into())
    );
    // The `no-ai` note contradicts the trailer.
    assert!(list.iter().any(|f| f["rule"] == "note-mismatch"), "{report:#}");
    world.decide(&a, unit["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    let (_, report) = a.verify("origin/main..HEAD");
    assert_eq!(only_failure(&report, "note-mismatch")["commits"][0], commit.to_string());
}

#[test]
fn a_latin1_file_is_one_unit_that_needs_approval() {
    let (world, a) = start(SIGNED_POLICY, "dev");
    let mut bytes = format!("{BASE_LIB}{AI_FN}").into_bytes();
    bytes.extend_from_slice(b"// caf\xe9\n");
    a.write_bytes("src/lib.rs", &bytes);
    a.commit("add add()", Some(TRAILER));
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("not read"), "{text}");
    let (_, report) = a.verify("origin/main..HEAD");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], "src/lib.rs");
    assert_eq!(failure["kind"], "file");
    assert_eq!(failure["fingerprint"], vouch::fingerprint::file_fingerprint(&bytes));
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("bob"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
}

#[test]
fn a_submodule_bump_with_a_trailer_needs_approval() {
    let (world, a) = start(SIGNED_POLICY, "dev");
    let old = "1".repeat(40);
    let new = "2".repeat(40);
    a.git(&["checkout", "-q", "main"]);
    a.git(&["update-index", "--add", "--cacheinfo", &format!("160000,{old},vendor/dep")]);
    a.git(&["commit", "-q", "--no-verify", "-m", "vendor dep"]);
    a.git(&["push", "-q", "origin", "main"]);
    a.git(&["checkout", "-q", "-B", "feature"]);
    a.git(&["update-index", "--cacheinfo", &format!("160000,{new},vendor/dep")]);
    a.git(&["commit", "-q", "--no-verify", "-m", &format!("bump dep\n\n{TRAILER}\n")]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = only_failure(&report, "unapproved-ai");
    assert_eq!(failure["path"], "vendor/dep");
    assert_eq!(failure["kind"], "submodule");
    assert_eq!(failure["fingerprint"], vouch::fingerprint::submodule_fingerprint(&new));
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
}

#[test]
fn whoever_wrote_the_ai_lines_may_not_approve_them_after_someone_else_touched_them() {
    // Alice (a reviewer) commits Claude's code; Dev adds the trailing spaces.
    let (world, a) = start(SIGNED_POLICY, "alice");
    ai_commit(&a);
    a.act_as("dev");
    a.write("src/lib.rs", &format!("{BASE_LIB}\npub fn add(a: u32, b: u32) -> u32 {{ \n    a + b \n}} \n"));
    a.commit("tidy", None);
    let (_, report) = a.verify("origin/main..HEAD");
    let fingerprint = ai_unit_failure(&report, "src/lib.rs", "add")["fingerprint"].as_str().unwrap().to_string();
    world.decide(&a, &fingerprint, Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let details = ai_unit_failure(&report, "src/lib.rs", "add")["details"].to_string();
    assert!(details.contains("alice@example.com authored, committed or signed a commit of it"), "{details}");
    world.decide(&a, &fingerprint, Decision::by("bob"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
}

#[test]
fn a_person_reformatting_human_code_does_not_make_it_ai() {
    let (world, a) = start(&attested_policy(), "dev");
    // An approved AI function elsewhere...
    a.write("src/math.rs", AI_FN.trim_start());
    let commit = a.commit("add add()", Some(TRAILER));
    let record = NoteRecord::File(FileRecord {
        path: "src/math.rs".into(),
        blob: a.blob(commit, "src/math.rs").to_string(),
        ai: vec![[1, 3]],
        origin: AiSource { tool: "claude".into(), model: None, session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: None,
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    });
    notes::write_note(&a.repo(), commit, &[record]).unwrap();
    // ...and whitespace on the human function of BASE.
    a.write("src/lib.rs", "pub fn base() -> u32 { \n        1\n} \n");
    no_ai_commit(&a, "reformat");
    let (_, report) = a.verify("origin/main..HEAD");
    let units: Vec<&Value> = failures(&report).iter().filter(|f| f["rule"] == "unapproved-ai").collect();
    assert_eq!(units.len(), 1, "{report:#}");
    assert_eq!(units[0]["path"], "src/math.rs");
    world.decide(&a, units[0]["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["coverage"]["ai_lines"], 3, "{report:#}");
    assert_eq!(report["coverage"]["attested_lines"], 3, "{report:#}");
}

#[test]
fn an_ai_change_reverted_to_base_needs_no_approval() {
    let (_world, a) = start(SIGNED_POLICY, "dev");
    a.write("src/lib.rs", "pub fn base() -> u32 {\n    2\n}\n");
    a.commit("claude's change", Some(TRAILER));
    a.write("src/lib.rs", BASE_LIB);
    a.commit("revert", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["coverage"]["ai_lines"], 0, "{report:#}");
}

#[test]
fn a_no_ai_note_beside_a_git_ai_claim_of_ai_is_a_mismatch() {
    let (_world, a) = start(&attested_policy(), "dev");
    a.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    let commit = a.commit("add add()", None);
    let note = "src/lib.rs\n  abcd1234abcd1234 5-7\n---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\
                \"prompts\":{\"abcd1234abcd1234\":{\"agent_id\":{\"tool\":\"cursor\",\"id\":\"c\",\"model\":\"m\"}}}}\n";
    a.git(&["notes", "--ref=ai", "add", "-m", note, &commit.to_string()]);
    notes::write_note(&a.repo(), commit, &[NoteRecord::NoAi]).unwrap();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let mismatch = failures(&report).iter().find(|f| f["rule"] == "note-mismatch").expect("a note mismatch");
    assert_eq!(
        mismatch["reason"],
        format!(
            "the note on commit {} attests no AI text, but its git-ai note attributes lines to AI",
            &commit.to_string()[..10]
        )
    );
    assert!(failures(&report).iter().any(|f| f["rule"] == "unapproved-ai" && f["name"] == "add"), "{report:#}");
    // The coverage line counts the git-ai note as provenance.
    let (_, text) = a.verify_text("origin/main..HEAD");
    assert!(text.contains("coverage: 1 commit(s) (0 merge(s)), 1 with a vouch note, 0 without"), "{text}");
    assert!(text.contains("provenance: 1 with a git-ai note, 0 declaring AI"), "{text}");
}

/// The range lands on main as a pull request merged with a fast-forward,
/// and a new branch starts from it.
fn land_and_start_anew(a: &Clone, branch: &str) {
    a.git(&["push", "-q", "origin", "HEAD:main"]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["checkout", "-q", "-b", branch, "origin/main"]);
}

/// Red team (rt29a E1, E2): what one pull request cannot do, two did. An
/// agent's code lands where it needs nobody (an exempt path) or where
/// someone the policy trusts there approved it; a person's later pull
/// request moves or copies it into a path whose rules ask more. verify
/// read AI evidence only from the range's commits, so the text was BASE's
/// and needed nothing: the copy rule and the link rule held within one
/// range only. A file the range brings from another path of BASE (a
/// rename, or a copy of it whole) keeps the AI lines history gives it
/// there, judged where they now stand.
#[test]
fn ai_code_from_base_moved_or_copied_into_a_stricter_path_needs_its_reviewers() {
    // Long enough to be told from boilerplate when edited.
    const CHARGE6: &str = "pub fn charge(card: &Card, amount: u64) -> bool {\n    log::info!(\"charging {}\", card.id);\n    \
                           let fee = amount / 100;\n    audit::record(card.id, fee);\n    gateway::charge(card, amount * 0)\n}\n";
    for how in ["mv", "cp", "ln -s", "cp and edit", "mv and grow"] {
        let (world, a) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
        a.write("vendor/charge.rs", CHARGE6);
        a.commit("vendored charge", Some(TRAILER));
        assert_eq!(a.verify("origin/main..HEAD").0, 0, "exempt");
        land_and_start_anew(&a, "pr2");
        std::fs::create_dir_all(a.path.join("src")).unwrap();
        match how {
            "mv" => drop(a.git(&["mv", "vendor/charge.rs", "src/charge.rs"])),
            "cp" => drop(std::fs::copy(a.path.join("vendor/charge.rs"), a.path.join("src/charge.rs")).unwrap()),
            "ln -s" => std::os::unix::fs::symlink("../vendor/charge.rs", a.path.join("src/charge.rs")).unwrap(),
            // Round two (rt29d F4): a line added to the copy, and a move
            // grown past what git pairs as a rename.
            "cp and edit" => a.write("src/charge.rs", &format!("// payments\n{CHARGE6}")),
            _ => {
                a.git(&["mv", "vendor/charge.rs", "src/charge.rs"]);
                let more: String = (0..12).map(|i| format!("\npub fn f{i}() -> u32 {{\n    {i}\n}}\n")).collect();
                a.write("src/charge.rs", &format!("{CHARGE6}{more}"));
            }
        }
        let moved = no_ai_commit(&a, "move charge into src");
        let (code, report) = a.verify("origin/main..HEAD");
        assert_eq!(code, 1, "{how}: {report:#}");
        let failure = ai_unit_failure(&report, "src/charge.rs", "charge");
        let details = failure["details"].to_string();
        assert!(details.contains("vendor/charge.rs"), "{how}: says where it came from: {failure:#}");
        assert!(commits_of(failure).contains(&moved.to_string()), "{how}: {failure:#}");
        world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
        assert_eq!(a.verify("origin/main..HEAD").0, 0, "{how}");
    }

    // Approved by alice where she may, moved where only bob may.
    let policy =
        format!("{SIGNED_POLICY}\n[[rules]]\npaths = [\"src/payments/\"]\nreviewers = [\"bob@example.com\"]\n");
    let (world, a) = start(&policy, "dev");
    a.write("src/util/charge.rs", CHARGE);
    a.commit("add charge()", Some(TRAILER));
    let (_, report) = a.verify("origin/main..HEAD");
    let failure = ai_unit_failure(&report, "src/util/charge.rs", "charge");
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);
    land_and_start_anew(&a, "pr2");
    std::fs::create_dir_all(a.path.join("src/payments")).unwrap();
    a.git(&["mv", "src/util/charge.rs", "src/payments/charge.rs"]);
    no_ai_commit(&a, "move charge into payments");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    ai_unit_failure(&report, "src/payments/charge.rs", "charge");

    // A person's own file moved is still theirs.
    let (_world, a) = start(SIGNED_POLICY, "dev");
    a.write("src/util/mine.rs", CHARGE);
    no_ai_commit(&a, "mine");
    land_and_start_anew(&a, "pr2");
    a.git(&["mv", "src/util/mine.rs", "src/mine.rs"]);
    no_ai_commit(&a, "move mine");
    assert_eq!(a.verify("origin/main..HEAD").0, 0);

    // Round two (rt29d F8): an agent's code that landed (from before the
    // team took vouch up), moved where the same rules hold, needs nothing
    // it did not need where it stood: a refactor is no new review.
    let (_world, a) = start(SIGNED_POLICY, "dev");
    a.write("src/util/charge.rs", CHARGE);
    a.commit("charge, before vouch", Some(TRAILER));
    land_and_start_anew(&a, "pr2");
    a.git(&["mv", "src/util/charge.rs", "src/charge.rs"]);
    no_ai_commit(&a, "move charge");
    assert_eq!(a.verify("origin/main..HEAD").0, 0);

    // Round three (rt29f G6): a person's edit of a file BASE has at its
    // path is of that file's own history, however alike a file of its name
    // under other rules is.
    let (_world, a) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
    a.write("vendor/config.rs", CHARGE6);
    a.commit("vendored config", Some(TRAILER));
    a.write("src/config.rs", &CHARGE6.replace("amount * 0", "amount"));
    no_ai_commit(&a, "a person's config");
    land_and_start_anew(&a, "pr2");
    a.write("src/config.rs", &CHARGE6.replace("amount * 0", "amount * 1"));
    no_ai_commit(&a, "edit");
    assert_eq!(a.verify("origin/main..HEAD").0, 0);

    // Round two (rt29d F1, F2): a copy over a file BASE has, and a copy of
    // bytes BASE holds twice, at a path under the same rules (a person's
    // duplicate) and in the exempt one.
    for (over, twin) in [(true, false), (false, true)] {
        let (_world, a) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
        a.write("vendor/charge.rs", CHARGE);
        a.commit("vendored charge", Some(TRAILER));
        a.write("src/existing.rs", "pub fn existing() {}\n");
        if twin {
            a.write("attic/charge.rs", CHARGE);
        }
        no_ai_commit(&a, "a person's files");
        land_and_start_anew(&a, "pr2");
        let to = if over { "src/existing.rs" } else { "src/charge.rs" };
        std::fs::copy(a.path.join("vendor/charge.rs"), a.path.join(to)).unwrap();
        no_ai_commit(&a, "copy charge");
        let (code, report) = a.verify("origin/main..HEAD");
        assert_eq!(code, 1, "over {over}, twin {twin}: {report:#}");
        ai_unit_failure(&report, to, "charge");
    }
}

/// Red team (rt29f G3): verify asks a reviewer of the path AI code was
/// brought to for sign-off, but `vouch approve PATH:LINE` judged the unit
/// as the range's own lineage shows it (a person's move, no AI line) and
/// refused ("no AI-written unit"): an override was the only way to land the
/// move. The commands that act on the working tree find the same brought
/// lines verify does, so the reviewer verify names can approve them where
/// they stand, and the approval passes verify.
#[test]
fn ai_code_brought_from_another_path_is_approved_where_it_stands() {
    const CHARGE6: &str = "pub fn charge(card: &Card, amount: u64) -> bool {\n    log::info!(\"charging {}\", card.id);\n    \
                           let fee = amount / 100;\n    audit::record(card.id, fee);\n    gateway::charge(card, amount * 0)\n}\n";
    for how in ["mv", "cp", "cp and edit", "mv, not committed", "ln -s", "ln -s, one range"] {
        let (_world, a) = start("exempt = [\"/vendor/\"]\nreviewers = [\"alice@example.com\"]\n", "dev");
        a.write("vendor/charge.rs", CHARGE6);
        a.commit("vendored charge", Some(TRAILER));
        if how != "ln -s, one range" {
            land_and_start_anew(&a, "pr2");
        }
        std::fs::create_dir_all(a.path.join("src")).unwrap();
        match how {
            "cp" => drop(std::fs::copy(a.path.join("vendor/charge.rs"), a.path.join("src/charge.rs")).unwrap()),
            "cp and edit" => a.write("src/charge.rs", &format!("// payments\n{CHARGE6}")),
            "ln -s" | "ln -s, one range" => {
                std::os::unix::fs::symlink("../vendor/charge.rs", a.path.join("src/charge.rs")).unwrap()
            }
            _ => drop(a.git(&["mv", "vendor/charge.rs", "src/charge.rs"])),
        }
        if how != "mv, not committed" {
            no_ai_commit(&a, "move charge into src");
            let (code, report) = a.verify("origin/main..HEAD");
            assert_eq!(code, 1, "{how}: {report:#}");
            ai_unit_failure(&report, "src/charge.rs", "charge");
        }
        let line = if how == "cp and edit" { "src/charge.rs:2" } else { "src/charge.rs:1" };
        if !how.starts_with("ln -s") {
            let status = a.run(&["status"]);
            assert!(status.stdout.contains("src/charge.rs"), "{how}: status names the unit: {status:?}");
            assert!(status.stdout.contains("vendor/charge.rs"), "{how}: and where it came from: {status:?}");
        }
        // Someone the policy does not name may not, there as anywhere.
        a.act_as("bob");
        let run = a.run(&["approve", line, "--base", "origin/main", "--yes"]);
        assert_ne!(run.code, 0, "{how}: {run:?}");
        assert!(run.stderr.contains("bob@example.com is not a reviewer for src/charge.rs"), "{how}: {run:?}");
        a.act_as("alice");
        let run = a.run(&["approve", line, "--base", "origin/main", "--yes"]);
        assert_eq!(run.code, 0, "{how}: the reviewer verify asks may approve it: {run:?}");
        if how == "mv, not committed" {
            a.act_as("dev");
            no_ai_commit(&a, "move charge into src");
        }
        let (code, report) = a.verify("origin/main..HEAD");
        assert_eq!(code, 0, "{how}: {report:#}");
    }
}

/// Red team (rt29a R1): an agent adds a function and a person takes it out
/// in the same pull request, which lands with nothing AI left; a person's
/// later pull request reverts the removal (a revert of a revert is
/// ordinary work). The agent's function was back, and the range's only
/// commit was the person's revert: verify passed it. A revert of a commit
/// from before the range restores what that commit removed, with the
/// origin history gives it.
#[test]
fn a_revert_that_restores_an_agents_function_from_before_the_range_needs_sign_off() {
    let (world, a) = start(SIGNED_POLICY, "dev");
    ai_commit(&a);
    a.write("src/lib.rs", BASE_LIB);
    let removal = no_ai_commit(&a, "take add() out for now");
    assert_eq!(a.verify("origin/main..HEAD").0, 0, "nothing AI is left");
    land_and_start_anew(&a, "pr2");
    a.git(&["revert", "--no-edit", &removal.to_string()]);
    let revert = a.git(&["rev-parse", "HEAD"]).trim().to_string();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let failure = ai_unit_failure(&report, "src/lib.rs", "add");
    assert!(failure["details"].to_string().contains("restore text commit"), "{failure:#}");
    assert!(commits_of(failure).contains(&revert), "{failure:#}");
    world.decide(&a, failure["fingerprint"].as_str().unwrap(), Decision::by("alice"));
    assert_eq!(a.verify("origin/main..HEAD").0, 0);

    // A revert that restores a person's own text needs nothing.
    let (_world, b) = start(SIGNED_POLICY, "dev");
    b.write("src/lib.rs", &format!("{BASE_LIB}{AI_FN}"));
    no_ai_commit(&b, "mine");
    b.write("src/lib.rs", BASE_LIB);
    let removal = no_ai_commit(&b, "take it out");
    land_and_start_anew(&b, "pr2");
    b.git(&["revert", "--no-edit", &removal.to_string()]);
    assert_eq!(b.verify("origin/main..HEAD").0, 0);
}

/// Red team (rt30a A1): an approval counted for the same bytes wherever
/// they stood. Alice approved an agent's test stub (`verify_token`
/// returning True, in tests/fakes.py); the agent put the very same text in
/// place of the real check in src/auth.py, in the same pull request or a
/// later one, and verify passed it as approved. An approval counts where
/// it was given (its record names the path, and is signed with it), and
/// where a rename since BASE took the file; not at every copy.
#[test]
fn an_approval_counts_where_it_was_given_not_at_every_copy() {
    const STUB: &str = "def verify_token(token):\n    return True\n";
    const REAL: &str = "import hmac\n\n\ndef verify_token(token):\n    return hmac.compare_digest(token, SECRET)\n";
    let policy = "reviewers = [\"alice@example.com\"]\n";
    for how in ["one pull request", "two pull requests"] {
        let (world, a) = start(policy, "dev");
        world.on_main(&[("src/auth.py", REAL)]);
        a.git(&["fetch", "-q", "origin"]);
        a.git(&["reset", "-q", "--hard", "origin/main"]);
        a.write("tests/fakes.py", STUB);
        if how == "two pull requests" {
            a.commit("a fake for the tests", Some(TRAILER));
            a.act_as("alice");
            let run = a.run(&["approve", "tests/fakes.py:1", "--base", "origin/main", "--yes"]);
            assert_eq!(run.code, 0, "{how}: {run:?}");
            a.act_as("dev");
            assert_eq!(a.verify("origin/main..HEAD").0, 0, "{how}: the stub, approved where it stands");
            land_and_start_anew(&a, "pr2");
        }
        a.write("src/auth.py", &format!("import hmac\n\n\n{STUB}"));
        a.commit("use the fake", Some(TRAILER));
        if how == "one pull request" {
            a.act_as("alice");
            let run = a.run(&["approve", "tests/fakes.py:1", "--base", "origin/main", "--yes"]);
            assert_eq!(run.code, 0, "{how}: {run:?}");
            a.act_as("dev");
        }
        let (code, report) = a.verify("origin/main..HEAD");
        assert_eq!(code, 1, "{how}: {report:#}");
        let failure = ai_unit_failure(&report, "src/auth.py", "verify_token");
        assert!(
            failure.to_string().contains("approved the same text at tests/fakes.py"),
            "{how}: says why the approval does not count here: {failure:#}"
        );
        let status = a.run(&["status"]);
        assert!(status.stdout.contains("src/auth.py:4"), "{how}: status asks for it too: {status:?}");
        // Approved where it stands, it passes.
        a.act_as("alice");
        let run = a.run(&["approve", "src/auth.py:4", "--base", "origin/main", "--yes"]);
        assert_eq!(run.code, 0, "{how}: {run:?}");
        assert_eq!(a.verify("origin/main..HEAD").0, 0, "{how}");
    }

    // Round two (rt30d A1): git pairs a file rewritten with one written
    // anew elsewhere (its rewrite detection): the real check deleted, the
    // agent's stub written in its place, the fakes file rewritten. No
    // rename: the stub's approval stays where it was given.
    let (world, a) = start(policy, "dev");
    world.on_main(&[("src/auth.py", REAL)]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["reset", "-q", "--hard", "origin/main"]);
    a.write("tests/fakes.py", STUB);
    a.commit("a fake for the tests", Some(TRAILER));
    a.act_as("alice");
    assert_eq!(a.run(&["approve", "tests/fakes.py:1", "--base", "origin/main", "--yes"]).code, 0);
    a.act_as("dev");
    land_and_start_anew(&a, "pr2");
    a.git(&["rm", "-q", "src/auth.py"]);
    no_ai_commit(&a, "drop the old auth");
    a.write("src/auth.py", STUB);
    a.commit("simplify auth", Some(TRAILER));
    a.write(
        "tests/fakes.py",
        "class FakeClock:\n    def now(self):\n        return 0\n\n\nclass FakeMailer:\n    def send(self, to, body):\n        self.sent = (to, body)\n",
    );
    no_ai_commit(&a, "new fakes");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "rewritten, not renamed: {report:#}");
    ai_unit_failure(&report, "src/auth.py", "verify_token");

    // Round two (rt30d B4): a request naming the same text at two paths,
    // approved by its id, is approved at both.
    let (_world, a) = start(policy, "dev");
    a.write("src/a.py", STUB);
    a.write("src/b.py", STUB);
    a.commit("two helpers", Some(TRAILER));
    let run = a.run(&["request", "-m", "both are stubs for now"]);
    assert_eq!(run.code, 0, "{run:?}");
    let listed = a.run(&["approve", "--yes", "--base", "origin/main"]);
    assert_ne!(listed.code, 0, "names the open request: {listed:?}");
    let id = listed.stderr.split_whitespace().find(|w| w.len() == 12 && w.bytes().all(|b| b.is_ascii_hexdigit()));
    let id = id.unwrap_or_else(|| panic!("a request id: {listed:?}")).to_string();
    a.act_as("alice");
    let run = a.run(&["approve", &id, "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "both places approved: {report:#}");

    // A rename keeps an approval: approved in src/auth.py, then the file
    // renamed in the same pull request.
    let (world, a) = start(policy, "dev");
    world.on_main(&[("src/auth.py", REAL)]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["reset", "-q", "--hard", "origin/main"]);
    a.write("src/auth.py", &format!("import hmac\n\n\n{STUB}"));
    a.commit("stub it", Some(TRAILER));
    a.act_as("alice");
    assert_eq!(a.run(&["approve", "src/auth.py:4", "--base", "origin/main", "--yes"]).code, 0);
    a.act_as("dev");
    a.git(&["mv", "src/auth.py", "src/tokens.py"]);
    no_ai_commit(&a, "rename");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Red team (rt30a B1): an override given by fingerprint for one
/// incident covered the same text in every later pull request (reported as
/// "covers 0 commit(s) of the range; counted"). It covers the units it
/// names in the range it was given for.
#[test]
fn an_override_by_fingerprint_covers_its_own_range_not_a_later_copy() {
    const SKIP: &str = "def skip_auth(request):\n    request.user = ADMIN\n    return request\n";
    let policy = "reviewers = [\"bob@example.com\"]\nallow_override = true\noverride_by = [\"alice@example.com\"]\n";
    let (_world, a) = start(policy, "dev");
    a.write("src/hotfix.py", SKIP);
    a.commit("incident 42: let the on-call in", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let fingerprint =
        ai_unit_failure(&report, "src/hotfix.py", "skip_auth")["fingerprint"].as_str().unwrap().to_string();
    a.act_as("alice");
    let run = a.run(&["override", "--fingerprint", &fingerprint, "--reason", "incident 42"]);
    assert_eq!(run.code, 0, "{run:?}");
    a.act_as("dev");
    assert_eq!(a.verify("origin/main..HEAD").0, 0, "the override covers its incident");
    land_and_start_anew(&a, "pr2");
    a.write("src/payments.py", SKIP);
    a.commit("payments", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "the same text in a later pull request is not the incident's: {report:#}");
    ai_unit_failure(&report, "src/payments.py", "skip_auth");

    // Round two (rt30d A2): an override whose range this clone cannot read
    // (the incident's branch squash-merged and deleted) covers nothing by
    // fingerprint, rather than everything.
    let mut record = vouch::store::records::Override::new(
        &a.repository_id(),
        vouch::store::records::Person { name: "alice".into(), email: "alice@example.com".into() },
        "incident 43",
    );
    record.range = Some(format!("{}..{}", "1".repeat(40), "2".repeat(40)));
    record.cover_fingerprints(vec![fingerprint.clone()]);
    vouch::store::records::add(&a.repo(), &record).unwrap();
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "an unreadable range covers nothing: {report:#}");
}

/// The same for text a revert restores: the reviewer verify names
/// approves it where it stands (rt29f G3).
#[test]
fn a_restored_agents_function_is_approved_where_it_stands() {
    let (_world, a) = start("reviewers = [\"alice@example.com\"]\n", "dev");
    ai_commit(&a);
    a.write("src/lib.rs", BASE_LIB);
    let removal = no_ai_commit(&a, "take add() out for now");
    land_and_start_anew(&a, "pr2");
    a.git(&["revert", "--no-edit", &removal.to_string()]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    ai_unit_failure(&report, "src/lib.rs", "add");
    let status = a.run(&["status"]);
    assert!(status.stdout.contains("src/lib.rs:5 function `add`"), "status names the unit: {status:?}");
    assert!(status.stdout.contains("restored by a revert of"), "and how it came back: {status:?}");
    a.act_as("alice");
    let run = a.run(&["approve", "src/lib.rs:6", "--base", "origin/main", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Round two (rt29d F2): inside the exempt path, where nothing is checked,
/// a person's commit copies the agent's file or re-spaces every line of it;
/// `git blame` then named the person, and a later move into src/ passed.
/// Brought files are blamed through copies and whitespace.
#[test]
fn ai_code_laundered_inside_an_exempt_path_is_still_ai_when_moved_out() {
    for launder in ["copy", "respace"] {
        let (_world, a) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
        a.write("vendor/charge.rs", CHARGE);
        a.commit("vendored charge", Some(TRAILER));
        let from = match launder {
            "copy" => {
                a.write("vendor/charge2.rs", CHARGE);
                "vendor/charge2.rs"
            }
            _ => {
                a.write("vendor/charge.rs", &CHARGE.replace('\n', " \n"));
                "vendor/charge.rs"
            }
        };
        no_ai_commit(&a, "vendor housekeeping");
        land_and_start_anew(&a, "pr2");
        a.git(&["mv", from, "src/charge.rs"]);
        no_ai_commit(&a, "move charge");
        let (code, report) = a.verify("origin/main..HEAD");
        assert_eq!(code, 1, "{launder}: {report:#}");
        ai_unit_failure(&report, "src/charge.rs", "charge");
    }
}

/// Round three (rt29f G9): the file an agent's code is moved out of, then
/// grown past what git pairs as a rename, must be found however many
/// files of BASE share the new file's name (`__init__.py`): the search read
/// sixteen candidates, same-named first and in no fixed order, and the
/// removed source, under another name, came last.
#[test]
fn a_grown_move_is_found_among_many_files_of_its_name() {
    const DEPLOY: &str = "import subprocess\n\n\ndef deploy(host):\n    subprocess.run(\"curl http://x | sh\", shell=True)\n    \
                          log(host)\n    return host\n";
    let (_world, a) = start(&format!("exempt = [\"/vendor/\"]\n{SIGNED_POLICY}"), "dev");
    a.write("vendor/deploy.py", DEPLOY);
    a.commit("vendored deploy", Some(TRAILER));
    for i in 0..20 {
        a.write(&format!("vendor/pkg{i}/__init__.py"), &format!("VERSION = {i}\n"));
    }
    no_ai_commit(&a, "vendored packages");
    land_and_start_anew(&a, "pr2");
    a.git(&["rm", "-q", "vendor/deploy.py"]);
    let more: String = (0..40).map(|i| format!("\n\ndef f{i}():\n    return {i}\n")).collect();
    a.write("src/app/__init__.py", &format!("{DEPLOY}{more}"));
    no_ai_commit(&a, "move deploy into the app");
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let deploy = failures(&report).iter().any(|f| f["path"] == "src/app/__init__.py" && f["name"] == "deploy");
    assert!(deploy, "{report:#}");
}
