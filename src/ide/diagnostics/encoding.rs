//! invalid-encoding: a file that is not UTF-8 (SPEC §8: "non-UTF-8 bytes … give a
//! diagnostic"). It is still analysed, with each bad byte read as U+FFFD; the diagnostic sits
//! on the first of them, so the writer learns why a value looks garbled, and that anything
//! written back into the file would carry the replacement characters.

use crate::base::TextRange;
use crate::db::{FileId, SourceFile};
use crate::ide::diagnostics::RuleDoc;
use crate::ide::types::{Diagnostic, Rule, Severity};

pub(super) fn check(file_id: FileId, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    let Some(at) = file.invalid_utf8 else {
        return;
    };
    let text = &file.text;
    // The replacement character the decoder put in place of the bad byte(s).
    let end = text[at..]
        .chars()
        .next()
        .map_or(at, |ch| at + ch.len_utf8());
    let line = file
        .line_index()
        .line_col(text, at, crate::base::PositionEncoding::Utf8)
        .line
        + 1;
    out.push(Diagnostic::new(
        Rule::InvalidEncoding,
        file_id,
        TextRange::new(at, end),
        format!(
            "the file is not valid UTF-8: bytes on line {line} form no UTF-8 character and were read as `\u{fffd}` (as are any later ones); save the file as UTF-8"
        ),
    ));
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const INVALID_ENCODING: RuleDoc = RuleDoc {
    rule: Rule::InvalidEncoding,
    name: "invalid-encoding",
    severity: Severity::Warning,
    summary: "A file is not valid UTF-8; the bytes that are not were read as U+FFFD.",
    docs: include_str!("docs/invalid-encoding.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[INVALID_ENCODING];

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{COUNTER, ROOT, package, workspace};
    use crate::ide::types::{Config, Rule};

    #[test]
    fn the_first_bad_byte_is_reported_and_the_rest_of_the_file_still_analysed() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-a", ""));
        let mut workspace = workspace(&fixture);
        let before = workspace_diagnostics(&workspace, &Config::default());
        let path = PathBuf::from(ROOT).join("inbox/TASK-0001-a/0001-a.task.md");
        let card = workspace
            .file(workspace.file_by_path(&path).unwrap())
            .text
            .to_string();
        // A Latin-1 `é` in the goal's text, and a stray byte further down.
        let at = card.find("## Goal\n\n").unwrap() + "## Goal\n\nCaf".len();
        let mut bytes = card
            .replacen("## Goal\n\n", "## Goal\n\nCaf\u{e9} menu.\n", 1)
            .into_bytes();
        bytes.splice(at..at + 2, [0xE9]);
        bytes.extend([0xFF, b'\n']);
        assert!(workspace.update_content(&path, &bytes, None));

        let diagnostics = workspace_diagnostics(&workspace, &Config::default());
        let found: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.rule == Rule::InvalidEncoding)
            .collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        let file = workspace.file(found[0].file);
        assert_eq!(found[0].range.slice(&file.text), "\u{fffd}");
        assert_eq!(found[0].range.start as usize, at);
        let line = bytes[..at].iter().filter(|&&byte| byte == b'\n').count() + 1;
        assert!(
            found[0].message.contains(&format!("line {line} ")),
            "{}",
            found[0].message
        );
        // The card around it is still read: nothing else changes.
        assert_eq!(diagnostics.len(), before.len() + 1, "{diagnostics:#?}");
    }

    #[test]
    fn a_clean_file_has_none() {
        let fixture = format!("{COUNTER}{}", package("inbox/TASK-0001-a", ""));
        let diagnostics = workspace_diagnostics(&workspace(&fixture), &Config::default());
        assert!(diagnostics.iter().all(|d| d.rule != Rule::InvalidEncoding));
    }
}
