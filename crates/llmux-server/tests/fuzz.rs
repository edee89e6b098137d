#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Property-based fuzzing (issue #7) of what the gateway parses before any provider is
//! involved: the config loader (any YAML/JSON document, keys from LiteLLM's config) and
//! LiteLLM's request keys (`timeout`, `num_retries`, `mock_response`, `metadata`, …) with
//! any values. Bounded by `PROPTEST_CASES`; findings are kept in `proptest-regressions/`.

use llmux::RequestKeys;
use llmux_server::config::Config;
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        prop::sample::select(keys).prop_map(str::to_owned),
        "[a-z_]{1,8}"
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just(1e20).prop_map(Value::from),
            Just(-1.0).prop_map(Value::from),
            Just(f64::MAX).prop_map(Value::from),
        ],
        prop_oneof![
            Just("os.environ/NOPE".to_owned()),
            Just("openai/gpt-4o-mini".to_owned()),
            Just("1e20".to_owned()),
            ".{0,10}"
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const CONFIG_KEYS: &[&str] = &[
    "model_list",
    "model_name",
    "litellm_params",
    "model",
    "api_base",
    "api_key",
    "timeout",
    "stream_timeout",
    "num_retries",
    "rpm",
    "tpm",
    "model_info",
    "router_settings",
    "routing_strategy",
    "litellm_settings",
    "general_settings",
    "master_key",
    "max_request_size_mb",
    "environment_variables",
    "cache",
    "cache_params",
    "fallbacks",
    "cooldown_time",
    "allowed_fails",
    "mock_response",
    "tenant_id",
    "client_id",
    "client_secret",
    "set_verbose",
];

const REQUEST_KEYS: &[&str] = &[
    "timeout",
    "stream_timeout",
    "num_retries",
    "max_retries",
    "mock_response",
    "mock_testing_fallbacks",
    "metadata",
    "fallbacks",
    "caching",
    "cache",
    "api_key",
    "api_base",
    "user",
    "tags",
    "drop_params",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn the_config_loader_never_panics(doc in json_value(CONFIG_KEYS)) {
        // JSON is YAML: the loader sees any document shape.
        let loaded = Config::from_yaml_str(&doc.to_string(), &|_| None);
        if let Ok(config) = loaded {
            let _ = config.warnings();
            let _ = config.unsupported_keys();
        }
    }

    #[test]
    fn the_config_loader_never_panics_on_model_lists(
        params in prop::collection::vec(json_value(CONFIG_KEYS), 0..3),
        settings in json_value(CONFIG_KEYS),
    ) {
        let doc = json!({
            "model_list": params.iter().map(|p| json!({"model_name": "m", "litellm_params": p}))
                .collect::<Vec<_>>(),
            "router_settings": settings,
            "litellm_settings": settings,
            "general_settings": settings,
        });
        if let Ok(config) = Config::from_yaml_str(&doc.to_string(), &|_| None) {
            let _ = config.warnings();
            let _ = config.unsupported_keys();
        }
    }

    #[test]
    fn the_config_loader_never_panics_on_any_text(text in "(.|\n){0,200}") {
        let _ = Config::from_yaml_str(&text, &|_| None);
    }

    #[test]
    fn request_keys_never_panic(body in json_value(REQUEST_KEYS)) {
        if let Value::Object(mut map) = body {
            let _ = RequestKeys::take_from(&mut map);
        }
    }
}

/// `PROPTEST_CASES` if set (the test script bounds the run with it), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
