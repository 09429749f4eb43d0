//! The `flowos-lsp` binary: picks the subcommand and hands over; no logic lives here.

use std::process::ExitCode;

use flowos_lsp::cli::{
    self, approve, board, check, graph, new, now, propose, query, rename, report, rules, transition,
};

const USAGE: &str = "\
usage: flowos-lsp [--stdio | serve]   serve the Language Server Protocol over stdio
       flowos-lsp check [PATH] [--format human|json] [--rule NAME=SEVERITY]... [--extra-event NAME]...
       flowos-lsp check --fix [PATH]   apply every safe fix on disk, then check
       flowos-lsp transition <TASK-ID> <ACTION> [PATH] [--user @name] [--dry-run]
       flowos-lsp new \"<name>\" [PATH] [--namespace NS] [--user @name]
       flowos-lsp rename <TASK-ID> \"<new name>\" [PATH] [--user @name] [--dry-run]
       flowos-lsp propose <TASK-ID> <ACTION|FIELD=VALUE> --by <agent> [--note TEXT] [PATH]
       flowos-lsp approve <TASK-ID> [--proposal N] [PATH] [--user @name]   (or --auto)
       flowos-lsp reject <TASK-ID> [--proposal N] --reason TEXT [PATH] [--user @name]
       flowos-lsp mcp [PATH]   serve the Model Context Protocol over stdio, for agents
       flowos-lsp rules [NAME]   list every diagnostic rule, or print one rule's documentation
       flowos-lsp query <QUERY> [ARG] [PATH] [--format table|json|csv]   ask the tasks and ledgers (SPEC §9)
       flowos-lsp report weekly|blockers|p0|rework|learning [PATH] [--now RFC3339] [--week YYYY-Www]   flow reports in markdown (SPEC §9)
       flowos-lsp graph [PATH] [--format dot|mermaid] [--from ID] [--depth N]   the dependency graph
       flowos-lsp now [PATH] [--now RFC3339] [--color auto|always|never]   the Now view
       flowos-lsp board [PATH] [-o FILE] [--now RFC3339]   the board as one HTML file
       flowos-lsp --help | --version

check, transition, rename and new look for the tasks root (.work/tasks) in or below PATH, else in the
folders above it; --tasks-root DIR names it instead (relative to PATH).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        None | Some("--stdio" | "serve") => flowos_lsp::lsp::run(),
        Some("check") => subcommand(&args[1..], check::parse_args, check::run, check::USAGE),
        Some("transition") => subcommand(
            &args[1..],
            transition::parse_args,
            transition::run,
            transition::USAGE,
        ),
        Some("new") => subcommand(&args[1..], new::parse_args, new::run, new::USAGE),
        Some("rename") => subcommand(&args[1..], rename::parse_args, rename::run, rename::USAGE),
        Some("propose") => subcommand(
            &args[1..],
            propose::parse_args,
            propose::run,
            propose::USAGE,
        ),
        Some("approve") => subcommand(
            &args[1..],
            approve::parse_approve,
            approve::run_approve,
            approve::APPROVE_USAGE,
        ),
        Some("reject") => subcommand(
            &args[1..],
            approve::parse_reject,
            approve::run_reject,
            approve::REJECT_USAGE,
        ),
        Some("mcp") => flowos_lsp::mcp::run(&args[1..]),
        Some("rules") => subcommand(&args[1..], rules::parse_args, rules::run, rules::USAGE),
        Some("query") => subcommand(&args[1..], query::parse_args, query::run, query::USAGE),
        Some("report") => subcommand(
            &args[1..],
            report::parse_args,
            report::run,
            &report::usage(),
        ),
        Some("board") => subcommand(&args[1..], board::parse_args, board::run, board::USAGE),
        Some("now") => subcommand(&args[1..], now::parse_args, now::run, now::USAGE),
        Some("graph") => subcommand(&args[1..], graph::parse_args, graph::run, graph::USAGE),
        Some("--version" | "-V") => {
            print_out(&format!("flowos-lsp {}", env!("CARGO_PKG_VERSION")));
            0
        }
        Some("--help" | "-h" | "help") => {
            print_out(USAGE);
            0
        }
        Some(other) => {
            eprintln!("flowos-lsp: unknown command `{other}`\n{USAGE}");
            cli::EXIT_USAGE
        }
    };
    ExitCode::from(code as u8)
}

type Run<O> = fn(&O, &mut dyn std::io::Write, &mut dyn std::io::Write) -> i32;

/// Parses a subcommand's arguments and runs it; `--help` prints its usage, a bad argument
/// prints the problem and the usage with the usage exit code.
fn subcommand<O>(
    args: &[String],
    parse: fn(&[String]) -> Result<O, String>,
    run: Run<O>,
    usage: &str,
) -> i32 {
    match parse(args) {
        Ok(options) => {
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            run(&options, &mut stdout.lock(), &mut stderr.lock())
        }
        Err(message) if message.is_empty() => {
            print_out(usage);
            0
        }
        Err(message) => {
            eprintln!("flowos-lsp: {message}\n{usage}");
            cli::EXIT_USAGE
        }
    }
}

/// Prints `text` and a newline on stdout. A closed pipe (`flowos-lsp query --help | head -1`)
/// is not the command's failure, where `println!` would panic.
fn print_out(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
