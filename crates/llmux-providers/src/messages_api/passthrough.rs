//! Native pass-through to Anthropic: the client's own body, forwarded; the answer
//! relayed as it came, with only `model` restamped to the name the client asked for
//! (LiteLLM's `streaming_model_restamp.py` does the same on `message_start`).

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use llmux_types::{Error, ErrorKind, JsonMap};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::Target;

/// Anthropic's API when the deployment names no `api_base`.
pub const DEFAULT_API_BASE: &str = "https://api.anthropic.com";
/// `anthropic-version` when the client sends none (LiteLLM's `DEFAULT_ANTHROPIC_API_VERSION`).
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";
/// The beta LiteLLM sends with every count-tokens call.
pub const TOKEN_COUNTING_BETA: &str = "token-counting-2024-11-01";

/// Fields of a count-tokens call besides `model` and `messages` (LiteLLM's
/// `transform_request_to_count_tokens`).
const COUNT_TOKENS_FIELDS: &[&str] = &[
    "system",
    "tools",
    "thinking",
    "tool_choice",
    "output_config",
];

/// The client headers forwarded to Anthropic.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientHeaders<'a> {
    pub anthropic_version: Option<&'a str>,
    pub anthropic_beta: Option<&'a str>,
}

/// The deployment's base URL without a trailing `/`, `/v1/messages` or `/v1`
/// (LiteLLM's `anthropic_base_without_chat_suffix`).
///
/// ```
/// # use llmux_providers::messages_api::anthropic_base;
/// assert_eq!(anthropic_base(Some("http://h:1/v1/")), "http://h:1");
/// assert_eq!(anthropic_base(None), "https://api.anthropic.com");
/// ```
pub fn anthropic_base(api_base: Option<&str>) -> String {
    let mut base = api_base
        .filter(|b| !b.is_empty())
        .unwrap_or(DEFAULT_API_BASE)
        .trim_end_matches('/');
    loop {
        let trimmed = base
            .strip_suffix("/v1/messages")
            .or_else(|| base.strip_suffix("/v1"))
            .map(|b| b.trim_end_matches('/'));
        match trimmed {
            Some(b) => base = b,
            None => return base.to_owned(),
        }
    }
}

/// `POST {base}/v1/messages` with `body` as given.
pub fn build_messages_request(
    body: Bytes,
    t: &Target<'_>,
    client: &ClientHeaders<'_>,
) -> Result<http::Request<Bytes>, Error> {
    let url = format!("{}/v1/messages", anthropic_base(t.api_base));
    let version = client
        .anthropic_version
        .unwrap_or(DEFAULT_ANTHROPIC_VERSION);
    request(&url, body, t, version, client.anthropic_beta)
}

/// `POST {base}/v1/messages/count_tokens` for the request `req` (only the fields Anthropic
/// counts), on the deployment's `model`.
pub fn build_count_tokens_request(
    req: &JsonMap,
    t: &Target<'_>,
) -> Result<http::Request<Bytes>, Error> {
    let mut body = JsonMap::new();
    body.insert("model".into(), Value::String(t.model.to_owned()));
    body.insert(
        "messages".into(),
        req.get("messages")
            .cloned()
            .unwrap_or(Value::Array(Vec::new())),
    );
    for key in COUNT_TOKENS_FIELDS {
        if let Some(v) = req.get(*key).filter(|v| !v.is_null()) {
            body.insert((*key).into(), v.clone());
        }
    }
    let body = serde_json::to_vec(&body)
        .map_err(|e| Error::bad_request(format!("cannot encode count_tokens body: {e}")))?;
    let url = format!("{}/v1/messages/count_tokens", anthropic_base(t.api_base));
    request(
        &url,
        Bytes::from(body),
        t,
        DEFAULT_ANTHROPIC_VERSION,
        Some(TOKEN_COUNTING_BETA),
    )
}

fn request(
    url: &str,
    body: Bytes,
    t: &Target<'_>,
    version: &str,
    beta: Option<&str>,
) -> Result<http::Request<Bytes>, Error> {
    let mut req = http::Request::post(url)
        .header(CONTENT_TYPE, "application/json")
        .header("anthropic-version", header_value(version)?)
        .body(body)
        .map_err(|e| Error::bad_request(format!("invalid Anthropic URL {url}: {e}")))?;
    let headers = req.headers_mut();
    if let Some(key) = t.api_key.filter(|k| !k.is_empty()) {
        headers.insert("x-api-key", header_value(key)?);
    }
    if let Some(beta) = beta.filter(|b| !b.is_empty()) {
        headers.insert("anthropic-beta", header_value(beta)?);
    }
    for (name, value) in t.extra_headers {
        let name = HeaderName::try_from(name.as_str())
            .map_err(|e| Error::bad_request(format!("invalid header name {name}: {e}")))?;
        headers.insert(name, header_value(value)?);
    }
    Ok(req)
}

fn header_value(v: &str) -> Result<HeaderValue, Error> {
    HeaderValue::try_from(v).map_err(|e| Error::bad_request(format!("invalid header value: {e}")))
}

/// The `input_tokens` of a count-tokens answer.
pub fn parse_count_tokens(body: &[u8]) -> Result<u64, Error> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("input_tokens").and_then(Value::as_u64))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InternalServer,
                format!(
                    "AnthropicException - count_tokens answer without input_tokens: {}",
                    String::from_utf8_lossy(body)
                ),
            )
        })
}

/// The top-level members of a JSON object, each value as its exact text.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// `json` with the top-level member `key` rewritten by `f` (its exact text in, new text
/// out; `None` keeps it). Every other member keeps its exact text. `None` when `json` is
/// not an object or nothing changed.
fn rewrite_member(json: &str, key: &str, f: impl FnOnce(&str) -> Option<String>) -> Option<String> {
    let Members(members) = serde_json::from_str(json).ok()?;
    let mut f = Some(f);
    let mut changed = false;
    let mut out = String::with_capacity(json.len() + 16);
    out.push('{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k.as_ref()).ok()?);
        out.push(':');
        let new = if k == key {
            f.take().and_then(|f| f(v.get()))
        } else {
            None
        };
        match new {
            Some(text) => {
                changed = true;
                out.push_str(&text);
            }
            None => out.push_str(v.get()),
        }
    }
    out.push('}');
    changed.then_some(out)
}

/// A Messages answer with its `model` set to `model` (the rest byte for byte), or `None`
/// when it needs no change or is not a JSON object.
pub fn restamp_message(json: &[u8], model: &str) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(json).ok()?;
    let wanted = serde_json::to_string(model).ok()?;
    rewrite_member(text, "model", |old| (old != wanted).then(|| wanted.clone()))
        .map(String::into_bytes)
}

/// A `message_start` event's JSON with `message.model` set to `model`.
fn restamp_message_start(json: &str, model: &str) -> Option<String> {
    let value: Value = serde_json::from_str(json).ok()?;
    if value.get("type").and_then(Value::as_str) != Some("message_start") {
        return None;
    }
    rewrite_member(json, "message", |message| {
        restamp_message(message.as_bytes(), model).and_then(|m| String::from_utf8(m).ok())
    })
}

/// Longest stretch held while waiting for the end of the first event.
const MAX_HELD: usize = 64 * 1024;

/// Restamps `model` in the `message_start` event of an Anthropic SSE body fed in pieces
/// split anywhere. Bytes are held only until the first real event is complete; after it
/// every piece passes through untouched.
#[derive(Debug)]
pub struct MessageStartRestamper {
    model: String,
    held: Vec<u8>,
    done: bool,
}

impl MessageStartRestamper {
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            held: Vec::new(),
            done: false,
        }
    }

    /// The bytes to relay for `piece` (possibly none yet).
    pub fn feed(&mut self, piece: Bytes) -> Bytes {
        if self.done {
            return piece;
        }
        self.held.extend_from_slice(&piece);
        let mut pos = 0;
        let mut out = Vec::new();
        while let Some(end) = frame_end(&self.held[pos..]) {
            let frame = &self.held[pos..pos + end];
            pos += end;
            if let Some(restamped) = self.restamp_frame(frame) {
                out.extend_from_slice(&restamped);
                self.done = true;
                break;
            }
            out.extend_from_slice(frame);
            if is_real_event(frame) {
                self.done = true;
                break;
            }
        }
        if self.done || self.held.len() - pos > MAX_HELD {
            self.done = true;
            out.extend_from_slice(&self.held[pos..]);
            self.held = Vec::new();
        } else {
            self.held.drain(..pos);
        }
        Bytes::from(out)
    }

    /// End of the body: whatever is still held.
    pub fn finish(&mut self) -> Bytes {
        self.done = true;
        let held = std::mem::take(&mut self.held);
        match self.restamp_frame(&held) {
            Some(restamped) => Bytes::from(restamped),
            None => Bytes::from(held),
        }
    }

    /// The frame with its `message_start` data line restamped, if it is one and changes.
    fn restamp_frame(&self, frame: &[u8]) -> Option<Vec<u8>> {
        let text = std::str::from_utf8(frame).ok()?;
        if !text.contains("message_start") {
            return None;
        }
        let mut changed = false;
        let mut out = String::with_capacity(text.len() + 16);
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\r', '\n']);
            let ending = &line[body.len()..];
            let restamped = body
                .strip_prefix("data:")
                .and_then(|json| restamp_message_start(json.trim(), &self.model));
            match restamped {
                Some(json) => {
                    changed = true;
                    out.push_str("data: ");
                    out.push_str(&json);
                    out.push_str(ending);
                }
                None => out.push_str(line),
            }
        }
        changed.then(|| out.into_bytes())
    }
}

/// Length of the first complete SSE frame (its blank-line terminator included).
pub(super) fn frame_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        match buf[i] {
            b'\n' if buf.get(i + 1) == Some(&b'\n') => return Some(i + 2),
            b'\r'
                if buf.get(i + 1) == Some(&b'\n')
                    && buf.get(i + 2) == Some(&b'\r')
                    && buf.get(i + 3) == Some(&b'\n') =>
            {
                return Some(i + 4);
            }
            b'\r' if buf.get(i + 1) == Some(&b'\r') => return Some(i + 2),
            _ => {}
        }
        i += 1;
    }
    None
}

/// A frame with data that is not a ping: the event that decides whether there is a
/// `message_start` to restamp.
fn is_real_event(frame: &[u8]) -> bool {
    let has_data = frame.windows(5).any(|w| w == b"data:");
    let is_ping = frame.windows(11).any(|w| w == b"event: ping")
        || frame.windows(14).any(|w| w == br#""type": "ping""#)
        || frame.windows(13).any(|w| w == br#""type":"ping""#);
    has_data && !is_ping
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STREAM: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\",\"content\":[],\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"héllo\"}}\n\n";

    fn restamp_all(pieces: &[&[u8]]) -> Vec<u8> {
        let mut r = MessageStartRestamper::new("my-claude");
        let mut out = Vec::new();
        for p in pieces {
            out.extend_from_slice(&r.feed(Bytes::copy_from_slice(p)));
        }
        out.extend_from_slice(&r.finish());
        out
    }

    #[test]
    fn message_start_model_is_restamped_and_the_rest_is_untouched() {
        let out = String::from_utf8(restamp_all(&[STREAM.as_bytes()])).unwrap();
        let expected = STREAM.replace("claude-3-5-haiku-20241022", "my-claude");
        assert_eq!(out, expected);
    }

    proptest! {
        #[test]
        fn any_split_restamps_like_the_whole_body(cut in 0..=STREAM.len(), cut2 in 0..=STREAM.len()) {
            let (a, b) = (cut.min(cut2), cut.max(cut2));
            let bytes = STREAM.as_bytes();
            prop_assert_eq!(
                restamp_all(&[&bytes[..a], &bytes[a..b], &bytes[b..]]),
                restamp_all(&[bytes])
            );
        }
    }

    #[test]
    fn pings_before_message_start_are_relayed_and_waited_past() {
        let body = format!("event: ping\ndata: {{\"type\": \"ping\"}}\n\n{STREAM}");
        let out = String::from_utf8(restamp_all(&[body.as_bytes()])).unwrap();
        assert!(out.starts_with("event: ping\ndata: {\"type\": \"ping\"}\n\nevent: message_start"));
        assert!(out.contains("\"model\":\"my-claude\""));
    }

    #[test]
    fn json_answer_keeps_every_other_byte() {
        let body = br#"{"id":"msg_1","type":"message","model":"claude-x","usage":{"input_tokens":1, "output_tokens":2.50}}"#;
        let out = restamp_message(body, "alias").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"msg_1","type":"message","model":"alias","usage":{"input_tokens":1, "output_tokens":2.50}}"#
        );
        assert!(restamp_message(br#"{"model":"alias"}"#, "alias").is_none());
        assert!(restamp_message(b"not json", "alias").is_none());
    }

    #[test]
    fn base_url_drops_chat_suffixes() {
        assert_eq!(anthropic_base(Some("http://h/v1/messages")), "http://h");
        assert_eq!(
            anthropic_base(Some("http://h/error/429/")),
            "http://h/error/429"
        );
        assert_eq!(anthropic_base(Some("")), DEFAULT_API_BASE);
    }

    #[test]
    fn requests_carry_key_version_and_beta() {
        let t = Target {
            model: "claude-x",
            api_base: Some("http://127.0.0.1:9/v1"),
            api_key: Some("sk-ant"),
            ..Target::default()
        };
        let client = ClientHeaders {
            anthropic_version: None,
            anthropic_beta: Some("prompt-caching-2024-07-31"),
        };
        let req = build_messages_request(Bytes::from_static(b"{}"), &t, &client).unwrap();
        assert_eq!(req.uri(), "http://127.0.0.1:9/v1/messages");
        assert_eq!(req.headers()["x-api-key"], "sk-ant");
        assert_eq!(
            req.headers()["anthropic-version"],
            DEFAULT_ANTHROPIC_VERSION
        );
        assert_eq!(req.headers()["anthropic-beta"], "prompt-caching-2024-07-31");
        let mut body = JsonMap::new();
        body.insert("model".into(), Value::from("alias"));
        body.insert(
            "messages".into(),
            serde_json::json!([{"role": "user", "content": "hi"}]),
        );
        body.insert("max_tokens".into(), Value::from(5));
        let req = build_count_tokens_request(&body, &t).unwrap();
        assert_eq!(req.uri(), "http://127.0.0.1:9/v1/messages/count_tokens");
        assert_eq!(req.headers()["anthropic-beta"], TOKEN_COUNTING_BETA);
        let sent: Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]})
        );
        assert_eq!(parse_count_tokens(br#"{"input_tokens": 14}"#).unwrap(), 14);
    }
}
