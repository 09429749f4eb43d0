//! The fixes of the index rules: index-missing-row, index-phantom-row, index-duplicate-row,
//! index-row-mismatch and index-broken-link. The card is the source of truth (WF0 rule 4),
//! so rows are written from it, linked the way the index links its rows; and the helper other
//! fixes use to keep rows in step with a card they change.

use super::rows::{
    cell_dependencies, covers, row_links, row_owner, row_task, same_text, unread_task_folder, view,
};
use crate::db::index_row::expected_row;
use crate::db::layout::namespace_of_dir;
use crate::db::{FileId, IndexFile, Parsed, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::fix::{Fixes, rewrite};
use crate::db::flow::ledger_ahead_or_behind;
use crate::ide::edit::index_rows::{
    Linking, RowValues, dependency_cell, escape_cell, insert_row, placed, remove_row_at,
    render_cells, render_row, row_cells,
};
use crate::ide::edit::{line_content_end, line_start, splice};
use crate::ide::index_links::{TaskPlace, corrected_target};
use crate::ide::source_change::SourceChange;
use crate::ide::types::{Diagnostic, FixData, Rule};
use crate::syntax::index_table::{Cell, Column, IndexRow, IndexTable, ParsedIndex};
use crate::syntax::task_id::TaskId;

/// Whether `d` (a diagnostic of an index rule) is about a task whose ledger puts it in another
/// stage than its folder: its file's task, the task at its other end, or its row's task.
/// Index rows say where a task is; while its ledger and its folder disagree, a row written
/// from the folder would contradict the ledger. Finishing the move (the ledger-stage-drift
/// fix) rewrites them, so until then the index fixes offer nothing.
fn waits_for_the_ledger(ws: &Workspace, d: &Diagnostic) -> bool {
    let drifts = |idx: &TaskIdx| ledger_ahead_or_behind(ws, *idx).is_some();
    let own = ws.task_idx_of_file(d.file);
    let related = d
        .related
        .iter()
        .filter_map(|related| ws.task_idx_of_file(related.file));
    own.into_iter().chain(related).any(|idx| drifts(&idx))
        || row_tasks_at(ws, d.file, d.range.start).iter().any(drifts)
}

/// index-missing-row: add the task's row to the index that lacks it (the rule names both;
/// with no index to add to it names none, and there is no fix).
pub(in crate::ide::diagnostics) fn fix_missing_row(
    ws: &Workspace,
    d: &Diagnostic,
    fixes: &mut Fixes,
) {
    if waits_for_the_ledger(ws, d) {
        return;
    }
    let Some(FixData::MissingRow {
        task: idx,
        index: index_file,
    }) = d.fix
    else {
        return;
    };
    let task = ws.task(idx);
    let Some(table) = table_of(ws, index_file) else {
        return;
    };
    let linking = Linking::of(ws, index_file, table);
    let line = render_row(table, &linking, &RowValues::of_task(ws, idx));
    let text = &ws.file(index_file).text;
    fixes.change(
        format!("Add a row for {} to {}", task.id, ws.file(index_file).rel),
        true,
        rewrite(ws, index_file, insert_row(text, &line)),
    );
}

/// index-phantom-row and index-duplicate-row: remove the row the diagnostic is on (a
/// duplicate is reported on the later row, so the first one stays).
pub(in crate::ide::diagnostics) fn fix_extra_row(
    ws: &Workspace,
    d: &Diagnostic,
    fixes: &mut Fixes,
) {
    if waits_for_the_ledger(ws, d) {
        return;
    }
    // A row naming a task whose folder is there but was not read (a link) lists a real task:
    // removing it would lose the row the moment the link is replaced by the folder.
    if d.rule == Rule::IndexPhantomRow
        && let Some((index, table)) = index_with_table(ws, d.file)
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

/// index-row-mismatch: rewrite the row from the card, linked as the index links its rows.
/// The row keeps its own spelling of the ID and namespace, the cells of columns the analysis
/// does not know, and its Flags unless the status they describe changes (kept cells as
/// written, markup and all).
pub(in crate::ide::diagnostics) fn fix_row_mismatch(
    ws: &Workspace,
    d: &Diagnostic,
    fixes: &mut Fixes,
) {
    let Some((index, table)) = index_to_fix(ws, d) else {
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
    let file = ws.file(d.file);
    let text = &file.text;
    let mut values = RowValues::of_task(ws, idx);
    let expected = values.clone();
    let kept = |column: Column| row.cell(table, column);
    if let Some(id) = kept(Column::Id) {
        values.id.clone_from(&id.text);
    }
    if let Some(namespace) = kept(Column::Namespace) {
        values.namespace.clone_from(&namespace.text);
    }
    let mut cells = row_cells(table, &Linking::of(ws, d.file, table), &values);
    let status_unchanged =
        kept(Column::Status).is_some_and(|status| same_text(&status.text, &expected.status));
    let flags_at = table.position(Column::Flags).filter(|_| status_unchanged);
    // Columns the analysis does not know are rendered empty; put back what the row had.
    for (position, cell) in cells.iter_mut().enumerate() {
        let unknown = table.columns.iter().all(|&(_, at)| at != position);
        if (unknown || flags_at == Some(position))
            && let Some(old) = row.cells.get(position)
        {
            *cell = old.range.slice(text).to_string();
        }
    }
    let line = render_cells(&cells);
    // The diagnostic is on the task's first row in this index; that very line is rewritten.
    let start = line_start(text, row.range.start as usize);
    let end = line_content_end(text, row.range.start as usize);
    fixes.change(
        format!("Rewrite the row for {} from its card", ws.task(idx).id),
        true,
        rewrite(ws, d.file, Some(splice(text, start, end, &line))),
    );
}

/// index-broken-link: point the link at where its task is, in the form the target had (card
/// or folder, `./`, its `#section`). The diagnostic is on the target (on the whole link when
/// the target is blank), which finds the link again.
pub(in crate::ide::diagnostics) fn fix_broken_link(
    ws: &Workspace,
    d: &Diagnostic,
    fixes: &mut Fixes,
) {
    let Some((index, table)) = index_to_fix(ws, d) else {
        return;
    };
    let at = table
        .rows
        .partition_point(|row| row.range.end < d.range.start);
    let Some(row) = table.rows.get(at) else {
        return;
    };
    let namespace = index.namespace_dir.as_deref().and_then(namespace_of_dir);
    let row_view = view(row, table, index, namespace.as_deref());
    let Some(task) = row_view
        .id
        .as_ref()
        .and_then(|(id, _)| row_owner(ws, index, id))
    else {
        return;
    };
    let Some((link, target_task)) = row_links(ws, namespace.as_deref(), &row_view, task)
        .find(|(link, _)| link.target_range == d.range || link.range == d.range)
    else {
        return;
    };
    let file = ws.file(d.file);
    let place = TaskPlace::of(ws, target_task);
    let old = link.target(&file.text);
    let target = corrected_target(&file.rel, &old, &place, &table.link_style);
    let range = link.target_range;
    fixes.change(
        format!("Link to `{target}`"),
        true,
        rewrite(
            ws,
            d.file,
            Some(splice(
                &file.text,
                range.start as usize,
                range.end as usize,
                &target,
            )),
        ),
    );
}

/// A cell a card change sets in the task's index rows.
pub(crate) enum Follow<'a> {
    Status(&'a str),
    /// The new `depends_on`, sorted and without repeats.
    Dependencies(&'a [TaskId]),
}

/// Edits keeping task `idx`'s index rows in step with a change to its card: each row whose
/// cell agrees with the card as it is now is set to the new value (linked where the index
/// links that column). Rows that already disagree are left alone; index-row-mismatch reports
/// them and its fix rewrites them.
pub(crate) fn follow_card(ws: &Workspace, idx: TaskIdx, new: Follow) -> Vec<SourceChange> {
    let task = ws.task(idx);
    let expected = expected_row(task);
    let (column, agrees): (Column, &dyn Fn(&Cell) -> bool) = match new {
        Follow::Dependencies(_) => (Column::Dependencies, &|cell: &Cell| {
            expected
                .dependencies
                .as_ref()
                .is_some_and(|deps| cell_dependencies(cell, task) == *deps)
        }),
        Follow::Status(_) => (Column::Status, &|cell: &Cell| {
            expected
                .status
                .is_some_and(|status| same_text(&cell.text, status.name()))
        }),
    };
    let dependencies = match new {
        Follow::Dependencies(ids) => placed(ws, task.root, ids),
        Follow::Status(_) => Vec::new(),
    };
    indexes_of(ws, task)
        .filter_map(|(index, table)| {
            let cell = row_of(table, index, task)?.cell(table, column)?;
            if !agrees(cell) {
                return None;
            }
            let file = ws.file(index.file);
            let value = match new {
                Follow::Status(status) => escape_cell(status),
                Follow::Dependencies(_) => {
                    dependency_cell(&dependencies, &Linking::of(ws, index.file, table))
                }
            };
            let text = &file.text;
            let new = splice(
                text,
                cell.range.start as usize,
                cell.range.end as usize,
                &value,
            );
            SourceChange::rewrite(index.file, text, &new)
        })
        .collect()
}

/// The indexes that should list `task`, with their task tables.
pub(super) fn indexes_of<'w>(
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
pub(super) fn row_of<'t>(
    table: &'t IndexTable,
    index: &IndexFile,
    task: &Task,
) -> Option<&'t IndexRow> {
    table
        .rows
        .iter()
        .find(|row| row_task(row, table, index).is_some_and(|(id, _)| id == task.id))
}

/// The tasks named by the row of index `file` that holds byte `offset`.
fn row_tasks_at(ws: &Workspace, file: FileId, offset: u32) -> &[TaskIdx] {
    let Some((index, table)) = index_with_table(ws, file) else {
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

/// The index a diagnostic lies in and its task table, when a fix may rewrite its rows (none
/// while the ledger and the folder of a task it is about disagree).
fn index_to_fix<'w>(ws: &'w Workspace, d: &Diagnostic) -> Option<(&'w IndexFile, &'w IndexTable)> {
    if waits_for_the_ledger(ws, d) {
        return None;
    }
    index_with_table(ws, d.file)
}

/// The index `file` is, with its task table.
fn index_with_table(ws: &Workspace, file: FileId) -> Option<(&IndexFile, &IndexTable)> {
    let index = ws.roots[ws.file(file).root]
        .indexes
        .iter()
        .find(|index| index.file == file)?;
    Some((index, table_of(ws, file)?))
}

pub(super) fn table_of(ws: &Workspace, file: FileId) -> Option<&IndexTable> {
    match &ws.file(file).parsed {
        Parsed::Index(ParsedIndex {
            table: Some(table), ..
        }) => Some(table),
        _ => None,
    }
}

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use crate::ide::diagnostics::check_fix::{ROOT_ROWS, STAGE_ROWS, check_fix, indexed};
    use crate::ide::types::Rule;

    #[test]
    fn row_added_to_the_stage_index() {
        let fixture = indexed(
            "blocks: [\"0002\"]",
            "depends_on: [TASK-0001]",
            &ROOT_ROWS.replace(
                "| 0002 | Task 0002 | @ana | backlog | active | - | - |",
                "| 0002 | Task 0002 | @ana | backlog | active | - | TASK-0001 |",
            ),
            "| 0001 | Task 0001 | @ana | active | - | - |\n",
        );
        check_fix(
            &fixture,
            Rule::IndexMissingRow,
            "Add a row",
            expect![[r#"
        Add a row for TASK-0002 to backlog/INDEX.md (safe)
        backlog/INDEX.md:8:1 `` -> `| 0002 | Task 0002 | @ana | active | - | TASK-0001 |⏎`
          = | 0002 | Task 0002 | @ana | active | - | TASK-0001 |
    "#]],
        );
    }

    #[test]
    fn row_added_to_the_root_index_before_the_notes_below_it() {
        let fixture = indexed(
            "",
            "",
            "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n",
            STAGE_ROWS,
        );
        check_fix(
            &fixture,
            Rule::IndexMissingRow,
            "Add a row",
            expect![[r#"
        Add a row for TASK-0002 to INDEX.md (safe)
        INDEX.md:6:1 `` -> `| 0002 | Task 0002 | @ana | backlog | active | - | - |⏎`
          = | 0002 | Task 0002 | @ana | backlog | active | - | - |
    "#]],
        );
    }

    #[test]
    fn phantom_row_removed() {
        let fixture = indexed(
            "",
            "",
            ROOT_ROWS,
            &format!("{STAGE_ROWS}| 0009 | Ghost | @ana | active | - | - |\n"),
        );
        check_fix(
            &fixture,
            Rule::IndexPhantomRow,
            "Remove the row",
            expect![[r#"
        Remove the row for `0009` (safe)
        backlog/INDEX.md:9:1 `| 0009 | Ghost | @ana | active | - | - |⏎` -> ``
    "#]],
        );
    }

    #[test]
    fn later_duplicate_removed() {
        let fixture = indexed(
            "",
            "",
            ROOT_ROWS,
            &format!("{STAGE_ROWS}| TASK-0001 | Task 0001 | @ana | active | - | - |\n"),
        );
        check_fix(
            &fixture,
            Rule::IndexDuplicateRow,
            "Remove the row",
            expect![[r#"
        Remove the row for `TASK-0001` (safe)
        backlog/INDEX.md:9:1 `| TASK-0001 | Task 0001 | @ana | active | - | - |⏎` -> ``
    "#]],
        );
    }

    #[test]
    fn mismatched_row_rewritten_from_the_card() {
        let fixture = indexed(
            "",
            "",
            ROOT_ROWS,
            "| 0001 | Task 0001 | @ana | active | - | - |\n| 0002 | Old name | @bo | blocked | blocked(TASK-0001) | - |\n",
        );
        check_fix(
            &fixture,
            Rule::IndexRowMismatch,
            "Rewrite the row",
            expect![[r#"
        Rewrite the row for TASK-0002 from its card (safe)
        backlog/INDEX.md:8:10 `Old name | @bo | blocked | blocked(TASK-0001)` -> `Task 0002 | @ana | active | -`
          = | 0002 | Task 0002 | @ana | active | - | - |
    "#]],
        );
    }

    #[test]
    fn a_link_leading_elsewhere_pointed_at_the_task_in_the_form_it_had() {
        let fixture = indexed(
        "",
        "depends_on: [TASK-0001]",
        &ROOT_ROWS.replace(
            "| 0002 | Task 0002 | @ana | backlog | active | - | - |",
            "| 0002 | Task 0002 | @ana | backlog | active | - | [TASK-0001](./next/TASK-0001-a/#goal) |",
        ),
        &STAGE_ROWS.replace(
            "| 0002 | Task 0002 | @ana | active | - | - |",
            "| 0002 | Task 0002 | @ana | active | - | TASK-0001 |",
        ),
    );
        check_fix(
            &fixture,
            Rule::IndexBrokenLink,
            "Link to",
            expect![[r#"
        Link to `./backlog/TASK-0001-a/#goal` (safe)
        INDEX.md:6:66 `next` -> `backlog`
          = | 0002 | Task 0002 | @ana | backlog | active | - | [TASK-0001](./backlog/TASK-0001-a/#goal) |
    "#]],
        );
    }
}
