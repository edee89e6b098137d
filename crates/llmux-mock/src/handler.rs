//! The single request handler: controls, recording, then routing on the path suffix.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use serde::Deserialize;

use crate::control::{self, BodyFault, Controls, ErrorControl};
use crate::errors::{self, Family};
use crate::gemini::{self, EmbedKind};
use crate::record::RecordedRequest;
use crate::template::{json_ok, response, sse_response};
use crate::{MockState, anthropic, embeddings, families, openai, responses};

/// What a request asks for, from its method and (control-stripped) path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Chat,
    Completion,
    Embeddings,
    Messages,
    Responses,
    /// `…/models/{m}:generateContent` (`stream: false`) or `:streamGenerateContent`.
    Gemini {
        stream: bool,
    },
    /// `…/models/{m}:embedContent`, `:batchEmbedContents` or `:predict`.
    GeminiEmbed(EmbedKind),
    /// `…/model/{id}/converse` (`stream: false`) or `…/converse-stream`.
    BedrockConverse {
        stream: bool,
    },
    /// `…/model/{id}/invoke` (embeddings, or Anthropic models).
    BedrockInvoke,
    /// `…/model/{id}/invoke-with-response-stream` (Anthropic models).
    BedrockInvokeStream,
    CohereChat,
    CohereEmbed,
    /// `…/api/chat` (`chat: true`) or `…/api/generate`.
    Ollama {
        chat: bool,
    },
    OllamaEmbed,
    Models,
    Health,
    Unknown,
}

/// The `{id}` of a Bedrock `…/model/{id}/{action}` path, percent-decoding left to the caller.
fn bedrock_model(path: &str) -> Option<(&str, &str)> {
    let (head, action) = path.rsplit_once('/')?;
    let (_, model) = head.rsplit_once("/model/")?;
    Some((model, action))
}

impl Route {
    fn of(method: &Method, path: &str) -> Self {
        let path = path.trim_end_matches('/');
        if *method == Method::POST {
            if let Some((_, action)) = bedrock_model(path) {
                match action {
                    "converse" => return Self::BedrockConverse { stream: false },
                    "converse-stream" => return Self::BedrockConverse { stream: true },
                    "invoke" => return Self::BedrockInvoke,
                    "invoke-with-response-stream" => return Self::BedrockInvokeStream,
                    _ => {}
                }
            }
            if path.ends_with("/v2/chat") {
                return Self::CohereChat;
            } else if path.ends_with("/v2/embed") {
                return Self::CohereEmbed;
            } else if path.ends_with("/api/chat") {
                return Self::Ollama { chat: true };
            } else if path.ends_with("/api/generate") {
                return Self::Ollama { chat: false };
            } else if path.ends_with("/api/embed") {
                return Self::OllamaEmbed;
            }
            if let Some((_, call)) = gemini::split_path(path) {
                return match call {
                    "generateContent" => Self::Gemini { stream: false },
                    "streamGenerateContent" => Self::Gemini { stream: true },
                    "embedContent" => Self::GeminiEmbed(EmbedKind::Single),
                    "batchEmbedContents" => Self::GeminiEmbed(EmbedKind::Batch),
                    "predict" => Self::GeminiEmbed(EmbedKind::Predict),
                    _ => Self::Unknown,
                };
            }
            if path.ends_with("/chat/completions") {
                return Self::Chat;
            } else if path.ends_with("/completions") {
                return Self::Completion;
            } else if path.ends_with("/embeddings") {
                return Self::Embeddings;
            } else if path.ends_with("/messages") {
                return Self::Messages;
            } else if path.ends_with("/responses") {
                return Self::Responses;
            }
        } else if *method == Method::GET {
            if path.ends_with("/models") {
                return Self::Models;
            } else if path == "/health" {
                return Self::Health;
            }
        }
        Self::Unknown
    }

    fn family(self) -> Family {
        match self {
            Self::Messages => Family::Anthropic,
            Self::Gemini { .. } | Self::GeminiEmbed(_) => Family::Gemini,
            Self::BedrockConverse { .. } | Self::BedrockInvoke | Self::BedrockInvokeStream => {
                Family::Bedrock
            }
            Self::CohereChat | Self::CohereEmbed => Family::Cohere,
            Self::Ollama { .. } | Self::OllamaEmbed => Family::Ollama,
            _ => Family::OpenAi,
        }
    }
}

/// Handle any request.
pub(crate) async fn handle(State(state): State<MockState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let (controls, route_path) = match control::parse(path) {
        Ok(parsed) => parsed,
        Err(message) => {
            return errors::bad_request(Route::of(&parts.method, path).family(), &message);
        }
    };
    let route = Route::of(&parts.method, route_path);
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return errors::bad_request(route.family(), "could not read the request body");
    };
    if !matches!(route, Route::Models | Route::Health) && state.recording() {
        state.record(RecordedRequest::new(&parts, &body));
    }
    let error = controls.error.or_else(|| {
        controls.fail_first.map(|_| ErrorControl {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            context: false,
        })
    });
    let fail = match controls.fail_first {
        Some(n) => state.bump(controls.prefix) < n,
        None => true,
    };
    if let Some(ms) = controls.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(error) = error.filter(|_| fail) {
        return errors::control_error(route.family(), error, controls.retry_after);
    }
    if controls.bad_json && route != Route::Health {
        return bad_json(route, &body);
    }
    let answer = respond(route, &parts.method, path, &body, &controls);
    let answer = match controls.body_fault {
        Some(fault) if route != Route::Health => body_fault(fault, answer).await,
        _ => answer,
    };
    let answer = match controls.huge_kib {
        Some(kib) if !is_stream(&answer) => padded(answer, kib).await,
        _ => answer,
    };
    count_dropped_stream(&state, answer)
}

fn is_stream(answer: &Response) -> bool {
    answer
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"))
}

/// The JSON object `answer` with a `"llmux_mock_padding"` string of `kib` KiB first.
async fn padded(answer: Response, kib: usize) -> Response {
    let (mut parts, body) = answer.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return errors::bad_request(Family::OpenAi, "could not render the answer");
    };
    let Some(rest) = bytes.strip_prefix(b"{") else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let mut out = b"{\"llmux_mock_padding\": \"".to_vec();
    out.resize(out.len() + kib * 1024, b'x');
    out.extend_from_slice(b"\", ");
    out.extend_from_slice(rest);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(out))
}

/// A 200 whose body is wrong as `fault` says; `answer` is the usual one.
async fn body_fault(fault: BodyFault, answer: Response) -> Response {
    match fault {
        BodyFault::Html => response(
            StatusCode::OK,
            "text/html",
            Bytes::from_static(b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"),
        ),
        BodyFault::WrongShape => json_ok(Bytes::from_static(br#"{"id": 42, "choices": "none"}"#)),
        BodyFault::Truncated | BodyFault::FakeGzip | BodyFault::StallBody(_) => {
            let (mut parts, body) = answer.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return errors::bad_request(Family::OpenAi, "could not render the answer");
            };
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            if let BodyFault::StallBody(ms) = fault {
                let half = bytes.len() / 2;
                let pieces = [bytes.slice(..half), bytes.slice(half..)];
                let body = futures::stream::iter(pieces.into_iter().enumerate()).then(
                    move |(i, piece)| async move {
                        if i == 1 {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                        }
                        Ok::<_, std::io::Error>(piece)
                    },
                );
                return Response::from_parts(parts, axum::body::Body::from_stream(body));
            }
            let bytes = if fault == BodyFault::Truncated {
                bytes.slice(..bytes.len() / 2)
            } else {
                parts.headers.insert(
                    axum::http::header::CONTENT_ENCODING,
                    axum::http::HeaderValue::from_static("gzip"),
                );
                bytes
            };
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
    }
}

/// Streams (`text/event-stream`) count in [`MockState::streams_dropped`] when their
/// reader goes away before the end.
fn count_dropped_stream(state: &MockState, answer: Response) -> Response {
    if !is_stream(&answer) {
        return answer;
    }
    struct Guard {
        state: MockState,
        finished: bool,
    }
    impl Guard {
        fn finished(&mut self, finished: bool) {
            self.finished = finished;
        }
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            if !self.finished {
                self.state.stream_dropped();
            }
        }
    }
    let (parts, body) = answer.into_parts();
    let guard = Guard {
        state: state.clone(),
        finished: false,
    };
    let frames = futures::stream::unfold(
        (body.into_data_stream(), guard),
        |(mut body, mut guard)| async move {
            match body.next().await {
                Some(frame) => {
                    // A stream broken on purpose (`/break_stream`) was not dropped.
                    guard.finished(frame.is_err());
                    Some((frame, (body, guard)))
                }
                None => {
                    guard.finished(true);
                    None
                }
            }
        },
    );
    Response::from_parts(parts, axum::body::Body::from_stream(frames))
}

fn respond(
    route: Route,
    method: &Method,
    path: &str,
    body: &Bytes,
    controls: &Controls<'_>,
) -> Response {
    match route {
        Route::Chat => openai::chat(body, controls),
        Route::Completion => openai::completion(body, controls),
        Route::Embeddings => embeddings::embeddings(body),
        Route::Messages => anthropic::messages(body, controls),
        Route::Responses => responses::responses(body, controls),
        Route::Gemini { stream } => {
            let model = gemini::split_path(path).map_or("", |(model, _)| model);
            gemini::generate(model, body, stream, controls)
        }
        Route::GeminiEmbed(kind) => gemini::embed(kind, body),
        Route::BedrockConverse { stream } => families::bedrock_converse(body, stream, controls),
        Route::BedrockInvoke => {
            let model = bedrock_model(path.trim_end_matches('/')).map_or("", |(m, _)| m);
            families::bedrock_invoke(model, body)
        }
        Route::BedrockInvokeStream => families::bedrock_invoke_stream(body, controls),
        Route::CohereChat => families::cohere_chat(body, controls),
        Route::CohereEmbed => families::cohere_embed(body),
        Route::Ollama { chat } => families::ollama(body, chat, controls),
        Route::OllamaEmbed => families::ollama_embed(body),
        Route::Models => openai::models(),
        Route::Health => json_ok(Bytes::from_static(br#"{"status":"ok"}"#)),
        Route::Unknown => errors::not_found(method.as_str(), path),
    }
}

/// A 200 whose body is not valid JSON (an SSE event with broken JSON for stream requests).
fn bad_json(route: Route, body: &Bytes) -> Response {
    #[derive(Deserialize)]
    struct StreamFlag {
        stream: Option<bool>,
    }
    if route == (Route::Gemini { stream: true }) {
        let event = Bytes::from_static(b"data: {\"candidates\": [{\"content\": {\r\n\r\n");
        return sse_response(vec![event], false);
    }
    let stream = serde_json::from_slice::<StreamFlag>(body).is_ok_and(|r| r.stream == Some(true));
    if stream {
        let event = Bytes::from_static(b"data: {\"id\":\"chatcmpl-mock0001\",\"choices\":[{\n\n");
        let done = Bytes::from_static(b"data: [DONE]\n\n");
        return sse_response(vec![event, done], false);
    }
    let text = Bytes::from_static(b"{\"id\":\"chatcmpl-mock0001\",\"object\":\"chat.completion\",\"choices\":[{ this is not json");
    response(StatusCode::OK, "application/json", text)
}
