//! vouch's git hooks: the scripts `vouch init` installs (pre-commit runs
//! the gate, prepare-commit-msg keeps what a commit comes from (a squash
//! merge's commits, a cherry-pick's source: git removes them before
//! post-commit, and `--no-verify` skips pre-commit), post-commit writes the
//! note, post-rewrite re-maps notes after an amend or a rebase, pre-push
//! shares notes and records with the remote pushed to), how they chain to
//! the hooks that were there before (how a clone's setup is read is
//! [`crate::store::setup`]'s), and the pre-push hook itself.
//!
//! A hook that is not vouch's is kept as `<hook>.local`, and vouch's script
//! runs it first, with the same arguments and input; a failing `.local`
//! pre-commit stops the commit as it did before. Running `vouch init` again
//! only rewrites vouch's own scripts. Hooks go where git looks for them:
//! `core.hooksPath` when set, else the common git directory's `hooks`.
//!
//! Each script calls the vouch binary that installed it, by absolute path,
//! falling back to `vouch` on `PATH`. With neither, it warns and lets the
//! commit through: the gate then did not run, which is what CI's
//! `vouch verify` is for.
//!
//! The pre-push hook runs `vouch sync` with the remote being pushed to, so
//! that a plain `git push` carries the commits' notes and the records to
//! where CI reads them. It never stops the push: when sharing fails (the
//! network, a remote that refuses vouch's refs) it says what happened and
//! what to run, and the push goes on.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use git2::Repository;

use super::Outcome;
use super::context::Context;
pub use crate::store::setup::{
    Found, HOOKS, inspect, notes_follow_rewrites, refspec_matches, setup_problems, setup_warning,
};
use crate::store::setup::{MARKER, is_executable};
use crate::store::sync;

/// Where git runs hooks from for `repo`: `core.hooksPath` (relative to the
/// worktree root, `~` expanded), else `hooks` in the common git directory.
pub fn hooks_dir(repo: &Repository) -> anyhow::Result<PathBuf> {
    let root = crate::store::repo::worktree_root(repo)?;
    let output = crate::store::notes::git_command(repo)
        .args(["rev-parse", "--git-path", "hooks"])
        .output()
        .context("cannot run git to find the hooks directory")?;
    if !output.status.success() {
        anyhow::bail!("git rev-parse --git-path hooks failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let text = String::from_utf8(output.stdout).context("the hooks directory is not UTF-8")?;
    let path = PathBuf::from(text.trim_end_matches(['\n', '\r']));
    Ok(if path.is_absolute() { path } else { root.join(path) })
}

/// Why vouch's hooks do not go into `dir`, when it is outside the
/// repository (neither under the worktree `root` nor in its git
/// directories): a `core.hooksPath` such as `~/.githooks` or a team's
/// shared directory, whose hooks every repository that uses it runs.
/// vouch's hooks there would note the commits of repositories that never
/// asked for it and warn on each of them.
pub fn shared_elsewhere(repo: &Repository, root: &Path, dir: &Path) -> Option<String> {
    let dir = lexical(dir);
    let inside = [root, repo.path(), repo.commondir()]
        .iter()
        .map(|p| lexical(&std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())))
        .any(|p| dir.starts_with(&p) || canonical_start(&dir).starts_with(&p));
    (!inside).then(|| {
        format!(
            "core.hooksPath is {}, outside this repository: every repository that uses that directory would \
             run vouch's hooks, so vouch does not install them there. Point core.hooksPath inside this \
             repository (`git config core.hooksPath .githooks`) or unset it and run vouch init again; or \
             call `vouch hook <name>` from the shared hooks yourself, for the repositories that use vouch \
             ({})",
            dir.display(),
            HOOKS.join(", ")
        )
    })
}

/// `path` with `.` and `..` resolved by name.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `path` with its longest existing ancestor's symbolic links resolved.
fn canonical_start(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut at = path;
    loop {
        if let Ok(found) = std::fs::canonicalize(at) {
            return rest.iter().rev().fold(found, |p, part| p.join(part));
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                at = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// Quote `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The script for `hook`, calling `binary`.
pub fn script(hook: &str, binary: &str) -> String {
    let vouch = shell_quote(binary);
    let mut s = format!(
        "#!/bin/sh\n{MARKER} {hook}\n\
         # Installed by `vouch init`; run it again to update this file. The hook that\n\
         # was here before, if any, is {hook}.local: it runs first.\n\
         # No dirname process: a hook runs on every commit.\n\
         case $0 in */*) hook_dir=${{0%/*}} ;; *) hook_dir=. ;; esac\n"
    );
    let stdin = hook == "post-rewrite" || hook == "pre-push";
    if stdin {
        s.push_str("input=$(cat)\n");
    }
    s.push_str(&format!("if [ -x \"$hook_dir/{hook}.local\" ]; then\n"));
    match (hook, stdin) {
        ("pre-commit" | "prepare-commit-msg", _) => {
            s.push_str(&format!("    \"$hook_dir/{hook}.local\" \"$@\" || exit $?\n"))
        }
        ("pre-push", _) => {
            s.push_str(&format!("    printf '%s\\n' \"$input\" | \"$hook_dir/{hook}.local\" \"$@\" || exit $?\n"))
        }
        (_, true) => s.push_str(&format!("    printf '%s\\n' \"$input\" | \"$hook_dir/{hook}.local\" \"$@\"\n")),
        _ => s.push_str(&format!("    \"$hook_dir/{hook}.local\" \"$@\"\n")),
    }
    s.push_str("fi\n");
    s.push_str(&format!("vouch={vouch}\n"));
    s.push_str("[ -x \"$vouch\" ] || vouch=$(command -v vouch 2>/dev/null) || vouch=\n");
    s.push_str("if [ -z \"$vouch\" ]; then\n");
    let consequence = match hook {
        "pre-commit" => "the sign-off gate did not run (CI's vouch verify still checks)",
        "prepare-commit-msg" => "what this commit comes from (a squash, a cherry-pick) was not kept",
        "post-commit" => "no provenance note was written for this commit",
        "pre-push" => "notes and records were not shared (run vouch sync)",
        _ => "notes were not re-mapped to the rewritten commits",
    };
    s.push_str(&format!(
        "    echo \"vouch: warning: vouch not found (at {} or on PATH); {consequence}\" >&2\n    exit 0\nfi\n",
        binary.replace(['"', '$', '`', '\\'], "_")
    ));
    if hook == "prepare-commit-msg" {
        s.push_str(NOTHING_TO_PREPARE);
    }
    if stdin {
        s.push_str(&format!("printf '%s\\n' \"$input\" | \"$vouch\" hook {hook} \"$@\"\n"));
    } else {
        s.push_str(&format!("exec \"$vouch\" hook {hook} \"$@\"\n"));
    }
    s
}

/// The prepare-commit-msg script's shortcut: vouch's hook reads only
/// `SQUASH_MSG` and `CHERRY_PICK_HEAD` in the worktree's git directory and
/// removes a stale `vouch/commit-sources.json` there; with none of the
/// three it has nothing to do, and starting it would cost every commit a
/// process. The git directory is `$GIT_DIR` when git set it, else `.git`
/// in the worktree root (where git runs hooks), or the `gitdir:` a `.git`
/// file names (a linked worktree, a submodule). When it cannot be found,
/// vouch runs.
const NOTHING_TO_PREPARE: &str = "\
git_dir=${GIT_DIR:-}
if [ -z \"$git_dir\" ]; then
    if [ -d .git ]; then
        git_dir=.git
    elif [ -f .git ] && read -r line < .git; then
        case $line in \"gitdir: \"*) git_dir=${line#gitdir: } ;; esac
    fi
fi
if [ -n \"$git_dir\" ] && [ -d \"$git_dir\" ] && [ ! -e \"$git_dir/SQUASH_MSG\" ] \\
    && [ ! -e \"$git_dir/CHERRY_PICK_HEAD\" ] && [ ! -e \"$git_dir/vouch/commit-sources.json\" ]; then
    exit 0
fi
";

/// What installing one hook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    Created,
    Updated,
    Unchanged,
    /// The hook that was there now runs first, as `<hook>.local`.
    Chained,
    /// A foreign hook replaced a chained one; it was kept under this name.
    BackedUp(PathBuf),
}

impl fmt::Display for Installed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Installed::Created => f.write_str("installed"),
            Installed::Updated => f.write_str("updated"),
            Installed::Unchanged => f.write_str("already installed"),
            Installed::Chained => f.write_str("installed; the existing hook was kept as .local and runs first"),
            Installed::BackedUp(p) => write!(f, "installed; the hook that was there was moved to {}", p.display()),
        }
    }
}

/// Whether `local` (a hook's `.local` name) is free for the hook there.
fn local_free(local: &Path) -> bool {
    !local.exists() && std::fs::symlink_metadata(local).is_err()
}

/// Why [`install`] would refuse `hook` in `dir`, found without changing
/// anything: a foreign hook whose `.local` name is taken, without `force`.
/// `vouch init` asks this of every hook before it writes anything.
pub fn refusal(dir: &Path, hook: &str, force: bool) -> Option<String> {
    let path = dir.join(hook);
    let local = dir.join(format!("{hook}.local"));
    (inspect(dir, hook) == Found::Foreign && !local_free(&local) && !force).then(|| {
        format!(
            "{} is not vouch's hook, and {} exists already: merge them by hand, or run vouch init --force \
             to move {hook} aside (kept as {hook}.vouch-backup)",
            path.display(),
            local.display()
        )
    })
}

/// Install vouch's `hook` into `dir`, calling `binary`. A foreign hook is
/// moved to `<hook>.local`; if that exists already, the foreign hook is only
/// replaced with `force` (and kept as `<hook>.vouch-backup`).
pub fn install(dir: &Path, hook: &str, binary: &str, force: bool) -> anyhow::Result<Installed> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(why) = refusal(dir, hook, force) {
        anyhow::bail!(why);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the hooks directory {}", dir.display()))?;
    let path = dir.join(hook);
    let content = script(hook, binary);
    let found = inspect(dir, hook);
    let local = dir.join(format!("{hook}.local"));
    let outcome = match found {
        Found::Missing => Installed::Created,
        Found::Vouch { .. } => {
            let same = std::fs::read_to_string(&path).is_ok_and(|old| old == content);
            if same && is_executable(&path) {
                return Ok(Installed::Unchanged);
            }
            Installed::Updated
        }
        Found::Foreign if local_free(&local) => {
            std::fs::rename(&path, &local)
                .with_context(|| format!("cannot move {} to {}", path.display(), local.display()))?;
            Installed::Chained
        }
        // Not free, and `refusal` let it through: with --force.
        Found::Foreign => {
            let backup = free_name(dir, &format!("{hook}.vouch-backup"));
            std::fs::rename(&path, &backup)
                .with_context(|| format!("cannot move {} to {}", path.display(), backup.display()))?;
            Installed::BackedUp(backup)
        }
    };
    let temp = dir.join(format!(".{hook}.vouch-tmp"));
    std::fs::write(&temp, &content).with_context(|| format!("cannot write {}", temp.display()))?;
    std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", temp.display()))?;
    std::fs::rename(&temp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(outcome)
}

/// `dir/name`, or `dir/name.N` for the first N not taken.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if std::fs::symlink_metadata(&first).is_err() {
        return first;
    }
    (2..).map(|n| dir.join(format!("{name}.{n}"))).find(|p| std::fs::symlink_metadata(p).is_err()).unwrap_or(first)
}

/// The binary hooks should call: this executable, by its absolute path.
pub fn current_binary() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_else(|| "vouch".to_string())
}

/// The refs `remote` fetches (the source side of its fetch refspecs).
fn fetched_sources(repo: &Repository, remote: &str) -> Vec<String> {
    let Ok(found) = repo.find_remote(remote) else { return Vec::new() };
    found
        .fetch_refspecs()
        .map(|specs| {
            specs
                .iter()
                .flatten()
                .map(|s| s.trim_start_matches('+').split(':').next().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// For each remote, the fetch refspecs of vouch's shared refs it lacks,
/// `+<ref>:<its private copy>`: with them, `git fetch` brings the remote's
/// notes and records beside the local ones (never onto them); `vouch sync`
/// merges them.
pub fn missing_fetch_refspecs(repo: &Repository) -> Vec<(String, String)> {
    let remotes: Vec<String> =
        repo.remotes().map(|list| list.iter().flatten().map(str::to_string).collect()).unwrap_or_default();
    let mut out = Vec::new();
    for remote in remotes {
        let sources = fetched_sources(repo, &remote);
        for shared in sync::SHARED_REFS {
            if !sources.iter().any(|s| refspec_matches(s, shared)) {
                out.push((remote.clone(), format!("+{shared}:{}", sync::private_ref(repo, &remote, shared))));
            }
        }
    }
    out
}

/// Adds [`missing_fetch_refspecs`] to the remotes; returns what it added.
pub fn configure_fetch(repo: &Repository) -> anyhow::Result<Vec<(String, String)>> {
    let missing = missing_fetch_refspecs(repo);
    for (remote, spec) in &missing {
        repo.remote_add_fetch(remote, spec).with_context(|| format!("cannot add {spec} to remote.{remote}.fetch"))?;
    }
    Ok(missing)
}

/// The pre-push hook: share notes and records with `remote` (the one being
/// pushed to). Never stops the push; says what happened.
pub fn pre_push(remote: &str) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    match sync::sync(&ctx.repo, remote, &sync::Config::default()) {
        Ok(report) => {
            for warning in &report.warnings {
                eprintln!("vouch: warning: {warning}");
            }
            for bad in &report.bad_remote_records {
                eprintln!("vouch: warning: {remote} has an invalid record {bad}");
            }
            let pushed: Vec<&str> = report.refs.iter().filter(|r| r.pushed).map(|r| r.name.as_str()).collect();
            let fetched: usize = report.refs.iter().map(|r| r.added).sum();
            let what = match (pushed.is_empty(), fetched) {
                (true, 0) => "already in step".to_string(),
                (true, n) => format!("fetched {n} new record(s)"),
                (false, n) => format!(
                    "pushed {}{}",
                    pushed.join(", "),
                    if n > 0 { format!(", fetched {n} new record(s)") } else { String::new() }
                ),
            };
            eprintln!("vouch: shared provenance notes and sign-off records with {remote} ({what})");
        }
        Err(e) => eprintln!(
            "vouch: warning: could not share notes and records with {remote}: {e:#}; the push goes on without them, \
             so CI may not see this code's provenance and sign-offs: run `vouch sync {remote}` once it can reach \
             {remote}"
        ),
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::setup::script_binary;

    /// Start `command`, a script a test just wrote: while another test's
    /// thread forks, the script's inode may still be open for writing in
    /// that child, and exec fails with "text file busy" until it execs.
    fn spawn_written(command: &mut std::process::Command) -> std::process::Child {
        for _ in 0..100 {
            match command.spawn() {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                started => return started.unwrap(),
            }
        }
        command.spawn().unwrap()
    }

    #[test]
    fn scripts_read_back_their_binary() {
        let s = script("pre-commit", "/opt/it's here/vouch");
        assert!(s.starts_with("#!/bin/sh\n# vouch-hook:1 pre-commit\n"));
        assert_eq!(script_binary(&s).as_deref(), Some("/opt/it's here/vouch"));
        assert!(s.contains("|| exit $?"), "a failing local pre-commit stops the commit");
        let r = script("post-rewrite", "/v");
        assert!(r.contains("input=$(cat)") && r.contains("| \"$vouch\" hook post-rewrite \"$@\""));
    }

    /// The pre-push script passes git's arguments and its input to the
    /// chained hook and to vouch, and a failing chained hook stops the push.
    #[test]
    fn the_pre_push_script_chains_and_passes_its_input_on() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path();
        let log = hooks.join("log");
        let fake = hooks.join("fake-vouch");
        let exe = |path: &Path, body: &str| {
            std::fs::write(path, body).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        exe(&fake, &format!("#!/bin/sh\necho \"vouch $*\" >> '{0}'\ncat >> '{0}'\n", log.display()));
        exe(
            &hooks.join("pre-push.local"),
            &format!("#!/bin/sh\necho \"local $*\" >> '{0}'\ncat >> '{0}'\n", log.display()),
        );
        install(hooks, "pre-push", fake.to_str().unwrap(), false).unwrap();
        let push = |input: &str| {
            let mut child = spawn_written(
                std::process::Command::new(hooks.join("pre-push"))
                    .args(["origin", "/srv/remote.git"])
                    .stdin(std::process::Stdio::piped()),
            );
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
            child.wait().unwrap()
        };
        let line = "refs/heads/main 1111 refs/heads/main 2222\n";
        assert!(push(line).success());
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            format!("local origin /srv/remote.git\n{line}vouch hook pre-push origin /srv/remote.git\n{line}")
        );
        exe(&hooks.join("pre-push.local"), "#!/bin/sh\nexit 7\n");
        std::fs::remove_file(&log).unwrap();
        assert_eq!(push(line).code(), Some(7), "a failing chained pre-push stops the push");
        assert!(!log.exists(), "and vouch did not run");
    }

    /// The prepare-commit-msg script starts vouch only when there is
    /// something for it to keep or clear: a squash message, a cherry-pick's
    /// source, or sources an earlier run left; in the git directory of a
    /// plain clone, of a linked worktree (a `.git` file) and of `$GIT_DIR`.
    /// The chained hook runs either way, and vouch runs when the git
    /// directory cannot be found.
    #[test]
    fn the_prepare_commit_msg_script_starts_vouch_only_with_something_to_keep() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path().join("hooks");
        std::fs::create_dir(&hooks).unwrap();
        let log = dir.path().join("log");
        let fake = dir.path().join("fake-vouch");
        let exe = |path: &Path, body: &str| {
            std::fs::write(path, body).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        exe(&fake, &format!("#!/bin/sh\necho \"vouch $*\" >> '{0}'\n", log.display()));
        exe(
            &hooks.join("prepare-commit-msg.local"),
            &format!("#!/bin/sh\necho \"local $*\" >> '{0}'\n", log.display()),
        );
        install(&hooks, "prepare-commit-msg", fake.to_str().unwrap(), false).unwrap();
        let run = |cwd: &Path, git_dir: Option<&Path>| {
            let _ = std::fs::remove_file(&log);
            let mut command = std::process::Command::new(hooks.join("prepare-commit-msg"));
            command.args([".git/COMMIT_EDITMSG", "message"]).current_dir(cwd).env_remove("GIT_DIR");
            if let Some(git_dir) = git_dir {
                command.env("GIT_DIR", git_dir);
            }
            assert!(spawn_written(&mut command).wait().unwrap().success());
            std::fs::read_to_string(&log).unwrap_or_default()
        };
        let local = "local .git/COMMIT_EDITMSG message\n";
        let both = format!("{local}vouch hook prepare-commit-msg .git/COMMIT_EDITMSG message\n");

        // A plain clone: `.git` is the git directory.
        let clone = dir.path().join("clone");
        let git = clone.join(".git");
        std::fs::create_dir_all(&git).unwrap();
        assert_eq!(run(&clone, None), local, "nothing to keep: vouch does not start");
        for file in ["SQUASH_MSG", "CHERRY_PICK_HEAD", "vouch/commit-sources.json"] {
            let path = git.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "x\n").unwrap();
            assert_eq!(run(&clone, None), both, "with {file}, vouch runs");
            std::fs::remove_file(&path).unwrap();
        }

        // A linked worktree: `.git` is a file naming its git directory.
        let linked = dir.path().join("linked");
        let linked_git = git.join("worktrees").join("linked");
        std::fs::create_dir_all(&linked_git).unwrap();
        std::fs::create_dir_all(&linked).unwrap();
        std::fs::write(linked.join(".git"), format!("gitdir: {}\n", linked_git.display())).unwrap();
        assert_eq!(run(&linked, None), local);
        std::fs::write(git.join("CHERRY_PICK_HEAD"), "x\n").unwrap();
        assert_eq!(run(&linked, None), local, "the main worktree's pick is not this worktree's");
        std::fs::remove_file(git.join("CHERRY_PICK_HEAD")).unwrap();
        std::fs::write(linked_git.join("CHERRY_PICK_HEAD"), "x\n").unwrap();
        assert_eq!(run(&linked, None), both);

        // `$GIT_DIR` wins over the `.git` in the directory.
        assert_eq!(run(&clone, Some(&linked_git)), both);
        std::fs::remove_file(linked_git.join("CHERRY_PICK_HEAD")).unwrap();
        assert_eq!(run(&clone, Some(&linked_git)), local);

        // No git directory to be found: vouch runs and decides.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        assert_eq!(run(&elsewhere, None), both);
        std::fs::write(elsewhere.join(".git"), "not a gitdir line\n").unwrap();
        assert_eq!(run(&elsewhere, None), both);
    }

    #[test]
    fn install_chains_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path();
        std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho theirs\n").unwrap();
        assert_eq!(install(hooks, "pre-commit", "/v", false).unwrap(), Installed::Chained);
        assert_eq!(std::fs::read_to_string(hooks.join("pre-commit.local")).unwrap(), "#!/bin/sh\necho theirs\n");
        assert_eq!(install(hooks, "pre-commit", "/v", false).unwrap(), Installed::Unchanged);
        assert_eq!(install(hooks, "pre-commit", "/w", false).unwrap(), Installed::Updated);
        assert!(matches!(
            inspect(hooks, "pre-commit"),
            Found::Vouch { binary: Some(b), executable: true, chained: Some(_) } if b == "/w"
        ));
        assert_eq!(install(hooks, "post-commit", "/w", false).unwrap(), Installed::Created);

        // Someone replaced vouch's hook while a .local is chained.
        std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho newer\n").unwrap();
        let err = install(hooks, "pre-commit", "/w", false).unwrap_err().to_string();
        assert!(err.contains("is not vouch's hook") && err.contains("--force"), "{err}");
        assert_eq!(inspect(hooks, "pre-commit"), Found::Foreign);
        let got = install(hooks, "pre-commit", "/w", true).unwrap();
        assert_eq!(got, Installed::BackedUp(hooks.join("pre-commit.vouch-backup")));
        assert_eq!(std::fs::read_to_string(hooks.join("pre-commit.vouch-backup")).unwrap(), "#!/bin/sh\necho newer\n");
    }
}
