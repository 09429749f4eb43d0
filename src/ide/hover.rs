//! Hover on a task reference or on a card's own `task_id`: what the task is, where it stands,
//! what it waits on, who waits on it, and what happened to it last. Also the small lookups
//! the other insight features share (a task's dependents, its state label).

use crate::base::TextRange;
use crate::db::flow::stage_entry;
use crate::db::mentions::MentionKind;
use crate::db::metrics::{task_figures, timeline_of};
use crate::db::slo::{duration, slo_policy, task_slo};
use crate::db::timeline::Timeline;
use crate::db::{FileId, Task, Workspace};
use crate::syntax::ledger::LineKind;
use crate::syntax::wip_policy::WipPolicy;

/// Markdown to show for the text `range` under the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverResult {
    pub range: TextRange,
    pub markdown: String,
}

/// How many ledger events a hover shows, newest first.
const EVENTS_SHOWN: usize = 3;

/// Hover at byte `offset` of `file`; `now` (seconds since the epoch) measures time in stage.
pub fn hover(workspace: &Workspace, file: FileId, offset: usize, now: i64) -> Option<HoverResult> {
    let mention = workspace.mention_at(file, offset)?;
    let source = workspace.file(file);
    let range = unquoted(&source.text, mention.range);
    let markdown = match workspace.lookup_in(source.root, &mention.id) {
        Some(task) => describe(workspace, task, now),
        None => format!(
            "**{id}**\n\nNo task has the ID `{id}` in this tasks root.",
            id = mention.id
        ),
    };
    Some(HoverResult { range, markdown })
}

fn describe(workspace: &Workspace, task: &Task, now: i64) -> String {
    let meta = &task.meta;
    let mut out = format!("**{}**", task.id);
    if let Some(name) = task_name(task) {
        out.push_str(&format!(" · {}", one_line(name)));
    }

    let owners = workspace.owners(task.root, &task.id);
    if owners.len() > 1 {
        let folders: Vec<String> = owners
            .iter()
            .map(|&idx| format!("`{}`", workspace.task(idx).folder))
            .collect();
        out.push_str(&format!(
            "\n\n{} task folders carry this ID: {}",
            owners.len(),
            folders.join(", ")
        ));
    }

    let mut stage = format!("stage `{}`", task.stage);
    if let Some(written) = meta.stage().filter(|&written| written != task.stage) {
        stage.push_str(&format!(" (card says `{written}`)"));
    }
    let value = |value: Option<&str>| value.map_or("—".to_string(), |v| format!("`{v}`"));
    out.push_str(&format!(
        "\n\n{stage} · status {} · DRI {} · priority {} · effort {}",
        value(meta.status().map(|status| status.name())),
        value(meta.current_dri.as_deref()),
        value(meta.priority.as_deref()),
        value(meta.effort.as_deref()),
    ));

    if let Some(time) = time_in_stage(workspace, task, now) {
        out.push_str(&format!("\n\n{time}"));
    }
    if let Some(flow) = flow_line(workspace, task, now) {
        out.push_str(&format!("\n\n{flow}"));
    }

    let dependencies: Vec<String> = meta
        .depends_on
        .iter()
        .map(|item| match workspace.lookup_in(task.root, &item.id) {
            Some(target) => format!("{} `{}`", item.id, target.stage),
            None => format!("{} `missing`", item.id),
        })
        .collect();
    if dependencies.is_empty() {
        out.push_str("\n\nno dependencies");
    } else {
        out.push_str(&format!("\n\ndepends on {}", dependencies.join(", ")));
    }
    out.push_str(&format!(
        "\n\n{}",
        count(dependents(workspace, task).len(), "dependent")
    ));

    let events = last_events(workspace, task);
    if !events.is_empty() {
        out.push_str("\n\nlast events:");
        for line in events {
            out.push_str(&format!("\n- {line}"));
        }
    }
    out
}

/// `in backlog for 8d 2h (over SLO 7d)`; None when the ledger does not say when the task
/// entered its stage.
fn time_in_stage(workspace: &Workspace, task: &Task, now: i64) -> Option<String> {
    let (entered, _) = stage_entry(workspace, task)?;
    let hours = (now - entered).max(0) / 3600;
    let mut text = format!("in {} for {}", task.stage, duration(hours));
    if let Some(slo) = slo_part(workspace, task, hours) {
        text.push_str(&format!(" ({slo})"));
    }
    Some(text)
}

/// `lead time 7d 10h · blocked 2d · flow efficiency 73%` for a closed task, `in flight …`
/// for an open one (SPEC §9's per-task figures, from the ledger); the reason when the ledger
/// cannot support them; None without a ledger.
fn flow_line(workspace: &Workspace, task: &Task, now: i64) -> Option<String> {
    let timeline = timeline_of(workspace, task)?;
    let figures = task_figures(Some(timeline), now);
    if let Some(reason) = figures.skipped {
        return Some(format!("no flow figures: {reason}"));
    }
    let life = match (figures.lead_hours, figures.in_flight_hours) {
        (Some(lead), _) => format!("lead time {}", hours_text(lead)),
        (None, Some(open)) => format!("in flight {}", hours_text(open)),
        // Canceled or split: its life ended without a lead time.
        (None, None) => format!(
            "{} after {}",
            figures.state,
            hours_text(life_hours(timeline)?)
        ),
    };
    let mut parts = vec![life];
    parts.push(format!(
        "blocked {}",
        hours_text(figures.blocked_hours.unwrap_or(0.0))
    ));
    if let Some(efficiency) = figures.flow_efficiency_pct {
        parts.push(format!("flow efficiency {}%", efficiency.round()));
    }
    Some(parts.join(" · "))
}

/// Creation to end, in hours, of a task whose life ended.
fn life_hours(timeline: &Timeline) -> Option<f64> {
    let (end, _) = timeline.ended?;
    Some((end - timeline.created?) as f64 / 3600.0)
}

/// Hours as `2d 16h`, rounded to the hour (`0h` for none).
pub(crate) fn hours_text(hours: f64) -> String {
    duration(hours.round() as i64)
}

/// `SLO 7d` or `over SLO 7d` for a task `hours` into its stage; None when the task is not
/// measured against an SLO (the rules of `slo-exceeded`).
pub(crate) fn slo_part(workspace: &Workspace, task: &Task, hours: i64) -> Option<String> {
    let defaults = WipPolicy::defaults();
    let policy = slo_policy(workspace, task.root, &defaults);
    let slo = task_slo(task, policy)?;
    let over = if hours > slo.target { "over " } else { "" };
    Some(format!("{over}SLO {}", duration(slo.target)))
}

/// The newest ledger events, newest first: `` `ts` `event` desc ``.
fn last_events(workspace: &Workspace, task: &Task) -> Vec<String> {
    let Some(ledger) = workspace.ledger(task) else {
        return Vec::new();
    };
    ledger
        .lines
        .iter()
        .rev()
        .filter_map(|line| match &line.kind {
            LineKind::Event(event) => Some(event),
            _ => None,
        })
        .take(EVENTS_SHOWN)
        .map(|event| {
            let mut line = format!(
                "`{}` `{}`",
                event.ts().unwrap_or("?"),
                event.event().unwrap_or("?")
            );
            // Some workflows write `reason` where the schema expects `desc`.
            if let Some(desc) = event.desc().or_else(|| event.str_field("reason")) {
                line.push(' ');
                line.push_str(&shorten(&one_line(desc), 120));
            }
            line
        })
        .collect()
}

/// The tasks whose card lists `task` in `depends_on`, each once, found through the mention
/// index.
pub(crate) fn dependents<'w>(workspace: &'w Workspace, task: &Task) -> Vec<&'w Task> {
    let mut files: Vec<FileId> = workspace
        .mentions_of(task.root, &task.id)
        .filter(|&(_, _, kind)| kind == MentionKind::Field("depends_on"))
        .map(|(file, _, _)| file)
        .collect();
    files.dedup();
    files
        .into_iter()
        .filter_map(|file| task_of_card(workspace, file))
        .collect()
}

/// The task whose card `file` is (not a stray second card in its folder, nor a history
/// version), through the model's file-to-task index.
pub(crate) fn task_of_card(workspace: &Workspace, file: FileId) -> Option<&Task> {
    workspace
        .task_of_file(file)
        .filter(|task| task.card == Some(file))
}

/// `current·blocked` (just the stage when the card's status is unreadable).
pub(crate) fn state_label(task: &Task) -> String {
    match task.meta.status() {
        Some(status) => format!("{}·{}", task.stage, status),
        None => task.stage.to_string(),
    }
}

/// The task's name from its card, else the folder's slug.
pub(crate) fn task_name(task: &Task) -> Option<&str> {
    task.meta
        .task_name
        .as_deref()
        .or(task.slug.as_deref())
        .filter(|name| !name.is_empty())
}

/// `range` without the quotes of a quoted YAML scalar, so a highlight covers the ID only.
pub(crate) fn unquoted(text: &str, range: TextRange) -> TextRange {
    let value = range.slice(text);
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')));
    if quoted {
        TextRange::new(range.start as usize + 1, range.end as usize - 1)
    } else {
        range
    }
}

/// `1 dependent`, `3 dependents`, `no dependents`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    match n {
        0 => format!("no {noun}s"),
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::ide::fixture::{COUNTER, package, workspace_at};
    use crate::syntax::time::parse_rfc3339;

    fn now() -> i64 {
        parse_rfc3339("2026-04-09T02:00:00Z").unwrap()
    }

    /// The hovered text between backticks, then the markdown.
    fn check(fixture: &str, expect: Expect) {
        let (workspace, file, offset) = workspace_at(fixture);
        let actual = match hover(&workspace, file, offset, now()) {
            Some(result) => format!(
                "`{}`\n{}\n",
                result.range.slice(&workspace.file(file).text),
                result.markdown
            ),
            None => "no hover\n".to_string(),
        };
        expect.assert_eq(&actual);
    }

    /// Three tasks: 0001 depends on 0002 (in integration, with ledger history) and on a
    /// missing 0009; 0003 depends on 0002 too.
    fn fixture() -> String {
        let target = package(
            "integration/TASK-0002-b",
            "task_name: \"Login API\"\ncurrent_dri: \"@bo\"\npriority: P1\neffort_estimate: S",
        );
        let history = [
            ("2026-03-03T09:00:00Z", "verified", "Verified"),
            ("2026-03-05T09:00:00Z", "started", "Started"),
            ("2026-04-06T10:00:00Z", "implemented", "Done\nat last"),
        ]
        .iter()
        .map(|(ts, event, desc)| {
            format!(
                "{{\"ts\":\"{ts}\",\"user\":\"@bo\",\"event\":\"{event}\",\"desc\":{desc:?}}}\n"
            )
        })
        .collect::<String>();
        let target = target.replace(
            "\"desc\":\"Created\"}\n",
            &format!("\"desc\":\"Created\"}}\n{history}"),
        );
        format!(
            "{COUNTER}{}{target}{}//- /INDEX.md\n| ID | Name | DRI | Stage | Status | Dependencies |\n|---|---|---|---|---|---|\n| 0001 | Task 0001 | @ana | backlog | active | 0002, 0009 |\n",
            package(
                "backlog/TASK-0001-a",
                "depends_on: [\"TASK-0002\", \"0009\"]"
            ),
            package("backlog/TASK-0003-c", "")
                .replace("depends_on: []", "depends_on:\n  - TASK-0002"),
        )
    }

    const TARGET: &str = "**TASK-0002** · Login API\n\nstage `integration` · status `active` · DRI `@bo` · priority `P1` · effort `S`\n\nin integration for 2d 16h (over SLO 2d)\n\nin flight 37d 17h · blocked 0h · flow efficiency 100%\n\nno dependencies\n\n2 dependents\n\nlast events:\n- `2026-04-06T10:00:00Z` `implemented` Done at last\n- `2026-03-05T09:00:00Z` `started` Started\n- `2026-03-03T09:00:00Z` `verified` Verified\n";

    fn check_target(fixture: &str, hovered: &str) {
        let (workspace, file, offset) = workspace_at(fixture);
        let result = hover(&workspace, file, offset, now()).expect("a hover");
        let text = &workspace.file(file).text;
        assert_eq!(
            format!("`{}`\n{}\n", result.range.slice(text), result.markdown),
            format!("`{hovered}`\n{TARGET}")
        );
    }

    #[test]
    fn quoted_flow_list_item() {
        let fixture = fixture().replace("[\"TASK-0002\", \"0009\"]", "[\"TASK-00$002\", \"0009\"]");
        check_target(&fixture, "TASK-0002");
        check(
            &fixture,
            expect![[r#"
                `TASK-0002`
                **TASK-0002** · Login API

                stage `integration` · status `active` · DRI `@bo` · priority `P1` · effort `S`

                in integration for 2d 16h (over SLO 2d)

                in flight 37d 17h · blocked 0h · flow efficiency 100%

                no dependencies

                2 dependents

                last events:
                - `2026-04-06T10:00:00Z` `implemented` Done at last
                - `2026-03-05T09:00:00Z` `started` Started
                - `2026-03-03T09:00:00Z` `verified` Verified
            "#]],
        );
    }

    #[test]
    fn unquoted_block_list_item() {
        let fixture = fixture().replace("  - TASK-0002", "  - TASK-0002$0");
        check_target(&fixture, "TASK-0002");
    }

    #[test]
    fn unquoted_flow_and_quoted_block_items() {
        let flow = fixture().replace("[\"TASK-0002\", \"0009\"]", "[TASK-0002$0, \"0009\"]");
        check_target(&flow, "TASK-0002");
        let block = fixture().replace("  - TASK-0002", "  - \"$00002\"");
        check_target(&block, "0002");
    }

    #[test]
    fn body_reference_after_an_emoji() {
        let fixture = fixture().replacen("Do the thing.", "🎉 Do it after TASK-0$0002, é.", 1);
        check_target(&fixture, "TASK-0002");
    }

    #[test]
    fn ledger_reference() {
        let fixture = fixture().replacen(
            "\"desc\":\"Created\"}",
            "\"desc\":\"Created 🎉 after TASK-000$02\"}",
            1,
        );
        check_target(&fixture, "TASK-0002");
    }

    #[test]
    fn index_row_id_and_dependency_cells() {
        let row = fixture().replace("| 0002, 0009 |", "| 00$002, 0009 |");
        check_target(&row, "0002");
        let own = fixture().replace("| 0001 | Task 0001", "| $00001 | Task 0001");
        check(
            &own,
            expect![[r#"
                `0001`
                **TASK-0001** · Task 0001

                stage `backlog` · status `active` · DRI `@ana` · priority — · effort —

                in flight 37d 17h · blocked 0h · flow efficiency 100%

                depends on TASK-0002 `integration`, TASK-0009 `missing`

                no dependents

                last events:
                - `2026-03-02T09:00:00Z` `created` Created
            "#]],
        );
    }

    #[test]
    fn the_card_s_own_task_id() {
        let fixture = fixture().replacen("task_id: \"0002\"", "task_id: \"0002$0\"", 1);
        check_target(&fixture, "0002");
    }

    #[test]
    fn unknown_id() {
        let fixture = fixture().replace("\"0009\"]", "\"00$009\"]");
        check(
            &fixture,
            expect![[r#"
                `0009`
                **TASK-0009**

                No task has the ID `TASK-0009` in this tasks root.
            "#]],
        );
    }

    /// A package in `folder` whose ledger goes on after `created` with `events` (`ts`, event,
    /// extra fields).
    fn with_history(folder: &str, events: &[(&str, &str, &str)]) -> String {
        let history: String = events
            .iter()
            .map(|(ts, event, extra)| {
                format!("{{\"ts\":\"{ts}\",\"user\":\"@bo\",\"event\":\"{event}\",\"desc\":\"d\"{extra}}}\n")
            })
            .collect();
        package(folder, "").replace(
            "\"desc\":\"Created\"}\n",
            &format!("\"desc\":\"Created\"}}\n{history}"),
        )
    }

    #[test]
    fn flow_figures_of_a_closed_task() {
        // Created 2 March 09:00 (the package's `created`), closed 9 March 09:00: lead 168 h,
        // 7d. Blocked 4 March 09:00 to 5 March 21:00: 36 h, 1d 12h. Paused 6 March 09:00 to
        // 21:00: 12 h. Active 168 − 36 − 12 = 120 h; efficiency 120 / 168 = 71.4%.
        let closed = with_history(
            "archived/TASK-0004-d",
            &[
                ("2026-03-03T09:00:00Z", "started", ""),
                (
                    "2026-03-04T09:00:00Z",
                    "blocked",
                    ",\"blocked_by\":\"task:0002\"",
                ),
                ("2026-03-05T21:00:00Z", "unblocked", ""),
                ("2026-03-06T09:00:00Z", "paused", ""),
                ("2026-03-06T21:00:00Z", "resumed", ""),
                ("2026-03-07T09:00:00Z", "implemented", ""),
                ("2026-03-09T09:00:00Z", "closed", ""),
            ],
        );
        let fixture = format!(
            "{COUNTER}{}{closed}",
            package("backlog/TASK-0001-a", "depends_on: [\"TASK-00$004\"]")
        );
        check(
            &fixture,
            expect![[r#"
                `TASK-0004`
                **TASK-0004** · Task 0004

                stage `archived` · status `active` · DRI `@ana` · priority `P2` · effort `M`

                in archived for 30d 17h

                lead time 7d · blocked 1d 12h · flow efficiency 71%

                no dependencies

                1 dependent

                last events:
                - `2026-03-09T09:00:00Z` `closed` d
                - `2026-03-07T09:00:00Z` `implemented` d
                - `2026-03-06T21:00:00Z` `resumed` d
            "#]],
        );
    }

    #[test]
    fn an_untrusted_ledger_gives_its_reason_instead_of_figures() {
        // `started` is dated a day before `created`: the ledger cannot be measured.
        let unordered = with_history(
            "current/TASK-0004-d",
            &[("2026-03-01T09:00:00Z", "started", "")],
        );
        let fixture = format!(
            "{COUNTER}{}{unordered}",
            package("backlog/TASK-0001-a", "depends_on: [\"TASK-00$004\"]")
        );
        let (workspace, file, offset) = workspace_at(&fixture);
        let markdown = hover(&workspace, file, offset, now()).unwrap().markdown;
        assert!(
            markdown.contains(
                "\n\nno flow figures: ledger line 2: `started` is dated before the event of line 1\n\n"
            ),
            "{markdown}"
        );
    }

    #[test]
    fn nothing_away_from_a_reference() {
        let fixture = fixture().replacen("Do the thing.", "Do $0the thing.", 1);
        check(&fixture, expect!["no hover\n"]);
    }

    #[test]
    fn namespaced_and_unqualified_references_in_a_namespaced_card() {
        let namespaced = format!(
            "{COUNTER}{}{}{}",
            package(
                "current/TASK-FW-0001-a",
                "depends_on: [\"0002\", TASK-FW-0003]\neffort_estimate: L\npriority: P0"
            ),
            package("backlog/TASK-FW-0002-b", "blocks: [\"0001\"]"),
            package("backlog/TASK-0002-b", ""),
        );
        let unqualified = namespaced.replace("[\"0002\",", "[\"0$0002\",");
        check(
            &unqualified,
            expect![[r#"
                `0002`
                **TASK-FW-0002** · Task FW-0002

                stage `backlog` · status `active` · DRI `@ana` · priority — · effort —

                in flight 37d 17h · blocked 0h · flow efficiency 100%

                no dependencies

                1 dependent

                last events:
                - `2026-03-02T09:00:00Z` `created` Created
            "#]],
        );
        let qualified = namespaced.replace("TASK-FW-0003]", "TASK-FW-$00003]");
        check(
            &qualified,
            expect![[r#"
                `TASK-FW-0003`
                **TASK-FW-0003**

                No task has the ID `TASK-FW-0003` in this tasks root.
            "#]],
        );
        let own = namespaced.replacen("task_id: \"FW-0001\"", "task_id: \"FW-$00001\"", 1);
        check(
            &own,
            expect![[r#"
                `FW-0001`
                **TASK-FW-0001** · Task FW-0001

                stage `current` · status `active` · DRI `@ana` · priority `P0` · effort `L`

                in flight 37d 17h · blocked 0h · flow efficiency 100%

                depends on TASK-FW-0002 `backlog`, TASK-FW-0003 `missing`

                no dependents

                last events:
                - `2026-03-02T09:00:00Z` `created` Created
            "#]],
        );
    }
}
