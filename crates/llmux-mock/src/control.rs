//! Path-prefix controls such as `/error/429/` or `/delay/50/`.

use axum::http::StatusCode;

/// Largest accepted `/chunks/{n}`.
const MAX_CHUNKS: usize = 100_000;
/// Largest accepted `/delay/{ms}` (10 minutes).
const MAX_DELAY_MS: u64 = 600_000;

/// An error the request should be answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ErrorControl {
    pub status: StatusCode,
    /// `/error/400_context`: a context-window error.
    pub context: bool,
}

/// The controls found at the start of a path.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Controls<'a> {
    /// The control segments as written, e.g. `/fail_first/2/error/500`.
    pub prefix: &'a str,
    pub error: Option<ErrorControl>,
    pub fail_first: Option<usize>,
    pub delay_ms: Option<u64>,
    pub chunks: Option<usize>,
    pub break_stream: bool,
    pub bad_json: bool,
    pub retry_after: Option<u64>,
}

/// Split the leading controls off `path`; returns them and the remaining route path.
pub(crate) fn parse(path: &str) -> Result<(Controls<'_>, &str), String> {
    let mut controls = Controls::default();
    let mut rest = path;
    loop {
        let (segment, after) = next_segment(rest);
        rest = match segment {
            "break_stream" => {
                controls.break_stream = true;
                after
            }
            "bad_json" => {
                controls.bad_json = true;
                after
            }
            "error" | "fail_first" | "delay" | "chunks" | "retry_after" => {
                let (arg, after) = next_segment(after);
                apply(&mut controls, segment, arg)
                    .ok_or_else(|| format!("invalid mock control /{segment}/{arg}"))?;
                after
            }
            _ => break,
        };
    }
    let (prefix, route) = path.split_at(path.len() - rest.len());
    controls.prefix = prefix;
    Ok((controls, if route.is_empty() { "/" } else { route }))
}

/// The first segment of `path` and the rest (which starts with `/` or is empty).
fn next_segment(path: &str) -> (&str, &str) {
    let path = path.strip_prefix('/').unwrap_or(path);
    match path.find('/') {
        Some(i) => path.split_at(i),
        None => (path, ""),
    }
}

fn apply(controls: &mut Controls<'_>, name: &str, arg: &str) -> Option<()> {
    match name {
        "error" => {
            let (code, context) = match arg {
                "400_context" => (400, true),
                code => (code.parse().ok()?, false),
            };
            let status = StatusCode::from_u16(code).ok()?;
            if !(status.is_client_error() || status.is_server_error()) {
                return None;
            }
            controls.error = Some(ErrorControl { status, context });
        }
        "fail_first" => controls.fail_first = Some(arg.parse().ok()?),
        "delay" => controls.delay_ms = Some(arg.parse::<u64>().ok()?.min(MAX_DELAY_MS)),
        "chunks" => controls.chunks = Some(arg.parse::<usize>().ok()?.min(MAX_CHUNKS)),
        _ => controls.retry_after = Some(arg.parse().ok()?),
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_controls() {
        let (c, route) = parse("/v1/chat/completions").unwrap();
        assert_eq!(c, Controls::default());
        assert_eq!(route, "/v1/chat/completions");
    }

    #[test]
    fn combined_controls() {
        let (c, route) =
            parse("/fail_first/2/error/400_context/delay/5/chunks/7/break_stream/v1/messages")
                .unwrap();
        assert_eq!(
            c.prefix,
            "/fail_first/2/error/400_context/delay/5/chunks/7/break_stream"
        );
        assert_eq!(c.fail_first, Some(2));
        assert_eq!(
            c.error,
            Some(ErrorControl {
                status: StatusCode::BAD_REQUEST,
                context: true
            })
        );
        assert_eq!(c.delay_ms, Some(5));
        assert_eq!(c.chunks, Some(7));
        assert!(c.break_stream);
        assert_eq!(route, "/v1/messages");
    }

    #[test]
    fn only_controls() {
        let (c, route) = parse("/bad_json").unwrap();
        assert!(c.bad_json);
        assert_eq!(route, "/");
    }

    #[test]
    fn invalid_controls() {
        assert!(parse("/error/abc/v1").is_err());
        assert!(parse("/error/200/v1").is_err());
        assert!(parse("/chunks").is_err());
        assert!(parse("/delay/-1/x").is_err());
    }
}
