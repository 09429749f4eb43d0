//! `flowos-lsp now [PATH]`: the Now view (`ide::now`) in the terminal, in colour on a terminal
//! and plain when piped, with `NO_COLOR` set or `--color never`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::cli::query::clock_now;
use crate::cli::view_args::parse_view_args;
use crate::cli::workspace::load_workspace;
use crate::ide::now::{NowTask, NowView, Severity, now_view};

pub const USAGE: &str = "\
usage: flowos-lsp now [PATH] [--now RFC3339] [--color auto|always|never] [--tasks-root DIR]

The Now view: alerts (P0 active, WIP at or over a limit, tasks beyond their SLO), WIP per
stage against its limit, tasks waiting for a sign-off, tasks displaced by a P0 and the top
blockers of the last 28 days. --now (or $FLOWOS_NOW) fixes the clock. Colour by default only
on a terminal and without NO_COLOR. Exit status: 0 printed, 2 usage or I/O.";

#[derive(Clone, Debug, Default)]
pub struct NowOptions {
    pub path: Option<PathBuf>,
    pub tasks_root: Option<PathBuf>,
    pub now: Option<i64>,
    pub colour: bool,
}

pub fn parse_args(args: &[String]) -> Result<NowOptions, String> {
    let mut colour = None;
    let view = parse_view_args(args, |flag, cursor| {
        if !matches!(flag, "--color" | "--colour") {
            return Ok(false);
        }
        colour = match cursor.value(flag)?.as_str() {
            "always" => Some(true),
            "never" => Some(false),
            "auto" => None,
            other => return Err(format!("`{other}`: use --color auto, always or never")),
        };
        Ok(true)
    })?;
    // The environment is read here, at the edge; `run` only follows the decision.
    let colour = colour.unwrap_or_else(|| {
        std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    });
    Ok(NowOptions {
        path: view.path,
        tasks_root: view.tasks_root,
        now: view.now,
        colour,
    })
}

pub fn run(options: &NowOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let workspace = match load_workspace(&base, options.tasks_root.as_deref(), err) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    // The clock is read here, once.
    let now = options.now.unwrap_or_else(clock_now);
    let text = render(&now_view(&workspace, now), options.colour);
    // A closed pipe (`| head`) is not the command's failure.
    let _ = out.write_all(text.as_bytes());
    0
}

/// ANSI styles, or nothing when plain.
struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn red(&self, text: &str) -> String {
        self.wrap("31", text)
    }
    fn yellow(&self, text: &str) -> String {
        self.wrap("33", text)
    }
    fn green(&self, text: &str) -> String {
        self.wrap("32", text)
    }
}

/// The view as text: one heading per part, markers that read without colour (`!!`, `!`).
pub fn render(view: &NowView, colour: bool) -> String {
    let paint = Paint(colour);
    let mut out = format!("{} {}\n", paint.bold("FlowOS now"), view.now);
    out += &format!("\n{}\n", paint.bold("Alerts"));
    if view.alerts.is_empty() {
        out += &format!("  {}\n", paint.green("none"));
    }
    for alert in &view.alerts {
        out += &match alert.severity {
            Severity::Red => format!("  {}\n", paint.red(&format!("!! {}", alert.text))),
            Severity::Yellow => format!("  {}\n", paint.yellow(&format!("!  {}", alert.text))),
        };
    }
    out += &format!("\n{}\n", paint.bold("WIP"));
    let width = view
        .wip
        .iter()
        .map(|row| row.stage.len())
        .max()
        .unwrap_or(0);
    for row in &view.wip {
        let figure = match row.limit {
            Some(limit) => {
                let text = if row.scope == "per_dri" {
                    format!("{} (busiest DRI {}/{limit})", row.count, row.measured)
                } else {
                    format!("{}/{limit}", row.count)
                };
                if row.measured > limit {
                    paint.red(&text)
                } else if row.measured == limit {
                    paint.yellow(&text)
                } else {
                    paint.green(&text)
                }
            }
            None => format!("{} (no limit)", row.count),
        };
        out += &format!("  {:width$}  {figure}\n", row.stage);
    }
    out += &list(&paint, "Waiting for sign-off", &view.sign_offs);
    out += &list(&paint, "Displaced by a P0", &view.displaced);
    out += &format!("\n{}\n", paint.bold("Top blockers (28 days)"));
    if view.blockers.is_empty() {
        out += "  none\n";
    }
    for blocker in &view.blockers {
        out += &format!(
            "  {:>7.1} h  {}  ({})\n",
            blocker.hours,
            blocker.blocker,
            blocker.tasks.join(", ")
        );
    }
    out
}

fn list(paint: &Paint, title: &str, tasks: &[NowTask]) -> String {
    let mut out = format!("\n{}\n", paint.bold(title));
    if tasks.is_empty() {
        out += "  none\n";
    }
    for task in tasks {
        out += &format!(
            "  {} {}{}: {}\n",
            task.id,
            task.name.as_deref().unwrap_or("(no name)"),
            task.dri
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            task.note
        );
    }
    out
}
