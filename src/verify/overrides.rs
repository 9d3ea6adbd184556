//! Break-glass overrides: reported whenever they touch the range, and
//! covering failures only where they count.

use super::*;

/// Report every override that touches the range; let the counted ones
/// cover the failures they name.
pub(super) fn apply_overrides(repo: &Repository, judge: &Judge<'_>, range: &Range, report: &mut Report) {
    let failing: HashSet<&str> = report.failures.iter().filter_map(|f| f.fingerprint.as_deref()).collect();
    let mut counted: Vec<(String, HashSet<Oid>, HashSet<String>)> = Vec::new();
    for stored in &judge.records.overrides {
        let record = &stored.record;
        let mut covered: HashSet<Oid> = HashSet::new();
        for c in &record.commits {
            if let Ok(oid) = Oid::from_str(c) {
                covered.insert(oid);
            }
        }
        if let Some(spec) = &record.range {
            match override_range(repo, spec) {
                Ok(commits) => covered.extend(commits),
                Err(e) => report.warnings.push(format!(
                    "override {} covers the range {spec}, which cannot be read here ({e}); if it should cover \
                     commits of this range, fetch them",
                    short(&stored.id)
                )),
            }
        }
        let covers: Vec<String> = range.commits.iter().filter(|c| covered.contains(c)).map(Oid::to_string).collect();
        // Fingerprints of a version that no longer counts cover nothing.
        let standing = record.standing();
        if !standing.counts() {
            report.warnings.push(format!("override {} names fingerprints of {standing}", short(&stored.id)));
        }
        let named: &[String] = if standing.counts() { &record.fingerprints } else { &[] };
        let fingerprints: Vec<String> = named.iter().filter(|f| failing.contains(f.as_str())).cloned().collect();
        if covers.is_empty() && fingerprints.is_empty() {
            continue;
        }
        let why_not = if !judge.policy.allow_override() {
            Some("the policy at BASE does not allow overrides (allow_override = false)".to_string())
        } else if judge.policy.require_signatures() {
            judge.signers.check_override(record).err().map(|e: SigError| format!("the override {e}"))
        } else {
            None
        };
        if why_not.is_none() {
            counted.push((stored.id.clone(), covered.clone(), named.iter().cloned().collect()));
        }
        report.overrides.push(OverrideReport {
            id: stored.id.clone(),
            by: record.by.email.clone(),
            created: record.created.clone(),
            reason: record.reason.clone(),
            counted: why_not.is_none(),
            not_counted_because: why_not,
            covers,
            fingerprints,
        });
    }
    if counted.is_empty() {
        return;
    }
    let failures = std::mem::take(&mut report.failures);
    for failure in failures {
        let by = counted.iter().find(|(_, commits, fps)| {
            let by_fp = failure.fingerprint.as_ref().is_some_and(|f| fps.contains(f));
            let by_commits = !failure.commits.is_empty()
                && failure.commits.iter().all(|c| Oid::from_str(c).is_ok_and(|o| commits.contains(&o)));
            by_fp || by_commits
        });
        match by {
            Some((id, _, _)) => report.overridden.push(Overridden { failure, by_override: id.clone() }),
            None => report.failures.push(failure),
        }
    }
}

fn override_range(repo: &Repository, spec: &str) -> Result<Vec<Oid>, String> {
    let (base, head) = parse_range(spec).map_err(|e| e.to_string())?;
    let base = resolve(repo, &base).map_err(|e| e.to_string())?;
    let head = resolve(repo, &head).map_err(|e| e.to_string())?;
    range_commits(repo, base.id(), head.id()).map_err(|e| e.message().to_string())
}
