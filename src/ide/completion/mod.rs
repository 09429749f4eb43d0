//! Completion: task references wherever one may stand (frontmatter lists and scalars, body
//! text, ledger strings, INDEX.md Dependencies cells), frontmatter enum values, DRIs, tags,
//! missing keys, ledger event names and a whole-line ledger event snippet.
//!
//! The buffer being typed in is usually not valid YAML or JSON (`depends_on: [TASK-00` has no
//! closing bracket yet), so the context is read from the text around the cursor with small
//! lenient scanners, never from the parsed frontmatter of the file being edited. The rest of
//! the workspace (candidates, names, the dependency graph) comes from the model.
//!
//! Everything here is byte offsets and plain types; the LSP layer turns a [`CompletionList`]
//! into protocol items.
//!
//! This module holds the types and the dispatch by file role; one module per provider
//! (`frontmatter` and `values` for cards' frontmatter, `body`, `ledger`, `index_table`), the
//! scanners they share in `context`, and the task candidates every provider offers in `tasks`
//! (matching, cycles, items) and `ranking` (their order).

mod body;
#[cfg(test)]
mod check;
mod context;
mod frontmatter;
mod index_table;
mod ledger;
mod lists;
mod matching;
mod ranking;
mod seen;
mod tasks;
mod values;

use crate::base::{TextRange, floor_char_boundary};
use crate::db::{FileId, FileRole, SourceFile, Task, TaskIdx, Workspace};
use crate::ide::types::Config;

use self::body::body_completion;
use self::context::{Token, frontmatter_bounds, line_bounds};
use self::frontmatter::frontmatter_completion;
use self::index_table::index_completion;
use self::ledger::ledger_completion;

/// Characters after which an editor should ask for completions, so that every context below
/// is offered while typing: `TASK-`, an opening quote, `key:`, `[`, `,` and a space.
pub const TRIGGER_CHARACTERS: [&str; 6] = ["-", "\"", ":", "[", ",", " "];

/// How many task candidates a request returns at most, unless configured otherwise.
pub const DEFAULT_LIMIT: usize = 100;

/// What a completion request is answered with: the analysis' one `Config` (its `now` and
/// `user` stamp the ledger line snippet) and how many task candidates to return.
#[derive(Clone, Debug)]
pub struct CompletionConfig {
    pub analysis: Config,
    /// The most task candidates to return; more makes the list incomplete.
    pub limit: usize,
}

impl Default for CompletionConfig {
    fn default() -> Self {
        CompletionConfig {
            analysis: Config::default(),
            limit: DEFAULT_LIMIT,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionList {
    pub items: Vec<CompletionItem>,
    /// True when candidates were left out because of the limit: the client must ask again as
    /// the user types, rather than filter this list.
    pub is_incomplete: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Task,
    Value,
    /// A frontmatter key.
    Keyword,
    Event,
    Snippet,
    User,
    Tag,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    pub filter_text: Option<String>,
    /// Ranking; clients sort items by this, lexicographically.
    pub sort_text: String,
    /// Replace this byte range with this text.
    pub edit: (TextRange, String),
    /// The edit text uses `$1` / `${1:…}` placeholders.
    pub is_snippet: bool,
    pub deprecated: bool,
}

/// Completions at byte `offset` of `file`, or None when nothing applies there (outside a
/// tasks root, in plain prose, on a fence line…).
pub fn completion(
    workspace: &Workspace,
    file: FileId,
    offset: usize,
    config: &CompletionConfig,
) -> Option<CompletionList> {
    let source = workspace.files.get(file.0 as usize)?;
    let text: &str = &source.text;
    if offset > text.len() || source.root >= workspace.roots.len() {
        return None;
    }
    let cx = Cx {
        workspace,
        source,
        text,
        offset: floor_char_boundary(text, offset),
        root: source.root,
        own: workspace.task_idx_of_file(file),
        config,
    };
    match source.role {
        FileRole::Card => card_completion(&cx),
        FileRole::Context | FileRole::Learning => body_completion(&cx),
        FileRole::Ledger => ledger_completion(&cx),
        FileRole::StageIndex(_) | FileRole::RootIndex | FileRole::NamespaceIndex => {
            index_completion(&cx, file)
        }
        _ => None,
    }
}

/// What every context needs: where the cursor is and whose file it is.
struct Cx<'a> {
    workspace: &'a Workspace,
    source: &'a SourceFile,
    text: &'a str,
    offset: usize,
    root: usize,
    /// The task whose package holds the file.
    own: Option<TaskIdx>,
    config: &'a CompletionConfig,
}

impl Cx<'_> {
    fn own_task(&self) -> Option<&Task> {
        self.own.map(|idx| self.workspace.task(idx))
    }

    fn own_namespace(&self) -> Option<String> {
        self.own_task()
            .and_then(Task::namespace)
            .map(str::to_string)
    }
}

/// A card: its frontmatter, or its body below the closing fence.
fn card_completion(cx: &Cx) -> Option<CompletionList> {
    match frontmatter_bounds(cx.text) {
        Some((start, end, closed)) if cx.offset >= start && (cx.offset < end || !closed) => {
            frontmatter_completion(cx, start, end)
        }
        Some((_, end, true)) if cx.offset >= end => {
            // Not on the closing fence itself.
            let (line_start, _) = line_bounds(cx.text, cx.offset);
            (line_start > end).then(|| body_completion(cx)).flatten()
        }
        Some(_) => None,
        None => body_completion(cx),
    }
}

/// An item replacing `token` with `new_text`, filtered by its label.
fn simple_item(
    label: String,
    kind: CompletionKind,
    token: Token,
    new_text: String,
) -> CompletionItem {
    CompletionItem {
        label,
        kind,
        detail: None,
        documentation: None,
        filter_text: None,
        sort_text: String::new(),
        edit: (token.range, new_text),
        is_snippet: false,
        deprecated: false,
    }
}

fn complete(items: Vec<CompletionItem>) -> CompletionList {
    CompletionList {
        items,
        is_incomplete: false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use expect_test::expect;

    use super::check::{check, config, tasks};
    use super::*;
    use crate::ide::fixture::{ROOT, workspace};

    #[test]
    fn nothing_outside_the_model_or_in_history_files() {
        // A README is not part of the model, so no request can even name it.
        let workspace = workspace(&format!("{}//- /notes/README.md\nSee TASK-00\n", tasks("")));
        assert_eq!(
            workspace.file_by_path(&Path::new(ROOT).join("notes/README.md")),
            None
        );
        // Unknown files and offsets past the text.
        assert_eq!(completion(&workspace, FileId(u32::MAX), 0, &config()), None);
        assert_eq!(
            completion(&workspace, FileId(0), usize::MAX, &config()),
            None
        );
        // An earlier card version is history, not a live card.
        check(
            &format!(
                "{}//- /backlog/TASK-0001-a/0001-a.task.v1.md\nSee TASK-00$0\n",
                tasks("")
            ),
            expect!["(none)\n"],
        );
        // The fences.
        check(
            &tasks("").replacen("---\n", "--$0-\n", 1),
            expect!["(none)\n"],
        );
    }
}
