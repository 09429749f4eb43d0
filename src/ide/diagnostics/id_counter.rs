//! id-counter-stale: each ID counter must exist, hold a number, and exceed every ID in use in
//! its scope (the repository-wide counter, or a namespace's own counter).

use std::collections::BTreeMap;

use crate::base::TextRange;
use crate::db::{CounterFile, FileId, Task, Workspace};
use crate::ide::diagnostics::task_anchor;
use crate::ide::types::{Diagnostic, Rule};

pub(super) fn check(workspace: &Workspace, out: &mut Vec<Diagnostic>) {
    for root in &workspace.roots {
        let counter_for = |namespace: Option<&str>| -> Option<&CounterFile> {
            namespace
                .and_then(|ns| {
                    root.counters
                        .iter()
                        .find(|counter| counter.namespace.as_deref() == Some(ns))
                })
                .or_else(|| {
                    root.counters
                        .iter()
                        .find(|counter| counter.namespace.is_none())
                })
        };
        // The highest ID each counter must exceed, with the task that holds it.
        let mut highest: BTreeMap<Option<FileId>, &Task> = BTreeMap::new();
        for &idx in &root.tasks {
            let task = workspace.task(idx);
            let key = counter_for(task.namespace()).map(|counter| counter.file);
            let entry = highest.entry(key).or_insert(task);
            if task.id.number > entry.id.number {
                *entry = task;
            }
        }
        if root.counters.is_empty() {
            let next = highest
                .values()
                .map(|task| task.id.number + 1)
                .max()
                .unwrap_or(1);
            // The model registers a placeholder file where the counter should be.
            if let Some(file) = workspace.file_by_path(&root.path.join("ID_COUNTER.txt")) {
                out.push(missing(file, next));
            }
            continue;
        }
        for counter in &root.counters {
            let top = highest.get(&Some(counter.file)).copied();
            check_counter(workspace, counter, top, out);
        }
    }
}

fn missing(file: FileId, next: u32) -> Diagnostic {
    Diagnostic::new(
        Rule::IdCounterStale,
        file,
        TextRange::empty(0),
        format!("ID_COUNTER.txt is missing; create it holding the next free ID, {next:04}"),
    )
}

fn check_counter(
    workspace: &Workspace,
    counter: &CounterFile,
    top: Option<&Task>,
    out: &mut Vec<Diagnostic>,
) {
    let file = workspace.file(counter.file);
    let text = file.text.trim();
    let start = file.text.len() - file.text.trim_start().len();
    let range = TextRange::new(start, start + text.len());
    let name = crate::db::layout::file_name(&file.rel);
    let Ok(next) = text.parse::<u32>() else {
        let next = top.map_or(1, |task| task.id.number + 1);
        out.push(Diagnostic::new(
            Rule::IdCounterStale,
            counter.file,
            range,
            format!(
                "{name} should hold the next free ID as a number such as {next:04}, found `{}`",
                text.chars().take(40).collect::<String>()
            ),
        ));
        return;
    };
    let Some(task) = top else {
        return;
    };
    if next <= task.id.number {
        let mut diagnostic = Diagnostic::new(
            Rule::IdCounterStale,
            counter.file,
            range,
            format!(
                "{name} says the next ID is {next:04}, but {} is already in use; set it to {:04}",
                task.id,
                task.id.number + 1
            ),
        );
        if let Some((card, anchor)) = task_anchor(workspace, task) {
            diagnostic =
                diagnostic.with_related(card, anchor, format!("{} is in use here", task.id));
        }
        out.push(diagnostic);
    }
}
