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
    ($($variant:ident,)*) => {
        /// Every diagnostic rule of SPEC §3. What each is called, its default severity, summary
        /// and documentation are declared by the module that checks it (a `RuleDoc` beside the
        /// check) and looked up through `ide::diagnostics::catalogue`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $($variant,)* }

        impl Rule {
            /// Every rule, in catalogue order (`flowos-lsp rules`, docs/rules.md).
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];
        }
    };
}

// A new rule adds its name here (its one registration line) and a `RuleDoc` in its module.
rules! {
    FrontmatterMissing,
    YamlSyntax,
    FieldMissing,
    FieldType,
    InvalidValue,
    InvalidDate,
    InvalidTaskRef,
    UnknownField,
    MissingSection,
    EmptyAcceptanceCriteria,
    TaskIdMismatch,
    StageMismatch,
    PackageFileMissing,
    PackageName,
    DuplicateTaskId,
    IdCounterStale,
    MissingDependency,
    SelfDependency,
    DependencyCycle,
    CanceledDependency,
    UnfinishedDependency,
    UnlinkedInverse,
    SplitLinkMismatch,
    WipLimit,
    BlockedWithoutReason,
    PausedWithoutReason,
    PriorityRequired,
    EstimateRequired,
    TerminalStatusStage,
    SloExceeded,
    LedgerJson,
    LedgerFieldMissing,
    LedgerTimestamp,
    LedgerOrder,
    LedgerVersion,
    UnknownEvent,
    LedgerStart,
    LedgerStageDrift,
    LedgerStatusDrift,
    IndexMissingRow,
    IndexPhantomRow,
    IndexDuplicateRow,
    IndexRowMismatch,
    IndexTable,
    IndexBrokenLink,
    UnknownNamespace,
    InvalidEncoding,
    ResourceLimit,
    PendingProposal,
    ProposalInvalid,
    ApprovalPolicy,
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
    /// pending-proposal on a task draft: the tasks root whose drafts file holds it, and its
    /// number.
    Draft { root: usize, number: u32 },
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
