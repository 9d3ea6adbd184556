//! Journal records as they are stored: one JSON object per line, followed by
//! a tab and a checksum of the JSON, so that a line torn by a crash or
//! damaged on disk is told apart from a good one.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::provenance::{AiDeletion, Attribution};

/// The version of the record schema this code writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A record's identity: `<writer>.<sequence number>`, unique across writers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(String);

impl RecordId {
    pub(super) fn new(writer: &str, seq: u64) -> RecordId {
        RecordId(format!("{writer}.{seq}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RecordId {
    fn from(s: &str) -> RecordId {
        RecordId(s.to_string())
    }
}

/// One entry of the journal: one flat map, the body's fields and its tag
/// (`"kind":"delta"`) beside the record's own, read through [`Flat`] in one
/// pass (see [`Attribution`] for why not through `flatten`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Flat")]
pub struct Record {
    /// Schema version ([`SCHEMA_VERSION`]).
    #[serde(rename = "v")]
    pub schema: u32,
    pub id: RecordId,
    /// When the record was written (RFC 3339, UTC).
    #[serde(with = "rfc3339")]
    pub time: OffsetDateTime,
    /// The process (one language server, one hook run, one CLI run) that
    /// wrote it.
    pub writer: String,
    #[serde(flatten)]
    pub body: Body,
}

impl Record {
    /// The file version a delta or snapshot describes.
    pub fn file(&self) -> Option<&FileVersion> {
        match &self.body {
            Body::Delta(f) | Body::Snapshot(f) => Some(f),
            Body::Retire(_) => None,
        }
    }

    pub fn path(&self) -> Option<&str> {
        self.file().map(|f| f.path.as_str())
    }

    pub fn is_snapshot(&self) -> bool {
        matches!(self.body, Body::Snapshot(_))
    }
}

/// What a record says (read through [`Flat`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Body {
    /// These ranges of this file version got these attributions (an
    /// `aiEdit`, a mark, an agent hook); the rest of the file is not
    /// described.
    Delta(FileVersion),
    /// The whole attribution of the file at this version (ranges not listed
    /// are of unknown origin); it supersedes earlier records for the text it
    /// holds.
    Snapshot(FileVersion),
    /// These records are now covered by a commit's note and no longer count.
    Retire(Retirement),
}

/// Attributed ranges of one version of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileVersion {
    /// Repository-relative, with forward slashes.
    pub path: String,
    /// The git blob id of the file version, kept reachable while the record
    /// is live.
    pub blob: String,
    /// SHA-256 (hex) of the AI-origin bytes of the spans, concatenated in
    /// order.
    pub ai_sha256: String,
    /// Byte ranges of the blob, sorted and disjoint.
    pub spans: Vec<SpanRecord>,
    /// Why the requester accepted the text, for hover and review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// When the AI text was accepted in the editor, if known.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339::option")]
    pub accepted_at: Option<OffsetDateTime>,
    /// Where an agent removed lines from the file, as byte offsets of this
    /// version (each the start of a line, or its end), with who removed
    /// them: a removal leaves no span to attribute. Optional: older
    /// records, and older readers, do without.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<AiDeletion>,
    /// Set when an agent removed the file whole (a shell command's `rm`, a
    /// patch that deletes it): who removed it. `blob` is then the version
    /// it removed, and `spans` and `deletions` are empty; such a record
    /// describes no text of the file, only its absence
    /// ([`super::Loaded::removal`]). Optional: older records do without,
    /// and older readers take it for a record of no spans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<Attribution>,
    /// Set when an agent changed the file's mode (`chmod +x`, `git
    /// update-index --chmod`): the mode it set and who set it. `blob` is
    /// the version whose mode it changed, and `spans` and `deletions` are
    /// empty; such a record describes no text, only the mode
    /// ([`super::Loaded::mode_changes`]). Optional: older records do
    /// without, and older readers take it for a record of no spans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModeSet>,
}

/// An agent's change of a file's mode: the mode it set, as git writes it
/// (`100755`, `100644`), and who set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeSet {
    pub mode: String,
    pub by: Attribution,
}

impl FileVersion {
    /// Whether it describes the file's text: not a record of the file's
    /// removal, nor of a change of its mode.
    pub fn describes_text(&self) -> bool {
        self.removed.is_none() && self.mode.is_none()
    }

    pub fn ranges(&self) -> impl Iterator<Item = (Range<usize>, &Attribution)> {
        self.spans.iter().map(|s| (s.start..s.end, &s.attribution))
    }
}

/// One attributed byte range, stored as `{"start":..,"end":..,"origin":..}`.
pub type SpanRecord = crate::provenance::StoredSpan;

/// What may be in a stored record's map (see [`Record`]). Keys it does not
/// name are ignored, as they were when the body was read through
/// `flatten`, and so are the fields of the other kinds of body.
#[derive(Deserialize)]
struct Flat {
    v: u32,
    id: RecordId,
    #[serde(with = "rfc3339")]
    time: OffsetDateTime,
    writer: String,
    kind: Kind,
    path: Option<String>,
    blob: Option<String>,
    ai_sha256: Option<String>,
    spans: Option<Vec<SpanRecord>>,
    #[serde(default)]
    rationale: Option<String>,
    #[serde(default, with = "rfc3339::option")]
    accepted_at: Option<OffsetDateTime>,
    #[serde(default)]
    deletions: Vec<AiDeletion>,
    #[serde(default)]
    removed: Option<Attribution>,
    #[serde(default)]
    mode: Option<ModeSet>,
    ids: Option<Vec<RecordId>>,
    note_commit: Option<String>,
}

/// The tag of [`Body`].
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Delta,
    Snapshot,
    Retire,
}

impl TryFrom<Flat> for Record {
    type Error = String;

    fn try_from(flat: Flat) -> Result<Record, String> {
        fn field<T>(value: Option<T>, name: &str) -> Result<T, String> {
            value.ok_or_else(|| format!("missing field `{name}`"))
        }
        let body = match flat.kind {
            Kind::Retire => Body::Retire(Retirement {
                ids: field(flat.ids, "ids")?,
                note_commit: field(flat.note_commit, "note_commit")?,
            }),
            kind => {
                let file = FileVersion {
                    path: field(flat.path, "path")?,
                    blob: field(flat.blob, "blob")?,
                    ai_sha256: field(flat.ai_sha256, "ai_sha256")?,
                    spans: field(flat.spans, "spans")?,
                    rationale: flat.rationale,
                    accepted_at: flat.accepted_at,
                    deletions: flat.deletions,
                    removed: flat.removed,
                    mode: flat.mode,
                };
                if matches!(kind, Kind::Snapshot) { Body::Snapshot(file) } else { Body::Delta(file) }
            }
        };
        Ok(Record { schema: flat.v, id: flat.id, time: flat.time, writer: flat.writer, body })
    }
}

/// Record ids that a commit's note now covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retirement {
    pub ids: Vec<RecordId>,
    /// The commit whose note (`refs/notes/vouch`) covers them.
    pub note_commit: String,
}

/// Hex digits of the SHA-256 of a line's JSON kept as its checksum.
const CHECKSUM_LEN: usize = 16;

/// The stored line for `record`: JSON, a tab, the checksum, a newline.
///
/// serde_json writes no raw tab or newline (it escapes them inside strings),
/// so the last tab always separates the checksum.
pub(super) fn encode(record: &Record) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = serde_json::to_vec(record)?;
    let sum = checksum(&line);
    line.push(b'\t');
    line.extend_from_slice(sum.as_bytes());
    line.push(b'\n');
    Ok(line)
}

fn checksum(json: &[u8]) -> String {
    let mut sum = crate::fingerprint::sha256_hex(json);
    sum.truncate(CHECKSUM_LEN);
    sum
}

/// Why a stored line could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LineError {
    /// The line is damaged or not a record.
    Corrupt(String),
    /// The line is intact but written by a newer vouch.
    Unsupported(u64),
}

/// Parse one stored line (without its newline).
pub(super) fn decode(line: &[u8]) -> Result<Record, LineError> {
    let Some(tab) = line.iter().rposition(|&b| b == b'\t') else {
        return Err(LineError::Corrupt("no checksum".into()));
    };
    let (json, sum) = (&line[..tab], &line[tab + 1..]);
    if sum != checksum(json).as_bytes() {
        return Err(LineError::Corrupt("checksum mismatch".into()));
    }
    match serde_json::from_slice::<Record>(json) {
        Ok(record) if record.schema == SCHEMA_VERSION => Ok(record),
        Ok(record) => Err(LineError::Unsupported(record.schema.into())),
        Err(err) => {
            // A newer schema may not parse as this one: say so rather than
            // calling it damaged.
            #[derive(Deserialize)]
            struct Version {
                v: u64,
            }
            match serde_json::from_slice::<Version>(json) {
                Ok(Version { v }) if v > u64::from(SCHEMA_VERSION) => Err(LineError::Unsupported(v)),
                _ => Err(LineError::Corrupt(format!("not a journal record: {err}"))),
            }
        }
    }
}

/// Timestamps as RFC 3339 strings.
pub(super) mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer, de, ser};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format(&Rfc3339).map_err(ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        OffsetDateTime::parse(&s, &Rfc3339).map_err(de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
            let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
            s.map(|s| OffsetDateTime::parse(&s, &Rfc3339).map_err(de::Error::custom)).transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::{AiSource, Evidence};
    use time::macros::datetime;

    fn sample() -> Record {
        Record {
            schema: SCHEMA_VERSION,
            id: RecordId::new("w1", 7),
            time: datetime!(2026-11-28 01:52:00.5 UTC),
            writer: "w1".into(),
            body: Body::Delta(FileVersion {
                path: "src/a.rs".into(),
                blob: "0123456789012345678901234567890123456789".into(),
                ai_sha256: "ab".into(),
                spans: vec![SpanRecord {
                    start: 3,
                    end: 9,
                    attribution: Attribution::ai(
                        AiSource { tool: "copilot".into(), model: Some("m".into()), session: None, kind: None },
                        Evidence::Editor,
                        Some("a@b.c".into()),
                    ),
                }],
                rationale: Some("tab\there".into()),
                accepted_at: Some(datetime!(2026-11-28 01:51:00 UTC)),
                deletions: Vec::new(),
                removed: None,
                mode: None,
            }),
        }
    }

    #[test]
    fn a_line_round_trips_and_reads_as_documented() {
        let line = encode(&sample()).unwrap();
        let text = std::str::from_utf8(&line).unwrap();
        expect_test::expect![[r#"
            {"v":1,"id":"w1.7","time":"2026-11-28T01:52:00.5Z","writer":"w1","kind":"delta","path":"src/a.rs","blob":"0123456789012345678901234567890123456789","ai_sha256":"ab","spans":[{"start":3,"end":9,"origin":"ai","tool":"copilot","model":"m","evidence":"editor","accepted_by":"a@b.c"}],"rationale":"tab\there","accepted_at":"2026-11-28T01:51:00Z"}	edf8ea14df8f33c9
        "#]]
        .assert_eq(text);
        assert_eq!(decode(&line[..line.len() - 1]), Ok(sample()));
    }

    /// A stored line for `json`, with its checksum.
    fn line(json: &str) -> Vec<u8> {
        let mut line = json.as_bytes().to_vec();
        line.push(b'\t');
        line.extend_from_slice(checksum(json.as_bytes()).as_bytes());
        line
    }

    #[test]
    fn every_kind_of_body_reads_back() {
        let Body::Delta(file) = sample().body else { unreachable!() };
        let removal = FileVersion {
            spans: Vec::new(),
            rationale: None,
            accepted_at: None,
            deletions: vec![AiDeletion {
                at: 4,
                lines: 2,
                first: "x".into(),
                attribution: file.spans[0].attribution.clone(),
                replaced: 0,
            }],
            removed: Some(file.spans[0].attribution.clone()),
            ..file.clone()
        };
        let mode = FileVersion {
            spans: Vec::new(),
            mode: Some(ModeSet { mode: "100755".into(), by: file.spans[0].attribution.clone() }),
            ..file.clone()
        };
        let retire =
            Retirement { ids: vec![RecordId::new("w1", 7), RecordId::new("w2", 1)], note_commit: "c".repeat(40) };
        let bodies = [
            Body::Delta(file.clone()),
            Body::Snapshot(file),
            Body::Snapshot(removal),
            Body::Delta(mode),
            Body::Retire(retire),
        ];
        for body in bodies {
            let record = Record { body, ..sample() };
            let line = encode(&record).unwrap();
            assert_eq!(decode(&line[..line.len() - 1]), Ok(record));
        }
    }

    #[test]
    fn a_record_missing_what_its_kind_needs_is_corrupt_and_says_what() {
        let head = r#"{"v":1,"id":"w.1","time":"2026-11-28T01:52:00Z","writer":"w","#;
        for (rest, named) in [
            (r#""kind":"delta","blob":"b","ai_sha256":"a","spans":[]}"#, "`path`"),
            (r#""kind":"snapshot","path":"p","ai_sha256":"a","spans":[]}"#, "`blob`"),
            (r#""kind":"retire","ids":[]}"#, "`note_commit`"),
            (r#""kind":"rename","path":"p"}"#, "rename"),
            (r#""path":"p"}"#, "`kind`"),
        ] {
            let got = decode(&line(&format!("{head}{rest}")));
            assert!(matches!(&got, Err(LineError::Corrupt(why)) if why.contains(named)), "{rest}: {got:?}");
        }
        // What another kind of body has, or a later version added, is ignored.
        let got =
            decode(&line(&format!(r#"{head}"kind":"retire","ids":["w.0"],"note_commit":"c","path":"p","new":1}}"#)));
        assert_eq!(
            got.map(|r| r.body),
            Ok(Body::Retire(Retirement { ids: vec![RecordId::from("w.0")], note_commit: "c".into() }))
        );
    }

    #[test]
    fn damage_is_detected() {
        let line = encode(&sample()).unwrap();
        let body = &line[..line.len() - 1];
        let mut flipped = body.to_vec();
        flipped[40] ^= 1;
        assert_eq!(decode(&flipped), Err(LineError::Corrupt("checksum mismatch".into())));
        assert!(matches!(decode(&body[..body.len() / 2]), Err(LineError::Corrupt(_))));
        assert!(matches!(decode(b""), Err(LineError::Corrupt(_))));
    }

    #[test]
    fn newer_schema_is_unsupported_not_corrupt() {
        let json = br#"{"v":2,"something":"else"}"#;
        let mut line = json.to_vec();
        line.push(b'\t');
        line.extend_from_slice(checksum(json).as_bytes());
        assert_eq!(decode(&line), Err(LineError::Unsupported(2)));
    }
}
