//! Document links: the ID and Dependencies cells of INDEX.md rows, and task references in
//! the markdown of cards, contexts and learning files, each linking to the named task's card.
//! A reference to no task gets no link (the diagnostics say why).

use crate::base::TextRange;
use crate::db::mentions::MentionKind;
use crate::db::{FileId, FileRole, Workspace};
use crate::ide::task_text::{state_label, task_name};
use crate::ide::types::{Listed, per_kb_limit};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentLink {
    pub range: TextRange,
    /// The target task's card.
    pub target: FileId,
    /// `TASK-0042 Fix login (current·blocked)`.
    pub tooltip: String,
}

pub fn document_links(workspace: &Workspace, file: FileId) -> Listed<DocumentLink> {
    let source = workspace.file(file);
    let linked: fn(MentionKind) -> bool = match source.role {
        FileRole::RootIndex | FileRole::StageIndex(_) | FileRole::NamespaceIndex => {
            |kind| matches!(kind, MentionKind::IndexRow | MentionKind::IndexDependency)
        }
        FileRole::Card | FileRole::Context | FileRole::Learning => |kind| kind == MentionKind::Text,
        _ => return Listed::first_of(std::iter::empty(), 0),
    };
    let links = workspace
        .mentions_in(file)
        .iter()
        .filter(|mention| linked(mention.kind))
        .filter_map(|mention| {
            let task = workspace.lookup_in(source.root, &mention.id)?;
            Some((mention.range, task, task.card?))
        });
    // Only the links listed get their tooltip built; the rest are counted.
    let limit = per_kb_limit(&source.text);
    let listed = Listed::first_of(links, limit);
    Listed {
        total: listed.total,
        items: listed
            .items
            .into_iter()
            .map(|(range, task, target)| {
                let name = task_name(task).map_or(String::new(), |name| format!(" {name}"));
                DocumentLink {
                    range,
                    target,
                    tooltip: format!("{}{name} ({})", task.id, state_label(task)),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::ide::fixture::{COUNTER, ROOT, package, workspace};

    fn check(fixture: &str, rel: &str, expect: Expect) {
        let workspace = workspace(fixture);
        let file = workspace
            .file_by_path(&std::path::Path::new(ROOT).join(rel))
            .unwrap();
        let text = &workspace.file(file).text;
        let actual: String = document_links(&workspace, file)
            .items
            .into_iter()
            .map(|link| {
                format!(
                    "`{}` -> {} ({})\n",
                    link.range.slice(text),
                    workspace.file(link.target).rel,
                    link.tooltip
                )
            })
            .collect();
        expect.assert_eq(&actual);
    }

    fn fixture() -> String {
        format!(
            "{COUNTER}{}{}{}//- /INDEX.md\n| ID | Name | DRI | Stage | Status | Dependencies |\n|---|---|---|---|---|---|\n| 0001 | Task 0001 | @ana | backlog | active | 0002, TASK-0009 |\n| TASK-0002 | 🎉 Task 0002 | @ana | current | blocked | - |\n| 0009 | Phantom | @ana | next | active | |\n",
            package("backlog/TASK-0001-a", "depends_on: [\"0002\", \"0009\"]")
                .replacen(
                    "Do the thing.",
                    "Do 🎉 it after TASK-0002, not TASK-0009.",
                    1
                )
                .replacen("Background.", "See TASK-0001 and TASK-FW-0001.", 1),
            package(
                "current/TASK-0002-b",
                "status: blocked\nblocked_by: \"external:vendor\""
            ),
            package("inbox/TASK-FW-0001-c", ""),
        )
    }

    #[test]
    fn index_row_ids_and_dependency_cells_link_to_cards() {
        check(
            &fixture(),
            "INDEX.md",
            expect![[r#"
                `0001` -> backlog/TASK-0001-a/0001-a.task.md (TASK-0001 Task 0001 (backlog·active))
                `0002` -> current/TASK-0002-b/0002-b.task.md (TASK-0002 Task 0002 (current·blocked))
                `TASK-0002` -> current/TASK-0002-b/0002-b.task.md (TASK-0002 Task 0002 (current·blocked))
            "#]],
        );
    }

    #[test]
    fn body_references_in_cards_and_contexts_link_but_frontmatter_does_not() {
        check(
            &fixture(),
            "backlog/TASK-0001-a/0001-a.task.md",
            expect![[r#"
                `TASK-0002` -> current/TASK-0002-b/0002-b.task.md (TASK-0002 Task 0002 (current·blocked))
            "#]],
        );
        check(
            &fixture(),
            "backlog/TASK-0001-a/0001.context.md",
            expect![[r#"
                `TASK-0001` -> backlog/TASK-0001-a/0001-a.task.md (TASK-0001 Task 0001 (backlog·active))
                `TASK-FW-0001` -> inbox/TASK-FW-0001-c/FW-0001-c.task.md (TASK-FW-0001 Task FW-0001 (inbox·active))
            "#]],
        );
    }

    #[test]
    fn ledgers_get_no_links() {
        let fixture = fixture().replacen("\"desc\":\"Created\"", "\"desc\":\"After TASK-0002\"", 1);
        check(
            &fixture,
            "backlog/TASK-0001-a/0001.ledger.jsonl",
            expect![""],
        );
    }
}
