//! OAuth2 bearer tokens for Vertex AI from a Google service account.

use llmux_types::{Error, JsonMap};

/// Mints and caches access tokens for one service account.
#[derive(Debug)]
pub struct GoogleTokenSource {}

impl GoogleTokenSource {
    /// From `vertex_credentials` (a path or the JSON itself) or `GOOGLE_APPLICATION_CREDENTIALS`.
    pub fn from_params(
        _params: &JsonMap,
        _env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        Ok(Self {})
    }

    /// A valid access token.
    pub async fn token(&self) -> Result<String, Error> {
        Err(Error::bad_request(
            "llmux does not support Vertex AI credentials yet",
        ))
    }
}
