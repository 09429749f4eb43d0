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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    /// Lines end where LSP says they do: at `\n`, `\r\n` and a lone `\r` (so the client and
    /// the server count the same lines), and nowhere else.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 1);
        line_starts.push(0);
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(at, &byte)| {
                    byte == b'\n' || (byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'))
                })
                .map(|(at, _)| clamp_u32(at + 1)),
        );
        LineIndex { line_starts }
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
        let prefix = &text[start..offset];
        let col = match encoding {
            PositionEncoding::Utf8 => prefix.len(),
            PositionEncoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        LineCol {
            line: clamp_u32(line),
            col: clamp_u32(col),
        }
    }

    /// Byte offset of a line/column position; positions past a line's end clamp to it.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
        let Some(start) = self.line_start(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .line_start(pos.line as usize + 1)
            .unwrap_or(text.len())
            .min(text.len());
        let line = &text[start..end];
        let mut units = 0u32;
        for (at, ch) in line.char_indices() {
            // A column past the line's end is its end, before the line break (and never
            // between the `\r` and `\n` of one).
            if units >= pos.col || ch == '\n' || ch == '\r' {
                return start + at;
            }
            units += match encoding {
                PositionEncoding::Utf8 => ch.len_utf8() as u32,
                PositionEncoding::Utf16 => ch.len_utf16() as u32,
            };
        }
        end
    }
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
    let value = value.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&value, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|&(distance, _)| distance <= max_distance)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
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
    fn nearest_suggests_within_distance_only() {
        let stages = ["inbox", "backlog", "current"];
        assert_eq!(nearest("curent", stages, 2), Some("current"));
        assert_eq!(nearest("zzzzzz", stages, 2), None);
    }
}
