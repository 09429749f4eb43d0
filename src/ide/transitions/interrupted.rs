//! Finishing a transition that was interrupted after its commit (SPEC §5): the ledger lines
//! are written but the card, the folder or both still show the old state. The ledger is the
//! record, so the task is brought to where its events put it, without logging anything new.

use crate::db::flow::ledger_stage;
use crate::db::vocab::{BLOCKED_BY_PREFIXES, Status};
use crate::db::{TaskIdx, Workspace};
use crate::ide::transitions::moves::raw_field;
use crate::ide::transitions::{FieldUpdate, TaskChange};
use crate::syntax::ledger::Ledger;
use crate::syntax::task_id::parse_task_ref;
use crate::syntax::time::{format_rfc3339, parse_rfc3339};

/// For `ledger-stage-drift` and `ledger-status-drift`: the stage the ledger says, and the
/// status (with its fields) its last state events imply when the card disagrees. None when
/// there is no drift of either.
pub fn complete_interrupted(workspace: &Workspace, idx: TaskIdx) -> Option<TaskChange> {
    let task = workspace.task(idx);
    let ledger = workspace.ledger(task)?;
    let to = ledger_stage(ledger)
        .filter(|said| !said.agrees_with(task.stage))
        .map(|said| said.belongs_in());
    let implied =
        implied_state(ledger).filter(|implied| task.meta.status() != Some(implied.status));
    if to.is_none() && implied.is_none() {
        return None;
    }
    let mut fields: Vec<(&'static str, FieldUpdate)> = to
        .map(|to| ("stage", FieldUpdate::Set(to.name().to_string())))
        .into_iter()
        .collect();
    if let Some(implied) = implied {
        fields.push((
            "status",
            FieldUpdate::Set(implied.status.name().to_string()),
        ));
        // What the card already says is kept: the interrupted write may have got that far,
        // or the person wrote it in their own words.
        let written = |key: &str| raw_field(workspace, task, key).is_some();
        fields.extend(
            implied
                .fields
                .into_iter()
                .filter(|(key, update)| match update {
                    FieldUpdate::Set(_) => !written(key),
                    FieldUpdate::Clear => written(key),
                }),
        );
    }
    // The day the interrupted transition was committed, as it would have written it.
    if let Some(day) = ledger
        .events()
        .filter_map(|(_, event)| parse_rfc3339(event.ts()?))
        .last()
    {
        fields.push((
            "last_updated",
            FieldUpdate::Set(format_rfc3339(day)[..10].to_string()),
        ));
    }
    Some(TaskChange {
        task: idx,
        events: Vec::new(),
        fields,
        to_stage: to,
    })
}

/// A status and the fields that go with it.
struct Implied {
    status: Status,
    fields: Vec<(&'static str, FieldUpdate)>,
}

/// The status the ledger's state events leave the task in (the state-management workflows'
/// events, read in order, the last one winning); None when it records none.
fn implied_state(ledger: &Ledger) -> Option<Implied> {
    let mut state: Option<Implied> = None;
    for (_, event) in ledger.events() {
        let Some(name) = event.event() else {
            continue;
        };
        let text = |key: &str| {
            event
                .str_field(key)
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_string)
        };
        let blocked = |blocked_by: String| Implied {
            status: Status::Blocked,
            fields: vec![("blocked_by", FieldUpdate::Set(blocked_by))],
        };
        let already_blocked = state
            .as_ref()
            .is_some_and(|state| state.status == Status::Blocked);
        let next = match name {
            "blocked" => text("blocked_by").map(|blocker| blocked(blocker_value(&blocker))),
            // Prioritize's `waiting_on` blocks a task only when nothing else does already.
            "waiting_on" if !already_blocked => text("dependency")
                .map(|dependency| blocked(format!("task:{}", blocker_value_id(&dependency)))),
            "cascade_blocked_by_cancel" => text("blocker")
                .map(|blocker| blocked(format!("task:{} (canceled)", blocker_value_id(&blocker)))),
            "cascade_blocked_by_pause" => text("blocker")
                .map(|blocker| blocked(format!("task:{} (paused)", blocker_value_id(&blocker)))),
            "unblocked" => Some(Implied {
                status: Status::Active,
                fields: vec![("blocked_by", FieldUpdate::Clear)],
            }),
            "paused" | "paused_by_p0" | "displaced_by_p0" => Some(Implied {
                status: Status::Paused,
                fields: text("reason")
                    .or_else(|| text("desc"))
                    .map(|reason| ("paused_reason", FieldUpdate::Set(reason)))
                    .into_iter()
                    .collect(),
            }),
            "resumed" => Some(Implied {
                status: Status::Active,
                fields: vec![("paused_reason", FieldUpdate::Clear)],
            }),
            "canceled" => Some(Implied {
                status: Status::Canceled,
                fields: text("reason")
                    .map(|reason| ("canceled_reason", FieldUpdate::Set(reason)))
                    .into_iter()
                    .collect(),
            }),
            "split" => Some(Implied {
                status: Status::Split,
                fields: Vec::new(),
            }),
            _ => None,
        };
        if next.is_some() {
            state = next;
        }
    }
    state
}

/// A `blocked_by` value from an event: kept when it has its prefix, else a bare task
/// reference (`"blocked_by":"TASK-0042"`, as one WF-BLOCK example writes it) gets `task:`.
fn blocker_value(text: &str) -> String {
    if BLOCKED_BY_PREFIXES
        .iter()
        .any(|prefix| text.starts_with(prefix))
    {
        return text.to_string();
    }
    match parse_task_ref(text) {
        Some((id, _)) => format!("task:{id}"),
        None => format!("info:{text}"),
    }
}

/// A task reference from an event field, displayed canonically when it parses.
fn blocker_value_id(text: &str) -> String {
    parse_task_ref(text).map_or_else(|| text.to_string(), |(id, _)| id.to_string())
}
