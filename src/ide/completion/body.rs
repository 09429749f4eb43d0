//! Completion in markdown prose (a card's body, context and learning files): a task
//! reference, once the word at the cursor starts with `TASK-`.

use super::context::{line_bounds, word_around};
use super::matching::RefSite;
use super::tasks::task_completion;
use super::{CompletionList, Cx};
use crate::base::TextRange;

/// Task references typed in markdown: the word at the cursor must start with `TASK-`.
pub(super) fn body_completion(cx: &Cx) -> Option<CompletionList> {
    let (line_start, line_end) = line_bounds(cx.text, cx.offset);
    let (start, end) = word_around(cx.text, cx.offset, line_start, line_end);
    if !cx.text[start..cx.offset].starts_with("TASK-") {
        return None;
    }
    task_completion(cx, RefSite::word(cx, TextRange::new(start, end)))
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::super::completion;
    use crate::ide::completion::check::{check, config, tasks};
    use crate::ide::fixture::workspace_at;

    #[test]
    fn body_text_after_task_prefix_even_after_an_emoji() {
        let fixture = tasks("").replacen("Do the thing.", "Follow up on 🎉 TASK-00$0 soon.", 1);
        check(
            &fixture,
            expect![[r#"
                TASK-0002 · Task 0002 · backlog · active | `TASK-00` -> `TASK-0002`
                TASK-0003 · Task 0003 · current · active | `TASK-00` -> `TASK-0003`
                TASK-0005 · Task 0005 · inbox · active | `TASK-00` -> `TASK-0005`
                TASK-0004 · Task 0004 · archived · active | `TASK-00` -> `TASK-0004`
            "#]],
        );
        // The edit's range is exact bytes: it starts after the emoji's four bytes.
        let (workspace, file, offset) = workspace_at(&fixture);
        let list = completion(&workspace, file, offset, &config()).unwrap();
        let text = &workspace.file(file).text;
        let range = list.items[0].edit.0;
        assert_eq!(range.end as usize, offset);
        assert_eq!(&text[range.start as usize - 5..range.start as usize], "🎉 ");
    }

    #[test]
    fn context_body_and_plain_prose() {
        let fixture = tasks("").replacen("Background.", "Needs TASK-0003$0.", 1);
        check(
            &fixture,
            expect![[r#"
                TASK-0003 · Task 0003 · current · active | `TASK-0003` -> `TASK-0003`
            "#]],
        );
        let prose = tasks("").replacen("Background.", "Plain words$0 here.", 1);
        check(&prose, expect!["(none)\n"]);
        let glued = tasks("").replacen("Background.", "xTASK-00$0", 1);
        check(&glued, expect!["(none)\n"]);
    }
}
