//! Commits whose "no AI" note waits for a tool call's record: a commit made
//! while an agent's tool call is in flight (its snapshot taken, the hook
//! after it not come yet) may hold what the call wrote, which nothing has
//! recorded yet. Its note would say "no AI" (a person's commit during the
//! agent's turn whose after-hook was killed, or the call's own `git
//! commit`); it is kept here instead, one empty file per commit under the
//! worktree's `.git/vouch/deferred/<commit>`, and written when no call is
//! in flight any more (`cli::hook::note_deferred`): from the journal,
//! which then holds what the calls wrote, or "no AI". Until then the
//! commit is unattested, never human. The file holds, for each file tool
//! in flight on a file the commit changes, that file and the blob its
//! snapshot had (`path` TAB `blob` a line; the zero id: absent): a commit
//! whose version differs, and that no record covers, holds what the call
//! wrote where its record could not see it (the person left the branch
//! before it came), and stays unattested.

use std::path::PathBuf;

use git2::{Oid, Repository};

fn dir(repo: &Repository) -> PathBuf {
    crate::store::repo::git_dir(repo).join("vouch").join("deferred")
}

/// Keep that `commit`'s "no AI" note waits, with the files of file tools
/// in flight it changes and their versions before the tools ran.
pub fn add(repo: &Repository, commit: Oid, before: &[(String, Oid)]) -> std::io::Result<()> {
    let text: String = before.iter().map(|(path, blob)| format!("{path}\t{blob}\n")).collect();
    crate::store::write_atomic(&dir(repo).join(commit.to_string()), text.as_bytes())
}

/// The files of file tools in flight when `commit` was made, with their
/// versions before the tools ran ([`add`]); `None` when that cannot be
/// read.
pub fn before(repo: &Repository, commit: Oid) -> Option<Vec<(String, Oid)>> {
    let text = std::fs::read_to_string(dir(repo).join(commit.to_string())).ok()?;
    text.lines()
        .map(|line| {
            let (path, blob) = line.rsplit_once('\t')?;
            Some((path.to_string(), Oid::from_str(blob).ok()?))
        })
        .collect()
}

/// The commits whose note waits.
pub fn list(repo: &Repository) -> Vec<Oid> {
    let Ok(entries) = std::fs::read_dir(dir(repo)) else { return Vec::new() };
    entries.flatten().filter_map(|e| Oid::from_str(e.file_name().to_str()?).ok()).collect()
}

/// `commit`'s note waits no more.
pub fn remove(repo: &Repository, commit: Oid) {
    let _ = std::fs::remove_file(dir(repo).join(commit.to_string()));
}
