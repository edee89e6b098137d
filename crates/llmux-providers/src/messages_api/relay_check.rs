//! The native `/v1/messages` stream is relayed byte for byte, but never so that a broken
//! upstream looks like a whole answer: [`RelayCheck`] cuts the body into SSE frames, lets
//! only complete ones through, and checks each. A frame whose data is not a JSON object
//! with a `type` is an error, and so is a body that ends before `message_stop` (or an
//! upstream `error` event); the entrance ends the stream with an `event: error` frame.

use llmux_types::{Error, ErrorKind};
use serde::Deserialize;

/// Frames and checks one relayed Anthropic SSE body, fed in pieces split anywhere.
#[derive(Debug, Default)]
pub struct RelayCheck {
    /// Bytes of the frame not yet complete.
    held: Vec<u8>,
    /// `message_stop` or an upstream `error` event went by: the stream ended honestly.
    ended: bool,
}

/// The one field of an event's data the check needs.
#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

impl RelayCheck {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends to `out` every frame that `bytes` completes. A malformed one is an error;
    /// the frames before it are in `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.held.is_empty() {
            // Frames that arrive whole (the usual case) are not copied twice.
            let done = self.frames(bytes, out)?;
            self.held
                .extend_from_slice(bytes.get(done..).unwrap_or_default());
            return Ok(());
        }
        let mut held = std::mem::take(&mut self.held);
        held.extend_from_slice(bytes);
        let done = self.frames(&held, out)?;
        held.drain(..done.min(held.len()));
        self.held = held;
        Ok(())
    }

    /// How many bytes wait for the end of their frame.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// End of the body: a last frame without its blank line is checked and relayed
    /// (closed with one); a body that ended before `message_stop` is an error.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let rest = std::mem::take(&mut self.held);
        if !rest.iter().all(u8::is_ascii_whitespace) {
            self.check(&rest)?;
            out.extend_from_slice(&rest);
            out.extend_from_slice(b"\n\n");
        }
        if self.ended {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::ApiConnection,
                "AnthropicException - the stream ended before message_stop: the answer was cut off",
            )
            .with_provider("anthropic"))
        }
    }

    /// Checks and copies the complete frames at the start of `buf`; how many bytes
    /// they took.
    fn frames(&mut self, buf: &[u8], out: &mut Vec<u8>) -> Result<usize, Error> {
        let mut pos = 0;
        while let Some(end) = buf.get(pos..).and_then(super::passthrough::frame_end) {
            let next = pos.saturating_add(end);
            let frame = buf.get(pos..next).unwrap_or_default();
            self.check(frame)?;
            out.extend_from_slice(frame);
            pos = next;
        }
        Ok(pos)
    }

    /// One frame: its `data:` lines, if any, are a JSON object with a `type`.
    fn check(&mut self, frame: &[u8]) -> Result<(), Error> {
        let text = std::str::from_utf8(frame).map_err(|_| malformed("it is not UTF-8"))?;
        let mut data = String::new();
        let mut has_data = false;
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(value) = line.strip_prefix("data:") {
                if has_data {
                    data.push('\n');
                }
                data.push_str(value.strip_prefix(' ').unwrap_or(value));
                has_data = true;
            }
        }
        if !has_data {
            // A comment, a keep-alive, an `event:` line alone: nothing is dispatched.
            return Ok(());
        }
        let typed: Typed<'_> =
            serde_json::from_str(&data).map_err(|e| malformed(&e.to_string()))?;
        if matches!(typed.kind.as_ref(), "message_stop" | "error") {
            self.ended = true;
        }
        Ok(())
    }
}

/// An event that is not a JSON object with a `type` (`detail`: why).
fn malformed(detail: &str) -> Error {
    Error::new(
        ErrorKind::Api,
        format!("AnthropicException - upstream sent a stream event that is not JSON: {detail}"),
    )
    .with_provider("anthropic")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WHOLE: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n: keep-alive\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"h\u{e9}\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    fn run(pieces: &[&[u8]]) -> (Vec<u8>, Result<(), Error>) {
        let mut c = RelayCheck::new();
        let mut out = Vec::new();
        for p in pieces {
            if let Err(e) = c.feed(p, &mut out) {
                return (out, Err(e));
            }
        }
        let r = c.finish(&mut out);
        (out, r)
    }

    #[test]
    fn a_whole_stream_is_relayed_as_it_came() {
        let (out, r) = run(&[WHOLE.as_bytes()]);
        r.unwrap();
        assert_eq!(out, WHOLE.as_bytes());
    }

    proptest! {
        #[test]
        fn any_split_relays_the_same_bytes(a in 0..=WHOLE.len(), b in 0..=WHOLE.len()) {
            let (a, b) = (a.min(b), a.max(b));
            let bytes = WHOLE.as_bytes();
            let (out, r) = run(&[&bytes[..a], &bytes[a..b], &bytes[b..]]);
            prop_assert!(r.is_ok());
            prop_assert_eq!(out, bytes);
        }

        #[test]
        fn a_cut_anywhere_before_message_stop_is_an_error(cut in 0..WHOLE.find("event: message_stop").unwrap_or(0)) {
            let (out, r) = run(&[&WHOLE.as_bytes()[..cut]]);
            let e = r.unwrap_err();
            prop_assert!(e.message.contains("before message_stop") || e.message.contains("not JSON"), "{}", e.message);
            prop_assert!(!String::from_utf8_lossy(&out).contains("message_stop"));
        }
    }

    #[test]
    fn frames_before_a_malformed_event_are_relayed_and_nothing_after_it() {
        let body = "event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: content_block_delta\ndata: {not json\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        let (out, r) = run(&[body.as_bytes()]);
        let e = r.unwrap_err();
        assert!(e.message.contains("not JSON"), "{}", e.message);
        assert_eq!(e.status.as_u16(), 500);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "event: message_start\ndata: {\"type\":\"message_start\"}\n\n"
        );
        for bad in [
            "data: [1, 2]\n\n",
            "data: {\"no_type\": 1}\n\n",
            "data: \u{0}\n\n",
        ] {
            let (_, r) = run(&[bad.as_bytes()]);
            assert!(r.unwrap_err().message.contains("not JSON"), "{bad:?}");
        }
    }

    #[test]
    fn an_incomplete_frame_is_held_and_an_upstream_error_event_ends_honestly() {
        let mut c = RelayCheck::new();
        let mut out = Vec::new();
        c.feed(b"event: error\ndata: {\"type\":\"error\",", &mut out)
            .unwrap();
        assert!(out.is_empty(), "half a frame is not relayed");
        assert_eq!(c.held(), 35);
        c.feed(b"\"error\":{\"type\":\"overloaded_error\"}}", &mut out)
            .unwrap();
        c.finish(&mut out).unwrap();
        assert!(out.ends_with(b"}}\n\n"), "the last frame is closed");
    }
}
