//! Which transitions apply to a task, and the reasons the rules refuse one right now: SPEC
//! §5's "blocks the move" column, checked with the same logic the diagnostics use (WIP
//! limits, the concurrent_ok waiver, cycle membership, the card's errors), so an offer is
//! disabled exactly when performing it would break a rule.

use crate::base::PositionEncoding;
use crate::db::flow::{cascade_recorded, has_concurrent_waiver, ledger_stage, stage_load};
use crate::db::graph::cycle_through;
use crate::db::meta::BlockedBy;
use crate::db::vocab::{Stage, Status};
use crate::db::{FileRole, Task, TaskIdx, Workspace};
use crate::ide::diagnostics::task_and_card_diagnostics;
use crate::ide::transitions::Action;
use crate::ide::types::{Config, Severity};
use crate::syntax::task_id::TaskId;

/// A task's status; a card without a readable one is treated as active (field-missing or
/// invalid-value already reports it).
pub(super) fn status(task: &Task) -> Status {
    task.meta.status().unwrap_or(Status::Active)
}

/// The transitions that apply to the task's stage and status, in menu order: the stage's
/// forward moves, then state changes, then cancel. Canceled, split and archived tasks are
/// done with; nothing applies to them.
pub(super) fn valid_actions(workspace: &Workspace, idx: TaskIdx) -> Vec<Action> {
    let task = workspace.task(idx);
    let status = status(task);
    if matches!(status, Status::Canceled | Status::Split) || task.stage == Stage::Archived {
        return Vec::new();
    }
    let mut actions = match task.stage {
        Stage::Inbox => vec![Action::Verify],
        Stage::Backlog => vec![Action::Prioritize, Action::FastTrack],
        Stage::Next => vec![Action::Start],
        Stage::Current => vec![Action::Complete, Action::Rework],
        Stage::Integration => vec![Action::Integrate, Action::CloseWithoutLearning],
        Stage::Learning => vec![Action::Close],
        Stage::Archived => Vec::new(),
    };
    match status {
        Status::Active => {
            actions.extend(unfinished_dependencies(workspace, task).into_iter().map(
                |dependency| Action::Block {
                    on: dependency.id.clone(),
                },
            ));
            if matches!(task.stage, Stage::Backlog | Stage::Next | Stage::Current) {
                actions.push(Action::Pause);
            }
        }
        Status::Blocked => actions.push(Action::Unblock),
        Status::Paused => actions.push(Action::Resume),
        Status::Canceled | Status::Split => {}
    }
    actions.push(Action::Cancel);
    actions
}

/// Err when `action` does not apply to the task's stage and status at all. Blocking is
/// valid on any task, not only the offered dependencies: WF-BLOCK allows `task:` blockers
/// outside depends_on.
pub(super) fn check_valid(
    workspace: &Workspace,
    idx: TaskIdx,
    action: &Action,
) -> Result<(), String> {
    let task = workspace.task(idx);
    let valid = match action {
        Action::Block { .. } => status(task) == Status::Active && task.stage != Stage::Archived,
        _ => valid_actions(workspace, idx).contains(action),
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` does not apply to {}: it is in {} with status {}",
            action.cli_name(),
            task.id,
            task.stage,
            status(task)
        ))
    }
}

/// Who a transition's events name: the user acting, else the task's DRI. None refuses the
/// transition (see `refusal`); the plan stamps every line with it (`moves`).
pub(super) fn actor(workspace: &Workspace, idx: TaskIdx, config: &Config) -> Option<String> {
    config
        .user
        .clone()
        .or_else(|| workspace.task(idx).meta.current_dri.clone())
        .filter(|user| !user.trim().is_empty())
}

/// Why the rules forbid `action` right now, phrased as what to do about it; None when it
/// may go ahead.
pub(super) fn refusal(
    workspace: &Workspace,
    idx: TaskIdx,
    action: &Action,
    config: &Config,
) -> Option<String> {
    let task = workspace.task(idx);
    if let Some(reason) = missing_package(workspace, task, *action == Action::Verify) {
        return Some(reason);
    }
    if let Some(reason) = not_utf8(workspace, task).or_else(|| interrupted(workspace, task)) {
        return Some(reason);
    }
    if actor(workspace, idx, config).is_none() {
        return Some(format!(
            "{} names no current_dri and no user is set, and a ledger must not record an \
             unknown actor: give --user @name or FLOWOS_USER (flowos.user in an editor)",
            task.id
        ));
    }
    match action {
        Action::Verify => not_paused(task).or_else(|| card_errors(workspace, idx, config)),
        Action::Prioritize => not_paused(task)
            .or_else(|| planning_fields(task))
            .or_else(|| dependency_problem(workspace, idx)),
        Action::Start => not_held(task)
            .or_else(|| planning_fields(task))
            .or_else(|| hard_limit(workspace, idx, Stage::Current))
            .or_else(|| dependency_problem(workspace, idx))
            .or_else(|| unwaived_dependency(workspace, task, "start")),
        Action::FastTrack => not_held(task)
            .or_else(|| not_p0(task))
            .or_else(|| planning_fields(task))
            .or_else(|| dependency_problem(workspace, idx))
            .or_else(|| unwaived_dependency(workspace, task, "fast-track"))
            .or_else(|| displacement(workspace, idx).err()),
        // Work moves on only while it is neither paused (WF-PAUSE: "cannot move forward")
        // nor blocked (SPEC §5 for Complete; integrating or closing blocked work would move
        // it past its blocker just the same).
        Action::Complete | Action::Integrate | Action::Close | Action::CloseWithoutLearning => {
            not_held(task)
        }
        // Going back is always allowed, paused or not (WF-PAUSE allows rollback).
        Action::Rework => None,
        Action::Cancel => match task.meta.canceled_reason {
            None => Some("canceled_reason is empty; write why first".to_string()),
            Some(_) => undecided_dependent(workspace, idx),
        },
        Action::Block { on } => block_target(workspace, task, on),
        Action::Unblock => unblock_problem(workspace, task),
        Action::Pause => task.meta.paused_reason.is_none().then(|| {
            "paused_reason is empty; write why (and when it may resume) first".to_string()
        }),
        // A paused task counts against no limit; resuming it in current counts again.
        Action::Resume => hard_limit(workspace, idx, task.stage),
    }
}

/// Every transition appends to the ledger and edits the card, so both must exist; Verify
/// also checks the context (WF2: "all three required files present").
fn missing_package(workspace: &Workspace, task: &Task, with_context: bool) -> Option<String> {
    let short = task.id.short();
    let card_name = match &task.slug {
        Some(slug) if !slug.is_empty() => format!("{short}-{slug}.task.md"),
        _ => "its card".to_string(),
    };
    let mut unread: Vec<String> = Vec::new();
    let missing: Vec<String> = [
        (task.card.is_none(), card_name, FileRole::Card),
        (
            with_context && task.context.is_none(),
            format!("{short}.context.md"),
            FileRole::Context,
        ),
        (
            task.ledger.is_none(),
            format!("{short}.ledger.jsonl"),
            FileRole::Ledger,
        ),
    ]
    .into_iter()
    .filter(|(absent, _, _)| *absent)
    .filter_map(|(_, name, role)| {
        // There but not read (a link is never followed): say so, or the writer looks for a
        // file they can see.
        match workspace.unread_package_file(task, role) {
            Some((name, problem)) => {
                unread.push(format!(
                    "has `{name}` but it was not read ({})",
                    problem.message
                ));
                None
            }
            None => Some(format!("`{name}`")),
        }
    })
    .collect();
    if !unread.is_empty() {
        if !missing.is_empty() {
            unread.insert(0, format!("lacks {}", missing.join(" and ")));
        }
        return Some(format!(
            "task folder `{}` {}; restore it first",
            task.folder_name,
            unread.join("; ")
        ));
    }
    if missing.is_empty() {
        // Without a frontmatter block there is nowhere to write the new values, and into one
        // that could not be parsed (broken YAML, over a cap) they would be written blind.
        return (!workspace.fields_known(task))
            .then(|| "the card's frontmatter could not be read; fix it first".to_string());
    }
    Some(format!(
        "task folder `{}` lacks {}; restore it first",
        task.folder_name,
        missing.join(" and ")
    ))
}

/// A card or ledger read with replacement characters (`invalid-encoding`) cannot be written
/// back, or appended to, without losing the bytes that were replaced.
fn not_utf8(workspace: &Workspace, task: &Task) -> Option<String> {
    let file = [task.card, task.ledger]
        .into_iter()
        .flatten()
        .map(|file| workspace.file(file))
        .find(|file| file.invalid_utf8.is_some())?;
    let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
    Some(format!(
        "`{name}` is not valid UTF-8; save it as UTF-8 first"
    ))
}

/// A task whose ledger has moved on without its folder is part-way through a transition
/// (interrupted, or another writer's in progress when it was read). A new move planned from
/// there would log its events on top of the unfinished one's.
fn interrupted(workspace: &Workspace, task: &Task) -> Option<String> {
    let said = ledger_stage(workspace.ledger(task)?)?;
    (!said.agrees_with(task.stage)).then(|| {
        format!(
            "{} is part-way through a transition: its ledger puts it in {} but its folder is in {}; finish that first (the ledger-stage-drift quick fix, or `flowos-lsp check --fix`)",
            task.id,
            said.belongs_in(),
            task.stage
        )
    })
}

fn not_paused(task: &Task) -> Option<String> {
    (status(task) == Status::Paused).then(|| "status is paused; resume it first".to_string())
}

/// Paused or blocked.
fn not_held(task: &Task) -> Option<String> {
    not_paused(task).or_else(|| {
        (status(task) == Status::Blocked).then(|| match blocker_text(task) {
            Some(blocker) => format!("status is blocked by {blocker}; unblock it first"),
            None => "status is blocked; unblock it first".to_string(),
        })
    })
}

/// `blocked_by` as a person reads it: `TASK-0012 (canceled)`, `external:API access`.
pub(super) fn blocker_text(task: &Task) -> Option<String> {
    match &task.meta.blocked_by {
        Some((BlockedBy::Task { target, note }, _)) => Some(match note {
            Some(note) => format!("{} {note}", target.id),
            None => target.id.to_string(),
        }),
        Some((BlockedBy::Other { kind, detail }, _)) => Some(format!("{kind}:{detail}")),
        None => None,
    }
}

/// Verify's gate: error diagnostics on the card, at the user's severities. Index rules are
/// left out: the move itself rewrites the index rows.
fn card_errors(workspace: &Workspace, idx: TaskIdx, config: &Config) -> Option<String> {
    let card = workspace.task(idx).card?;
    let errors: Vec<_> = task_and_card_diagnostics(workspace, idx, config)
        .into_iter()
        .filter(|d| d.file == card && d.severity == Severity::Error)
        .filter(|d| !d.rule.name().starts_with("index-"))
        .collect();
    let first = errors.first()?;
    let file = workspace.file(card);
    let line = file
        .line_index()
        .line_col(
            &file.text,
            first.range.start as usize,
            PositionEncoding::Utf8,
        )
        .line
        + 1;
    let count = match errors.len() {
        1 => "an error; fix it".to_string(),
        n => format!("{n} errors; fix them"),
    };
    Some(format!(
        "the card has {count} first (line {line}: {})",
        first.message
    ))
}

/// WF3 and WF-VALIDATE-MOVE: a task is planned only once it has a priority and an effort.
fn planning_fields(task: &Task) -> Option<String> {
    match (&task.meta.priority, &task.meta.effort) {
        (None, None) => Some("no priority or effort_estimate set; set them first".to_string()),
        (None, Some(_)) => Some("no priority set; set it first".to_string()),
        (Some(_), None) => Some("no effort_estimate set; set it first".to_string()),
        (Some(_), Some(_)) => None,
    }
}

fn not_p0(task: &Task) -> Option<String> {
    match task.meta.priority.as_deref() {
        Some("P0") => None,
        Some(other) => Some(format!(
            "priority is {other}, not P0; only P0 work is fast-tracked"
        )),
        None => Some("priority is not set; only P0 work is fast-tracked".to_string()),
    }
}

/// WF-VALIDATE-MOVE's dependency check: every dependency exists, none is canceled, and the
/// task is in no cycle.
fn dependency_problem(workspace: &Workspace, idx: TaskIdx) -> Option<String> {
    let task = workspace.task(idx);
    for item in &task.meta.depends_on {
        if item.id == task.id {
            return Some(format!(
                "{} depends on itself; remove it from depends_on first",
                task.id
            ));
        }
        match workspace.lookup_in(task.root, &item.id) {
            None => {
                return Some(format!(
                    "depends_on names {}, which does not exist; fix or remove it first",
                    item.id
                ));
            }
            Some(dependency) if dependency.meta.status() == Some(Status::Canceled) => {
                return Some(format!(
                    "dependency {} was canceled; retarget or remove it in depends_on first",
                    item.id
                ));
            }
            Some(_) => {}
        }
    }
    let cycle = cycle_through(workspace, idx)?;
    let path: Vec<String> = cycle
        .iter()
        .chain(cycle.first())
        .map(|&member| workspace.task(member).id.to_string())
        .collect();
    Some(format!(
        "{} is in a dependency cycle ({}); break it first",
        task.id,
        path.join(" → ")
    ))
}

/// The tasks in depends_on that are not yet in integration, learning or archived, each once.
pub(super) fn unfinished_dependencies<'w>(workspace: &'w Workspace, task: &Task) -> Vec<&'w Task> {
    let mut seen: Vec<&TaskId> = Vec::new();
    let mut out = Vec::new();
    for item in &task.meta.depends_on {
        if item.id == task.id || seen.contains(&&item.id) {
            continue;
        }
        seen.push(&item.id);
        if let Some(dependency) = workspace.lookup_in(task.root, &item.id)
            && !dependency.stage.is_finished()
        {
            out.push(dependency);
        }
    }
    out
}

/// unfinished-dependency's rule, before the move that would break it.
fn unwaived_dependency(workspace: &Workspace, task: &Task, verb: &str) -> Option<String> {
    let dependency = unfinished_dependencies(workspace, task)
        .into_iter()
        .find(|dependency| !has_concurrent_waiver(workspace, task, &dependency.id))?;
    Some(format!(
        "{} is still in {}; log a concurrent_ok waiver to {verb} anyway",
        dependency.id, dependency.stage
    ))
}

/// Whether entering (or counting again in) `stage` would break its hard WIP limit. Soft
/// limits do not refuse a move: they are warnings by design, and a move that fills a stage
/// past one is the signal they exist to give.
fn hard_limit(workspace: &Workspace, idx: TaskIdx, stage: Stage) -> Option<String> {
    let load = stage_load(workspace, idx, stage).filter(|load| load.hard)?;
    let count = load.others.len();
    (count >= load.max as usize).then(|| {
        format!(
            "{stage} is {} its WIP limit{} ({count}/{}); finish or pause a task there first",
            if count > load.max as usize {
                "over"
            } else {
                "at"
            },
            whose(load.dri.as_deref()),
            load.max
        )
    })
}

fn whose(dri: Option<&str>) -> String {
    dri.map(|dri| format!(" for {dri}")).unwrap_or_default()
}

/// P0 fast-track into current: None when there is room, else the task to pause and send
/// back to next (the lowest-priority non-P0 active task sharing the limit; among equals the
/// newest ID, which has had the least time invested), else why there is none.
pub(super) fn displacement(workspace: &Workspace, idx: TaskIdx) -> Result<Option<TaskIdx>, String> {
    let Some(load) = stage_load(workspace, idx, Stage::Current) else {
        return Ok(None);
    };
    let count = load.others.len();
    let max = load.max as usize;
    let whose = whose(load.dri.as_deref());
    if count < max {
        return Ok(None);
    }
    if count > max {
        return Err(format!(
            "current is over its WIP limit{whose} ({count}/{max}); finish or pause a task there first"
        ));
    }
    let rank = |task: &Task| match task.meta.priority.as_deref() {
        Some(priority) => priority.trim_start_matches('P').parse::<u32>().unwrap_or(9),
        None => 9,
    };
    load.others
        .iter()
        .copied()
        .filter(|&other| {
            let other = workspace.task(other);
            other.meta.status() == Some(Status::Active)
                && other.meta.priority.as_deref() != Some("P0")
                && other.card.is_some()
                && other.ledger.is_some()
        })
        .max_by_key(|&other| {
            let other = workspace.task(other);
            (rank(other), other.id.clone())
        })
        .map(Some)
        .ok_or_else(|| {
            format!(
                "current is at its WIP limit{whose} ({count}/{max}) and holds no active non-P0 task to pause; finish one first"
            )
        })
}

/// The tasks whose depends_on names `idx`, by ID.
pub(super) fn dependents(workspace: &Workspace, idx: TaskIdx) -> Vec<TaskIdx> {
    let task = workspace.task(idx);
    let mut dependents: Vec<TaskIdx> = workspace.roots[task.root]
        .tasks
        .iter()
        .copied()
        .filter(|&other| other != idx)
        .filter(|&other| {
            workspace
                .task(other)
                .meta
                .depends_on
                .iter()
                .any(|item| item.id == task.id)
        })
        .collect();
    dependents.sort_by_key(|&other| workspace.task(other).id.clone());
    dependents
}

/// Whether a dependent is one WF-CASCADE-CANCEL blocks: waiting in inbox, backlog or next.
pub(super) fn cascades_to(task: &Task) -> bool {
    matches!(task.stage, Stage::Inbox | Stage::Backlog | Stage::Next)
        && !matches!(status(task), Status::Canceled | Status::Split)
}

/// WF-CASCADE-CANCEL leaves dependents under way (current, integration, learning) to their
/// DRI: pause, retarget or cancel. Canceling before that decision would leave them with a
/// canceled dependency and nothing saying why, so the cancel waits for it.
fn undecided_dependent(workspace: &Workspace, idx: TaskIdx) -> Option<String> {
    let task = workspace.task(idx);
    let dependent = dependents(workspace, idx).into_iter().find(|&other| {
        let other = workspace.task(other);
        matches!(
            other.stage,
            Stage::Current | Stage::Integration | Stage::Learning
        ) && !matches!(status(other), Status::Canceled | Status::Split)
            && !cascade_recorded(other, &task.id)
    })?;
    let dependent = workspace.task(dependent);
    Some(format!(
        "{} in {} depends on {}; retarget or cancel it, or pause it with a paused_reason saying {} is canceled, first",
        dependent.id, dependent.stage, task.id, task.id
    ))
}

fn block_target(workspace: &Workspace, task: &Task, on: &TaskId) -> Option<String> {
    if *on == task.id {
        return Some("a task cannot be blocked by itself".to_string());
    }
    match workspace.lookup_in(task.root, on) {
        None => Some(format!("no task {on} exists")),
        Some(blocker) if blocker.stage.is_finished() => Some(format!(
            "{on} is already in {}; there is nothing to wait for",
            blocker.stage
        )),
        Some(_) => None,
    }
}

/// WF-UNBLOCK: "don't unblock prematurely". A task blocker must be finished; an outside
/// blocker (external:, decision:, info:) is the person's call.
fn unblock_problem(workspace: &Workspace, task: &Task) -> Option<String> {
    let Some((BlockedBy::Task { target, .. }, _)) = &task.meta.blocked_by else {
        return None;
    };
    let blocker = workspace.lookup_in(task.root, &target.id)?;
    if blocker.meta.status() == Some(Status::Canceled) {
        // Unblocking would bring canceled-dependency back; the dependency must go first.
        return task
            .meta
            .depends_on
            .iter()
            .any(|item| item.id == target.id)
            .then(|| {
                format!(
                    "{} was canceled; retarget or remove it in depends_on first",
                    target.id
                )
            });
    }
    (!blocker.stage.is_finished()).then(|| {
        format!(
            "{} is still in {}; unblock once it reaches integration",
            target.id, blocker.stage
        )
    })
}
