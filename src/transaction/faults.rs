//! The testing hooks of a transaction: stopping after a step as if the process had died
//! there, and killing it outright after its N-th disk operation (see the module comment of
//! `transaction`).

use super::{FAULT_ENV, KILL_ENV, PAUSE_ENV, Step};
use std::cell::Cell;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Fault injection: return [`TxError::Interrupted`] right after this step.
    pub stop_after: Option<Step>,
    /// Fault injection: kill this process right after this many disk operations (see the
    /// module docs). Only for tests that run the binary: it kills whatever process runs it.
    pub kill_after: Option<u32>,
    /// Fault injection: stop this process (SIGSTOP) right after this many disk operations,
    /// for a test to change the tree under it and let it go on (SIGCONT). Only for tests that
    /// run the binary.
    pub pause_after: Option<u32>,
}

impl Options {
    /// Options from `FLOWOS_FAULT_STOP_AFTER` and `FLOWOS_FAULT_KILL_AFTER` (see the module
    /// docs); unset or unknown values inject nothing.
    pub fn from_env() -> Options {
        let number = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|value| value.trim().parse().ok())
        };
        Options {
            kill_after: number(KILL_ENV),
            pause_after: number(PAUSE_ENV),
            ..Options::from_env_value(std::env::var(FAULT_ENV).ok().as_deref())
        }
    }

    /// What [`Options::from_env`] makes of `FLOWOS_FAULT_STOP_AFTER`'s value.
    pub fn from_env_value(value: Option<&str>) -> Options {
        Options {
            stop_after: value.and_then(|value| Step::parse(value.trim())),
            kill_after: None,
            pause_after: None,
        }
    }
}

/// Counts a transaction's disk operations and kills the process at the one
/// [`Options::kill_after`] names.
pub(super) struct Faults {
    pub(super) kill_after: Option<u32>,
    pub(super) pause_after: Option<u32>,
    pub(super) done: Cell<u32>,
}

impl Faults {
    pub(super) fn new(options: &Options) -> Faults {
        Faults {
            kill_after: options.kill_after,
            pause_after: options.pause_after,
            done: Cell::new(0),
        }
    }

    /// Called right after each disk operation (and once before the first).
    pub(super) fn point(&self) {
        let done = self.done.get();
        self.done.set(done + 1);
        if self.kill_after == Some(done) {
            die();
        }
        if self.pause_after == Some(done)
            && !PAUSED.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            pause();
        }
    }
}

/// Whether this process has paused already: it pauses once, in the first transaction that
/// reaches the point, so a test waiting for one stop is not left waiting for a second.
static PAUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Stops the process until it is sent SIGCONT, as a scheduler might at the worst moment.
fn pause() {
    #[cfg(unix)]
    // SAFETY: kill(2) on our own pid with a valid signal number has no memory effects.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGSTOP);
    }
}

/// Ends the process at once, as a crash would: no destructor, no cleanup, no flush.
pub(super) fn die() -> ! {
    #[cfg(unix)]
    // SAFETY: kill(2) on our own pid with a valid signal number has no memory effects.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort()
}
