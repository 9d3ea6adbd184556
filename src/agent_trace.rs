//! Agent Trace records (https://github.com/cursor/agent-trace, version
//! 0.1.0): the vendor-neutral JSON format other tools use for AI
//! attribution, written from vouch's note records and read back into them.
//!
//! Pure: a commit's note records in, one trace record out
//! ([`to_trace`]); a file's text in, the AI claims it makes out
//! ([`parse`]). Reading notes and blobs and writing notes is the
//! command's job (`cli::agent_trace`).
//!
//! Mapping. One trace record per commit (`vcs.revision`, the commit id;
//! line numbers are positions in that commit's file, as the specification
//! says). Each vouch file record becomes one conversation of its file, with
//! contributor `ai`, the model as `model_id`, and its ranges; what the
//! format has no field for (tool, session, evidence, who accepted the
//! text, the intent) goes in `metadata["dev.vouch"].conversations`, by
//! path and index. vouch writes `version` `"0.1"`: the published schema
//! (`schemas/trace-record.json`) takes two numbers, though the prose says
//! `0.1.0`; both are read.
//!
//! Reading trusts nothing more than a vouch note: ranges whose contributor
//! is `ai` or `mixed` (AI output a person edited is still AI) become AI
//! lines; `human` and `unknown` ranges are counted and dropped: a claim
//! of human from another tool never outranks AI evidence, and an import
//! never attests `no-ai`.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::intent::Intent;
use crate::store::notes::FileRecord;

/// The specification version vouch writes.
pub const VERSION: &str = "0.1";
/// The key of vouch's data in `metadata` (reverse-domain, as the
/// specification asks).
pub const METADATA_KEY: &str = "dev.vouch";
/// The longest `model_id` the schema allows.
const MODEL_ID_MAX: usize = 250;

/// What vouch knows of one commit, for its trace record.
pub struct CommitTrace<'a> {
    pub commit: &'a str,
    /// Seconds since the epoch (the commit time).
    pub time: i64,
    pub records: &'a [FileRecord],
}

/// The trace record of one commit.
pub fn to_trace(commit: &CommitTrace<'_>) -> Value {
    let mut files: Vec<(String, Vec<Value>)> = Vec::new();
    let mut extra: Vec<Value> = Vec::new();
    for record in commit.records {
        let index = match files.iter_mut().find(|(p, _)| *p == record.path) {
            Some((_, conversations)) => conversations.len(),
            None => {
                files.push((record.path.clone(), Vec::new()));
                0
            }
        };
        let mut contributor = Map::new();
        contributor.insert("type".into(), "ai".into());
        if let Some(model) = &record.origin.model {
            contributor.insert("model_id".into(), model.chars().take(MODEL_ID_MAX).collect::<String>().into());
        }
        let ranges: Vec<Value> = record.ai.iter().map(|[a, b]| json!({"start_line": a, "end_line": b})).collect();
        if let Some((_, conversations)) = files.iter_mut().find(|(p, _)| *p == record.path) {
            conversations.push(json!({"contributor": contributor, "ranges": ranges}));
        }
        let mut meta = Map::new();
        meta.insert("path".into(), record.path.clone().into());
        meta.insert("conversation".into(), index.into());
        meta.insert("tool".into(), record.origin.tool.clone().into());
        if let Some(session) = &record.origin.session {
            meta.insert("session".into(), session.clone().into());
        }
        meta.insert("evidence".into(), record.evidence.label().into());
        if let Some(who) = &record.accepted_by {
            meta.insert("accepted_by".into(), who.clone().into());
        }
        if let Some(intent) = &record.intent {
            meta.insert("intent".into(), serde_json::to_value(intent).unwrap_or(Value::Null));
        }
        extra.push(Value::Object(meta));
    }
    let files: Vec<Value> = files.into_iter().map(|(path, c)| json!({"path": path, "conversations": c})).collect();
    json!({
        "version": VERSION,
        "id": record_id(commit.commit),
        "timestamp": timestamp(commit.time),
        "vcs": {"type": "git", "revision": commit.commit},
        "tool": {"name": "vouch", "version": env!("CARGO_PKG_VERSION")},
        "files": files,
        "metadata": {METADATA_KEY: {"conversations": extra}},
    })
}

/// A stable id for a commit's record: a version-8 UUID (RFC 9562) made
/// from a hash of the commit id, so that exporting twice gives one id.
fn record_id(commit: &str) -> String {
    let digest = Sha256::digest(format!("vouch agent-trace\0{commit}").as_bytes());
    let mut b: [u8; 16] = digest[..16].try_into().unwrap_or([0; 16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// RFC 3339 in UTC, seconds, `Z`.
fn timestamp(seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// The AI claims of one trace record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The git revision the line numbers refer to, as written.
    pub revision: String,
    pub files: Vec<FileClaim>,
    /// Ranges a `human` or `unknown` contributor claims: not imported.
    pub not_ai: usize,
}

/// AI lines of one file from one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileClaim {
    pub path: String,
    /// The producing tool (the record's `tool.name`).
    pub tool: String,
    pub model: Option<String>,
    /// The conversation's URL, as the session.
    pub session: Option<String>,
    /// 1-based inclusive line ranges, as given (not yet checked against
    /// the file).
    pub ai: Vec<[u32; 2]>,
    /// The intent vouch exported with it (`metadata["dev.vouch"]`), if any.
    pub intent: Option<Intent>,
}

/// Read a file of trace records: one JSON object, an array of them, or
/// JSON Lines. Any record that does not have the shape the specification
/// gives is an error naming it (by its 1-based position) and the field.
pub fn parse(text: &str) -> Result<Vec<Claims>, String> {
    let trimmed = text.trim_start();
    let values: Vec<Value> = if trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(trimmed).map_err(|e| format!("not JSON: {e}"))? {
            Value::Array(items) => items,
            _ => return Err("not a JSON array".into()),
        }
    } else {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(value) => vec![value],
            Err(_) => text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: not JSON: {e}", i + 1)))
                .collect::<Result<_, _>>()?,
        }
    };
    if values.is_empty() {
        return Err("no trace record".into());
    }
    values.iter().enumerate().map(|(i, v)| claims(v).map_err(|e| format!("record {}: {e}", i + 1))).collect()
}

fn claims(value: &Value) -> Result<Claims, String> {
    let record = value.as_object().ok_or("not a JSON object")?;
    let version = record.get("version").and_then(Value::as_str).ok_or("missing `version`")?;
    let major = version.split('.').next().unwrap_or("");
    if major != "0" && major != "1" {
        return Err(format!("unsupported version {version:?} (vouch reads Agent Trace 0.x and 1.x)"));
    }
    let vcs = record.get("vcs").and_then(Value::as_object).ok_or(
        "no `vcs`: its line numbers refer to a revision, and vouch needs the git commit to know which file they count",
    )?;
    if vcs.get("type").and_then(Value::as_str) != Some("git") {
        return Err("`vcs.type` is not \"git\"".into());
    }
    let revision = vcs.get("revision").and_then(Value::as_str).ok_or("missing `vcs.revision`")?.to_string();
    let tool = match record.get("tool") {
        None => "agent-trace".to_string(),
        Some(t) => {
            let name = t.get("name").and_then(Value::as_str).ok_or("`tool.name` is not a string")?.trim();
            if name.is_empty() { "agent-trace".to_string() } else { name.to_string() }
        }
    };
    let extra = record
        .get("metadata")
        .and_then(|m| m.get(METADATA_KEY))
        .and_then(|v| v.get("conversations"))
        .and_then(Value::as_array);
    let files = record.get("files").and_then(Value::as_array).ok_or("missing `files` (an array)")?;
    let mut out = Claims { revision, files: Vec::new(), not_ai: 0 };
    for (f, file) in files.iter().enumerate() {
        let at = |field: &str| format!("files[{f}].{field}");
        let path = file.get("path").and_then(Value::as_str).ok_or_else(|| format!("{} is not a string", at("path")))?;
        if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c == ".." || c == ".") {
            return Err(format!("{} {path:?} is not a path relative to the repository root", at("path")));
        }
        let conversations = file
            .get("conversations")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{} is not an array", at("conversations")))?;
        for (c, conversation) in conversations.iter().enumerate() {
            let at = |field: &str| format!("files[{f}].conversations[{c}].{field}");
            let base =
                contributor(conversation.get("contributor")).map_err(|e| format!("{}: {e}", at("contributor")))?;
            let ranges = conversation
                .get("ranges")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{} is not an array", at("ranges")))?;
            let mut by_model: Vec<(Option<String>, Vec<[u32; 2]>)> = Vec::new();
            for (r, range) in ranges.iter().enumerate() {
                let at = |field: &str| format!("files[{f}].conversations[{c}].ranges[{r}].{field}");
                let line = |field: &str| {
                    range
                        .get(field)
                        .and_then(Value::as_u64)
                        .filter(|&n| n >= 1)
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| format!("{} is not a line number (an integer from 1)", at(field)))
                };
                let (start, end) = (line("start_line")?, line("end_line")?);
                if end < start {
                    return Err(format!("{} ends before it starts", at("end_line")));
                }
                let (kind, model) = match range.get("contributor") {
                    Some(v) => contributor(Some(v)).map_err(|e| format!("{}: {e}", at("contributor")))?,
                    None => base.clone(),
                };
                if !matches!(kind.as_str(), "ai" | "mixed") {
                    out.not_ai += 1;
                    continue;
                }
                let model = model.or_else(|| base.1.clone());
                match by_model.iter_mut().find(|(m, _)| *m == model) {
                    Some((_, lines)) => lines.push([start, end]),
                    None => by_model.push((model, vec![[start, end]])),
                }
            }
            let session = conversation.get("url").and_then(Value::as_str).map(str::to_string);
            let intent = extra
                .into_iter()
                .flatten()
                .find(|m| {
                    m.get("path").and_then(Value::as_str) == Some(path)
                        && m.get("conversation").and_then(Value::as_u64) == Some(c as u64)
                })
                .and_then(|m| m.get("intent"))
                .and_then(|i| serde_json::from_value::<Intent>(i.clone()).ok())
                .filter(|i| !i.is_empty());
            for (model, lines) in by_model {
                out.files.push(FileClaim {
                    path: path.to_string(),
                    tool: tool.clone(),
                    model,
                    session: session.clone(),
                    ai: crate::store::notes::merge_line_ranges(lines),
                    intent: intent.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// A contributor's type and model; no contributor is `unknown`.
fn contributor(value: Option<&Value>) -> Result<(String, Option<String>), String> {
    let Some(value) = value else { return Ok(("unknown".into(), None)) };
    let kind = value.get("type").and_then(Value::as_str).ok_or("missing `type`")?;
    if !matches!(kind, "human" | "ai" | "mixed" | "unknown") {
        return Err(format!("unknown contributor type {kind:?}"));
    }
    let model = match value.get("model_id") {
        None => None,
        Some(Value::String(m)) if !m.trim().is_empty() => Some(m.chars().take(MODEL_ID_MAX).collect()),
        Some(Value::String(_)) => None,
        Some(_) => return Err("`model_id` is not a string".into()),
    };
    Ok((kind.to_string(), model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{AiSource, Evidence};

    fn record(path: &str, ai: Vec<[u32; 2]>, model: Option<&str>) -> FileRecord {
        FileRecord {
            path: path.into(),
            blob: "0".repeat(40),
            ai,
            origin: AiSource {
                tool: "claude-code".into(),
                model: model.map(str::to_string),
                session: None,
                kind: None,
            },
            evidence: Evidence::AgentHook,
            accepted_by: Some("dev@example.com".into()),
            rationale: None,
            approvals: Vec::new(),
            intent: Some(Intent { said: Some("adding the coupon".into()), ..Intent::default() }),
            imported: None,
            deleted_before: Vec::new(),
            removed: false,
            mode: None,
        }
    }

    #[test]
    fn a_commit_round_trips_through_a_trace_record() {
        let commit = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0";
        let records =
            vec![record("src/a.py", vec![[1, 3], [7, 7]], Some("opus")), record("src/a.py", vec![[9, 9]], None)];
        let trace = to_trace(&CommitTrace { commit, time: 1_764_000_000, records: &records });
        assert_eq!(trace["version"], "0.1");
        assert_eq!(trace["timestamp"], "2025-11-24T16:00:00Z");
        let id = trace["id"].as_str().unwrap();
        assert_eq!(&id[14..15], "8");
        assert_eq!(id, to_trace(&CommitTrace { commit, time: 0, records: &records })["id"].as_str().unwrap());
        let back = parse(&trace.to_string()).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].revision, commit);
        type Got<'a> = (&'a str, Vec<[u32; 2]>, Option<&'a str>);
        let got: Vec<Got<'_>> =
            back[0].files.iter().map(|f| (f.path.as_str(), f.ai.clone(), f.model.as_deref())).collect();
        assert_eq!(got, vec![("src/a.py", vec![[1, 3], [7, 7]], Some("opus")), ("src/a.py", vec![[9, 9]], None)]);
        assert_eq!(back[0].files[1].intent.as_ref().and_then(|i| i.said.as_deref()), Some("adding the coupon"));
        assert_eq!(back[0].files[0].tool, "vouch");
    }

    #[test]
    fn human_and_unknown_ranges_are_not_claims() {
        let text = r#"{"version":"0.1.0","id":"550e8400-e29b-41d4-a716-446655440000","timestamp":"2026-01-25T10:00:00Z",
            "vcs":{"type":"git","revision":"abc"},
            "files":[{"path":"src/app.ts","conversations":[
              {"contributor":{"type":"human"},"ranges":[{"start_line":1,"end_line":50}]},
              {"ranges":[{"start_line":60,"end_line":61}]},
              {"contributor":{"type":"human"},"ranges":[{"start_line":70,"end_line":71,"contributor":{"type":"ai","model_id":"m"}}]},
              {"contributor":{"type":"mixed"},"ranges":[{"start_line":80,"end_line":80}]}]}]}"#;
        let claims = parse(text).unwrap();
        assert_eq!(claims[0].not_ai, 2);
        let ai: Vec<Vec<[u32; 2]>> = claims[0].files.iter().map(|f| f.ai.clone()).collect();
        assert_eq!(ai, vec![vec![[70, 71]], vec![[80, 80]]]);
        assert_eq!(claims[0].files[0].model.as_deref(), Some("m"));
        assert_eq!(claims[0].files[0].tool, "agent-trace");
    }

    #[test]
    fn bad_records_are_errors_naming_the_field() {
        let check = |text: &str, want: &str| {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{e:?} does not say {want:?}");
        };
        check("", "no trace record");
        check("{", "not JSON");
        check(r#"{"version":"2.0","files":[]}"#, "unsupported version");
        check(r#"{"version":"0.1","files":[]}"#, "no `vcs`");
        check(r#"{"version":"0.1","vcs":{"type":"jj","revision":"x"},"files":[]}"#, "vcs.type");
        let base = r#"{"version":"0.1","vcs":{"type":"git","revision":"x"},"files":"#;
        check(&format!("{base}[{{\"path\":\"../etc/passwd\",\"conversations\":[]}}]}}"), "not a path relative");
        check(&format!("{base}[{{\"path\":\"/abs\",\"conversations\":[]}}]}}"), "not a path relative");
        check(
            &format!(
                "{base}[{{\"path\":\"a\",\"conversations\":[{{\"ranges\":[{{\"start_line\":0,\"end_line\":1}}]}}]}}]}}"
            ),
            "files[0].conversations[0].ranges[0].start_line",
        );
        check(
            &format!(
                "{base}[{{\"path\":\"a\",\"conversations\":[{{\"ranges\":[{{\"start_line\":5,\"end_line\":1}}]}}]}}]}}"
            ),
            "ends before it starts",
        );
        check(
            &format!(
                "{base}[{{\"path\":\"a\",\"conversations\":[{{\"contributor\":{{\"type\":\"robot\"}},\"ranges\":[]}}]}}]}}"
            ),
            "unknown contributor type",
        );
        // JSON Lines: the bad line is named.
        check(&format!("{base}[]}}\nnot json\n"), "line 2");
    }
}
