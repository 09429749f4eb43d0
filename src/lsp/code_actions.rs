//! Code actions: quick fixes attached to their diagnostics, the source action that applies
//! every safe fix, and the stage transitions a task can take from where the cursor is.
//!
//! Quick fixes travel as WorkspaceEdits (versioned, undoable); transitions and the drift
//! completion travel as commands the server performs on disk (SPEC §5), each carrying a
//! fingerprint of the files it will touch so a change in between makes it refuse.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tower_lsp_server::ls_types::{
    self as lsp, CodeAction, CodeActionDisabled, CodeActionKind, CodeActionOrCommand, Command,
    CreateFile, CreateFileOptions, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, ResourceOp, TextDocumentEdit, Uri, WorkspaceEdit,
};

use crate::base::TextRange;
use crate::db::layout::namespace_of_dir;
use crate::db::{FileId, FileRole, Parsed, TaskIdx, Workspace};
use crate::ide::fixes::{self, Fix, FixAction, FixContext};
use crate::ide::projection::affected_files;
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::transitions::{self, TransitionContext};
use crate::ide::types::Diagnostic;
use crate::lsp::to_proto;
use crate::lsp::view::View;
use crate::syntax::index_table::row_task_id;

pub const TRANSITION_KIND: &str = "refactor.rewrite.flowos";
pub const FIX_ALL_KIND: &str = "source.fixAll.flowos";

pub const TRANSITION_COMMAND: &str = "flowos.transition";
pub const COMPLETE_COMMAND: &str = "flowos.completeTransition";
pub const CREATE_FILE_COMMAND: &str = "flowos.createFile";
pub const NEW_TASK_COMMAND: &str = "flowos.newTask";
pub const COMMANDS: [&str; 4] = [
    TRANSITION_COMMAND,
    COMPLETE_COMMAND,
    CREATE_FILE_COMMAND,
    NEW_TASK_COMMAND,
];

/// What the client can take, from its `initialize` capabilities.
#[derive(Clone, Copy, Debug, Default)]
pub struct EditAbilities {
    pub document_changes: bool,
    pub create_files: bool,
    pub disabled_actions: bool,
}

pub struct Request {
    pub file: FileId,
    pub range: TextRange,
    pub only: Option<Vec<CodeActionKind>>,
    pub abilities: EditAbilities,
    pub now: i64,
}

/// Whether the client asked for actions of `kind` (a requested kind covers its sub-kinds).
fn wanted(only: &Option<Vec<CodeActionKind>>, kind: &str) -> bool {
    match only {
        None => !kind.starts_with("source"),
        Some(kinds) => kinds.iter().any(|requested| {
            let requested = requested.as_str();
            kind == requested || kind.starts_with(&format!("{requested}."))
        }),
    }
}

pub fn code_actions(view: &View, request: &Request) -> Vec<CodeActionOrCommand> {
    let workspace = view.workspace;
    let diagnostics: &[Diagnostic] = &view.diagnostics_of(request.file);
    let fix_context = FixContext {
        now: request.now,
        user: view.settings.user.clone(),
    };
    let mut actions = Vec::new();
    if wanted(&request.only, "quickfix") {
        for diagnostic in diagnostics
            .iter()
            .filter(|d| touches(d.range, request.range))
        {
            let fixes = fixes::fixes_for(workspace, &fix_context, diagnostic);
            let single = fixes.len() == 1;
            for fix in fixes {
                if let Some(action) = fix_action(view, request, diagnostic, &fix, single) {
                    actions.push(CodeActionOrCommand::CodeAction(action));
                }
            }
        }
    }
    let fix_all_asked = request
        .only
        .as_ref()
        .is_some_and(|_| wanted(&request.only, FIX_ALL_KIND));
    if fix_all_asked || (request.only.is_none() && diagnostics.len() > 1) {
        let (change, count) = fixes::fix_all(workspace, &fix_context, diagnostics);
        if count > 0
            && (fix_all_asked || count > 1)
            && let Some(edit) = workspace_edit(view, &change, request.abilities)
        {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!(
                    "Fix all safe problems in this file ({count} fix{})",
                    if count == 1 { "" } else { "es" }
                ),
                kind: Some(CodeActionKind::from(FIX_ALL_KIND.to_string())),
                edit: Some(edit),
                ..CodeAction::default()
            }));
        }
    }
    if wanted(&request.only, TRANSITION_KIND)
        && let Some(task) = task_at(workspace, request.file, request.range.start as usize)
    {
        actions.extend(
            transition_actions(view, task, request)
                .into_iter()
                .map(CodeActionOrCommand::CodeAction),
        );
    }
    actions
}

/// Ranges touch when they overlap or one ends where the other starts (a cursor at either end
/// of a diagnostic still gets its fixes).
fn touches(a: TextRange, b: TextRange) -> bool {
    a.start <= b.end && b.start <= a.end
}

fn fix_action(
    view: &View,
    request: &Request,
    diagnostic: &Diagnostic,
    fix: &Fix,
    single: bool,
) -> Option<CodeAction> {
    let workspace = view.workspace;
    let mut action = CodeAction {
        title: fix.label.clone(),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![to_proto::diagnostic(
            workspace,
            diagnostic,
            view.encoding,
        )]),
        is_preferred: Some(fix.safe && single),
        ..CodeAction::default()
    };
    match &fix.action {
        FixAction::Change(change) => {
            let creates_only_files = change
                .changes
                .iter()
                .all(|part| matches!(part, FileChange::Create { .. }));
            if let Some(edit) = workspace_edit(view, change, request.abilities) {
                action.edit = Some(edit);
            } else if creates_only_files {
                // The client cannot create files through an edit: the server does it.
                action.command = Some(Command {
                    title: fix.label.clone(),
                    command: CREATE_FILE_COMMAND.into(),
                    arguments: Some(
                        change
                            .changes
                            .iter()
                            .filter_map(|part| match part {
                                FileChange::Create { path, text } => {
                                    Some(json!({"path": path, "text": text}))
                                }
                                FileChange::Edit { .. } => None,
                            })
                            .collect(),
                    ),
                });
            } else {
                return None;
            }
        }
        FixAction::CompleteTransition { task, .. } => {
            action.command = Some(Command {
                title: fix.label.clone(),
                command: COMPLETE_COMMAND.into(),
                arguments: Some(vec![task_argument(workspace, *task, None, &[])]),
            });
        }
    }
    Some(action)
}

/// The task a position belongs to: the package a card, ledger or context file is part of, or
/// the task an INDEX.md row lists.
fn task_at(workspace: &Workspace, file: FileId, offset: usize) -> Option<TaskIdx> {
    if let Some(task) = workspace.task_idx_of_file(file) {
        return Some(task);
    }
    let source = workspace.file(file);
    if !matches!(
        source.role,
        FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex
    ) {
        return None;
    }
    let Parsed::Index(parsed) = &source.parsed else {
        return None;
    };
    let table = parsed.table.as_ref()?;
    let row = table
        .rows
        .iter()
        .find(|row| row.range.start as usize <= offset && offset <= row.range.end as usize)?;
    let (id, _) = row_task_id(row, table)?;
    // A bare ID in a namespace's own index means that namespace's task.
    let namespace = workspace.roots[source.root]
        .indexes
        .iter()
        .find(|index| index.file == file)
        .and_then(|index| index.namespace_dir.as_deref())
        .and_then(namespace_of_dir);
    let id = id.resolved_in(namespace.as_deref());
    workspace.owners(source.root, &id).first().copied()
}

fn transition_actions(view: &View, task: TaskIdx, request: &Request) -> Vec<CodeAction> {
    let workspace = view.workspace;
    let ctx = TransitionContext {
        now: request.now,
        user: view.settings.user.clone(),
        config: view.config.clone(),
    };
    let mut actions = Vec::new();
    for offer in transitions::offers(workspace, task, &ctx) {
        let kind = Some(CodeActionKind::from(TRANSITION_KIND.to_string()));
        if let Some(reason) = offer.disabled {
            if request.abilities.disabled_actions {
                actions.push(CodeAction {
                    title: offer.title,
                    kind,
                    disabled: Some(CodeActionDisabled { reason }),
                    ..CodeAction::default()
                });
            }
            continue;
        }
        // The files it would touch now, fingerprinted so that executing it after any of them
        // changed refuses instead of acting on a state the user did not see.
        let affected = transitions::plan(workspace, task, &offer.action, &ctx)
            .map(|plan| affected_files(workspace, &plan.tasks))
            .unwrap_or_default();
        actions.push(CodeAction {
            title: offer.title.clone(),
            kind,
            command: Some(Command {
                title: offer.title,
                command: TRANSITION_COMMAND.into(),
                arguments: Some(vec![task_argument(
                    workspace,
                    task,
                    Some(&offer.action.cli_name()),
                    &affected,
                )]),
            }),
            ..CodeAction::default()
        });
    }
    actions
}

/// A command's argument naming a task (by root and ID), the action, and fingerprints of the
/// files the action was computed from.
fn task_argument(
    workspace: &Workspace,
    task: TaskIdx,
    action: Option<&str>,
    affected: &[FileId],
) -> Value {
    let task = workspace.task(task);
    let fingerprints: serde_json::Map<String, Value> = affected
        .iter()
        .map(|&file| {
            let source = workspace.file(file);
            (
                source.path.to_string_lossy().into_owned(),
                Value::from(fingerprint(&source.text)),
            )
        })
        .collect();
    json!({
        "root": workspace.roots[task.root].path,
        "task": task.id.to_string(),
        "action": action,
        "fingerprints": fingerprints,
    })
}

/// A stable hash of a file's text, as a hex string (JSON numbers lose 64-bit precision).
pub fn fingerprint(text: &str) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The WorkspaceEdit of a change, versioned when the client takes document changes. None when
/// the change creates files and the client cannot.
pub fn workspace_edit(
    view: &View,
    change: &SourceChange,
    abilities: EditAbilities,
) -> Option<WorkspaceEdit> {
    let workspace = view.workspace;
    let creates = change
        .changes
        .iter()
        .any(|part| matches!(part, FileChange::Create { .. }));
    if creates && !(abilities.document_changes && abilities.create_files) {
        return None;
    }
    let text_edits = |file: FileId, edits: &[crate::ide::source_change::TextEdit]| {
        edits
            .iter()
            .map(|edit| lsp::TextEdit {
                range: to_proto::range(workspace, file, edit.range, view.encoding),
                new_text: edit.insert.clone(),
            })
            .collect::<Vec<_>>()
    };
    if !abilities.document_changes {
        let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for part in &change.changes {
            if let FileChange::Edit { file, edits } = part {
                let uri = to_proto::uri(&workspace.file(*file).path)?;
                changes
                    .entry(uri)
                    .or_default()
                    .extend(text_edits(*file, edits));
            }
        }
        return Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        });
    }
    let mut operations = Vec::new();
    for part in &change.changes {
        match part {
            FileChange::Edit { file, edits } => {
                let path = &workspace.file(*file).path;
                operations.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier {
                        uri: to_proto::uri(path)?,
                        version: view.documents.get(path).map(|document| document.version),
                    },
                    edits: text_edits(*file, edits)
                        .into_iter()
                        .map(OneOf::Left)
                        .collect(),
                }));
            }
            FileChange::Create { path, text } => {
                let uri = to_proto::uri(path)?;
                operations.push(DocumentChangeOperation::Op(ResourceOp::Create(
                    CreateFile {
                        uri: uri.clone(),
                        options: Some(CreateFileOptions {
                            overwrite: Some(false),
                            ignore_if_exists: Some(true),
                        }),
                        annotation_id: None,
                    },
                )));
                operations.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
                    edits: vec![OneOf::Left(lsp::TextEdit {
                        range: lsp::Range::default(),
                        new_text: text.clone(),
                    })],
                }));
            }
        }
    }
    Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(operations)),
        ..WorkspaceEdit::default()
    })
}

/// The task a command's argument names, looked up in the model as it is now.
pub fn task_of_argument(workspace: &Workspace, argument: &Value) -> Option<TaskIdx> {
    let root = PathBuf::from(argument.get("root")?.as_str()?);
    let spelling = argument.get("task")?.as_str()?;
    let (id, _) = crate::syntax::task_id::parse_task_ref(spelling)?;
    let root_index = workspace
        .roots
        .iter()
        .position(|candidate| candidate.path == root)?;
    workspace.owners(root_index, &id).first().copied()
}

/// The files whose text no longer matches the fingerprint they had when the action was
/// offered (or that are gone).
pub fn changed_since_offer(workspace: &Workspace, argument: &Value) -> Vec<PathBuf> {
    let Some(fingerprints) = argument.get("fingerprints").and_then(Value::as_object) else {
        return Vec::new();
    };
    fingerprints
        .iter()
        .filter(|(path, expected)| {
            let now = workspace
                .file_by_path(Path::new(path))
                .map(|file| fingerprint(&workspace.file(file).text));
            now.as_deref() != expected.as_str()
        })
        .map(|(path, _)| PathBuf::from(path))
        .collect()
}
