//! Conversions from the analysis' plain types to protocol types: byte ranges become
//! line/character positions in the negotiated encoding here and nowhere else. This file
//! holds positions, URIs and diagnostics; `features.rs` the answers of the other features,
//! `workspace_edit.rs` edits.

use std::path::Path;
use std::sync::OnceLock;

use tower_lsp_server::ls_types::{
    self as lsp, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Position, Range, Uri,
};

use crate::base::{PositionEncoding, TextRange};
use crate::db::{FileId, Workspace};
use crate::ide::types::{Diagnostic, Rule, Severity};

mod features;
mod workspace_edit;

pub use features::{
    HierarchyData, call_hierarchy_item, code_lens, completion_list, document_link, document_symbol,
    goto_definition, hover, incoming_call, inlay_hint, outgoing_call, prepare_rename,
    workspace_symbol,
};
pub use workspace_edit::{EditAbilities, workspace_edit};

/// The public page of a rule's documentation: `docs/rules.md#<rule>` in the repository named
/// by the package's `repository` metadata, at the tag of this version, so the text matches
/// the binary. Without a public repository there is no link (never a path on the machine
/// that built the binary): `flowos-lsp rules NAME` prints the same text. Built once per rule:
/// every diagnostic carries one, and building it was a large share of converting a
/// workspace's diagnostics.
fn rules_doc(rule: Rule) -> Option<Uri> {
    static DOCS: OnceLock<Vec<Option<Uri>>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        Rule::ALL
            .iter()
            .map(|rule| {
                rule_link(
                    env!("CARGO_PKG_REPOSITORY"),
                    env!("CARGO_PKG_VERSION"),
                    rule.name(),
                )?
                .parse()
                .ok()
            })
            .collect()
    });
    let at = Rule::ALL.iter().position(|&known| known == rule)?;
    docs[at].clone()
}

fn rule_link(repository: &str, version: &str, rule: &str) -> Option<String> {
    let repository = repository.trim().trim_end_matches('/');
    let repository = repository.strip_suffix(".git").unwrap_or(repository);
    let public = repository.starts_with("https://");
    public.then(|| format!("{repository}/blob/v{version}/docs/rules.md#{rule}"))
}

pub fn uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

pub fn range(
    workspace: &Workspace,
    file: FileId,
    range: TextRange,
    encoding: PositionEncoding,
) -> Range {
    let source = workspace.file(file);
    let position = |offset: u32| {
        let at = source
            .line_index()
            .line_col(&source.text, offset as usize, encoding);
        Position::new(at.line, at.col)
    };
    Range::new(position(range.start), position(range.end))
}

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(
    workspace: &Workspace,
    diagnostic: &Diagnostic,
    encoding: PositionEncoding,
) -> lsp::Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|related| {
            let uri = uri(&workspace.file(related.file).path)?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(
                    uri,
                    range(workspace, related.file, related.range, encoding),
                ),
                message: related.message.clone(),
            })
        })
        .collect();
    let rule = diagnostic.rule.name();
    lsp::Diagnostic {
        range: range(workspace, diagnostic.file, diagnostic.range, encoding),
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(rule.to_string())),
        code_description: rules_doc(diagnostic.rule).map(|href| CodeDescription { href }),
        source: Some("flowos".to_string()),
        message: diagnostic.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

pub fn location(
    workspace: &Workspace,
    file: FileId,
    range: TextRange,
    encoding: PositionEncoding,
) -> Option<Location> {
    Some(Location::new(
        uri(&workspace.file(file).path)?,
        self::range(workspace, file, range, encoding),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_links_to_its_section_at_this_version_of_a_public_repository() {
        assert_eq!(
            rule_link(
                "https://github.com/acme/flowos-lsp.git",
                "1.2.0",
                "wip-limit"
            )
            .as_deref(),
            Some("https://github.com/acme/flowos-lsp/blob/v1.2.0/docs/rules.md#wip-limit")
        );
        assert_eq!(
            rule_link("https://github.com/acme/flowos-lsp/", "1.2.0", "x").as_deref(),
            Some("https://github.com/acme/flowos-lsp/blob/v1.2.0/docs/rules.md#x")
        );
    }

    #[test]
    fn no_public_repository_means_no_link() {
        assert_eq!(rule_link("", "1.2.0", "wip-limit"), None);
        assert_eq!(
            rule_link("/home/builder/flowos-lsp", "1.2.0", "wip-limit"),
            None
        );
        assert_eq!(
            rule_link("file:///home/builder/flowos-lsp", "1.2.0", "x"),
            None
        );
    }
}
