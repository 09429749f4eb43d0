//! INDEX.md row edits: what a task's row should say, rendering it in a table's own column
//! order, and inserting, removing or replacing one row (or one cell) of the task table.
//!
//! Rows are found by the task they list. A bare ID in an index inside a namespace folder
//! (`fw/next/INDEX.md`) means that namespace, which the text alone cannot tell, so the row
//! operations take the index's namespace (`None` in a unified layout).

use crate::db::meta::BlockedBy;
use crate::db::vocab::Status;
use crate::db::{TaskIdx, Workspace};
use crate::ide::diagnostics::index::{expected_row, show_dependencies};
use crate::ide::edit::{line_content_end, line_ending, line_start, remove_line, splice};
use crate::syntax::index_table::{Column, IndexRow, IndexTable, parse_index, row_task_id};
use crate::syntax::task_id::TaskId;

/// The cells of a task's row, as plain text (unescaped).
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
    pub dependencies: String,
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
            dependencies: expected
                .dependencies
                .map_or_else(|| "-".to_string(), |ids| show_dependencies(&ids)),
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
            Column::Dependencies => self.dependencies.clone(),
        }
    }
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

/// A row line (without line ending) for `values`, its cells in `table`'s column order;
/// columns the analysis does not know are left empty.
pub fn render_row(table: &IndexTable, values: &RowValues) -> String {
    render_cells(&row_cells(table, values))
}

/// The cell texts (unescaped) of a row for `values`, one per header cell of `table`.
pub fn row_cells(table: &IndexTable, values: &RowValues) -> Vec<String> {
    let with_namespace = table.position(Column::Namespace).is_some();
    (0..table.header.len())
        .map(|position| {
            table
                .columns
                .iter()
                .find(|&&(_, at)| at == position)
                .map_or_else(String::new, |&(column, _)| {
                    values.cell(column, with_namespace)
                })
        })
        .collect()
}

/// A row line from cell texts: `| a | b |`, each escaped, an empty cell as `| |`.
pub fn render_cells(cells: &[String]) -> String {
    let mut line = String::from("|");
    for text in cells {
        let text = escape_cell(text);
        line.push(' ');
        line.push_str(&text);
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
            dependencies: "TASK-0001, TASK-0002".into(),
        }
    }

    #[test]
    fn rows_render_in_the_tables_column_order() {
        let table = parse_index(INDEX).table.unwrap();
        assert_eq!(
            render_row(&table, &values()),
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
            render_row(&namespaced, &fw),
            "| FW | 0003 | Three \\| pipes | @cy | backlog | active |"
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
        let mut rows: Vec<String> = values.iter().map(|v| render_row(&table, v)).collect();
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
