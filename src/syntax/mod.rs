//! Parsers from text to positioned values: they never fail, never do IO, and report errors
//! with byte ranges.

pub mod approval_gates;
pub mod card;
mod cell_markup;
pub mod index_table;
pub mod ledger;
pub mod limits;
pub mod markdown_links;
pub(crate) mod markdown_table;
pub mod proposals;
pub mod task_id;
pub mod time;
pub mod wip_policy;
pub mod yaml;

/// The seven stage folder names in flow order, as the file formats spell them (the typed
/// `db::vocab::Stage` is built on the same names; a test there keeps them equal).
pub const STAGE_NAMES: [&str; 7] = [
    "inbox",
    "backlog",
    "next",
    "current",
    "integration",
    "learning",
    "archived",
];
