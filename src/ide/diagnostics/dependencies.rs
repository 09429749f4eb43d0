//! Rules on each frontmatter reference: missing-dependency, self-dependency,
//! canceled-dependency, unfinished-dependency and unknown-namespace.

use crate::base::edit_distance;
use crate::db::events::event_line;
use crate::db::flow::{cascade_recorded, has_concurrent_waiver};
use crate::db::meta::{RefItem, references};
use crate::db::vocab::{Stage, Status};
use crate::db::{FileId, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::fix::{Fixes, rewrite};
use crate::ide::diagnostics::ref_edits::{listed, ref_at, remove, replace};
use crate::ide::diagnostics::{RuleDoc, RuleModule, task_anchor};
use crate::ide::edit::ledger::append_lines;
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::task_id::TaskId;
use crate::syntax::time::format_rfc3339;
use std::collections::HashSet;

/// The rules for one task; they read only it and the tasks it names.
pub(super) fn check_task(workspace: &Workspace, idx: TaskIdx, out: &mut Vec<Diagnostic>) {
    let task = workspace.task(idx);
    let Some(card) = task.card else {
        return;
    };
    check_own_namespace(workspace, task, out);
    for (field, item) in references(task) {
        check_reference(workspace, task, card, field, item, out);
    }
}

fn declared<'w>(workspace: &'w Workspace, task: &Task) -> Option<&'w [String]> {
    workspace.roots[task.root].declared_namespaces.as_deref()
}

fn check_own_namespace(workspace: &Workspace, task: &Task, out: &mut Vec<Diagnostic>) {
    let (Some(namespaces), Some(ns)) = (declared(workspace, task), task.namespace()) else {
        return;
    };
    if !namespaces.iter().any(|declared| declared == ns)
        && let Some((file, range)) = task_anchor(workspace, task)
    {
        out.push(Diagnostic::new(
            Rule::UnknownNamespace,
            file,
            range,
            format!(
                "namespace `{ns}` is not declared in NAMESPACES.yaml (declared: {})",
                namespaces.join(", ")
            ),
        ));
    }
}

fn check_reference(
    workspace: &Workspace,
    task: &Task,
    card: FileId,
    field: &str,
    item: &RefItem,
    out: &mut Vec<Diagnostic>,
) {
    let target_id = &item.id;
    if let (Some(namespaces), Some(ns)) = (declared(workspace, task), &target_id.namespace)
        && !namespaces
            .iter()
            .any(|declared| declared.as_str() == ns.as_ref())
    {
        out.push(Diagnostic::new(
            Rule::UnknownNamespace,
            card,
            item.range,
            format!(
                "{target_id} uses namespace `{ns}`, which NAMESPACES.yaml does not declare (declared: {})",
                namespaces.join(", ")
            ),
        ));
        return;
    }
    if *target_id == task.id {
        // Naming itself as a related task is harmless; in any other field it is a loop.
        let why = match field {
            "depends_on" => "a task cannot depend on itself",
            "blocks" => "a task cannot block itself",
            "blocked_by" => "a task cannot be blocked by itself",
            "split_into" | "split_from" => "a task cannot be split into or from itself",
            _ => return,
        };
        out.push(Diagnostic::new(
            Rule::SelfDependency,
            card,
            item.range,
            format!("{} lists itself in `{field}`; {why}", task.id),
        ));
        return;
    }
    let Some(target) = workspace.lookup_in(task.root, target_id) else {
        let hint = closest_ids(workspace, task.root, target_id)
            .map(|id| format!("; did you mean {id}?"))
            .unwrap_or_default();
        out.push(Diagnostic::new(
            Rule::MissingDependency,
            card,
            item.range,
            format!("`{field}` names {target_id}, but no task has that ID{hint}"),
        ));
        return;
    };
    if field != "depends_on" {
        return;
    }
    let target_status = target.meta.status();
    if target_status == Some(Status::Canceled) {
        if cascade_recorded(task, target_id) {
            return;
        }
        let mut diagnostic = Diagnostic::new(
            Rule::CanceledDependency,
            card,
            item.range,
            format!(
                "{target_id} was canceled; remove it from `depends_on` or depend on its replacement"
            ),
        );
        if let Some((file, range)) = target.card.zip(target.meta.status.map(|(_, range)| range)) {
            diagnostic =
                diagnostic.with_related(file, range, format!("{target_id} is canceled here"));
        }
        out.push(diagnostic);
        return;
    }
    if task.stage == Stage::Current
        && !target.stage.is_finished()
        && !has_concurrent_waiver(workspace, task, target_id)
    {
        let mut diagnostic = Diagnostic::new(
            Rule::UnfinishedDependency,
            card,
            item.range,
            format!(
                "{} is in current but its dependency {target_id} is still in {}; finish it first, or log a `concurrent_ok` event naming {target_id} to work in parallel",
                task.id, target.stage
            ),
        );
        if let Some((file, range)) = super::stage_anchor(workspace, target) {
            diagnostic =
                diagnostic.with_related(file, range, format!("{target_id} is in {}", target.stage));
        }
        out.push(diagnostic);
    }
}

/// The existing ID most like a missing one (same namespace, one digit off), if any is close.
fn closest_ids(workspace: &Workspace, root: usize, missing: &TaskId) -> Option<TaskId> {
    nearest_ids(workspace, root, missing, 1).into_iter().next()
}

/// Existing IDs of root `root` within `max_distance` edits of `missing` (same namespace),
/// closest first: by edit distance of the short spelling, then by how far the number is.
///
/// IDs of one namespace differ only in their digits, so the candidates are the digit strings
/// within `max_distance` edits of the missing one's, looked up one by one: the cost follows
/// the ID's length, never the number of tasks (a typo in `depends_on` is analysed on every
/// keystroke).
pub(crate) fn nearest_ids(
    workspace: &Workspace,
    root: usize,
    missing: &TaskId,
    max_distance: usize,
) -> Vec<TaskId> {
    let wanted = missing.short();
    let digits = format!("{:04}", missing.number);
    let mut spellings: HashSet<String> = HashSet::from([digits]);
    for _ in 0..max_distance {
        let next: Vec<String> = spellings.iter().flat_map(|s| one_edit(s)).collect();
        spellings.extend(next);
    }
    let mut numbers: Vec<u32> = spellings
        .iter()
        .filter(|spelling| !spelling.is_empty() && spelling.len() <= 9)
        .filter_map(|spelling| spelling.parse().ok())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut found: Vec<(usize, u32, TaskId)> = numbers
        .into_iter()
        .map(|number| TaskId::new(missing.namespace.as_deref(), number))
        .filter(|id| workspace.by_id.contains_key(&(root, id.clone())))
        .map(|id| (edit_distance(&id.short(), &wanted), id))
        .filter(|(distance, _)| (1..=max_distance).contains(distance))
        .map(|(distance, id)| (distance, id.number.abs_diff(missing.number), id))
        .collect();
    found.sort();
    found.into_iter().map(|(_, _, id)| id).collect()
}

/// Every digit string one edit (a digit deleted, replaced or inserted) from `digits`.
fn one_edit(digits: &str) -> Vec<String> {
    const DIGITS: &[u8] = b"0123456789";
    let bytes = digits.as_bytes();
    let mut out = Vec::with_capacity(21 * (bytes.len() + 1));
    let spell = |parts: &[&[u8]]| String::from_utf8(parts.concat()).unwrap_or_default();
    for at in 0..=bytes.len() {
        let (head, tail) = bytes.split_at(at);
        for digit in DIGITS.chunks(1) {
            out.push(spell(&[head, digit, tail]));
            if let Some((_, rest)) = tail.split_first() {
                out.push(spell(&[head, digit, rest]));
            }
        }
        if let Some((_, rest)) = tail.split_first() {
            out.push(spell(&[head, rest]));
        }
    }
    out
}

/// How many existing IDs a missing one may be replaced with, and how far they may be.
const REPLACEMENTS: usize = 3;
const REPLACEMENT_DISTANCE: usize = 2;

/// missing-dependency: remove the reference, or point it at one of the closest existing
/// IDs. Which one was meant is a guess, so none of these is applied in bulk.
pub(super) fn fix_missing_dependency(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(at) = ref_at(ws, d) else {
        return;
    };
    if at.field != "blocked_by" {
        remove(ws, &at, false, fixes);
    }
    let already: Vec<&TaskId> = listed(at.task, at.field).map(|item| &item.id).collect();
    let candidates = nearest_ids(ws, at.task.root, &at.item.id, REPLACEMENT_DISTANCE)
        .into_iter()
        .filter(|id| *id != at.task.id && !already.contains(&id))
        .take(REPLACEMENTS);
    for candidate in candidates {
        replace(ws, &at, &candidate, fixes);
    }
}

/// canceled-dependency: drop the canceled task (retargeting is the writer's call).
pub(super) fn fix_canceled_dependency(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    if let Some(at) = ref_at(ws, d) {
        remove(ws, &at, false, fixes);
    }
}

/// self-dependency: a task cannot wait on, block or split into itself, so the reference
/// goes. (`blocked_by` naming the task itself is left: clearing it would leave a blocked
/// task without a reason.)
pub(super) fn fix_self_dependency(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    if let Some(at) = ref_at(ws, d)
        && at.field != "blocked_by"
    {
        remove(ws, &at, true, fixes);
    }
}

/// unfinished-dependency: log a `concurrent_ok` waiver naming the dependency. Working in
/// parallel is a decision, so this is only ever applied by hand.
pub(super) fn fix_unfinished_dependency(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(at) = ref_at(ws, d) else {
        return;
    };
    let Some(ledger) = at.task.ledger.filter(|&file| ws.file(file).exists) else {
        return;
    };
    let ctx = fixes.ctx;
    let Some(user) = ctx
        .user
        .clone()
        .or_else(|| at.task.meta.current_dri.clone())
    else {
        return;
    };
    let dependency = &at.item.id;
    let line = event_line(
        &format_rfc3339(ctx.now),
        &user,
        "concurrent_ok",
        &format!("Working in parallel with unfinished dependency {dependency}"),
        &[],
    );
    let new = append_lines(&ws.file(ledger).text, &[line]);
    fixes.change(
        format!("Log a `concurrent_ok` waiver for {dependency}"),
        false,
        rewrite(ws, ledger, Some(new)),
    );
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const MISSING_DEPENDENCY: RuleDoc = RuleDoc {
    rule: Rule::MissingDependency,
    name: "missing-dependency",
    severity: Severity::Error,
    summary: "A task reference names no existing task.",
    docs: include_str!("docs/missing-dependency.md"),
};

pub(crate) const SELF_DEPENDENCY: RuleDoc = RuleDoc {
    rule: Rule::SelfDependency,
    name: "self-dependency",
    severity: Severity::Error,
    summary: "A task depends on itself.",
    docs: include_str!("docs/self-dependency.md"),
};

pub(crate) const CANCELED_DEPENDENCY: RuleDoc = RuleDoc {
    rule: Rule::CanceledDependency,
    name: "canceled-dependency",
    severity: Severity::Warning,
    summary: "The task depends on a canceled task and needs retargeting.",
    docs: include_str!("docs/canceled-dependency.md"),
};

pub(crate) const UNFINISHED_DEPENDENCY: RuleDoc = RuleDoc {
    rule: Rule::UnfinishedDependency,
    name: "unfinished-dependency",
    severity: Severity::Warning,
    summary: "A task in current depends on a task not yet in integration, learning or archived, with no concurrent_ok waiver.",
    docs: include_str!("docs/unfinished-dependency.md"),
};

pub(crate) const UNKNOWN_NAMESPACE: RuleDoc = RuleDoc {
    rule: Rule::UnknownNamespace,
    name: "unknown-namespace",
    severity: Severity::Error,
    summary: "A reference uses a namespace NAMESPACES.yaml does not declare.",
    docs: include_str!("docs/unknown-namespace.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[
    MISSING_DEPENDENCY,
    SELF_DEPENDENCY,
    CANCELED_DEPENDENCY,
    UNFINISHED_DEPENDENCY,
    UNKNOWN_NAMESPACE,
];

pub(super) const MODULE: RuleModule = RuleModule {
    card: None,
    task: Some(check_task),
    fixes: &[
        (Rule::MissingDependency, fix_missing_dependency),
        (Rule::CanceledDependency, fix_canceled_dependency),
        (Rule::SelfDependency, fix_self_dependency),
        (Rule::UnfinishedDependency, fix_unfinished_dependency),
    ],
    rules: RULES,
};

#[cfg(test)]
mod tests {
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
}

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
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
}
