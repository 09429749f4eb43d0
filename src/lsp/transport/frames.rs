//! Finding frames in the client's bytes: `Content-Length` headers (LF-only ones too), bodies,
//! and resynchronising on the next header after garbage.

use super::message::{Malformed, check_message};
use super::{MAX_HEADER_BYTES, MAX_MESSAGE_BYTES};

/// What the input held next.
#[derive(Debug, PartialEq)]
pub enum Event {
    /// A message body the server can decode.
    Message(Vec<u8>),
    /// Bytes that are not one: answered and logged, then skipped.
    Malformed(Malformed),
}

/// Splits a byte stream into frames. Pure: bytes in, events out, so every malformed shape is
/// testable without a process.
#[derive(Debug)]
pub struct Deframer {
    /// Bytes read and not yet taken (the tests check that it stays bounded).
    pub(super) buffer: Vec<u8>,
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
    pub(super) fn trusting() -> Deframer {
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
