//! Tool-call ids, and Gemini thought signatures carried inside them.
//!
//! Gemini signs its reasoning (`thoughtSignature`) and wants the signature back on the
//! `functionCall` part when the conversation continues. OpenAI clients keep only the
//! tool-call id, so LiteLLM hides the signature in it: `call_<hex>__thought__<signature>`
//! (`encode_tool_call_id_with_signature`), and reads it back from the id (or from
//! `provider_specific_fields.thought_signature`) when the call comes back in history.

use llmux_types::ToolCall;
use serde_json::Value;

/// LiteLLM's `THOUGHT_SIGNATURE_SEPARATOR`.
pub(crate) const THOUGHT_SIGNATURE_SEPARATOR: &str = "__thought__";

/// `call_` + 28 lowercase hex digits, like LiteLLM's `call_{uuid4().hex[:28]}`.
///
/// LiteLLM draws them at random; the providers crate has no randomness, so the id is a
/// hash of the answer's id (itself random, from the caller) and the call's position:
/// unique per answer, identical for the streamed and the whole form of one answer.
pub(crate) fn tool_call_id(response_id: &str, index: usize) -> String {
    let a = fnv1a(0xcbf2_9ce4_8422_2325, response_id, index);
    let b = fnv1a(0x8422_2325_cbf2_9ce4, response_id, index ^ 0x5bd1_e995);
    format!("call_{a:016x}{:012x}", b & 0xffff_ffff_ffff)
}

fn fnv1a(seed: u64, text: &str, index: usize) -> u64 {
    let mut h = seed;
    for byte in text.bytes().chain(index.to_le_bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `id` with `signature` appended, if there is one.
pub(crate) fn encode(id: String, signature: Option<&str>) -> String {
    match signature {
        Some(sig) if !sig.is_empty() => format!("{id}{THOUGHT_SIGNATURE_SEPARATOR}{sig}"),
        _ => id,
    }
}

/// The thought signature a tool call from history carries: in
/// `provider_specific_fields.thought_signature`, else after `__thought__` in its id.
pub(crate) fn signature_of(call: &ToolCall) -> Option<String> {
    if let Some(sig) = call
        .extra
        .get("provider_specific_fields")
        .and_then(|p| p.get("thought_signature"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        return Some(sig.to_owned());
    }
    call.id
        .split_once(THOUGHT_SIGNATURE_SEPARATOR)
        .map(|(_, sig)| sig.to_owned())
}

/// Google's documented placeholder signature (`skip_thought_signature_validator`),
/// for history that never had one.
pub(crate) fn dummy_signature() -> String {
    "c2tpcF90aG91Z2h0X3NpZ25hdHVyZV92YWxpZGF0b3I=".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_litellm_and_differ_per_call_and_answer() {
        let a = tool_call_id("chatcmpl-1", 0);
        assert!(a.starts_with("call_"));
        assert_eq!(a.len(), 5 + 28);
        assert!(
            a[5..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, tool_call_id("chatcmpl-1", 1));
        assert_ne!(a, tool_call_id("chatcmpl-2", 0));
        assert_eq!(a, tool_call_id("chatcmpl-1", 0));
    }

    #[test]
    fn signatures_round_trip_through_ids() {
        let id = encode("call_x".into(), Some("c2ln+/=="));
        assert_eq!(id, "call_x__thought__c2ln+/==");
        let call: ToolCall = serde_json::from_value(serde_json::json!({
            "id": id, "type": "function", "function": {"name": "f", "arguments": "{}"}
        }))
        .unwrap();
        assert_eq!(signature_of(&call).as_deref(), Some("c2ln+/=="));
    }
}
