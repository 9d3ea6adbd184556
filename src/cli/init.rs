//! `vouch init`: set vouch up in a repository. Writes a starter policy
//! (`.vouch.toml`, unless there is one), installs the git hooks (chained to
//! the hooks already there; see [`super::git_hooks`]), configures git to
//! carry notes over amend and rebase, and with `--agent` merges the agents'
//! hook configuration (see [`super::agent_config`]). Running it again
//! changes only what is missing or out of date.
//!
//! With `--signed` the starter policy also turns on what the "making it a
//! control" checklist of `docs/trust.md` asks of the policy (signed
//! approvals, signed commits, trust files), and an allowed-signers file is
//! started (with the current user's signing key, when git has one).

use anyhow::Context as _;

use super::Outcome;
use super::agent_config::{self, AgentName};
use super::context::Context;
use super::git_hooks;
use crate::policy::{POLICY_FILE, Policy};
use crate::store::notes;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also install this AI agent's hook, so its edits are recorded
    /// (repeatable).
    #[arg(long = "agent", value_enum, value_name = "AGENT")]
    pub agents: Vec<AgentName>,
    /// Install vouch's hook even over a hook that is not vouch's when one was
    /// chained already (the replaced hook is kept as <hook>.vouch-backup).
    /// The policy is never overwritten.
    #[arg(long)]
    pub force: bool,
    /// Write the starter policy for a control (signed approvals and
    /// commits, trust files; see docs/trust.md), and start the
    /// allowed-signers file.
    #[arg(long)]
    pub signed: bool,
}

/// The policy `vouch init` writes: the defaults, said out loud.
pub const STARTER_POLICY: &str = r#"# vouch policy: who signs off on AI-written code, and how strict the gate is.
# Commit this file and protect it (list it in CODEOWNERS): weakening the
# policy should itself need review. Every key, with its default, is in
# vouch's docs/policy.md.

# What the pre-commit gate does when a staged AI-written unit lacks sign-off:
# "block" refuses the commit, "warn" prints and lets it through. Either way,
# `vouch verify` in CI is the check to rely on: hooks can be skipped.
gate = "block"

# Who may approve AI-written units (git emails, or @group from [groups]).
# Empty: anyone except the people who accepted the AI text, requested the
# sign-off or author the commit.
reviewers = []

# Distinct approvals each unit needs.
approvals = 1

# Paths that never need sign-off. Patterns work like .gitignore: without a
# leading /, a pattern matches at any depth ("vendor/" would also exempt
# src/payments/vendor/). `vouch doctor` lists what each pattern matches.
exempt = ["**/generated/**", "/vendor/", "*.lock"]

# [groups]
# seniors = ["alice@example.com", "bob@example.com"]

# [[rules]]                    # the last matching rule wins
# paths = ["src/db/", "*.sql"]
# reviewers = ["@seniors"]
# approvals = 2
# risk = "high"

# [detection]
# min_ai_lines = 1             # units with fewer AI lines need no sign-off
"#;

/// What `vouch init --signed` adds to the starter policy: what the "making
/// it a control" checklist of docs/trust.md asks of the policy.
pub const SIGNED_ADDITIONS: &str = r#"
# Signed mode (vouch init --signed): what docs/trust.md's "making it a
# control" checklist asks of the policy. List your reviewers above: with
# `reviewers = []` anyone but the participants may approve.

# Only approvals with an SSH signature that verifies, for the email they
# name, against the allowed-signers file as of the verified BASE count; one
# key is one approver, whatever emails it is listed under.
require_signatures = true
allowed_signers = ".vouch/allowed_signers"

# Every commit of a verified range must carry an SSH signature (git config
# gpg.format ssh; commit.gpgsign true) that verifies against the same file:
# the signers, not the author fields (which the author writes), are who may
# not approve the code.
require_signed_commits = true

# Besides .vouch.toml, the allowed-signers file and CODEOWNERS: files whose
# change needs approval of the whole file under the policy at BASE.
trust_files = [".github/workflows/", ".gitlab-ci.yml"]

# Break glass is off. To allow it, name who may (never for what they took
# part in, never over a trust-file change):
# allow_override = true
# override_by = ["@leads"]
"#;

/// The allowed-signers file `vouch init --signed` starts.
const SIGNERS_HEADER: &str = "# Allowed signers: git's gpg.ssh.allowedSignersFile format, one line per
# reviewer and committer (EMAIL KEYTYPE KEY). vouch checks approvals
# (namespace \"vouch\") and, with require_signed_commits, commits (namespace
# \"git\") against this file as of the verified BASE. Protect it with
# CODEOWNERS; a change to it needs approval like a change to the policy.
";

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    // Read everything that can fail before writing anything.
    let mut agents = args.agents.clone();
    agents.dedup();
    let merges = agents.iter().map(|&agent| agent_config::plan(&ctx.root, agent)).collect::<Result<Vec<_>, _>>()?;
    let hooks_dir = git_hooks::hooks_dir(&ctx.repo)?;
    let binary = git_hooks::current_binary();

    let policy_path = ctx.root.join(POLICY_FILE);
    if policy_path.exists() {
        let text = std::fs::read_to_string(&policy_path).with_context(|| format!("cannot read {POLICY_FILE}"))?;
        match Policy::parse(&text, POLICY_FILE) {
            Ok(_) => println!("{POLICY_FILE}: kept (it exists already)"),
            Err(e) => println!("{POLICY_FILE}: kept, but it is invalid: {e}"),
        }
        if args.signed {
            println!("{POLICY_FILE}: --signed changes nothing in an existing policy; see docs/trust.md for the keys");
        }
    } else {
        let policy = if args.signed { format!("{STARTER_POLICY}{SIGNED_ADDITIONS}") } else { STARTER_POLICY.into() };
        std::fs::write(&policy_path, policy).with_context(|| format!("cannot write {POLICY_FILE}"))?;
        let what = if args.signed { "a signed starter policy" } else { "a starter policy" };
        println!("{POLICY_FILE}: written ({what}: list your reviewers, then commit it)");
    }
    if args.signed {
        start_allowed_signers(&ctx)?;
    }

    let shown = |p: &std::path::Path| p.strip_prefix(&ctx.root).unwrap_or(p).display().to_string();
    for hook in git_hooks::HOOKS {
        let outcome = git_hooks::install(&hooks_dir, hook, &binary, args.force)?;
        println!("{}: {outcome}", shown(&hooks_dir.join(hook)));
    }
    notes::configure(&ctx.repo).context("cannot configure git notes")?;
    println!(
        "git config: notes.rewriteRef = {}, notes.rewriteMode = cat_sort_uniq (notes follow amend and rebase)",
        notes::NOTES_REF
    );

    for merge in &merges {
        let file = shown(&merge.file);
        if merge.content.is_none() {
            println!("{file}: vouch's hook is there already");
            continue;
        }
        agent_config::write(merge).with_context(|| format!("cannot write {}", merge.file.display()))?;
        println!("{file}: {} vouch's hook", if merge.created { "written with" } else { "merged" });
    }
    if binary == "vouch" {
        println!("note: could not tell where this vouch binary is; the hooks call `vouch` on PATH");
    }
    println!("next: commit {POLICY_FILE}, run `vouch doctor` to check the setup, and `vouch sync` to share records");
    Ok(Outcome::Ok)
}

/// Start the allowed-signers file the signed starter policy names, unless
/// there is one: a header and, when git is set up to sign with an SSH key
/// whose public half vouch can read, a line for the current user.
fn start_allowed_signers(ctx: &Context) -> anyhow::Result<()> {
    let rel = ".vouch/allowed_signers";
    let path = ctx.root.join(rel);
    if path.exists() {
        println!("{rel}: kept (it exists already)");
        return Ok(());
    }
    let mut text = SIGNERS_HEADER.to_string();
    let me = ctx.identity().ok();
    let key = crate::store::signature::signing_config(&ctx.repo).ok().flatten().and_then(|c| public_key(&c.key));
    let added = match (me, key) {
        (Some(me), Some(key)) => {
            text.push_str(&format!("{} {key}\n", me.email));
            format!("with {}'s signing key", me.email)
        }
        _ => "no key yet: add one line per reviewer and committer (git config gpg.format ssh; \
              git config user.signingkey ~/.ssh/id_ed25519.pub)"
            .to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {rel}"))?;
    println!("{rel}: written ({added}); commit it with the policy");
    Ok(())
}

/// The public key (`type base64`) of git's `user.signingkey`: a `key::`
/// literal, a public key file, or the `.pub` beside a private key file.
fn public_key(signing_key: &str) -> Option<String> {
    let literal = signing_key.strip_prefix("key::").unwrap_or(signing_key).trim();
    let read = |p: &std::path::Path| std::fs::read_to_string(p).ok();
    let text = if literal.starts_with("ssh-") || literal.starts_with("ecdsa-") || literal.starts_with("sk-") {
        Some(literal.to_string())
    } else {
        let path = match literal.strip_prefix("~/") {
            Some(rest) => std::path::Path::new(&std::env::var_os("HOME")?).join(rest),
            None => std::path::PathBuf::from(literal),
        };
        if literal.ends_with(".pub") {
            read(&path)
        } else {
            read(&path.with_file_name(format!("{}.pub", path.file_name()?.to_string_lossy())))
        }
    }?;
    let mut parts = text.split_whitespace();
    let (kind, data) = (parts.next()?, parts.next()?);
    Some(format!("{kind} {data}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_policy_is_valid_and_says_the_defaults() {
        let policy = Policy::parse(STARTER_POLICY, POLICY_FILE).unwrap();
        assert_eq!(policy.gate(), crate::policy::Gate::Block);
        assert!(!policy.reviewers_configured());
        assert!(policy.is_exempt("src/generated/x.rs") && policy.is_exempt("Cargo.lock"));
        assert!(!policy.is_exempt("src/main.rs"));
    }

    #[test]
    fn the_signed_starter_policy_turns_on_what_a_control_needs() {
        let policy = Policy::parse(&format!("{STARTER_POLICY}{SIGNED_ADDITIONS}"), POLICY_FILE).unwrap();
        assert!(policy.require_signatures() && policy.require_signed_commits());
        assert_eq!(policy.allowed_signers(), ".vouch/allowed_signers");
        assert!(policy.is_trust_file(".github/workflows/ci.yml") && policy.is_trust_file("CODEOWNERS"));
        assert!(!policy.allow_override());
        assert!(policy.warnings().is_empty());
    }
}
