//! BASE: the commit the work in progress will be verified against, so that
//! the gate, `vouch status` and the editor ask of the next commit what
//! `vouch verify BASE..HEAD` will ask of it in CI.
//!
//! BASE is the merge-base of HEAD with, in this order:
//! 1. the revision git config `vouch.base` names (`git config vouch.base
//!    origin/develop`), for a team whose pull requests target another
//!    branch; a name that does not resolve is an error, never a silent
//!    fallback;
//! 2. the current branch's upstream (`@{upstream}`), unless it is the
//!    branch's own published copy (`feature` tracking `origin/feature`,
//!    as `git push -u` sets it), whose pushed commits are still under
//!    review;
//! 3. the default branch: `origin/HEAD`, then `main`, `master`,
//!    `origin/main`, `origin/master`.
//!
//! With none of them (or no merge-base: unrelated histories), BASE is HEAD
//! itself: the next commit is judged alone. On an unborn branch there is
//! no BASE (and no policy at BASE): the first commit is judged under the
//! policy it holds.
//!
//! A command given `--base REV` (an automated reviewer run on a pull
//! request's head, which knows the base CI verifies against) takes REV
//! itself as BASE ([`given`]), as `vouch verify REV..HEAD` does.

use git2::{ErrorCode, Oid, Repository};

/// Why BASE cannot be found.
#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    #[error("git config vouch.base names `{name}`, which is not a commit here: {message}")]
    Configured { name: String, message: String },
    #[error("--base {name}: not a commit here: {message}")]
    Given { name: String, message: String },
    #[error("cannot read {what}: {message}")]
    Git { what: String, message: String },
}

/// How BASE was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The merge-base with the revision `vouch.base` names.
    Configured(String),
    /// The merge-base with the branch's upstream.
    Upstream(String),
    /// The merge-base with the default branch.
    Default(String),
    /// HEAD itself: no branch to compare with (or no merge-base).
    Head,
    /// The revision a command was given (`--base REV`), itself.
    Given(String),
}

/// The commit the work in progress is verified against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub commit: Oid,
    pub rule: Rule,
}

impl Base {
    /// `BASE 1a2b3c4d5e (merge-base with origin/main)`, for people.
    pub fn describe(&self) -> String {
        let short = &self.commit.to_string()[..10];
        match &self.rule {
            Rule::Configured(name) => format!("BASE {short} (merge-base with {name}, from git config vouch.base)"),
            Rule::Upstream(name) => format!("BASE {short} (merge-base with the upstream {name})"),
            Rule::Default(name) => format!("BASE {short} (merge-base with {name})"),
            Rule::Head => format!("BASE {short} (HEAD: no upstream or default branch to compare with)"),
            Rule::Given(name) => format!("BASE {short} ({name}, as given)"),
        }
    }
}

/// The default branches tried, in order, when the branch has no upstream.
pub const DEFAULT_BRANCHES: [&str; 5] = ["origin/HEAD", "main", "master", "origin/main", "origin/master"];

/// BASE for the work on top of HEAD; `None` on an unborn branch.
pub fn resolve(repo: &Repository) -> Result<Option<Base>, BaseError> {
    let head = match repo.head() {
        Ok(head) => head,
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => return Ok(None),
        Err(e) => return Err(BaseError::Git { what: "HEAD".into(), message: e.message().into() }),
    };
    let head_commit = head
        .peel_to_commit()
        .map_err(|e| BaseError::Git { what: "the commit of HEAD".into(), message: e.message().into() })?
        .id();
    let configured = repo.config().ok().and_then(|c| c.get_string("vouch.base").ok()).filter(|s| !s.trim().is_empty());
    if let Some(name) = configured {
        let name = name.trim().to_string();
        let target = repo
            .revparse_single(&name)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| BaseError::Configured { name: name.clone(), message: e.message().to_string() })?;
        return Ok(Some(merge_base(repo, head_commit, target.id(), Rule::Configured(name))));
    }
    if head.is_branch()
        && let Some(branch) = head.shorthand()
        && let Ok(local) = repo.find_branch(branch, git2::BranchType::Local)
        && let Ok(upstream) = local.upstream()
        && let Ok(target) = upstream.get().peel_to_commit()
    {
        let name = upstream.name().ok().flatten().unwrap_or("@{upstream}").to_string();
        // A branch's own published copy (`feature` tracking
        // `origin/feature`, as `git push -u` sets it) is not what it
        // merges into: its pushed commits are still under review.
        let own = name.rsplit_once('/').is_some_and(|(_, b)| b == branch) || name == branch;
        if !own {
            return Ok(Some(merge_base(repo, head_commit, target.id(), Rule::Upstream(name))));
        }
    }
    for name in DEFAULT_BRANCHES {
        if let Ok(target) = repo.revparse_single(name).and_then(|o| o.peel_to_commit()) {
            return Ok(Some(merge_base(repo, head_commit, target.id(), Rule::Default(name.to_string()))));
        }
    }
    Ok(Some(Base { commit: head_commit, rule: Rule::Head }))
}

/// BASE as a command was told it (`--base REV`): REV's commit itself, as
/// `vouch verify REV..HEAD` takes it; a name that does not resolve is an
/// error.
pub fn given(repo: &Repository, name: &str) -> Result<Base, BaseError> {
    let name = name.trim();
    let commit = repo
        .revparse_single(name)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| BaseError::Given { name: name.to_string(), message: e.message().to_string() })?;
    Ok(Base { commit: commit.id(), rule: Rule::Given(name.to_string()) })
}

fn merge_base(repo: &Repository, head: Oid, other: Oid, rule: Rule) -> Base {
    match repo.merge_base(head, other) {
        Ok(commit) => Base { commit, rule },
        Err(_) => Base { commit: head, rule: Rule::Head },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::{git, git_repo};

    fn commit(root: &std::path::Path, name: &str) {
        std::fs::write(root.join(name), name).unwrap();
        git(root, &["add", name]);
        git(root, &["commit", "-q", "-m", name]);
    }

    fn rev(root: &std::path::Path, name: &str) -> Oid {
        let out = std::process::Command::new("git").args(["rev-parse", name]).current_dir(root).output().unwrap();
        Oid::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap()
    }

    #[test]
    fn base_is_the_merge_base_with_the_configured_upstream_or_default_branch() {
        let dir = git_repo();
        let root = dir.path();
        let repo = Repository::open(root).unwrap();
        assert_eq!(resolve(&repo).unwrap(), None, "an unborn branch has no BASE");
        commit(root, "a");
        let a = rev(root, "HEAD");
        // On the default branch itself: HEAD.
        assert_eq!(resolve(&repo).unwrap().unwrap(), Base { commit: a, rule: Rule::Default("main".into()) });
        git(root, &["checkout", "-q", "-b", "feature"]);
        commit(root, "b");
        git(root, &["checkout", "-q", "main"]);
        commit(root, "c");
        let c = rev(root, "HEAD");
        git(root, &["checkout", "-q", "feature"]);
        let found = resolve(&repo).unwrap().unwrap();
        assert_eq!(found, Base { commit: a, rule: Rule::Default("main".into()) });
        assert!(found.describe().contains("merge-base with main"), "{}", found.describe());
        // An upstream comes before the default branch.
        git(root, &["branch", "-q", "trunk", "main"]);
        git(root, &["branch", "-q", "--set-upstream-to=trunk"]);
        assert_eq!(resolve(&repo).unwrap().unwrap().rule, Rule::Upstream("trunk".into()));
        // The branch's own published copy is not what it merges into.
        git(root, &["branch", "-q", "feature-pushed", "feature"]);
        git(root, &["update-ref", "refs/remotes/origin/feature", "feature"]);
        git(root, &["config", "branch.feature.remote", "origin"]);
        git(root, &["config", "branch.feature.merge", "refs/heads/feature"]);
        git(root, &["config", "remote.origin.url", "/nowhere"]);
        git(root, &["config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"]);
        assert_eq!(resolve(&repo).unwrap().unwrap(), Base { commit: a, rule: Rule::Default("main".into()) });
        git(root, &["branch", "-q", "--set-upstream-to=trunk"]);
        // git config vouch.base comes first; a bad name is an error.
        git(root, &["config", "vouch.base", "main"]);
        assert_eq!(resolve(&repo).unwrap().unwrap(), Base { commit: a, rule: Rule::Configured("main".into()) });
        git(root, &["config", "vouch.base", "nowhere"]);
        assert!(matches!(resolve(&repo), Err(BaseError::Configured { .. })));
        git(root, &["config", "vouch.base", "main"]);
        git(root, &["checkout", "-q", "main"]);
        assert_eq!(resolve(&repo).unwrap().unwrap().commit, c);
        // A given revision is BASE itself, not a merge-base.
        git(root, &["checkout", "-q", "feature"]);
        assert_eq!(given(&repo, "main").unwrap(), Base { commit: c, rule: Rule::Given("main".into()) });
        assert!(matches!(given(&repo, "nowhere"), Err(BaseError::Given { .. })));
    }
}
