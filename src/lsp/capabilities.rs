//! What the server and the client can do: the client's abilities read from `initialize`,
//! the position encoding negotiated, and the capabilities the server announces.

use std::path::PathBuf;

use tower_lsp_server::ls_types::*;

use crate::base::PositionEncoding;
use crate::ide::completion;
use crate::lsp::code_actions;
use crate::lsp::command_args;
use crate::lsp::from_proto::path_of;
use crate::lsp::to_proto::EditAbilities;

/// What the client said it can do, captured at `initialize`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClientAbilities {
    pub progress: bool,
    pub dynamic_watch: bool,
    pub configuration: bool,
    pub definition_links: bool,
    pub edits: EditAbilities,
    pub show_document: bool,
    /// The client takes `workspace/applyEdit` requests.
    pub apply_edit: bool,
}

impl ClientAbilities {
    pub fn of(capabilities: &ClientCapabilities) -> ClientAbilities {
        let workspace = capabilities.workspace.as_ref();
        ClientAbilities {
            progress: capabilities
                .window
                .as_ref()
                .and_then(|window| window.work_done_progress)
                .unwrap_or(false),
            dynamic_watch: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false),
            configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
            definition_links: capabilities
                .text_document
                .as_ref()
                .and_then(|text| text.definition.as_ref())
                .and_then(|definition| definition.link_support)
                .unwrap_or(false),
            edits: edit_abilities(capabilities),
            show_document: capabilities
                .window
                .as_ref()
                .and_then(|window| window.show_document.as_ref())
                .is_some_and(|show| show.support),
            apply_edit: capabilities
                .workspace
                .as_ref()
                .and_then(|workspace| workspace.apply_edit)
                .unwrap_or(false),
        }
    }
}

pub fn workspace_folders(params: &InitializeParams) -> Vec<PathBuf> {
    if let Some(folders) = &params.workspace_folders {
        return folders
            .iter()
            .filter_map(|folder| path_of(&folder.uri))
            .collect();
    }
    #[allow(deprecated)]
    let root = params.root_uri.as_ref().and_then(path_of);
    root.into_iter().collect()
}

fn edit_abilities(capabilities: &ClientCapabilities) -> EditAbilities {
    let edit = capabilities
        .workspace
        .as_ref()
        .and_then(|workspace| workspace.workspace_edit.as_ref());
    EditAbilities {
        document_changes: edit.and_then(|e| e.document_changes).unwrap_or(false),
        create_files: edit
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|ops| ops.contains(&ResourceOperationKind::Create)),
        disabled_actions: capabilities
            .text_document
            .as_ref()
            .and_then(|text| text.code_action.as_ref())
            .and_then(|action| action.disabled_support)
            .unwrap_or(false),
    }
}

pub fn negotiate_encoding(params: &InitializeParams) -> PositionEncoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
        _ => PositionEncoding::Utf16,
    }
}

pub fn capabilities(encoding: PositionEncoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        diagnostic_provider: Some(DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("flowos".into()),
            inter_file_dependencies: true,
            workspace_diagnostics: false,
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        call_hierarchy_provider: Some(CallHierarchyServerCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(
                completion::TRIGGER_CHARACTERS
                    .iter()
                    .map(|trigger| trigger.to_string())
                    .collect(),
            ),
            resolve_provider: Some(false),
            ..CompletionOptions::default()
        }),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_link_provider: Some(DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        inlay_hint_provider: Some(OneOf::Left(true)),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::from(code_actions::TRANSITION_KIND.to_string()),
                CodeActionKind::from(code_actions::FIX_ALL_KIND.to_string()),
            ]),
            resolve_provider: Some(false),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: command_args::COMMANDS
                .iter()
                .map(|c| c.to_string())
                .collect(),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: Some(WorkspaceFileOperationsServerCapabilities {
                will_rename: Some(task_file_filters()),
                ..WorkspaceFileOperationsServerCapabilities::default()
            }),
        }),
        ..ServerCapabilities::default()
    }
}

/// The renames `workspace/willRenameFiles` is asked about: task folders (`TASK-…`, wherever
/// the tasks root is, configured or found) and cards, so a rename in the editor's explorer
/// keeps links and index rows true (and a drag into another stage is answered).
fn task_file_filters() -> FileOperationRegistrationOptions {
    let filter = |glob: &str, matches: FileOperationPatternKind| FileOperationFilter {
        scheme: Some("file".into()),
        pattern: FileOperationPattern {
            glob: glob.into(),
            matches: Some(matches),
            options: None,
        },
    };
    FileOperationRegistrationOptions {
        filters: vec![
            filter("**/TASK-*", FileOperationPatternKind::Folder),
            filter("**/*.task.md", FileOperationPatternKind::File),
        ],
    }
}
