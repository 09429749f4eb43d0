//! The command-line edge: subcommands that run the analysis without a language client.

pub mod approve;
pub mod board;
pub mod check;
pub mod fix;
pub mod graph;
pub mod new;
pub mod now;
pub mod propose;
pub mod query;
pub mod rename;
pub mod report;
pub mod rules;
pub mod transition;
pub mod view_args;
pub mod workspace;

use std::path::PathBuf;

use crate::syntax::time::parse_rfc3339;

/// Exit codes of every subcommand.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_ERRORS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// The moment a subcommand acts at: `--now` when given, else `$FLOWOS_NOW`, else the clock.
/// Read once, at the edge; the analysis gets it in `Config::now`.
pub fn now_at_the_edge(given: Option<i64>) -> Result<i64, String> {
    if let Some(now) = given {
        return Ok(now);
    }
    match std::env::var("FLOWOS_NOW") {
        Ok(text) => parse_now(&text).map_err(|e| format!("FLOWOS_NOW: {e}")),
        Err(_) => Ok(crate::clock::clock_now()),
    }
}

/// `--now` and `FLOWOS_NOW`: an RFC 3339 time with an offset.
pub fn parse_now(text: &str) -> Result<i64, String> {
    parse_rfc3339(text.trim()).ok_or_else(|| {
        format!("`{text}` is not an RFC 3339 time with an offset, e.g. 2026-11-20T12:00:00Z")
    })
}

/// The person acting: `--user`, else `FLOWOS_USER` (what ledger lines record). Never a guess: an audit log must not
/// record an unknown actor, nor the login name of whatever machine ran the command.
pub fn acting_user(given: Option<&str>) -> Option<String> {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("FLOWOS_USER").ok())
        .map(|user| user.trim().to_string())
        .filter(|user| !user.is_empty() && user != "@")
}

/// What the subcommands that write (`new`, `transition`) take alike: their positional
/// values in order, and the options every writer has.
#[derive(Debug, Default)]
pub struct WriterArgs {
    pub positional: Vec<String>,
    /// The tasks root, instead of searching PATH for one (`--tasks-root`).
    pub tasks_root: Option<PathBuf>,
    pub user: Option<String>,
    pub now: Option<i64>,
}

impl WriterArgs {
    /// Reads `args`; a flag the writers do not share goes to `own_flag`, which reads its value
    /// from the cursor if it takes one, and answers whether it knew the flag.
    pub fn parse(
        args: &[String],
        mut own_flag: impl FnMut(&str, &mut ArgCursor) -> Result<bool, String>,
    ) -> Result<WriterArgs, String> {
        let mut parsed = WriterArgs::default();
        let mut cursor = ArgCursor::new(args);
        while let Some(arg) = cursor.next_arg() {
            let flag = match arg {
                Arg::Positional(value) => {
                    parsed.positional.push(value);
                    continue;
                }
                Arg::Flag(flag) => flag,
            };
            match flag.as_str() {
                "--user" => parsed.user = Some(cursor.value("--user")?),
                "--tasks-root" => {
                    parsed.tasks_root = Some(PathBuf::from(cursor.value("--tasks-root")?));
                }
                "--now" => parsed.now = Some(parse_now(&cursor.value("--now")?)?),
                "-h" | "--help" => return Err(String::new()),
                _ if own_flag(&flag, &mut cursor)? => {}
                _ => return Err(format!("unknown option `{flag}`")),
            }
        }
        Ok(parsed)
    }
}

/// Refuses positional values beyond those a subcommand took.
pub fn no_more_positional(mut rest: impl Iterator<Item = String>) -> Result<(), String> {
    match rest.next() {
        Some(extra) => Err(format!("unexpected argument `{extra}`")),
        None => Ok(()),
    }
}

/// One command-line argument: a flag (`--name`, `-h`) or a positional value.
#[derive(Debug, PartialEq, Eq)]
pub enum Arg {
    Flag(String),
    Positional(String),
}

/// Walks a subcommand's arguments; a flag's value comes inline (`--name=value`) or as the
/// next argument, so every subcommand spells options the same way.
pub struct ArgCursor<'a> {
    args: std::slice::Iter<'a, String>,
    inline: Option<String>,
}

impl<'a> ArgCursor<'a> {
    pub fn new(args: &'a [String]) -> ArgCursor<'a> {
        ArgCursor {
            args: args.iter(),
            inline: None,
        }
    }

    pub fn next_arg(&mut self) -> Option<Arg> {
        self.inline = None;
        let arg = self.args.next()?;
        if let Some((flag, value)) = arg.split_once('=').filter(|(f, _)| f.starts_with("--")) {
            self.inline = Some(value.to_string());
            return Some(Arg::Flag(flag.to_string()));
        }
        Some(if arg.starts_with('-') && arg.len() > 1 {
            Arg::Flag(arg.clone())
        } else {
            Arg::Positional(arg.clone())
        })
    }

    /// The value of the flag just read.
    pub fn value(&mut self, flag: &str) -> Result<String, String> {
        self.inline
            .take()
            .or_else(|| self.args.next().cloned())
            .ok_or_else(|| format!("{flag} needs a value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_take_inline_or_following_values() {
        let args: Vec<String> = ["--user=@ana", "TASK-1", "--now", "T", "-h", "-"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut cursor = ArgCursor::new(&args);
        assert_eq!(cursor.next_arg(), Some(Arg::Flag("--user".into())));
        assert_eq!(cursor.value("--user").unwrap(), "@ana");
        assert_eq!(cursor.next_arg(), Some(Arg::Positional("TASK-1".into())));
        assert_eq!(cursor.next_arg(), Some(Arg::Flag("--now".into())));
        assert_eq!(cursor.value("--now").unwrap(), "T");
        assert_eq!(cursor.next_arg(), Some(Arg::Flag("-h".into())));
        assert_eq!(cursor.next_arg(), Some(Arg::Positional("-".into())));
        assert_eq!(cursor.next_arg(), None);
        assert!(cursor.value("--x").is_err());
    }
}
