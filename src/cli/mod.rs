//! The command-line edge: subcommands that run the analysis without a language client.

pub mod check;
pub mod fix;
pub mod new;
pub mod transition;
