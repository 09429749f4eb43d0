//! `flowos-lsp approve|reject <TASK-ID> [--proposal N]`: a person's answer to an agent's
//! proposal. Approve makes the change as the approving person (the transition's or the
//! edit's own transaction, its events carrying `proposed_by` and `approved_by`) and records
//! the approval; reject records why. `approve --auto` applies the pending proposals the
//! approval gates of wip.policy.md let through without a person's look.

use std::io::Write;
use std::path::PathBuf;

use crate::apply;
use crate::cli::transition::{find_task, report_run};
use crate::cli::workspace::load_recovered;
use crate::cli::workspace::{display_path, load_workspace};
use crate::cli::{
    EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE, WriterArgs, acting_user, no_more_positional,
    now_at_the_edge,
};
use crate::db::{TaskIdx, Workspace};
use crate::ide::projection::card_after;
use crate::ide::proposals::{approve, pending_draft, reject, reject_draft};
use crate::ide::types::Config;
use crate::transaction::Options;

pub const APPROVE_USAGE: &str = "\
usage: flowos-lsp approve <TASK-ID> [--proposal N] [PATH] [--user @name] [--tasks-root DIR]
                          [--now RFC3339]
       flowos-lsp approve --auto [PATH] --user @name
       flowos-lsp approve --draft N [PATH] --user @name

Approves an agent's pending proposal (the only one, or number N) as --user (else
FLOWOS_USER): the transition or the frontmatter edit is made as `transition` makes it, its
ledger events carrying `proposed_by` and `approved_by`, and the approval is recorded in the
proposals file. A proposal whose task changed since it was made is stale and refused: reject
it and propose again. --auto approves every pending proposal the approval gates of
wip.policy.md mark `auto` (README, \"Working with agents\"). --draft N creates the task an
agent drafted (`new` as --user) and records the approval with the new task's ID.
Exit status: 0 done, 1 refused (nothing written), 2 usage or I/O failure.";

pub const REJECT_USAGE: &str = "\
usage: flowos-lsp reject <TASK-ID> [--proposal N] --reason TEXT [PATH] [--user @name]
                         [--tasks-root DIR] [--now RFC3339]
       flowos-lsp reject --draft N --reason TEXT [PATH] [--user @name]

Rejects an agent's pending proposal (stale or not), recording who and why in the proposals
file. Nothing else is written.
Exit status: 0 recorded, 1 refused, 2 usage or I/O failure.";

#[derive(Debug, Default)]
pub struct DecisionOptions {
    /// None with `--auto`.
    pub task: Option<String>,
    pub proposal: Option<u32>,
    pub reason: Option<String>,
    pub auto: bool,
    /// `--draft N`: a task draft of the root's drafts file instead of a task's proposal.
    pub draft: Option<u32>,
    pub path: Option<PathBuf>,
    pub tasks_root: Option<PathBuf>,
    pub config: Config,
}

fn parse(args: &[String], rejecting: bool) -> Result<DecisionOptions, String> {
    let mut proposal = None;
    let mut reason = None;
    let mut auto = false;
    let mut draft = None;
    let number = |flag: &str, text: String| {
        text.trim()
            .parse::<u32>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{flag} takes a number from 1, not `{text}`"))
    };
    let parsed = WriterArgs::parse(args, |flag, cursor| {
        match flag {
            "--proposal" => proposal = Some(number(flag, cursor.value(flag)?)?),
            "--draft" => draft = Some(number(flag, cursor.value(flag)?)?),
            "--reason" if rejecting => reason = Some(cursor.value("--reason")?),
            "--auto" if !rejecting => auto = true,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let mut positional = parsed.positional.into_iter();
    let task = if auto || draft.is_some() {
        None
    } else {
        Some(positional.next().ok_or("give the task's ID")?)
    };
    let path = positional.next().map(PathBuf::from);
    no_more_positional(positional)?;
    if rejecting && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err("--reason says why the proposal is rejected".into());
    }
    let config = Config {
        now: now_at_the_edge(parsed.now)?,
        user: acting_user(parsed.user.as_deref()),
        ..Config::default()
    };
    if config.user.is_none() {
        return Err("a decision records who made it: give --user or set FLOWOS_USER".into());
    }
    Ok(DecisionOptions {
        task,
        proposal,
        reason,
        auto,
        draft,
        path,
        tasks_root: parsed.tasks_root,
        config,
    })
}

pub fn parse_approve(args: &[String]) -> Result<DecisionOptions, String> {
    parse(args, false)
}

pub fn parse_reject(args: &[String]) -> Result<DecisionOptions, String> {
    parse(args, true)
}

pub fn run_approve(options: &DecisionOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if let Some(number) = options.draft {
        return approve_draft(options, number, &base, out, err);
    }
    let workspace = match load_recovered(&base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    let chosen: Vec<(TaskIdx, Option<u32>)> = if options.auto {
        auto_approvable(&workspace)
    } else {
        match task_of(&workspace, options, err) {
            Ok(task) => vec![(task, options.proposal)],
            Err(code) => return code,
        }
    };
    if chosen.is_empty() {
        let _ = writeln!(out, "no pending proposal the approval gates let through");
        return EXIT_CLEAN;
    }
    // Each approval is its own transaction against the files as the last one left them.
    let mut workspace = workspace;
    for (position, (task, number)) in chosen.iter().enumerate() {
        if position > 0 {
            workspace = match load_workspace(&base, options.tasks_root.as_deref(), err) {
                Ok(workspace) => workspace,
                Err(code) => return code,
            };
        }
        let code = approve_one(&workspace, *task, *number, options, &base, out, err);
        if code != EXIT_CLEAN {
            return code;
        }
    }
    EXIT_CLEAN
}

/// The pending proposals whose record says no person needs to approve them (their gate was
/// `auto` when they were made), by task and number. Auto gates cover only changes that keep
/// a task in its folder, so each task keeps its index when the roots are read again.
fn auto_approvable(workspace: &Workspace) -> Vec<(TaskIdx, Option<u32>)> {
    let mut out = Vec::new();
    for (index, task) in workspace.tasks.iter().enumerate() {
        let Some(proposals) = workspace.proposals(task) else {
            continue;
        };
        let gates = crate::db::proposals::approval_gates(workspace, task.root);
        for proposal in proposals.pending() {
            let gate = match &proposal.change {
                crate::syntax::proposals::Change::Move { action } => action.as_str(),
                crate::syntax::proposals::Change::Edit { field, .. } => field.as_str(),
                // A new task always needs a person.
                crate::syntax::proposals::Change::NewTask { .. } => continue,
            };
            // The gate must still say `auto` now, not only when it was proposed.
            if !proposal.requires_human_approval && gates.is_some_and(|g| g.is_auto(gate)) {
                out.push((TaskIdx(index as u32), Some(proposal.number)));
            }
        }
    }
    out
}

fn approve_one(
    workspace: &Workspace,
    task: TaskIdx,
    number: Option<u32>,
    options: &DecisionOptions,
    base: &std::path::Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let approved = match approve(workspace, task, number, &options.config) {
        Ok(approved) => approved,
        Err(refusal) => {
            let _ = writeln!(err, "flowos-lsp: refused: {}", refusal.reason);
            return EXIT_ERRORS;
        }
    };
    let disk = crate::propose::approval_plan(workspace, task, &approved);
    let title = format!("approved: {}", approved.title);
    let result = crate::apply::run(&disk, &crate::transaction::Options::from_env());
    let card = card_after(workspace, task, &approved.projected);
    let card = card.as_deref();
    report_run(result, &title, card, base, out, err)
}

pub fn run_reject(options: &DecisionOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    // An approval a crash left half done is finished first: its line, not a rejection, is
    // the proposal's decision.
    let workspace = match load_recovered(&base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    let reason = options.reason.as_deref().unwrap_or_default();
    let decided = match options.draft {
        Some(number) => pending_draft(&workspace, 0, Some(number)).and_then(|draft| {
            reject_draft(&workspace, &draft, reason, &options.config).map(|line| (draft.file, line))
        }),
        None => {
            let task = match task_of(&workspace, options, err) {
                Ok(task) => task,
                Err(code) => return code,
            };
            reject(&workspace, task, options.proposal, reason, &options.config)
        }
    };
    let (file, line) = match decided {
        Ok(decision) => decision,
        Err(refusal) => {
            let _ = writeln!(err, "flowos-lsp: refused: {}", refusal.reason);
            return EXIT_ERRORS;
        }
    };
    let plan = crate::propose::decision_plan(&workspace, file, &line);
    match apply::run(&plan, &Options::from_env()) {
        Ok(_) => {
            let path = &workspace.file(file).path;
            let _ = writeln!(out, "rejected; recorded in {}", display_path(&base, path));
            EXIT_CLEAN
        }
        Err(error) => {
            let _ = writeln!(err, "flowos-lsp: nothing was recorded: {error}");
            if error.may_have_written() {
                EXIT_USAGE
            } else {
                EXIT_ERRORS
            }
        }
    }
}

/// Creates the task an agent drafted (WF1, as `new` does, by the approving person, its events
/// naming the agent too) and records the approval, naming the new task, in the drafts file:
/// one transaction, so a crash part way is finished whole by recovery or not begun.
fn approve_draft(
    options: &DecisionOptions,
    number: u32,
    base: &std::path::Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let workspace = match load_recovered(base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    match crate::propose::approve_draft(&workspace, 0, Some(number), &options.config) {
        Ok((name, created)) => {
            let _ = writeln!(out, "approved: created {} \"{name}\"", created.id);
            let _ = writeln!(out, "  card: {}", display_path(base, &created.card));
            EXIT_CLEAN
        }
        Err(failure) => {
            let _ = writeln!(err, "flowos-lsp: no task was created: {failure}");
            if failure.partial {
                EXIT_USAGE
            } else {
                EXIT_ERRORS
            }
        }
    }
}

fn task_of(
    workspace: &Workspace,
    options: &DecisionOptions,
    err: &mut dyn Write,
) -> Result<TaskIdx, i32> {
    find_task(workspace, options.task.as_deref().unwrap_or_default()).map_err(|message| {
        let _ = writeln!(err, "flowos-lsp: {message}");
        EXIT_USAGE
    })
}
