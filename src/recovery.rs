//! Finishing transitions a crash cut short (SPEC §5, §8; docs/architecture.md, "Crash
//! recovery"): the intent record a transition writes before its commit, and the plan that,
//! from that record and the files as they are now, finishes the whole transition or, when it
//! never committed, discards it.
//!
//! The record holds what the transition means rather than the texts it writes: for each task,
//! the ledger lines and where the ledger ended before them, the frontmatter values and the
//! destination stage. Finishing recomputes the projections (`ide::projection`) against the
//! current files, so it is idempotent step by step: a card already rewritten, an index row
//! already moved or a folder already renamed is simply found done.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::apply::transition_disk_plan;
use crate::db::vocab::{KNOWN_FIELDS, Stage};
use crate::db::{TaskIdx, Workspace};
use crate::ide::projection::{Projected, project};
use crate::ide::rename::{Renamed, project_rename};
use crate::ide::transitions::{FieldUpdate, Plan, TaskChange};
use crate::syntax::task_id::parse_task_ref;
use crate::transaction::{DiskPlan, INTENT_DIR, Intent, appended_bytes};

/// The format of the record; a record of another version is left alone and reported.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    flowos_intent: u32,
    /// The transition, as its menu entry says it (`Fast-track TASK-0001 as P0 (…)`).
    title: String,
    /// The primary task first, then the tasks it drags along.
    tasks: Vec<TaskRecord>,
    /// Set for a rename (SPEC §4): its one task's package takes the new name's slug, and
    /// finishing recomputes the links and moves from the names rather than a stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rename: Option<RenameRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RenameRecord {
    old_name: String,
    new_name: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct TaskRecord {
    id: String,
    /// The folder before the transition, relative to the root (for people reading it).
    folder: String,
    /// The ledger's length in bytes before the commit; None when no lines are appended.
    ledger_len: Option<usize>,
    events: Vec<String>,
    /// Frontmatter values to set; None writes `null`.
    fields: Vec<(String, Option<String>)>,
    to_stage: Option<String>,
}

/// Tells the records of one process apart.
static INTENT_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The intent record of a planned transition in tasks root `root`.
pub fn intent_for(
    workspace: &Workspace,
    root: &Path,
    plan: &Plan,
    projected: &Projected,
) -> Intent {
    let tasks = plan
        .tasks
        .iter()
        .map(|change| {
            let task = workspace.task(change.task);
            let ledger_len = task.ledger.and_then(|ledger| {
                projected
                    .appends
                    .iter()
                    .any(|(file, _)| *file == ledger)
                    .then(|| workspace.file(ledger).text.len())
            });
            TaskRecord {
                id: task.id.to_string(),
                folder: task.folder.clone(),
                ledger_len,
                events: if ledger_len.is_some() {
                    change.events.clone()
                } else {
                    Vec::new()
                },
                fields: record_fields(&change.fields),
                to_stage: change.to_stage.map(|stage| stage.name().to_string()),
            }
        })
        .collect();
    let record = Record {
        flowos_intent: VERSION,
        title: plan.title.clone(),
        tasks,
        rename: None,
    };
    record_intent(root, &record)
}

/// The intent record of a planned rename of `task` in tasks root `root`.
pub fn rename_intent(
    workspace: &Workspace,
    root: &Path,
    task: TaskIdx,
    renamed: &Renamed,
) -> Intent {
    let ledger_len = workspace
        .task(task)
        .ledger
        .map(|ledger| workspace.file(ledger).text.len());
    let events = renamed
        .projected
        .appends
        .iter()
        .flat_map(|(_, lines)| lines.clone())
        .collect();
    let record = Record {
        flowos_intent: VERSION,
        title: renamed.title.clone(),
        tasks: vec![TaskRecord {
            id: workspace.task(task).id.to_string(),
            folder: workspace.task(task).folder.clone(),
            ledger_len,
            events,
            fields: record_fields(&renamed.fields),
            to_stage: None,
        }],
        rename: Some(RenameRecord {
            old_name: renamed.old_name.clone(),
            new_name: renamed.new_name.clone(),
        }),
    };
    record_intent(root, &record)
}

/// Frontmatter values as the record keeps them; None writes `null`.
fn record_fields(fields: &[(&'static str, FieldUpdate)]) -> Vec<(String, Option<String>)> {
    fields
        .iter()
        .map(|(key, update)| {
            let value = match update {
                FieldUpdate::Set(value) => Some(value.clone()),
                FieldUpdate::Clear => None,
            };
            (key.to_string(), value)
        })
        .collect()
}

/// The record written whole into a new file of the intent folder.
fn record_intent(root: &Path, record: &Record) -> Intent {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    // Named by time first, so that records sort in the order they were written.
    let name = format!(
        "intent-{millis:013}-{}-{}.json",
        std::process::id(),
        INTENT_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut text = serde_json::to_string_pretty(record).unwrap_or_default();
    text.push('\n');
    Intent {
        path: root.join(INTENT_DIR).join(name),
        text,
        finishing: false,
    }
}

/// What to do about one interrupted transition.
#[derive(Debug)]
pub struct Recovery {
    pub title: String,
    /// False when the transition never committed (no ledger holds its lines): the plan then
    /// only removes the record, and the workspace is as if it had not begun.
    pub committed: bool,
    /// Finishes the transition (or discards it) and removes the record, last.
    pub disk: DiskPlan,
}

/// The plan that ends the interrupted transition recorded at `path` (holding `text`) in tasks
/// root `root`, computed against the workspace as it is now. `Err` says, for people, why it
/// cannot be finished safely; the record is then left for a person to look at.
pub fn plan_recovery(
    workspace: &Workspace,
    root: usize,
    path: &Path,
    text: &str,
) -> Result<Recovery, String> {
    let shown = path
        .strip_prefix(&workspace.roots[root].path)
        .unwrap_or(path)
        .display()
        .to_string();
    let record: Record = serde_json::from_str(text)
        .map_err(|error| format!("{shown} is not an intent record this version reads: {error}"))?;
    if record.flowos_intent != VERSION {
        return Err(format!(
            "{shown} is an intent record of format {}, which this version does not read",
            record.flowos_intent
        ));
    }
    let mut found = Vec::new();
    for entry in &record.tasks {
        let task =
            find_task(workspace, root, &entry.id).map_err(|why| format!("{shown}: {why}"))?;
        let appended =
            ledger_progress(workspace, task, entry).map_err(|why| format!("{shown}: {why}"))?;
        found.push((task, appended));
    }
    let root_path = workspace.roots[root].path.clone();
    let intent = Intent {
        path: path.to_path_buf(),
        text: text.to_string(),
        finishing: true,
    };
    // The commit is the first ledger append: with none done, nothing else was written either.
    let committed = found.iter().any(|(_, appended)| *appended == Some(true));
    if !committed {
        return Ok(Recovery {
            title: record.title,
            committed,
            disk: DiskPlan {
                root: root_path,
                intent: Some(intent),
                ..DiskPlan::default()
            },
        });
    }
    let mut changes = Vec::new();
    for (entry, (task, appended)) in record.tasks.iter().zip(found) {
        changes.push(TaskChange {
            task,
            events: if appended == Some(false) {
                entry.events.clone()
            } else {
                Vec::new()
            },
            fields: fields(entry).map_err(|why| format!("{shown}: {why}"))?,
            to_stage: match &entry.to_stage {
                Some(name) => Some(
                    Stage::parse(name)
                        .ok_or_else(|| format!("{shown}: `{name}` is not a stage"))?,
                ),
                None => None,
            },
        });
    }
    // A rename's one change is projected from its names (the links and moves follow them).
    let projected = match (&record.rename, changes.first()) {
        (Some(rename), Some(change)) => {
            project_rename(workspace, change, &rename.old_name, &rename.new_name)
        }
        (Some(_), None) => Err("it records a rename of no task".to_string()),
        (None, _) => project(workspace, &changes),
    }
    .map_err(|why| format!("{shown}: {why}"))?;
    let mut disk = transition_disk_plan(workspace, &root_path, &projected);
    disk.intent = Some(intent);
    Ok(Recovery {
        title: record.title,
        committed,
        disk,
    })
}

/// The one task of tasks root `root` carrying the recorded ID.
fn find_task(workspace: &Workspace, root: usize, id: &str) -> Result<TaskIdx, String> {
    let (parsed, _) = parse_task_ref(id).ok_or_else(|| format!("`{id}` is not a task ID"))?;
    match workspace.owners(root, &parsed) {
        [one] => Ok(*one),
        [] => Err(format!("{id} is no longer in the workspace")),
        many => Err(format!(
            "{id} names {} task folders; fix the duplicate first",
            many.len()
        )),
    }
}

/// Whether the recorded lines are in the task's ledger: Some(true) right after where it
/// ended before the commit, Some(false) when it still ends there; None when the record
/// appends nothing to it. Anything else means someone else wrote to it meanwhile, and
/// appending by guess could log the transition twice.
fn ledger_progress(
    workspace: &Workspace,
    task: TaskIdx,
    entry: &TaskRecord,
) -> Result<Option<bool>, String> {
    let Some(before) = entry.ledger_len else {
        return Ok(None);
    };
    let task = workspace.task(task);
    let text = task
        .ledger
        .map(|file| workspace.file(file))
        .filter(|file| file.exists)
        .map(|file| file.text.as_bytes())
        .ok_or_else(|| format!("{} has no ledger any more", task.id))?;
    if text.len() == before {
        return Ok(Some(false));
    }
    let added = text
        .get(..before)
        .map(|prefix| appended_bytes(prefix, &entry.events));
    match added {
        Some(added) if text.get(before..before + added.len()) == Some(&added[..]) => Ok(Some(true)),
        _ => Err(format!(
            "{}'s ledger changed in another way since the transition began",
            task.id
        )),
    }
}

/// The recorded frontmatter values, with the keys the transitions write.
fn fields(entry: &TaskRecord) -> Result<Vec<(&'static str, FieldUpdate)>, String> {
    entry
        .fields
        .iter()
        .map(|(key, value)| {
            let key = KNOWN_FIELDS
                .iter()
                .copied()
                .find(|known| known == key)
                .ok_or_else(|| format!("`{key}` is not a field transitions write"))?;
            let update = match value {
                Some(value) => FieldUpdate::Set(value.clone()),
                None => FieldUpdate::Clear,
            };
            Ok((key, update))
        })
        .collect()
}
