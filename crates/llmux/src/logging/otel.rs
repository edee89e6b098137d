//! `otel`: one OpenTelemetry span per request, exported over OTLP (HTTP/protobuf or
//! gRPC), with the GenAI semantic conventions' attributes (`gen_ai.*`), as LiteLLM's
//! `OpenTelemetry` logger (`integrations/opentelemetry.py`) configured by
//! `OTEL_EXPORTER` (`otlp_http`, the default here, or `otlp_grpc`), `OTEL_ENDPOINT`,
//! `OTEL_HEADERS` (`k=v,k2=v2`) and `OTEL_SERVICE_NAME`, or by
//! `callback_settings.otel.{exporter, endpoint, headers, service_name}`.
//!
//! The spans are built from the payloads on the sink's task and sent as one
//! `ExportTraceServiceRequest` per batch (`opentelemetry-proto`'s types; prost encodes,
//! reqwest or tonic sends). No OpenTelemetry SDK pipeline runs: the logging queue already
//! is the batch processor, so a span is queued once, not twice. A failed export is
//! counted and logged, never retried.
//!
//! Each span is named `litellm_request`; its trace id is the call id (a UUID), so the
//! trace of a request is found from its `x-litellm-call-id`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status, span, status,
};
use prost::Message;
use serde_json::{Map, Value};

use super::payload::{StandardLoggingPayload, Status as LogStatus};
use super::queue::Sink;

/// Span name of a request, as LiteLLM's `LITELLM_REQUEST_SPAN_NAME`.
pub const SPAN_NAME: &str = "litellm_request";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    HttpProtobuf,
    Grpc,
}

/// `callback_settings.otel`, else the `OTEL_*` environment.
#[derive(Debug, Clone, PartialEq)]
pub struct OtelSettings {
    pub protocol: Protocol,
    pub endpoint: String,
    pub headers: Vec<(String, String)>,
    pub service_name: String,
    pub timeout: Duration,
}

impl OtelSettings {
    pub fn from_options(
        opts: &Map<String, Value>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, (&'static str, String)> {
        let text = |key: &str, var: &str| -> Option<String> {
            opts.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| env(var))
                .filter(|s| !s.is_empty())
        };
        let protocol = match text("exporter", "OTEL_EXPORTER").as_deref() {
            None | Some("otlp_http" | "otlp" | "http/protobuf") => Protocol::HttpProtobuf,
            Some("otlp_grpc" | "grpc") => Protocol::Grpc,
            Some(other) => {
                return Err((
                    "exporter",
                    format!("{other}: llmux exports otlp_http or otlp_grpc"),
                ));
            }
        };
        let default_endpoint = match protocol {
            Protocol::HttpProtobuf => "http://localhost:4318",
            Protocol::Grpc => "http://localhost:4317",
        };
        let mut endpoint = text("endpoint", "OTEL_ENDPOINT")
            .or_else(|| env("OTEL_EXPORTER_OTLP_ENDPOINT").filter(|s| !s.is_empty()))
            .unwrap_or_else(|| default_endpoint.to_owned());
        reqwest::Url::parse(&endpoint).map_err(|e| ("endpoint", format!("{endpoint}: {e}")))?;
        // LiteLLM appends the traces path for OTLP/HTTP when it is missing.
        if protocol == Protocol::HttpProtobuf
            && !endpoint.trim_end_matches('/').ends_with("/v1/traces")
        {
            endpoint = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        }
        let mut headers = Vec::new();
        if let Some(h) = env("OTEL_HEADERS") {
            for item in h.split(',') {
                if let Some((k, v)) = item.split_once('=') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
        }
        match opts.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let k = k.trim().to_ascii_lowercase();
                    headers.retain(|(h, _)| *h != k);
                    headers.push((k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)));
                }
            }
            Some(v) => return Err(("headers", format!("expected a mapping, got {v}"))),
        }
        Ok(Self {
            protocol,
            endpoint,
            headers,
            service_name: text("service_name", "OTEL_SERVICE_NAME")
                .unwrap_or_else(|| "litellm".to_owned()),
            timeout: Duration::from_secs(10),
        })
    }
}

enum Exporter {
    Http(reqwest::Client),
    Grpc(TraceServiceClient<tonic::transport::Channel>),
}

/// The OpenTelemetry sink.
pub struct OtelSink {
    settings: OtelSettings,
    exporter: Exporter,
    failed: AtomicU64,
}

impl std::fmt::Debug for OtelSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtelSink")
            .field("endpoint", &self.settings.endpoint)
            .field("protocol", &self.settings.protocol)
            .finish()
    }
}

impl OtelSink {
    /// The sink; a gRPC channel connects lazily, on the first export.
    pub fn new(settings: OtelSettings) -> Result<Self, String> {
        let exporter = match settings.protocol {
            Protocol::HttpProtobuf => Exporter::Http(
                reqwest::Client::builder()
                    .timeout(settings.timeout)
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))?,
            ),
            Protocol::Grpc => {
                let channel = tonic::transport::Endpoint::from_shared(settings.endpoint.clone())
                    .map_err(|e| format!("{}: {e}", settings.endpoint))?
                    .timeout(settings.timeout)
                    .connect_lazy();
                Exporter::Grpc(TraceServiceClient::new(channel))
            }
        };
        Ok(Self {
            settings,
            exporter,
            failed: AtomicU64::new(0),
        })
    }

    fn request(&self, batch: &[Arc<StandardLoggingPayload>]) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv("service.name", text(&self.settings.service_name))],
                    ..Resource::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "llmux".into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..InstrumentationScope::default()
                    }),
                    spans: batch.iter().map(|e| span_of(e)).collect(),
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        }
    }

    async fn export(&self, request: ExportTraceServiceRequest) -> Result<(), String> {
        match &self.exporter {
            Exporter::Http(http) => {
                let mut req = http
                    .post(&self.settings.endpoint)
                    .header("content-type", "application/x-protobuf");
                for (k, v) in &self.settings.headers {
                    req = req.header(k, v);
                }
                let resp = req
                    .body(request.encode_to_vec())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if resp.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("status {}", resp.status()))
                }
            }
            Exporter::Grpc(client) => {
                let mut req = tonic::Request::new(request);
                for (k, v) in &self.settings.headers {
                    if let (Ok(k), Ok(v)) = (
                        k.parse::<tonic::metadata::MetadataKey<tonic::metadata::Ascii>>(),
                        v.parse(),
                    ) {
                        req.metadata_mut().insert(k, v);
                    }
                }
                // The generated client takes `&mut self`; a clone shares the channel.
                client
                    .clone()
                    .export(req)
                    .await
                    .map(|_| ())
                    .map_err(|s| s.to_string())
            }
        }
    }
}

fn text(s: &str) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(s.to_owned())),
    }
}

fn int(n: u64) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::IntValue(
            i64::try_from(n).unwrap_or(i64::MAX),
        )),
    }
}

fn double(f: f64) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::DoubleValue(f)),
    }
}

fn boolean(b: bool) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::BoolValue(b)),
    }
}

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(value),
    }
}

/// Nanoseconds since the Unix epoch of Unix seconds `secs` (0 when not representable).
fn nanos(secs: f64) -> u64 {
    Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
        .unwrap_or(0)
}

/// GenAI's `gen_ai.operation.name` for LiteLLM's call type.
fn operation(call_type: &str) -> &'static str {
    match call_type {
        "aembedding" => "embeddings",
        "atext_completion" => "text_completion",
        _ => "chat",
    }
}

fn span_of(e: &StandardLoggingPayload) -> Span {
    let trace_id = uuid::Uuid::parse_str(&e.id)
        .unwrap_or_else(|_| uuid::Uuid::new_v4())
        .as_bytes()
        .to_vec();
    let span_id = uuid::Uuid::new_v4()
        .as_bytes()
        .get(..8)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let mut a = vec![
        kv("gen_ai.operation.name", text(operation(e.call_type))),
        kv(
            "gen_ai.request.model",
            text(e.model_group.as_deref().unwrap_or(&e.model)),
        ),
        kv("gen_ai.response.model", text(&e.model)),
        kv("gen_ai.usage.input_tokens", int(e.prompt_tokens)),
        kv("gen_ai.usage.output_tokens", int(e.completion_tokens)),
        kv("gen_ai.usage.total_tokens", int(e.total_tokens)),
        kv("gen_ai.cost.total_cost", double(e.response_cost)),
        kv("llm.is_streaming", boolean(e.stream == Some(true))),
        kv("litellm.call_id", text(&e.id)),
        kv("litellm.call_type", text(e.call_type)),
    ];
    if let Some(p) = &e.custom_llm_provider {
        a.push(kv("gen_ai.system", text(p)));
        a.push(kv("gen_ai.provider.name", text(p)));
    }
    if let Some(id) = &e.model_id {
        a.push(kv("litellm.model_id", text(id)));
    }
    if !e.api_base.is_empty() {
        a.push(kv("server.address", text(&e.api_base)));
    }
    if let Some(u) = &e.usage {
        let cached = u.cached_tokens();
        if cached > 0 {
            a.push(kv("gen_ai.usage.cache_read_input_tokens", int(cached)));
        }
        let reasoning = u.reasoning_tokens();
        if reasoning > 0 {
            a.push(kv("gen_ai.usage.reasoning_tokens", int(reasoning)));
        }
    }
    if let Some(t) = e.time_to_first_token {
        a.push(kv(
            "gen_ai.response.time_to_first_token",
            double(t.as_secs_f64()),
        ));
    }
    if let Some(user) = &e.end_user {
        a.push(kv("user.id", text(user)));
    }
    for (param, attr) in [
        ("temperature", "gen_ai.request.temperature"),
        ("top_p", "gen_ai.request.top_p"),
        ("max_tokens", "gen_ai.request.max_tokens"),
    ] {
        if let Some(v) = e.model_parameters.get(param).and_then(Value::as_f64) {
            a.push(kv(attr, double(v)));
        }
    }
    let finish: Vec<AnyValue> = e
        .response
        .as_ref()
        .and_then(|r| r.get("choices"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("finish_reason").and_then(Value::as_str))
        .map(text)
        .collect();
    if !finish.is_empty() {
        a.push(kv(
            "gen_ai.response.finish_reasons",
            AnyValue {
                value: Some(any_value::Value::ArrayValue(
                    opentelemetry_proto::tonic::common::v1::ArrayValue { values: finish },
                )),
            },
        ));
    }
    let status = match (&e.status, &e.error_information) {
        (LogStatus::Failure, info) => {
            if let Some(class) = info.as_ref().and_then(|i| i.error_class.as_deref()) {
                a.push(kv("error.type", text(class)));
            }
            Status {
                message: e.error_str.clone().unwrap_or_default(),
                code: status::StatusCode::Error as i32,
            }
        }
        (LogStatus::Success, _) => Status {
            message: String::new(),
            code: status::StatusCode::Ok as i32,
        },
    };
    Span {
        trace_id,
        span_id,
        name: SPAN_NAME.to_owned(),
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: nanos(e.start_time),
        end_time_unix_nano: nanos(e.end_time),
        attributes: a,
        status: Some(status),
        ..Span::default()
    }
}

impl Sink for OtelSink {
    fn name(&self) -> &'static str {
        "otel"
    }

    fn failed_events(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    fn write<'a>(&'a self, batch: &'a [Arc<StandardLoggingPayload>]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let request = self.request(batch);
            if let Err(e) = self.export(request).await {
                self.failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
                tracing::warn!(
                    callback = "otel",
                    endpoint = %self.settings.endpoint,
                    "span export failed: {e}"
                );
            }
        })
    }
}
