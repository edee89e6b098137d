//! Secrets as files, the way Docker (`/run/secrets/NAME`) and Kubernetes (a mounted
//! secret volume) hand them to a container: the file's text, one trailing newline off.

use std::path::PathBuf;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use crate::Secret;

use super::{SecretError, SecretSource};

#[derive(Debug)]
pub(super) struct FileSource {
    dir: PathBuf,
}

const SETTING: &str = "general_settings.key_management_settings.secrets_dir";

impl FileSource {
    pub(super) fn new(settings: &Map<String, Value>) -> Result<Self, SecretError> {
        let dir = match settings.get("secrets_dir") {
            None | Some(Value::Null) => PathBuf::from("/run/secrets"),
            Some(Value::String(s)) => PathBuf::from(s),
            Some(v) => {
                return Err(SecretError::new(
                    SETTING,
                    format!("expected a path, got {v}"),
                ));
            }
        };
        if !dir.is_dir() {
            return Err(SecretError::new(
                SETTING,
                format!("{} is not a directory", dir.display()),
            ));
        }
        Ok(Self { dir })
    }
}

/// A name that stays inside the directory.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl SecretSource for FileSource {
    fn kind(&self) -> &'static str {
        "files"
    }

    fn fetch<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Secret>, SecretError>> {
        Box::pin(async move {
            if !plain(name) {
                return Ok(None);
            }
            // The exact name, then lower case (`OPENAI_API_KEY` → `openai_api_key`).
            for candidate in [name.to_owned(), name.to_ascii_lowercase()] {
                let path = self.dir.join(&candidate);
                let read = {
                    let path = path.clone();
                    tokio::task::spawn_blocking(move || std::fs::read_to_string(path))
                        .await
                        .map_err(|e| SecretError::new(SETTING, format!("read task failed: {e}")))?
                };
                match read {
                    Ok(text) => {
                        let value = text
                            .strip_suffix("\r\n")
                            .or_else(|| text.strip_suffix('\n'))
                            .unwrap_or(&text);
                        return Ok(Some(Secret::from(value)));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(SecretError::new(
                            SETTING,
                            format!("cannot read {}: {e}", path.display()),
                        ));
                    }
                }
            }
            Ok(None)
        })
    }
}
