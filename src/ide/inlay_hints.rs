//! Inlay hints after each task reference in a card's frontmatter fields: the target's stage
//! and status (`current·blocked`), or `missing` when no task has the ID, so a writer sees the
//! state of every dependency without opening it.

use crate::base::TextRange;
use crate::db::mentions::MentionKind;
use crate::db::{FileId, Workspace};
use crate::ide::task_text::{state_label, task_name};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    /// Where the hint goes: right after the reference (after its closing quote, if any).
    pub offset: usize,
    /// `current·blocked` or `missing`; no padding (the editor adds its own).
    pub label: String,
    pub tooltip: Option<String>,
}

/// The hints for references that touch `range` (the part of the file on screen).
pub fn inlay_hints(workspace: &Workspace, file: FileId, range: TextRange) -> Vec<InlayHint> {
    let root = workspace.file(file).root;
    let mentions = workspace.mentions_in(file);
    // Mentions are ordered by position: skip those that end before the range.
    let first = mentions.partition_point(|mention| mention.range.end < range.start);
    mentions[first..]
        .iter()
        .take_while(|mention| mention.range.start <= range.end)
        .filter(|mention| matches!(mention.kind, MentionKind::Field(_)))
        .map(|mention| {
            let (label, tooltip) = match workspace.lookup_in(root, &mention.id) {
                Some(task) => {
                    let name = task_name(task).map_or(String::new(), |name| format!(" {name}"));
                    (state_label(task), format!("{}{name}", task.id))
                }
                None => (
                    "missing".to_string(),
                    format!("No task has the ID {}", mention.id),
                ),
            };
            InlayHint {
                offset: mention.range.end as usize,
                label,
                tooltip: Some(tooltip),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::ide::fixture::{COUNTER, ROOT, package, workspace};

    /// The card's lines that carry hints, with each hint spliced in as `⟨label⟩`.
    fn check(fixture: &str, rel: &str, range: Option<(&str, &str)>, expect: Expect) {
        let workspace = workspace(fixture);
        let file = workspace
            .file_by_path(&std::path::Path::new(ROOT).join(rel))
            .unwrap();
        let text = workspace.file(file).text.to_string();
        let range = match range {
            Some((from, to)) => {
                TextRange::new(text.find(from).unwrap(), text.find(to).unwrap() + to.len())
            }
            None => TextRange::new(0, text.len()),
        };
        let hints = inlay_hints(&workspace, file, range);
        let mut spliced = text.clone();
        for hint in hints.iter().rev() {
            spliced.insert_str(hint.offset, &format!("⟨{}⟩", hint.label));
        }
        let mut out: String = spliced
            .lines()
            .filter(|line| line.contains('⟨'))
            .map(|line| format!("{line}\n"))
            .collect();
        for hint in &hints {
            out.push_str(&format!("{}\n", hint.tooltip.as_deref().unwrap_or("")));
        }
        expect.assert_eq(&out);
    }

    fn fixture() -> String {
        format!(
            "{COUNTER}{}{}{}{}",
            package(
                "next/TASK-0001-a",
                "task_name: \"🎉 Café\"\ndepends_on: [\"0002\", TASK-0003, TASK-0009]\nstatus: blocked\nblocked_by: \"task:TASK-0002 (canceled)\"\nsplit_from: \"0004\""
            )
            .replace("related_to: []", "related_to:\n  - TASK-0003\n  - \"TASK-0004\"")
            .replace("Do the thing.", "Body TASK-0002 gets none."),
            package(
                "archived/TASK-0002-b",
                "status: canceled\ncanceled_reason: \"dropped\""
            ),
            package(
                "current/TASK-0003-c",
                "status: blocked\nblocked_by: \"external:vendor\""
            ),
            package("integration/TASK-0004-d", ""),
        )
    }

    #[test]
    fn every_frontmatter_reference_gets_its_target_s_state() {
        check(
            &fixture(),
            "next/TASK-0001-a/0001-a.task.md",
            None,
            expect![[r#"
                blocked_by: "task:TASK-0002⟨archived·canceled⟩ (canceled)"
                depends_on: ["0002"⟨archived·canceled⟩, TASK-0003⟨current·blocked⟩, TASK-0009⟨missing⟩]
                  - TASK-0003⟨current·blocked⟩
                  - "TASK-0004"⟨integration·active⟩
                split_from: "0004"⟨integration·active⟩
                TASK-0002 Task 0002
                TASK-0002 Task 0002
                TASK-0003 Task 0003
                No task has the ID TASK-0009
                TASK-0003 Task 0003
                TASK-0004 Task 0004
                TASK-0004 Task 0004
            "#]],
        );
    }

    #[test]
    fn only_references_inside_the_range() {
        check(
            &fixture(),
            "next/TASK-0001-a/0001-a.task.md",
            Some(("related_to:", "  - TASK-0003")),
            expect![[r#"
                  - TASK-0003⟨current·blocked⟩
                TASK-0003 Task 0003
            "#]],
        );
    }

    #[test]
    fn namespaced_card_resolves_unqualified_references() {
        let fixture = format!(
            "{COUNTER}{}{}",
            package("backlog/TASK-FW-0001-a", "depends_on: [\"0002\", \"0003\"]"),
            package("next/TASK-FW-0002-b", ""),
        );
        check(
            &fixture,
            "backlog/TASK-FW-0001-a/FW-0001-a.task.md",
            None,
            expect![[r#"
                depends_on: ["0002"⟨next·active⟩, "0003"⟨missing⟩]
                TASK-FW-0002 Task FW-0002
                No task has the ID TASK-FW-0003
            "#]],
        );
    }
}
