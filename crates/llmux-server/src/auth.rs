//! The master-key check, as LiteLLM's `user_api_key_auth` for the master key.

use axum::http::HeaderMap;
use llmux::router::Identity;
use llmux::{Error, ErrorKind, Secret};

/// The key a client sent: `Authorization: Bearer`, `x-litellm-api-key`, `api-key`
/// (Azure clients) or `x-api-key` (Anthropic clients).
pub(crate) fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = get("authorization") {
        return Some(
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim(),
        );
    }
    if let Some(v) = get("x-litellm-api-key") {
        return Some(v.strip_prefix("Bearer ").unwrap_or(v).trim());
    }
    get("api-key").or_else(|| get("x-api-key"))
}

/// Who the request is: the master key (constant-time comparison), a virtual key when
/// `virtual_keys` (by its sha256 only; the key hook decides whether it is let in), or a
/// 401. Open when no master key is configured, as LiteLLM.
pub(crate) fn identify(
    master_key: Option<&Secret>,
    virtual_keys: bool,
    headers: &HeaderMap,
) -> Result<Identity, Error> {
    let Some(master) = master_key else {
        return Ok(Identity::Open);
    };
    match presented_key(headers) {
        Some(key) if master.ct_eq_str(key) => Ok(Identity::MasterKey),
        Some(key) if virtual_keys && !key.is_empty() => Ok(Identity::VirtualKey {
            token: crate::keys::token::hash(key),
        }),
        _ => check(master_key, headers).map(|()| Identity::MasterKey),
    }
}

/// Checks the request's key against the master key (constant time). `Ok` when no
/// master key is configured, as LiteLLM.
pub(crate) fn check(master_key: Option<&Secret>, headers: &HeaderMap) -> Result<(), Error> {
    let Some(master) = master_key else {
        return Ok(());
    };
    match presented_key(headers) {
        None | Some("") => Err(Error::new(
            ErrorKind::ProxyAuthentication,
            "Authentication Error, No api key passed in.",
        )),
        Some(key) if master.ct_eq_str(key) => Ok(()),
        Some(_) => Err(Error::new(
            ErrorKind::ProxyAuthentication,
            "Authentication Error, Invalid proxy server token passed. Unable to find token in cache or \
             `LiteLLM_VerificationTokenTable`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        h
    }

    #[test]
    fn accepts_each_litellm_header() {
        let master = Secret::from("sk-master");
        let key = Some(&master);
        assert!(check(key, &headers("authorization", "Bearer sk-master")).is_ok());
        assert!(check(key, &headers("x-litellm-api-key", "sk-master")).is_ok());
        assert!(check(key, &headers("api-key", "sk-master")).is_ok());
        assert!(check(key, &headers("x-api-key", "sk-master")).is_ok());
    }

    #[test]
    fn rejects_wrong_and_missing_keys_with_401() {
        let master = Secret::from("sk-master");
        let e = check(Some(&master), &headers("authorization", "Bearer nope")).unwrap_err();
        assert_eq!(e.status.as_u16(), 401);
        assert_eq!(e.openai_body()["error"]["type"], "auth_error");
        assert!(check(Some(&master), &HeaderMap::new()).is_err());
        assert!(check(None, &HeaderMap::new()).is_ok());
    }
}
