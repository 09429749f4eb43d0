//! Completion inside a card's frontmatter: which key owns the cursor, the items of its list
//! (flow `[…]` or block `- …`) and the keys not written yet. Values written on the key's own
//! line are [`super::values`]'.

use std::collections::HashSet;

use super::context::{
    Flow, Token, before_comment, key_line, line_bounds, lines_of, scan_flow, token_in,
};
use super::lists::{ListSite, is_list_field, list_completion};
use super::values::scalar_completion;
use super::{CompletionKind, CompletionList, Cx, complete, simple_item};
use crate::base::TextRange;
use crate::db::vocab::{KNOWN_FIELDS, REQUIRED_FIELDS};

pub(super) fn frontmatter_completion(
    cx: &Cx,
    fm_start: usize,
    fm_end: usize,
) -> Option<CompletionList> {
    let text = cx.text;
    let lines = lines_of(text, fm_start, fm_end);
    let cursor_line = line_bounds(text, cx.offset);
    let here = lines
        .iter()
        .position(|line| line.0 == cursor_line.0)
        .unwrap_or(lines.len());
    // The key that owns the cursor's line: on it, or the nearest one above.
    let owner = lines[..(here + 1).min(lines.len())]
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, &line)| key_line(text, line).map(|(key, after)| (i, key, after)));
    if let Some((i, key, after_colon)) = owner {
        let on_key_line = i == here;
        if on_key_line && cx.offset < after_colon {
            // Editing the key's own name.
            return None;
        }
        let value_start = after_colon + {
            let rest = &text[after_colon..lines[i].1];
            rest.len() - rest.trim_start().len()
        };
        if text[value_start..].starts_with('[') {
            let flow = scan_flow(text, value_start, fm_end);
            if cx.offset > value_start && cx.offset <= flow.end {
                return flow_list_completion(cx, key, &flow);
            }
        } else if on_key_line {
            let end = before_comment(text, after_colon, lines[i].1);
            return scalar_completion(cx, key, (after_colon, end));
        } else if text[value_start..lines[i].1].trim().is_empty()
            || text[value_start..].starts_with('#')
        {
            let line_text = &text[cursor_line.0..cursor_line.1];
            if line_text.trim_start().starts_with('-') {
                return block_list_completion(cx, key, &lines[i + 1..]);
            }
        }
    }
    let line_text = &text[cursor_line.0..cursor_line.1];
    let typing_key = line_text.trim().is_empty()
        || line_text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    typing_key.then(|| missing_keys(cx, &lines, cursor_line))
}

fn flow_list_completion(cx: &Cx, key: &str, flow: &Flow) -> Option<CompletionList> {
    let current = flow
        .segments
        .iter()
        .position(|&(start, end)| start <= cx.offset && cx.offset <= end)?;
    let token = token_in(cx.text, flow.segments[current], cx.offset)?;
    let others = flow
        .segments
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != current)
        .map(|(_, &(start, end))| cx.text[start..end].trim().to_string())
        .filter(|item| !item.is_empty())
        .collect();
    list_completion(cx, key, ListSite::new(token, others))
}

/// `- item` lines under a key; `below` are the frontmatter lines after the key's line.
fn block_list_completion(cx: &Cx, key: &str, below: &[(usize, usize)]) -> Option<CompletionList> {
    let text = cx.text;
    let mut others = Vec::new();
    let mut token = None;
    for &(start, end) in below {
        if key_line(text, (start, end)).is_some() {
            break;
        }
        let content = &text[start..end];
        let Some(item) = content.trim_start().strip_prefix('-') else {
            continue;
        };
        let item_start = end - item.len();
        let item_end = before_comment(text, item_start, end);
        if start <= cx.offset && cx.offset <= end {
            token = Some(token_in(text, (item_start, item_end), cx.offset)?);
        } else if !text[item_start..item_end].trim().is_empty() {
            others.push(text[item_start..item_end].trim().to_string());
        }
    }
    list_completion(cx, key, ListSite::new(token?, others))
}

/// [`KNOWN_FIELDS`] lists the methodology template's fields first, then the workflows'
/// extension fields.
const TEMPLATE_FIELDS: usize = 18;

/// Keys of the schema not yet in the frontmatter, required ones first.
fn missing_keys(cx: &Cx, lines: &[(usize, usize)], cursor_line: (usize, usize)) -> CompletionList {
    let present: HashSet<&str> = lines
        .iter()
        .filter(|line| line.0 != cursor_line.0)
        .filter_map(|&line| key_line(cx.text, line).map(|(key, _)| key))
        .collect();
    let range = TextRange::new(cursor_line.0, cursor_line.1);
    let token = Token {
        range,
        opened: None,
        closed: false,
    };
    let mut keys: Vec<&str> = KNOWN_FIELDS
        .into_iter()
        .filter(|key| !present.contains(key))
        .collect();
    keys.sort_by_key(|key| !REQUIRED_FIELDS.contains(key));
    let items = keys
        .into_iter()
        .enumerate()
        .map(|(rank, key)| {
            let is_list = is_list_field(key);
            let new_text = if is_list {
                format!("{key}: [$1]")
            } else {
                format!("{key}: ")
            };
            let detail = if REQUIRED_FIELDS.contains(&key) {
                "required field"
            } else if KNOWN_FIELDS[..TEMPLATE_FIELDS].contains(&key) {
                "schema field"
            } else {
                "workflow extension field"
            };
            let mut item = simple_item(key.to_string(), CompletionKind::Keyword, token, new_text);
            item.is_snippet = is_list;
            item.detail = Some(detail.to_string());
            item.sort_text = format!("{rank:04}");
            item
        })
        .collect();
    complete(items)
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::ide::completion::check::{check, config, render, tasks};
    use crate::ide::fixture::COUNTER;

    #[test]
    fn flow_list_unquoted_leaves_out_own_task_and_listed_ids() {
        check(
            &tasks("depends_on: [TASK-0002, TASK-00$0]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-00` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-00` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-00` -> `TASK-0004`
            "#]],
        );
    }

    #[test]
    fn flow_list_of_quoted_items_gets_quotes() {
        check(
            &tasks("depends_on: [\"0002\", 00$0]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `00` -> `"TASK-0003"`
                TASK-0005 · Task 0005 · inbox · active | `00` -> `"TASK-0005"`
                TASK-0004 · Task 0004 · archived · active | `00` -> `"TASK-0004"`
            "#]],
        );
        check(
            &tasks("related_to: [\"0002\",$0]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `` -> ` "TASK-0003"`
                TASK-0005 · Task 0005 · inbox · active | `` -> ` "TASK-0005"`
                TASK-0004 · Task 0004 · archived · active | `` -> ` "TASK-0004"`
            "#]],
        );
    }

    #[test]
    fn unclosed_and_multi_line_flow_lists() {
        // No `]` yet, and the next key right below.
        check(
            &tasks("related_to: [TASK-0002, TASK-000$0"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-000` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-000` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-000` -> `TASK-0004`
            "#]],
        );
        let multi_line = tasks("").replacen(
            "depends_on: []",
            "depends_on: [\n  \"0002\",  # first\n  \"0003\",\n  $0\n]",
            1,
        );
        check(
            &multi_line,
            expect![[r#"
                TASK-0005 · Task 0005 · inbox · active | `` -> `"TASK-0005"`
                TASK-0004 · Task 0004 · archived · active | `` -> `"TASK-0004"`
            "#]],
        );
    }

    #[test]
    fn crlf_cards_complete_like_lf_ones() {
        let fixture = tasks("depends_on: [TASK-0002, TASK-000$0]");
        let start = fixture
            .find("//- /backlog/TASK-0001-a/0001-a.task.md\n")
            .unwrap();
        let end = fixture
            .find("//- /backlog/TASK-0001-a/0001.context.md")
            .unwrap();
        let crlf = format!(
            "{}{}{}",
            &fixture[..start],
            fixture[start..end]
                .replace('\n', "\r\n")
                .replacen("\r\n", "\n", 1),
            &fixture[end..]
        );
        assert!(crlf.contains("TASK-000$0]\r\n"));
        check(
            &crlf,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-000` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-000` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-000` -> `TASK-0004`
            "#]],
        );
    }

    #[test]
    fn an_opening_quote_typed_by_the_user_is_not_doubled() {
        // Closed by the editor's auto-pairing: nothing to add.
        check(
            &tasks("depends_on: [\"0002\", \"TASK-000$0\"]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-000` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-000` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-000` -> `TASK-0004`
            "#]],
        );
        // Still open: the completion closes it.
        check(
            &tasks("blocks: ['TASK-0003$0]"),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `TASK-0003'`
            "#]],
        );
    }

    #[test]
    fn block_list_items_follow_the_other_items_quotes() {
        let quoted = tasks("").replacen(
            "depends_on: []",
            "depends_on:\n  - \"0002\"\n  - \"0003\"\n  - $0",
            1,
        );
        check(
            &quoted,
            expect![[r#"
                TASK-0005 · Task 0005 · inbox · active | `` -> `"TASK-0005"`
                TASK-0004 · Task 0004 · archived · active | `` -> `"TASK-0004"`
            "#]],
        );
        let plain = tasks("").replacen("split_into: []", "split_into:\n- TASK-0002\n-$0", 1);
        check(
            &plain,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `` -> ` TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `` -> ` TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `` -> ` TASK-0004`
            "#]],
        );
    }

    #[test]
    fn template_fields_come_first_in_the_vocabulary() {
        assert_eq!(KNOWN_FIELDS[TEMPLATE_FIELDS - 1], "split_from");
        assert_eq!(KNOWN_FIELDS[TEMPLATE_FIELDS], "split_date");
    }

    #[test]
    fn missing_keys_on_an_empty_frontmatter_line() {
        let fixture = format!(
            "{COUNTER}//- /inbox/TASK-0001-a/0001-a.task.md\n---\ntask_id: \"0001\"\ntask_name: \"A\"\nstage: \"inbox\"\n$0\ndepends_on: []\n---\n\n## Goal\n\nX.\n"
        );
        check(
            &fixture,
            expect![[r#"
                current_dri · required field | `` -> `current_dri: `
                status · required field | `` -> `status: `
                created_by · schema field | `` -> `created_by: `
                created_date · schema field | `` -> `created_date: `
                schema_version · schema field | `` -> `schema_version: `
                priority · schema field | `` -> `priority: `
                effort_estimate · schema field | `` -> `effort_estimate: `
                tags · schema field | `` -> `tags: [$1]` [snippet]
                blocked_by · schema field | `` -> `blocked_by: `
                paused_reason · schema field | `` -> `paused_reason: `
                blocks · schema field | `` -> `blocks: [$1]` [snippet]
                related_to · schema field | `` -> `related_to: [$1]` [snippet]
                split_into · schema field | `` -> `split_into: [$1]` [snippet]
                split_from · schema field | `` -> `split_from: `
                split_date · workflow extension field | `` -> `split_date: `
                split_reason · workflow extension field | `` -> `split_reason: `
                split_part · workflow extension field | `` -> `split_part: `
                canceled_reason · workflow extension field | `` -> `canceled_reason: `
                expected_resume_date · workflow extension field | `` -> `expected_resume_date: `
                paused_date · workflow extension field | `` -> `paused_date: `
                previous_dris · workflow extension field | `` -> `previous_dris: [$1]` [snippet]
                last_updated · workflow extension field | `` -> `last_updated: `
            "#]],
        );
        // A key being typed is replaced whole.
        let typed = fixture.replacen("$0\n", "prio$0\n", 1);
        let rendered = render(&typed, &config());
        assert!(
            rendered.contains("priority · schema field | `prio` -> `priority: `\n"),
            "{rendered}"
        );
    }
}
