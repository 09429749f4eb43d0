//! Conversions from protocol types to the analysis' coordinates: a document and a
//! line/character position become a file and a byte offset.

use std::path::PathBuf;

use serde::Deserialize;
use tower_lsp_server::ls_types::{CallHierarchyItem, Position, Range, Uri};

use crate::base::{LineCol, TextRange};
use crate::db::FileId;
use crate::db::Task;
use crate::ide::navigation;
use crate::lsp::to_proto::HierarchyData;
use crate::lsp::view::View;

/// The path of a `file:` URI.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|path| path.into_owned())
}

/// The model's file for a document URI, if it is in a tasks root.
pub fn file(view: &View, uri: &Uri) -> Option<FileId> {
    view.workspace.file_by_path(&path_of(uri)?)
}

/// A file and the byte offset of a position in it.
pub fn file_position(view: &View, uri: &Uri, position: Position) -> Option<(FileId, usize)> {
    let file = file(view, uri)?;
    Some((file, offset(view, file, position)))
}

/// A file and the byte range of a protocol range in it.
pub fn file_range(view: &View, uri: &Uri, range: Range) -> Option<(FileId, TextRange)> {
    let file = file(view, uri)?;
    let start = offset(view, file, range.start);
    let end = offset(view, file, range.end);
    Some((file, TextRange::new(start, end.max(start))))
}

fn offset(view: &View, file: FileId, position: Position) -> usize {
    let source = view.workspace.file(file);
    let at = LineCol {
        line: position.line,
        col: position.character,
    };
    source.line_index().offset(&source.text, at, view.encoding)
}

/// The task a call-hierarchy item sent back by the client stands for (its `data`, written by
/// `to_proto::call_hierarchy_item`).
pub fn hierarchy_task<'v>(view: &View<'v>, item: &CallHierarchyItem) -> Option<&'v Task> {
    let data = HierarchyData::deserialize(item.data.as_ref()?).ok()?;
    navigation::hierarchy_task(view.workspace, data.root, &data.id)
}
