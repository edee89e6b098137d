//! The OpenAI Responses API (`POST /v1/responses`): the request, the response object,
//! its items and its stream events.
//!
//! Lossless like the chat types: every struct keeps the fields llmux does not read in
//! an `extra` map, and the strings OpenAI may extend (`type`, `status`) are open enums.
//! One [`ResponseItem`] type serves the request's input items and the response's output
//! items: OpenAI uses the same shapes for both, so a stored output replays as input.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::{JsonMap, Role};

open_enum! {
    /// The `type` of a Responses item.
    ItemType {
        Message => "message",
        FunctionCall => "function_call",
        FunctionCallOutput => "function_call_output",
        Reasoning => "reasoning",
        ItemReference => "item_reference",
        CustomToolCall => "custom_tool_call",
        CustomToolCallOutput => "custom_tool_call_output",
    }
}

open_enum! {
    /// The `type` of a content part of a message item (or of a reasoning summary).
    PartType {
        InputText => "input_text",
        InputImage => "input_image",
        InputFile => "input_file",
        OutputText => "output_text",
        Refusal => "refusal",
        SummaryText => "summary_text",
        ReasoningText => "reasoning_text",
    }
}

open_enum! {
    /// The `status` of a response or of an item.
    ResponseStatus {
        Completed => "completed",
        Failed => "failed",
        InProgress => "in_progress",
        Cancelled => "cancelled",
        Queued => "queued",
        Incomplete => "incomplete",
    }
}

/// `POST /v1/responses`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponsesRequest {
    #[serde(default)]
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<ResponsesInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Function tools and built-in tools, kept as sent (see [`ResponsesTool`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ResponsesTool>>,
    /// `"auto"`, `"none"`, `"required"` or `{"type": "function", "name": …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Keep the response for `previous_response_id` and `GET` (OpenAI's default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Everything else the client sent.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl ResponsesRequest {
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// Whether the response is kept (`store` defaults to true, as at OpenAI).
    pub fn stores(&self) -> bool {
        self.store != Some(false)
    }

    /// The input as items: a string is one user message.
    pub fn input_items(&self) -> Vec<ResponseItem> {
        match &self.input {
            None => Vec::new(),
            Some(ResponsesInput::Text(text)) => vec![ResponseItem::message(
                Role::User,
                ItemContent::Text(text.clone()),
            )],
            Some(ResponsesInput::Items(items)) => items.clone(),
        }
    }
}

/// `input`: a string, or a list of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResponsesInput {
    Text(String),
    Items(Vec<ResponseItem>),
}

/// An input or output item: a message, a function call, its output, a reasoning item,
/// or a type this version does not know (kept whole in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseItem {
    /// `None` for `{"role": …, "content": …}` shorthand messages.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ItemType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ResponseStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ItemContent>,
    /// `function_call` / `function_call_output`: the id that pairs them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `function_call`: the JSON-encoded arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// `custom_tool_call`: the tool's raw (freeform) input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// `function_call_output`: a string, or a list of input parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// `reasoning`: the summary parts (`summary_text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Vec<ContentItem>>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl ResponseItem {
    /// A message item (`type: message`).
    pub fn message(role: Role, content: ItemContent) -> Self {
        Self {
            kind: Some(ItemType::Message),
            role: Some(role),
            content: Some(content),
            ..Self::default()
        }
    }

    /// The item's type; shorthand `{role, content}` items are messages.
    pub fn item_type(&self) -> ItemType {
        self.kind.clone().unwrap_or(ItemType::Message)
    }
}

/// A message's content: a string, or a list of parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ItemContent {
    Text(String),
    Parts(Vec<ContentItem>),
}

/// One content part: `input_text`, `input_image`, `input_file`, `output_text`,
/// `refusal`, `summary_text`, ….
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentItem {
    #[serde(rename = "type")]
    pub kind: PartType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `refusal`: the refusal text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// `input_image`: a URL or a `data:` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `input_image` / `input_file`: an uploaded file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// `input_file`: a `data:` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_url: Option<String>,
    /// `output_text`: citations (always present in OpenAI's answers, often empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<Value>>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl ContentItem {
    /// A part of `kind` with `text`.
    pub fn text(kind: PartType, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: Some(text.into()),
            refusal: None,
            image_url: None,
            detail: None,
            file_id: None,
            file_data: None,
            filename: None,
            file_url: None,
            annotations: None,
            extra: JsonMap::new(),
        }
    }

    /// An `output_text` part, with OpenAI's empty `annotations`.
    pub fn output_text(text: impl Into<String>) -> Self {
        Self {
            annotations: Some(Vec::new()),
            ..Self::text(PartType::OutputText, text)
        }
    }
}

/// A tool: `{"type": "function", "name", "description", "parameters", "strict"}`, or a
/// built-in tool (`web_search`, `file_search`, …) whose fields stay in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsesTool {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `text`: the output format (and `verbosity`, in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `text.format`: `{"type": "text" | "json_object" | "json_schema", "name", "schema",
/// "strict"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFormat {
    #[serde(rename = "type")]
    pub kind: String,
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

/// `reasoning`: `{"effort", "summary"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReasoningConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The response object (`"object": "response"`). Fields OpenAI always writes are
/// written, `null` when unset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseObject {
    pub id: String,
    #[serde(default = "response_object")]
    pub object: String,
    #[serde(default)]
    pub created_at: u64,
    pub status: ResponseStatus,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub incomplete_details: Option<Value>,
    #[serde(default)]
    pub instructions: Option<String>,
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub output: Vec<ResponseItem>,
    #[serde(default)]
    pub parallel_tool_calls: bool,
    #[serde(default)]
    pub previous_response_id: Option<String>,
    #[serde(default)]
    pub reasoning: Option<Value>,
    #[serde(default)]
    pub store: Option<bool>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub text: Value,
    #[serde(default)]
    pub tool_choice: Value,
    #[serde(default)]
    pub tools: Vec<Value>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub truncation: Option<String>,
    #[serde(default)]
    pub usage: Option<ResponsesUsage>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub metadata: Value,
    /// `background`, `service_tier`, `provider_specific_fields`, … as set upstream.
    #[serde(flatten)]
    pub extra: JsonMap,
}

fn response_object() -> String {
    "response".to_owned()
}

/// A response's token usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponsesUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens_details: Option<InputTokensDetails>,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_details: Option<OutputTokensDetails>,
    #[serde(default)]
    pub total_tokens: u64,
    /// `cost`, … as LiteLLM adds them.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `usage.input_tokens_details`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputTokensDetails {
    #[serde(default)]
    pub cached_tokens: u64,
    /// `text_tokens`, `audio_tokens`, `cache_write_tokens`, … where the provider gave them.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `usage.output_tokens_details`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputTokensDetails {
    #[serde(default)]
    pub reasoning_tokens: u64,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// One event of a Responses stream: the event and its `sequence_number`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsesStreamEvent {
    #[serde(flatten)]
    pub event: ResponsesEvent,
    pub sequence_number: u64,
}

/// The stream events llmux writes, tagged by `type` as OpenAI sends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ResponsesEvent {
    #[serde(rename = "response.created")]
    Created { response: Box<ResponseObject> },
    #[serde(rename = "response.in_progress")]
    InProgress { response: Box<ResponseObject> },
    #[serde(rename = "response.completed")]
    Completed { response: Box<ResponseObject> },
    #[serde(rename = "response.incomplete")]
    Incomplete { response: Box<ResponseObject> },
    #[serde(rename = "response.failed")]
    Failed { response: Box<ResponseObject> },
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded {
        output_index: usize,
        item: Box<ResponseItem>,
    },
    #[serde(rename = "response.output_item.done")]
    OutputItemDone {
        output_index: usize,
        item: Box<ResponseItem>,
    },
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded {
        item_id: String,
        output_index: usize,
        content_index: usize,
        part: ContentItem,
    },
    #[serde(rename = "response.content_part.done")]
    ContentPartDone {
        item_id: String,
        output_index: usize,
        content_index: usize,
        part: ContentItem,
    },
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta {
        item_id: String,
        output_index: usize,
        content_index: usize,
        delta: String,
    },
    #[serde(rename = "response.output_text.done")]
    OutputTextDone {
        item_id: String,
        output_index: usize,
        content_index: usize,
        text: String,
    },
    #[serde(rename = "response.function_call_arguments.delta")]
    FunctionCallArgumentsDelta {
        item_id: String,
        output_index: usize,
        delta: String,
    },
    #[serde(rename = "response.function_call_arguments.done")]
    FunctionCallArgumentsDone {
        item_id: String,
        output_index: usize,
        arguments: String,
    },
    #[serde(rename = "response.custom_tool_call_input.done")]
    CustomToolCallInputDone {
        item_id: String,
        output_index: usize,
        input: String,
    },
    #[serde(rename = "response.reasoning_summary_part.added")]
    ReasoningSummaryPartAdded {
        item_id: String,
        output_index: usize,
        summary_index: usize,
        part: ContentItem,
    },
    #[serde(rename = "response.reasoning_summary_part.done")]
    ReasoningSummaryPartDone {
        item_id: String,
        output_index: usize,
        summary_index: usize,
        part: ContentItem,
    },
    #[serde(rename = "response.reasoning_summary_text.delta")]
    ReasoningSummaryTextDelta {
        item_id: String,
        output_index: usize,
        summary_index: usize,
        delta: String,
    },
    #[serde(rename = "response.reasoning_summary_text.done")]
    ReasoningSummaryTextDone {
        item_id: String,
        output_index: usize,
        summary_index: usize,
        text: String,
    },
    /// A failure the stream cannot describe with a response object.
    #[serde(rename = "error")]
    Error {
        code: Option<String>,
        message: String,
        param: Option<String>,
    },
}

impl ResponsesEvent {
    /// The `type` (also the SSE `event:` name).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Created { .. } => "response.created",
            Self::InProgress { .. } => "response.in_progress",
            Self::Completed { .. } => "response.completed",
            Self::Incomplete { .. } => "response.incomplete",
            Self::Failed { .. } => "response.failed",
            Self::OutputItemAdded { .. } => "response.output_item.added",
            Self::OutputItemDone { .. } => "response.output_item.done",
            Self::ContentPartAdded { .. } => "response.content_part.added",
            Self::ContentPartDone { .. } => "response.content_part.done",
            Self::OutputTextDelta { .. } => "response.output_text.delta",
            Self::OutputTextDone { .. } => "response.output_text.done",
            Self::FunctionCallArgumentsDelta { .. } => "response.function_call_arguments.delta",
            Self::FunctionCallArgumentsDone { .. } => "response.function_call_arguments.done",
            Self::CustomToolCallInputDone { .. } => "response.custom_tool_call_input.done",
            Self::ReasoningSummaryPartAdded { .. } => "response.reasoning_summary_part.added",
            Self::ReasoningSummaryPartDone { .. } => "response.reasoning_summary_part.done",
            Self::ReasoningSummaryTextDelta { .. } => "response.reasoning_summary_text.delta",
            Self::ReasoningSummaryTextDone { .. } => "response.reasoning_summary_text.done",
            Self::Error { .. } => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_round_trips_with_unknown_fields_and_types() {
        let body = json!({
            "model": "m",
            "input": [
                {"role": "user", "content": "hi"},
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "a"},
                    {"type": "input_image", "image_url": "https://x/y.png", "detail": "low"},
                    {"type": "input_video", "url": "v"}
                ]},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "ok"},
                {"type": "computer_call", "action": {"x": 1}}
            ],
            "tools": [{"type": "function", "name": "f", "parameters": {}}, {"type": "web_search"}],
            "text": {"format": {"type": "json_schema", "name": "s", "schema": {}}, "verbosity": "low"},
            "reasoning": {"effort": "low"},
            "background": false,
            "store": false
        });
        let req: ResponsesRequest = serde_json::from_value(body.clone()).unwrap();
        assert!(!req.stores());
        let items = req.input_items();
        assert_eq!(items[0].item_type(), ItemType::Message);
        assert_eq!(
            items[4].item_type(),
            ItemType::Other("computer_call".into())
        );
        assert_eq!(items[4].extra["action"], json!({"x": 1}));
        assert_eq!(serde_json::to_value(&req).unwrap(), body);
    }

    #[test]
    fn a_string_input_is_one_user_message() {
        let req: ResponsesRequest =
            serde_json::from_value(json!({"model": "m", "input": "hello"})).unwrap();
        let items = req.input_items();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].role, Some(Role::User));
        assert_eq!(items[0].content, Some(ItemContent::Text("hello".into())));
        assert!(req.stores());
    }

    #[test]
    fn events_are_tagged_with_their_type_and_sequence_number() {
        let event = ResponsesStreamEvent {
            event: ResponsesEvent::OutputTextDelta {
                item_id: "msg_1".into(),
                output_index: 0,
                content_index: 0,
                delta: "Hi".into(),
            },
            sequence_number: 4,
        };
        let v = serde_json::to_value(&event).unwrap();
        assert_eq!(
            v,
            json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
                   "content_index": 0, "delta": "Hi", "sequence_number": 4})
        );
        assert_eq!(event.event.name(), "response.output_text.delta");
        let back: ResponsesStreamEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, event);
    }
}
