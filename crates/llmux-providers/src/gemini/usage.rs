//! `usageMetadata` → OpenAI usage, as LiteLLM's `VertexGeminiConfig._calculate_usage`:
//! per-modality `text_tokens` / `image_tokens` / … details, cached tokens taken out of the
//! text count, thought tokens as `reasoning_tokens` (added to the completion when Gemini
//! counts them apart), search-grounding tool tokens left unbilled.

use llmux_types::{CompletionTokensDetails, JsonMap, PromptTokensDetails, Usage};
use serde_json::{Value, json};

use super::types::{ModalityTokenCount, UsageMetadata};

/// Whether the grounding used Google Search or Maps, which Google bills per request and
/// not through `toolUsePromptTokenCount` (LiteLLM's `_response_has_search_grounding`).
fn has_billable_grounding(grounding: &[Value]) -> bool {
    grounding.iter().any(|item| {
        let queries = item
            .get("webSearchQueries")
            .and_then(Value::as_array)
            .is_some_and(|q| q.iter().any(|s| s.as_str().is_some_and(|s| !s.is_empty())));
        let maps = item
            .get("groundingChunks")
            .and_then(Value::as_array)
            .is_some_and(|c| c.iter().any(|c| c.get("maps").is_some()))
            || item
                .get("googleMapsWidgetContextToken")
                .is_some_and(|t| t.as_str().is_some_and(|s| !s.is_empty()));
        queries || maps
    })
}

#[derive(Debug, Default, Clone, Copy)]
struct Modalities {
    text: Option<u64>,
    audio: Option<u64>,
    image: Option<u64>,
    video: Option<u64>,
}

impl Modalities {
    fn add(&mut self, details: &[ModalityTokenCount], with_image_video: bool) {
        for d in details {
            let n = d.token_count.unwrap_or(0);
            let slot = match d.modality.to_ascii_uppercase().as_str() {
                "TEXT" | "DOCUMENT" => &mut self.text,
                "AUDIO" => &mut self.audio,
                "IMAGE" if with_image_video => &mut self.image,
                "VIDEO" if with_image_video => &mut self.video,
                _ => continue,
            };
            *slot = Some(slot.unwrap_or(0).saturating_add(n));
        }
    }
}

/// LiteLLM's `VertexGeminiConfig._calculate_usage`.
pub(crate) fn usage(meta: &UsageMetadata, grounding: &[Value]) -> Usage {
    let cached = meta.cached_content_token_count;
    let mut completion: Option<Modalities> = None;
    if let Some(details) = &meta.response_tokens_details {
        let mut m = Modalities::default();
        m.add(details, false);
        completion = Some(m);
    }
    if let Some(details) = &meta.candidates_tokens_details {
        completion
            .get_or_insert_with(Modalities::default)
            .add(details, true);
    }
    let candidates = meta.candidates_token_count.unwrap_or(0);
    if candidates > 0 {
        let m = completion.get_or_insert_with(Modalities::default);
        if m.text.is_none() {
            let other = m
                .image
                .unwrap_or(0)
                .saturating_add(m.audio.unwrap_or(0))
                .saturating_add(m.video.unwrap_or(0));
            m.text = Some(candidates.saturating_sub(other));
        }
    }
    let mut prompt = Modalities::default();
    if let Some(details) = &meta.prompt_tokens_details {
        prompt.add(details, true);
    }
    let mut cache = Modalities::default();
    if let Some(details) = &meta.cache_tokens_details {
        cache.add(details, true);
    }
    if let (Some(c), Some(t)) = (cached, prompt.text)
        && cache.text.is_none()
        && meta.cache_tokens_details.is_none()
    {
        prompt.text = Some(t.saturating_sub(c));
    }
    if let (Some(cv), Some(pv)) = (cache.video, prompt.video) {
        prompt.video = Some(pv.saturating_sub(cv));
    }
    let reasoning = meta.thoughts_token_count;
    let tool_use = meta.tool_use_prompt_token_count.filter(|n| *n > 0);
    let billable_tool_use = if has_billable_grounding(grounding) {
        0
    } else {
        tool_use.unwrap_or(0)
    };

    let mut prompt_details = PromptTokensDetails {
        cached_tokens: cached,
        extra: JsonMap::new(),
    };
    let put = |map: &mut JsonMap, key: &str, v: Option<u64>| {
        if let Some(v) = v {
            map.insert(key.to_owned(), json!(v));
        }
    };
    let mut cached_details = JsonMap::new();
    put(&mut cached_details, "text_tokens", cache.text);
    put(&mut cached_details, "audio_tokens", cache.audio);
    put(&mut cached_details, "image_tokens", cache.image);
    if !cached_details.is_empty() {
        prompt_details.extra.insert(
            "cached_tokens_details".into(),
            Value::Object(cached_details),
        );
    }
    put(&mut prompt_details.extra, "audio_tokens", prompt.audio);
    put(
        &mut prompt_details.extra,
        "text_tokens",
        prompt.text.map(|t| t.saturating_add(billable_tool_use)),
    );
    put(&mut prompt_details.extra, "image_tokens", prompt.image);
    put(&mut prompt_details.extra, "video_tokens", prompt.video);
    put(&mut prompt_details.extra, "tool_use_tokens", tool_use);
    let (web, maps) = grounding_requests(grounding);
    put(&mut prompt_details.extra, "web_search_requests", web);
    put(
        &mut prompt_details.extra,
        "google_maps_grounding_requests",
        maps,
    );

    // Upstream numbers: saturating, a huge count must not overflow.
    let inclusive = meta
        .prompt_token_count
        .unwrap_or(0)
        .saturating_add(candidates)
        .saturating_add(meta.tool_use_prompt_token_count.unwrap_or(0))
        == meta.total_token_count.unwrap_or(0);
    let mut completion_tokens = meta
        .response_token_count
        .filter(|n| *n > 0)
        .unwrap_or(candidates);
    if let Some(r) = reasoning.filter(|r| *r > 0)
        && !inclusive
    {
        completion_tokens = completion_tokens.saturating_add(r);
    }
    let mut completion_details = completion.map(|m| {
        let mut d = CompletionTokensDetails::default();
        put(&mut d.extra, "text_tokens", m.text);
        put(&mut d.extra, "audio_tokens", m.audio);
        put(&mut d.extra, "image_tokens", m.image);
        put(&mut d.extra, "video_tokens", m.video);
        d
    });
    if let Some(r) = reasoning {
        let d = completion_details.get_or_insert_with(CompletionTokensDetails::default);
        d.reasoning_tokens = Some(r);
        if r > 0 && !d.extra.contains_key("text_tokens") {
            let image = d
                .extra
                .get("image_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let audio = d
                .extra
                .get("audio_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let text =
                completion_tokens.saturating_sub(r.saturating_add(image).saturating_add(audio));
            d.extra.insert("text_tokens".into(), json!(text));
        }
    }
    let mut extra = JsonMap::new();
    if let Some(c) = cached {
        extra.insert("cache_read_input_tokens".into(), json!(c));
    }
    Usage {
        prompt_tokens: meta
            .prompt_token_count
            .unwrap_or(0)
            .saturating_add(billable_tool_use),
        completion_tokens,
        total_tokens: meta.total_token_count.unwrap_or(0),
        prompt_tokens_details: Some(prompt_details),
        completion_tokens_details: completion_details,
        extra,
    }
}

/// Billable Google Search queries and Maps requests (LiteLLM's `calculate_grounding_requests`).
fn grounding_requests(grounding: &[Value]) -> (Option<u64>, Option<u64>) {
    let kinds = |item: &Value| -> Vec<String> {
        item.get("groundingChunks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|c| c.keys().cloned())
            .collect()
    };
    let is_maps = |item: &Value| {
        kinds(item).iter().any(|k| k == "maps")
            || item.get("googleMapsWidgetContextToken").is_some_and(|t| {
                t.as_str().is_some_and(|s| !s.is_empty()) || t.as_bool() == Some(true)
            })
    };
    let mut web: Vec<&str> = Vec::new();
    let mut maps: Vec<&str> = Vec::new();
    for item in grounding.iter().filter(|i| i.is_object()) {
        let to_maps = is_maps(item) && !kinds(item).iter().any(|k| k == "web");
        for q in item
            .get("webSearchQueries")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|q| !q.is_empty())
        {
            let list = if to_maps { &mut maps } else { &mut web };
            if !list.contains(&q) {
                list.push(q);
            }
        }
    }
    let has_maps = grounding.iter().filter(|i| i.is_object()).any(is_maps);
    let count = |v: &Vec<&str>| u64::try_from(v.len()).unwrap_or(u64::MAX);
    (
        (!web.is_empty()).then(|| count(&web)),
        has_maps.then(|| count(&maps).max(1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(v: Value) -> UsageMetadata {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn usage_matches_litellm_for_text() {
        let u = usage(
            &meta(
                json!({"promptTokenCount": 12, "candidatesTokenCount": 9, "totalTokenCount": 21,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}]}),
            ),
            &[],
        );
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
                "prompt_tokens_details": {"text_tokens": 12},
                "completion_tokens_details": {"text_tokens": 9}})
        );
    }

    #[test]
    fn cached_and_thought_tokens() {
        let u = usage(
            &meta(
                json!({"promptTokenCount": 100, "candidatesTokenCount": 10, "totalTokenCount": 150,
                "cachedContentTokenCount": 60, "thoughtsTokenCount": 40,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 100}]}),
            ),
            &[],
        );
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150,
                "cache_read_input_tokens": 60,
                "prompt_tokens_details": {"cached_tokens": 60, "text_tokens": 40},
                "completion_tokens_details": {"reasoning_tokens": 40, "text_tokens": 10}})
        );
    }
}
