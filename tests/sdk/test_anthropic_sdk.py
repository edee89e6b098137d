"""The official Anthropic Python SDK against llmux's /v1/messages entrance.

Two kinds of model behind one API: `claude-test` (Anthropic on llmux-mock: forwarded
natively) and `gpt-test` (OpenAI on llmux-mock: translated to chat completions and back).
The mock's answers are fixed, so both must read the same through the SDK.
"""

import anthropic
import pytest

from conftest import MASTER_KEY

HELLO = "Hello! How can I help you today?"
MESSAGES = [{"role": "user", "content": "Say hello."}]
MODELS = ["claude-test", "gpt-test"]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "location": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location", "unit"],
    },
}
WEATHER_INPUT = {"location": "Paris", "unit": "celsius"}


# --- messages ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_message(anthropic_client, model):
    msg = anthropic_client.messages.create(
        model=model, max_tokens=64, system="Be brief.", messages=MESSAGES
    )
    assert msg.type == "message"
    assert msg.role == "assistant"
    assert msg.model == model
    assert len(msg.content) == 1
    assert msg.content[0].type == "text"
    assert msg.content[0].text == HELLO
    assert msg.stop_reason == "end_turn"
    assert msg.usage.input_tokens == 12
    assert msg.usage.output_tokens == 9


@pytest.mark.parametrize("model", MODELS)
def test_stream_helper(anthropic_client, model):
    with anthropic_client.messages.stream(model=model, max_tokens=64, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == HELLO
    assert final.model == model
    assert final.content[0].text == HELLO
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 9


@pytest.mark.parametrize("model", MODELS)
def test_create_with_stream_true_yields_the_event_sequence(anthropic_client, model):
    events = list(
        anthropic_client.messages.create(model=model, max_tokens=64, messages=MESSAGES, stream=True)
    )
    kinds = [e.type for e in events if e.type != "ping"]
    assert kinds[0] == "message_start"
    assert kinds[1] == "content_block_start"
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert events[0].message.model == model
    text = "".join(
        e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert text == HELLO
    delta = next(e for e in events if e.type == "message_delta")
    assert delta.delta.stop_reason == "end_turn"
    assert delta.usage.output_tokens == 9


# --- tools ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_tool_use(anthropic_client, model):
    msg = anthropic_client.messages.create(
        model=model,
        max_tokens=64,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "tool", "name": "get_weather"},
    )
    assert msg.stop_reason == "tool_use"
    tool_uses = [b for b in msg.content if b.type == "tool_use"]
    assert len(tool_uses) == 1
    assert tool_uses[0].name == "get_weather"
    assert tool_uses[0].input == WEATHER_INPUT
    assert tool_uses[0].id


@pytest.mark.parametrize("model", MODELS)
def test_tool_use_stream_accumulates_the_input(anthropic_client, model):
    with anthropic_client.messages.stream(
        model=model,
        max_tokens=64,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    tool_use = next(b for b in final.content if b.type == "tool_use")
    assert tool_use.name == "get_weather"
    assert tool_use.input == WEATHER_INPUT


@pytest.mark.parametrize("model", MODELS)
def test_tool_result_round_trip(anthropic_client, model):
    msg = anthropic_client.messages.create(
        model=model,
        max_tokens=64,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me look that up."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": WEATHER_INPUT},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18°C, sunny"}],
            },
        ],
    )
    assert msg.stop_reason == "end_turn"
    assert msg.content[0].text == HELLO


# --- count_tokens -----------------------------------------------------------------------


def test_count_tokens_for_an_openai_model_is_litellms_estimate(anthropic_client):
    count = anthropic_client.messages.count_tokens(
        model="gpt-test",
        messages=[{"role": "user", "content": "Hello, how are you today?"}],
    )
    # litellm.token_counter(model="gpt-4o-mini", messages=...) == 14
    assert count.input_tokens == 14


# --- errors -----------------------------------------------------------------------------


def test_unknown_model_is_a_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as e:
        anthropic_client.messages.create(model="no-such-model", max_tokens=8, messages=MESSAGES)
    assert e.value.status_code == 400
    assert e.value.body["type"] == "error"
    assert e.value.body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("model", ["claude-ratelimited", "ratelimited"])
def test_upstream_429_is_a_rate_limit_error(anthropic_client, model):
    with pytest.raises(anthropic.RateLimitError) as e:
        anthropic_client.messages.create(model=model, max_tokens=8, messages=MESSAGES)
    assert e.value.status_code == 429
    assert e.value.body["error"]["type"] == "rate_limit_error"


def test_wrong_key_is_an_authentication_error(gateway):
    bad = anthropic.Anthropic(base_url=gateway, api_key="sk-wrong", max_retries=0, timeout=30)
    with pytest.raises(anthropic.AuthenticationError) as e:
        bad.messages.create(model="gpt-test", max_tokens=8, messages=MESSAGES)
    assert e.value.status_code == 401


def test_master_key_as_bearer_token_works(gateway):
    client = anthropic.Anthropic(base_url=gateway, auth_token=MASTER_KEY, max_retries=0, timeout=30)
    msg = client.messages.create(model="claude-test", max_tokens=8, messages=MESSAGES)
    assert msg.content[0].text == HELLO
