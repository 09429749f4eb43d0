//! The field scanner: where each top-level key and value of an event line sits. serde_json
//! decides whether the line is valid and gives no spans; this walks the accepted line once.

use std::sync::Arc;

use super::{Event, NOT_DECODED, StoredField, ValueKind};
use crate::base::TextRange;

pub(super) fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Finds the top-level keys and values of `line` (at `base` in `text`, the whole file), which
/// serde_json has already accepted as a JSON object. Because the JSON is known to be valid,
/// the scanner only has to tell strings from structure; it still stops quietly, rather than
/// panicking, if that assumption breaks.
pub(super) fn scan_fields(text: &Arc<str>, line: &str, base: usize) -> Event {
    let bytes = line.as_bytes();
    let mut fields = Vec::new();
    let mut decoded = Vec::new();
    let mut at = skip_whitespace(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return event(text, fields, decoded);
    }
    at += 1;
    loop {
        at = skip_whitespace(bytes, at);
        if bytes.get(at) != Some(&b'"') {
            break; // `}`: the object is done.
        }
        let key_start = at;
        let key_end = string_end(bytes, key_start);
        at = skip_whitespace(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            break;
        }
        let value_start = skip_whitespace(bytes, at + 1);
        if value_start >= bytes.len() {
            break;
        }
        let value_end = value_end(bytes, value_start);
        let kind = ValueKind::of(bytes.get(value_start).copied());
        let key_decoded = decode_escapes(&line[key_start..key_end], &mut decoded);
        let value_decoded = match kind {
            ValueKind::Str => decode_escapes(&line[value_start..value_end], &mut decoded),
            _ => NOT_DECODED,
        };
        fields.push(StoredField {
            key_range: TextRange::new(base + key_start, base + key_end),
            value_range: TextRange::new(base + value_start, base + value_end),
            kind,
            key_decoded,
            value_decoded,
        });
        at = skip_whitespace(bytes, value_end);
        if bytes.get(at) != Some(&b',') {
            break;
        }
        at += 1;
    }
    event(text, fields, decoded)
}

fn event(text: &Arc<str>, fields: Vec<StoredField>, decoded: Vec<Box<str>>) -> Event {
    Event {
        text: text.clone(),
        fields: fields.into_boxed_slice(),
        decoded: decoded.into_boxed_slice(),
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && is_json_whitespace(bytes[at]) {
        at += 1;
    }
    at
}

/// The offset just past the string whose opening quote is at `start`. A backslash always
/// escapes the next byte, which in valid JSON is ASCII (`\"`, `\\`, `\u…`), so skipping one
/// byte after it is exact; bytes of multi-byte characters never equal `"` or `\`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The offset just past the value starting at `start`. Nesting is tracked with a counter, not
/// recursion, so depth costs no stack; one counter serves both bracket kinds because valid
/// JSON closes them in order.
fn value_end(bytes: &[u8], start: usize) -> usize {
    match bytes[start] {
        b'"' => string_end(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = start;
            while at < bytes.len() {
                match bytes[at] {
                    b'"' => {
                        at = string_end(bytes, at);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return at + 1;
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            bytes.len()
        }
        // A number, `true`, `false` or `null`: runs until structure or whitespace.
        _ => {
            let mut at = start;
            while at < bytes.len()
                && !matches!(bytes[at], b',' | b'}' | b']')
                && !is_json_whitespace(bytes[at])
            {
                at += 1;
            }
            at
        }
    }
}

/// For a string (with its quotes) written with escapes, stores the string serde_json reads
/// from it in `decoded` and returns its index there; [`NOT_DECODED`] when the text between
/// the quotes is already the string.
fn decode_escapes(quoted: &str, decoded: &mut Vec<Box<str>>) -> u16 {
    if !quoted.contains('\\') || decoded.len() >= NOT_DECODED as usize {
        return NOT_DECODED;
    }
    match serde_json::from_str::<String>(quoted) {
        Ok(string) => {
            decoded.push(string.into());
            (decoded.len() - 1) as u16
        }
        Err(_) => NOT_DECODED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_survives_unbalanced_input() {
        // The scanner is only meant for lines serde_json accepted; on anything else it must
        // still return, with every range inside the line.
        for line in [
            "{\"a\":",
            "{\"a\" 1}",
            "{\"a\":\"\\",
            "{\"a\":[\"",
            "{",
            "x",
            "{\"a\":1,",
        ] {
            for field in scan_fields(&Arc::from(line), line, 0).fields() {
                for range in [field.key_range, field.value_range] {
                    assert!(range.start <= range.end, "{line:?}: {range:?}");
                    assert!(range.end as usize <= line.len(), "{line:?}: {range:?}");
                }
            }
        }
        let line = "{\"a\":[1";
        assert_eq!(
            scan_fields(&Arc::from(line), line, 0)
                .fields()
                .next()
                .unwrap()
                .value_range,
            TextRange::new(5, 7)
        );
    }
}
