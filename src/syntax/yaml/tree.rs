//! The positioned YAML tree every parser here returns: a value with the byte range of its
//! source text, and an error phrased for a writer.

use crate::base::TextRange;
use crate::syntax::limits::Cap;

/// One YAML value with the byte range of its source text (quotes included for quoted
/// scalars; a collection's range is its first token, since the parser reports no end).
#[derive(Clone, Debug, PartialEq)]
pub struct YamlNode {
    pub value: YamlValue,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq)]
pub enum YamlValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string scalar; `quoted` tells `"0042"` from a plain scalar that YAML chose to read as
    /// a string.
    Str {
        text: String,
        quoted: bool,
    },
    Seq(Vec<YamlNode>),
    Map(Vec<(YamlNode, YamlNode)>),
}

impl YamlNode {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Str { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, YamlValue::Null)
    }

    /// The range of a string's content, without surrounding quotes.
    pub fn inner_range(&self) -> TextRange {
        match self.value {
            YamlValue::Str { quoted: true, .. } if self.range.len() >= 2 => {
                TextRange::new(self.range.start as usize + 1, self.range.end as usize - 1)
            }
            _ => self.range,
        }
    }

    /// A short name of the value's type, for messages ("a number", "a list").
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            YamlValue::Null => "null",
            YamlValue::Bool(_) => "a boolean",
            YamlValue::Int(_) | YamlValue::Float(_) => "a number",
            YamlValue::Str { .. } => "a string",
            YamlValue::Seq(_) => "a list",
            YamlValue::Map(_) => "a mapping",
        }
    }
}

/// A YAML error with the parser's position, in the parsed text's coordinates, phrased for
/// a writer rather than a programmer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub range: TextRange,
    pub kind: YamlErrorKind,
    /// A `[`, `{` or quote on an earlier line that was never closed and made the parser trip
    /// later, with what went wrong with it ("is never closed").
    pub opener: Option<(TextRange, &'static str)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// The text is not YAML.
    Syntax,
    /// Valid YAML, but not the mapping of fields a frontmatter must be.
    NotAMapping,
    /// The YAML goes over one of the caps of `syntax::limits` (depth, values, aliases, text);
    /// the message names it. Not a mistake in the YAML as such, so the rules report it apart.
    OverCap(Cap),
}
