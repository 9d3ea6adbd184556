//! The command line: argument parsing, and one module per command.
//!
//! Exit codes, for every command: 0 when all is well, 1 when sign-offs are
//! missing or a check failed, 2 for bad usage, input or configuration
//! (including anything vouch cannot read: the gate and the verifier fail
//! closed). Output into a closed pipe ends vouch as it ends other Unix
//! tools: killed by SIGPIPE, quietly (see [`output::broken_pipe`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod agent_config;
pub mod agent_record;
pub mod agent_trace;
pub mod agents;
pub mod approve;
pub mod blame;
pub mod check;
pub mod commit_note;
pub mod doctor;
pub mod gate_cache;
pub mod generate;
pub mod git_hooks;
pub mod hook;
pub mod init;
pub mod log;
pub mod mark;
pub mod notes;
pub mod output;
pub mod override_cmd;
pub mod report;
pub mod request;
pub mod review;
pub mod run;
pub mod stats;
pub mod status;
pub mod sync;
pub mod team;
pub mod verify;

// What every command opens, and the files they look at, live in the
// analysis layer below the front ends; these names keep the commands'
// paths short.
pub use crate::analysis::context;
pub use crate::analysis::files as gitfiles;

/// Track AI-written code and make sure a senior signed off on it.
#[derive(Debug, Parser)]
#[command(name = "vouch", version, about, propagate_version = true)]
pub struct Cli {
    /// Run as if vouch was started in this directory.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// How a reporting command prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the language server on stdin and stdout.
    Lsp,
    /// Set vouch up in this repository: policy, git hooks, notes config.
    Init(init::Args),
    /// Record an agent's edit (reads the agent's hook payload on stdin), or
    /// run a git hook.
    Hook(hook::Args),
    /// Mark lines as AI-written or human-written.
    Mark(mark::Args),
    /// AI-written units in the working tree and the index, and their state.
    Status(status::Args),
    /// The commit gate: require sign-off for AI-written units (`--staged`).
    Check(check::Args),
    /// Request sign-off for AI-written units.
    Request(request::Args),
    /// Approve units or a whole request, as the current git identity.
    Approve(approve::Args),
    /// Reject units or a whole request, as the current git identity.
    Reject(approve::RejectArgs),
    /// Check that hooks, notes configuration and refspecs are in place.
    Doctor(doctor::Args),
    /// Each line of a file with its origin, tool, commit and approver.
    Blame(blame::Args),
    /// Commits with their AI share and approvals.
    Log(log::Args),
    /// Maintain notes on commits (`vouch notes rebuild BASE..HEAD`).
    Notes(notes::Args),
    /// Fetch and push vouch's notes and records, merging as a union.
    Sync(sync::Args),
    /// CI's check: every AI unit changed in BASE..HEAD has its sign-off.
    Verify(verify::Args),
    /// Break glass: let a range land without sign-off, with a reason.
    Override(override_cmd::Args),
    /// The reviewer's queue, riskiest first.
    Review(review::Args),
    /// Review load and AI share, for the team.
    Stats(stats::Args),
    /// Write a self-contained HTML report.
    Report(report::Args),
    /// Run an agent; record as AI all that changed in the worktree meanwhile.
    ///
    /// `vouch run -- COMMAND [ARGS]...` takes the state of the worktree
    /// (every tracked file, and every untracked file git does not ignore,
    /// by content), runs COMMAND with the terminal (standard input, output
    /// and error) passed through, forwards the signals vouch receives
    /// (SIGINT, SIGTERM, SIGHUP, SIGQUIT; Ctrl-C in a terminal reaches the
    /// command directly), and when it ends records as AI (evidence
    /// `wrapper`, tool: COMMAND's program name, or --tool) every line that
    /// changed in the worktree's files (all of a file that is not UTF-8).
    /// vouch exits with COMMAND's exit code (128 + the signal's number when
    /// a signal ended it).
    ///
    /// Be aware: vouch cannot tell who changed a file. Anything that
    /// changed in the worktree while COMMAND ran is attributed to it,
    /// including edits you made yourself in the meantime (in an editor,
    /// another terminal) and the output of tools it ran (formatters, code
    /// generators). Edit nothing else in this worktree while an agent runs
    /// under `vouch run`: `vouch mark --human` will not take such edits
    /// back, and they need sign-off with the agent's. Commits the command
    /// makes are noted with what it changed. Agents with hooks (Claude
    /// Code, Cursor, Gemini CLI, Codex CLI) record each edit more
    /// precisely: see docs/agents.md.
    ///
    /// Ignored files, the git directory, submodules and symbolic links are
    /// not looked at. A worktree of more than 200,000 files, or whose
    /// modified and untracked files hold more than 1 GiB, is refused before
    /// COMMAND runs (exit 2, nothing run).
    Run(run::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(generate::CompletionsArgs),
    /// Print the manual page, or write one per command with --dir.
    Man(generate::ManArgs),
    /// Export provenance for other tools (`--agent-trace RANGE`: Agent
    /// Trace records, JSON Lines).
    Export(agent_trace::ExportArgs),
    /// Import provenance from other tools (`--agent-trace FILE`): their AI
    /// lines join the vouch notes.
    Import(agent_trace::ImportArgs),
}

/// The hooks run on every agent edit and every commit, called with exactly
/// these arguments (as `vouch init` installs them): what clap would parse
/// them into, without building the whole command line's parser first
/// (about a quarter of a millisecond of every call). Anything else,
/// `--help` included, goes through clap.
fn hot_hook(args: &[std::ffi::OsString]) -> Option<hook::Which> {
    let [_, command, which] = args else { return None };
    if command.to_str() != Some("hook") {
        return None;
    }
    match which.to_str()? {
        "claude-code" => Some(hook::Which::ClaudeCode),
        "cursor" => Some(hook::Which::Cursor),
        "gemini" => Some(hook::Which::Gemini),
        "codex" => Some(hook::Which::Codex),
        "pre-commit" => Some(hook::Which::PreCommit),
        "post-commit" => Some(hook::Which::PostCommit),
        _ => None,
    }
}

/// An AI tool's name as `--tool` gives it (`vouch mark`, `vouch run`,
/// `vouch hook generic`): trimmed, and refused when nothing is left or it
/// holds a control character, which a record would carry to every reader.
pub fn tool_name(given: &str) -> Result<String, String> {
    let name = given.trim();
    if name.is_empty() {
        return Err("a tool needs a name".to_string());
    }
    if name.chars().any(char::is_control) {
        return Err("a tool's name cannot hold control characters".to_string());
    }
    Ok(name.to_string())
}

/// What a command reports back: the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: sign-offs missing, a check failed.
    Failed,
    /// This exit code (`vouch run` passes on its command's).
    Code(u8),
}

/// Bytes of text whose syntax trees `vouch blame` leaves unfreed at its
/// exit (see [`crate::syntax::leave_trees_unfreed`]): one large file's.
const CLI_UNFREED_TEXT: usize = 1 << 20;

pub fn main() -> ExitCode {
    crate::store::repo::tune_libgit2();
    output::end_quietly_on_broken_pipe();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let parsed = match hot_hook(&args) {
        Some(which) => Ok(Cli { directory: None, command: Command::Hook(hook::Args { which }) }),
        None => Cli::try_parse_from(&args),
    };
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    if let Some(dir) = &cli.directory
        && let Err(e) = std::env::set_current_dir(dir)
    {
        eprintln!("vouch: cannot change to {}: {e}", crate::display::line(&dir.display().to_string()));
        return ExitCode::from(2);
    }
    if matches!(cli.command, Command::Blame(_)) {
        // Blame analyses one file and exits: its tree is left to the exit
        // rather than freed. Not for commands that analyse many files
        // (verify, stats, report): there the trees of the first MiB of
        // text held 50 MB more at their peak (113 → 161 MB for verify over
        // 1,000 commits) for no measurable CPU.
        crate::syntax::leave_trees_unfreed(CLI_UNFREED_TEXT);
    }
    let result = match cli.command {
        Command::Lsp => crate::lsp::run().map(|clean| if clean { Outcome::Ok } else { Outcome::Failed }),
        Command::Init(args) => init::run(args),
        Command::Hook(args) => hook::run(args),
        Command::Mark(args) => mark::run(args),
        Command::Status(args) => status::run(args),
        Command::Check(args) => check::run(args),
        Command::Request(args) => request::run(args),
        Command::Approve(args) => approve::run(args),
        Command::Reject(args) => approve::run_reject(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Blame(args) => blame::run(args),
        Command::Log(args) => log::run(args),
        Command::Notes(args) => notes::run(args),
        Command::Sync(args) => sync::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Override(args) => override_cmd::run(args),
        Command::Review(args) => review::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Report(args) => report::run(args),
        Command::Run(args) => run::run(args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
        Command::Export(args) => agent_trace::run_export(args),
        Command::Import(args) => agent_trace::run_import(args),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Code(code)) => ExitCode::from(code),
        Err(e) if output::is_broken_pipe(&e) => output::broken_pipe(),
        Err(e) => {
            eprintln!("vouch: {}", output::error_text(&e));
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hooks dispatched without clap are what clap parses them into.
    #[test]
    fn hot_hooks_are_parsed_as_clap_parses_them() {
        for name in ["claude-code", "cursor", "gemini", "codex", "pre-commit", "post-commit"] {
            let args: Vec<std::ffi::OsString> = ["vouch", "hook", name].iter().map(Into::into).collect();
            let fast = hot_hook(&args).unwrap_or_else(|| panic!("{name} is a hot hook"));
            let Command::Hook(parsed) = Cli::try_parse_from(&args).expect("clap parses it").command else {
                panic!("clap parses {name} as a hook")
            };
            assert_eq!(format!("{fast:?}"), format!("{:?}", parsed.which), "{name}");
        }
        for other in [
            &["vouch", "hook", "claude-code", "--help"][..],
            &["vouch", "-C", "dir", "hook", "pre-commit"],
            &["vouch", "hook", "prepare-commit-msg"],
            &["vouch", "hook", "post-rewrite"],
            &["vouch", "check", "--staged"],
            &["vouch", "hook"],
        ] {
            let args: Vec<std::ffi::OsString> = other.iter().map(Into::into).collect();
            assert!(hot_hook(&args).is_none(), "{other:?} goes through clap");
        }
    }
}
