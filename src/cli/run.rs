//! `vouch run -- COMMAND [ARGS]`: the wrapper for an agent that has no
//! hooks vouch reads. It takes the state of the worktree
//! ([`WorktreeState`]: every tracked file and every untracked file git does
//! not ignore, by content), runs the command with the terminal passed
//! through, and afterwards records as AI (evidence `wrapper`, the
//! command's program name as the tool) every line that changed in the
//! worktree's files while it ran (all of a file that is not UTF-8, where a
//! change cannot be located). Files are compared in the form git stores
//! (see [`crate::store::attributes`]).
//!
//! What it cannot do, and says so in `vouch run --help` and
//! `docs/agents.md`: tell who changed a file. Whatever changed while the
//! command ran is attributed to it, a person's edits in the meantime
//! included.
//!
//! Signals: a Ctrl-C in a terminal goes to the whole foreground process
//! group, so the command gets it from the terminal; vouch, which must live
//! on to record, catches it and does not pass it on a second time (an
//! agent may take a second Ctrl-C as "quit now"). A signal sent to vouch
//! alone (`kill`, a supervisor) is passed on to the command. Either way
//! vouch records what changed once the command ends, and exits with its
//! exit code (128 + the signal's number when a signal ended it).

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use super::Outcome;
use super::agent_record::{self, target};
use super::commit_note::{self, ReflogMark};
use crate::display;
use crate::provenance::{AiKind, AiSource, Evidence};
use crate::store::journal::Journal;
use crate::store::repo;
use crate::store::worktree_state::{Was, WorktreeState};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent's name, recorded as the tool (default: COMMAND's program
    /// name).
    #[arg(long, value_name = "NAME", value_parser = super::tool_name)]
    pub tool: Option<String>,
    /// The model, if known.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// The command to run, and its arguments (after `--`).
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

/// The signals passed on to the command.
const FORWARDED: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let (program, rest) = args.command.split_first().context("no command to run")?;
    let tool = args.tool.clone().unwrap_or_else(|| program_name(program));
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let repo = repo::discover(&cwd).map_err(|e| {
        anyhow::anyhow!("{}; vouch run records changes in a git worktree", display::line(&e.to_string()))
    })?;
    if repo.is_bare() {
        anyhow::bail!("vouch run needs a worktree; this is a bare repository");
    }
    // Everything that can refuse is checked before the command runs.
    let before = WorktreeState::capture(&repo, true).map_err(|e| {
        anyhow::anyhow!("refused, nothing run: {e}; record this agent through its hooks instead (docs/agents.md)")
    })?;
    Journal::open(&repo).context("cannot open the journal")?;
    let mark = ReflogMark::now(&repo);
    let others = crate::store::snapshot::other_reflogs(&repo);
    let stash = crate::store::snapshot::stash_entries(&repo);
    let gitlinks = crate::store::snapshot::gitlinks(&repo).context("cannot list the submodules")?;

    let status = run_forwarding(program, rest)?;
    let code = match status.code() {
        Some(code) => code.clamp(0, 255) as u8,
        None => {
            use std::os::unix::process::ExitStatusExt;
            128u8.saturating_add(status.signal().unwrap_or(0).clamp(0, 127) as u8)
        }
    };

    let source =
        AiSource { tool, model: args.model.filter(|m| !m.trim().is_empty()), session: None, kind: Some(AiKind::Agent) };
    let made = commit_note::commits_made(&repo, &mark);
    // What a pull, a rebase onto fetched commits or a checkout brought is
    // not the command's: only what it changed on top of it.
    let brought = agent_record::brought_in(&repo, mark.head, &made).context("cannot read what HEAD moved to");
    let recorded =
        brought.and_then(|brought| Ok((record_changes(&repo, &before, &brought, mark.head, &source)?, brought)));
    let recorded = recorded.and_then(|(recorded, brought)| {
        // What the commits the command made bring, where the worktree no
        // longer shows it (a branch it committed on and left).
        let journal = Journal::open(&repo).context("cannot open the journal")?;
        let was = |rel: &str| match before.was(&repo, rel) {
            Was::Absent => Some(None),
            Was::Bytes(bytes) => Some(Some(bytes)),
            Was::Unknown => None,
        };
        // And the commits it made in the repository's other worktrees.
        let (own, all) = commit_note::commits_made_everywhere(&repo, &made, &mark, &others, &[]);
        let mut committed =
            agent_record::record_committed(&repo, &journal, &own, &brought, was, &source, Evidence::Wrapper, None)?;
        // And what it stashed, which whoever pops the stash brings back.
        let stashes = crate::store::snapshot::stashes_since(&repo, stash);
        committed += agent_record::record_stashed(&repo, &journal, &stashes, was, &source, Evidence::Wrapper, None)?;
        // And the submodules it moved.
        committed += agent_record::record_gitlinks(
            &repo,
            &journal,
            &gitlinks,
            &own,
            &brought,
            &source,
            Evidence::Wrapper,
            None,
        )?;
        // Commits the command made were noted before vouch recorded what it
        // changed: note them again.
        if recorded + committed > 0 && !all.is_empty() {
            let ctx = super::context::Context::open_at(&cwd)?;
            commit_note::note_again(&ctx, &all).context("cannot note the command's commits again")?;
            // And the copies it made here of those it made in another
            // worktree (a cherry-pick of its own commit).
            commit_note::note_copies(&ctx, &made.foreign, &own)
                .context("cannot note the command's copies of its commits again")?;
        }
        Ok(())
    });
    match recorded {
        Ok(()) => Ok(Outcome::Code(code)),
        Err(e) => Err(e.context(format!(
            "the command exited with {code}, but vouch could not record what it changed; record it by hand \
             (vouch mark PATH:LINES --ai --tool {})",
            display::line(&source.tool)
        ))),
    }
}

/// The file name of `program`, as the tool recorded.
fn program_name(program: &OsString) -> String {
    let name = Path::new(program).file_name().unwrap_or(program.as_os_str()).to_string_lossy().into_owned();
    let name = name.trim().to_string();
    if name.is_empty() { "agent".to_string() } else { name }
}

/// Run `program` with `args`, the terminal passed through, the signals
/// vouch receives passed on (not those a terminal sent the whole process
/// group: the command has them already).
fn run_forwarding(program: &OsString, args: &[OsString]) -> anyhow::Result<std::process::ExitStatus> {
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;

    // Registered before the command starts, so that no signal between its
    // start and the forwarding thread is lost (or ends vouch). A command
    // starts with the default handlers: exec resets caught signals.
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED).context("cannot catch signals")?;
    let handle = signals.handle();
    let mut child = match Command::new(program).args(args).spawn() {
        Ok(child) => child,
        Err(e) => {
            handle.close();
            let shown = display::line(&program.to_string_lossy()).into_owned();
            if e.kind() == std::io::ErrorKind::NotFound {
                eprintln!("vouch: cannot run {shown}: no such command");
                return Ok(std::os::unix::process::ExitStatusExt::from_raw(127 << 8));
            }
            return Err(e).with_context(|| format!("cannot run {shown}"));
        }
    };
    let pid = child.id() as libc::pid_t;
    let forwarder = std::thread::spawn(move || {
        for info in signals.forever() {
            // A signal from the kernel (a terminal's Ctrl-C, Ctrl-\, hang-up)
            // went to the whole process group, the command included.
            if matches!(info.cause, signal_hook::low_level::siginfo::Cause::Kernel) {
                continue;
            }
            // SAFETY: kill(2) with the pid of our own child, which is not
            // reaped before this thread is told to stop.
            unsafe {
                libc::kill(pid, info.signal);
            }
        }
    });
    let status = child.wait().context("cannot wait for the command");
    handle.close();
    let _ = forwarder.join();
    status
}

/// Record as AI the lines that changed in each file that differs between
/// `before` and the worktree now (`brought`: what a move of HEAD from
/// `then` brought).
fn record_changes(
    repo: &git2::Repository,
    before: &WorktreeState,
    brought: &agent_record::Brought,
    then: Option<git2::Oid>,
    source: &AiSource,
) -> anyhow::Result<usize> {
    let after = WorktreeState::capture(repo, false).map_err(|e| anyhow::anyhow!("{e}"))?;
    let root = repo::worktree_root(repo)?.to_path_buf();
    let changed = before.changed(&after);
    let in_progress = agent_record::InProgress::of(repo);
    let journal = Journal::open(repo).context("cannot open the journal")?;
    // One file that cannot be recorded costs no other file its record.
    let one = |rel: &String| -> anyhow::Result<usize> {
        let brought_version = brought.get(rel);
        if brought_version.is_some() && !after.files.contains_key(rel) {
            return Ok(0);
        }
        if !after.files.contains_key(rel) {
            // Deleted: no text left to attribute, but its removal is the
            // command's, when git knows the file.
            if let Was::Bytes(bytes) = before.was(repo, rel)
                && agent_record::known_to_git(repo, rel)
                && !in_progress.brings_removal(repo, rel)
            {
                agent_record::record_removal(repo, &journal, rel, &bytes, source.clone(), Evidence::Wrapper, None)?;
                return Ok(1);
            }
            return Ok(0);
        }
        // A symbolic link it made or changed is recorded as git stores it
        // (the path it names), never followed.
        if std::fs::symlink_metadata(root.join(rel)).is_ok_and(|m| m.file_type().is_symlink()) {
            let Ok(link) = repo::link_target(&root.join(rel)) else { return Ok(0) };
            let was = match before.was(repo, rel) {
                Was::Bytes(bytes) => bytes,
                Was::Absent => Vec::new(),
                Was::Unknown => agent_record::last_seen(repo, &journal, rel)?,
            };
            let recorded = agent_record::record_over(
                &journal,
                repo,
                rel,
                &[was],
                &link,
                "(a symbolic link)",
                source,
                Evidence::Wrapper,
                None,
            )?;
            return Ok(usize::from(recorded));
        }
        let target = match target(&root.join(rel))? {
            Ok(target) => target,
            Err(why) => {
                eprintln!("vouch: not recorded: {why}");
                return Ok(0);
            }
        };
        let was = match (brought_version, before.was(repo, rel)) {
            (Some(version), _) => version.clone().unwrap_or_default(),
            (None, Was::Absent) => Vec::new(),
            (None, Was::Bytes(bytes)) => bytes,
            (None, Was::Unknown) => agent_record::last_seen(repo, &journal, rel)?,
        };
        if was == target.bytes {
            return Ok(0);
        }
        let Some(text) = target.text() else {
            // Not UTF-8: the change cannot be located in it, so all of it.
            agent_record::record_whole(&target, source.clone(), Evidence::Wrapper, None)?;
            return Ok(1);
        };
        let mut changed =
            in_progress.not_brought(repo, rel, text, agent_record::written(&String::from_utf8_lossy(&was), text));
        // Of a file a move brought, nor what the worktree held uncommitted
        // before the command: a person's edit a stash (or `--autostash`)
        // carried over.
        if brought_version.is_some() {
            let was = match before.was(repo, rel) {
                Was::Bytes(bytes) => Some(bytes),
                Was::Absent => Some(Vec::new()),
                Was::Unknown => None,
            };
            if let Some(was) = was {
                let head_then = agent_record::version_at(repo, then, rel);
                changed.leave_out_uncommitted(
                    text,
                    &String::from_utf8_lossy(&was),
                    &String::from_utf8_lossy(&head_then),
                );
            }
        }
        if changed.is_empty() {
            return Ok(0);
        }
        agent_record::record(&target, &changed, source.clone(), Evidence::Wrapper, None)?;
        agent_record::say_recorded(&target, &changed, &source.tool);
        Ok(1)
    };
    let mut recorded = 0usize;
    for rel in &changed {
        match one(rel) {
            Ok(n) => recorded += n,
            Err(e) => agent_record::not_recorded(repo, &source.tool, rel, &e),
        }
    }
    // And the modes it set (`chmod +x`), which change no content.
    let staging = agent_record::Staging::of(repo, then)?;
    for (rel, was, is) in before.mode_changes(&after) {
        if brought.contains_key(&rel) {
            continue;
        }
        match staging.record_mode(&journal, &root, &rel, (was, is), source, Evidence::Wrapper, None) {
            Ok(n) => recorded += n,
            Err(e) => agent_record::not_recorded(repo, &source.tool, &rel, &e),
        }
    }
    if recorded == 0 {
        eprintln!("vouch: nothing to record: no file of the worktree changed while the command ran");
    } else {
        eprintln!(
            "vouch: everything that changed in the worktree while the command ran is recorded as {}'s, your own \
             edits meanwhile included: they need sign-off with it",
            display::line(&source.tool)
        );
    }
    Ok(recorded)
}
