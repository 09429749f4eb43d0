//! Features of the analysis, shaped `(workspace, &Config) -> plain types`; no protocol types.

pub mod diagnostics;
pub mod navigation;
pub mod types;

#[cfg(test)]
pub(crate) mod fixture;
