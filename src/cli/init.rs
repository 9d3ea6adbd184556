//! `vouch init`: set vouch up in a clone. Every clone needs it (hooks and
//! git configuration are not cloned). It writes a starter policy
//! (`.vouch.toml`, unless there is one) or adds the repository id to an
//! existing policy that lacks it, installs the git hooks (chained to the
//! hooks already there; see [`super::git_hooks`]), configures git to carry
//! notes over amend and rebase and each remote to fetch them beside the
//! local ones, moves records older versions kept under `refs/vouch/*` onto
//! the records branch, and with `--agent` merges the agents' hook
//! configuration (see [`super::agent_config`]). Running it again changes
//! only what is missing or out of date.
//!
//! With `--signed` the starter policy also turns on what the "making it a
//! control" checklist of `docs/trust.md` asks of the policy (signed
//! approvals, signed commits, trust files), and an allowed-signers file is
//! started (with the current user's signing key, when git has one).
//!
//! It checks what can stop it (the agents' files, a hook of someone else's
//! it could not chain) before it writes anything. `--format json` reports
//! every step as data (see [`Report`]); text mode says each step as it
//! happens.

use anyhow::Context as _;
use serde::Serialize;

use super::agent_config::{self, AgentName};
use super::context::Context;
use super::git_hooks::{self, Installed};
use super::{Format, FormatArg, Outcome};
use crate::policy::{POLICY_FILE, Policy};
use crate::store::{notes, records, repo};

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
    #[command(flatten)]
    pub format: FormatArg,
}

/// The policy `vouch init` writes, naming the repository `id` (`None`
/// before the first commit, when there is no root commit yet).
pub fn starter_policy(id: Option<&str>) -> String {
    let repository = match id {
        Some(id) => format!("repository = \"{id}\""),
        None => "# repository = \"<root commit id>\"   # run vouch init again after the first commit".to_string(),
    };
    format!(
        r#"# vouch policy: who signs off on AI-written code, and how strict the gate is.
# Commit this file and protect it (list it in CODEOWNERS): weakening the
# policy should itself need review. Every key, with its default, is in
# vouch's docs/policy.md.

# This repository's id (its root commit). Every request, approval and
# override carries it; only records of this repository count here.
{repository}

# What the pre-commit gate does when a staged AI-written unit lacks sign-off:
# "block" refuses the commit, "warn" prints and lets it through. Either way,
# `vouch verify` in CI is the check to rely on: hooks can be skipped.
gate = "block"

# Every commit in a range vouch verify checks must carry a provenance note
# (vouch's post-commit hook writes one, "no AI" included): a commit without
# one fails instead of passing as unknown. Run vouch init in every clone.
require_attestation = true

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
"#
    )
}

/// `text` (a policy without a `repository` key) with `repository = "id"`
/// added before its first key or table, after the comments that open it.
pub fn with_repository_key(text: &str, id: &str) -> String {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            break;
        }
        at += line.len();
    }
    let (head, rest) = text.split_at(at);
    let newline = if head.is_empty() || head.ends_with('\n') { "" } else { "\n" };
    format!(
        "{head}{newline}# This repository's id (its root commit): only records that carry it count here.\n\
         repository = \"{id}\"\n\n{rest}"
    )
}

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
trust_files = [".github/workflows/", ".github/actions/", ".gitlab-ci.yml"]

# Break glass is off. To allow it, name who may (never for what they took
# part in, never over a trust-file change):
# allow_override = true
# override_by = ["@leads"]
"#;

/// Where `vouch init --signed` starts the allowed-signers file (the signed
/// starter policy's `allowed_signers`).
const SIGNERS_FILE: &str = ".vouch/allowed_signers";

/// The allowed-signers file `vouch init --signed` starts.
const SIGNERS_HEADER: &str = "# Allowed signers: git's gpg.ssh.allowedSignersFile format, one line per
# reviewer and committer (EMAIL KEYTYPE KEY). vouch checks approvals
# (namespace \"vouch\") and, with require_signed_commits, commits (namespace
# \"git\") against this file as of the verified BASE. Protect it with
# CODEOWNERS; a change to it needs approval like a change to the policy.
";

/// What `vouch init` did, as `--format json` reports it: every file and
/// setting it wrote, changed or left as it was. Text mode prints the same
/// steps in words, each as it happens.
#[derive(Debug, Default, Serialize)]
struct Report {
    /// The repository id (its root commit); `None` before the first commit.
    repository: Option<String>,
    policy: PolicyStep,
    /// The allowed-signers file (`--signed` only).
    allowed_signers: Option<SignersStep>,
    hooks: Vec<HookStep>,
    /// The git configuration set (each value as set; setting is idempotent).
    git_config: Vec<ConfigStep>,
    /// Fetch refspecs added to the remotes (those missing only).
    fetch_refspecs: Vec<RefspecStep>,
    /// Records moved from where older versions kept them.
    migrated: Vec<MigratedStep>,
    /// Commits made before init, where git's hooks did not run, that init
    /// noted from this worktree's journal (the AI text an agent's hooks or
    /// an editor recorded), oldest first.
    noted: Vec<String>,
    agents: Vec<AgentStep>,
    /// What init could not do well, and what will fail until it is fixed.
    warnings: Vec<String>,
    /// What to know.
    notes: Vec<String>,
    next: String,
}

#[derive(Debug, Default, Serialize)]
struct PolicyStep {
    file: &'static str,
    /// `written` (a starter policy), `updated` (the repository id added) or
    /// `kept` (as it was).
    action: &'static str,
    /// Whether the starter policy written is the signed one.
    signed: bool,
    /// The repository the policy names, after init.
    repository: Option<String>,
    /// Why the policy kept is invalid.
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct SignersStep {
    file: &'static str,
    /// `written` or `kept`.
    action: &'static str,
    /// Whose signing key the written file lists (none: no key found).
    signer: Option<String>,
}

#[derive(Debug, Serialize)]
struct HookStep {
    hook: &'static str,
    file: String,
    /// `installed`, `updated`, `unchanged`, `chained` (the hook that was
    /// there runs first, as `<hook>.local`) or `backed_up` (`--force`).
    action: &'static str,
    /// Where the hook that was there went.
    kept_as: Option<String>,
}

#[derive(Debug, Serialize)]
struct ConfigStep {
    key: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct RefspecStep {
    remote: String,
    refspec: String,
}

#[derive(Debug, Serialize)]
struct MigratedStep {
    from: &'static str,
    to: &'static str,
    records: usize,
}

#[derive(Debug, Serialize)]
struct AgentStep {
    /// Its `--agent` value.
    agent: &'static str,
    file: String,
    /// `written` (a new file), `merged` (into the file there) or
    /// `unchanged` (vouch's hook is there already).
    action: &'static str,
    /// What the person must still do for the agent to run the hook.
    note: Option<&'static str>,
}

/// Collects the report; in text mode also says each step as it happens, so
/// that an init that stops on an error has said what it did before.
struct Steps {
    text: bool,
    report: Report,
}

impl Steps {
    fn say(&self, line: impl std::fmt::Display) {
        if self.text {
            println!("{line}");
        }
    }

    fn note(&mut self, note: String) {
        self.say(format_args!("note: {note}"));
        self.report.notes.push(note);
    }

    fn warn(&mut self, warning: String) {
        self.say(format_args!("warning: {warning}"));
        self.report.warnings.push(warning);
    }
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    // Read everything that can fail before writing anything.
    let mut agents = args.agents.clone();
    agents.dedup();
    let merges = agents.iter().map(|&agent| agent_config::plan(&ctx.root, agent)).collect::<Result<Vec<_>, _>>()?;
    let hooks_dir = git_hooks::hooks_dir(&ctx.repo)?;
    if let Some(why) = git_hooks::shared_elsewhere(&ctx.repo, &ctx.root, &hooks_dir) {
        anyhow::bail!("{why}; nothing was changed");
    }
    if let Some(why) = git_hooks::HOOKS.iter().find_map(|hook| git_hooks::refusal(&hooks_dir, hook, args.force)) {
        anyhow::bail!("{why}; nothing was changed");
    }
    let binary = git_hooks::current_binary();
    // The id as local commands know it (the committed policy, the git
    // config, else the oldest root reachable from HEAD, as earlier versions
    // worked it out, so that the records made so far keep counting).
    let id = match repo::repository(&ctx.repo) {
        Ok(id) => Some(id.id),
        Err(repo::RepoError::NoCommits) => None,
        Err(e) => return Err(e).context("cannot work out the repository id"),
    };
    let mut steps = Steps {
        text: args.format.format == Format::Text,
        report: Report { repository: id.clone(), ..Report::default() },
    };

    steps.report.policy = write_policy(&ctx, &args, id.as_deref(), &mut steps)?;
    if let Some(id) = &id {
        let mut config = ctx.repo.config().context("cannot open the git config")?;
        config.set_str(repo::ID_CONFIG_KEY, id).context("cannot set vouch.repository")?;
        steps.report.git_config.push(ConfigStep { key: repo::ID_CONFIG_KEY.to_string(), value: id.clone() });
    }
    if args.signed {
        let signers = start_allowed_signers(&ctx, &steps)?;
        steps.report.allowed_signers = Some(signers);
    }

    let shown = |p: &std::path::Path| p.strip_prefix(&ctx.root).unwrap_or(p).display().to_string();
    for hook in git_hooks::HOOKS {
        let outcome = git_hooks::install(&hooks_dir, hook, &binary, args.force)?;
        let file = shown(&hooks_dir.join(hook));
        steps.say(format_args!("{file}: {outcome}"));
        let (action, kept_as) = match &outcome {
            Installed::Created => ("installed", None),
            Installed::Updated => ("updated", None),
            Installed::Unchanged => ("unchanged", None),
            Installed::Chained => ("chained", Some(shown(&hooks_dir.join(format!("{hook}.local"))))),
            Installed::BackedUp(backup) => ("backed_up", Some(shown(backup))),
        };
        steps.report.hooks.push(HookStep { hook, file, action, kept_as });
    }
    notes::configure(&ctx.repo).context("cannot configure git notes")?;
    steps.say(format_args!(
        "git config: notes.rewriteRef = {}, notes.rewriteMode = cat_sort_uniq (notes follow amend and rebase)",
        notes::NOTES_REF
    ));
    for (key, value) in [
        ("notes.rewriteRef", notes::NOTES_REF),
        ("notes.rewriteMode", "cat_sort_uniq"),
        ("notes.rewrite.amend", "true"),
        ("notes.rewrite.rebase", "true"),
    ] {
        steps.report.git_config.push(ConfigStep { key: key.to_string(), value: value.to_string() });
    }
    for (remote, refspec) in git_hooks::configure_fetch(&ctx.repo).context("cannot configure the remotes")? {
        steps.say(format_args!(
            "git config: remote.{remote}.fetch += {refspec} (git fetch brings vouch's notes and records beside yours)"
        ));
        steps.report.fetch_refspecs.push(RefspecStep { remote, refspec });
    }
    for moved in records::migrate(&ctx.repo).context("cannot move the records of older versions")? {
        steps.say(format_args!(
            "{}: {} record(s) moved from {} (where older versions of vouch keep them); vouch sync shares them",
            records::RECORDS_BRANCH,
            moved.records,
            moved.from
        ));
        steps.report.migrated.push(MigratedStep {
            from: moved.from,
            to: records::RECORDS_BRANCH,
            records: moved.records,
        });
    }
    // The records read once now, into their cache: the first command after
    // a clone (a blame, the gate, the language server's start) does not walk
    // the records branch's history, about 0.1 ms a commit of it. Records that
    // cannot be read are for those commands to report; init goes on.
    if let Err(e) = crate::signoff::Ledger::load(&ctx.repo) {
        eprintln!("vouch: warning: cannot read the records yet: {}", crate::display::line(&e.to_string()));
    }
    // Commits made before, with no hook to note them, lose nothing the
    // journal still holds of them.
    match super::commit_note::note_unnoted(&ctx) {
        Ok(noted) if !noted.is_empty() => {
            let shown: Vec<String> = noted.iter().map(|c| c.to_string()[..10].to_string()).collect();
            steps.say(format_args!(
                "{} earlier commit{} noted from this worktree's records (made where git's hooks did not run): {}",
                noted.len(),
                if noted.len() == 1 { "" } else { "s" },
                shown.join(", ")
            ));
            steps.report.noted = noted.iter().map(|c| c.to_string()).collect();
        }
        Ok(_) => {}
        Err(e) => steps.warn(format!(
            "cannot note the commits made before init from this worktree's records: {}; `vouch notes rebuild \
             BASE..HEAD` tries again",
            crate::display::line(&format!("{e:#}"))
        )),
    }

    for (merge, &agent) in merges.iter().zip(&agents) {
        let file = shown(&merge.file);
        let action = if merge.content.is_none() {
            steps.say(format_args!("{file}: vouch's hook is there already"));
            "unchanged"
        } else {
            agent_config::write(merge).with_context(|| format!("cannot write {}", merge.file.display()))?;
            steps.say(format_args!("{file}: {} vouch's hook", if merge.created { "written with" } else { "merged" }));
            if merge.created { "written" } else { "merged" }
        };
        let note = agent_config::activation_note(agent);
        steps.report.agents.push(AgentStep { agent: agent.flag(), file, action, note });
    }
    for agent in &agents {
        if let Some(note) = agent_config::activation_note(*agent) {
            steps.note(note.to_string());
        }
    }
    if !merges.is_empty() && agent_config::vouch_on_path().is_none() {
        steps.warn(format!(
            "no `vouch` on PATH: the agents' hooks run `vouch hook …` and will fail (exit 127) until vouch is on \
             PATH (e.g. cargo install --path ., or a link to {binary} in ~/.local/bin); vouch doctor checks it"
        ));
    }
    if binary == "vouch" {
        steps.note("could not tell where this vouch binary is; the hooks call `vouch` on PATH".to_string());
    }
    // After the first commit the policy is a trust file like any other: its
    // first commit needs a second person's sign-off, as a change to it
    // would (on an unborn branch there is nothing before it to protect).
    let policy_committed =
        ctx.repo.head().and_then(|h| h.peel_to_tree()).map(|t| t.get_path(std::path::Path::new(POLICY_FILE)).is_ok());
    let commit_policy = match policy_committed {
        Ok(false) => format!(
            "commit {POLICY_FILE} once someone else signed it off (it decides who may approve, so the gate and \
             vouch verify ask for a second person's sign-off of it: vouch request {POLICY_FILE} -m \"adopt vouch\", \
             then they run vouch approve), "
        ),
        Ok(true) => String::new(),
        Err(_) => format!("commit {POLICY_FILE}, "),
    };
    let next = format!(
        "{commit_policy}run `vouch doctor` to check the setup; git push now shares notes and records (the \
         pre-push hook runs vouch sync), and every other clone needs vouch init too"
    );
    steps.say(format_args!("next: {next}"));
    steps.report.next = next;
    if !steps.text {
        println!("{}", serde_json::to_string_pretty(&steps.report)?);
    }
    Ok(Outcome::Ok)
}

/// Write the starter policy, or add the repository id to the policy there
/// when it lacks one, or keep it as it is.
fn write_policy(ctx: &Context, args: &Args, id: Option<&str>, steps: &mut Steps) -> anyhow::Result<PolicyStep> {
    let policy_path = ctx.root.join(POLICY_FILE);
    let mut step = PolicyStep { file: POLICY_FILE, action: "kept", ..PolicyStep::default() };
    if policy_path.exists() {
        let text = std::fs::read_to_string(&policy_path).with_context(|| format!("cannot read {POLICY_FILE}"))?;
        match Policy::parse(&text, POLICY_FILE) {
            Ok(policy) => match (policy.repository(), id) {
                (Some(named), _) => {
                    steps.say(format_args!("{POLICY_FILE}: kept (it exists already; repository = \"{named}\")"));
                    step.repository = Some(named.to_string());
                }
                (None, None) => steps.say(format_args!(
                    "{POLICY_FILE}: kept; it does not name the repository yet: make the first commit, then run \
                     vouch init again"
                )),
                (None, Some(id)) => {
                    let updated = with_repository_key(&text, id);
                    Policy::parse(&updated, POLICY_FILE)
                        .with_context(|| format!("cannot add the repository id to {POLICY_FILE}"))?;
                    std::fs::write(&policy_path, updated).with_context(|| format!("cannot write {POLICY_FILE}"))?;
                    steps.say(format_args!(
                        "{POLICY_FILE}: added repository = \"{id}\" (this repository's id; commit it, it is a \
                         policy change)"
                    ));
                    step.action = "updated";
                    step.repository = Some(id.to_string());
                }
            },
            Err(e) => {
                steps.say(format_args!("{POLICY_FILE}: kept, but it is invalid: {e}"));
                step.error = Some(e.to_string());
            }
        }
        if args.signed {
            let note = format!(
                "{POLICY_FILE}: --signed changes nothing in an existing policy; see docs/trust.md for the keys"
            );
            steps.say(&note);
            steps.report.notes.push(note);
        }
        return Ok(step);
    }
    let starter = starter_policy(id);
    let policy = if args.signed { format!("{starter}{SIGNED_ADDITIONS}") } else { starter };
    std::fs::write(&policy_path, policy).with_context(|| format!("cannot write {POLICY_FILE}"))?;
    let what = if args.signed { "a signed starter policy" } else { "a starter policy" };
    match id {
        Some(id) => steps.say(format_args!(
            "{POLICY_FILE}: written ({what} with repository = \"{id}\": list your reviewers, then commit it)"
        )),
        None => steps.say(format_args!(
            "{POLICY_FILE}: written ({what}: list your reviewers, then commit it; after the first commit, run vouch \
             init again to record the repository id)"
        )),
    }
    Ok(PolicyStep {
        file: POLICY_FILE,
        action: "written",
        signed: args.signed,
        repository: id.map(str::to_string),
        error: None,
    })
}

/// Start the allowed-signers file the signed starter policy names, unless
/// there is one: a header and, when git is set up to sign with an SSH key
/// whose public half vouch can read, a line for the current user.
fn start_allowed_signers(ctx: &Context, steps: &Steps) -> anyhow::Result<SignersStep> {
    let rel = SIGNERS_FILE;
    let path = ctx.root.join(rel);
    if path.exists() {
        steps.say(format_args!("{rel}: kept (it exists already)"));
        return Ok(SignersStep { file: rel, action: "kept", signer: None });
    }
    let mut text = SIGNERS_HEADER.to_string();
    let me = ctx.identity().ok();
    let key = crate::store::signature::signing_config(&ctx.repo).ok().flatten().and_then(|c| public_key(&c.key));
    let (added, signer) = match (me, key) {
        (Some(me), Some(key)) => {
            text.push_str(&format!("{} {key}\n", me.email));
            (format!("with {}'s signing key", me.email), Some(me.email))
        }
        _ => (
            "no key yet: add one line per reviewer and committer (git config gpg.format ssh; git config \
             user.signingkey ~/.ssh/id_ed25519.pub)"
                .to_string(),
            None,
        ),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {rel}"))?;
    steps.say(format_args!("{rel}: written ({added}); commit it with the policy"));
    Ok(SignersStep { file: rel, action: "written", signer })
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
    fn the_starter_policy_is_valid_and_fails_closed() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        let policy = Policy::parse(&starter_policy(Some(id)), POLICY_FILE).unwrap();
        assert_eq!(policy.gate(), crate::policy::Gate::Block);
        assert_eq!(policy.repository(), Some(id));
        assert!(policy.require_attestation());
        assert!(!policy.reviewers_configured());
        assert!(policy.is_exempt("src/generated/x.rs") && policy.is_exempt("Cargo.lock"));
        assert!(!policy.is_exempt("src/main.rs"));
        let unborn = Policy::parse(&starter_policy(None), POLICY_FILE).unwrap();
        assert_eq!(unborn.repository(), None);
        assert!(unborn.require_attestation());
    }

    #[test]
    fn the_repository_key_goes_before_the_first_key_or_table() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        for text in [
            "",
            "# policy\n\n[groups]\nx = [\"a@x\"]\n",
            "reviewers = [\"a@x\"]\n[[rules]]\npaths = [\"src/\"]\n",
            "# no newline at the end",
        ] {
            let updated = with_repository_key(text, id);
            let policy = Policy::parse(&updated, POLICY_FILE).unwrap_or_else(|e| panic!("{e}\n{updated}"));
            assert_eq!(policy.repository(), Some(id), "{updated}");
            // Everything that was there is still there, in order.
            let kept: Vec<&str> = updated
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with("# This repository's id") && !l.starts_with("repository ="))
                .collect();
            assert_eq!(kept, text.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>(), "{updated}");
        }
    }

    #[test]
    fn the_signed_starter_policy_turns_on_what_a_control_needs() {
        let policy = Policy::parse(
            &format!("{}{SIGNED_ADDITIONS}", starter_policy(Some("0123456789abcdef0123456789abcdef01234567"))),
            POLICY_FILE,
        )
        .unwrap();
        assert!(policy.require_signatures() && policy.require_signed_commits());
        assert_eq!(policy.allowed_signers(), ".vouch/allowed_signers");
        assert!(policy.is_trust_file(".github/workflows/ci.yml") && policy.is_trust_file("CODEOWNERS"));
        assert!(!policy.allow_override());
        assert!(policy.warnings().is_empty());
    }
}
