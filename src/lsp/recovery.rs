//! What the server keeps so that an internal error (a panic) while handling
//! one message never costs it the documents, and the bookkeeping of such
//! errors.
//!
//! For every open document the server keeps the text (and provenance) as of
//! its last analysis, and the `didChange` batches received since, exactly as
//! the client sent them ([`Sent`]). After a panic the state thread cannot
//! trust what the panic interrupted (a batch half applied, a provenance map
//! half updated), so it rebuilds each document from that: the text replayed
//! through [`Text`] alone, none of the code that may have failed (provenance,
//! syntax, heuristics). Nothing here asks the client to send anything again:
//! LSP has no way to ask for a document's text.
//!
//! Keeping the checkpoint costs one copy of each document's text; it is
//! taken when the document is analysed (after a quiet spell), never on the
//! path that applies a keystroke.

use std::any::Any;
use std::ops::Range;
use std::time::{Duration, Instant};

use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use super::convert;
use crate::provenance::Attribution;
use crate::text::{Encoding, Text};

/// What a client sent for one document: a checkpoint and the batches since.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The text as of the checkpoint.
    text: String,
    /// Its provenance as of the checkpoint.
    provenance: Vec<(Range<usize>, Attribution)>,
    /// Its version as of the checkpoint.
    version: i32,
    /// Every `didChange` received since, with its version, in order.
    batches: Vec<(i32, Vec<TextDocumentContentChangeEvent>)>,
}

impl Sent {
    pub fn new(text: String, provenance: Vec<(Range<usize>, Attribution)>, version: i32) -> Sent {
        Sent { text, provenance, version, batches: Vec::new() }
    }

    /// Keep a batch, before it is applied.
    pub fn push(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        self.batches.push((version, changes));
    }

    /// The batch kept last.
    pub fn last(&self) -> &[TextDocumentContentChangeEvent] {
        self.batches.last().map_or(&[], |(_, changes)| changes)
    }

    /// Start again from the document as it is now (its text, provenance
    /// and version), reusing the memory.
    pub fn checkpoint(&mut self, text: &str, provenance: Vec<(Range<usize>, Attribution)>, version: i32) {
        self.text.clear();
        self.text.push_str(text);
        self.provenance = provenance;
        self.version = version;
        self.batches.clear();
    }

    pub fn checkpoint_text(&self) -> &str {
        &self.text
    }

    pub fn checkpoint_provenance(&self) -> &[(Range<usize>, Attribution)] {
        &self.provenance
    }

    /// The text and version the client holds: the checkpoint with every
    /// batch since applied in order, each change to the text the previous
    /// one left, positions resolved and clamped as the document does, and a
    /// batch that would make the text too large dropped from that change on,
    /// as the document drops it.
    pub fn replay(&self, enc: Encoding) -> (String, i32) {
        let mut text = match Text::new(self.text.clone()) {
            Ok(text) => text,
            // The checkpoint was held as a document's text: it fits.
            Err(_) => return (self.text.clone(), self.version),
        };
        let mut version = self.version;
        for (v, changes) in &self.batches {
            for change in changes {
                let step = match change.range {
                    Some(range) => {
                        let (bytes, _) = convert::byte_range(&text, range, enc);
                        text.replace(bytes, &change.text)
                    }
                    None => Text::new(change.text.clone()).map(|t| text = t),
                };
                if step.is_err() {
                    break;
                }
            }
            version = *v;
        }
        (text.as_str().to_string(), version)
    }
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

/// The message a panic carried.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
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
    fn replay_applies_batches_in_order() {
        let mut sent = Sent::new("fn main() {\n    \n}\n".into(), Vec::new(), 1);
        sent.push(2, vec![change(1, 4, 1, 4, "\n    "), change(1, 0, 1, 4, "")]);
        sent.push(3, vec![change(0, 3, 0, 7, "start")]);
        assert_eq!(sent.replay(Encoding::Utf16), ("fn start() {\n\n    \n}\n".to_string(), 3));
        sent.push(4, vec![TextDocumentContentChangeEvent { range: None, range_length: None, text: "x".into() }]);
        assert_eq!(sent.replay(Encoding::Utf16), ("x".to_string(), 4));
        sent.checkpoint("y", Vec::new(), 5);
        assert_eq!(sent.replay(Encoding::Utf8), ("y".to_string(), 5));
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
