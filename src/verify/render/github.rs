//! The report as GitHub Actions workflow commands (`--format github`): one
//! `::error` annotation per failure, on the unit's lines of the pull
//! request's diff, a `::notice` per overridden failure and a `::warning`
//! per warning, then the verdict as a plain line.
//!
//! The runner reads every line of a step's output that starts with `::` as
//! a command, so an author who could start a line could forge a passing
//! notice, mask text (`::add-mask::`) or stop command processing
//! (`::stop-commands::`). Every value is first shown through
//! [`crate::display::line`] (no line breaks, hidden characters visible),
//! then escaped as the runner un-escapes it: in the message `%`, CR and LF;
//! in a property (`file=`, `title=`) also `:` and `,`, which would end the
//! property or the property list.

use super::*;

/// One command's message: `%`, CR and LF escaped (the message may hold
/// line breaks of our own, written as `%0A` by [`lines`]).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// One property value: the message's escapes, and `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Lines of a message, each shown through [`display::line`], joined by an
/// escaped line break.
fn lines<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts.into_iter().map(|p| escape_data(&display::line(p))).collect::<Vec<_>>().join("%0A")
}

/// `::KIND file=…,line=…,endLine=…,title=…::message`.
fn command(kind: &str, failure: &Failure, title: &str, message: &str) -> String {
    let mut properties = Vec::new();
    if let Some(path) = &failure.path {
        properties.push(format!("file={}", escape_property(&display::line(path))));
        if let Some(line) = failure.line {
            properties.push(format!("line={line}"));
            let end = failure.end_line.unwrap_or(line).max(line);
            properties.push(format!("endLine={end}"));
        }
    }
    properties.push(format!("title={}", escape_property(&display::line(title))));
    format!("::{kind} {}::{message}\n", properties.join(","))
}

/// The annotation's title: what failed, about what.
fn title(failure: &Failure) -> String {
    let what = match (&failure.kind, &failure.name) {
        (Some(kind), Some(name)) => format!(" ({kind} {name})"),
        (Some(kind), None) => format!(" ({kind})"),
        _ => String::new(),
    };
    format!("vouch {}{what}", failure.rule.short())
}

/// The report as workflow commands.
pub fn render_github(report: &Report) -> String {
    let mut out = String::new();
    for warning in &report.warnings {
        let _ = writeln!(out, "::warning title=vouch::{}", lines([warning.as_str()]));
    }
    for failure in &report.failures {
        let mut parts: Vec<String> = vec![failure.reason.clone()];
        parts.extend(failure.details.iter().cloned());
        if let Some(command) = approve_command(report, failure) {
            parts.push(format!("to approve: {command}"));
        }
        let message = lines(parts.iter().map(String::as_str));
        out.push_str(&command("error", failure, &title(failure), &message));
    }
    for o in &report.overridden {
        let reason = format!("{} (overridden by {})", o.failure.reason, short(&o.by_override));
        out.push_str(&command("notice", &o.failure, &title(&o.failure), &lines([reason.as_str()])));
    }
    // The verdict, as a line the runner does not read as a command.
    let _ = writeln!(
        out,
        "vouch verify {}: {} unit(s) approved, {} failure(s), {} overridden",
        if report.passed() { "PASS" } else { "FAIL" },
        report.approved.len(),
        report.failures.len(),
        report.overridden.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_runner() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
