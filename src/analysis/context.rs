//! What every command needs: the repository, its policy, records and
//! journal, opened once, with errors that name what is wrong. The strict
//! variants are for the gate and the verifier, which fail closed.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use git2::Repository;

use crate::document::Document;
use crate::policy::Policy;
use crate::provenance::Attribution;
use crate::signoff::{self, Ledger, UnitFacts};
use crate::store::identity::{self, Identity};
use crate::store::journal::{Journal, Loaded};
use crate::store::policy_file::{self, Source};
use crate::syntax::Language;

/// Compact the journal once writers have left many segments behind (see
/// [`Journal::compact_if_crowded`]). The caller's write is done and durable;
/// failing here costs later readers time, not data, so it is a warning.
pub fn tidy_journal(journal: &Journal, repo: &Repository) {
    if let Err(e) = journal.compact_if_crowded(repo) {
        eprintln!("vouch: warning: cannot compact the journal: {e}");
    }
}

/// The journal's records, refusing to go on if any part of it is
/// unreadable (the gate, the verifier).
pub fn read_journal_strict(journal: &Journal) -> anyhow::Result<Loaded> {
    let loaded = journal.records()?;
    if let Some(problem) = loaded.problems.first() {
        let more = match loaded.problems.len() {
            1 => String::new(),
            n => format!(" ({} more problem(s): vouch doctor lists them)", n - 1),
        };
        bail!("refusing to decide without the whole journal: {}{more}", crate::display::line(&problem.to_string()));
    }
    Ok(loaded)
}

pub struct Context {
    pub repo: Repository,
    /// The worktree root.
    pub root: PathBuf,
}

/// git takes its repository from `GIT_DIR` when it is set; vouch takes the
/// one it runs in. Where the two differ, a command would judge another
/// repository than `git` run the same way shows (verify passing a clean
/// repository's range while `GIT_DIR` names one with unapproved AI code),
/// so it is refused. `GIT_DIR` naming the same repository, as git sets it
/// for its hooks, changes nothing.
fn refuse_another_git_dir(repo: &git2::Repository, dir: &Path) -> anyhow::Result<()> {
    let Some(named) = std::env::var_os("GIT_DIR").filter(|v| !v.is_empty()) else { return Ok(()) };
    let mut named = dir.join(named);
    // A `.git` file (a submodule's, a linked worktree's) names the
    // directory it stands for.
    if let Ok(link) = std::fs::read_to_string(&named)
        && let Some(target) = link.strip_prefix("gitdir:")
    {
        named = named.parent().unwrap_or(dir).join(target.trim());
    }
    let same = match (std::fs::canonicalize(&named), std::fs::canonicalize(repo.path())) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        anyhow::bail!(
            "GIT_DIR names {}, but {} is in the repository at {}: vouch reads the repository it runs in; run it in \
             that repository's worktree, or unset GIT_DIR",
            crate::display::line(&named.display().to_string()),
            crate::display::line(&dir.display().to_string()),
            crate::display::line(&repo.path().display().to_string())
        );
    }
    Ok(())
}

impl Context {
    /// The repository holding the current directory.
    pub fn open() -> anyhow::Result<Context> {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        Context::open_at(&cwd)
    }

    pub fn open_at(dir: &Path) -> anyhow::Result<Context> {
        let repo = crate::store::repo::discover(dir).map_err(|e| match e {
            crate::store::repo::RepoError::CannotOpen { .. } => anyhow::anyhow!("{e}"),
            _ => anyhow::anyhow!("not in a git repository: {} (run vouch inside one, or pass -C DIR)", dir.display()),
        })?;
        refuse_another_git_dir(&repo, dir)?;
        let root = repo
            .workdir()
            .ok_or_else(|| anyhow::anyhow!("{} is a bare repository; vouch needs a worktree", repo.path().display()))?
            .to_path_buf();
        Ok(Context { repo, root })
    }

    /// The policy as `source` has it; an invalid one is an error naming the
    /// file, line and key.
    pub fn policy(&self, source: &Source) -> anyhow::Result<Policy> {
        Ok(policy_file::load(&self.repo, source)?)
    }

    /// The request and approval records; unreadable ones are reported on
    /// stderr and left out.
    pub fn ledger(&self) -> anyhow::Result<Ledger> {
        let ledger = Ledger::load(&self.repo)?;
        for bad in &ledger.bad {
            eprintln!(
                "vouch: warning: unreadable record {}: {}",
                crate::display::line(&bad.path),
                crate::display::line(&bad.reason)
            );
        }
        Ok(ledger)
    }

    /// The records, refusing to go on if any is unreadable.
    pub fn ledger_strict(&self) -> anyhow::Result<Ledger> {
        let ledger = Ledger::load(&self.repo)?;
        if let Some(bad) = ledger.bad.first() {
            bail!(
                "unreadable record {}: {} ({} in all); refusing to decide without it",
                crate::display::line(&bad.path),
                crate::display::line(&bad.reason),
                ledger.bad.len()
            );
        }
        Ok(ledger)
    }

    /// The journal and its live records; problems are reported on stderr.
    pub fn journal(&self) -> anyhow::Result<(Journal, Loaded)> {
        let journal = Journal::open(&self.repo)?;
        let loaded = journal.records()?;
        for problem in &loaded.problems {
            eprintln!("vouch: warning: {}", crate::display::line(&problem.to_string()));
        }
        Ok((journal, loaded))
    }

    /// The journal, refusing to go on if any part of it is unreadable.
    pub fn journal_strict(&self) -> anyhow::Result<(Journal, Loaded)> {
        let journal = Journal::open(&self.repo)?;
        let loaded = read_journal_strict(&journal)?;
        Ok((journal, loaded))
    }

    /// The current git identity, for requests and approvals.
    pub fn identity(&self) -> anyhow::Result<Identity> {
        Ok(identity::user(&self.repo)?)
    }

    /// What is known of who wrote `text` (the content of `path`): history
    /// where it may hold AI text, with the journal's view laid over it (see
    /// [`super::attribution::display_spans`]). With `strict`, a journal
    /// record that cannot be applied is an error.
    pub fn spans(
        &self,
        policy: &Policy,
        journal: &(Journal, Loaded),
        path: &str,
        text: &str,
        strict: bool,
    ) -> anyhow::Result<Vec<(Range<usize>, Attribution)>> {
        use super::attribution::{FileVersion, Views};
        let blob = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())?;
        let file = FileVersion {
            path: path.to_string(),
            history_path: path.to_string(),
            blob,
            content: crate::syntax::Content::Text(text.to_string()),
        };
        let views = Views { journal: &journal.0, loaded: &journal.1, strict, cache: None };
        let view = views.view(&self.repo, &file)?;
        let ai_paths = super::ai_paths::AiPaths::load(&self.repo, policy.bots())?;
        super::attribution::display_spans(&self.repo, &ai_paths, policy.bots(), &file, &view)
    }

    /// The document for `text` at `path` with `spans`, and its AI units.
    pub fn facts(
        &self,
        path: &str,
        text: String,
        spans: &[(Range<usize>, Attribution)],
    ) -> anyhow::Result<(Document, Vec<UnitFacts>)> {
        let language = Language::from_path(Path::new(path));
        let mut doc = Document::new(language, text).with_context(|| format!("cannot hold {path}"))?;
        doc.reset_provenance(spans);
        let facts = signoff::unit_facts(&mut doc);
        Ok((doc, facts))
    }
}
