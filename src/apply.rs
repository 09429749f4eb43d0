//! From the analysis's plans to disk transactions: a transition's projections, a set of quick
//! fixes or a new task package become one [`DiskPlan`], run under the tasks root's lock. Shared
//! by the CLI (`transition`, `new`, `check --fix`) and the language server's commands.

use std::path::{Path, PathBuf};

use crate::db::Workspace;
use crate::db::layout::namespace_dir_of_folder;
use crate::disk_plans::disk_plan;
use crate::ide::projection::{card_after, project};
use crate::ide::source_change::SourceChange;
use crate::ide::transitions::{self, Action, Plan};
use crate::ide::types::Config;
use crate::recovery::{intent_for, intent_for_new, plan_recovery};
use crate::transaction::{Create, DiskPlan, Options, Report, Rewrite, RootLock, TxError, execute};

/// How long a transaction waits for another process holding the tasks root's lock.
pub const LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A planned transition, ready to show (dry run) or to run.
pub struct PlannedTransition {
    pub plan: Plan,
    /// What it changes, against the texts the model holds (for the dry run's report).
    pub projected: SourceChange,
    /// The same, as the transaction writes it.
    pub disk: DiskPlan,
    /// Where the task's card is once it is written.
    pub show: Option<PathBuf>,
}

/// Re-validates `action` on `task` against the model and computes everything it writes.
/// `Err` is the reason it is refused, for people.
pub fn plan_transition(
    workspace: &Workspace,
    task: crate::db::TaskIdx,
    action: &Action,
    config: &Config,
) -> Result<PlannedTransition, String> {
    let plan = transitions::plan(workspace, task, action, config)?;
    let projected = project(workspace, &plan.tasks)?;
    let root = workspace.roots[workspace.task(task).root].path.clone();
    let mut disk = disk_plan(workspace, &root, &projected);
    // A transition changes several files, and often several tasks: its record lets a crash
    // part way be finished as a whole (see `recovery`).
    disk.intent = Some(intent_for(workspace, &root, &plan, &projected));
    Ok(PlannedTransition {
        show: card_after(workspace, task, &projected),
        plan,
        projected,
        disk,
    })
}

/// A planned rename (SPEC §4), ready to show (dry run) or to run.
pub struct PlannedRename {
    pub renamed: crate::ide::rename::Renamed,
    pub disk: DiskPlan,
    /// Where the card is once it is renamed.
    pub show: Option<PathBuf>,
}

/// Re-validates renaming `task` to `new_name` against the model and computes everything it
/// writes: a transaction like a transition's (its `content_updated` line is the commit), with
/// an intent record, so a crash part way is finished by recovery. `Err` is the reason it is
/// refused, for people.
pub fn plan_rename(
    workspace: &Workspace,
    task: crate::db::TaskIdx,
    new_name: &str,
    config: &Config,
) -> Result<PlannedRename, String> {
    let renamed = crate::ide::rename::plan(workspace, task, new_name, config)?;
    let root = workspace.roots[workspace.task(task).root].path.clone();
    let mut disk = disk_plan(workspace, &root, &renamed.projected);
    disk.intent = Some(crate::recovery::rename_intent(
        workspace, &root, task, &renamed,
    ));
    let show = card_after(workspace, task, &renamed.projected);
    Ok(PlannedRename {
        renamed,
        disk,
        show,
    })
}

/// Finishing an interrupted transition (`ledger-stage-drift`, `ledger-status-drift`): the
/// projections of the move or status change the ledger already records, with no new event. Returns the plan and the card to show.
pub fn plan_completion(
    workspace: &Workspace,
    task: crate::db::TaskIdx,
) -> Result<(DiskPlan, Option<PathBuf>), String> {
    let change = transitions::complete_interrupted(workspace, task).ok_or_else(|| {
        format!(
            "{} has no interrupted transition to complete",
            workspace.task(task).id
        )
    })?;
    let projected = project(workspace, std::slice::from_ref(&change))?;
    let root = &workspace.roots[workspace.task(task).root].path;
    Ok((
        disk_plan(workspace, root, &projected),
        card_after(workspace, task, &projected),
    ))
}

/// What [`recover`] did in one tasks root.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Transitions finished (true) or discarded because they never committed (false), by
    /// title.
    pub transitions: Vec<(String, bool)>,
    /// Files and folders written, for re-reading.
    pub touched: Vec<PathBuf>,
    /// Leftover temporary files removed.
    pub removed: Vec<PathBuf>,
    /// Temporary files of processes still running, left alone, with their process ID.
    pub kept: Vec<(PathBuf, u32)>,
    /// Why a record could not be dealt with (it stays, for the next try or a person).
    pub failed: Option<String>,
}

impl Recovered {
    /// Whether anything on disk changed.
    pub fn wrote(&self) -> bool {
        !self.transitions.is_empty() || !self.removed.is_empty()
    }

    /// Lines for people: what was finished, discarded, removed or left.
    pub fn describe(&self, root: &Path) -> Vec<String> {
        let shown = |path: &Path| {
            path.strip_prefix(root)
                .unwrap_or(path)
                .display()
                .to_string()
        };
        let mut lines: Vec<String> = self
            .transitions
            .iter()
            .map(|(title, finished)| {
                if *finished {
                    format!("finished an interrupted change: {title}")
                } else {
                    format!("discarded an interrupted change that had not committed: {title}")
                }
            })
            .collect();
        let temps = self
            .removed
            .iter()
            .filter(|path| {
                path.file_name().is_some_and(|name| {
                    name.to_string_lossy()
                        .contains(crate::transaction::TEMP_MARKER)
                })
            })
            .count();
        if temps > 0 {
            lines.push(format!(
                "removed {temps} temporary file{} left by interrupted writes",
                if temps == 1 { "" } else { "s" }
            ));
        }
        for (path, pid) in &self.kept {
            lines.push(format!(
                "{}: left alone, a temporary file of process {pid}, which is still running",
                shown(path)
            ));
        }
        if let Some(why) = &self.failed {
            lines.push(format!("cannot finish an interrupted change: {why}"));
        }
        lines
    }
}

/// Under tasks root `root`'s lock: removes the temporary files of writers that died (when
/// `sweep`), then finishes every transition a crash interrupted after its commit and
/// discards those that never committed, oldest first, each as its own transaction against
/// `workspace` as it was read. Stops at the first record it cannot deal with (`failed`):
/// one computed from a model another record's finishing has made stale is dealt with by the
/// next call, after a re-read.
pub fn recover(workspace: &Workspace, root: usize, sweep: bool) -> Result<Recovered, TxError> {
    let lock = RootLock::acquire(&workspace.roots[root].path, LOCK_TIMEOUT)?;
    let mut recovered = Recovered::default();
    if sweep {
        let swept = lock.sweep().map_err(|error| TxError::Io {
            path: workspace.roots[root].path.clone(),
            error,
        })?;
        recovered.removed = swept.removed;
        recovered.kept = swept.kept;
    }
    let intents = lock.intents().map_err(|error| TxError::Io {
        path: workspace.roots[root]
            .path
            .join(crate::transaction::INTENT_DIR),
        error,
    })?;
    for (path, text) in intents {
        let recovery = match plan_recovery(workspace, root, &path, &text) {
            Ok(recovery) => recovery,
            Err(why) => {
                recovered.failed = Some(why);
                break;
            }
        };
        // The fault hooks apply here too, so a recovery can itself be crashed in tests.
        if let Err(error) = execute(&lock, &recovery.disk, &Options::from_env()) {
            recovered.failed = Some(error.to_string());
            break;
        }
        recovered.touched.extend(touched_paths(&recovery.disk));
        // The record too: a reader that listed it as pending sees it gone.
        recovered.touched.extend(
            recovery
                .disk
                .intent
                .iter()
                .map(|intent| intent.path.clone()),
        );
        recovered
            .transitions
            .push((recovery.title, recovery.committed));
    }
    Ok(recovered)
}

/// Runs a disk plan under the root's lock.
pub fn run(plan: &DiskPlan, options: &Options) -> Result<Report, TxError> {
    let lock = RootLock::acquire(&plan.root, LOCK_TIMEOUT)?;
    execute(&lock, plan, options)
}

/// The paths a finished transaction touched, for re-reading: written files and both ends of
/// every move.
pub fn touched_paths(plan: &DiskPlan) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = plan
        .appends
        .iter()
        .map(|append| append.path.clone())
        .chain(plan.rewrites.iter().map(|rewrite| rewrite.path.clone()))
        .chain(plan.creates.iter().map(|create| create.path.clone()))
        .chain(
            plan.moves
                .iter()
                .flat_map(|mv| [mv.from.clone(), mv.to.clone()]),
        )
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Why [`create_task`] created no task, or not all of it.
#[derive(Debug)]
pub struct NotCreated {
    pub message: String,
    /// The transaction failed part way: some files may be written (`check --fix` repairs).
    pub partial: bool,
}

impl std::fmt::Display for NotCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for NotCreated {
    fn from(message: String) -> NotCreated {
        NotCreated {
            message,
            partial: false,
        }
    }
}

/// A task created by [`create_task`]: its ID and card path.
#[derive(Debug)]
pub struct Created {
    pub id: crate::syntax::task_id::TaskId,
    pub card: PathBuf,
    pub report: Report,
}

/// WF1 as one transaction: under the root's lock, reserve the next ID from the counter as it
/// is on disk (so two creations racing never get the same ID), write the package, move the
/// counter on, and add the task's rows to the indexes that list inbox tasks (their texts
/// also read under the lock). Its intent record makes a crash part way recoverable; run
/// [`recover`] first, so that a creation never builds on one left half done.
pub fn create_task(
    workspace: &Workspace,
    root: usize,
    name: &str,
    namespace: Option<&str>,
    config: &Config,
) -> Result<Created, NotCreated> {
    create_task_approving(workspace, root, name, namespace, config, None)
}

/// A creation that approves an agent's task draft (issue 21): the new ledger's events name
/// the proposer beside the creator (who approves), and the drafts file gains the approval
/// line in the same transaction, promised by its record.
pub struct DraftApproval<'a> {
    /// The root's drafts file, as the model read it.
    pub file: crate::db::FileId,
    pub proposal: u32,
    pub proposed_by: &'a str,
    /// The approval line, naming the task the draft became (its ID is reserved under the
    /// lock, so it is known only then).
    pub decision: &'a dyn Fn(&crate::syntax::task_id::TaskId) -> String,
}

/// [`create_task`], approving a task draft when `approval` says which.
pub fn create_task_approving(
    workspace: &Workspace,
    root: usize,
    name: &str,
    namespace: Option<&str>,
    config: &Config,
    approval: Option<&DraftApproval>,
) -> Result<Created, NotCreated> {
    use crate::ide::edit::index_rows::{Linking, RowValues, insert_row, render_row};
    use crate::ide::index_links::TaskPlace;
    use crate::ide::new_task::{NewTaskInput, new_task, placement};
    use crate::syntax::index_table::parse_index;

    let root_path = workspace.roots[root].path.clone();
    let place = placement(workspace, root, namespace)?;
    let lock = RootLock::acquire(&root_path, LOCK_TIMEOUT).map_err(|e| e.to_string())?;
    let counter_path = root_path.join(&place.counter_rel);
    let counter_text = lock
        .read(&counter_path)
        .map_err(|error| format!("cannot read {}: {error}", place.counter_rel))?;
    let input = NewTaskInput {
        name,
        namespace: place.namespace.as_deref(),
        counter_text: &counter_text,
    };
    let mut task = new_task(workspace, root, &input, config)?;
    if let Some(approval) = approval {
        let named = crate::ide::proposals::with_names_in(
            &task.files[2].1,
            approval.proposed_by,
            &task.creator,
        );
        task.files[2].1 = named;
    }
    let mut plan = DiskPlan {
        root: root_path.clone(),
        rewrites: vec![Rewrite {
            path: counter_path,
            expected: counter_text.clone(),
            new_text: task.counter_text.clone(),
        }],
        creates: task
            .files
            .iter()
            .map(|(rel, text)| Create {
                path: root_path.join(rel),
                text: text.clone(),
            })
            .collect(),
        ..DiskPlan::default()
    };
    let card = root_path.join(&task.files[0].0);
    let values = RowValues {
        namespace: place.namespace.clone().unwrap_or_default(),
        // As every other row is written (RowValues::of_task, the methodology's indexes):
        // `0042`, and `-` for empty Flags and Dependencies.
        id: task.id.short(),
        name: task.name.clone(),
        dri: task.creator.clone(),
        stage: crate::db::vocab::Stage::Inbox.name().to_string(),
        status: crate::db::vocab::Status::Active.name().to_string(),
        flags: "-".to_string(),
        dependencies: Vec::new(),
        place: Some(TaskPlace {
            folder: task.folder_rel.clone(),
            card: Some(task.files[0].0.clone()),
        }),
    };
    let namespace_dir = namespace_dir_of_folder(&task.folder_rel);
    // An index the task's rows belong in that is there but not a file the loader read (a
    // folder, a pipe, a link): the package would be created without its rows.
    let stage_dir = task.folder_rel.rsplit_once('/').map_or("", |(dir, _)| dir);
    let namespace_index = namespace_dir.map(|ns| format!("{ns}/INDEX.md"));
    let candidates = [
        Some(format!("{stage_dir}/INDEX.md")),
        Some("INDEX.md".to_string()),
        namespace_index,
    ];
    for rel in candidates.into_iter().flatten() {
        if let Some(problem) = workspace.load_problem(root, &rel) {
            return Err(format!(
                "{rel} is there but was not read ({}); nothing was written",
                problem.message
            )
            .into());
        }
    }
    let mut rows = Vec::new();
    for index in &workspace.roots[root].indexes {
        let lists_inbox = index
            .stage
            .is_none_or(|stage| stage == crate::db::vocab::Stage::Inbox);
        if !lists_inbox || index.namespace_dir.as_deref() != namespace_dir {
            continue;
        }
        let path = workspace.file(index.file).path.clone();
        let old = lock.read(&path).map_err(|error| {
            format!(
                "cannot read {}: {error}; nothing was written",
                workspace.file(index.file).rel
            )
        })?;
        let Some(table) = parse_index(&old).table else {
            continue;
        };
        let linking = Linking::of(workspace, index.file, &table);
        let row = render_row(&table, &linking, &values);
        if let Some(new_text) = insert_row(&old, &row) {
            rows.push((path.clone(), row));
            plan.rewrites.push(Rewrite {
                path,
                expected: old,
                new_text,
            });
        }
    }
    // Several files in several folders: the record lets a crash part way be finished (or,
    // before the counter moved, discarded) as a whole (see `recovery`).
    let approval = approval.map(|approval| {
        let line = (approval.decision)(&task.id);
        let drafts = workspace.file(approval.file);
        plan.appends.push(crate::transaction::Append {
            path: drafts.path.clone(),
            expected: Some(drafts.text.to_string()),
            lines: vec![line.clone()],
        });
        crate::recovery::ApprovalRecord {
            file: drafts.rel.clone(),
            proposal: approval.proposal,
            line,
        }
    });
    plan.intent = Some(intent_for_new(
        &root_path,
        &task,
        &counter_text,
        &rows,
        approval,
    ));
    let report = execute(&lock, &plan, &Options::from_env()).map_err(|error| NotCreated {
        message: error.to_string(),
        partial: error.may_have_written(),
    })?;
    Ok(Created {
        id: task.id,
        card,
        report,
    })
}
