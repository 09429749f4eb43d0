//! The markdown links a package's new place breaks, set right: every link in the root's
//! cards, contexts, learning files and indexes that leads into the package's old folder is
//! pointed at the same file in its new one (`index_links::moved_target`).

use std::collections::BTreeMap;

use crate::db::{FileId, FileRole, Workspace};
use crate::ide::index_links::{TaskPlace, moved_target};
use crate::ide::source_change::{TextEdit, apply_edits};
use crate::syntax::markdown_links::link_targets;

/// Whether links in a file of this role are rewritten: the markdown the product reads
/// (earlier card versions are history and keep the paths they had).
fn holds_links(role: &FileRole) -> bool {
    matches!(
        role,
        FileRole::Card
            | FileRole::Context
            | FileRole::Learning
            | FileRole::StageIndex(_)
            | FileRole::RootIndex
            | FileRole::NamespaceIndex
    )
}

/// Where the file `rel` is once the package moves from `from` to `to`: a file of the package
/// moves along (the card also takes its new name); any other stays.
pub(super) fn place_after(rel: &str, from: &TaskPlace, to: &TaskPlace) -> String {
    if from.card.as_deref() == Some(rel)
        && let Some(card) = &to.card
    {
        return card.clone();
    }
    match rel.strip_prefix(from.folder.as_str()) {
        Some(rest) if rest.starts_with('/') => format!("{}{rest}", to.folder),
        _ => rel.to_string(),
    }
}

/// The edits that point `text` (the text of `file`, as the change has it so far) at the
/// package's new place.
pub(super) fn link_edits(
    workspace: &Workspace,
    file: FileId,
    text: &str,
    from: &TaskPlace,
    to: &TaskPlace,
) -> Vec<TextEdit> {
    let source = workspace.file(file);
    let root = &workspace.roots[source.root].path;
    let after = place_after(&source.rel, from, to);
    link_targets(text)
        .into_iter()
        .filter_map(|range| {
            let insert = moved_target(&source.rel, &after, range.slice(text), root, from, to)?;
            Some(TextEdit { range, insert })
        })
        .collect()
}

/// The files of tasks root `root` that may link into the package at `from`: its own files,
/// and any other whose text names its folder (a cheap substring test, so a rename reads the
/// links of the few files that mention the task, not of all of them).
pub(super) fn candidates(workspace: &Workspace, root: usize, from: &TaskPlace) -> Vec<FileId> {
    let folder_name = from.folder.rsplit('/').next().unwrap_or(&from.folder);
    let own = format!("{}/", from.folder);
    (0..workspace.files.len())
        .map(|index| FileId(index as u32))
        .filter(|&file| {
            let source = workspace.file(file);
            source.root == root
                && source.exists
                && holds_links(&source.role)
                && (source.rel.starts_with(&own) || source.text.contains(folder_name))
        })
        .collect()
}

/// Sets right, in `texts` (new texts by file, read before the model's), every link of the
/// root that leads into the package at `from`.
pub(super) fn retarget(
    workspace: &Workspace,
    root: usize,
    from: &TaskPlace,
    to: &TaskPlace,
    texts: &mut BTreeMap<FileId, String>,
) {
    for file in candidates(workspace, root, from) {
        let text = texts
            .get(&file)
            .cloned()
            .unwrap_or_else(|| workspace.file(file).text.to_string());
        let edits = link_edits(workspace, file, &text, from, to);
        if !edits.is_empty() {
            texts.insert(file, apply_edits(&text, &edits));
        }
    }
}
