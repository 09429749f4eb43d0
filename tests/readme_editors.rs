//! The README's editor sections show the configurations the tests use: the Neovim setup is
//! the one `editors/nvim/tests/minimal_init.lua` runs, the nvim-lspconfig snippet is
//! `editors/nvim/examples/lspconfig.lua`, the Helix block is `editors/helix/languages.toml`,
//! the Emacs block loads `editors/emacs/flowos.el` and names only what it defines, and every VS Code setting shown is one
//! the extension contributes.

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// The README text of the section whose heading starts with `heading`.
fn section(heading: &str) -> String {
    let readme = read("README.md");
    let start = readme
        .find(&format!("\n### {heading}"))
        .unwrap_or_else(|| panic!("no README section {heading}"));
    let rest = &readme[start + 1..];
    let end = rest[4..].find("\n#").map_or(rest.len(), |at| at + 4);
    rest[..end].to_string()
}

/// The fenced blocks of `text` in `language`.
fn blocks(text: &str, language: &str) -> Vec<String> {
    text.split(&format!("```{language}\n"))
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .map(str::to_string)
        .collect()
}

/// Lines that carry configuration (no blank or comment lines), for `comment` syntax.
fn meaningful(text: &str, comment: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with(comment))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_neovim_section_shows_the_tested_setup_and_lspconfig_snippet() {
    let neovim = section("Neovim");
    let lua = blocks(&neovim, "lua");
    let init = read("editors/nvim/tests/minimal_init.lua");
    let tested = init
        .split("require('flowos').setup {")
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .expect("minimal_init.lua calls setup");
    // The test swaps in the freshly built binary for `flowos-lsp`; the rest is identical.
    let tested = tested.replace("cmd = { flowos_lsp }", "cmd = { 'flowos-lsp' }");
    assert!(
        lua.iter()
            .any(|block| block.contains(&format!("require('flowos').setup {{{tested}\n}}"))),
        "the README's setup differs from minimal_init.lua's:\n{tested}"
    );
    let lspconfig = meaningful(&read("editors/nvim/examples/lspconfig.lua"), "--");
    assert!(
        lua.iter().any(|block| meaningful(block, "--") == lspconfig),
        "the README's lspconfig snippet differs from editors/nvim/examples/lspconfig.lua"
    );
}

#[test]
fn the_helix_section_shows_languages_toml() {
    let helix = section("Helix");
    let file = meaningful(&read("editors/helix/languages.toml"), "#");
    let shown = blocks(&helix, "toml");
    assert_eq!(shown.len(), 1);
    assert_eq!(meaningful(&shown[0], "#"), file);
}

#[test]
fn the_emacs_section_loads_flowos_el_and_names_what_it_defines() {
    let emacs = section("Emacs");
    let file = read("editors/emacs/flowos.el");
    let shown = blocks(&emacs, "elisp");
    assert_eq!(shown.len(), 1);
    assert!(shown[0].contains("(require 'flowos)"));
    assert!(file.contains("(provide 'flowos)"));
    // Every flowos- name the README uses (hooks, commands, variables) is defined in the file.
    for name in emacs
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|word| word.starts_with("flowos-") && *word != "flowos-lsp")
    {
        let defined = name.strip_suffix("-hook").unwrap_or(name);
        assert!(
            file.contains(&format!("(defun {defined} "))
                || file.contains(&format!("(defcustom {defined} "))
                || file.contains(&format!("(define-derived-mode {defined} ")),
            "the README names {name}, which flowos.el does not define"
        );
    }
}

#[test]
fn the_vs_code_section_uses_contributed_settings_and_real_rules() {
    let vscode = section("VS Code");
    let package: serde_json::Value =
        serde_json::from_str(&read("editors/vscode/package.json")).unwrap();
    let configuration = &package["contributes"]["configuration"];
    let properties: Vec<&serde_json::Map<String, serde_json::Value>> = match configuration {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|item| item["properties"].as_object())
            .collect(),
        other => other["properties"].as_object().into_iter().collect(),
    };
    let contributed = |key: &str| properties.iter().any(|props| props.contains_key(key));
    let rules = read("editors/vscode/rules.txt");
    let json = blocks(&vscode, "json");
    assert_eq!(json.len(), 1);
    let settings: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    for (key, value) in settings.as_object().unwrap() {
        assert!(
            contributed(key),
            "README shows {key}, which the extension does not contribute"
        );
        if key == "flowos.rules" {
            for rule in value.as_object().unwrap().keys() {
                assert!(
                    rules
                        .lines()
                        .any(|line| line.split_whitespace().next() == Some(rule.as_str())),
                    "README configures unknown rule {rule}"
                );
            }
        }
    }
}
