//! What a rule's quick fix is made of (SPEC §4): the `Fix` it offers, the builder its fix
//! function fills in, and the combining of edits a fix spanning several files needs.
//!
//! Each fix computes the new text of the files it touches with the `edit` operations and is
//! reduced to the smallest edit per file, so it changes exactly the bytes it is about. A fix
//! is `safe` when it is the one right answer (the ledger, else the folder, says where the task
//! is; the card says what its index row should read); those are what "Fix all" and
//! `check --fix` apply, so both end in the same place. Choices between plausible answers
//! (which ID was meant, whether to waive a dependency) are offered but never applied in bulk.
//!
//! A fix never rewrites an existing ledger line (it may append one), creates a file only
//! where none exists, and edits only the file its diagnostic is about, except where the fix
//! by nature lives elsewhere: the other end of a two-way link, the index rows that mirror a
//! card.
//!
//! Merging lives here, below the rules, rather than in `ide::fixes` (fix-all), because a
//! rule's own fix combines edits too; `ide::fixes` depends on the rules, not the reverse.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::db::flow::ledger_ahead_or_behind;
use crate::db::vocab::Stage;
use crate::db::{FileId, Task, TaskIdx, Workspace};
use crate::ide::edit::frontmatter::{NewValue, set_field};
use crate::ide::source_change::{FileChange, SourceChange, TextEdit};
use crate::ide::types::{Config, Diagnostic, Rule};
use crate::syntax::card::FrontmatterEntry;
use crate::syntax::task_id::{TaskId, parse_folder_name};
use crate::syntax::yaml::YamlValue;

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
    /// pending-proposal: approve proposal `number` of `task` as the person acting (performed
    /// on disk by the server, like a transition).
    ApproveProposal {
        task: TaskIdx,
        number: u32,
    },
    /// pending-proposal: reject it, with a reason the person gives when it runs.
    RejectProposal {
        task: TaskIdx,
        number: u32,
    },
    /// pending-proposal on a task draft: create the task as the person acting (as `new`
    /// does), recording the approval in the drafts file.
    ApproveDraft {
        root: usize,
        number: u32,
    },
    /// pending-proposal on a task draft: reject it, with a reason.
    RejectDraft {
        root: usize,
        number: u32,
    },
}

/// A rule's fix function: offers into `fixes` the ways to remove `diagnostic`'s cause.
pub(crate) type FixFn = fn(&Workspace, &Diagnostic, &mut Fixes);

/// The fixes found for one diagnostic, as a rule's fix function offers them.
pub(crate) struct Fixes<'c> {
    rule: Rule,
    /// The clock and the user, for the fixes that append an event.
    pub(crate) ctx: &'c Config,
    list: Vec<Fix>,
}

impl<'c> Fixes<'c> {
    pub(crate) fn new(rule: Rule, ctx: &'c Config) -> Self {
        Fixes {
            rule,
            ctx,
            list: Vec::new(),
        }
    }

    /// Offers `change` (when there is one) under `label`.
    pub(crate) fn change(
        &mut self,
        label: impl Into<String>,
        safe: bool,
        change: Option<SourceChange>,
    ) {
        if let Some(change) = change {
            self.list.push(Fix {
                label: label.into(),
                rule: self.rule,
                safe,
                action: FixAction::Change(change),
            });
        }
    }

    /// Offers to finish moving `task` to `stage`.
    pub(crate) fn transition(
        &mut self,
        label: impl Into<String>,
        safe: bool,
        task: TaskIdx,
        stage: Stage,
    ) {
        self.list.push(Fix {
            label: label.into(),
            rule: self.rule,
            safe,
            action: FixAction::CompleteTransition { task, stage },
        });
    }

    /// Offers an action on disk that is not a text edit (approving or rejecting a proposal):
    /// never safe, so never applied in bulk.
    pub(crate) fn action(&mut self, label: impl Into<String>, action: FixAction) {
        self.list.push(Fix {
            label: label.into(),
            rule: self.rule,
            safe: false,
            action,
        });
    }

    /// The fixes offered, safe ones first.
    pub(crate) fn into_list(self) -> Vec<Fix> {
        let mut list = self.list;
        list.sort_by_key(|fix| !fix.safe);
        list
    }
}

/// The change turning `file`'s text into `new`; None when there is no new text or it is
/// the same.
pub(crate) fn rewrite(
    workspace: &Workspace,
    file: FileId,
    new: Option<String>,
) -> Option<SourceChange> {
    SourceChange::rewrite(file, &workspace.file(file).text, &new?)
}

/// The change setting frontmatter field `key` of card `file` to `value`.
pub(crate) fn set(
    workspace: &Workspace,
    file: FileId,
    key: &str,
    value: &NewValue,
) -> Option<SourceChange> {
    rewrite(
        workspace,
        file,
        set_field(&workspace.file(file).text, key, value),
    )
}

/// The task whose card `file` is.
pub(crate) fn card_task(workspace: &Workspace, file: FileId) -> Option<&Task> {
    workspace
        .task_of_file(file)
        .filter(|task| task.card == Some(file))
}

/// The ID the task's folder is named for: the task's identity.
pub(crate) fn folder_id(task: &Task) -> Option<TaskId> {
    parse_folder_name(&task.folder_name).map(|(id, _)| id)
}

/// The frontmatter entries of `task`'s card.
pub(crate) fn entries<'w>(workspace: &'w Workspace, task: &Task) -> Option<&'w [FrontmatterEntry]> {
    Some(&workspace.card(task)?.frontmatter.block()?.entries)
}

/// Offers to set `task_id` of card `card` to `id` (labelled "Quote task_id" when that is all
/// it changes: `task_id: 0042` in folder 0042).
pub(crate) fn set_task_id(
    workspace: &Workspace,
    task: &Task,
    card: FileId,
    id: &str,
    safe: bool,
    fixes: &mut Fixes,
) {
    let written_as_number = entries(workspace, task)
        .and_then(|entries| entries.iter().find(|entry| entry.key == "task_id"))
        .filter(|entry| matches!(entry.value.value, YamlValue::Int(_) | YamlValue::Float(_)))
        .map(|entry| entry.value.range.slice(&workspace.file(card).text));
    let label = if written_as_number == Some(id) {
        "Quote task_id".to_string()
    } else {
        format!("Set task_id to \"{id}\"")
    };
    fixes.change(
        label,
        safe,
        set(workspace, card, "task_id", &NewValue::Str(id)),
    );
}

/// `parts` as one change; None when a part is missing (a fix is all or nothing) or two parts
/// collide.
pub(crate) fn combine(
    parts: impl IntoIterator<Item = Option<SourceChange>>,
) -> Option<SourceChange> {
    let mut merged = Merged::default();
    for part in parts {
        if merged.add(&part?) == Merge::Conflict {
            return None;
        }
    }
    Some(merged.into_change())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Merge {
    Added,
    AlreadyThere,
    Conflict,
}

/// Offers the move the ledger says happened: finishing an interrupted move (the ledger is
/// ahead) is the one right answer; moving a folder back that was moved by hand is only
/// offered. False when the ledger agrees with the folder.
pub(crate) fn move_where_the_ledger_says(ws: &Workspace, idx: TaskIdx, fixes: &mut Fixes) -> bool {
    let Some(stage) = ledger_ahead_or_behind(ws, idx) else {
        return false;
    };
    let task = ws.task(idx);
    fixes.transition(
        format!("Finish moving {} to {stage}", task.id),
        stage > task.stage,
        idx,
        stage,
    );
    true
}

/// The fix of a card's stage, shared by stage-mismatch and a missing `stage` (field-missing):
/// the folder is where the task is (moving it is a transition), unless the ledger records a
/// move the folder has not made: then finishing that move is the fix.
pub(crate) fn fix_stage(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(task) = card_task(ws, d.file) else {
        return;
    };
    if let Some(idx) = ws.task_idx_of_file(d.file)
        && move_where_the_ledger_says(ws, idx, fixes)
    {
        return;
    }
    let stage = task.stage.name();
    fixes.change(
        format!("Set stage to `{stage}`"),
        true,
        set(ws, d.file, "stage", &NewValue::Str(stage)),
    );
}

/// Changes being merged into one: edits per file and new files.
#[derive(Default)]
pub(crate) struct Merged {
    edits: BTreeMap<FileId, Vec<TextEdit>>,
    creates: Vec<(PathBuf, String)>,
}

impl Merged {
    /// Adds `change` unless one of its edits overlaps or touches a different edit already
    /// taken in the same file, or it creates a path already created with other text. Edits
    /// that touch are refused too: the order two insertions at one offset would apply in is
    /// a guess.
    pub(crate) fn add(&mut self, change: &SourceChange) -> Merge {
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
                // A fix edits and creates files; appends and moves are a transition's, whose
                // order and record a fix-all must not take apart.
                FileChange::Append { .. } | FileChange::Move { .. } => return Merge::Conflict,
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

    pub(crate) fn into_change(self) -> SourceChange {
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
