//! Changes to the files that decide who may approve (the policy, the
//! allowed signers, CODEOWNERS): each is a unit to approve under BASE.

use super::*;

/// The files whose change can change who may approve: the policy, the
/// allowed-signers file (as BASE's and HEAD's policies name it) and, when
/// either policy uses it, CODEOWNERS.
pub(super) fn policy_files(
    repo: &Repository,
    base_policy: &Policy,
    head_tree: &git2::Tree<'_>,
    head_rev: &str,
) -> BTreeSet<String> {
    let mut files = BTreeSet::from([POLICY_FILE.to_string(), base_policy.allowed_signers().to_string()]);
    // HEAD's policy may name another allowed-signers file; if it does not
    // parse, its own change is already a unit to approve.
    let head_policy = head_tree
        .get_path(Path::new(POLICY_FILE))
        .ok()
        .and_then(|_| policy_file::read_text(repo, &Source::Commit(head_rev.to_string()), POLICY_FILE).ok().flatten())
        .and_then(|text| Policy::parse(&text, POLICY_FILE).ok());
    if let Some(head_policy) = &head_policy {
        files.insert(head_policy.allowed_signers().to_string());
    }
    if base_policy.uses_codeowners() || head_policy.as_ref().is_some_and(Policy::uses_codeowners) {
        files.extend(CODEOWNERS_PATHS.iter().map(|p| p.to_string()));
    }
    files
}

/// A change in the range to a file that decides who may approve.
pub(super) fn check_policy_file(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    base_tree: &git2::Tree<'_>,
    head_tree: &git2::Tree<'_>,
    path: &str,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let at = |tree: &git2::Tree<'_>| tree.get_path(Path::new(path)).ok().map(|e| e.id());
    let (before, after) = (at(base_tree), at(head_tree));
    if before == after {
        return Ok(());
    }
    // The commits of the range that changed it.
    let commits: Vec<Oid> = range
        .commits
        .iter()
        .copied()
        .filter(|c| range.changed.get(c).is_some_and(|p| p.iter().any(|p| p == path)))
        .collect();
    if commits.is_empty() {
        // BASE is not an ancestor and the difference comes from its side.
        return Ok(());
    }
    let bytes = match after {
        Some(id) => Some(repo.find_blob(id).map_err(git(format!("read HEAD:{path}")))?.content().to_vec()),
        None => None,
    };
    let fp = crate::fingerprint::trust_fingerprint(path, bytes.as_deref());
    let text = String::from_utf8_lossy(bytes.as_deref().unwrap_or_default()).into_owned();
    let lines = u32::try_from(notes::line_spans(&text).len()).unwrap_or(u32::MAX);
    let mut requirement = judge.policy.requirement(path, &[], lines.max(1) as usize);
    requirement.exempt = false;
    requirement.needs_signoff = true;
    requirement.approvals = requirement.approvals.max(1);
    let participants = Participants {
        acceptors: Vec::new(),
        requesters: judge.records.ledger.requests.requesters(&fp),
        authors: people_of(range, &commits),
    };
    let votes: Vec<Vote> = judge.records.ledger.approvals.votes(&fp, |s| judge.verified(s));
    let assessment = assess(&requirement, &votes, &participants);
    if let Status::Approved { by } = &assessment.status {
        report.approved.push(Approved {
            path: path.to_string(),
            line: 1,
            kind: crate::syntax::units::LINES.to_string(),
            name: None,
            fingerprint: fp,
            by: by.clone(),
        });
        return Ok(());
    }
    let (rule, reason) = failure_reason(&requirement, &assessment.status, &assessment.ignored, "the change");
    let change = match (before, after) {
        (None, _) => "added",
        (_, None) => "deleted",
        _ => "changed",
    };
    let reason =
        format!("{path} is {change} in the range and decides who may approve, so {reason}; approve fingerprint {fp}");
    let mut details = judge.explain(&fp, &assessment.ignored, None);
    if rule == Rule::Rejected {
        details.insert(0, "a reviewer rejected this change".into());
    }
    report.failures.push(Failure {
        rule: Rule::PolicyChange,
        path: Some(path.to_string()),
        line: Some(1),
        end_line: Some(lines.max(1)),
        kind: Some(crate::syntax::units::LINES.to_string()),
        name: None,
        fingerprint: Some(fp),
        reason,
        details,
        commits: commits.iter().map(Oid::to_string).collect(),
    });
    Ok(())
}
