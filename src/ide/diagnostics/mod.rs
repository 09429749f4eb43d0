//! All diagnostics of a workspace: one module per rule or small family of rules, run here in
//! a fixed order, then shaped by the user's configuration. A rule module holds its rules'
//! checks, their quick fixes and the tests of both, and registers them with one line in
//! [`rule_modules!`] below.

pub mod catalogue;
pub(crate) mod cycles;
mod encoding;
pub mod fix;
pub mod incremental;
mod ref_edits;
mod resource_limit;
pub(crate) mod slo;
pub(crate) mod wip;

/// Declares the rule modules that register checks and fixes ([`RuleModule`]), in the order
/// their checks run.
macro_rules! rule_modules {
    ($($module:ident),* $(,)?) => {
        $(pub(crate) mod $module;)*
        const MODULES: &[&RuleModule] = &[$(&$module::MODULE),*];
    };
}

// A new rule module adds its name here.
rule_modules![
    frontmatter,
    sections,
    package,
    dependencies,
    links,
    ledger,
    state,
    index,
    id_counter,
    proposals,
];

/// What a rule module registers: the checks it runs on one card's text or on one task, and
/// the fix of each of its rules that has one. (The rules on other files, on the clock and on
/// many tasks at once are run by name below.)
pub(crate) struct RuleModule {
    pub(crate) card: Option<CardCheck>,
    pub(crate) task: Option<TaskCheck>,
    pub(crate) fixes: &'static [(Rule, FixFn)],
    /// What the catalogue says of each rule the module checks.
    pub(crate) rules: &'static [RuleDoc],
}

/// A rule's entry in the catalogue, declared beside its check: what `flowos-lsp rules` prints
/// and the rule's section of docs/rules.md (generated from these; see `catalogue`).
#[derive(Debug)]
pub struct RuleDoc {
    pub rule: Rule,
    /// The name users configure and see in brackets (`wip-limit`).
    pub name: &'static str,
    pub severity: Severity,
    /// One sentence: the section's first paragraph and the catalogue's description.
    pub summary: &'static str,
    /// The rest of the section: the severity paragraph, why it matters, and a failing and a
    /// fixed example (a markdown file in `docs/`, beside the rule modules).
    pub docs: &'static str,
}

/// Every rule's catalogue entry: the rule modules' and those of the rules run by name below.
pub(crate) fn rule_docs() -> impl Iterator<Item = &'static RuleDoc> {
    let by_name: [&'static [RuleDoc]; 5] = [
        cycles::RULES,
        wip::RULES,
        slo::RULES,
        encoding::RULES,
        resource_limit::RULES,
    ];
    MODULES
        .iter()
        .flat_map(|module| module.rules)
        .chain(by_name.into_iter().flatten())
}

/// A check of one card's own text (a file rule: it reads nothing else).
pub(crate) type CardCheck = fn(&Workspace, FileId, &Card, &mut Vec<Diagnostic>);
/// A task's cross-file check: it reads the task, its files and the tasks it names.
pub(crate) type TaskCheck = fn(&Workspace, TaskIdx, &mut Vec<Diagnostic>);

use std::collections::HashMap;

use crate::base::TextRange;
use crate::db::vocab::Stage;
use crate::db::{FileId, Parsed, Task, TaskIdx, Workspace};
use crate::ide::types::{Config, Diagnostic, Rule, Severity};
use crate::syntax::card::Card;
use fix::{Fix, FixFn, Fixes};

#[cfg(test)]
pub(crate) mod check_fix;

/// The fix of `rule`, from the module that registers it.
fn fix_of(rule: Rule) -> Option<FixFn> {
    MODULES
        .iter()
        .flat_map(|module| module.fixes)
        .find(|(fixed, _)| *fixed == rule)
        .map(|(_, fix)| *fix)
}

/// The quick fixes for `diagnostic`, safe ones first (SPEC §4).
pub fn fixes_for(workspace: &Workspace, ctx: &Config, diagnostic: &Diagnostic) -> Vec<Fix> {
    let mut fixes = Fixes::new(diagnostic.rule, ctx);
    if let Some(fix) = fix_of(diagnostic.rule) {
        fix(workspace, diagnostic, &mut fixes);
    }
    fixes.into_list()
}

/// Every diagnostic of every file, with severities configured, in a stable order.
pub fn workspace_diagnostics(workspace: &Workspace, config: &Config) -> Vec<Diagnostic> {
    let files: Vec<FileId> = (0..workspace.files.len() as u32).map(FileId).collect();
    let mut out: Vec<Diagnostic> =
        crate::parallel::parallel_map(files, |file| file_diagnostics(workspace, file, config))
            .into_iter()
            .flatten()
            .collect();
    out.extend(cross_file_diagnostics(workspace, config));
    configure(out, config)
}

/// The diagnostics that depend on one file's text alone (and the configuration), before
/// severities are configured. An editor recomputes these for the file that changed only.
pub fn file_diagnostics(
    workspace: &Workspace,
    file_id: FileId,
    config: &Config,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let file = workspace.file(file_id);
    resource_limit::check(file_id, file, &mut out);
    encoding::check(file_id, file, &mut out);
    match &file.parsed {
        Parsed::Card(card) => {
            for check in MODULES.iter().filter_map(|module| module.card) {
                check(workspace, file_id, card, &mut out);
            }
        }
        Parsed::Ledger(parsed) => ledger::check_file(file_id, parsed, config, &mut out),
        Parsed::Proposals(parsed) => proposals::check_file(file_id, parsed, &mut out),
        Parsed::WipPolicy(policy) => proposals::check_gates(file_id, policy, &mut out),
        Parsed::Namespaces(Err(error))
            if !matches!(error.kind, crate::syntax::yaml::YamlErrorKind::OverCap(_)) =>
        {
            out.push(Diagnostic::new(
                Rule::YamlSyntax,
                file_id,
                error.range,
                format!("invalid YAML in NAMESPACES.yaml: {}", error.message),
            ));
        }
        _ => {}
    }
    out
}

/// The diagnostics that relate files to each other (the task graph, indexes, WIP, counters),
/// before severities are configured: every task's own cross-file rules plus the global ones.
pub fn cross_file_diagnostics(workspace: &Workspace, config: &Config) -> Vec<Diagnostic> {
    let tasks: Vec<TaskIdx> = (0..workspace.tasks.len() as u32).map(TaskIdx).collect();
    let mut out: Vec<Diagnostic> =
        crate::parallel::parallel_map(tasks, |idx| task_diagnostics(workspace, idx, config))
            .into_iter()
            .flatten()
            .collect();
    let stage_tasks = StageTasks::of(workspace);
    for global in Global::all(workspace) {
        out.extend(global_family(workspace, &stage_tasks, global));
    }
    cycles::check(workspace, &mut out);
    out
}

/// One task's cross-file rules. They read the task, its files and the tasks it names; so
/// after an edit to task A only A and the tasks whose frontmatter names A need them again.
pub fn task_diagnostics(workspace: &Workspace, idx: TaskIdx, config: &Config) -> Vec<Diagnostic> {
    let mut out = task_rules(workspace, idx);
    out.extend(slo_diagnostics(workspace, idx, config).0);
    out
}

/// [`task_diagnostics`] without the rules that move with the clock.
pub fn task_rules(workspace: &Workspace, idx: TaskIdx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for check in MODULES.iter().filter_map(|module| module.task) {
        check(workspace, idx, &mut out);
    }
    out
}

/// The task's diagnostics that depend on the clock (slo-exceeded), at `config.now`, and the
/// moment they next change if nothing but time moves (None: never).
pub fn slo_diagnostics(
    workspace: &Workspace,
    idx: TaskIdx,
    config: &Config,
) -> (Vec<Diagnostic>, Option<i64>) {
    let mut out = Vec::new();
    let next_change = slo::check_one(workspace, config, workspace.task(idx), &mut out);
    (out, next_change)
}

/// One part of the rules that look across many tasks at once, small enough that an edit
/// recomputes only the parts it can change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Global {
    /// A root's ID counters against the highest IDs in use.
    Counters(usize),
    /// The counted tasks of one stage of a root (per DRI where the limit says so).
    Wip(usize, Stage),
    /// One INDEX.md against the tasks of its scope: its table, phantom and duplicate rows.
    Index(FileId),
    /// A root's pending task drafts (pending-proposal on its root INDEX.md).
    Drafts(usize),
}

impl Global {
    /// Every global part of the workspace. (Cycles are kept per cycle, apart from these.)
    pub fn all(workspace: &Workspace) -> Vec<Global> {
        let mut all = Vec::new();
        for (root_index, root) in workspace.roots.iter().enumerate() {
            all.push(Global::Counters(root_index));
            all.extend(Stage::ALL.map(|stage| Global::Wip(root_index, stage)));
            all.extend(root.indexes.iter().map(|index| Global::Index(index.file)));
            all.push(Global::Drafts(root_index));
        }
        all
    }
}

/// The tasks of each stage of each root, so that a WIP part reads its own stage only.
#[derive(Debug, Default)]
pub struct StageTasks(HashMap<(usize, Stage), Vec<TaskIdx>>);

impl StageTasks {
    pub fn of(workspace: &Workspace) -> StageTasks {
        let mut by_stage: HashMap<(usize, Stage), Vec<TaskIdx>> = HashMap::new();
        for (index, task) in workspace.tasks.iter().enumerate() {
            by_stage
                .entry((task.root, task.stage))
                .or_default()
                .push(TaskIdx(index as u32));
        }
        StageTasks(by_stage)
    }

    fn get(&self, root: usize, stage: Stage) -> &[TaskIdx] {
        self.0.get(&(root, stage)).map_or(&[], Vec::as_slice)
    }
}

/// The diagnostics of one global part.
pub fn global_family(
    workspace: &Workspace,
    stage_tasks: &StageTasks,
    global: Global,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    match global {
        Global::Counters(root) => id_counter::check_root(workspace, root, &mut out),
        Global::Wip(root, stage) => {
            let in_stage = stage_tasks.get(root, stage).iter().copied();
            wip::check_stage(workspace, root, stage, in_stage, &mut out);
        }
        Global::Drafts(root) => proposals::check_drafts(workspace, root, &mut out),
        Global::Index(file) => {
            let found = workspace
                .roots
                .iter()
                .enumerate()
                .find_map(|(root, tasks_root)| {
                    let index = tasks_root.indexes.iter().find(|index| index.file == file)?;
                    Some((root, index))
                });
            if let Some((root, index)) = found {
                index::check_index(workspace, root, index, &mut out);
            }
        }
    }
    out
}

/// A task's diagnostics, configured: its card's own, its cross-file rules', and those of the
/// cycle it is on (of the workspace-wide families only cycles report on a card outside
/// current, and only when the task is on one, so only the task's own cycle is examined).
pub fn task_and_card_diagnostics(
    workspace: &Workspace,
    idx: TaskIdx,
    config: &Config,
) -> Vec<Diagnostic> {
    let mut diagnostics = match workspace.task(idx).card {
        Some(card) => file_diagnostics(workspace, card, config),
        None => Vec::new(),
    };
    diagnostics.extend(task_diagnostics(workspace, idx, config));
    let component = crate::db::graph::component_of(workspace, idx);
    if component.len() > 1 {
        diagnostics.extend(
            cycles::components_among(workspace, &component)
                .into_iter()
                .flat_map(|cycle| cycle.diagnostics),
        );
    }
    configure(diagnostics, config)
}

/// Applies severity overrides, drops switched-off rules, and sorts by file and position.
pub fn configure(diagnostics: Vec<Diagnostic>, config: &Config) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter_map(|diagnostic| {
            let severity = config.effective_severity(&diagnostic)?;
            Some(diagnostic.with_severity(severity))
        })
        .collect();
    out.sort_by(|a, b| {
        (a.file, a.range.start, a.range.end, a.rule, &a.message).cmp(&(
            b.file,
            b.range.start,
            b.range.end,
            b.rule,
            &b.message,
        ))
    });
    out.dedup();
    out
}

/// Where to report a problem that concerns a whole task: its `task_id` value, else the
/// frontmatter's opening fence, else the card's first line. None when it has no card.
pub(crate) fn task_anchor(workspace: &Workspace, task: &Task) -> Option<(FileId, TextRange)> {
    let card_file = task.card?;
    if let Some((_, range)) = &task.meta.task_id {
        return Some((card_file, *range));
    }
    let file = workspace.file(card_file);
    let first_line_end = file.text.find('\n').unwrap_or(file.text.len());
    let first_line = file.text[..first_line_end].trim_end_matches('\r');
    Some((card_file, TextRange::new(0, first_line.len())))
}

/// The range of a task's `stage` value, else its anchor.
pub(crate) fn stage_anchor(workspace: &Workspace, task: &Task) -> Option<(FileId, TextRange)> {
    let card_file = task.card?;
    let card = workspace.card(task)?;
    match card
        .frontmatter
        .block()
        .and_then(|block| block.get("stage"))
    {
        Some(entry) => Some((card_file, entry.value.range)),
        None => task_anchor(workspace, task),
    }
}
