//! Ledger files (`<id>.ledger.jsonl`): splitting into lines, JSON parsing of each event with
//! the byte ranges of its top-level keys and values, and the RFC 3339 / calendar-date
//! arithmetic that the ledger and frontmatter checks share.
//!
//! serde_json decides whether a line is valid JSON (so the server agrees with every other
//! tool about what a valid event is); it gives no spans, so a small scanner then walks the
//! accepted line once to find where each top-level field sits. Every range is a byte range
//! into the whole file.

use serde_json::Value;

use crate::base::{TextRange, floor_char_boundary};
use crate::syntax::limits::{MAX_LINE_BYTES, OverCap, long_lines};

/// A parsed ledger: one entry per line of the file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ledger {
    /// Every line, in file order. A final `\n` does not start another (empty) line.
    pub lines: Vec<LedgerLine>,
    /// Whether the file ends with a newline. Appending must first add one when it does not,
    /// so that a new event never glues onto the last line.
    pub ends_with_newline: bool,
}

impl Ledger {
    /// The lines that hold an event, with their events, in file order.
    pub fn events(&self) -> impl Iterator<Item = (&LedgerLine, &Event)> {
        self.lines.iter().filter_map(|line| match &line.kind {
            LineKind::Event(event) => Some((line, event)),
            _ => None,
        })
    }

    /// The line whose text contains byte `offset`, its end included (a cursor after the last
    /// character is still on the line). `None` inside a line ending or past the last line.
    pub fn line_at(&self, offset: usize) -> Option<&LedgerLine> {
        let offset = u32::try_from(offset).ok()?;
        let after = self
            .lines
            .partition_point(|line| line.range.start <= offset);
        let line = self.lines.get(after.checked_sub(1)?)?;
        (offset <= line.range.end).then_some(line)
    }
}

/// One line of a ledger file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerLine {
    /// Zero-based line number in the file.
    pub number: usize,
    /// The line's text without its `\n` / `\r\n` (and, on the first line, without a UTF-8
    /// byte order mark, which some editors add and which is no part of the JSON).
    pub range: TextRange,
    pub kind: LineKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Nothing but JSON whitespace.
    Blank,
    /// Not JSON, or JSON that is not an object. `range` is the character serde_json stopped
    /// at when it reported one, otherwise the whole line.
    Invalid {
        message: String,
        range: TextRange,
    },
    Event(Event),
    /// Longer than the line cap: not parsed, reported by the `resource-limit` rule. Boxed:
    /// rare, and every line of every ledger would otherwise be as large as it.
    OverCap(Box<OverCap>),
}

/// A line that is a JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Top-level keys in the order written, duplicates included (so a check can report them).
    /// serde_json's map is not kept: at ten thousand ledgers it weighs ten times their text.
    pub fields: Vec<EventField>,
}

/// A string read from a ledger. Field names (and stage values) come from the ledger schema's
/// small vocabulary and need no allocation of their own; most other values (timestamps,
/// users, event names) are short and live inline. At ten thousand ledgers that is over a
/// million small allocations saved, and their allocator overhead with them.
#[derive(Clone, Debug)]
pub enum LedgerText {
    Common(&'static str),
    /// Up to [`INLINE_BYTES`] bytes of UTF-8, stored in place.
    Inline {
        len: u8,
        bytes: [u8; INLINE_BYTES],
    },
    Owned(Box<str>),
}

/// The longest text a [`LedgerText`] holds without allocating: an RFC 3339 timestamp fits.
const INLINE_BYTES: usize = 22;

/// The ledger schema's field names and the stage names `from`/`to` carry: shared rather than
/// copied per line.
const COMMON_TEXTS: &[&str] = &[
    "ts",
    "user",
    "event",
    "desc",
    "version",
    "from",
    "to",
    "reason",
    "blocked_by",
    "blocker",
    "dependency",
    "dependents",
    "preempted_by",
    "displaced_task",
    "paused_from_stage",
    "resumed_to_stage",
    "previously_blocked_by",
];

impl LedgerText {
    fn new(text: &str) -> LedgerText {
        // A scan of two dozen short names, most ruled out by their length, costs less than
        // hashing the text: this runs for every key and string value of every ledger line.
        if let Some(&shared) = COMMON_TEXTS
            .iter()
            .chain(&crate::syntax::STAGE_NAMES)
            .find(|common| common.len() == text.len() && **common == text)
        {
            return LedgerText::Common(shared);
        }
        if text.len() <= INLINE_BYTES {
            let mut bytes = [0; INLINE_BYTES];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            return LedgerText::Inline {
                len: text.len() as u8,
                bytes,
            };
        }
        LedgerText::Owned(text.into())
    }
}

impl std::ops::Deref for LedgerText {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            LedgerText::Common(text) => text,
            // Only ever filled from a whole `&str` of `len` bytes.
            LedgerText::Inline { len, bytes } => std::str::from_utf8(&bytes[..*len as usize])
                .expect("inline ledger text is copied from a str"),
            LedgerText::Owned(text) => text,
        }
    }
}

impl PartialEq for LedgerText {
    fn eq(&self, other: &LedgerText) -> bool {
        **self == **other
    }
}

impl Eq for LedgerText {}

/// A top-level value, as far as the rules need it: strings whole, the rest by kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldValue {
    Str(LedgerText),
    /// The number as JSON wrote it.
    Number(Box<str>),
    Bool(bool),
    Null,
    Array,
    Object,
}

impl FieldValue {
    fn of(value: &Value) -> FieldValue {
        match value {
            Value::String(text) => FieldValue::Str(LedgerText::new(text)),
            Value::Number(number) => FieldValue::Number(number.to_string().into()),
            Value::Bool(flag) => FieldValue::Bool(*flag),
            Value::Null => FieldValue::Null,
            Value::Array(_) => FieldValue::Array,
            Value::Object(_) => FieldValue::Object,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, FieldValue::Str(_))
    }
}

/// Where one top-level field of an event sits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventField {
    /// The key with its escapes decoded (`"t\u0073"` is `ts`).
    pub key: LedgerText,
    /// The key's text including its quotes.
    pub key_range: TextRange,
    /// The value's exact JSON text: including quotes for a string, brackets for an array or
    /// object.
    pub value_range: TextRange,
    /// The value; on a duplicate key every occurrence carries the last one, as serde_json
    /// (and most JSON readers) keep it.
    pub value: FieldValue,
}

impl EventField {
    /// For a string value, the range between its quotes (where a completion or a task
    /// reference lives); `None` for other values. `text` is the ledger file's text.
    pub fn string_content_range(&self, text: &str) -> Option<TextRange> {
        let range = self.value_range;
        let value = range.slice(text);
        if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            Some(TextRange::new(
                range.start as usize + 1,
                range.end as usize - 1,
            ))
        } else {
            None
        }
    }
}

impl Event {
    /// The value of `key` when it is a string.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.field(key)?.value.as_str()
    }

    /// Where `key` is written; the last occurrence when the key is duplicated.
    pub fn field(&self, key: &str) -> Option<&EventField> {
        self.fields.iter().rev().find(|field| &*field.key == key)
    }

    pub fn ts(&self) -> Option<&str> {
        self.str_field("ts")
    }

    pub fn user(&self) -> Option<&str> {
        self.str_field("user")
    }

    pub fn event(&self) -> Option<&str> {
        self.str_field("event")
    }

    pub fn desc(&self) -> Option<&str> {
        self.str_field("desc")
    }
}

/// Parses a whole ledger file. Never fails: a line that is not an event becomes
/// [`LineKind::Invalid`] and the following lines are read as usual.
pub fn parse_ledger(text: &str) -> Ledger {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut number = 0;
    while start < text.len() {
        let (end, next) = match text[start..].find('\n') {
            Some(at) => (start + at, start + at + 1),
            None => (text.len(), text.len()),
        };
        let mut content_start = start;
        if number == 0 && text[start..end].starts_with('\u{feff}') {
            content_start += '\u{feff}'.len_utf8();
        }
        // The `\r` of a CRLF ending is not part of the line; at end of file a lone `\r` is
        // treated the same way, as the start of a line ending that was cut off.
        let content_end = if text[content_start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        let range = TextRange::new(content_start, content_end);
        let kind = if content_end - content_start > MAX_LINE_BYTES {
            // serde_json would build the whole line as a tree first; an event is a few hundred
            // bytes, so a line this long is reported by its length alone.
            over_cap_line(text, start)
        } else {
            parse_line(&text[content_start..content_end], content_start)
        };
        lines.push(LedgerLine {
            number,
            range,
            kind,
        });
        start = next;
        number += 1;
    }
    // Ten thousand ledgers stay in memory for the session: keep no spare capacity.
    lines.shrink_to_fit();
    Ledger {
        lines,
        ends_with_newline: text.ends_with('\n'),
    }
}

/// The report for the over-long line starting at `start`.
fn over_cap_line(text: &str, start: usize) -> LineKind {
    let end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    // Only this line is scanned for its length; the lines before it are counted for its number.
    match long_lines(&text[..end], start).pop() {
        Some((_, report)) => LineKind::OverCap(Box::new(report)),
        None => LineKind::Blank,
    }
}

/// Classifies one line (`line` is its text, `base` its offset in the file).
fn parse_line(line: &str, base: usize) -> LineKind {
    if line.bytes().all(is_json_whitespace) {
        return LineKind::Blank;
    }
    let whole = TextRange::new(base, base + line.len());
    // serde_json bounds its recursion (128 levels), so a hostile `[[[[...` line is an error
    // here rather than a stack overflow.
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(object)) => {
            let mut fields = scan_fields(line, base);
            for field in &mut fields {
                if let Some(value) = object.get(&*field.key) {
                    field.value = FieldValue::of(value);
                }
            }
            LineKind::Event(Event { fields })
        }
        Ok(other) => LineKind::Invalid {
            message: format!(
                "a ledger event must be a JSON object, not {}",
                describe(&other)
            ),
            range: whole,
        },
        Err(error) => {
            let full = error.to_string();
            let position = format!(" at line {} column {}", error.line(), error.column());
            let message = full.strip_suffix(&position).unwrap_or(&full);
            LineKind::Invalid {
                message: format!("invalid JSON: {message}"),
                range: error_range(line, base, error.column()).unwrap_or(whole),
            }
        }
    }
}

/// The character serde_json reported an error at. Its column counts bytes from 1 and, for
/// an input held in memory, names the byte it was looking at (or the last byte, when the
/// line ended too early).
fn error_range(line: &str, base: usize, column: usize) -> Option<TextRange> {
    if column == 0 || line.is_empty() {
        return None;
    }
    let start = floor_char_boundary(line, (column - 1).min(line.len() - 1));
    let width = line[start..].chars().next().map_or(0, char::len_utf8);
    Some(TextRange::new(base + start, base + start + width))
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Finds the top-level keys and values of `line`, which serde_json has already accepted as a
/// JSON object. Because the JSON is known to be valid, the scanner only has to tell strings
/// from structure; it still stops quietly, rather than panicking, if that assumption breaks.
fn scan_fields(line: &str, base: usize) -> Vec<EventField> {
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

/// Parses an RFC 3339 timestamp with an offset — `2025-10-18T12:10:00Z`,
/// `2025-10-18T12:10:00.123+02:00` — into seconds since the Unix epoch (UTC). Fractional
/// seconds are accepted and dropped. `t`/`z` may be lowercase (RFC 3339 §5.6); a space in
/// place of `T`, a missing offset or an offset without its colon are rejected, because the
/// ledger's readers are not required to understand them. A leap second (`:60`) is accepted
/// and counts as the first second of the next minute.
pub fn parse_rfc3339(ts: &str) -> Option<i64> {
    let bytes = ts.as_bytes();
    if bytes.len() < 20 {
        return None;
    }
    let (y, m, d) = parse_date(ts.get(..10)?)?;
    if !matches!(bytes[10], b'T' | b't') {
        return None;
    }
    let hour = two_digits(bytes, 11)?;
    let minute = two_digits(bytes, 14)?;
    let second = two_digits(bytes, 17)?;
    if bytes[13] != b':' || bytes[16] != b':' || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    if bytes.get(at) == Some(&b'.') {
        let digits = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        at += 1 + digits;
    }
    let offset_seconds = match bytes.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let offset_hour = two_digits(bytes, at + 1)?;
            let offset_minute = two_digits(bytes, at + 4)?;
            if offset_hour > 23 || offset_minute > 59 {
                return None;
            }
            let magnitude = i64::from(offset_hour) * 3600 + i64::from(offset_minute) * 60;
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return None,
    };
    let local = days_from_civil(y, m, d) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    // Local time = UTC + offset, so UTC = local - offset.
    Some(local - offset_seconds)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(epoch_secs: i64) -> String {
    let days = epoch_secs.div_euclid(86_400);
    let secs_of_day = epoch_secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// Days from 1970-01-01 to the proleptic Gregorian date `y-m-d` (negative before it). Uses
/// Howard Hinnant's `days_from_civil`, which shifts the year to start in March so that the
/// leap day falls at its end. Meant for valid dates (see [`is_valid_date`]); other inputs give
/// a number but not a meaningful one, and years too large for the arithmetic saturate.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (y, m, d) = (i128::from(y), i128::from(m), i128::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let month_from_march = (m + 9) % 12; // March = 0 … February = 11
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    i64::try_from(days).unwrap_or(if days < 0 { i64::MIN } else { i64::MAX })
}

/// The inverse of [`days_from_civil`] (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097; // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let d = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let m = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let y = year_of_era + era * 400 + i128::from(m <= 2);
    // Within i64 for every input: |days| / 365 is far below i64::MAX.
    (y as i64, m, d)
}

/// Gregorian leap years: every fourth year, except centuries not divisible by 400.
pub fn is_leap_year(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Whether `y-m-d` is a real date of the proleptic Gregorian calendar.
pub fn is_valid_date(y: i64, m: u32, d: u32) -> bool {
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&d)
}

/// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day) when it names a
/// real date, leap days included.
pub fn parse_date(text: &str) -> Option<(i64, u32, u32)> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let y = two_digits(bytes, 0)? * 100 + two_digits(bytes, 2)?;
    let m = two_digits(bytes, 5)?;
    let d = two_digits(bytes, 8)?;
    let y = i64::from(y);
    is_valid_date(y, m, d).then_some((y, m, d))
}

/// The two ASCII digits at `at..at + 2` as a number.
fn two_digits(bytes: &[u8], at: usize) -> Option<u32> {
    match bytes.get(at..at + 2)? {
        [tens @ b'0'..=b'9', ones @ b'0'..=b'9'] => {
            Some(u32::from(tens - b'0') * 10 + u32::from(ones - b'0'))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_texts_read_back_whatever_their_storage() {
        let timestamp = "2026-11-04T09:00:00Z";
        let long = "a description longer than fits in place";
        for text in [
            "",
            "ts",
            "current",
            "@kim",
            timestamp,
            "é🎉 and more é",
            long,
        ] {
            assert_eq!(&*LedgerText::new(text), text);
        }
        assert!(matches!(LedgerText::new("ts"), LedgerText::Common(_)));
        assert!(matches!(
            LedgerText::new(timestamp),
            LedgerText::Inline { .. }
        ));
        assert!(matches!(LedgerText::new(long), LedgerText::Owned(_)));
        // The inline storage costs no more than the pointer it replaces.
        assert_eq!(std::mem::size_of::<LedgerText>(), 24);
    }

    /// The event on line `number`, failing the test when that line is not one.
    fn event_at(ledger: &Ledger, number: usize) -> &Event {
        match &ledger.lines[number].kind {
            LineKind::Event(event) => event,
            other => panic!("line {number} is not an event: {other:?}"),
        }
    }

    /// `(key text, value text)` of every field, as sliced from `text`.
    fn field_texts<'a>(text: &'a str, event: &Event) -> Vec<(&'a str, &'a str)> {
        event
            .fields
            .iter()
            .map(|f| (f.key_range.slice(text), f.value_range.slice(text)))
            .collect()
    }

    fn invalid_at(ledger: &Ledger, number: usize) -> (&str, TextRange) {
        match &ledger.lines[number].kind {
            LineKind::Invalid { message, range } => (message.as_str(), *range),
            other => panic!("line {number} is not invalid: {other:?}"),
        }
    }

    #[test]
    fn reads_a_normal_ledger() {
        let text = concat!(
            r#"{"ts":"2025-03-02T08:00:00Z","user":"@dana","event":"created","desc":"New card"}"#,
            "\n",
            r#"{"ts": "2025-03-02T09:15:00+01:00", "user": "@dana", "event": "verified", "desc": "Ready for TASK-0007"}"#,
            "\n",
        );
        let ledger = parse_ledger(text);
        assert!(ledger.ends_with_newline);
        assert_eq!(ledger.lines.len(), 2);
        let first = &ledger.lines[0];
        assert_eq!(first.number, 0);
        assert!(first.range.slice(text).starts_with(r#"{"ts""#));
        assert!(first.range.slice(text).ends_with(r#""New card"}"#));
        let second = event_at(&ledger, 1);
        assert_eq!(ledger.lines[1].number, 1);
        assert_eq!(
            field_texts(text, second),
            vec![
                (r#""ts""#, r#""2025-03-02T09:15:00+01:00""#),
                (r#""user""#, r#""@dana""#),
                (r#""event""#, r#""verified""#),
                (r#""desc""#, r#""Ready for TASK-0007""#),
            ]
        );
        assert_eq!(second.ts(), Some("2025-03-02T09:15:00+01:00"));
        assert_eq!(second.user(), Some("@dana"));
        assert_eq!(second.event(), Some("verified"));
        assert_eq!(second.desc(), Some("Ready for TASK-0007"));
        let desc = second.field("desc").unwrap();
        assert_eq!(
            desc.string_content_range(text).unwrap().slice(text),
            "Ready for TASK-0007"
        );
        let events: Vec<_> = ledger.events().map(|(_, e)| e.event()).collect();
        assert_eq!(events, vec![Some("created"), Some("verified")]);
    }

    #[test]
    fn value_ranges_cover_every_kind_of_value() {
        let text = concat!(
            r#"  { "desc" : "say \"hi\" \\", "n": -1.5e3 , "ok":true,"#,
            r#" "meta": {"a": [1, "}]\""], "b": {}}, "list": ["x\"]", {"y": [ ]}], "#,
            r#""nil":null , "tail": 0 }  "#,
            "\n",
        );
        let ledger = parse_ledger(text);
        let event = event_at(&ledger, 0);
        assert_eq!(
            field_texts(text, event),
            vec![
                (r#""desc""#, r#""say \"hi\" \\""#),
                (r#""n""#, "-1.5e3"),
                (r#""ok""#, "true"),
                (r#""meta""#, r#"{"a": [1, "}]\""], "b": {}}"#),
                (r#""list""#, r#"["x\"]", {"y": [ ]}]"#),
                (r#""nil""#, "null"),
                (r#""tail""#, "0"),
            ]
        );
        assert_eq!(event.str_field("desc"), Some(r#"say "hi" \"#));
        // Non-string values are not strings, whatever their key.
        assert_eq!(event.str_field("n"), None);
        assert_eq!(event.field("n").unwrap().string_content_range(text), None);
        assert_eq!(event.str_field("absent"), None);
    }

    #[test]
    fn escaped_keys_are_decoded_and_duplicates_kept_in_order() {
        let text = r#"{"t\u0073":"2025-01-01T00:00:00Z","event":"a","event":"b"}"#;
        let ledger = parse_ledger(text);
        let event = event_at(&ledger, 0);
        let keys: Vec<_> = event.fields.iter().map(|f| &*f.key).collect();
        assert_eq!(keys, vec!["ts", "event", "event"]);
        assert_eq!(event.ts(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(
            event.field("ts").unwrap().key_range.slice(text),
            r#""t\u0073""#
        );
        // The last duplicate wins, in the value and in `field` alike.
        assert_eq!(event.event(), Some("b"));
        assert_eq!(
            event.field("event").unwrap().value_range.slice(text),
            r#""b""#
        );
    }

    #[test]
    fn non_string_required_fields_read_as_absent() {
        let text = r#"{"ts":20250101,"user":["@a"],"event":null,"desc":{"x":1}}"#;
        let ledger = parse_ledger(text);
        let event = event_at(&ledger, 0);
        assert_eq!(
            (event.ts(), event.user(), event.event(), event.desc()),
            (None, None, None, None)
        );
        assert_eq!(
            event.field("user").unwrap().value_range.slice(text),
            r#"["@a"]"#
        );
    }

    #[test]
    fn blank_lines_are_kept_with_their_numbers() {
        let text = "\n  \t\n{\"event\":\"x\"}\n\n";
        let ledger = parse_ledger(text);
        let kinds: Vec<_> = ledger
            .lines
            .iter()
            .map(|l| {
                (
                    l.number,
                    l.range.slice(text),
                    matches!(l.kind, LineKind::Blank),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (0, "", true),
                (1, "  \t", true),
                (2, "{\"event\":\"x\"}", false),
                (3, "", true),
            ]
        );
    }

    #[test]
    fn invalid_json_points_at_the_offending_character() {
        let text = "{\"event\":\"ok\"}\n{\"event\": 'started'}\n{\"event\":\"after\"}\n";
        let ledger = parse_ledger(text);
        let (message, range) = invalid_at(&ledger, 1);
        assert!(message.starts_with("invalid JSON: "), "{message}");
        assert!(!message.contains("column"), "{message}");
        assert_eq!(range.slice(text), "'");
        assert_eq!(range.start as usize, text.find("'started").unwrap());
        // Reading goes on after a bad line.
        assert_eq!(event_at(&ledger, 2).event(), Some("after"));
    }

    #[test]
    fn error_position_lands_on_whole_characters() {
        let text = "{\"d\": é}";
        let ledger = parse_ledger(text);
        let (_, range) = invalid_at(&ledger, 0);
        assert_eq!(range.slice(text), "é");
    }

    #[test]
    fn truncated_and_trailing_garbage_lines_are_invalid() {
        let text = "{\"event\":\"x\"\n{\"event\":\"x\"} extra\n";
        let ledger = parse_ledger(text);
        let (message, range) = invalid_at(&ledger, 0);
        assert!(message.contains("EOF"), "{message}");
        assert_eq!(range.slice(text), "\"");
        assert_eq!(range.end, ledger.lines[0].range.end);
        let (message, range) = invalid_at(&ledger, 1);
        assert!(message.contains("trailing"), "{message}");
        assert_eq!(range.slice(text), "e");
    }

    #[test]
    fn json_that_is_not_an_object_is_invalid_on_the_whole_line() {
        let text = "[{\"event\":\"x\"}]\n\"event\"\n42\n";
        let ledger = parse_ledger(text);
        let (message, range) = invalid_at(&ledger, 0);
        assert_eq!(
            message,
            "a ledger event must be a JSON object, not an array"
        );
        assert_eq!(range.slice(text), "[{\"event\":\"x\"}]");
        assert_eq!(
            invalid_at(&ledger, 1).0,
            "a ledger event must be a JSON object, not a string"
        );
        assert_eq!(invalid_at(&ledger, 2).1.slice(text), "42");
    }

    #[test]
    fn crlf_endings_stay_out_of_line_ranges() {
        let text = "{\"event\":\"a\"}\r\n\r\n{\"event\":\"b\", \"desc\":\"d\"}\r\n";
        let ledger = parse_ledger(text);
        assert!(ledger.ends_with_newline);
        let lines: Vec<_> = ledger.lines.iter().map(|l| l.range.slice(text)).collect();
        assert_eq!(
            lines,
            vec!["{\"event\":\"a\"}", "", "{\"event\":\"b\", \"desc\":\"d\"}"]
        );
        assert!(matches!(ledger.lines[1].kind, LineKind::Blank));
        let event = event_at(&ledger, 2);
        assert_eq!(
            event.field("desc").unwrap().value_range.slice(text),
            "\"d\""
        );
    }

    #[test]
    fn last_line_without_newline_is_read() {
        let text = "{\"event\":\"a\"}\n{\"event\":\"b\"}";
        let ledger = parse_ledger(text);
        assert!(!ledger.ends_with_newline);
        assert_eq!(ledger.lines.len(), 2);
        assert_eq!(ledger.lines[1].range.slice(text), "{\"event\":\"b\"}");
        assert_eq!(event_at(&ledger, 1).event(), Some("b"));
        // A CRLF cut off after its `\r` leaves the `\r` out too.
        let cut = "{\"event\":\"a\"}\r";
        let ledger = parse_ledger(cut);
        assert_eq!(ledger.lines[0].range.slice(cut), "{\"event\":\"a\"}");
    }

    #[test]
    fn empty_file_has_no_lines() {
        let ledger = parse_ledger("");
        assert_eq!(
            ledger,
            Ledger {
                lines: vec![],
                ends_with_newline: false
            }
        );
        let ledger = parse_ledger("\n");
        assert_eq!(ledger.lines.len(), 1);
        assert!(ledger.ends_with_newline);
    }

    #[test]
    fn byte_order_mark_is_not_part_of_the_first_line() {
        let text = "\u{feff}{\"event\":\"created\"}\n";
        let ledger = parse_ledger(text);
        assert_eq!(ledger.lines[0].range.slice(text), "{\"event\":\"created\"}");
        assert_eq!(event_at(&ledger, 0).event(), Some("created"));
    }

    #[test]
    fn line_at_finds_the_line_under_an_offset() {
        let text = "{\"event\":\"a\"}\r\n{\"event\":\"b\"}\n";
        let ledger = parse_ledger(text);
        let second = text.find("{\"event\":\"b\"").unwrap();
        assert_eq!(ledger.line_at(0).map(|l| l.number), Some(0));
        assert_eq!(ledger.line_at(13).map(|l| l.number), Some(0));
        assert_eq!(ledger.line_at(14).map(|l| l.number), None);
        assert_eq!(ledger.line_at(second + 3).map(|l| l.number), Some(1));
        assert_eq!(ledger.line_at(text.len()).map(|l| l.number), None);
    }

    #[test]
    fn a_line_just_under_the_line_cap_is_read_in_full() {
        let size = MAX_LINE_BYTES - 100;
        let long = "x".repeat(size);
        let text = format!("{{\"event\":\"note\",\"desc\":\"{long}\",\"user\":\"@a\"}}\n");
        let ledger = parse_ledger(&text);
        let event = event_at(&ledger, 0);
        assert_eq!(event.desc().map(str::len), Some(size));
        assert_eq!(
            event.field("user").unwrap().value_range.slice(&text),
            "\"@a\""
        );
        let desc = event.field("desc").unwrap().value_range;
        assert_eq!(desc.len(), size + 2);
    }

    #[test]
    fn a_line_over_the_line_cap_is_reported_not_parsed() {
        let first = "{\"event\":\"created\"}";
        let long = format!("{{\"desc\":\"{}\"}}", "é".repeat(MAX_LINE_BYTES / 2 + 10));
        let text = format!("{first}\r\n{long}\r\n{{\"event\":\"after\"}}");
        let started = std::time::Instant::now();
        let ledger = parse_ledger(&text);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let LineKind::OverCap(over) = &ledger.lines[1].kind else {
            panic!("{:?}", ledger.lines[1].kind)
        };
        assert_eq!(ledger.lines[1].range.slice(&text), long);
        assert_eq!(over.range.start as usize, first.len() + 2);
        // 80 bytes would end inside an `é`: the range stops before it.
        assert_eq!(over.range.slice(&text), &long[..79]);
        assert_eq!(
            over.message,
            "line 2 is 1.1 MB long, over the 1 MB line cap; it was not analysed"
        );
        assert_eq!(event_at(&ledger, 2).event(), Some("after"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}\n{{\"event\":\"after\"}}\n", "[".repeat(100_000));
        let ledger = parse_ledger(&text);
        let (message, _) = invalid_at(&ledger, 0);
        assert!(message.contains("recursion limit"), "{message}");
        assert_eq!(event_at(&ledger, 1).event(), Some("after"));
        // Nesting serde_json accepts is walked by the scanner without recursion.
        let nested = format!(
            "{{\"payload\":{}{},\"event\":\"deep\"}}",
            "[".repeat(120),
            "]".repeat(120)
        );
        let ledger = parse_ledger(&nested);
        let event = event_at(&ledger, 0);
        assert_eq!(event.field("payload").unwrap().value_range.len(), 240);
        assert_eq!(
            event.field("event").unwrap().value_range.slice(&nested),
            "\"deep\""
        );
    }

    #[test]
    fn scanner_survives_unbalanced_input() {
        // The scanner is only meant for lines serde_json accepted; on anything else it must
        // still return without panicking.
        for line in [
            "{\"a\":",
            "{\"a\" 1}",
            "{\"a\":\"\\",
            "{\"a\":[\"",
            "{",
            "x",
            "{\"a\":1,",
        ] {
            let _ = scan_fields(line, 0);
        }
        assert_eq!(
            scan_fields("{\"a\":[1", 0)[0].value_range,
            TextRange::new(5, 7)
        );
    }

    #[test]
    fn timestamps_with_an_offset_parse_to_utc_seconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2025-10-18T12:10:00Z"), Some(1_760_789_400));
        // The same instant in other offsets.
        assert_eq!(
            parse_rfc3339("2025-10-18T14:10:00+02:00"),
            Some(1_760_789_400)
        );
        assert_eq!(
            parse_rfc3339("2025-10-18T17:40:00+05:30"),
            Some(1_760_789_400)
        );
        assert_eq!(
            parse_rfc3339("2025-10-18T08:10:00-04:00"),
            Some(1_760_789_400)
        );
        assert_eq!(
            parse_rfc3339("2025-10-18T12:10:00-00:00"),
            Some(1_760_789_400)
        );
        // Fractional seconds are accepted and dropped.
        assert_eq!(
            parse_rfc3339("2025-10-18T12:10:00.123Z"),
            Some(1_760_789_400)
        );
        assert_eq!(
            parse_rfc3339("2025-10-18T14:10:00.999999+02:00"),
            Some(1_760_789_400)
        );
        assert_eq!(parse_rfc3339("2025-10-18t12:10:00z"), Some(1_760_789_400));
        // Before the epoch.
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1));
        // A leap second is the next minute's first second.
        assert_eq!(
            parse_rfc3339("2016-12-31T23:59:60Z"),
            parse_rfc3339("2017-01-01T00:00:00Z")
        );
    }

    #[test]
    fn leap_days_follow_the_gregorian_rules() {
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z"),
            parse_rfc3339("2024-03-01T00:00:00Z").map(|t| t - 86_400)
        );
        assert_eq!(parse_rfc3339("2025-02-29T00:00:00Z"), None);
        assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_some());
        assert_eq!(parse_rfc3339("1900-02-29T00:00:00Z"), None);
    }

    #[test]
    fn malformed_timestamps_are_rejected() {
        for bad in [
            "2025-10-18T12:10:00",        // no offset
            "2025-10-18T12:10:00.5",      // no offset after a fraction
            "2025-10-18 12:10:00Z",       // space separator
            "2025-10-18T12:10Z",          // no seconds
            "2025-10-18T25:00:00Z",       // hour 25
            "2025-10-18T24:00:00Z",       // hour 24
            "2025-10-18T12:60:00Z",       // minute 60
            "2025-10-18T12:10:61Z",       // second 61
            "2025-02-30T12:10:00Z",       // Feb 30
            "2025-13-01T12:10:00Z",       // month 13
            "2025-10-18T12:10:00.Z",      // empty fraction
            "2025-10-18T12:10:00+0200",   // offset without colon
            "2025-10-18T12:10:00+24:00",  // offset hour out of range
            "2025-10-18T12:10:00+02:60",  // offset minute out of range
            "2025-10-18T12:10:00+02",     // short offset
            "2025-10-18T12:10:00Z ",      // trailing space
            " 2025-10-18T12:10:00Z",      // leading space
            "2025-10-18T12:10:00ZZ",      // trailing garbage
            "2025-1-18T12:10:00Z",        // one-digit month
            "+2025-10-18T12:10:00Z",      // signed year
            "2025-10-18T12:10:00\u{ff}Z", // non-ASCII
            "2025-10-18é12:10:00Z",       // non-ASCII separator
            "",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?} parsed");
        }
    }

    #[test]
    fn format_round_trips_with_parse() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_760_789_400), "2025-10-18T12:10:00Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        // Every day across several leap cycles, at an odd time of day.
        let start = parse_rfc3339("1896-01-01T00:00:00Z").unwrap();
        for day in 0..(365 * 210) {
            let t = start + day * 86_400 + 45_296;
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t), "day {day}");
        }
    }

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2025, 10, 18), 20_379);
        // Out-of-range input gives some number instead of overflowing.
        let _ = days_from_civil(i64::MAX, 12, 31);
        let _ = days_from_civil(i64::MIN, 0, 0);
        let _ = format_rfc3339(i64::MAX);
        let _ = format_rfc3339(i64::MIN);
    }

    #[test]
    fn dates_must_be_exact_and_real() {
        assert_eq!(parse_date("2025-10-18"), Some((2025, 10, 18)));
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2000-02-29"), Some((2000, 2, 29)));
        assert_eq!(parse_date("0001-01-01"), Some((1, 1, 1)));
        assert_eq!(parse_date("2025-12-31"), Some((2025, 12, 31)));
        for bad in [
            "2025-02-29",
            "1900-02-29",
            "2025-04-31",
            "2025-00-10",
            "2025-10-00",
            "2025-10-32",
            "2025-13-01",
            "2025-1-18",
            "25-10-18",
            "2025/10/18",
            "2025-10-18 ",
            "2025-10-18T00:00:00Z",
            "20251018",
            "２０２５-10-18",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?} parsed");
        }
        assert!(is_valid_date(2024, 2, 29));
        assert!(!is_valid_date(2023, 2, 29));
        assert!(!is_valid_date(2023, 0, 1));
    }
}
