//! The command line: argument parsing, and one module per command.
//!
//! Exit codes, for every command: 0 when all is well, 1 when sign-offs are
//! missing or a check failed, 2 for bad usage, input or configuration
//! (including anything vouch cannot read: the gate and the verifier fail
//! closed).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod output;

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
}

/// What a command reports back: the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: sign-offs missing, a check failed.
    Failed,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    if let Some(dir) = &cli.directory
        && let Err(e) = std::env::set_current_dir(dir)
    {
        eprintln!("vouch: cannot change to {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Lsp => crate::lsp::run().map(|()| Outcome::Ok),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("vouch: {e:#}");
            ExitCode::from(2)
        }
    }
}
