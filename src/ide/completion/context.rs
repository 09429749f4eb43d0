//! The lenient scanners that read what is being typed from the text around the cursor: lines
//! and words, YAML values and their quotes, the frontmatter's fences and keys, flow lists,
//! JSON strings on a ledger line and the cells of a table line. The buffer is usually not
//! valid YAML or JSON yet, so none of them needs it to be.

use crate::base::TextRange;

/// The line holding `offset`: its start and its end before `\r\n` / `\n`.
pub(super) fn line_bounds(text: &str, offset: usize) -> (usize, usize) {
    let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let mut end = text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at);
    if end > start && text.as_bytes()[end - 1] == b'\r' && end > offset {
        end -= 1;
    }
    (start, end)
}

pub(super) fn is_ref_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The run of `[A-Za-z0-9_-]` around `offset`, bounded by `lo..hi`.
pub(super) fn word_around(text: &str, offset: usize, lo: usize, hi: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut start = offset;
    while start > lo && is_ref_byte(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset;
    while end < hi && is_ref_byte(bytes[end]) {
        end += 1;
    }
    (start, end)
}

/// One value being typed: the range a completion replaces and the quote around it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    /// The value's text, inside its quotes when it has them.
    pub(super) range: TextRange,
    /// The quote the user opened the value with.
    pub(super) opened: Option<char>,
    /// Whether that quote is already closed after the value.
    pub(super) closed: bool,
}

impl Token {
    pub(super) fn start(self) -> usize {
        self.range.start as usize
    }

    /// The closing quote a completion must add (the user opened one and it is still open).
    pub(super) fn closing(self) -> String {
        match (self.opened, self.closed) {
            (Some(quote), false) => quote.to_string(),
            _ => String::new(),
        }
    }
}

/// The value written in `seg` (a YAML scalar or list item, comment already cut off), when the
/// cursor is on it or in the blank where one goes.
pub(super) fn token_in(text: &str, seg: (usize, usize), offset: usize) -> Option<Token> {
    let raw = &text[seg.0..seg.1];
    let start = seg.0 + (raw.len() - raw.trim_start().len());
    let end = seg.0 + raw.trim_end().len();
    if start >= end {
        return Some(Token {
            range: TextRange::empty(offset),
            opened: None,
            closed: false,
        });
    }
    if offset < start {
        return None;
    }
    let first = text.as_bytes()[start];
    if first == b'"' || first == b'\'' {
        let inner = start + 1;
        let closing = find_closing_quote(text, inner, end, first);
        let inner_end = closing.unwrap_or(end);
        if offset < inner || offset > inner_end {
            return None;
        }
        return Some(Token {
            range: TextRange::new(inner, inner_end),
            opened: Some(first as char),
            closed: closing.is_some(),
        });
    }
    (offset <= end).then_some(Token {
        range: TextRange::new(start, end),
        opened: None,
        closed: false,
    })
}

/// Where the quote opened just before `from` closes, within `from..to`.
fn find_closing_quote(text: &str, from: usize, to: usize, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < to {
        match bytes[at] {
            b'\\' if quote == b'"' => at += 2,
            b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') && at + 1 < to => at += 2,
            b if b == quote => return Some(at),
            _ => at += 1,
        }
    }
    None
}

/// The end of a YAML value on one line, before a ` #` comment outside quotes.
pub(super) fn before_comment(text: &str, from: usize, to: usize) -> usize {
    let bytes = text.as_bytes();
    let mut quote = None;
    let mut at = from;
    while at < to {
        let b = bytes[at];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    at += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'#'
                && (at == from || bytes[at - 1] == b' ' || bytes[at - 1] == b'\t') =>
            {
                return at;
            }
            None => {}
        }
        at += 1;
    }
    to
}

/// The text of a written item without its quotes.
pub(super) fn unquoted(item: &str) -> &str {
    let item = item.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = item.strip_prefix(quote) {
            return inner.strip_suffix(quote).unwrap_or(inner);
        }
    }
    item
}

pub(super) fn quote_of(item: &str) -> Option<char> {
    item.trim_start()
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')
}

/// A space to insert before a value typed right after its `:` or `-`.
pub(super) fn spacing_before(text: &str, at: usize) -> &'static str {
    match text[..at].bytes().last() {
        Some(b':' | b'-' | b',') => " ",
        _ => "",
    }
}

/// The frontmatter's content range and whether its closing fence exists.
pub(super) fn frontmatter_bounds(text: &str) -> Option<(usize, usize, bool)> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let first_end = text[start..]
        .find('\n')
        .map_or(text.len(), |at| start + at + 1);
    if text[start..first_end].trim_end() != "---" {
        return None;
    }
    let mut at = first_end;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        if matches!(text[at..end].trim_end(), "---" | "...") {
            return Some((first_end, at, true));
        }
        at = end;
    }
    Some((first_end, text.len(), false))
}

/// A top-level `key:` line: the key and the offset just after its colon.
pub(super) fn key_line(text: &str, line: (usize, usize)) -> Option<(&str, usize)> {
    let content = &text[line.0..line.1];
    let key_len = content
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if key_len == 0 {
        return None;
    }
    let rest = &content[key_len..];
    let colon = key_len + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
    if content.as_bytes().get(colon) != Some(&b':') {
        return None;
    }
    match content.as_bytes().get(colon + 1) {
        None | Some(b' ' | b'\t') => Some((&content[..key_len], line.0 + colon + 1)),
        _ => None,
    }
}

/// Every line of `start..end` as (start, end-before-newline).
pub(super) fn lines_of(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut at = start;
    while at < end {
        let next = text[at..end].find('\n').map_or(end, |i| at + i + 1);
        let content_end = text[at..next].trim_end_matches(['\n', '\r']).len() + at;
        lines.push((at, content_end));
        at = next;
    }
    lines
}

/// A flow list `[a, "b", …]` read leniently: its item segments and where it ends.
pub(super) struct Flow {
    /// Each item's raw text between `[`, `,` and `]`, blanks included.
    pub(super) segments: Vec<(usize, usize)>,
    /// The closing `]`, or where an unclosed list stops (before the next top-level line).
    pub(super) end: usize,
}

pub(super) fn scan_flow(text: &str, open: usize, limit: usize) -> Flow {
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut seg_start = open + 1;
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut at = open + 1;
    while at < limit {
        let b = bytes[at];
        if let Some(q) = quote {
            if b == b'\\' && q == b'"' {
                at += 1;
            } else if b == q {
                quote = None;
            }
            at += 1;
            continue;
        }
        match b {
            // A quote that does not close on its line is one being typed: the `]` after it
            // (often auto-inserted) still ends the list.
            b'"' | b'\'' => {
                let line_end = text[at..limit].find('\n').map_or(limit, |i| at + i);
                if find_closing_quote(text, at + 1, line_end, b).is_some() {
                    quote = Some(b);
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth > 0 => depth -= 1,
            b']' => {
                segments.push((seg_start, at));
                return Flow { segments, end: at };
            }
            b',' if depth == 0 => {
                segments.push((seg_start, at));
                seg_start = at + 1;
            }
            b'#' if bytes[at - 1] == b' ' || bytes[at - 1] == b'\t' => {
                // A comment runs to the line's end: a `,` or `]` in it is no delimiter, and
                // one before an item is no part of it.
                at = text[at..limit].find('\n').map_or(limit, |i| at + i);
                if text[seg_start..at].trim_start().starts_with('#') {
                    seg_start = at;
                }
                continue;
            }
            b'\n' => {
                let next = bytes.get(at + 1).copied();
                if !matches!(next, Some(b' ' | b'\t' | b']' | b'\r' | b'\n') | None) {
                    let end = if at > 0 && bytes[at - 1] == b'\r' {
                        at - 1
                    } else {
                        at
                    };
                    segments.push((seg_start, end));
                    return Flow { segments, end };
                }
            }
            _ => {}
        }
        at += 1;
    }
    segments.push((seg_start, limit));
    Flow {
        segments,
        end: limit,
    }
}

/// A JSON string under the cursor on one ledger line.
pub(super) struct JsonString {
    /// The string's content range (after its opening quote, up to its closing quote or the
    /// line's end).
    pub(super) content: TextRange,
    pub(super) closed: bool,
    pub(super) is_key: bool,
    /// The key this string is the value of, at the top level of the event.
    pub(super) key: Option<String>,
}

/// Reads a ledger line up to the cursor leniently (the line is usually incomplete JSON).
pub(super) fn json_string_at(
    text: &str,
    line: (usize, usize),
    offset: usize,
) -> Option<JsonString> {
    let bytes = &text.as_bytes()[line.0..line.1];
    // Per open container: whether it is an object, and its last key.
    let mut stack: Vec<(bool, Option<String>)> = Vec::new();
    let mut expect_key = false;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'{' => {
                stack.push((true, None));
                expect_key = true;
            }
            b'[' => {
                stack.push((false, None));
                expect_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = stack.last().is_some_and(|(object, _)| *object),
            b':' => expect_key = false,
            b'"' => {
                let start = at + 1;
                let mut end = start;
                let mut closed = false;
                while end < bytes.len() {
                    match bytes[end] {
                        b'\\' => end += 2,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        _ => end += 1,
                    }
                }
                let end = end.min(bytes.len());
                let is_key = expect_key && stack.last().is_some_and(|(object, _)| *object);
                if line.0 + start <= offset && offset <= line.0 + end {
                    let key = match stack.as_slice() {
                        [(true, key)] if !is_key => key.clone(),
                        _ => None,
                    };
                    return Some(JsonString {
                        content: TextRange::new(line.0 + start, line.0 + end),
                        closed,
                        is_key,
                        key,
                    });
                }
                if is_key && let Some(top) = stack.last_mut() {
                    top.1 = Some(String::from_utf8_lossy(&bytes[start..end]).into_owned());
                }
                expect_key = false;
                at = end + 1;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    None
}

/// The cells of a table line, as raw (untrimmed) ranges, with the same rules as the index
/// parser: optional outer pipes, `\|` is content.
pub(super) fn table_cells(text: &str, line: (usize, usize)) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let (mut from, mut to) = line;
    while from < to && matches!(bytes[from], b' ' | b'\t') {
        from += 1;
    }
    if from < to && bytes[from] == b'|' {
        from += 1;
    }
    let mut trimmed_to = to;
    while trimmed_to > from && matches!(bytes[trimmed_to - 1], b' ' | b'\t') {
        trimmed_to -= 1;
    }
    if trimmed_to > from && bytes[trimmed_to - 1] == b'|' && bytes[trimmed_to - 2] != b'\\' {
        to = trimmed_to - 1;
    }
    let mut cells = Vec::new();
    let mut start = from;
    for at in from..=to {
        if at == to || (bytes[at] == b'|' && !(at > 0 && bytes[at - 1] == b'\\')) {
            cells.push((start, at));
            start = at + 1;
        }
    }
    cells
}
