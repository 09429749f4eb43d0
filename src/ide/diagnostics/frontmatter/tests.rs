//! The frontmatter rules on whole cards: every rule of this folder, and the caps and
//! byte-level inputs they must survive.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use expect_test::{Expect, expect};

use crate::db::{FileInput, RootInput, Workspace};
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::fixture::{COUNTER, ROOT, check_rule, package, render, workspace};
use crate::ide::types::{Config, Rule};

/// Every rule this module owns, as its catalogue lists them.
fn frontmatter_rules() -> Vec<Rule> {
    super::RULES.iter().map(|doc| doc.rule).collect()
}

/// The frontmatter rules plus the body rules, which a well-read card must not trip either.
fn card_rules() -> Vec<Rule> {
    let body = crate::ide::diagnostics::sections::RULES;
    std::iter::once(Rule::ResourceLimit)
        .chain(frontmatter_rules())
        .chain(body.iter().map(|doc| doc.rule))
        .collect()
}

const CARD: &str = "inbox/TASK-0001-a/0001-a.task.md";

/// A clean inbox task whose frontmatter is changed by `fields` (see [`package`]).
fn task(fields: &str) -> String {
    format!("{COUNTER}{}", package("inbox/TASK-0001-a", fields))
}

fn check(fixture: &str, rule: Rule, expect: Expect) {
    expect.assert_eq(&check_rule(fixture, rule));
}

/// A workspace holding one card made of raw `bytes`, so tests can feed bytes that are not
/// UTF-8.
fn workspace_with_card(bytes: Vec<u8>) -> Workspace {
    Workspace::build(vec![RootInput {
        path: PathBuf::from(ROOT),
        dirs: vec!["inbox".to_string(), "inbox/TASK-0001-a".to_string()],
        files: vec![FileInput::new(CARD, bytes)],
        ..RootInput::default()
    }])
}

/// The diagnostics of `rules` for a card made of raw `bytes`.
fn check_card_bytes(bytes: Vec<u8>, rules: &[Rule]) -> String {
    let workspace = workspace_with_card(bytes);
    let diagnostics = workspace_diagnostics(&workspace, &Config::default());
    render(
        &workspace,
        diagnostics.iter().filter(|d| rules.contains(&d.rule)),
    )
}

fn card_diagnostics(fixture: &str) -> String {
    let workspace = workspace(fixture);
    let diagnostics = workspace_diagnostics(&workspace, &Config::default());
    let rules = card_rules();
    render(
        &workspace,
        diagnostics.iter().filter(|d| rules.contains(&d.rule)),
    )
}

/// The card of `fixture` replaced by `card` (the context and ledger stay).
fn with_card(card: &str) -> String {
    let fixture = task("");
    let start = fixture.find(".task.md\n").unwrap() + ".task.md\n".len();
    let end = fixture
        .find("//- /inbox/TASK-0001-a/0001.context.md")
        .unwrap();
    format!("{}{card}{}", &fixture[..start], &fixture[end..])
}

// frontmatter-missing

#[test]
fn card_without_opening_fence_is_frontmatter_missing() {
    let fixture = task("").replacen(".task.md\n---\n", ".task.md\n", 1);
    check(
        &fixture,
        Rule::FrontmatterMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `task_id: "0001"` the card must start with a `---` line opening its YAML frontmatter
    "#]],
    );
}

#[test]
fn empty_card_is_frontmatter_missing() {
    check(
        &with_card(""),
        Rule::FrontmatterMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `` the card is empty; it must start with a `---` line opening its YAML frontmatter
    "#]],
    );
}

#[test]
fn unterminated_frontmatter_is_reported_on_the_opening_fence() {
    let fixture = task("").replacen("\n---\n\n## Goal", "\n\n## Goal", 1);
    check(
        &fixture,
        Rule::FrontmatterMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` the frontmatter opened here is never closed: add a `---` line after the last field
    "#]],
    );
}

#[test]
fn clean_card_has_no_card_diagnostics() {
    assert_eq!(card_diagnostics(&task("")), "");
}

#[test]
fn frontmatter_closed_with_dots_is_accepted() {
    let fixture = task("").replacen("\n---\n\n## Goal", "\n...\n\n## Goal", 1);
    assert_eq!(card_diagnostics(&fixture), "");
}

// yaml-syntax

#[test]
fn unclosed_flow_list_is_yaml_syntax_at_the_parser_position() {
    check(
        &task("depends_on: [\"TASK-0002\""),
        Rule::YamlSyntax,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:16:7 error `:` invalid YAML in the frontmatter: illegal placement of ':' indicator (the `[` on line 15 is never closed)
              -> inbox/TASK-0001-a/0001-a.task.md `[` this `[` is never closed
        "#]],
    );
}

#[test]
fn duplicate_key_is_yaml_syntax() {
    check(
        &task("extra: 1\nextra: 2"),
        Rule::YamlSyntax,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:21:1 error `extra` invalid YAML in the frontmatter: field `extra` appears more than once; keep only one
    "#]],
    );
}

#[test]
fn frontmatter_that_is_a_list_is_yaml_syntax() {
    let fixture = with_card("---\n- a\n- b\n---\n");
    check(
        &fixture,
        Rule::YamlSyntax,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:2:1 error `- a` frontmatter must be a mapping of `field: value` lines, found a list
    "#]],
    );
}

#[test]
fn colon_inside_a_quoted_value_is_not_yaml_syntax() {
    let fixture = task("task_name: \"Fix: the login: page\"");
    assert_eq!(check_rule(&fixture, Rule::YamlSyntax), "");
}

#[test]
fn yaml_error_hides_the_field_rules() {
    // Nothing can be said about fields the parser could not read.
    let fixture = task("stage: [");
    assert_eq!(check_rule(&fixture, Rule::FieldMissing), "");
    assert!(check_rule(&fixture, Rule::YamlSyntax).starts_with(&format!("{CARD}:")));
}

// field-missing

#[test]
fn absent_required_field_is_reported_on_the_opening_fence() {
    let fixture = task("").replace("status: \"active\"\n", "");
    check(
        &fixture,
        Rule::FieldMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` required field `status` is missing from the frontmatter
    "#]],
    );
}

#[test]
fn empty_frontmatter_misses_every_required_field() {
    check(
        &with_card("---\n---\n"),
        Rule::FieldMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` required field `current_dri` is missing from the frontmatter
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` required field `stage` is missing from the frontmatter
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` required field `status` is missing from the frontmatter
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` required field `task_id` is missing from the frontmatter
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` required field `task_name` is missing from the frontmatter
    "#]],
    );
}

#[test]
fn empty_or_null_required_field_is_reported_on_its_value() {
    let fixture = task("task_name: \"\"\ncurrent_dri: null\nstage:");
    check(
        &fixture,
        Rule::FieldMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:6:12 error `""` required field `task_name` is empty
        inbox/TASK-0001-a/0001-a.task.md:7:1 error `stage` required field `stage` is empty
        inbox/TASK-0001-a/0001-a.task.md:11:14 error `null` required field `current_dri` is empty
    "#]],
    );
}

#[test]
fn empty_optional_field_is_not_field_missing() {
    let fixture = task("priority: null\nblocked_by:\ncreated_by: \"\"");
    assert_eq!(check_rule(&fixture, Rule::FieldMissing), "");
}

// field-type

#[test]
fn unquoted_task_id_is_a_number() {
    check(
        &task("task_id: 0001"),
        Rule::FieldType,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:2:10 error `0001` task_id must be a quoted string: write `"0001"`, since YAML reads an unquoted 0001 as a number
    "#]],
    );
}

#[test]
fn scalar_reference_where_a_list_belongs() {
    check(
        &task("depends_on: TASK-0002"),
        Rule::FieldType,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:15:13 error `TASK-0002` `depends_on` must be a list of task IDs: write `depends_on: [TASK-0002]`
        "#]],
    );
}

#[test]
fn unquoted_number_item_in_a_reference_list() {
    check(
        &task("depends_on: [\"TASK-0002\", 0003]"),
        Rule::FieldType,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:15:27 error `0003` task IDs in `depends_on` must be quoted strings: write `"0003"`, since YAML reads an unquoted 0003 as a number
        "#]],
    );
}

#[test]
fn unquoted_schema_version_is_a_number() {
    check(
        &task("schema_version: 1.0"),
        Rule::FieldType,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:5:17 error `1.0` schema_version must be the quoted string "1.0", since YAML reads an unquoted 1.0 as a number
    "#]],
    );
}

#[test]
fn list_where_a_single_value_belongs() {
    check(
        &task("stage: [inbox]\ntags: inbox\ntask_name: {a: b}\nsplit_from: [TASK-0002]"),
        Rule::FieldType,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:6:12 error `{` `task_name` must be a single value, not a mapping
            inbox/TASK-0001-a/0001-a.task.md:7:8 error `[` `stage` must be a single value, not a list
            inbox/TASK-0001-a/0001-a.task.md:10:7 error `inbox` `tags` must be a list, e.g. `tags: [a, b]`
            inbox/TASK-0001-a/0001-a.task.md:18:13 error `[` `split_from` must be one task ID, not a list
        "#]],
    );
}

#[test]
fn well_typed_fields_are_not_field_type() {
    let fixture = task(
        "task_id: \"0001\"\nschema_version: \"1.0\"\ndepends_on: [TASK-0002, \"0003\"]\ntags: [api, 2026]\neffort_estimate: 3",
    );
    assert_eq!(check_rule(&fixture, Rule::FieldType), "");
}

// invalid-value

#[test]
fn misspelled_stage_suggests_the_nearest() {
    check(
        &task("stage: curent"),
        Rule::InvalidValue,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:7:8 error `curent` `curent` is not a valid stage; did you mean `current`? (one of inbox, backlog, next, current, integration, learning, archived)
    "#]],
    );
}

#[test]
fn unknown_status_lists_the_choices() {
    check(
        &task("status: done\n"),
        Rule::InvalidValue,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:12:9 error `done` `done` is not a valid status; use one of active, blocked, paused, canceled, split
        "#]],
    );
}

#[test]
fn misspelled_status_suggests_the_nearest() {
    check(
        &task("status: actve"),
        Rule::InvalidValue,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:12:9 error `actve` `actve` is not a valid status; did you mean `active`? (one of active, blocked, paused, canceled, split)
    "#]],
    );
}

#[test]
fn out_of_range_priority() {
    check(
        &task("priority: P7"),
        Rule::InvalidValue,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:8:11 error `P7` `P7` is not a valid priority; did you mean `P4`? (one of P0, P1, P2, P3, P4)
    "#]],
    );
}

#[test]
fn lowercase_priority_suggests_the_uppercase() {
    check(
        &task("priority: p2"),
        Rule::InvalidValue,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:8:11 error `p2` `p2` is not a valid priority; did you mean `P2`? (one of P0, P1, P2, P3, P4)
    "#]],
    );
}

#[test]
fn invalid_effort_estimates() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package("inbox/TASK-0001-a", "effort_estimate: XXL"),
        package("inbox/TASK-0002-b", "effort_estimate: 4"),
    );
    check(
        &fixture,
        Rule::InvalidValue,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:9:18 error `XXL` `XXL` is not a valid effort_estimate; did you mean `XL`? (one of XS, S, M, L, XL, 1, 2, 3, 5, 8)
        inbox/TASK-0002-b/0002-b.task.md:9:18 error `4` `4` is not a valid effort_estimate; did you mean `5`? (one of XS, S, M, L, XL, 1, 2, 3, 5, 8)
    "#]],
    );
}

#[test]
fn blocked_by_with_a_misspelled_prefix_suggests_the_nearest() {
    check(
        &task("status: blocked\nblocked_by: \"extrnal:vendor API\""),
        Rule::InvalidValue,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:13:13 error `"extrnal:vendor API"` `extrnal:` is not a blocked_by prefix; did you mean `external:`? (one of task:, external:, decision:, info:)
        "#]],
    );
}

#[test]
fn blocked_by_without_a_prefix() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package("inbox/TASK-0001-a", "blocked_by: TASK-0002"),
        package("inbox/TASK-0002-b", "blocked_by: waiting on the vendor"),
    );
    check(
        &fixture,
        Rule::InvalidValue,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:13:13 error `TASK-0002` `blocked_by` must say what kind of blocker this is: write "task:TASK-0002"
        inbox/TASK-0002-b/0002-b.task.md:13:13 error `waiting on the vendor` `blocked_by` must start with what kind of blocker this is (task:, external:, decision:, info:), e.g. "external:waiting on the vendor"
    "#]],
    );
}

#[test]
fn valid_values_are_not_invalid() {
    for fields in [
        "stage: inbox\nstatus: paused\npriority: P0\neffort_estimate: XL",
        "status: split\npriority: null\neffort_estimate: 8",
        "status: blocked\nblocked_by: \"task:TASK-0002 (canceled)\"",
        "status: blocked\nblocked_by: \"external: vendor API\"",
        "status: blocked\nblocked_by: \"decision:architecture review\"",
        "status: blocked\nblocked_by: \"info:waiting for logs\"",
    ] {
        assert_eq!(
            check_rule(&task(fields), Rule::InvalidValue),
            "",
            "{fields}"
        );
    }
}

// invalid-date

#[test]
fn impossible_dates() {
    check(
        &task(
            "created_date: \"2026-02-30\"\nsplit_date: 2026-13-01\nlast_updated: \"2026-3-2\"\npaused_date: 20260302",
        ),
        Rule::InvalidDate,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:4:15 error `"2026-02-30"` `2026-02-30` is not a real date: February 2026 has 28 days
            inbox/TASK-0001-a/0001-a.task.md:20:13 error `2026-13-01` `2026-13-01` is not a real date: there is no month 13
            inbox/TASK-0001-a/0001-a.task.md:21:15 error `"2026-3-2"` `2026-3-2` is not written YYYY-MM-DD; write `2026-03-02`
            inbox/TASK-0001-a/0001-a.task.md:22:14 error `20260302` `20260302` is not a date; `paused_date` must be written YYYY-MM-DD, e.g. 2026-01-31
        "#]],
    );
}

#[test]
fn leap_day_is_a_real_date() {
    let fixture = task("created_date: \"2024-02-29\"\nlast_updated: 2000-02-29\npaused_date: null");
    assert_eq!(check_rule(&fixture, Rule::InvalidDate), "");
}

#[test]
fn feb_29_outside_a_leap_year() {
    check(
        &task("created_date: \"2100-02-29\""),
        Rule::InvalidDate,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:4:15 error `"2100-02-29"` `2100-02-29` is not a real date: February 2100 has 28 days
        "#]],
    );
}

// invalid-task-ref

#[test]
fn malformed_reference_in_a_flow_list_covers_the_item_with_its_quotes() {
    check(
        &task("depends_on: [\"TASK-0002\", \"TASK-42\", task-0003]"),
        Rule::InvalidTaskRef,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:15:27 error `"TASK-42"` `TASK-42` in `depends_on` is not a task ID; did you mean `TASK-0042`? (expected 0042, TASK-0042, FW-0042 or TASK-FW-0042)
            inbox/TASK-0001-a/0001-a.task.md:15:38 error `task-0003` `task-0003` in `depends_on` is not a task ID; did you mean `TASK-0003`? (expected 0042, TASK-0042, FW-0042 or TASK-FW-0042)
        "#]],
    );
}

#[test]
fn malformed_reference_in_a_block_list() {
    let fixture = task("").replace(
        "blocks: []",
        "blocks:\n  - TASK-0002\n  - 'TASK-42'\n  - FW-00x1",
    );
    check(
        &fixture,
        Rule::InvalidTaskRef,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:18:5 error `'TASK-42'` `TASK-42` in `blocks` is not a task ID; did you mean `TASK-0042`? (expected 0042, TASK-0042, FW-0042 or TASK-FW-0042)
        inbox/TASK-0001-a/0001-a.task.md:19:5 error `FW-00x1` `FW-00x1` in `blocks` is not a task ID (expected 0042, TASK-0042, FW-0042 or TASK-FW-0042)
    "#]],
    );
}

#[test]
fn malformed_blocked_by_task() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package(
            "inbox/TASK-0001-a",
            "status: blocked\nblocked_by: \"task:nope\""
        ),
        package(
            "inbox/TASK-0002-b",
            "status: blocked\nblocked_by: \"task:\""
        ),
    );
    check(
        &fixture,
        Rule::InvalidTaskRef,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:13:13 error `"task:nope"` `nope` after `task:` is not a task ID (expected 0042, TASK-0042, FW-0042 or TASK-FW-0042)
        inbox/TASK-0002-b/0002-b.task.md:13:13 error `"task:"` `task:` must be followed by the blocking task's ID, e.g. "task:TASK-0042"
    "#]],
    );
}

#[test]
fn malformed_task_id_and_split_from() {
    check(
        &task("task_id: \"TASK-1\"\nsplit_from: TASK-0x02"),
        Rule::InvalidTaskRef,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:2:10 error `"TASK-1"` task_id `TASK-1` is not a task ID; did you mean `0001`? (expected 0042, TASK-0042, FW-0042 or TASK-FW-0042)
            inbox/TASK-0001-a/0001-a.task.md:18:13 error `TASK-0x02` `TASK-0x02` in `split_from` is not a task ID (expected 0042, TASK-0042, FW-0042 or TASK-FW-0042)
        "#]],
    );
}

#[test]
fn every_reference_spelling_is_accepted() {
    let fixture = task(
        "depends_on: [\"0002\", TASK-0003, FW-0004, TASK-FW-0005]\nsplit_from: \"TASK-0006\"\nstatus: blocked\nblocked_by: \"task: 0002 (paused)\"",
    )
    .replace("related_to: []", "related_to:\n  - TASK-0007\n  - \"12345\"");
    assert_eq!(check_rule(&fixture, Rule::InvalidTaskRef), "");
}

// unknown-field

#[test]
fn misspelled_field_is_a_warning_with_a_suggestion() {
    check(
        &task("dependson: []"),
        Rule::UnknownField,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:20:1 warning `dependson` unknown field `dependson`; did you mean `depends_on`?
    "#]],
    );
}

#[test]
fn unrelated_field_is_a_hint() {
    check(
        &task("color: blue"),
        Rule::UnknownField,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:20:1 hint `color` `color` is not a FlowOS task field
    "#]],
    );
}

#[test]
fn known_extension_fields_are_not_unknown() {
    let fixture = task(
        "split_date: \"2026-03-01\"\nsplit_reason: too big\nsplit_part: 1\ncanceled_reason: \"duplicate\"\nexpected_resume_date: \"2026-04-01\"\npaused_date: 2026-03-03\nprevious_dris: [\"@bo\", \"@cy\"]\nlast_updated: \"2026-03-04\"",
    );
    assert_eq!(card_diagnostics(&fixture), "");
}

// Robustness

#[test]
fn crlf_card_has_no_card_diagnostics() {
    let fixture = task("tags: [a, b]").replace('\n', "\r\n");
    assert!(fixture.contains("---\r\ntask_id"));
    assert_eq!(card_diagnostics(&fixture), "");
}

#[test]
fn bom_card_has_no_card_diagnostics() {
    let fixture = task("").replacen(".task.md\n---", ".task.md\n\u{feff}---", 1);
    assert!(fixture.contains('\u{feff}'));
    assert_eq!(card_diagnostics(&fixture), "");
}

#[test]
fn empty_card_says_it_is_empty() {
    check(
        &with_card(""),
        Rule::FrontmatterMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `` the card is empty; it must start with a `---` line opening its YAML frontmatter
    "#]],
    );
}

#[test]
fn blank_lines_above_the_fence_are_reported_on_the_fence() {
    let fixture = task("").replacen(".task.md\n---\n", ".task.md\n\n  \n---\n", 1);
    check(
        &fixture,
        Rule::FrontmatterMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:3:1 error `---` the `---` opening the frontmatter must be the card's very first line; remove the blank lines above it
    "#]],
    );
}

#[test]
fn markdown_rule_further_down_is_not_a_frontmatter() {
    let fixture = with_card("# Title\n\n---\n\n## Goal\n");
    check(
        &fixture,
        Rule::FrontmatterMissing,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `# Title` the card must start with a `---` line opening its YAML frontmatter
    "#]],
    );
}

#[test]
fn unclosed_list_at_the_end_of_the_block() {
    let fixture = task("").replace("split_into: []", "split_into: [TASK-0002");
    check(
        &fixture,
        Rule::YamlSyntax,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:19:13 error `[` invalid YAML in the frontmatter: unclosed bracket '['
    "#]],
    );
}

#[test]
fn unclosed_mapping_points_back_at_its_brace() {
    check(
        &task("tags: {a: 1"),
        Rule::YamlSyntax,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:11:12 error `:` invalid YAML in the frontmatter: while parsing a flow mapping, did not find expected ',' or '}' (the `{` on line 10 is never closed)
          -> inbox/TASK-0001-a/0001-a.task.md `{` this `{` is never closed
    "#]],
    );
}

#[test]
fn brackets_in_strings_and_comments_are_not_blamed() {
    // The error is the unquoted `: ` on the last line; none of the brackets above is open.
    let fixture = task(
        "task_name: Fix [x\ncreated_by: \"@ana [\" # [\ntags: [a, \"]\", 'b''[']\ncanceled_reason: see: notes",
    );
    check(
        &fixture,
        Rule::YamlSyntax,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:20:21 error `:` invalid YAML in the frontmatter: mapping values are not allowed in this context; a value containing `: ` must be put in quotes
    "#]],
    );
}

#[test]
fn unquoted_colon_in_a_value_suggests_quotes() {
    check(
        &task("task_name: Fix: the login page"),
        Rule::YamlSyntax,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:6:15 error `:` invalid YAML in the frontmatter: mapping values are not allowed in this context; a value containing `: ` must be put in quotes
        "#]],
    );
}

#[test]
fn unclosed_quote_points_at_the_quote() {
    check(
        &task("task_name: \"Fix the login"),
        Rule::YamlSyntax,
        expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:7:9 error `i` invalid YAML in the frontmatter: invalid trailing content after double-quoted scalar (the `"` on line 6 starts a string that is never closed)
              -> inbox/TASK-0001-a/0001-a.task.md `"` this `"` starts a string that is never closed
        "#]],
    );
}

#[test]
fn numeric_priority_suggests_the_level() {
    check(
        &task("priority: 2"),
        Rule::InvalidValue,
        expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:8:11 error `2` `2` is not a valid priority; did you mean `P2`? (one of P0, P1, P2, P3, P4)
    "#]],
    );
}

#[test]
fn long_values_are_cut_short_in_messages() {
    let long = "x".repeat(100_000);
    let key = "y".repeat(300);
    let fixture = task(&format!("stage: {long}\n{key}: 1\ntask_id: \"{long}\""));
    let started = Instant::now();
    let report = card_diagnostics(&fixture);
    assert!(started.elapsed() < Duration::from_secs(5));
    let report = report
        .replace(&long, "<100,000 x>")
        .replace(&key, "<300 y>");
    expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:2:10 error `"<100,000 x>"` task_id `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` is not a task ID (expected 0042, TASK-0042, FW-0042 or TASK-FW-0042)
        inbox/TASK-0001-a/0001-a.task.md:7:8 error `<100,000 x>` `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` is not a valid stage; use one of inbox, backlog, next, current, integration, learning, archived
        inbox/TASK-0001-a/0001-a.task.md:20:1 hint `<300 y>` `yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…` is not a FlowOS task field
    "#]].assert_eq(&report);
}

#[test]
fn alias_bomb_is_over_the_alias_cap_quickly() {
    let mut fields = String::from("bomb0: &a0 [x, x, x, x, x, x, x, x, x]");
    for level in 1..16 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 8].join(", ");
        fields.push_str(&format!("\nbomb{level}: &a{level} [{items}]"));
    }
    let started = Instant::now();
    let report = check_rule(&task(&fields), Rule::ResourceLimit);
    assert!(started.elapsed() < Duration::from_secs(5));
    expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:23:13 error `*` aliases (`*name`) expand into more than 1,000 values, over the YAML alias cap; the frontmatter was not analysed
    "#]].assert_eq(&report);
}

#[test]
fn deeply_nested_list_is_over_the_depth_cap_quickly() {
    let fields = format!("tags: {}{}", "[".repeat(5000), "]".repeat(5000));
    let started = Instant::now();
    let report = check_rule(&task(&fields), Rule::ResourceLimit);
    assert!(started.elapsed() < Duration::from_secs(5));
    expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:10:23 error `[` lists or mappings nest deeper than the 16-level YAML depth cap; the frontmatter was not analysed
    "#]].assert_eq(&report);
}

#[test]
fn deeply_nested_unclosed_list_is_over_the_depth_cap_quickly() {
    let fields = format!("tags: {}", "[".repeat(5000));
    let started = Instant::now();
    let report = check_rule(&task(&fields), Rule::ResourceLimit);
    assert!(started.elapsed() < Duration::from_secs(5));
    expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:10:23 error `[` lists or mappings nest deeper than the 16-level YAML depth cap; the frontmatter was not analysed
    "#]].assert_eq(&report);
}

#[test]
fn a_body_just_under_the_file_cap_is_read_like_any_card() {
    let cap = crate::syntax::limits::MAX_DOCUMENT_BYTES;
    let line = "- [ ] one more thing to check\n";
    let body = line.repeat((cap - 1024) / line.len());
    let fixture = task("").replacen("- [ ] it works\n", &body, 1);
    assert!(fixture.len() > cap - 2048 && fixture.len() < cap);
    let started = Instant::now();
    let report = card_diagnostics(&fixture);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(report, "");
}

#[test]
fn a_one_megabyte_frontmatter_is_over_the_frontmatter_cap() {
    let fields = format!("task_name: \"{}\"", "x".repeat(1024 * 1024));
    let started = Instant::now();
    let report = check_rule(&task(&fields), Rule::ResourceLimit);
    assert!(started.elapsed() < Duration::from_secs(20));
    expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` frontmatter is 1.1 MB, over the 256 KB frontmatter cap; it was not analysed
    "#]].assert_eq(&report);
}

#[test]
fn card_over_the_file_cap_is_reported_not_parsed() {
    let bytes = vec![b'a'; crate::syntax::limits::MAX_DOCUMENT_BYTES + 1];
    let report = check_card_bytes(bytes, &card_rules());
    expect![[r#"
        inbox/TASK-0001-a/0001-a.task.md:1:1 error `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` file is 2.1 MB, over the 2 MB cap for a task file; it was not analysed
    "#]].assert_eq(&report);
}

#[test]
fn nul_bytes_are_frontmatter_missing() {
    let bytes = b"\0\0\0---\ntask_id: \"0001\"\n---\n".to_vec();
    assert_eq!(
        check_card_bytes(bytes, &frontmatter_rules()),
        format!(
            "{CARD}:1:1 error `\0\0\0---` the card must start with a `---` line opening its YAML frontmatter\n"
        )
    );
}

#[test]
fn invalid_utf8_inside_the_frontmatter_is_read_lossily() {
    let mut bytes = b"---\ntask_id: \"0001\"\ntask_name: \"caf".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\"\nstage: inbox\nstatus: active\ncurrent_dri: \"@ana\"\n---\n");
    assert_eq!(check_card_bytes(bytes, &frontmatter_rules()), "");
}

#[test]
fn random_bytes_never_panic_and_ranges_stay_in_the_text() {
    // A fixed xorshift stream: the same "random" cards on every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..400 {
        let len = (next() % 400) as usize;
        // Every other card is drawn from YAML's punctuation, to reach deeper into the
        // parser and the note about what was left open.
        const YAML_NOISE: &[u8] = b"[]{}\"'#:-,\\ \n\tab\xc3\xa9";
        let mut bytes: Vec<u8> = (0..len)
            .map(|_| match round % 4 {
                0 | 1 => next() as u8,
                _ => YAML_NOISE[next() as usize % YAML_NOISE.len()],
            })
            .collect();
        if round % 2 == 0 {
            // Half the cards get fences, so the YAML parser sees the noise too.
            bytes.splice(0..0, b"---\n".iter().copied());
            bytes.extend_from_slice(b"\n---\n");
        }
        let workspace = workspace_with_card(bytes);
        for diagnostic in workspace_diagnostics(&workspace, &Config::default()) {
            let text = &workspace.file(diagnostic.file).text;
            assert!(
                text.get(diagnostic.range.as_usize()).is_some(),
                "round {round}: {:?} out of bounds or off a char boundary",
                diagnostic
            );
        }
    }
}
