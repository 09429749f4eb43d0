//! Rules on INDEX.md files (WF0 rules 2 and 4): index-missing-row, index-phantom-row,
//! index-duplicate-row, index-row-mismatch, index-table and index-broken-link.
//!
//! Every index covers a scope: a stage index the tasks of its stage (within its namespace
//! folder, if it sits in one), a root index every task of the root (or of its namespace
//! folder). A task needs a row in a stage index and in a root index covering it.

use std::collections::HashMap;
use crate::base::TextRange;
use crate::db::index_row::{expected_row, show_dependencies};
use crate::db::layout::{file_name, index_covers, namespace_of_dir};
use crate::db::mentions::MentionKind;
use crate::db::vocab::Stage;
use crate::db::{FileId, IndexFile, LoadProblem, Parsed, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::{RuleModule, task_anchor};
use crate::ide::index_links::{PlaceRef, TaskPlace, corrected_target, leads_to, link_text};
use crate::ide::types::{Diagnostic, FixData, Rule, Severity};
use crate::syntax::index_table::{Cell, CellLink, Column, IndexRow, IndexTable, ParsedIndex, dependency_refs, row_task_id};
use crate::syntax::task_id::{TaskId, parse_folder_name, parse_task_ref};

mod fix;

pub(crate) use fix::{Follow, follow_card};

/// One INDEX.md on its own: its table, and rows that name no task of its scope or name one
/// twice. (Each task's own rows are checked with the task.)
pub(super) fn check_index(
    workspace: &Workspace,
    root_index: usize,
    index: &IndexFile,
    out: &mut Vec<Diagnostic>,
) {
    let Parsed::Index(parsed) = &workspace.file(index.file).parsed else {
        return;
    };
    if let Some(table) = usable_table(workspace, index, parsed, out) {
        check_rows(workspace, root_index, index, table, out);
    }
}

/// One task against the indexes that should list it: its rows must agree with its card,
/// and a stage index and a root index must each have one. Rows are found through the
/// mention index, so this costs the task's own rows, not the index's size.
pub(super) fn check_task(workspace: &Workspace, idx: TaskIdx, out: &mut Vec<Diagnostic>) {
    let task = workspace.task(idx);
    let root = &workspace.roots[task.root];
    let mut listed_in_stage = false;
    let mut listed_in_root = false;
    let mut seen_files: Vec<FileId> = Vec::new();
    for (file, range, kind) in workspace.mentions_of(task.root, &task.id) {
        if kind != MentionKind::IndexRow || seen_files.contains(&file) {
            continue;
        }
        let Some(index) = root.indexes.iter().find(|index| index.file == file) else {
            continue;
        };
        if !covers(workspace, index, task) {
            continue; // a phantom row, reported with the index
        }
        let Parsed::Index(ParsedIndex {
            table: Some(table), ..
        }) = &workspace.file(file).parsed
        else {
            continue;
        };
        // The first row of this task in this index (a second one is a duplicate).
        let at = table
            .rows
            .partition_point(|row| row.range.end < range.start);
        let Some(row) = table
            .rows
            .get(at)
            .filter(|row| row.range.start <= range.start)
        else {
            continue;
        };
        seen_files.push(file);
        if index.stage.is_some() {
            listed_in_stage = true;
        } else {
            listed_in_root = true;
        }
        let namespace = index.namespace_dir.as_deref().and_then(namespace_of_dir);
        let row_view = view(row, table, index, namespace.as_deref());
        check_mismatch(workspace, file, row, &row_view, task, out);
    }
    let Some((card, anchor)) = task_anchor(workspace, task) else {
        return;
    };
    report_missing(
        workspace,
        task,
        card,
        anchor,
        listed_in_stage,
        listed_in_root,
        out,
    );
}

#[allow(clippy::too_many_arguments)]
fn report_missing(
    workspace: &Workspace,
    task: &Task,
    card: FileId,
    anchor: TextRange,
    listed_in_stage: bool,
    listed_in_root: bool,
    out: &mut Vec<Diagnostic>,
) {
    let root = &workspace.roots[task.root];
    // An index over the file cap was not read: it may well list the task.
    let unread = |indexes: &[&IndexFile]| {
        indexes
            .iter()
            .any(|index| workspace.file(index.file).is_oversized())
    };
    let stage_indexes: Vec<&IndexFile> = root
        .indexes
        .iter()
        .filter(|index| index.stage.is_some() && covers(workspace, index, task))
        .collect();
    let root_indexes: Vec<&IndexFile> = root
        .indexes
        .iter()
        .filter(|index| index.stage.is_none() && covers(workspace, index, task))
        .collect();
    if !listed_in_stage && !unread(&stage_indexes) {
        let message = match stage_indexes.first() {
            Some(index) => format!(
                "{} has no row in {}; add it to keep the index true",
                task.id,
                workspace.file(index.file).rel
            ),
            None => {
                // The stage index of a task sits beside its folder (`inbox/INDEX.md`,
                // `fw/inbox/INDEX.md`, `inbox/fw/INDEX.md`).
                let stage_dir = task.folder.rsplit_once('/').map_or("", |(dir, _)| dir);
                let index_rel = format!("{stage_dir}/INDEX.md");
                match workspace.load_problem(task.root, &index_rel) {
                    Some(problem) => format!(
                        "{} is in {} but {index_rel} was not read ({}), so nothing lists it",
                        task.id, task.stage, problem.message
                    ),
                    None => format!(
                        "{} is in {} but there is no {}/INDEX.md listing it",
                        task.id, task.stage, task.stage
                    ),
                }
            }
        };
        let mut diagnostic = Diagnostic::new(Rule::IndexMissingRow, card, anchor, message);
        // The fix adds the row to the first stage index with a table that lacks it.
        let lacking = fix::indexes_of(workspace, task).find(|(index, table)| {
            index.stage.is_some() && fix::row_of(table, index, task).is_none()
        });
        if let (Some(idx), Some((index, _))) = (workspace.task_idx_of_file(card), lacking) {
            diagnostic = diagnostic.with_fix(FixData::MissingRow {
                task: idx,
                index: index.file,
            });
        }
        out.push(diagnostic);
    }
    if !listed_in_root && !unread(&root_indexes) {
        let Some(index) = root_indexes.first() else {
            let message = match workspace.load_problem(task.root, "INDEX.md") {
                Some(problem) => format!(
                    "{} is not listed in a root INDEX.md (INDEX.md was not read: {})",
                    task.id, problem.message
                ),
                None => format!(
                    "{} is not listed in a root INDEX.md (there is none)",
                    task.id
                ),
            };
            out.push(Diagnostic::new(
                Rule::IndexMissingRow,
                card,
                anchor,
                message,
            ));
            return;
        };
        let index_name = &workspace.file(index.file).rel;
        // Reported on the card and on the index; one fix for both.
        let fix = workspace
            .task_idx_of_file(card)
            .map(|idx| FixData::MissingRow {
                task: idx,
                index: index.file,
            });
        let on_card = Diagnostic::new(
            Rule::IndexMissingRow,
            card,
            anchor,
            format!("{} has no row in the root index {index_name}", task.id),
        )
        .with_related(
            index.file,
            header_range(workspace, index.file),
            "the root index",
        );
        let on_index = Diagnostic::new(
            Rule::IndexMissingRow,
            index.file,
            header_range(workspace, index.file),
            format!("{} ({}) has no row in this index", task.id, task.stage),
        )
        .with_related(card, anchor, format!("{} is declared here", task.id));
        out.extend([on_card, on_index].map(|diagnostic| match fix.clone() {
            Some(fix) => diagnostic.with_fix(fix),
            None => diagnostic,
        }));
    }
}

fn header_range(workspace: &Workspace, file: FileId) -> TextRange {
    match &workspace.file(file).parsed {
        Parsed::Index(ParsedIndex {
            table: Some(table), ..
        }) => table.header_range,
        _ => first_line(&workspace.file(file).text),
    }
}

fn first_line(text: &str) -> TextRange {
    let end = text.find(['\r', '\n']).unwrap_or(text.len());
    TextRange::new(0, end)
}

/// Whether `index` is one that should list `task`.
pub(crate) fn covers(workspace: &Workspace, index: &IndexFile, task: &Task) -> bool {
    index_covers(workspace, index, task, task.stage)
}

/// The index's task table, or None after reporting index-table when it has none or lacks a
/// required column.
fn usable_table<'p>(
    workspace: &Workspace,
    index: &IndexFile,
    parsed: &'p ParsedIndex,
    out: &mut Vec<Diagnostic>,
) -> Option<&'p IndexTable> {
    let file = workspace.file(index.file);
    let Some(table) = &parsed.table else {
        let expected = expected_columns(index).join(" | ");
        out.push(Diagnostic::new(
            Rule::IndexTable,
            index.file,
            first_line(&file.text),
            format!(
                "{} has no task table; expected a markdown table with the columns | {expected} |",
                file.rel
            ),
        ));
        return None;
    };
    let missing: Vec<&str> = expected_columns(index)
        .into_iter()
        .filter(|name| {
            Column::from_header(name).is_some_and(|column| table.position(column).is_none())
        })
        .collect();
    if !missing.is_empty() {
        out.push(Diagnostic::new(
            Rule::IndexTable,
            index.file,
            table.header_range,
            format!(
                "the task table lacks the column{} {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            ),
        ));
    }
    Some(table)
}

/// The columns an index must have; Flags and Dependencies are optional, and so is Status in
/// the inbox (its template row is `ID | Name | DRI | Stage | Dependencies`).
fn expected_columns(index: &IndexFile) -> Vec<&'static str> {
    match index.stage {
        None => vec!["ID", "Name", "DRI", "Stage", "Status"],
        Some(Stage::Inbox) => vec!["ID", "Name", "DRI"],
        Some(_) => vec!["ID", "Name", "DRI", "Status"],
    }
}

/// A row read through the table's header, or through the inbox template's shorter shape.
pub(crate) struct RowView<'r> {
    pub id: Option<(TaskId, TextRange)>,
    pub id_cell: Option<&'r Cell>,
    pub name: Option<&'r Cell>,
    dri: Option<&'r Cell>,
    stage: Option<&'r Cell>,
    status: Option<&'r Cell>,
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

/// The task a row of `index` lists, read the way the index rules read it (the inbox
/// template's short rows included), with the ID cell's range.
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

pub(crate) fn row_task(
    row: &IndexRow,
    table: &IndexTable,
    index: &IndexFile,
) -> Option<(TaskId, TextRange)> {
    let namespace = index.namespace_dir.as_deref().and_then(namespace_of_dir);
    view(row, table, index, namespace.as_deref()).id
}

/// Checks every row's shape: an ID, listed once, naming a task this index covers.
fn check_rows(
    workspace: &Workspace,
    root_index: usize,
    index: &IndexFile,
    table: &IndexTable,
    out: &mut Vec<Diagnostic>,
) {
    let namespace = index.namespace_dir.as_deref().and_then(namespace_of_dir);
    let mut seen: HashMap<TaskId, TextRange> = HashMap::new();
    for row in &table.rows {
        let row_view = view(row, table, index, namespace.as_deref());
        let Some((id, id_range)) = row_view.id.clone() else {
            let text = row.cells.first().map_or("", |cell| cell.text.as_str());
            let range = row.cells.first().map_or(row.range, |cell| cell.range);
            out.push(Diagnostic::new(
                Rule::IndexTable,
                index.file,
                range,
                format!("`{text}` is not a task ID; each row starts with an ID such as 0042"),
            ));
            continue;
        };
        if let Some(&first) = seen.get(&id) {
            out.push(
                Diagnostic::new(
                    Rule::IndexDuplicateRow,
                    index.file,
                    id_range,
                    format!("{id} has more than one row in this index; keep one"),
                )
                .with_related(index.file, first, "the first row"),
            );
            continue;
        }
        seen.insert(id.clone(), id_range);
        if let Some(task) = row_owner(workspace, index, &id) {
            check_links(
                workspace,
                index,
                table,
                namespace.as_deref(),
                &row_view,
                task,
                out,
            );
        } else {
            let elsewhere = workspace
                .lookup_in(root_index, &id)
                .map(|task| format!(" (it is in {})", task.stage))
                .unwrap_or_default();
            // A task folder the loader did not read (a link leading elsewhere) is the likely
            // reason, and the one a writer cannot see from the file tree.
            let unread = unread_task_folder(workspace, root_index, &id)
                .map(|problem| {
                    format!(
                        " (`{}` is there but was not read: {})",
                        problem.rel, problem.message
                    )
                })
                .unwrap_or_default();
            let scope = match index.stage {
                Some(stage) => format!("no task in {stage} has that ID{elsewhere}{unread}"),
                None => format!("no task has that ID{unread}"),
            };
            out.push(Diagnostic::new(
                Rule::IndexPhantomRow,
                index.file,
                id_range,
                format!(
                    "this row lists {id}, but {scope}; remove the row or move it to the right index"
                ),
            ));
        }
    }
}

/// index-broken-link: the row's ID and Name links must lead to its task, and each link in
/// its Dependencies cell to the task the link's text names (one that names no task is left
/// to the dependency rules). Checked against where the model holds each task, never on disk.
fn check_links(
    workspace: &Workspace,
    index: &IndexFile,
    table: &IndexTable,
    namespace: Option<&str>,
    row_view: &RowView,
    task: &Task,
    out: &mut Vec<Diagnostic>,
) {
    for (link, target_task) in row_links(workspace, namespace, row_view, task) {
        if let Some(diagnostic) = broken_link(workspace, index, table, link, target_task) {
            out.push(diagnostic);
        }
    }
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

/// The diagnostic for `link` in `index` when it does not lead to `task`.
fn broken_link(
    workspace: &Workspace,
    index: &IndexFile,
    table: &IndexTable,
    link: &CellLink,
    task: &Task,
) -> Option<Diagnostic> {
    let file = workspace.file(index.file);
    let index_rel = &file.rel;
    let target = link.target(&file.text);
    let root = &workspace.roots[task.root].path;
    let place = PlaceRef::of(workspace, task);
    if leads_to(index_rel, &target, root, place)? {
        return None;
    }
    let right = corrected_target(
        index_rel,
        &target,
        &TaskPlace::from(place),
        &table.link_style,
    );
    let (range, message) = if target.trim().is_empty() {
        (
            link.range,
            format!("this link to {} leads nowhere; link to `{right}`", task.id),
        )
    } else {
        (
            link.target_range,
            format!(
                "`{}` is not where {} is; link to `{right}`",
                target, task.id
            ),
        )
    };
    Some(Diagnostic::new(
        Rule::IndexBrokenLink,
        index.file,
        range,
        message,
    ))
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

fn check_mismatch(
    workspace: &Workspace,
    file: FileId,
    row: &IndexRow,
    row_view: &RowView,
    task: &Task,
    out: &mut Vec<Diagnostic>,
) {
    let expected = expected_row(task);
    let mut differences: Vec<String> = Vec::new();
    let mut serious = false;
    let mut compare =
        |column: &str, cell: Option<&Cell>, card: Option<String>, is_serious: bool| {
            let (Some(cell), Some(card)) = (cell, card) else {
                return;
            };
            if !same_text(&cell.text, &card) {
                differences.push(format!(
                    "{column} is `{}` here but `{card}` on the card",
                    cell.text
                ));
                serious |= is_serious;
            }
        };
    compare(
        "Stage",
        row_view.stage,
        Some(expected.stage.name().to_string()),
        true,
    );
    compare(
        "Status",
        row_view.status,
        expected.status.map(|s| s.name().to_string()),
        true,
    );
    compare("Name", row_view.name, expected.name, false);
    compare("DRI", row_view.dri, expected.dri, false);
    if let (Some(cell), Some(on_card)) = (row_view.dependencies, &expected.dependencies) {
        let in_row = cell_dependencies(cell, task);
        if in_row != *on_card {
            differences.push(format!(
                "Dependencies are `{}` here but `{}` on the card",
                show_dependencies(&in_row),
                show_dependencies(on_card)
            ));
        }
    }
    if differences.is_empty() {
        return;
    }
    let severity = if serious {
        Severity::Error
    } else {
        Severity::Warning
    };
    let mut diagnostic = Diagnostic::new(
        Rule::IndexRowMismatch,
        file,
        row.range,
        format!(
            "the row for {} disagrees with its card: {}",
            task.id,
            differences.join("; ")
        ),
    )
    .with_severity(severity);
    if let Some((card, anchor)) = task_anchor(workspace, task) {
        diagnostic = diagnostic.with_related(card, anchor, format!("{}'s card", task.id));
    }
    out.push(diagnostic);
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

pub(super) const MODULE: RuleModule = RuleModule {
    card: None,
    task: Some(check_task),
    fixes: &[
        (Rule::IndexMissingRow, fix::fix_missing_row),
        (Rule::IndexPhantomRow, fix::fix_extra_row),
        (Rule::IndexDuplicateRow, fix::fix_extra_row),
        (Rule::IndexRowMismatch, fix::fix_row_mismatch),
        (Rule::IndexBrokenLink, fix::fix_broken_link),
    ],
};

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::fixture::{COUNTER, check_rule, package};
    use crate::ide::types::Rule;

    const ROOT_HEADER: &str = "| ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|----|------|-----|-------|--------|-------|--------------|\n";
    const STAGE_HEADER: &str = "| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n";

    /// Two backlog tasks, 0002 depending on 0001, and the given index texts.
    fn fixture(root_rows: &str, backlog_rows: &str) -> String {
        format!(
            "{COUNTER}{}{}//- /INDEX.md\n# Tasks\n\n{ROOT_HEADER}{root_rows}//- /backlog/INDEX.md\n---\nstage: backlog\n---\n\n{STAGE_HEADER}{backlog_rows}",
            package("backlog/TASK-0001-a", "blocks: [\"TASK-0002\"]"),
            package("backlog/TASK-0002-b", "depends_on: [\"TASK-0001\"]"),
        )
    }

    const ROOT_OK: &str = "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n| 0002 | Task 0002 | @ana | backlog | active | - | TASK-0001 |\n";
    const STAGE_OK: &str = "| 0001 | Task 0001 | @ana | active | - | - |\n| 0002 | Task 0002 | @ana | active | - | TASK-0001 |\n";

    fn all_index_rules(fixture: &str) -> String {
        [
            Rule::IndexMissingRow,
            Rule::IndexPhantomRow,
            Rule::IndexDuplicateRow,
            Rule::IndexRowMismatch,
            Rule::IndexTable,
        ]
        .into_iter()
        .map(|rule| check_rule(fixture, rule))
        .collect()
    }

    #[test]
    fn indexes_and_task_folders_not_read_are_named_in_the_row_messages() {
        // The stage index is a pipe and the root index lists a task whose folder is a link:
        // each message says what is there and why it did not count.
        let text = format!(
            "{COUNTER}{}//- /INDEX.md\n{ROOT_HEADER}{}| 0009 | Evil | @ana | backlog | active | - | - |\n",
            package("backlog/TASK-0001-a", ""),
            "| 0001 | Task 0001 | @ana | backlog | active | - | - |\n",
        );
        let workspace = crate::ide::fixture::workspace_with_unread(
            &text,
            &[
                ("backlog/INDEX.md", "a named pipe, not a regular file"),
                ("backlog/TASK-0009-evil", "symbolic link not followed"),
            ],
        );
        let diagnostics =
            crate::ide::diagnostics::workspace_diagnostics(&workspace, &Default::default());
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:2:11 error `0001` TASK-0001 is in backlog but backlog/INDEX.md was not read (a named pipe, not a regular file), so nothing lists it
            INDEX.md:4:3 error `0009` this row lists TASK-0009, but no task has that ID (`backlog/TASK-0009-evil` is there but was not read: symbolic link not followed); remove the row or move it to the right index
        "#]]
        .assert_eq(&crate::ide::fixture::render(
            &workspace,
            diagnostics.iter().filter(|d| {
                matches!(d.rule, Rule::IndexMissingRow | Rule::IndexPhantomRow)
            }),
        ));
    }

    #[test]
    fn consistent_indexes_are_clean() {
        assert_eq!(all_index_rules(&fixture(ROOT_OK, STAGE_OK)), "");
    }

    #[test]
    fn missing_rows_are_reported_on_the_card_and_the_root_header() {
        let stage_rows = "| 0001 | Task 0001 | @ana | active | - | - |\n";
        let root_rows = "| 0002 | Task 0002 | @ana | backlog | active | - | TASK-0001 |\n";
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:2:11 error `0001` TASK-0001 has no row in the root index INDEX.md
              -> INDEX.md `| ID | Name | DRI | Stage | Status | Flags | Dependencies |` the root index
            backlog/TASK-0002-b/0002-b.task.md:2:11 error `0002` TASK-0002 has no row in backlog/INDEX.md; add it to keep the index true
            INDEX.md:3:1 error `| ID | Name | DRI | Stage | Status | Flags | Dependencies |` TASK-0001 (backlog) has no row in this index
              -> backlog/TASK-0001-a/0001-a.task.md `0001` TASK-0001 is declared here
        "#]]
        .assert_eq(&check_rule(&fixture(root_rows, stage_rows), Rule::IndexMissingRow));
    }

    #[test]
    fn phantom_rows_name_where_the_task_really_is() {
        let fixture = format!(
            "{}{}",
            fixture(
                ROOT_OK,
                &format!("{STAGE_OK}| 0009 | Ghost | @ana | active | - | - |\n")
            ),
            package("next/TASK-0003-c", "")
        )
        .replace(
            "| 0009 | Ghost",
            "| 0003 | Task 0003 | @ana | active | - | - |\n| 0009 | Ghost",
        );
        expect![[r#"
            backlog/INDEX.md:9:3 error `0003` this row lists TASK-0003, but no task in backlog has that ID (it is in next); remove the row or move it to the right index
            backlog/INDEX.md:10:3 error `0009` this row lists TASK-0009, but no task in backlog has that ID; remove the row or move it to the right index
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::IndexPhantomRow));
    }

    #[test]
    fn duplicate_rows_point_at_the_first() {
        let rows = format!("{STAGE_OK}| TASK-0001 | Task 0001 | @ana | active | - | - |\n");
        expect![[r#"
            backlog/INDEX.md:9:3 error `TASK-0001` TASK-0001 has more than one row in this index; keep one
              -> backlog/INDEX.md `0001` the first row
        "#]]
        .assert_eq(&check_rule(&fixture(ROOT_OK, &rows), Rule::IndexDuplicateRow));
    }

    #[test]
    fn mismatches_list_every_column_and_status_makes_it_an_error() {
        let stage_rows = "| 0001 | Task 0001 | @ana | blocked | - | - |\n| 0002 | Old name | @bo | active | - | - |\n";
        expect![[r#"
            backlog/INDEX.md:7:1 error `| 0001 | Task 0001 | @ana | blocked | - | - |` the row for TASK-0001 disagrees with its card: Status is `blocked` here but `active` on the card
              -> backlog/TASK-0001-a/0001-a.task.md `0001` TASK-0001's card
            backlog/INDEX.md:8:1 warning `| 0002 | Old name | @bo | active | - | - |` the row for TASK-0002 disagrees with its card: Name is `Old name` here but `Task 0002` on the card; DRI is `@bo` here but `@ana` on the card; Dependencies are `-` here but `TASK-0001` on the card
              -> backlog/TASK-0002-b/0002-b.task.md `0002` TASK-0002's card
        "#]]
        .assert_eq(&check_rule(&fixture(ROOT_OK, stage_rows), Rule::IndexRowMismatch));
    }

    #[test]
    fn index_without_a_table_or_a_required_column() {
        let fixture = format!(
            "{COUNTER}{}//- /INDEX.md\n| ID | Name | DRI | Status |\n|---|---|---|---|\n| 0001 | Task 0001 | @ana | active |\n//- /backlog/INDEX.md\n# Backlog\n\nNothing here yet.\n",
            package("backlog/TASK-0001-a", ""),
        );
        expect![[r#"
            INDEX.md:1:1 error `| ID | Name | DRI | Status |` the task table lacks the column Stage
            backlog/INDEX.md:1:1 error `# Backlog` backlog/INDEX.md has no task table; expected a markdown table with the columns | ID | Name | DRI | Status |
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::IndexTable));
    }

    #[test]
    fn the_inbox_template_row_shape_is_accepted() {
        let fixture = format!(
            "{COUNTER}{}//- /INDEX.md\n{ROOT_HEADER}| 0001 | Task 0001 | @ana | inbox | active | - | - |\n//- /inbox/INDEX.md\n{STAGE_HEADER}| 0001 | Task 0001 | @ana | inbox | - |\n",
            package("inbox/TASK-0001-a", ""),
        );
        assert_eq!(all_index_rules(&fixture), "");
        // The same short row with a wrong stage is caught.
        let wrong = fixture.replace("| @ana | inbox | - |", "| @ana | next | - |");
        assert!(
            check_rule(&wrong, Rule::IndexRowMismatch).contains("Stage is `next` here but `inbox`")
        );
    }

    /// The two backlog tasks listed by indexes that link their IDs, names and dependencies:
    /// the root index to the cards, the stage index to the folders.
    const LINKED_ROOT: &str = "\
| [0001](backlog/TASK-0001-a/0001-a.task.md) | [Task 0001](backlog/TASK-0001-a/0001-a.task.md) | @ana | backlog | active | - | - |
| [0002](backlog/TASK-0002-b/0002-b.task.md) | [Task 0002](backlog/TASK-0002-b/0002-b.task.md \"card\") | @ana | backlog | active | - | [TASK-0001](./backlog/TASK-0001-a/0001-a.task.md#goal) |
";
    const LINKED_STAGE: &str = "\
| [0001](TASK-0001-a/) | [Task 0001](TASK-0001-a/) | @ana | active | - | - |
| [0002](./TASK-0002-b) | [Task 0002](<TASK-0002-b/>) | @ana | active | - | [TASK-0001](../backlog/TASK-0001-a/), \\|\\| |
";

    fn all_rules_with_links(fixture: &str) -> String {
        format!(
            "{}{}",
            all_index_rules(fixture),
            check_rule(fixture, Rule::IndexBrokenLink)
        )
    }

    #[test]
    fn indexes_whose_cells_are_links_are_clean() {
        let clean = fixture(LINKED_ROOT, LINKED_STAGE);
        assert_eq!(all_rules_with_links(&clean), "");
        // The link text is what the rules read: a wrong name in a link is still a mismatch.
        let renamed = fixture(
            &LINKED_ROOT.replace("[Task 0001]", "[Old name]"),
            LINKED_STAGE,
        );
        expect![[r#"
            INDEX.md:5:1 warning `| [0001](backlog/TASK-0001-a/0001-a.task.md) | [Old name](backlog/TASK-0001-a/0001-a.task.md) | @ana | backlog | active | - | - |` the row for TASK-0001 disagrees with its card: Name is `Old name` here but `Task 0001` on the card
              -> backlog/TASK-0001-a/0001-a.task.md `0001` TASK-0001's card
        "#]]
        .assert_eq(&all_rules_with_links(&renamed));
    }

    #[test]
    fn links_that_lead_elsewhere_are_broken() {
        let root = LINKED_ROOT
            .replace(
                "[0001](backlog/TASK-0001-a/0001-a.task.md)",
                "[0001](next/TASK-0001-a/0001-a.task.md)",
            )
            .replace(
                "[TASK-0001](./backlog/TASK-0001-a/0001-a.task.md#goal)",
                "[TASK-0001](./backlog/TASK-0002-b/0002-b.task.md#goal)",
            );
        let stage = LINKED_STAGE
            .replace("[Task 0001](TASK-0001-a/)", "[Task 0001]()")
            .replace("(../backlog/TASK-0001-a/)", "(../../TASK-0001-a/)")
            // A URL cannot be followed from here, and a link naming no task is left to the
            // dependency rules.
            .replace(
                "[0002](./TASK-0002-b)",
                "[0002](https://forge.example/t/TASK-0002-b/)",
            )
            .replace("\\|\\|", "[TASK-0777](x.md)");
        expect![[r#"
            INDEX.md:5:10 warning `next/TASK-0001-a/0001-a.task.md` `next/TASK-0001-a/0001-a.task.md` is not where TASK-0001 is; link to `backlog/TASK-0001-a/0001-a.task.md`
            INDEX.md:6:147 warning `./backlog/TASK-0002-b/0002-b.task.md#goal` `./backlog/TASK-0002-b/0002-b.task.md#goal` is not where TASK-0001 is; link to `./backlog/TASK-0001-a/0001-a.task.md#goal`
            backlog/INDEX.md:7:26 warning `[Task 0001]()` this link to TASK-0001 leads nowhere; link to `TASK-0001-a/`
            backlog/INDEX.md:8:112 warning `../../TASK-0001-a/` `../../TASK-0001-a/` is not where TASK-0001 is; link to `TASK-0001-a/`
        "#]]
        .assert_eq(&check_rule(&fixture(&root, &stage), Rule::IndexBrokenLink));
        // Link texts are what the other rules read: only the one naming TASK-0777 is news.
        expect![[r#"
            backlog/INDEX.md:8:1 warning `| [0002](https://forge.example/t/TASK-0002-b/) | [Task 0002](<TASK-0002-b/>) | @ana | active | - | [TASK-0001](../../TASK-0001-a/), [TASK-0777](x.md) |` the row for TASK-0002 disagrees with its card: Dependencies are `TASK-0001, TASK-0777` here but `TASK-0001` on the card
              -> backlog/TASK-0002-b/0002-b.task.md `0002` TASK-0002's card
        "#]]
        .assert_eq(&all_index_rules(&fixture(&root, &stage)));
    }

    #[test]
    fn per_namespace_indexes_resolve_unqualified_ids() {
        let fixture = format!(
            "//- /fw/ID_COUNTER.txt\n0002\n{}//- /INDEX.md\n| Namespace | ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|---|\n| FW | 0001 | Task FW-0001 | @ana | next | active |\n//- /fw/next/INDEX.md\n{STAGE_HEADER}| 0001 | Task FW-0001 | @ana | active | - | - |\n",
            package("fw/next/TASK-FW-0001-a", ""),
        );
        assert_eq!(all_index_rules(&fixture), "");
    }
}
