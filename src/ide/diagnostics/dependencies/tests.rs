//! The dependency rules on small workspaces.

use expect_test::expect;

use super::{TaskId, edit_distance, nearest_ids};
use crate::ide::fixture::workspace;

#[test]
fn nearest_ids_are_those_a_scan_of_every_id_finds() {
    let numbers = [
        1, 7, 10, 17, 70, 71, 100, 107, 170, 700, 1007, 9999, 10000, 10007,
    ];
    let fixture: String = numbers
        .iter()
        .map(|n| package(&format!("backlog/TASK-{n:04}-t"), ""))
        .collect();
    let model = workspace(&format!("{COUNTER}{fixture}"));
    for missing in [
        0, 2, 8, 11, 77, 101, 170, 1000, 1070, 9998, 10001, 99999, 7007,
    ] {
        let missing = TaskId::new(None, missing);
        for distance in [1, 2] {
            let mut scanned: Vec<(usize, u32, TaskId)> = numbers
                .iter()
                .map(|&n| TaskId::new(None, n))
                .map(|id| (edit_distance(&id.short(), &missing.short()), id))
                .filter(|(d, _)| (1..=distance).contains(d))
                .map(|(d, id)| (d, id.number.abs_diff(missing.number), id))
                .collect();
            scanned.sort();
            let scanned: Vec<TaskId> = scanned.into_iter().map(|(_, _, id)| id).collect();
            assert_eq!(
                nearest_ids(&model, 0, &missing, distance),
                scanned,
                "{missing} within {distance}"
            );
        }
    }
}

use crate::ide::fixture::{COUNTER, check_rule, package};
use crate::ide::types::Rule;

const NAMESPACES_FW: &str = "//- /NAMESPACES.yaml\nnamespaces:\n  FW:\n    full_name: \"Fireweed\"\n    id_counter_file: \".work/tasks/fw/ID_COUNTER.txt\"\n";

#[test]
fn missing_dependency_is_reported_on_the_exact_list_item() {
    // Flow and block lists, quoted and unquoted items, and every reference field.
    let fixture = format!(
        "{COUNTER}{}{}",
        package(
            "backlog/TASK-0001-a",
            "depends_on: [\"0099\", TASK-0098, \"0002\"]\n\
                 related_to: [TASK-0095]\n\
                 split_from: \"TASK-0094\"\n\
                 split_into: [\"0093\"]\n\
                 status: \"blocked\"\n\
                 blocked_by: \"task:TASK-0092 (paused)\"",
        ),
        package("backlog/TASK-0002-b", ""),
    )
    // `package` takes one line per field, so the block list is written in afterwards.
    .replacen("blocks: []", "blocks:\n  - \"TASK-0097\"\n  - TASK-0096", 1);
    expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:13:19 error `TASK-0092` `blocked_by` names TASK-0092, but no task has that ID; did you mean TASK-0002?
            backlog/TASK-0001-a/0001-a.task.md:15:14 error `"0099"` `depends_on` names TASK-0099, but no task has that ID
            backlog/TASK-0001-a/0001-a.task.md:15:22 error `TASK-0098` `depends_on` names TASK-0098, but no task has that ID
            backlog/TASK-0001-a/0001-a.task.md:17:5 error `"TASK-0097"` `blocks` names TASK-0097, but no task has that ID
            backlog/TASK-0001-a/0001-a.task.md:18:5 error `TASK-0096` `blocks` names TASK-0096, but no task has that ID
            backlog/TASK-0001-a/0001-a.task.md:19:14 error `TASK-0095` `related_to` names TASK-0095, but no task has that ID
            backlog/TASK-0001-a/0001-a.task.md:20:13 error `"TASK-0094"` `split_from` names TASK-0094, but no task has that ID
            backlog/TASK-0001-a/0001-a.task.md:21:14 error `"0093"` `split_into` names TASK-0093, but no task has that ID
        "#]].assert_eq(&check_rule(&fixture, Rule::MissingDependency));
}

#[test]
fn missing_dependency_one_digit_off_suggests_the_existing_id() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package("backlog/TASK-0001-a", "depends_on: [\"0012\"]"),
        package("backlog/TASK-0002-b", ""),
    );
    expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:15:14 error `"0012"` `depends_on` names TASK-0012, but no task has that ID; did you mean TASK-0002?
        "#]].assert_eq(&check_rule(&fixture, Rule::MissingDependency));
}

#[test]
fn references_to_existing_tasks_are_not_missing() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package(
            "backlog/TASK-0001-a",
            "depends_on: [\"TASK-0002\"]\nstatus: \"blocked\"\nblocked_by: \"task:TASK-0002\"",
        ),
        package("backlog/TASK-0002-b", "blocks: [\"0001\"]"),
    )
    .replacen("related_to: []", "related_to:\n  - \"0002\"", 1);
    assert_eq!(check_rule(&fixture, Rule::MissingDependency), "");
}

#[test]
fn unqualified_id_in_a_namespaced_card_means_the_same_namespace() {
    // `"0001"` inside TASK-FW-0002 is TASK-FW-0001, which exists; TASK-0001 does not.
    let fixture = format!(
        "{COUNTER}{}{}",
        package("inbox/TASK-FW-0001-a", ""),
        package("inbox/TASK-FW-0002-b", "depends_on: [\"0001\"]"),
    );
    assert_eq!(check_rule(&fixture, Rule::MissingDependency), "");
    // And in TASK-FW-0001 itself, `"0001"` is a self-dependency.
    let own = format!(
        "{COUNTER}{}",
        package("inbox/TASK-FW-0001-a", "depends_on: [\"0001\"]")
    );
    expect![[r#"
            inbox/TASK-FW-0001-a/FW-0001-a.task.md:15:14 error `"0001"` TASK-FW-0001 lists itself in `depends_on`; a task cannot depend on itself
        "#]].assert_eq(&check_rule(&own, Rule::SelfDependency));
}

#[test]
fn self_dependency_is_reported_in_depends_on_and_blocks() {
    let fixture = format!(
        "{COUNTER}{}",
        package("backlog/TASK-0001-a", "depends_on: [TASK-0001]"),
    )
    .replace("blocks: []", "blocks:\n  - \"0001\"");
    expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:15:14 error `TASK-0001` TASK-0001 lists itself in `depends_on`; a task cannot depend on itself
            backlog/TASK-0001-a/0001-a.task.md:17:5 error `"0001"` TASK-0001 lists itself in `blocks`; a task cannot block itself
        "#]].assert_eq(&check_rule(&fixture, Rule::SelfDependency));
}

#[test]
fn self_reference_in_blocked_by_and_split_fields_is_reported() {
    let fixture = format!(
        "{COUNTER}{}",
        package(
            "backlog/TASK-0001-a",
            "status: \"blocked\"\nblocked_by: \"task:TASK-0001\"\nsplit_from: \"0001\"\nsplit_into: [TASK-0001]",
        ),
    );
    expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:13:19 error `TASK-0001` TASK-0001 lists itself in `blocked_by`; a task cannot be blocked by itself
            backlog/TASK-0001-a/0001-a.task.md:18:13 error `"0001"` TASK-0001 lists itself in `split_from`; a task cannot be split into or from itself
            backlog/TASK-0001-a/0001-a.task.md:19:14 error `TASK-0001` TASK-0001 lists itself in `split_into`; a task cannot be split into or from itself
        "#]].assert_eq(&check_rule(&fixture, Rule::SelfDependency));
}

#[test]
fn depending_on_another_task_is_not_a_self_dependency() {
    // Naming itself in related_to is pointless but harmless, so it is not reported.
    let fixture = format!(
        "{COUNTER}{}{}",
        package("backlog/TASK-0001-a", "depends_on: [\"0002\"]"),
        package(
            "backlog/TASK-0002-b",
            "blocks: [\"0001\"]\nrelated_to: [\"0002\"]"
        ),
    );
    assert_eq!(check_rule(&fixture, Rule::SelfDependency), "");
}

#[test]
fn canceled_dependency_points_at_the_canceled_status() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package("backlog/TASK-0001-a", "depends_on: [\"0002\"]"),
        package(
            "archived/TASK-0002-b",
            "status: \"canceled\"\ncanceled_reason: \"dropped\""
        ),
    );
    expect![[r#"
            backlog/TASK-0001-a/0001-a.task.md:15:14 warning `"0002"` TASK-0002 was canceled; remove it from `depends_on` or depend on its replacement
              -> archived/TASK-0002-b/0002-b.task.md `"canceled"` TASK-0002 is canceled here
        "#]].assert_eq(&check_rule(&fixture, Rule::CanceledDependency));
}

#[test]
fn canceled_dependency_after_the_cancel_cascade_is_not_reported_again() {
    // WF-CASCADE-CANCEL blocks a dependent in inbox/backlog/next with the `(canceled)`
    // note and pauses one in current/integration; both keep the dependency until their
    // DRI retargets it. A dependent blocked by the task before it was canceled (no note),
    // or paused for an unrelated reason, still needs the reminder.
    let canceled = package(
        "archived/TASK-0002-b",
        "status: \"canceled\"\ncanceled_reason: \"dropped\"\nblocks: [\"0001\", \"0003\", \"0004\", \"0005\"]",
    );
    let fixture = format!(
        "{COUNTER}{canceled}{}{}{}{}",
        package(
            "next/TASK-0001-a",
            "depends_on: [\"0002\"]\nstatus: blocked\nblocked_by: \"task:TASK-0002 (canceled)\"",
        ),
        package(
            "current/TASK-0003-c",
            "depends_on: [\"0002\"]\nstatus: paused\npaused_reason: \"Upstream TASK-0002 canceled, re-planning needed\"",
        ),
        package(
            "next/TASK-0004-d",
            "depends_on: [\"0002\"]\nstatus: blocked\nblocked_by: \"task:TASK-0002\"",
        ),
        package(
            "current/TASK-0005-e",
            "depends_on: [\"0002\"]\nstatus: paused\npaused_reason: \"vacation until TASK-0002 ships\"",
        ),
    );
    expect![[r#"
            next/TASK-0004-d/0004-d.task.md:15:14 warning `"0002"` TASK-0002 was canceled; remove it from `depends_on` or depend on its replacement
              -> archived/TASK-0002-b/0002-b.task.md `"canceled"` TASK-0002 is canceled here
            current/TASK-0005-e/0005-e.task.md:15:14 warning `"0002"` TASK-0002 was canceled; remove it from `depends_on` or depend on its replacement
              -> archived/TASK-0002-b/0002-b.task.md `"canceled"` TASK-0002 is canceled here
        "#]].assert_eq(&check_rule(&fixture, Rule::CanceledDependency));
}

#[test]
fn active_dependency_is_not_canceled() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package("backlog/TASK-0001-a", "depends_on: [\"0002\"]"),
        package("archived/TASK-0002-b", ""),
    );
    assert_eq!(check_rule(&fixture, Rule::CanceledDependency), "");
}

#[test]
fn task_in_current_depending_on_a_backlog_task_is_warned() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package("current/TASK-0001-a", "depends_on: [\"0002\"]"),
        package("backlog/TASK-0002-b", ""),
    );
    expect![[r#"
            current/TASK-0001-a/0001-a.task.md:15:14 warning `"0002"` TASK-0001 is in current but its dependency TASK-0002 is still in backlog; finish it first, or log a `concurrent_ok` event naming TASK-0002 to work in parallel
              -> backlog/TASK-0002-b/0002-b.task.md `"backlog"` TASK-0002 is in backlog
        "#]].assert_eq(&check_rule(&fixture, Rule::UnfinishedDependency));
}

#[test]
fn dependency_in_integration_is_finished() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package("current/TASK-0001-a", "depends_on: [\"0002\"]"),
        package("integration/TASK-0002-b", ""),
    );
    assert_eq!(check_rule(&fixture, Rule::UnfinishedDependency), "");
}

#[test]
fn concurrent_ok_event_naming_the_dependency_waives_it() {
    let waiver = "{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@ana\",\"event\":\"concurrent_ok\",\"desc\":\"Starting in parallel with TASK-0002 (risk accepted)\"}\n";
    let fixture = format!(
        "{COUNTER}{}{}{}",
        package("current/TASK-0001-a", "depends_on: [\"0002\", \"0003\"]"),
        package("backlog/TASK-0002-b", ""),
        package("backlog/TASK-0003-c", ""),
    )
    .replace(
        "\"desc\":\"Created\"}\n//- /backlog/TASK-0002-b",
        &format!("\"desc\":\"Created\"}}\n{waiver}//- /backlog/TASK-0002-b"),
    );
    assert!(
        fixture.contains("concurrent_ok"),
        "the waiver was not added"
    );
    // The waiver names TASK-0002 only, so TASK-0003 is still reported.
    expect![[r#"
            current/TASK-0001-a/0001-a.task.md:15:22 warning `"0003"` TASK-0001 is in current but its dependency TASK-0003 is still in backlog; finish it first, or log a `concurrent_ok` event naming TASK-0003 to work in parallel
              -> backlog/TASK-0003-c/0003-c.task.md `"backlog"` TASK-0003 is in backlog
        "#]].assert_eq(&check_rule(&fixture, Rule::UnfinishedDependency));
}

#[test]
fn reference_to_an_undeclared_namespace_is_reported() {
    let fixture = format!(
        "{COUNTER}{NAMESPACES_FW}{}{}",
        package("inbox/TASK-FW-0001-a", "depends_on: [TASK-PLAT-0001]"),
        package("inbox/TASK-PLAT-0002-b", ""),
    );
    expect![[r#"
            inbox/TASK-FW-0001-a/FW-0001-a.task.md:15:14 error `TASK-PLAT-0001` TASK-PLAT-0001 uses namespace `PLAT`, which NAMESPACES.yaml does not declare (declared: FW)
            inbox/TASK-PLAT-0002-b/PLAT-0002-b.task.md:2:11 error `PLAT-0002` namespace `PLAT` is not declared in NAMESPACES.yaml (declared: FW)
        "#]].assert_eq(&check_rule(&fixture, Rule::UnknownNamespace));
}

#[test]
fn without_a_namespace_registry_any_namespace_is_accepted() {
    // No NAMESPACES.yaml: the rule is off, and an unknown target is just missing.
    let fixture = format!(
        "{COUNTER}{}",
        package("inbox/TASK-FW-0001-a", "depends_on: [TASK-PLAT-0001]"),
    );
    assert_eq!(check_rule(&fixture, Rule::UnknownNamespace), "");
    expect![[r#"
            inbox/TASK-FW-0001-a/FW-0001-a.task.md:15:14 error `TASK-PLAT-0001` `depends_on` names TASK-PLAT-0001, but no task has that ID
        "#]].assert_eq(&check_rule(&fixture, Rule::MissingDependency));
}

// The three namespace layouts of SPEC §2: in each, TASK-FW-0002 in current depends on
// TASK-FW-0001 in backlog by the bare ID `0001`. Finding the dependency (no
// missing-dependency) in the right stage (unfinished-dependency naming backlog) proves
// the layout's tasks are found and their stage read from the right folder.

#[test]
fn unified_layout_tasks_are_found() {
    let fixture = format!(
        "{COUNTER}{NAMESPACES_FW}{}{}",
        package("backlog/TASK-FW-0001-a", ""),
        package("current/TASK-FW-0002-b", "depends_on: [\"0001\"]"),
    );
    assert_eq!(check_rule(&fixture, Rule::MissingDependency), "");
    assert_eq!(check_rule(&fixture, Rule::UnknownNamespace), "");
    expect![[r#"
            current/TASK-FW-0002-b/FW-0002-b.task.md:15:14 warning `"0001"` TASK-FW-0002 is in current but its dependency TASK-FW-0001 is still in backlog; finish it first, or log a `concurrent_ok` event naming TASK-FW-0001 to work in parallel
              -> backlog/TASK-FW-0001-a/FW-0001-a.task.md `"backlog"` TASK-FW-0001 is in backlog
        "#]].assert_eq(&check_rule(&fixture, Rule::UnfinishedDependency));
}

#[test]
fn per_namespace_layout_tasks_are_found() {
    let fixture = format!(
        "{COUNTER}{NAMESPACES_FW}{}{}",
        package("fw/backlog/TASK-FW-0001-a", ""),
        package("fw/current/TASK-FW-0002-b", "depends_on: [\"0001\"]"),
    );
    assert_eq!(check_rule(&fixture, Rule::MissingDependency), "");
    expect![[r#"
            fw/current/TASK-FW-0002-b/FW-0002-b.task.md:15:14 warning `"0001"` TASK-FW-0002 is in current but its dependency TASK-FW-0001 is still in backlog; finish it first, or log a `concurrent_ok` event naming TASK-FW-0001 to work in parallel
              -> fw/backlog/TASK-FW-0001-a/FW-0001-a.task.md `"backlog"` TASK-FW-0001 is in backlog
        "#]].assert_eq(&check_rule(&fixture, Rule::UnfinishedDependency));
}

#[test]
fn hybrid_layout_tasks_are_found() {
    let fixture = format!(
        "{COUNTER}{NAMESPACES_FW}{}{}",
        package("backlog/fw/TASK-FW-0001-a", ""),
        package("current/fw/TASK-FW-0002-b", "depends_on: [\"0001\"]"),
    );
    assert_eq!(check_rule(&fixture, Rule::MissingDependency), "");
    expect![[r#"
            current/fw/TASK-FW-0002-b/FW-0002-b.task.md:15:14 warning `"0001"` TASK-FW-0002 is in current but its dependency TASK-FW-0001 is still in backlog; finish it first, or log a `concurrent_ok` event naming TASK-FW-0001 to work in parallel
              -> backlog/fw/TASK-FW-0001-a/FW-0001-a.task.md `"backlog"` TASK-FW-0001 is in backlog
        "#]].assert_eq(&check_rule(&fixture, Rule::UnfinishedDependency));
}
