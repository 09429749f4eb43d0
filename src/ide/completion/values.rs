//! Completion of a frontmatter value written on its key's own line (`stage: |`): the enum
//! vocabularies with what each value means, the kinds of `blocked_by`, one task for
//! `split_from` or `blocked_by: "task:…"`, DRIs, and a list field typed without its brackets.

use std::collections::HashSet;

use super::context::{Token, is_ref_byte, spacing_before, token_in};
use super::lists::{ListSite, is_list_field, list_completion};
use super::matching::{RefSite, Relation};
use super::seen::dri_items;
use super::tasks::task_completion;
use super::{CompletionKind, CompletionList, Cx, complete, simple_item};
use crate::base::TextRange;
use crate::db::vocab::{BLOCKED_BY_PREFIXES, EFFORTS, PRIORITIES, SCHEMA_VERSIONS, Stage, Status};

/// Completion of a value written on the key's own line (`stage: |`).
pub(super) fn scalar_completion(cx: &Cx, key: &str, seg: (usize, usize)) -> Option<CompletionList> {
    let token = token_in(cx.text, seg, cx.offset)?;
    let quoted_default = |value: &str| match token.opened {
        Some(_) => format!("{value}{}", token.closing()),
        None => format!("{}\"{value}\"", spacing(cx, token)),
    };
    let bare = |value: &str| match token.opened {
        Some(_) => format!("{value}{}", token.closing()),
        None => format!("{}{value}", spacing(cx, token)),
    };
    let folder_stage = cx.own_task().map(|task| task.stage);
    match key {
        "stage" => {
            // The folder's stage first: `stage` must agree with it.
            let mut stages: Vec<Stage> = Stage::ALL.to_vec();
            stages.sort_by_key(|stage| Some(*stage) != folder_stage);
            let values = stages
                .into_iter()
                .map(|stage| {
                    let detail = if Some(stage) == folder_stage {
                        "the stage folder this task sits in".to_string()
                    } else {
                        format!("stage {} of 7", stage as usize + 1)
                    };
                    (stage.name(), detail)
                })
                .collect();
            enum_items(token, values, quoted_default)
        }
        "status" => {
            let values = Status::ALL
                .into_iter()
                .map(|status| (status.name(), status_meaning(status).to_string()))
                .collect();
            enum_items(token, values, quoted_default)
        }
        "priority" => {
            let mut values: Vec<(&str, String)> = PRIORITIES
                .into_iter()
                .map(|p| (p, priority_meaning(p).to_string()))
                .collect();
            values.push(("null", "not prioritized yet".to_string()));
            enum_items(token, values, bare)
        }
        "effort_estimate" => {
            let mut values: Vec<(&str, String)> = EFFORTS
                .into_iter()
                .map(|effort| {
                    let kind = if effort.as_bytes()[0].is_ascii_digit() {
                        "story points"
                    } else {
                        "T-shirt size"
                    };
                    (effort, kind.to_string())
                })
                .collect();
            values.push(("null", "not estimated yet".to_string()));
            enum_items(token, values, bare)
        }
        "schema_version" => {
            let values = SCHEMA_VERSIONS
                .into_iter()
                .map(|version| (version, "the card schema version".to_string()))
                .collect();
            enum_items(token, values, quoted_default)
        }
        "blocked_by" => blocked_by_completion(cx, token),
        "split_from" => task_completion(
            cx,
            RefSite {
                token,
                before: if token.opened.is_some() {
                    String::new()
                } else {
                    spacing(cx, token).to_string()
                },
                after: token.closing(),
                listed: HashSet::new(),
                own: cx.own,
                namespace: cx.own_namespace(),
                relation: Relation::Other,
            },
        ),
        "current_dri" | "created_by" => {
            dri_items(cx, token, &HashSet::new(), |dri| quoted_default(dri))
        }
        key if is_list_field(key) && token.opened.is_none() => {
            // `depends_on: TASK-00|` is not a list yet: complete the item and make it one.
            let mut list = list_completion(cx, key, ListSite::new(token, Vec::new()))?;
            for item in &mut list.items {
                let new_text = &item.edit.1;
                let value = new_text.trim_start();
                let space = &new_text[..new_text.len() - value.len()];
                item.edit.1 = format!("{space}[{value}]");
            }
            Some(list)
        }
        _ => None,
    }
}

/// A space when the value goes right after the colon.
fn spacing(cx: &Cx, token: Token) -> &'static str {
    if token.range.is_empty() {
        spacing_before(cx.text, token.start())
    } else {
        ""
    }
}

fn status_meaning(status: Status) -> &'static str {
    match status {
        Status::Active => "being worked on, or waiting its turn in its stage",
        Status::Blocked => "waiting on something; say what in `blocked_by`",
        Status::Paused => "set aside for now; say why in `paused_reason`",
        Status::Canceled => "will not be done; belongs in archived",
        Status::Split => "split into smaller tasks (split parents only)",
    }
}

fn priority_meaning(priority: &str) -> &'static str {
    match priority {
        "P0" => "critical: may fast-track into current",
        "P1" => "high",
        "P2" => "medium",
        "P3" => "low",
        _ => "lowest",
    }
}

/// Items for a fixed set of values, in the given order. `null` is offered only outside
/// quotes (a quoted `"null"` is a string).
fn enum_items(
    token: Token,
    values: Vec<(&str, String)>,
    new_text: impl Fn(&str) -> String,
) -> Option<CompletionList> {
    let items = values
        .into_iter()
        .filter(|(value, _)| !(*value == "null" && token.opened.is_some()))
        .enumerate()
        .map(|(rank, (value, detail))| {
            let mut item = simple_item(value.to_string(), CompletionKind::Value, token, {
                if value == "null" {
                    value.to_string()
                } else {
                    new_text(value)
                }
            });
            item.detail = Some(detail);
            item.sort_text = format!("{rank:04}");
            item
        })
        .collect();
    Some(complete(items))
}

/// `blocked_by: "task:TASK-00|"` completes the task; before any `:`, the kinds of blocker.
fn blocked_by_completion(cx: &Cx, token: Token) -> Option<CompletionList> {
    let text = cx.text;
    let typed = &text[token.start()..cx.offset];
    if let Some(colon) = typed.find(':') {
        if typed[..colon].trim() != "task" {
            return None;
        }
        let after = token.start() + colon + 1;
        let ref_start =
            after + (text[after..cx.offset].len() - text[after..cx.offset].trim_start().len());
        let mut ref_end = cx.offset;
        while ref_end < token.range.end as usize && is_ref_byte(text.as_bytes()[ref_end]) {
            ref_end += 1;
        }
        let ref_token = Token {
            range: TextRange::new(ref_start, ref_end),
            ..token
        };
        let after_ref = &text[ref_end..token.range.end as usize];
        return task_completion(
            cx,
            RefSite {
                token: ref_token,
                before: String::new(),
                // Close the user's quote only when nothing (such as ` (canceled)`) follows.
                after: if after_ref.trim().is_empty() {
                    token.closing()
                } else {
                    String::new()
                },
                listed: HashSet::new(),
                own: cx.own,
                namespace: cx.own_namespace(),
                relation: Relation::Other,
            },
        );
    }
    let items = BLOCKED_BY_PREFIXES
        .into_iter()
        .chain(["null"])
        .filter(|prefix| !(*prefix == "null" && token.opened.is_some()))
        .enumerate()
        .map(|(rank, prefix)| {
            let (new_text, is_snippet) = match (prefix, token.opened) {
                ("null", _) => (format!("{}null", spacing(cx, token)), false),
                (_, Some(quote)) if !token.closed => (format!("{prefix}$1{quote}"), true),
                (_, Some(_)) => (prefix.to_string(), false),
                (_, None) => (format!("{}\"{prefix}$1\"", spacing(cx, token)), true),
            };
            let detail = match prefix {
                "task:" => "blocked by another task: task:TASK-0042",
                "external:" => "blocked by something outside the team",
                "decision:" => "waiting for a decision",
                "info:" => "waiting for information",
                _ => "not blocked",
            };
            let mut item = simple_item(prefix.to_string(), CompletionKind::Value, token, new_text);
            item.is_snippet = is_snippet;
            item.detail = Some(detail.to_string());
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
    fn a_list_field_without_brackets_becomes_a_list() {
        check(
            &tasks("depends_on: TASK-0003$0"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `[TASK-0003]`
            "#]],
        );
        check(
            &replace_in(
                &tasks("tags:$0"),
                "backlog/TASK-0002-b/0002-b.task.md",
                &[("tags: []", "tags: [api]")],
            ),
            expect![[r#"
                api · on 1 task | `` -> ` [api]`
            "#]],
        );
    }

    #[test]
    fn blocked_by_task_prefix_and_kinds() {
        check(
            &tasks("blocked_by: \"task:TASK-000$0\""),
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active | `TASK-000` -> `TASK-0002`
                TASK-0003 · Task 0003 · current · active | `TASK-000` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-000` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-000` -> `TASK-0004`
            "#]],
        );
        check(
            &tasks("blocked_by: \"task:$0 (canceled)"),
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active | `` -> `TASK-0002`
                TASK-0003 · Task 0003 · current · active | `` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `` -> `TASK-0004`
            "#]],
        );
        check(
            &tasks("blocked_by: $0null"),
            expect![[r#"
                task: · blocked by another task: task:TASK-0042 | `null` -> `"task:$1"` [snippet]
                external: · blocked by something outside the team | `null` -> `"external:$1"` [snippet]
                decision: · waiting for a decision | `null` -> `"decision:$1"` [snippet]
                info: · waiting for information | `null` -> `"info:$1"` [snippet]
                null · not blocked | `null` -> `null`
            "#]],
        );
        check(
            &tasks("blocked_by: \"ext$0"),
            expect![[r#"
                task: · blocked by another task: task:TASK-0042 | `ext` -> `task:$1"` [snippet]
                external: · blocked by something outside the team | `ext` -> `external:$1"` [snippet]
                decision: · waiting for a decision | `ext` -> `decision:$1"` [snippet]
                info: · waiting for information | `ext` -> `info:$1"` [snippet]
            "#]],
        );
    }

    #[test]
    fn split_from_takes_one_task() {
        check(
            &tasks("split_from: \"TASK-0003$0\""),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `TASK-0003`
            "#]],
        );
    }

    #[test]
    fn enum_values() {
        check(
            &tasks("stage: \"back$0\""),
            expect![[r#"
                backlog · the stage folder this task sits in | `back` -> `backlog`
                inbox · stage 1 of 7 | `back` -> `inbox`
                next · stage 3 of 7 | `back` -> `next`
                current · stage 4 of 7 | `back` -> `current`
                integration · stage 5 of 7 | `back` -> `integration`
                learning · stage 6 of 7 | `back` -> `learning`
                archived · stage 7 of 7 | `back` -> `archived`
            "#]],
        );
        check(
            &tasks("status:$0"),
            expect![[r#"
                active · being worked on, or waiting its turn in its stage | `` -> ` "active"`
                blocked · waiting on something; say what in `blocked_by` | `` -> ` "blocked"`
                paused · set aside for now; say why in `paused_reason` | `` -> ` "paused"`
                canceled · will not be done; belongs in archived | `` -> ` "canceled"`
                split · split into smaller tasks (split parents only) | `` -> ` "split"`
            "#]],
        );
        check(
            &tasks("priority: P$0  # P0|P1|P2|P3|P4"),
            expect![[r#"
                P0 · critical: may fast-track into current | `P` -> `P0`
                P1 · high | `P` -> `P1`
                P2 · medium | `P` -> `P2`
                P3 · low | `P` -> `P3`
                P4 · lowest | `P` -> `P4`
                null · not prioritized yet | `P` -> `null`
            "#]],
        );
        check(
            &tasks("effort_estimate: $0null"),
            expect![[r#"
                XS · T-shirt size | `null` -> `XS`
                S · T-shirt size | `null` -> `S`
                M · T-shirt size | `null` -> `M`
                L · T-shirt size | `null` -> `L`
                XL · T-shirt size | `null` -> `XL`
                1 · story points | `null` -> `1`
                2 · story points | `null` -> `2`
                3 · story points | `null` -> `3`
                5 · story points | `null` -> `5`
                8 · story points | `null` -> `8`
                null · not estimated yet | `null` -> `null`
            "#]],
        );
        check(
            &tasks("schema_version: $0"),
            expect![[r#"
                1.0 · the card schema version | `` -> `"1.0"`
            "#]],
        );
        // Fields without a vocabulary, and the key itself, offer nothing.
        check(&tasks("task_name: \"Ta$0sk\""), expect!["(none)\n"]);
        check(&tasks("sta$0ge: \"backlog\""), expect!["(none)\n"]);
    }
}
