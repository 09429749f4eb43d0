//! The event line an append worker writes (tests/bin/append_worker.rs), shared with the test
//! that reads the lines back (tests/concurrent_writers.rs).

/// One event line of worker `worker`, numbered `seq`.
pub fn worker_line(worker: usize, seq: usize) -> String {
    format!(
        "{{\"ts\":\"2026-11-20T10:00:00Z\",\"user\":\"@w{worker}\",\"event\":\"content_updated\",\"desc\":\"worker {worker} event {seq}\",\"worker\":{worker},\"seq\":{seq}}}"
    )
}
