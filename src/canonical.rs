//! Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): the one byte
//! string a record hashes to and is signed over.
//!
//! Object members are sorted by the UTF-16 code units of their names, there
//! is no whitespace, strings are escaped as ECMAScript's `JSON.stringify`
//! escapes them, and numbers are written as ECMAScript writes them. vouch's
//! records hold integers only, so this implementation accepts integers within
//! the range a double represents exactly (±(2^53 − 1)) and rejects every
//! other number rather than risk writing one differently from other
//! implementations. It is not a JSON parser: input comes from serde.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::{Map, Value};

/// Largest integer that an IEEE 754 double, and so every RFC 8785
/// implementation, holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a value has no canonical form here.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CanonicalError {
    #[error("floating-point number {0} is not allowed in a record (integers only)")]
    Float(String),
    #[error("integer {0} is outside the range a JSON number holds exactly (±(2^53 − 1))")]
    IntegerOutOfRange(String),
    #[error("cannot serialize the value as JSON: {0}")]
    Serialize(String),
}

/// The canonical JSON text of `value`.
pub fn to_string(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out)
}

/// The canonical JSON bytes of anything serde can turn into JSON.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let value = serde_json::to_value(value).map_err(|e| CanonicalError::Serialize(e.to_string()))?;
    Ok(to_string(&value)?.into_bytes())
}

fn write_value(out: &mut String, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map)?,
    }
    Ok(())
}

fn write_object(out: &mut String, map: &Map<String, Value>) -> Result<(), CanonicalError> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|a, b| utf16_cmp(a.0, b.0));
    out.push('{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        write_value(out, value)?;
    }
    out.push('}');
    Ok(())
}

/// Order of member names: by UTF-16 code units, which differs from byte
/// order for characters above U+FFFF against those in U+E000..U+FFFF.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_number(out: &mut String, n: &serde_json::Number) -> Result<(), CanonicalError> {
    // Within ±(2^53 − 1) ECMAScript writes an integer as its plain decimal
    // digits, which is what Rust's integer formatting produces.
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(CanonicalError::IntegerOutOfRange(u.to_string()));
        }
        out.push_str(&u.to_string());
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(CanonicalError::IntegerOutOfRange(i.to_string()));
        }
        out.push_str(&i.to_string());
    } else {
        return Err(CanonicalError::Float(n.to_string()));
    }
    Ok(())
}

/// A string as `JSON.stringify` writes it: the two-character escapes for
/// `"`, `\`, backspace, form feed, newline, carriage return and tab, `\u00xx`
/// (lowercase hex) for the other control characters, everything else as is.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let v = c as u32;
                out.push_str("\\u00");
                out.push(HEX[(v >> 4) as usize] as char);
                out.push(HEX[(v & 15) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(text: &str) -> Result<String, CanonicalError> {
        to_string(&serde_json::from_str(text).unwrap())
    }

    /// RFC 8785 section 3.2.2, without its floating-point numbers (vouch
    /// rejects those, tested below).
    #[test]
    fn rfc8785_sample_strings_and_literals() {
        let input = r#"{
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        assert_eq!(
            canon(input).unwrap(),
            "{\"literals\":[null,true,false],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
        );
    }

    /// RFC 8785 section 3.2.3: member names sort by UTF-16 code units, so the
    /// emoji (a surrogate pair, D83D) comes before U+FB33, though its UTF-8
    /// bytes (F0..) sort after U+FB33's (EF..).
    #[test]
    fn rfc8785_sorting_example() {
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let expected = concat!(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",",
            "\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",",
            "\"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
        assert_eq!(canon(input).unwrap(), expected);
        // The RFC gives the bytes of the names in order; check the hex too.
        let names: Vec<String> = ["\r", "1", "\u{80}", "ö", "€", "😀", "\u{fb33}"]
            .iter()
            .map(|n| crate::fingerprint::hex(n.as_bytes()))
            .collect();
        assert_eq!(names, ["0d", "31", "c280", "c3b6", "e282ac", "f09f9880", "efacb3"]);
    }

    #[test]
    fn nested_values_and_whitespace() {
        let input = "{ \"b\" : [ 1 , { \"z\" : null , \"a\" : -7 } ] ,\n \"a\" : { } , \"c\" : [ ] }";
        assert_eq!(canon(input).unwrap(), r#"{"a":{},"b":[1,{"a":-7,"z":null}],"c":[]}"#);
    }

    #[test]
    fn every_control_character_is_escaped_like_json_stringify() {
        let all: String = (0u8..0x20).map(char::from).chain(['\u{7f}', '\u{2028}', '<', '/']).collect();
        let expected = concat!(
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f",
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d",
            "\\u001e\\u001f\u{7f}\u{2028}</\""
        );
        assert_eq!(to_string(&json!(all)).unwrap(), expected);
    }

    #[test]
    fn integers_are_plain_decimals_and_floats_are_refused() {
        assert_eq!(
            to_string(&json!([0, -1, 9007199254740991_u64, -9007199254740991_i64])).unwrap(),
            "[0,-1,9007199254740991,-9007199254740991]"
        );
        assert_eq!(
            to_string(&json!(9007199254740992_u64)),
            Err(CanonicalError::IntegerOutOfRange("9007199254740992".into()))
        );
        assert_eq!(
            to_string(&json!(-9007199254740992_i64)),
            Err(CanonicalError::IntegerOutOfRange("-9007199254740992".into()))
        );
        assert_eq!(to_string(&json!({"x": [1.5]})), Err(CanonicalError::Float("1.5".into())));
        // 4.0 is a float to serde_json even though ECMAScript would write 4.
        assert!(matches!(canon("4.0"), Err(CanonicalError::Float(_))));
    }

    #[test]
    fn serializable_structs() {
        #[derive(Serialize)]
        struct R {
            zeta: u32,
            alpha: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            omitted: Option<String>,
        }
        let bytes = to_vec(&R { zeta: 3, alpha: None, omitted: None }).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), r#"{"alpha":null,"zeta":3}"#);
    }

    #[test]
    fn canonical_form_is_a_fixed_point() {
        let text = canon(r#"{"é":"\u00e9","a":[true,{"y":"\t","x":2}]}"#).unwrap();
        assert_eq!(canon(&text).unwrap(), text);
    }
}
