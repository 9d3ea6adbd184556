//! What git's attributes (`.gitattributes`, `info/attributes`) and
//! configuration (`core.autocrlf`) say about how a path's line endings
//! convert on the way into the repository, and a working-tree file's bytes
//! as `git add` would store them. The conversion itself is [`crate::eol`]'s.
//!
//! Everything that fingerprints text it did not read from a blob (the
//! working tree, an editor's buffer) goes through here, so that a Windows
//! checkout with `core.autocrlf` gives the fingerprints `vouch verify`
//! computes from the blob.

use std::borrow::Cow;
use std::path::Path;

use git2::{AttrCheckFlags, AttrValue, Repository};

use crate::eol::{self, Attr, AutoCrlf, Conversion, Rule};

/// The rule for `path` (relative to the root, forward slashes). Attributes
/// are read as `git add` reads them: the working tree's `.gitattributes`
/// first, then the index's. What cannot be read counts as unset.
pub fn eol_rule(repo: &Repository, path: &str) -> Rule {
    let attr = |name: &str| match repo.get_attr_bytes(Path::new(path), name, AttrCheckFlags::FILE_THEN_INDEX) {
        Ok(value) => AttrValue::from_bytes(value),
        Err(_) => AttrValue::Unspecified,
    };
    fn convert(value: AttrValue<'_>) -> Attr<'_> {
        match value {
            AttrValue::True => Attr::Set,
            AttrValue::False => Attr::Unset,
            AttrValue::String(s) => Attr::Value(s),
            AttrValue::Bytes(_) | AttrValue::Unspecified => Attr::Unspecified,
        }
    }
    let (text, crlf, eol_attr) = (attr("text"), attr("crlf"), attr("eol"));
    let autocrlf =
        repo.config().and_then(|c| c.get_string("core.autocrlf")).map_or(AutoCrlf::False, |v| AutoCrlf::parse(&v));
    eol::rule(convert(text), convert(crlf), convert(eol_attr), autocrlf)
}

/// Whether the index's version of `path` is text holding CRLF (then git's
/// automatic conversion leaves the file alone).
pub fn index_has_crlf(repo: &Repository, path: &str) -> bool {
    let Ok(index) = crate::store::repo::current_index(repo) else { return false };
    let Some(entry) = index.get_path(Path::new(path), 0) else { return false };
    repo.find_blob(entry.id).is_ok_and(|blob| eol::has_crlf_text(blob.content()))
}

/// The conversion git applies to `content`, the working-tree bytes of
/// `path`, on the way in. Only a CRLF ever converts: bytes without one are
/// stored as they are whatever the attributes say, so they are not read
/// then (reading them loads the whole index, which an agent hook on a
/// large repository would otherwise pay on every edit).
pub fn conversion(repo: &Repository, path: &str, content: &[u8]) -> Conversion {
    if !has_crlf(content) {
        return Conversion::None;
    }
    eol::conversion(eol_rule(repo, path), content, || index_has_crlf(repo, path))
}

/// Whether `bytes` hold a CRLF. (Not `memchr::memmem`: its first search
/// asks the processor what it supports, which costs a short-lived process
/// like an agent hook more than the search, in a virtual machine.)
fn has_crlf(bytes: &[u8]) -> bool {
    bytes.contains(&b'\r') && bytes.windows(2).any(|w| w == b"\r\n")
}

/// `content`, the working-tree bytes of `path`, as git would store them.
pub fn to_blob<'a>(repo: &Repository, path: &str, content: &'a [u8]) -> Cow<'a, [u8]> {
    eol::apply(conversion(repo, path, content), content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::tests::git;

    #[test]
    fn the_working_tree_as_git_stores_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        let repo = Repository::open(root).unwrap();
        let crlf = b"fn a() {\r\n}\r\n";
        assert_eq!(to_blob(&repo, "a.rs", crlf).as_ref(), crlf);
        git(root, &["config", "core.autocrlf", "true"]);
        assert_eq!(to_blob(&repo, "a.rs", crlf).as_ref(), b"fn a() {\n}\n");
        std::fs::write(root.join(".gitattributes"), "*.bin -text\n* text=auto eol=crlf\n*.bin -text\n").unwrap();
        git(root, &["config", "core.autocrlf", "false"]);
        assert_eq!(eol_rule(&repo, "a.rs"), Rule::Auto);
        assert_eq!(to_blob(&repo, "a.rs", crlf).as_ref(), b"fn a() {\n}\n");
        assert_eq!(to_blob(&repo, "x.bin", crlf).as_ref(), crlf);
        // What git itself stored agrees.
        std::fs::write(root.join("a.rs"), crlf).unwrap();
        git(root, &["add", "a.rs"]);
        let stored = std::process::Command::new("git")
            .args(["cat-file", "-p", ":a.rs"])
            .current_dir(root)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap()
            .stdout;
        assert_eq!(stored, to_blob(&repo, "a.rs", crlf).as_ref());
    }

    #[test]
    fn bytes_without_a_crlf_convert_to_themselves_under_every_rule() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        let repo = Repository::open(root).unwrap();
        std::fs::write(root.join(".gitattributes"), "*.rs text eol=crlf\n*.txt text=auto\n").unwrap();
        git(root, &["config", "core.autocrlf", "true"]);
        for (path, bytes) in
            [("a.rs", &b"fn a() {\n}\n"[..]), ("b.txt", b"one\rtwo\n"), ("c.bin", b"\0\r\n"[..2].as_ref())]
        {
            assert_eq!(eol::conversion(eol_rule(&repo, path), bytes, || false), Conversion::None, "{path}");
            assert_eq!(conversion(&repo, path, bytes), Conversion::None, "{path}");
            assert_eq!(to_blob(&repo, path, bytes).as_ref(), bytes, "{path}");
        }
        // With a CRLF, the attributes decide.
        assert_eq!(conversion(&repo, "a.rs", b"fn a() {\r\n}\r\n"), Conversion::CrlfToLf);
    }
}
