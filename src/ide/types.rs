//! Plain result types of the analysis: rules, severities, diagnostics and the configuration
//! that shapes them. The LSP and CLI edges convert these; nothing here knows either.

use std::collections::HashMap;
use std::fmt;

use crate::base::TextRange;
use crate::db::{FileId, TaskIdx};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" | "information" => Some(Severity::Info),
            "hint" => Some(Severity::Hint),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! rules {
    ($($variant:ident => $name:literal, $severity:ident, $description:literal;)*) => {
        /// Every diagnostic rule of SPEC §3, by name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $($variant,)* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Rule::$variant => $description,)* }
            }
        }
    };
}

rules! {
    FrontmatterMissing => "frontmatter-missing", Error, "The card does not start with a `---` YAML block, or the block is never closed.";
    YamlSyntax => "yaml-syntax", Error, "The frontmatter is not valid YAML.";
    FieldMissing => "field-missing", Error, "A required frontmatter field is absent.";
    FieldType => "field-type", Error, "A frontmatter field has the wrong type (an unquoted number for task_id, a scalar where a list belongs).";
    InvalidValue => "invalid-value", Error, "A value lies outside its allowed set (stage, status, priority, effort, blocked_by prefix).";
    InvalidDate => "invalid-date", Error, "A date field is not a real YYYY-MM-DD date.";
    InvalidTaskRef => "invalid-task-ref", Error, "A task reference does not follow the task ID grammar.";
    UnknownField => "unknown-field", Hint, "A frontmatter key is neither in the schema nor a known extension (a warning when it looks like a typo).";
    MissingSection => "missing-section", Warning, "A required card section heading is absent.";
    EmptyAcceptanceCriteria => "empty-acceptance-criteria", Warning, "Acceptance Criteria has no checklist item.";
    TaskIdMismatch => "task-id-mismatch", Error, "task_id differs from the folder's ID or the card file's ID.";
    StageMismatch => "stage-mismatch", Error, "The stage field differs from the stage folder the task sits in.";
    PackageFileMissing => "package-file-missing", Error, "The task folder lacks its card, context or ledger.";
    PackageName => "package-name", Warning, "The folder or card file name does not follow TASK-<id>-<slug> / <id>-<slug>.task.md.";
    DuplicateTaskId => "duplicate-task-id", Error, "Two task folders carry the same ID.";
    IdCounterStale => "id-counter-stale", Error, "ID_COUNTER.txt is missing, unreadable, or not greater than the highest ID in use.";
    MissingDependency => "missing-dependency", Error, "A task reference names no existing task.";
    SelfDependency => "self-dependency", Error, "A task depends on itself.";
    DependencyCycle => "dependency-cycle", Error, "depends_on edges form a cycle.";
    CanceledDependency => "canceled-dependency", Warning, "The task depends on a canceled task and needs retargeting.";
    UnfinishedDependency => "unfinished-dependency", Warning, "A task in current depends on a task not yet in integration, learning or archived, with no concurrent_ok waiver.";
    UnlinkedInverse => "unlinked-inverse", Warning, "A lists B in blocks but B's depends_on lacks A, or the converse.";
    SplitLinkMismatch => "split-link-mismatch", Warning, "split_into and split_from do not point at each other.";
    WipLimit => "wip-limit", Error, "A stage holds more counted tasks than its WIP limit (hard limits are errors, soft ones warnings).";
    BlockedWithoutReason => "blocked-without-reason", Warning, "Status blocked without blocked_by, or blocked_by set while not blocked.";
    PausedWithoutReason => "paused-without-reason", Warning, "Status paused without paused_reason.";
    PriorityRequired => "priority-required", Warning, "A task in next or later has no priority.";
    EstimateRequired => "estimate-required", Warning, "A task in next or later has no effort_estimate.";
    TerminalStatusStage => "terminal-status-stage", Warning, "Status canceled or split outside archived.";
    SloExceeded => "slo-exceeded", Info, "Time in the current stage exceeds its SLO (a warning beyond the violation threshold).";
    LedgerJson => "ledger-json", Error, "A ledger line is not a JSON object.";
    LedgerFieldMissing => "ledger-field-missing", Error, "A required ledger event field is absent (a warning for desc).";
    LedgerTimestamp => "ledger-timestamp", Error, "ts is not an RFC 3339 timestamp with an offset.";
    LedgerOrder => "ledger-order", Warning, "An event's ts is earlier than the line before.";
    LedgerVersion => "ledger-version", Error, "The event's version is unsupported.";
    UnknownEvent => "unknown-event", Hint, "The event name is outside the FlowOS vocabulary.";
    LedgerStart => "ledger-start", Warning, "The first event is neither id_reserved nor created.";
    LedgerStageDrift => "ledger-stage-drift", Warning, "The ledger's last stage-entering event disagrees with the card's stage.";
    IndexMissingRow => "index-missing-row", Error, "A task has no row in its stage INDEX.md or the root INDEX.md.";
    IndexPhantomRow => "index-phantom-row", Error, "An index row names no task in that stage.";
    IndexDuplicateRow => "index-duplicate-row", Error, "The same task has two rows in one index.";
    IndexRowMismatch => "index-row-mismatch", Error, "An index row disagrees with its card.";
    IndexTable => "index-table", Error, "An INDEX.md has no task table with the expected columns.";
    IndexBrokenLink => "index-broken-link", Warning, "A link in an index row does not lead to the task it names.";
    UnknownNamespace => "unknown-namespace", Error, "A reference uses a namespace NAMESPACES.yaml does not declare.";
    InvalidEncoding => "invalid-encoding", Warning, "A file is not valid UTF-8; the bytes that are not were read as U+FFFD.";
    ResourceLimit => "resource-limit", Error, "A file, frontmatter block, line or YAML structure exceeds a safety cap; it was not (fully) analysed.";
    PendingProposal => "pending-proposal", Info, "An agent's proposal for the task waits for a person to approve or reject it (stale when the task changed since).";
    ProposalInvalid => "proposal-invalid", Error, "A proposals file line is not a valid proposal or decision record.";
    ApprovalPolicy => "approval-policy", Error, "The approval gates in wip.policy.md cannot be read (an unknown action, or a malformed line).";
}

impl Rule {
    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.name() == name)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The other end of a relation: a duplicate, a cycle edge, an index row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub file: FileId,
    pub range: TextRange,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: Rule,
    pub severity: Severity,
    pub file: FileId,
    pub range: TextRange,
    pub message: String,
    pub related: Vec<Related>,
    /// What the rule found that its fix acts on; None when the fix needs nothing beyond the
    /// diagnostic's file, or there is no fix.
    pub fix: Option<FixData>,
}

/// What a rule found, as data for its quick fix, so that the fix never works it out again
/// from the message (rewording a message must not kill a fix) or from the range. Each rule
/// that needs more than its diagnostic's file fills in its own variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixData {
    /// field-missing: the required field that is absent or blank.
    MissingField { key: &'static str },
    /// field-type: the field, and the item's position when it is an item of a list that is
    /// wrong.
    FieldType { key: String, item: Option<usize> },
    /// invalid-value: the field and the value the rule suggests instead.
    InvalidValue { key: String, suggestion: String },
    /// invalid-date: the field and its date written YYYY-MM-DD.
    InvalidDate { key: String, date: String },
    /// missing-section: the title of the required section that is absent.
    MissingSection { title: &'static str },
    /// index-missing-row: the task and the index that lacks its row.
    MissingRow { task: TaskIdx, index: FileId },
    /// pending-proposal: the task, the proposal's number, and whether the task changed since
    /// it was made (a stale proposal can only be rejected).
    Proposal {
        task: TaskIdx,
        number: u32,
        stale: bool,
    },
}

impl Diagnostic {
    /// A diagnostic at the rule's default severity; configuration is applied afterwards.
    pub fn new(rule: Rule, file: FileId, range: TextRange, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            severity: rule.default_severity(),
            file,
            range,
            message: message.into(),
            related: Vec::new(),
            fix: None,
        }
    }

    /// Hands the rule's findings to its fix.
    pub fn with_fix(mut self, fix: FixData) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_related(
        mut self,
        file: FileId,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            file,
            range,
            message: message.into(),
        });
        self
    }
}

/// User settings that shape the analysis.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Per-rule severity overrides; `None` switches the rule off.
    pub rule_overrides: HashMap<Rule, Option<Severity>>,
    /// Event names accepted in addition to the methodology's vocabulary.
    pub extra_events: Vec<String>,
    /// "Now" in seconds since the epoch: SLOs and times in stage are measured to it and the
    /// events a change writes are stamped with it. The edge reads the clock (or `--now`,
    /// `FLOWOS_NOW`) and sets it; the analysis never reads the clock itself.
    pub now: i64,
    /// Who acts (`flowos.user`, `--user`, `FLOWOS_USER`); None falls back to the card's
    /// `current_dri` where an event needs a name.
    pub user: Option<String>,
}

impl Config {
    /// The severity `diagnostic` ends up with, or None when its rule is switched off. Rules
    /// with two default severities (wip-limit, unknown-field) keep the one they chose unless
    /// the user overrides the rule.
    pub fn effective_severity(&self, diagnostic: &Diagnostic) -> Option<Severity> {
        match self.rule_overrides.get(&diagnostic.rule) {
            Some(overridden) => *overridden,
            None => Some(diagnostic.severity),
        }
    }
}

/// The most items one answer lists (references): beyond any list a person reads, and a bound
/// on what one request may cost whatever the workspace holds. (Each listed item costs the
/// protocol edge about 3 KB on its way out, in JSON values and text.)
pub const MAX_LISTED: usize = 2_000;

/// How many items an answer about one file lists: one per KB of its text, `MAX_LISTED` at
/// least. An item costs the protocol edge about 2.5 KB on its way out (JSON values, then
/// text), so the answer stays within a few times the file's size whatever it holds.
pub fn per_kb_limit(text: &str) -> usize {
    MAX_LISTED.max(text.len() / 1024)
}

/// An answer's items, at most a limit of them, and how many there were in all, so the edge
/// can say when the list was cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: usize,
}

impl<T> Listed<T> {
    /// The first `limit` of `items`; the rest are only counted.
    pub fn first_of(items: impl Iterator<Item = T>, limit: usize) -> Listed<T> {
        let mut items = items;
        let kept: Vec<T> = items.by_ref().take(limit).collect();
        let total = kept.len() + items.count();
        Listed { items: kept, total }
    }

    /// Whether some items were left out.
    pub fn is_cut(&self) -> bool {
        self.total > self.items.len()
    }
}

#[cfg(test)]
mod listed_tests {
    use super::*;

    #[test]
    fn a_long_list_is_cut_and_counted() {
        let listed = Listed::first_of(0..MAX_LISTED + 5, MAX_LISTED);
        assert_eq!(listed.items.len(), MAX_LISTED);
        assert_eq!(listed.total, MAX_LISTED + 5);
        assert!(listed.is_cut());
        let short = Listed::first_of(0..3, MAX_LISTED);
        assert!(!short.is_cut());
        assert_eq!((short.items, short.total), (vec![0, 1, 2], 3));
    }
}
