//! The session's own tests: what a keystroke, a rebuild and the clock cost, counted.

use std::collections::BTreeSet;

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tower_lsp_server::ls_types::{Position, Range};

use super::*;
use crate::ide::diagnostics::incremental::Work;
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::fixture::{COUNTER, package};
use crate::ide::types::Diagnostic;
use crate::loader;

/// A session over a fixture written to disk, driven input by input on this thread, so
/// the order of changes and analyses is exactly the test's.
struct Harness {
    session: Session,
    outputs: UnboundedReceiver<Output>,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

/// Writes a fixture (the `//- /path` format of `ide::fixture`) below `root`.
fn write_fixture(root: &Path, fixture: &str) {
    for part in fixture.split("//- /").filter(|part| !part.is_empty()) {
        let (rel, text) = part.split_once('\n').unwrap();
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A session configured with `folder` as its one workspace folder, its clock fixed, nothing
/// indexed yet; and where its output arrives.
fn configured(folder: &Path) -> (Session, UnboundedReceiver<Output>) {
    let (output, outputs) = unbounded_channel();
    let (own_sender, _) = channel();
    let mut session = Session::new(output, own_sender);
    // The fixtures' tasks were created at 2026-03-02 09:00: three hours on, no SLO has run out.
    session.fixed_clock = true;
    session.config.now = crate::syntax::time::parse_rfc3339("2026-03-02T12:00:00Z").unwrap();
    session.handle(Input::Configure {
        encoding: PositionEncoding::Utf16,
        settings: Settings::default(),
        folders: vec![folder.to_path_buf()],
    });
    (session, outputs)
}

fn start(fixture: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".work/tasks");
    write_fixture(&root, fixture);
    let (mut session, outputs) = configured(dir.path());
    session.handle(Input::Index { progress: None });
    session.analyse_now();
    let mut harness = Harness {
        session,
        outputs,
        root,
        _dir: dir,
    };
    harness.published();
    harness
}

impl Harness {
    /// Opens `path` with `text` at version 1.
    fn open(&mut self, path: &Path, text: &str) {
        self.session.handle(Input::Open {
            path: path.to_path_buf(),
            text: text.to_string(),
            version: 1,
        });
    }

    /// Replaces `from..to` of an open buffer with `text`, as version `version`.
    fn change(&mut self, path: &Path, version: i32, from: Position, to: Position, text: &str) {
        self.session.handle(Input::Change {
            path: path.to_path_buf(),
            version,
            changes: vec![TextDocumentContentChangeEvent {
                range: Some(Range::new(from, to)),
                range_length: None,
                text: text.to_string(),
            }],
        });
    }

    /// The publications sent since the last call, those waiting for a pause in the
    /// input included: path and version.
    fn published(&mut self) -> Vec<(PathBuf, Option<i32>)> {
        self.session.publish(Scope::All);
        let mut found = Vec::new();
        while let Ok(output) = self.outputs.try_recv() {
            if let Output::Publish { path, version, .. } = output {
                found.push((path, version));
            }
        }
        found
    }

    /// The session's diagnostics equal those of the disk read afresh.
    fn assert_equals_from_scratch(&self) {
        let key = |workspace: &Workspace, diagnostic: &Diagnostic| {
            let range = diagnostic.range;
            let path = workspace.file(diagnostic.file).path.clone();
            (path, diagnostic.rule.name(), range.start, range.end)
        };
        let fresh = Workspace::build(vec![loader::load_root(&self.root)]);
        let expected: BTreeSet<_> = workspace_diagnostics(&fresh, &self.session.config)
            .iter()
            .map(|diagnostic| key(&fresh, diagnostic))
            .collect();
        let workspace = &self.session.workspace;
        let got: BTreeSet<_> = self
            .session
            .diagnostics
            .all(&self.session.config)
            .iter()
            .map(|diagnostic| key(workspace, diagnostic))
            .collect();
        assert_eq!(got, expected);
        assert!(
            !expected.is_empty(),
            "the case should leave problems behind"
        );
    }
}

/// `tasks` inbox tasks listed in both indexes, each card with an unknown field and
/// each ledger with `events` unknown events: `tasks × (events + 1)` hints in all.
fn hints(tasks: usize, events: usize) -> String {
    let mut fixture = format!(
        "{COUNTER}//- /INDEX.md\n| ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|\n"
    );
    for number in 1..=tasks {
        let row = format!("| {number:04} | Task {number:04} | @ana | inbox | active |\n");
        fixture.push_str(&row);
    }
    fixture.push_str("//- /inbox/INDEX.md\n| ID | Name | DRI | Status |\n|---|---|---|---|\n");
    for number in 1..=tasks {
        fixture.push_str(&format!(
            "| {number:04} | Task {number:04} | @ana | active |\n"
        ));
    }
    let event = |n: usize| {
        format!(
            "{{\"ts\":\"2026-03-02T10:00:00Z\",\"user\":\"@ana\",\"event\":\"team_sync_{n}\",\"desc\":\"d\"}}\n"
        )
    };
    let unknown: String = (0..events).map(event).collect();
    for number in 1..=tasks {
        let package = package(&format!("inbox/TASK-{number:04}-t"), "team_colour: teal");
        fixture.push_str(&format!("{package}{unknown}"));
    }
    fixture
}

/// The first publication of a workspace converts no further ahead of what the client has
/// been written than the backlog's limit plus one slice, however many files it holds: a
/// reader that takes its time sees at most that many publications waiting at once.
#[test]
fn the_first_publication_waits_for_the_client_to_catch_up() {
    let tasks = 700;
    let dir = tempfile::tempdir().unwrap();
    write_fixture(&dir.path().join(".work/tasks"), &hints(tasks, 0));
    let (mut session, mut outputs) = configured(dir.path());
    let limit = 16;
    let backlog = Arc::new(Backlog::new(limit));
    session.publisher.backlog = backlog.clone();
    let reader = std::thread::spawn(move || {
        let (mut files, mut most_waiting) = (0, 0);
        while let Some(output) = outputs.blocking_recv() {
            if let Output::Publish { .. } = output {
                most_waiting = most_waiting.max(backlog.in_flight());
                files += 1;
                // A client slower than the session: the publication is "written" (its
                // ticket dropped) only after a pause.
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
        (files, most_waiting)
    });
    session.handle(Input::Index { progress: None });
    session.analyse_now();
    session.publish(Scope::All);
    drop(session);
    let (files, most_waiting) = reader.join().unwrap();
    // Each card has its unknown field's hint; the ledgers and the indexes (whose rows agree
    // with the cards) have nothing: one publication per task.
    assert_eq!(files, tasks);
    assert!(
        most_waiting <= limit + crate::lsp::publish::PARALLEL_SLICE,
        "{most_waiting} publications waited at once"
    );
    // Without the wait, the reader's pauses would have let all of them pile up.
    assert!(tasks > limit + crate::lsp::publish::PARALLEL_SLICE);
}

/// What a keystroke in task 1's body costs at the edge, once the card is open: the
/// files published, the kept diagnostics read and those converted to the protocol's
/// types, and the parts of the analysis recomputed.
fn keystroke_cost(
    fixture: &str,
    diagnostics: usize,
) -> (Vec<(PathBuf, Option<i32>)>, usize, usize, Work) {
    let mut harness = start(fixture);
    let config = harness.session.config.clone();
    let all = harness.session.diagnostics.all(&config);
    assert_eq!(all.len(), diagnostics, "{all:#?}");
    let card = harness.root.join("inbox/TASK-0001-t/0001-t.task.md");
    let text = std::fs::read_to_string(&card).unwrap();
    harness.open(&card, &text);
    harness.session.analyse_now();
    harness.published();
    let line = text
        .lines()
        .position(|line| line == "Do the thing.")
        .unwrap();
    let at = Position::new(line as u32, 0);
    let converted = harness.session.publisher.converted;
    let read = harness.session.diagnostics.read.get();
    harness.change(&card, 2, at, at, "Now ");
    harness.session.analyse_now();
    let converted = harness.session.publisher.converted - converted;
    let read = harness.session.diagnostics.read.get() - read;
    let published = harness
        .published()
        .into_iter()
        .map(|(path, version)| {
            (
                path.strip_prefix(&harness.root).unwrap().to_path_buf(),
                version,
            )
        })
        .collect();
    (
        published,
        read,
        converted,
        harness.session.diagnostics.last_work,
    )
}

#[test]
fn a_keystroke_publishes_the_same_whether_the_workspace_has_10_or_10_000_diagnostics() {
    let small = keystroke_cost(&hints(5, 1), 10);
    let large = keystroke_cost(&hints(1000, 9), 10_000);
    // The card alone, with its one hint, at the new version.
    assert_eq!(small.0.len(), 1, "{:?}", small.0);
    assert_eq!(small.0[0].1, Some(2));
    assert_eq!((small.1, small.2), (1, 1));
    assert_eq!(large, small);
}

/// Three tasks, the first one's card open and published: where typing tests start.
fn typing_into_the_first_card() -> (Harness, PathBuf, String) {
    let mut harness = start(&hints(3, 0));
    let card = harness.root.join("inbox/TASK-0001-t/0001-t.task.md");
    let text = std::fs::read_to_string(&card).unwrap();
    harness.open(&card, &text);
    harness.session.analyse_now();
    harness.published();
    (harness, card, text)
}

#[test]
fn keystrokes_that_arrive_together_are_one_parse_and_queries_see_all_of_them() {
    let (mut harness, card, text) = typing_into_the_first_card();
    let line = text.lines().count() as u32 - 1;
    let parses = || crate::db::PARSES.with(|count| count.get());
    let before = parses();
    // Ten keystrokes queued while the session was busy, handled one after another.
    for version in 2..12 {
        let at = Position::new(line, 0);
        harness.change(&card, version, at, at, "x");
    }
    assert_eq!(parses(), before, "the rope takes them; the model waits");
    // A query reads the model: all ten keystrokes are in it, parsed once.
    let (reply, answer) = std::sync::mpsc::channel();
    harness
        .session
        .handle(Input::Query(Box::new(move |view: &View| {
            let file = view.workspace.file_by_path(&card).unwrap();
            let _ = reply.send(view.workspace.file(file).text.to_string());
        })));
    let seen = answer.recv().unwrap();
    assert_eq!(parses(), before + 1);
    assert!(seen.contains(&"x".repeat(10)), "{seen}");
    harness.session.analyse_now();
    assert_eq!(parses(), before + 1, "the analysis reuses that parse");
    let versions: Vec<Option<i32>> = harness
        .published()
        .into_iter()
        .map(|(_, version)| version)
        .collect();
    assert_eq!(versions, [Some(11)], "published once, at the last version");
    // Saved, the buffer's diagnostics are the disk's.
    std::fs::write(harness.root.join("inbox/TASK-0001-t/0001-t.task.md"), seen).unwrap();
    harness.assert_equals_from_scratch();
}

#[test]
fn the_clock_recomputes_only_the_slos_it_changes() {
    let fixture = format!(
        "{COUNTER}{}{}",
        package("inbox/TASK-0001-a", ""),
        package("inbox/TASK-0002-b", "")
    );
    let mut harness = start(&fixture);
    // Both entered inbox when created, at the same moment: their SLO target passes at
    // the same moment too, which is the next change the clock can make.
    let passes = harness.session.diagnostics.next_clock_change().unwrap();
    harness.session.set_now(passes - 60);
    harness.session.analyse_now();
    harness.published();
    harness.session.set_now(passes - 1);
    harness.session.analyse_now();
    assert_eq!(
        harness.published(),
        vec![],
        "nothing changes before the target passes"
    );
    assert_eq!(harness.session.diagnostics.last_work, Work::default());
    harness.session.set_now(passes);
    harness.session.analyse_now();
    let published: Vec<PathBuf> = harness
        .published()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        published,
        vec![
            harness.root.join("inbox/TASK-0001-a/0001-a.task.md"),
            harness.root.join("inbox/TASK-0002-b/0002-b.task.md"),
        ]
    );
    let work = harness.session.diagnostics.last_work;
    assert_eq!(
        (work.slos, work.files, work.tasks, work.globals),
        (2, 0, 0, 0)
    );
    harness.assert_equals_from_scratch();
}

#[test]
fn other_files_are_published_when_typing_pauses() {
    let (mut harness, card, text) = typing_into_the_first_card();
    // Renaming the task makes both indexes' rows for it stale.
    let line = text
        .lines()
        .position(|l| l.starts_with("task_name:"))
        .unwrap() as u32;
    let end = text.lines().nth(line as usize).unwrap().len() as u32;
    let (from, to) = (Position::new(line, 0), Position::new(line, end));
    harness.change(&card, 2, from, to, "task_name: \"Renamed\"");
    harness.session.analyse_now();
    let mut at_once = Vec::new();
    while let Ok(output) = harness.outputs.try_recv() {
        if let Output::Publish { path, .. } = output {
            at_once.push(path);
        }
    }
    assert_eq!(at_once, vec![card]);
    assert!(harness.session.publish_due.is_some());
    let later: Vec<PathBuf> = harness
        .published()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        later,
        vec![
            harness.root.join("INDEX.md"),
            harness.root.join("inbox/INDEX.md")
        ]
    );
    assert!(harness.session.publish_due.is_none());
}

#[test]
fn indexing_again_sends_only_what_changed_and_waits_for_no_pause() {
    let mut harness = start(&hints(2, 0));
    harness.session.handle(Input::Index { progress: None });
    harness.session.analyse_now();
    // Drained without `published()`, which would flush what waits for a pause.
    let mut sent = Vec::new();
    while let Ok(output) = harness.outputs.try_recv() {
        if let Output::Publish { path, .. } = output {
            sent.push(path);
        }
    }
    // Nothing changed, so nothing is sent again; the rebuild alone waits for no pause.
    assert!(sent.is_empty(), "{sent:?}");
    assert!(harness.session.publish_due.is_none());
}

/// Asks the session how many tasks its model holds, as a request would.
fn tasks_seen(session: &mut Session) -> usize {
    let (reply, answer) = std::sync::mpsc::channel();
    session.handle(Input::Query(Box::new(move |view| {
        let _ = reply.send(view.workspace.tasks.len());
    })));
    answer.recv().unwrap()
}

#[test]
fn requests_are_answered_while_the_model_is_rebuilt() {
    let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
    // A checkout brings a new task: its folder event queues a rebuild.
    write_fixture(&harness.root, &package("backlog/TASK-0002-b", ""));
    let folder = harness.root.join("backlog/TASK-0002-b");
    harness.session.handle(Input::Disk {
        paths: vec![folder],
    });
    assert!(harness.session.start_rebuild());
    // A request meanwhile is answered from the model as it was, without waiting.
    assert_eq!(tasks_seen(&mut harness.session), 1);
    assert!(
        harness.session.rebuilding.is_some(),
        "it did not wait for the rebuild"
    );
    harness.session.analyse_now();
    assert_eq!(tasks_seen(&mut harness.session), 2);
    harness.assert_equals_from_scratch();
}

#[test]
fn a_request_after_a_buffer_the_model_lacks_waits_for_it() {
    let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
    // The client opens a card in a task folder the model has never seen: a request sent
    // after it must see that task.
    let card = harness.root.join("backlog/TASK-0002-b/0002-b.task.md");
    harness.open(&card, "---\ntask_id: \"0002\"\n---\n");
    assert!(harness.session.client_waits);
    assert_eq!(tasks_seen(&mut harness.session), 2);
    assert!(!harness.session.client_waits);
}

#[test]
fn a_folder_moved_away_before_it_was_read_does_not_come_back() {
    let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
    // A task folder is created, reported, and moved on before the session reads it.
    write_fixture(&harness.root, &package("current/TASK-0002-b", ""));
    let created = harness.root.join("current/TASK-0002-b");
    harness.session.handle(Input::Disk {
        paths: vec![created.clone()],
    });
    let moved = harness.root.join("next/TASK-0002-b");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&created, &moved).unwrap();
    harness.session.handle(Input::Disk {
        paths: vec![created, moved],
    });
    // Reading the first folder found nothing: it must not stay as an empty task.
    harness.session.analyse_now();
    harness.assert_equals_from_scratch();
}

#[test]
fn a_file_written_again_after_its_folder_was_removed_is_kept() {
    let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
    let folder = harness.root.join("backlog/TASK-0001-a");
    let card = folder.join("0001-a.task.md");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::remove_dir_all(&folder).unwrap();
    harness.session.handle(Input::Disk {
        paths: vec![folder.clone()],
    });
    // The card comes back before the removal was analysed: its new text must not be put
    // in place in the model, where the waiting removal would then drop it.
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(&card, text).unwrap();
    harness.session.handle(Input::Disk { paths: vec![card] });
    harness.session.analyse_now();
    harness.assert_equals_from_scratch();
}

#[test]
fn typing_in_a_file_the_model_does_not_read_rebuilds_nothing() {
    let mut harness = start(&format!("{COUNTER}{}", package("backlog/TASK-0001-a", "")));
    let readme = harness.root.join("README.md");
    harness.open(&readme, "# Notes\n");
    let at = Position::new(1, 0);
    harness.change(&readme, 2, at, at, "More.\n");
    // Each keystroke used to queue a rebuild of the whole model that left the file out.
    assert!(harness.session.vfs.is_idle());
}

#[test]
fn a_new_version_is_published_even_when_its_diagnostics_are_the_same() {
    let fixture = format!(
        "{COUNTER}{}",
        package("backlog/TASK-0001-a", "depends_on: [\"TASK-0009\"]")
    );
    let mut harness = start(&fixture);
    let card = harness.root.join("backlog/TASK-0001-a/0001-a.task.md");
    let text = std::fs::read_to_string(&card).unwrap();
    let end = text.lines().count() as u32;
    harness.open(&card, &text);
    harness.session.analyse_now();
    assert_eq!(harness.published(), vec![(card.clone(), Some(1))]);
    // A line added at the end moves no diagnostic. The publisher may have dropped the
    // version 1 result (the client had sent version 2 by then), so version 2 is sent
    // all the same.
    let at = Position::new(end, 0);
    harness.change(&card, 2, at, at, "More.\n");
    harness.session.analyse_now();
    assert_eq!(harness.published(), vec![(card, Some(2))]);
    harness.assert_equals_from_scratch();
}

/// A task draft (issue 21): the session publishes it on the root INDEX.md, and the
/// Approve code action's command creates the task, re-reads what it wrote and publishes the
/// index again without it; the new task is in the model, its events naming both.
#[test]
fn a_task_draft_is_published_on_the_root_index_and_goes_once_approved() {
    let draft = r#"{"type":"task_draft","proposal":1,"ts":"2026-03-02T10:00:00Z","proposed_by":"agent-7","name":"Export rides","requires_human_approval":true}"#;
    let fixture = format!(
        "{COUNTER}//- /INDEX.md\n| ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|\n\
         //- /inbox/INDEX.md\n| ID | Name | DRI | Status |\n|---|---|---|---|\n\
         //- /drafts.proposals.jsonl\n{draft}\n"
    );
    let mut harness = start(&fixture);
    let index = harness.root.join("INDEX.md");
    let pending = |session: &Session| -> Vec<PathBuf> {
        session
            .diagnostics
            .all(&session.config)
            .iter()
            .filter(|d| d.rule == crate::ide::types::Rule::PendingProposal)
            .map(|d| session.workspace.file(d.file).path.clone())
            .collect()
    };
    assert_eq!(pending(&harness.session), std::slice::from_ref(&index));

    harness.session.config.user = Some("@kim".to_string());
    let argument = serde_json::json!({
        "root": harness.root,
        "task": "",
        "proposal": 1,
        "draft": true,
    });
    let now = harness.session.config.now;
    let outcome = harness.session.execute_command(
        crate::lsp::command_args::APPROVE_COMMAND,
        &[argument],
        now,
        false,
    );
    assert_eq!(
        outcome.message.as_ref().map(|(_, text)| text.as_str()),
        Some("TASK-9000 created")
    );
    assert_eq!(pending(&harness.session), Vec::<PathBuf>::new());
    // The index was published again, now with nothing pending on it.
    let published: Vec<PathBuf> = harness
        .published()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert!(published.contains(&index), "{published:?}");
    let workspace = &harness.session.workspace;
    let created = workspace
        .tasks
        .iter()
        .find(|task| task.id.to_string() == "TASK-9000")
        .expect("the new task is in the model");
    let ledger = &workspace.file(created.ledger.unwrap()).text;
    assert_eq!(
        ledger
            .matches("\"proposed_by\":\"agent-7\",\"approved_by\":\"@kim\"")
            .count(),
        2,
        "{ledger}"
    );
}
