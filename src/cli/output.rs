//! Terminal output: colour only on a terminal, never with `NO_COLOR`;
//! progress on standard error only when it is a terminal (never in CI logs,
//! pipes or files); errors shown with their hidden characters visible; and
//! output into a closed pipe (`vouch log | head -1`) ends vouch as it ends
//! other Unix tools.

use std::io::IsTerminal;

/// Whether and how to colour text for one stream.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colour for standard output: only when it is a terminal and
    /// `NO_COLOR` is unset or empty (https://no-color.org).
    pub fn stdout() -> Style {
        Style::decide(std::io::stdout().is_terminal())
    }

    pub fn stderr() -> Style {
        Style::decide(std::io::stderr().is_terminal())
    }

    fn decide(terminal: bool) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style { color: terminal && !no_color }
    }

    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// End the process as a Unix tool ends when its reader went away: killed by
/// SIGPIPE, quietly (a shell reports exit status 141; with `set -o
/// pipefail` the pipeline fails, so `vouch verify | head` can never turn a
/// failure into a pass).
///
/// Rust ignores SIGPIPE so that a write into a closed pipe is an error
/// rather than death; vouch keeps that for the pipes to its child processes
/// (git may exit before reading all its input) and applies the Unix
/// behaviour only to its own output, here.
pub fn broken_pipe() -> ! {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal and raising it
    // in the current process; no handler runs and no memory is touched.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    // Not reached on Unix; elsewhere, the status a shell would show.
    std::process::exit(141)
}

/// Make every write to standard output or standard error that finds the
/// pipe closed end the process through [`broken_pipe`]. `println!` and its
/// kin panic on a failed write; the panic hook recognises that panic (its
/// message is std's "failed printing to stdout: … (os error 32)") and ends
/// the process before the panic message is printed. A write to standard
/// error that fails otherwise (a full disk) ends it with status 2. Other
/// panics are reported as before.
pub fn end_quietly_on_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if is_broken_pipe_panic(message) {
            broken_pipe();
        }
        // Standard error that cannot be written (a full disk): what vouch
        // had to say is lost, and so is the panic's report; it ends as an
        // error it could not report would, with 2, not a crash's 101.
        if message.starts_with("failed printing to stderr") {
            std::process::exit(2);
        }
        report(info);
    }));
}

fn is_broken_pipe_panic(message: &str) -> bool {
    let epipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
    let os = std::io::Error::from_raw_os_error(libc::EPIPE);
    (message.starts_with("failed printing to stdout") || message.starts_with("failed printing to stderr"))
        && (message.ends_with(&epipe.to_string()) || message.ends_with(&os.to_string()))
}

/// Whether `error` is, at its root, a write into a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

/// An error as shown on standard error: hidden characters made visible
/// (see [`crate::display`]; the message may quote file names and records
/// the author wrote), and every line after the first indented, so that no
/// part of it can pass for a line of its own in a CI log.
pub fn error_text(error: &anyhow::Error) -> String {
    // `{:#}`'s chain, but a cause the error before it already ends with
    // (it names its cause in its own message) is said once.
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if text.ends_with(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    let shown = crate::display::block(&text);
    let mut out = String::with_capacity(shown.len());
    for (i, line) in shown.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.starts_with(' ') {
                out.push_str("  ");
            }
        }
        out.push_str(line);
    }
    out
}

/// Whether progress may be drawn: standard error is a terminal, not a dumb
/// one.
fn progress_wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// A spinner on standard error for work whose steps are not counted, or
/// `None` where no one watches.
pub fn spinner(what: &str) -> Option<indicatif::ProgressBar> {
    if !progress_wanted() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_style_adds_nothing() {
        assert_eq!(Style::plain().red("x"), "x");
        assert_eq!(Style { color: true }.red("x"), "\x1b[31mx\x1b[0m");
    }

    #[test]
    fn the_panic_of_a_write_into_a_closed_pipe_is_recognised() {
        let epipe = std::io::Error::from_raw_os_error(libc::EPIPE);
        assert!(is_broken_pipe_panic(&format!("failed printing to stdout: {epipe}")));
        assert!(is_broken_pipe_panic(&format!("failed printing to stderr: {epipe}")));
        assert!(!is_broken_pipe_panic("failed printing to stdout: No space left on device (os error 28)"));
        assert!(!is_broken_pipe_panic(&format!("index out of bounds {epipe}")));
        assert!(is_broken_pipe(&anyhow::Error::from(epipe).context("cannot write")));
    }

    #[test]
    fn errors_show_hidden_characters_and_cannot_forge_a_line() {
        let e = anyhow::anyhow!("no request \x1b[2Kabc\n::notice::PASS\n  open requests");
        assert_eq!(error_text(&e), "no request ‹ESC›[2Kabc\n  ::notice::PASS\n  open requests");
        // A cause the message already names is said once.
        #[derive(Debug, thiserror::Error)]
        #[error("cannot read the history: {0}")]
        struct Outer(#[source] std::io::Error);
        let e = anyhow::Error::new(Outer(std::io::Error::other("blob 12ab is missing"))).context("cannot verify a..b");
        assert_eq!(error_text(&e), "cannot verify a..b: cannot read the history: blob 12ab is missing");
    }
}
