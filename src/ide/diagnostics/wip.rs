//! wip-limit: counted tasks per stage (system-wide or per DRI) against wip.policy.md's table,
//! else SPEC §2's defaults. `current` is the hard limit (error); the others are soft (warning).

use std::collections::BTreeMap;

use crate::base::TextRange;
use crate::db::vocab::Stage;
use crate::db::{Parsed, Task, TasksRoot, Workspace};
use crate::ide::diagnostics::stage_anchor;
use crate::ide::types::{Diagnostic, Rule, Severity};
use crate::syntax::wip_policy::{LimitScope, WipPolicy};

pub(super) fn check(workspace: &Workspace, out: &mut Vec<Diagnostic>) {
    let defaults = WipPolicy::defaults();
    for root in &workspace.roots {
        let policy = root
            .wip_policy
            .and_then(|file| match &workspace.file(file).parsed {
                Parsed::WipPolicy(policy) if policy.limits_from_file => Some(policy),
                _ => None,
            })
            .unwrap_or(&defaults);
        for stage in Stage::ALL {
            let Some(limit) = policy.limit(stage.name()) else {
                continue;
            };
            let Some(max) = limit.limit else {
                continue;
            };
            let counted: Vec<&Task> = root
                .tasks
                .iter()
                .map(|&idx| workspace.task(idx))
                .filter(|task| task.stage == stage)
                .filter(|task| {
                    task.meta
                        .status()
                        .is_none_or(|status| status.counts_for_wip())
                })
                .collect();
            let groups: BTreeMap<Option<&str>, Vec<&Task>> = match limit.scope {
                LimitScope::SystemWide => BTreeMap::from([(None, counted)]),
                LimitScope::PerDri => {
                    let mut groups: BTreeMap<Option<&str>, Vec<&Task>> = BTreeMap::new();
                    for task in counted {
                        groups
                            .entry(Some(task.meta.current_dri.as_deref().unwrap_or("(no DRI)")))
                            .or_default()
                            .push(task);
                    }
                    groups
                }
            };
            for (dri, tasks) in groups {
                if tasks.len() > max as usize {
                    report(workspace, root, stage, dri, max, &tasks, out);
                }
            }
        }
    }
}

fn report(
    workspace: &Workspace,
    root: &TasksRoot,
    stage: Stage,
    dri: Option<&str>,
    max: u32,
    tasks: &[&Task],
    out: &mut Vec<Diagnostic>,
) {
    let hard = stage == Stage::Current;
    let severity = if hard {
        Severity::Error
    } else {
        Severity::Warning
    };
    let kind = if hard { "hard" } else { "soft" };
    let whose = match dri {
        Some(dri) => format!(" for {dri}"),
        None => String::new(),
    };
    let advice = if hard {
        "finish, pause or move a task before starting another"
    } else {
        "reprioritize or hand work over"
    };
    let message = format!(
        "{stage} holds {} counted tasks{whose}, over its {kind} WIP limit of {max}; {advice}",
        tasks.len()
    );
    let anchors: Vec<_> = tasks
        .iter()
        .filter_map(|task| stage_anchor(workspace, task).map(|anchor| (anchor, *task)))
        .collect();
    for &((file, range), task) in &anchors {
        let mut diagnostic =
            Diagnostic::new(Rule::WipLimit, file, range, message.clone()).with_severity(severity);
        for &((other_file, other_range), other) in &anchors {
            if other.id != task.id || other_file != file {
                diagnostic = diagnostic.with_related(
                    other_file,
                    other_range,
                    format!("{} also counts toward the limit", other.id),
                );
            }
        }
        out.push(diagnostic);
    }
    for index in root
        .indexes
        .iter()
        .filter(|index| index.stage == Some(stage))
    {
        let range = match &workspace.file(index.file).parsed {
            Parsed::Index(parsed) => parsed.table.as_ref().map(|table| table.header_range),
            _ => None,
        }
        .unwrap_or_else(|| TextRange::empty(0));
        out.push(
            Diagnostic::new(Rule::WipLimit, index.file, range, message.clone())
                .with_severity(severity),
        );
    }
}
