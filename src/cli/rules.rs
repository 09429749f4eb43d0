//! `flowos-lsp rules [NAME]`: the rule catalogue, and one rule's documentation from the copy
//! of `docs/rules.md` the binary carries, so the reference works wherever it is installed.

use std::io::Write;

use crate::base::edit_distance;
use crate::cli::EXIT_USAGE;
use crate::cli::{Arg, ArgCursor};
use crate::ide::types::Rule;

pub const USAGE: &str = "\
usage: flowos-lsp rules          list every diagnostic rule with its default severity
       flowos-lsp rules NAME     print the documentation of one rule";

/// The rule reference, built into the binary.
const REFERENCE: &str = include_str!("../../docs/rules.md");

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The rule to document; None lists them all.
    pub rule: Option<String>,
}

pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut cursor = ArgCursor::new(args);
    while let Some(arg) = cursor.next_arg() {
        match arg {
            Arg::Flag(flag) if flag == "--help" || flag == "-h" => return Err(String::new()),
            Arg::Flag(flag) => return Err(format!("unknown option `{flag}`")),
            Arg::Positional(name) if options.rule.is_none() => options.rule = Some(name),
            Arg::Positional(extra) => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    Ok(options)
}

pub fn run(options: &Options, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let written = match &options.rule {
        None => write_catalogue(out),
        Some(name) => match Rule::parse(name).and_then(|rule| section(REFERENCE, rule.name())) {
            Some(text) => writeln!(out, "{}", text.trim_end()),
            None => {
                let _ = writeln!(err, "flowos-lsp: {}", unknown_rule(name));
                return EXIT_USAGE;
            }
        },
    };
    match written {
        Ok(()) => 0,
        // A closed pipe (`| head`) is not the command's failure.
        Err(_) => 0,
    }
}

fn write_catalogue(out: &mut dyn Write) -> std::io::Result<()> {
    let width = Rule::ALL
        .iter()
        .map(|rule| rule.name().len())
        .max()
        .unwrap_or(0);
    for rule in Rule::ALL {
        writeln!(
            out,
            "{:width$}  {:7}  {}",
            rule.name(),
            rule.default_severity().name(),
            rule.description()
        )?;
    }
    Ok(())
}

fn unknown_rule(name: &str) -> String {
    let nearest = Rule::ALL
        .iter()
        .map(|rule| (edit_distance(name, rule.name()), rule.name()))
        .filter(|(distance, _)| *distance <= 3)
        .min();
    match nearest {
        Some((_, rule)) => format!("no rule is called `{name}`; did you mean `{rule}`?"),
        None => format!("no rule is called `{name}`; `flowos-lsp rules` lists them"),
    }
}

/// The section of `document` headed `## name`, up to the next level-1 or level-2 heading.
/// Headings inside fenced code blocks (the examples show whole task cards) do not count.
fn section<'d>(document: &'d str, name: &str) -> Option<&'d str> {
    let mut in_fence = false;
    let mut start = None;
    let mut offset = 0;
    for line in document.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let heading = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("# "))
            .map(str::trim);
        match (heading, start) {
            (Some(title), None) if title == name => start = Some(here),
            (Some(_), Some(from)) => return Some(&document[from..here]),
            _ => {}
        }
    }
    start.map(|from| &document[from..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = "\
# Reference

## first-rule

Text of the first.

```markdown
## Goal
```

More of the first.

## second-rule

The second.
";

    #[test]
    fn a_section_runs_to_the_next_heading_outside_code_fences() {
        let first = section(DOCUMENT, "first-rule").unwrap();
        assert!(first.starts_with("## first-rule\n"), "{first}");
        assert!(first.contains("## Goal"), "{first}");
        assert!(first.trim_end().ends_with("More of the first."), "{first}");
        assert_eq!(
            section(DOCUMENT, "second-rule"),
            Some("## second-rule\n\nThe second.\n")
        );
        assert_eq!(section(DOCUMENT, "Goal"), None);
        assert_eq!(section(DOCUMENT, "third-rule"), None);
    }

    #[test]
    fn every_rule_has_its_documentation_in_the_binary() {
        for rule in Rule::ALL {
            let text = section(REFERENCE, rule.name())
                .unwrap_or_else(|| panic!("{} has no section", rule.name()));
            assert!(
                text.contains("Default severity:"),
                "{}: {text}",
                rule.name()
            );
        }
    }

    #[test]
    fn an_unknown_rule_is_answered_with_the_nearest_name() {
        assert_eq!(
            unknown_rule("wip-limits"),
            "no rule is called `wip-limits`; did you mean `wip-limit`?"
        );
        assert!(unknown_rule("zzzzzzzzzzzz").ends_with("`flowos-lsp rules` lists them"));
    }
}
