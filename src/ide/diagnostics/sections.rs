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
}
