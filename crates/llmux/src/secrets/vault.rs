//! HashiCorp Vault, KV version 2: `GET {HCP_VAULT_ADDR}/v1/[{namespace}/]{mount}/data/
//! [{prefix}/]{name}`, the value under `data.data.key` (LiteLLM's layout), with a token
//! (`HCP_VAULT_TOKEN`) or one from an AppRole login
//! (`POST /v1/auth/{mount}/login {role_id, secret_id}`), renewed before its lease ends.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::Secret;

use super::{Env, SecretError, SecretSource, http_client, refused, setting, transport_error};

enum Auth {
    Token,
    AppRole {
        role_id: String,
        secret_id: Secret,
        mount: String,
    },
}

pub(super) struct VaultSource {
    addr: String,
    namespace: Option<String>,
    mount: String,
    prefix: Option<String>,
    auth: Auth,
    http: reqwest::Client,
    /// The token, and until when it may be used.
    token: Mutex<Option<(Secret, Option<Instant>)>>,
}

impl std::fmt::Debug for VaultSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSource")
            .field("addr", &self.addr)
            .field("mount", &self.mount)
            .finish_non_exhaustive()
    }
}

impl VaultSource {
    pub(super) fn new(env: &Env) -> Result<Self, SecretError> {
        let addr = setting(env, "HCP_VAULT_ADDR").unwrap_or_else(|| "http://127.0.0.1:8200".into());
        let addr = addr.trim_end_matches('/').to_owned();
        let (auth, token) = match (
            setting(env, "HCP_VAULT_TOKEN"),
            setting(env, "HCP_VAULT_APPROLE_ROLE_ID"),
            setting(env, "HCP_VAULT_APPROLE_SECRET_ID"),
        ) {
            (_, Some(role_id), Some(secret_id)) => (
                Auth::AppRole {
                    role_id,
                    secret_id: secret_id.into(),
                    mount: setting(env, "HCP_VAULT_APPROLE_MOUNT_PATH")
                        .unwrap_or_else(|| "approle".into()),
                },
                None,
            ),
            (Some(token), _, _) => (Auth::Token, Some((Secret::from(token), None))),
            _ => {
                return Err(SecretError::new(
                    "HCP_VAULT_TOKEN",
                    "hashicorp_vault needs HCP_VAULT_TOKEN, or HCP_VAULT_APPROLE_ROLE_ID and HCP_VAULT_APPROLE_SECRET_ID",
                ));
            }
        };
        Ok(Self {
            addr,
            namespace: setting(env, "HCP_VAULT_NAMESPACE"),
            mount: setting(env, "HCP_VAULT_MOUNT_NAME").unwrap_or_else(|| "secret".into()),
            prefix: setting(env, "HCP_VAULT_PATH_PREFIX"),
            auth,
            http: http_client()?,
            token: Mutex::new(token),
        })
    }

    /// The setting whose value the store refused.
    fn credential_setting(&self) -> &'static str {
        match self.auth {
            Auth::Token => "HCP_VAULT_TOKEN",
            Auth::AppRole { .. } => "HCP_VAULT_APPROLE_SECRET_ID",
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        url: String,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, url);
        if let Some(ns) = &self.namespace {
            req = req.header("X-Vault-Namespace", ns);
        }
        if let Some(t) = token {
            req = req.header("X-Vault-Token", t);
        }
        req
    }

    fn cached_token(&self) -> Option<Secret> {
        let guard = self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|(_, until)| until.is_none_or(|u| Instant::now() < u))
            .map(|(t, _)| t.clone())
    }

    async fn token(&self) -> Result<Secret, SecretError> {
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        let Auth::AppRole {
            role_id,
            secret_id,
            mount,
        } = &self.auth
        else {
            return Err(SecretError::new("HCP_VAULT_TOKEN", "no token"));
        };
        let url = format!("{}/v1/auth/{mount}/login", self.addr);
        let resp = self
            .request(reqwest::Method::POST, url, None)
            .header("content-type", "application/json")
            .body(json!({"role_id": role_id, "secret_id": secret_id.expose()}).to_string())
            .send()
            .await
            .map_err(|e| {
                SecretError::new(
                    "HCP_VAULT_ADDR",
                    format!("AppRole login: {}", transport_error(&e)),
                )
            })?;
        let status = resp.status();
        if refused(status) || status == reqwest::StatusCode::BAD_REQUEST {
            return Err(SecretError::new(
                "HCP_VAULT_APPROLE_SECRET_ID",
                format!("Vault refused the AppRole login ({status})"),
            ));
        }
        if !status.is_success() {
            return Err(SecretError::new(
                "HCP_VAULT_ADDR",
                format!("AppRole login answered {status}"),
            ));
        }
        let body: Value = super::json_of(resp).await.map_err(|e| {
            SecretError::new(
                "HCP_VAULT_ADDR",
                format!("AppRole login: {}", transport_error(&e)),
            )
        })?;
        let token = body["auth"]["client_token"]
            .as_str()
            .map(Secret::from)
            .ok_or_else(|| {
                SecretError::new(
                    "HCP_VAULT_ADDR",
                    "AppRole login answer has no auth.client_token",
                )
            })?;
        // Renewed a minute before the lease ends (or at half of a short lease).
        let lease = body["auth"]["lease_duration"].as_u64().unwrap_or(0);
        // A lease too long for the clock is renewed a day on, not overflowed.
        let until = (lease > 0).then(|| {
            let secs = if lease > 120 { lease - 60 } else { lease / 2 };
            let now = Instant::now();
            now.checked_add(Duration::from_secs(secs.min(86_400)))
                .unwrap_or(now)
        });
        *self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((token.clone(), until));
        Ok(token)
    }

    fn secret_url(&self, name: &str) -> String {
        let mut url = format!("{}/v1/", self.addr);
        url.push_str(&self.mount);
        url.push_str("/data/");
        if let Some(p) = &self.prefix {
            url.push_str(p.trim_matches('/'));
            url.push('/');
        }
        url.push_str(name);
        url
    }
}

impl SecretSource for VaultSource {
    fn kind(&self) -> &'static str {
        "hashicorp_vault"
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), SecretError>> {
        Box::pin(async move {
            let token = self.token().await?;
            let url = format!("{}/v1/auth/token/lookup-self", self.addr);
            let resp = self
                .request(reqwest::Method::GET, url, Some(token.expose()))
                .send()
                .await
                .map_err(|e| SecretError::new("HCP_VAULT_ADDR", transport_error(&e)))?;
            let status = resp.status();
            if refused(status) {
                return Err(SecretError::new(
                    self.credential_setting(),
                    format!("Vault refused the token ({status})"),
                ));
            }
            if !status.is_success() {
                return Err(SecretError::new(
                    "HCP_VAULT_ADDR",
                    format!("token lookup answered {status}"),
                ));
            }
            Ok(())
        })
    }

    fn fetch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Secret>, SecretError>> {
        Box::pin(async move {
            let token = self.token().await?;
            let resp = self
                .request(
                    reqwest::Method::GET,
                    self.secret_url(name),
                    Some(token.expose()),
                )
                .send()
                .await
                .map_err(|e| SecretError::new("HCP_VAULT_ADDR", transport_error(&e)))?;
            let status = resp.status();
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if refused(status) {
                return Err(SecretError::new(
                    self.credential_setting(),
                    format!("Vault refused to read secret '{name}' ({status})"),
                ));
            }
            if !status.is_success() {
                return Err(SecretError::new(
                    "HCP_VAULT_ADDR",
                    format!("reading '{name}' answered {status}"),
                ));
            }
            let body: Value = super::json_of(resp)
                .await
                .map_err(|e| SecretError::new("HCP_VAULT_ADDR", transport_error(&e)))?;
            Ok(body["data"]["data"]["key"].as_str().map(Secret::from))
        })
    }
}
