//! `vouch completions SHELL` and `vouch man`: shell completions and manual
//! pages, generated from the clap definition of the command line, so they
//! list exactly the commands and options this binary has. Packagers run
//! them at build time; nothing here reads a repository.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::CommandFactory as _;

use super::{Cli, Outcome};

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for; the script goes to standard output
    /// (e.g. `vouch completions bash > /usr/share/bash-completion/completions/vouch`).
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write a page per command into DIR (vouch.1, vouch-verify.1, ...);
    /// without it, vouch(1) goes to standard output.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "vouch", &mut out);
    std::io::stdout().lock().write_all(&out)?;
    Ok(Outcome::Ok)
}

pub fn man(args: ManArgs) -> anyhow::Result<Outcome> {
    let cmd = Cli::command();
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", crate::display::line(&dir.display().to_string())))?;
            clap_mangen::generate_to(cmd, &dir).with_context(|| {
                format!("cannot write man pages into {}", crate::display::line(&dir.display().to_string()))
            })?;
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            std::io::stdout().lock().write_all(&out)?;
        }
    }
    Ok(Outcome::Ok)
}
