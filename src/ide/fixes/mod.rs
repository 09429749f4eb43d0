//! Quick fixes: for a diagnostic, the changes that remove its cause, wherever the fix is
//! knowable (SPEC §4), as plain data.
//!
//! Each fix computes the new text of the files it touches with the `edit` operations and is
//! reduced to the smallest edit per file, so it changes exactly the bytes it is about. A fix
//! is `safe` when it is the one right answer (the ledger, else the folder, says where the task
//! is; the card says what its index row should read); those are what "Fix all" and
//! `check --fix` apply, so both end in the same place.
//! Choices between plausible answers (which ID was meant, whether to waive a dependency)
//! are offered but never applied in bulk.
//!
//! A fix never rewrites an existing ledger line (it may append one), creates a file only
//! where none exists, and edits only the file its diagnostic is about, except where the fix
//! by nature lives elsewhere: the other end of a two-way link, the index rows that mirror a
//! card.

mod frontmatter;
mod index;
mod package;
mod references;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::db::vocab::Stage;
use crate::db::{FileId, TaskIdx, Workspace};
use crate::ide::source_change::{FileChange, SourceChange, TextEdit};
use crate::ide::types::{Config, Diagnostic, Rule};

/// One way to fix one diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, as an editor shows it ("Set stage to `backlog`").
    pub label: String,
    pub rule: Rule,
    /// One right answer: applied by Fix all and `check --fix`.
    pub safe: bool,
    pub action: FixAction,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixAction {
    Change(SourceChange),
    /// ledger-stage-drift: finish the interrupted move (performed on disk by the server, not
    /// a text edit).
    CompleteTransition {
        task: TaskIdx,
        stage: Stage,
    },
}

/// The fixes for `diagnostic`, safe ones first.
pub fn fixes_for(workspace: &Workspace, ctx: &Config, diagnostic: &Diagnostic) -> Vec<Fix> {
    let mut fixes = Fixes {
        rule: diagnostic.rule,
        list: Vec::new(),
    };
    let (ws, d) = (workspace, diagnostic);
    if writes_index_rows(d.rule) && names_a_task_the_ledger_puts_elsewhere(ws, d) {
        // Index rows say where a task is; while its ledger and its folder disagree, a row
        // written from the folder would contradict the ledger. Finishing the move (the
        // ledger-stage-drift fix) rewrites them.
        return Vec::new();
    }
    match d.rule {
        Rule::StageMismatch => frontmatter::stage_mismatch(ws, d, &mut fixes),
        Rule::TaskIdMismatch => frontmatter::task_id_mismatch(ws, d, &mut fixes),
        Rule::FieldType => frontmatter::field_type(ws, d, &mut fixes),
        Rule::FieldMissing => frontmatter::field_missing(ws, d, &mut fixes),
        Rule::InvalidValue => frontmatter::invalid_value(ws, d, &mut fixes),
        Rule::InvalidDate => frontmatter::invalid_date(ws, d, &mut fixes),
        Rule::BlockedWithoutReason => frontmatter::blocked_without_reason(ws, d, &mut fixes),
        Rule::MissingDependency => references::missing_dependency(ws, d, &mut fixes),
        Rule::CanceledDependency => references::canceled_dependency(ws, d, &mut fixes),
        Rule::SelfDependency => references::self_dependency(ws, d, &mut fixes),
        Rule::UnlinkedInverse => references::unlinked_inverse(ws, d, &mut fixes),
        Rule::SplitLinkMismatch => references::split_link_mismatch(ws, d, &mut fixes),
        Rule::UnfinishedDependency => references::unfinished_dependency(ws, ctx, d, &mut fixes),
        Rule::IndexMissingRow => index::missing_row(ws, d, &mut fixes),
        Rule::IndexPhantomRow | Rule::IndexDuplicateRow => index::extra_row(ws, d, &mut fixes),
        Rule::IndexRowMismatch => index::row_mismatch(ws, d, &mut fixes),
        Rule::IndexBrokenLink => index::broken_link(ws, d, &mut fixes),
        Rule::MissingSection => package::missing_section(ws, d, &mut fixes),
        Rule::PackageFileMissing => package::package_file_missing(ws, d, &mut fixes),
        Rule::IdCounterStale => package::id_counter_stale(ws, d, &mut fixes),
        Rule::LedgerStageDrift => package::ledger_stage_drift(ws, d, &mut fixes),
        _ => {}
    }
    let mut list = fixes.list;
    list.sort_by_key(|fix| !fix.safe);
    list
}

/// The rules whose fixes write index rows (or their links) from where the task's folder is.
fn writes_index_rows(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::IndexMissingRow
            | Rule::IndexPhantomRow
            | Rule::IndexDuplicateRow
            | Rule::IndexRowMismatch
            | Rule::IndexBrokenLink
    )
}

/// Whether `d` (a diagnostic of an index rule) is about a task whose ledger puts it in another
/// stage than its folder: its file's task, the task at its other end, or its row's task.
fn names_a_task_the_ledger_puts_elsewhere(ws: &Workspace, d: &Diagnostic) -> bool {
    let drifts = |idx: &TaskIdx| package::ledger_ahead_or_behind(ws, *idx).is_some();
    let own = ws.task_idx_of_file(d.file);
    let related = d
        .related
        .iter()
        .filter_map(|related| ws.task_idx_of_file(related.file));
    own.into_iter().chain(related).any(|idx| drifts(&idx))
        || index::row_tasks_at(ws, d.file, d.range.start)
            .iter()
            .any(drifts)
}

/// One safe fix per diagnostic, skipping any whose edits overlap an earlier one's in the
/// same file; returns the merged change and how many fixes it holds.
///
/// Every fix is computed against the same texts, so two fixes may only be combined when
/// they touch different bytes; the skipped ones are found again (and fixed) on the next run.
/// A fix identical to one already taken (a row missing from the root index is reported on
/// both the card and the index) is not counted twice. Transitions are not text edits and
/// are left to the caller.
pub fn fix_all(
    workspace: &Workspace,
    ctx: &Config,
    diagnostics: &[Diagnostic],
) -> (SourceChange, usize) {
    let mut merged = Merged::default();
    let mut count = 0;
    for diagnostic in diagnostics {
        let change = fixes_for(workspace, ctx, diagnostic)
            .into_iter()
            .filter(|fix| fix.safe)
            .find_map(|fix| match fix.action {
                FixAction::Change(change) => Some(change),
                FixAction::CompleteTransition { .. } => None,
            });
        if let Some(change) = change
            && merged.add(&change) == Merge::Added
        {
            count += 1;
        }
    }
    (merged.into_change(), count)
}

/// The fixes found for one diagnostic.
struct Fixes {
    rule: Rule,
    list: Vec<Fix>,
}

impl Fixes {
    /// Offers `change` (when there is one) under `label`.
    fn change(&mut self, label: impl Into<String>, safe: bool, change: Option<SourceChange>) {
        if let Some(change) = change {
            self.list.push(Fix {
                label: label.into(),
                rule: self.rule,
                safe,
                action: FixAction::Change(change),
            });
        }
    }

    fn transition(&mut self, label: impl Into<String>, safe: bool, task: TaskIdx, stage: Stage) {
        self.list.push(Fix {
            label: label.into(),
            rule: self.rule,
            safe,
            action: FixAction::CompleteTransition { task, stage },
        });
    }
}

/// The change turning `file`'s text into `new`; None when there is no new text or it is
/// the same.
fn rewrite(workspace: &Workspace, file: FileId, new: Option<String>) -> Option<SourceChange> {
    SourceChange::rewrite(file, &workspace.file(file).text, &new?)
}

/// `parts` as one change; None when a part is missing (a fix is all or nothing) or two parts
/// collide.
fn combine(parts: impl IntoIterator<Item = Option<SourceChange>>) -> Option<SourceChange> {
    let mut merged = Merged::default();
    for part in parts {
        if merged.add(&part?) == Merge::Conflict {
            return None;
        }
    }
    Some(merged.into_change())
}

/// The first name in backticks in `message` (`required field `stage` is missing`), for the
/// rules that report several problems at one range and say in words which one they mean.
fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Merge {
    Added,
    AlreadyThere,
    Conflict,
}

/// Changes being merged into one: edits per file and new files.
#[derive(Default)]
struct Merged {
    edits: BTreeMap<FileId, Vec<TextEdit>>,
    creates: Vec<(PathBuf, String)>,
}

impl Merged {
    /// Adds `change` unless one of its edits overlaps or touches a different edit already
    /// taken in the same file, or it creates a path already created with other text. Edits
    /// that touch are refused too: the order two insertions at one offset would apply in is
    /// a guess.
    fn add(&mut self, change: &SourceChange) -> Merge {
        let mut new_edits: Vec<(FileId, &TextEdit)> = Vec::new();
        let mut new_creates: Vec<(&PathBuf, &String)> = Vec::new();
        for file_change in &change.changes {
            match file_change {
                FileChange::Edit { file, edits } => {
                    let taken = self.edits.get(file).map_or(&[][..], Vec::as_slice);
                    for edit in edits {
                        if taken.contains(edit)
                            || new_edits.iter().any(|(f, e)| f == file && *e == edit)
                        {
                            continue;
                        }
                        let collides = |other: &TextEdit| {
                            edit.range.start <= other.range.end
                                && other.range.start <= edit.range.end
                        };
                        if taken.iter().any(collides)
                            || new_edits.iter().any(|(f, e)| f == file && collides(e))
                        {
                            return Merge::Conflict;
                        }
                        new_edits.push((*file, edit));
                    }
                }
                FileChange::Create { path, text } => {
                    match self.creates.iter().find(|(taken, _)| taken == path) {
                        Some((_, taken_text)) if taken_text == text => {}
                        Some(_) => return Merge::Conflict,
                        None => new_creates.push((path, text)),
                    }
                }
            }
        }
        if new_edits.is_empty() && new_creates.is_empty() {
            return Merge::AlreadyThere;
        }
        for (file, edit) in new_edits {
            self.edits.entry(file).or_default().push(edit.clone());
        }
        for (path, text) in new_creates {
            self.creates.push((path.clone(), text.clone()));
        }
        Merge::Added
    }

    fn into_change(self) -> SourceChange {
        let mut changes: Vec<FileChange> = self
            .edits
            .into_iter()
            .map(|(file, mut edits)| {
                edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
                FileChange::Edit { file, edits }
            })
            .collect();
        changes.extend(
            self.creates
                .into_iter()
                .map(|(path, text)| FileChange::Create { path, text }),
        );
        SourceChange { changes }
    }
}

#[cfg(test)]
mod tests;
