//! frontmatter-missing and yaml-syntax: a card whose frontmatter block is absent, never
//! closed, or not YAML that reads as a mapping.

use crate::base::TextRange;
use crate::db::FileId;
use crate::ide::diagnostics::RuleDoc;
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::yaml::{YamlError, YamlErrorKind};

/// The card does not open with `---`. Two common slips get their own message: an empty card,
/// and blank lines pushed above an otherwise good fence.
pub(super) fn missing_frontmatter(file: FileId, text: &str, first_line: TextRange) -> Diagnostic {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim().is_empty() {
        return Diagnostic::new(
            Rule::FrontmatterMissing,
            file,
            first_line,
            "the card is empty; it must start with a `---` line opening its YAML frontmatter",
        );
    }
    let first_text = body.trim_start();
    let fence_start = text.len() - first_text.len();
    let fence_line = first_text.lines().next().unwrap_or("").trim_end();
    if first_line.slice(text).trim().is_empty() && fence_line == "---" {
        return Diagnostic::new(
            Rule::FrontmatterMissing,
            file,
            TextRange::new(fence_start, fence_start + 3),
            "the `---` opening the frontmatter must be the card's very first line; remove the blank lines above it",
        );
    }
    Diagnostic::new(
        Rule::FrontmatterMissing,
        file,
        first_line,
        "the card must start with a `---` line opening its YAML frontmatter",
    )
}

/// The parser's error, at the parser's position, in words a writer can act on.
pub(super) fn yaml_syntax(file: FileId, text: &str, error: &YamlError) -> Diagnostic {
    let range = if error.range.is_empty() {
        // An empty range is hard to see in an editor: widen it to the rest of its line.
        let at = error.range.start as usize;
        let line_end = text[at..].find(['\r', '\n']).map_or(text.len(), |i| at + i);
        TextRange::new(at, at + text[at..line_end].trim_end().len())
    } else {
        error.range
    };
    if error.kind == YamlErrorKind::NotAMapping {
        return Diagnostic::new(Rule::YamlSyntax, file, range, error.message.clone());
    }
    let mut message = format!("invalid YAML in the frontmatter: {}", error.message);
    match error.opener {
        Some((opener_range, what)) => {
            let opener = opener_range.slice(text);
            let line = text[..opener_range.start as usize].matches('\n').count() + 1;
            message.push_str(&format!(" (the `{opener}` on line {line} {what})"));
            Diagnostic::new(Rule::YamlSyntax, file, range, message).with_related(
                file,
                opener_range,
                format!("this `{opener}` {what}"),
            )
        }
        None => Diagnostic::new(Rule::YamlSyntax, file, range, message),
    }
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const FRONTMATTER_MISSING: RuleDoc = RuleDoc {
    rule: Rule::FrontmatterMissing,
    name: "frontmatter-missing",
    severity: Severity::Error,
    summary: "The card does not start with a `---` YAML block, or the block is never closed.",
    docs: include_str!("../docs/frontmatter-missing.md"),
};

pub(crate) const YAML_SYNTAX: RuleDoc = RuleDoc {
    rule: Rule::YamlSyntax,
    name: "yaml-syntax",
    severity: Severity::Error,
    summary: "The frontmatter is not valid YAML.",
    docs: include_str!("../docs/yaml-syntax.md"),
};
