//! `Registry::lookup` against LiteLLM 1.108.7's `get_model_info` on the same map.
//!
//! Each line of the fixture is `[model, provider, key, generalized]`: the query, the map key
//! LiteLLM answered (`null` for "not mapped"), and the name LiteLLM answered from its regex
//! `fallback_generalizations` instead (which llmux does not apply, so it expects `None`).
//! Set `LLMUX_PARITY_FILE` to run a bigger fixture made the same way.

use llmux_registry::builtin;
use serde_json::Value;

/// Where llmux knowingly answers the map entry and LiteLLM does not: with no provider,
/// LiteLLM infers one from its own model lists, and for these it infers a provider the
/// entry does not match (`j2-*`/`jamba-*` -> `ai21_chat` vs the entries' `ai21`;
/// `azure/mistral-*` -> `openai`). llmux reads a provider only from a `provider/` prefix.
const KNOWN_DIFFERENCES: &[&str] = &[
    "azure/mistral-large-latest",
    "j2-light",
    "j2-mid",
    "j2-ultra",
    "jamba-1.5",
    "jamba-1.5-large",
    "jamba-1.5-large@001",
    "jamba-1.5-mini",
    "jamba-1.5-mini@001",
    "jamba-large-1.6",
    "jamba-large-1.7",
    "jamba-mini-1.6",
    "jamba-mini-1.7",
];

#[test]
fn lookup_agrees_with_litellm() {
    let text = match std::env::var("LLMUX_PARITY_FILE") {
        Ok(path) => std::fs::read_to_string(path).unwrap(),
        Err(_) => include_str!("litellm_parity.jsonl").to_owned(),
    };
    let mut mismatches = Vec::new();
    let mut rows = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Vec<Value> = serde_json::from_str(line).unwrap();
        let (model, provider, expected) =
            (row[0].as_str().unwrap(), row[1].as_str(), row[2].as_str());
        let got = builtin()
            .lookup(model, provider)
            .map(|info| info.key.as_str());
        let known = provider.is_none() && KNOWN_DIFFERENCES.contains(&model);
        if got != expected && !(known && got == Some(model)) {
            mismatches.push(format!(
                "{model:?} {provider:?}: got {got:?}, LiteLLM {expected:?}"
            ));
        }
        rows += 1;
    }
    assert!(rows > 0);
    assert!(
        mismatches.is_empty(),
        "{} of {rows} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
