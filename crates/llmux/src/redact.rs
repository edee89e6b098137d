//! `Debug` output that never shows a secret. Every type holding a key, a token, a
//! password or a private key (`Deployment`, `CallOptions`, `LitellmParams`,
//! `RouterSettings`, the gateway's `AppState` and `GeneralSettings`) writes its `Debug`
//! with these instead of deriving it, so a `{:?}` in a log line or an error is safe.

use std::fmt;

use serde_json::{Map, Value};

/// An optional secret: `Some(<redacted>)` or `None`.
pub struct Redacted<'a>(pub &'a Option<String>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Some(<redacted>)"
        } else {
            "None"
        })
    }
}

/// A map whose values may be secrets (`vertex_credentials`, `aws_secret_access_key`):
/// its keys only.
pub struct KeysOnly<'a>(pub &'a Map<String, Value>);

impl fmt::Debug for KeysOnly<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Headers whose values may be secrets (`Authorization`): their names only.
pub struct HeaderNames<'a>(pub &'a [(String, String)]);

impl fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

/// A URL that may carry a password (`redis://:pw@host`): scheme and host only.
pub struct UrlHost<'a>(pub &'a Option<String>);

impl fmt::Debug for UrlHost<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
                let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                let host = host.split('/').next().unwrap_or("");
                write!(f, "Some({scheme}://{host}/…)")
            }
        }
    }
}
