//! Risk tags come from text, and a removal leaves none: an AI's commit that
//! deleted the authorization module and took the permission check out of a
//! handler produced units with no risk tag, so a `[[triage]] peer` rule (any
//! teammate may approve small risk-free AI changes) let a peer clear both,
//! and an `[[automated]]` bot could too. What an AI removed carries the
//! risk tags of the text it removed: a deleted file, those of its text at
//! BASE; a unit the AI removed lines from, those its BASE version had.
//! From the attacker's side, with the real binary and real git.

mod support {
    pub mod run;
    pub mod world;
}

use support::world::*;

const POLICY: &str = r#"reviewers = ["alice@example.com"]

[[triage]]
paths = ["src/**"]
max_ai_lines = 20
peer = true
"#;

const AUTHZ: &str =
    "def check_permission(user, action):\n    if action not in user.grants:\n        raise PermissionError(action)\n";
const DOCS: &str = "from authz import check_permission\n\n\ndef delete_doc(user, doc):\n    check_permission(user, \"delete\")\n    doc.delete()\n";
const DOCS_AFTER: &str = "def delete_doc(user, doc):\n    doc.delete()\n";

#[test]
fn a_peer_cannot_clear_an_ais_removal_of_an_authorization_check() {
    let (world, dev) = World::with_feature(POLICY, &[("src/authz.py", AUTHZ), ("src/docs.py", DOCS)]);
    dev.git(&["rm", "-q", "src/authz.py"]);
    dev.write("src/docs.py", DOCS_AFTER);
    dev.commit("simplify deletion", Some(TRAILER));
    let (code, report) = dev.verify("origin/main..HEAD");
    assert_eq!(code, 1, "{report:#}");
    let found = failures(&report);
    for (path, name) in [("src/authz.py", None), ("src/docs.py", Some("delete_doc"))] {
        let tag = "auth";
        let failure = found
            .iter()
            .find(|f| f["path"] == path && f["name"].as_str() == name)
            .unwrap_or_else(|| panic!("{path}: {report:#}"));
        let risk = &failure["signoff"]["risk"];
        assert!(risk.as_array().unwrap().iter().any(|t| t == tag), "{path} carries {tag}: {report:#}");
        assert_eq!(failure["signoff"]["triage"], serde_json::Value::Null, "{path}: no triage rule: {report:#}");
    }
    // Eve, a peer who is no reviewer, approves every unit: none counts.
    let (code, report) = world.all_decided_by(&dev, &report, "eve");
    assert_eq!(code, 1, "a peer cleared the removal of the authorization check: {report:#}");
    let left: Vec<(&str, Option<&str>)> =
        failures(&report).iter().map(|f| (str_of(&f["path"]), f["name"].as_str())).collect();
    // The import of the check the AI took out with it carries its tag too.
    assert_eq!(
        left,
        [("src/docs.py", None), ("src/docs.py", Some("delete_doc")), ("src/authz.py", None)],
        "{report:#}"
    );
    // A reviewer's approvals do.
    let (code, report) = world.all_decided_by(&dev, &report, "alice");
    assert_eq!(code, 0, "{report:#}");
}

/// Red team, round two: the same removal in a file the AI also renamed
/// (`git mv docs.py handlers.py`): BASE's version was looked for under the
/// new name, found nothing, and the handler carried no tag, so a peer's
/// approval let it through. BASE's text is read under the name it had.
#[test]
fn a_peer_cannot_clear_a_check_removed_from_a_file_renamed_with_it() {
    let (world, dev) = World::with_feature(POLICY, &[("src/authz.py", AUTHZ), ("src/docs.py", DOCS)]);
    dev.git(&["mv", "src/docs.py", "src/handlers.py"]);
    dev.write("src/handlers.py", &DOCS.replace("    check_permission(user, \"delete\")\n", ""));
    dev.commit("move the handlers", Some(TRAILER));
    let (_, report) = dev.verify("origin/main..HEAD");
    let handler = failures(&report)
        .iter()
        .find(|f| f["path"] == "src/handlers.py" && f["name"] == "delete_doc")
        .unwrap_or_else(|| panic!("{report:#}"))
        .clone();
    assert!(handler["signoff"]["risk"].as_array().unwrap().iter().any(|t| t == "auth"), "{report:#}");
    let (code, report) = world.all_decided_by(&dev, &report, "eve");
    assert_eq!(code, 1, "a peer cleared the removal of the authorization check: {report:#}");
}

/// Red team (rt24d A3): the unit an AI took the check out of, renamed in
/// the same commit (`delete_doc` to `remove_doc`, or its class renamed),
/// had no BASE unit of its name, so it carried only its own text's tags and
/// a peer cleared it. The tags of the BASE units that held the removed
/// lines come with it.
#[test]
fn a_peer_cannot_clear_a_check_removed_from_a_unit_renamed_with_it() {
    let class = "class Docs:\n    def delete(self, user, doc):\n        check_permission(user, \"delete\")\n        doc.delete()\n";
    let cases = [
        ("function renamed", DOCS.to_string(), DOCS.replace("delete_doc", "remove_doc"), "remove_doc"),
        ("class renamed", class.to_string(), class.replace("Docs", "Documents"), "Documents.delete"),
    ];
    for (case, before, after, name) in cases {
        let (world, dev) = World::with_feature(POLICY, &[("src/authz.py", AUTHZ), ("src/docs.py", &before)]);
        dev.write(
            "src/docs.py",
            &after
                .replace("        check_permission(user, \"delete\")\n", "")
                .replace("    check_permission(user, \"delete\")\n", ""),
        );
        dev.commit("tidy the handlers", Some(TRAILER));
        let (_, report) = dev.verify("origin/main..HEAD");
        let unit = failures(&report)
            .iter()
            .find(|f| {
                f["path"] == "src/docs.py"
                    && f["name"].as_str().is_some_and(|n| n.ends_with(name.rsplit('.').next().unwrap()))
            })
            .unwrap_or_else(|| panic!("{case}: {report:#}"))
            .clone();
        assert!(unit["signoff"]["risk"].as_array().unwrap().iter().any(|t| t == "auth"), "{case}: {report:#}");
        let (code, report) = world.all_decided_by(&dev, &report, "eve");
        assert_eq!(code, 1, "{case}: a peer cleared the removal of the authorization check: {report:#}");
    }
}
