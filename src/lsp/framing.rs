//! A guard in front of tower-lsp-server's reader: it re-frames the client's
//! byte stream so that no input, however broken, stops the server.
//!
//! tower-lsp-server reads messages with a tokio-util `FramedRead`, which ends
//! the stream at the first message it cannot decode (bad JSON, a body that
//! is not UTF-8), and trusts `Content-Length` (a wrong one leaves it reading
//! every later message from the wrong offset, for good). So the guard:
//!
//! - passes on only bodies that decode as JSON-RPC, as valid UTF-8: invalid
//!   bytes (in a field vouch ignores, or not) are replaced with U+FFFD;
//! - replaces whatever it drops with a `vouch/malformed` notification, which
//!   the server logs, naming what was wrong;
//! - caps a message at [`MAX_MESSAGE`] bytes: a larger one is skipped as it
//!   arrives, never buffered;
//! - resynchronizes on the next real header when a `Content-Length` is wrong
//!   (too short, too long, negative, missing, not a number): when the bytes
//!   it names do not decode, or hold the start of another header, the
//!   message is taken up to that header instead (and passed on if it then
//!   decodes).
//!
//! What is a real header: a block of `Name: value` lines ending in an empty
//! line, each ended by CR LF, with one `Content-Length` made of digits. A
//! JSON body cannot hold one: a JSON string cannot hold a raw CR or LF, and
//! outside strings JSON holds no letters but `true`, `false` and `null`. So
//! resynchronizing never lands inside a body, even one whose strings hold the
//! text `Content-Length: 12\r\n\r\n`.
//!
//! With `VOUCH_LSP_RECORD=/path`, every byte read is also appended to that
//! file, as received: a transcript for bug reports (`docs/protocol.md`).

use std::collections::VecDeque;
use std::io::Write;

use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tower_lsp_server::jsonrpc;

/// The largest message body the server reads: 64 MiB, far above any
/// document an editor sends (vouch does not track files that large anyway).
pub const MAX_MESSAGE: u64 = 64 * 1024 * 1024;
/// A header block longer than this is not one.
const MAX_HEADER: usize = 8 * 1024;
/// The environment variable naming a file to record the raw input in.
pub const RECORD_ENV: &str = "VOUCH_LSP_RECORD";

/// Copy framed messages from `input` to `output`, replacing bad ones;
/// append the raw input to `record` when given.
pub async fn guard<R, W>(mut input: R, mut output: W, mut record: Option<std::fs::File>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut framer = Framer::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(frame) = framer.next_frame() {
            let body = match frame {
                Frame::Message(body) => body,
                Frame::Problem(why) => malformed(&why),
            };
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            if output.write_all(header.as_bytes()).await.is_err() || output.write_all(&body).await.is_err() {
                return;
            }
        }
        match input.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(file) = &mut record
                    && file.write_all(&chunk[..n]).is_err()
                {
                    eprintln!("vouch: could not write to the {RECORD_ENV} file; recording stops");
                    record = None;
                }
                framer.push(&chunk[..n]);
            }
        }
    }
    let _ = output.shutdown().await;
}

/// What the guard passes on: a message, or what was wrong with the input.
#[derive(Debug, PartialEq)]
enum Frame {
    Message(Vec<u8>),
    Problem(String),
}

fn malformed(why: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "jsonrpc": "2.0", "method": "vouch/malformed", "params": { "error": why } }))
        .expect("a JSON value serializes")
}

/// What a header block at some offset is.
#[derive(Debug, PartialEq)]
enum Header {
    /// A whole block, `end` bytes long (its empty line included).
    Complete {
        end: usize,
        length: Length,
    },
    /// What is there so far could start a block; `length` is what its
    /// `Content-Length` says so far.
    Incomplete {
        length: Length,
    },
    Garbage,
}

/// What a header block's `Content-Length` says.
#[derive(Debug, Clone, PartialEq)]
enum Length {
    /// Digits: the number (saturated: larger than any cap anyway).
    Bytes(u64),
    Missing,
    /// Not a number, or given twice: what it said.
    Bad(String),
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Read the header block at the start of `buf`.
fn parse_header(buf: &[u8]) -> Header {
    let mut pos = 0;
    let mut length = Length::Missing;
    let mut fields = 0;
    loop {
        if pos > MAX_HEADER {
            return Header::Garbage;
        }
        let rest = &buf[pos..];
        if rest.starts_with(b"\r\n") {
            return if fields == 0 { Header::Garbage } else { Header::Complete { end: pos + 2, length } };
        }
        if rest.is_empty() || rest == b"\r" {
            return Header::Incomplete { length };
        }
        let line_end = rest.windows(2).position(|w| w == b"\r\n");
        // What arrived of a line so far may end with the CR of its CR LF.
        let line = match line_end {
            Some(e) => &rest[..e],
            None => rest.strip_suffix(b"\r").unwrap_or(rest),
        };
        let name_len = line.iter().position(|&b| !is_token(b)).unwrap_or(line.len());
        if name_len == 0 || name_len > 64 {
            return Header::Garbage;
        }
        let Some(value) = line[name_len..].strip_prefix(b":") else {
            // A name cut short by the end of what arrived may go on.
            let cut_short = line_end.is_none() && name_len == line.len();
            return if cut_short { Header::Incomplete { length } } else { Header::Garbage };
        };
        if !value.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)) {
            return Header::Garbage;
        }
        if line[..name_len].eq_ignore_ascii_case(b"content-length") {
            let digits = value.trim_ascii();
            length = match length {
                Length::Missing if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
                    Length::Bytes(std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()).unwrap_or(u64::MAX))
                }
                // Digits still arriving.
                Length::Missing if digits.is_empty() && line_end.is_none() => Length::Missing,
                Length::Missing => Length::Bad(String::from_utf8_lossy(digits).into_owned()),
                _ => Length::Bad("given twice".into()),
            };
        }
        match line_end {
            None => return Header::Incomplete { length },
            Some(e) => {
                fields += 1;
                pos += e + 2;
            }
        }
    }
}

/// Where the next real header starts at or after `from`.
#[derive(Debug, PartialEq)]
enum Next {
    At(usize),
    /// Something at this offset may become a header when more arrives.
    Maybe(usize),
    Nowhere,
}

/// Find the next real header (see the module doc) at or after `from`, up
/// to offset `until` (exclusive).
fn find_header(buf: &[u8], from: usize, until: usize) -> Next {
    let mut at = from;
    while at < until.min(buf.len()) {
        let Some(i) = buf[at..until.min(buf.len())].iter().position(|b| b.eq_ignore_ascii_case(&b'c')) else {
            return Next::Nowhere;
        };
        let p = at + i;
        let candidate = &buf[p..];
        let prefix = candidate.len().min(8);
        if candidate[..prefix].eq_ignore_ascii_case(&b"content-"[..prefix]) {
            match parse_header(candidate) {
                Header::Complete { length: Length::Bytes(_), .. } => return Next::At(p),
                Header::Incomplete { length: Length::Bytes(_) | Length::Missing } => return Next::Maybe(p),
                _ => {}
            }
        }
        at = p + 1;
    }
    Next::Nowhere
}

/// The body as the server reads it: valid UTF-8 (invalid bytes replaced,
/// and how many) that decodes as a JSON-RPC message; or why it does not.
fn decode(body: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let (body, replaced) = match std::str::from_utf8(body) {
        Ok(_) => (body.to_vec(), 0),
        Err(_) => {
            let already = body.windows(3).filter(|w| *w == "\u{FFFD}".as_bytes()).count();
            let text = String::from_utf8_lossy(body);
            let replaced = text.matches('\u{FFFD}').count() - already;
            (text.into_owned().into_bytes(), replaced)
        }
    };
    let decodes = |body: &[u8]| {
        serde_json::from_slice::<jsonrpc::Request>(body).is_ok()
            || serde_json::from_slice::<jsonrpc::Response>(body).is_ok()
    };
    if decodes(&body) {
        let body = with_params(with_uris_encoded(body));
        document_params(&body)?;
        return Ok((body, replaced));
    }
    // A lone UTF-16 surrogate written as an escape (`"\ud83d"`, as
    // JavaScript's `JSON.stringify` writes half an emoji) is no character:
    // it becomes U+FFFD, one UTF-16 unit as it was, so positions hold.
    if let Ok(text) = std::str::from_utf8(&body)
        && let Some((fixed, lone)) = replace_lone_surrogates(text)
        && decodes(fixed.as_bytes())
    {
        let body = with_params(with_uris_encoded(fixed.into_bytes()));
        document_params(&body)?;
        return Ok((body, replaced + lone));
    }
    Err(match serde_json::from_slice::<serde_json::Value>(&body) {
        Err(e) => format!("a message that is not JSON ({e})"),
        Ok(_) => "a JSON message that is not a JSON-RPC 2.0 request, notification or response".into(),
    })
}

/// A document notification (`textDocument/didOpen`, `didChange`,
/// `didClose`, `didSave`) whose params do not decode: tower-lsp-server
/// drops it without a word, and the client's next changes then land on a
/// text it no longer has (rt30b B1). Said instead, as the guard says what
/// it drops, naming the method and what was wrong.
fn document_params(body: &[u8]) -> Result<(), String> {
    use tower_lsp_server::ls_types::notification::{
        DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument, Notification,
    };
    fn check<N: Notification>(params: serde_json::Value) -> Result<(), String> {
        serde_json::from_value::<N::Params>(params)
            .map(drop)
            .map_err(|e| format!("{} with params that do not decode ({e}); the document is as it was", N::METHOD))
    }
    #[derive(serde::Deserialize)]
    struct Message {
        method: Option<String>,
        id: Option<serde_json::Value>,
        #[serde(default)]
        params: serde_json::Value,
    }
    let Ok(Message { method: Some(method), id: None, params }) = serde_json::from_slice::<Message>(body) else {
        return Ok(());
    };
    match method.as_str() {
        DidOpenTextDocument::METHOD => check::<DidOpenTextDocument>(params),
        DidChangeTextDocument::METHOD => check::<DidChangeTextDocument>(params),
        DidCloseTextDocument::METHOD => check::<DidCloseTextDocument>(params),
        DidSaveTextDocument::METHOD => check::<DidSaveTextDocument>(params),
        _ => Ok(()),
    }
}

/// `body` (JSON) with every URI (the string value of a key `uri` or
/// `…Uri`) that the server's URI type would refuse made one it accepts, by
/// percent-encoding the bytes a URI cannot hold. Helix and Zed send some
/// raw (`[`, `]`, `|`, `^`, spaces: Next.js's `app/[slug]/page.tsx`), and
/// the LSP specification asks servers not to assume how a client encodes;
/// refused, the document was never opened, and a workspace root holding
/// one failed `initialize`. What comes back names the file encoded, which
/// clients decode to the same path.
fn with_uris_encoded(body: Vec<u8>) -> Vec<u8> {
    if !may_hold_a_bad_uri(&body) {
        return body;
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&body) else { return body };
    if !encode_uris(&mut value, false) {
        return body;
    }
    serde_json::to_vec(&value).unwrap_or(body)
}

/// The methods of vouch's own whose params are all optional.
const PARAMS_OPTIONAL: [&str; 2] = ["vouch/pending", "vouch/debug/stats"];

/// `body` with `"params": {}` when it is a request to one of
/// [`PARAMS_OPTIONAL`] without params: JSON-RPC lets a request leave them
/// out, and tower-lsp-server refuses a custom method's request without
/// them ("Missing params field").
fn with_params(body: Vec<u8>) -> Vec<u8> {
    if !PARAMS_OPTIONAL.iter().any(|m| memchr::memmem::find(&body, m.as_bytes()).is_some()) {
        return body;
    }
    let Ok(serde_json::Value::Object(mut message)) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return body;
    };
    let optional = message.get("method").and_then(|m| m.as_str()).is_some_and(|m| PARAMS_OPTIONAL.contains(&m));
    if !optional || message.get("params").is_some_and(|p| !p.is_null()) {
        return body;
    }
    message.insert("params".into(), serde_json::json!({}));
    serde_json::to_vec(&message).unwrap_or(body)
}

/// Whether a URI key's string value in `body` holds a byte that
/// [`encoded_uri`] would encode, or an escape: a cheap look that spares
/// nearly every message a parse.
fn may_hold_a_bad_uri(body: &[u8]) -> bool {
    memchr::memmem::find_iter(body, b"ri\"").any(|at| {
        if at == 0 || !matches!(body[at - 1], b'u' | b'U') {
            return false;
        }
        let mut i = at + 3;
        while body.get(i).is_some_and(|b| b.is_ascii_whitespace() || *b == b':') {
            i += 1;
        }
        if body.get(i) != Some(&b'"') {
            return false;
        }
        let text = &body[i + 1..];
        let end = text.iter().position(|&b| b == b'"').unwrap_or(text.len());
        (0..end).any(|k| text[k] == b'\\' || !uri_byte(text[k]) || (text[k] == b'%' && !escape_at(&text[..end], k)))
    })
}

/// Whether a `%` at `at` of `bytes` starts an escape (two hex digits).
fn escape_at(bytes: &[u8], at: usize) -> bool {
    bytes.get(at + 1..at + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
}

/// Walk `value`, encoding the URIs of keys `uri` and `…Uri` (`in_uri`: the
/// value is one); whether anything changed.
fn encode_uris(value: &mut serde_json::Value, in_uri: bool) -> bool {
    match value {
        serde_json::Value::String(text) if in_uri => match encoded_uri(text) {
            Some(encoded) => {
                *text = encoded;
                true
            }
            None => false,
        },
        serde_json::Value::Object(map) => map
            .iter_mut()
            .map(|(key, v)| encode_uris(v, key == "uri" || key.ends_with("Uri")))
            .fold(false, |a, b| a | b),
        serde_json::Value::Array(items) => items.iter_mut().map(|v| encode_uris(v, false)).fold(false, |a, b| a | b),
        _ => false,
    }
}

/// A byte a URI holds as it is (RFC 3986: unreserved, sub-delims, `:`,
/// `@`, `/`, `?`, `#`, and `%` of an escape).
fn uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?#%".contains(&b)
}

/// `uri` with every byte a URI cannot hold percent-encoded (a `%` not
/// followed by two hex digits included), when the server's URI type
/// refuses it as it is and accepts the result; else `None`.
fn encoded_uri(uri: &str) -> Option<String> {
    use std::str::FromStr;
    use tower_lsp_server::ls_types::Uri;
    if Uri::from_str(uri).is_ok() {
        return None;
    }
    let bytes = uri.as_bytes();
    let mut out = String::with_capacity(uri.len() + 16);
    for (i, &b) in bytes.iter().enumerate() {
        if (uri_byte(b) && b != b'%') || (b == b'%' && escape_at(bytes, i)) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).is_ok().then_some(out)
}

/// `text` (JSON) with each `\uXXXX` escape of a UTF-16 surrogate that is
/// not half of a pair replaced with `\ufffd`, and how many; `None` when it
/// has none.
fn replace_lone_surrogates(text: &str) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let unit = |at: usize| -> Option<u16> {
        let hex = bytes.get(at..at + 6).filter(|e| e.starts_with(b"\\u"))?;
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let (mut out, mut lone, mut copied, mut i) = (String::new(), 0, 0, 0);
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(u) = unit(i) else {
            // Another escape: skip the escaped character.
            i += 2;
            continue;
        };
        let paired = (0xD800..0xDC00).contains(&u) && unit(i + 6).is_some_and(|l| (0xDC00..0xE000).contains(&l));
        if paired {
            i += 12;
        } else if (0xD800..0xE000).contains(&u) {
            out.push_str(&text[copied..i]);
            out.push_str("\\ufffd");
            lone += 1;
            i += 6;
            copied = i;
        } else {
            i += 6;
        }
    }
    (lone > 0).then(|| {
        out.push_str(&text[copied..]);
        (out, lone)
    })
}

/// Cuts a byte stream into messages, whatever it holds.
#[derive(Debug, Default)]
struct Framer {
    buf: Vec<u8>,
    /// Frames found, not yet taken.
    ready: VecDeque<Frame>,
    /// Dropping the body of a message over the cap, up to the next header.
    skipping: bool,
    /// How far a body still arriving was searched for a header.
    searched: usize,
    /// A body that did not decode as long as its header said, with that
    /// length and why: bytes that arrive later, before the next header, may
    /// be its end (a Content-Length too short, read before the rest came).
    short: Option<(Vec<u8>, u64, String)>,
}

impl Framer {
    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn next_frame(&mut self) -> Option<Frame> {
        while self.ready.is_empty() && self.step() {}
        self.ready.pop_front()
    }

    /// Drop the first `n` bytes.
    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
        self.searched = 0;
    }

    /// Pass on a body (as [`decode`] made it), or say why not; `framing`
    /// says what was wrong with how it was framed, if anything.
    fn emit(&mut self, decoded: Result<(Vec<u8>, usize), String>, framing: Option<String>) {
        match decoded {
            Ok((body, replaced)) => {
                if let Some(why) = framing {
                    self.ready.push_back(Frame::Problem(format!("{why}; read the message up to the next header")));
                }
                if replaced > 0 {
                    self.ready.push_back(Frame::Problem(format!(
                        "replaced {replaced} invalid UTF-8 sequence(s) or lone UTF-16 surrogate(s) in a message with \
                         U+FFFD"
                    )));
                }
                self.ready.push_back(Frame::Message(body));
            }
            Err(why) => {
                let why = match framing {
                    Some(framing) => format!("ignored {why}: {framing}"),
                    None => format!("ignored {why}"),
                };
                self.ready.push_back(Frame::Problem(why));
            }
        }
    }

    /// Make progress on the buffer; whether there may be more to do.
    fn step(&mut self) -> bool {
        if self.skipping {
            match find_header(&self.buf, 0, self.buf.len()) {
                Next::At(p) => {
                    self.consume(p);
                    self.skipping = false;
                }
                Next::Maybe(p) => {
                    self.consume(p);
                    return false;
                }
                Next::Nowhere => {
                    // Keep a tail a header may start in.
                    let keep = self.buf.len().min(16);
                    self.consume(self.buf.len() - keep);
                    return false;
                }
            }
        }
        if self.buf.is_empty() {
            return false;
        }
        if self.short.is_some() && !self.finish_short() {
            return false;
        }
        match parse_header(&self.buf) {
            Header::Incomplete { .. } if self.buf.len() <= MAX_HEADER => false,
            Header::Complete { end, length: Length::Bytes(length) } => self.body(end, length),
            Header::Complete { end, length } => {
                let why = match length {
                    Length::Bad(value) => format!("its Content-Length is not a number of bytes ({value:?})"),
                    _ => "its header has no Content-Length".into(),
                };
                self.unframed(end, why)
            }
            Header::Incomplete { .. } | Header::Garbage => self.garbage(),
        }
    }

    /// Whether bytes before the next header end the short body kept: pass
    /// it on if so, say why it was dropped if not. Whether to go on (not if
    /// there is too little to tell).
    fn finish_short(&mut self) -> bool {
        let next = match find_header(&self.buf, 0, self.buf.len()) {
            Next::At(p) => Some(p),
            Next::Maybe(_) | Next::Nowhere if self.buf.len() <= MAX_HEADER => return false,
            _ => None,
        };
        let Some((mut body, length, why)) = self.short.take() else { return true };
        if let Some(p) = next.filter(|&p| p > 0) {
            body.extend_from_slice(&self.buf[..p]);
            let decoded = decode(&body);
            if decoded.is_ok() {
                self.consume(p);
                self.emit(decoded, Some(format!("its Content-Length ({length}) stops short of its end")));
                return true;
            }
        }
        self.ready.push_back(Frame::Problem(format!("ignored {why}")));
        true
    }

    /// A header that says `length` bytes follow, from `start`.
    fn body(&mut self, start: usize, length: u64) -> bool {
        if length > MAX_MESSAGE {
            self.consume(start);
            self.skipping = true;
            self.ready.push_back(Frame::Problem(format!(
                "ignored a message of {length} bytes: a message may have at most {} MiB",
                MAX_MESSAGE / (1024 * 1024)
            )));
            return true;
        }
        let end = start + length as usize;
        // Another header where the body should be: the length is wrong
        // (a JSON body cannot hold a header).
        let searched = self.searched.max(start);
        match find_header(&self.buf, searched, end) {
            Next::At(p) => {
                let decoded = decode(&self.buf[start..p]);
                self.consume(p);
                let framing = format!("its Content-Length ({length}) runs into the next message");
                self.emit(decoded, Some(framing));
                return true;
            }
            Next::Maybe(p) => {
                self.searched = p;
                return false;
            }
            Next::Nowhere => self.searched = end.min(self.buf.len()),
        }
        if self.buf.len() < end {
            return false;
        }
        let decoded = decode(&self.buf[start..end]);
        if decoded.is_ok() {
            self.consume(end);
            self.emit(decoded, None);
            return true;
        }
        // The length may be short: the message may end at the next header,
        // or, if that has not arrived yet, before it.
        match find_header(&self.buf, end, self.buf.len()) {
            Next::At(p) => {
                let longer = decode(&self.buf[start..p]);
                if longer.is_ok() {
                    self.consume(p);
                    self.emit(longer, Some(format!("its Content-Length ({length}) stops short of its end")));
                    return true;
                }
                self.consume(end);
                self.emit(decoded, None);
            }
            Next::Maybe(_) | Next::Nowhere => {
                let body = self.buf[start..end].to_vec();
                self.consume(end);
                let why = decoded.err().unwrap_or_default();
                self.short = Some((body, length, why));
            }
        }
        true
    }

    /// A header block (ending at `start`) that gives no usable length: the
    /// body runs to the next header, or is all that is here if it decodes.
    fn unframed(&mut self, start: usize, why: String) -> bool {
        // Searched as it arrives, so a long body is searched once.
        let end = match find_header(&self.buf, self.searched.max(start), self.buf.len()) {
            Next::At(p) => p,
            next => {
                self.searched = match next {
                    Next::Maybe(p) => p,
                    _ => self.buf.len(),
                };
                // Only what could be a whole JSON object is worth decoding.
                let rest = &self.buf[start..];
                if rest.trim_ascii_end().ends_with(b"}") && decode(rest).is_ok() {
                    self.buf.len()
                } else if self.buf.len() as u64 <= MAX_MESSAGE {
                    return false;
                } else {
                    self.buf.len()
                }
            }
        };
        let blank = self.buf[start..end].trim_ascii().is_empty();
        let decoded = decode(&self.buf[start..end]);
        self.consume(end);
        if blank {
            self.ready.push_back(Frame::Problem(format!("ignored a message header: {why}")));
        } else {
            self.emit(decoded, Some(why));
        }
        true
    }

    /// Bytes that do not start a header: drop them up to the next one.
    fn garbage(&mut self) -> bool {
        let end = match find_header(&self.buf, 1, self.buf.len()) {
            Next::At(p) => p,
            // Wait for more, unless that is too much to hold.
            Next::Maybe(p) if self.buf.len() <= MAX_HEADER + p => p,
            _ if self.buf.len() <= MAX_HEADER => return false,
            _ => self.buf.len().saturating_sub(16),
        };
        let dropped = self.buf[..end].trim_ascii().len();
        self.consume(end);
        // Blank lines between messages are harmless.
        if dropped > 0 {
            self.ready.push_back(Frame::Problem(format!("ignored {end} bytes that are not a message")));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    fn with_length(length: &str, body: &str) -> Vec<u8> {
        format!("Content-Length: {length}\r\n\r\n{body}").into_bytes()
    }

    #[test]
    fn uris_a_client_sends_raw_are_encoded_and_nothing_else_changes() {
        let open = |uri: &str| {
            serde_json::json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument":
                { "uri": uri, "languageId": "typescript", "version": 1, "text": "a [b] c%d é" } } })
            .to_string()
        };
        let sent = open("file:///w/app/[slug] x/page|^.ts");
        let (got, _) = decode(sent.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), open("file:///w/app/%5Bslug%5D%20x/page%7C%5E.ts"));
        // Raw non-ASCII, and a `%` that starts no escape; `rootUri`,
        // `workspaceFolders`.
        let init = |root: &str| {
            serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "rootUri": root,
                "workspaceFolders": [{ "uri": root, "name": "w" }] } })
            .to_string()
        };
        let (got, _) = decode(init("file:///w/josé/100%").as_bytes()).unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), init("file:///w/jos%C3%A9/100%25"));
        // A URI that is fine already, and the same bytes outside URIs, are
        // passed on byte for byte.
        for body in [
            open("file:///w/app/%5Bslug%5D/page.ts"),
            B.to_string(),
            r#"{"jsonrpc":"2.0","method":"x","params":{"path":"/a b[c]","uri":"file:///ok"}}"#.to_string(),
        ] {
            assert_eq!(decode(body.as_bytes()).unwrap().0, body.as_bytes(), "{body}");
        }
    }

    #[test]
    fn vouchs_requests_whose_params_are_optional_may_leave_them_out() {
        for sent in [
            r#"{"jsonrpc":"2.0","id":3,"method":"vouch/pending"}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"vouch/pending","params":null}"#,
        ] {
            let (got, _) = decode(sent.as_bytes()).unwrap();
            let got: serde_json::Value = serde_json::from_slice(&got).unwrap();
            assert_eq!(got["params"], serde_json::json!({}), "{sent}");
            assert_eq!(got["id"], 3);
        }
        // Other methods, and params given, pass as they are.
        for sent in [
            r#"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"vouch/pending","params":{"x":1}}"#,
        ] {
            assert_eq!(decode(sent.as_bytes()).unwrap().0, sent.as_bytes());
        }
    }

    const A: &str = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
    const B: &str = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;

    /// Everything the framer makes of `input`, fed in one piece.
    fn frames(input: &[u8]) -> Vec<Frame> {
        let mut framer = Framer::default();
        framer.push(input);
        std::iter::from_fn(|| framer.next_frame()).collect()
    }

    /// The messages among `frames`, as text.
    fn messages(frames: &[Frame]) -> Vec<String> {
        frames
            .iter()
            .filter_map(|f| match f {
                Frame::Message(m) => Some(String::from_utf8(m.clone()).unwrap()),
                Frame::Problem(_) => None,
            })
            .collect()
    }

    fn problems(frames: &[Frame]) -> Vec<String> {
        frames
            .iter()
            .filter_map(|f| match f {
                Frame::Problem(p) => Some(p.clone()),
                Frame::Message(_) => None,
            })
            .collect()
    }

    /// Red team (rt30b B1): a document notification whose params do not
    /// decode was dropped by tower-lsp-server without a word; it is said.
    #[test]
    fn document_notifications_whose_params_do_not_decode_are_said() {
        let change =
            |params: &str| format!(r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{params}}}"#);
        let good = change(
            r#"{"textDocument":{"uri":"file:///a.rs","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":1},"end":{"line":0,"character":1}},"text":"x"}]}"#,
        );
        let bad = [
            change(r#"{"textDocument":{"uri":"file:///a.rs","version":"2"},"contentChanges":[{"text":"x"}]}"#),
            change(
                r#"{"textDocument":{"uri":"file:///a.rs","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":4294967296},"end":{"line":0,"character":1}},"text":"x"}]}"#,
            ),
            change(r#"{"textDocument":{"uri":"file:///a.rs","version":2},"contentChanges":"x"}"#),
            change("null"),
        ];
        let input: Vec<u8> = bad.iter().map(|b| frame(b)).chain([frame(&good)]).collect::<Vec<_>>().concat();
        let out = frames(&input);
        assert_eq!(messages(&out), vec![good.clone()]);
        let problems = problems(&out);
        assert_eq!(problems.len(), bad.len(), "{problems:?}");
        assert!(
            problems.iter().all(|p| p.contains("textDocument/didChange with params that do not decode")),
            "{problems:?}"
        );
    }

    #[test]
    fn good_messages_pass_and_bad_ones_are_replaced() {
        let out = frames(&[frame("{ nope"), frame(A), frame(r#"{"hello":1}"#), frame(B)].concat());
        assert_eq!(messages(&out), vec![A, B]);
        let problems = problems(&out);
        assert!(problems[0].contains("not JSON"), "{problems:?}");
        assert!(problems[1].contains("not a JSON-RPC"), "{problems:?}");
    }

    #[test]
    fn partial_frames_wait_for_more() {
        let whole = [frame(B), frame(A)].concat();
        for cut in 1..whole.len() {
            let mut framer = Framer::default();
            framer.push(&whole[..cut]);
            let mut out: Vec<Frame> = std::iter::from_fn(|| framer.next_frame()).collect();
            framer.push(&whole[cut..]);
            out.extend(std::iter::from_fn(|| framer.next_frame()));
            assert_eq!(messages(&out), vec![B, A], "cut at {cut}");
            assert!(problems(&out).is_empty(), "cut at {cut}: {out:?}");
        }
    }

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let half = r#"{"jsonrpc":"2.0","method":"initialized","params":{"t":"a\ud83db","pair":"\ud83d\ude00","lit":"\\ud83d","low":"\ude00"}}"#;
        let out = frames(&frame(half));
        let msgs = messages(&out);
        assert_eq!(msgs.len(), 1, "{out:?}");
        let value: serde_json::Value = serde_json::from_str(&msgs[0]).unwrap();
        assert_eq!(value["params"]["t"], "a\u{FFFD}b");
        assert_eq!(value["params"]["pair"], "😀");
        assert_eq!(value["params"]["lit"], "\\ud83d");
        assert_eq!(value["params"]["low"], "\u{FFFD}");
        assert!(problems(&out)[0].contains("lone UTF-16 surrogate"), "{out:?}");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let body = b"{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{},\"junk\":\"\xff\xfe\"}";
        let input = [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body.to_vec(), frame(A)].concat();
        let out = frames(&input);
        let msgs = messages(&out);
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].contains("\u{FFFD}"), "{msgs:?}");
        assert_eq!(msgs[1], A);
        assert!(problems(&out)[0].contains("invalid UTF-8"));
    }

    #[test]
    fn a_length_one_byte_short_is_read_up_to_the_next_header() {
        let short = with_length(&(B.len() - 1).to_string(), B);
        let out = frames(&[short, frame(A)].concat());
        assert_eq!(messages(&out), vec![B, A]);
        assert!(problems(&out)[0].contains("stops short"), "{out:?}");
        // Last of what arrived: read once the rest (and the next header)
        // arrive, before the next message.
        let mut framer = Framer::default();
        framer.push(&with_length(&(B.len() - 1).to_string(), B));
        let first: Vec<Frame> = std::iter::from_fn(|| framer.next_frame()).collect();
        assert!(first.is_empty(), "{first:?}");
        framer.push(&frame(A));
        let later: Vec<Frame> = std::iter::from_fn(|| framer.next_frame()).collect();
        assert_eq!(messages(&later), vec![B, A]);
        // A body that was bad, not short: said so when the next arrives.
        let mut framer = Framer::default();
        framer.push(&frame("{ nope"));
        assert_eq!(framer.next_frame(), None);
        framer.push(&frame(A));
        let later: Vec<Frame> = std::iter::from_fn(|| framer.next_frame()).collect();
        assert_eq!(messages(&later), vec![A]);
        assert!(problems(&later)[0].contains("not JSON"), "{later:?}");
    }

    #[test]
    fn a_length_too_long_stops_at_the_next_header() {
        for extra in [1, 5, 40] {
            let long = with_length(&(B.len() + extra).to_string(), B);
            let out = frames(&[long, frame(A)].concat());
            assert_eq!(messages(&out), vec![B, A], "{extra} too long: {out:?}");
            assert!(problems(&out)[0].contains("runs into the next message"), "{out:?}");
        }
    }

    #[test]
    fn lengths_that_are_no_length() {
        for length in ["-5", "", "twelve", "0x20", "1e3", "12 13", "+12"] {
            let out = frames(&[with_length(length, B), frame(A)].concat());
            assert_eq!(messages(&out), vec![B, A], "Content-Length {length:?}: {out:?}");
            assert!(!problems(&out).is_empty());
        }
        // No Content-Length at all, another header instead.
        let out =
            frames(&[format!("Content-Type: application/vscode-jsonrpc\r\n\r\n{B}").into_bytes(), frame(A)].concat());
        assert_eq!(messages(&out), vec![B, A]);
        // A header alone, then a message.
        let out = frames(&[b"X-Nothing: 1\r\n\r\n".to_vec(), frame(A)].concat());
        assert_eq!(messages(&out), vec![A]);
        // Given twice.
        let out = frames(
            &[format!("Content-Length: 3\r\nContent-Length: {}\r\n\r\n{B}", B.len()).into_bytes(), frame(A)].concat(),
        );
        assert_eq!(messages(&out), vec![B, A]);
    }

    #[test]
    fn huge_lengths_are_skipped_not_buffered() {
        for length in
            ["18446744073709551615", "99999999999999999999999", "100000000000", &(MAX_MESSAGE + 1).to_string()]
        {
            let mut framer = Framer::default();
            framer.push(format!("Content-Length: {length}\r\n\r\n").as_bytes());
            let mut out: Vec<Frame> = std::iter::from_fn(|| framer.next_frame()).collect();
            // Ten megabytes of body arrive: none of it is kept.
            let junk = vec![b'x'; 1024 * 1024];
            for _ in 0..10 {
                framer.push(&junk);
                out.extend(std::iter::from_fn(|| framer.next_frame()));
                assert!(framer.buf.len() <= 1024 * 1024 + 16, "{}", framer.buf.len());
            }
            framer.push(&frame(A));
            out.extend(std::iter::from_fn(|| framer.next_frame()));
            assert_eq!(messages(&out), vec![A], "{length}");
            assert!(problems(&out)[0].contains("at most 64 MiB"), "{out:?}");
        }
    }

    #[test]
    fn resync_never_lands_inside_a_json_string() {
        // A body whose strings hold headers, escaped as JSON must, and whose
        // layout holds raw blank lines (JSON allows them between tokens).
        let tricky = "{\"jsonrpc\":\"2.0\",\r\n\r\n\"method\":\"vouch/aiEdit\",\"params\":{\"text\":\
                      \"Content-Length: 12\\r\\n\\r\\n{}\",\"x\":\"Content-Length: 5\"}}";
        assert!(decode(tricky.as_bytes()).is_ok());
        // The message before it claims far too much, and one after follows.
        let long = with_length(&(B.len() + 60).to_string(), B);
        let out = frames(&[long.clone(), frame(tricky), frame(A)].concat());
        assert_eq!(messages(&out), vec![B, tricky, A], "{out:?}");
        // Starting from garbage in the middle of it.
        let mid = &frame(tricky)[25..];
        let out = frames(&[mid.to_vec(), frame(tricky), frame(A)].concat());
        assert_eq!(messages(&out), vec![tricky, A], "{out:?}");
        // Fed a byte at a time.
        let input = [long, frame(tricky), frame(A)].concat();
        let mut framer = Framer::default();
        let mut out = Vec::new();
        for b in input {
            framer.push(&[b]);
            out.extend(std::iter::from_fn(|| framer.next_frame()));
        }
        assert_eq!(messages(&out), vec![B, tricky, A], "{out:?}");
    }

    proptest::proptest! {
        /// Well-framed messages, whatever their strings hold (headers,
        /// blank lines, non-ASCII) and however the stream is cut, come
        /// out as they went in, with nothing said about them.
        #[test]
        fn well_framed_messages_pass_unchanged(
            texts in proptest::collection::vec("(Content-Length: [0-9]{1,3}\r\n\r\n|[a-z{}\":]|é|😀|\r\n)*", 1..6),
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let bodies: Vec<String> = texts
                .iter()
                .map(|t| json!({ "jsonrpc": "2.0", "method": "x", "params": { "text": t } }).to_string())
                .collect();
            let input: Vec<u8> = bodies.iter().flat_map(|b| frame(b)).collect();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
            cuts.push(input.len());
            cuts.sort_unstable();
            let mut framer = Framer::default();
            let mut out = Vec::new();
            let mut from = 0;
            for cut in cuts {
                framer.push(&input[from..cut]);
                from = cut;
                out.extend(std::iter::from_fn(|| framer.next_frame()));
            }
            proptest::prop_assert_eq!(messages(&out), bodies);
            proptest::prop_assert!(problems(&out).is_empty());
        }
    }

    #[test]
    fn garbage_between_messages_is_dropped() {
        let out = frames(&[b"}".to_vec(), frame(B), b"\r\n".to_vec(), frame(A), b"xyz".to_vec()].concat());
        assert_eq!(messages(&out), vec![B, A]);
        assert_eq!(problems(&out).len(), 1, "{out:?}");
    }
}
