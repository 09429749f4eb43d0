//! Code actions: quick fixes attached to their diagnostics, the source action that applies
//! every safe fix, and the stage transitions a task can take from where the cursor is.
//!
//! Quick fixes travel as WorkspaceEdits (versioned, undoable); transitions and the drift
//! completion travel as commands the server performs on disk (SPEC §5), each carrying a
//! fingerprint of the files it will touch so a change in between makes it refuse.

use crate::base::TextRange;
use crate::db::{FileId, TaskIdx};
use crate::ide::fixes::{Fix, FixAction};
use crate::ide::projection::affected_files;
use crate::ide::source_change::FileChange;
use crate::ide::task_of_position::task_of_position;
use crate::ide::types::{Config, Diagnostic};
use crate::ide::{fixes, transitions};
use crate::lsp::command_args::{
    APPROVE_COMMAND, COMPLETE_COMMAND, CREATE_FILE_COMMAND, CreateFileArgument, ProposalArgument,
    RECOVER_COMMAND, REJECT_COMMAND, RootArgument, TRANSITION_COMMAND, TaskArgument,
};
use crate::lsp::to_proto::{EditAbilities, workspace_edit};
use crate::lsp::view::View;
use crate::lsp::{command_args, to_proto};
use crate::transaction::{INTENT_DIR, is_intent_name};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionDisabled, CodeActionKind, CodeActionOrCommand, Command,
};

pub const TRANSITION_KIND: &str = "refactor.rewrite.flowos";
pub const FIX_ALL_KIND: &str = "source.fixAll.flowos";

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
    let fix_context = Config {
        now: request.now,
        ..view.config.clone()
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
    if wanted(&request.only, "quickfix")
        && let Some(action) = recovery_action(view, request)
    {
        actions.insert(0, CodeActionOrCommand::CodeAction(action));
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
        && let Some(task) = task_of_position(workspace, request.file, request.range.start as usize)
    {
        actions.extend(
            transition_actions(view, task, request)
                .into_iter()
                .map(CodeActionOrCommand::CodeAction),
        );
    }
    actions
}

/// Offered on every file of a tasks root holding records of changes a crash interrupted (a
/// new task or a transition killed part way): what they left (a row with no task yet, a card
/// without its status) is not theirs to fix one diagnostic at a time, and recovery finishes
/// each whole, from its record, or discards one that never committed.
fn recovery_action(view: &View, request: &Request) -> Option<CodeAction> {
    let workspace = view.workspace;
    let path = &workspace.file(request.file).path;
    let root = workspace
        .roots
        .iter()
        .position(|root| path.starts_with(&root.path))?;
    let pending = workspace
        .load_problems_in(root, INTENT_DIR)
        .filter(|(name, _)| is_intent_name(name))
        .count();
    if pending == 0 {
        return None;
    }
    let changes = if pending == 1 {
        "the interrupted change".to_string()
    } else {
        format!("the {pending} interrupted changes")
    };
    let title = format!("Finish {changes} in this tasks root (as `flowos-lsp check --fix` does)");
    Some(CodeAction {
        title: title.clone(),
        kind: Some(CodeActionKind::QUICKFIX),
        is_preferred: Some(true),
        command: Some(Command {
            title,
            command: RECOVER_COMMAND.into(),
            arguments: Some(vec![command_args::write(&RootArgument {
                root: workspace.roots[root].path.clone(),
            })]),
        }),
        ..CodeAction::default()
    })
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
                                    Some(command_args::write(&CreateFileArgument {
                                        path: path.clone(),
                                        text: text.clone(),
                                    }))
                                }
                                _ => None,
                            })
                            .collect(),
                    ),
                });
            } else {
                return None;
            }
        }
        FixAction::ApproveProposal { task, number }
        | FixAction::RejectProposal { task, number } => {
            let command = if matches!(fix.action, FixAction::ApproveProposal { .. }) {
                APPROVE_COMMAND
            } else {
                REJECT_COMMAND
            };
            let shown = workspace.task(*task);
            let seen: Vec<FileId> = [shown.card, shown.ledger, shown.proposals]
                .into_iter()
                .flatten()
                .collect();
            action.command = Some(Command {
                title: fix.label.clone(),
                command: command.into(),
                arguments: Some(vec![command_args::write(&ProposalArgument {
                    task: TaskArgument::new(workspace, *task, None, &seen),
                    proposal: *number,
                    reason: None,
                    draft: false,
                })]),
            });
        }
        FixAction::ApproveDraft { root, number } | FixAction::RejectDraft { root, number } => {
            let command = if matches!(fix.action, FixAction::ApproveDraft { .. }) {
                APPROVE_COMMAND
            } else {
                REJECT_COMMAND
            };
            let drafts = crate::db::proposals::drafts_file(workspace, *root)?;
            let source = workspace.file(drafts);
            let task = TaskArgument {
                root: workspace.roots[*root].path.clone(),
                task: String::new(),
                action: None,
                fingerprints: [(
                    source.path.to_string_lossy().into_owned(),
                    command_args::fingerprint(&source.text),
                )]
                .into(),
            };
            action.command = Some(Command {
                title: fix.label.clone(),
                command: command.into(),
                arguments: Some(vec![command_args::write(&ProposalArgument {
                    task,
                    proposal: *number,
                    reason: None,
                    draft: true,
                })]),
            });
        }
        FixAction::CompleteTransition { task, .. } => {
            action.command = Some(Command {
                title: fix.label.clone(),
                command: COMPLETE_COMMAND.into(),
                arguments: Some(vec![command_args::write(&TaskArgument::new(
                    workspace,
                    *task,
                    None,
                    &[],
                ))]),
            });
        }
    }
    Some(action)
}

fn transition_actions(view: &View, task: TaskIdx, request: &Request) -> Vec<CodeAction> {
    let workspace = view.workspace;
    let ctx = Config {
        now: request.now,
        ..view.config.clone()
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
                arguments: Some(vec![command_args::write(&TaskArgument::new(
                    workspace,
                    task,
                    Some(offer.action.cli_name()),
                    &affected,
                ))]),
            }),
            ..CodeAction::default()
        });
    }
    actions
}
