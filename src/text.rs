//! Document text, its line index, and conversion between byte offsets and
//! positions (line, column) in UTF-8, UTF-16 or UTF-32 code units.
//!
//! Lines end with `\n`, `\r\n` or a lone `\r`, as in LSP: that is how
//! positions count, unless the client counts otherwise ([`PositionLines`]:
//! Neovim and Helix end lines at `\n` only). Git numbers lines differently: only `\n` ends one (a lone
//! `\r` is a byte of its line, as it is to rustc in a `//` comment), and so do
//! tree-sitter's rows. [`Text::git_lines`] keeps that numbering, for review
//! units, line numbers shown to people and anything compared with git's.
//! Every position that
//! comes from outside is clamped, never trusted: a line past the end, a column
//! past the line's end or a column inside a multi-byte character (or inside a
//! UTF-16 surrogate pair) resolves to the nearest valid offset before it, and
//! the adjustment is reported so the caller can log it.
//!
//! This module knows nothing of LSP types; the protocol edge converts.

use std::ops::Range;

/// The unit in which a position's column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    Utf8,
    /// What LSP clients use unless they negotiate otherwise.
    #[default]
    Utf16,
    Utf32,
}

impl Encoding {
    /// The number of code units `c` takes in this encoding.
    pub fn len_of(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }
}

/// A zero-based line and a column in code units of some [`Encoding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub const fn new(line: u32, column: u32) -> Position {
        Position { line, column }
    }
}

/// Why a position did not name a valid offset as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clamp {
    /// The line is past the last line: the offset is the end of the text.
    LineBeyondEnd,
    /// The column is past the end of its line: the offset is the line's end
    /// (before its line break).
    ColumnBeyondLineEnd,
    /// The column falls inside a character (a multi-byte UTF-8 sequence or a
    /// UTF-16 surrogate pair): the offset is that character's start.
    InsideCharacter,
}

/// A byte offset resolved from a position, with the adjustment made, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub offset: usize,
    pub clamp: Option<Clamp>,
}

/// Byte offsets at which lines start, kept in step with the text's edits.
///
/// Offsets are `u32`: a document is at most 4 GiB, far above anything an
/// editor sends; [`Text`] refuses larger text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// `starts[0] == 0`; `starts[i]` is the offset just past the `i-1`th line
    /// break.
    starts: Vec<u32>,
    /// Which bytes end a line.
    breaks: Breaks,
}

/// Which bytes end a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breaks {
    /// `\n`, `\r\n` and a lone `\r`: LSP's lines.
    Lsp,
    /// `\n` only: git's lines (and tree-sitter's rows).
    Git,
}

impl LineIndex {
    /// The lines of `text` as LSP counts them (`\n`, `\r\n`, lone `\r`).
    pub fn new(text: &str) -> LineIndex {
        LineIndex::of(text.as_bytes(), Breaks::Lsp)
    }

    /// The lines of `bytes` as git counts them: only `\n` ends a line.
    /// Bytes need not be UTF-8.
    pub fn git(bytes: &[u8]) -> LineIndex {
        LineIndex::of(bytes, Breaks::Git)
    }

    fn of(bytes: &[u8], breaks: Breaks) -> LineIndex {
        let mut starts = vec![0];
        scan_line_starts(bytes, 0..bytes.len(), breaks, &mut starts);
        LineIndex { starts, breaks }
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The zero-based line holding `offset` (an offset on a line break
    /// belongs to the line it ends).
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s as usize <= offset) - 1
    }

    /// The offset at which `line` starts, or `None` past the last line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).map(|&s| s as usize)
    }

    /// Update after the bytes `old` of the text were replaced by `new_len`
    /// bytes; `text` is the text after the edit.
    ///
    /// A line start can only change if its line break touches the edit: a
    /// `\r` just before the edit may gain or lose the `\n` that follows it,
    /// and a `\n` just after may lose or gain its `\r`. So the starts in
    /// `old.start..=old.end + 1` are dropped and the edited bytes, with one
    /// byte of context on each side, are scanned again.
    fn edit(&mut self, old: Range<usize>, new_len: usize, text: &[u8]) {
        let lo = self.starts.partition_point(|&s| (s as usize) < old.start.max(1));
        let hi = self.starts.partition_point(|&s| s as usize <= old.end + 1);
        let delta = new_len as i64 - (old.end - old.start) as i64;
        let scan_start = old.start.saturating_sub(1);
        let scan_end = (old.start + new_len + 1).min(text.len());
        let mut fresh = Vec::new();
        scan_line_starts(text, scan_start..scan_end, self.breaks, &mut fresh);
        for s in &mut self.starts[hi..] {
            *s = (*s as i64 + delta) as u32;
        }
        self.starts.splice(lo..hi, fresh);
    }
}

/// Push the start of every line that a line break in `range` of `text` ends.
fn scan_line_starts(text: &[u8], range: Range<usize>, breaks: Breaks, out: &mut Vec<u32>) {
    for i in range {
        match text[i] {
            b'\n' => out.push(i as u32 + 1),
            b'\r' if breaks == Breaks::Lsp && text.get(i + 1) != Some(&b'\n') => out.push(i as u32 + 1),
            _ => {}
        }
    }
}

/// The largest text [`Text`] holds: offsets are `u32`.
pub const MAX_LEN: usize = u32::MAX as usize - 1;

/// Error for text that cannot be held.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("text of {0} bytes is larger than the 4 GiB vouch can hold")]
pub struct TooLarge(pub usize);

/// Where lines end for the positions a client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PositionLines {
    /// LSP's rule: `\n`, `\r\n` and a lone `\r` (VS Code).
    #[default]
    Lsp,
    /// `\n` only: Neovim and Helix count lines as their buffers hold them,
    /// where a lone `\r`, and the `\r` of a CRLF line in a buffer read as
    /// Unix text, are characters of the line.
    LfOnly,
}

impl PositionLines {
    /// What the client counts in a document it opened with `text`: a
    /// client that counts lines at `\n` only (Neovim) sends a buffer whose
    /// lines end with a lone `\r` (`fileformat=mac`) with `\r` and no `\n`,
    /// and numbers its lines at those.
    pub fn of_document(self, text: &str) -> PositionLines {
        match self {
            PositionLines::LfOnly if text.contains('\r') && !text.contains('\n') => PositionLines::Lsp,
            other => other,
        }
    }

    /// What a client counts, by the name it gives in `initialize`.
    pub fn of_client(name: &str) -> PositionLines {
        match name.trim().to_ascii_lowercase().as_str() {
            "neovim" | "nvim" | "helix" => PositionLines::LfOnly,
            _ => PositionLines::Lsp,
        }
    }

    fn breaks(self) -> Breaks {
        match self {
            PositionLines::Lsp => Breaks::Lsp,
            PositionLines::LfOnly => Breaks::Git,
        }
    }
}

/// A document's text and its line indexes (for positions, and git's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    content: String,
    lines: LineIndex,
    git_lines: LineIndex,
    position_lines: PositionLines,
    columns: ColumnMemo,
}

/// Where [`Text::position`] or [`Text::offset`] last counted a column to,
/// on a long line: the next column asked on that line is counted on (or
/// back) from there. Positions are asked unit after unit in order, and a
/// client typing at the end of a minified line names a column further on
/// at each keystroke: counted from the line's start for each, that is
/// quadratic in the line's length.
#[derive(Debug, Default)]
struct ColumnMemo(std::sync::Mutex<Option<Counted>>);

impl ColumnMemo {
    /// The column counted on `line`, if it lies within `bytes`.
    fn on(&self, line: usize, bytes: Range<usize>) -> Option<Counted> {
        let memo = *self.0.lock().unwrap_or_else(|e| e.into_inner());
        memo.filter(|m| m.line == line && bytes.start <= m.at && m.at <= bytes.end)
    }

    fn keep(&self, counted: Counted) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(counted);
    }
}

/// A column counted: on `line`, up to byte `at`, in UTF-16 units and in
/// characters.
#[derive(Debug, Clone, Copy)]
struct Counted {
    line: usize,
    at: usize,
    utf16: usize,
    chars: usize,
}

impl Counted {
    /// This column once `range` (where `removed` was) holds `new`, its line
    /// starting at `line_start` before the edit. An edit after it leaves it
    /// standing: its line and the text before it are as they were. An edit
    /// before it that breaks no line (another cursor on the line, an
    /// earlier line) moves it; any other loses it.
    fn after_edit(self, range: &Range<usize>, removed: &str, new: &str, line_start: Option<usize>) -> Option<Counted> {
        let breaks = |s: &str| s.contains(['\n', '\r']);
        if range.start >= self.at {
            return Some(self);
        }
        if range.end > self.at || breaks(removed) || breaks(new) {
            return None;
        }
        let at = self.at - range.len() + new.len();
        if range.start < line_start? {
            return Some(Counted { at, ..self });
        }
        let (gone16, gone) = count_columns(removed.as_bytes());
        let (came16, came) = count_columns(new.as_bytes());
        Some(Counted { at, utf16: self.utf16 - gone16 + came16, chars: self.chars - gone + came, ..self })
    }
}

/// Below this many bytes from the line's start a column is counted from
/// there, without the memo.
const COUNT_FROM_MEMO_PAST: usize = 512;

impl Clone for ColumnMemo {
    fn clone(&self) -> ColumnMemo {
        ColumnMemo::default()
    }
}

/// A cache: it makes no text differ from another.
impl PartialEq for ColumnMemo {
    fn eq(&self, _: &ColumnMemo) -> bool {
        true
    }
}

impl Eq for ColumnMemo {}

/// The UTF-16 units and the characters of `bytes` (valid UTF-8), counted
/// from the bytes alone: a character is a byte that is no continuation
/// byte, and one of four bytes (a lead byte from 0xF0) is two UTF-16 units.
fn count_columns(bytes: &[u8]) -> (usize, usize) {
    let chars = bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    let astral = bytes.iter().filter(|&&b| b >= 0xF0).count();
    (chars + astral, chars)
}

impl Text {
    pub fn new(content: String) -> Result<Text, TooLarge> {
        if content.len() > MAX_LEN {
            return Err(TooLarge(content.len()));
        }
        let lines = LineIndex::new(&content);
        let git_lines = LineIndex::git(content.as_bytes());
        Ok(Text { content, lines, git_lines, position_lines: PositionLines::Lsp, columns: ColumnMemo::default() })
    }

    /// Count lines for positions as `lines` says from now on.
    /// How the client's positions count lines in this text.
    pub fn position_lines(&self) -> PositionLines {
        self.position_lines
    }

    pub fn set_position_lines(&mut self, lines: PositionLines) {
        self.columns = ColumnMemo::default();
        if lines != self.position_lines {
            self.position_lines = lines;
            self.lines = LineIndex::of(self.content.as_bytes(), lines.breaks());
        }
    }

    pub fn as_str(&self) -> &str {
        &self.content
    }

    pub fn len(&self) -> usize {
        self.content.len()
    }

    pub fn is_empty(&self) -> bool {
        self.content.is_empty()
    }

    /// Lines as positions count them (see [`PositionLines`]).
    pub fn lines(&self) -> &LineIndex {
        &self.lines
    }

    /// Lines as git counts them (only `\n` ends one): for review units and
    /// every line number shown to people or compared with git's.
    pub fn git_lines(&self) -> &LineIndex {
        &self.git_lines
    }

    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// The bytes of `line` without its line break; `None` past the last line.
    /// Where only `\n` ends a line, a `\r` before it is a character of the
    /// line.
    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let start = self.lines.line_start(line)?;
        let next = self.lines.line_start(line + 1).unwrap_or(self.content.len());
        let bytes = self.content.as_bytes();
        let mut end = next;
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' && self.position_lines == PositionLines::Lsp {
            end -= 1;
        }
        Some(start..end)
    }

    /// The offset that `pos` names, clamped into the text.
    pub fn offset(&self, pos: Position, enc: Encoding) -> Resolved {
        let Some(range) = self.line_range(pos.line as usize) else {
            return Resolved { offset: self.content.len(), clamp: Some(Clamp::LineBeyondEnd) };
        };
        let line = &self.content[range.clone()];
        let want = pos.column as usize;
        let long = line.len() >= COUNT_FROM_MEMO_PAST;
        if enc == Encoding::Utf8 || (!long && line.is_ascii()) {
            if want > line.len() {
                return Resolved { offset: range.end, clamp: Some(Clamp::ColumnBeyondLineEnd) };
            }
            if line.is_char_boundary(want) {
                return Resolved { offset: range.start + want, clamp: None };
            }
            let mut b = want;
            while !line.is_char_boundary(b) {
                b -= 1;
            }
            return Resolved { offset: range.start + b, clamp: Some(Clamp::InsideCharacter) };
        }
        // On a long line, count on from a column counted before at or
        // before this one: typing at the end of a minified line asks a
        // column further on at each keystroke.
        let line_no = pos.line as usize;
        let units_of = |m: &Counted| if enc == Encoding::Utf16 { m.utf16 } else { m.chars };
        let from = long.then(|| self.columns.on(line_no, range.clone())).flatten().filter(|m| units_of(m) <= 2 * want);
        let mut counted = from.unwrap_or(Counted { line: line_no, at: range.start, utf16: 0, chars: 0 });
        // Back from a column counted further on, where that is nearer (a
        // backspace at the end of the line): to the column, or to the
        // start of the character it falls inside.
        if units_of(&counted) > want {
            let back = units_of(&counted) - want;
            let bytes = self.content.as_bytes();
            if back <= counted.at - range.start && bytes[counted.at - back..counted.at].is_ascii() {
                counted = Counted {
                    at: counted.at - back,
                    utf16: counted.utf16 - back,
                    chars: counted.chars - back,
                    ..counted
                };
            }
            while units_of(&counted) > want {
                let c = self.content[range.start..counted.at].chars().next_back().expect("units left before it");
                counted.at -= c.len_utf8();
                counted.utf16 -= c.len_utf16();
                counted.chars -= 1;
            }
            if units_of(&counted) < want {
                return Resolved { offset: counted.at, clamp: Some(Clamp::InsideCharacter) };
            }
        }
        // ASCII up to the column: one unit a byte.
        let need = want - units_of(&counted);
        if counted.at + need <= range.end && self.content.as_bytes()[counted.at..counted.at + need].is_ascii() {
            counted =
                Counted { at: counted.at + need, utf16: counted.utf16 + need, chars: counted.chars + need, ..counted };
        }
        let found = loop {
            let units = units_of(&counted);
            let Some(c) = self.content[counted.at..range.end].chars().next() else {
                let clamp = (units != want).then_some(Clamp::ColumnBeyondLineEnd);
                break Resolved { offset: range.end, clamp };
            };
            if units == want {
                break Resolved { offset: counted.at, clamp: None };
            }
            if units + enc.len_of(c) as usize > want {
                break Resolved { offset: counted.at, clamp: Some(Clamp::InsideCharacter) };
            }
            counted.at += c.len_utf8();
            counted.utf16 += c.len_utf16();
            counted.chars += 1;
        };
        if long && found.offset == counted.at && found.offset - range.start >= COUNT_FROM_MEMO_PAST {
            self.columns.keep(counted);
        }
        found
    }

    /// The position of `offset` (clamped to the text and moved back to a
    /// character boundary). An offset inside a `\r\n` pair, or on any line
    /// break, is reported at the end of its line.
    pub fn position(&self, offset: usize, enc: Encoding) -> Position {
        let offset = self.floor_char_boundary(offset);
        let line = self.lines.line_of(offset);
        let range = self.line_range(line).expect("line_of returns an existing line");
        let end = offset.min(range.end);
        let prefix = &self.content[range.start..end];
        if enc == Encoding::Utf8 {
            return Position { line: line as u32, column: prefix.len() as u32 };
        }
        let (utf16, chars) = if prefix.len() < COUNT_FROM_MEMO_PAST {
            count_columns(prefix.as_bytes())
        } else {
            let from = self.columns.on(line, range.start..end);
            let (at, utf16, chars) = from.map_or((range.start, 0, 0), |m| (m.at, m.utf16, m.chars));
            let (more16, more) = count_columns(&self.content.as_bytes()[at..end]);
            let counted = Counted { line, at: end, utf16: utf16 + more16, chars: chars + more };
            self.columns.keep(counted);
            (counted.utf16, counted.chars)
        };
        let column = if enc == Encoding::Utf16 { utf16 } else { chars };
        Position { line: line as u32, column: column as u32 }
    }

    /// The largest character boundary at or below `offset`, within the text.
    pub fn floor_char_boundary(&self, offset: usize) -> usize {
        let mut b = offset.min(self.content.len());
        while !self.content.is_char_boundary(b) {
            b -= 1;
        }
        b
    }

    /// Tree-sitter's point for `offset`: the row and the byte column.
    /// Tree-sitter counts rows as git counts lines (at `\n` only).
    pub fn point(&self, offset: usize) -> (usize, usize) {
        let line = self.git_lines.line_of(offset);
        let start = self.git_lines.line_start(line).unwrap_or(0);
        (line, offset - start)
    }

    /// Replace `range` (byte offsets on character boundaries, as
    /// [`Text::offset`] gives) with `new`.
    ///
    /// # Panics
    /// If the range is not on character boundaries or is reversed: callers
    /// resolve positions through [`Text::offset`] first.
    pub fn replace(&mut self, range: Range<usize>, new: &str) -> Result<(), TooLarge> {
        let len = self.content.len() - range.len() + new.len();
        if len > MAX_LEN {
            return Err(TooLarge(len));
        }
        let memo = self.columns.0.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        let moved =
            memo.and_then(|m| m.after_edit(&range, &self.content[range.clone()], new, self.lines.line_start(m.line)));
        self.content.replace_range(range.clone(), new);
        *self.columns.0.get_mut().unwrap_or_else(|e| e.into_inner()) = moved;
        self.lines.edit(range.clone(), new.len(), self.content.as_bytes());
        self.git_lines.edit(range, new.len(), self.content.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        Text::new(s.to_string()).unwrap()
    }

    /// The column of `offset` counted from its line's start, as positions
    /// were before the memo.
    fn column_counted(t: &Text, offset: usize, enc: Encoding) -> u32 {
        let line = t.lines.line_of(offset);
        let prefix = &t.as_str()[t.line_range(line).unwrap().start..offset];
        match enc {
            Encoding::Utf8 => prefix.len() as u32,
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum::<usize>() as u32,
            Encoding::Utf32 => prefix.chars().count() as u32,
        }
    }

    #[test]
    fn positions_on_long_lines_count_on_from_the_last_one_and_agree_with_a_count_from_the_start() {
        // Long lines of one-, two-, three- and four-byte characters, CRLF
        // and lone CR breaks.
        let piece = "a=\"é\";b='中';c=\"😀\";";
        let mut t = text(&format!("{}\r\n{}\rend\n{}", piece.repeat(300), piece.repeat(200), piece.repeat(50)));
        let boundaries: Vec<usize> = t.as_str().char_indices().map(|(i, _)| i).collect();
        // Forward, backward and jumping between lines, as units are asked.
        let mut order: Vec<usize> = boundaries.iter().step_by(7).copied().collect();
        order.extend(boundaries.iter().rev().step_by(13));
        order.extend(boundaries.iter().step_by(101).flat_map(|&b| [b, boundaries[boundaries.len() / 2]]));
        for enc in [Encoding::Utf16, Encoding::Utf32, Encoding::Utf8] {
            for &offset in &order {
                let p = t.position(offset, enc);
                assert_eq!(p.column, column_counted(&t, offset, enc), "{enc:?} at {offset}");
                assert_eq!(t.offset(Position { line: p.line, column: p.column }, enc).offset, offset, "{enc:?}");
            }
        }
        // After an edit, and with other line breaks, nothing counted before
        // is used.
        let far = boundaries[boundaries.len() / 3];
        t.position(far, Encoding::Utf16);
        t.replace(10..10, "😀😀").unwrap();
        let after = far + "😀😀".len();
        assert_eq!(t.position(after, Encoding::Utf16).column, column_counted(&t, after, Encoding::Utf16));
        t.set_position_lines(PositionLines::LfOnly);
        assert_eq!(t.position(after, Encoding::Utf32).column, column_counted(&t, after, Encoding::Utf32));
    }

    /// Typing on a long line (a minified bundle with one `©`), as a UTF-16
    /// or UTF-32 client sends it: each change names the column after the
    /// last, resolved by counting on from what an earlier position or
    /// offset counted, which an edit after it leaves standing and an edit
    /// before it moves. Every offset agrees with a count from the start.
    #[test]
    fn offsets_while_typing_on_a_long_line_agree_with_a_count_from_the_start() {
        for enc in [Encoding::Utf16, Encoding::Utf32] {
            let mut t = text(&format!("/*©*/{}\nnext line\n", "x=1;".repeat(5_000)));
            let column_of = |t: &Text, offset: usize| column_counted(t, offset, enc);
            let mut at = t.line_range(0).unwrap().end;
            for (i, typed) in ["a", "é", "😀", "b", "\u{200b}", "c"].iter().cycle().take(40).enumerate() {
                let pos = Position { line: 0, column: column_of(&t, at) };
                let resolved = t.offset(pos, enc);
                assert_eq!((resolved.offset, resolved.clamp), (at, None), "{enc:?} keystroke {i}");
                t.replace(at..at, typed).unwrap();
                at += typed.len();
                if i % 9 == 8 {
                    // An edit before: what was counted moves with it.
                    t.replace(0..0, "😀").unwrap();
                    at += "😀".len();
                }
                assert_eq!(t.position(at, enc).column, column_of(&t, at), "{enc:?} after keystroke {i}");
            }
            // Two cursors on the line, typed at in turn (each edit before
            // the other's column), and a line put above it.
            let mut cursors = [3_000, t.line_range(0).unwrap().end];
            for round in 0..30 {
                let k = round % 2;
                let pos = Position { line: 0, column: column_of(&t, cursors[k]) };
                assert_eq!(t.offset(pos, enc).offset, cursors[k], "{enc:?} cursor {k}, round {round}");
                let typed = if round % 3 == 0 { "é" } else { "z" };
                let at = cursors[k];
                t.replace(at..at, typed).unwrap();
                for c in cursors.iter_mut().filter(|c| **c >= at) {
                    *c += typed.len();
                }
                if round == 20 {
                    // A line put above, then taken away: the line counted on
                    // moves down and back.
                    let above = "// above\r\n";
                    t.replace(0..0, above).unwrap();
                    let pos = Position { line: 1, column: column_of(&t, cursors[1] + above.len()) };
                    assert_eq!(t.offset(pos, enc).offset, cursors[1] + above.len(), "{enc:?} below a new line");
                    t.replace(0..above.len(), "").unwrap();
                }
            }
            // Backspaces at the end of the line: each range starts a
            // character before the column last counted.
            for i in 0..12 {
                let end = t.line_range(0).unwrap().end;
                let before = t.as_str()[..end].char_indices().next_back().unwrap().0;
                let (from, to) = (column_of(&t, before), column_of(&t, end));
                assert_eq!(t.offset(Position { line: 0, column: to }, enc).offset, end, "{enc:?} backspace {i}");
                assert_eq!(t.offset(Position { line: 0, column: from }, enc).offset, before, "{enc:?} backspace {i}");
                t.replace(before..end, "").unwrap();
            }
            // Back to a column before the last one counted, and past the end.
            let early = 4_001;
            assert_eq!(t.offset(Position { line: 0, column: column_of(&t, early) }, enc).offset, early);
            let end = t.line_range(0).unwrap().end;
            let past = t.offset(Position { line: 0, column: column_of(&t, end) + 5 }, enc);
            assert_eq!((past.offset, past.clamp), (end, Some(Clamp::ColumnBeyondLineEnd)));
        }
    }

    fn starts(t: &Text) -> Vec<usize> {
        (0..t.line_count()).map(|l| t.lines().line_start(l).unwrap()).collect()
    }

    #[test]
    fn line_breaks_of_every_kind() {
        let t = text("a\nb\r\nc\rd");
        assert_eq!(starts(&t), vec![0, 2, 5, 7]);
        assert_eq!(t.line_range(1), Some(2..3));
        assert_eq!(t.line_range(2), Some(5..6));
        assert_eq!(t.line_range(3), Some(7..8));
        assert_eq!(t.line_range(4), None);
        assert_eq!(starts(&text("")), vec![0]);
        assert_eq!(starts(&text("x\r")), vec![0, 2]);
        assert_eq!(starts(&text("\r\n\r\n")), vec![0, 2, 4]);
    }

    #[test]
    fn columns_in_each_encoding() {
        // "é" is 2 bytes, 1 UTF-16 unit; "😀" is 4 bytes, 2 UTF-16 units.
        let t = text("aé😀b\nx");
        let b = t.as_str().find('b').unwrap();
        assert_eq!(t.position(b, Encoding::Utf8), Position::new(0, 7));
        assert_eq!(t.position(b, Encoding::Utf16), Position::new(0, 4));
        assert_eq!(t.position(b, Encoding::Utf32), Position::new(0, 3));
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let p = t.position(b, enc);
            assert_eq!(t.offset(p, enc), Resolved { offset: b, clamp: None });
        }
    }

    #[test]
    fn bad_positions_are_clamped_and_reported() {
        let t = text("aé😀b\r\nxy");
        let resolve = |l, c, e| t.offset(Position::new(l, c), e);
        assert_eq!(resolve(9, 0, Encoding::Utf16), Resolved { offset: 12, clamp: Some(Clamp::LineBeyondEnd) });
        // Past the end of a CRLF line: before the "\r".
        assert_eq!(resolve(0, 99, Encoding::Utf16), Resolved { offset: 8, clamp: Some(Clamp::ColumnBeyondLineEnd) });
        assert_eq!(resolve(0, 99, Encoding::Utf8), Resolved { offset: 8, clamp: Some(Clamp::ColumnBeyondLineEnd) });
        // Inside "é" in UTF-8, inside the surrogate pair of "😀" in UTF-16.
        assert_eq!(resolve(0, 2, Encoding::Utf8), Resolved { offset: 1, clamp: Some(Clamp::InsideCharacter) });
        assert_eq!(resolve(0, 3, Encoding::Utf16), Resolved { offset: 3, clamp: Some(Clamp::InsideCharacter) });
        assert_eq!(resolve(0, 5, Encoding::Utf8), Resolved { offset: 3, clamp: Some(Clamp::InsideCharacter) });
        assert_eq!(resolve(1, 2, Encoding::Utf32), Resolved { offset: 12, clamp: None });
        assert_eq!(resolve(1, 3, Encoding::Utf32), Resolved { offset: 12, clamp: Some(Clamp::ColumnBeyondLineEnd) });
    }

    #[test]
    fn positions_of_offsets_on_line_breaks() {
        let t = text("ab\r\ncd");
        assert_eq!(t.position(2, Encoding::Utf16), Position::new(0, 2));
        assert_eq!(t.position(3, Encoding::Utf16), Position::new(0, 2));
        assert_eq!(t.position(4, Encoding::Utf16), Position::new(1, 0));
        assert_eq!(t.position(999, Encoding::Utf16), Position::new(1, 2));
    }

    #[test]
    fn edits_that_split_or_join_crlf() {
        let mut t = text("a\r\nb");
        // Splitting the pair: "a\r" + "x" + "\nb" has a lone CR and a LF.
        t.replace(2..2, "x").unwrap();
        assert_eq!(t.as_str(), "a\rx\nb");
        assert_eq!(starts(&t), vec![0, 2, 4]);
        // Joining: removing "x" makes the pair again.
        t.replace(2..3, "").unwrap();
        assert_eq!(starts(&t), vec![0, 3]);
        // A "\n" inserted after a lone CR at the very start of the edit.
        let mut t = text("a\rb");
        t.replace(2..2, "\n").unwrap();
        assert_eq!(starts(&t), vec![0, 3]);
        // Removing the "\r" of a pair leaves the LF's line.
        let mut t = text("a\r\nb");
        t.replace(1..2, "").unwrap();
        assert_eq!(starts(&t), vec![0, 2]);
        let mut t = text("\r\n");
        t.replace(0..2, "").unwrap();
        assert_eq!(starts(&t), vec![0]);
    }

    #[test]
    fn line_index_follows_edits() {
        let mut t = text("one\ntwo\nthree\n");
        t.replace(4..8, "2\n2b\r\n").unwrap();
        assert_eq!(t.as_str(), "one\n2\n2b\r\nthree\n");
        assert_eq!(starts(&t), starts(&text(t.as_str())));
        assert_eq!(t.git_lines(), text(t.as_str()).git_lines());
    }

    fn git_starts(t: &Text) -> Vec<usize> {
        (0..t.git_lines().len()).map(|l| t.git_lines().line_start(l).unwrap()).collect()
    }

    #[test]
    fn positions_of_a_client_that_ends_lines_at_lf_only() {
        let mut t = text("a\rb\ncd\r\nef");
        t.set_position_lines(PositionLines::LfOnly);
        assert_eq!(t.line_count(), 3);
        assert_eq!(t.line_range(0), Some(0..3), "a lone CR is a character of its line");
        assert_eq!(t.line_range(1), Some(4..7), "so is the CR of a CRLF line");
        assert_eq!(t.offset(Position::new(1, 3), Encoding::Utf16), Resolved { offset: 7, clamp: None });
        assert_eq!(t.position(7, Encoding::Utf16), Position::new(1, 3));
        // Edits keep the count.
        t.replace(1..2, "\r\r").unwrap();
        assert_eq!(t.line_count(), 3);
        assert_eq!(PositionLines::of_client("Neovim"), PositionLines::LfOnly);
        assert_eq!(PositionLines::of_client("Visual Studio Code"), PositionLines::Lsp);
    }

    #[test]
    fn git_lines_end_at_lf_only() {
        // A lone CR is a byte of its line to git (and to rustc in a comment).
        let t = text("a\nb\r\nc\rd\n\re");
        assert_eq!(git_starts(&t), vec![0, 2, 5, 9]);
        assert_eq!(starts(&t), vec![0, 2, 5, 7, 9, 10]);
        assert_eq!(t.git_lines().line_of(8), 2);
        assert_eq!(t.point(8), (2, 3));
        assert_eq!(LineIndex::git(b"\xff\r\n\xfe\r").len(), 2);
        // Edits that make and unmake lone CRs leave git's lines alone.
        let mut t = text("a\r\nb\rc");
        t.replace(2..3, "").unwrap();
        assert_eq!(git_starts(&t), vec![0]);
        t.replace(2..2, "\n").unwrap();
        assert_eq!(git_starts(&t), vec![0, 3]);
        assert_eq!(t.git_lines(), text(t.as_str()).git_lines());
    }
}
