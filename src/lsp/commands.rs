//! `workspace/executeCommand`: the commands code actions carry, performed by the server on
//! disk as SPEC §5 transactions. Runs on the session thread against the model as it is now;
//! the session re-reads what was written and publishes afterwards.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tower_lsp_server::ls_types::{MessageType, WorkspaceEdit};

use crate::apply;
use crate::db::FileRole;
use crate::ide::projection::card_after;
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::transitions::Action;
use crate::ide::types::Config;
use crate::lsp::command_args::{
    self, APPROVE_COMMAND, COMPLETE_COMMAND, CREATE_FILE_COMMAND, CreateFileArgument,
    NEW_TASK_COMMAND, NewTaskArgument, ProposalArgument, RECOVER_COMMAND, REJECT_COMMAND,
    RENAME_COMMAND, RenameArgument, RootArgument, TRANSITION_COMMAND, TaskArgument,
};
use crate::lsp::to_proto::{EditAbilities, workspace_edit};
use crate::lsp::view::View;
use crate::transaction::{Create, DiskPlan, Options};

/// What a command did, for the session (re-read) and the client (show, tell).
#[derive(Debug, Default)]
pub struct Outcome {
    /// Files and folders written, renamed or created, to re-read.
    pub touched: Vec<PathBuf>,
    /// A document to show (the moved or created card).
    pub show: Option<PathBuf>,
    /// Something to tell the user, e.g. why nothing was done.
    pub message: Option<(MessageType, String)>,
    /// The rows of open, modified INDEX.md files, written into their buffers (versioned)
    /// rather than on disk, once the transaction has run.
    pub buffer_edit: Option<WorkspaceEdit>,
}

/// How a command was asked for.
pub struct Invocation {
    /// The analysis configuration at the moment of the command: its `now` stamps the events
    /// a command writes, its `user` is who they record.
    pub config: Config,
    /// The client takes `workspace/applyEdit`.
    pub edits_buffers: bool,
}

impl Outcome {
    fn refused(message: impl Into<String>) -> Outcome {
        Outcome {
            message: Some((MessageType::ERROR, message.into())),
            ..Outcome::default()
        }
    }
}

pub fn execute(view: &View, command: &str, arguments: &[Value], how: &Invocation) -> Outcome {
    let argument = arguments.first();
    match command {
        TRANSITION_COMMAND => transition(view, command_args::read(argument), how),
        COMPLETE_COMMAND => complete(view, command_args::read(argument), how),
        CREATE_FILE_COMMAND => create_files(view, arguments),
        NEW_TASK_COMMAND => new_task(view, command_args::read(argument), &how.config),
        RECOVER_COMMAND => recover(view, command_args::read(argument)),
        RENAME_COMMAND => rename(view, command_args::read(argument), how),
        APPROVE_COMMAND | REJECT_COMMAND => answer_proposal(
            view,
            command == APPROVE_COMMAND,
            command_args::read(argument),
            how,
        ),
        other => Outcome::refused(format!("flowos-lsp has no command `{other}`")),
    }
}

/// The analysis configuration at the moment the command was asked for.
fn transition(view: &View, argument: Option<TaskArgument>, how: &Invocation) -> Outcome {
    let workspace = view.workspace;
    let gone = || Outcome::refused("the task of this action is no longer in the workspace");
    let Some(argument) = argument else {
        return gone();
    };
    let Some(task) = argument.task(workspace) else {
        return gone();
    };
    let namespace = workspace.task(task).namespace().map(str::to_string);
    let Some(action) = argument
        .action
        .as_deref()
        .and_then(|name| Action::parse(name, namespace.as_deref()))
    else {
        return Outcome::refused("the action names no transition");
    };
    if let Some(refusal) = stale(view, &argument) {
        return refusal;
    }
    let recovered = match recover_first(view, workspace.task(task).root) {
        Ok(recovered) => recovered,
        Err(refusal) => return *refusal,
    };
    let outcome = match apply::plan_transition(workspace, task, &action, &how.config) {
        Ok(planned) => run_beside_buffers(view, planned.disk, planned.show, how),
        Err(reason) => Outcome::refused(format!("{}: {reason}", workspace.task(task).id)),
    };
    recovered.merge_into(outcome)
}

/// A task's rename (SPEC §4), run as a transition is: recovery first, refused on unsaved
/// files it writes (naming them), never replacing a path, the renamed card shown.
fn rename(view: &View, argument: Option<RenameArgument>, how: &Invocation) -> Outcome {
    let workspace = view.workspace;
    let Some(argument) = argument else {
        return Outcome::refused("flowos.renameTask takes {root, task, name}");
    };
    let Some(task) = argument.task.task(workspace) else {
        return Outcome::refused("the task to rename is no longer in the workspace");
    };
    if let Some(refusal) = stale(view, &argument.task) {
        return refusal;
    }
    let recovered = match recover_first(view, workspace.task(task).root) {
        Ok(recovered) => recovered,
        Err(refusal) => return *refusal,
    };
    let outcome = match apply::plan_rename(workspace, task, &argument.name, &how.config) {
        Ok(planned) => run_beside_buffers(view, planned.disk, planned.show, how),
        Err(reason) => Outcome::refused(format!("nothing was renamed: {reason}")),
    };
    recovered.merge_into(outcome)
}

/// pending-proposal's Approve and Reject, as the person the settings name (`flowos.user`).
fn answer_proposal(
    view: &View,
    approve: bool,
    argument: Option<ProposalArgument>,
    how: &Invocation,
) -> Outcome {
    let workspace = view.workspace;
    let Some(argument) = argument else {
        return Outcome::refused("the proposal of this action is no longer in the workspace");
    };
    if argument.draft {
        return answer_draft(view, approve, &argument, how);
    }
    let Some(task) = argument.task.task(workspace) else {
        return Outcome::refused("the task of this action is no longer in the workspace");
    };
    if let Some(refusal) = stale(view, &argument.task) {
        return refusal;
    }
    let config = &how.config;
    if let Some(refusal) = no_decider(config) {
        return refusal;
    }
    let number = Some(argument.proposal);
    // An approval a crash left half done is finished first: its line, not this answer, is
    // then the proposal's decision (and this answer is refused as stale).
    let recovered = match recover_first(view, workspace.task(task).root) {
        Ok(recovered) => recovered,
        Err(refusal) => return *refusal,
    };
    if !approve {
        let Some(reason) = argument.reason.as_deref() else {
            return Outcome::refused("nothing was changed: a rejection needs a reason");
        };
        let outcome = match crate::ide::proposals::reject(workspace, task, number, reason, config) {
            Ok((file, line)) => {
                let plan = crate::propose::decision_plan(workspace, file, &line);
                run(&plan, None)
            }
            Err(refusal) => Outcome::refused(format!("nothing was changed: {}", refusal.reason)),
        };
        return recovered.merge_into(outcome);
    }
    let outcome = match crate::ide::proposals::approve(workspace, task, number, config) {
        Ok(approved) => {
            let disk = crate::propose::approval_plan(workspace, task, &approved);
            let show = card_after(workspace, task, &approved.projected);
            run_beside_buffers(view, disk, show, how)
        }
        Err(refusal) => Outcome::refused(format!("nothing was changed: {}", refusal.reason)),
    };
    recovered.merge_into(outcome)
}

/// pending-proposal's Approve and Reject on a task draft: the task created as `new` creates
/// it, by the person the settings name, with the approval recorded in the same transaction;
/// or the rejection recorded.
fn answer_draft(
    view: &View,
    approve: bool,
    argument: &ProposalArgument,
    how: &Invocation,
) -> Outcome {
    let workspace = view.workspace;
    let Some(root) = workspace
        .roots
        .iter()
        .position(|root| root.path == argument.task.root)
    else {
        return Outcome::refused("that tasks root is no longer in the workspace");
    };
    if let Some(refusal) = stale(view, &argument.task) {
        return refusal;
    }
    let config = &how.config;
    if let Some(refusal) = no_decider(config) {
        return refusal;
    }
    let recovered = match recover_first(view, root) {
        Ok(recovered) => recovered,
        Err(refusal) => return *refusal,
    };
    let number = Some(argument.proposal);
    let outcome = if approve {
        match crate::propose::approve_draft(workspace, root, number, config) {
            Ok((_, created)) => Outcome {
                // The new folder, the indexes and counter, and the drafts file.
                touched: created
                    .card
                    .parent()
                    .map(Path::to_path_buf)
                    .into_iter()
                    .chain(created.report.rewritten.iter().cloned())
                    .chain(created.report.appended.iter().cloned())
                    .collect(),
                message: Some((MessageType::INFO, format!("{} created", created.id))),
                show: Some(created.card),
                buffer_edit: None,
            },
            Err(failure) => Outcome::refused(format!("no task was created: {failure}")),
        }
    } else {
        let reason = argument.reason.as_deref().unwrap_or_default();
        let decided =
            crate::ide::proposals::pending_draft(workspace, root, number).and_then(|draft| {
                crate::ide::proposals::reject_draft(workspace, &draft, reason, config)
                    .map(|line| (draft.file, line))
            });
        match decided {
            Ok((file, line)) => run(&crate::propose::decision_plan(workspace, file, &line), None),
            Err(refusal) => Outcome::refused(format!("nothing was changed: {}", refusal.reason)),
        }
    };
    recovered.merge_into(outcome)
}

/// The refusal of a decision on a proposal when the settings name no person to record.
fn no_decider(config: &Config) -> Option<Outcome> {
    config.user.is_none().then(|| {
        Outcome::refused(
            "nothing was changed: a decision records who made it, and `flowos.user` is not set; \
             set it (e.g. \"@ana\") in the editor's settings for flowos",
        )
    })
}

/// What finishing interrupted transitions did before a command, to merge into its outcome.
struct RecoveredFirst {
    touched: Vec<PathBuf>,
    notes: Vec<String>,
}

impl RecoveredFirst {
    /// The command's outcome, re-reading what the recovery wrote too and telling about it.
    fn merge_into(self, mut outcome: Outcome) -> Outcome {
        outcome.touched.extend(self.touched);
        if !self.notes.is_empty() {
            let notes = self.notes.join("; ");
            outcome.message = Some(match outcome.message.take() {
                Some((kind, message)) => (kind, format!("{notes}. {message}")),
                None => (MessageType::INFO, notes),
            });
        }
        outcome
    }
}

/// Finishes (or discards) the transitions a crash interrupted in tasks root `root` before a
/// command builds on their half-written state (see `recovery`). Refuses when one cannot be
/// finished safely.
fn recover_first(view: &View, root: usize) -> Result<RecoveredFirst, Box<Outcome>> {
    // Temporary files are left to `check --fix`: sweeping walks the whole root, too much for
    // every command.
    let recovered = apply::recover(view.workspace, root, false)
        .map_err(|error| Box::new(Outcome::refused(format!("nothing was changed: {error}"))))?;
    let notes = recovered.describe(&view.workspace.roots[root].path);
    if recovered.failed.is_some() {
        return Err(Box::new(Outcome {
            touched: recovered.touched,
            message: Some((
                MessageType::ERROR,
                format!(
                    "{}; nothing can build on a change left half done, so nothing more was \
                     changed",
                    notes.join("; ")
                ),
            )),
            ..Outcome::default()
        }));
    }
    Ok(RecoveredFirst {
        touched: recovered.touched,
        notes,
    })
}

/// `flowos.recover`: the changes a crash interrupted in one tasks root, finished or discarded.
fn recover(view: &View, argument: Option<RootArgument>) -> Outcome {
    let Some(root) = argument.and_then(|argument| {
        view.workspace
            .roots
            .iter()
            .position(|root| root.path == argument.root)
    }) else {
        return Outcome::refused("that tasks root is no longer in the workspace");
    };
    match recover_first(view, root) {
        Ok(recovered) if recovered.notes.is_empty() => Outcome {
            message: Some((
                MessageType::INFO,
                "no change was left half done".to_string(),
            )),
            ..Outcome::default()
        },
        Ok(recovered) => recovered.merge_into(Outcome::default()),
        Err(refusal) => *refusal,
    }
}

/// `ledger-stage-drift`'s fix: the projections of the interrupted transition, no new events.
fn complete(view: &View, argument: Option<TaskArgument>, how: &Invocation) -> Outcome {
    let workspace = view.workspace;
    let Some(task) = argument.and_then(|argument| argument.task(workspace)) else {
        return Outcome::refused("the task is no longer in the workspace");
    };
    // The move the ledger records is most often part of a transition whose record says what
    // else it changes (a displaced task, canceled dependents): that is finished whole.
    let recovered = match recover_first(view, workspace.task(task).root) {
        Ok(recovered) => recovered,
        Err(refusal) => return *refusal,
    };
    if !recovered.touched.is_empty() {
        return recovered.merge_into(Outcome::default());
    }
    let (disk, show) = match apply::plan_completion(workspace, task) {
        Ok(planned) => planned,
        Err(reason) => return Outcome::refused(reason),
    };
    let outcome = run_beside_buffers(view, disk, show, how);
    recovered.merge_into(outcome)
}

/// Runs a transition's plan when no file it writes has unsaved changes in the editor, except
/// INDEX.md files: those are projections of the cards, so an open, modified index gets its
/// rows through a versioned edit of its buffer (sent once the transaction has run) instead
/// of on disk, and the user's own unsaved changes to it stay. Unsaved cards, contexts and
/// ledgers refuse, naming each file; so do unsaved indexes when the client cannot take an
/// edit.
fn run_beside_buffers(
    view: &View,
    mut disk: DiskPlan,
    show: Option<PathBuf>,
    how: &Invocation,
) -> Outcome {
    let dirty = unsaved(view, &apply::touched_paths(&disk));
    let is_index = |path: &PathBuf| {
        view.workspace.file_by_path(path).is_some_and(|file| {
            matches!(
                view.workspace.file(file).role,
                FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex
            )
        })
    };
    let (indexes, others): (Vec<PathBuf>, Vec<PathBuf>) = dirty
        .into_iter()
        .partition(|path| how.edits_buffers && is_index(path));
    if !others.is_empty() {
        return Outcome::refused(format!(
            "nothing was changed: {} {} unsaved changes; save first",
            names(view, &others),
            if others.len() == 1 { "has" } else { "have" }
        ));
    }
    let mut buffers = SourceChange::default();
    disk.rewrites.retain(|rewrite| {
        if !indexes.contains(&rewrite.path) {
            return true;
        }
        if let Some(file) = view.workspace.file_by_path(&rewrite.path) {
            let old = view.workspace.file(file).text.to_string();
            buffers
                .changes
                .extend(FileChange::rewrite(file, &old, &rewrite.new_text));
        }
        false
    });
    let mut outcome = run(&disk, show);
    let committed = outcome.message.is_none();
    if committed && !buffers.changes.is_empty() {
        let abilities = EditAbilities {
            document_changes: true,
            ..EditAbilities::default()
        };
        outcome.buffer_edit = workspace_edit(view, &buffers, abilities);
    }
    outcome
}

/// Quick fixes that create files, for clients that cannot create files through an edit.
fn create_files(view: &View, arguments: &[Value]) -> Outcome {
    let mut creates = Vec::new();
    for argument in arguments {
        let Some(CreateFileArgument { path, text }) = command_args::read(Some(argument)) else {
            return Outcome::refused("flowos.createFile takes {path, text}");
        };
        creates.push(Create { path, text });
    }
    let Some(root) = creates
        .first()
        .and_then(|create| view.workspace.root_containing(&create.path))
        .map(|root| root.path.clone())
    else {
        return Outcome::refused("that file is not below a tasks root");
    };
    let plan = DiskPlan {
        root,
        creates,
        ..DiskPlan::default()
    };
    run(&plan, None)
}

/// WF1: `{name, namespace?, root?}`; the root defaults to the only one (or the first).
fn new_task(view: &View, argument: Option<NewTaskArgument>, config: &Config) -> Outcome {
    let workspace = view.workspace;
    let argument = argument.unwrap_or_default();
    let Some(name) = argument
        .name
        .as_deref()
        .filter(|name| !name.trim().is_empty())
    else {
        return Outcome::refused("flowos.newTask needs a name: {\"name\": \"…\"}");
    };
    let root = match &argument.root {
        Some(path) => workspace
            .roots
            .iter()
            .position(|root| path.starts_with(&root.path) || root.path.starts_with(path)),
        None => (!workspace.roots.is_empty()).then_some(0),
    };
    let Some(root) = root else {
        return Outcome::refused("no tasks root (.work/tasks) to create the task in");
    };
    if config.user.is_none() {
        return Outcome::refused(
            "no task was created: the ledger records who created it, and `flowos.user` is not \
             set; set it (e.g. \"@ana\") in the editor's settings for flowos",
        );
    }
    let namespace = argument.namespace.as_deref();
    // A creation or transition a crash interrupted is finished first, as before a transition.
    let recovered = match recover_first(view, root) {
        Ok(recovered) => recovered,
        Err(refusal) => return *refusal,
    };
    let outcome = match apply::create_task(workspace, root, name, namespace, config) {
        Ok(created) => Outcome {
            touched: vec![
                created
                    .card
                    .parent()
                    .map_or_else(|| created.card.clone(), Path::to_path_buf),
            ]
            .into_iter()
            .chain(created.report.rewritten.iter().cloned())
            .collect(),
            show: Some(created.card),
            message: Some((MessageType::INFO, format!("{} created", created.id))),
            buffer_edit: None,
        },
        Err(failure) if failure.partial => Outcome::refused(format!(
            "the new task stopped part way: {failure}; `flowos-lsp check --fix` repairs what \
             was written"
        )),
        Err(failure) => Outcome::refused(format!("no task was created: {failure}")),
    };
    recovered.merge_into(outcome)
}

/// Refuses when a file the action was computed from changed since it was offered.
fn stale(view: &View, argument: &TaskArgument) -> Option<Outcome> {
    let changed = argument.changed_since_offer(view.workspace);
    (!changed.is_empty()).then(|| {
        Outcome::refused(format!(
            "nothing was changed: {} changed since the action was offered; try again",
            names(view, &changed)
        ))
    })
}

/// The files among `paths` open with unsaved changes: writing under an editor's dirty buffer
/// would make one of the two versions lose.
fn unsaved(view: &View, paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter(|path| {
            view.documents.get(*path).is_some_and(|document| {
                // Sizes first: a large buffer is then only read from disk when it may match.
                // Read as the loader reads: a pipe swapped in must not block the session.
                let same_size = crate::vfs::disk_size(path)
                    .is_some_and(|size| size == document.rope.len_bytes() as u64);
                !same_size
                    || crate::loader::read_regular(path).map_or(true, |bytes| !document.is(&bytes))
            })
        })
        .cloned()
        .collect()
}

/// The files, as paths relative to their tasks root (`backlog/INDEX.md`, not `INDEX.md`: a
/// transition touches several files of the same name).
fn names(view: &View, paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| {
            let root = view.workspace.root_containing(path);
            let relative = root.and_then(|root| path.strip_prefix(&root.path).ok());
            relative.unwrap_or(path).display().to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn run(plan: &DiskPlan, show: Option<PathBuf>) -> Outcome {
    match apply::run(plan, &Options::from_env()) {
        Ok(_) => Outcome {
            touched: apply::touched_paths(plan),
            show,
            message: None,
            buffer_edit: None,
        },
        Err(error) => Outcome {
            // A stop after the commit still wrote something: re-read it all.
            touched: apply::touched_paths(plan),
            show: None,
            message: Some((
                MessageType::ERROR,
                format!("nothing more was changed: {error}"),
            )),
            buffer_edit: None,
        },
    }
}
