//! The cache key, after LiteLLM's `Cache.get_cache_key`: a SHA-256 over the request's
//! parameters, with `model` replaced by the model group (or the `caching_groups` entry
//! holding it), prefixed by the namespace: `{namespace}:{hex}`.
//!
//! Where llmux is stricter than LiteLLM, on purpose: the parameters are hashed in name
//! order and nested objects with their keys sorted, so the key does not depend on the
//! order a client wrote its JSON in (LiteLLM concatenates them in the order it received
//! them); every value is length-prefixed and tagged with its type, so no two different
//! requests share a key (`"a": "1"` and `"a": 1` differ); parameters forwarded to a
//! provider (`top_k`, …) count too (LiteLLM leaves them out unless
//! `enable_caching_on_provider_specific_optional_params`), so requests that differ in
//! them never collide. `stream: false` is the same request as no `stream`. The call
//! type is hashed too: a chat and a text completion never share an entry.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Body keys that never change the answer (LiteLLM's `_get_exclude_kwargs`).
const EXCLUDED: &[&str] = &["metadata", "litellm_metadata"];

/// The key for `params` (a request body without LiteLLM's own keys), answered as
/// `model_value`, called as `call_type`.
pub fn cache_key(
    call_type: &str,
    params: &Map<String, Value>,
    model_value: &str,
    namespace: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    put_str(&mut h, call_type);
    let mut names: Vec<&String> = params
        .keys()
        .filter(|k| !EXCLUDED.contains(&k.as_str()) && k.as_str() != "model")
        .filter(|k| match params.get(k.as_str()) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(false)) => k.as_str() != "stream",
            Some(_) => true,
        })
        .collect();
    names.sort_unstable();
    put_str(&mut h, "model");
    put_str(&mut h, model_value);
    for name in names {
        if let Some(v) = params.get(name.as_str()) {
            put_str(&mut h, name);
            put_value(&mut h, v);
        }
    }
    let hex = format!("{:x}", h.finalize());
    match namespace.filter(|n| !n.is_empty()) {
        Some(ns) => format!("{ns}:{hex}"),
        None => hex,
    }
}

/// What `model` hashes as: the `caching_groups` entry holding the group (written as
/// LiteLLM's `str(tuple)` does), else the group itself.
pub fn model_value(group: &str, caching_groups: &[Vec<String>]) -> String {
    match caching_groups.iter().find(|g| g.iter().any(|m| m == group)) {
        Some(g) => {
            let items: Vec<String> = g.iter().map(|m| format!("'{m}'")).collect();
            format!("({})", items.join(", "))
        }
        None => group.to_owned(),
    }
}

fn put_len(h: &mut Sha256, n: usize) {
    h.update((n as u64).to_le_bytes());
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update(b"s");
    put_len(h, s.len());
    h.update(s.as_bytes());
}

fn put_value(h: &mut Sha256, v: &Value) {
    match v {
        Value::Null => h.update(b"z"),
        Value::Bool(true) => h.update(b"t"),
        Value::Bool(false) => h.update(b"f"),
        Value::Number(n) => {
            let s = n.to_string();
            h.update(b"n");
            put_len(h, s.len());
            h.update(s.as_bytes());
        }
        Value::String(s) => put_str(h, s),
        Value::Array(items) => {
            h.update(b"a");
            put_len(h, items.len());
            for item in items {
                put_value(h, item);
            }
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            h.update(b"o");
            put_len(h, keys.len());
            for k in keys {
                put_str(h, k);
                if let Some(v) = map.get(k.as_str()) {
                    put_value(h, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(v: Value) -> String {
        let map = v.as_object().cloned().unwrap();
        let model = map
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        cache_key("acompletion", &map, &model, None)
    }

    #[test]
    fn key_order_does_not_matter_at_any_depth() {
        let a = key(json!({"model": "m", "temperature": 0.2,
            "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object", "x": 1}}));
        let b = key(json!({"response_format": {"x": 1, "type": "json_object"},
            "messages": [{"content": "hi", "role": "user"}], "temperature": 0.2, "model": "m"}));
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn different_params_never_share_a_key() {
        let base = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        let variants = [
            json!({"model": "m2", "messages": [{"role": "user", "content": "hi"}]}),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi!"}]}),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 1}),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "top_k": 1}),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": true}),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "user": "1"}),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "user": 1}),
        ];
        let mut keys = vec![key(base.clone())];
        for v in variants {
            let k = key(v);
            assert!(!keys.contains(&k));
            keys.push(k);
        }
        // Metadata and an explicit `stream: false` do not change the answer.
        let mut same = base.clone();
        same["metadata"] = json!({"trace": 1});
        same["stream"] = json!(false);
        same["seed"] = Value::Null;
        assert_eq!(key(same), key(base.clone()));
        let map = base.as_object().cloned().unwrap();
        assert_ne!(
            cache_key("acompletion", &map, "m", None),
            cache_key("atext_completion", &map, "m", None)
        );
    }

    #[test]
    fn the_namespace_prefixes_the_hash_and_caching_groups_replace_the_model() {
        let map = json!({"model": "a", "messages": []})
            .as_object()
            .cloned()
            .unwrap();
        let k = cache_key("acompletion", &map, "a", Some("team"));
        assert!(k.starts_with("team:") && k.len() == 5 + 64);
        let groups = vec![vec!["a".to_owned(), "b".to_owned()]];
        assert_eq!(model_value("b", &groups), "('a', 'b')");
        assert_eq!(model_value("c", &groups), "c");
        assert_eq!(
            cache_key("acompletion", &map, &model_value("a", &groups), None),
            cache_key("acompletion", &map, &model_value("b", &groups), None)
        );
    }
}
