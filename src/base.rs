//! Byte ranges and line/column conversion: the coordinate system every other module speaks.
//!
//! Inside the analysis everything is a byte offset into a file's text. Conversion to the
//! protocol's line/character pairs (UTF-16 by default, UTF-8 when negotiated) happens only at
//! the edges (CLI output, LSP conversion), through [`LineIndex`].

use std::fmt;

/// A half-open byte range `start..end` into one file's text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        debug_assert!(start <= end, "range {start}..{end} is reversed");
        TextRange {
            start: clamp_u32(start),
            end: clamp_u32(end.max(start)),
        }
    }

    /// An empty range at `offset`.
    pub fn empty(offset: usize) -> TextRange {
        TextRange::new(offset, offset)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// This range moved right by `delta` bytes (used to lift ranges of an embedded document,
    /// such as the frontmatter, into the coordinates of the whole file).
    pub fn shifted(self, delta: usize) -> TextRange {
        TextRange::new(self.start as usize + delta, self.end as usize + delta)
    }

    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset < self.end as usize
    }

    pub fn as_usize(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The text this range covers, or "" when it lies outside `text`.
    pub fn slice(self, text: &str) -> &str {
        text.get(self.as_usize()).unwrap_or("")
    }
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

fn clamp_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// How the client counts characters within a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    #[default]
    Utf16,
    Utf8,
}

/// A zero-based line and a column in the chosen [`PositionEncoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of one text, for offset <-> line/column conversion.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`: the three line breaks the protocol names, so
/// that line numbers agree with the client's (and with the server's document ropes). Other
/// Unicode line separators are ordinary characters, as they are to editors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    /// For a text with characters outside ASCII: at every multiple of [`BLOCK`] bytes, how
    /// many more UTF-8 bytes than UTF-16 units the text before it has. A UTF-16 column is then
    /// found by scanning at most one block, not the whole line, which keeps a conversion cheap
    /// even on a line of a megabyte (thousands of ranges on such a line would otherwise cost
    /// a walk each). Empty for ASCII text, where both encodings count bytes.
    block_extra: Vec<u32>,
}

/// The stride of [`LineIndex::block_extra`]: 4 bytes of index per 128 bytes of text.
const BLOCK: usize = 128;

impl LineIndex {
    /// Lines end where LSP says they do: at `\n`, `\r\n` and a lone `\r` (so the client and
    /// the server count the same lines), and nowhere else.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 1);
        line_starts.push(0);
        if bytes.contains(&b'\r') {
            for (at, &byte) in bytes.iter().enumerate() {
                let ends_line =
                    byte == b'\n' || (byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'));
                if ends_line {
                    line_starts.push(clamp_u32(at + 1));
                }
            }
        } else {
            // Most files have no `\r` at all; asking only for `\n` halves the work of the
            // loop, which runs for every file a report or a request points into.
            for (at, &byte) in bytes.iter().enumerate() {
                if byte == b'\n' {
                    line_starts.push(clamp_u32(at + 1));
                }
            }
        }
        let block_extra = if text.is_ascii() {
            Vec::new()
        } else {
            let mut blocks = Vec::with_capacity(text.len() / BLOCK + 1);
            let mut extra = 0u32;
            for chunk in bytes.chunks(BLOCK) {
                blocks.push(extra);
                extra += chunk.iter().map(|&byte| utf16_saving(byte)).sum::<u32>();
            }
            blocks.push(extra);
            blocks
        };
        LineIndex {
            line_starts,
            block_extra,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where zero-based `line` starts (the text's end for lines past it).
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).map(|&start| start as usize)
    }

    /// Zero-based line containing byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&clamp_u32(offset)) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Line and column of `offset` in `text`, counting columns in `encoding` units. An offset
    /// inside a multi-byte character is moved back to that character's start.
    pub fn line_col(&self, text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let col = match encoding {
            PositionEncoding::Utf8 => offset - start,
            PositionEncoding::Utf16 => self.utf16_len(text, start, offset),
        };
        LineCol {
            line: clamp_u32(line),
            col: clamp_u32(col),
        }
    }

    /// Byte offset of a line/column position; positions past a line's end clamp to it (to
    /// the last character of its line break), and a column inside a character moves to the
    /// character's end.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
        let Some(start) = self.line_start(pos.line as usize) else {
            return text.len();
        };
        // The line's content ends before its line break, and a `\r\n` is one break: a column
        // past the end never lands between its `\r` and `\n`.
        let end = self
            .line_start(pos.line as usize + 1)
            .map_or(text.len(), |next| {
                if text[..next].ends_with("\r\n") {
                    next - 2
                } else {
                    next - 1
                }
            })
            .min(text.len());
        let col = pos.col as usize;
        // A column counts at most one unit per byte, so `start + col` is a lower bound in
        // either encoding. For UTF-16, step forward by the units still missing until the
        // column is reached; each step stays at or below the answer.
        let mut at = ceil_char_boundary(text, start.saturating_add(col).min(end));
        if encoding == PositionEncoding::Utf16 && !self.block_extra.is_empty() {
            loop {
                let units = self.utf16_len(text, start, at);
                if units >= col || at >= end {
                    break;
                }
                at = ceil_char_boundary(text, (at + (col - units)).min(end));
            }
        }
        at
    }

    /// UTF-16 units in `text[start..end]`, both char boundaries.
    fn utf16_len(&self, text: &str, start: usize, end: usize) -> usize {
        if self.block_extra.is_empty() {
            return end - start;
        }
        (end - start) - (self.extra_before(text, end) - self.extra_before(text, start))
    }

    /// How many more UTF-8 bytes than UTF-16 units `text[..offset]` has.
    fn extra_before(&self, text: &str, offset: usize) -> usize {
        let block = offset / BLOCK;
        let scanned: u32 = text.as_bytes()[block * BLOCK..offset]
            .iter()
            .map(|&byte| utf16_saving(byte))
            .sum();
        (self.block_extra[block] + scanned) as usize
    }
}

/// How many more UTF-8 bytes than UTF-16 units the character led by `byte` takes, counted
/// on its leading byte: 1 for two-byte characters, 2 for three- and four-byte ones (the
/// latter are a surrogate pair), 0 for ASCII and continuation bytes.
fn utf16_saving(byte: u8) -> u32 {
    match byte {
        0xC0..=0xDF => 1,
        0xE0..=0xFF => 2,
        _ => 0,
    }
}

/// The smallest char boundary of `text` at or above `offset`.
fn ceil_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// The largest char boundary of `text` at or below `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Levenshtein distance, used to suggest the nearest valid value or field name.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    let mut current = vec![0; b_chars.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b_chars.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b_chars.len()]
}

/// The candidate closest to `value` (case-insensitively), if any is within `max_distance`.
pub fn nearest<'a>(
    value: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
) -> Option<&'a str> {
    let value: Vec<char> = value.chars().map(|ch| ch.to_ascii_lowercase()).collect();
    let mut rows = (Vec::new(), Vec::new());
    candidates
        .into_iter()
        .filter_map(|candidate| {
            distance_within(&value, candidate, max_distance, &mut rows)
                .map(|distance| (distance, candidate))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// [`edit_distance`] between `value` (already lowercase) and `candidate` (lowercased here),
/// or None when it exceeds `max`. A noisy workspace asks [`nearest`] for every unknown ledger
/// event and field, tens of thousands of times over every known name, so only what can stay
/// within `max` is computed: names too different in length are out at once, each row is
/// computed only within `max` of its diagonal (cells further off are over `max` anyway, and
/// are held at `max + 1`), the comparison stops at a row with nothing within `max`, and the
/// rows are reused.
fn distance_within(
    value: &[char],
    candidate: &str,
    max: usize,
    (previous, current): &mut (Vec<usize>, Vec<usize>),
) -> Option<usize> {
    // The distance is at least the difference in length.
    if candidate.chars().count().abs_diff(value.len()) > max {
        return None;
    }
    let n = value.len();
    let over = max + 1;
    previous.clear();
    previous.extend((0..=n).map(|j| j.min(over)));
    current.clear();
    current.resize(n + 1, over);
    for (row, ch) in candidate.chars().enumerate() {
        let i = row + 1;
        let ch = ch.to_ascii_lowercase();
        // Row `i` is computed in columns `lo..=hi`; the cells just outside the band are
        // set too, since the next row reads one column further on each side.
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(n);
        current[lo - 1] = if lo == 1 { i.min(over) } else { over };
        let mut row_min = current[lo - 1];
        for j in lo..=hi {
            let substitution = previous[j - 1] + usize::from(value[j - 1] != ch);
            let cell = substitution
                .min(previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(over);
            current[j] = cell;
            row_min = row_min.min(cell);
        }
        if hi < n {
            current[hi + 1] = over;
        }
        // No row has a smaller minimum than the row before it.
        if row_min > max {
            return None;
        }
        std::mem::swap(previous, current);
    }
    let distance = previous[n];
    (distance <= max).then_some(distance)
}

/// A small deterministic random generator for tests that try many generated cases, so
/// that a failing case is the same on every run.
#[cfg(test)]
pub(crate) struct Dice(u64);

#[cfg(test)]
impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number below `sides`.
    pub(crate) fn roll(&mut self, sides: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % sides as u64) as usize
    }

    pub(crate) fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.roll(from.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs_and_accents() {
        let text = "ab\né🎉 TASK-0001\n";
        let index = LineIndex::new(text);
        let at = text.find("TASK").unwrap();
        let pos = index.line_col(text, at, PositionEncoding::Utf16);
        assert_eq!(pos, LineCol { line: 1, col: 4 });
        let utf8 = index.line_col(text, at, PositionEncoding::Utf8);
        assert_eq!(utf8, LineCol { line: 1, col: 7 });
        assert_eq!(index.offset(text, pos, PositionEncoding::Utf16), at);
    }

    /// A conversion done the plain way, counting from the line's start.
    fn plain_line_col(text: &str, offset: usize) -> LineCol {
        let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
        LineCol {
            line: text[..offset].matches('\n').count() as u32,
            col: text[line_start..offset]
                .chars()
                .map(char::len_utf16)
                .sum::<usize>() as u32,
        }
    }

    #[test]
    fn long_lines_convert_the_same_as_a_walk_along_them() {
        const SPAN: usize = 4096;
        let long = "aé🎉x".repeat(3 * SPAN / 8);
        let text = format!("short\n{long}\n{long}\nend");
        let index = LineIndex::new(&text);
        let boundaries = (0..=text.len()).filter(|&at| text.is_char_boundary(at));
        for offset in boundaries.step_by(7) {
            let expected = plain_line_col(&text, offset);
            assert_eq!(
                index.line_col(&text, offset, PositionEncoding::Utf16),
                expected
            );
            assert_eq!(
                index.offset(&text, expected, PositionEncoding::Utf16),
                offset
            );
            let utf8 = index.line_col(&text, offset, PositionEncoding::Utf8);
            assert_eq!(index.offset(&text, utf8, PositionEncoding::Utf8), offset);
        }
        // A column past the line's end clamps to the line break, however long the line.
        let second_end = 6 + long.len();
        let past = LineCol {
            line: 1,
            col: u32::MAX,
        };
        assert_eq!(
            index.offset(&text, past, PositionEncoding::Utf16),
            second_end
        );
        assert_eq!(
            index.offset(&text, past, PositionEncoding::Utf8),
            second_end
        );
        // Inside a character: its start when asked by offset; the next character when asked
        // by a UTF-8 column, as before.
        let emoji = 6 + 8 * (SPAN / 8 * 2) + 3;
        assert!(text[emoji..].starts_with('🎉'));
        let inside = index.line_col(&text, emoji + 1, PositionEncoding::Utf16);
        assert_eq!(inside, plain_line_col(&text, emoji));
        let mid_utf8 = LineCol {
            line: 1,
            col: (emoji - 6 + 1) as u32,
        };
        assert_eq!(
            index.offset(&text, mid_utf8, PositionEncoding::Utf8),
            emoji + 4
        );
    }

    #[test]
    fn converting_many_positions_on_a_megabyte_line_is_quick() {
        // 20,000 references at the end of a 1 MB line: counted from the line's start, each
        // conversion would read the line (20 GB in all).
        let text = format!("{}TASK-0001", "é".repeat(512 * 1024));
        let index = LineIndex::new(&text);
        let at = text.len() - 4;
        let started = std::time::Instant::now();
        for _ in 0..20_000 {
            let pos = index.line_col(&text, at, PositionEncoding::Utf16);
            assert_eq!(index.offset(&text, pos, PositionEncoding::Utf16), at);
        }
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn offset_past_line_end_clamps_to_the_newline() {
        let text = "abc\ndef";
        let index = LineIndex::new(text);
        assert_eq!(
            index.offset(text, LineCol { line: 0, col: 99 }, PositionEncoding::Utf16),
            3
        );
        assert_eq!(
            index.offset(text, LineCol { line: 5, col: 0 }, PositionEncoding::Utf16),
            7
        );
    }

    /// The line/column conversion done the slow, obvious way: split at the three line
    /// breaks, walk the characters.
    fn naive_line_col(text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
        let offset = floor_char_boundary(text, offset);
        let (mut line, mut col, mut previous) = (0, 0, '\0');
        for ch in text[..offset].chars() {
            if ch == '\n' || previous == '\r' {
                line += 1;
                col = 0;
            }
            if ch != '\n' {
                col += match encoding {
                    PositionEncoding::Utf8 => ch.len_utf8(),
                    PositionEncoding::Utf16 => ch.len_utf16(),
                };
            }
            previous = ch;
        }
        // A `\r` just before the offset ends its line unless a `\n` follows it.
        if previous == '\r' && !text[offset..].starts_with('\n') {
            line += 1;
            col = 0;
        }
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    const TRICKY: &[&str] = &[
        "",
        "a",
        "ab\ncd\n",
        "a\r\nb\rc\n\r\r\n",
        "\r",
        "é🎉 x\n\u{2028}y\u{85}z\x0c\n",
        "\u{feff}---\r\nk: \"ü\"\r\n",
    ];

    #[test]
    fn line_col_agrees_with_walking_the_text() {
        let long: String = "aé🎉\r\n".repeat(200) + &"日本".repeat(300);
        for text in TRICKY.iter().copied().chain([long.as_str()]) {
            let index = LineIndex::new(text);
            let rope = ropey::Rope::from_str(text);
            assert_eq!(rope.len_lines(), index.line_count(), "{text:?}");
            for offset in 0..=text.len() {
                for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
                    let expected = naive_line_col(text, offset, encoding);
                    let found = index.line_col(text, offset, encoding);
                    assert_eq!(found, expected, "{text:?} at {offset} in {encoding:?}");
                    // Between the `\r` and `\n` of one break is no place a client can name:
                    // its column is past the line's end, which is before the break.
                    let inside_break = offset > 0
                        && text.as_bytes()[offset - 1] == b'\r'
                        && text.as_bytes().get(offset) == Some(&b'\n');
                    if text.is_char_boundary(offset) && !inside_break {
                        assert_eq!(index.offset(text, found, encoding), offset, "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line_but_unicode_separators_do_not() {
        let text = "a\rb\r\nc\u{2028}d\u{85}e\x0cf\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let at = text.find('b').unwrap();
        let pos = index.line_col(text, at, PositionEncoding::Utf16);
        assert_eq!(pos, LineCol { line: 1, col: 0 });
        let at = text.find('f').unwrap();
        let pos = index.line_col(text, at, PositionEncoding::Utf16);
        assert_eq!(pos, LineCol { line: 2, col: 6 });
        // The server's documents are ropes; they must count the same lines.
        let rope = ropey::Rope::from_str(text);
        assert_eq!(rope.len_lines(), index.line_count());
        for line in 0..index.line_count() {
            let start = rope.char_to_byte(rope.line_to_char(line));
            assert_eq!(index.line_start(line), Some(start), "line {line}");
        }
    }

    #[test]
    fn columns_inside_a_character_or_past_the_line_end() {
        let text = "a🎉b\r\nc";
        let index = LineIndex::new(text);
        // Column 2 falls between the emoji's two UTF-16 units: it moves to the emoji's end.
        let pos = LineCol { line: 0, col: 2 };
        assert_eq!(index.offset(text, pos, PositionEncoding::Utf16), 5);
        let pos = LineCol { line: 0, col: 99 };
        assert_eq!(index.offset(text, pos, PositionEncoding::Utf16), 6);
        assert_eq!(index.offset(text, pos, PositionEncoding::Utf8), 6);
    }

    #[test]
    fn lines_end_at_the_protocol_line_breaks_only() {
        let text = "ab\r\ncd\ref\u{2028}g\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let f = text.find('f').unwrap();
        let utf16 = PositionEncoding::Utf16;
        assert_eq!(index.line_col(text, f, utf16), LineCol { line: 2, col: 1 });
        assert_eq!(index.offset(text, LineCol { line: 2, col: 1 }, utf16), f);
        // Past the end of a `\r\n` line and of a lone-`\r` line: before the line break.
        assert_eq!(index.offset(text, LineCol { line: 0, col: 99 }, utf16), 2);
        assert_eq!(index.offset(text, LineCol { line: 1, col: 99 }, utf16), 6);
    }

    #[test]
    fn bounded_distance_agrees_with_the_full_one() {
        let words = [
            "",
            "a",
            "ab",
            "started",
            "Started",
            "strated",
            "implemented",
            "implementd",
            "verifed",
            "verified",
            "blocked",
            "unblocked",
            "café",
            "cafe",
            "deployed_canary",
            "abc",
            "bca",
            "kitten",
            "sitting",
            "flaw",
            "lawn",
            "abcd",
            "dcba",
        ];
        let mut rows = (Vec::new(), Vec::new());
        for a in words {
            let lower: Vec<char> = a.chars().map(|ch| ch.to_ascii_lowercase()).collect();
            for b in words {
                let full = edit_distance(&a.to_ascii_lowercase(), &b.to_ascii_lowercase());
                for max in 0..5 {
                    let bounded = distance_within(&lower, b, max, &mut rows);
                    assert_eq!(bounded, (full <= max).then_some(full), "{a} {b} {max}");
                }
            }
        }
    }

    #[test]
    fn nearest_suggests_within_distance_only() {
        let stages = ["inbox", "backlog", "current"];
        assert_eq!(nearest("curent", stages, 2), Some("current"));
        assert_eq!(nearest("zzzzzz", stages, 2), None);
    }
}
