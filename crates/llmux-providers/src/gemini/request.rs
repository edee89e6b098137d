//! Canonical request → `generateContent` request, as LiteLLM's
//! `VertexGeminiConfig.map_openai_params` + `_transform_request_body`.

use bytes::Bytes;
use http::header::AUTHORIZATION;
use llmux_types::{ChatRequest, ContentPart, Error, ErrorKind, JsonMap, MessageContent};
use serde_json::{Value, json};

use super::Flavor;
use super::media::{detail_rank, media_resolution};
use super::messages::convert_messages;
use super::schema::{build_vertex_schema, remove_additional_properties_false, remove_strict};
use super::tools::{map_tool_choice, map_tools};
use super::types::GeminiRequest;
use crate::Target;

/// Google AI Studio's default base.
const AI_STUDIO_BASE: &str = "https://generativelanguage.googleapis.com";

/// Builds `POST …:generateContent` (or `:streamGenerateContent?alt=sse`).
pub fn build_chat_request(
    req: &ChatRequest,
    t: &Target<'_>,
    flavor: Flavor,
) -> Result<http::Request<Bytes>, Error> {
    let model = t.model;
    let body = request_body(req, model, flavor)?;
    let endpoint = if req.is_stream() {
        "streamGenerateContent"
    } else {
        "generateContent"
    };
    let url = endpoint_url(t, flavor, endpoint, req.is_stream())?;
    let builder = authorize(http::Request::post(url), t, flavor);
    crate::openai::json_request(builder, t, &body)
}

/// The request body.
pub(crate) fn request_body(
    req: &ChatRequest,
    model: &str,
    flavor: Flavor,
) -> Result<JsonMap, Error> {
    let conversation = convert_messages(&req.messages, model)?;
    let server_side_tools = [
        "include_server_side_tool_invocations",
        "includeServerSideToolInvocations",
    ]
    .iter()
    .any(|k| req.extra.get(*k) == Some(&Value::Bool(true)));
    let tools = map_tools(req, server_side_tools)?;
    let mut tool_config = req.tool_choice.as_ref().map(map_tool_choice).transpose()?;
    if server_side_tools {
        tool_config
            .get_or_insert_with(JsonMap::new)
            .insert("includeServerSideToolInvocations".into(), Value::Bool(true));
    }
    let generation_config = generation_config(req, model)?;
    let mut body = GeminiRequest {
        contents: conversation.contents,
        system_instruction: conversation.system_instruction,
        tools,
        tool_config,
        safety_settings: req
            .extra
            .get("safety_settings")
            .filter(|v| !v.is_null())
            .cloned(),
        generation_config: (!generation_config.is_empty()).then_some(generation_config),
        cached_content: req
            .extra
            .get("cached_content")
            .filter(|v| !v.is_null())
            .cloned(),
        service_tier: req.service_tier.as_deref().map(|tier| {
            match tier.to_ascii_lowercase().as_str() {
                "auto" => "priority".to_owned(),
                "default" => "standard".to_owned(),
                other => other.to_owned(),
            }
        }),
        labels: None,
    };
    if flavor == Flavor::Vertex
        && let Some(labels) = req
            .extra
            .get("labels")
            .filter(|l| l.as_object().is_some_and(|o| !o.is_empty()))
    {
        body.labels = Some(labels.clone());
    }
    let Value::Object(mut map) = serde_json::to_value(&body)
        .map_err(|e| Error::bad_request(format!("cannot encode request: {e}")))?
    else {
        return Err(Error::bad_request("cannot encode request"));
    };
    if let Some(Value::Object(extra_body)) = req.extra.get("extra_body") {
        merge_extra_body(&mut map, extra_body);
    }
    Ok(map)
}

/// `extra_body` is merged into the body: objects one level deep, anything else replaced.
fn merge_extra_body(body: &mut JsonMap, extra_body: &JsonMap) {
    for (k, v) in extra_body {
        // LiteLLM's own keys, never forwarded.
        if k == "cache" || k == "tags" {
            continue;
        }
        match (body.get_mut(k), v) {
            (Some(Value::Object(existing)), Value::Object(add)) => {
                existing.extend(add.iter().map(|(a, b)| (a.clone(), b.clone())));
            }
            _ => {
                body.insert(k.clone(), v.clone());
            }
        }
    }
}

/// GenerationConfig's fields (LiteLLM's `GenerationConfig` TypedDict); client keys that
/// match one of them, in either case, go into `generationConfig` as spelled.
const GENERATION_CONFIG_FIELDS: &[&str] = &[
    "temperature",
    "top_p",
    "top_k",
    "candidate_count",
    "max_output_tokens",
    "stop_sequences",
    "presence_penalty",
    "frequency_penalty",
    "response_mime_type",
    "response_schema",
    "response_json_schema",
    "responseFormat",
    "seed",
    "responseLogprobs",
    "logprobs",
    "responseModalities",
    "imageConfig",
    "thinkingConfig",
    "mediaResolution",
    "speechConfig",
];

fn is_generation_config_key(key: &str) -> bool {
    GENERATION_CONFIG_FIELDS.contains(&key)
        || GENERATION_CONFIG_FIELDS.contains(&snake_to_camel(key).as_str())
        || GENERATION_CONFIG_FIELDS.contains(&camel_to_snake(key).as_str())
}

fn snake_to_camel(s: &str) -> String {
    let mut parts = s.split('_');
    let mut out = parts.next().unwrap_or("").to_owned();
    for p in parts {
        let mut chars = p.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(&chars.as_str().to_lowercase());
        }
    }
    out
}

fn camel_to_snake(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// `generationConfig`, snake_case as LiteLLM sends it.
fn generation_config(req: &ChatRequest, model: &str) -> Result<JsonMap, Error> {
    let mut gc = JsonMap::new();
    // Provider-specific keys the client sent (top_k, thinkingConfig, …) first, so the
    // OpenAI parameters mapped below win, as in LiteLLM.
    for (k, v) in &req.extra {
        if is_generation_config_key(k) && !v.is_null() {
            gc.insert(k.clone(), v.clone());
        }
    }
    if let Some(t) = req.temperature {
        gc.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        gc.insert("top_p".into(), json!(p));
    }
    if let Some(n) = req.n {
        gc.insert("candidate_count".into(), json!(n));
    }
    if let Some(stop) = &req.stop {
        gc.insert("stop_sequences".into(), json!(stop.to_vec()));
    }
    if let Some(max) = req.max_tokens.or(req.max_completion_tokens) {
        gc.insert("max_output_tokens".into(), json!(max));
    }
    if let Some(rf) = &req.response_format {
        let rf = serde_json::to_value(rf)
            .map_err(|e| Error::bad_request(format!("invalid response_format: {e}")))?;
        response_schema(rf, model, &mut gc)?;
    }
    if supports_penalties(model) {
        if let Some(p) = req.frequency_penalty {
            gc.insert("frequency_penalty".into(), json!(p));
        }
        if let Some(p) = req.presence_penalty {
            gc.insert("presence_penalty".into(), json!(p));
        }
    }
    if let Some(l) = req.logprobs {
        gc.insert("responseLogprobs".into(), json!(l));
    }
    if let Some(n) = req.top_logprobs {
        gc.insert("logprobs".into(), json!(n));
    }
    if let Some(seed) = req.seed {
        gc.insert("seed".into(), json!(seed));
    }
    if let Some(effort) = &req.reasoning_effort {
        gc.insert(
            "thinkingConfig".into(),
            thinking_from_effort(effort, model)?,
        );
    }
    if let Some(thinking) = req.extra.get("thinking").filter(|v| v.is_object()) {
        gc.insert(
            "thinkingConfig".into(),
            thinking_from_param(thinking, model),
        );
    }
    if let Some(modalities) = &req.modalities {
        let mapped: Vec<Value> = modalities
            .iter()
            .map(|m| {
                Value::from(match m.as_str() {
                    "text" => "TEXT",
                    "image" => "IMAGE",
                    "audio" => "AUDIO",
                    "video" => "VIDEO",
                    _ => "MODALITY_UNSPECIFIED",
                })
            })
            .collect();
        gc.insert("responseModalities".into(), Value::Array(mapped));
    }
    if let Some(Value::Object(audio)) = &req.audio {
        gc.insert("speechConfig".into(), speech_config(audio)?);
        match gc.get_mut("responseModalities") {
            Some(Value::Array(m)) => {
                if !m.iter().any(|v| v == "AUDIO") {
                    m.push(Value::from("AUDIO"));
                }
            }
            _ => {
                gc.insert("responseModalities".into(), json!(["AUDIO"]));
            }
        }
    }
    if model.contains("gemini-2")
        && let Some(level) = max_detail(req).and_then(media_resolution)
    {
        gc.insert("mediaResolution".into(), Value::from(level));
    }
    Ok(gc)
}

/// `response_format` → `response_mime_type` and `response_json_schema` (Gemini 2+) or
/// `response_schema` (older models, OpenAPI subset with `propertyOrdering`).
fn response_schema(mut rf: Value, model: &str, gc: &mut JsonMap) -> Result<(), Error> {
    remove_strict(&mut rf);
    let json_schema = supports_response_json_schema(model);
    if !json_schema {
        remove_additional_properties_false(&mut rf);
    }
    match rf.get("type").and_then(Value::as_str) {
        Some("json_object") => {
            gc.insert("response_mime_type".into(), Value::from("application/json"));
        }
        Some("text") => {
            gc.insert("response_mime_type".into(), Value::from("text/plain"));
        }
        _ => {}
    }
    let schema = if let Some(s) = rf.get("response_schema") {
        gc.insert("response_mime_type".into(), Value::from("application/json"));
        Some(s.clone())
    } else if rf.get("type").and_then(Value::as_str) == Some("json_schema") {
        rf.get("json_schema")
            .and_then(|j| j.get("schema"))
            .cloned()
            .inspect(|_| {
                gc.insert("response_mime_type".into(), Value::from("application/json"));
            })
    } else {
        None
    };
    if let Some(schema) = schema.filter(|s| s.as_object().is_some_and(|o| !o.is_empty())) {
        if json_schema {
            gc.insert("response_json_schema".into(), schema);
        } else {
            gc.insert("response_schema".into(), build_vertex_schema(schema, true)?);
        }
    }
    Ok(())
}

/// LiteLLM's default thinking budgets (`constants.py`).
const BUDGET_LOW: u64 = 1024;
const BUDGET_MEDIUM: u64 = 2048;
const BUDGET_HIGH: u64 = 4096;

/// `reasoning_effort` → `thinkingConfig` (a budget before Gemini 3, a level from 3 on).
fn thinking_from_effort(effort: &str, model: &str) -> Result<Value, Error> {
    let lower = model.to_ascii_lowercase();
    if is_gemini_3_or_newer(model) {
        let minimal_ok = lower.contains("flash");
        let level = |l: &str| json!({"thinkingLevel": l, "includeThoughts": true});
        return Ok(match effort {
            "minimal" => level(if minimal_ok { "minimal" } else { "low" }),
            "low" | "medium" | "high" => level(effort),
            "disable" | "none" => {
                json!({"thinkingLevel": if minimal_ok { "minimal" } else { "low" }, "includeThoughts": false})
            }
            other => return Err(unsupported_effort(other)),
        });
    }
    let budget = |b: u64| json!({"thinkingBudget": b, "includeThoughts": true});
    Ok(match effort {
        "minimal" => budget(if lower.contains("gemini-2.5-flash-lite") {
            512
        } else if lower.contains("gemini-2.5-pro") {
            128
        } else if lower.contains("gemini-2.5-flash") {
            1
        } else {
            128
        }),
        "low" => budget(BUDGET_LOW),
        "medium" => budget(BUDGET_MEDIUM),
        "high" => budget(BUDGET_HIGH),
        "disable" | "none" => json!({"thinkingBudget": 0, "includeThoughts": false}),
        other => return Err(unsupported_effort(other)),
    })
}

fn unsupported_effort(effort: &str) -> Error {
    Error::new(
        ErrorKind::UnsupportedParams,
        format!(
            "Invalid `reasoning_effort`: '{effort}'. Must be one of: 'minimal', 'low', 'medium', \
             'high', 'none', 'disable'. To drop this param, set `litellm.drop_params = True` or \
             pass in `(.., drop_params=True)` in the request - \
             https://docs.litellm.ai/docs/completion/drop_params"
        ),
    )
    .with_param("reasoning_effort")
}

/// Anthropic-style `thinking: {type, budget_tokens}` → `thinkingConfig`.
fn thinking_from_param(thinking: &Value, model: &str) -> Value {
    let enabled = thinking.get("type").and_then(Value::as_str) == Some("enabled");
    let budget = thinking.get("budget_tokens").and_then(Value::as_i64);
    let mut out = JsonMap::new();
    if is_gemini_3_or_newer(model) {
        out.insert(
            "includeThoughts".into(),
            Value::Bool(enabled && budget != Some(0)),
        );
    } else {
        if enabled && budget != Some(0) {
            out.insert("includeThoughts".into(), Value::Bool(true));
        }
        if let Some(b) = budget {
            out.insert("thinkingBudget".into(), json!(b));
        }
    }
    Value::Object(out)
}

/// OpenAI voices → Gemini prebuilt voices, as LiteLLM maps them.
fn gemini_voice(voice: &str) -> Option<&'static str> {
    Some(match voice.to_ascii_lowercase().as_str() {
        "alloy" => "Kore",
        "ash" => "Iapetus",
        "ballad" => "Algieba",
        "cedar" => "Achird",
        "coral" => "Sulafat",
        "echo" => "Charon",
        "fable" => "Umbriel",
        "marin" => "Despina",
        "onyx" => "Orus",
        "sage" => "Vindemiatrix",
        "shimmer" => "Achernar",
        "verse" => "Puck",
        _ => return None,
    })
}

/// `audio: {voice, format, language_code}` → `speechConfig`.
fn speech_config(audio: &JsonMap) -> Result<Value, Error> {
    if let Some(format) = audio.get("format").and_then(Value::as_str)
        && format != "pcm16"
    {
        return Err(Error::bad_request(format!(
            "Unsupported audio format for Gemini TTS models: {format}. Gemini TTS models only \
             support 'pcm16' format as they return audio data in L16 PCM format. Please set audio \
             format to 'pcm16'."
        )));
    }
    let mut out = JsonMap::new();
    if let Some(voice) = audio.get("voice") {
        let name = voice
            .as_str()
            .map(|v| Value::from(gemini_voice(v).unwrap_or(v)))
            .unwrap_or_else(|| voice.clone());
        out.insert(
            "voiceConfig".into(),
            json!({"prebuiltVoiceConfig": {"voiceName": name}}),
        );
    }
    if let Some(code) = audio.get("language_code") {
        out.insert("languageCode".into(), code.clone());
    }
    Ok(Value::Object(out))
}

/// The highest `detail` on any image or file part.
fn max_detail(req: &ChatRequest) -> Option<&'static str> {
    let mut best: Option<&'static str> = None;
    for m in &req.messages {
        let Some(MessageContent::Parts(parts)) = &m.content else {
            continue;
        };
        for part in parts {
            let detail = match part {
                ContentPart::ImageUrl { image_url, .. } => image_url.detail.as_deref(),
                ContentPart::File { file, .. } => file.get("detail").and_then(Value::as_str),
                _ => None,
            };
            let Some(detail) = detail else { continue };
            let known = ["low", "medium", "high", "ultra_high"]
                .into_iter()
                .find(|d| *d == detail);
            if let Some(d) = known
                && detail_rank(d) > best.map_or(0, detail_rank)
            {
                best = Some(d);
            }
        }
    }
    best
}

/// LiteLLM's `_supports_penalty_parameters`.
fn supports_penalties(model: &str) -> bool {
    !is_gemini_3_or_newer(model) && model != "gemini-2.5-pro-preview-06-05"
}

/// LiteLLM's `VertexGeminiConfig._is_gemini_3_or_newer`: anything that is not a known
/// 1.x/2.x/pro/flash/exp name, a Gemma model or a fine-tuned endpoint id.
pub(crate) fn is_gemini_3_or_newer(model: &str) -> bool {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    let fine_tuned = (!name.is_empty() && name.chars().all(|c| c.is_ascii_digit()))
        || (model.starts_with("gemini/") && !name.starts_with("gemini-"));
    if name.is_empty() || fine_tuned || name.starts_with("gemma-") {
        return false;
    }
    let Some(rest) = name.strip_prefix("gemini-") else {
        return true;
    };
    !is_pre_gemini_3(rest)
}

/// `^(?:[12](?:\.\d+)?|exp|(?:pro|flash)(?!-(?:lite-)?latest$))(?:-|$)` after `gemini-`.
fn is_pre_gemini_3(rest: &str) -> bool {
    let ends = |s: &str| s.is_empty() || s.starts_with('-');
    if let Some(r) = rest.strip_prefix('1').or_else(|| rest.strip_prefix('2')) {
        if ends(r) {
            return true;
        }
        if let Some(r) = r.strip_prefix('.') {
            let digits = r.chars().take_while(char::is_ascii_digit).count();
            if (1..=digits).rev().any(|k| ends(&r[k..])) {
                return true;
            }
        }
    }
    if rest.strip_prefix("exp").is_some_and(ends) {
        return true;
    }
    ["pro", "flash"].iter().any(|p| {
        rest.strip_prefix(p)
            .is_some_and(|r| r != "-latest" && r != "-lite-latest" && ends(r))
    })
}

/// LiteLLM's `supports_response_json_schema`: `gemini-(?:[2-9]|[1-9]\d+)(?:\.|-)`.
fn supports_response_json_schema(model: &str) -> bool {
    let lower = model.to_ascii_lowercase();
    lower.match_indices("gemini-").any(|(i, m)| {
        let rest = &lower[i + m.len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let sep = |k: usize| rest[k..].starts_with(['.', '-']);
        match digits {
            0 => false,
            1 => rest.starts_with(|c: char| ('2'..='9').contains(&c)) && sep(1),
            n => !rest.starts_with('0') && sep(n),
        }
    })
}

/// The endpoint URL for `endpoint` (`generateContent`, `batchEmbedContents`, `predict`, …).
pub(crate) fn endpoint_url(
    t: &Target<'_>,
    flavor: Flavor,
    endpoint: &str,
    stream: bool,
) -> Result<String, Error> {
    let url = match flavor {
        Flavor::AiStudio => {
            let base = match t.api_base {
                Some(b) => b.trim_end_matches('/').to_owned(),
                None if matches!(endpoint, "generateContent" | "streamGenerateContent") => {
                    let version = if is_gemini_3_or_newer(t.model) {
                        "v1alpha"
                    } else {
                        "v1beta"
                    };
                    format!("{AI_STUDIO_BASE}/{version}")
                }
                None => format!("{AI_STUDIO_BASE}/v1beta"),
            };
            format!("{base}/models/{}:{endpoint}", t.model)
        }
        Flavor::Vertex => vertex_url(t, endpoint)?,
    };
    Ok(if stream { add_alt_sse(&url) } else { url })
}

fn add_alt_sse(url: &str) -> String {
    match url.split_once('?') {
        Some((_, q)) if !q.is_empty() => format!("{url}&alt=sse"),
        Some((base, _)) => format!("{base}?alt=sse"),
        None => format!("{url}?alt=sse"),
    }
}

/// Vertex AI: the regional host, or `api_base` as LiteLLM's `_check_custom_proxy` uses it
/// (a bare host or `/v1` gets the standard path grafted on; anything else is the model's
/// URL, to which `:{endpoint}` is appended).
fn vertex_url(t: &Target<'_>, endpoint: &str) -> Result<String, Error> {
    let location = t
        .param("vertex_location")
        .or_else(|| t.param("vertex_ai_location"))
        .unwrap_or("us-central1");
    if location != "global"
        && !(location.starts_with(|c: char| c.is_ascii_lowercase())
            && location
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        return Err(Error::bad_request(format!(
            "Invalid vertex_location format: '{location}'"
        )));
    }
    let default_path = |project: &str| {
        // `vertex_ai/gemini/<id>` is a fine-tuned model in Gemini format.
        let model = if t.model.contains("gemini/") {
            t.model.rsplit('/').next().unwrap_or(t.model)
        } else {
            t.model
        };
        if !model.is_empty() && model.chars().all(|c| c.is_ascii_digit()) {
            format!("/v1/projects/{project}/locations/{location}/endpoints/{model}:{endpoint}")
        } else {
            format!(
                "/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{endpoint}"
            )
        }
    };
    let project = || {
        t.param("vertex_project")
            .or_else(|| t.param("vertex_ai_project"))
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::BadRequest,
                    "vertex_project is not set: add `vertex_project` to the deployment's \
                     litellm_params (or set VERTEXAI_PROJECT)",
                )
                .with_provider("vertex_ai")
            })
    };
    let Some(api_base) = t.api_base else {
        let host = if location == "global" {
            "https://aiplatform.googleapis.com".to_owned()
        } else if !location.contains('-') {
            format!("https://aiplatform.{location}.rep.googleapis.com")
        } else {
            format!("https://{location}-aiplatform.googleapis.com")
        };
        return Ok(format!("{host}{}", default_path(project()?)));
    };
    let path = url::Url::parse(api_base)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        Ok(format!(
            "{}{}",
            api_base.trim_end_matches('/'),
            default_path(project()?)
        ))
    } else if trimmed == "/v1" || trimmed == "/v1beta1" {
        let grafted = default_path(project()?);
        let grafted = grafted.strip_prefix("/v1").unwrap_or(&grafted);
        Ok(format!("{}{grafted}", api_base.trim_end_matches('/')))
    } else {
        Ok(format!("{api_base}:{endpoint}"))
    }
}

/// `x-goog-api-key` for AI Studio, `Authorization: Bearer` for Vertex AI.
pub(crate) fn authorize(
    mut builder: http::request::Builder,
    t: &Target<'_>,
    flavor: Flavor,
) -> http::request::Builder {
    match flavor {
        Flavor::AiStudio => {
            if let Some(key) = t.api_key.filter(|k| !k.is_empty()) {
                builder = builder.header("x-goog-api-key", key);
            }
        }
        Flavor::Vertex => {
            if let Some(token) = t.bearer_token.or(t.api_key).filter(|k| !k.is_empty()) {
                builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
            }
        }
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemini_3_detection_matches_litellm() {
        for (m, three) in [
            ("gemini-2.5-flash", false),
            ("gemini-2.0-flash-001", false),
            ("gemini-1.5-pro", false),
            ("gemini-pro", false),
            ("gemini-flash-latest", true),
            ("gemini-flash-lite-latest", true),
            ("gemini-exp-1206", false),
            ("gemini-3-pro-preview", true),
            ("gemini-3.1-flash", true),
            ("gemma-3-27b-it", false),
            ("1234567890", false),
            ("gemini/my-tuned", false),
        ] {
            assert_eq!(is_gemini_3_or_newer(m), three, "{m}");
        }
    }

    #[test]
    fn json_schema_support_starts_at_gemini_2() {
        assert!(supports_response_json_schema("gemini-2.5-flash"));
        assert!(supports_response_json_schema("gemini-2-flash"));
        assert!(supports_response_json_schema("gemini-10.0-x"));
        assert!(!supports_response_json_schema("gemini-1.5-pro"));
        assert!(!supports_response_json_schema("gemini-pro"));
    }

    #[test]
    fn vertex_urls() {
        let mut params = JsonMap::new();
        params.insert("vertex_project".into(), json!("p"));
        let t = Target {
            model: "gemini-2.5-flash",
            params: Some(&params),
            ..Target::default()
        };
        assert_eq!(
            endpoint_url(&t, Flavor::Vertex, "streamGenerateContent", true).unwrap(),
            "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        let t2 = Target {
            api_base: Some("http://proxy:1/v1"),
            ..t
        };
        assert_eq!(
            endpoint_url(&t2, Flavor::Vertex, "generateContent", false).unwrap(),
            "http://proxy:1/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
        );
        let t3 = Target {
            api_base: Some("http://gw/custom/model"),
            params: None,
            ..t
        };
        assert_eq!(
            endpoint_url(&t3, Flavor::Vertex, "generateContent", true).unwrap(),
            "http://gw/custom/model:generateContent?alt=sse"
        );
        let no_project = Target { params: None, ..t };
        let err = endpoint_url(&no_project, Flavor::Vertex, "generateContent", false).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.message.contains("vertex_project"));
    }
}
