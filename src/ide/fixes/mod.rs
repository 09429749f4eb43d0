//! Fix all: one safe fix per diagnostic, merged into one change (SPEC §4). Each rule's fix
//! lives beside the rule in `ide::diagnostics` and is found there by [`fixes_for`]; what a
//! fix is made of (and the merging of edits) is `ide::diagnostics::fix`.

pub use crate::ide::diagnostics::fix::{Fix, FixAction};
pub use crate::ide::diagnostics::fixes_for;

use crate::db::Workspace;
use crate::ide::diagnostics::fix::{Merge, Merged};
use crate::ide::source_change::SourceChange;
use crate::ide::types::{Config, Diagnostic};

/// One safe fix per diagnostic, skipping any whose edits overlap an earlier one's in the
/// same file; returns the merged change and how many fixes it holds.
///
/// Every fix is computed against the same texts, so two fixes may only be combined when
/// they touch different bytes; the skipped ones are found again (and fixed) on the next run.
/// A fix identical to one already taken (a row missing from the root index is reported on
/// both the card and the index) is not counted twice. Transitions are not text edits and
/// are left to the caller.
pub fn fix_all(
    workspace: &Workspace,
    ctx: &Config,
    diagnostics: &[Diagnostic],
) -> (SourceChange, usize) {
    let mut merged = Merged::default();
    let mut count = 0;
    for diagnostic in diagnostics {
        let change = fixes_for(workspace, ctx, diagnostic)
            .into_iter()
            .filter(|fix| fix.safe)
            .find_map(|fix| match fix.action {
                FixAction::Change(change) => Some(change),
                FixAction::CompleteTransition { .. }
                | FixAction::ApproveProposal { .. }
                | FixAction::RejectProposal { .. }
                | FixAction::ApproveDraft { .. }
                | FixAction::RejectDraft { .. } => None,
            });
        if let Some(change) = change
            && merged.add(&change) == Merge::Added
        {
            count += 1;
        }
    }
    (merged.into_change(), count)
}

#[cfg(test)]
mod tests;
