//! The `otel` callback against in-process OTLP receivers (HTTP/protobuf and gRPC): the
//! spans of a chat call, a streamed call and a failure, with their `gen_ai.*` attributes.

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;

use crate::common::{Gateway, UPSTREAM_KEY, chat_body, sse_json};

type Spans = Arc<Mutex<Vec<Span>>>;

fn keep(spans: &Spans, req: ExportTraceServiceRequest) {
    let mut kept = spans.lock().unwrap();
    for rs in req.resource_spans {
        let service = rs
            .resource
            .iter()
            .flat_map(|r| r.attributes.iter())
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.clone());
        assert!(service.is_some(), "every export names its service");
        for ss in rs.scope_spans {
            kept.extend(ss.spans);
        }
    }
}

async fn http_receive(State(spans): State<Spans>, body: axum::body::Bytes) -> Vec<u8> {
    keep(&spans, ExportTraceServiceRequest::decode(body).unwrap());
    ExportTraceServiceResponse::default().encode_to_vec()
}

#[derive(Clone)]
struct Grpc(Spans);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        keep(&self.0, request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// Starts a receiver; returns its base URL.
async fn receiver(
    grpc: bool,
    spans: Spans,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = if grpc {
        tonic::service::Routes::new(TraceServiceServer::new(Grpc(spans))).into_axum_router()
    } else {
        axum::Router::new()
            .route("/v1/traces", axum::routing::post(http_receive))
            .with_state(spans)
    };
    (url, tokio::spawn(axum::serve(listener, app).into_future()))
}

fn config(exporter: &str, endpoint: &str) -> String {
    format!(
        r#"
model_list:
  - model_name: gpt-alias
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/v1"
      api_key: {UPSTREAM_KEY}
  - model_name: limited
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "{{mock}}/error/429/v1"
      api_key: {UPSTREAM_KEY}
router_settings:
  num_retries: 0
litellm_settings:
  callbacks: [otel]
  callback_settings:
    otel: {{exporter: {exporter}, endpoint: "{endpoint}", service_name: llmux-test}}
"#
    )
}

async fn spans_when(spans: &Spans, n: usize) -> Vec<Span> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = spans.lock().unwrap().clone();
        if got.len() >= n {
            assert_eq!(got.len(), n, "{got:?}");
            return got;
        }
        assert!(Instant::now() < deadline, "{} of {n} spans", got.len());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a Any> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn s(span: &Span, key: &str) -> String {
    match attr(span, key) {
        Some(Any::StringValue(v)) => v.clone(),
        other => panic!("{key}: {other:?}"),
    }
}

fn i(span: &Span, key: &str) -> i64 {
    match attr(span, key) {
        Some(Any::IntValue(v)) => *v,
        other => panic!("{key}: {other:?}"),
    }
}

fn trace_id_of(call_id: &str) -> Vec<u8> {
    uuid::Uuid::parse_str(call_id).unwrap().as_bytes().to_vec()
}

async fn chat_and_stream_spans(grpc: bool) {
    let spans: Spans = Arc::default();
    let (url, server) = receiver(grpc, spans.clone()).await;
    let exporter = if grpc { "otlp_grpc" } else { "otlp_http" };
    let gw = Gateway::start(&config(exporter, &url)).await;

    let chat = gw.chat(&chat_body("gpt-alias")).await;
    chat.ok_json();
    let got = spans_when(&spans, 1).await;
    let c = &got[0];
    assert_eq!(c.name, "litellm_request");
    assert_eq!(
        c.trace_id,
        trace_id_of(chat.header("x-litellm-call-id").unwrap())
    );
    assert_eq!(c.span_id.len(), 8);
    assert!(c.start_time_unix_nano > 0 && c.start_time_unix_nano <= c.end_time_unix_nano);
    assert_eq!(s(c, "gen_ai.operation.name"), "chat");
    assert_eq!(s(c, "gen_ai.request.model"), "gpt-alias");
    assert_eq!(s(c, "gen_ai.response.model"), "gpt-4o-mini");
    assert_eq!(s(c, "gen_ai.system"), "openai");
    assert_eq!(i(c, "gen_ai.usage.input_tokens"), 12);
    assert_eq!(i(c, "gen_ai.usage.output_tokens"), 9);
    assert_eq!(i(c, "gen_ai.usage.total_tokens"), 21);
    assert_eq!(attr(c, "llm.is_streaming"), Some(&Any::BoolValue(false)));
    match attr(c, "gen_ai.response.finish_reasons") {
        Some(Any::ArrayValue(a)) => {
            assert_eq!(a.values.len(), 1);
            assert_eq!(a.values[0].value, Some(Any::StringValue("stop".into())));
        }
        other => panic!("finish reasons: {other:?}"),
    }
    assert_eq!(c.status.as_ref().unwrap().code, 1, "OK");

    let body = json!({"model": "gpt-alias", "messages": [{"role": "user", "content": "hi"}],
                      "stream": true, "stream_options": {"include_usage": true}});
    let streamed = gw.post_json("/v1/chat/completions", &body).await;
    sse_json(&streamed);
    let got = spans_when(&spans, 2).await;
    let st = &got[1];
    assert_eq!(
        st.trace_id,
        trace_id_of(streamed.header("x-litellm-call-id").unwrap())
    );
    assert_eq!(attr(st, "llm.is_streaming"), Some(&Any::BoolValue(true)));
    assert_eq!(i(st, "gen_ai.usage.input_tokens"), 12);
    assert_eq!(i(st, "gen_ai.usage.output_tokens"), 9);
    match attr(st, "gen_ai.response.time_to_first_token") {
        Some(Any::DoubleValue(t)) => assert!(*t >= 0.0),
        other => panic!("ttft: {other:?}"),
    }

    assert_eq!(gw.chat(&chat_body("limited")).await.status, 429);
    let got = spans_when(&spans, 3).await;
    let f = &got[2];
    assert_eq!(f.status.as_ref().unwrap().code, 2, "ERROR");
    assert_eq!(s(f, "error.type"), "RateLimitError");
    assert_eq!(s(f, "gen_ai.request.model"), "limited");
    server.abort();
}

#[tokio::test]
async fn otlp_http_spans_carry_the_gen_ai_attributes() {
    chat_and_stream_spans(false).await;
}

#[tokio::test]
async fn otlp_grpc_spans_carry_the_gen_ai_attributes() {
    chat_and_stream_spans(true).await;
}
