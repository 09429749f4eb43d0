//! A task's history as intervals, read from its ledger alone: the stages it visited (entered
//! by SPEC §2's stage-entering events), when it was blocked and paused, its rework events,
//! its creation and its end. The flow metrics (`db::metrics`) and the queries are sums over
//! these intervals.
//!
//! Pure: a function of one ledger, so a ledger append re-derives that task's timeline only.
//! Only the events that move a task are read; other lines (notes, hand-offs, events of other
//! tools) may be in any order. A ledger whose moving events cannot be trusted (a timestamp
//! that does not parse, one earlier than the event before it, an `unblocked` or `resumed`
//! with nothing to end) gets a [`Defect`], and the metrics leave it out rather than guess.

use crate::db::events::entered_stage_after;
use crate::db::vocab::Stage;
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
}
