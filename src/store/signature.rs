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

use std::io::{IsTerminal as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use git2::Repository;
use ssh_key::{HashAlg, PublicKey, SshSig};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::policy::{Policy, Signer};
use crate::store::policy_file::{self, LoadError, Source};
use crate::store::records::{Approval, Override, Stored, Withdrawal};

/// The namespace every vouch signature is made in, so a signature made for
/// git commits (namespace `git`) or for a file (`file`) never counts.
pub const NAMESPACE: &str = "vouch";

/// The namespace git signs commits in (`gpg.format=ssh`).
pub const GIT_NAMESPACE: &str = "git";

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
    #[error("{program} -Y sign with key {key} failed: {stderr}{hint}")]
    Failed { program: String, key: String, stderr: String, hint: &'static str },
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

/// Why an approval could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalSignError {
    #[error("the policy requires signed approvals: {0}")]
    Required(SignError),
    #[error(
        "the policy requires signed approvals and git has no SSH signing key: \
         git config gpg.format ssh && git config user.signingkey ~/.ssh/id_ed25519.pub"
    )]
    NoKey,
    #[error("cannot sign the approval (git's gpg.format=ssh asks for a signature): {0}")]
    Failed(SignError),
}

/// Sign `approval` when the policy requires it or git has an SSH signing
/// key; refuse when the policy requires it and there is no key. A key for
/// another format (openpgp) matters only when signatures are required.
pub fn sign_approval(repo: &Repository, policy: &Policy, approval: &mut Approval) -> Result<(), ApprovalSignError> {
    approval.signature = sign_as_policy_asks(repo, policy, &approval.signed_payload())?;
    Ok(())
}

/// Sign a withdrawal as an approval is signed (see [`sign_approval`]).
pub fn sign_withdrawal(
    repo: &Repository,
    policy: &Policy,
    withdrawal: &mut Withdrawal,
) -> Result<(), ApprovalSignError> {
    withdrawal.signature = sign_as_policy_asks(repo, policy, &withdrawal.signed_payload())?;
    Ok(())
}

/// The signature over `payload` when the policy requires signatures or git
/// has an SSH signing key; an error when the policy requires one and there
/// is no key.
fn sign_as_policy_asks(
    repo: &Repository,
    policy: &Policy,
    payload: &[u8],
) -> Result<Option<String>, ApprovalSignError> {
    let required = policy.require_signatures();
    let config = match signing_config(repo) {
        Ok(config) => config,
        Err(_) if !required => None,
        Err(e) => return Err(ApprovalSignError::Required(e)),
    };
    match config {
        Some(config) => Ok(Some(sign_with(&config, payload).map_err(ApprovalSignError::Failed)?)),
        None if required => Err(ApprovalSignError::NoKey),
        None => Ok(None),
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
    let detached = !std::io::stdin().is_terminal();
    if detached {
        away_from_the_terminal(&mut command);
    }
    let output = run_with_input(&mut command, payload)
        .map_err(|source| SignError::Spawn { program: config.program.clone(), source })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        let hint = if detached && stderr.contains("passphrase") { NO_PASSPHRASE_HERE } else { "" };
        return Err(SignError::Failed {
            program: config.program.clone(),
            key: key_path.display().to_string(),
            stderr,
            hint,
        });
    }
    let text = String::from_utf8_lossy(&output.stdout);
    match armored(&text) {
        Some(signature) => Ok(signature),
        None => Err(SignError::NoSignature { program: config.program.clone() }),
    }
}

/// What a signature that needed a passphrase vouch could not ask for is
/// told.
const NO_PASSPHRASE_HERE: &str = " (vouch cannot ask for the key's passphrase here: add the key to your SSH agent \
                                  with `ssh-add`, or approve from a terminal with `vouch approve`)";

/// Start `command` in a session of its own, without a controlling
/// terminal, when vouch has no terminal of its own to ask on (the language
/// server, a hook): `ssh-keygen` would otherwise ask for a key's passphrase
/// on the terminal vouch's parent runs in, a terminal editor's, where the
/// prompt lands on the editor's screen and waits for keys the editor takes.
/// A graphical askpass (`SSH_ASKPASS` with a display) still asks.
fn away_from_the_terminal(command: &mut Command) {
    // SAFETY: setsid is async-signal-safe and touches nothing of this
    // process's memory; it fails only for a process group leader, which a
    // child just forked is not.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
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

// ---------------------------------------------------------------------------
// Verification

/// Why a signature does not count for the principal a record names. The
/// messages complete a sentence like "the approval by alice@x ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("carries no signature")]
    Unsigned,
    #[error("carries a signature that cannot be read: {0}")]
    Malformed(String),
    #[error("is signed in namespace \"{found}\", not \"{expected}\"")]
    Namespace { found: String, expected: &'static str },
    #[error("is signed, but {file} lists no key for {principal}")]
    NoKeyFor { principal: String, file: String },
    #[error("is signed with key {key}, which {file} lists for {}, not for {principal}", listed_for.join(", "))]
    KeyOfAnother { principal: String, key: String, listed_for: Vec<String>, file: String },
    #[error("is signed with key {key}, which {file} does not list (it lists other keys for {principal})")]
    KeyNotListed { principal: String, key: String, file: String },
    #[error("is signed with a key that {file}:{line} does not allow for namespace \"{namespace}\"")]
    NamespaceNotAllowed { file: String, line: usize, namespace: &'static str },
    #[error("is signed with key {key}, which {file} does not list")]
    UnknownKey { key: String, file: String },
    #[error("is signed with a key that {file}:{line} allows only {window}")]
    OutsideValidity { file: String, line: usize, window: String },
    #[error(
        "has a signature that does not verify over the record (altered after signing, or signed for other content)"
    )]
    Invalid,
    #[error("is signed with a {algorithm} key, which vouch cannot verify")]
    Unsupported { algorithm: String },
    #[error("cannot be checked: {0}")]
    AllowedSigners(String),
}

/// A line of an allowed-signers file that vouch could not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct SignersError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// One usable line of an allowed-signers file.
#[derive(Debug, Clone)]
struct SignerLine {
    line: usize,
    /// Lowercase emails.
    principals: Vec<String>,
    /// `namespaces="..."`, when given.
    namespaces: Option<Vec<String>>,
    valid_after: Option<OffsetDateTime>,
    valid_before: Option<OffsetDateTime>,
    key: PublicKey,
}

/// An allowed-signers file (git's `gpg.ssh.allowedSignersFile` format, as
/// `ssh-keygen -Y verify` reads it): `principals [options] keytype key
/// [comment]`, one a line, `#` comments.
///
/// Principals are compared with the record's email exactly (ignoring ASCII
/// case, as the policy compares identities). Wildcard principals
/// (`*@example.com`) and `cert-authority` lines are not supported: they are
/// reported in [`AllowedSigners::warnings`] and never match, so that no
/// line grants more than it names. `namespaces` is respected;
/// `valid-after` and `valid-before` are checked against the current time
/// (read as UTC).
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    /// How messages name the file (`BASE:.vouch/allowed_signers`).
    pub file: String,
    /// Whether the file exists (an absent file allows nobody).
    pub present: bool,
    signers: Vec<SignerLine>,
    /// Lines that are valid but grant nothing here.
    pub warnings: Vec<String>,
}

impl AllowedSigners {
    /// Parse `text`, named `file` in messages. A line vouch cannot parse is
    /// an error naming it: a verifier must not guess what a trust file says.
    pub fn parse(text: &str, file: &str) -> Result<AllowedSigners, SignersError> {
        let mut out = AllowedSigners { file: file.to_string(), present: true, ..AllowedSigners::default() };
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let err = |message: String| SignersError { file: file.to_string(), line, message };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (principals, rest) = next_token(trimmed).map_err(err)?;
            let rest = rest.trim_start();
            let (options, key_text) = if is_key_type(rest) {
                (String::new(), rest)
            } else {
                let (options, after) = next_token(rest).map_err(err)?;
                (options, after.trim_start())
            };
            if key_text.is_empty() {
                return Err(err("no public key after the principals".into()));
            }
            let mut namespaces = None;
            let (mut valid_after, mut valid_before) = (None, None);
            let mut cert_authority = false;
            for option in split_options(&options).map_err(err)? {
                let (name, value) = match option.split_once('=') {
                    Some((n, v)) => (n.to_ascii_lowercase(), Some(unquote(v))),
                    None => (option.to_ascii_lowercase(), None),
                };
                match (name.as_str(), value) {
                    ("cert-authority", None) => cert_authority = true,
                    ("namespaces", Some(v)) => namespaces = Some(v.split(',').map(|n| n.trim().to_string()).collect()),
                    ("valid-after", Some(v)) => valid_after = Some(parse_time(&v).map_err(err)?),
                    ("valid-before", Some(v)) => valid_before = Some(parse_time(&v).map_err(err)?),
                    (other, _) => return Err(err(format!("unsupported option `{other}`"))),
                }
            }
            let key =
                PublicKey::from_openssh(key_text).map_err(|e| err(format!("cannot parse the public key: {e}")))?;
            let mut signer = SignerLine { line, principals: Vec::new(), namespaces, valid_after, valid_before, key };
            if cert_authority {
                out.warnings
                    .push(format!("{file}:{line}: cert-authority lines are not supported; this line allows nobody"));
                continue;
            }
            for principal in unquote(&principals).split(',').map(str::trim).filter(|p| !p.is_empty()) {
                if principal.contains(['*', '?']) || principal.starts_with('!') {
                    out.warnings.push(format!(
                        "{file}:{line}: wildcard principal `{principal}` is not supported; list each signer's email"
                    ));
                    continue;
                }
                signer.principals.push(principal.to_ascii_lowercase());
            }
            if !signer.principals.is_empty() {
                out.signers.push(signer);
            }
        }
        Ok(out)
    }

    /// The file of a repository that has none: it allows nobody.
    pub fn absent(file: &str) -> AllowedSigners {
        AllowedSigners { file: file.to_string(), ..AllowedSigners::default() }
    }

    /// Whether any line allows `principal`.
    pub fn lists(&self, principal: &str) -> bool {
        let principal = principal.to_ascii_lowercase();
        self.signers.iter().any(|s| s.principals.contains(&principal))
    }

    /// Check `signature` (armored) over `payload` for `principal`, at the
    /// current time.
    pub fn verify(&self, principal: &str, payload: &[u8], signature: &str) -> Result<(), SigError> {
        self.verify_at(principal, payload, signature, OffsetDateTime::now_utc())
    }

    /// [`AllowedSigners::verify`] at time `now`, for `valid-after` and
    /// `valid-before`.
    pub fn verify_at(
        &self,
        principal: &str,
        payload: &[u8],
        signature: &str,
        now: OffsetDateTime,
    ) -> Result<(), SigError> {
        self.signer_at(NAMESPACE, Some(principal), payload, signature, now).map(|_| ())
    }

    /// The key that made `signature` (armored) over `payload` in
    /// `namespace`, and every principal the file lists it for, when a line
    /// allows that key for `principal` (or, with `None`, for anyone) in that
    /// namespace at time `now`.
    pub fn signer_at(
        &self,
        namespace: &'static str,
        principal: Option<&str>,
        payload: &[u8],
        signature: &str,
        now: OffsetDateTime,
    ) -> Result<Signer, SigError> {
        let sig = SshSig::from_pem(signature.trim().as_bytes()).map_err(|e| SigError::Malformed(e.to_string()))?;
        if sig.namespace() != namespace {
            return Err(SigError::Namespace { found: sig.namespace().to_string(), expected: namespace });
        }
        let key = sig.public_key().fingerprint(HashAlg::Sha256).to_string();
        let matching: Vec<&SignerLine> = match principal {
            Some(principal) => self.lines_for(principal, &sig, &key)?,
            None => {
                let lines: Vec<&SignerLine> =
                    self.signers.iter().filter(|s| s.key.key_data() == sig.public_key()).collect();
                if lines.is_empty() {
                    return Err(SigError::UnknownKey { key, file: self.file.clone() });
                }
                lines
            }
        };
        // Any line that lists this principal with this key and allows the
        // namespace and the time will do; report the first line's problem.
        let mut problem = None;
        for line in matching {
            if let Some(namespaces) = &line.namespaces
                && !namespaces.iter().any(|n| n == namespace)
            {
                problem.get_or_insert(SigError::NamespaceNotAllowed {
                    file: self.file.clone(),
                    line: line.line,
                    namespace,
                });
                continue;
            }
            let too_early = line.valid_after.is_some_and(|t| now < t);
            let too_late = line.valid_before.is_some_and(|t| now >= t);
            if too_early || too_late {
                let window = match (line.valid_after, line.valid_before) {
                    (Some(a), Some(b)) => format!("from {} until {}", show_time(a), show_time(b)),
                    (Some(a), None) => format!("from {}", show_time(a)),
                    (None, Some(b)) => format!("until {}", show_time(b)),
                    (None, None) => String::new(),
                };
                problem.get_or_insert(SigError::OutsideValidity { file: self.file.clone(), line: line.line, window });
                continue;
            }
            line.key.verify(namespace, payload, &sig).map_err(|e| match e {
                ssh_key::Error::AlgorithmUnsupported { algorithm } => {
                    SigError::Unsupported { algorithm: algorithm.to_string() }
                }
                _ => SigError::Invalid,
            })?;
            return Ok(Signer { key, principals: self.owners_of(&sig) });
        }
        Err(problem.unwrap_or(SigError::Invalid))
    }

    /// The lines that list `principal` with the key of `sig`; when there
    /// are none, why.
    fn lines_for(&self, principal: &str, sig: &SshSig, key: &str) -> Result<Vec<&SignerLine>, SigError> {
        let wanted = principal.to_ascii_lowercase();
        let for_principal: Vec<&SignerLine> = self.signers.iter().filter(|s| s.principals.contains(&wanted)).collect();
        let key = key.to_string();
        if for_principal.is_empty() {
            return Err(match self.owners_of(sig) {
                owners if !owners.is_empty() => SigError::KeyOfAnother {
                    principal: principal.into(),
                    key,
                    listed_for: owners,
                    file: self.file.clone(),
                },
                _ => SigError::NoKeyFor { principal: principal.into(), file: self.file.clone() },
            });
        }
        let matching: Vec<&SignerLine> =
            for_principal.into_iter().filter(|s| s.key.key_data() == sig.public_key()).collect();
        if matching.is_empty() {
            let owners = self.owners_of(sig);
            return Err(if owners.is_empty() {
                SigError::KeyNotListed { principal: principal.into(), key, file: self.file.clone() }
            } else {
                SigError::KeyOfAnother { principal: principal.into(), key, listed_for: owners, file: self.file.clone() }
            });
        }
        Ok(matching)
    }

    /// The principals whose lines hold the key that made `sig`.
    fn owners_of(&self, sig: &SshSig) -> Vec<String> {
        let mut owners: Vec<String> = Vec::new();
        for signer in self.signers.iter().filter(|s| s.key.key_data() == sig.public_key()) {
            for p in &signer.principals {
                if !owners.contains(p) {
                    owners.push(p.clone());
                }
            }
        }
        owners
    }

    /// Whether `approval`'s signature verifies for the reviewer it names,
    /// over [`Approval::signed_payload`].
    pub fn check_approval(&self, approval: &Approval) -> Result<(), SigError> {
        self.approval_signer(approval).map(|_| ())
    }

    /// The key that signed `approval`, when its signature verifies for the
    /// reviewer it names over [`Approval::signed_payload`].
    pub fn approval_signer(&self, approval: &Approval) -> Result<Signer, SigError> {
        let signature = approval.signature.as_deref().ok_or(SigError::Unsigned)?;
        let now = OffsetDateTime::now_utc();
        self.signer_at(NAMESPACE, Some(&approval.reviewer.email), &approval.signed_payload(), signature, now)
    }

    /// Whether `withdrawal`'s signature verifies for the person it names.
    pub fn check_withdrawal(&self, withdrawal: &Withdrawal) -> Result<(), SigError> {
        let signature = withdrawal.signature.as_deref().ok_or(SigError::Unsigned)?;
        let now = OffsetDateTime::now_utc();
        self.signer_at(NAMESPACE, Some(&withdrawal.by.email), &withdrawal.signed_payload(), signature, now).map(|_| ())
    }

    /// Whether `record`'s signature verifies for the person it names.
    pub fn check_override(&self, record: &Override) -> Result<(), SigError> {
        self.override_signer(record).map(|_| ())
    }

    /// The key that signed `record`, when its signature verifies for the
    /// person it names.
    pub fn override_signer(&self, record: &Override) -> Result<Signer, SigError> {
        let signature = record.signature.as_deref().ok_or(SigError::Unsigned)?;
        let now = OffsetDateTime::now_utc();
        self.signer_at(NAMESPACE, Some(&record.by.email), &record.signed_payload(), signature, now)
    }

    /// The `verified` closure for [`crate::signoff::Ledger::judge`]: the
    /// key of an approval whose signature verifies for the approval's
    /// `reviewer.email` over its signed payload.
    pub fn approval_verifier(&self) -> impl Fn(&Stored<Approval>) -> Option<Signer> + '_ {
        move |stored| self.approval_signer(&stored.record).ok()
    }

    /// Who signed commit `oid`: its SSH signature (git's `gpg.format=ssh`,
    /// namespace `git`) over the commit without its signature header, as
    /// `git verify-commit` checks it against `gpg.ssh.allowedSignersFile`,
    /// for whichever principal the file lists the key for, at the current
    /// time.
    pub fn commit_signer(&self, repo: &Repository, oid: git2::Oid) -> Result<Signer, CommitSigError> {
        let (signature, data) = match repo.extract_signature(&oid, None) {
            Ok(found) => found,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Err(CommitSigError::Unsigned),
            Err(e) => return Err(CommitSigError::Git(e.message().to_string())),
        };
        let signature = String::from_utf8_lossy(&signature).into_owned();
        if !signature.trim_start().starts_with(BEGIN) {
            let format = if signature.contains("BEGIN PGP SIGNATURE") { "OpenPGP" } else { "a format other than SSH" };
            return Err(CommitSigError::NotSsh { format });
        }
        self.signer_at(GIT_NAMESPACE, None, &data, &signature, OffsetDateTime::now_utc()).map_err(CommitSigError::Sig)
    }
}

/// Why a commit's signature does not say who made it. The messages complete
/// a sentence like "commit 1a2b3c ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitSigError {
    #[error("carries no signature")]
    Unsigned,
    #[error("is signed with {format}, which vouch cannot verify (sign commits with SSH: git config gpg.format ssh)")]
    NotSsh { format: &'static str },
    #[error("{0}")]
    Sig(SigError),
    #[error("cannot be read: {0}")]
    Git(String),
}

/// Verify `signature` over `payload` for `principal_email` against the
/// allowed-signers file `allowed_signers_text`.
pub fn verify(
    allowed_signers_text: &str,
    principal_email: &str,
    payload: &[u8],
    signature: &str,
) -> Result<(), SigError> {
    let signers = AllowedSigners::parse(allowed_signers_text, "allowed signers")
        .map_err(|e| SigError::AllowedSigners(e.to_string()))?;
    signers.verify(principal_email, payload, signature)
}

/// Why the allowed-signers file of a version could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadSignersError {
    #[error(transparent)]
    Read(#[from] LoadError),
    #[error(transparent)]
    Parse(#[from] SignersError),
}

/// The allowed-signers file that `policy` names, as `source` has it; an
/// absent file allows nobody (see [`AllowedSigners::present`]).
pub fn load_allowed_signers(
    repo: &Repository,
    policy: &Policy,
    source: &Source,
) -> Result<AllowedSigners, LoadSignersError> {
    let path = policy.allowed_signers();
    let file = source.name(path);
    match policy_file::read_text(repo, source, path)? {
        Some(text) => Ok(AllowedSigners::parse(&text, &file)?),
        None => Ok(AllowedSigners::absent(&file)),
    }
}

/// A `verified` closure for [`crate::signoff::Ledger::judge`] that owns its
/// allowed signers.
pub type ApprovalVerifier = Box<dyn Fn(&Stored<Approval>) -> Option<Signer> + Send + Sync>;

/// The `verified` closure for [`crate::signoff::Ledger::judge`] from the
/// allowed-signers file of `source` (the worktree, the index, a commit)
/// that `policy` names.
pub fn approval_verifier_at(
    repo: &Repository,
    policy: &Policy,
    source: &Source,
) -> Result<ApprovalVerifier, LoadSignersError> {
    let signers = load_allowed_signers(repo, policy, source)?;
    Ok(Box::new(move |stored: &Stored<Approval>| signers.approval_signer(&stored.record).ok()))
}

/// The first whitespace-separated token of `s` (double quotes group), and
/// the rest.
fn next_token(s: &str) -> Result<(String, &str), String> {
    let mut in_quotes = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            c if c.is_whitespace() && !in_quotes => return Ok((s[..i].to_string(), &s[i..])),
            _ => {}
        }
    }
    if in_quotes {
        return Err("unterminated quote".into());
    }
    Ok((s.to_string(), ""))
}

fn is_key_type(s: &str) -> bool {
    ["ssh-", "ecdsa-", "sk-"].iter().any(|p| s.starts_with(p))
}

/// Split `a,b="x,y",c` on commas outside quotes.
fn split_options(s: &str) -> Result<Vec<String>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in s.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                current.push(c);
            }
            ',' if !in_quotes => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if in_quotes {
        return Err("unterminated quote in the options".into());
    }
    out.push(current);
    if out.iter().any(String::is_empty) {
        return Err("empty option".into());
    }
    Ok(out)
}

fn unquote(s: &str) -> String {
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s).to_string()
}

/// `YYYYMMDD[HHMM[SS]][Z]`, as ssh-keygen reads validity times.
fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    let bad = || format!("invalid time \"{s}\" (expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS)");
    let digits = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|d| d.parse::<u32>().ok()).unwrap_or(0);
    let year = i32::try_from(num(0..4)).map_err(|_| bad())?;
    let month = Month::try_from(u8::try_from(num(4..6)).map_err(|_| bad())?).map_err(|_| bad())?;
    let day = u8::try_from(num(6..8)).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    let (h, m, sec) = (num(8..10), num(10..12), num(12..14));
    let time = Time::from_hms(
        u8::try_from(h).map_err(|_| bad())?,
        u8::try_from(m).map_err(|_| bad())?,
        u8::try_from(sec).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

fn show_time(t: OffsetDateTime) -> String {
    crate::store::records::format_time(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A fresh ed25519 key pair in `dir`, named `name`; the public key line.
    fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
        let path = dir.join(name);
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .status()
            .expect("ssh-keygen runs");
        assert!(status.success());
        let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        (path, public.trim().to_string())
    }

    fn key_only(public: &str) -> String {
        public.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    }

    fn sign_file(key: &Path, payload: &[u8]) -> String {
        let config = SigningConfig { key: key.display().to_string(), program: "ssh-keygen".into() };
        sign_with(&config, payload).unwrap()
    }

    #[test]
    fn a_signature_verifies_for_its_principal_only() {
        let dir = tempfile::tempdir().unwrap();
        let (alice_key, alice_pub) = keygen(dir.path(), "alice");
        let (bob_key, bob_pub) = keygen(dir.path(), "bob");
        let (_, carol_pub) = keygen(dir.path(), "carol");
        let file = format!(
            "# team\nalice@x.org {}\nbob@x.org namespaces=\"git,vouch\" {}\n\"carol@x.org,dave@x.org\" {}\n",
            key_only(&alice_pub),
            key_only(&bob_pub),
            key_only(&carol_pub)
        );
        let signers = AllowedSigners::parse(&file, "allowed_signers").unwrap();
        let payload = b"{\"decision\":\"approve\"}";
        let by_alice = sign_file(&alice_key, payload);
        assert!(by_alice.starts_with(BEGIN) && by_alice.ends_with(&format!("{END}\n")));
        assert_eq!(signers.verify("alice@x.org", payload, &by_alice), Ok(()));
        assert_eq!(signers.verify("Alice@X.org", payload, &by_alice), Ok(()));
        assert_eq!(signers.verify("alice@x.org", b"other", &by_alice), Err(SigError::Invalid));
        let key = |e: Result<(), SigError>| match e {
            Err(SigError::KeyOfAnother { listed_for, principal, .. }) => (principal, listed_for),
            other => panic!("unexpected {other:?}"),
        };
        // Bob's key under Alice's name.
        let by_bob = sign_file(&bob_key, payload);
        assert_eq!(
            key(signers.verify("alice@x.org", payload, &by_bob)),
            ("alice@x.org".into(), vec!["bob@x.org".into()])
        );
        assert_eq!(signers.verify("bob@x.org", payload, &by_bob), Ok(()));
        // Alice's key for someone the file does not name.
        assert_eq!(
            key(signers.verify("eve@x.org", payload, &by_alice)),
            ("eve@x.org".into(), vec!["alice@x.org".into()])
        );
        assert!(signers.lists("dave@x.org"));
        assert!(!signers.lists("eve@x.org"));
    }

    #[test]
    fn unknown_keys_namespaces_and_garbage_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (alice_key, alice_pub) = keygen(dir.path(), "alice");
        let (stranger_key, _) = keygen(dir.path(), "stranger");
        let payload = b"payload";
        let file = format!("alice@x.org {}\n", key_only(&alice_pub));
        let signers = AllowedSigners::parse(&file, "f").unwrap();
        match signers.verify("alice@x.org", payload, &sign_file(&stranger_key, payload)) {
            Err(SigError::KeyNotListed { principal, .. }) => assert_eq!(principal, "alice@x.org"),
            other => panic!("unexpected {other:?}"),
        }
        match signers.verify("eve@x.org", payload, &sign_file(&stranger_key, payload)) {
            Err(SigError::NoKeyFor { principal, file }) => {
                assert_eq!((principal.as_str(), file.as_str()), ("eve@x.org", "f"))
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(signers.verify("alice@x.org", payload, "junk"), Err(SigError::Malformed(_))));

        // A signature made for git commits does not count for vouch.
        let output = Command::new("ssh-keygen")
            .args(["-Y", "sign", "-n", "git", "-f"])
            .arg(&alice_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(payload)?;
                c.wait_with_output()
            })
            .unwrap();
        let git_sig = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            signers.verify("alice@x.org", payload, &git_sig),
            Err(SigError::Namespace { found: "git".into(), expected: NAMESPACE })
        );

        // A line that allows the key only for git.
        let git_only =
            AllowedSigners::parse(&format!("alice@x.org namespaces=\"git\" {}\n", key_only(&alice_pub)), "f").unwrap();
        let sig = sign_file(&alice_key, payload);
        assert_eq!(
            git_only.verify("alice@x.org", payload, &sig),
            Err(SigError::NamespaceNotAllowed { file: "f".into(), line: 1, namespace: NAMESPACE })
        );

        // Validity windows.
        let expired =
            AllowedSigners::parse(&format!("alice@x.org valid-before=\"20200101\" {}\n", key_only(&alice_pub)), "f")
                .unwrap();
        assert!(matches!(expired.verify("alice@x.org", payload, &sig), Err(SigError::OutsideValidity { line: 1, .. })));
        let fine =
            AllowedSigners::parse(&format!("alice@x.org valid-after=\"20200101Z\" {}\n", key_only(&alice_pub)), "f")
                .unwrap();
        assert_eq!(fine.verify("alice@x.org", payload, &sig), Ok(()));
    }

    #[test]
    fn parse_errors_name_the_line_and_wildcards_grant_nothing() {
        let err = AllowedSigners::parse("# c\n\nalice@x.org ssh-ed25519 AAAAnotakey\n", "sig").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("sig", 3));
        let err = AllowedSigners::parse("alice@x.org\n", "sig").unwrap_err();
        assert_eq!(err.to_string(), "sig:1: no public key after the principals");
        let err = AllowedSigners::parse("alice@x.org frobnicate ssh-ed25519 AAAA\n", "sig").unwrap_err();
        assert_eq!(err.to_string(), "sig:1: unsupported option `frobnicate`");

        let dir = tempfile::tempdir().unwrap();
        let (_, public) = keygen(dir.path(), "k");
        let text = format!("*@x.org {k}\nca@x.org cert-authority {k}\n", k = key_only(&public));
        let signers = AllowedSigners::parse(&text, "sig").unwrap();
        assert!(!signers.lists("alice@x.org") && !signers.lists("ca@x.org"));
        assert_eq!(signers.warnings.len(), 2);
    }

    #[test]
    fn validity_times_parse_as_ssh_keygen_writes_them() {
        assert_eq!(show_time(parse_time("20240102").unwrap()), "2024-01-02T00:00:00.000Z");
        assert_eq!(show_time(parse_time("202401021530Z").unwrap()), "2024-01-02T15:30:00.000Z");
        assert_eq!(show_time(parse_time("20240102153045").unwrap()), "2024-01-02T15:30:45.000Z");
        assert!(parse_time("2024").is_err());
        assert!(parse_time("20241302").is_err());
    }

    #[test]
    fn signing_needs_an_ssh_key_configured() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        assert_eq!(sign(&repo, b"x").unwrap(), None);
        let mut config = repo.config().unwrap();
        config.set_str("user.signingkey", "ABCDEF12").unwrap();
        assert!(matches!(sign(&repo, b"x"), Err(SignError::NotSsh(_))));
        let (key, public) = keygen(dir.path(), "me");
        config.set_str("gpg.format", "ssh").unwrap();
        config.set_str("user.signingkey", &key.with_extension("pub").display().to_string()).unwrap();
        let sig = sign(&repo, b"payload").unwrap().unwrap();
        let file = format!("me@x.org {}\n", key_only(&public));
        assert_eq!(verify(&file, "me@x.org", b"payload", &sig), Ok(()));
        config.set_str("user.signingkey", &dir.path().join("missing").display().to_string()).unwrap();
        assert!(matches!(sign(&repo, b"payload"), Err(SignError::Failed { .. })));
    }
}
