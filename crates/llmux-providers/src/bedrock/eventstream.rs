//! The binary AWS event-stream (`application/vnd.amazon.eventstream`), split anywhere.
//!
//! A message is a 12-byte prelude (total length, headers length, prelude CRC32), the
//! headers, the payload and a message CRC32
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html>).
//! This parser only cuts the byte stream into whole messages; decoding and CRC checks
//! are `aws-smithy-eventstream`'s. It never waits for more than [`MAX_MESSAGE_LEN`]
//! bytes, so a corrupt length cannot make it buffer without end.

use aws_smithy_eventstream::frame::read_message_from;
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::{Buf, BytesMut};

/// The largest message accepted (AWS's own limit is 16 MiB).
pub const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;

/// Prelude (8) + prelude CRC (4) + message CRC (4): the smallest message.
const MIN_MESSAGE_LEN: usize = 16;

/// Why the byte stream is not a valid event-stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("event-stream message declares {0} bytes, outside 16..={MAX_MESSAGE_LEN}")]
    BadLength(usize),
    #[error("event-stream ended inside a message ({0} bytes left over)")]
    Truncated(usize),
    #[error("invalid event-stream message: {0}")]
    Invalid(String),
}

/// One decoded message with the headers Bedrock uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `:message-type`: `event`, `exception` or `error`.
    pub message_type: String,
    /// `:event-type` (`contentBlockDelta`, …) for events.
    pub event_type: String,
    /// `:exception-type` (`throttlingException`, …), or `:error-code` for errors.
    pub exception_type: Option<String>,
    pub payload: bytes::Bytes,
}

/// Cuts a byte stream into [`Event`]s.
#[derive(Debug, Default)]
pub struct EventStreamParser {
    buf: BytesMut,
}

impl EventStreamParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes and appends the messages they complete to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), FrameError> {
        self.buf.extend_from_slice(bytes);
        while self.buf.len() >= 4 {
            let declared = (&self.buf[..4]).get_u32();
            let len = usize::try_from(declared).unwrap_or(usize::MAX);
            if !(MIN_MESSAGE_LEN..=MAX_MESSAGE_LEN).contains(&len) {
                return Err(FrameError::BadLength(len));
            }
            if self.buf.len() < len {
                break;
            }
            let frame = self.buf.split_to(len).freeze();
            let message =
                read_message_from(frame).map_err(|e| FrameError::Invalid(e.to_string()))?;
            out.push(event(&message));
        }
        Ok(())
    }

    /// End of the body: bytes left over are a cut-off message.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(FrameError::Truncated(self.buf.len()))
        }
    }
}

fn event(m: &Message) -> Event {
    let header = |name: &str| {
        m.headers()
            .iter()
            .find(|h| h.name().as_str() == name)
            .and_then(|h| match h.value() {
                HeaderValue::String(s) => Some(s.as_str().to_owned()),
                _ => None,
            })
    };
    Event {
        message_type: header(":message-type").unwrap_or_else(|| "event".to_owned()),
        event_type: header(":event-type").unwrap_or_default(),
        exception_type: header(":exception-type").or_else(|| header(":error-code")),
        payload: m.payload().clone(),
    }
}

/// Encodes one message (for tests and the fake upstream): string headers only.
pub fn encode(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut hb = Vec::new();
    for (name, value) in headers {
        let name = &name.as_bytes()[..name.len().min(255)];
        let value = &value.as_bytes()[..value.len().min(u16::MAX as usize)];
        hb.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
        hb.extend_from_slice(name);
        hb.push(7);
        hb.extend_from_slice(&u16::try_from(value.len()).unwrap_or(u16::MAX).to_be_bytes());
        hb.extend_from_slice(value);
    }
    let total = 12 + hb.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&u32::try_from(hb.len()).unwrap_or(u32::MAX).to_be_bytes());
    let prelude_crc = crc32(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&hb);
    out.extend_from_slice(payload);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// CRC-32 (IEEE), bitwise: only the encoder for tests uses it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<u8> {
        let mut all = encode(
            &[
                (":event-type", "messageStart"),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            br#"{"role":"assistant"}"#,
        );
        all.extend(encode(
            &[
                (":event-type", "contentBlockDelta"),
                (":message-type", "event"),
            ],
            br#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#,
        ));
        all.extend(encode(
            &[
                (":exception-type", "throttlingException"),
                (":message-type", "exception"),
            ],
            br#"{"message":"slow down"}"#,
        ));
        all
    }

    fn decode_in(pieces: &[&[u8]]) -> Result<Vec<Event>, FrameError> {
        let mut p = EventStreamParser::new();
        let mut out = Vec::new();
        for piece in pieces {
            p.feed(piece, &mut out)?;
        }
        p.finish()?;
        Ok(out)
    }

    #[test]
    fn decodes_events_and_exceptions() {
        let events = decode_in(&[&sample()]).unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[1].event_type, "contentBlockDelta");
        assert_eq!(events[2].message_type, "exception");
        assert_eq!(
            events[2].exception_type.as_deref(),
            Some("throttlingException")
        );
    }

    #[test]
    fn every_split_point_decodes_identically() {
        let all = sample();
        let whole = decode_in(&[&all]).unwrap();
        for i in 0..=all.len() {
            let (a, b) = all.split_at(i);
            assert_eq!(decode_in(&[a, b]).unwrap(), whole, "split at {i}");
        }
    }

    #[test]
    fn truncation_bad_crcs_and_lengths_are_typed_errors() {
        let all = sample();
        assert!(matches!(
            decode_in(&[&all[..all.len() - 1]]),
            Err(FrameError::Truncated(_))
        ));
        let mut bad_prelude = all.clone();
        bad_prelude[9] ^= 0xFF;
        assert!(matches!(
            decode_in(&[&bad_prelude]),
            Err(FrameError::Invalid(_))
        ));
        let mut bad_message = all.clone();
        bad_message[20] ^= 0xFF;
        assert!(matches!(
            decode_in(&[&bad_message]),
            Err(FrameError::Invalid(_))
        ));
        let huge = [0xFFu8, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];
        assert!(matches!(decode_in(&[&huge]), Err(FrameError::BadLength(_))));
        // Headers that claim more bytes than the message holds.
        let mut long_headers = encode(&[(":event-type", "x")], b"{}");
        long_headers[4..8].copy_from_slice(&200u32.to_be_bytes());
        assert!(decode_in(&[&long_headers]).is_err());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), cut in 0usize..512) {
            let cut = cut.min(bytes.len());
            let (a, b) = bytes.split_at(cut);
            let _ = decode_in(&[a, b]);
        }

        #[test]
        fn corrupted_messages_never_panic(flip in 0usize..200, bit in 0u8..8) {
            let mut all = sample();
            let i = flip % all.len();
            all[i] ^= 1 << bit;
            let _ = decode_in(&[&all]);
        }

        #[test]
        fn any_chunking_decodes_identically(sizes in proptest::collection::vec(1usize..40, 1..64)) {
            let all = sample();
            let whole = decode_in(&[&all]).unwrap();
            let mut pieces = Vec::new();
            let mut at = 0;
            for s in sizes.iter().cycle() {
                if at >= all.len() { break; }
                let end = (at + s).min(all.len());
                pieces.push(&all[at..end]);
                at = end;
            }
            prop_assert_eq!(decode_in(&pieces).unwrap(), whole);
        }
    }
}
