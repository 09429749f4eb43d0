//! Proposals and the answers to them turned into disk transactions: recording a proposal
//! (the task's proposals file, and nothing else), recording a rejection, and an approval
//! (the change itself, as a transition or an edit would write it, plus the approval record).
//! Shared by the CLI (`propose`, `approve`, `reject`), the language server's commands and
//! the MCP server.

use std::path::Path;

use crate::db::proposals::proposals_path;
use crate::db::{FileId, TaskIdx, Workspace};
use crate::disk_plans::disk_plan;
use crate::ide::proposals::Approved;
use crate::recovery::intent_for;
use crate::transaction::{Append, Create, DiskPlan};

/// Appends `line` to the task's proposals file, creating it with the first proposal. Only
/// that one file is written.
pub fn record_plan(workspace: &Workspace, task: TaskIdx, line: &str) -> DiskPlan {
    let task = workspace.task(task);
    let root = workspace.roots[task.root].path.clone();
    let existing = task.proposals.filter(|&file| workspace.file(file).exists);
    let mut plan = DiskPlan {
        root,
        ..DiskPlan::default()
    };
    match existing {
        Some(file) => plan.appends.push(append(workspace, file, line)),
        None => plan.creates.push(Create {
            path: proposals_path(workspace, task),
            text: format!("{line}\n"),
        }),
    }
    plan
}

/// Appends a decision (a rejection) to proposals file `file`.
pub fn decision_plan(workspace: &Workspace, file: FileId, line: &str) -> DiskPlan {
    let root = &workspace.roots[workspace.file(file).root].path;
    DiskPlan {
        root: root.clone(),
        appends: vec![append(workspace, file, line)],
        ..DiskPlan::default()
    }
}

/// An approval: the change's projections, its intent record when it is a transition (so a
/// crash part way is finished like any transition), and the approval record appended to
/// the proposals file in the same commit step as the ledger lines.
pub fn approval_plan(workspace: &Workspace, task: TaskIdx, approved: &Approved) -> DiskPlan {
    let root: &Path = &workspace.roots[workspace.task(task).root].path;
    let mut disk = disk_plan(workspace, root, &approved.projected);
    if let Some(plan) = &approved.plan {
        disk.intent = Some(intent_for(workspace, root, plan, &approved.projected));
    }
    disk.appends.push(append(
        workspace,
        approved.proposals_file,
        &approved.decision,
    ));
    disk
}

/// An append that refuses when the file changed since the model read it.
fn append(workspace: &Workspace, file: FileId, line: &str) -> Append {
    let source = workspace.file(file);
    Append {
        path: source.path.clone(),
        expected: Some(source.text.to_string()),
        lines: vec![line.to_string()],
    }
}
