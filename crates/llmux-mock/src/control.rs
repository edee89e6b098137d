//! Path-prefix controls such as `/error/429/` or `/delay/50/`.

use axum::http::StatusCode;

/// Largest accepted `/chunks/{n}`.
const MAX_CHUNKS: usize = 100_000;
/// Largest accepted `/pad/{kib}` (1 GiB).
const MAX_HUGE_KIB: usize = 1 << 20;
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
    /// `/retry_after/{value}`: sent as written, so tests can send `1e20`, `-5` or `soon`.
    pub retry_after: Option<&'a str>,
    /// A 200 body fault (`/truncated`, `/html`, `/wrong_shape`, `/fake_gzip`).
    pub body_fault: Option<BodyFault>,
    /// A stream fault (`/bad_event`, `/cut_stream`, `/stall_stream/{ms}`).
    pub stream_fault: Option<StreamFault>,
    /// `/pace/{ms}`: sleep this long before each stream event.
    pub pace_ms: Option<u64>,
    /// `/pad/{kib}`: a whole answer padded to about this many KiB; in streams, an
    /// endless line of this many KiB after the first content event.
    pub huge_kib: Option<usize>,
}

/// A 200 answer whose body is wrong in one way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyFault {
    /// The usual JSON answer cut in half.
    Truncated,
    /// An HTML error page (a proxy's), status 200.
    Html,
    /// Valid JSON that is not the expected object.
    WrongShape,
    /// The usual answer, uncompressed, labelled `content-encoding: gzip`.
    FakeGzip,
    /// The headers at once, then half the usual answer, a pause of this many ms, the rest.
    StallBody(u64),
}

/// A stream that goes wrong after its first content event (so after the gateway has
/// sent its 200 and first chunks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamFault {
    /// An event whose data is not JSON, then the rest of the stream.
    BadEvent,
    /// A clean end of the body (complete chunked encoding) with no terminating event.
    Cut,
    /// A pause of this many ms, then the rest.
    Stall(u64),
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
            "truncated" | "html" | "wrong_shape" | "fake_gzip" => {
                controls.body_fault = Some(match segment {
                    "truncated" => BodyFault::Truncated,
                    "html" => BodyFault::Html,
                    "wrong_shape" => BodyFault::WrongShape,
                    _ => BodyFault::FakeGzip,
                });
                after
            }
            "bad_event" => {
                controls.stream_fault = Some(StreamFault::BadEvent);
                after
            }
            "cut_stream" => {
                controls.stream_fault = Some(StreamFault::Cut);
                after
            }
            "retry_after" => {
                let (arg, after) = next_segment(after);
                if arg.is_empty() {
                    return Err("invalid mock control /retry_after/".to_owned());
                }
                controls.retry_after = Some(arg);
                after
            }
            "error" | "fail_first" | "delay" | "chunks" | "stall_stream" | "stall_body"
            | "pace" | "pad" => {
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
    let ms = |arg: &str| arg.parse::<u64>().ok().map(|ms| ms.min(MAX_DELAY_MS));
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
        "delay" => controls.delay_ms = Some(ms(arg)?),
        "stall_stream" => controls.stream_fault = Some(StreamFault::Stall(ms(arg)?)),
        "pace" => controls.pace_ms = Some(ms(arg)?),
        "pad" => controls.huge_kib = Some(arg.parse::<usize>().ok()?.min(MAX_HUGE_KIB)),
        "stall_body" => controls.body_fault = Some(BodyFault::StallBody(ms(arg)?)),
        _ => controls.chunks = Some(arg.parse::<usize>().ok()?.min(MAX_CHUNKS)),
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
        assert!(parse("/stall_stream/x/v1").is_err());
    }

    #[test]
    fn fault_controls() {
        let (c, route) =
            parse("/retry_after/1e20/wrong_shape/stall_stream/300/pace/5/v1/chat/completions")
                .unwrap();
        assert_eq!(c.retry_after, Some("1e20"));
        assert_eq!(c.body_fault, Some(BodyFault::WrongShape));
        assert_eq!(c.stream_fault, Some(StreamFault::Stall(300)));
        assert_eq!(c.pace_ms, Some(5));
        assert_eq!(route, "/v1/chat/completions");
        let (c, _) = parse("/retry_after/-5/cut_stream/v1").unwrap();
        assert_eq!(c.retry_after, Some("-5"));
        assert_eq!(c.stream_fault, Some(StreamFault::Cut));
    }
}
