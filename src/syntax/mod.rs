//! Parsers from text to positioned values: they never fail, never do IO, and report errors
//! with byte ranges.

pub mod card;
pub mod index_table;
pub mod ledger;
pub mod task_id;
pub mod wip_policy;
pub mod yaml;
