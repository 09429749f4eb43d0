//! The system clock. Only the edges read it (the CLI as it starts, the server per request and
//! as SLO moments pass) and hand the analysis the time in `Config::now`, so nothing below them
//! depends on when it runs.

/// Seconds since the epoch by the system clock.
pub fn clock_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}
