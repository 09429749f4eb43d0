//! Fixes of task references: missing-dependency, canceled-dependency, self-dependency,
//! unlinked-inverse, split-link-mismatch and unfinished-dependency.
//!
//! A change to `depends_on` carries the matching change to the task's index rows, whose
//! Dependencies column mirrors it, so that fixing a card never leaves a row behind.

use crate::db::events::event_line;
use crate::db::meta::RefItem;
use crate::db::vocab::REF_LIST_FIELDS;
use crate::db::{Task, TaskIdx, Workspace};
use crate::ide::diagnostics::dependencies::{nearest_ids, references};
use crate::ide::edit::frontmatter::{
    NewValue, add_list_item, remove_list_item, replace_list_item, set_field,
};
use crate::ide::edit::ledger::append_lines;
use crate::ide::edit::splice;
use crate::ide::fixes::index::{Follow, follow_card};
use crate::ide::fixes::{FixContext, Fixes, combine, rewrite};
use crate::ide::source_change::SourceChange;
use crate::ide::types::Diagnostic;
use crate::syntax::task_id::TaskId;
use crate::syntax::time::format_rfc3339;
use crate::syntax::yaml::YamlValue;

/// How many existing IDs a missing one may be replaced with, and how far they may be.
const REPLACEMENTS: usize = 3;
const REPLACEMENT_DISTANCE: usize = 2;

/// missing-dependency: remove the reference, or point it at one of the closest existing
/// IDs. Which one was meant is a guess, so none of these is applied in bulk.
pub(super) fn missing_dependency(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(at) = ref_at(ws, d) else {
        return;
    };
    if at.field != "blocked_by" {
        remove(ws, &at, false, fixes);
    }
    let already: Vec<&TaskId> = listed(at.task, at.field).map(|item| &item.id).collect();
    let candidates = nearest_ids(ws, at.task.root, &at.item.id, REPLACEMENT_DISTANCE)
        .into_iter()
        .filter(|id| *id != at.task.id && !already.contains(&id))
        .take(REPLACEMENTS);
    for candidate in candidates {
        replace(ws, &at, &candidate, fixes);
    }
}

/// canceled-dependency: drop the canceled task (retargeting is the writer's call).
pub(super) fn canceled_dependency(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    if let Some(at) = ref_at(ws, d) {
        remove(ws, &at, false, fixes);
    }
}

/// self-dependency: a task cannot wait on, block or split into itself, so the reference
/// goes. (`blocked_by` naming the task itself is left: clearing it would leave a blocked
/// task without a reason.)
pub(super) fn self_dependency(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    if let Some(at) = ref_at(ws, d)
        && at.field != "blocked_by"
    {
        remove(ws, &at, true, fixes);
    }
}

/// unlinked-inverse: add the missing entry to the other card (`depends_on` for a `blocks`
/// item, `blocks` for a `depends_on` item).
pub(super) fn unlinked_inverse(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(at) = ref_at(ws, d) else {
        return;
    };
    let inverse = match at.field {
        "blocks" => "depends_on",
        "depends_on" => "blocks",
        _ => return,
    };
    let Some((target_idx, target)) = target_of(ws, at.task, at.item) else {
        return;
    };
    let Some(card) = target.card else {
        return;
    };
    let Some(spelling) = spell_in(&at.task.id, target, listed(target, inverse).next(), ws) else {
        return;
    };
    let new_card = rewrite(
        ws,
        card,
        add_list_item(&ws.file(card).text, inverse, &spelling),
    );
    let rows = if inverse == "depends_on" {
        let mut deps: Vec<TaskId> = target
            .meta
            .depends_on
            .iter()
            .map(|i| i.id.clone())
            .collect();
        deps.push(at.task.id.clone());
        dependency_rows(ws, target_idx, deps)
    } else {
        Vec::new()
    };
    fixes.change(
        format!("Add {} to {}'s `{inverse}`", at.task.id, target.id),
        true,
        combine(std::iter::once(new_card).chain(rows.into_iter().map(Some))),
    );
}

/// split-link-mismatch: fill in the other side of a split when it is empty. When it points
/// at a third task, which side is right is not knowable.
pub(super) fn split_link_mismatch(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(at) = ref_at(ws, d) else {
        return;
    };
    let Some((_, target)) = target_of(ws, at.task, at.item) else {
        return;
    };
    let Some(card) = target.card else {
        return;
    };
    let text = &ws.file(card).text;
    match at.field {
        "split_into" => {
            let split_from = ws
                .card(target)
                .and_then(|parsed| parsed.frontmatter.block()?.get("split_from").cloned());
            if split_from.is_some_and(|entry| !entry.value.is_null()) {
                return;
            }
            let Some(spelling) = spell_in(&at.task.id, target, None, ws) else {
                return;
            };
            fixes.change(
                format!("Set {}'s `split_from` to {}", target.id, at.task.id),
                true,
                rewrite(
                    ws,
                    card,
                    set_field(text, "split_from", &NewValue::Str(&spelling)),
                ),
            );
        }
        "split_from" => {
            let sample = listed(target, "split_into").next();
            let Some(spelling) = spell_in(&at.task.id, target, sample, ws) else {
                return;
            };
            fixes.change(
                format!("Add {} to {}'s `split_into`", at.task.id, target.id),
                true,
                rewrite(ws, card, add_list_item(text, "split_into", &spelling)),
            );
        }
        _ => {}
    }
}

/// unfinished-dependency: log a `concurrent_ok` waiver naming the dependency. Working in
/// parallel is a decision, so this is only ever applied by hand.
pub(super) fn unfinished_dependency(
    ws: &Workspace,
    ctx: &FixContext,
    d: &Diagnostic,
    fixes: &mut Fixes,
) {
    let Some(at) = ref_at(ws, d) else {
        return;
    };
    let Some(ledger) = at.task.ledger.filter(|&file| ws.file(file).exists) else {
        return;
    };
    let Some(user) = ctx
        .user
        .clone()
        .or_else(|| at.task.meta.current_dri.clone())
    else {
        return;
    };
    let dependency = &at.item.id;
    let line = event_line(
        &format_rfc3339(ctx.now),
        &user,
        "concurrent_ok",
        &format!("Working in parallel with unfinished dependency {dependency}"),
        &[],
    );
    let new = append_lines(&ws.file(ledger).text, &[line]);
    fixes.change(
        format!("Log a `concurrent_ok` waiver for {dependency}"),
        false,
        rewrite(ws, ledger, Some(new)),
    );
}

/// A reference a diagnostic sits on.
struct RefAt<'w> {
    idx: TaskIdx,
    task: &'w Task,
    field: &'static str,
    item: &'w RefItem,
    /// The item's position in the YAML list, for the list fields.
    position: Option<usize>,
}

fn ref_at<'w>(ws: &'w Workspace, d: &Diagnostic) -> Option<RefAt<'w>> {
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
fn remove(ws: &Workspace, at: &RefAt, safe: bool, fixes: &mut Fixes) {
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
fn replace(ws: &Workspace, at: &RefAt, replacement: &TaskId, fixes: &mut Fixes) {
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
fn dependency_rows(ws: &Workspace, idx: TaskIdx, mut deps: Vec<TaskId>) -> Vec<SourceChange> {
    deps.sort();
    deps.dedup();
    follow_card(ws, idx, Follow::Dependencies(&deps))
}

/// The well-formed references of `task`'s `field`.
fn listed<'t>(task: &'t Task, field: &str) -> impl Iterator<Item = &'t RefItem> {
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
fn target_of<'w>(ws: &'w Workspace, task: &Task, item: &RefItem) -> Option<(TaskIdx, &'w Task)> {
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
fn spell_in(id: &TaskId, owner: &Task, sample: Option<&RefItem>, ws: &Workspace) -> Option<String> {
    if id.namespace.is_none() && owner.namespace().is_some() {
        return None;
    }
    let written = match (sample, owner.card) {
        (Some(item), Some(card)) => item.range.slice(&ws.file(card).text),
        _ => "TASK-",
    };
    Some(spelled_like(id, written))
}
