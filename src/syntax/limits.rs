//! The safety caps on what the analysis reads, all in one place (SPEC §8: no input makes the
//! tool hang or eat memory), and the plain record a parser keeps when a part of its input is
//! over one.
//!
//! Every cap is far beyond any real task file: a card is a few KB, a ledger line a few hundred
//! bytes, a frontmatter a few dozen short fields. What goes over a cap is not (fully) analysed
//! and is reported by the `resource-limit` rule, whose message names the cap and its value.
//! Sizes are counted in bytes, with KB = 1,024 bytes and MB = 1,024 KB.

use crate::base::{TextRange, floor_char_boundary};

/// A file larger than its cap is not read at all: the loader takes only its size, and an
/// editor buffer that large is held (so edits still apply) but not analysed. This is the
/// largest cap, an INDEX.md's: a root index lists every task (about 80 bytes a row, so 16 MB
/// is some 200,000 tasks). See [`file_cap`] for the others.
pub const MAX_FILE_BYTES: usize = 16 * MB;

/// A ledger's cap: an append-only log of a task's events, a few hundred bytes each; 8 MB is
/// tens of thousands of events.
pub const MAX_LEDGER_BYTES: usize = 8 * MB;

/// The cap of every other file (cards, contexts, learning notes, policies, the counter):
/// written by people, they are kilobytes; 2 MB is a book.
pub const MAX_DOCUMENT_BYTES: usize = 2 * MB;

/// The cap of the file called `name` (a file name or a path ending in one), by what kind of
/// file it is. Task files are small, and every byte of one costs analysis, links and
/// references while it is edited, so each kind's cap sits far above its real sizes and no
/// further.
pub fn file_cap(name: &str) -> usize {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if name == "INDEX.md" {
        MAX_FILE_BYTES
    } else if name.ends_with(".ledger.jsonl") {
        MAX_LEDGER_BYTES
    } else {
        MAX_DOCUMENT_BYTES
    }
}

/// A card's frontmatter block larger than this is not parsed as YAML.
pub const MAX_FRONTMATTER_BYTES: usize = 256 * KB;

/// A line longer than this (a card body line, a ledger line, an INDEX.md or wip.policy.md
/// line) is skipped: no JSON, table cell or task reference is read from it. Beyond protecting
/// the parsers, it bounds the cost of turning an offset on a line into a UTF-16 column.
pub const MAX_LINE_BYTES: usize = MB;

/// YAML (frontmatter and NAMESPACES.yaml): how deep lists and mappings may nest.
pub const MAX_YAML_DEPTH: usize = 16;

/// YAML: how many values (scalars, lists and mappings) one document may hold.
pub const MAX_YAML_NODES: usize = 10_000;

/// YAML: how many aliases (`*name`) one document may use...
pub const MAX_YAML_ALIASES: usize = 32;

/// ...how many values those aliases may expand into altogether (an alias bomb is a few lines
/// that expand exponentially)...
pub const MAX_YAML_ALIAS_VALUES: usize = 1_000;

/// ...and how deep an alias may expand into another one.
pub const MAX_YAML_ALIAS_NESTING: usize = 8;

/// YAML: the total size of the document's values, aliases expanded.
pub const MAX_YAML_TEXT_BYTES: usize = MB;

/// Prose (a card's body, a context, a learning note) is read for at most this many task
/// references: a page of notes names a few dozen; the rest of a file that names more is not
/// linked or indexed.
pub const MAX_PROSE_REFS: usize = 10_000;

/// A diagnostic about a cap underlines at most this much of the text: enough to be seen,
/// and cheap to convert to a column whatever the line's length.
pub const SHOWN_BYTES: usize = 80;

const KB: usize = 1024;
const MB: usize = 1024 * KB;

/// Which cap was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cap {
    File,
    References,
    Frontmatter,
    Line,
    YamlDepth,
    YamlNodes,
    YamlAliases,
    YamlText,
}

/// A part of a file that is over a cap and was left out of the analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverCap {
    pub cap: Cap,
    /// Where to report it: the start of the part, at most [`SHOWN_BYTES`] long.
    pub range: TextRange,
    /// What is over which cap, in words ("line 3 is 2.1 MB long, over the 1 MB line cap").
    pub message: String,
}

/// A byte count for a message: `900 bytes`, `1.3 KB`, `20 MB`. Rounded up, so that a size
/// just over a cap never reads as the cap itself.
pub fn format_bytes(bytes: u64) -> String {
    if bytes < KB as u64 {
        return format!("{bytes} bytes");
    }
    let (unit, name) = if bytes < MB as u64 {
        (KB as u64, "KB")
    } else {
        (MB as u64, "MB")
    };
    let tenths = (bytes * 10).div_ceil(unit);
    if tenths % 10 == 0 {
        format!("{} {name}", tenths / 10)
    } else {
        format!("{}.{} {name}", tenths / 10, tenths % 10)
    }
}

/// A count for a message, with thousands separators: `10,000`.
pub fn format_count(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The range to report for something over a cap that starts at `start` in `text`: up to
/// [`SHOWN_BYTES`] of it, not past its line, ending on a character boundary.
pub fn shown_range(text: &str, start: usize) -> TextRange {
    let start = floor_char_boundary(text, start);
    let limit = floor_char_boundary(text, start.saturating_add(SHOWN_BYTES));
    let end = text[start..limit]
        .find(['\r', '\n'])
        .map_or(limit, |at| start + at);
    TextRange::new(start, end)
}

/// The start of a file's first line, at most [`SHOWN_BYTES`] and valid UTF-8: all that is
/// kept of a file over the file cap, so its diagnostic has text to underline.
pub fn head(bytes: &[u8]) -> &str {
    let bytes = &bytes[..bytes.len().min(SHOWN_BYTES)];
    let line = bytes
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes, |end| &bytes[..end]);
    match std::str::from_utf8(line) {
        Ok(text) => text,
        // Cut before the first byte that does not decode (or a character cut in half).
        Err(error) => std::str::from_utf8(&line[..error.valid_up_to()]).unwrap_or(""),
    }
}

/// The prose read for references, whose first reference past [`MAX_PROSE_REFS`] is at
/// `range`: the report that the rest of the file is not linked or indexed.
pub fn refs_over_cap(range: TextRange) -> OverCap {
    OverCap {
        cap: Cap::References,
        range,
        message: format!(
            "more than {MAX_PROSE_REFS} task references; from this one on they are not linked \
             or indexed"
        ),
    }
}

/// The file-cap report for the file `name` of `size` bytes whose first bytes are `head` (the
/// only part the model keeps of it).
pub fn file_over_cap(name: &str, size: u64, head: &str) -> OverCap {
    let cap = file_cap(name);
    let kind = match cap {
        MAX_FILE_BYTES => "an INDEX.md",
        MAX_LEDGER_BYTES => "a ledger",
        _ => "a task file",
    };
    OverCap {
        cap: Cap::File,
        range: shown_range(head, 0),
        message: format!(
            "file is {}, over the {} cap for {kind}; it was not analysed",
            format_bytes(size),
            format_bytes(cap as u64)
        ),
    }
}

/// The lines of `text[from..]` longer than [`MAX_LINE_BYTES`] (their `\r\n` or `\n` not
/// counted), each as the range of its content and a report naming its 1-based line number.
/// One pass over the bytes, so it costs no more than the parse it protects.
pub fn long_lines(text: &str, from: usize) -> Vec<(TextRange, OverCap)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    // A line over the cap needs more bytes than the cap after `from`; nearly every file has
    // fewer in all, and is not scanned at all.
    if bytes.len().saturating_sub(from) <= MAX_LINE_BYTES {
        return found;
    }
    let mut line_number = bytes[..from.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let mut start = from;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |at| start + at);
        let content_end = if end > start && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        line_number += 1;
        if content_end - start > MAX_LINE_BYTES {
            found.push((
                TextRange::new(start, content_end),
                OverCap {
                    cap: Cap::Line,
                    range: shown_range(text, start),
                    message: format!(
                        "line {line_number} is {} long, over the {} line cap; it was not analysed",
                        format_bytes((content_end - start) as u64),
                        format_bytes(MAX_LINE_BYTES as u64)
                    ),
                },
            ));
        }
        start = end + 1;
    }
    found
}

/// Whether `offset` lies in one of `lines` (as [`long_lines`] returns them, in order).
pub fn in_long_line(lines: &[(TextRange, OverCap)], offset: usize) -> bool {
    let after = lines.partition_point(|(range, _)| range.start as usize <= offset);
    after > 0 && offset <= lines[after - 1].0.end as usize
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_kind_of_file_has_its_cap() {
        assert_eq!(file_cap("INDEX.md"), MAX_FILE_BYTES);
        assert_eq!(file_cap("/ws/.work/tasks/next/INDEX.md"), MAX_FILE_BYTES);
        assert_eq!(
            file_cap("next/TASK-0001-a/0001.ledger.jsonl"),
            MAX_LEDGER_BYTES
        );
        for document in [
            "next/TASK-0001-a/0001-a.task.md",
            "next/TASK-0001-a/0001.context.md",
            "wip.policy.md",
            "ID_COUNTER.txt",
            "next/TASK-0001-a/INDEX.md.bak",
        ] {
            assert_eq!(file_cap(document), MAX_DOCUMENT_BYTES, "{document}");
        }
    }

    use super::*;

    #[test]
    fn sizes_round_up_and_never_read_as_the_cap() {
        assert_eq!(format_bytes(900), "900 bytes");
        assert_eq!(format_bytes(1024), "1 KB");
        assert_eq!(format_bytes(256 * 1024), "256 KB");
        assert_eq!(format_bytes(256 * 1024 + 1), "256.1 KB");
        assert_eq!(format_bytes(MAX_FILE_BYTES as u64), "16 MB");
        assert_eq!(format_bytes(MAX_FILE_BYTES as u64 + 1), "16.1 MB");
        assert_eq!(format_bytes(100 * 1024 * 1024), "100 MB");
        assert_eq!(format_count(10_000), "10,000");
        assert_eq!(format_count(1_000_000), "1,000,000");
        assert_eq!(format_count(999), "999");
    }

    #[test]
    fn long_lines_are_found_with_their_numbers_and_a_short_range() {
        let long = "é".repeat(MAX_LINE_BYTES / 2 + 1);
        let text = format!("short\r\n{long}\r\nshort\n{long}");
        let found = long_lines(&text, 0);
        assert_eq!(found.len(), 2);
        let (line, report) = &found[0];
        assert_eq!(line.slice(&text), long);
        assert_eq!(report.range.start, line.start);
        assert!(report.range.len() <= SHOWN_BYTES);
        assert!(text.is_char_boundary(report.range.end as usize));
        assert!(
            report
                .message
                .starts_with("line 2 is 1.1 MB long, over the 1 MB line cap"),
            "{}",
            report.message
        );
        assert!(found[1].1.message.starts_with("line 4 "));
        assert!(in_long_line(&found, line.start as usize + 10));
        assert!(!in_long_line(&found, 2));
        // Counting from an offset keeps the file's line numbers.
        let from = text.find("short\n").unwrap();
        assert!(long_lines(&text, from)[0].1.message.starts_with("line 4 "));
        // A line exactly at the cap is fine.
        assert!(long_lines(&"a".repeat(MAX_LINE_BYTES), 0).is_empty());
    }

    #[test]
    fn the_head_is_the_first_line_start_and_valid_utf8() {
        assert_eq!(head(b"---\r\nrest"), "---");
        assert_eq!(head("é".repeat(100).as_bytes()), "é".repeat(40));
        assert_eq!(head(b"ab\xffcd"), "ab");
        assert_eq!(head(b""), "");
    }

    #[test]
    fn the_shown_range_stops_at_the_line_end() {
        assert_eq!(shown_range("ab\ncd", 0), TextRange::new(0, 2));
        assert_eq!(shown_range("", 0), TextRange::empty(0));
    }
}
