//! A table cell's value as the rules read it: markdown inline links reduced to their text
//! (`[0042](current/TASK-0042-x/0042-x.task.md)` reads `0042`) and `\|` to `|`, with each
//! link's target and a map from the value back to the source, so ranges and fixes stay exact.
//!
//! Teams make INDEX.md clickable on their forge (SPEC §2), so the ID, Name and Dependencies
//! cells may hold links. Only inline links are read: images are content, and a link inside a
//! code span is code. The scan is linear in the cell's length whatever the input (bracket
//! pairs are matched once up front, and a destination or title that runs on is given up
//! after a bound), since a cell may be a megabyte of brackets.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::base::TextRange;

/// A markdown inline link `[text](target "title")` in a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellLink {
    /// The whole link in the source, brackets and parentheses included.
    pub range: TextRange,
    /// The link text between the brackets, in the source.
    pub text_range: TextRange,
    /// Where the link text lies in the cell's value (offsets into `Cell::text`).
    pub value_start: u32,
    pub value_end: u32,
    /// The destination in the source (inside `<…>` when it has them); an empty range right
    /// after `(` when the link has none.
    pub target_range: TextRange,
}

impl CellLink {
    /// The destination as a reader follows it, from `text`, the file the link is in: without
    /// its `<…>`, `\|` read as `|`, other escapes and percent-encoding as written. (Read from
    /// the file rather than kept: an index of 10,000 linked rows would hold it twice.)
    pub fn target<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let target = self.target_range.slice(text);
        if target.contains("\\|") {
            Cow::Owned(target.replace("\\|", "|"))
        } else {
            Cow::Borrowed(target)
        }
    }
}

/// What a cell holds besides plain text: its links, and how its value maps to the source.
/// Only cells with a link or an escaped pipe have one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Markup {
    pub links: Box<[CellLink]>,
    /// Consecutive stretches of the value, each with the source bytes it came from.
    pieces: Box<[Piece]>,
}

/// A stretch of the value read from a stretch of the source: copied as is (equal lengths),
/// or an escaped pipe (one value byte from two source bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    value: u32,
    value_len: u32,
    source: u32,
    source_len: u32,
}

impl Piece {
    fn is_copy(self) -> bool {
        self.value_len == self.source_len
    }
}

impl Markup {
    /// The source offset where a range of the value starting at `value_offset` starts.
    pub fn source_start(&self, value_offset: usize) -> usize {
        let at = self
            .pieces
            .partition_point(|piece| (piece.value + piece.value_len) as usize <= value_offset);
        match self.pieces.get(at) {
            Some(piece) if piece.is_copy() => {
                (piece.source as usize) + value_offset.saturating_sub(piece.value as usize)
            }
            Some(piece) => piece.source as usize,
            None => self
                .pieces
                .last()
                .map_or(0, |piece| (piece.source + piece.source_len) as usize),
        }
    }

    /// The source offset where a range of the value ending at `value_offset` ends.
    pub fn source_end(&self, value_offset: usize) -> usize {
        let at = self
            .pieces
            .partition_point(|piece| (piece.value as usize) < value_offset);
        match at.checked_sub(1).and_then(|at| self.pieces.get(at)) {
            Some(piece) if piece.is_copy() => {
                (piece.source as usize) + (value_offset - piece.value as usize)
            }
            Some(piece) => (piece.source + piece.source_len) as usize,
            None => self.pieces.first().map_or(0, |piece| piece.source as usize),
        }
    }
}

/// The longest destination plus title read after a link's `(`: a longer one is not taken
/// for a link, which keeps a cell of runaway brackets linear to scan.
const MAX_LINK_TAIL: usize = 2048;
/// CommonMark's bound on nested parentheses in a destination.
const MAX_PAREN_DEPTH: usize = 32;

/// Reads the trimmed cell `source`, which starts at byte `base` of the file: its value, and
/// its markup when it holds a link or an escaped pipe.
pub(crate) fn read_cell(source: &str, base: usize) -> (String, Option<Box<Markup>>) {
    if !source.contains(['[', '\\']) {
        return (source.to_string(), None);
    }
    let mut reader = Reader {
        source,
        base,
        value: String::with_capacity(source.len()),
        pieces: Vec::new(),
        links: Vec::new(),
        marked: false,
    };
    reader.read();
    let Reader {
        value,
        pieces,
        links,
        marked,
        ..
    } = reader;
    let markup = marked.then(|| {
        Box::new(Markup {
            links: links.into_boxed_slice(),
            pieces: pieces.into_boxed_slice(),
        })
    });
    (value, markup)
}

struct Reader<'s> {
    source: &'s str,
    base: usize,
    value: String,
    pieces: Vec<Piece>,
    links: Vec<CellLink>,
    /// Whether the value differs from the source (a link or an escaped pipe was read).
    marked: bool,
}

impl Reader<'_> {
    fn read(&mut self) {
        let bytes = self.source.as_bytes();
        let closers = matching_brackets(bytes);
        let code_spans = code_span_ends(bytes);
        // Links are not read inside a code span or an image's text; this is where the
        // current one ends.
        let mut no_links_until = 0;
        let mut at = 0;
        while at < bytes.len() {
            match bytes[at] {
                b'\\' if bytes.get(at + 1) == Some(&b'|') => {
                    self.pipe(at);
                    at += 2;
                }
                // An escaped character is text, and no bracket or backtick; but in `\\|` the
                // table layer reads the pipe as escaped first, as the row splitter did.
                b'\\'
                    if bytes.get(at + 1).is_some_and(u8::is_ascii_punctuation)
                        && !(bytes.get(at + 1) == Some(&b'\\')
                            && bytes.get(at + 2) == Some(&b'|')) =>
                {
                    self.copy(at, at + 2);
                    at += 2;
                }
                b'`' => {
                    let run = bytes[at..].iter().take_while(|&&b| b == b'`').count();
                    if let Some(&end) = code_spans.get(&at) {
                        no_links_until = no_links_until.max(end);
                    }
                    self.copy(at, at + run);
                    at += run;
                }
                // An image is content, not a link: its text is read as text.
                b'!' if at >= no_links_until && bytes.get(at + 1) == Some(&b'[') => {
                    if let Some(link) = inline_link(bytes, at + 1, &closers) {
                        no_links_until = link.end;
                    }
                    self.copy(at, at + 1);
                    at += 1;
                }
                b'[' if at >= no_links_until => match inline_link(bytes, at, &closers) {
                    Some(link) => {
                        self.link(at, &link);
                        at = link.end;
                    }
                    None => {
                        self.copy(at, at + 1);
                        at += 1;
                    }
                },
                _ => {
                    let len = char_len(bytes[at]);
                    let end = (at + len).min(bytes.len());
                    self.copy(at, end);
                    at = end;
                }
            }
        }
    }

    /// Appends `source[from..to]` to the value as is.
    fn copy(&mut self, from: usize, to: usize) {
        let Some(text) = self.source.get(from..to) else {
            return;
        };
        let value = self.value.len() as u32;
        let source = (self.base + from) as u32;
        let len = text.len() as u32;
        self.value.push_str(text);
        if let Some(last) = self.pieces.last_mut()
            && last.is_copy()
            && last.value + last.value_len == value
            && last.source + last.source_len == source
        {
            last.value_len += len;
            last.source_len += len;
            return;
        }
        self.pieces.push(Piece {
            value,
            value_len: len,
            source,
            source_len: len,
        });
    }

    /// Appends the `|` that the `\|` at `at` stands for.
    fn pipe(&mut self, at: usize) {
        self.marked = true;
        self.pieces.push(Piece {
            value: self.value.len() as u32,
            value_len: 1,
            source: (self.base + at) as u32,
            source_len: 2,
        });
        self.value.push('|');
    }

    fn link(&mut self, open: usize, link: &RawLink) {
        self.marked = true;
        let value_start = self.value.len() as u32;
        let bytes = self.source.as_bytes();
        let mut at = open + 1;
        while at < link.text_end {
            if bytes[at] == b'\\' && bytes.get(at + 1) == Some(&b'|') {
                self.pipe(at);
                at += 2;
            } else {
                let end = (at + char_len(bytes[at])).min(link.text_end);
                self.copy(at, end);
                at = end;
            }
        }
        let base = self.base;
        self.links.push(CellLink {
            range: TextRange::new(base + open, base + link.end),
            text_range: TextRange::new(base + open + 1, base + link.text_end),
            value_start,
            value_end: self.value.len() as u32,
            target_range: TextRange::new(base + link.target.0, base + link.target.1),
        });
    }
}

/// An inline link's parts, as byte offsets into the cell: the `]` closing its text, its
/// destination, and the end of the closing `)`.
struct RawLink {
    text_end: usize,
    target: (usize, usize),
    end: usize,
}

/// Each `[` of `bytes` with the `]` that closes it (bracket pairs nest; escaped brackets are
/// text), ordered by the `[`; a `[` never closed is left out. One pass, so scanning is linear
/// however the brackets are arranged.
fn matching_brackets(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 1,
            b'[' => open.push(at),
            b']' => {
                if let Some(start) = open.pop() {
                    pairs.push((start, at));
                }
            }
            _ => {}
        }
        at += 1;
    }
    pairs.sort_unstable();
    pairs
}

/// The inline link whose text opens at the `[` at `open`: `[text](destination "title")`.
fn inline_link(bytes: &[u8], open: usize, closers: &[(usize, usize)]) -> Option<RawLink> {
    let at = closers
        .binary_search_by_key(&open, |&(start, _)| start)
        .ok()?;
    let text_end = closers[at].1;
    if bytes.get(text_end + 1) != Some(&b'(') {
        return None;
    }
    let limit = bytes.len().min(text_end + 2 + MAX_LINK_TAIL);
    let mut at = skip_blanks(bytes, text_end + 2, limit);
    let target = if bytes.get(at) == Some(&b'<') {
        let start = at + 1;
        let mut end = start;
        loop {
            match *bytes.get(end).filter(|_| end < limit)? {
                b'>' => break,
                b'<' | b'\n' | b'\r' => return None,
                b'\\' => end += 2,
                _ => end += 1,
            }
        }
        at = end + 1;
        (start, end)
    } else {
        let start = at;
        let mut depth = 0usize;
        while at < limit {
            match bytes[at] {
                b'\\' => at += 1,
                b'(' => {
                    depth += 1;
                    if depth > MAX_PAREN_DEPTH {
                        return None;
                    }
                }
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                byte if byte <= b' ' || byte == 0x7f => break,
                _ => {}
            }
            at += 1;
        }
        if depth != 0 {
            return None;
        }
        at = at.min(limit);
        (start, at)
    };
    let after_target = skip_blanks(bytes, at, limit);
    let mut at = after_target;
    if after_target > target.1
        && let Some(&quote) = bytes.get(at)
        && matches!(quote, b'"' | b'\'' | b'(')
    {
        let close = if quote == b'(' { b')' } else { quote };
        at += 1;
        loop {
            let byte = *bytes.get(at).filter(|_| at < limit)?;
            if byte == b'\\' {
                at += 2;
            } else if byte == close {
                at += 1;
                break;
            } else if quote == b'(' && byte == b'(' {
                return None;
            } else {
                at += 1;
            }
        }
        at = skip_blanks(bytes, at, limit);
    }
    (bytes.get(at) == Some(&b')') && at < limit).then_some(RawLink {
        text_end,
        target,
        end: at + 1,
    })
}

fn skip_blanks(bytes: &[u8], mut at: usize, limit: usize) -> usize {
    while at < limit && matches!(bytes[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// Where each code span ends, by the offset of the backtick run opening it: after the next
/// run of exactly as many backticks (a run with none after it is text). One pass over the
/// runs, so a cell of many unmatched runs stays linear.
fn code_span_ends(bytes: &[u8]) -> HashMap<usize, usize> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'`' => {
                let len = bytes[at..].iter().take_while(|&&b| b == b'`').count();
                runs.push((at, len));
                at += len;
            }
            _ => at += 1,
        }
    }
    let mut ends = HashMap::new();
    // The run that opened a span still waiting for its closer, by length.
    let mut waiting: HashMap<usize, usize> = HashMap::new();
    for (start, len) in runs {
        match waiting.remove(&len) {
            Some(open) => {
                ends.insert(open, start + len);
            }
            None => {
                waiting.insert(len, start);
            }
        }
    }
    ends
}

/// The length of the UTF-8 sequence a leading byte starts (1 for a continuation byte, which
/// only a caller stepping wrongly would hand in).
fn char_len(byte: u8) -> usize {
    match byte {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value, and each link as `text -> target` with the source slices of its ranges.
    fn read(source: &str) -> (String, Vec<String>) {
        let (value, markup) = read_cell(source, 0);
        let links = markup
            .map(|markup| markup.links.to_vec())
            .unwrap_or_default()
            .iter()
            .map(|link| {
                assert_eq!(
                    &value[link.value_start as usize..link.value_end as usize],
                    link.text_range.slice(source).replace("\\|", "|"),
                );
                format!(
                    "{} -> {} ({})",
                    link.text_range.slice(source),
                    link.target(source),
                    link.target_range.slice(source)
                )
            })
            .collect();
        (value, links)
    }

    #[test]
    fn a_link_reads_as_its_text() {
        assert_eq!(
            read("[0042](current/TASK-0042-x/0042-x.task.md)"),
            (
                "0042".to_string(),
                vec![
                    "0042 -> current/TASK-0042-x/0042-x.task.md (current/TASK-0042-x/0042-x.task.md)"
                        .to_string()
                ]
            )
        );
        assert_eq!(
            read("[Payment retries](<a b/c.md> \"the card\")"),
            (
                "Payment retries".to_string(),
                vec!["Payment retries -> a b/c.md (a b/c.md)".to_string()]
            )
        );
        assert_eq!(
            read("[TASK-0010](../next/x.md), [TASK-0011](y.md#top)").0,
            "TASK-0010, TASK-0011"
        );
        // Nested brackets in the text, balanced parentheses in the destination.
        assert_eq!(
            read("[Fix [urgent] bug](a_(b).md)"),
            (
                "Fix [urgent] bug".to_string(),
                vec!["Fix [urgent] bug -> a_(b).md (a_(b).md)".to_string()]
            )
        );
        // An empty destination is still a link, pointing nowhere.
        assert_eq!(read("[0042]()").1, vec!["0042 ->  ()".to_string()]);
    }

    #[test]
    fn what_is_not_a_link_stays_as_written() {
        for source in [
            "[0042]",
            "[0042] (x.md)",
            "[0042](x.md",
            "[0042(x.md)",
            "![0042](x.png)",
            "`[0042](x.md)`",
            "\\[0042](x.md)",
            "[0042](a b)",
            "[[[",
            "]]](",
            "[a](<b)",
            "[a](b \"c)",
        ] {
            assert_eq!(read(source), (source.to_string(), Vec::new()), "{source}");
        }
    }

    #[test]
    fn escaped_pipes_map_back_to_their_source() {
        let source = "[A \\| B](x\\|y.md) and \\| more";
        let (value, markup) = read_cell(source, 10);
        assert_eq!(value, "A | B and | more");
        let markup = markup.unwrap();
        assert_eq!(
            markup.links[0].target(&format!("{}{source}", " ".repeat(10))),
            "x|y.md"
        );
        // `A | B` is `A \| B` in the source, which starts 10 bytes in.
        assert_eq!(markup.source_start(0), 11);
        assert_eq!(markup.source_end(5), 11 + "A \\| B".len());
        // The pipe after `and ` starts at its backslash and ends after it.
        let pipe = value.rfind('|').unwrap();
        let in_source = 10 + source.rfind("\\|").unwrap();
        assert_eq!(markup.source_start(pipe), in_source);
        assert_eq!(markup.source_end(pipe + 1), in_source + 2);
        assert_eq!(markup.source_end(value.len()), 10 + source.len());
        // The table layer unescapes the pipe before anything else reads the cell.
        assert_eq!(read("a\\\\|b").0, "a\\|b");
    }

    #[test]
    fn runaway_brackets_stay_linear() {
        for unit in ["[", "[a](", "[a](x \"", "[a](<", "]", "[a]((", "`"] {
            let source = unit.repeat(200_000);
            let started = std::time::Instant::now();
            let (value, _) = read_cell(&source, 0);
            assert_eq!(value.len(), source.len());
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{unit:?} took {:?}",
                started.elapsed()
            );
        }
    }
}
