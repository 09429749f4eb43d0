//! Features of the analysis, shaped `(workspace, &Config) -> plain types`; no protocol types.

pub mod board;
pub mod code_lens;
pub mod completion;
pub mod diagnostics;
pub mod document_links;
pub mod edit;
pub mod fixes;
pub mod flow_view;
pub mod graph;
pub mod history;
pub mod hover;
pub mod index_links;
pub mod inlay_hints;
pub mod learning;
pub mod navigation;
pub mod new_task;
pub mod now;
pub mod projection;
pub mod proposals;
pub mod query;
pub mod rename;
pub mod report;
pub mod rework;
pub mod source_change;
pub mod symbols;
pub mod task_of_position;
pub mod task_text;
pub mod transitions;
pub mod types;

#[cfg(test)]
pub(crate) mod fixture;
