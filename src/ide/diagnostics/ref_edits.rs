//! The reference a diagnostic sits on, and the edits of reference fields that the fixes of
//! the dependency rules (`dependencies`) and the link rules (`links`) share.
//!
//! A change to `depends_on` carries the matching change to the task's index rows, whose
//! Dependencies column mirrors it, so that fixing a card never leaves a row behind.

use crate::db::meta::RefItem;
use crate::db::meta::references;
use crate::db::vocab::REF_LIST_FIELDS;
use crate::db::{Task, TaskIdx, Workspace};
use crate::ide::diagnostics::fix::{Fixes, combine, rewrite};
use crate::ide::diagnostics::index::{Follow, follow_card};
use crate::ide::edit::frontmatter::{NewValue, remove_list_item, replace_list_item, set_field};
use crate::ide::edit::splice;
use crate::ide::source_change::SourceChange;
use crate::ide::types::Diagnostic;
use crate::syntax::task_id::TaskId;
use crate::syntax::yaml::YamlValue;

/// A reference a diagnostic sits on.
pub(super) struct RefAt<'w> {
    pub(super) idx: TaskIdx,
    pub(super) task: &'w Task,
    pub(super) field: &'static str,
    pub(super) item: &'w RefItem,
    /// The item's position in the YAML list, for the list fields.
    pub(super) position: Option<usize>,
}

pub(super) fn ref_at<'w>(ws: &'w Workspace, d: &Diagnostic) -> Option<RefAt<'w>> {
    let idx = ws.task_idx_of_file(d.file)?;
    let task = ws.task(idx);
    if task.card != Some(d.file) {
        return None;
    }
    let (field, item) = references(task).find(|(_, item)| item.range == d.range)?;
    let position = if REF_LIST_FIELDS.contains(&field) {
        let entry = ws.card(task)?.frontmatter.block()?.get(field)?;
        let YamlValue::Seq(items) = &entry.value.value else {
            return None;
        };
        Some(items.iter().position(|node| node.range == d.range)?)
    } else {
        None
    };
    Some(RefAt {
        idx,
        task,
        field,
        item,
        position,
    })
}

/// Removes the reference from its field (a single-valued field becomes null).
pub(super) fn remove(ws: &Workspace, at: &RefAt, safe: bool, fixes: &mut Fixes) {
    let Some(card) = at.task.card else {
        return;
    };
    let text = &ws.file(card).text;
    let new = match at.position {
        Some(position) => remove_list_item(text, at.field, position),
        None if at.field == "split_from" => set_field(text, at.field, &NewValue::Null),
        None => None,
    };
    let rows = if at.field == "depends_on" {
        let deps = at
            .task
            .meta
            .depends_on
            .iter()
            .filter(|item| item.range != at.item.range)
            .map(|item| item.id.clone())
            .collect();
        dependency_rows(ws, at.idx, deps)
    } else {
        Vec::new()
    };
    fixes.change(
        format!("Remove {} from `{}`", at.item.id, at.field),
        safe,
        combine(std::iter::once(rewrite(ws, card, new)).chain(rows.into_iter().map(Some))),
    );
}

/// Points the reference at `replacement`, spelled the way the old one was.
pub(super) fn replace(ws: &Workspace, at: &RefAt, replacement: &TaskId, fixes: &mut Fixes) {
    let Some(card) = at.task.card else {
        return;
    };
    let text = &ws.file(card).text;
    let written = at.item.range.slice(text);
    let spelling = spelled_like(replacement, written);
    let new = match (at.position, at.field) {
        (Some(position), _) => replace_list_item(text, at.field, position, &spelling),
        (None, "split_from") => set_field(text, at.field, &NewValue::Str(&spelling)),
        // In `blocked_by: "task:TASK-0042 (paused)"` only the ID is replaced; the item's
        // range is the ID alone when it could be located inside the string.
        (None, "blocked_by") => {
            let node_range = ws
                .card(at.task)
                .and_then(|parsed| parsed.frontmatter.block()?.get("blocked_by"))
                .map(|entry| entry.value.range);
            (node_range != Some(at.item.range)).then(|| {
                splice(
                    text,
                    at.item.range.start as usize,
                    at.item.range.end as usize,
                    &spelling,
                )
            })
        }
        _ => None,
    };
    let rows = if at.field == "depends_on" {
        let deps = at
            .task
            .meta
            .depends_on
            .iter()
            .map(|item| {
                if item.range == at.item.range {
                    replacement.clone()
                } else {
                    item.id.clone()
                }
            })
            .collect();
        dependency_rows(ws, at.idx, deps)
    } else {
        Vec::new()
    };
    fixes.change(
        format!("Change to {replacement}"),
        false,
        combine(std::iter::once(rewrite(ws, card, new)).chain(rows.into_iter().map(Some))),
    );
}

/// The index rows of task `idx` updated to show `deps` in their Dependencies cell.
pub(super) fn dependency_rows(
    ws: &Workspace,
    idx: TaskIdx,
    mut deps: Vec<TaskId>,
) -> Vec<SourceChange> {
    deps.sort();
    deps.dedup();
    follow_card(ws, idx, Follow::Dependencies(&deps))
}

/// The well-formed references of `task`'s `field`.
pub(super) fn listed<'t>(task: &'t Task, field: &str) -> impl Iterator<Item = &'t RefItem> {
    let meta = &task.meta;
    let items: &[RefItem] = match field {
        "depends_on" => &meta.depends_on,
        "blocks" => &meta.blocks,
        "related_to" => &meta.related_to,
        "split_into" => &meta.split_into,
        _ => &[],
    };
    let split_from = if field == "split_from" {
        meta.split_from.as_ref()
    } else {
        None
    };
    items.iter().chain(split_from)
}

/// The existing task `item` names (other than `task`), with its index.
pub(super) fn target_of<'w>(
    ws: &'w Workspace,
    task: &Task,
    item: &RefItem,
) -> Option<(TaskIdx, &'w Task)> {
    let &idx = ws.owners(task.root, &item.id).first()?;
    let target = ws.task(idx);
    (target.id != task.id).then_some((idx, target))
}

/// `id` spelled the way `written` spells IDs: `TASK-0042` when it has the prefix, else the
/// short form.
fn spelled_like(id: &TaskId, written: &str) -> String {
    let bare = written.trim_matches(['"', '\'']).trim();
    if bare.to_ascii_uppercase().starts_with("TASK-") {
        id.to_string()
    } else {
        id.short()
    }
}

/// `id` written in `owner`'s card, following `sample`'s spelling when the field has items
/// (`TASK-0042` otherwise). None when no spelling can name it there: an ID without a
/// namespace cannot be written in a namespaced card, where it would read as that namespace.
pub(super) fn spell_in(
    id: &TaskId,
    owner: &Task,
    sample: Option<&RefItem>,
    ws: &Workspace,
) -> Option<String> {
    if id.namespace.is_none() && owner.namespace().is_some() {
        return None;
    }
    let written = match (sample, owner.card) {
        (Some(item), Some(card)) => item.range.slice(&ws.file(card).text),
        _ => "TASK-",
    };
    Some(spelled_like(id, written))
}
