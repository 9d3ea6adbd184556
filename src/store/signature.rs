//! SSH signatures over approvals and overrides: signing with the key git is
//! configured to sign commits with (`gpg.format=ssh`, `user.signingkey`), in
//! the format of `ssh-keygen -Y sign` with namespace `vouch`, and checking a
//! signature against an allowed-signers file (git's
//! `gpg.ssh.allowedSignersFile` format) for exactly the principal a record
//! names.
//!
//! Signing shells out to `ssh-keygen` (or `gpg.ssh.program`), as git does:
//! it reaches the ssh-agent and reads key files in every format OpenSSH
//! knows. This module does not decide whether a signature is required; the
//! caller does, from the policy.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use git2::Repository;

/// The namespace every vouch signature is made in, so a signature made for
/// git commits (namespace `git`) or for a file (`file`) never counts.
pub const NAMESPACE: &str = "vouch";

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("cannot read git config: {0}")]
    Config(#[from] git2::Error),
    #[error("gpg.format is {0:?}; vouch signs only with SSH keys (git config gpg.format ssh)")]
    NotSsh(String),
    #[error("cannot write the signing key to a temporary file: {0}")]
    TempKey(std::io::Error),
    #[error("cannot run {program}: {source}")]
    Spawn { program: String, source: std::io::Error },
    #[error("{program} -Y sign with key {key} failed: {stderr}")]
    Failed { program: String, key: String, stderr: String },
    #[error("{program} -Y sign printed no SSH signature")]
    NoSignature { program: String },
}

/// How this repository's git is configured to sign, if it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningConfig {
    /// `user.signingkey`: a path to a private or public key file, or a
    /// literal public key (`key::ssh-ed25519 AAAA...`, as git accepts).
    pub key: String,
    /// `gpg.ssh.program`, else `ssh-keygen`.
    pub program: String,
}

/// The SSH signing configuration of `repo`: `None` when `user.signingkey`
/// is unset; an error when it is set for another format than SSH (openpgp,
/// x509), since vouch cannot use it.
pub fn signing_config(repo: &Repository) -> Result<Option<SigningConfig>, SignError> {
    let config = repo.config()?.snapshot()?;
    let Ok(key) = config.get_string("user.signingkey") else {
        return Ok(None);
    };
    if key.trim().is_empty() {
        return Ok(None);
    }
    let format = config.get_string("gpg.format").unwrap_or_else(|_| "openpgp".to_string());
    if !format.eq_ignore_ascii_case("ssh") {
        return Err(SignError::NotSsh(format));
    }
    let program = config.get_string("gpg.ssh.program").unwrap_or_else(|_| "ssh-keygen".to_string());
    Ok(Some(SigningConfig { key: key.trim().to_string(), program }))
}

/// Sign `payload` with the repository's configured SSH key: the armored
/// signature (`-----BEGIN SSH SIGNATURE-----`), or `None` when no key is
/// configured. Whether a missing key is acceptable is the caller's call.
pub fn sign(repo: &Repository, payload: &[u8]) -> Result<Option<String>, SignError> {
    match signing_config(repo)? {
        None => Ok(None),
        Some(config) => sign_with(&config, payload).map(Some),
    }
}

/// Sign `payload` with `config`'s key through `ssh-keygen -Y sign`.
pub fn sign_with(config: &SigningConfig, payload: &[u8]) -> Result<String, SignError> {
    // A literal public key goes to a temporary file: ssh-keygen then finds
    // the private half in the agent.
    let literal = literal_key(&config.key);
    let _temp;
    let key_path: PathBuf = match literal {
        Some(public) => {
            let mut file = tempfile::Builder::new()
                .prefix("vouch-signing-key")
                .suffix(".pub")
                .tempfile()
                .map_err(SignError::TempKey)?;
            writeln!(file, "{public}").map_err(SignError::TempKey)?;
            let path = file.path().to_path_buf();
            _temp = file;
            path
        }
        None => expand_home(&config.key),
    };
    let mut command = Command::new(&config.program);
    command.arg("-Y").arg("sign").arg("-n").arg(NAMESPACE).arg("-f").arg(&key_path);
    if literal.is_some() {
        // `-U`: the key is in the agent (OpenSSH 8.9 and later).
        command.arg("-U");
    }
    let output = run_with_input(&mut command, payload)
        .map_err(|source| SignError::Spawn { program: config.program.clone(), source })?;
    if !output.status.success() {
        return Err(SignError::Failed {
            program: config.program.clone(),
            key: key_path.display().to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let text = String::from_utf8_lossy(&output.stdout);
    match armored(&text) {
        Some(signature) => Ok(signature),
        None => Err(SignError::NoSignature { program: config.program.clone() }),
    }
}

/// The public key of a `key::` literal (or a bare `ssh-...` literal, which
/// git accepted before `key::`).
fn literal_key(key: &str) -> Option<&str> {
    if let Some(rest) = key.strip_prefix("key::") {
        return Some(rest.trim());
    }
    if key.starts_with("ssh-") || key.starts_with("ecdsa-") || key.starts_with("sk-") {
        return Some(key);
    }
    None
}

fn expand_home(path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return Path::new(&home).join(rest);
    }
    PathBuf::from(path)
}

/// The armored signature block in `text`, with LF line endings and one
/// final newline.
fn armored(text: &str) -> Option<String> {
    let start = text.find(BEGIN)?;
    let end = text[start..].find(END)? + start + END.len();
    let mut block: String = text[start..end].lines().map(|l| format!("{}\n", l.trim_end())).collect();
    if !block.ends_with('\n') {
        block.push('\n');
    }
    Some(block)
}

const BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const END: &str = "-----END SSH SIGNATURE-----";

fn run_with_input(command: &mut Command, input: &[u8]) -> std::io::Result<std::process::Output> {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    // Write from another thread so a child that fills its output pipe
    // before reading all of its input cannot deadlock us.
    let mut stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&input);
        }
    });
    let output = child.wait_with_output()?;
    let _ = writer.join();
    Ok(output)
}
