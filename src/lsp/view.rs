//! What a read-only request sees: the model, the open buffers and the diagnostics as the
//! session holds them when the request's turn comes (see `session`).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::base::PositionEncoding;
use crate::db::{FileId, Workspace};
use crate::ide::diagnostics::incremental::IncrementalDiagnostics;
use crate::ide::types::{Config, Diagnostic};
use crate::lsp::documents::Document;

/// A read-only request's work: it runs on the session thread with a view of the model and
/// sends its answer back through its own channel.
pub type Query = Box<dyn FnOnce(&View) + Send>;

/// What a query sees.
pub struct View<'s> {
    pub workspace: &'s Workspace,
    pub encoding: PositionEncoding,
    pub config: &'s Config,
    /// The open buffers (versions for edits; unsaved changes refuse transactions).
    pub documents: &'s HashMap<PathBuf, Document>,
    /// The diagnostics as last analysed (current for `AnalysedQuery`).
    pub diagnostics: &'s IncrementalDiagnostics,
}

impl View<'_> {
    /// The analysis configuration at `now`, the moment the request was asked (read by the
    /// handler as it arrives: the analysis never reads the clock).
    pub fn config_at(&self, now: i64) -> Config {
        Config {
            now,
            ..self.config.clone()
        }
    }

    /// The diagnostics of one file as last analysed, configured and in order.
    pub fn diagnostics_of(&self, file: FileId) -> Vec<Diagnostic> {
        self.diagnostics.file(file, self.config)
    }
}
