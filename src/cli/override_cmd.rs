//! `vouch override --reason TEXT [RANGE]... [--commit C]...`: break glass.
//! Records who let which commits land without the sign-off the policy asks
//! for, and why. `vouch verify` reports every override; it counts only
//! where the policy as of the verified BASE sets `allow_override = true`
//! and names its author in `override_by` (and, with `require_signatures`,
//! only when signed), and it never covers a change to a trust file or what
//! its author took part in (see [`crate::verify`]).

use anyhow::{Context as _, bail};
use git2::Oid;

use super::context::Context;
use super::{Format, FormatArg, Outcome};
use crate::store::lineage::range_commits;
use crate::store::policy_file::Source;
use crate::store::records::{self, Override, Person};
use crate::store::{repo, signature};
use crate::verify::{parse_range, range_ends};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Why the code must land without sign-off (recorded and reported).
    #[arg(long, required = true)]
    pub reason: String,
    /// Ranges to cover, `BASE..HEAD`; the policy as of the first BASE must
    /// allow overrides.
    #[arg(value_name = "RANGE")]
    pub ranges: Vec<String>,
    /// A commit to cover (repeatable).
    #[arg(long = "commit", value_name = "COMMIT")]
    pub commits: Vec<String>,
    /// A unit to cover, by fingerprint (repeatable).
    #[arg(long = "fingerprint", value_name = "FINGERPRINT")]
    pub fingerprints: Vec<String>,
    /// Whose policy decides whether overrides are allowed, when no RANGE is
    /// given (default: HEAD).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let cx = Context::open()?;
    if args.reason.trim().is_empty() {
        bail!("--reason must say why the code lands without sign-off");
    }
    if args.ranges.is_empty() && args.commits.is_empty() && args.fingerprints.is_empty() {
        bail!("say what the override covers: a RANGE (BASE..HEAD), --commit C or --fingerprint F");
    }
    let mut ranges = Vec::new();
    for spec in &args.ranges {
        let (base, _) = parse_range(spec)?;
        let (base_id, head_id) = range_ends(&cx.repo, spec)?;
        ranges.push((base, base_id, head_id));
    }
    let policy_rev = match (&args.base, ranges.first()) {
        (Some(rev), _) => rev.clone(),
        (None, Some((_, base, _))) => base.to_string(),
        (None, None) => "HEAD".to_string(),
    };
    let policy = cx.policy(&Source::Commit(policy_rev.clone()))?;
    if !policy.allow_override() {
        bail!(
            "the policy as of {policy_rev} does not allow overrides (allow_override = false); \
             get the sign-offs, or change the policy through review"
        );
    }
    let repository = repo::repository_id(&cx.repo)?;
    let by: Person = cx.identity()?.into();
    if let Err(refusal) = policy.may_override(&by.email, &[], &crate::policy::Participants::default()) {
        bail!("the policy as of {policy_rev} refuses this override: {refusal}");
    }
    let mut record = Override::new(&repository, by, args.reason.trim());
    let mut commits: Vec<String> = Vec::new();
    let mut push = |oid: Oid| {
        let id = oid.to_string();
        if !commits.contains(&id) {
            commits.push(id);
        }
    };
    for rev in &args.commits {
        push(crate::verify::resolve(&cx.repo, rev)?.id());
    }
    // Units named by fingerprint are covered in the range the override is
    // given for, not wherever the same text turns up later (rt30a B1): with
    // no RANGE or commit given, the current branch's (BASE..HEAD).
    if ranges.is_empty() && args.commits.is_empty() && !args.fingerprints.is_empty() {
        let base = crate::analysis::base::resolve(&cx.repo)?
            .ok_or_else(|| anyhow::anyhow!("no BASE for the current branch: give the RANGE the override covers"))?;
        let head = cx.repo.head().and_then(|h| h.peel_to_commit()).context("cannot read HEAD")?.id();
        ranges.push((base.commit.to_string(), base.commit, head));
    }
    match ranges.as_slice() {
        [(_, base, head)] => record.range = Some(format!("{base}..{head}")),
        many => {
            for (_, base, head) in many {
                for oid in range_commits(&cx.repo, *base, *head)? {
                    push(oid);
                }
            }
        }
    }
    record.commits = commits;
    record.cover_fingerprints(args.fingerprints.iter().map(|fp| fp.trim().to_ascii_lowercase()).collect());
    match signature::sign(&cx.repo, &record.signed_payload()).context("cannot sign the override")? {
        Some(sig) => record.signature = Some(sig),
        None if policy.require_signatures() => bail!(
            "the policy requires signatures: configure an SSH signing key \
             (git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub)"
        ),
        None => {}
    }
    let id = records::add(&cx.repo, &record)?;
    if args.format.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "id": id, "override": record }))?);
        return Ok(Outcome::Ok);
    }
    println!(
        "override {id} recorded by {}: {}",
        crate::display::line(&record.by.email),
        crate::display::line(&record.reason)
    );
    println!("verify will report it; share it with vouch sync");
    Ok(Outcome::Ok)
}
