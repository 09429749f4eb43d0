//! The analysis' proposals spelled as disk transactions: a transition's projections and a set
//! of quick fixes become a [`DiskPlan`] whose every write checks the file is still what the
//! model read. Shared by `apply` (running what a person asked for) and `recovery` (finishing
//! what a crash cut short), which otherwise need nothing from each other's side.

use std::path::Path;

use crate::db::{FileId, Workspace};
use crate::ide::projection::Projected;
use crate::ide::source_change::{FileChange, SourceChange, apply_edits};
use crate::transaction::{Append, Create, DiskPlan, Move, Rewrite};

/// The disk transaction of a transition: every write checks the file is still what the model
/// read.
pub fn transition_disk_plan(workspace: &Workspace, root: &Path, projected: &Projected) -> DiskPlan {
    let text = |file: FileId| workspace.file(file).text.to_string();
    let path = |file: FileId| workspace.file(file).path.clone();
    DiskPlan {
        root: root.to_path_buf(),
        appends: projected
            .appends
            .iter()
            .map(|(file, lines)| Append {
                path: path(*file),
                expected: Some(text(*file)),
                lines: lines.clone(),
            })
            .collect(),
        rewrites: projected
            .cards
            .iter()
            .chain(&projected.indexes)
            .map(|(file, new_text)| Rewrite {
                path: path(*file),
                expected: text(*file),
                new_text: new_text.clone(),
            })
            .collect(),
        creates: Vec::new(),
        moves: projected
            .moves
            .iter()
            .map(|(from, to)| Move {
                from: from.clone(),
                to: to.clone(),
            })
            .collect(),
        intent: None,
    }
}

/// The disk transaction of a set of quick fixes: edited files are rewritten whole (temp file
/// and rename) if they are still what the model read; new files are created, never replaced.
/// Fixes that append to a ledger become appends, so a ledger is never rewritten.
pub fn change_disk_plan(workspace: &Workspace, root: &Path, change: &SourceChange) -> DiskPlan {
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
                    && matches!(source.role, crate::db::FileRole::Ledger)
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
            FileChange::Create { path, text } => plan.creates.push(Create {
                path: path.clone(),
                text: text.clone(),
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
