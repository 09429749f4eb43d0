//! Changes the analysis proposes to files: text edits against the text the model holds, and
//! new files. Quick fixes are made of these; the LSP edge turns them into a WorkspaceEdit and
//! `check --fix` writes them to disk.
//!
//! Fixes are written as "the file's new text" and reduced to the smallest edit here, so every
//! fix changes exactly the bytes it is about and leaves the rest of the file as it was.

use std::path::PathBuf;

use crate::base::TextRange;
use crate::db::FileId;

/// Replace `range` (bytes of the text the model holds) with `insert`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub range: TextRange,
    pub insert: String,
}

/// One file's part of a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
    /// Edits to an existing file, against the text the workspace holds for it; they do not
    /// overlap and are sorted by position.
    Edit { file: FileId, edits: Vec<TextEdit> },
    /// A file that does not exist yet (absolute path below a tasks root). Never replaces one.
    Create { path: PathBuf, text: String },
}

/// A set of file changes that belong together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceChange {
    pub changes: Vec<FileChange>,
}

impl SourceChange {
    /// A change of one file from `old` to `new`, as the smallest single edit; None when the
    /// two are equal.
    pub fn rewrite(file: FileId, old: &str, new: &str) -> Option<SourceChange> {
        let edit = minimal_edit(old, new)?;
        Some(SourceChange {
            changes: vec![FileChange::Edit {
                file,
                edits: vec![edit],
            }],
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
}
