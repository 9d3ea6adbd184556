//! Sharing vouch's notes and records through a git remote: fetch the
//! remote's versions into a private namespace, merge them into ours as a
//! union, push the result (fast-forwards only, never forced), and start over
//! when the remote moved on meanwhile.
//!
//! What is shared: `refs/notes/vouch` and the records branch
//! ([`records::RECORDS_BRANCH`], `refs/heads/vouch-records`, which holds
//! requests, approvals, overrides and withdrawals); never the
//! per-worktree journal refs under `refs/vouch/journal/`. The remote's
//! versions land in `refs/vouch-remote/<remote>/...`, never on top of our own
//! refs, and the fetch names every refspec itself (`--refmap=`): git
//! otherwise also updates whatever a configured fetch refspec maps the
//! fetched refs to, and the common `+refs/notes/*:refs/notes/*` would then
//! overwrite unpushed local notes. Should a fetch move a local vouch ref
//! anyway, it is put back and reported. Records merge with
//! [`records::merge_union`] (a merge commit with both parents, so every
//! record either history added stays); notes with
//! `git notes merge -s cat_sort_uniq`, which keeps every line of both sides
//! (vouch notes are JSON Lines, so the union is a valid note).
//!
//! git-ai's notes (`refs/notes/ai`), which verify reads as evidence of AI,
//! are fetched and merged too (a local note kept where both sides have
//! one of a commit), never pushed: git-ai shares them itself, and a CI
//! clone that syncs must see what a teammate's git-ai recorded.
//!
//! The custom refs older versions kept records under (`refs/vouch/requests`,
//! `refs/vouch/approvals`, `refs/vouch/overrides`) are fetched when the
//! remote has them, merged into the local ones the same way, and their
//! records moved onto the branch ([`records::migrate`]); they are never
//! pushed.
//!
//! The git binary does the network part (it knows every transport,
//! credential helper and ssh configuration the user has).

use std::process::Command;

use git2::{Oid, Repository};

use crate::fingerprint::sha256_hex;
use crate::store::history::GIT_AI_NOTES_REF;
use crate::store::notes::{self, NOTES_REF};
use crate::store::records::{self, BadRecord, Kind, Layout, Migrated, RECORDS_BRANCH, RecordError};

/// The refs `vouch sync` shares, in the order it reports them.
pub const SHARED_REFS: [&str; 2] = [NOTES_REF, RECORDS_BRANCH];

/// The refs older versions kept records under: fetched and merged, never
/// pushed.
pub const LEGACY_REFS: [&str; 3] = ["refs/vouch/requests", "refs/vouch/approvals", "refs/vouch/overrides"];

/// Other tools' notes that verify reads as evidence of AI (git-ai's):
/// fetched and merged, a note of ours kept where both sides have one of a
/// commit (their format is theirs to merge), never pushed (the tool shares
/// them itself).
pub const FOREIGN_NOTES: [&str; 1] = [GIT_AI_NOTES_REF];

/// Where fetched versions of the shared refs are kept.
pub const PRIVATE_PREFIX: &str = "refs/vouch-remote/";

/// How [`sync`] behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Fetch, merge and push at most this many times when the remote keeps
    /// moving on between our fetch and our push.
    pub max_attempts: u32,
    /// Push the merged refs (else only fetch and merge).
    pub push: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config { max_attempts: 5, push: true }
    }
}

/// What happened to one shared ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSync {
    /// The shared ref (`refs/heads/vouch-records`).
    pub name: String,
    /// The remote's version, when it has the ref.
    pub fetched: Option<Oid>,
    /// Our version before the merge.
    pub before: Option<Oid>,
    /// Our version after the merge.
    pub after: Option<Oid>,
    /// Records (files) the remote had that we did not (the records branch
    /// only).
    pub added: usize,
    /// Record files present on both sides with different content (ours
    /// kept): one of them is corrupt.
    pub conflicts: Vec<String>,
    /// Whether the push sent it (the remote lacked our version).
    pub pushed: bool,
}

/// What [`sync`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub remote: String,
    /// Fetch-merge-push rounds it took.
    pub attempts: u32,
    pub refs: Vec<RefSync>,
    /// Records moved from the legacy refs (here or the remote's) onto the
    /// records branch.
    pub migrated: Vec<Migrated>,
    /// Records in the remote's versions that fail their checks: merged like
    /// the rest, so the gate and the verifier will refuse until someone
    /// removes them.
    pub bad_remote_records: Vec<BadRecord>,
    /// Configuration that would defeat the union merge (fetch refspecs that
    /// overwrite local notes or records), and local refs a fetch moved
    /// anyway (put back).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("refusing remote name {0:?}: it looks like an option")]
    BadRemote(String),
    #[error("git {action} {remote} failed: {detail}")]
    Git { action: &'static str, remote: String, detail: String },
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error("cannot merge the notes of {remote}: {detail}")]
    Notes { remote: String, detail: String },
    #[error("{remote} kept changing: the push was rejected {attempts} times; run vouch sync again")]
    KeptChanging { remote: String, attempts: u32 },
    #[error("{remote} refused the push of {refs}: {detail}")]
    PushRefused { remote: String, refs: String, detail: String },
    #[error("{what}: {source}")]
    Repo { what: String, source: git2::Error },
    #[error("cannot take this clone's sync lock {path}: {source}")]
    Lock { path: String, source: std::io::Error },
}

/// The private ref that holds `remote`'s version of `shared`
/// (`refs/vouch-remote/origin/notes/vouch`). A remote given as a URL or a
/// path gets a name derived from its hash.
pub fn private_ref(repo: &Repository, remote: &str, shared: &str) -> String {
    let suffix = shared.strip_prefix("refs/").unwrap_or(shared);
    format!("{PRIVATE_PREFIX}{}/{suffix}", remote_label(repo, remote))
}

fn remote_label(repo: &Repository, remote: &str) -> String {
    let named = repo.find_remote(remote).is_ok()
        && git2::Reference::is_valid_name(&format!("{PRIVATE_PREFIX}{remote}/x"))
        && !remote.contains('/');
    if named { remote.to_string() } else { format!("url-{}", &sha256_hex(remote.as_bytes())[..16]) }
}

/// Wait for this clone's other syncs: an exclusive lock on
/// `<git common dir>/vouch/sync.lock`, held while the returned file is.
fn take_turn(repo: &Repository) -> Result<std::fs::File, SyncError> {
    let path = repo.commondir().join("vouch").join("sync.lock");
    let locked = std::fs::create_dir_all(path.parent().unwrap_or(repo.commondir()))
        .and_then(|()| std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path))
        .and_then(|file| file.lock().map(|()| file));
    locked.map_err(|e| SyncError::Lock { path: path.display().to_string(), source: e })
}

/// Every local ref a sync fetches a version of.
fn fetched_refs() -> impl Iterator<Item = &'static str> {
    SHARED_REFS.into_iter().chain(LEGACY_REFS).chain(FOREIGN_NOTES)
}

/// Fetch, merge and push until the remote accepts our merged refs (at most
/// `config.max_attempts` rounds).
pub fn sync(repo: &Repository, remote: &str, config: &Config) -> Result<SyncReport, SyncError> {
    if remote.starts_with('-') {
        return Err(SyncError::BadRemote(remote.to_string()));
    }
    // Syncs of one clone take their turn (two pushes' pre-push hooks, an
    // editor's): at once, they raced for the same refs, and one put the
    // notes back over what another had just merged. The kernel drops the
    // lock when the process ends, however it ends.
    let _turn = take_turn(repo)?;
    let mut report = SyncReport {
        remote: remote.to_string(),
        attempts: 0,
        refs: Vec::new(),
        migrated: Vec::new(),
        bad_remote_records: Vec::new(),
        warnings: overwriting_refspecs(repo, remote),
    };
    let attempts = config.max_attempts.max(1);
    // What each round merged, summed over the rounds.
    let mut totals: Vec<RefSync> = Vec::new();
    for attempt in 1..=attempts {
        report.attempts = attempt;
        let (fetched, moved) = fetch(repo, remote)?;
        report.warnings.extend(moved);
        report.bad_remote_records = bad_records(repo, remote, &fetched)?;
        let merged = merge_fetched(repo, remote, &fetched)?;
        accumulate(&mut totals, merged);
        for m in records::migrate(repo)? {
            match report.migrated.iter_mut().find(|t| t.from == m.from) {
                Some(t) => t.records += m.records,
                None => report.migrated.push(m),
            }
        }
        // What migrating moved the branch to is what to push.
        if let Some(branch) = totals.iter_mut().find(|r| r.name == RECORDS_BRANCH) {
            branch.after = repo.refname_to_id(RECORDS_BRANCH).ok();
        }
        if !config.push {
            report.refs = totals;
            return Ok(report);
        }
        match push(repo, remote, &totals)? {
            PushResult::Done(pushed) => {
                for r in &mut totals {
                    r.pushed |= pushed.contains(&r.name);
                }
                report.refs = totals;
                return Ok(report);
            }
            PushResult::Rejected => continue,
        }
    }
    Err(SyncError::KeptChanging { remote: remote.to_string(), attempts })
}

fn accumulate(totals: &mut Vec<RefSync>, round: Vec<RefSync>) {
    for r in round {
        match totals.iter_mut().find(|t| t.name == r.name) {
            Some(t) => {
                t.fetched = r.fetched;
                t.after = r.after;
                t.added += r.added;
                t.conflicts.extend(r.conflicts);
            }
            None => totals.push(r),
        }
    }
}

/// What [`fetch`] got: each ref with the remote's commit (`None`: the remote
/// does not have it).
pub type Fetched = Vec<(String, Option<Oid>)>;

/// Fetch the remote's versions of the shared and legacy refs it has into
/// the private namespace; returns each with the remote's commit, and a
/// warning for each local ref the fetch moved (it is put back). A stale
/// private ref of a ref the remote no longer has is removed.
pub fn fetch(repo: &Repository, remote: &str) -> Result<(Fetched, Vec<String>), SyncError> {
    let mut ls = notes::git_command(repo);
    ls.args(["ls-remote", "--refs", remote]).args(fetched_refs());
    let listing = run(ls, "ls-remote", remote)?;
    let mut present: Vec<(String, Oid)> = Vec::new();
    for line in listing.lines() {
        let Some((id, name)) = line.split_once('\t') else { continue };
        // ls-remote matches patterns against the tail of a name: keep exact
        // names only.
        if fetched_refs().any(|r| r == name)
            && let Ok(oid) = Oid::from_str(id)
        {
            present.push((name.to_string(), oid));
        }
    }
    let mut moved = Vec::new();
    if !present.is_empty() {
        let before: Vec<(&str, Option<Oid>)> = fetched_refs().map(|r| (r, repo.refname_to_id(r).ok())).collect();
        let refspecs: Vec<String> =
            present.iter().map(|(name, _)| format!("+{name}:{}", private_ref(repo, remote, name))).collect();
        fetch_only(repo, remote, &refspecs, false)?;
        refetch_left_out(repo, remote, &refspecs)?;
        for (name, was) in before {
            let now = repo.refname_to_id(name).ok();
            // Only a move to what the fetch brought is the fetch's: another
            // move is another writer's meanwhile (a commit's note in another
            // worktree, an approval), which must stay.
            let fetched = repo.refname_to_id(&private_ref(repo, remote, name)).ok();
            if now != was && now.is_some() && now == fetched {
                put_back(repo, name, was, now)?;
                moved.push(format!("git fetch moved {name} (a fetch refspec of {remote}?); vouch put it back"));
            }
        }
    }
    let mut out = Vec::new();
    for shared in fetched_refs() {
        let private = private_ref(repo, remote, shared);
        if present.iter().any(|(n, _)| n == shared) {
            let oid = repo
                .refname_to_id(&private)
                .map_err(|source| SyncError::Repo { what: format!("read {private}"), source })?;
            out.push((shared.to_string(), Some(oid)));
        } else {
            if let Ok(mut stale) = repo.find_reference(&private) {
                let _ = stale.delete();
            }
            out.push((shared.to_string(), None));
        }
    }
    Ok((out, moved))
}

/// In a partial clone (`git clone --filter=blob:none`, actions/checkout's
/// `filter:`), a fetch leaves out the blobs of what it fetched: the notes'
/// texts and the records, which vouch reads and never fetches lazily (a
/// note it cannot read stops verify). When any is missing under the refs
/// `refspecs` fetched, fetch them again without the clone's filter.
fn refetch_left_out(repo: &Repository, remote: &str, refspecs: &[String]) -> Result<(), SyncError> {
    let config = repo.config().ok();
    // A remote given by its URL has no filter of its own to set aside.
    let named = repo.find_remote(remote).is_ok();
    let partial = config.as_ref().is_some_and(|c| {
        c.get_string("extensions.partialclone").is_ok()
            || c.get_bool(&format!("remote.{remote}.promisor")).unwrap_or(false)
    });
    if !named || !partial || refspecs.is_empty() {
        return Ok(());
    }
    let fetched: Vec<&str> = refspecs.iter().filter_map(|r| r.split_once(':').map(|(_, local)| local)).collect();
    let mut list = notes::git_command(repo);
    list.args(["rev-list", "--objects", "--missing=print"]).args(&fetched);
    if !run(list, "rev-list", remote)?.lines().any(|l| l.starts_with('?')) {
        return Ok(());
    }
    fetch_only(repo, remote, refspecs, true)
}

/// `git fetch` of `refspecs` from `remote` and nothing else: `--refmap=`,
/// so that no configured fetch refspec updates local refs on the side; no
/// tags, no FETCH_HEAD, no submodules, no pruning. With `unfiltered`, the
/// objects are fetched again (`--refetch`) without the partial clone's
/// filter.
fn fetch_only(repo: &Repository, remote: &str, refspecs: &[String], unfiltered: bool) -> Result<(), SyncError> {
    let mut fetch = notes::git_command(repo);
    if unfiltered {
        fetch.arg("-c").arg(format!("remote.{remote}.partialclonefilter="));
    }
    fetch.args(["fetch", "--quiet"]);
    if unfiltered {
        fetch.arg("--refetch");
    }
    fetch.args(["--no-tags", "--no-write-fetch-head", "--no-recurse-submodules", "--no-prune", "--refmap=", remote]);
    fetch.args(refspecs);
    run(fetch, "fetch", remote).map(|_| ())
}

/// Set `name` back to `was` (`None`: remove it), if it is still at `now`.
fn put_back(repo: &Repository, name: &str, was: Option<Oid>, now: Option<Oid>) -> Result<(), SyncError> {
    let failed = |source| SyncError::Repo { what: format!("put {name} back"), source };
    match (was, now) {
        (Some(was), Some(now)) => {
            repo.reference_matching(name, was, true, now, "vouch sync: put back").map_err(failed)?;
        }
        (Some(was), None) => {
            repo.reference(name, was, false, "vouch sync: put back").map_err(failed)?;
        }
        (None, Some(_)) => {
            repo.find_reference(name).and_then(|mut r| r.delete()).map_err(failed)?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// Merge fetched versions into ours: records as a union of files, notes
/// with `cat_sort_uniq`. Returns what happened to the shared refs.
pub fn merge_fetched(
    repo: &Repository,
    remote: &str,
    fetched: &[(String, Option<Oid>)],
) -> Result<Vec<RefSync>, SyncError> {
    let mut out = Vec::new();
    for (name, theirs) in fetched {
        let before = repo.refname_to_id(name).ok();
        let mut entry = RefSync {
            name: name.clone(),
            fetched: *theirs,
            before,
            after: before,
            added: 0,
            conflicts: Vec::new(),
            pushed: false,
        };
        if let Some(theirs) = *theirs {
            if name == NOTES_REF || FOREIGN_NOTES.contains(&name.as_str()) {
                // vouch's notes are JSON Lines: the union of both sides'
                // lines is a valid note.
                let strategy = if name == NOTES_REF { "cat_sort_uniq" } else { "ours" };
                merge_notes(repo, remote, name, strategy)?;
                entry.after = repo.refname_to_id(name).ok();
            } else {
                let target = fetched_refs().find(|r| r == name).expect("a fetched ref");
                let outcome = records::merge_union(repo, target, theirs)?;
                entry.after = Some(outcome.tip);
                entry.added = outcome.added;
                entry.conflicts = outcome.conflicts;
            }
        }
        if SHARED_REFS.contains(&name.as_str()) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// Merge `remote`'s version of the notes ref `name` (fetched into its
/// private ref) into ours with `strategy`, keeping the notes other writers
/// add meanwhile (commits in other worktrees: [`notes::through_scratch`]).
fn merge_notes(repo: &Repository, remote: &str, name: &str, strategy: &str) -> Result<(), SyncError> {
    let private = private_ref(repo, remote, name);
    let failed = |detail: String| SyncError::Notes { remote: remote.into(), detail };
    let edit = |scratch: &str| -> Result<(), SyncError> {
        let mut cmd = notes::git_command(repo);
        cmd.args(["notes", "--ref", scratch, "merge", "--quiet", "--strategy", strategy, &private]);
        // The merge commit is bookkeeping; a CI checkout may have no identity.
        if repo.signature().is_err() {
            for (key, value) in [
                ("GIT_AUTHOR_NAME", "vouch"),
                ("GIT_AUTHOR_EMAIL", "vouch@localhost"),
                ("GIT_COMMITTER_NAME", "vouch"),
                ("GIT_COMMITTER_EMAIL", "vouch@localhost"),
            ] {
                cmd.env(key, value);
            }
        }
        run(cmd, "notes merge", remote).map(drop).map_err(|e| failed(e.to_string()))
    };
    let git = |action: &str, e: git2::Error| failed(format!("cannot {action}: {}", e.message()));
    let contention = |stuck: crate::store::repo::Stuck| match stuck {
        crate::store::repo::Stuck::Contention { .. } => failed(format!("{stuck}; run vouch sync again")),
        crate::store::repo::Stuck::StaleLock { .. } => failed(stuck.to_string()),
    };
    notes::through_scratch(repo, name, "sync", edit, git, contention)
}

/// The invalid records the fetched versions bring that ours do not have.
fn bad_records(
    repo: &Repository,
    remote: &str,
    fetched: &[(String, Option<Oid>)],
) -> Result<Vec<BadRecord>, SyncError> {
    let mut bad = Vec::new();
    for (name, oid) in fetched {
        let Some(oid) = *oid else { continue };
        let layout = match Kind::ALL.into_iter().find(|k| k.legacy_ref() == Some(name.as_str())) {
            Some(kind) => Layout::Legacy(kind),
            None if name == RECORDS_BRANCH => Layout::Branch,
            None => continue,
        };
        let ours = repo.refname_to_id(name).ok();
        let shown = format!("{remote}'s {name}");
        bad.extend(records::incoming_bad(repo, layout, &shown, ours, oid)?);
    }
    Ok(bad)
}

enum PushResult {
    /// The refs the push sent.
    Done(Vec<String>),
    /// The remote moved on since we fetched.
    Rejected,
}

fn push(repo: &Repository, remote: &str, refs: &[RefSync]) -> Result<PushResult, SyncError> {
    // Only refs we have and the remote lacks (or has an older version of).
    let to_push: Vec<&RefSync> = refs.iter().filter(|r| r.after.is_some() && r.after != r.fetched).collect();
    if to_push.is_empty() {
        return Ok(PushResult::Done(Vec::new()));
    }
    let mut cmd = notes::git_command(repo);
    cmd.args(["push", "--porcelain", "--no-verify", remote]);
    for r in &to_push {
        // No `+`: a fast-forward or nothing. Ours holds the remote's version
        // (merged just now), so a refusal means the remote moved on.
        cmd.arg(format!("{0}:{0}", r.name));
    }
    let output = cmd.output().map_err(SyncError::Spawn)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut rejected = false;
    let mut refused: Vec<(String, String)> = Vec::new();
    let mut pushed = Vec::new();
    for line in stdout.lines() {
        // `<flag>\t<from>:<to>\t<summary> (<reason>)`
        let mut parts = line.splitn(3, '\t');
        let (Some(flag), Some(spec), summary) = (parts.next(), parts.next(), parts.next().unwrap_or("")) else {
            continue;
        };
        let Some((_, to)) = spec.split_once(':') else { continue };
        match flag {
            "!" if ["fetch first", "non-fast-forward", "stale info", "already exists"]
                .iter()
                .any(|r| summary.contains(r)) =>
            {
                rejected = true
            }
            // Another push took the remote's ref lock (or created the ref)
            // at the same moment: the remote moved on, too.
            "!" if summary.contains("failed to update ref") && stderr.contains("cannot lock ref") => rejected = true,
            "!" => refused.push((to.to_string(), summary.to_string())),
            " " | "*" | "+" => pushed.push(to.to_string()),
            _ => {}
        }
    }
    if !refused.is_empty() {
        let refs = refused.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>().join(", ");
        let mut detail = refused.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join("; ");
        let remote_says: Vec<&str> = stderr.lines().filter(|l| l.starts_with("remote:")).collect();
        if !remote_says.is_empty() {
            detail = format!("{detail} ({})", remote_says.join(" ").trim());
        }
        return Err(SyncError::PushRefused { remote: remote.into(), refs, detail });
    }
    if rejected {
        return Ok(PushResult::Rejected);
    }
    if !output.status.success() {
        return Err(SyncError::Git { action: "push", remote: remote.into(), detail: stderr.trim().to_string() });
    }
    Ok(PushResult::Done(pushed))
}

/// Fetch refspecs of `remote` that write onto vouch's own refs, and so
/// would overwrite local notes or records on a plain `git fetch`.
pub fn overwriting_refspecs(repo: &Repository, remote: &str) -> Vec<String> {
    let Ok(found) = repo.find_remote(remote) else { return Vec::new() };
    let Ok(specs) = found.fetch_refspecs() else { return Vec::new() };
    let mut warnings = Vec::new();
    for spec in specs.iter().flatten() {
        let Some((_, dst)) = spec.trim_start_matches('+').split_once(':') else { continue };
        let hits =
            |target: &str| dst == target || dst.strip_suffix('*').is_some_and(|prefix| target.starts_with(prefix));
        if fetched_refs().any(hits) {
            warnings.push(format!(
                "remote.{remote}.fetch has `{spec}`, which overwrites local vouch refs on git fetch; \
                 remove it (git config --unset remote.{remote}.fetch '{}') and use vouch sync",
                regex_escape(spec)
            ));
        }
    }
    warnings
}

fn regex_escape(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

fn run(mut cmd: Command, action: &'static str, remote: &str) -> Result<String, SyncError> {
    let output = cmd.output().map_err(SyncError::Spawn)?;
    if !output.status.success() {
        let detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(SyncError::Git { action, remote: remote.into(), detail });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_refs_are_the_records_branch_and_the_notes() {
        assert_eq!(SHARED_REFS, [NOTES_REF, RECORDS_BRANCH]);
        assert_eq!(LEGACY_REFS.to_vec(), Kind::ALL.into_iter().filter_map(Kind::legacy_ref).collect::<Vec<_>>());
    }

    #[test]
    fn refspecs_that_overwrite_vouch_refs_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        repo.remote("origin", "/nowhere").unwrap();
        assert!(overwriting_refspecs(&repo, "origin").is_empty());
        repo.remote_add_fetch("origin", "+refs/notes/*:refs/notes/*").unwrap();
        repo.remote_add_fetch("origin", "refs/notes/other:refs/notes/other").unwrap();
        let warnings = overwriting_refspecs(&repo, "origin");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("`+refs/notes/*:refs/notes/*`"), "{}", warnings[0]);
        assert_eq!(private_ref(&repo, "origin", NOTES_REF), "refs/vouch-remote/origin/notes/vouch");
        assert!(private_ref(&repo, "../x.git", NOTES_REF).starts_with("refs/vouch-remote/url-"));
    }
}
