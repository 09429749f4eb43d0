//! `flowos-lsp query` end to end on `tests/fixtures/flow` (the workspace whose figures
//! `tests/flow_metrics.rs` computes by hand), at a fixed `--now`: the JSON of every query is a
//! snapshot (the contract of `docs/queries.md`), and the table and CSV renderings, filters,
//! windows and errors are checked on top.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::path::PathBuf;

use expect_test::expect_file;
use serde_json::Value;
use support::faults::{Run, cli};
use support::{Answers, Client, TIMEOUT};

const NOW: &str = "--now=2026-11-30T00:00:00Z";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flow")
}

fn query(args: &[&str]) -> Run {
    let folder = fixture();
    let mut all = vec!["query"];
    all.extend_from_slice(args);
    all.extend([NOW, folder.to_str().unwrap()]);
    cli(&folder, &all, &[])
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let run = query(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value = run.json();
    assert_eq!(value["query"], args[0]);
    assert_eq!(value["now"], "2026-11-30T00:00:00Z");
    value["results"].clone()
}

fn ids(results: &Value) -> Vec<String> {
    results
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_query_answers_its_documented_json() {
    let cases: [(&str, &[&str]); 15] = [
        ("task", &["task", "TASK-0002"]),
        ("stage", &["stage", "next"]),
        ("blocked", &["blocked"]),
        ("dependents", &["dependents", "0005"]),
        ("dependents_all", &["dependents", "0005", "--all"]),
        ("dependencies_all", &["dependencies", "TASK-0008", "--all"]),
        ("stale", &["stale"]),
        ("wip", &["wip"]),
        ("p0", &["p0"]),
        ("rework", &["rework"]),
        ("events", &["events", "0003", "--type", "implemented"]),
        ("blocker_impact", &["blocker-impact"]),
        ("metrics", &["metrics"]),
        ("metrics_task", &["metrics", "--task", "0005"]),
        ("ready", &["ready", "--why"]),
    ];
    let docs =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/queries.md"))
            .unwrap();
    for (name, args) in cases {
        let results = json(args);
        // Every field a query answers is documented (`docs/queries.md` names it in backticks).
        let mut keys = Vec::new();
        collect_keys(&results, &mut keys);
        for key in keys {
            assert!(
                docs.contains(&format!("`{key}`")) || key.starts_with('@') || key == "-",
                "`query {}` answers `{key}`, which docs/queries.md does not document",
                args[0]
            );
        }
        let pretty = serde_json::to_string_pretty(&results).unwrap();
        expect_file![format!("snapshots/queries/{name}.json")].assert_eq(&format!("{pretty}\n"));
    }
}

/// Every object key in `value`, at any depth.
fn collect_keys(value: &Value, keys: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                keys.push(key.clone());
                collect_keys(value, keys);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_keys(item, keys)),
        _ => {}
    }
}

#[test]
fn ready_orders_by_priority_then_age_and_explains_the_rest() {
    let results = json(&["ready", "--why"]);
    // 0006 (P1) before 0012 (P3) before 0009 (no priority); 0007 waits on 0005 in current,
    // 0008 is blocked and waits on both.
    assert_eq!(
        ids(&results["ready"]),
        ["TASK-0006", "TASK-0012", "TASK-0009"]
    );
    assert_eq!(ids(&results["held"]), ["TASK-0007", "TASK-0008"]);
    assert_eq!(
        results["held"][0]["reasons"][0],
        "waits on TASK-0005 (current)"
    );
    assert_eq!(
        results["held"][1]["reasons"][0],
        "blocked by external:Legal review"
    );
    assert!(json(&["ready"]).get("held").is_none());
}

#[test]
fn filters_compose_and_narrow_the_metrics() {
    let tagged = json(&["stage", "backlog", "--tag", "docs", "--tag", "legal"]);
    assert_eq!(ids(&tagged), ["TASK-0008", "TASK-0012"]);
    let both = json(&["stage", "backlog", "--tag", "legal", "--dri", "bo"]);
    assert_eq!(ids(&both), ["TASK-0008"]);
    assert_eq!(
        ids(&json(&[
            "stage",
            "backlog",
            "--status",
            "active",
            "--priority",
            "P3"
        ])),
        ["TASK-0012"]
    );
    // @bo's closed tasks: 0002 (lead 178) and 0004 (56).
    let metrics = json(&["metrics", "--dri", "@bo"]);
    assert_eq!(metrics["throughput"]["count"], 2);
    assert_eq!(metrics["lead_time_hours"]["mean"], 117.0);
}

#[test]
fn a_window_of_one_week() {
    let metrics = json(&["metrics", "--since", "2026-11-16", "--until", "2026-11-23"]);
    assert_eq!(metrics["since"], "2026-11-16T00:00:00Z");
    assert_eq!(metrics["throughput"]["count"], 2);
    assert_eq!(metrics["weekly"][0]["week"], "2026-W47");
    // Only rework inside the window is listed when one is given; 0003's was on the 10th.
    assert_eq!(
        json(&["rework", "--since", "2026-11-16"]),
        serde_json::json!([])
    );
    assert_eq!(ids(&json(&["rework"])), ["TASK-0003"]);
}

#[test]
fn tables_and_csv_render_the_same_rows() {
    let table = query(&["stage", "next"]);
    assert_eq!(table.code, 0);
    expect_file!["snapshots/queries/stage_next_table.txt"].assert_eq(&table.stdout);
    let csv = query(&["blocked", "--format", "csv"]);
    assert_eq!(
        csv.stdout,
        "id,name,stage,dri,blocked_by,blocked_hours,blocked_since\n\
         TASK-0008,Personal data export,backlog,@bo,external:Legal review,72.0,2026-11-27T00:00:00Z\n"
    );
}

#[test]
fn bad_questions_exit_2_with_the_reason() {
    for (args, message) in [
        (
            &["task", "TASK-0099"][..],
            "no task TASK-0099 in this workspace",
        ),
        (&["stage", "limbo"][..], "`limbo` is not a stage"),
        (
            &["metrics", "--since", "yesterday"][..],
            "`yesterday` is neither",
        ),
        (
            &["metrics", "--since", "2026-12-01"][..],
            "the window is empty",
        ),
        (
            &["wip", "--status", "sleeping"][..],
            "`sleeping` is not a status",
        ),
    ] {
        let run = query(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.all());
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    let nowhere = tempfile::tempdir().unwrap();
    let run = cli(nowhere.path(), &["query", "wip", NOW], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no .work/tasks found"),
        "{}",
        run.stderr
    );
}

#[test]
fn flowos_query_over_lsp_answers_what_the_cli_prints() {
    let folder = fixture();
    let mut client = Client::spawn_with_env(Answers::Normally, &[("FLOWOS_NOW", &NOW[6..])]);
    client.initialize(&folder, serde_json::json!({}), serde_json::json!({}));
    let card = folder.join(".work/tasks/next/TASK-0006-csv-import/0006-csv-import.task.md");
    assert!(
        client.wait_until(TIMEOUT, |client| !client.rules(&card).is_empty()),
        "the server never analysed the fixture"
    );
    let cases: [(&[&str], Value); 5] = [
        (
            &["ready", "--why"],
            serde_json::json!({"query": "ready", "why": true}),
        ),
        (&["metrics"], serde_json::json!({"query": "metrics"})),
        (
            &[
                "metrics",
                "--since",
                "2026-11-16",
                "--until",
                "2026-11-23",
                "--dri",
                "bo",
            ],
            serde_json::json!({"query": "metrics", "since": "2026-11-16", "until": "2026-11-23",
                               "filters": {"dri": ["bo"]}}),
        ),
        (
            &["dependents", "TASK-0005", "--all"],
            serde_json::json!({"query": "dependents", "arg": "TASK-0005", "all": true}),
        ),
        (
            &["events", "0003", "--type", "started"],
            serde_json::json!({"query": "events", "arg": "0003", "eventType": "started"}),
        ),
    ];
    for (args, request) in cases {
        let mut with_format = args.to_vec();
        with_format.extend(["--format", "json"]);
        let printed = query(&with_format).json();
        let answered = client.request(
            "workspace/executeCommand",
            serde_json::json!({"command": "flowos.query", "arguments": [request]}),
        );
        assert_eq!(answered, printed, "{args:?}");
    }
    let unknown = client.request_full(
        "workspace/executeCommand",
        serde_json::json!({"command": "flowos.query", "arguments": [{"query": "task", "arg": "0099"}]}),
    );
    assert_eq!(
        unknown["error"]["message"],
        "no task TASK-0099 in this workspace"
    );
    client.shutdown();
}
