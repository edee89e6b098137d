//! Google Secret Manager: `GET {endpoint}/v1/projects/{GOOGLE_SECRET_MANAGER_PROJECT_ID}/
//! secrets/{name}/versions/latest:access`, the value base64 in `payload.data`, with an
//! OAuth token from the credentials `GOOGLE_APPLICATION_CREDENTIALS` names (the Vertex AI
//! token source: service account or authorized user, cached). The endpoint is
//! `secretmanager.googleapis.com`, or `GOOGLE_SECRET_MANAGER_ENDPOINT` (a Private Service
//! Connect endpoint).

use std::path::Path;

use base64::Engine;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::Secret;

use super::{Env, SecretError, SecretSource, http_client, refused, setting, transport_error};
use crate::google_auth::GoogleTokenSource;

pub(super) struct GoogleSource {
    endpoint: String,
    project: String,
    tokens: GoogleTokenSource,
    http: reqwest::Client,
}

impl std::fmt::Debug for GoogleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleSource")
            .field("endpoint", &self.endpoint)
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

const CREDENTIALS: &str = "GOOGLE_APPLICATION_CREDENTIALS";

impl GoogleSource {
    pub(super) fn new(env: &Env) -> Result<Self, SecretError> {
        let project = setting(env, "GOOGLE_SECRET_MANAGER_PROJECT_ID").ok_or_else(|| {
            SecretError::new(
                "GOOGLE_SECRET_MANAGER_PROJECT_ID",
                "google_secret_manager needs GOOGLE_SECRET_MANAGER_PROJECT_ID",
            )
        })?;
        let path = setting(env, CREDENTIALS).ok_or_else(|| {
            SecretError::new(
                CREDENTIALS,
                "google_secret_manager needs GOOGLE_APPLICATION_CREDENTIALS (a credentials file)",
            )
        })?;
        let tokens = GoogleTokenSource::from_file(Path::new(path.trim()))
            .map_err(|e| SecretError::new(CREDENTIALS, e.message))?;
        Ok(Self {
            endpoint: setting(env, "GOOGLE_SECRET_MANAGER_ENDPOINT")
                .unwrap_or_else(|| "https://secretmanager.googleapis.com".into())
                .trim_end_matches('/')
                .to_owned(),
            project,
            tokens,
            http: http_client()?,
        })
    }

    async fn token(&self) -> Result<Secret, SecretError> {
        self.tokens.token().await.map_err(|e| {
            SecretError::new(
                CREDENTIALS,
                format!("no Google access token: {}", e.message),
            )
        })
    }
}

impl SecretSource for GoogleSource {
    fn kind(&self) -> &'static str {
        "google_secret_manager"
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), SecretError>> {
        Box::pin(async move { self.token().await.map(drop) })
    }

    fn fetch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Secret>, SecretError>> {
        Box::pin(async move {
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            {
                return Ok(None);
            }
            let token = self.token().await?;
            let url = format!(
                "{}/v1/projects/{}/secrets/{name}/versions/latest:access",
                self.endpoint, self.project
            );
            let resp = self
                .http
                .get(url)
                .bearer_auth(token.expose())
                .send()
                .await
                .map_err(|e| {
                    SecretError::new("GOOGLE_SECRET_MANAGER_ENDPOINT", transport_error(&e))
                })?;
            let status = resp.status();
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if refused(status) {
                return Err(SecretError::new(
                    CREDENTIALS,
                    format!("Secret Manager refused to read secret '{name}' ({status})"),
                ));
            }
            if !status.is_success() {
                return Err(SecretError::new(
                    "GOOGLE_SECRET_MANAGER_ENDPOINT",
                    format!("reading '{name}' answered {status}"),
                ));
            }
            let body: Value = super::json_of(resp).await.map_err(|e| {
                SecretError::new("GOOGLE_SECRET_MANAGER_ENDPOINT", transport_error(&e))
            })?;
            let Some(data) = body["payload"]["data"].as_str() else {
                return Ok(None);
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|_| {
                    SecretError::new(
                        "GOOGLE_SECRET_MANAGER_ENDPOINT",
                        format!("secret '{name}' is not base64"),
                    )
                })?;
            String::from_utf8(bytes)
                .map(|s| Some(Secret::from(s)))
                .map_err(|_| {
                    SecretError::new(
                        "GOOGLE_SECRET_MANAGER_ENDPOINT",
                        format!("secret '{name}' is not UTF-8"),
                    )
                })
        })
    }
}
