//! A test helper, not part of the product: one process appending to a ledger through the
//! transaction layer, so that tests/concurrent_writers.rs can race several real processes on
//! the real lock. `append-worker <ledger> <worker number> <events>` appends `<events>` lines
//! (see `support/append.rs`) one transaction at a time and exits 0 when all are written.

#[path = "../support/append.rs"]
mod append;

use std::path::PathBuf;
use std::process::ExitCode;

use flowos_lsp::transaction::{Append, DiskPlan, Options};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ledger, worker, events] = args.as_slice() else {
        eprintln!("usage: append-worker <ledger> <worker number> <events>");
        return ExitCode::FAILURE;
    };
    let (Ok(worker), Ok(events)) = (worker.parse::<usize>(), events.parse::<usize>()) else {
        eprintln!("append-worker: the worker number and the event count are numbers");
        return ExitCode::FAILURE;
    };
    let ledger = PathBuf::from(ledger);
    // <root>/<stage>/<package>/<ledger>
    let Some(root) = ledger.ancestors().nth(3) else {
        eprintln!(
            "append-worker: {} is not inside a tasks root",
            ledger.display()
        );
        return ExitCode::FAILURE;
    };
    for seq in 0..events {
        let plan = DiskPlan {
            root: root.to_path_buf(),
            appends: vec![Append {
                path: ledger.clone(),
                // Appends are not planned from a text here; each takes the lock as it is.
                expected: None,
                lines: vec![append::worker_line(worker, seq)],
            }],
            ..DiskPlan::default()
        };
        if let Err(error) = flowos_lsp::apply::run(&plan, &Options::default()) {
            eprintln!("append-worker {worker}: append {seq} failed: {error:?}");
            return ExitCode::FAILURE;
        }
    }
    println!("appended {events}");
    ExitCode::SUCCESS
}
