//! Completion on a ledger line: event names with their meaning, the user, now for `ts`, task
//! references inside string values, and a whole event line on an empty last line.

use std::collections::HashSet;

use super::context::{Token, json_string_at, line_bounds, word_around};
use super::matching::RefSite;
use super::seen::dri_items;
use super::tasks::task_completion;
use super::{CompletionKind, CompletionList, Cx, complete, simple_item};
use crate::base::TextRange;
use crate::db::events::EVENTS;
use crate::syntax::time::format_rfc3339;

pub(super) fn ledger_completion(cx: &Cx) -> Option<CompletionList> {
    let text = cx.text;
    let line = line_bounds(text, cx.offset);
    let line_text = &text[line.0..line.1];
    if line_text.trim().is_empty() {
        return text[line.1..]
            .trim()
            .is_empty()
            .then(|| event_line_snippet(cx, line));
    }
    let string = json_string_at(text, line, cx.offset)?;
    if string.is_key {
        return None;
    }
    // The value's whole text, for an edit that replaces it and keeps (or adds) the quote.
    let value_token = || {
        let end = if string.closed {
            string.content.end as usize
        } else {
            word_around(text, cx.offset, line.0, line.1).1
        };
        Token {
            range: TextRange::new(string.content.start as usize, end),
            opened: Some('"'),
            closed: string.closed,
        }
    };
    match string.key.as_deref() {
        Some("event") => {
            let token = value_token();
            let items = EVENTS
                .iter()
                .enumerate()
                .map(|(rank, (event, meaning))| {
                    let new_text = format!("{event}{}", token.closing());
                    let mut item =
                        simple_item(event.to_string(), CompletionKind::Event, token, new_text);
                    item.detail = Some(meaning.to_string());
                    item.sort_text = format!("{rank:04}");
                    item
                })
                .collect();
            Some(complete(items))
        }
        Some("user") => {
            let token = value_token();
            dri_items(cx, token, &HashSet::new(), |dri| {
                format!("{}{}", json_escape(dri), token.closing())
            })
        }
        Some("ts") => {
            let token = value_token();
            let now = format_rfc3339(cx.config.analysis.now);
            let new_text = format!("{now}{}", token.closing());
            let mut item = simple_item(now, CompletionKind::Value, token, new_text);
            item.detail = Some("now, in UTC".to_string());
            Some(complete(vec![item]))
        }
        _ => {
            // A reference typed inside a string: the word at the cursor starts with `TASK-`,
            // or the string so far is the beginning of `TASK-`.
            let content_start = string.content.start as usize;
            let (start, end) =
                word_around(text, cx.offset, content_start, string.content.end as usize);
            let word = &text[start..cx.offset];
            let starts_ref = word.starts_with("TASK-")
                || (start == content_start && !word.is_empty() && "TASK-".starts_with(word));
            if !starts_ref {
                return None;
            }
            task_completion(cx, RefSite::word(cx, TextRange::new(start, end)))
        }
    }
}

/// A whole event line for an empty last line: now, the user, and tab stops for the event
/// and its description.
fn event_line_snippet(cx: &Cx, line: (usize, usize)) -> CompletionList {
    let ts = format_rfc3339(cx.config.analysis.now);
    let user = cx
        .config
        .analysis
        .user
        .clone()
        .or_else(|| cx.own_task().and_then(|task| task.meta.current_dri.clone()));
    let user_text = match &user {
        Some(user) => snippet_escape(&json_escape(user)),
        None => "${3:@user}".to_string(),
    };
    let new_text =
        format!("{{\"ts\":\"{ts}\",\"user\":\"{user_text}\",\"event\":\"$1\",\"desc\":\"$2\"}}");
    let token = Token {
        range: TextRange::new(line.0, line.1),
        opened: None,
        closed: false,
    };
    let mut item = simple_item(
        "event line".to_string(),
        CompletionKind::Snippet,
        token,
        new_text,
    );
    item.is_snippet = true;
    item.detail = Some(format!(
        "{ts} by {}",
        user.as_deref().unwrap_or("(set flowos.user)")
    ));
    item.documentation = Some(
        "Appends an event: `ts` is now in UTC, `user` the configured user or the card's DRI."
            .to_string(),
    );
    complete(vec![item])
}

/// The inside of a JSON string holding `value`.
fn json_escape(value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string());
    quoted[1..quoted.len() - 1].to_string()
}

/// Literal text inside a snippet: `$`, `}` and `\` are syntax there.
fn snippet_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '$' | '}' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::ide::completion::check::{check, complete_at, config, render, replace_in, tasks};

    const LEDGER: &str = "backlog/TASK-0001-a/0001.ledger.jsonl";
    const CREATED: &str = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}\n";

    /// The tasks of [`tasks`] with `line` appended to TASK-0001's ledger.
    fn ledger_line(line: &str) -> String {
        replace_in(
            &tasks(""),
            LEDGER,
            &[(CREATED, &format!("{CREATED}{line}\n"))],
        )
    }

    #[test]
    fn ledger_string_values_complete_task_references() {
        check(
            &ledger_line(
                "{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@ana\",\"event\":\"waiting_on\",\"desc\":\"Waits on TASK-0003$0\"}",
            ),
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `TASK-0003`
            "#]],
        );
        // A value that is being typed as `TASK-`.
        check(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"dependency\":\"TA$0"),
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active | `TA` -> `TASK-0002`
                TASK-0003 · Task 0003 · current · active | `TA` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TA` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TA` -> `TASK-0004`
            "#]],
        );
        // Prose in a value, and keys, offer nothing.
        check(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"desc\":\"Talked to$0"),
            expect!["(none)\n"],
        );
        check(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"TASK-$0"),
            expect!["(none)\n"],
        );
    }

    #[test]
    fn ledger_event_names_with_their_meaning() {
        let fixture =
            ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@ana\",\"event\":\"sta$0");
        let list = complete_at(&fixture, &config()).unwrap();
        assert_eq!(list.items.len(), EVENTS.len());
        let rendered = render(&fixture, &config());
        let shown: String = rendered
            .lines()
            .filter(|line| line.starts_with("sta"))
            .map(|line| format!("{line}\n"))
            .collect();
        // The string is still open, so the completion closes it.
        expect![[r#"
            started · Implementation started; the task moved to current | `sta` -> `started"`
        "#]]
        .assert_eq(&shown);
        // Inside a closed string the quote is not added again.
        let rendered = render(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@ana\",\"event\":\"$0\"}"),
            &config(),
        );
        assert!(
            rendered.contains(
                "verified · The package was verified and moved to backlog | `` -> `verified`\n"
            ),
            "{rendered}"
        );
    }

    #[test]
    fn ledger_user_and_timestamp_values() {
        check(
            &ledger_line("{\"ts\":\"$0\"}"),
            expect![[r#"
                2026-03-04T10:30:00Z · now, in UTC | `` -> `2026-03-04T10:30:00Z`
            "#]],
        );
        check(
            &ledger_line("{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@a$0"),
            expect![[r#"
                @ana · on 5 tasks | `@a` -> `@ana"`
            "#]],
        );
    }

    #[test]
    fn ledger_last_empty_line_gets_a_whole_event_snippet() {
        let fixture = format!("{}$0", tasks(""));
        check(
            &fixture,
            expect![[r#"
                event line · 2026-03-04T10:30:00Z by @me | `` -> `{"ts":"2026-03-04T10:30:00Z","user":"@me","event":"$1","desc":"$2"}` [snippet]
            "#]],
        );
        // Without a configured user, the card's DRI.
        let mut no_user = config();
        no_user.analysis.user = None;
        expect![[r#"
            event line · 2026-03-04T10:30:00Z by @ana | `` -> `{"ts":"2026-03-04T10:30:00Z","user":"@ana","event":"$1","desc":"$2"}` [snippet]
        "#]]
        .assert_eq(&render(&fixture, &no_user));
        // Not on an empty line that has events after it.
        let middle = replace_in(&tasks(""), LEDGER, &[(CREATED, &format!("$0\n{CREATED}"))]);
        check(&middle, expect!["(none)\n"]);
    }
}
