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
/// A UTF-16 column is counted from the line's start, which on a very long line (a pasted
/// blob just under the line cap) would make every conversion cost the line's length, and a
/// request converting thousands of positions on it quadratic. Long lines therefore carry
/// checkpoints: every [`CHECKPOINT_BYTES`] or so, a byte offset with its UTF-16 column, so
/// counting starts from the nearest one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    /// In file order: positions inside lines longer than [`CHECKPOINT_BYTES`], each on a
    /// character boundary.
    checkpoints: Vec<Checkpoint>,
}

/// A position on a long line and its UTF-16 column, counted from the line's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Checkpoint {
    offset: u32,
    utf16_col: u32,
}

/// How far apart the checkpoints of a long line are, so how much text one conversion reads
/// at most.
const CHECKPOINT_BYTES: usize = 4096;

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 1);
        line_starts.push(0);
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, byte)| byte == b'\n')
                .map(|(at, _)| clamp_u32(at + 1)),
        );
        let mut checkpoints = Vec::new();
        for (line, &start) in line_starts.iter().enumerate() {
            let start = start as usize;
            let end = line_starts
                .get(line + 1)
                .map_or(text.len(), |&next| next as usize);
            if end - start > CHECKPOINT_BYTES {
                add_checkpoints(text, start, end, &mut checkpoints);
            }
        }
        LineIndex {
            line_starts,
            checkpoints,
        }
    }

    /// The checkpoints on the line `start..end`.
    fn checkpoints_in(&self, start: usize, end: usize) -> &[Checkpoint] {
        let first = self
            .checkpoints
            .partition_point(|point| (point.offset as usize) <= start);
        let count =
            self.checkpoints[first..].partition_point(|point| (point.offset as usize) < end);
        &self.checkpoints[first..first + count]
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
            PositionEncoding::Utf16 => {
                // Count from the line's last checkpoint at or before `offset`.
                let points = self.checkpoints_in(start, offset + 1);
                let (from, units) = points.last().map_or((start, 0), |point| {
                    (point.offset as usize, point.utf16_col as usize)
                });
                units
                    + text[from..offset]
                        .chars()
                        .map(char::len_utf16)
                        .sum::<usize>()
            }
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
        // Count from the line's last checkpoint at or before the column (its start when
        // there is none); for UTF-8, whose column is a byte count, from the character
        // holding it (or the line break, for a column past it).
        let (from, mut units) = match encoding {
            PositionEncoding::Utf16 => {
                let points = self.checkpoints_in(start, end);
                let before = points.partition_point(|point| point.utf16_col <= pos.col);
                before.checked_sub(1).map_or((start, 0), |at| {
                    (points[at].offset as usize, points[at].utf16_col)
                })
            }
            PositionEncoding::Utf8 => {
                let content_end = if text[start..end].ends_with('\n') {
                    end - 1
                } else {
                    end
                };
                let at = floor_char_boundary(text, (start + pos.col as usize).min(content_end));
                (at, clamp_u32(at - start))
            }
        };
        for (at, ch) in text[from..end].char_indices() {
            if units >= pos.col || ch == '\n' {
                return from + at;
            }
            units += match encoding {
                PositionEncoding::Utf8 => ch.len_utf8() as u32,
                PositionEncoding::Utf16 => ch.len_utf16() as u32,
            };
        }
        end
    }
}

/// Checkpoints every [`CHECKPOINT_BYTES`] or so along the line `text[start..end]`.
fn add_checkpoints(text: &str, start: usize, end: usize, out: &mut Vec<Checkpoint>) {
    let mut units = 0usize;
    let mut next = start + CHECKPOINT_BYTES;
    for (at, ch) in text[start..end].char_indices() {
        let at = start + at;
        if at >= next {
            out.push(Checkpoint {
                offset: clamp_u32(at),
                utf16_col: clamp_u32(units),
            });
            next = at + CHECKPOINT_BYTES;
        }
        units += ch.len_utf16();
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
    fn long_lines_convert_the_same_through_their_checkpoints() {
        let long = "aé🎉\r".repeat(3 * CHECKPOINT_BYTES / 8);
        let text = format!("short\n{long}\n{long}\nend");
        let index = LineIndex::new(&text);
        assert!(index.checkpoints.len() > 4, "{}", index.checkpoints.len());
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
        let emoji = 6 + 8 * (CHECKPOINT_BYTES / 8 * 2) + 3;
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

    #[test]
    fn nearest_suggests_within_distance_only() {
        let stages = ["inbox", "backlog", "current"];
        assert_eq!(nearest("curent", stages, 2), Some("current"));
        assert_eq!(nearest("zzzzzz", stages, 2), None);
    }
}
