//! Legacy text completions (`/v1/completions`) for models served through chat only, as
//! LiteLLM's `text_completion()` does it: the prompt becomes user messages, the call is
//! a chat completion, and its answer (or each stream chunk) is rewritten as a
//! `text_completion` object (`convert_chat_to_text_completion`,
//! `TextCompletionStreamWrapper.convert_to_text_completion_object`).

use llmux_types::{
    ChatChunk, ChatRequest, ChatResponse, CompletionChoice, CompletionPrompt, CompletionRequest,
    CompletionResponse, Error,
};
use serde_json::{Value, json};

use crate::Provider;

/// LiteLLM's providers that serve `/v1/completions` themselves
/// (`openai_text_completion_compatible_providers`).
const TEXT_COMPLETION_PROVIDERS: &[&str] = &[
    "together_ai",
    "fireworks_ai",
    "hosted_vllm",
    "meta_llama",
    "llamafile",
    "featherless_ai",
    "nebius",
    "dashscope",
    "qwencloud",
    "qwen_ai_platform",
    "modelscope",
    "moonshot",
    "publicai",
    "synthetic",
    "tensormesh",
    "apertis",
    "nano-gpt",
    "poe",
    "chutes",
    "v0",
    "lambda_ai",
    "hyperbolic",
    "wandb",
];

impl Provider {
    /// Whether a text completion on this provider goes to its own `/completions`
    /// endpoint; otherwise it is bridged to chat. `chat_model` is whether the model map
    /// lists the model as a chat model (LiteLLM sends OpenAI's chat models through chat).
    pub fn serves_text_completions(self, chat_model: bool) -> bool {
        match self {
            Self::OpenAi | Self::Azure => !chat_model,
            Self::Compat(row) => TEXT_COMPLETION_PROVIDERS.contains(&row.id),
            _ => false,
        }
    }
}

/// The chat request a text completion becomes: the prompt as one user message (a list
/// of prompts as one user message each, in order), every other field as sent.
pub fn completion_as_chat(req: &CompletionRequest) -> Result<ChatRequest, Error> {
    let messages: Vec<Value> = match &req.prompt {
        CompletionPrompt::Text(text) => vec![json!({"role": "user", "content": text})],
        CompletionPrompt::Texts(texts) if !texts.is_empty() => texts
            .iter()
            .map(|t| json!({"role": "user", "content": t}))
            .collect(),
        CompletionPrompt::Texts(_) | CompletionPrompt::Tokens(_) => {
            return Err(Error::bad_request(
                "this model answers text completions through chat, which takes a prompt as a \
                 string or a list of strings, not token ids",
            )
            .with_param("prompt"));
        }
    };
    let mut body = serde_json::to_value(req)
        .map_err(|e| Error::bad_request(format!("cannot encode request: {e}")))?;
    if let Some(o) = body.as_object_mut() {
        o.remove("prompt");
        o.insert("messages".into(), Value::Array(messages));
    }
    let mut chat: ChatRequest = serde_json::from_value(body).map_err(|e| {
        Error::bad_request(format!(
            "this model answers text completions through chat, which cannot take this request: {e}"
        ))
    })?;
    // LiteLLM's text_completion() leaves `stream` unset rather than false.
    chat.omit_stream_default = true;
    Ok(chat)
}

/// A chat answer as a text completion: each choice's content as its text.
pub fn chat_as_completion(resp: ChatResponse) -> CompletionResponse {
    CompletionResponse {
        id: resp.id,
        object: "text_completion".into(),
        created: resp.created,
        model: resp.model,
        choices: resp
            .choices
            .into_iter()
            .map(|c| CompletionChoice {
                text: c.message.content.unwrap_or_default(),
                index: c.index,
                logprobs: None,
                finish_reason: c.finish_reason,
                extra: Default::default(),
            })
            .collect(),
        usage: resp.usage,
        extra: Default::default(),
    }
}

/// A chat stream chunk as a text-completion chunk (usage as the chunk carries it: the
/// chat stream already left it out unless the client asked for it).
pub fn chunk_as_completion(chunk: ChatChunk) -> CompletionResponse {
    CompletionResponse {
        id: chunk.id,
        object: "text_completion".into(),
        created: chunk.created,
        model: chunk.model,
        choices: chunk
            .choices
            .into_iter()
            .map(|c| CompletionChoice {
                text: c.delta.content.unwrap_or_default(),
                index: c.index,
                logprobs: None,
                finish_reason: c.finish_reason,
                extra: Default::default(),
            })
            .collect(),
        usage: chunk.usage,
        extra: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compat;

    fn completion(v: Value) -> CompletionRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn who_serves_text_completions() {
        assert!(Provider::OpenAi.serves_text_completions(false));
        assert!(!Provider::OpenAi.serves_text_completions(true));
        assert!(
            Provider::Compat(compat::find("together_ai").unwrap()).serves_text_completions(true)
        );
        assert!(!Provider::Compat(compat::find("groq").unwrap()).serves_text_completions(false));
        assert!(!Provider::Anthropic.serves_text_completions(false));
        assert!(!Provider::Gemini.serves_text_completions(false));
    }

    #[test]
    fn prompts_become_user_messages_and_params_carry_over() {
        let chat = completion_as_chat(&completion(json!({
            "model": "m", "prompt": "Say hi", "max_tokens": 5, "temperature": 0.2,
            "stop": ["\n"], "presence_penalty": 0.5, "stream": true
        })))
        .unwrap();
        let v = serde_json::to_value(&chat).unwrap();
        assert_eq!(
            v["messages"],
            json!([{"role": "user", "content": "Say hi"}])
        );
        assert_eq!(v["max_tokens"], 5);
        assert_eq!(v["temperature"], 0.2);
        assert_eq!(v["stop"], json!(["\n"]));
        assert_eq!(v["presence_penalty"], 0.5);
        assert_eq!(v["stream"], true);
        assert!(v.get("prompt").is_none());
        let chat =
            completion_as_chat(&completion(json!({"model": "m", "prompt": ["a", "b"]}))).unwrap();
        assert_eq!(chat.messages.len(), 2);
        let err =
            completion_as_chat(&completion(json!({"model": "m", "prompt": [1, 2]}))).unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
    }

    #[test]
    fn chat_answers_and_chunks_become_text_completions() {
        let resp: ChatResponse = serde_json::from_value(json!({
            "id": "c1", "object": "chat.completion", "created": 7, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"},
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
        }))
        .unwrap();
        let text = serde_json::to_value(chat_as_completion(resp)).unwrap();
        assert_eq!(
            text,
            json!({"id": "c1", "object": "text_completion", "created": 7, "model": "m",
                "choices": [{"text": "hello", "index": 0, "logprobs": null, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
        );
        let chunk: ChatChunk = serde_json::from_value(json!({
            "id": "c1", "object": "chat.completion.chunk", "created": 7, "model": "m",
            "choices": [{"index": 0, "delta": {"content": "he"}}]
        }))
        .unwrap();
        let text = serde_json::to_value(chunk_as_completion(chunk)).unwrap();
        assert_eq!(text["choices"][0]["text"], "he");
        assert_eq!(text["object"], "text_completion");
    }
}
