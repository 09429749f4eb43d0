//! How the index rules read a row: through the table's header (or the inbox template's
//! shorter shape), as the task it lists and the links it holds; shared by the checks and
//! their fixes.

use crate::base::TextRange;
use crate::db::layout::{file_name, index_covers, namespace_of_dir};
use crate::db::vocab::Stage;
use crate::db::{IndexFile, LoadProblem, Task, Workspace};
use crate::ide::index_links::link_text;
use crate::syntax::index_table::{
    Cell, CellLink, Column, IndexRow, IndexTable, dependency_refs, row_task_id,
};
use crate::syntax::task_id::{TaskId, parse_folder_name, parse_task_ref};

/// Whether `index` is one that should list `task`.
pub(crate) fn covers(workspace: &Workspace, index: &IndexFile, task: &Task) -> bool {
    index_covers(workspace, index, task, task.stage)
}

/// A row read through the table's header, or through the inbox template's shorter shape.
pub(crate) struct RowView<'r> {
    pub id: Option<(TaskId, TextRange)>,
    pub id_cell: Option<&'r Cell>,
    pub name: Option<&'r Cell>,
    pub dri: Option<&'r Cell>,
    pub stage: Option<&'r Cell>,
    pub status: Option<&'r Cell>,
    pub dependencies: Option<&'r Cell>,
}

pub(crate) fn view<'r>(
    row: &'r IndexRow,
    table: &IndexTable,
    index: &IndexFile,
    namespace: Option<&str>,
) -> RowView<'r> {
    let template_shape = index.stage == Some(Stage::Inbox)
        && row.cells.len() == 5
        && row.cells.len() < table.header.len()
        && row
            .cells
            .get(3)
            .is_some_and(|cell| Stage::parse(&cell.text).is_some());
    if template_shape {
        let id = parse_task_ref(&row.cells[0].text)
            .map(|(id, _)| (id.resolved_in(namespace), row.cells[0].value_range()));
        return RowView {
            id,
            id_cell: row.cells.first(),
            name: row.cells.get(1),
            dri: row.cells.get(2),
            stage: row.cells.get(3),
            status: None,
            dependencies: row.cells.get(4),
        };
    }
    RowView {
        id: row_task_id(row, table).map(|(id, range)| (id.resolved_in(namespace), range)),
        id_cell: row.cell(table, Column::Id),
        name: row.cell(table, Column::Name),
        dri: row.cell(table, Column::Dri),
        stage: row.cell(table, Column::Stage),
        status: row.cell(table, Column::Status),
        dependencies: row.cell(table, Column::Dependencies),
    }
}

/// A folder carrying task `id` that the loader found in tasks root `root` but did not read (a
/// link, which is never followed): the task is there, only unseen, so a row naming it is not
/// a phantom to remove.
pub(crate) fn unread_task_folder<'w>(
    workspace: &'w Workspace,
    root: usize,
    id: &TaskId,
) -> Option<&'w LoadProblem> {
    workspace.roots[root]
        .layout_problems
        .iter()
        .find(|problem| {
            parse_folder_name(file_name(&problem.rel)).is_some_and(|(folder, _)| folder == *id)
        })
}

/// The task a row of `index` lists, read the way the index rules read it (the inbox
/// template's short rows included), with the ID cell's range.
pub(crate) fn row_task(
    row: &IndexRow,
    table: &IndexTable,
    index: &IndexFile,
) -> Option<(TaskId, TextRange)> {
    let namespace = index.namespace_dir.as_deref().and_then(namespace_of_dir);
    view(row, table, index, namespace.as_deref()).id
}

/// The task a row of `index` lists, as the index rules take it: one of that ID the index
/// covers (None for a phantom row).
pub(crate) fn row_owner<'w>(
    workspace: &'w Workspace,
    index: &IndexFile,
    id: &TaskId,
) -> Option<&'w Task> {
    let root = workspace.file(index.file).root;
    workspace
        .owners(root, id)
        .iter()
        .map(|&idx| workspace.task(idx))
        .find(|task| covers(workspace, index, task))
}

/// Each link of a row with the task it must lead to: the row's `task` for a link filling
/// the ID or Name cell, the task its text names for a link in the Dependencies cell.
pub(crate) fn row_links<'r, 'w>(
    workspace: &'w Workspace,
    namespace: Option<&'r str>,
    row_view: &RowView<'r>,
    task: &'w Task,
) -> impl Iterator<Item = (&'r CellLink, &'w Task)> {
    let own = [row_view.id_cell, row_view.name]
        .into_iter()
        .flatten()
        .filter_map(Cell::whole_link)
        .map(move |link| (link, task));
    let dependencies = row_view
        .dependencies
        .into_iter()
        .flat_map(|cell| cell.links().iter().map(move |link| (link, cell)))
        .filter_map(move |(link, cell)| {
            let (id, _) = parse_task_ref(link_text(cell, link).trim())?;
            let dependency = workspace.lookup_in(task.root, &id.resolved_in(namespace))?;
            Some((link, dependency))
        });
    own.chain(dependencies)
}

/// The tasks a Dependencies cell names, read in `task`'s namespace, sorted and without
/// repeats (so they compare with [`ExpectedRow::dependencies`]).
pub(crate) fn cell_dependencies(cell: &Cell, task: &Task) -> Vec<TaskId> {
    let mut ids: Vec<TaskId> = dependency_refs(cell)
        .into_iter()
        .map(|(id, _)| id.resolved_in(task.namespace()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Index cells may wrap values in backticks or quotes; compare what they say.
pub(crate) fn same_text(cell: &str, card: &str) -> bool {
    let clean = |text: &str| {
        text.trim()
            .trim_matches(['`', '"', '\''])
            .trim()
            .to_string()
    };
    clean(cell) == clean(card)
}
