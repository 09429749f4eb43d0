//! Stage transitions (SPEC §5): which moves a task can take from its stage and status, why
//! the rules refuse one right now, and the plan of an allowed move as data.
//!
//! This is pure analysis. A plan names the ledger lines to append, the frontmatter values to
//! set and the stage folder to move to, for the task and for the tasks the move drags along
//! (a P0's displaced task, a canceled task's dependents); the module that performs a
//! transition turns it into file texts and writes them as a transaction.

mod interrupted;
mod moves;
mod rules;
#[cfg(test)]
mod tests;

use crate::db::vocab::Stage;
use crate::db::{TaskIdx, Workspace};
use crate::ide::types::Config;
use crate::syntax::task_id::{TaskId, parse_task_ref};

pub use interrupted::complete_interrupted;

/// One row of SPEC §5's table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Verify,
    Prioritize,
    Start,
    FastTrack,
    Complete,
    Rework,
    Integrate,
    Close,
    CloseWithoutLearning,
    Cancel,
    Block { on: TaskId },
    Unblock,
    Pause,
    Resume,
}

impl Action {
    /// The actions that take no argument, with their command-line names.
    const NAMED: [(&'static str, Action); 13] = [
        ("verify", Action::Verify),
        ("prioritize", Action::Prioritize),
        ("start", Action::Start),
        ("fast-track", Action::FastTrack),
        ("complete", Action::Complete),
        ("rework", Action::Rework),
        ("integrate", Action::Integrate),
        ("close", Action::Close),
        ("close-without-learning", Action::CloseWithoutLearning),
        ("cancel", Action::Cancel),
        ("unblock", Action::Unblock),
        ("pause", Action::Pause),
        ("resume", Action::Resume),
    ];

    /// The name scripts use (`flowos-lsp transition TASK-0042 start`) and that a code
    /// action carries back to the server: `start`, `fast-track`, `block:TASK-0012`.
    pub fn cli_name(&self) -> String {
        match self {
            Action::Block { on } => format!("block:{on}"),
            _ => Action::NAMED
                .iter()
                .find(|(_, action)| action == self)
                .map_or_else(String::new, |(name, _)| (*name).to_string()),
        }
    }

    /// The inverse of [`Action::cli_name`]. A blocker may be spelled any way a reference
    /// may (`block:0012`, `block:FW-0012`); an unqualified ID means `namespace`, the
    /// namespace of the task being blocked.
    pub fn parse(text: &str, namespace: Option<&str>) -> Option<Action> {
        let text = text.trim();
        if let Some(target) = text.strip_prefix("block:") {
            let (id, _) = parse_task_ref(target.trim())?;
            return Some(Action::Block {
                on: id.resolved_in(namespace),
            });
        }
        Action::NAMED
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, action)| action.clone())
    }

    /// A label for a menu: `Start TASK-0042 (next → current)`, `Block TASK-0042 on TASK-0012`.
    pub fn title(&self, workspace: &Workspace, task: TaskIdx) -> String {
        let task = workspace.task(task);
        let id = &task.id;
        let from = task.stage;
        let route = match self.destination(from) {
            Some(to) => format!("({from} → {to})"),
            None => format!("(stays in {from})"),
        };
        match self {
            Action::Verify => format!("Verify {id} {route}"),
            Action::Prioritize => format!("Prioritize {id} {route}"),
            Action::Start => format!("Start {id} {route}"),
            Action::FastTrack => format!("Fast-track {id} as P0 {route}"),
            Action::Complete => format!("Complete {id} {route}"),
            Action::Rework => format!("Rework {id} {route}"),
            Action::Integrate => format!("Integrate {id} {route}"),
            Action::Close => format!("Close {id} {route}"),
            Action::CloseWithoutLearning => format!("Close {id} without learning {route}"),
            Action::Cancel => format!("Cancel {id} {route}"),
            Action::Block { on } => format!("Block {id} on {on}"),
            Action::Unblock => format!("Unblock {id}"),
            Action::Pause => format!("Pause {id} {route}"),
            Action::Resume => format!("Resume {id} {route}"),
        }
    }

    /// The stage the action moves a task in `from` to; None when the task stays.
    pub fn destination(&self, from: Stage) -> Option<Stage> {
        match self {
            Action::Verify => Some(Stage::Backlog),
            Action::Prioritize | Action::Rework => Some(Stage::Next),
            Action::Start | Action::FastTrack => Some(Stage::Current),
            Action::Complete => Some(Stage::Integration),
            Action::Integrate => Some(Stage::Learning),
            Action::Close | Action::CloseWithoutLearning | Action::Cancel => Some(Stage::Archived),
            // WF-PAUSE: active work leaves current; a task waiting in backlog or next stays.
            Action::Pause => (from == Stage::Current).then_some(Stage::Next),
            Action::Block { .. } | Action::Unblock | Action::Resume => None,
        }
    }
}

/// A transition as a code action: enabled, or shown disabled with what stands in the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub action: Action,
    pub title: String,
    /// Why the rules forbid it right now (shown as a disabled code action).
    pub disabled: Option<String>,
}

/// What performing a transition writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub action: Action,
    pub title: String,
    /// The primary task first, then displaced or cascaded ones.
    pub tasks: Vec<TaskChange>,
}

/// One task's part of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskChange {
    pub task: TaskIdx,
    /// Complete ledger lines (no newline), rendered with `crate::db::events::event_line`.
    pub events: Vec<String>,
    /// Frontmatter values to set, in order.
    pub fields: Vec<(&'static str, FieldUpdate)>,
    /// The stage folder it moves to (None = stays).
    pub to_stage: Option<Stage>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldUpdate {
    /// Written as a quoted string.
    Set(String),
    /// Written as `null`.
    Clear,
}

/// The transitions valid from the task's stage and status (SPEC §5 "from → to"), each with
/// its blocking reason if any.
pub fn offers(workspace: &Workspace, task: TaskIdx, config: &Config) -> Vec<Offer> {
    rules::valid_actions(workspace, task)
        .into_iter()
        .map(|action| Offer {
            title: action.title(workspace, task),
            disabled: rules::refusal(workspace, task, &action, config),
            action,
        })
        .collect()
}

/// Re-validates and plans. Err(reason) when the rules forbid it (the same reason an offer
/// shows as `disabled`) or when the action is not valid from the task's stage and status.
pub fn plan(
    workspace: &Workspace,
    task: TaskIdx,
    action: &Action,
    config: &Config,
) -> Result<Plan, String> {
    rules::check_valid(workspace, task, action)?;
    if let Some(reason) = rules::refusal(workspace, task, action, config) {
        return Err(reason);
    }
    Ok(Plan {
        action: action.clone(),
        title: action.title(workspace, task),
        tasks: moves::changes(workspace, task, action, config),
    })
}
