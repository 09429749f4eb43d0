//! Tests of the transaction: every step, refusal, fault point and confinement rule.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use super::*;

const LEDGER: &str = "inbox/TASK-0001-a/0001.ledger.jsonl";
const CARD: &str = "inbox/TASK-0001-a/0001-a.task.md";
const CREATED: &str =
    "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Made\"}\n";
const VERIFIED: &str = "{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@ana\",\"event\":\"verified\",\"desc\":\"Checked\"}";

/// A temporary folder holding `ws/.work/tasks` with one inbox task, two stage indexes,
/// and a file outside the tasks root that nothing may touch.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws/.work/tasks");
    let files = [
        (CARD, "---\nstage: inbox\n---\n"),
        (LEDGER, CREATED),
        ("inbox/INDEX.md", "| ID |\n|---|\n| 0001 |\n"),
        ("backlog/INDEX.md", "| ID |\n|---|\n"),
        ("inbox/README.md", "About the inbox.\n"),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    fs::create_dir_all(dir.path().join("outside")).unwrap();
    fs::write(dir.path().join("outside/victim.txt"), "keep me\n").unwrap();
    (dir, root)
}

/// Every entry below `dir` (links not followed), to prove what did or did not change.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            let kind = fs::symlink_metadata(&path).unwrap().file_type();
            let value = if kind.is_symlink() {
                format!("link -> {}", fs::read_link(&path).unwrap().display())
            } else if kind.is_dir() {
                pending.push(path);
                "folder".to_string()
            } else {
                String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned()
            };
            out.insert(rel, value);
        }
    }
    out
}

fn lock(root: &Path) -> RootLock {
    RootLock::acquire(root, Duration::from_secs(30)).unwrap()
}

fn run(root: &Path, plan: &DiskPlan) -> Result<Report, TxError> {
    execute(&lock(root), plan, &Options::default())
}

fn read(root: &Path, rel: &str) -> String {
    fs::read_to_string(root.join(rel)).unwrap()
}

/// Verify-like transition: a ledger line, the card's stage, both indexes, a new file in
/// another task folder, and the folder's move into backlog.
fn transition(root: &Path) -> DiskPlan {
    DiskPlan {
        root: root.to_path_buf(),
        appends: vec![Append {
            path: root.join(LEDGER),
            expected: Some(CREATED.into()),
            lines: vec![VERIFIED.into()],
        }],
        rewrites: vec![
            Rewrite {
                path: root.join(CARD),
                expected: "---\nstage: inbox\n---\n".into(),
                new_text: "---\nstage: backlog\n---\n".into(),
            },
            Rewrite {
                path: root.join("inbox/INDEX.md"),
                expected: "| ID |\n|---|\n| 0001 |\n".into(),
                new_text: "| ID |\n|---|\n".into(),
            },
            Rewrite {
                path: root.join("backlog/INDEX.md"),
                expected: "| ID |\n|---|\n".into(),
                new_text: "| ID |\n|---|\n| 0001 |\n".into(),
            },
        ],
        creates: vec![Create {
            path: root.join("inbox/TASK-0002-b/0002.context.md"),
            text: "# Context\n".into(),
        }],
        moves: vec![Move {
            from: root.join("inbox/TASK-0001-a"),
            to: root.join("backlog/TASK-0001-a"),
        }],
        intent: None,
    }
}

/// Which steps of [`transition`] are visible on disk.
fn progress(root: &Path) -> Vec<Step> {
    let folder = if root.join("backlog/TASK-0001-a").exists() {
        "backlog/TASK-0001-a"
    } else {
        "inbox/TASK-0001-a"
    };
    let seen = [
        read(root, &format!("{folder}/0001.ledger.jsonl")).contains("verified"),
        read(root, &format!("{folder}/0001-a.task.md")).contains("backlog"),
        read(root, "backlog/INDEX.md").contains("0001"),
        root.join("inbox/TASK-0002-b/0002.context.md").exists(),
        folder.starts_with("backlog"),
    ];
    Step::ALL[1..]
        .iter()
        .copied()
        .zip(seen)
        .filter(|(_, seen)| *seen)
        .map(|(step, _)| step)
        .collect()
}

#[test]
fn a_whole_transition_writes_every_step_and_reports_it() {
    let (_dir, root) = setup();
    let plan = transition(&root);
    let report = run(&root, &plan).unwrap();
    assert_eq!(progress(&root), Step::ALL[1..]);
    assert_eq!(
        read(&root, "backlog/TASK-0001-a/0001.ledger.jsonl"),
        format!("{CREATED}{VERIFIED}\n")
    );
    assert_eq!(report.appended, [root.join(LEDGER)]);
    assert_eq!(report.rewritten.len(), 3);
    assert_eq!(report.created.len(), 1);
    assert_eq!(
        report.moved,
        [(plan.moves[0].from.clone(), plan.moves[0].to.clone())]
    );
    assert!(report.already_done.is_empty());
    // No temporary file is left behind.
    assert!(
        snapshot(&root)
            .keys()
            .all(|rel| !rel.contains("flowos-tmp"))
    );
}

#[test]
fn rewrites_are_ordered_cards_before_indexes_whatever_the_plan_order() {
    let (_dir, root) = setup();
    let mut plan = transition(&root);
    plan.rewrites.reverse();
    let error = execute(
        &lock(&root),
        &plan,
        &Options {
            stop_after: Some(Step::Frontmatter),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(matches!(
        error,
        TxError::Interrupted {
            after: Step::Frontmatter
        }
    ));
    assert_eq!(progress(&root), [Step::Ledger, Step::Frontmatter]);
}

#[test]
fn any_refusal_leaves_every_byte_unchanged() {
    let (dir, root) = setup();
    let before = snapshot(dir.path());
    type Breakage = fn(&Path, &mut DiskPlan);
    let cases: [(&str, Breakage); 10] = [
        ("stale card", |_, plan| plan.rewrites[0].expected.push('x')),
        ("stale index", |_, plan| plan.rewrites[2].expected.push('x')),
        ("stale ledger", |_, plan| {
            plan.appends[0].expected = Some(String::new())
        }),
        ("vanished card", |root, plan| {
            plan.rewrites[0].path = root.join("inbox/TASK-0001-a/gone.task.md")
        }),
        ("create over a file", |root, plan| {
            plan.creates[0].path = root.join("inbox/README.md")
        }),
        ("move onto a folder", |root, plan| {
            plan.moves[0].to = root.join("backlog")
        }),
        ("move of nothing", |root, plan| {
            plan.moves[0].from = root.join("inbox/TASK-0009-z")
        }),
        ("ledger rewrite", |root, plan| {
            plan.rewrites.push(Rewrite {
                path: root.join(LEDGER),
                expected: CREATED.into(),
                new_text: String::new(),
            })
        }),
        ("line with a break", |_, plan| {
            plan.appends[0].lines.push("{}\n{}".into())
        }),
        ("path named twice", |root, plan| {
            plan.creates.push(Create {
                path: root.join("inbox/TASK-0002-b/0002.context.md"),
                text: "other".into(),
            })
        }),
    ];
    for (name, breakage) in cases {
        let mut plan = transition(&root);
        breakage(&root, &mut plan);
        let error = run(&root, &plan).unwrap_err();
        let expected_kind = match name {
            "stale card" | "stale index" | "stale ledger" | "vanished card" | "move of nothing" => {
                matches!(error, TxError::Stale { .. })
            }
            "create over a file" | "move onto a folder" => {
                matches!(error, TxError::Exists { .. })
            }
            _ => matches!(error, TxError::Invalid { .. }),
        };
        assert!(expected_kind, "{name}: {error:?}");
        assert_eq!(snapshot(dir.path()), before, "{name} changed the disk");
    }
}

#[test]
fn stale_refusal_names_the_file_that_changed() {
    let (_dir, root) = setup();
    fs::write(root.join(CARD), "---\nstage: next\n---\n").unwrap();
    let error = run(&root, &transition(&root)).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}: it changed on disk since it was read; nothing was written",
            root.join(CARD).display()
        )
    );
    assert_eq!(read(&root, LEDGER), CREATED);
}

fn append_plan(root: &Path, expected: Option<&str>, lines: &[&str]) -> DiskPlan {
    DiskPlan {
        root: root.to_path_buf(),
        appends: vec![Append {
            path: PathBuf::from(LEDGER),
            expected: expected.map(str::to_string),
            lines: lines.iter().map(|line| line.to_string()).collect(),
        }],
        ..DiskPlan::default()
    }
}

#[test]
fn appends_extend_the_ledger_byte_for_byte() {
    let (_dir, root) = setup();
    run(
        &root,
        &append_plan(&root, Some(CREATED), &[VERIFIED, VERIFIED]),
    )
    .unwrap();
    let after = read(&root, LEDGER);
    assert_eq!(after, format!("{CREATED}{VERIFIED}\n{VERIFIED}\n"));
    // Without a check, lines are still appended, never written over.
    run(&root, &append_plan(&root, None, &["{\"n\":3}"])).unwrap();
    assert_eq!(read(&root, LEDGER), format!("{after}{{\"n\":3}}\n"));
}

#[test]
fn appends_start_on_a_fresh_line_after_an_unterminated_one() {
    let (_dir, root) = setup();
    let torn = "{\"ts\":\"2026-03-02T09:00:00Z\",\"event\":\"crea";
    fs::write(root.join(LEDGER), torn).unwrap();
    run(&root, &append_plan(&root, Some(torn), &[VERIFIED])).unwrap();
    // The damaged line is kept exactly as it was; the new one starts after it.
    assert_eq!(read(&root, LEDGER), format!("{torn}\n{VERIFIED}\n"));
    // An empty ledger needs no leading newline.
    fs::write(root.join(LEDGER), "").unwrap();
    run(&root, &append_plan(&root, Some(""), &[VERIFIED])).unwrap();
    assert_eq!(read(&root, LEDGER), format!("{VERIFIED}\n"));
}

#[test]
fn a_move_never_replaces_an_existing_destination() {
    let (_dir, root) = setup();
    fs::create_dir_all(root.join("backlog/TASK-0001-a")).unwrap();
    fs::write(root.join("backlog/TASK-0001-a/keep.md"), "mine\n").unwrap();
    let plan = DiskPlan {
        root: root.clone(),
        moves: vec![Move {
            from: root.join("inbox/TASK-0001-a"),
            to: root.join("backlog/TASK-0001-a"),
        }],
        ..DiskPlan::default()
    };
    let error = run(&root, &plan).unwrap_err();
    assert!(matches!(error, TxError::Exists { ref path } if *path == plan.moves[0].to));
    assert_eq!(read(&root, "backlog/TASK-0001-a/keep.md"), "mine\n");
    assert_eq!(read(&root, LEDGER), CREATED);
    // Also when the destination appears between validation and the rename.
    fs::remove_dir_all(root.join("backlog/TASK-0001-a")).unwrap();
    fs::create_dir(root.join("backlog/TASK-0001-a")).unwrap();
    fs::write(root.join("backlog/TASK-0001-a/keep.md"), "mine\n").unwrap();
    let error = move_folder(
        &Root::new(&root).unwrap(),
        Path::new("inbox/TASK-0001-a"),
        Path::new("backlog/TASK-0001-a"),
        &Faults::new(&Options::default()),
    )
    .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(read(&root, "backlog/TASK-0001-a/keep.md"), "mine\n");
    assert!(root.join(LEDGER).exists());
}

#[test]
fn a_move_into_a_missing_stage_folder_creates_it() {
    let (_dir, root) = setup();
    let plan = DiskPlan {
        root: root.clone(),
        moves: vec![Move {
            from: PathBuf::from("inbox/TASK-0001-a"),
            to: PathBuf::from("learning/TASK-0001-a"),
        }],
        ..DiskPlan::default()
    };
    run(&root, &plan).unwrap();
    assert_eq!(
        read(&root, "learning/TASK-0001-a/0001.ledger.jsonl"),
        CREATED
    );
    assert!(!root.join("inbox/TASK-0001-a").exists());
}

#[test]
fn stopping_after_each_step_leaves_later_steps_undone_and_a_rerun_completes() {
    // The plan has no intent record, so the intent step writes nothing.
    for (at, stop) in Step::ALL[1..].iter().copied().enumerate() {
        let (_dir, root) = setup();
        let plan = transition(&root);
        let error = execute(
            &lock(&root),
            &plan,
            &Options {
                stop_after: Some(stop),
                ..Options::default()
            },
        )
        .unwrap_err();
        assert!(matches!(error, TxError::Interrupted { after } if after == stop));
        assert_eq!(
            progress(&root),
            Step::ALL[1..=at + 1],
            "stopped after {stop}"
        );
        let report = run(&root, &plan).unwrap();
        assert_eq!(progress(&root), Step::ALL[1..], "re-run after {stop}");
        // What the first run did is found done, not done twice.
        assert_eq!(report.already_done.len(), [1, 2, 4, 5, 6][at], "{stop}");
        assert_eq!(
            read(&root, "backlog/TASK-0001-a/0001.ledger.jsonl"),
            format!("{CREATED}{VERIFIED}\n"),
            "{stop}"
        );
    }
}

#[test]
fn rerunning_a_finished_plan_changes_nothing() {
    let (dir, root) = setup();
    let plan = transition(&root);
    run(&root, &plan).unwrap();
    let before = snapshot(dir.path());
    let report = run(&root, &plan).unwrap();
    assert_eq!(report.already_done.len(), 6);
    assert!(report.appended.is_empty() && report.moved.is_empty());
    assert_eq!(snapshot(dir.path()), before);
}

/// Killed between claiming the destination (an empty folder) and the rename: a re-run
/// moves into the claim; a destination with anything in it is still never replaced.
#[test]
fn a_move_killed_after_claiming_its_destination_completes_on_a_rerun() {
    let (_dir, root) = setup();
    let plan = transition(&root);
    fs::create_dir_all(root.join("backlog/TASK-0001-a")).unwrap();
    run(&root, &plan).unwrap();
    assert!(root.join("backlog/TASK-0001-a/0001-a.task.md").is_file());
    assert!(!root.join("inbox/TASK-0001-a").exists());

    let (_dir, root) = setup();
    fs::create_dir_all(root.join("backlog/TASK-0001-a")).unwrap();
    fs::write(root.join("backlog/TASK-0001-a/notes.md"), "someone's\n").unwrap();
    let refused = run(&root, &transition(&root)).unwrap_err();
    assert!(matches!(refused, TxError::Exists { .. }), "{refused:?}");
}

/// Two writers completing one task: the second read the ledger after the first's commit
/// but the card before its rewrite, so its plan expects the first's ledger and writes the
/// same card. Its later steps all look done; appending its line would log the move twice.
#[test]
fn a_plan_whose_later_steps_another_writer_already_did_is_refused() {
    let (dir, root) = setup();
    let first = transition(&root);
    run(&root, &first).unwrap();
    let mut second = transition(&root);
    second.appends[0].expected = Some(format!("{CREATED}{VERIFIED}\n"));
    second.appends[0].lines = vec![VERIFIED.replace("@ana", "@ben")];
    let before = snapshot(dir.path());
    let refused = run(&root, &second).unwrap_err();
    assert!(
        matches!(&refused, TxError::Stale { why, .. } if why.contains("another transition")),
        "{refused:?}"
    );
    assert_eq!(snapshot(dir.path()), before, "nothing was written");
}

fn with_intent(mut plan: DiskPlan, finishing: bool) -> DiskPlan {
    plan.intent = Some(Intent {
        path: plan.root.join(INTENT_DIR).join("intent-1-2-3.json"),
        text: "{\"flowos_intent\":1}\n".into(),
        finishing,
    });
    plan
}

/// The record is there from before the commit until after the last step, and only then.
#[test]
fn an_intent_record_outlives_every_step_but_the_last() {
    let intent = |root: &Path| root.join(INTENT_DIR).join("intent-1-2-3.json");
    for stop in Step::ALL {
        let (_dir, root) = setup();
        let plan = with_intent(transition(&root), false);
        let options = Options {
            stop_after: Some(stop),
            ..Options::default()
        };
        let error = execute(&lock(&root), &plan, &options).unwrap_err();
        assert!(matches!(error, TxError::Interrupted { .. }), "{error:?}");
        assert_eq!(
            read(&root, ".flowos/intent-1-2-3.json"),
            "{\"flowos_intent\":1}\n"
        );
        assert_eq!(
            progress(&root).len(),
            Step::ALL.iter().position(|s| *s == stop).unwrap()
        );
        // A new transaction never takes over a record that is there.
        let again = execute(&lock(&root), &plan, &Options::default()).unwrap_err();
        assert!(matches!(again, TxError::Exists { .. }), "{again:?}");
        // Finishing it does the rest and removes it, with its folder.
        run(&root, &with_intent(transition(&root), true)).unwrap();
        assert_eq!(progress(&root), Step::ALL[1..], "{stop}");
        assert!(!intent(&root).exists() && !root.join(INTENT_DIR).exists());
        // A second finisher finds it gone and refuses, writing nothing.
        let late = run(&root, &with_intent(transition(&root), true)).unwrap_err();
        assert!(matches!(late, TxError::Stale { .. }), "{late:?}");
    }
    // A whole run leaves no trace of its record.
    let (dir, root) = setup();
    run(&root, &with_intent(transition(&root), false)).unwrap();
    let after: Vec<String> = snapshot(dir.path()).into_keys().collect();
    assert!(
        after
            .iter()
            .all(|rel| !rel.contains(INTENT_DIR) && !rel.contains(TEMP_MARKER)),
        "{after:?}"
    );
}

#[test]
fn an_intent_record_lives_in_its_folder_only() {
    let (_dir, root) = setup();
    let mut plan = with_intent(transition(&root), false);
    plan.intent.as_mut().unwrap().path = root.join("inbox/intent-1.json");
    let error = run(&root, &plan).unwrap_err();
    assert!(matches!(error, TxError::Invalid { .. }), "{error:?}");
    assert_eq!(read(&root, LEDGER), CREATED);
}

#[test]
fn temp_file_names_give_their_process() {
    assert_eq!(
        temp_file_pid(".0001-a.task.md.flowos-tmp-4242-7"),
        Some(4242)
    );
    assert_eq!(temp_file_pid(".INDEX.md.flowos-tmp-1-0"), Some(1));
    for name in [
        "INDEX.md.flowos-tmp-1-0",
        ".INDEX.md.flowos-tmp-x-0",
        ".INDEX.md.flowos-tmp-12",
        ".INDEX.md.flowos-tmp-12-",
        ".INDEX.md",
    ] {
        assert_eq!(temp_file_pid(name), None, "{name}");
    }
}

/// A killed writer's temporary files go; those of a running process stay, reported.
#[cfg(unix)]
#[test]
fn sweeping_removes_the_temporary_files_of_ended_processes_only() {
    let (dir, root) = setup();
    // No process has this ID: it is above every kernel's pid_max.
    let ended = i32::MAX as u32;
    // The parent of this test process is alive while the test runs.
    // SAFETY: getppid has no preconditions.
    let running = unsafe { libc::getppid() } as u32;
    let leftovers = [
        format!("inbox/TASK-0001-a/.0001-a.task.md{TEMP_MARKER}{ended}-3"),
        format!(".INDEX.md{TEMP_MARKER}{ended}-0"),
        format!("{INTENT_DIR}/.intent-1.json{TEMP_MARKER}{ended}-1"),
    ];
    let live = format!("backlog/.INDEX.md{TEMP_MARKER}{running}-9");
    fs::create_dir_all(root.join(INTENT_DIR)).unwrap();
    for rel in leftovers.iter().chain([&live]) {
        fs::write(root.join(rel), "half\n").unwrap();
    }
    let before = snapshot(dir.path());
    let sweep = lock(&root).sweep().unwrap();
    for rel in &leftovers {
        assert!(!root.join(rel).exists(), "{rel}");
    }
    assert!(
        !root.join(INTENT_DIR).exists(),
        "the emptied folder goes too"
    );
    assert_eq!(
        sweep.kept,
        [(root.canonicalize().unwrap().join(&live), running)]
    );
    assert_eq!(sweep.removed.len(), 4);
    let after = snapshot(dir.path());
    let gone: Vec<&String> = before
        .keys()
        .filter(|rel| !after.contains_key(*rel))
        .collect();
    assert_eq!(gone.len(), 4, "only the leftovers went: {gone:?}");
    assert_eq!(lock(&root).sweep().unwrap().removed, Vec::<PathBuf>::new());
}

#[test]
fn fault_injection_reads_its_step_from_the_environment_value() {
    assert_eq!(Options::from_env_value(None), Options::default());
    for (value, step) in [
        ("ledger", Step::Ledger),
        ("frontmatter", Step::Frontmatter),
        (" index\n", Step::Index),
    ] {
        assert_eq!(Options::from_env_value(Some(value)).stop_after, Some(step));
    }
    assert_eq!(Options::from_env_value(Some("bogus")).stop_after, None);
}

#[cfg(unix)]
#[test]
fn links_and_parent_folders_never_lead_a_write_outside_the_root() {
    use std::os::unix::fs::symlink;

    let (dir, root) = setup();
    let outside = dir.path().join("outside");
    let victim = outside.join("victim.txt");
    // A stage folder, a task folder and a ledger, each a link to somewhere outside.
    symlink(&outside, root.join("next")).unwrap();
    symlink(&outside, root.join("inbox/TASK-0003-c")).unwrap();
    fs::create_dir(root.join("inbox/TASK-0004-d")).unwrap();
    symlink(&victim, root.join("inbox/TASK-0004-d/0004.ledger.jsonl")).unwrap();
    let before = snapshot(dir.path());

    let keep_me = "keep me\n".to_string();
    let valid = append_plan(&root, Some(CREATED), &[VERIFIED]).appends;
    let plans = [
        DiskPlan {
            appends: vec![Append {
                path: root.join("inbox/TASK-0004-d/0004.ledger.jsonl"),
                expected: Some(keep_me.clone()),
                lines: vec![VERIFIED.into()],
            }],
            ..DiskPlan::default()
        },
        DiskPlan {
            rewrites: vec![Rewrite {
                path: root.join("inbox/TASK-0003-c/victim.txt"),
                expected: keep_me.clone(),
                new_text: "owned\n".into(),
            }],
            ..DiskPlan::default()
        },
        DiskPlan {
            creates: vec![Create {
                path: root.join("next/TASK-0001-a/new.md"),
                text: "x".into(),
            }],
            ..DiskPlan::default()
        },
        DiskPlan {
            moves: vec![Move {
                from: root.join("inbox/TASK-0001-a"),
                to: root.join("next/TASK-0001-a"),
            }],
            ..DiskPlan::default()
        },
        DiskPlan {
            creates: vec![Create {
                path: root.join("inbox/../../../outside/new.md"),
                text: "x".into(),
            }],
            ..DiskPlan::default()
        },
        DiskPlan {
            creates: vec![Create {
                path: outside.join("new.md"),
                text: "x".into(),
            }],
            ..DiskPlan::default()
        },
        DiskPlan {
            rewrites: vec![Rewrite {
                path: victim.clone(),
                expected: keep_me.clone(),
                new_text: "owned\n".into(),
            }],
            ..DiskPlan::default()
        },
    ];
    for (index, mut plan) in plans.into_iter().enumerate() {
        plan.root = root.clone();
        // A valid append rides along: refusing the plan must refuse it too.
        plan.appends.extend(valid.clone());
        let error = run(&root, &plan).unwrap_err();
        assert!(
            matches!(error, TxError::Confinement { .. }),
            "plan {index}: {error:?}"
        );
        assert_eq!(snapshot(dir.path()), before, "plan {index} wrote something");
    }
    // Reading goes through the same checks.
    let locked = lock(&root);
    assert!(
        locked
            .read(Path::new("inbox/TASK-0003-c/victim.txt"))
            .is_err()
    );
    assert!(
        locked
            .read(Path::new("../../../outside/victim.txt"))
            .is_err()
    );
    assert_eq!(locked.read(Path::new(LEDGER)).unwrap(), CREATED);
}

/// `new` reads the counter and indexes under the root's lock: a named pipe put there
/// must be refused at once, not waited on with the lock held.
#[cfg(unix)]
#[test]
fn reads_under_the_lock_refuse_a_pipe_instead_of_blocking() {
    let (_dir, root) = setup();
    let counter = root.join("ID_COUNTER.txt");
    let name = std::ffi::CString::new(counter.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0);
    let locked = lock(&root);
    let started = Instant::now();
    let error = locked.read(&counter).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(error.to_string().contains("not a regular file"), "{error}");
    drop(locked);
    // The same for a plan's own reads.
    let plan = DiskPlan {
        root: root.clone(),
        rewrites: vec![Rewrite {
            path: counter,
            expected: "0001\n".into(),
            new_text: "0002\n".into(),
        }],
        ..DiskPlan::default()
    };
    assert!(matches!(run(&root, &plan), Err(TxError::Invalid { .. })));
}

#[cfg(unix)]
#[test]
fn a_root_reached_through_a_link_is_still_usable() {
    let (dir, root) = setup();
    let alias = dir.path().join("alias");
    std::os::unix::fs::symlink(&root, &alias).unwrap();
    run(&alias, &append_plan(&alias, Some(CREATED), &[VERIFIED])).unwrap();
    assert_eq!(read(&root, LEDGER), format!("{CREATED}{VERIFIED}\n"));
}

#[test]
fn the_lock_must_belong_to_the_plans_root() {
    let (_dir, root) = setup();
    let (_other_dir, other) = setup();
    let error = execute(
        &lock(&other),
        &append_plan(&root, Some(CREATED), &[VERIFIED]),
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(error, TxError::Confinement { .. }), "{error:?}");
    assert_eq!(read(&root, LEDGER), CREATED);
}

#[test]
fn a_second_lock_holder_waits_or_times_out() {
    let (_dir, root) = setup();
    let first = lock(&root);
    let refused = RootLock::acquire(&root, Duration::from_millis(30)).unwrap_err();
    assert!(matches!(refused, TxError::Locked { .. }), "{refused:?}");
    let waiter = {
        let root = root.clone();
        thread::spawn(move || {
            let started = Instant::now();
            let _second = RootLock::acquire(&root, Duration::from_secs(30)).unwrap();
            started.elapsed()
        })
    };
    thread::sleep(Duration::from_millis(200));
    drop(first);
    let waited = waiter.join().unwrap();
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
}

#[test]
fn concurrent_appends_through_execute_lose_no_line() {
    const THREADS: usize = 8;
    const EACH: usize = 200;
    let (_dir, root) = setup();
    let root = Arc::new(root);
    let workers: Vec<_> = (0..THREADS)
            .map(|thread_no| {
                let root = Arc::clone(&root);
                thread::spawn(move || {
                    for n in 0..EACH {
                        let lock = RootLock::acquire(&root, Duration::from_secs(60)).unwrap();
                        let current = lock.read(Path::new(LEDGER)).unwrap();
                        let line = format!(
                            "{{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@t{thread_no}\",\"event\":\"note\",\"desc\":\"{n}\"}}"
                        );
                        let plan = append_plan(&root, Some(&current), &[&line]);
                        execute(&lock, &plan, &Options::default()).unwrap();
                    }
                })
            })
            .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let text = read(&root, LEDGER);
    let rest = text.strip_prefix(CREATED).expect("the first line is kept");
    let mut seen = HashSet::new();
    for line in rest.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            event["user"].as_str().unwrap().to_string(),
            event["desc"].as_str().unwrap().to_string(),
        );
        assert!(seen.insert(key), "duplicate line {line}");
    }
    assert_eq!(seen.len(), THREADS * EACH);
    assert!(text.ends_with('\n'));
}

#[test]
fn a_new_task_written_through_a_transaction_loads_clean() {
    use crate::db::Workspace;
    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::new_task::{NewTaskInput, new_task, placement};
    use crate::ide::types::Config;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".work/tasks");
    fs::create_dir_all(root.join("inbox")).unwrap();
    fs::write(root.join("ID_COUNTER.txt"), "0001\n").unwrap();
    let now = 1_772_000_000;

    let lock = lock(&root);
    let before = Workspace::build(vec![crate::loader::load_root(&root)]);
    let place = placement(&before, 0, None).unwrap();
    let counter_text = lock.read(Path::new(&place.counter_rel)).unwrap();
    let task = new_task(
        &before,
        0,
        &NewTaskInput {
            name: "First task",
            namespace: None,
            counter_text: &counter_text,
        },
        &Config {
            now,
            user: Some("@ana".into()),
            ..Config::default()
        },
    )
    .unwrap();
    let plan = DiskPlan {
        root: root.clone(),
        rewrites: vec![Rewrite {
            path: root.join(&task.counter_rel),
            expected: counter_text.clone(),
            new_text: task.counter_text.clone(),
        }],
        creates: task
            .files
            .iter()
            .map(|(rel, text)| Create {
                path: root.join(rel),
                text: text.clone(),
            })
            .collect(),
        ..DiskPlan::default()
    };
    execute(&lock, &plan, &Options::default()).unwrap();
    drop(lock);

    assert_eq!(read(&root, "ID_COUNTER.txt"), "0002\n");
    let after = Workspace::build(vec![crate::loader::load_root(&root)]);
    let config = Config {
        now,
        ..Config::default()
    };
    // Index rows are another module's part of WF1.
    let left: Vec<String> = workspace_diagnostics(&after, &config)
        .into_iter()
        .filter(|d| !d.rule.name().starts_with("index-"))
        .map(|d| format!("{} {}", d.rule, d.message))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    assert_eq!(after.tasks.len(), 1);
    assert_eq!(after.tasks[0].folder, "inbox/TASK-0001-first-task");
}

#[test]
fn finish_writes_waits_for_the_transaction_writing_and_gives_up_at_its_timeout() {
    let (held, release) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let _writing = WRITING.lock().unwrap();
        held.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(80));
    });
    release.recv().unwrap();
    let started = std::time::Instant::now();
    assert!(finish_writes(Duration::from_millis(5)).is_none());
    let guard = finish_writes(Duration::from_secs(30));
    assert!(guard.is_some());
    assert!(started.elapsed() >= Duration::from_millis(60));
    drop(guard);
    writer.join().unwrap();
}
