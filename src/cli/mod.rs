//! The command line: argument parsing and one module per command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Track AI-written code and make sure a senior signed off on it.
#[derive(Debug, Parser)]
#[command(name = "vouch", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the language server on stdin and stdout.
    Lsp,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let result = match cli.command {
        Command::Lsp => crate::lsp::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vouch: {e:#}");
            ExitCode::from(2)
        }
    }
}
