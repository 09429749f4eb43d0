//! `check --fix`: finishes the transitions a crash interrupted (or discards those that never
//! committed) and removes the temporary files of dead writers, then applies every safe quick
//! fix on disk (SPEC §5 write rules: stale files are refused, ledgers only appended to, new
//! files never replace old ones), completes moves a ledger records, and hands back the re-read
//! workspace for the report.

use crate::cli::workspace::load_roots;
use crate::db::Workspace;
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::fixes::fix_all;
use crate::ide::source_change::SourceChange;
use crate::ide::types::{Config, Rule};
use crate::transaction::Options;
use crate::{apply, disk_plans};
use std::io::Write;
use std::path::Path;

/// Fixes can enable others (a created ledger gets rows checked); a few rounds reach the fixed
/// point, and the bound keeps a fix that never settles from looping.
const MAX_ROUNDS: usize = 4;

pub fn fix_on_disk(
    mut workspace: Workspace,
    base: &Path,
    config: &Config,
    err: &mut dyn Write,
) -> Result<Workspace, i32> {
    let ctx = config;
    // Each round re-reads the roots the check found, rather than searching again.
    let roots: Vec<std::path::PathBuf> = workspace
        .roots
        .iter()
        .map(|root| root.path.clone())
        .collect();
    let mut total = 0;
    // A record that cannot be finished leaves its tasks to a person: completing their moves
    // one by one would finish part of the transition only.
    let mut unrecovered = false;
    for round in 0..MAX_ROUNDS {
        // Interrupted transitions first, whole, from their records: each may have moved
        // folders and rewritten files the rest of the fixes then see.
        let mut recovered_any = false;
        for root in 0..workspace.roots.len() {
            match apply::recover(&workspace, root, round == 0) {
                Ok(recovered) => {
                    for line in recovered.describe(&workspace.roots[root].path) {
                        let _ = writeln!(err, "flowos-lsp: {line}");
                    }
                    unrecovered |= recovered.failed.is_some();
                    total += recovered.transitions.len();
                    recovered_any |= recovered.wrote();
                }
                Err(error) => {
                    let _ = writeln!(err, "flowos-lsp: fix: {error}");
                    unrecovered = true;
                }
            }
        }
        if recovered_any {
            workspace = load_roots(base, &roots, err);
            continue;
        }
        let diagnostics = workspace_diagnostics(&workspace, config);
        let mut wrote = false;
        let mut failed = false;
        let mut report = |error: String| {
            let _ = writeln!(err, "flowos-lsp: fix: {error}");
            failed = true;
        };
        // Moves and status changes a ledger records but no record covers (a transition of an
        // older version, or a folder moved back by hand): they move folders and rewrite
        // cards, which the text fixes then see.
        let drifted = diagnostics
            .iter()
            .filter(|d| {
                matches!(d.rule, Rule::LedgerStageDrift | Rule::LedgerStatusDrift) && !unrecovered
            })
            .filter_map(|d| workspace.task_idx_of_file(d.file));
        for task in drifted {
            let done = apply::plan_completion(&workspace, task).and_then(|(plan, _)| run(&plan));
            match done {
                Ok(()) => {
                    wrote = true;
                    total += 1;
                }
                Err(error) => report(error),
            }
        }
        if !wrote {
            let (change, count) = fix_all(&workspace, ctx, &diagnostics);
            let mut all_written = true;
            for (root, part) in split_by_root(&workspace, change) {
                match run(&disk_plans::disk_plan(&workspace, &root, &part)) {
                    Ok(()) => wrote = true,
                    Err(error) => {
                        all_written = false;
                        report(error);
                    }
                }
            }
            if all_written {
                total += count;
            }
        }
        if wrote {
            // Re-read what was written, so the report (and the next round) see it.
            workspace = load_roots(base, &roots, err);
        }
        if !wrote || failed {
            break;
        }
    }
    let _ = writeln!(
        err,
        "flowos-lsp: applied {total} fix{}",
        if total == 1 { "" } else { "es" }
    );
    Ok(workspace)
}

fn run(plan: &crate::transaction::DiskPlan) -> Result<(), String> {
    // Only the pause hook: a kill or stop point is the recovery's to honour (the crash tests
    // kill recoveries), which runs first.
    let options = Options {
        pause_after: Options::from_env().pause_after,
        ..Options::default()
    };
    apply::run(plan, &options)
        .map(|_| ())
        .map_err(|error| error.to_string())
}

/// A change's parts grouped by the tasks root they lie in (each root is its own transaction).
fn split_by_root(
    workspace: &Workspace,
    change: SourceChange,
) -> Vec<(std::path::PathBuf, SourceChange)> {
    let mut parts: Vec<(std::path::PathBuf, SourceChange)> = Vec::new();
    for part in change.changes {
        let Some(root) = workspace
            .root_containing(part.path(workspace))
            .map(|root| root.path.clone())
        else {
            continue;
        };
        match parts.iter_mut().find(|(known, _)| *known == root) {
            Some((_, change)) => change.changes.push(part),
            None => parts.push((
                root,
                SourceChange {
                    changes: vec![part],
                },
            )),
        }
    }
    parts
}
