//! Files and git: everything vouch remembers (the journal of uncommitted
//! provenance, notes on commits, request and approval records, the policy
//! file), kept safe from crashes and concurrent writers.

pub mod history;
pub mod identity;
pub mod journal;
pub mod notes;
pub mod policy_file;
pub mod records;
pub mod repo;
pub mod signature;
pub mod sync;
