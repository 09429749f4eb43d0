//! `flowos-lsp rename <TASK-ID> "<new name>" [PATH]`: the editor's rename for scripts, as the
//! same transaction (SPEC §4, §5). `--dry-run` prints what would be written.

use std::io::Write;
use std::path::PathBuf;

use crate::apply;
use crate::cli::transition::{
    TaskCommandOptions, describe_projected, load_task, parse_task_command, report_run,
};
use crate::cli::{EXIT_CLEAN, EXIT_ERRORS};
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

pub type RenameOptions = TaskCommandOptions;

pub fn parse_args(args: &[String]) -> Result<RenameOptions, String> {
    parse_task_command(args, "give the new name")
}

pub fn run(options: &RenameOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let (workspace, task) = match load_task(options, !options.dry_run, err) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let planned = match apply::plan_rename(&workspace, task, &options.value, &options.config) {
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
    let result = apply::run(&planned.disk, &Options::from_env());
    let show = planned.show.as_deref();
    report_run(result, &renamed.title, show, &base, out, err)
}
