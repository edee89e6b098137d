//! LiteLLM's `StandardLoggingPayload` (`litellm/types/utils.py`): one per request, with
//! LiteLLM's field names (its camelCase timings included), so consumers written for
//! LiteLLM read llmux's events unchanged.
//!
//! Built on the request's task from what the hooks carry (ids, usage, cost, timings:
//! strings and numbers, no JSON of the answer unless message logging is on), serialised
//! by the sinks on their own tasks.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use llmux_registry::ModelInfo;
use llmux_types::{Error, Usage};
use serde::Serialize;
use serde_json::{Map, Value};

/// LiteLLM's `REDACTED_BY_LITELLM`: what replaces messages and answers when message
/// logging is off.
pub const REDACTED: &str = "redacted-by-litellm";

/// One request's logging event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StandardLoggingPayload {
    pub id: String,
    pub trace_id: String,
    pub litellm_call_id: Option<String>,
    pub call_type: &'static str,
    pub stream: Option<bool>,
    pub response_cost: f64,
    pub response_cost_failure_debug_info: Option<Value>,
    pub status: Status,
    pub status_fields: StatusFields,
    pub custom_llm_provider: Option<String>,
    pub total_tokens: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Unix seconds.
    #[serde(rename = "startTime")]
    pub start_time: f64,
    #[serde(rename = "endTime")]
    pub end_time: f64,
    /// First token (streams), else the end.
    #[serde(rename = "completionStartTime")]
    pub completion_start_time: f64,
    /// Seconds from start to end.
    pub response_time: f64,
    pub model_map_information: ModelMapInformation,
    /// The model as sent to the provider.
    pub model: String,
    pub model_id: Option<String>,
    pub model_group: Option<String>,
    pub api_base: String,
    pub metadata: Metadata,
    pub cache_hit: Option<bool>,
    pub cache_key: Option<String>,
    pub saved_cache_cost: f64,
    pub request_tags: Vec<String>,
    pub end_user: Option<String>,
    pub requester_ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub messages: Option<Value>,
    pub response: Option<Value>,
    pub error_str: Option<String>,
    pub error_information: Option<ErrorInformation>,
    pub model_parameters: Map<String, Value>,
    pub hidden_params: HiddenParams,
    /// llmux's own detail on a stream's end (`completed`, `failed`, `client_gone`) and
    /// its event count; LiteLLM has no such key, so it is named apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llmux_stream: Option<StreamInfo>,
    /// The usage exactly as the answer reported it, kept for the metrics sink
    /// (cached, cache-write and reasoning tokens); also `hidden_params.usage_object`.
    #[serde(skip)]
    pub usage: Option<Usage>,
    /// Time to first token, for the metrics sink.
    #[serde(skip)]
    pub time_to_first_token: Option<Duration>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Failure,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusFields {
    pub llm_api_status: Status,
    pub guardrail_status: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelMapInformation {
    pub model_map_key: String,
    /// The registry entry the cost was priced from (shared, serialised by the sink).
    #[serde(serialize_with = "shared_info")]
    pub model_map_value: Option<Arc<ModelInfo>>,
}

fn shared_info<S: serde::Serializer>(v: &Option<Arc<ModelInfo>>, s: S) -> Result<S::Ok, S::Error> {
    v.as_deref().serialize(s)
}

/// `StandardLoggingMetadata`. The `user_api_key_*` fields are left out entirely when
/// `redact_user_api_key_info` is on, as LiteLLM pops them.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Metadata {
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub user_api_key: Option<UserApiKeyMetadata>,
    pub spend_logs_metadata: Option<Value>,
    pub requester_ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub requester_metadata: Option<Value>,
    pub requester_custom_headers: Option<Value>,
    pub prompt_management_metadata: Option<Value>,
    pub mcp_tool_call_metadata: Option<Value>,
    pub vector_store_request_metadata: Option<Value>,
    pub routing_decision: Option<Value>,
    pub applied_guardrails: Option<Vec<String>>,
    pub usage_object: Option<Usage>,
    pub cold_storage_object_key: Option<String>,
    pub team_alias: Option<String>,
    pub team_id: Option<String>,
}

/// `StandardLoggingUserAPIKeyMetadata`: who called. A virtual key gives its hash, team and
/// user; the end user and the route are always known.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct UserApiKeyMetadata {
    pub user_api_key_hash: Option<String>,
    pub user_api_key_alias: Option<String>,
    pub user_api_key_spend: Option<f64>,
    pub user_api_key_max_budget: Option<f64>,
    pub user_api_key_budget_reset_at: Option<String>,
    pub user_api_key_user_spend: Option<f64>,
    pub user_api_key_user_max_budget: Option<f64>,
    pub user_api_key_team_spend: Option<f64>,
    pub user_api_key_team_max_budget: Option<f64>,
    pub user_api_key_org_id: Option<String>,
    pub user_api_key_org_alias: Option<String>,
    pub user_api_key_team_id: Option<String>,
    pub user_api_key_project_id: Option<String>,
    pub user_api_key_project_alias: Option<String>,
    pub user_api_key_user_id: Option<String>,
    pub user_api_key_user_email: Option<String>,
    pub user_api_key_team_alias: Option<String>,
    pub user_api_key_end_user_id: Option<String>,
    pub user_api_key_request_route: Option<String>,
    pub user_api_key_auth_metadata: Option<Value>,
}

/// `StandardLoggingPayloadErrorInformation`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorInformation {
    /// The HTTP status, as a string (LiteLLM's `error_code`).
    pub error_code: Option<String>,
    /// LiteLLM's exception class (`RateLimitError`, …).
    pub error_class: Option<String>,
    pub llm_provider: Option<String>,
    pub traceback: Option<String>,
    pub error_message: Option<String>,
}

impl ErrorInformation {
    pub fn of(e: &Error) -> Self {
        Self {
            error_code: Some(e.status.as_u16().to_string()),
            error_class: Some(e.kind.class_name().to_owned()),
            llm_provider: e.provider.clone(),
            traceback: None,
            error_message: Some(e.message.clone()),
        }
    }
}

/// `StandardLoggingHiddenParams`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct HiddenParams {
    pub model_id: Option<String>,
    pub cache_key: Option<String>,
    pub api_base: Option<String>,
    pub response_cost: Option<f64>,
    pub litellm_overhead_time_ms: Option<f64>,
    pub additional_headers: Option<Value>,
    pub batch_models: Option<Vec<String>>,
    pub litellm_model_name: Option<String>,
    pub usage_object: Option<Usage>,
}

/// How a stream ended, for `llmux_stream`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StreamInfo {
    pub end: &'static str,
    pub events: u64,
}

/// Wall-clock Unix seconds of an instant `ago` before now.
pub fn unix_secs_ago(ago: Duration) -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.saturating_sub(ago).as_secs_f64()
}
