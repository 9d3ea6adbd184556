//! A minimal LSP client that drives the real `vouch lsp` binary over stdio.

// Each test binary uses a different part of the support code.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const TIMEOUT: Duration = Duration::from_secs(20);

thread_local! {
    /// `initializationOptions` the next server started on this thread sends
    /// (see [`Server::start_with_options`]).
    static INIT_OPTIONS: std::cell::RefCell<Value> = const { std::cell::RefCell::new(Value::Null) };
}

pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Notifications and server requests read while waiting for something else.
    pub backlog: VecDeque<Value>,
    next_id: i64,
    pub encoding: String,
}

impl Server {
    /// Start `vouch lsp` in `cwd` and initialize it, offering `encodings`.
    pub fn start(cwd: &Path, encodings: &[&str]) -> Server {
        Server::start_with_env(cwd, encodings, &[])
    }

    /// Start `vouch lsp` as a client that sends `options` as its
    /// `initializationOptions` (what the editor plugins say they do).
    pub fn start_with_options(cwd: &Path, encodings: &[&str], options: Value) -> Server {
        INIT_OPTIONS.with(|o| *o.borrow_mut() = options);
        let server = Server::start(cwd, encodings);
        INIT_OPTIONS.with(|o| *o.borrow_mut() = Value::Null);
        server
    }

    pub fn start_with_env(cwd: &Path, encodings: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
        cmd.arg("lsp").current_dir(cwd).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("vouch starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let msg: Value = serde_json::from_slice(&body).expect("server sends JSON");
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut server =
            Server { child, stdin, incoming: rx, backlog: VecDeque::new(), next_id: 1, encoding: String::new() };
        let caps = json!({
            "general": { "positionEncodings": encodings },
            "workspace": { "codeLens": { "refreshSupport": false } },
        });
        let root = format!("file://{}", cwd.display());
        let options = INIT_OPTIONS.with(|o| o.borrow().clone());
        let init = server.request(
            "initialize",
            json!({ "processId": null, "rootUri": root, "capabilities": caps, "initializationOptions": options }),
        );
        server.encoding = init["capabilities"]["positionEncoding"].as_str().unwrap_or("utf-16").to_string();
        server.notify("initialized", json!({}));
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send_raw(&mut self, body: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(body).unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, msg: Value) {
        let body = serde_json::to_vec(&msg).unwrap();
        self.send_raw(&body);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Send a request and return the whole response (with `result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline).unwrap_or_else(|| panic!("no reply to {method} in {TIMEOUT:?}"));
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return msg;
            }
            self.backlog.push_back(msg);
        }
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let reply = self.request_raw(method, params);
        assert!(reply.get("error").is_none(), "{method} failed: {reply}");
        reply["result"].clone()
    }

    fn recv(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(wait) {
                Ok(msg) => {
                    // Answer requests from the server so it never waits on us.
                    if msg.get("id").is_some() && msg.get("method").is_some() {
                        let reply = json!({ "jsonrpc": "2.0", "id": msg["id"], "result": null });
                        self.send(reply);
                        continue;
                    }
                    return Some(msg);
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Wait for a notification `method` whose params satisfy `pred`.
    pub fn wait_for(&mut self, method: &str, mut pred: impl FnMut(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(|m| m["method"] == method && pred(&m["params"])) {
            return self.backlog.remove(i).unwrap()["params"].clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let Some(msg) = self.recv(deadline) else {
                let seen: Vec<String> = self.backlog.iter().map(|m| m.to_string()).collect();
                panic!("no {method} matching in {TIMEOUT:?}; seen: {seen:#?}");
            };
            if msg["method"] == method && pred(&msg["params"]) {
                return msg["params"].clone();
            }
            self.backlog.push_back(msg);
        }
    }

    /// The diagnostics published for `uri` at `version`.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let p = self.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri && p["version"] == version);
        p["diagnostics"].as_array().unwrap().clone()
    }

    pub fn open(&mut self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } }),
        );
    }

    pub fn change(&mut self, uri: &str, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
        );
    }

    pub fn document(&mut self, uri: &str) -> Value {
        self.request("vouch/debug/document", json!({ "uri": uri }))
    }

    /// Shut down through the protocol and check the process exits cleanly.
    pub fn shutdown(mut self) {
        let reply = self.request_raw("shutdown", Value::Null);
        assert!(reply.get("error").is_none(), "shutdown failed: {reply}");
        self.notify("exit", Value::Null);
        // stdin stays open, as editors keep it: `exit` alone must end the
        // server (Neovim waits, then kills a server that lingers).
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "vouch lsp exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "vouch lsp did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}
