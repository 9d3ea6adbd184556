//! How a clone is set up for vouch: the git hooks `vouch init` installs
//! (found on disk, whoever wrote them) and the git configuration that keeps
//! notes through amend and rebase. What `vouch doctor`, the gate, the
//! agents' hooks and the language server ask before they say a clone is not
//! set up; [`crate::cli::git_hooks`] writes them.

use std::path::{Path, PathBuf};

use git2::Repository;

/// The hooks vouch installs, and what each runs.
pub const HOOKS: [&str; 5] = ["pre-commit", "prepare-commit-msg", "post-commit", "post-rewrite", "pre-push"];

/// The first line after the shebang of every script vouch writes.
pub const MARKER: &str = "# vouch-hook:1";

/// The binary a vouch script calls, as written in it.
pub(crate) fn script_binary(text: &str) -> Option<String> {
    let line = text.lines().find_map(|l| l.strip_prefix("vouch="))?;
    let inner = line.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace(r"'\''", "'"))
}

/// One hook as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Missing,
    /// Someone else's hook.
    Foreign,
    Vouch {
        binary: Option<String>,
        executable: bool,
        /// The `.local` hook it runs first, when there is one.
        chained: Option<PathBuf>,
    },
}

/// What `hook` in `dir` is.
pub fn inspect(dir: &Path, hook: &str) -> Found {
    let path = dir.join(hook);
    let Ok(text) = std::fs::read(&path) else { return Found::Missing };
    let text = String::from_utf8_lossy(&text);
    if !text.lines().take(3).any(|l| l.starts_with(MARKER)) {
        return Found::Foreign;
    }
    let local = dir.join(format!("{hook}.local"));
    Found::Vouch {
        binary: script_binary(&text),
        executable: is_executable(&path),
        chained: local.exists().then_some(local),
    }
}

/// Whether `path` is a file someone may run.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether a ref pattern (`refs/notes/*`, an exact name) matches `name`.
pub fn refspec_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            name.len() >= prefix.len() + suffix.len() && name.starts_with(prefix) && name.ends_with(suffix)
        }
        None => pattern == name,
    }
}

/// Where git runs hooks from, worked out without running git (for the
/// gate, which runs on every commit): `core.hooksPath`, else `hooks` in the
/// common git directory.
fn hooks_dir_quick(repo: &Repository) -> Option<PathBuf> {
    let configured = repo.config().ok().and_then(|c| c.get_string("core.hooksPath").ok());
    match configured {
        None => Some(repo.commondir().join("hooks")),
        Some(path) => {
            let path = match path.strip_prefix("~/") {
                Some(rest) => PathBuf::from(std::env::var_os("HOME")?).join(rest),
                None => PathBuf::from(path),
            };
            if path.is_absolute() { Some(path) } else { Some(repo.workdir()?.join(path)) }
        }
    }
}

/// Whether `notes.rewriteRef` covers vouch's notes.
pub fn notes_follow_rewrites(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else { return false };
    let Ok(mut entries) = config.multivar("notes.rewriteRef", None) else { return false };
    let mut covered = false;
    while let Some(Ok(entry)) = entries.next() {
        covered |= entry.value().is_some_and(|v| refspec_matches(v, crate::store::notes::NOTES_REF));
    }
    covered
}

/// What is wrong with vouch's `hook` in `dir`, if anything.
fn hook_problem(dir: &Path, hook: &str) -> Option<String> {
    match inspect(dir, hook) {
        Found::Missing => Some(format!("the {hook} hook is missing")),
        Found::Foreign => Some(format!("the {hook} hook is another tool's, not vouch's")),
        Found::Vouch { .. } => None,
    }
}

/// Why commits made in this clone get no provenance note, when they do
/// not: vouch's post-commit hook is missing or another tool's. One file
/// read, for every agent hook call that records something.
pub fn commits_unnoted(repo: &Repository) -> Option<String> {
    hook_problem(&hooks_dir_quick(repo)?, "post-commit")
}

/// What keeps this clone from being set up as `vouch init` sets it up: a
/// hook missing or replaced, notes that do not follow amend and rebase.
/// Quick enough for the gate.
pub fn setup_problems(repo: &Repository) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(dir) = hooks_dir_quick(repo) {
        problems.extend(HOOKS.iter().filter_map(|hook| hook_problem(&dir, hook)));
    }
    if !notes_follow_rewrites(repo) {
        problems.push(format!(
            "notes.rewriteRef does not name {} (a rebase or amend drops provenance notes)",
            crate::store::notes::NOTES_REF
        ));
    }
    problems
}

/// The warning the gate prints for a clone that is not set up; `None` when
/// it is.
pub fn setup_warning(repo: &Repository) -> Option<String> {
    let problems = setup_problems(repo);
    (!problems.is_empty()).then(|| format!("this clone is not set up: {}; run `vouch init`", problems.join("; ")))
}
