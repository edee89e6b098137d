//! JSON text exactly as Python's `json.dumps(value, ensure_ascii=False)` writes it.
//!
//! LiteLLM turns Gemini's `functionCall.args` object into the OpenAI `arguments` string
//! with `json.dumps`, so clients see `{"location": "Paris"}` (a space after `:` and `,`),
//! not serde_json's compact form. Key order is the upstream's (serde_json keeps it with
//! `preserve_order`), floats are Python's `repr`.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// `json.dumps(value, ensure_ascii=False)`.
pub(crate) fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
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
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) {
    if n.is_i64() || n.is_u64() {
        out.push_str(&n.to_string());
    } else if let Some(f) = n.as_f64() {
        out.push_str(&float_repr(f));
    } else {
        out.push_str(&n.to_string());
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, positional for exponents in
/// `-4..16`, else `d.ddde+XX`.
pub(crate) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // Rust's `{:e}` is the shortest round-trip representation: "-1.2345e-7".
    let sci = format!("{f:e}");
    let (sign, rest) = match sci.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", sci.as_str()),
    };
    let Some((mantissa, exp)) = rest.split_once('e') else {
        return sci;
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return sci;
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.chars().all(|c| c == '0') {
        "0".to_owned()
    } else {
        digits
    };
    let n = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if (-4..16).contains(&exp) {
        let mut s = String::from(sign);
        if exp < 0 {
            s.push_str("0.");
            for _ in 0..(-exp - 1) {
                s.push('0');
            }
            s.push_str(&digits);
        } else if exp + 1 >= n {
            s.push_str(&digits);
            for _ in 0..(exp + 1 - n) {
                s.push('0');
            }
            s.push_str(".0");
        } else {
            let split = usize::try_from(exp + 1).unwrap_or(0);
            s.push_str(&digits[..split]);
            s.push('.');
            s.push_str(&digits[split..]);
        }
        s
    } else {
        let mut s = String::from(sign);
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        let _ = write!(s, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_get_python_separators_and_keep_key_order() {
        let v: Value = serde_json::from_str(r#"{"b": 1, "a": [true, null, "x"]}"#).unwrap();
        assert_eq!(dumps(&v), r#"{"b": 1, "a": [true, null, "x"]}"#);
        assert_eq!(
            dumps(&json!({"location": "Paris", "unit": "celsius"})),
            r#"{"location": "Paris", "unit": "celsius"}"#
        );
    }

    #[test]
    fn strings_keep_non_ascii_and_escape_controls() {
        assert_eq!(dumps(&json!("h\u{e9} \u{1f600}")), "\"h\u{e9} \u{1f600}\"");
        assert_eq!(dumps(&json!("a\"b\\c\n\u{1}")), r#""a\"b\\c\n\u0001""#);
    }

    #[test]
    fn floats_follow_python_repr() {
        for (f, py) in [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123.456, "123.456"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (42.0, "42.0"),
        ] {
            assert_eq!(float_repr(f), py, "{f}");
        }
    }
}
