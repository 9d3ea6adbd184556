//! The fingerprint that binds an approval to the exact text it approved.
//!
//! `SHA-256("vouch-fp/1\0" ‖ language ‖ "\0" ‖ kind ‖ "\0" ‖ normalized text)`
//! as lowercase hex, where the normalized text has LF line endings (CRLF and
//! lone CR become LF) and no spaces or tabs at the end of any line. The path
//! is not hashed, so a rename keeps approvals; the policy is checked against
//! the current path instead. Test vectors: `tests/fixtures/fingerprints.json`.

use sha2::{Digest, Sha256};

/// Prefix that versions the scheme: a change to it invalidates every
/// approval, so it changes only with a new version number.
const DOMAIN: &[u8] = b"vouch-fp/1\0";

/// The fingerprint of a unit of `kind` (e.g. "function") written in
/// `language` (e.g. "rust") whose text is `text`.
pub fn fingerprint(language: &str, kind: &str, text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(language.as_bytes());
    hasher.update(b"\0");
    hasher.update(kind.as_bytes());
    hasher.update(b"\0");
    hasher.update(normalize(text).as_bytes());
    hex(&hasher.finalize())
}

/// The text as it is hashed: LF line endings, trailing spaces and tabs
/// removed from every line; nothing else changes.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let (line, ending, tail) = match rest.find(['\r', '\n']) {
            Some(i) => {
                let crlf = rest.as_bytes()[i] == b'\r' && rest.as_bytes().get(i + 1) == Some(&b'\n');
                let next = i + if crlf { 2 } else { 1 };
                (&rest[..i], true, &rest[next..])
            }
            None => (rest, false, ""),
        };
        out.push_str(line.trim_end_matches([' ', '\t']));
        if !ending {
            return out;
        }
        out.push('\n');
        rest = tail;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vectors {
        vectors: Vec<Vector>,
    }

    #[derive(serde::Deserialize)]
    struct Vector {
        language: String,
        kind: String,
        text: String,
        normalized: String,
        fingerprint: String,
    }

    #[test]
    fn published_test_vectors() {
        let json = include_str!("../tests/fixtures/fingerprints.json");
        let vectors: Vectors = serde_json::from_str(json).unwrap();
        assert!(vectors.vectors.len() >= 8);
        for v in vectors.vectors {
            assert_eq!(normalize(&v.text), v.normalized, "{:?}", v.text);
            assert_eq!(fingerprint(&v.language, &v.kind, &v.text), v.fingerprint, "{:?}", v.text);
        }
    }

    #[test]
    fn normalization_keeps_what_matters() {
        assert_eq!(normalize("a \t\r\n\r\n  b\r"), "a\n\n  b\n");
        assert_eq!(normalize("x\r\r\ny"), "x\n\ny");
        assert_eq!(normalize(" lead"), " lead");
        assert_eq!(normalize("in  ner "), "in  ner");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn language_and_kind_are_bound() {
        let f = fingerprint("rust", "function", "fn f() {}");
        assert_ne!(f, fingerprint("rust", "method", "fn f() {}"));
        assert_ne!(f, fingerprint("go", "function", "fn f() {}"));
        assert_ne!(f, fingerprint("rust", "function", "fn g() {}"));
        assert_eq!(f.len(), 64);
    }
}
