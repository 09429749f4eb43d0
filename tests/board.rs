//! The board as a person sees it: `flowos-lsp board` loaded in headless Chromium (Debian's
//! `chromium`) and its rendered DOM checked. On the demo: every task on exactly one column,
//! the column counts equal to `query wip`, one graph node per task and per missing target, one
//! edge per depends_on item, the cycle, the critical path and the missing dependency marked,
//! and a screenshot that is not blank. On `tests/fixtures/flow`, whose figures
//! `tests/flow_metrics.rs` computes by hand: the Flow, Rework and Learning tabs against that
//! arithmetic, the charts' series, and the filter matching tags. Without `chromium` the tests
//! are skipped, loudly, except in CI (`.ci/run` installs it).

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn processes; the product may not.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::faults::cli;

const NOW: &str = "--now=2026-11-20T12:00:00Z";

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

/// Headless Chromium with nothing reaching out to the network, a profile of its own.
fn chromium(scratch: &Path, args: &[&str]) -> std::process::Output {
    let profile = scratch.join("profile");
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1400,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs")
}

/// The values of `attribute` on the elements whose opening tag starts with `prefix`.
fn attributes<'a>(dom: &'a str, prefix: &str, attribute: &str) -> Vec<&'a str> {
    dom.match_indices(prefix)
        .filter_map(|(at, _)| {
            let tag = &dom[at..at + dom[at..].find('>')?];
            let start = tag.find(&format!(" {attribute}=\""))? + attribute.len() + 3;
            Some(&tag[start..start + tag[start..].find('"')?])
        })
        .collect()
}

#[test]
fn the_demo_board_in_a_real_browser() {
    if !support::editor::available("chromium", "board's browser") {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let page = scratch.path().join("board.html");
    let folder = demo();
    let run = cli(
        &folder,
        &[
            "board",
            folder.to_str().unwrap(),
            NOW,
            "-o",
            page.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let url = format!("file://{}", page.display());
    // `#all` draws every tab (a tab is otherwise drawn when first shown).
    let dumped = chromium(scratch.path(), &["--dump-dom", &format!("{url}#all")]);
    let dom = String::from_utf8_lossy(&dumped.stdout).to_string();
    assert!(dom.contains("id=\"columns\""), "no board rendered: {dom}");

    // Every task on exactly one column, in the column of its stage.
    let wip = cli(
        &folder,
        &[
            "query",
            "wip",
            "--format",
            "json",
            NOW,
            folder.to_str().unwrap(),
        ],
        &[],
    );
    let wip = wip.json();
    let columns: Vec<&str> = dom.split("<div class=\"column").skip(1).collect();
    assert_eq!(columns.len(), 7, "one column per stage");
    let mut seen = Vec::new();
    for (column, row) in columns.iter().zip(wip["results"].as_array().unwrap()) {
        let stage = attributes(column, "", "data-stage")[0];
        assert_eq!(stage, row["stage"], "columns in stage order");
        let count = attributes(column, "<span class=\"wip-count", "data-count")[0];
        assert_eq!(
            count,
            row["count"].to_string(),
            "{stage}'s header count is query wip's"
        );
        let cards = attributes(column, "<a class=\"card", "data-id");
        // In the demo every task counts against WIP, so each column holds exactly its count.
        assert_eq!(cards.len().to_string(), count, "{stage}: {cards:?}");
        seen.extend(cards);
    }
    seen.sort();
    let expected: Vec<String> = (1..=12).map(|n| format!("TASK-{n:04}")).collect();
    assert_eq!(seen, expected, "every task exactly once");
    // The WIP overload is red: current's column is the only one over its limit.
    assert_eq!(dom.matches("class=\"column over-limit\"").count(), 1);
    assert!(dom.contains("class=\"column over-limit\" data-stage=\"current\""));

    // The graph: a node per task and per missing target, an edge per depends_on item.
    let nodes = attributes(&dom, "<g class=\"node", "data-id");
    assert_eq!(nodes.len(), 13, "{nodes:?}");
    let edges = attributes(&dom, "<path class=\"edge", "data-from");
    assert_eq!(edges.len(), 12);
    assert_eq!(
        dom.matches("<path class=\"edge cycle\"").count(),
        2,
        "the cycle's two edges"
    );
    assert!(dom.contains("<g class=\"node missing\" data-id=\"TASK-0077\""));
    assert_eq!(dom.matches("<g class=\"node cycle\"").count(), 2);
    // The critical path, the longest chain of unfinished work: every chain in the demo is two
    // tasks long (0005, 0006, 0007, 0008 and 0009 wait on 0002 or 0003; 0001 is archived;
    // the cycle's edges do not count), and of those 0002 then 0005 sorts first.
    let critical = attributes(&dom, "<g class=\"node critical\"", "data-id");
    assert_eq!(critical, ["TASK-0005", "TASK-0002"]);
    assert_eq!(
        attributes(&dom, "<path class=\"edge critical\"", "data-from"),
        ["TASK-0005"]
    );
    assert!(dom.contains("TASK-0002 → TASK-0005"));

    // A screenshot: a blank page compresses to almost nothing.
    let shot = scratch.path().join("board.png");
    let taken = chromium(
        scratch.path(),
        &[&format!("--screenshot={}", shot.display()), &url],
    );
    let size = std::fs::metadata(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&taken.stderr)))
        .len();
    assert!(size > 30_000, "screenshot of {size} bytes looks blank");
}

/// The text of each row of the table `id` (cells with their tags stripped).
fn table_rows(dom: &str, id: &str) -> Vec<Vec<String>> {
    let Some(start) = dom.find(&format!("<table id=\"{id}\"")) else {
        panic!("no table {id}");
    };
    let table = &dom[start..start + dom[start..].find("</table>").unwrap()];
    table
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|cell| strip_tags(&cell[..cell.find("</td>").unwrap_or(cell.len())]))
                .collect::<Vec<_>>()
        })
        .filter(|cells: &Vec<String>| !cells.is_empty())
        .collect()
}

fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => text.push(c),
            _ => {}
        }
    }
    text.replace("&amp;", "&").trim().to_string()
}

/// The markup of the element opening with `opening` up to its closing `</tag>`.
fn element<'a>(dom: &'a str, opening: &str, tag: &str) -> &'a str {
    let start = dom.find(opening).unwrap_or_else(|| panic!("no {opening}"));
    let end = dom[start..].find(&format!("</{tag}>")).unwrap();
    &dom[start..start + end]
}

fn fixture_board(scratch: &Path) -> String {
    let page = scratch.join("flow.html");
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flow");
    let run = cli(
        &folder,
        &[
            "board",
            folder.to_str().unwrap(),
            "--now=2026-11-30T00:00:00Z",
            "-o",
            page.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    format!("file://{}", page.display())
}

#[test]
fn every_tab_of_the_hand_computed_fixture_in_a_real_browser() {
    if !support::editor::available("chromium", "board's browser") {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let url = fixture_board(scratch.path());
    let dumped = chromium(scratch.path(), &["--dump-dom", &format!("{url}#all")]);
    let dom = String::from_utf8_lossy(&dumped.stdout).to_string();
    for tab in ["now", "board", "flow", "blockers", "rework", "learning"] {
        let section = element(&dom, &format!("<section id=\"tab-{tab}\""), "section");
        assert!(
            section.matches('<').count() > 10,
            "the {tab} tab drew nothing: {section}"
        );
    }

    // Flow, against tests/flow_metrics.rs' hand arithmetic for the window 2 to 30 Nov 2026:
    // 4 closed in 4 weeks (1 a week), 7 created (1.75), leads 56, 132, 178 and 246 h (mean
    // 153), efficiency mean 88.38%, SLO 3 of 4. The 28 days before: nothing closed, 0005 and
    // 0012 created (2 / 4 = 0.5 a week).
    let figures = table_rows(&dom, "flow-figures");
    let cells = |at: usize| figures[at][..4].to_vec();
    assert_eq!(cells(0), ["Throughput", "1 / week", "↑ +1", "was 0 / week"]);
    assert_eq!(
        cells(1),
        ["Arrivals", "1.75 / week", "↑ +1.25", "was 0.5 / week"]
    );
    assert_eq!(cells(2), ["Lead time (mean)", "153 h", "", "was n/a"]);
    assert_eq!(cells(3)[1], "88.38%");
    assert_eq!(cells(4)[1], "75%");
    // Per week: W45 1 closed (0001, lead 132) and 2 created; W46 0003 (246); W47 0002 and
    // 0004 ((178 + 56) / 2 = 117); W48 three created, nothing closed.
    assert_eq!(
        table_rows(&dom, "flow-weekly"),
        [
            ["2026-W45", "1", "2", "132 h"],
            ["2026-W46", "1", "1", "246 h"],
            ["2026-W47", "2", "1", "117 h"],
            ["2026-W48", "0", "3", "n/a"],
        ]
    );
    // The charts: two weekly series, one area per stage, one histogram series.
    let series = |chart: &str| {
        let svg = element(&dom, &format!("id=\"{chart}\""), "svg");
        attributes(svg, "class=\"series\"", "data-series")
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(series("chart-weekly"), ["closed", "created"]);
    assert_eq!(
        series("chart-cfd"),
        [
            "archived",
            "learning",
            "integration",
            "current",
            "next",
            "backlog",
            "inbox"
        ]
    );
    assert_eq!(series("chart-lead"), ["lead time"]);
    // Leads of 2.33, 5.5, 7.42 and 10.25 days: 10.25 / 8 rounds up to 2-day bars; six bars,
    // one lead in each of bars 1, 2, 3 and 5.
    let bars = attributes(
        element(&dom, "id=\"chart-lead\"", "svg"),
        "<rect class=\"bar\"",
        "data-value",
    );
    assert_eq!(bars, ["0", "1", "1", "1", "0", "1"]);
    // The diagram's last day holds what query wip and the closings say: 4 archived on top of
    // 0005 in current, 0006 and 0007 in next, 0008 and 0012 in backlog (9 in all).
    assert!(element(&dom, "id=\"chart-cfd\"", "svg").contains(">9</text>"));

    // Rework: 0003's one `rework_required` over 4 closed = 25%; by priority P0 0004, P1 0002,
    // P2 0001 and 0003 (1 of 2 = 50%).
    assert_eq!(
        table_rows(&dom, "rework-summary"),
        [["4", "1", "25%", "", "n/a"]]
    );
    let details = table_rows(&dom, "rework-details");
    assert_eq!(details.len(), 1);
    assert_eq!(details[0][0], "TASK-0003");
    assert_eq!(details[0][4], "integration → next");
    assert_eq!(
        table_rows(&dom, "rework-priority"),
        [
            ["P0", "0", "1", "0%"],
            ["P1", "0", "1", "0%"],
            ["P2", "1", "2", "50%"],
        ]
    );

    // Learning: the four closed tasks recorded nothing and have no learning document.
    assert_eq!(
        table_rows(&dom, "learning-summary")[0][..5],
        ["4", "0", "0", "4", "0%"]
    );
    assert_eq!(table_rows(&dom, "learning-tasks").len(), 4);

    // The filter matches tags: `security` is a tag of 0005, 0007 and 0010 and in no ID,
    // name or DRI.
    let filtered = chromium(
        scratch.path(),
        &["--dump-dom", &format!("{}?filter=security#board", url)],
    );
    let dom = String::from_utf8_lossy(&filtered.stdout).to_string();
    let mut cards = attributes(&dom, "<a class=\"card", "data-id");
    cards.sort();
    assert_eq!(cards, ["TASK-0005", "TASK-0007", "TASK-0010"]);
}
