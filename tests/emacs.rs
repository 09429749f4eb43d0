//! End-to-end test in the real editor: a headless Emacs (28 with elpa-eglot, or 29+) runs the
//! README's init snippet, which loads `editors/emacs/flowos.el`; eglot starts the built
//! `flowos-lsp`, and `editors/emacs/tests/e2e.el` runs over a fixture workspace in a folder
//! without version control: the project root, a ledger joining the same server, diagnostics,
//! go to definition, completion, `flowos-transition`, `flowos-new-task` and `eglot-rename`,
//! then what the editor shows after them (the card, when its eglot takes `window/showDocument`;
//! else the server's message naming it). The script writes what the editor saw as JSON; the
//! assertions, and the checks on disk, are here. Without `emacs` the test is skipped, loudly,
//! except in CI. The `emacs` first on `PATH` is the one run (CI: Debian's 28.2).

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;

use support::editor;

use support::staged::{card, editor_fixture, ledger_path};

const NOW: &str = "2026-11-20T12:00:00Z";
/// Each step of the script waits at most this long.
const STEP_TIMEOUT_MS: u64 = 20_000;
/// The whole Emacs run, startup to exit.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn emacs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/emacs")
}

/// The README's init-file snippet, loading `flowos.el` from this checkout: the test runs
/// what a user is told to write.
fn readme_init() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let snippet = readme
        .split("```elisp\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has an elisp block");
    assert!(
        snippet.contains("/path/to/flowos-lsp/editors/emacs"),
        "{snippet}"
    );
    snippet.replace(
        "/path/to/flowos-lsp/editors/emacs",
        &emacs_dir().display().to_string(),
    )
}

/// Runs the e2e script in a headless Emacs against `project`; returns what it recorded.
fn run_emacs(scratch: &Path, project: &Path) -> Value {
    let out = scratch.join("e2e.json");
    let home = scratch.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let log = scratch.join("emacs.log");
    let started = Instant::now();
    let init = scratch.join("init.el");
    std::fs::write(&init, readme_init()).unwrap();
    // `-q`, not `-Q`: Debian's site-start is what puts elpa-eglot on the load path.
    let mut child = Command::new("emacs")
        .args(["--batch", "-q", "-l"])
        .arg(&init)
        .arg("-l")
        .arg(emacs_dir().join("tests/e2e.el"))
        .current_dir(project)
        .env("HOME", &home)
        .env("FLOWOS_LSP_BIN", env!("CARGO_BIN_EXE_flowos-lsp"))
        .env("FLOWOS_NOW", NOW)
        .env("FLOWOS_E2E_WORKSPACE", project)
        .env("FLOWOS_E2E_OUT", &out)
        .env("FLOWOS_E2E_TIMEOUT_MS", STEP_TIMEOUT_MS.to_string())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(scratch.join("emacs.stderr")).unwrap())
        .spawn()
        .expect("emacs starts");
    let logs = || {
        let read = |path: PathBuf| std::fs::read_to_string(path).unwrap_or_default();
        format!(
            "--- emacs stdout\n{}\n--- emacs stderr\n{}",
            read(log.clone()),
            read(scratch.join("emacs.stderr"))
        )
    };
    let status = editor::wait(&mut child, started, RUN_TIMEOUT, logs);
    // Printed so CI logs show what the Emacs test costs.
    eprintln!("emacs ran for {:?}", started.elapsed());
    assert!(status.success(), "emacs exited with {status}\n{}", logs());
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|error| panic!("the script wrote no results ({error})\n{}", logs()));
    let results: Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<_> = results
        .as_object()
        .unwrap()
        .iter()
        .filter(|(key, _)| key.ends_with("_error"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{}", logs());
    results
}

#[test]
fn emacs_roots_the_tree_shows_diagnostics_navigates_completes_and_runs_transitions() {
    if !editor::available("emacs", "Emacs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().canonicalize().unwrap();
    let project = scratch.join("project");
    let root = editor_fixture(&project);
    let ledger_before = std::fs::read_to_string(ledger_path(&root, "current", 3)).unwrap();
    // Read before the run: the script renames TASK-0004 (its last step).
    let card_4 = std::fs::read_to_string(card(&root, "backlog", 4)).unwrap();

    let results = run_emacs(&scratch, &project);

    // The project is the folder holding .work, not the card's own folder (no VCS here).
    assert_eq!(
        results["project_root"],
        format!("{}/", project.display()),
        "{results:#}"
    );
    assert_eq!(results["mode"], "markdown-mode");
    // A ledger opens in flowos-ledger-mode and joins the running server.
    assert_eq!(results["ledger_mode"], "flowos-ledger-mode", "{results:#}");
    assert_eq!(results["ledger_managed"], true, "{results:#}");

    // a. The broken dependency, on its line.
    let depends_line = card_4
        .lines()
        .position(|line| line.starts_with("depends_on:"))
        .unwrap();
    let diagnostics = results["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("TASK-0999")
                && d["line"] == depends_line as u64),
        "{results:#}"
    );

    // b. Definition jumped to the dependency's card.
    assert_eq!(
        results["definition"],
        card(&root, "integration", 2).display().to_string(),
        "{results:#}"
    );

    // c. Completion after `depends_on: [` lists the other tasks, not the card's own.
    let labels: Vec<&str> = results["completion"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for id in ["TASK-0001", "TASK-0002", "TASK-0003", "TASK-0004"] {
        assert!(labels.contains(&id), "{id} missing from {labels:?}");
    }
    assert!(!labels.contains(&"TASK-0005"), "{labels:?}");

    // d. The transition ran: the folder moved, the ledger got one line, appended.
    assert!(!root.join("current/TASK-0003-job").exists(), "{results:#}");
    let moved = std::fs::read_to_string(card(&root, "integration", 3)).unwrap();
    assert!(moved.contains("stage: \"integration\""), "{moved}");
    let ledger_after = std::fs::read_to_string(ledger_path(&root, "integration", 3)).unwrap();
    assert!(ledger_after.starts_with(&ledger_before), "{ledger_after}");
    let added: Vec<Value> = ledger_after[ledger_before.len()..]
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["event"], "implemented");
    assert_eq!(added[0]["ts"], NOW);

    // e. The new task is in the inbox.
    let inbox: Vec<String> = std::fs::read_dir(root.join("inbox"))
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    assert!(
        inbox.iter().any(|name| name.contains("written-from-emacs")),
        "{inbox:?}"
    );

    // f. eglot-rename renamed TASK-0004 on disk; prepareRename on its ID said why not.
    let renamed = root.join("backlog/TASK-0004-renamed-in-emacs/0004-renamed-in-emacs.task.md");
    let renamed_text = std::fs::read_to_string(&renamed).unwrap_or_default();
    assert!(
        renamed_text.contains("task_name: \"Renamed in Emacs\""),
        "{results:#}"
    );
    assert_eq!(results["renamed"], true);
    assert!(!root.join("backlog/TASK-0004-job").exists());
    let id_error = results["rename_id_refusal"].as_str().unwrap_or_default();
    assert!(id_error.contains("IDs are permanent"), "{results:#}");

    // g. After the transition and the rename the editor shows the card, or says where it is:
    // eglot 1.17 (Emacs 30) takes window/showDocument and opens it; eglot 1.9 (Emacs 28)
    // does not, and the server's message (eglot prints it, on stderr in batch) names the path.
    eprintln!(
        "Emacs {} with {}; window/showDocument: {}",
        results["emacs_version"], results["eglot_library"], results["show_document"]
    );
    let moved_card = card(&root, "integration", 3);
    if results["show_document"] == true {
        assert_eq!(
            results["transition_buffer"],
            moved_card.display().to_string(),
            "{results:#}"
        );
        assert_eq!(
            results["rename_buffer"],
            renamed.display().to_string(),
            "{results:#}"
        );
    } else {
        let messages = std::fs::read_to_string(scratch.join("emacs.stderr")).unwrap();
        for path in [&moved_card, &renamed] {
            let says = format!("the card is at {}", path.display());
            assert!(
                messages.contains(&says),
                "{says:?} missing from\n{messages}"
            );
        }
    }
}
