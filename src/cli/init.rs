//! `vouch init`: set vouch up in a repository. Writes a starter policy
//! (`.vouch.toml`, unless there is one), installs the git hooks (chained to
//! the hooks already there; see [`super::git_hooks`]), configures git to
//! carry notes over amend and rebase, and with `--agent` merges the agents'
//! hook configuration (see [`super::agent_config`]). Running it again
//! changes only what is missing or out of date.

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
    } else {
        std::fs::write(&policy_path, STARTER_POLICY).with_context(|| format!("cannot write {POLICY_FILE}"))?;
        println!("{POLICY_FILE}: written (a starter policy: list your reviewers, then commit it)");
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
}
