//! Renames made by hand in an editor's explorer (`workspace/willRenameFiles`): a task folder
//! or card renamed in place gets the link edits that keep the indexes and other files leading
//! to it; a task folder dragged into another stage folder gets none, and a message naming
//! the transition that moves it with its ledger, frontmatter and index rows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::db::vocab::Stage;
use crate::db::{FileId, TaskIdx, Workspace};
use crate::ide::index_links::TaskPlace;
use crate::ide::source_change::{FileChange, SourceChange, TextEdit};
use crate::ide::transitions;
use crate::ide::types::Config;

use super::links;

/// The answer to renames about to happen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileRenames {
    /// Link edits, against the texts the model holds (the files still at their old paths).
    pub change: SourceChange,
    /// What to tell the user: moves that need a transition instead.
    pub messages: Vec<String>,
}

/// The edits and messages for `renames` (old path, new path), paths absolute.
pub fn file_renames(
    workspace: &Workspace,
    renames: &[(PathBuf, PathBuf)],
    config: &Config,
) -> FileRenames {
    let mut answer = FileRenames::default();
    let mut edits: BTreeMap<FileId, Vec<TextEdit>> = BTreeMap::new();
    for (old, new) in renames {
        let Some((idx, from, to)) = renamed_package(workspace, old, new) else {
            continue;
        };
        let task = workspace.task(idx);
        let new_stage = stage_of(&to.folder);
        if new_stage.is_some_and(|stage| stage != task.stage) || new_stage.is_none() {
            answer
                .messages
                .push(move_message(workspace, idx, new_stage, config));
            continue;
        }
        for file in links::candidates(workspace, task.root, &from) {
            let text = &workspace.file(file).text;
            let found = links::link_edits(workspace, file, text, &from, &to);
            if !found.is_empty() {
                edits.entry(file).or_default().extend(found);
            }
        }
    }
    for (file, mut file_edits) in edits {
        file_edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        file_edits.dedup();
        answer.change.changes.push(FileChange::Edit {
            file,
            edits: file_edits,
        });
    }
    answer
}

/// The task whose folder or card `old` is, where its package was and where it will be.
fn renamed_package(
    workspace: &Workspace,
    old: &Path,
    new: &Path,
) -> Option<(TaskIdx, TaskPlace, TaskPlace)> {
    let root = workspace.root_containing(old)?;
    let old_rel = relative(&root.path, old)?;
    let new_rel = relative(&root.path, new)?;
    root.tasks.iter().find_map(|&idx| {
        let task = workspace.task(idx);
        let from = TaskPlace::of(workspace, task);
        if task.folder == old_rel {
            let to = from.moved_to(&new_rel);
            return Some((idx, from, to));
        }
        if from.card.as_deref() == Some(old_rel.as_str()) {
            // A card renamed in its folder; moved anywhere else it leaves its package.
            let stays = new_rel
                .rsplit_once('/')
                .is_some_and(|(dir, _)| dir == task.folder);
            let to = TaskPlace {
                folder: task.folder.clone(),
                card: Some(new_rel.clone()),
            };
            return stays.then_some((idx, from, to));
        }
        None
    })
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// The stage a folder path (relative to the root) sits in: its last component before the
/// task folder that names a stage.
fn stage_of(folder: &str) -> Option<Stage> {
    let parts: Vec<&str> = folder.split('/').collect();
    parts[..parts.len().saturating_sub(1)]
        .iter()
        .rev()
        .find_map(|part| Stage::parse(part))
}

/// What to say about a task folder dragged out of its stage folder.
fn move_message(workspace: &Workspace, idx: TaskIdx, to: Option<Stage>, config: &Config) -> String {
    let task = workspace.task(idx);
    let id = &task.id;
    let from = task.stage;
    let Some(to) = to else {
        return format!(
            "{id} was moved out of the stage folders by hand; a task folder belongs in one, and \
             no edit keeps its links and index rows true there"
        );
    };
    let moved = format!(
        "{id} was moved from {from} to {to} by hand, so its ledger, frontmatter and index rows \
         still say {from}; no edit was made."
    );
    let offer = transitions::offers(workspace, idx, config)
        .into_iter()
        .find(|offer| offer.action.destination(from) == Some(to));
    match offer {
        Some(offer) => format!(
            "{moved} Move it back and use the transition \"{}\" (a code action on its card, or \
             `flowos-lsp transition {id} {}`); left as it is, ledger-stage-drift and \
             stage-mismatch offer the fix",
            offer.title,
            offer.action.cli_name()
        ),
        None => format!(
            "{moved} No transition moves a task from {from} to {to}; move it back, or the \
             ledger-stage-drift and stage-mismatch fixes will set it right"
        ),
    }
}
