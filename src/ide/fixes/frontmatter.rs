//! Fixes of a card's own frontmatter values: stage-mismatch, task-id-mismatch, field-type,
//! field-missing, invalid-value, invalid-date and blocked-without-reason.

use crate::db::layout::file_name;
use crate::db::vocab::{REF_LIST_FIELDS, Status};
use crate::db::{FileId, Task, Workspace};
use crate::ide::diagnostics::frontmatter::{suggested_date, suggested_value};
use crate::ide::edit::frontmatter::{NewValue, add_list_item, replace_list_item, set_field};
use crate::ide::fixes::index::{Follow, follow_card};
use crate::ide::fixes::{Fixes, backticked, combine, rewrite};
use crate::ide::source_change::SourceChange;
use crate::ide::types::Diagnostic;
use crate::syntax::card::FrontmatterEntry;
use crate::syntax::task_id::{TaskId, parse_file_prefix, parse_folder_name, parse_task_ref};
use crate::syntax::yaml::{YamlNode, YamlValue};

/// stage-mismatch: the folder is where the task is (moving it is a transition).
pub(super) fn stage_mismatch(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    if let Some(idx) = ws.task_idx_of_file(d.file)
        && super::package::move_where_the_ledger_says(ws, idx, fixes)
    {
        return;
    }
    let stage = task.stage.name();
    fixes.change(
        format!("Set stage to `{stage}`"),
        true,
        set(ws, d.file, "stage", &NewValue::Str(stage)),
    );
}

/// task-id-mismatch against the folder: the folder's ID is the task's identity (indexes
/// and references name it). A card file named for another ID needs a rename, not an edit.
pub(super) fn task_id_mismatch(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    let (Some(folder_id), Some((written, _))) = (folder_id(task), &task.meta.task_id) else {
        return;
    };
    let declared = parse_task_ref(written.trim()).map(|(id, _)| id.resolved_in(task.namespace()));
    if declared.as_ref() == Some(&folder_id) {
        return;
    }
    // When the card file is named for the declared ID too, folder and file disagree about
    // which task this is; then the folder's answer is only offered.
    let card_name = file_name(&ws.file(d.file).rel);
    let file_agrees = parse_file_prefix(card_name)
        .map(|(id, _)| id.resolved_in(task.namespace()))
        .is_some_and(|id| Some(&id) == declared.as_ref());
    set_task_id(ws, task, d.file, &folder_id.short(), !file_agrees, fixes);
}

/// field-type: quote an unquoted `task_id` or `schema_version`, quote a number written as a
/// task reference, and turn a single reference written where a list belongs into a list.
pub(super) fn field_type(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    let Some(entries) = entries(ws, task) else {
        return;
    };
    let text = &ws.file(d.file).text;
    for entry in entries {
        let node = &entry.value;
        let key = entry.key.as_str();
        if node.range == d.range {
            let written = node.range.slice(text);
            match (&node.value, key) {
                (YamlValue::Int(_) | YamlValue::Float(_), "task_id") => {
                    let id = folder_id(task).map_or_else(|| written.to_string(), |id| id.short());
                    set_task_id(ws, task, d.file, &id, true, fixes);
                }
                (YamlValue::Int(_) | YamlValue::Float(_), "schema_version") => fixes.change(
                    "Write schema_version as \"1.0\"",
                    true,
                    set(ws, d.file, key, &NewValue::Str("1.0")),
                ),
                (YamlValue::Int(_) | YamlValue::Float(_), "split_from") => fixes.change(
                    format!("Quote `{written}`"),
                    true,
                    set(ws, d.file, key, &NewValue::Str(written)),
                ),
                (YamlValue::Str { text: value, .. }, _)
                    if REF_LIST_FIELDS.contains(&key) || key == "tags" =>
                {
                    // Clear the scalar, then add it back as the list's one item.
                    let new = set_field(text, key, &NewValue::Null)
                        .and_then(|cleared| add_list_item(&cleared, key, value.trim()));
                    fixes.change(
                        format!("Make `{key}` a list"),
                        true,
                        rewrite(ws, d.file, new),
                    );
                }
                _ => {}
            }
            return;
        }
        if let YamlValue::Seq(items) = &node.value
            && let Some(index) = items.iter().position(|item| item.range == d.range)
            && matches!(items[index].value, YamlValue::Int(_) | YamlValue::Float(_))
        {
            let written = items[index].range.slice(text);
            fixes.change(
                format!("Quote `{written}`"),
                true,
                rewrite(ws, d.file, replace_list_item(text, key, index, written)),
            );
            return;
        }
    }
}

/// field-missing: `task_id` and `stage` are known from the folder; the other required
/// fields (name, status, DRI) are the writer's to say.
pub(super) fn field_missing(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    match backticked(&d.message) {
        Some("task_id") => {
            if let Some(id) = folder_id(task) {
                set_task_id(ws, task, d.file, &id.short(), true, fixes);
            }
        }
        Some("stage") => stage_mismatch(ws, d, fixes),
        _ => {}
    }
}

/// invalid-value: the value the diagnostic suggests. A guess at what the writer meant, so
/// not applied in bulk.
pub(super) fn invalid_value(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(entry) = entry_at(ws, d) else {
        return;
    };
    let Some(suggestion) = suggested_value(&entry.key, &entry.value) else {
        return;
    };
    fixes.change(
        format!("Change to `{suggestion}`"),
        false,
        set(ws, d.file, &entry.key, &NewValue::Str(&suggestion)),
    );
}

/// invalid-date: a date with one-digit month or day, padded; the date itself is not in
/// doubt.
pub(super) fn invalid_date(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(entry) = entry_at(ws, d) else {
        return;
    };
    if let Some(date) = suggested_date(&entry.value) {
        fixes.change(
            format!("Write `{date}`"),
            true,
            set(ws, d.file, &entry.key, &NewValue::Str(&date)),
        );
    }
}

/// blocked-without-reason when `blocked_by` is set but the status is not blocked: either the
/// blocker is stale or the status is. Both are offered; neither is certain. (A blocked task
/// without a blocker has no knowable fix: only the writer knows what blocks it.)
pub(super) fn blocked_without_reason(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    let Some(idx) = ws.task_idx_of_file(d.file) else {
        return;
    };
    if task.meta.status() == Some(Status::Blocked) || task.meta.blocked_by.is_none() {
        return;
    }
    fixes.change(
        "Clear blocked_by",
        false,
        set(ws, d.file, "blocked_by", &NewValue::Null),
    );
    // The index rows' Status mirrors the card's, so they change with it.
    let blocked = Status::Blocked.name();
    let card = set(ws, d.file, "status", &NewValue::Str(blocked));
    let rows = follow_card(ws, idx, Follow::Status(blocked));
    fixes.change(
        "Set status to `blocked`",
        false,
        combine(std::iter::once(card).chain(rows.into_iter().map(Some))),
    );
}

fn set_task_id(ws: &Workspace, task: &Task, card: FileId, id: &str, safe: bool, fixes: &mut Fixes) {
    // `task_id: 0042` in folder 0042 only lacks its quotes.
    let written_as_number = entries(ws, task)
        .and_then(|entries| entries.iter().find(|entry| entry.key == "task_id"))
        .filter(|entry| matches!(entry.value.value, YamlValue::Int(_) | YamlValue::Float(_)))
        .map(|entry| entry.value.range.slice(&ws.file(card).text));
    let label = if written_as_number == Some(id) {
        "Quote task_id".to_string()
    } else {
        format!("Set task_id to \"{id}\"")
    };
    fixes.change(label, safe, set(ws, card, "task_id", &NewValue::Str(id)));
}

fn set(ws: &Workspace, file: FileId, key: &str, value: &NewValue) -> Option<SourceChange> {
    rewrite(ws, file, set_field(&ws.file(file).text, key, value))
}

/// The task whose card `file` is.
fn card_task(ws: &Workspace, file: FileId) -> Option<&Task> {
    ws.task_of_file(file).filter(|task| task.card == Some(file))
}

fn folder_id(task: &Task) -> Option<TaskId> {
    parse_folder_name(&task.folder_name).map(|(id, _)| id)
}

fn entries<'w>(ws: &'w Workspace, task: &Task) -> Option<&'w [FrontmatterEntry]> {
    Some(&ws.card(task)?.frontmatter.block()?.entries)
}

/// The frontmatter entry whose value the diagnostic covers.
fn entry_at<'w>(ws: &'w Workspace, d: &Diagnostic) -> Option<&'w FrontmatterEntry> {
    let task = card_task(ws, d.file)?;
    entries(ws, task)?
        .iter()
        .find(|entry| entry.value.range == d.range && !is_collection(&entry.value))
}

fn is_collection(node: &YamlNode) -> bool {
    matches!(node.value, YamlValue::Seq(_) | YamlValue::Map(_))
}
