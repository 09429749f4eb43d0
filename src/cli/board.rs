//! `flowos-lsp board [PATH] [-o FILE]`: the board (`ide::board`) as one self-contained HTML
//! file, on standard output or into FILE.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::EXIT_USAGE;
use crate::cli::query::clock_now;
use crate::cli::view_args::parse_view_args;
use crate::cli::workspace::load_workspace;
use crate::ide::board::{board_data, board_html};

pub const USAGE: &str = "\
usage: flowos-lsp board [PATH] [-o FILE] [--now RFC3339] [--tasks-root DIR]

Writes the board, one HTML file that needs no network: the Now view, the stage columns with
their cards and WIP against the limits, and the dependency graph with cycles and missing
dependencies marked. Without -o it goes to standard output. --now (or $FLOWOS_NOW) fixes the
clock. Exit status: 0 written, 2 usage or I/O.";

#[derive(Clone, Debug, Default)]
pub struct BoardOptions {
    pub path: Option<PathBuf>,
    pub tasks_root: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub now: Option<i64>,
}

pub fn parse_args(args: &[String]) -> Result<BoardOptions, String> {
    let mut output = None;
    let view = parse_view_args(args, |flag, cursor| {
        if !matches!(flag, "-o" | "--output") {
            return Ok(false);
        }
        output = Some(PathBuf::from(cursor.value(flag)?));
        Ok(true)
    })?;
    Ok(BoardOptions {
        path: view.path,
        tasks_root: view.tasks_root,
        output,
        now: view.now,
    })
}

pub fn run(options: &BoardOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    // Absolute, so that the cards' links work wherever the page is opened from.
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let base = std::path::absolute(&base).unwrap_or(base);
    let workspace = match load_workspace(&base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    let html = board_html(&board_data(
        &workspace,
        options.now.unwrap_or_else(clock_now),
    ));
    match &options.output {
        // The file the user named, outside the tasks root by their choice.
        Some(path) => {
            if let Err(error) = std::fs::write(path, html) {
                let _ = writeln!(err, "flowos-lsp: cannot write {}: {error}", path.display());
                return EXIT_USAGE;
            }
        }
        None => {
            // A closed pipe (`| head`) is not the command's failure.
            let _ = out.write_all(html.as_bytes());
        }
    }
    0
}
