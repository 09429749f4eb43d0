//! How the features speak of a task in their text (hover, code lens, inlay hints, document
//! links, symbols): its name, its state label, the tasks depending on it, the task a card
//! belongs to, hours and counts as people read them, and its SLO in its stage.

use crate::db::mentions::MentionKind;
use crate::db::slo::{duration, slo_policy, task_slo};
use crate::db::{FileId, Task, Workspace};
use crate::syntax::wip_policy::WipPolicy;

/// Hours as `2d 16h`, rounded to the hour (`0h` for none).
pub fn hours_text(hours: f64) -> String {
    duration(hours.round() as i64)
}

/// `SLO 7d` or `over SLO 7d` for a task `hours` into its stage; None when the task is not
/// measured against an SLO (the rules of `slo-exceeded`).
pub fn slo_part(workspace: &Workspace, task: &Task, hours: i64) -> Option<String> {
    let defaults = WipPolicy::defaults();
    let policy = slo_policy(workspace, task.root, &defaults);
    let slo = task_slo(task, policy)?;
    let over = if hours > slo.target { "over " } else { "" };
    Some(format!("{over}SLO {}", duration(slo.target)))
}

/// The tasks whose card lists `task` in `depends_on`, each once, found through the mention
/// index.
pub fn dependents<'w>(workspace: &'w Workspace, task: &Task) -> Vec<&'w Task> {
    let mut files: Vec<FileId> = workspace
        .mentions_of(task.root, &task.id)
        .filter(|&(_, _, kind)| kind == MentionKind::Field("depends_on"))
        .map(|(file, _, _)| file)
        .collect();
    files.dedup();
    files
        .into_iter()
        .filter_map(|file| task_of_card(workspace, file))
        .collect()
}

/// The task whose card `file` is (not a stray second card in its folder, nor a history
/// version), through the model's file-to-task index.
pub fn task_of_card(workspace: &Workspace, file: FileId) -> Option<&Task> {
    workspace
        .task_of_file(file)
        .filter(|task| task.card == Some(file))
}

/// `current·blocked` (just the stage when the card's status is unreadable).
pub fn state_label(task: &Task) -> String {
    match task.meta.status() {
        Some(status) => format!("{}·{}", task.stage, status),
        None => task.stage.to_string(),
    }
}

/// The task's name from its card, else the folder's slug.
pub fn task_name(task: &Task) -> Option<&str> {
    task.meta
        .task_name
        .as_deref()
        .or(task.slug.as_deref())
        .filter(|name| !name.is_empty())
}

/// `1 dependent`, `3 dependents`, `no dependents`.
pub fn count(n: usize, noun: &str) -> String {
    match n {
        0 => format!("no {noun}s"),
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}
