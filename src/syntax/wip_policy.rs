//! wip.policy.md: its WIP-limit and SLO tables, and the SPEC §2 defaults they replace.
//!
//! Each table is found by its header names, not its position, so prose and other tables can
//! move around it. A table that is present replaces the defaults as a whole: a stage without a
//! row has no limit (or no SLO), because deleting a row is the natural way to lift a limit.
//! A table that is absent (or unusable) leaves the defaults in place.

use crate::base::TextRange;
use crate::syntax::STAGE_NAMES;
use crate::syntax::approval_gates::{ApprovalGates, read_gates};
use crate::syntax::limits::{OverCap, long_lines};
use crate::syntax::markdown_table::{Cell, RawRow, RawTable, markdown_tables};

/// Whom a WIP limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitScope {
    /// All counted tasks in the stage together.
    SystemWide,
    /// Each DRI's tasks in the stage separately.
    PerDri,
}

/// One row of the WIP table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WipLimit {
    /// Lowercase stage name, one of the seven stages.
    pub stage: String,
    /// The maximum number of counted tasks; `None` for no limit.
    pub limit: Option<u32>,
    pub scope: LimitScope,
    /// The row in wip.policy.md; empty at 0 for a default.
    pub range: TextRange,
}

/// A stage duration as the SLO table states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SloDuration {
    Hours(u32),
    /// A multiple of the task's own effort estimate (`2x effort estimate`).
    EffortMultiple(u32),
}

/// One row of the SLO table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SloTarget {
    /// Lowercase stage name, one of the seven stages.
    pub stage: String,
    /// `None` when the stage has no fixed target (`Immediate`, `Varies by effort`, `N/A`).
    pub target: Option<SloDuration>,
    /// `None` when nothing counts as a violation.
    pub violation: Option<SloDuration>,
    /// The row in wip.policy.md; empty at 0 for a default.
    pub range: TextRange,
}

/// The flow-control policy in force: the file's tables where present, defaults otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WipPolicy {
    pub limits: Vec<WipLimit>,
    pub slos: Vec<SloTarget>,
    pub errors: Vec<(String, TextRange)>,
    /// Whether `limits` came from the file (false: the defaults).
    pub limits_from_file: bool,
    /// Whether `slos` came from the file (false: the defaults).
    pub slos_from_file: bool,
    /// Lines over the line cap, which were not read.
    pub long_lines: Vec<OverCap>,
    /// Which agent proposals may be applied without a person (none by default).
    pub approval_gates: ApprovalGates,
}

impl WipPolicy {
    /// SPEC §2's policy, used when there is no wip.policy.md.
    pub fn defaults() -> WipPolicy {
        WipPolicy {
            limits: default_limits(),
            slos: default_slos(),
            errors: Vec::new(),
            limits_from_file: false,
            slos_from_file: false,
            long_lines: Vec::new(),
            approval_gates: ApprovalGates::default(),
        }
    }

    /// The WIP row for `stage`, if the policy has one.
    pub fn limit(&self, stage: &str) -> Option<&WipLimit> {
        self.limits.iter().find(|limit| limit.stage == stage)
    }

    /// The SLO row for `stage`, if the policy has one.
    pub fn slo(&self, stage: &str) -> Option<&SloTarget> {
        self.slos.iter().find(|slo| slo.stage == stage)
    }
}

impl Default for WipPolicy {
    fn default() -> WipPolicy {
        WipPolicy::defaults()
    }
}

fn default_limits() -> Vec<WipLimit> {
    use LimitScope::{PerDri, SystemWide};
    let rows = [
        ("inbox", None, SystemWide),
        ("backlog", None, SystemWide),
        ("next", Some(3), PerDri),
        ("current", Some(5), SystemWide),
        ("integration", Some(3), SystemWide),
        ("learning", Some(2), PerDri),
        ("archived", None, SystemWide),
    ];
    rows.into_iter()
        .map(|(stage, limit, scope)| WipLimit {
            stage: stage.to_string(),
            limit,
            scope,
            range: TextRange::default(),
        })
        .collect()
}

fn default_slos() -> Vec<SloTarget> {
    use SloDuration::{EffortMultiple, Hours};
    let rows = [
        ("inbox", Some(Hours(24)), Some(Hours(48))),
        ("backlog", Some(Hours(7 * 24)), Some(Hours(14 * 24))),
        ("next", None, None),
        ("current", None, Some(EffortMultiple(2))),
        ("integration", Some(Hours(48)), Some(Hours(96))),
        ("learning", Some(Hours(72)), Some(Hours(7 * 24))),
        ("archived", Some(Hours(24)), Some(Hours(48))),
    ];
    rows.into_iter()
        .map(|(stage, target, violation)| SloTarget {
            stage: stage.to_string(),
            target,
            violation,
            range: TextRange::default(),
        })
        .collect()
}

/// Header names that mark the WIP table's limit column and the SLO table's columns.
const LIMIT_HEADERS: &[&str] = &["WIP Limit", "WIP", "Limit"];
const SCOPE_HEADERS: &[&str] = &["Scope"];
const TARGET_HEADERS: &[&str] = &["SLO Target", "SLO", "Target"];
const VIOLATION_HEADERS: &[&str] = &["Violation Threshold", "Violation"];

/// Reads wip.policy.md. Never fails: unreadable rows or cells become errors with their
/// ranges, and a missing table leaves that half of the defaults in place.
pub fn parse_wip_policy(text: &str) -> WipPolicy {
    let long = long_lines(text, 0);
    let tables = markdown_tables(text, &long);
    let mut policy = WipPolicy::defaults();
    policy.long_lines = long.into_iter().map(|(_, report)| report).collect();
    let mut errors = Vec::new();

    if let Some(table) = tables
        .iter()
        .find(|t| t.any_column(LIMIT_HEADERS).is_some())
        && let Some(limits) = read_limits(table, &mut errors)
    {
        policy.limits = limits;
        policy.limits_from_file = true;
    }
    if let Some(table) = tables
        .iter()
        .find(|t| t.any_column(TARGET_HEADERS).is_some())
        && let Some(slos) = read_slos(table, &mut errors)
    {
        policy.slos = slos;
        policy.slos_from_file = true;
    }
    policy.errors = errors;
    policy.approval_gates = read_gates(&tables);
    policy
}

/// The WIP table's rows, or `None` when the table has no Stage column to key them by.
fn read_limits(table: &RawTable, errors: &mut Vec<(String, TextRange)>) -> Option<Vec<WipLimit>> {
    let stage_at = stage_column(table, "WIP", errors)?;
    let limit_at = table.any_column(LIMIT_HEADERS)?;
    let scope_at = table.any_column(SCOPE_HEADERS);
    let mut limits: Vec<WipLimit> = Vec::new();
    for row in &table.rows {
        let Some(stage) = row_stage(row, stage_at, errors) else {
            continue;
        };
        if limits.iter().any(|seen| seen.stage == stage.0) {
            errors.push((format!("`{}` already has a WIP row", stage.0), stage.1));
            continue;
        }
        let Some(limit_cell) = required_cell(row, limit_at, "WIP Limit", errors) else {
            continue;
        };
        let Some(limit) = parse_limit(&limit_cell.text) else {
            errors.push((
                format!(
                    "cannot read WIP limit `{}`: expected a count such as `≤3`, or `None`",
                    limit_cell.text
                ),
                limit_cell.range,
            ));
            continue;
        };
        // A table without a Scope column states system-wide limits, the plain reading of a
        // bare number.
        let scope = match scope_at {
            None => LimitScope::SystemWide,
            Some(at) => {
                let Some(scope_cell) = required_cell(row, at, "Scope", errors) else {
                    continue;
                };
                let Some(scope) = parse_scope(&scope_cell.text) else {
                    errors.push((
                        format!(
                            "cannot read scope `{}`: expected `System-wide` or `Per DRI`",
                            scope_cell.text
                        ),
                        scope_cell.range,
                    ));
                    continue;
                };
                scope
            }
        };
        limits.push(WipLimit {
            stage: stage.0,
            limit,
            scope,
            range: row.range,
        });
    }
    Some(limits)
}

/// The SLO table's rows, or `None` when the table has no Stage column to key them by. An
/// unreadable duration only loses that field: the row's other duration is still useful.
fn read_slos(table: &RawTable, errors: &mut Vec<(String, TextRange)>) -> Option<Vec<SloTarget>> {
    let stage_at = stage_column(table, "SLO", errors)?;
    let target_at = table.any_column(TARGET_HEADERS)?;
    let violation_at = table.any_column(VIOLATION_HEADERS);
    let mut slos: Vec<SloTarget> = Vec::new();
    for row in &table.rows {
        let Some(stage) = row_stage(row, stage_at, errors) else {
            continue;
        };
        if slos.iter().any(|seen| seen.stage == stage.0) {
            errors.push((format!("`{}` already has an SLO row", stage.0), stage.1));
            continue;
        }
        let target = duration_cell(row, target_at, "SLO Target", errors);
        let violation =
            violation_at.and_then(|at| duration_cell(row, at, "Violation Threshold", errors));
        slos.push(SloTarget {
            stage: stage.0,
            target,
            violation,
            range: row.range,
        });
    }
    Some(slos)
}

fn stage_column(
    table: &RawTable,
    what: &str,
    errors: &mut Vec<(String, TextRange)>,
) -> Option<usize> {
    let found = table.column("Stage");
    if found.is_none() {
        errors.push((
            format!("the {what} table has no `Stage` column; using the defaults"),
            table.header.range,
        ));
    }
    found
}

/// The row's stage name and its range, or an error when it is missing or not a stage.
fn row_stage(
    row: &RawRow,
    at: usize,
    errors: &mut Vec<(String, TextRange)>,
) -> Option<(String, TextRange)> {
    let cell = required_cell(row, at, "Stage", errors)?;
    // Stage names are often written as code or in bold; the decoration carries no meaning.
    let stage = cell
        .text
        .trim_matches(|c: char| c == '`' || c == '*' || c == '_' || c.is_whitespace())
        .to_ascii_lowercase();
    if !STAGE_NAMES.contains(&stage.as_str()) {
        errors.push((
            format!(
                "unknown stage `{}`: expected one of {}",
                cell.text,
                STAGE_NAMES.join(", ")
            ),
            cell.range,
        ));
        return None;
    }
    Some((stage, cell.range))
}

/// The cell at `at`, or an error on the row when the row is too short or the cell is blank.
fn required_cell<'r>(
    row: &'r RawRow,
    at: usize,
    column: &str,
    errors: &mut Vec<(String, TextRange)>,
) -> Option<&'r Cell> {
    match row.cells.get(at) {
        Some(cell) if !cell.text.is_empty() => Some(cell),
        Some(cell) => {
            errors.push((format!("the `{column}` cell is empty"), cell.range));
            None
        }
        None => {
            errors.push((format!("the row has no `{column}` cell"), row.range));
            None
        }
    }
}

fn duration_cell(
    row: &RawRow,
    at: usize,
    column: &str,
    errors: &mut Vec<(String, TextRange)>,
) -> Option<SloDuration> {
    let cell = required_cell(row, at, column, errors)?;
    match parse_duration(&cell.text) {
        Ok(duration) => duration,
        Err(()) => {
            errors.push((
                format!(
                    "cannot read duration `{}`: expected e.g. `24 hours`, `7 days`, \
                     `2x effort estimate` or `N/A`",
                    cell.text
                ),
                cell.range,
            ));
            None
        }
    }
}

/// Words that mean "no value" in either table.
fn is_none_word(text: &str) -> bool {
    matches!(
        text,
        "" | "-" | "—" | "–" | "none" | "n/a" | "na" | "no limit" | "unlimited" | "∞"
    )
}

/// A WIP limit cell: `≤3`, `<=3`, `<4`, `3`, `3 tasks`; `None`, `N/A` and kin mean no limit.
/// The outer `None` means the cell could not be read.
fn parse_limit(text: &str) -> Option<Option<u32>> {
    let text = text.trim().to_lowercase();
    if is_none_word(&text) {
        return Some(None);
    }
    let (strict, rest) = if let Some(rest) = text
        .strip_prefix('≤')
        .or_else(|| text.strip_prefix("<="))
        .or_else(|| text.strip_prefix("max"))
    {
        (false, rest)
    } else if let Some(rest) = text.strip_prefix('<') {
        (true, rest)
    } else {
        (false, text.as_str())
    };
    let rest = rest.trim();
    let rest = rest
        .strip_suffix("tasks")
        .or_else(|| rest.strip_suffix("task"))
        .unwrap_or(rest)
        .trim();
    let count: u32 = rest.parse().ok()?;
    // `<4` allows three; `<0` allows nothing sensible and is rejected.
    Some(Some(if strict { count.checked_sub(1)? } else { count }))
}

fn parse_scope(text: &str) -> Option<LimitScope> {
    let normalized: String = text
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match normalized.as_str() {
        "system wide" | "systemwide" | "system" | "global" | "team" | "team wide" => {
            Some(LimitScope::SystemWide)
        }
        "per dri" | "dri" | "per person" | "per user" | "per assignee" => Some(LimitScope::PerDri),
        _ => None,
    }
}

/// An SLO cell: `24 hours`, `48h`, `7 days`, `2 weeks`, with an optional `>`/`≥` (a threshold
/// is "more than"), an optional trailing `(note)`, or `2x effort estimate`. `Immediate`,
/// `N/A`, `Varies by effort` and the like state no fixed duration: `Ok(None)`.
fn parse_duration(text: &str) -> Result<Option<SloDuration>, ()> {
    let mut text = text.trim().to_lowercase();
    if text.ends_with(')')
        && let Some(open) = text.rfind('(')
    {
        text.truncate(open);
    }
    let text = text.trim();
    if is_none_word(text) || text.starts_with("immediate") || text.starts_with("varies") {
        return Ok(None);
    }
    let text = [">=", "≥", ">", "<=", "≤", "<", "~", "≈"]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .unwrap_or(text)
        .trim_start();

    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, rest) = text.split_at(number_len);
    let number: f64 = number.parse().map_err(|_| ())?;
    let rest = rest.trim_start();

    if let Some(after) = rest.strip_prefix('x').or_else(|| rest.strip_prefix('×')) {
        if !after.trim_start().starts_with("effort") {
            return Err(());
        }
        return whole(number).map(|n| Some(SloDuration::EffortMultiple(n)));
    }
    let hours_per_unit = match rest {
        "h" | "hr" | "hrs" | "hour" | "hours" => 1.0,
        "d" | "day" | "days" => 24.0,
        "w" | "wk" | "wks" | "week" | "weeks" => 7.0 * 24.0,
        _ => return Err(()),
    };
    whole(number * hours_per_unit).map(|n| Some(SloDuration::Hours(n)))
}

/// `value` as a u32 when it is a whole number in range (`1.5 days` is fine, `1.5 hours` not).
fn whole(value: f64) -> Result<u32, ()> {
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SloDuration::{EffortMultiple, Hours};

    const POLICY: &str = "\
---
kind: policy
owner: platform | ops
---

# Flow limits for the Atlas team

We keep these lower than most teams; see the retro notes.

| Metric | Value |
|--------|-------|
| Team size | 4 |

## Limits

| Stage | WIP Limit | Scope | Why |
|-------|-----------|-------|-----|
| inbox | N/A | System-wide | triage is cheap |
| `next` | <=4 | Per DRI | short personal queues |
| **current** | ≤ 6 | system wide | pairing doubles capacity |
| integration | 2 | System-wide | one release train |
| learning | 1 | per-dri | one reflection at a time |
| archived | None | System-wide |  |

## Stage timing

| Stage | SLO Target | How it is measured | Violation Threshold |
|-------|------------|--------------------|---------------------|
| inbox | 12h | created to verified | >1 day |
| backlog | 5 days | verified to prioritized | >10 days |
| next | Immediate | pull on demand | N/A (pull-based) |
| current | Varies by effort | started to implemented | >3x effort estimate |
| integration | 36 hours | implemented to integrated | ≥ 1.5 days |
| learning | 2 days | integrated to documented | >1 week |
";

    #[test]
    fn reads_a_realistic_policy() {
        let text = POLICY;
        let policy = parse_wip_policy(text);
        assert!(policy.errors.is_empty(), "{:?}", policy.errors);
        assert!(policy.limits_from_file && policy.slos_from_file);

        let limits: Vec<(&str, Option<u32>, LimitScope)> = policy
            .limits
            .iter()
            .map(|l| (l.stage.as_str(), l.limit, l.scope))
            .collect();
        assert_eq!(
            limits,
            vec![
                ("inbox", None, LimitScope::SystemWide),
                ("next", Some(4), LimitScope::PerDri),
                ("current", Some(6), LimitScope::SystemWide),
                ("integration", Some(2), LimitScope::SystemWide),
                ("learning", Some(1), LimitScope::PerDri),
                ("archived", None, LimitScope::SystemWide),
            ]
        );
        assert_eq!(
            policy.limit("current").unwrap().range.slice(text),
            "| **current** | ≤ 6 | system wide | pairing doubles capacity |"
        );
        // The table replaces the defaults: backlog has no row, so no limit.
        assert_eq!(policy.limit("backlog"), None);

        let slos: Vec<(&str, Option<SloDuration>, Option<SloDuration>)> = policy
            .slos
            .iter()
            .map(|s| (s.stage.as_str(), s.target, s.violation))
            .collect();
        assert_eq!(
            slos,
            vec![
                ("inbox", Some(Hours(12)), Some(Hours(24))),
                ("backlog", Some(Hours(120)), Some(Hours(240))),
                ("next", None, None),
                ("current", None, Some(EffortMultiple(3))),
                ("integration", Some(Hours(36)), Some(Hours(36))),
                ("learning", Some(Hours(48)), Some(Hours(168))),
            ]
        );
        assert_eq!(
            policy.slo("next").unwrap().range.slice(text),
            "| next | Immediate | pull on demand | N/A (pull-based) |"
        );
    }

    #[test]
    fn defaults_when_tables_are_absent() {
        for text in [
            "",
            "# WIP policy\n\nTo be decided.\n",
            "| a | b |\n|---|---|\n| 1 | 2 |\n",
        ] {
            let policy = parse_wip_policy(text);
            assert_eq!(policy, WipPolicy::defaults(), "{text:?}");
        }
        let defaults = WipPolicy::defaults();
        let current = defaults.limit("current").unwrap();
        assert_eq!(
            (current.limit, current.scope),
            (Some(5), LimitScope::SystemWide)
        );
        let next = defaults.limit("next").unwrap();
        assert_eq!((next.limit, next.scope), (Some(3), LimitScope::PerDri));
        let learning = defaults.slo("learning").unwrap();
        assert_eq!(
            (learning.target, learning.violation),
            (Some(Hours(72)), Some(Hours(168)))
        );
        let current = defaults.slo("current").unwrap();
        assert_eq!(
            (current.target, current.violation),
            (None, Some(EffortMultiple(2)))
        );
    }

    #[test]
    fn only_the_present_table_overrides() {
        let text = "| Stage | SLO Target | Violation Threshold |\n|---|---|---|\n| inbox | 6 hours | >12 hours |\n";
        let policy = parse_wip_policy(text);
        assert!(!policy.limits_from_file);
        assert_eq!(policy.limits, WipPolicy::defaults().limits);
        assert!(policy.slos_from_file);
        assert_eq!(policy.slos.len(), 1);
        assert_eq!(policy.slos[0].violation, Some(Hours(12)));
    }

    #[test]
    fn unreadable_cells_are_reported_at_their_range() {
        let text = "\
| Stage | WIP Limit | Scope |
|---|---|---|
| current | five | System-wide |
| next | 3 | per team lead |
| review | 2 | System-wide |
| learning | 2 |
| integration | 3 | System-wide |
| integration | 4 | System-wide |

| Stage | SLO Target | Violation Threshold |
|---|---|---|
| inbox | soon | >2 fortnights |
| backlog | 3 days |  |
";
        let policy = parse_wip_policy(text);
        let errors: Vec<&str> = policy
            .errors
            .iter()
            .map(|(_, range)| range.slice(text))
            .collect();
        assert_eq!(
            errors,
            vec![
                "five",
                "per team lead",
                "review",
                "| learning | 2 |",
                "integration",
                "soon",
                ">2 fortnights",
                "",
            ]
        );
        assert!(policy.errors[2].0.contains("unknown stage `review`"));
        assert!(policy.errors[4].0.contains("already has a WIP row"));
        // Bad rows are skipped; the good one survives.
        let stages: Vec<&str> = policy.limits.iter().map(|l| l.stage.as_str()).collect();
        assert_eq!(stages, vec!["integration"]);
        assert_eq!(policy.limit("integration").unwrap().limit, Some(3));
        // Bad durations only lose their field.
        let inbox = policy.slo("inbox").unwrap();
        assert_eq!((inbox.target, inbox.violation), (None, None));
        assert_eq!(policy.slo("backlog").unwrap().target, Some(Hours(72)));
    }

    #[test]
    fn table_without_stage_column_keeps_defaults() {
        let text = "| WIP Limit | Scope |\n|---|---|\n| 3 | Per DRI |\n";
        let policy = parse_wip_policy(text);
        assert_eq!(policy.limits, WipPolicy::defaults().limits);
        assert!(!policy.limits_from_file);
        assert_eq!(policy.errors.len(), 1);
        assert_eq!(policy.errors[0].1.slice(text), "| WIP Limit | Scope |");
    }

    #[test]
    fn limit_spellings() {
        for (cell, expected) in [
            ("≤3", Some(Some(3))),
            ("<=3", Some(Some(3))),
            ("< 4", Some(Some(3))),
            ("3", Some(Some(3))),
            ("3 tasks", Some(Some(3))),
            ("None", Some(None)),
            ("N/A", Some(None)),
            ("-", Some(None)),
            ("<0", None),
            ("three", None),
            ("-3", None),
        ] {
            assert_eq!(parse_limit(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn duration_spellings() {
        for (cell, expected) in [
            ("24 hours", Ok(Some(Hours(24)))),
            ("48h", Ok(Some(Hours(48)))),
            ("7 days", Ok(Some(Hours(168)))),
            (">48 hours", Ok(Some(Hours(48)))),
            (">14 days", Ok(Some(Hours(336)))),
            ("2 weeks", Ok(Some(Hours(336)))),
            (">2x effort estimate", Ok(Some(EffortMultiple(2)))),
            ("2× effort", Ok(Some(EffortMultiple(2)))),
            ("Immediate", Ok(None)),
            ("N/A", Ok(None)),
            ("N/A (demand-driven)", Ok(None)),
            ("Varies by effort", Ok(None)),
            ("1.5 hours", Err(())),
            ("48", Err(())),
            ("2x coffee", Err(())),
            ("soon", Err(())),
            (">", Err(())),
        ] {
            assert_eq!(parse_duration(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "|",
            "| Stage | WIP Limit |\n|---|---|\n|",
            "| Stage | WIP Limit |\n|---|---|\n| current |",
            "| Stage | SLO Target |\n|---|---|\n| inbox | 99999999999 days |\n| next | (( |",
            "| Stage | WIP Limit | Scope |\r\n|-|-|-|\r\n| next | ≤ | é |\r\n",
        ] {
            let policy = parse_wip_policy(text);
            for (_, range) in &policy.errors {
                assert!(text.get(range.as_usize()).is_some(), "{text:?}");
            }
        }
    }
}
