//! The transport's framing and message checks, byte for byte, without a process.

use serde_json::{Value, json};

use super::message::{INVALID_REQUEST, Malformed, PARSE_ERROR, check_message, nesting_depth};
use super::*;
use tokio::sync::mpsc::unbounded_channel;

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

/// An output that records what reaches it and counts the writes that carry it. Clones share
/// the record, so the test can read it while the relay still writes.
#[derive(Clone, Default)]
struct RecordingOutput(std::sync::Arc<std::sync::Mutex<Recorded>>);

#[derive(Default)]
struct Recorded {
    bytes: Vec<u8>,
    writes: usize,
}

impl RecordingOutput {
    fn recorded(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.0.lock().unwrap()
    }
}

impl AsyncWrite for RecordingOutput {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let mut recorded = self.recorded();
        recorded.writes += 1;
        recorded.bytes.extend_from_slice(buf);
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
        let mut output = RecordingOutput::default();
        relay_output(from_server, answers_rx, &mut output).await;
        {
            let recorded = output.recorded();
            assert_eq!(recorded.bytes, burst, "every frame whole and in order");
            assert!(
                recorded.writes * 20 <= bodies.len(),
                "{} writes for {} frames",
                recorded.writes,
                bodies.len()
            );
        }

        // One answer alone: written and flushed although the relay then waits for more.
        let (server, from_server) = tokio::io::duplex(1024);
        let (answers, answers_rx) = unbounded_channel::<Vec<u8>>();
        let output = RecordingOutput::default();
        let relay = tokio::spawn({
            let mut writer = output.clone();
            async move {
                relay_output(from_server, answers_rx, &mut writer).await;
            }
        });
        answers.send(VALID.as_bytes().to_vec()).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while output.recorded().bytes.is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(output.recorded().bytes, framed(VALID));
        drop(server);
        drop(answers);
        relay.await.unwrap();
    });
}
