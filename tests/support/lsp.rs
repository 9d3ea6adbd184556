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
    /// The `clientInfo` the next server started is given (`Value::Null`:
    /// none, as the harness sends by default).
    static CLIENT_INFO: std::cell::RefCell<Value> = const { std::cell::RefCell::new(Value::Null) };
    /// Whether the next server started is told the client can be asked to
    /// refresh its code lenses (see [`Server::start_with_lens_refresh`]).
    static LENS_REFRESH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Notifications and server requests read while waiting for something else.
    pub backlog: VecDeque<Value>,
    next_id: i64,
    pub encoding: String,
    /// The methods of the requests the server sent (each answered with
    /// `null` as it came).
    asked: Vec<String>,
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

    /// Start `vouch lsp` as the client `name` says it is (`clientInfo`:
    /// "Neovim", "helix", "Visual Studio Code").
    pub fn start_as(cwd: &Path, encodings: &[&str], name: &str) -> Server {
        CLIENT_INFO.with(|c| *c.borrow_mut() = json!({ "name": name }));
        let server = Server::start(cwd, encodings);
        CLIENT_INFO.with(|c| *c.borrow_mut() = Value::Null);
        server
    }

    /// Start `vouch lsp` as a client that can be asked to refresh its code
    /// lenses (`workspace.codeLens.refreshSupport`, as VS Code says).
    pub fn start_with_lens_refresh(cwd: &Path, encodings: &[&str]) -> Server {
        LENS_REFRESH.with(|r| r.set(true));
        let server = Server::start(cwd, encodings);
        LENS_REFRESH.with(|r| r.set(false));
        server
    }

    pub fn start_with_env(cwd: &Path, encodings: &[&str], env: &[(&str, &str)]) -> Server {
        Server::initialize(Server::spawn(cwd, env), cwd, encodings)
    }

    /// Like `start_with_env`, with the server's standard error thrown away
    /// (for tests that make it panic on purpose).
    pub fn start_quiet(cwd: &Path, encodings: &[&str], env: &[(&str, &str)]) -> Server {
        Server::initialize(Server::spawn_with(cwd, env, Stdio::null()), cwd, encodings)
    }

    fn initialize(mut server: Server, cwd: &Path, encodings: &[&str]) -> Server {
        server.next_id = 1;
        let caps = json!({
            "general": { "positionEncodings": encodings },
            "workspace": { "codeLens": { "refreshSupport": LENS_REFRESH.with(|r| r.get()) } },
        });
        let root = format!("file://{}", cwd.display());
        let options = INIT_OPTIONS.with(|o| o.borrow().clone());
        let mut params =
            json!({ "processId": null, "rootUri": root, "capabilities": caps, "initializationOptions": options });
        let client = CLIENT_INFO.with(|c| c.borrow().clone());
        if !client.is_null() {
            params["clientInfo"] = client;
        }
        let init = server.request("initialize", params);
        server.encoding = init["capabilities"]["positionEncoding"].as_str().unwrap_or("utf-16").to_string();
        server.notify("initialized", json!({}));
        server
    }

    /// Start `vouch lsp` in `cwd` without initializing it (to replay a
    /// recorded session, which does). The requests this harness makes get
    /// ids from 1,000,000 on, clear of the recorded ones.
    pub fn spawn(cwd: &Path, env: &[(&str, &str)]) -> Server {
        Server::spawn_with(cwd, env, Stdio::inherit())
    }

    /// Start `bin` (a build of vouch: benchmarks compare builds) as `vouch
    /// lsp` in `cwd` with `env` set, its standard error thrown away, and
    /// initialize it.
    pub fn start_binary(bin: &Path, cwd: &Path, encodings: &[&str], env: &[(&str, &str)]) -> Server {
        Server::initialize(Server::spawn_binary(bin.as_os_str(), cwd, env, Stdio::null()), cwd, encodings)
    }

    fn spawn_with(cwd: &Path, env: &[(&str, &str)], stderr: Stdio) -> Server {
        // `VOUCH_REPLAY_SERVER` names another build of vouch to run under
        // the same harness (the replay benchmark compares builds with it).
        let bin = std::env::var_os("VOUCH_REPLAY_SERVER").unwrap_or_else(|| env!("CARGO_BIN_EXE_vouch").into());
        Server::spawn_binary(&bin, cwd, env, stderr)
    }

    /// Start the server as a terminal editor (Neovim, Helix) runs it: in
    /// a session whose controlling terminal is `terminal`'s, so that what
    /// it starts can open `/dev/tty`.
    pub fn start_on_terminal(cwd: &Path, options: Value, env: &[(&str, &str)], terminal: &Terminal) -> Server {
        let tty = terminal.name.clone();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
        // SAFETY: setsid and open are async-signal-safe; the path was
        // made before the fork.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // The first terminal a session leader opens becomes its
                // controlling terminal.
                let fd = libc::open(tty.as_ptr(), libc::O_RDWR);
                if fd == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(fd);
                Ok(())
            });
        }
        INIT_OPTIONS.with(|o| *o.borrow_mut() = options);
        let server = Server::initialize(Server::spawn_command(cmd, cwd, env, Stdio::inherit()), cwd, &["utf-16"]);
        INIT_OPTIONS.with(|o| *o.borrow_mut() = Value::Null);
        server
    }

    fn spawn_binary(bin: &std::ffi::OsStr, cwd: &Path, env: &[(&str, &str)], stderr: Stdio) -> Server {
        Server::spawn_command(Command::new(bin), cwd, env, stderr)
    }

    fn spawn_command(mut cmd: Command, cwd: &Path, env: &[(&str, &str)], stderr: Stdio) -> Server {
        cmd.arg("lsp").current_dir(cwd).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(stderr);
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
        Server {
            child,
            stdin,
            incoming: rx,
            backlog: VecDeque::new(),
            next_id: 1_000_000,
            encoding: String::new(),
            asked: Vec::new(),
        }
    }

    /// Send a recorded message; for a request, wait for its reply and
    /// return it.
    pub fn replay(&mut self, msg: &Value) -> Option<Value> {
        self.send(msg.clone());
        let id = msg.get("id")?;
        msg.get("method")?;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let reply = self.recv(deadline).unwrap_or_else(|| panic!("no reply to {msg} in {TIMEOUT:?}"));
            if reply.get("id") == Some(id) && reply.get("method").is_none() {
                return Some(reply);
            }
            self.backlog.push_back(reply);
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Close the server's standard input, as a client that went away does.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// How the process ended, waiting up to `TIMEOUT`; `None` if it runs on.
    pub fn wait_exit(&mut self) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Every message read so far and not yet consumed, then cleared.
    pub fn take_backlog(&mut self) -> Vec<Value> {
        self.backlog.drain(..).collect()
    }

    /// The messages of `window/showMessage` (or another notification)
    /// read so far whose params satisfy `pred`, consumed.
    pub fn take_notifications(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let (taken, kept): (Vec<Value>, Vec<Value>) =
            self.backlog.drain(..).partition(|m| m["method"] == method && pred(&m["params"]));
        self.backlog = kept.into();
        taken.into_iter().map(|m| m["params"].clone()).collect()
    }

    pub fn send_raw(&mut self, body: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(body).unwrap();
        stdin.flush().unwrap();
    }

    /// Write `bytes` to the server as they are, framed or not.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Check that no internal error (a panic the server survived) was
    /// reported: first make sure everything the server said so far has
    /// arrived (what it says leaves in order: the diagnostics of a document
    /// opened now come after it), then look.
    pub fn assert_no_internal_errors(&mut self, cwd: &Path) {
        let uri = format!("file://{}/vouch-sync-{}.txt", cwd.display(), self.next_id);
        self.open(&uri, "plaintext", "sync\n");
        self.diagnostics(&uri, 1);
        self.close(&uri);
        let errors: Vec<String> = self
            .backlog
            .iter()
            .filter(|m| m["method"] == "window/logMessage" || m["method"] == "window/showMessage")
            .filter_map(|m| m["params"]["message"].as_str())
            .filter(|m| m.contains("internal error"))
            .map(str::to_string)
            .collect();
        assert!(errors.is_empty(), "the server panicked: {errors:#?}");
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
        let id = self.send_request(method, params);
        self.response(id)
    }

    /// Send a request without waiting for its reply; its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// The whole response to request `id`, read now or earlier.
    pub fn response(&mut self, id: i64) -> Value {
        let is_it = |m: &Value| m.get("id") == Some(&json!(id)) && m.get("method").is_none();
        if let Some(i) = self.backlog.iter().position(is_it) {
            return self.backlog.remove(i).unwrap();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline).unwrap_or_else(|| panic!("no reply to request {id} in {TIMEOUT:?}"));
            if is_it(&msg) {
                return msg;
            }
            self.backlog.push_back(msg);
        }
    }

    /// Whether the reply to request `id` is among the messages read so
    /// far (and not consumed).
    pub fn answered(&self, id: i64) -> bool {
        self.backlog.iter().any(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
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
                        self.asked.push(msg["method"].as_str().unwrap_or_default().to_string());
                        continue;
                    }
                    return Some(msg);
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// How many requests `method` the server has sent so far (each is
    /// answered, and counted, as it is read).
    pub fn asked(&self, method: &str) -> usize {
        self.asked.iter().filter(|m| *m == method).count()
    }

    /// Wait until the server has sent `count` requests `method`; whether it
    /// did within [`TIMEOUT`].
    pub fn wait_asked(&mut self, method: &str, count: usize) -> bool {
        let deadline = Instant::now() + TIMEOUT;
        while self.asked(method) < count {
            if Instant::now() >= deadline {
                return false;
            }
            // In short waits: a request is answered and counted without
            // ending the wait it came in.
            if let Some(msg) = self.recv(Instant::now() + Duration::from_millis(50)) {
                self.backlog.push_back(msg);
            }
        }
        true
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

    pub fn close(&mut self, uri: &str) {
        self.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
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

/// The AI spans of a `vouch/debug/document` answer.
pub fn ai_spans(doc: &Value) -> Vec<&Value> {
    doc["spans"].as_array().unwrap().iter().filter(|s| s["origin"] == "ai").collect()
}

pub fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}

/// A naive model of how a `didChange` batch edits a buffer, sharing no code
/// with the server: lines are found one character at a time, each change
/// applies to the text the previous one left, and a bad position clamps the
/// way the server documents (a line past the end: the end of the text; a
/// column past the line's end: the line's end, before its break; a column
/// inside a character: that character's start).
pub mod model {
    use serde_json::Value;

    /// (start, end of content) byte offsets of each line.
    fn lines(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\n' || c == '\r' {
                let mut next = i + 1;
                if c == '\r' && chars.peek().map(|&(_, c)| c) == Some('\n') {
                    chars.next();
                    next += 1;
                }
                out.push((start, i));
                start = next;
            }
        }
        out.push((start, text.len()));
        out
    }

    fn units(c: char, encoding: &str) -> usize {
        match encoding {
            "utf-8" => c.len_utf8(),
            "utf-32" => 1,
            _ => c.len_utf16(),
        }
    }

    /// The byte offset an LSP position names in `text`, clamped.
    pub fn offset(text: &str, position: &Value, encoding: &str) -> usize {
        let line = position["line"].as_u64().unwrap_or(0) as usize;
        let column = position["character"].as_u64().unwrap_or(0) as usize;
        let Some(&(start, end)) = lines(text).get(line) else { return text.len() };
        let mut at = 0;
        for (i, c) in text[start..end].char_indices() {
            if at >= column {
                return start + i;
            }
            at += units(c, encoding);
            if at > column {
                return start + i;
            }
        }
        end
    }

    /// `text` after the changes of one `didChange`, applied in order.
    pub fn apply(text: &str, changes: &[Value], encoding: &str) -> String {
        let mut text = text.to_string();
        for change in changes {
            let new = change["text"].as_str().unwrap_or_default();
            match change.get("range") {
                Some(range) => {
                    let a = offset(&text, &range["start"], encoding);
                    let b = offset(&text, &range["end"], encoding);
                    text.replace_range(a.min(b)..a.max(b), new);
                }
                None => text = new.to_string(),
            }
        }
        text
    }
}

/// A pseudo-terminal, as a terminal editor runs in: what is written to it
/// (a prompt) can be read back.
pub struct Terminal {
    master: std::fs::File,
    /// The path of its terminal side (`/dev/pts/N`).
    pub name: std::ffi::CString,
}

impl Terminal {
    pub fn new() -> Terminal {
        use std::os::fd::FromRawFd;
        // SAFETY: plain calls on a descriptor this function owns; ptsname_r
        // writes at most the buffer's length.
        unsafe {
            let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK);
            assert!(fd >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
            assert_eq!(libc::grantpt(fd), 0, "grantpt");
            assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
            let mut buf = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(fd, buf.as_mut_ptr(), buf.len()), 0, "ptsname_r");
            let name = std::ffi::CStr::from_ptr(buf.as_ptr()).to_owned();
            Terminal { master: std::fs::File::from_raw_fd(fd), name }
        }
    }

    /// What was written to the terminal so far (and not read before).
    pub fn written(&mut self) -> String {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}
