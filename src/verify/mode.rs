//! Files whose executable bit an AI changed ([`crate::store::mode`]): no
//! line changed, so no unit holds an AI line, yet a script CI or a deploy
//! step runs may be new. The change is a unit of its own, "file mode
//! changed by AI", judged by [`crate::signoff::Ledger::judge_mode_change`]
//! under the policy at BASE, bound to the path, the new mode and HEAD's
//! text ([`crate::fingerprint::mode_fingerprint`]), and signed off with
//! `vouch approve --file PATH`.

use super::*;
use crate::display;
use crate::store::mode::{self, ModeChange};

/// Judge every file of the range whose executable bit an AI changed, but
/// the trust files (a trust file's change, of its mode too, `trust`
/// judges).
pub(super) fn check_mode_changes(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    trees: (&git2::Tree<'_>, &git2::Tree<'_>),
    code: &[&String],
    report: &mut Report,
) -> Result<(), VerifyError> {
    let (base_tree, head_tree) = trees;
    let evidence = |oid: Oid| Ok::<_, git2::Error>(range.lineage.evidence.get(&oid).cloned());
    let paths = code.iter().map(|p| p.as_str());
    let changes = mode::ai_mode_changes(repo, base_tree, head_tree, &range.commits, paths, evidence)
        .map_err(git("read the modes of the range's files"))?;
    for change in &changes {
        report.coverage.ai_mode_changes.push(change.path.clone());
        check_mode_change(judge, range, change, report);
    }
    Ok(())
}

fn check_mode_change(judge: &Judge<'_>, range: &Range, change: &ModeChange, report: &mut Report) {
    let path = change.path.as_str();
    // Everyone who touched the path in the range took part in what it is
    // now: none of them may approve it.
    let commits: Vec<Oid> =
        range.commits.iter().copied().filter(|c| change.commits.contains(c) || range.changed_path(c, path)).collect();
    let authors = people_of(range, &commits);
    let verified = |s: &Stored<Approval>| judge.verified(s);
    let fp = change.fingerprint.clone();
    let judgement = judge.records.ledger.judge_mode_change(judge.policy, path, &fp, &authors, &verified);
    if !judgement.requirement.needs_signoff {
        report.coverage.units_not_required += 1;
        return;
    }
    if let Some(approved) = judge.approved_file(path, signoff::MODE_CHANGE, &fp, &judgement) {
        report.approved.push(approved);
        return;
    }
    let assessment = &judgement.assessment;
    let (rule, reason) =
        failure_reason(&judgement.requirement, &assessment.status, &assessment.ignored, "the change of its mode");
    let by: Vec<String> = change.commits.iter().map(|c| format!("commit {}", short(&c.to_string()))).collect();
    let reason = format!(
        "{path} was made {} by AI in the range ({}, {}), so {reason}; approve it with `vouch approve --file {}` \
         (fingerprint {fp})",
        change.describe(),
        change.evidence.join(", "),
        by.join(", "),
        display::shell_word(path),
    );
    let lines = crate::store::notes::line_spans(&change.bytes).len();
    let mut details = vec![format!(
        "an AI changed its mode {} → {} in {} ({}): no line changed; the approval covers its text as HEAD has it \
         ({lines} line(s)) under that mode",
        change.from,
        change.to,
        by.join(", "),
        change.evidence.join(", ")
    )];
    if rule == Rule::Rejected {
        details.insert(0, "a reviewer rejected this change of mode".into());
    }
    details.extend(judge.explain(&fp, &assessment.ignored, None));
    report.failures.push(Failure {
        rule,
        path: Some(path.to_string()),
        line: None,
        end_line: None,
        kind: Some(signoff::MODE_CHANGE.to_string()),
        name: None,
        fingerprint: Some(fp.clone()),
        reason,
        details,
        commits: commits.iter().map(Oid::to_string).collect(),
        participants: judgement.participants.everyone(),
        signoff: Some(judge.signoff(&judgement, &fp, &[], SignedOff::ModeChange)),
    });
}
