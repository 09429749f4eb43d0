//! The ledger event vocabulary: every event named anywhere in the FlowOS methodology (README,
//! workflows, WIP policy, events schema), each with a one-line meaning, and the events that
//! mark entering a stage.

use crate::db::vocab::Stage;

/// `(event, meaning)`, grouped as the methodology groups them.
pub const EVENTS: &[(&str, &str)] = &[
    // Core lifecycle.
    ("id_reserved", "A task ID was reserved from ID_COUNTER.txt"),
    ("created", "The task package was created in inbox"),
    ("verified", "The package was verified and moved to backlog"),
    ("validated", "Pre-move validation passed"),
    ("validation_failed", "Pre-move validation failed"),
    (
        "prioritized",
        "Priority and effort were set and the task moved to next",
    ),
    (
        "started",
        "Implementation started; the task moved to current",
    ),
    (
        "fast_tracked",
        "A P0 task skipped next and went straight to current",
    ),
    (
        "implemented",
        "Implementation finished; the task moved to integration",
    ),
    (
        "implementation_failed",
        "Implementation failed verification",
    ),
    ("integrated", "The work was integrated and released"),
    ("moved_to_learning", "The task moved to the learning stage"),
    ("learning_documented", "The learning document was written"),
    (
        "learning_completed",
        "System-of-work learning was completed",
    ),
    ("learning_skipped", "Learning was skipped, with a reason"),
    (
        "learning_analysis_created",
        "A learning analysis was written",
    ),
    (
        "knowledge_captured",
        "Technical knowledge was captured during integration",
    ),
    ("moved_to_archived", "The task moved to archived"),
    ("closed", "The task was closed and archived"),
    // State management.
    (
        "blocked",
        "The task was blocked by a dependency or an outside factor",
    ),
    ("unblocked", "The block was lifted"),
    ("waiting_on", "The task waits on an unfinished dependency"),
    (
        "concurrent_ok",
        "Work may start before a named dependency is finished",
    ),
    ("dependency_paused", "A dependency of this task was paused"),
    ("paused", "The task was paused"),
    ("resumed", "The task was resumed after a pause"),
    ("canceled", "The task was canceled"),
    (
        "cascade_cancel",
        "Dependents were blocked because this task was canceled",
    ),
    (
        "cascade_blocked_by_cancel",
        "A dependency was canceled, so this task is blocked",
    ),
    (
        "cascade_blocked_by_pause",
        "A dependency was paused, so this task is blocked",
    ),
    ("escalated", "A blocker or an SLO miss was escalated"),
    // Hand-off.
    ("handoff_initiated", "A hand-off to a new DRI started"),
    ("handoff_accepted", "The new DRI accepted the task"),
    ("handoff_rejected", "The proposed DRI declined the task"),
    // Graph operations.
    ("split", "The task was split into smaller tasks"),
    (
        "created_from_split",
        "The task was created by splitting another",
    ),
    ("merged_from", "The task absorbed another task"),
    ("dependency_updated", "A dependency was added or removed"),
    ("deps_updated", "The dependency lists were edited"),
    ("cycle_check_passed", "A dependency cycle check passed"),
    ("cycle_detected", "A dependency cycle was found"),
    ("followup_created", "A follow-up task was created"),
    // Failure handling.
    ("rollback", "The task moved backward in the lifecycle"),
    (
        "rework_required",
        "Verification failed; the task went back to next for rework",
    ),
    (
        "workflow_interrupted",
        "A workflow stopped part-way and will be retried",
    ),
    ("late_log", "An event was logged after the fact"),
    ("conflict_resolved", "Conflicting edits were reconciled"),
    // Content and metadata.
    ("content_updated", "The card or context was changed"),
    ("priority_set", "A priority was assigned"),
    ("priority_changed", "The priority was changed"),
    ("effort_estimated", "An effort estimate was assigned"),
    (
        "effort_variance",
        "Actual effort differed from the estimate",
    ),
    ("tags_updated", "Tags were added or removed"),
    // Flow control (WIP and SLOs).
    ("wip_limit_approached", "A stage is close to its WIP limit"),
    ("wip_limit_blocked", "A move was refused by a WIP limit"),
    (
        "slo_missed",
        "The task stayed in a stage longer than its SLO",
    ),
    ("displaced", "A P0 task displaced another task from current"),
    (
        "displaced_by_p0",
        "This task was paused to make room for a P0 task",
    ),
    ("paused_by_p0", "This task was preempted by a P0 task"),
    ("task_displaced", "A task was displaced from current"),
    ("p0_postmortem_required", "A P0 task needs a postmortem"),
    ("p0_retrospective", "A P0 retrospective was held"),
    // System.
    ("index_synced", "Index consistency was validated"),
    ("index_drift_detected", "An index inconsistency was found"),
    (
        "move_blocked",
        "A move was prevented by a validation failure",
    ),
    (
        "orphan_repaired",
        "An orphaned task or index row was repaired",
    ),
    ("id_counter_recovered", "ID_COUNTER.txt was repaired"),
    ("slack_notification_sent", "A chat notification was sent"),
    // Automation.
    ("ai_reviewed", "An AI worker reviewed the task"),
    (
        "ai_plan_proposed",
        "An AI worker proposed an execution plan",
    ),
];

pub fn is_known_event(name: &str) -> bool {
    EVENTS.iter().any(|(event, _)| *event == name)
}

pub fn event_meaning(name: &str) -> Option<&'static str> {
    EVENTS
        .iter()
        .find(|(event, _)| *event == name)
        .map(|(_, meaning)| *meaning)
}

/// The stage an event puts a task in (SPEC §2), if it is a stage-entering event.
pub fn entered_stage(event: &str) -> Option<Stage> {
    match event {
        "verified" => Some(Stage::Backlog),
        "prioritized" | "rework_required" => Some(Stage::Next),
        "started" | "fast_tracked" => Some(Stage::Current),
        "implemented" => Some(Stage::Integration),
        "moved_to_learning" => Some(Stage::Learning),
        "closed" | "canceled" | "split" => Some(Stage::Archived),
        _ => None,
    }
}

/// The stage an event puts a task in, given the stage its ledger had reached before it.
/// `verified` enters backlog only as WF2's check of a new package (SPEC §2: "first after
/// creation"); WF5 logs `verified` again right after `implemented` ("verified and moved to
/// integration"), and that one moves the task nowhere.
pub fn entered_stage_after(event: &str, before: Option<Stage>) -> Option<Stage> {
    match event {
        "verified" if before.is_some_and(|stage| stage > Stage::Inbox) => None,
        _ => entered_stage(event),
    }
}

/// One ledger line (without its newline) in the methodology's field order: `ts`, `user`,
/// `event`, `desc`, then `extra` as given. Values are JSON-escaped, so any text is safe.
pub fn event_line(ts: &str, user: &str, event: &str, desc: &str, extra: &[(&str, &str)]) -> String {
    let extra: Vec<(&str, serde_json::Value)> = extra
        .iter()
        .map(|&(key, value)| (key, serde_json::Value::from(value)))
        .collect();
    event_line_values(ts, user, event, desc, &extra)
}

/// [`event_line`] for extra fields that are not strings, such as `cascade_cancel`'s list of
/// `dependents`.
pub fn event_line_values(
    ts: &str,
    user: &str,
    event: &str,
    desc: &str,
    extra: &[(&str, serde_json::Value)],
) -> String {
    let fields = [("ts", ts), ("user", user), ("event", event), ("desc", desc)]
        .map(|(key, value)| (key, serde_json::Value::from(value)));
    let mut line = String::from("{");
    for (i, (key, value)) in fields.iter().chain(extra).enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&serde_json::Value::from(*key).to_string());
        line.push(':');
        line.push_str(&value.to_string());
    }
    line.push('}');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_keep_field_order_and_escape_values() {
        let line = event_line(
            "2026-11-25T10:00:00Z",
            "@ana",
            "blocked",
            "Blocked on \"TASK-0002\"",
            &[("blocked_by", "task:TASK-0002")],
        );
        assert_eq!(
            line,
            r#"{"ts":"2026-11-25T10:00:00Z","user":"@ana","event":"blocked","desc":"Blocked on \"TASK-0002\"","blocked_by":"task:TASK-0002"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["desc"], "Blocked on \"TASK-0002\"");
    }

    #[test]
    fn vocabulary_has_no_duplicates_and_every_meaning_is_a_phrase() {
        let mut names: Vec<&str> = EVENTS.iter().map(|(name, _)| *name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
        assert!(EVENTS.iter().all(|(_, meaning)| meaning.len() > 10));
    }

    #[test]
    fn stage_entering_events_follow_spec() {
        assert_eq!(entered_stage("fast_tracked"), Some(Stage::Current));
        assert_eq!(entered_stage("rework_required"), Some(Stage::Next));
        assert_eq!(entered_stage("paused"), None);
        assert!(is_known_event("concurrent_ok") && !is_known_event("finished"));
    }

    #[test]
    fn verified_enters_backlog_only_from_inbox() {
        assert_eq!(entered_stage_after("verified", None), Some(Stage::Backlog));
        assert_eq!(
            entered_stage_after("verified", Some(Stage::Inbox)),
            Some(Stage::Backlog)
        );
        // WF5: `implemented`, then `verified` once the task sits in integration.
        assert_eq!(
            entered_stage_after("verified", Some(Stage::Integration)),
            None
        );
        assert_eq!(
            entered_stage_after("started", Some(Stage::Next)),
            Some(Stage::Current)
        );
    }
}
