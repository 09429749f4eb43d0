//! Rules on each frontmatter reference: missing-dependency, self-dependency,
//! canceled-dependency, unfinished-dependency and unknown-namespace.

use crate::base::edit_distance;
use crate::db::meta::{BlockedBy, RefItem};
use crate::db::vocab::{Stage, Status};
use crate::db::{FileId, Task, Workspace};
use crate::ide::diagnostics::task_anchor;
use crate::ide::types::{Diagnostic, Rule};
use crate::syntax::ledger::LineKind;
use crate::syntax::task_id::{TaskId, scan_refs};

/// Every reference a card's frontmatter makes, with the field it sits in.
pub(crate) fn references(task: &Task) -> impl Iterator<Item = (&'static str, &RefItem)> {
    let meta = &task.meta;
    let lists = [
        ("depends_on", &meta.depends_on),
        ("blocks", &meta.blocks),
        ("related_to", &meta.related_to),
        ("split_into", &meta.split_into),
    ];
    let blocked_by = match &meta.blocked_by {
        Some((BlockedBy::Task { target, .. }, _)) => Some(("blocked_by", target)),
        _ => None,
    };
    lists
        .into_iter()
        .flat_map(|(field, items)| items.iter().map(move |item| (field, item)))
        .chain(meta.split_from.as_ref().map(|item| ("split_from", item)))
        .chain(blocked_by)
}

pub(super) fn check(workspace: &Workspace, out: &mut Vec<Diagnostic>) {
    for task in &workspace.tasks {
        let Some(card) = task.card else {
            continue;
        };
        check_own_namespace(workspace, task, out);
        for (field, item) in references(task) {
            check_reference(workspace, task, card, field, item, out);
        }
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
        if matches!(field, "depends_on" | "blocks") {
            out.push(Diagnostic::new(
                Rule::SelfDependency,
                card,
                item.range,
                format!(
                    "{} lists itself in `{field}`; a task cannot depend on itself",
                    task.id
                ),
            ));
        }
        return;
    }
    let Some(target) = workspace.lookup(target_id) else {
        let hint = closest_ids(workspace, target_id)
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

/// Whether the task's ledger holds a `concurrent_ok` event that names `dependency`.
fn has_concurrent_waiver(workspace: &Workspace, task: &Task, dependency: &TaskId) -> bool {
    let (Some(ledger), Some(file)) = (workspace.ledger(task), task.ledger) else {
        return false;
    };
    let text = &workspace.file(file).text;
    ledger.lines.iter().any(|line| {
        let LineKind::Event(event) = &line.kind else {
            return false;
        };
        event.event() == Some("concurrent_ok")
            && line_mentions(line.range.slice(text), dependency, task.namespace())
    })
}

fn line_mentions(line: &str, dependency: &TaskId, namespace: Option<&str>) -> bool {
    scan_refs(line, 0)
        .iter()
        .any(|found| found.id.resolved_in(namespace) == *dependency)
        || line.contains(&format!("\"{}\"", dependency.short()))
}

/// The existing ID most like a missing one (same namespace, one digit off), if any is close.
fn closest_ids(workspace: &Workspace, missing: &TaskId) -> Option<TaskId> {
    let wanted = missing.short();
    workspace
        .by_id
        .keys()
        .filter(|id| id.namespace == missing.namespace)
        .map(|id| (edit_distance(&id.short(), &wanted), id))
        .filter(|&(distance, _)| distance == 1)
        .min_by_key(|&(distance, id)| (distance, id.number.abs_diff(missing.number)))
        .map(|(_, id)| id.clone())
}
