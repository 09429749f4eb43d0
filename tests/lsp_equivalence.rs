//! Incremental equals from-scratch (issue 9, item 2): random sequences of buffer edits, file
//! and folder changes on disk, opens, saves and closes, applied to the running server, end with
//! exactly the diagnostics a fresh `flowos-lsp check` of the final state reports, for every
//! file, both pulled and as last pushed.
//!
//! The histories also move the server's clock (`flowos/debugSetNow`) by seconds to days, across
//! SLO targets, violation thresholds and the hours an exceeded SLO counts, and the final
//! `check` measures at the moment the clock stopped. Cases alternate between a quiet starting
//! workspace and a noisy one (many warnings and hints over most files, as in a long-lived
//! team's tree), where the publisher's deltas and the SLO parts have the most to keep straight.
//!
//! Each case comes from a seed. A failure prints the seed and the operations, shrunk to a short
//! sequence that still fails. `FLOWOS_FUZZ_CASES=n` runs n cases (long mode),
//! `FLOWOS_FUZZ_OPS=n` makes each n operations long, and `FLOWOS_FUZZ_SEED=s` replays the one
//! case with seed s. The clock request exists only in builds with debug assertions; a release
//! campaign keeps them to move the clock: `CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true
//! FLOWOS_FUZZ_CASES=300 cargo test --release --test lsp_equivalence` (without the variable the
//! clock stays put).

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::rng::Rng;
use support::text::{self, Pos};
use support::{Client, uri};

/// The clock both the server and `check` start at; `Op::Clock` moves the server's on, and the
/// final `check` measures SLOs at wherever it stopped.
const START: i64 = days_from_civil(2026, 6, 1) * DAY;
const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Operations per generated case; `FLOWOS_FUZZ_OPS` overrides it (longer histories let
/// cached parts drift further, if they can).
const OPS: usize = 40;
/// Whether the server has `flowos/debugSetNow`: only builds with debug assertions do. Without
/// it the histories leave the clock alone, so a plain `--release` long run still works (and a
/// seed makes other histories there than in a debug build).
const CLOCK: bool = cfg!(debug_assertions);
/// Cases in the normal test run; `FLOWOS_FUZZ_CASES` overrides it.
const DEFAULT_CASES: u64 = 10;
/// The stage folders, as the product spells them.
const STAGES: [&str; 7] = flowos_lsp::syntax::STAGE_NAMES;

// ---------------------------------------------------------------------------------------------
// The starting workspace, as data.

/// A task of the fixture: stage, number, slug, name, status, depends_on, blocks, extra lines,
/// and how long before `START` it entered its stage.
struct Seed(
    &'static str,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static [u32],
    &'static [u32],
    &'static str,
    i64,
);

// Their stage entries lie near the SLO thresholds (wip.policy.md below: inbox 24h/48h,
// backlog 7d/14d, current its effort, M = 3d, and twice that), so a clock moving by hours or
// days adds slo-exceeded diagnostics, raises them to warnings and changes their hour counts.
const TASKS: [Seed; 7] = [
    // Over its backlog target in 5 hours, over the threshold in 7 days and 5 hours.
    Seed(
        "backlog",
        1,
        "alpha",
        "Alpha",
        "active",
        &[],
        &[2],
        "",
        6 * DAY + 20 * HOUR,
    ),
    // Over its target already (info), a warning in 3 hours.
    Seed(
        "backlog",
        2,
        "beta",
        "Beta",
        "active",
        &[1],
        &[],
        "",
        13 * DAY + 22 * HOUR,
    ),
    Seed(
        "next",
        3,
        "gamma",
        "Gamma",
        "active",
        &[2],
        &[],
        "",
        3 * DAY,
    ),
    // Depends on a task still in next: unfinished-dependency from the start. Over its
    // effort in an hour and a half.
    Seed(
        "current",
        4,
        "delta",
        "Delta",
        "active",
        &[3],
        &[],
        "",
        2 * DAY + 23 * HOUR + 30 * MINUTE,
    ),
    // Over its effort already, beyond twice it in 2 hours.
    Seed(
        "current",
        5,
        "epsilon",
        "Epsilon",
        "blocked",
        &[],
        &[],
        "blocked_by: \"task:TASK-0004\"\n",
        5 * DAY + 23 * HOUR,
    ),
    Seed(
        "archived",
        6,
        "zeta",
        "Zeta",
        "canceled",
        &[],
        &[],
        "canceled_reason: \"dropped\"\n",
        10 * DAY,
    ),
    // Over the inbox target in 2 hours, the threshold in 26.
    Seed("inbox", 7, "eta", "Eta", "active", &[6], &[], "", 23 * HOUR),
];

fn id_list(ids: &[u32]) -> String {
    let items: Vec<String> = ids.iter().map(|id| format!("\"TASK-{id:04}\"")).collect();
    format!("[{}]", items.join(", "))
}

fn card_text(
    stage: &str,
    id: u32,
    name: &str,
    status: &str,
    depends_on: &[u32],
    blocks: &[u32],
    extra: &str,
) -> String {
    let later = !matches!(stage, "inbox" | "backlog");
    let (priority, effort) = if later {
        ("\"P2\"", "\"M\"")
    } else {
        ("null", "null")
    };
    format!(
        "---\ntask_id: \"{id:04}\"\ncreated_by: \"@kim\"\ncreated_date: \"2026-01-05\"\n\
         schema_version: \"1.0\"\ntask_name: \"{name}\"\nstage: \"{stage}\"\n\
         priority: {priority}\neffort_estimate: {effort}\ncurrent_dri: \"@kim\"\n\
         status: \"{status}\"\ndepends_on: {}\nblocks: {}\n{extra}---\n\n## Goal\n\n\
         Ship {name}; see TASK-{:04}.\n\n## Inputs Required\n\nNotes.\n\n\
         ## Implementation Details\n\nSteps.\n\n## Expected Outputs\n\nA thing.\n\n\
         ## Acceptance Criteria\n\n- [ ] done\n",
        id_list(depends_on),
        id_list(blocks),
        (id % 7) + 1,
    )
}

/// The ledger of a task in `stage`: the events that brought it there, a day apart, the last
/// (the one that entered `stage`) at `entered` (seconds since the epoch).
fn ledger_text(stage: &str, status: &str, entered: i64) -> String {
    let mut events = vec!["created"];
    let path: &[&str] = match stage {
        "inbox" => &[],
        "backlog" => &["verified"],
        "next" => &["verified", "prioritized"],
        "current" => &["verified", "prioritized", "started"],
        "integration" => &["verified", "prioritized", "started", "implemented"],
        "learning" => &[
            "verified",
            "prioritized",
            "started",
            "implemented",
            "moved_to_learning",
        ],
        _ if status == "canceled" => &["verified", "canceled"],
        _ => &[
            "verified",
            "prioritized",
            "started",
            "implemented",
            "closed",
        ],
    };
    events.extend_from_slice(path);
    let last = events.len() as i64 - 1;
    events
        .iter()
        .enumerate()
        .map(|(at, event)| event_at(entered - (last - at as i64) * DAY, event))
        .collect()
}

/// One well-formed ledger line, with its newline.
fn event_at(ts: i64, event: &str) -> String {
    format!(
        "{{\"ts\":\"{}\",\"user\":\"@kim\",\"event\":\"{event}\",\"desc\":\"{event}\"}}\n",
        rfc3339(ts)
    )
}

// Civil dates and seconds since the epoch (Howard Hinnant's algorithms), so the test writes
// and reads timestamps without the product's parser.

const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `2026-06-01T00:00:00Z` for a moment in seconds since the epoch.
fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(DAY) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let second_of_day = seconds.rem_euclid(DAY);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / HOUR,
        second_of_day % HOUR / MINUTE,
        second_of_day % MINUTE
    )
}

/// Which starting workspace a case edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fixture {
    /// The eight tasks above, with few diagnostics.
    Quiet,
    /// The quiet tasks plus 30–60 more drawn from this seed, most with warnings and hints to
    /// report (see `add_noisy_tasks`): what a long-lived team's tree looks like.
    Noisy(u64),
}

/// The index tables under construction: the root's and each stage's.
struct Indexes {
    root: String,
    stages: BTreeMap<String, String>,
}

impl Indexes {
    fn new() -> Indexes {
        Indexes {
            root: "| ID | Name | DRI | Stage | Status |\n|----|------|-----|-------|--------|\n"
                .into(),
            stages: BTreeMap::new(),
        }
    }

    fn stage(&mut self, stage: &str) -> &mut String {
        self.stages.entry(stage.to_string()).or_insert_with(|| {
            "| ID | Name | DRI | Status |\n|----|------|-----|--------|\n".into()
        })
    }

    /// A task's rows. The root index links its ID to the card and the stage index its name to
    /// the folder (`folder/card` relative to the tasks root), as teams do to make an index
    /// clickable on their forge: the link texts are what the rules read, the targets what
    /// index-broken-link checks.
    fn add(&mut self, id: &str, name: &str, stage: &str, status: &str, folder: &str, card: &str) {
        self.root.push_str(&format!(
            "| [{id}]({folder}/{card}) | {name} | @kim | {stage} | {status} |\n"
        ));
        let in_stage = folder.split_once('/').map_or(folder, |(_, rest)| rest);
        self.stage(stage).push_str(&format!(
            "| {id} | [{name}](./{in_stage}/) | @kim | {status} |\n"
        ));
    }
}

/// Every file of the starting workspace, relative to the tasks root.
fn fixture(kind: Fixture) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut indexes = Indexes::new();
    for Seed(stage, id, slug, name, status, depends_on, blocks, extra, ago) in &TASKS {
        let folder = format!("{stage}/TASK-{id:04}-{slug}");
        files.push((
            format!("{folder}/{id:04}-{slug}.task.md"),
            card_text(stage, *id, name, status, depends_on, blocks, extra),
        ));
        files.push((
            format!("{folder}/{id:04}.context.md"),
            format!("# Context\n\nBuilds on TASK-{:04}.\n", (id % 7) + 1),
        ));
        files.push((
            format!("{folder}/{id:04}.ledger.jsonl"),
            ledger_text(stage, status, START - ago),
        ));
        let card = format!("{id:04}-{slug}.task.md");
        indexes.add(&format!("{id:04}"), name, stage, status, &folder, &card);
    }
    // A namespaced task (unified layout), the registry declaring its namespace, a learning
    // file, an earlier card version and a WIP policy: each is read by rules of its own.
    let folder = "backlog/TASK-FW-0001-fire";
    let fire = card_text("backlog", 1, "Fire", "active", &[2], &[], "")
        .replace("task_id: \"0001\"", "task_id: \"FW-0001\"");
    files.push((format!("{folder}/FW-0001-fire.task.md"), fire));
    files.push((format!("{folder}/FW-0001.context.md"), "# Context\n".into()));
    // Exactly at its backlog target: over it an hour later.
    files.push((
        format!("{folder}/FW-0001.ledger.jsonl"),
        ledger_text("backlog", "active", START - 7 * DAY),
    ));
    indexes.add(
        "FW-0001",
        "Fire",
        "backlog",
        "active",
        folder,
        "FW-0001-fire.task.md",
    );
    files.push((
        "NAMESPACES.yaml".into(),
        "namespaces:\n  FW:\n    full_name: \"Fireweed\"\n".into(),
    ));
    files.push((
        "archived/TASK-0006-zeta/0006.learning.md".into(),
        "# Learning\n\nTASK-0002 and FW-0001 taught us this.\n".into(),
    ));
    files.push((
        "archived/TASK-0006-zeta/0006-zeta.task.v1.md".into(),
        "---\ntask_id: \"0006\"\n---\nOld text naming TASK-0004.\n".into(),
    ));
    let (policy, counter) = match kind {
        Fixture::Quiet => (
            "# WIP policy\n\n| Stage | WIP Limit | Scope |\n|---|---|---|\n| current | 2 | System-wide |\n\
             | next | 3 | Per DRI |\n\n| Stage | SLO Target | Violation Threshold |\n|---|---|---|\n\
             | inbox | 24 hours | >48 hours |\n| backlog | 7 days | >14 days |\n\
             | current | Varies by effort | >2x effort estimate |\n"
                .to_string(),
            8,
        ),
        Fixture::Noisy(seed) => (
            // No SLO table: SPEC §2's defaults, for every stage.
            "# WIP policy\n\n| Stage | WIP Limit | Scope |\n|---|---|---|\n| current | 6 | System-wide |\n\
             | next | 8 | Per DRI |\n"
                .to_string(),
            add_noisy_tasks(seed, &mut files, &mut indexes),
        ),
    };
    files.push(("wip.policy.md".into(), policy));
    files.push(("INDEX.md".into(), indexes.root));
    for (stage, text) in indexes.stages {
        files.push((format!("{stage}/INDEX.md"), text));
    }
    files.push(("ID_COUNTER.txt".into(), format!("{counter:04}\n")));
    files
}

/// The first ID of the noisy tasks; generated histories name some of them.
const NOISY_FIRST: u32 = 10;

/// Adds 30–60 tasks (IDs from `NOISY_FIRST`) to a workspace, with, here and there: stale Name,
/// Status or Stage cells and missing rows in the indexes, unknown ledger events, unknown (and
/// misspelt) frontmatter fields, `blocks` without the inverse `depends_on`, dependencies on
/// canceled tasks, stage entries from minutes to a month old (SLOs near, over and far beyond
/// their thresholds, by SPEC §2's defaults), missing sections, paused tasks without a reason.
/// Returns the next free ID.
fn add_noisy_tasks(seed: u64, files: &mut Vec<(String, String)>, indexes: &mut Indexes) -> u32 {
    struct Noisy {
        id: u32,
        stage: &'static str,
        status: &'static str,
        name: String,
        depends_on: Vec<u32>,
        blocks: Vec<u32>,
        extra: String,
        entered: i64,
    }
    let mut rng = Rng(seed ^ 0x0015_E5EE_D000);
    let mut links = Rng(seed ^ 0x0011_4C14_C000);
    let count = 30 + rng.below(31) as u32;
    let end = NOISY_FIRST + count;
    let mut canceled = vec![6];
    let mut tasks: Vec<Noisy> = Vec::new();
    for id in NOISY_FIRST..end {
        let stage = *rng.pick(&[
            "inbox",
            "backlog",
            "backlog",
            "backlog",
            "next",
            "next",
            "current",
            "integration",
            "learning",
            "archived",
            "archived",
        ]);
        let status = match stage {
            "archived" if rng.chance(2) => "canceled",
            "archived" => "active",
            _ => *rng.pick(&["active", "active", "active", "active", "blocked", "paused"]),
        };
        let mut extra = String::new();
        match status {
            "canceled" => extra.push_str("canceled_reason: \"superseded\"\n"),
            "blocked" if !rng.chance(3) => extra.push_str("blocked_by: \"task:TASK-0004\"\n"),
            "paused" if rng.chance(2) => extra.push_str("paused_reason: \"waiting\"\n"),
            _ => {}
        }
        if rng.chance(2) {
            let unknown: [&str; 4] = [
                "labels: [\"ui\", \"infra\"]\n",
                "estimate_hours: 4\n",
                // A typo of `priority`: a warning rather than a hint.
                "prority: \"P1\"\n",
                "reviewer: \"@ana\"\n",
            ];
            extra.push_str(unknown[rng.below(unknown.len())]);
        }
        let pool: Vec<u32> = (1..=7).chain(NOISY_FIRST..id).collect();
        let mut depends_on = Vec::new();
        for _ in 0..rng.below(3) {
            let dep = if rng.chance(3) {
                *rng.pick(&canceled)
            } else {
                *rng.pick(&pool)
            };
            if !depends_on.contains(&dep) {
                depends_on.push(dep);
            }
        }
        if status == "canceled" {
            canceled.push(id);
        }
        // Anywhere from a few minutes to a month in the stage, at odd minutes.
        let entered = START - rng.below(30 * 24) as i64 * HOUR - rng.below(60) as i64 * MINUTE;
        let name = format!(
            "{} {id}",
            rng.pick(&["Ingest", "Report", "Migrate", "Audit", "Résumé", "Deploy"])
        );
        tasks.push(Noisy {
            id,
            stage,
            status,
            name,
            depends_on,
            blocks: Vec::new(),
            extra,
            entered,
        });
    }
    // Inverse links: half of the noisy dependencies are mirrored in `blocks`, and a few
    // `blocks` name a task that does not depend back (unlinked-inverse).
    for at in 0..tasks.len() {
        for dep in tasks[at].depends_on.clone() {
            if dep >= NOISY_FIRST && rng.chance(2) {
                let id = tasks[at].id;
                tasks[(dep - NOISY_FIRST) as usize].blocks.push(id);
            }
        }
        if rng.chance(4) {
            let other = NOISY_FIRST + rng.below(count as usize) as u32;
            if other != tasks[at].id && !tasks[at].blocks.contains(&other) {
                tasks[at].blocks.push(other);
            }
        }
    }
    for task in &tasks {
        let Noisy {
            id,
            stage,
            status,
            name,
            ..
        } = task;
        let slug = format!("n{id}");
        let folder = format!("{stage}/TASK-{id:04}-{slug}");
        let mut card = card_text(
            stage,
            *id,
            name,
            status,
            &task.depends_on,
            &task.blocks,
            &task.extra,
        );
        if rng.chance(3) {
            let section = *rng.pick(&[
                "## Inputs Required\n\nNotes.\n\n",
                "## Expected Outputs\n\nA thing.\n\n",
                "## Implementation Details\n\nSteps.\n\n",
            ]);
            card = card.replace(section, "");
        }
        if stage != &"inbox" && stage != &"backlog" {
            let effort = *rng.pick(&["\"XS\"", "\"S\"", "\"M\"", "\"L\"", "\"5\""]);
            card = card.replace(
                "effort_estimate: \"M\"",
                &format!("effort_estimate: {effort}"),
            );
        }
        files.push((format!("{folder}/{id:04}-{slug}.task.md"), card));
        files.push((
            format!("{folder}/{id:04}.context.md"),
            format!(
                "# Context\n\nSee TASK-{:04} and TASK-{:04}.\n",
                NOISY_FIRST + rng.below(count as usize) as u32,
                1 + rng.below(7)
            ),
        ));
        let mut ledger = ledger_text(stage, status, task.entered);
        for minutes in 1..=rng.below(4) as i64 {
            let event = *rng.pick(&["reviewed", "pinged", "made_up", "verifed"]);
            ledger.push_str(&event_at(task.entered + minutes * MINUTE, event));
        }
        files.push((format!("{folder}/{id:04}.ledger.jsonl"), ledger));
        // Index rows that drifted from their cards, and cells that link (a few to where the
        // task is not), drawn from a generator of their own so the rest stays as it was.
        let mut id_cell = format!("{id:04}");
        let card = format!("{id:04}-{slug}.task.md");
        match links.below(6) {
            0 | 1 => id_cell = format!("[{id_cell}]({folder}/{card})"),
            2 => id_cell = format!("[{id_cell}](./{folder}/)"),
            3 => id_cell = format!("[{id_cell}](next/TASK-{id:04}-{slug}/{card}#goal)"),
            _ => {}
        }
        let (mut root_name, mut stage_name) = (name.clone(), name.clone());
        let (mut root_status, mut stage_status) = (status.to_string(), status.to_string());
        let mut root_stage = stage.to_string();
        match rng.below(8) {
            0 => root_name = format!("Old {name}"),
            1 => stage_name = "Renamed since".into(),
            2 => root_status = "blocked".into(),
            3 => stage_status = "paused".into(),
            4 => root_stage = "next".into(),
            _ => {}
        }
        if !rng.chance(12) {
            indexes.root.push_str(&format!(
                "| {id_cell} | {root_name} | @kim | {root_stage} | {root_status} |\n"
            ));
        }
        if links.chance(2) {
            stage_name = format!("[{stage_name}](TASK-{id:04}-{slug}/{card})");
        }
        if !rng.chance(12) {
            indexes.stage(stage).push_str(&format!(
                "| {:04} | {stage_name} | @kim | {stage_status} |\n",
                id
            ));
        }
    }
    end
}

// ---------------------------------------------------------------------------------------------
// Operations.

/// One `contentChanges` entry: a range in protocol positions and its new text.
#[derive(Clone, Debug)]
struct Change(Pos, Pos, String);

/// Which watched-file events a folder change sends: the folder alone, each file below it
/// alone, or both (clients differ).
#[derive(Clone, Copy, Debug)]
enum Events {
    Folder,
    Files,
    Both,
}

/// An operation, concrete enough to replay: paths are relative to the tasks root. Replaying a
/// sequence with some operations left out (while shrinking) skips any that no longer apply.
#[derive(Clone, Debug)]
enum Op {
    Open(String),
    Close(String),
    /// Writes the buffer to disk, then didSave and a watched-file event, as editors do.
    Save(String),
    Edit(String, Vec<Change>),
    /// Another tool writes a file (created or replaced).
    Write(String, String),
    Delete(String, Events),
    Rename(String, String, Events),
    Mkdir(String),
    /// A new task folder with these files, written in place or written in a hidden staging
    /// folder and moved in whole.
    CreateTask {
        folder: String,
        files: Vec<(String, String)>,
        staged: bool,
        events: Events,
    },
    /// Sends the watched-file events gathered so far, as one notification.
    Notify,
    /// Pulls a file's diagnostics and waits for them: the server analyses everything before.
    Sync(String),
    /// The workspace folder is removed and added again: the server reads everything anew,
    /// laying the open buffers over the disk.
    Reindex,
    /// New settings: rule severities (`off` switches one off) and extra ledger events. The
    /// final `check` gets the same as `--rule` and `--extra-event`.
    Settings(Vec<(String, String)>, Vec<String>),
    /// Moves the server's clock on by this many seconds (`flowos/debugSetNow`), as time
    /// passing would; the final `check` measures at the same moment.
    Clock(i64),
}

/// How this suite's histories announce a folder change.
trait PickEvents {
    fn events(&mut self) -> Events;
}

impl PickEvents for Rng {
    fn events(&mut self) -> Events {
        *self.pick(&[Events::Folder, Events::Files, Events::Both])
    }
}

// ---------------------------------------------------------------------------------------------
// Generating edits.

/// A column on a character boundary of `line` (never inside a surrogate pair).
fn boundary(text: &str, line: usize, rng: &mut Rng) -> u32 {
    let (start, end) = text::lines(text)[line];
    let mut cols = vec![0u32];
    let mut units = 0;
    for ch in text[start..end].chars() {
        units += ch.len_utf16() as u32;
        cols.push(units);
    }
    *rng.pick(&cols)
}

fn random_position(text: &str, rng: &mut Rng) -> Pos {
    let line = rng.below(text::lines(text).len());
    (line as u32, boundary(text, line, rng))
}

const TOKENS: [&str; 26] = [
    "é",
    "🎉",
    "\n",
    "\r\n",
    "TASK-0003",
    "TASK-0009",
    "\"",
    "[",
    "]",
    ": ",
    "---\n",
    "- [ ] x\n",
    ", \"TASK-0001\"",
    "  ",
    "\t",
    "#",
    "{",
    "}",
    ",",
    "x",
    "## Goal\n",
    "0",
    "FW-0001",
    "TASK-ZZ-0002",
    // Line breaks to LSP (a lone CR) and not (U+2028): the buffer must count lines as the
    // client does.
    "\r",
    "\u{2028}",
];

fn random_insert(text: &str, rng: &mut Rng) -> Change {
    let at = random_position(text, rng);
    Change(at, at, rng.pick(&TOKENS).to_string())
}

fn random_delete(text: &str, rng: &mut Rng) -> Change {
    let start = random_position(text, rng);
    let from = text::offset(text, start);
    let count = 1 + rng.below(12);
    let to = text[from..]
        .char_indices()
        .nth(count)
        .map_or(text.len(), |(at, _)| from + at);
    Change(start, text::position(text, to), String::new())
}

fn ids(rng: &mut Rng) -> String {
    let count = rng.below(4);
    let items: Vec<String> = (0..count)
        .map(|_| match rng.below(10) {
            0 => "\"FW-0001\"".to_string(),
            1 => "\"TASK-ZZ-0001\"".to_string(),
            // Tasks of the noisy fixture (some exist only there).
            2 => format!("\"TASK-{:04}\"", NOISY_FIRST as usize + rng.below(50)),
            _ => format!("\"TASK-{:04}\"", 1 + rng.below(9)),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// Changes one digit: dates, timestamps, IDs, limits and counters all hang on them.
fn digit_edit(text: &str, rng: &mut Rng) -> Change {
    let digits: Vec<usize> = text
        .char_indices()
        .filter(|(_, ch)| ch.is_ascii_digit())
        .map(|(at, _)| at)
        .collect();
    if digits.is_empty() {
        return random_insert(text, rng);
    }
    let at = *rng.pick(&digits);
    let digit = char::from(b'0' + rng.below(10) as u8);
    Change(
        text::position(text, at),
        text::position(text, at + 1),
        digit.to_string(),
    )
}

/// Sets, adds or removes a frontmatter field.
fn field_edit(text: &str, rng: &mut Rng) -> Change {
    let key = *rng.pick(&[
        "stage",
        "status",
        "task_id",
        "depends_on",
        "depends_on",
        "depends_on",
        "blocks",
        "current_dri",
        "priority",
        "task_name",
        "blocked_by",
        "effort_estimate",
        "labels",
        "prority",
        "---",
    ]);
    let value = match key {
        "stage" => rng.pick(&STAGES.map(|s| format!("\"{s}\""))).clone(),
        "status" => rng
            .pick(&[
                "\"active\"",
                "\"blocked\"",
                "\"paused\"",
                "\"canceled\"",
                "\"done\"",
            ])
            .to_string(),
        "task_id" => match rng.below(4) {
            0 => "0004".into(),
            1 => "\"TASK-0003\"".into(),
            _ => format!("\"{:04}\"", 1 + rng.below(9)),
        },
        "depends_on" | "blocks" => match rng.below(6) {
            0 => "TASK-0002".into(),
            1 => "[\"TASK-00\"]".into(),
            _ => ids(rng),
        },
        "current_dri" => rng.pick(&["\"@kim\"", "\"@ana\"", "kim"]).to_string(),
        "priority" => rng
            .pick(&["null", "\"P0\"", "\"P2\"", "\"P9\""])
            .to_string(),
        "task_name" => rng.pick(&["\"Alpha\"", "\"Renamed\"", "[oops"]).to_string(),
        "blocked_by" => rng
            .pick(&[
                "null",
                "\"task:TASK-0004\"",
                "\"task:TASK-0009\"",
                "\"nope\"",
            ])
            .to_string(),
        // Moves a current task's SLO target and threshold.
        "effort_estimate" => rng
            .pick(&["null", "\"XS\"", "\"L\"", "\"2\"", "\"huge\""])
            .to_string(),
        // Unknown fields, one looking like a typo.
        "labels" => "[\"ui\"]".to_string(),
        "prority" => "\"P1\"".to_string(),
        // The closing fence: broken or restored.
        _ => rng.pick(&["--", "---", "- --"]).to_string(),
    };
    let lines = text::lines(text);
    let found = lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|&(_, &(start, end))| {
            let line = &text[start..end];
            if key == "---" {
                line.starts_with("--") || line.starts_with("- --")
            } else {
                line.starts_with(&format!("{key}:"))
            }
        });
    match found {
        Some((line, &(start, end))) if key == "---" => {
            let width = text[start..end].encode_utf16().count() as u32;
            Change((line as u32, 0), (line as u32, width), value)
        }
        // Now and then a field goes away altogether.
        Some((line, _)) if rng.chance(6) => {
            Change((line as u32, 0), (line as u32 + 1, 0), String::new())
        }
        Some((line, &(start, end))) => {
            let width = text[start..end].encode_utf16().count() as u32;
            let col = key.len() as u32 + 1;
            Change(
                (line as u32, col),
                (line as u32, width),
                format!(" {value}"),
            )
        }
        None if key == "---" => random_insert(text, rng),
        None => Change((1, 0), (1, 0), format!("{key}: {value}\n")),
    }
}

/// A ledger line, well-formed or not; some enter a stage shortly before `now`, so the SLO
/// clock starts over.
fn event_line(rng: &mut Rng, now: i64) -> String {
    let event = rng.pick(&[
        "created",
        "verified",
        "prioritized",
        "started",
        "implemented",
        "closed",
        "canceled",
        "paused",
        "made_up",
        "reviewed",
    ]);
    let day = 1 + rng.below(28);
    match rng.below(8) {
        0 => "{\"ts\":\"2026-05-3".into(),
        1 => format!("{{\"ts\":\"yesterday\",\"user\":\"@kim\",\"event\":\"{event}\"}}"),
        2 => format!("{{\"user\":\"@kim\",\"event\":\"{event}\",\"desc\":\"d\"}}"),
        3 | 4 => {
            let ago = rng.below(10 * 24) as i64 * HOUR + rng.below(60) as i64 * MINUTE;
            event_at(now - ago, event).trim_end().to_string()
        }
        _ => format!(
            "{{\"ts\":\"2026-05-{day:02}T10:00:00Z\",\"user\":\"@kim\",\"event\":\"{event}\",\"desc\":\"d\"}}"
        ),
    }
}

fn ledger_edit(text: &str, rng: &mut Rng, now: i64) -> Change {
    let lines = text::lines(text);
    if rng.chance(3) && lines.len() > 1 {
        // Replace a whole line.
        let line = rng.below(lines.len() - 1) as u32;
        let (start, end) = lines[line as usize];
        let width = text[start..end].encode_utf16().count() as u32;
        return Change((line, 0), (line, width), event_line(rng, now));
    }
    let end = text::position(text, text.len());
    let line = event_line(rng, now);
    // Usually a clean append; sometimes onto a last line that lacks its newline.
    let insert = if rng.chance(4) {
        line
    } else {
        format!("{line}\n")
    };
    Change(end, end, insert)
}

fn index_edit(text: &str, rng: &mut Rng, facts: &Facts) -> Change {
    let lines = text::lines(text);
    let rows: Vec<usize> = (0..lines.len())
        .filter(|&line| {
            let (start, end) = lines[line];
            let row = &text[start..end];
            row.starts_with("| 0") || row.starts_with("| TASK") || row.starts_with("| [")
        })
        .collect();
    let phantom = "| 0042 | Ghost | @kim | backlog | active |\n".to_string();
    if rows.is_empty() || rng.chance(5) {
        let at = (lines.len().min(2)) as u32;
        return Change((at, 0), (at, 0), phantom);
    }
    let line = *rng.pick(&rows);
    let (start, end) = lines[line];
    let row = &text[start..end];
    let line = line as u32;
    let mut cells: Vec<String> = row.split('|').map(str::to_string).collect();
    let width = row.encode_utf16().count() as u32;
    match rng.below(5) {
        0 => Change((line, 0), (line + 1, 0), String::new()),
        1 => Change((line, 0), (line, 0), format!("{row}\n")),
        // Brings the Name and Status cells back in line with the card (the noisy fixture's
        // stale cells), when there is one.
        2 if cells.len() > 4 => {
            // The ID as the cell reads it: a link's text.
            let id = cells[1].trim();
            let id = match id.strip_prefix('[') {
                Some(rest) => rest.split(']').next().unwrap_or(rest),
                None => id,
            };
            let Some((name, status)) = facts.cards.get(id) else {
                return Change((line, 0), (line, 0), format!("{row}\n"));
            };
            cells[2] = format!(" {name} ");
            let last = cells.len() - 2;
            cells[last] = format!(" {status} ");
            Change((line, 0), (line, width), cells.join("|"))
        }
        _ => {
            if cells.len() > 2 {
                let cell = 1 + rng.below(cells.len() - 2);
                cells[cell] = format!(
                    " {} ",
                    rng.pick(&[
                        "0001",
                        "0003",
                        "0009",
                        "Alpha",
                        "Ghost",
                        "@ana",
                        "backlog",
                        "next",
                        "current",
                        "blocked",
                        "canceled",
                        "",
                        "Old Audit 12",
                        "0012",
                        "paused",
                        "[0001](backlog/TASK-0001-alpha/0001-alpha.task.md)",
                        "[0001](next/TASK-0001-alpha/)",
                        "[Alpha](./TASK-0001-alpha/)",
                        "[0003](../next/TASK-0003-gamma/0003-gamma.task.md)",
                        "[0012](",
                    ])
                );
            }
            Change((line, 0), (line, width), cells.join("|"))
        }
    }
}

/// What edits may know besides the text they edit.
struct Facts {
    /// The server's clock.
    now: i64,
    /// Each card's task_name and status by its task_id (open buffers over the disk).
    cards: BTreeMap<String, (String, String)>,
}

fn one_edit(rel: &str, text: &str, rng: &mut Rng, facts: &Facts) -> Change {
    match rng.below(11) {
        0..=2 => random_insert(text, rng),
        3 | 4 => random_delete(text, rng),
        5 => digit_edit(text, rng),
        _ if rel.ends_with(".task.md") => field_edit(text, rng),
        _ if rel.ends_with(".ledger.jsonl") => ledger_edit(text, rng, facts.now),
        _ if rel.ends_with("INDEX.md") => index_edit(text, rng, facts),
        _ if rel.ends_with("ID_COUNTER.txt") => {
            let end = text::position(text, text.len());
            let value = rng.pick(&["0008\n", "0003\n", "junk\n", "", "0100\n"]);
            Change((0, 0), end, value.to_string())
        }
        _ => random_insert(text, rng),
    }
}

/// One didChange's changes (usually one, sometimes a few applied in order).
fn edits(rel: &str, text: &str, rng: &mut Rng, facts: &Facts) -> Vec<Change> {
    let count = if rng.chance(5) { 2 + rng.below(2) } else { 1 };
    let mut scratch = text.to_string();
    (0..count)
        .map(|_| {
            let change = one_edit(rel, &scratch, rng, facts);
            text::apply(&mut scratch, change.0, change.1, &change.2);
            change
        })
        .collect()
}

/// How far a clock operation moves the clock from `now`: seconds, minutes, hours or days, or
/// exactly onto (or a second short of) the next whole hour, where the fixtures' stage entries
/// pass a target, a threshold or one more hour counted.
fn clock_step(now: i64, rng: &mut Rng) -> i64 {
    let to_hour = HOUR - now.rem_euclid(HOUR);
    let below = |rng: &mut Rng, bound: usize| rng.below(bound) as i64;
    match rng.below(6) {
        0 => 1 + below(rng, 59),
        1 => (1 + below(rng, 59)) * MINUTE + below(rng, 60),
        2 => (1 + below(rng, 23)) * HOUR + below(rng, 60) * MINUTE,
        3 => (1 + below(rng, 9)) * DAY + below(rng, 24) * HOUR,
        4 => to_hour,
        _ if to_hour > 1 => to_hour - 1,
        _ => HOUR - 1,
    }
}

// ---------------------------------------------------------------------------------------------
// Running a case.

struct Buffer {
    version: i64,
    text: String,
}

struct Run {
    _dir: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    client: Client,
    open: BTreeMap<String, Buffer>,
    /// Watched-file events not yet sent: path and FileChangeType (1 created, 2 changed, 3 deleted).
    pending: Vec<(PathBuf, u8)>,
    /// Versions only grow, across documents and reopenings, so the publish log can be checked.
    version: i64,
    staged: u32,
    /// The settings last sent.
    rules: Vec<(String, String)>,
    extra_events: Vec<String>,
    fixture: Fixture,
    /// The server's clock, in seconds since the epoch.
    now: i64,
}

/// Every file and folder below `dir`, relative to `root`, sorted.
fn walk(root: &Path, dir: &Path, files: &mut Vec<String>, dirs: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if entry.file_type().unwrap().is_dir() {
            dirs.push(rel);
            walk(root, &path, files, dirs);
        } else {
            files.push(rel);
        }
    }
    files.sort();
    dirs.sort();
}

fn write_files(root: &Path, files: &[(String, String)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn file_change(uri: &str, kind: u8) -> Value {
    json!({"uri": uri, "type": kind})
}

impl Run {
    fn start(fixture_kind: Fixture) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_path_buf();
        let root = base.join(".work/tasks");
        write_files(&root, &fixture(fixture_kind));
        let mut client = Client::spawn_with_env(
            support::Answers::Normally,
            &[("FLOWOS_NOW", &rfc3339(START))],
        );
        client.initialize(
            &base,
            json!({
                "window": {"workDoneProgress": true},
                "workspace": {
                    "configuration": true,
                    "didChangeWatchedFiles": {"dynamicRegistration": true},
                },
                "general": {"positionEncodings": ["utf-16"]},
            }),
            json!({}),
        );
        let mut run = Run {
            _dir: dir,
            base,
            root,
            client,
            open: BTreeMap::new(),
            pending: Vec::new(),
            version: 0,
            staged: 0,
            rules: Vec::new(),
            extra_events: Vec::new(),
            fixture: fixture_kind,
            now: START,
        };
        // Edits start on an indexed workspace (a pull waits for the index).
        run.pull(&run.root.join("INDEX.md"));
        run
    }

    fn files_and_dirs(&self) -> (Vec<String>, Vec<String>) {
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        walk(&self.root, &self.root, &mut files, &mut dirs);
        (files, dirs)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn next_version(&mut self) -> i64 {
        self.version += 1;
        self.version
    }

    fn pull(&mut self, path: &Path) -> Vec<Value> {
        let result = self.client.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri(path)}}),
        );
        result["items"].as_array().cloned().unwrap_or_default()
    }

    /// Queues the events a change to `path` sends (`files` lists what lies below a folder).
    fn queue(&mut self, path: PathBuf, files: &[PathBuf], kind: u8, events: Events) {
        if files.is_empty() || !matches!(events, Events::Files) {
            self.pending.push((path, kind));
        }
        if !files.is_empty() && !matches!(events, Events::Folder) {
            self.pending
                .extend(files.iter().map(|file| (file.clone(), kind)));
        }
    }

    fn below(&self, path: &Path) -> Vec<PathBuf> {
        if !path.is_dir() {
            return Vec::new();
        }
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        walk(path, path, &mut files, &mut dirs);
        files.iter().map(|rel| path.join(rel)).collect()
    }

    fn execute(&mut self, op: &Op) {
        match op {
            Op::Open(rel) => {
                let path = self.path(rel);
                if self.open.contains_key(rel) || !path.is_file() {
                    return;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let version = self.next_version();
                self.client.notify(
                    "textDocument/didOpen",
                    json!({"textDocument": {"uri": uri(&path), "languageId": "markdown", "version": version, "text": text}}),
                );
                self.open.insert(rel.clone(), Buffer { version, text });
            }
            Op::Close(rel) => {
                if self.open.remove(rel).is_some() {
                    let path = self.path(rel);
                    self.client.notify(
                        "textDocument/didClose",
                        json!({"textDocument": {"uri": uri(&path)}}),
                    );
                }
            }
            Op::Save(rel) => {
                let Some(buffer) = self.open.get(rel) else {
                    return;
                };
                let text = buffer.text.clone();
                let path = self.path(rel);
                let existed = path.exists();
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &text).unwrap();
                self.client.notify(
                    "textDocument/didSave",
                    json!({"textDocument": {"uri": uri(&path)}}),
                );
                self.pending.push((path, if existed { 2 } else { 1 }));
            }
            Op::Edit(rel, changes) => {
                let version = self.next_version();
                let Some(buffer) = self.open.get_mut(rel) else {
                    return;
                };
                for Change(start, end, insert) in changes {
                    text::apply(&mut buffer.text, *start, *end, insert);
                }
                buffer.version = version;
                let content: Vec<Value> = changes
                    .iter()
                    .map(|Change(start, end, insert)| {
                        json!({
                            "range": {
                                "start": {"line": start.0, "character": start.1},
                                "end": {"line": end.0, "character": end.1},
                            },
                            "text": insert,
                        })
                    })
                    .collect();
                let path = self.path(rel);
                self.client.notify(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": uri(&path), "version": version}, "contentChanges": content}),
                );
            }
            Op::Write(rel, text) => {
                let path = self.path(rel);
                if path.is_dir() {
                    return;
                }
                let existed = path.exists();
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, text).unwrap();
                self.pending.push((path, if existed { 2 } else { 1 }));
            }
            Op::Delete(rel, events) => {
                let path = self.path(rel);
                let files = self.below(&path);
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).unwrap();
                } else if path.is_file() {
                    std::fs::remove_file(&path).unwrap();
                } else {
                    return;
                }
                self.queue(path, &files, 3, *events);
            }
            Op::Rename(from, to, events) => {
                let (from, to) = (self.path(from), self.path(to));
                if !from.exists() || to.exists() || to.starts_with(&from) {
                    return;
                }
                let old_files = self.below(&from);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::rename(&from, &to).unwrap();
                let new_files = self.below(&to);
                self.queue(from, &old_files, 3, *events);
                self.queue(to, &new_files, 1, *events);
            }
            Op::Mkdir(rel) => {
                let path = self.path(rel);
                if path.exists() {
                    return;
                }
                std::fs::create_dir_all(&path).unwrap();
                self.pending.push((path, 1));
            }
            Op::CreateTask {
                folder,
                files,
                staged,
                events,
            } => {
                let target = self.path(folder);
                if target.exists() {
                    return;
                }
                let write_at = if *staged {
                    self.staged += 1;
                    self.root.join(format!(".staging-{}", self.staged))
                } else {
                    target.clone()
                };
                std::fs::create_dir_all(&write_at).unwrap();
                for (name, text) in files {
                    std::fs::write(write_at.join(name), text).unwrap();
                }
                if *staged {
                    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                    std::fs::rename(&write_at, &target).unwrap();
                }
                let written = self.below(&target);
                self.queue(target, &written, 1, *events);
            }
            Op::Notify => self.notify(),
            Op::Settings(rules, extra_events) => {
                let rules_json: serde_json::Map<String, Value> = rules
                    .iter()
                    .map(|(rule, level)| (rule.clone(), json!(level)))
                    .collect();
                let settings = json!({"rules": rules_json, "extraEvents": extra_events});
                // The server may also ask for them (workspace/configuration).
                self.client.settings = settings.clone();
                self.client.notify(
                    "workspace/didChangeConfiguration",
                    json!({"settings": {"flowos": settings}}),
                );
                self.rules = rules.clone();
                self.extra_events = extra_events.clone();
            }
            Op::Reindex => {
                let folder = json!([{"uri": uri(&self.base), "name": "ws"}]);
                self.client.notify(
                    "workspace/didChangeWorkspaceFolders",
                    json!({"event": {"added": folder, "removed": folder}}),
                );
            }
            Op::Sync(rel) => {
                let path = self.path(rel);
                self.pull(&path);
            }
            Op::Clock(seconds) => {
                self.now += seconds;
                let response = self
                    .client
                    .request_full("flowos/debugSetNow", json!({"now": rfc3339(self.now)}));
                assert!(
                    response.get("error").is_none(),
                    "flowos/debugSetNow failed: {response}; only builds with debug assertions \
                     have it (for release: CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true)"
                );
            }
        }
    }

    /// Each card's task_name and status by task_id, as the server sees them (open buffers
    /// over the disk); read line by line, as an index-fixing tool would.
    fn facts(&self) -> Facts {
        let (files, _) = self.files_and_dirs();
        let mut cards = BTreeMap::new();
        for rel in files.iter().filter(|rel| rel.ends_with(".task.md")) {
            let text = match self.open.get(rel) {
                Some(buffer) => buffer.text.clone(),
                None => std::fs::read_to_string(self.path(rel)).unwrap_or_default(),
            };
            let field = |key: &str| {
                text.lines()
                    .find_map(|line| line.strip_prefix(key))
                    .map(|value| value.trim().trim_matches('"').to_string())
            };
            if let (Some(id), Some(name), Some(status)) =
                (field("task_id:"), field("task_name:"), field("status:"))
            {
                cards.insert(id, (name, status));
            }
        }
        Facts {
            now: self.now,
            cards,
        }
    }

    fn notify(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let changes: Vec<Value> = std::mem::take(&mut self.pending)
            .iter()
            .map(|(path, kind)| file_change(&uri(path), *kind))
            .collect();
        self.client.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": changes}),
        );
    }

    /// A random operation that fits the current state.
    fn generate(&self, rng: &mut Rng) -> Op {
        let (files, dirs) = self.files_and_dirs();
        let facts = self.facts();
        let task_folders: Vec<&String> = dirs
            .iter()
            .filter(|dir| {
                dir.rsplit('/')
                    .next()
                    .is_some_and(|n| n.starts_with("TASK-"))
            })
            .collect();
        let open: Vec<&String> = self.open.keys().collect();
        let closed: Vec<&String> = files
            .iter()
            .filter(|file| !self.open.contains_key(*file))
            .collect();
        let roll = rng.below(100);
        match roll {
            0..=39 if !open.is_empty() => {
                let rel = (*rng.pick(&open)).clone();
                let changes = edits(&rel, &self.open[&rel].text, rng, &facts);
                Op::Edit(rel, changes)
            }
            40..=49 if !closed.is_empty() => Op::Open((*rng.pick(&closed)).clone()),
            50..=53 if !open.is_empty() => Op::Close((*rng.pick(&open)).clone()),
            54..=57 if !open.is_empty() => Op::Save((*rng.pick(&open)).clone()),
            58..=63 if !files.is_empty() => {
                let rel = rng.pick(&files).clone();
                let mut text = std::fs::read_to_string(self.path(&rel)).unwrap_or_default();
                if rng.chance(8) {
                    // A tool that writes Windows line endings.
                    text = text.replace("\r\n", "\n").replace('\n', "\r\n");
                } else {
                    for Change(start, end, insert) in edits(&rel, &text, rng, &facts) {
                        text::apply(&mut text, start, end, &insert);
                    }
                }
                Op::Write(rel, text)
            }
            64..=66 if !files.is_empty() => Op::Delete(rng.pick(&files).clone(), rng.events()),
            67..=69 if !task_folders.is_empty() => {
                Op::Delete((*rng.pick(&task_folders)).clone(), rng.events())
            }
            70..=72 => {
                let cards: Vec<&String> =
                    files.iter().filter(|f| f.ends_with(".task.md")).collect();
                if cards.is_empty() {
                    return Op::Notify;
                }
                let card = (*rng.pick(&cards)).clone();
                let (folder, name) = card.rsplit_once('/').unwrap_or(("", &card));
                let id = name.get(..4).unwrap_or("0000");
                let new_name = match rng.below(3) {
                    0 => format!("{id}-renamed.task.md"),
                    1 => format!("{:04}-other.task.md", 1 + rng.below(9)),
                    _ => "notes.md".to_string(),
                };
                Op::Rename(card.clone(), format!("{folder}/{new_name}"), rng.events())
            }
            73..=78 if !task_folders.is_empty() => {
                // A move to another stage, a new ID, or the trash.
                let folder = (*rng.pick(&task_folders)).clone();
                let name = folder.rsplit('/').next().unwrap().to_string();
                let to = match rng.below(5) {
                    0 => {
                        let slug = name.splitn(3, '-').nth(2).unwrap_or("x");
                        let parent = folder.rsplit_once('/').map_or("", |(p, _)| p);
                        format!("{parent}/TASK-{:04}-{slug}", 1 + rng.below(9))
                    }
                    1 => format!(".trash/{name}"),
                    _ => format!("{}/{name}", rng.pick(&STAGES)),
                };
                Op::Rename(folder, to, rng.events())
            }
            79 if rng.chance(2) => {
                // Places the loader does not read: hidden folders, and below its depth limit.
                // Other layouts' places it does read: a per-namespace folder.
                let folder = *rng.pick(&[
                    "backlog/.hidden/TASK-0009-x",
                    ".trash/TASK-0008-t",
                    "backlog/TASK-0001-alpha/sub/deeper",
                    "fw/backlog/TASK-FW-0002-y",
                ]);
                let id = if folder.starts_with("fw") {
                    "FW-0002"
                } else {
                    "0009"
                };
                let card = card_text("backlog", 9, "Stray", "active", &[1], &[], "")
                    .replace("\"0009\"", &format!("\"{id}\""));
                Op::Write(format!("{folder}/{id}-x.task.md"), card)
            }
            79..=80 => Op::Mkdir(format!(
                "{}/TASK-{:04}-empty",
                rng.pick(&STAGES),
                1 + rng.below(9)
            )),
            81..=86 => {
                let stage = *rng.pick(&STAGES);
                let id = 1 + rng.below(9) as u32;
                let slug = *rng.pick(&["new", "copy", "late"]);
                let deps: Vec<u32> = (0..rng.below(3)).map(|_| 1 + rng.below(9) as u32).collect();
                let mut files = vec![(
                    format!("{id:04}-{slug}.task.md"),
                    card_text(stage, id, "Newcomer", "active", &deps, &[], ""),
                )];
                if !rng.chance(5) {
                    files.push((format!("{id:04}.context.md"), "# Context\n".into()));
                }
                if !rng.chance(5) {
                    files.push((
                        format!("{id:04}.ledger.jsonl"),
                        ledger_text(stage, "active", self.now - rng.below(20 * 24) as i64 * HOUR),
                    ));
                }
                Op::CreateTask {
                    folder: format!("{stage}/TASK-{id:04}-{slug}"),
                    files,
                    staged: rng.chance(3),
                    events: rng.events(),
                }
            }
            87..=88 => Op::Notify,
            89 | 92..=95 if CLOCK => Op::Clock(clock_step(self.now, rng)),
            90 => Op::Reindex,
            91 => {
                let mut rules = Vec::new();
                for _ in 0..rng.below(3) {
                    let rule = *rng.pick(&[
                        "unknown-event",
                        "slo-exceeded",
                        "index-missing-row",
                        "missing-dependency",
                        "dependency-cycle",
                        "package-file-missing",
                    ]);
                    let level = *rng.pick(&["off", "error", "warning", "hint"]);
                    rules.push((rule.to_string(), level.to_string()));
                }
                let extra = if rng.chance(2) {
                    vec!["made_up".to_string()]
                } else {
                    Vec::new()
                };
                Op::Settings(rules, extra)
            }
            _ if !files.is_empty() => Op::Sync(rng.pick(&files).clone()),
            _ => Op::Notify,
        }
    }

    /// Brings the disk to the state the server should describe (every open buffer saved,
    /// every event sent) and compares the server with a fresh `check`, with the buffers open
    /// and again after closing them all. Returns what differs.
    fn verify(&mut self) -> Result<(), String> {
        self.notify();
        // The server reads the disk when an event arrives: let it see the disk as the events
        // left it before the buffers are written out.
        self.pull(&self.root.join("INDEX.md"));
        let open: Vec<(String, String)> = self
            .open
            .iter()
            .map(|(rel, buffer)| (rel.clone(), buffer.text.clone()))
            .collect();
        // The buffers are what the server analyses; on disk they are what `check` reads.
        for (rel, text) in &open {
            let path = self.path(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let expected = self.check();
        self.compare(&expected, "with the buffers open")?;
        for (rel, _) in open {
            self.execute(&Op::Close(rel));
        }
        self.compare(&expected, "after closing every buffer")?;
        self.check_versions()
    }

    /// A fresh `check` of the disk, with the settings and the clock the server has.
    fn check(&self) -> BTreeMap<PathBuf, BTreeSet<String>> {
        check_disk(&self.base, self.now, &self.rules, &self.extra_events)
    }

    /// Compares pulled and last pushed diagnostics with `expected`, for every file on disk,
    /// every file `check` reports on and every file the server ever published for.
    fn compare(
        &mut self,
        expected: &BTreeMap<PathBuf, BTreeSet<String>>,
        when: &str,
    ) -> Result<(), String> {
        let (files, _) = self.files_and_dirs();
        let mut paths: BTreeSet<PathBuf> = files.iter().map(|rel| self.path(rel)).collect();
        paths.extend(expected.keys().cloned());
        paths.extend(
            self.client
                .publish_log
                .iter()
                .map(|(uri, _)| path_of_uri(uri)),
        );
        let mut problems = Vec::new();
        for path in &paths {
            let pulled: BTreeSet<String> = self.pull(path).iter().map(normal_lsp).collect();
            let want = expected.get(path).cloned().unwrap_or_default();
            if pulled != want {
                problems.push(difference("pulled", path, &want, &pulled));
            }
        }
        // Pushes travel separately from the pull's answer: give them a moment to arrive.
        let pushed = |client: &Client, path: &Path| -> BTreeSet<String> {
            client
                .diagnostics
                .get(&uri(path))
                .map(|items| items.iter().map(normal_lsp).collect())
                .unwrap_or_default()
        };
        let empty = BTreeSet::new();
        self.client.wait_until(Duration::from_secs(10), |client| {
            paths
                .iter()
                .all(|path| pushed(client, path) == *expected.get(path).unwrap_or(&empty))
        });
        for path in &paths {
            let got = pushed(&self.client, path);
            let want = expected.get(path).cloned().unwrap_or_default();
            if got != want {
                problems.push(difference("pushed", path, &want, &got));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{when} ({:?} fixture, clock at {}):\n{}",
                self.fixture,
                rfc3339(self.now),
                problems.join("\n")
            ))
        }
    }

    /// No document's published versions ever go backwards.
    fn check_versions(&self) -> Result<(), String> {
        let mut last: BTreeMap<&str, i64> = BTreeMap::new();
        for (uri, version) in &self.client.publish_log {
            let Some(version) = version else { continue };
            if let Some(before) = last.insert(uri, *version)
                && before > *version
            {
                return Err(format!("{uri}: version {version} published after {before}"));
            }
        }
        Ok(())
    }
}

/// A fresh `check` of the workspace at `base`, measuring SLOs at `now`: each file's
/// diagnostics, normalized.
fn check_disk(
    base: &Path,
    now: i64,
    rules: &[(String, String)],
    extra_events: &[String],
) -> BTreeMap<PathBuf, BTreeSet<String>> {
    let mut args: Vec<String> = ["check", ".", "--format", "json", "--now", &rfc3339(now)]
        .map(String::from)
        .into();
    // Later settings of the same rule win, in the server as in `check`.
    for (rule, level) in rules {
        args.extend(["--rule".to_string(), format!("{rule}={level}")]);
    }
    for event in extra_events {
        args.extend(["--extra-event".to_string(), event.clone()]);
    }
    let output = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(&args)
        .current_dir(base)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "check printed no JSON ({error}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut expected: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for item in report["diagnostics"].as_array().unwrap() {
        let path = base.join(item["path"].as_str().unwrap());
        let severity = match item["severity"].as_str().unwrap() {
            "error" => 1,
            "warning" => 2,
            "info" => 3,
            _ => 4,
        };
        let related: Vec<String> = item["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|related| {
                let path = base.join(related["path"].as_str().unwrap());
                normal_related(&path, &related["range"], &related["message"])
            })
            .collect();
        expected.entry(path).or_default().insert(normal(
            &item["rule"],
            severity,
            &item["range"],
            &item["message"],
            related,
        ));
    }
    expected
}

fn path_of_uri(uri: &str) -> PathBuf {
    PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
}

fn range_text(range: &Value) -> String {
    format!(
        "{}:{}-{}:{}",
        range["start"]["line"],
        range["start"]["character"],
        range["end"]["line"],
        range["end"]["character"]
    )
}

fn normal_related(path: &Path, range: &Value, message: &Value) -> String {
    format!("{} {} {}", path.display(), range_text(range), message)
}

fn normal(
    rule: &Value,
    severity: i64,
    range: &Value,
    message: &Value,
    mut related: Vec<String>,
) -> String {
    related.sort();
    format!(
        "{} {} {} {} [{}]",
        rule.as_str().unwrap_or("?"),
        severity,
        range_text(range),
        message,
        related.join("; ")
    )
}

fn normal_lsp(item: &Value) -> String {
    let related = item["relatedInformation"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|related| {
                    let path = path_of_uri(related["location"]["uri"].as_str().unwrap_or(""));
                    normal_related(&path, &related["location"]["range"], &related["message"])
                })
                .collect()
        })
        .unwrap_or_default();
    normal(
        &item["code"],
        item["severity"].as_i64().unwrap_or(0),
        &item["range"],
        &item["message"],
        related,
    )
}

fn difference(what: &str, path: &Path, want: &BTreeSet<String>, got: &BTreeSet<String>) -> String {
    let missing: Vec<&String> = want.difference(got).collect();
    let extra: Vec<&String> = got.difference(want).collect();
    format!(
        "  {what} {}:\n    check has, server lacks: {missing:#?}\n    server has, check lacks: {extra:#?}",
        path.display()
    )
}

/// Runs `ops` on a fresh workspace and server; the error says what differed.
fn replay(fixture: Fixture, ops: &[Op]) -> Result<(), String> {
    let mut run = Run::start(fixture);
    for op in ops {
        run.execute(op);
    }
    run.verify()
}

/// The starting workspace of the case with this seed: quiet and noisy alternate.
fn fixture_of(seed: u64) -> Fixture {
    if seed.is_multiple_of(2) {
        Fixture::Quiet
    } else {
        Fixture::Noisy(seed)
    }
}

/// Generates and runs one case; returns its operations and the outcome.
fn generated(seed: u64) -> (Vec<Op>, Result<(), String>) {
    let mut rng = Rng(seed);
    let mut run = Run::start(fixture_of(seed));
    let count = std::env::var("FLOWOS_FUZZ_OPS")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(OPS);
    let mut ops = Vec::with_capacity(count);
    for _ in 0..count {
        let op = run.generate(&mut rng);
        run.execute(&op);
        ops.push(op);
    }
    let outcome = run.verify();
    (ops, outcome)
}

/// Leaves out operations while the sequence still fails, so the report is short. Bounded in
/// time: a long shrink is worth less than a prompt report.
fn shrink(fixture: Fixture, mut ops: Vec<Op>) -> (Vec<Op>, String) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut last_error = replay(fixture, &ops)
        .err()
        .unwrap_or_else(|| "did not fail again".into());
    let mut chunk = ops.len().div_ceil(2).max(1);
    while chunk >= 1 && Instant::now() < deadline {
        let mut at = 0;
        let mut shrunk = false;
        while at < ops.len() && Instant::now() < deadline {
            let mut candidate = ops.clone();
            candidate.drain(at..(at + chunk).min(ops.len()));
            match replay(fixture, &candidate) {
                Err(error) => {
                    ops = candidate;
                    last_error = error;
                    shrunk = true;
                }
                Ok(()) => at += chunk,
            }
        }
        if !shrunk {
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
    }
    (ops, last_error)
}

fn cases() -> Vec<u64> {
    if let Ok(seed) = std::env::var("FLOWOS_FUZZ_SEED") {
        return vec![seed.trim().parse().expect("FLOWOS_FUZZ_SEED is a number")];
    }
    let count = std::env::var("FLOWOS_FUZZ_CASES")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES);
    (0..count).map(|case| 0x5EED_0000 + case).collect()
}

#[test]
fn random_edit_sequences_end_with_the_diagnostics_of_a_fresh_check() {
    if !CLOCK {
        eprintln!(
            "no debug assertions: the clock stays put (CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
             moves it in a release build)"
        );
    }
    for seed in cases() {
        let (ops, outcome) = generated(seed);
        if let Err(error) = outcome {
            let fixture = fixture_of(seed);
            let (shrunk, shrunk_error) = shrink(fixture, ops.clone());
            panic!(
                "seed {seed} (replay with FLOWOS_FUZZ_SEED={seed} FLOWOS_FUZZ_OPS={}) failed:\n{error}\n\n\
                 shrunk to {} of {} operations (on the {fixture:?} fixture; Clock in seconds):\n\
                 {shrunk:#?}\nwhich fail with:\n{shrunk_error}",
                ops.len(),
                shrunk.len(),
                ops.len()
            );
        }
    }
}

/// The slo-exceeded diagnostics the server has, pulled file by file: (file, severity,
/// message).
fn pulled_slo(run: &mut Run) -> BTreeSet<(String, i64, String)> {
    let (files, _) = run.files_and_dirs();
    let mut found = BTreeSet::new();
    for rel in files {
        for item in run.pull(&run.path(&rel)) {
            if item["code"] == "slo-exceeded" {
                let severity = item["severity"].as_i64().unwrap_or(0);
                found.insert((rel.clone(), severity, item["message"].to_string()));
            }
        }
    }
    found
}

#[test]
fn the_clock_op_adds_raises_and_recounts_slo_diagnostics_on_both_fixtures() {
    // The clock operation is only worth generating if moving the clock changes what the
    // fixtures report: tasks crossing their targets, info raised to warning, hours recounted.
    if !CLOCK {
        // A release build has no clock request by design; the README's release long mode
        // must still pass, so there is nothing to move here.
        eprintln!("no debug assertions: no flowos/debugSetNow to test");
        return;
    }
    for fixture in [Fixture::Quiet, Fixture::Noisy(1)] {
        let mut run = Run::start(fixture);
        let cards = |found: &BTreeSet<(String, i64, String)>| -> BTreeSet<String> {
            found.iter().map(|(rel, _, _)| rel.clone()).collect()
        };
        let at_start = pulled_slo(&mut run);
        run.execute(&Op::Clock(5 * HOUR));
        let hours_later = pulled_slo(&mut run);
        // Alpha, delta, eta and FW-0001 pass their targets within 5 hours.
        let gained: Vec<String> = cards(&hours_later)
            .difference(&cards(&at_start))
            .cloned()
            .collect();
        assert!(
            gained.len() >= 4,
            "{fixture:?}: 5 hours on, only {gained:?} gained slo-exceeded"
        );
        // Beta and epsilon pass their violation thresholds.
        let raised = hours_later
            .iter()
            .filter(|(rel, severity, _)| {
                *severity == 2
                    && at_start
                        .iter()
                        .any(|(before, was, _)| before == rel && *was == 3)
            })
            .count();
        assert!(
            raised >= 2,
            "{fixture:?}: 5 hours on, {raised} slo-exceeded became warnings"
        );
        // Days later every message counts more hours, and the server still agrees with a
        // fresh `check` at that moment.
        run.execute(&Op::Clock(3 * DAY + 17 * MINUTE));
        let days_later = pulled_slo(&mut run);
        assert!(
            hours_later.is_disjoint(&days_later),
            "{fixture:?}: unchanged after days: {:#?}",
            hours_later.intersection(&days_later).collect::<Vec<_>>()
        );
        if let Err(error) = run.verify() {
            panic!("{error}");
        }
    }
}

#[test]
fn the_noisy_fixture_has_warnings_and_hints_over_most_files() {
    for seed in [1, 3, 5] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".work/tasks");
        let files = fixture(Fixture::Noisy(seed));
        write_files(&root, &files);
        let reported = check_disk(dir.path(), START, &[], &[]);
        let rules: BTreeSet<&str> = reported
            .values()
            .flatten()
            .filter_map(|item| item.split(' ').next())
            .collect();
        for rule in [
            "index-row-mismatch",
            "index-missing-row",
            "index-broken-link",
            "unknown-event",
            "unknown-field",
            "unlinked-inverse",
            "canceled-dependency",
            "slo-exceeded",
            "missing-section",
            "paused-without-reason",
        ] {
            assert!(
                rules.contains(rule),
                "seed {seed}: no {rule} in the noisy fixture; it has {rules:?}"
            );
        }
        // No rule reads a context file's text (they only mention tasks), so they are left
        // out of the count.
        let readable: Vec<&String> = files
            .iter()
            .map(|(rel, _)| rel)
            .filter(|rel| !rel.ends_with(".context.md"))
            .collect();
        let with = readable
            .iter()
            .filter(|rel| reported.contains_key(&root.join(rel)))
            .count();
        assert!(
            with * 3 > readable.len() * 2,
            "seed {seed}: only {with} of {} files have diagnostics",
            readable.len()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions: sequences the generator found, each a product bug now fixed.

fn check_ops(ops: &[Op]) {
    if let Err(error) = replay(Fixture::Quiet, ops) {
        panic!("{ops:#?}\nfailed:\n{error}");
    }
}

#[test]
fn an_empty_task_folder_that_appears_is_seen_as_check_sees_it() {
    // The server read the new folder's files but not the folder itself. An empty task folder
    // is a folder being created (a move's claim on its destination), not a task, for the
    // loader and the server alike.
    check_ops(&[Op::Mkdir("current/TASK-0002-empty".into())]);
}

#[test]
fn a_folder_reported_gone_file_by_file_goes_with_its_files() {
    // The client sent an event for each file of the moved folder but none for the folder:
    // the server dropped the files and kept an empty task folder, a task missing its files.
    check_ops(&[Op::Rename(
        "current/TASK-0005-epsilon".into(),
        ".trash/TASK-0005-epsilon".into(),
        Events::Files,
    )]);
}

#[test]
fn an_open_card_outlives_its_folder_on_disk() {
    // The folder's removal took the open card's buffer out of the model, although open
    // buffers override the disk.
    check_ops(&[
        Op::Open("inbox/TASK-0007-eta/0007-eta.task.md".into()),
        Op::Delete("inbox/TASK-0007-eta".into(), Events::Folder),
    ]);
}

#[test]
fn an_open_card_survives_its_folder_being_read_again() {
    // A folder's creation event makes the server drop what it held below it and read the
    // disk again, where the open card (renamed away meanwhile) no longer was.
    check_ops(&[
        Op::Rename(
            "inbox/TASK-0007-eta".into(),
            "inbox/TASK-0003-eta".into(),
            Events::Both,
        ),
        Op::Open("inbox/TASK-0003-eta/0007-eta.task.md".into()),
        Op::Rename(
            "inbox/TASK-0003-eta/0007-eta.task.md".into(),
            "inbox/TASK-0003-eta/notes.md".into(),
            Events::Both,
        ),
        Op::Notify,
    ]);
}

#[test]
fn a_reindex_keeps_an_open_file_whose_folder_is_gone() {
    // Reading everything anew laid the open ledger over the disk without its folder, so the
    // folder was no task folder and the ledger belonged to no task.
    check_ops(&[
        Op::Open("archived/TASK-0006-zeta/0006.ledger.jsonl".into()),
        Op::Delete("archived/TASK-0006-zeta".into(), Events::Files),
        Op::Reindex,
    ]);
}

#[test]
fn a_folder_holding_only_an_unread_file_is_still_a_task_folder() {
    // Only the open buffer of a file the model does not read (notes.md) kept the task folder
    // in existence, and the server, ignoring such files, lost the folder.
    check_ops(&[
        Op::Rename(
            "current/TASK-0005-epsilon/0005-epsilon.task.md".into(),
            "current/TASK-0005-epsilon/notes.md".into(),
            Events::Folder,
        ),
        Op::Open("current/TASK-0005-epsilon/notes.md".into()),
        Op::Delete("current/TASK-0005-epsilon".into(), Events::Files),
        Op::Sync("INDEX.md".into()),
        // Reading everything anew lost it the same way.
        Op::Reindex,
    ]);
}

#[test]
fn a_new_folder_reported_only_by_an_unread_file_in_it_is_seen() {
    // A client reported the file created in a new task folder but not the folder; the file
    // is not one the model reads, so the folder went unnoticed.
    check_ops(&[Op::Write(
        "backlog/TASK-0009-notes/notes.md".into(),
        "just notes\n".into(),
    )]);
}

#[test]
fn a_new_folder_whose_only_file_came_and_went_is_seen() {
    // The client reported a card created in a new task folder and then deleted, never the
    // folder; the server dropped the card and never learnt of the (now empty) folder.
    check_ops(&[
        Op::CreateTask {
            folder: "current/TASK-0002-copy".into(),
            files: vec![("0002-copy.task.md".into(), "---\n---\n".into())],
            staged: false,
            events: Events::Files,
        },
        Op::Delete(
            "current/TASK-0002-copy/0002-copy.task.md".into(),
            Events::Files,
        ),
    ]);
}

#[test]
fn files_where_the_loader_does_not_look_stay_out_of_the_model() {
    // A card written into a hidden folder (a tool's scratch or trash folder), or below the
    // depth the layouts use, was taken into the model from its event, though the loader, and
    // so `check`, never reads there: a phantom task with its duplicate ID and missing rows.
    let card = card_text("backlog", 9, "Stray", "active", &[1], &[], "");
    check_ops(&[
        Op::Write(
            "backlog/.hidden/TASK-0009-x/0009-x.task.md".into(),
            card.clone(),
        ),
        Op::Write(
            "backlog/TASK-0001-alpha/sub/deeper/0009-x.task.md".into(),
            card,
        ),
        Op::Mkdir(".trash/TASK-0008-t".into()),
    ]);
}

#[test]
fn a_file_too_deep_to_read_still_tells_of_the_folders_above_it() {
    // Writing a card below the depth the loader reads re-created the task folder it lies in
    // (moved away just before); the server, rightly not reading the card, also ignored the
    // folders it revealed, which `check` sees as an empty task folder.
    check_ops(&[
        Op::Rename(
            "backlog/TASK-0001-alpha".into(),
            "inbox/TASK-0001-alpha".into(),
            Events::Both,
        ),
        Op::Notify,
        Op::Sync("ID_COUNTER.txt".into()),
        Op::Write(
            "backlog/TASK-0001-alpha/sub/deeper/0009-x.task.md".into(),
            card_text("backlog", 9, "Stray", "active", &[1], &[], ""),
        ),
    ]);
}
