//! Tests of the transition planner: every action's plan applied to a fixture must append
//! exactly the expected events and leave no new diagnostics; every refusal has its reason.

use std::collections::BTreeSet;

use expect_test::{Expect, expect};

use super::*;
use crate::db::TaskIdx;
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::fixture::{COUNTER, package, workspace, written};
use crate::ide::projection::project;
use crate::ide::types::{Config, Rule};
use crate::syntax::time::parse_rfc3339;

const NOW: &str = "2026-03-10T12:00:00Z";

fn config() -> Config {
    Config {
        now: parse_rfc3339(NOW).unwrap(),
        ..Config::default()
    }
}

/// The events that bring a fresh package to `stage`, one hour apart, so that its ledger
/// agrees with its folder.
const HISTORY: [(&str, &str); 6] = [
    ("backlog", "verified"),
    ("next", "prioritized"),
    ("current", "started"),
    ("integration", "implemented"),
    ("learning", "moved_to_learning"),
    ("archived", "closed"),
];

/// A clean package whose ledger has the history of its stage, plus `extra` ledger lines.
fn task_with(folder: &str, fields: &str, extra: &[&str]) -> String {
    let mut text = package(folder, fields);
    let stage = Stage::parse(folder.split('/').next().unwrap()).unwrap();
    for (hour, (reached, event)) in HISTORY.iter().enumerate() {
        if Stage::parse(reached).unwrap() > stage {
            break;
        }
        text.push_str(&format!(
            "{{\"ts\":\"2026-03-02T{:02}:00:00Z\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"{event}\"}}\n",
            10 + hour
        ));
    }
    for line in extra {
        text.push_str(line);
        text.push('\n');
    }
    text
}

fn task(folder: &str, fields: &str) -> String {
    task_with(folder, fields, &[])
}

fn find(workspace: &Workspace, id: &str) -> TaskIdx {
    let index = workspace
        .tasks
        .iter()
        .position(|task| task.id.to_string() == id)
        .unwrap_or_else(|| panic!("no {id} in the fixture"));
    TaskIdx(index as u32)
}

/// Applies a plan to the workspace's texts as the product writes it: the production
/// projection (`ide::projection::project`) gives the ledger lines, the card and index edits
/// and the folder moves, and the model is built afresh from the result.
fn apply(workspace: &Workspace, changes: &[TaskChange]) -> Workspace {
    let projected = project(workspace, changes).unwrap_or_else(|reason| panic!("{reason}"));
    written(workspace, &projected)
}

/// The diagnostics the comparison looks at, as comparable lines. A package file is named
/// from its task folder on, so a moved task's own problems compare equal; index rules
/// (another module keeps the indexes) and SLOs (time in stage restarts) are left out.
fn diagnostic_lines(workspace: &Workspace) -> BTreeSet<String> {
    workspace_diagnostics(workspace, &config())
        .iter()
        .filter(|d| !d.rule.name().starts_with("index-") && d.rule != Rule::SloExceeded)
        .map(|d| {
            let rel = &workspace.file(d.file).rel;
            let path = rel.find("TASK-").map_or(rel.as_str(), |at| &rel[at..]);
            format!("{path} {} {}: {}", d.severity, d.rule, d.message)
        })
        .collect()
}

fn render_change(workspace: &Workspace, change: &TaskChange) -> String {
    let task = workspace.task(change.task);
    let mut out = match change.to_stage {
        Some(to) => format!("{} → {to}\n", task.id),
        None => format!("{} stays in {}\n", task.id, task.stage),
    };
    for (key, update) in &change.fields {
        match update {
            FieldUpdate::Set(value) => out.push_str(&format!("  {key}: {value:?}\n")),
            FieldUpdate::Clear => out.push_str(&format!("  {key}: null\n")),
        }
    }
    for line in &change.events {
        out.push_str(&format!("  + {line}\n"));
    }
    out
}

/// Plans `action` for `id`, applies it, asserts that nothing new is diagnosed and that the
/// offer was enabled, and snapshots the plan.
fn check(fixture: &str, id: &str, action: &str, expect: Expect) -> Workspace {
    let before = workspace(fixture);
    let idx = find(&before, id);
    let action = Action::parse(action, before.task(idx).namespace()).expect("action parses");
    let offered = offers(&before, idx, &config());
    let offer = offered.iter().find(|offer| offer.action == action);
    assert_eq!(
        offer.map(|offer| &offer.disabled),
        Some(&None),
        "{action:?} is not an enabled offer: {offered:#?}"
    );
    let plan = plan(&before, idx, &action, &config()).unwrap_or_else(|reason| panic!("{reason}"));
    let after = apply(&before, &plan.tasks);
    let new: Vec<String> = diagnostic_lines(&after)
        .difference(&diagnostic_lines(&before))
        .cloned()
        .collect();
    assert!(new.is_empty(), "the move caused diagnostics: {new:#?}");
    let mut rendered = format!("{}\n", plan.title);
    for change in &plan.tasks {
        rendered.push_str(&render_change(&before, change));
    }
    expect.assert_eq(&rendered);
    after
}

/// The reason `action` is refused for `id`; the offer shows the same reason, disabled.
fn refused(fixture: &str, id: &str, action: &str) -> String {
    let workspace = workspace(fixture);
    let idx = find(&workspace, id);
    let action = Action::parse(action, None).expect("action parses");
    let reason = plan(&workspace, idx, &action, &config()).expect_err("the move is refused");
    let offer = offers(&workspace, idx, &config())
        .into_iter()
        .find(|offer| offer.action == action);
    if let Some(offer) = offer {
        assert_eq!(offer.disabled.as_deref(), Some(reason.as_str()));
    }
    reason
}

fn fixture(parts: &[String]) -> String {
    format!("{COUNTER}{}", parts.concat())
}

#[test]
fn action_names_round_trip() {
    let on = TaskId::new(None, 12);
    let actions = [
        Action::Verify,
        Action::Prioritize,
        Action::Start,
        Action::FastTrack,
        Action::Complete,
        Action::Rework,
        Action::Integrate,
        Action::Close,
        Action::CloseWithoutLearning,
        Action::Cancel,
        Action::Block { on: on.clone() },
        Action::Unblock,
        Action::Pause,
        Action::Resume,
    ];
    for action in &actions {
        assert_eq!(
            Action::parse(&action.cli_name(), None).as_ref(),
            Some(action)
        );
    }
    let names: Vec<String> = actions.iter().map(Action::cli_name).collect();
    expect![[r#"verify prioritize start fast-track complete rework integrate close close-without-learning cancel block:TASK-0012 unblock pause resume"#]]
        .assert_eq(&names.join(" "));
    assert_eq!(
        Action::parse("block:0012", Some("FW")),
        Some(Action::Block {
            on: TaskId::new(Some("FW"), 12)
        })
    );
    assert_eq!(Action::parse("block:nonsense", None), None);
    assert_eq!(Action::parse("launch", None), None);
}

#[test]
fn offers_follow_stage_and_status() {
    let fixture = fixture(&[
        task("next/TASK-0001-a", "depends_on: [\"0002\", \"0003\"]"),
        task("backlog/TASK-0002-b", ""),
        task("integration/TASK-0003-c", ""),
        task(
            "current/TASK-0004-d",
            "status: \"paused\"\npaused_reason: \"vacation\"",
        ),
        task(
            "integration/TASK-0005-e",
            "status: \"blocked\"\nblocked_by: \"task:TASK-0002\"",
        ),
        task("archived/TASK-0006-f", ""),
    ]);
    let workspace = workspace(&fixture);
    let mut out = String::new();
    for id in [
        "TASK-0001",
        "TASK-0002",
        "TASK-0004",
        "TASK-0005",
        "TASK-0006",
    ] {
        out.push_str(&format!("{id}:\n"));
        for offer in offers(&workspace, find(&workspace, id), &config()) {
            match offer.disabled {
                Some(reason) => out.push_str(&format!("  {} [disabled: {reason}]\n", offer.title)),
                None => out.push_str(&format!("  {}\n", offer.title)),
            }
        }
    }
    expect![[r#"
        TASK-0001:
          Start TASK-0001 (next → current) [disabled: TASK-0002 is still in backlog; log a concurrent_ok waiver to start anyway]
          Block TASK-0001 on TASK-0002
          Pause TASK-0001 (stays in next) [disabled: paused_reason is empty; write why (and when it may resume) first]
          Cancel TASK-0001 (next → archived) [disabled: canceled_reason is empty; write why first]
        TASK-0002:
          Prioritize TASK-0002 (backlog → next) [disabled: no priority or effort_estimate set; set them first]
          Fast-track TASK-0002 as P0 (backlog → current) [disabled: priority is not set; only P0 work is fast-tracked]
          Pause TASK-0002 (stays in backlog) [disabled: paused_reason is empty; write why (and when it may resume) first]
          Cancel TASK-0002 (backlog → archived) [disabled: canceled_reason is empty; write why first]
        TASK-0004:
          Complete TASK-0004 (current → integration) [disabled: status is paused; resume it first]
          Rework TASK-0004 (current → next)
          Resume TASK-0004 (stays in current)
          Cancel TASK-0004 (current → archived) [disabled: canceled_reason is empty; write why first]
        TASK-0005:
          Integrate TASK-0005 (integration → learning) [disabled: status is blocked by TASK-0002; unblock it first]
          Close TASK-0005 without learning (integration → archived) [disabled: status is blocked by TASK-0002; unblock it first]
          Unblock TASK-0005 [disabled: TASK-0002 is still in backlog; unblock once it reaches integration]
          Cancel TASK-0005 (integration → archived) [disabled: canceled_reason is empty; write why first]
        TASK-0006:
    "#]]
    .assert_eq(&out);
}

#[test]
fn verify_moves_inbox_to_backlog() {
    let fixture = fixture(&[task("inbox/TASK-0001-a", "")]);
    check(
        &fixture,
        "TASK-0001",
        "verify",
        expect![[r#"
        Verify TASK-0001 (inbox → backlog)
        TASK-0001 → backlog
          stage: "backlog"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"verified","desc":"Verified: moved from inbox to backlog","from":"inbox","to":"backlog"}
    "#]],
    );
}

#[test]
fn prioritize_moves_backlog_to_next() {
    let fixture = fixture(&[task(
        "backlog/TASK-0001-a",
        "priority: \"P2\"\neffort_estimate: \"M\"",
    )]);
    check(
        &fixture,
        "TASK-0001",
        "prioritize",
        expect![[r#"
        Prioritize TASK-0001 (backlog → next)
        TASK-0001 → next
          stage: "next"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"validated","desc":"WF-VALIDATE-MOVE passed: backlog → next","from":"backlog","to":"next"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"prioritized","desc":"Prioritized: moved from backlog to next","from":"backlog","to":"next"}
    "#]],
    );
}

#[test]
fn prioritize_with_an_unfinished_dependency_waits_on_it_blocked() {
    let fixture = fixture(&[
        task(
            "backlog/TASK-0001-a",
            "priority: \"P2\"\neffort_estimate: \"M\"\ndepends_on: [\"0002\", \"0003\", \"0004\"]",
        ),
        task("backlog/TASK-0002-b", ""),
        task("current/TASK-0003-c", ""),
        task("integration/TASK-0004-d", ""),
    ]);
    check(
        &fixture,
        "TASK-0001",
        "prioritize",
        expect![[r#"
        Prioritize TASK-0001 (backlog → next)
        TASK-0001 → next
          stage: "next"
          status: "blocked"
          blocked_by: "task:TASK-0002"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"validated","desc":"WF-VALIDATE-MOVE passed: backlog → next","from":"backlog","to":"next"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"waiting_on","desc":"Waiting on TASK-0002, still in backlog","dependency":"TASK-0002"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"waiting_on","desc":"Waiting on TASK-0003, still in current","dependency":"TASK-0003"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"prioritized","desc":"Prioritized: moved from backlog to next","from":"backlog","to":"next"}
    "#]],
    );
}

#[test]
fn start_moves_next_to_current() {
    let fixture = fixture(&[
        task("next/TASK-0001-a", "depends_on: [\"0002\"]"),
        task("learning/TASK-0002-b", ""),
    ]);
    check(
        &fixture,
        "TASK-0001",
        "start",
        expect![[r#"
        Start TASK-0001 (next → current)
        TASK-0001 → current
          stage: "current"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"validated","desc":"WF-VALIDATE-MOVE passed: next → current","from":"next","to":"current"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"started","desc":"Started: moved from next to current","from":"next","to":"current"}
    "#]],
    );
}

#[test]
fn start_with_a_concurrent_ok_waiver_goes_ahead_of_its_dependency() {
    let waiver = r#"{"ts":"2026-03-03T09:00:00Z","user":"@ana","event":"concurrent_ok","desc":"Starting in parallel with TASK-0002 (risk accepted)"}"#;
    let fixture = fixture(&[
        task_with("next/TASK-0001-a", "depends_on: [\"0002\"]", &[waiver]),
        task("current/TASK-0002-b", ""),
    ]);
    check(
        &fixture,
        "TASK-0001",
        "start",
        expect![[r#"
        Start TASK-0001 (next → current)
        TASK-0001 → current
          stage: "current"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"validated","desc":"WF-VALIDATE-MOVE passed: next → current","from":"next","to":"current"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"started","desc":"Started: moved from next to current","from":"next","to":"current"}
    "#]],
    );
}

#[test]
fn fast_track_with_room_in_current_displaces_nothing() {
    let fixture = fixture(&[
        task(
            "backlog/TASK-0001-a",
            "priority: \"P0\"\neffort_estimate: \"S\"",
        ),
        task("current/TASK-0002-b", ""),
    ]);
    check(
        &fixture,
        "TASK-0001",
        "fast-track",
        expect![[r#"
        Fast-track TASK-0001 as P0 (backlog → current)
        TASK-0001 → current
          stage: "current"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"validated","desc":"WF-VALIDATE-MOVE passed: backlog → current","from":"backlog","to":"current"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"fast_tracked","desc":"Fast-tracked as P0: moved from backlog to current, skipping next","from":"backlog","to":"current"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"started","desc":"Started: moved from backlog to current","from":"backlog","to":"current"}
    "#]],
    );
}

#[test]
fn fast_track_into_a_full_current_pauses_its_lowest_priority_task() {
    let fixture = fixture(&[
        task(
            "backlog/TASK-0001-a",
            "priority: \"P0\"\neffort_estimate: \"S\"",
        ),
        task("current/TASK-0002-b", "priority: \"P0\""),
        task("current/TASK-0003-c", "priority: \"P3\""),
        task("current/TASK-0004-d", "priority: \"P1\""),
        // Lowest priority, but blocked: pausing it would free nothing it is using.
        task(
            "current/TASK-0005-e",
            "priority: \"P4\"\nstatus: \"blocked\"\nblocked_by: \"external:vendor\"",
        ),
        task("current/TASK-0006-f", "priority: \"P3\""),
    ]);
    let after = check(
        &fixture,
        "TASK-0001",
        "fast-track",
        expect![[r#"
        Fast-track TASK-0001 as P0 (backlog → current)
        TASK-0001 → current
          stage: "current"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"validated","desc":"WF-VALIDATE-MOVE passed: backlog → current","from":"backlog","to":"current"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"displaced","desc":"Displaced TASK-0006 from current to make room for this P0","displaced_task":"TASK-0006"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"fast_tracked","desc":"Fast-tracked as P0: moved from backlog to current, skipping next","from":"backlog","to":"current"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"started","desc":"Started: moved from backlog to current","from":"backlog","to":"current"}
        TASK-0006 → next
          stage: "next"
          status: "paused"
          paused_reason: "Preempted by P0 TASK-0001"
          paused_date: "2026-03-10"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"paused_by_p0","desc":"Preempted by P0 TASK-0001: paused and moved from current to next","preempted_by":"TASK-0001","reason":"Preempted by P0 TASK-0001","from":"current","to":"next"}
    "#]],
    );
    let displaced = after.task(find(&after, "TASK-0006"));
    assert_eq!(displaced.stage, Stage::Next);
}

#[test]
fn complete_moves_current_to_integration() {
    let fixture = fixture(&[task("current/TASK-0001-a", "")]);
    check(
        &fixture,
        "TASK-0001",
        "complete",
        expect![[r#"
        Complete TASK-0001 (current → integration)
        TASK-0001 → integration
          stage: "integration"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"implemented","desc":"Implemented: moved from current to integration","from":"current","to":"integration"}
    "#]],
    );
}

#[test]
fn rework_sends_current_back_to_next() {
    let fixture = fixture(&[task("current/TASK-0001-a", "")]);
    check(
        &fixture,
        "TASK-0001",
        "rework",
        expect![[r#"
        Rework TASK-0001 (current → next)
        TASK-0001 → next
          stage: "next"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"rework_required","desc":"Rework required: moved from current back to next","from":"current","to":"next"}
    "#]],
    );
}

#[test]
fn integrate_moves_integration_to_learning() {
    let fixture = fixture(&[task("integration/TASK-0001-a", "")]);
    check(
        &fixture,
        "TASK-0001",
        "integrate",
        expect![[r#"
        Integrate TASK-0001 (integration → learning)
        TASK-0001 → learning
          stage: "learning"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"integrated","desc":"Integrated and released"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"moved_to_learning","desc":"Moved from integration to learning","from":"integration","to":"learning"}
    "#]],
    );
}

#[test]
fn close_with_a_learning_file_documents_it() {
    let fixture = fixture(&[
        task("learning/TASK-0001-a", ""),
        "//- /learning/TASK-0001-a/0001.learning.md\n# System of Work Learning\n".to_string(),
    ]);
    check(
        &fixture,
        "TASK-0001",
        "close",
        expect![[r#"
        Close TASK-0001 (learning → archived)
        TASK-0001 → archived
          stage: "archived"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"learning_documented","desc":"Learning documented in 0001.learning.md"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"closed","desc":"Closed: moved from learning to archived","from":"learning","to":"archived"}
    "#]],
    );
}

#[test]
fn close_without_a_learning_file_skips_learning() {
    let fixture = fixture(&[task("learning/TASK-0001-a", "")]);
    check(
        &fixture,
        "TASK-0001",
        "close",
        expect![[r#"
        Close TASK-0001 (learning → archived)
        TASK-0001 → archived
          stage: "archived"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"learning_skipped","desc":"Learning skipped: no 0001.learning.md was written"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"closed","desc":"Closed: moved from learning to archived","from":"learning","to":"archived"}
    "#]],
    );
}

#[test]
fn close_without_learning_goes_from_integration_to_archived() {
    let fixture = fixture(&[task("integration/TASK-0001-a", "")]);
    check(
        &fixture,
        "TASK-0001",
        "close-without-learning",
        expect![[r#"
        Close TASK-0001 without learning (integration → archived)
        TASK-0001 → archived
          stage: "archived"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"integrated","desc":"Integrated and released"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"learning_skipped","desc":"Learning skipped: closed straight from integration"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"closed","desc":"Closed: moved from integration to archived","from":"integration","to":"archived"}
    "#]],
    );
}

#[test]
fn cancel_archives_the_task_and_blocks_waiting_dependents() {
    let fixture = fixture(&[
        task(
            "current/TASK-0001-a",
            "canceled_reason: \"superseded: the vendor ships it\"",
        ),
        task("inbox/TASK-0002-b", "depends_on: [\"0001\"]"),
        task("next/TASK-0003-c", "depends_on: [\"0001\"]"),
        // Already blocked by something else: the cancel is the blocker now.
        task(
            "backlog/TASK-0004-d",
            "depends_on: [\"0001\"]\nstatus: \"blocked\"\nblocked_by: \"external:budget\"",
        ),
        task("backlog/TASK-0005-e", "related_to: [\"0001\"]"),
    ]);
    check(
        &fixture,
        "TASK-0001",
        "cancel",
        expect![[r#"
        Cancel TASK-0001 (current → archived)
        TASK-0001 → archived
          stage: "archived"
          status: "canceled"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"canceled","desc":"Canceled: moved from current to archived","reason":"superseded: the vendor ships it","from":"current","to":"archived"}
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"cascade_cancel","desc":"Affected dependents: TASK-0002, TASK-0003, TASK-0004","dependents":["TASK-0002","TASK-0003","TASK-0004"]}
        TASK-0002 stays in inbox
          status: "blocked"
          blocked_by: "task:TASK-0001 (canceled)"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"cascade_blocked_by_cancel","desc":"Upstream TASK-0001 was canceled","blocker":"TASK-0001"}
        TASK-0003 stays in next
          status: "blocked"
          blocked_by: "task:TASK-0001 (canceled)"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"cascade_blocked_by_cancel","desc":"Upstream TASK-0001 was canceled","blocker":"TASK-0001"}
        TASK-0004 stays in backlog
          status: "blocked"
          blocked_by: "task:TASK-0001 (canceled)"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"cascade_blocked_by_cancel","desc":"Upstream TASK-0001 was canceled","blocker":"TASK-0001"}
    "#]],
    );
}

#[test]
fn block_on_an_unfinished_dependency() {
    let fixture = fixture(&[
        task("next/TASK-0001-a", "depends_on: [\"0002\"]"),
        task("backlog/TASK-0002-b", ""),
    ]);
    check(
        &fixture,
        "TASK-0001",
        "block:TASK-0002",
        expect![[r#"
        Block TASK-0001 on TASK-0002
        TASK-0001 stays in next
          status: "blocked"
          blocked_by: "task:TASK-0002"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"blocked","desc":"Blocked on TASK-0002, still in backlog","blocked_by":"task:TASK-0002"}
    "#]],
    );
}

#[test]
fn unblock_once_the_blocker_is_finished() {
    let fixture = fixture(&[
        task(
            "next/TASK-0001-a",
            "depends_on: [\"0002\"]\nstatus: \"blocked\"\nblocked_by: \"task:TASK-0002\"",
        ),
        task("integration/TASK-0002-b", ""),
    ]);
    check(
        &fixture,
        "TASK-0001",
        "unblock",
        expect![[r#"
        Unblock TASK-0001
        TASK-0001 stays in next
          status: "active"
          blocked_by: null
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"unblocked","desc":"Unblocked: TASK-0002 no longer holds it up","previously_blocked_by":"task:TASK-0002"}
    "#]],
    );
}

#[test]
fn pause_in_current_moves_to_next() {
    let fixture = fixture(&[task(
        "current/TASK-0001-a",
        "paused_reason: \"vacation: back on 2026-04-01\"",
    )]);
    check(
        &fixture,
        "TASK-0001",
        "pause",
        expect![[r#"
        Pause TASK-0001 (current → next)
        TASK-0001 → next
          stage: "next"
          status: "paused"
          paused_date: "2026-03-10"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"paused","desc":"Paused: moved from current to next","reason":"vacation: back on 2026-04-01","paused_from_stage":"current","from":"current","to":"next"}
    "#]],
    );
}

#[test]
fn pause_in_backlog_stays() {
    let fixture = fixture(&[task(
        "backlog/TASK-0001-a",
        "paused_reason: \"resources: budget approval pending\"",
    )]);
    check(
        &fixture,
        "TASK-0001",
        "pause",
        expect![[r#"
        Pause TASK-0001 (stays in backlog)
        TASK-0001 stays in backlog
          status: "paused"
          paused_date: "2026-03-10"
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"paused","desc":"Paused in backlog","reason":"resources: budget approval pending","paused_from_stage":"backlog"}
    "#]],
    );
}

#[test]
fn resume_after_a_pause_out_of_current_stays_in_next() {
    let paused = r#"{"ts":"2026-03-03T09:00:00Z","user":"@ana","event":"paused","desc":"Paused: moved from current to next","reason":"vacation"}"#;
    let fixture = fixture(&[task_with(
        "next/TASK-0001-a",
        "status: \"paused\"\npaused_reason: \"vacation\"\npaused_date: \"2026-03-03\"",
        &[
            r#"{"ts":"2026-03-02T20:00:00Z","user":"@ana","event":"started","desc":"s"}"#,
            paused,
        ],
    )]);
    check(
        &fixture,
        "TASK-0001",
        "resume",
        expect![[r#"
        Resume TASK-0001 (stays in next)
        TASK-0001 stays in next
          status: "active"
          paused_reason: null
          paused_date: null
          last_updated: "2026-03-10"
          + {"ts":"2026-03-10T12:00:00Z","user":"@ana","event":"resumed","desc":"Resumed in next","resumed_to_stage":"next"}
    "#]],
    );
}

#[test]
fn a_whole_lifecycle_leaves_no_diagnostics_behind() {
    let mut workspace = workspace(&fixture(&[task("inbox/TASK-0001-a", "")]));
    let baseline = diagnostic_lines(&workspace);
    let mut fields_set = false;
    for action in [
        Action::Verify,
        Action::Prioritize,
        Action::Start,
        Action::Complete,
        Action::Integrate,
        Action::Close,
    ] {
        let idx = find(&workspace, "TASK-0001");
        if action == Action::Prioritize && !fields_set {
            // Grooming is an edit, not a transition.
            let changes = [TaskChange {
                task: idx,
                events: Vec::new(),
                fields: vec![
                    ("priority", FieldUpdate::Set("P2".into())),
                    ("effort_estimate", FieldUpdate::Set("M".into())),
                ],
                to_stage: None,
            }];
            workspace = apply(&workspace, &changes);
            fields_set = true;
        }
        let idx = find(&workspace, "TASK-0001");
        let plan = plan(&workspace, idx, &action, &config()).unwrap_or_else(|r| panic!("{r}"));
        workspace = apply(&workspace, &plan.tasks);
        let new: Vec<String> = diagnostic_lines(&workspace)
            .difference(&baseline)
            .cloned()
            .collect();
        assert!(new.is_empty(), "after {action:?}: {new:#?}");
    }
    let task = workspace.task(find(&workspace, "TASK-0001"));
    assert_eq!(task.stage, Stage::Archived);
}

#[test]
fn the_comparison_sees_a_move_without_its_event() {
    // A folder moved with no event in the ledger: the harness must notice, or every check
    // above proves nothing.
    let before = workspace(&fixture(&[task("next/TASK-0001-a", "")]));
    let change = TaskChange {
        task: find(&before, "TASK-0001"),
        events: Vec::new(),
        fields: vec![("stage", FieldUpdate::Set("current".into()))],
        to_stage: Some(Stage::Current),
    };
    let after = apply(&before, &[change]);
    let new: Vec<String> = diagnostic_lines(&after)
        .difference(&diagnostic_lines(&before))
        .cloned()
        .collect();
    expect![[r#"
        [
            "TASK-0001-a/0001.ledger.jsonl warning ledger-stage-drift: the ledger's last stage event `prioritized` puts TASK-0001 in next, but its folder is in current; finish or undo the interrupted move",
        ]
    "#]].assert_debug_eq(&new);
}

// Refusals: one per reason of SPEC §5's "blocks the move" column.

#[test]
fn start_is_refused_when_current_is_at_its_wip_limit() {
    let mut parts = vec![task("next/TASK-0001-a", "")];
    parts.extend((2..=6).map(|id| task(&format!("current/TASK-{id:04}-t"), "")));
    expect!["current is at its WIP limit (5/5); finish or pause a task there first"]
        .assert_eq(&refused(&fixture(&parts), "TASK-0001", "start"));
}

#[test]
fn start_is_refused_while_a_dependency_is_unfinished() {
    let fixture = fixture(&[
        task("next/TASK-0001-a", "depends_on: [\"0002\"]"),
        task("next/TASK-0002-b", ""),
    ]);
    expect!["TASK-0002 is still in next; log a concurrent_ok waiver to start anyway"]
        .assert_eq(&refused(&fixture, "TASK-0001", "start"));
}

#[test]
fn a_move_is_refused_while_the_frontmatter_cannot_be_read() {
    // Over the frontmatter cap, and broken YAML: the values would be written blind.
    let big = format!("x_note: \"{}\"", "x".repeat(300 * 1024));
    for fields in [big.as_str(), "tags: [ui"] {
        let fixture = fixture(&[task("current/TASK-0001-a", fields)]);
        expect!["the card's frontmatter could not be read; fix it first"].assert_eq(&refused(
            &fixture,
            "TASK-0001",
            "complete",
        ));
    }
}

#[test]
fn start_is_refused_while_paused() {
    let fixture = fixture(&[task(
        "next/TASK-0001-a",
        "status: \"paused\"\npaused_reason: \"vacation\"",
    )]);
    expect!["status is paused; resume it first"].assert_eq(&refused(
        &fixture,
        "TASK-0001",
        "start",
    ));
}

/// A move logged but not carried out (a crash, or another writer caught half way) is
/// finished, not repeated: completing again would log `implemented` twice.
#[test]
fn every_move_is_refused_while_the_ledger_is_ahead_of_the_folder() {
    let implemented =
        r#"{"ts":"2026-03-05T09:00:00Z","user":"@ana","event":"implemented","desc":"Done"}"#;
    let fixture = fixture(&[task_with("current/TASK-0001-a", "", &[implemented])]);
    for action in ["complete", "rework", "pause", "cancel"] {
        expect!["TASK-0001 is part-way through a transition: its ledger puts it in integration but its folder is in current; finish that first (the ledger-stage-drift quick fix, or `flowos-lsp check --fix`)"]
            .assert_eq(&refused(&fixture, "TASK-0001", action));
    }
}

/// Appending to a ledger read with replacement characters would leave the file's bytes and
/// the text the plan was computed from apart; the writer fixes the encoding first.
#[test]
fn every_move_is_refused_while_the_card_or_ledger_is_not_utf8() {
    let fixture = fixture(&[task("current/TASK-0001-a", "")]);
    for file in ["0001-a.task.md", "0001.ledger.jsonl"] {
        let mut workspace = workspace(&fixture);
        let path = std::path::PathBuf::from(crate::ide::fixture::ROOT)
            .join("current/TASK-0001-a")
            .join(file);
        let mut bytes = workspace
            .file(workspace.file_by_path(&path).unwrap())
            .text
            .as_bytes()
            .to_vec();
        bytes.extend(b"\xE9\n");
        assert!(workspace.update_content(&path, &bytes, None));
        let idx = find(&workspace, "TASK-0001");
        let refused = plan(&workspace, idx, &Action::Complete, &config()).unwrap_err();
        assert_eq!(
            refused,
            format!("`{file}` is not valid UTF-8; save it as UTF-8 first")
        );
    }
}

#[test]
fn prioritize_is_refused_without_priority_or_effort() {
    let fixture = fixture(&[
        task("backlog/TASK-0001-a", ""),
        task("backlog/TASK-0002-b", "priority: \"P1\""),
    ]);
    expect!["no priority or effort_estimate set; set them first"].assert_eq(&refused(
        &fixture,
        "TASK-0001",
        "prioritize",
    ));
    expect!["no effort_estimate set; set it first"].assert_eq(&refused(
        &fixture,
        "TASK-0002",
        "prioritize",
    ));
}

#[test]
fn prioritize_is_refused_for_a_canceled_or_cyclic_dependency() {
    let fixture = fixture(&[
        task(
            "backlog/TASK-0001-a",
            "priority: \"P1\"\neffort_estimate: \"S\"\ndepends_on: [\"0002\"]",
        ),
        task(
            "archived/TASK-0002-b",
            "status: \"canceled\"\ncanceled_reason: \"dropped\"",
        ),
        task(
            "backlog/TASK-0003-c",
            "priority: \"P1\"\neffort_estimate: \"S\"\ndepends_on: [\"0004\"]",
        ),
        task("backlog/TASK-0004-d", "depends_on: [\"0003\"]"),
    ]);
    expect!["dependency TASK-0002 was canceled; retarget or remove it in depends_on first"]
        .assert_eq(&refused(&fixture, "TASK-0001", "prioritize"));
    expect![
        "TASK-0003 is in a dependency cycle (TASK-0003 → TASK-0004 → TASK-0003); break it first"
    ]
    .assert_eq(&refused(&fixture, "TASK-0003", "prioritize"));
}

#[test]
fn verify_is_refused_for_a_card_on_a_cycle() {
    let fixture = fixture(&[
        task("inbox/TASK-0001-a", "depends_on: [\"0002\"]"),
        task("inbox/TASK-0002-b", "depends_on: [\"0001\"]"),
        task("inbox/TASK-0003-c", "depends_on: [\"0001\"]"),
    ]);
    let reason = refused(&fixture, "TASK-0001", "verify");
    assert!(
        reason.starts_with("the card has an error; fix it first") && reason.contains("cycle"),
        "{reason}"
    );
    // Depending on a cycle is not being on it.
    let workspace = workspace(&fixture);
    let action = Action::parse("verify", None).unwrap();
    assert!(
        plan(
            &workspace,
            find(&workspace, "TASK-0003"),
            &action,
            &config()
        )
        .is_ok()
    );
}

#[test]
fn cancel_is_refused_without_a_canceled_reason() {
    let fixture = fixture(&[task("next/TASK-0001-a", "")]);
    expect!["canceled_reason is empty; write why first"].assert_eq(&refused(
        &fixture,
        "TASK-0001",
        "cancel",
    ));
}

#[test]
fn cancel_is_refused_while_a_dependent_is_under_way() {
    let fixture = fixture(&[
        task("next/TASK-0001-a", "canceled_reason: \"dropped\""),
        task("current/TASK-0002-b", "depends_on: [\"0001\"]"),
    ]);
    expect!["TASK-0002 in current depends on TASK-0001; retarget or cancel it, or pause it with a paused_reason saying TASK-0001 is canceled, first"].assert_eq(&refused(&fixture, "TASK-0001", "cancel"));
}

#[test]
fn pause_is_refused_without_a_paused_reason() {
    let fixture = fixture(&[task("current/TASK-0001-a", "")]);
    expect!["paused_reason is empty; write why (and when it may resume) first"]
        .assert_eq(&refused(&fixture, "TASK-0001", "pause"));
}

#[test]
fn unblock_is_refused_while_the_blocker_is_unfinished() {
    let fixture = fixture(&[
        task(
            "next/TASK-0001-a",
            "status: \"blocked\"\nblocked_by: \"task:TASK-0002\"",
        ),
        task("current/TASK-0002-b", ""),
    ]);
    expect!["TASK-0002 is still in current; unblock once it reaches integration"]
        .assert_eq(&refused(&fixture, "TASK-0001", "unblock"));
}

#[test]
fn fast_track_is_refused_for_a_task_that_is_not_p0() {
    let fixture = fixture(&[task(
        "backlog/TASK-0001-a",
        "priority: \"P1\"\neffort_estimate: \"S\"",
    )]);
    expect!["priority is P1, not P0; only P0 work is fast-tracked"].assert_eq(&refused(
        &fixture,
        "TASK-0001",
        "fast-track",
    ));
}

#[test]
fn verify_is_refused_while_the_card_has_errors() {
    let fixture = fixture(&[task("inbox/TASK-0001-a", "priority: \"P9\"")]);
    expect!["the card has an error; fix it first (line 8: `P9` is not a valid priority; did you mean `P4`? (one of P0, P1, P2, P3, P4))"].assert_eq(&refused(&fixture, "TASK-0001", "verify"));
}

#[test]
fn an_action_from_the_wrong_stage_is_not_valid() {
    let fixture = fixture(&[task("backlog/TASK-0001-a", "")]);
    expect!["`complete` does not apply to TASK-0001: it is in backlog with status active"]
        .assert_eq(&refused(&fixture, "TASK-0001", "complete"));
}

// Finishing an interrupted transition.

fn check_interrupted(fixture: &str, id: &str, expect: Expect) {
    let before = workspace(fixture);
    let idx = find(&before, id);
    let change = complete_interrupted(&before, idx).expect("the ledger has drifted");
    assert!(change.events.is_empty());
    let after = apply(&before, std::slice::from_ref(&change));
    let left: Vec<String> = diagnostic_lines(&after)
        .into_iter()
        .filter(|line| {
            line.contains("ledger-stage-drift") || !diagnostic_lines(&before).contains(line)
        })
        .collect();
    assert!(left.is_empty(), "{left:#?}");
    expect.assert_eq(&render_change(&before, &change));
}

#[test]
fn an_interrupted_start_is_finished_into_current() {
    let started =
        r#"{"ts":"2026-03-04T09:00:00Z","user":"@ana","event":"started","desc":"Started"}"#;
    let fixture = fixture(&[task_with("next/TASK-0001-a", "", &[started])]);
    check_interrupted(
        &fixture,
        "TASK-0001",
        expect![[r#"
        TASK-0001 → current
          stage: "current"
          last_updated: "2026-03-04"
    "#]],
    );
}

#[test]
fn an_interrupted_cancel_is_finished_with_its_status() {
    let canceled = r#"{"ts":"2026-03-04T09:00:00+02:00","user":"@ana","event":"canceled","desc":"Canceled","reason":"dropped"}"#;
    let fixture = fixture(&[task_with("next/TASK-0001-a", "", &[canceled])]);
    check_interrupted(
        &fixture,
        "TASK-0001",
        expect![[r#"
        TASK-0001 → archived
          stage: "archived"
          status: "canceled"
          canceled_reason: "dropped"
          last_updated: "2026-03-04"
    "#]],
    );
}

#[test]
fn an_interrupted_displacement_is_finished_paused_in_next() {
    let paused = r#"{"ts":"2026-03-04T09:00:00Z","user":"@ana","event":"paused_by_p0","desc":"Preempted by P0 TASK-0009","preempted_by":"TASK-0009","reason":"Preempted by P0 TASK-0009"}"#;
    let fixture = fixture(&[task_with(
        "backlog/TASK-0001-a",
        "priority: \"P2\"\neffort_estimate: \"M\"",
        &[
            r#"{"ts":"2026-03-03T09:00:00Z","user":"@ana","event":"started","desc":"s"}"#,
            paused,
        ],
    )]);
    check_interrupted(
        &fixture,
        "TASK-0001",
        expect![[r#"
        TASK-0001 → next
          stage: "next"
          status: "paused"
          paused_reason: "Preempted by P0 TASK-0009"
          last_updated: "2026-03-04"
    "#]],
    );
}

#[test]
fn a_ledger_that_agrees_needs_no_completion() {
    let fixture = fixture(&[task("current/TASK-0001-a", "")]);
    let workspace = workspace(&fixture);
    assert_eq!(
        complete_interrupted(&workspace, find(&workspace, "TASK-0001")),
        None
    );
}

#[test]
fn resume_is_refused_when_current_is_full() {
    let mut parts = vec![task(
        "current/TASK-0001-a",
        "status: \"paused\"\npaused_reason: \"waiting on review\"",
    )];
    parts.extend((2..=6).map(|id| task(&format!("current/TASK-{id:04}-t"), "")));
    expect!["current is at its WIP limit (5/5); finish or pause a task there first"]
        .assert_eq(&refused(&fixture(&parts), "TASK-0001", "resume"));
}

#[test]
fn fast_track_is_refused_when_current_is_full_of_p0_work() {
    let mut parts = vec![task(
        "backlog/TASK-0001-a",
        "priority: \"P0\"\neffort_estimate: \"S\"",
    )];
    parts.extend((2..=6).map(|id| task(&format!("current/TASK-{id:04}-t"), "priority: \"P0\"")));
    expect!["current is at its WIP limit (5/5) and holds no active non-P0 task to pause; finish one first"].assert_eq(&refused(&fixture(&parts), "TASK-0001", "fast-track"));
}

#[test]
fn a_package_without_its_ledger_cannot_move() {
    let fixture = fixture(&[task("next/TASK-0001-a", "")]);
    let (head, _) = fixture
        .split_once("//- /next/TASK-0001-a/0001.ledger.jsonl")
        .unwrap();
    expect!["task folder `TASK-0001-a` lacks `0001.ledger.jsonl`; restore it first"]
        .assert_eq(&refused(head, "TASK-0001", "start"));
}

#[test]
fn events_are_signed_by_the_configured_user_else_the_dri() {
    let fixture = fixture(&[
        task("current/TASK-0001-a", ""),
        task("current/TASK-0002-b", "current_dri: null"),
    ]);
    let workspace = workspace(&fixture);
    let user_of = |id: &str, config: &Config| {
        let plan = plan(&workspace, find(&workspace, id), &Action::Complete, config).unwrap();
        let line: serde_json::Value = serde_json::from_str(&plan.tasks[0].events[0]).unwrap();
        line["user"].as_str().unwrap().to_string()
    };
    let configured = Config {
        user: Some("@bo".into()),
        ..config()
    };
    assert_eq!(user_of("TASK-0001", &configured), "@bo");
    assert_eq!(user_of("TASK-0001", &config()), "@ana");
    // No user and no DRI: the ledger would record an unknown actor, so the move is refused.
    let refused = plan(
        &workspace,
        find(&workspace, "TASK-0002"),
        &Action::Complete,
        &config(),
    )
    .unwrap_err();
    assert!(refused.contains("no user is set"), "{refused}");
    assert_eq!(user_of("TASK-0002", &configured), "@bo");
}
