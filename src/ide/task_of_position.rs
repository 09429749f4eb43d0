//! Which task an action at a position acts on: the task whose package the file belongs to
//! (card, ledger, context), or the task an INDEX.md row lists. Unlike navigation's
//! `task_at`, which follows the mention under the cursor, this is the task the place itself
//! stands for, so a transition offered there moves that task.

use crate::db::layout::namespace_of_dir;
use crate::db::{FileId, FileRole, Parsed, TaskIdx, Workspace};
use crate::syntax::index_table::row_task_id;

/// The task a position belongs to: the package a card, ledger or context file is part of, or
/// the task an INDEX.md row lists.
pub fn task_of_position(workspace: &Workspace, file: FileId, offset: usize) -> Option<TaskIdx> {
    if let Some(task) = workspace.task_idx_of_file(file) {
        return Some(task);
    }
    let source = workspace.file(file);
    if !matches!(
        source.role,
        FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex
    ) {
        return None;
    }
    let Parsed::Index(parsed) = &source.parsed else {
        return None;
    };
    let table = parsed.table.as_ref()?;
    let row = table
        .rows
        .iter()
        .find(|row| row.range.start as usize <= offset && offset <= row.range.end as usize)?;
    let (id, _) = row_task_id(row, table)?;
    // A bare ID in a namespace's own index means that namespace's task.
    let namespace = workspace.roots[source.root]
        .indexes
        .iter()
        .find(|index| index.file == file)
        .and_then(|index| index.namespace_dir.as_deref())
        .and_then(namespace_of_dir);
    let id = id.resolved_in(namespace.as_deref());
    workspace.owners(source.root, &id).first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::fixture::{package, workspace_at};

    fn check(fixture: &str) -> Option<String> {
        let (workspace, file, offset) = workspace_at(fixture);
        task_of_position(&workspace, file, offset).map(|task| workspace.task(task).id.to_string())
    }

    #[test]
    fn a_package_file_stands_for_its_task_wherever_the_cursor_is() {
        let fixture = format!(
            "{}{}",
            package("current/TASK-0001-a", "depends_on: [\"0002\"]"),
            package("next/TASK-0002-b", ""),
        )
        .replacen("depends_on: [\"0002\"]", "depends_on: [\"00$002\"]", 1);
        // The cursor sits on a mention of TASK-0002, and still the card's own task is meant.
        assert_eq!(check(&fixture).as_deref(), Some("TASK-0001"));
    }

    #[test]
    fn an_index_row_stands_for_the_task_it_lists_and_the_header_for_none() {
        let index = "//- /current/INDEX.md\n\
                     | ID | Name | DRI | Status | Flags | Dependencies |\n\
                     |----|------|-----|--------|-------|--------------|\n\
                     | TASK-0001 | a | @ana | active | | |\n";
        let tasks = package("current/TASK-0001-a", "");
        let on_row = index.replacen("| a |", "| $0a |", 1);
        assert_eq!(
            check(&format!("{on_row}{tasks}")).as_deref(),
            Some("TASK-0001")
        );
        let on_header = index.replacen("| Name |", "| $0Name |", 1);
        assert_eq!(check(&format!("{on_header}{tasks}")), None);
    }
}
