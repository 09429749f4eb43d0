//! What the headless-editor and browser tests (tests/nvim.rs, tests/emacs.rs, tests/helix.rs,
//! tests/board.rs) share: finding the editor (a loud skip locally, a failure in CI; a skip
//! everywhere for an editor CI cannot install) and waiting for it with a deadline.

use std::io::Write;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Whether `program` runs; when it does not, CI fails and a developer's machine skips, loudly.
pub fn available(program: &str, what: &str) -> bool {
    let mut version = Command::new(program);
    version.arg("--version");
    succeeds(version, program, what)
}

/// Whether Python 3 can import `module` (a client library a test drives), with the same rule
/// as [`available`]: CI fails without it, a developer's machine skips loudly.
pub fn python_module(module: &str, what: &str) -> bool {
    let mut import = Command::new("python3");
    import.args(["-c", &format!("import {module}")]);
    succeeds(
        import,
        &format!("python3 with the `{module}` package"),
        what,
    )
}

/// Whether `program` runs, for an editor that no package on the CI machines provides (Helix):
/// without it the test is skipped, loudly, in CI too.
pub fn optional(program: &str, what: &str, why_not_in_ci: &str) -> bool {
    let found = Command::new(program)
        .arg("-V")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        let _ = writeln!(
            std::io::stderr(),
            "\n***** SKIPPED: {program} not found; the {what} end-to-end test did not run \
             ({why_not_in_ci}) *****\n"
        );
    }
    found
}

fn succeeds(mut command: Command, program: &str, what: &str) -> bool {
    let found = command
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{program} not found, and CI=true: the {what} end-to-end test must run in CI"
        );
        // Straight to the process's stderr: the test harness does not capture it, so the skip
        // shows in a plain `cargo test` run.
        let _ = writeln!(
            std::io::stderr(),
            "\n***** SKIPPED: {program} not found; the {what} end-to-end test did not run *****\n"
        );
    }
    found
}

/// Waits for `child` to exit; past `timeout` kills it and panics with `logs()`.
pub fn wait(
    child: &mut Child,
    started: Instant,
    timeout: Duration,
    logs: impl Fn() -> String,
) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the editor did not finish within {timeout:?}\n{}", logs());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
