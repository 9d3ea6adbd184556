//! `vouch doctor`: is vouch set up in this clone? The git hooks (installed,
//! executable, calling a vouch that exists, chained to the hooks that were
//! there; the pre-push hook is what carries notes and records to the
//! remote), the notes configuration that carries notes over amend and
//! rebase, the remotes' refspecs for vouch's notes and records (a fresh
//! clone has none of these: every clone needs `vouch init`), the policy,
//! the repository id it names and what each of its `exempt` patterns takes
//! out of review in HEAD, the git identity, the journal, and the agents'
//! hook configuration where an agent is configured. Each problem comes with
//! its fix; the exit status is 1 when anything is missing.

use std::path::Path;

use git2::Repository;

use super::agent_config::{self, AgentName};
use super::context::Context;
use super::git_hooks::{self, Found, refspec_matches};
use super::output::Style;
use super::{Format, FormatArg, Outcome};
use crate::policy::POLICY_FILE;
use crate::store::journal::Problem;
use crate::store::notes::NOTES_REF;
use crate::store::policy_file::{self, Source};
use crate::store::setup::is_executable;
use crate::store::{repo, sync};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub format: FormatArg,
}

/// One thing checked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub check: String,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn ok(check: impl Into<String>, detail: impl Into<String>) -> Check {
        Check { check: check.into(), ok: true, detail: detail.into(), fix: None }
    }

    fn fail(check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { check: check.into(), ok: false, detail: detail.into(), fix: Some(fix.into()) }
    }
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let checks = checks(&ctx);
    let healthy = checks.iter().all(|c| c.ok);
    match args.format.format {
        Format::Json => {
            let report = serde_json::json!({ "ok": healthy, "checks": checks });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Text => {
            let style = Style::stdout();
            for c in &checks {
                let mark = if c.ok { style.green("ok  ") } else { style.red("FAIL") };
                let (check, detail) = (crate::display::line(&c.check), crate::display::line(&c.detail));
                println!("{mark}  {check}: {detail}");
                if let Some(fix) = &c.fix {
                    println!("      fix: {}", crate::display::line(fix));
                }
            }
            let problems = checks.iter().filter(|c| !c.ok).count();
            if problems == 0 {
                println!("{}", style.bold("vouch is set up here"));
            } else {
                println!("{}", style.bold(&format!("{problems} problem(s)")));
            }
        }
    }
    Ok(if healthy { Outcome::Ok } else { Outcome::Failed })
}

/// Everything `vouch doctor` checks, in order.
pub fn checks(ctx: &Context) -> Vec<Check> {
    let mut out = Vec::new();
    hooks(ctx, &mut out);
    notes_config(&ctx.repo, &mut out);
    remotes(&ctx.repo, &mut out);
    policy(ctx, &mut out);
    repository_id(&ctx.repo, &mut out);
    exempt_patterns(ctx, &mut out);
    match ctx.identity() {
        Ok(me) => out.push(Check::ok("identity", format!("{} <{}>", me.name, me.email))),
        Err(e) => {
            out.push(Check::fail("identity", e.to_string(), "git config user.email you@example.com (and user.name)"))
        }
    }
    match ctx.journal() {
        Ok((_, loaded)) if loaded.problems.is_empty() => {
            out.push(Check::ok("journal", format!("{} live record(s)", loaded.live().count())))
        }
        Ok((_, loaded)) => {
            for problem in &loaded.problems {
                let fix = match problem {
                    Problem::Corrupt { set_aside: Some(file), .. } | Problem::SetAside { path: file, .. } => format!(
                        "look at {}; record the AI lines it held again (vouch mark PATH:FIRST-LAST --ai); then \
                         delete it (rm '{}')",
                        file.display(),
                        file.display()
                    ),
                    Problem::Corrupt { set_aside: None, .. } => {
                        "stop the vouch process that writes it (an editor's language server); it is then set aside"
                            .into()
                    }
                    Problem::UnsupportedVersion { .. } => "install the newer vouch that wrote it".into(),
                    Problem::Record { .. } => {
                        "record the AI lines of that file again (vouch mark PATH:FIRST-LAST --ai)".into()
                    }
                };
                out.push(Check::fail("journal", problem.to_string(), fix));
            }
        }
        Err(e) => out.push(Check::fail("journal", format!("{e:#}"), "check the permissions of .git/vouch")),
    }
    for file in crate::store::snapshot::set_aside_files(&ctx.repo) {
        out.push(Check::fail(
            "snapshots",
            format!(
                "{} is a damaged snapshot of an agent's tool call, set aside: the call was recorded without it \
                 (what it changed is not taken for a person's)",
                file.display()
            ),
            format!("look at it if the agent's record of that call matters; then delete it (rm '{}')", file.display()),
        ));
    }
    for agent in AgentName::ALL {
        let (name, flag) = (agent.display(), agent.flag());
        let file = agent_config::config_file(&ctx.root, agent);
        let shown = file.strip_prefix(&ctx.root).unwrap_or(&file).display().to_string();
        match agent_config::installed(&ctx.root, agent) {
            None => {}
            Some(Ok(true)) => {
                out.push(Check::ok(format!("agent {name}"), format!("{shown} runs vouch's hook")));
                agent_commands(ctx, agent, name, &mut out);
            }
            Some(Ok(false)) if agent_config::vouch_commands(&ctx.root, agent).is_empty() => out.push(Check::fail(
                format!("agent {name}"),
                format!("{shown} exists but does not run vouch's hook: its edits are not recorded"),
                format!("vouch init --agent {flag}"),
            )),
            Some(Ok(false)) => out.push(Check::fail(
                format!("agent {name}"),
                format!(
                    "{shown} runs vouch's hook as an older vouch set it up: some of what it does now is missing \
                     (a snapshot before each tool, the shell's, notebooks' or MCP tools' edits, or the analysis at \
                     the end of the turn)"
                ),
                format!("vouch init --agent {flag}"),
            )),
            Some(Err(e)) => out.push(Check::fail(format!("agent {name}"), e.to_string(), format!("fix {shown}"))),
        }
    }
    out
}

/// Run each of vouch's hook commands in `agent`'s configuration as the
/// agent would (see [`agent_config::probe`]).
fn agent_commands(ctx: &Context, agent: AgentName, name: &str, out: &mut Vec<Check>) {
    for command in agent_config::vouch_commands(&ctx.root, agent) {
        let check = format!("agent {name} hook");
        out.push(match agent_config::probe(&ctx.root, agent, &command) {
            Ok(agent_config::Probe::Ran) => Check::ok(check, format!("`{command}` runs")),
            Ok(agent_config::Probe::NotFound { stderr }) => Check::fail(
                check,
                format!(
                    "`{command}` fails with exit 127: the shell finds no `vouch` on PATH ({stderr}); \
                     {name} runs it the same way, so its edits are not recorded"
                ),
                "put vouch on PATH (e.g. cargo install --path . in vouch's source, or a link to the \
                 binary in ~/.local/bin), then run vouch doctor again",
            ),
            Ok(agent_config::Probe::Failed { code, stderr }) => Check::fail(
                check,
                format!(
                    "`{command}` fails ({}): {stderr}",
                    code.map_or("killed, or it took too long".to_string(), |c| format!("exit {c}"))
                ),
                "run the command by hand to see why",
            ),
            Err(e) => Check::fail(check, format!("cannot run `{command}` through sh: {e}"), "check that sh works"),
        });
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(name))))
}

fn hooks(ctx: &Context, out: &mut Vec<Check>) {
    let dir = match git_hooks::hooks_dir(&ctx.repo) {
        Ok(dir) => dir,
        Err(e) => {
            out.push(Check::fail("hooks", format!("{e:#}"), "check core.hooksPath"));
            return;
        }
    };
    if let Some(why) = git_hooks::shared_elsewhere(&ctx.repo, &ctx.root, &dir) {
        out.push(Check::fail(
            "hooks directory",
            why,
            format!(
                "git config core.hooksPath .githooks (or unset it), vouch init, and take vouch's hooks out of {}",
                dir.display()
            ),
        ));
    }
    let shown = |p: &Path| p.strip_prefix(&ctx.root).unwrap_or(p).display().to_string();
    for hook in git_hooks::HOOKS {
        let name = format!("hook {hook}");
        let path = dir.join(hook);
        let check = match git_hooks::inspect(&dir, hook) {
            Found::Missing => Check::fail(name, format!("{} is missing", shown(&path)), "vouch init"),
            Found::Foreign => Check::fail(
                name,
                format!("{} is another tool's hook, not vouch's", shown(&path)),
                format!("vouch init (keeps that hook as {hook}.local and runs it first)"),
            ),
            Found::Vouch { executable: false, .. } => {
                Check::fail(name, format!("{} is not executable", shown(&path)), format!("chmod +x {}", path.display()))
            }
            Found::Vouch { binary, chained, .. } => {
                let chain = chained.map(|c| format!("; runs {} first", shown(&c))).unwrap_or_default();
                let binary = binary.unwrap_or_default();
                if is_executable(Path::new(&binary)) {
                    Check::ok(name, format!("installed, calls {binary}{chain}"))
                } else if on_path("vouch") {
                    Check::ok(name, format!("installed, calls vouch on PATH ({binary} is gone){chain}"))
                } else {
                    Check::fail(
                        name,
                        format!("installed, but vouch is not at {binary} nor on PATH: the hook does nothing{chain}"),
                        "install vouch, then run vouch init again",
                    )
                }
            }
        };
        out.push(check);
    }
}

fn notes_config(repo: &Repository, out: &mut Vec<Check>) {
    let fix = "vouch init (sets notes.rewriteRef, notes.rewriteMode = cat_sort_uniq)";
    let Ok(config) = repo.config() else {
        out.push(Check::fail("notes config", "cannot read the git config", "check .git/config"));
        return;
    };
    let mut refs = Vec::new();
    if let Ok(mut entries) = config.multivar("notes.rewriteRef", None) {
        while let Some(Ok(entry)) = entries.next() {
            refs.extend(entry.value().map(str::to_string));
        }
    }
    let covered = refs.iter().any(|r| refspec_matches(r, NOTES_REF));
    let mode = config.get_string("notes.rewriteMode").ok();
    let disabled: Vec<&str> = ["notes.rewrite.amend", "notes.rewrite.rebase"]
        .into_iter()
        .filter(|k| config.get_bool(k).ok() == Some(false))
        .collect();
    if !covered {
        out.push(Check::fail(
            "notes config",
            format!("notes.rewriteRef does not name {NOTES_REF}: amend and rebase lose notes"),
            fix,
        ));
    } else if mode.as_deref() != Some("cat_sort_uniq") {
        out.push(Check::fail(
            "notes config",
            format!(
                "notes.rewriteMode is {}, not cat_sort_uniq: squashed notes are not merged line by line",
                mode.as_deref().unwrap_or("unset")
            ),
            fix,
        ));
    } else if !disabled.is_empty() {
        out.push(Check::fail("notes config", format!("{} is false", disabled.join(" and ")), fix));
    } else {
        out.push(Check::ok("notes config", format!("notes in {NOTES_REF} follow amend and rebase")));
    }
}

fn repository_id(repo: &Repository, out: &mut Vec<Check>) {
    match repo::repository(repo) {
        Ok(id) => match (&id.origin, id.warning()) {
            (repo::IdOrigin::Policy(file), _) => {
                out.push(Check::ok("repository id", format!("{} (named in {file})", id.id)))
            }
            (_, warning) => {
                // `vouch init` may have written the id into a policy not
                // committed yet: then committing it is all that is left.
                let written = crate::store::policy_file::load(repo, &crate::store::policy_file::Source::Worktree)
                    .ok()
                    .is_some_and(|p| p.repository() == Some(id.id.as_str()));
                let fix = if written {
                    format!(
                        "commit {POLICY_FILE}, which names it already: a change to it needs a second person's \
                         sign-off (vouch request {POLICY_FILE} -m \"why\", then they run vouch approve)"
                    )
                } else {
                    format!("vouch init (adds repository = \"{}\" to {POLICY_FILE}), then commit {POLICY_FILE}", id.id)
                };
                out.push(Check::fail("repository id", warning.unwrap_or_default(), fix))
            }
        },
        Err(repo::RepoError::NoCommits) => {
            out.push(Check::ok("repository id", "no commits yet: after the first one, vouch init records it"))
        }
        Err(e) => out.push(Check::fail("repository id", e.to_string(), "check the repository")),
    }
}

fn remotes(repo: &Repository, out: &mut Vec<Check>) {
    let names: Vec<String> = match repo.remotes() {
        Ok(list) => list.iter().flatten().map(str::to_string).collect(),
        Err(e) => {
            out.push(Check::fail("remotes", format!("cannot list remotes: {e}"), "check .git/config"));
            return;
        }
    };
    if names.is_empty() {
        out.push(Check::ok("remotes", "no remote: nothing to share records and notes with"));
        return;
    }
    for name in names {
        let Ok(remote) = repo.find_remote(&name) else { continue };
        let sources: Vec<String> = remote
            .fetch_refspecs()
            .map(|specs| {
                specs
                    .iter()
                    .flatten()
                    .map(|s| s.trim_start_matches('+').split(':').next().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        let overwriting = sync::overwriting_refspecs(repo, &name);
        if !overwriting.is_empty() {
            for warning in overwriting {
                out.push(Check::fail(format!("remote {name}"), warning, "vouch sync merges them instead"));
            }
            continue;
        }
        // Fetched next to vouch's own refs, where `vouch sync` keeps the
        // remote's versions, so a plain `git fetch` overwrites nothing.
        let missing: Vec<&str> =
            sync::SHARED_REFS.iter().copied().filter(|r| !sources.iter().any(|s| refspec_matches(s, r))).collect();
        if missing.is_empty() {
            out.push(Check::ok(
                format!("remote {name}"),
                "fetches vouch's notes and records (vouch sync merges and pushes them)",
            ));
            continue;
        }
        let fixes: Vec<String> = missing
            .iter()
            .map(|r| format!("git config --add remote.{name}.fetch '+{r}:{}'", sync::private_ref(repo, &name, r)))
            .collect();
        out.push(Check::fail(
            format!("remote {name}"),
            format!(
                "fetches none of {} (a fresh clone has no refspecs for them): others' approvals and notes stay unseen",
                missing.join(", ")
            ),
            format!(
                "vouch sync (fetches, merges and pushes them), and to fetch them with git fetch: {}",
                fixes.join("; ")
            ),
        ));
    }
}

fn policy(ctx: &Context, out: &mut Vec<Check>) {
    let exists = ctx.root.join(POLICY_FILE).exists();
    match policy_file::load(&ctx.repo, &Source::Worktree) {
        Ok(_) if !exists => out.push(Check::fail(
            "policy",
            format!("no {POLICY_FILE}: the defaults apply (one approval from anyone but the participants)"),
            format!("vouch init writes a starter {POLICY_FILE}; commit it"),
        )),
        Ok(_) => out.push(Check::ok("policy", format!("{POLICY_FILE} is valid"))),
        Err(e) => out.push(Check::fail("policy", e.to_string(), format!("fix {POLICY_FILE}"))),
    }
    if let Err(e) = policy_file::load(&ctx.repo, &Source::Index) {
        out.push(Check::fail(
            "staged policy",
            format!("{e}: the gate refuses every commit"),
            format!("fix {POLICY_FILE}, then git add it"),
        ));
    }
}

/// How many example paths a check names.
const EXAMPLES: usize = 3;

/// What each `exempt` pattern of the working tree's policy takes out of
/// review: how many files of HEAD it matches, and a few of them. A pattern
/// with no `/` but a trailing one matches at any depth (gitignore
/// semantics: `vendor/` exempts `src/payments/vendor/charge.py` too); when
/// it matches at more than one place, each place is listed and the check
/// fails, with the anchored and the explicit spelling as the fix.
fn exempt_patterns(ctx: &Context, out: &mut Vec<Check>) {
    let Ok(policy) = policy_file::load(&ctx.repo, &Source::Worktree) else { return };
    if policy.exempt_patterns().is_empty() {
        return;
    }
    let Ok(tree) = ctx.repo.head().and_then(|h| h.peel_to_tree()) else {
        out.push(Check::ok("exempt", "no commit yet: nothing to match the exempt patterns against"));
        return;
    };
    let mut files = Vec::new();
    let walked = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() != Some(git2::ObjectType::Tree) {
            files.push(format!("{dir}{}", String::from_utf8_lossy(entry.name_bytes())));
        }
        git2::TreeWalkResult::Ok
    });
    if let Err(e) = walked {
        out.push(Check::fail("exempt", format!("cannot list HEAD's files: {e}"), "check the repository (git fsck)"));
        return;
    }
    for text in policy.exempt_patterns() {
        let name = format!("exempt {text}");
        let pattern = match crate::policy::PathPattern::new(text) {
            Ok(pattern) => pattern,
            Err(e) => {
                out.push(Check::fail(name, e, format!("fix {POLICY_FILE}")));
                continue;
            }
        };
        // The files it matches, by the directory it matches them from.
        let mut places: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
        for file in &files {
            if let Some(at) = pattern.matched_at(file) {
                places.entry(at).or_default().push(file);
            }
        }
        let count: usize = places.values().map(Vec::len).sum();
        if count == 0 {
            out.push(Check::ok(name, "matches no file in HEAD"));
            continue;
        }
        if pattern.matches_at_any_depth() && places.len() > 1 {
            let listed: Vec<String> = places
                .iter()
                .map(|(at, files)| {
                    let shown =
                        if at.is_empty() { text.trim_start_matches('/').to_string() } else { format!("{at}{text}") };
                    format!("{shown} ({} file(s), e.g. {})", files.len(), files[0])
                })
                .collect();
            out.push(Check::fail(
                name,
                format!(
                    "{count} file(s) in HEAD, at {} places: {}; without a leading /, a pattern matches at any depth",
                    places.len(),
                    listed.join("; ")
                ),
                format!(
                    "write /{} in {POLICY_FILE} if only the top-level one is meant, or **/{} if every depth is",
                    text.trim_start_matches('/'),
                    text
                ),
            ));
            continue;
        }
        let examples: Vec<&str> = places.values().flatten().take(EXAMPLES).copied().collect();
        let more = if count > examples.len() { ", …" } else { "" };
        let depth = if pattern.matches_at_any_depth() { " (at any depth)" } else { "" };
        out.push(Check::ok(name, format!("{count} file(s) in HEAD{depth}: {}{more}", examples.join(", "))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_patterns() {
        assert!(refspec_matches("refs/notes/*", "refs/notes/vouch"));
        assert!(refspec_matches("refs/vouch/*", "refs/vouch/approvals"));
        assert!(refspec_matches("refs/notes/vouch", "refs/notes/vouch"));
        assert!(!refspec_matches("refs/heads/*", "refs/notes/vouch"));
        assert!(!refspec_matches("refs/notes/vouch-old", "refs/notes/vouch"));
    }
}
