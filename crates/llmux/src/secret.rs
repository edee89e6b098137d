//! [`Secret`]: every key, token, password and private key llmux holds.
//!
//! Its `Debug` writes `<redacted>`, it has no `Display` and no `Serialize`, so a secret
//! can reach a log line, an error or an answer only through an explicit
//! [`Secret::expose`], which is easy to grep for. The bytes live in a
//! [`secrecy::SecretString`], which zeroes them when the last copy is dropped. Equality
//! is constant time (the gateway compares client keys with the master key).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// A secret string (an API key, a token, a password, a private key).
///
/// ```
/// let key = llmux::Secret::from("sk-live-123");
/// assert_eq!(format!("{key:?}"), "<redacted>");
/// assert_eq!(key.expose(), "sk-live-123");
/// ```
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret itself: for a request header, a signature, a comparison. Free (a
    /// borrow); never log what it returns.
    #[inline]
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// `Some` unless empty: an empty key is no key.
    pub fn non_empty(self) -> Option<Self> {
        (!self.is_empty()).then_some(self)
    }
}

/// Exposes an optional secret, as `Option<&str>`.
pub fn expose_opt(secret: &Option<Secret>) -> Option<&str> {
    secret.as_ref().map(Secret::expose)
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(SecretString::from(value))
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(SecretString::from(value))
    }
}

impl PartialEq for Secret {
    /// Constant time in the contents (the lengths may show).
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq_str(other.expose())
    }
}

impl Eq for Secret {}

impl PartialEq<str> for Secret {
    fn eq(&self, other: &str) -> bool {
        self.ct_eq_str(other)
    }
}

impl PartialEq<&str> for Secret {
    fn eq(&self, other: &&str) -> bool {
        self.ct_eq_str(other)
    }
}

impl Secret {
    /// Whether `presented` is this secret, in constant time in the contents.
    pub fn ct_eq_str(&self, presented: &str) -> bool {
        bool::from(self.expose().as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through `String` so that config's error messages keep their wording; the
        // temporary is moved into the secret, not copied.
        String::deserialize(d).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value_and_expose_does() {
        let s = Secret::from("sk-very-secret");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(<redacted>)");
        assert_eq!(format!("{:#?}", vec![s.clone()]), "[\n    <redacted>,\n]");
        assert_eq!(s.expose(), "sk-very-secret");
    }

    #[test]
    fn equality_compares_contents() {
        let a = Secret::from("sk-1");
        assert_eq!(a, Secret::from(String::from("sk-1")));
        assert_ne!(a, Secret::from("sk-2"));
        assert_ne!(a, Secret::from("sk-10"));
        assert!(a.ct_eq_str("sk-1"));
        assert!(!a.ct_eq_str(""));
    }

    #[test]
    fn deserializes_from_a_string_and_nothing_else() {
        let s: Secret = serde_json::from_str("\"sk-x\"").unwrap();
        assert_eq!(s.expose(), "sk-x");
        let e = serde_json::from_str::<Secret>("[1]").unwrap_err();
        assert!(e.to_string().contains("expected a string"), "{e}");
        assert_eq!(Secret::from("").non_empty(), None);
    }

    #[test]
    fn exposing_borrows_the_stored_bytes() {
        let s = Secret::from("sk-abc");
        assert!(std::ptr::eq(s.expose(), s.expose()), "no copy per call");
    }

    /// Every struct of the library that holds a key, a token or a private key, built
    /// with distinct secrets everywhere a secret can go; none shows in its `Debug`.
    #[tokio::test]
    async fn no_struct_that_holds_secrets_shows_one_in_its_debug() {
        use crate::config::{LitellmParams, RouterSettings};
        use crate::credentials::aws::{AwsKeys, SigV4Signer};
        use crate::credentials::azure_ad::AzureAdTokenSource;
        use crate::credentials::google::GoogleTokenSource;
        use crate::credentials::token_store::TokenStore;
        use crate::{CallOptions, Deployment};
        use serde_json::json;

        const SECRETS: &[&str] = &[
            "sk-api-key-31c1",
            "azure-ad-token-77d0",
            "bearer-header-5a5a",
            "aws-secret-4f2e",
            "aws-session-9b9b",
            "client-secret-c3c3",
            "refresh-token-e1e1",
            "redis-pw-0d0d",
            "vault-token-8888",
            "approle-secret-7171",
            "minted-token-6262",
        ];
        let mut shown = Vec::new();
        let mut check = |what: &str, debug: String| {
            for s in SECRETS {
                if debug.contains(s) {
                    shown.push(format!("{what} shows {s}: {debug}"));
                }
            }
        };
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/test_sa_key.pem"
        ))
        .unwrap();
        let pem_body = pem.lines().nth(1).unwrap().to_owned();
        let user_creds = json!({"type": "authorized_user", "client_id": "cid",
            "client_secret": SECRETS[5], "refresh_token": SECRETS[6],
            "token_uri": "http://127.0.0.1:1/token"});
        let sa_creds = json!({"type": "service_account", "project_id": "p",
            "private_key_id": "k1", "private_key": pem, "client_email": "sa@p.iam",
            "token_uri": "http://127.0.0.1:1/token"});

        let mut opts = CallOptions {
            api_key: Some(SECRETS[0].into()),
            azure_ad_token: Some(SECRETS[1].into()),
            extra_headers: vec![("Authorization".into(), format!("Bearer {}", SECRETS[2]))],
            ..CallOptions::default()
        };
        for (k, v) in [
            ("aws_access_key_id", json!("AKID")),
            ("aws_secret_access_key", json!(SECRETS[3])),
            ("aws_session_token", json!(SECRETS[4])),
            ("tenant_id", json!("t")),
            ("client_id", json!("c")),
            ("client_secret", json!(SECRETS[5])),
            ("vertex_credentials", user_creds.clone()),
        ] {
            opts.provider_params.insert(k.into(), v);
        }
        check("CallOptions", format!("{opts:?}"));
        let no_env = |_: &str| None;
        for model in [
            "openai/gpt-4o-mini",
            "azure/dep",
            "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
            "vertex_ai/gemini-2.5-flash",
        ] {
            let mut o = opts.clone();
            if model != "openai/gpt-4o-mini" {
                // Without a static key the credential sources are built.
                o.api_key = None;
                o.azure_ad_token = None;
            }
            o.api_base = Some("https://x.example".into());
            let d = Deployment::from_options_with_env(model, &o, &no_env).unwrap();
            assert!(
                model == "openai/gpt-4o-mini" || d.credentials.is_some(),
                "{model}"
            );
            for key in crate::deployment::SECRET_PARAMS {
                assert!(!d.provider_params.contains_key(*key), "{model} keeps {key}");
            }
            check(model, format!("{d:?} {:?}", d.credentials));
        }

        let lp: LitellmParams = serde_json::from_value(json!({"model": "openai/x",
            "api_key": SECRETS[0], "azure_ad_token": SECRETS[1],
            "aws_secret_access_key": SECRETS[3], "vertex_credentials": user_creds}))
        .unwrap();
        check("LitellmParams", format!("{lp:?}"));
        let rs: RouterSettings = serde_json::from_value(json!({"redis_password": SECRETS[7],
            "redis_url": format!("redis://:{}@cache:6379", SECRETS[7])}))
        .unwrap();
        check("RouterSettings", format!("{rs:?}"));

        let keys = AwsKeys {
            access_key_id: "AKID".into(),
            secret_access_key: SECRETS[3].into(),
            session_token: Some(SECRETS[4].into()),
        };
        check("AwsKeys", format!("{keys:?}"));
        check(
            "SigV4Signer",
            format!("{:?}", SigV4Signer::with_keys(keys, "us-east-1", "bedrock")),
        );
        let mut params = llmux_types::JsonMap::new();
        for (k, v) in [
            ("tenant_id", "t"),
            ("client_id", "c"),
            ("client_secret", SECRETS[5]),
        ] {
            params.insert(k.into(), v.into());
        }
        let azure = AzureAdTokenSource::from_params(&params, &no_env)
            .unwrap()
            .unwrap();
        check("AzureAdTokenSource", format!("{azure:?}"));
        let user = GoogleTokenSource::from_json_value(&user_creds).unwrap();
        check("GoogleTokenSource (user)", format!("{user:?}"));
        let sa = GoogleTokenSource::from_json_value(&sa_creds).unwrap();
        let debug = format!("{sa:?}");
        assert!(!debug.contains(&pem_body), "the private key shows: {debug}");

        let store = TokenStore::<Secret>::new();
        let token = store
            .get(|| async {
                Ok((
                    Secret::from(SECRETS[10]),
                    std::time::Duration::from_secs(3600),
                ))
            })
            .await
            .unwrap();
        assert_eq!(token, SECRETS[10]);
        check("TokenStore", format!("{store:?} {token:?}"));

        let env: crate::secrets::Env = std::sync::Arc::new(|name: &str| match name {
            "HCP_VAULT_TOKEN" => Some(SECRETS[8].to_owned()),
            "HCP_VAULT_APPROLE_SECRET_ID" => Some(SECRETS[9].to_owned()),
            _ => None,
        });
        for system in ["hashicorp_vault", "local"] {
            let m = crate::secrets::SecretManager::from_settings(
                Some(system),
                &serde_json::Map::new(),
                env.clone(),
            )
            .unwrap();
            // The environment source answers without a network call.
            let got = if system == "local" {
                m.get("HCP_VAULT_TOKEN").await.unwrap()
            } else {
                None
            };
            check(system, format!("{m:?} {got:?}"));
        }
        assert!(shown.is_empty(), "{shown:#?}");
    }
}
