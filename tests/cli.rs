//! End-to-end tests of `flowos-lsp check`: the real binary on the bundled examples and on
//! workspaces written to a temporary folder.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use expect_test::expect;
use serde_json::Value;
use support::{package, write_tree};

/// The moment the example workspaces describe, so SLO ages do not drift with the clock.
const EXAMPLES_NOW: &str = "2026-11-20T12:00:00Z";

fn flowos(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(args)
        .env("FLOWOS_NOW", EXAMPLES_NOW)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn demo_reports_its_deliberate_problems_and_exits_1() {
    let output = flowos(&["check", "examples/demo"], repo());
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    let findings: Vec<(&str, &str, &str)> = text
        .lines()
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| {
            let (location, rest) = line.split_once(": ")?;
            let (severity, rest) = rest.split_once('[')?;
            let rule = rest.split_once(']')?.0;
            Some((location.split(':').next()?, severity, rule))
        })
        .collect();
    let has = |path_part: &str, severity: &str, rule: &str| {
        findings.iter().any(|(path, sev, found)| {
            path.contains(path_part) && *sev == severity && *found == rule
        })
    };
    assert!(
        has("TASK-0012-family-accounts", "error", "missing-dependency"),
        "{text}"
    );
    assert!(text.contains("names TASK-0077, but no task has that ID; did you mean TASK-0007?"));
    assert!(
        has("TASK-0011-promo-code-engine", "error", "stage-mismatch"),
        "{text}"
    );
    for cycle_member in ["TASK-0010", "TASK-0011"] {
        assert!(
            has(cycle_member, "error", "dependency-cycle"),
            "{cycle_member}: {text}"
        );
    }
    for current in [
        "TASK-0004",
        "TASK-0005",
        "TASK-0006",
        "TASK-0007",
        "TASK-0008",
        "TASK-0009",
    ] {
        assert!(has(current, "error", "wip-limit"), "{current}: {text}");
    }
    assert!(has("current/INDEX.md", "error", "wip-limit"), "{text}");
    assert!(
        has("integration/INDEX.md", "error", "index-row-mismatch"),
        "{text}"
    );
    assert!(
        has(
            "TASK-0009-low-battery-alerts",
            "warning",
            "blocked-without-reason"
        ),
        "{text}"
    );
    assert!(
        has(
            "TASK-0002-dock-telemetry-ingestion/0002.ledger.jsonl",
            "warning",
            "ledger-order"
        ),
        "{text}"
    );
    assert!(
        has(
            "TASK-0005-live-station-map/0005.ledger.jsonl",
            "hint",
            "unknown-event"
        ),
        "{text}"
    );
    // Nothing else: the demo is otherwise clean.
    let per_rule = |rule: &str| {
        findings
            .iter()
            .filter(|(_, _, found)| *found == rule)
            .count()
    };
    let expected = [
        ("missing-dependency", 1),
        ("stage-mismatch", 1),
        ("dependency-cycle", 2),
        ("wip-limit", 7),
        ("index-row-mismatch", 1),
        ("blocked-without-reason", 1),
        ("ledger-order", 1),
        ("unknown-event", 1),
    ];
    for (rule, count) in expected {
        assert_eq!(per_rule(rule), count, "{rule}: {text}");
    }
    let unexpected: Vec<_> = findings
        .iter()
        .filter(|(_, _, rule)| !expected.iter().any(|(known, _)| known == rule))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    let summary = text.lines().last().unwrap();
    assert_eq!(
        summary, "12 errors, 2 warnings, 1 hint in 10 tasks (12 checked)",
        "{text}"
    );
}

#[test]
fn clean_example_prints_only_the_summary_and_exits_0() {
    let output = flowos(&["check", "examples/clean"], repo());
    assert_eq!(output.status.code(), Some(0));
    expect![[r#"
        0 errors, 0 warnings in 0 tasks (5 checked)
    "#]]
    .assert_eq(&stdout(&output));
}

#[test]
fn json_ranges_count_utf16_code_units_after_emoji_and_accents() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = package(
        "backlog",
        1,
        "depends_on: [\"TASK-0002\", \"🎉é\", \"TASK-0099\"]\n",
    );
    files.extend(package("backlog", 2, "blocks: [\"TASK-0001\"]\n"));
    files.push((".work/tasks/ID_COUNTER.txt".into(), "0100\n".into()));
    write_tree(dir.path(), &files);
    let output = flowos(&["check", ".", "--format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let missing = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "missing-dependency")
        .expect("missing-dependency reported");
    assert_eq!(
        missing["path"],
        ".work/tasks/backlog/TASK-0001-job/0001-job.task.md"
    );
    // `depends_on: ["TASK-0002", "🎉é", ` is 33 UTF-16 units (🎉 counts 2, é 1), 36 bytes.
    assert_eq!(missing["range"]["start"]["line"], 8);
    assert_eq!(missing["range"]["start"]["character"], 33);
    assert_eq!(missing["range"]["end"]["character"], 44);
    assert_eq!(missing["severity"], "error");
    assert_eq!(report["summary"]["errors"], 2, "{report:#}");
}

#[test]
fn rule_flag_changes_severity_and_switches_rules_off() {
    let off = flowos(
        &[
            "check",
            "examples/demo",
            "--rule",
            "wip-limit=off",
            "--rule=dependency-cycle=off",
        ],
        repo(),
    );
    let text = stdout(&off);
    assert!(
        !text.contains("[wip-limit]") && !text.contains("[dependency-cycle]"),
        "{text}"
    );
    assert!(text.contains("[stage-mismatch]"), "{text}");

    let all_warnings: Vec<String> = [
        "wip-limit",
        "dependency-cycle",
        "stage-mismatch",
        "missing-dependency",
        "index-row-mismatch",
    ]
    .iter()
    .map(|rule| format!("--rule={rule}=warning"))
    .collect();
    let mut args = vec!["check", "examples/demo"];
    args.extend(all_warnings.iter().map(String::as_str));
    let softened = flowos(&args, repo());
    assert_eq!(softened.status.code(), Some(0), "{}", stdout(&softened));
    assert!(stdout(&softened).contains("warning[stage-mismatch]"));
}

#[test]
fn usage_and_io_failures_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let unknown_rule = flowos(&["check", "--rule", "no-such-rule=off"], repo());
    assert_eq!(unknown_rule.status.code(), Some(2));
    let message = String::from_utf8_lossy(&unknown_rule.stderr);
    assert!(
        message.contains("unknown rule `no-such-rule`") && message.contains("wip-limit"),
        "{message}"
    );

    let nothing = flowos(&["check", "."], dir.path());
    assert_eq!(nothing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("no .work/tasks found"));

    let missing = flowos(&["check", "does/not/exist"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn hostile_files_never_crash_the_checker() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = package("backlog", 1, "");
    // A binary file named like a card, a non-UTF-8 ledger and a 10 MB card.
    files.push((
        ".work/tasks/backlog/TASK-0002-bin/0002-bin.task.md".into(),
        String::from_utf8_lossy(&[0u8, 159, 146, 150, 0, 1, 2, 255]).into_owned(),
    ));
    let mut big = String::from("---\ntask_id: \"0003\"\n---\n");
    big.push_str(&"lorem ipsum TASK-0001 ".repeat(500_000));
    files.push((
        ".work/tasks/backlog/TASK-0003-big/0003-big.task.md".into(),
        big,
    ));
    files.push((".work/tasks/ID_COUNTER.txt".into(), "0010\n".into()));
    write_tree(dir.path(), &files);
    fs::write(
        dir.path()
            .join(".work/tasks/backlog/TASK-0001-job/0001.ledger.jsonl"),
        [0xffu8, 0xfe, b'{', b'\n'],
    )
    .unwrap();
    // A stage "folder" that is a file, and an empty task folder.
    fs::write(dir.path().join(".work/tasks/current"), "not a folder").unwrap();
    fs::create_dir_all(dir.path().join(".work/tasks/next/TASK-0004-empty")).unwrap();

    let output = flowos(&["check", "."], dir.path());
    let code = output.status.code();
    assert!(code == Some(0) || code == Some(1), "crashed: {output:?}");
    let text = stdout(&output);
    assert!(
        text.contains("0002-bin.task.md:1:1: error[frontmatter-missing]"),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("should be the current stage folder but is a file"),
        "{stderr}"
    );
    // The ledger's bad bytes are named where they are, as a diagnostic.
    assert!(
        text.contains(
            "0001.ledger.jsonl:1:1: warning[invalid-encoding] the file is not valid UTF-8"
        ),
        "{text}"
    );
}

#[test]
fn a_ten_thousand_task_chain_checks_without_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = 10_000;
    let mut files = Vec::new();
    for number in 1..=tasks {
        let mut links = String::new();
        if number > 1 {
            links.push_str(&format!("depends_on: [\"{:04}\"]\n", number - 1));
        }
        if number < tasks {
            links.push_str(&format!("blocks: [\"{:04}\"]\n", number + 1));
        }
        files.extend(package("archived", number, &links));
    }
    files.push((
        ".work/tasks/ID_COUNTER.txt".into(),
        format!("{}\n", tasks + 1),
    ));
    write_tree(dir.path(), &files);
    let output = flowos(&["check", "."], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("(10000 checked)"));
}

#[test]
fn rules_lists_the_whole_catalogue_with_severities() {
    let output = flowos(&["rules"], repo());
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert_eq!(
        text.lines().count(),
        flowos_lsp::ide::types::Rule::ALL.len(),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|line| line.starts_with("index-broken-link ") && line.contains("warning")),
        "{text}"
    );
    let wip = text
        .lines()
        .find(|line| line.starts_with("wip-limit "))
        .unwrap();
    assert!(wip.contains("error") && wip.contains("WIP limit"), "{wip}");
    assert!(
        text.lines()
            .any(|line| line.starts_with("unknown-event ") && line.contains("hint"))
    );
}

#[test]
fn every_tasks_root_below_path_is_checked_and_ids_are_scoped_per_root() {
    let dir = tempfile::tempdir().unwrap();
    for repo_name in ["alpha", "beta"] {
        // beta's TASK-0001 also names TASK-0007, which only alpha has: references do not
        // cross roots.
        let (deps, extra, counter) = match repo_name {
            "alpha" => ("[\"TASK-0002\"]", package("archived", 7, ""), "0008\n"),
            _ => ("[\"TASK-0002\", \"TASK-0007\"]", Vec::new(), "0003\n"),
        };
        let files: Vec<(String, String)> = package("backlog", 1, &format!("depends_on: {deps}\n"))
            .into_iter()
            .chain(package("backlog", 2, "blocks: [\"TASK-0001\"]\n"))
            .chain(extra)
            .chain([(
                ".work/tasks/ID_COUNTER.txt".to_string(),
                counter.to_string(),
            )])
            .map(|(rel, text)| (format!("{repo_name}/{rel}"), text))
            .collect();
        write_tree(dir.path(), &files);
    }

    let output = flowos(&["check", "."], dir.path());
    let text = stdout(&output);
    assert!(!text.contains("duplicate-task-id"), "{text}");
    assert!(
        text.contains("beta/.work/tasks/backlog/TASK-0001-job/0001-job.task.md:9:27: error[missing-dependency]"),
        "{text}"
    );
    assert!(text.contains("(5 checked)"), "{text}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn slo_output_is_fixed_by_now() {
    // At the examples' own moment nothing is late; ten days on, work in flight is.
    let on_time = stdout(&flowos(&["check", "examples/demo"], repo()));
    assert!(!on_time.contains("slo-exceeded"), "{on_time}");
    let later = ["check", "examples/demo", "--now", "2026-11-30T12:00:00Z"];
    let first = stdout(&flowos(&later, repo()));
    assert_eq!(
        first,
        stdout(&flowos(&later, repo())),
        "same --now, same report"
    );
    let slo: Vec<&str> = first
        .lines()
        .filter(|l| l.contains("[slo-exceeded]"))
        .collect();
    // Work in flight is late (TASK-0012 ten days in inbox among them); archived tasks are
    // done, so none of them is.
    expect![[r#"
        .work/tasks/backlog/TASK-0011-promo-code-engine/0011-promo-code-engine.task.md:7:8: warning[slo-exceeded] TASK-0011 has been in backlog for 14d 2h, over its SLO target of 7d; the violation threshold is 14d
        .work/tasks/current/TASK-0004-ride-pricing-engine/0004-ride-pricing-engine.task.md:7:8: warning[slo-exceeded] TASK-0004 has been in current for 10d 23h, over its SLO target of 5d (effort L); the violation threshold is 10d
        .work/tasks/current/TASK-0005-live-station-map/0005-live-station-map.task.md:7:8: warning[slo-exceeded] TASK-0005 has been in current for 10d 21h, over its SLO target of 3d (effort M); the violation threshold is 6d
        .work/tasks/current/TASK-0006-ride-history-screen/0006-ride-history-screen.task.md:7:8: warning[slo-exceeded] TASK-0006 has been in current for 10d 20h, over its SLO target of 3d (effort M); the violation threshold is 6d
        .work/tasks/current/TASK-0007-card-payments-payrail/0007-card-payments-payrail.task.md:7:8: warning[slo-exceeded] TASK-0007 has been in current for 10d 3h, over its SLO target of 5d (effort L); the violation threshold is 10d
        .work/tasks/current/TASK-0008-rebalancing-dashboard/0008-rebalancing-dashboard.task.md:7:8: warning[slo-exceeded] TASK-0008 has been in current for 10d 2h, over its SLO target of 5d (effort L); the violation threshold is 10d
        .work/tasks/current/TASK-0009-low-battery-alerts/0009-low-battery-alerts.task.md:7:8: warning[slo-exceeded] TASK-0009 has been in current for 10d 1h, over its SLO target of 3d (effort M); the violation threshold is 6d
        .work/tasks/inbox/TASK-0012-family-accounts/0012-family-accounts.task.md:7:8: warning[slo-exceeded] TASK-0012 has been in inbox for 10d 3h, over its SLO target of 1d; the violation threshold is 2d
        .work/tasks/integration/TASK-0003-qr-unlock-flow/0003-qr-unlock-flow.task.md:7:8: warning[slo-exceeded] TASK-0003 has been in integration for 11d 1h, over its SLO target of 2d; the violation threshold is 4d
        .work/tasks/learning/TASK-0002-dock-telemetry-ingestion/0002-dock-telemetry-ingestion.task.md:7:8: warning[slo-exceeded] TASK-0002 has been in learning for 11d 19h, over its SLO target of 3d; the violation threshold is 7d
    "#]].assert_eq(&(slo.join("\n") + "\n"));
    assert!(
        slo.iter().all(|l| !l.contains("archived/")),
        "archived tasks are done: {first}"
    );
    let bad = flowos(&["check", "examples/demo", "--now", "noon"], repo());
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn rules_name_prints_that_rules_documentation_from_the_binary() {
    // Run from an empty folder: the text comes from the binary, not from a docs/ nearby.
    let dir = tempfile::tempdir().unwrap();
    let output = flowos(&["rules", "wip-limit"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.starts_with("## wip-limit\n"), "{text}");
    assert!(text.contains("Default severity:"), "{text}");
    // It stops before the next rule's section: no other rule's heading is in it.
    let catalogue = stdout(&flowos(&["rules"], dir.path()));
    let others: Vec<&str> = catalogue
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "wip-limit")
        .collect();
    assert!(others.len() > 20, "{catalogue}");
    for name in others {
        assert!(
            !text.contains(&format!("\n## {name}\n")),
            "{name} in {text}"
        );
    }
    let reference = fs::read_to_string(repo().join("docs/rules.md")).unwrap();
    assert!(
        reference.contains(text.trim_end()),
        "the section as written"
    );

    let unknown = flowos(&["rules", "wip-limits"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
    let message = String::from_utf8_lossy(&unknown.stderr);
    assert!(message.contains("did you mean `wip-limit`?"), "{message}");
}

/// Help and the version printed into a pipe whose reader is gone (`flowos-lsp … --help |
/// head -1` once `head` has its line) end quietly with status 0, for every subcommand; the
/// standard library's `println!` panicked there (status 101, a panic message on stderr).
#[test]
fn help_into_a_closed_pipe_is_not_a_failure() {
    let invocations: &[&[&str]] = &[
        &["--help"],
        &["--version"],
        &["check", "--help"],
        &["transition", "--help"],
        &["new", "--help"],
        &["rename", "--help"],
        &["query", "--help"],
        &["report", "--help"],
        &["graph", "--help"],
        &["now", "--help"],
        &["board", "--help"],
        &["propose", "--help"],
        &["approve", "--help"],
    ];
    for args in invocations {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
            .args(*args)
            .current_dir(repo())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
