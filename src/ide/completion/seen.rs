//! The DRIs and tags already used in the workspace, most used first: what the frontmatter's
//! DRI and tag fields and a ledger's `user` offer.

use std::collections::{HashMap, HashSet};

use super::context::Token;
use super::{CompletionKind, CompletionList, Cx, complete, simple_item};
use crate::db::Workspace;
use crate::syntax::yaml::YamlValue;

/// Every `@name` in the cards' `current_dri`, `created_by` and `previous_dris`, with how many
/// cards name it, most used first.
fn seen_dris(workspace: &Workspace, root: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    for block in frontmatter_blocks(workspace, root) {
        names.clear();
        for entry in &block.entries {
            match (&*entry.key, &entry.value.value) {
                ("current_dri" | "created_by", YamlValue::Str { text, .. }) => {
                    names.push(text.trim());
                }
                ("previous_dris", YamlValue::Seq(items)) => {
                    names.extend(items.iter().filter_map(|item| item.as_str()).map(str::trim));
                }
                _ => {}
            }
        }
        count_once(&mut counts, &mut names, |name| {
            name.len() > 1 && name.starts_with('@')
        });
    }
    by_count(counts)
}

/// Every tag in the cards' `tags` lists, with how many cards carry it, most used first.
pub(super) fn seen_tags(workspace: &Workspace, root: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut tags: Vec<&str> = Vec::new();
    for block in frontmatter_blocks(workspace, root) {
        tags.clear();
        if let Some(YamlValue::Seq(items)) = block.get("tags").map(|entry| &entry.value.value) {
            tags.extend(items.iter().filter_map(|item| item.as_str()).map(str::trim));
        }
        count_once(&mut counts, &mut tags, |tag| !tag.is_empty());
    }
    by_count(counts)
}

/// The parsed frontmatter of every card of `root`.
fn frontmatter_blocks(
    workspace: &Workspace,
    root: usize,
) -> impl Iterator<Item = &crate::syntax::card::FrontmatterBlock> {
    workspace.roots[root].tasks.iter().filter_map(|&idx| {
        workspace
            .card(workspace.task(idx))
            .and_then(|card| card.frontmatter.block())
    })
}

/// Counts each of one card's `values` once (a card naming `@ana` twice is one card).
fn count_once<'a>(
    counts: &mut HashMap<&'a str, usize>,
    values: &mut Vec<&'a str>,
    keep: impl Fn(&str) -> bool,
) {
    values.sort_unstable();
    values.dedup();
    for &value in values.iter().filter(|value| keep(value)) {
        *counts.entry(value).or_default() += 1;
    }
}

fn by_count(counts: HashMap<&str, usize>) -> Vec<(String, usize)> {
    let mut seen: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(value, count)| (value.to_string(), count))
        .collect();
    seen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    seen
}

pub(super) fn tasks_count(count: usize) -> String {
    if count == 1 {
        "on 1 task".to_string()
    } else {
        format!("on {count} tasks")
    }
}

pub(super) fn dri_items(
    cx: &Cx,
    token: Token,
    listed: &HashSet<&str>,
    new_text: impl Fn(&str) -> String,
) -> Option<CompletionList> {
    let items = seen_dris(cx.workspace, cx.root)
        .into_iter()
        .filter(|(dri, _)| !listed.contains(dri.as_str()))
        .enumerate()
        .map(|(rank, (dri, count))| {
            let text = new_text(&dri);
            let mut item = simple_item(dri, CompletionKind::User, token, text);
            item.detail = Some(tasks_count(count));
            item.sort_text = format!("{rank:04}");
            item
        })
        .collect();
    Some(complete(items))
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::completion::check::{check, replace_in, tasks};

    #[test]
    fn dris_seen_in_the_workspace() {
        let fixture = replace_in(
            &tasks("current_dri: \"@$0\""),
            "current/TASK-0003-c/0003-c.task.md",
            &[
                ("current_dri: \"@ana\"", "current_dri: \"@bob\""),
                (
                    "status: \"active\"",
                    "status: \"active\"\nprevious_dris: [\"@cy\"]",
                ),
            ],
        );
        check(
            &fixture,
            expect![[r#"
                @ana · on 5 tasks | `@` -> `@ana`
                @bob · on 1 task | `@` -> `@bob`
                @cy · on 1 task | `@` -> `@cy`
            "#]],
        );
        // Unquoted, the value gets quotes: `@` cannot start a plain YAML string.
        check(
            &tasks("created_by: $0"),
            expect![[r#"
                @ana · on 5 tasks | `` -> `"@ana"`
            "#]],
        );
    }

    #[test]
    fn tags_seen_in_the_workspace_except_those_listed() {
        let fixture = replace_in(
            &replace_in(
                &tasks("tags: [backend, $0]"),
                "current/TASK-0003-c/0003-c.task.md",
                &[("tags: []", "tags: [backend, api, \"needs review\"]")],
            ),
            "inbox/TASK-0005-e/0005-e.task.md",
            &[("tags: []", "tags:\n  - api\n")],
        );
        check(
            &fixture,
            expect![[r#"
                api · on 2 tasks | `` -> `api`
                needs review · on 1 task | `` -> `"needs review"`
            "#]],
        );
    }
}
