//! flowos-lsp: analysis of FlowOS task workspaces, served over LSP and as a CLI checker.

pub mod base;
pub mod syntax;
