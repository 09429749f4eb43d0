//! The workspace's path → file look-up, storing each path once: in its `SourceFile`.

use std::hash::{BuildHasher, RandomState};
use std::path::Path;

use hashbrown::HashTable;

use super::{FileId, SourceFile};

/// A hash table of file IDs, hashed and compared by the paths their files carry. A map keyed
/// by `PathBuf` kept a second copy of every path (and a wider slot for it): at ten thousand
/// tasks, thirty thousand paths, some six megabytes of the server's memory for nothing.
#[derive(Debug, Default)]
pub(super) struct PathIndex {
    table: HashTable<FileId>,
    hasher: RandomState,
}

impl PathIndex {
    /// The file whose path is `path` (compared as `Path`s are: by their components).
    pub(super) fn get(&self, files: &[SourceFile], path: &Path) -> Option<FileId> {
        let hash = self.hasher.hash_one(path);
        self.table
            .find(hash, |&id| *files[id.0 as usize].path == *path)
            .copied()
    }

    /// Adds `id`, whose file is already in `files` and whose path is in no other.
    pub(super) fn insert(&mut self, files: &[SourceFile], id: FileId) {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(&files[id.0 as usize].path);
        self.table.insert_unique(hash, id, |&other| {
            hasher.hash_one(&files[other.0 as usize].path)
        });
    }

    /// Room for `additional` more files without rehashing those already in.
    pub(super) fn reserve(&mut self, files: &[SourceFile], additional: usize) {
        let hasher = &self.hasher;
        self.table.reserve(additional, |&other| {
            hasher.hash_one(&files[other.0 as usize].path)
        });
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::ide::fixture::{ROOT, workspace};

    const FIXTURE: &str = "
//- /INDEX.md
# Tasks
//- /current/TASK-0001-a/0001-a.task.md
---
task_id: TASK-0001
---
//- /current/TASK-0002-b/0002-b.task.md
---
task_id: TASK-0002
---
";

    #[test]
    fn finds_every_file_by_its_path_and_nothing_else() {
        let workspace = workspace(FIXTURE);
        assert!(workspace.files.len() >= 3);
        for (index, file) in workspace.files.iter().enumerate() {
            assert_eq!(
                workspace.file_by_path(&file.path).map(|id| id.0 as usize),
                Some(index),
                "{}",
                file.path.display()
            );
        }
        let missing = PathBuf::from(ROOT).join("current/TASK-0003-c/0003-c.task.md");
        assert_eq!(workspace.file_by_path(&missing), None);
    }

    #[test]
    fn compares_paths_by_their_components_as_a_path_map_did() {
        let workspace = workspace(FIXTURE);
        let card = PathBuf::from(ROOT).join("current/TASK-0001-a/0001-a.task.md");
        let spelled_apart = PathBuf::from(format!("{ROOT}/current//TASK-0001-a/./0001-a.task.md"));
        assert_eq!(
            workspace.file_by_path(&spelled_apart),
            workspace.file_by_path(&card)
        );
        assert!(workspace.file_by_path(&card).is_some());
    }
}
