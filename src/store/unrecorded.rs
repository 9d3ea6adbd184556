//! Files a tool call may have changed that vouch could not record: a shell
//! command whose `PostToolUse` found no snapshot to compare with (no
//! `PreToolUse` hook, one that failed or timed out, a command that removed
//! the snapshots). What such a command wrote is unknown, so it is never
//! attested "no AI": a commit that changes one of these files gets no
//! `no-ai` note, until one commits all of it (the worktree no longer
//! differs from that commit in it).
//!
//! One file per event under the worktree's `.git/vouch/unrecorded/`, so
//! that writers never read, change and write the same file. A file that
//! cannot be read is set aside (renamed `*.bad`), said, and counts as
//! touching every commit until then. Where the event itself cannot be
//! written (the disk full, a rename the file system refuses), an empty
//! file named for the time (`*.lost`: it needs no data block, and no
//! rename) says that some tool's change went unrecorded, which paths not
//! known: every commit counts as touched until one leaves the worktree with
//! nothing uncommitted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use git2::{Repository, Status};
use serde::{Deserialize, Serialize};

const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Event {
    v: u32,
    /// The agent whose command it was.
    tool: String,
    /// When it was found (seconds since the epoch).
    at: i64,
    /// The worktree's files that differed from HEAD then.
    paths: BTreeSet<String>,
}

/// The directory of `repo`'s worktree's events.
fn dir(repo: &Repository) -> PathBuf {
    crate::store::repo::git_dir(repo).join("vouch").join("unrecorded")
}

/// Keep that a command of `tool` may have changed `paths` unrecorded; if
/// that cannot be written, that something went unrecorded (see the module
/// documentation).
pub fn add(repo: &Repository, tool: &str, paths: BTreeSet<String>) -> std::io::Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let at = crate::store::snapshot::epoch_seconds();
    write_event(repo, tool, at, paths).or_else(|e| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("{at}-{}-{nanos}.lost", std::process::id());
        let _ = std::fs::create_dir_all(dir(repo));
        std::fs::File::create_new(dir(repo).join(name)).map(drop).map_err(|_| e)
    })
}

fn write_event(repo: &Repository, tool: &str, at: i64, paths: BTreeSet<String>) -> std::io::Result<()> {
    let event = Event { v: VERSION, tool: tool.to_string(), at, paths };
    let bytes = serde_json::to_vec(&event).map_err(std::io::Error::other)?;
    let dir = dir(repo);
    std::fs::create_dir_all(&dir)?;
    // Written whole under a name readers skip, then renamed to one they read.
    let file = tempfile::Builder::new().prefix(&format!("{at}-")).suffix(".part").tempfile_in(&dir)?;
    std::io::Write::write_all(&mut file.as_file(), &bytes)?;
    let done = file.path().with_extension("json");
    file.persist_noclobber(&done).map_err(|e| e.error)?;
    Ok(())
}

/// The kept events, and what was wrong with those that could not be read
/// (each set aside).
fn pending(repo: &Repository) -> (Vec<(PathBuf, Event)>, Vec<String>) {
    let (mut events, mut problems) = (Vec::new(), Vec::new());
    let Ok(entries) = std::fs::read_dir(dir(repo)) else { return (events, problems) };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "lost") {
            continue;
        }
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let read = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice::<Event>(&bytes).map_err(|e| e.to_string()))
            .and_then(|event| {
                if event.v == VERSION {
                    Ok(event)
                } else {
                    Err(format!("version {} (this vouch reads {VERSION})", event.v))
                }
            });
        match read {
            Ok(event) => events.push((path, event)),
            Err(reason) => {
                let aside = path.with_extension("bad");
                let _ = std::fs::rename(&path, &aside);
                problems.push(format!("{}: {reason}; set aside as {}", path.display(), aside.display()));
            }
        }
    }
    (events, problems)
}

/// Whether a `*.lost` marker stands (see the module documentation): which
/// files went unrecorded is not known, so every commit is touched until
/// one leaves the worktree with nothing uncommitted, which removes them
/// (said on standard error).
fn lost_touches(repo: &Repository) -> bool {
    let Ok(entries) = std::fs::read_dir(dir(repo)) else { return false };
    let lost: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "lost")).collect();
    if lost.is_empty() {
        return false;
    }
    eprintln!(
        "vouch: warning: a tool's change could not be recorded, nor which files it changed (was the disk full?): \
         this commit is not attested \"no AI\", nor any until the worktree holds nothing uncommitted"
    );
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(false).include_ignored(false);
    let clean = repo.statuses(Some(&mut options)).is_ok_and(|s| s.is_empty());
    if clean {
        for path in lost {
            let _ = std::fs::remove_file(path);
        }
    }
    true
}

/// The paths `commit` changes against its first parent; `None` when they
/// cannot be read.
fn changed_by(repo: &Repository, commit: &git2::Commit<'_>) -> Option<BTreeSet<String>> {
    let tree = commit.tree().ok()?;
    let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
    let changes = crate::store::tree_diff::changes(repo, parent.as_ref(), &tree).ok()?;
    Some(changes.changes.into_iter().map(|c| c.path).collect())
}

/// Whether `commit` changes a file a kept event names (or an event could
/// not be read: then every commit does, once); what was wrong is said on
/// standard error. The files it changes are dropped from the events where
/// the worktree no longer differs from it in them (all of it committed),
/// and events left with none are removed; files it did not change stay,
/// whatever the worktree shows now (stashed away, they come back).
pub fn touched_by(repo: &Repository, commit: &git2::Commit<'_>) -> bool {
    if !dir(repo).is_dir() {
        return false;
    }
    if lost_touches(repo) {
        return true;
    }
    let (events, problems) = pending(repo);
    for problem in &problems {
        eprintln!("vouch: warning: {}", crate::display::line(problem));
    }
    if events.is_empty() {
        return !problems.is_empty();
    }
    let Some(changed) = changed_by(repo, commit) else { return true };
    let mut touched = !problems.is_empty();
    for (file, mut event) in events {
        if event.paths.is_disjoint(&changed) {
            continue;
        }
        touched = true;
        event.paths.retain(|p| {
            !changed.contains(p)
                || repo.status_file(Path::new(p)).is_ok_and(|s| !s.is_empty() && !s.contains(Status::IGNORED))
        });
        let kept = if event.paths.is_empty() {
            std::fs::remove_file(&file)
        } else {
            serde_json::to_vec(&event)
                .map_err(std::io::Error::other)
                .and_then(|bytes| crate::store::write_atomic(&file, &bytes))
        };
        if let Err(e) = kept {
            eprintln!("vouch: warning: cannot update {}: {e}", file.display());
        }
    }
    touched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit_file(repo: &Repository, path: &str, text: &str) -> git2::Oid {
        let root = repo.workdir().unwrap().to_path_buf();
        std::fs::write(root.join(path), text).unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new(path)).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let who = git2::Signature::now("p", "p@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        repo.commit(Some("HEAD"), &who, &who, "c", &tree, &parent.iter().collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn a_kept_file_stays_until_a_commit_takes_all_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        commit_file(&repo, "a.py", "a\n");
        std::fs::write(dir.path().join("a.py"), "a\nb\n").unwrap();
        add(&repo, "claude-code", crate::store::snapshot::dirty_paths(&repo).unwrap()).unwrap();
        // Put away (a stash): a commit of another file leaves it kept.
        std::fs::write(dir.path().join("a.py"), "a\n").unwrap();
        let other = commit_file(&repo, "b.py", "b\n");
        assert!(!touched_by(&repo, &repo.find_commit(other).unwrap()));
        std::fs::write(dir.path().join("a.py"), "a\nb\n").unwrap();
        let changed = commit_file(&repo, "a.py", "a\nb\n");
        assert!(touched_by(&repo, &repo.find_commit(changed).unwrap()));
        assert_eq!(std::fs::read_dir(super::dir(&repo)).unwrap().count(), 0, "committed whole: nothing kept");
        assert!(!touched_by(&repo, &repo.find_commit(changed).unwrap()));
    }

    #[test]
    fn an_event_that_cannot_be_read_is_set_aside_and_touches_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let first = commit_file(&repo, "a.py", "a\n");
        std::fs::create_dir_all(super::dir(&repo)).unwrap();
        std::fs::write(super::dir(&repo).join("1-x.json"), "{not json").unwrap();
        assert!(touched_by(&repo, &repo.find_commit(first).unwrap()));
        assert!(super::dir(&repo).join("1-x.bad").exists(), "set aside, not deleted");
        assert!(!touched_by(&repo, &repo.find_commit(first).unwrap()));
    }
}
