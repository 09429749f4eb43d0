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
//!
//! A new task (WF1) has no ledger to commit to: its record holds the package's texts, the
//! counter's text before and after, and the row each index gains. Its commit is the counter
//! moving off its old text (the first write after the record); finishing creates the files
//! still missing and adds the rows still absent.
//!
//! A person's approval of an agent's proposal (issue 21) is the change it approves plus one
//! approval line in the proposals file: its record promises both, so finishing the change
//! also appends the approval line, once (not when the file already holds a decision on that
//! proposal). An approved frontmatter edit has a record too: its ledger line is its commit,
//! and finishing sets the recorded value on the card and in the index rows.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::db::vocab::{KNOWN_FIELDS, Stage};
use crate::db::{FileId, Parsed, TaskIdx, Workspace};
use crate::disk_plans::disk_plan;
use crate::ide::edit::index_rows::insert_row;
use crate::ide::new_task::NewTask;
use crate::ide::projection::project;
use crate::ide::proposals::{Approved, edit_projection};
use crate::ide::rename::{Renamed, project_rename};
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::transitions::{FieldUpdate, Plan, TaskChange};
use crate::syntax::task_id::parse_task_ref;
use crate::transaction::{Append, Create, DiskPlan, INTENT_DIR, Intent, Rewrite, appended_bytes};

/// The format of the record; a record of another version is left alone and reported.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    flowos_intent: u32,
    /// The transition, as its menu entry says it (`Fast-track TASK-0001 as P0 (…)`).
    title: String,
    /// The primary task first, then the tasks it drags along.
    #[serde(default)]
    tasks: Vec<TaskRecord>,
    /// A task being created (then `tasks` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    new_task: Option<NewTaskRecord>,
    /// Set for a rename (SPEC §4): its one task's package takes the new name's slug, and
    /// finishing recomputes the links and moves from the names rather than a stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rename: Option<RenameRecord>,
    /// Set for an approved frontmatter edit: its one task's field and value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    edit: Option<EditRecord>,
    /// Set for an approval (of a proposal, or of a task draft): the line its proposals file
    /// gains with the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approval: Option<ApprovalRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EditRecord {
    field: String,
    value: serde_json::Value,
    /// The `last_updated` date the card gets.
    date: String,
}

/// The decision an approval appends, part of the change it approves.
#[derive(Debug, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// The proposals file, relative to the tasks root, as it was before the change. A task's
    /// goes with its folder when the change moves it, so it is found again through its task;
    /// the root's drafts file stays where it is.
    pub file: String,
    /// The proposal (or draft) decided.
    pub proposal: u32,
    /// The approval line.
    pub line: String,
}

/// What creating a task writes, with paths relative to the tasks root.
#[derive(Debug, Serialize, Deserialize)]
struct NewTaskRecord {
    id: String,
    counter: String,
    counter_before: String,
    counter_after: String,
    /// Card, context and ledger: (path, text).
    files: Vec<(String, String)>,
    /// (INDEX.md path, the row line it gains).
    rows: Vec<(String, String)>,
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
    projected: &SourceChange,
) -> Intent {
    intent_of(root, &transition_record(workspace, plan, projected))
}

/// The record of a planned transition.
fn transition_record(workspace: &Workspace, plan: &Plan, projected: &SourceChange) -> Record {
    let tasks = plan
        .tasks
        .iter()
        .map(|change| {
            let task = workspace.task(change.task);
            let ledger_len = task.ledger.and_then(|ledger| {
                let appended = projected.appends_to(ledger).next().is_some();
                appended.then(|| workspace.file(ledger).text.len())
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
    Record {
        flowos_intent: VERSION,
        title: plan.title.clone(),
        tasks,
        new_task: None,
        rename: None,
        edit: None,
        approval: None,
    }
}

/// The intent record of approving a proposal of `task` in tasks root `root`: the record of
/// the transition it approves (or of the edit: its ledger line, field and value), promising
/// the approval line too.
pub fn approval_intent(
    workspace: &Workspace,
    root: &Path,
    task: TaskIdx,
    approved: &Approved,
) -> Intent {
    let mut record = match (&approved.plan, &approved.edit) {
        (Some(plan), _) => transition_record(workspace, plan, &approved.projected),
        (None, edit) => {
            let task = workspace.task(task);
            let first_append = approved
                .projected
                .changes
                .iter()
                .find_map(|part| match part {
                    FileChange::Append { file, lines } => Some((*file, lines)),
                    _ => None,
                });
            let (ledger_len, events) = match first_append {
                Some((ledger, lines)) => (Some(workspace.file(ledger).text.len()), lines.clone()),
                None => (None, Vec::new()),
            };
            Record {
                flowos_intent: VERSION,
                title: approved.title.clone(),
                tasks: vec![TaskRecord {
                    id: task.id.to_string(),
                    folder: task.folder.clone(),
                    ledger_len,
                    events,
                    fields: Vec::new(),
                    to_stage: None,
                }],
                new_task: None,
                rename: None,
                edit: edit.as_ref().map(|edit| EditRecord {
                    field: edit.field.clone(),
                    value: edit.value.clone(),
                    date: edit.date.clone(),
                }),
                approval: None,
            }
        }
    };
    record.approval = Some(ApprovalRecord {
        file: workspace.file(approved.proposals_file).rel.clone(),
        proposal: approved.proposal,
        line: approved.decision.clone(),
    });
    intent_of(root, &record)
}

/// The intent record of creating `task` in tasks root `root`: the counter's text before it
/// (`task.counter_text` is after), and the rows its indexes gain as (path, row line), paths
/// absolute or relative to the root.
pub fn intent_for_new(
    root: &Path,
    task: &NewTask,
    counter_before: &str,
    rows: &[(PathBuf, String)],
    approval: Option<ApprovalRecord>,
) -> Intent {
    let relative = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    };
    let record = Record {
        flowos_intent: VERSION,
        title: format!("New task {} \"{}\"", task.id, task.name),
        tasks: Vec::new(),
        new_task: Some(NewTaskRecord {
            id: task.id.to_string(),
            counter: task.counter_rel.clone(),
            counter_before: counter_before.to_string(),
            counter_after: task.counter_text.clone(),
            files: task.files.clone(),
            rows: rows
                .iter()
                .map(|(path, row)| (relative(path), row.clone()))
                .collect(),
        }),
        rename: None,
        edit: None,
        approval,
    };
    intent_of(root, &record)
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
        .changes
        .iter()
        .flat_map(|part| match part {
            FileChange::Append { lines, .. } => lines.clone(),
            _ => Vec::new(),
        })
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
        new_task: None,
        edit: None,
        approval: None,
    };
    intent_of(root, &record)
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

/// The record's file (a fresh name) and text.
fn intent_of(root: &Path, record: &Record) -> Intent {
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
    let intent = Intent {
        path: path.to_path_buf(),
        text: text.to_string(),
        finishing: true,
    };
    if let Some(new_task) = &record.new_task {
        return Ok(new_task_recovery(
            workspace,
            root,
            record.title,
            new_task,
            record.approval.as_ref(),
            intent,
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
    // A rename's one change is projected from its names (the links and moves follow them),
    // an edit's from its field and value.
    let projected = match (&record.rename, &record.edit, changes.first()) {
        (Some(rename), _, Some(change)) => {
            project_rename(workspace, change, &rename.old_name, &rename.new_name)
        }
        (None, Some(edit), Some(change)) => {
            edit_projection(workspace, change.task, &edit.field, &edit.value, &edit.date).map(
                |mut projected| {
                    let ledger = workspace.task(change.task).ledger;
                    if let Some(ledger) = ledger.filter(|_| !change.events.is_empty()) {
                        projected.changes.push(FileChange::Append {
                            file: ledger,
                            lines: change.events.clone(),
                        });
                    }
                    projected
                },
            )
        }
        (Some(_), _, None) | (_, Some(_), None) => {
            Err("it records a change of no task".to_string())
        }
        (None, None, _) => project(workspace, &changes),
    }
    .map_err(|why| format!("{shown}: {why}"))?;
    let mut disk = disk_plan(workspace, &root_path, &projected);
    if let (Some(approval), Some(change)) = (&record.approval, changes.first()) {
        let file = workspace.task(change.task).proposals;
        disk.appends
            .extend(approval_append(workspace, file, approval));
    }
    disk.intent = Some(intent);
    Ok(Recovery {
        title: record.title,
        committed,
        disk,
    })
}

/// Finishing a task's creation: the counter moved on if it still has its old text, the
/// package files still missing created, and the rows still absent added, each against the
/// files as the model read them. Not committed (the counter still has its old text and no
/// package file is there): only the record is removed.
fn new_task_recovery(
    workspace: &Workspace,
    root: usize,
    title: String,
    record: &NewTaskRecord,
    approval: Option<&ApprovalRecord>,
    intent: Intent,
) -> Recovery {
    let root_path = workspace.roots[root].path.clone();
    // The text the model holds for `rel`, None when it has no such file.
    let text_of = |rel: &str| {
        let path = root_path.join(rel);
        workspace
            .file_by_path(&path)
            .map(|file| workspace.file(file))
            .filter(|file| file.exists)
            .map(|file| (path, file.text.to_string()))
    };
    let counter = text_of(&record.counter);
    let counter_moved = counter
        .as_ref()
        .is_some_and(|(_, text)| *text != record.counter_before);
    let missing: Vec<&(String, String)> = record
        .files
        .iter()
        .filter(|(rel, _)| text_of(rel).is_none())
        .collect();
    // An approved draft's line is the first write after the record: it commits too.
    let drafts = approval.map(|approval| {
        let file = workspace.file_by_path(&root_path.join(&approval.file));
        (file, approval)
    });
    let approval_written = drafts.is_some_and(|(file, approval)| {
        file.map(|file| workspace.file(file))
            .filter(|file| file.exists)
            .is_some_and(|file| file.text.lines().any(|line| line == approval.line))
    });
    let committed = counter_moved || missing.len() < record.files.len() || approval_written;
    let mut disk = DiskPlan {
        root: root_path.clone(),
        intent: Some(intent),
        ..DiskPlan::default()
    };
    if committed {
        if let Some((path, text)) = counter.filter(|_| !counter_moved) {
            disk.rewrites.push(Rewrite {
                path,
                expected: text,
                new_text: record.counter_after.clone(),
            });
        }
        for (rel, row) in &record.rows {
            let Some((path, text)) = text_of(rel) else {
                continue;
            };
            // An index is replaced whole by a rename, so it either has the row as it was
            // written or not at all.
            if text.lines().any(|line| line == row) {
                continue;
            }
            if let Some(new_text) = insert_row(&text, row) {
                disk.rewrites.push(Rewrite {
                    path,
                    expected: text,
                    new_text,
                });
            }
        }
        disk.creates = missing
            .into_iter()
            .map(|(rel, text)| Create {
                path: root_path.join(rel),
                text: text.clone(),
            })
            .collect();
        if let Some((file, approval)) = drafts {
            disk.appends
                .extend(approval_append(workspace, file, approval));
        }
    }
    Recovery {
        title,
        committed,
        disk,
    }
}

/// The recorded approval line appended to proposals file `file`, unless the file already
/// holds a decision on that proposal (this approval, or one a person made since, which
/// finishing must not contradict) or is gone.
fn approval_append(
    workspace: &Workspace,
    file: Option<FileId>,
    approval: &ApprovalRecord,
) -> Option<Append> {
    let source = file
        .map(|file| workspace.file(file))
        .filter(|file| file.exists)?;
    let decided = match &source.parsed {
        Parsed::Proposals(proposals) => proposals
            .get(approval.proposal)
            .is_some_and(|proposal| proposal.decision.is_some()),
        _ => false,
    };
    if decided || source.text.lines().any(|line| line == approval.line) {
        return None;
    }
    Some(Append {
        path: source.path.clone(),
        expected: Some(source.text.to_string()),
        lines: vec![approval.line.clone()],
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
