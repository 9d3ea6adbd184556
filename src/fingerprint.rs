//! The fingerprints that bind an approval to the exact content it approved.
//!
//! Units, version 2: `SHA-256("vouch-fp/2\0" ‖ language ‖ "\0" ‖ kind ‖ "\0"
//! ‖ bytes)` as lowercase hex, where `bytes` are the unit's exact bytes as
//! git stores them in the blob (after git's own end-of-line conversion, where
//! the repository configures one). Nothing is normalized: a CR, a trailing
//! space or a tab can change what code does, so each changes the
//! fingerprint. The path is not hashed, so a rename keeps approvals; the
//! policy is checked against the current path instead.
//!
//! A blob that is not UTF-8 is one unit of language [`TEXT`] and kind
//! [`FILE`] over its raw bytes; a submodule (gitlink) change is language
//! [`GIT`], kind [`SUBMODULE`] over the 40-hex commit id.
//!
//! Trust files (the policy, the allowed signers, CODEOWNERS, the policy's
//! `trust_files`) have their own fingerprint ([`trust_fingerprint`]), which
//! binds the path and tells deletion from emptying, so no unit of code and
//! no other trust file can share it.
//!
//! A file an AI deleted whole has its own as well ([`deleted_fingerprint`]):
//! the path and the bytes deleted (BASE's version), so that an approval of
//! one deletion covers deleting exactly that text there, never what is
//! written at that path later.
//!
//! Test vectors: `tests/fixtures/fingerprints.json`. Version-1 fingerprints
//! (normalized text) no longer count; records name the version they use.

use sha2::{Digest, Sha256};

/// The unit fingerprint version this build computes. Records name the
/// version of the fingerprint they carry; only this one counts.
pub const VERSION: u32 = 2;

/// Prefix that versions the unit scheme: a change to it invalidates every
/// approval, so it changes only with a new version number.
const DOMAIN: &[u8] = b"vouch-fp/2\0";

/// Prefix of the trust-file scheme.
const TRUST_DOMAIN: &[u8] = b"vouch-trust/1\0";

/// The language of a blob that is not UTF-8.
pub const TEXT: &str = "text";
/// The kind of the one unit of a blob that is not UTF-8.
pub const FILE: &str = "file";
/// The language of a submodule change.
pub const GIT: &str = "git";
/// The kind of a submodule (gitlink) change; its bytes are the 40-hex id.
pub const SUBMODULE: &str = "submodule";

/// The fingerprint of a unit of `kind` (e.g. "function") written in
/// `language` (e.g. "rust") whose exact bytes are `bytes`.
pub fn fingerprint(language: &str, kind: &str, bytes: &[u8]) -> String {
    hash_fields(DOMAIN, &[language.as_bytes(), kind.as_bytes()], bytes)
}

/// SHA-256 of `domain`, then each of `fields` and a NUL, then `bytes`, as
/// lowercase hex: the shape of every fingerprint scheme.
fn hash_fields(domain: &[u8], fields: &[&[u8]], bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    for field in fields {
        hasher.update(field);
        hasher.update(b"\0");
    }
    hasher.update(bytes);
    hex(&hasher.finalize())
}

/// The fingerprint of the one unit of a blob that is not UTF-8.
pub fn file_fingerprint(bytes: &[u8]) -> String {
    fingerprint(TEXT, FILE, bytes)
}

/// The fingerprint of a submodule at commit `commit` (40 hex digits).
pub fn submodule_fingerprint(commit: &str) -> String {
    fingerprint(GIT, SUBMODULE, commit.as_bytes())
}

/// The language name a request gives the change to a trust file: its
/// fingerprint is [`trust_fingerprint`] of the unit's path and bytes.
pub const TRUST: &str = "trust";
/// The kind of a trust-file unit whose file exists (its bytes are the text).
pub const TRUST_PRESENT: &str = "present";
/// The kind of a trust-file unit whose file is deleted (its text is empty).
pub const TRUST_ABSENT: &str = "absent";

/// The fingerprint of the state of trust file `path`: its exact bytes, or
/// `None` when it is deleted (which differs from an empty file).
pub fn trust_fingerprint(path: &str, content: Option<&[u8]>) -> String {
    match content {
        None => hash_fields(TRUST_DOMAIN, &[path.as_bytes()], b"absent"),
        Some(bytes) => hash_fields(TRUST_DOMAIN, &[path.as_bytes(), b"present"], bytes),
    }
}

/// The language name a request gives the deletion of a file an AI deleted
/// whole: its fingerprint is [`deleted_fingerprint`] of the path, the kind
/// and the text (the bytes deleted).
pub const DELETED: &str = "deleted";
/// The kind of a deleted file, symbolic link included (its bytes are the
/// blob's).
pub const DELETED_BLOB: &str = "file";
/// The kind of a deleted submodule (its bytes are the 40-hex commit id).
pub const DELETED_SUBMODULE: &str = "submodule";

/// Prefix of the deleted-file scheme.
const DELETED_DOMAIN: &[u8] = b"vouch-deleted/1\0";

/// The fingerprint of the deletion of `path`, whose version deleted was of
/// `kind` ([`DELETED_BLOB`] or [`DELETED_SUBMODULE`]) with `bytes`:
/// SHA-256 of "vouch-deleted/1" NUL path NUL kind NUL bytes. Bound to what
/// was deleted, not only to the path's absence: an approval of deleting
/// one text does not cover deleting another written there since.
pub fn deleted_fingerprint(path: &str, kind: &str, bytes: &[u8]) -> String {
    hash_fields(DELETED_DOMAIN, &[path.as_bytes(), kind.as_bytes()], bytes)
}

/// The language name a request gives an AI's change of a file's executable
/// bit: its kind is the new mode (`100755`, `100644`), its text the file's
/// bytes, and its fingerprint [`mode_fingerprint`] of the three.
pub const MODE: &str = "mode";

/// Whether a requested unit of `language` is a whole file rather than a
/// unit of code: a trust file's change, a file's deletion or a change of
/// its mode, which no buffer holds as a unit.
pub fn is_whole_file(language: &str) -> bool {
    matches!(language, TRUST | DELETED | MODE)
}

/// Prefix of the mode scheme.
const MODE_DOMAIN: &[u8] = b"vouch-mode/1\0";

/// The fingerprint of `path` holding `bytes` under `mode` (git's octal
/// mode: `100755` or `100644`) after an AI changed its executable bit:
/// SHA-256 of "vouch-mode/1" NUL path NUL mode NUL bytes. Bound to the
/// text as well as the mode: an approval of making one script executable
/// does not cover another written there since.
pub fn mode_fingerprint(path: &str, mode: &str, bytes: &[u8]) -> String {
    hash_fields(MODE_DOMAIN, &[path.as_bytes(), mode.as_bytes()], bytes)
}

/// The fingerprint a requested unit's `bytes` have at `path` under its
/// `language` and `kind`: a trust file's ([`TRUST`]: [`trust_fingerprint`],
/// [`TRUST_ABSENT`] for a deleted one), a deleted file's ([`DELETED`]:
/// [`deleted_fingerprint`]), a file's change of mode ([`MODE`]:
/// [`mode_fingerprint`]), else a unit's ([`fingerprint`]).
pub fn requested_fingerprint(path: &str, language: &str, kind: &str, bytes: &[u8]) -> String {
    match language {
        TRUST => trust_fingerprint(path, (kind != TRUST_ABSENT).then_some(bytes)),
        DELETED => deleted_fingerprint(path, kind, bytes),
        MODE => mode_fingerprint(path, kind, bytes),
        _ => fingerprint(language, kind, bytes),
    }
}

/// SHA-256 of `bytes` as lowercase hex: the content hash vouch uses for AI
/// text and records.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The bytes of a lowercase or uppercase hexadecimal string; `None` when it
/// is not one.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.as_bytes().chunks(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vectors {
        vectors: Vec<Vector>,
        trust_vectors: Vec<TrustVector>,
    }

    #[derive(serde::Deserialize)]
    struct Vector {
        language: String,
        kind: String,
        text: Option<String>,
        text_hex: Option<String>,
        fingerprint: String,
    }

    #[derive(serde::Deserialize)]
    struct TrustVector {
        path: String,
        content: Option<String>,
        fingerprint: String,
    }

    fn vectors() -> Vectors {
        serde_json::from_str(include_str!("../tests/fixtures/fingerprints.json")).unwrap()
    }

    #[test]
    fn published_unit_vectors() {
        let vectors = vectors().vectors;
        assert!(vectors.len() >= 16);
        assert!(vectors.iter().any(|v| v.text_hex.is_some()), "the bytes path is exercised");
        for v in vectors {
            let bytes = match (&v.text, &v.text_hex) {
                (Some(text), None) => text.as_bytes().to_vec(),
                (None, Some(hex)) => unhex(hex).unwrap(),
                _ => panic!("a vector has text or text_hex: {:?}", v.fingerprint),
            };
            assert_eq!(fingerprint(&v.language, &v.kind, &bytes), v.fingerprint, "{:?}", v.text);
            if v.kind == FILE {
                assert_eq!(file_fingerprint(&bytes), v.fingerprint);
            }
            if v.kind == SUBMODULE {
                assert_eq!(submodule_fingerprint(v.text.as_deref().unwrap()), v.fingerprint);
            }
        }
    }

    #[test]
    fn published_trust_vectors() {
        for v in vectors().trust_vectors {
            let got = trust_fingerprint(&v.path, v.content.as_deref().map(str::as_bytes));
            assert_eq!(got, v.fingerprint, "{} {:?}", v.path, v.content);
        }
    }

    #[test]
    fn every_byte_counts() {
        let f = fingerprint("rust", "function", b"fn f() {}\n");
        assert_ne!(f, fingerprint("rust", "function", b"fn f() {} \n"));
        assert_ne!(f, fingerprint("rust", "function", b"fn f() {}\r\n"));
        assert_ne!(f, fingerprint("rust", "function", b"fn f() {}\r"));
        assert_ne!(f, fingerprint("rust", "function", b"fn f() {}\t\n"));
        assert_ne!(f, fingerprint("rust", "method", b"fn f() {}\n"));
        assert_ne!(f, fingerprint("go", "function", b"fn f() {}\n"));
        assert_eq!(f.len(), 64);
    }

    #[test]
    fn trust_fingerprints_bind_the_path_and_tell_deleting_from_emptying() {
        let deleted = trust_fingerprint(".vouch.toml", None);
        assert_ne!(deleted, trust_fingerprint(".vouch.toml", Some(b"")));
        assert_ne!(deleted, trust_fingerprint("CODEOWNERS", None));
        let text = b"reviewers = []\n";
        assert_ne!(trust_fingerprint(".vouch.toml", Some(text)), trust_fingerprint("docs/x.toml", Some(text)));
        assert_ne!(trust_fingerprint(".vouch.toml", Some(text)), fingerprint(TEXT, "lines", text));
    }

    #[test]
    fn deleted_fingerprints_bind_the_path_the_kind_and_the_bytes_deleted() {
        // Vectors computed apart from this code (Python's hashlib).
        let test = b"#[test]\nfn t() {}\n";
        let deleted = deleted_fingerprint("tests/auth_test.rs", DELETED_BLOB, test);
        assert_eq!(deleted, "e707262a1f6f1d2f220d513b008c1825d514612bdce0d90616085bc005adc6a4");
        assert_eq!(
            deleted_fingerprint("tests/auth_test.rs", DELETED_BLOB, b""),
            "2230b389852a6a262c295195d4f483c8219e4060ddef4f50f589e76eb0871efe"
        );
        let commit = b"0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            deleted_fingerprint("vendor/lib", DELETED_SUBMODULE, commit),
            "df0c15c487d4df3fce6d39aaa7178a67ed8b18b6fedb4bfbc6e7206e06852cac"
        );
        assert_ne!(deleted, deleted_fingerprint("tests/other_test.rs", DELETED_BLOB, test));
        assert_ne!(deleted, deleted_fingerprint("tests/auth_test.rs", DELETED_BLOB, b"#[test]\nfn u() {}\n"));
        assert_ne!(deleted, trust_fingerprint("tests/auth_test.rs", None));
        assert_ne!(deleted, fingerprint(TEXT, FILE, test));
    }

    #[test]
    fn mode_fingerprints_bind_the_path_the_mode_and_the_bytes() {
        // Vectors computed apart from this code (Python's hashlib).
        let script = b"#!/bin/sh\necho hi\n";
        let executable = mode_fingerprint("scripts/deploy.sh", "100755", script);
        assert_eq!(executable, "224298a15ad096156be0a631625b725e27155b837afff510c21b38bb83a8cfd7");
        assert_eq!(
            mode_fingerprint("scripts/deploy.sh", "100644", script),
            "c432104c66aaea594c20e57dc5489216531f77101bf935642f81842aff17c6a2"
        );
        assert_eq!(
            mode_fingerprint("scripts/deploy.sh", "100755", b""),
            "2de2682495f37ab56c6874348ea5f33e82ae31234987096f9aa9c58d40669ca5"
        );
        assert_ne!(executable, mode_fingerprint("scripts/other.sh", "100755", script));
        assert_ne!(executable, deleted_fingerprint("scripts/deploy.sh", "100755", script));
        assert_ne!(executable, fingerprint(TEXT, FILE, script));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(unhex(&hex(&[0, 1, 0xab, 0xff])).unwrap(), vec![0, 1, 0xab, 0xff]);
        assert_eq!(unhex("AbCd").unwrap(), vec![0xab, 0xcd]);
        assert!(unhex("abc").is_none());
        assert!(unhex("zz").is_none());
    }
}
