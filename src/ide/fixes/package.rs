//! Fixes of task packages and their bookkeeping files: missing-section,
//! package-file-missing, id-counter-stale and ledger-stage-drift.

use crate::db::flow::ledger_stage;
use crate::db::vocab::Stage;
use crate::db::{FileRole, Parsed, TaskIdx, Workspace};
use crate::ide::diagnostics::id_counter::next_free_id;
use crate::ide::diagnostics::sections::REQUIRED_SECTIONS;
use crate::ide::edit::{line_ending, line_start, splice};
use crate::ide::fixes::{Fixes, backticked, rewrite};
use crate::ide::source_change::{FileChange, SourceChange};
use crate::ide::types::Diagnostic;
use crate::syntax::card::{ACCEPTANCE_CRITERIA, Card};

/// missing-section: add the `## Heading` where the section order puts it: before the first
/// later required section the card has, else after the last earlier one, else at the end.
/// Acceptance Criteria comes with one unchecked item, since an empty one is a warning of
/// its own.
pub(super) fn missing_section(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Parsed::Card(card) = &ws.file(d.file).parsed else {
        return;
    };
    let Some(title) = backticked(&d.message).and_then(|heading| heading.strip_prefix("## ")) else {
        return;
    };
    let text = &ws.file(d.file).text;
    fixes.change(
        format!("Add the `## {title}` section"),
        true,
        rewrite(ws, d.file, add_section(text, card, title)),
    );
}

fn add_section(text: &str, card: &Card, title: &str) -> Option<String> {
    let order = REQUIRED_SECTIONS
        .iter()
        .position(|required| required.eq_ignore_ascii_case(title))?;
    let eol = line_ending(text);
    let mut section = format!("## {title}{eol}{eol}");
    if title.eq_ignore_ascii_case(ACCEPTANCE_CRITERIA) {
        section.push_str(&format!("- [ ] TODO{eol}{eol}"));
    }
    let present = |names: &[&str]| {
        card.sections
            .iter()
            .filter(|section| {
                names
                    .iter()
                    .any(|name| section.title.eq_ignore_ascii_case(name))
            })
            .collect::<Vec<_>>()
    };
    let later = present(&REQUIRED_SECTIONS[order + 1..]);
    if let Some(next) = later
        .iter()
        .min_by_key(|section| section.heading_range.start)
    {
        let at = line_start(text, next.heading_range.start as usize);
        return Some(splice(text, at, at, &section));
    }
    let earlier = present(&REQUIRED_SECTIONS[..order]);
    let after = earlier
        .iter()
        .map(|section| section.content_range.end as usize)
        .max();
    match after {
        // Another (non-required) heading follows the last earlier section.
        Some(at) if at < text.len() => {
            let at = line_start(text, at);
            Some(splice(text, at, at, &section))
        }
        _ => {
            // At the end of the file, after a blank line.
            let mut tail = String::new();
            if !text.is_empty() && !text.ends_with('\n') {
                tail.push_str(eol);
            }
            let body = &text[card.body_start.min(text.len())..];
            if !body.trim().is_empty() && !text.ends_with(&format!("{eol}{eol}")) {
                tail.push_str(eol);
            }
            let section = section.trim_end_matches(['\r', '\n']).to_string() + eol;
            Some(format!("{text}{tail}{section}"))
        }
    }
}

/// package-file-missing: create the missing context and ledger files (a card needs its
/// writer). The context gets a short heading to fill in. The ledger is created empty, not
/// with a `created` event: an event dated now would claim the task was created now and, for
/// a task past inbox, put the ledger at odds with the folder (ledger-stage-drift); an empty
/// ledger trips no rule and the next transition appends to it.
pub(super) fn package_file_missing(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    // Without a card the folder stays incomplete whatever else is created, and a card's
    // name, DRI and goal are the writer's to give.
    let Some(task) = ws.task_of_file(d.file).filter(|task| task.card.is_some()) else {
        return;
    };
    let folder = ws.roots[task.root].path.join(&task.folder);
    let short = task.id.short();
    let mut created: Vec<(String, String)> = Vec::new();
    if task.context.is_none() {
        let name = task.meta.task_name.as_deref().unwrap_or("");
        let text = format!(
            "# Context for {}{}{}\n\nWhat someone needs to know to do this task: background, constraints, links.\n",
            task.id,
            if name.is_empty() { "" } else { ": " },
            name
        );
        created.push((format!("{short}.context.md"), text));
    }
    if task.ledger.is_none() {
        created.push((format!("{short}.ledger.jsonl"), String::new()));
    }
    // Something the loader did not read (a link, a pipe) is in the way of a create: an
    // editor told to create the file "if it does not exist" would write through the link.
    let unread = |name: &str| {
        ws.load_problem(task.root, &format!("{}/{name}", task.folder))
            .is_some()
    };
    let changes: Vec<FileChange> = created
        .iter()
        .filter(|(name, _)| !unread(name))
        .map(|(name, text)| (folder.join(name), text))
        .filter(|(path, _)| {
            ws.file_by_path(path)
                .is_none_or(|file| !ws.file(file).exists)
        })
        .map(|(path, text)| FileChange::Create {
            path,
            text: text.clone(),
        })
        .collect();
    if changes.len() != created.len() || changes.is_empty() {
        return;
    }
    let names: Vec<String> = created
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    fixes.change(
        format!("Create {}", names.join(" and ")),
        true,
        Some(SourceChange { changes }),
    );
}

/// id-counter-stale: set the counter to one past the highest ID it covers, keeping its
/// width and whatever surrounds the number; create it when it does not exist.
pub(super) fn id_counter_stale(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let file = ws.file(d.file);
    let root = file.root;
    if file.role != FileRole::IdCounter {
        // No counter covers a task: the tasks root's counter is the one to create.
        let path = ws.roots[root].path.join("ID_COUNTER.txt");
        if ws.file_by_path(&path).is_some() || ws.load_problem(root, "ID_COUNTER.txt").is_some() {
            return;
        }
        let next = next_free_id(ws, root, None);
        fixes.change(
            format!("Create ID_COUNTER.txt holding {next:04}"),
            true,
            Some(SourceChange::create(path, format!("{next:04}\n"))),
        );
        return;
    }
    let next = next_free_id(ws, root, Some(d.file));
    if !file.exists && ws.load_problem(root, &file.rel).is_some() {
        // There is something at the counter's path that was not read (a link, a pipe):
        // creating a file there would write through it.
        return;
    }
    if !file.exists {
        fixes.change(
            format!("Create {} holding {next:04}", file.rel),
            true,
            Some(SourceChange::create(
                file.path.clone(),
                format!("{next:04}\n"),
            )),
        );
        return;
    }
    fixes.change(
        format!("Set {} to {next:04}", file.rel),
        true,
        rewrite(ws, d.file, Some(counter_text(&file.text, next))),
    );
}

/// The counter text holding `next`, as wide as the number it replaces (at least 4 digits).
fn counter_text(text: &str, next: u32) -> String {
    let number = text.trim();
    if number.is_empty() {
        return format!("{next:04}{}", line_ending(text));
    }
    let start = text.len() - text.trim_start().len();
    let width = if number.bytes().all(|b| b.is_ascii_digit()) {
        number.len()
    } else {
        4
    };
    splice(
        text,
        start,
        start + number.len(),
        &format!("{next:0width$}"),
    )
}

/// ledger-stage-drift: finish the move the ledger records. Safe when the ledger is ahead of
/// the folder, which is what an interrupted transition leaves (the ledger is written
/// first); a folder ahead of its ledger was moved by hand, and moving it back is only
/// offered.
pub(super) fn ledger_stage_drift(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    if let Some(idx) = ws.task_idx_of_file(d.file) {
        move_where_the_ledger_says(ws, idx, fixes);
    }
}

/// The stage the task's ledger puts it in, when that is not its folder's. The ledger is the
/// record of what happened, so while it disagrees with the folder, every fix follows it
/// (stage-mismatch, the index rows) rather than the folder.
pub(super) fn ledger_ahead_or_behind(ws: &Workspace, idx: TaskIdx) -> Option<Stage> {
    let task = ws.task(idx);
    let stage = ws.ledger(task).and_then(ledger_stage)?.belongs_in();
    (stage != task.stage).then_some(stage)
}

/// Offers the move the ledger says happened: finishing an interrupted move (the ledger is
/// ahead) is the one right answer; moving a folder back that was moved by hand is only
/// offered. False when the ledger agrees with the folder.
pub(super) fn move_where_the_ledger_says(ws: &Workspace, idx: TaskIdx, fixes: &mut Fixes) -> bool {
    let Some(stage) = ledger_ahead_or_behind(ws, idx) else {
        return false;
    };
    let task = ws.task(idx);
    fixes.transition(
        format!("Finish moving {} to {stage}", task.id),
        stage > task.stage,
        idx,
        stage,
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::card::parse_card;

    fn added(text: &str, title: &str) -> String {
        add_section(text, &parse_card(text), title).unwrap()
    }

    #[test]
    fn sections_go_where_the_order_puts_them_in_the_files_line_endings() {
        let text = "---\r\na: 1\r\n---\r\n## Goal\r\n\r\nG.\r\n\r\n## Notes\r\n\r\nN.\r\n";
        // After Goal, before the unrelated Notes section that follows it.
        assert_eq!(
            added(text, "Inputs Required"),
            "---\r\na: 1\r\n---\r\n## Goal\r\n\r\nG.\r\n\r\n## Inputs Required\r\n\r\n## Notes\r\n\r\nN.\r\n"
        );
        // Nothing before it: before the first later section.
        let text = "---\na: 1\n---\n\n## Expected Outputs\n\nE.\n";
        assert_eq!(
            added(text, "Goal"),
            "---\na: 1\n---\n\n## Goal\n\n## Expected Outputs\n\nE.\n"
        );
        // No sections at all, and no final newline: at the end after a blank line.
        assert_eq!(
            added("---\na: 1\n---\nIntro.", "Goal"),
            "---\na: 1\n---\nIntro.\n\n## Goal\n"
        );
        assert_eq!(
            added("---\na: 1\n---\n", "Goal"),
            "---\na: 1\n---\n## Goal\n"
        );
    }

    #[test]
    fn counters_keep_their_width_and_surroundings() {
        assert_eq!(counter_text("0042\n", 43), "0043\n");
        assert_eq!(counter_text("  00042  \r\n", 100), "  00100  \r\n");
        assert_eq!(counter_text("42", 9999), "9999");
        assert_eq!(counter_text("abc\n", 7), "0007\n");
        assert_eq!(counter_text("", 7), "0007\n");
        assert_eq!(counter_text("\r\n", 7), "0007\r\n");
    }
}
