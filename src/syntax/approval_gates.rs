//! The approval gates of wip.policy.md: which actions an agent's proposal may have applied
//! without a person. One table, found by its `Approval` column beside an `Action` column:
//!
//! ```markdown
//! | Action | Approval |
//! |---|---|
//! | unblock | auto |
//! | priority | auto |
//! ```
//!
//! `auto` lets `flowos-lsp approve --auto` apply such proposals on the policy's authority;
//! `human` (and every action the table does not name) waits for a person. The worker
//! contract's "Always Require Human Approval" list (moves between stages, dependency
//! changes, cancel and block) cannot be made `auto`: such a row is an error and is ignored.

use crate::base::TextRange;
use crate::syntax::markdown_table::RawTable;

/// The actions a gate may name: the transitions that leave a task in its stage, and the
/// frontmatter fields agents may propose to edit.
pub const GATED_ACTIONS: [&str; 4] = ["unblock", "resume", "priority", "effort_estimate"];
/// Also accepted, so the table can say `human` for them explicitly; never `auto`.
pub const ALWAYS_HUMAN: [&str; 13] = [
    "verify",
    "prioritize",
    "start",
    "fast-track",
    "complete",
    "rework",
    "integrate",
    "close",
    "close-without-learning",
    "cancel",
    "block",
    "pause",
    "depends_on",
];

/// One row of the gates table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// The action's command-line name (`unblock`) or the field's name (`priority`).
    pub action: String,
    /// Whether an agent's proposal of it is applied without a person.
    pub auto: bool,
    pub range: TextRange,
}

/// The gates in force and what could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApprovalGates {
    pub gates: Vec<Gate>,
    pub errors: Vec<(String, TextRange)>,
}

impl ApprovalGates {
    /// Whether a proposal of `action` (a transition's command-line name, `block:…` counted
    /// as `block`, or an edited field's name) may be applied without a person.
    pub fn is_auto(&self, action: &str) -> bool {
        let action = action.split(':').next().unwrap_or(action);
        self.gates
            .iter()
            .any(|gate| gate.auto && gate.action == action)
    }
}

/// The header that marks the gates table.
const APPROVAL_HEADER: &str = "Approval";

/// Reads the first table with `Action` and `Approval` columns; none leaves every action to
/// a person.
pub(crate) fn read_gates(tables: &[RawTable]) -> ApprovalGates {
    let mut gates = ApprovalGates::default();
    let Some(table) = tables
        .iter()
        .find(|table| table.column(APPROVAL_HEADER).is_some())
    else {
        return gates;
    };
    let approval_at = table.column(APPROVAL_HEADER).unwrap_or_default();
    let Some(action_at) = table.column("Action") else {
        gates.errors.push((
            "the approval gates table has no `Action` column; every action needs a person"
                .to_string(),
            table.header.range,
        ));
        return gates;
    };
    for row in &table.rows {
        let (Some(action), Some(approval)) = (row.cells.get(action_at), row.cells.get(approval_at))
        else {
            gates.errors.push((
                "the row lacks its `Action` or `Approval` cell".to_string(),
                row.range,
            ));
            continue;
        };
        let name = action
            .text
            .trim_matches(|c: char| c == '`' || c.is_whitespace())
            .to_ascii_lowercase();
        let auto = match approval.text.trim().to_ascii_lowercase().as_str() {
            "auto" => true,
            "human" => false,
            other => {
                gates.errors.push((
                    format!("approval `{other}` is neither `auto` nor `human`"),
                    approval.range,
                ));
                continue;
            }
        };
        let known = GATED_ACTIONS.contains(&name.as_str()) || ALWAYS_HUMAN.contains(&name.as_str());
        if !known {
            gates.errors.push((
                format!(
                    "unknown action `{name}`: expected a transition or a proposable field ({}, \
                     {})",
                    GATED_ACTIONS.join(", "),
                    ALWAYS_HUMAN.join(", ")
                ),
                action.range,
            ));
            continue;
        }
        if auto && ALWAYS_HUMAN.contains(&name.as_str()) {
            gates.errors.push((
                format!(
                    "`{name}` always needs a person (the worker contract: moves between stages, \
                     dependency changes, cancel and block); the row is ignored"
                ),
                approval.range,
            ));
            continue;
        }
        gates.gates.push(Gate {
            action: name,
            auto,
            range: row.range,
        });
    }
    gates
}

#[cfg(test)]
mod tests {
    use crate::syntax::wip_policy::parse_wip_policy;

    #[test]
    fn reads_the_gates_and_reports_bad_rows_at_their_cell() {
        let text = "# Policy\n\n## Approval gates\n\n\
                    | Action | Approval |\n|---|---|\n\
                    | unblock | auto |\n\
                    | `priority` | Auto |\n\
                    | start | auto |\n\
                    | dance | human |\n\
                    | resume | maybe |\n";
        let policy = parse_wip_policy(text);
        let gates = &policy.approval_gates;
        let named: Vec<(&str, bool)> = gates
            .gates
            .iter()
            .map(|gate| (gate.action.as_str(), gate.auto))
            .collect();
        assert_eq!(named, [("unblock", true), ("priority", true)]);
        let errors: Vec<&str> = gates
            .errors
            .iter()
            .map(|(_, range)| range.slice(text))
            .collect();
        assert_eq!(errors, ["auto", "dance", "maybe"]);
        assert!(gates.is_auto("unblock"));
        assert!(!gates.is_auto("start"));
        assert!(!gates.is_auto("resume"));
    }

    #[test]
    fn no_table_means_every_action_needs_a_person() {
        let policy =
            parse_wip_policy("# Policy\n\n| Stage | WIP Limit |\n|---|---|\n| next | 3 |\n");
        assert_eq!(policy.approval_gates, Default::default());
        assert!(!policy.approval_gates.is_auto("unblock"));
    }
}
