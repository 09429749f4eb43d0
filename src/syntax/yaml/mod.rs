//! YAML for frontmatter: one positioned tree (`tree`), read by a fast path for the simple
//! `key: value` block nearly every card has (`simple`) or else by serde-saphyr (`full`).
//!
//! The fast path and the full parser both build the tree and neither knows the other; this
//! module picks between them.

mod full;
mod simple;
#[cfg(test)]
mod tests;
mod tree;

pub use tree::{YamlError, YamlErrorKind, YamlNode, YamlValue};

/// Parses `text` as one YAML document. Ranges are shifted by `base` so callers can hand in a
/// slice of a larger file. Never fails: on error the node is `None` and the error says where.
///
/// The usual frontmatter (one `key: value` a line, simple values) is read by a fast path
/// (see `simple`) that gives the very same result; anything else by serde-saphyr.
pub fn parse_yaml(text: &str, base: usize) -> Result<Option<YamlNode>, YamlError> {
    match simple::parse(text, base) {
        Some(root) => Ok(Some(root)),
        None => full::parse_yaml_fully(text, base),
    }
}
