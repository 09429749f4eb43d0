//! Agents propose, people approve (the worker contract): a proposal is validated exactly as
//! the change itself would be and recorded as a line of the task's proposals file; approving
//! it plans that very change as the approving person, its events naming both; rejecting it
//! records why. Pure: the records and plans are data, written by `crate::propose`.

use serde_json::{Map, Value, json};

use crate::db::events::event_line;
use crate::db::proposals::{is_stale, task_version};
use crate::db::vocab::{EFFORTS, PRIORITIES};
use crate::db::{FileId, TaskIdx, Workspace};
use crate::ide::edit::frontmatter::{NewValue, add_list_item, remove_list_item, set_field};
use crate::ide::edit::index_rows::{Linking, RowValues, placed, render_row, replace_row};
use crate::ide::projection::project;
use crate::ide::source_change::{FileChange, SourceChange, minimal_edit};
use crate::ide::transitions::{self, Action, Plan};
use crate::ide::types::Config;
use crate::syntax::index_table::parse_index;
use crate::syntax::proposals::{
    APPROVAL, Change, EDIT_PROPOSAL, EDITABLE_FIELDS, MOVE_PROPOSAL, Proposal, Proposals, REJECTION,
};
use crate::syntax::task_id::{TaskId, parse_task_ref};
use crate::syntax::time::format_rfc3339;

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

/// A frontmatter edit as a plan: the card's new text, the index rows it changes, and the
/// event recording it.
struct EditPlan {
    /// The card with only the field changed: the exact edit a proposal records.
    field_text: String,
    /// The card as approval writes it: the field changed and `last_updated` stamped.
    card_text: String,
    indexes: Vec<(FileId, String)>,
    event: String,
    previous: Value,
}

fn plan_edit(
    workspace: &Workspace,
    task_idx: TaskIdx,
    field: &str,
    value: &Value,
    user: &str,
    config: &Config,
) -> Result<EditPlan, Refused> {
    let task = workspace.task(task_idx);
    let id = task.id.to_string();
    let invalid = |reason: String| {
        Refusal::validation(&id, "value", reason, "propose one of the allowed values")
    };
    if !EDITABLE_FIELDS.contains(&field) {
        return Err(Refusal::validation(
            &id,
            "field",
            format!(
                "`{field}` is not a field agents may propose to change ({})",
                EDITABLE_FIELDS.join(", ")
            ),
            "propose a move or an edit of priority, effort_estimate or depends_on",
        ));
    }
    let card = task
        .card
        .filter(|&file| workspace.file(file).exists && workspace.fields_known(task))
        .ok_or_else(|| {
            Refusal::validation(
                &id,
                "package_complete",
                format!("{id} has no readable card to edit"),
                "fix the card's frontmatter first",
            )
        })?;
    if task
        .ledger
        .is_none_or(|ledger| !workspace.file(ledger).exists)
    {
        return Err(Refusal::validation(
            &id,
            "package_complete",
            format!("{id} has no ledger to record the edit in"),
            "create the ledger first (`flowos-lsp check --fix`)",
        ));
    }
    let old = workspace.file(card).text.to_string();
    let meta = &task.meta;
    let (card_text, previous, event_name, desc, dependencies) = match field {
        "priority" | "effort_estimate" => {
            let allowed: &[&str] = if field == "priority" {
                &PRIORITIES
            } else {
                &EFFORTS
            };
            let new = value
                .as_str()
                .map(str::trim)
                .filter(|new| allowed.contains(new))
                .ok_or_else(|| {
                    invalid(format!(
                        "{field} must be one of {}, not {value}",
                        allowed.join(", ")
                    ))
                })?;
            let current = if field == "priority" {
                &meta.priority
            } else {
                &meta.effort
            };
            if current.as_deref() == Some(new) {
                return Err(invalid(format!("{field} is already {new}")));
            }
            let text = set_field(&old, field, &NewValue::Str(new));
            let event = match (field, current) {
                ("priority", None) => "priority_set",
                ("priority", Some(_)) => "priority_changed",
                _ => "effort_estimated",
            };
            let was = current.as_deref().unwrap_or("none");
            (
                text,
                current.clone().map_or(Value::Null, Value::from),
                event,
                format!("{field} set to {new} (was {was})"),
                None,
            )
        }
        _ => {
            let items = value
                .as_array()
                .ok_or_else(|| invalid("depends_on takes a list of task IDs".into()))?;
            let mut wanted: Vec<TaskId> = Vec::new();
            for item in items {
                let spelled = item.as_str().unwrap_or_default();
                let (target, _) = parse_task_ref(spelled.trim())
                    .ok_or_else(|| invalid(format!("`{item}` is not a task ID")))?;
                let target = target.resolved_in(task.namespace());
                if target == task.id {
                    return Err(invalid(format!("{id} cannot depend on itself")));
                }
                if workspace.lookup_in(task.root, &target).is_none() {
                    return Err(Box::new(Refusal {
                        error: "dependency_unmet",
                        task_id: id.clone(),
                        check: "dependencies_exist",
                        reason: format!("no task {target} in this tasks root"),
                        remediation: "propose only tasks that exist".to_string(),
                        missing_dependency: Some(target.to_string()),
                    }));
                }
                if !wanted.contains(&target) {
                    wanted.push(target);
                }
            }
            let current: Vec<TaskId> = meta.depends_on.iter().map(|item| item.id.clone()).collect();
            if current == wanted {
                return Err(invalid("depends_on already lists exactly these".into()));
            }
            let mut text = Some(old.clone());
            // Drop what goes (last first, so earlier indexes hold), then add what is new.
            for (at, item) in current.iter().enumerate().rev() {
                if !wanted.contains(item) {
                    text = text.and_then(|text| remove_list_item(&text, field, at));
                }
            }
            for item in &wanted {
                if !current.contains(item) {
                    text = text.and_then(|text| add_list_item(&text, field, &item.to_string()));
                }
            }
            let names = |ids: &[TaskId]| {
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            (
                text,
                current
                    .iter()
                    .map(|id| Value::from(id.to_string()))
                    .collect(),
                "dependency_updated",
                format!(
                    "depends_on set to {} (was {})",
                    names(&wanted),
                    names(&current)
                ),
                Some(wanted),
            )
        }
    };
    let stamp = format_rfc3339(config.now);
    let unplaceable = || {
        Refusal::validation(
            &id,
            "frontmatter",
            format!("cannot set `{field}` in {id}'s frontmatter"),
            "fix the card's YAML first",
        )
    };
    let field_text = card_text.ok_or_else(unplaceable)?;
    let card_text = set_field(&field_text, "last_updated", &NewValue::Str(&stamp[..10]))
        .ok_or_else(unplaceable)?;
    let event = event_line(&stamp, user, event_name, &desc, &[("field", field)]);
    let indexes = dependencies
        .map(|ids| dependency_rows(workspace, task_idx, &ids))
        .unwrap_or_default();
    Ok(EditPlan {
        field_text,
        card_text,
        indexes,
        event,
        previous,
    })
}

/// The index rows of a task whose depends_on becomes `ids`: its Dependencies cells say so.
fn dependency_rows(
    workspace: &Workspace,
    task_idx: TaskIdx,
    ids: &[TaskId],
) -> Vec<(FileId, String)> {
    let task = workspace.task(task_idx);
    let mut values = RowValues::of_task(workspace, task_idx);
    values.dependencies = placed(workspace, task.root, ids);
    let mut out = Vec::new();
    for index in &workspace.roots[task.root].indexes {
        if !crate::db::layout::index_covers(workspace, index, task, task.stage) {
            continue;
        }
        let text = &workspace.file(index.file).text;
        let Some(table) = parse_index(text).table else {
            continue;
        };
        let row = render_row(&table, &Linking::of(workspace, index.file, &table), &values);
        let namespace = task.namespace();
        if let Some(new) = replace_row(text, &task.id, namespace, &row)
            && new != **text
        {
            out.push((index.file, new));
        }
    }
    out
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
    /// The approval record (one JSON line).
    pub decision: String,
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
    let approver = config
        .user
        .clone()
        .filter(|user| !user.trim().is_empty())
        .ok_or_else(|| {
            Refusal::validation(
                &id,
                "approver",
                "approving needs the approving person (--user or FLOWOS_USER)".into(),
                "say who approves",
            )
        })?;
    if approver == proposal.proposed_by {
        return Err(Refusal::validation(
            &id,
            "approver",
            format!("{approver} proposed it and cannot also approve it"),
            "a person other than the proposer approves",
        ));
    }
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
            let edit = plan_edit(workspace, task_idx, field, value, &approver, config)?;
            let card = task.card.expect("an edit plan has a card");
            let ledger = task.ledger.expect("an edit plan has a ledger");
            let rewrite = |(file, text): (FileId, String)| {
                FileChange::rewrite(file, &workspace.file(file).text, &text)
            };
            let mut projected = SourceChange {
                changes: vec![FileChange::Append {
                    file: ledger,
                    lines: vec![both(&edit.event)],
                }],
            };
            let rewritten = std::iter::once((card, edit.card_text)).chain(edit.indexes);
            projected.changes.extend(rewritten.filter_map(rewrite));
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
        decision,
    })
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
    let by = config
        .user
        .clone()
        .filter(|user| !user.trim().is_empty())
        .ok_or_else(|| {
            Refusal::validation(
                id,
                "approver",
                "rejecting needs the person who rejects (--user or FLOWOS_USER)".into(),
                "say who rejects",
            )
        })?;
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

/// A pending task draft of tasks root `root`: its file, number, name and namespace.
pub struct PendingDraft {
    pub file: FileId,
    pub number: u32,
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
        name: name.clone(),
        namespace: namespace.clone(),
    })
}

/// The decision record on draft `draft`: approved (the task it became) or rejected (why).
pub fn draft_decision(
    workspace: &Workspace,
    draft: &PendingDraft,
    outcome: Result<&TaskId, &str>,
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
    match outcome {
        Err(reason) => rejection(proposal, "the task drafts", reason, config),
        Ok(created) => Ok(json!({
            "type": APPROVAL,
            "proposal": proposal.number,
            "ts": format_rfc3339(config.now),
            "approved_by": config.user.clone().unwrap_or_default(),
            "task_id": created.to_string(),
        })
        .to_string()),
    }
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

pub use crate::db::proposals::DRAFTS_FILE;

/// The tasks root's drafts file, when it was read.
pub fn drafts_file(workspace: &Workspace, root: usize) -> Option<FileId> {
    workspace
        .file_by_path(&workspace.roots[root].path.join(DRAFTS_FILE))
        .filter(|&file| workspace.file(file).exists)
}

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
