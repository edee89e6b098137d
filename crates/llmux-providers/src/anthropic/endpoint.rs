//! Where a Messages API request goes and its headers: `{api_base}/v1/messages` with
//! `x-api-key`, or Vertex AI's `rawPredict` with a bearer token; `anthropic-beta` merges
//! the caller's betas with those the request's features need.

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue};
use llmux_types::{ChatRequest, Error, ErrorKind};
use serde_json::Value;

use super::request::{ANTHROPIC_VERSION, bad_request};
use super::types::{AnthropicRequest, AnthropicTool};
use crate::Target;

const DEFAULT_API_BASE: &str = "https://api.anthropic.com";
const DEFAULT_VERTEX_LOCATION: &str = "us-central1";
const OAUTH_TOKEN_PREFIX: &str = "sk-ant-oat";

fn tool_types(body: &AnthropicRequest) -> impl Iterator<Item = &str> {
    body.tools.iter().flatten().filter_map(|t| match t {
        AnthropicTool::Other(v) => v.get("type").and_then(Value::as_str),
        AnthropicTool::Custom(_) => None,
    })
}

pub(super) fn has_tool_type(body: &AnthropicRequest, prefix: &str) -> bool {
    tool_types(body).any(|t| t.starts_with(prefix))
}

/// The betas the request's features need (`get_anthropic_headers`,
/// `update_headers_with_optional_anthropic_beta`).
pub(super) fn feature_betas(body: &AnthropicRequest, adaptive_thinking: bool) -> Vec<String> {
    let mut betas: Vec<&str> = Vec::new();
    for kind in tool_types(body) {
        match kind {
            "computer_20250124" => betas.push("computer-use-2025-01-24"),
            k if k.starts_with("computer_") => betas.push("computer-use-2024-10-22"),
            k if k.starts_with("web_fetch") => betas.push("web-fetch-2025-09-10"),
            k if k.starts_with("memory") => betas.push("context-management-2025-06-27"),
            k if k.starts_with("code_execution") => betas.push("code-execution-2025-08-25"),
            k if k.starts_with("tool_search_tool") => betas.push("advanced-tool-use-2025-11-20"),
            _ => {}
        }
    }
    let uses_file_id = body.messages.iter().any(|m| {
        serde_json::to_value(&m.content)
            .map(|v| v.to_string().contains("\"file_id\""))
            .unwrap_or(false)
    });
    if uses_file_id {
        betas.extend(["files-api-2025-04-14", "code-execution-2025-05-22"]);
    }
    if body.extra.contains_key("mcp_servers") {
        betas.push("mcp-client-2025-04-04");
    }
    let effort = body
        .extra
        .get("output_config")
        .and_then(|c| c.get("effort"))
        .is_some_and(Value::is_string);
    if effort && !adaptive_thinking {
        betas.push("effort-2025-11-24");
    }
    betas.into_iter().map(str::to_owned).collect()
}

/// Headers the caller configured (`extra_headers` in the config or the body).
pub(super) fn caller_headers(req: &ChatRequest, t: &Target<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = t.extra_headers.to_vec();
    if let Some(Value::Object(map)) = req.extra.get("extra_headers") {
        for (k, v) in map {
            if let Some(v) = v.as_str() {
                out.push((k.clone(), v.to_owned()));
            }
        }
    }
    out
}

/// The caller's `anthropic-beta` values, then the features', without repeats.
pub(super) fn merge_betas(caller: &[(String, String)], features: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let from_caller = caller
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("anthropic-beta"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned);
    for beta in from_caller.chain(features) {
        if !out.contains(&beta) {
            out.push(beta);
        }
    }
    out
}

pub(super) fn direct_url(t: &Target<'_>) -> String {
    let base = t.api_base.unwrap_or(DEFAULT_API_BASE).trim_end_matches('/');
    if base.ends_with("/v1/messages") {
        base.to_owned()
    } else {
        format!("{base}/v1/messages")
    }
}

/// A header map with the caller's headers, then ours (ours win, as LiteLLM's
/// `{**caller_headers, **anthropic_headers}`).
fn base_headers(caller: &[(String, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (k, v) in caller {
        if k.eq_ignore_ascii_case("anthropic-beta") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

pub(super) fn direct_headers(
    t: &Target<'_>,
    caller: &[(String, String)],
    features: Vec<String>,
) -> HeaderMap {
    let mut headers = base_headers(caller);
    let mut betas = merge_betas(caller, features);
    set(&mut headers, "anthropic-version", ANTHROPIC_VERSION);
    match t.api_key.filter(|k| !k.is_empty()) {
        Some(key) if key.starts_with(OAUTH_TOKEN_PREFIX) => {
            // Claude OAuth tokens go as bearer tokens with their beta.
            headers.remove("x-api-key");
            if let Ok(v) = HeaderValue::from_str(&format!("Bearer {key}")) {
                headers.insert(AUTHORIZATION, v);
            }
            set(
                &mut headers,
                "anthropic-dangerous-direct-browser-access",
                "true",
            );
            if !betas.iter().any(|b| b == "oauth-2025-04-20") {
                betas.push("oauth-2025-04-20".into());
            }
        }
        Some(key) => set(&mut headers, "x-api-key", key),
        None => {}
    }
    if !betas.is_empty() {
        set(&mut headers, "anthropic-beta", &betas.join(","));
    }
    headers
}

pub(super) fn vertex_headers(
    t: &Target<'_>,
    caller: &[(String, String)],
    betas: &[String],
    provider: &str,
) -> Result<HeaderMap, Error> {
    let mut headers = base_headers(caller);
    let token = t.bearer_token.filter(|k| !k.is_empty()).ok_or_else(|| {
        Error::new(
            ErrorKind::Authentication,
            "Claude on Vertex AI needs a Google OAuth access token (configure vertex_credentials \
             or application default credentials)",
        )
        .with_provider(provider)
    })?;
    let auth = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| bad_request(provider, "the Vertex AI access token is not a valid header"))?;
    headers.insert(AUTHORIZATION, auth);
    set(&mut headers, "anthropic-version", ANTHROPIC_VERSION);
    if !betas.is_empty() {
        set(&mut headers, "anthropic-beta", &betas.join(","));
    }
    Ok(headers)
}

/// `https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict`,
/// with `api_base` replacing the host as LiteLLM's `_check_custom_proxy` does.
pub(super) fn vertex_url(
    t: &Target<'_>,
    model: &str,
    stream: bool,
    provider: &str,
) -> Result<String, Error> {
    let project = t.param("vertex_project").filter(|p| !p.is_empty()).ok_or_else(|| {
        bad_request(
            provider,
            "vertex_project is required for Claude on Vertex AI: set `vertex_project` in litellm_params",
        )
        .with_param("vertex_project")
    })?;
    let location = t
        .param("vertex_location")
        .filter(|l| !l.is_empty())
        .unwrap_or(DEFAULT_VERTEX_LOCATION);
    let valid_location = location == "global"
        || (location.starts_with(|c: char| c.is_ascii_lowercase())
            && location
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    if !valid_location {
        return Err(
            bad_request(provider, "Invalid vertex_location format").with_param("vertex_location")
        );
    }
    let endpoint = if stream {
        "streamRawPredict"
    } else {
        "rawPredict"
    };
    let path = format!(
        "/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:{endpoint}"
    );
    let Some(api_base) = t.api_base else {
        let host = if location == "global" {
            "https://aiplatform.googleapis.com".to_owned()
        } else if !location.contains('-') {
            format!("https://aiplatform.{location}.rep.googleapis.com")
        } else {
            format!("https://{location}-aiplatform.googleapis.com")
        };
        return Ok(format!("{host}{path}"));
    };
    let parsed = url::Url::parse(api_base)
        .map_err(|e| bad_request(provider, format!("invalid api_base '{api_base}': {e}")))?;
    let base_path = parsed.path().trim_end_matches('/');
    let mut url = if base_path.is_empty() {
        // A bare host: the standard path goes after it.
        format!("{}{path}", api_base.trim_end_matches('/'))
    } else if base_path == "/v1" || base_path == "/v1beta1" {
        // A version-only path: the standard path replaces the version's tail.
        let mut u = parsed.clone();
        u.set_path(&format!("{base_path}{}", &path["/v1".len()..]));
        u.to_string()
    } else {
        // Any other path is the full endpoint.
        format!("{api_base}:{endpoint}")
    };
    if stream {
        url.push_str(if url.contains('?') {
            "&alt=sse"
        } else {
            "?alt=sse"
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_gets_the_messages_path_once() {
        for (base, want) in [
            (None, "https://api.anthropic.com/v1/messages"),
            (Some("http://h:1"), "http://h:1/v1/messages"),
            (Some("http://h:1/"), "http://h:1/v1/messages"),
            (Some("http://h:1/v1/messages"), "http://h:1/v1/messages"),
        ] {
            let t = Target {
                api_base: base,
                ..Target::default()
            };
            assert_eq!(direct_url(&t), want);
        }
    }
}
