//! `prometheus`: LiteLLM's metrics (`integrations/prometheus.py`), same names, label
//! names and latency buckets, served by the gateway's `/metrics`.
//!
//! Request metrics are counted from the payloads on the sink's task. Deployment metrics
//! (`litellm_deployment_state`, the rpm/tpm limits and what is left of them this minute)
//! are read from the router's shared state at scrape time ([`DeploymentRow`]): llmux's
//! router knows them first-hand, where LiteLLM reads them back from provider headers.
//!
//! `hashed_api_key`, `team` and `user` come from the virtual key's grant; labels llmux
//! cannot fill (aliases, e-mails, a call under the master key) carry `None`, as LiteLLM's
//! Python client writes a missing value.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use futures::future::BoxFuture;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde_json::{Map, Value};

use super::payload::{StandardLoggingPayload, Status};
use super::queue::{Sink, SinkQueue};

/// LiteLLM's `LATENCY_BUCKETS` (seconds); `+Inf` is added by the encoder.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 420.0,
    600.0,
];

/// The content type of [`PrometheusSink::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(String, String)>;
type FCounter = Family<Labels, Counter<f64, AtomicU64>>;
type FHist = Family<Labels, Histogram, fn() -> Histogram>;
type FGauge = Family<Labels, Gauge<f64, AtomicU64>>;
type FIntGauge = Family<Labels, Gauge<i64, AtomicI64>>;

const IDENTITY: &[&str] = &[
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "team",
    "team_alias",
    "user",
];

const LATENCY_LABELS: &[&str] = &[
    "model_group",
    "model",
    "hashed_api_key",
    "api_key_alias",
    "team",
    "team_alias",
    "requested_model",
    "end_user",
    "user",
    "model_id",
    "api_provider",
];
const TOTAL_LATENCY_LABELS: &[&str] = &[
    "model_group",
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "requested_model",
    "team",
    "team_alias",
    "user",
    "litellm_model_name",
    "model_id",
    "api_provider",
];
const REQUEST_LABELS: &[&str] = &[
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "model",
    "team",
    "team_alias",
    "user",
    "requested_model",
    "model_id",
    "api_provider",
];
const PROXY_TOTAL_LABELS: &[&str] = &[
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "requested_model",
    "team",
    "team_alias",
    "user",
    "status_code",
    "route",
    "model_id",
    "api_provider",
];
const PROXY_FAILED_LABELS: &[&str] = &[
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "requested_model",
    "team",
    "team_alias",
    "user",
    "exception_status",
    "exception_class",
    "route",
    "model_id",
    "api_provider",
];
const DEPLOYMENT_LABELS: &[&str] = &[
    "model_group",
    "requested_model",
    "litellm_model_name",
    "model_id",
    "api_base",
    "api_provider",
    "hashed_api_key",
    "api_key_alias",
    "team",
    "team_alias",
];
const DEPLOYMENT_FAILURE_LABELS: &[&str] = &[
    "model_group",
    "requested_model",
    "litellm_model_name",
    "model_id",
    "api_base",
    "api_provider",
    "exception_status",
    "exception_class",
    "hashed_api_key",
    "api_key_alias",
    "team",
    "team_alias",
];

/// One deployment as the router sees it at scrape time.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentRow {
    pub model_group: String,
    /// The model as sent to the provider (`litellm_model_name`).
    pub model: String,
    pub model_id: String,
    pub api_base: String,
    pub provider: String,
    pub cooling_down: bool,
    pub rpm_limit: Option<u64>,
    pub tpm_limit: Option<u64>,
    /// Requests and tokens counted this minute.
    pub rpm_used: u64,
    pub tpm_used: u64,
}

/// The Prometheus sink and its registry.
pub struct PrometheusSink {
    registry: Registry,
    names: Vec<&'static str>,
    requests: FCounter,
    spend: FCounter,
    total_tokens: FCounter,
    input_tokens: FCounter,
    output_tokens: FCounter,
    cached_tokens: FCounter,
    cache_creation_tokens: FCounter,
    reasoning_tokens: FCounter,
    proxy_total: FCounter,
    proxy_failed: FCounter,
    deployment_success: FCounter,
    deployment_failure: FCounter,
    deployment_total: FCounter,
    api_latency: FHist,
    ttft: FHist,
    total_latency: FHist,
    deployment_state: FGauge,
    rpm_limit: FGauge,
    tpm_limit: FGauge,
    remaining_requests: FGauge,
    remaining_tokens: FGauge,
    dropped: FIntGauge,
    callback_failures: FIntGauge,
}

impl std::fmt::Debug for PrometheusSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrometheusSink")
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS.iter().copied())
}

impl PrometheusSink {
    /// A sink with every metric registered (`callback_settings.prometheus` has no
    /// options yet; the argument is there so unknown ones can be refused).
    pub fn new(opts: &Map<String, Value>) -> Result<Self, String> {
        if let Some(k) = opts.keys().find(|k| k.as_str() != "queue_size") {
            return Err(format!("unknown prometheus option {k}"));
        }
        let mut r = Registry::default();
        let names = std::cell::RefCell::new(Vec::new());
        let counter = |r: &mut Registry, name: &'static str, help: &str| {
            let f = FCounter::default();
            r.register(name, help, f.clone());
            names.borrow_mut().push(name);
            f
        };
        let hist = |r: &mut Registry, name: &'static str, help: &str| {
            let f = FHist::new_with_constructor(latency_histogram as fn() -> Histogram);
            r.register(name, help, f.clone());
            names.borrow_mut().push(name);
            f
        };
        let gauge = |r: &mut Registry, name: &'static str, help: &str| {
            let f = FGauge::default();
            r.register(name, help, f.clone());
            names.borrow_mut().push(name);
            f
        };
        let int_gauge = |r: &mut Registry, name: &'static str, help: &str| {
            let f = FIntGauge::default();
            r.register(name, help, f.clone());
            names.borrow_mut().push(name);
            f
        };
        let mut sink = Self {
            names: Vec::new(),
            requests: counter(
                &mut r,
                "litellm_requests_metric",
                "Total number of LLM calls to litellm - track total per API Key, team, user",
            ),
            spend: counter(
                &mut r,
                "litellm_spend_metric",
                "Total spend on LLM requests",
            ),
            total_tokens: counter(
                &mut r,
                "litellm_total_tokens_metric",
                "Total number of input + output tokens from LLM requests",
            ),
            input_tokens: counter(
                &mut r,
                "litellm_input_tokens_metric",
                "Total number of input tokens from LLM requests",
            ),
            output_tokens: counter(
                &mut r,
                "litellm_output_tokens_metric",
                "Total number of output tokens from LLM requests",
            ),
            cached_tokens: counter(
                &mut r,
                "litellm_input_cached_tokens_metric",
                "Provider-side cached input tokens",
            ),
            cache_creation_tokens: counter(
                &mut r,
                "litellm_input_cache_creation_tokens_metric",
                "Provider-side input tokens written to prompt cache",
            ),
            reasoning_tokens: counter(
                &mut r,
                "litellm_output_reasoning_tokens_metric",
                "Reasoning tokens reported in completion_tokens_details.reasoning_tokens",
            ),
            proxy_total: counter(
                &mut r,
                "litellm_proxy_total_requests_metric",
                "Total number of requests made to the proxy server - track number of client side requests",
            ),
            proxy_failed: counter(
                &mut r,
                "litellm_proxy_failed_requests_metric",
                "Total number of failed responses from proxy - the client did not get a success response from litellm proxy",
            ),
            deployment_success: counter(
                &mut r,
                "litellm_deployment_success_responses",
                "LLM Deployment Analytics - Total number of successful LLM API calls via litellm",
            ),
            deployment_failure: counter(
                &mut r,
                "litellm_deployment_failure_responses",
                "LLM Deployment Analytics - Total number of failed LLM API calls for a specific LLM deploymeny",
            ),
            deployment_total: counter(
                &mut r,
                "litellm_deployment_total_requests",
                "LLM Deployment Analytics - Total number of LLM API calls via litellm - success + failure",
            ),
            api_latency: hist(
                &mut r,
                "litellm_llm_api_latency_metric",
                "Total latency (seconds) for a models LLM API call",
            ),
            ttft: hist(
                &mut r,
                "litellm_llm_api_time_to_first_token_metric",
                "Time to first token for a models LLM API call",
            ),
            total_latency: hist(
                &mut r,
                "litellm_request_total_latency_metric",
                "End-to-end latency (seconds) for a request to LiteLLM Proxy Server",
            ),
            deployment_state: gauge(
                &mut r,
                "litellm_deployment_state",
                "LLM Deployment Analytics - The state of the deployment: 0 = healthy, 1 = partial outage, 2 = complete outage",
            ),
            rpm_limit: gauge(
                &mut r,
                "litellm_deployment_rpm_limit",
                "Deployment RPM limit found in config",
            ),
            tpm_limit: gauge(
                &mut r,
                "litellm_deployment_tpm_limit",
                "Deployment TPM limit found in config",
            ),
            remaining_requests: gauge(
                &mut r,
                "litellm_remaining_requests_metric",
                "LLM Deployment Analytics - remaining requests for model this minute (the router's rpm count)",
            ),
            remaining_tokens: gauge(
                &mut r,
                "litellm_remaining_tokens_metric",
                "remaining tokens for model this minute (the router's tpm count)",
            ),
            dropped: int_gauge(
                &mut r,
                "llmux_logging_dropped_events",
                "Logging events dropped because a callback's queue was full, since start",
            ),
            callback_failures: int_gauge(
                &mut r,
                "litellm_callback_logging_failures_metric",
                "Total number of failures when emitting logs to callbacks, since start",
            ),
            registry: r,
        };
        sink.names = names.into_inner();
        Ok(sink)
    }

    /// Every metric family registered (counters without their `_total`).
    pub fn metric_names(&self) -> &[&'static str] {
        &self.names
    }

    fn record(&self, e: &StandardLoggingPayload) {
        let l = |names: &[&str]| labels(e, names);
        match e.status {
            Status::Success => {
                let request = l(REQUEST_LABELS);
                self.requests.get_or_create(&request).inc();
                self.spend.get_or_create(&request).inc_by(e.response_cost);
                let tokens = l(&TOKEN_LABELS);
                let add = |f: &FCounter, n: u64| {
                    if n > 0 {
                        f.get_or_create(&tokens).inc_by(n as f64);
                    }
                };
                add(&self.total_tokens, e.total_tokens);
                add(&self.input_tokens, e.prompt_tokens);
                add(&self.output_tokens, e.completion_tokens);
                if let Some(u) = &e.usage {
                    add(&self.cached_tokens, u.cached_tokens());
                    add(
                        &self.cache_creation_tokens,
                        u.extra
                            .get("cache_creation_input_tokens")
                            .and_then(Value::as_u64)
                            .unwrap_or(0),
                    );
                    add(&self.reasoning_tokens, u.reasoning_tokens());
                }
                if e.cache_hit != Some(true) {
                    self.api_latency
                        .get_or_create(&l(LATENCY_LABELS))
                        .observe(e.response_time);
                    if e.stream == Some(true)
                        && let Some(t) = e.time_to_first_token
                    {
                        self.ttft
                            .get_or_create(&l(LATENCY_LABELS))
                            .observe(t.as_secs_f64());
                    }
                }
                self.total_latency
                    .get_or_create(&l(TOTAL_LATENCY_LABELS))
                    .observe(e.response_time);
                self.proxy_total.get_or_create(&l(PROXY_TOTAL_LABELS)).inc();
                if e.model_id.is_some() {
                    let d = l(DEPLOYMENT_LABELS);
                    self.deployment_success.get_or_create(&d).inc();
                    self.deployment_total.get_or_create(&d).inc();
                }
            }
            Status::Failure => {
                self.proxy_failed
                    .get_or_create(&l(PROXY_FAILED_LABELS))
                    .inc();
                self.proxy_total.get_or_create(&l(PROXY_TOTAL_LABELS)).inc();
                if e.model_id.is_some() {
                    self.deployment_failure
                        .get_or_create(&l(DEPLOYMENT_FAILURE_LABELS))
                        .inc();
                    self.deployment_total
                        .get_or_create(&l(DEPLOYMENT_LABELS))
                        .inc();
                }
            }
        }
    }

    /// Sets the deployment gauges from the router's state (called at scrape time).
    pub fn observe_deployments(&self, rows: &[DeploymentRow]) {
        for d in rows {
            let state_labels: Labels = vec![
                ("litellm_model_name".into(), d.model.clone()),
                ("model_id".into(), d.model_id.clone()),
                ("api_base".into(), d.api_base.clone()),
                ("api_provider".into(), d.provider.clone()),
            ];
            let state = if d.cooling_down { 2.0 } else { 0.0 };
            self.deployment_state
                .get_or_create(&state_labels)
                .set(state);
            let limit_labels: Labels = vec![
                ("model_group".into(), d.model_group.clone()),
                ("litellm_model_name".into(), d.model.clone()),
                ("model_id".into(), d.model_id.clone()),
                ("api_base".into(), d.api_base.clone()),
                ("api_provider".into(), d.provider.clone()),
            ];
            let remaining_labels: Labels = vec![
                ("model_group".into(), d.model_group.clone()),
                ("api_provider".into(), d.provider.clone()),
                ("api_base".into(), d.api_base.clone()),
                ("litellm_model_name".into(), d.model.clone()),
                ("hashed_api_key".into(), NONE.into()),
                ("api_key_alias".into(), NONE.into()),
                ("model_id".into(), d.model_id.clone()),
            ];
            if let Some(rpm) = d.rpm_limit {
                self.rpm_limit.get_or_create(&limit_labels).set(rpm as f64);
                self.remaining_requests
                    .get_or_create(&remaining_labels)
                    .set(rpm.saturating_sub(d.rpm_used) as f64);
            }
            if let Some(tpm) = d.tpm_limit {
                self.tpm_limit.get_or_create(&limit_labels).set(tpm as f64);
                self.remaining_tokens
                    .get_or_create(&remaining_labels)
                    .set(tpm.saturating_sub(d.tpm_used) as f64);
            }
        }
    }

    /// Sets the logging queues' drop and delivery-failure counts (called at scrape time).
    pub fn observe_queues(&self, queues: &[SinkQueue]) {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        for q in queues {
            let l: Labels = vec![("callback_name".into(), q.name().to_owned())];
            let dropped = q.counters().dropped.load(Ordering::Relaxed);
            self.dropped.get_or_create(&l).set(count(dropped));
            self.callback_failures
                .get_or_create(&l)
                .set(count(q.failed_events()));
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

const NONE: &str = "None";

const TOKEN_LABELS: [&str; 11] = [
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "model",
    "team",
    "team_alias",
    "user",
    "user_email",
    "requested_model",
    "model_id",
    "api_provider",
];

fn key(e: &StandardLoggingPayload) -> Option<&super::payload::UserApiKeyMetadata> {
    e.metadata.user_api_key.as_ref()
}

/// The label values of `names` for one event.
fn labels(e: &StandardLoggingPayload, names: &[&str]) -> Labels {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| NONE.to_owned());
    names
        .iter()
        .map(|&name| {
            let value = match name {
                "end_user" => opt(&e.end_user),
                "model" | "litellm_model_name" => e.model.clone(),
                "model_group" | "requested_model" => opt(&e.model_group),
                "model_id" => opt(&e.model_id),
                "api_provider" => opt(&e.custom_llm_provider),
                "api_base" => e.api_base.clone(),
                "status_code" => match &e.error_information {
                    Some(i) => opt(&i.error_code),
                    None => "200".to_owned(),
                },
                "exception_status" => opt(&e
                    .error_information
                    .as_ref()
                    .and_then(|i| i.error_code.clone())),
                "exception_class" => opt(&e
                    .error_information
                    .as_ref()
                    .and_then(|i| i.error_class.clone())),
                "route" => opt(&e
                    .metadata
                    .user_api_key
                    .as_ref()
                    .and_then(|k| k.user_api_key_request_route.clone())),
                "hashed_api_key" => opt(&key(e).and_then(|k| k.user_api_key_hash.clone())),
                "team" => opt(&key(e).and_then(|k| k.user_api_key_team_id.clone())),
                "user" => opt(&key(e).and_then(|k| k.user_api_key_user_id.clone())),
                n if IDENTITY.contains(&n) || n == "user_email" => NONE.to_owned(),
                _ => NONE.to_owned(),
            };
            (name.to_owned(), value)
        })
        .collect()
}

impl Sink for PrometheusSink {
    fn name(&self) -> &'static str {
        "prometheus"
    }

    fn write<'a>(&'a self, batch: &'a [Arc<StandardLoggingPayload>]) -> BoxFuture<'a, ()> {
        for e in batch {
            self.record(e);
        }
        Box::pin(std::future::ready(()))
    }
}
