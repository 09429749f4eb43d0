//! INDEX.md task tables: the columns the analysis understands, each row's task and
//! dependencies, and how the table writes its links. The tables themselves are read by
//! `syntax::markdown_table`.

use crate::base::TextRange;
pub use crate::syntax::cell_markup::CellLink;
use crate::syntax::limits::{OverCap, long_lines};
pub use crate::syntax::markdown_table::Cell;
use crate::syntax::markdown_table::markdown_tables;
use crate::syntax::task_id::{TaskId, is_namespace, parse_task_ref};

/// A column of the task table that the analysis understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Namespace,
    Id,
    Name,
    Dri,
    Stage,
    Status,
    Flags,
    Dependencies,
}

impl Column {
    pub const ALL: [Column; 8] = [
        Column::Namespace,
        Column::Id,
        Column::Name,
        Column::Dri,
        Column::Stage,
        Column::Status,
        Column::Flags,
        Column::Dependencies,
    ];

    /// The header as the methodology spells it (used when generating or fixing a table).
    pub fn header_name(self) -> &'static str {
        match self {
            Column::Namespace => "Namespace",
            Column::Id => "ID",
            Column::Name => "Name",
            Column::Dri => "DRI",
            Column::Stage => "Stage",
            Column::Status => "Status",
            Column::Flags => "Flags",
            Column::Dependencies => "Dependencies",
        }
    }

    /// The column a header cell names, compared case-insensitively after trimming.
    pub fn from_header(name: &str) -> Option<Column> {
        let name = name.trim();
        Column::ALL
            .into_iter()
            .find(|column| column.header_name().eq_ignore_ascii_case(name))
    }
}

/// One body row of the task table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexRow {
    /// The row line without its line ending.
    pub range: TextRange,
    /// Every cell the line has, even when that is more or fewer than the header's.
    pub cells: Vec<Cell>,
}

impl IndexRow {
    /// This row's cell under `column`, if the table has that column and the row reaches it.
    pub fn cell(&self, table: &IndexTable, column: Column) -> Option<&Cell> {
        self.cells.get(table.position(column)?)
    }
}

/// The task table of an INDEX.md file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexTable {
    /// The header line without its line ending.
    pub header_range: TextRange,
    /// Every header cell, recognised or not (for "unknown column" hints and fixes).
    pub header: Vec<Cell>,
    /// Recognised columns and their cell position; the first of duplicated names wins.
    pub columns: Vec<(Column, usize)>,
    pub rows: Vec<IndexRow>,
    /// Which of its cells the table links, read from its rows.
    pub link_style: LinkStyle,
}

/// How a task table writes the cells that may link to a task: what most of its rows do. The
/// rows the product writes follow it (SPEC §2), so a table whose IDs are links gets new rows
/// whose IDs are links.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStyle {
    /// ID cells are links to the task.
    pub id: bool,
    /// Name cells are links to the task.
    pub name: bool,
    /// Each reference in a Dependencies cell is a link to that task.
    pub dependencies: bool,
    /// Links lead to task folders (`current/TASK-0042-x/`) rather than cards.
    pub to_folders: bool,
    /// Targets are written `./…`.
    pub dot_slash: bool,
    /// Whether any row had a say (an index without rows has no style of its own).
    pub decided: bool,
}

impl LinkStyle {
    /// The style of most rows; a tie, or no row to go by, is plain.
    fn of(text: &str, columns: &[(Column, usize)], rows: &[IndexRow]) -> LinkStyle {
        let position = |column: Column| {
            columns
                .iter()
                .find(|&&(found, _)| found == column)
                .map(|&(_, at)| at)
        };
        // Votes for and against each choice.
        #[derive(Default)]
        struct Tally(usize, usize);
        impl Tally {
            fn add(&mut self, yes: bool) {
                if yes { self.0 += 1 } else { self.1 += 1 }
            }
            fn wins(&self) -> bool {
                self.0 > self.1
            }
        }
        let (mut id, mut name, mut dependencies) =
            (Tally::default(), Tally::default(), Tally::default());
        let (mut folders, mut dot_slash) = (Tally::default(), Tally::default());
        let mut target = |link: &CellLink| {
            let target = link.target(text);
            let path = target.split(['#', '?']).next().unwrap_or("");
            folders.add(!path.ends_with(".md"));
            dot_slash.add(path.starts_with("./"));
        };
        for row in rows {
            let cell = |column: Column| position(column).and_then(|at| row.cells.get(at));
            for (column, tally) in [(Column::Id, &mut id), (Column::Name, &mut name)] {
                let Some(cell) = cell(column).filter(|cell| !is_none_marker(&cell.text)) else {
                    continue;
                };
                let link = cell.whole_link();
                tally.add(link.is_some());
                if let Some(link) = link {
                    target(link);
                }
            }
            if let Some(cell) = cell(Column::Dependencies)
                && !dependency_refs(cell).is_empty()
            {
                dependencies.add(!cell.links().is_empty());
            }
        }
        LinkStyle {
            id: id.wins(),
            name: name.wins(),
            dependencies: dependencies.wins(),
            to_folders: folders.wins(),
            dot_slash: dot_slash.wins(),
            decided: [id, name, dependencies]
                .iter()
                .any(|tally| tally.0 + tally.1 > 0),
        }
    }
}

impl IndexTable {
    /// The cell position of `column`, if the header has it.
    pub fn position(&self, column: Column) -> Option<usize> {
        self.columns
            .iter()
            .find(|&&(found, _)| found == column)
            .map(|&(_, position)| position)
    }
}

/// What [`parse_index`] could read, plus its complaints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedIndex {
    /// The first table with an `ID` column; `None` when there is none.
    pub table: Option<IndexTable>,
    pub errors: Vec<(String, TextRange)>,
    /// Lines over the line cap, which were not read (a row there is left out of the table).
    pub long_lines: Vec<OverCap>,
}

/// Reads the task table of an INDEX.md file: the first markdown table whose header has an `ID`
/// column, so summary tables placed before it do not get in the way.
pub fn parse_index(text: &str) -> ParsedIndex {
    let long = long_lines(text, 0);
    let tables = markdown_tables(text, &long);
    let long_lines: Vec<OverCap> = long.into_iter().map(|(_, report)| report).collect();
    let Some(raw) = tables
        .into_iter()
        .find(|table| table.column("id").is_some())
    else {
        return ParsedIndex {
            long_lines,
            ..ParsedIndex::default()
        };
    };
    let mut errors = raw.ragged_row_errors();
    let mut columns: Vec<(Column, usize)> = Vec::new();
    for (position, cell) in raw.header.cells.iter().enumerate() {
        let Some(column) = Column::from_header(&cell.text) else {
            continue;
        };
        if columns.iter().any(|&(seen, _)| seen == column) {
            errors.push((
                format!("duplicate `{}` column", column.header_name()),
                cell.range,
            ));
            continue;
        }
        columns.push((column, position));
    }
    let rows: Vec<IndexRow> = raw
        .rows
        .into_iter()
        .map(|row| IndexRow {
            range: row.range,
            cells: row.cells,
        })
        .collect();
    let link_style = LinkStyle::of(text, &columns, &rows);
    ParsedIndex {
        table: Some(IndexTable {
            header_range: raw.header.range,
            header: raw.header.cells,
            columns,
            rows,
            link_style,
        }),
        errors,
        long_lines,
    }
}

/// The task a row describes, with the range of the ID cell's value (its link text when the
/// cell is a link).
///
/// A `Namespace` cell (when the column exists and the cell is neither blank nor `-`) qualifies
/// a bare ID; an ID that spells its own namespace keeps it, so a disagreement between the two
/// cells is left for the caller to notice. `None` when the ID cell is missing or not an ID, or
/// when the namespace cell is not a valid namespace (guessing would mis-attribute the row).
pub fn row_task_id(row: &IndexRow, table: &IndexTable) -> Option<(TaskId, TextRange)> {
    let id_cell = row.cell(table, Column::Id)?;
    let (id, _) = parse_task_ref(&id_cell.text)?;
    let namespace = match row.cell(table, Column::Namespace) {
        Some(cell) if !is_none_marker(&cell.text) => {
            if !is_namespace(&cell.text) {
                return None;
            }
            Some(cell.text.as_str())
        }
        _ => None,
    };
    Some((id.resolved_in(namespace), id_cell.value_range()))
}

/// The task references in a Dependencies cell; tokens that are not references are skipped
/// (see [`dependency_tokens`] to report them).
pub fn dependency_refs(cell: &Cell) -> Vec<(TaskId, TextRange)> {
    dependency_tokens(cell)
        .into_iter()
        .filter_map(|(id, range)| Some((id?, range)))
        .collect()
}

/// Every comma-, semicolon- or space-separated token of a Dependencies cell with its exact
/// range, and the task it names when it is a reference in any accepted spelling (bare `0042`
/// included: the column only ever holds IDs), read from the value, so `[TASK-0010](…)` is the
/// token `TASK-0010` with the link text's range. Blank, `-` and `none` mean no dependencies.
pub fn dependency_tokens(cell: &Cell) -> Vec<(Option<TaskId>, TextRange)> {
    if is_none_marker(&cell.text) || cell.text.eq_ignore_ascii_case("none") {
        return Vec::new();
    }
    let mut tokens = Vec::new();
    let mut token_start = None;
    // A sentinel separator at the end flushes the last token.
    for (at, ch) in cell.text.char_indices().chain([(cell.text.len(), ' ')]) {
        if !is_dependency_separator(ch) {
            token_start.get_or_insert(at);
            continue;
        }
        if let Some(start) = token_start.take() {
            let token = &cell.text[start..at];
            let range = cell.source_range(start, at);
            tokens.push((parse_task_ref(token).map(|(id, _)| id), range));
        }
    }
    tokens
}

fn is_dependency_separator(ch: char) -> bool {
    ch == ',' || ch == ';' || ch.is_whitespace()
}

/// Blank or a dash: how the tables say "nothing here".
fn is_none_marker(text: &str) -> bool {
    matches!(text, "" | "-" | "—" | "–")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row as its cells' source slices, for comparing whole tables at a glance.
    fn row_slices<'t>(text: &'t str, row: &IndexRow) -> Vec<&'t str> {
        row.cells
            .iter()
            .map(|cell| cell.range.slice(text))
            .collect()
    }

    fn task_table(text: &str) -> IndexTable {
        parse_index(text).table.expect("no task table found")
    }

    fn columns(table: &IndexTable) -> Vec<(Column, usize)> {
        table.columns.clone()
    }

    fn ids(text: &str) -> Vec<(String, &str)> {
        let table = task_table(text);
        table
            .rows
            .iter()
            .map(|row| {
                let (id, range) = row_task_id(row, &table).expect("row without an ID");
                (id.to_string(), range.slice(text))
            })
            .collect()
    }

    const STAGE_INDEX: &str = "\
---
kind: index
stage: current
note: \"a | b\"
---

# In progress

Work being done right now.

| ID | Name | DRI | Status | Flags | Dependencies |
|----|------|-----|--------|-------|--------------|
| 0107 | Wire the pager | @ravi | active | - | - |
| 0108 | Retry budget | @mei | blocked | blocked(TASK-0107) | TASK-0107, 0099 |

Trailing prose.
";

    #[test]
    fn stage_index_with_frontmatter() {
        let text = STAGE_INDEX;
        let parsed = parse_index(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let table = parsed.table.unwrap();
        assert_eq!(
            table.header_range.slice(text),
            "| ID | Name | DRI | Status | Flags | Dependencies |"
        );
        assert_eq!(
            columns(&table),
            vec![
                (Column::Id, 0),
                (Column::Name, 1),
                (Column::Dri, 2),
                (Column::Status, 3),
                (Column::Flags, 4),
                (Column::Dependencies, 5),
            ]
        );
        assert_eq!(table.rows.len(), 2);
        assert_eq!(
            table.rows[1].range.slice(text),
            "| 0108 | Retry budget | @mei | blocked | blocked(TASK-0107) | TASK-0107, 0099 |"
        );
        assert_eq!(
            row_slices(text, &table.rows[0]),
            vec!["0107", "Wire the pager", "@ravi", "active", "-", "-"]
        );
        let row = &table.rows[1];
        assert_eq!(row.cell(&table, Column::Dri).unwrap().text, "@mei");
        assert_eq!(row.cell(&table, Column::Stage), None);
        assert_eq!(
            ids(text),
            vec![
                ("TASK-0107".to_string(), "0107"),
                ("TASK-0108".to_string(), "0108")
            ]
        );
    }

    #[test]
    fn root_index_has_a_stage_column() {
        let text = "# All tasks\n\n\
            |ID|Name|DRI|Stage|Status|Flags|Dependencies|\n\
            |--|----|---|-----|------|-----|------------|\n\
            |TASK-0003|Login form|@ana|next|active|-|-|\n";
        let table = task_table(text);
        assert_eq!(table.position(Column::Stage), Some(3));
        let row = &table.rows[0];
        assert_eq!(
            row.cell(&table, Column::Stage).unwrap().range.slice(text),
            "next"
        );
        assert_eq!(ids(text), vec![("TASK-0003".to_string(), "TASK-0003")]);
    }

    #[test]
    fn namespace_column_qualifies_bare_ids() {
        let text = "\
| Namespace | ID | Name | DRI | Stage | Status | Flags | Dependencies |
|---|---|---|---|---|---|---|---|
| OPS | 0012 | Rotate keys | @li | current | active | - | - |
| OPS | OPS-0013 | Audit | @li | backlog | active | - | OPS-0012 |
| - | 0014 | Unscoped | @li | inbox | active | - | - |
| ops | 0015 | Bad namespace | @li | inbox | active | - | - |
";
        let table = task_table(text);
        assert_eq!(table.position(Column::Namespace), Some(0));
        assert_eq!(table.position(Column::Id), Some(1));
        let found: Vec<Option<(String, &str)>> = table
            .rows
            .iter()
            .map(|row| {
                row_task_id(row, &table).map(|(id, range)| (id.to_string(), range.slice(text)))
            })
            .collect();
        assert_eq!(
            found,
            vec![
                Some(("TASK-OPS-0012".to_string(), "0012")),
                Some(("TASK-OPS-0013".to_string(), "OPS-0013")),
                Some(("TASK-0014".to_string(), "0014")),
                None,
            ]
        );
    }

    #[test]
    fn namespaced_stage_shape_and_short_shape() {
        let text = "| Namespace | ID | Name | DRI | Status | Flags | Dependencies |\n\
                    |-|-|-|-|-|-|-|\n\
                    | WEB | 0002 | Banner | @jo | active | - | - |\n";
        let table = task_table(text);
        assert_eq!(table.position(Column::Dependencies), Some(6));
        assert_eq!(table.position(Column::Stage), None);

        let text =
            "| id | NAME | Dri | status |\n|---|---|---|---|\n| 0001 | Seed | @jo | paused |\n";
        let table = task_table(text);
        assert_eq!(
            columns(&table),
            vec![
                (Column::Id, 0),
                (Column::Name, 1),
                (Column::Dri, 2),
                (Column::Status, 3)
            ]
        );
        assert_eq!(table.rows[0].cell(&table, Column::Flags), None);
        assert_eq!(ids(text), vec![("TASK-0001".to_string(), "0001")]);
    }

    #[test]
    fn unknown_columns_are_ignored_and_columns_found_by_name() {
        let text = "| Name | Owner note | ID |\n|---|---|---|\n| Seed | x | 0009 |\n";
        let table = task_table(text);
        assert_eq!(columns(&table), vec![(Column::Name, 0), (Column::Id, 2)]);
        assert_eq!(table.header.len(), 3);
        assert_eq!(ids(text), vec![("TASK-0009".to_string(), "0009")]);
    }

    #[test]
    fn task_table_found_after_another_table_and_not_in_code_fences() {
        let text = "\
| Stage | Count |
|-------|-------|
| inbox | 1 |

```markdown
| ID | Name |
|----|------|
| 9999 | Example only |
```

| ID | Name |
|----|------|
| 0031 | Real |
";
        assert_eq!(ids(text), vec![("TASK-0031".to_string(), "0031")]);
    }

    #[test]
    fn ragged_rows_are_kept_and_reported() {
        let text = "| ID | Name | DRI |\n|---|---|---|\n| 0001 | Short |\n| 0002 | Long | @a | extra |\n| 0003 | Fine | @b |\n";
        let parsed = parse_index(text);
        let table = parsed.table.unwrap();
        assert_eq!(table.rows.len(), 3);
        assert_eq!(row_slices(text, &table.rows[0]), vec!["0001", "Short"]);
        assert_eq!(table.rows[0].cell(&table, Column::Dri), None);
        assert_eq!(
            row_slices(text, &table.rows[1]),
            vec!["0002", "Long", "@a", "extra"]
        );
        let errors: Vec<(&str, &str)> = parsed
            .errors
            .iter()
            .map(|(message, range)| (message.as_str(), range.slice(text)))
            .collect();
        assert_eq!(
            errors,
            vec![
                ("row has 2 cells but the header has 3", "| 0001 | Short |"),
                (
                    "row has 4 cells but the header has 3",
                    "| 0002 | Long | @a | extra |"
                ),
            ]
        );
    }

    #[test]
    fn crlf_lines_keep_exact_ranges() {
        let text = "---\r\nstage: next\r\n---\r\n| ID | Name |\r\n|---|---|\r\n| 0005 | Crlf |\r\n| 0006 |   |\r\n";
        let parsed = parse_index(text);
        let table = parsed.table.unwrap();
        assert_eq!(table.header_range.slice(text), "| ID | Name |");
        assert_eq!(table.rows[0].range.slice(text), "| 0005 | Crlf |");
        assert_eq!(row_slices(text, &table.rows[0]), vec!["0005", "Crlf"]);
        // A blank cell is an empty range in the middle of its padding.
        let blank = &table.rows[1].cells[1];
        assert_eq!(blank.text, "");
        assert!(blank.range.is_empty());
        let at = text.find("|   |").unwrap() + 2;
        assert_eq!(blank.range, TextRange::empty(at));
        assert!(parsed.errors.is_empty());
    }

    #[test]
    fn rows_end_at_a_lone_carriage_return() {
        // Found by fuzzing: with `\r` line endings each row ran to the end of the file, so
        // every row held the cells of all the rows after it.
        let text = "| ID | Name |\r|---|---|\r| TASK-0001 | One |\r| TASK-0002 | Two |\r";
        let table = task_table(text);
        assert_eq!(table.header_range.slice(text), "| ID | Name |");
        let rows: Vec<Vec<&str>> = table.rows.iter().map(|row| row_slices(text, row)).collect();
        assert_eq!(rows, [["TASK-0001", "One"], ["TASK-0002", "Two"]]);
        assert_eq!(table.rows[1].range.slice(text), "| TASK-0002 | Two |");
    }

    #[test]
    fn escaped_pipes_stay_inside_the_cell() {
        let text =
            "| ID | Name | Dependencies |\n|---|---|---|\n| 0001 | Read \\| write | 0002 |\n";
        let table = task_table(text);
        let row = &table.rows[0];
        assert_eq!(row.cells.len(), 3);
        let name = row.cell(&table, Column::Name).unwrap();
        assert_eq!(name.text, "Read | write");
        assert_eq!(name.range.slice(text), "Read \\| write");
    }

    #[test]
    fn rows_without_outer_pipes() {
        let text = "ID | Name\n-- | --\n0001 | Bare row\n";
        let table = task_table(text);
        assert_eq!(table.rows[0].range.slice(text), "0001 | Bare row");
        assert_eq!(row_slices(text, &table.rows[0]), vec!["0001", "Bare row"]);
    }

    #[test]
    fn dependency_cells() {
        let text = "| ID | Dependencies |\n|---|---|\n\
                    | 0001 | TASK-0002, 0003 FW-0004;TASK-FW-0005 |\n\
                    | 0006 | - |\n\
                    | 0007 |  |\n\
                    | 0008 | 0002, later, A\\|B |\n";
        let table = task_table(text);
        let deps = |row: usize| -> Vec<(String, &str)> {
            let cell = table.rows[row].cell(&table, Column::Dependencies).unwrap();
            dependency_refs(cell)
                .into_iter()
                .map(|(id, range)| (id.to_string(), range.slice(text)))
                .collect()
        };
        assert_eq!(
            deps(0),
            vec![
                ("TASK-0002".to_string(), "TASK-0002"),
                ("TASK-0003".to_string(), "0003"),
                ("TASK-FW-0004".to_string(), "FW-0004"),
                ("TASK-FW-0005".to_string(), "TASK-FW-0005"),
            ]
        );
        assert!(deps(1).is_empty());
        assert!(deps(2).is_empty());
        assert_eq!(deps(3), vec![("TASK-0002".to_string(), "0002")]);
        // Non-references are still reported as tokens, with ranges that survive the unescaped
        // pipe.
        let cell = table.rows[3].cell(&table, Column::Dependencies).unwrap();
        let tokens: Vec<(bool, &str)> = dependency_tokens(cell)
            .into_iter()
            .map(|(id, range)| (id.is_some(), range.slice(text)))
            .collect();
        assert_eq!(
            tokens,
            vec![(true, "0002"), (false, "later"), (false, "A\\|B")]
        );
    }

    #[test]
    fn linked_cells_read_as_their_link_text() {
        let text = "\
| ID | Name | DRI | Status | Dependencies |
|----|------|-----|--------|--------------|
| [0042](TASK-0042-retries/0042-retries.task.md) | [Payment retries](TASK-0042-retries/0042-retries.task.md) | @ana | active | [TASK-0010](../next/TASK-0010-a/0010-a.task.md), [TASK-0011](../next/TASK-0011-b/) |
| [0043](<TASK-0043-x/0043-x.task.md> \"card\") | [Read \\| write](TASK-0043-x/0043-x.task.md) | @bo | active | 0010 |
";
        let table = task_table(text);
        assert_eq!(
            ids(text),
            vec![
                ("TASK-0042".to_string(), "0042"),
                ("TASK-0043".to_string(), "0043")
            ]
        );
        let first = &table.rows[0];
        let name = first.cell(&table, Column::Name).unwrap();
        assert_eq!(name.text, "Payment retries");
        assert_eq!(name.value_range().slice(text), "Payment retries");
        assert_eq!(
            name.whole_link().unwrap().target(text),
            "TASK-0042-retries/0042-retries.task.md"
        );
        let dependencies = first.cell(&table, Column::Dependencies).unwrap();
        assert_eq!(dependencies.text, "TASK-0010, TASK-0011");
        assert_eq!(dependencies.whole_link(), None);
        let refs: Vec<(String, &str)> = dependency_refs(dependencies)
            .into_iter()
            .map(|(id, range)| (id.to_string(), range.slice(text)))
            .collect();
        assert_eq!(
            refs,
            vec![
                ("TASK-0010".to_string(), "TASK-0010"),
                ("TASK-0011".to_string(), "TASK-0011")
            ]
        );
        let targets: Vec<String> = dependencies
            .links()
            .iter()
            .map(|link| link.target(text).into_owned())
            .collect();
        assert_eq!(
            targets,
            ["../next/TASK-0010-a/0010-a.task.md", "../next/TASK-0011-b/"]
        );
        // A title and angle brackets around the target, an escaped pipe in the text.
        let second = &table.rows[1];
        let id = second.cell(&table, Column::Id).unwrap();
        assert_eq!(
            id.whole_link().unwrap().target(text),
            "TASK-0043-x/0043-x.task.md"
        );
        let name = second.cell(&table, Column::Name).unwrap();
        assert_eq!(name.text, "Read | write");
        assert_eq!(name.value_range().slice(text), "Read \\| write");
        assert_eq!(
            table.link_style,
            LinkStyle {
                id: true,
                name: true,
                dependencies: false,
                to_folders: false,
                dot_slash: false,
                decided: true,
            }
        );
    }

    #[test]
    fn the_link_style_is_what_most_rows_do() {
        let style = |rows: &str| {
            task_table(&format!(
                "| ID | Name | Dependencies |\n|---|---|---|\n{rows}"
            ))
            .link_style
        };
        assert_eq!(style(""), LinkStyle::default());
        assert_eq!(
            style("| 0001 | One | - |\n"),
            LinkStyle {
                decided: true,
                ..LinkStyle::default()
            }
        );
        let linked = style(
            "| [0001](./inbox/TASK-0001-a/) | One | [0002](./inbox/TASK-0002-b/) |\n\
             | [0002](./inbox/TASK-0002-b/) | Two | - |\n\
             | 0003 | Three | 0001 |\n",
        );
        assert_eq!(
            linked,
            LinkStyle {
                id: true,
                name: false,
                // One cell of references links them, one does not: a tie is plain.
                dependencies: false,
                to_folders: true,
                dot_slash: true,
                decided: true,
            }
        );
    }

    #[test]
    fn no_task_table() {
        assert_eq!(parse_index(""), ParsedIndex::default());
        assert_eq!(
            parse_index("# Index\n\nNothing yet.\n"),
            ParsedIndex::default()
        );
        let other = "| Stage | Count |\n|---|---|\n| inbox | 2 |\n";
        assert_eq!(parse_index(other).table, None);
        // A header without its delimiter row is not a table.
        assert_eq!(parse_index("| ID | Name |\n| 0001 | x |\n").table, None);
    }

    #[test]
    fn unclosed_frontmatter_is_not_skipped() {
        let text = "---\ntitle: x\n| ID | Name |\n|---|---|\n| 0001 | a |\n";
        // Without a closing fence the block is ordinary markdown, and the table still parses.
        assert_eq!(ids(text), vec![("TASK-0001".to_string(), "0001")]);
    }

    #[test]
    fn duplicate_columns_are_reported() {
        let text = "| ID | Name | id |\n|---|---|---|\n| 0001 | a | 0002 |\n";
        let parsed = parse_index(text);
        let table = parsed.table.unwrap();
        assert_eq!(table.position(Column::Id), Some(0));
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].1.slice(text), "id");
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "|",
            "||\n|-|\n||",
            "|\\",
            "| ID |\n|---|\n|\\|\n| é\u{a0} |\n|\u{3000}|",
            "---",
            "---\n",
            "---\n---",
            "\u{feff}---\nx: 1\n---\n| ID |\n|--|\n| 0001 |",
            "| ID | x\n|:-:|--:\n\\",
            "\r\n\r\n|\r",
            "> | ID | N |\n> |---|---|\n> | 0001 | quoted |",
            "- | ID |\n  |---|\n  | 0001 |\n",
            "\0|\0\n|-|\n\0",
            "| ID | Name |\n|--|--|\n| [0001](x | [y](<z |\n| [[0002](a)](b) | ![i](j) |",
            "| ID |\n|--|\n| [0001](a \\| b) |\n| [0001](\\|) |\n| []() |\n| [`](x)`] |",
            "| ID | Dependencies |\n|--|--|\n| [é](🎉) | [0001](a)[0002](b), [ (c) ] |",
        ];
        for input in inputs {
            let parsed = parse_index(input);
            if let Some(table) = &parsed.table {
                for row in &table.rows {
                    let _ = row_task_id(row, table);
                    for cell in &row.cells {
                        assert!(input.get(cell.range.as_usize()).is_some(), "{input:?}");
                        for (_, range) in dependency_tokens(cell) {
                            assert!(input.get(range.as_usize()).is_some(), "{input:?}");
                        }
                        for link in cell.links() {
                            for range in [link.range, link.text_range, link.target_range] {
                                assert!(input.get(range.as_usize()).is_some(), "{input:?}");
                            }
                        }
                    }
                }
            }
        }
        let quoted = "> | ID | N |\n> |---|---|\n> | 0001 | quoted |";
        assert_eq!(ids(quoted), vec![("TASK-0001".to_string(), "0001")]);
    }
}
