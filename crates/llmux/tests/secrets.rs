#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Every secret manager against an in-process fake of its HTTP API, reached through the
//! endpoint settings a user would give for a private endpoint (`HCP_VAULT_ADDR`,
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AZURE_AUTHORITY_HOST` + `AZURE_KEY_VAULT_URI`,
//! `token_uri` + `GOOGLE_SECRET_MANAGER_ENDPOINT`). A refused credential is an error that
//! names the setting and never holds the credential.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine;
use llmux::secrets::{Env, SecretError, SecretManager};
use serde_json::{Map, Value, json};

const SECRET: &str = "sk-from-the-store-0123";

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, app).into_future());
    url
}

fn env_of(pairs: &[(&str, String)]) -> Env {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    Arc::new(move |n: &str| map.get(n).cloned())
}

async fn manager(system: &str, env: Env) -> Result<SecretManager, SecretError> {
    let m = SecretManager::from_settings(Some(system), &Map::new(), env)?;
    m.authenticate().await?;
    Ok(m)
}

/// The error names `setting` and holds none of `secrets`.
fn assert_names(e: &SecretError, setting: &str, secrets: &[&str]) {
    assert_eq!(e.setting, setting, "{e}");
    let text = format!("{e} {e:?}");
    for s in secrets {
        assert!(!text.contains(s), "the error leaks a credential: {text}");
    }
}

fn bearer(h: &HeaderMap) -> Option<&str> {
    h.get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

// ---------------------------------------------------------------------------------------
// HashiCorp Vault

#[derive(Clone, Default)]
struct Vault {
    reads: Arc<AtomicUsize>,
    addr: Arc<Mutex<String>>,
}

const VAULT_TOKEN: &str = "hvs.good-token";
const APPROLE_TOKEN: &str = "hvs.from-approle";

fn vault_token_ok(h: &HeaderMap) -> bool {
    h.get("x-vault-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t == VAULT_TOKEN || t == APPROLE_TOKEN)
}

async fn vault_fake() -> (String, Vault) {
    let state = Vault::default();
    let app = Router::new()
        .route(
            "/v1/auth/token/lookup-self",
            get(|h: HeaderMap| async move {
                if vault_token_ok(&h) {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                }
            }),
        )
        .route(
            "/v1/auth/approle/login",
            post(|body: Bytes| async move {
                let b: Value = serde_json::from_slice(&body).unwrap_or_default();
                if b["role_id"] == "role-1" && b["secret_id"] == "secret-id-good" {
                    axum::Json(
                        json!({"auth": {"client_token": APPROLE_TOKEN, "lease_duration": 3600}}),
                    )
                    .into_response()
                } else {
                    (
                        StatusCode::BAD_REQUEST,
                        axum::Json(json!({"errors": ["invalid role or secret ID"]})),
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/v1/secret/data/{*path}",
            get(
                |State(s): State<Vault>, Path(path): Path<String>, h: HeaderMap| async move {
                    s.reads.fetch_add(1, Ordering::SeqCst);
                    if !vault_token_ok(&h) {
                        return StatusCode::FORBIDDEN.into_response();
                    }
                    match path.as_str() {
                        "llmux/OPENAI_API_KEY" => axum::Json(
                            json!({"data": {"data": {"key": SECRET}, "metadata": {"version": 1}}}),
                        )
                        .into_response(),
                        _ => StatusCode::NOT_FOUND.into_response(),
                    }
                },
            ),
        )
        .with_state(state.clone());
    let addr = serve(app).await;
    addr.clone_into(&mut state.addr.lock().unwrap());
    (addr, state)
}

#[tokio::test]
async fn vault_kv2_with_a_token_reads_cached_and_falls_back_to_the_environment() {
    let (addr, vault) = vault_fake().await;
    let env = env_of(&[
        ("HCP_VAULT_ADDR", addr),
        ("HCP_VAULT_TOKEN", VAULT_TOKEN.into()),
        ("HCP_VAULT_PATH_PREFIX", "llmux".into()),
        ("ONLY_IN_ENV", "from-env".into()),
    ]);
    let m = manager("hashicorp_vault", env).await.unwrap();
    assert_eq!(
        m.get("OPENAI_API_KEY")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some(SECRET)
    );
    assert_eq!(
        m.get("OPENAI_API_KEY")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some(SECRET)
    );
    assert_eq!(
        vault.reads.load(Ordering::SeqCst),
        1,
        "the second read came from the cache"
    );
    assert_eq!(
        m.get("ONLY_IN_ENV")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some("from-env")
    );
    assert_eq!(m.get("NOWHERE").await.unwrap(), None);
    assert!(!format!("{m:?}").contains(VAULT_TOKEN));
    // With hosted_keys, other names are never asked of Vault.
    let env = env_of(&[
        ("HCP_VAULT_ADDR", m_addr(&vault)),
        ("HCP_VAULT_TOKEN", VAULT_TOKEN.into()),
        ("HCP_VAULT_PATH_PREFIX", "llmux".into()),
    ]);
    let mut settings = Map::new();
    settings.insert("hosted_keys".into(), json!(["SOMETHING_ELSE"]));
    let m = SecretManager::from_settings(Some("hashicorp_vault"), &settings, env).unwrap();
    let before = vault.reads.load(Ordering::SeqCst);
    assert_eq!(m.get("OPENAI_API_KEY").await.unwrap(), None);
    assert_eq!(
        vault.reads.load(Ordering::SeqCst),
        before,
        "not a hosted key: Vault not asked"
    );
}

fn m_addr(v: &Vault) -> String {
    v.addr.lock().unwrap().clone()
}

#[tokio::test]
async fn vault_approle_logs_in_and_a_wrong_credential_names_its_setting() {
    let (addr, _) = vault_fake().await;
    let approle = |secret_id: &str| {
        env_of(&[
            ("HCP_VAULT_ADDR", addr.clone()),
            ("HCP_VAULT_APPROLE_ROLE_ID", "role-1".into()),
            ("HCP_VAULT_APPROLE_SECRET_ID", secret_id.into()),
            ("HCP_VAULT_PATH_PREFIX", "llmux".into()),
        ])
    };
    let m = manager("hashicorp_vault", approle("secret-id-good"))
        .await
        .unwrap();
    assert_eq!(
        m.get("OPENAI_API_KEY")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some(SECRET)
    );
    let e = manager("hashicorp_vault", approle("secret-id-WRONG"))
        .await
        .unwrap_err();
    assert_names(&e, "HCP_VAULT_APPROLE_SECRET_ID", &["secret-id-WRONG"]);
    let bad_token = env_of(&[
        ("HCP_VAULT_ADDR", addr.clone()),
        ("HCP_VAULT_TOKEN", "hvs.WRONG".into()),
    ]);
    let e = manager("hashicorp_vault", bad_token).await.unwrap_err();
    assert_names(&e, "HCP_VAULT_TOKEN", &["hvs.WRONG"]);
}

// ---------------------------------------------------------------------------------------
// AWS Secrets Manager

#[derive(Clone, Default)]
struct Aws {
    seen: Arc<Mutex<Vec<HeaderMap>>>,
}

async fn aws_fake() -> (String, Aws) {
    let state = Aws::default();
    let app = Router::new()
        .route(
            "/",
            post(
                |State(s): State<Aws>, h: HeaderMap, body: Bytes| async move {
                    s.seen.lock().unwrap().push(h.clone());
                    let auth = h
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    let target = h
                        .get("x-amz-target")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    let err = |t: &str| {
                        (
                            StatusCode::BAD_REQUEST,
                            axum::Json(json!({"__type": t, "message": "no"})),
                        )
                            .into_response()
                    };
                    if target != "secretsmanager.GetSecretValue" {
                        return err("UnknownOperationException");
                    }
                    if !auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDGOOD/")
                        || !auth.contains("/eu-west-1/secretsmanager/aws4_request")
                        || !auth.contains("x-amz-date")
                        || !auth.contains("Signature=")
                    {
                        return err("UnrecognizedClientException");
                    }
                    let b: Value = serde_json::from_slice(&body).unwrap_or_default();
                    match b["SecretId"].as_str() {
                        Some("OPENAI_API_KEY") => {
                            axum::Json(json!({"Name": "OPENAI_API_KEY", "SecretString": SECRET}))
                                .into_response()
                        }
                        _ => err("ResourceNotFoundException"),
                    }
                },
            ),
        )
        .with_state(state.clone());
    (serve(app).await, state)
}

#[tokio::test]
async fn aws_secrets_manager_signs_with_sigv4_and_a_wrong_key_names_its_setting() {
    let (endpoint, aws) = aws_fake().await;
    let env = |key_id: &str| {
        env_of(&[
            ("AWS_REGION_NAME", "eu-west-1".into()),
            ("AWS_ACCESS_KEY_ID", key_id.into()),
            ("AWS_SECRET_ACCESS_KEY", "aws-secret-value-123".into()),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint.clone()),
        ])
    };
    let m = manager("aws_secret_manager", env("AKIDGOOD"))
        .await
        .unwrap();
    assert_eq!(
        m.get("OPENAI_API_KEY")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some(SECRET)
    );
    assert_eq!(m.get("MISSING").await.unwrap(), None);
    let headers = aws.seen.lock().unwrap().last().cloned().unwrap();
    assert!(headers.contains_key("x-amz-date"), "{headers:?}");
    let e = manager("aws_secret_manager", env("AKIDWRONG"))
        .await
        .unwrap_err();
    assert_names(&e, "AWS_SECRET_ACCESS_KEY", &["aws-secret-value-123"]);
}

// ---------------------------------------------------------------------------------------
// Azure Key Vault

async fn azure_fake() -> String {
    let app = Router::new()
        .route(
            "/tenant-1/oauth2/v2.0/token",
            post(|body: String| async move {
                let form: HashMap<String, String> = body
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.replace("%2F", "/").replace("%3A", ":")))
                    .collect();
                let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
                    && form.get("client_id").map(String::as_str) == Some("app-1")
                    && form.get("client_secret").map(String::as_str) == Some("azure-good-secret")
                    && form.get("scope").is_some_and(|s| s.starts_with("https://vault.azure.net"));
                if ok {
                    axum::Json(json!({"access_token": "az-token", "expires_in": 3600, "token_type": "Bearer"}))
                        .into_response()
                } else {
                    (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"}))).into_response()
                }
            }),
        )
        .route(
            "/secrets/{name}",
            get(|Path(name): Path<String>, h: HeaderMap| async move {
                if bearer(&h) != Some("az-token") {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                match name.as_str() {
                    "openai-api-key" => axum::Json(json!({"value": SECRET, "id": "x"})).into_response(),
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }),
        );
    serve(app).await
}

#[tokio::test]
async fn azure_key_vault_uses_client_credentials_and_a_wrong_secret_names_its_setting() {
    let base = azure_fake().await;
    let env = |secret: &str| {
        env_of(&[
            ("AZURE_KEY_VAULT_URI", base.clone()),
            ("AZURE_AUTHORITY_HOST", base.clone()),
            ("AZURE_TENANT_ID", "tenant-1".into()),
            ("AZURE_CLIENT_ID", "app-1".into()),
            ("AZURE_CLIENT_SECRET", secret.into()),
        ])
    };
    let m = manager("azure_key_vault", env("azure-good-secret"))
        .await
        .unwrap();
    assert_eq!(
        m.get("openai-api-key")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some(SECRET)
    );
    assert_eq!(m.get("other-key").await.unwrap(), None);
    let e = manager("azure_key_vault", env("azure-WRONG-secret"))
        .await
        .unwrap_err();
    assert_names(&e, "AZURE_CLIENT_SECRET", &["azure-WRONG-secret"]);
}

// ---------------------------------------------------------------------------------------
// Google Secret Manager

async fn google_fake() -> String {
    let app = Router::new()
        .route(
            "/token",
            post(|body: String| async move {
                if body.contains("refresh_token=refresh-good") {
                    axum::Json(json!({"access_token": "g-token", "expires_in": 3600}))
                        .into_response()
                } else {
                    (
                        StatusCode::BAD_REQUEST,
                        axum::Json(json!({"error": "invalid_grant"})),
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/v1/projects/proj-1/secrets/{name}/versions/{version}",
            get(
                |Path((name, version)): Path<(String, String)>, h: HeaderMap| async move {
                    if bearer(&h) != Some("g-token") {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    if version != "latest:access" {
                        return StatusCode::BAD_REQUEST.into_response();
                    }
                    match name.as_str() {
                        "OPENAI_API_KEY" => {
                            let data = base64::engine::general_purpose::STANDARD.encode(SECRET);
                            axum::Json(json!({"name": "x", "payload": {"data": data}}))
                                .into_response()
                        }
                        _ => StatusCode::NOT_FOUND.into_response(),
                    }
                },
            ),
        );
    serve(app).await
}

#[tokio::test]
async fn google_secret_manager_reads_latest_versions_and_a_wrong_refresh_token_names_the_credentials()
 {
    let base = google_fake().await;
    let dir = std::env::temp_dir().join(format!("llmux-gsm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let creds = |refresh: &str| {
        let path = dir.join(format!("{refresh}.json"));
        std::fs::write(
            &path,
            json!({"type": "authorized_user", "client_id": "c", "client_secret": "cs",
                   "refresh_token": refresh, "token_uri": format!("{base}/token")})
            .to_string(),
        )
        .unwrap();
        env_of(&[
            ("GOOGLE_SECRET_MANAGER_PROJECT_ID", "proj-1".into()),
            ("GOOGLE_APPLICATION_CREDENTIALS", path.display().to_string()),
            ("GOOGLE_SECRET_MANAGER_ENDPOINT", base.clone()),
        ])
    };
    let m = manager("google_secret_manager", creds("refresh-good"))
        .await
        .unwrap();
    assert_eq!(
        m.get("OPENAI_API_KEY")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some(SECRET)
    );
    assert_eq!(m.get("NOT_THERE").await.unwrap(), None);
    let e = manager("google_secret_manager", creds("refresh-WRONG"))
        .await
        .unwrap_err();
    assert_names(&e, "GOOGLE_APPLICATION_CREDENTIALS", &["refresh-WRONG"]);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------
// files and the environment

#[tokio::test]
async fn files_read_docker_and_kubernetes_secrets_without_their_trailing_newline() {
    let dir = std::env::temp_dir().join(format!("llmux-secret-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("openai_api_key"), format!("{SECRET}\n")).unwrap();
    let mut settings = Map::new();
    settings.insert("secrets_dir".into(), json!(dir.display().to_string()));
    let m = SecretManager::from_settings(Some("files"), &settings, env_of(&[])).unwrap();
    assert_eq!(
        m.get("OPENAI_API_KEY")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some(SECRET)
    );
    assert_eq!(
        m.get("../etc/passwd").await.unwrap(),
        None,
        "names stay inside the directory"
    );
    settings.insert("secrets_dir".into(), json!("/no/such/dir"));
    let e = SecretManager::from_settings(Some("files"), &settings, env_of(&[])).unwrap_err();
    assert!(
        e.setting.ends_with("key_management_settings.secrets_dir"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_default_is_the_environment_and_unknown_systems_are_refused() {
    let m = SecretManager::from_settings(None, &Map::new(), env_of(&[("K", "v".into())])).unwrap();
    assert_eq!(m.kind(), "environment");
    assert_eq!(
        m.get("K")
            .await
            .unwrap()
            .as_ref()
            .map(llmux::Secret::expose),
        Some("v")
    );
    let e = SecretManager::from_settings(Some("cyberark"), &Map::new(), env_of(&[])).unwrap_err();
    assert_eq!(e.setting, "general_settings.key_management_system");
    let e = SecretManager::from_settings(Some("hashicorp_vault"), &Map::new(), env_of(&[]))
        .unwrap_err();
    assert_eq!(e.setting, "HCP_VAULT_TOKEN");
}
