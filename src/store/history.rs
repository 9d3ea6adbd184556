//! History evidence: who wrote each line of a file, as far as git history
//! tells.
//!
//! `git blame --porcelain` (the git binary: libgit2's blame is far slower)
//! names the commit that introduced each line and the line's number in that
//! commit. A line is AI when, in that order of precedence:
//! 1. a vouch note on that commit covers it (for its path at that blob); the
//!    note's own evidence and approvals are kept, and the line is named by
//!    the record that covers it (`vouch note`, or `imported: agent-trace`
//!    for a record imported from another tool, which attests nothing);
//! 2. a git-ai note (`refs/notes/ai`, `authorship/3.0.0` and the older JSON
//!    `authorship/2.x` layout) covers it;
//! 3. the commit says so as a whole: a trailer (`Co-authored-by:` naming an
//!    AI tool, `Assisted-by:`, `Generated-by:`), aider's `(aider)` author
//!    suffix, or a bot author (`[bot]`, or listed in the policy).
//!
//! A claim of AI from one source outranks a claim of human from another: a
//! git-ai note naming a human for a line does not undo the commit's trailer.
//! Everything else is unknown: no record is not proof of a human. Lines a
//! git-ai note attributes to a human (and no other source to AI) are human.
//!
//! git-ai notes are read as git-ai reads them ([`GitAiNote::attribution`]):
//! keys routed by prefix (`h_` humans, `s_` sessions, the older sentinel
//! `human`, else prompts), the latest entry that resolves wins, and prompt
//! ids that another commit's note defines are looked up there
//! ([`GitAiReader`]).
//!
//! This module reads history; it does not write notes (see `notes`).

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::process::Stdio;

use git2::{ErrorCode, Oid, Repository};

use crate::provenance::{AiSource, Attribution, Evidence, Origin};
use crate::store::kept::NoteTexts;
use crate::store::notes::{self, NoteError, NoteRecord};

/// The notes ref git-ai writes.
pub const GIT_AI_NOTES_REF: &str = "refs/notes/ai";

/// The origin of one line, from history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOrigin {
    /// 1-based line in the blamed text.
    pub line: u32,
    pub attribution: Attribution,
    /// The commit that introduced the line; `None` for uncommitted lines.
    pub commit: Option<Oid>,
    /// The path and 1-based line in that commit.
    pub orig_path: String,
    pub orig_line: u32,
    /// Approval ids of the vouch note record that covers the line.
    pub approvals: Vec<String>,
    /// Which evidence of the commit says who wrote the line, as `vouch
    /// verify`'s coverage names evidence: `vouch note`, `imported:
    /// agent-trace`, `git-ai note`, `trailer: claude`, `aider author`,
    /// `bot author: …`; `None` when
    /// nothing does (unknown).
    pub source: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("malformed git-ai note on commit {commit}: {reason}")]
    GitAiNote { commit: Oid, reason: String },
    #[error("git blame {path}: {detail}")]
    Blame { path: String, detail: String },
    #[error("{action}: {cause}")]
    Git { action: String, cause: git2::Error },
}

/// Attribute each line of `path` at `rev` (a commit, or `None` for the file
/// in the working tree) from history. `bots` are author names or emails the
/// policy lists as bots.
pub fn blame_history(
    repo: &Repository,
    path: &str,
    rev: Option<&str>,
    bots: &[String],
) -> Result<Vec<LineOrigin>, HistoryError> {
    let mut cmd = notes::git_command(repo);
    cmd.args(["blame", "--porcelain"]);
    if let Some(rev) = rev {
        cmd.arg(rev);
    }
    cmd.arg("--").arg(path);
    let output = cmd.output().map_err(|e| HistoryError::Blame { path: path.into(), detail: e.to_string() })?;
    if !output.status.success() {
        let detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(HistoryError::Blame { path: path.into(), detail });
    }
    attribute(repo, path, &output.stdout, bots)
}

/// Attribute each line of `contents`, a version of `path` that is not
/// committed (the index, an editor's buffer), from the history of `rev` (or
/// HEAD): lines that are not in the history are uncommitted.
pub fn blame_contents(
    repo: &Repository,
    path: &str,
    rev: Option<&str>,
    contents: &[u8],
    bots: &[String],
) -> Result<Vec<LineOrigin>, HistoryError> {
    start_blame_contents(repo, path, rev, contents).finish(repo, bots)
}

/// [`blame_contents`], with git started now and its lines attributed by
/// [`PendingBlame::finish`]: what the caller does meanwhile runs while git
/// blames (`vouch blame` opens the worktree's records and range then).
pub fn start_blame_contents(repo: &Repository, path: &str, rev: Option<&str>, contents: &[u8]) -> PendingBlame {
    start_blame(repo, path, rev, contents, &[])
}

/// [`blame_contents`] that follows lines through copies from other files
/// and through changes of whitespace alone (`git blame -w -C -C`): who
/// wrote the text first, not who last copied or re-spaced it. Slower; for
/// text whose origin decides what it needs (verify's files brought from
/// another path), never for what a person is shown line by line.
pub fn blame_contents_following(
    repo: &Repository,
    path: &str,
    rev: &str,
    contents: &[u8],
    bots: &[String],
) -> Result<Vec<LineOrigin>, HistoryError> {
    start_blame(repo, path, Some(rev), contents, &["-w", "-C", "-C"]).finish(repo, bots)
}

fn start_blame(repo: &Repository, path: &str, rev: Option<&str>, contents: &[u8], options: &[&str]) -> PendingBlame {
    let mut cmd = notes::git_command(repo);
    cmd.args(["blame", "--porcelain", "--contents", "-"]).args(options);
    if let Some(rev) = rev {
        cmd.arg(rev);
    }
    cmd.arg("--").arg(path);
    let contents = contents.to_vec();
    // git's output is read as it comes (it would stop on a full pipe), on
    // the thread that waits for it.
    let git = std::thread::spawn(move || {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let mut stdin = child.stdin.take();
        // Written from another thread: git may answer before it read
        // everything.
        let writer = std::thread::spawn(move || stdin.as_mut().map(|s| s.write_all(&contents)));
        let output = child.wait_with_output();
        let _ = writer.join();
        output
    });
    PendingBlame { path: path.to_string(), git }
}

/// A `git blame` under way (see [`start_blame_contents`]).
pub struct PendingBlame {
    path: String,
    git: std::thread::JoinHandle<std::io::Result<std::process::Output>>,
}

impl PendingBlame {
    /// Wait for git, and attribute each line.
    pub fn finish(self, repo: &Repository, bots: &[String]) -> Result<Vec<LineOrigin>, HistoryError> {
        let path = self.path;
        let output = self
            .git
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the thread running git blame panicked")))
            .map_err(|e| HistoryError::Blame { path: path.clone(), detail: e.to_string() })?;
        if !output.status.success() {
            let detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
            return Err(HistoryError::Blame { path, detail });
        }
        attribute(repo, &path, &output.stdout, bots)
    }
}

/// One line of `git blame --porcelain` output.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BlameLine {
    commit: Oid,
    orig_line: u32,
    final_line: u32,
    orig_path: String,
}

/// Parse `git blame --porcelain`: a header `<sha> <orig> <final> [<n>]` per
/// line, commit details the first time a commit shows up (with `filename`,
/// repeated when a commit has several paths), then the line after a tab.
fn parse_porcelain(out: &[u8], default_path: &str) -> Result<Vec<BlameLine>, String> {
    let mut lines = Vec::new();
    let mut filenames: HashMap<Oid, String> = HashMap::new();
    let mut current: Option<(Oid, u32, u32)> = None;
    for (i, raw) in out.split(|&b| b == b'\n').enumerate() {
        if raw.first() == Some(&b'\t') {
            let (commit, orig_line, final_line) =
                current.take().ok_or_else(|| format!("output line {}: a line with no header", i + 1))?;
            let orig_path = filenames.get(&commit).cloned().unwrap_or_else(|| default_path.to_string());
            lines.push(BlameLine { commit, orig_line, final_line, orig_path });
            continue;
        }
        let text = String::from_utf8_lossy(raw);
        if let Some(name) = text.strip_prefix("filename ") {
            if let Some((commit, _, _)) = current {
                filenames.insert(commit, unquote(name));
            }
            continue;
        }
        if current.is_none() {
            let mut words = text.split(' ');
            let (Some(sha), Some(orig), Some(fin)) = (words.next(), words.next(), words.next()) else {
                continue;
            };
            if !matches!(sha.len(), 40 | 64) {
                continue;
            }
            let parsed = (Oid::from_str(sha), orig.parse(), fin.parse());
            let (Ok(commit), Ok(orig), Ok(fin)) = parsed else {
                return Err(format!("output line {}: bad header {text:?}", i + 1));
            };
            current = Some((commit, orig, fin));
        }
    }
    Ok(lines)
}

/// Undo git's C-style quoting of a path (`"a\tb"`); other text is returned
/// as it is.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let c = bytes[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'0'..=b'7' if i + 1 < bytes.len() => {
                let oct = [c, bytes[i], bytes[i + 1]];
                let value = oct.iter().try_fold(0u8, |acc, &d| {
                    (d.is_ascii_digit() && d < b'8').then(|| acc.wrapping_mul(8).wrapping_add(d - b'0'))
                });
                match value {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(c),
                }
            }
            other => out.push(other),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What one commit says about the lines it introduced.
struct CommitEvidence {
    /// From the message or the author, for every line of the commit, and
    /// how it says so.
    whole: Option<(Attribution, Declared)>,
    vouch: Vec<notes::FileRecord>,
    git_ai: Option<GitAiNote>,
}

fn attribute(
    repo: &Repository,
    path: &str,
    porcelain: &[u8],
    bots: &[String],
) -> Result<Vec<LineOrigin>, HistoryError> {
    let blame = parse_porcelain(porcelain, path).map_err(|detail| HistoryError::Blame { path: path.into(), detail })?;
    let mut evidence: HashMap<Oid, Option<CommitEvidence>> = HashMap::new();
    let mut blobs: HashMap<(Oid, String), Option<String>> = HashMap::new();
    // The notes of the commits a file's lines come from are read again at
    // the next blame of it (or of a file they also wrote): their texts are
    // kept.
    let mut git_ai = GitAiReader::keeping(repo);
    let mut vouch_notes = notes::NoteReader::new(repo);
    let mut out = Vec::with_capacity(blame.len());
    for line in blame {
        let ev = match evidence.get(&line.commit) {
            Some(ev) => ev,
            None => {
                let ev = commit_evidence(repo, &mut git_ai, &mut vouch_notes, line.commit, bots)?;
                evidence.entry(line.commit).or_insert(ev)
            }
        };
        let mut origin = LineOrigin {
            line: line.final_line,
            attribution: Attribution::unknown(),
            commit: (!line.commit.is_zero()).then_some(line.commit),
            orig_path: line.orig_path.clone(),
            orig_line: line.orig_line,
            approvals: Vec::new(),
            source: None,
        };
        if let Some(ev) = ev {
            if !ev.vouch.is_empty() {
                let blob = blobs
                    .entry((line.commit, line.orig_path.clone()))
                    .or_insert_with(|| blob_at(repo, line.commit, &line.orig_path))
                    .as_deref();
                let record = ev
                    .vouch
                    .iter()
                    .find(|r| r.path == line.orig_path && Some(r.blob.as_str()) == blob && r.covers(line.orig_line));
                if let Some(record) = record {
                    origin.attribution = record.attribution();
                    origin.approvals = record.approvals.clone();
                    origin.source = Some(record.evidence_label());
                    out.push(origin);
                    continue;
                }
            }
            // A claim of AI from any source outranks a claim of human from
            // another: a git-ai note naming a human does not undo the
            // commit's trailer.
            let noted = ev.git_ai.as_ref().and_then(|n| n.attribution(&line.orig_path, line.orig_line));
            let git_ai = || Some("git-ai note".to_string());
            (origin.attribution, origin.source) = match (noted, &ev.whole) {
                (Some(attr), _) if attr.is_ai() => (attr, git_ai()),
                (_, Some((whole, declared))) => (whole.clone(), Some(declared.label())),
                (Some(attr), None) => (attr, git_ai()),
                (None, None) => (Attribution::unknown(), None),
            };
        }
        out.push(origin);
    }
    Ok(out)
}

fn blob_at(repo: &Repository, commit: Oid, path: &str) -> Option<String> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    Some(entry.id().to_string())
}

/// The evidence of `commit`; `None` for the zero id (uncommitted lines).
fn commit_evidence(
    repo: &Repository,
    git_ai: &mut GitAiReader<'_>,
    vouch_notes: &mut notes::NoteReader<'_>,
    commit: Oid,
    bots: &[String],
) -> Result<Option<CommitEvidence>, HistoryError> {
    if commit.is_zero() {
        return Ok(None);
    }
    let c = repo
        .find_commit(commit)
        .map_err(|cause| HistoryError::Git { action: format!("read commit {commit}"), cause })?;
    let whole = commit_declaration(&c, bots)
        .map(|declared| (Attribution::ai(source(declared.tool(), None), Evidence::History, None), declared));
    let vouch = vouch_notes
        .read(commit)?
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| match r {
            NoteRecord::File(f) => Some(f),
            NoteRecord::NoAi | NoteRecord::Partial => None,
        })
        .collect();
    let git_ai = git_ai.read(commit)?;
    Ok(Some(CommitEvidence { whole, vouch, git_ai }))
}

fn source(tool: String, model: Option<String>) -> AiSource {
    AiSource { tool, model, session: None, kind: None }
}

/// How a commit as a whole declares that AI wrote what it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declared {
    /// An AI trailer in its message, naming this tool.
    Trailer(String),
    /// aider's `(aider)` suffix on its author or committer.
    Aider,
    /// A bot author (`[bot]`, or listed in the policy), by this name.
    Bot(String),
    /// An AI tool's own identity as author or committer (GitHub's Copilot
    /// coding agent, Cursor's background agents), naming this tool.
    Author(String),
}

impl Declared {
    /// The AI tool it names.
    pub fn tool(&self) -> String {
        match self {
            Declared::Trailer(tool) | Declared::Bot(tool) | Declared::Author(tool) => tool.clone(),
            Declared::Aider => "aider".to_string(),
        }
    }

    /// How a report names this evidence: `trailer: claude`,
    /// `aider author`, `bot author: dependabot[bot]`.
    pub fn label(&self) -> String {
        match self {
            Declared::Trailer(tool) => format!("trailer: {tool}"),
            Declared::Aider => "aider author".to_string(),
            Declared::Bot(name) => format!("bot author: {name}"),
            Declared::Author(tool) => format!("AI author: {tool}"),
        }
    }
}

/// The emails of `commit`'s author and committer, trimmed, each once (in
/// any case): the people a commit makes participants of what it touched.
pub fn commit_people(commit: &git2::Commit<'_>) -> Vec<String> {
    let mut emails: Vec<String> = Vec::new();
    for who in [commit.author(), commit.committer()] {
        let email = String::from_utf8_lossy(who.email_bytes()).trim().to_string();
        if !email.is_empty() && !emails.iter().any(|e| e.eq_ignore_ascii_case(&email)) {
            emails.push(email);
        }
    }
    emails
}

/// How a commit as a whole declares AI: an AI trailer in its message,
/// aider's `(aider)` author or committer suffix, a bot author (`bots` from
/// the policy), or an AI tool as author or committer. The one place that
/// decides what counts.
pub fn commit_declaration(commit: &git2::Commit<'_>, bots: &[String]) -> Option<Declared> {
    let identity = |who: git2::Signature<'_>| {
        (
            String::from_utf8_lossy(who.name_bytes()).into_owned(),
            String::from_utf8_lossy(who.email_bytes()).into_owned(),
        )
    };
    let (name, email) = identity(commit.author());
    let (committer, committer_email) = identity(commit.committer());
    let message = String::from_utf8_lossy(commit.message_bytes());
    ai_trailer_tool(&message)
        .map(Declared::Trailer)
        .or_else(|| (is_aider(&name) || is_aider(&committer)).then_some(Declared::Aider))
        .or_else(|| is_bot(&name, &email, bots).then(|| Declared::Bot(name.trim().to_string())))
        .or_else(|| tool_identity(&name, &email).or_else(|| tool_identity(&committer, &committer_email)))
}

/// The AI tool an author or committer is, when it commits as itself
/// (`Copilot <…+Copilot@users.noreply.github.com>`, `Cursor Agent
/// <cursoragent@cursor.com>`): a tool's name, or an address only a tool
/// uses. An address at an AI company's domain is a person who works there,
/// unless it is a no-reply one.
fn tool_identity(name: &str, email: &str) -> Option<Declared> {
    let lower = email.to_lowercase();
    let tool = tool_by_name(name, email).or_else(|| {
        TOOL_EMAILS
            .iter()
            .find(|(frag, _)| lower.contains(frag) && (!is_domain(frag) || lower.contains("noreply")))
            .map(|&(_, tool)| tool)
    })?;
    Some(Declared::Author(tool.to_string()))
}

/// The AI tool a commit as a whole declares (see [`commit_declaration`]).
pub fn commit_ai_tool(commit: &git2::Commit<'_>, bots: &[String]) -> Option<String> {
    commit_declaration(commit, bots).map(|d| d.tool())
}

/// aider commits as "Name (aider)".
fn is_aider(name: &str) -> bool {
    name.trim_end().to_ascii_lowercase().ends_with("(aider)")
}

/// A bot author: `[bot]` in the name or email, or listed in `bots` (by name
/// or email, ignoring case).
pub fn is_bot(name: &str, email: &str, bots: &[String]) -> bool {
    let (name, email) = (name.trim(), email.trim());
    name.contains("[bot]")
        || email.contains("[bot]")
        || bots.iter().any(|b| b.trim().eq_ignore_ascii_case(name) || b.trim().eq_ignore_ascii_case(email))
}

// ---------------------------------------------------------------------------
// Trailers

/// The AI tool a commit message names in its trailers: `Assisted-by:` or
/// `Generated-by:` (any value), `Co-authored-by:` naming an AI tool by name
/// or email (a person co-author is not AI), or Claude Code's "Generated with
/// [Claude Code]" line. The first such trailer wins. The tool is a short
/// lowercase id (`claude`, `copilot`, `amazon-q`), or the trailer's name as
/// written when it is not a known tool.
pub fn ai_trailer_tool(message: &str) -> Option<String> {
    for (key, value) in trailers(message) {
        let (name, email) = split_identity(&value);
        match key.to_ascii_lowercase().as_str() {
            "assisted-by" | "generated-by" => {
                let known = known_tool(name, email);
                let written = name.trim().to_lowercase();
                return Some(known.map(str::to_string).unwrap_or(if written.is_empty() {
                    "unknown".to_string()
                } else {
                    written
                }));
            }
            "co-authored-by" => {
                if let Some(tool) = known_tool(name, email) {
                    return Some(tool.to_string());
                }
            }
            _ => {}
        }
    }
    // Claude Code's footer, "🤖 Generated with [Claude Code](https://…)".
    message.to_ascii_lowercase().contains("generated with [claude code]").then(|| "claude".to_string())
}

/// The `Key: value` lines of the message's last paragraph, with folded
/// continuation lines joined.
fn trailers(message: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = message.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.starts_with('#')).collect();
    let end = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(0, |i| i + 1);
    let start = lines[..end].iter().rposition(|l| l.trim().is_empty()).map_or(0, |i| i + 1);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in &lines[start..end] {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else { continue };
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            out.push((key.to_string(), value.trim().to_string()));
        }
    }
    out
}

/// `Name <email>` into its parts (the email may be missing).
fn split_identity(value: &str) -> (&str, &str) {
    match value.split_once('<') {
        Some((name, rest)) => (name.trim(), rest.split('>').next().unwrap_or("").trim()),
        None => (value.trim(), ""),
    }
}

/// Words that name an AI tool in a name, matched as whole words ignoring
/// case. Person names that are also tool names (Claude, Devin, Jules) need
/// more than the bare name; see [`known_tool`].
const TOOL_NAMES: &[(&str, &str)] = &[
    ("claude code", "claude"),
    ("claude opus", "claude"),
    ("claude sonnet", "claude"),
    ("claude haiku", "claude"),
    ("github copilot", "copilot"),
    ("copilot", "copilot"),
    ("cursor agent", "cursor"),
    ("cursor", "cursor"),
    ("aider", "aider"),
    ("codex", "codex"),
    ("chatgpt", "chatgpt"),
    ("openai", "openai"),
    ("gemini", "gemini"),
    ("devin ai", "devin"),
    ("devin-ai-integration", "devin"),
    ("windsurf", "windsurf"),
    ("codeium", "codeium"),
    ("amazon q", "amazon-q"),
    ("amazon-q", "amazon-q"),
    ("amazonq", "amazon-q"),
    ("q developer", "amazon-q"),
    ("codewhisperer", "amazon-q"),
    ("sweep ai", "sweep"),
    ("sweep-ai", "sweep"),
    ("sweepai", "sweep"),
    ("google-labs-jules", "jules"),
    ("tabnine", "tabnine"),
    ("opencode", "opencode"),
];

/// Whether an entry of [`TOOL_EMAILS`] is a company's domain (it holds a
/// dot), where people have addresses too, rather than an address only a
/// tool uses.
fn is_domain(fragment: &str) -> bool {
    fragment.contains('.')
}

/// Email fragments that name an AI tool.
const TOOL_EMAILS: &[(&str, &str)] = &[
    ("anthropic.com", "claude"),
    ("copilot", "copilot"),
    ("cursor.com", "cursor"),
    ("cursor.sh", "cursor"),
    ("cursoragent", "cursor"),
    ("aider.chat", "aider"),
    ("openai.com", "openai"),
    ("devin-ai-integration", "devin"),
    ("cognition.ai", "devin"),
    ("windsurf.com", "windsurf"),
    ("codeium.com", "codeium"),
    ("gemini-code-assist", "gemini"),
    ("sweep.dev", "sweep"),
    ("google-labs-jules", "jules"),
    ("amazonq", "amazon-q"),
    ("tabnine.com", "tabnine"),
];

/// The AI tool an identity names, if any: by its name, or by its email.
fn known_tool(name: &str, email: &str) -> Option<&'static str> {
    let email_lower = email.to_lowercase();
    tool_by_name(name, email)
        .or_else(|| TOOL_EMAILS.iter().find(|(frag, _)| email_lower.contains(frag)).map(|&(_, tool)| tool))
}

/// The AI tool an identity's name names: a tool's name as a word, a GPT
/// model, or a bare "Claude", which is a person's name too, so only with no
/// email or a no-reply one.
fn tool_by_name(name: &str, email: &str) -> Option<&'static str> {
    let name = name.trim().to_lowercase();
    if let Some(&(_, tool)) = TOOL_NAMES.iter().find(|(word, _)| has_word(&name, word)) {
        return Some(tool);
    }
    if name.starts_with("gpt-") {
        return Some("openai");
    }
    let email = email.to_lowercase();
    (name == "claude" && (email.is_empty() || email.contains("noreply"))).then_some("claude")
}

/// Whether `word` appears in `text` not inside a longer word.
fn has_word(text: &str, word: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(word).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + word.len()).copied();
        !before.is_some_and(|b| b.is_ascii_alphanumeric()) && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

// ---------------------------------------------------------------------------
// git-ai notes

/// Who one entry of a git-ai note names, as git-ai resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitAiAuthor {
    /// An AI tool (from the note's `sessions` or `prompts`, or the `prompts`
    /// of another note), or a human the note's `humans` names.
    Resolved(Attribution),
    /// A prompt or session the notes do not define: git-ai skips the entry
    /// (an earlier entry for the line may answer); when none answers, vouch
    /// reads it as AI of tool `git-ai`, since git-ai's entries name prompts.
    UnresolvedAi {
        /// A bare prompt key, which git-ai also looks up in other notes.
        prompt: Option<String>,
    },
    /// `human` (the sentinel of older git-ai versions) or an `h_` key the
    /// note's `humans` lacks: skipped by git-ai; when no other entry
    /// answers, a human with no name.
    UnresolvedHuman,
}

/// Line ranges (1-based, inclusive) and who wrote them.
pub type GitAiEntry = (Vec<[u32; 2]>, GitAiAuthor);

/// A git-ai authorship log: per file, its entries in the note's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GitAiNote {
    pub files: HashMap<String, Vec<GitAiEntry>>,
}

impl GitAiNote {
    /// The attribution of the 1-based `line` of `path`, read as git-ai reads
    /// it: the latest entry covering the line that resolves wins; entries
    /// that do not resolve are skipped. When none resolves, an unresolved
    /// AI entry makes the line AI (tool `git-ai`), else an unresolved human
    /// one makes it human.
    pub fn attribution(&self, path: &str, line: u32) -> Option<Attribution> {
        let entries = self.files.get(path)?;
        let mut fallback: Option<Attribution> = None;
        for (ranges, author) in entries.iter().rev() {
            if !ranges.iter().any(|r| r[0] <= line && line <= r[1]) {
                continue;
            }
            match author {
                GitAiAuthor::Resolved(attr) => return Some(attr.clone()),
                GitAiAuthor::UnresolvedAi { .. } => {
                    if !fallback.as_ref().is_some_and(Attribution::is_ai) {
                        fallback = Some(git_ai_agent(None));
                    }
                }
                GitAiAuthor::UnresolvedHuman => {
                    fallback.get_or_insert(Attribution {
                        origin: Origin::Human,
                        evidence: Some(Evidence::History),
                        accepted_by: None,
                        intent: None,
                    });
                }
            }
        }
        fallback
    }

    /// Whether the note attributes any line to AI.
    pub fn claims_ai(&self) -> bool {
        self.files.keys().any(|path| self.claims_ai_in(path))
    }

    /// Whether the note attributes any line of `path` to AI.
    pub fn claims_ai_in(&self, path: &str) -> bool {
        self.first_ai(path).is_some()
    }

    /// The AI attribution of the first line of `path` the note attributes
    /// to AI.
    pub fn first_ai(&self, path: &str) -> Option<Attribution> {
        let entries = self.files.get(path)?;
        // Which entries cover a line changes only where a range starts or
        // ends: asking at each such point asks about every line.
        let mut points: Vec<u32> =
            entries.iter().flat_map(|(ranges, _)| ranges.iter().flat_map(|r| [r[0], r[1].saturating_add(1)])).collect();
        points.sort_unstable();
        points.dedup();
        points.into_iter().find_map(|line| self.attribution(path, line).filter(Attribution::is_ai))
    }

    /// Resolve prompt keys this note does not define with `lookup` (the
    /// prompts of other notes, as git-ai searches them).
    fn resolve_foreign(&mut self, lookup: &HashMap<String, AiSource>) {
        for entries in self.files.values_mut() {
            for (_, author) in entries.iter_mut() {
                if let GitAiAuthor::UnresolvedAi { prompt: Some(key) } = author
                    && let Some(source) = lookup.get(key.as_str())
                {
                    *author = GitAiAuthor::Resolved(Attribution::ai(source.clone(), Evidence::History, None));
                }
            }
        }
    }

    fn has_foreign_prompts(&self) -> bool {
        self.files.values().flatten().any(|(_, a)| matches!(a, GitAiAuthor::UnresolvedAi { prompt: Some(_) }))
    }
}

/// Reads git-ai notes, resolving prompt ids that another commit's note
/// defines (a cherry-pick, a rebase) as git-ai does: by searching every
/// note in `refs/notes/ai`, once, and only when a note needs it.
pub struct GitAiReader<'r> {
    repo: &'r Repository,
    foreign: Option<HashMap<String, AiSource>>,
    /// The git-ai notes ref's trees, each indexed once per reader.
    notes: notes::NotesIndex,
    /// Notes' texts kept between runs, when this reader uses them.
    kept: Option<NoteTexts>,
}

impl<'r> GitAiReader<'r> {
    pub fn new(repo: &'r Repository) -> GitAiReader<'r> {
        GitAiReader { repo, foreign: None, notes: notes::NotesIndex::new(GIT_AI_NOTES_REF), kept: None }
    }

    /// A reader that keeps the texts of the notes it reads, and reads those
    /// kept by earlier runs (see [`NoteTexts`]).
    pub fn keeping(repo: &'r Repository) -> GitAiReader<'r> {
        GitAiReader { kept: Some(NoteTexts::of(repo)), ..GitAiReader::new(repo) }
    }

    /// The content of the git-ai note blob on `commit`, if it has one,
    /// found as `git_note_read` finds it.
    fn note_message(&mut self, commit: Oid) -> Result<Option<Vec<u8>>, git2::Error> {
        let Some(id) = self.notes.note_id(self.repo, commit)? else { return Ok(None) };
        if let Some(text) = self.kept.as_ref().and_then(|k| k.get(id)) {
            return Ok(Some(text));
        }
        let Some(blob) = self.notes.note_blob(self.repo, commit)? else { return Ok(None) };
        if let Some(kept) = &self.kept {
            kept.put(id, blob.content());
        }
        Ok(Some(blob.content().to_vec()))
    }

    /// The git-ai note on `commit`, if it has one.
    pub fn read(&mut self, commit: Oid) -> Result<Option<GitAiNote>, HistoryError> {
        let content = match self.note_message(commit) {
            Ok(Some(content)) => content,
            Ok(None) => return Ok(None),
            Err(cause) => {
                return Err(HistoryError::Git { action: format!("read the git-ai note on {commit}"), cause });
            }
        };
        let text = String::from_utf8_lossy(notes::note_text(&content));
        let mut parsed = parse_git_ai_note(&text).map_err(|reason| HistoryError::GitAiNote { commit, reason })?;
        if parsed.has_foreign_prompts() {
            parsed.resolve_foreign(self.foreign_prompts()?);
        }
        Ok(Some(parsed))
    }

    /// Every prompt any git-ai note defines, the first definition of a key
    /// winning (as git-ai takes the first note its search finds).
    fn foreign_prompts(&mut self) -> Result<&HashMap<String, AiSource>, HistoryError> {
        if self.foreign.is_none() {
            let mut prompts: HashMap<String, AiSource> = HashMap::new();
            let failed = |cause| HistoryError::Git { action: "list the git-ai notes".into(), cause };
            let notes = match self.repo.notes(Some(GIT_AI_NOTES_REF)) {
                Ok(notes) => Some(notes),
                Err(e) if e.code() == ErrorCode::NotFound => None,
                Err(cause) => return Err(failed(cause)),
            };
            for item in notes.into_iter().flatten() {
                let (blob, _) = item.map_err(failed)?;
                let Ok(blob) = self.repo.find_blob(blob) else { continue };
                for (key, source) in note_prompts(blob.content()) {
                    prompts.entry(key).or_insert(source);
                }
            }
            self.foreign = Some(prompts);
        }
        Ok(self.foreign.get_or_insert_with(HashMap::new))
    }
}

/// The prompts a git-ai note defines (key and agent), whatever its layout;
/// nothing for a note that does not parse.
fn note_prompts(bytes: &[u8]) -> Vec<(String, AiSource)> {
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(default)]
        prompts: HashMap<String, Prompt>,
    }
    #[derive(serde::Deserialize)]
    struct Prompt {
        agent_id: Option<serde_json::Value>,
    }
    let text = String::from_utf8_lossy(bytes);
    let json = if text.trim_start().starts_with('{') {
        &text[..]
    } else {
        match text.split_once("\n---\n").or_else(|| text.strip_prefix("---\n").map(|rest| ("", rest))) {
            Some((_, json)) => json,
            None => return Vec::new(),
        }
    };
    let Ok(meta) = serde_json::from_str::<Meta>(json) else { return Vec::new() };
    meta.prompts
        .into_iter()
        .filter_map(|(key, prompt)| match git_ai_agent(prompt.agent_id.as_ref()).origin {
            Origin::Ai(source) if prompt.agent_id.is_some() => Some((key, source)),
            _ => None,
        })
        .collect()
}

/// Parse a git-ai note: `authorship/3.x` (attestation lines, `---`, JSON
/// metadata) or the older JSON `authorship/2.x` layout. Keys are resolved
/// against this note's own metadata only (see [`GitAiReader`] for prompts
/// other notes define).
pub fn parse_git_ai_note(text: &str) -> Result<GitAiNote, String> {
    if text.trim_start().starts_with('{') {
        return parse_git_ai_json(text);
    }
    let mut lines = text.lines();
    let attestation: Vec<&str> = lines.by_ref().take_while(|l| l.trim_end() != "---").collect();
    let metadata: String = lines.collect::<Vec<_>>().join("\n");
    if metadata.trim().is_empty() {
        return Err("no \"---\" line and metadata".into());
    }
    let meta: serde_json::Value = serde_json::from_str(&metadata).map_err(|e| format!("metadata is not JSON: {e}"))?;
    let version = meta.get("schema_version").and_then(|v| v.as_str()).unwrap_or("");
    if !version.starts_with("authorship/3.") {
        return Err(format!("unsupported schema version {version:?}"));
    }
    let mut note = GitAiNote::default();
    let mut path: Option<String> = None;
    for (i, line) in attestation.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(entry) = line.strip_prefix("  ") {
            let Some(path) = &path else {
                return Err(format!("line {}: an entry before any file", i + 1));
            };
            let (key, ranges) =
                entry.trim().split_once(' ').ok_or_else(|| format!("line {}: expected \"key ranges\"", i + 1))?;
            let ranges = parse_ranges(ranges).map_err(|e| format!("line {}: {e}", i + 1))?;
            let author = git_ai_key_author(&meta, key);
            note.files.entry(path.clone()).or_default().push((ranges, author));
        } else {
            path = Some(unquote(line.trim_end()));
        }
    }
    Ok(note)
}

/// Who a 3.x attestation key names, routed as git-ai routes it: `h_…` in
/// `humans`, `s_…::t_…` in `sessions` (by the part before `::`), the
/// sentinel `human` (older versions) as a human, anything else in `prompts`.
fn git_ai_key_author(meta: &serde_json::Value, key: &str) -> GitAiAuthor {
    if key == "human" {
        return GitAiAuthor::UnresolvedHuman;
    }
    if key.starts_with("h_") {
        let Some(record) = meta.get("humans").and_then(|h| h.get(key)) else {
            return GitAiAuthor::UnresolvedHuman;
        };
        let author = record.get("author").and_then(|a| a.as_str());
        return GitAiAuthor::Resolved(Attribution {
            origin: Origin::Human,
            evidence: Some(Evidence::History),
            accepted_by: author.map(str::to_string),
            intent: None,
        });
    }
    if key.starts_with("s_") {
        let session = key.split("::").next().unwrap_or(key);
        return match meta.get("sessions").and_then(|s| s.get(session)) {
            Some(record) => GitAiAuthor::Resolved(git_ai_agent(record.get("agent_id"))),
            None => GitAiAuthor::UnresolvedAi { prompt: None },
        };
    }
    match meta.get("prompts").and_then(|p| p.get(key)) {
        Some(record) => GitAiAuthor::Resolved(git_ai_agent(record.get("agent_id"))),
        None => GitAiAuthor::UnresolvedAi { prompt: Some(key.to_string()) },
    }
}

fn git_ai_agent(agent: Option<&serde_json::Value>) -> Attribution {
    let field = |k: &str| agent.and_then(|a| a.get(k)).and_then(|v| v.as_str()).map(str::to_string);
    let tool = field("tool").unwrap_or_else(|| "git-ai".to_string());
    let mut source = source(tool, field("model"));
    source.session = field("id");
    Attribution::ai(source, Evidence::History, None)
}

/// `1-4,9,12-20` into inclusive ranges.
fn parse_ranges(s: &str) -> Result<Vec<[u32; 2]>, String> {
    s.split(',')
        .map(|part| {
            let bad = || format!("bad line range {part:?}");
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b): (u32, u32) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
            if a == 0 || b < a { Err(bad()) } else { Ok([a, b]) }
        })
        .collect()
}

/// The 2.x layout: `{"files": {path: [[lines, author_key, session?, turn?]]},
/// "prompts": {session: {"agent_id": {...}}}}`, lines being numbers or
/// `[start, end]`. An entry with a session is AI; one without is its human
/// author.
fn parse_git_ai_json(text: &str) -> Result<GitAiNote, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let files = value.get("files").and_then(|f| f.as_object()).ok_or("no \"files\" object")?;
    let mut note = GitAiNote::default();
    for (path, entries) in files {
        let entries = entries.as_array().ok_or_else(|| format!("{path}: entries are not a list"))?;
        for entry in entries {
            let bad = || format!("{path}: bad entry {entry}");
            let parts = entry.as_array().ok_or_else(bad)?;
            let lines = parts.first().and_then(|l| l.as_array()).ok_or_else(bad)?;
            let mut ranges = Vec::new();
            for l in lines {
                let range = match (l.as_u64(), l.as_array()) {
                    (Some(n), _) => [n, n],
                    (None, Some(pair)) if pair.len() == 2 => {
                        [pair[0].as_u64().ok_or_else(bad)?, pair[1].as_u64().ok_or_else(bad)?]
                    }
                    _ => return Err(bad()),
                };
                let (a, b) = (u32::try_from(range[0]).map_err(|_| bad())?, u32::try_from(range[1]).map_err(|_| bad())?);
                if a == 0 || b < a {
                    return Err(bad());
                }
                ranges.push([a, b]);
            }
            let author = match parts.get(2).and_then(|s| s.as_str()) {
                Some(session) => {
                    GitAiAuthor::Resolved(git_ai_agent(value.pointer(&format!("/prompts/{session}/agent_id"))))
                }
                None => GitAiAuthor::Resolved(Attribution {
                    origin: Origin::Human,
                    evidence: Some(Evidence::History),
                    accepted_by: None,
                    intent: None,
                }),
            };
            note.files.entry(path.clone()).or_default().push((ranges, author));
        }
    }
    Ok(note)
}

// ---------------------------------------------------------------------------
// Lines to bytes

/// The byte spans of `text` (the blamed text) that `origins` attribute to
/// something other than unknown, each line with its line break, neighbours
/// with one attribution merged. Lines past the end of `text` are ignored.
pub fn line_origins_to_spans(
    text: &(impl AsRef<[u8]> + ?Sized),
    origins: &[LineOrigin],
) -> Vec<(Range<usize>, Attribution)> {
    let lines = notes::line_spans(text);
    let mut sorted: Vec<&LineOrigin> = origins.iter().filter(|o| o.attribution.origin != Origin::Unknown).collect();
    sorted.sort_by_key(|o| o.line);
    let mut out: Vec<(Range<usize>, Attribution)> = Vec::new();
    for o in sorted {
        let Some(range) = o.line.checked_sub(1).and_then(|i| lines.get(i as usize)) else { continue };
        match out.last_mut() {
            Some((prev, attr)) if prev.end == range.start && *attr == o.attribution => prev.end = range.end,
            _ => out.push((range.clone(), o.attribution.clone())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_name_the_tool() {
        let cases = [
            ("fix\n\nCo-authored-by: Claude <noreply@anthropic.com>\n", Some("claude")),
            ("fix\n\nCo-Authored-By: Claude Opus 4.1 <noreply@anthropic.com>", Some("claude")),
            ("fix\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", Some("copilot")),
            ("fix\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>", Some("cursor")),
            ("fix\n\nCo-authored-by: aider (gpt-4o) <aider@aider.chat>", Some("aider")),
            ("fix\n\nCo-authored-by: Codex <codex@openai.com>", Some("codex")),
            ("fix\n\nCo-authored-by: gemini-code-assist[bot] <x@users.noreply.github.com>", Some("gemini")),
            (
                "fix\n\nCo-authored-by: devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
                Some("devin"),
            ),
            ("fix\n\nCo-authored-by: Windsurf <noreply@windsurf.com>", Some("windsurf")),
            ("fix\n\nCo-authored-by: Amazon Q Developer <q@amazon.com>", Some("amazon-q")),
            ("fix\n\nCo-authored-by: ChatGPT <chatgpt@example.com>", Some("chatgpt")),
            ("fix\n\nCo-authored-by: sweep-ai[bot] <x@users.noreply.github.com>", Some("sweep")),
            ("fix\n\nAssisted-by: GitHub Copilot", Some("copilot")),
            ("fix\n\nAssisted-by: SomeNewTool 2", Some("somenewtool 2")),
            ("fix\n\nGenerated-by: gpt-4o", Some("openai")),
            ("fix\n\nSigned-off-by: A <a@x.org>\nCo-authored-by: Claude <noreply@anthropic.com>", Some("claude")),
            ("feat\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n", Some("claude")),
            // People are not AI, even when they share a tool's name.
            ("fix\n\nCo-authored-by: Claude Monet <claude@monet.fr>", None),
            ("fix\n\nCo-authored-by: Devin Smith <devin@gmail.com>", None),
            ("fix\n\nCo-authored-by: Ann Cursory <ann@x.org>", None),
            // A trailer-like line outside the last paragraph is not a trailer.
            ("Co-authored-by: Claude <noreply@anthropic.com>\n\nbody", None),
            ("plain message", None),
            ("docs: how text generated with Claude Code is tracked", None),
        ];
        for (message, want) in cases {
            assert_eq!(ai_trailer_tool(message).as_deref(), want, "{message}");
        }
    }

    #[test]
    fn bots_and_aider_are_recognized() {
        assert!(is_bot("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", &[]));
        assert!(is_bot("Renovate", "bot@renovateapp.com", &["bot@renovateapp.com".into()]));
        assert!(!is_bot("Ann", "ann@x.org", &["renovate".into()]));
        assert!(is_aider("Ann Smith (aider)"));
        assert!(!is_aider("Ann Smith"));
    }

    #[test]
    fn porcelain_is_parsed() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let out = format!(
            "{a} 1 1 2\nauthor A\nsummary s\nfilename old name.rs\n\tline one\n{a} 2 2\n\tline two\n\
             {b} 5 3 1\nauthor B\nprevious {a} old name.rs\nfilename \"new\\tname.rs\"\n\tthird\n"
        );
        let got = parse_porcelain(out.as_bytes(), "x.rs").unwrap();
        let (a, b) = (Oid::from_str(&a).unwrap(), Oid::from_str(&b).unwrap());
        let want = vec![
            BlameLine { commit: a, orig_line: 1, final_line: 1, orig_path: "old name.rs".into() },
            BlameLine { commit: a, orig_line: 2, final_line: 2, orig_path: "old name.rs".into() },
            BlameLine { commit: b, orig_line: 5, final_line: 3, orig_path: "new\tname.rs".into() },
        ];
        assert_eq!(got, want);
        assert_eq!(unquote(r#""a\303\251b""#), "aéb");
    }

    #[test]
    fn git_ai_notes_are_found_as_libgit2_finds_them() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let texts: [&[u8]; 6] = [b"flat", b"fanned", b"deep", b"under", b"before\0after", b"hidden by the directory"];
        let commits = notes::tests::notes_in_every_layout(&repo, GIT_AI_NOTES_REF, |i| texts[i].to_vec());
        // Read from git, from git again keeping the texts, then from those
        // kept: the same each time.
        for mut reader in [GitAiReader::new(&repo), GitAiReader::keeping(&repo), GitAiReader::keeping(&repo)] {
            let mut found = 0;
            for commit in &commits {
                let want = repo.find_note(Some(GIT_AI_NOTES_REF), *commit).ok().map(|n| n.message_bytes().to_vec());
                let got = reader.note_message(*commit).unwrap().map(|b| notes::note_text(&b).to_vec());
                assert_eq!(got, want, "note on {commit}");
                found += usize::from(want.is_some());
            }
            assert_eq!(found, 5);
        }
        let kept = std::fs::read_dir(repo.commondir().join("vouch/cache/notes")).unwrap().count();
        assert_eq!(kept, 5, "one text kept for each note read");
        // What is kept is what is read: with a note's blob gone from git
        // (a partial clone left it out), a reader that keeps texts still
        // finds it, and one that does not cannot read it (never no note).
        let hex = repo.find_note(Some(GIT_AI_NOTES_REF), commits[0]).unwrap().id().to_string();
        std::fs::remove_file(repo.path().join("objects").join(&hex[..2]).join(&hex[2..])).unwrap();
        let err = GitAiReader::new(&repo).note_message(commits[0]).unwrap_err();
        assert!(err.message().contains(&hex) && err.message().contains("partial clone"), "{err}");
        let kept = GitAiReader::keeping(&repo).note_message(commits[0]).unwrap().map(|b| notes::note_text(&b).to_vec());
        assert_eq!(kept.as_deref(), Some(&b"flat"[..]));
        // No notes ref at all: no note.
        let bare = tempfile::tempdir().unwrap();
        let bare = Repository::init(bare.path()).unwrap();
        assert!(GitAiReader::new(&bare).note_message(commits[0]).unwrap().is_none());
    }

    #[test]
    fn git_ai_v3_notes_are_read() {
        let note = r#"src/main.rs
  s_c9883b05a2487d::t_9f8e7d6c5b4a32 1-10,15-20
  h_31dce776f88375 35-40
"src/my file.rs"
  abcd1234abcd1234 3
---
{
  "schema_version": "authorship/3.0.0",
  "base_commit_sha": "7734793b756b3921c88db5375a8c156e9532447b",
  "prompts": {"abcd1234abcd1234": {"agent_id": {"tool": "cursor", "id": "x", "model": "gpt-4"}}},
  "humans": {"h_31dce776f88375": {"author": "Dev <dev@example.com>"}},
  "sessions": {"s_c9883b05a2487d": {"agent_id": {"tool": "claude", "id": "conv", "model": "claude-sonnet-4-5"}}}
}"#;
        let parsed = parse_git_ai_note(note).unwrap();
        let tool = |p: &str, l: u32| parsed.attribution(p, l).map(|a| (a.origin.label(), a.tool().map(str::to_string)));
        assert_eq!(tool("src/main.rs", 5), Some(("ai", Some("claude".into()))));
        assert_eq!(tool("src/main.rs", 12), None);
        assert_eq!(tool("src/main.rs", 36), Some(("human", None)));
        assert_eq!(tool("src/my file.rs", 3), Some(("ai", Some("cursor".into()))));
        let model = parsed.attribution("src/main.rs", 1).and_then(|a| match &a.origin {
            Origin::Ai(s) => s.model.clone(),
            _ => None,
        });
        assert_eq!(model.as_deref(), Some("claude-sonnet-4-5"));
        assert!(parse_git_ai_note("a.rs\n  k 1\n---\n{\"schema_version\":\"authorship/9\"}").is_err());
        assert!(parse_git_ai_note("a.rs\n  k x-y\n---\n{\"schema_version\":\"authorship/3.0.0\"}").is_err());
        assert!(parse_git_ai_note("just text").is_err());
    }

    #[test]
    fn git_ai_keys_are_routed_as_git_ai_routes_them() {
        let note = r#"a.rs
  c9883b05a2487d6d 1-10
  human 2
  h_ffffffffffffff 3
  s_00000000000000::t_1 4
  h_31dce776f88375 5
  deadbeefdeadbeef 20
  human 21
  h_ffffffffffffff 22
---
{"schema_version":"authorship/3.0.0","base_commit_sha":"x",
 "prompts":{"c9883b05a2487d6d":{"agent_id":{"tool":"cursor","id":"s","model":"gpt-4"}}},
 "humans":{"h_31dce776f88375":{"author":"Dev <dev@example.com>"}}}"#;
        let parsed = parse_git_ai_note(note).unwrap();
        let read = |l: u32| parsed.attribution("a.rs", l).map(|a| (a.origin.label(), a.tool().map(str::to_string)));
        let cursor = Some(("ai", Some("cursor".to_string())));
        // Unresolved entries (the `human` sentinel, an `h_` or `s_` key the
        // note lacks) are skipped: the earlier prompt answers.
        assert_eq!(read(1), cursor);
        assert_eq!(read(2), cursor);
        assert_eq!(read(3), cursor);
        assert_eq!(read(4), cursor);
        // A resolved later entry wins, human or not.
        assert_eq!(read(5), Some(("human", None)));
        // Nothing resolves: an unknown prompt is still AI (tool git-ai); the
        // sentinel alone is human.
        assert_eq!(read(20), Some(("ai", Some("git-ai".to_string()))));
        assert_eq!(read(21), Some(("human", None)));
        assert_eq!(read(22), Some(("human", None)));
        assert_eq!(read(30), None);
        assert!(parsed.claims_ai_in("a.rs"));
        let human_only = parse_git_ai_note(
            "b.rs\n  human 1-3\n---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\"prompts\":{}}",
        )
        .unwrap();
        assert!(!human_only.claims_ai());
        assert_eq!(human_only.attribution("b.rs", 2).map(|a| a.origin.label()), Some("human"));
    }

    #[test]
    fn prompts_another_note_defines_are_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let sig = git2::Signature::now("Dev", "dev@example.com").unwrap();
        let tree = repo.find_tree(repo.treebuilder(None).unwrap().write().unwrap()).unwrap();
        let first = repo.commit(Some("HEAD"), &sig, &sig, "one", &tree, &[]).unwrap();
        let parent = repo.find_commit(first).unwrap();
        let second = repo.commit(Some("HEAD"), &sig, &sig, "two", &tree, &[&parent]).unwrap();
        let meta = |prompts: &str| {
            format!(
                "---\n{{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\"prompts\":{{{prompts}}}}}"
            )
        };
        let defining = format!(
            "a.rs\n  abcd1234abcd1234 1\n{}",
            meta(r#""abcd1234abcd1234":{"agent_id":{"tool":"cursor","id":"c1","model":"gpt-4"},"messages":[]}"#)
        );
        let using = format!("a.rs\n  abcd1234abcd1234 1-2\n{}", meta(""));
        repo.note(&sig, &sig, Some(GIT_AI_NOTES_REF), first, &defining, false).unwrap();
        repo.note(&sig, &sig, Some(GIT_AI_NOTES_REF), second, &using, false).unwrap();
        let mut reader = GitAiReader::new(&repo);
        let note = reader.read(second).unwrap().unwrap();
        let attr = note.attribution("a.rs", 2).unwrap();
        assert_eq!(attr.tool(), Some("cursor"));
        assert!(reader.read(repo.head().unwrap().target().unwrap()).unwrap().is_some());
        let untouched = parse_git_ai_note(&using).unwrap();
        assert_eq!(untouched.attribution("a.rs", 2).unwrap().tool(), Some("git-ai"));
    }

    #[test]
    fn git_ai_v2_notes_are_read() {
        let note = r#"{"schema_version":"authorship/2.0.0","base_commit_sha":"abc",
            "files":{"a.rs":[[[1,[4,6]],"k1","sess",0],[[9],"k2"]]},
            "authors":{"k1":{"username":"a","email":"a@x"}},
            "prompts":{"sess":{"agent_id":{"tool":"copilot","id":"sess","model":"gpt-4o"},"messages":[]}}}"#;
        let parsed = parse_git_ai_note(note).unwrap();
        let label = |l: u32| parsed.attribution("a.rs", l).map(|a| (a.origin.label(), a.tool().map(str::to_string)));
        assert_eq!(label(1), Some(("ai", Some("copilot".into()))));
        assert_eq!(label(5), Some(("ai", Some("copilot".into()))));
        assert_eq!(label(2), None);
        assert_eq!(label(9), Some(("human", None)));
    }

    #[test]
    fn line_origins_become_byte_spans() {
        let ai = Attribution::ai(source("claude".into(), None), Evidence::History, None);
        let origin = |line: u32, attribution: Attribution| LineOrigin {
            line,
            attribution,
            commit: None,
            orig_path: "a".into(),
            orig_line: line,
            approvals: Vec::new(),
            source: None,
        };
        let text = "one\ntwo\nthree\nfour";
        let origins = vec![
            origin(1, Attribution::unknown()),
            origin(3, ai.clone()),
            origin(2, ai.clone()),
            origin(
                4,
                Attribution {
                    origin: Origin::Human,
                    evidence: Some(Evidence::History),
                    accepted_by: None,
                    intent: None,
                },
            ),
            origin(9, ai.clone()),
        ];
        let spans = line_origins_to_spans(text, &origins);
        let got: Vec<(Range<usize>, &str)> = spans.iter().map(|(r, a)| (r.clone(), a.origin.label())).collect();
        assert_eq!(got, vec![(4..14, "ai"), (14..18, "human")]);
    }
}
