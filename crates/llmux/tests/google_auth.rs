#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! `GoogleTokenSource` against an in-process fake Google token endpoint, reached the way
//! a user reaches a private endpoint: through the credentials' `token_uri`.
//!
//! The fake verifies each JWT assertion with the public half of the test key
//! (`fixtures/test_sa_key.pem`, a throwaway key made with `openssl genrsa 2048` for these
//! tests only), checks `iss`, `aud`, `scope` and `kid`, counts calls, and answers
//! `tok-1`, `tok-2`, ….

use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use llmux::ErrorKind;
use llmux::google_auth::{CLOUD_PLATFORM_SCOPE, GoogleTokenSource, REFRESH_MARGIN};
use serde_json::{Value, json};
use tokio::net::TcpListener;

const PRIVATE_KEY: &str = include_str!("fixtures/test_sa_key.pem");
const PUBLIC_KEY: &str = include_str!("fixtures/test_sa_key.pub.pem");
const CLIENT_EMAIL: &str = "llmux-test@llmux-test-project.iam.gserviceaccount.com";
const KEY_ID: &str = "test-key-id-1";
const REFRESH_TOKEN: &str = "1//refresh-token/with+reserved=chars";

/// How the fake endpoint answers.
#[derive(Clone)]
struct Behaviour {
    expires_in: u64,
    /// Answer this status with an OAuth2 error body instead of a token.
    refuse_with: Option<StatusCode>,
    /// Wait this long before answering (lets concurrent callers pile up).
    delay: Duration,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            expires_in: 3600,
            refuse_with: None,
            delay: Duration::ZERO,
        }
    }
}

struct FakeState {
    behaviour: Behaviour,
    token_uri: String,
    calls: AtomicUsize,
    /// Why requests were rejected, if any were; a test that expects tokens asserts empty.
    rejections: Mutex<Vec<String>>,
}

/// A fake OAuth2 token endpoint on 127.0.0.1.
struct FakeTokenEndpoint {
    state: Arc<FakeState>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for FakeTokenEndpoint {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTokenEndpoint {
    async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let token_uri = format!("http://{}/token", listener.local_addr().unwrap());
        let state = Arc::new(FakeState {
            behaviour,
            token_uri,
            calls: AtomicUsize::new(0),
            rejections: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .route("/token", axum::routing::post(answer_token))
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(axum::serve(listener, app).into_future());
        Self { state, server }
    }

    fn token_uri(&self) -> &str {
        &self.state.token_uri
    }

    fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    fn rejections(&self) -> Vec<String> {
        self.state.rejections.lock().unwrap().clone()
    }

    /// A service-account JSON whose `token_uri` is this endpoint.
    fn service_account(&self) -> Value {
        json!({
            "type": "service_account",
            "project_id": "llmux-test-project",
            "private_key_id": KEY_ID,
            "private_key": PRIVATE_KEY,
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri(),
        })
    }

    /// A gcloud `authorized_user` JSON whose `token_uri` is this endpoint.
    fn authorized_user(&self) -> Value {
        json!({
            "type": "authorized_user",
            "client_id": "test-client.apps.googleusercontent.com",
            "client_secret": "test-secret",
            "refresh_token": REFRESH_TOKEN,
            "token_uri": self.token_uri(),
        })
    }

    /// A source for the service account, built the way a deployment builds it.
    fn source(&self) -> GoogleTokenSource {
        let params = params(json!({ "vertex_credentials": self.service_account() }));
        GoogleTokenSource::from_params(&params, &|_| None).unwrap()
    }
}

async fn answer_token(State(state): State<Arc<FakeState>>, body: String) -> Response {
    let n = state.calls.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(state.behaviour.delay).await;
    if let Err(why) = check_grant(&state, &body) {
        state.rejections.lock().unwrap().push(why.clone());
        let body = json!({"error": "invalid_grant", "error_description": why});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    if let Some(status) = state.behaviour.refuse_with {
        let body = json!({"error": "invalid_grant", "error_description": "account disabled"});
        return (status, axum::Json(body)).into_response();
    }
    axum::Json(json!({
        "access_token": format!("tok-{n}"),
        "expires_in": state.behaviour.expires_in,
        "token_type": "Bearer",
    }))
    .into_response()
}

/// What Google checks of a grant: a JWT assertion signed by the account's key, for this
/// audience and scope, or a refresh token.
fn check_grant(state: &FakeState, body: &str) -> Result<(), String> {
    let form = parse_form(body);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| format!("no {name} in {body}"))
    };
    match field("grant_type")? {
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let assertion = field("assertion")?;
            let header = jsonwebtoken::decode_header(assertion).map_err(|e| e.to_string())?;
            if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(KEY_ID) {
                return Err(format!("bad JWT header {header:?}"));
            }
            let mut validation = Validation::new(Algorithm::RS256);
            validation.set_audience(&[&state.token_uri]);
            validation.set_issuer(&[CLIENT_EMAIL]);
            validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
            let key = DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap();
            let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
                .map_err(|e| format!("assertion rejected: {e}"))?
                .claims;
            if claims["scope"] != CLOUD_PLATFORM_SCOPE {
                return Err(format!("bad scope in {claims}"));
            }
            let (iat, exp) = (claims["iat"].as_u64(), claims["exp"].as_u64());
            if iat.zip(exp).map(|(i, e)| e - i) != Some(3600) {
                return Err(format!("exp is not iat + 1 h in {claims}"));
            }
            Ok(())
        }
        "refresh_token" => {
            if field("refresh_token")? != REFRESH_TOKEN || field("client_secret")? != "test-secret"
            {
                return Err(format!("bad refresh grant {form:?}"));
            }
            Ok(())
        }
        other => Err(format!("unexpected grant_type {other}")),
    }
}

/// Decodes `application/x-www-form-urlencoded`.
fn parse_form(body: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn params(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not a map: {other}"),
    }
}

/// A file in the temp dir, removed on drop.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn with_json(name: &str, value: &Value) -> Self {
        let path = std::env::temp_dir().join(format!(
            "llmux-google-auth-{}-{name}.json",
            std::process::id()
        ));
        std::fs::write(&path, value.to_string()).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A clock the test moves forward by hand.
#[derive(Clone)]
struct ManualClock {
    start: Instant,
    offset_secs: Arc<AtomicU64>,
}

impl ManualClock {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            offset_secs: Arc::new(AtomicU64::new(0)),
        }
    }

    fn set(&self, secs: u64) {
        self.offset_secs.store(secs, Ordering::SeqCst);
    }

    fn now(&self) -> Instant {
        self.start + Duration::from_secs(self.offset_secs.load(Ordering::SeqCst))
    }
}

#[tokio::test]
async fn service_account_gets_a_token_and_reuses_it() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    let source = fake.source();
    assert_eq!(source.token_uri(), fake.token_uri());
    assert_eq!(source.project_id(), Some("llmux-test-project"));

    assert_eq!(source.token().await.unwrap(), "tok-1");
    assert_eq!(fake.calls(), 1);
    assert_eq!(source.token().await.unwrap(), "tok-1");
    assert_eq!(source.token().await.unwrap(), "tok-1");
    assert_eq!(fake.calls(), 1, "a valid token is reused");
    assert_eq!(fake.rejections(), Vec::<String>::new());
}

#[tokio::test]
async fn token_is_refreshed_when_less_than_the_margin_is_left() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    let clock = ManualClock::new();
    let source = fake.source().with_clock({
        let clock = clock.clone();
        move || clock.now()
    });

    assert_eq!(source.token().await.unwrap(), "tok-1");
    // 3600 s token: at 3000 s, 600 s are left, more than the 300 s margin.
    clock.set(3600 - REFRESH_MARGIN.as_secs() - 300);
    assert_eq!(source.token().await.unwrap(), "tok-1");
    assert_eq!(fake.calls(), 1);
    // At 3301 s, 299 s are left: refreshed before it expires.
    clock.set(3600 - REFRESH_MARGIN.as_secs() + 1);
    assert_eq!(source.token().await.unwrap(), "tok-2");
    assert_eq!(fake.calls(), 2);
    // The new token's lifetime counts from its own fetch.
    clock.set(3600 + 3000);
    assert_eq!(source.token().await.unwrap(), "tok-2");
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn short_lived_token_is_refreshed_on_the_next_call() {
    let fake = FakeTokenEndpoint::start(Behaviour {
        expires_in: REFRESH_MARGIN.as_secs() - 1,
        ..Behaviour::default()
    })
    .await;
    let source = fake.source();
    assert_eq!(source.token().await.unwrap(), "tok-1");
    assert_eq!(source.token().await.unwrap(), "tok-2");
    assert_eq!(fake.calls(), 2);

    // With a smaller margin the same token lasts.
    let source = fake.source().with_refresh_margin(Duration::from_secs(10));
    assert_eq!(source.token().await.unwrap(), "tok-3");
    assert_eq!(source.token().await.unwrap(), "tok-3");
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_fetch() {
    let fake = FakeTokenEndpoint::start(Behaviour {
        delay: Duration::from_millis(200),
        ..Behaviour::default()
    })
    .await;
    let source = Arc::new(fake.source());
    let callers: Vec<_> = (0..10)
        .map(|_| {
            let source = Arc::clone(&source);
            tokio::spawn(async move { source.token().await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), "tok-1");
    }
    assert_eq!(fake.calls(), 1, "no stampede on the token endpoint");
}

#[tokio::test]
async fn refused_credentials_are_an_authentication_error() {
    let fake = FakeTokenEndpoint::start(Behaviour {
        refuse_with: Some(StatusCode::UNAUTHORIZED),
        ..Behaviour::default()
    })
    .await;
    let source = fake.source();
    let err = source.token().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert_eq!(err.status.as_u16(), 401);
    assert_eq!(err.provider.as_deref(), Some("vertex_ai"));
    assert!(
        err.message.contains("invalid_grant: account disabled"),
        "{}",
        err.message
    );
    // A failure is not cached.
    assert!(source.token().await.is_err());
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn endpoint_outage_keeps_its_status() {
    let fake = FakeTokenEndpoint::start(Behaviour {
        refuse_with: Some(StatusCode::SERVICE_UNAVAILABLE),
        ..Behaviour::default()
    })
    .await;
    let err = fake.source().token().await.unwrap_err();
    assert_eq!(err.status.as_u16(), 503, "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn assertion_for_another_account_is_refused() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    let mut sa = fake.service_account();
    sa["client_email"] = json!("someone-else@example.iam.gserviceaccount.com");
    let source = GoogleTokenSource::from_json_value(&sa).unwrap();
    let err = source.token().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Authentication);
    assert!(err.message.contains("InvalidIssuer"), "{}", err.message);
}

#[tokio::test]
async fn unreachable_endpoint_is_a_connection_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut sa = FakeTokenEndpoint::start(Behaviour::default())
        .await
        .service_account();
    sa["token_uri"] = json!(format!("http://127.0.0.1:{port}/token"));
    let err = GoogleTokenSource::from_json_value(&sa)
        .unwrap()
        .token()
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::ApiConnection, "{err}");
}

#[tokio::test]
async fn credentials_from_a_file_path() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    let file = TempFile::with_json("path", &fake.service_account());
    let params = params(json!({ "vertex_credentials": file.path() }));
    let source = GoogleTokenSource::from_params(&params, &|_| None).unwrap();
    assert_eq!(source.token().await.unwrap(), "tok-1");
}

#[tokio::test]
async fn credentials_from_an_inline_json_string() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    let params = params(json!({ "vertex_credentials": fake.service_account().to_string() }));
    let source = GoogleTokenSource::from_params(&params, &|_| None).unwrap();
    assert_eq!(source.token().await.unwrap(), "tok-1");
}

#[tokio::test]
async fn credentials_from_a_yaml_map() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    // What the config loader hands over for a `vertex_credentials:` YAML mapping.
    let params = params(json!({
        "vertex_project": "llmux-test-project",
        "vertex_location": "us-central1",
        "vertex_credentials": fake.service_account(),
    }));
    let source = GoogleTokenSource::from_params(&params, &|_| None).unwrap();
    assert_eq!(source.token().await.unwrap(), "tok-1");
}

#[tokio::test]
async fn credentials_from_google_application_credentials() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    let file = TempFile::with_json("adc-env", &fake.service_account());
    let path = file.path().to_owned();
    let env = move |name: &str| (name == "GOOGLE_APPLICATION_CREDENTIALS").then(|| path.clone());
    let source = GoogleTokenSource::from_params(&serde_json::Map::new(), &env).unwrap();
    assert_eq!(source.token().await.unwrap(), "tok-1");
}

#[tokio::test]
async fn vertex_credentials_win_over_the_environment() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    let env = |name: &str| {
        (name == "GOOGLE_APPLICATION_CREDENTIALS").then(|| "/nonexistent/llmux.json".to_owned())
    };
    let params = params(json!({ "vertex_credentials": fake.service_account() }));
    let source = GoogleTokenSource::from_params(&params, &env).unwrap();
    assert_eq!(source.token().await.unwrap(), "tok-1");
}

#[tokio::test]
async fn authorized_user_credentials_use_the_refresh_grant() {
    let fake = FakeTokenEndpoint::start(Behaviour::default()).await;
    let params = params(json!({ "vertex_credentials": fake.authorized_user() }));
    let source = GoogleTokenSource::from_params(&params, &|_| None).unwrap();
    assert_eq!(source.token().await.unwrap(), "tok-1");
    assert_eq!(source.token().await.unwrap(), "tok-1");
    assert_eq!(fake.calls(), 1);
    assert_eq!(fake.rejections(), Vec::<String>::new());
}

#[test]
fn no_credentials_is_a_bad_request_naming_both_settings() {
    let err = GoogleTokenSource::from_params(&serde_json::Map::new(), &|_| None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert_eq!(err.status.as_u16(), 400);
    assert!(
        err.message.contains("vertex_credentials"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("GOOGLE_APPLICATION_CREDENTIALS"),
        "{}",
        err.message
    );
}

#[test]
fn missing_credentials_file_names_the_path() {
    let params = params(json!({ "vertex_credentials": "/nonexistent/llmux-sa.json" }));
    let err = GoogleTokenSource::from_params(&params, &|_| None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(
        err.message.contains("vertex_credentials")
            && err.message.contains("/nonexistent/llmux-sa.json"),
        "{}",
        err.message
    );

    let env = |name: &str| {
        (name == "GOOGLE_APPLICATION_CREDENTIALS").then(|| "/nonexistent/adc.json".to_owned())
    };
    let err = GoogleTokenSource::from_params(&serde_json::Map::new(), &env).unwrap_err();
    assert!(
        err.message.contains("GOOGLE_APPLICATION_CREDENTIALS")
            && err.message.contains("/nonexistent/adc.json"),
        "{}",
        err.message
    );
}

#[test]
fn unusable_service_accounts_fail_at_start_up() {
    let base = json!({
        "type": "service_account",
        "private_key": PRIVATE_KEY,
        "client_email": CLIENT_EMAIL,
    });
    assert!(GoogleTokenSource::from_json_value(&base).is_ok());

    let mut bad_key = base.clone();
    bad_key["private_key"] =
        json!("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n");
    let err = GoogleTokenSource::from_json_value(&bad_key).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(err.message.contains("private_key"), "{}", err.message);

    let mut no_email = base.clone();
    no_email.as_object_mut().unwrap().remove("client_email");
    let err = GoogleTokenSource::from_json_value(&no_email).unwrap_err();
    assert!(err.message.contains("client_email"), "{}", err.message);

    let err = GoogleTokenSource::from_json_str("{not json").unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
}

#[test]
fn default_token_endpoint_is_googles() {
    let sa = json!({
        "type": "service_account",
        "private_key": PRIVATE_KEY,
        "client_email": CLIENT_EMAIL,
    });
    let source = GoogleTokenSource::from_json_value(&sa).unwrap();
    assert_eq!(source.token_uri(), "https://oauth2.googleapis.com/token");
    let debug = format!("{source:?}");
    assert!(
        !debug.contains("PRIVATE KEY"),
        "Debug leaks the key: {debug}"
    );
}
