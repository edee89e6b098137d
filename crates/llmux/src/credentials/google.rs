//! OAuth2 bearer tokens for Vertex AI from Google credentials.
//!
//! Vertex AI takes no API key: every request carries `Authorization: Bearer <token>`,
//! where the token is an OAuth2 access token minted from the deployment's credentials.
//! [`GoogleTokenSource`] is built once per Vertex deployment (in `Deployment::new`), and
//! `Client` asks it for a token before each request.
//!
//! # Where the credentials come from
//!
//! In order, as LiteLLM and google-auth look for them:
//!
//! 1. `vertex_credentials` in `litellm_params`: the credentials JSON as a YAML map, the
//!    JSON as a string, or the path of a JSON file;
//! 2. the `GOOGLE_APPLICATION_CREDENTIALS` environment variable (a path);
//! 3. gcloud's application-default file (`gcloud auth application-default login`):
//!    `$CLOUDSDK_CONFIG/application_default_credentials.json`, else
//!    `$HOME/.config/gcloud/application_default_credentials.json`.
//!
//! Files are read here, once, at start-up. With none of these the source cannot be built
//! and the error (a 400) names the settings.
//!
//! # The token exchange
//!
//! - `service_account` credentials (OAuth2 JWT bearer grant, RFC 7523): an RS256 JWT
//!   signed with the account's `private_key`, header `kid` = `private_key_id`, claims
//!   `iss` = `client_email`, `scope` = [`CLOUD_PLATFORM_SCOPE`], `aud` = the token
//!   endpoint, `iat` = now, `exp` = now + 1 h; POSTed form-encoded as
//!   `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>`.
//! - `authorized_user` credentials (what gcloud writes for a person): the refresh-token
//!   grant, `grant_type=refresh_token&client_id=…&client_secret=…&refresh_token=…`.
//!
//! Either answers `{"access_token", "expires_in", "token_type"}`.
//!
//! The token endpoint is the credentials' own `token_uri` (default
//! [`DEFAULT_TOKEN_URI`]). That is the one setting to change for a private endpoint
//! (Private Service Connect, a corporate proxy, a test double): edit `token_uri` in the
//! JSON. The integration tests point it at an in-process fake.
//!
//! # Caching
//!
//! Tokens live in the [`TokenStore`] every token source shares: reused until less than
//! [`REFRESH_MARGIN`] of their lifetime remains, refreshed single-flight, failures not
//! cached.
//!
//! Token fetches are not upstream calls (no retries, their own timeout), so this source
//! has its own small HTTP client. It is the Vertex AI [`super::Authorize`] (a bearer
//! token), re-exported as `llmux::google_auth`.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use llmux_types::{Error, ErrorKind, JsonMap};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::token_store::TokenStore;
use crate::Secret;

/// Google's OAuth2 token endpoint, used when the credentials name none.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// The OAuth2 scope Vertex AI needs (LiteLLM asks for the same).
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// A cached token is replaced once less than this much of its lifetime is left, so a
/// request never leaves with a token that expires on the way (google-auth refreshes
/// 3m45s ahead; LiteLLM relies on it).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Lifetime asked for in the JWT assertion (Google's maximum) and assumed when an
/// answer has no `expires_in`.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Bound on one token fetch, connection included.
const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The JWT bearer grant type (RFC 7523 §2.1).
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The provider id errors carry.
const PROVIDER: &str = "vertex_ai";

/// Mints and caches OAuth2 access tokens for one set of Google credentials.
///
/// Built from a deployment's `litellm_params`; without credentials it cannot be built:
///
/// ```
/// use llmux::google_auth::GoogleTokenSource;
///
/// let no_params = serde_json::Map::new();
/// let err = GoogleTokenSource::from_params(&no_params, &|_| None).unwrap_err();
/// assert_eq!(err.status.as_u16(), 400);
/// assert!(err.message.contains("GOOGLE_APPLICATION_CREDENTIALS"));
/// ```
///
/// With credentials, `source.token().await?` is the bearer token for the next request.
pub struct GoogleTokenSource {
    grant: Grant,
    token_uri: String,
    project_id: Option<String>,
    http: reqwest::Client,
    /// The shared cached, single-flight store (see [`super::token_store`]).
    store: TokenStore<Secret>,
}

/// How tokens are obtained.
enum Grant {
    ServiceAccount {
        client_email: String,
        key_id: Option<String>,
        key: EncodingKey,
    },
    AuthorizedUser {
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
    },
}

/// The fields of a credentials JSON this module reads.
#[derive(Deserialize)]
struct CredentialsFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    private_key: Option<Secret>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
    project_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<Secret>,
    refresh_token: Option<Secret>,
    quota_project_id: Option<String>,
}

#[derive(Serialize)]
struct JwtClaims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Secret,
    expires_in: Option<u64>,
}

impl std::fmt::Debug for GoogleTokenSource {
    // By hand: the key and secrets stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("GoogleTokenSource");
        match &self.grant {
            Grant::ServiceAccount { client_email, .. } => {
                d.field("type", &"service_account")
                    .field("client_email", client_email);
            }
            Grant::AuthorizedUser { client_id, .. } => {
                d.field("type", &"authorized_user")
                    .field("client_id", client_id);
            }
        }
        d.field("token_uri", &self.token_uri)
            .field("project_id", &self.project_id)
            .field("refresh_margin", &self.store.refresh_margin())
            .finish_non_exhaustive()
    }
}

impl GoogleTokenSource {
    /// From `vertex_credentials` in `params` (a map, a JSON string or a file path), else
    /// the file `GOOGLE_APPLICATION_CREDENTIALS` names, else gcloud's application-default
    /// file; `env` reads environment variables. Missing or unusable credentials are a
    /// [`ErrorKind::BadRequest`] that says which setting to fix.
    pub fn from_params(
        params: &JsonMap,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        match params.get("vertex_credentials") {
            Some(map @ Value::Object(_)) => {
                Self::from_json_value(map).map_err(|e| in_setting(e, "vertex_credentials"))
            }
            Some(Value::String(text)) if text.trim_start().starts_with('{') => {
                Self::from_json_str(text).map_err(|e| in_setting(e, "vertex_credentials"))
            }
            Some(Value::String(path)) if !path.trim().is_empty() => {
                Self::from_file(Path::new(path.trim()))
                    .map_err(|e| in_setting(e, "vertex_credentials"))
            }
            Some(Value::Null) | None => Self::from_environment(env),
            Some(Value::String(_)) => Err(config_error(
                "vertex_credentials is empty: give the service-account JSON or its path",
            )),
            Some(other) => Err(config_error(format!(
                "vertex_credentials must be the credentials JSON or a file path, not {other}"
            ))),
        }
    }

    /// `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's application-default file.
    fn from_environment(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, Error> {
        if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS").filter(|p| !p.trim().is_empty()) {
            return Self::from_file(Path::new(path.trim()))
                .map_err(|e| in_setting(e, "GOOGLE_APPLICATION_CREDENTIALS"));
        }
        let gcloud_dir = env("CLOUDSDK_CONFIG")
            .map(std::path::PathBuf::from)
            .or_else(|| env("HOME").map(|home| Path::new(&home).join(".config").join("gcloud")));
        if let Some(dir) = gcloud_dir {
            let adc = dir.join("application_default_credentials.json");
            if adc.is_file() {
                return Self::from_file(&adc)
                    .map_err(|e| in_setting(e, "gcloud application-default credentials"));
            }
        }
        Err(config_error(
            "Vertex AI needs Google credentials: set `vertex_credentials` in litellm_params \
             (a service-account JSON or its path) or the GOOGLE_APPLICATION_CREDENTIALS \
             environment variable (a path)",
        ))
    }

    /// From a credentials file (`service_account` or `authorized_user` JSON).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            config_error(format!(
                "cannot read credentials file {}: {e}",
                path.display()
            ))
        })?;
        Self::from_json_str(&text).map_err(|e| {
            let message = format!("{} ({})", e.message, path.display());
            Error { message, ..e }
        })
    }

    /// From the credentials JSON text.
    pub fn from_json_str(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| config_error(format!("credentials are not valid JSON: {e}")))?;
        Self::from_json_value(&value)
    }

    /// From the parsed credentials JSON.
    pub fn from_json_value(value: &Value) -> Result<Self, Error> {
        let file = CredentialsFile::deserialize(value)
            .map_err(|e| config_error(format!("credentials JSON: {e}")))?;
        let token_uri = file
            .token_uri
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        if reqwest::Url::parse(&token_uri).is_err() {
            return Err(config_error(format!(
                "credentials token_uri is not a URL: {token_uri}"
            )));
        }
        // google-auth requires `type`; an unlabelled file with a private key is still
        // unmistakably a service account.
        let kind = file
            .kind
            .as_deref()
            .unwrap_or(if file.private_key.is_some() {
                "service_account"
            } else {
                ""
            });
        let grant = match kind {
            "service_account" => {
                let client_email = required(file.client_email, "client_email")?;
                let pem = required_secret(file.private_key, "private_key")?;
                let key = EncodingKey::from_rsa_pem(pem.expose().as_bytes()).map_err(|e| {
                    config_error(format!(
                        "credentials private_key is not an RSA private key in PEM: {e}"
                    ))
                })?;
                Grant::ServiceAccount {
                    client_email,
                    key_id: file.private_key_id.filter(|k| !k.is_empty()),
                    key,
                }
            }
            "authorized_user" => Grant::AuthorizedUser {
                client_id: required(file.client_id, "client_id")?,
                client_secret: required_secret(file.client_secret, "client_secret")?,
                refresh_token: required_secret(file.refresh_token, "refresh_token")?,
            },
            "" => {
                return Err(config_error(
                    "credentials JSON has no `type` (expected service_account or authorized_user)",
                ));
            }
            other => {
                return Err(config_error(format!(
                    "llmux does not support Google credentials of type {other:?} yet \
                     (service_account and authorized_user are supported)"
                )));
            }
        };
        let http = reqwest::Client::builder()
            .timeout(TOKEN_REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::InternalServer,
                    format!("cannot build the HTTP client for Google tokens: {e}"),
                )
            })?;
        Ok(Self {
            grant,
            token_uri,
            project_id: file.project_id.or(file.quota_project_id),
            http,
            store: TokenStore::new().with_refresh_margin(REFRESH_MARGIN),
        })
    }

    /// Replaces [`REFRESH_MARGIN`]: how much lifetime a cached token must have left to be
    /// reused.
    #[must_use]
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.store = self.store.with_refresh_margin(margin);
        self
    }

    /// Replaces the clock the cache measures expiry with (tests move time forward).
    /// JWT `iat`/`exp` still use the system clock: the endpoint checks those.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        self.store = self.store.with_clock(clock);
        self
    }

    /// The token endpoint this source POSTs to (the credentials' `token_uri`).
    pub fn token_uri(&self) -> &str {
        &self.token_uri
    }

    /// The credentials' `project_id` (or `quota_project_id`), LiteLLM's fallback when a
    /// deployment sets no `vertex_project`.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    /// A valid access token: the cached one while more than the refresh margin of its
    /// lifetime is left, else a new one from the token endpoint (one fetch however many
    /// callers are waiting).
    pub async fn token(&self) -> Result<Secret, Error> {
        self.store
            .get(|| async {
                let answer = self.fetch().await?;
                let lifetime = answer
                    .expires_in
                    .map_or(TOKEN_LIFETIME, Duration::from_secs);
                Ok((answer.access_token, lifetime))
            })
            .await
    }

    /// One exchange with the token endpoint.
    async fn fetch(&self) -> Result<TokenAnswer, Error> {
        let body = match &self.grant {
            Grant::ServiceAccount {
                client_email,
                key_id,
                key,
            } => {
                let assertion = self.assertion(client_email, key_id.as_deref(), key)?;
                form_encode(&[("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)])
            }
            Grant::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
            } => form_encode(&[
                ("grant_type", "refresh_token"),
                ("client_id", client_id),
                ("client_secret", client_secret.expose()),
                ("refresh_token", refresh_token.expose()),
            ]),
        };
        let response = self
            .http
            .post(&self.token_uri)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.connection_error(&e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.connection_error(&e))?;
        if !status.is_success() {
            return Err(self.endpoint_error(status, &bytes));
        }
        serde_json::from_slice::<TokenAnswer>(&bytes).map_err(|e| {
            auth_error(format!(
                "the Google token endpoint {} answered without an access token ({e}): {}",
                self.token_uri,
                String::from_utf8_lossy(&bytes)
            ))
        })
    }

    /// The signed RS256 JWT of the service-account grant.
    fn assertion(
        &self,
        client_email: &str,
        key_id: Option<&str>,
        key: &EncodingKey,
    ) -> Result<String, Error> {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = JwtClaims {
            iss: client_email,
            scope: CLOUD_PLATFORM_SCOPE,
            aud: &self.token_uri,
            iat,
            exp: iat + TOKEN_LIFETIME.as_secs(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = key_id.map(str::to_owned);
        jsonwebtoken::encode(&header, &claims, key).map_err(|e| {
            auth_error(format!(
                "cannot sign the service-account assertion for {client_email}: {e}"
            ))
        })
    }

    fn connection_error(&self, e: &reqwest::Error) -> Error {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::ApiConnection
        };
        // reqwest's Display hides the cause ("error sending request"); walk the chain.
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        Error::new(
            kind,
            format!(
                "VertexAIException - cannot reach the Google token endpoint {}: {detail}",
                self.token_uri
            ),
        )
        .with_provider(PROVIDER)
    }

    /// A refusal is an authentication error (bad key, revoked account, wrong audience);
    /// throttling and outages keep their status so callers may retry them.
    fn endpoint_error(&self, status: http::StatusCode, body: &[u8]) -> Error {
        let detail = oauth_error_text(body);
        let message = format!(
            "VertexAIException - the Google token endpoint {} refused the credentials ({}): {detail}",
            self.token_uri,
            status.as_u16()
        );
        let code = status.as_u16();
        if code == 429 || code >= 500 {
            Error::new(ErrorKind::from_status(status), message)
                .with_status(status)
                .with_provider(PROVIDER)
        } else {
            auth_error(message)
        }
    }
}

/// `error: error_description` of an OAuth2 error answer, else the body as text.
fn oauth_error_text(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    match parsed {
        Some(v) => match (field(&v, "error"), field(&v, "error_description")) {
            (Some(code), Some(text)) => format!("{code}: {text}"),
            (Some(code), None) => code,
            // Some endpoints nest a Google API error: {"error": {"message": …}}.
            _ => v
                .pointer("/error/message")
                .and_then(Value::as_str)
                .map_or_else(|| v.to_string(), str::to_owned),
        },
        None => String::from_utf8_lossy(body).into_owned(),
    }
}

/// `application/x-www-form-urlencoded` (WHATWG URL, "urlencoded serializer").
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    fn push_encoded(out: &mut String, s: &str) {
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    out.push(char::from(b));
                }
                b' ' => out.push('+'),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    out.push('%');
                    out.push(char::from(HEX[usize::from(b >> 4)]));
                    out.push(char::from(HEX[usize::from(b & 0xF)]));
                }
            }
        }
    }
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

fn required(field: Option<String>, name: &str) -> Result<String, Error> {
    field
        .filter(|v| !v.is_empty())
        .ok_or_else(|| config_error(format!("credentials JSON has no `{name}`")))
}

fn required_secret(field: Option<Secret>, name: &str) -> Result<Secret, Error> {
    field
        .and_then(Secret::non_empty)
        .ok_or_else(|| config_error(format!("credentials JSON has no `{name}`")))
}

/// A start-up problem with the credentials: the model is unavailable until fixed.
fn config_error(message: impl Into<String>) -> Error {
    Error::bad_request(message).with_provider(PROVIDER)
}

fn in_setting(e: Error, setting: &str) -> Error {
    let message = format!("{setting}: {}", e.message);
    Error { message, ..e }
}

fn auth_error(message: String) -> Error {
    Error::new(ErrorKind::Authentication, message).with_provider(PROVIDER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_reserved_bytes() {
        assert_eq!(
            form_encode(&[("grant_type", JWT_BEARER_GRANT), ("a", "x y+z/é")]),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&a=x+y%2Bz%2F%C3%A9"
        );
    }

    #[test]
    fn oauth_errors_read_code_and_description() {
        assert_eq!(
            oauth_error_text(
                br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#
            ),
            "invalid_grant: Invalid JWT Signature."
        );
        assert_eq!(
            oauth_error_text(br#"{"error":{"code":403,"message":"denied"}}"#),
            "denied"
        );
        assert_eq!(oauth_error_text(b"not json"), "not json");
    }

    #[test]
    fn unsupported_credential_types_are_named() {
        let err =
            GoogleTokenSource::from_json_value(&serde_json::json!({"type": "external_account"}))
                .unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert!(err.message.contains("external_account"), "{}", err.message);
    }
}
