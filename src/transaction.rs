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

use std::cell::Cell;
use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::beneath::{Access, Dir, Kind, Stat, is_link_refusal};

/// The environment variable [`Options::from_env`] reads for [`Options::stop_after`].
pub const FAULT_ENV: &str = "FLOWOS_FAULT_STOP_AFTER";
/// The environment variable [`Options::from_env`] reads for [`Options::kill_after`].
pub const KILL_ENV: &str = "FLOWOS_FAULT_KILL_AFTER";

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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Fault injection: return [`TxError::Interrupted`] right after this step.
    pub stop_after: Option<Step>,
    /// Fault injection: kill this process right after this many disk operations (see the
    /// module docs). Only for tests that run the binary: it kills whatever process runs it.
    pub kill_after: Option<u32>,
}

impl Options {
    /// Options from `FLOWOS_FAULT_STOP_AFTER` and `FLOWOS_FAULT_KILL_AFTER` (see the module
    /// docs); unset or unknown values inject nothing.
    pub fn from_env() -> Options {
        Options {
            kill_after: std::env::var(KILL_ENV)
                .ok()
                .and_then(|value| value.trim().parse().ok()),
            ..Options::from_env_value(std::env::var(FAULT_ENV).ok().as_deref())
        }
    }

    /// What [`Options::from_env`] makes of `FLOWOS_FAULT_STOP_AFTER`'s value.
    pub fn from_env_value(value: Option<&str>) -> Options {
        Options {
            stop_after: value.and_then(|value| Step::parse(value.trim())),
            kill_after: None,
        }
    }
}

/// Counts a transaction's disk operations and kills the process at the one
/// [`Options::kill_after`] names.
struct Faults {
    kill_after: Option<u32>,
    done: Cell<u32>,
}

impl Faults {
    fn new(options: &Options) -> Faults {
        Faults {
            kill_after: options.kill_after,
            done: Cell::new(0),
        }
    }

    /// Called right after each disk operation (and once before the first).
    fn point(&self) {
        let done = self.done.get();
        self.done.set(done + 1);
        if self.kill_after == Some(done) {
            die();
        }
    }
}

/// Ends the process at once, as a crash would: no destructor, no cleanup, no flush.
fn die() -> ! {
    #[cfg(unix)]
    // SAFETY: kill(2) on our own pid with a valid signal number has no memory effects.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort()
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

/// An exclusive advisory lock (`flock`) on a tasks root folder, so two processes (or two
/// threads) never interleave transactions on it. Released when dropped.
#[derive(Debug)]
pub struct RootLock {
    root: Root,
    // Closing the handle releases the lock; it is held only for that.
    _handle: File,
}

impl RootLock {
    /// Takes the lock, waiting up to `timeout` for another holder to let go.
    ///
    /// The wait is a blocking `flock` on a helper thread rather than a polling loop: the
    /// kernel wakes a waiter the moment the holder lets go, where a poller sleeping between
    /// attempts keeps losing to writers that come back at once (eight processes appending in
    /// a loop starved one of them past the timeout).
    pub fn acquire(root: &Path, timeout: Duration) -> Result<RootLock, TxError> {
        let root = Root::new(root)?;
        let handle = File::open(&root.canonical).map_err(|error| TxError::Io {
            path: root.given.clone(),
            error,
        })?;
        let handle = match handle.try_lock() {
            Ok(()) => handle,
            Err(TryLockError::WouldBlock) => {
                wait_for_lock(handle, timeout).map_err(|error| match error {
                    Some(error) => TxError::Io {
                        path: root.given.clone(),
                        error,
                    },
                    None => TxError::Locked {
                        root: root.given.clone(),
                    },
                })?
            }
            Err(TryLockError::Error(error)) => {
                return Err(TxError::Io {
                    path: root.given,
                    error,
                });
            }
        };
        Ok(RootLock {
            root,
            _handle: handle,
        })
    }

    /// The canonical path of the locked root.
    pub fn root(&self) -> &Path {
        &self.root.canonical
    }

    /// Reads a file below the root with the same confinement checks as a write, so what a
    /// plan is computed from is what the transaction will validate against.
    pub fn read(&self, path: &Path) -> io::Result<String> {
        let rel = self.root.resolve(path).map_err(|error| match error {
            TxError::Io { error, .. } => error,
            other => io::Error::new(io::ErrorKind::PermissionDenied, other.to_string()),
        })?;
        // A pipe put where a counter or an index was would block a plain read, with the
        // root's lock held: only a regular file is read.
        String::from_utf8(self.root.read(&rel)?)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
    }

    /// The records of transitions a crash interrupted (see `recovery`): every file directly
    /// in [`INTENT_DIR`] named `intent-*.json`, oldest first (their names start with the time
    /// they were written), with its text. Under the lock no transaction is running, so each
    /// one found belongs to a transaction that ended without finishing.
    pub fn intents(&self) -> io::Result<Vec<(PathBuf, String)>> {
        let dir = match self.root.dir.dir(Path::new(INTENT_DIR)) {
            Ok(dir) => dir,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let mut names: Vec<OsString> = dir
            .entries()?
            .into_iter()
            .filter(|name| is_intent_name(&name.to_string_lossy()))
            .collect();
        names.sort();
        let mut intents = Vec::new();
        for name in names {
            if dir
                .stat(&name)?
                .is_some_and(|found| found.kind == Kind::File)
            {
                let text = String::from_utf8(dir.read(&name)?)
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
                intents.push((self.root.canonical.join(INTENT_DIR).join(name), text));
            }
        }
        Ok(intents)
    }

    /// Removes the temporary files that writers killed mid-rewrite left behind
    /// (`.NAME.flowos-tmp-PID-N`, see [`TEMP_MARKER`]) when process PID has ended, and an
    /// empty [`INTENT_DIR`]; a temporary file of a process still running is left alone and
    /// reported (it may be another machine's, on a shared disk). Links are never followed.
    pub fn sweep(&self) -> io::Result<Sweep> {
        let mut sweep = Sweep::default();
        let mut pending = vec![(PathBuf::new(), 0usize)];
        while let Some((rel_dir, depth)) = pending.pop() {
            let Ok(dir) = self.root.dir.dir(&rel_dir) else {
                continue;
            };
            let mut removed_here = false;
            for name in dir.entries()? {
                let text = name.to_string_lossy().into_owned();
                match dir.stat(&name)?.map(|found| found.kind) {
                    Some(Kind::Dir) => {
                        // The layouts go three folders deep; hidden folders are other tools'
                        // (`.git`), except the one holding intent records.
                        let listed = !text.starts_with('.') || (depth == 0 && text == INTENT_DIR);
                        if listed && depth < 3 {
                            pending.push((rel_dir.join(&name), depth + 1));
                        }
                    }
                    Some(Kind::File) => {
                        let Some(pid) = temp_file_pid(&text) else {
                            continue;
                        };
                        let path = self.root.canonical.join(&rel_dir).join(&name);
                        if process_has_ended(pid) {
                            dir.remove_file(&name)?;
                            removed_here = true;
                            sweep.removed.push(path);
                        } else {
                            sweep.kept.push((path, pid));
                        }
                    }
                    _ => {}
                }
            }
            if removed_here {
                dir.sync()?;
            }
        }
        if self.root.is_empty_dir(Path::new(INTENT_DIR))
            && self.root.dir.remove_dir(OsStr::new(INTENT_DIR)).is_ok()
        {
            self.root.dir.sync()?;
            sweep.removed.push(self.root.canonical.join(INTENT_DIR));
        }
        Ok(sweep)
    }
}

/// What [`RootLock::sweep`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub removed: Vec<PathBuf>,
    /// Temporary files of processes still running, with their process ID.
    pub kept: Vec<(PathBuf, u32)>,
}

/// Whether `name` is an intent record's: `intent-*.json`.
pub fn is_intent_name(name: &str) -> bool {
    name.starts_with("intent-") && name.ends_with(".json")
}

/// The process ID in the name of a writer's temporary file (`.NAME.flowos-tmp-PID-N`).
pub fn temp_file_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, tail) = name.rsplit_once(TEMP_MARKER)?;
    let (pid, counter) = tail.split_once('-')?;
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(counter))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Whether no process `pid` runs on this machine any more. This process counts as ended: it
/// calls this only under the root's lock, where none of its own transactions is writing.
pub fn process_has_ended(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
        let result = unsafe { libc::kill(pid, 0) };
        result == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Blocks on `handle`'s lock on a helper thread for at most `timeout`. `Err(None)` is a
/// timeout: the thread keeps waiting, and if it gets the lock after all it drops the handle
/// at once (its send finds no receiver), which releases it.
fn wait_for_lock(handle: File, timeout: Duration) -> Result<File, Option<io::Error>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = handle.lock().map(|()| handle);
        let _ = sender.send(outcome);
    });
    match receiver.recv_timeout(timeout) {
        Ok(Ok(handle)) => Ok(handle),
        Ok(Err(error)) => Err(Some(error)),
        Err(_) => Err(None),
    }
}

/// The tasks root as the caller named it and as it really is, and held open: every path
/// below it is resolved from this handle (see `beneath`).
#[derive(Debug)]
struct Root {
    given: PathBuf,
    canonical: PathBuf,
    dir: Dir,
}

impl Root {
    fn new(given: &Path) -> Result<Root, TxError> {
        let canonical = fs::canonicalize(given).map_err(|error| TxError::Io {
            path: given.to_path_buf(),
            error,
        })?;
        if !canonical.is_dir() {
            return Err(TxError::Confinement {
                path: given.to_path_buf(),
                why: "the tasks root is not a folder".into(),
            });
        }
        let dir = Dir::open(&canonical).map_err(|error| TxError::Io {
            path: given.to_path_buf(),
            error,
        })?;
        Ok(Root {
            given: given.to_path_buf(),
            canonical,
            dir,
        })
    }

    /// `path` relative to the root, once it is known to stay inside it: relative to the root
    /// or absolute below it, plain names only, and no existing component a link. (The
    /// operations that follow resolve it again through handles that refuse links, so a link
    /// swapped in after this check is refused too, never followed.)
    fn resolve(&self, path: &Path) -> Result<PathBuf, TxError> {
        let refuse = |why: String| TxError::Confinement {
            path: path.to_path_buf(),
            why,
        };
        // A path spelled from the root as given (`./.work/tasks/…`) or from its real path is
        // taken relative to it; any other relative path is relative to the root already.
        let rel = match path
            .strip_prefix(&self.given)
            .or_else(|_| path.strip_prefix(&self.canonical))
        {
            Ok(rel) => rel,
            Err(_) if path.is_absolute() => {
                return Err(refuse("the path is outside the tasks root".into()));
            }
            Err(_) => path,
        };
        if rel.as_os_str().is_empty() {
            return Err(refuse("the path is the tasks root itself".into()));
        }
        if let Some(odd) = rel
            .components()
            .find(|component| !matches!(component, Component::Normal(_)))
        {
            return Err(refuse(format!(
                "`{}` is not a plain folder or file name",
                odd.as_os_str().to_string_lossy()
            )));
        }
        // Component by component through handles, to name the link if there is one.
        let mut walked = PathBuf::new();
        let mut dir = self.dir.dir(Path::new("")).map_err(|e| io_error(path, e))?;
        let mut components = rel.components().peekable();
        while let Some(component) = components.next() {
            let name = component.as_os_str();
            walked.push(name);
            match dir.stat(name).map_err(|e| io_error(path, e))? {
                Some(found) if found.kind == Kind::Link => {
                    return Err(refuse(format!(
                        "`{}` is a symbolic link, and nothing is written through a link below a tasks root",
                        walked.display()
                    )));
                }
                Some(found) if found.kind == Kind::Dir && components.peek().is_some() => {
                    dir = match dir.dir(Path::new(name)) {
                        Ok(next) => next,
                        // Swapped for a link since the look: the same refusal.
                        Err(error) if is_link_refusal(&error) => {
                            return Err(refuse(format!(
                                "`{}` is a symbolic link, and nothing is written through a link below a tasks root",
                                walked.display()
                            )));
                        }
                        Err(error) => return Err(io_error(path, error)),
                    };
                }
                // The rest of the path does not exist yet (or lies below a file, which the
                // operation itself will report): nothing there can be a link.
                _ => break,
            }
        }
        Ok(rel.to_path_buf())
    }

    /// The folder holding `rel` (below the root), resolved with no link followed, and the
    /// entry's name in it.
    fn parent<'r>(&self, rel: &'r Path) -> io::Result<(Dir, &'r OsStr)> {
        let name = rel
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a path with no name"))?;
        Ok((self.dir.dir(rel.parent().unwrap_or(Path::new("")))?, name))
    }

    /// The entry at `rel`, links not followed; None when nothing is there (or its folder is
    /// not). A link on the way is refused.
    fn stat(&self, shown: &Path, rel: &Path) -> Result<Option<Stat>, TxError> {
        let confined = |error: io::Error| {
            if is_link_refusal(&error) {
                TxError::Confinement {
                    path: shown.to_path_buf(),
                    why: "a folder on the way is a symbolic link, and nothing is written through a link below a tasks root".into(),
                }
            } else {
                io_error(shown, error)
            }
        };
        let (dir, name) = match self.parent(rel) {
            Ok(found) => found,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(confined(error)),
        };
        dir.stat(name).map_err(confined)
    }

    /// The bytes of the existing regular file at `rel` (never a FIFO or device, whose reads
    /// could block).
    fn read_regular(&self, shown: &Path, rel: &Path) -> Result<Vec<u8>, TxError> {
        match self.stat(shown, rel)? {
            None => Err(TxError::Stale {
                path: shown.to_path_buf(),
                why: "it no longer exists on disk".into(),
            }),
            Some(found) if found.kind != Kind::File => Err(TxError::Invalid {
                path: shown.to_path_buf(),
                why: "not a regular file".into(),
            }),
            Some(_) => self.read(rel).map_err(|error| io_error(shown, error)),
        }
    }

    fn read(&self, rel: &Path) -> io::Result<Vec<u8>> {
        let (dir, name) = self.parent(rel)?;
        dir.read(name)
    }

    /// Whether `rel` is a folder with nothing in it.
    fn is_empty_dir(&self, rel: &Path) -> bool {
        self.dir
            .dir(rel)
            .and_then(|dir| dir.entries())
            .is_ok_and(|entries| entries.is_empty())
    }

    /// The folder `rel`, made (with any missing folder above it) if need be, each new one
    /// recorded durably in its parent.
    fn make_dirs(&self, rel: &Path, faults: &Faults) -> io::Result<Dir> {
        let mut dir = self.dir.dir(Path::new(""))?;
        for component in rel.components() {
            let name = component.as_os_str();
            dir = match dir.dir(Path::new(name)) {
                Ok(next) => next,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    match dir.mkdir(name) {
                        Ok(()) => {
                            faults.point();
                            dir.sync()?;
                            faults.point();
                        }
                        // Made meanwhile by someone else: as good.
                        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(error) => return Err(error),
                    }
                    dir.dir(Path::new(name))?
                }
                Err(error) => return Err(error),
            };
        }
        Ok(dir)
    }
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
        write_intent(&root, real, text, &faults).map_err(|error| io_error(shown, error))?;
    }
    stop(Step::Intent)?;
    for (shown, real, lines) in &work.appends {
        append_lines(&root, real, lines, &faults).map_err(|error| io_error(shown, error))?;
        report.appended.push(shown.to_path_buf());
    }
    stop(Step::Ledger)?;
    for (step, rewrites) in [
        (Step::Frontmatter, &work.card_rewrites),
        (Step::Index, &work.index_rewrites),
    ] {
        for (shown, real, text) in rewrites {
            replace_file(&root, real, text, &faults).map_err(|error| io_error(shown, error))?;
            report.rewritten.push(shown.to_path_buf());
        }
        stop(step)?;
    }
    for (shown, real, text) in &work.creates {
        // Past validation, every failure is an I/O failure: earlier steps may be written.
        create_file(&root, real, text, &faults).map_err(|error| io_error(shown, error))?;
        report.created.push(shown.to_path_buf());
    }
    stop(Step::Creates)?;
    for (shown, real) in &work.moves {
        move_folder(&root, &real.from, &real.to, &faults)
            .map_err(|error| io_error(&shown.to, error))?;
        report.moved.push((shown.from.clone(), shown.to.clone()));
    }
    stop(Step::Moves)?;
    // Last: with every step done, the record has nothing left to finish.
    if let Some((shown, real, _, _)) = &work.intent {
        remove_intent(&root, real, &faults).map_err(|error| io_error(shown, error))?;
    }
    Ok(report)
}

fn io_error(path: &Path, error: io::Error) -> TxError {
    TxError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The operations still to do after validation, each with its plan path and its real path.
#[derive(Default)]
struct Work<'p> {
    /// The record, and whether it is already there (finishing an interrupted transaction).
    intent: Option<(&'p Path, PathBuf, &'p str, bool)>,
    appends: Vec<(&'p Path, PathBuf, &'p [String])>,
    card_rewrites: Vec<(&'p Path, PathBuf, &'p str)>,
    index_rewrites: Vec<(&'p Path, PathBuf, &'p str)>,
    creates: Vec<(&'p Path, PathBuf, &'p str)>,
    moves: Vec<(&'p Move, Move)>,
}

/// Step 1: every check, before anything is written.
fn validate<'p>(root: &Root, plan: &'p DiskPlan, report: &mut Report) -> Result<Work<'p>, TxError> {
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
    for shown in &plan.moves {
        let real = Move {
            from: root.resolve(&shown.from)?,
            to: root.resolve(&shown.to)?,
        };
        claim(&shown.from, &real.from)?;
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
            (Some(from), None) if from.kind == Kind::Dir => work.moves.push((shown, real)),
            (Some(_), None) => {
                return Err(TxError::Invalid {
                    path: shown.from.clone(),
                    why: "only folders are moved".into(),
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

fn changed(path: &Path) -> TxError {
    TxError::Stale {
        path: path.to_path_buf(),
        why: "it changed on disk since it was read".into(),
    }
}

fn is_ledger(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().ends_with(".ledger.jsonl"))
}

/// What appending `lines` to a file holding `existing` adds: a newline first when the file's
/// last line lacks one (that line is left as it is, and the new ones start fresh).
pub fn appended_bytes(existing: &[u8], lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    if !existing.is_empty() && !existing.ends_with(b"\n") {
        out.push(b'\n');
    }
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The commit: every line in one `O_APPEND` write, then fsync. Whether a newline must come
/// first is decided from the file's last byte as it is now, not as it was when validated.
fn append_lines(root: &Root, rel: &Path, lines: &[String], faults: &Faults) -> io::Result<()> {
    let (dir, name) = root.parent(rel)?;
    let mut file = dir.open_file(name, Access::Append)?;
    let len = file.metadata()?.len();
    let mut last = Vec::new();
    if len > 0 {
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_to_end(&mut last)?;
    }
    file.write_all(&appended_bytes(&last, lines))?;
    faults.point();
    file.sync_all()?;
    faults.point();
    Ok(())
}

/// Tells temporary files of one process apart.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The name of a temporary file beside the file `name`, for this process.
fn temp_name(name: &OsStr) -> OsString {
    OsString::from(format!(
        ".{}{TEMP_MARKER}{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Writes `text` to a new temporary file beside `rel`, synced, and renames it to `rel` (over
/// it when `replace`; else `rel` must not exist). A crash leaves the old file or the new one
/// whole, and at most the temporary file beside it, which [`RootLock::sweep`] removes.
fn write_via_temp(
    root: &Root,
    rel: &Path,
    text: &str,
    replace: bool,
    faults: &Faults,
) -> io::Result<()> {
    let (dir, name) = root.parent(rel)?;
    write_in(&dir, name, text, replace, faults)
}

/// [`write_via_temp`] in a folder already held.
fn write_in(dir: &Dir, name: &OsStr, text: &str, replace: bool, faults: &Faults) -> io::Result<()> {
    let temp = temp_name(name);
    let written = (|| {
        let mut file = dir.create_new(&temp)?;
        faults.point();
        file.write_all(text.as_bytes())?;
        faults.point();
        if replace && let Some(old) = dir.stat(name)? {
            // The new file keeps the old one's permissions, as an in-place edit would.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(fs::Permissions::from_mode(old.mode))?;
            }
            #[cfg(not(unix))]
            let _ = old;
        }
        file.sync_all()?;
        faults.point();
        if replace {
            dir.rename(&temp, dir, name, false)
        } else {
            // A hard link never replaces a file: the name is taken whole or not at all. A
            // file system without hard links gets an atomic rename that does not replace,
            // or else a plain one: validation found the name free under the lock.
            match dir.link(&temp, name) {
                Ok(()) => {
                    faults.point();
                    dir.remove_file(&temp)
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(error),
                Err(_) => match dir.rename(&temp, dir, name, true) {
                    Err(error) if error.kind() == io::ErrorKind::Unsupported => {
                        dir.rename(&temp, dir, name, false)
                    }
                    done => done,
                },
            }
        }
    })();
    if written.is_err() {
        let _ = dir.remove_file(&temp);
    }
    written?;
    faults.point();
    dir.sync()?;
    faults.point();
    Ok(())
}

/// Replaces a file's content atomically: a temporary file beside it, fsynced, renamed over it.
fn replace_file(root: &Root, rel: &Path, text: &str, faults: &Faults) -> io::Result<()> {
    write_via_temp(root, rel, text, true, faults)
}

/// Writes the intent record whole (never a torn one: the name appears only once its bytes are
/// synced), creating its folder if needed.
fn write_intent(root: &Root, rel: &Path, text: &str, faults: &Faults) -> io::Result<()> {
    let dir = root.make_dirs(Path::new(INTENT_DIR), faults)?;
    let name = rel.file_name().unwrap_or_default();
    write_in(&dir, name, text, false, faults)
}

/// Removes a finished transaction's record, and its folder once empty (so a tasks root that
/// never had an interrupted transition shows no trace of the mechanism).
fn remove_intent(root: &Root, rel: &Path, faults: &Faults) -> io::Result<()> {
    let (dir, name) = root.parent(rel)?;
    dir.remove_file(name)?;
    faults.point();
    dir.sync()?;
    faults.point();
    if root.dir.remove_dir(OsStr::new(INTENT_DIR)).is_ok() {
        faults.point();
        root.dir.sync()?;
        faults.point();
    }
    Ok(())
}

/// Creates a new file (and its missing folders), never replacing one.
fn create_file(root: &Root, rel: &Path, text: &str, faults: &Faults) -> io::Result<()> {
    let dir = root.make_dirs(rel.parent().unwrap_or(Path::new("")), faults)?;
    let name = rel.file_name().unwrap_or_default();
    let mut file = dir.create_new(name)?;
    faults.point();
    file.write_all(text.as_bytes())?;
    faults.point();
    file.sync_all()?;
    faults.point();
    dir.sync()?;
    faults.point();
    Ok(())
}

/// Renames a task folder into another folder without ever replacing an existing path: an
/// atomic rename that refuses to replace, where the file system has one (Linux's
/// `RENAME_NOREPLACE`). Elsewhere the destination is first claimed as an empty folder (which
/// fails if anything is there) and the folder renamed onto it, which replaces only an empty
/// folder; between the two, the loader does not take the empty claim for a task (see
/// `loader`), so nobody sees the task twice. An empty folder already at the destination is
/// such a claim, left by a run that died before its rename.
fn move_folder(root: &Root, from: &Path, to: &Path, faults: &Faults) -> io::Result<()> {
    let (from_dir, from_name) = root.parent(from)?;
    let to_dir = root.make_dirs(to.parent().unwrap_or(Path::new("")), faults)?;
    let to_name = to.file_name().unwrap_or_default();
    let empty_claim = |to_dir: &Dir| {
        to_dir
            .dir(Path::new(to_name))
            .and_then(|claim| claim.entries())
            .is_ok_and(|entries| entries.is_empty())
    };
    match from_dir.rename(from_name, &to_dir, to_name, true) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            if !empty_claim(&to_dir) {
                return Err(error);
            }
            // Renaming onto an empty folder replaces only it; one that gained entries since
            // the look makes the rename fail.
            from_dir.rename(from_name, &to_dir, to_name, false)?;
        }
        Err(error) if error.kind() == io::ErrorKind::Unsupported => {
            let claimed_now = match to_dir.mkdir(to_name) {
                Ok(()) => true,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    if !empty_claim(&to_dir) {
                        return Err(error);
                    }
                    false
                }
                Err(error) => return Err(error),
            };
            if claimed_now {
                faults.point();
            }
            if let Err(error) = from_dir.rename(from_name, &to_dir, to_name, false) {
                if claimed_now {
                    let _ = to_dir.remove_dir(to_name);
                }
                return Err(error);
            }
        }
        Err(error) => return Err(error),
    }
    faults.point();
    to_dir.sync()?;
    faults.point();
    from_dir.sync()?;
    faults.point();
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::thread;
    use std::time::Instant;

    use super::*;

    const LEDGER: &str = "inbox/TASK-0001-a/0001.ledger.jsonl";
    const CARD: &str = "inbox/TASK-0001-a/0001-a.task.md";
    const CREATED: &str = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Made\"}\n";
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
                "stale card" | "stale index" | "stale ledger" | "vanished card"
                | "move of nothing" => matches!(error, TxError::Stale { .. }),
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
                user: "@ana",
                now,
                counter_text: &counter_text,
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
}
