//! A `SourceChange` of the analysis as a `WorkspaceEdit`, in the shape the client takes.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    self as lsp, CreateFile, CreateFileOptions, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, RenameFile, RenameFileOptions, ResourceOp,
    TextDocumentEdit, Uri, WorkspaceEdit,
};

use super::{range, uri};
use crate::base::TextRange;
use crate::db::FileId;
use crate::ide::source_change::{FileChange, SourceChange, TextEdit, appended_text};
use crate::lsp::view::View;

/// What the client can take, from its `initialize` capabilities.
#[derive(Clone, Copy, Debug, Default)]
pub struct EditAbilities {
    pub document_changes: bool,
    pub create_files: bool,
    pub rename_files: bool,
    pub disabled_actions: bool,
}

/// The WorkspaceEdit of a change, versioned when the client takes document changes. None when
/// the change creates or moves files and the client cannot.
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
    let moves = change
        .changes
        .iter()
        .any(|part| matches!(part, FileChange::Move { .. }));
    if moves && !(abilities.document_changes && abilities.rename_files) {
        return None;
    }
    let text_edits = |file: FileId, edits: &[TextEdit]| {
        edits
            .iter()
            .map(|edit| lsp::TextEdit {
                range: range(workspace, file, edit.range, view.encoding),
                new_text: edit.insert.clone(),
            })
            .collect::<Vec<_>>()
    };
    // An append is an insertion at the end of the file as the model holds it.
    let file_edits = |part: &FileChange| match part {
        FileChange::Edit { file, edits } => Some((*file, text_edits(*file, edits))),
        FileChange::Append { file, lines } => {
            let text = &workspace.file(*file).text;
            let end = TextRange::new(text.len(), text.len());
            let insert = appended_text(text, lines);
            let edit = TextEdit { range: end, insert };
            Some((*file, text_edits(*file, &[edit])))
        }
        FileChange::Create { .. } | FileChange::Move { .. } => None,
    };
    if !abilities.document_changes {
        let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for (file, edits) in change.changes.iter().filter_map(file_edits) {
            let uri = uri(&workspace.file(file).path)?;
            changes.entry(uri).or_default().extend(edits);
        }
        return Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        });
    }
    let mut operations = Vec::new();
    for part in &change.changes {
        if let Some((file, edits)) = file_edits(part) {
            let path = &workspace.file(file).path;
            operations.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: uri(path)?,
                    version: view.documents.get(path).map(|document| document.version),
                },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }));
            continue;
        }
        match part {
            FileChange::Edit { .. } | FileChange::Append { .. } => {}
            FileChange::Create { path, text } => {
                let uri = uri(path)?;
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
            FileChange::Move { from, to } => {
                operations.push(DocumentChangeOperation::Op(ResourceOp::Rename(
                    RenameFile {
                        old_uri: uri(from)?,
                        new_uri: uri(to)?,
                        options: Some(RenameFileOptions {
                            overwrite: Some(false),
                            ignore_if_exists: Some(false),
                        }),
                        annotation_id: None,
                    },
                )));
            }
        }
    }
    Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(operations)),
        ..WorkspaceEdit::default()
    })
}
