//! The analysis both front ends call: what is AI-written in a file
//! version and where each of its units stands. The language server and the
//! command line (the gate, status, request, approve, review, blame, log)
//! ask the same questions here and get the same answers, and `vouch verify`
//! shares the rules ([`crate::store::lineage`], [`crate::signoff::Ledger`]).
//!
//! It sits between the front ends and the core and store: it reads git and
//! the journal through the store, caches what it worked out under the
//! common git directory (derived data, safe to delete), and calls the pure
//! core for attribution, units and judgement. No front end type (LSP,
//! clap) appears here.

pub mod ai_paths;
pub mod attribution;
pub mod base;
pub mod buffer;
pub mod cache;
pub mod changes;
pub mod context;
pub mod decision;
pub mod derived;
pub mod evidence;
pub mod files;
pub mod judge;
pub mod listed;
pub mod next;
pub mod scope;
pub mod worktree;
