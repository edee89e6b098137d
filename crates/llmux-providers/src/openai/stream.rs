//! OpenAI SSE stream → canonical chunks.

use llmux_types::{ChatChunk, CompletionResponse, Error, ErrorKind, strip_nulls};
use serde::de::DeserializeOwned;

use crate::sse::{SseEvent, SseParser};

/// The SSE framing OpenAI-format streams share: `data: {json}` events, `data: [DONE]`,
/// and `{"error": …}` events for failures.
#[derive(Debug)]
struct OpenAiSse {
    provider: &'static str,
    sse: SseParser,
    events: Vec<SseEvent>,
    done: bool,
    /// A choice has said why it finished: the answer is whole even without `[DONE]`.
    finished: bool,
}

impl OpenAiSse {
    fn new(provider: &'static str) -> Self {
        Self {
            provider,
            sse: SseParser::new(),
            events: Vec::new(),
            done: false,
            finished: false,
        }
    }

    /// A body that ended with neither `[DONE]` nor a finish reason was cut: relaying
    /// it as a complete answer would hide the failure from the client.
    fn check_complete(&self) -> Result<(), Error> {
        if self.done || self.finished {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::ApiConnection,
            format!(
                "{} stream ended before it was complete (no `data: [DONE]` and no finish_reason)",
                self.provider
            ),
        )
        .with_provider(self.provider))
    }

    /// Decodes every complete event into `T`; `[DONE]` marks the end.
    fn decode<T: DeserializeOwned>(&mut self, bytes: Option<&[u8]>) -> Result<Vec<T>, Error> {
        match bytes {
            Some(b) => self.sse.feed(b, &mut self.events)?,
            None => self.sse.finish(&mut self.events)?,
        }
        let mut out = Vec::with_capacity(self.events.len());
        for event in self.events.drain(..) {
            let data = event.data.trim();
            if data == "[DONE]" {
                self.done = true;
            } else if !data.is_empty() {
                out.push(decode_event(self.provider, data)?);
            }
        }
        Ok(out)
    }
}

/// Decodes an OpenAI-format chat stream (`chat.completion.chunk` events).
///
/// Chunks come out as LiteLLM relays them: `null` fields dropped.
#[derive(Debug)]
pub struct OpenAiStreamDecoder {
    sse: OpenAiSse,
}

impl OpenAiStreamDecoder {
    pub fn new(provider: &'static str) -> Self {
        Self {
            sse: OpenAiSse::new(provider),
        }
    }

    /// Feeds a piece of the body.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        let chunks = self.sse.decode(Some(bytes))?;
        self.note_finish(&chunks);
        Ok(strip_chunk_nulls(chunks))
    }

    /// End of body; an error if the stream was cut short.
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        let chunks = self.sse.decode(None)?;
        self.note_finish(&chunks);
        self.sse.check_complete()?;
        Ok(strip_chunk_nulls(chunks))
    }

    fn note_finish(&mut self, chunks: &[ChatChunk]) {
        self.sse.finished |= chunks
            .iter()
            .flat_map(|c| &c.choices)
            .any(|c| c.finish_reason.is_some());
    }

    /// Whether `data: [DONE]` was seen.
    pub fn is_done(&self) -> bool {
        self.sse.done
    }
}

/// Chunks as LiteLLM relays them: no `null` fields, and every tool-call piece says
/// `"type": "function"` (upstreams name it on the first piece only).
fn strip_chunk_nulls(mut chunks: Vec<ChatChunk>) -> Vec<ChatChunk> {
    for chunk in &mut chunks {
        strip_nulls(&mut chunk.extra);
        for choice in &mut chunk.choices {
            strip_nulls(&mut choice.extra);
            strip_nulls(&mut choice.delta.extra);
            for call in choice.delta.tool_calls.iter_mut().flatten() {
                if call.kind.is_none() && call.function.is_some() {
                    call.kind = Some("function".to_owned());
                }
            }
        }
    }
    chunks
}

/// Decodes an OpenAI-format text-completion stream (`text_completion` events).
#[derive(Debug)]
pub struct OpenAiCompletionStreamDecoder {
    sse: OpenAiSse,
}

impl OpenAiCompletionStreamDecoder {
    pub fn new(provider: &'static str) -> Self {
        Self {
            sse: OpenAiSse::new(provider),
        }
    }

    /// Feeds a piece of the body.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<CompletionResponse>, Error> {
        let items = self.sse.decode(Some(bytes))?;
        self.note_finish(&items);
        Ok(items)
    }

    /// End of body; an error if the stream was cut short.
    pub fn finish(&mut self) -> Result<Vec<CompletionResponse>, Error> {
        let items = self.sse.decode(None)?;
        self.note_finish(&items);
        self.sse.check_complete()?;
        Ok(items)
    }

    fn note_finish(&mut self, items: &[CompletionResponse]) {
        self.sse.finished |= items
            .iter()
            .flat_map(|c| &c.choices)
            .any(|c| c.finish_reason.is_some());
    }
}

fn decode_event<T: DeserializeOwned>(provider: &str, data: &str) -> Result<T, Error> {
    match serde_json::from_str(data) {
        Ok(item) => Ok(item),
        Err(parse_err) => {
            // Upstreams report failures mid-stream as `{"error": {...}}`.
            let value: serde_json::Value = serde_json::from_str(data).map_err(|e| {
                Error::new(
                    ErrorKind::Api,
                    format!("{provider} sent a stream event that is not JSON: {e}"),
                )
                .with_provider(provider)
            })?;
            match value.get("error") {
                Some(err) => {
                    let message = err
                        .get("message")
                        .and_then(|m| m.as_str())
                        .map_or_else(|| err.to_string(), str::to_owned);
                    Err(Error::new(
                        ErrorKind::Api,
                        format!("{provider} stream error: {message}"),
                    )
                    .with_provider(provider))
                }
                None => Err(Error::new(
                    ErrorKind::Api,
                    format!("{provider} sent a chunk llmux cannot read: {parse_err}"),
                )
                .with_provider(provider)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = concat!(
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\u{e9}llo \u{1f600}\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\n",
        "data: [DONE]\n\n"
    );

    fn decode(pieces: &[&[u8]]) -> Vec<ChatChunk> {
        let mut d = OpenAiStreamDecoder::new("openai");
        let mut out = Vec::new();
        for p in pieces {
            out.extend(d.feed(p).unwrap());
        }
        out.extend(d.finish().unwrap());
        assert!(d.is_done());
        out
    }

    #[test]
    fn decodes_and_drops_nulls() {
        let chunks = decode(&[BODY.as_bytes()]);
        assert_eq!(chunks.len(), 5);
        let first = serde_json::to_value(&chunks[0]).unwrap();
        assert_eq!(
            first["choices"][0],
            serde_json::json!({"index": 0, "delta": {"role": "assistant", "content": ""}})
        );
        assert!(first.get("usage").is_none());
        assert_eq!(chunks[4].usage.as_ref().unwrap().total_tokens, 3);
    }

    #[test]
    fn any_split_decodes_like_the_whole_body() {
        let whole = decode(&[BODY.as_bytes()]);
        let bytes = BODY.as_bytes();
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(decode(&[a, b]), whole, "cut at {cut}");
        }
    }

    #[test]
    fn error_events_become_errors() {
        let mut d = OpenAiStreamDecoder::new("openai");
        let err = d
            .feed(b"data: {\"error\":{\"message\":\"overloaded\"}}\n\n")
            .unwrap_err();
        assert!(err.message.contains("overloaded"));
    }

    #[test]
    fn text_completion_streams_decode() {
        let mut d = OpenAiCompletionStreamDecoder::new("openai");
        let body = b"data: {\"id\":\"c\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"text\":\"Hel\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\ndata: [DONE]\n\n";
        let out = d.feed(body).unwrap();
        assert_eq!(out[0].choices[0].text, "Hel");
        assert!(d.finish().unwrap().is_empty());
    }

    #[test]
    fn a_stream_cut_before_done_and_finish_reason_is_an_error() {
        let first_two: String = BODY.split_inclusive("\n\n").take(2).collect();
        let mut d = OpenAiStreamDecoder::new("openai");
        assert_eq!(d.feed(first_two.as_bytes()).unwrap().len(), 2);
        let err = d.finish().unwrap_err();
        assert_eq!(err.kind, ErrorKind::ApiConnection);
        assert!(err.message.contains("[DONE]"), "{}", err.message);

        let mut c = OpenAiCompletionStreamDecoder::new("openai");
        c.feed(b"data: {\"id\":\"c\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"text\":\"Hel\",\"index\":0,\"finish_reason\":null}]}\n\n").unwrap();
        assert!(c.finish().is_err());
    }

    #[test]
    fn a_finish_reason_without_done_is_a_whole_answer() {
        let without_done = BODY.replace("data: [DONE]\n\n", "");
        let mut d = OpenAiStreamDecoder::new("openai");
        d.feed(without_done.as_bytes()).unwrap();
        assert!(d.finish().is_ok());
    }
}
