//! Conversions from the analysis' plain types to protocol types: byte ranges become
//! line/character positions in the negotiated encoding here and nowhere else.

use std::path::Path;
use std::sync::OnceLock;

use tower_lsp_server::ls_types::{
    self as lsp, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Position, Range, Uri,
};

use crate::base::{PositionEncoding, TextRange};
use crate::db::{FileId, Workspace};
use crate::ide::types::{Diagnostic, Rule, Severity};

/// The rule reference, where each rule has an anchor of its own name. The project has no
/// published home yet, so this is the copy in the source tree the binary was built from.
/// Built once per rule: every diagnostic carries one, and building it (a path made a URI,
/// then parsed) was a large share of converting a workspace's diagnostics.
fn rules_doc(rule: Rule) -> Option<Uri> {
    static DOCS: OnceLock<Vec<Option<Uri>>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        let page = uri(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"));
        Rule::ALL
            .iter()
            .map(|rule| {
                let page = page.as_ref()?;
                format!("{}#{}", page.as_str(), rule.name()).parse().ok()
            })
            .collect()
    });
    let at = Rule::ALL.iter().position(|&known| known == rule)?;
    docs[at].clone()
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
