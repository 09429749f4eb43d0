//! The flow metrics (SPEC §9) against arithmetic done by hand on `tests/fixtures/flow`, a
//! small workspace whose ledgers were written for it: four tasks closed in November 2026
//! (plain; blocked twice; paused, resumed and sent back once; a P0 fast-tracked), the task the
//! P0 displaced, still in flight, two waiting in next, one blocked in backlog, one ledger with
//! an unordered moving event, one empty ledger, one task waiting in backlog since before the
//! window. Every expected figure below is computed in its comment from the fixture's
//! timestamps, never read back from the engine.
//!
//! The story, in hours from each ledger (all times UTC, November 2026 unless said):
//! - 0001 (M): created 02 09:00; inbox 6 (→15:00), backlog 18 (→03 09:00), next 24 (→04 09:00),
//!   current 48 (→06 09:00), integration 24 (→07 09:00), learning 12 (→07 21:00 closed).
//!   Lead 132. A line that is not JSON sits in the middle and changes nothing.
//! - 0002 (S): created 09 08:00; inbox 4, backlog 20, next 4, current 120 (10 12:00 → 15 12:00),
//!   blocked 12 by TASK-0005 (11 12:00 → 12 00:00) and 36 by `external:Vendor API keys`
//!   (13 00:00 → 14 12:00), integration 24, learning 6 (→16 18:00 closed). Lead 178.
//! - 0003 (L): created 03 00:00; inbox 10, backlog 14, next 24, current 96 (05 → 09) with a
//!   pause of 48 (06 → 08), integration 24, `rework_required` (10 00:00) back to next for 6,
//!   current 24, integration 24, learning 24 (→13 06:00 closed). Lead 246.
//! - 0004 (XS, P0): created 20 08:00; inbox 1, backlog 1, fast-tracked to current 24,
//!   integration 6, learning 24 (→22 16:00 closed). Lead 56. It displaced 0005.
//! - 0005 (M): created 26 Oct 00:00; inbox 12, backlog 12 (both left in October), next 480
//!   (27 Oct → 16 Nov), current 106 (16 00:00 → 20 10:00), paused by the P0 into next for 54
//!   (→22 16:00), resumed into current, there since.
//! - 0006: created 24 00:00, inbox 6, in next since 25 00:00; depends on 0001 (archived).
//! - 0007: created 23 02:00, inbox 10, in next since 24 00:00; depends on 0005 (current).
//! - 0008: created 25 00:00, inbox 20, in backlog, blocked by `external:Legal review` since
//!   27 00:00; depends on 0006 and 0007.
//! - 0009: its `verified` (line 2) is dated before its `created`: not trusted.
//! - 0010: an empty ledger. 0012: created 1 Nov 00:00, in backlog since 1 Nov 12:00.

use std::path::{Path, PathBuf};

use flowos_lsp::db::metrics::{Window, metrics, task_figures, timeline_of};
use flowos_lsp::db::{TaskIdx, Workspace};
use flowos_lsp::loader::load_root;
use flowos_lsp::syntax::time::parse_rfc3339;
use serde_json::{Value, json};

fn fixture() -> Workspace {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flow/.work/tasks");
    Workspace::build(vec![load_root(Path::new(&root))])
}

fn at(ts: &str) -> i64 {
    parse_rfc3339(ts).expect("a valid time")
}

fn all_tasks(workspace: &Workspace) -> Vec<TaskIdx> {
    (0..workspace.tasks.len() as u32).map(TaskIdx).collect()
}

/// Checks every `(JSON pointer, expected)` of `table` in `value`, reporting all mismatches.
fn check_table(value: &Value, table: &[(&str, Value)]) {
    let wrong: Vec<String> = table
        .iter()
        .filter_map(|(pointer, expected)| {
            let found = value.pointer(pointer).cloned().unwrap_or(Value::Null);
            (found != *expected).then(|| format!("{pointer}: expected {expected}, found {found}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_figure_of_the_default_window_matches_the_hand_computation() {
    let workspace = fixture();
    assert_eq!(workspace.tasks.len(), 11);
    let now = at("2026-11-30T00:00:00Z");
    // The default window: the 28 days before now, 2 Nov (a Monday) 00:00 to 30 Nov 00:00.
    let figures = metrics(
        &workspace,
        &all_tasks(&workspace),
        Window::default_until(now),
        now,
    );
    let value = serde_json::to_value(&figures).unwrap();
    #[rustfmt::skip]
    let table = [
        ("/since", json!("2026-11-02T00:00:00Z")),
        ("/weeks", json!(4.0)),
        ("/tasks", json!(11)),
        // Closed in the window: 0001, 0002, 0003, 0004 with leads 132, 178, 246, 56.
        ("/lead_time_hours/count", json!(4)),
        ("/lead_time_hours/mean", json!(153.0)),   // (56 + 132 + 178 + 246) / 4 = 612 / 4
        ("/lead_time_hours/median", json!(155.0)), // (132 + 178) / 2
        ("/lead_time_hours/p85", json!(246.0)),    // rank ceil(0.85 × 4) = 4
        ("/lead_time_hours/p95", json!(246.0)),    // rank ceil(0.95 × 4) = 4
        // Deviations from 153: -97, -21, 25, 93; squares sum 19124; / 4 = 4781;
        // sqrt 69.145; / 153 = 0.452.
        ("/predictability", json!(0.45)),
        // Blocked over those lives: 0, 48 (12 + 36), 0, 0.
        ("/blocked_time_hours/mean", json!(12.0)),
        ("/blocked_time_hours/median", json!(0.0)),
        ("/blocked_time_hours/p85", json!(48.0)),
        // Paused: 0, 0, 48, 0.
        ("/paused_time_hours/mean", json!(12.0)),
        ("/paused_time_hours/p95", json!(48.0)),
        // Active = lead - blocked - paused: 132, 130, 198, 56.
        ("/active_time_hours/mean", json!(129.0)),   // 516 / 4
        ("/active_time_hours/median", json!(131.0)), // (130 + 132) / 2
        ("/active_time_hours/p85", json!(198.0)),
        // Efficiency: 100, 130/178 = 73.034, 198/246 = 80.488, 100.
        ("/flow_efficiency_pct/mean", json!(88.38)),   // 353.522 / 4
        ("/flow_efficiency_pct/median", json!(90.24)), // (80.488 + 100) / 2
        ("/flow_efficiency_pct/p85", json!(100.0)),
        // Stage visits that ended in the window (0005's inbox and backlog and 0012's inbox
        // ended in October or on 1 Nov; 0009 is left out).
        // inbox: 6, 4, 10, 1, 6 (0006), 10 (0007), 20 (0008); sum 57.
        ("/flow_time_hours/0/stage", json!("inbox")),
        ("/flow_time_hours/0/count", json!(7)),
        ("/flow_time_hours/0/mean", json!(8.14)),   // 57 / 7
        ("/flow_time_hours/0/median", json!(6.0)),  // 1 4 6 [6] 10 10 20
        ("/flow_time_hours/0/p85", json!(10.0)),    // rank ceil(5.95) = 6
        ("/flow_time_hours/0/p95", json!(20.0)),    // rank ceil(6.65) = 7
        // backlog: 18, 20, 14, 1, 18 (0006), 12 (0007); sum 83.
        ("/flow_time_hours/1/count", json!(6)),
        ("/flow_time_hours/1/mean", json!(13.83)),  // 83 / 6
        ("/flow_time_hours/1/median", json!(16.0)), // (14 + 18) / 2
        ("/flow_time_hours/1/p95", json!(20.0)),
        // next: 24, 4, 24 and 6 (0003 twice), 480 and 54 (0005 twice); sum 592.
        ("/flow_time_hours/2/count", json!(6)),
        ("/flow_time_hours/2/mean", json!(98.67)),  // 592 / 6
        ("/flow_time_hours/2/median", json!(24.0)), // 4 6 [24 24] 54 480
        ("/flow_time_hours/2/p85", json!(480.0)),   // rank ceil(5.1) = 6
        // current: 48, 120, 96 and 24 (0003), 24 (0004), 106 (0005's first); sum 418.
        ("/flow_time_hours/3/count", json!(6)),
        ("/flow_time_hours/3/mean", json!(69.67)),  // 418 / 6
        ("/flow_time_hours/3/median", json!(72.0)), // (48 + 96) / 2
        ("/flow_time_hours/3/p85", json!(120.0)),
        // integration: 24, 24, 24 and 24 (0003), 6; sum 102.
        ("/flow_time_hours/4/count", json!(5)),
        ("/flow_time_hours/4/mean", json!(20.4)),
        ("/flow_time_hours/4/median", json!(24.0)),
        // learning: 12, 6, 24, 24; sum 66.
        ("/flow_time_hours/5/count", json!(4)),
        ("/flow_time_hours/5/mean", json!(16.5)),
        ("/flow_time_hours/5/median", json!(18.0)), // (12 + 24) / 2
        // Throughput: 4 closed over 4 weeks; arrivals: created in the window are 0001, 0002,
        // 0003, 0004, 0006, 0007, 0008 (0005 and 0012 before it; 0009 and 0010 left out).
        ("/throughput/count", json!(4)),
        ("/throughput/per_week", json!(1.0)),
        ("/arrival/count", json!(7)),
        ("/arrival/per_week", json!(1.75)),
        // ISO weeks 45 (2 Nov) to 48 (23 Nov). Closed: 0001 on the 7th (W45), 0003 on the
        // 13th (W46), 0002 on the 16th and 0004 on the 22nd (W47). Created: 2nd and 3rd
        // (W45), 9th (W46), 20th (W47), 23rd, 24th, 25th (W48).
        ("/weekly", json!([
            {"week": "2026-W45", "closed": 1, "created": 2},
            {"week": "2026-W46", "closed": 1, "created": 1},
            {"week": "2026-W47", "closed": 2, "created": 1},
            {"week": "2026-W48", "closed": 0, "created": 3},
        ])),
        // WIP at 30 Nov 00:00: backlog 0008 (blocked still counts) and 0012; next 0006 and
        // 0007; current 0005 (resumed). 0009 is left out, 0010 has no stage history.
        ("/wip/by_stage", json!([
            {"stage": "inbox", "count": 0}, {"stage": "backlog", "count": 2},
            {"stage": "next", "count": 2}, {"stage": "current", "count": 1},
            {"stage": "integration", "count": 0}, {"stage": "learning", "count": 0},
        ])),
        ("/wip/total", json!(5)),
        // Departures: the visits above, per stage, over 4 weeks.
        ("/departures/0", json!({"stage": "inbox", "count": 7, "per_week": 1.75})),
        ("/departures/2", json!({"stage": "next", "count": 6, "per_week": 1.5})),
        ("/departures/4", json!({"stage": "integration", "count": 5, "per_week": 1.25})),
        // One `rework_required` (0003) over 4 completed tasks.
        ("/rework", json!({"events": 1, "completed": 4, "rate_pct": 25.0})),
        // SLO targets: inbox 24, backlog 168, integration 48, learning 72, current the
        // effort (M 72, S 48, L 120, XS 24). Only 0002's current (120 > 48) misses; 0004's
        // current is exactly its 24. 3 of 4 met.
        ("/slo/measured", json!(4)),
        ("/slo/met", json!(3)),
        ("/slo/compliance_pct", json!(75.0)),
        ("/slo/misses", json!([
            {"task": "TASK-0002", "stage": "current", "hours": 120.0, "target_hours": 48}
        ])),
        // depends_on: 0006 one, 0007 one, 0008 two; 4 over 11 tasks.
        ("/dependency_ratio", json!(0.36)),
        // Blocked inside the window: Legal review from 27 00:00 to 30 00:00 (72), the vendor
        // keys 36, TASK-0005 12.
        ("/blocker_impact", json!([
            {"blocker": "external:Legal review", "blocking_count": 1, "blocked_hours": 72.0,
             "blocked_tasks": ["TASK-0008"]},
            {"blocker": "external:Vendor API keys", "blocking_count": 1, "blocked_hours": 36.0,
             "blocked_tasks": ["TASK-0002"]},
            {"blocker": "TASK-0005", "blocking_count": 1, "blocked_hours": 12.0,
             "blocked_tasks": ["TASK-0002"]},
        ])),
    ];
    check_table(&value, &table);

    let mut skipped: Vec<(String, String, usize)> = figures
        .skipped
        .iter()
        .map(|s| (s.task.clone(), s.reason.clone(), s.figures.len()))
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        [
            (
                "TASK-0009".to_string(),
                "ledger line 2: `verified` is dated before the event of line 1".to_string(),
                12
            ),
            ("TASK-0010".to_string(), "no `created` event".to_string(), 5),
        ]
    );
}

#[test]
fn a_one_week_window_counts_only_what_happened_in_it() {
    let workspace = fixture();
    // ISO week 47: Monday 16 Nov to Monday 23 Nov.
    let window = Window {
        since: at("2026-11-16T00:00:00Z"),
        until: at("2026-11-23T00:00:00Z"),
    };
    let figures = metrics(&workspace, &all_tasks(&workspace), window, window.until);
    let value = serde_json::to_value(&figures).unwrap();
    #[rustfmt::skip]
    let table = [
        ("/weeks", json!(1.0)),
        // Closed that week: 0002 (16th, lead 178) and 0004 (22nd, lead 56).
        ("/throughput/count", json!(2)),
        ("/lead_time_hours/mean", json!(117.0)), // (178 + 56) / 2
        ("/lead_time_hours/median", json!(117.0)),
        // sd of 178 and 56 is 61; 61 / 117 = 0.521.
        ("/predictability", json!(0.52)),
        // Created that week: 0004 only.
        ("/arrival/count", json!(1)),
        ("/weekly", json!([{"week": "2026-W47", "closed": 2, "created": 1}])),
        // WIP on the 23rd 00:00: 0012 in backlog, 0005 in current; 0007 arrives at 02:00.
        ("/wip/total", json!(2)),
        ("/wip/by_stage/1/count", json!(1)),
        ("/wip/by_stage/3/count", json!(1)),
        // No block overlaps the week (0002's ended on the 14th, 0008's starts on the 27th).
        ("/blocker_impact", json!([])),
        ("/rework", json!({"events": 0, "completed": 2, "rate_pct": 0.0})),
        // Current visits ending that week: 0004's (24, left the 21st) and 0005's first (106,
        // left the 20th); 0002's left on the 15th, before the week.
        ("/flow_time_hours/3/count", json!(2)),
        ("/flow_time_hours/3/mean", json!(65.0)), // (24 + 106) / 2
    ];
    check_table(&value, &table);
}

#[test]
fn per_task_figures_of_the_displaced_task_in_flight() {
    let workspace = fixture();
    let task = workspace
        .tasks
        .iter()
        .find(|task| task.id.to_string() == "TASK-0005")
        .unwrap();
    let timeline = timeline_of(&workspace, task);
    let figures = task_figures(timeline, at("2026-11-30T00:00:00Z"));
    let value = serde_json::to_value(&figures).unwrap();
    #[rustfmt::skip]
    let table = [
        ("/state", json!("in_flight")),
        ("/lead_hours", Value::Null),
        // 26 Oct 00:00 to 30 Nov 00:00: 35 days.
        ("/in_flight_hours", json!(840.0)),
        ("/paused_hours", json!(54.0)),
        ("/blocked_hours", json!(0.0)),
        ("/active_hours", json!(786.0)),         // 840 - 54
        ("/flow_efficiency_pct", json!(93.57)),  // 786 / 840
        // next 480 + 54; current 106 + 176 (22 Nov 16:00 to 30 Nov 00:00 is 7 days 8 hours).
        ("/stage_hours", json!([
            {"stage": "inbox", "hours": 12.0}, {"stage": "backlog", "hours": 12.0},
            {"stage": "next", "hours": 534.0}, {"stage": "current", "hours": 282.0},
        ])),
        ("/skipped", Value::Null),
    ];
    check_table(&value, &table);
}

#[test]
fn no_tasks_and_empty_ledgers_give_empty_figures() {
    let workspace = fixture();
    let now = at("2026-11-30T00:00:00Z");
    let none = metrics(&workspace, &[], Window::default_until(now), now);
    assert_eq!(none.throughput.count, 0);
    assert_eq!(none.lead_time_hours.mean, None);
    assert_eq!(none.dependency_ratio, None);
    assert_eq!(none.rework.rate_pct, None);
    assert_eq!(none.weekly.len(), 4);

    let empty = workspace
        .tasks
        .iter()
        .find(|task| task.id.to_string() == "TASK-0010")
        .unwrap();
    let figures = task_figures(timeline_of(&workspace, empty), now);
    assert_eq!(figures.skipped.as_deref(), Some("no `created` event"));
    assert_eq!(figures.in_flight_hours, None);
}
