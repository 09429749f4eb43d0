//! Rules on agents' proposals: pending-proposal (a proposal waits for a person, shown on the
//! card with its proposer and note; stale when the task changed since; a task draft, which has
//! no card yet, on the root INDEX.md that will list the task), proposal-invalid (a proposals
//! file line that is not a valid record, or one about another task) and approval-policy
//! (wip.policy.md's approval gates table cannot be read). The fix of a pending proposal is the
//! person's answer: Approve (not offered when stale) and Reject.

use crate::db::proposals::is_stale;
use crate::db::{FileId, Parsed, TaskIdx, Workspace};
use crate::ide::diagnostics::fix::{FixAction, Fixes};
use crate::ide::diagnostics::{RuleDoc, RuleModule, task_anchor};
use crate::ide::types::{Diagnostic, FixData, Rule, Severity};
use crate::syntax::proposals::{Change, Proposals};
use crate::syntax::task_id::parse_task_ref;
use crate::syntax::wip_policy::WipPolicy;

/// proposal-invalid for each line of one proposals file that is not a valid record.
pub(super) fn check_file(file: FileId, proposals: &Proposals, out: &mut Vec<Diagnostic>) {
    for error in &proposals.errors {
        out.push(Diagnostic::new(
            Rule::ProposalInvalid,
            file,
            error.range,
            format!("not a valid proposals record: {}", error.message),
        ));
    }
}

/// approval-policy for each row of wip.policy.md's approval gates that cannot be read.
pub(super) fn check_gates(file: FileId, policy: &WipPolicy, out: &mut Vec<Diagnostic>) {
    for (message, range) in &policy.approval_gates.errors {
        out.push(Diagnostic::new(
            Rule::ApprovalPolicy,
            file,
            *range,
            format!("approval gates: {message}"),
        ));
    }
}

/// pending-proposal on the card for each proposal no one has decided, and proposal-invalid
/// for a proposal that names another task than the package it sits in.
fn check_task(workspace: &Workspace, idx: TaskIdx, out: &mut Vec<Diagnostic>) {
    let task = workspace.task(idx);
    let (Some(file), Some(proposals)) = (task.proposals, workspace.proposals(task)) else {
        return;
    };
    for proposal in &proposals.proposals {
        let names_this_task = parse_task_ref(proposal.task_id.trim())
            .is_some_and(|(id, _)| id.resolved_in(task.namespace()) == task.id);
        if !names_this_task {
            out.push(Diagnostic::new(
                Rule::ProposalInvalid,
                file,
                proposal.range,
                format!(
                    "proposal {} is about {}, but this is {}'s proposals file",
                    proposal.number, proposal.task_id, task.id
                ),
            ));
            continue;
        }
        if proposal.decision.is_some() {
            continue;
        }
        let Some((card, range)) = task_anchor(workspace, task) else {
            continue;
        };
        let stale = is_stale(workspace, task, proposal);
        let what = match &proposal.change {
            Change::Move { action } => format!("`{action}`"),
            Change::Edit { field, value } => format!("{field} = {value}"),
            Change::NewTask { name, .. } => format!("a new task \"{name}\""),
        };
        let mut message = format!(
            "{} proposes {what} (proposal {})",
            proposal.proposed_by, proposal.number
        );
        if let Some(note) = &proposal.note {
            message.push_str(&format!(": {note}"));
        }
        if stale {
            message.push_str(&format!(
                "; stale: {} changed since it was proposed, so it can only be rejected and \
                 proposed again",
                task.id
            ));
        }
        out.push(
            Diagnostic::new(Rule::PendingProposal, card, range, message).with_fix(
                FixData::Proposal {
                    task: idx,
                    number: proposal.number,
                    stale,
                },
            ),
        );
    }
}

/// pending-proposal for each task draft of tasks root `root` no one has decided. A draft has
/// no card yet, so it shows where the task will be listed: on the root INDEX.md's table
/// header (every layout has that index, and a team keeps it open as its overview), pointing
/// at the draft's line; without a root INDEX.md, on the draft's own line.
pub(super) fn check_drafts(workspace: &Workspace, root: usize, out: &mut Vec<Diagnostic>) {
    let Some(file) = crate::db::proposals::drafts_file(workspace, root) else {
        return;
    };
    let Parsed::Proposals(drafts) = &workspace.file(file).parsed else {
        return;
    };
    let shown_on = workspace.roots[root]
        .indexes
        .iter()
        .find(|index| index.stage.is_none() && index.namespace_dir.is_none())
        .and_then(|index| match &workspace.file(index.file).parsed {
            Parsed::Index(parsed) => Some((index.file, parsed.table.as_ref()?.header_range)),
            _ => None,
        });
    for draft in drafts.pending() {
        let Change::NewTask { name, namespace } = &draft.change else {
            out.push(Diagnostic::new(
                Rule::ProposalInvalid,
                file,
                draft.range,
                format!(
                    "proposal {} is about {}, but the drafts file holds task drafts only",
                    draft.number, draft.task_id
                ),
            ));
            continue;
        };
        let mut message = format!(
            "{} proposes a new task \"{name}\"{} (draft {})",
            draft.proposed_by,
            namespace
                .as_deref()
                .map(|namespace| format!(" in {namespace}"))
                .unwrap_or_default(),
            draft.number
        );
        if let Some(note) = &draft.note {
            message.push_str(&format!(": {note}"));
        }
        let fix = FixData::Draft {
            root,
            number: draft.number,
        };
        let diagnostic = match shown_on {
            Some((index, header)) => Diagnostic::new(Rule::PendingProposal, index, header, message)
                .with_related(file, draft.range, format!("draft {}", draft.number)),
            None => Diagnostic::new(Rule::PendingProposal, file, draft.range, message),
        };
        out.push(diagnostic.with_fix(fix));
    }
}

fn fix_pending(_: &Workspace, diagnostic: &Diagnostic, fixes: &mut Fixes) {
    if let Some(FixData::Draft { root, number }) = diagnostic.fix {
        fixes.action(
            format!("Approve draft {number}: create the task"),
            FixAction::ApproveDraft { root, number },
        );
        fixes.action(
            format!("Reject draft {number}…"),
            FixAction::RejectDraft { root, number },
        );
        return;
    }
    let Some(FixData::Proposal {
        task,
        number,
        stale,
    }) = diagnostic.fix
    else {
        return;
    };
    if !stale {
        fixes.action(
            format!("Approve proposal {number}"),
            FixAction::ApproveProposal { task, number },
        );
    }
    fixes.action(
        format!("Reject proposal {number}…"),
        FixAction::RejectProposal { task, number },
    );
}

pub(crate) const PENDING_PROPOSAL: RuleDoc = RuleDoc {
    rule: Rule::PendingProposal,
    name: "pending-proposal",
    severity: Severity::Info,
    summary: "An agent's proposal for the task waits for a person to approve or reject it (stale when the task changed since).",
    docs: include_str!("docs/pending-proposal.md"),
};

pub(crate) const PROPOSAL_INVALID: RuleDoc = RuleDoc {
    rule: Rule::ProposalInvalid,
    name: "proposal-invalid",
    severity: Severity::Error,
    summary: "A proposals file line is not a valid proposal or decision record.",
    docs: include_str!("docs/proposal-invalid.md"),
};

pub(crate) const APPROVAL_POLICY: RuleDoc = RuleDoc {
    rule: Rule::ApprovalPolicy,
    name: "approval-policy",
    severity: Severity::Error,
    summary: "The approval gates in wip.policy.md cannot be read (an unknown action, or a malformed line).",
    docs: include_str!("docs/approval-policy.md"),
};

/// The rules this module checks, in catalogue order.
pub(crate) const RULES: &[RuleDoc] = &[PENDING_PROPOSAL, PROPOSAL_INVALID, APPROVAL_POLICY];

pub(super) const MODULE: RuleModule = RuleModule {
    card: None,
    task: Some(check_task),
    fixes: &[(Rule::PendingProposal, fix_pending)],
    rules: RULES,
};

#[cfg(test)]
mod tests {
    use crate::db::proposals::task_version;
    use crate::ide::diagnostics::check_fix::config;
    use crate::ide::diagnostics::fix::{Fix, FixAction};
    use crate::ide::diagnostics::{fixes_for, workspace_diagnostics};
    use crate::ide::fixture::{COUNTER, check_rule, package, workspace};
    use crate::ide::types::Rule;
    use expect_test::expect;

    const FOLDER: &str = "next/TASK-0042-api";

    fn proposal(number: u32, version: &str, extra: &str) -> String {
        format!(
            r#"{{"type":"move_proposal","proposal":{number},"ts":"2026-03-02T10:00:00Z","proposed_by":"agent-7","task_id":"TASK-0042","action":"start","task_version":"{version}"{extra}}}"#
        )
    }

    /// The fixture with a proposals file; its task version is filled in from the
    /// workspace without one (the card and ledger are the same in both).
    fn with_proposals(lines: impl Fn(&str) -> String) -> String {
        let base = format!("{COUNTER}{}", package(FOLDER, ""));
        let version = {
            let ws = workspace(&base);
            task_version(&ws, &ws.tasks[0])
        };
        format!("{base}//- /{FOLDER}/0042.proposals.jsonl\n{}", lines(&version))
    }

    /// The fixes offered for the fixture's (first) pending-proposal diagnostic.
    fn pending_fixes(fixture: &str) -> Vec<Fix> {
        let ws = workspace(fixture);
        let diagnostics = workspace_diagnostics(&ws, &config());
        let pending = diagnostics
            .iter()
            .find(|d| d.rule == Rule::PendingProposal)
            .expect("a pending-proposal diagnostic");
        fixes_for(&ws, &config(), pending)
    }

    #[test]
    fn a_pending_proposal_shows_on_the_card_with_its_proposer_and_note() {
        let fixture = with_proposals(|version| {
            format!(
                "{}\n{}\n{}\n",
                proposal(1, version, r#","note":"tests pass""#),
                proposal(2, version, ""),
                r#"{"type":"rejection","proposal":2,"ts":"2026-03-02T11:00:00Z","rejected_by":"@ana","reason":"later"}"#
            )
        });
        expect![[r#"
            next/TASK-0042-api/0042-api.task.md:2:11 info `0042` agent-7 proposes `start` (proposal 1): tests pass
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::PendingProposal));
        let labels: Vec<(String, bool)> = pending_fixes(&fixture)
            .into_iter()
            .map(|fix| {
                let approve = matches!(fix.action, FixAction::ApproveProposal { number: 1, .. });
                (fix.label, approve)
            })
            .collect();
        assert_eq!(
            labels,
            [
                ("Approve proposal 1".to_string(), true),
                ("Reject proposal 1…".to_string(), false)
            ]
        );
    }

    #[test]
    fn a_stale_proposal_can_only_be_rejected() {
        let fixture = with_proposals(|_| format!("{}\n", proposal(1, "fnv1a64:0", "")));
        expect![[r#"
            next/TASK-0042-api/0042-api.task.md:2:11 info `0042` agent-7 proposes `start` (proposal 1); stale: TASK-0042 changed since it was proposed, so it can only be rejected and proposed again
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::PendingProposal));
        let labels: Vec<String> = pending_fixes(&fixture)
            .into_iter()
            .map(|fix| fix.label)
            .collect();
        assert_eq!(labels, ["Reject proposal 1…"]);
    }

    #[test]
    fn malformed_lines_and_foreign_proposals_are_invalid() {
        let fixture = with_proposals(|version| {
            format!(
                "{{\"type\":\"move_proposal\"\n{}\n",
                proposal(1, version, "").replace("TASK-0042", "TASK-0007")
            )
        });
        expect![[r#"
            next/TASK-0042-api/0042.proposals.jsonl:1:23 error `"` not a valid proposals record: invalid JSON: EOF while parsing an object
            next/TASK-0042-api/0042.proposals.jsonl:2:1 error `{"type":"move_proposal","proposal":1,"ts":"2026-03-02T10:00:00Z","proposed_by":"agent-7","task_id":"TASK-0007","action":"start","task_version":"fnv1a64:d1a7e4d68765321a"}` proposal 1 is about TASK-0007, but this is TASK-0042's proposals file
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::ProposalInvalid));
    }

    const DRAFT: &str = r#"{"type":"task_draft","proposal":1,"ts":"2026-03-02T10:00:00Z","proposed_by":"agent-7","name":"Export rides","note":"riders ask","requires_human_approval":true}"#;

    #[test]
    fn a_pending_draft_shows_on_the_root_index_with_approve_and_reject() {
        let fixture = format!(
            "{COUNTER}//- /INDEX.md\n# Tasks\n\n| ID | Name | DRI | Stage | Status |\n|---|---|---|---|---|\n\
             //- /drafts.proposals.jsonl\n{DRAFT}\n"
        );
        expect![[r#"
            INDEX.md:3:1 info `| ID | Name | DRI | Stage | Status |` agent-7 proposes a new task "Export rides" (draft 1): riders ask
              -> drafts.proposals.jsonl `{"type":"task_draft","proposal":1,"ts":"2026-03-02T10:00:00Z","proposed_by":"agent-7","name":"Export rides","note":"riders ask","requires_human_approval":true}` draft 1
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::PendingProposal));
        let actions: Vec<(String, FixAction)> = pending_fixes(&fixture)
            .into_iter()
            .map(|fix| (fix.label, fix.action))
            .collect();
        assert_eq!(
            actions,
            [
                (
                    "Approve draft 1: create the task".to_string(),
                    FixAction::ApproveDraft { root: 0, number: 1 }
                ),
                (
                    "Reject draft 1…".to_string(),
                    FixAction::RejectDraft { root: 0, number: 1 }
                ),
            ]
        );
        // Decided: nothing waits.
        let rejected = format!(
            "{fixture}{}\n",
            r#"{"type":"rejection","proposal":1,"ts":"2026-03-02T11:00:00Z","rejected_by":"@ana","reason":"later"}"#
        );
        assert_eq!(check_rule(&rejected, Rule::PendingProposal), "");
    }

    #[test]
    fn without_a_root_index_a_draft_shows_on_its_own_line() {
        let fixture = format!("{COUNTER}//- /drafts.proposals.jsonl\n{DRAFT}\n");
        let shown = check_rule(&fixture, Rule::PendingProposal);
        assert!(
            shown.starts_with("drafts.proposals.jsonl:1:1 info"),
            "{shown}"
        );
    }

    #[test]
    fn unreadable_gates_are_reported_in_the_policy() {
        let fixture = format!(
            "{COUNTER}//- /wip.policy.md\n# Policy\n\n| Action | Approval |\n|---|---|\n| start | auto |\n"
        );
        expect![[r#"
            wip.policy.md:5:11 error `auto` approval gates: `start` always needs a person (the worker contract: moves between stages, dependency changes, cancel and block); the row is ignored
        "#]]
        .assert_eq(&check_rule(&fixture, Rule::ApprovalPolicy));
    }
}
