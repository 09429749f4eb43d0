//! `flowos-lsp now` end to end on `examples/demo` at a fixed `--now`: the plain text is a
//! snapshot (the WIP overload of `current` red-marked, the blocked tasks' blockers listed), and
//! colour appears only when asked for, never with `NO_COLOR` or when piped.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary; the product may not.

mod support;

use std::path::PathBuf;

use expect_test::expect_file;

use support::faults::{Run, cli};

const NOW: &str = "--now=2026-11-20T12:00:00Z";

fn now(args: &[&str], env: &[(&str, &str)]) -> Run {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    let mut all = vec!["now", folder.to_str().unwrap(), NOW];
    all.extend_from_slice(args);
    cli(&folder, &all, env)
}

#[test]
fn the_demo_now_view_plain_when_piped() {
    let run = now(&[], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains('\x1b'), "piped output has no colour");
    assert!(
        run.stdout
            .contains("!! WIP over limit: current holds 6 of 5")
    );
    expect_file!["snapshots/now/now_demo.txt"].assert_eq(&run.stdout);
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let coloured = now(&["--color", "always"], &[]);
    assert!(
        coloured
            .stdout
            .contains("\x1b[31m!! WIP over limit: current holds 6 of 5\x1b[0m"),
        "{}",
        coloured.stdout
    );
    let strip = coloured.stdout.replace("\x1b[0m", "");
    let plain: String = strip
        .split('\x1b')
        .enumerate()
        .map(|(at, part)| {
            if at == 0 {
                part
            } else {
                part.split_once('m').map_or(part, |(_, rest)| rest)
            }
        })
        .collect();
    assert_eq!(
        plain,
        now(&[], &[]).stdout,
        "colour changes nothing but colour"
    );
    let auto = now(&[], &[("NO_COLOR", "1")]);
    assert!(!auto.stdout.contains('\x1b'));
    let bad = now(&["--color", "rainbow"], &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("use --color auto, always or never"));
}
