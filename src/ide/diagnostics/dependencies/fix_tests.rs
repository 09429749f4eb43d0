//! The fix of each rule of this module, applied: its diagnostic goes, nothing else changes.

use expect_test::expect;

use crate::ide::diagnostics::check_fix::{ROOT_ROWS, STAGE_ROWS, check_fix, indexed, one, pkg};
use crate::ide::types::Rule;

#[test]
fn remove_a_missing_dependency_and_its_index_cells_with_it() {
    let fixture = indexed(
        "depends_on: [\"0099\"]",
        "",
        &ROOT_ROWS.replacen("| - | - |", "| - | TASK-0099 |", 1),
        &STAGE_ROWS.replacen("| - | - |", "| - | 0099 |", 1),
    );
    check_fix(
        &fixture,
        Rule::MissingDependency,
        "Remove TASK-0099",
        expect![[r#"
        Remove TASK-0099 from `depends_on`
        backlog/TASK-0001-a/0001-a.task.md:15:14 `"0099"` -> ``
        INDEX.md:5:52 `TASK-0099` -> `-`
          = | 0001 | Task 0001 | @ana | backlog | active | - | - |
        backlog/INDEX.md:7:42 `0099` -> `-`
          = | 0001 | Task 0001 | @ana | active | - | - |
    "#]],
    );
}

#[test]
fn replace_a_missing_reference_with_the_closest_id() {
    let fixture = format!(
        "{}{}",
        one("backlog/TASK-0001-a", "related_to: [TASK-0003]"),
        pkg("backlog/TASK-0002-b", "")
    );
    check_fix(
        &fixture,
        Rule::MissingDependency,
        "Change to",
        expect![[r#"
        Change to TASK-0002
        backlog/TASK-0001-a/0001-a.task.md:17:22 `3` -> `2`
          = related_to: [TASK-0002]
    "#]],
    );
}

#[test]
fn the_task_in_blocked_by_replaced_inside_its_string() {
    let fixture = format!(
        "{}{}",
        one(
            "backlog/TASK-0001-a",
            "status: \"blocked\"\nblocked_by: \"task:TASK-0003 (paused)\""
        ),
        pkg("backlog/TASK-0002-b", "")
    );
    check_fix(
        &fixture,
        Rule::MissingDependency,
        "Change to",
        expect![[r#"
        Change to TASK-0002
        backlog/TASK-0001-a/0001-a.task.md:13:27 `3` -> `2`
          = blocked_by: "task:TASK-0002 (paused)"
    "#]],
    );
}

#[test]
fn self_dependency() {
    let fixture = one("backlog/TASK-0001-a", "depends_on: [\"TASK-0001\"]");
    check_fix(
        &fixture,
        Rule::SelfDependency,
        "Remove TASK-0001",
        expect![[r#"
        Remove TASK-0001 from `depends_on` (safe)
        backlog/TASK-0001-a/0001-a.task.md:15:14 `"TASK-0001"` -> ``
    "#]],
    );
}

#[test]
fn canceled_dependency() {
    let fixture = format!(
        "{}{}",
        one("backlog/TASK-0001-a", "depends_on: [TASK-0002]"),
        pkg("archived/TASK-0002-b", "status: \"canceled\"")
    );
    check_fix(
        &fixture,
        Rule::CanceledDependency,
        "Remove TASK-0002",
        expect![[r#"
        Remove TASK-0002 from `depends_on`
        backlog/TASK-0001-a/0001-a.task.md:15:14 `TASK-0002` -> ``
    "#]],
    );
}

#[test]
fn concurrent_ok_waiver() {
    let fixture = format!(
        "{}{}",
        one("current/TASK-0001-a", "depends_on: [TASK-0002]"),
        pkg("next/TASK-0002-b", "blocks: [\"0001\"]")
    );
    check_fix(
        &fixture,
        Rule::UnfinishedDependency,
        "Log a `concurrent_ok`",
        expect![[r#"
        Log a `concurrent_ok` waiver for TASK-0002
        current/TASK-0001-a/0001.ledger.jsonl:5:1 `` -> `{"ts":"2026-03-02T12:00:00Z","user":"@ana","event":"concurrent_ok","desc":"Working in parallel with unfinished dependency TASK-0002"}⏎`
          = {"ts":"2026-03-02T12:00:00Z","user":"@ana","event":"concurrent_ok","desc":"Working in parallel with unfinished dependency TASK-0002"}
    "#]],
    );
}
