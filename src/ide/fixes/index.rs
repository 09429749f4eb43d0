//! Fixes of INDEX.md files: index-missing-row, index-phantom-row, index-duplicate-row and
//! index-row-mismatch. The card is the source of truth (WF0 rule 4), so rows are written
//! from it; and the helper other fixes use to keep rows in step with a card they change.

use crate::db::{FileId, IndexFile, Parsed, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::index::{
    cell_dependencies, covers, expected_row, row_task, same_text, unread_task_folder,
};
use crate::ide::edit::index_rows::{
    RowValues, escape_cell, insert_row, remove_row_at, render_cells, render_row, row_cells,
};
use crate::ide::edit::{line_content_end, line_start, splice};
use crate::ide::fixes::{Fixes, rewrite};
use crate::ide::source_change::SourceChange;
use crate::ide::types::{Diagnostic, Rule};
use crate::syntax::index_table::{Cell, Column, IndexRow, IndexTable, ParsedIndex};

/// index-missing-row: add the task's row to the index that lacks it. The card's diagnostic
/// about the root index names that index as related; the one about the stage index does
/// not, and the index is found again. With no such index there is nothing to add to.
pub(super) fn missing_row(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let (idx, index_file) = match ws.task_idx_of_file(d.file) {
        Some(idx) => {
            let task = ws.task(idx);
            let index = match d.related.first() {
                Some(related) => Some(related.file),
                // "not listed in a root INDEX.md (there is none)": nowhere to add it.
                None if d.message.contains("root INDEX.md") => None,
                None => indexes_of(ws, task)
                    .find(|(index, table)| {
                        index.stage.is_some() && row_of(table, index, task).is_none()
                    })
                    .map(|(index, _)| index.file),
            };
            let Some(index) = index else {
                return;
            };
            (idx, index)
        }
        // The root index's own diagnostic points at the card it misses.
        None => {
            let Some(idx) = d
                .related
                .first()
                .and_then(|related| ws.task_idx_of_file(related.file))
            else {
                return;
            };
            (idx, d.file)
        }
    };
    let task = ws.task(idx);
    let Some(table) = table_of(ws, index_file) else {
        return;
    };
    let line = render_row(table, &RowValues::of_task(ws, idx));
    let text = &ws.file(index_file).text;
    fixes.change(
        format!("Add a row for {} to {}", task.id, ws.file(index_file).rel),
        true,
        rewrite(ws, index_file, insert_row(text, &line)),
    );
}

/// index-phantom-row and index-duplicate-row: remove the row the diagnostic is on (a
/// duplicate is reported on the later row, so the first one stays).
pub(super) fn extra_row(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    // A row naming a task whose folder is there but was not read (a link) lists a real task:
    // removing it would lose the row the moment the link is replaced by the folder.
    if d.rule == Rule::IndexPhantomRow
        && let Some(index) = index_file(ws, d.file)
        && let Some(table) = table_of(ws, d.file)
        && let Some(row) = table
            .rows
            .iter()
            .find(|row| row.range.start <= d.range.start && d.range.end <= row.range.end)
        && let Some((id, _)) = row_task(row, table, index)
        && unread_task_folder(ws, ws.file(d.file).root, &id).is_some()
    {
        return;
    }
    let text = &ws.file(d.file).text;
    let name = d.range.slice(text);
    fixes.change(
        format!("Remove the row for `{name}`"),
        true,
        rewrite(ws, d.file, remove_row_at(text, d.range.start as usize)),
    );
}

/// index-row-mismatch: rewrite the row from the card. The row keeps its own spelling of the
/// ID and namespace, the cells of columns the analysis does not know, and its Flags unless
/// the status they describe changes.
pub(super) fn row_mismatch(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(index) = index_file(ws, d.file) else {
        return;
    };
    let Some(table) = table_of(ws, d.file) else {
        return;
    };
    let Some(row) = table.rows.iter().find(|row| row.range == d.range) else {
        return;
    };
    let Some((id, _)) = row_task(row, table, index) else {
        return;
    };
    let Some(&idx) = ws
        .owners(ws.file(d.file).root, &id)
        .iter()
        .find(|&&idx| covers(ws, index, ws.task(idx)))
    else {
        return;
    };
    let mut values = RowValues::of_task(ws, idx);
    let expected = values.clone();
    let kept = |column: Column| row.cell(table, column).map(|cell| cell.text.clone());
    if let Some(id) = kept(Column::Id) {
        values.id = id;
    }
    if let Some(namespace) = kept(Column::Namespace) {
        values.namespace = namespace;
    }
    let status_unchanged =
        kept(Column::Status).is_some_and(|status| same_text(&status, &expected.status));
    if let Some(flags) = kept(Column::Flags).filter(|_| status_unchanged) {
        values.flags = flags;
    }
    // Columns the analysis does not know are rendered empty; put back what the row had.
    let mut cells = row_cells(table, &values);
    for (position, cell) in cells.iter_mut().enumerate() {
        if table.columns.iter().all(|&(_, at)| at != position)
            && let Some(old) = row.cells.get(position)
        {
            cell.clone_from(&old.text);
        }
    }
    let line = render_cells(&cells);
    // The diagnostic is on the task's first row in this index; that very line is rewritten.
    let text = &ws.file(d.file).text;
    let start = line_start(text, row.range.start as usize);
    let end = line_content_end(text, row.range.start as usize);
    fixes.change(
        format!("Rewrite the row for {} from its card", ws.task(idx).id),
        true,
        rewrite(ws, d.file, Some(splice(text, start, end, &line))),
    );
}

/// Edits keeping task `idx`'s index rows in step with a change to its card: each row whose
/// `column` cell agrees with the card as it is now is set to `value`. Rows that already
/// disagree are left alone; index-row-mismatch reports them and its fix rewrites them.
pub(super) fn follow_card(
    ws: &Workspace,
    idx: TaskIdx,
    column: Column,
    value: &str,
) -> Vec<SourceChange> {
    let task = ws.task(idx);
    let expected = expected_row(task);
    let agrees = |cell: &Cell| match column {
        Column::Dependencies => expected
            .dependencies
            .as_ref()
            .is_some_and(|deps| cell_dependencies(cell, task) == *deps),
        Column::Status => expected
            .status
            .is_some_and(|status| same_text(&cell.text, status.name())),
        _ => false,
    };
    indexes_of(ws, task)
        .filter_map(|(index, table)| {
            let cell = row_of(table, index, task)?.cell(table, column)?;
            if !agrees(cell) {
                return None;
            }
            let text = &ws.file(index.file).text;
            let new = splice(
                text,
                cell.range.start as usize,
                cell.range.end as usize,
                &escape_cell(value),
            );
            SourceChange::rewrite(index.file, text, &new)
        })
        .collect()
}

/// The indexes that should list `task`, with their task tables.
fn indexes_of<'w>(
    ws: &'w Workspace,
    task: &'w Task,
) -> impl Iterator<Item = (&'w IndexFile, &'w IndexTable)> {
    ws.roots[task.root]
        .indexes
        .iter()
        .filter(move |index| covers(ws, index, task))
        .filter_map(move |index| Some((index, table_of(ws, index.file)?)))
}

/// The first row of `table` listing `task`.
fn row_of<'t>(table: &'t IndexTable, index: &IndexFile, task: &Task) -> Option<&'t IndexRow> {
    table
        .rows
        .iter()
        .find(|row| row_task(row, table, index).is_some_and(|(id, _)| id == task.id))
}

/// The tasks named by the row of index `file` that holds byte `offset`.
pub(super) fn row_tasks_at(ws: &Workspace, file: FileId, offset: u32) -> &[TaskIdx] {
    let (Some(index), Some(table)) = (index_file(ws, file), table_of(ws, file)) else {
        return &[];
    };
    let row = table
        .rows
        .iter()
        .find(|row| row.range.start <= offset && offset <= row.range.end);
    match row.and_then(|row| row_task(row, table, index)) {
        Some((id, _)) => ws.owners(ws.file(file).root, &id),
        None => &[],
    }
}

fn index_file(ws: &Workspace, file: FileId) -> Option<&IndexFile> {
    ws.roots[ws.file(file).root]
        .indexes
        .iter()
        .find(|index| index.file == file)
}

fn table_of(ws: &Workspace, file: FileId) -> Option<&IndexTable> {
    match &ws.file(file).parsed {
        Parsed::Index(ParsedIndex {
            table: Some(table), ..
        }) => Some(table),
        _ => None,
    }
}
