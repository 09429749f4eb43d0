//! Whether a frame's body is a message the server can decode, and the answer to one that is
//! not (`-32700` parse error, `-32600` invalid request).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

/// JSON-RPC's error codes for what this layer answers.
pub(super) const PARSE_ERROR: i64 = -32700;
pub(super) const INVALID_REQUEST: i64 = -32600;

#[derive(Debug, PartialEq)]
pub struct Malformed {
    /// `-32700` (parse error) or `-32600` (invalid request).
    pub code: i64,
    /// What was wrong, for the log and the answer's message.
    pub reason: String,
    /// The request's id, when it had a usable one.
    pub id: Option<Value>,
}

impl Malformed {
    pub(super) fn parse(reason: impl Into<String>) -> Malformed {
        Malformed {
            code: PARSE_ERROR,
            reason: reason.into(),
            id: None,
        }
    }

    pub(super) fn invalid(reason: impl Into<String>, id: Option<Value>) -> Malformed {
        Malformed {
            code: INVALID_REQUEST,
            reason: reason.into(),
            id,
        }
    }

    /// The messages to send the client: the error response, and the same as a log message.
    pub(super) fn answer(&self) -> [Vec<u8>; 2] {
        let message = format!("ignored a malformed message: {}", self.reason);
        let response = json!({
            "jsonrpc": "2.0",
            "id": self.id.clone().unwrap_or(Value::Null),
            "error": {"code": self.code, "message": message},
        });
        let log = json!({
            "jsonrpc": "2.0",
            "method": "window/logMessage",
            "params": {"type": 2, "message": format!("flowos-lsp: {message}")},
        });
        [
            response.to_string().into_bytes(),
            log.to_string().into_bytes(),
        ]
    }
}

/// The members of a message, as far as deciding whether the server can decode it; the
/// params and results are skipped, not built (a message may be a 100 MB document).
#[derive(Deserialize)]
struct Shape<'a> {
    #[serde(borrow)]
    jsonrpc: Option<Cow<'a, str>>,
    /// Present (even as `null`) or absent.
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    method: Option<Value>,
    #[serde(default, deserialize_with = "present_skipped")]
    params: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present_skipped")]
    result: Option<IgnoredAny>,
    /// Decoded as the server will decode it.
    #[serde(default, deserialize_with = "present")]
    error: Option<Value>,
}

/// A member that is there, even as `null` (which `Option` alone reads as absent).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Like [`present`], for a member whose value is only skipped over.
fn present_skipped<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<IgnoredAny>, D::Error> {
    IgnoredAny::deserialize(deserializer).map(Some)
}

/// Whether `body` is a JSON-RPC 2.0 request, notification or response the server can decode.
pub fn check_message(body: &[u8]) -> Result<(), Malformed> {
    let text = std::str::from_utf8(body)
        .map_err(|error| Malformed::parse(format!("the message is not UTF-8 ({error})")))?;
    if nesting_depth(body) > MAX_NESTING {
        // The server's decoder stops at 128 levels and would end its input with it.
        return Err(Malformed::parse(format!(
            "the message nests deeper than {MAX_NESTING} levels"
        )));
    }
    let first = text.trim_start().as_bytes().first().copied();
    if first == Some(b'[') {
        // LSP has no batches; JSON-RPC answers a batch it cannot take as one invalid request.
        serde_json::from_str::<IgnoredAny>(text)
            .map_err(|error| Malformed::parse(format!("the message is not JSON ({error})")))?;
        return Err(Malformed::invalid("a batch (array) of messages", None));
    }
    let shape: Shape = match serde_json::from_str(text) {
        Ok(shape) => shape,
        Err(error) if error.is_data() => {
            return Err(Malformed::invalid(
                format!("not a JSON-RPC message ({error})"),
                None,
            ));
        }
        Err(error) => {
            return Err(Malformed::parse(format!(
                "the message is not JSON ({error})"
            )));
        }
    };
    let usable_id = shape.id.as_ref().filter(|id| is_usable_id(id)).cloned();
    let invalid = |reason: &str| Err(Malformed::invalid(reason, usable_id.clone()));
    if shape.jsonrpc.as_deref() != Some("2.0") {
        return invalid("`jsonrpc` must be \"2.0\"");
    }
    if shape.id.is_some() && usable_id.is_none() {
        return invalid("`id` must be a whole number, a string or null");
    }
    match (
        &shape.method,
        shape.result.is_some() || shape.error.is_some(),
    ) {
        (Some(Value::String(_)), false) => Ok(()),
        (Some(Value::String(_)), true) => invalid("a message with both a method and a result"),
        (Some(_), _) => invalid("`method` must be a string"),
        (None, true) if shape.id.is_none() => invalid("a response without an `id`"),
        (None, true) if shape.params.is_some() => invalid("a response with `params`"),
        (None, true) => match (&shape.result, &shape.error) {
            (Some(_), Some(_)) => invalid("a response with both `result` and `error`"),
            (None, Some(error)) if !is_error_object(error) => {
                invalid("`error` must be an object with a whole-number `code` and a `message`")
            }
            _ => Ok(()),
        },
        (None, false) => invalid("neither a request (no `method`) nor a response"),
    }
}

/// How deep a message may nest arrays and objects: far beyond any LSP message, below the
/// limit of the server's JSON decoder.
const MAX_NESTING: usize = 100;

/// The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not
/// count). Only a scan: skipping a value with serde does not bound its depth.
pub(super) fn nesting_depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in json {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn is_usable_id(id: &Value) -> bool {
    id.is_null() || id.is_string() || id.as_i64().is_some()
}

fn is_error_object(error: &Value) -> bool {
    serde_json::from_value::<tower_lsp_server::jsonrpc::Error>(error.clone()).is_ok()
}
