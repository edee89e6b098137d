//! Wire types of Anthropic's Messages API: serde only, no logic.
//!
//! Both directions: llmux serialises requests and parses answers and events; the
//! `/v1/messages` entrance parses client requests and serialises answers and events with
//! the same types. Unknown fields land in `extra` maps and unknown content blocks and
//! tools are kept verbatim as [`serde_json::Value`], so nothing a client sent is lost.
//!
//! API reference: <https://docs.anthropic.com/en/api/messages>,
//! streaming: <https://docs.anthropic.com/en/docs/build-with-claude/streaming>,
//! errors: <https://docs.anthropic.com/en/api/errors>.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A Messages API request body (`POST /v1/messages`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicRequest {
    /// Absent on Vertex AI, where the model is in the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub messages: Vec<AnthropicMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<AnthropicSystem>,
    /// Required by Anthropic; optional here so the entrance can apply a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<AnthropicTool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<AnthropicToolChoice>,
    /// `{"type": "enabled", "budget_tokens": N}` or `{"type": "disabled"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Value>,
    /// `{"user_id": "…"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<AnthropicMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Everything else (`anthropic_version` on Vertex, `container`, `mcp_servers`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `metadata` of a request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `system`: a string or a list of (text) blocks.
#[derive(Debug, Clone, PartialEq)]
pub enum AnthropicSystem {
    Text(String),
    Blocks(Vec<AnthropicContentBlock>),
}

/// One turn of `messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnthropicMessage {
    pub role: AnthropicRole,
    pub content: AnthropicContent,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The role of a turn (and of an answer, always `assistant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnthropicRole {
    #[default]
    User,
    Assistant,
}

/// A message's (or a tool result's) content: a string or a list of blocks.
#[derive(Debug, Clone, PartialEq)]
pub enum AnthropicContent {
    Text(String),
    Blocks(Vec<AnthropicContentBlock>),
}

/// A content block, in requests, answers and `content_block_start` events.
///
/// Serialised with its `type` tag; a block of an unknown `type` is kept verbatim in
/// [`AnthropicContentBlock::Other`].
#[derive(Debug, Clone, PartialEq)]
pub enum AnthropicContentBlock {
    Text(AnthropicTextBlock),
    Image(AnthropicImageBlock),
    Document(AnthropicDocumentBlock),
    ToolUse(AnthropicToolUseBlock),
    ToolResult(AnthropicToolResultBlock),
    Thinking(AnthropicThinkingBlock),
    RedactedThinking(AnthropicRedactedThinkingBlock),
    /// Any other block (`server_tool_use`, `web_search_tool_result`, `search_result`, …),
    /// including its `type`.
    Other(Value),
}

/// `{"type": "text", "text": …}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicTextBlock {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    /// In answers: the citations backing this text (`null` is kept as absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"type": "image", "source": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnthropicImageBlock {
    pub source: AnthropicSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"type": "document", "source": …}` (PDFs, plain text, custom content).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnthropicDocumentBlock {
    pub source: AnthropicSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `{"enabled": true}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citations: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where an image's or a document's bytes come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnthropicSource {
    /// Inline bytes, base64-encoded.
    Base64 { media_type: String, data: String },
    /// A URL Anthropic fetches.
    Url { url: String },
    /// Plain text (documents).
    Text { media_type: String, data: String },
    /// Custom content blocks (documents).
    Content { content: Value },
    /// A file uploaded through the Files API.
    File { file_id: String },
}

/// `{"type": "tool_use", "id", "name", "input"}`: the model calls a tool.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicToolUseBlock {
    pub id: String,
    pub name: String,
    /// A JSON object (`{}` at `content_block_start` in a stream).
    pub input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"type": "tool_result", "tool_use_id", "content"?, "is_error"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnthropicToolResultBlock {
    pub tool_use_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<AnthropicContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"type": "thinking", "thinking", "signature"}`: extended thinking.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicThinkingBlock {
    #[serde(default)]
    pub thinking: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"type": "redacted_thinking", "data"}`: encrypted thinking.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicRedactedThinkingBlock {
    pub data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An entry of `tools`.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a request has a handful of tools; no Box keeps matching simple"
)]
pub enum AnthropicTool {
    /// A client tool: no `type`, or `"type": "custom"`.
    Custom(AnthropicCustomTool),
    /// A server or Anthropic-defined tool (`web_search_20250305`, `bash_20250124`,
    /// `computer_20250124`, …), kept verbatim including its `type`.
    Other(Value),
}

/// A client tool with a JSON schema.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicCustomTool {
    /// `Some("custom")` or absent (LiteLLM omits it on its `json_tool_call` tool).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `tool_choice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnthropicToolChoice {
    Auto {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    Any {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    Tool {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    None,
}

/// A Messages API answer (also the `message` of `message_start`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnthropicResponse {
    pub id: String,
    /// Always `"message"`.
    #[serde(rename = "type", default = "message_type")]
    pub kind: String,
    #[serde(default)]
    pub role: AnthropicRole,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub content: Vec<AnthropicContentBlock>,
    /// `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, `pause_turn`, `refusal`.
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
    #[serde(default)]
    pub usage: AnthropicUsage,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn message_type() -> String {
    "message".to_owned()
}

/// Token counts of an answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// `{"web_search_requests": N}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// `{"ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"}` and the like.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Token counts in `message_delta`: cumulative, every field optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicDeltaUsage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One server-sent event of a streamed answer (the `data:` JSON; its `type` repeats the
/// SSE `event:` name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnthropicStreamEvent {
    MessageStart {
        message: AnthropicResponse,
    },
    ContentBlockStart {
        index: usize,
        content_block: AnthropicContentBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: AnthropicBlockDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: AnthropicMessageDelta,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<AnthropicDeltaUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: AnthropicErrorDetail,
    },
    /// An event type added after these types were written; Anthropic asks clients to
    /// ignore those. Cannot be serialised.
    #[serde(other, skip_serializing)]
    Unknown,
}

/// The `delta` of `content_block_delta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnthropicBlockDelta {
    TextDelta {
        text: String,
    },
    /// A piece of a `tool_use` block's input JSON.
    InputJsonDelta {
        partial_json: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    SignatureDelta {
        signature: String,
    },
    CitationsDelta {
        citation: Value,
    },
    /// A delta type added later. Cannot be serialised.
    #[serde(other, skip_serializing)]
    Unknown,
}

/// The `delta` of `message_delta`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicMessageDelta {
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An error answer: `{"type": "error", "error": {"type", "message"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnthropicErrorBody {
    /// Always `"error"`.
    #[serde(rename = "type", default = "error_type")]
    pub kind: String,
    pub error: AnthropicErrorDetail,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn error_type() -> String {
    "error".to_owned()
}

/// `error` of an error answer or of a stream `error` event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AnthropicErrorDetail {
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `not_found_error`, `request_too_large`, `rate_limit_error`, `api_error`,
    /// `overloaded_error`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub message: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---- hand-written serde: string-or-blocks, tagged blocks with a verbatim fallback ----

/// The tagged form of the known blocks, borrowed for serialising.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum KnownBlockRef<'a> {
    Text(&'a AnthropicTextBlock),
    Image(&'a AnthropicImageBlock),
    Document(&'a AnthropicDocumentBlock),
    ToolUse(&'a AnthropicToolUseBlock),
    ToolResult(&'a AnthropicToolResultBlock),
    Thinking(&'a AnthropicThinkingBlock),
    RedactedThinking(&'a AnthropicRedactedThinkingBlock),
}

/// The tagged form of the known blocks, owned for parsing.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum KnownBlock {
    Text(AnthropicTextBlock),
    Image(AnthropicImageBlock),
    Document(AnthropicDocumentBlock),
    ToolUse(AnthropicToolUseBlock),
    ToolResult(AnthropicToolResultBlock),
    Thinking(AnthropicThinkingBlock),
    RedactedThinking(AnthropicRedactedThinkingBlock),
}

const KNOWN_BLOCK_TYPES: &[&str] = &[
    "text",
    "image",
    "document",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
];

impl Serialize for AnthropicContentBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(b) => KnownBlockRef::Text(b).serialize(s),
            Self::Image(b) => KnownBlockRef::Image(b).serialize(s),
            Self::Document(b) => KnownBlockRef::Document(b).serialize(s),
            Self::ToolUse(b) => KnownBlockRef::ToolUse(b).serialize(s),
            Self::ToolResult(b) => KnownBlockRef::ToolResult(b).serialize(s),
            Self::Thinking(b) => KnownBlockRef::Thinking(b).serialize(s),
            Self::RedactedThinking(b) => KnownBlockRef::RedactedThinking(b).serialize(s),
            Self::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for AnthropicContentBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let known = value
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| KNOWN_BLOCK_TYPES.contains(&t));
        if !known {
            if !value.is_object() {
                return Err(D::Error::custom("a content block must be a JSON object"));
            }
            return Ok(Self::Other(value));
        }
        Ok(
            match KnownBlock::deserialize(value).map_err(D::Error::custom)? {
                KnownBlock::Text(b) => Self::Text(b),
                KnownBlock::Image(b) => Self::Image(b),
                KnownBlock::Document(b) => Self::Document(b),
                KnownBlock::ToolUse(b) => Self::ToolUse(b),
                KnownBlock::ToolResult(b) => Self::ToolResult(b),
                KnownBlock::Thinking(b) => Self::Thinking(b),
                KnownBlock::RedactedThinking(b) => Self::RedactedThinking(b),
            },
        )
    }
}

impl Serialize for AnthropicContent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(t) => t.serialize(s),
            Self::Blocks(b) => b.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for AnthropicContent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(t) => Ok(Self::Text(t)),
            v @ Value::Array(_) => Vec::deserialize(v)
                .map(Self::Blocks)
                .map_err(D::Error::custom),
            _ => Err(D::Error::custom(
                "content must be a string or a list of content blocks",
            )),
        }
    }
}

impl Serialize for AnthropicSystem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(t) => t.serialize(s),
            Self::Blocks(b) => b.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for AnthropicSystem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match AnthropicContent::deserialize(d)? {
            AnthropicContent::Text(t) => Ok(Self::Text(t)),
            AnthropicContent::Blocks(b) => Ok(Self::Blocks(b)),
        }
    }
}

impl Serialize for AnthropicTool {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Custom(t) => t.serialize(s),
            Self::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for AnthropicTool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        if !value.is_object() {
            return Err(D::Error::custom("a tool must be a JSON object"));
        }
        match value.get("type") {
            None | Some(Value::Null) => {}
            Some(Value::String(t)) if t == "custom" => {}
            Some(_) => return Ok(Self::Other(value)),
        }
        AnthropicCustomTool::deserialize(value)
            .map(Self::Custom)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de>>(v: &Value) -> Value {
        let parsed: T = serde_json::from_value(v.clone()).unwrap();
        serde_json::to_value(&parsed).unwrap()
    }

    #[test]
    fn request_round_trips_with_unknown_blocks_tools_and_fields() {
        let body = json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "xyz"},
                    {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok", "is_error": false},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}},
                    {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}, "title": "t"},
                    {"type": "search_result", "source": "s", "title": "t", "content": []}
                ]}
            ],
            "tools": [
                {"type": "custom", "name": "f", "description": "d", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}},
                {"name": "json_tool_call", "input_schema": {"type": "object"}},
                {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
            ],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "metadata": {"user_id": "u1"},
            "stop_sequences": ["END"],
            "stream": true,
            "service_tier": "auto",
            "container": "c1"
        });
        assert_eq!(round_trip::<AnthropicRequest>(&body), body);
        let parsed: AnthropicRequest = serde_json::from_value(body).unwrap();
        assert!(matches!(
            parsed.tools.as_deref(),
            Some([
                AnthropicTool::Custom(_),
                AnthropicTool::Custom(_),
                AnthropicTool::Other(_)
            ])
        ));
        assert_eq!(parsed.extra.get("container"), Some(&json!("c1")));
    }

    #[test]
    fn response_and_events_round_trip() {
        let response = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
            "content": [{"type": "text", "text": "hi"}, {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 3, "output_tokens": 4, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0, "service_tier": "standard"}
        });
        assert_eq!(round_trip::<AnthropicResponse>(&response), response);
        for event in [
            json!({"type": "message_start", "message": response}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "h"}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\""}}),
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "signature_delta", "signature": "s"}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 9}}),
            json!({"type": "message_stop"}),
            json!({"type": "ping"}),
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ] {
            assert_eq!(round_trip::<AnthropicStreamEvent>(&event), event);
        }
        let unknown: AnthropicStreamEvent =
            serde_json::from_value(json!({"type": "brand_new", "x": 1})).unwrap();
        assert_eq!(unknown, AnthropicStreamEvent::Unknown);
    }

    #[test]
    fn error_body_round_trips() {
        let body = json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}, "request_id": "req_1"});
        assert_eq!(round_trip::<AnthropicErrorBody>(&body), body);
    }

    #[test]
    fn malformed_known_block_is_an_error_not_other() {
        let r =
            serde_json::from_value::<AnthropicContentBlock>(json!({"type": "tool_use", "id": 1}));
        assert!(r.is_err());
    }
}
