"""The official OpenAI Python SDK against llmux (upstream: llmux-mock, whose answers are fixed)."""

import base64
import json
import struct
import urllib.request

import openai
import pytest

from conftest import MASTER_KEY

HELLO = "Hello! How can I help you today?"
MESSAGES = [{"role": "user", "content": "Say hello."}]
# llmux-mock's embedding for item i: this pattern plus i * 2^-7 (all exactly representable).
EMBED_PATTERN = [0.5, -0.25, 0.125, 1.0, -0.5, 0.75, 0.0625, -1.0]


def expected_embedding(i: int) -> list:
    return [v + i * 0.0078125 for v in EMBED_PATTERN]


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location", "unit"],
        },
    },
}


# --- chat -------------------------------------------------------------------------------


def test_chat_completion(client):
    resp = client.chat.completions.create(model="gpt-test", messages=MESSAGES)
    assert resp.object == "chat.completion"
    assert resp.model == "gpt-test"
    assert len(resp.choices) == 1
    choice = resp.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == HELLO
    assert choice.finish_reason == "stop"
    assert resp.usage is not None
    assert resp.usage.prompt_tokens == 12
    assert resp.usage.completion_tokens == 9
    assert resp.usage.total_tokens == 21


def test_chat_completion_stream_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt-test",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    text = []
    finish_reasons = []
    usage_chunks = []
    chunks = list(stream)
    assert chunks, "no chunks streamed"
    for chunk in chunks:
        assert chunk.object == "chat.completion.chunk"
        assert chunk.model == "gpt-test"
        for choice in chunk.choices:
            if choice.delta.content:
                text.append(choice.delta.content)
            if choice.finish_reason:
                finish_reasons.append(choice.finish_reason)
        if chunk.usage is not None:
            usage_chunks.append(chunk)
    assert "".join(text) == HELLO
    assert finish_reasons == ["stop"]
    assert len(usage_chunks) == 1, f"expected one usage chunk, got {len(usage_chunks)}"
    last = chunks[-1]
    assert last is usage_chunks[0], "the usage chunk must be the last one"
    # OpenAI sends `choices: []` here; LiteLLM (and so llmux) sends one empty choice.
    for choice in last.choices:
        assert not choice.delta.content and choice.finish_reason is None
    assert last.usage.prompt_tokens == 12
    assert last.usage.completion_tokens == 9
    assert last.usage.total_tokens == 21


def test_chat_tool_call(client):
    resp = client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        tools=[WEATHER_TOOL],
    )
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1
    call = calls[0]
    assert call.type == "function"
    assert call.id
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"location": "Paris", "unit": "celsius"}


def test_chat_tool_call_stream(client):
    stream = client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        stream=True,
    )
    name, args, finish = None, [], None
    for chunk in stream:
        for choice in chunk.choices:
            for tc in choice.delta.tool_calls or []:
                assert tc.index == 0
                if tc.function and tc.function.name:
                    name = tc.function.name
                if tc.function and tc.function.arguments:
                    args.append(tc.function.arguments)
            if choice.finish_reason:
                finish = choice.finish_reason
    assert name == "get_weather"
    assert json.loads("".join(args)) == {"location": "Paris", "unit": "celsius"}
    assert finish == "tool_calls"


# --- embeddings -------------------------------------------------------------------------


def test_embeddings_single_float(client):
    resp = client.embeddings.create(model="embed-test", input="hello", encoding_format="float")
    assert resp.object == "list"
    assert resp.model == "embed-test"
    assert len(resp.data) == 1
    item = resp.data[0]
    assert item.index == 0
    assert isinstance(item.embedding, list) and len(item.embedding) == 8
    assert all(isinstance(x, float) for x in item.embedding)
    assert item.embedding == expected_embedding(0)
    assert resp.usage.prompt_tokens == 5
    assert resp.usage.total_tokens == 5


def test_embeddings_two_inputs(client):
    resp = client.embeddings.create(
        model="embed-test", input=["hello", "world"], encoding_format="float"
    )
    assert [d.index for d in resp.data] == [0, 1]
    assert resp.data[0].embedding == expected_embedding(0)
    assert resp.data[1].embedding == expected_embedding(1)
    assert resp.usage.prompt_tokens == 10


def test_embeddings_default_format_is_base64_decoded_by_sdk(client):
    # With encoding_format omitted the SDK asks for base64 on the wire and decodes to floats.
    resp = client.embeddings.create(model="embed-test", input=["a", "b"])
    assert [d.index for d in resp.data] == [0, 1]
    for i, item in enumerate(resp.data):
        assert [float(x) for x in item.embedding] == expected_embedding(i)


def test_embeddings_explicit_base64(client):
    # An explicit encoding_format is passed through untouched by the SDK: the base64 string
    # of little-endian f32s.
    resp = client.embeddings.create(model="embed-test", input="hello", encoding_format="base64")
    raw = resp.data[0].embedding
    assert isinstance(raw, str)
    data = base64.b64decode(raw)
    assert len(data) == 8 * 4
    assert list(struct.unpack("<8f", data)) == expected_embedding(0)


# --- models -----------------------------------------------------------------------------


def test_models_list(client):
    ids = [m.id for m in client.models.list()]
    assert "gpt-test" in ids
    assert "embed-test" in ids
    assert "ratelimited" in ids


# --- errors -----------------------------------------------------------------------------


def test_wrong_api_key_is_authentication_error(base_url):
    bad = openai.OpenAI(base_url=base_url, api_key="sk-wrong", max_retries=0, timeout=30)
    with pytest.raises(openai.AuthenticationError) as ei:
        bad.chat.completions.create(model="gpt-test", messages=MESSAGES)
    err = ei.value
    assert err.status_code == 401
    assert isinstance(err.body, dict), err.body
    assert err.body["type"] == "auth_error"
    assert err.body["code"] == "401"
    assert err.body["message"]


def test_upstream_429_is_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError) as ei:
        client.chat.completions.create(model="ratelimited", messages=MESSAGES)
    err = ei.value
    assert err.status_code == 429
    assert isinstance(err.body, dict), err.body
    assert err.body["type"] == "throttling_error"
    assert err.body["code"] == "429"
    assert err.body["message"]


def test_unknown_model_is_bad_request(client):
    with pytest.raises(openai.BadRequestError) as ei:
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    err = ei.value
    assert err.status_code == 400
    assert isinstance(err.body, dict), err.body
    assert err.body["code"] == "400"
    assert isinstance(err.body["type"], str) and err.body["type"]
    assert "Invalid model name passed in model=no-such-model" in err.body["message"]


# --- raw HTTP ---------------------------------------------------------------------------


def test_raw_stream_is_event_stream_ending_in_done(gateway):
    body = json.dumps({"model": "gpt-test", "messages": MESSAGES, "stream": True}).encode()
    req = urllib.request.Request(
        gateway + "/v1/chat/completions",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {MASTER_KEY}"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers.get("Content-Type", "").startswith("text/event-stream")
        text = resp.read().decode()
    events = [e for e in text.replace("\r\n", "\n").split("\n\n") if e.strip()]
    assert events, text
    assert all(e.startswith("data: ") for e in events), text
    assert events[-1].strip() == "data: [DONE]"
    chunks = [json.loads(e[len("data: "):]) for e in events[:-1]]
    content = "".join(
        (c["choices"][0]["delta"].get("content") or "") for c in chunks if c["choices"]
    )
    assert content == HELLO
