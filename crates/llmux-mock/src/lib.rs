//! `llmux-mock`: a fast, deterministic fake LLM upstream for llmux's tests and benchmarks.
//!
//! Start it in-process with [`MockServer::start`] (binds `127.0.0.1:0`) and point a gateway
//! deployment's `api_base` at [`MockServer::url`], or run the `llmux-mock` binary
//! (`llmux-mock --port 18181 [--host 127.0.0.1] [--no-record]`).
//!
//! Every answer is fixed: the assistant always says `"Hello! How can I help you today?"`,
//! usage is always 12 prompt / 9 completion tokens, ids are `chatcmpl-mock0001`, `cmpl-mock0001`,
//! `msg_mock01`, `call_mock_0`, `toolu_mock01`, `mock-gemini-01`, and `created` is `1700000000`.
//! Only the `model` is echoed from the request (default `gpt-4o-mini`, `text-embedding-3-small`
//! for embeddings, `claude-sonnet-4-5` for messages; Gemini's comes from the path, as
//! `modelVersion`).
//!
//! # Routes
//!
//! Routes match on the path **suffix**, so any `api_base` prefix works
//! (`/v1/chat/completions`, `/openai/deployments/d/chat/completions?api-version=x`, …).
//!
//! | Route | Answer |
//! |---|---|
//! | `POST …/chat/completions` | OpenAI chat completion. `n` gives n choices. With `tools` (unless the last message has role `tool` or `tool_choice` is `"none"`) it calls the forced tool (`tool_choice.function.name`) or else the first tool, with arguments built from the tool's JSON schema (required and enum properties; string → `"Paris"` for `location` else `"x"`, integer → 42, number → 1.5, boolean → true, enum → first value). `"stream": true` gives SSE: a role chunk, content chunks `"Hello"`, `"! How can"`, `" I help you today?"`, a finish chunk, a usage chunk with `choices: []` if `stream_options.include_usage` (then every other chunk has `"usage": null`), and `data: [DONE]`. Tool-call streams send the id/name with empty arguments, then the arguments in two halves. |
//! | `POST …/completions` | OpenAI text completion (`object: "text_completion"`), streamed like chat when `"stream": true`. |
//! | `POST …/embeddings` | OpenAI embeddings: one item per input (string, strings, token array or token arrays), `dimensions` floats (default 8) from the exactly representable pattern `0.5, -0.25, 0.125, 1.0, -0.5, 0.75, 0.0625, -1.0` plus `i * 0.0078125` for item `i`; `encoding_format: "base64"` gives little-endian f32 bytes in base64. Usage is 5 tokens per input. |
//! | `POST …/messages` | Anthropic Messages API. With `tools` (unless the last message carries a `tool_result` or `tool_choice.type` is `none`) it answers with a text block `"Let me look that up."` and a `tool_use` block for `tool_choice.name` or the first tool. `"stream": true` gives Anthropic's SSE events (`message_start`, `content_block_start`, `ping`, `content_block_delta`, `content_block_stop`, `message_delta`, `message_stop`). |
//! | `POST …/responses` | OpenAI Responses API: a response object (`resp_mock01`) whose output is a `message` (`msg_mock01`, the usual text) or, with function `tools` (arguments from the schema, as for chat tool calls: `location` is `"Paris"`, a shell `cmd` is `"echo llmux-mock-tool-ran"`) (unless the last input item is a `function_call_output` or `tool_choice` is `"none"`), one `function_call` (`fc_mock01`, `call_mock_0`) to `tool_choice.name` or the first function. `"stream": true` gives OpenAI's events with `event:` lines and `sequence_number`s (`response.created` … `response.completed`, text in the usual three deltas, arguments in two halves); `/break_stream`, `/cut_stream`, `/bad_event`, `/stall_stream` and `/pace` strike after the first delta. |
//! | `POST …/models/{m}:generateContent` | Gemini (AI Studio and Vertex AI paths alike). `generationConfig.candidateCount` (or `candidate_count`) gives that many candidates. With `tools[].functionDeclarations` (or `function_declarations`), unless `toolConfig.functionCallingConfig.mode` is `NONE` or the last turn holds a `functionResponse`, the part is a `functionCall` to the first allowed function name or else the first declared one, arguments from its `parameters` as for OpenAI. Usage: `promptTokenCount` 12, `candidatesTokenCount` 9, `totalTokenCount` 21 and a TEXT `promptTokensDetails`; `responseId` `mock-gemini-01`, `modelVersion` the `{m}` of the path. |
//! | `POST …/models/{m}:streamGenerateContent` | Gemini SSE with CRLF line ends (`data: …\r\n\r\n`, no `[DONE]`): one event per piece `"Hello"`, `"! How can"`, `" I help you today?"` (usage without candidates tokens), then `{"text": ""}` with `finishReason: STOP` and the full usage. A tool call is a single event with the `functionCall`, the finish reason and the usage. |
//! | `POST …/models/{m}:embedContent` / `:batchEmbedContents` | Gemini embeddings (`{"embedding": {"values"}}` / one `{"values"}` per `requests` item) with the OpenAI route's values; `outputDimensionality` sets the length. |
//! | `POST …/models/{m}:predict` | Vertex AI text embeddings: one `predictions[].embeddings` (`values`, `statistics.token_count` 5) per `instances` item; `parameters.outputDimensionality` sets the length. |
//! | `POST …/model/{id}/converse` | Bedrock Converse: `{"text"}` content, or with `toolConfig.tools` (unless the last turn holds a `toolResult`) a text block `"Let me look that up."` and a `toolUse` (`tooluse_mock01`) for `toolChoice.tool.name` or the first tool; usage 12/9/21. |
//! | `POST …/model/{id}/converse-stream` | The same as the binary AWS event-stream (`application/vnd.amazon.eventstream`, encoded by `aws-smithy-eventstream`): `messageStart`, `contentBlockDelta`s (tool input in two halves), `contentBlockStop`, `messageStop`, `metadata`. `/chunks` and `/break_stream` apply. |
//! | `POST …/model/{id}/invoke-with-response-stream` | For `anthropic.` ids: Anthropic's stream events, each the base64 `bytes` of an event-stream `chunk` message. |
//! | `POST …/model/{id}/invoke` | An Anthropic Messages answer for `anthropic.` ids (tool use as on `…/messages`); else Bedrock embeddings: Titan (`{"embedding", "inputTextTokenCount": 5}`, `dimensions` floats) or, for a `cohere` id, `{"embeddings": [[…]…]}`. |
//! | `POST …/v2/chat` | Cohere v2 chat (`COMPLETE` text or a `TOOL_CALL` with `tool_plan` and `mock_cohere_call_0`); `"stream": true` gives Cohere's real SSE (`event:` + `data:` lines: `message-start`, `content-delta`… or `tool-plan-delta`, `tool-call-start`, `tool-call-delta`s, `tool-call-end`, then `message-end` with usage). |
//! | `POST …/v2/embed` | Cohere v2 embed: `{"embeddings": {"float": …}}`, 5 billed tokens per text. |
//! | `POST …/api/chat`, `…/api/generate` | Ollama: one JSON object, or NDJSON lines when `stream` is not `false` (Ollama's default); tool calls come without ids, as Ollama sends them; `format` (a schema or `"json"`) gives a JSON text. |
//! | `POST …/api/embed` | Ollama embeddings, `prompt_eval_count` 5 per input. |
//! | `GET …/models` | One model, `gpt-4o-mini`. |
//! | `GET /health` | `{"status":"ok"}` |
//! | anything else | 404 with an OpenAI-style error. |
//!
//! A body that is not valid JSON of the expected shape gets a 400 in the provider's error format.
//!
//! # Path-prefix controls
//!
//! Controls are leading path segments, may be combined in any order, and are stripped before
//! routing: `/fail_first/2/error/429/v1/chat/completions`.
//!
//! | Control | Effect |
//! |---|---|
//! | `/error/{status}` | Answer `{status}` with the provider-native error body (OpenAI shape; Anthropic shape on `…/messages`; Gemini's `{"error": {"code", "message", "status"}}` on the Gemini routes; `{"message"}` with `x-amzn-ErrorType` on Bedrock's, `{"message"}` on Cohere's, `{"error"}` on Ollama's). 401, 429 (with `retry-after: 1`), 500 and 529 (503 for Gemini) have realistic messages; `/error/400_context` is a context-length error. |
//! | `/fail_first/{n}` | Only the first `n` requests with this exact control prefix get the error (default 500 if no `/error`); later ones succeed. |
//! | `/delay/{ms}` | Sleep before answering. |
//! | `/chunks/{n}` | Streams carry `n` content chunks (Gemini: events) of `"tok "` instead of the default three. |
//! | `/break_stream` | Streams stop after the first content chunk and the connection is aborted (no `[DONE]` / `message_stop` / finishing Gemini event, incomplete chunked body). |
//! | `/bad_json` | 200 with a body that is not valid JSON (an SSE event with broken JSON for streams; on `:streamGenerateContent` the event is cut off and the body ends). |
//! | `/retry_after/{value}` | Adds `retry-after: {value}` as written (`1e20`, `-5`, `soon`) to the error response. |
//! | `/truncated` | 200 with the usual (non-stream) answer cut in half. |
//! | `/html` | 200 `text/html` with a proxy's error page. |
//! | `/wrong_shape` | 200 with valid JSON that is not the expected object (`{"id": 42, "choices": "none"}`). |
//! | `/stall_body/{ms}` | 200 headers at once, then half the usual answer, a pause of `{ms}`, the rest. |
//! | `/fake_gzip` | 200 with the usual answer, uncompressed, labelled `content-encoding: gzip`. |
//! | `/bad_event` | Streams (those above built from fixed events: OpenAI chat and Responses, Anthropic, Gemini) send a non-JSON event after the first content event, then the rest. |
//! | `/cut_stream` | Those streams end cleanly (complete chunked body) right after the first content event: no `[DONE]`, no finishing event. |
//! | `/stall_stream/{ms}` | Those streams pause `{ms}` after the first content event, then send the rest. |
//! | `/pad/{kib}` | The whole answer padded with a `"llmux_mock_padding"` string of `{kib}` KiB; streams send, after the first content event, one line of `{kib}` KiB that never ends, then close. |
//! | `/pace/{ms}` | Those streams sleep `{ms}` before each event. |
//!
//! [`MockServer::streams_dropped`] counts streamed answers whose reader went away before
//! their end (a gateway that closed the upstream connection).
//!
//! # Recording
//!
//! Every request except `GET …/models` and `GET /health` is recorded (including ones answered
//! with a control error), with its original path; see [`MockServer::requests`]. Recording can be
//! switched off with [`MockState::set_recording`] (the binary's `--no-record`).

mod anthropic;
mod control;
mod embeddings;
mod errors;
mod families;
mod gemini;
mod handler;
mod openai;
mod record;
mod responses;
mod template;
mod tools;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use record::RecordedRequest;

/// A router serving the mock with a fresh [`MockState`] (recording on).
pub fn router() -> Router {
    MockState::new().router()
}

/// Shared state of a mock: the request log and the `/fail_first` counters. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct MockState {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    not_recording: AtomicBool,
    requests: Mutex<Vec<RecordedRequest>>,
    fail_counts: Mutex<HashMap<String, usize>>,
    /// Streamed bodies whose reader went away before their end.
    streams_dropped: AtomicUsize,
}

impl MockState {
    /// A fresh state with recording on.
    pub fn new() -> Self {
        openai::warm_up();
        anthropic::warm_up();
        gemini::warm_up();
        Self::default()
    }

    /// A router serving the mock with this state.
    pub fn router(&self) -> Router {
        Router::new()
            .fallback(handler::handle)
            .with_state(self.clone())
    }

    /// Turn request recording on or off (off for benchmarks).
    pub fn set_recording(&self, on: bool) {
        self.inner.not_recording.store(!on, Ordering::Relaxed);
    }

    /// Every recorded request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.inner.requests).clone()
    }

    /// Forget the recorded requests and reset the `/fail_first` counters.
    pub fn clear(&self) {
        lock(&self.inner.requests).clear();
        lock(&self.inner.fail_counts).clear();
    }

    /// How many streamed answers lost their reader (the gateway closed the connection)
    /// before their last byte was sent.
    pub fn streams_dropped(&self) -> usize {
        self.inner.streams_dropped.load(Ordering::Relaxed)
    }

    fn stream_dropped(&self) {
        self.inner.streams_dropped.fetch_add(1, Ordering::Relaxed);
    }

    fn recording(&self) -> bool {
        !self.inner.not_recording.load(Ordering::Relaxed)
    }

    fn record(&self, request: RecordedRequest) {
        lock(&self.inner.requests).push(request);
    }

    /// Count one more request under a `/fail_first` prefix; returns how many came before it.
    fn bump(&self, prefix: &str) -> usize {
        let mut counts = lock(&self.inner.fail_counts);
        let count = counts.entry(prefix.to_owned()).or_insert(0);
        *count += 1;
        *count - 1
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A mock server running in a spawned tokio task; dropping it shuts the server down.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: MockState,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MockServer {
    /// Bind `127.0.0.1:0` and serve in a spawned tokio task.
    pub async fn start() -> std::io::Result<MockServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        Self::start_on(listener).await
    }

    /// Serve on an already bound listener with a fresh state.
    pub async fn start_on(listener: TcpListener) -> std::io::Result<MockServer> {
        Self::start_with(listener, MockState::new()).await
    }

    /// Serve on an already bound listener with the given state.
    pub async fn start_with(
        listener: TcpListener,
        state: MockState,
    ) -> std::io::Result<MockServer> {
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let listener = listener.tap_io(|tcp| {
            tcp.set_nodelay(true).ok();
        });
        let app = state.router();
        tokio::spawn(async move {
            let stop = async {
                stopped.await.ok();
            };
            axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
                .ok();
        });
        Ok(MockServer {
            addr,
            state,
            shutdown: Some(shutdown),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, to use as an `api_base` (append controls and `/v1` as needed).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's shared state.
    pub fn state(&self) -> &MockState {
        &self.state
    }

    /// Every request received so far (not `GET …/models` or `/health`), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Forget the recorded requests and reset the `/fail_first` counters.
    pub fn clear(&self) {
        self.state.clear();
    }

    /// See [`MockState::streams_dropped`].
    pub fn streams_dropped(&self) -> usize {
        self.state.streams_dropped()
    }

    /// Turn request recording on or off.
    pub fn set_recording(&self, on: bool) {
        self.state.set_recording(on);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
    }
}
