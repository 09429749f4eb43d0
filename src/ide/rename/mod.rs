//! Renaming a task (SPEC §4 "Rename"): where a name can be renamed from (its `task_name`,
//! the card's or context's title heading, an index Name cell) and why an ID cannot, and the
//! rename as a transition-grade change: a `content_updated` line in the ledger, the new
//! `task_name` (and title headings), the index rows, every markdown link into the package,
//! and the package folder and card file renamed to the new slug. Computed from texts as
//! a [`SourceChange`], so the edge writes (and finishes after a crash) it exactly as it writes a
//! transition. `files.rs` answers renames made by hand in an editor's explorer.

mod files;
mod links;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::base::TextRange;
use crate::db::events::event_line;
use crate::db::{FileId, FileRole, Parsed, Task, TaskIdx, Workspace};
use crate::ide::index_links::TaskPlace;
use crate::ide::new_task::{clean_name, slug};
use crate::ide::projection::project;
use crate::ide::source_change::{FileChange, SourceChange, apply_edits};
use crate::ide::task_of_position::task_of_position;
use crate::ide::transitions::{FieldUpdate, TaskChange};
use crate::ide::types::Config;
use crate::syntax::index_table::Column;
use crate::syntax::task_id::{parse_file_prefix, parse_folder_name};
use crate::syntax::time::format_rfc3339;

pub use files::{FileRenames, file_renames};

/// A name under the cursor that a rename changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameTarget {
    pub task: TaskIdx,
    /// The name as written there (what the editor selects and offers to edit).
    pub range: TextRange,
    /// The task's name, the editor's placeholder.
    pub name: String,
}

/// Why an ID is not renamed, for people.
pub fn id_is_permanent(id: &str) -> String {
    format!(
        "{id} is an ID, and IDs are permanent: ledgers, indexes and other cards name the task by \
         it, and the counter never hands it out again. Rename the task's name instead (its \
         `task_name`, title heading or index Name cell)"
    )
}

/// What can be renamed at `offset` of `file`: Ok(Some) on a task's name, Err with the reason
/// on a task ID (a reference, `task_id`, an index ID cell), Ok(None) anywhere else.
pub fn prepare(
    workspace: &Workspace,
    file: FileId,
    offset: usize,
) -> Result<Option<RenameTarget>, String> {
    let source = workspace.file(file);
    let inside = |range: TextRange| range.start as usize <= offset && offset <= range.end as usize;
    if let Some(mention) = workspace
        .mentions_in(file)
        .iter()
        .find(|mention| inside(mention.range))
    {
        return Err(id_is_permanent(&mention.id.to_string()));
    }
    let Some(task) = task_of_position(workspace, file, offset) else {
        return Ok(None);
    };
    let name = workspace
        .task(task)
        .meta
        .task_name
        .clone()
        .unwrap_or_default();
    let target = |range: TextRange| {
        Ok(Some(RenameTarget {
            task,
            range,
            name: name.clone(),
        }))
    };
    match (&source.parsed, &source.role) {
        (Parsed::Card(card), FileRole::Card) => {
            if let Some(block) = card.frontmatter.block() {
                if let Some(entry) = block.get("task_name")
                    && inside(entry.value.range)
                {
                    return target(entry.value.inner_range());
                }
                if let Some(entry) = block.get("task_id")
                    && (inside(entry.value.range) || inside(entry.key_range))
                {
                    return Err(id_is_permanent(&workspace.task(task).id.to_string()));
                }
            }
            match name_in_title(&source.text, card.body_start, &name) {
                Some(range) if inside(title_line(&source.text, range)) => target(range),
                _ => Ok(None),
            }
        }
        (_, FileRole::Context) => match name_in_title(&source.text, 0, &name) {
            Some(range) if inside(title_line(&source.text, range)) => target(range),
            _ => Ok(None),
        },
        (Parsed::Index(parsed), _) => {
            let Some(table) = &parsed.table else {
                return Ok(None);
            };
            let Some(row) = table.rows.iter().find(|row| inside(row.range)) else {
                return Ok(None);
            };
            if let Some(cell) = row.cell(table, Column::Name)
                && inside(cell.range)
            {
                // A linked name renames its text, never the link's target.
                let range = cell.whole_link().map_or(cell.range, |link| link.text_range);
                return target(range);
            }
            match row.cell(table, Column::Id) {
                Some(cell) if inside(cell.range) => {
                    Err(id_is_permanent(&workspace.task(task).id.to_string()))
                }
                _ => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// A rename, ready to be written as a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamed {
    /// `Rename TASK-0042 to "New name"`, for messages and the intent record.
    pub title: String,
    pub old_name: String,
    pub new_name: String,
    /// The `task_name` and `last_updated` values set, in order (the intent record keeps them).
    pub fields: Vec<(&'static str, FieldUpdate)>,
    pub projected: SourceChange,
}

/// Plans renaming `task` to `new_name`, re-validated against the model: refused (Err, for
/// people) when the name is empty or unchanged, the new folder or card name is taken, the
/// package lacks the card or ledger a rename writes, or no one is known to record it.
pub fn plan(
    workspace: &Workspace,
    idx: TaskIdx,
    new_name: &str,
    config: &Config,
) -> Result<Renamed, String> {
    let task = workspace.task(idx);
    let new_name = clean_name(new_name);
    if new_name.is_empty() {
        return Err(format!("{} needs a name that is not blank", task.id));
    }
    let old_name = task.meta.task_name.clone().unwrap_or_default();
    let from = TaskPlace::of(workspace, task);
    let to = renamed_place(workspace, task, &new_name);
    if old_name == new_name && from == to {
        return Err(format!("{} is already named \"{new_name}\"", task.id));
    }
    taken(workspace, task, &from, &to)?;
    let user = config
        .user
        .clone()
        .or_else(|| task.meta.current_dri.clone())
        .filter(|user| !user.trim().is_empty())
        .ok_or_else(|| {
            format!(
                "{} has no current_dri and no user is set, so the ledger would record an \
                 unknown actor: give --user @name or FLOWOS_USER (flowos.user in an editor)",
                task.id
            )
        })?;
    let ts = format_rfc3339(config.now);
    let card_name = to
        .card
        .as_deref()
        .and_then(|card| card.rsplit('/').next())
        .unwrap_or_default();
    let event = event_line(
        &ts,
        &user,
        "content_updated",
        &format!("Renamed from \"{old_name}\" to \"{new_name}\""),
        &[
            ("file", card_name),
            ("old_name", &old_name),
            ("new_name", &new_name),
        ],
    );
    let fields = vec![
        ("task_name", FieldUpdate::Set(new_name.clone())),
        ("last_updated", FieldUpdate::Set(ts[..10].to_string())),
    ];
    let change = TaskChange {
        task: idx,
        events: vec![event],
        fields: fields.clone(),
        to_stage: None,
    };
    let projected = project_rename(workspace, &change, &old_name, &new_name)?;
    Ok(Renamed {
        title: format!("Rename {} to \"{new_name}\"", task.id),
        old_name,
        new_name,
        fields,
        projected,
    })
}

/// The projections of a rename against the model as it is now: `change` (the ledger line, or
/// none when finishing one already committed, and the frontmatter values), the title
/// headings, the index rows and links, and the moves still to make. Idempotent: run again
/// after part of it was written (recovery), it finds that part done.
pub fn project_rename(
    workspace: &Workspace,
    change: &TaskChange,
    old_name: &str,
    new_name: &str,
) -> Result<SourceChange, String> {
    let task = workspace.task(change.task);
    let projected = project(workspace, std::slice::from_ref(change))?;
    // The new texts of the files the projection edits, to be edited further: the headings and
    // links a rename changes land in the same cards and indexes.
    let mut texts: BTreeMap<FileId, String> = BTreeMap::new();
    let mut appends = Vec::new();
    for part in projected.changes {
        match part {
            FileChange::Edit { file, edits } => {
                texts.insert(file, apply_edits(&workspace.file(file).text, &edits));
            }
            other => appends.push(other),
        }
    }
    let titled = [(task.card, true), (task.context, false)];
    for (file, is_card) in titled {
        let Some(file) = file.filter(|&file| workspace.file(file).exists) else {
            continue;
        };
        let text = texts
            .get(&file)
            .cloned()
            .unwrap_or_else(|| workspace.file(file).text.to_string());
        let body_start = match (&workspace.file(file).parsed, is_card) {
            (Parsed::Card(card), true) => card.body_start,
            _ => 0,
        };
        if let Some(range) = name_in_title(&text, body_start, old_name) {
            let mut retitled = text;
            retitled.replace_range(range.as_usize(), new_name);
            texts.insert(file, retitled);
        }
    }
    let from = TaskPlace::of(workspace, task);
    let to = renamed_place(workspace, task, new_name);
    links::retarget(workspace, task.root, &from, &to, &mut texts);
    let is_index = |file: FileId| {
        matches!(
            workspace.file(file).role,
            FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex
        )
    };
    let (indexes, others): (Vec<_>, Vec<_>) =
        texts.into_iter().partition(|(file, _)| is_index(*file));
    // As a transition writes them: the ledger line, the cards and contexts, the indexes.
    let edits = others
        .into_iter()
        .chain(indexes)
        .filter_map(|(file, text)| FileChange::rewrite(file, &workspace.file(file).text, &text));
    let mut projected = SourceChange { changes: appends };
    projected.changes.extend(edits);
    let root = &workspace.roots[task.root].path;
    // The card first, inside the folder it is in: then the folder, whole.
    if let (Some(old), Some(new)) = (&from.card, &to.card)
        && let Some((_, name)) = new.rsplit_once('/')
        && old.rsplit('/').next() != Some(name)
    {
        projected.changes.push(FileChange::Move {
            from: root.join(old),
            to: root.join(&from.folder).join(name),
        });
    }
    if from.folder != to.folder {
        projected.changes.push(FileChange::Move {
            from: root.join(&from.folder),
            to: root.join(&to.folder),
        });
    }
    Ok(projected)
}

/// Where the package is once its name is `name`: the folder and the card take its slug, each
/// keeping the ID as its name spells it (`TASK-0042-new-name`, `0042-new-name.task.md`).
pub fn renamed_place(workspace: &Workspace, task: &Task, name: &str) -> TaskPlace {
    let slug = slug(name);
    let folder_base = match parse_folder_name(&task.folder_name) {
        Some((_, old)) => task.folder_name[..task.folder_name.len() - old.len()]
            .trim_end_matches('-')
            .to_string(),
        None => format!("TASK-{}", task.id.short()),
    };
    let parent = task
        .folder
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent);
    let folder_name = format!("{folder_base}-{slug}");
    let folder = if parent.is_empty() {
        folder_name
    } else {
        format!("{parent}/{folder_name}")
    };
    let card = task.card.map(|card| {
        let old = workspace
            .file(card)
            .rel
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let base = match parse_file_prefix(old) {
            Some((_, rest)) => &old[..old.len() - rest.len()],
            None => "",
        };
        let base = if base.is_empty() {
            task.id.short()
        } else {
            base.to_string()
        };
        format!("{folder}/{base}-{slug}.task.md")
    });
    TaskPlace { folder, card }
}

/// Refuses a new folder or card name that something else already has: a rename never
/// replaces a path.
fn taken(
    workspace: &Workspace,
    task: &Task,
    from: &TaskPlace,
    to: &TaskPlace,
) -> Result<(), String> {
    let root = &workspace.roots[task.root];
    let folder_taken = from.folder != to.folder
        && (root.dirs.contains(&to.folder)
            || root
                .tasks
                .iter()
                .any(|&other| workspace.task(other).folder == to.folder));
    if folder_taken {
        return Err(format!(
            "{} already exists, and a rename never replaces a folder; choose another name or \
             move that folder away first",
            to.folder
        ));
    }
    if let (Some(old), Some(new)) = (&from.card, &to.card) {
        let name = new.rsplit('/').next().unwrap_or_default();
        let beside = format!("{}/{name}", from.folder);
        if *old != beside && workspace.file_by_path(&root.path.join(&beside)).is_some() {
            return Err(format!(
                "{beside} already exists, and a rename never replaces a file; choose another \
                 name or move that file away first"
            ));
        }
    }
    Ok(())
}

/// The title heading of a card body or context (`# Title`, before any `##` section) that
/// holds `name`: the range of the name in it.
fn name_in_title(text: &str, body_start: usize, name: &str) -> Option<TextRange> {
    if name.is_empty() {
        return None;
    }
    let mut at = body_start;
    for line in text.get(body_start..)?.split_inclusive('\n') {
        if line.starts_with("## ") {
            return None;
        }
        if let Some(title) = line.strip_prefix("# ") {
            let found = title.find(name)?;
            let start = at + 2 + found;
            return Some(TextRange::new(start, start + name.len()));
        }
        at += line.len();
    }
    None
}

/// The whole line holding `range`, so a cursor anywhere on the title heading renames.
fn title_line(text: &str, range: TextRange) -> TextRange {
    let start = text[..range.start as usize]
        .rfind('\n')
        .map_or(0, |at| at + 1);
    let end = text[range.end as usize..]
        .find('\n')
        .map_or(text.len(), |at| range.end as usize + at);
    TextRange::new(start, end)
}
