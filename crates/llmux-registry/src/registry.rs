//! [`Registry`]: the model map, and LiteLLM's rules for finding a model in it.

use std::{borrow::Cow, collections::HashMap};

use crate::{info::ModelInfo, providers::is_provider};

/// A model map, keyed like LiteLLM's `model_prices_and_context_window.json`
/// (`"gpt-4o-mini"`, `"gemini/gemini-2.5-flash"`, `"azure/gpt-4o"`, ...).
///
/// Every lookup is a handful of hash lookups; nothing scales with the number of models.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    models: HashMap<String, ModelInfo>,
    /// Lowercased key -> key, for keys with capitals, for LiteLLM's case-insensitive fallback.
    folded: HashMap<String, String>,
}

impl Registry {
    /// The entry stored under exactly `key`.
    pub fn get(&self, key: &str) -> Option<&ModelInfo> {
        self.models.get(key)
    }

    /// Finds a model the way LiteLLM's `get_model_info(model, custom_llm_provider)` does.
    ///
    /// `model` may carry a `provider/` prefix or not. With `provider` given, tries in order
    /// `provider/model`, `model`, `model` without its `provider/` prefix, then the same with
    /// a version or date suffix stripped (`gemini-2.5-flash-001` -> `gemini-2.5-flash`,
    /// `gpt-4o-2024-08-06` -> `gpt-4o`, `ft:gpt-4o:org::id` -> `ft:gpt-4o`), and last
    /// `provider/model` even when `model` already starts with `provider/`. Each name is
    /// tried exactly, then case-insensitively, and a hit only counts if the entry's
    /// `litellm_provider` is compatible with `provider` (equal, or one of LiteLLM's
    /// exceptions: `vertex_ai*`, `fireworks_ai*`, `bedrock*` families, `azure_ai` reusing
    /// `azure`/`openai` entries, and `litellm_proxy`, `github`, `nadir` matching anything).
    /// Without `provider`, a leading `name/` that is a LiteLLM provider is read as the
    /// provider. Returns `None` where LiteLLM raises "model isn't mapped yet".
    ///
    /// ```
    /// let registry = llmux_registry::builtin();
    /// let info = registry
    ///     .lookup("accounts/fireworks/models/firefunction-v2", Some("fireworks_ai"))
    ///     .unwrap();
    /// assert_eq!(info.key, "fireworks_ai/accounts/fireworks/models/firefunction-v2");
    /// assert_eq!(info.supports_function_calling, Some(true));
    ///
    /// let info = registry.lookup("openai/gpt-4o-mini", None).unwrap();
    /// assert_eq!(info.key, "gpt-4o-mini");
    /// assert!(registry.lookup("gpt-4o-mini", Some("anthropic")).is_none());
    /// ```
    pub fn lookup(&self, model: &str, provider: Option<&str>) -> Option<&ModelInfo> {
        let model = azure_alias(model).unwrap_or(model);
        let provider = match provider {
            Some("vertex_ai_beta") => Some("vertex_ai"),
            Some("") => None,
            other => other,
        };
        let names = PotentialNames::new(model, provider);
        names.in_order().find_map(|name| {
            self.find(name)
                .filter(|info| provider_matches(info, names.provider))
        })
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Whether there are no models.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// All entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &ModelInfo> {
        self.models.values()
    }

    /// Reads a map in LiteLLM's `model_prices_and_context_window.json` format (for tests:
    /// serde_json's default float parsing can be 1 ULP off for 17-digit literals, which
    /// `build.rs` avoids for the embedded map).
    #[cfg(test)]
    pub(crate) fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        use serde_json::{Map, Value};
        const NOT_MODELS: [&str; 2] = ["sample_spec", "fallback_generalizations"];
        let map: Map<String, Value> = serde_json::from_str(json)?;
        let mut registry = Registry::default();
        for (key, entry) in &map {
            if let (Value::Object(fields), false) = (entry, NOT_MODELS.contains(&key.as_str())) {
                let base = ModelInfo {
                    key: key.clone(),
                    ..ModelInfo::default()
                };
                registry.insert(base.with_overrides(fields));
            }
        }
        Ok(registry)
    }

    /// Reads the table `build.rs` writes: a header line of column names, then one
    /// tab-separated line per model.
    pub(crate) fn from_compact(table: &str) -> Result<Self, String> {
        let mut lines = table.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        let rows = table.bytes().filter(|b| *b == b'\n').count();
        let mut registry = Registry {
            models: HashMap::with_capacity(rows),
            folded: HashMap::new(),
        };
        for (number, line) in lines.enumerate() {
            let mut info = ModelInfo::default();
            for (&column, cell) in header.iter().zip(line.split('\t')) {
                if cell.is_empty() {
                    continue;
                }
                let bad = || format!("row {}: bad {column} {cell:?}", number + 1);
                match column {
                    "key" => info.key = cell.to_owned(),
                    "extra" => info.extra = serde_json::from_str(cell).map_err(|_| bad())?,
                    name => {
                        let filled = info.field(name).is_some_and(|field| field.set_cell(cell));
                        if !filled {
                            return Err(bad());
                        }
                    }
                }
            }
            registry.insert(info);
        }
        Ok(registry)
    }

    /// Adds or replaces the entry under `info.key`. As in LiteLLM, the case-insensitive
    /// match goes to the last key, in insertion order, with that lowercase form.
    fn insert(&mut self, info: ModelInfo) {
        if info.key.chars().any(char::is_uppercase) {
            self.folded
                .insert(info.key.to_lowercase(), info.key.clone());
        } else {
            // The key is its own lowercase form and now the last one with it.
            self.folded.remove(&info.key);
        }
        self.models.insert(info.key.clone(), info);
    }

    /// LiteLLM's `get_model_cost_key`: exact key, else case-insensitive.
    fn find(&self, name: &str) -> Option<&ModelInfo> {
        self.models.get(name).or_else(|| {
            let lower = name.to_lowercase();
            match self.folded.get(&lower) {
                Some(key) => self.models.get(key),
                None => self.models.get(&lower),
            }
        })
    }
}

/// The names LiteLLM's `get_potential_model_names` derives from a request's model and
/// provider.
struct PotentialNames<'a> {
    /// The provider entries must match: the given one, or the one a prefix names.
    provider: Option<&'a str>,
    model: &'a str,
    /// `provider/model`, or `model` when it already has the prefix.
    combined: Cow<'a, str>,
    /// `model` without the `provider/` prefix.
    split: &'a str,
    /// `stripped` with the `provider/` prefix.
    combined_stripped: Cow<'a, str>,
    /// `model` with its version or date suffix stripped.
    stripped: &'a str,
    /// `provider/model` even when `model` starts with `provider/`.
    provider_prefixed: Cow<'a, str>,
}

impl<'a> PotentialNames<'a> {
    fn new(model: &'a str, provider: Option<&'a str>) -> Self {
        let mut names = match provider {
            None => {
                let (split, provider) = match model.split_once('/') {
                    Some((prefix, rest)) if is_provider(prefix) => (rest, Some(prefix)),
                    _ => (model, None),
                };
                let stripped = strip_model_name(model, provider);
                PotentialNames {
                    provider,
                    model,
                    combined: Cow::Borrowed(model),
                    split,
                    combined_stripped: Cow::Borrowed(stripped),
                    stripped,
                    provider_prefixed: Cow::Borrowed(model),
                }
            }
            Some(provider) => {
                let rest = model
                    .strip_prefix(provider)
                    .and_then(|rest| rest.strip_prefix('/'));
                let split = rest.unwrap_or(model);
                let stripped = strip_model_name(split, Some(provider));
                let prefixed: Cow<'a, str> = format!("{provider}/{model}").into();
                PotentialNames {
                    provider: Some(provider),
                    model,
                    combined: if rest.is_some() {
                        Cow::Borrowed(model)
                    } else {
                        prefixed.clone()
                    },
                    split,
                    combined_stripped: format!("{provider}/{stripped}").into(),
                    stripped,
                    provider_prefixed: prefixed,
                }
            }
        };
        if matches!(names.provider, Some("bedrock" | "bedrock_converse")) {
            names.split = bedrock_model_id(names.split);
        }
        names
    }

    /// The order LiteLLM's `_get_model_info_helper` tries them in.
    fn in_order(&self) -> impl Iterator<Item = &str> {
        [
            &*self.combined,
            self.model,
            self.split,
            &*self.combined_stripped,
            self.stripped,
            &*self.provider_prefixed,
        ]
        .into_iter()
    }
}

/// LiteLLM's `azure_llms` / `azure_embedding_models` renames, applied before lookup.
fn azure_alias(model: &str) -> Option<&'static str> {
    Some(match model {
        "gpt-35-turbo" => "azure/gpt-35-turbo",
        "gpt-35-turbo-16k" => "azure/gpt-35-turbo-16k",
        "gpt-35-turbo-instruct" => "azure/gpt-35-turbo-instruct",
        "azure/gpt-41" => "gpt-4.1",
        "azure/gpt-41-mini" => "gpt-4.1-mini",
        "azure/gpt-41-nano" => "gpt-4.1-nano",
        "ada" => "azure/ada",
        _ => return None,
    })
}

/// LiteLLM's `_check_provider_match`: whether an entry may serve a request for `provider`.
fn provider_matches(info: &ModelInfo, provider: Option<&str>) -> bool {
    let (Some(wanted), Some(stored)) = (provider, info.litellm_provider.as_deref()) else {
        return true;
    };
    wanted == stored
        || (wanted == "vertex_ai" && stored.starts_with("vertex_ai"))
        || (wanted == "fireworks_ai" && stored.starts_with("fireworks_ai"))
        || (wanted.starts_with("bedrock") && stored.starts_with("bedrock"))
        || (wanted == "azure_ai" && matches!(stored, "azure" | "openai"))
        || matches!(wanted, "litellm_proxy" | "github" | "nadir")
}

/// LiteLLM's `_strip_model_name`: the model name without a version or date suffix.
fn strip_model_name<'a>(model: &'a str, provider: Option<&str>) -> &'a str {
    match provider {
        Some("bedrock" | "bedrock_converse") => bedrock_base_model(model),
        // re.sub(r"-\d+$", "", model)
        Some("vertex_ai" | "gemini" | "databricks") => match model.rsplit_once('-') {
            Some((head, version)) if is_digits(version) => head,
            _ => model,
        },
        // OpenAI fine-tune ids: re.sub(r"(:[^:]*){3}$", "", model)
        _ if model.contains("ft:") => match model.rmatch_indices(':').nth(2) {
            Some((at, _)) => &model[..at],
            None => model,
        },
        // re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model)
        _ => strip_dated_suffix(model),
    }
}

/// `model` without a trailing `-YYYY-MM-DD`.
fn strip_dated_suffix(model: &str) -> &str {
    let is_date = |s: &[u8]| {
        s.len() == 10
            && s.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            })
    };
    match model.len().checked_sub(11) {
        // The '-' is ASCII, so `at` is a char boundary.
        Some(at) if model.as_bytes()[at] == b'-' && is_date(&model.as_bytes()[at + 1..]) => {
            &model[..at]
        }
        _ => model,
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// LiteLLM's `strip_bedrock_routing_prefix`.
fn strip_bedrock_routing_prefix(mut model: &str) -> &str {
    for prefix in [
        "bedrock/",
        "chat_completions/",
        "converse/",
        "invoke/",
        "openai/",
        "mantle/",
        "nova-2/",
        "nova/",
    ] {
        if let Some(rest) = model.strip_prefix(prefix) {
            model = rest;
        }
    }
    model
}

/// The Bedrock model id LiteLLM looks up as `split_model`: routing prefixes removed, and the
/// model name taken out of an ARN (behind an optional `<region>/` path).
fn bedrock_model_id(model: &str) -> &str {
    let model = strip_bedrock_routing_prefix(model);
    let region_free = match model.split_once('/') {
        Some((region, rest)) if is_aws_region(region) => rest,
        _ => model,
    };
    if region_free.starts_with("arn:") {
        region_free.rsplit('/').next().unwrap_or(region_free)
    } else {
        model
    }
}

/// LiteLLM's `get_bedrock_base_model`: `us.anthropic.claude-...-v1:0:18k` ->
/// `anthropic.claude-...-v1:0`.
fn bedrock_base_model(model: &str) -> &str {
    let unrouted = ["bedrock/converse/", "bedrock/", "converse/"]
        .iter()
        .find_map(|prefix| model.strip_prefix(prefix))
        .unwrap_or(model);
    if unrouted.starts_with("nova-2/") {
        return "amazon.nova-2-custom";
    }
    if unrouted.starts_with("nova/") {
        return "amazon.nova-custom";
    }
    let mut model = strip_bedrock_routing_prefix(model);
    if model.to_lowercase().contains("arn") {
        model = model.rsplit('/').next().unwrap_or(model);
    }
    // re.sub(r"(:\d+):\d+k$", r"\1", model), then re.sub(r"\[\w+\]$", "", model)
    model = match model.rsplit_once(':') {
        Some((head, tail))
            if tail.strip_suffix('k').is_some_and(is_digits)
                && head.rsplit_once(':').is_some_and(|(_, v)| is_digits(v)) =>
        {
            head
        }
        _ => model,
    };
    if let Some((head, tail)) = model.strip_suffix(']').and_then(|m| m.rsplit_once('['))
        && !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        model = head;
    }
    let cross_region = ["global", "us", "eu", "apac", "jp", "au", "us-gov"];
    match (model.split_once('.'), model.split_once('/')) {
        (Some((region, rest)), _) if cross_region.contains(&region) => rest,
        (_, Some((region, rest))) if is_aws_region(region) => rest,
        _ => model,
    }
}

/// Whether `s` looks like an AWS region: `us-east-1`, `us-gov-west-1`, `ap-southeast-2`.
fn is_aws_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    (3..=4).contains(&parts.len())
        && first.len() == 2
        && is_digits(last)
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(json: &str) -> Registry {
        Registry::from_json(json).unwrap()
    }

    #[test]
    fn strip_rules_match_litellm_regexes() {
        assert_eq!(
            strip_model_name("gpt-4o-2024-08-06", Some("openai")),
            "gpt-4o"
        );
        assert_eq!(
            strip_model_name("gpt-4o-20240806", Some("openai")),
            "gpt-4o-20240806"
        );
        assert_eq!(
            strip_model_name("gemini-2.5-flash-001", Some("gemini")),
            "gemini-2.5-flash"
        );
        assert_eq!(
            strip_model_name("gemini-2.5-flash", Some("vertex_ai")),
            "gemini-2.5-flash"
        );
        assert_eq!(
            strip_model_name("ft:gpt-4o-mini-2024-07-18:org::id", None),
            "ft:gpt-4o-mini-2024-07-18"
        );
        assert_eq!(strip_model_name("ft:gpt-4o:org", None), "ft:gpt-4o:org");
        assert_eq!(
            strip_model_name("us.meta.llama3-2-11b-instruct-v1:0", Some("bedrock")),
            "meta.llama3-2-11b-instruct-v1:0"
        );
        assert_eq!(
            strip_model_name(
                "bedrock/converse/anthropic.claude-3-5-sonnet-20241022-v2:0:51k",
                Some("bedrock")
            ),
            "anthropic.claude-3-5-sonnet-20241022-v2:0"
        );
        assert_eq!(
            strip_model_name("us.anthropic.claude-opus-4-6-v1[1m]", Some("bedrock")),
            "anthropic.claude-opus-4-6-v1"
        );
        assert_eq!(
            strip_model_name("nova/arn:aws:x", Some("bedrock")),
            "amazon.nova-custom"
        );
    }

    #[test]
    fn bedrock_ids_and_regions() {
        assert!(is_aws_region("us-east-1") && is_aws_region("us-gov-west-1"));
        assert!(!is_aws_region("us") && !is_aws_region("anthropic.claude"));
        assert_eq!(
            bedrock_model_id("us-west-2/arn:aws:bedrock:us-west-2:1:foundation-model/anthropic.x"),
            "anthropic.x"
        );
        assert_eq!(
            bedrock_model_id("converse/us.anthropic.x"),
            "us.anthropic.x"
        );
    }

    #[test]
    fn provider_exceptions() {
        let entry = |p: &str| ModelInfo {
            litellm_provider: Some(p.into()),
            ..ModelInfo::default()
        };
        assert!(provider_matches(&entry("openai"), None));
        assert!(provider_matches(
            &entry("vertex_ai-language-models"),
            Some("vertex_ai")
        ));
        assert!(provider_matches(&entry("openai"), Some("azure_ai")));
        assert!(provider_matches(
            &entry("bedrock_converse"),
            Some("bedrock")
        ));
        assert!(provider_matches(&entry("anthropic"), Some("litellm_proxy")));
        assert!(!provider_matches(&entry("openai"), Some("anthropic")));
        assert!(!provider_matches(&entry("gemini"), Some("vertex_ai")));
    }

    #[test]
    fn lookup_order_prefers_provider_prefixed_key() {
        let r = registry(
            r#"{"m": {"litellm_provider": "p"}, "p/m": {"litellm_provider": "p"},
                "q/m": {"litellm_provider": "q"}}"#,
        );
        assert_eq!(r.lookup("m", Some("p")).unwrap().key, "p/m");
        assert_eq!(r.lookup("m", None).unwrap().key, "m");
        assert_eq!(r.lookup("q/m", Some("q")).unwrap().key, "q/m");
        // "r" is no provider of "m": the bare entry belongs to "p".
        assert!(r.lookup("m", Some("r")).is_none());
    }

    #[test]
    fn provider_prefix_repeated_in_model_id() {
        let r = registry(r#"{"perplexity/perplexity/x": {"litellm_provider": "perplexity"}}"#);
        let info = r.lookup("perplexity/x", Some("perplexity")).unwrap();
        assert_eq!(info.key, "perplexity/perplexity/x");
    }

    #[test]
    fn case_insensitive_fallback_takes_the_later_key() {
        let r = registry(r#"{"Model-A": {}, "MODEL-a": {"mode": "chat"}}"#);
        assert_eq!(r.lookup("model-a", None).unwrap().key, "MODEL-a");
        assert_eq!(r.get("Model-A").unwrap().key, "Model-A");
        assert!(r.get("model-a").is_none());
    }

    #[test]
    fn case_insensitive_fallback_prefers_a_later_lowercase_key() {
        let r = registry(r#"{"Model-A": {}, "model-a": {"mode": "chat"}}"#);
        assert_eq!(r.lookup("MODEL-A", None).unwrap().key, "model-a");
        let r = registry(r#"{"model-a": {}, "Model-A": {"mode": "chat"}}"#);
        assert_eq!(r.lookup("MODEL-A", None).unwrap().key, "Model-A");
        assert_eq!(r.lookup("model-a", None).unwrap().key, "model-a");
    }

    #[test]
    fn from_json_skips_non_models() {
        let r = registry(
            r#"{"sample_spec": {}, "fallback_generalizations": {"rules": []}, "x": 1, "m": {}}"#,
        );
        assert_eq!(r.len(), 1);
        assert!(Registry::from_json("[]").is_err());
    }

    #[test]
    fn compact_rows_are_checked() {
        let table = "key\tmax_tokens\tsupports_vision\textra\nm\t10\t1\t{\"a\":1}\n";
        let r = Registry::from_compact(table).unwrap();
        let info = r.get("m").unwrap();
        assert_eq!(
            (info.max_tokens, info.supports_vision),
            (Some(10), Some(true))
        );
        assert_eq!(info.extra["a"], 1);
        assert!(Registry::from_compact("key\tmax_tokens\nm\tten\n").is_err());
        assert!(Registry::from_compact("key\tcolour\nm\tred\n").is_err());
    }
}
