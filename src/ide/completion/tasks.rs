//! Task candidates wherever a reference is typed: what was typed matched against IDs and
//! names, the candidates that would close a dependency cycle found and explained, and each
//! candidate's item (name, stage, status, the first lines of its Goal). The order is
//! [`super::ranking`]'s.

use super::matching::{CyclePaths, Query, RefSite, format_cycle};
use super::ranking::Ranking;
use super::{CompletionItem, CompletionKind, CompletionList, Cx};
use crate::db::vocab::Status;
use crate::db::{Task, Workspace};

fn task_name(task: &Task) -> String {
    match (&task.meta.task_name, &task.slug) {
        (Some(name), _) => name.clone(),
        (None, Some(slug)) if !slug.is_empty() => slug.replace('-', " "),
        _ => "(no name)".to_string(),
    }
}

pub(super) fn task_completion(cx: &Cx, site: RefSite) -> Option<CompletionList> {
    let workspace = cx.workspace;
    let typed = &cx.text[site.token.start()..cx.offset.max(site.token.start())];
    let query = Query::new(typed);
    let namespace = site.namespace.as_deref();
    let cycles = CyclePaths::compute(workspace, cx.root, site.own, site.relation);
    let ranking = Ranking {
        workspace,
        root: cx.root,
        site: &site,
        query: query.as_ref(),
        cycles: cycles.as_ref(),
    };
    let (candidates, is_incomplete) = ranking.best(cx.config.limit);

    let items = candidates
        .into_iter()
        .enumerate()
        .map(|(position, (closes_cycle, idx))| {
            let task = workspace.task(idx);
            let label = task.id.to_string();
            let name = task_name(task);
            let status = task.meta.status().map_or("?", Status::name);
            let mut detail = format!("{name} · {} · {status}", task.stage);
            if closes_cycle && let Some(path) = cycles.as_ref().and_then(|c| c.path(idx.0 as usize))
            {
                detail.push_str(&format!(
                    " · closes a cycle: {}",
                    format_cycle(workspace, &path)
                ));
            }
            // Same-namespace IDs may be typed unqualified, so the filter text has that
            // spelling too.
            let unqualified = match (&task.id.namespace, namespace) {
                (Some(ns), Some(here)) if ns.as_ref() == here => {
                    format!(" TASK-{:04}", task.id.number)
                }
                _ => String::new(),
            };
            CompletionItem {
                filter_text: Some(format!("{label}{unqualified} {name}")),
                label: label.clone(),
                kind: CompletionKind::Task,
                detail: Some(detail),
                documentation: goal_excerpt(workspace, task),
                sort_text: format!("{position:04}"),
                edit: (
                    site.token.range,
                    format!("{}{label}{}", site.before, site.after),
                ),
                is_snippet: false,
                deprecated: closes_cycle,
            }
        })
        .collect();
    Some(CompletionList {
        items,
        is_incomplete,
    })
}

/// How many lines of the Goal a task item shows.
const GOAL_LINES: usize = 4;

/// The first lines of a task's Goal section.
fn goal_excerpt(workspace: &Workspace, task: &Task) -> Option<String> {
    let card = workspace.card(task)?;
    let text = &workspace.file(task.card?).text;
    let goal = card
        .sections
        .iter()
        .find(|section| section.title.eq_ignore_ascii_case("Goal"))?;
    let lines: Vec<&str> = goal
        .content_range
        .slice(text)
        .lines()
        .map(str::trim_end)
        .skip_while(|line| line.trim().is_empty())
        .take(GOAL_LINES)
        .collect();
    let excerpt = lines.join("\n").trim_end().to_string();
    (!excerpt.is_empty()).then_some(excerpt)
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::completion::check::{check, complete_at, config, replace_in, tasks};
    use crate::ide::fixture::{COUNTER, package};

    #[test]
    fn goal_lines_are_the_documentation_and_name_words_filter() {
        let fixture = replace_in(
            &tasks("depends_on: [pay$0]"),
            "backlog/TASK-0002-b/0002-b.task.md",
            &[
                ("task_name: \"Task 0002\"", "task_name: \"Payment retries\""),
                (
                    "Do the thing.",
                    "Retry failed payments\nwith backoff.\n\nMore later.",
                ),
            ],
        );
        let list = complete_at(&fixture, &config()).unwrap();
        let shown: Vec<(String, Option<String>, Option<String>)> = list
            .items
            .iter()
            .map(|item| {
                (
                    item.label.clone(),
                    item.filter_text.clone(),
                    item.documentation.clone(),
                )
            })
            .collect();
        expect![[r#"
            [
                (
                    "TASK-0002",
                    Some(
                        "TASK-0002 Payment retries",
                    ),
                    Some(
                        "Retry failed payments\nwith backoff.\n\nMore later.",
                    ),
                ),
            ]
        "#]]
        .assert_debug_eq(&shown);
    }

    /// Namespace FW: TASK-FW-0001..0003 and a root task TASK-0002, in the unified layout.
    fn namespaced(fields: &str) -> String {
        format!(
            "{COUNTER}//- /NAMESPACES.yaml\nnamespaces:\n  FW: {{}}\n{}{}{}{}",
            package("backlog/TASK-FW-0001-a", ""),
            package("backlog/TASK-FW-0002-b", ""),
            package("next/TASK-FW-0003-c", fields),
            package("backlog/TASK-0002-x", ""),
        )
    }

    #[test]
    fn unqualified_ids_in_a_namespaced_card_mean_its_namespace() {
        // `"0001"` means TASK-FW-0001, so it is left out; FW tasks rank before the root's.
        check(
            &namespaced("depends_on: [\"0001\", 00$0]"),
            expect![[r#"
                TASK-FW-0002 · Task FW-0002 · backlog · active | `00` -> `"TASK-FW-0002"`
                TASK-0002 · Task 0002 · backlog · active | `00` -> `"TASK-0002"`
            "#]],
        );
        let list = complete_at(&namespaced("depends_on: [TASK-00$0]"), &config()).unwrap();
        let filters: Vec<&str> = list
            .items
            .iter()
            .filter_map(|item| item.filter_text.as_deref())
            .collect();
        assert_eq!(
            filters,
            [
                "TASK-FW-0002 TASK-0002 Task FW-0002",
                "TASK-FW-0001 TASK-0001 Task FW-0001",
                "TASK-0002 Task 0002"
            ]
        );
        // Qualified spellings are filtered by namespace.
        check(
            &namespaced("related_to: [TASK-FW-0001, FW-$0]"),
            expect![[r#"
                TASK-FW-0002 · Task FW-0002 · backlog · active | `FW-` -> `TASK-FW-0002`
            "#]],
        );
    }

    #[test]
    fn candidates_closing_a_cycle_are_last_and_deprecated() {
        // 0003 → 0002 → 0001: letting 0001 depend on either closes a cycle.
        let fixture = format!(
            "{COUNTER}{}{}{}{}",
            package("backlog/TASK-0001-a", "depends_on: [$0]"),
            package("backlog/TASK-0002-b", "depends_on: [TASK-0001]"),
            package("backlog/TASK-0003-c", "depends_on: [TASK-0002]"),
            package("archived/TASK-0009-z", ""),
        );
        check(
            &fixture,
            expect![[r#"
                TASK-0009 · Task 0009 · archived · active | `` -> `TASK-0009`
                TASK-0002 · Task 0002 · backlog · active · closes a cycle: TASK-0001 → TASK-0002 → TASK-0001 | `` -> `TASK-0002` [deprecated]
                TASK-0003 · Task 0003 · backlog · active · closes a cycle: TASK-0001 → TASK-0003 → TASK-0002 → TASK-0001 | `` -> `TASK-0003` [deprecated]
            "#]],
        );
        // The converse for `blocks`: 0001 already depends on 0002 through 0003.
        let fixture = format!(
            "{COUNTER}{}{}{}",
            package(
                "backlog/TASK-0001-a",
                "depends_on: [TASK-0003]\nblocks: [$0]"
            ),
            package("backlog/TASK-0002-b", ""),
            package("backlog/TASK-0003-c", "depends_on: [TASK-0002]"),
        );
        check(
            &fixture,
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active · closes a cycle: TASK-0002 → TASK-0001 → TASK-0003 → TASK-0002 | `` -> `TASK-0002` [deprecated]
                TASK-0003 · Task 0003 · backlog · active · closes a cycle: TASK-0003 → TASK-0001 → TASK-0003 | `` -> `TASK-0003` [deprecated]
            "#]],
        );
    }
}
