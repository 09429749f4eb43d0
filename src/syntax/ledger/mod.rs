//! Ledger files (`<id>.ledger.jsonl`): splitting into lines, and JSON parsing of each event
//! with the byte ranges of its top-level keys and values (found by `scan`). The timestamp
//! arithmetic is `syntax::time`'s.
//!
//! serde_json decides whether a line is valid JSON (so the server agrees with every other
//! tool about what a valid event is); it gives no spans, so a small scanner then walks the
//! accepted line once to find where each top-level field sits. Every range is a byte range
//! into the whole file.

use std::sync::Arc;

use crate::base::{TextRange, floor_char_boundary};
use crate::syntax::limits::{MAX_LINE_BYTES, OverCap, long_lines};

mod scan;
mod validate;

use self::scan::{is_json_whitespace, scan_fields};
use self::validate::{Shape, validate};

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

/// A line that is a JSON object: where each top-level field sits, read from the ledger's text
/// on demand.
///
/// At ten thousand ledgers, 150,000 events are held for the session. Each field is two ranges
/// and a kind (24 bytes); keys and string values are slices of the file's text, which the
/// event shares rather than copies, and only those written with escapes are decoded and kept.
/// Holding each key and value as a string of its own weighed three times as much (36 MB of
/// a noisy 10,000-task workspace, against SPEC §7's memory budget).
#[derive(Clone)]
pub struct Event {
    text: Arc<str>,
    /// Top-level keys in the order written, duplicates included (so a check can report them).
    /// serde_json's map is not kept: at ten thousand ledgers it weighs ten times their text.
    fields: Box<[StoredField]>,
    /// The keys and string values written with escapes, decoded (see [`StoredField`]).
    decoded: Box<[Box<str>]>,
}

/// One field of an [`Event`] as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoredField {
    key_range: TextRange,
    value_range: TextRange,
    kind: ValueKind,
    /// Index into [`Event::decoded`] when the key has escapes, else [`NOT_DECODED`].
    key_decoded: u16,
    /// The same for a string value.
    value_decoded: u16,
}

const NOT_DECODED: u16 = u16::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueKind {
    Str,
    Number,
    True,
    False,
    Null,
    Array,
    Object,
}

impl ValueKind {
    /// The kind of the JSON value whose text starts with `first`.
    fn of(first: Option<u8>) -> ValueKind {
        match first {
            Some(b'"') => ValueKind::Str,
            Some(b't') => ValueKind::True,
            Some(b'f') => ValueKind::False,
            Some(b'n') => ValueKind::Null,
            Some(b'[') => ValueKind::Array,
            Some(b'{') => ValueKind::Object,
            _ => ValueKind::Number,
        }
    }
}

/// A top-level value, as far as the rules need it: strings whole, the rest by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValue<'a> {
    Str(&'a str),
    /// The number as JSON wrote it.
    Number(&'a str),
    Bool(bool),
    Null,
    Array,
    Object,
}

impl<'a> FieldValue<'a> {
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            FieldValue::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, FieldValue::Str(_))
    }
}

/// Where one top-level field of an event sits, and what it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventField<'a> {
    /// The key with its escapes decoded (`"t\u0073"` is `ts`).
    pub key: &'a str,
    /// The key's text including its quotes.
    pub key_range: TextRange,
    /// The value's exact JSON text: including quotes for a string, brackets for an array or
    /// object.
    pub value_range: TextRange,
    /// The value this occurrence of the key writes.
    pub value: FieldValue<'a>,
}

impl EventField<'_> {
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
    /// The fields in the order written, duplicates included.
    pub fn fields(&self) -> impl DoubleEndedIterator<Item = EventField<'_>> + '_ {
        self.fields.iter().map(|stored| self.view(stored))
    }

    /// The value of `key` when it is a string.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.field(key)?.value.as_str()
    }

    /// Where `key` is written; the last occurrence when the key is duplicated (the one
    /// serde_json, and most JSON readers, keep).
    pub fn field(&self, key: &str) -> Option<EventField<'_>> {
        self.fields().rev().find(|field| field.key == key)
    }

    fn view(&self, stored: &StoredField) -> EventField<'_> {
        let unquoted = |range: TextRange, decoded: u16| match self.decoded.get(decoded as usize) {
            Some(decoded) => &**decoded,
            None => {
                let quoted = range.slice(&self.text);
                quoted
                    .strip_prefix('"')
                    .and_then(|rest| rest.strip_suffix('"'))
                    .unwrap_or(quoted)
            }
        };
        let value = match stored.kind {
            ValueKind::Str => FieldValue::Str(unquoted(stored.value_range, stored.value_decoded)),
            ValueKind::Number => FieldValue::Number(stored.value_range.slice(&self.text)),
            ValueKind::True => FieldValue::Bool(true),
            ValueKind::False => FieldValue::Bool(false),
            ValueKind::Null => FieldValue::Null,
            ValueKind::Array => FieldValue::Array,
            ValueKind::Object => FieldValue::Object,
        };
        EventField {
            key: unquoted(stored.key_range, stored.key_decoded),
            key_range: stored.key_range,
            value_range: stored.value_range,
            value,
        }
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

/// Events are equal when their fields are: the same keys and values at the same places.
impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.fields().eq(other.fields())
    }
}

impl Eq for Event {}

impl std::fmt::Debug for Event {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Event")
            .field("fields", &self.fields().collect::<Vec<_>>())
            .finish()
    }
}

/// Parses a whole ledger file, sharing `text` with the events.
pub fn parse_shared_ledger(text: &Arc<str>) -> Ledger {
    parse_lines(text, |line, base| parse_line(text, line, base))
}

/// Parses a whole ledger file. Never fails: a line that is not an event becomes
/// [`LineKind::Invalid`] and the following lines are read as usual.
pub fn parse_ledger(text: &str) -> Ledger {
    parse_shared_ledger(&Arc::from(text))
}

fn parse_lines(text: &str, mut parse_line: impl FnMut(&str, usize) -> LineKind) -> Ledger {
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

/// Classifies one line (`line` is its text, `base` its offset in `text`, the whole file).
fn parse_line(text: &Arc<str>, line: &str, base: usize) -> LineKind {
    if line.bytes().all(is_json_whitespace) {
        return LineKind::Blank;
    }
    let whole = TextRange::new(base, base + line.len());
    // serde_json bounds its recursion (128 levels), so a hostile `[[[[...` line is an error
    // here rather than a stack overflow.
    match validate(line) {
        Ok(Shape::Object) => LineKind::Event(scan_fields(text, line, base)),
        Ok(other) => LineKind::Invalid {
            message: format!(
                "a ledger event must be a JSON object, not {}",
                other.describe()
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let keys: Vec<_> = event.fields().map(|f| f.key).collect();
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
}
