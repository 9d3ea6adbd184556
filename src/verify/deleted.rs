//! Files an AI deleted whole: a path that BASE has and HEAD lacks, removed
//! by a commit of the range whose evidence makes the removal an AI's
//! ([`crate::store::lineage::DeletedFile`]). Nothing of it is left in HEAD
//! to hold an AI line, yet the program changed (the tests of a security
//! check, a middleware, a configuration gone): the removal is a unit of its
//! own, "file deleted by AI", judged by [`crate::signoff::Ledger::judge_deleted_file`]
//! under the policy at BASE, bound to the path and the text deleted
//! ([`crate::fingerprint::deleted_fingerprint`]). A trust file's
//! removal is judged as a trust-file change instead (`trust`).

use super::*;

/// Judge every file the range's AI commits deleted whole that is not a
/// trust file (whose change `trust` judges).
pub(super) fn check_deleted_files(
    judge: &Judge<'_>,
    range: &Range,
    trust_files: &BTreeSet<String>,
    report: &mut Report,
) {
    let lineage = &range.lineage;
    for (path, file) in &lineage.deleted_files {
        report.coverage.ai_deleted_files.push(path.clone());
        if trust_files.contains(path) {
            continue;
        }
        check_deleted_file(judge, range, path, file, report);
    }
}

/// The evidence of the commits that deleted `path`, named as a report
/// names a commit's (`trailer: claude`, `bot author: …`, `git-ai note`,
/// `vouch note`), each once: what makes that very removal an AI's, as the
/// lineage read it (`lineage::Walker::removal_claim`). A declaration
/// speaks for every file its commit removes; a vouch note only through a
/// `removed` record of `path`, and a git-ai note only when it attributes
/// lines of `path` to AI: a note that speaks for another file the commit
/// removed is not named.
pub(super) fn evidence_of(range: &Range, commits: &[Oid], path: &str) -> Vec<String> {
    let none = lineage::CommitEvidence::default();
    let mut out: Vec<String> = Vec::new();
    for c in commits {
        let ev = range.lineage.evidence.get(c).unwrap_or(&none);
        for label in ev.labels_for(path, |f| f.removed) {
            if !out.contains(&label) {
                out.push(label);
            }
        }
    }
    out
}

fn check_deleted_file(judge: &Judge<'_>, range: &Range, path: &str, file: &lineage::DeletedFile, report: &mut Report) {
    let deleting = range.lineage.commits_deleting(file);
    // Everyone who touched the path in the range took part in what it is
    // now (absent): none of them may approve it.
    let commits: Vec<Oid> =
        range.commits.iter().copied().filter(|c| deleting.contains(c) || range.changed_path(c, path)).collect();
    let authors = people_of(range, &commits);
    let verified = |s: &Stored<Approval>| judge.verified(s);
    let fp = file.fingerprint.clone();
    let judgement =
        judge.records.ledger.judge_deleted_file(judge.policy, path, &fp, file.lines, &file.risk, &authors, &verified);
    if !judgement.requirement.needs_signoff {
        report.coverage.units_not_required += 1;
        return;
    }
    if let Some(approved) = judge.approved_file(path, signoff::DELETED_FILE, &fp, &judgement) {
        report.approved.push(approved);
        return;
    }
    let assessment = &judgement.assessment;
    let evidence = evidence_of(range, &deleting, path);
    let (rule, reason) =
        failure_reason(&judgement.requirement, &assessment.status, &assessment.ignored, "the deletion");
    let by: Vec<String> = deleting.iter().map(|c| format!("commit {}", short(&c.to_string()))).collect();
    let reason = format!(
        "{path} was deleted by AI in the range ({}, {}), so {reason}; approve fingerprint {fp}",
        evidence.join(", "),
        by.join(", ")
    );
    let mut details = vec![format!(
        "an AI deleted the whole file ({} line(s) at BASE) in {} ({}): nothing of it is left in HEAD",
        file.lines,
        by.join(", "),
        evidence.join(", ")
    )];
    if rule == Rule::Rejected {
        details.insert(0, "a reviewer rejected this deletion".into());
    }
    details.extend(judge.explain(&fp, &assessment.ignored, None));
    details.extend(judge.records.ledger.path_only_deletion_decisions(path));
    report.failures.push(Failure {
        rule,
        path: Some(path.to_string()),
        line: None,
        end_line: None,
        kind: Some(signoff::DELETED_FILE.to_string()),
        name: None,
        fingerprint: Some(fp.clone()),
        reason,
        details,
        commits: commits.iter().map(Oid::to_string).collect(),
        participants: judgement.participants.everyone(),
        signoff: Some(judge.signoff(&judgement, &fp, &file.risk, SignedOff::DeletedFile)),
    });
}
