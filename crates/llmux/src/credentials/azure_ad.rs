//! Azure AD (Entra ID) client credentials for Azure OpenAI: `tenant_id`, `client_id` and
//! `client_secret` in `litellm_params` (else `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//! `AZURE_CLIENT_SECRET`), exchanged for a bearer token at
//! `{authority}/{tenant_id}/oauth2/v2.0/token` with the scope
//! `https://cognitiveservices.azure.com/.default`, as LiteLLM's
//! `get_azure_ad_token_from_entra_id` does through azure-identity.
//!
//! The authority is `azure_authority_host` (else `AZURE_AUTHORITY_HOST`, else
//! `https://login.microsoftonline.com`): a sovereign cloud, a private endpoint or a test
//! fake. Tokens live in the shared [`TokenStore`]: one exchange for many requests, a new
//! one shortly before expiry.

use std::time::Duration;

use futures::future::BoxFuture;
use llmux_types::{Error, ErrorKind, JsonMap};
use serde::Deserialize;

use super::Authorize;
use super::token_store::TokenStore;
use crate::Secret;

pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
pub const COGNITIVE_SERVICES_SCOPE: &str = "https://cognitiveservices.azure.com/.default";
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);
/// Assumed when an answer has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// Mints and caches Entra ID tokens for one app registration.
pub struct AzureAdTokenSource {
    token_url: String,
    client_id: String,
    client_secret: Secret,
    scope: String,
    http: reqwest::Client,
    store: TokenStore<Secret>,
}

impl std::fmt::Debug for AzureAdTokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureAdTokenSource")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Secret,
    expires_in: Option<serde_json::Value>,
}

impl AzureAdTokenSource {
    /// From `litellm_params` and the environment; `None` when no client credentials are
    /// configured (a key or a fixed `azure_ad_token` is used then).
    pub fn from_params(
        params: &JsonMap,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, Error> {
        let get = |k: &str, var: &str| {
            params
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .or_else(|| env(var))
                .filter(|s| !s.is_empty())
        };
        let (Some(tenant), Some(client_id), Some(client_secret)) = (
            get("tenant_id", "AZURE_TENANT_ID"),
            get("client_id", "AZURE_CLIENT_ID"),
            get("client_secret", "AZURE_CLIENT_SECRET"),
        ) else {
            return Ok(None);
        };
        let authority = get("azure_authority_host", "AZURE_AUTHORITY_HOST")
            .unwrap_or_else(|| DEFAULT_AUTHORITY.to_owned());
        let token_url = format!(
            "{}/{tenant}/oauth2/v2.0/token",
            authority.trim_end_matches('/')
        );
        if reqwest::Url::parse(&token_url).is_err() {
            return Err(Error::bad_request(format!(
                "the Azure AD token endpoint is not a URL: {token_url}"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(TOKEN_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::InternalServer,
                    format!("cannot build the HTTP client for Azure AD: {e}"),
                )
            })?;
        Ok(Some(Self {
            token_url,
            client_id,
            client_secret: client_secret.into(),
            scope: get("azure_scope", "AZURE_SCOPE")
                .unwrap_or_else(|| COGNITIVE_SERVICES_SCOPE.to_owned()),
            http,
            store: TokenStore::new(),
        }))
    }

    /// Replaces the token store (tests: a clock, a margin).
    pub fn with_store(mut self, store: TokenStore<Secret>) -> Self {
        self.store = store;
        self
    }

    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// A valid token: cached, or one exchange.
    pub async fn token(&self) -> Result<Secret, Error> {
        self.store.get(|| self.fetch()).await
    }

    async fn fetch(&self) -> Result<(Secret, Duration), Error> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
            ("scope", self.scope.as_str()),
        ];
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let response = self
            .http
            .post(&self.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| self.error(ErrorKind::ApiConnection, &e.to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.error(ErrorKind::ApiConnection, &e.to_string()))?;
        if !status.is_success() {
            let kind = if status.as_u16() == 429 || status.is_server_error() {
                ErrorKind::from_status(status)
            } else {
                ErrorKind::Authentication
            };
            return Err(self.error(
                kind,
                &format!("{}: {}", status.as_u16(), String::from_utf8_lossy(&bytes)),
            ));
        }
        let answer: TokenAnswer = serde_json::from_slice(&bytes)
            .map_err(|e| self.error(ErrorKind::Authentication, &e.to_string()))?;
        // Entra answers `expires_in` as a number or, on some clouds, a string.
        let lifetime = match &answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        Ok((answer.access_token, lifetime))
    }

    fn error(&self, kind: ErrorKind, detail: &str) -> Error {
        Error::new(
            kind,
            format!(
                "AzureException - Azure AD token request to {} failed: {detail}",
                self.token_url
            ),
        )
        .with_provider("azure")
    }
}

impl Authorize for AzureAdTokenSource {
    fn bearer_token(&self) -> BoxFuture<'_, Result<Option<Secret>, Error>> {
        Box::pin(async move { self.token().await.map(Some) })
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
