//! Generates a benchmark workspace: `cargo run --release --example generate -- <FOLDER>
//! [--tasks N] [--seed S] [--faults K] [--namespaces] [--noisy]` writes `<FOLDER>/.work/tasks/`
//! (replacing it) and prints what it wrote. Check it with
//! `flowos-lsp check <FOLDER> --now 2026-12-31T00:00:00Z` (see `generator::NOW`).
//! `--noisy` writes a long-lived team's tree (SPEC §7): tens of thousands of warnings and
//! hints over most files at 10,000 tasks, besides any `--faults`.
//! Keep generated trees in `/tmp` or `target/`; they are never committed.

#[path = "../benches/support/generator.rs"]
mod generator;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: generate <FOLDER> [--tasks N] [--seed S] [--faults K] [--namespaces] [--noisy]\n\
     defaults: --tasks 1000 --seed 42 --faults 0, quiet";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (folder, options) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) if message == "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("generate: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let summary = match generator::generate(&folder, &options) {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("generate: cannot write {}: {error}", folder.display());
            return ExitCode::from(2);
        }
    };
    let elapsed = started.elapsed();
    println!(
        "generated {} tasks, {} files, {:.1} MB in {:.2} s under {}",
        summary.tasks,
        summary.files,
        summary.bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        summary.root.display()
    );
    println!("check it with: --now {}", generator::NOW);
    if !summary.faults.is_empty() {
        println!("{} injected faults:", summary.faults.len());
        for (rule, path) in &summary.faults {
            println!("  {rule:<26} {path}");
        }
    }
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Result<(PathBuf, generator::Options), String> {
    let mut folder: Option<PathBuf> = None;
    let mut options = generator::Options {
        tasks: 1000,
        seed: 42,
        faults: 0,
        namespaces: false,
        noisy: false,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = iter.next().ok_or_else(|| format!("{name} needs a value"))?;
            value
                .parse()
                .map_err(|_| format!("{name} needs a number, got `{value}`"))
        };
        match arg.as_str() {
            "--tasks" => options.tasks = number("--tasks")? as usize,
            "--seed" => options.seed = number("--seed")?,
            "--faults" => options.faults = number("--faults")? as usize,
            "--namespaces" => options.namespaces = true,
            "--noisy" => options.noisy = true,
            "-h" | "--help" => return Err("help".into()),
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            path if folder.is_none() => folder = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    let folder = folder.ok_or("a FOLDER is required")?;
    Ok((folder, options))
}
