//! A task's history as intervals, read from its ledger alone: the stages it visited (entered
//! by SPEC §2's stage-entering events), when it was blocked and paused, its rework events,
//! its creation and its end. The flow metrics (`db::metrics`) and the queries are sums over
//! these intervals.
//!
//! Pure: a function of one ledger, so a ledger append re-derives that task's timeline only.
//! The model keeps each timeline once built ([`TimelineCache`], read through
//! [`Workspace::timeline`]) and forgets a task's when its ledger changes in place, so the
//! server's queries, hover and code lens rebuild only what an edit touched.
//! Only the events that move a task are read; other lines (notes, hand-offs, events of other
//! tools) may be in any order. A ledger whose moving events cannot be trusted (a timestamp
//! that does not parse, one earlier than the event before it, an `unblocked` or `resumed`
//! with nothing to end) gets a [`Defect`], and the metrics leave it out rather than guess.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::db::events::entered_stage_after;
use crate::db::vocab::Stage;
use crate::db::{TaskIdx, Workspace};
use crate::syntax::ledger::{Event, Ledger};
use crate::syntax::task_id::parse_task_ref;
use crate::syntax::time::parse_rfc3339;

/// Seconds since the Unix epoch (UTC).
pub type Instant = i64;

/// One stay of a task in a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    pub stage: Stage,
    pub entered: Instant,
    /// None while the task is still there.
    pub left: Option<Instant>,
    /// The event that entered the stage (`created` for inbox).
    pub entered_by: String,
}

/// A stretch of time a task was blocked or paused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: Instant,
    /// None while it lasts.
    pub end: Option<Instant>,
    /// What held the task: `TASK-0010`, `external:…`, the pause's reason; None when the
    /// event does not say.
    pub cause: Option<String>,
    /// The event that started it.
    pub event: String,
}

impl Span {
    /// Its length within `[from, to)`, an open span running to `to`.
    pub fn overlap(&self, from: Instant, to: Instant) -> i64 {
        let end = self.end.unwrap_or(to).min(to);
        (end - self.start.max(from)).max(0)
    }
}

/// A `rollback` or `rework_required`: the task went back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rework {
    pub at: Instant,
    pub event: String,
    pub from: Option<Stage>,
    pub to: Option<Stage>,
    pub reason: Option<String>,
    pub user: Option<String>,
}

/// How a task's life ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndKind {
    Closed,
    Canceled,
    Split,
}

impl EndKind {
    pub fn name(self) -> &'static str {
        match self {
            EndKind::Closed => "closed",
            EndKind::Canceled => "canceled",
            EndKind::Split => "split",
        }
    }
}

/// Why a ledger cannot support the figures derived from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defect {
    /// One-based line of the ledger.
    pub line: usize,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    pub created: Option<Instant>,
    /// When and how it ended (closed, canceled, split); None while in flight.
    pub ended: Option<(Instant, EndKind)>,
    pub visits: Vec<Visit>,
    pub blocked: Vec<Span>,
    pub paused: Vec<Span>,
    pub rework: Vec<Rework>,
    pub defects: Vec<Defect>,
}

/// One task's timeline once asked for: None when the task has no ledger that was read.
type Slot = OnceLock<Option<Box<Timeline>>>;

/// Each task's timeline, built on first use and kept for the model's life, one slot per task:
/// a task's slot is emptied when its ledger changes in place (`Workspace::update_content`),
/// and a rebuilt model starts with an empty cache. Nothing is built until asked for, so a
/// server nobody asks about history holds no timelines.
#[derive(Debug, Default)]
pub struct TimelineCache {
    /// Indexed by `TaskIdx`; made as long as the model's task list on first use.
    slots: OnceLock<Box<[Slot]>>,
    /// How many timelines were built from ledgers: what the work-counting tests read.
    built: AtomicUsize,
}

impl TimelineCache {
    /// Forgets the timeline of task `idx`, whose ledger changed.
    pub(crate) fn forget(&mut self, idx: TaskIdx) {
        if let Some(slot) = self
            .slots
            .get_mut()
            .and_then(|slots| slots.get_mut(idx.0 as usize))
        {
            *slot = OnceLock::new();
        }
    }

    /// How many timelines this model has built from ledgers so far.
    pub fn built(&self) -> usize {
        self.built.load(Ordering::Relaxed)
    }
}

impl Workspace {
    /// The timeline of task `idx`, built from its ledger on first use and kept until the
    /// ledger changes; None when the task has no ledger that was read.
    pub fn timeline(&self, idx: TaskIdx) -> Option<&Timeline> {
        let slots = self
            .timelines
            .slots
            .get_or_init(|| (0..self.tasks.len()).map(|_| OnceLock::new()).collect());
        slots
            .get(idx.0 as usize)?
            .get_or_init(|| {
                let task = self.task(idx);
                let ledger = self.ledger(task)?;
                self.timelines.built.fetch_add(1, Ordering::Relaxed);
                Some(Box::new(Timeline::of(ledger, task.namespace())))
            })
            .as_deref()
    }
}

/// What one moving event does to the timeline.
enum Move {
    Created,
    Enter(Stage),
    Block,
    Unblock,
    Pause,
    Resume,
    Rework,
}

impl Timeline {
    /// The timeline of a task whose ledger is `ledger`; `namespace` resolves unqualified task
    /// references in blocker fields.
    pub fn of(ledger: &Ledger, namespace: Option<&str>) -> Timeline {
        let mut timeline = Timeline::default();
        let mut last: Option<(Instant, usize)> = None;
        for (line, event) in ledger.events() {
            let Some(name) = event.event() else { continue };
            let line = line.number + 1;
            let current = timeline.stage();
            let Some(moves) = moves_of(name, event, current) else {
                continue;
            };
            let Some(at) = event.ts().and_then(parse_rfc3339) else {
                timeline.defect(line, format!("`{name}` has no valid `ts`"));
                continue;
            };
            if let Some((before, before_line)) = last
                && at < before
            {
                timeline.defect(
                    line,
                    format!("`{name}` is dated before the event of line {before_line}"),
                );
                continue;
            }
            last = Some((at, line));
            for change in moves {
                timeline.apply(change, at, name, event, line, namespace);
            }
        }
        timeline
    }

    /// The stage the ledger has the task in last.
    pub fn stage(&self) -> Option<Stage> {
        self.visits.last().map(|visit| visit.stage)
    }

    /// When the task was closed (not canceled or split).
    pub fn closed(&self) -> Option<Instant> {
        match self.ended {
            Some((at, EndKind::Closed)) => Some(at),
            _ => None,
        }
    }

    /// Creation to closing, for a closed task.
    pub fn lead(&self) -> Option<i64> {
        Some(self.closed()? - self.created?)
    }

    /// The end of the task's life as of `now`: its end, else `now`.
    pub fn end_or(&self, now: Instant) -> Instant {
        self.ended.map_or(now, |(at, _)| at)
    }

    /// Time blocked within `[from, to)`.
    pub fn blocked_within(&self, from: Instant, to: Instant) -> i64 {
        self.blocked.iter().map(|span| span.overlap(from, to)).sum()
    }

    /// Time paused within `[from, to)`.
    pub fn paused_within(&self, from: Instant, to: Instant) -> i64 {
        self.paused.iter().map(|span| span.overlap(from, to)).sum()
    }

    /// Time within `[from, to)` that the task was neither blocked nor paused: a moment both
    /// blocked and paused is waiting once, not twice.
    pub fn active_within(&self, from: Instant, to: Instant) -> i64 {
        let mut held: Vec<(Instant, Instant)> = self
            .blocked
            .iter()
            .chain(&self.paused)
            .map(|span| (span.start.max(from), span.end.unwrap_or(to).min(to)))
            .filter(|(start, end)| start < end)
            .collect();
        held.sort_unstable();
        let mut waiting = 0;
        let mut reach = from;
        for (start, end) in held {
            let start = start.max(reach);
            if end > start {
                waiting += end - start;
                reach = end;
            }
        }
        (to - from).max(0) - waiting
    }

    /// The stage the task was in at `at`, if it existed and had not ended then.
    pub fn stage_at(&self, at: Instant) -> Option<Stage> {
        if self.ended.is_some_and(|(end, _)| end <= at) {
            return None;
        }
        self.visits
            .iter()
            .rev()
            .find(|visit| visit.entered <= at)
            .filter(|visit| visit.left.is_none_or(|left| left > at))
            .map(|visit| visit.stage)
    }

    pub fn paused_at(&self, at: Instant) -> bool {
        self.paused
            .iter()
            .any(|span| span.start <= at && span.end.is_none_or(|end| end > at))
    }

    /// The span blocking the task now, if one is open.
    pub fn open_block(&self) -> Option<&Span> {
        self.blocked.last().filter(|span| span.end.is_none())
    }

    fn defect(&mut self, line: usize, reason: String) {
        self.defects.push(Defect { line, reason });
    }

    fn apply(
        &mut self,
        change: Move,
        at: Instant,
        name: &str,
        event: &Event,
        line: usize,
        namespace: Option<&str>,
    ) {
        match change {
            Move::Created => {
                if self.created.is_none() {
                    self.created = Some(at);
                }
                if self.visits.is_empty() {
                    self.enter(Stage::Inbox, at, name);
                }
            }
            Move::Enter(stage) => self.enter(stage, at, name),
            Move::Block => start_span(&mut self.blocked, at, name, || {
                ["blocked_by", "blocker", "dependency"]
                    .iter()
                    .find_map(|key| event.str_field(key))
                    .map(|text| blocker_name(text, namespace))
            }),
            Move::Unblock => {
                if !end_span(&mut self.blocked, at) {
                    self.defect(line, format!("`{name}` ends no block"));
                }
            }
            Move::Pause => start_span(&mut self.paused, at, name, || {
                ["reason", "desc"]
                    .iter()
                    .find_map(|key| event.str_field(key))
                    .map(str::to_string)
            }),
            Move::Resume => {
                if !end_span(&mut self.paused, at) {
                    self.defect(line, format!("`{name}` ends no pause"));
                }
            }
            Move::Rework => self.rework.push(Rework {
                at,
                event: name.to_string(),
                from: stage_field(event, &["from", "from_stage"]).or(self.stage()),
                // `rework_required` always sends the task back to next (SPEC §2).
                to: stage_field(event, &["to", "to_stage"])
                    .or((name == "rework_required").then_some(Stage::Next)),
                reason: ["reason", "desc"]
                    .iter()
                    .find_map(|key| event.str_field(key))
                    .map(str::to_string),
                user: event.user().map(str::to_string),
            }),
        }
    }

    /// Moves the task into `stage` at `at` (nothing when it is there already).
    fn enter(&mut self, stage: Stage, at: Instant, name: &str) {
        if self.stage() == Some(stage) && self.ended.is_none() {
            return;
        }
        if let Some(visit) = self.visits.last_mut()
            && visit.left.is_none()
        {
            visit.left = Some(at);
        }
        let end = match name {
            "closed" => Some(EndKind::Closed),
            "canceled" => Some(EndKind::Canceled),
            "split" => Some(EndKind::Split),
            _ => None,
        };
        match end {
            Some(kind) => {
                self.ended = Some((at, kind));
                // Nothing is blocked or paused once the task's life is over.
                for span in self.blocked.iter_mut().chain(self.paused.iter_mut()) {
                    span.end.get_or_insert(at);
                }
            }
            None => self.ended = None,
        }
        self.visits.push(Visit {
            stage,
            entered: at,
            left: None,
            entered_by: name.to_string(),
        });
    }
}

/// Opens a block or pause at `at` unless one is open already: a second `blocked` while
/// blocked is the same wait, not a new one.
fn start_span(
    spans: &mut Vec<Span>,
    at: Instant,
    event: &str,
    cause: impl FnOnce() -> Option<String>,
) {
    if spans.last().is_none_or(|span| span.end.is_some()) {
        spans.push(open_span(at, cause(), event));
    }
}

/// Ends the open block or pause at `at`; false when none is open.
fn end_span(spans: &mut [Span], at: Instant) -> bool {
    match spans.last_mut().filter(|span| span.end.is_none()) {
        Some(span) => {
            span.end = Some(at);
            true
        }
        None => false,
    }
}

fn open_span(start: Instant, cause: Option<String>, event: &str) -> Span {
    Span {
        start,
        end: None,
        cause,
        event: event.to_string(),
    }
}

/// What a moving event does, in order; None for an event that does not move the task.
/// Besides SPEC §2's stage-entering events, a `rollback`, a P0 displacement or a `resumed`
/// that names its destination stage (`to`, `to_stage`, `resumed_to_stage`) moves the task.
fn moves_of(name: &str, event: &Event, current: Option<Stage>) -> Option<Vec<Move>> {
    let destination = || stage_field(event, &["to", "to_stage", "resumed_to_stage"]);
    let moves = match name {
        "created" => vec![Move::Created],
        "blocked" | "cascade_blocked_by_cancel" | "cascade_blocked_by_pause" | "waiting_on" => {
            vec![Move::Block]
        }
        "unblocked" => vec![Move::Unblock],
        "paused" | "paused_by_p0" | "displaced_by_p0" => {
            let mut moves = vec![Move::Pause];
            moves.extend(destination().map(Move::Enter));
            moves
        }
        "resumed" => {
            let mut moves = vec![Move::Resume];
            moves.extend(destination().map(Move::Enter));
            moves
        }
        "rollback" => {
            let mut moves = vec![Move::Rework];
            moves.extend(destination().map(Move::Enter));
            moves
        }
        "rework_required" => vec![Move::Rework, Move::Enter(Stage::Next)],
        _ => vec![Move::Enter(entered_stage_after(name, current)?)],
    };
    Some(moves)
}

fn stage_field(event: &Event, keys: &[&str]) -> Option<Stage> {
    keys.iter()
        .find_map(|key| event.str_field(key))
        .and_then(|text| Stage::parse(text.trim()))
}

/// A blocker as the metrics group it: a task by its display ID (`task:0010 (canceled)` is
/// `TASK-0010`), anything else as written.
pub fn blocker_name(text: &str, namespace: Option<&str>) -> String {
    let text = text.trim();
    let reference = text.strip_prefix("task:").unwrap_or(text).trim();
    let reference = reference.split_whitespace().next().unwrap_or(reference);
    match parse_task_ref(reference) {
        Some((id, _)) if text.starts_with("task:") || reference == text => {
            id.resolved_in(namespace).to_string()
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ledger::parse_ledger;

    fn line(ts: &str, event: &str, extra: &str) -> String {
        format!(
            "{{\"ts\":\"{ts}\",\"user\":\"@ana\",\"event\":\"{event}\",\"desc\":\"d\"{extra}}}\n"
        )
    }

    fn at(ts: &str) -> Instant {
        parse_rfc3339(ts).unwrap()
    }

    #[test]
    fn stages_blocks_and_the_end_come_from_the_moving_events() {
        let text = [
            line("2026-01-01T00:00:00Z", "created", ""),
            line("2026-01-01T06:00:00Z", "verified", ""),
            line("2026-01-02T00:00:00Z", "prioritized", ""),
            line("2026-01-03T00:00:00Z", "started", ""),
            line(
                "2026-01-03T12:00:00Z",
                "blocked",
                ",\"blocked_by\":\"task:0009 (canceled)\"",
            ),
            line("2026-01-04T00:00:00Z", "unblocked", ""),
            line("2026-01-05T00:00:00Z", "implemented", ""),
            // WF5's second `verified` moves nothing.
            line("2026-01-05T01:00:00Z", "verified", ""),
            line("2026-01-06T00:00:00Z", "closed", ""),
        ]
        .concat();
        let timeline = Timeline::of(&parse_ledger(&text), None);
        assert!(timeline.defects.is_empty(), "{:?}", timeline.defects);
        let stages: Vec<Stage> = timeline.visits.iter().map(|v| v.stage).collect();
        assert_eq!(
            stages,
            [
                Stage::Inbox,
                Stage::Backlog,
                Stage::Next,
                Stage::Current,
                Stage::Integration,
                Stage::Archived
            ]
        );
        assert_eq!(timeline.lead(), Some(5 * 86_400));
        assert_eq!(timeline.blocked[0].cause.as_deref(), Some("TASK-0009"));
        assert_eq!(
            timeline.blocked_within(0, at("2026-02-01T00:00:00Z")),
            12 * 3600
        );
        assert_eq!(
            timeline.stage_at(at("2026-01-03T13:00:00Z")),
            Some(Stage::Current)
        );
        assert_eq!(timeline.stage_at(at("2026-01-07T00:00:00Z")), None);
    }

    #[test]
    fn untrustworthy_moving_events_are_defects_and_other_lines_may_be_unordered() {
        let text = [
            line("2026-01-02T00:00:00Z", "created", ""),
            line("2026-01-01T00:00:00Z", "content_updated", ""),
            line("2026-01-03T00:00:00Z", "verified", ""),
            line("2026-01-02T12:00:00Z", "prioritized", ""),
            line("not a time", "started", ""),
            line("2026-01-04T00:00:00Z", "resumed", ""),
            "{not json\n".to_string(),
        ]
        .concat();
        let timeline = Timeline::of(&parse_ledger(&text), None);
        let lines: Vec<usize> = timeline.defects.iter().map(|d| d.line).collect();
        assert_eq!(lines, [4, 5, 6]);
        assert_eq!(timeline.stage(), Some(Stage::Backlog));
    }

    #[test]
    fn active_time_counts_an_overlap_of_block_and_pause_once() {
        let text = [
            line("2026-01-01T00:00:00Z", "created", ""),
            line(
                "2026-01-01T10:00:00Z",
                "blocked",
                ",\"blocked_by\":\"external:x\"",
            ),
            line("2026-01-01T12:00:00Z", "paused", ""),
            line("2026-01-01T14:00:00Z", "unblocked", ""),
            line("2026-01-01T16:00:00Z", "resumed", ""),
        ]
        .concat();
        let timeline = Timeline::of(&parse_ledger(&text), None);
        let day = at("2026-01-01T00:00:00Z");
        // Held from 10:00 to 16:00: six of the day's 24 hours.
        assert_eq!(timeline.active_within(day, day + 86_400), 18 * 3600);
        assert_eq!(timeline.blocked[0].cause.as_deref(), Some("external:x"));
    }

    /// Builds a model of `tasks` tasks in current, asks for every timeline (as the metrics
    /// do), appends one event to one ledger in place, asks again, and returns how many
    /// timelines the second asking built.
    fn rebuilt_after_one_append(tasks: u32) -> usize {
        use crate::db::metrics::{Window, metrics};
        use crate::ide::fixture::{COUNTER, ROOT, package, workspace};
        use std::path::PathBuf;

        let mut fixture = String::from(COUNTER);
        for number in 1..=tasks {
            fixture.push_str(&package(&format!("current/TASK-{number:04}-t"), ""));
        }
        let mut model = workspace(&fixture);
        let all: Vec<TaskIdx> = (0..model.tasks.len() as u32).map(TaskIdx).collect();
        let window = Window::default_until(at("2026-04-01T00:00:00Z"));
        metrics(&model, &all, window, window.until);
        assert_eq!(
            model.timelines.built(),
            tasks as usize,
            "one timeline a task"
        );
        metrics(&model, &all, window, window.until);
        assert_eq!(
            model.timelines.built(),
            tasks as usize,
            "asking again builds nothing"
        );

        let ledger = PathBuf::from(ROOT).join("current/TASK-0002-t/0002.ledger.jsonl");
        let file = model
            .file_by_path(&ledger)
            .expect("the fixture has the ledger");
        let appended = format!(
            "{}{}",
            model.file(file).text,
            line("2026-03-03T09:00:00Z", "started", "")
        );
        let built = model.timelines.built();
        assert!(model.update_text(&ledger, &appended));
        let figures = metrics(&model, &all, window, window.until);
        // The appended `started` is read: the task is in current (WIP) from then on.
        let task = model.task_idx_of_file(file).unwrap();
        assert_eq!(
            model.timeline(task).and_then(Timeline::stage),
            Some(Stage::Current)
        );
        let in_current = figures.wip.by_stage.iter().find(|s| s.stage == "current");
        assert_eq!(in_current.map(|s| s.count), Some(1));
        model.timelines.built() - built
    }

    #[test]
    fn a_ledger_append_rebuilds_that_task_s_timeline_only_whatever_the_workspace_size() {
        assert_eq!(rebuilt_after_one_append(10), 1);
        assert_eq!(rebuilt_after_one_append(1000), 1);
    }

    #[test]
    fn editing_a_card_keeps_every_timeline() {
        use crate::ide::fixture::{COUNTER, ROOT, package, workspace};
        use std::path::PathBuf;

        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-0001-a", ""),
            package("backlog/TASK-0002-b", "")
        );
        let mut model = workspace(&fixture);
        assert!(model.timeline(TaskIdx(0)).is_some() && model.timeline(TaskIdx(1)).is_some());
        let card = PathBuf::from(ROOT).join("backlog/TASK-0001-a/0001-a.task.md");
        let text = model
            .file(model.file_by_path(&card).unwrap())
            .text
            .to_string();
        assert!(model.update_text(&card, &text.replace("Do the thing.", "Do it.")));
        model.timeline(TaskIdx(0));
        model.timeline(TaskIdx(1));
        assert_eq!(
            model.timelines.built(),
            2,
            "a card edit rebuilds no timeline"
        );
    }
}
