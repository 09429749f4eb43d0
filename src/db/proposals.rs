//! What the model knows of a task's proposals beyond their parse: where its proposals file is
//! (or will be), the fingerprint of the task a proposal was made against, and so whether a
//! proposal has gone stale.

use std::path::PathBuf;

use crate::db::{Parsed, Task, Workspace};
use crate::syntax::approval_gates::ApprovalGates;
use crate::syntax::proposals::Proposal;

pub use crate::db::layout::DRAFTS_FILE;

/// The file suffix of a package's proposals file.
pub const PROPOSALS_SUFFIX: &str = ".proposals.jsonl";

/// The task's proposals file: the one it has, else where a first proposal creates it, named
/// like its ledger (`0042.ledger.jsonl` → `0042.proposals.jsonl`).
pub fn proposals_path(workspace: &Workspace, task: &Task) -> PathBuf {
    if let Some(file) = task.proposals {
        return workspace.file(file).path.clone();
    }
    let folder = workspace.roots[task.root].path.join(&task.folder);
    let ledger_stem = task.ledger.and_then(|ledger| {
        let name = crate::db::layout::file_name(&workspace.file(ledger).rel);
        name.strip_suffix(".ledger.jsonl").map(str::to_string)
    });
    let stem = ledger_stem.unwrap_or_else(|| task.id.short());
    folder.join(format!("{stem}{PROPOSALS_SUFFIX}"))
}

/// A fingerprint of what a proposal about the task was judged against: its card and its
/// ledger. Stored in each proposal (`task_version`) and compared at approval, so it must be
/// the same in every process and release: FNV-1a, written out here, rather than the
/// standard library's hasher, whose output may change between Rust versions.
pub fn task_version(workspace: &Workspace, task: &Task) -> String {
    let text = |file: Option<crate::db::FileId>| {
        file.map(|file| workspace.file(file).text.clone())
            .unwrap_or_else(|| std::sync::Arc::from(""))
    };
    // 0xff never occurs in UTF-8, so it separates the card from the ledger unambiguously.
    let hash = [text(task.card), text(task.ledger)]
        .iter()
        .fold(FNV_OFFSET, |hash, part| {
            fnv1a(hash, part.bytes().chain([0xff]))
        });
    format!("fnv1a64:{hash:016x}")
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a 64 of `bytes`, continuing from `hash`.
fn fnv1a(hash: u64, bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(hash, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The approval gates of tasks root `root` (its wip.policy.md's table); None: a person
/// approves everything.
pub fn approval_gates(workspace: &Workspace, root: usize) -> Option<&ApprovalGates> {
    let file = workspace.roots[root].wip_policy?;
    match &workspace.file(file).parsed {
        Parsed::WipPolicy(policy) => Some(&policy.approval_gates),
        _ => None,
    }
}

/// The tasks root's drafts file (an agent's task drafts), when it was read.
pub fn drafts_file(workspace: &Workspace, root: usize) -> Option<crate::db::FileId> {
    workspace
        .file_by_path(&workspace.roots[root].path.join(DRAFTS_FILE))
        .filter(|&file| workspace.file(file).exists)
}

/// Whether the task changed (its card or its ledger) since `proposal` was made.
pub fn is_stale(workspace: &Workspace, task: &Task, proposal: &Proposal) -> bool {
    proposal.task_version != task_version(workspace, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        // The published FNV-1a 64 test vectors: "" and "a" and "foobar".
        assert_eq!(fnv1a(FNV_OFFSET, "".bytes()), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, "a".bytes()), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, "foobar".bytes()), 0x8594_4171_f739_67e8);
    }
}
