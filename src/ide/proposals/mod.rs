//! Agents propose, people approve (the worker contract): a proposal is validated exactly as
//! the change itself would be and recorded as a line of the task's proposals file; approving
//! it plans that very change as the approving person, its events naming both; rejecting it
//! records why. Pure: the records and plans are data, written by `crate::propose`.

use serde_json::{Map, Value, json};

use crate::db::proposals::{is_stale, task_version};
use crate::db::{FileId, TaskIdx, Workspace};
use crate::ide::projection::project;
use crate::ide::source_change::{FileChange, SourceChange, minimal_edit};
use crate::ide::transitions::{self, Action, Plan};
use crate::ide::types::Config;
use crate::syntax::proposals::{
    APPROVAL, Change, EDIT_PROPOSAL, MOVE_PROPOSAL, Proposal, Proposals, REJECTION,
};
use crate::syntax::time::format_rfc3339;

mod drafts;
mod edit;
mod waiting;

pub use drafts::{
    DRAFTS_FILE, PendingDraft, draft, draft_approval, draft_approver, drafts_file, pending_draft,
    reject_draft,
};
pub use edit::edit_projection;
use edit::plan_edit;
pub use waiting::{Waiting, summary, waiting};

/// What an agent proposes.
#[derive(Clone, Debug, PartialEq)]
pub enum Proposed {
    /// A stage transition, by its command-line name (`start`, `block:TASK-0012`).
    Move(String),
    /// Set one frontmatter field (priority, effort_estimate: a string; depends_on: a list).
    Edit { field: String, value: Value },
}

/// Why a proposal, an approval or a rejection is refused, shaped as the worker contract's
/// error types (`validation_failed`, `dependency_unmet`) so an agent reads it the same way
/// whichever edge it came through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `validation_failed` or `dependency_unmet`.
    pub error: &'static str,
    pub task_id: String,
    /// The check that failed (`transition_rules`, `action`, `value`, `stale`, …).
    pub check: &'static str,
    pub reason: String,
    pub remediation: String,
    /// For `dependency_unmet`: the task that is not there.
    pub missing_dependency: Option<String>,
}

impl Refusal {
    fn validation(task: &str, check: &'static str, reason: String, remediation: &str) -> Refused {
        Box::new(Refusal {
            error: "validation_failed",
            task_id: task.to_string(),
            check,
            reason,
            remediation: remediation.to_string(),
            missing_dependency: None,
        })
    }

    /// The contract's error record.
    pub fn to_json(&self) -> Value {
        let mut record = json!({
            "error": self.error,
            "task_id": self.task_id,
            "check": self.check,
            "reason": self.reason,
            "remediation": self.remediation,
        });
        if let Some(missing) = &self.missing_dependency {
            record["missing_dependency"] = Value::from(missing.as_str());
        }
        record
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.error, self.check, self.reason)
    }
}

/// A refusal, boxed: results carry it on the rare path only.
pub type Refused = Box<Refusal>;

/// A proposal ready to be appended to the task's proposals file.
#[derive(Clone, Debug, PartialEq)]
pub struct NewProposal {
    pub task: TaskIdx,
    pub number: u32,
    /// The record as one JSON line (no newline).
    pub line: String,
    /// The record as a value, for answering the agent.
    pub record: Value,
}

/// Validates `proposed` as the change itself would be validated (a move by the transition
/// rules, with the proposer as the actor; an edit by the field's allowed values) and builds
/// its record: the contract's `move_proposal` fields plus what approving needs later.
pub fn propose(
    workspace: &Workspace,
    task_idx: TaskIdx,
    proposed: &Proposed,
    by: &str,
    note: Option<&str>,
    requires_human_approval: bool,
    config: &Config,
) -> Result<NewProposal, Refused> {
    let task = workspace.task(task_idx);
    let id = task.id.to_string();
    if by.trim().is_empty() {
        return Err(Refusal::validation(
            &id,
            "proposer",
            "a proposal names who proposes it".into(),
            "pass --by with the agent's name",
        ));
    }
    let number = workspace
        .proposals(task)
        .map_or(1, |proposals| proposals.next_number());
    let mut record = Map::new();
    let mut put = |key: &str, value: Value| {
        record.insert(key.to_string(), value);
    };
    match proposed {
        Proposed::Move(name) => {
            let action = Action::parse(name, task.namespace()).ok_or_else(|| {
                Refusal::validation(
                    &id,
                    "action",
                    format!("unknown action `{name}`"),
                    "use one of the transitions `flowos-lsp transition <ID> list` prints",
                )
            })?;
            let as_proposer = Config {
                user: Some(by.to_string()),
                ..config.clone()
            };
            let plan = transitions::plan(workspace, task_idx, &action, &as_proposer).map_err(
                |reason| {
                    Refusal::validation(
                        &id,
                        "transition_rules",
                        reason,
                        "deal with what stands in the way, then propose again",
                    )
                },
            )?;
            let to = action.destination(task.stage).unwrap_or(task.stage);
            put("type", MOVE_PROPOSAL.into());
            put("proposal", number.into());
            put("ts", format_rfc3339(config.now).into());
            put("proposed_by", by.into());
            put("task_id", id.clone().into());
            put("action", action.cli_name().into());
            put("title", plan.title.clone().into());
            put("from_stage", task.stage.name().into());
            put("to_stage", to.name().into());
            put("validation_result", "pass".into());
            put("proposed_events", proposed_events(&plan).into());
            put("checklist", checklist(workspace, task_idx).into());
        }
        Proposed::Edit { field, value } => {
            let edit = plan_edit(workspace, task_idx, field, value, by, config)?;
            let card = workspace
                .task(task_idx)
                .card
                .expect("an edit plan has a card");
            let card_file = workspace.file(card);
            let exact = minimal_edit(&card_file.text, &edit.field_text).map(|edit| {
                json!({
                    "file": card_file.rel,
                    "start": edit.range.start,
                    "end": edit.range.end,
                    "old_text": edit.range.slice(&card_file.text),
                    "new_text": edit.insert,
                })
            });
            put("type", EDIT_PROPOSAL.into());
            put("proposal", number.into());
            put("ts", format_rfc3339(config.now).into());
            put("proposed_by", by.into());
            put("task_id", id.clone().into());
            put("field", field.as_str().into());
            put("value", value.clone());
            put("previous", edit.previous.clone());
            put("edit", exact.unwrap_or(Value::Null));
            put("validation_result", "pass".into());
            put(
                "proposed_events",
                vec![without_stamp(&edit.event)]
                    .into_iter()
                    .collect::<Value>(),
            );
        }
    }
    put("requires_human_approval", requires_human_approval.into());
    if let Some(note) = note.filter(|note| !note.trim().is_empty()) {
        put("note", note.into());
    }
    put("task_version", task_version(workspace, task).into());
    let record = Value::Object(record);
    Ok(NewProposal {
        task: task_idx,
        number,
        line: record.to_string(),
        record,
    })
}

/// The planned event lines without `ts` and `user`, which approval stamps.
fn proposed_events(plan: &Plan) -> Vec<Value> {
    plan.tasks
        .iter()
        .flat_map(|change| &change.events)
        .map(|line| without_stamp(line))
        .collect()
}

fn without_stamp(line: &str) -> Value {
    let mut value: Value = serde_json::from_str(line).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.remove("ts");
        fields.remove("user");
    }
    value
}

/// The card's Acceptance Criteria checklist, as the contract's `{item, checked}` pairs.
fn checklist(workspace: &Workspace, task: TaskIdx) -> Vec<Value> {
    let task = workspace.task(task);
    let Some(card) = workspace.card(task) else {
        return Vec::new();
    };
    let text = &workspace
        .file(task.card.expect("a parsed card has a file"))
        .text;
    card.acceptance_items
        .iter()
        .map(|item| {
            let written = item.range.slice(text);
            // `- [ ] it works` → `it works`.
            let label = written
                .split_once(']')
                .map_or(written, |(_, rest)| rest)
                .trim();
            json!({ "item": label, "checked": item.checked })
        })
        .collect()
}

/// What approving a proposal writes: the change's projections (ledger lines, card, index
/// rows, folder moves) and the approval record for the proposals file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approved {
    pub title: String,
    /// The transition's plan (None for an edit), for the record that lets a crash part way
    /// be finished.
    pub plan: Option<Plan>,
    pub projected: SourceChange,
    pub proposals_file: FileId,
    /// The proposal approved.
    pub proposal: u32,
    /// The approval record (one JSON line).
    pub decision: String,
    /// For an edit: what it sets, so that a crash after its ledger line can be finished.
    pub edit: Option<ApprovedEdit>,
}

/// An approved frontmatter edit as its intent record keeps it (see [`edit_projection`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedEdit {
    pub field: String,
    pub value: Value,
    /// The `last_updated` date the card gets.
    pub date: String,
}

/// The pending proposal `number` of the task (the only pending one when None).
pub fn pending_proposal(
    workspace: &Workspace,
    task_idx: TaskIdx,
    number: Option<u32>,
) -> Result<&Proposal, Refused> {
    let task = workspace.task(task_idx);
    let id = task.id.to_string();
    let proposals = workspace.proposals(task).ok_or_else(|| {
        Refusal::validation(
            &id,
            "proposal",
            format!("{id} has no proposals"),
            "list them with `query proposals`",
        )
    })?;
    pending_in(proposals, &id, number)
}

/// The pending proposal `number` of a proposals file (the only pending one when None);
/// `id` names what it is about in refusals.
fn pending_in<'p>(
    proposals: &'p Proposals,
    id: &str,
    number: Option<u32>,
) -> Result<&'p Proposal, Refused> {
    let none = |reason: String| {
        Refusal::validation(id, "proposal", reason, "list them with `query proposals`")
    };
    let proposal = match number {
        Some(number) => proposals
            .get(number)
            .ok_or_else(|| none(format!("{id} has no proposal {number}")))?,
        None => {
            let pending: Vec<&Proposal> = proposals.pending().collect();
            match pending.as_slice() {
                [one] => *one,
                [] => return Err(none(format!("{id} has no pending proposal"))),
                more => {
                    return Err(none(format!(
                        "{id} has {} pending proposals; name one with --proposal N ({})",
                        more.len(),
                        more.iter()
                            .map(|p| p.number.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
    };
    if let Some(decision) = &proposal.decision {
        return Err(none(format!(
            "proposal {} was already {} by {}",
            proposal.number,
            if decision.approved {
                "approved"
            } else {
                "rejected"
            },
            decision.by
        )));
    }
    Ok(proposal)
}

/// Plans approving a pending proposal as `config.user`: re-validated now, refused when the
/// task changed since it was proposed; its events carry `proposed_by` and `approved_by`.
pub fn approve(
    workspace: &Workspace,
    task_idx: TaskIdx,
    number: Option<u32>,
    config: &Config,
) -> Result<Approved, Refused> {
    let task = workspace.task(task_idx);
    let id = task.id.to_string();
    let proposal = pending_proposal(workspace, task_idx, number)?;
    let approver = approver(config, &id, &proposal.proposed_by)?;
    if is_stale(workspace, task, proposal) {
        return Err(Refusal::validation(
            &id,
            "stale",
            format!(
                "{id} changed since proposal {} was made; it cannot be approved as it stands",
                proposal.number
            ),
            "reject it and have the agent propose again",
        ));
    }
    let both = |line: &str| with_names(line, &proposal.proposed_by, &approver);
    let mut edit = None;
    let (title, plan, projected) = match &proposal.change {
        Change::Move { action } => {
            let action = Action::parse(action, task.namespace()).ok_or_else(|| {
                Refusal::validation(
                    &id,
                    "action",
                    format!("unknown action `{action}`"),
                    "reject it",
                )
            })?;
            let mut plan =
                transitions::plan(workspace, task_idx, &action, config).map_err(|reason| {
                    Refusal::validation(
                        &id,
                        "transition_rules",
                        reason,
                        "reject it, or deal with what stands in the way",
                    )
                })?;
            for change in &mut plan.tasks {
                for line in &mut change.events {
                    *line = both(line);
                }
            }
            let projected = project(workspace, &plan.tasks).map_err(|reason| {
                Refusal::validation(&id, "package_complete", reason, "fix the package first")
            })?;
            (plan.title.clone(), Some(plan), projected)
        }
        Change::NewTask { .. } => {
            return Err(Refusal::validation(
                &id,
                "proposal",
                "a task draft does not belong in a task's proposals file".into(),
                "reject it",
            ));
        }
        Change::Edit { field, value } => {
            let planned = plan_edit(workspace, task_idx, field, value, &approver, config)?;
            let card = task.card.expect("an edit plan has a card");
            let ledger = task.ledger.expect("an edit plan has a ledger");
            let rewrite = |(file, text): (FileId, String)| {
                FileChange::rewrite(file, &workspace.file(file).text, &text)
            };
            let mut projected = SourceChange {
                changes: vec![FileChange::Append {
                    file: ledger,
                    lines: vec![both(&planned.event)],
                }],
            };
            let rewritten = std::iter::once((card, planned.card_text)).chain(planned.indexes);
            projected.changes.extend(rewritten.filter_map(rewrite));
            edit = Some(ApprovedEdit {
                field: field.clone(),
                value: value.clone(),
                date: format_rfc3339(config.now)[..10].to_string(),
            });
            (format!("Set {field} of {id} to {value}"), None, projected)
        }
    };
    let proposals_file = task.proposals.expect("a pending proposal has a file");
    let decision = json!({
        "type": APPROVAL,
        "proposal": proposal.number,
        "ts": format_rfc3339(config.now),
        "approved_by": approver,
    })
    .to_string();
    Ok(Approved {
        title,
        plan,
        projected,
        proposals_file,
        proposal: proposal.number,
        decision,
        edit,
    })
}

/// Who approves a proposal made by `proposed_by`: `config.user`, refused when unset or when it
/// is the proposer itself; `id` names what it is about in refusals.
fn approver(config: &Config, id: &str, proposed_by: &str) -> Result<String, Refused> {
    let approver = decider(
        config,
        id,
        "approving needs the approving person (--user or FLOWOS_USER)",
        "say who approves",
    )?;
    if approver == proposed_by {
        return Err(Refusal::validation(
            id,
            "approver",
            format!("{approver} proposed it and cannot also approve it"),
            "a person other than the proposer approves",
        ));
    }
    Ok(approver)
}

/// The person deciding, `config.user`; refused with `reason` and `remediation` when unset.
fn decider(config: &Config, id: &str, reason: &str, remediation: &str) -> Result<String, Refused> {
    config
        .user
        .clone()
        .filter(|user| !user.trim().is_empty())
        .ok_or_else(|| Refusal::validation(id, "approver", reason.into(), remediation))
}

/// The rejection record of a pending proposal, by `config.user`, with `reason`.
pub fn reject(
    workspace: &Workspace,
    task_idx: TaskIdx,
    number: Option<u32>,
    reason: &str,
    config: &Config,
) -> Result<(FileId, String), Refused> {
    let task = workspace.task(task_idx);
    let id = task.id.to_string();
    let proposal = pending_proposal(workspace, task_idx, number)?;
    let line = rejection(proposal, &id, reason, config)?;
    Ok((task.proposals.expect("a pending proposal has a file"), line))
}

/// The rejection record of `proposal` by `config.user`; `id` names what it is about.
fn rejection(
    proposal: &Proposal,
    id: &str,
    reason: &str,
    config: &Config,
) -> Result<String, Refused> {
    let by = decider(
        config,
        id,
        "rejecting needs the person who rejects (--user or FLOWOS_USER)",
        "say who rejects",
    )?;
    if reason.trim().is_empty() {
        return Err(Refusal::validation(
            id,
            "reason",
            "a rejection says why".into(),
            "give a reason",
        ));
    }
    Ok(json!({
        "type": REJECTION,
        "proposal": proposal.number,
        "ts": format_rfc3339(config.now),
        "rejected_by": by,
        "reason": reason.trim(),
    })
    .to_string())
}

/// Every line of ledger text `text` (the planner's own lines, each ending in a newline)
/// with `proposed_by` and `approved_by` added: a task created from an approved draft.
pub fn with_names_in(text: &str, proposed_by: &str, approved_by: &str) -> String {
    text.lines()
        .map(|line| with_names(line, proposed_by, approved_by) + "\n")
        .collect()
}

/// An event line with `proposed_by` and `approved_by` added at its end. The lines are the
/// planner's own (`event_line`: one JSON object), so the fields go before its closing brace.
fn with_names(line: &str, proposed_by: &str, approved_by: &str) -> String {
    let body = line.strip_suffix('}').unwrap_or(line);
    format!(
        "{body},\"proposed_by\":{},\"approved_by\":{}}}",
        Value::from(proposed_by),
        Value::from(approved_by)
    )
}
