//! `flowos-lsp report` end to end: each report of the catalogue on `tests/fixtures/flow` (the
//! workspace whose figures `tests/flow_metrics.rs` computes by hand) at a fixed `--now`, as a
//! snapshot of the whole markdown (`tests/snapshots/reports/`; `UPDATE_EXPECT=1` rewrites
//! them), with its key rows checked against arithmetic done by hand from the fixture's
//! ledgers; every report on `examples/demo`, the same text twice; and the usage errors.
//!
//! The fixture's story, in hours (UTC, November 2026; see tests/flow_metrics.rs for all of it):
//! 0001 closed 7th (lead 132); 0002 closed 16th 18:00 (lead 178, blocked 12 by TASK-0005 on
//! the 11th and 36 by `external:Vendor API keys` from the 13th, 120 in current against its
//! effort S = 48); 0003 closed 13th 06:00 (lead 246, sent back once on the 10th); the P0 0004
//! created 20th 08:00, fast-tracked into current at 10:00, closed 22nd 16:00 (lead 56),
//! displacing 0005 (paused 20th 10:00, resumed 22nd 16:00: 54); 0008 blocked by
//! `external:Legal review` since 27th 00:00; 0009's ledger is out of order; 0010's is empty.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::path::PathBuf;

use expect_test::expect_file;
use support::faults::{Run, cli};

const NOW: &str = "--now=2026-11-30T00:00:00Z";

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_on(folder: PathBuf, args: &[&str]) -> Run {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.push(folder.to_str().unwrap());
    cli(&folder, &all, &[])
}

/// The report's markdown on the fixture, which must succeed.
fn report(args: &[&str]) -> String {
    let run = run_on(manifest().join("tests/fixtures/flow"), args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    run.stdout
}

/// Every line of `markdown` as trimmed table cells.
fn rows(markdown: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    markdown.lines().map(|line| {
        line.trim()
            .trim_matches('|')
            .split(" | ")
            .map(|cell| cell.trim().to_string())
            .collect::<Vec<_>>()
    })
}

/// The first markdown table row whose first cell is `first`, as trimmed cells.
fn row(markdown: &str, first: &str) -> Vec<String> {
    rows(markdown)
        .find(|cells| cells.first().map(String::as_str) == Some(first))
        .unwrap_or_else(|| panic!("no row `{first}` in:\n{markdown}"))
}

/// Checks that the row whose first cell is `expected[0]` has exactly the cells `expected`.
fn assert_row(markdown: &str, expected: &[&str]) {
    assert_eq!(row(markdown, expected[0]), expected, "{markdown}");
}

/// The text of section `heading` (a `## ` or `### ` line), up to the next heading.
fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start = markdown
        .find(&format!("{heading}\n"))
        .unwrap_or_else(|| panic!("no section `{heading}` in:\n{markdown}"));
    let rest = &markdown[start + heading.len()..];
    let end = rest.find("\n#").map_or(rest.len(), |at| at + 1);
    &rest[..end]
}

#[test]
fn weekly_report_of_week_47_against_week_46() {
    let text = report(&["weekly", "--week", "2026-W47", NOW]);
    expect_file!["snapshots/reports/weekly_2026_w47.md"].assert_eq(&text);
    assert!(text.starts_with("# Weekly flow report: 2026-W47\n"));
    // W47 is 16 to 23 November, W46 9 to 16 November.
    assert!(text.contains(
        "Period 2026-11-16 to 2026-11-22 (UTC), compared with 2026-11-09 to 2026-11-15."
    ));
    // Closed: 0002 (16th) and 0004 (22nd) against 0003 (13th).
    assert_row(
        &text,
        &["Tasks closed (throughput)", "2", "1", "↑ 1, better"],
    );
    // Created: 0004 against 0002 (0009, created on the 10th, has an untrusted ledger).
    assert_row(&text, &["Tasks created (arrivals)", "1", "1", "→ same"]);
    // 1 − 2 = −1 against 1 − 1 = 0.
    assert_row(
        &text,
        &["Net change (created − closed)", "-1", "0", "↓ 1, better"],
    );
    // At 23rd 00:00: 0005 back in current, 0012 in backlog. At 16th 00:00: 0002 in
    // integration, 0005 just started in current, 0012 in backlog.
    assert_row(&text, &["Work in progress at the end", "2", "3", "↓ 1"]);
    // Leads 178 and 56: mean 117 h = 4.875 d; against 0003's 246 h = 10.25 d; the change
    // 129 h = 5.375 d. One decimal of days.
    assert_row(
        &text,
        &["Lead time, mean", "4.9 d", "10.3 d", "↓ 5.4 d, better"],
    );
    // p95 of two values: rank ceil(1.9) = 2, 178 h = 7.42 d.
    assert_eq!(row(&text, "Lead time, p95")[1], "7.4 d");
    // Blocked over the lives: 48 and 0, mean 24 h; 0003 was never blocked.
    assert_row(
        &text,
        &[
            "Blocked time per closed task, mean",
            "24 h",
            "0 h",
            "↑ 24 h, worse",
        ],
    );
    // Efficiency: 0002 (178 − 48) / 178 = 73.03%, 0004 100%: mean 86.52%; 0003
    // (246 − 48 paused) / 246 = 80.49%.
    assert_row(
        &text,
        &["Flow efficiency, mean", "86.5%", "80.5%", "↑ 6%, better"],
    );
    // Stays ended in W47: next 480 (0005 left it on the 16th 00:00) and 54 (0005 again),
    // mean 267 h = 11.125 d; current 24 (0004) and 106 (0005), mean 65 h = 2.71 d.
    let stays = section(&text, "### Time per stage");
    assert_row(stays, &["next", "2", "11.1 d", "11.1 d", "–", ""]);
    assert_row(
        stays,
        &["current", "2", "2.7 d", "2.7 d", "the effort", "~"],
    );
    // integration 24 (0002) and 6 (0004): mean 15 h, within 48 h.
    assert_row(stays, &["integration", "2", "15 h", "15 h", "2 d", "✓"]);
    // 0002 spent 120 h = 5 d in current against S = 2 days: a miss; 0004 kept XS = 24 h.
    // One of two complies (50%) against 0003's one of one (100%).
    assert_row(&text, &["SLO compliance", "50%", "100%", "↓ 50%, worse"]);
    assert_row(
        &text,
        &[
            "TASK-0002",
            "Sync orders with the vendor",
            "current",
            "5 d",
            "2 d",
        ],
    );
    // No rework in W47; 0003's one event over one closed task in W46.
    assert_row(
        &text,
        &[
            "Rework rate (events per closed task)",
            "0%",
            "100%",
            "↓ 100%, better",
        ],
    );
    // The P0, created and closed in W47 after 56 h = 2.33 d, displaced 0005 for 54 h = 2.25 d.
    assert_row(
        &text,
        &[
            "TASK-0004",
            "Checkout outage",
            "2026-11-20 08:00",
            "2026-11-22 16:00",
            "2.3 d",
            "TASK-0005 (2.3 d)",
        ],
    );
    // 0002's blocks (12 + 36 = 48 h) fell in W46; nothing was blocked in W47.
    assert_row(
        &text,
        &[
            "Time blocked in the period (all tasks)",
            "0 h",
            "2 d",
            "↓ 2 d, better",
        ],
    );
    let actions = section(&text, "## Action items");
    assert!(actions.contains("Find out why TASK-0002 spent 5 d in current (target 2 d)."));
    assert!(actions.contains("`flowos-lsp report p0 --task TASK-0004`"));
    // 0009's ledger is not trusted, 0010 has no events to trust: 0009 is named, with why.
    let left_out = section(&text, "## Left out");
    assert!(left_out.contains("TASK-0009"), "{left_out}");
}

#[test]
fn the_default_week_is_the_last_whole_one() {
    // Monday 30 November 00:00: the week just ended is W48, 23 to 29 November.
    let text = report(&["weekly", NOW]);
    assert!(
        text.starts_with("# Weekly flow report: 2026-W48\n"),
        "{text}"
    );
    // Created in W48: 0006 (24th), 0007 (23rd), 0008 (25th); nothing closed.
    assert_row(&text, &["Tasks created (arrivals)", "3", "1", "↑ 2"]);
    // 0008 has been blocked since the 27th 00:00: 72 h at the week's end.
    assert_row(
        &text,
        &[
            "TASK-0008",
            "Personal data export",
            "external:Legal review",
            "2026-11-27",
            "3 d",
        ],
    );
    // Any period: --since/--until, compared with as long before it.
    let text = report(&[
        "weekly",
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-30",
        NOW,
    ]);
    assert!(
        text.starts_with("# Flow report: 2026-11-02 to 2026-11-29\n"),
        "{text}"
    );
    // The four closings of November, as `query metrics` counts them.
    assert_eq!(row(&text, "Tasks closed (throughput)")[1], "4");
}

#[test]
fn blockers_report_now_and_over_the_last_week() {
    let text = report(&["blockers", NOW]);
    expect_file!["snapshots/reports/blockers.md"].assert_eq(&text);
    // `query blocked` lists 0008 only; blocked since the 27th 00:00, 72 h = 3 d ago.
    assert!(text.contains("## Blocked now (1)"));
    assert_row(
        &text,
        &[
            "TASK-0008",
            "Personal data export",
            "external:Legal review",
            "2026-11-27",
            "3 d",
            "@bo",
        ],
    );
    assert_row(
        &text,
        &["external:Legal review", "", "1 task", "TASK-0008", "3 d"],
    );
    // 23 to 30 November against 16 to 23: one block open at the end against none, one
    // started against none, 72 h blocked against none (0002's blocks ended on the 14th).
    assert_row(&text, &["Tasks blocked at the end", "1", "0", "↑ 1, worse"]);
    assert_row(
        &text,
        &["Time blocked (all tasks)", "3 d", "0 h", "↑ 3 d, worse"],
    );
    assert!(text.contains("1. Follow up on external:Legal review: TASK-0008 has waited 3 d."));
    // On the 14th at noon 0002 was blocked by the vendor's keys for 36 h, and the block by
    // TASK-0005 (12 h) had ended: over 7 to 14 November, 48 h of blocks, both started.
    let text = report(&["blockers", "--until", "2026-11-14T12:00:00Z", NOW]);
    assert_row(&text, &["Blocks started", "2", "0", "↑ 2, worse"]);
    assert_eq!(row(&text, "Time blocked (all tasks)")[1], "2 d");
}

#[test]
fn p0_postmortem_of_the_fast_tracked_outage() {
    let text = report(&["p0", NOW]);
    expect_file!["snapshots/reports/p0.md"].assert_eq(&text);
    // 28 days up to the 30th: 2 to 30 November, against 5 October to 2 November.
    assert!(text.starts_with("# P0 postmortems: 2026-11-02 to 2026-11-29\n"));
    assert_row(&text, &["P0 tasks closed", "1", "0", "↑ 1"]);
    // Created 20th 08:00, closed 22nd 16:00: 56 h = 2.33 d.
    assert_row(&text, &["Resolution (created → closed)", "2.3 d"]);
    // Fast-tracked into current at 10:00, two hours after creation.
    assert_eq!(row(&text, "To start (created → current)")[1], "2 h");
    // current 20th 10:00 → 21st 10:00, integration → 16:00, learning → 22nd 16:00.
    assert_eq!(row(&text, "In current")[1], "24 h");
    assert_eq!(row(&text, "In integration")[1], "6 h");
    assert_eq!(row(&text, "In learning")[1], "24 h");
    // 0005 paused 20th 10:00 to 22nd 16:00: 54 h = 2.25 d.
    assert_eq!(row(&text, "Displacement")[1], "1 task paused, 2.3 d in all");
    // The other tasks closed in November reached current 48 (0001), 28 (0002) and 48 (0003)
    // hours after creation: median 48 h = 2 d.
    assert!(text.contains(
        "- ✓ Started 2 h after creation; the other tasks closed in the period took a median of 2 d."
    ));
    assert!(text.contains("- ✓ Skipped next: fast-tracked into current."));
    assert!(text.contains("- ✓ Every displaced task resumed (TASK-0005)."));
    // The displaced task's pause and resumption are in the P0's timeline.
    assert!(
        rows(section(&text, "### Timeline")).any(|cells| cells.len() > 3
            && cells[..3] == ["2026-11-20 10:00", "TASK-0005", "paused_by_p0"])
    );
    assert!(
        rows(section(&text, "### Timeline"))
            .any(|cells| cells.len() > 3
                && cells[..3] == ["2026-11-22 16:00", "TASK-0005", "resumed"])
    );
    // One task asked for by ID, in any spelling.
    let one = report(&["p0", "--task", "0004", NOW]);
    assert!(one.starts_with("# P0 postmortem: TASK-0004\n"), "{one}");
    assert!(one.contains("Record the root cause"));
}

/// The rework report over the 28 days to 30 Nov: the flow fixture's one `rework_required`
/// (TASK-0003, integration back to next on 10 Nov) over its 4 tasks completed in the window
/// (tests/flow_metrics.rs counts the same by hand): 1 / 4 = 25%; by priority, 0003 is one of
/// the two P2 tasks completed, 1 / 2 = 50%.
#[test]
fn rework_report_of_the_four_weeks_to_30_november() {
    let rework = report(&["rework", "--now=2026-11-30T00:00:00Z"]);
    assert!(rework.contains("- Completed: 4 tasks\n"), "{rework}");
    assert!(
        rework.contains("- Rework events: 1 (rate 25%)\n"),
        "{rework}"
    );
    let event = row(section(&rework, "## Rework events"), "TASK-0003");
    assert_eq!(event[3], "rework_required", "{rework}");
    assert_eq!(event[4], "integration → next", "{rework}");
    assert_row(
        section(&rework, "## Rate by priority"),
        &["P2", "1", "2", "50%"],
    );
}

#[test]
fn every_report_runs_on_the_demo_and_says_the_same_twice() {
    let demo = manifest().join("examples/demo");
    for name in ["weekly", "blockers", "p0", "rework", "learning"] {
        let args = [name, "--now=2026-11-20T12:00:00Z"];
        let first = run_on(demo.clone(), &args);
        assert_eq!(first.code, 0, "{name}: {}", first.stderr);
        assert!(first.stdout.starts_with("# "), "{name}: {}", first.stdout);
        let second = run_on(demo.clone(), &args);
        assert_eq!(first.stdout, second.stdout, "{name} is not deterministic");
    }
    // TASK-0009 was blocked at 11:30 (its ledger's open block): half an hour before now.
    let blockers = run_on(demo, &["blockers", "--now=2026-11-20T12:00:00Z"]).stdout;
    assert_eq!(row(&blockers, "TASK-0009")[4], "0.5 h", "{blockers}");
}

#[test]
fn bad_requests_are_usage_errors() {
    let fixture = manifest().join("tests/fixtures/flow");
    for (args, says) in [
        (
            &["monthly"][..],
            "unknown report `monthly`; reports: weekly, blockers, p0",
        ),
        (
            &["weekly", "--week", "2026-W99"],
            "`2026-W99` is not an ISO week",
        ),
        (
            &["weekly", "--week", "2026-W47", "--since", "2026-11-01"],
            "either --week or --since/--until",
        ),
        (&["p0", "--task", "TASK-0099"], "no task TASK-0099"),
        (
            &["blockers", "--since", "2026-12-01", NOW],
            "the period is empty",
        ),
    ] {
        let run = run_on(fixture.clone(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}
