//! Rules on a task's state fields: blocked-without-reason, paused-without-reason,
//! priority-required, estimate-required and terminal-status-stage.

use crate::base::TextRange;
use crate::db::meta::BlockedBy;
use crate::db::vocab::{Stage, Status};
use crate::db::{Task, TaskIdx, Workspace};
use crate::ide::diagnostics::fix::{Fixes, card_task, combine, set};
use crate::ide::diagnostics::index::{Follow, follow_card};
use crate::ide::diagnostics::{RuleDoc, RuleModule, task_anchor};
use crate::ide::edit::frontmatter::NewValue;
use crate::ide::types::{Diagnostic, Rule, Severity};

/// The rules for one task; they read only it and the tasks it names.
pub(super) fn check_task(workspace: &Workspace, idx: TaskIdx, out: &mut Vec<Diagnostic>) {
    let task = workspace.task(idx);
    let Some((card, anchor)) = task_anchor(workspace, task) else {
        return;
    };
    let field_range = |key: &str| -> TextRange {
        workspace
            .card(task)
            .and_then(|parsed| {
                parsed
                    .frontmatter
                    .block()?
                    .get(key)
                    .map(|entry| entry.value.range)
            })
            .filter(|range| !range.is_empty())
            .unwrap_or(anchor)
    };
    let Some((status, status_range)) = task.meta.status else {
        return;
    };
    let mut emit = |rule: Rule, range: TextRange, message: String| {
        out.push(Diagnostic::new(rule, card, range, message));
    };
    check_blocked(task, status, status_range, &field_range, &mut emit);
    if status == Status::Paused && task.meta.paused_reason.is_none() {
        emit(
            Rule::PausedWithoutReason,
            status_range,
            "the task is paused but `paused_reason` is empty; say why and when it may resume"
                .into(),
        );
    }
    // Canceled and split tasks are terminal: a split parent is superseded by its children
    // (WF-SPLIT archives it, often straight from backlog grooming after an XL estimate,
    // before it was ever prioritized), so planning fields no longer apply to it.
    if task.stage >= Stage::Next && !matches!(status, Status::Canceled | Status::Split) {
        if task.meta.priority.is_none() {
            emit(
                Rule::PriorityRequired,
                field_range("priority"),
                format!("a task in {} needs a priority (P0–P4)", task.stage),
            );
        }
        if task.meta.effort.is_none() {
            emit(
                Rule::EstimateRequired,
                field_range("effort_estimate"),
                format!(
                    "a task in {} needs an effort_estimate (XS, S, M, L, XL or 1, 2, 3, 5, 8)",
                    task.stage
                ),
            );
        }
    }
    if matches!(status, Status::Canceled | Status::Split) && task.stage != Stage::Archived {
        emit(
            Rule::TerminalStatusStage,
            status_range,
            format!(
                "a {status} task belongs in archived, but this one is in {}",
                task.stage
            ),
        );
    }
}

fn check_blocked(
    task: &Task,
    status: Status,
    status_range: TextRange,
    field_range: &dyn Fn(&str) -> TextRange,
    emit: &mut dyn FnMut(Rule, TextRange, String),
) {
    let blocked_by = task.meta.blocked_by.as_ref();
    if status == Status::Blocked && blocked_by.is_none() {
        emit(
            Rule::BlockedWithoutReason,
            status_range,
            "the task is blocked but `blocked_by` is empty; name the blocker (task:, external:, decision: or info:)".into(),
        );
    }
    // A canceled task keeps the blocker that was cascaded to it; the record is history.
    if status != Status::Blocked && status != Status::Canceled && blocked_by.is_some() {
        let what = match blocked_by {
            Some((BlockedBy::Task { target, .. }, _)) => target.id.to_string(),
            Some((BlockedBy::Other { kind, .. }, _)) => format!("{kind}:…"),
            None => String::new(),
        };
        emit(
            Rule::BlockedWithoutReason,
            field_range("blocked_by"),
            format!(
                "`blocked_by` names {what} but the status is {status}; set status to blocked or clear blocked_by"
            ),
        );
    }
}

/// blocked-without-reason when `blocked_by` is set but the status is not blocked: either the
/// blocker is stale or the status is. Both are offered; neither is certain. (A blocked task
/// without a blocker has no knowable fix: only the writer knows what blocks it.)
pub(super) fn fix_blocked_without_reason(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    let Some(idx) = ws.task_idx_of_file(d.file) else {
        return;
    };
    if task.meta.status() == Some(Status::Blocked) || task.meta.blocked_by.is_none() {
        return;
    }
    fixes.change(
        "Clear blocked_by",
        false,
        set(ws, d.file, "blocked_by", &NewValue::Null),
    );
    // The index rows' Status mirrors the card's, so they change with it.
    let blocked = Status::Blocked.name();
    let card = set(ws, d.file, "status", &NewValue::Str(blocked));
    let rows = follow_card(ws, idx, Follow::Status(blocked));
    fixes.change(
        "Set status to `blocked`",
        false,
        combine(std::iter::once(card).chain(rows.into_iter().map(Some))),
    );
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const BLOCKED_WITHOUT_REASON: RuleDoc = RuleDoc {
    rule: Rule::BlockedWithoutReason,
    name: "blocked-without-reason",
    severity: Severity::Warning,
    summary: "Status blocked without blocked_by, or blocked_by set while not blocked.",
    docs: include_str!("docs/blocked-without-reason.md"),
};

pub(crate) const PAUSED_WITHOUT_REASON: RuleDoc = RuleDoc {
    rule: Rule::PausedWithoutReason,
    name: "paused-without-reason",
    severity: Severity::Warning,
    summary: "Status paused without paused_reason.",
    docs: include_str!("docs/paused-without-reason.md"),
};

pub(crate) const PRIORITY_REQUIRED: RuleDoc = RuleDoc {
    rule: Rule::PriorityRequired,
    name: "priority-required",
    severity: Severity::Warning,
    summary: "A task in next or later has no priority.",
    docs: include_str!("docs/priority-required.md"),
};

pub(crate) const ESTIMATE_REQUIRED: RuleDoc = RuleDoc {
    rule: Rule::EstimateRequired,
    name: "estimate-required",
    severity: Severity::Warning,
    summary: "A task in next or later has no effort_estimate.",
    docs: include_str!("docs/estimate-required.md"),
};

pub(crate) const TERMINAL_STATUS_STAGE: RuleDoc = RuleDoc {
    rule: Rule::TerminalStatusStage,
    name: "terminal-status-stage",
    severity: Severity::Warning,
    summary: "Status canceled or split outside archived.",
    docs: include_str!("docs/terminal-status-stage.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[
    BLOCKED_WITHOUT_REASON,
    PAUSED_WITHOUT_REASON,
    PRIORITY_REQUIRED,
    ESTIMATE_REQUIRED,
    TERMINAL_STATUS_STAGE,
];

pub(super) const MODULE: RuleModule = RuleModule {
    card: None,
    task: Some(check_task),
    fixes: &[(Rule::BlockedWithoutReason, fix_blocked_without_reason)],
    rules: RULES,
};

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::fixture::{COUNTER, check_rule, package};
    use crate::ide::types::Rule;

    fn one(folder: &str, fields: &str) -> String {
        format!("{COUNTER}{}", package(folder, fields))
    }

    #[test]
    fn blocked_needs_a_blocker_and_a_blocker_needs_blocked() {
        expect![[r#"
            next/TASK-0001-a/0001-a.task.md:12:9 warning `"blocked"` the task is blocked but `blocked_by` is empty; name the blocker (task:, external:, decision: or info:)
        "#]]
        .assert_eq(&check_rule(&one("next/TASK-0001-a", "status: \"blocked\""), Rule::BlockedWithoutReason));
        expect![[r#"
            next/TASK-0001-a/0001-a.task.md:13:13 warning `"external:vendor"` `blocked_by` names external:… but the status is active; set status to blocked or clear blocked_by
        "#]]
        .assert_eq(&check_rule(&one("next/TASK-0001-a", "blocked_by: \"external:vendor\""), Rule::BlockedWithoutReason));
        let fine = one(
            "next/TASK-0001-a",
            "status: blocked\nblocked_by: \"external:vendor\"",
        );
        assert_eq!(check_rule(&fine, Rule::BlockedWithoutReason), "");
    }

    #[test]
    fn paused_needs_a_reason() {
        expect![[r#"
            next/TASK-0001-a/0001-a.task.md:12:9 warning `paused` the task is paused but `paused_reason` is empty; say why and when it may resume
        "#]]
        .assert_eq(&check_rule(&one("next/TASK-0001-a", "status: paused"), Rule::PausedWithoutReason));
        let fine = one(
            "next/TASK-0001-a",
            "status: paused\npaused_reason: \"waiting for budget\"",
        );
        assert_eq!(check_rule(&fine, Rule::PausedWithoutReason), "");
    }

    #[test]
    fn priority_and_estimate_are_required_from_next_on() {
        let fixture = one("next/TASK-0001-a", "priority: null\neffort_estimate: null");
        expect![[r#"
            next/TASK-0001-a/0001-a.task.md:8:11 warning `null` a task in next needs a priority (P0–P4)
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::PriorityRequired));
        expect![[r#"
            next/TASK-0001-a/0001-a.task.md:9:18 warning `null` a task in next needs an effort_estimate (XS, S, M, L, XL or 1, 2, 3, 5, 8)
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::EstimateRequired));
        // In backlog neither is due yet, and a canceled task is exempt everywhere.
        assert_eq!(
            check_rule(&one("backlog/TASK-0001-a", ""), Rule::PriorityRequired),
            ""
        );
        let canceled = one("archived/TASK-0001-a", "priority: null\nstatus: canceled");
        assert_eq!(check_rule(&canceled, Rule::PriorityRequired), "");
    }

    #[test]
    fn a_split_parent_needs_no_priority_or_estimate() {
        // WF-ESTIMATE's "consider split" happens in backlog, before WF3 sets a priority; the
        // parent then goes to archived with status split and is never prioritized.
        let parent = one(
            "archived/TASK-0001-a",
            "status: split\npriority: null\neffort_estimate: null\nsplit_into: [\"0002\"]",
        );
        assert_eq!(check_rule(&parent, Rule::PriorityRequired), "");
        assert_eq!(check_rule(&parent, Rule::EstimateRequired), "");
        // An archived task that was closed normally still needs both.
        let closed = one("archived/TASK-0001-a", "priority: null");
        expect![[r#"
            archived/TASK-0001-a/0001-a.task.md:8:11 warning `null` a task in archived needs a priority (P0–P4)
        "#]]
        .assert_eq(&check_rule(&closed, Rule::PriorityRequired));
    }

    #[test]
    fn terminal_status_belongs_in_archived() {
        expect![[r#"
            current/TASK-0001-a/0001-a.task.md:12:9 warning `canceled` a canceled task belongs in archived, but this one is in current
        "#]]
        .assert_eq(&check_rule(&one("current/TASK-0001-a", "status: canceled"), Rule::TerminalStatusStage));
        assert_eq!(
            check_rule(
                &one("archived/TASK-0001-a", "status: split"),
                Rule::TerminalStatusStage
            ),
            ""
        );
    }
}

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use crate::ide::diagnostics::check_fix::{ROOT_ROWS, STAGE_ROWS, check_fix, indexed, one};
    use crate::ide::types::Rule;

    #[test]
    fn stale_blocked_by_cleared() {
        let fixture = one("inbox/TASK-0001-x", "blocked_by: \"external:vendor\"");
        check_fix(
            &fixture,
            Rule::BlockedWithoutReason,
            "Clear blocked_by",
            expect![[r#"
        Clear blocked_by
        inbox/TASK-0001-x/0001-x.task.md:13:13 `"external:vendor"` -> `null`
          = blocked_by: null
    "#]],
        );
    }

    #[test]
    fn status_set_to_blocked_with_the_index_rows() {
        let fixture = indexed("blocked_by: \"external:vendor\"", "", ROOT_ROWS, STAGE_ROWS);
        check_fix(
            &fixture,
            Rule::BlockedWithoutReason,
            "Set status",
            expect![[r#"
        Set status to `blocked`
        backlog/TASK-0001-a/0001-a.task.md:12:10 `active` -> `blocked`
          = status: "blocked"
        INDEX.md:5:39 `active` -> `blocked`
          = | 0001 | Task 0001 | @ana | backlog | blocked | - | - |
        backlog/INDEX.md:7:29 `active` -> `blocked`
          = | 0001 | Task 0001 | @ana | blocked | - | - |
    "#]],
        );
    }
}
