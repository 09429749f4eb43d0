//! Text operations on the workspace's file formats: each takes a file's text, re-parses it,
//! changes exactly one thing and returns the new text, leaving every other byte as it was.
//!
//! Quick fixes and stage transitions are built from these; the caller turns the new text
//! into the smallest edit (`SourceChange::rewrite`) or writes it to disk. An operation that
//! cannot make its change without guessing (unparsable input, an entry it does not
//! understand) returns `None` rather than rewriting more than it should.

pub mod frontmatter;
pub mod index_rows;
pub mod ledger;

/// The line ending a file uses: CRLF when its first line ends with one, else LF. New lines
/// follow it so a CRLF file stays CRLF.
pub fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(at) if text[..at].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// The offset where the line holding `offset` starts.
pub(crate) fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |at| at + 1)
}

/// The offset where the line holding `offset` ends, before its `\n` / `\r\n`.
pub(crate) fn line_content_end(text: &str, offset: usize) -> usize {
    let end = text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at);
    if end > offset && text[..end].ends_with('\r') {
        end - 1
    } else {
        end
    }
}

/// The offset just after the line ending of the line holding `offset` (the text's end on a
/// last line without one).
pub(crate) fn line_end_inclusive(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at + 1)
}

/// `text` with `start..end` replaced by `insert`.
pub(crate) fn splice(text: &str, start: usize, end: usize, insert: &str) -> String {
    let mut out = String::with_capacity(text.len() + insert.len());
    out.push_str(&text[..start]);
    out.push_str(insert);
    out.push_str(&text[end..]);
    out
}

/// `text` without the whole line holding `offset`, its line ending included. A last line
/// without a line ending takes the previous line's ending with it instead, so the file does
/// not end up with a dangling empty line.
pub(crate) fn remove_line(text: &str, offset: usize) -> String {
    let start = line_start(text, offset);
    let end = line_end_inclusive(text, offset);
    if end == text.len() && !text.ends_with('\n') && start > 0 {
        let previous_end = start - 1;
        let previous_end = if text[..previous_end].ends_with('\r') {
            previous_end - 1
        } else {
            previous_end
        };
        return splice(text, previous_end, end, "");
    }
    splice(text, start, end, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_helpers_respect_crlf_and_missing_final_newline() {
        assert_eq!(line_ending("a\r\nb\n"), "\r\n");
        assert_eq!(line_ending("a\nb\r\n"), "\n");
        assert_eq!(line_ending("no newline"), "\n");
        let text = "one\r\ntwo\r\nthree";
        assert_eq!(line_start(text, 6), 5);
        assert_eq!(line_content_end(text, 6), 8);
        assert_eq!(line_end_inclusive(text, 6), 10);
        assert_eq!(remove_line(text, 6), "one\r\nthree");
        assert_eq!(remove_line(text, 12), "one\r\ntwo");
        assert_eq!(remove_line("only", 1), "");
    }
}
