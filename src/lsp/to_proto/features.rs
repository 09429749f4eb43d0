//! Answers of the analysis' features as protocol values: definitions, call hierarchy items,
//! completion items, hovers, symbols, links, inlay hints and code lenses.

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types as lsp;

use super::{location, range, uri};
use crate::base::TextRange;
use crate::db::FileId;
use crate::ide::code_lens::CodeLens;
use crate::ide::completion::{CompletionItem, CompletionKind, CompletionList};
use crate::ide::document_links::DocumentLink;
use crate::ide::hover::HoverResult;
use crate::ide::inlay_hints::InlayHint;
use crate::ide::navigation::{HierarchyItem, NavTarget};
use crate::ide::symbols::{self, Symbol, WorkspaceSymbol};
use crate::lsp::view::View;

/// What a call-hierarchy item carries in its `data`, so a follow-up request finds its task
/// again without the server remembering anything (read back by `from_proto`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HierarchyData {
    pub root: usize,
    pub id: String,
}

/// A definition, as a link (from the `origin` under the cursor) when the client takes links.
pub fn goto_definition(
    view: &View,
    file: FileId,
    origin: TextRange,
    target: &NavTarget,
    links: bool,
) -> Option<lsp::GotoDefinitionResponse> {
    let workspace = view.workspace;
    let range = |file, text_range| range(workspace, file, text_range, view.encoding);
    let target_uri = uri(&workspace.file(target.file).path)?;
    Some(if links {
        lsp::GotoDefinitionResponse::Link(vec![lsp::LocationLink {
            origin_selection_range: Some(range(file, origin)),
            target_uri,
            target_range: range(target.file, target.full_range),
            target_selection_range: range(target.file, target.focus_range),
        }])
    } else {
        lsp::GotoDefinitionResponse::Scalar(lsp::Location::new(
            target_uri,
            range(target.file, target.focus_range),
        ))
    })
}

/// A task as a call-hierarchy node.
pub fn call_hierarchy_item(view: &View, item: &HierarchyItem) -> Option<lsp::CallHierarchyItem> {
    let workspace = view.workspace;
    let target = &item.target;
    let data = HierarchyData {
        root: item.root,
        id: item.id.to_string(),
    };
    Some(lsp::CallHierarchyItem {
        name: item.name.clone(),
        kind: lsp::SymbolKind::OBJECT,
        tags: None,
        detail: Some(item.detail.clone()),
        uri: uri(&workspace.file(target.file).path)?,
        range: range(workspace, target.file, target.full_range, view.encoding),
        selection_range: range(workspace, target.file, target.focus_range, view.encoding),
        data: Some(serde_json::to_value(data).expect("plain data")),
    })
}

/// A task that names the hierarchy's task, with the ranges of the mentions in its card.
pub fn incoming_call(
    view: &View,
    caller: &HierarchyItem,
    ranges: &[TextRange],
) -> Option<lsp::CallHierarchyIncomingCall> {
    let from_ranges = ranges
        .iter()
        .map(|&text_range| {
            range(
                view.workspace,
                caller.target.file,
                text_range,
                view.encoding,
            )
        })
        .collect();
    Some(lsp::CallHierarchyIncomingCall {
        from: call_hierarchy_item(view, caller)?,
        from_ranges,
    })
}

/// A task the hierarchy's task depends on; the ranges are in the caller's own `card`, where
/// its depends_on lists them.
pub fn outgoing_call(
    view: &View,
    card: FileId,
    callee: &HierarchyItem,
    ranges: &[TextRange],
) -> Option<lsp::CallHierarchyOutgoingCall> {
    let from_ranges = ranges
        .iter()
        .map(|&text_range| range(view.workspace, card, text_range, view.encoding))
        .collect();
    Some(lsp::CallHierarchyOutgoingCall {
        to: call_hierarchy_item(view, callee)?,
        from_ranges,
    })
}

pub fn completion_list(view: &View, file: FileId, list: CompletionList) -> lsp::CompletionResponse {
    lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete: list.is_incomplete,
        items: list
            .items
            .into_iter()
            .map(|item| completion_item(view, file, item))
            .collect(),
    })
}

#[allow(deprecated)] // `CompletionItem::deprecated` is still what some clients read.
fn completion_item(view: &View, file: FileId, item: CompletionItem) -> lsp::CompletionItem {
    let (text_range, new_text) = item.edit;
    lsp::CompletionItem {
        label: item.label,
        kind: Some(completion_kind(item.kind)),
        detail: item.detail,
        documentation: item.documentation.map(|value| {
            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value,
            })
        }),
        deprecated: item.deprecated.then_some(true),
        tags: item
            .deprecated
            .then(|| vec![lsp::CompletionItemTag::DEPRECATED]),
        sort_text: Some(item.sort_text),
        filter_text: item.filter_text,
        insert_text_format: Some(if item.is_snippet {
            lsp::InsertTextFormat::SNIPPET
        } else {
            lsp::InsertTextFormat::PLAIN_TEXT
        }),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
            range: range(view.workspace, file, text_range, view.encoding),
            new_text,
        })),
        ..lsp::CompletionItem::default()
    }
}

fn completion_kind(kind: CompletionKind) -> lsp::CompletionItemKind {
    match kind {
        CompletionKind::Task => lsp::CompletionItemKind::REFERENCE,
        CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Keyword => lsp::CompletionItemKind::PROPERTY,
        CompletionKind::Event => lsp::CompletionItemKind::EVENT,
        CompletionKind::Snippet => lsp::CompletionItemKind::SNIPPET,
        CompletionKind::User => lsp::CompletionItemKind::CONSTANT,
        CompletionKind::Tag => lsp::CompletionItemKind::KEYWORD,
    }
}

pub fn hover(view: &View, file: FileId, found: HoverResult) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: found.markdown,
        }),
        range: Some(range(view.workspace, file, found.range, view.encoding)),
    }
}

fn symbol_kind(kind: symbols::SymbolKind) -> lsp::SymbolKind {
    match kind {
        symbols::SymbolKind::Task | symbols::SymbolKind::Row => lsp::SymbolKind::OBJECT,
        symbols::SymbolKind::Frontmatter => lsp::SymbolKind::NAMESPACE,
        symbols::SymbolKind::Field => lsp::SymbolKind::PROPERTY,
        symbols::SymbolKind::Section => lsp::SymbolKind::STRING,
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be spelled out.
pub fn document_symbol(view: &View, file: FileId, symbol: Symbol) -> lsp::DocumentSymbol {
    let range = |text_range: TextRange| range(view.workspace, file, text_range, view.encoding);
    lsp::DocumentSymbol {
        name: symbol.name,
        detail: symbol.detail,
        kind: symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        range: range(symbol.range),
        selection_range: range(symbol.selection),
        children: Some(
            symbol
                .children
                .into_iter()
                .map(|child| document_symbol(view, file, child))
                .collect(),
        ),
    }
}

pub fn workspace_symbol(view: &View, symbol: WorkspaceSymbol) -> Option<lsp::WorkspaceSymbol> {
    let location = location(view.workspace, symbol.file, symbol.range, view.encoding)?;
    Some(lsp::WorkspaceSymbol {
        name: symbol.name,
        kind: lsp::SymbolKind::OBJECT,
        tags: None,
        container_name: Some(symbol.detail),
        location: lsp::OneOf::Left(location),
        data: None,
    })
}

pub fn document_link(view: &View, file: FileId, link: DocumentLink) -> lsp::DocumentLink {
    lsp::DocumentLink {
        range: range(view.workspace, file, link.range, view.encoding),
        target: uri(&view.workspace.file(link.target).path),
        tooltip: Some(link.tooltip),
        data: None,
    }
}

pub fn inlay_hint(view: &View, file: FileId, hint: InlayHint) -> lsp::InlayHint {
    let source = view.workspace.file(file);
    let at = source
        .line_index()
        .line_col(&source.text, hint.offset, view.encoding);
    lsp::InlayHint {
        position: lsp::Position::new(at.line, at.col),
        label: lsp::InlayHintLabel::String(hint.label),
        kind: None,
        text_edits: None,
        tooltip: hint.tooltip.map(lsp::InlayHintTooltip::String),
        padding_left: Some(true),
        padding_right: None,
        data: None,
    }
}

pub fn code_lens(view: &View, file: FileId, lens: CodeLens) -> lsp::CodeLens {
    lsp::CodeLens {
        range: range(view.workspace, file, lens.range, view.encoding),
        // A label, not an action: an empty command makes editors show it as text.
        command: Some(lsp::Command {
            title: lens.title,
            command: String::new(),
            arguments: None,
        }),
        data: None,
    }
}

/// Where a rename starts: the name's range, and the name as the editor's placeholder.
pub fn prepare_rename(
    view: &View,
    file: FileId,
    target: crate::ide::rename::RenameTarget,
) -> lsp::PrepareRenameResponse {
    lsp::PrepareRenameResponse::RangeWithPlaceholder {
        range: range(view.workspace, file, target.range, view.encoding),
        placeholder: target.name,
    }
}
