//! Turns LiteLLM's model map (`data/model_prices_and_context_window.json`) into the compact
//! table the crate embeds (`$OUT_DIR/registry.tsv`, read by `src/registry.rs`).
//!
//! Format: a header line naming the columns, then one line per model. Columns are separated
//! by tabs: the map key, the typed fields of `ModelInfo` (an empty cell means absent; flags
//! are `1`/`0`; prices are written in Rust's shortest round-trip form), and last every other
//! field of the entry as one minified JSON object (empty when there is none). Entries keep
//! the file's order.

use std::{env, error::Error, fmt::Write as _, fs, path::PathBuf};

use serde_json::{Map, Value};

const SOURCE: &str = "data/model_prices_and_context_window.json";

/// Top-level entries that are not models: the field documentation and LiteLLM's
/// regex-based fallback rules.
const NOT_MODELS: [&str; 2] = ["sample_spec", "fallback_generalizations"];

/// Documentation-only fields (a pricing page URL, free-text notes), not embedded.
const DROPPED: [&str; 2] = ["source", "metadata"];

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Count,
    Price,
    Flag,
}

/// The typed columns, in `ModelInfo` field order. Must match `ModelInfo::field`.
const COLUMNS: [(&str, Kind); 22] = [
    ("litellm_provider", Kind::Text),
    ("mode", Kind::Text),
    ("max_tokens", Kind::Count),
    ("max_input_tokens", Kind::Count),
    ("max_output_tokens", Kind::Count),
    ("input_cost_per_token", Kind::Price),
    ("output_cost_per_token", Kind::Price),
    ("cache_read_input_token_cost", Kind::Price),
    ("cache_creation_input_token_cost", Kind::Price),
    ("output_cost_per_reasoning_token", Kind::Price),
    ("supports_function_calling", Kind::Flag),
    ("supports_parallel_function_calling", Kind::Flag),
    ("supports_tool_choice", Kind::Flag),
    ("supports_vision", Kind::Flag),
    ("supports_response_schema", Kind::Flag),
    ("supports_reasoning", Kind::Flag),
    ("supports_prompt_caching", Kind::Flag),
    ("supports_system_messages", Kind::Flag),
    ("supports_pdf_input", Kind::Flag),
    ("supports_audio_input", Kind::Flag),
    ("supports_audio_output", Kind::Flag),
    ("supports_web_search", Kind::Flag),
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed={SOURCE}");
    println!("cargo::rerun-if-changed=build.rs");

    let text = fs::read_to_string(SOURCE).map_err(|e| format!("{SOURCE}: {e}"))?;
    let map: Map<String, Value> =
        serde_json::from_str(&text).map_err(|e| format!("{SOURCE}: {e}"))?;
    let mut out = String::with_capacity(1 << 20);
    out.push_str("key");
    for (name, _) in COLUMNS {
        out.push('\t');
        out.push_str(name);
    }
    out.push_str("\textra\n");

    for (key, entry) in &map {
        if NOT_MODELS.contains(&key.as_str()) {
            continue;
        }
        let Value::Object(fields) = entry else {
            return Err(format!("{key}: entry is not an object").into());
        };
        push_text(&mut out, key).map_err(|e| format!("{key}: {e}"))?;
        for (name, kind) in COLUMNS {
            out.push('\t');
            if let Some(value) = fields.get(name) {
                push_cell(&mut out, value, kind).map_err(|e| format!("{key}.{name}: {e}"))?;
            }
        }
        let extra: Map<String, Value> = fields
            .iter()
            .filter(|(name, _)| {
                !DROPPED.contains(&name.as_str()) && !COLUMNS.iter().any(|(c, _)| c == name)
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        out.push('\t');
        if !extra.is_empty() {
            // Minified JSON escapes tabs and newlines inside strings, so it stays one cell.
            out.push_str(&serde_json::to_string(&extra)?);
        }
        out.push('\n');
    }

    let dest = PathBuf::from(env::var("OUT_DIR")?).join("registry.tsv");
    fs::write(dest, out)?;
    Ok(())
}

fn push_text(out: &mut String, text: &str) -> Result<(), String> {
    if text.contains(['\t', '\n', '\r']) {
        return Err(format!("{text:?} contains a tab or line break"));
    }
    out.push_str(text);
    Ok(())
}

fn push_cell(out: &mut String, value: &Value, kind: Kind) -> Result<(), String> {
    match (kind, value) {
        // LiteLLM reads a null field the same as a missing one.
        (_, Value::Null) => {}
        (Kind::Text, Value::String(s)) => push_text(out, s)?,
        (Kind::Count, Value::Number(n)) => {
            let count = n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..9.0e15).contains(f))
                    .map(|f| f as u64)
            });
            let count = count.ok_or_else(|| format!("{n} is not a token count"))?;
            write!(out, "{count}").map_err(|e| e.to_string())?;
        }
        (Kind::Price, Value::Number(n)) => {
            let price = n.as_f64().ok_or_else(|| format!("{n} is not a price"))?;
            write!(out, "{price:?}").map_err(|e| e.to_string())?;
        }
        (Kind::Flag, Value::Bool(b)) => out.push(if *b { '1' } else { '0' }),
        _ => return Err(format!("unexpected value {value}")),
    }
    Ok(())
}
