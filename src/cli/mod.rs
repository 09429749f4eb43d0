//! The command-line edge: subcommands that run the analysis without a language client.

pub mod check;
