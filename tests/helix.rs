//! editors/helix: the README's configuration is `languages.toml` itself (comments and blank
//! lines aside), so the documented snippet cannot drift from the file users copy; and, where
//! `hx` and `tmux` are on `PATH`, a real Helix loads that file and is driven through tmux
//! (keys in, screen out) on a fixture workspace: diagnostics, a rename with `space r`, a
//! transition with `space a`. No package on the CI machines provides Helix, so there the
//! end-to-end test is skipped, saying so.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::editor;
use support::staged::{card, editor_fixture, ledger_path, new_lines};

fn helix_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/editors/helix"))
}

/// The lines that carry configuration: no comments, no blank lines.
fn settings(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|line| !line.is_empty() && !line.trim_start().starts_with('#'))
        .collect()
}

#[test]
fn the_readme_shows_languages_toml() {
    let file = std::fs::read_to_string(helix_dir().join("languages.toml")).unwrap();
    let readme = std::fs::read_to_string(helix_dir().join("README.md")).unwrap();
    let snippet = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README.md has a toml block");
    assert_eq!(settings(snippet), settings(&file));
    for query in ["highlights.scm", "indents.scm"] {
        let text = std::fs::read_to_string(
            helix_dir()
                .join("runtime/queries/flowos-ledger")
                .join(query),
        )
        .unwrap();
        assert_eq!(text.trim(), "; inherits: json", "{query}");
    }
}

const NOW: &str = "2026-11-20T12:00:00Z";
/// Each wait for the screen or the disk.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// A Helix running in a detached tmux session on its own socket; killed on drop.
struct Helix {
    socket: PathBuf,
    log: PathBuf,
}

impl Helix {
    /// Starts `hx file` in `project`, with `home` as its HOME and `bin` first on its PATH.
    fn start(scratch: &Path, project: &Path, file: &Path) -> Helix {
        let home = scratch.join("home");
        let config = home.join(".config/helix");
        std::fs::create_dir_all(config.join("runtime/queries")).unwrap();
        // What the README tells a user to do: languages.toml, and the ledger queries.
        std::fs::copy(
            helix_dir().join("languages.toml"),
            config.join("languages.toml"),
        )
        .unwrap();
        let queries = config.join("runtime/queries/flowos-ledger");
        std::fs::create_dir_all(&queries).unwrap();
        for query in ["highlights.scm", "indents.scm"] {
            std::fs::copy(
                helix_dir()
                    .join("runtime/queries/flowos-ledger")
                    .join(query),
                queries.join(query),
            )
            .unwrap();
        }
        // `flowos-lsp` as the README installs it: on PATH, by that name.
        let bin = scratch.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_flowos-lsp"), bin.join("flowos-lsp"))
            .unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let helix = Helix {
            socket: scratch.join("tmux.sock"),
            log: scratch.join("helix.log"),
        };
        let mut command = helix.tmux();
        command
            .args(["new-session", "-d", "-x", "220", "-y", "50", "-c"])
            .arg(project)
            .arg("env")
            .arg(format!("HOME={}", home.display()))
            .arg(format!("PATH={path}"))
            .arg("TERM=xterm-256color")
            .arg(format!("FLOWOS_NOW={NOW}"));
        // A Helix built from source and not installed finds its runtime through this.
        if let Ok(runtime) = std::env::var("HELIX_RUNTIME") {
            command.arg(format!("HELIX_RUNTIME={runtime}"));
        }
        command
            .args(["hx", "-v", "--log"])
            .arg(&helix.log)
            .arg(file);
        let status = command.status().expect("tmux starts");
        assert!(status.success(), "tmux new-session failed: {status}");
        helix
    }

    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .stdin(Stdio::null());
        command
    }

    /// Key names as tmux spells them (`Enter`, `Escape`, `Space`, `C-u`).
    fn keys(&self, keys: &[&str]) {
        let status = self.tmux().arg("send-keys").args(keys).status().unwrap();
        assert!(status.success());
    }

    /// `text` typed literally.
    fn type_text(&self, text: &str) {
        let status = self
            .tmux()
            .args(["send-keys", "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let output = self.tmux().args(["capture-pane", "-p"]).output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until `done()` holds; past the deadline panics with the screen and Helix's log.
    fn wait(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if started.elapsed() > STEP_TIMEOUT {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                panic!(
                    "Helix: timed out waiting for {what}\n--- screen\n{screen}\n--- helix.log (last lines, newest first)\n{}",
                    tail.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `:command` Enter.
    fn command(&self, command: &str) {
        self.keys(&[":"]);
        self.type_text(command);
        self.keys(&["Enter"]);
    }
}

impl Drop for Helix {
    fn drop(&mut self) {
        let _ = self
            .tmux()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The 1-based line of `card` that starts with `prefix`.
fn line_of(card: &Path, prefix: &str) -> usize {
    let text = std::fs::read_to_string(card).unwrap();
    1 + text
        .lines()
        .position(|line| line.starts_with(prefix))
        .unwrap()
}

#[test]
fn helix_shows_diagnostics_renames_with_space_r_and_runs_a_transition_with_space_a() {
    let not_in_ci = "no package on the CI machines provides Helix";
    if !editor::optional("hx", "Helix", not_in_ci) || !editor::optional("tmux", "Helix", not_in_ci)
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().canonicalize().unwrap();
    let project = scratch.join("project");
    let root = editor_fixture(&project);
    // A prose link to the card that is renamed: the rename must rewrite it.
    let linking = card(&root, "next", 1);
    let mut text = std::fs::read_to_string(&linking).unwrap();
    text.push_str("\nSee [Job 4](../../backlog/TASK-0004-job/0004-job.task.md).\n");
    std::fs::write(&linking, text).unwrap();
    let renamed_card = card(&root, "backlog", 4);
    let ledger_4 = std::fs::read_to_string(ledger_path(&root, "backlog", 4)).unwrap();
    let ledger_3 = std::fs::read_to_string(ledger_path(&root, "current", 3)).unwrap();

    let helix = Helix::start(&scratch, &project, &renamed_card);

    // a. Diagnostics: the broken dependency, in the picker (`space d`), which shows each
    // diagnostic's code (the card's own text names TASK-0999 too, so that is not enough).
    // The picker lists what has arrived when it opens: first the gutter's mark on the line.
    helix.wait("the diagnostic's mark in the gutter", |screen| {
        screen
            .lines()
            .any(|line| line.starts_with('●') && line.contains("depends_on:"))
    });
    helix.keys(&["Space", "d"]);
    helix.wait(
        "the missing-dependency diagnostic in the picker",
        |screen| screen.contains("missing-dependency") && screen.contains("names TASK-0999"),
    );
    // Nothing more is sent until the picker has closed: an Escape followed at once by
    // another key reads as Alt+that key.
    helix.keys(&["Escape"]);
    helix.wait("the picker to close", |screen| {
        !screen.contains("missing-dependency")
    });

    // b. `space r` inside task_name's value: the prompt holds the whole name (prepareRename's
    // placeholder); replaced, and Enter.
    helix.command(&line_of(&renamed_card, "task_name:").to_string());
    helix.keys(&["f", "\"", "l", "Space", "r"]);
    helix.wait("the rename prompt", |screen| {
        screen.contains("rename-to:Job 0004")
    });
    helix.keys(&["C-u"]);
    helix.type_text("Renamed für Helix");
    helix.keys(&["Enter"]);
    // The slug of "Renamed für Helix": ü keeps its base letter, spaces become dashes.
    let folder = root.join("backlog/TASK-0004-renamed-fur-helix");
    let new_card = folder.join("0004-renamed-fur-helix.task.md");
    let relative = new_card
        .strip_prefix(&project)
        .unwrap()
        .display()
        .to_string();
    // Helix up to 25.07 shows the server's message naming the card's path; later versions
    // open the card (window/showDocument), its path then in the status line.
    let screen = helix.wait("the renamed card's path on screen", |screen| {
        screen.contains(&relative)
    });
    eprintln!(
        "Helix after the rename: {}",
        if screen.contains(&format!("the card is at {}", new_card.display())) {
            "the message naming the new path"
        } else {
            "the renamed card opened"
        }
    );
    let text = std::fs::read_to_string(&new_card).unwrap();
    assert!(text.contains("task_name: \"Renamed für Helix\""), "{text}");
    assert!(!root.join("backlog/TASK-0004-job").exists());
    for index in [root.join("INDEX.md"), root.join("backlog/INDEX.md")] {
        let rows = std::fs::read_to_string(&index).unwrap();
        assert!(
            rows.lines()
                .any(|row| row.starts_with("| 0004 | Renamed für Helix |")),
            "{}:\n{rows}",
            index.display()
        );
    }
    let link = std::fs::read_to_string(&linking).unwrap();
    assert!(
        link.contains(
            "[Job 4](../../backlog/TASK-0004-renamed-fur-helix/0004-renamed-fur-helix.task.md)"
        ),
        "{link}"
    );
    let added = new_lines(
        &ledger_4,
        &std::fs::read_to_string(folder.join("0004.ledger.jsonl")).unwrap(),
    );
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["event"], "content_updated");
    assert_eq!(added[0]["old_name"], "Job 0004");
    assert_eq!(added[0]["new_name"], "Renamed für Helix");
    assert_eq!(added[0]["ts"], NOW);
    // languages.toml's `user`, sent as initializationOptions.
    assert_eq!(added[0]["user"], "@you");

    // c. `space a` in a current task's card lists its transitions; Complete comes first and
    // is selected; Enter runs it.
    let current = card(&root, "current", 3);
    helix.command(&format!("o {}", current.display()));
    helix.command(&line_of(&current, "task_name:").to_string());
    helix.keys(&["Space", "a"]);
    helix.wait("the transitions menu", |screen| {
        screen.contains("Complete TASK-0003 (current → integration)")
    });
    helix.keys(&["Enter"]);
    let moved = card(&root, "integration", 3);
    let relative = moved.strip_prefix(&project).unwrap().display().to_string();
    helix.wait("the moved card's path on screen", |screen| {
        screen.contains(&relative)
    });
    assert!(!root.join("current/TASK-0003-job").exists());
    let text = std::fs::read_to_string(&moved).unwrap();
    assert!(text.contains("stage: \"integration\""), "{text}");
    let added = new_lines(
        &ledger_3,
        &std::fs::read_to_string(ledger_path(&root, "integration", 3)).unwrap(),
    );
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["event"], "implemented");
    assert_eq!(added[0]["ts"], NOW);

    helix.command("qa!");
}
