//! `flowos-lsp new "<name>" [PATH]`: WF1 from the command line — reserve the next ID under
//! the tasks root's lock, create the package in inbox, add its index rows.

use crate::apply;
use crate::cli::workspace::{display_path, load_recovered};
use crate::cli::{
    EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE, WriterArgs, acting_user, no_more_positional,
    now_at_the_edge,
};
use crate::ide::types::Config;
use std::io::Write;
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: flowos-lsp new \"<name>\" [PATH] [--tasks-root DIR] [--namespace NS] [--user @name] [--now RFC3339]

Creates a task in inbox: reserves the next ID from ID_COUNTER.txt under a lock, writes the
card, context and ledger (id_reserved, created) and adds the index rows. Prints the card's path.
The creator is --user, else the environment's FLOWOS_USER; without either, nothing is created.
Exit status: 0 created, 1 refused (the reason is on stderr), 2 usage or I/O failure.";

#[derive(Debug, Default)]
pub struct NewOptions {
    pub name: String,
    pub path: Option<PathBuf>,
    /// The tasks root, instead of searching PATH for one (`--tasks-root`).
    pub tasks_root: Option<PathBuf>,
    pub namespace: Option<String>,
    /// Who creates the task (`--user`, else `FLOWOS_USER`) and when (`--now`, else
    /// `FLOWOS_NOW`, else the clock).
    pub config: Config,
}

pub fn parse_args(args: &[String]) -> Result<NewOptions, String> {
    let mut namespace = None;
    let parsed = WriterArgs::parse(args, |flag, cursor| match flag {
        "--namespace" => {
            namespace = Some(cursor.value("--namespace")?);
            Ok(true)
        }
        _ => Ok(false),
    })?;
    let mut positional = parsed.positional.into_iter();
    let mut options = NewOptions {
        name: positional.next().ok_or("give the new task's name")?,
        path: positional.next().map(PathBuf::from),
        tasks_root: parsed.tasks_root,
        namespace,
        config: Config::default(),
    };
    no_more_positional(positional)?;
    // The edge: the clock and the acting user are read here, once, as every writer does.
    options.config.now = now_at_the_edge(parsed.now)?;
    options.config.user = acting_user(parsed.user.as_deref());
    Ok(options)
}

/// Why `new` refuses without a user, and how to give one.
pub const NO_USER: &str = "who creates the task? The ledger records its creator: \
give --user @name, or set FLOWOS_USER=@name in the environment";

pub fn run(options: &NewOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if options.config.user.is_none() {
        let _ = writeln!(err, "flowos-lsp: {NO_USER}");
        return EXIT_USAGE;
    }
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let workspace = match load_recovered(&base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    if workspace.roots.len() > 1 {
        let _ = writeln!(
            err,
            "flowos-lsp: {} holds {} tasks roots; give the one to create the task in",
            base.display(),
            workspace.roots.len()
        );
        return EXIT_USAGE;
    }
    match apply::create_task(
        &workspace,
        0,
        &options.name,
        options.namespace.as_deref(),
        &options.config,
    ) {
        Ok(created) => {
            let _ = writeln!(
                out,
                "{} created: {}",
                created.id,
                display_path(&base, &created.card)
            );
            EXIT_CLEAN
        }
        Err(failure) if failure.partial => {
            let _ = writeln!(
                err,
                "flowos-lsp: stopped part way: {failure}; `flowos-lsp check --fix` repairs what \
                 was written"
            );
            EXIT_USAGE
        }
        Err(failure) => {
            let _ = writeln!(err, "flowos-lsp: refused: {failure}");
            EXIT_ERRORS
        }
    }
}
