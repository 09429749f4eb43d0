//! A transition's projections (SPEC §5 step 3) as a [`SourceChange`]: the plan says which
//! events to log, which frontmatter values to set and where each task goes; this module
//! computes the ledger lines, the edits of every card and INDEX.md involved and the folder
//! moves, against the texts the model holds now. The edge writes them; nothing here touches
//! the disk.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::base::TextRange;
use crate::db::layout::{index_covers, namespace_of_dir};
use crate::db::mentions::MentionKind;
use crate::db::vocab::{Stage, Status};
use crate::db::{FileId, FileRole, Parsed, Task, TaskIdx, Workspace};
use crate::ide::edit::frontmatter::{NewValue, set_field};
use crate::ide::edit::index_rows::{
    Linking, RowValues, insert_row, paused_flag, remove_row, render_row, replace_row,
    retarget_dependency_links,
};
use crate::ide::index_links::TaskPlace;
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::transitions::{FieldUpdate, TaskChange};
use crate::syntax::index_table::{ParsedIndex, parse_index};
use crate::syntax::task_id::{TaskId, parse_task_ref};

/// The files [`project`] would read and write for `changes`, without computing any text:
/// what a code action fingerprints when it is offered (on every cursor move, so it must not
/// rewrite 10,000-row indexes to find out).
pub fn affected_files(workspace: &Workspace, changes: &[TaskChange]) -> Vec<FileId> {
    let mut files = Vec::new();
    for change in changes {
        let task = workspace.task(change.task);
        files.extend(task.card);
        if !change.events.is_empty() {
            files.extend(task.ledger);
        }
        let stage = change.to_stage.unwrap_or(task.stage);
        for index in &workspace.roots[task.root].indexes {
            if index_covers(workspace, index, task, task.stage)
                || index_covers(workspace, index, task, stage)
            {
                files.push(index.file);
            }
        }
        if stage != task.stage {
            files.extend(linking_indexes(workspace, task));
        }
    }
    files.sort();
    files.dedup();
    files
}

/// Computes the projections of a plan's task changes (primary task first), in the order SPEC
/// §5 writes them: step 2's ledger lines, then step 3's cards, INDEX.md files and, last, the
/// task folders moved into their new stage folder. Fails (changing nothing) when a task lacks
/// the ledger or card the transition must write, or a frontmatter value cannot be placed.
pub fn project(workspace: &Workspace, changes: &[TaskChange]) -> Result<SourceChange, String> {
    let mut appends = Vec::new();
    let mut cards = Vec::new();
    let mut moves = Vec::new();
    let mut index_texts: HashMap<FileId, String> = HashMap::new();
    // Where each task the plan moves ends up, for the links that lead to it.
    let mut moved: Vec<(TaskIdx, TaskPlace)> = Vec::new();
    for change in changes {
        let task = workspace.task(change.task);
        if !change.events.is_empty() {
            let ledger = task
                .ledger
                .filter(|&file| workspace.file(file).exists)
                .ok_or_else(|| missing_file(workspace, task, FileRole::Ledger))?;
            appends.push(FileChange::Append {
                file: ledger,
                lines: change.events.clone(),
            });
        }
        let stage = change.to_stage.unwrap_or(task.stage);
        if let Some((card, text)) = card_text(workspace, task, change, stage)? {
            cards.extend(FileChange::rewrite(card, &workspace.file(card).text, &text));
        }
        let folder = moved_folder(&task.folder, task.stage, stage);
        let place = TaskPlace::of(workspace, task).moved_to(&folder);
        project_rows(workspace, change, stage, &place, &mut index_texts);
        if let Some(to_stage) = change.to_stage
            && to_stage != task.stage
        {
            let root = &workspace.roots[task.root].path;
            moves.push(FileChange::Move {
                from: root.join(&task.folder),
                to: root.join(&folder),
            });
            moved.push((change.task, place));
        }
    }
    retarget_links(workspace, &moved, &mut index_texts);
    let mut indexes: Vec<(FileId, String)> = index_texts.into_iter().collect();
    indexes.sort_by_key(|(file, _)| *file);
    let indexes = indexes
        .into_iter()
        .filter_map(|(file, text)| FileChange::rewrite(file, &workspace.file(file).text, &text));
    let mut projected = SourceChange { changes: appends };
    projected.changes.extend(cards);
    projected.changes.extend(indexes);
    projected.changes.extend(moves);
    Ok(projected)
}

/// Where `task`'s card is once `change` is written (the task's folder, or the card itself,
/// may move): the card a transition or rename shows afterwards.
pub fn card_after(workspace: &Workspace, task: TaskIdx, change: &SourceChange) -> Option<PathBuf> {
    let card = workspace.task(task).card?;
    Some(change.moved_path(&workspace.file(card).path))
}

/// Why a transition cannot write a task's ledger or card: there is none, or there is one the
/// loader did not read (a link is never followed, so nothing is written through it either).
fn missing_file(workspace: &Workspace, task: &Task, role: FileRole) -> String {
    let what = if role == FileRole::Ledger {
        "ledger to record the transition in"
    } else {
        "card to update"
    };
    match workspace.unread_package_file(task, role) {
        Some((name, problem)) => format!(
            "{} has no {what}: `{name}` was not read ({})",
            task.id, problem.message
        ),
        None => format!("{} has no {what}", task.id),
    }
}

/// The card's new text with the plan's values (and the stage) set, or None when nothing
/// changes.
fn card_text(
    workspace: &Workspace,
    task: &Task,
    change: &TaskChange,
    stage: Stage,
) -> Result<Option<(FileId, String)>, String> {
    let Some(card) = task.card.filter(|&file| workspace.file(file).exists) else {
        return Err(missing_file(workspace, task, FileRole::Card));
    };
    let old = &workspace.file(card).text;
    let mut text = old.to_string();
    let mut fields: Vec<(&str, NewValue)> = Vec::new();
    if change.to_stage.is_some() {
        fields.push(("stage", NewValue::Str(stage.name())));
    }
    for (key, update) in &change.fields {
        fields.push((
            key,
            match update {
                FieldUpdate::Set(value) => NewValue::Str(value),
                FieldUpdate::Clear => NewValue::Null,
            },
        ));
    }
    for (key, value) in fields {
        if let Some(next) = set_field(&text, key, &value) {
            text = next;
        } else if !already_set(&text, key, &value) {
            return Err(format!(
                "cannot set `{key}` in {}'s frontmatter; fix its YAML first",
                task.id
            ));
        }
    }
    Ok((text != **old).then_some((card, text)))
}

/// Whether `set_field` declined because the value is already what it should be.
fn already_set(text: &str, key: &str, value: &NewValue) -> bool {
    let card = crate::syntax::card::parse_card(text);
    let Some(entry) = card.frontmatter.block().and_then(|block| block.get(key)) else {
        return false;
    };
    match value {
        NewValue::Str(wanted) => entry.value.as_str() == Some(wanted),
        NewValue::Null => entry.value.is_null(),
    }
}

/// Updates every index that lists (or should list) the task: the row leaves the old stage's
/// index, joins the new one's, and is rewritten wherever it stays, its links (where the
/// index links its rows) leading to `place`, where the task ends up.
fn project_rows(
    workspace: &Workspace,
    change: &TaskChange,
    stage: Stage,
    place: &TaskPlace,
    texts: &mut HashMap<FileId, String>,
) {
    let task = workspace.task(change.task);
    let mut values = row_values(workspace, change.task, change, stage);
    values.place = Some(place.clone());
    for index in &workspace.roots[task.root].indexes {
        let was = index_covers(workspace, index, task, task.stage);
        let will = index_covers(workspace, index, task, stage);
        if !was && !will {
            continue;
        }
        let text = texts
            .entry(index.file)
            .or_insert_with(|| workspace.file(index.file).text.to_string());
        let Some(table) = parse_index(text).table else {
            continue;
        };
        let row = render_row(&table, &Linking::of(workspace, index.file, &table), &values);
        let namespace = index.namespace_dir.as_deref().and_then(namespace_of_dir);
        let namespace = namespace.as_deref();
        let next = match (was, will) {
            (true, false) => remove_row(text, &task.id, namespace),
            // Rewritten where the task has a row, added where it has none yet.
            _ => replace_row(text, &task.id, namespace, &row).or_else(|| insert_row(text, &row)),
        };
        if let Some(next) = next {
            *text = next;
        }
    }
}

/// Points the Dependencies links that lead to a task the plan moves at where it ends up, in
/// every index holding one: the rows of the tasks depending on it, and rows this plan wrote
/// (which link a dependency where the model has it, before the plan moves it too).
fn retarget_links(
    workspace: &Workspace,
    moved: &[(TaskIdx, TaskPlace)],
    texts: &mut HashMap<FileId, String>,
) {
    let Some(&(first, _)) = moved.first() else {
        return;
    };
    let root_index = workspace.task(first).root;
    let root = &workspace.roots[root_index];
    let mut files: Vec<FileId> = texts.keys().copied().collect();
    for (idx, _) in moved {
        files.extend(linking_indexes(workspace, workspace.task(*idx)));
    }
    files.sort();
    files.dedup();
    let places: Vec<(TaskId, TaskPlace)> = moved
        .iter()
        .map(|(idx, place)| (workspace.task(*idx).id.clone(), place.clone()))
        .collect();
    for file in files {
        let Some(index) = root.indexes.iter().find(|index| index.file == file) else {
            continue;
        };
        let namespace = index.namespace_dir.as_deref().and_then(namespace_of_dir);
        let text = texts
            .entry(file)
            .or_insert_with(|| workspace.file(file).text.to_string());
        let rel = &workspace.file(file).rel;
        if let Some(next) =
            retarget_dependency_links(text, rel, namespace.as_deref(), &root.path, &places)
        {
            *text = next;
        }
    }
}

/// The indexes with a Dependencies link to `task` (which must follow it when it moves),
/// found through the mention index: the cost is the task's mentions, not the indexes' size.
fn linking_indexes(workspace: &Workspace, task: &Task) -> Vec<FileId> {
    let mut files: Vec<FileId> = workspace
        .mentions_of(task.root, &task.id)
        .filter(|&(file, range, kind)| {
            kind == MentionKind::IndexDependency && in_link(workspace, file, range)
        })
        .map(|(file, _, _)| file)
        .collect();
    files.sort();
    files.dedup();
    files
}

/// Whether `range` of the index `file` lies in the text of a link.
fn in_link(workspace: &Workspace, file: FileId, range: TextRange) -> bool {
    let Parsed::Index(ParsedIndex {
        table: Some(table), ..
    }) = &workspace.file(file).parsed
    else {
        return false;
    };
    let at = table
        .rows
        .partition_point(|row| row.range.end < range.start);
    table.rows.get(at).is_some_and(|row| {
        row.cells
            .iter()
            .flat_map(|cell| cell.links())
            .any(|link| link.text_range.start <= range.start && range.end <= link.text_range.end)
    })
}

/// What the task's index rows say once the change is made.
fn row_values(
    workspace: &Workspace,
    task: TaskIdx,
    change: &TaskChange,
    stage: Stage,
) -> RowValues {
    let mut values = RowValues::of_task(workspace, task);
    let (old_status, old_flags) = (values.status.clone(), values.flags.clone());
    values.stage = stage.name().to_string();
    // The new blocker: None when the change leaves blocked_by alone, Some("") when it clears it.
    let mut blocker: Option<String> = None;
    for (key, update) in &change.fields {
        let value = match update {
            FieldUpdate::Set(value) => value.clone(),
            FieldUpdate::Clear => String::new(),
        };
        match *key {
            "status" if Status::parse(&value).is_some() => values.status = value,
            "task_name" => values.name = value,
            "current_dri" => values.dri = value,
            "blocked_by" => blocker = Some(value),
            _ => {}
        }
    }
    // Flags derive from the status and the blocker, so they follow the change (a task
    // unblocked or paused by it must not keep the flag it had).
    if values.status != old_status || blocker.is_some() {
        let namespace = workspace.task(task).namespace();
        values.flags = match Status::parse(&values.status) {
            Some(Status::Blocked) => match blocker.as_deref() {
                Some(text) if !text.trim().is_empty() => blocked_flag(text, namespace),
                _ if old_status == Status::Blocked.name() => old_flags,
                _ => "blocked".to_string(),
            },
            Some(Status::Paused) => paused_flag(workspace, task),
            Some(Status::Split) => old_flags,
            _ => "-".to_string(),
        };
    }
    values
}

/// The Flags cell for a `blocked_by` value, as [`RowValues::of_task`] writes it:
/// `blocked(TASK-0042)` for `task:TASK-0042 (canceled)`, `blocked(external:vendor)`.
fn blocked_flag(text: &str, namespace: Option<&str>) -> String {
    match text.split_once(':') {
        Some((kind, detail)) if kind.trim() == "task" => {
            let reference = detail.split_whitespace().next().unwrap_or("");
            match parse_task_ref(reference) {
                Some((id, _)) => format!("blocked({})", id.resolved_in(namespace)),
                None => "blocked".to_string(),
            }
        }
        Some((kind, detail)) => format!("blocked({}:{})", kind.trim(), detail.trim()),
        None => "blocked".to_string(),
    }
}

/// The folder path (relative to the tasks root) of a task moved from `from` to `to`: the stage
/// component is replaced, wherever the layout puts it (`next/TASK-…`, `next/fw/TASK-…`,
/// `fw/next/TASK-…`).
pub fn moved_folder(folder: &str, from: Stage, to: Stage) -> String {
    let mut parts: Vec<&str> = folder.split('/').collect();
    let last = parts.len().saturating_sub(1);
    if let Some(part) = parts[..last].iter_mut().rev().find(|p| **p == from.name()) {
        *part = to.name();
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, package, render, workspace, written};
    use crate::ide::transitions::{Action, plan};
    use crate::ide::types::Config;

    #[test]
    fn a_move_keeps_the_indexes_links_leading_to_the_task() {
        let history = |events: &[&str]| -> String {
            events
                .iter()
                .map(|event| {
                    format!("{{\"ts\":\"2026-03-02T10:00:00Z\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"d\"}}\n")
                })
                .collect()
        };
        let fixture = format!(
            "{COUNTER}{}{}{}{}\
//- /INDEX.md
| ID | Name | DRI | Stage | Status | Flags | Dependencies |
|----|------|-----|-------|--------|-------|--------------|
| [0001](next/TASK-0001-a/0001-a.task.md) | [Task 0001](next/TASK-0001-a/0001-a.task.md) | @ana | next | active | - | - |
| [0002](backlog/TASK-0002-b/0002-b.task.md) | [Task 0002](backlog/TASK-0002-b/0002-b.task.md) | @ana | backlog | active | - | [TASK-0001](next/TASK-0001-a/0001-a.task.md) |
//- /next/INDEX.md
| ID | Name | DRI | Status | Flags | Dependencies |
|----|------|-----|--------|-------|--------------|
| [0001](./TASK-0001-a/) | Task 0001 | @ana | active | - | - |
//- /backlog/INDEX.md
| ID | Name | DRI | Status | Flags | Dependencies |
|----|------|-----|--------|-------|--------------|
| [0002](./TASK-0002-b/) | Task 0002 | @ana | active | - | [TASK-0001](../next/TASK-0001-a/#goal) |
//- /current/INDEX.md
| ID | Name | DRI | Status | Flags | Dependencies |
|----|------|-----|--------|-------|--------------|
",
            package("next/TASK-0001-a", "blocks: [\"0002\"]"),
            history(&["verified", "validated", "prioritized"]),
            package("backlog/TASK-0002-b", "depends_on: [\"0001\"]"),
            history(&["verified"]),
        );
        let before = workspace(&fixture);
        let config = Config {
            now: 1_773_000_000,
            ..Config::default()
        };
        let index_problems = |ws: &Workspace| {
            let diagnostics = workspace_diagnostics(ws, &config);
            render(
                ws,
                diagnostics
                    .iter()
                    .filter(|d| d.rule.name().starts_with("index-")),
            )
        };
        assert_eq!(index_problems(&before), "");
        let task = TaskIdx(before.tasks.iter().position(|t| t.id.number == 1).unwrap() as u32);
        let plan = plan(&before, task, &Action::Start, &config).unwrap();
        let projected = project(&before, &plan.tasks).unwrap();
        // The files a code action fingerprints are the ones written.
        let written_files: Vec<FileId> = projected
            .changes
            .iter()
            .filter_map(|part| match part {
                FileChange::Edit { file, .. } | FileChange::Append { file, .. } => Some(*file),
                _ => None,
            })
            .collect();
        let affected = affected_files(&before, &plan.tasks);
        assert!(written_files.iter().all(|file| affected.contains(file)));
        let shown: String = written_files
            .iter()
            .filter(|&&file| before.file(file).rel.ends_with("INDEX.md"))
            .map(|&file| {
                let text = projected.new_text(file, &before.file(file).text);
                format!("//- {}\n{text}", before.file(file).rel)
            })
            .collect();
        // The empty current index links its first row as the other stage indexes do.
        expect![[r#"
            //- INDEX.md
            | ID | Name | DRI | Stage | Status | Flags | Dependencies |
            |----|------|-----|-------|--------|-------|--------------|
            | [0001](current/TASK-0001-a/0001-a.task.md) | [Task 0001](current/TASK-0001-a/0001-a.task.md) | @ana | current | active | - | - |
            | [0002](backlog/TASK-0002-b/0002-b.task.md) | [Task 0002](backlog/TASK-0002-b/0002-b.task.md) | @ana | backlog | active | - | [TASK-0001](current/TASK-0001-a/0001-a.task.md) |
            //- next/INDEX.md
            | ID | Name | DRI | Status | Flags | Dependencies |
            |----|------|-----|--------|-------|--------------|
            //- backlog/INDEX.md
            | ID | Name | DRI | Status | Flags | Dependencies |
            |----|------|-----|--------|-------|--------------|
            | [0002](./TASK-0002-b/) | Task 0002 | @ana | active | - | [TASK-0001](../current/TASK-0001-a/#goal) |
            //- current/INDEX.md
            | ID | Name | DRI | Status | Flags | Dependencies |
            |----|------|-----|--------|-------|--------------|
            | [0001](./TASK-0001-a/) | Task 0001 | @ana | active | - | - |
        "#]]
        .assert_eq(&shown);
        assert_eq!(index_problems(&written(&before, &projected)), "");
    }

    #[test]
    fn moved_folder_replaces_the_stage_in_every_layout() {
        let cases = [
            ("next/TASK-0001-a", "current/TASK-0001-a"),
            ("next/fw/TASK-FW-0001-a", "current/fw/TASK-FW-0001-a"),
            ("fw/next/TASK-FW-0001-a", "fw/current/TASK-FW-0001-a"),
        ];
        for (from, to) in cases {
            assert_eq!(moved_folder(from, Stage::Next, Stage::Current), to);
        }
    }
}
