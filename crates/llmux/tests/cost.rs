#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
//! Cost per provider family: a real answer body through the provider's parser, priced by
//! `Deployment::cost` (the one cost function) against prices read off the registry
//! (`model_prices_and_context_window.json`) and multiplied out by hand here. These are
//! the usage shapes LiteLLM has billed wrong: cached reads and cache writes counted once,
//! reasoning inside the completion, the 200k-token tier for the whole call.

use llmux::{CallOptions, Deployment, ParseContext};

fn deployment(model: &str, opts: &CallOptions) -> Deployment {
    Deployment::from_options_with_env(model, opts, &|_| Some("k".to_owned())).unwrap()
}

fn priced(model: &str, body: &str) -> f64 {
    let d = deployment(model, &CallOptions::default());
    let ctx = ParseContext {
        created: 1,
        response_id: "chatcmpl-test",
    };
    let answer = d
        .provider
        .parse_chat_response(body.as_bytes(), &ctx)
        .unwrap();
    d.cost(answer.usage.as_ref().unwrap()).unwrap()
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-12,
        "{actual} != {expected}"
    );
}

#[test]
fn anthropic_cache_reads_and_writes_are_not_billed_twice() {
    // claude-sonnet-4-5: input 3e-6, output 1.5e-5, cache read 3e-7, cache write 3.75e-6.
    // Anthropic's input_tokens (10) excludes the 7 read and 3 written tokens.
    let body = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",
        "content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn",
        "usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":3,"cache_read_input_tokens":7}}"#;
    let expected = 10.0 * 3e-6 + 7.0 * 3e-7 + 3.0 * 3.75e-6 + 5.0 * 1.5e-5;
    close(priced("anthropic/claude-sonnet-4-5", body), expected);
}

#[test]
fn openai_cached_prompt_tokens_are_priced_at_the_cache_read_price() {
    // gpt-4o: input 2.5e-6, cache read 1.25e-6, output 1e-5; cached tokens are part of
    // prompt_tokens.
    let body = r#"{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o",
        "choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
        "usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200,
                 "prompt_tokens_details":{"cached_tokens":600}}}"#;
    let expected = 400.0 * 2.5e-6 + 600.0 * 1.25e-6 + 200.0 * 1e-5;
    close(priced("openai/gpt-4o", body), expected);
}

#[test]
fn openai_reasoning_tokens_are_inside_the_completion() {
    // o3-mini: input 1.1e-6, cache read 5.5e-7, output 4.4e-6, no separate reasoning
    // price: the 150 reasoning tokens are 150 of the 200 completion tokens, at the output
    // price, counted once.
    let body = r#"{"id":"c","object":"chat.completion","created":1,"model":"o3-mini",
        "choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
        "usage":{"prompt_tokens":100,"completion_tokens":200,"total_tokens":300,
                 "prompt_tokens_details":{"cached_tokens":40},
                 "completion_tokens_details":{"reasoning_tokens":150}}}"#;
    let expected = 60.0 * 1.1e-6 + 40.0 * 5.5e-7 + 50.0 * 4.4e-6 + 150.0 * 4.4e-6;
    close(priced("openai/o3-mini", body), expected);
}

fn gemini_body(prompt: u64, candidates: u64, thoughts: u64, cached: u64) -> String {
    format!(
        r#"{{"candidates":[{{"content":{{"parts":[{{"text":"hi"}}],"role":"model"}},"finishReason":"STOP"}}],
        "usageMetadata":{{"promptTokenCount":{prompt},"candidatesTokenCount":{candidates},
          "thoughtsTokenCount":{thoughts},"cachedContentTokenCount":{cached},
          "totalTokenCount":{}}},"modelVersion":"gemini"}}"#,
        prompt + candidates + thoughts
    )
}

#[test]
fn gemini_thoughts_and_cached_content() {
    // gemini-2.5-flash: input 3e-7, cache read 3e-8, output 2.5e-6, reasoning 2.5e-6.
    let body = gemini_body(1000, 100, 50, 400);
    let expected = 600.0 * 3e-7 + 400.0 * 3e-8 + 100.0 * 2.5e-6 + 50.0 * 2.5e-6;
    close(priced("gemini/gemini-2.5-flash", &body), expected);
}

#[test]
fn gemini_prompts_over_200k_tokens_use_the_tier_prices_for_the_whole_call() {
    // gemini-2.5-pro above 200k: input 2.5e-6, cache read 2.5e-7, output 1.5e-5 (the
    // reasoning tokens too: no reasoning price).
    let body = gemini_body(250_000, 100, 50, 1000);
    let expected = 249_000.0 * 2.5e-6 + 1000.0 * 2.5e-7 + 100.0 * 1.5e-5 + 50.0 * 1.5e-5;
    close(priced("gemini/gemini-2.5-pro", &body), expected);
    // At 200k exactly, the base prices: input 1.25e-6, cache read 1.25e-7, output 1e-5.
    let body = gemini_body(200_000, 100, 0, 0);
    close(
        priced("gemini/gemini-2.5-pro", &body),
        200_000.0 * 1.25e-6 + 100.0 * 1e-5,
    );
}

#[test]
fn model_info_prices_override_the_registry_and_price_unmapped_models() {
    let mut opts = CallOptions::default();
    opts.model_info
        .insert("input_cost_per_token".into(), serde_json::json!(1e-6));
    opts.model_info
        .insert("output_cost_per_token".into(), serde_json::json!(2e-6));
    let usage = llmux::Usage {
        prompt_tokens: 12,
        completion_tokens: 9,
        total_tokens: 21,
        ..llmux::Usage::default()
    };
    let mapped = deployment("openai/gpt-4o-mini", &opts);
    close(mapped.cost(&usage).unwrap(), 12.0 * 1e-6 + 9.0 * 2e-6);
    let unmapped = deployment("openai/my-private-finetune", &opts);
    close(unmapped.cost(&usage).unwrap(), 12.0 * 1e-6 + 9.0 * 2e-6);
    let unpriced = deployment("openai/my-private-finetune", &CallOptions::default());
    assert_eq!(unpriced.cost(&usage), None);
}
