//! The on-disk transaction of SPEC §5 steps 1–3: re-validate a plan the analysis computed,
//! commit its ledger lines, then apply its projections, all inside one tasks root and under an
//! exclusive lock on it. The crate's one writer of task files, as `loader` is their reader.
//!
//! The order is fixed: validate everything (refusing changes nothing) → append ledger lines
//! (one `write_all` per ledger, then fsync: the commit) → rewrite cards and other non-index
//! files → rewrite `INDEX.md` files → create new files → move task folders. A rewrite is an
//! index rewrite when the file is named `INDEX.md`; every other rewrite belongs to the card
//! step (its frontmatter is what transitions change).
//!
//! Every step is idempotent, so running the same plan again after a crash finishes it: an
//! append whose lines already follow the expected text, a rewrite whose file already holds the
//! new text, a create whose file already holds its text and a move whose source is gone and
//! whose destination exists all count as done. Paths inside a folder that an earlier run
//! already moved are looked up at the folder's new place.
//!
//! A transition also carries an [`Intent`]: the record of the whole change, written whole and
//! synced before the commit and removed after the last step, so that a crash in between can
//! be finished by `recovery` (docs/architecture.md, "Crash recovery").
//!
//! Testing hooks, read by [`Options::from_env`]: `FLOWOS_FAULT_STOP_AFTER` (`intent`,
//! `ledger`, `frontmatter`, `index`, `creates` or `moves`) stops a transaction after that step
//! as if the process had died there; `FLOWOS_FAULT_KILL_AFTER=N` kills the process (SIGKILL,
//! nothing runs after) right after the N-th disk operation of a transaction, counting from 0
//! at the moment it holds the lock and has validated, then every mkdir, file creation, write,
//! fsync, rename and removal. So every point of a transaction can be crashed at for real.
//! `FLOWOS_FAULT_PAUSE_AFTER=N` stops the process (SIGSTOP) at the same point instead, for a
//! test to change the tree under it (move a folder out of the root) and let it go on.
//!
//! Confinement (SPEC §8): every path must lie below the canonical tasks root, written with
//! plain folder names (no `..`), and no existing component below the root may be a symbolic
//! link. Validation refuses such a path before anything is written (exit 1: nothing written);
//! every operation then resolves its folder again from a handle of the root with no link
//! followed and acts on a single name in it (`beneath`), so a link swapped in at any component
//! while the transaction runs fails that operation instead of leading it outside the root.
//! A failure once writing has begun is an I/O failure ([`TxError::may_have_written`]), which
//! recovery finishes. The lock keeps cooperating writers (this server, the CLI) out of each
//! other's way.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod faults;
mod lock;
mod root;
#[cfg(test)]
mod tests;
mod validate;
mod write;

use crate::beneath::is_link_refusal;
use faults::Faults;
pub use faults::Options;
pub use lock::{RootLock, Sweep, is_intent_name, process_has_ended, temp_file_pid};
use root::{Root, is_moved};
use validate::validate;
pub use write::appended_bytes;
use write::{append_lines, create_file, move_folder, remove_intent, replace_file, write_intent};

/// The environment variable [`Options::from_env`] reads for [`Options::stop_after`].
pub const FAULT_ENV: &str = "FLOWOS_FAULT_STOP_AFTER";
/// The environment variable [`Options::from_env`] reads for [`Options::kill_after`].
pub const KILL_ENV: &str = "FLOWOS_FAULT_KILL_AFTER";
/// The environment variable [`Options::from_env`] reads for [`Options::pause_after`].
pub const PAUSE_ENV: &str = "FLOWOS_FAULT_PAUSE_AFTER";

/// The folder below a tasks root holding the records of transitions in progress. Hidden, so
/// the loader never takes it for part of the workspace.
pub const INTENT_DIR: &str = ".flowos";

/// The marker in the name of a temporary file a rewrite writes before renaming it into place:
/// `.NAME.flowos-tmp-PID-N`.
pub const TEMP_MARKER: &str = ".flowos-tmp-";

/// What a transaction writes, computed by the analysis from the texts it read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskPlan {
    /// The tasks root; every path must resolve inside it. Plan paths are absolute below it,
    /// or relative to it.
    pub root: PathBuf,
    pub appends: Vec<Append>,
    pub rewrites: Vec<Rewrite>,
    pub creates: Vec<Create>,
    pub moves: Vec<Move>,
    /// The record of the whole change, for a transaction a crash must not leave half done.
    pub intent: Option<Intent>,
}

/// The record of a transition (see `recovery`): written before the commit, removed last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    /// A file directly in [`INTENT_DIR`].
    pub path: PathBuf,
    pub text: String,
    /// False for a new transaction, whose record must not exist yet; true when finishing one
    /// a crash interrupted, whose record must still be there, unchanged (else another process
    /// finished it first).
    pub finishing: bool,
}

/// Lines to add to a ledger (the commit of step 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Append {
    pub path: PathBuf,
    /// The text the plan was computed from; None skips the check (and makes a re-run after a
    /// crash append the lines again, since it cannot tell they are already there).
    pub expected: Option<String>,
    /// Whole lines without their newline.
    pub lines: Vec<String>,
}

/// A file's whole new text (a card's frontmatter, an INDEX.md); never a ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrite {
    pub path: PathBuf,
    pub expected: String,
    pub new_text: String,
}

/// A new file; its missing parent folders are created too. Never replaces a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Create {
    pub path: PathBuf,
    pub text: String,
}

/// A task folder's rename (into another stage folder). Never replaces an existing path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub from: PathBuf,
    pub to: PathBuf,
}

/// The steps of a transaction, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// The intent record, written and synced (nothing else is written yet).
    Intent,
    /// Ledger appends: the commit.
    Ledger,
    /// Rewrites of every file but INDEX.md (cards' frontmatter).
    Frontmatter,
    /// Rewrites of INDEX.md files.
    Index,
    Creates,
    Moves,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Intent,
        Step::Ledger,
        Step::Frontmatter,
        Step::Index,
        Step::Creates,
        Step::Moves,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Intent => "intent",
            Step::Ledger => "ledger",
            Step::Frontmatter => "frontmatter",
            Step::Index => "index",
            Step::Creates => "creates",
            Step::Moves => "moves",
        }
    }

    pub fn parse(text: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.name() == text)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a transaction did not (fully) happen. Every refusal found while validating leaves the
/// disk as it was; `Io` and `Interrupted` may leave earlier steps done (re-running completes),
/// and are the only errors raised once writing has begun (see [`TxError::may_have_written`]).
#[derive(Debug)]
pub enum TxError {
    /// A file differs from the text the plan was computed from, or is gone.
    Stale {
        path: PathBuf,
        why: String,
    },
    /// A path leads outside the tasks root, through a link, or with `..`.
    Confinement {
        path: PathBuf,
        why: String,
    },
    /// A file to create or a move's destination is already there.
    Exists {
        path: PathBuf,
    },
    Io {
        path: PathBuf,
        error: io::Error,
    },
    /// Stopped on purpose after this step (fault injection).
    Interrupted {
        after: Step,
    },
    /// Another transaction held the root's lock for the whole timeout.
    Locked {
        root: PathBuf,
    },
    /// The plan itself is wrong: a rewrite of a ledger, a line holding a line break, a path
    /// named twice.
    Invalid {
        path: PathBuf,
        why: String,
    },
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxError::Stale { path, why } => {
                write!(f, "{}: {why}; nothing was written", path.display())
            }
            TxError::Confinement { path, why } => {
                write!(f, "{}: refused, {why}; nothing was written", path.display())
            }
            TxError::Exists { path } => write!(
                f,
                "{} already exists and is never replaced; nothing was written",
                path.display()
            ),
            TxError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            TxError::Interrupted { after } => {
                write!(f, "stopped after the {after} step ({FAULT_ENV})")
            }
            TxError::Locked { root } => write!(
                f,
                "another transaction is still writing to {}; try again",
                root.display()
            ),
            TxError::Invalid { path, why } => write!(f, "{}: {why}", path.display()),
        }
    }
}

impl std::error::Error for TxError {}

impl TxError {
    /// Whether the transaction may have written part of its change: a refusal (stale, confined,
    /// exists, locked, invalid) always comes before the first write.
    pub fn may_have_written(&self) -> bool {
        matches!(self, TxError::Io { .. } | TxError::Interrupted { .. })
    }
}

/// What a transaction did, with paths spelled as the plan spelled them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub appended: Vec<PathBuf>,
    pub rewritten: Vec<PathBuf>,
    pub created: Vec<PathBuf>,
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// Operations found already done on disk (a re-run after an interruption), left alone.
    pub already_done: Vec<PathBuf>,
}

/// Held by this process while a transaction writes, so that a server told to exit lets the
/// write in progress finish first (see [`finish_writes`]).
static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits up to `timeout` for a transaction of this process that is writing to finish; while
/// the returned guard lives, no other starts. A write cut short is recovered by
/// `check --fix`; one let finish needs nothing. None when the wait timed out.
pub fn finish_writes(timeout: Duration) -> Option<std::sync::MutexGuard<'static, ()>> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match WRITING.try_lock() {
            Ok(guard) => return Some(guard),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(std::sync::TryLockError::WouldBlock) => return None,
        }
    }
}

/// Runs `plan` under `lock` (which must be the lock of `plan.root`).
pub fn execute(lock: &RootLock, plan: &DiskPlan, options: &Options) -> Result<Report, TxError> {
    let _writing = WRITING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = Root::new(&plan.root)?;
    if root.canonical != lock.root.canonical {
        return Err(TxError::Confinement {
            path: plan.root.clone(),
            why: format!(
                "the lock held is for another tasks root, {}",
                lock.root.given.display()
            ),
        });
    }
    let mut report = Report::default();
    let work = validate(&root, plan, &mut report)?;
    let stop = |step: Step| -> Result<(), TxError> {
        match options.stop_after {
            Some(after) if after == step => Err(TxError::Interrupted { after }),
            _ => Ok(()),
        }
    };
    let faults = Faults::new(options);
    faults.point();

    if let Some((shown, real, text, false)) = &work.intent {
        let nothing_yet = faults.done.get();
        write_intent(&root, real, text, &faults).map_err(|error| {
            if faults.done.get() != nothing_yet {
                // Its folder made, or a temporary file written: recovery sweeps those.
                return io_error(shown, error);
            }
            let nothing = RefusedBeforeWriting {
                root: &root,
                record: None,
                faults: &faults,
            };
            nothing.or_io_error(shown, error)
        })?;
    }
    stop(Step::Intent)?;
    // Until the first operation after the record, a write refused (a folder moved away, a link
    // swapped in) leaves nothing but the record, which this run takes back.
    let nothing_yet = faults.done.get();
    let fail = |shown: &Path, error: io::Error| -> TxError {
        if faults.done.get() != nothing_yet {
            return io_error(shown, error);
        }
        let record = match &work.intent {
            Some((record_shown, real, _, false)) => Some((*record_shown, real.as_path())),
            _ => None,
        };
        let nothing = RefusedBeforeWriting {
            root: &root,
            record,
            faults: &faults,
        };
        nothing.or_io_error(shown, error)
    };
    for (shown, real, lines) in &work.appends {
        append_lines(&root, real, lines, &faults).map_err(|error| fail(shown, error))?;
        report.appended.push(shown.to_path_buf());
    }
    stop(Step::Ledger)?;
    for (step, rewrites) in [
        (Step::Frontmatter, &work.card_rewrites),
        (Step::Index, &work.index_rewrites),
    ] {
        for (shown, real, text) in rewrites {
            replace_file(&root, real, text, &faults).map_err(|error| fail(shown, error))?;
            report.rewritten.push(shown.to_path_buf());
        }
        stop(step)?;
    }
    for (shown, real, text) in &work.creates {
        // Past validation, every failure is an I/O failure: earlier steps may be written.
        create_file(&root, real, text, &faults).map_err(|error| fail(shown, error))?;
        report.created.push(shown.to_path_buf());
    }
    stop(Step::Creates)?;
    for (shown, real) in &work.moves {
        move_folder(&root, &real.from, &real.to, &faults)
            .map_err(|error| fail(&shown.to, error))?;
        report.moved.push((shown.from.clone(), shown.to.clone()));
    }
    stop(Step::Moves)?;
    // Last: with every step done, the record has nothing left to finish.
    if let Some((shown, real, _, _)) = &work.intent {
        remove_intent(&root, real, &faults).map_err(|error| io_error(shown, error))?;
    }
    Ok(report)
}

/// A failure met before the transaction wrote anything but (maybe) its own record.
struct RefusedBeforeWriting<'a> {
    root: &'a Root,
    /// The record this run wrote (as shown, as resolved), to take back.
    record: Option<(&'a Path, &'a Path)>,
    faults: &'a Faults,
}

impl RefusedBeforeWriting<'_> {
    /// A refusal (exit 1: nothing was written) when `error` is a write refused before it was
    /// made because its folder or file moved away or became a link, once the record is taken
    /// back; any other failure is an I/O failure, which may have written.
    fn or_io_error(self, shown: &Path, error: io::Error) -> TxError {
        if !(is_moved(&error) || is_link_refusal(&error)) {
            return io_error(shown, error);
        }
        if let Some((record_shown, record)) = self.record
            && let Err(error) = remove_intent(self.root, record, self.faults)
        {
            return io_error(record_shown, error);
        }
        let why = if is_moved(&error) {
            error.to_string()
        } else {
            "a folder or file on the way became a symbolic link while the transaction ran, \
             and nothing is written through a link below a tasks root"
                .to_string()
        };
        TxError::Confinement {
            path: shown.to_path_buf(),
            why,
        }
    }
}

pub(super) fn io_error(path: &Path, error: io::Error) -> TxError {
    TxError::Io {
        path: path.to_path_buf(),
        error,
    }
}
