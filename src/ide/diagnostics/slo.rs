//! slo-exceeded: time in the current stage, from the ledger event that entered it until
//! "now", against the SLO table of wip.policy.md (else SPEC §2's defaults).
//!
//! Info once over the target, warning beyond the violation threshold. `current` is measured
//! against the task's own effort: the target is the effort in days (XS 1, S 2, M 3, L 5,
//! XL 8, or the number itself) and the threshold its multiple from the table. Archived
//! tasks are done, `next` has no target, and paused or canceled tasks are not flowing, so
//! none of those is measured.

use crate::base::TextRange;
use crate::db::events::entered_stage;
use crate::db::vocab::{Stage, Status};
use crate::db::{Parsed, Task, Workspace};
use crate::ide::diagnostics::stage_anchor;
use crate::ide::types::{Config, Diagnostic, Rule, Severity};
use crate::syntax::time::parse_rfc3339;
use crate::syntax::wip_policy::{SloDuration, WipPolicy};

const HOUR: i64 = 3600;

/// slo-exceeded for one task; returns the moment its result next changes while nothing but
/// the clock moves (None: never).
pub(super) fn check_one(
    workspace: &Workspace,
    config: &Config,
    task: &Task,
    out: &mut Vec<Diagnostic>,
) -> Option<i64> {
    let now = config.now.unwrap_or_else(clock_now);
    let defaults = WipPolicy::defaults();
    let policy = slo_policy(workspace, task.root, &defaults);
    check_task(workspace, task, policy, now, out)
}

/// The SLO table in force for tasks root `root`: its wip.policy.md's when that file has one,
/// else `defaults` (SPEC §2).
pub(crate) fn slo_policy<'a>(
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

/// Seconds since the epoch by the system clock.
pub(crate) fn clock_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// A task's SLO in hours: the target, and the violation threshold when the policy sets one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SloHours {
    pub(crate) target: i64,
    pub(crate) violation: Option<i64>,
}

/// The SLO a task is measured against in its stage; None when it is not measured (see the
/// module comment) or its stage has no target (`current` without an effort estimate).
pub(crate) fn task_slo(task: &Task, policy: &WipPolicy) -> Option<SloHours> {
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

fn check_task(
    workspace: &Workspace,
    task: &Task,
    policy: &WipPolicy,
    now: i64,
    out: &mut Vec<Diagnostic>,
) -> Option<i64> {
    let SloHours { target, violation } = task_slo(task, policy)?;
    let (entered, entered_range) = stage_entry(workspace, task)?;
    let spent_hours = (now - entered) / HOUR;
    if spent_hours <= target {
        // Nothing until the target is passed.
        return Some(entered.saturating_add((target + 1).saturating_mul(HOUR)));
    }
    // Over the target the message counts the hours, so it changes with each one.
    let next_change = entered.saturating_add((spent_hours + 1).saturating_mul(HOUR));
    let beyond = violation.is_some_and(|violation| spent_hours > violation);
    let severity = if beyond {
        Severity::Warning
    } else {
        Severity::Info
    };
    let threshold = match violation {
        Some(violation) => format!("; the violation threshold is {}", duration(violation)),
        None => String::new(),
    };
    let effort_note = match (task.stage, task.meta.effort.as_deref()) {
        (Stage::Current, Some(effort)) => format!(" (effort {effort})"),
        _ => String::new(),
    };
    let (card, anchor) = stage_anchor(workspace, task)?;
    let mut diagnostic = Diagnostic::new(
        Rule::SloExceeded,
        card,
        anchor,
        format!(
            "{} has been in {} for {}, over its SLO target of {}{effort_note}{threshold}",
            task.id,
            task.stage,
            duration(spent_hours),
            duration(target)
        ),
    )
    .with_severity(severity);
    if let Some(ledger) = task.ledger {
        diagnostic = diagnostic.with_related(
            ledger,
            entered_range,
            format!("entered {} here", task.stage),
        );
    }
    out.push(diagnostic);
    Some(next_change)
}

/// When the task entered its current stage: the last ledger event that enters that stage
/// (`created` for inbox), with the range of its `ts` value.
pub(crate) fn stage_entry(workspace: &Workspace, task: &Task) -> Option<(i64, TextRange)> {
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
pub(crate) fn duration(hours: i64) -> String {
    match (hours / 24, hours % 24) {
        (0, hours) => format!("{hours}h"),
        (days, 0) => format!("{days}d"),
        (days, hours) => format!("{days}d {hours}h"),
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, package, render, workspace};
    use crate::ide::types::{Config, Rule};
    use crate::syntax::time::parse_rfc3339;

    /// A task in `folder` whose ledger entered its stage with `event` at `ts`.
    fn task_entered(folder: &str, fields: &str, event: &str, ts: &str) -> String {
        let package = package(folder, fields);
        let created = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}\n";
        package.replace(
            created,
            &format!("{created}{{\"ts\":\"{ts}\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"d\"}}\n"),
        )
    }

    fn slo_at(fixture: &str, now: &str) -> String {
        let workspace = workspace(fixture);
        let config = Config {
            now: parse_rfc3339(now),
            ..Config::default()
        };
        let diagnostics = workspace_diagnostics(&workspace, &config);
        render(
            &workspace,
            diagnostics.iter().filter(|d| d.rule == Rule::SloExceeded),
        )
    }

    #[test]
    fn backlog_over_target_is_info_and_over_threshold_a_warning() {
        let fixture = format!(
            "{COUNTER}{}",
            task_entered(
                "backlog/TASK-0001-a",
                "",
                "verified",
                "2026-04-01T00:00:00Z"
            )
        );
        assert_eq!(slo_at(&fixture, "2026-04-07T23:00:00Z"), "");
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:7:8 info `"backlog"` TASK-0001 has been in backlog for 8d 2h, over its SLO target of 7d; the violation threshold is 14d
              -> backlog/TASK-0001-a/0001.ledger.jsonl `"2026-04-01T00:00:00Z"` entered backlog here
        "#]]
        .assert_eq(&slo_at(&fixture, "2026-04-09T02:00:00Z"));
        expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:7:8 warning `"backlog"` TASK-0001 has been in backlog for 20d, over its SLO target of 7d; the violation threshold is 14d
              -> backlog/TASK-0001-a/0001.ledger.jsonl `"2026-04-01T00:00:00Z"` entered backlog here
        "#]]
        .assert_eq(&slo_at(&fixture, "2026-04-21T00:00:00Z"));
    }

    #[test]
    fn current_is_measured_against_the_effort() {
        let fixture = format!(
            "{COUNTER}{}",
            task_entered(
                "current/TASK-0001-a",
                "effort_estimate: S",
                "started",
                "2026-04-01T00:00:00Z"
            )
        );
        assert_eq!(slo_at(&fixture, "2026-04-02T12:00:00Z"), "");
        expect![[r#"
            current/TASK-0001-a/0001-a.task.md:7:8 warning `"current"` TASK-0001 has been in current for 5d, over its SLO target of 2d (effort S); the violation threshold is 4d
              -> current/TASK-0001-a/0001.ledger.jsonl `"2026-04-01T00:00:00Z"` entered current here
        "#]]
        .assert_eq(&slo_at(&fixture, "2026-04-06T00:00:00Z"));
    }

    #[test]
    fn paused_and_archived_tasks_are_not_measured() {
        let paused = format!(
            "{COUNTER}{}",
            task_entered(
                "backlog/TASK-0001-a",
                "status: paused\npaused_reason: x",
                "verified",
                "2026-04-01T00:00:00Z"
            )
        );
        assert_eq!(slo_at(&paused, "2026-06-01T00:00:00Z"), "");
        let archived = format!(
            "{COUNTER}{}",
            task_entered("archived/TASK-0001-a", "", "closed", "2026-04-01T00:00:00Z")
        );
        assert_eq!(slo_at(&archived, "2027-04-01T00:00:00Z"), "");
    }

    #[test]
    fn the_policy_table_overrides_the_defaults() {
        let policy = "//- /wip.policy.md\n| Stage | SLO Target | Measurement | Violation Threshold |\n|---|---|---|---|\n| backlog | 30 days | verified to prioritized | >60 days |\n";
        let fixture = format!(
            "{COUNTER}{policy}{}",
            task_entered(
                "backlog/TASK-0001-a",
                "",
                "verified",
                "2026-04-01T00:00:00Z"
            )
        );
        assert_eq!(slo_at(&fixture, "2026-04-21T00:00:00Z"), "");
        assert!(slo_at(&fixture, "2026-05-05T00:00:00Z").contains("target of 30d"));
    }
}
