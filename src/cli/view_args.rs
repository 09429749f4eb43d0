//! The arguments the views (`graph`, `now`, `board`) share: one PATH, `--tasks-root`, `--now`
//! (else `$FLOWOS_NOW`), `--help`; each view handles its own flags through `own`.

use std::path::PathBuf;

use crate::cli::parse_now;
use crate::cli::{Arg, ArgCursor};

#[derive(Clone, Debug, Default)]
pub struct ViewArgs {
    pub path: Option<PathBuf>,
    pub tasks_root: Option<PathBuf>,
    pub now: Option<i64>,
}

/// Reads `args`; `own` is offered every other flag and answers whether it took it.
pub fn parse_view_args(
    args: &[String],
    mut own: impl FnMut(&str, &mut ArgCursor) -> Result<bool, String>,
) -> Result<ViewArgs, String> {
    let mut view = ViewArgs::default();
    let mut cursor = ArgCursor::new(args);
    while let Some(arg) = cursor.next_arg() {
        let flag = match arg {
            Arg::Positional(value) if view.path.is_none() => {
                view.path = Some(PathBuf::from(value));
                continue;
            }
            Arg::Positional(value) => return Err(format!("unexpected argument `{value}`")),
            Arg::Flag(flag) => flag,
        };
        match flag.as_str() {
            "--now" => view.now = Some(parse_now(&cursor.value("--now")?)?),
            "--tasks-root" => view.tasks_root = Some(PathBuf::from(cursor.value("--tasks-root")?)),
            "-h" | "--help" => return Err(String::new()),
            _ if own(&flag, &mut cursor)? => {}
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    if view.now.is_none()
        && let Ok(text) = std::env::var("FLOWOS_NOW")
    {
        view.now = Some(parse_now(&text).map_err(|e| format!("FLOWOS_NOW: {e}"))?);
    }
    Ok(view)
}
