//! Where tasks stand in the flow, as the model records it: when a task entered its stage,
//! where its ledger says it is, how full a stage is against its WIP limit, and the waivers and
//! cancel cascades its ledger and card record. Shared by the rules that report on these and
//! by the features (transitions, hover, code lens) that act on them.

use crate::base::TextRange;
use crate::db::events::{entered_stage, entered_stage_after};
use crate::db::meta::BlockedBy;
use crate::db::vocab::{Stage, Status};
use crate::db::{FileId, Parsed, Task, TaskIdx, TasksRoot, Workspace};
use crate::syntax::ledger::{Ledger, LineKind};
use crate::syntax::task_id::{TaskId, scan_refs};
use crate::syntax::time::parse_rfc3339;
use crate::syntax::wip_policy::{LimitScope, WipPolicy};

/// When the task entered its current stage: the last ledger event that enters that stage
/// (`created` for inbox), with the range of its `ts` value.
pub fn stage_entry(workspace: &Workspace, task: &Task) -> Option<(i64, TextRange)> {
    let ledger = workspace.ledger(task)?;
    ledger
        .events()
        .filter(|(_, event)| {
            let name = event.event().unwrap_or_default();
            entered_stage(name) == Some(task.stage)
                || (task.stage == Stage::Inbox && name == "created")
        })
        .filter_map(|(_, event)| {
            let ts = parse_rfc3339(event.ts()?)?;
            Some((ts, event.field("ts")?.value_range))
        })
        .last()
}

/// Where a ledger says its task is, replayed from its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerStage<'l> {
    /// The last stage-entering event's stage, or inbox for a ledger that records the creation
    /// and no move since.
    pub stage: Stage,
    /// That event's name and where it is written.
    pub event: &'l str,
    pub range: TextRange,
    /// Whether a pause came after it and no resume since.
    pub paused_after: bool,
}

impl LedgerStage<'_> {
    /// Whether a task in the `folder` stage agrees with the ledger. A pause moves a task from
    /// current back to next (SPEC §5), so a pause after entering current also allows next.
    pub fn agrees_with(&self, folder: Stage) -> bool {
        folder == self.stage || folder == self.belongs_in()
    }

    /// The stage the task belongs in: next for a task paused out of current, else the stage.
    pub fn belongs_in(&self) -> Stage {
        if self.paused_after && self.stage == Stage::Current {
            Stage::Next
        } else {
            self.stage
        }
    }
}

/// The status a state event sets on its own, moving no folder: WF-BLOCK's `blocked` and the
/// cascades of a cancel or a pause block, `unblocked` and `resumed` make a task active again,
/// `paused` (where it waits) pauses it. None for every other event (a move's events are
/// `ledger_stage`'s).
pub fn status_set_by(event: &str) -> Option<Status> {
    match event {
        "blocked" | "cascade_blocked_by_cancel" | "cascade_blocked_by_pause" => {
            Some(Status::Blocked)
        }
        "unblocked" | "resumed" => Some(Status::Active),
        "paused" => Some(Status::Paused),
        _ => None,
    }
}

/// Replays a ledger's stage-entering events (SPEC §2). A `resumed` event naming a
/// `resumed_to_stage` (WF-RESUME) puts the task in that stage: a task paused out of current
/// may be resumed where it waits, in next, and its ledger then agrees with its folder.
pub fn ledger_stage(ledger: &Ledger) -> Option<LedgerStage<'_>> {
    let mut said: Option<LedgerStage> = None;
    for (line, event) in ledger.events() {
        let Some(name) = event.event() else {
            continue;
        };
        let range = event
            .field("event")
            .map_or(line.range, |field| field.value_range);
        let entered = |stage: Stage| LedgerStage {
            stage,
            event: name,
            range,
            paused_after: false,
        };
        if let Some(stage) = entered_stage_after(name, said.map(|said| said.stage)) {
            said = Some(entered(stage));
        } else if name == "created" && said.is_none() {
            said = Some(entered(Stage::Inbox));
        } else if let Some(said) = said.as_mut()
            && matches!(name, "paused" | "paused_by_p0" | "displaced_by_p0")
        {
            said.paused_after = true;
        } else if name == "resumed" {
            match event.str_field("resumed_to_stage").and_then(Stage::parse) {
                Some(stage) => said = Some(entered(stage)),
                None => {
                    if let Some(said) = said.as_mut() {
                        said.paused_after = false;
                    }
                }
            }
        }
    }
    said
}

/// How full a stage is for one task about to enter it (or, already there, about to count
/// again): the limit in force and the other counted tasks sharing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageLoad {
    pub max: u32,
    /// The DRI whose tasks share the limit, for a per-DRI limit.
    pub dri: Option<String>,
    /// The counted tasks of the group, the task itself left out.
    pub others: Vec<TaskIdx>,
    /// Whether breaking the limit is an error (current) rather than a warning.
    pub hard: bool,
}

/// The load `stage` puts on `idx` under the policy wip-limit enforces; None when the stage
/// has no limit.
pub fn stage_load(workspace: &Workspace, idx: TaskIdx, stage: Stage) -> Option<StageLoad> {
    let task = workspace.task(idx);
    let root = &workspace.roots[task.root];
    let defaults = WipPolicy::defaults();
    let policy = limits_policy(workspace, task.root, &defaults);
    let limit = policy.limit(stage.name())?;
    let max = limit.limit?;
    let dri = match limit.scope {
        LimitScope::SystemWide => None,
        LimitScope::PerDri => Some(dri_key(task)),
    };
    let others = root
        .tasks
        .iter()
        .copied()
        .filter(|&other| other != idx)
        .filter(|&other| {
            let other = workspace.task(other);
            other.stage == stage && counts(other) && dri.is_none_or(|dri| dri_key(other) == dri)
        })
        .collect();
    Some(StageLoad {
        max,
        dri: dri.map(str::to_string),
        others,
        hard: is_hard(stage),
    })
}

/// wip.policy.md and its parsed tables, when it sets the limits (else the defaults apply).
pub fn policy_file<'w>(
    workspace: &'w Workspace,
    root: &TasksRoot,
) -> Option<(FileId, &'w WipPolicy)> {
    root.wip_policy
        .and_then(|file| match &workspace.file(file).parsed {
            Parsed::WipPolicy(policy) if policy.limits_from_file => Some((file, policy)),
            _ => None,
        })
}

/// The WIP-limit table in force for tasks root `root`: its wip.policy.md's when that file
/// sets limits, else `defaults` (SPEC §2). Which SLOs apply is a separate question
/// (`db::slo::slo_policy`): a file may set one table and not the other.
pub fn limits_policy<'a>(
    workspace: &'a Workspace,
    root: usize,
    defaults: &'a WipPolicy,
) -> &'a WipPolicy {
    policy_file(workspace, &workspace.roots[root]).map_or(defaults, |(_, policy)| policy)
}

/// Whether a task counts against its stage's limit: paused and canceled tasks do not, and a
/// task without a readable status is counted rather than let through.
pub fn counts(task: &Task) -> bool {
    task.meta
        .status()
        .is_none_or(|status| status.counts_for_wip())
}

/// SPEC §2: only current's limit is hard.
pub fn is_hard(stage: Stage) -> bool {
    stage == Stage::Current
}

/// Whose share of a per-DRI limit a task uses.
pub fn dri_key(task: &Task) -> &str {
    task.meta.current_dri.as_deref().unwrap_or("(no DRI)")
}

/// Whether the task's ledger holds a `concurrent_ok` event that names `dependency`.
pub fn has_concurrent_waiver(workspace: &Workspace, task: &Task, dependency: &TaskId) -> bool {
    let (Some(ledger), Some(file)) = (workspace.ledger(task), task.ledger) else {
        return false;
    };
    let text = &workspace.file(file).text;
    ledger.lines.iter().any(|line| {
        let LineKind::Event(event) = &line.kind else {
            return false;
        };
        event.event() == Some("concurrent_ok")
            && line_mentions(line.range.slice(text), dependency, task.namespace())
    })
}

fn line_mentions(line: &str, dependency: &TaskId, namespace: Option<&str>) -> bool {
    scan_refs(line, 0)
        .iter()
        .any(|found| found.id.resolved_in(namespace) == *dependency)
        || line.contains(&format!("\"{}\"", dependency.short()))
}

/// Whether WF-CASCADE-CANCEL has already been applied to `task` for its canceled dependency
/// `canceled`: the task is blocked by it with the `(canceled)` note the cascade writes
/// (`blocked_by: "task:TASK-0042 (canceled)"`, the inbox/backlog/next branch), or paused
/// with a reason naming it as canceled (the current/integration branch). The dependency then
/// stays in `depends_on` on purpose until the DRI retargets, splits or cancels, and the
/// blocked or paused status already shows that; warning again would flag the workflow's own
/// output.
pub fn cascade_recorded(task: &Task, canceled: &TaskId) -> bool {
    match task.meta.status() {
        Some(Status::Blocked) => matches!(
            &task.meta.blocked_by,
            Some((BlockedBy::Task { target, note: Some(note) }, _))
                if target.id == *canceled && note.to_ascii_lowercase().contains("cancel")
        ),
        Some(Status::Paused) => task.meta.paused_reason.as_deref().is_some_and(|reason| {
            reason.to_ascii_lowercase().contains("cancel")
                && scan_refs(reason, 0)
                    .iter()
                    .any(|found| found.id.resolved_in(task.namespace()) == *canceled)
        }),
        _ => false,
    }
}

/// The stage the task's ledger puts it in, when that is not its folder's. The ledger is the
/// record of what happened, so while it disagrees with the folder, every fix follows it
/// (stage-mismatch, the index rows) rather than the folder.
pub fn ledger_ahead_or_behind(ws: &Workspace, idx: TaskIdx) -> Option<Stage> {
    let task = ws.task(idx);
    let stage = ws.ledger(task).and_then(ledger_stage)?.belongs_in();
    (stage != task.stage).then_some(stage)
}
