//! Rules on two-way links: unlinked-inverse (blocks <-> depends_on) and split-link-mismatch
//! (split_into <-> split_from).

use crate::db::meta::RefItem;
use crate::db::{Task, Workspace};
use crate::ide::types::{Diagnostic, Rule};

pub(super) fn check(workspace: &Workspace, out: &mut Vec<Diagnostic>) {
    for task in &workspace.tasks {
        let Some(card) = task.card else {
            continue;
        };
        for item in &task.meta.blocks {
            if let Some(target) = linked_target(workspace, task, item)
                && !target.meta.depends_on.iter().any(|back| back.id == task.id)
            {
                out.push(inverse_missing(
                    workspace,
                    card,
                    item,
                    task,
                    target,
                    "blocks",
                    "depends_on",
                ));
            }
        }
        for item in &task.meta.depends_on {
            if let Some(target) = linked_target(workspace, task, item)
                && !target.meta.blocks.iter().any(|back| back.id == task.id)
            {
                out.push(inverse_missing(
                    workspace,
                    card,
                    item,
                    task,
                    target,
                    "depends_on",
                    "blocks",
                ));
            }
        }
        for item in &task.meta.split_into {
            if let Some(target) = linked_target(workspace, task, item)
                && target.meta.split_from.as_ref().map(|back| &back.id) != Some(&task.id)
            {
                let points_at = match &target.meta.split_from {
                    Some(other) => format!("points at {}", other.id),
                    None => "is empty".to_string(),
                };
                out.push(Diagnostic::new(
                    Rule::SplitLinkMismatch,
                    card,
                    item.range,
                    format!(
                        "{} lists {} in `split_into`, but {}'s `split_from` {points_at}",
                        task.id, target.id, target.id
                    ),
                ));
            }
        }
        if let Some(item) = &task.meta.split_from
            && let Some(parent) = linked_target(workspace, task, item)
            && !parent
                .meta
                .split_into
                .iter()
                .any(|child| child.id == task.id)
        {
            out.push(Diagnostic::new(
                Rule::SplitLinkMismatch,
                card,
                item.range,
                format!(
                    "{} says it was split from {}, but {}'s `split_into` does not list it",
                    task.id, parent.id, parent.id
                ),
            ));
        }
    }
}

/// The existing other task an item points at (missing and self references have their own
/// rules).
fn linked_target<'w>(workspace: &'w Workspace, task: &Task, item: &RefItem) -> Option<&'w Task> {
    if item.id == task.id {
        return None;
    }
    workspace
        .lookup(&item.id)
        .filter(|target| target.card.is_some())
}

fn inverse_missing(
    workspace: &Workspace,
    card: crate::db::FileId,
    item: &RefItem,
    task: &Task,
    target: &Task,
    field: &str,
    inverse: &str,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        Rule::UnlinkedInverse,
        card,
        item.range,
        format!(
            "{} lists {} in `{field}`, but {}'s `{inverse}` does not list {}",
            task.id, target.id, target.id, task.id
        ),
    );
    let inverse_key = target.card.and_then(|target_card| {
        let parsed = workspace.card(target)?;
        let entry = parsed.frontmatter.block()?.get(inverse)?;
        Some((target_card, entry.key_range))
    });
    if let Some((file, range)) = inverse_key {
        diagnostic = diagnostic.with_related(file, range, format!("add {} here", task.id));
    }
    diagnostic
}
