//! Lenient scalar deserializers: numbers and booleans may also be written as strings, as
//! LiteLLM accepts them (pydantic lax mode, `float(timeout)`, `os.environ/` values that are
//! always strings). Every error message names the offending value; the caller adds the path.

use serde::de::{Deserialize, Deserializer, Error};
use serde_json::Value;

/// A short rendering of `value` for error messages (JSON syntax, at most ~60 characters).
fn describe(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn invalid<E: Error>(expected: &str, value: &Value) -> E {
    E::custom(format!(
        "invalid type: expected {expected}, got {}",
        describe(value)
    ))
}

/// `null`/absent → `T::default()`; LiteLLM treats `model_list:` or `router_settings:` with
/// no value like an empty one.
pub fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A number, or a string that parses as a finite number (`"30"`, `"0.5"`).
pub fn opt_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    let Some(value) = Option::<Value>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let number = match &value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    };
    number.map(Some).ok_or_else(|| invalid("a number", &value))
}

/// A non-negative integer, an integral float (`3.0`), or a string holding an integer (`"3"`).
pub fn opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let Some(value) = Option::<Value>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let number = match &value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    number
        .map(Some)
        .ok_or_else(|| invalid("a non-negative integer", &value))
}

/// Like [`opt_u64`], limited to `u32`.
pub fn opt_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    match opt_u64(deserializer)? {
        None => Ok(None),
        Some(n) => u32::try_from(n).map(Some).map_err(|_| {
            D::Error::custom(format!(
                "invalid value: {n} is too large (at most {})",
                u32::MAX
            ))
        }),
    }
}

/// A boolean, or one of the strings pydantic accepts (`"true"`, `"yes"`, `"on"`, `"1"`, …;
/// PyYAML also reads unquoted `yes`/`no`/`on`/`off` as booleans), or the number 0/1.
pub fn opt_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    let Some(value) = Option::<Value>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let flag = match &value {
        Value::Null => return Ok(None),
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "on" | "1" => Some(true),
            "false" | "f" | "no" | "n" | "off" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    };
    flag.map(Some).ok_or_else(|| invalid("a boolean", &value))
}
