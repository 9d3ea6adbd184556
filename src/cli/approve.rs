//! `vouch approve` and `vouch reject`: not written yet.

use super::Outcome;

#[derive(Debug, clap::Args)]
pub struct Args {}

#[derive(Debug, clap::Args)]
pub struct RejectArgs {}

pub fn run(_args: Args) -> anyhow::Result<Outcome> {
    anyhow::bail!("`vouch approve` is not available yet")
}

pub fn run_reject(_args: RejectArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`vouch reject` is not available yet")
}
