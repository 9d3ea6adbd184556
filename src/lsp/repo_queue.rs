//! A repository's review queue for `vouch/pending`: the same units `vouch
//! review --list --all` lists ([`crate::store::review_queue`]), open files
//! or not, each placed where its text is in the file on disk. A unit the
//! working tree holds is offered as the judge judges it there (its real AI
//! lines and people: [`crate::analysis::decision::Holder`]), as `vouch
//! review` offers it.
//!
//! Reading it means reading every request and approval, so it never runs on
//! the state thread: [`spawn`] reads it on a thread of its own, from git and
//! the files as they are then, and hands the result back over a channel
//! that the state thread drains between events. Typing never waits for it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use tower_lsp_server::ls_types::{Range, Uri};

use super::convert;
use crate::analysis::scope::AtBase;
use crate::policy::Severity;
use crate::store::identity;
use crate::store::policy_file::Source;
use crate::text::{Encoding, PositionLines, Text};

/// One repository's queue, as read at one moment.
#[derive(Debug, Clone, Default)]
pub struct RepoQueue {
    /// The git identity it was read as: `may_approve` is for it.
    pub reviewer: Option<String>,
    pub units: Vec<QueuedUnit>,
    /// Requested units left out, and why.
    pub problems: Vec<String>,
    /// What awaits each reviewer ([`crate::queue::reviewer_load`]), and the
    /// review budget of BASE's policy: what a requester is told after a
    /// request that puts a reviewer over it.
    pub loads: Vec<crate::queue::ReviewerLoad>,
    pub budget: crate::policy::Budget,
}

/// A requested unit awaiting sign-off, and where it is now.
#[derive(Debug, Clone)]
pub struct QueuedUnit {
    pub uri: Uri,
    /// Where the requested text is in the file on disk; the file's start
    /// when it is no longer there (`located` false).
    pub range: Range,
    pub located: bool,
    pub path: String,
    pub kind: String,
    pub name: Option<String>,
    pub fingerprint: String,
    pub risk: Vec<String>,
    pub warning: bool,
    pub ai_lines: usize,
    /// Lines an AI removed from it, as the judge counts them where the
    /// working tree holds it.
    pub ai_deleted_lines: Option<u32>,
    pub tool: Option<String>,
    pub reviewers: Vec<String>,
    pub may_approve: bool,
    pub requester: Option<String>,
    pub rationale: Option<String>,
    /// Where the rationale's words came from, when not typed by the
    /// requester (drafted from the agent's intent).
    pub rationale_from: Option<crate::store::records::RationaleFrom>,
    pub have: u32,
    pub need: u32,
}

impl QueuedUnit {
    /// "function `parse`", or the kind alone.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} `{name}`", self.kind.replace('_', " ")),
            None => self.kind.replace('_', " "),
        }
    }
}

/// What a finished read hands back.
pub struct Read {
    pub root: PathBuf,
    pub result: Result<RepoQueue, String>,
}

/// Read `root`'s queue on a new thread and send it to `done`. A panic in
/// the read is a failed read, never a read that never ends.
pub fn spawn(root: PathBuf, (encoding, lines): (Encoding, PositionLines), done: Sender<Read>) {
    let spawned = std::thread::Builder::new().name("vouch-queue".into()).spawn({
        let root = root.clone();
        let done = done.clone();
        move || {
            let result = std::panic::catch_unwind(|| read(&root, encoding, lines))
                .unwrap_or_else(|_| Err(anyhow::anyhow!("reading the queue failed unexpectedly")))
                .map_err(|e| format!("{e:#}"));
            let _ = done.send(Read { root, result });
        }
    });
    if let Err(e) = spawned {
        let _ = done.send(Read { root, result: Err(format!("cannot start reading the queue: {e}")) });
    }
}

/// Read `root`'s queue now (on the calling thread).
pub fn read(root: &Path, encoding: Encoding, lines: PositionLines) -> anyhow::Result<RepoQueue> {
    let ctx = crate::analysis::context::Context::open_at(root)?;
    let repo = &ctx.repo;
    // Judged as `vouch review` judges: the policy and the allowed signers
    // as of BASE, a unit the working tree holds as the judge judges it.
    let at = AtBase::open(repo, Source::Worktree, None)?;
    let queue = crate::analysis::decision::queue(&ctx, &at, None)?.queue;
    let reviewer = identity::user(repo).ok().map(|me| me.email);
    let budget = at.policy.budget().clone();
    let loads = crate::queue::reviewer_load(&queue.units, &budget, time::OffsetDateTime::now_utc());
    let mut files: std::collections::HashMap<String, Option<Text>> = Default::default();
    let units = queue
        .units
        .iter()
        .filter_map(|unit| {
            let file = root.join(&unit.path);
            let uri = Uri::from_file_path(&file)?;
            let text = files.entry(unit.path.clone()).or_insert_with(|| {
                std::fs::read(&file).ok().and_then(|bytes| String::from_utf8(bytes).ok()).and_then(|s| {
                    let lines = lines.of_document(&s);
                    Text::new(s).ok().map(|mut t| {
                        t.set_position_lines(lines);
                        t
                    })
                })
            });
            let (range, located) = match text.as_ref().and_then(|t| locate(t, unit.bytes.as_bytes()).map(|r| (t, r))) {
                Some((t, r)) => (convert::lsp_range(t, r, encoding), true),
                None => (Range::default(), false),
            };
            Some(QueuedUnit {
                uri,
                range,
                located,
                path: unit.path.clone(),
                kind: crate::queue::shown_kind(&unit.language, &unit.kind).to_string(),
                name: unit.name.clone(),
                fingerprint: unit.fingerprint.clone(),
                risk: unit.risk.clone(),
                warning: unit.requirement.severity == Severity::Warning,
                ai_lines: unit.ai_line_count,
                ai_deleted_lines: unit.ai_deleted_lines,
                tool: unit.tool.clone(),
                reviewers: unit.reviewers.clone(),
                // A whole-file unit is signed off with `vouch approve
                // --file` or `vouch review`: no buffer holds it.
                may_approve: !unit.is_whole_file() && reviewer.as_deref().is_some_and(|me| unit.awaits(me)),
                requester: unit.requests.last().map(|r| r.requester.clone()),
                rationale: unit.rationale().map(str::to_string),
                rationale_from: unit.rationale_from(),
                have: unit.have,
                need: unit.need,
            })
        })
        .collect();
    Ok(RepoQueue { reviewer, units, problems: queue.problems, loads, budget })
}

/// Where `unit` (the bytes git stores) is in `text`: as it is, or with the
/// working tree's CRLF line endings.
fn locate(text: &Text, unit: &[u8]) -> Option<std::ops::Range<usize>> {
    let hay = text.as_str().as_bytes();
    if unit.is_empty() {
        return None;
    }
    if let Some(at) = find(hay, unit) {
        return Some(at..at + unit.len());
    }
    let crlf: Vec<u8> = unit.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect();
    find(hay, &crlf).map(|at| at..at + crlf.len())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_a_unit_as_stored_or_with_crlf() {
        let text = Text::new("a\r\nfn f() {\r\n}\r\n".into()).unwrap();
        assert_eq!(locate(&text, b"fn f() {\n}"), Some(3..14));
        let text = Text::new("x\nfn f() {\n}\n".into()).unwrap();
        assert_eq!(locate(&text, b"fn f() {\n}"), Some(2..12));
        assert_eq!(locate(&text, b"fn g() {}"), None);
        assert_eq!(locate(&text, b""), None);
    }
}
