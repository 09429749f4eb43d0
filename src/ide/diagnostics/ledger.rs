//! Rules on ledgers: ledger-json, ledger-field-missing, ledger-timestamp, ledger-order,
//! ledger-version, unknown-event, ledger-start, ledger-stage-drift and ledger-status-drift.
//!
//! A line-level problem is reported on the line; a field-level one on the field's value.

use crate::base::{TextRange, nearest};
use crate::db::events::{EVENTS, is_known_event};
use crate::db::flow::ledger_stage;
use crate::db::{FileId, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::fix::{Fixes, move_where_the_ledger_says};
use crate::db::flow::status_set_by;
use crate::ide::diagnostics::{RuleDoc, RuleModule, stage_anchor};
use crate::ide::types::{Config, Diagnostic, Rule, Severity};
use crate::syntax::ledger::{Event, FieldValue, Ledger, LineKind};
use crate::syntax::time::parse_rfc3339;

/// The rules that read one ledger alone.
pub(super) fn check_file(
    file: FileId,
    ledger: &Ledger,
    config: &Config,
    out: &mut Vec<Diagnostic>,
) {
    check_lines(file, ledger, config, out);
    check_start(file, ledger, out);
}

/// ledger-stage-drift and ledger-status-drift, which compare each ledger with its task's
/// folder and card.
pub(super) fn check_drift(workspace: &Workspace, idx: TaskIdx, out: &mut Vec<Diagnostic>) {
    let task = workspace.task(idx);
    if let (Some(file), Some(ledger)) = (task.ledger, workspace.ledger(task)) {
        let before = out.len();
        check_stage_drift(workspace, task, file, ledger, out);
        // A move's drift says it all: finishing the move sets the status too.
        if out.len() == before {
            check_status_drift(task, file, ledger, out);
        }
    }
}

/// A transition that changes a status without moving the folder (block, unblock, pause where
/// the task waits, resume, a cascade) commits its ledger line before it rewrites the card, so
/// a crash between the two leaves that line the ledger's last, and the card without it: the
/// one trace such a transition leaves. Only the last event is read: a status a person later
/// set by hand, with other events since, is theirs.
fn check_status_drift(task: &Task, file: FileId, ledger: &Ledger, out: &mut Vec<Diagnostic>) {
    let Some((line, event)) = ledger.events().last() else {
        return;
    };
    let Some(name) = event.event() else {
        return;
    };
    // A card whose status cannot be read is left to its own rules.
    let (Some(said), Some(card)) = (status_set_by(name), task.meta.status()) else {
        return;
    };
    if said == card {
        return;
    }
    out.push(Diagnostic::new(
        Rule::LedgerStatusDrift,
        file,
        event_name_range(line.range, event),
        format!(
            "the ledger's last event `{name}` makes {} {said}, but its card says {card}; finish or undo the interrupted transition",
            task.id
        ),
    ));
}

/// ledger-status-drift: finish the transition the ledger's last line records (its card, its
/// index rows), or, when a record of it is pending, the whole transition it belongs to.
pub(super) fn fix_status_drift(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(idx) = ws.task_idx_of_file(d.file) else {
        return;
    };
    let task = ws.task(idx);
    let said = ws
        .ledger(task)
        .and_then(|ledger| ledger.events().last())
        .and_then(|(_, event)| event.event())
        .and_then(status_set_by);
    if let Some(said) = said {
        fixes.transition(
            format!("Finish the interrupted transition: make {} {said}", task.id),
            true,
            idx,
            task.stage,
        );
    }
}

fn check_lines(file: FileId, ledger: &Ledger, config: &Config, out: &mut Vec<Diagnostic>) {
    let mut previous_ts: Option<(i64, TextRange)> = None;
    for line in &ledger.lines {
        let event = match &line.kind {
            // A line over the line cap is reported by resource-limit and read no further.
            LineKind::Blank | LineKind::OverCap(_) => continue,
            LineKind::Invalid { message, .. } => {
                out.push(Diagnostic::new(
                    Rule::LedgerJson,
                    file,
                    line.range,
                    format!(
                        "ledger line {} is not a JSON event: {message}",
                        line.number + 1
                    ),
                ));
                continue;
            }
            LineKind::Event(event) => event,
        };
        for required in ["ts", "user", "event"] {
            match event.field(required) {
                None => out.push(Diagnostic::new(
                    Rule::LedgerFieldMissing,
                    file,
                    line.range,
                    format!("ledger event has no `{required}` field"),
                )),
                Some(field) if !field.value.is_string() => out.push(Diagnostic::new(
                    Rule::LedgerFieldMissing,
                    file,
                    field.value_range,
                    format!("`{required}` must be a string"),
                )),
                Some(_) => {}
            }
        }
        if event.field("desc").is_none() && event.field("reason").is_none() {
            out.push(
                Diagnostic::new(
                    Rule::LedgerFieldMissing,
                    file,
                    line.range,
                    "ledger event has no `desc`; say in a few words what happened",
                )
                .with_severity(Severity::Warning),
            );
        }
        if let (Some(ts), Some(field)) = (event.ts(), event.field("ts")) {
            match parse_rfc3339(ts) {
                None => out.push(Diagnostic::new(
                    Rule::LedgerTimestamp,
                    file,
                    field.value_range,
                    format!(
                        "`{ts}` is not an RFC 3339 timestamp with an offset, e.g. 2026-03-02T09:30:00Z"
                    ),
                )),
                Some(seconds) => {
                    if let Some((before, before_range)) = previous_ts
                        && seconds < before
                    {
                        out.push(
                            Diagnostic::new(
                                Rule::LedgerOrder,
                                file,
                                field.value_range,
                                format!("`{ts}` is earlier than the event on the line before; ledgers are appended in time order"),
                            )
                            .with_related(file, before_range, "the later event before it"),
                        );
                    }
                    previous_ts = Some((seconds, field.value_range));
                }
            }
        }
        check_version(file, event, out);
        check_event_name(file, event, config, out);
    }
}

fn check_version(file: FileId, event: &Event, out: &mut Vec<Diagnostic>) {
    let Some(field) = event.field("version") else {
        return;
    };
    // "1.0", "1", 1 and 1.5 are all version 1.
    let text: Option<&str> = match &field.value {
        FieldValue::Str(text) => Some(text),
        FieldValue::Number(text) => Some(text),
        _ => None,
    };
    let major = text
        .and_then(|text| text.split('.').next())
        .and_then(|m| m.trim().parse::<u64>().ok());
    if major != Some(1) {
        out.push(Diagnostic::new(
            Rule::LedgerVersion,
            file,
            field.value_range,
            "unsupported event version; this tool reads version 1.x events (\"1.0\" when absent)",
        ));
    }
}

/// Where an event's name is written, else its whole line: what a diagnostic about the event
/// points at.
fn event_name_range(line: TextRange, event: &Event) -> TextRange {
    event
        .field("event")
        .map_or(line, |field| field.value_range)
}

fn check_event_name(file: FileId, event: &Event, config: &Config, out: &mut Vec<Diagnostic>) {
    let (Some(name), Some(field)) = (event.event(), event.field("event")) else {
        return;
    };
    if is_known_event(name) || config.extra_events.iter().any(|extra| extra == name) {
        return;
    }
    let suggestion = nearest(name, EVENTS.iter().map(|(event, _)| *event), 2)
        .map(|known| format!("; did you mean `{known}`?"))
        .unwrap_or_default();
    out.push(Diagnostic::new(
        Rule::UnknownEvent,
        file,
        field.value_range,
        format!("`{name}` is not a FlowOS ledger event{suggestion} (add it with --extra-event if your team uses it)"),
    ));
}

fn check_start(file: FileId, ledger: &Ledger, out: &mut Vec<Diagnostic>) {
    let Some((line, event)) = ledger.events().next() else {
        return;
    };
    let name = event.event().unwrap_or_default();
    if name != "id_reserved" && name != "created" {
        out.push(Diagnostic::new(
            Rule::LedgerStart,
            file,
            event_name_range(line.range, event),
            format!(
                "a ledger starts with `id_reserved` or `created`, but this one starts with `{name}`"
            ),
        ));
    }
}

fn check_stage_drift(
    workspace: &Workspace,
    task: &Task,
    file: FileId,
    ledger: &Ledger,
    out: &mut Vec<Diagnostic>,
) {
    let Some(said) = ledger_stage(ledger) else {
        return;
    };
    let folder_stage = task.stage;
    if said.agrees_with(folder_stage) {
        return;
    }
    let (name, range, said_stage) = (said.event, said.range, said.stage);
    let mut diagnostic = Diagnostic::new(
        Rule::LedgerStageDrift,
        file,
        range,
        format!(
            "the ledger's last stage event `{name}` puts {} in {said_stage}, but its folder is in {folder_stage}{}; finish or undo the interrupted move",
            task.id,
            match task.meta.stage() {
                Some(card_stage) if card_stage != folder_stage =>
                    format!(" and its card says {card_stage}"),
                _ => String::new(),
            }
        ),
    );
    if let Some((card, stage_range)) = stage_anchor(workspace, task) {
        diagnostic = diagnostic.with_related(card, stage_range, "the card's stage");
    }
    out.push(diagnostic);
}

/// ledger-stage-drift: finish the move the ledger records. Safe when the ledger is ahead of
/// the folder, which is what an interrupted transition leaves (the ledger is written
/// first); a folder ahead of its ledger was moved by hand, and moving it back is only
/// offered.
pub(super) fn fix_stage_drift(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    if let Some(idx) = ws.task_idx_of_file(d.file) {
        move_where_the_ledger_says(ws, idx, fixes);
    }
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const LEDGER_JSON: RuleDoc = RuleDoc {
    rule: Rule::LedgerJson,
    name: "ledger-json",
    severity: Severity::Error,
    summary: "A ledger line is not a JSON object.",
    docs: include_str!("docs/ledger-json.md"),
};

pub(crate) const LEDGER_FIELD_MISSING: RuleDoc = RuleDoc {
    rule: Rule::LedgerFieldMissing,
    name: "ledger-field-missing",
    severity: Severity::Error,
    summary: "A required ledger event field is absent (a warning for desc).",
    docs: include_str!("docs/ledger-field-missing.md"),
};

pub(crate) const LEDGER_TIMESTAMP: RuleDoc = RuleDoc {
    rule: Rule::LedgerTimestamp,
    name: "ledger-timestamp",
    severity: Severity::Error,
    summary: "ts is not an RFC 3339 timestamp with an offset.",
    docs: include_str!("docs/ledger-timestamp.md"),
};

pub(crate) const LEDGER_ORDER: RuleDoc = RuleDoc {
    rule: Rule::LedgerOrder,
    name: "ledger-order",
    severity: Severity::Warning,
    summary: "An event's ts is earlier than the line before.",
    docs: include_str!("docs/ledger-order.md"),
};

pub(crate) const LEDGER_VERSION: RuleDoc = RuleDoc {
    rule: Rule::LedgerVersion,
    name: "ledger-version",
    severity: Severity::Error,
    summary: "The event's version is unsupported.",
    docs: include_str!("docs/ledger-version.md"),
};

pub(crate) const UNKNOWN_EVENT: RuleDoc = RuleDoc {
    rule: Rule::UnknownEvent,
    name: "unknown-event",
    severity: Severity::Hint,
    summary: "The event name is outside the FlowOS vocabulary.",
    docs: include_str!("docs/unknown-event.md"),
};

pub(crate) const LEDGER_START: RuleDoc = RuleDoc {
    rule: Rule::LedgerStart,
    name: "ledger-start",
    severity: Severity::Warning,
    summary: "The first event is neither id_reserved nor created.",
    docs: include_str!("docs/ledger-start.md"),
};

pub(crate) const LEDGER_STAGE_DRIFT: RuleDoc = RuleDoc {
    rule: Rule::LedgerStageDrift,
    name: "ledger-stage-drift",
    severity: Severity::Warning,
    summary: "The ledger's last stage-entering event disagrees with the card's stage.",
    docs: include_str!("docs/ledger-stage-drift.md"),
};

pub(crate) const LEDGER_STATUS_DRIFT: RuleDoc = RuleDoc {
    rule: Rule::LedgerStatusDrift,
    name: "ledger-status-drift",
    severity: Severity::Warning,
    summary: "The ledger's last event sets a status (blocked, unblocked, paused, resumed) the card does not have.",
    docs: include_str!("docs/ledger-status-drift.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[
    LEDGER_JSON,
    LEDGER_FIELD_MISSING,
    LEDGER_TIMESTAMP,
    LEDGER_ORDER,
    LEDGER_VERSION,
    UNKNOWN_EVENT,
    LEDGER_START,
    LEDGER_STAGE_DRIFT,
    LEDGER_STATUS_DRIFT,
];

pub(super) const MODULE: RuleModule = RuleModule {
    card: None,
    task: Some(check_drift),
    fixes: &[
        (Rule::LedgerStageDrift, fix_stage_drift),
        (Rule::LedgerStatusDrift, fix_status_drift),
    ],
    rules: RULES,
};

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, check_rule, package, render, workspace};
    use crate::ide::types::{Config, Rule};

    /// A backlog task whose ledger is replaced by `ledger`.
    fn with_ledger(ledger: &str) -> String {
        let base = format!("{COUNTER}{}", package("backlog/TASK-0001-a", ""));
        let (head, _) = base
            .split_once("//- /backlog/TASK-0001-a/0001.ledger.jsonl\n")
            .unwrap();
        format!("{head}//- /backlog/TASK-0001-a/0001.ledger.jsonl\n{ledger}")
    }

    const GOOD: &str = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"c\"}\n{\"ts\":\"2026-03-03T09:00:00+01:00\",\"user\":\"@ana\",\"event\":\"verified\",\"reason\":\"ok\"}\n";

    /// The diagnostics of the ledger rules only (the fixtures have no INDEX.md files).
    fn ledger_diagnostics(fixture: &str) -> String {
        let workspace = workspace(fixture);
        let diagnostics = workspace_diagnostics(&workspace, &Config::default());
        let ledger_rules = diagnostics
            .iter()
            .filter(|d| d.rule.name().starts_with("ledger") || d.rule == Rule::UnknownEvent);
        render(&workspace, ledger_rules)
    }

    #[test]
    fn a_well_formed_ledger_has_no_ledger_diagnostics() {
        assert_eq!(ledger_diagnostics(&with_ledger(GOOD)), "");
    }

    #[test]
    fn ledger_json_is_reported_on_the_line() {
        let ledger = format!("{GOOD}not json\n[1, 2]\n");
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:3:1 error `not json` ledger line 3 is not a JSON event: invalid JSON: expected ident
            backlog/TASK-0001-a/0001.ledger.jsonl:4:1 error `[1, 2]` ledger line 4 is not a JSON event: a ledger event must be a JSON object, not an array
        "#]]
        .assert_eq(&check_rule(&with_ledger(&ledger), Rule::LedgerJson));
    }

    #[test]
    fn missing_fields_are_errors_and_missing_desc_a_warning() {
        let ledger = format!("{GOOD}{{\"ts\":\"2026-03-04T00:00:00Z\",\"event\":\"blocked\"}}\n");
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:3:1 warning `{"ts":"2026-03-04T00:00:00Z","event":"blocked"}` ledger event has no `desc`; say in a few words what happened
            backlog/TASK-0001-a/0001.ledger.jsonl:3:1 error `{"ts":"2026-03-04T00:00:00Z","event":"blocked"}` ledger event has no `user` field
        "#]]
        .assert_eq(&check_rule(&with_ledger(&ledger), Rule::LedgerFieldMissing));
    }

    #[test]
    fn timestamps_need_an_offset_and_time_order() {
        let ledger = format!(
            "{GOOD}{{\"ts\":\"2026-03-04T00:00:00\",\"user\":\"@ana\",\"event\":\"blocked\",\"desc\":\"d\"}}\n{{\"ts\":\"2026-03-01T00:00:00Z\",\"user\":\"@ana\",\"event\":\"unblocked\",\"desc\":\"d\"}}\n"
        );
        let fixture = with_ledger(&ledger);
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:3:7 error `"2026-03-04T00:00:00"` `2026-03-04T00:00:00` is not an RFC 3339 timestamp with an offset, e.g. 2026-03-02T09:30:00Z
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::LedgerTimestamp));
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:4:7 warning `"2026-03-01T00:00:00Z"` `2026-03-01T00:00:00Z` is earlier than the event on the line before; ledgers are appended in time order
              -> backlog/TASK-0001-a/0001.ledger.jsonl `"2026-03-03T09:00:00+01:00"` the later event before it
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::LedgerOrder));
    }

    #[test]
    fn version_two_is_unsupported_and_one_point_x_is_fine() {
        let ledger = format!(
            "{GOOD}{{\"ts\":\"2026-03-04T00:00:00Z\",\"user\":\"@a\",\"event\":\"paused\",\"desc\":\"d\",\"version\":\"2.0\"}}\n{{\"ts\":\"2026-03-05T00:00:00Z\",\"user\":\"@a\",\"event\":\"resumed\",\"desc\":\"d\",\"version\":\"1.1\"}}\n"
        );
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:3:80 error `"2.0"` unsupported event version; this tool reads version 1.x events ("1.0" when absent)
        "#]]
        .assert_eq(&check_rule(&with_ledger(&ledger), Rule::LedgerVersion));
    }

    /// A backlog task whose ledger, after GOOD, has `events` (one JSON line each, `ts`,
    /// `user` and `desc` added).
    fn with_events(events: &[&str]) -> String {
        let mut ledger = GOOD.to_string();
        for (day, fields) in (4..).zip(events) {
            ledger.push_str(&format!(
                "{{\"ts\":\"2026-03-{day:02}T00:00:00Z\",\"user\":\"@a\",\"desc\":\"d\",{fields}}}\n"
            ));
        }
        with_ledger(&ledger)
    }

    #[test]
    fn a_status_event_the_card_lacks_is_status_drift_when_it_is_the_last() {
        let blocked = r#""event":"blocked","blocked_by":"info:vendor""#;
        // The card says active (the fixture's default): the block was committed, not written.
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:3:61 warning `"blocked"` the ledger's last event `blocked` makes TASK-0001 blocked, but its card says active; finish or undo the interrupted transition
        "#]]
        .assert_eq(&check_rule(&with_events(&[blocked]), Rule::LedgerStatusDrift));
        // Another event since: the status was set (or left) by a person, not cut short.
        let later = r#""event":"note""#;
        assert_eq!(
            check_rule(&with_events(&[blocked, later]), Rule::LedgerStatusDrift),
            ""
        );
        // Unblocked, and the card is active: they agree.
        let unblocked = r#""event":"unblocked""#;
        assert_eq!(
            check_rule(&with_events(&[blocked, unblocked]), Rule::LedgerStatusDrift),
            ""
        );
    }

    #[test]
    fn status_drift_is_finished_by_setting_the_status_and_its_fields_in_place() {
        use crate::ide::transitions::{FieldUpdate, complete_interrupted};
        let workspace = workspace(&with_events(&[r#""event":"blocked","blocked_by":"info:vendor""#]));
        assert_eq!(workspace.tasks.len(), 1);
        let task = crate::db::TaskIdx(0);
        let change = complete_interrupted(&workspace, task).expect("the card lags the ledger");
        assert_eq!(change.to_stage, None, "a status change moves no folder");
        let fields: Vec<(&str, FieldUpdate)> = change.fields;
        assert_eq!(
            fields,
            vec![
                ("status", FieldUpdate::Set("blocked".into())),
                ("blocked_by", FieldUpdate::Set("info:vendor".into())),
                // The day of the ledger's last event (2026-03-04, the first added).
                ("last_updated", FieldUpdate::Set("2026-03-04".into())),
            ]
        );
    }

    #[test]
    fn unknown_events_are_hints_with_a_suggestion_unless_configured() {
        let ledger = format!(
            "{GOOD}{{\"ts\":\"2026-03-04T00:00:00Z\",\"user\":\"@a\",\"event\":\"unblockd\",\"desc\":\"d\"}}\n{{\"ts\":\"2026-03-05T00:00:00Z\",\"user\":\"@a\",\"event\":\"deployed\",\"desc\":\"d\"}}\n"
        );
        let fixture = with_ledger(&ledger);
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:3:50 hint `"unblockd"` `unblockd` is not a FlowOS ledger event; did you mean `unblocked`? (add it with --extra-event if your team uses it)
            backlog/TASK-0001-a/0001.ledger.jsonl:4:50 hint `"deployed"` `deployed` is not a FlowOS ledger event (add it with --extra-event if your team uses it)
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::UnknownEvent));
        let workspace = workspace(&fixture);
        let config = Config {
            extra_events: vec!["deployed".into()],
            ..Config::default()
        };
        let remaining: Vec<_> = workspace_diagnostics(&workspace, &config)
            .into_iter()
            .filter(|d| d.rule == Rule::UnknownEvent)
            .collect();
        assert_eq!(remaining.len(), 1);
    }

    #[test]
    fn ledger_must_start_with_reservation_or_creation() {
        let ledger = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"verified\",\"desc\":\"v\"}\n";
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:1:52 warning `"verified"` a ledger starts with `id_reserved` or `created`, but this one starts with `verified`
        "#]]
        .assert_eq(&check_rule(&with_ledger(ledger), Rule::LedgerStart));
    }

    #[test]
    fn stage_drift_names_both_stages() {
        let ledger = format!(
            "{GOOD}{{\"ts\":\"2026-03-04T00:00:00Z\",\"user\":\"@a\",\"event\":\"prioritized\",\"desc\":\"p\"}}\n"
        );
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:3:50 warning `"prioritized"` the ledger's last stage event `prioritized` puts TASK-0001 in next, but its folder is in backlog; finish or undo the interrupted move
              -> backlog/TASK-0001-a/0001-a.task.md `"backlog"` the card's stage
        "#]]
        .assert_eq(&check_rule(&with_ledger(&ledger), Rule::LedgerStageDrift));
    }

    #[test]
    fn wf5_verified_after_implemented_does_not_move_the_task_back_to_backlog() {
        // WF5 logs `implemented`, moves the folder, then logs `verified` ("verified and moved
        // to integration"); only WF2's `verified` after creation enters backlog.
        let event = |ts: &str, name: &str| {
            format!(
                "{{\"ts\":\"2026-03-{ts}Z\",\"user\":\"@ana\",\"event\":\"{name}\",\"desc\":\"d\"}}\n"
            )
        };
        let ledger = [
            event("02T09:00:00", "created"),
            event("03T09:00:00", "verified"),
            event("04T09:00:00", "prioritized"),
            event("05T09:00:00", "started"),
            event("06T09:00:00", "implemented"),
            event("06T09:10:00", "verified"),
        ]
        .concat();
        let fixture = with_ledger(&ledger).replace("backlog", "integration");
        assert_eq!(check_rule(&fixture, Rule::LedgerStageDrift), "");
        // The same ledger for a task still in backlog is drift: it was implemented.
        expect![[r#"
            backlog/TASK-0001-a/0001.ledger.jsonl:5:52 warning `"implemented"` the ledger's last stage event `implemented` puts TASK-0001 in integration, but its folder is in backlog; finish or undo the interrupted move
              -> backlog/TASK-0001-a/0001-a.task.md `"backlog"` the card's stage
        "#]]
        .assert_eq(&check_rule(&with_ledger(&ledger), Rule::LedgerStageDrift));
    }

    #[test]
    fn resumed_to_stage_puts_the_task_where_it_was_resumed() {
        // WF-PAUSE moves a task out of current to next; WF-RESUME may keep it there.
        let event = |ts: &str, name: &str, extra: &str| {
            format!(
                "{{\"ts\":\"2026-03-{ts}Z\",\"user\":\"@ana\",\"event\":\"{name}\",\"desc\":\"d\"{extra}}}\n"
            )
        };
        let paused = [
            event("02T09:00:00", "created", ""),
            event("03T09:00:00", "verified", ""),
            event("04T09:00:00", "prioritized", ""),
            event("05T09:00:00", "started", ""),
            event("06T09:00:00", "paused", ""),
        ]
        .concat();
        let in_next = |ledger: &str| with_ledger(ledger).replace("backlog", "next");
        let resumed_here = format!(
            "{paused}{}",
            event("07T09:00:00", "resumed", ",\"resumed_to_stage\":\"next\"")
        );
        assert_eq!(
            check_rule(&in_next(&resumed_here), Rule::LedgerStageDrift),
            ""
        );
        // A resume that does not say where is a resume into current, as before.
        let resumed = format!("{paused}{}", event("07T09:00:00", "resumed", ""));
        expect![[r#"
            next/TASK-0001-a/0001.ledger.jsonl:4:52 warning `"started"` the ledger's last stage event `started` puts TASK-0001 in current, but its folder is in next; finish or undo the interrupted move
              -> next/TASK-0001-a/0001-a.task.md `"next"` the card's stage
        "#]]
        .assert_eq(&check_rule(&in_next(&resumed), Rule::LedgerStageDrift));
    }

    #[test]
    fn ledger_edge_cases_parse_without_false_alarms() {
        // No trailing newline, CRLF endings, an empty ledger, a 1 MB line.
        let no_newline = GOOD.trim_end();
        let crlf = GOOD.replace('\n', "\r\n");
        let long_desc = "x".repeat(1 << 20);
        let long_line = format!(
            "{GOOD}{{\"ts\":\"2026-03-04T00:00:00Z\",\"user\":\"@a\",\"event\":\"content_updated\",\"desc\":\"{long_desc}\"}}\n"
        );
        for ledger in [no_newline, crlf.as_str(), long_line.as_str(), ""] {
            assert_eq!(
                ledger_diagnostics(&with_ledger(ledger)),
                "",
                "{:.80}",
                ledger
            );
        }
    }
}

/// The drift fix: finishing the move the ledger records.
#[cfg(test)]
mod fix_tests {
    use crate::db::vocab::Stage;
    use crate::ide::diagnostics::check_fix::{
        config, ctx, folder_ahead_of_the_ledger, ledger_ahead_of_the_folder,
    };
    use crate::ide::diagnostics::fix::FixAction;
    use crate::ide::diagnostics::{fixes_for, workspace_diagnostics};
    use crate::ide::fixture::workspace;
    use crate::ide::types::Rule;

    #[test]
    fn ledger_drift_is_fixed_by_finishing_the_transition() {
        let fixture = ledger_ahead_of_the_folder();
        let ws = workspace(&fixture);
        let diagnostics = workspace_diagnostics(&ws, &config());
        let drift = diagnostics
            .iter()
            .find(|d| d.rule == Rule::LedgerStageDrift)
            .expect("drift");
        let fixes = fixes_for(&ws, &ctx(), drift);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].label, "Finish moving TASK-0001 to next");
        assert!(fixes[0].safe, "the ledger is ahead: an interrupted move");
        assert_eq!(
            fixes[0].action,
            FixAction::CompleteTransition {
                task: ws.task_idx_of_file(drift.file).unwrap(),
                stage: Stage::Next,
            }
        );
        // A folder ahead of its ledger was moved by hand: moving it back is only offered.
        let ahead = folder_ahead_of_the_ledger();
        let ws = workspace(&ahead);
        let diagnostics = workspace_diagnostics(&ws, &config());
        let drift = diagnostics
            .iter()
            .find(|d| d.rule == Rule::LedgerStageDrift)
            .expect("drift");
        let fixes = fixes_for(&ws, &ctx(), drift);
        assert_eq!(fixes.len(), 1);
        assert!(!fixes[0].safe);
    }
}
