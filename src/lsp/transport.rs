//! The stdio transport in front of tower-lsp-server: only well-formed JSON-RPC reaches it.
//!
//! tower-lsp-server's framed reader ends its input stream at the first frame it cannot decode
//! (a bad header, a body that is not JSON, a JSON value that is not a message), and the server
//! with it. A client bug or a stray write to the server's stdin must not end the session, so
//! this layer reads the client's bytes itself: it finds each frame (tolerating LF-only
//! headers, resynchronising on the next `Content-Length` after garbage), checks that the body
//! is a message the server can decode, and passes only those on. Everything else is answered
//! here (`-32700` parse error, `-32600` invalid request, with the request's id when it has a
//! usable one) and logged to the client, and reading goes on.
//!
//! The answers are written between the server's own frames: the server writes into a pipe
//! that this layer copies to stdout one whole frame at a time.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{ClientSocket, Server};
use tower_service::Service;

/// A header is a line or two (`Content-Length`, maybe `Content-Type`); more than this without
/// its blank line is not a header.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// The largest message read. Far above any real one (the largest is a whole open document,
/// and documents are capped at 16 MB for analysis), yet a bound on what one frame may cost.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// JSON-RPC's error codes for what this layer answers.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// How many bytes are read from the client at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Serves `service` over stdin/stdout through this layer until the input ends.
pub async fn serve<S>(service: S, socket: ClientSocket)
where
    S: Service<Request, Response = Option<Response>> + Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: Send,
{
    let (to_server, server_input) = tokio::io::duplex(READ_CHUNK);
    let (server_output, from_server) = tokio::io::duplex(READ_CHUNK);
    let (answers, answers_rx) = unbounded_channel();
    let server = Server::new(server_input, server_output, socket).serve(service);
    let input = relay_input(tokio::io::stdin(), to_server, answers);
    let output = relay_output(from_server, answers_rx, tokio::io::stdout());
    tokio::join!(server, input, output);
}

/// Copies well-formed messages from `input` to the server; answers the rest through
/// `answers`. Returns when `input` ends.
async fn relay_input(
    mut input: impl AsyncRead + Unpin,
    mut server: impl AsyncWrite + Unpin,
    answers: UnboundedSender<Vec<u8>>,
) {
    let mut frames = Deframer::default();
    let mut chunk = vec![0; READ_CHUNK];
    loop {
        let read = input.read(&mut chunk).await.unwrap_or(0);
        if read == 0 {
            frames.finish();
        } else {
            frames.push(&chunk[..read]);
        }
        while let Some(event) = frames.next_event() {
            match event {
                Event::Message(body) => {
                    let header = format!("Content-Length: {}\r\n\r\n", body.len());
                    let sent = async {
                        server.write_all(header.as_bytes()).await?;
                        server.write_all(&body).await?;
                        server.flush().await
                    };
                    if sent.await.is_err() {
                        return;
                    }
                }
                Event::Malformed(problem) => {
                    eprintln!("flowos-lsp: {}", problem.reason);
                    for message in problem.answer() {
                        let _ = answers.send(message);
                    }
                }
            }
        }
        if read == 0 {
            return;
        }
    }
}

/// Writes the server's messages and this layer's answers (bodies, framed here) to `output`,
/// each frame whole.
///
/// Frames go through a buffer that is flushed once nothing else is ready to be written: the
/// first index publishes one message per file (11,000 at 10,000 tasks), and stdout written
/// a frame at a time costs two writes each, every one a hand-off to tokio's blocking pool.
/// A lone answer is still flushed at once.
async fn relay_output(
    server: impl AsyncRead + Unpin,
    mut answers: UnboundedReceiver<Vec<u8>>,
    output: impl AsyncWrite + Unpin,
) {
    let mut server = ServerFrames {
        input: server,
        frames: Deframer::trusting(),
        chunk: vec![0; READ_CHUNK],
        ended: false,
    };
    let mut output = tokio::io::BufWriter::with_capacity(OUTPUT_BUFFER, output);
    let mut answers_open = true;
    let mut unflushed = false;
    loop {
        // Poll once without waiting; when neither side has a frame ready, flush what was
        // written and only then wait. (`ServerFrames::next` and `recv` are cancel-safe: a
        // read that returned pending took no bytes.)
        let ready = tokio::select! {
            biased;
            frame = server.next(), if !server.ended => Some(frame),
            answer = answers.recv(), if answers_open => {
                if answer.is_none() {
                    answers_open = false;
                }
                Some(answer)
            }
            _ = std::future::ready(()), if unflushed => None,
            else => return,
        };
        let next = match ready {
            Some(next) => next,
            None => {
                if output.flush().await.is_err() {
                    return;
                }
                unflushed = false;
                continue;
            }
        };
        let Some(body) = next else {
            continue;
        };
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        let written = async {
            output.write_all(header.as_bytes()).await?;
            output.write_all(&body).await
        };
        if written.await.is_err() {
            return;
        }
        unflushed = true;
    }
}

/// How much of the server's output is gathered before it is written.
const OUTPUT_BUFFER: usize = 256 * 1024;

/// The server's output, read back into message bodies.
struct ServerFrames<R> {
    input: R,
    frames: Deframer,
    chunk: Vec<u8>,
    ended: bool,
}

impl<R: AsyncRead + Unpin> ServerFrames<R> {
    async fn next(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(Event::Message(body)) = self.frames.next_event() {
                return Some(body);
            }
            let read = self.input.read(&mut self.chunk).await.unwrap_or(0);
            if read == 0 {
                self.ended = true;
                return None;
            }
            self.frames.push(&self.chunk[..read]);
        }
    }
}

/// What the input held next.
#[derive(Debug, PartialEq)]
pub enum Event {
    /// A message body the server can decode.
    Message(Vec<u8>),
    /// Bytes that are not one: answered and logged, then skipped.
    Malformed(Malformed),
}

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
    fn parse(reason: impl Into<String>) -> Malformed {
        Malformed {
            code: PARSE_ERROR,
            reason: reason.into(),
            id: None,
        }
    }

    fn invalid(reason: impl Into<String>, id: Option<Value>) -> Malformed {
        Malformed {
            code: INVALID_REQUEST,
            reason: reason.into(),
            id,
        }
    }

    /// The messages to send the client: the error response, and the same as a log message.
    fn answer(&self) -> [Vec<u8>; 2] {
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

/// Splits a byte stream into frames. Pure: bytes in, events out, so every malformed shape is
/// testable without a process.
#[derive(Debug)]
pub struct Deframer {
    buffer: Vec<u8>,
    state: State,
    /// Checks each body; off for the server's own output, which is well-formed by
    /// construction.
    checks_bodies: bool,
    ended: bool,
}

#[derive(Debug, PartialEq)]
enum State {
    Header,
    Body {
        length: usize,
    },
    /// Dropping an over-long body, `left` bytes to go.
    Skip {
        left: usize,
    },
    /// After garbage: dropping bytes up to the next `Content-Length`.
    Resync,
}

impl Default for Deframer {
    fn default() -> Deframer {
        Deframer {
            buffer: Vec::new(),
            state: State::Header,
            checks_bodies: true,
            ended: false,
        }
    }
}

impl Deframer {
    fn trusting() -> Deframer {
        Deframer {
            checks_bodies: false,
            ..Deframer::default()
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if let State::Skip { left } = &mut self.state {
            let dropped = (*left).min(bytes.len());
            *left -= dropped;
            if *left == 0 {
                self.state = State::Header;
            }
            self.buffer.extend_from_slice(&bytes[dropped..]);
            return;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The input has ended: what is left becomes a final event, if it is more than blanks.
    pub fn finish(&mut self) {
        self.ended = true;
    }

    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            match self.state {
                State::Header => match self.header()? {
                    Ok(length) if length > MAX_MESSAGE_BYTES => {
                        self.state = State::Skip { left: length };
                        self.skip_buffered();
                        return Some(Event::Malformed(Malformed::invalid(
                            format!(
                                "a message of {length} bytes is over the {} MB cap",
                                MAX_MESSAGE_BYTES / (1024 * 1024)
                            ),
                            None,
                        )));
                    }
                    Ok(length) => {
                        self.buffer
                            .reserve_exact(length.saturating_sub(self.buffer.len()));
                        self.state = State::Body { length };
                    }
                    Err(problem) => {
                        self.state = State::Resync;
                        return Some(Event::Malformed(problem));
                    }
                },
                State::Body { length } => {
                    if self.buffer.len() < length {
                        if self.ended {
                            let had = self.buffer.len();
                            self.buffer.clear();
                            self.state = State::Header;
                            return Some(Event::Malformed(Malformed::parse(format!(
                                "the input ended {had} bytes into a {length}-byte message"
                            ))));
                        }
                        return None;
                    }
                    let rest = self.buffer.split_off(length);
                    let body = std::mem::replace(&mut self.buffer, rest);
                    self.state = State::Header;
                    if !self.checks_bodies {
                        return Some(Event::Message(body));
                    }
                    return Some(match check_message(&body) {
                        Ok(()) => Event::Message(body),
                        Err(problem) => Event::Malformed(problem),
                    });
                }
                State::Skip { .. } => {
                    self.skip_buffered();
                    if matches!(self.state, State::Skip { .. }) {
                        return None;
                    }
                }
                State::Resync => {
                    let found = find_content_length(&self.buffer);
                    match found {
                        Some(at) => {
                            self.buffer.drain(..at);
                            self.state = State::Header;
                        }
                        None => {
                            // Keep a tail that may be the start of a split `Content-Length`.
                            let keep = CONTENT_LENGTH.len() - 1;
                            let cut = self.buffer.len().saturating_sub(keep);
                            self.buffer.drain(..cut);
                            return None;
                        }
                    }
                }
            }
        }
    }

    fn skip_buffered(&mut self) {
        if let State::Skip { left } = &mut self.state {
            let dropped = (*left).min(self.buffer.len());
            self.buffer.drain(..dropped);
            *left -= dropped;
            if *left == 0 {
                self.state = State::Header;
            }
        }
    }

    /// Reads a header from the buffer: the body's length, or what is wrong with it; None
    /// until the header is complete (or the input ended with nothing more than blanks).
    fn header(&mut self) -> Option<Result<usize, Malformed>> {
        let mut lines = Vec::new();
        let mut at = 0;
        loop {
            let Some(newline) = self.buffer[at..].iter().position(|&b| b == b'\n') else {
                if self.buffer.len() > MAX_HEADER_BYTES {
                    self.buffer.drain(..1);
                    return Some(Err(Malformed::parse(format!(
                        "a header over {} KB without its blank line",
                        MAX_HEADER_BYTES / 1024
                    ))));
                }
                if self.ended && self.buffer.iter().any(|b| !b.is_ascii_whitespace()) {
                    self.buffer.clear();
                    return Some(Err(Malformed::parse("the input ended inside a header")));
                }
                if self.ended {
                    self.buffer.clear();
                }
                return None;
            };
            let end = at + newline;
            let line = &self.buffer[at..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            at = end + 1;
            if line.is_empty() {
                if lines.is_empty() {
                    // A blank line between frames: tolerated.
                    self.buffer.drain(..at);
                    at = 0;
                    continue;
                }
                break;
            }
            if at > MAX_HEADER_BYTES {
                self.buffer.drain(..1);
                return Some(Err(Malformed::parse(format!(
                    "a header over {} KB",
                    MAX_HEADER_BYTES / 1024
                ))));
            }
            lines.push(line.to_vec());
        }
        self.buffer.drain(..at);
        Some(content_length(&lines))
    }
}

const CONTENT_LENGTH: &[u8] = b"content-length";

/// Where the next `Content-Length` (any case) starts in `bytes`.
fn find_content_length(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(CONTENT_LENGTH.len())
        .position(|window| window.eq_ignore_ascii_case(CONTENT_LENGTH))
}

/// The body length a header's lines give.
fn content_length(lines: &[Vec<u8>]) -> Result<usize, Malformed> {
    let mut length = None;
    for line in lines {
        let text = String::from_utf8_lossy(line);
        let Some((name, value)) = text.split_once(':') else {
            return Err(Malformed::parse(format!(
                "a header line without a `:`: `{}`",
                shortened(&text)
            )));
        };
        if !name.trim().eq_ignore_ascii_case("content-length") {
            continue;
        }
        let value = value.trim();
        let parsed = value
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| value.parse::<usize>().ok())
            .flatten();
        match (parsed, length) {
            (Some(parsed), None) => length = Some(parsed),
            (Some(parsed), Some(earlier)) if parsed == earlier => {}
            (Some(_), Some(_)) => {
                return Err(Malformed::parse("two different Content-Length headers"));
            }
            (None, _) => {
                return Err(Malformed::parse(format!(
                    "Content-Length `{}` is not a byte count",
                    shortened(value)
                )));
            }
        }
    }
    length.ok_or_else(|| Malformed::parse("a header without Content-Length"))
}

fn shortened(text: &str) -> String {
    text.chars().take(40).collect()
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
fn nesting_depth(json: &[u8]) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn events(input: &[u8]) -> Vec<Event> {
        let mut frames = Deframer::default();
        // Fed in small pieces, as a pipe may deliver them.
        for piece in input.chunks(7) {
            frames.push(piece);
        }
        frames.finish();
        std::iter::from_fn(|| frames.next_event()).collect()
    }

    fn framed(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    const VALID: &str = r#"{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{}}"#;

    fn codes(events: &[Event]) -> Vec<i64> {
        events
            .iter()
            .map(|event| match event {
                Event::Message(_) => 0,
                Event::Malformed(problem) => problem.code,
            })
            .collect()
    }

    /// An output that records what reaches it and counts the writes that carry it.
    #[derive(Default)]
    struct CountingOutput {
        bytes: Vec<u8>,
        writes: usize,
    }

    impl AsyncWrite for CountingOutput {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            self.writes += 1;
            self.bytes.extend_from_slice(buf);
            std::task::Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// A burst of the server's messages (the first index publishes one per file) reaches
    /// stdout in a few large writes, every frame whole and in order; a lone answer written
    /// while nothing else is pending reaches it without waiting for more.
    #[test]
    fn a_burst_of_frames_is_written_in_few_writes_and_a_lone_frame_at_once() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let bodies: Vec<String> = (0..1_000)
                .map(|n| format!(r#"{{"jsonrpc":"2.0","method":"m","params":{{"n":{n}}}}}"#))
                .collect();
            let burst: Vec<u8> = bodies.iter().flat_map(|body| framed(body)).collect();
            let (mut server, from_server) = tokio::io::duplex(burst.len() + 1024);
            server.write_all(&burst).await.unwrap();
            drop(server);
            let (answers, answers_rx) = unbounded_channel::<Vec<u8>>();
            drop(answers);
            let mut output = CountingOutput::default();
            relay_output(from_server, answers_rx, &mut output).await;
            assert_eq!(output.bytes, burst, "every frame whole and in order");
            assert!(
                output.writes * 20 <= bodies.len(),
                "{} writes for {} frames",
                output.writes,
                bodies.len()
            );

            // One answer alone: written and flushed although the relay then waits for more.
            let (server, from_server) = tokio::io::duplex(1024);
            let (answers, answers_rx) = unbounded_channel();
            let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let relay = tokio::spawn({
                let output = output.clone();
                async move {
                    let mut writer = SharedOutput(output);
                    relay_output(from_server, answers_rx, &mut writer).await;
                }
            });
            answers.send(VALID.as_bytes().to_vec()).unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while output.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert_eq!(*output.lock().unwrap(), framed(VALID));
            drop(server);
            drop(answers);
            relay.await.unwrap();
        });
    }

    /// An output shared with the test, which reads it while the relay still runs.
    struct SharedOutput(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl AsyncWrite for SharedOutput {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            self.0.lock().unwrap().extend_from_slice(buf);
            std::task::Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn well_formed_messages_pass_through_byte_for_byte() {
        let mut input = framed(VALID);
        input.extend(framed(
            r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
        ));
        input.extend(framed(r#"{"jsonrpc":"2.0","id":"a","result":null}"#));
        input.extend(framed(r#"{"jsonrpc":"2.0","method":"x","params":null}"#));
        input.extend(framed(
            r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}"#,
        ));
        let events = events(&input);
        assert_eq!(codes(&events), [0, 0, 0, 0, 0]);
        assert_eq!(events[0], Event::Message(VALID.as_bytes().to_vec()));
    }

    #[test]
    fn each_malformed_body_is_answered_and_the_next_message_still_arrives() {
        let cases: [(&[u8], i64); 10] = [
            (b"this is not json", PARSE_ERROR),
            (b"[]", INVALID_REQUEST),
            (
                br#"[{"jsonrpc":"2.0","id":1,"method":"x"}]"#,
                INVALID_REQUEST,
            ),
            (br#"{"id":1,"method":"shutdown"}"#, INVALID_REQUEST),
            (
                br#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#,
                INVALID_REQUEST,
            ),
            (
                br#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
                INVALID_REQUEST,
            ),
            (
                b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}",
                PARSE_ERROR,
            ),
            (br#"{"jsonrpc":"2.0","id":1,"method":5}"#, INVALID_REQUEST),
            (
                br#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#,
                INVALID_REQUEST,
            ),
            (br#"{"jsonrpc":"2.0"}"#, INVALID_REQUEST),
        ];
        for (body, code) in cases {
            let mut input = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
            input.extend_from_slice(body);
            input.extend(framed(VALID));
            let events = events(&input);
            let shown = String::from_utf8_lossy(body);
            assert_eq!(codes(&events), [code, 0], "{shown}");
        }
    }

    #[test]
    fn deep_nesting_is_a_parse_error_not_a_stack_overflow() {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let mut input = framed(&body);
        input.extend(framed(VALID));
        assert_eq!(codes(&events(&input)), [PARSE_ERROR, 0]);
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_nesting() {
        assert_eq!(nesting_depth(br#"{"a":"[[[[\"{{","b":[{}]}"#), 3);
        let deep = format!(
            r#"{{"jsonrpc":"2.0","method":"x","params":"{}"}}"#,
            "[".repeat(500)
        );
        assert_eq!(check_message(deep.as_bytes()), Ok(()));
    }

    #[test]
    fn the_id_of_an_invalid_request_is_kept_when_usable() {
        let events = events(&framed(r#"{"id":9,"method":"x"}"#));
        let Event::Malformed(problem) = &events[0] else {
            panic!("{events:?}");
        };
        assert_eq!(problem.id, Some(json!(9)));
    }

    #[test]
    fn broken_headers_resynchronise_on_the_next_content_length() {
        let bad_headers: [&[u8]; 5] = [
            b"Content-Length: ten\r\n\r\n{}",
            b"Content-Type: x\r\n\r\n{\"jsonrpc\":\"2.0\"}",
            b"garbage line\r\n\r\n",
            b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}",
            b"Content-Length: -1\r\n\r\n",
        ];
        for bad in bad_headers {
            let mut input = bad.to_vec();
            input.extend(framed(VALID));
            let events = events(&input);
            let shown = String::from_utf8_lossy(bad);
            assert_eq!(codes(&events), [PARSE_ERROR, 0], "{shown}");
        }
    }

    #[test]
    fn lf_only_headers_are_read() {
        let input = format!("Content-Length: {}\n\n{VALID}", VALID.len());
        assert_eq!(codes(&events(input.as_bytes())), [0]);
    }

    #[test]
    fn a_header_with_no_end_is_capped() {
        let mut frames = Deframer::default();
        let endless = vec![b'x'; 1024 * 1024];
        for piece in endless.chunks(READ_CHUNK) {
            frames.push(piece);
            while let Some(event) = frames.next_event() {
                assert!(matches!(event, Event::Malformed(_)), "{event:?}");
            }
            // Nothing accumulates beyond the header cap while it waits.
            assert!(frames.buffer.len() <= MAX_HEADER_BYTES + READ_CHUNK);
        }
        frames.push(&framed(VALID));
        let rest: Vec<Event> = std::iter::from_fn(|| frames.next_event()).collect();
        assert_eq!(
            rest.last(),
            Some(&Event::Message(VALID.as_bytes().to_vec()))
        );
    }

    #[test]
    fn a_truncated_body_at_the_end_of_input_is_reported() {
        let mut input = framed(VALID);
        input.truncate(input.len() - 5);
        assert_eq!(codes(&events(&input)), [PARSE_ERROR]);
    }

    #[test]
    fn an_over_long_message_is_skipped_without_being_kept() {
        let mut frames = Deframer::default();
        frames.push(format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE_BYTES + 10).as_bytes());
        assert!(matches!(
            frames.next_event(),
            Some(Event::Malformed(Malformed {
                code: INVALID_REQUEST,
                ..
            }))
        ));
        let mut left = MAX_MESSAGE_BYTES + 10;
        let piece = vec![b' '; 1024 * 1024];
        while left > 0 {
            let take = left.min(piece.len());
            frames.push(&piece[..take]);
            left -= take;
            assert_eq!(frames.next_event(), None);
            assert!(frames.buffer.is_empty());
        }
        frames.push(&framed(VALID));
        assert_eq!(
            frames.next_event(),
            Some(Event::Message(VALID.as_bytes().to_vec()))
        );
    }

    #[test]
    fn whatever_passes_the_check_the_server_can_decode() {
        let accepted = [
            VALID,
            r#"{"jsonrpc":"2.0","method":"initialized"}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#,
            r#"{"jsonrpc":"2.0","id":"s","result":{"a":[1,2]}}"#,
            r#"{"jsonrpc":"2.0","id":"s","result":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"m","data":[1]}}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"x","params":[1,"a"]}"#,
        ];
        for text in accepted {
            check_message(text.as_bytes()).unwrap_or_else(|p| panic!("{text}: {p:?}"));
            let value: Value = serde_json::from_str(text).unwrap();
            let decoded = if value.get("method").is_some() {
                serde_json::from_value::<Request>(value).is_ok()
            } else {
                serde_json::from_value::<Response>(value).is_ok()
            };
            assert!(decoded, "{text}");
        }
    }
}
