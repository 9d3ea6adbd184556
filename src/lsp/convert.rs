//! Conversions at the protocol edge: LSP positions (whose lines end at LF,
//! CRLF or a lone CR, in the negotiated encoding) to vouch's byte offsets
//! and back. (The editor's buffer is fingerprinted as the bytes git stores
//! by [`crate::analysis::buffer::blob_fingerprints`].) Everything past this
//! module counts lines as git does.

use std::ops::Range;

use tower_lsp_server::ls_types;

use crate::text::{Clamp, Encoding, Position, Text};

/// The encoding a `positionEncoding` kind names, if vouch speaks it.
pub fn encoding(kind: &ls_types::PositionEncodingKind) -> Option<Encoding> {
    match kind.as_str() {
        "utf-8" => Some(Encoding::Utf8),
        "utf-16" => Some(Encoding::Utf16),
        "utf-32" => Some(Encoding::Utf32),
        _ => None,
    }
}

pub fn encoding_kind(enc: Encoding) -> ls_types::PositionEncodingKind {
    match enc {
        Encoding::Utf8 => ls_types::PositionEncodingKind::UTF8,
        Encoding::Utf16 => ls_types::PositionEncodingKind::UTF16,
        Encoding::Utf32 => ls_types::PositionEncodingKind::UTF32,
    }
}

/// The encoding to use with a client that offers `offered` (in its order of
/// preference): UTF-8 when offered, as it costs no conversion (Helix offers
/// `utf-8, utf-32, utf-16`, Neovim `utf-8, utf-16, utf-32`); else the
/// first the client offers that vouch speaks; else UTF-16, which every
/// client must support.
pub fn negotiate(offered: Option<&[ls_types::PositionEncodingKind]>) -> Encoding {
    let offered = offered.unwrap_or_default();
    if offered.iter().any(|k| k.as_str() == "utf-8") {
        return Encoding::Utf8;
    }
    offered.iter().find_map(encoding).unwrap_or(Encoding::Utf16)
}

pub fn position(p: ls_types::Position) -> Position {
    Position::new(p.line, p.character)
}

pub fn to_lsp_position(p: Position) -> ls_types::Position {
    ls_types::Position::new(p.line, p.column)
}

/// The byte range an LSP range names in `text`, clamped, with any clamps.
pub fn byte_range(text: &Text, range: ls_types::Range, enc: Encoding) -> (Range<usize>, Vec<Clamp>) {
    let s = text.offset(position(range.start), enc);
    let e = text.offset(position(range.end), enc);
    let clamps = s.clamp.into_iter().chain(e.clamp).collect();
    (s.offset.min(e.offset)..s.offset.max(e.offset), clamps)
}

pub fn lsp_range(text: &Text, range: Range<usize>, enc: Encoding) -> ls_types::Range {
    ls_types::Range::new(
        to_lsp_position(text.position(range.start, enc)),
        to_lsp_position(text.position(range.end, enc)),
    )
}

/// The file a document's URI names: only a `file:` URI with an absolute
/// path names one. Other documents (VS Code's `untitled:` buffers, `git:`
/// views of a version, anything a client makes up) are no file of any
/// repository, whatever their path says: `ls_types`' `to_file_path` reads
/// the path of any scheme, and a relative one would be taken from where
/// the server runs.
pub fn file_path(uri: &ls_types::Uri) -> Option<std::path::PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().filter(|p| p.is_absolute()).map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_first_then_the_clients_preference() {
        use ls_types::PositionEncodingKind as K;
        assert_eq!(negotiate(Some(&[K::UTF16, K::UTF8])), Encoding::Utf8);
        assert_eq!(negotiate(Some(&[K::UTF8, K::UTF32, K::UTF16])), Encoding::Utf8);
        assert_eq!(negotiate(Some(&[K::UTF32])), Encoding::Utf32);
        assert_eq!(negotiate(Some(&[K::UTF16, K::UTF32])), Encoding::Utf16);
        assert_eq!(negotiate(Some(&[K::new("utf-7"), K::UTF32])), Encoding::Utf32);
        assert_eq!(negotiate(Some(&[K::new("utf-7")])), Encoding::Utf16);
        assert_eq!(negotiate(None), Encoding::Utf16);
    }

    #[test]
    fn ranges_round_trip_in_multibyte_text() {
        let text = Text::new("é😀\r\nfn x() {}\n".to_string()).unwrap();
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let r = lsp_range(&text, 8..10, enc);
            assert_eq!(byte_range(&text, r, enc), (8..10, vec![]));
        }
        let bad = ls_types::Range::new(ls_types::Position::new(0, 2), ls_types::Position::new(99, 0));
        assert_eq!(byte_range(&text, bad, Encoding::Utf16).1, vec![Clamp::InsideCharacter, Clamp::LineBeyondEnd]);
    }
}
