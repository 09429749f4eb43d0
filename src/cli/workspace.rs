//! The tasks roots a subcommand works on: found (SPEC §2) and read, with the paths it
//! reports shown relative to the PATH it was given.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::apply;
use crate::cli::{EXIT_ERRORS, EXIT_USAGE};
use crate::db::layout::read_by_flow;
use crate::db::{CardReading, RootInput, Workspace};
use crate::loader;
use crate::roots;

/// The tasks roots a subcommand works on (SPEC §2): the one given with `--tasks-root`
/// (relative to `base`, as the editor's `flowos.tasksRoot` is to its workspace folder), else
/// those found for `base`: below it, else above it. The error is the exit code, its reason
/// written on `err`; where it fails nothing has been read, so nothing can be written.
pub fn find_roots(
    base: &Path,
    tasks_root: Option<&Path>,
    err: &mut dyn Write,
) -> Result<Vec<PathBuf>, i32> {
    if let Some(tasks_root) = tasks_root {
        let root = base.join(tasks_root);
        if !root.is_dir() {
            let _ = writeln!(
                err,
                "flowos-lsp: --tasks-root {}: there is no folder {}",
                tasks_root.display(),
                root.display()
            );
            return Err(EXIT_USAGE);
        }
        return Ok(vec![root]);
    }
    let roots = match roots::find(base) {
        Ok(roots) => roots,
        Err(error) => {
            let _ = writeln!(err, "flowos-lsp: cannot read {}: {error}", base.display());
            return Err(EXIT_USAGE);
        }
    };
    if roots.is_empty() {
        let _ = writeln!(
            err,
            "flowos-lsp: no .work/tasks found in {}, below it or above it; {}, \
             or the one given with --tasks-root",
            base.display(),
            roots::WHAT_IS_A_ROOT
        );
        return Err(EXIT_USAGE);
    }
    Ok(roots)
}

/// Reads `roots`, reporting unreadable files on `err` (paths shown relative to `base`).
pub fn load_roots(base: &Path, roots: &[PathBuf], err: &mut dyn Write) -> Workspace {
    let inputs: Vec<_> = roots.iter().map(|root| loader::load_root(root)).collect();
    report_problems(base, &inputs, err);
    Workspace::build(inputs)
}

/// Writes what could not be read on `err` (paths shown relative to `base`).
fn report_problems(base: &Path, inputs: &[RootInput], err: &mut dyn Write) {
    for input in inputs {
        for problem in &input.problems {
            let path = display_path(base, &input.path.join(&problem.rel));
            let _ = writeln!(err, "flowos-lsp: {path}: {}", problem.message);
        }
    }
}

/// The part of the model the flow engine's commands (`query`, `report`) read: the files
/// `read_by_flow` names, without the mention index, and as much of each card as `cards`
/// says. What they answer is the same as from the whole model (tests/queries.rs compares
/// them with the server's `flowos.query`).
pub fn load_flow_workspace(
    base: &Path,
    tasks_root: Option<&Path>,
    cards: CardReading,
    err: &mut dyn Write,
) -> Result<Workspace, i32> {
    let roots = find_roots(base, tasks_root, err)?;
    let inputs: Vec<_> = roots
        .iter()
        .map(|root| loader::load_root_only(root, read_by_flow))
        .collect();
    report_problems(base, &inputs, err);
    Ok(Workspace::build_for_flow(inputs, cards))
}

/// Finds the tasks roots for `base` (see [`find_roots`]) and reads them.
pub fn load_workspace(
    base: &Path,
    tasks_root: Option<&Path>,
    err: &mut dyn Write,
) -> Result<Workspace, i32> {
    let roots = find_roots(base, tasks_root, err)?;
    Ok(load_roots(base, &roots, err))
}

/// `path` relative to the checked PATH when it lies below it, with `/` separators.
pub fn display_path(base: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let shown = relative.to_string_lossy().replace('\\', "/");
    if shown.is_empty() { ".".into() } else { shown }
}

/// The workspace below `base`, with whatever a crash interrupted in it finished first (see
/// [`recover_interrupted`]). Err is the exit code, the reason already on `err`.
pub fn load_recovered(
    base: &Path,
    tasks_root: Option<&Path>,
    err: &mut dyn Write,
) -> Result<Workspace, i32> {
    let workspace = load_workspace(base, tasks_root, err)?;
    recover_interrupted(workspace, base, tasks_root, err)
}

/// Before a writer (`transition`, `new`) changes anything: finishes (or discards) the
/// transitions and creations a crash interrupted in each root, telling what it did on `err`,
/// and re-reads the workspace when that wrote. `Err` is the exit code when one cannot be
/// finished: nothing may build on a change left half done. (Temporary files are left to
/// `check --fix`, whose sweep walks the whole root.)
fn recover_interrupted(
    workspace: Workspace,
    base: &Path,
    tasks_root: Option<&Path>,
    err: &mut dyn Write,
) -> Result<Workspace, i32> {
    let mut wrote = false;
    for root in 0..workspace.roots.len() {
        match apply::recover(&workspace, root, false) {
            Ok(recovered) => {
                for line in recovered.describe(&workspace.roots[root].path) {
                    let _ = writeln!(err, "flowos-lsp: {line}");
                }
                wrote |= recovered.wrote();
                if recovered.failed.is_some() {
                    let _ = writeln!(
                        err,
                        "flowos-lsp: refused: nothing can build on a change left half done; \
                         nothing more was written"
                    );
                    return Err(EXIT_ERRORS);
                }
            }
            Err(error) => {
                let _ = writeln!(err, "flowos-lsp: refused: {error}");
                return Err(EXIT_ERRORS);
            }
        }
    }
    if wrote {
        return load_workspace(base, tasks_root, err);
    }
    Ok(workspace)
}
