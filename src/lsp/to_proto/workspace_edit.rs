//! A `SourceChange` of the analysis as a `WorkspaceEdit`, in the shape the client takes.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    self as lsp, CreateFile, CreateFileOptions, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, ResourceOp, TextDocumentEdit, Uri, WorkspaceEdit,
};

use super::{range, uri};
use crate::db::FileId;
use crate::ide::source_change::{FileChange, SourceChange, TextEdit};
use crate::lsp::view::View;

/// What the client can take, from its `initialize` capabilities.
#[derive(Clone, Copy, Debug, Default)]
pub struct EditAbilities {
    pub document_changes: bool,
    pub create_files: bool,
    pub disabled_actions: bool,
}

/// The WorkspaceEdit of a change, versioned when the client takes document changes. None when
/// the change creates files and the client cannot, and for a change that appends to a ledger
/// or moves a folder: that is a transition's (or a rename's, an approval's), which the server
/// runs on disk as one transaction with its intent record (`commands`), never as an edit the
/// client might apply in part.
pub fn workspace_edit(
    view: &View,
    change: &SourceChange,
    abilities: EditAbilities,
) -> Option<WorkspaceEdit> {
    let workspace = view.workspace;
    let transition = change
        .changes
        .iter()
        .any(|part| matches!(part, FileChange::Append { .. } | FileChange::Move { .. }));
    if transition {
        return None;
    }
    let creates = change
        .changes
        .iter()
        .any(|part| matches!(part, FileChange::Create { .. }));
    if creates && !(abilities.document_changes && abilities.create_files) {
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
    if !abilities.document_changes {
        let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for part in &change.changes {
            if let FileChange::Edit { file, edits } = part {
                let uri = uri(&workspace.file(*file).path)?;
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
                        uri: uri(path)?,
                        version: view.documents.get(path).map(|document| document.version),
                    },
                    edits: text_edits(*file, edits)
                        .into_iter()
                        .map(OneOf::Left)
                        .collect(),
                }));
            }
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
            FileChange::Append { .. } | FileChange::Move { .. } => return None,
        }
    }
    Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(operations)),
        ..WorkspaceEdit::default()
    })
}
