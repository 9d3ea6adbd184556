//! Break-glass overrides: reported whenever they touch the range, and
//! covering failures only where they count.
//!
//! An override counts only when the policy at BASE allows overrides, names
//! its author in `override_by`, and (where it requires signatures) its
//! signature verifies for that author. Even then it never covers a change
//! to a trust file (an override must not be able to rewrite the rules it is
//! judged by) or a commit whose signature is missing where signed commits
//! are required (the participants it is checked against would be unknown),
//! and never a failure its author took part in: an author of, signer of or
//! requester for the code it would let through.

use super::*;

/// Rules no override covers.
const NEVER_OVERRIDDEN: [Rule; 2] = [Rule::PolicyChange, Rule::UnsignedCommit];

/// Report every override that touches the range; let the counted ones
/// cover the failures they may.
pub(super) fn apply_overrides(repo: &Repository, judge: &Judge<'_>, range: &Range, report: &mut Report) {
    let failing: HashSet<&str> = report.failures.iter().filter_map(|f| f.fingerprint.as_deref()).collect();
    // The counted overrides: id, author, the identities of its signing
    // key, the commits and fingerprints it covers.
    let mut counted: Vec<Counted> = Vec::new();
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
        let signer = judge.signers.override_signer(record);
        let why_not = if !judge.policy.allow_override() {
            Some("the policy at BASE does not allow overrides (allow_override = false)".to_string())
        } else if let Some(Err(e)) = judge.policy.require_signatures().then_some(&signer) {
            Some(format!("the override {e}"))
        } else {
            judge.policy.may_override(&record.by.email, &[], &Participants::default()).err().map(|e| e.to_string())
        };
        if why_not.is_none() {
            counted.push(Counted {
                id: stored.id.clone(),
                by: record.by.email.clone(),
                aliases: signer.map(|s| s.principals).unwrap_or_default(),
                commits: covered.clone(),
                scoped: record.range.is_some() || !record.commits.is_empty(),
                fingerprints: named.iter().cloned().collect(),
            });
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
    for mut failure in failures {
        let mut by = None;
        let covering: Vec<&Counted> = counted.iter().filter(|o| o.covers(&failure)).collect();
        for o in covering {
            if NEVER_OVERRIDDEN.contains(&failure.rule) {
                failure.details.push(format!(
                    "override {} by {} does not cover this: no override covers a {} failure",
                    short(&o.id),
                    o.by,
                    failure.rule.short()
                ));
                continue;
            }
            // Who took part: as the failure names them, and whoever made
            // its commits (for failures about a commit as a whole).
            let commits: Vec<Oid> = failure.commits.iter().filter_map(|c| Oid::from_str(c).ok()).collect();
            let mut authors = failure.participants.clone();
            authors.extend(people_of(range, &commits));
            let participants = Participants { authors, ..Participants::default() };
            match judge.policy.may_override(&o.by, &o.aliases, &participants) {
                Ok(()) => {
                    by = Some(o.id.clone());
                    break;
                }
                Err(refusal) => failure.details.push(format!(
                    "override {} by {} does not cover this: {refusal}, and no one may override what they took \
                     part in",
                    short(&o.id),
                    o.by
                )),
            }
        }
        match by {
            Some(id) => report.overridden.push(Overridden { failure, by_override: id }),
            None => report.failures.push(failure),
        }
    }
}

/// An override that counts.
struct Counted {
    id: String,
    by: String,
    /// Every identity its signing key is listed for.
    aliases: Vec<String>,
    commits: HashSet<Oid>,
    /// It names a range or commits (whether or not they could be read
    /// here): its fingerprints are covered only among them.
    scoped: bool,
    fingerprints: HashSet<String>,
}

impl Counted {
    /// Whether it names `failure`: all of its commits, or its fingerprint
    /// where its commits are among those it covers (an override given for
    /// one range does not cover the same text a later one brings; one whose
    /// range cannot be read here covers nothing by fingerprint), or
    /// anywhere when it names no range or commit (made before overrides
    /// were scoped: reported as such).
    fn covers(&self, failure: &Failure) -> bool {
        let by_commits = !failure.commits.is_empty() && failure.commits.iter().all(|c| self.covers_commit(c));
        let by_fp = failure.fingerprint.as_ref().is_some_and(|f| self.fingerprints.contains(f));
        by_commits || (by_fp && (!self.scoped || failure.commits.iter().any(|c| self.covers_commit(c))))
    }

    fn covers_commit(&self, commit: &str) -> bool {
        Oid::from_str(commit).is_ok_and(|o| self.commits.contains(&o))
    }
}

fn override_range(repo: &Repository, spec: &str) -> Result<Vec<Oid>, String> {
    let (base, head) = parse_range(spec).map_err(|e| e.to_string())?;
    let base = resolve(repo, &base).map_err(|e| e.to_string())?;
    let head = resolve(repo, &head).map_err(|e| e.to_string())?;
    lineage::range_commits(repo, base.id(), head.id()).map_err(|e| e.to_string())
}
