//! slo-exceeded: time in the current stage, from the ledger event that entered it until
//! "now", against the SLO table of wip.policy.md (else SPEC §2's defaults).
//!
//! Info once over the target, warning beyond the violation threshold. `current` is measured
//! against the task's own effort: the target is the effort in days (XS 1, S 2, M 3, L 5,
//! XL 8, or the number itself) and the threshold its multiple from the table. Archived
//! tasks are done, `next` has no target, and paused or canceled tasks are not flowing, so
//! none of those is measured.

use crate::db::flow::stage_entry;
use crate::db::slo::{SloHours, duration, slo_policy, task_slo};
use crate::db::vocab::Stage;
use crate::db::{Task, Workspace};
use crate::ide::diagnostics::{RuleDoc, stage_anchor};
use crate::ide::types::{Config, Diagnostic, Rule, Severity};
use crate::syntax::wip_policy::WipPolicy;

const HOUR: i64 = 3600;

/// slo-exceeded for one task; returns the moment its result next changes while nothing but
/// the clock moves (None: never).
pub(super) fn check_one(
    workspace: &Workspace,
    config: &Config,
    task: &Task,
    out: &mut Vec<Diagnostic>,
) -> Option<i64> {
    let now = config.now;
    let defaults = WipPolicy::defaults();
    let policy = slo_policy(workspace, task.root, &defaults);
    check_task(workspace, task, policy, now, out)
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

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const SLO_EXCEEDED: RuleDoc = RuleDoc {
    rule: Rule::SloExceeded,
    name: "slo-exceeded",
    severity: Severity::Info,
    summary: "Time in the current stage exceeds its SLO (a warning beyond the violation threshold).",
    docs: include_str!("docs/slo-exceeded.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[SLO_EXCEEDED];

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
            now: parse_rfc3339(now).unwrap(),
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
