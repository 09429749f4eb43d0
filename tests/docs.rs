//! Keeps docs/rules.md in step with the rule catalogue the binary prints (`flowos-lsp rules`):
//! one `## <rule>` section per rule, in catalogue order, opening with the rule's description
//! verbatim, stating its default severity, and showing a failing and a fixed example.
//!
//! The rule sections are generated from what each rule's module declares (its `RuleDoc` and
//! its `src/ide/diagnostics/docs/<rule>.md`); only the opening, up to the first rule, is
//! written in docs/rules.md itself. `UPDATE_EXPECT=1 cargo test --test docs` rewrites the file
//! after a rule's docs changed.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

use std::path::Path;
use std::process::Command;

use flowos_lsp::ide::diagnostics::catalogue;
use flowos_lsp::ide::types::Rule;

/// One line of `flowos-lsp rules`.
struct CatalogueEntry {
    name: String,
    severity: String,
    description: String,
}

/// The catalogue as users see it: `name  severity  description`, one rule per line.
fn catalogue() -> Vec<CatalogueEntry> {
    let output = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .arg("rules")
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "`flowos-lsp rules` failed");
    let text = String::from_utf8(output.stdout).expect("the catalogue is UTF-8");
    let entries: Vec<CatalogueEntry> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (name, rest) = line
                .split_once(' ')
                .unwrap_or_else(|| panic!("unreadable catalogue line: {line}"));
            let (severity, description) = rest
                .trim_start()
                .split_once(' ')
                .unwrap_or_else(|| panic!("unreadable catalogue line: {line}"));
            CatalogueEntry {
                name: name.to_string(),
                severity: severity.to_string(),
                description: description.trim().to_string(),
            }
        })
        .collect();
    assert!(entries.len() > 10, "the catalogue looks truncated:\n{text}");
    entries
}

/// A level-2 section of the document: its heading text and its lines up to the next heading
/// of level 1 or 2. Code fences are respected, so `## Goal` inside an example card is not a
/// heading.
struct Section {
    heading: String,
    lines: Vec<String>,
}

fn sections(document: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut in_fence = false;
    let mut open = false;
    for line in document.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            if let Some(heading) = line.strip_prefix("## ") {
                sections.push(Section {
                    heading: heading.trim().to_string(),
                    lines: Vec::new(),
                });
                open = true;
                continue;
            }
            if line.starts_with("# ") {
                open = false;
                continue;
            }
        }
        if open && let Some(section) = sections.last_mut() {
            section.lines.push(line.to_string());
        }
    }
    sections
}

/// The section's first paragraph, its lines joined by spaces.
fn first_paragraph(section: &Section) -> String {
    section
        .lines
        .iter()
        .map(|line| line.trim())
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lines of the example introduced by a line starting with `marker`, up to the next
/// `**Fails` / `**Fixed` marker, with whether each line lies inside a code fence.
fn example(section: &Section, marker: &str) -> Option<Vec<(bool, String)>> {
    let start = section
        .lines
        .iter()
        .position(|line| line.starts_with(marker))?;
    let mut in_fence = false;
    let mut out = Vec::new();
    for line in &section.lines[start + 1..] {
        if !in_fence && (line.starts_with("**Fails") || line.starts_with("**Fixed")) {
            break;
        }
        let fence = line.trim_start().starts_with("```");
        out.push((in_fence && !fence, line.clone()));
        if fence {
            in_fence = !in_fence;
        }
    }
    Some(out)
}

/// Whether a heading looks like a rule name (lowercase words joined by dashes).
fn looks_like_rule(heading: &str) -> bool {
    heading.contains('-')
        && heading
            .split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
}

#[test]
fn rules_reference_is_generated_from_the_rule_modules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let document = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let first = format!("\n## {}\n", Rule::ALL[0].name());
    let intro = document
        .find(&first)
        .map_or(document.as_str(), |at| &document[..=at]);
    let expected = catalogue::reference(intro);
    if document == expected {
        return;
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &expected).expect("docs/rules.md is writable");
        return;
    }
    let line = document
        .lines()
        .zip(expected.lines())
        .position(|(found, wanted)| found != wanted)
        .map_or(
            document.lines().count().min(expected.lines().count()),
            |at| at,
        )
        + 1;
    panic!(
        "docs/rules.md differs from the rules' own docs from line {line} on; edit the rule's \
         RuleDoc or src/ide/diagnostics/docs/<rule>.md (not docs/rules.md below its opening) \
         and run `UPDATE_EXPECT=1 cargo test --test docs`"
    );
}

#[test]
fn rules_reference_matches_the_catalogue() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let document = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let catalogue = catalogue();
    let sections = sections(&document);
    let mut problems: Vec<String> = Vec::new();

    // Every rule-like heading names a rule: a renamed or removed rule leaves no stale section.
    for section in &sections {
        if looks_like_rule(&section.heading)
            && !catalogue.iter().any(|rule| rule.name == section.heading)
        {
            problems.push(format!(
                "`## {}` is not a rule in the catalogue",
                section.heading
            ));
        }
    }

    // Rule sections appear in catalogue order, so the reference reads like `flowos-lsp rules`.
    let documented: Vec<&str> = sections
        .iter()
        .map(|section| section.heading.as_str())
        .filter(|heading| catalogue.iter().any(|rule| rule.name == *heading))
        .collect();
    let expected: Vec<&str> = catalogue.iter().map(|rule| rule.name.as_str()).collect();
    if documented != expected {
        problems.push(format!(
            "rule sections are not exactly the catalogue in order:\n  documented: {documented:?}\n  catalogue:  {expected:?}"
        ));
    }

    for rule in &catalogue {
        let matching: Vec<&Section> = sections
            .iter()
            .filter(|section| section.heading == rule.name)
            .collect();
        let section = match matching.as_slice() {
            [section] => *section,
            [] => {
                problems.push(format!("{}: no `## {}` section", rule.name, rule.name));
                continue;
            }
            more => {
                problems.push(format!(
                    "{}: {} `## {}` sections, expected one",
                    rule.name,
                    more.len(),
                    rule.name
                ));
                continue;
            }
        };

        let paragraph = first_paragraph(section);
        if paragraph != rule.description {
            problems.push(format!(
                "{}: the first paragraph must be the catalogue description verbatim\n  found:    {paragraph}\n  expected: {}",
                rule.name, rule.description
            ));
        }

        let severity_line = format!("Default severity: **{}**", rule.severity);
        if !section
            .lines
            .iter()
            .any(|line| line.starts_with(&severity_line))
        {
            problems.push(format!(
                "{}: no line starting with `{severity_line}`",
                rule.name
            ));
        }

        for marker in ["**Fails", "**Fixed"] {
            match example(section, marker) {
                None => problems.push(format!("{}: no {marker}** example", rule.name)),
                Some(lines) if !lines.iter().any(|(in_code, _)| *in_code) => problems.push(
                    format!("{}: the {marker}** example has no code block", rule.name),
                ),
                Some(_) => {}
            }
        }
        let tag = format!("[{}] ", rule.name);
        let fails_shows_rule = example(section, "**Fails").is_some_and(|lines| {
            lines
                .iter()
                .any(|(in_code, line)| *in_code && line.contains(&tag))
        });
        if !fails_shows_rule {
            problems.push(format!(
                "{}: the Fails example does not show a `severity{}` diagnostic",
                rule.name,
                tag.trim_end()
            ));
        }
        let fails_at = section.lines.iter().position(|l| l.starts_with("**Fails"));
        let fixed_at = section.lines.iter().position(|l| l.starts_with("**Fixed"));
        if let (Some(fails), Some(fixed)) = (fails_at, fixed_at)
            && fixed < fails
        {
            problems.push(format!("{}: Fixed comes before Fails", rule.name));
        }
    }

    assert!(
        problems.is_empty(),
        "docs/rules.md is out of step with `flowos-lsp rules`:\n- {}",
        problems.join("\n- ")
    );
}
