//! Git's end-of-line conversion on the way into the repository (what `git
//! add` does to a working-tree file), as pure functions: fingerprints bind
//! the bytes git stores, so whatever reads a file from the working tree or
//! an editor's buffer converts it first, as git would.
//!
//! This follows git's `convert.c` (`convert_attrs`, `crlf_to_git`): the
//! `text` attribute (or the older `crlf`), the `eol` attribute, and
//! `core.autocrlf` decide an action; an explicit text file has every CRLF
//! turned into LF (a lone CR stays); an automatic one is converted only when
//! git would call its content text (no NUL, no lone CR, few control
//! characters) and the index's version of it holds no CRLF (git's "safer
//! autocrlf"). What git reads from elsewhere ([`Rule`] and `index_has_crlf`)
//! the shell supplies (`store::attributes`).
//!
//! Not covered: clean filters (`filter=`), `ident` and
//! `working-tree-encoding`; a file using them has another fingerprint in an
//! editor or the working tree than in git, so it shows as unapproved until
//! the gate and `vouch verify`, which read the blob, decide.

use std::borrow::Cow;

/// What git's settings for one path say about its line endings on the way
/// in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No conversion: `-text`, or nothing set and `core.autocrlf` false.
    Keep,
    /// A text file (`text`, `text=input`, `eol=...`): every CRLF becomes LF.
    Text,
    /// Text if git's guess says so (`text=auto`, or `core.autocrlf` true or
    /// input with no attribute).
    Auto,
}

/// The value of a `text` or `crlf` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr<'a> {
    Unspecified,
    Set,
    Unset,
    Value(&'a str),
}

/// `core.autocrlf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoCrlf {
    #[default]
    False,
    True,
    Input,
}

impl AutoCrlf {
    /// As git reads the config value (`input`, or a boolean).
    pub fn parse(value: &str) -> AutoCrlf {
        match value.trim().to_ascii_lowercase().as_str() {
            "input" => AutoCrlf::Input,
            "true" | "yes" | "on" | "1" => AutoCrlf::True,
            _ => AutoCrlf::False,
        }
    }
}

/// The rule for a path from its `text`, `crlf` and `eol` attributes and
/// `core.autocrlf`, as git's `convert_attrs` decides it for `git add`.
pub fn rule(text: Attr<'_>, crlf: Attr<'_>, eol: Attr<'_>, autocrlf: AutoCrlf) -> Rule {
    let of = |attr: Attr<'_>| match attr {
        Attr::Set => Some(Rule::Text),
        Attr::Unset => Some(Rule::Keep),
        Attr::Value("input") => Some(Rule::Text),
        Attr::Value("auto") => Some(Rule::Auto),
        Attr::Value(_) | Attr::Unspecified => None,
    };
    let action = of(text).or_else(|| of(crlf));
    // `eol=lf` or `eol=crlf` makes a file text, unless it is `-text`.
    let eol_set = matches!(eol, Attr::Value("lf") | Attr::Value("crlf"));
    match action {
        Some(Rule::Keep) => Rule::Keep,
        Some(Rule::Auto) => Rule::Auto,
        Some(Rule::Text) => Rule::Text,
        None if eol_set => Rule::Text,
        None => match autocrlf {
            AutoCrlf::False => Rule::Keep,
            AutoCrlf::True | AutoCrlf::Input => Rule::Auto,
        },
    }
}

/// What git counts in content to guess whether it is text.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Stats {
    crlf: usize,
    lone_cr: usize,
    nul: usize,
    printable: usize,
    nonprintable: usize,
}

fn stats(bytes: &[u8]) -> Stats {
    let mut s = Stats::default();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                s.crlf += 1;
                i += 1;
            }
            b'\r' => s.lone_cr += 1,
            b'\n' => {}
            127 => s.nonprintable += 1,
            // BS, HT, ESC and FF are printable to git.
            8 | 9 | 27 | 12 => s.printable += 1,
            0 => {
                s.nul += 1;
                s.nonprintable += 1;
            }
            c if c < 32 => s.nonprintable += 1,
            _ => s.printable += 1,
        }
        i += 1;
    }
    // A final ^Z (DOS end of file) is not counted against the content.
    if bytes.last() == Some(&0x1a) {
        s.nonprintable = s.nonprintable.saturating_sub(1);
    }
    s
}

/// Git's guess that content is not text.
fn looks_binary(s: &Stats) -> bool {
    s.lone_cr > 0 || s.nul > 0 || (s.printable >> 7) < s.nonprintable
}

/// Whether `bytes` (a blob, e.g. the index's version of a file) is text
/// holding CRLF: then git's automatic conversion leaves the file alone.
pub fn has_crlf_text(bytes: &[u8]) -> bool {
    let s = stats(bytes);
    s.crlf > 0 && !looks_binary(&s)
}

/// What git does to a file's line endings on the way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// The bytes go in as they are.
    None,
    /// Every CRLF becomes LF (a lone CR stays).
    CrlfToLf,
}

/// The conversion git applies under `rule` to `content`; `index_has_crlf`:
/// the index's version of the path is text holding CRLF ([`has_crlf_text`]).
pub fn conversion(rule: Rule, content: &[u8], index_has_crlf: impl FnOnce() -> bool) -> Conversion {
    if rule == Rule::Keep || !content.windows(2).any(|w| w == b"\r\n") {
        return Conversion::None;
    }
    if rule == Rule::Auto && (looks_binary(&stats(content)) || index_has_crlf()) {
        return Conversion::None;
    }
    Conversion::CrlfToLf
}

/// `bytes` as git stores them after `conversion`. Applied to a part of a
/// file (a unit), it gives that part of the converted file, as long as the
/// part does not split a CRLF.
pub fn apply(conversion: Conversion, bytes: &[u8]) -> Cow<'_, [u8]> {
    match conversion {
        Conversion::None => Cow::Borrowed(bytes),
        Conversion::CrlfToLf => {
            if !bytes.windows(2).any(|w| w == b"\r\n") {
                return Cow::Borrowed(bytes);
            }
            let mut out = Vec::with_capacity(bytes.len());
            for (i, &b) in bytes.iter().enumerate() {
                if !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
                    out.push(b);
                }
            }
            Cow::Owned(out)
        }
    }
}

/// `content` as git would store it under `rule`.
pub fn to_blob(rule: Rule, content: &[u8], index_has_crlf: impl FnOnce() -> bool) -> Cow<'_, [u8]> {
    apply(conversion(rule, content, index_has_crlf), content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_as_git_decides_them() {
        use Attr::*;
        let f = AutoCrlf::False;
        assert_eq!(rule(Unspecified, Unspecified, Unspecified, f), Rule::Keep);
        assert_eq!(rule(Unspecified, Unspecified, Unspecified, AutoCrlf::True), Rule::Auto);
        assert_eq!(rule(Unspecified, Unspecified, Unspecified, AutoCrlf::Input), Rule::Auto);
        assert_eq!(rule(Set, Unspecified, Unspecified, f), Rule::Text);
        assert_eq!(rule(Unset, Unspecified, Value("crlf"), AutoCrlf::True), Rule::Keep);
        assert_eq!(rule(Value("auto"), Unspecified, Value("crlf"), f), Rule::Auto);
        assert_eq!(rule(Unspecified, Unspecified, Value("lf"), f), Rule::Text);
        assert_eq!(rule(Unspecified, Unset, Unspecified, AutoCrlf::True), Rule::Keep);
        assert_eq!(rule(Unspecified, Value("input"), Unspecified, f), Rule::Text);
        assert_eq!(AutoCrlf::parse("Input"), AutoCrlf::Input);
        assert_eq!(AutoCrlf::parse("yes"), AutoCrlf::True);
    }

    #[test]
    fn conversions_as_git_makes_them() {
        let crlf = b"a\r\nb\r\n";
        assert_eq!(to_blob(Rule::Text, crlf, || false).as_ref(), b"a\nb\n");
        assert_eq!(to_blob(Rule::Auto, crlf, || false).as_ref(), b"a\nb\n");
        assert_eq!(to_blob(Rule::Keep, crlf, || false).as_ref(), crlf);
        // Safer autocrlf: an index version with CRLF keeps the file as is.
        assert_eq!(to_blob(Rule::Auto, crlf, || true).as_ref(), crlf);
        // A lone CR makes git's guess "binary"; an explicit text file keeps
        // the lone CR and loses the CR of each CRLF.
        let mixed = b"a\rb\r\nc";
        assert_eq!(to_blob(Rule::Auto, mixed, || false).as_ref(), mixed);
        assert_eq!(to_blob(Rule::Text, mixed, || false).as_ref(), b"a\rb\nc");
        assert_eq!(to_blob(Rule::Auto, b"\0\r\n", || false).as_ref(), b"\0\r\n");
        // Git's guess: one control character per 128 printable bytes is text.
        let long = format!("{}\u{1}\r\n", "x".repeat(128));
        assert_eq!(to_blob(Rule::Auto, long.as_bytes(), || false).len(), long.len() - 1);
        assert_eq!(to_blob(Rule::Auto, b"x\x01\r\n", || false).as_ref(), b"x\x01\r\n");
        assert!(has_crlf_text(crlf));
        assert!(!has_crlf_text(b"a\nb"));
        assert!(!has_crlf_text(b"\0\r\n"));
    }

    #[test]
    fn a_part_converts_as_the_whole_does() {
        let whole = b"fn a() {\r\n}\r\nfn b() {}\r\n";
        let converted = apply(Conversion::CrlfToLf, whole);
        assert_eq!(apply(Conversion::CrlfToLf, &whole[..13]).as_ref(), &converted[..11]);
    }
}
