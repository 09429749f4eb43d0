//! A proposed frontmatter edit (priority, effort_estimate, depends_on) as a plan: validated
//! against the field's allowed values, the card's new text (the exact edit a proposal records,
//! and the card as approval writes it), the index rows a depends_on change rewrites, and the
//! event that records it; and, for recovery, the same projection again from the recorded
//! field and value against the files as they are now.

use serde_json::Value;

use crate::db::events::event_line;
use crate::db::vocab::{EFFORTS, PRIORITIES};
use crate::db::{FileId, TaskIdx, Workspace};
use crate::ide::edit::frontmatter::{NewValue, add_list_item, remove_list_item, set_field};
use crate::ide::edit::index_rows::{Linking, RowValues, placed, render_row, replace_row};
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::types::Config;
use crate::syntax::index_table::parse_index;
use crate::syntax::proposals::EDITABLE_FIELDS;
use crate::syntax::task_id::{TaskId, parse_task_ref};
use crate::syntax::time::format_rfc3339;

use super::{Refusal, Refused};

/// A frontmatter edit as a plan: the card's new text, the index rows it changes, and the
/// event recording it.
pub(super) struct EditPlan {
    /// The card with only the field changed: the exact edit a proposal records.
    pub(super) field_text: String,
    /// The card as approval writes it: the field changed and `last_updated` stamped.
    pub(super) card_text: String,
    pub(super) indexes: Vec<(FileId, String)>,
    pub(super) event: String,
    pub(super) previous: Value,
}

pub(super) fn plan_edit(
    workspace: &Workspace,
    task_idx: TaskIdx,
    field: &str,
    value: &Value,
    user: &str,
    config: &Config,
) -> Result<EditPlan, Refused> {
    let task = workspace.task(task_idx);
    let id = task.id.to_string();
    let invalid = |reason: String| {
        Refusal::validation(&id, "value", reason, "propose one of the allowed values")
    };
    if !EDITABLE_FIELDS.contains(&field) {
        return Err(Refusal::validation(
            &id,
            "field",
            format!(
                "`{field}` is not a field agents may propose to change ({})",
                EDITABLE_FIELDS.join(", ")
            ),
            "propose a move or an edit of priority, effort_estimate or depends_on",
        ));
    }
    let card = task
        .card
        .filter(|&file| workspace.file(file).exists && workspace.fields_known(task))
        .ok_or_else(|| {
            Refusal::validation(
                &id,
                "package_complete",
                format!("{id} has no readable card to edit"),
                "fix the card's frontmatter first",
            )
        })?;
    if task
        .ledger
        .is_none_or(|ledger| !workspace.file(ledger).exists)
    {
        return Err(Refusal::validation(
            &id,
            "package_complete",
            format!("{id} has no ledger to record the edit in"),
            "create the ledger first (`flowos-lsp check --fix`)",
        ));
    }
    let old = workspace.file(card).text.to_string();
    let meta = &task.meta;
    let (card_text, previous, event_name, desc, dependencies) = match field {
        "priority" | "effort_estimate" => {
            let allowed: &[&str] = if field == "priority" {
                &PRIORITIES
            } else {
                &EFFORTS
            };
            let new = value
                .as_str()
                .map(str::trim)
                .filter(|new| allowed.contains(new))
                .ok_or_else(|| {
                    invalid(format!(
                        "{field} must be one of {}, not {value}",
                        allowed.join(", ")
                    ))
                })?;
            let current = if field == "priority" {
                &meta.priority
            } else {
                &meta.effort
            };
            if current.as_deref() == Some(new) {
                return Err(invalid(format!("{field} is already {new}")));
            }
            let text = set_field(&old, field, &NewValue::Str(new));
            let event = match (field, current) {
                ("priority", None) => "priority_set",
                ("priority", Some(_)) => "priority_changed",
                _ => "effort_estimated",
            };
            let was = current.as_deref().unwrap_or("none");
            (
                text,
                current.clone().map_or(Value::Null, Value::from),
                event,
                format!("{field} set to {new} (was {was})"),
                None,
            )
        }
        _ => {
            let items = value
                .as_array()
                .ok_or_else(|| invalid("depends_on takes a list of task IDs".into()))?;
            let mut wanted: Vec<TaskId> = Vec::new();
            for item in items {
                let spelled = item.as_str().unwrap_or_default();
                let (target, _) = parse_task_ref(spelled.trim())
                    .ok_or_else(|| invalid(format!("`{item}` is not a task ID")))?;
                let target = target.resolved_in(task.namespace());
                if target == task.id {
                    return Err(invalid(format!("{id} cannot depend on itself")));
                }
                if workspace.lookup_in(task.root, &target).is_none() {
                    return Err(Box::new(Refusal {
                        error: "dependency_unmet",
                        task_id: id.clone(),
                        check: "dependencies_exist",
                        reason: format!("no task {target} in this tasks root"),
                        remediation: "propose only tasks that exist".to_string(),
                        missing_dependency: Some(target.to_string()),
                    }));
                }
                if !wanted.contains(&target) {
                    wanted.push(target);
                }
            }
            let current: Vec<TaskId> = meta.depends_on.iter().map(|item| item.id.clone()).collect();
            if current == wanted {
                return Err(invalid("depends_on already lists exactly these".into()));
            }
            let text = with_dependencies(&old, &current, &wanted);
            let names = |ids: &[TaskId]| {
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            (
                text,
                current
                    .iter()
                    .map(|id| Value::from(id.to_string()))
                    .collect(),
                "dependency_updated",
                format!(
                    "depends_on set to {} (was {})",
                    names(&wanted),
                    names(&current)
                ),
                Some(wanted),
            )
        }
    };
    let stamp = format_rfc3339(config.now);
    let unplaceable = || {
        Refusal::validation(
            &id,
            "frontmatter",
            format!("cannot set `{field}` in {id}'s frontmatter"),
            "fix the card's YAML first",
        )
    };
    let field_text = card_text.ok_or_else(unplaceable)?;
    let card_text = set_field(&field_text, "last_updated", &NewValue::Str(&stamp[..10]))
        .ok_or_else(unplaceable)?;
    let event = event_line(&stamp, user, event_name, &desc, &[("field", field)]);
    let indexes = dependencies
        .map(|ids| dependency_rows(workspace, task_idx, &ids))
        .unwrap_or_default();
    Ok(EditPlan {
        field_text,
        card_text,
        indexes,
        event,
        previous,
    })
}

/// The index rows of a task whose depends_on becomes `ids`: its Dependencies cells say so.
fn dependency_rows(
    workspace: &Workspace,
    task_idx: TaskIdx,
    ids: &[TaskId],
) -> Vec<(FileId, String)> {
    let task = workspace.task(task_idx);
    let mut values = RowValues::of_task(workspace, task_idx);
    values.dependencies = placed(workspace, task.root, ids);
    let mut out = Vec::new();
    for index in &workspace.roots[task.root].indexes {
        if !crate::db::layout::index_covers(workspace, index, task, task.stage) {
            continue;
        }
        let text = &workspace.file(index.file).text;
        let Some(table) = parse_index(text).table else {
            continue;
        };
        let row = render_row(&table, &Linking::of(workspace, index.file, &table), &values);
        let namespace = task.namespace();
        if let Some(new) = replace_row(text, &task.id, namespace, &row)
            && new != **text
        {
            out.push((index.file, new));
        }
    }
    out
}

/// The card text `old`, whose depends_on lists `current`, listing `wanted` instead: what goes
/// is dropped (last first, so earlier positions hold), then what is new is added. None when
/// the YAML cannot take it.
fn with_dependencies(old: &str, current: &[TaskId], wanted: &[TaskId]) -> Option<String> {
    let mut text = Some(old.to_string());
    for (at, item) in current.iter().enumerate().rev() {
        if !wanted.contains(item) {
            text = text.and_then(|text| remove_list_item(&text, "depends_on", at));
        }
    }
    for item in wanted {
        if !current.contains(item) {
            text = text.and_then(|text| add_list_item(&text, "depends_on", &item.to_string()));
        }
    }
    text
}

/// Finishing an approved edit a crash interrupted after its ledger line (see `recovery`):
/// the card with `field` at `value` and `last_updated` at `date`, and the index rows a
/// depends_on change rewrites, against the files as they are now. What is already so is
/// found done (no card text when the card already says it all), so finishing twice writes
/// nothing the second time. The value was validated when the edit was approved.
pub fn edit_projection(
    workspace: &Workspace,
    task_idx: TaskIdx,
    field: &str,
    value: &Value,
    date: &str,
) -> Result<SourceChange, String> {
    let task = workspace.task(task_idx);
    let card = task
        .card
        .filter(|&file| workspace.file(file).exists && workspace.fields_known(task))
        .ok_or_else(|| format!("{} has no readable card to finish the edit in", task.id))?;
    let old = workspace.file(card).text.to_string();
    let unplaceable = || format!("cannot set `{field}` in {}'s frontmatter", task.id);
    let (text, dependencies) = match (field, value) {
        ("priority" | "effort_estimate", Value::String(new)) => {
            (set_field(&old, field, &NewValue::Str(new)), None)
        }
        ("depends_on", Value::Array(items)) => {
            let wanted: Vec<TaskId> = items
                .iter()
                .filter_map(|item| parse_task_ref(item.as_str()?.trim()))
                .map(|(id, _)| id.resolved_in(task.namespace()))
                .collect();
            let current: Vec<TaskId> = task
                .meta
                .depends_on
                .iter()
                .map(|item| item.id.clone())
                .collect();
            (with_dependencies(&old, &current, &wanted), Some(wanted))
        }
        _ => return Err(format!("`{field}` = {value} is not an edit approval makes")),
    };
    let text = text
        .and_then(|text| set_field(&text, "last_updated", &NewValue::Str(date)))
        .ok_or_else(unplaceable)?;
    let rewrite = |(file, text): (FileId, String)| {
        FileChange::rewrite(file, &workspace.file(file).text, &text)
    };
    let card_text = (text != old).then_some((card, text));
    let rows = dependencies
        .map(|ids| dependency_rows(workspace, task_idx, &ids))
        .unwrap_or_default();
    Ok(SourceChange {
        changes: card_text
            .into_iter()
            .chain(rows)
            .filter_map(rewrite)
            .collect(),
    })
}
