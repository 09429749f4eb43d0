//! Proposals files (`<id>.proposals.jsonl`): what agents propose for a task and what people
//! decided, one JSON record a line, append-only like a ledger. Lines are split and read as
//! JSON by the ledger's parser (so both files agree on what a valid line is and where an
//! error sits); each object is then read as a record of the worker contract's `move_proposal`
//! shape, an edit of one frontmatter field, or a decision on an earlier proposal. Never
//! fails: a line that is not a valid record is an error with a range, and the lines after it
//! are read as usual.

use serde_json::{Map, Value};

use crate::base::TextRange;
use crate::syntax::ledger::{Event, LineKind, parse_ledger};
use crate::syntax::limits::OverCap;
use crate::syntax::time::parse_rfc3339;

/// The record types a proposals file holds, by their `type` value.
pub const MOVE_PROPOSAL: &str = "move_proposal";
pub const EDIT_PROPOSAL: &str = "edit_proposal";
/// A proposal to create a task (in the tasks root's `drafts.proposals.jsonl`).
pub const TASK_DRAFT: &str = "task_draft";
pub const APPROVAL: &str = "approval";
pub const REJECTION: &str = "rejection";

/// The frontmatter fields an agent may propose to change (the issue's "priority, effort,
/// depends_on"); every other field is a person's to write.
pub const EDITABLE_FIELDS: [&str; 3] = ["priority", "effort_estimate", "depends_on"];

/// A parsed proposals file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proposals {
    /// The proposals, in file order, with their decision when one follows.
    pub proposals: Vec<Proposal>,
    /// The lines that are not valid records, with why.
    pub errors: Vec<ProposalError>,
    /// Lines over the line cap (reported by `resource-limit`, like a ledger's).
    pub over_cap: Vec<OverCap>,
    /// Whether the file ends with a newline; an append adds one first when it does not.
    pub ends_with_newline: bool,
}

impl Proposals {
    /// The proposal numbered `number`.
    pub fn get(&self, number: u32) -> Option<&Proposal> {
        self.proposals.iter().find(|p| p.number == number)
    }

    /// The proposals no one has decided yet.
    pub fn pending(&self) -> impl Iterator<Item = &Proposal> {
        self.proposals.iter().filter(|p| p.decision.is_none())
    }

    /// The number the next proposal takes: one past the highest so far.
    pub fn next_number(&self) -> u32 {
        self.proposals.iter().map(|p| p.number).max().unwrap_or(0) + 1
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalError {
    pub range: TextRange,
    pub message: String,
}

/// One proposal: a stage move or a frontmatter edit, as recorded when it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// `proposal`: its number within the file, 1, 2, 3, …
    pub number: u32,
    /// The whole line.
    pub range: TextRange,
    pub ts: i64,
    pub proposed_by: String,
    pub task_id: String,
    pub change: Change,
    pub note: Option<String>,
    /// `task_version`: the fingerprint of the task's card and ledger when it was proposed;
    /// another fingerprint now means the proposal is stale.
    pub task_version: String,
    pub requires_human_approval: bool,
    /// The record as written, for showing it whole (`query proposals`, the MCP tools).
    pub record: Map<String, Value>,
    pub decision: Option<Decision>,
}

/// What a proposal would change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A stage transition by its command-line name (`start`, `block:TASK-0012`).
    Move { action: String },
    /// One frontmatter field set to `value`: a string for priority and effort, a list of
    /// task IDs for depends_on.
    Edit { field: String, value: Value },
    /// A new task (WF1) named `name`, in `namespace` if given.
    NewTask {
        name: String,
        namespace: Option<String>,
    },
}

/// A person's answer to a proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub range: TextRange,
    pub by: String,
    pub ts: i64,
    pub approved: bool,
    /// Why it was rejected (required for a rejection).
    pub reason: Option<String>,
}

/// Parses a whole proposals file.
pub fn parse_proposals(text: &str) -> Proposals {
    let ledger = parse_ledger(text);
    let mut parsed = Proposals {
        ends_with_newline: ledger.ends_with_newline,
        ..Proposals::default()
    };
    for line in &ledger.lines {
        match &line.kind {
            LineKind::Blank => {}
            LineKind::Invalid { message, range } => parsed.errors.push(ProposalError {
                range: *range,
                message: message.replace("a ledger event", "a proposals record"),
            }),
            LineKind::OverCap(report) => parsed.over_cap.push((**report).clone()),
            LineKind::Event(event) => {
                let line_text = line.range.slice(text);
                if let Err(error) = read_record(&mut parsed, event, line.range, line_text) {
                    parsed.errors.push(error);
                }
            }
        }
    }
    parsed
}

/// Reads one JSON object as a record and files it into `parsed`.
fn read_record(
    parsed: &mut Proposals,
    event: &Event,
    range: TextRange,
    line_text: &str,
) -> Result<(), ProposalError> {
    // The ledger's parser accepted the line as an object; its full value is read again here,
    // since a proposal's checklist and events are nested (the ledger keeps only top-level
    // kinds).
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line_text) else {
        return Err(error(range, "not a JSON object"));
    };
    let fields = Fields {
        event,
        object: &object,
        line: range,
    };
    let kind = fields.string("type")?;
    let number = fields.number("proposal")?;
    let ts = fields.timestamp("ts")?;
    match kind {
        MOVE_PROPOSAL | EDIT_PROPOSAL | TASK_DRAFT => {
            if parsed.get(number).is_some() {
                return Err(fields.at(
                    "proposal",
                    format!("proposal {number} is already in this file; numbers are not reused"),
                ));
            }
            if number != parsed.next_number() {
                return Err(fields.at(
                    "proposal",
                    format!(
                        "proposal numbers count up from 1; this one should be {}",
                        parsed.next_number()
                    ),
                ));
            }
            let change = if kind == MOVE_PROPOSAL {
                Change::Move {
                    action: fields.string("action")?.to_string(),
                }
            } else if kind == TASK_DRAFT {
                Change::NewTask {
                    name: fields.string("name")?.to_string(),
                    namespace: fields.optional_string("namespace")?,
                }
            } else {
                let field = fields.string("field")?;
                if !EDITABLE_FIELDS.contains(&field) {
                    return Err(fields.at(
                        "field",
                        format!(
                            "`{field}` is not a field agents may propose to change ({})",
                            EDITABLE_FIELDS.join(", ")
                        ),
                    ));
                }
                let value = fields.required("value")?.clone();
                let well_typed = match field {
                    "depends_on" => value
                        .as_array()
                        .is_some_and(|items| items.iter().all(Value::is_string)),
                    _ => value.is_string(),
                };
                if !well_typed {
                    return Err(fields.at(
                        "value",
                        if field == "depends_on" {
                            "depends_on takes a list of task IDs".to_string()
                        } else {
                            format!("{field} takes a string")
                        },
                    ));
                }
                Change::Edit {
                    field: field.to_string(),
                    value,
                }
            };
            let requires_human_approval = match object.get("requires_human_approval") {
                None => true,
                Some(Value::Bool(flag)) => *flag,
                Some(_) => {
                    return Err(fields.at("requires_human_approval", "must be true or false"));
                }
            };
            parsed.proposals.push(Proposal {
                number,
                range,
                ts,
                proposed_by: fields.string("proposed_by")?.to_string(),
                // A draft is about a task that does not exist yet.
                task_id: if kind == TASK_DRAFT {
                    String::new()
                } else {
                    fields.string("task_id")?.to_string()
                },
                change,
                note: fields.optional_string("note")?,
                task_version: if kind == TASK_DRAFT {
                    String::new()
                } else {
                    fields.string("task_version")?.to_string()
                },
                requires_human_approval,
                record: object.clone(),
                decision: None,
            });
            Ok(())
        }
        APPROVAL | REJECTION => {
            let approved = kind == APPROVAL;
            let by = fields.string(if approved {
                "approved_by"
            } else {
                "rejected_by"
            })?;
            let reason = fields.optional_string("reason")?;
            if !approved && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(fields.missing("reason"));
            }
            let decision = Decision {
                range,
                by: by.to_string(),
                ts,
                approved,
                reason,
            };
            let Some(proposal) = parsed.proposals.iter_mut().find(|p| p.number == number) else {
                return Err(fields.at(
                    "proposal",
                    format!("no proposal {number} before this line to decide"),
                ));
            };
            if proposal.decision.is_some() {
                return Err(fields.at(
                    "proposal",
                    format!("proposal {number} was already decided on an earlier line"),
                ));
            }
            proposal.decision = Some(decision);
            Ok(())
        }
        other => Err(fields.at(
            "type",
            format!(
                "unknown record type `{other}` (expected {MOVE_PROPOSAL}, {EDIT_PROPOSAL}, \
                 {TASK_DRAFT}, {APPROVAL} or {REJECTION})"
            ),
        )),
    }
}

fn error(range: TextRange, message: impl Into<String>) -> ProposalError {
    ProposalError {
        range,
        message: message.into(),
    }
}

/// A record's fields, each error pointing at the value it is about (or at the line when the
/// field is absent).
struct Fields<'a> {
    event: &'a Event,
    object: &'a Map<String, Value>,
    line: TextRange,
}

impl<'a> Fields<'a> {
    fn at(&self, key: &str, message: impl Into<String>) -> ProposalError {
        let range = self
            .event
            .field(key)
            .map_or(self.line, |field| field.value_range);
        error(range, message)
    }

    fn missing(&self, key: &str) -> ProposalError {
        error(self.line, format!("the record has no `{key}`"))
    }

    fn required(&self, key: &str) -> Result<&'a Value, ProposalError> {
        self.object.get(key).ok_or_else(|| self.missing(key))
    }

    fn string(&self, key: &str) -> Result<&'a str, ProposalError> {
        match self.required(key)? {
            Value::String(text) if !text.trim().is_empty() => Ok(text),
            Value::String(_) => Err(self.at(key, format!("`{key}` is empty"))),
            _ => Err(self.at(key, format!("`{key}` must be a string"))),
        }
    }

    fn optional_string(&self, key: &str) -> Result<Option<String>, ProposalError> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(self.at(key, format!("`{key}` must be a string"))),
        }
    }

    fn number(&self, key: &str) -> Result<u32, ProposalError> {
        self.required(key)?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| self.at(key, format!("`{key}` must be a whole number from 1")))
    }

    fn timestamp(&self, key: &str) -> Result<i64, ProposalError> {
        let text = self.string(key)?;
        parse_rfc3339(text).ok_or_else(|| {
            self.at(
                key,
                format!("`{text}` is not an RFC 3339 time with an offset"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOVE: &str = r#"{"type":"move_proposal","proposal":1,"ts":"2026-11-20T10:00:00Z","proposed_by":"agent-7","task_id":"TASK-0042","action":"start","task_version":"v1","note":"ready"}"#;

    #[test]
    fn reads_proposals_and_their_decisions() {
        let edit = r#"{"type":"edit_proposal","proposal":2,"ts":"2026-11-20T10:05:00Z","proposed_by":"agent-7","task_id":"TASK-0042","field":"depends_on","value":["TASK-0001"],"task_version":"v1"}"#;
        let reject = r#"{"type":"rejection","proposal":1,"ts":"2026-11-20T11:00:00Z","rejected_by":"@ana","reason":"not yet"}"#;
        let text = format!("{MOVE}\n{edit}\n{reject}\n");
        let parsed = parse_proposals(&text);
        assert_eq!(parsed.errors, []);
        assert_eq!(parsed.proposals.len(), 2);
        let first = &parsed.proposals[0];
        assert_eq!(
            first.change,
            Change::Move {
                action: "start".into()
            }
        );
        assert_eq!(first.note.as_deref(), Some("ready"));
        let decision = first.decision.as_ref().unwrap();
        assert!(!decision.approved);
        assert_eq!(decision.reason.as_deref(), Some("not yet"));
        assert_eq!(parsed.pending().map(|p| p.number).collect::<Vec<_>>(), [2]);
        assert_eq!(parsed.next_number(), 3);
    }

    #[test]
    fn bad_lines_are_errors_at_the_value_and_reading_goes_on() {
        let text = format!(
            "not json\n\
             {{\"type\":\"move_proposal\",\"proposal\":1,\"ts\":\"yesterday\"}}\n\
             {MOVE}\n\
             {{\"type\":\"approval\",\"proposal\":9,\"ts\":\"2026-11-20T10:00:00Z\",\"approved_by\":\"@ana\"}}\n\
             {{\"type\":\"rejection\",\"proposal\":1,\"ts\":\"2026-11-20T10:00:00Z\",\"rejected_by\":\"@ana\"}}\n\
             {{\"type\":\"edit_proposal\",\"proposal\":2,\"ts\":\"2026-11-20T10:00:00Z\",\"proposed_by\":\"a\",\"task_id\":\"T\",\"field\":\"stage\",\"value\":\"x\",\"task_version\":\"v\"}}\n\
             [1]\n"
        );
        let parsed = parse_proposals(&text);
        let errors: Vec<(&str, &str)> = parsed
            .errors
            .iter()
            .map(|e| (e.range.slice(&text), e.message.as_str()))
            .collect();
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(errors[0].1.starts_with("invalid JSON"), "{errors:?}");
        assert_eq!(errors[1].0, "\"yesterday\"");
        assert_eq!(errors[2].0, "9");
        assert!(errors[3].1.contains("no `reason`"), "{errors:?}");
        assert_eq!(errors[4].0, "\"stage\"");
        assert!(errors[5].1.contains("not an array"), "{errors:?}");
        // The valid line between them is read.
        assert_eq!(parsed.proposals.len(), 1);
        assert!(parsed.proposals[0].decision.is_none());
    }

    #[test]
    fn a_proposal_is_decided_once_and_numbers_are_not_reused() {
        let approve =
            r#"{"type":"approval","proposal":1,"ts":"2026-11-20T10:00:00Z","approved_by":"@ana"}"#;
        let text = format!("{MOVE}\n{approve}\n{approve}\n{MOVE}\n");
        let parsed = parse_proposals(&text);
        let messages: Vec<&str> = parsed.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("already decided"));
        assert!(messages[1].contains("already in this file"));
        assert!(parsed.proposals[0].decision.as_ref().unwrap().approved);
    }
}
