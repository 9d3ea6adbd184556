//! `vouch hook`: what agents and git run.
//!
//! - `claude-code`, `cursor`, `gemini`, `codex`: the agent's hook payload
//!   on standard input (see [`super::agents`]). Before a tool runs (Claude
//!   Code's and Codex's `PreToolUse`, Gemini CLI's `BeforeTool`) the file
//!   it will edit (for Codex's `apply_patch`, every file the patch names),
//!   or for a shell command the worktree's changed files, is kept in a
//!   snapshot ([`crate::store::snapshot`]); after it (`PostToolUse`,
//!   `AfterTool`, Cursor's edit hooks) the lines that differ from the
//!   snapshot are recorded in the journal as AI (evidence `agent-hook`,
//!   accepted by the current git user). Gemini CLI reads a hook's standard
//!   output as JSON: its hook prints `{}`. So an edit another hook reformatted
//!   first, a `Write` over a file that existed, and the files a shell
//!   command changed are recorded as they are. With no snapshot (Cursor,
//!   an older configuration), the edit's text is looked for in the file;
//!   where it is gone, or a `Write` replaced a file that existed, what
//!   changed since vouch last saw the file is recorded (more than the
//!   edit, perhaps; never less). A shell command with no snapshot records
//!   nothing, and says so. The edit's AI spans carry its intent (see
//!   [`crate::intent`]): for Claude Code, the prompt and the agent's words
//!   found in the transcript's last [`transcript::TAIL_BUDGET`] bytes; for
//!   the others, what their payloads offer ([`intent::Offered`]: Cursor's
//!   conversation and generation ids, Codex's call and turn ids, Gemini
//!   CLI's words for the call; their transcripts' formats are not
//!   documented, so none is read); as much as the worktree's policy
//!   (`intent`) keeps. `generic --file PATH`: whatever changed in the
//!   file since vouch last saw it (the journal's latest version of it,
//!   else the index's, else HEAD's; all of a new file). When the agent's
//!   turn ends (Claude Code's and Codex's `Stop`, Cursor's `stop`, Gemini
//!   CLI's `AfterAgent`) and the journal holds live records, the working
//!   tree is analysed as `vouch check` analyses it, and what is found is
//!   kept in the analysis cache ([`crate::analysis::cache`]): the commit a
//!   person makes next finds the agent's files analysed, rather than
//!   parsing them in its pre-commit hook. It records nothing, prints
//!   nothing (Claude Code shows a `Stop` hook's output to the agent) and
//!   exits 0 whatever happens (Claude Code takes exit 2 as "keep going").
//! - `pre-commit`: the gate, `vouch check --staged`. `prepare-commit-msg`:
//!   what the commit comes from (a squash, a cherry-pick), for
//!   `post-commit`: the note on the new commit (see
//!   [`super::commit_note`]). `post-rewrite`: notes re-mapped to the
//!   rewritten commits (`old new` lines on standard input). `pre-push`:
//!   notes and records shared with the remote pushed to (see
//!   [`super::git_hooks::pre_push`]).
//!
//! An agent hook never stands in the agent's way over a file vouch does not
//! track (outside any repository, gone, not a regular file): it says so and
//! exits 0; a snapshot that cannot be taken is a warning, never a blocked
//! tool. A file that is not UTF-8 is tracked too: vouch cannot locate the
//! edit in bytes it does not read as text, so all of the file is recorded as
//! AI (it is one unit to review anyway). A payload it cannot read is an
//! error (exit 2) and records nothing. So is a path that leads out of the
//! worktree through a symbolic link (`src/coupons.py -> ~/.ssh/id_ed25519`)
//! or into the git directory: what it names is not the worktree's, and an
//! agent (or a prompt that steers it) must not get it stored as a git
//! object; the message says where the path leads. Paths are resolved as the
//! file system resolves them (see [`repo::relative_path`]) and the file is
//! read where it resolves to (a snapshot too; a shell command's snapshot
//! keeps regular files only). Snapshots are compared in the form git stores
//! (see [`crate::store::attributes`]). It reads no history (no blame), so
//! it stays fast; a shell command's snapshot reads the worktree's status
//! twice (before and after), as `git status` does.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use git2::{ObjectType, Oid, Repository};

use super::agent_record;
use super::agent_record::{
    Staging, Target, Written, absolute, append, known_to_git, last_seen, record, record_removal, record_whole,
    say_recorded, target, version_at, written,
};
use super::agents::{self, Agent, Parsed, Scope};
use super::commit_note::{self, ReflogMark};
use super::{Format, Outcome};
use crate::display;
use crate::intent::{self, Intent, IntentLevel};
use crate::provenance::{AiKind, AiSource, Evidence};
use crate::store::journal::Journal;
use crate::store::snapshot::Snapshot;
use crate::store::{notes, policy_file, repo, transcript};

/// The largest payload read: larger input is refused rather than held.
const MAX_INPUT: u64 = 64 << 20;

/// How much of a Claude Code transcript's end is read to find the model
/// when the intent's read ([`transcript::TAIL_BUDGET`]) did not find it.
const TRANSCRIPT_TAILS: [u64; 1] = [4 << 20];

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub which: Which,
}

#[derive(Debug, clap::Subcommand)]
pub enum Which {
    /// Claude Code's PreToolUse and PostToolUse hooks (Write, Edit,
    /// MultiEdit, Bash): reads its JSON payload on standard input.
    ClaudeCode,
    /// Cursor's afterFileEdit and afterTabFileEdit hooks: reads the JSON
    /// payload on standard input.
    Cursor,
    /// Gemini CLI's BeforeTool and AfterTool hooks (write_file, replace,
    /// run_shell_command): reads the JSON payload on standard input.
    Gemini,
    /// Codex CLI's PreToolUse and PostToolUse hooks (apply_patch, Bash):
    /// reads the JSON payload on standard input.
    Codex,
    /// Any agent: records what changed in FILE since vouch last saw it.
    Generic {
        /// The file the agent edited.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The agent's name, recorded as the tool.
        #[arg(long, value_name = "NAME", default_value = "generic", value_parser = super::tool_name)]
        tool: String,
        /// The model, if known.
        #[arg(long, value_name = "MODEL")]
        model: Option<String>,
        /// The agent's session id, if any.
        #[arg(long, value_name = "ID")]
        session: Option<String>,
    },
    /// git's pre-commit hook: the sign-off gate (`vouch check --staged`).
    PreCommit,
    /// git's prepare-commit-msg hook: keeps what the commit comes from (a
    /// squash merge's commits, a cherry-picked commit) for post-commit.
    PrepareCommitMsg {
        /// What git passes: the message file, its source, a commit.
        #[arg(num_args = 0..=3)]
        args: Vec<String>,
    },
    /// git's post-commit hook: writes the provenance note on HEAD.
    PostCommit,
    /// git's post-rewrite hook: re-maps notes after an amend or a rebase
    /// ("old new" lines on standard input).
    PostRewrite {
        /// What rewrote the commits (git passes "amend" or "rebase").
        kind: Option<String>,
    },
    /// git's pre-push hook: shares notes and records with the remote pushed
    /// to (`vouch sync REMOTE`); never stops the push.
    PrePush {
        /// The remote's name (or URL, for a push to a URL).
        remote: String,
        /// The remote's URL.
        url: Option<String>,
    },
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    match args.which {
        Which::ClaudeCode => agent_hook(Agent::ClaudeCode),
        Which::Cursor => agent_hook(Agent::Cursor),
        Which::Gemini => agent_hook(Agent::Gemini),
        Which::Codex => agent_hook(Agent::Codex),
        Which::Generic { file, tool, model, session } => {
            let source = AiSource { tool, model, session, kind: Some(AiKind::Agent) };
            generic(&file, source)
        }
        Which::PreCommit => super::check::gate(true, Format::Text, true),
        Which::PrepareCommitMsg { args: _ } => super::commit_note::prepare_commit_msg(),
        Which::PostCommit => super::commit_note::post_commit(),
        Which::PostRewrite { kind: _ } => post_rewrite(),
        Which::PrePush { remote, url: _ } => super::git_hooks::pre_push(&remote),
    }
}

/// All of standard input, up to [`MAX_INPUT`] bytes.
fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::stdin().lock().take(MAX_INPUT + 1).read_to_end(&mut bytes).context("cannot read standard input")?;
    if bytes.len() as u64 > MAX_INPUT {
        anyhow::bail!("the hook payload is larger than {} MiB; refusing to read it", MAX_INPUT >> 20);
    }
    Ok(bytes)
}

fn agent_hook(agent: Agent) -> anyhow::Result<Outcome> {
    let bytes = read_stdin()?;
    let outcome = agent_payload(agent, &bytes)?;
    if agent == Agent::Gemini {
        // Gemini CLI parses a hook's standard output as JSON: an empty
        // object asks for nothing.
        println!("{{}}");
    }
    Ok(outcome)
}

/// The repository the agent works in, as its payload's `cwd` names it (the
/// current directory without one); `None` outside one.
fn repo_at(cwd: Option<&str>) -> Option<Repository> {
    absolute(".", cwd).ok().and_then(|dir| repo::discover(&dir).ok())
}

fn agent_payload(agent: Agent, bytes: &[u8]) -> anyhow::Result<Outcome> {
    let parsed = agents::parse(agent, bytes)?;
    match parsed {
        Parsed::Before(before) => {
            // Calls long gone whose record never came are settled first.
            let here = absolute(".", before.cwd.as_deref()).ok();
            if let Some(repo) = here.as_deref().map(super::agent_record::repository_at).transpose()?.flatten() {
                settle_orphans(&repo, None);
                note_deferred(&repo);
            }
            // Never in the tool's way: a snapshot that cannot be taken costs
            // precision after the tool, which then falls back.
            if let Err(e) = before_tool(agent, &before) {
                eprintln!("vouch: warning: no snapshot before the tool ran: {}", display::line(&format!("{e:#}")));
            }
            Ok(Outcome::Ok)
        }
        Parsed::Edit(_) | Parsed::Shell(_) | Parsed::Files(_) => {
            let cwd = match &parsed {
                Parsed::Edit(edit) => edit.cwd.clone(),
                Parsed::Shell(shell) => shell.cwd.clone(),
                Parsed::Files(files) => files.cwd.clone(),
                _ => None,
            };
            let recorded = match parsed {
                Parsed::Edit(edit) => after_edit(agent, edit),
                Parsed::Shell(shell) => after_shell(agent, shell),
                Parsed::Files(files) => after_files(files),
                _ => unreachable!("matched above"),
            }?;
            snapshots_read(true);
            // Commits whose note waited for this call.
            if let Some(repo) = repo_at(cwd.as_deref()) {
                note_deferred(&repo);
            }
            Ok(recorded)
        }
        Parsed::TurnEnded(turn) => {
            // Calls whose record never came (the hook after the tool killed
            // or failed) are settled: the turn is over.
            if let Some(repo) = repo_at(turn.cwd.as_deref()) {
                settle_orphans(&repo, Some(turn.session.as_deref().unwrap_or_default()));
                note_deferred(&repo);
            }
            if let Err(e) = analyse_for_commit(turn.cwd.as_deref()) {
                eprintln!(
                    "vouch: warning: the working tree was not analysed for the next commit (its gate will): {}",
                    display::line(&format!("{e:#}"))
                );
            }
            Ok(Outcome::Ok)
        }
        Parsed::Ignored(why) => {
            eprintln!("vouch: nothing to record: {}", display::line(&why));
            Ok(Outcome::Ok)
        }
    }
}

/// The end of the agent's turn: when the journal of the worktree at `cwd`
/// holds live records, analyse the working tree as `vouch check` does,
/// keeping what it finds in the analysis cache for the next commit's gate
/// (its entries are keyed by path, blob and AI lines, so the gate uses
/// them exactly when it stages what the agent left). Outside a repository,
/// or with nothing recorded, nothing to do.
fn analyse_for_commit(cwd: Option<&str>) -> anyhow::Result<()> {
    let dir = absolute(".", cwd)?;
    let Ok(repo) = repo::discover(&dir) else { return Ok(()) };
    if repo.workdir().is_none() || Journal::open(&repo)?.records()?.live().next().is_none() {
        return Ok(());
    }
    let ctx = crate::analysis::context::Context::open_at(&dir)?;
    let options = crate::analysis::next::Options {
        version: crate::analysis::changes::Version::Worktree,
        strict: false,
        all: false,
        next_people: false,
        base: None,
    };
    let next = crate::analysis::next::next(&ctx, options)?;
    // What it read is left to the process's exit (see `check::gate`).
    std::mem::forget(next);
    Ok(())
}

/// How long a tool call may run before a snapshot whose record has not
/// come is taken for one whose record never will: longer than Claude Code
/// lets a shell command run (10 minutes at most) or a hook.
pub const ORPHANED_AFTER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Settle the tool calls of `repo`'s worktree whose record never came
/// ([`crate::store::snapshot::pending`]: the hook after the tool killed,
/// failed, or never run; a call that was denied). At the end of a turn of
/// `session` (`Some`), that session's calls are over: each is recorded from
/// its snapshot as the hook after it would have (a denied call changed
/// nothing), and commits made since it began are noted again. A call older
/// than [`ORPHANED_AFTER`], whatever its session (its agent gone, no turn
/// end to come, or the call still waiting for the person's permission), is
/// settled as unknown instead: what it changed cannot be told from what a
/// person did since, so the files it may have changed are kept as
/// unrecorded (their commit is not attested "no AI") and the "no AI" notes
/// written since it began are taken back; so is a call whose record fails
/// again, or whose snapshot does not name it (an older vouch's). The
/// snapshot of a call settled as unknown is kept for its record, should
/// that still come ([`crate::store::snapshot::settled`]). Never fails: what
/// cannot be done is said. Whether anything was settled.
pub fn settle_orphans(repo: &Repository, session: Option<&str>) -> bool {
    use crate::store::snapshot;
    let mut settled = false;
    for pending in snapshot::pending(repo) {
        // A session named by neither is the same: the agent names none. A
        // damaged snapshot names none it can be told by: any turn's end
        // settles it (nothing will ever record its call from it).
        let ours = session.is_some_and(|s| pending.damaged || pending.session.as_deref().unwrap_or_default() == s);
        let old = pending.age >= ORPHANED_AFTER;
        if !ours && !old {
            continue;
        }
        settled = true;
        let recorded = match (ours, pending.call.as_deref(), pending.agent.as_deref().and_then(Agent::from_flag)) {
            _ if pending.damaged => Err(anyhow::anyhow!("the snapshot is damaged")),
            (true, Some(call), Some(agent)) => record_orphan(repo, &pending, call, agent),
            (true, _, _) => Err(anyhow::anyhow!("the snapshot does not name its tool call (an older vouch took it)")),
            (false, _, _) => Err(anyhow::anyhow!(
                "it began more than {} minutes ago, and what it changed cannot be told from what was done since",
                ORPHANED_AFTER.as_secs() / 60
            )),
        };
        // Those of the call in the repository's other worktrees too.
        snapshots_read(recorded.is_ok());
        match recorded {
            Ok(()) => {
                eprintln!(
                    "vouch: the record of tool call {} never came (its hook after the tool did not run or failed); \
                     what it changed is recorded from its snapshot",
                    display::line(pending.call.as_deref().unwrap_or_default())
                );
                snapshot::remove(&pending.file);
            }
            Err(e) => {
                eprintln!(
                    "vouch: warning: the record of a tool call never came, and it is not recorded from its \
                     snapshot {}: {}",
                    display::line(&pending.file.display().to_string()),
                    display::line(&format!("{e:#}"))
                );
                if unknown_since(repo, &pending) {
                    match pending.damaged {
                        // Kept for someone to look into, as a damaged
                        // journal segment is; `vouch doctor` lists it.
                        true => match snapshot::set_aside(&pending.file) {
                            Ok(to) => eprintln!(
                                "vouch: the damaged snapshot is set aside as {}",
                                display::line(&to.display().to_string())
                            ),
                            Err(e) => eprintln!("vouch: warning: cannot set the damaged snapshot aside: {e}"),
                        },
                        false => snapshot::settled(repo, &pending),
                    }
                }
            }
        }
    }
    settled
}

/// Whether a tool call is in flight in `repo`'s worktree that may have
/// written what `commit` holds: a shell command's (any file), or a file
/// tool's on a file the commit changes. Then the commit's "no AI" note
/// waits for its record ([`crate::store::deferred`]): `Some`, with each
/// such file tool's file and its blob before the tool ran (the zero id:
/// absent; a file whose snapshot cannot say: none, so the commit then stays
/// unattested).
pub fn call_in_flight(repo: &Repository, commit: &git2::Commit<'_>) -> Option<Vec<(String, Oid)>> {
    let pending = crate::store::snapshot::pending(repo);
    if pending.is_empty() {
        return None;
    }
    let shell = pending.iter().any(|p| p.worktree);
    let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
    let changes = commit.tree().and_then(|tree| crate::store::tree_diff::changes(repo, parent.as_ref(), &tree));
    let Ok(changes) = changes else { return Some(vec![(String::new(), Oid::zero())]) };
    let mut before = Vec::new();
    for change in &changes.changes {
        for p in pending.iter().filter(|p| p.files.contains(&change.path)) {
            let kept = p.call.as_deref().and_then(|call| Snapshot::read(repo, call).ok().flatten());
            let blob = match kept.and_then(|s| s.before(repo, &change.path)) {
                Some(Some(bytes)) => {
                    let bytes = crate::store::attributes::to_blob(repo, &change.path, &bytes).into_owned();
                    Oid::hash_object(ObjectType::Blob, &bytes).unwrap_or(Oid::zero())
                }
                Some(None) => Oid::zero(),
                // Not known: a blob no commit holds, so that it differs.
                None => Oid::hash_object(ObjectType::Blob, b"\0vouch: not known").unwrap_or(Oid::zero()),
            };
            before.push((change.path.clone(), blob));
        }
    }
    (shell || !before.is_empty()).then_some(before)
}

/// Write the notes that waited for tool calls in flight, once none is:
/// from the journal, which holds what the calls wrote ([`commit_note::note_again`]),
/// else "no AI"; a commit a call left unrecorded files in, or made over a
/// damaged journal, stays unattested. What cannot be done is said, and
/// waits for the next time.
pub fn note_deferred(repo: &Repository) {
    let waiting = crate::store::deferred::list(repo);
    if waiting.is_empty() || !crate::store::snapshot::pending(repo).is_empty() {
        return;
    }
    let noted = (|| -> anyhow::Result<()> {
        let ctx = super::context::Context::open_at(repo::worktree_root(repo)?)?;
        let damaged = Journal::damaged(repo);
        for oid in waiting {
            let Ok(commit) = repo.find_commit(oid) else {
                crate::store::deferred::remove(repo, oid);
                continue;
            };
            let unknown = damaged || crate::store::unrecorded::touched_by(repo, &commit);
            // No note yet, or one that named its AI records and waited.
            let waited = notes::read_note(repo, oid)?.is_none_or(|n| n.contains(&notes::NoteRecord::Partial));
            if waited {
                // Its AI records are noted whatever else is known of it.
                commit_note::note_again_knowing(&ctx, &[oid], !unknown)?;
                let mut records = notes::read_note(repo, oid)?.unwrap_or_default();
                // The rest is attested only when everything is known, and
                // the call's record saw what the commit holds of each of
                // its files: the commit holds the file as it was before the
                // call, or the journal's record of it covers the version
                // committed (neither when the person left the branch before
                // the record came).
                let tree = commit.tree()?;
                let noted =
                    |path: &str| records.iter().any(|r| matches!(r, notes::NoteRecord::File(f) if f.path == path));
                let seen = crate::store::deferred::before(repo, oid).is_some_and(|before| {
                    before.iter().all(|(path, blob)| {
                        let now = tree.get_path(Path::new(path)).map_or(Oid::zero(), |e| e.id());
                        now == *blob || noted(path)
                    })
                });
                if !unknown && seen {
                    records.retain(|r| *r != notes::NoteRecord::Partial);
                    if records.is_empty() {
                        records.push(notes::NoteRecord::NoAi);
                    }
                    notes::replace_note(repo, oid, &records)?;
                } else if !unknown {
                    eprintln!(
                        "vouch: commit {} holds what an agent's tool may have written, which its record could \
                         not see; it stays unattested",
                        &oid.to_string()[..10]
                    );
                }
            }
            crate::store::deferred::remove(repo, oid);
        }
        Ok(())
    })();
    if let Err(e) = noted {
        eprintln!(
            "vouch: warning: the notes that waited for an agent's tool call: {}",
            display::line(&format!("{e:#}"))
        );
    }
}

/// Record tool call `call` of `agent` from its snapshot `pending`, as the
/// hook after it would have, and note again the commits made since it
/// began.
fn record_orphan(
    repo: &Repository,
    pending: &crate::store::snapshot::Pending,
    call: &str,
    agent: Agent,
) -> anyhow::Result<()> {
    let root = repo::worktree_root(repo)?.to_path_buf();
    let cwd = Some(root.display().to_string());
    let source = AiSource { tool: agent.tool().into(), model: None, session: None, kind: Some(AiKind::Agent) };
    let tool_use_id = Some(call.to_string());
    let offered = crate::intent::Offered::default();
    if pending.worktree {
        // The commits made meanwhile are noted again there.
        let shell = agents::Shell { tool_use_id, cwd, source, transcript_path: None, offered };
        after_shell(agent, shell)?;
    } else {
        let files = agents::FileSet { paths: pending.files.clone(), tool_use_id, cwd, source, offered };
        after_files(files)?;
        let made = commit_note::commits_made_since(repo, pending.taken);
        if !made.is_empty() {
            let ctx = super::context::Context::open_at(&root)?;
            commit_note::note_again(&ctx, &made).context("cannot note again the commits made since")?;
        }
    }
    Ok(())
}

/// What tool call `pending` changed is unknown: keep the files it may have
/// changed as unrecorded, and take back the "no AI" notes of commits made
/// since it began; whether that was done.
fn unknown_since(repo: &Repository, pending: &crate::store::snapshot::Pending) -> bool {
    let mut paths: std::collections::BTreeSet<String> = pending.files.iter().cloned().collect();
    let changed = match pending.worktree {
        true => crate::store::snapshot::changed_since(repo, pending.head).map_err(|e| e.to_string()),
        false => Ok(Default::default()),
    };
    let kept = changed.and_then(|changed| {
        paths.extend(changed);
        crate::store::unrecorded::add(repo, "agent", paths).map_err(|e| e.to_string())
    });
    if let Err(e) = kept {
        eprintln!("vouch: warning: cannot keep what the tool call may have changed: {}", display::line(&e));
        return false;
    }
    match commit_note::take_back_no_ai(repo, pending.taken) {
        Ok(taken) => {
            for oid in taken {
                eprintln!(
                    "vouch: commit {} was noted \"no AI\" while that tool call ran; that note is taken back \
                     (unattested)",
                    &oid.to_string()[..10]
                );
            }
        }
        Err(e) => eprintln!("vouch: warning: {}", display::line(&format!("{e:#}"))),
    }
    // And those whose note waited for it: unattested, never "no AI".
    for oid in commit_note::commits_made_since(repo, pending.taken) {
        crate::store::deferred::remove(repo, oid);
    }
    eprintln!("vouch: what it may have changed is unattested until committed");
    true
}

/// `PreToolUse`: keep the file the tool will edit, or the worktree's
/// changed files for a shell command (see [`crate::store::snapshot`]).
fn before_tool(agent: Agent, before: &agents::Before) -> anyhow::Result<()> {
    match &before.scope {
        Scope::File(file_path) => {
            let path = absolute(file_path, before.cwd.as_deref())?;
            let Ok(repo) = repo::discover(&path) else { return Ok(()) };
            let Some(root) = repo.workdir().map(Path::to_path_buf) else { return Ok(()) };
            // A path vouch would refuse after the tool gets no snapshot; the
            // file is read where the path resolves to.
            let Ok(rel) = repo::relative_path(&repo, &path) else { return Ok(()) };
            Snapshot::of_file(&rel, &root.join(&rel))?.save(
                &repo,
                &before.tool_use_id,
                agent.flag(),
                before.session.as_deref(),
            )?;
        }
        Scope::Files(paths) => {
            let mut repo_files: Option<(Repository, PathBuf)> = None;
            let mut files = Vec::new();
            for file_path in paths {
                let path = absolute(file_path, before.cwd.as_deref())?;
                if repo_files.is_none() {
                    // The repository of the first file the tool names that is
                    // in one (a new file's directory may not exist yet).
                    let found =
                        path.ancestors().skip(1).find(|dir| dir.is_dir()).and_then(|dir| repo::discover(dir).ok());
                    if let Some(repo) = found
                        && let Some(root) = repo.workdir().map(Path::to_path_buf)
                    {
                        repo_files = Some((repo, root));
                    }
                }
                let Some((repo, root)) = &repo_files else { continue };
                if let Ok(rel) = repo::relative_path(repo, &path) {
                    let on_disk = root.join(&rel);
                    files.push((rel, on_disk));
                }
            }
            if let Some((repo, _)) = repo_files {
                Snapshot::of_files(&files)?.save(
                    &repo,
                    &before.tool_use_id,
                    agent.flag(),
                    before.session.as_deref(),
                )?;
            }
        }
        Scope::Worktree => {
            let dir = absolute(".", before.cwd.as_deref())?;
            let Ok(repo) = repo::discover(&dir) else { return Ok(()) };
            if repo.is_bare() {
                return Ok(());
            }
            Snapshot::of_worktree(&repo)?.save(&repo, &before.tool_use_id, agent.flag(), before.session.as_deref())?;
            // And the repository's other worktrees the command names (`cd
            // ../wt && ...`): what it changes there is recorded there.
            let command = before.command.as_deref().unwrap_or_default();
            for (path, wt) in crate::store::snapshot::named_worktrees(&repo, command) {
                if let Err(e) = Snapshot::of_worktree(&wt)
                    .and_then(|s| s.save(&wt, &before.tool_use_id, agent.flag(), before.session.as_deref()))
                {
                    eprintln!(
                        "vouch: warning: no snapshot of the worktree at {}: {}",
                        display::line(&path.display().to_string()),
                        display::line(&e.to_string())
                    );
                }
            }
        }
    }
    Ok(())
}

/// The snapshot files this run read: removed once what the call changed
/// is recorded ([`agent_payload`]); left, should recording fail, for the
/// call to be settled ([`agent_record::settle_orphans`]).
static SNAPSHOTS_READ: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Forget the snapshots this run read so far, removing them when what
/// their calls changed is `recorded`.
fn snapshots_read(recorded: bool) {
    let read = std::mem::take(&mut *SNAPSHOTS_READ.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    if recorded {
        for file in read {
            crate::store::snapshot::remove(&file);
        }
    }
}

/// The snapshot taken before tool call `id`, if there is one (a damaged
/// one is said and not used).
fn snapshot_for(repo: &Repository, id: Option<&str>) -> Option<Snapshot> {
    let id = id?;
    SNAPSHOTS_READ
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(crate::store::snapshot::file(repo, id));
    match Snapshot::read(repo, id) {
        Ok(found) => found,
        Err(e) => {
            let kept = match &e {
                crate::store::snapshot::SnapshotError::Malformed { path, .. } => {
                    match crate::store::snapshot::set_aside(path) {
                        Ok(to) => format!(" (set aside as {})", to.display()),
                        Err(why) => format!(" (could not be set aside: {why})"),
                    }
                }
                _ => String::new(),
            };
            eprintln!(
                "vouch: warning: {}{}; recording without it",
                display::line(&e.to_string()),
                display::line(&kept)
            );
            None
        }
    }
}

/// What the snapshot says `rel` was before the tool ran, as git would store
/// it (empty: it did not exist); `None` when it does not know.
fn snapshot_before(repo: &Repository, snapshot: &Snapshot, rel: &str) -> Option<Vec<u8>> {
    let bytes = snapshot.before(repo, rel)?.unwrap_or_default();
    Some(crate::store::attributes::to_blob(repo, rel, &bytes).into_owned())
}

/// The version of `rel` that the tool call of `snapshot` removed, as git
/// would store it: the file is gone from the worktree, it was there before
/// the tool ran, and git knows it (HEAD or the index has it: an untracked
/// file's removal changes nothing a commit holds). `None` otherwise.
fn removed_since(repo: &Repository, snapshot: &Snapshot, root: &Path, rel: &str) -> Option<Vec<u8>> {
    // A file under a directory that is now a symbolic link is gone for git
    // (`rm -rf dir && ln -s stubs dir`), though a path through the link
    // still opens the file the link leads to.
    if (std::fs::symlink_metadata(root.join(rel)).is_ok() && !under_link(root, rel)) || !known_to_git(repo, rel) {
        return None;
    }
    let bytes = snapshot.before(repo, rel)??;
    Some(crate::store::attributes::to_blob(repo, rel, &bytes).into_owned())
}

/// Whether a directory on the way to `rel` (relative to `root`) is a
/// symbolic link.
fn under_link(root: &Path, rel: &str) -> bool {
    let mut dir = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    parts[..parts.len().saturating_sub(1)].iter().any(|part| {
        dir.push(part);
        std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink())
    })
}

/// `PostToolUse` of a file tool (and Cursor's edit hooks): what changed
/// between the snapshot taken before the tool ran and the file now; with
/// no snapshot, where the edit's text is, else what changed since vouch
/// last saw the file.
fn after_edit(agent: Agent, edit: agents::AgentEdit) -> anyhow::Result<Outcome> {
    let path = absolute(&edit.file_path, edit.cwd.as_deref())?;
    let target = match target(&path)? {
        Ok(target) => target,
        Err(why) => {
            eprintln!("vouch: not recorded: {why}");
            return Ok(Outcome::Ok);
        }
    };
    let mut source = edit.source.clone();
    // Read from the policy only when there is reasoning to keep.
    let level = || intent_level(&target.repo);
    // Only Claude Code's transcript has a format vouch reads (see
    // [`crate::intent`]); the others keep what their payloads offer.
    let intent = match agent {
        Agent::ClaudeCode => {
            let (model, intent) = from_transcript(edit.transcript_path.as_deref(), edit.tool_use_id.as_deref(), level);
            source.model = model;
            intent
        }
        Agent::Gemini => {
            source.model = gemini_model();
            payload_intent(&target.repo, &edit.offered)
        }
        Agent::Cursor | Agent::Codex => payload_intent(&target.repo, &edit.offered),
    };
    let snapshot = snapshot_for(&target.repo, edit.tool_use_id.as_deref());
    let Some(text) = target.text() else { return whole(&target, source, intent) };
    let before = snapshot.as_ref().and_then(|s| snapshot_before(&target.repo, s, &target.rel));
    let changed = match before {
        Some(before) => written(&String::from_utf8_lossy(&before), text),
        None => without_snapshot(&target, text, &edit.change)?,
    };
    if changed.is_empty() {
        eprintln!("vouch: nothing to record in {}", display::line(&target.rel));
        return Ok(Outcome::Ok);
    }
    let redacted = intent.as_ref().map_or(0, |i| i.redacted);
    // One not recorded (a full disk, a write the file system refused) is
    // kept as unrecorded, so that no commit of it is attested "no AI", and
    // the agent is told.
    if let Err(e) = record(&target, &changed, source.clone(), Evidence::AgentHook, intent) {
        agent_record::not_recorded(&target.repo, &source.tool, &target.rel, &e);
        return Err(e);
    }
    say_recorded(&target, &changed, &source.tool);
    if redacted > 0 {
        eprintln!("vouch: {redacted} secret(s) redacted from the intent kept with the edit");
    }
    Ok(Outcome::Ok)
}

/// How much of the agent's reasoning the worktree's policy keeps; a
/// policy that cannot be read keeps the default (and says so), so the
/// agent is never stopped over it.
fn intent_level(repo: &Repository) -> IntentLevel {
    match policy_file::load_intent(repo, &policy_file::Source::Worktree) {
        Ok(level) => level,
        Err(e) => {
            eprintln!(
                "vouch: warning: {}; keeping the default intent ({})",
                display::line(&e.to_string()),
                IntentLevel::default().label()
            );
            IntentLevel::default()
        }
    }
}

/// What a payload offers as intent, as the worktree's policy keeps it (the
/// policy is read only when there is something to keep).
fn payload_intent(repo: &Repository, offered: &intent::Offered) -> Option<Intent> {
    if *offered == intent::Offered::default() {
        return None;
    }
    Intent::from_payload(offered, intent_level(repo))
}

/// The model and the intent behind tool call `call`, from the end of a
/// Claude Code transcript ([`transcript::TAIL_BUDGET`] bytes, read once);
/// the model from the environment first, and from further back in the
/// transcript when these bytes do not name it.
fn from_transcript(
    path: Option<&str>,
    call: Option<&str>,
    level: impl FnOnce() -> IntentLevel,
) -> (Option<String>, Option<Intent>) {
    let tail = path.and_then(|p| transcript::tail(Path::new(p), transcript::TAIL_BUDGET));
    // Read as text once, for the intent and the model.
    let text = tail.as_ref().map(|t| String::from_utf8_lossy(&t.bytes));
    let whole = tail.as_ref().is_some_and(|t| t.whole);
    let intent = text.as_deref().and_then(|t| intent::from_transcript_text(t, whole, call, level()));
    let model = model_from_env()
        .or_else(|| text.as_deref().and_then(agents::transcript_model_text))
        .or_else(|| path.filter(|_| tail.as_ref().is_some_and(|t| !t.whole)).and_then(transcript_model));
    (model, intent)
}

/// What an edit wrote in `text` (the file now), with no snapshot to compare
/// with: where its text is in the file; where that text is gone (another
/// hook reformatted it) or the edit wrote a whole file that existed, what
/// changed since vouch last saw the file (more than the edit, perhaps:
/// never less). An edit that removes lines (a replacement with fewer
/// lines, a whole file written over another) takes the removals since
/// vouch last saw the file: its own among them.
fn without_snapshot(target: &Target, text: &str, change: &agents::Change) -> anyhow::Result<Written> {
    let candidates: OnceCell<Vec<Oid>> = OnceCell::new();
    let previous = |text: &str| {
        let known = candidates.get_or_init(|| previous_versions(&target.repo, &target.rel));
        Oid::hash_object(ObjectType::Blob, text.as_bytes()).is_ok_and(|id| known.contains(&id))
    };
    let located = agents::locate(change, text, &previous);
    if located.ambiguous > 0 {
        eprintln!(
            "vouch: the edited text occurs more than once in {}; every occurrence is recorded as AI",
            display::line(&target.rel)
        );
    }
    let whole_write = matches!(change, agents::Change::Write { .. });
    let removes = match change {
        agents::Change::Write { .. } => true,
        agents::Change::Replace(replacements) => {
            replacements.iter().any(|r| !agents::removed_places(&r.old, &r.new).is_empty())
        }
    };
    if located.missing == 0 && !whole_write && !removes {
        return Ok(Written::ranges(located.ranges));
    }
    let journal = Journal::open(&target.repo).context("cannot open the journal")?;
    let seen = last_seen(&target.repo, &journal, &target.rel)?;
    let seen = String::from_utf8_lossy(&seen);
    let since = written(&seen, text);
    if located.missing == 0 && !whole_write {
        return Ok(Written { ranges: located.ranges, removed: since.removed });
    }
    if located.missing > 0 {
        eprintln!(
            "vouch: the edit's text is not in {} as written (reformatted?); recording what changed since vouch last saw it",
            display::line(&target.rel)
        );
    }
    if whole_write {
        // All of a new file; of a file that existed, what the write changed.
        return Ok(if seen.is_empty() { Written::ranges(located.ranges) } else { since });
    }
    let mut ranges = located.ranges;
    ranges.extend(since.ranges);
    Ok(Written { ranges: agents::merge(ranges), removed: since.removed })
}

/// `PostToolUse` of a shell command: every file that changed between the
/// snapshot taken before it and now.
fn after_shell(agent: Agent, shell: agents::Shell) -> anyhow::Result<Outcome> {
    let dir = absolute(".", shell.cwd.as_deref())?;
    let Some(repo) = super::agent_record::repository_at(&dir)? else {
        eprintln!("vouch: nothing to record: {} is not in a git repository", display::line(&dir.display().to_string()));
        return Ok(Outcome::Ok);
    };
    let Some(snapshot) = snapshot_for(&repo, shell.tool_use_id.as_deref()) else {
        let (flag, event) = match agent {
            Agent::Gemini => ("gemini", "BeforeTool"),
            Agent::Codex => ("codex", "PreToolUse"),
            Agent::ClaudeCode | Agent::Cursor => ("claude-code", "PreToolUse"),
        };
        // When it began, as the agent's transcript says.
        let began = shell.transcript_path.as_deref().zip(shell.tool_use_id.as_deref());
        let since = began.and_then(|(path, id)| transcript::tool_use_time(Path::new(path), id));
        // What it wrote is unknown: never attested "no AI" when committed,
        // nor what it stashed, which whoever pops the stash brings back.
        let kept = crate::store::snapshot::dirty_paths(&repo)
            .map_err(|e| e.to_string())
            .and_then(|mut paths| {
                for stash in since.map(|t| crate::store::snapshot::stashes_made_since(&repo, t)).unwrap_or_default() {
                    paths.extend(crate::store::snapshot::stashed_paths(&repo, stash).map_err(|e| e.to_string())?);
                }
                Ok(paths)
            })
            .and_then(|paths| {
                crate::store::unrecorded::add(&repo, &shell.source.tool, paths).map_err(|e| e.to_string())
            });
        if let Err(e) = kept {
            eprintln!("vouch: warning: cannot keep which files the command may have changed: {e}");
        }
        // And the commits it made meanwhile, found by when it began.
        if let Some(since) = since {
            match commit_note::take_back_no_ai(&repo, since) {
                Ok(taken) => {
                    for oid in taken {
                        eprintln!(
                            "vouch: commit {} was noted \"no AI\" while the command ran; that note is taken back \
                             (unattested)",
                            &oid.to_string()[..10]
                        );
                    }
                }
                Err(e) => eprintln!("vouch: warning: {}", display::line(&format!("{e:#}"))),
            }
        }
        eprintln!(
            "vouch: nothing recorded for the shell command: no snapshot of the worktree before it ran is left \
             (vouch init --agent {flag} adds the {event} hook that takes one; that of a call settled as unknown \
             is kept two weeks); the files that differ from HEAD now are unattested until committed: their commit \
             is not noted \"no AI\""
        );
        return Ok(Outcome::Ok);
    };
    let mut source = shell.source.clone();
    let intent = match agent {
        Agent::ClaudeCode => {
            let (model, intent) =
                from_transcript(shell.transcript_path.as_deref(), shell.tool_use_id.as_deref(), || intent_level(&repo));
            source.model = model;
            intent
        }
        Agent::Gemini => {
            source.model = gemini_model();
            payload_intent(&repo, &shell.offered)
        }
        Agent::Cursor | Agent::Codex => payload_intent(&repo, &shell.offered),
    };
    let here = Side::open(repo, snapshot)?;
    let mut recorded = here.record(&source, &intent)?;
    // The repository's other worktrees the command named, kept before it
    // ran, and those it added: what it changed there, in their journals.
    let mut there = Vec::new();
    for (path, wt) in crate::store::snapshot::other_worktrees(&here.repo) {
        // Named, it was kept before; added by the command, it held only
        // the commit it was added at.
        let kept = snapshot_for(&wt, shell.tool_use_id.as_deref());
        let Some(snapshot) = kept.or_else(|| Snapshot::of_added_worktree(&wt, &path, &here.snapshot)) else {
            continue;
        };
        // One that cannot be recorded keeps the others, and this one's
        // notes, from nothing.
        match Side::open(wt, snapshot).and_then(|side| Ok((side.record(&source, &intent)?, side))) {
            Ok((n, side)) => {
                recorded += n;
                there.push((path, side));
            }
            Err(e) => eprintln!(
                "vouch: warning: what the command changed in the worktree at {} is not recorded: {}",
                display::line(&path.display().to_string()),
                display::line(&format!("{e:#}"))
            ),
        }
    }
    let (repo, snapshot, journal) = (&here.repo, &here.snapshot, &here.journal);
    // What the commits the command made bring, where the worktree no
    // longer shows it (a branch it committed on and left), and the commits
    // it made in the repository's other worktrees (one it added for itself;
    // one it named, with what that one's snapshot says was there before).
    let named: Vec<PathBuf> = there.iter().map(|(path, _)| path.clone()).collect();
    let (own, mut all) = commit_note::commits_made_everywhere(repo, &here.made, &here.mark(), &snapshot.others, &named);
    let before = |rel: &str| snapshot.before(repo, rel);
    recorded += agent_record::record_committed(
        repo,
        journal,
        &own,
        &here.brought,
        before,
        &source,
        Evidence::AgentHook,
        intent.as_ref(),
    )?;
    for (_, side) in &there {
        let own: Vec<Oid> = side.made.own.iter().chain(&side.made.merges).copied().collect();
        recorded += agent_record::record_committed(
            &side.repo,
            &side.journal,
            &own,
            &side.brought,
            |rel: &str| side.snapshot.before(&side.repo, rel),
            &source,
            Evidence::AgentHook,
            intent.as_ref(),
        )?;
        all.extend(side.made.all(&side.repo));
        super::context::tidy_journal(&side.journal, &side.repo);
    }
    // And what it stashed, which whoever pops the stash brings back.
    if let Some(entries) = snapshot.stash {
        let stashes = crate::store::snapshot::stashes_since(repo, entries);
        recorded += agent_record::record_stashed(
            repo,
            journal,
            &stashes,
            before,
            &source,
            Evidence::AgentHook,
            intent.as_ref(),
        )?;
    }
    if recorded == 0 {
        eprintln!("vouch: nothing to record: the command changed no tracked file");
        return Ok(Outcome::Ok);
    }
    super::context::tidy_journal(journal, repo);
    // Commits the command made were noted before this hook recorded what
    // it changed: note them again; and then the copies it made here of
    // those it made in another worktree (a cherry-pick of its own commit).
    if !all.is_empty() {
        let ctx = super::context::Context::open_at(&here.root)?;
        let mut changed = commit_note::note_again(&ctx, &all).context("cannot note the command's commits again")?;
        // The command's own commits in every worktree: what a copy in one of
        // them may copy.
        let own: Vec<Oid> =
            here.made.own.iter().chain(there.iter().flat_map(|(_, side)| &side.made.own)).copied().collect();
        if !there.is_empty() {
            changed.extend(
                commit_note::note_copies(&ctx, &here.made.foreign, &own)
                    .context("cannot note the command's copies of its commits again")?,
            );
            for (path, side) in &there {
                let ctx = super::context::Context::open_at(path)?;
                changed.extend(
                    commit_note::note_copies(&ctx, &side.made.foreign, &own)
                        .context("cannot note the command's copies of its commits again")?,
                );
            }
        }
        if !changed.is_empty() {
            eprintln!(
                "vouch: {} commit(s) the command made now note what it wrote; the pre-commit gate ran before \
                 this hook recorded it, so run `vouch status` to see what needs sign-off",
                changed.len()
            );
        }
    }
    Ok(Outcome::Ok)
}

/// One worktree a shell command may have changed: its repository, the
/// snapshot taken of it before the command, and what the command did to
/// its HEAD.
struct Side {
    repo: Repository,
    root: PathBuf,
    snapshot: Snapshot,
    journal: Journal,
    made: commit_note::Made,
    brought: agent_record::Brought,
    in_progress: agent_record::InProgress,
}

impl Side {
    fn open(repo: Repository, snapshot: Snapshot) -> anyhow::Result<Side> {
        let root = repo::worktree_root(&repo)?.to_path_buf();
        let journal = Journal::open(&repo).context("cannot open the journal")?;
        let made = commit_note::commits_made(&repo, &Side::mark_of(&snapshot));
        let brought =
            agent_record::brought_in(&repo, snapshot.head, &made).context("cannot read what HEAD moved to")?;
        let in_progress = agent_record::InProgress::of(&repo);
        Ok(Side { repo, root, snapshot, journal, made, brought, in_progress })
    }

    fn mark_of(snapshot: &Snapshot) -> ReflogMark {
        ReflogMark { head: snapshot.head, entries: snapshot.reflog, since: snapshot.taken, tips: snapshot.tips.clone() }
    }

    /// Where HEAD and its reflog stood when the snapshot was taken.
    fn mark(&self) -> ReflogMark {
        Side::mark_of(&self.snapshot)
    }

    /// Record what the command changed in the worktree, in its journal;
    /// how many file versions were recorded. A file that cannot be recorded
    /// is said and kept as unrecorded (its commit is not attested "no AI"),
    /// and costs no other file its record.
    fn record(&self, source: &AiSource, intent: &Option<Intent>) -> anyhow::Result<usize> {
        let mut recorded = 0;
        let staging = Staging::of(&self.repo, self.snapshot.head)?;
        let candidates =
            self.snapshot.candidates(&self.repo).context("cannot list the files the command may have changed")?;
        let mut removed = Removed(
            candidates
                .iter()
                .filter_map(|rel| Some((rel.clone(), removed_since(&self.repo, &self.snapshot, &self.root, rel)?)))
                .collect(),
        );
        // What an agent changed in a file before moving it stays its own
        // where the file lands (an edit that dropped a check, then `mv`):
        // one the journal holds live records of is compared from HEAD's
        // version of it, not from the agent's (a person's uncommitted change
        // in it then goes with the agent's: closed, not open).
        // A journal that cannot be read says nothing of them: all are.
        if !removed.0.is_empty() {
            let loaded = self.journal.records().ok();
            let recorded: Option<HashSet<&str>> = loaded.as_ref().map(|l| l.live().filter_map(|r| r.path()).collect());
            for (rel, before) in &mut removed.0 {
                if recorded.as_ref().is_none_or(|paths| paths.contains(rel.as_str())) {
                    *before = version_at(&self.repo, self.snapshot.head, rel);
                }
            }
        }
        for rel in candidates {
            let done = self
                .record_file(&rel, &removed, source, intent)
                .and_then(|n| Ok(n + self.record_staged(&staging, &rel, source, intent)?))
                .and_then(|n| Ok(n + self.record_mode(&staging, &rel, source, intent)?));
            match done {
                Ok(n) => recorded += n,
                Err(e) => agent_record::not_recorded(&self.repo, &source.tool, &rel, &e),
            }
        }
        // A snapshot an older vouch took says nothing of submodules.
        if let Some(before) = &self.snapshot.gitlinks {
            recorded += agent_record::record_gitlinks(
                &self.repo,
                &self.journal,
                before,
                &self.made.own,
                &self.brought,
                source,
                Evidence::AgentHook,
                intent.as_ref(),
            )?;
        }
        Ok(recorded)
    }

    /// `rel` as the worktree held it before the command, as git stores it:
    /// as the snapshot kept it, else as vouch last saw it.
    fn before_command(&self, rel: &str) -> anyhow::Result<Vec<u8>> {
        match snapshot_before(&self.repo, &self.snapshot, rel) {
            Some(before) => Ok(before),
            None => last_seen(&self.repo, &self.journal, rel),
        }
    }

    /// Record that the command removed `rel` (`before`: the version it
    /// removed); one version recorded.
    fn record_removal(
        &self,
        rel: &str,
        before: &[u8],
        source: &AiSource,
        intent: &Option<Intent>,
    ) -> anyhow::Result<usize> {
        record_removal(&self.repo, &self.journal, rel, before, source.clone(), Evidence::AgentHook, intent.clone())?;
        Ok(1)
    }

    /// Record what the command staged of `rel` that the worktree does not
    /// show (`git apply --cached`, `git rm --cached`, `git update-index`),
    /// from `index` (as it is now): a version staged that is neither the one
    /// staged before it ran nor the worktree's (which [`Side::record_file`]
    /// compares), and a file it took out of the index that the worktree
    /// still holds, as its removal. What a move of HEAD or a commit the
    /// command made put in the index is theirs to record, and HEAD's
    /// version staged again is nobody's new text.
    fn record_staged(
        &self,
        staging: &Staging<'_>,
        rel: &str,
        source: &AiSource,
        intent: &Option<Intent>,
    ) -> anyhow::Result<usize> {
        if self.brought.contains_key(rel) {
            return Ok(0);
        }
        let index = &staging.index;
        // A path in conflict has no stage 0: nobody took it out.
        if (1..=3).any(|stage| index.get_path(Path::new(rel), stage).is_some()) {
            return Ok(0);
        }
        let file = [git2::FileMode::Blob, git2::FileMode::BlobExecutable, git2::FileMode::Link].map(u32::from);
        let now = index.get_path(Path::new(rel), 0).filter(|e| file.contains(&e.mode)).map(|e| e.id);
        let in_tree =
            |tree: &Option<git2::Tree<'_>>| tree.as_ref().and_then(|t| t.get_path(Path::new(rel)).ok()).map(|e| e.id());
        let then = match self.snapshot.staged.get(rel) {
            Some(id) if id.is_zero() => None,
            Some(id) => Some(*id),
            None => in_tree(&staging.head_then),
        };
        if now == then {
            return Ok(0);
        }
        // HEAD's version (a reset unstaging a person's change; a commit of
        // the command's, which `record_committed` records) is no new text.
        if now.is_some() && now == in_tree(&staging.head_now) {
            return Ok(0);
        }
        let worktree = crate::analysis::files::worktree_content(&self.repo, &self.root, rel)?;
        let before = then.and_then(|id| self.repo.find_blob(id).ok()).map(|b| b.content().to_vec());
        match now {
            Some(id) if worktree.as_ref().is_some_and(|(blob, _)| *blob == id) => Ok(0),
            Some(id) => {
                let staged = self.repo.find_blob(id).with_context(|| format!("cannot read the staged {rel}"))?;
                // Of what it staged, what the worktree did not hold before the
                // command either: a person's edit it stages in part (`git add
                // -p`), or through a clean filter, stays theirs.
                // Not kept by the snapshot (too large, or past its budget):
                // the worktree as it is now, which a command that only staged
                // left as it was (vouch's last sight of the file may be the
                // very version staged).
                let worktree_before = match snapshot_before(&self.repo, &self.snapshot, rel) {
                    Some(bytes) => bytes,
                    None => worktree.as_ref().map(|(_, content)| content.as_bytes().to_vec()).unwrap_or_default(),
                };
                Ok(usize::from(agent_record::record_over(
                    &self.journal,
                    &self.repo,
                    rel,
                    &[before.unwrap_or_default(), worktree_before],
                    staged.content(),
                    "(staged)",
                    source,
                    Evidence::AgentHook,
                    intent.as_ref(),
                )?))
            }
            None => {
                let (Some(before), true) = (before, worktree.is_some()) else { return Ok(0) };
                self.record_removal(rel, &before, source, intent)
            }
        }
    }

    /// Record the mode the command set on `rel` ([`agent_record::mode_set`]);
    /// one record, or none.
    fn record_mode(
        &self,
        staging: &Staging<'_>,
        rel: &str,
        source: &AiSource,
        intent: &Option<Intent>,
    ) -> anyhow::Result<usize> {
        if self.brought.contains_key(rel) {
            return Ok(0);
        }
        let Some(then) = self.snapshot.modes_before(rel, staging.head_then.as_ref()) else { return Ok(0) };
        let now = (crate::store::snapshot::worktree_mode(&self.root.join(rel)), staging.staged_mode(rel));
        staging.record_mode(&self.journal, &self.root, rel, (then, now), source, Evidence::AgentHook, intent.as_ref())
    }

    /// Record what the command changed in `rel`, in the journal; how many
    /// versions were recorded.
    fn record_file(
        &self,
        rel: &str,
        removed: &Removed,
        source: &AiSource,
        intent: &Option<Intent>,
    ) -> anyhow::Result<usize> {
        // A file a pull, a rebase onto new commits or a checkout brought:
        // what it holds is theirs, and only what the command changed since
        // is its own.
        if let Some(head_version) = self.brought.get(rel) {
            // Gone with it: not the command's removal.
            let Ok(Ok(target)) = target(&self.root.join(rel)) else { return Ok(0) };
            let head_version = head_version.as_deref().unwrap_or_default();
            if let Some(text) = target.text()
                && head_version != target.bytes
            {
                // A rebase stopped on a conflict moved HEAD before it
                // stopped: what it brings is not the command's either.
                let mut changed = self.in_progress.not_brought(
                    &self.repo,
                    rel,
                    text,
                    written(&String::from_utf8_lossy(head_version), text),
                );
                // Nor what the worktree held uncommitted before the
                // command: a person's edit a stash (or `--autostash`)
                // carried over the move.
                if let Some(before) = snapshot_before(&self.repo, &self.snapshot, rel) {
                    let then = version_at(&self.repo, self.snapshot.head, rel);
                    changed.leave_out_uncommitted(
                        text,
                        &String::from_utf8_lossy(&before),
                        &String::from_utf8_lossy(&then),
                    );
                }
                if !changed.is_empty() {
                    append(&self.journal, &target, &changed, source.clone(), Evidence::AgentHook, intent.clone())?;
                    say_recorded(&target, &changed, &source.tool);
                    return Ok(1);
                }
            }
            return Ok(0);
        }
        // The other side of a merge in progress removed or renamed it.
        if self.in_progress.brings_removal(&self.repo, rel) && !self.root.join(rel).exists() {
            return Ok(0);
        }
        if let Some(before) = removed_since(&self.repo, &self.snapshot, &self.root, rel) {
            return self.record_removal(rel, &before, source, intent);
        }
        // A symbolic link the command made or changed is not followed: the
        // file it names is not what the command wrote (a change to that
        // file is a candidate of its own). The link itself is, as git
        // stores it (the path it names): one that replaces a person's
        // file removes all of it.
        if std::fs::symlink_metadata(self.root.join(rel)).is_ok_and(|m| m.file_type().is_symlink()) {
            let Ok(link) = repo::link_target(&self.root.join(rel)) else { return Ok(0) };
            return Ok(usize::from(agent_record::record_over(
                &self.journal,
                &self.repo,
                rel,
                &[self.before_command(rel)?],
                &link,
                "(a symbolic link)",
                source,
                Evidence::AgentHook,
                intent.as_ref(),
            )?));
        }
        // Too large to keep, and as it was then: not touched.
        if self.snapshot.not_kept_unchanged(&self.root, rel) {
            return Ok(0);
        }
        let Ok(Ok(target)) = target(&self.root.join(rel)) else { return Ok(0) };
        // A file the command made where it removed another (`git mv`, `mv`)
        // is that file moved: it wrote what differs from it.
        let moved = match self.snapshot.before(&self.repo, rel) {
            Some(None) => removed.source_of(&target.bytes).map(<[u8]>::to_vec),
            _ => None,
        };
        let before = match moved {
            Some(before) => before,
            None => self.before_command(rel)?,
        };
        if before == target.bytes {
            return Ok(0);
        }
        let changed = match target.text() {
            Some(text) => {
                self.in_progress.not_brought(&self.repo, rel, text, written(&String::from_utf8_lossy(&before), text))
            }
            None => Written::ranges(std::iter::once(0..target.bytes.len()).collect()),
        };
        if changed.is_empty() {
            return Ok(0);
        }
        append(&self.journal, &target, &changed, source.clone(), Evidence::AgentHook, intent.clone())?;
        say_recorded(&target, &changed, &source.tool);
        Ok(1)
    }
}

/// The files a shell command removed, each as it was before the command
/// (as git stores it), or as HEAD holds it where an agent's records of it
/// are live.
struct Removed(Vec<(String, Vec<u8>)>);

impl Removed {
    /// The removed file that a file the command made (`made`) is, moved:
    /// one with the same bytes, else the one sharing the most lines with
    /// it, if they are at least half the lines of the two (git's rename
    /// threshold).
    fn source_of(&self, made: &[u8]) -> Option<&[u8]> {
        if let Some((_, same)) = self.0.iter().find(|(_, before)| before == made) {
            return Some(same);
        }
        self.0
            .iter()
            .map(|(_, before)| (shared_lines(before, made), before))
            .filter(|(shared, before)| *shared > 0 && 4 * shared >= line_count(before) + line_count(made))
            .max_by_key(|(shared, _)| *shared)
            .map(|(_, before)| before.as_slice())
    }
}

fn line_count(bytes: &[u8]) -> usize {
    bytes.split_inclusive(|b| *b == b'\n').count()
}

/// How many lines of `b` are lines of `a` (each line of `a` counted once).
fn shared_lines(a: &[u8], b: &[u8]) -> usize {
    let mut lines: HashMap<&[u8], usize> = HashMap::new();
    for line in a.split_inclusive(|b| *b == b'\n') {
        *lines.entry(line).or_default() += 1;
    }
    b.split_inclusive(|b| *b == b'\n')
        .filter(|line| match lines.get_mut(line) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count()
}

/// `PostToolUse` of a tool that edited several files (Codex's
/// `apply_patch`): in each, what changed since the snapshot taken before
/// it, else since vouch last saw the file. Every path is checked before
/// anything is recorded: one that leads out of the worktree or into the git
/// directory refuses the whole call.
fn after_files(files: agents::FileSet) -> anyhow::Result<Outcome> {
    let mut targets: Vec<Target> = Vec::new();
    let mut gone: Vec<PathBuf> = Vec::new();
    for file_path in &files.paths {
        let path = absolute(file_path, files.cwd.as_deref())?;
        if std::fs::symlink_metadata(&path).is_err() {
            gone.push(path);
            continue;
        }
        match target(&path)? {
            Ok(target) => targets.push(target),
            Err(why) => eprintln!("vouch: not recorded: {why}"),
        }
    }
    let discovered = match targets.first() {
        Some(_) => None,
        None => gone.iter().find_map(|p| existing_dir(p).and_then(|d| repo::discover(&d).ok())),
    };
    let Some(repo) = targets.first().map(|t| &t.repo).or(discovered.as_ref()) else {
        eprintln!("vouch: nothing to record: the tool left no file vouch tracks");
        return Ok(Outcome::Ok);
    };
    let snapshot = snapshot_for(repo, files.tool_use_id.as_deref());
    let intent = payload_intent(repo, &files.offered);
    let mut recorded = record_removed_files(repo, snapshot.as_ref(), &gone, &files, &intent)?;
    for target in &targets {
        let before = match snapshot.as_ref().and_then(|s| snapshot_before(&target.repo, s, &target.rel)) {
            Some(before) => before,
            None => {
                let journal = Journal::open(&target.repo).context("cannot open the journal")?;
                last_seen(&target.repo, &journal, &target.rel)?
            }
        };
        if before == target.bytes {
            continue;
        }
        // A file that is not UTF-8 is recorded whole: the edit cannot be
        // located in it.
        let changed = match target.text() {
            Some(text) => written(&String::from_utf8_lossy(&before), text),
            None => Written::ranges(std::iter::once(0..target.bytes.len()).collect()),
        };
        if changed.is_empty() {
            continue;
        }
        match record(target, &changed, files.source.clone(), Evidence::AgentHook, intent.clone()) {
            Ok(()) => {
                say_recorded(target, &changed, &files.source.tool);
                recorded += 1;
            }
            Err(e) => agent_record::not_recorded(&target.repo, &files.source.tool, &target.rel, &e),
        }
    }
    if recorded == 0 {
        eprintln!("vouch: nothing to record: the tool changed none of the files it named");
    }
    Ok(Outcome::Ok)
}

/// The nearest directory that exists at or above `path`'s parent, resolved.
fn existing_dir(path: &Path) -> Option<PathBuf> {
    path.parent()?.ancestors().find(|a| a.is_dir())?.canonicalize().ok()
}

/// The files of a tool's set that are gone (`paths`, absolute): each one
/// that `snapshot`, taken before the tool ran, says was there is recorded
/// as removed by the tool. Returns how many were.
fn record_removed_files(
    repo: &Repository,
    snapshot: Option<&Snapshot>,
    paths: &[PathBuf],
    files: &agents::FileSet,
    intent: &Option<Intent>,
) -> anyhow::Result<usize> {
    if paths.is_empty() {
        return Ok(0);
    }
    let Some(snapshot) = snapshot else {
        eprintln!("vouch: not recorded: the tool removed files, and no snapshot was taken before it ran");
        return Ok(0);
    };
    let root = repo::worktree_root(repo)?.canonicalize().context("cannot resolve the worktree")?;
    let journal = Journal::open(repo).context("cannot open the journal")?;
    let mut recorded = 0;
    for path in paths {
        // The parent resolved as the worktree's root is, so that a path
        // through a symbolic link is placed where it leads.
        let Some(dir) = path.parent().and_then(|d| d.canonicalize().ok()) else { continue };
        let Some(rel) = path.file_name().map(|n| dir.join(n)) else { continue };
        let Ok(rel) = rel.strip_prefix(&root) else { continue };
        let Some(rel) = rel.to_str().map(|r| r.replace(std::path::MAIN_SEPARATOR, "/")) else { continue };
        if let Some(before) = removed_since(repo, snapshot, &root, &rel) {
            record_removal(repo, &journal, &rel, &before, files.source.clone(), Evidence::AgentHook, intent.clone())?;
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// The model Gemini CLI runs, from its environment (`GEMINI_MODEL`).
fn gemini_model() -> Option<String> {
    std::env::var("GEMINI_MODEL").ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The model Claude Code runs, from its environment.
fn model_from_env() -> Option<String> {
    ["ANTHROPIC_MODEL", "CLAUDE_MODEL"]
        .iter()
        .find_map(|key| std::env::var(key).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()))
}

/// The model of the last assistant message in a Claude Code transcript.
fn transcript_model(path: &str) -> Option<String> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    for tail in TRANSCRIPT_TAILS {
        let start = len.saturating_sub(tail);
        file.seek(SeekFrom::Start(start)).ok()?;
        let mut bytes = Vec::new();
        file.by_ref().take(tail).read_to_end(&mut bytes).ok()?;
        if let Some(model) = agents::transcript_model(&bytes) {
            return Some(model);
        }
        if start == 0 {
            break;
        }
    }
    None
}

/// The versions of `rel` that an edit may have started from: the
/// journal's latest, the index's, HEAD's.
fn previous_versions(repo: &Repository, rel: &str) -> Vec<Oid> {
    let mut out = Vec::new();
    if let Ok(journal) = Journal::open(repo)
        && let Ok(loaded) = journal.records()
        && let Some(blob) =
            loaded.records_for(rel).last().and_then(|r| r.file()).and_then(|f| Oid::from_str(&f.blob).ok())
    {
        out.push(blob);
    }
    if let Ok(index) = repo.index()
        && let Some(entry) = index.get_path(Path::new(rel), 0)
    {
        out.push(entry.id);
    }
    if let Ok(tree) = repo.head().and_then(|h| h.peel_to_tree())
        && let Ok(entry) = tree.get_path(Path::new(rel))
    {
        out.push(entry.id());
    }
    out
}

fn generic(file: &Path, source: AiSource) -> anyhow::Result<Outcome> {
    let path = absolute(file.to_str().ok_or_else(|| anyhow::anyhow!("{} is not UTF-8", file.display()))?, None)?;
    let target = match target(&path)? {
        Ok(target) => target,
        Err(why) => {
            eprintln!("vouch: not recorded: {why}");
            return Ok(Outcome::Ok);
        }
    };
    let journal = Journal::open(&target.repo).context("cannot open the journal")?;
    let before = last_seen(&target.repo, &journal, &target.rel)?;
    if before == target.bytes {
        eprintln!("vouch: nothing to record: {} has no new text since vouch last saw it", display::line(&target.rel));
        return Ok(Outcome::Ok);
    }
    let (Some(text), Ok(before)) = (target.text(), String::from_utf8(before)) else {
        return whole(&target, source, None);
    };
    let changed = written(&before, text);
    if changed.is_empty() {
        eprintln!("vouch: nothing to record: {} has no new text since vouch last saw it", display::line(&target.rel));
        return Ok(Outcome::Ok);
    }
    record(&target, &changed, source.clone(), Evidence::AgentHook, None)?;
    say_recorded(&target, &changed, &source.tool);
    Ok(Outcome::Ok)
}

/// All of a file that is not UTF-8, recorded as an agent hook's, with the
/// intent behind the edit.
fn whole(target: &Target, source: AiSource, intent: Option<Intent>) -> anyhow::Result<Outcome> {
    record_whole(target, source, Evidence::AgentHook, intent)?;
    Ok(Outcome::Ok)
}

fn post_rewrite() -> anyhow::Result<Outcome> {
    let input = String::from_utf8(read_stdin()?).context("post-rewrite input is not UTF-8")?;
    let pairs = notes::parse_rewrite_pairs(&input).map_err(anyhow::Error::msg)?;
    if pairs.is_empty() {
        return Ok(Outcome::Ok);
    }
    let ctx = super::context::Context::open()?;
    let remapped = notes::remap_after_rewrite(&ctx.repo, &pairs).context("cannot re-map vouch notes")?;
    for r in &remapped {
        for dropped in &r.dropped {
            eprintln!("vouch: note on {}: dropped {}", &r.commit.to_string()[..12], display::line(dropped));
        }
    }
    Ok(Outcome::Ok)
}
