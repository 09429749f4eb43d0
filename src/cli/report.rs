//! `flowos-lsp report <name> [PATH]`: the reports of SPEC §9 (`ide::report`) as markdown on
//! stdout, the same text for the same tree and `--now`, ready to commit or post.

use std::io::Write;

use crate::cli::EXIT_USAGE;
use crate::cli::query::{clock_now, leave_to_exit};
use crate::cli::view_args::parse_view_args;
use crate::cli::workspace::load_flow_workspace;
use crate::db::CardReading;
use crate::ide::report::{Report, ReportRequest, render};

/// Where the descriptions of the reports wrap.
const USAGE_WIDTH: usize = 92;

/// The usage text, listing every report of the catalogue with what it answers.
pub fn usage() -> String {
    let reports: String = Report::ALL
        .iter()
        .map(|report| {
            let mut lines = vec![format!("  {:<10}", report.name())];
            for word in report.about().split_whitespace() {
                let last = lines.last_mut().expect("one line at least");
                if last.chars().count() + 1 + word.chars().count() > USAGE_WIDTH {
                    lines.push(format!("{:12} {word}", ""));
                } else {
                    last.push(' ');
                    last.push_str(word);
                }
            }
            lines.join("\n") + "\n"
        })
        .collect();
    format!(
        "usage: flowos-lsp report <REPORT> [PATH] [--now RFC3339] [--week YYYY-Www]
                         [--since TIME] [--until TIME] [--task ID] [--tasks-root DIR]

reports:
{reports}
Every report compares its period with the one before it, as long. --week picks an ISO week;
--since/--until (RFC 3339 or YYYY-MM-DD) any period. --now (or $FLOWOS_NOW, else the clock)
fixes the moment, so the same tree gives the same report. Exit status: 0 written, 2 usage,
unknown task or I/O."
    )
}

#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub request: ReportRequest,
    pub path: Option<std::path::PathBuf>,
    pub tasks_root: Option<std::path::PathBuf>,
    pub now: Option<i64>,
}

pub fn parse_args(args: &[String]) -> Result<ReportOptions, String> {
    let Some((name, rest)) = args.split_first() else {
        return Err(format!("which report? one of {}", Report::names()));
    };
    if matches!(name.as_str(), "-h" | "--help") {
        return Err(String::new());
    }
    let report = Report::parse(name)
        .ok_or_else(|| format!("unknown report `{name}`; reports: {}", Report::names()))?;
    let mut request = ReportRequest {
        report,
        week: None,
        since: None,
        until: None,
        task: None,
    };
    let view = parse_view_args(rest, |flag, cursor| {
        match flag {
            "--week" => request.week = Some(cursor.value(flag)?),
            "--since" => request.since = Some(cursor.value(flag)?),
            "--until" => request.until = Some(cursor.value(flag)?),
            "--task" if report == Report::P0 => request.task = Some(cursor.value(flag)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(ReportOptions {
        request,
        path: view.path,
        tasks_root: view.tasks_root,
        now: view.now,
    })
}

pub fn run(options: &ReportOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let base = options
        .path
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let workspace = match load_flow_workspace(
        &base,
        options.tasks_root.as_deref(),
        // The P0 report quotes the card's root-cause sections.
        CardReading::Whole,
        err,
    ) {
        Ok(workspace) => workspace,
        Err(code) => return code,
    };
    // The clock is read here, once; the report is a function of it.
    let now = options.now.unwrap_or_else(clock_now);
    let code = match render(&workspace, &options.request, now) {
        Ok(text) => {
            // A closed pipe (`| head`) is not the command's failure.
            let _ = out.write_all(text.as_bytes());
            0
        }
        Err(error) => {
            let _ = writeln!(err, "flowos-lsp: {}", error.0);
            EXIT_USAGE
        }
    };
    leave_to_exit(workspace);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_report_comes_first_and_only_p0_takes_a_task() {
        let options = parse_args(&args(
            "weekly ws --week 2026-W47 --now 2026-11-30T00:00:00Z",
        ))
        .unwrap();
        assert_eq!(options.request.report, Report::Weekly);
        assert_eq!(options.request.week.as_deref(), Some("2026-W47"));
        assert_eq!(options.path, Some(std::path::PathBuf::from("ws")));
        assert!(options.now.is_some());
        let p0 = parse_args(&args("p0 --task 0004")).unwrap();
        assert_eq!(p0.request.task.as_deref(), Some("0004"));
        assert!(
            parse_args(&args("weekly --task 0004"))
                .unwrap_err()
                .contains("unknown option")
        );
        assert!(
            parse_args(&args("monthly"))
                .unwrap_err()
                .contains("unknown report `monthly`; reports: weekly, blockers, p0")
        );
        assert!(parse_args(&[]).unwrap_err().contains("which report"));
    }
}
