//! Proposals and the answers to them turned into disk transactions: recording a proposal
//! (the task's proposals file, and nothing else), recording a rejection, and an approval
//! (the change itself, as a transition or an edit would write it, plus the approval record).
//! Shared by the CLI (`propose`, `approve`, `reject`), the language server's commands and
//! the MCP server.

use std::path::Path;

use crate::apply::{Created, DraftApproval, NotCreated, create_task_approving};
use crate::db::proposals::proposals_path;
use crate::db::{FileId, TaskIdx, Workspace};
use crate::disk_plans::disk_plan;
use crate::ide::proposals::{Approved, draft_approval, draft_approver, pending_draft};
use crate::ide::types::Config;
use crate::recovery::approval_intent;
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

/// An approval: the change's projections and the approval line, appended to the proposals
/// file in the commit step right after the ledger lines, under one intent record that
/// promises both (a transition's record, or an edit's), so a crash part way is finished
/// whole by recovery, the approval line included, or not begun.
pub fn approval_plan(workspace: &Workspace, task: TaskIdx, approved: &Approved) -> DiskPlan {
    let root: &Path = &workspace.roots[workspace.task(task).root].path;
    let mut disk = disk_plan(workspace, root, &approved.projected);
    disk.intent = Some(approval_intent(workspace, root, task, approved));
    disk.appends.push(append(
        workspace,
        approved.proposals_file,
        &approved.decision,
    ));
    disk
}

/// Approves task draft `number` of tasks root `root` (the only pending one when None) as
/// `config.user`: the task created as `new` creates it (WF1), its events naming the agent
/// that proposed it and the approving person, and the approval line, naming the new task,
/// appended to the drafts file in the same transaction (its intent record promises both).
/// Run recovery first, as before any creation.
pub fn approve_draft(
    workspace: &Workspace,
    root: usize,
    number: Option<u32>,
    config: &Config,
) -> Result<(String, Created), NotCreated> {
    let refused = |refusal: Box<crate::ide::proposals::Refusal>| NotCreated::from(refusal.reason);
    let draft = pending_draft(workspace, root, number).map_err(refused)?;
    let approver = draft_approver(&draft, config).map_err(refused)?;
    let decision = |id: &crate::syntax::task_id::TaskId| {
        draft_approval(draft.number, id, &approver, config.now)
    };
    let approval = DraftApproval {
        file: draft.file,
        proposal: draft.number,
        proposed_by: &draft.proposed_by,
        decision: &decision,
    };
    let approving = Config {
        user: Some(approver.clone()),
        ..config.clone()
    };
    let created = create_task_approving(
        workspace,
        root,
        &draft.name,
        draft.namespace.as_deref(),
        &approving,
        Some(&approval),
    )?;
    Ok((draft.name.clone(), created))
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
