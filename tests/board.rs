//! The board as a person sees it: `flowos-lsp board examples/demo` loaded in headless Chromium
//! (Debian's `chromium`), its rendered DOM checked against the workspace (every task on exactly
//! one column, the column counts equal to `query wip`, one graph node per task and per missing
//! target, one edge per depends_on item, the cycle and the missing dependency marked) and a
//! screenshot taken and its size checked. Without `chromium` the test is skipped, loudly,
//! except in CI (`.ci/run` installs it).

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
    let dumped = chromium(scratch.path(), &["--dump-dom", &url]);
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
