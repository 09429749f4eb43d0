//! Parsers from text to positioned values: they never fail, never do IO, and report errors
//! with byte ranges.

pub mod task_id;
