//! flowos-lsp: analysis of FlowOS task workspaces, served over LSP and as a CLI checker.
//!
//! Layers, each depending only on those above it: `base` (ranges, line index), `syntax`
//! (parsers), `db` (the workspace model), `ide` (features in plain types), and the edges
//! `roots` (finding tasks roots), `loader` (reading them), `vfs` (disk changes and open buffers as model changes), `disk_plans`, `apply`, `recovery` and `transaction` (writing it), `cli`, `lsp` and `mcp` (the two servers' shared runtime: `servers`).

pub mod apply;
pub mod base;
pub mod beneath;
pub mod cli;
pub mod clock;
pub mod db;
pub mod disk_plans;
pub mod ide;
pub mod loader;
pub mod lsp;
pub mod mcp;
pub mod parallel;
pub mod propose;
pub mod recovery;
pub mod roots;
pub mod servers;
pub mod syntax;
pub mod transaction;
pub mod vfs;
