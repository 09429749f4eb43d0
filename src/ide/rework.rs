//! The Rework view (SPEC §10, the methodology's console view and rework report): how often
//! work went back over a window, which tasks, from where to where and why, the reasons by
//! frequency and the rate per priority, with the rate of the window before for a trend.
//! One table set for the board's Rework tab and `report rework` (rendered by
//! [`rework_markdown`]). Pure: a function of the timelines and the window.
//!
//! The rate is `db::metrics`' rework rate: `rollback` and `rework_required` events in the
//! window over the tasks closed in it; per priority, the same over the tasks of that priority.

use std::fmt::Write as _;

use serde::Serialize;

use crate::db::Workspace;
use crate::db::metrics::Window;
use crate::db::vocab::Stage;
use crate::ide::history::{
    History, ReasonCount, Trend, count_reasons, markdown_section, percent, previous,
};
use crate::syntax::time::format_rfc3339;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReworkView {
    pub since: String,
    pub until: String,
    /// Tasks closed in the window.
    pub completed: usize,
    /// `rollback` and `rework_required` events in the window.
    pub events: usize,
    /// Events over completed tasks, in percent, this window and the one before.
    pub rate_pct: Trend,
    /// Each event of the window, oldest first.
    pub details: Vec<ReworkDetail>,
    pub reasons: Vec<ReasonCount>,
    pub by_priority: Vec<PriorityRework>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReworkDetail {
    pub task: String,
    pub name: Option<String>,
    pub at: String,
    pub event: String,
    pub from: Option<&'static str>,
    pub to: Option<&'static str>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriorityRework {
    /// `P0` … `P4`, or `none` for tasks without a priority.
    pub priority: String,
    pub events: usize,
    pub completed: usize,
    pub rate_pct: Option<f64>,
}

/// The Rework view of `history` over `window`.
pub fn rework_view(history: &History, window: Window) -> ReworkView {
    let before = previous(window);
    let mut details = Vec::new();
    let mut priorities: Vec<PriorityRework> = Vec::new();
    let mut row_of = |priority: &str| -> usize {
        match priorities.iter().position(|row| row.priority == priority) {
            Some(at) => at,
            None => {
                priorities.push(PriorityRework {
                    priority: priority.to_string(),
                    events: 0,
                    completed: 0,
                    rate_pct: None,
                });
                priorities.len() - 1
            }
        }
    };
    let mut rows: Vec<(usize, usize, usize)> = Vec::new();
    let (mut previous_events, mut previous_completed) = (0, 0);
    for (task, timeline) in history.trusted() {
        let priority = priority_of(task.meta.priority.as_deref());
        let row = row_of(&priority);
        if rows.len() <= row {
            rows.resize(row + 1, (0, 0, 0));
        }
        for rework in &timeline.rework {
            if window.contains(rework.at) {
                rows[row].0 += 1;
                details.push((
                    rework.at,
                    ReworkDetail {
                        task: task.id.to_string(),
                        name: task.meta.task_name.clone(),
                        at: format_rfc3339(rework.at),
                        event: rework.event.clone(),
                        from: rework.from.map(Stage::name),
                        to: rework.to.map(Stage::name),
                        reason: rework.reason.clone(),
                    },
                ));
            } else if before.contains(rework.at) {
                previous_events += 1;
            }
        }
        match timeline.closed() {
            Some(at) if window.contains(at) => rows[row].1 += 1,
            Some(at) if before.contains(at) => previous_completed += 1,
            _ => {}
        }
    }
    for (row, &(events, completed, _)) in priorities.iter_mut().zip(&rows) {
        row.events = events;
        row.completed = completed;
        row.rate_pct = percent(events, completed);
    }
    priorities.retain(|row| row.events > 0 || row.completed > 0);
    priorities.sort_by_key(|row| priority_rank(&row.priority));
    details.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.task.cmp(&b.1.task)));
    let details: Vec<ReworkDetail> = details.into_iter().map(|(_, detail)| detail).collect();
    let events: usize = priorities.iter().map(|row| row.events).sum();
    let completed: usize = priorities.iter().map(|row| row.completed).sum();
    ReworkView {
        since: format_rfc3339(window.since),
        until: format_rfc3339(window.until),
        completed,
        events,
        rate_pct: Trend {
            current: percent(events, completed),
            previous: percent(previous_events, previous_completed),
        },
        reasons: count_reasons(details.iter().map(|detail| detail.reason.as_deref())),
        details,
        by_priority: priorities,
    }
}

/// The Rework view of the whole workspace over `window`: what `report rework` renders with
/// [`rework_markdown`] (the board shares the timelines of its other tabs through
/// [`rework_view`] instead).
pub fn rework_table(workspace: &Workspace, window: Window) -> ReworkView {
    rework_view(&History::of(workspace), window)
}

/// `P0`…`P4` as written in any case; anything else (or nothing) is `none`.
fn priority_of(priority: Option<&str>) -> String {
    match priority.map(|p| p.trim().to_uppercase()) {
        Some(p) if p.len() == 2 && p.starts_with('P') && p.as_bytes()[1].is_ascii_digit() => p,
        _ => "none".to_string(),
    }
}

fn priority_rank(priority: &str) -> (bool, String) {
    (priority == "none", priority.to_string())
}

const NONE: &str = "None in the period.";

/// The Rework view as markdown: a summary with the trend, the events, the reasons and the
/// rate per priority (the sections of the methodology's rework report).
pub fn rework_markdown(view: &ReworkView) -> String {
    let mut out = format!("# Rework\n\n{} to {}\n\n", view.since, view.until);
    let rate = |rate: Option<f64>| rate.map_or("n/a".to_string(), |r| format!("{r}%"));
    let _ = writeln!(out, "- Completed: {} tasks", view.completed);
    let _ = writeln!(
        out,
        "- Rework events: {} (rate {})",
        view.events,
        rate(view.rate_pct.current)
    );
    let _ = writeln!(
        out,
        "- Previous period: {}\n",
        view.rate_pct
            .previous_with_change(&rate(view.rate_pct.previous))
    );
    let rows = view.details.iter().map(|detail| {
        vec![
            detail.task.clone(),
            detail.name.clone().unwrap_or_default(),
            detail.at.clone(),
            detail.event.clone(),
            format!(
                "{} → {}",
                detail.from.unwrap_or("?"),
                detail.to.unwrap_or("?")
            ),
            detail.reason.clone().unwrap_or_default(),
        ]
    });
    let header = ["Task", "Name", "When", "Event", "Sent back", "Reason"];
    markdown_section(&mut out, "Rework events", NONE, &header, rows.collect());
    let rows = view.reasons.iter().map(|reason| {
        vec![
            reason.reason.clone(),
            reason.count.to_string(),
            format!("{}%", reason.pct),
        ]
    });
    let header = ["Reason", "Count", "Share"];
    markdown_section(&mut out, "Reasons", NONE, &header, rows.collect());
    let rows = view.by_priority.iter().map(|row| {
        vec![
            row.priority.clone(),
            row.events.to_string(),
            row.completed.to_string(),
            rate(row.rate_pct),
        ]
    });
    markdown_section(
        &mut out,
        "Rate by priority",
        "No task closed or sent back in the period.",
        &["Priority", "Rework events", "Completed", "Rate"],
        rows.collect(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::workspace;
    use crate::syntax::time::parse_rfc3339;

    fn package(id: &str, stage: &str, priority: &str, ledger: &[&str]) -> String {
        format!(
            "//- /{stage}/TASK-{id}-x/{id}-x.task.md\n---\ntask_id: \"TASK-{id}\"\ntask_name: \"Task {id}\"\nstage: \"{stage}\"\nstatus: \"active\"\npriority: {priority}\n---\n//- /{stage}/TASK-{id}-x/{id}.ledger.jsonl\n{}\n",
            ledger.join("\n")
        )
    }

    fn event(ts: &str, event: &str, extra: &str) -> String {
        format!(
            "{{\"ts\":\"2026-11-{ts}:00Z\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"d\"{extra}}}"
        )
    }

    /// Four tasks in November 2026; the window is 16 to 30 Nov, the one before 2 to 16 Nov.
    /// - 0001 (P1): closed on the 20th after a `rollback` integration → current on the 18th
    ///   ("Failed integration tests") and one on the 19th ("failed integration tests.").
    /// - 0002 (P2): closed on the 21st, never sent back.
    /// - 0003 (P2): `rework_required` on the 22nd (reason "Scope changed"), still in next.
    /// - 0004 (no priority): closed on the 10th (the window before) after a rollback on the 9th.
    fn fixture() -> crate::db::Workspace {
        let e = |ts: &str, name: &str, extra: &str| event(ts, name, extra);
        let closed_life = |rework: Vec<String>, closed: &str| {
            let mut lines = vec![
                e("02T00:00", "created", ""),
                e("02T06:00", "verified", ""),
                e("03T00:00", "prioritized", ""),
                e("04T00:00", "started", ""),
                e("05T00:00", "implemented", ""),
            ];
            lines.extend(rework);
            lines.push(e(closed, "closed", ""));
            lines
        };
        let refs = |lines: &[String]| {
            lines
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let one = closed_life(
            vec![
                e(
                    "18T00:00",
                    "rollback",
                    ",\"from\":\"integration\",\"to\":\"current\",\"reason\":\"Failed integration tests\"",
                ),
                e("18T12:00", "implemented", ""),
                e(
                    "19T00:00",
                    "rollback",
                    ",\"to\":\"current\",\"reason\":\"failed integration tests.\"",
                ),
                e("19T12:00", "implemented", ""),
            ],
            "20T00:00",
        );
        let two = closed_life(Vec::new(), "21T00:00");
        let three = [
            e("02T00:00", "created", ""),
            e("16T00:00", "verified", ""),
            e("17T00:00", "prioritized", ""),
            e("18T00:00", "started", ""),
            e("21T00:00", "implemented", ""),
            e(
                "22T00:00",
                "rework_required",
                ",\"reason\":\"Scope changed\"",
            ),
        ];
        let four = closed_life(
            vec![e(
                "09T00:00",
                "rollback",
                ",\"to\":\"current\",\"reason\":\"Merge conflict\"",
            )],
            "10T00:00",
        );
        workspace(
            &[
                package("0001", "archived", "\"P1\"", &[&refs(&one)]),
                package("0002", "archived", "\"p2\"", &[&refs(&two)]),
                package("0003", "next", "\"P2\"", &[&refs(&three)]),
                package("0004", "archived", "null", &[&refs(&four)]),
            ]
            .concat(),
        )
    }

    fn window() -> Window {
        Window {
            since: parse_rfc3339("2026-11-16T00:00:00Z").unwrap(),
            until: parse_rfc3339("2026-11-30T00:00:00Z").unwrap(),
        }
    }

    #[test]
    fn the_rate_the_events_the_reasons_and_the_priorities_by_hand() {
        let ws = fixture();
        let view = rework_view(&History::of(&ws), window());
        // Closed in the window: 0001 and 0002. Events: 0001's two rollbacks and 0003's
        // rework_required: 3 over 2 = 150%. Before: 0004's one rollback over 0004: 100%.
        assert_eq!((view.completed, view.events), (2, 3));
        assert_eq!(
            view.rate_pct,
            Trend {
                current: Some(150.0),
                previous: Some(100.0)
            }
        );
        let details: Vec<(&str, &str, Option<&str>, Option<&str>)> = view
            .details
            .iter()
            .map(|d| (d.task.as_str(), d.event.as_str(), d.from, d.to))
            .collect();
        // The second rollback names no `from`: the stage the ledger had it in (integration).
        assert_eq!(
            details,
            vec![
                (
                    "TASK-0001",
                    "rollback",
                    Some("integration"),
                    Some("current")
                ),
                (
                    "TASK-0001",
                    "rollback",
                    Some("integration"),
                    Some("current")
                ),
                (
                    "TASK-0003",
                    "rework_required",
                    Some("integration"),
                    Some("next")
                ),
            ]
        );
        // The two spellings of the test failure are one reason: 2 of 3 = 66.67%.
        let reasons: Vec<(&str, usize, f64)> = view
            .reasons
            .iter()
            .map(|r| (r.reason.as_str(), r.count, r.pct))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("Failed integration tests", 2, 66.67),
                ("Scope changed", 1, 33.33)
            ]
        );
        // P1: 2 events over 1 closed = 200%; P2 (0002 written `p2`, and 0003): 1 over 1.
        // 0004 is only in the window before, so no `none` row.
        let rows: Vec<(&str, usize, usize, Option<f64>)> = view
            .by_priority
            .iter()
            .map(|r| (r.priority.as_str(), r.events, r.completed, r.rate_pct))
            .collect();
        assert_eq!(
            rows,
            vec![("P1", 2, 1, Some(200.0)), ("P2", 1, 1, Some(100.0))]
        );
    }

    #[test]
    fn the_markdown_has_every_section_and_row() {
        let ws = fixture();
        let markdown = rework_markdown(&rework_table(&ws, window()));
        assert!(markdown.starts_with("# Rework\n\n2026-11-16T00:00:00Z to 2026-11-30T00:00:00Z\n"));
        assert!(
            markdown.contains("- Rework events: 3 (rate 150%)"),
            "{markdown}"
        );
        assert!(
            markdown.contains("- Previous period: 100% ↑ +50"),
            "{markdown}"
        );
        assert_eq!(markdown.matches("| TASK-0001 | Task 0001 |").count(), 2);
        assert!(markdown.contains("| integration → next | Scope changed |"));
        assert!(markdown.contains("| Failed integration tests | 2 | 66.67% |"));
        assert!(markdown.contains("| P1 | 2 | 1 | 200% |"));

        let empty = rework_markdown(&rework_view(
            &History::of(&ws),
            Window { since: 0, until: 1 },
        ));
        assert_eq!(empty.matches("None in the period.").count(), 2, "{empty}");
        assert!(empty.contains("No task closed or sent back in the period."));
    }
}
