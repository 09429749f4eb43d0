//! Rules on a card's body: missing-section and empty-acceptance-criteria.

use crate::base::TextRange;
use crate::db::{FileId, Parsed, Workspace};
use crate::ide::diagnostics::fix::{Fixes, rewrite};
use crate::ide::diagnostics::{RuleDoc, RuleModule};
use crate::ide::edit::{line_ending, line_start, splice};
use crate::ide::types::{Diagnostic, FixData, Rule, Severity};
use crate::syntax::card::{ACCEPTANCE_CRITERIA, Card, Frontmatter};

pub const REQUIRED_SECTIONS: [&str; 5] = [
    "Goal",
    "Inputs Required",
    "Implementation Details",
    "Expected Outputs",
    ACCEPTANCE_CRITERIA,
];

/// The body rules of one card (the workspace is not read: they depend on the card alone).
pub(super) fn check(_: &Workspace, file: FileId, card: &Card, out: &mut Vec<Diagnostic>) {
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
            None => out.push(
                Diagnostic::new(
                    Rule::MissingSection,
                    file,
                    closing_fence,
                    format!("the card has no `## {required}` section"),
                )
                .with_fix(FixData::MissingSection { title: required }),
            ),
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

/// missing-section: add the `## Heading` where the section order puts it: before the first
/// later required section the card has, else after the last earlier one, else at the end.
/// Acceptance Criteria comes with one unchecked item, since an empty one is a warning of
/// its own.
pub(super) fn fix_missing_section(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Parsed::Card(card) = &ws.file(d.file).parsed else {
        return;
    };
    let Some(FixData::MissingSection { title }) = d.fix else {
        return;
    };
    let text = &ws.file(d.file).text;
    fixes.change(
        format!("Add the `## {title}` section"),
        true,
        rewrite(ws, d.file, add_section(text, card, title)),
    );
}

fn add_section(text: &str, card: &Card, title: &str) -> Option<String> {
    let order = REQUIRED_SECTIONS
        .iter()
        .position(|required| required.eq_ignore_ascii_case(title))?;
    let eol = line_ending(text);
    let mut section = format!("## {title}{eol}{eol}");
    if title.eq_ignore_ascii_case(ACCEPTANCE_CRITERIA) {
        section.push_str(&format!("- [ ] TODO{eol}{eol}"));
    }
    let present = |names: &[&str]| {
        card.sections
            .iter()
            .filter(|section| {
                names
                    .iter()
                    .any(|name| section.title.eq_ignore_ascii_case(name))
            })
            .collect::<Vec<_>>()
    };
    let later = present(&REQUIRED_SECTIONS[order + 1..]);
    if let Some(next) = later
        .iter()
        .min_by_key(|section| section.heading_range.start)
    {
        let at = line_start(text, next.heading_range.start as usize);
        return Some(splice(text, at, at, &section));
    }
    let earlier = present(&REQUIRED_SECTIONS[..order]);
    let after = earlier
        .iter()
        .map(|section| section.content_range.end as usize)
        .max();
    match after {
        // Another (non-required) heading follows the last earlier section.
        Some(at) if at < text.len() => {
            let at = line_start(text, at);
            Some(splice(text, at, at, &section))
        }
        _ => {
            // At the end of the file, after a blank line.
            let mut tail = String::new();
            if !text.is_empty() && !text.ends_with('\n') {
                tail.push_str(eol);
            }
            let body = &text[card.body_start.min(text.len())..];
            if !body.trim().is_empty() && !text.ends_with(&format!("{eol}{eol}")) {
                tail.push_str(eol);
            }
            let section = section.trim_end_matches(['\r', '\n']).to_string() + eol;
            Some(format!("{text}{tail}{section}"))
        }
    }
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const MISSING_SECTION: RuleDoc = RuleDoc {
    rule: Rule::MissingSection,
    name: "missing-section",
    severity: Severity::Warning,
    summary: "A required card section heading is absent.",
    docs: include_str!("docs/missing-section.md"),
};

pub(crate) const EMPTY_ACCEPTANCE_CRITERIA: RuleDoc = RuleDoc {
    rule: Rule::EmptyAcceptanceCriteria,
    name: "empty-acceptance-criteria",
    severity: Severity::Warning,
    summary: "Acceptance Criteria has no checklist item.",
    docs: include_str!("docs/empty-acceptance-criteria.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[MISSING_SECTION, EMPTY_ACCEPTANCE_CRITERIA];

pub(super) const MODULE: RuleModule = RuleModule {
    card: Some(check),
    task: None,
    fixes: &[(Rule::MissingSection, fix_missing_section)],
    rules: RULES,
};

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

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use super::add_section;
    use crate::syntax::card::parse_card;

    use crate::ide::diagnostics::check_fix::{check_fix, one};
    use crate::ide::types::Rule;

    #[test]
    fn section_added_before_the_next_one() {
        let fixture =
            one("inbox/TASK-0001-a", "").replace("## Expected Outputs\n\nA result.\n\n", "");
        check_fix(
            &fixture,
            Rule::MissingSection,
            "Add the `## Expected Outputs`",
            expect![[r#"
        Add the `## Expected Outputs` section (safe)
        inbox/TASK-0001-a/0001-a.task.md:34:4 `` -> `Expected Outputs⏎⏎## `
          = ## Expected Outputs
          = 
          = ## Acceptance Criteria
    "#]],
        );
    }

    #[test]
    fn acceptance_criteria_added_at_the_end_with_an_item() {
        let fixture =
            one("inbox/TASK-0001-a", "").replace("## Acceptance Criteria\n\n- [ ] it works\n", "");
        check_fix(
            &fixture,
            Rule::MissingSection,
            "Add the `## Acceptance Criteria`",
            expect![[r#"
        Add the `## Acceptance Criteria` section (safe)
        inbox/TASK-0001-a/0001-a.task.md:38:1 `` -> `## Acceptance Criteria⏎⏎- [ ] TODO⏎`
          = ## Acceptance Criteria
          = 
          = - [ ] TODO
    "#]],
        );
    }

    fn added(text: &str, title: &str) -> String {
        add_section(text, &parse_card(text), title).unwrap()
    }

    #[test]
    fn sections_go_where_the_order_puts_them_in_the_files_line_endings() {
        let text = "---\r\na: 1\r\n---\r\n## Goal\r\n\r\nG.\r\n\r\n## Notes\r\n\r\nN.\r\n";
        // After Goal, before the unrelated Notes section that follows it.
        assert_eq!(
            added(text, "Inputs Required"),
            "---\r\na: 1\r\n---\r\n## Goal\r\n\r\nG.\r\n\r\n## Inputs Required\r\n\r\n## Notes\r\n\r\nN.\r\n"
        );
        // Nothing before it: before the first later section.
        let text = "---\na: 1\n---\n\n## Expected Outputs\n\nE.\n";
        assert_eq!(
            added(text, "Goal"),
            "---\na: 1\n---\n\n## Goal\n\n## Expected Outputs\n\nE.\n"
        );
        // No sections at all, and no final newline: at the end after a blank line.
        assert_eq!(
            added("---\na: 1\n---\nIntro.", "Goal"),
            "---\na: 1\n---\nIntro.\n\n## Goal\n"
        );
        assert_eq!(
            added("---\na: 1\n---\n", "Goal"),
            "---\na: 1\n---\n## Goal\n"
        );
    }
}
