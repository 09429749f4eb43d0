//! Step 1 of a transaction: every check against the disk under the lock, before anything is
//! written, turning the plan into the operations still to do.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{DiskPlan, INTENT_DIR, Move, Report, Root, TxError, appended_bytes};
use crate::beneath::Kind;

/// The operations still to do after validation, each with its plan path and its real path.
#[derive(Default)]
pub(super) struct Work<'p> {
    /// The record, and whether it is already there (finishing an interrupted transaction).
    pub(super) intent: Option<(&'p Path, PathBuf, &'p str, bool)>,
    pub(super) appends: Vec<(&'p Path, PathBuf, &'p [String])>,
    pub(super) card_rewrites: Vec<(&'p Path, PathBuf, &'p str)>,
    pub(super) index_rewrites: Vec<(&'p Path, PathBuf, &'p str)>,
    pub(super) creates: Vec<(&'p Path, PathBuf, &'p str)>,
    pub(super) moves: Vec<(&'p Move, Move)>,
}

/// Step 1: every check, before anything is written.
pub(super) fn validate<'p>(
    root: &Root,
    plan: &'p DiskPlan,
    report: &mut Report,
) -> Result<Work<'p>, TxError> {
    let mut work = Work::default();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut claim = |shown: &Path, real: &Path| -> Result<(), TxError> {
        if seen.insert(real.to_path_buf()) {
            Ok(())
        } else {
            Err(TxError::Invalid {
                path: shown.to_path_buf(),
                why: "the plan names this path more than once".into(),
            })
        }
    };

    if let Some(intent) = &plan.intent {
        let shown = intent.path.as_path();
        let real = root.resolve(shown)?;
        claim(shown, &real)?;
        if real.parent() != Some(Path::new(INTENT_DIR)) {
            return Err(TxError::Invalid {
                path: shown.to_path_buf(),
                why: format!("an intent record lives directly in {INTENT_DIR}/"),
            });
        }
        match (intent.finishing, root.stat(shown, &real)?) {
            (false, None) => {}
            (false, Some(_)) => {
                return Err(TxError::Exists {
                    path: shown.to_path_buf(),
                });
            }
            (true, Some(found))
                if found.kind == Kind::File
                    && root.read_regular(shown, &real)? == intent.text.as_bytes() => {}
            (true, _) => {
                return Err(TxError::Stale {
                    path: shown.to_path_buf(),
                    why: "the interrupted transition's record is gone or changed: another \
                          process finished it"
                        .into(),
                });
            }
        }
        work.intent = Some((shown, real, &intent.text, intent.finishing));
    }

    // Moves first: files inside a folder an earlier run already moved live at its new place.
    let mut done_moves: Vec<Move> = Vec::new();
    // Steps after the commit found done, which only a re-run of this very plan may find.
    let mut done_after_commit: Vec<PathBuf> = Vec::new();
    let mut moved_from: HashSet<PathBuf> = HashSet::new();
    for shown in &plan.moves {
        let real = Move {
            from: root.resolve(&shown.from)?,
            to: root.resolve(&shown.to)?,
        };
        // A file a move takes away may still be rewritten first (a rename's card gets its
        // new name after its new text), so sources are told apart among moves only.
        if !moved_from.insert(real.from.clone()) {
            return Err(TxError::Invalid {
                path: shown.from.clone(),
                why: "the plan moves this path more than once".into(),
            });
        }
        claim(&shown.to, &real.to)?;
        if real.to.starts_with(&real.from) {
            return Err(TxError::Invalid {
                path: shown.to.clone(),
                why: "a folder cannot move inside itself".into(),
            });
        }
        let from = root.stat(&shown.from, &real.from)?;
        let to = root.stat(&shown.to, &real.to)?;
        match (from, to) {
            (Some(from), None) if matches!(from.kind, Kind::Dir | Kind::File) => {
                work.moves.push((shown, real));
            }
            (Some(_), None) => {
                return Err(TxError::Invalid {
                    path: shown.from.clone(),
                    why: "only folders and files are moved".into(),
                });
            }
            (None, Some(_)) => {
                report.already_done.push(shown.to.clone());
                done_after_commit.push(shown.to.clone());
                done_moves.push(real);
            }
            // An empty folder at the destination is this move's own claim, left by a run
            // that died before its rename (see `move_folder`); renaming over it loses nothing.
            (Some(from), Some(to))
                if from.kind == Kind::Dir
                    && to.kind == Kind::Dir
                    && root.is_empty_dir(&real.to) =>
            {
                work.moves.push((shown, real));
            }
            (Some(_), Some(_)) => {
                return Err(TxError::Exists {
                    path: shown.to.clone(),
                });
            }
            (None, None) => {
                return Err(TxError::Stale {
                    path: shown.from.clone(),
                    why: "it no longer exists on disk".into(),
                });
            }
        }
    }
    let locate = |shown: &Path| -> Result<PathBuf, TxError> {
        let real = root.resolve(shown)?;
        if root.stat(shown, &real)?.is_none()
            && let Some((done, below)) = done_moves
                .iter()
                .find_map(|done| Some((done, real.strip_prefix(&done.from).ok()?)))
        {
            return root.resolve(&done.to.join(below));
        }
        Ok(real)
    };

    for append in &plan.appends {
        let shown = append.path.as_path();
        let real = locate(shown)?;
        claim(shown, &real)?;
        if let Some(line) = append
            .lines
            .iter()
            .find(|line| line.is_empty() || line.contains(['\n', '\r']))
        {
            return Err(TxError::Invalid {
                path: shown.to_path_buf(),
                why: format!("a ledger line must be one non-empty line, not {line:?}"),
            });
        }
        let current = root.read_regular(shown, &real)?;
        match &append.expected {
            None => work.appends.push((shown, real, &append.lines)),
            Some(expected) if current == expected.as_bytes() => {
                work.appends.push((shown, real, &append.lines));
            }
            Some(expected)
                if current.strip_prefix(expected.as_bytes())
                    == Some(&appended_bytes(expected.as_bytes(), &append.lines)[..]) =>
            {
                report.already_done.push(shown.to_path_buf());
            }
            Some(_) => return Err(changed(shown)),
        }
    }

    for rewrite in &plan.rewrites {
        let shown = rewrite.path.as_path();
        let real = locate(shown)?;
        claim(shown, &real)?;
        if is_ledger(&real) {
            return Err(TxError::Invalid {
                path: shown.to_path_buf(),
                why: "a ledger is only ever appended to, never rewritten".into(),
            });
        }
        let current = root.read_regular(shown, &real)?;
        if current == rewrite.new_text.as_bytes() {
            report.already_done.push(shown.to_path_buf());
            done_after_commit.push(shown.to_path_buf());
            continue;
        }
        if current != rewrite.expected.as_bytes() {
            return Err(changed(shown));
        }
        let is_index = real.file_name().is_some_and(|name| name == "INDEX.md");
        let list = if is_index {
            &mut work.index_rewrites
        } else {
            &mut work.card_rewrites
        };
        list.push((shown, real, &rewrite.new_text));
    }

    for create in &plan.creates {
        let shown = create.path.as_path();
        let real = locate(shown)?;
        claim(shown, &real)?;
        match root.stat(shown, &real)? {
            None => work.creates.push((shown, real, &create.text)),
            Some(found)
                if found.kind == Kind::File
                    && root.read_regular(shown, &real)? == create.text.as_bytes() =>
            {
                report.already_done.push(shown.to_path_buf());
                done_after_commit.push(shown.to_path_buf());
            }
            Some(_) => {
                return Err(TxError::Exists {
                    path: shown.to_path_buf(),
                });
            }
        }
    }
    // A ledger still waiting for the plan's lines means this plan never committed, so no
    // run of it wrote anything after; a later step found done was then written by another
    // writer that did the same thing in between (two people completing one task at once).
    // Appending here would log the transition twice.
    if !work.appends.is_empty()
        && let Some(path) = done_after_commit.into_iter().next()
    {
        return Err(TxError::Stale {
            path,
            why: "another transition already made this change since it was read".into(),
        });
    }
    Ok(work)
}

pub(super) fn changed(path: &Path) -> TxError {
    TxError::Stale {
        path: path.to_path_buf(),
        why: "it changed on disk since it was read".into(),
    }
}

pub(super) fn is_ledger(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().ends_with(".ledger.jsonl"))
}
