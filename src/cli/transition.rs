//! `flowos-lsp transition <TASK-ID> <action> [PATH]`: the editor's stage transitions for
//! scripts, as the same transaction (SPEC §5). `--dry-run` prints what would be written.

use crate::apply;
use crate::apply::PlannedTransition;
use crate::cli::workspace::{display_path, load_recovered, load_workspace};
use crate::cli::{
    EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE, WriterArgs, no_more_positional, now_at_the_edge,
};
use crate::db::{TaskIdx, Workspace};
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::transitions;
use crate::ide::transitions::Action;
use crate::ide::types::Config;
use crate::syntax::task_id::parse_task_ref;
use crate::transaction::{Options, Report, TxError};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "\
usage: flowos-lsp transition <TASK-ID> <ACTION> [PATH] [--tasks-root DIR] [--user @name] [--dry-run]
                             [--now RFC3339]

Runs a stage transition as one transaction: appends the events to the task's ledger, updates
its frontmatter and the INDEX.md rows, and moves its folder. The events record --user, else
the environment's FLOWOS_USER, else the task's current DRI.
ACTION: verify, prioritize, start, fast-track, complete, rework, integrate, close,
        close-without-learning, cancel, block:TASK-ID, unblock, pause, resume
        (`list` prints the transitions the task can take now, and why others are blocked)
Exit status: 0 done, 1 refused, nothing written (the reason is on stderr), 2 usage or I/O
failure (a transition stopped part way is finished by `check --fix`).";

/// What `transition` and `rename` take alike: a task, one value (the action, the new name),
/// an optional PATH, and the writers' options.
#[derive(Debug, Default)]
pub struct TaskCommandOptions {
    pub task: String,
    /// The action (`transition`), the new name (`rename`).
    pub value: String,
    pub path: Option<PathBuf>,
    /// The tasks root, instead of searching PATH for one (`--tasks-root`).
    pub tasks_root: Option<PathBuf>,
    pub dry_run: bool,
    /// The moment and the acting user (`--now`, `--user`, else the environment and the
    /// clock), with the default rule severities.
    pub config: Config,
}

pub type TransitionOptions = TaskCommandOptions;

pub fn parse_args(args: &[String]) -> Result<TransitionOptions, String> {
    parse_task_command(args, "give an action")
}

/// Reads `<TASK-ID> <VALUE> [PATH]` and the writers' options plus `--dry-run`; `missing`
/// says what VALUE is when it is not given.
pub fn parse_task_command(args: &[String], missing: &str) -> Result<TaskCommandOptions, String> {
    let mut dry_run = false;
    let parsed = WriterArgs::parse(args, |flag, _| {
        dry_run |= flag == "--dry-run";
        Ok(flag == "--dry-run")
    })?;
    let mut positional = parsed.positional.into_iter();
    let mut options = TaskCommandOptions {
        task: positional.next().ok_or("give the task's ID")?,
        value: positional.next().ok_or(missing)?,
        path: positional.next().map(PathBuf::from),
        tasks_root: parsed.tasks_root,
        dry_run,
        config: Config::default(),
    };
    no_more_positional(positional)?;
    // The edge: the clock and the acting user are read here, once.
    options.config.now = now_at_the_edge(parsed.now)?;
    options.config.user = crate::cli::acting_user(parsed.user.as_deref());
    Ok(options)
}

/// Finds the one task carrying `spelling` in any loaded tasks root.
pub fn find_task(workspace: &Workspace, spelling: &str) -> Result<TaskIdx, String> {
    let (id, _) = parse_task_ref(spelling.trim())
        .ok_or_else(|| format!("`{spelling}` is not a task ID (e.g. TASK-0042)"))?;
    let found: Vec<TaskIdx> = (0..workspace.roots.len())
        .flat_map(|root| workspace.owners(root, &id).iter().copied())
        .collect();
    match found.as_slice() {
        [] => Err(format!("no task {id} in this workspace")),
        [one] => Ok(*one),
        _ => Err(format!(
            "{id} names {} task folders; fix the duplicate first",
            found.len()
        )),
    }
}

pub fn run(options: &TransitionOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let recover = !options.dry_run && options.value != "list";
    let (workspace, task) = match load_task(options, recover, err) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let ctx = &options.config;
    if options.value == "list" {
        for offer in transitions::offers(&workspace, task, ctx) {
            let _ = match &offer.disabled {
                None => writeln!(out, "{:24} {}", offer.action.cli_name(), offer.title),
                Some(reason) => writeln!(
                    out,
                    "{:24} {} (blocked: {reason})",
                    offer.action.cli_name(),
                    offer.title
                ),
            };
        }
        return EXIT_CLEAN;
    }
    let namespace = workspace.task(task).namespace().map(str::to_string);
    let Some(action) = Action::parse(&options.value, namespace.as_deref()) else {
        let _ = writeln!(
            err,
            "flowos-lsp: unknown action `{}`\n{USAGE}",
            options.value
        );
        return EXIT_USAGE;
    };
    let planned = match apply::plan_transition(&workspace, task, &action, ctx) {
        Ok(planned) => planned,
        Err(reason) => {
            let _ = writeln!(err, "flowos-lsp: refused: {reason}");
            return EXIT_ERRORS;
        }
    };
    if options.dry_run {
        let _ = describe(&workspace, &base, &planned, out);
        return EXIT_CLEAN;
    }
    let result = apply::run(&planned.disk, &Options::from_env());
    let show = planned.show.as_deref();
    report_run(result, &planned.plan.title, show, &base, out, err)
}

/// What a writer's transaction did, for people: the title and the card on success (exit 0);
/// a refusal (exit 1, nothing written); a stop part way (exit 2, finished by `check --fix`).
pub fn report_run(
    result: Result<Report, TxError>,
    title: &str,
    show: Option<&Path>,
    base: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match result {
        Ok(_) => {
            let _ = writeln!(out, "{title}");
            if let Some(card) = show {
                let _ = writeln!(out, "  card: {}", display_path(base, card));
            }
            EXIT_CLEAN
        }
        // Exit 1 promises nothing was written; a failure part way is an I/O failure.
        Err(error) if error.may_have_written() => {
            let _ = writeln!(
                err,
                "flowos-lsp: stopped part way: {error}; `flowos-lsp check --fix` finishes it \
                 from its record"
            );
            EXIT_USAGE
        }
        Err(error) => {
            let _ = writeln!(err, "flowos-lsp: refused: {error}");
            EXIT_ERRORS
        }
    }
}

/// The workspace below `options.path` (after recovery, when `recover`) and the task
/// `options.task` names in it; Err is the exit code, the reason already on `err`.
pub fn load_task(
    options: &TaskCommandOptions,
    recover: bool,
    err: &mut dyn Write,
) -> Result<(Workspace, TaskIdx), i32> {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let tasks_root = options.tasks_root.as_deref();
    let workspace = if recover {
        load_recovered(&base, tasks_root, err)?
    } else {
        load_workspace(&base, tasks_root, err)?
    };
    match find_task(&workspace, &options.task) {
        Ok(task) => Ok((workspace, task)),
        Err(message) => {
            let _ = writeln!(err, "flowos-lsp: {message}");
            Err(EXIT_USAGE)
        }
    }
}

/// The dry run's report: every ledger line to append, every line a rewrite changes, every
/// move.
pub fn describe(
    workspace: &Workspace,
    base: &Path,
    planned: &PlannedTransition,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    describe_projected(
        workspace,
        base,
        &planned.plan.title,
        &planned.projected,
        out,
    )
}

/// The dry run's report of any projection (a transition's, a rename's), titled `title`.
pub fn describe_projected(
    workspace: &Workspace,
    base: &Path,
    title: &str,
    projected: &SourceChange,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "{title} (dry run; nothing written)")?;
    for part in &projected.changes {
        match part {
            FileChange::Append { file, lines } => {
                let path = &workspace.file(*file).path;
                writeln!(out, "append to {}:", display_path(base, path))?;
                for line in lines {
                    writeln!(out, "  + {line}")?;
                }
            }
            FileChange::Edit { file, .. } => {
                let source = workspace.file(*file);
                writeln!(out, "rewrite {}:", display_path(base, &source.path))?;
                let new_text = projected.new_text(*file, &source.text);
                for (removed, added) in changed_lines(&source.text, &new_text) {
                    for line in removed {
                        writeln!(out, "  - {line}")?;
                    }
                    for line in added {
                        writeln!(out, "  + {line}")?;
                    }
                }
            }
            FileChange::Create { path, text } => {
                writeln!(out, "create {}:", display_path(base, path))?;
                for line in text.lines() {
                    writeln!(out, "  + {line}")?;
                }
            }
            FileChange::Move { from, to } => writeln!(
                out,
                "move {} -> {}",
                display_path(base, from),
                display_path(base, to)
            )?,
        }
    }
    Ok(())
}

/// A line diff of `old` and `new` as hunks of (removed, added) lines: the longest common
/// subsequence of lines is kept, so only the lines that change are shown.
fn changed_lines(old: &str, new: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    // common[i][j]: the length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0u32; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut hunks = Vec::new();
    let mut hunk: (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            if !hunk.0.is_empty() || !hunk.1.is_empty() {
                hunks.push(std::mem::take(&mut hunk));
            }
            i += 1;
            j += 1;
        } else if j < new.len() && (i == old.len() || common[i][j + 1] >= common[i + 1][j]) {
            hunk.1.push(new[j].to_string());
            j += 1;
        } else {
            hunk.0.push(old[i].to_string());
            i += 1;
        }
    }
    if !hunk.0.is_empty() || !hunk.1.is_empty() {
        hunks.push(hunk);
    }
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_shows_only_the_lines_that_change() {
        let old = "a\nstage: next\nb\nc\n| 1 |\n| 2 |\n";
        let new = "a\nstage: current\nb\nc\n| 2 |\nlast: x\n";
        assert_eq!(
            changed_lines(old, new),
            vec![
                (
                    vec!["stage: next".to_string()],
                    vec!["stage: current".to_string()]
                ),
                (vec!["| 1 |".to_string()], vec![]),
                (vec![], vec!["last: x".to_string()]),
            ]
        );
    }
}
