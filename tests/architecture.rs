//! Keeps the module structure of docs/architecture.md true: the layers import downward only
//! (`syntax` → `db` → `ide` → `lsp`/`cli`), the analysis core never names protocol types, and
//! no two sibling modules (the files and folders of one folder of `src/`) import each other,
//! directly or around a loop.
//!
//! It reads the sources as text: every `crate::…`, `super::…` and `self::…` path, in `use`
//! trees and inline, is resolved to the deepest module (file or folder) it names. Test code
//! (`#[cfg(test)]` modules) is left out: a test may reach across, the product may not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path below the crate root: `["lsp", "session"]` for `src/lsp/session.rs` or
/// `src/lsp/session/mod.rs`.
type ModulePath = Vec<String>;

/// Import cycles known to exist in slices of the code other work is changing; each entry is
/// the folder and the sibling modules the cycle runs through. A cycle is allowed when all of
/// its modules are within one entry. Remove an entry once its cycle is broken.
const ALLOWED_CYCLES: &[(&str, &[&str])] = &[
    // Session 6, issue 17: in slices other helpers own; the lead removes each entry once the
    // merged tree has no such cycle.
];

/// `layer` may not import any of `forbidden` (docs/architecture.md, "what each folder may
/// import").
const LAYERS: &[(&str, &[&str])] = &[
    ("base", &["syntax", "db", "ide", "lsp", "cli"]),
    ("syntax", &["db", "ide", "lsp", "cli"]),
    ("db", &["ide", "lsp", "cli"]),
    ("ide", &["lsp", "cli"]),
    ("cli", &["lsp"]),
    ("lsp", &["cli"]),
];

/// Protocol crates the analysis core (`syntax`, `db`, `ide`) never names.
const PROTOCOL_CRATES: &[&str] = &["tower_lsp_server", "tower_lsp", "lsp_types", "ls_types"];
const CORE: &[&str] = &["syntax", "db", "ide"];

struct SourceFile {
    path: PathBuf,
    module: ModulePath,
    /// The product code: test modules cut away.
    code: String,
}

/// One `crate::…` reference found in a file, resolved to a module.
struct Reference {
    target: ModulePath,
    spelled: String,
}

#[test]
fn layers_import_downward_only() {
    let files = sources();
    let modules = module_set(&files);
    let mut violations = Vec::new();
    for file in &files {
        let Some(layer) = file.module.first() else {
            continue;
        };
        let forbidden = LAYERS
            .iter()
            .find(|(name, _)| name == layer)
            .map_or(&[][..], |(_, forbidden)| *forbidden);
        for reference in references(file, &modules) {
            if let Some(target) = reference.target.first()
                && forbidden.contains(&target.as_str())
            {
                violations.push(format!(
                    "{} ({layer}) imports {} ({target})",
                    file.path.display(),
                    reference.spelled
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering of docs/architecture.md broken:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn the_analysis_core_names_no_protocol_type() {
    let mut violations = Vec::new();
    for file in sources() {
        if !file
            .module
            .first()
            .is_some_and(|layer| CORE.contains(&layer.as_str()))
        {
            continue;
        }
        for name in PROTOCOL_CRATES {
            if identifiers(&file.code).any(|identifier| identifier == *name) {
                violations.push(format!("{} names `{name}`", file.path.display()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "protocol types below lsp/:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn no_import_cycle_between_sibling_modules() {
    let files = sources();
    let modules = module_set(&files);
    // For every folder, the edges between its children: child → child → (file, spelling).
    let mut edges: BTreeMap<ModulePath, BTreeMap<String, BTreeMap<String, String>>> =
        BTreeMap::new();
    for file in &files {
        for reference in references(file, &modules) {
            let shared = common_prefix(&file.module, &reference.target);
            // Siblings below the deepest folder both lie in; a reference to a module's own
            // ancestor or descendant is no sibling edge.
            if shared < file.module.len() && shared < reference.target.len() {
                let from = file.module[shared].clone();
                let to = reference.target[shared].clone();
                edges
                    .entry(file.module[..shared].to_vec())
                    .or_default()
                    .entry(from)
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| format!("{}: {}", file.path.display(), reference.spelled));
            }
        }
    }
    let mut cycles = Vec::new();
    for (folder, graph) in &edges {
        for component in strongly_connected(graph) {
            let allowed = ALLOWED_CYCLES.iter().any(|(allowed_folder, members)| {
                *allowed_folder == folder_name(folder)
                    && component.iter().all(|m| members.contains(&m.as_str()))
            });
            if component.len() > 1 && !allowed {
                cycles.push(describe_cycle(folder, graph, &component));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between sibling modules:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_reader_sees_imports_in_every_spelling() {
    let file = SourceFile {
        path: PathBuf::from("src/lsp/session.rs"),
        module: vec!["lsp".into(), "session".into()],
        code: "use crate::{db::Workspace, ide::{hover, types::*}};\n\
               use super::commands::Outcome;\n\
               fn f() { crate::lsp::config::fixed_now(); let s = \"crate::cli\"; }\n\
               // crate::cli in a comment\n\
               #[cfg(test)]\nmod tests {\n    use crate::cli::check;\n}\n"
            .into(),
    };
    let file = SourceFile {
        code: product_code(&file.code),
        ..file
    };
    let modules: BTreeSet<ModulePath> = [
        "db",
        "ide",
        "ide::hover",
        "ide::types",
        "lsp",
        "lsp::commands",
        "lsp::config",
        "lsp::session",
        "cli",
        "cli::check",
    ]
    .iter()
    .map(|m| m.split("::").map(String::from).collect())
    .collect();
    let found: Vec<String> = references(&file, &modules)
        .into_iter()
        .map(|reference| reference.target.join("::"))
        .collect();
    assert_eq!(
        found,
        [
            "db",
            "ide::hover",
            "ide::types",
            "lsp::commands",
            "lsp::config"
        ]
    );
}

/// Every `.rs` file under `src/` but `main.rs` (a binary of its own, which names the library
/// by its crate name), with the module it is.
fn sources() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    let test_only = test_only_modules(&root, &paths);
    paths
        .into_iter()
        .filter(|path| path.file_name().is_some_and(|name| name != "main.rs"))
        .map(|path| {
            let relative = path.strip_prefix(&root).expect("below src");
            let module = module_of(relative);
            let text = std::fs::read_to_string(&path).expect("a readable source");
            let code = if test_only.iter().any(|t| module.starts_with(t)) {
                String::new()
            } else {
                product_code(&text)
            };
            SourceFile {
                path: Path::new("src").join(relative),
                module,
                code,
            }
        })
        .collect()
}

fn walk(folder: &Path, paths: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("a readable folder")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, paths);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            paths.push(path);
        }
    }
}

fn module_of(relative: &Path) -> ModulePath {
    let mut module: ModulePath = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
        module.pop();
    }
    module
}

/// Modules declared `#[cfg(test)] mod name;` in their parent: test fixtures and test files.
fn test_only_modules(root: &Path, paths: &[PathBuf]) -> Vec<ModulePath> {
    let mut test_only = Vec::new();
    for path in paths {
        let module = module_of(path.strip_prefix(root).expect("below src"));
        let text = std::fs::read_to_string(path).expect("a readable source");
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if line != "#[cfg(test)]" {
                continue;
            }
            let declaration = lines.find(|line| !line.starts_with("#["));
            if let Some(name) = declaration
                .and_then(|d| d.split("mod ").nth(1))
                .and_then(|rest| rest.strip_suffix(';'))
            {
                let mut child = module.clone();
                child.push(name.trim().to_string());
                test_only.push(child);
            }
        }
    }
    test_only
}

/// The text without comments, string literals and inline test modules. Test modules sit at
/// the bottom of their file (STYLE.md), so everything from `#[cfg(test)]` followed by
/// `mod … {` to the end is test code.
fn product_code(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.ends_with('{'))
        {
            break;
        }
        code.push_str(&strip_literals_and_comments(line));
        code.push('\n');
    }
    code
}

/// One line with `//` comments and the contents of plain string literals removed (enough
/// for this crate's sources, where a path spelled in a string is a message, not an import).
fn strip_literals_and_comments(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_string = false;
                    out.push('"');
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push('"');
            }
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

fn identifiers(code: &str) -> impl Iterator<Item = &str> {
    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
}

fn module_set(files: &[SourceFile]) -> BTreeSet<ModulePath> {
    files.iter().map(|file| file.module.clone()).collect()
}

/// The modules a file's product code names, in order of first mention, each once.
fn references(file: &SourceFile, modules: &BTreeSet<ModulePath>) -> Vec<Reference> {
    let mut paths = Vec::new();
    let code = &file.code;
    let mut rest = code.as_str();
    // `use` trees first, expanded, then every inline path outside them.
    let mut outside_uses = String::new();
    while let Some(start) = find_keyword(rest, "use") {
        outside_uses.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after.find(';').unwrap_or(after.len());
        expand_use_tree(after[..end].trim(), &mut Vec::new(), &mut paths);
        rest = &after[(end + 1).min(after.len())..];
    }
    outside_uses.push_str(rest);
    paths.extend(inline_paths(&outside_uses));

    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for segments in paths {
        let Some(absolute) = absolute(&file.module, &segments) else {
            continue;
        };
        let target = deepest_module(&absolute, modules);
        if target.is_empty() || target == file.module {
            continue;
        }
        if seen.insert(target.clone()) {
            found.push(Reference {
                target,
                spelled: segments.join("::"),
            });
        }
    }
    found
}

/// Where `keyword` starts as a whole word, outside string literals.
fn find_keyword(text: &str, keyword: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find(keyword) {
        let start = from + found;
        let end = start + keyword.len();
        let word_before = start > 0 && is_word(bytes[start - 1]);
        let word_after = end < bytes.len() && is_word(bytes[end]);
        if !word_before && !word_after {
            return Some(start);
        }
        from = end;
    }
    None
}

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// `crate::{a::b, c::{d, e as f}, g::*}` → `crate::a::b`, `crate::c::d`, `crate::c::e`,
/// `crate::g`.
fn expand_use_tree(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = segments(&tree[..open]);
        let close = tree.rfind('}').unwrap_or(tree.len());
        let depth = prefix.len();
        prefix.extend(head);
        for part in split_top_level(&tree[open + 1..close]) {
            expand_use_tree(part, prefix, out);
        }
        prefix.truncate(depth);
    } else {
        let path = tree.split(" as ").next().unwrap_or(tree);
        let mut full = prefix.clone();
        full.extend(segments(path));
        if full.last().is_some_and(|last| last == "self") {
            full.pop();
        }
        if !full.is_empty() {
            out.push(full);
        }
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "*")
        .map(String::from)
        .collect()
}

fn split_top_level(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (at, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&list[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// `crate::a::b`, `super::a`, `self::a` written anywhere in code.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for head in ["crate", "super", "self"] {
        let mut from = 0;
        while let Some(found) = find_keyword(&code[from..], head) {
            let start = from + found;
            let tail: String = code[start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            from = start + head.len();
            let path = segments(&tail);
            if path.len() > 1 {
                paths.push(path);
            }
        }
    }
    paths
}

/// A path as seen from `module`, from the crate root; None for paths into other crates.
fn absolute(module: &ModulePath, path: &[String]) -> Option<ModulePath> {
    let mut resolved = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => module.clone(),
        Some("super") => module[..module.len().saturating_sub(1)].to_vec(),
        _ => return None,
    };
    let mut rest = &path[1..];
    while rest.first().is_some_and(|s| s == "super") {
        resolved.pop();
        rest = &rest[1..];
    }
    resolved.extend(rest.iter().cloned());
    Some(resolved)
}

fn deepest_module(path: &[String], modules: &BTreeSet<ModulePath>) -> ModulePath {
    (0..=path.len())
        .rev()
        .map(|len| path[..len].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

fn common_prefix(a: &[String], b: &[String]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn folder_name(folder: &[String]) -> String {
    if folder.is_empty() {
        "src".to_string()
    } else {
        format!("src/{}", folder.join("/"))
    }
}

type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// Tarjan's strongly connected components of one folder's sibling graph.
fn strongly_connected(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<String>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g str) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        state.on_stack.insert(node);
        let targets = state.graph.get(node).into_iter().flat_map(|t| t.keys());
        for target in targets {
            let target = target.as_str();
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.to_string());
                if member == node {
                    break;
                }
            }
            component.sort();
            state.components.push(component);
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.components
}

/// One loop through a component, spelled `a → b → a`, with the reference behind each step.
fn describe_cycle(folder: &[String], graph: &Graph, component: &[String]) -> String {
    let inside = |node: &str| component.iter().any(|m| m == node);
    let start = &component[0];
    // Breadth-first from `start` back to itself, staying inside the component.
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.as_str()]);
    let mut closing = None;
    while let Some(node) = queue.pop_front() {
        for target in graph.get(node).into_iter().flat_map(|t| t.keys()) {
            if target == start {
                closing = Some(node);
                queue.clear();
                break;
            }
            if inside(target) && !previous.contains_key(target.as_str()) {
                previous.insert(target, node);
                queue.push_back(target);
            }
        }
    }
    let mut path = vec![start.as_str()];
    let mut node = closing.expect("a component of several modules has a loop");
    while node != start {
        path.push(node);
        node = previous[node];
    }
    path[1..].reverse();
    path.push(start);
    let steps: Vec<String> = path
        .windows(2)
        .map(|step| format!("    {} → {}: {}", step[0], step[1], graph[step[0]][step[1]]))
        .collect();
    let others: Vec<&str> = component
        .iter()
        .map(String::as_str)
        .filter(|member| !path.contains(member))
        .collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" (its loops also run through {})", others.join(", "))
    };
    format!(
        "  in {}: {}{also}\n{}",
        folder_name(folder),
        path.join(" → "),
        steps.join("\n")
    )
}
