//! Backpressure on publications: the session converts no further ahead of what has been
//! written to the client than a bounded number of files.
//!
//! The first index of a 10,000-task workspace publishes one message per file, 11,000 of them,
//! converted on every core far faster than a client reads them. Unchecked, every converted
//! file waited at once between the session and stdout: 40 MB of protocol values at the peak
//! of a noisy workspace's start (SPEC §7 budgets the peak). Each publication now carries a
//! [`Ticket`] from the moment the publisher hands it on until the transport has written its
//! frame (or it is dropped as superseded), and the publisher waits between slices of its work
//! while more than [`PUBLICATIONS_IN_FLIGHT`] tickets are out.
//!
//! Publications are also written as frames of their own, serialised straight from the
//! protocol types ([`Frame::notification`]), not passed through tower-lsp-server's client:
//! that builds a `serde_json::Value` tree of every message first, four times the size of its
//! text (the root INDEX.md of a noisy workspace carries 3,500 diagnostics: 15 MB as a tree).

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::Serialize;

/// How many publications may wait between the session and stdout before the publisher waits:
/// a few megabytes of converted diagnostics at most, yet enough that the client never waits
/// for the session.
pub const PUBLICATIONS_IN_FLIGHT: usize = 128;

/// How long the publisher waits for a ticket to come back before going on regardless: a
/// client that stops reading for this long slows the session to a slice per stall rather than
/// stopping it.
const STALL: Duration = Duration::from_secs(2);

/// The count of publications handed on and not yet written.
#[derive(Debug)]
pub struct Backlog {
    in_flight: Mutex<usize>,
    drained: Condvar,
    limit: usize,
    stall: Duration,
}

impl Backlog {
    pub fn new(limit: usize) -> Backlog {
        Backlog {
            in_flight: Mutex::new(0),
            drained: Condvar::new(),
            limit,
            stall: STALL,
        }
    }

    /// A backlog that never makes anyone wait: for a session whose output is read by a test
    /// rather than written to a client.
    pub fn unbounded() -> Backlog {
        Backlog::new(usize::MAX)
    }

    /// A publication is handed on: it is in flight until the ticket is dropped.
    pub fn ticket(self: &Arc<Backlog>) -> Ticket {
        *self.lock() += 1;
        Ticket(self.clone())
    }

    /// Waits while more than the limit are in flight (at most [`STALL`]).
    pub fn wait_below_limit(&self) {
        let in_flight = self.lock();
        if *in_flight <= self.limit {
            return;
        }
        let _unused = self
            .drained
            .wait_timeout_while(in_flight, self.stall, |in_flight| *in_flight > self.limit)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }

    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        *self.lock()
    }

    fn retired(&self) {
        let mut in_flight = self.lock();
        *in_flight = in_flight.saturating_sub(1);
        if *in_flight <= self.limit {
            self.drained.notify_all();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        // The count stays meaningful whatever a panicking holder was doing: it is one number.
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for Backlog {
    fn default() -> Backlog {
        Backlog::unbounded()
    }
}

/// One publication in flight; dropping it (written, superseded, or the process ending)
/// retires it.
#[derive(Debug)]
pub struct Ticket(Arc<Backlog>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.retired();
    }
}

/// A message body the transport writes between the server's own frames, with the ticket it
/// retires once written.
#[derive(Debug)]
pub struct Frame {
    body: Vec<u8>,
    /// Held for its drop alone.
    _ticket: Option<Ticket>,
}

impl Frame {
    /// A JSON-RPC notification, serialised straight from `params`.
    pub fn notification(
        method: &str,
        params: &impl Serialize,
        ticket: Ticket,
    ) -> serde_json::Result<Frame> {
        #[derive(Serialize)]
        struct Notification<'a, P> {
            jsonrpc: &'static str,
            method: &'a str,
            params: &'a P,
        }
        let body = serde_json::to_vec(&Notification {
            jsonrpc: "2.0",
            method,
            params,
        })?;
        Ok(Frame {
            body,
            _ticket: Some(ticket),
        })
    }
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl From<Vec<u8>> for Frame {
    fn from(body: Vec<u8>) -> Frame {
        Frame {
            body,
            _ticket: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_only_while_over_the_limit_and_wakes_as_tickets_come_back() {
        let backlog = Arc::new(Backlog::new(2));
        let tickets: Vec<Ticket> = (0..4).map(|_| backlog.ticket()).collect();
        assert_eq!(backlog.in_flight(), 4);
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let mut tickets = tickets;
            tickets.truncate(2);
            tickets
        });
        let started = std::time::Instant::now();
        backlog.wait_below_limit();
        // Woken by the two tickets dropped, long before the stall would have released it.
        assert_eq!(backlog.in_flight(), 2);
        assert!(started.elapsed() < STALL);
        let kept = writer.join().unwrap();
        // At the limit nobody waits.
        backlog.wait_below_limit();
        drop(kept);
        assert_eq!(backlog.in_flight(), 0);
    }

    #[test]
    fn a_notification_frame_is_the_json_rpc_message() {
        let backlog = Arc::new(Backlog::unbounded());
        let frame = Frame::notification(
            "textDocument/publishDiagnostics",
            &serde_json::json!({"uri": "file:///x", "diagnostics": []}),
            backlog.ticket(),
        )
        .unwrap();
        let message: serde_json::Value = serde_json::from_slice(frame.as_ref()).unwrap();
        assert_eq!(
            message,
            serde_json::json!({
                "jsonrpc": "2.0",
                "method": "textDocument/publishDiagnostics",
                "params": {"uri": "file:///x", "diagnostics": []}
            })
        );
        assert_eq!(backlog.in_flight(), 1);
        drop(frame);
        assert_eq!(backlog.in_flight(), 0);
    }
}
