//! Benchmark workspace generator: a deterministic, realistic FlowOS `.work/tasks` tree.
//!
//! `generate(folder, options)` writes `folder/.work/tasks/` (replacing whatever is there) with
//! `options.tasks` task packages (card, context, ledger, sometimes a learning file), the stage
//! and root INDEX.md files, the ID counter(s), a wip.policy.md and, with `namespaces`, a
//! NAMESPACES.yaml for the unified layout (`inbox/TASK-FW-0001-x/`).
//!
//! The tree is a function of the options alone (a splitmix64 stream per task, no clock, no
//! hash-map order), so the same seed gives a byte-identical tree. Without faults it checks
//! clean at [`NOW`]: every ledger timestamp lies before it, and in-flight tasks entered their
//! stage recently enough that no SLO is exceeded at that moment. With `faults: K`, K faults
//! are injected, cycling through [`FAULT_RULES`] (each rule once before any repeats; rules
//! that can only happen once per tree are not repeated), each on its own task, and each is
//! listed in [`Summary::faults`] with the file its diagnostic lands on.
//!
//! With `noisy`, the tree is what a long-lived team's looks like (SPEC §7's noisy workspace):
//! besides the faults, most tasks carry drift of their own (see [`Noise`]): custom frontmatter
//! keys, events from other tools in the ledgers, stale name and DRI cells in the indexes,
//! SLOs exceeded, dependencies on canceled tasks nobody retargeted, one-sided `blocks`
//! links, a missing section here and there. At 10,000 tasks that is about 45,000 warnings,
//! hints and infos over about 11,000 files, and no extra errors.
//!
//! Shared by `benches/budgets.rs` and `examples/generate.rs` through `#[path]`; std only.

// Each including target uses a different part of this module.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The moment to check a generated tree at (`check --now`, `FLOWOS_NOW`): after every ledger
/// event, and close enough to the in-flight tasks' stage entries that no SLO fires.
pub const NOW: &str = "2026-12-31T00:00:00Z";

pub struct Options {
    /// Number of task packages.
    pub tasks: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Number of faults to inject (0: a clean tree).
    pub faults: usize,
    /// Unified namespaced layout (`TASK-FW-0001`), with two or three namespaces.
    pub namespaces: bool,
    /// A long-lived team's tree (SPEC §7's noisy workspace): on top of the plan (and of any
    /// faults, which keep their own tasks), most tasks carry the drift such a tree gathers,
    /// giving tens of thousands of warnings and hints over most files (see [`Noise`]).
    pub noisy: bool,
}

pub struct Summary {
    pub tasks: usize,
    pub files: usize,
    pub bytes: u64,
    /// `(rule, path)` of each injected fault; the path is relative to `root`.
    pub faults: Vec<(String, String)>,
    /// The `.work/tasks` folder.
    pub root: PathBuf,
}

/// The rules faults are injected for, in the order they are used.
pub const FAULT_RULES: &[&str] = &[
    "missing-dependency",
    "dependency-cycle",
    "stage-mismatch",
    "field-type",
    "invalid-value",
    "ledger-json",
    "ledger-order",
    "index-missing-row",
    "index-row-mismatch",
    "duplicate-task-id",
    "unknown-field",
    "missing-section",
    "self-dependency",
    "invalid-date",
    "empty-acceptance-criteria",
    "package-file-missing",
    "index-phantom-row",
    "unlinked-inverse",
    "ledger-timestamp",
    "blocked-without-reason",
    "paused-without-reason",
    "priority-required",
    "estimate-required",
    "terminal-status-stage",
    "ledger-start",
    "ledger-stage-drift",
    "ledger-field-missing",
    "ledger-version",
    "index-duplicate-row",
    "invalid-task-ref",
    "task-id-mismatch",
    "unfinished-dependency",
    "canceled-dependency",
    "split-link-mismatch",
    "slo-exceeded",
    "wip-limit",
    "id-counter-stale",
    "unknown-event",
    "frontmatter-missing",
    "yaml-syntax",
    "field-missing",
    "package-name",
    "unknown-namespace",
];

/// Rules that concern the tree as a whole and are injected at most once.
const ONCE_ONLY: &[&str] = &["wip-limit", "id-counter-stale"];

// ---------------------------------------------------------------------------------------------
// Randomness and time

/// splitmix64: tiny, fast, and good enough for varied text.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    /// An independent stream for one purpose (e.g. one task), whatever was drawn before.
    fn fork(seed: u64, salt: u64) -> Rng {
        let mut rng = Rng(seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() >> 11) % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..hi` (hi > lo).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo).max(1) as u64) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn now_secs() -> i64 {
    days_from_civil(2026, 12, 31) * DAY
}

/// `2026-03-04T09:30:00Z`
fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    let s = secs.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / HOUR,
        s % HOUR / MINUTE,
        s % MINUTE
    )
}

/// `2026-03-04`
fn date(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

// ---------------------------------------------------------------------------------------------
// Vocabulary (the generator's own; varied enough that cards do not look stamped out)

const HANDLES: &[&str] = &[
    "@ana", "@ben", "@chen", "@dara", "@eli", "@fatima", "@gus", "@hana", "@ivan", "@jun", "@kofi",
    "@lena", "@mateo", "@nadia", "@omar", "@priya", "@quinn", "@rosa", "@sami", "@tariq", "@uma",
    "@viktor", "@wen", "@xavi", "@yara", "@zeno", "@aiko", "@bruno", "@carla", "@dev", "@elif",
    "@finn", "@greta", "@hugo", "@ines", "@jonas", "@kira", "@liam", "@maya", "@noor",
];

const VERBS: &[&str] = &[
    "Add",
    "Build",
    "Migrate",
    "Refactor",
    "Harden",
    "Document",
    "Automate",
    "Replace",
    "Cache",
    "Instrument",
    "Validate",
    "Streamline",
    "Expose",
    "Retire",
    "Audit",
    "Speed up",
    "Localize",
    "Backfill",
    "Deduplicate",
    "Redesign",
];

const OBJECTS: &[&str] = &[
    "billing webhook",
    "search index",
    "invoice export",
    "session store",
    "audit log",
    "feature flags",
    "retry queue",
    "rate limiter",
    "onboarding flow",
    "settings page",
    "notification digest",
    "report scheduler",
    "image pipeline",
    "access tokens",
    "tenant config",
    "payment ledger",
    "sync worker",
    "metrics dashboard",
    "error budget alerts",
    "backup job",
    "CSV importer",
    "mobile deep links",
    "password reset",
    "team invitations",
    "usage quotas",
    "API pagination",
    "dark mode",
    "release checklist",
    "support inbox",
    "data retention",
];

const QUALIFIERS: &[&str] = &[
    "",
    "",
    "",
    " for enterprise tenants",
    " in the EU region",
    " behind a flag",
    " for the mobile app",
    " v2",
    " with idempotency keys",
    " for the admin console",
];

const TAGS: &[&str] = &[
    "backend",
    "frontend",
    "api",
    "mobile",
    "billing",
    "search",
    "infra",
    "security",
    "data",
    "docs",
    "observability",
    "performance",
    "ux",
    "ops",
];

const TEAMS: &[&str] = &[
    "payments", "growth", "platform", "mobile", "support", "data", "security",
];
const METRICS: &[&str] = &[
    "p95 latency",
    "error rate",
    "queue depth",
    "cold start time",
    "memory footprint",
    "retry count",
    "page weight",
];
const QUALITIES: &[&str] = &[
    "reliable under load",
    "observable end to end",
    "cheap to change",
    "safe to retry",
    "fast enough for interactive use",
];
const BENEFICIARIES: &[&str] = &[
    "customers",
    "the support team",
    "on-call engineers",
    "finance",
    "the mobile team",
    "new tenants",
];
const ACTIONS: &[&str] = &[
    "rely on it without a workaround",
    "answer questions without escalating",
    "ship changes on a Friday",
    "see what happened and when",
];
const PROBLEMS: &[&str] = &[
    "can time out under peak load",
    "must be configured by hand on every deploy",
    "cannot be tested without a full copy of production",
    "must stay in sync with logic in three other services",
    "may log too little to debug an incident",
    "can hold up a release for a day",
];
const CONSEQUENCES: &[&str] = &[
    "costs the on-call rotation a few hours each week",
    "makes support tickets take days to resolve",
    "keeps us from onboarding larger customers",
    "hides regressions until customers report them",
];
const TECHNIQUES: &[&str] = &[
    "a write-ahead outbox",
    "idempotency keys",
    "a token bucket",
    "batched writes",
    "a read-through cache",
    "structured logging",
    "a circuit breaker",
    "schema versioning",
    "contract tests",
    "a background worker",
];
const EDGES: &[&str] = &[
    "empty inputs",
    "duplicate deliveries",
    "clock skew",
    "partial failures",
    "very large tenants",
    "concurrent edits",
    "expired tokens",
];
const SYSTEMS: &[&str] = &[
    "the staging cluster",
    "the billing sandbox",
    "the analytics warehouse",
    "the shared Postgres cluster",
    "the message broker",
    "the CDN configuration",
];
const DOCS: &[&str] = &[
    "design note",
    "RFC",
    "runbook",
    "API contract",
    "threat model",
    "migration plan",
];

const GOAL: &[&str] = &[
    "Make the {o} {q} so that {b} can {a}.",
    "Today the {o} {p}, which {c}.",
    "The aim is a version of the {o} that {b} can trust without asking the {team} team first.",
    "Once this lands, {m} for the {o} should drop noticeably and stay there.",
    "This replaces the manual steps around the {o} with something we can test and monitor.",
];
const INPUTS: &[&str] = &[
    "Access to {sys}",
    "The {doc} for the {o} from {d}",
    "Current {m} figures for the last {n} days",
    "Sign-off from the {team} team on the interface",
    "Sample data set with {n} records, anonymised",
    "The existing {doc} for {O}",
];
const STEPS: &[&str] = &[
    "Measure {m} of the {o} today and record the baseline in the {doc}.",
    "Introduce {tech} behind a feature flag, off by default.",
    "Cover {edge} with property tests before touching the old code path.",
    "Migrate existing records in batches of {n}, with a dry-run mode first.",
    "Add a dashboard panel and an alert for {m}.",
    "Pair with {d} on the review; they know how {O} behaves under load.",
    "Remove the old path once the flag has been on for {n} days without incidents.",
    "Write the {doc} update alongside the code so reviewers see both.",
];
const NOTES: &[&str] = &[
    "The {O} shares the same tables, so the migration has to keep both readable.",
    "The {team} team asked for a heads-up a day before the flag is switched on.",
    "We tried {tech} once before, in the {O}; the lesson was to measure {m} first.",
    "Rollback is a flag flip; no data migration runs until the flag has been on for a week.",
    "If {edge} turn out to be common, we will split this task rather than grow it.",
    "Load tests run against {sys} with {n} synthetic tenants.",
    "{d} owns the on-call rotation for the {O} and wants to review the alert thresholds.",
    "Support sees about {n} tickets a month that trace back to the {o}.",
    "The first version only needs to handle the common path; {edge} can come in a follow-up.",
    "Staging data is older than production, so numbers from {sys} understate {m}.",
    "A spike in {m} last month was the trigger for this task.",
];
const OUTPUTS: &[&str] = &[
    "Changes to the {o} merged and deployed to production",
    "The {doc} updated with the new failure modes",
    "A dashboard panel for {m}",
    "A migration script with a dry-run flag",
    "A release note for the {team} team",
];
const CRITERIA: &[&str] = &[
    "The {m} of the {o} stays under the agreed budget for {n} days",
    "No data is lost when a worker restarts in the middle of a batch",
    "An alert fires within {n} minutes of a failure",
    "Tests cover {edge}",
    "The {doc} was reviewed by {d}",
    "Rolling back takes one flag flip and no data fix",
];
const BACKGROUND: &[&str] = &[
    "The first version of the {o} went live {n} months ago as a stopgap; {b} now rely on it every day.",
    "Today the {o} {p}, which {c}.",
    "Most of the traffic comes from a handful of large tenants, so averages hide the worst cases; look at {m} per tenant.",
    "The {team} team owns the neighbouring {O} and will review anything that changes its contract.",
    "An incident review last quarter traced a customer-visible outage to {edge} in the {o}.",
];
const CONSTRAINTS: &[&str] = &[
    "No downtime: the change rolls out behind a flag, tenant by tenant.",
    "Personal data stays in the region it was collected in.",
    "The public API keeps its current shape until the next major version.",
    "Budget: no new managed services without a note to the {team} team.",
    "Everything new must be observable: logs, a metric for {m}, and an alert.",
];
const DECISIONS: &[&str] = &[
    "use {tech} rather than a new service",
    "measure {m} before and after, on {sys}",
    "keep the old path for {n} days after the switch",
    "let the {team} team review the {doc} before implementation",
];
const LEARNED: &[&str] = &[
    "Measuring {m} first made the review short: the numbers answered most questions.",
    "The flag let us roll back twice without a data fix.",
    "We underestimated {edge}; next time we write those tests first.",
    "Pairing with {d} saved a day on the {O} side.",
    "The {doc} went stale during the work; updating it in the same PR would have been cheaper.",
];
const BLOCKERS: &[&str] = &[
    "external:Vendor sandbox credentials not issued yet",
    "decision:Pricing committee to choose between the two tier models",
    "info:Finance to send sample exports for the edge cases",
    "external:Security review slot booked for next month",
];
const PAUSE_REASONS: &[&str] = &[
    "Owner on leave; resumes after the holidays",
    "Waiting for the quarterly planning outcome before investing more",
    "Superseded in priority by incident follow-ups; resume next cycle",
];
const CANCEL_REASONS: &[&str] = &[
    "superseded: the vendor now offers this out of the box",
    "no longer needed after the product change in the autumn",
    "duplicate of work already planned in another task",
];

/// Text values for one task's templates.
struct Ctx<'a> {
    object: &'a str,
    dri: &'a str,
}

/// Appends `template` with its `{token}`s filled, first letter capitalized.
fn fill(out: &mut String, template: &str, ctx: &Ctx, rng: &mut Rng) {
    let start = out.len();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("template token is closed");
        match &rest[open + 1..close] {
            "o" => out.push_str(ctx.object),
            "O" => out.push_str(rng.pick(OBJECTS)),
            "team" => out.push_str(rng.pick(TEAMS)),
            "m" => out.push_str(rng.pick(METRICS)),
            "q" => out.push_str(rng.pick(QUALITIES)),
            "b" => out.push_str(rng.pick(BENEFICIARIES)),
            "a" => out.push_str(rng.pick(ACTIONS)),
            "p" => out.push_str(rng.pick(PROBLEMS)),
            "c" => out.push_str(rng.pick(CONSEQUENCES)),
            "tech" => out.push_str(rng.pick(TECHNIQUES)),
            "edge" => out.push_str(rng.pick(EDGES)),
            "sys" => out.push_str(rng.pick(SYSTEMS)),
            "doc" => out.push_str(rng.pick(DOCS)),
            "d" => out.push_str(ctx.dri),
            "n" => {
                let _ = write!(out, "{}", 2 + rng.below(60));
            }
            other => panic!("unknown template token {other}"),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    if out[start..].starts_with(|c: char| c.is_ascii_lowercase()) {
        out[start..start + 1].make_ascii_uppercase();
    }
}

/// A paragraph of `sentences` sentences drawn from `templates`, none twice in a row.
fn paragraph(out: &mut String, templates: &[&str], sentences: usize, ctx: &Ctx, rng: &mut Rng) {
    let mut at = rng.below(templates.len());
    for k in 0..sentences {
        if k > 0 {
            out.push(' ');
        }
        fill(out, templates[at % templates.len()], ctx, rng);
        at += 1 + rng.below(2);
    }
    out.push_str("\n\n");
}

/// `count` list items from `templates` (distinct while there are enough), each after `marker`.
fn list(
    out: &mut String,
    marker: &str,
    templates: &[&str],
    count: usize,
    ctx: &Ctx,
    rng: &mut Rng,
) {
    let first = rng.below(templates.len());
    for k in 0..count {
        out.push_str(marker);
        fill(out, templates[(first + k) % templates.len()], ctx, rng);
        out.push('\n');
    }
}

// ---------------------------------------------------------------------------------------------
// The model

const STAGES: [&str; 7] = {
    use flowos_lsp::db::vocab::Stage;
    let mut names = [""; 7];
    let mut at = 0;
    while at < 7 {
        names[at] = Stage::ALL[at].name();
        at += 1;
    }
    names
};
const INBOX: usize = 0;
const BACKLOG: usize = 1;
const NEXT: usize = 2;
const CURRENT: usize = 3;
const INTEGRATION: usize = 4;
const LEARNING: usize = 5;
const ARCHIVED: usize = 6;

// The crate's own status vocabulary, so generated cards use exactly what the checker reads.
use flowos_lsp::db::vocab::Status;

const EFFORTS: &[&str] = &["XS", "S", "M", "M", "L", "L", "XL", "2", "3", "5"];

fn effort_days(effort: &str) -> i64 {
    match effort {
        "XS" => 1,
        "S" => 2,
        "M" => 3,
        "L" => 5,
        "XL" => 8,
        other => other.parse().unwrap_or(1),
    }
}

/// Namespaces for the unified layout: key, display name, description.
const NAMESPACES: &[(&str, &str, &str)] = &[
    (
        "FW",
        "Field Web",
        "The customer-facing web product and its APIs",
    ),
    (
        "PLAT",
        "Platform",
        "Shared infrastructure, data stores and tooling",
    ),
    ("APP", "Mobile App", "The iOS and Android applications"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    /// Reserved as the other end of a fault on another task.
    Partner,
    MissingDependency,
    DependencyCycle,
    StageMismatch,
    FieldType,
    InvalidValue,
    LedgerJson,
    LedgerOrder,
    IndexMissingRow,
    IndexRowMismatch,
    DuplicateTaskId,
    UnknownField,
    MissingSection,
    SelfDependency,
    InvalidDate,
    EmptyAcceptanceCriteria,
    PackageFileMissing,
    IndexPhantomRow,
    UnlinkedInverse,
    LedgerTimestamp,
    BlockedWithoutReason,
    PausedWithoutReason,
    PriorityRequired,
    EstimateRequired,
    TerminalStatusStage,
    LedgerStart,
    LedgerStageDrift,
    LedgerFieldMissing,
    LedgerVersion,
    IndexDuplicateRow,
    InvalidTaskRef,
    TaskIdMismatch,
    UnfinishedDependency,
    CanceledDependency,
    SplitLinkMismatch,
    SloExceeded,
    UnknownEvent,
    FrontmatterMissing,
    YamlSyntax,
    FieldMissing,
    PackageName,
    UnknownNamespace,
}

struct Task {
    ns: Option<usize>,
    number: u32,
    stage: usize,
    status: Status,
    /// For canceled tasks: the stage they were canceled from.
    canceled_from: usize,
    dri: usize,
    creator: usize,
    name: String,
    slug: String,
    object: usize,
    priority: Option<u8>,
    effort: Option<&'static str>,
    deps: Vec<usize>,
    blocks: Vec<usize>,
    related: Vec<usize>,
    split_from: Option<usize>,
    split_into: Vec<usize>,
    blocked_by: Option<&'static str>,
    paused_reason: Option<&'static str>,
    learning_file: bool,
    hub: bool,
    created: i64,
    fault: Option<Fault>,
    /// Raw references written into depends_on (and the index row) beyond `deps` (faults).
    extra_deps: Vec<String>,
    /// Raw references written into blocks beyond `blocks` (faults).
    extra_blocks: Vec<String>,
    /// Raw references written into related_to beyond `related` (faults).
    extra_related: Vec<String>,
    /// The drift of a noisy tree on this task (empty in a quiet one).
    noise: Noise,
}

impl Task {
    /// `0042` or `FW-0042`
    fn short(&self) -> String {
        match self.ns {
            Some(ns) => format!("{}-{:04}", NAMESPACES[ns].0, self.number),
            None => format!("{:04}", self.number),
        }
    }

    /// `TASK-0042` or `TASK-FW-0042`
    fn full(&self) -> String {
        format!("TASK-{}", self.short())
    }

    fn folder(&self) -> String {
        format!("{}/TASK-{}-{}", STAGES[self.stage], self.short(), self.slug)
    }

    fn card_name(&self) -> String {
        format!("{}-{}.task.md", self.short(), self.slug)
    }

    fn card_path(&self) -> String {
        format!("{}/{}", self.folder(), self.card_name())
    }

    fn ledger_path(&self) -> String {
        format!("{}/{}.ledger.jsonl", self.folder(), self.short())
    }

    fn finished(&self) -> bool {
        self.stage >= INTEGRATION
    }

    /// Can others depend on this task without a warning?
    fn dependable(&self) -> bool {
        !matches!(self.status, Status::Canceled | Status::Split)
    }

    fn plain(&self) -> bool {
        self.status == Status::Active
            && self.split_from.is_none()
            && self.split_into.is_empty()
            && !self.hub
            && self.fault.is_none()
    }

    fn flags(&self) -> &'static str {
        match self.status {
            Status::Blocked => "blocked",
            Status::Paused => "paused",
            Status::Split => "split",
            _ if self.priority == Some(0) => "P0",
            _ => "-",
        }
    }
}

/// Everything `generate` decides before writing.
struct Plan {
    tasks: Vec<Task>,
    namespaces: usize,
    /// Rule and path of each injected fault.
    faults: Vec<(String, String)>,
    counter_stale: bool,
    /// Extra index rows: (stage index, task) for index-phantom-row.
    phantom_rows: Vec<(usize, usize)>,
}

// ---------------------------------------------------------------------------------------------
// Generation

pub fn generate(folder: &Path, options: &Options) -> io::Result<Summary> {
    let plan = plan(options);
    let root = folder.join(".work").join("tasks");
    if root.exists() {
        fs::remove_dir_all(&root)?;
    }
    let mut writer = Writer {
        root: root.clone(),
        files: 0,
        bytes: 0,
    };
    write_tree(&plan, options.seed, &mut writer)?;
    Ok(Summary {
        tasks: plan.tasks.len(),
        files: writer.files,
        bytes: writer.bytes,
        faults: plan.faults,
        root,
    })
}

struct Writer {
    root: PathBuf,
    files: usize,
    bytes: u64,
}

impl Writer {
    fn dir(&self, rel: &str) -> io::Result<()> {
        fs::create_dir_all(self.root.join(rel))
    }

    fn file(&mut self, rel: &str, text: &str) -> io::Result<()> {
        fs::write(self.root.join(rel), text)?;
        self.files += 1;
        self.bytes += text.len() as u64;
        Ok(())
    }
}

fn plan(options: &Options) -> Plan {
    let n = options.tasks;
    let seed = options.seed;
    let mut rng = Rng::new(seed);

    // Which faults, in order.
    let usable: Vec<&str> = FAULT_RULES
        .iter()
        .copied()
        .filter(|rule| options.namespaces || *rule != "unknown-namespace")
        .collect();
    let mut rules: Vec<&str> = Vec::new();
    for k in 0..options.faults {
        let rule = usable[k % usable.len()];
        if k >= usable.len() && ONCE_ONLY.contains(&rule) {
            continue;
        }
        rules.push(rule);
    }
    let wip_fault = rules.contains(&"wip-limit");

    // Stage counts: a few in flight, the rest archived.
    let ndri = (n / 300).clamp(6, HANDLES.len());
    let mut budget = n.saturating_sub(n / 4).max(n.min(1));
    let mut take = |want: usize| {
        let got = want.min(budget);
        budget -= got;
        got
    };
    let current = take(5.min(n / 4).max(1));
    let integration = take(if wip_fault { 4 } else { 3.min(n / 8).max(1) });
    let learning = take((n / 500).clamp(1, 2 * ndri));
    let next = take((n / 250).max(3).min(3 * ndri));
    let backlog = take((n / 50).max(8));
    let inbox = take((n / 100).max(4));
    let mut stage_of = vec![ARCHIVED; n];
    // Inbox holds the newest tasks; the other in-flight stages draw from a recent window.
    for stage in stage_of.iter_mut().skip(n - inbox) {
        *stage = INBOX;
    }
    let others = [
        (LEARNING, learning),
        (INTEGRATION, integration),
        (CURRENT, current),
        (NEXT, next),
        (BACKLOG, backlog),
    ];
    let in_flight: usize = others.iter().map(|(_, count)| count).sum();
    let end = n - inbox;
    let window = (n * 15 / 100).max(in_flight * 3).min(end);
    let mut pool: Vec<usize> = (end - window..end).collect();
    for (stage, count) in others {
        for _ in 0..count {
            let at = rng.below(pool.len());
            let index = pool.swap_remove(at);
            stage_of[index] = stage;
        }
    }

    // Namespaces and numbers (per namespace, in creation order).
    let namespaces = if options.namespaces {
        2 + rng.below(2)
    } else {
        0
    };
    let mut counters = vec![0u32; namespaces.max(1)];

    // Creation times: spread over the year in ID order; inbox tasks within the last day.
    let start = days_from_civil(2026, 1, 5) * DAY + 8 * HOUR;
    let span = days_from_civil(2026, 11, 30) * DAY - start;
    let now = now_secs();
    let slot = span / n.max(1) as i64;

    let mut tasks: Vec<Task> = Vec::with_capacity(n);
    let mut next_rr = 0usize;
    let mut learning_rr = 0usize;
    let dri_order: Vec<usize> = {
        let mut order: Vec<usize> = (0..ndri).collect();
        for k in (1..order.len()).rev() {
            order.swap(k, rng.below(k + 1));
        }
        order
    };
    let mut inbox_seen = 0usize;
    for (i, &stage) in stage_of.iter().enumerate() {
        let mut t_rng = Rng::fork(seed, i as u64 + 1);
        let ns = (namespaces > 0).then(|| {
            // Uneven team sizes: the first namespace is the busiest.
            let roll = t_rng.below(10);
            match namespaces {
                2 => usize::from(roll >= 6),
                _ => [0, 0, 0, 0, 0, 1, 1, 1, 2, 2][roll],
            }
        });
        let counter = &mut counters[ns.unwrap_or(0)];
        *counter += 1;
        let number = *counter;
        let object = t_rng.below(OBJECTS.len());
        let name = format!(
            "{} {}{}",
            t_rng.pick(VERBS),
            OBJECTS[object],
            t_rng.pick(QUALIFIERS)
        );
        let slug = slugify(&name);
        let dri = match stage {
            NEXT => {
                next_rr += 1;
                dri_order[(next_rr - 1) % ndri]
            }
            LEARNING => {
                learning_rr += 1;
                dri_order[(learning_rr - 1) % ndri]
            }
            _ => t_rng.below(ndri),
        };
        let creator = if t_rng.chance(0.6) {
            dri
        } else {
            t_rng.below(ndri)
        };
        let created = if stage == INBOX {
            inbox_seen += 1;
            let step = 20 * HOUR / (inbox as i64 + 1);
            now - 22 * HOUR + step * inbox_seen as i64 + t_rng.range(0, step.max(2) / 2)
        } else {
            start + slot * i as i64 + t_rng.range(0, (slot * 9 / 10).max(2))
        };
        let priority = match stage {
            INBOX => None,
            BACKLOG if t_rng.chance(0.5) => None,
            _ => Some(match t_rng.below(100) {
                0 => 0,
                1..=20 => 1,
                21..=65 => 2,
                66..=90 => 3,
                _ => 4,
            }),
        };
        let effort = match stage {
            INBOX if t_rng.chance(0.8) => None,
            BACKLOG if t_rng.chance(0.4) => None,
            _ => Some(t_rng.pick(EFFORTS)),
        };
        tasks.push(Task {
            ns,
            number,
            stage,
            status: Status::Active,
            canceled_from: stage,
            dri,
            creator,
            name,
            slug,
            object,
            priority,
            effort,
            deps: Vec::new(),
            blocks: Vec::new(),
            related: Vec::new(),
            split_from: None,
            split_into: Vec::new(),
            blocked_by: None,
            paused_reason: None,
            learning_file: false,
            hub: false,
            created,
            fault: None,
            extra_deps: Vec::new(),
            extra_blocks: Vec::new(),
            extra_related: Vec::new(),
            noise: Noise::default(),
        });
    }

    // Statuses: canceled and split tasks among the archived, blocked and paused ones in
    // backlog and next, one blocked task in current.
    let mut blocked_in_current = false;
    for i in 0..n {
        let roll = rng.below(1000);
        let stage = tasks[i].stage;
        if tasks[i].split_from.is_some() {
            continue;
        }
        match stage {
            ARCHIVED if roll < 30 => {
                tasks[i].status = Status::Canceled;
                tasks[i].canceled_from = [INBOX, BACKLOG, BACKLOG, NEXT][rng.below(4)];
                if tasks[i].canceled_from == INBOX {
                    tasks[i].priority = None;
                    tasks[i].effort = None;
                }
            }
            ARCHIVED if roll < 40 && i + 3 < n => {
                // Split into the next two tasks that are free to be children.
                let children: Vec<usize> = (i + 1..n)
                    .filter(|&c| {
                        tasks[c].split_from.is_none()
                            && tasks[c].status == Status::Active
                            && tasks[c].stage != INBOX
                    })
                    .take(2)
                    .collect();
                if children.len() == 2 {
                    tasks[i].status = Status::Split;
                    tasks[i].effort = Some("XL");
                    tasks[i].priority = None;
                    for &c in &children {
                        tasks[c].split_from = Some(i);
                    }
                    tasks[i].split_into = children;
                }
            }
            ARCHIVED if roll < 190 => tasks[i].learning_file = true,
            LEARNING if roll < 500 => tasks[i].learning_file = true,
            BACKLOG | NEXT if roll < 100 => {
                tasks[i].status = Status::Blocked;
                tasks[i].blocked_by = Some(rng.pick(BLOCKERS));
            }
            BACKLOG | NEXT if roll < 150 => {
                tasks[i].status = Status::Paused;
                tasks[i].paused_reason = Some(rng.pick(PAUSE_REASONS));
            }
            CURRENT if !blocked_in_current && roll < 300 => {
                blocked_in_current = true;
                tasks[i].status = Status::Blocked;
                tasks[i].blocked_by = Some(rng.pick(BLOCKERS));
            }
            _ => {}
        }
    }

    // Hubs: a few early, finished tasks that hundreds of later tasks depend on.
    let hub_count = match n {
        0..=49 => 0,
        50..=1999 => 3,
        _ => 4,
    };
    let mut hubs: Vec<usize> = Vec::new();
    for (i, task) in tasks.iter_mut().enumerate() {
        if hubs.len() == hub_count {
            break;
        }
        if task.stage == ARCHIVED && task.plain() && rng.chance(0.3) {
            task.hub = true;
            hubs.push(i);
        }
    }
    let hub_chance = (250.0 / n.max(1) as f64).clamp(0.02, 0.25);

    // Dependencies: a DAG over creation order. Finished tasks and tasks in current depend
    // only on finished ones; canceled and split tasks have no dependents.
    let mut chains: Vec<Option<usize>> = vec![None; 8];
    for i in 0..n {
        let mut deps: Vec<usize> = Vec::new();
        let ok = |tasks: &[Task], j: usize| {
            let (me, dep) = (&tasks[i], &tasks[j]);
            dep.dependable()
                && (!(me.finished() || me.stage == CURRENT)
                    || me.status == Status::Canceled
                    || dep.finished())
        };
        for &h in &hubs {
            if h < i && rng.chance(hub_chance) && ok(&tasks, h) {
                deps.push(h);
            }
        }
        if tasks[i].dependable() && rng.chance(0.4) {
            let c = rng.below(chains.len());
            match chains[c] {
                Some(tail) if ok(&tasks, tail) => deps.push(tail),
                _ => {}
            }
            chains[c] = Some(i);
        }
        let local = [0, 0, 0, 1, 1, 1, 1, 2, 2, 3][rng.below(10)];
        for _ in 0..local.min(i) {
            let j = i - 1 - rng.below(i.min(300));
            if ok(&tasks, j) {
                deps.push(j);
            }
        }
        deps.sort_unstable();
        deps.dedup();
        if rng.chance(0.1) && i > 0 {
            let j = rng.below(i);
            if tasks[j].dependable() && !deps.contains(&j) {
                tasks[i].related.push(j);
            }
        }
        tasks[i].deps = deps;
    }

    let mut plan = Plan {
        tasks,
        namespaces,
        faults: Vec::new(),
        counter_stale: false,
        phantom_rows: Vec::new(),
    };
    inject(&mut plan, &rules, seed);
    if options.noisy {
        add_noise(&mut plan.tasks, seed);
    }

    // blocks = the exact inverse of depends_on.
    let tasks = &mut plan.tasks;
    for i in 0..n {
        for k in 0..tasks[i].deps.len() {
            let j = tasks[i].deps[k];
            tasks[j].blocks.push(i);
        }
    }
    if options.noisy {
        drop_inverses(tasks, seed);
    }
    plan
}

fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for word in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(5)
    {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    slug
}

/// Applies the fault plan to the model; text-level faults are marked on their task and
/// applied while rendering.
fn inject(plan: &mut Plan, rules: &[&str], seed: u64) {
    let n = plan.tasks.len();
    let mut rng = Rng::fork(seed, 0xfa17);
    let mut order: Vec<usize> = (0..n).collect();
    for k in (1..n).rev() {
        order.swap(k, rng.below(k + 1));
    }
    let mut dependents = vec![0u32; n];
    for task in &plan.tasks {
        for &d in &task.deps {
            dependents[d] += 1;
        }
    }
    let tasks = &mut plan.tasks;
    let find = |tasks: &[Task], pred: &dyn Fn(usize, &Task) -> bool| -> Option<usize> {
        order.iter().copied().find(|&i| pred(i, &tasks[i]))
    };
    let archived = |_: usize, t: &Task| t.stage == ARCHIVED && t.plain();
    let isolated = |i: usize, t: &Task| archived(i, t) && t.deps.is_empty() && dependents[i] == 0;
    let early = |_: usize, t: &Task| t.stage <= BACKLOG && t.plain();
    let ledger_path = |t: &Task| t.ledger_path();
    // The first namespace's next free number, for references to tasks that do not exist.
    let missing_ref = |tasks: &[Task], t: &Task, offset: u32| {
        let top = tasks
            .iter()
            .filter(|o| o.ns == t.ns)
            .map(|o| o.number)
            .max()
            .unwrap_or(0);
        match t.ns {
            Some(ns) => format!("TASK-{}-{:04}", NAMESPACES[ns].0, top + offset),
            None => format!("TASK-{:04}", top + offset),
        }
    };

    for &rule in rules {
        let mut path: Option<String> = None;
        let mark = |tasks: &mut [Task], i: usize, fault: Fault| tasks[i].fault = Some(fault);
        match rule {
            "wip-limit" => {
                // The stage counts already hold one task over the integration limit (unless
                // the tree is too small to have four in-flight tasks there).
                let counted = tasks.iter().filter(|t| t.stage == INTEGRATION).count();
                if counted > 3 {
                    path = Some("integration/INDEX.md".into());
                }
            }
            "id-counter-stale" => {
                plan.counter_stale = true;
                path = Some(match plan.namespaces {
                    0 => "ID_COUNTER.txt".into(),
                    _ => format!("ID_COUNTER.{}.txt", NAMESPACES[0].0.to_ascii_lowercase()),
                });
            }
            "missing-dependency" => {
                if let Some(i) = find(tasks, &early) {
                    let target = missing_ref(tasks, &tasks[i], 50);
                    tasks[i].extra_deps.push(target);
                    mark(tasks, i, Fault::MissingDependency);
                    path = Some(tasks[i].card_path());
                }
            }
            "dependency-cycle" => {
                if let Some(i) = find(tasks, &early)
                    && let Some(j) = find(tasks, &|j, t| j != i && early(j, t))
                {
                    for (a, b) in [(i, j), (j, i)] {
                        if !tasks[a].deps.contains(&b) {
                            tasks[a].deps.push(b);
                            tasks[a].deps.sort_unstable();
                        }
                    }
                    mark(tasks, i, Fault::DependencyCycle);
                    mark(tasks, j, Fault::Partner);
                    path = Some(tasks[i].card_path());
                }
            }
            "self-dependency" => {
                if let Some(i) = find(tasks, &early) {
                    tasks[i].deps.push(i);
                    tasks[i].deps.sort_unstable();
                    mark(tasks, i, Fault::SelfDependency);
                    path = Some(tasks[i].card_path());
                }
            }
            "blocked-without-reason" | "paused-without-reason" | "terminal-status-stage" => {
                let dependents = &dependents;
                let free = |stage: usize| {
                    move |i: usize, t: &Task| t.stage == stage && t.plain() && dependents[i] == 0
                };
                let pick = find(tasks, &free(BACKLOG))
                    .or_else(|| find(tasks, &free(INBOX)))
                    .or_else(|| find(tasks, &free(NEXT)));
                if let Some(i) = pick {
                    let (status, fault) = match rule {
                        "blocked-without-reason" => (Status::Blocked, Fault::BlockedWithoutReason),
                        "paused-without-reason" => (Status::Paused, Fault::PausedWithoutReason),
                        _ => (Status::Canceled, Fault::TerminalStatusStage),
                    };
                    tasks[i].status = status;
                    mark(tasks, i, fault);
                    path = Some(tasks[i].card_path());
                }
            }
            "priority-required" | "estimate-required" => {
                if let Some(i) = find(tasks, &|_, t| {
                    t.stage == NEXT && t.fault.is_none() && t.dependable()
                }) {
                    if rule == "priority-required" {
                        tasks[i].priority = None;
                        mark(tasks, i, Fault::PriorityRequired);
                    } else {
                        tasks[i].effort = None;
                        mark(tasks, i, Fault::EstimateRequired);
                    }
                    path = Some(tasks[i].card_path());
                }
            }
            "unfinished-dependency" => {
                // The newest task in current has the most candidates before it.
                let newest = (0..n)
                    .rev()
                    .find(|&i| tasks[i].stage == CURRENT && tasks[i].plain());
                if let Some(i) = newest
                    && let Some(j) = find(tasks, &|j, t| {
                        j < i && t.stage <= NEXT && t.fault.is_none() && t.dependable()
                    })
                {
                    tasks[i].deps.push(j);
                    tasks[i].deps.sort_unstable();
                    mark(tasks, i, Fault::UnfinishedDependency);
                    mark(tasks, j, Fault::Partner);
                    path = Some(tasks[i].card_path());
                }
            }
            "canceled-dependency" => {
                let canceled: Vec<usize> = (0..n)
                    .filter(|&j| tasks[j].status == Status::Canceled && tasks[j].stage == ARCHIVED)
                    .collect();
                if let Some(i) = find(tasks, &|i, t| {
                    early(i, t) && canceled.first().is_some_and(|&j| j < i)
                }) {
                    let j = canceled[0];
                    tasks[i].deps.push(j);
                    tasks[i].deps.sort_unstable();
                    mark(tasks, i, Fault::CanceledDependency);
                    path = Some(tasks[i].card_path());
                }
            }
            "split-link-mismatch" => {
                if let Some(i) = find(tasks, &|i, t| archived(i, t) && i > 0)
                    && let Some(j) = find(tasks, &|j, t| j < i && archived(j, t))
                {
                    tasks[i].split_from = Some(j);
                    mark(tasks, i, Fault::SplitLinkMismatch);
                    mark(tasks, j, Fault::Partner);
                    path = Some(tasks[i].card_path());
                }
            }
            "unlinked-inverse" => {
                // The rule leaves links with archived tasks alone, so both ends are early.
                let later = |i: usize, tasks: &[Task]| {
                    (i + 1..n).find(|&k| early(k, &tasks[k]) && !tasks[k].deps.contains(&i))
                };
                if let Some(i) = find(tasks, &|i, t| early(i, t) && later(i, tasks).is_some())
                    && let Some(k) = later(i, tasks)
                {
                    let target = tasks[k].full();
                    tasks[i].extra_blocks.push(target);
                    mark(tasks, i, Fault::UnlinkedInverse);
                    mark(tasks, k, Fault::Partner);
                    path = Some(tasks[i].card_path());
                }
            }
            "slo-exceeded" => {
                if let Some(i) = find(tasks, &|_, t| {
                    matches!(t.stage, INTEGRATION | LEARNING | BACKLOG) && t.plain()
                }) {
                    mark(tasks, i, Fault::SloExceeded);
                    path = Some(tasks[i].card_path());
                }
            }
            "unknown-namespace" => {
                if let Some(i) = find(tasks, &archived) {
                    tasks[i].extra_related.push("TASK-ZZZ-0001".into());
                    mark(tasks, i, Fault::UnknownNamespace);
                    path = Some(tasks[i].card_path());
                }
            }
            "index-phantom-row" => {
                if let Some(i) = find(tasks, &archived) {
                    plan.phantom_rows.push((INBOX, i));
                    mark(tasks, i, Fault::IndexPhantomRow);
                    path = Some("inbox/INDEX.md".into());
                }
            }
            other => {
                // Text-level faults on a finished task, isolated where the fault hides the
                // card's relations.
                let (fault, needs_isolated) = match other {
                    "stage-mismatch" => (Fault::StageMismatch, false),
                    "field-type" => (Fault::FieldType, false),
                    "invalid-value" => (Fault::InvalidValue, false),
                    "ledger-json" => (Fault::LedgerJson, false),
                    "ledger-order" => (Fault::LedgerOrder, false),
                    "index-missing-row" => (Fault::IndexMissingRow, false),
                    "index-row-mismatch" => (Fault::IndexRowMismatch, false),
                    "duplicate-task-id" => (Fault::DuplicateTaskId, true),
                    "unknown-field" => (Fault::UnknownField, false),
                    "missing-section" => (Fault::MissingSection, false),
                    "invalid-date" => (Fault::InvalidDate, false),
                    "empty-acceptance-criteria" => (Fault::EmptyAcceptanceCriteria, false),
                    "package-file-missing" => (Fault::PackageFileMissing, false),
                    "ledger-timestamp" => (Fault::LedgerTimestamp, false),
                    "ledger-start" => (Fault::LedgerStart, false),
                    "ledger-stage-drift" => (Fault::LedgerStageDrift, false),
                    "ledger-field-missing" => (Fault::LedgerFieldMissing, false),
                    "ledger-version" => (Fault::LedgerVersion, false),
                    "index-duplicate-row" => (Fault::IndexDuplicateRow, false),
                    "invalid-task-ref" => (Fault::InvalidTaskRef, false),
                    "task-id-mismatch" => (Fault::TaskIdMismatch, true),
                    "unknown-event" => (Fault::UnknownEvent, false),
                    "frontmatter-missing" => (Fault::FrontmatterMissing, true),
                    "yaml-syntax" => (Fault::YamlSyntax, true),
                    "field-missing" => (Fault::FieldMissing, false),
                    "package-name" => (Fault::PackageName, false),
                    _ => panic!("no injector for fault rule {other}"),
                };
                let pick = if needs_isolated {
                    find(tasks, &isolated).or_else(|| find(tasks, &archived))
                } else {
                    find(tasks, &archived)
                };
                if let Some(i) = pick {
                    mark(tasks, i, fault);
                    let t = &tasks[i];
                    path = Some(match fault {
                        Fault::LedgerJson
                        | Fault::LedgerOrder
                        | Fault::LedgerTimestamp
                        | Fault::LedgerStart
                        | Fault::LedgerStageDrift
                        | Fault::LedgerFieldMissing
                        | Fault::LedgerVersion
                        | Fault::UnknownEvent => ledger_path(t),
                        Fault::IndexDuplicateRow => {
                            format!("{}/INDEX.md", STAGES[t.stage])
                        }
                        Fault::IndexRowMismatch => "INDEX.md".into(),
                        Fault::DuplicateTaskId => {
                            format!(
                                "{}/TASK-{}-{}-copy/{}-{}-copy.task.md",
                                STAGES[t.stage],
                                t.short(),
                                t.slug,
                                t.short(),
                                t.slug
                            )
                        }
                        Fault::PackageName => {
                            format!("{}/{}-{}-draft.task.md", t.folder(), t.short(), t.slug)
                        }
                        _ => t.card_path(),
                    });
                }
            }
        }
        if let Some(path) = path {
            plan.faults.push((rule.to_string(), path));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Noise: the drift of a long-lived team's tree

/// What a noisy tree does to one task. Every choice is drawn at plan time from the task's own
/// stream (salted apart from the quiet streams), so a quiet tree is the same with or without
/// this code, and a noisy one is a function of the seed like the rest.
#[derive(Default)]
struct Noise {
    /// Frontmatter keys a team added over the years: `unknown-field` hints (a warning for a
    /// key one typo away from a schema field).
    custom_fields: Vec<(&'static str, String)>,
    /// Events from tools and habits outside the vocabulary (`unknown-event` hints): each is
    /// placed after the step at this per-mille of the ledger, with its name and description.
    unknown_events: Vec<(u16, &'static str, &'static str)>,
    /// The root INDEX.md row still shows an old name or DRI (`index-row-mismatch` warning).
    stale_root_row: Option<StaleCell>,
    /// The stage INDEX.md row still shows an old DRI (`index-row-mismatch` warning).
    stale_stage_dri: Option<usize>,
    /// The card never got its Expected Outputs section (`missing-section` warning).
    missing_section: bool,
    /// The task entered its stage long before NOW (`slo-exceeded`).
    late: bool,
}

enum StaleCell {
    Name(String),
    Dri(usize),
}

/// Keys teams add to cards, with how to draw a value.
const CUSTOM_FIELDS: &[&str] = &[
    "team",
    "sprint",
    "epic",
    "jira",
    "story_points",
    "reviewer",
    "component",
    "milestone",
];

/// One typo away from a schema field: the checker suggests the field and warns.
const TYPO_FIELDS: &[&str] = &["priorty", "current_dir", "relatd_to"];

const FOREIGN_EVENTS: &[(&str, &str)] = &[
    ("pr_opened", "Opened the pull request for review"),
    ("review_requested", "Asked the owning team for a review"),
    ("ci_failed", "CI failed on the integration suite; rerunning"),
    ("ci_passed", "CI green after the rerun"),
    ("deployed_to_staging", "Deployed the branch to staging"),
    ("comment", "Left notes from the sync with the stakeholders"),
    ("standup_note", "Mentioned at standup: on track"),
    ("pairing_session", "Paired for an hour on the tricky part"),
    ("demo_recorded", "Recorded a demo for the all-hands"),
];

/// Draws each task's drift. Tasks carrying a fault (or the far end of one) are left alone, so
/// every injected fault still has exactly the diagnostics it had in a quiet tree.
fn add_noise(tasks: &mut [Task], seed: u64) {
    let n = tasks.len();
    let canceled: Vec<usize> = (0..n)
        .filter(|&j| tasks[j].status == Status::Canceled && tasks[j].fault.is_none())
        .collect();
    for i in 0..n {
        if tasks[i].fault.is_some() {
            continue;
        }
        let mut rng = Rng::fork(seed ^ 0x0015_e5ee_d000, i as u64 + 1);
        let mut noise = Noise::default();
        if rng.chance(0.5) {
            let count = 2 + rng.below(4);
            let first = rng.below(CUSTOM_FIELDS.len());
            for k in 0..count {
                let key = CUSTOM_FIELDS[(first + k) % CUSTOM_FIELDS.len()];
                let value = match key {
                    "team" => format!("\"{}\"", rng.pick(TEAMS)),
                    "sprint" => format!("\"2026-W{:02}\"", 1 + rng.below(52)),
                    "epic" => format!("\"EPIC-{}\"", 10 + rng.below(90)),
                    "jira" => format!("\"PAY-{}\"", 1000 + rng.below(9000)),
                    "story_points" => format!("{}", [1, 2, 3, 5, 8, 13][rng.below(6)]),
                    "reviewer" => format!("\"{}\"", rng.pick(HANDLES)),
                    "component" => format!("\"{}\"", rng.pick(SYSTEMS)),
                    _ => format!("\"Q{}\"", 1 + rng.below(4)),
                };
                noise.custom_fields.push((key, value));
            }
            if rng.chance(0.04) {
                noise
                    .custom_fields
                    .push((rng.pick(TYPO_FIELDS), "\"see the card\"".into()));
            }
        }
        if rng.chance(0.55) {
            for _ in 0..1 + rng.below(6) {
                let (event, desc) = FOREIGN_EVENTS[rng.below(FOREIGN_EVENTS.len())];
                noise
                    .unknown_events
                    .push((rng.below(1000) as u16, event, desc));
            }
            noise.unknown_events.sort_unstable_by_key(|event| event.0);
        }
        let task = &tasks[i];
        if rng.chance(0.35) {
            noise.stale_root_row = Some(if rng.chance(0.6) {
                let verb = VERBS[rng.below(VERBS.len())];
                StaleCell::Name(format!("{verb} {}", OBJECTS[task.object]))
            } else {
                StaleCell::Dri((task.dri + 1 + rng.below(5)) % HANDLES.len())
            });
        }
        if rng.chance(0.1) {
            noise.stale_stage_dri = Some((task.dri + 1 + rng.below(5)) % HANDLES.len());
        }
        noise.missing_section = rng.chance(0.06);
        noise.late = matches!(task.stage, BACKLOG | CURRENT | INTEGRATION | LEARNING)
            && task.status == Status::Active
            && rng.chance(0.5);
        // A dependency on a canceled task nobody retargeted (`canceled-dependency`): the
        // newest canceled task before this one, when it is recent enough to be related.
        if task.status == Status::Active && task.split_from.is_none() && rng.chance(0.12) {
            let before = canceled.partition_point(|&j| j < i);
            if let Some(&j) = before.checked_sub(1).map(|k| &canceled[k])
                && i - j <= 400
                && !tasks[i].deps.contains(&j)
            {
                tasks[i].deps.push(j);
                tasks[i].deps.sort_unstable();
            }
        }
        // A `blocks` entry the other task never answered with a `depends_on`
        // (`unlinked-inverse`); the rule leaves archived tasks alone, so both are in flight.
        if tasks[i].stage != ARCHIVED && rng.chance(0.15) {
            let later = (i + 1..n).find(|&k| {
                tasks[k].stage != ARCHIVED
                    && tasks[k].fault.is_none()
                    && !tasks[k].deps.contains(&i)
                    && rng.chance(0.3)
            });
            if let Some(k) = later {
                let target = tasks[k].full();
                tasks[i].extra_blocks.push(target);
            }
        }
        tasks[i].noise = noise;
    }
}

/// The other half of `unlinked-inverse`: some in-flight tasks never added their dependents
/// to `blocks`. Runs once `blocks` is the inverse of `depends_on`.
fn drop_inverses(tasks: &mut [Task], seed: u64) {
    let mut rng = Rng::fork(seed ^ 0x0015_e5ee_d000, 0);
    for j in 0..tasks.len() {
        if tasks[j].stage == ARCHIVED || tasks[j].fault.is_some() {
            continue;
        }
        let blocks = std::mem::take(&mut tasks[j].blocks);
        let kept = blocks
            .into_iter()
            .filter(|&i| {
                tasks[i].stage == ARCHIVED || tasks[i].fault.is_some() || i == j || !rng.chance(0.3)
            })
            .collect();
        tasks[j].blocks = kept;
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn write_tree(plan: &Plan, seed: u64, w: &mut Writer) -> io::Result<()> {
    let tasks = &plan.tasks;
    w.dir("")?;
    for stage in STAGES {
        w.dir(stage)?;
    }
    let mut card = String::with_capacity(8192);
    let mut text = String::with_capacity(8192);
    for (i, task) in tasks.iter().enumerate() {
        let mut rng = Rng::fork(seed ^ 0xc0ff_ee00, i as u64 + 1);
        let folder = task.folder();
        w.dir(&folder)?;
        let short = task.short();
        let fault = task.fault;

        card.clear();
        render_card(&mut card, plan, i, &mut rng);
        let card_name = if fault == Some(Fault::PackageName) {
            format!("{short}-{}-draft.task.md", task.slug)
        } else {
            task.card_name()
        };
        w.file(&format!("{folder}/{card_name}"), &card)?;

        if fault != Some(Fault::PackageFileMissing) {
            text.clear();
            render_context(&mut text, task, &mut rng);
            w.file(&format!("{folder}/{short}.context.md"), &text)?;
        }

        text.clear();
        render_ledger(&mut text, plan, i, &mut rng);
        w.file(&format!("{folder}/{short}.ledger.jsonl"), &text)?;

        if task.learning_file {
            text.clear();
            render_learning(&mut text, task, &mut rng);
            w.file(&format!("{folder}/{short}.learning.md"), &text)?;
        }

        if fault == Some(Fault::DuplicateTaskId) {
            let copy = format!("{}/TASK-{short}-{}-copy", STAGES[task.stage], task.slug);
            w.dir(&copy)?;
            w.file(&format!("{copy}/{short}-{}-copy.task.md", task.slug), &card)?;
            text.clear();
            text.push_str("# Context\n\nA copy of the package, left behind by a bad merge.\n");
            w.file(&format!("{copy}/{short}.context.md"), &text)?;
            text.clear();
            render_ledger(&mut text, plan, i, &mut Rng::fork(seed, 7));
            w.file(&format!("{copy}/{short}.ledger.jsonl"), &text)?;
        }
    }
    write_indexes(plan, w)?;
    write_counters(plan, w)?;
    w.file("wip.policy.md", WIP_POLICY)?;
    if plan.namespaces > 0 {
        let mut yaml = String::from("namespaces:\n");
        for (key, name, description) in &NAMESPACES[..plan.namespaces] {
            let _ = write!(
                yaml,
                "  {key}:\n    full_name: \"{name}\"\n    description: \"{description}\"\n    created: \"2026-01-02\"\n    id_counter_file: \".work/tasks/ID_COUNTER.{}.txt\"\n",
                key.to_ascii_lowercase()
            );
        }
        w.file("NAMESPACES.yaml", &yaml)?;
    }
    Ok(())
}

const WIP_POLICY: &str = "---
type: policy
last_updated: 2026-01-02
---

# Flow policy

This workspace was generated for benchmarks. The numbers are the checker's defaults, written
out so that the policy file is read the way it is in a real workspace.

## WIP limits

Paused and canceled tasks are not counted. Going over the `current` limit is an error; the
other limits only warn.

| Stage | WIP Limit | Scope |
|-------|-----------|-------|
| inbox | None | System-wide |
| backlog | None | System-wide |
| next | ≤3 | Per DRI |
| current | ≤5 | System-wide |
| integration | ≤3 | System-wide |
| learning | ≤2 | Per DRI |
| archived | None | System-wide |

## Service levels

Time in a stage runs from the ledger event that entered it.

| Stage | SLO Target | Measurement | Violation Threshold |
|-------|-----------|-------------|---------------------|
| inbox | 24 hours | from `created` | >48 hours |
| backlog | 7 days | from `verified` | >14 days |
| next | None | from `prioritized` | N/A |
| current | Varies with effort | from `started` | >2x effort estimate |
| integration | 48 hours | from `implemented` | >96 hours |
| learning | 72 hours | from `moved_to_learning` | >7 days |
| archived | 24 hours | until `closed` | >48 hours |
";

fn quoted_list(out: &mut String, key: &str, items: &[String]) {
    if items.len() <= 4 {
        let _ = write!(out, "{key}: [");
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "\"{item}\"");
        }
        out.push_str("]\n");
    } else {
        let _ = writeln!(out, "{key}:");
        for item in items {
            let _ = writeln!(out, "  - \"{item}\"");
        }
    }
}

fn refs(tasks: &[Task], ids: &[usize], extra: &[String]) -> Vec<String> {
    ids.iter()
        .map(|&j| tasks[j].full())
        .chain(extra.iter().cloned())
        .collect()
}

fn render_card(out: &mut String, plan: &Plan, i: usize, rng: &mut Rng) {
    let tasks = &plan.tasks;
    let t = &tasks[i];
    let fault = t.fault;
    let dri = HANDLES[t.dri];
    let ctx = Ctx {
        object: OBJECTS[t.object],
        dri: HANDLES[(t.dri + 1 + rng.below(5)) % HANDLES.len()],
    };
    let stage = STAGES[t.stage];
    let opt =
        |value: Option<String>| value.map_or_else(|| "null".to_string(), |v| format!("\"{v}\""));

    if fault != Some(Fault::FrontmatterMissing) {
        out.push_str("---\n");
    }
    match fault {
        Some(Fault::FieldType) if t.ns.is_none() => {
            let _ = writeln!(out, "task_id: {}", t.short());
        }
        Some(Fault::TaskIdMismatch) => {
            let wrong = match t.ns {
                Some(ns) => format!("{}-9{:04}", NAMESPACES[ns].0, t.number),
                None => format!("9{:04}", t.number),
            };
            let _ = writeln!(out, "task_id: \"{wrong}\"");
        }
        _ => {
            let _ = writeln!(out, "task_id: \"{}\"", t.short());
        }
    }
    let _ = writeln!(out, "created_by: \"{}\"", HANDLES[t.creator]);
    if fault == Some(Fault::InvalidDate) {
        out.push_str("created_date: \"2026-02-30\"\n");
    } else {
        let _ = writeln!(out, "created_date: \"{}\"", date(t.created));
    }
    out.push_str("schema_version: \"1.0\"\n");
    let _ = writeln!(out, "task_name: \"{}\"", t.name);
    let written_stage = match fault {
        Some(Fault::StageMismatch) if t.stage == ARCHIVED => "learning",
        Some(Fault::StageMismatch) => "archived",
        _ => stage,
    };
    let _ = writeln!(out, "stage: \"{written_stage}\"");
    if fault == Some(Fault::InvalidValue) {
        out.push_str("priority: \"P7\"\n");
    } else {
        let _ = writeln!(
            out,
            "priority: {}",
            opt(t.priority.map(|p| format!("P{p}")))
        );
    }
    let _ = writeln!(
        out,
        "effort_estimate: {}",
        opt(t.effort.map(str::to_string))
    );
    let mut tags: Vec<&str> = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let tag = rng.pick(TAGS);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    match fault {
        Some(Fault::YamlSyntax) => {
            let _ = writeln!(out, "tags: [\"{}\", \"review\"", tags[0]);
        }
        Some(Fault::FieldType) if t.ns.is_some() => {
            let _ = writeln!(out, "tags: {}", tags[0]);
        }
        _ => {
            let tags: Vec<String> = tags.iter().map(|tag| tag.to_string()).collect();
            quoted_list(out, "tags", &tags);
        }
    }
    if fault != Some(Fault::FieldMissing) {
        let _ = writeln!(out, "current_dri: \"{dri}\"");
    }
    let _ = writeln!(out, "status: \"{}\"", t.status.name());
    let _ = writeln!(out, "blocked_by: {}", opt(t.blocked_by.map(str::to_string)));
    let _ = writeln!(
        out,
        "paused_reason: {}",
        opt(t.paused_reason.map(str::to_string))
    );
    quoted_list(out, "depends_on", &refs(tasks, &t.deps, &t.extra_deps));
    quoted_list(out, "blocks", &refs(tasks, &t.blocks, &t.extra_blocks));
    let mut related = refs(tasks, &t.related, &t.extra_related);
    if fault == Some(Fault::InvalidTaskRef) {
        related.push("TASK-42A".into());
    }
    quoted_list(out, "related_to", &related);
    let _ = writeln!(
        out,
        "split_from: {}",
        opt(t.split_from.map(|j| tasks[j].full()))
    );
    quoted_list(out, "split_into", &refs(tasks, &t.split_into, &[]));
    match t.status {
        Status::Canceled => {
            let _ = writeln!(out, "canceled_reason: \"{}\"", rng.pick(CANCEL_REASONS));
        }
        Status::Split => {
            let _ = writeln!(out, "split_date: \"{}\"", date(t.created + 10 * DAY));
            out.push_str(
                "split_reason: \"XL estimate: the parts are independent and suit different people\"\n",
            );
        }
        Status::Paused if t.paused_reason.is_some() => {
            let _ = writeln!(out, "paused_date: \"{}\"", date(now_secs() - 2 * DAY));
        }
        _ => {}
    }
    if fault == Some(Fault::UnknownField) {
        out.push_str("asignee: \"@ana\"\n");
    }
    for (key, value) in &t.noise.custom_fields {
        let _ = writeln!(out, "{key}: {value}");
    }
    out.push_str("---\n\n");

    // Body. Sized between roughly 2.2 and 3.8 KB by the notes at the end of Implementation
    // Details (hub cards grow past that with their long `blocks` lists).
    let target = 2200 + rng.below(1600);
    out.push_str("## Goal\n\n");
    paragraph(out, GOAL, 2 + rng.below(2), &ctx, rng);

    out.push_str("## Inputs Required\n\n");
    for &j in t.deps.iter().filter(|&&j| j != i).take(3) {
        let _ = writeln!(out, "- Output of {} ({})", tasks[j].full(), tasks[j].name);
    }
    let count = 2 + rng.below(3);
    list(out, "- ", INPUTS, count, &ctx, rng);
    out.push('\n');

    out.push_str("## Implementation Details\n\n");
    let steps = 3 + rng.below(4);
    let first = rng.below(STEPS.len());
    for k in 0..steps {
        let _ = write!(out, "{}. ", k + 1);
        fill(out, STEPS[(first + k) % STEPS.len()], &ctx, rng);
        out.push('\n');
    }
    out.push('\n');
    // Expected Outputs and Acceptance Criteria first, so the notes can fill up to the size.
    let mut tail = String::with_capacity(1024);
    if fault != Some(Fault::MissingSection) && !t.noise.missing_section {
        tail.push_str("## Expected Outputs\n\n");
        let count = 2 + rng.below(3);
        list(&mut tail, "- ", OUTPUTS, count, &ctx, rng);
        tail.push('\n');
    }
    tail.push_str("## Acceptance Criteria\n\n");
    if fault == Some(Fault::EmptyAcceptanceCriteria) {
        tail.push_str("To be agreed with the reviewers before work starts.\n");
    } else {
        let criteria = 3 + rng.below(4);
        let first = rng.below(CRITERIA.len());
        for k in 0..criteria {
            let done = match t.stage {
                INTEGRATION | LEARNING => true,
                ARCHIVED => t.status == Status::Active,
                CURRENT => k < criteria / 2,
                _ => false,
            };
            tail.push_str(if done { "- [x] " } else { "- [ ] " });
            fill(&mut tail, CRITERIA[(first + k) % CRITERIA.len()], &ctx, rng);
            tail.push('\n');
        }
    }
    let mut at = rng.below(NOTES.len());
    while out.len() + tail.len() + 150 < target {
        for k in 0..2 + rng.below(2) {
            if k > 0 {
                out.push(' ');
            }
            fill(out, NOTES[at % NOTES.len()], &ctx, rng);
            at += 1;
        }
        out.push_str("\n\n");
    }
    out.push_str(&tail);
}

fn render_context(out: &mut String, t: &Task, rng: &mut Rng) {
    let ctx = Ctx {
        object: OBJECTS[t.object],
        dri: HANDLES[(t.dri + 2 + rng.below(7)) % HANDLES.len()],
    };
    let target = 1100 + rng.below(1700);
    let _ = write!(out, "# Context: {}\n\n", t.name);
    paragraph(out, BACKGROUND, 2 + rng.below(2), &ctx, rng);
    out.push_str("## Constraints\n\n");
    let count = 2 + rng.below(2);
    list(out, "- ", CONSTRAINTS, count, &ctx, rng);
    out.push('\n');
    let _ = write!(
        out,
        "Decision recorded on {}: ",
        date(t.created + rng.range(0, 2 * DAY))
    );
    fill(out, rng.pick(DECISIONS), &ctx, rng);
    out.push_str(".\n\n");
    while out.len() < target {
        paragraph(out, BACKGROUND, 2, &ctx, rng);
    }
}

fn render_learning(out: &mut String, t: &Task, rng: &mut Rng) {
    let ctx = Ctx {
        object: OBJECTS[t.object],
        dri: HANDLES[(t.dri + 3) % HANDLES.len()],
    };
    let _ = write!(out, "# Learning: {}\n\n## What went well\n\n", t.name);
    for _ in 0..2 {
        out.push_str("- ");
        fill(out, rng.pick(LEARNED), &ctx, rng);
        out.push('\n');
    }
    out.push_str("\n## What we would change\n\n- ");
    fill(out, rng.pick(LEARNED), &ctx, rng);
    out.push_str("\n\n## Follow-ups\n\n- ");
    fill(out, rng.pick(DECISIONS), &ctx, rng);
    out.push('\n');
}

/// One ledger event before its time is fixed.
struct Step {
    event: &'static str,
    user: usize,
    desc: String,
    /// Further `,"key":value` members, already JSON.
    extra: String,
    /// Forward gap from the step before.
    gap: i64,
}

fn json_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn add(
    steps: &mut Vec<Step>,
    event: &'static str,
    user: usize,
    desc: String,
    extra: String,
    gap: i64,
) {
    steps.push(Step {
        event,
        user,
        desc,
        extra,
        gap,
    });
}

/// Whether to log an optional event of `cost` lines, drawing on the ledger's `spare` room.
fn optional(spare: &mut usize, rng: &mut Rng, chance: f64, cost: usize) -> bool {
    if *spare >= cost && rng.chance(chance) {
        *spare -= cost;
        true
    } else {
        false
    }
}

fn render_ledger(out: &mut String, plan: &Plan, i: usize, rng: &mut Rng) {
    let tasks = &plan.tasks;
    let t = &tasks[i];
    let now = now_secs();
    let other = (t.dri + 1 + rng.below(5)) % HANDLES.len();
    let mut steps: Vec<Step> = Vec::new();
    let short = t.short();
    add(
        &mut steps,
        "id_reserved",
        t.creator,
        format!("Reserved ID {short}"),
        String::new(),
        0,
    );
    add(
        &mut steps,
        "created",
        t.creator,
        "Task package created".into(),
        String::new(),
        rng.range(3 * MINUTE, 15 * MINUTE),
    );
    // How far the normal flow went before the end (cancel and split end it early).
    let reach = match t.status {
        Status::Canceled => t.canceled_from,
        Status::Split => BACKLOG,
        _ => t.stage,
    };
    // The lifecycle's own events, and room for optional ones up to 15 in all.
    let mut core = 2;
    for (stage, events) in [
        (BACKLOG, 1),
        (NEXT, 2),
        (CURRENT, 2),
        (INTEGRATION, 1),
        (LEARNING, 2),
    ] {
        if reach >= stage {
            core += events;
        }
    }
    core += match t.status {
        Status::Canceled if t.stage == ARCHIVED => 1,
        Status::Split => 2,
        Status::Blocked | Status::Paused => 1,
        _ if t.stage == ARCHIVED => 2,
        _ => 0,
    };
    let mut spare: usize = 15usize.saturating_sub(core);
    // The step that entered the task's stage (SLO clock), when the stage has an SLO.
    let mut anchor: Option<usize> = (t.stage == INBOX).then_some(1);
    let priority = t.priority.map(|p| format!("P{p}"));
    if reach >= BACKLOG {
        add(
            &mut steps,
            "verified",
            other,
            "Scope and inputs are clear; moved to backlog".into(),
            String::new(),
            rng.range(HOUR, 30 * HOUR),
        );
        if t.stage == BACKLOG && t.status != Status::Canceled {
            anchor = Some(steps.len() - 1);
        }
        if let Some(p) = &priority
            && optional(&mut spare, rng, 0.5, 1)
        {
            add(
                &mut steps,
                "priority_set",
                t.dri,
                format!("{p} after the weekly triage"),
                format!(",\"value\":\"{p}\""),
                rng.range(2 * HOUR, 3 * DAY),
            );
        }
        if let Some(effort) = t.effort
            && optional(&mut spare, rng, 0.5, 1)
        {
            add(
                &mut steps,
                "effort_estimated",
                t.dri,
                format!("Estimated {effort} after reading the inputs"),
                format!(",\"value\":\"{effort}\""),
                rng.range(10 * MINUTE, DAY),
            );
        }
        if let Some(&j) = t.deps.first()
            && optional(&mut spare, rng, 0.3, 1)
        {
            add(
                &mut steps,
                "dependency_updated",
                t.dri,
                format!("Added {} as a dependency", tasks[j].full()),
                String::new(),
                rng.range(HOUR, 2 * DAY),
            );
        }
        if optional(&mut spare, rng, 0.2, 1) {
            add(
                &mut steps,
                "content_updated",
                t.dri,
                "Clarified the acceptance criteria after review".into(),
                String::new(),
                rng.range(HOUR, 2 * DAY),
            );
        }
    }
    if reach >= NEXT {
        add(
            &mut steps,
            "validated",
            t.dri,
            "Pre-move checks passed: backlog to next".into(),
            String::new(),
            rng.range(DAY, 8 * DAY),
        );
        add(
            &mut steps,
            "prioritized",
            t.dri,
            format!(
                "{}/{}: moved to next",
                priority.as_deref().unwrap_or("P2"),
                t.effort.unwrap_or("M")
            ),
            String::new(),
            rng.range(5 * MINUTE, 20 * MINUTE),
        );
    }
    if reach >= CURRENT {
        add(
            &mut steps,
            "validated",
            t.dri,
            "Pre-move checks passed: next to current".into(),
            String::new(),
            rng.range(0, 15 * DAY) + HOUR,
        );
        add(
            &mut steps,
            "started",
            t.dri,
            "Picked up at planning; implementation started".into(),
            String::new(),
            rng.range(5 * MINUTE, 15 * MINUTE),
        );
        if t.stage == CURRENT {
            anchor = Some(steps.len() - 1);
        }
    }
    if reach >= INTEGRATION {
        if optional(&mut spare, rng, 0.15, 2) {
            add(
                &mut steps,
                "blocked",
                t.dri,
                "Waiting for review capacity on the shared component".into(),
                ",\"blocked_by\":\"external:Review capacity\"".into(),
                rng.range(DAY, 3 * DAY),
            );
            add(
                &mut steps,
                "unblocked",
                t.dri,
                "Review picked up".into(),
                String::new(),
                rng.range(HOUR, 2 * DAY),
            );
        }
        add(
            &mut steps,
            "implemented",
            t.dri,
            "Merged; all acceptance criteria demonstrated in staging".into(),
            String::new(),
            rng.range(DAY, 9 * DAY),
        );
        if t.stage == INTEGRATION {
            anchor = Some(steps.len() - 1);
        }
    }
    if reach >= LEARNING {
        if optional(&mut spare, rng, 0.2, 1) {
            add(
                &mut steps,
                "knowledge_captured",
                t.dri,
                "Runbook updated with the rollout steps".into(),
                String::new(),
                rng.range(HOUR, DAY),
            );
        }
        add(
            &mut steps,
            "integrated",
            t.dri,
            "Released to production and verified there".into(),
            String::new(),
            rng.range(6 * HOUR, 3 * DAY),
        );
        add(
            &mut steps,
            "moved_to_learning",
            t.dri,
            "Moved to learning".into(),
            String::new(),
            rng.range(5 * MINUTE, 30 * MINUTE),
        );
        if t.stage == LEARNING {
            anchor = Some(steps.len() - 1);
        }
    }
    match t.status {
        Status::Canceled if t.stage == ARCHIVED => add(
            &mut steps,
            "canceled",
            t.dri,
            "Canceled; see canceled_reason on the card".into(),
            format!(",\"from_stage\":\"{}\"", STAGES[t.canceled_from]),
            rng.range(DAY, 20 * DAY),
        ),
        Status::Split => {
            let into: Vec<String> = t
                .split_into
                .iter()
                .map(|&c| format!("\"{}\"", tasks[c].full()))
                .collect();
            add(
                &mut steps,
                "effort_estimated",
                t.dri,
                "Estimated XL; splitting".into(),
                ",\"value\":\"XL\"".into(),
                rng.range(DAY, 5 * DAY),
            );
            add(
                &mut steps,
                "split",
                t.dri,
                "Split into independent parts".into(),
                format!(",\"into\":[{}]", into.join(",")),
                rng.range(HOUR, DAY),
            );
        }
        _ if t.stage == ARCHIVED => {
            if t.learning_file {
                add(
                    &mut steps,
                    "learning_documented",
                    t.dri,
                    format!("See {short}.learning.md"),
                    String::new(),
                    rng.range(6 * HOUR, 3 * DAY),
                );
            } else {
                add(
                    &mut steps,
                    "learning_skipped",
                    t.dri,
                    "Routine change; nothing new to record".into(),
                    String::new(),
                    rng.range(HOUR, 2 * DAY),
                );
            }
            add(
                &mut steps,
                "closed",
                t.dri,
                "Closed and archived".into(),
                String::new(),
                rng.range(10 * MINUTE, 8 * HOUR),
            );
        }
        _ => {}
    }
    // State changes after entering the stage.
    match t.status {
        Status::Blocked if t.blocked_by.is_some() => add(
            &mut steps,
            "blocked",
            t.dri,
            "Blocked; see blocked_by on the card".into(),
            format!(
                ",\"blocked_by\":\"{}\"",
                json_escape(t.blocked_by.unwrap_or_default())
            ),
            HOUR,
        ),
        Status::Paused if t.paused_reason.is_some() => add(
            &mut steps,
            "paused",
            t.dri,
            "Paused; see paused_reason on the card".into(),
            String::new(),
            HOUR,
        ),
        _ => {}
    }
    if matches!(t.stage, BACKLOG | CURRENT)
        && t.status == Status::Active
        && optional(&mut spare, rng, 0.3, 1)
    {
        add(
            &mut steps,
            "content_updated",
            t.dri,
            "Refined the implementation steps".into(),
            String::new(),
            HOUR,
        );
    }

    // Times: forward from creation, then pinned so that in-flight tasks entered their
    // stage recently (inside its SLO at NOW) and nothing lies after NOW.
    let mut times: Vec<i64> = Vec::with_capacity(steps.len());
    let created = t.created;
    let mut at = created - steps[1].gap;
    for (k, s) in steps.iter().enumerate() {
        if k > 0 {
            at += s.gap;
        }
        times.push(at);
    }
    let late = t.fault == Some(Fault::SloExceeded) || t.noise.late;
    if let Some(a) = anchor.filter(|&a| a > 1) {
        let window = match t.stage {
            BACKLOG => 5 * DAY,
            CURRENT => effort_days(t.effort.unwrap_or("XS")) * DAY * 7 / 10,
            INTEGRATION => 40 * HOUR,
            _ => 60 * HOUR,
        };
        let overdue = match t.stage {
            BACKLOG => 16 * DAY,
            INTEGRATION => 6 * DAY,
            _ => 9 * DAY,
        };
        let target = if late {
            now - overdue
        } else {
            now - HOUR - rng.range(0, window - HOUR)
        };
        if times[a] > target {
            // Compress the way there.
            let (from, to) = (times[a] - created, target - created);
            let scale =
                |x: i64| created + ((x - created) as i128 * to as i128 / from as i128) as i64;
            for time in times.iter_mut().take(a + 1).skip(2) {
                *time = scale(*time);
            }
        }
        times[a] = target;
        // The pre-move check belongs right before the move.
        if steps[a - 1].event == "validated" {
            times[a - 1] = target - steps[a].gap;
        }
        spread_after(&mut times, a, now - 20 * MINUTE);
    } else if anchor == Some(1) {
        spread_after(&mut times, 1, now - 20 * MINUTE);
    } else {
        let limit = now - 3 * HOUR - rng.range(0, 2 * DAY);
        let last = *times.last().unwrap_or(&created);
        if last > limit {
            for time in times.iter_mut().skip(2) {
                *time = created
                    + ((*time - created) as i128 * (limit - created) as i128
                        / (last - created) as i128) as i64;
            }
        }
    }
    // Whole minutes, strictly increasing.
    let mut previous = i64::MIN;
    for time in &mut times {
        *time -= time.rem_euclid(MINUTE);
        if *time <= previous {
            *time = previous + MINUTE;
        }
        previous = *time;
    }

    let fault = t.fault;
    let skip = if fault == Some(Fault::LedgerStart) {
        2
    } else {
        0
    };
    let count = if fault == Some(Fault::LedgerStageDrift) {
        steps.len() - 1
    } else {
        steps.len()
    };
    // A noisy tree's foreign events go after the step their per-mille names (never before
    // the first written one), spread between it and the next step, or within the hour after
    // the last one (and before NOW), so the ledger stays in order.
    let foreign = &t.noise.unknown_events;
    let mut next_foreign = 0;
    for k in skip..count {
        let s = &steps[k];
        let _ = writeln!(
            out,
            "{{\"ts\":\"{}\",\"user\":\"{}\",\"event\":\"{}\",\"desc\":\"{}\"{}}}",
            rfc3339(times[k]),
            HANDLES[s.user],
            s.event,
            json_escape(&s.desc),
            s.extra
        );
        let here = foreign[next_foreign..]
            .iter()
            .take_while(|(at, _, _)| skip + (usize::from(*at) * (count - skip) / 1000) <= k)
            .count();
        if here > 0 {
            let until = if k + 1 < count {
                times[k + 1]
            } else {
                (times[k] + HOUR).min(now - 10 * MINUTE).max(times[k])
            };
            for (m, (_, event, desc)) in foreign[next_foreign..next_foreign + here]
                .iter()
                .enumerate()
            {
                let at = times[k] + (until - times[k]) * (m as i64 + 1) / (here as i64 + 1);
                let _ = writeln!(
                    out,
                    "{{\"ts\":\"{}\",\"user\":\"{}\",\"event\":\"{event}\",\"desc\":\"{desc}\"}}",
                    rfc3339(at - at.rem_euclid(MINUTE)),
                    HANDLES[s.user],
                );
            }
            next_foreign += here;
        }
    }
    let last = times[count - 1];
    let user = HANDLES[t.dri];
    match fault {
        Some(Fault::LedgerJson) => {
            let _ = writeln!(
                out,
                "{{\"ts\":\"{}\",\"user\":\"{user}\",\"event\":\"content_updated\",\"desc\":\"Notes from the revi",
                rfc3339(last + HOUR)
            );
        }
        Some(Fault::LedgerOrder) => {
            let _ = writeln!(
                out,
                "{{\"ts\":\"{}\",\"user\":\"{user}\",\"event\":\"content_updated\",\"desc\":\"Logged late, with the time of the edit\"}}",
                rfc3339(last - 2 * DAY)
            );
        }
        Some(Fault::LedgerTimestamp) => {
            let _ = writeln!(
                out,
                "{{\"ts\":\"{}\",\"user\":\"{user}\",\"event\":\"content_updated\",\"desc\":\"Typo fixed\"}}",
                rfc3339(last + HOUR).replace('T', " ").trim_end_matches('Z')
            );
        }
        Some(Fault::LedgerFieldMissing) => {
            let _ = writeln!(
                out,
                "{{\"ts\":\"{}\",\"event\":\"content_updated\",\"desc\":\"Typo fixed\"}}",
                rfc3339(last + HOUR)
            );
        }
        Some(Fault::LedgerVersion) => {
            let _ = writeln!(
                out,
                "{{\"version\":\"2.0\",\"ts\":\"{}\",\"user\":\"{user}\",\"event\":\"content_updated\",\"desc\":\"Typo fixed\"}}",
                rfc3339(last + HOUR)
            );
        }
        Some(Fault::UnknownEvent) => {
            let _ = writeln!(
                out,
                "{{\"ts\":\"{}\",\"user\":\"{user}\",\"event\":\"demo_recorded\",\"desc\":\"Recorded a demo for the all-hands\"}}",
                rfc3339(last + HOUR)
            );
        }
        _ => {}
    }
}

/// Places the steps after `from` evenly between it and `until`.
fn spread_after(times: &mut [i64], from: usize, until: i64) {
    let after = times.len() - from - 1;
    if after == 0 {
        return;
    }
    let start = times[from];
    let room = (until - start).max(after as i64 * MINUTE * 2);
    for k in 1..=after {
        times[from + k] = start + room * k as i64 / (after as i64 + 1);
    }
}

fn dependency_cell(tasks: &[Task], t: &Task) -> String {
    let ids = refs(tasks, &t.deps, &t.extra_deps);
    if ids.is_empty() {
        "-".into()
    } else {
        ids.join(", ")
    }
}

fn write_indexes(plan: &Plan, w: &mut Writer) -> io::Result<()> {
    let tasks = &plan.tasks;
    let header = |out: &mut String, stage: Option<usize>| {
        match stage {
            Some(s) => {
                let title = STAGES[s][..1].to_ascii_uppercase() + &STAGES[s][1..];
                let _ = write!(
                    out,
                    "---\ntype: index\nstage: {}\nlast_updated: 2026-12-30\n---\n\n# {title} Index\n\nTasks in {}, oldest first.\n\n| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n",
                    STAGES[s], STAGES[s]
                );
            }
            None => out.push_str(
                "---\ntype: root_index\nlast_updated: 2026-12-30\n---\n\n# Task Index\n\nEvery task in this workspace, whatever its stage.\n\n| ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|----|------|-----|-------|--------|-------|--------------|\n",
            ),
        }
    };
    // `stale`: the name or DRI the row was written with, before the card moved on.
    let row =
        |out: &mut String, t: &Task, with_stage: bool, status: &str, stale: Option<&StaleCell>| {
            let stage = if with_stage {
                format!(" {} |", STAGES[t.stage])
            } else {
                String::new()
            };
            let (name, dri) = match stale {
                Some(StaleCell::Name(name)) => (name.as_str(), HANDLES[t.dri]),
                Some(StaleCell::Dri(dri)) => (t.name.as_str(), HANDLES[*dri]),
                None => (t.name.as_str(), HANDLES[t.dri]),
            };
            let _ = writeln!(
                out,
                "| {} | {name} | {dri} |{stage} {status} | {} | {} |",
                t.short(),
                t.flags(),
                dependency_cell(tasks, t)
            );
        };
    let mut stage_files: Vec<String> = (0..STAGES.len())
        .map(|s| {
            let mut out = String::new();
            header(&mut out, Some(s));
            out
        })
        .collect();
    let mut root = String::with_capacity(tasks.len() * 110);
    header(&mut root, None);
    for t in tasks {
        let out = &mut stage_files[t.stage];
        let stale_stage = t.noise.stale_stage_dri.map(StaleCell::Dri);
        match t.fault {
            Some(Fault::IndexMissingRow) => {}
            Some(Fault::IndexDuplicateRow) => {
                row(out, t, false, t.status.name(), None);
                row(out, t, false, t.status.name(), None);
            }
            _ => row(out, t, false, t.status.name(), stale_stage.as_ref()),
        }
        let status = if t.fault == Some(Fault::IndexRowMismatch) {
            "paused"
        } else {
            t.status.name()
        };
        row(&mut root, t, true, status, t.noise.stale_root_row.as_ref());
    }
    for &(stage, i) in &plan.phantom_rows {
        row(
            &mut stage_files[stage],
            &tasks[i],
            false,
            tasks[i].status.name(),
            None,
        );
    }
    for (s, text) in stage_files.iter().enumerate() {
        w.file(&format!("{}/INDEX.md", STAGES[s]), text)?;
    }
    w.file("INDEX.md", &root)
}

fn write_counters(plan: &Plan, w: &mut Writer) -> io::Result<()> {
    let spaces = plan.namespaces.max(1);
    for (ns, (key, _, _)) in NAMESPACES.iter().enumerate().take(spaces) {
        let highest = plan
            .tasks
            .iter()
            .filter(|t| t.ns.unwrap_or(0) == ns)
            .map(|t| t.number)
            .max()
            .unwrap_or(0);
        let stale = plan.counter_stale && ns == 0;
        let next = if stale { highest.max(1) } else { highest + 1 };
        let name = match plan.namespaces {
            0 => "ID_COUNTER.txt".to_string(),
            _ => format!("ID_COUNTER.{}.txt", key.to_ascii_lowercase()),
        };
        w.file(&name, &format!("{next:04}\n"))?;
    }
    Ok(())
}
