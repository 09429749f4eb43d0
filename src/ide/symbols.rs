//! Document symbols (a card's frontmatter fields and sections, an INDEX.md's rows) and
//! workspace symbols (every task, found by any spelling of its ID or by words of its name).

use std::cmp::Ordering;
use std::fmt::Write;

use crate::base::TextRange;
use crate::db::mentions::MentionKind;
use crate::db::{FileId, FileRole, Parsed, Task, Workspace};
use crate::ide::task_text::task_name;
use crate::ide::types::{Listed, per_kb_limit};
use crate::syntax::card::{ACCEPTANCE_CRITERIA, Card, FrontmatterBlock};
use crate::syntax::index_table::{Cell, Column, IndexTable};
use crate::syntax::yaml::{YamlNode, YamlValue};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A task; every workspace symbol is one.
    Task,
    /// A card's frontmatter block, parent of its fields.
    Frontmatter,
    /// A level-2 section of a card.
    Section,
    /// One frontmatter field.
    Field,
    /// One row of an INDEX.md task table.
    Row,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// Everything the symbol spans.
    pub range: TextRange,
    /// The part to select when the symbol is picked (a key, a heading, an ID cell).
    pub selection: TextRange,
    pub children: Vec<Symbol>,
}

/// The outline of one file: empty for files that have none worth showing. An index's rows
/// are listed as links are, at most one per KB of its text (`MAX_LISTED` at least): a root
/// index of 200,000 tasks would otherwise cost the edge some 3 KB a row.
pub fn document_symbols(workspace: &Workspace, file: FileId) -> Listed<Symbol> {
    let source = workspace.file(file);
    let symbols = match &source.parsed {
        Parsed::Card(card) => card_symbols(&source.text, card),
        Parsed::Index(parsed) => match &parsed.table {
            Some(table) => index_symbols(workspace, file, table),
            None => Vec::new(),
        },
        _ => Vec::new(),
    };
    Listed::first_of(symbols.into_iter(), per_kb_limit(&source.text))
}

fn card_symbols(text: &str, card: &Card) -> Vec<Symbol> {
    let mut symbols = Vec::new();
    if let Some(block) = card.frontmatter.block() {
        let opening = TextRange::new(block.range.start as usize, block.range.start as usize + 3);
        symbols.push(Symbol {
            name: "frontmatter".to_string(),
            detail: None,
            kind: SymbolKind::Frontmatter,
            range: block.range,
            selection: opening,
            children: field_symbols(text, block),
        });
    }
    for section in &card.sections {
        let start = section.heading_range.start as usize;
        let end = trim_end(text, start, section.content_range.end as usize);
        let detail = section
            .title
            .eq_ignore_ascii_case(ACCEPTANCE_CRITERIA)
            .then(|| {
                let done = card.acceptance_items.iter().filter(|i| i.checked).count();
                format!("{done}/{} checked", card.acceptance_items.len())
            });
        symbols.push(Symbol {
            name: section.title.clone(),
            detail,
            kind: SymbolKind::Section,
            range: TextRange::new(start, end),
            selection: section.heading_range,
            children: Vec::new(),
        });
    }
    symbols
}

/// One symbol per top-level key. A collection's node range is only its first token, so a
/// field is taken to run until the next key (or the end of the block).
fn field_symbols(text: &str, block: &FrontmatterBlock) -> Vec<Symbol> {
    let entries = &block.entries;
    entries
        .iter()
        .enumerate()
        .map(|(at, entry)| {
            let start = entry.key_range.start as usize;
            let next = entries
                .get(at + 1)
                .map_or(block.content_range.end, |next| next.key_range.start);
            let end = trim_end(text, start, next as usize).max(entry.key_range.end as usize);
            Symbol {
                name: entry.key.to_string(),
                detail: Some(summary(&entry.value)),
                kind: SymbolKind::Field,
                range: TextRange::new(start, end),
                selection: entry.key_range,
                children: Vec::new(),
            }
        })
        .collect()
}

/// A value in one short line: `current`, `[TASK-0001, TASK-0002]`, `null`.
fn summary(node: &YamlNode) -> String {
    let text = match &node.value {
        YamlValue::Null => "null".to_string(),
        YamlValue::Bool(flag) => flag.to_string(),
        YamlValue::Int(number) => number.to_string(),
        YamlValue::Float(number) => number.to_string(),
        YamlValue::Str { text, .. } => text.split_whitespace().collect::<Vec<_>>().join(" "),
        YamlValue::Seq(items) => {
            let items: Vec<String> = items.iter().map(summary).collect();
            format!("[{}]", items.join(", "))
        }
        YamlValue::Map(pairs) => format!("{{{} keys}}", pairs.len()),
    };
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// `end` moved back over trailing whitespace, not before `start`.
fn trim_end(text: &str, start: usize, end: usize) -> usize {
    let slice = text.get(start..end).unwrap_or("");
    start + slice.trim_end().len()
}

fn index_symbols(workspace: &Workspace, file: FileId, table: &IndexTable) -> Vec<Symbol> {
    let source = workspace.file(file);
    let stage_of_index = match source.role {
        FileRole::StageIndex(stage) => Some(stage.name()),
        _ => None,
    };
    table
        .rows
        .iter()
        .map(|row| {
            let cell = |column| row.cell(table, column).filter(|cell| !cell.text.is_empty());
            let id_cell = cell(Column::Id);
            // The mention index knows the namespace an unqualified ID means in this index.
            let id = id_cell
                .and_then(|cell| workspace.mention_at(file, cell.value_range().start as usize))
                .filter(|mention| mention.kind == MentionKind::IndexRow)
                .map(|mention| mention.id.to_string())
                .or_else(|| id_cell.map(|cell| cell.text.clone()))
                .unwrap_or_else(|| "(no ID)".to_string());
            let name = match cell(Column::Name) {
                Some(name) => format!("{id} {}", name.text),
                None => id,
            };
            let state: Vec<&str> = [
                cell(Column::Stage)
                    .map(|c| c.text.as_str())
                    .or(stage_of_index),
                cell(Column::Status).map(|c| c.text.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            Symbol {
                name,
                detail: (!state.is_empty()).then(|| state.join(" · ")),
                kind: SymbolKind::Row,
                range: row.range,
                selection: id_cell.map_or(row.range, Cell::value_range),
                children: Vec::new(),
            }
        })
        .collect()
}

/// A task found by a workspace-wide search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    /// `TASK-0042 Fix login`.
    pub name: String,
    /// `stage · status`.
    pub detail: String,
    /// The task's card (its context or ledger when it has no card).
    pub file: FileId,
    /// The card's `task_name` value, else its `task_id` value; empty at 0 without either.
    pub range: TextRange,
}

/// Every task matching `query`, best first, at most `limit`. A query is an ID in any
/// spelling (`42`, `0042`, `TASK-0042`, `FW-0042`, or the start of one) or words that must
/// all occur in the task's ID or name, case-insensitively. An empty query lists every task.
pub fn workspace_symbols(workspace: &Workspace, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    let query = Query::parse(query);
    // One buffer for every task's lowercased ID and name keeps a search over 10,000 tasks
    // free of per-task allocation.
    let mut haystack = String::new();
    let mut hits: Vec<(Rank, &Task)> = workspace
        .tasks
        .iter()
        .filter_map(|task| Some((query.rank(task, &mut haystack)?, task)))
        .collect();
    let order = |a: &(Rank, &Task), b: &(Rank, &Task)| -> Ordering {
        (a.0, a.1.root, &a.1.id).cmp(&(b.0, b.1.root, &b.1.id))
    };
    if hits.len() > limit {
        // Only the best `limit` need sorting; at 10,000 tasks a full sort of a broad query is
        // still cheap, but selecting first keeps it proportional to what is shown.
        hits.select_nth_unstable_by(limit, order);
        hits.truncate(limit);
    }
    hits.sort_by(order);
    hits.into_iter()
        .filter_map(|(_, task)| workspace_symbol(workspace, task))
        .collect()
}

fn workspace_symbol(workspace: &Workspace, task: &Task) -> Option<WorkspaceSymbol> {
    let file = task.card.or(task.context).or(task.ledger)?;
    let range = workspace
        .card(task)
        .and_then(|card| card.frontmatter.block()?.get("task_name"))
        .map(|entry| entry.value.range)
        .or_else(|| task.meta.task_id.as_ref().map(|(_, range)| *range))
        .filter(|_| Some(file) == task.card)
        .unwrap_or_default();
    let name = match task_name(task) {
        Some(name) => format!("{} {name}", task.id),
        None => task.id.to_string(),
    };
    let detail = match task.meta.status() {
        Some(status) => format!("{} · {status}", task.stage),
        None => task.stage.to_string(),
    };
    Some(WorkspaceSymbol {
        name,
        detail,
        file,
        range,
    })
}

/// How well a task matches; lower is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    ExactId,
    IdPrefix,
    WordStarts,
    Substrings,
    Everything,
}

struct Query {
    /// The query read as an ID or the start of one.
    id: Option<IdQuery>,
    /// Lowercased words.
    words: Vec<String>,
}

struct IdQuery {
    namespace: Option<String>,
    digits: String,
}

impl Query {
    fn parse(query: &str) -> Query {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let id = match words.as_slice() {
            [word] => IdQuery::parse(word),
            _ => None,
        };
        Query { id, words }
    }

    fn rank(&self, task: &Task, haystack: &mut String) -> Option<Rank> {
        if self.words.is_empty() {
            return Some(Rank::Everything);
        }
        if let Some(id) = &self.id
            && let Some(rank) = id.rank(task)
        {
            return Some(rank);
        }
        haystack.clear();
        write!(
            haystack,
            "{} {}",
            task.id,
            task_name(task).unwrap_or_default()
        )
        .ok()?;
        if haystack.is_ascii() {
            haystack.make_ascii_lowercase();
        } else {
            *haystack = haystack.to_lowercase();
        }
        let mut all_at_word_starts = true;
        for word in &self.words {
            let mut found = haystack
                .match_indices(word.as_str())
                .map(|(at, _)| at)
                .peekable();
            found.peek()?;
            all_at_word_starts &= found.any(|at| {
                haystack[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
            });
        }
        Some(if all_at_word_starts {
            Rank::WordStarts
        } else {
            Rank::Substrings
        })
    }
}

impl IdQuery {
    /// `42`, `0042`, `task-0042`, `fw-0042`, `task-fw-004` (already lowercased).
    fn parse(word: &str) -> Option<IdQuery> {
        let rest = word.strip_prefix("task-").unwrap_or(word);
        let (namespace, digits) = match rest.rsplit_once('-') {
            Some((namespace, digits)) => {
                let upper = namespace.to_ascii_uppercase();
                if !crate::syntax::task_id::is_namespace(&upper) {
                    return None;
                }
                (Some(upper), digits)
            }
            None => (None, rest),
        };
        let valid =
            !digits.is_empty() && digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit());
        valid.then(|| IdQuery {
            namespace,
            digits: digits.to_string(),
        })
    }

    fn rank(&self, task: &Task) -> Option<Rank> {
        if self.namespace.is_some() && self.namespace.as_deref() != task.namespace() {
            return None;
        }
        let number: u32 = self.digits.parse().ok()?;
        if number == task.id.number {
            return Some(Rank::ExactId);
        }
        // `004` is the start of 0040..0049 as displayed (zero-padded to four digits).
        let shown = format!("{:04}", task.id.number);
        (self.digits.len() < shown.len() && shown.starts_with(&self.digits))
            .then_some(Rank::IdPrefix)
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::ide::fixture::{COUNTER, package, workspace};

    fn render(
        workspace: &Workspace,
        file: FileId,
        symbols: &[Symbol],
        depth: usize,
        out: &mut String,
    ) {
        let text = &workspace.file(file).text;
        for symbol in symbols {
            let range = symbol.range.slice(text);
            let first_line = range.lines().next().unwrap_or_default();
            out.push_str(&format!(
                "{}{:?} {}{} `{}` [{} lines] sel `{}`\n",
                "  ".repeat(depth),
                symbol.kind,
                symbol.name,
                symbol
                    .detail
                    .as_ref()
                    .map_or(String::new(), |d| format!(" ({d})")),
                first_line,
                range.lines().count(),
                symbol.selection.slice(text),
            ));
            render(workspace, file, &symbol.children, depth + 1, out);
        }
    }

    #[test]
    fn an_index_outline_is_cut_at_one_row_per_kb_and_counts_the_rest() {
        use crate::ide::types::MAX_LISTED;
        let rows: String = (1..=MAX_LISTED + 500)
            .map(|n| format!("| {n:04} | Task {n} | @ana | inbox | active | - | - |\n"))
            .collect();
        let fixture = format!(
            "//- /INDEX.md\n| ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|----|------|-----|-------|--------|-------|--------------|\n{rows}"
        );
        let workspace = workspace(&fixture);
        let file = workspace
            .file_by_path(&std::path::Path::new(crate::ide::fixture::ROOT).join("INDEX.md"))
            .unwrap();
        let listed = document_symbols(&workspace, file);
        // About 50 bytes a row: far below one KB each, so the floor applies.
        assert_eq!(listed.items.len(), MAX_LISTED);
        assert_eq!(listed.total, MAX_LISTED + 500);
    }

    fn check_document(fixture: &str, rel: &str, expect: Expect) {
        let workspace = workspace(fixture);
        let file = workspace
            .file_by_path(&std::path::Path::new(crate::ide::fixture::ROOT).join(rel))
            .unwrap();
        let mut out = String::new();
        render(
            &workspace,
            file,
            &document_symbols(&workspace, file).items,
            0,
            &mut out,
        );
        expect.assert_eq(&out);
    }

    #[test]
    fn card_fields_and_sections() {
        let fixture = format!(
            "{COUNTER}{}",
            package(
                "backlog/TASK-0001-a",
                "task_name: \"Café 🎉 login\"\ndepends_on: [\"0002\", TASK-0003]"
            )
            .replace("blocks: []", "blocks:\n  - TASK-0004\n  - \"0005\"")
            .replace("- [ ] it works", "- [x] it works\n- [ ] it ships"),
        );
        check_document(
            &fixture,
            "backlog/TASK-0001-a/0001-a.task.md",
            expect![[r#"
                Frontmatter frontmatter `---` [22 lines] sel `---`
                  Field task_id (0001) `task_id: "0001"` [1 lines] sel `task_id`
                  Field created_by (@ana) `created_by: "@ana"` [1 lines] sel `created_by`
                  Field created_date (2026-03-02) `created_date: "2026-03-02"` [1 lines] sel `created_date`
                  Field schema_version (1.0) `schema_version: "1.0"` [1 lines] sel `schema_version`
                  Field task_name (Café 🎉 login) `task_name: "Café 🎉 login"` [1 lines] sel `task_name`
                  Field stage (backlog) `stage: "backlog"` [1 lines] sel `stage`
                  Field priority (null) `priority: null` [1 lines] sel `priority`
                  Field effort_estimate (null) `effort_estimate: null` [1 lines] sel `effort_estimate`
                  Field tags ([]) `tags: []` [1 lines] sel `tags`
                  Field current_dri (@ana) `current_dri: "@ana"` [1 lines] sel `current_dri`
                  Field status (active) `status: "active"` [1 lines] sel `status`
                  Field blocked_by (null) `blocked_by: null` [1 lines] sel `blocked_by`
                  Field paused_reason (null) `paused_reason: null` [1 lines] sel `paused_reason`
                  Field depends_on ([0002, TASK-0003]) `depends_on: ["0002", TASK-0003]` [1 lines] sel `depends_on`
                  Field blocks ([TASK-0004, 0005]) `blocks:` [3 lines] sel `blocks`
                  Field related_to ([]) `related_to: []` [1 lines] sel `related_to`
                  Field split_from (null) `split_from: null` [1 lines] sel `split_from`
                  Field split_into ([]) `split_into: []` [1 lines] sel `split_into`
                Section Goal `## Goal` [3 lines] sel `## Goal`
                Section Inputs Required `## Inputs Required` [3 lines] sel `## Inputs Required`
                Section Implementation Details `## Implementation Details` [3 lines] sel `## Implementation Details`
                Section Expected Outputs `## Expected Outputs` [3 lines] sel `## Expected Outputs`
                Section Acceptance Criteria (1/2 checked) `## Acceptance Criteria` [4 lines] sel `## Acceptance Criteria`
            "#]],
        );
    }

    #[test]
    fn index_rows() {
        let fixture = format!(
            "{COUNTER}{}{}//- /INDEX.md\n# Index\n\n| ID | Name | DRI | Stage | Status | Dependencies |\n|---|---|---|---|---|---|\n| 0001 | Café 🎉 login | @ana | backlog | active | 0002 |\n| TASK-0002 | Task 0002 | @ana | next | blocked | |\n| bogus | Broken row | @ana | next | active | |\n//- /backlog/INDEX.md\n| ID | Name | DRI | Status | Dependencies |\n|---|---|---|---|---|\n| [0001](TASK-0001-a/) | [Café 🎉 login](TASK-0001-a/) | @ana | active | [0002](../next/TASK-0002-b/) |\n",
            package("backlog/TASK-0001-a", ""),
            package("next/TASK-0002-b", ""),
        );
        check_document(
            &fixture,
            "INDEX.md",
            expect![[r#"
                Row TASK-0001 Café 🎉 login (backlog · active) `| 0001 | Café 🎉 login | @ana | backlog | active | 0002 |` [1 lines] sel `0001`
                Row TASK-0002 Task 0002 (next · blocked) `| TASK-0002 | Task 0002 | @ana | next | blocked | |` [1 lines] sel `TASK-0002`
                Row bogus Broken row (next · active) `| bogus | Broken row | @ana | next | active | |` [1 lines] sel `bogus`
            "#]],
        );
        check_document(
            &fixture,
            "backlog/INDEX.md",
            expect![[r#"
                Row TASK-0001 Café 🎉 login (backlog · active) `| [0001](TASK-0001-a/) | [Café 🎉 login](TASK-0001-a/) | @ana | active | [0002](../next/TASK-0002-b/) |` [1 lines] sel `0001`
            "#]],
        );
    }

    #[test]
    fn namespaced_index_rows_carry_the_namespace() {
        let fixture = format!(
            "{COUNTER}{}//- /backlog/fw/INDEX.md\n| ID | Name | DRI | Status | Dependencies |\n|---|---|---|---|---|\n| 0001 | Task | @ana | active | |\n",
            package("backlog/fw/TASK-FW-0001-a", ""),
        );
        check_document(
            &fixture,
            "backlog/fw/INDEX.md",
            expect![[r#"
                Row TASK-FW-0001 Task (backlog · active) `| 0001 | Task | @ana | active | |` [1 lines] sel `0001`
            "#]],
        );
    }

    fn search_fixture() -> String {
        format!(
            "{COUNTER}{}{}{}{}{}",
            package(
                "backlog/TASK-0042-login",
                "task_name: \"Fix the login page\""
            ),
            package(
                "current/TASK-0420-api",
                "task_name: \"Login API\"\nstatus: blocked\nblocked_by: \"external:vendor\""
            ),
            package("next/TASK-0043-logout", "task_name: \"Logout button\""),
            package("inbox/TASK-FW-0042-x", "task_name: \"Firmware page login\""),
            package("archived/TASK-0007-y", "task_name: \"Blog post\""),
        )
    }

    fn search(query: &str, limit: usize) -> String {
        let workspace = workspace(&search_fixture());
        workspace_symbols(&workspace, query, limit)
            .into_iter()
            .map(|symbol| {
                let source = workspace.file(symbol.file);
                format!(
                    "{} ({}) {} `{}`\n",
                    symbol.name,
                    symbol.detail,
                    source.rel,
                    symbol.range.slice(&source.text)
                )
            })
            .collect()
    }

    #[test]
    fn every_id_spelling_finds_the_task_exact_match_first() {
        expect![[r#"
            TASK-0042 Fix the login page (backlog · active) backlog/TASK-0042-login/0042-login.task.md `"Fix the login page"`
            TASK-FW-0042 Firmware page login (inbox · active) inbox/TASK-FW-0042-x/FW-0042-x.task.md `"Firmware page login"`
            TASK-0420 Login API (current · blocked) current/TASK-0420-api/0420-api.task.md `"Login API"`
        "#]]
        .assert_eq(&search("42", 10));
        for spelling in ["0042", "TASK-0042", "task-0042"] {
            assert!(
                search(spelling, 10).starts_with("TASK-0042 Fix"),
                "{spelling}: {}",
                search(spelling, 10)
            );
        }
        for spelling in ["FW-0042", "TASK-FW-0042", "fw-42"] {
            assert_eq!(
                search(spelling, 10),
                "TASK-FW-0042 Firmware page login (inbox · active) inbox/TASK-FW-0042-x/FW-0042-x.task.md `\"Firmware page login\"`\n",
                "{spelling}"
            );
        }
        expect![[r#"
            TASK-0042 Fix the login page (backlog · active) backlog/TASK-0042-login/0042-login.task.md `"Fix the login page"`
            TASK-0043 Logout button (next · active) next/TASK-0043-logout/0043-logout.task.md `"Logout button"`
            TASK-FW-0042 Firmware page login (inbox · active) inbox/TASK-FW-0042-x/FW-0042-x.task.md `"Firmware page login"`
        "#]]
        .assert_eq(&search("004", 10));
    }

    #[test]
    fn name_words_match_in_any_order_and_case() {
        expect![[r#"
            TASK-0042 Fix the login page (backlog · active) backlog/TASK-0042-login/0042-login.task.md `"Fix the login page"`
            TASK-FW-0042 Firmware page login (inbox · active) inbox/TASK-FW-0042-x/FW-0042-x.task.md `"Firmware page login"`
        "#]]
        .assert_eq(&search("PAGE log", 10));
        expect![[r#"
            TASK-0042 Fix the login page (backlog · active) backlog/TASK-0042-login/0042-login.task.md `"Fix the login page"`
            TASK-0043 Logout button (next · active) next/TASK-0043-logout/0043-logout.task.md `"Logout button"`
            TASK-0420 Login API (current · blocked) current/TASK-0420-api/0420-api.task.md `"Login API"`
            TASK-FW-0042 Firmware page login (inbox · active) inbox/TASK-FW-0042-x/FW-0042-x.task.md `"Firmware page login"`
            TASK-0007 Blog post (archived · active) archived/TASK-0007-y/0007-y.task.md `"Blog post"`
        "#]]
        .assert_eq(&search("log", 10));
        assert_eq!(search("login nothing", 10), "");
    }

    #[test]
    fn an_empty_query_lists_tasks_up_to_the_limit() {
        expect![[r#"
            TASK-0007 Blog post (archived · active) archived/TASK-0007-y/0007-y.task.md `"Blog post"`
            TASK-0042 Fix the login page (backlog · active) backlog/TASK-0042-login/0042-login.task.md `"Fix the login page"`
        "#]]
        .assert_eq(&search("", 2));
    }
}
