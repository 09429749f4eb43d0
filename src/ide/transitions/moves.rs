//! The contents of each transition once the rules allow it: the events WF1–WF9 and the
//! state-management workflows log for it (with their extra fields) and the frontmatter values
//! they change, for the task and for the tasks the move drags along.

use serde_json::Value;

use crate::db::events::{event_line, event_line_values};
use crate::db::vocab::{Stage, Status};
use crate::db::{Task, TaskIdx, Workspace};
use crate::ide::transitions::rules::{
    actor, blocker_text, cascades_to, dependents, displacement, status, unfinished_dependencies,
};
use crate::ide::transitions::{Action, FieldUpdate, TaskChange};
use crate::ide::types::Config;
use crate::syntax::time::format_rfc3339;

/// Who writes and when: every line of one transition carries the same `ts` and `user`.
struct Stamp {
    ts: String,
    user: String,
}

impl Stamp {
    fn new(workspace: &Workspace, idx: TaskIdx, config: &Config) -> Stamp {
        // The rules refused a transition with no actor before it was planned.
        let user = actor(workspace, idx, config).unwrap_or_default();
        Stamp {
            ts: format_rfc3339(config.now),
            user,
        }
    }

    fn line(&self, event: &str, desc: &str, extra: &[(&str, &str)]) -> String {
        event_line(&self.ts, &self.user, event, desc, extra)
    }

    /// `YYYY-MM-DD` of the stamp, for `last_updated` and `paused_date`.
    fn today(&self) -> String {
        self.ts[..10].to_string()
    }
}

/// One task's change under construction.
struct Change {
    task: TaskIdx,
    events: Vec<String>,
    fields: Vec<(&'static str, FieldUpdate)>,
    to_stage: Option<Stage>,
}

impl Change {
    fn new(task: TaskIdx) -> Change {
        Change {
            task,
            events: Vec::new(),
            fields: Vec::new(),
            to_stage: None,
        }
    }

    /// Moves the folder and the card's `stage` with it.
    fn move_to(&mut self, stage: Stage) {
        self.to_stage = Some(stage);
        self.set("stage", stage.name());
    }

    fn set(&mut self, key: &'static str, value: impl Into<String>) {
        self.fields.push((key, FieldUpdate::Set(value.into())));
    }

    fn clear(&mut self, key: &'static str) {
        self.fields.push((key, FieldUpdate::Clear));
    }

    /// Closes the change: every card the transition touches records the day it changed.
    fn finish(mut self, stamp: &Stamp) -> TaskChange {
        self.set("last_updated", stamp.today());
        TaskChange {
            task: self.task,
            events: self.events,
            fields: self.fields,
            to_stage: self.to_stage,
        }
    }
}

/// The plan's task changes, the primary task first. The rules have already allowed it.
pub(super) fn changes(
    workspace: &Workspace,
    idx: TaskIdx,
    action: &Action,
    config: &Config,
) -> Vec<TaskChange> {
    let stamp = Stamp::new(workspace, idx, config);
    let task = workspace.task(idx);
    let from = task.stage;
    let mut me = Change::new(idx);
    let mut others = Vec::new();
    // Every event that moves the task names both ends, so the ledger reads on its own.
    let route = |to: Stage| [("from", from.name()), ("to", to.name())];
    let moving = |me: &mut Change, event: &str, desc: String, to: Stage| {
        me.events.push(stamp.line(event, &desc, &route(to)));
    };
    let validated = |to: Stage| {
        stamp.line(
            "validated",
            &format!("WF-VALIDATE-MOVE passed: {from} → {to}"),
            &route(to),
        )
    };
    match action {
        Action::Verify => {
            let to = Stage::Backlog;
            moving(
                &mut me,
                "verified",
                format!("Verified: moved from {from} to {to}"),
                to,
            );
            me.move_to(to);
        }
        Action::Prioritize => {
            let to = Stage::Next;
            me.events.push(validated(to));
            // WF-VALIDATE-MOVE option A: an unfinished dependency does not stop the move
            // into next; the task goes there blocked on it.
            let waiting = unfinished_dependencies(workspace, task);
            for dependency in &waiting {
                let id = dependency.id.to_string();
                me.events.push(stamp.line(
                    "waiting_on",
                    &format!("Waiting on {id}, still in {}", dependency.stage),
                    &[("dependency", &id)],
                ));
            }
            moving(
                &mut me,
                "prioritized",
                format!("Prioritized: moved from {from} to {to}"),
                to,
            );
            me.move_to(to);
            // A task already blocked keeps its blocker; a second one has no field to go in.
            if let Some(first) = waiting.first()
                && status(task) != Status::Blocked
            {
                me.set("status", Status::Blocked.name());
                me.set("blocked_by", format!("task:{}", first.id));
            }
        }
        Action::Start => {
            let to = Stage::Current;
            me.events.push(validated(to));
            moving(
                &mut me,
                "started",
                format!("Started: moved from {from} to {to}"),
                to,
            );
            me.move_to(to);
        }
        Action::FastTrack => {
            let to = Stage::Current;
            me.events.push(validated(to));
            if let Ok(Some(displaced)) = displacement(workspace, idx) {
                let displaced_id = workspace.task(displaced).id.to_string();
                me.events.push(stamp.line(
                    "displaced",
                    &format!("Displaced {displaced_id} from current to make room for this P0"),
                    &[("displaced_task", &displaced_id)],
                ));
                others.push(displace(workspace, displaced, task, &stamp));
            }
            moving(
                &mut me,
                "fast_tracked",
                format!("Fast-tracked as P0: moved from {from} to {to}, skipping next"),
                to,
            );
            moving(
                &mut me,
                "started",
                format!("Started: moved from {from} to {to}"),
                to,
            );
            me.move_to(to);
        }
        Action::Complete => {
            let to = Stage::Integration;
            moving(
                &mut me,
                "implemented",
                format!("Implemented: moved from {from} to {to}"),
                to,
            );
            me.move_to(to);
        }
        Action::Rework => {
            let to = Stage::Next;
            moving(
                &mut me,
                "rework_required",
                format!("Rework required: moved from {from} back to {to}"),
                to,
            );
            me.move_to(to);
        }
        Action::Integrate => {
            let to = Stage::Learning;
            me.events
                .push(stamp.line("integrated", "Integrated and released", &[]));
            moving(
                &mut me,
                "moved_to_learning",
                format!("Moved from {from} to {to}"),
                to,
            );
            me.move_to(to);
        }
        Action::Close => {
            let to = Stage::Archived;
            let short = task.id.short();
            let has_learning = task
                .learning
                .is_some_and(|file| workspace.file(file).exists);
            me.events.push(if has_learning {
                stamp.line(
                    "learning_documented",
                    &format!("Learning documented in {short}.learning.md"),
                    &[],
                )
            } else {
                stamp.line(
                    "learning_skipped",
                    &format!("Learning skipped: no {short}.learning.md was written"),
                    &[],
                )
            });
            moving(
                &mut me,
                "closed",
                format!("Closed: moved from {from} to {to}"),
                to,
            );
            me.move_to(to);
        }
        Action::CloseWithoutLearning => {
            let to = Stage::Archived;
            me.events
                .push(stamp.line("integrated", "Integrated and released", &[]));
            me.events.push(stamp.line(
                "learning_skipped",
                "Learning skipped: closed straight from integration",
                &[],
            ));
            moving(
                &mut me,
                "closed",
                format!("Closed: moved from {from} to {to}"),
                to,
            );
            me.move_to(to);
        }
        Action::Cancel => {
            let to = Stage::Archived;
            let reason = task.meta.canceled_reason.clone().unwrap_or_default();
            me.events.push(stamp.line(
                "canceled",
                &format!("Canceled: moved from {from} to {to}"),
                &[
                    ("reason", &reason),
                    ("from", from.name()),
                    ("to", to.name()),
                ],
            ));
            me.move_to(to);
            me.set("status", Status::Canceled.name());
            let cascaded: Vec<TaskIdx> = dependents(workspace, idx)
                .into_iter()
                // A dependent missing its card or ledger has nowhere to record the block;
                // package-file-missing already asks for it to be repaired first.
                .filter(|&other| {
                    let other = workspace.task(other);
                    cascades_to(other) && other.card.is_some() && other.ledger.is_some()
                })
                .collect();
            if !cascaded.is_empty() {
                let ids: Vec<String> = cascaded
                    .iter()
                    .map(|&other| workspace.task(other).id.to_string())
                    .collect();
                me.events.push(event_line_values(
                    &stamp.ts,
                    &stamp.user,
                    "cascade_cancel",
                    &format!("Affected dependents: {}", ids.join(", ")),
                    &[("dependents", Value::from(ids.clone()))],
                ));
                others.extend(
                    cascaded
                        .into_iter()
                        .map(|other| block_by_cancel(other, task, &stamp)),
                );
            }
        }
        Action::Block { on } => {
            let blocker = workspace
                .lookup_in(task.root, on)
                .map(|blocker| format!(", still in {}", blocker.stage))
                .unwrap_or_default();
            let blocked_by = format!("task:{on}");
            me.events.push(stamp.line(
                "blocked",
                &format!("Blocked on {on}{blocker}"),
                &[("blocked_by", &blocked_by)],
            ));
            me.set("status", Status::Blocked.name());
            me.set("blocked_by", blocked_by);
        }
        Action::Unblock => {
            let previous = raw_field(workspace, task, "blocked_by").unwrap_or_default();
            let desc = match blocker_text(task) {
                Some(blocker) => format!("Unblocked: {blocker} no longer holds it up"),
                None => "Unblocked".to_string(),
            };
            me.events
                .push(stamp.line("unblocked", &desc, &[("previously_blocked_by", &previous)]));
            me.set("status", Status::Active.name());
            me.clear("blocked_by");
        }
        Action::Pause => {
            let reason = task.meta.paused_reason.clone().unwrap_or_default();
            let mut extra = vec![
                ("reason", reason.as_str()),
                ("paused_from_stage", from.name()),
            ];
            let desc = match action.destination(from) {
                Some(to) => {
                    extra.extend(route(to));
                    me.move_to(to);
                    format!("Paused: moved from {from} to {to}")
                }
                None => format!("Paused in {from}"),
            };
            me.events.push(stamp.line("paused", &desc, &extra));
            me.set("status", Status::Paused.name());
            me.set("paused_date", stamp.today());
        }
        Action::Resume => {
            // `resumed_to_stage` tells the ledger's reader where the task now is: a task
            // paused out of current may resume in next, where it waits.
            me.events.push(stamp.line(
                "resumed",
                &format!("Resumed in {from}"),
                &[("resumed_to_stage", from.name())],
            ));
            me.set("status", Status::Active.name());
            me.clear("paused_reason");
            // WF-RESUME clears the expected date; the pause date goes with the pause. Only
            // fields the card holds are cleared, so no `null` lines appear from nowhere.
            for key in ["paused_date", "expected_resume_date"] {
                if raw_field(workspace, task, key).is_some() {
                    me.clear(key);
                }
            }
        }
    }
    let mut out = vec![me.finish(&stamp)];
    out.extend(others.into_iter().map(|change| change.finish(&stamp)));
    out
}

/// The P0 fast-track's displacement of `displaced` out of current (priority-effort
/// workflow, step 4): paused, moved to next, `paused_by_p0` in its ledger.
fn displace(workspace: &Workspace, displaced: TaskIdx, p0: &Task, stamp: &Stamp) -> Change {
    let from = workspace.task(displaced).stage;
    let to = Stage::Next;
    let reason = format!("Preempted by P0 {}", p0.id);
    let p0_id = p0.id.to_string();
    let mut change = Change::new(displaced);
    change.events.push(stamp.line(
        "paused_by_p0",
        &format!("{reason}: paused and moved from {from} to {to}"),
        &[
            ("preempted_by", &p0_id),
            ("reason", &reason),
            ("from", from.name()),
            ("to", to.name()),
        ],
    ));
    change.move_to(to);
    change.set("status", Status::Paused.name());
    change.set("paused_reason", reason);
    change.set("paused_date", stamp.today());
    change
}

/// WF-CASCADE-CANCEL for a dependent waiting in inbox, backlog or next.
fn block_by_cancel(dependent: TaskIdx, canceled: &Task, stamp: &Stamp) -> Change {
    let id = canceled.id.to_string();
    let mut change = Change::new(dependent);
    change.events.push(stamp.line(
        "cascade_blocked_by_cancel",
        &format!("Upstream {id} was canceled"),
        &[("blocker", &id)],
    ));
    change.set("status", Status::Blocked.name());
    change.set("blocked_by", format!("task:{id} (canceled)"));
    change
}

/// A frontmatter value as written, when it is a non-null scalar.
pub(super) fn raw_field(workspace: &Workspace, task: &Task, key: &str) -> Option<String> {
    let entry = workspace.card(task)?.frontmatter.block()?.get(key)?;
    entry.value.as_str().map(str::to_string)
}
