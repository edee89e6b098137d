//! `json_lines`: every payload as one line of JSON, to stdout or appended to a file
//! (`callback_settings.json_lines.path`). Written on the sink's task through Tokio's
//! file I/O (the blocking pool), never on a request's task.

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::payload::StandardLoggingPayload;
use super::queue::Sink;

enum Out {
    Stdout(tokio::io::Stdout),
    File(tokio::fs::File),
}

/// The JSON-lines sink.
pub struct JsonLinesSink {
    path: Option<PathBuf>,
    // Only the sink's one worker writes; the lock makes `write(&self)` possible.
    out: Mutex<Out>,
}

impl std::fmt::Debug for JsonLinesSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLinesSink")
            .field("path", &self.path)
            .finish()
    }
}

impl JsonLinesSink {
    /// To stdout when `path` is `None`, else appending to the file (created if absent).
    pub fn open(path: Option<PathBuf>) -> std::io::Result<Self> {
        let out = match &path {
            None => Out::Stdout(tokio::io::stdout()),
            Some(p) => Out::File(tokio::fs::File::from_std(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            )),
        };
        Ok(Self {
            path,
            out: Mutex::new(out),
        })
    }

    /// From `callback_settings.json_lines` (`path`; absent or `stdout`: stdout).
    pub fn from_options(opts: &Map<String, Value>) -> Result<Self, (&'static str, String)> {
        let path = match opts.get("path") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "stdout" || s == "-" => None,
            Some(Value::String(s)) => Some(PathBuf::from(s)),
            Some(v) => return Err(("path", format!("expected a file path, got {v}"))),
        };
        Self::open(path.clone()).map_err(|e| {
            (
                "path",
                format!(
                    "cannot open {} for appending: {e}",
                    path.map(|p| p.display().to_string()).unwrap_or_default()
                ),
            )
        })
    }
}

impl Sink for JsonLinesSink {
    fn name(&self) -> &'static str {
        "json_lines"
    }

    fn write<'a>(&'a self, batch: &'a [Arc<StandardLoggingPayload>]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut buf = Vec::with_capacity(batch.len().saturating_mul(1024));
            for event in batch {
                if serde_json::to_writer(&mut buf, event.as_ref()).is_ok() {
                    buf.push(b'\n');
                }
            }
            let mut out = self.out.lock().await;
            let written = match &mut *out {
                Out::Stdout(s) => {
                    async {
                        s.write_all(&buf).await?;
                        s.flush().await
                    }
                    .await
                }
                Out::File(f) => {
                    async {
                        f.write_all(&buf).await?;
                        f.flush().await
                    }
                    .await
                }
            };
            if let Err(e) = written {
                tracing::warn!(callback = "json_lines", "cannot write log lines: {e}");
            }
        })
    }
}
