//! Cohere v2 SSE events → OpenAI chunks (see the module docs of [`super`]).

use llmux_types::{
    ChatChunk, ChunkChoice, Delta, Error, ErrorKind, FinishReason, FunctionCallDelta, JsonMap,
    Role, ToolCallDelta,
};
use serde_json::{Value, json};

use super::response::usage;
use crate::ParseContext;
use crate::sse::{SseEvent, SseParser};

/// Decodes a Cohere v2 chat stream. Bytes may be split anywhere.
#[derive(Debug)]
pub struct CohereStreamDecoder {
    sse: SseParser,
    events: Vec<SseEvent>,
    id: String,
    created: u64,
    role_sent: bool,
    tool_calls: bool,
}

impl CohereStreamDecoder {
    pub fn new(ctx: &ParseContext<'_>) -> Self {
        Self {
            sse: SseParser::new(),
            events: Vec::new(),
            id: ctx.response_id.to_owned(),
            created: ctx.created,
            role_sent: false,
            tool_calls: false,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<ChatChunk>, Error> {
        self.sse.feed(bytes, &mut self.events)?;
        self.drain()
    }

    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, Error> {
        self.sse.finish(&mut self.events)?;
        self.drain()
    }

    fn drain(&mut self) -> Result<Vec<ChatChunk>, Error> {
        let mut out = Vec::new();
        for event in std::mem::take(&mut self.events) {
            let data = event.data.trim();
            if data.is_empty() || data == "[DONE]" {
                continue;
            }
            let v: Value = serde_json::from_str(data).map_err(|e| {
                Error::new(
                    ErrorKind::InternalServer,
                    format!("CohereException - a stream event llmux cannot read: {e}"),
                )
                .with_provider("cohere_chat")
            })?;
            let kind = v
                .get("type")
                .and_then(Value::as_str)
                .or(event.event.as_deref())
                .unwrap_or_default()
                .to_owned();
            self.on_event(&kind, &v, &mut out)?;
        }
        Ok(out)
    }

    fn on_event(&mut self, kind: &str, v: &Value, out: &mut Vec<ChatChunk>) -> Result<(), Error> {
        let index = v
            .get("index")
            .and_then(Value::as_u64)
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(0);
        match kind {
            "content-delta" => {
                let text = v
                    .pointer("/delta/message/content/text")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !text.is_empty() {
                    self.emit(
                        out,
                        Delta {
                            content: Some(text.to_owned()),
                            ..Delta::default()
                        },
                    );
                }
            }
            "tool-plan-delta" => {
                if let Some(plan) = v
                    .pointer("/delta/message/tool_plan")
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
                {
                    let mut d = Delta::default();
                    d.extra.insert(
                        "provider_specific_fields".into(),
                        json!({"tool_plan": plan}),
                    );
                    self.emit(out, d);
                }
            }
            "tool-call-start" => {
                self.tool_calls = true;
                let call = v
                    .pointer("/delta/message/tool_calls")
                    .unwrap_or(&Value::Null);
                let s = |p: &str| call.pointer(p).and_then(Value::as_str).map(str::to_owned);
                self.emit(
                    out,
                    tool_delta(
                        index,
                        s("/id"),
                        s("/function/name"),
                        s("/function/arguments").unwrap_or_default(),
                    ),
                );
            }
            "tool-call-delta" => {
                if let Some(args) = v
                    .pointer("/delta/message/tool_calls/function/arguments")
                    .and_then(Value::as_str)
                    .filter(|a| !a.is_empty())
                {
                    self.emit(out, tool_delta(index, None, None, args.to_owned()));
                }
            }
            "citation-start" => {
                if let Some(c) = v.pointer("/delta/message/citations") {
                    let mut d = Delta::default();
                    d.extra
                        .insert("provider_specific_fields".into(), json!({"citations": [c]}));
                    self.emit(out, d);
                }
            }
            "message-end" => {
                let finish = match v.pointer("/delta/finish_reason").and_then(Value::as_str) {
                    Some("MAX_TOKENS") => FinishReason::Length,
                    Some("TOOL_CALL") => FinishReason::ToolCalls,
                    Some("ERROR") => {
                        return Err(Error::new(
                            ErrorKind::InternalServer,
                            "CohereException - the stream ended with finish_reason ERROR",
                        )
                        .with_provider("cohere_chat"));
                    }
                    _ if self.tool_calls => FinishReason::ToolCalls,
                    _ => FinishReason::Stop,
                };
                out.push(self.chunk(Some(Delta::default()), Some(finish)));
                if let Some(tokens) = v.pointer("/delta/usage/tokens") {
                    let mut c = self.chunk(None, None);
                    c.usage = Some(usage(Some(tokens)));
                    out.push(c);
                }
            }
            // message-start, content-start/end, tool-call-end, citation-end: nothing new.
            _ => {}
        }
        Ok(())
    }

    fn emit(&mut self, out: &mut Vec<ChatChunk>, mut delta: Delta) {
        if !self.role_sent {
            delta.role = Some(Role::Assistant);
            self.role_sent = true;
        }
        out.push(self.chunk(Some(delta), None));
    }

    fn chunk(&self, delta: Option<Delta>, finish: Option<FinishReason>) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: String::new(),
            choices: delta
                .map(|delta| ChunkChoice {
                    index: 0,
                    delta,
                    finish_reason: finish,
                    extra: JsonMap::new(),
                })
                .into_iter()
                .collect(),
            usage: None,
            system_fingerprint: None,
            service_tier: None,
            extra: JsonMap::new(),
        }
    }
}

fn tool_delta(index: u32, id: Option<String>, name: Option<String>, args: String) -> Delta {
    Delta {
        tool_calls: Some(vec![ToolCallDelta {
            index,
            id,
            kind: Some("function".into()),
            function: Some(FunctionCallDelta {
                name,
                arguments: Some(args),
            }),
            extra: JsonMap::new(),
        }]),
        ..Delta::default()
    }
}
