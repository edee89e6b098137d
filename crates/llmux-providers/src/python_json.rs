//! JSON values as Python writes them.
//!
//! LiteLLM turns provider tool-call inputs (Anthropic `tool_use.input`, Gemini
//! `functionCall.args`) into OpenAI `arguments` strings with `json.dumps`, whose output
//! differs from compact JSON: `", "` and `": "` separators, Python's float spelling
//! (`1e+16`, `1e-05`), and, by default, every non-ASCII character written as a `\u`
//! escape of four hex digits. Clients that compare argument strings byte for byte see the same text from llmux.
//! Its token counter also counts `str(dict)` of some fields, hence [`repr`].

use serde_json::{Number, Value};

/// `json.dumps(value)` with Python's defaults (`ensure_ascii=True`).
pub(crate) fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, true);
    out
}

/// `json.dumps(value, ensure_ascii=False)`: non-ASCII text kept as is.
pub(crate) fn dumps_unicode(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, false);
    out
}

fn write_value(out: &mut String, value: &Value, ascii: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s, ascii),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, ascii);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, key, ascii);
                out.push_str(": ");
                write_value(out, item, ascii);
            }
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, n: &Number) {
    match n.as_f64() {
        Some(f) if !(n.is_i64() || n.is_u64()) => out.push_str(&float_repr(f)),
        _ => out.push_str(&n.to_string()),
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, positional when the
/// decimal exponent is in `-4..16`, else `d.ddde±XX`.
pub(crate) fn float_repr(f: f64) -> String {
    // The shortest round-trip digits, whatever notation serde_json (ryu) chose.
    let text = Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string());
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    // Position of the decimal point from the start of `digits`.
    let mut point = int_part.len() as i64 + exponent;
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    point -= leading as i64;
    digits.truncate(digits.trim_end_matches('0').len());
    let sign = if negative { "-" } else { "" };
    if digits.is_empty() {
        return format!("{sign}0.0");
    }
    let exp10 = point - 1;
    let len = digits.len() as i64;
    let body = if (-4..16).contains(&exp10) {
        if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point >= len {
            format!("{digits}{}.0", "0".repeat((point - len) as usize))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{a}.{b}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp10 < 0 { '-' } else { '+' };
        format!("{first}{frac}e{exp_sign}{:02}", exp10.abs())
    };
    format!("{sign}{body}")
}

fn write_string(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            '\u{7f}' => out.push(c),
            c if !ascii && u32::from(c) >= 0x80 => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// `str(value)` of the Python object `json.loads` would give (`{'city': 'Paris'}`).
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
            c if u32::from(c) < 0x20 || u32::from(c) == 0x7f => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)))
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
    fn matches_python_defaults() {
        let v = json!({"location": "Paris", "unit": "celsius", "n": [1, 2.5, true, null]});
        assert_eq!(
            dumps(&v),
            r#"{"location": "Paris", "unit": "celsius", "n": [1, 2.5, true, null]}"#
        );
    }

    #[test]
    fn escapes_like_ensure_ascii() {
        let v = json!("h\u{e9}llo \u{1f600} \"q\" \\ \n\u{1}\u{7f}/");
        assert_eq!(
            dumps(&v),
            "\"h\\u00e9llo \\ud83d\\ude00 \\\"q\\\" \\\\ \\n\\u0001\u{7f}/\""
        );
    }

    #[test]
    fn floats_use_python_repr() {
        for (value, python) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
            (123456789012345.0, "123456789012345.0"),
            (-2.5e300, "-2.5e+300"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1234.5678, "1234.5678"),
        ] {
            assert_eq!(dumps(&json!(value)), python, "{value}");
        }
        assert_eq!(dumps(&json!(-7)), "-7");
        assert_eq!(dumps(&json!({})), "{}");
        assert_eq!(dumps(&json!([])), "[]");
    }

    #[test]
    fn unicode_variant_keeps_non_ascii_and_escapes_controls() {
        assert_eq!(
            dumps_unicode(&json!("h\u{e9} \u{1f600}")),
            "\"h\u{e9} \u{1f600}\""
        );
        assert_eq!(
            dumps_unicode(&json!("a\"b\\c\n\u{1}")),
            r#""a\"b\\c\n\u0001""#
        );
        assert_eq!(
            dumps_unicode(&json!({"b": 1, "a": [true, null]})),
            r#"{"b": 1, "a": [true, null]}"#
        );
    }

    #[test]
    fn repr_matches_python_str_of_dict() {
        let v = json!({"q": "it's", "n": [1, 2.5, false, null], "s": "a'b\"c", "u": "\u{e9}\n"});
        let want = "{'q': \"it's\", 'n': [1, 2.5, False, None], 's': 'a\\'b\"c', 'u': '\u{e9}\\n'}";
        assert_eq!(repr(&v), want);
    }
}
