//! SPEC §8 for the parsers and the whole-file analysis: whatever the bytes, nothing panics,
//! every case finishes within a time bound, and every range lies inside its text on character
//! boundaries (and survives the line/column conversion the protocol edge makes).
//!
//! Inputs are arbitrary bytes, arbitrary text, soups of each format's own tokens, and
//! mutations (truncation, deletion, duplication, hostile splices, CRLF, lone CR, BOM) of a
//! small valid workspace; each lands in one file of that workspace (a card, a ledger, a
//! proposals file, an INDEX.md, wip.policy.md, NAMESPACES.yaml, a context, the ID counter),
//! which is parsed on
//! its own and then analysed with everything else: diagnostics, quick fixes, symbols,
//! navigation, completion and transition planning. Named tests below feed the big hostile
//! inputs (alias bombs, 10 MB scalars, 1 MB lines, 100,000 open brackets, a file over the size
//! cap) and keep each bug the fuzzing found.
//!
//! The default run takes a few seconds. `FLOWOS_FUZZ_CASES=100000 cargo test --release --test
//! fuzz_parsers` runs a long campaign; `FLOWOS_FUZZ_SEED=<n>` explores another part of the
//! input space (the seed is fixed otherwise, so a failure reproduces).

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use flowos_lsp::base::{LineIndex, PositionEncoding, TextRange};
use flowos_lsp::db::metrics::{Window, metrics, task_figures, timeline_of};
use flowos_lsp::db::vocab::Stage;
use flowos_lsp::db::{
    FileId, FileInput, FileRole, Parsed, RootInput, TaskIdx, Workspace, parse_file,
};
use flowos_lsp::ide::code_lens::code_lens;
use flowos_lsp::ide::completion::{CompletionConfig, completion};
use flowos_lsp::ide::diagnostics::workspace_diagnostics;
use flowos_lsp::ide::document_links::document_links;
use flowos_lsp::ide::fixes::{FixAction, fix_all, fixes_for};
use flowos_lsp::ide::hover::hover;
use flowos_lsp::ide::inlay_hints::inlay_hints;
use flowos_lsp::ide::navigation::{goto_definition, references};
use flowos_lsp::ide::projection::project;
use flowos_lsp::ide::report::{Report, ReportRequest, render};
use flowos_lsp::ide::source_change::{FileChange, SourceChange, apply_edits};
use flowos_lsp::ide::symbols::{Symbol, document_symbols, workspace_symbols};
use flowos_lsp::ide::transitions::{offers, plan};
use flowos_lsp::ide::types::{Config, Diagnostic, Severity};
use flowos_lsp::syntax::card::{Card, Frontmatter, parse_card};
use flowos_lsp::syntax::index_table::{ParsedIndex, dependency_tokens, parse_index};
use flowos_lsp::syntax::ledger::{FieldValue, Ledger, LineKind, parse_ledger};
use flowos_lsp::syntax::limits::file_cap;
use flowos_lsp::syntax::proposals::{Proposals, parse_proposals};
use flowos_lsp::syntax::task_id::{TextRef, parse_task_ref, scan_refs};
use flowos_lsp::syntax::wip_policy::{WipPolicy, parse_wip_policy};
use flowos_lsp::syntax::yaml::{YamlError, YamlNode, YamlValue, parse_yaml};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

// ---------------------------------------------------------------------------------------------
// Budget and configuration
// ---------------------------------------------------------------------------------------------

/// One generated case (parsing plus the whole analysis of a small workspace) must finish
/// within this. Cases take milliseconds; the bound is wide so a loaded CI machine running a
/// debug build does not fail it, while a hang or a quadratic blow-up still does.
const CASE_BOUND: Duration = Duration::from_secs(5);

/// A big hostile input (megabytes) must finish within this, in a debug build.
const BIG_BOUND: Duration = Duration::from_secs(20);

/// Analysis threads get the stack a tokio worker or a plain spawned thread gets by default,
/// so unbounded recursion shows up here as it would in the server.
const STACK_BYTES: usize = 2 * 1024 * 1024;

/// "Now" for SLOs and events: fixed, so a case gives the same result on every run.
const NOW: i64 = 1_775_000_000;

fn cases() -> u32 {
    std::env::var("FLOWOS_FUZZ_CASES")
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(48)
}

fn config() -> ProptestConfig {
    let seed = std::env::var("FLOWOS_FUZZ_SEED")
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0x5eed_f10c);
    ProptestConfig {
        cases: cases(),
        rng_seed: RngSeed::Fixed(seed),
        // A failure is kept as a named test in this file, not in a regressions file that
        // proptest would write into the source tree.
        failure_persistence: None,
        max_shrink_iters: 2_000,
        // A case that times out takes the whole bound again at every shrinking step.
        max_shrink_time: 120_000,
        ..ProptestConfig::default()
    }
}

/// Runs `work` on its own thread with the server's stack size and fails when it takes longer
/// than `bound`. A panic inside is passed on unchanged, so proptest can shrink it; a hang
/// leaves the thread behind, which is fine in a test process that is about to fail.
fn bounded<T: Send + 'static>(
    what: &str,
    bound: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (sender, receiver) = mpsc::channel();
    let started = Instant::now();
    std::thread::Builder::new()
        .name(format!("fuzz: {what}"))
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = sender.send(result);
        })
        .expect("spawn the analysis thread");
    match receiver.recv_timeout(bound) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!(
            "{what} did not finish within {bound:?} (still running after {:?})",
            started.elapsed()
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The workspace the fuzzed file lands in
// ---------------------------------------------------------------------------------------------

const ROOT: &str = "/fuzz/.work/tasks";

const CARD: &str = r#"---
task_id: "0001"
created_by: "@ana"
created_date: "2026-03-02"
schema_version: "1.0"
task_name: "Fuzz the parsers – ünïcode 🎉"
stage: "current"
priority: P1
effort_estimate: M
tags: [reliability, "fuzz"]
current_dri: "@ana"
status: "active"
blocked_by: null
paused_reason: null
depends_on: []
blocks:
  - TASK-0002
related_to: ['TASK-0002']
split_from: null
split_into: []
notes: |
  A block scalar
  over two lines
---

# Fuzz the parsers

## Goal

Make TASK-0002 possible; see FW-0001 and `TASK-0001`.

## Inputs Required

- none

## Implementation Details

| a | b |
|---|---|
| TASK-0002 | x \| y |

## Expected Outputs

A result, [a link](https://example.com) and *emphasis*.

## Acceptance Criteria

- [ ] parsers never panic
- [x] ranges stay inside the text
"#;

const LEDGER: &str = r#"{"ts":"2026-03-02T09:00:00Z","user":"@ana","event":"created","desc":"Created"}
{"ts":"2026-03-03T09:00:00Z","user":"@ana","event":"verified","desc":"Verified ünï 🎉"}
{"ts":"2026-03-04T09:00:00+02:00","user":"@ana","event":"prioritized","desc":"P1","metadata":{"deps":["TASK-0002"],"n":[1,2.5e3,null,true]}}
{"ts":"2026-03-05T09:00:00Z", "user" : "@ana","event":"started","reason":"go \"now\" \u00e9","version":"1.0"}
"#;

const ROOT_INDEX: &str = "# Tasks

| ID | Name | DRI | Stage | Status | Flags | Dependencies |
|----|------|-----|-------|--------|-------|--------------|
| TASK-0001 | Fuzz the parsers – ünïcode 🎉 | @ana | current | active | | - |
| [TASK-0002](next/TASK-0002-beta/0002-beta.task.md) | [Second](next/TASK-0002-beta/) | @bo | next | active | | [TASK-0001](./current/TASK-0001-alpha/#goal) |
";

const STAGE_INDEX: &str = "# Current

| ID | Name | DRI | Status | Flags | Dependencies |
|---|---|---|---|---|---|
| TASK-0001 | Fuzz the parsers – ünïcode 🎉 | @ana | active | \\| pipe | - |
";

const NEXT_INDEX: &str = "| ID | Name | DRI | Status | Flags | Dependencies |
|---|---|---|---|---|---|
| TASK-0002 | Second | @bo | active | | [TASK-0001](../current/TASK-0001-alpha/0001-alpha.task.md) |
";

const WIP_POLICY: &str = "# WIP policy

| Stage | WIP Limit | Scope |
|-------|-----------|-------|
| current | ≤5 | System-wide |
| next | ≤3 | Per DRI |
| **learning** | 2 | Per DRI |

| Stage | SLO Target | Violation Threshold |
|-------|------------|---------------------|
| inbox | 24 hours | 48 hours |
| backlog | 7 days | 14 days |
| current | 2x effort estimate | N/A |
";

const NAMESPACES: &str = "namespaces:
  FW:
    name: Framework
    owner: \"@ana\"
";

const CONTEXT: &str = "# Context\n\nSee TASK-0002, FW-0001 and ISO-8601.\n";

const COUNTER: &str = "0003\n";

const CARD_2: &str = r#"---
task_id: "0002"
created_by: "@bo"
created_date: "2026-03-02"
schema_version: "1.0"
task_name: "Second"
stage: "next"
priority: P2
effort_estimate: S
tags: []
current_dri: "@bo"
status: "active"
blocked_by: null
paused_reason: null
depends_on: ["TASK-0001"]
blocks: []
related_to: []
split_from: null
split_into: []
---

## Goal

After TASK-0001.

## Inputs Required

## Implementation Details

## Expected Outputs

## Acceptance Criteria

- [ ] done
"#;

/// A proposal, a decision on it, and a pending edit proposal.
const PROPOSALS: &str = r#"{"type":"move_proposal","proposal":1,"ts":"2026-03-06T09:00:00Z","proposed_by":"agent-7","task_id":"TASK-0001","action":"complete","task_version":"fnv1a64:0","note":"ünï 🎉"}
{"type":"rejection","proposal":1,"ts":"2026-03-06T10:00:00Z","rejected_by":"@ana","reason":"not yet"}
{"type":"edit_proposal","proposal":2,"ts":"2026-03-06T11:00:00Z","proposed_by":"agent-7","task_id":"TASK-0001","field":"depends_on","value":["TASK-0002"],"task_version":"fnv1a64:0"}
"#;

/// The tasks root's task drafts: one approved, one pending with a note, and a line that is
/// not a draft.
const DRAFTS: &str = r#"{"type":"task_draft","proposal":1,"ts":"2026-03-06T09:00:00Z","proposed_by":"agent-7","name":"Export ünï 🎉","requires_human_approval":true}
{"type":"approval","proposal":1,"ts":"2026-03-06T10:00:00Z","approved_by":"@ana","task_id":"TASK-0003"}
{"type":"task_draft","proposal":2,"ts":"2026-03-06T11:00:00Z","proposed_by":"agent-7","name":"Second","namespace":"FW","note":"why","requires_human_approval":true}
{"type":"move_proposal","proposal":3,"ts":"2026-03-06T12:00:00Z","proposed_by":"agent-7","task_id":"TASK-0001","action":"start","task_version":"fnv1a64:0"}
"#;

const LEDGER_2: &str = "{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@bo\",\"event\":\"created\",\"desc\":\"Created\"}\n{\"ts\":\"2026-03-03T09:00:00Z\",\"user\":\"@bo\",\"event\":\"verified\",\"desc\":\"v\"}\n{\"ts\":\"2026-03-04T09:00:00Z\",\"user\":\"@bo\",\"event\":\"prioritized\",\"desc\":\"p\"}\n";

/// The file of the workspace that receives the fuzzed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Card,
    Ledger,
    Proposals,
    Drafts,
    StageIndex,
    RootIndex,
    WipPolicy,
    Namespaces,
    Context,
    Counter,
}

impl Target {
    const ALL: [Target; 10] = [
        Target::Card,
        Target::Ledger,
        Target::Proposals,
        Target::Drafts,
        Target::StageIndex,
        Target::RootIndex,
        Target::WipPolicy,
        Target::Namespaces,
        Target::Context,
        Target::Counter,
    ];

    fn rel(self) -> &'static str {
        match self {
            Target::Card => "current/TASK-0001-alpha/0001-alpha.task.md",
            Target::Ledger => "current/TASK-0001-alpha/0001.ledger.jsonl",
            Target::Proposals => "current/TASK-0001-alpha/0001.proposals.jsonl",
            Target::Drafts => "drafts.proposals.jsonl",
            Target::StageIndex => "current/INDEX.md",
            Target::RootIndex => "INDEX.md",
            Target::WipPolicy => "wip.policy.md",
            Target::Namespaces => "NAMESPACES.yaml",
            Target::Context => "current/TASK-0001-alpha/0001.context.md",
            Target::Counter => "ID_COUNTER.txt",
        }
    }

    fn role(self) -> FileRole {
        match self {
            Target::Card => FileRole::Card,
            Target::Ledger => FileRole::Ledger,
            Target::Proposals | Target::Drafts => FileRole::Proposals,
            Target::StageIndex => FileRole::StageIndex(Stage::Current),
            Target::RootIndex => FileRole::RootIndex,
            Target::WipPolicy => FileRole::WipPolicy,
            Target::Namespaces => FileRole::Namespaces,
            Target::Context => FileRole::Context,
            Target::Counter => FileRole::IdCounter,
        }
    }

    /// The valid text the mutations start from.
    fn seed(self) -> &'static str {
        match self {
            Target::Card => CARD,
            Target::Ledger => LEDGER,
            Target::Proposals => PROPOSALS,
            Target::Drafts => DRAFTS,
            Target::StageIndex => STAGE_INDEX,
            Target::RootIndex => ROOT_INDEX,
            Target::WipPolicy => WIP_POLICY,
            Target::Namespaces => NAMESPACES,
            Target::Context => CONTEXT,
            Target::Counter => COUNTER,
        }
    }
}

/// The small workspace, with `target`'s file holding `bytes`.
fn workspace_with(target: Target, bytes: Vec<u8>) -> Workspace {
    let mut files: Vec<FileInput> = Target::ALL
        .iter()
        .filter(|&&other| other != target)
        .map(|other| FileInput::new(other.rel(), other.seed().as_bytes().to_vec()))
        .collect();
    files.push(FileInput::new(target.rel(), bytes));
    for (rel, text) in [
        ("next/INDEX.md", NEXT_INDEX),
        ("next/TASK-0002-beta/0002-beta.task.md", CARD_2),
        ("next/TASK-0002-beta/0002.context.md", "# Context\n"),
        ("next/TASK-0002-beta/0002.ledger.jsonl", LEDGER_2),
    ] {
        files.push(FileInput::new(rel, text.as_bytes().to_vec()));
    }
    let dirs = [
        "inbox",
        "backlog",
        "next",
        "next/TASK-0002-beta",
        "current",
        "current/TASK-0001-alpha",
        "integration",
        "learning",
        "archived",
    ];
    Workspace::build(vec![RootInput {
        path: PathBuf::from(ROOT),
        dirs: dirs.iter().map(|dir| dir.to_string()).collect(),
        files,
        problems: Vec::new(),
    }])
}

// ---------------------------------------------------------------------------------------------
// Range checks
// ---------------------------------------------------------------------------------------------

/// One text and its line index, against which ranges are checked.
struct Text<'t> {
    what: String,
    text: &'t str,
    index: LineIndex,
}

impl<'t> Text<'t> {
    fn new(what: impl Into<String>, text: &'t str) -> Text<'t> {
        Text {
            what: what.into(),
            text,
            index: LineIndex::new(text),
        }
    }

    /// `range` lies inside the text, on character boundaries, and its ends survive the trip
    /// to protocol positions and back in both encodings.
    fn range(&self, range: TextRange, label: &dyn Debug) {
        let (start, end) = (range.start as usize, range.end as usize);
        let len = self.text.len();
        assert!(
            start <= end && end <= len,
            "{}: {label:?} has range {range:?} outside the text ({len} bytes)",
            self.what
        );
        for offset in [start, end] {
            assert!(
                self.text.is_char_boundary(offset),
                "{}: {label:?} has range {range:?}, which splits a character at {offset}",
                self.what
            );
            self.offset_round_trips(offset, label);
        }
    }

    fn offset(&self, offset: usize, label: &dyn Debug) {
        assert!(
            offset <= self.text.len() && self.text.is_char_boundary(offset),
            "{}: {label:?} has offset {offset}, outside the text or inside a character",
            self.what
        );
        self.offset_round_trips(offset, label);
    }

    fn offset_round_trips(&self, offset: usize, label: &dyn Debug) {
        for encoding in [PositionEncoding::Utf16, PositionEncoding::Utf8] {
            let position = self.index.line_col(self.text, offset, encoding);
            let back = self.index.offset(self.text, position, encoding);
            assert_eq!(
                back, offset,
                "{}: {label:?} at {offset} became {position:?} in {encoding:?} and came back as {back}",
                self.what
            );
        }
    }

    /// The text a range covers (checked first).
    fn slice(&self, range: TextRange, label: &dyn Debug) -> &'t str {
        self.range(range, label);
        &self.text[range.as_usize()]
    }
}

fn check_yaml_node(text: &Text, node: &YamlNode) {
    let slice = text.slice(node.range, &"a YAML node");
    if let YamlValue::Str {
        text: value,
        quoted,
    } = &node.value
    {
        text.range(node.inner_range(), &"the inside of a YAML string");
        // A plain one-line scalar is its own text: its range must cover exactly that (an
        // alias `*a` stands where it is written, for the value it repeats).
        if !quoted
            && !value.is_empty()
            && !value.contains(['\n', '\r'])
            && !slice.starts_with('*')
            && !slice.contains(['\n', '\r', '#', '|', '>', '\\'])
        {
            assert_eq!(
                slice, value,
                "{}: a plain scalar's range covers other text",
                text.what
            );
        }
    }
    match &node.value {
        YamlValue::Seq(items) => items.iter().for_each(|item| check_yaml_node(text, item)),
        YamlValue::Map(entries) => entries.iter().for_each(|(key, value)| {
            check_yaml_node(text, key);
            check_yaml_node(text, value);
        }),
        _ => {}
    }
}

fn check_yaml_error(text: &Text, error: &YamlError) {
    text.range(error.range, &error.message);
    if let Some((opener, what)) = &error.opener {
        text.range(*opener, what);
    }
}

fn check_refs(text: &Text, refs: &[TextRef]) {
    for reference in refs {
        let slice = text.slice(reference.range, reference);
        let parsed = parse_task_ref(slice).map(|(id, _)| id);
        assert_eq!(
            parsed.as_ref(),
            Some(&reference.id),
            "{}: the reference's range covers `{slice}`",
            text.what
        );
    }
}

fn check_card(text: &Text, card: &Card) {
    text.offset(card.body_start, &"the body start");
    match &card.frontmatter {
        Frontmatter::Missing { range } | Frontmatter::Unterminated { range } => {
            text.range(*range, &card.frontmatter)
        }
        Frontmatter::Present(block) => {
            text.range(block.range, &"the frontmatter block");
            text.range(block.content_range, &"the frontmatter content");
            for entry in &block.entries {
                text.range(entry.key_range, &entry.key);
                check_yaml_node(text, &entry.value);
            }
            if let Some(error) = &block.error {
                check_yaml_error(text, error);
            }
        }
    }
    for section in &card.sections {
        text.range(section.heading_range, &section.title);
        text.range(section.content_range, &section.title);
    }
    for item in &card.acceptance_items {
        let slice = text.slice(item.range, item);
        assert!(
            !slice.contains(['\n', '\r']),
            "{}: a checklist item spans lines",
            text.what
        );
    }
    check_refs(text, &card.body_refs);
}

fn check_ledger(text: &Text, ledger: &Ledger) {
    for line in &ledger.lines {
        let slice = text.slice(line.range, &line.number);
        assert!(
            !slice.contains('\n'),
            "{}: ledger line {} spans a line break",
            text.what,
            line.number
        );
        // serde_json, parsing into a `Value`, is the judge of what a valid event is: the
        // parser's own validation (which builds no value) must agree with it line for line.
        if !matches!(line.kind, LineKind::Blank | LineKind::OverCap(_)) {
            let is_object = matches!(
                serde_json::from_str::<serde_json::Value>(slice),
                Ok(serde_json::Value::Object(_))
            );
            assert_eq!(
                matches!(line.kind, LineKind::Event(_)),
                is_object,
                "{}: ledger line {} `{slice}`",
                text.what,
                line.number
            );
        }
        match &line.kind {
            LineKind::Blank => {}
            LineKind::Invalid { message, range } => text.range(*range, message),
            LineKind::OverCap(over) => text.range(over.range, &over.message.as_str()),
            LineKind::Event(event) => {
                for field in event.fields() {
                    let key = text.slice(field.key_range, &field.key);
                    let decoded: String = serde_json::from_str(key).unwrap_or_else(|error| {
                        panic!("{}: key range covers `{key}`: {error}", text.what)
                    });
                    assert_eq!(decoded, field.key, "{}: key range", text.what);
                    let value = text.slice(field.value_range, &field.key);
                    let parsed: serde_json::Value =
                        serde_json::from_str(value).unwrap_or_else(|error| {
                            panic!("{}: value range covers `{value}`: {error}", text.what)
                        });
                    // Each occurrence of a duplicated key reads as what it writes itself.
                    if let FieldValue::Str(expected) = field.value {
                        assert_eq!(parsed.as_str(), Some(expected), "{}", text.what);
                    }
                    if let Some(inner) = field.string_content_range(text.text) {
                        text.range(inner, &"a ledger string's content");
                    }
                }
            }
        }
    }
}

fn check_index(text: &Text, parsed: &ParsedIndex) {
    for (message, range) in &parsed.errors {
        text.range(*range, message);
    }
    let Some(table) = &parsed.table else {
        return;
    };
    text.range(table.header_range, &"the header");
    for row in std::iter::once(&table.header).chain(table.rows.iter().map(|row| &row.cells)) {
        for cell in row {
            let slice = text.slice(cell.range, &cell.text);
            let inside =
                |range: TextRange| cell.range.start <= range.start && range.end <= cell.range.end;
            // The value is the source with each link read as its text and `\|` as `|`.
            let mut value = String::new();
            let mut at = cell.range.start as usize;
            for link in cell.links() {
                for range in [link.range, link.text_range, link.target_range] {
                    text.range(range, &link.target(text.text));
                    assert!(
                        inside(range),
                        "{}: a link reaches out of its cell",
                        text.what
                    );
                }
                assert!(
                    link.range.start as usize >= at,
                    "{}: links overlap",
                    text.what
                );
                value.push_str(text.slice(
                    TextRange::new(at, link.range.start as usize),
                    &"between links",
                ));
                let link_text = text.slice(link.text_range, &"a link's text");
                assert_eq!(
                    &cell.text[link.value_start as usize..link.value_end as usize],
                    link_text.replace("\\|", "|"),
                    "{}: a link's text is not where its value says",
                    text.what
                );
                value.push_str(link_text);
                at = link.range.end as usize;
            }
            value.push_str(text.slice(
                TextRange::new(at, (cell.range.end as usize).max(at)),
                &"after links",
            ));
            if cell.links().is_empty() {
                assert_eq!(
                    value, slice,
                    "{}: a cell's range covers other text",
                    text.what
                );
            }
            assert_eq!(
                value.replace("\\|", "|"),
                cell.text,
                "{}: a cell's value is not its source",
                text.what
            );
            text.range(cell.value_range(), &"a cell's value");
            for (id, range) in dependency_tokens(cell) {
                text.range(range, &id);
                assert!(
                    inside(range),
                    "{}: a token reaches out of its cell",
                    text.what
                );
            }
        }
    }
    for row in &table.rows {
        let slice = text.slice(row.range, &"a row");
        assert!(
            !slice.contains(['\n', '\r']),
            "{}: a row spans lines",
            text.what
        );
    }
}

fn check_wip_policy(text: &Text, policy: &WipPolicy) {
    for (message, range) in policy.errors.iter().chain(&policy.approval_gates.errors) {
        text.range(*range, message);
    }
    for gate in &policy.approval_gates.gates {
        text.range(gate.range, gate);
    }
    for limit in &policy.limits {
        text.range(limit.range, limit);
    }
    for slo in &policy.slos {
        text.range(slo.range, slo);
    }
}

/// Every error and record range inside the text; a decision belongs to a proposal before it.
fn check_proposals(text: &Text, proposals: &Proposals) {
    for error in &proposals.errors {
        text.range(error.range, &error.message);
    }
    for proposal in &proposals.proposals {
        text.range(proposal.range, &proposal.number);
        if let Some(decision) = &proposal.decision {
            text.range(decision.range, &decision.by);
            assert!(
                decision.range.start > proposal.range.start,
                "{}: a decision before its proposal",
                text.what
            );
        }
    }
    let numbers: Vec<u32> = proposals.proposals.iter().map(|p| p.number).collect();
    let counted: Vec<u32> = (1..=numbers.len() as u32).collect();
    assert_eq!(numbers, counted, "{}: proposal numbers", text.what);
}

fn check_parsed(text: &Text, parsed: &Parsed) {
    match parsed {
        Parsed::Card(card) => check_card(text, card),
        Parsed::Ledger(ledger) => check_ledger(text, ledger),
        Parsed::Proposals(proposals) => check_proposals(text, proposals),
        Parsed::Index(index) => check_index(text, index),
        Parsed::WipPolicy(policy) => check_wip_policy(text, policy),
        Parsed::Namespaces(Ok(Some(root))) => check_yaml_node(text, root),
        Parsed::Namespaces(Err(error)) => check_yaml_error(text, error),
        Parsed::Refs(refs) => check_refs(text, refs),
        Parsed::Namespaces(Ok(None)) | Parsed::Nothing | Parsed::Oversized { .. } => {}
    }
}

/// Every parser of the `syntax` layer on `text`, directly (not through the file roles), and
/// the YAML adapter at a non-zero base as the card parser calls it.
fn check_parsers_on(text: &str) {
    let checked = Text::new("parser input", text);
    check_card(&checked, &parse_card(text));
    check_ledger(&checked, &parse_ledger(text));
    check_proposals(&checked, &parse_proposals(text));
    check_index(&checked, &parse_index(text));
    check_wip_policy(&checked, &parse_wip_policy(text));
    check_refs(&checked, &scan_refs(text, 0));
    let padded = format!("---\n{text}");
    let padded_text = Text::new("YAML at base 4", &padded);
    match parse_yaml(text, 4) {
        Ok(Some(root)) => check_yaml_node(&padded_text, &root),
        Ok(None) => {}
        Err(error) => check_yaml_error(&padded_text, &error),
    }
}

// ---------------------------------------------------------------------------------------------
// The whole analysis
// ---------------------------------------------------------------------------------------------

/// What one case checks: the target's parse on its own, then the workspace holding it,
/// analysed as the CLI and the server do.
fn check_everything(target: Target, bytes: Vec<u8>, probe: usize) {
    let (text, invalid_utf8, parsed) = parse_file(&target.role(), target.rel(), &bytes, None);
    if bytes.len() <= file_cap(target.rel()) {
        assert!(
            std::str::from_utf8(&bytes)
                .err()
                .map(|error| error.valid_up_to())
                == invalid_utf8,
            "only invalid UTF-8 is flagged, at its first bad byte: {invalid_utf8:?}"
        );
        check_parsers_on(&text);
    }
    check_parsed(&Text::new(target.rel(), &text), &parsed);

    let workspace = workspace_with(target, bytes);
    let file = workspace
        .file_by_path(&PathBuf::from(ROOT).join(target.rel()))
        .expect("the fuzzed file is in the model");
    check_workspace(&workspace, file, probe);
}

fn check_workspace(workspace: &Workspace, fuzzed: FileId, probe: usize) {
    let texts: Vec<Text> = workspace
        .files
        .iter()
        .map(|file| Text::new(file.rel.clone(), &file.text))
        .collect();
    let text_of = |file: FileId| &texts[file.0 as usize];
    for (index, file) in workspace.files.iter().enumerate() {
        check_parsed(&texts[index], &file.parsed);
        for mention in workspace.mentions_in(FileId(index as u32)) {
            texts[index].range(mention.range, mention);
        }
    }
    for task in &workspace.tasks {
        let Some(card) = task.card else { continue };
        let meta = &task.meta;
        let text = text_of(card);
        let ranges = meta
            .task_id
            .iter()
            .map(|(_, range)| *range)
            .chain(meta.stage.iter().map(|(_, range)| *range))
            .chain(meta.status.iter().map(|(_, range)| *range))
            .chain(meta.blocked_by.iter().map(|(_, range)| *range))
            .chain(
                [
                    &meta.depends_on,
                    &meta.blocks,
                    &meta.related_to,
                    &meta.split_into,
                ]
                .into_iter()
                .flatten()
                .chain(&meta.split_from)
                .map(|item| item.range),
            );
        for range in ranges {
            text.range(range, &task.id);
        }
    }

    let config = Config {
        now: NOW,
        user: Some("@fuzz".to_string()),
        ..Config::default()
    };
    let diagnostics = workspace_diagnostics(workspace, &config);
    for diagnostic in &diagnostics {
        check_diagnostic(&texts, diagnostic);
    }
    let fuzzed_diagnostics = diagnostics.iter().filter(|d| d.file == fuzzed);

    // Quick fixes for the fuzzed file's diagnostics: sorted, non-overlapping edits inside the
    // texts they edit, which apply without panicking.
    let ctx = config.clone();
    let check_change = |change: &SourceChange, label: &str| {
        for file_change in &change.changes {
            let FileChange::Edit { file, edits } = file_change else {
                continue;
            };
            let text = text_of(*file);
            let is_ledger = workspace.file(*file).role == FileRole::Ledger;
            let mut previous_end = 0;
            for edit in edits {
                text.range(edit.range, &label);
                // SPEC §5: a fix may append to a ledger, never rewrite a line of it.
                assert!(
                    !is_ledger || edit.range == TextRange::empty(text.text.len()),
                    "{}: fix `{label}` edits the ledger at {:?}",
                    text.what,
                    edit.range
                );
                assert!(
                    edit.range.start >= previous_end,
                    "{}: fix `{label}` has overlapping or unsorted edits",
                    text.what,
                );
                previous_end = edit.range.end;
            }
            apply_edits(text.text, edits);
        }
    };
    for diagnostic in fuzzed_diagnostics {
        for fix in fixes_for(workspace, &ctx, diagnostic) {
            if let FixAction::Change(change) = &fix.action {
                check_change(change, &fix.label);
            }
        }
    }
    // What `check --fix` and "Fix all" apply: every safe fix at once.
    let (all, _) = fix_all(workspace, &ctx, &diagnostics);
    check_change(&all, "fix all");

    // The editor features on the fuzzed file.
    let text = text_of(fuzzed);
    for symbol in document_symbols(workspace, fuzzed).items {
        check_symbol(text, &symbol);
    }
    for link in document_links(workspace, fuzzed).items {
        text.range(link.range, &link.tooltip);
    }
    for hint in inlay_hints(
        workspace,
        fuzzed,
        TextRange::new(0, workspace.file(fuzzed).text.len()),
    ) {
        text.offset(hint.offset, &hint.label);
    }
    for lens in code_lens(workspace, fuzzed, &config) {
        text.range(lens.range, &lens.title);
    }
    for symbol in workspace_symbols(workspace, "", 100) {
        text_of(symbol.file).range(symbol.range, &symbol.name);
    }
    // Cursor requests at one offset of the file (any byte; the features floor it themselves
    // where they need to), at its end and past it.
    let len = text.text.len();
    for offset in [probe % (len + 1), len, len + 3] {
        if let Some(found) = hover(workspace, fuzzed, offset, &config) {
            text.range(found.range, &"hover");
        }
        if let Some((origin, target)) = goto_definition(workspace, fuzzed, offset) {
            text.range(origin, &"definition origin");
            text_of(target.file).range(target.full_range, &"definition");
            text_of(target.file).range(target.focus_range, &"definition focus");
        }
        for (file, range) in references(workspace, fuzzed, offset, true).items {
            text_of(file).range(range, &"reference");
        }
        let mut completion_config = CompletionConfig::default();
        completion_config.analysis.now = NOW;
        if let Some(list) = completion(workspace, fuzzed, offset, &completion_config) {
            for item in &list.items {
                text.range(item.edit.0, &item.label);
            }
        }
    }

    check_flow(workspace);

    // Transitions of the task whose files are fuzzed: offers, plans and their projections.
    if let Some(idx) = workspace.task_idx_of_file(fuzzed) {
        let ctx = config.clone();
        for offer in offers(workspace, idx, &ctx) {
            if offer.disabled.is_some() {
                continue;
            }
            if let Ok(planned) = plan(workspace, idx, &offer.action, &ctx) {
                let _ = project(workspace, &planned.tasks);
            }
        }
    }
}

/// The flow engine (SPEC §9) on whatever the ledgers hold: every duration it reports is
/// non-negative, every efficiency a percentage, it counts no more tasks than there are, and
/// every report renders.
fn check_flow(workspace: &Workspace) {
    let tasks: Vec<TaskIdx> = (0..workspace.tasks.len() as u32).map(TaskIdx).collect();
    for &idx in &tasks {
        let figures = task_figures(timeline_of(workspace, workspace.task(idx)), NOW);
        let hours = [
            figures.lead_hours,
            figures.in_flight_hours,
            figures.blocked_hours,
            figures.paused_hours,
            figures.active_hours,
        ];
        assert!(hours.iter().flatten().all(|h| *h >= 0.0), "{figures:?}");
        assert!(figures.stage_hours.iter().all(|stage| stage.hours >= 0.0));
        assert!(
            figures
                .flow_efficiency_pct
                .is_none_or(|pct| (0.0..=100.0).contains(&pct)),
            "{figures:?}"
        );
    }
    let window = Window::default_until(NOW);
    let figures = metrics(workspace, &tasks, window, NOW);
    assert!(figures.throughput.count <= tasks.len() && figures.wip.total <= tasks.len());
    assert!(figures.skipped.len() <= tasks.len());
    assert!(figures.blocker_impact.iter().all(|b| b.blocked_hours > 0.0));
    // Every report is written whatever the ledgers hold, each a markdown document.
    for &report in Report::ALL {
        let request = ReportRequest {
            report,
            week: None,
            since: None,
            until: None,
            task: None,
        };
        let text = render(workspace, &request, NOW).expect("a report needs no more than a tree");
        assert!(text.starts_with("# "), "{}: {text}", report.name());
    }
}

fn check_diagnostic(texts: &[Text], diagnostic: &Diagnostic) {
    let label = format!("{} `{}`", diagnostic.rule, diagnostic.message);
    texts[diagnostic.file.0 as usize].range(diagnostic.range, &label);
    for related in &diagnostic.related {
        texts[related.file.0 as usize].range(related.range, &related.message);
    }
}

fn check_symbol(text: &Text, symbol: &Symbol) {
    text.range(symbol.range, &symbol.name);
    text.range(symbol.selection, &symbol.name);
    assert!(
        symbol.range.start <= symbol.selection.start && symbol.selection.end <= symbol.range.end,
        "{}: symbol {} selects outside its range",
        text.what,
        symbol.name
    );
    for child in &symbol.children {
        check_symbol(text, child);
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Splices that break parsers in interesting ways.
#[rustfmt::skip]
const HOSTILE: &[&[u8]] = &[
    b"[[[[[[[[[[[[[[[[", b"]]]]", b"{{{{{{{{{{{{", b"}}}}", b"\"", b"'", b"\"unclosed",
    b"'unclosed", b"\\", b"\\\"", b"&a [*a, *a, *a, *a, *a, *a, *a, *a]\n", b"*a", b"&anchor ",
    b"!!binary ", b"!<tag:yaml.org,2002:str> ", b"? ", b": ", b":", b"- ", b"---\n", b"...\n",
    b"|\n", b">-\n", b"%YAML 1.2\n", b"\0", b"\r", b"\r\n", b"\n", b"\t", b"    ", b"\xef\xbb\xbf",
    b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", "é".as_bytes(),
    "🎉".as_bytes(), "\u{2028}".as_bytes(), "\u{85}".as_bytes(), b"\x0b\x0c", b"#", b" # comment",
    b"TASK-", b"TASK-0001", b"TASK-FW-0001", b"FW-0002", b"0042", b"|", b"\\|",
    b"| ID | Name |\n|---|---|\n", b"## Acceptance Criteria\n", b"- [ ] ", b"- [x] ", b"```\n",
    b"<!-- ", b"> ", b"# ", b"{\"ts\":", b",\"event\":\"started\"}", b"\\u0000", b"\\uD800",
    b"1e999999", b"123456789012345678901234567890", b"-0", b"null", b"task_id: ", b"depends_on: [",
    b"stage: ", b"status: blocked\n",
];

fn hostile_token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(HOSTILE).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..8),
        1 => any::<char>().prop_map(|ch| ch.to_string().into_bytes()),
    ]
}

#[derive(Clone, Debug)]
enum Mutation {
    Truncate(Index),
    Delete(Index, u8),
    Duplicate(Index, u8),
    Insert(Index, Vec<u8>),
    /// A token repeated many times: deep nesting, very long lines.
    Repeat(Index, Vec<u8>, u16),
    SetByte(Index, u8),
    /// Two lines exchanged.
    SwapLines(Index, Index),
    Crlf,
    LoneCr,
    Bom,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::Truncate),
        3 => (any::<Index>(), any::<u8>()).prop_map(|(at, len)| Mutation::Delete(at, len)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(at, len)| Mutation::Duplicate(at, len)),
        6 => (any::<Index>(), hostile_token()).prop_map(|(at, token)| Mutation::Insert(at, token)),
        1 => (any::<Index>(), hostile_token(), 0..3000u16)
            .prop_map(|(at, token, count)| Mutation::Repeat(at, token, count)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::SetByte(at, byte)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => Just(Mutation::Crlf),
        1 => Just(Mutation::LoneCr),
        1 => Just(Mutation::Bom),
    ]
}

fn apply_mutation(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let at = |index: &Index, len: usize| index.index(len + 1);
    match mutation {
        Mutation::Truncate(index) => bytes.truncate(at(index, bytes.len())),
        Mutation::Delete(index, len) => {
            let start = at(index, bytes.len());
            let end = (start + usize::from(*len)).min(bytes.len());
            bytes.drain(start..end);
        }
        Mutation::Duplicate(index, len) => {
            let start = at(index, bytes.len());
            let end = (start + usize::from(*len)).min(bytes.len());
            let copy = bytes[start..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Mutation::Insert(index, token) => {
            let start = at(index, bytes.len());
            bytes.splice(start..start, token.iter().copied());
        }
        Mutation::Repeat(index, token, count) => {
            let start = at(index, bytes.len());
            let repeated = token.repeat(usize::from(*count));
            bytes.splice(start..start, repeated);
        }
        Mutation::SetByte(index, byte) => {
            if !bytes.is_empty() {
                let position = index.index(bytes.len());
                bytes[position] = *byte;
            }
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<Vec<u8>> = bytes
                .split_inclusive(|&byte| byte == b'\n')
                .map(<[u8]>::to_vec)
                .collect();
            if !lines.is_empty() {
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
                *bytes = lines.concat();
            }
        }
        Mutation::Crlf => {
            let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
            for &byte in bytes.iter() {
                if byte == b'\n' {
                    out.push(b'\r');
                }
                out.push(byte);
            }
            *bytes = out;
        }
        Mutation::LoneCr => {
            for byte in bytes.iter_mut().filter(|byte| **byte == b'\n') {
                *byte = b'\r';
            }
        }
        Mutation::Bom => bytes.splice(0..0, *b"\xef\xbb\xbf").for_each(drop),
    }
}

fn target() -> impl Strategy<Value = Target> {
    prop::sample::select(&Target::ALL[..])
}

/// Arbitrary text biased towards the characters that matter to the formats.
fn soup_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(&[
            '\n', '\r', '\t', ' ', ' ', ':', '-', '[', ']', '{', '}', ',', '"', '\'', '|', '\\',
            '#', '&', '*', '!', '?', '>', '`', '0', '4', '2', 'T', 'A', 'S', 'K', '\0',
            '\u{feff}', 'é', '🎉', '\u{2028}', '\u{85}',
        ][..]),
        1 => any::<char>(),
    ]
}

/// Tokens of each format, strung together at random: much more often well-formed enough to
/// reach deep into a parser than random bytes are.
#[rustfmt::skip]
const YAML_TOKENS: &[&str] = &[
    "\n", "\n", "  ", "    ", "- ", ": ", ":", "task_id", "stage", "depends_on", "blocks",
    "status", "blocked_by", "\"0001\"", "'0002'", "TASK-0002", "FW-0001", "task:TASK-0002", "null",
    "~", "true", "0042", "1e3", ".inf", "[", "]", "{", "}", ", ", "&a ", "*a", "<<", "!!str ", "|",
    ">", "# c", "\"", "'", "\\n", "---", "...", "? ", "é", "🎉", "\t", "\r\n", "current",
    "2026-02-30", "@ana",
];

#[rustfmt::skip]
const JSON_TOKENS: &[&str] = &[
    "{", "}", "[", "]", ":", ",", "\"ts\"", "\"user\"", "\"event\"", "\"desc\"", "\"version\"",
    "\"2026-03-02T09:00:00Z\"", "\"2026-03-02T09:00:00+02:00\"", "\"@ana\"", "\"started\"",
    "\"verified\"", "\"TASK-0002\"", "\"2.0\"", "1", "-1.5e10", "null", "true", "\"\\u00e9\"",
    "\"\\uD83C\\uDF89\"", "\"\\\"\"", "\"é🎉\"", " ", "\n", "\r\n", "\"", "\\", "\u{feff}",
];

#[rustfmt::skip]
const MARKDOWN_TOKENS: &[&str] = &[
    "|", "| ", " |", "\\|", "\n", "\r\n", "---", "|---|", ":--", "--:", "ID", "Name", "DRI",
    "Stage", "Status", "Flags", "Dependencies", "Namespace", "WIP Limit", "Scope", "SLO Target",
    "Violation Threshold", "TASK-0001", "TASK-0002", "FW-0001", "0042", "current", "next",
    "active", "@ana", "≤3", "None", "24 hours", "7 days", "2x effort estimate", "N/A",
    "System-wide", "Per DRI", "- ", "- [ ] ", "## ", "# ", "```", "> ", "`", "**", "<!--", "-->",
    " ", "\t", "é", "🎉", "---\n", "[", "]", "](", ")", "[0001](", "<", ">", "\"", "../",
    "current/TASK-0001-alpha/", "0001-alpha.task.md", "!",
];

fn soup(tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::sample::select(tokens).prop_map(str::to_string),
            1 => soup_char().prop_map(String::from),
        ],
        0..120,
    )
    .prop_map(|parts| parts.concat())
}

/// A target and a text written in its own format's tokens.
fn format_soup() -> impl Strategy<Value = (Target, Vec<u8>)> {
    prop_oneof![
        soup(YAML_TOKENS).prop_map(|yaml| (
            Target::Card,
            format!("---\n{yaml}\n---\n## Goal\n").into_bytes()
        )),
        soup(YAML_TOKENS).prop_map(|yaml| (Target::Namespaces, yaml.into_bytes())),
        soup(JSON_TOKENS).prop_map(|json| (Target::Ledger, json.into_bytes())),
        soup(JSON_TOKENS).prop_map(|json| (Target::Proposals, json.into_bytes())),
        soup(JSON_TOKENS).prop_map(|json| (Target::Drafts, json.into_bytes())),
        soup(MARKDOWN_TOKENS).prop_map(|md| (Target::RootIndex, md.into_bytes())),
        soup(MARKDOWN_TOKENS).prop_map(|md| (Target::StageIndex, md.into_bytes())),
        soup(MARKDOWN_TOKENS).prop_map(|md| (Target::WipPolicy, md.into_bytes())),
        soup(MARKDOWN_TOKENS).prop_map(|md| (Target::Card, format!("{CARD}{md}").into_bytes())),
    ]
}

/// Frontmatter keys: the schema's, extensions, typos, and odd ones.
#[rustfmt::skip]
const FIELD_KEYS: &[&str] = &[
    "task_id", "task_name", "stage", "status", "current_dri", "created_by", "created_date",
    "schema_version", "priority", "effort_estimate", "tags", "blocked_by", "paused_reason",
    "depends_on", "blocks", "related_to", "split_from", "split_into", "canceled_reason",
    "expected_resume_date", "paused_date", "last_updated", "previous_dris", "split_part",
    "stauts", "dependson", "\"task_id\"", "? task_id", "'x y'", "é🎉", "[a, b]", "~",
];

/// Frontmatter values of every shape the rules meet: good, wrong-typed, out of set, broken.
#[rustfmt::skip]
const FIELD_VALUES: &[&str] = &[
    "\"0001\"", "0001", "'FW-0002'", "\"TASK-0002\"", "TASK-0002", "\"TASK-0001\"", "null", "~",
    "", "\"\"", "current", "\"curent\"", "next", "archived", "active", "blocked", "paused",
    "canceled", "split", "P0", "P9", "M", "XXL", "8", "\"@ana\"", "ana", "\"2026-02-30\"",
    "2026-03-02", "\"1.0\"", "1.0", "[]", "[TASK-0002, \"0002\", bogus, TASK-0001]",
    "[TASK-0009]", "\"task:TASK-0002 (canceled)\"", "task:TASK-0002", "external:vendor",
    "\"task: TASK-\"", "{a: 1}", "[[TASK-0002]]", "\n  - TASK-0002\n  - 0003\n  - [x]",
    "|\n  TASK-0002\n  two", ">-\n  folded\n  text", "&a [TASK-0002]", "*a", "!!str 0042",
    "\"\\u00e9\\t\\\"\"", "'it''s'", "\"é🎉\"", "\"TASK-0002\\u0000\"", "true", "1e400", "-.inf",
    "\"line\\nbreak\"", "\"unterminated", "[unclosed", "'", "\"task:\\u0054ASK-0002\"",
];

/// A frontmatter of distinct keys (a repeated key would only make it a YAML error).
fn frontmatter_fields() -> impl Strategy<Value = String> {
    prop::sample::subsequence(FIELD_KEYS, 0..FIELD_KEYS.len())
        .prop_flat_map(|keys| {
            let values = prop::collection::vec(
                (
                    prop::sample::select(FIELD_VALUES),
                    prop::sample::select(&["", " # note", "  ", "\r"][..]),
                ),
                keys.len(),
            );
            (Just(keys), values)
        })
        .prop_map(|(keys, values)| {
            keys.iter()
                .zip(values)
                .map(|(key, (value, tail))| format!("{key}: {value}{tail}\n"))
                .collect()
        })
}

/// JSON values for ledger fields: good, wrong-typed and odd.
#[rustfmt::skip]
const EVENT_VALUES: &[&str] = &[
    "\"2026-03-02T09:00:00Z\"", "\"2026-03-02T09:00:00+02:00\"", "\"2026-03-02 09:00:00\"",
    "\"2026-02-30T09:00:00Z\"", "\"2026-03-02T09:00:00.123456789Z\"", "\"9999-12-31T23:59:60Z\"",
    "\"0000-01-01T00:00:00-23:59\"", "\"@ana\"", "\"created\"", "\"started\"", "\"closed\"",
    "\"canceled\"", "\"rework_required\"", "\"concurrent_ok\"", "\"teleported\"", "\"1.0\"",
    "\"2.0\"", "\"x.y\"", "\"TASK-0002\"", "\"current\"", "\"\"", "null", "true", "0", "-1e308",
    "18446744073709551616", "1e999", "-0.5E-400", "[]", "[\"TASK-0002\", {\"a\": [1]}]", "{}", "{\"dependency\": \"TASK-0002\"}",
    "\"\\u00e9\\\"\\\\\"", "\"é🎉\"", "\"\\uD83C\\uDF89\"",
    // The events and fields the flow engine reads a task's history from.
    "\"blocked\"", "\"unblocked\"", "\"paused\"", "\"resumed\"", "\"rollback\"",
    "\"task:TASK-0002 (canceled)\"", "\"2026-03-01T09:00:00Z\"",
];

#[rustfmt::skip]
const EVENT_KEYS: &[&str] = &[
    "ts", "user", "event", "desc", "reason", "version", "from", "to", "dependency", "blocked_by",
    "metadata", "payload", "t\\u0073", "", "é",
];

fn ledger_lines() -> impl Strategy<Value = String> {
    let event = prop::collection::vec(
        (
            prop::sample::select(EVENT_KEYS),
            prop::sample::select(EVENT_VALUES),
        ),
        0..8,
    )
    .prop_map(|fields| {
        let fields: Vec<String> = fields
            .into_iter()
            .map(|(key, value)| format!("\"{key}\": {value}"))
            .collect();
        format!("{{{}}}", fields.join(","))
    });
    let line = prop_oneof![
        8 => event,
        1 => soup(JSON_TOKENS),
        1 => Just(String::new()),
    ];
    (
        prop::collection::vec(line, 0..12),
        prop::sample::select(&["\n", "\r\n", ""][..]),
    )
        .prop_map(|(lines, end)| lines.join("\n") + end)
}

/// Proposals records' keys and values, good and wrong: every record type, numbers in and out
/// of order, deciding what was never proposed, fields of the wrong type.
const PROPOSAL_FIELDS: &[&str] = &[
    "\"type\":\"move_proposal\"",
    "\"type\":\"edit_proposal\"",
    "\"type\":\"task_draft\"",
    "\"type\":\"approval\"",
    "\"type\":\"rejection\"",
    "\"type\":\"vote\"",
    "\"type\":1",
    "\"proposal\":1",
    "\"proposal\":2",
    "\"proposal\":0",
    "\"proposal\":-3",
    "\"proposal\":\"1\"",
    "\"proposal\":4294967296",
    "\"ts\":\"2026-03-06T09:00:00Z\"",
    "\"ts\":\"yesterday\"",
    "\"proposed_by\":\"agent-7\"",
    "\"proposed_by\":\"\"",
    "\"task_id\":\"TASK-0001\"",
    "\"task_id\":\"TASK-0002\"",
    "\"task_id\":[]",
    "\"action\":\"complete\"",
    "\"action\":\"block:0002\"",
    "\"action\":\"dance\"",
    "\"field\":\"priority\"",
    "\"field\":\"depends_on\"",
    "\"field\":\"stage\"",
    "\"value\":\"P1\"",
    "\"value\":[\"TASK-0002\"]",
    "\"value\":[1]",
    "\"value\":null",
    "\"task_version\":\"fnv1a64:0\"",
    "\"approved_by\":\"@ana\"",
    "\"rejected_by\":\"@ana\"",
    "\"reason\":\"no\"",
    "\"reason\":\"\"",
    "\"note\":\"é🎉\"",
    "\"note\":{}",
    "\"name\":\"New\"",
    "\"name\":\"\"",
    "\"namespace\":\"FW\"",
    "\"namespace\":\"no such\"",
    "\"requires_human_approval\":false",
    "\"requires_human_approval\":\"yes\"",
];

fn proposal_lines() -> impl Strategy<Value = String> {
    let record = prop::collection::vec(prop::sample::select(PROPOSAL_FIELDS), 0..10)
        .prop_map(|fields| format!("{{{}}}", fields.join(",")));
    let line = prop_oneof![
        8 => record,
        1 => soup(JSON_TOKENS),
        1 => Just(String::new()),
    ];
    (
        prop::collection::vec(line, 0..12),
        prop::sample::select(&["\n", "\r\n", ""][..]),
    )
        .prop_map(|(lines, end)| lines.join("\n") + end)
}

/// Index cells: IDs in every spelling, stages, statuses, names with escapes, blanks.
#[rustfmt::skip]
const CELLS: &[&str] = &[
    "TASK-0001", "TASK-0002", "0001", "FW-0001", "TASK-FW-0001", "TASK-0009", "bogus", "",
    "-", "current", "next", "archived", "active", "paused", "blocked", "@ana", "@bo",
    "Fuzz the parsers – ünïcode 🎉", "Second", "a \\| b", "\\", "`code`", "**bold**",
    "TASK-0001, TASK-0002", "TASK-0002; 0001 none", "—", "[link](TASK-0002)", "⏸ paused",
    "[0001](current/TASK-0001-alpha/0001-alpha.task.md)", "[TASK-0002](../next/TASK-0002-beta/)",
    "[Second](next/TASK-0002-beta/ \"card\")", "[TASK-0001](x.md), [0002](<a b>)", "[[0001]](x)",
    "[0001](", "![0001](x)", "`[0001](x)`", "[0001](a\\|b)", "x\\\\|y", "[x\\\\|y](z)", "[a \\| b](c)", "[0001]()",
    "[TASK-0009](https://forge.example/TASK-0009/)", "[0001](/.work/tasks/current/TASK-0001-alpha/)",
];

fn index_rows() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::collection::vec(prop::sample::select(CELLS), 0..9),
        0..8,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|cells| format!("| {} |\n", cells.join(" | ")))
            .collect()
    })
}

/// Each format's own structure with values that are wrong in every way the rules look at.
fn structured() -> impl Strategy<Value = (Target, Vec<u8>)> {
    prop_oneof![
        frontmatter_fields().prop_map(|fields| {
            let card = format!("---\n{fields}---\n\n## Acceptance Criteria\n\n- [ ] x\n");
            (Target::Card, card.into_bytes())
        }),
        frontmatter_fields().prop_map(|fields| {
            let body = &CARD[CARD.find("\n---\n").unwrap()..];
            (Target::Card, format!("---\n{fields}{body}").into_bytes())
        }),
        ledger_lines().prop_map(|ledger| (Target::Ledger, ledger.into_bytes())),
        proposal_lines().prop_map(|lines| (Target::Proposals, lines.into_bytes())),
        proposal_lines().prop_map(|lines| (Target::Drafts, lines.into_bytes())),
        index_rows().prop_map(|rows| (
            Target::RootIndex,
            format!("{ROOT_INDEX}{rows}").into_bytes()
        )),
        index_rows().prop_map(|rows| {
            (
                Target::StageIndex,
                format!("{STAGE_INDEX}{rows}").into_bytes(),
            )
        }),
        index_rows().prop_map(|rows| (Target::RootIndex, rows.into_bytes())),
    ]
}

/// Runs one generated case under the time bound.
fn run_case(target: Target, bytes: Vec<u8>, probe: usize) {
    bounded(&format!("{target:?}"), CASE_BOUND, move || {
        check_everything(target, bytes, probe)
    });
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes(target in target(), bytes in prop::collection::vec(any::<u8>(), 0..1024), probe in any::<usize>()) {
        run_case(target, bytes, probe);
    }

    #[test]
    fn arbitrary_text(target in target(), chars in prop::collection::vec(soup_char(), 0..512), probe in any::<usize>()) {
        run_case(target, chars.into_iter().collect::<String>().into_bytes(), probe);
    }

    #[test]
    fn token_soups((target, bytes) in format_soup(), probe in any::<usize>()) {
        run_case(target, bytes, probe);
    }

    #[test]
    fn structured_values((target, bytes) in structured(), probe in any::<usize>()) {
        run_case(target, bytes, probe);
    }

    #[test]
    fn mutated_fixtures(target in target(), mutations in prop::collection::vec(mutation(), 1..8), probe in any::<usize>()) {
        let mut bytes = target.seed().as_bytes().to_vec();
        for mutation in &mutations {
            apply_mutation(&mut bytes, mutation);
        }
        run_case(target, bytes, probe);
    }
}

/// Every diagnostic of the workspace as (file, rule, line, UTF-16 column, covered text without
/// carriage returns): what a reader sees, independent of the line endings.
fn seen_diagnostics(target: Target, bytes: Vec<u8>) -> Vec<(String, String, u32, u32, String)> {
    let workspace = workspace_with(target, bytes);
    let config = Config {
        now: NOW,
        ..Config::default()
    };
    let mut seen: Vec<_> = workspace_diagnostics(&workspace, &config)
        .iter()
        .map(|diagnostic| {
            let file = workspace.file(diagnostic.file);
            let at = file.line_index().line_col(
                &file.text,
                diagnostic.range.start as usize,
                PositionEncoding::Utf16,
            );
            (
                file.rel.clone(),
                diagnostic.rule.name().to_string(),
                at.line,
                at.col,
                diagnostic.range.slice(&file.text).replace('\r', ""),
            )
        })
        .collect();
    seen.sort();
    seen
}

proptest! {
    #![proptest_config(config())]

    /// A file saved with CRLF line endings gets the same diagnostics, at the same lines and
    /// columns over the same text, as with LF.
    #[test]
    fn crlf_does_not_move_diagnostics(target in target(), mutations in prop::collection::vec(mutation(), 0..4)) {
        let mut bytes = target.seed().as_bytes().to_vec();
        for mutation in &mutations {
            apply_mutation(&mut bytes, mutation);
        }
        let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
        let lf = text.replace('\r', "");
        let crlf = lf.replace('\n', "\r\n");
        let (lf_seen, crlf_seen) = bounded("CRLF", CASE_BOUND, move || {
            (seen_diagnostics(target, lf.into_bytes()), seen_diagnostics(target, crlf.into_bytes()))
        });
        prop_assert_eq!(lf_seen, crlf_seen);
    }
}

// ---------------------------------------------------------------------------------------------
// Big hostile inputs
// ---------------------------------------------------------------------------------------------

/// Analyses `bytes` as `target` within [`BIG_BOUND`], checking every range as the generated
/// cases do, and returns the rules reported on the fuzzed file.
fn check_big(target: Target, bytes: Vec<u8>) -> Vec<(String, Severity)> {
    let what = format!("{target:?} of {} bytes", bytes.len());
    bounded(&what, BIG_BOUND, move || {
        let workspace = workspace_with(target, bytes);
        let file = workspace
            .file_by_path(&PathBuf::from(ROOT).join(target.rel()))
            .expect("the file is in the model");
        let text = Text::new(target.rel(), &workspace.file(file).text);
        check_parsed(&text, &workspace.file(file).parsed);
        let diagnostics = workspace_diagnostics(&workspace, &Config::default());
        let texts: Vec<Text> = workspace
            .files
            .iter()
            .map(|file| Text::new(file.rel.clone(), &file.text))
            .collect();
        for diagnostic in &diagnostics {
            check_diagnostic(&texts, diagnostic);
        }
        diagnostics
            .iter()
            .filter(|d| d.file == file)
            .map(|d| (d.rule.name().to_string(), d.severity))
            .collect()
    })
}

fn card_with_frontmatter_line(line: &str) -> Vec<u8> {
    CARD.replacen("notes: |", &format!("{line}\nnotes: |"), 1)
        .into_bytes()
}

fn has_error(found: &[(String, Severity)]) -> bool {
    found
        .iter()
        .any(|(_, severity)| *severity == Severity::Error)
}

#[test]
fn ten_megabyte_scalar_in_frontmatter() {
    let scalar = "a".repeat(10 * 1024 * 1024);
    for line in [
        format!("task_name: {scalar}"),
        format!("task_name: \"{scalar}\""),
        format!("task_name: \"{scalar}"),
    ] {
        let found = check_big(Target::Card, card_with_frontmatter_line(&line));
        assert!(has_error(&found), "{found:?}");
    }
}

#[test]
fn hundred_thousand_open_brackets() {
    let deep = "[".repeat(100_000);
    let found = check_big(
        Target::Card,
        card_with_frontmatter_line(&format!("x: {deep}")),
    );
    assert!(has_error(&found), "{found:?}");
    let braces = "{".repeat(100_000);
    check_big(
        Target::Card,
        card_with_frontmatter_line(&format!("x: {braces}")),
    );
    // In the card's body: markdown link brackets, and a quote nested 100,000 deep.
    check_big(Target::Card, format!("{CARD}\n{deep}\n").into_bytes());
    check_big(
        Target::Card,
        format!("{CARD}\n{}x\n", "> ".repeat(100_000)).into_bytes(),
    );
    check_big(
        Target::Card,
        format!("{CARD}\n{}\n", "- ".repeat(100_000)).into_bytes(),
    );
    let found = check_big(Target::Ledger, format!("{LEDGER}{deep}\n").into_bytes());
    assert!(has_error(&found), "{found:?}");
    let found = check_big(Target::Namespaces, format!("x: {deep}\n").into_bytes());
    assert!(has_error(&found), "{found:?}");
    check_big(
        Target::RootIndex,
        format!("{ROOT_INDEX}| {deep} | x | y | z | w | v | u |\n").into_bytes(),
    );
}

#[test]
fn yaml_alias_bombs() {
    // The billion laughs: nine levels of nine aliases each.
    let mut bomb = String::from("lol0: &l0 \"lol\"\n");
    for level in 1..10 {
        let aliases = vec![format!("*l{}", level - 1); 9].join(", ");
        bomb.push_str(&format!("lol{level}: &l{level} [{aliases}]\n"));
    }
    let mut card = CARD.replacen("notes: |", &format!("{bomb}notes: |"), 1);
    let found = check_big(Target::Card, card.clone().into_bytes());
    assert!(has_error(&found), "{found:?}");
    let found = check_big(Target::Namespaces, bomb.clone().into_bytes());
    assert!(has_error(&found), "{found:?}");
    // A merge-key bomb.
    card = CARD.replacen(
        "notes: |",
        "a: &a {x: 1, y: 2}\nb: &b {<<: [*a, *a, *a, *a]}\nc: &c {<<: [*b, *b, *b, *b]}\nd: {<<: [*c, *c, *c, *c]}\nnotes: |",
        1,
    );
    check_big(Target::Card, card.into_bytes());
}

#[test]
fn one_megabyte_lines() {
    let long = "x".repeat(1024 * 1024);
    // A valid event with a 1 MB description, and a 1 MB line that is not JSON.
    let event = format!(
        "{{\"ts\":\"2026-03-06T09:00:00Z\",\"user\":\"@ana\",\"event\":\"paused\",\"desc\":\"{long}\"}}\n"
    );
    check_big(Target::Ledger, format!("{LEDGER}{event}").into_bytes());
    let found = check_big(Target::Ledger, format!("{LEDGER}{long}\n").into_bytes());
    assert!(has_error(&found), "{found:?}");
    let found = check_big(
        Target::Ledger,
        format!("{LEDGER}{{\"ts\":\"{long}\n").into_bytes(),
    );
    assert!(has_error(&found), "{found:?}");
    // A card body, an index row, a table header of 100,000 columns, and the policy.
    check_big(Target::Card, format!("{CARD}{long}\n").into_bytes());
    check_big(
        Target::RootIndex,
        format!("{ROOT_INDEX}| TASK-0003 | {long} | @a | next | active | | - |\n").into_bytes(),
    );
    let header = "| ID ".repeat(100_000);
    let delimiter = "|---".repeat(100_000);
    let rows = "| TASK-0001 |\n".repeat(1_000);
    check_big(
        Target::RootIndex,
        format!("{header}|\n{delimiter}|\n{rows}").into_bytes(),
    );
    check_big(
        Target::WipPolicy,
        format!("{WIP_POLICY}{long}\n").into_bytes(),
    );
    check_big(
        Target::Context,
        format!("{}\n", "TASK-0002 ".repeat(100_000)).into_bytes(),
    );
}

#[test]
fn file_over_the_size_cap_is_not_parsed() {
    // Whatever the file, the cap is named where the file is (SPEC §8: a diagnostic, not
    // silence).
    for target in Target::ALL {
        let mut bytes = target.seed().as_bytes().to_vec();
        bytes.resize(file_cap(target.rel()) + 1, b'x');
        let found = check_big(target, bytes);
        assert!(
            found.contains(&("resource-limit".to_string(), Severity::Error)),
            "{target:?}: {found:?}"
        );
    }
}

#[test]
fn binary_and_invalid_utf8_files() {
    // Bytes from a fixed generator, so the test is the same on every run.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..256 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    for target in Target::ALL {
        let found = check_big(target, noise.clone());
        if matches!(target, Target::Card | Target::Ledger | Target::Namespaces) {
            assert!(has_error(&found), "{target:?}: {found:?}");
        }
        let mut nul = target.seed().as_bytes().to_vec();
        nul.extend(std::iter::repeat_n(0u8, 64 * 1024));
        check_big(target, nul);
    }
}

// ---------------------------------------------------------------------------------------------
// Cases the fuzzing found, kept by name
// ---------------------------------------------------------------------------------------------

/// Converting an offset to a UTF-16 column walked the line up to it, so the ranges of a
/// megabyte-long line (100,000 references in one paragraph, each with a hint and a
/// diagnostic) cost minutes to convert. Now each conversion scans at most a small block.
#[test]
fn conversions_on_a_megabyte_line_stay_cheap() {
    bounded("conversions", BIG_BOUND, || {
        let text = "TASK-0002 é🎉 ".repeat(60_000);
        let index = LineIndex::new(&text);
        let checked = Text::new("one long line", &text);
        for reference in scan_refs(&text, 0) {
            checked.range(reference.range, &reference.id);
        }
        let last = index.line_col(&text, text.len(), PositionEncoding::Utf16);
        assert_eq!(last.line, 0);
        assert_eq!(last.col, 60_000 * 14);
    });
}

/// Tables whose lines end in a lone `\r` made every row run to the end of the file, each
/// holding the cells of all rows after it: ranges spanning lines, and quadratic work.
#[test]
fn tables_with_carriage_return_line_endings() {
    let text = format!("{}{CARD}", "| ID | Name |\n|---|---|\n".repeat(55)).replace('\n', "\r");
    for target in [Target::Card, Target::RootIndex, Target::WipPolicy] {
        run_case(target, text.clone().into_bytes(), 0);
    }
}

/// A folded block scalar whose content starts with a quote was read as a quoted string; its
/// "inside" then cut the closing U+FEFF in half (through every parser: the ledger text here
/// reaches the YAML adapter too).
#[test]
fn block_scalar_starting_with_a_quote() {
    for target in [Target::Ledger, Target::Namespaces] {
        run_case(target, b">\n\"ts\"\xef\xbb\xbf".to_vec(), 0);
    }
    let card = CARD.replacen("notes: |", "notes: >\n  \"ts\"\u{feff}\nx: |", 1);
    run_case(Target::Card, card.into_bytes(), 0);
}

#[test]
fn flow_engine_on_reversed_repeated_and_torn_ledgers() {
    let seed = Target::Ledger.seed();
    let lines: Vec<&str> = seed.lines().collect();
    let reversed: String = lines.iter().rev().map(|line| format!("{line}\n")).collect();
    let repeated = seed.repeat(3);
    let torn = &seed[..seed.len() / 2];
    let blocked_twice_unblocked_thrice = [
        r#"{"ts":"2026-03-01T09:00:00Z","user":"@a","event":"created","desc":"d"}"#,
        r#"{"ts":"2026-03-02T09:00:00Z","user":"@a","event":"blocked","desc":"d"}"#,
        r#"{"ts":"2026-03-02T09:00:00Z","user":"@a","event":"blocked","desc":"d"}"#,
        r#"{"ts":"2026-03-03T09:00:00Z","user":"@a","event":"unblocked","desc":"d"}"#,
        r#"{"ts":"2026-03-04T09:00:00Z","user":"@a","event":"unblocked","desc":"d"}"#,
        r#"{"ts":"2026-03-05T09:00:00Z","user":"@a","event":"resumed","desc":"d"}"#,
    ]
    .join("\n");
    for ledger in [
        reversed,
        repeated,
        torn.to_string(),
        blocked_twice_unblocked_thrice.clone(),
    ] {
        let workspace = workspace_with(Target::Ledger, ledger.into_bytes());
        bounded("flow engine", CASE_BOUND, move || check_flow(&workspace));
    }
    // The second `unblocked` has no block to end: the ledger is left out, with that reason.
    let workspace = workspace_with(Target::Ledger, blocked_twice_unblocked_thrice.into_bytes());
    let tasks: Vec<TaskIdx> = (0..workspace.tasks.len() as u32).map(TaskIdx).collect();
    let figures = metrics(&workspace, &tasks, Window::default_until(NOW), NOW);
    let reasons: Vec<&str> = figures.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons.contains(&"ledger line 5: `unblocked` ends no block"),
        "{reasons:?}"
    );
}
