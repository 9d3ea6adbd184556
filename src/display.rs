//! Text shown to a person, made safe to look at: every character that a
//! terminal, an editor or a browser would not show as itself is written out
//! as a visible escape, so what the reviewer reads is what the bytes say.
//!
//! The author of a change controls most text vouch shows (code, rationale,
//! file names, emails, tool and model names, comments). A lone CR is a line
//! break to Python and to a terminal, so `# check␍os.system(…)` shows as a
//! comment; ANSI escape sequences repaint the screen; bidi controls
//! ("Trojan Source") reorder what is shown; zero-width characters hide; a
//! newline in a file name injects a line into a CI log. None of it may reach
//! a person raw.
//!
//! # Notation
//!
//! One escape per character, between `‹` and `›` (U+2039, U+203A):
//! - C0 controls and DEL by their ASCII names: `‹NUL›`, `‹BEL›`, `‹BS›`,
//!   `‹TAB›`, `‹LF›`, `‹VT›`, `‹FF›`, `‹CR›`, `‹ESC›`, `‹DEL›`, …;
//! - everything else by code point: `‹U+202E›`, `‹U+200B›`, `‹U+0085›`;
//! - a byte that is not UTF-8 (in [`line_bytes`], [`block_bytes`]):
//!   `‹0xFF›`;
//! - `‹` itself is escaped (`‹U+2039›`), so every `‹` on screen starts an
//!   escape: the notation cannot be forged by the text it escapes.
//!
//! So an ANSI colour sequence shows as `‹ESC›[31m`, and a Trojan-Source
//! comment as `/* ‹U+202E› } ‹U+2066›if (admin)‹U+2069› ‹U+2066› */`.
//!
//! # What is escaped
//!
//! Every character of general category Cc (C0, DEL, C1), Cf (format: the bidi
//! embeddings, overrides and isolates U+202A–202E and U+2066–2069, the marks
//! U+200E–200F and U+061C, zero-width U+200B–200D, U+2060–2064, U+FEFF, the
//! soft hyphen, tag characters, …), Zl and Zp (U+2028, U+2029: line breaks
//! to JavaScript), Co (private use: no one knows what it shows), Cn
//! (unassigned and noncharacters), every space other than U+0020 (Zs:
//! no-break and other spaces that look like a space), and every
//! Default_Ignorable_Code_Point (Hangul fillers, variation selectors, which
//! fonts draw as nothing).
//!
//! # Two entry points
//!
//! - [`line`]: a name, an identity, a path, a one-line message. LF and tab
//!   are escaped too, so a value can never start a new line of output.
//! - [`block`] (and [`code_lines`]): code and other multi-line text. LF is
//!   a line break and tab stays a tab (indentation). CR is always shown
//!   (`‹CR›`), except the CR of CRLF line ends when *every* line end of the
//!   text is CRLF: that is a file with Windows line ends, where the CR hides
//!   nothing (a terminal moves to column 0 and then down) and marking every
//!   line would only teach people to skip the marks. In text that mixes LF
//!   and CRLF, the odd CR is what matters, so each one is shown.
//!
//! [`markdown`] and [`markdown_code`] are [`line`] for Markdown (the
//! language server's hover): Markdown punctuation is escaped too, so a
//! rationale cannot add links, emphasis, HTML or entities (`&#x202E;`).
//!
//! Pure: no I/O. Formats for programs (`--format json`, JSON-RPC data
//! fields) keep values exact; whatever shows them to a person applies these
//! rules.

use std::borrow::Cow;
use std::fmt::Write as _;

use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

/// The character that opens an escape.
pub const OPEN: char = '‹';
/// The character that closes an escape.
pub const CLOSE: char = '›';

/// ASCII names of the C0 controls, by code.
const C0_NAMES: [&str; 32] = [
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF", "VT", "FF", "CR", "SO", "SI", "DLE",
    "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
];

/// Whether `c` is not shown as itself and so is escaped wherever it appears
/// (LF, tab and CR have their own rules in [`block`]).
pub fn is_hidden(c: char) -> bool {
    if matches!(c, ' '..='~') {
        return false;
    }
    if c == OPEN || c.is_control() {
        return true;
    }
    let hidden_category = matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::SpaceSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    );
    hidden_category || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// The visible form of `c`: `‹CR›`, `‹U+202E›`.
pub fn escape_char(c: char) -> String {
    let code = c as u32;
    match code {
        0..=0x1f => format!("{OPEN}{}{CLOSE}", C0_NAMES[code as usize]),
        0x7f => format!("{OPEN}DEL{CLOSE}"),
        _ => format!("{OPEN}U+{code:04X}{CLOSE}"),
    }
}

/// A single-line value (a name, an identity, a path, a message) as shown:
/// every hidden character, LF and tab included, escaped. Borrowed when
/// nothing needed escaping.
pub fn line(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| !is_hidden(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push(&mut out, c);
    }
    Cow::Owned(out)
}

/// Multi-line text (code, a multi-line message) as shown: LF and tab kept,
/// CR as the module documentation says, every other hidden character
/// escaped.
pub fn block(text: &str) -> Cow<'_, str> {
    let windows = has_windows_line_ends(text);
    let needs = text.char_indices().any(|(i, c)| match c {
        '\n' | '\t' => false,
        '\r' => !(windows && text[i + 1..].starts_with('\n')),
        c => is_hidden(c),
    });
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, c) in text.char_indices() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if windows && text[i + 1..].starts_with('\n') => out.push(c),
            c => push(&mut out, c),
        }
    }
    Cow::Owned(out)
}

/// The lines of `text` as shown, split where git splits them (at LF only,
/// so the numbering matches git's), each as [`block`] shows it, without its
/// line end. A final line end starts no extra line.
pub fn code_lines(text: &str) -> Vec<String> {
    let windows = has_windows_line_ends(text);
    text.split_inclusive('\n')
        .map(|line| {
            let line = match line.strip_suffix('\n') {
                Some(line) if windows => line.strip_suffix('\r').unwrap_or(line),
                Some(line) => line,
                None => line,
            };
            let mut out = String::with_capacity(line.len());
            for c in line.chars() {
                match c {
                    '\t' => out.push(c),
                    c => push(&mut out, c),
                }
            }
            out
        })
        .collect()
}

/// [`code_lines`] for bytes that may not be UTF-8 (the one unit of a file
/// that is not): each byte that is not part of a UTF-8 character shows as
/// `‹0xFF›`. Split at LF only, as git splits lines.
pub fn code_lines_bytes(bytes: &[u8]) -> Vec<String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return code_lines(text);
    }
    let lf = bytes.iter().filter(|&&b| b == b'\n').count();
    let windows = lf > 0 && bytes.windows(2).filter(|w| w == b"\r\n").count() == lf;
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(|line| {
            let line = match line.strip_suffix(b"\n") {
                Some(line) if windows => line.strip_suffix(b"\r").unwrap_or(line),
                Some(line) => line,
                None => line,
            };
            lossless(line, |s| {
                let mut out = String::with_capacity(s.len());
                for c in s.chars() {
                    match c {
                        '\t' => out.push(c),
                        c => push(&mut out, c),
                    }
                }
                out
            })
        })
        .collect()
}

/// Bytes as data (a JSON field), not for a screen: UTF-8 unchanged; bytes
/// that are not UTF-8 with each byte outside a UTF-8 character as `‹0xFF›`
/// and `‹` itself as `‹U+2039›`, so that the notation is unambiguous.
/// Nothing else is escaped: a screen shows it through [`line`] or [`block`].
pub fn lossless_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(lossless(bytes, |s| s.replace(OPEN, &escape_char(OPEN)))),
    }
}

/// [`line`] for bytes that may not be UTF-8: each byte that is not part of
/// a UTF-8 character shows as `‹0xFF›`.
pub fn line_bytes(bytes: &[u8]) -> String {
    lossless(bytes, |s| line(s).into_owned())
}

/// [`block`] for bytes that may not be UTF-8.
pub fn block_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => block(text).into_owned(),
        Err(_) => lossless(bytes, |s| block(s).into_owned()),
    }
}

/// A single-line value for Markdown: [`line`], with every Markdown
/// punctuation character backslash-escaped (CommonMark lets any ASCII
/// punctuation be escaped), so the value renders as the text it is.
pub fn markdown(text: &str) -> String {
    let shown = line(text);
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '|' | '#' | '!' | '(' | ')') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A single-line value as a Markdown code span: [`line`], between enough
/// backticks that none in the value ends the span.
pub fn markdown_code(text: &str) -> String {
    let shown = line(text);
    let mut longest = 0;
    let mut run = 0;
    for c in shown.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A space on each side keeps a backtick at either end out of the fence
    // (CommonMark strips one such space).
    let pad = if shown.starts_with('`') || shown.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

/// A value as one word of a shell command shown for copying (`vouch
/// request 'src/my file.py:3'`): [`line`], single-quoted unless it is made
/// only of characters no shell treats specially, so pasting it runs no
/// command substitution the author planted in a file name.
pub fn shell_word(text: &str) -> String {
    let shown = line(text);
    let plain = !shown.is_empty()
        && shown.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | '@' | '%' | '+' | '=' | ',')
        });
    if plain { shown.into_owned() } else { format!("'{}'", shown.replace('\'', "'\\''")) }
}

/// Whether every line end of `text` is CRLF (and there is at least one):
/// then [`block`] and [`code_lines`] show CRLF as a plain line end.
pub fn has_windows_line_ends(text: &str) -> bool {
    let lf = text.bytes().filter(|&b| b == b'\n').count();
    lf > 0 && text.matches("\r\n").count() == lf
}

fn push(out: &mut String, c: char) {
    if is_hidden(c) || matches!(c, '\n' | '\t' | '\r') {
        out.push_str(&escape_char(c));
    } else {
        out.push(c);
    }
}

/// `bytes` shown with `show` for each run of valid UTF-8 and `‹0xFF›` for
/// each byte that is not.
fn lossless(bytes: &[u8], show: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&show(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(out, "{OPEN}0x{b:02X}{CLOSE}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_not_utf8_show_every_byte() {
        assert_eq!(code_lines_bytes(b"caf\xe9\r\nx\ty\r\n"), ["caf‹0xE9›", "x\ty"]);
        assert_eq!(code_lines_bytes(b"a\xff\rb\nc"), ["a‹0xFF›‹CR›b", "c"]);
        assert_eq!(code_lines_bytes(b"a\rb\n"), code_lines("a\rb\n"));
        assert_eq!(lossless_text(b"a\x01\xe9 \xe2\x80\xb9"), "a\x01‹0xE9› ‹U+2039›");
        assert_eq!(lossless_text("a\u{1}‹".as_bytes()), "a\u{1}‹");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for text in ["carol@example.com", "src/a b/ü.rs", "fn main() {}", "日本語", "emoji 🎉", ""] {
            assert!(matches!(line(text), Cow::Borrowed(t) if t == text), "{text}");
            assert!(matches!(block(text), Cow::Borrowed(t) if t == text), "{text}");
        }
        assert!(matches!(block("a\n\tb\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_lone_cr_cannot_hide_code() {
        let text = "# caller must be authorised\ros.system(cmd)\n";
        assert_eq!(block(text), "# caller must be authorised‹CR›os.system(cmd)\n");
        assert_eq!(code_lines(text), vec!["# caller must be authorised‹CR›os.system(cmd)"]);
        assert_eq!(line(text), "# caller must be authorised‹CR›os.system(cmd)‹LF›");
    }

    #[test]
    fn crlf_is_a_line_end_only_where_every_line_end_is_crlf() {
        assert_eq!(block("a\r\nb\r\n"), "a\r\nb\r\n");
        assert_eq!(code_lines("a\r\nb\r\n"), vec!["a", "b"]);
        // Mixed line ends: the odd CR is what matters.
        assert_eq!(block("a\r\nb\nc\r\n"), "a‹CR›\nb\nc‹CR›\n");
        assert_eq!(code_lines("a\r\nb\n"), vec!["a‹CR›", "b"]);
        // No line end at all: a CR is a lone CR.
        assert_eq!(block("a\r"), "a‹CR›");
        assert_eq!(line("a\r\nb"), "a‹CR›‹LF›b");
        assert_eq!(code_lines("a\r\nb\r"), vec!["a", "b‹CR›"]);
    }

    #[test]
    fn ansi_escapes_nul_and_newlines_in_names() {
        assert_eq!(line("\x1b[2K\x1b[1Gapproved"), "‹ESC›[2K‹ESC›[1Gapproved");
        assert_eq!(line("eve\0@example.com"), "eve‹NUL›@example.com");
        assert_eq!(line("src/a.py\n::notice::PASS"), "src/a.py‹LF›::notice::PASS");
        assert_eq!(line("a\tb"), "a‹TAB›b");
        assert_eq!(block("a\tb\x07"), "a\tb‹BEL›");
        assert_eq!(line("\u{7f}\u{85}\u{9b}"), "‹DEL›‹U+0085›‹U+009B›");
    }

    #[test]
    fn trojan_source_and_invisible_characters_are_shown() {
        let comment = "/* \u{202e} } \u{2066}if (admin)\u{2069} \u{2066} begin admins only */";
        assert_eq!(block(comment), "/* ‹U+202E› } ‹U+2066›if (admin)‹U+2069› ‹U+2066› begin admins only */");
        for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}').chain('\u{200b}'..='\u{200f}') {
            assert!(is_hidden(c), "{:04X}", c as u32);
        }
        for c in [
            '\u{feff}',
            '\u{2028}',
            '\u{2029}',
            '\u{061c}',
            '\u{00ad}',
            '\u{2060}',
            '\u{2064}',
            '\u{e0041}',
            '\u{3164}',
            '\u{115f}',
            '\u{fe0f}',
            '\u{e0100}',
            '\u{00a0}',
            '\u{3000}',
            '\u{e000}',
            '\u{fffe}',
            '\u{0378}',
        ] {
            assert!(is_hidden(c), "{:04X}", c as u32);
        }
        for c in ['a', 'é', 'ß', '→', '—', '€', '日', '🎉', '\u{0301}', ' '] {
            assert!(!is_hidden(c), "{:04X}", c as u32);
        }
    }

    #[test]
    fn the_notation_cannot_be_forged() {
        // Text that looks like an escape is told apart: its `‹` is escaped.
        assert_eq!(line("‹CR›"), "‹U+2039›CR›");
        assert_eq!(block("‹U+202E›\n"), "‹U+2039›U+202E›\n");
    }

    #[test]
    fn bytes_that_are_not_utf8() {
        assert_eq!(line_bytes(b"caf\xe9\n"), "caf‹0xE9›‹LF›");
        assert_eq!(block_bytes(b"a\xff\nb\r"), "a‹0xFF›\nb‹CR›");
        assert_eq!(block_bytes("ok\n".as_bytes()), "ok\n");
    }

    #[test]
    fn markdown_values_render_as_their_text() {
        assert_eq!(markdown("[ok](http://x) **b** &#x202E; <b>"), r"\[ok\]\(http://x\) \*\*b\*\* \&\#x202E; \<b\>");
        assert_eq!(markdown("a\nb\u{202e}"), "a‹LF›b‹U+202E›");
        assert_eq!(markdown_code("claude-code"), "`claude-code`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code("x\u{1b}[0m"), "`x‹ESC›[0m`");
    }

    #[test]
    fn shell_words_cannot_run_anything() {
        assert_eq!(shell_word("src/a.py:3"), "src/a.py:3");
        assert_eq!(shell_word("src/$(rm -rf ~).py:3"), "'src/$(rm -rf ~).py:3'");
        assert_eq!(shell_word("it's.py"), "'it'\\''s.py'");
        assert_eq!(shell_word("a\nb"), "'a‹LF›b'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn code_lines_count_as_git_does() {
        assert_eq!(code_lines(""), Vec::<String>::new());
        assert_eq!(code_lines("a"), vec!["a"]);
        assert_eq!(code_lines("a\n\nb\n"), vec!["a", "", "b"]);
        assert_eq!(code_lines("\tx = 1\u{2028}y\n"), vec!["\tx = 1‹U+2028›y"]);
    }
}
