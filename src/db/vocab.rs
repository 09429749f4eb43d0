//! The methodology's fixed vocabularies: stages, statuses, priorities, efforts, and the
//! frontmatter schema (required, optional and known extension fields).

use std::fmt;

/// The seven stages, in workflow order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Inbox,
    Backlog,
    Next,
    Current,
    Integration,
    Learning,
    Archived,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Inbox,
        Stage::Backlog,
        Stage::Next,
        Stage::Current,
        Stage::Integration,
        Stage::Learning,
        Stage::Archived,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Stage::Inbox => "inbox",
            Stage::Backlog => "backlog",
            Stage::Next => "next",
            Stage::Current => "current",
            Stage::Integration => "integration",
            Stage::Learning => "learning",
            Stage::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|stage| stage.name() == text)
    }

    /// Whether a dependency in this stage counts as finished for its dependents.
    pub fn is_finished(self) -> bool {
        matches!(self, Stage::Integration | Stage::Learning | Stage::Archived)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Active,
    Blocked,
    Paused,
    Canceled,
    Split,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Active,
        Status::Blocked,
        Status::Paused,
        Status::Canceled,
        Status::Split,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Blocked => "blocked",
            Status::Paused => "paused",
            Status::Canceled => "canceled",
            Status::Split => "split",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.name() == text)
    }

    /// Paused and canceled tasks do not count against WIP limits.
    pub fn counts_for_wip(self) -> bool {
        !matches!(self, Status::Paused | Status::Canceled)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub const PRIORITIES: [&str; 5] = ["P0", "P1", "P2", "P3", "P4"];
pub const EFFORTS: [&str; 10] = ["XS", "S", "M", "L", "XL", "1", "2", "3", "5", "8"];
pub const SCHEMA_VERSIONS: [&str; 1] = ["1.0"];
pub const BLOCKED_BY_PREFIXES: [&str; 4] = ["task:", "external:", "decision:", "info:"];

/// Fields every card must have.
pub const REQUIRED_FIELDS: [&str; 5] = ["task_id", "task_name", "stage", "status", "current_dri"];

/// Every field the schema or the workflows define; anything else is `unknown-field`. Kept
/// with the frontmatter's syntax, whose entries name these fields without allocating.
pub use crate::syntax::card::KNOWN_FIELDS;

/// Frontmatter fields holding a list of task references.
pub const REF_LIST_FIELDS: [&str; 4] = ["depends_on", "blocks", "related_to", "split_into"];

/// Fields holding a date.
pub const DATE_FIELDS: [&str; 5] = [
    "created_date",
    "split_date",
    "expected_resume_date",
    "paused_date",
    "last_updated",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_are_the_file_formats_names() {
        let names: Vec<&str> = Stage::ALL.iter().map(|stage| stage.name()).collect();
        assert_eq!(names, crate::syntax::STAGE_NAMES);
    }
}
