//! `flowos-lsp rename <TASK-ID> "<new name>" [PATH]`: the editor's rename for scripts, as the
//! same transaction (SPEC §4, §5). `--dry-run` prints what would be written.

use std::io::Write;
use std::path::PathBuf;

use crate::apply;
use crate::cli::transition::{describe_projected, find_task, recover_first};
use crate::cli::workspace::{display_path, load_workspace};
use crate::cli::{
    EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE, WriterArgs, no_more_positional, now_at_the_edge,
};
use crate::ide::types::Config;
use crate::transaction::Options;

pub const USAGE: &str = "\
usage: flowos-lsp rename <TASK-ID> \"<NEW NAME>\" [PATH] [--tasks-root DIR] [--user @name]
                         [--dry-run] [--now RFC3339]

Renames a task as one transaction: appends a content_updated event (old and new name) to its
ledger, sets task_name (and the title headings that hold the old name), renames its folder
and card file to the new name's slug (TASK-0042-new-name/0042-new-name.task.md), and updates
its INDEX.md rows and every markdown link that led to the old paths. Never replaces a path
that exists. The event records --user, else FLOWOS_USER, else the task's current DRI.
Exit status: 0 done, 1 refused, nothing written (the reason is on stderr), 2 usage or I/O
failure (a rename stopped part way is finished by `check --fix`).";

#[derive(Debug, Default)]
pub struct RenameOptions {
    pub task: String,
    pub name: String,
    pub path: Option<PathBuf>,
    /// The tasks root, instead of searching PATH for one (`--tasks-root`).
    pub tasks_root: Option<PathBuf>,
    pub dry_run: bool,
    /// The moment and the acting user (`--now`, `--user`, else the environment and the
    /// clock).
    pub config: Config,
}

pub fn parse_args(args: &[String]) -> Result<RenameOptions, String> {
    let mut dry_run = false;
    let parsed = WriterArgs::parse(args, |flag, _| {
        dry_run |= flag == "--dry-run";
        Ok(flag == "--dry-run")
    })?;
    let mut positional = parsed.positional.into_iter();
    let mut options = RenameOptions {
        task: positional.next().ok_or("give the task's ID")?,
        name: positional.next().ok_or("give the new name")?,
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

pub fn run(options: &RenameOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let tasks_root = options.tasks_root.as_deref();
    let mut workspace = match load_workspace(&base, tasks_root, err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    if !options.dry_run {
        workspace = match recover_first(workspace, &base, tasks_root, err) {
            Ok(workspace) => workspace,
            Err(code) => return code,
        };
    }
    let task = match find_task(&workspace, &options.task) {
        Ok(task) => task,
        Err(message) => {
            let _ = writeln!(err, "flowos-lsp: {message}");
            return EXIT_USAGE;
        }
    };
    let planned = match apply::plan_rename(&workspace, task, &options.name, &options.config) {
        Ok(planned) => planned,
        Err(reason) => {
            let _ = writeln!(err, "flowos-lsp: refused: {reason}");
            return EXIT_ERRORS;
        }
    };
    let renamed = &planned.renamed;
    if options.dry_run {
        let _ = describe_projected(&workspace, &base, &renamed.title, &renamed.projected, out);
        return EXIT_CLEAN;
    }
    match apply::run(&planned.disk, &Options::from_env()) {
        Ok(_) => {
            let _ = writeln!(out, "{}", renamed.title);
            if let Some(card) = &renamed.projected.show {
                let _ = writeln!(out, "  card: {}", display_path(&base, card));
            }
            EXIT_CLEAN
        }
        // Exit 1 promises nothing was written; a failure part way is an I/O failure.
        Err(error) if error.may_have_written() => {
            let _ = writeln!(
                err,
                "flowos-lsp: stopped part way: {error}; `flowos-lsp check --fix` finishes the \
                 rename from its record"
            );
            EXIT_USAGE
        }
        Err(error) => {
            let _ = writeln!(err, "flowos-lsp: refused: {error}");
            EXIT_ERRORS
        }
    }
}
