//! AWS Bedrock through the gateway against `llmux-mock`'s Converse, ConverseStream
//! (binary event-stream) and InvokeModel routes: SigV4 headers, the percent-encoded model
//! path, translation both ways, errors, bearer tokens and STS assume-role against an
//! in-process fake STS.

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::common::{Gateway, chat_body, sse_json};

const MODEL_PATH: &str = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0";

fn config(endpoint: &str, extra: &str) -> String {
    format!(
        r#"
model_list:
  - model_name: claude-bedrock
    litellm_params:
      model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0
      aws_bedrock_runtime_endpoint: "{endpoint}"
      aws_access_key_id: AKIDLLMUXTEST
      aws_secret_access_key: llmux/test/secret
      aws_region_name: eu-west-1
{extra}
  - model_name: titan
    litellm_params:
      model: bedrock/amazon.titan-embed-text-v2:0
      aws_bedrock_runtime_endpoint: "{endpoint}"
      aws_access_key_id: AKIDLLMUXTEST
      aws_secret_access_key: llmux/test/secret
      aws_region_name: eu-west-1
"#
    )
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn converse_is_signed_with_sigv4_and_translated() {
    let gw = Gateway::start(&config("{mock}", "")).await;
    let body = gw
        .chat(&json!({"model": "claude-bedrock", "max_tokens": 20, "stop": "END",
            "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]}))
        .await
        .ok_json();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello! How can I help you today?"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["prompt_tokens"], 12);
    assert_eq!(body["usage"]["prompt_tokens_details"]["text_tokens"], 12);
    assert_eq!(body["model"], "claude-bedrock");

    let up = gw.upstream();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].path, format!("{MODEL_PATH}/converse"));
    let auth = header(&up[0].headers, "authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDLLMUXTEST/")
            && auth.contains("/eu-west-1/bedrock/aws4_request, SignedHeaders=")
            && auth.contains("host")
            && auth.contains("x-amz-date"),
        "{auth}"
    );
    let date = header(&up[0].headers, "x-amz-date").unwrap();
    assert_eq!((date.len(), &date[8..9]), (16, "T"), "{date}");
    assert!(header(&up[0].headers, "x-amz-security-token").is_none());
    let sent: Value = serde_json::from_slice(&up[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "system": [{"text": "be brief"}],
            "inferenceConfig": {"maxTokens": 20, "stopSequences": ["END"]}})
    );
}

#[tokio::test]
async fn converse_stream_decodes_the_binary_event_stream() {
    let gw = Gateway::start(&config("{mock}", "")).await;
    let mut req = chat_body("claude-bedrock");
    req["stream"] = json!(true);
    req["stream_options"] = json!({"include_usage": true});
    let reply = gw.chat(&req).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let chunks = sse_json(&reply);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello! How can I help you today?");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let finish: Vec<_> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["stop"]);
    let usage = &chunks.last().unwrap()["usage"];
    assert_eq!(
        (
            usage["prompt_tokens"].as_u64(),
            usage["completion_tokens"].as_u64()
        ),
        (Some(12), Some(9))
    );
    assert_eq!(
        gw.upstream()[0].path,
        format!("{MODEL_PATH}/converse-stream")
    );
}

#[tokio::test]
async fn streamed_tool_calls_are_assembled() {
    let gw = Gateway::start(&config("{mock}", "")).await;
    let req = json!({"model": "claude-bedrock", "stream": true,
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]});
    let chunks = sse_json(&gw.chat(&req).await);
    let mut args = String::new();
    let mut ids = Vec::new();
    for c in &chunks {
        for call in c["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(call["index"], 0);
            if let Some(id) = call["id"].as_str() {
                ids.push(id.to_owned());
            }
            args.push_str(call["function"]["arguments"].as_str().unwrap_or_default());
        }
    }
    assert_eq!(ids, ["tooluse_mock01"]);
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"location": "Paris"})
    );
    let finish: Vec<_> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["tool_calls"]);
    let sent: Value = serde_json::from_slice(&gw.upstream()[0].body).unwrap();
    assert_eq!(
        sent["toolConfig"]["tools"][0]["toolSpec"]["name"],
        "get_weather"
    );
}

#[tokio::test]
async fn errors_map_as_litellm_maps_them() {
    let gw = Gateway::start(&format!(
        "{}\nrouter_settings:\n  num_retries: 0\n",
        config("{mock}/error/429", "")
    ))
    .await;
    let reply = gw.chat(&chat_body("claude-bedrock")).await;
    reply.assert_error(429, "throttling_error");
    assert_eq!(reply.header("llm_provider-retry-after"), Some("1"));

    let gw = Gateway::start(&format!(
        "{}\nrouter_settings:\n  num_retries: 0\n",
        config("{mock}/error/500", "")
    ))
    .await;
    let err = gw
        .chat(&chat_body("claude-bedrock"))
        .await
        .assert_error(503, "internal_server_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("BedrockException"),
        "{err}"
    );

    let gw = Gateway::start(&config("{mock}/error/400_context", "")).await;
    let err = gw
        .chat(&chat_body("claude-bedrock"))
        .await
        .assert_error(400, "invalid_request_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Input is too long"),
        "{err}"
    );
}

#[tokio::test]
async fn a_session_token_is_signed_and_sent() {
    let gw = Gateway::start(&config(
        "{mock}",
        "      aws_session_token: FwoGZXIvYXdzEXAMPLE",
    ))
    .await;
    gw.chat(&chat_body("claude-bedrock")).await.ok_json();
    let up = gw.upstream();
    assert_eq!(
        header(&up[0].headers, "x-amz-security-token"),
        Some("FwoGZXIvYXdzEXAMPLE")
    );
    let auth = header(&up[0].headers, "authorization").unwrap();
    assert!(
        auth.contains("x-amz-security-token"),
        "the token is signed: {auth}"
    );
}

#[tokio::test]
async fn a_bearer_token_replaces_sigv4() {
    let gw = Gateway::start(&config("{mock}", "      api_key: bedrock-api-key-1")).await;
    gw.chat(&chat_body("claude-bedrock")).await.ok_json();
    let up = gw.upstream();
    assert_eq!(
        header(&up[0].headers, "authorization"),
        Some("Bearer bedrock-api-key-1")
    );
    assert!(header(&up[0].headers, "x-amz-date").is_none());
}

#[tokio::test]
async fn titan_embeddings_go_through_invoke() {
    let gw = Gateway::start(&config("{mock}", "")).await;
    let body = gw
        .post_json(
            "/v1/embeddings",
            &json!({"model": "titan", "input": "The quick brown fox"}),
        )
        .await
        .ok_json();
    assert_eq!(body["data"][0]["embedding"].as_array().unwrap().len(), 8);
    assert_eq!(body["usage"]["prompt_tokens"], 5);
    let up = gw.upstream();
    assert_eq!(up[0].path, "/model/amazon.titan-embed-text-v2%3A0/invoke");
    assert_eq!(
        serde_json::from_slice::<Value>(&up[0].body).unwrap(),
        json!({"inputText": "The quick brown fox"})
    );
}

#[tokio::test]
async fn titan_embeds_a_list_with_one_call_per_input_as_litellm() {
    let gw = Gateway::start(&config("{mock}", "")).await;
    let body = gw
        .post_json(
            "/v1/embeddings",
            &json!({"model": "titan", "input": ["one", "two", "three"]}),
        )
        .await
        .ok_json();
    let data = body["data"].as_array().unwrap();
    let indexes: Vec<u64> = data.iter().map(|d| d["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, [0, 1, 2]);
    assert_eq!(body["usage"]["prompt_tokens"], 15);
    assert_eq!(body["usage"]["total_tokens"], 15);
    let sent: Vec<Value> = gw
        .upstream()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(
        sent,
        [
            json!({"inputText": "one"}),
            json!({"inputText": "two"}),
            json!({"inputText": "three"})
        ]
    );
}

/// A fake STS: `AssumeRole` answers temporary keys and counts its calls.
async fn fake_sts(
    calls: Arc<AtomicUsize>,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    async fn assume(
        State(calls): State<Arc<AtomicUsize>>,
        headers: HeaderMap,
        body: String,
    ) -> String {
        let signed = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| {
                a.contains("Credential=AKIDLLMUXTEST/") && a.contains("/sts/aws4_request")
            });
        assert!(
            signed,
            "STS calls are signed with the base keys: {headers:?}"
        );
        assert!(
            body.contains("Action=AssumeRole")
                && body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fllmux"),
            "{body}"
        );
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        format!(
            "<AssumeRoleResponse><AssumeRoleResult><Credentials>\
             <AccessKeyId>ASIATEMP{n}</AccessKeyId><SecretAccessKey>temp-secret</SecretAccessKey>\
             <SessionToken>temp-session-{n}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>\
             </Credentials></AssumeRoleResult></AssumeRoleResponse>"
        )
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/", axum::routing::post(assume))
        .with_state(calls);
    (base, tokio::spawn(axum::serve(listener, app).into_future()))
}

#[tokio::test]
async fn assume_role_goes_through_sts_once_and_signs_with_the_temporary_keys() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (sts, server) = fake_sts(Arc::clone(&calls)).await;
    let extra = format!(
        "      aws_role_name: arn:aws:iam::123456789012:role/llmux\n      aws_sts_endpoint: \"{sts}\""
    );
    let gw = Gateway::start(&config("{mock}", &extra)).await;
    for _ in 0..3 {
        gw.chat(&chat_body("claude-bedrock")).await.ok_json();
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the temporary keys are cached"
    );
    for up in gw.upstream() {
        let auth = header(&up.headers, "authorization").unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=ASIATEMP1/"),
            "{auth}"
        );
        assert_eq!(
            header(&up.headers, "x-amz-security-token"),
            Some("temp-session-1")
        );
    }
    server.abort();
}

#[tokio::test]
async fn without_credentials_the_call_is_a_401_that_never_leaves() {
    let gw = Gateway::start(
        r#"
model_list:
  - model_name: claude-bedrock
    litellm_params:
      model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0
      aws_bedrock_runtime_endpoint: "{mock}"
"#,
    )
    .await;
    let err = gw
        .chat(&chat_body("claude-bedrock"))
        .await
        .assert_error(401, "authentication_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("aws_access_key_id"),
        "{err}"
    );
    assert!(gw.upstream().is_empty());
}

const INVOKE_CONFIG: &str = r#"
model_list:
  - model_name: claude-invoke
    litellm_params:
      model: bedrock/invoke/anthropic.claude-3-5-sonnet-20240620-v1:0
      aws_bedrock_runtime_endpoint: "{mock}"
      aws_access_key_id: AKIDLLMUXTEST
      aws_secret_access_key: llmux/test/secret
      aws_region_name: us-east-1
  - model_name: llama-invoke
    litellm_params:
      model: bedrock/invoke/meta.llama3-1-8b-instruct-v1:0
      aws_bedrock_runtime_endpoint: "{mock}"
      aws_access_key_id: AKIDLLMUXTEST
      aws_secret_access_key: llmux/test/secret
"#;

#[tokio::test]
async fn invoke_sends_the_anthropic_body_signed_and_reads_its_answer() {
    let gw = Gateway::start(INVOKE_CONFIG).await;
    let body = gw.chat(&chat_body("claude-invoke")).await.ok_json();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello! How can I help you today?"
    );
    assert_eq!(body["usage"]["total_tokens"], 21);
    let up = gw.upstream();
    assert_eq!(up[0].path, format!("{MODEL_PATH}/invoke"));
    assert!(
        header(&up[0].headers, "authorization")
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIDLLMUXTEST/")
    );
    let sent: Value = serde_json::from_slice(&up[0].body).unwrap();
    assert_eq!(sent["anthropic_version"], "bedrock-2023-05-31");
    assert!(
        sent.get("model").is_none() && sent.get("stream").is_none(),
        "{sent}"
    );
    assert_eq!(sent["messages"][0]["content"][0]["text"], "hi");
    assert!(sent["max_tokens"].is_u64());
}

#[tokio::test]
async fn invoke_with_response_stream_decodes_base64_anthropic_events() {
    let gw = Gateway::start(INVOKE_CONFIG).await;
    let mut req = chat_body("claude-invoke");
    req["stream"] = json!(true);
    req["stream_options"] = json!({"include_usage": true});
    req["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]);
    let reply = gw.chat(&req).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let chunks = sse_json(&reply);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Let me look that up.");
    let args: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"location": "Paris"})
    );
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 9);
    assert_eq!(
        gw.upstream()[0].path,
        format!("{MODEL_PATH}/invoke-with-response-stream")
    );
}

#[tokio::test]
async fn invoke_for_a_non_anthropic_model_says_to_use_converse() {
    let gw = Gateway::start(INVOKE_CONFIG).await;
    let err = gw
        .chat(&chat_body("llama-invoke"))
        .await
        .assert_error(400, "invalid_request_error");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("bedrock/converse/"),
        "{err}"
    );
    assert!(gw.upstream().is_empty());
}
