//! The commands code actions carry (`workspace/executeCommand`) and their arguments, as
//! typed values: the code actions that offer a command build them, `commands` reads the very
//! same types back, so the two cannot drift apart.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{FileId, TaskIdx, Workspace};
use crate::syntax::task_id::parse_task_ref;

pub const TRANSITION_COMMAND: &str = "flowos.transition";
pub const COMPLETE_COMMAND: &str = "flowos.completeTransition";
pub const CREATE_FILE_COMMAND: &str = "flowos.createFile";
pub const NEW_TASK_COMMAND: &str = "flowos.newTask";
/// Finishes (or discards) the changes a crash interrupted in one tasks root, as `check --fix`
/// does first.
pub const RECOVER_COMMAND: &str = "flowos.recover";
/// A task's rename (SPEC §4), which `textDocument/rename` runs and clients may send too.
pub const RENAME_COMMAND: &str = "flowos.renameTask";
/// The read-only query command (SPEC §9): answered from the live model by the server's
/// handler, never run as a transaction.
pub const QUERY_COMMAND: &str = "flowos.query";
/// pending-proposal's answers: approve (the change is made as the person acting) or reject.
pub const APPROVE_COMMAND: &str = "flowos.approveProposal";
pub const REJECT_COMMAND: &str = "flowos.rejectProposal";
pub const COMMANDS: [&str; 9] = [
    TRANSITION_COMMAND,
    COMPLETE_COMMAND,
    CREATE_FILE_COMMAND,
    NEW_TASK_COMMAND,
    RECOVER_COMMAND,
    RENAME_COMMAND,
    QUERY_COMMAND,
    APPROVE_COMMAND,
    REJECT_COMMAND,
];

/// `flowos.recover`: the tasks root to finish interrupted changes in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootArgument {
    pub root: PathBuf,
}

/// `flowos.transition` and `flowos.completeTransition`: a task (by root and ID), the action
/// (transitions only), and fingerprints of the files the action was computed from, so that
/// running it after any of them changed refuses instead of acting on a state the user did
/// not see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskArgument {
    pub root: PathBuf,
    pub task: String,
    #[serde(default)]
    pub action: Option<String>,
    /// Path → [`fingerprint`] of its text when the action was offered.
    #[serde(default)]
    pub fingerprints: BTreeMap<String, String>,
}

impl TaskArgument {
    /// The argument naming `task`, with the fingerprints of the `affected` files as they are.
    pub fn new(
        workspace: &Workspace,
        task: TaskIdx,
        action: Option<String>,
        affected: &[FileId],
    ) -> TaskArgument {
        let task = workspace.task(task);
        TaskArgument {
            root: workspace.roots[task.root].path.clone(),
            task: task.id.to_string(),
            action,
            fingerprints: affected
                .iter()
                .map(|&file| {
                    let source = workspace.file(file);
                    (
                        source.path.to_string_lossy().into_owned(),
                        fingerprint(&source.text),
                    )
                })
                .collect(),
        }
    }

    /// The task it names, looked up in the model as it is now.
    pub fn task(&self, workspace: &Workspace) -> Option<TaskIdx> {
        let (id, _) = parse_task_ref(&self.task)?;
        let root = workspace
            .roots
            .iter()
            .position(|candidate| candidate.path == self.root)?;
        workspace.owners(root, &id).first().copied()
    }

    /// The files whose text no longer matches the fingerprint they had when the action was
    /// offered (or that are gone).
    pub fn changed_since_offer(&self, workspace: &Workspace) -> Vec<PathBuf> {
        self.fingerprints
            .iter()
            .filter(|(path, expected)| {
                let now = workspace
                    .file_by_path(Path::new(path))
                    .map(|file| fingerprint(&workspace.file(file).text));
                now.as_ref() != Some(*expected)
            })
            .map(|(path, _)| PathBuf::from(path))
            .collect()
    }
}

/// `flowos.approveProposal` and `flowos.rejectProposal`: the task (with the fingerprints of
/// its card, ledger and proposals file as they were shown), the proposal's number, and for a
/// rejection the reason (a client may ask for it itself; otherwise the server asks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalArgument {
    #[serde(flatten)]
    pub task: TaskArgument,
    pub proposal: u32,
    #[serde(default)]
    pub reason: Option<String>,
    /// A task draft of the root's drafts file (then `task` names no task, and its
    /// fingerprints are the drafts file's), not a task's proposal.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
}

/// `flowos.createFile`, one per file: a quick fix that creates files, for clients that
/// cannot create files through an edit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateFileArgument {
    pub path: PathBuf,
    pub text: String,
}

/// `flowos.newTask` (WF1), which clients send of their own: `{name, namespace?, root?}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTaskArgument {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    /// A path in or above the tasks root; the only (or first) root when absent.
    #[serde(default)]
    pub root: Option<PathBuf>,
}

/// `flowos.renameTask`: the task (by root and ID, as a transition names it) and its new name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameArgument {
    #[serde(flatten)]
    pub task: TaskArgument,
    pub name: String,
}

/// A command's argument as `T`; None when it is missing or has another shape.
pub fn read<T: DeserializeOwned>(argument: Option<&Value>) -> Option<T> {
    T::deserialize(argument?).ok()
}

/// The argument as a JSON value, for a `Command`'s `arguments`.
pub fn write<T: Serialize>(argument: &T) -> Value {
    serde_json::to_value(argument).expect("command arguments are plain data")
}

/// A stable hash of a file's text, as a hex string (JSON numbers lose 64-bit precision).
pub fn fingerprint(text: &str) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::{ROOT, package, workspace};

    #[test]
    fn a_task_argument_reads_back_what_it_wrote_and_names_the_same_task() {
        let workspace = workspace(&package("current/TASK-0001-a", ""));
        let card = workspace
            .file_by_path(&PathBuf::from(ROOT).join("current/TASK-0001-a/0001-a.task.md"))
            .expect("the fixture's card");
        let task = workspace.task_idx_of_file(card).unwrap();
        let argument = TaskArgument::new(&workspace, task, Some("complete".into()), &[card]);
        let json = write(&argument);
        assert_eq!(json["root"], ROOT);
        assert_eq!(json["task"], "TASK-0001");
        assert_eq!(json["action"], "complete");
        let read_back: TaskArgument = read(Some(&json)).unwrap();
        assert_eq!(read_back, argument);
        assert_eq!(read_back.task(&workspace), Some(task));
        assert!(read_back.changed_since_offer(&workspace).is_empty());
    }

    #[test]
    fn a_changed_or_missing_file_is_named_and_a_malformed_argument_reads_as_none() {
        let workspace = workspace(&package("current/TASK-0001-a", ""));
        let argument = TaskArgument {
            root: PathBuf::from(ROOT),
            task: "TASK-0001".into(),
            action: None,
            fingerprints: [(format!("{ROOT}/gone.md"), "0".repeat(16))].into(),
        };
        assert_eq!(
            argument.changed_since_offer(&workspace),
            [PathBuf::from(ROOT).join("gone.md")]
        );
        assert_eq!(
            read::<TaskArgument>(Some(&serde_json::json!({"task": 1}))),
            None
        );
        assert_eq!(read::<TaskArgument>(None), None);
    }
}
