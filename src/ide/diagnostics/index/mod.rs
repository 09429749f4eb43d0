//! Rules on INDEX.md files (WF0 rules 2 and 4): index-missing-row, index-phantom-row,
//! index-duplicate-row, index-row-mismatch, index-table and index-broken-link.
//!
//! Every index covers a scope: a stage index the tasks of its stage (within its namespace
//! folder, if it sits in one), a root index every task of the root (or of its namespace
//! folder). A task needs a row in a stage index and in a root index covering it.

use std::collections::HashMap;

use crate::base::TextRange;
use crate::db::index_row::{expected_row, show_dependencies};
use crate::db::layout::namespace_of_dir;
use crate::db::mentions::MentionKind;
use crate::db::vocab::Stage;
use crate::db::{FileId, IndexFile, Parsed, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::{RuleDoc, RuleModule, task_anchor};
use crate::ide::index_links::{PlaceRef, TaskPlace, corrected_target, leads_to};
use crate::ide::types::{Diagnostic, FixData, Rule, Severity};
use crate::syntax::index_table::{Cell, CellLink, Column, IndexRow, IndexTable, ParsedIndex};
use crate::syntax::task_id::TaskId;

mod fix;
mod rows;
#[cfg(test)]
mod tests;

pub(crate) use fix::{Follow, follow_card};
use rows::{
    RowView, cell_dependencies, covers, row_links, row_owner, same_text, unread_task_folder, view,
};

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

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const INDEX_MISSING_ROW: RuleDoc = RuleDoc {
    rule: Rule::IndexMissingRow,
    name: "index-missing-row",
    severity: Severity::Error,
    summary: "A task has no row in its stage INDEX.md or the root INDEX.md.",
    docs: include_str!("../docs/index-missing-row.md"),
};

pub(crate) const INDEX_PHANTOM_ROW: RuleDoc = RuleDoc {
    rule: Rule::IndexPhantomRow,
    name: "index-phantom-row",
    severity: Severity::Error,
    summary: "An index row names no task in that stage.",
    docs: include_str!("../docs/index-phantom-row.md"),
};

pub(crate) const INDEX_DUPLICATE_ROW: RuleDoc = RuleDoc {
    rule: Rule::IndexDuplicateRow,
    name: "index-duplicate-row",
    severity: Severity::Error,
    summary: "The same task has two rows in one index.",
    docs: include_str!("../docs/index-duplicate-row.md"),
};

pub(crate) const INDEX_ROW_MISMATCH: RuleDoc = RuleDoc {
    rule: Rule::IndexRowMismatch,
    name: "index-row-mismatch",
    severity: Severity::Error,
    summary: "An index row disagrees with its card.",
    docs: include_str!("../docs/index-row-mismatch.md"),
};

pub(crate) const INDEX_TABLE: RuleDoc = RuleDoc {
    rule: Rule::IndexTable,
    name: "index-table",
    severity: Severity::Error,
    summary: "An INDEX.md has no task table with the expected columns.",
    docs: include_str!("../docs/index-table.md"),
};

pub(crate) const INDEX_BROKEN_LINK: RuleDoc = RuleDoc {
    rule: Rule::IndexBrokenLink,
    name: "index-broken-link",
    severity: Severity::Warning,
    summary: "A link in an index row does not lead to the task it names.",
    docs: include_str!("../docs/index-broken-link.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[
    INDEX_MISSING_ROW,
    INDEX_PHANTOM_ROW,
    INDEX_DUPLICATE_ROW,
    INDEX_ROW_MISMATCH,
    INDEX_TABLE,
    INDEX_BROKEN_LINK,
];

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
    rules: RULES,
};
