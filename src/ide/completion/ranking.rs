//! The order of task candidates: cycle-closing ones last, the own namespace first, active
//! stages before archived, then nearest ID first. Candidates are walked in that order from
//! the model's task order, so a request costs what it returns, not the root's size.

use super::matching::{CyclePaths, Query, RefSite};
use crate::db::task_order::TaskRun;
use crate::db::vocab::Stage;
use crate::db::{Task, TaskIdx, Workspace};

/// Active stages first, archived last.
fn stage_rank(stage: Stage) -> u8 {
    match stage {
        Stage::Current | Stage::Next | Stage::Backlog => 0,
        Stage::Archived => 2,
        _ => 1,
    }
}

/// How far a candidate's ID is from the task at the cursor; without a task to be near,
/// newer tasks are nearer.
fn distance(own_number: Option<u32>, number: u32) -> u32 {
    match own_number {
        Some(own) => own.abs_diff(number),
        None => u32::MAX - number,
    }
}

/// The tasks of some runs of the task order (see `db::task_order`) in rank order within one
/// namespace and stage class: the nearest number to the own task's first, the lower number
/// first at an equal distance, then the task index. Each run is walked from the own number
/// outwards in both directions, so the walk costs what is taken from it.
struct NearestFirst<'a> {
    own_number: Option<u32>,
    sides: Vec<Side<'a>>,
}

/// One direction of a run from the own number.
struct Side<'a> {
    run: &'a TaskRun,
    /// Upwards: the next index to take. Downwards: the end of the part not reached yet.
    at: usize,
    upwards: bool,
    /// Downwards, the tasks sharing the number being taken, in index order.
    same_number: std::ops::Range<usize>,
}

impl Side<'_> {
    fn peek(&mut self) -> Option<(u32, TaskIdx)> {
        if self.upwards {
            return self.run.get(self.at).copied();
        }
        if self.same_number.is_empty() {
            let &(number, _) = self.run[..self.at].last()?;
            let first = self.run[..self.at].partition_point(|&(n, _)| n < number);
            self.same_number = first..self.at;
            self.at = first;
        }
        Some(self.run[self.same_number.start])
    }

    fn advance(&mut self) {
        if self.upwards {
            self.at += 1;
        } else {
            self.same_number.start += 1;
        }
    }
}

impl<'a> NearestFirst<'a> {
    fn new(runs: impl Iterator<Item = &'a TaskRun>, own_number: Option<u32>) -> Self {
        let mut sides = Vec::new();
        for run in runs.filter(|run| !run.is_empty()) {
            let split = own_number.map_or(run.len(), |own| run.partition_point(|&(n, _)| n < own));
            for upwards in [false, true] {
                sides.push(Side {
                    run,
                    at: split,
                    upwards,
                    same_number: 0..0,
                });
            }
        }
        NearestFirst { own_number, sides }
    }
}

impl Iterator for NearestFirst<'_> {
    type Item = TaskIdx;

    fn next(&mut self) -> Option<TaskIdx> {
        let own_number = self.own_number;
        let (side, _) = self
            .sides
            .iter_mut()
            .enumerate()
            .filter_map(|(at, side)| {
                let (number, idx) = side.peek()?;
                Some((at, (distance(own_number, number), number, idx)))
            })
            .min_by_key(|&(_, key)| key)?;
        let (_, idx) = self.sides[side].peek()?;
        self.sides[side].advance();
        Some(idx)
    }
}

/// How a candidate ranks: the fields compare in order, smaller first.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Rank {
    pub(super) closes_cycle: bool,
    pub(super) other_namespace: bool,
    pub(super) stage: u8,
    /// ID proximity to the task at the cursor.
    pub(super) distance: u32,
    pub(super) number: u32,
}

/// What orders the task candidates of one request (see [`Rank`]).
pub(super) struct Ranking<'a> {
    pub(super) workspace: &'a Workspace,
    pub(super) root: usize,
    pub(super) site: &'a RefSite,
    pub(super) query: Option<&'a Query>,
    pub(super) cycles: Option<&'a CyclePaths>,
}

impl Ranking<'_> {
    /// Whether `task` is offered at all: not the own task, not listed already, matching what
    /// was typed.
    pub(super) fn wanted(&self, task: &Task) -> bool {
        let own_id = self.site.own.map(|idx| &self.workspace.task(idx).id);
        Some(&task.id) != own_id
            && !self.site.listed.contains(&task.id)
            && self.query.is_none_or(|query| query.matches(task))
    }

    pub(super) fn rank(&self, idx: TaskIdx) -> Rank {
        let task = self.workspace.task(idx);
        Rank {
            closes_cycle: self.cycles.is_some_and(|cycles| cycles.reaches(idx)),
            other_namespace: task.namespace() != self.site.namespace.as_deref(),
            stage: stage_rank(task.stage),
            distance: distance(self.own_number(), task.id.number),
            number: task.id.number,
        }
    }

    pub(super) fn own_number(&self) -> Option<u32> {
        self.site.own.map(|idx| self.workspace.task(idx).id.number)
    }

    /// The `limit` best candidates in rank order, each with whether it closes a cycle, and
    /// whether more were left out.
    pub(super) fn best(&self, limit: usize) -> (Vec<(bool, TaskIdx)>, bool) {
        let workspace = self.workspace;
        let namespace = self.site.namespace.as_deref();
        let own_number = self.own_number();
        let closes_cycle = |idx: TaskIdx| self.cycles.is_some_and(|c| c.reaches(idx));
        // One more than is shown tells whether the list is complete.
        let enough = limit.saturating_add(1);

        // Candidates come in rank order (see `Rank`) straight from the model's task order, so a
        // request visits the tasks it returns and those it skips on the way, not the whole root.
        // Those closing a cycle rank last of all and are set apart on the way.
        let mut candidates: Vec<(bool, TaskIdx)> = Vec::new();
        let groups = workspace.task_order().namespaces(self.root);
        'ranked: for other_namespace in [false, true] {
            for class in 0..=2 {
                let runs = groups
                    .iter()
                    .filter(|group| (group.namespace.as_deref() != namespace) == other_namespace)
                    .flat_map(|group| {
                        Stage::ALL
                            .into_iter()
                            .filter(|&stage| stage_rank(stage) == class)
                            .map(|stage| group.in_stage(stage))
                    });
                for idx in NearestFirst::new(runs, own_number) {
                    #[cfg(test)]
                    VISITED.with(|count| count.set(count.get() + 1));
                    if closes_cycle(idx) || !self.wanted(workspace.task(idx)) {
                        continue;
                    }
                    candidates.push((false, idx));
                    if candidates.len() == enough {
                        break 'ranked;
                    }
                }
            }
        }
        if candidates.len() < enough
            && let Some(cycles) = self.cycles
        {
            let mut closing: Vec<(Rank, TaskIdx)> = cycles
                .reached()
                .filter(|&idx| {
                    let task = workspace.task(idx);
                    workspace.owners(self.root, &task.id).first() == Some(&idx) && self.wanted(task)
                })
                .map(|idx| (self.rank(idx), idx))
                .collect();
            closing.sort();
            let room = enough - candidates.len();
            candidates.extend(closing.into_iter().take(room).map(|(_, idx)| (true, idx)));
        }
        let is_incomplete = candidates.len() > limit;
        candidates.truncate(limit);
        (candidates, is_incomplete)
    }
}

#[cfg(test)]
thread_local! {
    /// How many task candidates this thread's requests have looked at: lets a test prove that
    /// a request's work follows what it returns, not the root's size.
    static VISITED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::base::{Dice, TextRange};
    use crate::ide::completion::CompletionConfig;
    use crate::ide::completion::check::{complete_at, config};
    use crate::ide::completion::context::Token;
    use crate::ide::completion::matching::Relation;
    use crate::ide::fixture::{COUNTER, package, workspace};
    use crate::syntax::task_id::TaskId;

    #[test]
    fn more_candidates_than_the_limit_are_capped_and_incomplete() {
        let mut fixture = format!(
            "{COUNTER}{}",
            package("backlog/TASK-0001-a", "related_to: [TASK-$0]")
        );
        for number in 2..=150 {
            fixture.push_str(&package(&format!("backlog/TASK-{number:04}-t"), ""));
        }
        let list = complete_at(&fixture, &config()).unwrap();
        assert!(list.is_incomplete);
        assert_eq!(list.items.len(), 100);
        // Nearest IDs first.
        assert_eq!(list.items[0].label, "TASK-0002");
        assert_eq!(list.items[99].label, "TASK-0101");
        // Typing narrows the list below the cap.
        let narrowed =
            complete_at(&fixture.replacen("TASK-$0", "TASK-014$0", 1), &config()).unwrap();
        assert!(!narrowed.is_incomplete);
        let labels: Vec<&str> = narrowed
            .items
            .iter()
            .map(|item| item.label.as_str())
            .collect();
        assert_eq!(
            labels,
            [
                "TASK-0140",
                "TASK-0141",
                "TASK-0142",
                "TASK-0143",
                "TASK-0144",
                "TASK-0145",
                "TASK-0146",
                "TASK-0147",
                "TASK-0148",
                "TASK-0149"
            ]
        );
    }

    /// The ranking as it was before the task order: every task of the root scored and
    /// sorted. The walk must give the same list.
    fn rank_every_task(ranking: &Ranking, limit: usize) -> (Vec<(bool, TaskIdx)>, bool) {
        let workspace = ranking.workspace;
        let mut all: Vec<(Rank, TaskIdx)> = workspace.roots[ranking.root]
            .tasks
            .iter()
            .filter(|&&idx| {
                let task = workspace.task(idx);
                workspace.owners(ranking.root, &task.id).first() == Some(&idx)
                    && ranking.wanted(task)
            })
            .map(|&idx| (ranking.rank(idx), idx))
            .collect();
        all.sort();
        let is_incomplete = all.len() > limit;
        all.truncate(limit);
        let ranked = all
            .into_iter()
            .map(|(rank, idx)| (rank.closes_cycle, idx))
            .collect();
        (ranked, is_incomplete)
    }

    #[test]
    fn the_walk_ranks_as_scoring_every_task_would() {
        const TYPED: [&str; 9] = ["", "TASK-", "00", "1", "2", "FW-", "FW-00", "task", "b"];
        for seed in 1..=120u64 {
            let mut dice = Dice::new(seed);
            let count = 1 + dice.roll(30);
            let mut fixture = format!("{COUNTER}//- /NAMESPACES.yaml\nnamespaces:\n  FW: {{}}\n");
            let mut ids = Vec::new();
            for _ in 0..count {
                // Numbers from a small range, so that IDs repeat (duplicates) and sit at
                // equal distances on both sides of the own task.
                let number = 1 + dice.roll(30);
                let short = if dice.roll(3) == 0 {
                    format!("FW-{number:04}")
                } else {
                    format!("{number:04}")
                };
                ids.push(short);
            }
            for (at, short) in ids.iter().enumerate() {
                let depends_on: Vec<String> = (0..dice.roll(3))
                    .map(|_| format!("TASK-{}", ids[dice.roll(ids.len())]))
                    .collect();
                let stage = Stage::ALL[dice.roll(Stage::ALL.len())];
                fixture.push_str(&package(
                    &format!("{stage}/TASK-{short}-t{at}"),
                    &format!("depends_on: [{}]", depends_on.join(", ")),
                ));
            }
            let workspace = workspace(&fixture);
            let own = TaskIdx(dice.roll(workspace.tasks.len()) as u32);
            let own_task = workspace.task(own);
            let relation = [Relation::DependsOn, Relation::Blocks, Relation::Other][dice.roll(3)];
            let listed: HashSet<TaskId> = (0..dice.roll(4))
                .map(|_| workspace.tasks[dice.roll(workspace.tasks.len())].id.clone())
                .collect();
            let site = RefSite {
                token: Token {
                    range: TextRange::new(0, 0),
                    opened: None,
                    closed: false,
                },
                before: String::new(),
                after: String::new(),
                listed,
                own: (dice.roll(5) != 0).then_some(own),
                namespace: own_task.namespace().map(str::to_string),
                relation,
            };
            let query = Query::new(TYPED[dice.roll(TYPED.len())]);
            let cycles = CyclePaths::compute(&workspace, 0, site.own, relation);
            let ranking = Ranking {
                workspace: &workspace,
                root: 0,
                site: &site,
                query: query.as_ref(),
                cycles: cycles.as_ref(),
            };
            let limit = dice.roll(12);
            assert_eq!(
                ranking.best(limit),
                rank_every_task(&ranking, limit),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn a_request_looks_at_what_it_returns_not_at_the_whole_root() {
        // Tasks near the own one come first, so a request with a limit of 10 looks at about
        // 10 tasks whether the root has 50 or 600.
        let visited = |tasks: u32| {
            let mut fixture = format!(
                "{COUNTER}{}",
                package("backlog/TASK-0025-a", "related_to: [TASK-$0]")
            );
            for number in (1..=tasks).filter(|&number| number != 25) {
                let stage = if number % 3 == 0 {
                    "archived"
                } else {
                    "backlog"
                };
                fixture.push_str(&package(&format!("{stage}/TASK-{number:04}-t"), ""));
            }
            let config = CompletionConfig {
                limit: 10,
                ..config()
            };
            VISITED.with(|count| count.set(0));
            let list = complete_at(&fixture, &config).unwrap();
            assert_eq!(list.items.len(), 10);
            assert!(list.is_incomplete);
            VISITED.with(std::cell::Cell::get)
        };
        assert_eq!(visited(50), visited(600));
        // The ten shown, the one telling the list is incomplete, and the own task.
        assert_eq!(visited(50), 12);
    }
}
