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
    if matches!(task.meta.status(), Some(Status::Paused | Status::Canceled)) {
        return None;
    }
    stage_slo(task, task.stage, policy)
}

/// The SLO `task` is held to while in `stage`, whatever its status (the flow metrics measure
/// the stages a closed task went through); None for archived, or a stage without a target.
pub fn stage_slo(task: &Task, stage: Stage, policy: &WipPolicy) -> Option<SloHours> {
    if stage == Stage::Archived {
        return None;
    }
    let slo = policy.slo(stage.name())?;
    let effort_hours = effort_hours(task);
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

/// The task's effort estimate in hours (a size or a number of days), when it has one.
pub fn effort_hours(task: &Task) -> Option<i64> {
    task.meta
        .effort
        .as_deref()
        .and_then(effort_days)
        .map(|days| days * 24)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::flow::limits_policy;
    use crate::ide::fixture::workspace;

    const LIMITS_ONLY: &str = "//- /wip.policy.md\n| Stage | WIP Limit | Scope |\n|---|---|---|\n| current | ≤1 | System-wide |\n";
    const SLOS_ONLY: &str = "//- /wip.policy.md\n| Stage | SLO Target | Violation Threshold |\n|---|---|---|\n| backlog | 30 days | >60 days |\n";

    /// wip.policy.md may set one table and leave the other to SPEC §2: each lookup takes the
    /// file's table only when the file sets it.
    #[test]
    fn each_table_of_the_policy_applies_on_its_own() {
        let defaults = WipPolicy::defaults();

        let limits_only = workspace(LIMITS_ONLY);
        let limits = limits_policy(&limits_only, 0, &defaults);
        assert_eq!(limits.limit("current").and_then(|row| row.limit), Some(1));
        assert_eq!(slo_policy(&limits_only, 0, &defaults).slos, defaults.slos);

        let slos_only = workspace(SLOS_ONLY);
        let slos = slo_policy(&slos_only, 0, &defaults);
        // 30 days = 720 hours, 60 days = 1440 hours.
        let backlog = slos.slo("backlog").unwrap();
        assert_eq!(backlog.target, Some(SloDuration::Hours(720)));
        assert_eq!(backlog.violation, Some(SloDuration::Hours(1440)));
        assert_eq!(
            limits_policy(&slos_only, 0, &defaults).limits,
            defaults.limits
        );
    }
}
