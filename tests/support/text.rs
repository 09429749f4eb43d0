//! The client's own copy of a document, edited the way the protocol defines positions: lines
//! end at `\n`, `\r\n` or a lone `\r` (and at nothing else, not U+2028 nor form feeds), and
//! columns count UTF-16 code units. Tests keep their text with this and then compare it with
//! what the server holds, so it follows the LSP specification rather than the server's code.

/// A protocol position: zero-based line and UTF-16 column.
pub type Pos = (u32, u32);

/// Byte ranges of each line's content (without its line break).
pub fn lines(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\n' => {
                lines.push((start, at));
                start = at + 1;
            }
            b'\r' => {
                lines.push((start, at));
                if bytes.get(at + 1) == Some(&b'\n') {
                    at += 1;
                }
                start = at + 1;
            }
            _ => {}
        }
        at += 1;
    }
    lines.push((start, bytes.len()));
    lines
}

/// The byte offset of a position; a column past the line's end means the end of its content
/// (as the specification says), a line past the last means the end of the text.
pub fn offset(text: &str, (line, col): Pos) -> usize {
    let lines = lines(text);
    let Some(&(start, end)) = lines.get(line as usize) else {
        return text.len();
    };
    let mut units = 0;
    for (at, ch) in text[start..end].char_indices() {
        if units >= col as usize {
            return start + at;
        }
        units += ch.len_utf16();
    }
    end
}

/// The position of a byte offset (on a character boundary).
pub fn position(text: &str, offset: usize) -> Pos {
    let lines = lines(text);
    let line = lines
        .iter()
        .rposition(|&(start, _)| start <= offset)
        .unwrap_or(0);
    let (start, end) = lines[line];
    let col: usize = text[start..offset.min(end)]
        .chars()
        .map(char::len_utf16)
        .sum();
    (line as u32, col as u32)
}

/// The UTF-16 width of each line's content.
pub fn widths(text: &str) -> Vec<u32> {
    lines(text)
        .iter()
        .map(|&(start, end)| text[start..end].encode_utf16().count() as u32)
        .collect()
}

/// Replaces `start..end` with `insert`, as a `didChange` with that range asks.
pub fn apply(text: &mut String, start: Pos, end: Pos, insert: &str) {
    let from = offset(text, start);
    let to = offset(text, end).max(from);
    text.replace_range(from..to, insert);
}
