//! Open buffers: their text as a rope, their version, and incremental edits applied in the
//! negotiated position encoding.
//!
//! The rope is the only copy of a buffer the server keeps. A buffer over the file cap (a
//! client may send 100 MB) is never copied out of it: the model gets its size and first
//! characters, and edits still apply, so one that brings it back under the cap is analysed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};

use crate::base::PositionEncoding;
use crate::syntax::limits::{self, SHOWN_BYTES, file_cap};
use crate::vfs::{BufferText, Buffers};

/// What the model is given for a buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelText {
    Whole(String),
    /// Over the file cap: the buffer's size in bytes and its first characters.
    Oversized {
        size: u64,
        head: String,
    },
}

impl ModelText {
    /// The text for the model and, when it is only the start of an oversized buffer, the
    /// buffer's size: the shape the model's updates take.
    pub fn into_parts(self) -> (String, Option<u64>) {
        match self {
            ModelText::Whole(text) => (text, None),
            ModelText::Oversized { size, head } => (head, Some(size)),
        }
    }
}

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
        changes: Vec<TextDocumentContentChangeEvent>,
        version: i32,
        encoding: PositionEncoding,
    ) {
        // Each change is dropped once applied, so a large replacement text does not outlive
        // the rope built from it.
        for change in changes {
            match change.range {
                None => {
                    // The old text goes first: with a large buffer, old and new together
                    // would double the peak.
                    self.rope = Rope::new();
                    self.rope = Rope::from_str(&change.text);
                }
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
        // The line's own content, without its line break (`\n`, `\r\n` or `\r`), found from
        // its end: counting from the start would walk a megabyte-long line on every edit.
        let mut content_chars = line_text.len_chars();
        for ending in ['\n', '\r'] {
            if content_chars > 0 && line_text.char(content_chars - 1) == ending {
                content_chars -= 1;
            }
        }
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

    /// The text for the model: whole, or for a buffer over the file cap only its size and
    /// first characters, without copying the rest out of the rope.
    /// The text the model gets of this buffer, the document at `path`: all of it, or only its
    /// start when it is over that kind of file's cap.
    pub fn model_text(&self, path: &Path) -> ModelText {
        let size = self.rope.len_bytes();
        if size <= file_cap(&path.to_string_lossy()) {
            return ModelText::Whole(self.text());
        }
        let mut head = String::new();
        for ch in self.rope.chars() {
            if head.len() + ch.len_utf8() > SHOWN_BYTES {
                break;
            }
            head.push(ch);
        }
        ModelText::Oversized {
            size: size as u64,
            head: limits::head(head.as_bytes()).to_string(),
        }
    }

    /// Whether the buffer holds exactly `bytes` (compared piece by piece, without copying
    /// the buffer out).
    pub fn is(&self, bytes: &[u8]) -> bool {
        if self.rope.len_bytes() != bytes.len() {
            return false;
        }
        let mut at = 0;
        self.rope.chunks().all(|chunk| {
            let same = bytes[at..at + chunk.len()] == *chunk.as_bytes();
            at += chunk.len();
            same
        })
    }
}

impl Buffers for HashMap<PathBuf, Document> {
    fn paths(&self) -> Vec<&Path> {
        self.keys().map(PathBuf::as_path).collect()
    }

    fn model_text(&self, path: &Path) -> Option<BufferText> {
        Some(self.get(path)?.model_text(path).into_parts())
    }

    fn whole_text(&self, path: &Path) -> Option<String> {
        Some(self.get(path)?.text())
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
        document.apply(
            vec![change((0, 3), (0, 4), "B")],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(document.text(), "a🎉B\nsecond\n");
        assert_eq!(document.version, 2);
    }

    #[test]
    fn utf8_positions_count_bytes() {
        let mut document = Document::new("é=1\n", 1);
        document.apply(vec![change((0, 2), (0, 3), ":")], 2, PositionEncoding::Utf8);
        assert_eq!(document.text(), "é:1\n");
    }

    #[test]
    fn lines_end_only_at_the_protocol_line_breaks() {
        // LSP lines end at \n, \r\n and \r; U+2028, U+0085, form feed and vertical tab are
        // ordinary characters to the client, so they must be to the buffer too.
        let mut document = Document::new("a\u{2028}b\u{85}c\u{c}d\u{b}e\rf\r\ng\n", 1);
        document.apply(
            vec![change((0, 8), (0, 9), "E")],
            2,
            PositionEncoding::Utf16,
        );
        document.apply(
            vec![change((1, 0), (1, 1), "F")],
            3,
            PositionEncoding::Utf16,
        );
        document.apply(
            vec![change((2, 0), (2, 1), "G")],
            4,
            PositionEncoding::Utf16,
        );
        assert_eq!(document.text(), "a\u{2028}b\u{85}c\u{c}d\u{b}E\rF\r\nG\n");
    }

    #[test]
    fn out_of_range_positions_clamp_and_full_replacement_works() {
        let mut document = Document::new("abc\r\ndef", 1);
        document.apply(
            vec![change((0, 99), (0, 99), "!")],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(document.text(), "abc!\r\ndef");
        document.apply(
            vec![change((9, 0), (9, 0), "?")],
            3,
            PositionEncoding::Utf16,
        );
        assert_eq!(document.text(), "abc!\r\ndef?");
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "new".into(),
        };
        document.apply(vec![full], 4, PositionEncoding::Utf16);
        assert_eq!(document.text(), "new");
    }

    #[test]
    fn a_buffer_over_the_file_cap_reaches_the_model_as_its_size_and_start() {
        let card = Path::new("/ws/.work/tasks/inbox/TASK-0001-a/0001-a.task.md");
        let big = format!("---\n{}", "é".repeat(limits::MAX_DOCUMENT_BYTES / 2 + 1));
        let mut document = Document::new(&big, 1);
        assert!(document.is(big.as_bytes()));
        assert!(!document.is(b"---\n"));
        assert_eq!(
            document.model_text(card),
            ModelText::Oversized {
                size: big.len() as u64,
                head: big[..3].to_string()
            }
        );
        // Selecting everything after the first line and deleting it brings it back.
        document.apply(
            vec![change((1, 0), (1, u32::MAX), "")],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(document.model_text(card), ModelText::Whole("---\n".into()));
        // The same size is within an index's cap.
        let index = Path::new("/ws/.work/tasks/INDEX.md");
        let document = Document::new(&big, 1);
        assert!(matches!(document.model_text(index), ModelText::Whole(_)));
    }
}
