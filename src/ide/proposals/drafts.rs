//! Task drafts (`new_task_draft`): a proposal to create a task, kept in the tasks root's
//! drafts file until a person approves it (the task is created then, its ID reserved only
//! then) or rejects it.

use serde_json::{Value, json};

use crate::db::{FileId, Workspace};
use crate::ide::types::Config;
use crate::syntax::proposals::{APPROVAL, Change};
use crate::syntax::task_id::TaskId;
use crate::syntax::time::format_rfc3339;

use super::{Refusal, Refused, approver, pending_in, rejection};

/// A pending task draft of tasks root `root`: its file, number, name and namespace.
pub struct PendingDraft {
    pub file: FileId,
    pub number: u32,
    pub proposed_by: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// The pending draft `number` of the root's drafts file (the only pending one when None).
pub fn pending_draft(
    workspace: &Workspace,
    root: usize,
    number: Option<u32>,
) -> Result<PendingDraft, Refused> {
    let none = || {
        Refusal::validation(
            "",
            "proposal",
            "this tasks root has no task drafts".into(),
            "list them with `query proposals`",
        )
    };
    let file = drafts_file(workspace, root).ok_or_else(none)?;
    let crate::db::Parsed::Proposals(proposals) = &workspace.file(file).parsed else {
        return Err(none());
    };
    let draft = pending_in(proposals, "the task drafts", number)?;
    let Change::NewTask { name, namespace } = &draft.change else {
        return Err(Refusal::validation(
            "",
            "proposal",
            format!("draft {} is not a new task", draft.number),
            "reject it",
        ));
    };
    Ok(PendingDraft {
        file,
        number: draft.number,
        proposed_by: draft.proposed_by.clone(),
        name: name.clone(),
        namespace: namespace.clone(),
    })
}

/// The rejection record of draft `draft` by `config.user`, with `reason`.
pub fn reject_draft(
    workspace: &Workspace,
    draft: &PendingDraft,
    reason: &str,
    config: &Config,
) -> Result<String, Refused> {
    let crate::db::Parsed::Proposals(proposals) = &workspace.file(draft.file).parsed else {
        return Err(Refusal::validation(
            "",
            "proposal",
            "no drafts file".into(),
            "try again",
        ));
    };
    let proposal = pending_in(proposals, "the task drafts", Some(draft.number))?;
    rejection(proposal, "the task drafts", reason, config)
}

/// Who approves draft `draft`: `config.user`, refused when unset or when it is the agent
/// that proposed it.
pub fn draft_approver(draft: &PendingDraft, config: &Config) -> Result<String, Refused> {
    approver(config, "the task drafts", &draft.proposed_by)
}

/// The approval record of draft `number` by `approver` at `now`, naming the task it became.
pub fn draft_approval(number: u32, created: &TaskId, approver: &str, now: i64) -> String {
    json!({
        "type": APPROVAL,
        "proposal": number,
        "ts": format_rfc3339(now),
        "approved_by": approver,
        "task_id": created.to_string(),
    })
    .to_string()
}

pub use crate::db::proposals::{DRAFTS_FILE, drafts_file};

/// A proposal to create a task named `name` (WF1), as its record for the root's drafts file.
/// Nothing is reserved: the ID is taken when a person approves it.
pub fn draft(
    workspace: &Workspace,
    root: usize,
    name: &str,
    namespace: Option<&str>,
    by: &str,
    note: Option<&str>,
    config: &Config,
) -> Result<(u32, Value), Refused> {
    let refuse = |check, reason: String| {
        Refusal::validation(
            "",
            check,
            reason,
            "give the task a name and the agent's name",
        )
    };
    if name.trim().is_empty() {
        return Err(refuse("name", "a new task needs a name".into()));
    }
    if by.trim().is_empty() {
        return Err(refuse(
            "proposer",
            "a proposal names who proposes it".into(),
        ));
    }
    crate::ide::new_task::placement(workspace, root, namespace)
        .map_err(|reason| refuse("namespace", reason))?;
    let number = drafts_file(workspace, root)
        .and_then(|file| match &workspace.file(file).parsed {
            crate::db::Parsed::Proposals(proposals) => Some(proposals.next_number()),
            _ => None,
        })
        .unwrap_or(1);
    let mut record = json!({
        "type": crate::syntax::proposals::TASK_DRAFT,
        "proposal": number,
        "ts": format_rfc3339(config.now),
        "proposed_by": by.trim(),
        "name": name.trim(),
        "requires_human_approval": true,
    });
    if let Some(namespace) = namespace {
        record["namespace"] = Value::from(namespace);
    }
    if let Some(note) = note.filter(|note| !note.trim().is_empty()) {
        record["note"] = Value::from(note);
    }
    Ok((number, record))
}
