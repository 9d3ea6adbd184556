//! Intent: why an agent wrote some text, in the words it used at the edit.
//!
//! When an agent hook records an edit, the user's prompt that started the
//! agent's turn and what the agent said just before the tool call are kept
//! with the edit's AI spans (an [`Intent`]), trimmed and with secrets
//! redacted, so that a reviewer months later sees *why* next to *what*.
//! How much is kept is the policy's `intent` key ([`IntentLevel`]):
//! `none`, `summary` (the default: a short excerpt, whitespace folded) or
//! `full` (longer, line breaks kept). Nothing is ever summarized by a
//! model: an excerpt is the agent's and the user's own words.
//!
//! Agents with no transcript vouch reads keep what their hook payloads
//! offer ([`Offered`], [`Intent::from_payload`]): Cursor's conversation and
//! generation ids, Codex's tool call and turn ids, and the words Gemini
//! CLI's model gives a tool call (a shell command's `description`, a
//! `replace`'s `instruction`), kept as the agent's words under the same
//! levels, trimming and redaction.
//!
//! Pure: the transcript's last bytes (or a payload's fields) come in, an
//! [`Intent`] goes out (the hook reads the file, see `store::transcript`). An intent is attacker
//! text: whoever drives the agent (or a prompt that steers it) writes it,
//! so every front end shows it through [`crate::display`], and it never
//! decides anything (no claim of origin, no approval).
//!
//! Not here: where intents are stored (the journal and the notes carry
//! them inside the AI attribution, see `provenance::Attribution::intent`
//! and `store::notes`), nor how front ends lay them out.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::provenance::Attribution;

/// How much of an agent's reasoning the policy keeps (`intent = ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntentLevel {
    /// Nothing: no prompt, no words of the agent, no ids.
    None,
    /// A short excerpt of the prompt and of what the agent said.
    #[default]
    Summary,
    /// Longer excerpts, line breaks kept; still bounded and redacted.
    Full,
}

impl IntentLevel {
    /// The longest prompt and agent text kept, in characters.
    fn limits(self) -> Option<(usize, usize)> {
        match self {
            IntentLevel::None => None,
            IntentLevel::Summary => Some((SUMMARY_PROMPT, SUMMARY_SAID)),
            IntentLevel::Full => Some((FULL_PROMPT, FULL_SAID)),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            IntentLevel::None => "none",
            IntentLevel::Summary => "summary",
            IntentLevel::Full => "full",
        }
    }
}

/// `summary`: the prompt's first characters.
pub const SUMMARY_PROMPT: usize = 300;
/// `summary`: what the agent said, first characters.
pub const SUMMARY_SAID: usize = 500;
/// `full`: the prompt's first characters.
pub const FULL_PROMPT: usize = 4000;
/// `full`: what the agent said, first characters.
pub const FULL_SAID: usize = 4000;
/// The most intent text one note keeps, in bytes of JSON: past it, later
/// records keep their AI lines and lose their intent (see
/// [`bound_intents`]).
pub const NOTE_BUDGET: usize = 32 << 10;
/// A single value (an id, a model) longer than this is cut.
const ID_MAX: usize = 200;

/// Why an agent wrote some text, as it said at the edit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Intent {
    /// The user's prompt that started the agent's turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// What the agent said just before the tool call that made the edit
    /// (Claude Code's transcript), or the words its model gave the tool
    /// call itself (Gemini CLI's `description` of a shell command,
    /// `instruction` of a `replace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub said: Option<String>,
    /// The tool call (Claude Code's and Codex's `tool_use_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// Cursor's `conversation_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// The turn: the agent's work on one message of the user (Cursor's
    /// `generation_id`, Codex's `turn_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    /// How many secrets were replaced with `[redacted]`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redacted: u32,
    /// Whether the prompt or the agent's text was cut to the policy's size.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What an agent's hook payload offers as intent besides a transcript,
/// raw, as the payload has it: [`Intent::from_payload`] keeps it as the
/// policy says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offered {
    /// Words the agent's model gave the tool call about its purpose
    /// (Gemini CLI's `description` of a shell command, `instruction` of a
    /// `replace`).
    pub said: Option<String>,
    /// The tool call's id (Codex's `tool_use_id`).
    pub call: Option<String>,
    /// Cursor's `conversation_id`.
    pub conversation: Option<String>,
    /// The turn's id (Cursor's `generation_id`, Codex's `turn_id`).
    pub generation: Option<String>,
}

impl Intent {
    /// Whether it says nothing a reviewer could read or look up (words, or
    /// an id of the agent's conversation, turn or tool call).
    pub fn is_empty(&self) -> bool {
        self.prompt.is_none()
            && self.said.is_none()
            && self.call.is_none()
            && self.conversation.is_none()
            && self.generation.is_none()
    }

    /// What a payload offers besides a transcript, at `level`: the ids
    /// trimmed and clipped, the words redacted and cut to the level's
    /// size for the agent's words (see [`excerpt`]); `None` when the
    /// policy keeps nothing or there is nothing.
    pub fn from_payload(offered: &Offered, level: IntentLevel) -> Option<Intent> {
        let (_, said_max) = level.limits()?;
        let id = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(clip_id);
        let mut intent = Intent {
            call: id(&offered.call),
            conversation: id(&offered.conversation),
            generation: id(&offered.generation),
            ..Intent::default()
        };
        if let Some(text) = &offered.said {
            let (kept, redacted, cut) = excerpt(text, said_max, level == IntentLevel::Full);
            if !kept.is_empty() {
                intent.said = Some(kept);
                intent.redacted = redacted;
                intent.cut = cut;
            }
        }
        (!intent.is_empty()).then_some(intent)
    }

    /// One line for a list (blame, the queue): the agent's words, else the
    /// prompt, with their origin. Raw: callers show it through `display`.
    pub fn headline(&self) -> Option<String> {
        if let Some(said) = &self.said {
            return Some(fold_whitespace(said));
        }
        if let Some(prompt) = &self.prompt {
            return Some(format!("(prompt) {}", fold_whitespace(prompt)));
        }
        None
    }

    /// Its size in a note, in bytes of JSON.
    pub fn weight(&self) -> usize {
        serde_json::to_string(self).map_or(0, |s| s.len())
    }
}

/// The intent behind tool call `call` in the last bytes of a Claude Code
/// transcript: the user prompt that started its turn and what the
/// assistant said before it (the nearest text of the turn before the tool
/// call; the last tool call when `call` is `None` or not among these
/// bytes). `whole` says whether `tail` starts at the file's start; when
/// not, its first line (cut) is skipped. Malformed lines are skipped.
pub fn from_transcript(tail: &[u8], whole: bool, call: Option<&str>, level: IntentLevel) -> Option<Intent> {
    from_transcript_text(&String::from_utf8_lossy(tail), whole, call, level)
}

/// [`from_transcript`] of a tail already read as text (invalid UTF-8
/// replaced).
///
/// Only the lines that can matter are parsed as JSON: a line is looked
/// at for the tool call only when it holds the call's id (or a `\u`
/// escape, which could spell it), and from the call back only as far as
/// the prompt that started its turn; the tool results after the call
/// (often most of the bytes read) are never parsed. The answer is the
/// one a parse of every line gives (a test compares them).
pub fn from_transcript_text(text: &str, whole: bool, call: Option<&str>, level: IntentLevel) -> Option<Intent> {
    // A level that keeps nothing reads nothing.
    level.limits()?;
    // The first line may be cut anywhere: it is not a record.
    let text = if whole { text } else { &text[text.find('\n')? + 1..] };
    let lines: Vec<&str> = text.lines().collect();
    let target = call.and_then(|id| first_call(&lines, id)).or_else(|| last_call(&lines));
    // The entries before the call, newest first: of its own line, then of
    // each line before it.
    let (line, entries, at) = match target {
        Some((line, entries, at)) => (line, entries, at),
        None => (lines.len(), Vec::new(), 0),
    };
    let mut prompt: Option<String> = None;
    let mut said: Option<String> = None;
    // Lines are parsed as the walk back reaches them.
    let before = entries[..at]
        .iter()
        .rev()
        .cloned()
        .chain(lines[..line].iter().rev().flat_map(|l| parse_line(l).into_iter().rev()));
    for entry in before {
        match entry {
            Entry::Prompt(p) => {
                prompt = Some(p);
                break;
            }
            Entry::Said(s) if said.is_none() => said = Some(s),
            _ => {}
        }
    }
    let call = call.map(clip_id).or_else(|| match entries.get(at) {
        Some(Entry::Call(id)) => Some(clip_id(id)),
        _ => None,
    });
    kept_intent(call, prompt.as_deref(), said.as_deref(), level)
}

/// The intent of a tool call `call` from its turn's `prompt` and the
/// agent's last words before it (`said`), each excerpted to what `level`
/// keeps; `None` when neither keeps anything.
fn kept_intent(call: Option<String>, prompt: Option<&str>, said: Option<&str>, level: IntentLevel) -> Option<Intent> {
    let (prompt_max, said_max) = level.limits()?;
    let mut intent = Intent { call, ..Intent::default() };
    let keep_lines = level == IntentLevel::Full;
    for (slot, text, max) in [(&mut intent.prompt, prompt, prompt_max), (&mut intent.said, said, said_max)] {
        let Some(text) = text else { continue };
        let (kept, redacted, cut) = excerpt(text, max, keep_lines);
        intent.redacted += redacted;
        intent.cut |= cut;
        if !kept.is_empty() {
            *slot = Some(kept);
        }
    }
    (intent.prompt.is_some() || intent.said.is_some()).then_some(intent)
}

/// The first mention of tool call `id` among `lines`: the line, its
/// entries, and the call's place among them. A line is parsed only when
/// it can hold the id: it holds it as written, or a `\u` escape (JSON may
/// spell any character so); an id with a character JSON escapes otherwise
/// (a quote, a backslash, a slash, a control character) is looked for in
/// every line.
fn first_call(lines: &[&str], id: &str) -> Option<(usize, Vec<Entry>, usize)> {
    let verbatim = !id.chars().any(|c| c == '"' || c == '\\' || c == '/' || c.is_control());
    lines.iter().enumerate().find_map(|(i, line)| {
        if verbatim && !line.contains(id) && !line.contains("\\u") {
            return None;
        }
        let entries = parse_line(line);
        let at = entries.iter().position(|e| matches!(e, Entry::Call(c) if c == id))?;
        Some((i, entries, at))
    })
}

/// The last tool call among `lines`, as [`first_call`] returns it; only
/// lines that name a `tool_use` (or hold a `\u` escape) are parsed.
fn last_call(lines: &[&str]) -> Option<(usize, Vec<Entry>, usize)> {
    lines.iter().enumerate().rev().find_map(|(i, line)| {
        if !line.contains("tool_use") && !line.contains("\\u") {
            return None;
        }
        let entries = parse_line(line);
        let at = entries.iter().rposition(|e| matches!(e, Entry::Call(_)))?;
        Some((i, entries, at))
    })
}

/// What one transcript line says, for finding an intent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A prompt the user typed (not a tool's result).
    Prompt(String),
    /// Text the assistant wrote.
    Said(String),
    /// A tool call, by id.
    Call(String),
}

fn parse_line(line: &str) -> Vec<Entry> {
    let Ok(value) = serde_json::from_str::<Value>(line.trim()) else { return Vec::new() };
    if value.get("isMeta").and_then(Value::as_bool) == Some(true) {
        return Vec::new();
    }
    let Some(content) = value.get("message").and_then(|m| m.get("content")) else { return Vec::new() };
    match value.get("type").and_then(Value::as_str) {
        Some("user") => {
            let text = match content {
                Value::String(s) => s.clone(),
                Value::Array(blocks) => {
                    // A tool's result comes back as a user entry: not a prompt.
                    if blocks.iter().any(|b| b.get("type").and_then(Value::as_str) == Some("tool_result")) {
                        return Vec::new();
                    }
                    blocks
                        .iter()
                        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                        .filter_map(|b| b.get("text").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
                _ => return Vec::new(),
            };
            if text.trim().is_empty() { Vec::new() } else { vec![Entry::Prompt(text)] }
        }
        Some("assistant") => {
            let Value::Array(blocks) = content else { return Vec::new() };
            blocks
                .iter()
                .filter_map(|b| match b.get("type").and_then(Value::as_str) {
                    Some("text") => b
                        .get("text")
                        .and_then(Value::as_str)
                        .filter(|t| !t.trim().is_empty())
                        .map(|t| Entry::Said(t.to_string())),
                    Some("tool_use") => b.get("id").and_then(Value::as_str).map(|id| Entry::Call(id.to_string())),
                    _ => None,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// `text` redacted and cut to `max` characters: (excerpt, secrets
/// redacted, whether it was cut). Only a window a little longer than
/// `max` is redacted, so a huge message costs what its excerpt does; a
/// secret that starts inside the excerpt ends inside the window.
pub fn excerpt(text: &str, max: usize, keep_lines: bool) -> (String, u32, bool) {
    let window_end = text.char_indices().nth(max + 1024).map_or(text.len(), |(i, _)| i);
    let (redacted, count) = redact(&text[..window_end]);
    let shaped = if keep_lines { tidy_lines(&redacted) } else { fold_whitespace(&redacted) };
    let cut = window_end < text.len() || shaped.chars().count() > max;
    let mut kept: String = shaped.chars().take(max).collect();
    if cut {
        kept = kept.trim_end().to_string();
        kept.push('…');
    }
    (kept, count, cut)
}

/// Runs of whitespace (line breaks included) as one space, trimmed: an
/// excerpt on one line of a terminal or a table (still raw: show it
/// through `display`).
pub fn fold_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trailing spaces removed, at most one blank line in a row, trimmed.
fn tidy_lines(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        blank = if line.is_empty() { blank + 1 } else { 0 };
        if blank < 2 {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

fn clip_id(id: &str) -> String {
    id.chars().take(ID_MAX).collect()
}

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// A pattern of what looks like a secret, with a test that holds of every
/// text the pattern can match (a literal it needs). The pattern is compiled
/// and run only on a text that passes the test: compiling them all costs an
/// agent hook about 2 ms on every edit, and most texts need none of them.
/// The tests never change what is redacted (see the tests below, which
/// compare with every pattern run on every text).
struct Pattern {
    source: &'static str,
    /// A necessary condition for a match in a text.
    needs: fn(&str) -> bool,
    regex: OnceLock<Regex>,
}

impl Pattern {
    const fn new(source: &'static str, needs: fn(&str) -> bool) -> Pattern {
        Pattern { source, needs, regex: OnceLock::new() }
    }

    /// The compiled pattern when `text` may hold a match.
    fn for_text(&self, text: &str) -> Option<&Regex> {
        (self.needs)(text).then(|| self.regex.get_or_init(|| Regex::new(self.source).expect("the pattern is valid")))
    }
}

fn any_of(text: &str, literals: &[&str]) -> bool {
    literals.iter().any(|l| text.contains(l))
}

/// `text` as `(?i)` compares it for patterns written in ASCII: lowercase,
/// with the two characters whose case folds into ASCII letters (U+017F
/// LATIN SMALL LETTER LONG S, U+212A KELVIN SIGN) made `s` and `k`.
fn folded(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{17F}' => 's',
            '\u{212A}' => 'k',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Patterns of secrets, each replaced whole by [`REDACTED`].
static SECRETS: [Pattern; 12] = [
    // Private key blocks (PEM, OpenSSH), to their end or the text's end.
    Pattern::new(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)",
        |t| t.contains("-----BEGIN "),
    ),
    // AWS access key ids.
    Pattern::new(r"\b(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[0-9A-Z]{16}\b", |t| {
        any_of(t, &["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "APKA"])
    }),
    // GitHub tokens.
    Pattern::new(r"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,255}\b", |t| {
        any_of(t, &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])
    }),
    Pattern::new(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b", |t| t.contains("github_pat_")),
    // GitLab tokens.
    Pattern::new(r"\b(glpat|gldt|glrt|glptt|glsoat|glcbt|gloas)-[A-Za-z0-9_\-]{20,}", |t| {
        any_of(t, &["glpat-", "gldt-", "glrt-", "glptt-", "glsoat-", "glcbt-", "gloas-"])
    }),
    // Slack tokens and webhooks.
    Pattern::new(r"\bxox[abposre]-[A-Za-z0-9\-]{10,}", |t| t.contains("xox")),
    Pattern::new(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+", |t| {
        t.contains("https://hooks.slack.com/services/")
    }),
    // OpenAI, Anthropic and similar keys; Stripe keys.
    Pattern::new(r"\bsk-[A-Za-z0-9_\-]{16,}", |t| t.contains("sk-")),
    Pattern::new(r"\b[rsp]k_(live|test)_[A-Za-z0-9]{16,}", |t| any_of(t, &["k_live_", "k_test_"])),
    // Google API keys.
    Pattern::new(r"\bAIza[0-9A-Za-z_\-]{35}", |t| t.contains("AIza")),
    // JSON Web Tokens.
    Pattern::new(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", |t| t.contains("eyJ")),
    // Bearer tokens.
    Pattern::new(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{16,}", |t| folded(t).contains("bearer")),
];

/// `password=...`, `api_key: "..."`, `export TOKEN=...`: the value.
static ASSIGNMENT: Pattern = Pattern::new(
    r#"(?i)\b([A-Za-z0-9_\-]*(password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credentials?|auth)[A-Za-z0-9_\-]*)(["']?\s*[:=]\s*)("[^"\n]*"|'[^'\n]*'|[^\s,;]+)"#,
    |t| {
        (t.contains(':') || t.contains('='))
            && any_of(&folded(t), &["passw", "pwd", "secret", "token", "key", "credential", "auth"])
    },
);

/// Credentials in a URL (`https://user:pass@host`).
static URL_CREDENTIALS: Pattern = Pattern::new(r"://[^/\s:@]+:[^/\s@]+@", |t| t.contains("://") && t.contains('@'));

/// Long runs of token characters: candidates for a high-entropy secret.
static LONG_TOKEN: Pattern = Pattern::new(r"[A-Za-z0-9+/=_\-]{32,}", |t| {
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"+/=_-".contains(b);
    let mut run = 0;
    t.as_bytes().iter().any(|b| {
        run = if token(b) { run + 1 } else { 0 };
        run >= 32
    })
});

/// `text` with what looks like a secret replaced by [`REDACTED`], and how
/// many were: key blocks, cloud and forge tokens, `sk-` keys, JWTs, bearer
/// tokens, the value of `password=`-like assignments, URL credentials,
/// and long strings of high entropy.
pub fn redact(text: &str) -> (String, u32) {
    redact_with(text, &|pattern: &'static Pattern, text: &str| pattern.for_text(text).cloned())
}

/// [`redact`], each pattern given by `compiled` (none: it cannot match).
fn redact_with(text: &str, compiled: &dyn Fn(&'static Pattern, &str) -> Option<Regex>) -> (String, u32) {
    let mut count = 0u32;
    let mut out = text.to_string();
    for pattern in &SECRETS {
        let Some(regex) = compiled(pattern, &out) else { continue };
        let replaced = regex.replace_all(&out, |_: &regex::Captures<'_>| {
            count += 1;
            REDACTED
        });
        out = replaced.into_owned();
    }
    if let Some(regex) = compiled(&ASSIGNMENT, &out) {
        let replaced = regex.replace_all(&out, |c: &regex::Captures<'_>| {
            let value = c.get(4).map_or("", |m| m.as_str());
            let bare = value.trim_matches(|ch| ch == '"' || ch == '\'');
            // Already redacted, or a placeholder word rather than a value.
            if bare.is_empty() || bare == REDACTED || bare.len() < 4 {
                return c[0].to_string();
            }
            count += 1;
            format!("{}{}{REDACTED}", &c[1], &c[3])
        });
        out = replaced.into_owned();
    }
    if let Some(regex) = compiled(&URL_CREDENTIALS, &out) {
        let replaced = regex.replace_all(&out, |_: &regex::Captures<'_>| {
            count += 1;
            format!("://{REDACTED}@")
        });
        out = replaced.into_owned();
    }
    if let Some(regex) = compiled(&LONG_TOKEN, &out) {
        let replaced = regex.replace_all(&out, |c: &regex::Captures<'_>| {
            let token = &c[0];
            if looks_random(token) {
                count += 1;
                REDACTED.to_string()
            } else {
                token.to_string()
            }
        });
        out = replaced.into_owned();
    }
    (out, count)
}

/// Whether a long token looks like a random secret: letters and digits
/// mixed, and a Shannon entropy a word, a path or a hex commit id does
/// not reach (hex tops out at 4 bits a character).
fn looks_random(token: &str) -> bool {
    let digits = token.bytes().filter(u8::is_ascii_digit).count();
    let upper = token.bytes().filter(u8::is_ascii_uppercase).count();
    let lower = token.bytes().filter(u8::is_ascii_lowercase).count();
    if digits == 0 || (upper == 0 && lower == 0) {
        return false;
    }
    let mut counts = [0usize; 256];
    for b in token.bytes() {
        counts[b as usize] += 1;
    }
    let n = token.len() as f64;
    let entropy: f64 = counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum();
    entropy > 4.2 && upper > 0 && lower > 0
}

/// Markdown list items for a hover: the prompt and the agent's words, each
/// folded on one line and shown through [`crate::display::markdown`].
pub fn markdown(intent: &Intent) -> String {
    let shown = |text: &str| crate::display::markdown(&fold_whitespace(text));
    let mut md = String::new();
    if let Some(prompt) = &intent.prompt {
        md.push_str(&format!("- prompt: {}\n", shown(prompt)));
    }
    if let Some(said) = &intent.said {
        md.push_str(&format!("- agent's intent: {}\n", shown(said)));
    }
    for (label, id) in
        [("conversation", &intent.conversation), ("turn (generation)", &intent.generation), ("tool call", &intent.call)]
    {
        if let Some(id) = id {
            md.push_str(&format!("- {label}: {}\n", crate::display::markdown_code(id)));
        }
    }
    md
}

/// One line per prompt and per agent statement of `intents`, labelled, for
/// a list of particulars (verify's details). Raw: shown through `display`.
pub fn details(intents: &[Intent]) -> Vec<String> {
    let mut out = Vec::new();
    for intent in intents {
        if let Some(prompt) = &intent.prompt {
            out.push(format!("prompt: {}", fold_whitespace(prompt)));
        }
        if let Some(said) = &intent.said {
            out.push(format!("agent's intent: {}", fold_whitespace(said)));
        }
    }
    out
}

/// The most intents a unit carries in a request (the first found, in the
/// unit's order).
pub const UNIT_INTENTS: usize = 3;

/// The distinct intents of the AI spans of `spans` that overlap `range`,
/// in order, at most [`UNIT_INTENTS`].
pub fn of_range(spans: &[(std::ops::Range<usize>, Attribution)], range: std::ops::Range<usize>) -> Vec<Intent> {
    let mut out: Vec<Intent> = Vec::new();
    for (r, attr) in spans {
        if r.start >= range.end || range.start >= r.end || !attr.is_ai() {
            continue;
        }
        if let Some(intent) = attr.intent.as_deref()
            && !intent.is_empty()
            && !out.contains(intent)
        {
            out.push(intent.clone());
            if out.len() == UNIT_INTENTS {
                break;
            }
        }
    }
    out
}

/// The longest rationale drafted from intents, in characters.
pub const DRAFT_MAX: usize = 600;

/// A rationale drafted from `intents` for the requester to confirm or
/// edit: what the agent said it was doing (else the prompt), on one line.
/// `None` when they say nothing.
pub fn draft_rationale(intents: &[Intent]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for intent in intents {
        let part = match (&intent.said, &intent.prompt) {
            (Some(said), _) => fold_whitespace(said),
            (None, Some(prompt)) => format!("asked: {}", fold_whitespace(prompt)),
            (None, None) => continue,
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        return None;
    }
    let joined = parts.join(" / ");
    let mut draft: String = joined.chars().take(DRAFT_MAX).collect();
    if draft.len() < joined.len() {
        draft = draft.trim_end().to_string();
        draft.push('…');
    }
    Some(draft)
}

/// Keep the intents of `intents` (in order) while their total weight fits
/// in `budget` bytes; drop the rest. Returns how many were dropped.
pub fn bound_intents<'a>(intents: impl IntoIterator<Item = &'a mut Option<Intent>>, budget: usize) -> usize {
    let mut used = 0;
    let mut dropped = 0;
    for slot in intents {
        let Some(intent) = slot else { continue };
        let weight = intent.weight();
        if used + weight > budget {
            *slot = None;
            dropped += 1;
        } else {
            used += weight;
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../tests/fixtures/agent-hooks/claude-code-transcript.jsonl");

    fn user(text: &str) -> String {
        serde_json::json!({"type": "user", "message": {"role": "user", "content": text}}).to_string()
    }
    fn said(text: &str) -> String {
        serde_json::json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": text}]}})
            .to_string()
    }
    fn call(id: &str) -> String {
        serde_json::json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "tool_use", "id": id, "name": "Edit", "input": {}}]}})
            .to_string()
    }
    fn result(id: &str) -> String {
        serde_json::json!({"type": "user", "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": "ok"}]}})
            .to_string()
    }
    fn transcript(lines: &[String]) -> Vec<u8> {
        let mut out = lines.join("\n");
        out.push('\n');
        out.into_bytes()
    }

    /// Every line parsed, as the intent was found before only the lines
    /// that can matter were.
    fn from_transcript_reference(tail: &[u8], whole: bool, call: Option<&str>, level: IntentLevel) -> Option<Intent> {
        level.limits()?;
        let mut text = String::from_utf8_lossy(tail);
        if !whole {
            text = match text.find('\n') {
                Some(i) => std::borrow::Cow::Owned(text[i + 1..].to_string()),
                None => return None,
            };
        }
        let entries: Vec<Entry> = text.lines().flat_map(parse_line).collect();
        let target = call
            .and_then(|id| entries.iter().position(|e| matches!(e, Entry::Call(c) if c == id)))
            .or_else(|| entries.iter().rposition(|e| matches!(e, Entry::Call(_))))
            .unwrap_or(entries.len());
        let before = &entries[..target];
        let turn_start = before.iter().rposition(|e| matches!(e, Entry::Prompt(_)));
        let prompt = turn_start.and_then(|i| match &before[i] {
            Entry::Prompt(p) => Some(p.as_str()),
            _ => None,
        });
        let said = before[turn_start.map_or(0, |i| i + 1)..].iter().rev().find_map(|e| match e {
            Entry::Said(s) => Some(s.as_str()),
            _ => None,
        });
        // Which entries are the call, its prompt and words is what this
        // checks; what is kept of them is the same excerpting.
        let call = call.map(clip_id).or_else(|| match entries.get(target) {
            Some(Entry::Call(id)) => Some(clip_id(id)),
            _ => None,
        });
        kept_intent(call, prompt, said, level)
    }

    /// Lines of every kind the parse tells apart, and some it skips.
    fn line_kinds() -> Vec<String> {
        let both = serde_json::json!({"type": "assistant", "message": {"content": [
            {"type": "text", "text": "before b"}, {"type": "tool_use", "id": "b", "input": {}},
            {"type": "text", "text": "after b"}]}})
        .to_string();
        let blocks =
            serde_json::json!({"type": "user", "message": {"content": [{"type": "text", "text": "typed in blocks"}]}})
                .to_string();
        let meta =
            serde_json::json!({"type": "user", "isMeta": true, "message": {"content": "a meta prompt"}}).to_string();
        vec![
            user("first prompt"),
            user("second prompt mentions a and tool_use"),
            said("words one"),
            said("words two"),
            said("   "),
            call("a"),
            call("b"),
            call("c"),
            call("a/b"),
            result("a"),
            result("b"),
            both,
            blocks,
            meta,
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"\u007aq"}]}}"#.to_string(),
            r#"{"type":"assistant","message":{"content":[{"type":"tool_\u0075se","id":"c"}]}}"#.to_string(),
            r#"{"type":"\u0075ser","message":{"content":"escaped user"}}"#.to_string(),
            r#"{"type":"assistant","message":{"content":"not blocks"}}"#.to_string(),
            "{not json".to_string(),
            String::new(),
            "[1,2]".to_string(),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn only_the_lines_that_matter_are_parsed_and_the_answer_is_the_same(
            picks in proptest::collection::vec(0..21usize, 0..14),
            call in proptest::option::of(proptest::sample::select(vec!["a", "b", "c", "d", "zq", "a/b", ""])),
            whole: bool,
            full: bool,
            cut in 0..40usize,
        ) {
            let kinds = line_kinds();
            let lines: Vec<String> = picks.iter().map(|&i| kinds[i].clone()).collect();
            let mut bytes = transcript(&lines);
            if !whole {
                bytes.drain(..cut.min(bytes.len()));
            }
            let level = if full { IntentLevel::Full } else { IntentLevel::Summary };
            proptest::prop_assert_eq!(
                from_transcript(&bytes, whole, call, level),
                from_transcript_reference(&bytes, whole, call, level)
            );
        }
    }

    #[test]
    fn the_fixture_gives_prompt_and_words() {
        let intent = from_transcript(FIXTURE.as_bytes(), true, Some("toolu_01ABCDEF"), IntentLevel::Summary).unwrap();
        assert_eq!(intent.prompt.as_deref(), Some("Add coupon support to the cart total"));
        assert_eq!(intent.said.as_deref(), Some("I'll add an optional coupon parameter."));
        assert_eq!(intent.call.as_deref(), Some("toolu_01ABCDEF"));
        assert!(!intent.cut);
        assert_eq!(from_transcript(FIXTURE.as_bytes(), true, Some("toolu_01ABCDEF"), IntentLevel::None), None);
    }

    #[test]
    fn several_turns_each_call_takes_its_own_turn() {
        let t = transcript(&[
            user("first: rename the helper"),
            said("Renaming it."),
            call("a"),
            result("a"),
            user("second: add a coupon"),
            said("Adding the coupon check."),
            call("b"),
            result("b"),
            said("Now the test."),
            call("c"),
        ]);
        let of = |id: &str| from_transcript(&t, true, Some(id), IntentLevel::Summary).unwrap();
        assert_eq!(of("a").prompt.as_deref(), Some("first: rename the helper"));
        assert_eq!(of("a").said.as_deref(), Some("Renaming it."));
        assert_eq!(of("b").prompt.as_deref(), Some("second: add a coupon"));
        assert_eq!(of("b").said.as_deref(), Some("Adding the coupon check."));
        assert_eq!(of("c").said.as_deref(), Some("Now the test."));
        // An unknown id (cut off, not written yet): the last call.
        assert_eq!(of("zzz").said.as_deref(), Some("Now the test."));
    }

    #[test]
    fn a_call_without_text_before_it_takes_the_turns_last_words_or_none() {
        let t =
            transcript(&[user("fix the bug"), said("Looking at cart.py first."), call("a"), result("a"), call("b")]);
        let b = from_transcript(&t, true, Some("b"), IntentLevel::Summary).unwrap();
        assert_eq!(b.said.as_deref(), Some("Looking at cart.py first."));
        // Words of an earlier turn are not this turn's.
        let t = transcript(&[user("one"), said("old words"), call("a"), user("two"), call("b")]);
        let b = from_transcript(&t, true, Some("b"), IntentLevel::Summary).unwrap();
        assert_eq!(b.prompt.as_deref(), Some("two"));
        assert_eq!(b.said, None);
        // No prompt and no words: nothing.
        assert_eq!(from_transcript(&transcript(&[call("a")]), true, Some("a"), IntentLevel::Summary), None);
    }

    #[test]
    fn malformed_and_cut_lines_are_skipped() {
        let mut t = b"{\"type\":\"user\",\"message\":{\"content\":\"cut in the mid".to_vec();
        t.extend_from_slice(b"dle\"}}\n");
        t.extend(transcript(&[
            "not json".to_string(),
            "{\"type\":\"user\",\"message\":{\"content\":42}}".to_string(),
            "{\"type\":\"assistant\",\"message\":{\"content\":\"a string\"}}".to_string(),
            "[1,2]".to_string(),
            user("the real prompt"),
            "{\"type\":\"assistant\"".to_string(),
            said("the words"),
            call("x"),
        ]));
        // Read from the middle of the file: the first line is not trusted.
        let intent = from_transcript(&t, false, Some("x"), IntentLevel::Summary).unwrap();
        assert_eq!(intent.prompt.as_deref(), Some("the real prompt"));
        assert_eq!(intent.said.as_deref(), Some("the words"));
        assert_eq!(from_transcript(b"no newline at all", false, None, IntentLevel::Summary), None);
        assert_eq!(from_transcript(b"", true, None, IntentLevel::Summary), None);
        // Not UTF-8 bytes do not stop the reading.
        let mut t = vec![0xff, 0xfe, b'\n'];
        t.extend(transcript(&[user("p"), call("x")]));
        assert_eq!(from_transcript(&t, true, Some("x"), IntentLevel::Summary).unwrap().prompt.as_deref(), Some("p"));
    }

    #[test]
    fn meta_entries_and_tool_results_are_not_prompts() {
        let meta =
            serde_json::json!({"type": "user", "isMeta": true, "message": {"content": "caveat: meta"}}).to_string();
        let t = transcript(&[user("the prompt"), meta, result("z"), call("x")]);
        let intent = from_transcript(&t, true, Some("x"), IntentLevel::Summary).unwrap();
        assert_eq!(intent.prompt.as_deref(), Some("the prompt"));
    }

    #[test]
    fn huge_messages_are_cut_to_the_level() {
        let long = "word ".repeat(200_000);
        let t = transcript(&[user(&long), said(&long), call("x")]);
        let summary = from_transcript(&t, true, Some("x"), IntentLevel::Summary).unwrap();
        assert!(summary.cut);
        assert_eq!(summary.prompt.as_ref().unwrap().chars().count(), SUMMARY_PROMPT);
        assert!(summary.said.as_ref().unwrap().chars().count() <= SUMMARY_SAID + 1);
        assert!(summary.said.as_ref().unwrap().ends_with('…'));
        let full = from_transcript(&t, true, Some("x"), IntentLevel::Full).unwrap();
        assert!(full.said.as_ref().unwrap().chars().count() <= FULL_SAID + 1);
        assert!(full.said.as_ref().unwrap().chars().count() > SUMMARY_SAID + 1);
    }

    #[test]
    fn summary_folds_whitespace_and_full_keeps_lines() {
        let t = transcript(&[user("line one\n\n\n\nline two   "), call("x")]);
        let s = from_transcript(&t, true, Some("x"), IntentLevel::Summary).unwrap();
        assert_eq!(s.prompt.as_deref(), Some("line one line two"));
        let f = from_transcript(&t, true, Some("x"), IntentLevel::Full).unwrap();
        assert_eq!(f.prompt.as_deref(), Some("line one\n\nline two"));
    }

    #[track_caller]
    fn check_redacted(input: &str, secret: &str) {
        let (out, n) = redact(input);
        assert!(!out.contains(secret), "{secret:?} survived in {out:?}");
        assert!(out.contains(REDACTED), "{out:?}");
        assert!(n >= 1);
    }

    #[test]
    fn secrets_are_redacted() {
        check_redacted("use AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE");
        check_redacted(
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        check_redacted(
            "token ghp_16C7e42F292c6912E7710c838347Ae178B4a here",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        );
        check_redacted(
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
            "github_pat_11ABCDEFG0123456789",
        );
        check_redacted("glpat-xxxxXXXX1234567890ab", "glpat-xxxxXXXX1234567890ab");
        check_redacted("xoxb-1234567890-0987654321-abcdefABCDEF", "xoxb-1234567890");
        check_redacted(
            "post to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
            "T000/B000/XXXXXXXXXXXXXXXX",
        );
        check_redacted("OPENAI_API_KEY sk-proj-abcdefghijklmnopqrstuvwxyz012345", "sk-proj-abcdefghijklmnop");
        check_redacted("key sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWX", "sk-ant-api03");
        check_redacted("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc");
        check_redacted(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
            "b3BlbnNzaC1rZXktdjEAAAAA",
        );
        // A key block cut by the excerpt window is redacted to the end.
        check_redacted("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA", "MIIEpAIBAAKCAQEA");
        check_redacted(
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        );
        check_redacted("password=hunter22", "hunter22");
        check_redacted("DB_PASSWORD: \"correct horse battery\"", "correct horse battery");
        check_redacted("export GITHUB_TOKEN=abc123def456", "abc123def456");
        check_redacted("{\"api_key\": \"0123-abcd-efgh\"}", "0123-abcd-efgh");
        check_redacted("clone https://bob:s3cretpass@example.com/x.git", "s3cretpass");
        check_redacted("Authorization: Bearer abcdefghijklmnop1234567890", "abcdefghijklmnop1234567890");
        check_redacted(
            "the value Zx9Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4Vb6 is it",
            "Zx9Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4Vb6",
        );
    }

    #[test]
    fn ordinary_words_are_kept() {
        for text in [
            "Refactor total() to take an optional coupon and clamp at zero.",
            "commit 3f2a9c1b7e4d5a6f8091a2b3c4d5e6f708192a3b touched src/store/journal/record.rs",
            "the function compute_the_discounted_subtotal_for_all_items is long",
            "set the password field to required in the form",
            "token: a short one",
        ] {
            let (out, n) = redact(text);
            assert_eq!((out.as_str(), n), (text, 0), "{text}");
        }
    }

    #[test]
    fn secrets_in_a_transcript_never_reach_the_intent() {
        let t = transcript(&[
            user("deploy with AKIAIOSFODNN7EXAMPLE and password=hunter22"),
            said("I will use sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWX to call it."),
            call("x"),
        ]);
        for level in [IntentLevel::Summary, IntentLevel::Full] {
            let intent = from_transcript(&t, true, Some("x"), level).unwrap();
            let json = serde_json::to_string(&intent).unwrap();
            for secret in ["AKIAIOSFODNN7EXAMPLE", "hunter22", "sk-ant-api03"] {
                assert!(!json.contains(secret), "{json}");
            }
            assert_eq!(intent.redacted, 3);
        }
    }

    /// Every pattern run on every text, as redaction went before each
    /// pattern had a literal test.
    fn redact_everything(text: &str) -> (String, u32) {
        static ALL: std::sync::LazyLock<std::collections::HashMap<&'static str, Regex>> =
            std::sync::LazyLock::new(|| {
                let all = SECRETS.iter().chain([&ASSIGNMENT, &URL_CREDENTIALS, &LONG_TOKEN]);
                all.map(|p| (p.source, Regex::new(p.source).unwrap())).collect()
            });
        redact_with(text, &|p, _| Some(ALL[p.source].clone()))
    }

    /// Pieces of text that each pattern (or its test) turns on, including
    /// the characters `(?i)` folds into ASCII letters.
    const PIECES: &[&str] = &[
        "AKIAIOSFODNN7EXAMPLE",
        "ASIA",
        "ghp_",
        "16C7e42F292c6912E7710c838347Ae178B4a",
        "github_pat_",
        "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
        "glpat-",
        "xxxxXXXX1234567890ab",
        "xoxb-",
        "1234567890-0987654321",
        "https://hooks.slack.com/services/",
        "T000/B000/XXXXXXXXXXXXXXXX",
        "sk-",
        "sk_live_",
        "pk_test_",
        "4eC39HqLyjWDarjtT1zdp7dc",
        "AIza",
        "SyA-abcdefghijklmnopqrstuvwxyz0123456",
        "eyJhbGciOiJIUzI1NiJ9",
        ".",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "-----BEGIN RSA PRIVATE KEY-----",
        "\n",
        "-----END RSA PRIVATE KEY-----",
        "Bearer ",
        "BEARER\t",
        "bearer",
        "password",
        "PASSWORD",
        "pa\u{17F}\u{17F}word",
        "to\u{212A}en",
        "api_\u{212A}ey",
        "Auth",
        "credentials",
        "secret",
        "pwd",
        "=",
        ": ",
        "\"",
        "'",
        "hunter22",
        "correct horse",
        "://",
        "bob",
        ":",
        "s3cretpass",
        "@",
        "example.com",
        "Zx9Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc4Vb6",
        "aaaaaaaaaaaaaaaa",
        " ",
        ",",
        ";",
        "é",
        "\u{202E}",
        "[redacted]",
        "token",
        "key",
        "=abc123def456",
    ];

    #[test]
    fn the_literal_tests_never_change_what_is_redacted() {
        let mut texts: Vec<String> = PIECES.iter().map(|p| p.to_string()).collect();
        for a in PIECES {
            for b in PIECES {
                texts.push(format!("{a}{b}"));
                texts.push(format!("x {a} {b} y"));
            }
        }
        for text in &texts {
            assert_eq!(redact(text), redact_everything(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn literal_tests_agree_with_every_pattern(picks in proptest::collection::vec(0..PIECES.len(), 0..12)) {
            let text: String = picks.iter().map(|&i| PIECES[i]).collect();
            proptest::prop_assert_eq!(redact(&text), redact_everything(&text));
        }
    }

    #[test]
    fn a_secret_straddling_the_cut_is_redacted_before_cutting() {
        let text = format!("{}sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWX", "a ".repeat(SUMMARY_SAID / 2 - 3));
        let (kept, n, cut) = excerpt(&text, SUMMARY_SAID, false);
        assert!(cut);
        assert_eq!(n, 1);
        assert!(!kept.contains("sk-ant"), "{kept}");
    }

    fn offered(
        said: Option<&str>,
        call: Option<&str>,
        conversation: Option<&str>,
        generation: Option<&str>,
    ) -> Offered {
        let own = |s: Option<&str>| s.map(str::to_string);
        Offered { said: own(said), call: own(call), conversation: own(conversation), generation: own(generation) }
    }

    #[test]
    fn payload_ids_are_kept_unless_none() {
        // Cursor's.
        let cursor = offered(None, None, Some("conv-1"), Some("gen-2"));
        let i = Intent::from_payload(&cursor, IntentLevel::Summary).unwrap();
        assert_eq!((i.conversation.as_deref(), i.generation.as_deref()), (Some("conv-1"), Some("gen-2")));
        assert_eq!(Intent::from_payload(&cursor, IntentLevel::None), None);
        assert_eq!(Intent::from_payload(&offered(None, None, Some("  "), None), IntentLevel::Full), None);
        assert_eq!(Intent::from_payload(&Offered::default(), IntentLevel::Full), None);
        // Codex's: the call and the turn, trimmed and clipped.
        let long = "t".repeat(ID_MAX * 2);
        let codex = offered(None, Some(" call_1 "), None, Some(&long));
        let i = Intent::from_payload(&codex, IntentLevel::Full).unwrap();
        assert_eq!(i.call.as_deref(), Some("call_1"));
        assert_eq!(i.generation.as_ref().map(|g| g.chars().count()), Some(ID_MAX));
        assert_eq!((i.prompt, i.said, i.redacted, i.cut), (None, None, 0, false));
        // A call alone is something to look up.
        assert!(!Intent { call: Some("c".into()), ..Intent::default() }.is_empty());
    }

    #[test]
    fn payload_words_are_the_agents_redacted_and_cut_to_the_level() {
        let words = format!(
            "Rename price\n\n\n\nto unit_price with sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWX {}",
            "now ".repeat(400)
        );
        let gemini = offered(Some(&words), None, None, None);
        let summary = Intent::from_payload(&gemini, IntentLevel::Summary).unwrap();
        let said = summary.said.as_deref().unwrap();
        assert!(said.starts_with("Rename price to unit_price with [redacted] now now"), "{said}");
        assert_eq!(said.chars().count(), SUMMARY_SAID + 1);
        assert!(said.ends_with('…') && summary.cut);
        assert_eq!(summary.redacted, 1);
        assert_eq!((summary.prompt.as_deref(), summary.call.as_deref()), (None, None));
        let full = Intent::from_payload(&gemini, IntentLevel::Full).unwrap();
        assert!(full.said.as_deref().unwrap().starts_with("Rename price\n\nto unit_price with [redacted]"), "{full:?}");
        assert!(!full.cut);
        assert_eq!(Intent::from_payload(&gemini, IntentLevel::None), None);
        // Words of nothing but whitespace are no words.
        assert_eq!(Intent::from_payload(&offered(Some(" \n\t"), None, None, None), IntentLevel::Full), None);
        // The headline a list shows is the words; ids alone make none.
        assert_eq!(full.headline().as_deref().map(|h| h.starts_with("Rename price to unit_price")), Some(true));
        let ids = Intent::from_payload(&offered(None, Some("c"), None, Some("t")), IntentLevel::Summary).unwrap();
        assert_eq!(ids.headline(), None);
        assert!(details(std::slice::from_ref(&ids)).is_empty(), "ids are not particulars");
        // The hover shows the ids, as code.
        let md = markdown(&ids);
        assert!(md.contains("- turn (generation): `t`") && md.contains("- tool call: `c`"), "{md}");
    }

    #[test]
    fn the_note_budget_keeps_the_first_intents() {
        let big = Intent { said: Some("x".repeat(1000)), ..Intent::default() };
        let mut slots: Vec<Option<Intent>> = vec![Some(big.clone()), None, Some(big.clone()), Some(big)];
        let dropped = bound_intents(slots.iter_mut(), 2100);
        assert_eq!(dropped, 1);
        assert_eq!(slots.iter().filter(|s| s.is_some()).count(), 2);
        assert!(slots[3].is_none());
    }

    #[test]
    fn a_unit_takes_the_distinct_intents_of_its_ai_spans_and_a_draft() {
        use crate::provenance::{AiSource, Evidence};
        let ai = |said: &str| {
            Attribution::ai(
                AiSource { tool: "claude-code".into(), model: None, session: None, kind: None },
                Evidence::AgentHook,
                None,
            )
            .with_intent(Some(Intent { said: Some(said.into()), ..Intent::default() }))
        };
        let spans = vec![
            (0..10, ai("first")),
            (
                10..20,
                Attribution::typed().with_intent(Some(Intent { said: Some("human?".into()), ..Intent::default() })),
            ),
            (20..30, ai("first")),
            (30..40, ai("second")),
            (50..60, ai("outside")),
        ];
        let got = of_range(&spans, 5..45);
        let words: Vec<&str> = got.iter().filter_map(|i| i.said.as_deref()).collect();
        assert_eq!(words, ["first", "second"]);
        assert_eq!(draft_rationale(&got).as_deref(), Some("first / second"));
        let prompt_only = Intent { prompt: Some("make\nit fast".into()), ..Intent::default() };
        assert_eq!(draft_rationale(&[prompt_only]).as_deref(), Some("asked: make it fast"));
        assert_eq!(draft_rationale(&[]), None);
        let long = Intent { said: Some("x".repeat(DRAFT_MAX * 2)), ..Intent::default() };
        assert_eq!(draft_rationale(&[long]).unwrap().chars().count(), DRAFT_MAX + 1);
    }

    #[test]
    fn levels_parse_and_old_intents_read() {
        let level: IntentLevel = serde_json::from_str("\"full\"").unwrap();
        assert_eq!(level, IntentLevel::Full);
        assert!(serde_json::from_str::<IntentLevel>("\"all\"").is_err());
        // A newer intent with fields this one does not know still reads.
        let intent: Intent = serde_json::from_str(r#"{"said":"s","mood":"cheerful"}"#).unwrap();
        assert_eq!(intent.said.as_deref(), Some("s"));
    }
}
