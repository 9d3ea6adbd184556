//! A guard in front of tower-lsp-server's reader.
//!
//! tower-lsp-server reads messages with a tokio-util `FramedRead`, which ends
//! the stream at the first message it cannot decode: one malformed message
//! would stop the server for good. This guard re-frames the client's stream
//! and replaces any message that would not decode (bad JSON, not JSON-RPC,
//! a header without `Content-Length`) with a `vouch/malformed` notification,
//! which the server answers by telling the client what it dropped.

use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tower_lsp_server::jsonrpc;

/// Headers longer than this without their blank line are garbage.
const MAX_HEADER: usize = 8 * 1024;

/// Copy framed messages from `input` to `output`, replacing bad ones.
pub async fn guard<R, W>(mut input: R, mut output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(frame) = next_frame(&mut buf) {
            let body = match frame {
                Frame::Message(body) => body,
                Frame::Bad(why) => malformed(&why),
            };
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            if output.write_all(header.as_bytes()).await.is_err() || output.write_all(&body).await.is_err() {
                return;
            }
        }
        match input.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let _ = output.shutdown().await;
}

#[derive(Debug, PartialEq)]
enum Frame {
    Message(Vec<u8>),
    Bad(String),
}

fn malformed(why: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "jsonrpc": "2.0", "method": "vouch/malformed", "params": { "error": why } }))
        .expect("a JSON value serializes")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Take the next whole frame off the front of `buf`, if there is one.
fn next_frame(buf: &mut Vec<u8>) -> Option<Frame> {
    let Some(header_end) = find(buf, b"\r\n\r\n") else {
        if buf.len() > MAX_HEADER {
            skip_to_next_header(buf, 1);
            return Some(Frame::Bad("a message header without its end".into()));
        }
        return None;
    };
    let header = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let length = header.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
    });
    let Some(length) = length else {
        buf.drain(..header_end + 4);
        return Some(Frame::Bad(format!("a message header without a valid Content-Length: {header:?}")));
    };
    let start = header_end + 4;
    if buf.len() < start + length {
        return None;
    }
    let body: Vec<u8> = buf[start..start + length].to_vec();
    buf.drain(..start + length);
    let decodes = serde_json::from_slice::<jsonrpc::Request>(&body).is_ok()
        || serde_json::from_slice::<jsonrpc::Response>(&body).is_ok();
    if decodes {
        Some(Frame::Message(body))
    } else {
        let why = match serde_json::from_slice::<serde_json::Value>(&body) {
            Err(e) => format!("a message that is not JSON ({e})"),
            Ok(_) => "a JSON message that is not a JSON-RPC 2.0 request, notification or response".into(),
        };
        Some(Frame::Bad(why))
    }
}

/// Drop bytes up to the next `Content-Length` at or after `from`.
fn skip_to_next_header(buf: &mut Vec<u8>, from: usize) {
    let at = find(&buf[from.min(buf.len())..], b"Content-Length").map_or(buf.len(), |i| i + from);
    buf.drain(..at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    #[test]
    fn good_messages_pass_and_bad_ones_are_replaced() {
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let mut buf = [frame("{ nope"), frame(good), frame(r#"{"hello":1}"#)].concat();
        let Some(Frame::Bad(why)) = next_frame(&mut buf) else { panic!() };
        assert!(why.contains("not JSON"), "{why}");
        assert_eq!(next_frame(&mut buf), Some(Frame::Message(good.as_bytes().to_vec())));
        let Some(Frame::Bad(why)) = next_frame(&mut buf) else { panic!() };
        assert!(why.contains("not a JSON-RPC"), "{why}");
        assert_eq!(next_frame(&mut buf), None);
        assert!(buf.is_empty());
    }

    #[test]
    fn partial_frames_wait_for_more() {
        let mut buf = frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
        let mut partial = buf.split_off(30);
        assert_eq!(next_frame(&mut buf), None);
        buf.append(&mut partial);
        assert!(matches!(next_frame(&mut buf), Some(Frame::Message(_))));
    }

    #[test]
    fn a_header_without_length_is_skipped() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let mut buf = [b"X-Nothing: 1\r\n\r\n".to_vec(), frame(good)].concat();
        assert!(matches!(next_frame(&mut buf), Some(Frame::Bad(_))));
        assert_eq!(next_frame(&mut buf), Some(Frame::Message(good.as_bytes().to_vec())));
    }
}
