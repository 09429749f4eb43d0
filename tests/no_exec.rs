//! SPEC §8 "no execution, no network": clippy.toml bans the types that run programs or open
//! sockets (CI runs clippy with `-D warnings`), and nothing in the product's sources opts out
//! of the ban — only test and bench binaries, which spawn the server, may.

use std::path::Path;

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
    ] {
        assert!(
            config.contains(&format!("path = \"{banned}\"")),
            "clippy.toml does not ban {banned}"
        );
    }
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
