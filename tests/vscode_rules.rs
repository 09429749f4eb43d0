//! Keeps editors/vscode/rules.txt, the copy of `flowos-lsp rules` the VS Code extension
//! generates its `flowos.rules` settings schema from, in step with the binary.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Tests spawn the binary and editors; the product may not.

use std::path::Path;
use std::process::Command;

#[test]
fn vscode_rule_list_matches_the_catalogue() {
    let output = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
        .arg("rules")
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "`flowos-lsp rules` failed");
    let catalogue = String::from_utf8(output.stdout).expect("the catalogue is UTF-8");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode/rules.txt");
    let copy = std::fs::read_to_string(&path).expect("editors/vscode/rules.txt exists");
    assert!(
        copy == catalogue,
        "editors/vscode/rules.txt differs from `flowos-lsp rules`: run `npm run rules:update` \
         in editors/vscode and commit rules.txt and package.json"
    );
}
