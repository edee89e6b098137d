//! Panics: the last line of defence. No request path is meant to panic; when one does,
//! the process logs it once with its message and location and the client gets a 500 in
//! OpenAI's error shape.

use std::any::Any;
use std::panic::PanicHookInfo;

/// Replaces the default panic hook with one that logs through `tracing` (message and
/// location) and never captures a backtrace: with `RUST_BACKTRACE=1` the default hook
/// resolves one, which loads the binary's debug info and raises RSS for good (≈95 MiB
/// on the first caught panic).
pub fn install_hook() {
    std::panic::set_hook(Box::new(log_panic));
}

fn log_panic(info: &PanicHookInfo<'_>) {
    let message = message(info.payload());
    let location = info
        .location()
        .map_or_else(|| "unknown".to_owned(), ToString::to_string);
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed");
    tracing::error!(target: "llmux::panic", %location, thread, "panic: {message}");
}

/// The panic's message, when it is a string (as `panic!` and `unwrap` make it).
pub fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic payload that is not a string)")
}

/// The answer to a request whose handler panicked (`CatchPanicLayer`): a 500 in
/// OpenAI's shape. The hook has already logged where; this logs that a request got it.
pub fn answer(payload: Box<dyn Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let message = message(payload.as_ref());
    tracing::error!(target: "llmux::panic", "a request handler panicked ({message}); answered 500");
    crate::error::ApiError::from(llmux::Error::new(
        llmux::ErrorKind::InternalServer,
        "internal error in llmux",
    ))
    .into_response()
}
