//! Token counting with tiktoken, as LiteLLM's `token_counter` does it.
//!
//! The BPE tables are built once, on first use (tens of milliseconds), so the first
//! count of an encoding and any large count run on the blocking pool; small counts on a
//! loaded encoding run inline.

use std::sync::OnceLock;

use llmux_types::{Error, ErrorKind};
use tiktoken_rs::CoreBPE;

/// Texts up to this size are counted inline once their encoding is loaded.
const INLINE_BYTES: usize = 16 * 1024;

/// The BPEs LiteLLM's `openai_tokenizer` path uses, each built once on first use.
static O200K_BASE: OnceLock<Option<CoreBPE>> = OnceLock::new();
static CL100K_BASE: OnceLock<Option<CoreBPE>> = OnceLock::new();

/// One of the two encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    O200kBase,
    Cl100kBase,
}

impl Encoding {
    /// The encoding LiteLLM's `token_counter` picks for `model` (the provider-side name):
    /// models the price map lists as OpenAI's keep their name, anything else counts as
    /// `gpt-3.5-turbo`; then `o200k_base` for the gpt-4o family and whatever tiktoken maps
    /// to it (o1/o3/o4, gpt-4.1, gpt-4.5, gpt-5, …), `cl100k_base` for the rest. (LiteLLM
    /// uses a Hugging Face tokenizer for some open models; llmux counts those with
    /// `cl100k_base`.)
    pub(crate) fn for_model(model: &str) -> Self {
        use tiktoken_rs::tokenizer::{Tokenizer, get_tokenizer};
        let is_openai = crate::models::builtin()
            .get(model)
            .and_then(|info| info.litellm_provider.as_deref())
            == Some("openai");
        let name = if is_openai { model } else { "gpt-3.5-turbo" };
        let o200k = name.contains("gpt-4o")
            || matches!(
                get_tokenizer(name),
                Some(Tokenizer::O200kBase | Tokenizer::O200kHarmony)
            );
        if o200k {
            Self::O200kBase
        } else {
            Self::Cl100kBase
        }
    }

    fn cell(self) -> &'static OnceLock<Option<CoreBPE>> {
        match self {
            Self::O200kBase => &O200K_BASE,
            Self::Cl100kBase => &CL100K_BASE,
        }
    }

    /// The BPE, loading it on first use (slow: call off the runtime the first time).
    pub(crate) fn bpe(self) -> Result<&'static CoreBPE, Error> {
        self.cell()
            .get_or_init(|| match self {
                Self::O200kBase => tiktoken_rs::o200k_base().ok(),
                Self::Cl100kBase => tiktoken_rs::cl100k_base().ok(),
            })
            .as_ref()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InternalServer,
                    "the tiktoken encoding failed to load",
                )
            })
    }

    pub(crate) fn is_loaded(self) -> bool {
        self.cell().get().is_some()
    }
}

/// Tokens of `text` in `encoding`, special tokens counted as plain text (tiktoken's
/// `encode_ordinary`, as LiteLLM counts).
pub(crate) async fn count_ordinary(encoding: Encoding, text: String) -> Result<u64, Error> {
    let inline = encoding.is_loaded() && text.len() <= INLINE_BYTES;
    let count = move || encoding.bpe().map(|bpe| bpe.count_ordinary(&text) as u64);
    if inline {
        return count();
    }
    tokio::task::spawn_blocking(count).await.map_err(|e| {
        Error::new(
            ErrorKind::InternalServer,
            format!("token counting failed: {e}"),
        )
    })?
}

/// LiteLLM's `token_counter(model, text=…)`: the tokens of a bare prompt in `model`'s
/// encoding, with no message overheads (LiteLLM's 1024-character pieces).
pub async fn count_text_tokens(model: &str, text: String) -> Result<u64, Error> {
    let encoding = Encoding::for_model(model);
    let inline = encoding.is_loaded() && text.len() <= INLINE_BYTES;
    let count = move || {
        encoding
            .bpe()
            .map(|bpe| llmux_providers::messages_api::count_text(&text, &|t| bpe.count_ordinary(t)))
    };
    if inline {
        return count();
    }
    tokio::task::spawn_blocking(count).await.map_err(|e| {
        Error::new(
            ErrorKind::InternalServer,
            format!("token counting failed: {e}"),
        )
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_like_tiktoken() {
        // tiktoken.get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]
        assert_eq!(
            count_ordinary(Encoding::Cl100kBase, "hello world".into())
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            count_ordinary(Encoding::Cl100kBase, "<|endoftext|>".into())
                .await
                .unwrap(),
            7
        );
    }

    /// The checked-in corpus: counts made by Python's `tiktoken` (`encode_ordinary`) and
    /// LiteLLM's `token_counter` (messages with names, images, tool calls and tools;
    /// unicode, emoji, code, special-token text), see `tests/data/token_corpus.json`.
    const CORPUS: &str = include_str!("../tests/data/token_corpus.json");

    #[tokio::test]
    async fn texts_match_python_tiktoken() {
        let corpus: serde_json::Value = serde_json::from_str(CORPUS).unwrap();
        let texts = corpus["texts"].as_array().unwrap();
        assert!(texts.len() >= 9);
        for case in texts {
            let text = case["text"].as_str().unwrap();
            for (encoding, key) in [
                (Encoding::O200kBase, "o200k_base"),
                (Encoding::Cl100kBase, "cl100k_base"),
            ] {
                let n = count_ordinary(encoding, text.to_owned()).await.unwrap();
                assert_eq!(n, case[key].as_u64().unwrap(), "{key}: {text:?}");
            }
        }
    }

    #[tokio::test]
    async fn conversations_match_litellm_token_counter() {
        let corpus: serde_json::Value = serde_json::from_str(CORPUS).unwrap();
        for case in corpus["conversations"].as_array().unwrap() {
            let mut req = serde_json::Map::new();
            req.insert("messages".into(), case["messages"].clone());
            if let Some(tools) = case.get("tools") {
                req.insert("tools".into(), tools.clone());
            }
            for (model, expected) in case["expected"].as_object().unwrap() {
                let count = crate::count_message_tokens_locally(model, req.clone())
                    .await
                    .unwrap();
                assert_eq!(
                    count.input_tokens,
                    expected.as_u64().unwrap(),
                    "{model}: {}",
                    case["messages"]
                );
            }
        }
    }
}
