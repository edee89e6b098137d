//! Two Python renderings of JSON values LiteLLM's entrance relies on.
//!
//! - [`json_dumps`]: `json.dumps(value)` with its defaults (`ensure_ascii=True`, `", "` and
//!   `": "` separators): how LiteLLM turns a `tool_use` block's `input` object into the
//!   OpenAI `arguments` string (`{"city": "Paris"}`, not serde's compact form).
//! - [`repr`]: `str(value)` of the parsed value (`{'city': 'Paris'}`): what LiteLLM's
//!   token counter counts for a dict-valued field such as `tool_use.input`.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// `json.dumps(value)`: ASCII-only, `", "` and `": "` separators, keys in order.
pub(crate) fn json_dumps(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_string(out, key);
                out.push_str(": ");
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal with every non-ASCII character as `\uXXXX` (surrogate pairs
/// beyond the BMP), as `ensure_ascii=True` writes it.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Python's `repr` of a number: integers as they are, floats with a `.0` when whole.
fn write_number(out: &mut String, n: &Number) {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64())
        && f.is_finite()
        && f.fract() == 0.0
        && f.abs() < 1e16
    {
        let _ = write!(out, "{f:.1}");
        return;
    }
    let _ = write!(out, "{n}");
}

/// `str(value)` of the Python object `json.loads` would give.
pub(crate) fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_repr_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr_string(out, key);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's string `repr`: single quotes unless the text has one and no double quote.
fn write_repr_string(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dumps_matches_python_defaults() {
        let v =
            json!({"city": "Zürich", "n": 2, "x": 1.0, "ok": true, "none": null, "l": [1, "a\"b"]});
        assert_eq!(
            json_dumps(&v),
            r#"{"city": "Z\u00fcrich", "n": 2, "x": 1.0, "ok": true, "none": null, "l": [1, "a\"b"]}"#
        );
        assert_eq!(json_dumps(&json!("😀")), r#""\ud83d\ude00""#);
        assert_eq!(json_dumps(&json!({})), "{}");
    }

    #[test]
    fn repr_matches_python_str_of_dict() {
        let v = json!({"q": "it's", "n": [1, 2.5, false, null], "s": "a'b\"c", "u": "é\n"});
        assert_eq!(
            repr(&v),
            r#"{'q': "it's", 'n': [1, 2.5, False, None], 's': 'a\'b"c', 'u': 'é\n'}"#
        );
    }
}
