//! Rules on a card's body: missing-section and empty-acceptance-criteria.

use crate::base::TextRange;
use crate::db::FileId;
use crate::ide::types::{Diagnostic, Rule};
use crate::syntax::card::{ACCEPTANCE_CRITERIA, Card, Frontmatter};

pub const REQUIRED_SECTIONS: [&str; 5] = [
    "Goal",
    "Inputs Required",
    "Implementation Details",
    "Expected Outputs",
    ACCEPTANCE_CRITERIA,
];

pub(super) fn check(file: FileId, card: &Card, out: &mut Vec<Diagnostic>) {
    // A card without readable frontmatter already has an error; its body is not judged yet.
    let Frontmatter::Present(block) = &card.frontmatter else {
        return;
    };
    // Missing headings are reported on the closing fence: the body starts right after it.
    let closing_fence = TextRange::new(
        (block.range.end as usize)
            .saturating_sub(3)
            .max(block.range.start as usize),
        block.range.end as usize,
    );
    for required in REQUIRED_SECTIONS {
        let section = card
            .sections
            .iter()
            .find(|section| section.title.eq_ignore_ascii_case(required));
        match section {
            None => out.push(Diagnostic::new(
                Rule::MissingSection,
                file,
                closing_fence,
                format!("the card has no `## {required}` section"),
            )),
            Some(section)
                if required == ACCEPTANCE_CRITERIA && card.acceptance_items.is_empty() =>
            {
                out.push(Diagnostic::new(
                    Rule::EmptyAcceptanceCriteria,
                    file,
                    section.heading_range,
                    "Acceptance Criteria has no checklist item; add testable items as `- [ ] …`",
                ))
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::ide::fixture::{COUNTER, check_rule, package};
    use crate::ide::types::Rule;

    #[test]
    fn missing_section_is_reported_on_the_closing_fence() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-a", ""))
            .replace("## Expected Outputs\n\nA result.\n\n", "");
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:20:1 warning `---` the card has no `## Expected Outputs` section
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::MissingSection));
    }

    #[test]
    fn complete_card_has_no_missing_section() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-a", ""));
        assert_eq!(check_rule(&fixture, Rule::MissingSection), "");
    }

    /// A clean inbox task whose Acceptance Criteria section holds `criteria` instead of its
    /// one checklist item.
    fn task_with_criteria(criteria: &str) -> String {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-a", ""));
        assert!(fixture.contains("## Acceptance Criteria\n\n- [ ] it works\n"));
        fixture.replacen("- [ ] it works\n", criteria, 1)
    }

    #[test]
    fn missing_sections_are_each_reported() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-a", ""))
            .replace("## Goal\n\nDo the thing.\n\n", "")
            .replace("## Inputs Required", "### Inputs Required");
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:20:1 warning `---` the card has no `## Goal` section
            inbox/TASK-0001-a/0001-a.task.md:20:1 warning `---` the card has no `## Inputs Required` section
        "#]].assert_eq(&check_rule(&fixture, Rule::MissingSection));
    }

    #[test]
    fn section_titles_match_regardless_of_case() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-a", ""))
            .replace("## Goal", "## goal")
            .replace("## Acceptance Criteria", "## ACCEPTANCE CRITERIA");
        assert_eq!(check_rule(&fixture, Rule::MissingSection), "");
        assert_eq!(check_rule(&fixture, Rule::EmptyAcceptanceCriteria), "");
    }

    #[test]
    fn acceptance_criteria_with_prose_only_is_empty() {
        let fixture = task_with_criteria("It should work, and be fast.\n");
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:38:1 warning `## Acceptance Criteria` Acceptance Criteria has no checklist item; add testable items as `- [ ] …`
        "#]].assert_eq(&check_rule(&fixture, Rule::EmptyAcceptanceCriteria));
    }

    #[test]
    fn plain_bullets_and_checkboxes_elsewhere_do_not_count() {
        let fixture =
            task_with_criteria("- it works\n- it is fast\n\n```\n- [ ] in a code block\n```\n")
                .replace("- none\n", "- [ ] a checkbox in the wrong section\n");
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:38:1 warning `## Acceptance Criteria` Acceptance Criteria has no checklist item; add testable items as `- [ ] …`
        "#]].assert_eq(&check_rule(&fixture, Rule::EmptyAcceptanceCriteria));
    }

    #[test]
    fn checked_item_is_a_checklist_item() {
        let fixture = task_with_criteria("- [x] it works\n");
        assert_eq!(check_rule(&fixture, Rule::EmptyAcceptanceCriteria), "");
    }

    #[test]
    fn items_under_a_subheading_and_star_bullets_count() {
        let fixture = task_with_criteria("### Functional\n\n* [ ] it works\n");
        assert_eq!(check_rule(&fixture, Rule::EmptyAcceptanceCriteria), "");
    }

    #[test]
    fn absent_acceptance_criteria_is_missing_not_empty() {
        let fixture = task_with_criteria("").replace("## Acceptance Criteria\n\n", "");
        assert_eq!(check_rule(&fixture, Rule::EmptyAcceptanceCriteria), "");
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:20:1 warning `---` the card has no `## Acceptance Criteria` section
        "#]].assert_eq(&check_rule(&fixture, Rule::MissingSection));
    }

    #[test]
    fn card_without_frontmatter_has_no_section_diagnostics() {
        // frontmatter-missing already says the card is broken; its body waits for the fix.
        let fixture = task_with_criteria("").replacen(".task.md\n---\n", ".task.md\n", 1);
        assert_eq!(check_rule(&fixture, Rule::EmptyAcceptanceCriteria), "");
        assert_eq!(check_rule(&fixture, Rule::MissingSection), "");
    }

    #[test]
    fn crlf_card_sections_are_found() {
        let fixture = task_with_criteria("- [ ] it works\n").replace('\n', "\r\n");
        assert_eq!(check_rule(&fixture, Rule::MissingSection), "");
        assert_eq!(check_rule(&fixture, Rule::EmptyAcceptanceCriteria), "");
        let empty = task_with_criteria("Prose.\n").replace('\n', "\r\n");
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:38:1 warning `## Acceptance Criteria` Acceptance Criteria has no checklist item; add testable items as `- [ ] …`
        "#]].assert_eq(&check_rule(&empty, Rule::EmptyAcceptanceCriteria));
    }
}
