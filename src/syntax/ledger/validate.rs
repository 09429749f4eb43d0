//! Whether a ledger line is valid JSON, decided by serde_json without building the value.
//!
//! Parsing into a `serde_json::Value` allocates a map and a string for every key and value,
//! only for the tree to be dropped once the line is known to be valid (the field scanner
//! then reads the spans from the text). [`Shape`] drives serde_json's deserializer down the
//! very same path as `Value` does (`deserialize_any` all the way down, so numbers are parsed,
//! escapes checked and nesting bounded exactly as before) but keeps nothing: the same lines
//! are accepted, with the same error messages, at a fraction of the allocations.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, Error, MapAccess, SeqAccess, Visitor};

/// What kind of JSON value a line held: all a ledger needs of a valid line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Shape {
    /// The value's kind in a sentence: "a ledger event must be a JSON object, not …".
    pub(super) fn describe(self) -> &'static str {
        match self {
            Shape::Null => "null",
            Shape::Bool => "a boolean",
            Shape::Number => "a number",
            Shape::String => "a string",
            Shape::Array => "an array",
            Shape::Object => "an object",
        }
    }
}

/// Checks `line` as serde_json checks it for a `Value`, returning the value's kind.
pub(super) fn validate(line: &str) -> Result<Shape, serde_json::Error> {
    serde_json::from_str::<Shape>(line)
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

/// `Value`'s visitor without the value: every nested value is visited the same way (through
/// `deserialize_any`, never `deserialize_ignored_any`, whose skipping accepts numbers that
/// overflow an f64 where `Value` refuses them).
struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any valid JSON value")
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Bool)
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }

    fn visit_f64<E: Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }

    fn visit_str<E: Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::String)
    }

    fn visit_unit<E: Error>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }

    fn visit_none<E: Error>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<Shape>()?.is_some() {}
        Ok(Shape::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        // Keys too go through `deserialize_any`, so their escapes are decoded (and checked)
        // as `Value` decodes them into its map's keys.
        while map.next_key::<Shape>()?.is_some() {
            map.next_value::<Shape>()?;
        }
        Ok(Shape::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The kind and the error message `Value` gives, for comparison.
    fn as_value(line: &str) -> Result<&'static str, String> {
        serde_json::from_str::<Value>(line)
            .map(|value| match value {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            })
            .map_err(|error| error.to_string())
    }

    #[test]
    fn accepts_and_refuses_exactly_what_a_value_does() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let lines = [
            r#"{"ts":"2026-01-01T00:00:00Z","event":"created","n":[1,{"a":null}]}"#,
            r#"{"a":1e999}"#,
            r#"{"a":-1e-999}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a":"\u00e9\ud83d\ude00"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"\ud800":1}"#,
            r#"{"k\q":1}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            r#"{"a":01}"#,
            r#"{"a":tru}"#,
            r#"{} trailing"#,
            r#"[1,2]"#,
            r#""text""#,
            "3.5",
            "true",
            "null",
            "",
            deep.as_str(),
        ];
        for line in lines {
            let shape = validate(line)
                .map(Shape::describe)
                .map_err(|error| error.to_string());
            assert_eq!(shape, as_value(line), "{line}");
        }
    }
}
