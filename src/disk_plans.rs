//! The analysis' plan of a change spelled as the transaction's plan: a [`SourceChange`] (a
//! transition's projections, a rename, an approval, a set of quick fixes) becomes a
//! [`DiskPlan`] of paths whose every write checks the file is still what the model read.
//! Shared by `apply` (running what a person asked for), `propose` and `recovery` (finishing
//! what a crash cut short), which otherwise need nothing from each other's side.

use std::path::Path;

use crate::db::{FileRole, Workspace};
use crate::ide::source_change::{FileChange, SourceChange, apply_edits};
use crate::transaction::{Append, Create, DiskPlan, Move, Rewrite};

/// The disk transaction of `change` in tasks root `root`: appends and edited files checked
/// against the texts the model read (an edited file is rewritten whole, through a temporary
/// file and a rename), new files created and never replaced, folders moved in order. An
/// edit that only adds whole lines to a ledger (a fix's) becomes an append, so a ledger is
/// never rewritten.
pub fn disk_plan(workspace: &Workspace, root: &Path, change: &SourceChange) -> DiskPlan {
    let mut plan = DiskPlan {
        root: root.to_path_buf(),
        ..DiskPlan::default()
    };
    for part in &change.changes {
        match part {
            FileChange::Edit { file, edits } => {
                let source = workspace.file(*file);
                let old = source.text.to_string();
                let new_text = apply_edits(&old, edits);
                if let Some(lines) = appended_lines(&old, &new_text)
                    && matches!(source.role, FileRole::Ledger)
                {
                    plan.appends.push(Append {
                        path: source.path.clone(),
                        expected: Some(old),
                        lines,
                    });
                } else {
                    plan.rewrites.push(Rewrite {
                        path: source.path.clone(),
                        expected: old,
                        new_text,
                    });
                }
            }
            FileChange::Append { file, lines } => {
                let source = workspace.file(*file);
                plan.appends.push(Append {
                    path: source.path.clone(),
                    expected: Some(source.text.to_string()),
                    lines: lines.clone(),
                });
            }
            FileChange::Create { path, text } => plan.creates.push(Create {
                path: path.clone(),
                text: text.clone(),
            }),
            FileChange::Move { from, to } => plan.moves.push(Move {
                from: from.clone(),
                to: to.clone(),
            }),
        }
    }
    plan
}

/// The lines `new` adds after `old`, when `new` only appends whole lines to it.
fn appended_lines(old: &str, new: &str) -> Option<Vec<String>> {
    let added = new.strip_prefix(old)?;
    let added = added.strip_prefix('\n').unwrap_or(added);
    let lines: Vec<String> = added.lines().map(str::to_string).collect();
    (!lines.is_empty()).then_some(lines)
}
