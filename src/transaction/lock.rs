//! The root's lock and what only its holder may do: read under it, find the intent records
//! of transactions that ended unfinished, sweep the temporary files of writers that died.

use std::ffi::{OsStr, OsString};
use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{INTENT_DIR, Root, TEMP_MARKER, TxError};
use crate::beneath::Kind;

/// An exclusive advisory lock (`flock`) on a tasks root folder, so two processes (or two
/// threads) never interleave transactions on it. Released when dropped.
#[derive(Debug)]
pub struct RootLock {
    pub(super) root: Root,
    // Closing the handle releases the lock; it is held only for that.
    pub(super) _handle: File,
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
pub(super) fn wait_for_lock(handle: File, timeout: Duration) -> Result<File, Option<io::Error>> {
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
