//! The markdown table reader that every table-shaped file shares (INDEX.md task tables, the
//! WIP policy): each GFM table of a file, its header and body rows split into cells.
//!
//! pulldown-cmark decides *where* tables are (so a table inside a fenced code block, or a
//! pipe-laden paragraph, is not mistaken for one), and this module splits each row line into
//! cells itself. Doing the split ourselves is deliberate: pulldown-cmark pads short rows and
//! drops extra cells to the header's width, which would hide exactly the ragged rows we want to
//! report, and its cell ranges include the padding around the text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::base::{TextRange, floor_char_boundary};
use crate::syntax::cell_markup::{CellLink, Markup, read_cell};
use crate::syntax::limits::{OverCap, in_long_line};

/// One table cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The cell's value: the trimmed text with `\|` unescaped to `|` (the only escape that
    /// belongs to the table layer; other backslash escapes are inline markdown and are left as
    /// written) and each inline link read as its text, so `[0042](…)` is `0042` to every rule.
    pub text: String,
    /// The trimmed text in the source; an empty range at the cell's middle when it is blank,
    /// so a diagnostic on a blank cell still lands inside it.
    pub range: TextRange,
    /// Links and escaped pipes, which make the value differ from the source; boxed because
    /// most cells have none and an index may have 100,000 cells.
    markup: Option<Box<Markup>>,
}

impl Cell {
    /// A cell from its trimmed source text, which starts at byte `start` of the file.
    pub fn read(source: &str, start: usize) -> Cell {
        let (text, markup) = read_cell(source, start);
        Cell {
            text,
            range: TextRange::new(start, start + source.len()),
            markup,
        }
    }

    /// The inline links in the cell, in order.
    pub fn links(&self) -> &[CellLink] {
        self.markup.as_ref().map_or(&[], |markup| &markup.links)
    }

    /// The link the whole cell is (`[0042](…)`, nothing else around it), if it is one.
    pub fn whole_link(&self) -> Option<&CellLink> {
        match self.links() {
            [link] if link.range == self.range => Some(link),
            _ => None,
        }
    }

    /// Where the value lies in the source: the link text of a cell that is one link, else
    /// the trimmed cell.
    pub fn value_range(&self) -> TextRange {
        self.whole_link().map_or(self.range, |link| link.text_range)
    }

    /// The source range of `text[from..to]`.
    pub fn source_range(&self, from: usize, to: usize) -> TextRange {
        match &self.markup {
            Some(markup) => TextRange::new(markup.source_start(from), markup.source_end(to)),
            None => TextRange::new(
                self.range.start as usize + from,
                self.range.start as usize + to,
            ),
        }
    }
}

/// A table as written: the header row and the body rows, split into cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawTable {
    pub header: RawRow,
    pub rows: Vec<RawRow>,
}

/// One line of a table (header or body), without its line ending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawRow {
    pub range: TextRange,
    pub cells: Vec<Cell>,
}

impl RawTable {
    /// The position of the header cell named `name` (case-insensitive, trimmed), the first
    /// one if it repeats.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header
            .cells
            .iter()
            .position(|cell| cell.text.trim().eq_ignore_ascii_case(name.trim()))
    }

    /// The first of `names` that the header has, as a position.
    pub fn any_column(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| self.column(name))
    }

    /// One error per body row whose cell count differs from the header's.
    pub fn ragged_row_errors(&self) -> Vec<(String, TextRange)> {
        let expected = self.header.cells.len();
        self.rows
            .iter()
            .filter(|row| row.cells.len() != expected)
            .map(|row| {
                let message = format!(
                    "row has {} cells but the header has {expected}",
                    row.cells.len()
                );
                (message, row.range)
            })
            .collect()
    }
}

/// Every GFM table of a markdown file, in order, with ranges into `text`. A leading `---`
/// frontmatter block is skipped first: read as markdown it would be a thematic break and a
/// setext heading, and a `|` in a YAML value could otherwise start a phantom table. Rows on
/// a line of `long` (see `limits::long_lines`) are left out, and a header there leaves out
/// its whole table: such lines are not analysed.
pub(crate) fn markdown_tables(text: &str, long: &[(TextRange, OverCap)]) -> Vec<RawTable> {
    let body_start = frontmatter_end(text);
    let body = &text[body_start..];
    let mut tables = Vec::new();
    let mut current: Option<RawTable> = None;
    for (event, range) in Parser::new_ext(body, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(Tag::TableHead) => {
                let start = body_start + range.start;
                current = (!in_long_line(long, start)).then(|| RawTable {
                    header: split_row(text, start),
                    rows: Vec::new(),
                });
            }
            Event::Start(Tag::TableRow) => {
                if let Some(table) = current.as_mut()
                    && !in_long_line(long, body_start + range.start)
                {
                    table.rows.push(split_row(text, body_start + range.start));
                }
            }
            Event::End(TagEnd::Table) => tables.extend(current.take()),
            _ => {}
        }
    }
    tables
}

/// Where the markdown body starts: after a closed `---` frontmatter block, or at 0. An
/// unclosed block is not skipped, since hiding the whole file would be worse.
fn frontmatter_end(text: &str) -> usize {
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_start_matches('\u{feff}').trim_end() == "---" => {
            offset += first.len();
        }
        _ => return 0,
    }
    for line in lines {
        offset += line.len();
        if matches!(line.trim_end(), "---" | "...") {
            return offset;
        }
    }
    0
}

/// Splits the table line starting at `start` into cells. The line runs to the next `\n` or
/// `\r`: markdown ends a line at a lone `\r` too, and pulldown-cmark, which found the row,
/// does. Leading and trailing pipes are optional, and a pipe after a backslash is content:
/// the same rules pulldown-cmark applies, so our cells agree with its idea of the table.
fn split_row(text: &str, start: usize) -> RawRow {
    let rest = text.get(start..).unwrap_or("");
    let line = rest.split(['\n', '\r']).next().unwrap_or("");
    let bytes = line.as_bytes();
    let is_blank = |b: u8| b == b' ' || b == b'\t';

    let mut from = 0;
    let mut to = bytes.len();
    while from < to && is_blank(bytes[from]) {
        from += 1;
    }
    if from < to && bytes[from] == b'|' {
        from += 1;
    }
    while to > from && is_blank(bytes[to - 1]) {
        to -= 1;
    }
    if to > from && bytes[to - 1] == b'|' && !(to >= 2 && bytes[to - 2] == b'\\') {
        to -= 1;
    }

    let mut cells = Vec::new();
    let mut cell_start = from;
    for at in from..=to {
        let ends_cell = at == to || (bytes[at] == b'|' && !(at > 0 && bytes[at - 1] == b'\\'));
        if ends_cell {
            cells.push(make_cell(line, cell_start, at, start));
            cell_start = at + 1;
        }
    }
    RawRow {
        range: TextRange::new(start, start + line.len()),
        cells,
    }
}

/// The cell between byte offsets `from..to` of `line`, which starts at `base` in the file.
fn make_cell(line: &str, from: usize, to: usize, base: usize) -> Cell {
    let raw = &line[from..to];
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        let middle = floor_char_boundary(line, from + raw.len() / 2);
        return Cell::read("", base + middle);
    }
    let lead = raw.len() - raw.trim_start().len();
    Cell::read(trimmed, base + from + lead)
}
