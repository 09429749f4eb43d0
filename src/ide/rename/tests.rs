use expect_test::expect;

use super::*;
use crate::ide::diagnostics::workspace_diagnostics;
use crate::ide::fixture::{COUNTER, ROOT, package, render, workspace, workspace_at, written};
use crate::ide::projection::card_after;
use crate::ide::source_change::{FileChange, SourceChange};

/// 2026-03-10T12:00:00Z: 1_773_144_000 = 20_522 days × 86_400 s + 12 h × 3_600 s
/// (20_522 days from 1970-01-01 to 2026-03-10).
const NOW: i64 = 1_773_144_000;

fn config() -> Config {
    Config {
        now: NOW,
        user: Some("@bo".into()),
        ..Config::default()
    }
}

fn task_idx(workspace: &Workspace, number: u32) -> TaskIdx {
    TaskIdx(
        workspace
            .tasks
            .iter()
            .position(|task| task.id.number == number)
            .expect("the fixture's task") as u32,
    )
}

/// Every file a rename writes, as `//- path` headers and texts, then its ledger lines and
/// moves, with paths relative to the root.
fn shown(workspace: &Workspace, task: TaskIdx, change: &SourceChange) -> String {
    let rel = |path: &std::path::Path| {
        path.strip_prefix(ROOT)
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let mut out = String::new();
    for part in &change.changes {
        match part {
            FileChange::Append { file, lines } => {
                out.push_str(&format!("//- append {}\n", workspace.file(*file).rel));
                lines
                    .iter()
                    .for_each(|line| out.push_str(&format!("{line}\n")));
            }
            FileChange::Edit { file, .. } => {
                let source = workspace.file(*file);
                let text = change.new_text(*file, &source.text);
                out.push_str(&format!("//- {}\n{text}", source.rel));
            }
            FileChange::Create { path, text } => {
                out.push_str(&format!("//- create {}\n{text}", rel(path)));
            }
            FileChange::Move { from, to } => {
                out.push_str(&format!("//- move {} -> {}\n", rel(from), rel(to)));
            }
        }
    }
    if let Some(show) = card_after(workspace, task, change) {
        out.push_str(&format!("//- show {}\n", rel(&show)));
    }
    out
}

/// The index and link problems of a workspace: a rename must leave none.
fn link_problems(workspace: &Workspace) -> String {
    let diagnostics = workspace_diagnostics(workspace, &config());
    render(
        workspace,
        diagnostics.iter().filter(|d| {
            d.rule.name().starts_with("index-")
                || d.rule.name().starts_with("package-")
                || d.rule.name() == "task-id-mismatch"
        }),
    )
}

/// A short card (frontmatter only, with a title heading), so expected texts stay readable.
fn small_card(folder: &str, name: &str, body: &str) -> String {
    let folder_name = folder.rsplit('/').next().unwrap();
    let (id, slug) = parse_folder_name(folder_name).unwrap();
    let short = id.short();
    format!(
        "//- /{folder}/{short}-{slug}.task.md\n---\ntask_id: \"{short}\"\ntask_name: \"{name}\"\n\
         stage: \"next\"\nstatus: \"active\"\ncurrent_dri: \"@ana\"\n---\n\n# {name}\n{body}\
         //- /{folder}/{short}.context.md\n# Context: {name}\n\nSee [the card](./{short}-{slug}.task.md).\n\
         //- /{folder}/{short}.ledger.jsonl\n{{\"ts\":\"2026-03-02T09:00:00Z\",\"user\":\"@ana\",\"event\":\"created\",\"desc\":\"Created\"}}\n"
    )
}

#[test]
fn a_unicode_name_renames_the_package_to_its_ascii_slug_and_keeps_every_link() {
    let fixture = format!(
        "{COUNTER}{}{}\
//- /INDEX.md
| ID | Name | DRI | Stage | Status | Flags | Dependencies |
|----|------|-----|-------|--------|-------|--------------|
| [0001](next/TASK-0001-old-name/0001-old-name.task.md) | [Old name](next/TASK-0001-old-name/0001-old-name.task.md) | @ana | next | active | - | - |
| [0002](current/TASK-0002-other/0002-other.task.md) | [Other](current/TASK-0002-other/0002-other.task.md) | @ana | current | active | - | [TASK-0001](next/TASK-0001-old-name/0001-old-name.task.md) |
//- /next/INDEX.md
| ID | Name | DRI | Status | Flags | Dependencies |
|----|------|-----|--------|-------|--------------|
| [0001](./TASK-0001-old-name/) | Old name | @ana | active | - | - |
//- /current/INDEX.md
| ID | Name | DRI | Status | Flags | Dependencies |
|----|------|-----|--------|-------|--------------|
| [0002](./TASK-0002-other/) | Other | @ana | active | - | [TASK-0001](../next/TASK-0001-old-name/) |
",
        small_card("next/TASK-0001-old-name", "Old name", ""),
        small_card(
            "current/TASK-0002-other",
            "Other",
            "\nNeeds [the old card](../../next/TASK-0001-old-name/0001-old-name.task.md#goal) and \
             [its context](../../next/TASK-0001-old-name/0001.context.md); `../TASK-0001-old-name/` \
             in code stays.\n",
        )
        .replace("stage: \"next\"", "stage: \"current\"")
        .replace("@ana\"\n---", "@ana\"\ndepends_on: [\"0001\"]\n---"),
    );
    let before = workspace(&fixture);
    assert_eq!(link_problems(&before), "");
    let renamed = plan(
        &before,
        task_idx(&before, 1),
        "Café crème für Ärzte",
        &config(),
    )
    .unwrap();
    assert_eq!(
        renamed.title,
        "Rename TASK-0001 to \"Café crème für Ärzte\""
    );
    expect![[r#"
        //- append next/TASK-0001-old-name/0001.ledger.jsonl
        {"ts":"2026-03-10T12:00:00Z","user":"@bo","event":"content_updated","desc":"Renamed from \"Old name\" to \"Café crème für Ärzte\"","file":"0001-cafe-creme-fur-arzte.task.md","old_name":"Old name","new_name":"Café crème für Ärzte"}
        //- next/TASK-0001-old-name/0001-old-name.task.md
        ---
        task_id: "0001"
        task_name: "Café crème für Ärzte"
        stage: "next"
        status: "active"
        current_dri: "@ana"
        last_updated: "2026-03-10"
        ---

        # Café crème für Ärzte
        //- next/TASK-0001-old-name/0001.context.md
        # Context: Café crème für Ärzte

        See [the card](./0001-cafe-creme-fur-arzte.task.md).
        //- current/TASK-0002-other/0002-other.task.md
        ---
        task_id: "0002"
        task_name: "Other"
        stage: "current"
        status: "active"
        current_dri: "@ana"
        depends_on: ["0001"]
        ---

        # Other

        Needs [the old card](../../next/TASK-0001-cafe-creme-fur-arzte/0001-cafe-creme-fur-arzte.task.md#goal) and [its context](../../next/TASK-0001-cafe-creme-fur-arzte/0001.context.md); `../TASK-0001-old-name/` in code stays.
        //- INDEX.md
        | ID | Name | DRI | Stage | Status | Flags | Dependencies |
        |----|------|-----|-------|--------|-------|--------------|
        | [0001](next/TASK-0001-cafe-creme-fur-arzte/0001-cafe-creme-fur-arzte.task.md) | [Café crème für Ärzte](next/TASK-0001-cafe-creme-fur-arzte/0001-cafe-creme-fur-arzte.task.md) | @ana | next | active | - | - |
        | [0002](current/TASK-0002-other/0002-other.task.md) | [Other](current/TASK-0002-other/0002-other.task.md) | @ana | current | active | - | [TASK-0001](next/TASK-0001-cafe-creme-fur-arzte/0001-cafe-creme-fur-arzte.task.md) |
        //- next/INDEX.md
        | ID | Name | DRI | Status | Flags | Dependencies |
        |----|------|-----|--------|-------|--------------|
        | [0001](./TASK-0001-cafe-creme-fur-arzte/) | Café crème für Ärzte | @ana | active | - | - |
        //- current/INDEX.md
        | ID | Name | DRI | Status | Flags | Dependencies |
        |----|------|-----|--------|-------|--------------|
        | [0002](./TASK-0002-other/) | Other | @ana | active | - | [TASK-0001](../next/TASK-0001-cafe-creme-fur-arzte/) |
        //- move next/TASK-0001-old-name/0001-old-name.task.md -> next/TASK-0001-old-name/0001-cafe-creme-fur-arzte.task.md
        //- move next/TASK-0001-old-name -> next/TASK-0001-cafe-creme-fur-arzte
        //- show next/TASK-0001-cafe-creme-fur-arzte/0001-cafe-creme-fur-arzte.task.md
    "#]]
    .assert_eq(&shown(&before, task_idx(&before, 1), &renamed.projected));
    let after = written(&before, &renamed.projected);
    assert_eq!(link_problems(&after), "");
    // Planned again once written (what recovery does), a rename finds nothing left to do.
    let idx = task_idx(&after, 1);
    let change = TaskChange {
        task: idx,
        events: Vec::new(),
        fields: renamed.fields.clone(),
        to_stage: None,
    };
    let again = project_rename(&after, &change, "Old name", "Café crème für Ärzte").unwrap();
    assert_eq!(again.changes, []);
}

#[test]
fn a_slug_colliding_with_an_existing_folder_or_card_is_refused() {
    let fixture = format!(
        "{COUNTER}{}//- /next/TASK-0001-taken/\n",
        package("next/TASK-0001-a", "")
    );
    let before = workspace(&fixture);
    let refused = plan(&before, task_idx(&before, 1), "Taken!", &config()).unwrap_err();
    assert_eq!(
        refused,
        "next/TASK-0001-taken already exists, and a rename never replaces a folder; choose \
         another name or move that folder away first"
    );
    // A stray card of the new name beside the old one is never replaced either.
    let stray = format!(
        "{COUNTER}{}//- /next/TASK-0001-a/0001-b.task.md\nstray\n",
        package("next/TASK-0001-a", "")
    );
    let before = workspace(&stray);
    let refused = plan(&before, task_idx(&before, 1), "B", &config()).unwrap_err();
    assert!(
        refused.starts_with("next/TASK-0001-a/0001-b.task.md already exists"),
        "{refused}"
    );
}

#[test]
fn blank_unchanged_and_unrecordable_names_are_refused() {
    let fixture = format!("{COUNTER}{}", package("next/TASK-0001-a", ""));
    let before = workspace(&fixture);
    let task = task_idx(&before, 1);
    assert_eq!(
        plan(&before, task, "  \t", &config()).unwrap_err(),
        "TASK-0001 needs a name that is not blank"
    );
    // The fixture's name is "Task 0001", but its folder's slug is `a`: renaming to the same
    // name still moves the package to the slug the name gives.
    let same = plan(&before, task, "Task 0001", &config()).unwrap();
    let moves = same.projected.changes.iter();
    let moves = moves.filter(|part| matches!(part, FileChange::Move { .. }));
    assert_eq!(moves.count(), 2);
    let after = written(&before, &same.projected);
    assert_eq!(
        plan(&after, task_idx(&after, 1), "Task  0001", &config()).unwrap_err(),
        "TASK-0001 is already named \"Task 0001\""
    );
    let nobody = workspace(&format!(
        "{COUNTER}{}",
        package("next/TASK-0001-a", "current_dri: \"\"")
    ));
    let config = Config {
        user: None,
        ..config()
    };
    assert!(
        plan(&nobody, task_idx(&nobody, 1), "B", &config)
            .unwrap_err()
            .contains("unknown actor")
    );
}

/// What prepareRename answers at the `$0` of `fixture`: the text of the range, or the error.
fn prepared(fixture: &str) -> Result<Option<String>, String> {
    let (workspace, file, offset) = workspace_at(fixture);
    let text = workspace.file(file).text.clone();
    prepare(&workspace, file, offset)
        .map(|found| found.map(|target| format!("{} ({})", target.range.slice(&text), target.name)))
}

#[test]
fn a_name_renames_from_its_field_title_and_index_cell_and_an_id_never() {
    let tasks = format!(
        "{}{}",
        small_card("next/TASK-0001-a", "Fix login", "\nAfter TASK-0002.\n"),
        package("next/TASK-0002-b", "")
    );
    let index = "//- /next/INDEX.md\n\
                 | ID | Name | DRI | Status | Flags | Dependencies |\n\
                 |----|------|-----|--------|-------|--------------|\n\
                 | [0001](./TASK-0001-a/) | [Fix login](./TASK-0001-a/) | @ana | active | - | - |\n";
    let fixture = format!("{COUNTER}{tasks}{index}");
    let at = |from: &str, to: &str| prepared(&fixture.replacen(from, to, 1));
    let name = Ok(Some("Fix login (Fix login)".to_string()));
    assert_eq!(at("task_name: \"Fix", "task_name: \"Fi$0x"), name);
    assert_eq!(at("# Fix login", "# Fix lo$0gin"), name);
    assert_eq!(at("# Context: Fix", "# Con$0text: Fix"), name);
    assert_eq!(at("| [Fix login]", "| [Fix $0login]"), name);
    let permanent = Err(id_is_permanent("TASK-0001"));
    assert_eq!(at("task_id: \"0001\"", "task_id: \"00$001\""), permanent);
    assert_eq!(at("| [0001]", "| [00$001]"), permanent);
    assert_eq!(
        at("After TASK-0002", "After TASK-$00002"),
        Err(id_is_permanent("TASK-0002"))
    );
    assert_eq!(at("status: \"active\"", "status: \"act$0ive\""), Ok(None));
}

#[test]
fn a_folder_renamed_by_hand_gets_its_links_kept_and_one_dragged_to_another_stage_a_message() {
    let fixture = format!(
        "{COUNTER}{}{}\
//- /next/INDEX.md
| ID | Name | DRI | Status | Flags | Dependencies |
|----|------|-----|--------|-------|--------------|
| [0001](./TASK-0001-a/) | Task 0001 | @ana | active | - | - |
| [0002](./TASK-0002-b/) | Task 0002 | @ana | active | - | [TASK-0001](./TASK-0001-a/0001-a.task.md) |
",
        package("next/TASK-0001-a", "priority: P1\neffort_estimate: S"),
        package("next/TASK-0002-b", "depends_on: [\"0001\"]"),
    );
    let before = workspace(&fixture);
    let path = |rel: &str| std::path::PathBuf::from(ROOT).join(rel);
    let edited = |renames: &[(&str, &str)]| {
        let renames: Vec<_> = renames
            .iter()
            .map(|(from, to)| (path(from), path(to)))
            .collect();
        let answer = file_renames(&before, &renames, &config());
        let edits: String = answer
            .change
            .changes
            .iter()
            .map(|change| match change {
                FileChange::Edit { file, edits } => edits
                    .iter()
                    .map(|edit| {
                        let text = &before.file(*file).text;
                        format!(
                            "{}: `{}` -> `{}`\n",
                            before.file(*file).rel,
                            edit.range.slice(text),
                            edit.insert
                        )
                    })
                    .collect(),
                _ => String::new(),
            })
            .collect();
        (edits, answer.messages)
    };
    let (edits, messages) = edited(&[("next/TASK-0001-a", "next/TASK-0001-renamed")]);
    expect![[r#"
        next/INDEX.md: `./TASK-0001-a/` -> `./TASK-0001-renamed/`
        next/INDEX.md: `./TASK-0001-a/0001-a.task.md` -> `./TASK-0001-renamed/0001-a.task.md`
    "#]]
    .assert_eq(&edits);
    assert!(messages.is_empty());
    let (edits, _) = edited(&[(
        "next/TASK-0001-a/0001-a.task.md",
        "next/TASK-0001-a/0001-renamed.task.md",
    )]);
    expect![[r#"
        next/INDEX.md: `./TASK-0001-a/0001-a.task.md` -> `./TASK-0001-a/0001-renamed.task.md`
    "#]]
    .assert_eq(&edits);
    let (edits, messages) = edited(&[("next/TASK-0001-a", "current/TASK-0001-a")]);
    assert_eq!(edits, "");
    assert_eq!(
        messages,
        [
            "TASK-0001 was moved from next to current by hand, so its ledger, frontmatter and \
             index rows still say next; no edit was made. Move it back and use the transition \
             \"Start TASK-0001 (next → current)\" (a code action on its card, or `flowos-lsp \
             transition TASK-0001 start`); left as it is, ledger-stage-drift and stage-mismatch \
             offer the fix"
        ]
    );
}
