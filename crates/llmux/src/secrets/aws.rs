//! AWS Secrets Manager: `GetSecretValue` (`POST /`, `X-Amz-Target:
//! secretsmanager.GetSecretValue`, `{"SecretId": name}`), signed with SigV4 by the
//! `aws-sigv4` crate; the value is `SecretString`. The endpoint is the regional one, or
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL` (a VPC endpoint), as the AWS
//! SDKs read them.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::Secret;

use super::{Env, SecretError, SecretSource, http_client, setting, transport_error};

pub(super) struct AwsSource {
    endpoint: String,
    region: String,
    credentials: Credentials,
    http: reqwest::Client,
}

impl std::fmt::Debug for AwsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSource")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// AWS's errors that mean the credentials are wrong.
const CREDENTIAL_ERRORS: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "ExpiredTokenException",
    "AccessDeniedException",
    "InvalidClientTokenId",
];

impl AwsSource {
    pub(super) fn new(env: &Env) -> Result<Self, SecretError> {
        let region = setting(env, "AWS_REGION_NAME")
            .or_else(|| setting(env, "AWS_REGION"))
            .or_else(|| setting(env, "AWS_DEFAULT_REGION"))
            .ok_or_else(|| {
                SecretError::new(
                    "AWS_REGION_NAME",
                    "aws_secret_manager needs AWS_REGION_NAME (or AWS_REGION)",
                )
            })?;
        let key_id = setting(env, "AWS_ACCESS_KEY_ID").ok_or_else(|| {
            SecretError::new(
                "AWS_ACCESS_KEY_ID",
                "aws_secret_manager needs AWS_ACCESS_KEY_ID",
            )
        })?;
        let secret = setting(env, "AWS_SECRET_ACCESS_KEY").ok_or_else(|| {
            SecretError::new(
                "AWS_SECRET_ACCESS_KEY",
                "aws_secret_manager needs AWS_SECRET_ACCESS_KEY",
            )
        })?;
        let endpoint = setting(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER")
            .or_else(|| setting(env, "AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com"));
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region,
            credentials: Credentials::new(
                key_id,
                secret,
                setting(env, "AWS_SESSION_TOKEN"),
                None,
                "llmux",
            ),
            http: http_client()?,
        })
    }

    /// One signed `GetSecretValue`: the answer's status and JSON.
    async fn get_secret_value(
        &self,
        name: &str,
    ) -> Result<(reqwest::StatusCode, Value), SecretError> {
        let url = format!("{}/", self.endpoint);
        let body = json!({"SecretId": name}).to_string();
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
        ];
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("secretsmanager")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| SecretError::new("AWS_REGION_NAME", format!("cannot sign: {e}")))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &url,
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| SecretError::new("AWS_ENDPOINT_URL", format!("cannot sign: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| SecretError::new("AWS_SECRET_ACCESS_KEY", format!("cannot sign: {e}")))?
            .into_parts();
        let mut req = http::Request::builder().method("POST").uri(&url);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let mut req = req
            .body(body)
            .map_err(|e| SecretError::new("AWS_ENDPOINT_URL", format!("bad request: {e}")))?;
        instructions.apply_to_request_http1x(&mut req);
        let req = reqwest::Request::try_from(req).map_err(|e| {
            SecretError::new(
                "AWS_ENDPOINT_URL",
                format!("bad request: {}", transport_error(&e)),
            )
        })?;
        let resp = self
            .http
            .execute(req)
            .await
            .map_err(|e| SecretError::new("AWS_ENDPOINT_URL", transport_error(&e)))?;
        let status = resp.status();
        let json: Value = super::json_of(resp).await.unwrap_or(Value::Null);
        Ok((status, json))
    }
}

fn error_type(body: &Value) -> &str {
    let t = body
        .get("__type")
        .or_else(|| body.get("code"))
        .and_then(Value::as_str)
        .unwrap_or("");
    // `com.amazonaws…#ResourceNotFoundException` → `ResourceNotFoundException`.
    t.rsplit('#').next().unwrap_or(t)
}

impl SecretSource for AwsSource {
    fn kind(&self) -> &'static str {
        "aws_secret_manager"
    }

    fn fetch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Secret>, SecretError>> {
        Box::pin(async move {
            let (status, body) = self.get_secret_value(name).await?;
            if status.is_success() {
                return Ok(body["SecretString"].as_str().map(Secret::from));
            }
            let kind = error_type(&body);
            if kind == "ResourceNotFoundException" {
                return Ok(None);
            }
            let setting = if CREDENTIAL_ERRORS.contains(&kind) || super::refused(status) {
                "AWS_SECRET_ACCESS_KEY"
            } else {
                "AWS_ENDPOINT_URL"
            };
            Err(SecretError::new(
                setting,
                format!("Secrets Manager refused GetSecretValue for '{name}': {status} {kind}"),
            ))
        })
    }

    /// AWS has no "who am I" in Secrets Manager: a `GetSecretValue` of a name nobody
    /// holds tells a refused credential (an auth error) from a good one (not found).
    fn authenticate(&self) -> BoxFuture<'_, Result<(), SecretError>> {
        Box::pin(async move { self.fetch("llmux-credential-check").await.map(drop) })
    }
}
