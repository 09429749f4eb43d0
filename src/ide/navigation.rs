//! Navigation across the dependency graph: go to definition, find references, and the call
//! hierarchy (outgoing = what a task depends on, incoming = its dependents). Every lookup
//! goes through the mention index and the ID index, never a scan of the files.

use std::collections::BTreeMap;

use crate::base::TextRange;
use crate::db::mentions::MentionKind;
use crate::db::{FileId, Task, Workspace};
use crate::ide::types::{Listed, MAX_LISTED};
use crate::syntax::task_id::{TaskId, parse_task_ref};

/// A place to jump to: the whole target and the part to select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavTarget {
    pub file: FileId,
    pub full_range: TextRange,
    pub focus_range: TextRange,
}

/// The task a cursor is on: a mention under it, else (inside a card) the card's own task.
pub fn task_at(workspace: &Workspace, file: FileId, offset: usize) -> Option<(&Task, TextRange)> {
    let root = workspace.file(file).root;
    if let Some(mention) = workspace.mention_at(file, offset) {
        let task = workspace.lookup_in(root, &mention.id)?;
        return Some((task, mention.range));
    }
    None
}

/// Where a task's card is: the whole card, with its name (else its ID) as the focus.
pub fn card_target(workspace: &Workspace, task: &Task) -> Option<NavTarget> {
    let card_file = task.card?;
    let text = &workspace.file(card_file).text;
    let focus = workspace
        .card(task)
        .and_then(|card| {
            card.frontmatter
                .block()?
                .get("task_name")
                .map(|entry| entry.value.range)
        })
        .or_else(|| task.meta.task_id.as_ref().map(|(_, range)| *range))
        .unwrap_or_default();
    Some(NavTarget {
        file: card_file,
        full_range: TextRange::new(0, text.len()),
        focus_range: focus,
    })
}

/// Go to definition: from any task reference to the card of the task it names.
pub fn goto_definition(
    workspace: &Workspace,
    file: FileId,
    offset: usize,
) -> Option<(TextRange, NavTarget)> {
    let (task, origin) = task_at(workspace, file, offset)?;
    Some((origin, card_target(workspace, task)?))
}

/// Every mention of the task under the cursor (a reference or its own `task_id`), across
/// cards, contexts, ledgers and indexes; the declaration only when asked for.
pub fn references(
    workspace: &Workspace,
    file: FileId,
    offset: usize,
    include_declaration: bool,
) -> Listed<(FileId, TextRange)> {
    let root = workspace.file(file).root;
    let Some(mention) = workspace.mention_at(file, offset) else {
        return Listed::first_of(std::iter::empty(), MAX_LISTED);
    };
    Listed::first_of(
        workspace
            .mentions_of(root, &mention.id)
            .filter(|(_, _, kind)| include_declaration || *kind != MentionKind::Declaration)
            .map(|(file, range, _)| (file, range)),
        MAX_LISTED,
    )
}

/// One task as a node of the call hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HierarchyItem {
    pub id: TaskId,
    pub root: usize,
    pub name: String,
    pub detail: String,
    pub target: NavTarget,
}

fn hierarchy_item(workspace: &Workspace, task: &Task) -> Option<HierarchyItem> {
    let name = format!(
        "{} {}",
        task.id,
        task.meta.task_name.as_deref().unwrap_or_default()
    );
    let status = task.meta.status().map_or("?", |status| status.name());
    Some(HierarchyItem {
        id: task.id.clone(),
        root: task.root,
        name: name.trim_end().to_string(),
        detail: format!("{} · {status}", task.stage),
        target: card_target(workspace, task)?,
    })
}

/// The task to show a hierarchy for: the one referenced under the cursor, else the card's.
pub fn prepare_hierarchy(
    workspace: &Workspace,
    file: FileId,
    offset: usize,
) -> Option<HierarchyItem> {
    let task = match task_at(workspace, file, offset) {
        Some((task, _)) => task,
        None => workspace.task_of_file(file)?,
    };
    hierarchy_item(workspace, task)
}

/// Resolves a hierarchy item sent back by the client (stateless follow-up requests).
pub fn hierarchy_task<'w>(workspace: &'w Workspace, root: usize, id: &str) -> Option<&'w Task> {
    let (id, _) = parse_task_ref(id)?;
    workspace.lookup_in(root, &id)
}

/// What `task` depends on, each with the ranges of its `depends_on` items.
pub fn outgoing(workspace: &Workspace, task: &Task) -> Vec<(HierarchyItem, Vec<TextRange>)> {
    let mut grouped: BTreeMap<TaskId, Vec<TextRange>> = BTreeMap::new();
    for item in &task.meta.depends_on {
        grouped.entry(item.id.clone()).or_default().push(item.range);
    }
    grouped
        .into_iter()
        .filter_map(|(id, ranges)| {
            let target = workspace.lookup_in(task.root, &id)?;
            Some((hierarchy_item(workspace, target)?, ranges))
        })
        .collect()
}

/// The tasks that depend on `task`, each with the ranges in their own cards.
pub fn incoming(workspace: &Workspace, task: &Task) -> Vec<(HierarchyItem, Vec<TextRange>)> {
    let mut grouped: BTreeMap<FileId, Vec<TextRange>> = BTreeMap::new();
    for (file, range, kind) in workspace.mentions_of(task.root, &task.id) {
        if kind == MentionKind::Field("depends_on") {
            grouped.entry(file).or_default().push(range);
        }
    }
    grouped
        .into_iter()
        .filter_map(|(file, ranges)| {
            let dependent = workspace.task_of_file(file)?;
            Some((hierarchy_item(workspace, dependent)?, ranges))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::ide::fixture::{COUNTER, package, workspace};

    /// The fixture with `$0` removed, and the cursor's byte offset in `file`.
    fn at_cursor(fixture: &str, file: &str) -> (Workspace, FileId, usize) {
        let offset_in_fixture = fixture.find("$0").expect("fixture has a $0 cursor");
        let header = format!("//- /{file}\n");
        let file_start = fixture.find(&header).expect("cursor file in fixture") + header.len();
        let offset = offset_in_fixture - file_start;
        let workspace = workspace(&fixture.replace("$0", ""));
        let id = workspace
            .files
            .iter()
            .position(|f| f.rel == file)
            .map(|i| FileId(i as u32))
            .unwrap();
        (workspace, id, offset)
    }

    fn show(workspace: &Workspace, file: FileId, range: TextRange) -> String {
        let source = workspace.file(file);
        format!("{} `{}`", source.rel, range.slice(&source.text))
    }

    fn fixture() -> String {
        format!(
            "{COUNTER}{}{}{}//- /INDEX.md\n| ID | Name | DRI | Stage | Status | Dependencies |\n|---|---|---|---|---|---|\n| 0002 | Task 0002 | @ana | backlog | active | TASK-0001 |\n",
            package(
                "backlog/TASK-0001-a",
                "blocks: [\"TASK-0002\", \"TASK-0003\"]"
            ),
            package("backlog/TASK-0002-b", "depends_on:\n  - TASK-0001"),
            package(
                "backlog/TASK-0003-c",
                "depends_on: [\"0001\"]\ntask_name: \"Café 🎉 rollout\""
            ),
        )
    }

    #[test]
    fn definition_from_a_block_list_item_lands_on_the_target_s_name() {
        let fixture = fixture().replace("  - TASK-0001", "  - TASK-00$001");
        let (workspace, file, offset) = at_cursor(&fixture, "backlog/TASK-0002-b/0002-b.task.md");
        let (origin, target) = goto_definition(&workspace, file, offset).unwrap();
        assert_eq!(
            show(&workspace, file, origin),
            "backlog/TASK-0002-b/0002-b.task.md `TASK-0001`"
        );
        assert_eq!(
            show(&workspace, target.file, target.focus_range),
            "backlog/TASK-0001-a/0001-a.task.md `\"Task 0001\"`"
        );
    }

    #[test]
    fn definition_from_an_index_row_and_nothing_from_prose() {
        let fixture = fixture().replace("| 0002 | Task 0002", "| 00$002 | Task 0002");
        let (workspace, file, offset) = at_cursor(&fixture, "INDEX.md");
        let (_, target) = goto_definition(&workspace, file, offset).unwrap();
        assert_eq!(
            workspace.file(target.file).rel,
            "backlog/TASK-0002-b/0002-b.task.md"
        );
        let fixture = fixture.replace("Do the thing.", "Do $0the thing.");
        let (workspace, file, offset) = at_cursor(&fixture, "backlog/TASK-0001-a/0001-a.task.md");
        assert_eq!(goto_definition(&workspace, file, offset), None);
    }

    #[test]
    fn references_cover_cards_and_indexes_with_the_declaration_on_request() {
        let fixture = fixture().replace("task_id: \"0001\"", "task_id: \"00$001\"");
        let (workspace, file, offset) = at_cursor(&fixture, "backlog/TASK-0001-a/0001-a.task.md");
        let render = |include: bool| -> String {
            references(&workspace, file, offset, include)
                .items
                .into_iter()
                .map(|(file, range)| show(&workspace, file, range) + "\n")
                .collect()
        };
        expect![[r#"
            backlog/TASK-0002-b/0002-b.task.md `TASK-0001`
            backlog/TASK-0003-c/0003-c.task.md `"0001"`
            INDEX.md `TASK-0001`
        "#]]
        .assert_eq(&render(false));
        assert!(render(true).contains("backlog/TASK-0001-a/0001-a.task.md `0001`"));
    }

    #[test]
    fn call_hierarchy_walks_both_directions() {
        let fixture = fixture().replace("Do the thing.", "Do$0 the thing.");
        let (workspace, file, offset) = at_cursor(&fixture, "backlog/TASK-0001-a/0001-a.task.md");
        let item = prepare_hierarchy(&workspace, file, offset).unwrap();
        assert_eq!(item.name, "TASK-0001 Task 0001");
        let task = hierarchy_task(&workspace, item.root, &item.id.to_string()).unwrap();
        let incoming: Vec<(String, Vec<String>)> = incoming(&workspace, task)
            .into_iter()
            .map(|(caller, ranges)| {
                let text = &workspace.file(caller.target.file).text;
                (
                    caller.name,
                    ranges.iter().map(|r| r.slice(text).to_string()).collect(),
                )
            })
            .collect();
        assert_eq!(
            incoming,
            [
                (
                    "TASK-0002 Task 0002".to_string(),
                    vec!["TASK-0001".to_string()]
                ),
                (
                    "TASK-0003 Café 🎉 rollout".to_string(),
                    vec!["\"0001\"".to_string()]
                ),
            ]
        );
        let dependent = workspace.lookup_in(0, &TaskId::new(None, 3)).unwrap();
        let outgoing: Vec<String> = outgoing(&workspace, dependent)
            .into_iter()
            .map(|(callee, _)| callee.name)
            .collect();
        assert_eq!(outgoing, ["TASK-0001 Task 0001"]);
    }
}
