//! `query proposals`: every proposal still waiting for a decision, and for whom.

use serde_json::Value;

use crate::db::proposals::is_stale;
use crate::db::{TaskIdx, Workspace};
use crate::syntax::proposals::{Change, Proposal};

use super::drafts_file;

/// One line of `query proposals`: a proposal still waiting, and for whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// None for a task draft (the task does not exist yet).
    pub task: Option<TaskIdx>,
    pub root: usize,
    pub number: u32,
    pub proposed_by: String,
    /// What it would do: `start (next → current)`, `priority → P1`.
    pub summary: String,
    pub note: Option<String>,
    pub proposed_at: i64,
    pub stale: bool,
    /// Who decides: the task's DRI (a person), else anyone.
    pub waits_for: Option<String>,
}

/// Every pending proposal of the workspace, oldest first.
pub fn waiting(workspace: &Workspace) -> Vec<Waiting> {
    let mut out = Vec::new();
    for (index, task) in workspace.tasks.iter().enumerate() {
        let Some(proposals) = workspace.proposals(task) else {
            continue;
        };
        for proposal in proposals.pending() {
            out.push(Waiting {
                task: Some(TaskIdx(index as u32)),
                root: task.root,
                number: proposal.number,
                proposed_by: proposal.proposed_by.clone(),
                summary: summary(proposal),
                note: proposal.note.clone(),
                proposed_at: proposal.ts,
                stale: is_stale(workspace, task, proposal),
                waits_for: task.meta.current_dri.clone(),
            });
        }
    }
    for root in 0..workspace.roots.len() {
        let Some(file) = drafts_file(workspace, root) else {
            continue;
        };
        let crate::db::Parsed::Proposals(proposals) = &workspace.file(file).parsed else {
            continue;
        };
        for proposal in proposals.pending() {
            out.push(Waiting {
                task: None,
                root,
                number: proposal.number,
                proposed_by: proposal.proposed_by.clone(),
                summary: summary(proposal),
                note: proposal.note.clone(),
                proposed_at: proposal.ts,
                stale: false,
                waits_for: None,
            });
        }
    }
    out.sort_by_key(|waiting| {
        (
            waiting.proposed_at,
            waiting.root,
            waiting.task,
            waiting.number,
        )
    });
    out
}

/// What a proposal would do, in a few words.
pub fn summary(proposal: &Proposal) -> String {
    match &proposal.change {
        Change::Move { action } => {
            let route = match (
                proposal.record.get("from_stage").and_then(Value::as_str),
                proposal.record.get("to_stage").and_then(Value::as_str),
            ) {
                (Some(from), Some(to)) if from != to => format!(" ({from} → {to})"),
                _ => String::new(),
            };
            format!("{action}{route}")
        }
        Change::Edit { field, value } => match value {
            Value::String(text) => format!("{field} → {text}"),
            other => format!("{field} → {other}"),
        },
        Change::NewTask { name, namespace } => match namespace {
            Some(namespace) => format!("new task \"{name}\" in {namespace}"),
            None => format!("new task \"{name}\""),
        },
    }
}
