//! `GET /metrics`: the Prometheus sink's metrics (`litellm_settings.callbacks:
//! [prometheus]`), with the deployment gauges read from the router's state at scrape
//! time. Needs the master key unless `require_auth_for_metrics_endpoint: false`, as
//! LiteLLM; without the prometheus callback it is a 404.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use llmux::logging::prometheus::{CONTENT_TYPE as METRICS_TYPE, DeploymentRow};
use llmux::router::state::now_ms;
use llmux::{Error, ErrorKind};
use std::sync::Arc;

use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn metrics(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match render(&st, &headers) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn render(st: &AppState, headers: &HeaderMap) -> Result<Response, ApiError> {
    if st.metrics_need_auth {
        crate::auth::check(st.master_key.as_ref(), headers)?;
    }
    let Some((logging, sink)) = st
        .logging
        .as_ref()
        .and_then(|l| l.prometheus.as_ref().map(|p| (l, p)))
    else {
        return Err(Error::new(
            ErrorKind::NotFound,
            "/metrics needs the prometheus callback (litellm_settings.callbacks: [prometheus])",
        )
        .into());
    };
    let deployments = super::model_info::deployments(st);
    let ids: Vec<&str> = deployments.iter().map(|d| d.id.as_str()).collect();
    let now = now_ms();
    let loads = st.router.state().loads(&ids, now);
    let rows: Vec<DeploymentRow> = deployments
        .iter()
        .zip(loads)
        .map(|(d, load)| DeploymentRow {
            model_group: d.model_name.clone(),
            model: d.deployment.model.clone(),
            model_id: d.id.clone(),
            api_base: d.deployment.api_base.clone().unwrap_or_default(),
            provider: d.deployment.provider.id().to_owned(),
            cooling_down: load.cooldown_until_ms.is_some_and(|until| until > now),
            rpm_limit: d.rpm,
            tpm_limit: d.tpm,
            rpm_used: load.rpm,
            tpm_used: load.tpm,
        })
        .collect();
    sink.observe_deployments(&rows);
    sink.observe_queues(logging.logger.queues());
    Ok(([(CONTENT_TYPE, METRICS_TYPE)], sink.encode()).into_response())
}
