//! InvokeModelWithResponseStream for Anthropic models: each event-stream `chunk` message
//! carries `{"bytes": "<base64>"}`, the base64 of one Anthropic stream event. The events
//! go through the Anthropic decoder, so a `bedrock/invoke/` stream reads like a direct
//! Anthropic one; exception messages are Bedrock's typed errors.

use base64::Engine;
use llmux_types::{ChatChunk, Error, ErrorKind};
use serde_json::Value;

use super::error::stream_exception;
use super::eventstream::{Event, EventStreamParser};
use crate::ParseContext;
use crate::anthropic::AnthropicStreamDecoder;

/// Decodes an InvokeModelWithResponseStream body of an Anthropic model.
#[derive(Debug)]
pub struct BedrockInvokeStreamDecoder {
    parser: EventStreamParser,
    events: Vec<Event>,
    inner: AnthropicStreamDecoder,
}

impl BedrockInvokeStreamDecoder {
    pub fn new(ctx: &ParseContext<'_>) -> Self {
        Self {
            parser: EventStreamParser::new(),
            events: Vec::new(),
            inner: AnthropicStreamDecoder::new(ctx),
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        self.parser
            .feed(bytes, &mut self.events)
            .map_err(|e| broken(&e.to_string()))?;
        let mut sse = Vec::new();
        for event in std::mem::take(&mut self.events) {
            if event.message_type != "event" {
                return Err(stream_exception(
                    event
                        .exception_type
                        .as_deref()
                        .unwrap_or(&event.message_type),
                    &event.payload,
                ));
            }
            if event.event_type != "chunk" {
                continue;
            }
            let v: Value =
                serde_json::from_slice(&event.payload).map_err(|e| broken(&e.to_string()))?;
            let encoded = v.get("bytes").and_then(Value::as_str).unwrap_or_default();
            let json = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| broken(&e.to_string()))?;
            sse.extend_from_slice(b"data: ");
            sse.extend_from_slice(&json);
            sse.extend_from_slice(b"\n\n");
        }
        self.inner.feed(&sse)
    }

    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        self.parser.finish().map_err(|e| broken(&e.to_string()))?;
        self.inner.finish()
    }
}

fn broken(detail: &str) -> Error {
    Error::new(
        ErrorKind::InternalServer,
        format!("BedrockException - Received streaming error - {detail}"),
    )
    .with_provider("bedrock")
}
