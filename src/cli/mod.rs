//! The command-line edge: subcommands that run the analysis without a language client.

pub mod board;
pub mod check;
pub mod fix;
pub mod graph;
pub mod new;
pub mod now;
pub mod query;
pub mod rules;
pub mod transition;
pub mod view_args;

/// The person acting: `--user`, else `FLOWOS_USER` (what ledger lines record). Never a guess: an audit log must not
/// record an unknown actor, nor the login name of whatever machine ran the command.
pub fn acting_user(given: Option<&str>) -> Option<String> {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("FLOWOS_USER").ok())
        .map(|user| user.trim().to_string())
        .filter(|user| !user.is_empty() && user != "@")
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
