//! Gemini wire types: serde only, no logic.
//!
//! Key spelling follows what LiteLLM sends, which mixes cases: parts use `inline_data`,
//! `file_data`, `function_call`, `function_response` but `thoughtSignature`; the body uses
//! `system_instruction` but `toolConfig`, `generationConfig`, `safetySettings`. Gemini
//! accepts both spellings; matching LiteLLM byte for byte keeps the oracle comparable.
//! Answers are read in Gemini's own camelCase.

use llmux_types::JsonMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A `generateContent` / `streamGenerateContent` body.
#[derive(Debug, Serialize)]
pub(crate) struct GeminiRequest {
    pub contents: Vec<GeminiContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<GeminiContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    #[serde(rename = "toolConfig", skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<JsonMap>,
    #[serde(rename = "safetySettings", skip_serializing_if = "Option::is_none")]
    pub safety_settings: Option<Value>,
    #[serde(rename = "generationConfig", skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<JsonMap>,
    #[serde(rename = "cachedContent", skip_serializing_if = "Option::is_none")]
    pub cached_content: Option<Value>,
    #[serde(rename = "serviceTier", skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Value>,
}

/// One turn (`role` is `user` or `model`; absent for the system instruction).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct GeminiContent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    pub parts: Vec<GeminiPart>,
}

/// One part of a turn. Exactly one of the payload fields is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct GeminiPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<GeminiBlob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_data: Option<GeminiFileData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_call: Option<GeminiFunctionCall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_response: Option<GeminiFunctionResponse>,
    #[serde(rename = "thoughtSignature", skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_resolution: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_metadata: Option<JsonMap>,
}

impl GeminiPart {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }
}

/// Inline bytes (base64).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GeminiBlob {
    pub data: String,
    pub mime_type: String,
}

/// A file by URI (`gs://`, the Files API, an https URL).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GeminiFileData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    pub file_uri: String,
}

/// A call the model made, replayed in history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GeminiFunctionCall {
    pub name: String,
    pub args: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A tool result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GeminiFunctionResponse {
    pub name: String,
    pub response: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<Value>>,
}

/// A `generateContent` answer, or one event of a stream.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GeminiResponse {
    #[serde(default)]
    pub candidates: Option<Vec<GeminiCandidate>>,
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    pub model_version: Option<String>,
    #[serde(default)]
    pub response_id: Option<String>,
    #[serde(default)]
    pub prompt_feedback: Option<Value>,
    /// Vertex AI can answer 200 and put an error in a stream event.
    #[serde(default)]
    pub error: Option<Value>,
}

/// One candidate answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GeminiCandidate {
    #[serde(default)]
    pub content: Option<GeminiCandidateContent>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub index: Option<u32>,
    #[serde(default)]
    pub safety_ratings: Option<Value>,
    #[serde(default)]
    pub citation_metadata: Option<Value>,
    #[serde(default)]
    pub grounding_metadata: Option<Value>,
    #[serde(default)]
    pub url_context_metadata: Option<Value>,
    #[serde(default)]
    pub logprobs_result: Option<Value>,
}

/// `candidate.content`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct GeminiCandidateContent {
    #[serde(default)]
    pub parts: Option<Vec<GeminiAnswerPart>>,
}

/// One part of an answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GeminiAnswerPart {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thought: Option<bool>,
    #[serde(default)]
    pub thought_signature: Option<String>,
    #[serde(default)]
    pub function_call: Option<GeminiAnswerFunctionCall>,
    #[serde(default)]
    pub inline_data: Option<GeminiAnswerBlob>,
    #[serde(default)]
    pub tool_call: Option<JsonMap>,
    #[serde(default)]
    pub tool_response: Option<JsonMap>,
}

/// `part.functionCall` of an answer.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct GeminiAnswerFunctionCall {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub args: Option<Value>,
    #[serde(default)]
    pub id: Option<String>,
}

/// `part.inlineData` of an answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GeminiAnswerBlob {
    #[serde(default)]
    pub mime_type: String,
    #[serde(default)]
    pub data: String,
}

/// `usageMetadata`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageMetadata {
    #[serde(default)]
    pub prompt_token_count: Option<u64>,
    #[serde(default)]
    pub candidates_token_count: Option<u64>,
    #[serde(default)]
    pub total_token_count: Option<u64>,
    #[serde(default)]
    pub cached_content_token_count: Option<u64>,
    #[serde(default)]
    pub thoughts_token_count: Option<u64>,
    #[serde(default)]
    pub tool_use_prompt_token_count: Option<u64>,
    /// Live API only.
    #[serde(default)]
    pub response_token_count: Option<u64>,
    #[serde(default)]
    pub prompt_tokens_details: Option<Vec<ModalityTokenCount>>,
    #[serde(default)]
    pub candidates_tokens_details: Option<Vec<ModalityTokenCount>>,
    #[serde(default)]
    pub cache_tokens_details: Option<Vec<ModalityTokenCount>>,
    #[serde(default)]
    pub response_tokens_details: Option<Vec<ModalityTokenCount>>,
}

/// `{modality, tokenCount}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModalityTokenCount {
    #[serde(default)]
    pub modality: String,
    #[serde(default, alias = "token_count")]
    pub token_count: Option<u64>,
}
