//! editors/helix: the README's configuration is `languages.toml` itself (comments and blank
//! lines aside), so the documented snippet cannot drift from the file users copy. (The TOML
//! is checked by hand with Python's `tomllib`; there is no TOML parser among the crate's
//! dependencies and no Helix binary to load it.)

use std::path::Path;

fn helix_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/editors/helix"))
}

/// The lines that carry configuration: no comments, no blank lines.
fn settings(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|line| !line.is_empty() && !line.trim_start().starts_with('#'))
        .collect()
}

#[test]
fn the_readme_shows_languages_toml() {
    let file = std::fs::read_to_string(helix_dir().join("languages.toml")).unwrap();
    let readme = std::fs::read_to_string(helix_dir().join("README.md")).unwrap();
    let snippet = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README.md has a toml block");
    assert_eq!(settings(snippet), settings(&file));
    for query in ["highlights.scm", "indents.scm"] {
        let text = std::fs::read_to_string(
            helix_dir()
                .join("runtime/queries/flowos-ledger")
                .join(query),
        )
        .unwrap();
        assert_eq!(text.trim(), "; inherits: json", "{query}");
    }
}
