//! Open buffers: their text as a rope, their version, and incremental edits applied in the
//! negotiated position encoding.

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};

use crate::base::PositionEncoding;

#[derive(Clone, Debug)]
pub struct Document {
    pub rope: Rope,
    pub version: i32,
}

impl Document {
    pub fn new(text: &str, version: i32) -> Document {
        Document {
            rope: Rope::from_str(text),
            version,
        }
    }

    /// Applies the changes of one didChange, in order. A change without a range replaces the
    /// whole text; ranges past the end are clamped rather than rejected, since a client's
    /// slightly stale view should not poison the buffer.
    pub fn apply(
        &mut self,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
        encoding: PositionEncoding,
    ) {
        for change in changes {
            match change.range {
                None => self.rope = Rope::from_str(&change.text),
                Some(range) => {
                    let start = self.char_index(range.start, encoding);
                    let end = self.char_index(range.end, encoding).max(start);
                    self.rope.remove(start..end);
                    self.rope.insert(start, &change.text);
                }
            }
        }
        self.version = version;
    }

    /// The char index of a protocol position, clamped to the document.
    fn char_index(&self, position: Position, encoding: PositionEncoding) -> usize {
        let line = position.line as usize;
        if line >= self.rope.len_lines() {
            return self.rope.len_chars();
        }
        let line_start = self.rope.line_to_char(line);
        let line_text = self.rope.line(line);
        // The line's own content, without its line break.
        let content_chars = line_text
            .chars()
            .take_while(|&ch| ch != '\n' && ch != '\r')
            .count();
        let content = line_text.slice(..content_chars);
        let column = position.character as usize;
        let offset = match encoding {
            PositionEncoding::Utf16 => content.utf16_cu_to_char(column.min(content.len_utf16_cu())),
            PositionEncoding::Utf8 => content.byte_to_char(column.min(content.len_bytes())),
        };
        line_start + offset
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Range;

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(start.0, start.1),
                Position::new(end.0, end.1),
            )),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn utf16_positions_after_an_emoji() {
        let mut document = Document::new("a🎉b\nsecond\n", 1);
        // 🎉 is two UTF-16 units: column 3 is just before `b`.
        document.apply(&[change((0, 3), (0, 4), "B")], 2, PositionEncoding::Utf16);
        assert_eq!(document.text(), "a🎉B\nsecond\n");
        assert_eq!(document.version, 2);
    }

    #[test]
    fn utf8_positions_count_bytes() {
        let mut document = Document::new("é=1\n", 1);
        document.apply(&[change((0, 2), (0, 3), ":")], 2, PositionEncoding::Utf8);
        assert_eq!(document.text(), "é:1\n");
    }

    #[test]
    fn lines_end_only_at_the_protocol_line_breaks() {
        // LSP lines end at \n, \r\n and \r; U+2028, U+0085, form feed and vertical tab are
        // ordinary characters to the client, so they must be to the buffer too.
        let mut document = Document::new("a\u{2028}b\u{85}c\u{c}d\u{b}e\rf\r\ng\n", 1);
        document.apply(&[change((0, 8), (0, 9), "E")], 2, PositionEncoding::Utf16);
        document.apply(&[change((1, 0), (1, 1), "F")], 3, PositionEncoding::Utf16);
        document.apply(&[change((2, 0), (2, 1), "G")], 4, PositionEncoding::Utf16);
        assert_eq!(document.text(), "a\u{2028}b\u{85}c\u{c}d\u{b}E\rF\r\nG\n");
    }

    #[test]
    fn out_of_range_positions_clamp_and_full_replacement_works() {
        let mut document = Document::new("abc\r\ndef", 1);
        document.apply(&[change((0, 99), (0, 99), "!")], 2, PositionEncoding::Utf16);
        assert_eq!(document.text(), "abc!\r\ndef");
        document.apply(&[change((9, 0), (9, 0), "?")], 3, PositionEncoding::Utf16);
        assert_eq!(document.text(), "abc!\r\ndef?");
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "new".into(),
        };
        document.apply(&[full], 4, PositionEncoding::Utf16);
        assert_eq!(document.text(), "new");
    }
}
