//! WF1 "New task": the package a new task starts with in inbox (card, context, ledger) and
//! the ID counter's next value, computed from texts alone; the caller writes them to disk.
//!
//! The counter holds the next ID to reserve (see id-counter-stale), so the new task takes the
//! counter's value and the counter moves one on. Where the task goes and which counter it uses
//! follow the namespace layout the root already has (SPEC §2): the namespace's own folder
//! (`fw/inbox/`), its folder inside the stages (`inbox/fw/`), else the shared stage folders
//! (`inbox/TASK-FW-…`); its own counter when it has one, else the repository-wide one. Index
//! rows are not made here.

use crate::db::vocab::Stage;
use crate::db::{TasksRoot, Workspace, events::event_line};
use crate::ide::types::Config;
use crate::syntax::card::ACCEPTANCE_CRITERIA;
use crate::syntax::task_id::{TaskId, is_namespace};
use crate::syntax::time::format_rfc3339;

/// What the user asked for, plus the counter's text as read under the transaction's lock.
/// Who creates it and when come from the [`Config`] (`user`, `@ana`, the `@` added when
/// missing; `now`, for `created_date` and the ledger's timestamps), as for every writer.
#[derive(Clone, Copy, Debug)]
pub struct NewTaskInput<'a> {
    pub name: &'a str,
    /// A namespace such as `FW` (any case); None for an unqualified ID.
    pub namespace: Option<&'a str>,
    /// The text of the counter [`placement`] names.
    pub counter_text: &'a str,
}

/// The new package, with paths relative to the tasks root (`/` separators).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTask {
    pub id: TaskId,
    /// The task folder, e.g. `inbox/TASK-0043-fix-login`.
    pub folder_rel: String,
    /// Card, context and ledger, in that order: (path, text).
    pub files: Vec<(String, String)>,
    /// The name as written on the card, and the creator as `@handle` (for index rows).
    pub name: String,
    pub creator: String,
    /// The counter the ID came from, and its next text.
    pub counter_rel: String,
    pub counter_text: String,
}

/// Where a new task of a namespace goes and which counter reserves its ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The folder the task folder is created in (`inbox`, `fw/inbox`, `inbox/fw`).
    pub parent_rel: String,
    pub counter_rel: String,
    /// The namespace in canonical (upper) case.
    pub namespace: Option<String>,
}

/// Finds where a task of `namespace` goes in `root`; the caller reads the counter named here.
pub fn placement(
    workspace: &Workspace,
    root: usize,
    namespace: Option<&str>,
) -> Result<Placement, String> {
    let tasks_root = &workspace.roots[root];
    let namespace = namespace.map(str::trim).filter(|ns| !ns.is_empty());
    let namespace = match namespace {
        None => None,
        Some(written) => Some(checked_namespace(tasks_root, written)?),
    };
    let inbox = Stage::Inbox.name();
    let parent_rel = match namespace.as_deref() {
        None => inbox.to_string(),
        Some(ns) => {
            if let Some(dir) = tasks_root
                .namespace_dirs
                .iter()
                .find(|dir| dir.eq_ignore_ascii_case(ns))
            {
                format!("{dir}/{inbox}")
            } else if let Some(dir) = hybrid_dir(tasks_root, ns) {
                format!("{inbox}/{dir}")
            } else if tasks_root.namespace_dirs.is_empty() || has_unified_task(workspace, root, ns)
            {
                inbox.to_string()
            } else {
                // Each namespace of this layout has a folder and a counter of its own; making
                // them is setting up a namespace, not creating a task.
                return Err(format!(
                    "namespace {ns} has no folder in this tasks root, whose namespaces each have one ({}); create `{}/` with its ID_COUNTER.txt first",
                    tasks_root.namespace_dirs.join(", "),
                    ns.to_ascii_lowercase()
                ));
            }
        }
    };
    let counter = tasks_root.counter_for(namespace.as_deref()).ok_or_else(|| {
        match workspace.load_problem(root, "ID_COUNTER.txt") {
            // A link or a pipe there is never read through (nor written through).
            Some(problem) => format!(
                "this tasks root's ID_COUNTER.txt was not read ({}); make it a plain file holding the next free ID",
                problem.message
            ),
            None => "this tasks root has no ID_COUNTER.txt to reserve an ID from; create it holding the next free ID".to_string(),
        }
    })?;
    Ok(Placement {
        parent_rel,
        counter_rel: workspace.file(counter.file).rel.clone(),
        namespace,
    })
}

/// Creates the package of a new task in inbox.
pub fn new_task(
    workspace: &Workspace,
    root: usize,
    input: &NewTaskInput,
    config: &Config,
) -> Result<NewTask, String> {
    let name = clean_name(input.name);
    if name.is_empty() {
        return Err("a new task needs a name".into());
    }
    let user = config.user.as_deref().unwrap_or_default().trim();
    if user.is_empty() {
        return Err("a new task needs a user to record as its creator".into());
    }
    let user = if user.starts_with('@') {
        user.to_string()
    } else {
        format!("@{user}")
    };
    let place = placement(workspace, root, input.namespace)?;
    let counter_rel = &place.counter_rel;
    let written = input.counter_text.trim();
    let number: u32 = written.parse().map_err(|_| {
        format!(
            "{counter_rel} should hold the next free ID as a number, found `{}`",
            written.chars().take(40).collect::<String>()
        )
    })?;
    // The task ID grammar stops at nine digits, and 0 is not an ID the methodology hands out.
    if number == 0 || number >= 999_999_999 {
        return Err(format!(
            "{counter_rel} holds {number}, which cannot be reserved as a task ID"
        ));
    }
    let id = TaskId::new(place.namespace.as_deref(), number);
    check_counter_is_ahead(workspace, root, counter_rel, &id)?;

    let short = id.short();
    let slug = slug(&name);
    let folder_rel = format!("{}/TASK-{short}-{slug}", place.parent_rel);
    if workspace.roots[root].dirs.contains(&folder_rel) {
        return Err(format!("the folder {folder_rel} already exists"));
    }
    let ts = format_rfc3339(config.now);
    let card = card_text(&short, &name, &user, &ts[..10]);
    let context = context_text(&name);
    let ledger = [
        event_line(
            &ts,
            &user,
            "id_reserved",
            &format!("Reserved {id} from {counter_rel}"),
            &[],
        ),
        event_line(
            &ts,
            &user,
            "created",
            "Created the task package in inbox",
            &[],
        ),
    ]
    .map(|line| line + "\n")
    .concat();
    Ok(NewTask {
        files: vec![
            (format!("{folder_rel}/{short}-{slug}.task.md"), card),
            (format!("{folder_rel}/{short}.context.md"), context),
            (format!("{folder_rel}/{short}.ledger.jsonl"), ledger),
        ],
        counter_text: next_counter_text(input.counter_text, number + 1),
        counter_rel: place.counter_rel,
        folder_rel,
        id,
        name,
        creator: user,
    })
}

/// A folder-name slug of `name`: lowercase ASCII letters and digits separated by single
/// dashes, at most [`MAX_SLUG`] bytes, never empty. Common accented Latin letters keep their
/// base letter; other characters separate words.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for c in name.chars() {
        let letters = ascii_letters(c);
        if letters.is_empty() {
            pending_dash = true;
            continue;
        }
        if pending_dash && !out.is_empty() {
            out.push('-');
        }
        pending_dash = false;
        out.push_str(letters);
    }
    if out.len() > MAX_SLUG {
        // Cut at a word boundary unless that would throw most of the slug away.
        let cut = out[..=MAX_SLUG]
            .rfind('-')
            .filter(|&at| at >= MAX_SLUG / 2)
            .unwrap_or(MAX_SLUG);
        out.truncate(cut);
        out.truncate(out.trim_end_matches('-').len());
    }
    if out.is_empty() {
        "task".to_string()
    } else {
        out
    }
}

/// The longest slug [`slug`] makes; folder names stay readable in a file tree.
pub const MAX_SLUG: usize = 40;

/// `c` as lowercase ASCII letters or digits, or "" for a separator.
fn ascii_letters(c: char) -> &'static str {
    const ASCII: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
    if c.is_ascii_alphanumeric() {
        let lower = c.to_ascii_lowercase();
        let at = ASCII.find(lower).unwrap_or(0);
        return &ASCII[at..at + 1];
    }
    match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ś' | 'š' => "s",
        'ź' | 'ż' | 'ž' => "z",
        'ł' => "l",
        'ř' => "r",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        _ => "",
    }
}

/// The name on one line, without control characters or runs of spaces.
pub fn clean_name(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn checked_namespace(root: &TasksRoot, written: &str) -> Result<String, String> {
    let ns = written.to_ascii_uppercase();
    if !is_namespace(&ns) {
        return Err(format!(
            "`{written}` is not a namespace: 2 to 6 letters or digits, starting with a letter"
        ));
    }
    if let Some(declared) = &root.declared_namespaces
        && !declared.contains(&ns)
    {
        return Err(format!(
            "namespace {ns} is not declared in NAMESPACES.yaml (declared: {})",
            declared.join(", ")
        ));
    }
    Ok(ns)
}

/// The namespace's folder inside the stage folders (`inbox/fw/TASK-FW-…`), spelled as found.
fn hybrid_dir<'r>(root: &'r TasksRoot, ns: &str) -> Option<&'r str> {
    root.dirs.iter().find_map(|dir| {
        let parts: Vec<&str> = dir.split('/').collect();
        match parts.as_slice() {
            [stage, namespace_dir, task]
                if Stage::parse(stage).is_some()
                    && namespace_dir.eq_ignore_ascii_case(ns)
                    && task.starts_with("TASK-") =>
            {
                Some(*namespace_dir)
            }
            _ => None,
        }
    })
}

/// Whether a task of `ns` already sits directly in a stage folder (the unified layout).
fn has_unified_task(workspace: &Workspace, root: usize, ns: &str) -> bool {
    workspace.roots[root].tasks.iter().any(|&idx| {
        let task = workspace.task(idx);
        task.namespace() == Some(ns) && task.folder.matches('/').count() == 1
    })
}

/// Refuses to reserve `id` when a task its counter covers already has that number or a
/// higher one: the counter is stale, and using it could hand out an ID twice.
fn check_counter_is_ahead(
    workspace: &Workspace,
    root: usize,
    counter_rel: &str,
    id: &TaskId,
) -> Result<(), String> {
    let tasks_root = &workspace.roots[root];
    let covered = tasks_root
        .tasks
        .iter()
        .map(|&idx| workspace.task(idx))
        .filter(|task| {
            tasks_root
                .counter_for(task.namespace())
                .is_some_and(|counter| workspace.file(counter.file).rel == counter_rel)
        });
    match covered.max_by_key(|task| task.id.number) {
        Some(top) if top.id.number >= id.number => Err(format!(
            "{counter_rel} says the next ID is {:04}, but {} is already in use; set the counter to {:04} first",
            id.number,
            top.id,
            top.id.number + 1
        )),
        _ => Ok(()),
    }
}

/// The counter's new text: the number zero-padded like task IDs, keeping the old line ending.
fn next_counter_text(old: &str, next: u32) -> String {
    let ending = if old.ends_with("\r\n") {
        "\r\n"
    } else if old.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    format!("{next:04}{ending}")
}

/// A YAML double-quoted scalar; JSON's string syntax is a subset of it.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// The card's body: each required section with a line saying what belongs there.
const SECTIONS: [(&str, &str); 5] = [
    (
        "Goal",
        "To be written: what is true once this task is done.",
    ),
    (
        "Inputs Required",
        "- To be written: what the work needs before it can start.",
    ),
    (
        "Implementation Details",
        "To be written: the approach, step by step.",
    ),
    (
        "Expected Outputs",
        "- To be written: what the work leaves behind.",
    ),
    (
        ACCEPTANCE_CRITERIA,
        "- [ ] To be written: a condition anyone can check.",
    ),
];

fn card_text(short: &str, name: &str, user: &str, date: &str) -> String {
    let fields: [(&str, String); 18] = [
        ("task_id", quoted(short)),
        ("created_by", quoted(user)),
        ("created_date", quoted(date)),
        ("schema_version", quoted("1.0")),
        ("task_name", quoted(name)),
        ("stage", quoted(Stage::Inbox.name())),
        ("priority", "null".into()),
        ("effort_estimate", "null".into()),
        ("tags", "[]".into()),
        ("current_dri", quoted(user)),
        ("status", quoted("active")),
        ("blocked_by", "null".into()),
        ("paused_reason", "null".into()),
        ("depends_on", "[]".into()),
        ("blocks", "[]".into()),
        ("related_to", "[]".into()),
        ("split_from", "null".into()),
        ("split_into", "[]".into()),
    ];
    let mut text = String::from("---\n");
    for (key, value) in fields {
        text.push_str(&format!("{key}: {value}\n"));
    }
    text.push_str("---\n");
    for (title, placeholder) in SECTIONS {
        text.push_str(&format!("\n## {title}\n\n{placeholder}\n"));
    }
    text
}

fn context_text(name: &str) -> String {
    format!(
        "# Context: {name}\n\n\
         ## Background\n\nTo be written: why this task exists and what led to it.\n\n\
         ## Key Information\n\nTo be written: the facts, constraints and decisions someone picking it up needs.\n\n\
         ## References\n\n- To be written: documents, code and related tasks.\n"
    )
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::ide::diagnostics::workspace_diagnostics;
    use crate::ide::fixture::{package, render, workspace};
    use crate::ide::types::{Config, Rule};
    use crate::syntax::time::parse_rfc3339;

    const INDEX_RULES: [Rule; 5] = [
        Rule::IndexMissingRow,
        Rule::IndexPhantomRow,
        Rule::IndexDuplicateRow,
        Rule::IndexRowMismatch,
        Rule::IndexTable,
    ];

    fn now() -> i64 {
        parse_rfc3339("2026-03-02T10:30:00Z").unwrap()
    }

    fn input<'a>(
        name: &'a str,
        namespace: Option<&'a str>,
        counter_text: &'a str,
    ) -> NewTaskInput<'a> {
        NewTaskInput {
            name,
            namespace,
            counter_text,
        }
    }

    /// Who creates the tasks, and when: `ana`, as she would type it (the `@` is added).
    fn creator() -> Config {
        Config {
            now: now(),
            user: Some("ana".into()),
            ..Config::default()
        }
    }

    /// A fixture of `counter_rel` (the counter the new task must use) holding `counter`, then
    /// `rest`; and after it the new task added and
    /// the counter moved on, and the diagnostics of the result, index rules left out unless
    /// `with_index_rules`.
    fn create(
        counter_rel: &str,
        counter: &str,
        rest: &str,
        name: &str,
        namespace: Option<&str>,
        with_index_rules: bool,
    ) -> (NewTask, String) {
        let before = workspace(&format!("//- /{counter_rel}\n{counter}{rest}"));
        let place = placement(&before, 0, namespace).unwrap();
        assert_eq!(place.counter_rel, counter_rel);
        let task = new_task(&before, 0, &input(name, namespace, counter), &creator()).unwrap();
        let mut after = format!("//- /{}\n{}{rest}", task.counter_rel, task.counter_text);
        for (rel, text) in &task.files {
            after.push_str(&format!("//- /{rel}\n{text}"));
        }
        let after = workspace(&after);
        let config = Config {
            now: now(),
            ..Config::default()
        };
        let diagnostics = workspace_diagnostics(&after, &config);
        let shown = render(
            &after,
            diagnostics
                .iter()
                .filter(|d| with_index_rules || !INDEX_RULES.contains(&d.rule)),
        );
        (task, shown)
    }

    const ROOT_HEADER: &str = "| ID | Name | DRI | Stage | Status | Flags | Dependencies |\n|----|------|-----|-------|--------|-------|--------------|\n";
    const STAGE_HEADER: &str = "| ID | Name | DRI | Status | Flags | Dependencies |\n|----|------|-----|--------|-------|--------------|\n";

    #[test]
    fn a_new_task_with_its_index_rows_leaves_the_workspace_clean() {
        // The index rows are written here by hand; another module adds them for real.
        let rest = format!(
            "{}//- /INDEX.md\n{ROOT_HEADER}| 0042 | Task 0042 | @ana | inbox | active | - | - |\n| 0043 | Fix login (SSO) | @ana | inbox | active | - | - |\n\
             //- /inbox/INDEX.md\n{STAGE_HEADER}| 0042 | Task 0042 | @ana | active | - | - |\n| 0043 | Fix login (SSO) | @ana | active | - | - |\n",
            package("inbox/TASK-0042-old", ""),
        );
        let (task, diagnostics) = create(
            "ID_COUNTER.txt",
            "0043\n",
            &rest,
            "  Fix login\n(SSO) ",
            None,
            true,
        );
        assert_eq!(diagnostics, "");
        assert_eq!(task.id.to_string(), "TASK-0043");
        assert_eq!(task.folder_rel, "inbox/TASK-0043-fix-login-sso");
        assert_eq!(task.counter_text, "0044\n");
        let names: Vec<&str> = task.files.iter().map(|(rel, _)| rel.as_str()).collect();
        assert_eq!(
            names,
            [
                "inbox/TASK-0043-fix-login-sso/0043-fix-login-sso.task.md",
                "inbox/TASK-0043-fix-login-sso/0043.context.md",
                "inbox/TASK-0043-fix-login-sso/0043.ledger.jsonl",
            ]
        );
        expect![[r#"
            ---
            task_id: "0043"
            created_by: "@ana"
            created_date: "2026-03-02"
            schema_version: "1.0"
            task_name: "Fix login (SSO)"
            stage: "inbox"
            priority: null
            effort_estimate: null
            tags: []
            current_dri: "@ana"
            status: "active"
            blocked_by: null
            paused_reason: null
            depends_on: []
            blocks: []
            related_to: []
            split_from: null
            split_into: []
            ---

            ## Goal

            To be written: what is true once this task is done.

            ## Inputs Required

            - To be written: what the work needs before it can start.

            ## Implementation Details

            To be written: the approach, step by step.

            ## Expected Outputs

            - To be written: what the work leaves behind.

            ## Acceptance Criteria

            - [ ] To be written: a condition anyone can check.
        "#]]
        .assert_eq(&task.files[0].1);
        expect![[r#"
            {"ts":"2026-03-02T10:30:00Z","user":"@ana","event":"id_reserved","desc":"Reserved TASK-0043 from ID_COUNTER.txt"}
            {"ts":"2026-03-02T10:30:00Z","user":"@ana","event":"created","desc":"Created the task package in inbox"}
        "#]]
        .assert_eq(&task.files[2].1);
    }

    #[test]
    fn without_index_rows_only_index_rules_speak() {
        let (_, diagnostics) = create(
            "ID_COUNTER.txt",
            "0001\n",
            "//- /inbox/INDEX.md\n",
            "First",
            None,
            true,
        );
        let rules: Vec<&str> = diagnostics.lines().collect();
        assert!(!rules.is_empty());
        assert!(
            rules.iter().all(|line| line.contains("INDEX")),
            "{diagnostics}"
        );
    }

    #[test]
    fn names_needing_quotes_stay_one_valid_yaml_string() {
        let (task, diagnostics) = create(
            "ID_COUNTER.txt",
            "0007\n",
            "",
            "Say \"hi\": #1 — naïve \\ approach",
            None,
            false,
        );
        assert_eq!(diagnostics, "");
        assert!(
            task.files[0]
                .1
                .contains(r#"task_name: "Say \"hi\": #1 — naïve \\ approach""#)
        );
        assert_eq!(task.folder_rel, "inbox/TASK-0007-say-hi-1-naive-approach");
    }

    #[test]
    fn a_namespace_with_its_own_counter_in_the_unified_layout() {
        // The repository-wide counter is ignored: FW has its own.
        let rest = format!(
            "//- /ID_COUNTER.txt\n0002\n{}",
            package("inbox/TASK-FW-0007-b", "")
        );
        let (task, diagnostics) = create(
            "ID_COUNTER.fw.txt",
            "0008\n",
            &rest,
            "Api",
            Some("fw"),
            false,
        );
        assert_eq!(task.folder_rel, "inbox/TASK-FW-0008-api");
        assert_eq!(task.counter_text, "0009\n");
        assert_eq!(diagnostics, "");
    }

    #[test]
    fn a_namespace_of_the_per_namespace_layout_uses_its_folder_and_counter() {
        let rest = package("fw/inbox/TASK-FW-0003-x", "");
        let (task, diagnostics) = create(
            "fw/ID_COUNTER.txt",
            "0004\n",
            &rest,
            "Api",
            Some("FW"),
            false,
        );
        assert_eq!(task.folder_rel, "fw/inbox/TASK-FW-0004-api");
        assert_eq!(
            task.files[0].0,
            "fw/inbox/TASK-FW-0004-api/FW-0004-api.task.md"
        );
        assert_eq!(diagnostics, "");
    }

    #[test]
    fn a_namespace_of_the_hybrid_layout_goes_into_its_folder_in_inbox() {
        let rest = package("inbox/fw/TASK-FW-0002-b", "");
        let (task, diagnostics) =
            create("ID_COUNTER.txt", "0003\n", &rest, "Api", Some("fw"), false);
        assert_eq!(task.folder_rel, "inbox/fw/TASK-FW-0003-api");
        assert_eq!(diagnostics, "");
    }

    fn refusal(fixture: &str, name: &str, namespace: Option<&str>, counter: &str) -> String {
        let workspace = workspace(fixture);
        new_task(&workspace, 0, &input(name, namespace, counter), &creator()).unwrap_err()
    }

    #[test]
    fn refusals_say_what_to_fix() {
        let counter = "//- /ID_COUNTER.txt\n0005\n";
        let with_task = format!("{counter}{}", package("inbox/TASK-0005-a", ""));
        expect!["ID_COUNTER.txt says the next ID is 0005, but TASK-0005 is already in use; set the counter to 0006 first"]
            .assert_eq(&refusal(&with_task, "B", None, "0005\n"));
        expect!["ID_COUNTER.txt should hold the next free ID as a number, found `five`"]
            .assert_eq(&refusal(counter, "B", None, "five"));
        expect!["a new task needs a name"].assert_eq(&refusal(counter, " \n ", None, "0005"));
        expect!["`f` is not a namespace: 2 to 6 letters or digits, starting with a letter"]
            .assert_eq(&refusal(counter, "B", Some("f"), "0005"));
        let registry = format!("{counter}//- /NAMESPACES.yaml\nnamespaces:\n  FW: {{}}\n");
        expect!["namespace API is not declared in NAMESPACES.yaml (declared: FW)"]
            .assert_eq(&refusal(&registry, "B", Some("api"), "0005"));
        let per_namespace = format!("{counter}{}", package("fw/inbox/TASK-FW-0001-a", ""));
        expect!["namespace API has no folder in this tasks root, whose namespaces each have one (fw); create `api/` with its ID_COUNTER.txt first"]
            .assert_eq(&refusal(&per_namespace, "B", Some("api"), "0005"));
        expect!["this tasks root has no ID_COUNTER.txt to reserve an ID from; create it holding the next free ID"]
            .assert_eq(&refusal("//- /inbox/\n", "B", None, ""));
    }

    #[test]
    fn counters_move_on_keeping_their_line_ending() {
        assert_eq!(next_counter_text("  0099\r\n", 100), "0100\r\n");
        assert_eq!(next_counter_text("43\n", 44), "0044\n");
        assert_eq!(next_counter_text("9999", 10000), "10000");
    }

    #[test]
    fn slugs_are_short_lowercase_ascii_and_never_empty() {
        assert_eq!(slug("Fix login (SSO)"), "fix-login-sso");
        assert_eq!(slug("--Ünïcödé   Straße--"), "unicode-strasse");
        assert_eq!(slug("2FA for admins"), "2fa-for-admins");
        assert_eq!(slug("日本語"), "task");
        assert_eq!(slug(""), "task");
        let long =
            slug("an extremely long task name that keeps going well past any sensible length");
        assert!(long.len() <= MAX_SLUG, "{long}");
        assert_eq!(long, "an-extremely-long-task-name-that-keeps");
        let one_word = slug(&"x".repeat(100));
        assert_eq!(one_word.len(), MAX_SLUG);
    }
}
