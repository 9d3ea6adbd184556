//! Where the code a sign-off request names is, as this clone sees it: what
//! decides whether a request's code is gone ([`crate::queue::Presence`]).
//!
//! A requested unit is *present* when its exact bytes occur in its file
//! (the path the request names) in the working tree, the index, or the tip
//! of any local branch, remote-tracking branch or the stash; when that path
//! is in none of them (a rename), anywhere in HEAD's tree. It is *gone* when
//! it is not present but some commit here had those bytes at that path:
//! reachable from any ref or from a reflog (`git log --all --reflog`), so
//! code reset away or rewritten after its commit counts as committed once.
//! The records branch (`vouch-records`, here or a remote's) is never looked
//! at: it holds records, and a file put there says nothing of the code.
//! Otherwise it is *unseen*: never committed here, like a request made
//! before its commit (as the pre-commit gate asks) or in another clone,
//! which stays awaited: absence proves nothing where the code never was.
//!
//! The deletion of a file an AI deleted whole is present wherever the file
//! is not (the working tree, the index or a tip lacks it), else unseen.
//!
//! Tags are not looked at: a release tag keeps old code, which says
//! nothing about what a request still asks.
//!
//! Answers are computed on first use and kept for the process; anything
//! vouch cannot read counts as unseen (the request stays awaited: closing
//! it would hide it from its reviewers).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository};

use crate::queue::Presence;
use crate::store::records::{RECORDS_BRANCH, RequestedUnit};

/// Where the code of requested units is, looked up lazily.
pub struct Presences<'r> {
    repo: &'r Repository,
    workdir: Option<PathBuf>,
    /// The commits whose trees count: branch tips (local and
    /// remote-tracking), the stash.
    tips: Vec<Oid>,
    /// Per path: the versions (blob or gitlink ids) the index and the tips
    /// hold, and the working tree's bytes (in the form git stores them).
    versions: RefCell<HashMap<String, Versions>>,
    /// Every path a request names: their histories are read in one go.
    paths: Vec<String>,
    /// Per path: the blobs commits here ever had at it; `None` until read,
    /// and when git cannot say.
    history: RefCell<Option<HashMap<String, Vec<Oid>>>>,
    /// HEAD's files, for units whose path is in no tree.
    head_files: RefCell<Option<Vec<Oid>>>,
    /// Per fingerprint: the answer.
    answers: RefCell<HashMap<String, Presence>>,
}

#[derive(Debug, Default, Clone)]
struct Versions {
    ids: Vec<Oid>,
    worktree: Option<Vec<u8>>,
    /// The working tree, the index or a tip has no file at the path.
    missing: bool,
}

impl Versions {
    fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.worktree.is_none()
    }
}

impl<'r> Presences<'r> {
    /// For `repo`, whose working tree (if any) is its workdir, and units at
    /// `paths` (those the requests name: whatever history is needed is read
    /// for all of them at once).
    pub fn new<'p>(repo: &'r Repository, paths: impl IntoIterator<Item = &'p str>) -> Presences<'r> {
        let mut paths: Vec<String> = paths.into_iter().map(str::to_string).collect();
        paths.sort();
        paths.dedup();
        let mut tips = Vec::new();
        if let Ok(refs) = repo.references() {
            for reference in refs.flatten() {
                let Some(name) = reference.name() else { continue };
                let counts =
                    name.starts_with("refs/heads/") || name.starts_with("refs/remotes/") || name == "refs/stash";
                if !counts || is_records_branch(name) || reference.symbolic_target().is_some() {
                    continue;
                }
                if let Ok(commit) = reference.peel_to_commit()
                    && !tips.contains(&commit.id())
                {
                    tips.push(commit.id());
                }
            }
        }
        // HEAD, also when detached.
        if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit())
            && !tips.contains(&head.id())
        {
            tips.push(head.id());
        }
        Presences {
            repo,
            workdir: repo.workdir().map(Path::to_path_buf),
            tips,
            versions: RefCell::new(HashMap::new()),
            paths,
            history: RefCell::new(None),
            head_files: RefCell::new(None),
            answers: RefCell::new(HashMap::new()),
        }
    }

    /// Where `unit`'s code is.
    pub fn of(&self, unit: &RequestedUnit) -> Presence {
        if let Some(&answer) = self.answers.borrow().get(&unit.fingerprint) {
            return answer;
        }
        let answer = self.find(unit);
        self.answers.borrow_mut().insert(unit.fingerprint.clone(), answer);
        answer
    }

    fn find(&self, unit: &RequestedUnit) -> Presence {
        if unit.is_deleted_file() {
            // The deletion of a file is there wherever the file is not;
            // elsewhere it may be yet to come (it stays awaited).
            return if self.versions_of(&unit.path).missing { Presence::Present } else { Presence::Unseen };
        }
        let submodule = unit.kind == crate::fingerprint::SUBMODULE;
        let bytes = unit.text.as_bytes();
        let versions = self.versions_of(&unit.path);
        let holds = |id: Oid| {
            if submodule {
                return unit.text.as_text().is_some_and(|t| t.trim() == id.to_string());
            }
            self.repo.find_blob(id).is_ok_and(|blob| contains(blob.content(), bytes))
        };
        if versions.ids.iter().any(|&id| holds(id)) || versions.worktree.as_deref().is_some_and(|w| contains(w, bytes))
        {
            return Presence::Present;
        }
        if versions.is_empty() && !submodule && self.head_files().iter().any(|&id| holds(id)) {
            return Presence::Present;
        }
        match self.history_of(&unit.path) {
            Some(blobs) if blobs.iter().any(|&id| holds(id)) => Presence::Gone,
            _ => Presence::Unseen,
        }
    }

    fn versions_of(&self, path: &str) -> Versions {
        if let Some(v) = self.versions.borrow().get(path) {
            return v.clone();
        }
        let mut versions = Versions::default();
        let mut add = |id: Oid| {
            if !versions.ids.contains(&id) {
                versions.ids.push(id);
            }
        };
        let mut missing = false;
        for &tip in &self.tips {
            let entry = self.repo.find_commit(tip).and_then(|c| c.tree()).and_then(|t| t.get_path(Path::new(path)));
            match entry {
                Ok(entry) if entry.kind() != Some(ObjectType::Tree) => add(entry.id()),
                _ => missing = true,
            }
        }
        match crate::store::repo::current_index(self.repo).map(|index| index.get_path(Path::new(path), 0)) {
            Ok(Some(entry)) => add(entry.id),
            _ => missing = true,
        }
        if let Some(dir) = &self.workdir {
            let file = dir.join(path);
            missing |= file.symlink_metadata().is_err();
            if let Ok(bytes) = std::fs::read(file) {
                versions.worktree = Some(crate::store::attributes::to_blob(self.repo, path, &bytes).into_owned());
            }
        }
        versions.missing = missing;
        self.versions.borrow_mut().insert(path.to_string(), versions.clone());
        versions
    }

    /// The blobs of every file of HEAD.
    fn head_files(&self) -> Vec<Oid> {
        if let Some(files) = self.head_files.borrow().as_ref() {
            return files.clone();
        }
        let mut files = Vec::new();
        if let Ok(tree) = self.repo.head().and_then(|h| h.peel_to_tree()) {
            let _ = tree.walk(git2::TreeWalkMode::PreOrder, |_, entry| {
                if entry.kind() == Some(ObjectType::Blob) {
                    files.push(entry.id());
                }
                git2::TreeWalkResult::Ok
            });
        }
        *self.head_files.borrow_mut() = Some(files.clone());
        files
    }

    /// The blobs any commit here (from any ref or reflog) had at `path`;
    /// `None` when git cannot say.
    fn history_of(&self, path: &str) -> Option<Vec<Oid>> {
        if self.history.borrow().is_none() {
            let mut paths = self.paths.clone();
            if !paths.iter().any(|p| p == path) {
                paths.push(path.to_string());
            }
            *self.history.borrow_mut() = self.read_history(&paths);
        }
        let history = self.history.borrow();
        let known = history.as_ref()?;
        Some(known.get(path).cloned().unwrap_or_default())
    }

    /// What `git log --raw` from every starting point ([`code_starts`])
    /// says commits had at `paths`, a few hundred paths per run.
    fn read_history(&self, paths: &[String]) -> Option<HashMap<String, Vec<Oid>>> {
        let mut blobs: HashMap<String, Vec<Oid>> = HashMap::new();
        let starts = code_starts(self.repo);
        if starts.is_empty() {
            return Some(blobs);
        }
        let input: String = starts.iter().map(|id| format!("{id}\n")).collect();
        for chunk in paths.chunks(500) {
            let mut cmd = crate::store::notes::git_command(self.repo);
            cmd.args(["--literal-pathspecs", "log", "--stdin", "--format=", "--raw", "--no-abbrev", "-z"]);
            cmd.args(["--no-renames", "--"]).args(chunk);
            cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
            cmd.stderr(std::process::Stdio::null());
            let mut child = cmd.spawn().ok()?;
            let mut stdin = child.stdin.take()?;
            let feed = input.clone();
            let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, feed.as_bytes()));
            let out = child.wait_with_output().ok().filter(|o| o.status.success())?;
            writer.join().ok()?.ok()?;
            // `:100644 100644 <old> <new> M` NUL `<path>` NUL, per file.
            let mut fields = out.stdout.split(|&b| b == 0);
            while let Some(field) = fields.next() {
                let meta = String::from_utf8_lossy(field);
                let Some(meta) = meta.trim_start_matches('\n').strip_prefix(':') else { continue };
                let Some(path) = fields.next() else { break };
                let Some(new) = meta.split(' ').nth(3).and_then(|id| Oid::from_str(id).ok()) else { continue };
                let list = blobs.entry(String::from_utf8_lossy(path).into_owned()).or_default();
                if !new.is_zero() && !list.contains(&new) {
                    list.push(new);
                }
            }
        }
        Some(blobs)
    }
}

/// Where to look for code committed here: the commit of every ref and of
/// every entry of its reflog and HEAD's (as `git log --all --reflog`), but
/// for vouch's own refs (records, journals, fetched copies), which hold
/// records, not code.
fn code_starts(repo: &Repository) -> Vec<Oid> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut add = |id: Oid| {
        if seen.insert(id) && repo.find_commit(id).is_ok() {
            out.push(id);
        }
    };
    let mut names = vec!["HEAD".to_string()];
    if let Ok(refs) = repo.references() {
        names.extend(refs.flatten().filter_map(|r| r.name().map(str::to_string)));
    }
    for name in names {
        if is_records_branch(&name) || name.starts_with("refs/vouch") {
            continue;
        }
        if let Ok(id) = repo.refname_to_id(&name) {
            add(id);
        }
        if let Ok(log) = repo.reflog(&name) {
            for entry in log.iter() {
                add(entry.id_new());
            }
        }
    }
    out
}

/// The records branch's name without `refs/heads/`.
const RECORDS_NAME: &str = "vouch-records";

/// Whether `name` is the records branch, here or a remote's: it holds
/// records, never the code a request names.
fn is_records_branch(name: &str) -> bool {
    name == RECORDS_BRANCH
        || name.strip_prefix("refs/remotes/").is_some_and(|r| r.ends_with(&format!("/{RECORDS_NAME}")))
}

/// Whether `haystack` holds `needle` (an empty needle is everywhere).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}
