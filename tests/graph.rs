//! `flowos-lsp graph` end to end on `examples/demo`: every task is a node and every
//! depends_on item an edge, the TASK-0010/TASK-0011 cycle and the missing TASK-0077 are marked,
//! and `--from`/`--depth` narrow the picture.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::path::PathBuf;

use support::faults::{Run, cli};

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

fn graph(args: &[&str]) -> Run {
    let folder = demo();
    let mut all = vec!["graph", folder.to_str().unwrap()];
    all.extend_from_slice(args);
    cli(&folder, &all, &[])
}

/// The depends_on items of every card in the demo, read straight from the files.
fn demo_dependency_count() -> usize {
    let mut count = 0;
    let mut stack = vec![demo().join(".work/tasks")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_str().unwrap().ends_with(".task.md") {
                let text = std::fs::read_to_string(&path).unwrap();
                // The key's line and, for a block list, the item lines under it.
                let mut lines = text.lines().skip_while(|l| !l.starts_with("depends_on:"));
                let key = lines.next().unwrap();
                let items = lines.take_while(|l| l.starts_with([' ', '-']));
                count += key.matches("TASK-").count();
                count += items.map(|l| l.matches("TASK-").count()).sum::<usize>();
            }
        }
    }
    count
}

#[test]
fn dot_has_every_task_every_dependency_the_cycle_and_the_missing_target() {
    let run = graph(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dot = &run.stdout;
    assert!(dot.starts_with("digraph dependencies {"), "{dot}");
    for n in 1..=12 {
        assert!(
            dot.contains(&format!("\"TASK-{n:04}\" [label=")),
            "TASK-{n:04} in {dot}"
        );
    }
    assert_eq!(dot.matches(" -> ").count(), demo_dependency_count());
    assert!(dot.contains("\"TASK-0010\" -> \"TASK-0011\" [color=red];"));
    assert!(dot.contains("\"TASK-0011\" -> \"TASK-0010\" [color=red];"));
    assert!(dot.contains("\"TASK-0012\" -> \"TASK-0077\" [style=dashed, color=orange];"));
    assert!(dot.contains("\"TASK-0077\" [label=\"TASK-0077\\n(missing)\""));
    assert_eq!(
        dot.matches("[color=red]").count(),
        2,
        "only the cycle is red"
    );
}

#[test]
fn mermaid_and_a_neighbourhood() {
    let run = graph(&["--format", "mermaid", "--from", "TASK-0003", "--depth", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = &run.stdout;
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    // 0003 depends on 0001; 0006 and 0007 depend on 0003. Nothing else is one step away.
    let nodes: Vec<&str> = text.lines().filter(|l| l.contains("[\"")).collect();
    assert_eq!(nodes.len(), 4, "{text}");
    for id in ["TASK-0001", "TASK-0003", "TASK-0006", "TASK-0007"] {
        assert!(text.contains(id), "{id} in {text}");
    }
    assert_eq!(text.matches("-->").count(), 3);
}

#[test]
fn bad_arguments_exit_2_with_the_reason() {
    let unknown = graph(&["--from", "TASK-0999"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no task TASK-0999"),
        "{}",
        unknown.stderr
    );
    let format = graph(&["--format", "svg"]);
    assert_eq!(format.code, 2);
    assert!(format.stderr.contains("unknown format `svg`"));
    let depth = graph(&["--depth", "2"]);
    assert_eq!(depth.code, 2);
    assert!(depth.stderr.contains("give --from ID"));
}
