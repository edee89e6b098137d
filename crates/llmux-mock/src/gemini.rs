//! Gemini routes (Google AI Studio and Vertex AI share the wire format):
//! `…/models/{m}:generateContent`, `:streamGenerateContent`, `:embedContent`,
//! `:batchEmbedContents` and Vertex AI's `:predict` (text embeddings).

use std::sync::LazyLock;

use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::Controls;
use crate::embeddings::{PATTERN, vector};
use crate::errors::{Family, bad_body, bad_request};
use crate::openai::{PIECES, TEXT, TOK};
use crate::template::{MODEL, Model, StreamTemplate, Template, json_ok};
use crate::tools::ToolCall;

const RESPONSE_ID: &str = "mock-gemini-01";
const MAX_CANDIDATES: u32 = 8;
const MAX_INPUTS: usize = 2048;
const MAX_DIMENSIONS: usize = 16_384;

static ANSWER_JSON: LazyLock<Template> = LazyLock::new(|| Template::json(&answer_json(1, None)));
static ANSWER_STREAM: LazyLock<StreamTemplate> = LazyLock::new(|| answer_stream(1, None));

/// Build the cached templates now rather than on the first request.
pub(crate) fn warm_up() {
    LazyLock::force(&ANSWER_JSON);
    LazyLock::force(&ANSWER_STREAM);
}

/// The fields of a generateContent request the mock looks at. Gemini accepts camelCase
/// and snake_case field names; so does the mock.
#[derive(Deserialize)]
struct GenerateRequest {
    #[serde(default)]
    contents: Vec<Value>,
    #[serde(default)]
    tools: Vec<Value>,
    #[serde(default, alias = "tool_config")]
    #[serde(rename = "toolConfig")]
    tool_config: Option<Value>,
    #[serde(default, alias = "generation_config")]
    #[serde(rename = "generationConfig")]
    generation_config: Option<Value>,
}

/// `field` or its snake_case spelling.
fn either<'a>(v: &'a Value, camel: &str, snake: &str) -> &'a Value {
    match &v[camel] {
        Value::Null => &v[snake],
        found => found,
    }
}

impl GenerateRequest {
    fn candidates(&self) -> u32 {
        let config = self.generation_config.as_ref().unwrap_or(&Value::Null);
        either(config, "candidateCount", "candidate_count")
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1)
            .clamp(1, MAX_CANDIDATES)
    }

    /// The function to call: the forced one (`allowedFunctionNames`) or the first one
    /// declared, unless the mode is `NONE` or the last turn answers a call.
    fn tool_call(&self) -> Option<ToolCall> {
        let declarations: Vec<&Value> = self
            .tools
            .iter()
            .filter_map(|t| either(t, "functionDeclarations", "function_declarations").as_array())
            .flatten()
            .collect();
        if declarations.is_empty() {
            return None;
        }
        let config = self.tool_config.as_ref().unwrap_or(&Value::Null);
        let calling = either(config, "functionCallingConfig", "function_calling_config");
        if calling["mode"]
            .as_str()
            .is_some_and(|m| m.eq_ignore_ascii_case("none"))
        {
            return None;
        }
        let answers_call = self.contents.last().is_some_and(|c| {
            c["parts"].as_array().is_some_and(|parts| {
                parts
                    .iter()
                    .any(|p| !either(p, "functionResponse", "function_response").is_null())
            })
        });
        if answers_call {
            return None;
        }
        let forced = either(calling, "allowedFunctionNames", "allowed_function_names")[0].as_str();
        let chosen = match forced {
            Some(name) => declarations.iter().find(|d| d["name"] == name),
            None => declarations.first(),
        };
        let name = forced.or_else(|| chosen?["name"].as_str())?;
        let schema = chosen.map(|d| match &d["parameters"] {
            Value::Null => &d["parametersJsonSchema"],
            p => p,
        });
        Some(ToolCall::new(name, schema))
    }
}

/// `POST …/models/{model}:generateContent` and `:streamGenerateContent`.
pub(crate) fn generate(
    model: &str,
    body: &[u8],
    stream: bool,
    controls: &Controls<'_>,
) -> Response {
    let request: GenerateRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => return bad_body(Family::Gemini, &e),
    };
    let model = Model::new(model);
    let n = request.candidates();
    let tool = request.tool_call();
    let cached = n == 1 && tool.is_none();
    match (stream, cached) {
        (true, true) => ANSWER_STREAM.respond(&model, controls),
        (true, false) => answer_stream(n, tool.as_ref()).respond(&model, controls),
        (false, true) => json_ok(ANSWER_JSON.render(&model)),
        (false, false) => json_ok(Template::json(&answer_json(n, tool.as_ref())).render(&model)),
    }
}

fn usage() -> Value {
    json!({
        "promptTokenCount": 12,
        "candidatesTokenCount": 9,
        "totalTokenCount": 21,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}]
    })
}

fn parts(tool: Option<&ToolCall>, text: &str) -> Value {
    match tool {
        None => json!([{ "text": text }]),
        Some(tool) => json!([{"functionCall": {"name": tool.name, "args": tool.input}}]),
    }
}

fn candidates(n: u32, parts: &Value, finish: bool) -> Value {
    (0..n)
        .map(|index| {
            let mut c = json!({"content": {"parts": parts, "role": "model"}, "index": index});
            if let (true, Some(c)) = (finish, c.as_object_mut()) {
                c.insert("finishReason".into(), json!("STOP"));
            }
            c
        })
        .collect()
}

fn answer_json(n: u32, tool: Option<&ToolCall>) -> Value {
    json!({
        "candidates": candidates(n, &parts(tool, TEXT), true),
        "usageMetadata": usage(),
        "modelVersion": MODEL,
        "responseId": RESPONSE_ID
    })
}

/// One stream event; `last` carries the finish reason and the full usage.
fn event(n: u32, parts: &Value, last: bool) -> Template {
    let usage = if last {
        usage()
    } else {
        json!({"promptTokenCount": 12, "totalTokenCount": 12})
    };
    Template::sse_crlf(&json!({
        "candidates": candidates(n, parts, last),
        "usageMetadata": usage,
        "modelVersion": MODEL,
        "responseId": RESPONSE_ID
    }))
}

/// `data: <json>\r\n\r\n` events, no `[DONE]`: the text pieces, then an empty text
/// part with `finishReason` and the full usage.
fn answer_stream(n: u32, tool: Option<&ToolCall>) -> StreamTemplate {
    match tool {
        None => StreamTemplate {
            body: PIECES
                .iter()
                .map(|p| event(n, &parts(None, p), false))
                .collect(),
            tok: vec![event(n, &parts(None, TOK), false)],
            tail: vec![event(n, &parts(None, ""), true)],
            ..StreamTemplate::default()
        },
        Some(tool) => StreamTemplate {
            body: vec![event(n, &parts(Some(tool), ""), true)],
            ..StreamTemplate::default()
        },
    }
}

/// `POST …/models/{model}:embedContent`, `:batchEmbedContents` and Vertex's `:predict`.
pub(crate) fn embed(kind: EmbedKind, body: &[u8]) -> Response {
    let request: Value = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => return bad_body(Family::Gemini, &e),
    };
    let items: Vec<&Value> = match kind {
        EmbedKind::Single => vec![&request],
        EmbedKind::Batch => request["requests"]
            .as_array()
            .map(|r| r.iter().collect())
            .unwrap_or_default(),
        EmbedKind::Predict => request["instances"]
            .as_array()
            .map(|r| r.iter().collect())
            .unwrap_or_default(),
    };
    if items.is_empty() || items.len() > MAX_INPUTS {
        return bad_request(Family::Gemini, "* requests: must have 1 to 2048 items");
    }
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let dims_field = match kind {
            EmbedKind::Predict => &request["parameters"]["outputDimensionality"],
            _ => either(item, "outputDimensionality", "output_dimensionality"),
        };
        let dims = dims_field
            .as_u64()
            .and_then(|d| usize::try_from(d).ok())
            .unwrap_or(PATTERN.len());
        if dims == 0 || dims > MAX_DIMENSIONS {
            return bad_request(
                Family::Gemini,
                "outputDimensionality must be between 1 and 16384",
            );
        }
        let values: Vec<Value> = vector(index, dims)
            .map(|x| Value::from(f64::from(x)))
            .collect();
        out.push(match kind {
            EmbedKind::Predict => json!({"embeddings": {"values": values,
                "statistics": {"token_count": 5, "truncated": false}}}),
            _ => json!({ "values": values }),
        });
    }
    let response = match kind {
        EmbedKind::Single => json!({"embedding": out.pop().unwrap_or(Value::Null)}),
        EmbedKind::Batch => json!({ "embeddings": out }),
        EmbedKind::Predict => {
            json!({"predictions": out, "metadata": {"billableCharacterCount": 5 * items.len()}})
        }
    };
    json_ok(response.to_string().into())
}

/// Which embedding endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EmbedKind {
    Single,
    Batch,
    Predict,
}

/// `(model, method)` of a `…/models/{model}:{method}` path.
pub(crate) fn split_path(path: &str) -> Option<(&str, &str)> {
    let (_, last) = path.trim_end_matches('/').rsplit_once("/models/")?;
    let (model, method) = last.rsplit_once(':')?;
    (!model.is_empty() && !model.contains('/')).then_some((model, method))
}

/// The status name Gemini puts next to an HTTP status.
fn status_name(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "NOT_IMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        c if c >= 500 => "UNKNOWN",
        _ => "FAILED_PRECONDITION",
    }
}

/// `{"error": {"code", "message", "status"}}`.
pub(crate) fn error_body(code: u16, context: bool) -> Value {
    let message = match code {
        400 if context => "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).".to_owned(),
        400 => "Request contains an invalid argument.".to_owned(),
        401 => "API key not valid. Please pass a valid API key.".to_owned(),
        403 => "Permission denied on resource project mock.".to_owned(),
        404 => "models/mock is not found for API version v1beta.".to_owned(),
        429 => "Resource has been exhausted (e.g. check quota).".to_owned(),
        500 => "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting".to_owned(),
        503 => "The model is overloaded. Please try again later.".to_owned(),
        code => format!("llmux-mock error with status {code}"),
    };
    body(code, &message)
}

/// A Gemini error body.
pub(crate) fn body(code: u16, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status_name(code)}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            split_path("/v1beta/models/gemini-2.5-flash:generateContent"),
            Some(("gemini-2.5-flash", "generateContent"))
        );
        assert_eq!(
            split_path("/v1/projects/p/locations/l/publishers/google/models/m:predict"),
            Some(("m", "predict"))
        );
        assert_eq!(split_path("/v1/models"), None);
        assert_eq!(split_path("/v1beta/models/:x"), None);
    }

    #[test]
    fn tool_choice_follows_allowed_function_names() {
        let request: GenerateRequest = serde_json::from_value(json!({
            "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "tools": [{"function_declarations": [
                {"name": "a", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}},
                {"name": "b"}
            ]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowed_function_names": ["b"]}}
        }))
        .unwrap();
        assert_eq!(request.tool_call().unwrap().name, "b");
        let request: GenerateRequest = serde_json::from_value(json!({
            "contents": [{"role": "user", "parts": [{"function_response": {"name": "a", "response": {}}}]}],
            "tools": [{"functionDeclarations": [{"name": "a"}]}]
        }))
        .unwrap();
        assert!(request.tool_call().is_none());
    }
}
