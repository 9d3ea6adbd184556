//! vouch: track which regions of a codebase an AI wrote, and make sure a
//! senior engineer signed off on each one before it lands.
//!
//! The crate is a functional core and an imperative shell (see
//! `docs/architecture.md`):
//! - core, pure and synchronous: [`text`], [`provenance`], [`syntax`],
//!   [`fingerprint`], [`eol`], [`canonical`], [`document`], [`policy`], [`lineage`],
//!   [`display`] (text shown to a person, hidden characters made visible),
//!   [`intent`] (an agent's reasoning at an edit: excerpts, redaction),
//!   [`cancel`] (giving up work that newer input made moot);
//! - [`store`]: files and git (journal, notes, request and approval records);
//! - [`analysis`]: what both front ends ask (attribution, units, where each
//!   unit stands), over the core and the store;
//! - front ends: [`lsp`] and [`cli`].

pub mod agent_trace;
pub mod brought;
pub mod cancel;
pub mod canonical;
pub mod display;
pub mod document;
pub mod eol;
pub mod fingerprint;
pub mod intent;
pub mod lineage;
pub mod policy;
pub mod provenance;
pub mod queue;
pub mod signoff;
pub mod syntax;
pub mod text;
pub mod verify;

pub mod store;

pub mod analysis;

pub mod cli;
pub mod lsp;
