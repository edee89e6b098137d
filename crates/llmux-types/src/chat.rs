//! The chat completion request (`POST /v1/chat/completions`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{JsonMap, Role, ToolCall};

/// A chat completion request in OpenAI's schema.
///
/// Typed fields are the ones llmux reads or translates; everything else a client sends
/// stays in [`ChatRequest::extra`] and is forwarded to OpenAI-compatible providers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// Required; empty when a route names the model instead (Azure deployment paths).
    #[serde(default)]
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopSequences>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<JsonMap>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modalities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    /// Deprecated OpenAI function calling, forwarded as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Value>,
    /// Every other field, kept verbatim.
    #[serde(flatten)]
    pub extra: JsonMap,
    /// No provider adds its `"stream": false` default to this request: LiteLLM's
    /// Responses bridge leaves `stream` unset where its chat entrance sends `false`.
    /// Set by the entrance; never serialised (so lost in a serde round trip).
    #[serde(skip)]
    pub omit_stream_default: bool,
}

impl ChatRequest {
    /// Whether the client asked for a stream.
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// Whether the client asked for a final usage chunk in a stream.
    pub fn include_usage(&self) -> bool {
        self.stream_options.as_ref().and_then(|o| o.include_usage) == Some(true)
    }
}

/// `stream_options`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `stop`: one string or several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StopSequences {
    One(String),
    Many(Vec<String>),
}

impl StopSequences {
    /// The sequences as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

/// One message of the conversation, of any role.
///
/// A single struct rather than an enum per role: roles are an open set, and the optional
/// fields are the union OpenAI defines (`tool_calls` on assistant turns, `tool_call_id`
/// on tool turns). Provider-specific fields such as `cache_control` stay in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Reasoning text a previous assistant turn carried (LiteLLM extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Signed thinking blocks a previous assistant turn carried (LiteLLM extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_blocks: Option<Vec<Value>>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl ChatMessage {
    /// A message with plain-text content.
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(MessageContent::Text(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
            reasoning_content: None,
            thinking_blocks: None,
            extra: JsonMap::new(),
        }
    }

    /// A user message with plain-text content.
    pub fn user(text: impl Into<String>) -> Self {
        Self::new(Role::User, text)
    }

    /// A system message with plain-text content.
    pub fn system(text: impl Into<String>) -> Self {
        Self::new(Role::System, text)
    }
}

/// Message content: a string, or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl MessageContent {
    /// All text of the content, parts joined without separator.
    pub fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect(),
        }
    }
}

/// One part of a multi-part message.
///
/// Known part types are typed; a part type llmux does not know is kept verbatim in
/// [`ContentPart::Other`] and forwarded where the provider speaks OpenAI's schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContentPart {
    Text {
        #[serde(rename = "type")]
        kind: TextTag,
        text: String,
        #[serde(flatten)]
        extra: JsonMap,
    },
    ImageUrl {
        #[serde(rename = "type")]
        kind: ImageUrlTag,
        image_url: ImageUrl,
        #[serde(flatten)]
        extra: JsonMap,
    },
    InputAudio {
        #[serde(rename = "type")]
        kind: InputAudioTag,
        input_audio: Value,
        #[serde(flatten)]
        extra: JsonMap,
    },
    File {
        #[serde(rename = "type")]
        kind: FileTag,
        file: Value,
        #[serde(flatten)]
        extra: JsonMap,
    },
    Other(Value),
}

macro_rules! tag {
    ($name:ident, $text:literal) => {
        #[doc = concat!("The `\"", $text, "\"` type tag of a content part.")]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($text)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                if s == $text {
                    Ok($name)
                } else {
                    Err(serde::de::Error::custom(concat!(
                        "expected \"",
                        $text,
                        "\""
                    )))
                }
            }
        }
    };
}
tag!(TextTag, "text");
tag!(ImageUrlTag, "image_url");
tag!(InputAudioTag, "input_audio");
tag!(FileTag, "file");

impl ContentPart {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text {
            kind: TextTag,
            text: text.into(),
            extra: JsonMap::new(),
        }
    }

    /// An image part from a URL or a `data:` URL.
    pub fn image_url(url: impl Into<String>) -> Self {
        Self::ImageUrl {
            kind: ImageUrlTag,
            image_url: ImageUrl {
                url: url.into(),
                detail: None,
                extra: JsonMap::new(),
            },
            extra: JsonMap::new(),
        }
    }
}

/// `image_url` of an image part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// `"function"` for function tools; providers define others (web search, …).
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDefinition>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

fn function_type() -> String {
    "function".to_owned()
}

/// The function a function tool exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `tool_choice`: a mode (`auto`, `none`, `required`) or a named tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(String),
    Named(Value),
}

impl ToolChoice {
    /// The forced function's name, for `{"type": "function", "function": {"name": …}}`.
    pub fn function_name(&self) -> Option<&str> {
        match self {
            Self::Mode(_) => None,
            Self::Named(v) => v
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str),
        }
    }
}

/// `response_format`: `text`, `json_object` or `json_schema`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseFormat {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<JsonSchemaFormat>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The `json_schema` of a `json_schema` response format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaFormat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(flatten)]
    pub extra: JsonMap,
}
