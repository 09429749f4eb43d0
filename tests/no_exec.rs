//! SPEC §8 "no execution, no network": clippy.toml bans the types that run programs or open
//! sockets (CI runs clippy with `-D warnings`), and nothing in the product's sources opts out
//! of the ban — only test and bench binaries, which spawn the server, may. A workspace whose
//! hook registry names scripts gets checked, transitioned and indexed without any of them
//! running: the registry is data.

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // Runs the binary; the product may not.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::json;
use support::{Answers, Client, staged};

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn clippy_bans_execution_and_network_types_and_the_product_does_not_opt_out() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read_to_string(root.join("clippy.toml")).unwrap();
    for banned in [
        "std::process::Command",
        "std::net::TcpStream",
        "std::net::TcpListener",
        "std::net::UdpSocket",
        "std::process::Command::new",
        "std::os::unix::process::CommandExt::exec",
        "std::net::TcpStream::connect",
        "std::net::TcpListener::bind",
        "std::net::UdpSocket::bind",
        "libc::execve",
        "libc::fork",
        "libc::socket",
    ] {
        assert!(
            config.contains(&format!("path = \"{banned}\"")),
            "clippy.toml does not ban {banned}"
        );
    }
    assert!(config.contains("disallowed-types = [") && config.contains("disallowed-methods = ["));
    let mut sources = Vec::new();
    rust_files(&root.join("src"), &mut sources);
    assert!(sources.len() > 20);
    for source in sources {
        let text = std::fs::read_to_string(&source).unwrap();
        assert!(
            !text.contains("disallowed_types") && !text.contains("disallowed_methods"),
            "{} opts out of the execution/network ban",
            source.display()
        );
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let tokio = manifest
        .lines()
        .find(|line| line.starts_with("tokio"))
        .expect("tokio is a dependency");
    for feature in ["\"net\"", "\"process\"", "\"full\""] {
        assert!(!tokio.contains(feature), "tokio is built with {feature}");
    }
}

#[test]
fn hooks_a_workspace_registers_are_never_run() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".work/tasks");
    staged::task(&root, "inbox", 1, "");
    staged::task(&root, "current", 2, "");
    staged::indexes(&root, 3);
    // Every hook point of the methodology's registry format, each naming a script that
    // would leave a marker if anything ran it, by path or as a module.
    let marker = dir.path().join("hook-ran");
    let script = format!("#!/bin/sh\ntouch '{}'\n", marker.display());
    let hooks = root.join(".hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let mut registry = String::from("hooks:\n");
    for point in ["on_validate_pass", "on_move", "on_blocked", "on_completion"] {
        registry.push_str(&format!(
            "  {point}:\n    - name: \"{point}\"\n      function: \"hooks.run.{point}\"\n      command: \"{}/run.sh\"\n      enabled: true\n",
            hooks.display()
        ));
    }
    std::fs::write(hooks.join("registry.yaml"), &registry).unwrap();
    for name in ["run.sh", "run.py"] {
        std::fs::write(hooks.join(name), &script).unwrap();
        std::fs::set_permissions(hooks.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let flowos = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_flowos-lsp"))
            .args(args)
            .current_dir(dir.path())
            .env("FLOWOS_NOW", "2026-11-05T12:00:00Z")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    flowos(&["check"]);
    flowos(&["transition", "TASK-0001", "verify", "--user", "@ana"]);
    flowos(&["transition", "TASK-0002", "complete", "--user", "@ana"]);
    flowos(&["new", "A hooked task", "--user", "@ana"]);
    flowos(&["check", "--fix"]);

    let mut client = Client::spawn(Answers::Normally);
    client.initialize(dir.path(), json!({}), json!({}));
    let symbols = client.request("workspace/symbol", json!({"query": "TASK"}));
    assert!(
        symbols.as_array().is_some_and(|found| found.len() >= 3),
        "{symbols}"
    );
    client.shutdown();

    assert!(!marker.exists(), "a hook ran");
    assert_eq!(
        std::fs::read_to_string(hooks.join("registry.yaml")).unwrap(),
        registry
    );
    // The transitions really happened (so their hook points were passed).
    assert!(root.join("backlog/TASK-0001-job").is_dir());
    assert!(root.join("integration/TASK-0002-job").is_dir());
}
