//! The analysis' plan of a change to the tasks root: text edits against the texts the model
//! holds, lines appended to a ledger, new files and task folders moved. Quick fixes, a
//! transition's projections, a rename and an approval are all one [`SourceChange`]; the LSP
//! edge turns a fix into a WorkspaceEdit, and `disk_plans` spells any of them as the
//! transaction's own plan (`transaction::DiskPlan`: paths, and the texts each write expects).
//! The model's input, what the disk or an editor now holds, is another thing again
//! (`db::update::ModelChange`).
//!
//! New texts are reduced to the smallest edit here, so every change touches exactly the bytes
//! it is about and leaves the rest of the file as it was.

use std::path::{Path, PathBuf};

use crate::base::TextRange;
use crate::db::{FileId, Workspace};

/// Replace `range` (bytes of the text the model holds) with `insert`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub range: TextRange,
    pub insert: String,
}

/// One file's (or folder's) part of a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
    /// Edits to an existing file, against the text the workspace holds for it; they do not
    /// overlap and are sorted by position.
    Edit { file: FileId, edits: Vec<TextEdit> },
    /// Whole lines (without their newline) added at the end of an append-only file (a ledger,
    /// a proposals file), as [`appended_text`] writes them: the commit of a transition.
    Append { file: FileId, lines: Vec<String> },
    /// A file that does not exist yet (absolute path below a tasks root). Never replaces one.
    Create { path: PathBuf, text: String },
    /// A task folder (or a card within its folder) renamed, absolute paths below a tasks
    /// root; made after every other part, in order. Never replaces an existing path.
    Move { from: PathBuf, to: PathBuf },
}

impl FileChange {
    /// `file` changed from `old` (the text the model holds) to `new`, as the smallest single
    /// edit; None when the two are equal.
    pub fn rewrite(file: FileId, old: &str, new: &str) -> Option<FileChange> {
        Some(FileChange::Edit {
            file,
            edits: vec![minimal_edit(old, new)?],
        })
    }

    /// The file or folder this part changes (a move's: where it starts).
    pub fn path<'a>(&'a self, workspace: &'a Workspace) -> &'a Path {
        match self {
            FileChange::Edit { file, .. } | FileChange::Append { file, .. } => {
                &workspace.file(*file).path
            }
            FileChange::Create { path, .. } => path,
            FileChange::Move { from, .. } => from,
        }
    }
}

/// A set of changes that belong together. The transaction writes them in its own fixed order
/// (appends, edits, new files, moves); the order here is the order they are reported in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceChange {
    pub changes: Vec<FileChange>,
}

impl SourceChange {
    /// A change of one file from `old` to `new`, as the smallest single edit; None when the
    /// two are equal.
    pub fn rewrite(file: FileId, old: &str, new: &str) -> Option<SourceChange> {
        Some(SourceChange {
            changes: vec![FileChange::rewrite(file, old, new)?],
        })
    }

    pub fn create(path: PathBuf, text: String) -> SourceChange {
        SourceChange {
            changes: vec![FileChange::Create { path, text }],
        }
    }

    /// The edits this change makes to `file`, if any.
    pub fn edits_of(&self, file: FileId) -> impl Iterator<Item = &TextEdit> {
        self.changes.iter().flat_map(move |change| match change {
            FileChange::Edit {
                file: edited,
                edits,
            } if *edited == file => edits.as_slice(),
            _ => &[],
        })
    }

    /// The lines this change appends to `file`, if any.
    pub fn appends_to(&self, file: FileId) -> impl Iterator<Item = &String> {
        self.changes.iter().flat_map(move |change| match change {
            FileChange::Append {
                file: appended,
                lines,
            } if *appended == file => lines.as_slice(),
            _ => &[],
        })
    }

    /// `text`, the text the model holds for `file`, as this change leaves it: its edits made
    /// and its lines appended.
    pub fn new_text(&self, file: FileId, text: &str) -> String {
        let edits: Vec<TextEdit> = self.edits_of(file).cloned().collect();
        let edited = apply_edits(text, &edits);
        let lines: Vec<String> = self.appends_to(file).cloned().collect();
        if lines.is_empty() {
            return edited;
        }
        let appended = appended_text(&edited, &lines);
        edited + &appended
    }

    /// Where `path` is once this change's moves are made, one after the other (a move of a
    /// folder carries everything below it).
    pub fn moved_path(&self, path: &Path) -> PathBuf {
        let mut path = path.to_path_buf();
        for change in &self.changes {
            if let FileChange::Move { from, to } = change {
                if path == *from {
                    path.clone_from(to);
                } else if let Ok(rest) = path.strip_prefix(from) {
                    path = to.join(rest);
                }
            }
        }
        path
    }
}

/// What appending `lines` to `text` adds: a line break first when `text` does not end with
/// one (a new line never glues onto the last), then each line with its own. The transaction
/// decides the same from the file's last byte on disk (`transaction::appended_bytes`).
pub fn appended_text(text: &str, lines: &[String]) -> String {
    let mut out = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The smallest single edit turning `old` into `new`: the common prefix and suffix are kept.
/// Both ends are kept on character boundaries. None when the texts are equal.
pub fn minimal_edit(old: &str, new: &str) -> Option<TextEdit> {
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = (old.len() - prefix).min(new.len() - prefix);
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some(TextEdit {
        range: TextRange::new(prefix, old.len() - suffix),
        insert: new[prefix..new.len() - suffix].to_string(),
    })
}

/// `text` with `edits` applied; the edits must not overlap (any order).
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in sorted {
        out.push_str(&text[at..edit.range.start as usize]);
        out.push_str(&edit.insert);
        at = edit.range.end as usize;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edit_keeps_common_ends_and_round_trips() {
        let cases = [
            ("stage: \"inbox\"\n", "stage: \"backlog\"\n"),
            ("a, b, c", "a, c"),
            ("", "new"),
            ("old", ""),
            ("é→x", "é→y"),
            ("aaa", "aaaa"),
            ("ab→", "ab←"),
        ];
        for (old, new) in cases {
            let edit = minimal_edit(old, new).unwrap();
            assert_eq!(apply_edits(old, std::slice::from_ref(&edit)), new);
            assert!(edit.insert.len() <= new.len());
        }
        let edit = minimal_edit("stage: \"inbox\"\n", "stage: \"backlog\"\n").unwrap();
        assert_eq!(
            (edit.range.start, edit.range.end, edit.insert.as_str()),
            (8, 13, "backlog")
        );
        assert_eq!(minimal_edit("same", "same"), None);
    }

    #[test]
    fn new_text_makes_the_edits_then_appends_whole_lines() {
        let (card, ledger) = (FileId(0), FileId(1));
        let change = SourceChange {
            changes: vec![
                FileChange::Append {
                    file: ledger,
                    lines: vec!["{\"event\":\"started\"}".into()],
                },
                FileChange::rewrite(card, "stage: next\n", "stage: current\n").unwrap(),
            ],
        };
        assert_eq!(change.new_text(card, "stage: next\n"), "stage: current\n");
        // A ledger whose last line has no line break gets one before the new line.
        assert_eq!(
            change.new_text(ledger, "{\"event\":\"created\"}"),
            "{\"event\":\"created\"}\n{\"event\":\"started\"}\n"
        );
        assert_eq!(change.new_text(ledger, ""), "{\"event\":\"started\"}\n");
        // A file the change does not name keeps its text.
        assert_eq!(change.new_text(FileId(2), "as it was"), "as it was");
    }

    #[test]
    fn moved_path_follows_the_moves_in_order() {
        let root = Path::new("/ws/.work/tasks");
        // A rename: the card inside its folder first, then the folder.
        let change = SourceChange {
            changes: vec![
                FileChange::Move {
                    from: root.join("next/TASK-0001-a/0001-a.task.md"),
                    to: root.join("next/TASK-0001-a/0001-b.task.md"),
                },
                FileChange::Move {
                    from: root.join("next/TASK-0001-a"),
                    to: root.join("next/TASK-0001-b"),
                },
            ],
        };
        let moved = |rel: &str| change.moved_path(&root.join(rel));
        assert_eq!(
            moved("next/TASK-0001-a/0001-a.task.md"),
            root.join("next/TASK-0001-b/0001-b.task.md")
        );
        assert_eq!(
            moved("next/TASK-0001-a/0001.context.md"),
            root.join("next/TASK-0001-b/0001.context.md")
        );
        // Paths are compared by component: a sibling whose name only starts alike stays.
        assert_eq!(
            moved("next/TASK-0001-ab/x.md"),
            root.join("next/TASK-0001-ab/x.md")
        );
        assert_eq!(moved("next"), root.join("next"));
    }
}
