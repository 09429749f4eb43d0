//! End-to-end test in the real editor: a headless Neovim (0.7+) loads flowos.nvim
//! (`editors/nvim`) through `editors/nvim/tests/minimal_init.lua`, starts the built
//! `flowos-lsp`, and runs `editors/nvim/tests/e2e.lua` over a fixture workspace: diagnostics,
//! go to definition, completion, `:FlowosTransition`, `:FlowosNewTask`, rename, `:FlowosNow`
//! and the README's nvim-lspconfig snippet. The script writes what the editor saw as JSON; the assertions, and
//! the checks on disk, are here. Without `nvim` the test is skipped, loudly, except in CI.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;

use support::editor;

use support::staged::{card, editor_fixture, ledger, ledger_path};

const NOW: &str = "2026-11-20T12:00:00Z";
/// Each step of the script waits at most this long.
const STEP_TIMEOUT_MS: u64 = 20_000;
/// The whole Neovim run, startup to exit.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn plugin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/nvim")
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Runs the e2e script in a headless Neovim against `project`; returns what it recorded.
fn run_nvim(scratch: &Path, project: &Path) -> Value {
    let out = scratch.join("e2e.json");
    let xdg = scratch.join("xdg");
    for dir in ["config", "data", "state", "cache"] {
        std::fs::create_dir_all(xdg.join(dir)).unwrap();
    }
    let stdout = std::fs::File::create(scratch.join("nvim.stdout")).unwrap();
    let stderr = std::fs::File::create(scratch.join("nvim.stderr")).unwrap();
    let script = plugin_dir().join("tests/e2e.lua");
    let started = Instant::now();
    let mut child = Command::new("nvim")
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(plugin_dir().join("tests/minimal_init.lua"))
        .arg("-c")
        .arg(format!("luafile {}", script.display()))
        .current_dir(project)
        .env("FLOWOS_LSP_BIN", env!("CARGO_BIN_EXE_flowos-lsp"))
        .env("FLOWOS_NOW", NOW)
        .env("FLOWOS_E2E_WORKSPACE", project)
        .env("FLOWOS_E2E_OUT", &out)
        .env("FLOWOS_E2E_TIMEOUT_MS", STEP_TIMEOUT_MS.to_string())
        .env("XDG_CONFIG_HOME", xdg.join("config"))
        .env("XDG_DATA_HOME", xdg.join("data"))
        .env("XDG_STATE_HOME", xdg.join("state"))
        .env("XDG_CACHE_HOME", xdg.join("cache"))
        .env("NVIM_LOG_FILE", xdg.join("nvim.log"))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("nvim starts");
    let logs = || {
        let read = |name: &str| std::fs::read_to_string(scratch.join(name)).unwrap_or_default();
        format!(
            "--- nvim stdout\n{}\n--- nvim stderr\n{}",
            read("nvim.stdout"),
            read("nvim.stderr")
        )
    };
    let status = editor::wait(&mut child, started, RUN_TIMEOUT, logs);
    eprintln!("nvim ran for {:?}", started.elapsed());
    assert!(status.success(), "nvim exited with {status}\n{}", logs());
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|error| panic!("the script wrote no results ({error})\n{}", logs()));
    let results: Value = serde_json::from_str(&text).unwrap();
    assert!(results.get("fatal").is_none(), "{results:#}\n{}", logs());
    for (name, step) in results["steps"].as_object().unwrap() {
        eprintln!("step {name}: {} ms", step["ms"]);
        assert_eq!(
            step["ok"], true,
            "step `{name}` failed: {step}\n{results:#}"
        );
    }
    results
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn neovim_shows_diagnostics_navigates_completes_and_runs_transitions() {
    if !editor::available("nvim", "Neovim") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().canonicalize().unwrap();
    let project = scratch.join("project");
    let root = editor_fixture(&project);
    let ledger_before = std::fs::read_to_string(ledger_path(&root, "current", 3)).unwrap();
    // Read before the run: the script renames TASK-0004 (its last steps).
    let card_4 = std::fs::read_to_string(card(&root, "backlog", 4)).unwrap();

    let results = run_nvim(&scratch, &project);
    assert_eq!(
        results["steps"].as_object().unwrap().len(),
        11,
        "{results:#}"
    );

    // a. The broken dependency, on its line, as the server names it.
    let depends_line = card_4
        .lines()
        .position(|line| line.starts_with("depends_on:"))
        .unwrap();
    let missing = results["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "missing-dependency")
        .unwrap_or_else(|| panic!("no missing-dependency in {results:#}"));
    assert!(
        missing["message"].as_str().unwrap().contains("TASK-0999"),
        "{missing}"
    );
    assert_eq!(missing["source"], "flowos");
    assert_eq!(missing["lnum"], depends_line as u64, "{missing}");
    assert_eq!(results["diagnostics_filetype"], "markdown");
    assert_eq!(results["ledger_filetype"], "json");

    // b. Definition answers the dependency's card, and the jump lands there.
    let card_2 = card(&root, "integration", 2);
    let uris = strings(&results["definition"]["uris"]);
    assert_eq!(uris, [uri(&card_2)], "{results:#}");
    assert_eq!(
        results["definition"]["jumped_to"],
        card_2.display().to_string()
    );

    // c. Completion after `depends_on: [` lists the other tasks, not the card's own.
    let labels = strings(&results["completion"]["labels"]);
    for id in ["TASK-0001", "TASK-0002", "TASK-0003", "TASK-0004"] {
        assert!(labels.contains(&id), "{id} missing from {labels:?}");
    }
    assert!(!labels.contains(&"TASK-0005"), "{labels:?}");
    // <C-x><C-o> asks the server, not the markdown ftplugin's HTML completion.
    assert_eq!(
        results["completion"]["omnifunc"], "v:lua.vim.lsp.omnifunc",
        "{results:#}"
    );

    // d. The picker offered only runnable transitions; the others were reported with why.
    let transition = &results["transition"];
    let offered = strings(&transition["offered"]);
    assert!(
        offered.iter().any(|t| t.starts_with("Complete TASK-0003")),
        "{offered:?}"
    );
    assert!(
        !offered.iter().any(|t| t.starts_with("Pause TASK-0003")),
        "{offered:?}"
    );
    let told: Vec<&str> = results["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["message"].as_str())
        .collect();
    assert!(
        told.iter()
            .any(|m| m.contains("Pause TASK-0003") && m.contains("paused_reason")),
        "{told:?}"
    );
    assert_eq!(transition["result"]["ok"], true, "{transition:#}");
    // The folder moved, and the ledger got exactly one line, appended.
    assert!(!root.join("current/TASK-0003-job").exists());
    let moved = card(&root, "integration", 3);
    let moved_text = std::fs::read_to_string(&moved).unwrap();
    assert!(
        moved_text.contains("stage: \"integration\""),
        "{moved_text}"
    );
    let ledger_after = std::fs::read_to_string(ledger_path(&root, "integration", 3)).unwrap();
    assert!(
        ledger_after.starts_with(&ledger_before),
        "the ledger's previous bytes changed:\n{ledger_after}"
    );
    let added: Vec<Value> = ledger_after[ledger_before.len()..]
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["event"], "implemented");
    assert_eq!(added[0]["ts"], NOW);
    assert_eq!(
        added[0]["user"], "@you",
        "the plugin's `user` reaches the server"
    );
    // The editor followed the card: the moved card is open and served, the old buffer gone.
    assert_eq!(transition["buffer"], moved.display().to_string());
    assert_eq!(transition["old_buffer_gone"], true, "{transition:#}");
    assert_eq!(transition["moved_card_attached"], true);

    // A transition on a card with unsaved changes was refused, and changed nothing.
    let refusal = &results["refusal"]["result"];
    assert_eq!(refusal["ok"], false, "{results:#}");
    let reason = refusal["message"].as_str().unwrap_or_default();
    assert!(
        reason.contains("unsaved") || reason.contains("changed since"),
        "{reason}"
    );
    assert!(card(&root, "integration", 2).exists());
    assert!(!root.join("learning/TASK-0002-job").exists());
    assert_eq!(
        std::fs::read_to_string(ledger_path(&root, "integration", 2)).unwrap(),
        ledger("integration")
    );

    // :FlowosNewTask created the package in inbox and opened its card.
    let new_card = root.join("inbox/TASK-0006-write-the-docs/0006-write-the-docs.task.md");
    assert!(new_card.exists(), "{results:#}");
    assert_eq!(
        results["new_task"]["buffer"],
        new_card.display().to_string()
    );
    assert_eq!(
        std::fs::read_to_string(root.join("ID_COUNTER.txt"))
            .unwrap()
            .trim(),
        "0007"
    );

    // Neovim's own code-action menu ran "Start TASK-0001" through the plugin's command.
    assert_eq!(
        results["code_action_menu"]["result"]["ok"], true,
        "{results:#}"
    );
    let started_card = card(&root, "current", 1);
    assert!(started_card.exists() && !card(&root, "next", 1).exists());
    assert_eq!(
        results["code_action_menu"]["buffer"],
        started_card.display().to_string()
    );
    let events: Vec<String> = std::fs::read_to_string(ledger_path(&root, "current", 1))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["event"].to_string())
        .collect();
    assert!(
        events.ends_with(&["\"validated\"".to_string(), "\"started\"".to_string()]),
        "{events:?}"
    );

    // vim.lsp.buf.rename renamed TASK-0004 on disk and the editor opened the renamed card;
    // prepareRename on its ID answered why not.
    let renamed = root.join("backlog/TASK-0004-renamed-job/0004-renamed-job.task.md");
    let renamed_text = std::fs::read_to_string(&renamed).unwrap_or_default();
    assert!(
        renamed_text.contains("task_name: \"Renamed job\""),
        "{results:#}"
    );
    assert!(!root.join("backlog/TASK-0004-job").exists());
    assert_eq!(results["rename"]["buffer"], renamed.display().to_string());
    let id_error = results["rename"]["id_error"].as_str().unwrap_or_default();
    assert!(id_error.contains("IDs are permanent"), "{results:#}");

    // :FlowosNow: the Now view as `flowos-lsp now` prints it uncoloured, in one scratch
    // buffer that a second run refreshes in place.
    let now = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .args(["now", project.to_str().unwrap(), "--color", "never"])
        .env("FLOWOS_NOW", NOW)
        .output()
        .expect("flowos-lsp now runs");
    let expected: Vec<&str> = std::str::from_utf8(&now.stdout).unwrap().lines().collect();
    assert!(expected.len() > 5, "{expected:?}");
    assert_eq!(strings(&results["now"]["lines"]), expected);
    assert_eq!(results["now"]["same_buffer"], true);
    assert_eq!(results["now"]["buftype"], "nofile");
    assert_eq!(results["now"]["modifiable"], false);
    assert_eq!(results["now"]["windows"], 1);
    assert_eq!(
        results["now"]["name"],
        format!("flowos://now/{}", project.display())
    );

    // The nvim-lspconfig snippet registers a working server definition.
    let lspconfig = &results["lspconfig"];
    assert_eq!(strings(&lspconfig["cmd"]), ["flowos-lsp"]);
    assert_eq!(strings(&lspconfig["filetypes"]), ["markdown", "json"]);
    assert_eq!(lspconfig["root"], project.display().to_string());
    assert_eq!(lspconfig["setup"], "flowos");
}

/// The snippets in editors/nvim/README.md are the files the test runs.
#[test]
fn the_readme_snippets_are_the_tested_files() {
    let readme = std::fs::read_to_string(plugin_dir().join("README.md")).unwrap();
    let init = std::fs::read_to_string(plugin_dir().join("tests/minimal_init.lua")).unwrap();
    let setup = init
        .split("-- setup:")
        .nth(1)
        .and_then(|rest| rest.split_once('\n'))
        .and_then(|(_, rest)| rest.split("-- end setup").next())
        .expect("minimal_init.lua marks its setup block");
    let shown = setup.replace("{ flowos_lsp }", "{ 'flowos-lsp' }");
    assert!(
        readme.contains(&shown),
        "README.md does not show the tested setup:\n{shown}"
    );
    let lspconfig = std::fs::read_to_string(plugin_dir().join("examples/lspconfig.lua")).unwrap();
    let body: String = lspconfig
        .lines()
        .skip_while(|line| line.starts_with("--"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        readme.contains(&body),
        "README.md does not show examples/lspconfig.lua:\n{body}"
    );
}
