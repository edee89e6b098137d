//! Azure Key Vault: `GET {AZURE_KEY_VAULT_URI}/secrets/{name}?api-version=7.4`, the value
//! under `value`, with a bearer token from Microsoft Entra ID's client-credentials grant
//! (`{AZURE_AUTHORITY_HOST}/{AZURE_TENANT_ID}/oauth2/v2.0/token`), renewed before it
//! expires.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::Value;

use crate::Secret;

use super::{Env, SecretError, SecretSource, http_client, refused, setting, transport_error};

pub(super) struct AzureSource {
    vault: String,
    authority: String,
    tenant: String,
    client_id: String,
    client_secret: Secret,
    http: reqwest::Client,
    token: Mutex<Option<(Secret, Instant)>>,
}

impl std::fmt::Debug for AzureSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureSource")
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

impl AzureSource {
    pub(super) fn new(env: &Env) -> Result<Self, SecretError> {
        let need = |name: &str| {
            setting(env, name)
                .ok_or_else(|| SecretError::new(name, format!("azure_key_vault needs {name}")))
        };
        Ok(Self {
            vault: need("AZURE_KEY_VAULT_URI")?
                .trim_end_matches('/')
                .to_owned(),
            authority: setting(env, "AZURE_AUTHORITY_HOST")
                .unwrap_or_else(|| "https://login.microsoftonline.com".into())
                .trim_end_matches('/')
                .to_owned(),
            tenant: need("AZURE_TENANT_ID")?,
            client_id: need("AZURE_CLIENT_ID")?,
            client_secret: need("AZURE_CLIENT_SECRET")?.into(),
            http: http_client()?,
            token: Mutex::new(None),
        })
    }

    async fn token(&self) -> Result<Secret, SecretError> {
        {
            let guard = self
                .token
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((t, _)) = guard.as_ref().filter(|(_, u)| Instant::now() < *u) {
                return Ok(t.clone());
            }
        }
        let url = format!("{}/{}/oauth2/v2.0/token", self.authority, self.tenant);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
            ("scope", "https://vault.azure.net/.default"),
        ];
        let body = crate::google_auth::form_encode(&form);
        let resp = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| SecretError::new("AZURE_AUTHORITY_HOST", transport_error(&e)))?;
        let status = resp.status();
        if refused(status) || status == reqwest::StatusCode::BAD_REQUEST {
            return Err(SecretError::new(
                "AZURE_CLIENT_SECRET",
                format!("Microsoft Entra ID refused the client credentials ({status})"),
            ));
        }
        if !status.is_success() {
            return Err(SecretError::new(
                "AZURE_AUTHORITY_HOST",
                format!("token request answered {status}"),
            ));
        }
        let answer: Value = super::json_of(resp)
            .await
            .map_err(|e| SecretError::new("AZURE_AUTHORITY_HOST", transport_error(&e)))?;
        let token = answer["access_token"]
            .as_str()
            .map(Secret::from)
            .ok_or_else(|| {
                SecretError::new("AZURE_AUTHORITY_HOST", "token answer has no access_token")
            })?;
        let lifetime = answer["expires_in"].as_u64().unwrap_or(3600);
        // Capped at a day: a huge `expires_in` must not overflow the clock.
        let lifetime = lifetime.min(86_400);
        let now = Instant::now();
        let until = now
            .checked_add(Duration::from_secs(
                lifetime.saturating_sub(300).max(lifetime / 2),
            ))
            .unwrap_or(now);
        *self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((token.clone(), until));
        Ok(token)
    }
}

impl SecretSource for AzureSource {
    fn kind(&self) -> &'static str {
        "azure_key_vault"
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), SecretError>> {
        Box::pin(async move { self.token().await.map(drop) })
    }

    fn fetch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Secret>, SecretError>> {
        Box::pin(async move {
            let token = self.token().await?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                // Key Vault names are letters, digits and '-': no such secret.
                return Ok(None);
            }
            let url = format!("{}/secrets/{name}?api-version=7.4", self.vault);
            let resp = self
                .http
                .get(url)
                .bearer_auth(token.expose())
                .send()
                .await
                .map_err(|e| SecretError::new("AZURE_KEY_VAULT_URI", transport_error(&e)))?;
            let status = resp.status();
            if status == reqwest::StatusCode::NOT_FOUND
                || status == reqwest::StatusCode::BAD_REQUEST
            {
                // 400: not a valid secret name (Key Vault allows letters, digits and '-').
                return Ok(None);
            }
            if refused(status) {
                return Err(SecretError::new(
                    "AZURE_CLIENT_ID",
                    format!("Key Vault refused to read secret '{name}' ({status})"),
                ));
            }
            if !status.is_success() {
                return Err(SecretError::new(
                    "AZURE_KEY_VAULT_URI",
                    format!("reading '{name}' answered {status}"),
                ));
            }
            let body: Value = super::json_of(resp)
                .await
                .map_err(|e| SecretError::new("AZURE_KEY_VAULT_URI", transport_error(&e)))?;
            Ok(body["value"].as_str().map(Secret::from))
        })
    }
}
