//! Rules on task packages as folders: task-id-mismatch, stage-mismatch, package-file-missing,
//! package-name and duplicate-task-id.

use crate::base::TextRange;
use crate::db::layout::file_name;
use crate::db::{Task, TaskIdx, Workspace};
use crate::ide::diagnostics::task_anchor;
use crate::ide::types::{Diagnostic, Rule};
use crate::syntax::task_id::{parse_file_prefix, parse_folder_name, parse_task_ref};

pub(super) fn check(workspace: &Workspace, out: &mut Vec<Diagnostic>) {
    for (index, task) in workspace.tasks.iter().enumerate() {
        check_ids(workspace, task, out);
        check_stage(task, out);
        check_files(workspace, task, out);
        check_names(workspace, task, out);
        check_duplicates(workspace, TaskIdx(index as u32), task, out);
    }
}

fn check_ids(workspace: &Workspace, task: &Task, out: &mut Vec<Diagnostic>) {
    let (Some(card), Some((written, range))) = (task.card, &task.meta.task_id) else {
        return;
    };
    let Some((declared, _)) = parse_task_ref(written.trim()) else {
        return; // invalid-task-ref already says so
    };
    let declared = declared.resolved_in(task.namespace());
    if let Some((folder_id, _)) = parse_folder_name(&task.folder_name)
        && folder_id != declared
    {
        out.push(Diagnostic::new(
            Rule::TaskIdMismatch,
            card,
            *range,
            format!(
                "task_id says {declared} but the folder `{}` is {folder_id}",
                task.folder_name
            ),
        ));
        return;
    }
    let card_name = file_name(&workspace.file(card).rel);
    if let Some((file_id, _)) = parse_file_prefix(card_name)
        && file_id.resolved_in(task.namespace()) != declared
    {
        out.push(Diagnostic::new(
            Rule::TaskIdMismatch,
            card,
            *range,
            format!("task_id says {declared} but the card file `{card_name}` is {file_id}"),
        ));
    }
}

fn check_stage(task: &Task, out: &mut Vec<Diagnostic>) {
    let (Some(card), Some((stage, range))) = (task.card, task.meta.stage) else {
        return;
    };
    if stage != task.stage {
        out.push(Diagnostic::new(
            Rule::StageMismatch,
            card,
            range,
            format!(
                "stage is `{stage}` but the task sits in the `{}` folder; move the folder or set `stage: {}`",
                task.stage, task.stage
            ),
        ));
    }
}

fn check_files(workspace: &Workspace, task: &Task, out: &mut Vec<Diagnostic>) {
    let short = task.id.short();
    let expected_card = match &task.slug {
        Some(slug) if !slug.is_empty() => format!("{short}-{slug}.task.md"),
        _ => format!("{short}-<slug>.task.md"),
    };
    let missing: Vec<String> = [
        (task.card.is_none(), expected_card),
        (task.context.is_none(), format!("{short}.context.md")),
        (task.ledger.is_none(), format!("{short}.ledger.jsonl")),
    ]
    .into_iter()
    .filter(|(absent, _)| *absent)
    .map(|(_, name)| name)
    .collect();
    if missing.is_empty() {
        return;
    }
    let message = format!(
        "task folder `{}` has no {}",
        task.folder_name,
        missing
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    );
    // Report on the card when there is one, else on whichever package file exists.
    let anchor = task_anchor(workspace, task).or_else(|| {
        [task.ledger, task.context]
            .into_iter()
            .flatten()
            .next()
            .map(|file| (file, TextRange::empty(0)))
    });
    if let Some((file, range)) = anchor {
        out.push(Diagnostic::new(
            Rule::PackageFileMissing,
            file,
            range,
            message,
        ));
    }
}

fn check_names(workspace: &Workspace, task: &Task, out: &mut Vec<Diagnostic>) {
    let Some((card, range)) = task_anchor(workspace, task) else {
        return;
    };
    let folder_ok = task.slug.as_deref().is_some_and(|slug| !slug.is_empty());
    if !folder_ok {
        out.push(Diagnostic::new(
            Rule::PackageName,
            card,
            range,
            format!(
                "task folder `{}` should be named `TASK-{}-<slug>`",
                task.folder_name,
                task.id.short()
            ),
        ));
        return;
    }
    let card_name = file_name(&workspace.file(card).rel);
    let slug = task.slug.as_deref().unwrap_or_default();
    let expected = format!("{}-{slug}.task.md", task.id.short());
    let id_matches = parse_file_prefix(card_name)
        .is_some_and(|(id, _)| id.resolved_in(task.namespace()) == task.id);
    // A card whose name carries another ID is task-id-mismatch's business.
    if card_name != expected && id_matches {
        out.push(Diagnostic::new(
            Rule::PackageName,
            card,
            range,
            format!("card file `{card_name}` should be named `{expected}` to match its folder"),
        ));
    }
}

fn check_duplicates(workspace: &Workspace, me: TaskIdx, task: &Task, out: &mut Vec<Diagnostic>) {
    let Some(owners) = workspace.by_id.get(&task.id) else {
        return;
    };
    if owners.len() < 2 {
        return;
    }
    let Some((file, range)) = task_anchor(workspace, task) else {
        return;
    };
    let others: Vec<&Task> = owners
        .iter()
        .filter(|&&other| other != me)
        .map(|&other| workspace.task(other))
        .collect();
    let mut diagnostic = Diagnostic::new(
        Rule::DuplicateTaskId,
        file,
        range,
        format!(
            "{} is also used by {}; every task needs its own ID",
            task.id,
            others
                .iter()
                .map(|other| format!("`{}`", other.folder))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    for other in others {
        if let Some((other_file, other_range)) = task_anchor(workspace, other) {
            diagnostic = diagnostic.with_related(
                other_file,
                other_range,
                format!("{} is also declared here", task.id),
            );
        }
    }
    out.push(diagnostic);
}
