//! `flowos-lsp graph [PATH] [--format dot|mermaid] [--from ID] [--depth N]`: the depends_on
//! graph (`ide::graph`) for Graphviz or mermaid.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::EXIT_USAGE;
use crate::cli::view_args::parse_view_args;
use crate::cli::workspace::load_workspace;
use crate::ide::graph::{GraphScope, dependency_graph, to_dot, to_mermaid};
use crate::ide::query::{QueryRequest, find};

pub const USAGE: &str = "\
usage: flowos-lsp graph [PATH] [--format dot|mermaid] [--from ID] [--depth N] [--tasks-root DIR]

Prints the depends_on graph: an edge from each task to every task it depends on, cycles in
red, targets that do not exist dashed. --from keeps the tasks linked to ID (both ways), within
--depth steps when given. Exit status: 0 printed, 2 usage, unknown task or I/O.";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Dot,
    Mermaid,
}

#[derive(Clone, Debug, Default)]
pub struct GraphOptions {
    pub path: Option<PathBuf>,
    pub tasks_root: Option<PathBuf>,
    pub format: Format,
    pub from: Option<String>,
    pub depth: Option<usize>,
}

pub fn parse_args(args: &[String]) -> Result<GraphOptions, String> {
    let mut options = GraphOptions::default();
    let view = parse_view_args(args, |flag, cursor| {
        match flag {
            "--format" => {
                options.format = match cursor.value("--format")?.as_str() {
                    "dot" => Format::Dot,
                    "mermaid" => Format::Mermaid,
                    other => return Err(format!("unknown format `{other}`; use dot or mermaid")),
                }
            }
            "--from" => options.from = Some(cursor.value("--from")?),
            "--depth" => {
                let text = cursor.value("--depth")?;
                options.depth = Some(
                    text.parse()
                        .map_err(|_| format!("--depth wants a whole number, not `{text}`"))?,
                );
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if options.depth.is_some() && options.from.is_none() {
        return Err("--depth counts steps from a task: give --from ID too".to_string());
    }
    options.path = view.path;
    options.tasks_root = view.tasks_root;
    Ok(options)
}

pub fn run(options: &GraphOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let workspace = match load_workspace(&base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    let from = match &options.from {
        Some(spelling) => {
            let request = QueryRequest {
                query: "graph --from".to_string(),
                arg: Some(spelling.clone()),
                ..QueryRequest::default()
            };
            match find(&workspace, &request) {
                Ok(idx) => Some(idx),
                Err(error) => {
                    let _ = writeln!(err, "flowos-lsp: {}", error.0);
                    return EXIT_USAGE;
                }
            }
        }
        None => None,
    };
    let scope = GraphScope {
        from,
        depth: options.depth,
    };
    let graph = dependency_graph(&workspace, &scope);
    let text = match options.format {
        Format::Dot => to_dot(&graph),
        Format::Mermaid => to_mermaid(&graph),
    };
    // A closed pipe (`| head`) is not the command's failure.
    let _ = out.write_all(text.as_bytes());
    0
}
