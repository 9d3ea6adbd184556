//! Request, approval, override and withdrawal records: immutable,
//! content-addressed, kept in git on one branch that a forge can protect.
//!
//! A record's id is the SHA-256 (hex) of its RFC 8785 canonical JSON
//! ([`crate::canonical`]), and that JSON is exactly what is stored, in a file
//! `<kind dir>/<id[0..2]>/<id>.json` of the records branch
//! ([`RECORDS_BRANCH`], `refs/heads/vouch-records`; the kind directories are
//! `requests`, `approvals`, `overrides` and `withdrawals`). A record counts if any commit of
//! that branch's history added it: deleting the file later removes nothing.
//! Where and how records are stored, read, merged and migrated from the refs
//! older versions used is [`branch`]'s business; a cache ([`cache`]) makes a
//! read cost what changed since the last one, and a judgement the records
//! of the fingerprints it asks about ([`Records`]).
//!
//! Reading verifies every file: its name must be the hash of its content,
//! and the content must be a valid record of its directory's kind, of a
//! version this vouch reads, in canonical form. A file at the branch's tip
//! that fails is returned in [`Listing::bad`] with the reason, never
//! dropped; the gate and the verifier refuse to decide while any is bad.
//!
//! Every record carries the repository id ([`crate::store::repo::repository_id`]);
//! the indexes set aside records of another repository.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use git2::Repository;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod branch;
mod cache;

pub use branch::add;
pub use branch::{
    Layout, MIGRATED_PREFIX, MergeOutcome, Migrated, RECORDS_BRANCH, incoming_bad, merge_union, migrate, tip,
};

use crate::fingerprint::sha256_hex;
use crate::policy::{Signer, Verdict, Vote};

/// The record format version this vouch writes and reads.
pub const VERSION: u32 = 1;

/// The kinds of record, one directory each on the records branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Request,
    Approval,
    Override,
    Withdrawal,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Request, Kind::Approval, Kind::Override, Kind::Withdrawal];

    /// The directory of [`RECORDS_BRANCH`] that holds records of this kind.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Request => "requests",
            Kind::Approval => "approvals",
            Kind::Override => "overrides",
            Kind::Withdrawal => "withdrawals",
        }
    }

    /// The custom ref that held records of this kind before they moved to
    /// [`RECORDS_BRANCH`]: still read, never written (see [`migrate`]);
    /// `None` for withdrawals, which came after the move.
    pub fn legacy_ref(self) -> Option<&'static str> {
        match self {
            Kind::Request => Some("refs/vouch/requests"),
            Kind::Approval => Some("refs/vouch/approvals"),
            Kind::Override => Some("refs/vouch/overrides"),
            Kind::Withdrawal => None,
        }
    }

    /// The record's `type` field.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Approval => "approval",
            Kind::Override => "override",
            Kind::Withdrawal => "withdrawal",
        }
    }
}

/// Defines a field type that serializes as one fixed string and refuses
/// any other, so a record names its own kind.
macro_rules! type_tag {
    ($name:ident, $value:literal) => {
        #[doc = concat!("The `type` field of a record: always `\"", $value, "\"`.")]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($value)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                if s == $value {
                    Ok($name)
                } else {
                    Err(serde::de::Error::custom(format!("expected type \"{}\", found \"{s}\"", $value)))
                }
            }
        }
    };
}

type_tag!(RequestType, "request");
type_tag!(ApprovalType, "approval");
type_tag!(OverrideType, "override");
type_tag!(WithdrawalType, "withdrawal");

/// A git identity in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    pub email: String,
}

impl From<crate::store::identity::Identity> for Person {
    fn from(identity: crate::store::identity::Identity) -> Person {
        Person { name: identity.name, email: identity.email }
    }
}

/// A request for sign-off on some units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub r#type: RequestType,
    pub version: u32,
    /// The repository id (its root commit).
    pub repository: String,
    pub requester: Person,
    /// RFC 3339, UTC.
    pub created: String,
    /// Why the code looks the way it does, in the requester's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Where the rationale came from when the requester did not type it:
    /// `intent`, the draft made from the units' intents, which the
    /// requester confirmed unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale_from: Option<RationaleFrom>,
    pub units: Vec<RequestedUnit>,
}

/// Where a request's rationale came from, when not the requester's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RationaleFrom {
    /// Drafted from the agent's recorded intent, confirmed by the requester.
    Intent,
}

impl RationaleFrom {
    /// What a reviewer is told beside the rationale: whose words they are.
    pub fn describe(self) -> &'static str {
        match self {
            RationaleFrom::Intent => "drafted from the agent's intent, confirmed by the requester",
        }
    }
}

/// One unit of a request, with the bytes it was made for.
///
/// In JSON the bytes are `text` when they are UTF-8, else `text_base64`
/// (RFC 4648, padded): a unit of a file that is not UTF-8 (kind `file`)
/// travels exactly. Exactly one of the two is present, and `text_base64`
/// never holds UTF-8, so each unit has one form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireUnit", into = "WireUnit")]
pub struct RequestedUnit {
    /// Where the unit was, relative to the root (informational: the policy
    /// is checked against the unit's current path).
    pub path: String,
    /// [`crate::syntax::Language::name`], or `text` (a `file` unit) or
    /// `git` (a `submodule` unit).
    pub language: String,
    /// The unit kind ("function", "lines", "file", "submodule", ...).
    pub kind: String,
    pub name: Option<String>,
    pub fingerprint: String,
    /// The fingerprint version `fingerprint` follows: `None` in records
    /// made before versions were named, which are version 1.
    pub fingerprint_version: Option<u32>,
    /// The unit's exact bytes.
    pub text: UnitText,
    /// AI lines as `[first, last]`, 1-based and inclusive, counted within
    /// `text` as git counts lines (a lone CR ends none).
    pub ai_lines: Vec<[u32; 2]>,
    pub tool: Option<String>,
    pub model: Option<String>,
    /// Why the agent wrote the unit's AI text, as recorded at its edits
    /// (at most [`crate::intent::UNIT_INTENTS`]): attacker text, shown to
    /// the reviewer through `display`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intents: Vec<crate::intent::Intent>,
}

/// [`RequestedUnit`] as it is stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireUnit {
    path: String,
    language: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fingerprint_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text_base64: Option<String>,
    ai_lines: Vec<[u32; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    intents: Vec<crate::intent::Intent>,
}

impl TryFrom<WireUnit> for RequestedUnit {
    type Error = String;

    fn try_from(w: WireUnit) -> Result<RequestedUnit, String> {
        use base64ct::Encoding as _;
        let text = match (w.text, w.text_base64) {
            (Some(text), None) => UnitText::Text(text),
            (None, Some(encoded)) => {
                let bytes = base64ct::Base64::decode_vec(&encoded)
                    .map_err(|e| format!("`text_base64` is not padded base64: {e}"))?;
                match UnitText::from_bytes(bytes) {
                    UnitText::Bytes(bytes) => UnitText::Bytes(bytes),
                    UnitText::Text(_) => return Err("`text_base64` holds UTF-8 text, which goes in `text`".into()),
                }
            }
            (Some(_), Some(_)) => return Err("a unit has `text` or `text_base64`, not both".into()),
            (None, None) => return Err("a unit needs `text` or `text_base64`".into()),
        };
        Ok(RequestedUnit {
            path: w.path,
            language: w.language,
            kind: w.kind,
            name: w.name,
            fingerprint: w.fingerprint,
            fingerprint_version: w.fingerprint_version,
            text,
            ai_lines: w.ai_lines,
            tool: w.tool,
            model: w.model,
            intents: w.intents,
        })
    }
}

impl From<RequestedUnit> for WireUnit {
    fn from(u: RequestedUnit) -> WireUnit {
        use base64ct::Encoding as _;
        let (text, text_base64) = match u.text {
            UnitText::Text(text) => (Some(text), None),
            UnitText::Bytes(bytes) => (None, Some(base64ct::Base64::encode_string(&bytes))),
        };
        WireUnit {
            path: u.path,
            language: u.language,
            kind: u.kind,
            name: u.name,
            fingerprint: u.fingerprint,
            fingerprint_version: u.fingerprint_version,
            text,
            text_base64,
            ai_lines: u.ai_lines,
            tool: u.tool,
            model: u.model,
            intents: u.intents,
        }
    }
}

/// A unit's exact bytes, as a request carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitText {
    /// UTF-8 (control characters and all).
    Text(String),
    /// Bytes that are not UTF-8 (the one unit of such a file).
    Bytes(Vec<u8>),
}

impl UnitText {
    /// `bytes`, as text when they are UTF-8.
    pub fn from_bytes(bytes: Vec<u8>) -> UnitText {
        match String::from_utf8(bytes) {
            Ok(text) => UnitText::Text(text),
            Err(e) => UnitText::Bytes(e.into_bytes()),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            UnitText::Text(text) => text.as_bytes(),
            UnitText::Bytes(bytes) => bytes,
        }
    }

    /// The text, when the bytes are UTF-8.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            UnitText::Text(text) => Some(text),
            UnitText::Bytes(_) => None,
        }
    }

    /// Every byte, as text: UTF-8 as it is, each byte that is not part of
    /// UTF-8 as `‹0xE9›` ([`crate::display::lossless_text`]). Lossless, so
    /// nothing is hidden by a replacement character; control characters are
    /// left for the display to escape.
    pub fn to_text_lossless(&self) -> std::borrow::Cow<'_, str> {
        crate::display::lossless_text(self.as_bytes())
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

impl From<&str> for UnitText {
    fn from(text: &str) -> UnitText {
        UnitText::Text(text.to_string())
    }
}

impl From<String> for UnitText {
    fn from(text: String) -> UnitText {
        UnitText::Text(text)
    }
}

impl AsRef<[u8]> for UnitText {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl RequestedUnit {
    /// Whether the fingerprint counts: of the current version and the
    /// fingerprint of the unit's bytes. A reviewer's client recomputes
    /// fingerprints from the bytes it shows rather than trusting the stated
    /// one; reading does not reject a mismatch or an old version, so that
    /// the views can say which it is (a forged request, or one of version
    /// 1 that no longer counts).
    ///
    /// A unit of version 1 is checked against version 1's hash of its text:
    /// a unit claiming version 1 whose fingerprint is not that (a version-2
    /// fingerprint with other text, say) is a mismatch, not an old record.
    pub fn standing(&self) -> FingerprintStanding {
        let actual = self.actual_fingerprint();
        match fingerprint_standing(self.fingerprint_version) {
            FingerprintStanding::Counts if actual == self.fingerprint => FingerprintStanding::Counts,
            FingerprintStanding::Counts => FingerprintStanding::Mismatch { actual },
            FingerprintStanding::Retired { version: 1 }
                if self
                    .text
                    .as_text()
                    .is_none_or(|t| v1_fingerprint(&self.language, &self.kind, t) != self.fingerprint) =>
            {
                FingerprintStanding::Mismatch { actual }
            }
            other => other,
        }
    }

    /// The fingerprint of the unit's bytes under the current version (for
    /// the change to a trust file, language [`crate::fingerprint::TRUST`],
    /// its trust-file fingerprint, bound to its path; for a file an AI
    /// deleted, language [`crate::fingerprint::DELETED`], the fingerprint
    /// of its deletion, bound to its path and the bytes deleted; for a
    /// file's change of mode, language [`crate::fingerprint::MODE`], bound
    /// to its path, its new mode and its bytes).
    pub fn actual_fingerprint(&self) -> String {
        crate::fingerprint::requested_fingerprint(&self.path, &self.language, &self.kind, self.text.as_bytes())
    }

    /// Whether it is the change to a trust file (see
    /// [`RequestedUnit::actual_fingerprint`]).
    pub fn is_trust_file(&self) -> bool {
        self.language == crate::fingerprint::TRUST
    }

    /// Whether it is the deletion of a file an AI deleted whole (see
    /// [`RequestedUnit::actual_fingerprint`]).
    pub fn is_deleted_file(&self) -> bool {
        self.language == crate::fingerprint::DELETED
    }

    /// Whether it is an AI's change of a file's executable bit (see
    /// [`RequestedUnit::actual_fingerprint`]).
    pub fn is_mode_change(&self) -> bool {
        self.language == crate::fingerprint::MODE
    }

    /// A whole file rather than a unit of code: a trust file's change, a
    /// file's deletion or a change of its mode, which no buffer holds as a
    /// unit.
    pub fn is_whole_file(&self) -> bool {
        crate::fingerprint::is_whole_file(&self.language)
    }

    /// Whether `fingerprint` is the current version's fingerprint of the
    /// unit's bytes.
    pub fn fingerprint_matches(&self) -> bool {
        self.standing() == FingerprintStanding::Counts
    }
}

/// Version 1's fingerprint, only to recognise records made under it:
/// SHA-256 of "vouch-fp/1" NUL language NUL kind NUL and the text with LF
/// line endings (CRLF and lone CR became LF) and no spaces or tabs at the
/// end of any line.
pub fn v1_fingerprint(language: &str, kind: &str, text: &str) -> String {
    let mut normalized = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let Some(i) = rest.find(['\r', '\n']) else {
            normalized.push_str(rest.trim_end_matches([' ', '\t']));
            break;
        };
        normalized.push_str(rest[..i].trim_end_matches([' ', '\t']));
        normalized.push('\n');
        let crlf = rest[i..].starts_with("\r\n");
        rest = &rest[i + if crlf { 2 } else { 1 }..];
    }
    let mut bytes = format!("vouch-fp/1\0{language}\0{kind}\0").into_bytes();
    bytes.extend_from_slice(normalized.as_bytes());
    sha256_hex(&bytes)
}

/// Whether a record's fingerprint counts, and why not: what every view
/// says about a request unit, an approval or an override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FingerprintStanding {
    Counts,
    /// Made under an earlier fingerprint version (1 hashed normalized text:
    /// line endings and trailing whitespace did not count). Not forged; it
    /// just no longer counts, and the unit needs approving again.
    Retired {
        version: u32,
    },
    /// A version newer than this vouch knows: it does not count here.
    Unknown {
        version: u32,
    },
    /// A request unit whose stated fingerprint is not that of its bytes:
    /// forged or damaged; no approval can answer it.
    Mismatch {
        actual: String,
    },
}

impl FingerprintStanding {
    pub fn counts(&self) -> bool {
        *self == FingerprintStanding::Counts
    }

    /// A few words for a list: "fingerprint version 1, no longer counts".
    pub fn short(&self) -> String {
        match self {
            FingerprintStanding::Counts => "counts".into(),
            FingerprintStanding::Retired { version } => format!("fingerprint version {version}, no longer counts"),
            FingerprintStanding::Unknown { version } => format!("fingerprint version {version}, unknown here"),
            FingerprintStanding::Mismatch { .. } => "fingerprint does not match its text".into(),
        }
    }
}

impl fmt::Display for FingerprintStanding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FingerprintStanding::Counts => write!(f, "counts"),
            FingerprintStanding::Retired { version } => write!(
                f,
                "fingerprint version {version}, no longer counts (version {} binds the exact bytes; approve the unit again)",
                crate::fingerprint::VERSION
            ),
            FingerprintStanding::Unknown { version } => write!(
                f,
                "fingerprint version {version}, which this vouch does not know (it counts version {}); update vouch",
                crate::fingerprint::VERSION
            ),
            FingerprintStanding::Mismatch { actual } => write!(
                f,
                "the fingerprint it states is not that of its text (which is {}): forged or damaged, it cannot be approved",
                &actual[..actual.len().min(12)]
            ),
        }
    }
}

/// "approval by alice@example.com (1a2b3c4d5e6f) on 2026-01-31T09:05:00Z:
/// fingerprint version 1, no longer counts (...)": how views name an
/// approval whose fingerprint does not count.
pub fn describe_not_counted(approval: &Stored<Approval>) -> String {
    format!("{}: {}", describe_decision(approval), approval.record.standing())
}

/// "approval by alice@example.com (1a2b3c4d5e6f) on 2026-01-31T09:05:00Z":
/// how views name a decision.
pub fn describe_decision(approval: &Stored<Approval>) -> String {
    format!(
        "{} by {} ({}) on {}",
        approval.record.decision.noun(),
        approval.record.reviewer.email,
        &approval.id[..approval.id.len().min(12)],
        approval.record.created
    )
}

/// Where a record stating fingerprint version `version` stands (`None`:
/// version 1, written before records named it).
pub fn fingerprint_standing(version: Option<u32>) -> FingerprintStanding {
    let version = version.unwrap_or(1);
    match version.cmp(&crate::fingerprint::VERSION) {
        std::cmp::Ordering::Equal => FingerprintStanding::Counts,
        std::cmp::Ordering::Less => FingerprintStanding::Retired { version },
        std::cmp::Ordering::Greater => FingerprintStanding::Unknown { version },
    }
}

/// The `fingerprint_version` a new record states.
pub fn current_fingerprint_version() -> Option<u32> {
    Some(crate::fingerprint::VERSION)
}

/// A reviewer's decision on one fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub r#type: ApprovalType,
    pub version: u32,
    pub repository: String,
    pub fingerprint: String,
    /// The fingerprint version `fingerprint` follows; absent (`None`) in
    /// records made before versions were named, which are version 1 and
    /// no longer count (see [`Approval::standing`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint_version: Option<u32>,
    pub decision: Verdict,
    pub reviewer: Person,
    /// RFC 3339, UTC.
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The request this answers, by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Where the unit was (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Of a change to a trust file: the BASE commit it was given against,
    /// so that it approves the change from that commit's version and no
    /// later one to the same content (a rollback of a change made since,
    /// however its commits are dated); part of what is signed. Absent for
    /// code, and in approvals made before vouch named it, which count by
    /// their time instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// An automated reviewer's verdict (the policy's `[[automated]]`),
    /// never a person's; part of what is signed. Absent when false, so
    /// that a person's record has one form.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automated: bool,
    /// An SSH signature (`ssh-keygen -Y sign`, namespace `vouch`) over
    /// [`Approval::signed_payload`]; not itself part of what is signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Approval {
    /// An unsigned decision made now, with no comment, request or path.
    pub fn new(repository: &str, fingerprint: &str, decision: Verdict, reviewer: Person) -> Approval {
        Approval {
            r#type: ApprovalType,
            version: VERSION,
            repository: repository.to_string(),
            fingerprint: fingerprint.to_string(),
            fingerprint_version: current_fingerprint_version(),
            decision,
            reviewer,
            created: now(),
            comment: None,
            request: None,
            path: None,
            base: None,
            automated: false,
            signature: None,
        }
    }

    /// The bytes a signature covers: the canonical JSON of the approval
    /// without its `signature` field.
    pub fn signed_payload(&self) -> Vec<u8> {
        canonical_bytes(&Approval { signature: None, ..self.clone() })
    }

    /// Whether its fingerprint counts (see [`FingerprintStanding`]).
    pub fn standing(&self) -> FingerprintStanding {
        fingerprint_standing(self.fingerprint_version)
    }

    /// The decision as [`crate::policy::assess`] takes it; `signer` is the
    /// key whose signature over it verified, if one did.
    pub fn vote(&self, id: &str, signer: Option<Signer>) -> Vote {
        Vote {
            id: id.to_string(),
            email: self.reviewer.email.clone(),
            verdict: self.decision,
            comment: self.comment.clone(),
            signer,
            automated: self.automated,
            entitled_where_cast: false,
        }
    }
}

impl Request {
    /// A request made now, with no rationale.
    pub fn new(repository: &str, requester: Person, units: Vec<RequestedUnit>) -> Request {
        Request {
            r#type: RequestType,
            version: VERSION,
            repository: repository.to_string(),
            requester,
            created: now(),
            rationale: None,
            rationale_from: None,
            units,
        }
    }
}

/// A break-glass override: someone let code land without the sign-off the
/// policy asks for, and said why. `vouch verify` reports every override;
/// the policy's `allow_override` decides whether it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub r#type: OverrideType,
    pub version: u32,
    pub repository: String,
    pub by: Person,
    /// RFC 3339, UTC.
    pub created: String,
    pub reason: String,
    /// Commits the override covers, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<String>,
    /// A range (`BASE..HEAD`, as commit ids) it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// Units it covers, by fingerprint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<String>,
    /// The fingerprint version of `fingerprints`; absent (version 1) in
    /// records made before versions were named. Only an override that
    /// names fingerprints states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint_version: Option<u32>,
    /// As for [`Approval::signature`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Override {
    /// An override made now covering nothing yet (set `commits`, `range` or
    /// `fingerprints`).
    pub fn new(repository: &str, by: Person, reason: &str) -> Override {
        Override {
            r#type: OverrideType,
            version: VERSION,
            repository: repository.to_string(),
            by,
            created: now(),
            reason: reason.to_string(),
            commits: Vec::new(),
            range: None,
            fingerprints: Vec::new(),
            fingerprint_version: None,
            signature: None,
        }
    }

    /// Set the fingerprints it covers, under the current version.
    pub fn cover_fingerprints(&mut self, fingerprints: Vec<String>) {
        self.fingerprint_version = if fingerprints.is_empty() { None } else { current_fingerprint_version() };
        self.fingerprints = fingerprints;
    }

    /// Whether the fingerprints it names count (see
    /// [`FingerprintStanding`]); an override that names none always does.
    pub fn standing(&self) -> FingerprintStanding {
        if self.fingerprints.is_empty() {
            return FingerprintStanding::Counts;
        }
        fingerprint_standing(self.fingerprint_version)
    }

    /// As [`Approval::signed_payload`].
    pub fn signed_payload(&self) -> Vec<u8> {
        canonical_bytes(&Override { signature: None, ..self.clone() })
    }
}

/// A requester's withdrawal of their own request: it asks nobody for
/// sign-off any more (records are immutable, so a request is closed by
/// another record, never by editing or deleting it). Only a withdrawal by
/// the request's requester counts, and, where the policy requires
/// signatures, only one whose signature verifies for them. It takes
/// nothing away from approvals or rejections, and the requester stays a
/// participant who may not approve the units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    pub r#type: WithdrawalType,
    pub version: u32,
    pub repository: String,
    /// The request withdrawn, by id.
    pub request: String,
    /// Who withdraws it.
    pub by: Person,
    /// RFC 3339, UTC.
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// As for [`Approval::signature`], over [`Withdrawal::signed_payload`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Withdrawal {
    /// A withdrawal of `request` made now, with no reason.
    pub fn new(repository: &str, request: &str, by: Person) -> Withdrawal {
        Withdrawal {
            r#type: WithdrawalType,
            version: VERSION,
            repository: repository.to_string(),
            request: request.to_string(),
            by,
            created: now(),
            reason: None,
            signature: None,
        }
    }

    /// As [`Approval::signed_payload`].
    pub fn signed_payload(&self) -> Vec<u8> {
        canonical_bytes(&Withdrawal { signature: None, ..self.clone() })
    }
}

/// What the record types share.
pub trait Record: Serialize + DeserializeOwned + Clone {
    const KIND: Kind;
    fn repository(&self) -> &str;
    fn created(&self) -> &str;
    /// Checks what the types cannot: ids are hex, dates parse, required
    /// text is not empty. The message names the field.
    fn validate(&self) -> Result<(), String>;
    /// What the record is looked up by besides its id ([`cache`]): an
    /// approval's fingerprint, a request's units' fingerprints and paths.
    fn index_keys(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The key of the records about `fingerprint`.
fn fingerprint_key(fingerprint: &str) -> String {
    format!("fingerprint {fingerprint}")
}

/// The key of the requests for a unit at `path`.
fn path_key(path: &str) -> String {
    format!("path {path}")
}

/// The key of approvals whose fingerprint version no longer counts.
const RETIRED_KEY: &str = "retired";

impl Record for Request {
    const KIND: Kind = Kind::Request;
    fn repository(&self) -> &str {
        &self.repository
    }
    fn created(&self) -> &str {
        &self.created
    }
    fn validate(&self) -> Result<(), String> {
        check_common(self.version, &self.repository, &self.created)?;
        check_person("requester", &self.requester)?;
        if self.units.is_empty() {
            return Err("`units` is empty".into());
        }
        for (i, unit) in self.units.iter().enumerate() {
            let at = |m: String| format!("unit {}: {m}", i + 1);
            check_fingerprint(&unit.fingerprint).map_err(at)?;
            check_fingerprint_version(unit.fingerprint_version).map_err(at)?;
            if unit.path.is_empty() || unit.language.is_empty() || unit.kind.is_empty() {
                return Err(at("`path`, `language` and `kind` must not be empty".into()));
            }
            if let Some(&[first, last]) = unit.ai_lines.iter().find(|&&[a, b]| a == 0 || b < a) {
                return Err(at(format!("invalid line range [{first}, {last}] in `ai_lines`")));
            }
        }
        Ok(())
    }
    fn index_keys(&self) -> Vec<String> {
        let fingerprints = self.units.iter().map(|u| fingerprint_key(&u.fingerprint));
        fingerprints.chain(self.units.iter().map(|u| path_key(&u.path))).collect()
    }
}

impl Record for Approval {
    const KIND: Kind = Kind::Approval;
    fn repository(&self) -> &str {
        &self.repository
    }
    fn created(&self) -> &str {
        &self.created
    }
    fn validate(&self) -> Result<(), String> {
        check_common(self.version, &self.repository, &self.created)?;
        check_person("reviewer", &self.reviewer)?;
        check_fingerprint(&self.fingerprint)?;
        check_fingerprint_version(self.fingerprint_version)?;
        if let Some(request) = &self.request
            && !is_hex(request, 64)
        {
            return Err(format!("`request` is not a record id: \"{request}\""));
        }
        Ok(())
    }
    fn index_keys(&self) -> Vec<String> {
        if self.standing().counts() { vec![fingerprint_key(&self.fingerprint)] } else { vec![RETIRED_KEY.to_string()] }
    }
}

impl Record for Override {
    const KIND: Kind = Kind::Override;
    fn repository(&self) -> &str {
        &self.repository
    }
    fn created(&self) -> &str {
        &self.created
    }
    fn validate(&self) -> Result<(), String> {
        check_common(self.version, &self.repository, &self.created)?;
        check_person("by", &self.by)?;
        if self.reason.trim().is_empty() {
            return Err("an override needs a `reason`".into());
        }
        if self.commits.is_empty() && self.range.is_none() && self.fingerprints.is_empty() {
            return Err("an override must cover `commits`, a `range` or `fingerprints`".into());
        }
        for commit in &self.commits {
            if !is_hex(commit, 40) && !is_hex(commit, 64) {
                return Err(format!("`commits` holds \"{commit}\", not a commit id"));
            }
        }
        if self.fingerprints.is_empty() && self.fingerprint_version.is_some() {
            return Err("`fingerprint_version` without `fingerprints`".into());
        }
        check_fingerprint_version(self.fingerprint_version)?;
        self.fingerprints.iter().try_for_each(|f| check_fingerprint(f))
    }
}

impl Record for Withdrawal {
    const KIND: Kind = Kind::Withdrawal;
    fn repository(&self) -> &str {
        &self.repository
    }
    fn created(&self) -> &str {
        &self.created
    }
    fn validate(&self) -> Result<(), String> {
        check_common(self.version, &self.repository, &self.created)?;
        check_person("by", &self.by)?;
        if !is_hex(&self.request, 64) {
            return Err(format!("`request` is not a record id: \"{}\"", self.request));
        }
        Ok(())
    }
}

fn check_common(version: u32, repository: &str, created: &str) -> Result<(), String> {
    if version != VERSION {
        return Err(format!("unsupported version {version} (this vouch reads version {VERSION})"));
    }
    if !is_hex(repository, 40) && !is_hex(repository, 64) {
        return Err(format!("`repository` is not a commit id: \"{repository}\""));
    }
    OffsetDateTime::parse(created, &Rfc3339).map_err(|e| format!("`created` is not an RFC 3339 time: {e}"))?;
    Ok(())
}

fn check_person(field: &str, person: &Person) -> Result<(), String> {
    if person.email.trim().is_empty() {
        return Err(format!("`{field}.email` is empty"));
    }
    Ok(())
}

fn check_fingerprint(fingerprint: &str) -> Result<(), String> {
    if is_hex(fingerprint, 64) { Ok(()) } else { Err(format!("`fingerprint` is not a fingerprint: \"{fingerprint}\"")) }
}

/// Version 1 is written by leaving the field out, so that every record has
/// one form.
fn check_fingerprint_version(version: Option<u32>) -> Result<(), String> {
    match version {
        Some(v) if v < 2 => Err(format!("`fingerprint_version` {v}: version 1 is written by leaving the field out")),
        _ => Ok(()),
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The current time as records write it: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    format_time(OffsetDateTime::now_utc())
}

/// `time` as records write it, e.g. `2026-01-31T09:05:00.250Z`.
pub fn format_time(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The canonical JSON of a record: what is stored and hashed.
pub fn canonical_bytes<R: Serialize>(record: &R) -> Vec<u8> {
    // Records hold strings, integers below 2^32, arrays and objects with
    // string keys: they always have a canonical form.
    crate::canonical::to_vec(record).expect("a record always has a canonical form")
}

/// A record's id: the SHA-256 of its canonical JSON, as hex.
pub fn id_of<R: Serialize>(record: &R) -> String {
    sha256_hex(&canonical_bytes(record))
}

/// A record read from the records, with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<R> {
    pub id: String,
    pub record: R,
}

/// A file where records are kept that is not a valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub kind: Kind,
    /// The ref the file is in (the records branch, a legacy ref, a fetched
    /// version).
    pub source: String,
    /// The file's path in the ref's tree.
    pub path: String,
    pub reason: String,
}

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.path, self.reason)
    }
}

/// Every record of one kind: the good ones and the bad ones.
#[derive(Debug, Clone)]
pub struct Listing<R> {
    pub records: Vec<Stored<R>>,
    pub bad: Vec<BadRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("invalid {kind} record: {reason}", kind = kind.type_name())]
    Invalid { kind: Kind, reason: String },
    #[error("cannot update {ref_name}: {stuck}")]
    Stuck { ref_name: &'static str, stuck: crate::store::repo::Stuck },
    #[error("{ref_name} does not point to a commit")]
    NotACommit { ref_name: String },
    #[error(
        "{ref_name}: its history is incomplete here (a shallow clone), so records that a commit of it added may be \
         missing; fetch its whole history (git fetch --unshallow, or a clone with full history)"
    )]
    Shallow { ref_name: String },
    #[error("{ref_name}: {source}")]
    Git { ref_name: &'static str, source: git2::Error },
}

/// Every record of type `R`: each valid record that a commit of the records
/// branch's history (or a legacy ref's) added, and the invalid files at
/// their tips. Only the commits and files that changed since the last read
/// are read (see [`cache`]).
pub fn list<R: Record>(repo: &Repository) -> Result<Listing<R>, RecordError> {
    cache::list(repo)
}

/// Bring the records cache of every kind up to date with the records
/// branch now (after a sync brought records in), so that the next commit's
/// gate does not pay for it.
pub fn refresh_cache(repo: &Repository) -> Result<(), RecordError> {
    cache::open::<Request>(repo)?;
    cache::open::<Approval>(repo)?;
    cache::open::<Override>(repo)?;
    cache::open::<Withdrawal>(repo)?;
    Ok(())
}

/// [`list`], reading and verifying every commit and file, whatever was read
/// before: for the CI verifier, which may run where untrusted code ran
/// before it.
pub fn list_uncached<R: Record>(repo: &Repository) -> Result<Listing<R>, RecordError> {
    branch::list_uncached(repo)
}

/// The record in `bytes`, if it is the valid, canonical record whose id is
/// `id`; else why not.
pub fn verify<R: Record>(id: &str, bytes: &[u8]) -> Result<R, String> {
    let kind = R::KIND;
    let actual = sha256_hex(bytes);
    if actual != id {
        return Err(format!("content does not match its name (its hash is {actual})"));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    match value.get("type").and_then(|t| t.as_str()) {
        Some(t) if t == kind.type_name() => {}
        Some(t) => return Err(format!("a {t} record where {} belong", kind.dir())),
        None => return Err("no `type` field".into()),
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => return Err(format!("unsupported version {v} (this vouch reads version {VERSION})")),
        None => return Err("no `version` field".into()),
    }
    let record: R = serde_json::from_value(value).map_err(|e| format!("invalid {} record: {e}", kind.type_name()))?;
    record.validate().map_err(|e| format!("invalid {} record: {e}", kind.type_name()))?;
    if canonical_bytes(&record) != bytes {
        return Err("not in canonical form (RFC 8785)".into());
    }
    Ok(record)
}

/// The time order of records: by `created`, then by id (so the order is
/// the same everywhere even for records made in the same millisecond).
fn time_key<R: Record>(stored: &Stored<R>) -> (Option<OffsetDateTime>, String) {
    (OffsetDateTime::parse(stored.record.created(), &Rfc3339).ok(), stored.id.clone())
}

/// The records of one kind, asked for by key ([`Record::index_keys`], or
/// a record's id): read whole, or from an up-to-date cache, one key's
/// records at a time ([`cache::Keyed`]). Both answer alike; the second
/// reads only what is asked for.
#[derive(Debug)]
pub enum Records<R> {
    Listed { records: Vec<Stored<R>>, by_key: HashMap<String, Vec<usize>> },
    Keyed(Box<cache::Keyed<R>>),
}

impl<R: Record> Records<R> {
    /// These records, held in memory.
    pub fn listed(records: Vec<Stored<R>>) -> Records<R> {
        let by_key = cache::by_key(&records);
        Records::Listed { records, by_key }
    }

    /// The records of `R` in `repo`, from the cache when it is up to date
    /// (read by key, as asked), else read (through the cache) whole; and
    /// the invalid files at the tips.
    pub fn open(repo: &Repository) -> Result<(Records<R>, Vec<BadRecord>), RecordError> {
        Ok(match cache::open::<R>(repo)? {
            cache::Opened::Keyed(keyed) => {
                keyed.read_whole_if_small();
                let bad = keyed.bad().to_vec();
                (Records::Keyed(keyed), bad)
            }
            cache::Opened::Listing(listing) => (Records::listed(listing.records), listing.bad),
        })
    }

    /// The records under `key`, in time order.
    fn get(&self, key: &str) -> Vec<&Stored<R>> {
        match self {
            Records::Listed { records, by_key } => {
                by_key.get(key).map_or(Vec::new(), |list| list.iter().map(|&n| &records[n]).collect())
            }
            Records::Keyed(keyed) => keyed.get(key),
        }
    }

    /// Every record, in no given order.
    fn all(&self) -> &[Stored<R>] {
        match self {
            Records::Listed { records, .. } => records,
            Records::Keyed(keyed) => keyed.all(),
        }
    }

    /// Whether there is no record, found without reading every record.
    pub fn is_empty(&self) -> bool {
        match self {
            Records::Listed { records, .. } => records.is_empty(),
            Records::Keyed(keyed) => keyed.is_empty(),
        }
    }

    /// Why answers may lack records: the cache failed a check and the
    /// records branch could not be read either.
    pub fn damage(&self) -> Option<&str> {
        match self {
            Records::Listed { .. } => None,
            Records::Keyed(keyed) => keyed.damage(),
        }
    }
}

impl<R: Record> Default for Records<R> {
    fn default() -> Records<R> {
        Records::listed(Vec::new())
    }
}

/// Approvals by fingerprint, each list in time order; records of another
/// repository, and those whose fingerprint version no longer counts, are
/// set aside.
#[derive(Debug, Clone, Default)]
pub struct ApprovalIndex {
    records: Arc<Records<Approval>>,
    repository: String,
}

impl ApprovalIndex {
    pub fn new(approvals: Vec<Stored<Approval>>, repository: &str) -> ApprovalIndex {
        ApprovalIndex::of(Records::listed(approvals), repository)
    }

    pub fn of(records: Records<Approval>, repository: &str) -> ApprovalIndex {
        ApprovalIndex { records: Arc::new(records), repository: repository.to_string() }
    }

    /// The approvals of `fingerprint`, oldest first.
    pub fn for_fingerprint(&self, fingerprint: &str) -> Vec<&Stored<Approval>> {
        let mut found = self.records.get(&fingerprint_key(fingerprint));
        found.retain(|a| {
            a.record.repository == self.repository
                && a.record.fingerprint == fingerprint
                && a.record.standing().counts()
        });
        found
    }

    /// The approval record `id`, whatever its repository or fingerprint
    /// version (what a commit's note lists is looked up by id).
    pub fn record(&self, id: &str) -> Option<&Stored<Approval>> {
        self.records.get(&cache::id_key(id)).into_iter().find(|a| a.id == id)
    }

    /// Approvals of this repository whose fingerprint version does not
    /// count (see [`Approval::standing`]), to report, never to count.
    pub fn retired(&self) -> Vec<&Stored<Approval>> {
        let mut found = self.records.get(RETIRED_KEY);
        found.retain(|a| a.record.repository == self.repository && !a.record.standing().counts());
        found
    }

    /// Ids of approvals made in another repository.
    pub fn foreign(&self) -> Vec<&str> {
        self.records.all().iter().filter(|a| a.record.repository != self.repository).map(|a| a.id.as_str()).collect()
    }

    /// The approvals set aside because their fingerprint version no longer
    /// counts ([`ApprovalIndex::retired`]) that were made for the unit
    /// `kind` `name` at `path`: by the requests that name their
    /// fingerprint, else (an approval with no request) by the path it
    /// states. What views report as "version 1, no longer counts" beside a
    /// unit that lacks sign-off.
    pub fn retired_for_unit<'a>(
        &'a self,
        requests: &RequestIndex,
        path: &str,
        kind: &str,
        name: Option<&str>,
    ) -> Vec<&'a Stored<Approval>> {
        self.retired()
            .into_iter()
            .filter(|a| {
                let asked = requests.for_fingerprint(&a.record.fingerprint);
                if asked.is_empty() {
                    return a.record.path.as_deref() == Some(path);
                }
                asked.iter().flat_map(|r| &r.record.units).any(|u| {
                    u.fingerprint == a.record.fingerprint
                        && u.path == path
                        && u.kind == kind
                        && u.name.as_deref() == name
                })
            })
            .collect()
    }

    /// The votes on `fingerprint`, oldest first, for [`crate::policy::assess`];
    /// `verified` gives the key whose signature over an approval checks
    /// out, if one does.
    pub fn votes(&self, fingerprint: &str, verified: impl Fn(&Stored<Approval>) -> Option<Signer>) -> Vec<Vote> {
        self.for_fingerprint(fingerprint).iter().map(|s| s.record.vote(&s.id, verified(s))).collect()
    }

    /// Whether it reads the kept cache by key.
    #[cfg(test)]
    pub fn is_keyed(&self) -> bool {
        matches!(*self.records, Records::Keyed(_))
    }

    /// Why answers may lack approvals (see [`Records::damage`]).
    pub fn damage(&self) -> Option<&str> {
        self.records.damage()
    }
}

/// Requests by id and by the fingerprints of their units; records of another
/// repository are set aside.
#[derive(Debug, Clone, Default)]
pub struct RequestIndex {
    records: Arc<Records<Request>>,
    repository: String,
}

impl RequestIndex {
    pub fn new(requests: Vec<Stored<Request>>, repository: &str) -> RequestIndex {
        RequestIndex::of(Records::listed(requests), repository)
    }

    pub fn of(records: Records<Request>, repository: &str) -> RequestIndex {
        RequestIndex { records: Arc::new(records), repository: repository.to_string() }
    }

    pub fn get(&self, id: &str) -> Option<&Stored<Request>> {
        self.records.get(&cache::id_key(id)).into_iter().find(|r| r.id == id && r.record.repository == self.repository)
    }

    /// Every request (of the index's repository), in no given order.
    pub fn iter(&self) -> impl Iterator<Item = &Stored<Request>> {
        self.records.all().iter().filter(|r| r.record.repository == self.repository)
    }

    /// Ids of requests made in another repository.
    pub fn foreign(&self) -> Vec<&str> {
        self.records.all().iter().filter(|r| r.record.repository != self.repository).map(|r| r.id.as_str()).collect()
    }

    /// The requests that include `fingerprint`, oldest first.
    pub fn for_fingerprint(&self, fingerprint: &str) -> Vec<&Stored<Request>> {
        let mut found = self.records.get(&fingerprint_key(fingerprint));
        found.retain(|r| {
            r.record.repository == self.repository && r.record.units.iter().any(|u| u.fingerprint == fingerprint)
        });
        found
    }

    /// The requests that include a unit at `path`, oldest first.
    pub fn at_path(&self, path: &str) -> Vec<&Stored<Request>> {
        let mut found = self.records.get(&path_key(path));
        found.retain(|r| r.record.repository == self.repository && r.record.units.iter().any(|u| u.path == path));
        found
    }

    /// The emails of everyone who requested sign-off on `fingerprint`
    /// (for [`crate::policy::Participants::requesters`]).
    pub fn requesters(&self, fingerprint: &str) -> Vec<String> {
        let mut emails: Vec<String> = Vec::new();
        for request in self.for_fingerprint(fingerprint) {
            let email = &request.record.requester.email;
            if !emails.iter().any(|e| e.eq_ignore_ascii_case(email)) {
                emails.push(email.clone());
            }
        }
        emails
    }

    /// Whether it reads the kept cache by key.
    #[cfg(test)]
    pub fn is_keyed(&self) -> bool {
        matches!(*self.records, Records::Keyed(_))
    }

    /// Why answers may lack requests (see [`Records::damage`]).
    pub fn damage(&self) -> Option<&str> {
        self.records.damage()
    }
}

#[cfg(test)]
mod tests {
    use super::branch::{empty_tree, make_commit};
    use super::*;
    use crate::policy::{Participants, Policy, Status, assess};
    use crate::store::repo::tests::{commit_files, temp_repo};
    use git2::build::TreeUpdateBuilder;
    use git2::{FileMode, Oid};
    use std::path::Path;

    const REPO_ID: &str = "0123456789abcdef0123456789abcdef01234567";

    fn fp(n: u32) -> String {
        sha256_hex(format!("unit {n}").as_bytes())
    }

    fn person(email: &str) -> Person {
        Person { name: email.split('@').next().unwrap_or("").to_string(), email: email.to_string() }
    }

    fn approval(n: u32, email: &str, decision: Verdict, created: &str) -> Approval {
        Approval { created: created.to_string(), ..Approval::new(REPO_ID, &fp(n), decision, person(email)) }
    }

    fn unit(text: &str) -> RequestedUnit {
        RequestedUnit {
            path: "src/lib.rs".into(),
            language: "rust".into(),
            kind: "function".into(),
            name: Some("f".into()),
            fingerprint: crate::fingerprint::fingerprint("rust", "function", text.as_bytes()),
            fingerprint_version: current_fingerprint_version(),
            text: UnitText::Text(text.into()),
            ai_lines: vec![[1, 1]],
            tool: Some("claude-code".into()),
            model: None,
            intents: Vec::new(),
        }
    }

    /// Points the records branch at a new root commit whose tree holds
    /// exactly `files` in `kind`'s directory.
    fn write_raw(repo: &Repository, kind: Kind, files: &[(&str, &[u8])]) -> Oid {
        let mut update = TreeUpdateBuilder::new();
        for (path, bytes) in files {
            update.upsert(format!("{}/{path}", kind.dir()), repo.blob(bytes).unwrap(), FileMode::Blob);
        }
        let tree = update.create_updated(repo, &empty_tree(repo).unwrap()).unwrap();
        let commit = make_commit(repo, tree, &[], "raw").unwrap();
        repo.reference(RECORDS_BRANCH, commit, true, "test").unwrap();
        commit
    }

    #[test]
    fn version_1_records_stay_readable_and_no_longer_count() {
        let (_dir, repo) = temp_repo();
        // An approval and a request as vouch wrote them before fingerprints
        // named their version: no `fingerprint_version`, a version-1 hash.
        let old_fp = "11".repeat(32);
        let mut old = approval(1, "carol@example.com", Verdict::Approve, "2026-01-31T09:05:00.000Z");
        old.fingerprint = old_fp.clone();
        old.fingerprint_version = None;
        let bytes = canonical_bytes(&old);
        assert!(!String::from_utf8_lossy(&bytes).contains("fingerprint_version"));
        let id = add(&repo, &old).unwrap();
        // Version 1 as the published vectors of that version fixed it.
        let crlf = "fn add(a: u32, b: u32) -> u32 {\r\n    a + b   \r\n}";
        let v1 = "022b78fe8c91c89baf9342476c1e56ebdc662c6b4bbfdf79d5b8b2578ea3e76b";
        assert_eq!(v1_fingerprint("rust", "function", crlf), v1);
        assert_eq!(v1_fingerprint("rust", "function", "fn add(a: u32, b: u32) -> u32 {\r    a + b\n}"), v1);
        let mut unit = unit(crlf);
        unit.fingerprint = v1.to_string();
        unit.fingerprint_version = None;
        // One that says version 1 but whose fingerprint is not version 1's
        // hash of its text is no old record: it does not match.
        let mut fake = unit.clone();
        fake.fingerprint = crate::fingerprint::fingerprint("rust", "function", b"fn other() {}");
        assert!(matches!(fake.standing(), FingerprintStanding::Mismatch { .. }));
        let request =
            Request { created: "2026-01-31T09:05:00.000Z".into(), ..Request::new(REPO_ID, person("d@x"), vec![unit]) };
        add(&repo, &request).unwrap();

        let approvals = list::<Approval>(&repo).unwrap();
        assert!(approvals.bad.is_empty(), "{:?}", approvals.bad);
        assert_eq!(approvals.records[0].record.standing(), FingerprintStanding::Retired { version: 1 });
        let requests = list::<Request>(&repo).unwrap();
        assert!(requests.bad.is_empty(), "{:?}", requests.bad);
        let standing = requests.records[0].record.units[0].standing();
        assert_eq!(standing, FingerprintStanding::Retired { version: 1 });
        assert_eq!(
            standing.to_string(),
            "fingerprint version 1, no longer counts (version 2 binds the exact bytes; approve the unit again)"
        );
        // Set aside by the index: reported, never counted.
        let index = ApprovalIndex::new(approvals.records, REPO_ID);
        assert!(index.for_fingerprint(&old_fp).is_empty());
        assert_eq!(index.retired().iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);

        // New records name version 2, and it is signed with the rest.
        let new = approval(2, "carol@example.com", Verdict::Approve, "2026-01-31T09:05:00.000Z");
        assert!(String::from_utf8(new.signed_payload()).unwrap().contains("\"fingerprint_version\":2"));
        assert!(new.standing().counts());
        // A newer version is not understood, and says so.
        assert_eq!(fingerprint_standing(Some(3)), FingerprintStanding::Unknown { version: 3 });
        // Version 1 has one form: the field left out.
        let mut explicit = new.clone();
        explicit.fingerprint_version = Some(1);
        assert!(explicit.validate().unwrap_err().contains("leaving the field out"));
    }

    #[test]
    fn units_of_bytes_that_are_not_utf8_travel_exactly() {
        let (_dir, repo) = temp_repo();
        let bytes = b"# caf\xe9\nimport os\n".to_vec();
        let unit = RequestedUnit {
            language: "text".into(),
            kind: "file".into(),
            name: None,
            fingerprint: crate::fingerprint::file_fingerprint(&bytes),
            text: UnitText::from_bytes(bytes.clone()),
            ..unit("x")
        };
        assert!(unit.standing().counts());
        let json = String::from_utf8(canonical_bytes(&unit)).unwrap();
        assert!(json.contains("\"text_base64\":\"IyBjYWbpCmltcG9ydCBvcwo=\""), "{json}");
        assert!(!json.contains("\"text\":"), "{json}");
        let request = Request::new(REPO_ID, person("d@x"), vec![unit.clone()]);
        add(&repo, &request).unwrap();
        let read = list::<Request>(&repo).unwrap();
        assert!(read.bad.is_empty(), "{:?}", read.bad);
        assert_eq!(read.records[0].record.units[0].text.as_bytes(), bytes.as_slice());
        assert_eq!(read.records[0].record.units[0].text.to_text_lossless(), "# caf‹0xE9›\nimport os\n");
        // A mismatch is a mismatch, for bytes too.
        let mut forged = unit.clone();
        forged.text = UnitText::Bytes(b"rm -rf /\xff".to_vec());
        assert!(matches!(forged.standing(), FingerprintStanding::Mismatch { .. }));

        // One form each: UTF-8 goes in `text`, never in `text_base64`; not both; not neither.
        let as_json = |s: &str| serde_json::from_str::<RequestedUnit>(s).unwrap_err().to_string();
        let base = r#""path":"a","language":"text","kind":"file","fingerprint":"00","ai_lines":[]"#;
        assert!(as_json(&format!(r#"{{{base},"text_base64":"YWJj"}}"#)).contains("holds UTF-8 text"));
        assert!(as_json(&format!(r#"{{{base},"text":"a","text_base64":"/w=="}}"#)).contains("not both"));
        assert!(as_json(&format!(r#"{{{base}}}"#)).contains("needs `text` or `text_base64`"));
        assert!(as_json(&format!(r#"{{{base},"text_base64":"/w"}}"#)).contains("not padded base64"));
        assert!(as_json(&format!(r#"{{{base},"text":"a","mood":1}}"#)).contains("unknown field `mood`"));
    }

    #[test]
    fn records_are_stored_under_their_hash_and_read_back() {
        let (_dir, repo) = temp_repo();
        assert!(list::<Approval>(&repo).unwrap().records.is_empty());
        let a = Approval {
            comment: Some("looks right".into()),
            path: Some("src/lib.rs".into()),
            ..approval(1, "carol@example.com", Verdict::Approve, "2026-01-31T09:05:00.250Z")
        };
        let id = add(&repo, &a).unwrap();
        assert_eq!(id, id_of(&a));
        let tip1 = tip(&repo, Kind::Approval).unwrap().unwrap();
        // The stored file is the canonical JSON.
        let tree = repo.find_commit(tip1).unwrap().tree().unwrap();
        let entry = tree.get_path(Path::new(&format!("approvals/{}/{id}.json", &id[..2]))).unwrap();
        let stored = repo.find_blob(entry.id()).unwrap().content().to_vec();
        expect_test::expect![[r#"{"comment":"looks right","created":"2026-01-31T09:05:00.250Z","decision":"approve","fingerprint":"32a6ff689298f081d70b0573dfeacdfbfb7f74e066280c9fe49374af16d1600c","fingerprint_version":2,"path":"src/lib.rs","repository":"0123456789abcdef0123456789abcdef01234567","reviewer":{"email":"carol@example.com","name":"carol"},"type":"approval","version":1}"#]]
            .assert_eq(std::str::from_utf8(&stored).unwrap());
        // Adding it again changes nothing.
        assert_eq!(add(&repo, &a).unwrap(), id);
        assert_eq!(tip(&repo, Kind::Approval).unwrap(), Some(tip1));

        let listing = list::<Approval>(&repo).unwrap();
        assert!(listing.bad.is_empty());
        assert_eq!(listing.records, [Stored { id, record: a }]);
        // Kinds live apart.
        assert!(list::<Request>(&repo).unwrap().records.is_empty());
    }

    #[test]
    fn requests_and_overrides_round_trip() {
        let (_dir, repo) = temp_repo();
        let request = Request {
            rationale: Some("retry with backoff, see #12".into()),
            created: "2026-01-31T09:00:00.000Z".into(),
            ..Request::new(REPO_ID, person("dev@example.com"), vec![unit("fn f() {}\n")])
        };
        assert!(request.units[0].fingerprint_matches());
        let id = add(&repo, &request).unwrap();
        assert_eq!(list::<Request>(&repo).unwrap().records, [Stored { id, record: request }]);

        let mut o = Override::new(REPO_ID, person("lead@example.com"), "prod is down");
        assert!(matches!(add(&repo, &o), Err(RecordError::Invalid { .. })));
        o.commits.push("89abcdef0123456789abcdef0123456789abcdef".into());
        let id = add(&repo, &o).unwrap();
        assert_eq!(list::<Override>(&repo).unwrap().records, [Stored { id, record: o.clone() }]);
        assert!(!String::from_utf8(o.signed_payload()).unwrap().contains("signature"));
    }

    #[test]
    fn signature_is_outside_the_signed_payload() {
        let a = approval(1, "carol@example.com", Verdict::Approve, "2026-01-31T09:05:00.000Z");
        let signed = Approval { signature: Some("-----BEGIN SSH SIGNATURE-----".into()), ..a.clone() };
        assert_eq!(signed.signed_payload(), a.signed_payload());
        assert_eq!(a.signed_payload(), canonical_bytes(&a));
        assert_ne!(id_of(&signed), id_of(&a));
        assert!(String::from_utf8(canonical_bytes(&signed)).unwrap().contains("\"signature\":"));
    }

    #[test]
    fn invalid_records_are_refused_on_add() {
        let (_dir, repo) = temp_repo();
        let check = |a: Approval, expected: &str| {
            assert_eq!(add(&repo, &a).unwrap_err().to_string(), expected);
        };
        let good = approval(1, "c@x", Verdict::Approve, "2026-01-31T09:05:00.000Z");
        check(
            Approval { fingerprint: "abc".into(), ..good.clone() },
            "invalid approval record: `fingerprint` is not a fingerprint: \"abc\"",
        );
        check(
            Approval { created: "yesterday".into(), ..good.clone() },
            "invalid approval record: `created` is not an RFC 3339 time: the 'year' component could not be parsed",
        );
        check(
            Approval { repository: "HEAD".into(), ..good.clone() },
            "invalid approval record: `repository` is not a commit id: \"HEAD\"",
        );
        check(Approval { reviewer: person(""), ..good.clone() }, "invalid approval record: `reviewer.email` is empty");
        check(
            Approval { version: 2, ..good },
            "invalid approval record: unsupported version 2 (this vouch reads version 1)",
        );
        assert_eq!(tip(&repo, Kind::Approval).unwrap(), None);
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let (dir, _repo) = temp_repo();
        const THREADS: u32 = 8;
        const EACH: u32 = 50;
        let path = dir.path().to_path_buf();
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    // Each writer has its own handle, as separate processes do.
                    let repo = Repository::open(&path).unwrap();
                    (0..EACH)
                        .map(|i| {
                            let a = approval(
                                t * 1000 + i,
                                &format!("r{t}@x"),
                                Verdict::Approve,
                                "2026-01-31T09:05:00.000Z",
                            );
                            add(&repo, &a).unwrap()
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        let mut written: Vec<String> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        written.sort();
        let repo = Repository::open(&path).unwrap();
        let listing = list::<Approval>(&repo).unwrap();
        assert!(listing.bad.is_empty(), "{:?}", listing.bad);
        let mut read: Vec<String> = listing.records.into_iter().map(|s| s.id).collect();
        read.sort();
        assert_eq!(read.len(), (THREADS * EACH) as usize);
        assert_eq!(read, written);
        // Every write is a commit on one line of history.
        let mut walk = repo.revwalk().unwrap();
        walk.push(tip(&repo, Kind::Approval).unwrap().unwrap()).unwrap();
        assert_eq!(walk.count(), (THREADS * EACH) as usize);
    }

    /// Writers that all find the ref missing must not overwrite one
    /// another's first commit (libgit2 checks `force = false` outside the
    /// ref's lock).
    #[test]
    fn concurrent_first_writers_lose_nothing() {
        for round in 0..10 {
            let (dir, _repo) = temp_repo();
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
            let handles: Vec<_> = (0..8)
                .map(|t| {
                    let (path, barrier) = (dir.path().to_path_buf(), barrier.clone());
                    std::thread::spawn(move || {
                        let repo = Repository::open(&path).unwrap();
                        let a = approval(round * 100 + t, "r@x", Verdict::Approve, "2026-01-31T09:05:00.000Z");
                        barrier.wait();
                        add(&repo, &a).unwrap()
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            let repo = Repository::open(dir.path()).unwrap();
            assert_eq!(list::<Approval>(&repo).unwrap().records.len(), 8, "round {round}");
        }
    }

    #[test]
    fn diverged_refs_merge_as_the_union() {
        let (_dir, repo) = temp_repo();
        let t = "2026-01-31T09:05:00.000Z";
        let branch = RECORDS_BRANCH;
        let a = add(&repo, &approval(1, "a@x", Verdict::Approve, t)).unwrap();
        let base = tip(&repo, Kind::Approval).unwrap().unwrap();
        let b1 = add(&repo, &approval(2, "a@x", Verdict::Approve, t)).unwrap();
        let b2 = add(&repo, &approval(3, "a@x", Verdict::Reject, t)).unwrap();
        let ours = tip(&repo, Kind::Approval).unwrap().unwrap();
        // Another clone, from base, added c (and b1 too).
        repo.reference(branch, base, true, "rewind").unwrap();
        let c = add(&repo, &approval(4, "b@x", Verdict::Approve, t)).unwrap();
        add(&repo, &approval(2, "a@x", Verdict::Approve, t)).unwrap();
        let theirs = tip(&repo, Kind::Approval).unwrap().unwrap();
        repo.reference(branch, ours, true, "back").unwrap();

        let outcome = merge_union(&repo, branch, theirs).unwrap();
        assert_eq!((outcome.added, outcome.conflicts.len()), (1, 0));
        let merge = repo.find_commit(outcome.tip).unwrap();
        assert_eq!(merge.parent_ids().collect::<Vec<_>>(), [ours, theirs]);
        let mut ids: Vec<String> = list::<Approval>(&repo).unwrap().records.into_iter().map(|s| s.id).collect();
        ids.sort();
        let mut expected = vec![a, b1, b2, c];
        expected.sort();
        assert_eq!(ids, expected);

        // Merging again, or merging an ancestor, changes nothing.
        let again = merge_union(&repo, branch, theirs).unwrap();
        assert_eq!((again.tip, again.added), (outcome.tip, 0));
        assert_eq!(merge_union(&repo, branch, base).unwrap().tip, outcome.tip);

        // A version that is ours plus more fast-forwards.
        add(&repo, &approval(5, "a@x", Verdict::Approve, t)).unwrap();
        let ahead = tip(&repo, Kind::Approval).unwrap().unwrap();
        repo.reference(branch, outcome.tip, true, "back").unwrap();
        let ff = merge_union(&repo, branch, ahead).unwrap();
        assert_eq!((ff.tip, ff.added), (ahead, 1));

        // With no local branch, the other version is taken as is.
        repo.find_reference(branch).unwrap().delete().unwrap();
        let taken = merge_union(&repo, branch, ahead).unwrap();
        assert_eq!((taken.tip, taken.added), (ahead, 5));
    }

    #[test]
    fn merge_keeps_ours_and_reports_a_corrupt_twin() {
        let (_dir, repo) = temp_repo();
        let good = approval(1, "a@x", Verdict::Approve, "2026-01-31T09:05:00.000Z");
        let id = add(&repo, &good).unwrap();
        let ours = tip(&repo, Kind::Approval).unwrap().unwrap();
        let path = format!("{}/{id}.json", &id[..2]);
        let theirs = write_raw(&repo, Kind::Approval, &[(&path, b"{\"forged\":true}")]);
        repo.reference(RECORDS_BRANCH, ours, true, "back").unwrap();
        let outcome = merge_union(&repo, RECORDS_BRANCH, theirs).unwrap();
        assert_eq!(outcome.conflicts, [format!("approvals/{path}")]);
        let listing = list::<Approval>(&repo).unwrap();
        assert_eq!((listing.records.len(), listing.bad.len()), (1, 0));
    }

    #[test]
    fn tampered_and_foreign_files_are_reported_not_dropped() {
        let (_dir, repo) = temp_repo();
        let good = approval(1, "a@x", Verdict::Approve, "2026-01-31T09:05:00.000Z");
        let good_bytes = canonical_bytes(&good);
        let good_id = sha256_hex(&good_bytes);
        let intact = canonical_bytes(&approval(2, "a@x", Verdict::Approve, "2026-01-31T09:05:00.000Z"));
        let intact_id = sha256_hex(&intact);
        let named = |bytes: &[u8]| {
            let id = sha256_hex(bytes);
            format!("{}/{id}.json", &id[..2])
        };
        // Tampered: the decision changed after the fact, the name kept.
        let tampered = String::from_utf8(good_bytes.clone()).unwrap().replace("approve", "reject").into_bytes();
        let pretty = serde_json::to_vec_pretty(&good).unwrap();
        let request = canonical_bytes(&Request {
            created: "2026-01-31T09:05:00.000Z".into(),
            ..Request::new(REPO_ID, person("d@x"), vec![unit("x")])
        });
        let v2 = String::from_utf8(good_bytes.clone()).unwrap().replace("\"version\":1", "\"version\":2").into_bytes();
        let unknown =
            String::from_utf8(good_bytes.clone()).unwrap().replace("\"type\"", "\"mood\":\"ok\",\"type\"").into_bytes();
        let bad_date =
            String::from_utf8(good_bytes.clone()).unwrap().replace("2026-01-31T09:05:00.000Z", "soon").into_bytes();
        let files: Vec<(String, Vec<u8>)> = vec![
            (format!("{}/{intact_id}.json", &intact_id[..2]), intact),
            (format!("{}/{good_id}.json", &good_id[..2]), tampered),
            (named(&pretty), pretty.clone()),
            (named(&request), request.clone()),
            (named(&v2), v2.clone()),
            (named(&unknown), unknown.clone()),
            (named(&bad_date), bad_date.clone()),
            (named(b"not json"), b"not json".to_vec()),
            ("README.md".into(), b"hi".to_vec()),
            (format!("ff/{good_id}.json"), good_bytes.clone()),
        ];
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
        write_raw(&repo, Kind::Approval, &refs);
        let listing = list::<Approval>(&repo).unwrap();
        assert_eq!(listing.records.len(), 1);
        assert_eq!(listing.records[0].id, intact_id);
        let mut reasons: Vec<String> =
            listing.bad.iter().map(|b| b.reason.split(" (its hash is").next().unwrap().to_string()).collect();
        reasons.sort();
        expect_test::expect![[r#"
            [
                "a request record where approvals belong",
                "content does not match its name",
                "invalid approval record: `created` is not an RFC 3339 time: the 'year' component could not be parsed",
                "invalid approval record: unknown field `mood`, expected one of `type`, `version`, `repository`, `fingerprint`, `fingerprint_version`, `decision`, `reviewer`, `created`, `comment`, `request`, `path`, `base`, `automated`, `signature`",
                "not JSON: expected ident at line 1 column 2",
                "not in canonical form (RFC 8785)",
                "unexpected entry (records live in <id[0..2]>/<id>.json)",
                "unexpected file name (records are <id[0..2]>/<id>.json)",
                "unsupported version 2 (this vouch reads version 1)",
            ]
        "#]]
        .assert_debug_eq(&reasons);
        assert!(listing.bad.iter().all(|b| b.to_string().starts_with("refs/heads/vouch-records:approvals/")));
    }

    #[test]
    fn indexes_order_by_time_and_feed_the_decision() {
        let (_dir, repo) = temp_repo();
        let real_id = commit_files(&repo, &[("a", "a")], 1_000).to_string();
        let mk = |email: &str, decision, created: &str| Approval {
            repository: real_id.clone(),
            ..approval(1, email, decision, created)
        };
        // Written out of order; read back in time order.
        for a in [
            mk("dora@example.com", Verdict::Approve, "2026-01-31T10:00:00.000Z"),
            mk("carol@example.com", Verdict::Reject, "2026-01-31T11:00:00.000Z"),
            mk("carol@example.com", Verdict::Approve, "2026-01-31T09:00:00.000Z"),
            approval(1, "eve@example.com", Verdict::Approve, "2026-01-31T12:00:00.000Z"),
        ] {
            add(&repo, &a).unwrap();
        }
        let repository = crate::store::repo::repository_id(&repo).unwrap();
        assert_eq!(repository, real_id);
        let index = ApprovalIndex::new(list::<Approval>(&repo).unwrap().records, &repository);
        assert_eq!(index.foreign().len(), 1);
        assert_eq!(index.for_fingerprint(&fp(1)).len(), 3);
        let order: Vec<&str> = index.for_fingerprint(&fp(1)).iter().map(|s| s.record.created.as_str()).collect();
        assert_eq!(order, ["2026-01-31T09:00:00.000Z", "2026-01-31T10:00:00.000Z", "2026-01-31T11:00:00.000Z"]);
        assert!(index.for_fingerprint(&fp(2)).is_empty());

        let mut request = Request::new(&repository, person("dev@example.com"), vec![unit("fn f() {}")]);
        request.units[0].fingerprint = fp(1);
        let request_id = add(&repo, &request).unwrap();
        let requests = RequestIndex::new(list::<Request>(&repo).unwrap().records, &repository);
        assert_eq!(requests.get(&request_id).unwrap().record, request);
        assert_eq!(requests.requesters(&fp(1)), ["dev@example.com"]);

        let policy =
            Policy::parse("reviewers = [\"carol@example.com\", \"dora@example.com\"]\napprovals = 2\n", ".vouch.toml")
                .unwrap();
        let requirement = policy.requirement("src/lib.rs", &[], 3);
        let participants = Participants { requesters: requests.requesters(&fp(1)), ..Participants::default() };
        let votes = index.votes(&fp(1), |_| None);
        let status = assess(&requirement, &votes, &participants).status;
        assert_eq!(status, Status::Rejected { by: "carol@example.com".into(), comment: None });
    }

    #[test]
    fn many_records_added_by_one_commit_are_all_read() {
        // Not a timing test: it checks that a couple of thousand records
        // that one commit added are all listed, through the two-level layout
        // (as a migration from the legacy refs adds them).
        let (_dir, repo) = temp_repo();
        let mut update = TreeUpdateBuilder::new();
        let mut ids = Vec::new();
        for n in 0..2000 {
            let bytes = canonical_bytes(&approval(n, "a@x", Verdict::Approve, "2026-01-31T09:05:00.000Z"));
            let id = sha256_hex(&bytes);
            update.upsert(format!("approvals/{}/{id}.json", &id[..2]), repo.blob(&bytes).unwrap(), FileMode::Blob);
            ids.push(id);
        }
        let tree = update.create_updated(&repo, &empty_tree(&repo).unwrap()).unwrap();
        let commit = make_commit(&repo, tree, &[], "bulk").unwrap();
        repo.reference(RECORDS_BRANCH, commit, true, "bulk").unwrap();
        let listing = list::<Approval>(&repo).unwrap();
        assert_eq!((listing.records.len(), listing.bad.len()), (2000, 0));
    }

    #[test]
    fn time_format() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_769_850_300_250_999_999).unwrap();
        assert_eq!(format_time(t), "2026-01-31T09:05:00.250Z");
        assert!(OffsetDateTime::parse(&now(), &Rfc3339).is_ok());
    }
}
