//! The floor of SPEC §7 as a process of its own: `cargo run --release --example floor --
//! <FOLDER> [--runs N]` walks `<FOLDER>/.work/tasks` (or `<FOLDER>` itself when it holds no
//! `.work/tasks`), reads and parses every file (see `benches/support/floor.rs`), and prints
//! what it parsed and how long each run took. It imports nothing from the product.

#[path = "../benches/support/floor.rs"]
mod floor;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut folder: Option<PathBuf> = None;
    let mut runs = 1usize;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => runs = n,
                None => {
                    eprintln!("floor: --runs needs a number");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: floor <FOLDER> [--runs N]");
                return ExitCode::SUCCESS;
            }
            path if folder.is_none() => folder = Some(PathBuf::from(path)),
            extra => {
                eprintln!("floor: unexpected argument `{extra}`");
                return ExitCode::from(2);
            }
        }
    }
    let Some(folder) = folder else {
        eprintln!("usage: floor <FOLDER> [--runs N]");
        return ExitCode::from(2);
    };
    let nested = folder.join(".work").join("tasks");
    let root = if nested.is_dir() { nested } else { folder };
    for _ in 0..runs.max(1) {
        match floor::run(&root) {
            Ok((tally, elapsed)) => println!(
                "{:.1} ms: {} files, {:.1} MB, {} markdown events, {} YAML blocks ({} errors), {} ledger lines ({} errors)",
                elapsed.as_secs_f64() * 1000.0,
                tally.files,
                tally.bytes as f64 / 1e6,
                tally.markdown_events,
                tally.frontmatters,
                tally.yaml_errors,
                tally.ledger_lines,
                tally.json_errors
            ),
            Err(error) => {
                eprintln!("floor: cannot walk {}: {error}", root.display());
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
