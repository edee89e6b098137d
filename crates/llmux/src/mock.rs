//! `mock_response`: answers without calling the provider, as LiteLLM's `mock_completion`.

use std::time::{SystemTime, UNIX_EPOCH};

use llmux_types::{
    ChatChunk, ChatResponse, Choice, ChunkChoice, CompletionChoice, CompletionResponse, Delta,
    Embedding, EmbeddingResponse, EmbeddingUsage, EmbeddingVector, Error, ErrorKind, FinishReason,
    JsonMap, ResponseMessage, Role, Usage,
};
use serde_json::Value;

/// What a mocked call answers with.
#[derive(Debug, Clone, PartialEq)]
pub enum MockResponse {
    /// The assistant's text.
    Text(String),
    /// A whole response object.
    Response(Box<ChatResponse>),
    /// An error, from LiteLLM's magic strings (`"litellm.RateLimitError"`, …).
    Error(ErrorKind, String),
    /// An embedding vector (LiteLLM's `mock_embedding` takes a list of floats).
    Embedding(Vec<f64>),
}

impl From<&str> for MockResponse {
    fn from(s: &str) -> Self {
        match s {
            "litellm.RateLimitError" => Self::Error(
                ErrorKind::RateLimit,
                "this is a mock rate limit error".into(),
            ),
            "litellm.ContextWindowExceededError" => Self::Error(
                ErrorKind::ContextWindowExceeded,
                "this is a mock context window exceeded error".into(),
            ),
            "litellm.InternalServerError" => Self::Error(
                ErrorKind::InternalServer,
                "this is a mock internal server error".into(),
            ),
            s if s.starts_with("Exception: content_filter_policy") => {
                Self::Error(ErrorKind::ContentPolicyViolation, s.to_owned())
            }
            other => Self::Text(other.to_owned()),
        }
    }
}

impl From<String> for MockResponse {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

/// LiteLLM's usage for mocked answers (`DEFAULT_MOCK_RESPONSE_*_TOKEN_COUNT`).
const MOCK_PROMPT_TOKENS: u64 = 10;
const MOCK_COMPLETION_TOKENS: u64 = 20;

impl MockResponse {
    /// From a JSON config or body value: a string, or a response object.
    pub fn from_json(v: &Value) -> Option<Self> {
        match v {
            Value::String(s) => Some(Self::from(s.as_str())),
            Value::Object(_) => serde_json::from_value(v.clone())
                .ok()
                .map(|r| Self::Response(Box::new(r))),
            Value::Array(items) => items
                .iter()
                .map(Value::as_f64)
                .collect::<Option<Vec<f64>>>()
                .map(Self::Embedding),
            _ => None,
        }
    }

    /// The mocked embeddings answer (LiteLLM's `mock_embedding`): the given vector, or
    /// 1536 zeros for a text mock; `"error"` is an error as in LiteLLM.
    pub fn embedding(&self, model: &str) -> Result<EmbeddingResponse, Error> {
        let vector = match self {
            Self::Error(kind, msg) => return Err(Error::new(*kind, msg.clone()).with_model(model)),
            Self::Embedding(v) => v.clone(),
            Self::Text(t) if t == "error" => {
                return Err(Error::new(ErrorKind::InternalServer, "Mock error").with_model(model));
            }
            Self::Text(_) => vec![0.0; 1536],
            Self::Response(_) => {
                return Err(Error::bad_request(
                    "mock_response for embeddings is a list of numbers, not a chat completion",
                )
                .with_param("mock_response"));
            }
        };
        Ok(EmbeddingResponse {
            object: "list".into(),
            data: vec![Embedding {
                object: "embedding".into(),
                index: 0,
                embedding: EmbeddingVector::Float(vector),
            }],
            model: model.to_owned(),
            usage: EmbeddingUsage {
                prompt_tokens: MOCK_PROMPT_TOKENS,
                total_tokens: MOCK_PROMPT_TOKENS,
                ..EmbeddingUsage::default()
            },
            extra: JsonMap::new(),
        })
    }

    /// The mocked text completion: the chat mock's choices as `text_completion` ones
    /// (LiteLLM's `text_completion` mocks through `completion`).
    pub fn completion(&self, model: &str, n: u32) -> Result<CompletionResponse, Error> {
        let chat = self.response(model, n)?;
        Ok(CompletionResponse {
            id: chat.id.replacen("chatcmpl-", "cmpl-", 1),
            object: "text_completion".into(),
            created: chat.created,
            model: chat.model,
            choices: chat
                .choices
                .into_iter()
                .map(|c| CompletionChoice {
                    text: c.message.content.unwrap_or_default(),
                    index: c.index,
                    logprobs: None,
                    finish_reason: c.finish_reason,
                    extra: JsonMap::new(),
                })
                .collect(),
            usage: chat.usage,
            extra: JsonMap::new(),
        })
    }

    /// The mocked text-completion stream: each choice's text in pieces of three
    /// characters, then its finish, as the chat stream is mocked.
    pub fn completion_chunks(&self, model: &str, n: u32) -> Result<Vec<CompletionResponse>, Error> {
        let whole = self.completion(model, n)?;
        let event = |choice: CompletionChoice| CompletionResponse {
            choices: vec![choice],
            usage: None,
            ..whole.clone()
        };
        let mut out = Vec::new();
        for choice in &whole.choices {
            let text: Vec<char> = choice.text.chars().collect();
            for piece in text.chunks(3) {
                out.push(event(CompletionChoice {
                    text: piece.iter().collect(),
                    finish_reason: None,
                    ..choice.clone()
                }));
            }
            out.push(event(CompletionChoice {
                text: String::new(),
                finish_reason: choice.finish_reason.clone().or(Some(FinishReason::Stop)),
                ..choice.clone()
            }));
        }
        Ok(out)
    }

    /// The mocked non-streamed answer for `model` with `n` choices.
    pub fn response(&self, model: &str, n: u32) -> Result<ChatResponse, Error> {
        match self {
            Self::Error(kind, msg) => Err(Error::new(*kind, msg.clone()).with_model(model)),
            Self::Embedding(_) => Err(Error::bad_request(
                "mock_response is a list of numbers (an embedding), not a completion",
            )
            .with_param("mock_response")),
            Self::Response(r) => Ok((**r).clone()),
            Self::Text(text) => Ok(ChatResponse {
                id: format!("chatcmpl-{}", uuid::Uuid::new_v4()),
                object: "chat.completion".into(),
                created: now(),
                model: model.to_owned(),
                choices: (0..n.max(1))
                    .map(|index| Choice {
                        index,
                        message: ResponseMessage::assistant_text(text.clone()),
                        finish_reason: Some(FinishReason::Stop),
                        extra: JsonMap::new(),
                    })
                    .collect(),
                usage: Some(Usage {
                    prompt_tokens: MOCK_PROMPT_TOKENS,
                    completion_tokens: MOCK_COMPLETION_TOKENS,
                    total_tokens: MOCK_PROMPT_TOKENS + MOCK_COMPLETION_TOKENS,
                    ..Usage::default()
                }),
                system_fingerprint: None,
                service_tier: None,
                extra: JsonMap::new(),
            }),
        }
    }

    /// The mocked stream: the text in pieces of three characters, as LiteLLM streams it,
    /// then a finish chunk and, if asked, a usage chunk.
    pub fn chunks(
        &self,
        model: &str,
        n: u32,
        include_usage: bool,
    ) -> Result<Vec<ChatChunk>, Error> {
        let resp = self.response(model, n)?;
        let id = resp.id.clone();
        let chunk = |choices: Vec<ChunkChoice>, usage: Option<Usage>| ChatChunk {
            id: id.clone(),
            object: "chat.completion.chunk".into(),
            created: resp.created,
            model: resp.model.clone(),
            choices,
            usage,
            system_fingerprint: None,
            service_tier: None,
            extra: JsonMap::new(),
        };
        let mut out = Vec::new();
        for choice in &resp.choices {
            let text: Vec<char> = choice
                .message
                .content
                .clone()
                .unwrap_or_default()
                .chars()
                .collect();
            for piece in text.chunks(3) {
                out.push(chunk(
                    vec![ChunkChoice {
                        index: choice.index,
                        delta: Delta {
                            role: Some(Role::Assistant),
                            content: Some(piece.iter().collect()),
                            ..Delta::default()
                        },
                        ..ChunkChoice::default()
                    }],
                    None,
                ));
            }
            out.push(chunk(
                vec![ChunkChoice {
                    index: choice.index,
                    finish_reason: choice.finish_reason.clone().or(Some(FinishReason::Stop)),
                    ..ChunkChoice::default()
                }],
                None,
            ));
        }
        if include_usage {
            out.push(chunk(Vec::new(), resp.usage.clone()));
        }
        Ok(out)
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_strings_are_errors() {
        let e = MockResponse::from("litellm.RateLimitError")
            .response("m", 1)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::RateLimit);
        assert_eq!(e.status.as_u16(), 429);
    }

    #[test]
    fn text_streams_in_three_character_pieces() {
        let chunks = MockResponse::from("Hello!!").chunks("m", 1, true).unwrap();
        let texts: Vec<_> = chunks
            .iter()
            .filter_map(|c| c.choices.first()?.delta.content.clone())
            .collect();
        assert_eq!(texts, vec!["Hel", "lo!", "!"]);
        assert!(chunks.last().unwrap().usage.is_some());
        let r = MockResponse::from("x").response("m", 2).unwrap();
        assert_eq!(r.choices.len(), 2);
        assert_eq!(r.usage.unwrap().total_tokens, 30);
    }
}
