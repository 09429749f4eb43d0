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

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{ClientSocket, Server};
use tower_service::Service;

mod frames;
mod message;

use frames::{Deframer, Event};

/// A header is a line or two (`Content-Length`, maybe `Content-Type`); more than this without
/// its blank line is not a header.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// The largest message read. Far above any real one (the largest is a whole open document,
/// and documents are capped at 16 MB for analysis), yet a bound on what one frame may cost.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// How many bytes are read from the client at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Serves `service` over stdin/stdout through this layer until the input ends. `frames` is
/// where messages written beside the server's own arrive (its sender is also used for this
/// layer's answers); each is dropped once written.
pub async fn serve<S, F>(
    service: S,
    socket: ClientSocket,
    frames: (UnboundedSender<F>, UnboundedReceiver<F>),
) where
    F: AsRef<[u8]> + From<Vec<u8>>,
    S: Service<Request, Response = Option<Response>> + Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: Send,
{
    let (to_server, server_input) = tokio::io::duplex(READ_CHUNK);
    let (server_output, from_server) = tokio::io::duplex(READ_CHUNK);
    let (answers, answers_rx) = frames;
    let server = Server::new(server_input, server_output, socket).serve(service);
    let input = relay_input(tokio::io::stdin(), to_server, answers);
    let output = relay_output(from_server, answers_rx, tokio::io::stdout());
    tokio::join!(server, input, output);
}

/// Copies well-formed messages from `input` to the server; answers the rest through
/// `answers`. Returns when `input` ends.
async fn relay_input<F: From<Vec<u8>>>(
    mut input: impl AsyncRead + Unpin,
    mut server: impl AsyncWrite + Unpin,
    answers: UnboundedSender<F>,
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
                        let _ = answers.send(F::from(message));
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
async fn relay_output<F: AsRef<[u8]> + From<Vec<u8>>>(
    server: impl AsyncRead + Unpin,
    mut answers: UnboundedReceiver<F>,
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
            frame = server.next(), if !server.ended => Some(frame.map(F::from)),
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
        let header = format!("Content-Length: {}\r\n\r\n", body.as_ref().len());
        let written = async {
            output.write_all(header.as_bytes()).await?;
            output.write_all(body.as_ref()).await
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

#[cfg(test)]
mod tests;
