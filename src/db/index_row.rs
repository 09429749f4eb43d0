//! What a task's INDEX.md rows must say, read from its folder and card: the values
//! index-row-mismatch compares rows against, and the values a transition or a fix writes.

use crate::db::Task;
use crate::db::vocab::{Stage, Status};
use crate::syntax::task_id::TaskId;

/// What a task's index rows must say, read from its folder and card: the values
/// index-row-mismatch compares rows against, and the values a fix writes into them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedRow {
    /// The folder's stage (the card's `stage` has its own rule).
    pub stage: Stage,
    pub status: Option<Status>,
    pub name: Option<String>,
    pub dri: Option<String>,
    /// The card's `depends_on`, sorted and without repeats; None when the task has no card
    /// (then nothing is known about its dependencies).
    pub dependencies: Option<Vec<TaskId>>,
}

pub fn expected_row(task: &Task) -> ExpectedRow {
    let meta = &task.meta;
    let dependencies = task.card.map(|_| {
        let mut ids: Vec<TaskId> = meta.depends_on.iter().map(|item| item.id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    });
    ExpectedRow {
        stage: task.stage,
        status: meta.status(),
        name: meta.task_name.clone(),
        dri: meta.current_dri.clone(),
        dependencies,
    }
}

/// How a Dependencies cell shows a set of tasks: `TASK-0001, TASK-0002`, or `-` for none.
pub fn show_dependencies(ids: &[TaskId]) -> String {
    if ids.is_empty() {
        "-".to_string()
    } else {
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
