//! Completion in an INDEX.md task table: task references in a row's Dependencies cell, with
//! the row's own task and the cell's other references left out.

use std::collections::HashSet;

use super::context::{Token, line_bounds, table_cells};
use super::matching::{RefSite, Relation};
use super::tasks::task_completion;
use super::{CompletionList, Cx};
use crate::base::TextRange;
use crate::db::layout::namespace_of_dir;
use crate::db::{FileId, Parsed};
use crate::syntax::index_table::{Cell, Column};
use crate::syntax::task_id::{is_namespace, parse_task_ref};

pub(super) fn index_completion(cx: &Cx, file: FileId) -> Option<CompletionList> {
    let Parsed::Index(parsed) = &cx.source.parsed else {
        return None;
    };
    let table = parsed.table.as_ref()?;
    let text = cx.text;
    let deps = table.position(Column::Dependencies)?;
    let line = line_bounds(text, cx.offset);
    let header_end = table.header_range.end as usize;
    // The cursor must be on a body row: below the delimiter row, with no gap to the header.
    let between = text.get(header_end..line.0)?;
    let between_lines: Vec<&str> = between.lines().skip(1).collect();
    if between_lines.is_empty() || between_lines.iter().any(|l| !l.contains('|')) {
        return None;
    }
    if !text[line.0..line.1].contains('|') {
        return None;
    }
    let cells = table_cells(text, line);
    let (cell_start, cell_end) = *cells.get(deps)?;
    if !(cell_start <= cx.offset && cx.offset <= cell_end) {
        return None;
    }
    // Brackets and parentheses end a token too: a reference typed as a link's text
    // (`[TASK-00|](…)`) is completed inside the brackets.
    let is_separator =
        |b: u8| matches!(b, b',' | b';' | b'[' | b']' | b'(' | b')') || b.is_ascii_whitespace();
    let bytes = text.as_bytes();
    let mut start = cx.offset;
    while start > cell_start && !is_separator(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = cx.offset;
    while end < cell_end && !is_separator(bytes[end]) {
        end += 1;
    }
    // The row's own task and namespace: the ID cell, qualified by a Namespace cell or the
    // index's namespace folder.
    // A cell's value, as the index rules read it (a link's text for a linked cell).
    let cell_text = |column: Column| {
        let position = table.position(column)?;
        let (s, e) = *cells.get(position)?;
        Some(Cell::read(text[s..e].trim(), s).text)
    };
    let folder_namespace = cx.workspace.roots[cx.root]
        .indexes
        .iter()
        .find(|index| index.file == file)
        .and_then(|index| index.namespace_dir.as_deref())
        .and_then(namespace_of_dir);
    let namespace = cell_text(Column::Namespace)
        .filter(|ns| is_namespace(ns))
        .or(folder_namespace);
    let own_id = cell_text(Column::Id)
        .as_deref()
        .and_then(parse_task_ref)
        .map(|(id, _)| id.resolved_in(namespace.as_deref()));
    let own = own_id
        .as_ref()
        .and_then(|id| cx.workspace.owners(cx.root, id).first().copied());
    let namespace = own_id
        .as_ref()
        .and_then(|id| id.namespace.as_deref().map(str::to_string))
        .or(namespace);
    // The other tokens of the cell (not the one being typed) are already listed.
    let mut listed = HashSet::new();
    let mut at = cell_start;
    while at < cell_end {
        let token_start = at;
        while at < cell_end && !is_separator(bytes[at]) {
            at += 1;
        }
        if token_start < at
            && (token_start, at) != (start, end)
            && let Some((id, _)) = parse_task_ref(&text[token_start..at])
        {
            listed.insert(id.resolved_in(namespace.as_deref()));
        }
        at += 1;
    }
    task_completion(
        cx,
        RefSite {
            token: Token {
                range: TextRange::new(start, end),
                opened: None,
                closed: false,
            },
            before: String::new(),
            after: String::new(),
            listed,
            own,
            namespace,
            relation: Relation::DependsOn,
        },
    )
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::completion::check::{check, tasks};

    #[test]
    fn index_dependencies_cell() {
        let header = "| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n";
        let fixture = format!(
            "{}//- /backlog/INDEX.md\n# Backlog\n\n{header}| 0001 | Task 0001 | @ana | active | - | TASK-0002, 00$0 |\n| 0002 | Task 0002 | @ana | active | - | - |\n",
            tasks("depends_on: [\"0002\"]")
        );
        check(
            &fixture,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `00` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `00` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `00` -> `TASK-0004`
            "#]],
        );
        // In an index whose cells are links, a reference typed as a link's text is completed
        // inside the brackets, and the row's own task and linked dependencies are left out.
        let linked = fixture.replacen(
            "| 0001 | Task 0001 | @ana | active | - | TASK-0002, 00$0 |",
            "| [0001](TASK-0001-a/) | Task 0001 | @ana | active | - | [TASK-0002](../current/TASK-0002-b/), [00$0]() |",
            1,
        );
        check(
            &linked,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `00` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `00` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `00` -> `TASK-0004`
            "#]],
        );
        // Other cells of the row offer nothing.
        let name_cell = fixture
            .replacen("TASK-0002, 00$0", "TASK-0002, 00", 1)
            .replacen("| Task 0002 | @ana", "| Task TASK-$0 | @ana", 1);
        check(&name_cell, expect!["(none)\n"]);
    }
}
