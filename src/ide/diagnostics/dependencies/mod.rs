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
    docs: include_str!("../docs/missing-dependency.md"),
};

pub(crate) const SELF_DEPENDENCY: RuleDoc = RuleDoc {
    rule: Rule::SelfDependency,
    name: "self-dependency",
    severity: Severity::Error,
    summary: "A task depends on itself.",
    docs: include_str!("../docs/self-dependency.md"),
};

pub(crate) const CANCELED_DEPENDENCY: RuleDoc = RuleDoc {
    rule: Rule::CanceledDependency,
    name: "canceled-dependency",
    severity: Severity::Warning,
    summary: "The task depends on a canceled task and needs retargeting.",
    docs: include_str!("../docs/canceled-dependency.md"),
};

pub(crate) const UNFINISHED_DEPENDENCY: RuleDoc = RuleDoc {
    rule: Rule::UnfinishedDependency,
    name: "unfinished-dependency",
    severity: Severity::Warning,
    summary: "A task in current depends on a task not yet in integration, learning or archived, with no concurrent_ok waiver.",
    docs: include_str!("../docs/unfinished-dependency.md"),
};

pub(crate) const UNKNOWN_NAMESPACE: RuleDoc = RuleDoc {
    rule: Rule::UnknownNamespace,
    name: "unknown-namespace",
    severity: Severity::Error,
    summary: "A reference uses a namespace NAMESPACES.yaml does not declare.",
    docs: include_str!("../docs/unknown-namespace.md"),
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
mod fix_tests;
#[cfg(test)]
mod tests;
