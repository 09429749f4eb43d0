//! A task's service-level objective: the SLO table in force for its root and the target
//! and violation threshold it is measured against in its stage (SPEC §2), in hours.

use crate::db::vocab::{Stage, Status};
use crate::db::{Parsed, Task, Workspace};
use crate::syntax::wip_policy::{SloDuration, WipPolicy};

/// The SLO table in force for tasks root `root`: its wip.policy.md's when that file has one,
/// else `defaults` (SPEC §2).
pub fn slo_policy<'a>(
    workspace: &'a Workspace,
    root: usize,
    defaults: &'a WipPolicy,
) -> &'a WipPolicy {
    workspace.roots[root]
        .wip_policy
        .and_then(|file| match &workspace.file(file).parsed {
            Parsed::WipPolicy(policy) if policy.slos_from_file => Some(policy),
            _ => None,
        })
        .unwrap_or(defaults)
}

/// A task's SLO in hours: the target, and the violation threshold when the policy sets one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SloHours {
    pub target: i64,
    pub violation: Option<i64>,
}

/// The SLO a task is measured against in its stage; None when it is not measured (archived
/// tasks are done, paused and canceled ones are not flowing) or its stage has no target
/// (`current` without an effort estimate).
pub fn task_slo(task: &Task, policy: &WipPolicy) -> Option<SloHours> {
    if task.stage == Stage::Archived
        || matches!(task.meta.status(), Some(Status::Paused | Status::Canceled))
    {
        return None;
    }
    let slo = policy.slo(task.stage.name())?;
    let effort_hours = task
        .meta
        .effort
        .as_deref()
        .and_then(effort_days)
        .map(|days| days * 24);
    let resolve = |duration: Option<SloDuration>| match duration? {
        SloDuration::Hours(hours) => Some(i64::from(hours)),
        SloDuration::EffortMultiple(times) => effort_hours.map(|hours| hours * i64::from(times)),
    };
    let violation = resolve(slo.violation);
    // A stage measured only by a multiple of effort has the effort itself as its target.
    let target = resolve(slo.target).or(match slo.violation {
        Some(SloDuration::EffortMultiple(_)) => effort_hours,
        _ => None,
    })?;
    Some(SloHours { target, violation })
}

fn effort_days(effort: &str) -> Option<i64> {
    match effort {
        "XS" => Some(1),
        "S" => Some(2),
        "M" => Some(3),
        "L" => Some(5),
        "XL" => Some(8),
        number => number.parse().ok().filter(|&days: &i64| days > 0),
    }
}

/// `3d 4h`, `7d`, `18h`.
pub fn duration(hours: i64) -> String {
    match (hours / 24, hours % 24) {
        (0, hours) => format!("{hours}h"),
        (days, 0) => format!("{days}d"),
        (days, hours) => format!("{days}d {hours}h"),
    }
}
