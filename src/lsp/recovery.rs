//! How the language server gets over an internal error (a panic) while
//! handling one message without losing its documents, and the bookkeeping
//! of such errors.
//!
//! After a panic the state thread cannot trust what the panic interrupted
//! (a batch half applied, a provenance map half updated), so it rebuilds
//! every document from what the client sent: the text as it was before the
//! last `didChange` batch (which the document can always give back, see
//! [`crate::document::Document::text_before_last_batch`]) with that batch,
//! which the server keeps until the next one, applied again through
//! [`Text`] alone, none of the code that may have failed (provenance,
//! syntax, heuristics). That costs no copy of any text. Nothing here asks
//! the client to send anything again: LSP has no way to ask for a
//! document's text.

use std::any::Any;
use std::time::{Duration, Instant};

use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use super::convert;
use crate::text::{Encoding, PositionLines, Text};

/// `text` with `changes` (one `didChange` batch) applied in order, each to
/// the text the previous one left, positions resolved and clamped as the
/// document does; a change that would make the text too large, and the
/// rest of the batch, are dropped, as the document drops them. `None` if
/// `text` itself is too large to hold.
pub fn replay(
    text: String,
    changes: &[TextDocumentContentChangeEvent],
    enc: Encoding,
    lines: PositionLines,
) -> Option<String> {
    let mut text = Text::new(text).ok()?;
    text.set_position_lines(lines);
    for change in changes {
        let step = match change.range {
            Some(range) => {
                let (bytes, _) = convert::byte_range(&text, range, enc);
                text.replace(bytes, &change.text)
            }
            // A whole text counts lines as the client does, as the one it
            // replaces did.
            None => Text::new(change.text.clone()).map(|mut t| {
                t.set_position_lines(lines);
                text = t;
            }),
        };
        if step.is_err() {
            break;
        }
    }
    Some(text.as_str().to_string())
}

/// How many internal errors within [`STORM_WINDOW`] make the server give up:
/// a state that fails this often is not being rebuilt into anything useful,
/// and a client that restarts servers (VS Code) does better with a new one.
pub const STORM: usize = 20;
pub const STORM_WINDOW: Duration = Duration::from_secs(60);
/// How many internal errors one document may cause before the server stops
/// tracking it (until the client opens it again).
pub const DOCUMENT_FAULTS: u32 = 3;

/// The internal errors seen so far.
#[derive(Debug, Default)]
pub struct Faults {
    recent: Vec<Instant>,
    /// Whether the user has been told once.
    pub told: bool,
}

impl Faults {
    /// Count one; whether this makes a storm.
    pub fn count(&mut self, now: Instant) -> bool {
        self.recent.retain(|t| now.duration_since(*t) < STORM_WINDOW);
        self.recent.push(now);
        self.recent.len() >= STORM
    }
}

/// How much of a panic's message is said: it may quote a whole document.
const MAX_PANIC_MESSAGE: usize = 200;

/// The message a panic carried, cut to [`MAX_PANIC_MESSAGE`] characters.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    let message = if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "a panic without a message"
    };
    match message.char_indices().nth(MAX_PANIC_MESSAGE) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range as LspRange};

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(LspRange::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn replay_applies_a_batch_in_order() {
        let batch = [change(1, 4, 1, 4, "\n    "), change(1, 0, 1, 4, ""), change(0, 3, 0, 7, "start")];
        let text = replay("fn main() {\n    \n}\n".into(), &batch, Encoding::Utf16, PositionLines::Lsp);
        assert_eq!(text.as_deref(), Some("fn start() {\n\n    \n}\n"));
        let whole = TextDocumentContentChangeEvent { range: None, range_length: None, text: "x".into() };
        assert_eq!(
            replay("y".into(), &[whole, change(0, 1, 0, 1, "é")], Encoding::Utf8, PositionLines::Lsp).as_deref(),
            Some("xé")
        );
    }

    #[test]
    fn replay_keeps_the_clients_line_rule_past_a_whole_text() {
        // A client that ends lines at `\n` only (Neovim, Helix): a lone
        // `\r` in the whole text sent is no line break for the change after.
        let whole =
            TextDocumentContentChangeEvent { range: None, range_length: None, text: "a = '\r'\nb = 2\n".into() };
        let text = replay("x = 1\n".into(), &[whole, change(1, 0, 1, 0, "X")], Encoding::Utf8, PositionLines::LfOnly);
        assert_eq!(text.as_deref(), Some("a = '\r'\nXb = 2\n"));
    }

    #[test]
    fn a_storm_is_many_faults_in_a_short_time() {
        let mut faults = Faults::default();
        let start = Instant::now();
        for i in 0..STORM - 1 {
            assert!(!faults.count(start + Duration::from_secs(i as u64)));
        }
        assert!(faults.count(start + Duration::from_secs(STORM as u64)));
        // Spread out, they are not.
        let mut faults = Faults::default();
        for i in 0..STORM * 2 {
            assert!(!faults.count(start + STORM_WINDOW * i as u32));
        }
    }
}
