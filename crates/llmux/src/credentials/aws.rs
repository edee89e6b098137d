//! AWS SigV4 signing for Bedrock, with the credentials found the way LiteLLM (boto3)
//! finds them, and STS assume-role.
//!
//! # Where the keys come from
//!
//! Once, when the deployment is built, in order:
//!
//! 1. `aws_access_key_id`, `aws_secret_access_key` (and `aws_session_token`) in
//!    `litellm_params`;
//! 2. `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
//! 3. the profile (`aws_profile_name`, else `AWS_PROFILE`, else `default`) in the shared
//!    credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), then in
//!    the config file (`AWS_CONFIG_FILE`, else `~/.aws/config`, section `[profile name]`).
//!
//! With none of these the deployment still builds, and each call fails with a 401 that
//! names the settings (instance roles and SSO are not implemented).
//!
//! # Assume-role
//!
//! With `aws_role_name` the keys above only sign an STS `AssumeRole` call
//! (`aws_session_name`, default `llmux-session`); its temporary credentials sign the
//! Bedrock calls and are cached in the shared [`TokenStore`] until shortly before they
//! expire. The STS endpoint is `aws_sts_endpoint`, else
//! `https://sts.{region}.amazonaws.com`: point it anywhere (a VPC endpoint, a test fake).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use futures::future::BoxFuture;
use llmux_types::{Error, ErrorKind, JsonMap};

use super::Authorize;
use super::token_store::TokenStore;
use crate::Secret;

/// Lifetime asked of STS (its default).
const ASSUME_ROLE_SECONDS: u64 = 3600;
/// Bound on one STS call.
const STS_TIMEOUT: Duration = Duration::from_secs(30);

/// A set of AWS keys.
/// `Debug` shows the key id only: the rest are [`Secret`]s.
#[derive(Clone, Debug)]
pub struct AwsKeys {
    /// Not a secret (AWS shows it in every signature), so logs may name it.
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// Signs requests with SigV4 for one region and service.
pub struct SigV4Signer {
    region: String,
    service: String,
    source: Source,
    /// Wall-clock time for `x-amz-date`; tests pin it.
    now: Arc<dyn Fn() -> SystemTime + Send + Sync>,
}

enum Source {
    Keys(AwsKeys),
    AssumeRole(Box<AssumeRole>),
    /// No credentials were found: every call says which settings to set.
    Missing,
}

struct AssumeRole {
    base: AwsKeys,
    role_arn: String,
    session_name: String,
    sts_url: String,
    http: reqwest::Client,
    store: TokenStore<AwsKeys>,
}

impl std::fmt::Debug for SigV4Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Keys(k) => format!("keys {}", k.access_key_id),
            Source::AssumeRole(a) => format!("assume-role {} via {}", a.role_arn, a.sts_url),
            Source::Missing => "missing".to_owned(),
        };
        f.debug_struct("SigV4Signer")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("source", &source)
            .finish_non_exhaustive()
    }
}

impl SigV4Signer {
    /// With fixed keys.
    pub fn with_keys(keys: AwsKeys, region: &str, service: &str) -> Self {
        Self {
            region: region.to_owned(),
            service: service.to_owned(),
            source: Source::Keys(keys),
            now: Arc::new(SystemTime::now),
        }
    }

    /// From a deployment's `litellm_params` and the environment (see the module docs).
    pub fn from_params(
        params: &JsonMap,
        env: &dyn Fn(&str) -> Option<String>,
        region: &str,
        service: &str,
    ) -> Result<Self, Error> {
        let param = |k: &str| {
            params
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let env_var = |k: &str| env(k).filter(|s| !s.is_empty());
        let keys = match (param("aws_access_key_id"), param("aws_secret_access_key")) {
            (Some(id), Some(secret)) => Some(AwsKeys {
                access_key_id: id,
                secret_access_key: secret.into(),
                session_token: param("aws_session_token").map(Secret::from),
            }),
            _ => match (
                env_var("AWS_ACCESS_KEY_ID"),
                env_var("AWS_SECRET_ACCESS_KEY"),
            ) {
                (Some(id), Some(secret)) => Some(AwsKeys {
                    access_key_id: id,
                    secret_access_key: secret.into(),
                    session_token: env_var("AWS_SESSION_TOKEN").map(Secret::from),
                }),
                _ => {
                    let profile = param("aws_profile_name")
                        .or_else(|| env_var("AWS_PROFILE"))
                        .unwrap_or_else(|| "default".to_owned());
                    profile_keys(&profile, env)
                }
            },
        };
        let source = match (keys, param("aws_role_name")) {
            (None, _) => Source::Missing,
            (Some(keys), None) => Source::Keys(keys),
            (Some(base), Some(role_arn)) => {
                let sts_url = param("aws_sts_endpoint")
                    .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"));
                let http = reqwest::Client::builder()
                    .timeout(STS_TIMEOUT)
                    .connect_timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::InternalServer,
                            format!("cannot build the HTTP client for STS: {e}"),
                        )
                    })?;
                Source::AssumeRole(Box::new(AssumeRole {
                    base,
                    role_arn,
                    session_name: param("aws_session_name")
                        .unwrap_or_else(|| "llmux-session".to_owned()),
                    sts_url,
                    http,
                    store: TokenStore::new(),
                }))
            }
        };
        Ok(Self {
            region: region.to_owned(),
            service: service.to_owned(),
            source,
            now: Arc::new(SystemTime::now),
        })
    }

    /// Use `now` for `x-amz-date` (tests).
    pub fn with_time(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// The keys the next request is signed with (fetched from STS when due).
    async fn keys(&self) -> Result<AwsKeys, Error> {
        match &self.source {
            Source::Keys(k) => Ok(k.clone()),
            Source::AssumeRole(a) => {
                a.store
                    .get(|| assume_role(a, &self.region, (self.now)()))
                    .await
            }
            Source::Missing => Err(Error::new(
                ErrorKind::Authentication,
                "BedrockException - no AWS credentials: set aws_access_key_id and \
                 aws_secret_access_key (litellm_params or AWS_* environment), a profile in \
                 ~/.aws/credentials, or api_key / AWS_BEARER_TOKEN_BEDROCK",
            )
            .with_provider("bedrock")),
        }
    }
}

impl Authorize for SigV4Signer {
    fn sign<'a>(&'a self, req: &'a mut http::Request<Bytes>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let keys = self.keys().await?;
            sign_request(&keys, &self.region, &self.service, (self.now)(), req)
        })
    }
}

/// Adds `x-amz-date`, `x-amz-security-token` (with a session token) and the SigV4
/// `authorization` header to `req`, signed at `time`.
pub fn sign_request(
    keys: &AwsKeys,
    region: &str,
    service: &str,
    time: SystemTime,
    req: &mut http::Request<Bytes>,
) -> Result<(), Error> {
    // aws-credential-types keeps its own copy (redacted in its Debug, too) for the
    // length of this signature.
    let identity: Identity = Credentials::new(
        &keys.access_key_id,
        keys.secret_access_key.expose(),
        keys.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "llmux",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| signing_error(&e.to_string()))?
        .into();
    let uri = req.uri().to_string();
    let instructions = {
        let headers = req
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
        let signable = SignableRequest::new(
            req.method().as_str(),
            uri,
            headers,
            SignableBody::Bytes(req.body()),
        )
        .map_err(|e| signing_error(&e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| signing_error(&e.to_string()))?
            .into_parts();
        instructions
    };
    instructions.apply_to_request_http1x(req);
    Ok(())
}

fn signing_error(detail: &str) -> Error {
    Error::new(
        ErrorKind::InternalServer,
        format!("BedrockException - cannot sign the request with SigV4: {detail}"),
    )
    .with_provider("bedrock")
}

/// One STS `AssumeRole` call, signed with the base keys.
async fn assume_role(
    a: &AssumeRole,
    region: &str,
    now: SystemTime,
) -> Result<(AwsKeys, Duration), Error> {
    let body = form_encode(&[
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", &a.role_arn),
        ("RoleSessionName", &a.session_name),
        ("DurationSeconds", &ASSUME_ROLE_SECONDS.to_string()),
    ]);
    let url = format!("{}/", a.sts_url.trim_end_matches('/'));
    let mut req = http::Request::post(&url)
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(Bytes::from(body))
        .map_err(|e| sts_error(&a.sts_url, &format!("bad STS endpoint: {e}")))?;
    sign_request(&a.base, region, "sts", now, &mut req)?;
    let response = a
        .http
        .post(&url)
        .headers(req.headers().clone())
        .body(req.body().clone())
        .send()
        .await
        .map_err(|e| sts_error(&a.sts_url, &e.to_string()))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| sts_error(&a.sts_url, &e.to_string()))?;
    if !status.is_success() {
        let kind = if status.as_u16() == 429 || status.is_server_error() {
            ErrorKind::from_status(status)
        } else {
            ErrorKind::Authentication
        };
        return Err(Error::new(
            kind,
            format!(
                "BedrockException - STS AssumeRole at {} refused ({}): {}",
                a.sts_url,
                status.as_u16(),
                xml_tag(&text, "Message").unwrap_or(text.trim())
            ),
        )
        .with_provider("bedrock"));
    }
    let field = |tag: &str| {
        xml_tag(&text, tag)
            .map(str::to_owned)
            .ok_or_else(|| sts_error(&a.sts_url, &format!("the answer has no {tag}")))
    };
    let keys = AwsKeys {
        access_key_id: field("AccessKeyId")?,
        secret_access_key: field("SecretAccessKey")?.into(),
        session_token: Some(field("SessionToken")?.into()),
    };
    let lifetime = xml_tag(&text, "Expiration")
        .and_then(|e| {
            aws_smithy_types::DateTime::from_str(e, aws_smithy_types::date_time::Format::DateTime)
                .ok()
        })
        .and_then(|expires| SystemTime::try_from(expires).ok())
        .and_then(|expires| expires.duration_since(now).ok())
        .unwrap_or(Duration::from_secs(ASSUME_ROLE_SECONDS));
    Ok((keys, lifetime))
}

fn sts_error(url: &str, detail: &str) -> Error {
    Error::new(
        ErrorKind::ApiConnection,
        format!("BedrockException - STS AssumeRole at {url} failed: {detail}"),
    )
    .with_provider("bedrock")
}

/// The text of the first `<tag>…</tag>` (STS answers in XML).
fn xml_tag<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)?.checked_add(open.len())?;
    let len = xml.get(start..)?.find(&close)?;
    xml.get(start..start.checked_add(len)?).map(str::trim)
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, part) in [k, v].iter().enumerate() {
            if j == 1 {
                out.push('=');
            }
            for b in part.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// Keys of `profile` in the shared credentials file, then the config file.
fn profile_keys(profile: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<AwsKeys> {
    let home = env("HOME").map(PathBuf::from);
    let credentials = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws").join("credentials")));
    let config = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws").join("config")));
    let from = |path: Option<PathBuf>, section: String| {
        let text = std::fs::read_to_string(path?).ok()?;
        let keys = ini_section(&text, &section);
        let get = |k: &str| {
            keys.iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        Some(AwsKeys {
            access_key_id: get("aws_access_key_id")?,
            secret_access_key: get("aws_secret_access_key")?.into(),
            session_token: get("aws_session_token").map(Secret::from),
        })
    };
    let config_section = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    from(credentials, profile.to_owned()).or_else(|| from(config, config_section))
}

/// `key = value` pairs of `[section]` in an INI text.
fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            continue;
        }
        if inside && let Some((k, v)) = line.split_once('=') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's SigV4 test suite (`aws-sig-v4-test-suite`, as shipped in `aws-sigv4`).
    fn vector_keys(token: Option<&str>) -> AwsKeys {
        AwsKeys {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: token.map(Secret::from),
        }
    }

    fn vector_time() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160) // 2015-08-30T12:36:00Z
    }

    fn signed(method: &str, token: Option<&str>) -> http::Request<Bytes> {
        let mut req = http::Request::builder()
            .method(method)
            .uri("https://example.amazonaws.com/")
            .header("host", "example.amazonaws.com")
            .body(Bytes::new())
            .unwrap();
        sign_request(
            &vector_keys(token),
            "us-east-1",
            "service",
            vector_time(),
            &mut req,
        )
        .unwrap();
        req
    }

    #[test]
    fn post_vanilla_matches_the_published_signature() {
        let req = signed("POST", None);
        assert_eq!(
            req.headers()["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
        assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
        assert!(req.headers().get("x-amz-security-token").is_none());
        assert!(req.headers().get("x-amz-content-sha256").is_none());
    }

    #[test]
    fn get_vanilla_with_session_token_matches_the_published_signature() {
        let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
        let req = signed("GET", Some(token));
        assert_eq!(
            req.headers()["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date;x-amz-security-token, \
             Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        );
        assert_eq!(req.headers()["x-amz-security-token"], token);
    }

    #[test]
    fn keys_come_from_params_then_env_then_the_profile_files() {
        let dir = std::env::temp_dir().join(format!("llmux-aws-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let creds = dir.join("credentials");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = s0\n\n[work]\naws_access_key_id=AKWORK\naws_secret_access_key=s1\naws_session_token=t1\n",
        )
        .unwrap();
        let creds_path = creds.to_string_lossy().into_owned();
        let env = move |k: &str| match k {
            "AWS_SHARED_CREDENTIALS_FILE" => Some(creds_path.clone()),
            "AWS_PROFILE" => Some("work".to_owned()),
            _ => None,
        };
        let keys = |s: &SigV4Signer| match &s.source {
            Source::Keys(k) => Some(k.clone()),
            _ => None,
        };
        let s = SigV4Signer::from_params(&JsonMap::new(), &env, "us-east-1", "bedrock").unwrap();
        let k = keys(&s).unwrap();
        assert_eq!(
            (
                k.access_key_id.as_str(),
                crate::secret::expose_opt(&k.session_token)
            ),
            ("AKWORK", Some("t1"))
        );
        let mut params = JsonMap::new();
        params.insert("aws_access_key_id".into(), "AKPARAM".into());
        params.insert("aws_secret_access_key".into(), "sp".into());
        let s = SigV4Signer::from_params(&params, &env, "us-east-1", "bedrock").unwrap();
        assert_eq!(keys(&s).unwrap().access_key_id, "AKPARAM");
        let s =
            SigV4Signer::from_params(&JsonMap::new(), &|_| None, "us-east-1", "bedrock").unwrap();
        assert!(matches!(s.source, Source::Missing));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn xml_fields_and_form_encoding() {
        let xml = "<AssumeRoleResult><Credentials><AccessKeyId> ASIA1 </AccessKeyId></Credentials></AssumeRoleResult>";
        assert_eq!(xml_tag(xml, "AccessKeyId"), Some("ASIA1"));
        assert_eq!(xml_tag(xml, "Nope"), None);
        assert_eq!(form_encode(&[("a b", "c/d")]), "a%20b=c%2Fd");
    }
}
