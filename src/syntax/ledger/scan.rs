//! The field scanner: where each top-level key and value of an event line sits. serde_json
//! decides whether the line is valid and gives no spans; this walks the accepted line once.

use super::{EventField, FieldValue, LedgerText};
use crate::base::TextRange;

pub(super) fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Finds the top-level keys and values of `line`, which serde_json has already accepted as a
/// JSON object. Because the JSON is known to be valid, the scanner only has to tell strings
/// from structure; it still stops quietly, rather than panicking, if that assumption breaks.
pub(super) fn scan_fields(line: &str, base: usize) -> Vec<EventField> {
    let bytes = line.as_bytes();
    let mut fields = Vec::new();
    let mut at = skip_whitespace(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return fields;
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
        fields.push(EventField {
            key: LedgerText::new(&decode_key(&line[key_start..key_end])),
            key_range: TextRange::new(base + key_start, base + key_end),
            value_range: TextRange::new(base + value_start, base + value_end),
            value: FieldValue::Null,
        });
        at = skip_whitespace(bytes, value_end);
        if bytes.get(at) != Some(&b',') {
            break;
        }
        at += 1;
    }
    fields.shrink_to_fit();
    fields
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

/// A key's text (with quotes) decoded to the string serde_json uses in the map.
fn decode_key(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(quoted);
    if !inner.contains('\\') {
        return inner.to_string();
    }
    serde_json::from_str(quoted).unwrap_or_else(|_| inner.to_string())
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
            for field in scan_fields(line, 0) {
                for range in [field.key_range, field.value_range] {
                    assert!(range.start <= range.end, "{line:?}: {range:?}");
                    assert!(range.end as usize <= line.len(), "{line:?}: {range:?}");
                }
            }
        }
        assert_eq!(
            scan_fields("{\"a\":[1", 0)[0].value_range,
            TextRange::new(5, 7)
        );
    }
}
