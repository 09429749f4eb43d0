//! INDEX.md row edits: what a task's row should say, rendering it in a table's own column
//! order and link style, and inserting, removing or replacing one row (or one cell) of the
//! task table.
//!
//! Rows are found by the task they list. A bare ID in an index inside a namespace folder
//! (`fw/next/INDEX.md`) means that namespace, which the text alone cannot tell, so the row
//! operations take the index's namespace (`None` in a unified layout).

use crate::db::index_row::{expected_row, show_dependencies};
use crate::db::meta::BlockedBy;
use crate::db::vocab::Status;
use crate::db::{FileId, Parsed, TaskIdx, Workspace};
use crate::ide::edit::{line_content_end, line_ending, line_start, remove_line, splice};
use crate::ide::index_links::link_text;
use crate::ide::index_links::{TaskPlace, corrected_target, leads_to, target_for};
use std::path::Path;

use crate::base::TextRange;
use crate::syntax::index_table::{
    Column, IndexRow, IndexTable, LinkStyle, ParsedIndex, parse_index, row_task_id,
};
use crate::syntax::task_id::{TaskId, parse_task_ref};

/// The cells of a task's row, as plain text (unescaped), and where the task and its
/// dependencies are, for the indexes that link them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowValues {
    /// The task's namespace, empty for none.
    pub namespace: String,
    /// The short ID: `0042` or `FW-0042`.
    pub id: String,
    pub name: String,
    pub dri: String,
    pub stage: String,
    pub status: String,
    pub flags: String,
    /// The tasks it depends on, each with where it is (None: no such task); shown `-` when
    /// there are none.
    pub dependencies: Vec<(TaskId, Option<TaskPlace>)>,
    /// Where the task is once the row is written: where its ID and Name links lead.
    pub place: Option<TaskPlace>,
}

impl RowValues {
    /// What a row for the task should say: the values index-row-mismatch checks rows against
    /// (folder stage, card status, name, DRI, depends_on), plus the Flags the methodology
    /// derives from the status (`blocked(TASK-0001)`, `paused(2026-04-01)`, `split(…)`).
    pub fn of_task(workspace: &Workspace, task_idx: TaskIdx) -> RowValues {
        let task = workspace.task(task_idx);
        let expected = expected_row(task);
        let meta = &task.meta;
        let flags = match expected.status {
            Some(Status::Blocked) => match &meta.blocked_by {
                Some((BlockedBy::Task { target, .. }, _)) => format!("blocked({})", target.id),
                Some((BlockedBy::Other { kind, detail }, _)) => format!("blocked({kind}:{detail})"),
                None => "blocked".to_string(),
            },
            Some(Status::Paused) => paused_flag(workspace, task_idx),
            Some(Status::Split) if !meta.split_into.is_empty() => {
                let children: Vec<String> = meta
                    .split_into
                    .iter()
                    .map(|item| item.id.to_string())
                    .collect();
                format!("split({})", children.join(", "))
            }
            Some(Status::Split) => "split".to_string(),
            _ => "-".to_string(),
        };
        RowValues {
            namespace: task.namespace().unwrap_or_default().to_string(),
            id: task.id.short(),
            name: expected.name.unwrap_or_default(),
            dri: expected.dri.unwrap_or_default(),
            stage: expected.stage.name().to_string(),
            status: expected
                .status
                .map(|s| s.name().to_string())
                .unwrap_or_default(),
            flags,
            dependencies: placed(
                workspace,
                task.root,
                &expected.dependencies.unwrap_or_default(),
            ),
            place: Some(TaskPlace::of(workspace, task)),
        }
    }

    /// The text for `column` in a table that has (`with_namespace_column`) or lacks a
    /// Namespace column: with one, the ID cell holds the bare number.
    pub fn cell(&self, column: Column, with_namespace_column: bool) -> String {
        match column {
            Column::Namespace if self.namespace.is_empty() => "-".to_string(),
            Column::Namespace => self.namespace.clone(),
            Column::Id if with_namespace_column && !self.namespace.is_empty() => self
                .id
                .strip_prefix(&format!("{}-", self.namespace))
                .unwrap_or(&self.id)
                .to_string(),
            Column::Id => self.id.clone(),
            Column::Name => self.name.clone(),
            Column::Dri => self.dri.clone(),
            Column::Stage => self.stage.clone(),
            Column::Status => self.status.clone(),
            Column::Flags => self.flags.clone(),
            Column::Dependencies => {
                let ids: Vec<TaskId> = self.dependencies.iter().map(|(id, _)| id.clone()).collect();
                show_dependencies(&ids)
            }
        }
    }

    /// The markdown for `column` in `table`: the text, escaped, and linked where the index
    /// links that column (SPEC §2: written rows follow the index).
    pub fn render_cell(&self, column: Column, table: &IndexTable, linking: &Linking) -> String {
        let style = &linking.style;
        let text = escape_cell(&self.cell(column, table.position(Column::Namespace).is_some()));
        let linked = match column {
            Column::Id => style.id,
            Column::Name => style.name,
            Column::Dependencies => return dependency_cell(&self.dependencies, linking),
            _ => false,
        };
        match &self.place {
            Some(place) if linked && fits_link_text(&text) => {
                format!("[{text}]({})", target_for(linking.index_rel, place, style))
            }
            _ => text,
        }
    }
}

/// How rows written into one index link their cells: the index's path (targets are relative
/// to its folder) and its link style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Linking<'a> {
    pub index_rel: &'a str,
    pub style: LinkStyle,
}

impl<'a> Linking<'a> {
    /// The linking of `table`, the task table of the index `file` (as the model has it, or as
    /// it is about to be written). An index with no rows to go by takes the style of its
    /// root's other indexes, those of its own kind (stage or root) first, so that the first
    /// row of an empty stage is linked like every other row of the tree.
    pub fn of(workspace: &'a Workspace, file: FileId, table: &IndexTable) -> Linking<'a> {
        let source = workspace.file(file);
        let style = if table.link_style.decided {
            table.link_style
        } else {
            let indexes = &workspace.roots[source.root].indexes;
            let is_stage =
                |file: FileId| indexes.iter().any(|i| i.file == file && i.stage.is_some());
            let own_kind = is_stage(file);
            let mut others: Vec<(bool, LinkStyle)> = indexes
                .iter()
                .filter(|index| index.file != file)
                .filter_map(|index| match &workspace.file(index.file).parsed {
                    Parsed::Index(ParsedIndex {
                        table: Some(other), ..
                    }) if other.link_style.decided => {
                        Some((index.stage.is_some() != own_kind, other.link_style))
                    }
                    _ => None,
                })
                .collect();
            others.sort_by_key(|&(other_kind, _)| other_kind);
            others
                .first()
                .map_or_else(LinkStyle::default, |&(_, style)| style)
        };
        Linking {
            index_rel: &source.rel,
            style,
        }
    }

    /// An index linked as its own rows say, with no fallback (for tests and texts outside
    /// the model).
    pub fn own(index_rel: &'a str, table: &IndexTable) -> Linking<'a> {
        Linking {
            index_rel,
            style: table.link_style,
        }
    }
}

/// Each of `ids` with where the task is, in root `root` of `workspace`.
pub fn placed(
    workspace: &Workspace,
    root: usize,
    ids: &[TaskId],
) -> Vec<(TaskId, Option<TaskPlace>)> {
    ids.iter()
        .map(|id| {
            let place = workspace
                .lookup_in(root, id)
                .map(|task| TaskPlace::of(workspace, task));
            (id.clone(), place)
        })
        .collect()
}

/// A Dependencies cell showing `dependencies`: `TASK-0001, TASK-0002`, each a link to the
/// task where the index links them, or `-`.
pub fn dependency_cell(dependencies: &[(TaskId, Option<TaskPlace>)], linking: &Linking) -> String {
    if dependencies.is_empty() {
        return "-".to_string();
    }
    let style = &linking.style;
    dependencies
        .iter()
        .map(|(id, place)| match place {
            Some(place) if style.dependencies => {
                format!("[{id}]({})", target_for(linking.index_rel, place, style))
            }
            _ => id.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `text` reads back unchanged as a link's text: not blank, and its brackets pair up
/// (a stray one would end the text early or leave the link unread).
fn fits_link_text(text: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '[' => depth += 1,
            ']' => match depth.checked_sub(1) {
                Some(less) => depth = less,
                None => return false,
            },
            // `\|` is the table's escape and reads back as `|`; another escape, or a code
            // span, could hide a bracket.
            '\\' if chars.next_if_eq(&'|').is_some() => {}
            '\\' | '`' => return false,
            _ => {}
        }
    }
    depth == 0 && !text.is_empty() && !is_blank_marker(text)
}

fn is_blank_marker(text: &str) -> bool {
    matches!(text, "-" | "—" | "–")
}

/// The Flags cell of a paused task: `paused(<expected_resume_date>)`, or `paused`.
pub fn paused_flag(workspace: &Workspace, task_idx: TaskIdx) -> String {
    let resume = workspace
        .card(workspace.task(task_idx))
        .and_then(|card| card.frontmatter.block()?.get("expected_resume_date"))
        .and_then(|entry| entry.value.as_str().map(str::trim))
        .filter(|date| !date.is_empty());
    match resume {
        Some(date) => format!("paused({date})"),
        None => "paused".to_string(),
    }
}

/// A row line (without line ending) for `values` in `table`, its cells in the table's column
/// order and linked as `linking` says; columns the analysis does not know are left empty.
pub fn render_row(table: &IndexTable, linking: &Linking, values: &RowValues) -> String {
    render_cells(&row_cells(table, linking, values))
}

/// The cells (markdown, escaped) of a row for `values`, one per header cell of `table`.
pub fn row_cells(table: &IndexTable, linking: &Linking, values: &RowValues) -> Vec<String> {
    (0..table.header.len())
        .map(|position| {
            table
                .columns
                .iter()
                .find(|&&(_, at)| at == position)
                .map_or_else(String::new, |&(column, _)| {
                    values.render_cell(column, table, linking)
                })
        })
        .collect()
}

/// A row line from cell markdown: `| a | b |`, an empty cell as `| |`.
pub fn render_cells(cells: &[String]) -> String {
    let mut line = String::from("|");
    for text in cells {
        line.push(' ');
        line.push_str(text);
        if !text.is_empty() {
            line.push(' ');
        }
        line.push('|');
    }
    line
}

/// `text` made safe for one table cell: `|` escaped, line breaks turned into spaces.
pub fn escape_cell(text: &str) -> String {
    text.trim().replace(['\r', '\n'], " ").replace('|', "\\|")
}

/// `text` with `row_line` added as the table's last row (right after the header's
/// delimiter line when the table has no rows), in the file's line ending style.
pub fn insert_row(text: &str, row_line: &str) -> Option<String> {
    let table = parse_index(text).table?;
    let after = match table.rows.last() {
        Some(row) => line_content_end(text, row.range.start as usize),
        None => {
            let delimiter = text[table.header_range.end as usize..]
                .find('\n')
                .map(|at| table.header_range.end as usize + at + 1)?;
            line_content_end(text, delimiter)
        }
    };
    let eol = line_ending(text);
    Some(splice(text, after, after, &format!("{eol}{row_line}")))
}

/// `text` without the first row listing `task_id` (the whole line).
pub fn remove_row(text: &str, task_id: &TaskId, namespace: Option<&str>) -> Option<String> {
    let table = parse_index(text).table?;
    let row = find_row(&table, task_id, namespace)?;
    Some(remove_line(text, row.range.start as usize))
}

/// `text` without the table row whose line holds byte `offset` (to remove one particular
/// row when a task has several).
pub fn remove_row_at(text: &str, offset: usize) -> Option<String> {
    let table = parse_index(text).table?;
    let row = table.rows.iter().find(|row| {
        line_start(text, row.range.start as usize) <= offset && offset <= row.range.end as usize
    })?;
    Some(remove_line(text, row.range.start as usize))
}

/// `text` with the first row listing `task_id` replaced by `row_line`.
pub fn replace_row(
    text: &str,
    task_id: &TaskId,
    namespace: Option<&str>,
    row_line: &str,
) -> Option<String> {
    let table = parse_index(text).table?;
    let row = find_row(&table, task_id, namespace)?;
    let start = line_start(text, row.range.start as usize);
    let end = line_content_end(text, row.range.start as usize);
    Some(splice(text, start, end, row_line))
}

/// `text` with the `column` cell of the first row listing `task_id` set to `value`; None
/// when the table lacks the column or the row stops short of it.
pub fn replace_cell(
    text: &str,
    task_id: &TaskId,
    namespace: Option<&str>,
    column: Column,
    value: &str,
) -> Option<String> {
    let table = parse_index(text).table?;
    let row = find_row(&table, task_id, namespace)?;
    let cell = row.cell(&table, column)?;
    let value = escape_cell(value);
    let range = cell.range;
    Some(splice(
        text,
        range.start as usize,
        range.end as usize,
        &value,
    ))
}

/// `text` with each link in a Dependencies cell that names one of `moved` (read in the
/// index's `namespace`) pointed at where that task now is, in the form the link had; None
/// when every such link already leads there. `index_rel` is the index's path and `root` the
/// tasks root's, as [`leads_to`] reads them.
pub fn retarget_dependency_links(
    text: &str,
    index_rel: &str,
    namespace: Option<&str>,
    root: &Path,
    moved: &[(TaskId, TaskPlace)],
) -> Option<String> {
    let table = parse_index(text).table?;
    let column = table.position(Column::Dependencies)?;
    let mut edits: Vec<(TextRange, String)> = Vec::new();
    for cell in table.rows.iter().filter_map(|row| row.cells.get(column)) {
        for link in cell.links() {
            let Some((id, _)) = parse_task_ref(link_text(cell, link).trim()) else {
                continue;
            };
            let id = id.resolved_in(namespace);
            let Some((_, place)) = moved.iter().find(|(moved_id, _)| *moved_id == id) else {
                continue;
            };
            let old = link.target(text);
            if leads_to(index_rel, &old, root, place.as_ref()) == Some(false) {
                let target = corrected_target(index_rel, &old, place, &table.link_style);
                edits.push((link.target_range, target));
            }
        }
    }
    if edits.is_empty() {
        return None;
    }
    let mut out = text.to_string();
    // From the end, so the ranges before each edit still hold.
    for (range, target) in edits.iter().rev() {
        out.replace_range(range.as_usize(), target);
    }
    Some(out)
}

fn find_row<'t>(
    table: &'t IndexTable,
    task_id: &TaskId,
    namespace: Option<&str>,
) -> Option<&'t IndexRow> {
    table.rows.iter().find(|row| {
        row_task_id(row, table).is_some_and(|(id, _)| id.resolved_in(namespace) == *task_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "---\nstage: backlog\n---\n\n# Backlog\n\n| ID | Name | DRI | Status | Flags | Dependencies | Notes |\n|----|------|-----|--------|-------|--------------|-------|\n| 0001 | One | @ana | active | - | - | keep |\n| TASK-0002 | Two \\| more | @bo | blocked | blocked(TASK-0001) | TASK-0001 | x |\n\nTrailing prose.\n";

    fn id(number: u32) -> TaskId {
        TaskId::new(None, number)
    }

    fn values() -> RowValues {
        RowValues {
            namespace: String::new(),
            id: "0003".into(),
            name: "Three | pipes".into(),
            dri: "@cy".into(),
            stage: "backlog".into(),
            status: "active".into(),
            flags: "-".into(),
            dependencies: vec![
                (
                    id(1),
                    Some(place(
                        "backlog/TASK-0001-a",
                        "backlog/TASK-0001-a/0001-a.task.md",
                    )),
                ),
                (id(2), None),
            ],
            place: Some(place(
                "backlog/TASK-0003-c",
                "backlog/TASK-0003-c/0003-c.task.md",
            )),
        }
    }

    fn place(folder: &str, card: &str) -> TaskPlace {
        TaskPlace {
            folder: folder.to_string(),
            card: Some(card.to_string()),
        }
    }

    #[test]
    fn rows_render_in_the_tables_column_order() {
        let table = parse_index(INDEX).table.unwrap();
        assert_eq!(
            render_row(&table, &Linking::own("backlog/INDEX.md", &table), &values()),
            "| 0003 | Three \\| pipes | @cy | active | - | TASK-0001, TASK-0002 | |"
        );
        let namespaced = parse_index(
            "| Namespace | ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|---|\n",
        )
        .table
        .unwrap();
        let fw = RowValues {
            namespace: "FW".into(),
            id: "FW-0003".into(),
            ..values()
        };
        assert_eq!(
            render_row(&namespaced, &Linking::own("INDEX.md", &namespaced), &fw),
            "| FW | 0003 | Three \\| pipes | @cy | backlog | active |"
        );
    }

    #[test]
    fn rows_follow_the_tables_link_style() {
        // The root index links IDs and dependencies to cards, the stage index names to folders.
        let root = parse_index(
            "| ID | Name | Dependencies |\n|---|---|---|\n\
             | [0001](backlog/TASK-0001-a/0001-a.task.md) | One | - |\n\
             | [0002](next/TASK-0002-b/0002-b.task.md) | Two | [TASK-0001](backlog/TASK-0001-a/0001-a.task.md) |\n",
        )
        .table
        .unwrap();
        assert_eq!(
            render_row(&root, &Linking::own("INDEX.md", &root), &values()),
            "| [0003](backlog/TASK-0003-c/0003-c.task.md) | Three \\| pipes | [TASK-0001](backlog/TASK-0001-a/0001-a.task.md), TASK-0002 |"
        );
        let stage = parse_index("| ID | Name |\n|---|---|\n| 0001 | [One](./TASK-0001-a/) |\n")
            .table
            .unwrap();
        assert_eq!(
            render_row(&stage, &Linking::own("backlog/INDEX.md", &stage), &values()),
            "| 0003 | [Three \\| pipes](./TASK-0003-c/) |"
        );
        // A name whose brackets would not read back, a blank one, stay plain.
        for name in ["Fix [ it", "`a]`", ""] {
            let values = RowValues {
                name: name.into(),
                ..values()
            };
            let row = render_row(&stage, &Linking::own("backlog/INDEX.md", &stage), &values);
            assert!(!row.contains("./TASK-0003-c/"), "{row}");
        }
        // What is written reads back as the values, with links that lead to the tasks.
        let written = format!(
            "| ID | Name | Dependencies |\n|---|---|---|\n{}\n",
            render_row(&root, &Linking::own("INDEX.md", &root), &values())
        );
        let table = parse_index(&written).table.unwrap();
        let row = &table.rows[0];
        assert_eq!(row.cell(&table, Column::Id).unwrap().text, "0003");
        assert_eq!(
            row.cell(&table, Column::Dependencies).unwrap().text,
            "TASK-0001, TASK-0002"
        );
    }

    #[test]
    fn dependency_links_follow_a_moved_task() {
        let text = "| ID | Dependencies |\n|---|---|\n\
                    | 0002 | [TASK-0001](../next/TASK-0001-a/0001-a.task.md#goal), [0009](x.md) |\n\
                    | 0003 | [0001](./../next/TASK-0001-a/) |\n\
                    | 0004 | TASK-0001 |\n";
        let moved = [(
            id(1),
            place("current/TASK-0001-a", "current/TASK-0001-a/0001-a.task.md"),
        )];
        let root = Path::new("/repo/.work/tasks");
        let after =
            retarget_dependency_links(text, "backlog/INDEX.md", None, root, &moved).unwrap();
        assert_eq!(
            after,
            text.replace(
                "../next/TASK-0001-a/0001-a.task.md#goal",
                "../current/TASK-0001-a/0001-a.task.md#goal"
            )
            .replace("./../next/TASK-0001-a/", "../current/TASK-0001-a/")
        );
        // Nothing to do once they lead there.
        assert_eq!(
            retarget_dependency_links(&after, "backlog/INDEX.md", None, root, &moved),
            None
        );
    }

    #[test]
    fn insert_appends_after_the_last_row() {
        let new = insert_row(INDEX, "| 0003 | x |").unwrap();
        assert_eq!(
            new,
            INDEX.replace("| x |\n\nTrailing", "| x |\n| 0003 | x |\n\nTrailing")
        );
        let empty = "| ID | Name |\r\n|---|---|\r\n\r\nText\r\n";
        assert_eq!(
            insert_row(empty, "| 0003 | x |").unwrap(),
            "| ID | Name |\r\n|---|---|\r\n| 0003 | x |\r\n\r\nText\r\n"
        );
        let no_newline = "| ID | Name |\n|---|---|\n| 0001 | a |";
        assert_eq!(
            insert_row(no_newline, "| 0003 | x |").unwrap(),
            "| ID | Name |\n|---|---|\n| 0001 | a |\n| 0003 | x |"
        );
        assert_eq!(insert_row("# No table\n", "| 0003 |"), None);
    }

    #[test]
    fn remove_and_replace_find_the_row_by_task() {
        assert_eq!(
            remove_row(INDEX, &id(2), None).unwrap(),
            INDEX.replace(
                "| TASK-0002 | Two \\| more | @bo | blocked | blocked(TASK-0001) | TASK-0001 | x |\n",
                ""
            )
        );
        assert_eq!(remove_row(INDEX, &id(9), None), None);
        assert_eq!(
            replace_row(INDEX, &id(1), None, "| 0001 | New |").unwrap(),
            INDEX.replace(
                "| 0001 | One | @ana | active | - | - | keep |",
                "| 0001 | New |"
            )
        );
        assert_eq!(
            replace_cell(INDEX, &id(2), None, Column::Dependencies, "-").unwrap(),
            INDEX.replace("| TASK-0001 | x |", "| - | x |")
        );
        let at = INDEX.find("TASK-0002").unwrap();
        assert_eq!(
            remove_row_at(INDEX, at).unwrap(),
            remove_row(INDEX, &id(2), None).unwrap()
        );
    }

    #[test]
    fn crlf_tables_keep_their_line_endings() {
        let text = "| ID | Name |\r\n|---|---|\r\n| 0001 | a |\r\n| 0002 | b |\r\n";
        assert_eq!(
            remove_row(text, &id(1), None).unwrap(),
            "| ID | Name |\r\n|---|---|\r\n| 0002 | b |\r\n"
        );
        assert_eq!(
            replace_row(text, &id(2), None, "| 0002 | c |").unwrap(),
            "| ID | Name |\r\n|---|---|\r\n| 0001 | a |\r\n| 0002 | c |\r\n"
        );
        assert_eq!(
            insert_row(text, "| 0003 | c |").unwrap(),
            format!("{text}| 0003 | c |\r\n")
        );
    }

    #[test]
    fn values_of_a_task_come_from_its_folder_and_card() {
        use crate::ide::fixture::{package, workspace};
        let ws = workspace(&format!(
            "{}{}",
            package(
                "next/TASK-0001-a",
                "task_name: \"Pipes | and more\"\nstatus: blocked\nblocked_by: \"task:TASK-0002\"\ndepends_on: [\"0002\"]",
            ),
            package(
                "fw/backlog/TASK-FW-0003-c",
                "status: paused\nexpected_resume_date: \"2026-04-01\""
            ),
        ));
        let values: Vec<RowValues> = (0..ws.tasks.len())
            .map(|i| RowValues::of_task(&ws, TaskIdx(i as u32)))
            .collect();
        let table = parse_index(
            "| Namespace | ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|-|-|-|-|-|-|-|-|\n",
        )
        .table
        .unwrap();
        let mut rows: Vec<String> = values
            .iter()
            .map(|v| render_row(&table, &Linking::own("INDEX.md", &table), v))
            .collect();
        rows.sort();
        assert_eq!(
            rows,
            [
                "| - | 0001 | Pipes \\| and more | @ana | next | blocked | blocked(TASK-0002) | TASK-0002 |",
                "| FW | 0003 | Task FW-0003 | @ana | backlog | paused | paused(2026-04-01) | - |",
            ]
        );
    }

    #[test]
    fn bare_ids_are_read_in_the_given_namespace() {
        let text = "| ID | Name |\n|---|---|\n| 0001 | a |\n";
        let fw = TaskId::new(Some("FW"), 1);
        assert_eq!(remove_row(text, &fw, None), None);
        assert_eq!(
            remove_row(text, &fw, Some("FW")).unwrap(),
            "| ID | Name |\n|---|---|\n"
        );
    }
}
