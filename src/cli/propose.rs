//! `flowos-lsp propose <TASK-ID> <ACTION|FIELD=VALUE> --by <agent>`: an agent's proposal,
//! validated exactly as `transition` validates the move (or as the field's values allow),
//! appended to the task's `<id>.proposals.jsonl`. Nothing else is written: not the ledger,
//! not the card, not an index.

use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

use crate::apply;
use crate::cli::transition::find_task;
use crate::cli::workspace::{display_path, load_workspace};
use crate::cli::{
    EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE, WriterArgs, no_more_positional, now_at_the_edge,
};
use crate::db::proposals::approval_gates;
use crate::ide::proposals::{Proposed, propose};
use crate::ide::types::Config;
use crate::transaction::Options;

pub const USAGE: &str = "\
usage: flowos-lsp propose <TASK-ID> <ACTION> --by <agent> [--note TEXT] [PATH]
                          [--tasks-root DIR] [--now RFC3339] [--format text|json]
       flowos-lsp propose <TASK-ID> <FIELD>=<VALUE> --by <agent> ...

Records an agent's proposal in the task's <id>.proposals.jsonl, after validating it as the
change itself would be: ACTION is any transition `flowos-lsp transition` takes (same rules,
same refusals); FIELD=VALUE proposes a frontmatter change: priority=P1, effort_estimate=M,
depends_on=TASK-0001,TASK-0003 (depends_on= for none). Nothing but the proposals file is
written; a person approves (`flowos-lsp approve`) or rejects it.
Exit status: 0 recorded (its number is printed), 1 refused (why, as the worker contract's
error, on stderr), 2 usage or I/O failure.";

#[derive(Debug, Default)]
pub struct ProposeOptions {
    pub task: String,
    pub proposed: Option<Proposed>,
    pub by: String,
    pub note: Option<String>,
    pub path: Option<PathBuf>,
    pub tasks_root: Option<PathBuf>,
    pub json: bool,
    pub config: Config,
}

pub fn parse_args(args: &[String]) -> Result<ProposeOptions, String> {
    let mut by = None;
    let mut note = None;
    let mut json = false;
    let parsed = WriterArgs::parse(args, |flag, cursor| {
        match flag {
            "--by" => by = Some(cursor.value("--by")?),
            "--note" => note = Some(cursor.value("--note")?),
            "--format" => {
                json = match cursor.value("--format")?.as_str() {
                    "json" => true,
                    "text" => false,
                    other => return Err(format!("unknown format `{other}`; use text or json")),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let mut positional = parsed.positional.into_iter();
    let task = positional.next().ok_or("give the task's ID")?;
    let what = positional.next().ok_or("give an action or FIELD=VALUE")?;
    let path = positional.next().map(PathBuf::from);
    no_more_positional(positional)?;
    let by = by
        .map(|by| by.trim().to_string())
        .filter(|by| !by.is_empty())
        .ok_or("--by names the agent proposing")?;
    let config = Config {
        now: now_at_the_edge(parsed.now)?,
        ..Config::default()
    };
    Ok(ProposeOptions {
        task,
        proposed: Some(parse_proposed(&what)),
        by,
        note,
        path,
        tasks_root: parsed.tasks_root,
        json,
        config,
    })
}

/// `start` is a move; `priority=P1` an edit, `depends_on=A,B` an edit of the list.
pub fn parse_proposed(what: &str) -> Proposed {
    match what.split_once('=') {
        None => Proposed::Move(what.trim().to_string()),
        Some((field, value)) => {
            let field = field.trim().to_string();
            let value = if field == "depends_on" {
                Value::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(Value::from)
                        .collect(),
                )
            } else {
                Value::from(value.trim())
            };
            Proposed::Edit { field, value }
        }
    }
}

pub fn run(options: &ProposeOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let workspace = match load_workspace(&base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    let task = match find_task(&workspace, &options.task) {
        Ok(task) => task,
        Err(message) => {
            let _ = writeln!(err, "flowos-lsp: {message}");
            return EXIT_USAGE;
        }
    };
    let Some(proposed) = &options.proposed else {
        return EXIT_USAGE;
    };
    let gated = match proposed {
        Proposed::Move(action) => action.clone(),
        Proposed::Edit { field, .. } => field.clone(),
    };
    let auto = approval_gates(&workspace, workspace.task(task).root)
        .is_some_and(|gates| gates.is_auto(&gated));
    let new = match propose(
        &workspace,
        task,
        proposed,
        &options.by,
        options.note.as_deref(),
        !auto,
        &options.config,
    ) {
        Ok(new) => new,
        Err(refusal) => {
            let _ = writeln!(err, "flowos-lsp: refused: {}", refusal.reason);
            let _ = writeln!(err, "{}", refusal.to_json());
            return EXIT_ERRORS;
        }
    };
    let plan = crate::propose::record_plan(&workspace, task, &new.line);
    if let Err(error) = apply::run(&plan, &Options::from_env()) {
        let _ = writeln!(err, "flowos-lsp: nothing was recorded: {error}");
        return if error.may_have_written() {
            EXIT_USAGE
        } else {
            EXIT_ERRORS
        };
    }
    let file = apply::touched_paths(&plan)
        .into_iter()
        .next()
        .unwrap_or_default();
    if options.json {
        let _ = writeln!(out, "{}", new.record);
    } else {
        let id = &workspace.task(task).id;
        let next = if auto {
            "the approval gates let `flowos-lsp approve --auto` apply it".to_string()
        } else {
            format!(
                "it waits for a person (`flowos-lsp approve {id} --proposal {}`)",
                new.number
            )
        };
        let _ = writeln!(
            out,
            "proposal {} for {id} recorded in {}; {next}",
            new.number,
            display_path(&base, &file),
        );
    }
    EXIT_CLEAN
}
