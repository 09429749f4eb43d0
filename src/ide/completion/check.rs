//! What the providers' tests share: a completion list rendered one line per item, and the
//! small workspaces they complete in.

use std::fmt::Write as _;

use expect_test::Expect;

use super::{CompletionConfig, CompletionList, DEFAULT_LIMIT, completion};
use crate::ide::fixture::{COUNTER, package, workspace_at};
use crate::ide::types::Config;

/// 2026-03-04T10:30:00Z
pub(super) const NOW: i64 = 1_772_620_200;

pub(super) fn complete_at(fixture: &str, config: &CompletionConfig) -> Option<CompletionList> {
    let (workspace, file, offset) = workspace_at(fixture);
    completion(&workspace, file, offset, config)
}

pub(super) fn config() -> CompletionConfig {
    CompletionConfig {
        analysis: Config {
            now: NOW,
            user: Some("@me".to_string()),
            ..Config::default()
        },
        limit: DEFAULT_LIMIT,
    }
}

/// One line per item: label, detail, the text the edit replaces and the new text, and
/// flags; "(none)" when nothing is offered.
pub(super) fn render(fixture: &str, config: &CompletionConfig) -> String {
    let (workspace, file, offset) = workspace_at(fixture);
    let text = &workspace.file(file).text;
    let Some(list) = completion(&workspace, file, offset, config) else {
        return "(none)\n".to_string();
    };
    let mut out = String::new();
    if list.is_incomplete {
        out.push_str("(incomplete)\n");
    }
    let mut items = list.items.clone();
    items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
    for item in items {
        let (range, new_text) = &item.edit;
        write!(out, "{}", item.label).unwrap();
        if let Some(detail) = &item.detail {
            write!(out, " · {detail}").unwrap();
        }
        write!(out, " | `{}` -> `{new_text}`", range.slice(text)).unwrap();
        if item.is_snippet {
            out.push_str(" [snippet]");
        }
        if item.deprecated {
            out.push_str(" [deprecated]");
        }
        out.push('\n');
    }
    out
}

pub(super) fn check(fixture: &str, expect: Expect) {
    expect.assert_eq(&render(fixture, &config()));
}

/// `fixture` with each `(old, new)` replaced once inside the file at `rel`.
pub(super) fn replace_in(fixture: &str, rel: &str, edits: &[(&str, &str)]) -> String {
    let header = format!("//- /{rel}\n");
    let start = fixture.find(&header).expect("no such file") + header.len();
    let end = fixture[start..]
        .find("//- /")
        .map_or(fixture.len(), |at| start + at);
    let mut file = fixture[start..end].to_string();
    for (old, new) in edits {
        assert!(file.contains(old), "{old:?} is not in {rel}");
        file = file.replacen(old, new, 1);
    }
    format!("{}{file}{}", &fixture[..start], &fixture[end..])
}

/// Task 0001 in backlog with `fields`, and four other tasks across the stages.
pub(super) fn tasks(fields: &str) -> String {
    format!(
        "{COUNTER}{}{}{}{}{}",
        package("backlog/TASK-0001-a", fields),
        package("backlog/TASK-0002-b", ""),
        package("current/TASK-0003-c", ""),
        package("archived/TASK-0004-d", ""),
        package("inbox/TASK-0005-e", ""),
    )
}
