//! Who is acting: the git identity that signs requests and approvals, and
//! the author the next commit will record (who may not approve it).
//!
//! Two identities, on purpose:
//! - The **user** (requester, reviewer) is `user.name` and `user.email` from
//!   git config (the repository's config, which includes worktree, global and
//!   system config). Environment variables do not change it: an approval is
//!   made by whoever configured this checkout, as the policy names them, and
//!   it is the identity a signing key is tied to.
//! - The **commit author**, for excluding the author from approving, is what
//!   `git commit` would record: `GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL`, else
//!   `author.name`/`author.email`, else `user.name`/`user.email`, else (for
//!   the email) `EMAIL`. Excluding one identity too many is harmless; missing
//!   the real author is not, so the gate follows git's own precedence.

use git2::{Config, Repository};

/// A name and an email, as git knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("no git identity: set user.email with git config user.email you@example.com")]
    NoEmail,
    #[error("no git identity: set user.name with git config user.name \"Your Name\"")]
    NoName,
    #[error("cannot read git config: {0}")]
    Config(#[from] git2::Error),
}

/// The user acting in `repo` (requests, approvals): `user.name`, `user.email`.
pub fn user(repo: &Repository) -> Result<Identity, IdentityError> {
    user_from(&repo.config()?)
}

/// The user that `config` names.
pub fn user_from(config: &Config) -> Result<Identity, IdentityError> {
    let email = value(config, "user.email")?.ok_or(IdentityError::NoEmail)?;
    let name = value(config, "user.name")?.ok_or(IdentityError::NoName)?;
    Ok(Identity { name, email })
}

/// The author the next commit in `repo` will record, as `git commit` picks
/// it (see the module docs), reading the process environment.
pub fn commit_author(repo: &Repository) -> Result<Identity, IdentityError> {
    commit_author_from(&repo.config()?, |key| std::env::var(key).ok())
}

/// [`commit_author`] with the configuration and environment given.
pub fn commit_author_from(config: &Config, env: impl Fn(&str) -> Option<String>) -> Result<Identity, IdentityError> {
    let env = |key: &str| env(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let email = match env("GIT_AUTHOR_EMAIL") {
        Some(email) => email,
        None => match value(config, "author.email")? {
            Some(email) => email,
            None => match value(config, "user.email")? {
                Some(email) => email,
                None => env("EMAIL").ok_or(IdentityError::NoEmail)?,
            },
        },
    };
    let name = match env("GIT_AUTHOR_NAME") {
        Some(name) => name,
        None => match value(config, "author.name")? {
            Some(name) => name,
            None => value(config, "user.name")?.ok_or(IdentityError::NoName)?,
        },
    };
    Ok(Identity { name, email })
}

/// A config string, trimmed; unset or empty is `None`.
fn value(config: &Config, key: &str) -> Result<Option<String>, git2::Error> {
    match config.get_string(key) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v.trim().to_string())),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A config made of one file only, so the machine's global config cannot
    /// leak into the test.
    fn config(text: &str) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap();
        let config = Config::open(&path).unwrap();
        (dir, config)
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn user_comes_from_config_and_must_be_set() {
        let (_d, c) = config("[user]\n\tname = Ada\n\temail = ada@example.com\n");
        assert_eq!(user_from(&c).unwrap(), Identity { name: "Ada".into(), email: "ada@example.com".into() });
        let (_d, c) = config("[user]\n\tname = Ada\n");
        assert_eq!(
            user_from(&c).unwrap_err().to_string(),
            "no git identity: set user.email with git config user.email you@example.com"
        );
        let (_d, c) = config("[user]\n\temail = \n\tname = Ada\n");
        assert!(matches!(user_from(&c), Err(IdentityError::NoEmail)));
        let (_d, c) = config("[user]\n\temail = ada@example.com\n");
        assert!(matches!(user_from(&c), Err(IdentityError::NoName)));
    }

    #[test]
    fn commit_author_follows_git_precedence() {
        let (_d, c) = config("[user]\n\tname = Ada\n\temail = ada@example.com\n");
        let ada = Identity { name: "Ada".into(), email: "ada@example.com".into() };
        assert_eq!(commit_author_from(&c, env(&[("EMAIL", "other@x")])).unwrap(), ada);
        let agent = commit_author_from(&c, env(&[("GIT_AUTHOR_EMAIL", "bot@x"), ("GIT_AUTHOR_NAME", "Bot")])).unwrap();
        assert_eq!(agent, Identity { name: "Bot".into(), email: "bot@x".into() });

        let (_d, c) = config("[user]\n\tname = Ada\n\temail = ada@example.com\n[author]\n\temail = ada@work.example\n");
        assert_eq!(commit_author_from(&c, env(&[])).unwrap().email, "ada@work.example");

        let (_d, c) = config("[user]\n\tname = Ada\n");
        assert_eq!(commit_author_from(&c, env(&[("EMAIL", "ada@home")])).unwrap().email, "ada@home");
        assert!(matches!(commit_author_from(&c, env(&[])), Err(IdentityError::NoEmail)));
    }
}
