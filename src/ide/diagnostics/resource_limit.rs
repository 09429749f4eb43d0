//! resource-limit: a file, frontmatter block, line or YAML structure over one of the safety
//! caps of `syntax::limits`, which the parsers therefore left out of the analysis. The
//! parsers record what they skipped; this rule reports it, once per cap exceeded, naming the
//! cap and its value, so that nothing is silently unanalysed.

use crate::db::{FileId, Parsed, SourceFile};
use crate::ide::diagnostics::RuleDoc;
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::card::Card;
use crate::syntax::ledger::LineKind;
use crate::syntax::limits::{
    Cap, MAX_PROSE_REFS, OverCap, file_over_cap, refs_over_cap, shown_range,
};
use crate::syntax::yaml::{YamlError, YamlErrorKind};

pub(super) fn check(file_id: FileId, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    let mut report = |over: &OverCap| {
        out.push(Diagnostic::new(
            Rule::ResourceLimit,
            file_id,
            over.range,
            over.message.clone(),
        ));
    };
    match &file.parsed {
        Parsed::Oversized { size } => report(&file_over_cap(&file.rel, *size, &file.text)),
        Parsed::Card(card) => {
            if let Some(over) = frontmatter_over_cap(card, &file.text) {
                report(&over);
            }
            card.long_lines.iter().for_each(report);
        }
        Parsed::Ledger(ledger) => {
            for line in &ledger.lines {
                if let LineKind::OverCap(over) = &line.kind {
                    report(over);
                }
            }
        }
        Parsed::Refs(refs) if refs.len() > MAX_PROSE_REFS => {
            report(&refs_over_cap(refs[MAX_PROSE_REFS].range));
        }
        Parsed::Index(index) => index.long_lines.iter().for_each(report),
        Parsed::WipPolicy(policy) => policy.long_lines.iter().for_each(report),
        Parsed::Proposals(proposals) => proposals.over_cap.iter().for_each(report),
        Parsed::Namespaces(Err(error)) => {
            if let Some(over) = yaml_over_cap(error, &file.text, "NAMESPACES.yaml was not read") {
                report(&over);
            }
        }
        _ => {}
    }
}

/// The frontmatter's block error when it is a cap rather than a mistake in the YAML.
fn frontmatter_over_cap(card: &Card, text: &str) -> Option<OverCap> {
    let error = card.frontmatter.block()?.error.as_ref()?;
    yaml_over_cap(error, text, "the frontmatter was not analysed")
}

/// A YAML error that reports a cap, as the rule words it; `consequence` says what was left
/// out. The frontmatter cap's own message already says it.
fn yaml_over_cap(error: &YamlError, text: &str, consequence: &str) -> Option<OverCap> {
    let YamlErrorKind::OverCap(cap) = error.kind else {
        return None;
    };
    let message = match cap {
        Cap::Frontmatter => error.message.clone(),
        _ => format!("{}; {consequence}", error.message),
    };
    // An empty range (the parser stopped at a line end) is hard to see: show the line's start.
    let range = if error.range.is_empty() {
        let at = error.range.start as usize;
        let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
        shown_range(text, line_start)
    } else {
        error.range
    };
    Some(OverCap {
        cap,
        range,
        message,
    })
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const RESOURCE_LIMIT: RuleDoc = RuleDoc {
    rule: Rule::ResourceLimit,
    name: "resource-limit",
    severity: Severity::Error,
    summary: "A file, frontmatter block, line or YAML structure exceeds a safety cap; it was not (fully) analysed.",
    docs: include_str!("docs/resource-limit.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[RESOURCE_LIMIT];

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use expect_test::{Expect, expect};

    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, package, render, workspace};
    use crate::ide::types::{Config, Rule};
    use crate::syntax::limits::{
        MAX_DOCUMENT_BYTES, MAX_FILE_BYTES, MAX_FRONTMATTER_BYTES, MAX_LEDGER_BYTES,
        MAX_LINE_BYTES, MAX_PROSE_REFS,
    };
    use crate::syntax::time::parse_rfc3339;

    /// Every diagnostic of the workspace, after checking that exactly one is a resource-limit
    /// and that it sits inside its file's text on character boundaries. Long runs of the
    /// filler characters are shortened so the snapshot stays readable.
    fn check(fixture: &str, expect: Expect) {
        let started = Instant::now();
        let workspace = workspace(fixture);
        let diagnostics = workspace_diagnostics(&workspace, &config());
        let took = started.elapsed();
        assert!(took < Duration::from_secs(10), "analysis took {took:?}");
        let limits: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.rule == Rule::ResourceLimit)
            .collect();
        assert_eq!(limits.len(), 1, "{limits:#?}");
        let text = &workspace.file(limits[0].file).text;
        let range = limits[0].range;
        assert!(range.end as usize <= text.len());
        assert!(text.is_char_boundary(range.start as usize));
        assert!(text.is_char_boundary(range.end as usize));
        let report = render(&workspace, diagnostics.iter());
        expect.assert_eq(&shorten(&report));
    }

    /// Replaces runs of 20 or more of one character by `<N×c>`.
    fn shorten(text: &str) -> String {
        let mut out = String::new();
        let chars: Vec<char> = text.chars().collect();
        let mut at = 0;
        while at < chars.len() {
            let run = chars[at..].iter().take_while(|&&c| c == chars[at]).count();
            if run >= 20 {
                out.push_str(&format!("<{run}×{}>", chars[at]));
            } else {
                out.extend(&chars[at..at + run]);
            }
            at += run;
        }
        out
    }

    /// "Now" is an hour after the fixture's task was created: no SLO is late.
    fn config() -> Config {
        Config {
            now: parse_rfc3339("2026-03-02T10:00:00Z").unwrap(),
            ..Config::default()
        }
    }

    const FOLDER: &str = "inbox/TASK-0001-a";
    const CARD: &str = "//- /inbox/TASK-0001-a/0001-a.task.md\n";

    /// Two clean tasks in inbox, 0002 depending on 0001, with their index rows; `change`
    /// may replace files. Rules that read one task's card for another (the inverse link)
    /// or a file for every task (the indexes) show whether a file not analysed is blamed.
    fn fixture(change: impl Fn(String) -> String) -> String {
        let rows = "//- /INDEX.md\n| ID | Name | DRI | Stage | Status |\n|----|------|-----|-------|--------|\n| 0001 | Task 0001 | @ana | inbox | active |\n| 0002 | Task 0002 | @ana | inbox | active |\n\
                    //- /inbox/INDEX.md\n| ID | Name | DRI | Status |\n|----|------|-----|--------|\n| 0001 | Task 0001 | @ana | active |\n| 0002 | Task 0002 | @ana | active |\n";
        change(format!(
            "{COUNTER}{rows}{}{}",
            package(FOLDER, "blocks: [\"TASK-0002\"]"),
            package("inbox/TASK-0002-b", "depends_on: [\"TASK-0001\"]")
        ))
    }

    /// The fixture with the text of the file headed `header` replaced by `text` (which
    /// must end its last line, or the next header would join it).
    fn with_file(fixture: String, header: &str, text: &str) -> String {
        assert!(text.ends_with('\n'));
        let start = fixture.find(header).expect("the file is in the fixture") + header.len();
        let end = fixture[start..]
            .find("//- /")
            .map_or(fixture.len(), |at| start + at);
        format!("{}{text}{}", &fixture[..start], &fixture[end..])
    }

    #[test]
    fn the_fixture_is_clean() {
        let workspace = workspace(&fixture(|f| f));
        assert_eq!(
            render(
                &workspace,
                workspace_diagnostics(&workspace, &config()).iter()
            ),
            ""
        );
    }

    #[test]
    fn a_card_over_the_file_cap() {
        let card = format!(
            "---\ntask_id: \"0001\"\n---\n{}\n",
            "x".repeat(MAX_DOCUMENT_BYTES)
        );
        check(
            &fixture(|f| with_file(f, CARD, &card)),
            expect![[r#"
                inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` file is 2.1 MB, over the 2 MB cap for a task file; it was not analysed
            "#]],
        );
    }

    #[test]
    fn a_frontmatter_over_its_cap() {
        let fixture = fixture(|f| {
            f.replacen(
                "tags: []",
                &format!("tags: [\"{}\"]", "é".repeat(MAX_FRONTMATTER_BYTES / 2)),
                1,
            )
        });
        check(
            &fixture,
            expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:1:1 error `---` frontmatter is 256.4 KB, over the 256 KB frontmatter cap; it was not analysed
        "#]],
        );
    }

    #[test]
    fn a_card_line_over_the_line_cap() {
        let fixture = fixture(|f| {
            f.replacen(
                "Do the thing.",
                &format!(
                    "Do the thing. TASK-0009 {}",
                    "ab ".repeat(MAX_LINE_BYTES / 3)
                ),
                1,
            )
        });
        check(
            &fixture,
            expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:24:1 error `Do the thing. TASK-0009 ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab` line 24 is 1.1 MB long, over the 1 MB line cap; it was not analysed
        "#]],
        );
    }

    #[test]
    fn yaml_nested_too_deep() {
        let fixture =
            fixture(|f| f.replacen("tags: []", "tags: [[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]", 1));
        check(
            &fixture,
            expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:10:23 error `[` lists or mappings nest deeper than the 16-level YAML depth cap; the frontmatter was not analysed
        "#]],
        );
    }

    #[test]
    fn yaml_with_too_many_values() {
        let items = vec!["a"; 10_001].join(", ");
        let fixture = fixture(|f| f.replacen("tags: []", &format!("tags: [{items}]"), 1));
        check(
            &fixture,
            expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:10:29951 error `a` more than 10,000 YAML values (keys, items, lists and mappings), over the YAML node cap; the frontmatter was not analysed
        "#]],
        );
    }

    #[test]
    fn yaml_with_too_many_aliases() {
        let aliases = vec!["*t"; 33].join(", ");
        let fixture =
            fixture(|f| f.replacen("tags: []", &format!("x_tag: &t ui\ntags: [{aliases}]"), 1));
        check(
            &fixture,
            expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:11:136 error `*` more than 32 aliases (`*name`), over the YAML alias cap; the frontmatter was not analysed
        "#]],
        );
    }

    #[test]
    fn yaml_values_over_the_text_cap_through_aliases() {
        let fixture = fixture(|f| {
            f.replacen(
                "tags: []",
                &format!(
                    "x_note: &n \"{}\"\ntags: [*n, *n, *n, *n, *n, *n]",
                    "x".repeat(200 * 1024)
                ),
                1,
            )
        });
        check(
            &fixture,
            expect![[r#"
            inbox/TASK-0001-a/0001-a.task.md:11:24 error `*` the YAML's values total more than 1 MB (aliases expanded), over the YAML text cap; the frontmatter was not analysed
        "#]],
        );
    }

    #[test]
    fn a_ledger_line_over_the_line_cap() {
        let header = "//- /inbox/TASK-0001-a/0001.ledger.jsonl\n";
        let ledger = format!(
            "{{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}}\n{{\"desc\":\"{}\"}}\n",
            "x".repeat(MAX_LINE_BYTES)
        );
        check(
            &fixture(|f| with_file(f, header, &ledger)),
            expect![[r#"
            inbox/TASK-0001-a/0001.ledger.jsonl:2:1 error `{"desc":"<71×x>` line 2 is 1.1 MB long, over the 1 MB line cap; it was not analysed
        "#]],
        );
    }

    #[test]
    fn a_ledger_over_the_file_cap() {
        let header = "//- /inbox/TASK-0001-a/0001.ledger.jsonl\n";
        let line = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}\n";
        let ledger = line.repeat(MAX_LEDGER_BYTES / line.len() + 1);
        check(
            &fixture(|f| with_file(f, header, &ledger)),
            expect![[r#"
                inbox/TASK-0001-a/0001.ledger.jsonl:1:1 error `{"ts":"2026-03-02T09:00:00Z","user":"@ana","event":"created","desc":"Created"}` file is 8.1 MB, over the 8 MB cap for a ledger; it was not analysed
            "#]],
        );
    }

    #[test]
    fn an_index_line_over_the_line_cap() {
        let fixture = fixture(|f| {
            f.replacen(
                "| 0002 | Task 0002 | @ana | active |\n",
                &format!(
                    "| 0002 | Task 0002 | @ana | active |\n\n{}\n",
                    "word ".repeat(MAX_LINE_BYTES / 5 + 1)
                ),
                1,
            )
        });
        check(
            &fixture,
            expect![[r#"
            inbox/INDEX.md:6:1 error `word word word word word word word word word word word word word word word word ` line 6 is 1.1 MB long, over the 1 MB line cap; it was not analysed
        "#]],
        );
    }

    #[test]
    fn a_wip_policy_line_over_the_line_cap() {
        let fixture = fixture(|f| {
            format!(
                "{f}//- /wip.policy.md\n# WIP\n\n{}\n\n| Stage | Limit |\n|---|---|\n| current | 5 |\n",
                "word ".repeat(MAX_LINE_BYTES / 5 + 1)
            )
        });
        check(
            &fixture,
            expect![[r#"
            wip.policy.md:3:1 error `word word word word word word word word word word word word word word word word ` line 3 is 1.1 MB long, over the 1 MB line cap; it was not analysed
        "#]],
        );
    }

    #[test]
    fn namespaces_over_the_yaml_node_cap() {
        let names: String = (0..5_001).map(|n| format!("  N{n}: x\n")).collect();
        let fixture = fixture(|f| format!("{f}//- /NAMESPACES.yaml\nnamespaces:\n{names}"));
        check(
            &fixture,
            expect![[r#"
            NAMESPACES.yaml:5000:10 error `x` more than 10,000 YAML values (keys, items, lists and mappings), over the YAML node cap; NAMESPACES.yaml was not read
        "#]],
        );
    }

    /// A file over the cap `cap` made of `x`s.
    fn oversized(cap: usize) -> String {
        format!("{}\n", "x".repeat(cap))
    }

    #[test]
    fn an_index_over_the_file_cap_is_not_blamed_for_missing_rows() {
        let fixture =
            fixture(|f| with_file(f, "//- /inbox/INDEX.md\n", &oversized(MAX_FILE_BYTES)));
        check(
            &fixture,
            expect![[r#"
                inbox/INDEX.md:1:1 error `<80×x>` file is 16.1 MB, over the 16 MB cap for an INDEX.md; it was not analysed
            "#]],
        );
    }

    #[test]
    fn a_counter_over_the_file_cap_is_not_read() {
        let fixture =
            fixture(|f| with_file(f, "//- /ID_COUNTER.txt\n", &oversized(MAX_DOCUMENT_BYTES)));
        check(
            &fixture,
            expect![[r#"
                ID_COUNTER.txt:1:1 error `<80×x>` file is 2.1 MB, over the 2 MB cap for a task file; it was not analysed
            "#]],
        );
    }

    #[test]
    fn the_policy_and_registry_over_the_file_cap() {
        for name in ["wip.policy.md", "NAMESPACES.yaml"] {
            let fixture = fixture(|f| format!("{f}//- /{name}\n{}", oversized(MAX_DOCUMENT_BYTES)));
            let workspace = workspace(&fixture);
            let report = render(
                &workspace,
                workspace_diagnostics(&workspace, &config()).iter(),
            );
            assert_eq!(
                shorten(&report),
                format!(
                    "{name}:1:1 error `<80×x>` file is 2.1 MB, over the 2 MB cap for a task file; it was not analysed\n"
                )
            );
        }
    }

    #[test]
    fn prose_past_the_reference_cap_is_reported_and_not_indexed() {
        let header = "//- /inbox/TASK-0001-a/0001.context.md\n";
        let context = format!("# Context\n{}\n", "TASK-0001 ".repeat(MAX_PROSE_REFS + 5));
        let fixture = fixture(|f| with_file(f, header, &context));
        let workspace = workspace(&fixture);
        let file = workspace
            .files
            .iter()
            .position(|file| file.rel.ends_with("0001.context.md"))
            .map(|index| crate::db::FileId(index as u32))
            .unwrap();
        assert_eq!(workspace.mentions_in(file).len(), MAX_PROSE_REFS);
        let first_left_out = 10 + MAX_PROSE_REFS * 10;
        let report = render(
            &workspace,
            workspace_diagnostics(&workspace, &config()).iter(),
        );
        assert_eq!(
            report,
            format!(
                "inbox/TASK-0001-a/0001.context.md:2:{} error `TASK-0001` more than 10000 task references; from this one on they are not linked or indexed\n",
                first_left_out - 10 + 1
            )
        );
    }

    #[test]
    fn a_context_file_over_the_file_cap() {
        let header = "//- /inbox/TASK-0001-a/0001.context.md\n";
        let context = format!(
            "# Context\n{}\n",
            "TASK-0001 ".repeat(MAX_DOCUMENT_BYTES / 10 + 1)
        );
        check(
            &fixture(|f| with_file(f, header, &context)),
            expect![[r#"
                inbox/TASK-0001-a/0001.context.md:1:1 error `# Context` file is 2.1 MB, over the 2 MB cap for a task file; it was not analysed
            "#]],
        );
    }
}
