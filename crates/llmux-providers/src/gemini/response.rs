//! `generateContent` answer → canonical response, as LiteLLM's
//! `VertexGeminiConfig._transform_google_generate_content_to_openai_model_response`.
//!
//! The shape is LiteLLM's, field for field: each choice has
//! `provider_specific_fields.native_finish_reason`, each message `images` and
//! `thinking_blocks` lists (empty ones included), the response the four `vertex_ai_*`
//! metadata lists, and usage the per-modality `text_tokens` details.

use llmux_types::{
    ChatResponse, Choice, Error, ErrorKind, FinishReason, FunctionCall, JsonMap, ResponseMessage,
    Role, ToolCall, Usage,
};
use serde_json::{Value, json};

use super::signature::{encode, tool_call_id};
use super::types::{GeminiAnswerPart, GeminiCandidate, GeminiResponse};
use super::usage::usage;
use crate::ParseContext;
use crate::python_json;

/// Parses a generateContent answer.
pub fn parse_chat_response(body: &[u8], ctx: &ParseContext<'_>) -> Result<ChatResponse, Error> {
    let resp: GeminiResponse = serde_json::from_slice(body).map_err(|e| {
        // LiteLLM: "Error converting to valid response block", status 422.
        Error::new(
            ErrorKind::UnprocessableEntity,
            format!("Gemini returned an answer llmux cannot read: {e}"),
        )
        .with_provider("gemini")
    })?;
    Ok(to_chat_response(&resp, ctx))
}

fn to_chat_response(resp: &GeminiResponse, ctx: &ParseContext<'_>) -> ChatResponse {
    let model = served_model(resp.model_version.as_deref());
    let meta = resp.usage_metadata.clone().unwrap_or_default();
    let blocked = resp
        .prompt_feedback
        .as_ref()
        .is_some_and(|f| f.get("blockReason").is_some());
    let flagged = resp
        .candidates
        .as_ref()
        .and_then(|c| c.first())
        .and_then(|c| c.finish_reason.as_deref())
        .is_some_and(is_flagged);
    if blocked || flagged {
        // LiteLLM answers a blocked prompt or a flagged answer with an empty
        // content_filter choice and the bare token counts, nothing else.
        return ChatResponse {
            id: ctx.response_id.to_owned(),
            object: "chat.completion".into(),
            created: ctx.created,
            model,
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage {
                    role: Role::Assistant,
                    content: None,
                    tool_calls: None,
                    reasoning_content: None,
                    thinking_blocks: None,
                    extra: JsonMap::new(),
                },
                finish_reason: Some(FinishReason::ContentFilter),
                extra: JsonMap::new(),
            }],
            usage: Some(Usage {
                prompt_tokens: meta.prompt_token_count.unwrap_or(0),
                completion_tokens: meta.candidates_token_count.unwrap_or(0),
                total_tokens: meta.total_token_count.unwrap_or(0),
                ..Usage::default()
            }),
            system_fingerprint: None,
            service_tier: None,
            extra: JsonMap::new(),
        };
    }
    let mut next_tool_index = 0;
    let mut metadata = Metadata::default();
    let mut choices = Vec::new();
    for (i, candidate) in resp.candidates.iter().flatten().enumerate() {
        metadata.add(candidate);
        let Some(read) = read_candidate(candidate, i, &mut next_tool_index, ctx) else {
            continue;
        };
        choices.push(read.into_choice());
    }
    let usage = usage(&meta, &metadata.grounding);
    let mut extra = JsonMap::new();
    extra.insert(
        "vertex_ai_grounding_metadata".into(),
        Value::Array(metadata.grounding),
    );
    extra.insert(
        "vertex_ai_url_context_metadata".into(),
        Value::Array(metadata.url_context),
    );
    extra.insert(
        "vertex_ai_safety_results".into(),
        Value::Array(metadata.safety),
    );
    extra.insert(
        "vertex_ai_citation_metadata".into(),
        Value::Array(metadata.citation),
    );
    ChatResponse {
        id: resp
            .response_id
            .clone()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| ctx.response_id.to_owned()),
        object: "chat.completion".into(),
        created: ctx.created,
        model,
        choices,
        usage: Some(usage),
        system_fingerprint: None,
        service_tier: None,
        extra,
    }
}

/// `modelVersion` without a `@version` suffix.
pub(crate) fn served_model(version: Option<&str>) -> String {
    version
        .filter(|v| !v.is_empty())
        .map(|v| v.split('@').next().unwrap_or(v).to_owned())
        .unwrap_or_default()
}

/// Finish reasons LiteLLM treats as a flagged answer.
fn is_flagged(reason: &str) -> bool {
    matches!(
        reason,
        "SAFETY"
            | "RECITATION"
            | "BLOCKLIST"
            | "PROHIBITED_CONTENT"
            | "SPII"
            | "IMAGE_SAFETY"
            | "IMAGE_PROHIBITED_CONTENT"
    )
}

/// LiteLLM's `map_finish_reason` for Gemini's reasons (unknown ones are `stop`).
pub(crate) fn map_finish_reason(reason: &str) -> FinishReason {
    match reason {
        "MAX_TOKENS" | "CONTINUATION" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "LANGUAGE"
        | "OTHER"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "NO_IMAGE"
        | "IMAGE_RECITATION"
        | "IMAGE_OTHER"
        | "ESCALATION" => FinishReason::ContentFilter,
        "tool_calls" => FinishReason::ToolCalls,
        "length" => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

/// The `vertex_ai_*` lists, gathered over candidates.
#[derive(Debug, Default)]
pub(crate) struct Metadata {
    pub grounding: Vec<Value>,
    pub url_context: Vec<Value>,
    pub safety: Vec<Value>,
    pub citation: Vec<Value>,
}

impl Metadata {
    /// The lists LiteLLM puts on a full stream chunk (`vertex_ai_safety_ratings` too).
    pub fn stream_fields(&self) -> JsonMap {
        let mut out = JsonMap::new();
        for (key, list) in [
            ("vertex_ai_grounding_metadata", &self.grounding),
            ("vertex_ai_url_context_metadata", &self.url_context),
            ("vertex_ai_safety_ratings", &self.safety),
            ("vertex_ai_safety_results", &self.safety),
            ("vertex_ai_citation_metadata", &self.citation),
        ] {
            out.insert(key.into(), Value::Array(list.clone()));
        }
        out
    }

    pub fn add(&mut self, c: &GeminiCandidate) {
        match &c.grounding_metadata {
            Some(Value::Array(items)) => self.grounding.extend(items.iter().cloned()),
            Some(v) => self.grounding.push(v.clone()),
            None => {}
        }
        // The ratings list itself is one element, as in LiteLLM.
        if let Some(v) = &c.safety_ratings {
            self.safety.push(v.clone());
        }
        if let Some(v) = &c.citation_metadata {
            self.citation.push(v.clone());
        }
        if let Some(v) = &c.url_context_metadata {
            self.url_context.push(v.clone());
        }
    }
}

/// What one candidate says, before it is shaped as a choice or a delta.
#[derive(Debug, Default)]
pub(crate) struct ReadCandidate {
    pub index: u32,
    /// Whether `content.parts` was there (then `images` and `thinking_blocks` are set,
    /// possibly empty).
    pub has_parts: bool,
    pub content: Option<String>,
    pub reasoning_content: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub images: Vec<Value>,
    pub thinking_blocks: Vec<Value>,
    pub thought_signatures: Vec<String>,
    pub server_side_tool_invocations: Vec<Value>,
    pub audio: Option<Value>,
    pub annotations: Vec<Value>,
    pub logprobs: Option<Value>,
    pub native_finish_reason: Option<String>,
}

/// Reads one candidate; `None` if it has neither content nor a finish reason.
/// `next_tool_index` numbers tool calls across candidates (and stream events).
pub(crate) fn read_candidate(
    c: &GeminiCandidate,
    position: usize,
    next_tool_index: &mut usize,
    ctx: &ParseContext<'_>,
) -> Option<ReadCandidate> {
    if c.content.is_none() && c.finish_reason.is_none() {
        return None;
    }
    let mut out = ReadCandidate {
        index: c
            .index
            .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX)),
        native_finish_reason: c.finish_reason.clone(),
        ..ReadCandidate::default()
    };
    if let Some(parts) = c.content.as_ref().and_then(|c| c.parts.as_ref()) {
        out.has_parts = true;
        read_parts(parts, &mut out, next_tool_index, ctx);
        if let Some(grounding) = &c.grounding_metadata {
            out.annotations = annotations(grounding);
        }
    }
    if let Some(lp) = &c.logprobs_result {
        out.logprobs = logprobs(lp);
    }
    Some(out)
}

fn read_parts(
    parts: &[GeminiAnswerPart],
    out: &mut ReadCandidate,
    next_tool_index: &mut usize,
    ctx: &ParseContext<'_>,
) {
    for part in parts {
        let mut piece = String::new();
        if let Some(text) = &part.text {
            if let Some(data) = audio_data_uri(text) {
                out.audio.get_or_insert_with(|| audio(data, ctx));
            } else {
                piece.push_str(text);
            }
        } else if let Some(blob) = &part.inline_data {
            if blob.mime_type.starts_with("image/") {
                out.images.push(json!({
                    "image_url": {"url": format!("data:{};base64,{}", blob.mime_type, blob.data), "detail": "auto"},
                    "index": 0,
                    "type": "image_url",
                }));
            } else if blob.mime_type.starts_with("audio/") {
                out.audio.get_or_insert_with(|| audio(&blob.data, ctx));
            } else {
                piece = format!("data:{};base64,{}", blob.mime_type, blob.data);
            }
        }
        if !piece.is_empty() {
            let target = if part.thought == Some(true) {
                &mut out.reasoning_content
            } else {
                &mut out.content
            };
            target.get_or_insert_with(String::new).push_str(&piece);
        }
        if part.thought == Some(true) {
            let mut block = json!({
                "type": "thinking",
                "thinking": part.text.clone().unwrap_or_default(),
            });
            if let (Some(sig), Value::Object(b)) = (&part.thought_signature, &mut block) {
                b.insert("signature".into(), Value::from(sig.as_str()));
            }
            out.thinking_blocks.push(block);
        }
        if let Some(sig) = &part.thought_signature {
            out.thought_signatures.push(sig.clone());
        }
        if let Some(call) = &part.function_call {
            let args = call
                .args
                .clone()
                .unwrap_or_else(|| Value::Object(JsonMap::new()));
            let base_id = call
                .id
                .clone()
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| tool_call_id(ctx.response_id, *next_tool_index));
            let mut extra = JsonMap::new();
            extra.insert("index".into(), json!(*next_tool_index));
            if let Some(sig) = part.thought_signature.as_deref().filter(|s| !s.is_empty()) {
                extra.insert(
                    "provider_specific_fields".into(),
                    json!({ "thought_signature": sig }),
                );
            }
            out.tool_calls.push(ToolCall {
                id: encode(base_id, part.thought_signature.as_deref()),
                kind: "function".into(),
                function: FunctionCall {
                    name: call.name.clone(),
                    arguments: python_json::dumps_unicode(&args),
                },
                extra,
            });
            *next_tool_index += 1;
        }
    }
    out.server_side_tool_invocations = server_side_tool_invocations(parts);
}

/// `data:audio/…;base64,<data>` text → the data.
fn audio_data_uri(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("data:audio")?;
    let (_, data) = rest.split_once(";base64,")?;
    Some(data)
}

fn audio(data: &str, ctx: &ParseContext<'_>) -> Value {
    json!({"data": data, "expires_at": ctx.created + 24 * 60 * 60, "transcript": ""})
}

/// Server-side tool calls (`toolCall` / `toolResponse` parts) paired by id.
fn server_side_tool_invocations(parts: &[GeminiAnswerPart]) -> Vec<Value> {
    let mut calls: Vec<(String, JsonMap)> = Vec::new();
    let mut responses: Vec<(String, JsonMap)> = Vec::new();
    for part in parts {
        if let Some(tc) = &part.tool_call {
            let mut entry = JsonMap::new();
            entry.insert(
                "tool_type".into(),
                tc.get("toolType").cloned().unwrap_or(Value::Null),
            );
            entry.insert("id".into(), tc.get("id").cloned().unwrap_or(Value::Null));
            entry.insert(
                "args".into(),
                tc.get("args").cloned().unwrap_or(Value::Null),
            );
            if let Some(sig) = &part.thought_signature {
                entry.insert("thought_signature".into(), Value::from(sig.as_str()));
            }
            let id = tc
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            calls.retain(|(k, _)| *k != id);
            calls.push((id, entry));
        } else if let Some(tr) = &part.tool_response {
            let mut entry = JsonMap::new();
            entry.insert("id".into(), tr.get("id").cloned().unwrap_or(Value::Null));
            entry.insert(
                "tool_type".into(),
                tr.get("toolType").cloned().unwrap_or(Value::Null),
            );
            entry.insert(
                "response".into(),
                tr.get("response").cloned().unwrap_or(Value::Null),
            );
            if let Some(sig) = &part.thought_signature {
                entry.insert("thought_signature".into(), Value::from(sig.as_str()));
            }
            let id = tr
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            responses.retain(|(k, _)| *k != id);
            responses.push((id, entry));
        }
    }
    let mut out = Vec::new();
    for (id, mut call) in calls {
        if let Some(pos) = responses.iter().position(|(k, _)| *k == id) {
            let (_, resp) = responses.remove(pos);
            call.insert(
                "response".into(),
                resp.get("response").cloned().unwrap_or(Value::Null),
            );
            if let Some(sig) = resp.get("thought_signature") {
                call.insert("response_thought_signature".into(), sig.clone());
            }
        }
        out.push(Value::Object(call));
    }
    for (_, mut resp) in responses {
        if let Some(sig) = resp.get("thought_signature").cloned() {
            resp.insert("response_thought_signature".into(), sig);
        }
        out.push(Value::Object(resp));
    }
    out
}

/// Grounding supports → OpenAI `url_citation` annotations.
fn annotations(grounding: &Value) -> Vec<Value> {
    let items: Vec<&Value> = match grounding {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    let mut out = Vec::new();
    for item in items {
        let chunks = item
            .get("groundingChunks")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for support in item
            .get("groundingSupports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let segment = support.get("segment");
            let start = segment.and_then(|s| s.get("startIndex"));
            let end = segment.and_then(|s| s.get("endIndex"));
            let first = support
                .get("groundingChunkIndices")
                .and_then(Value::as_array)
                .and_then(|i| i.first())
                .and_then(Value::as_u64)
                .and_then(|i| usize::try_from(i).ok());
            let (Some(start), Some(end), Some(first)) = (start, end, first) else {
                continue;
            };
            let Some(web) = chunks.get(first).and_then(|c| c.get("web")) else {
                continue;
            };
            out.push(json!({
                "type": "url_citation",
                "url_citation": {
                    "start_index": start,
                    "end_index": end,
                    "url": web.get("uri").cloned().unwrap_or(Value::from("")),
                    "title": web.get("title").cloned().unwrap_or(Value::from("")),
                }
            }));
        }
    }
    out
}

/// `logprobsResult` → OpenAI `logprobs.content`.
fn logprobs(result: &Value) -> Option<Value> {
    let chosen = result.get("chosenCandidates")?.as_array()?;
    let top = result.get("topCandidates").and_then(Value::as_array);
    let content: Vec<Value> = chosen
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let tops: Vec<Value> = top
                .and_then(|t| t.get(i))
                .and_then(|t| t.get("candidates"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|o| json!({"token": o.get("token"), "logprob": o.get("logProbability")}))
                .collect();
            json!({"token": c.get("token"), "logprob": c.get("logProbability"), "top_logprobs": tops})
        })
        .collect();
    Some(json!({ "content": content }))
}

impl ReadCandidate {
    /// The finish reason LiteLLM reports: `tool_calls` when the model called tools.
    pub fn finish_reason(&self) -> FinishReason {
        if !self.tool_calls.is_empty() {
            FinishReason::ToolCalls
        } else {
            self.native_finish_reason
                .as_deref()
                .map_or(FinishReason::Stop, map_finish_reason)
        }
    }

    /// `provider_specific_fields` of the message, if any.
    pub fn message_provider_fields(&self) -> Option<Value> {
        let mut fields = JsonMap::new();
        if !self.thought_signatures.is_empty() {
            fields.insert("thought_signatures".into(), json!(self.thought_signatures));
        }
        if !self.server_side_tool_invocations.is_empty() {
            fields.insert(
                "server_side_tool_invocations".into(),
                Value::Array(self.server_side_tool_invocations.clone()),
            );
        }
        (!fields.is_empty()).then_some(Value::Object(fields))
    }

    fn into_choice(self) -> Choice {
        let finish_reason = self.finish_reason();
        let mut message_extra = JsonMap::new();
        if self.has_parts {
            message_extra.insert("images".into(), Value::Array(self.images.clone()));
        }
        if let Some(audio) = &self.audio {
            message_extra.insert("audio".into(), audio.clone());
        }
        if !self.annotations.is_empty() {
            message_extra.insert("annotations".into(), Value::Array(self.annotations.clone()));
        }
        if let Some(fields) = self.message_provider_fields() {
            message_extra.insert("provider_specific_fields".into(), fields);
        }
        let mut extra = JsonMap::new();
        if let Some(lp) = self.logprobs {
            extra.insert("logprobs".into(), lp);
        }
        if let Some(native) = &self.native_finish_reason {
            extra.insert(
                "provider_specific_fields".into(),
                json!({ "native_finish_reason": native }),
            );
        }
        Choice {
            index: self.index,
            message: ResponseMessage {
                role: Role::Assistant,
                content: self.content,
                tool_calls: (!self.tool_calls.is_empty()).then_some(self.tool_calls),
                reasoning_content: self.reasoning_content,
                thinking_blocks: self.has_parts.then_some(self.thinking_blocks),
                extra: message_extra,
            },
            finish_reason: Some(finish_reason),
            extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons() {
        assert_eq!(map_finish_reason("MAX_TOKENS"), FinishReason::Length);
        assert_eq!(map_finish_reason("SAFETY"), FinishReason::ContentFilter);
        assert_eq!(
            map_finish_reason("MALFORMED_FUNCTION_CALL"),
            FinishReason::Stop
        );
        assert_eq!(map_finish_reason("SOMETHING_NEW"), FinishReason::Stop);
    }
}
