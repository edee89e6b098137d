"""The official OpenAI Python SDK's Responses API against llmux: native on an OpenAI
deployment, bridged to chat completions on Anthropic and Gemini (upstream: llmux-mock)."""

import json

import openai
import pytest

HELLO = "Hello! How can I help you today?"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}
MODELS = ["gpt-test", "claude-test", "gemini-test"]


def function_call(resp):
    calls = [item for item in resp.output if item.type == "function_call"]
    assert len(calls) == 1, resp.output
    return calls[0]


@pytest.mark.parametrize("model", MODELS)
def test_create_retrieve_list_delete(client, model):
    resp = client.responses.create(model=model, input="Say hello.")
    assert resp.object == "response"
    assert resp.status == "completed"
    assert resp.model == model
    assert resp.output_text == HELLO
    assert resp.usage.input_tokens == 12
    assert resp.usage.output_tokens == 9

    got = client.responses.retrieve(resp.id)
    assert got.id == resp.id
    assert got.output_text == HELLO
    items = client.responses.input_items.list(resp.id)
    assert [i.type for i in items.data] == ["message"]

    client.responses.delete(resp.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(resp.id)


@pytest.mark.parametrize("model", MODELS)
def test_function_tool_round_trip_with_previous_response_id_then_full_input(client, model):
    first = client.responses.create(model=model, input="Weather in Paris?", tools=[WEATHER])
    call = function_call(first)
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"location": "Paris"}
    result = {"type": "function_call_output", "call_id": call.call_id, "output": "18C, sunny"}

    # At once, with previous_response_id: the gateway's store already has the first turn.
    second = client.responses.create(
        model=model, previous_response_id=first.id, input=[result], tools=[WEATHER]
    )
    assert second.status == "completed"
    assert second.output_text == HELLO

    # The same turn with the whole conversation as input.
    full = [{"role": "user", "content": "Weather in Paris?"}]
    full += [item.model_dump(exclude_none=True) for item in first.output]
    full.append(result)
    third = client.responses.create(model=model, input=full, tools=[WEATHER])
    assert third.output_text == HELLO


@pytest.mark.parametrize("model", MODELS)
def test_streamed_text(client, model):
    with client.responses.stream(model=model, input="Say hello.") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == HELLO
    assert final.status == "completed"
    assert final.output_text == HELLO
    assert client.responses.retrieve(final.id).output_text == HELLO


@pytest.mark.parametrize("model", ["claude-test", "gemini-test"])
def test_streamed_tool_call_is_bridged(client, model):
    with client.responses.stream(model=model, input="Weather?", tools=[WEATHER]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    call = function_call(final)
    assert json.loads(call.arguments) == {"location": "Paris"}


def test_structured_output_on_a_bridged_model(client):
    resp = client.responses.create(
        model="claude-test",
        input="A city.",
        text={
            "format": {
                "type": "json_schema",
                "name": "city",
                "schema": {
                    "type": "object",
                    "properties": {"location": {"type": "string"}},
                    "required": ["location"],
                },
            }
        },
    )
    assert json.loads(resp.output_text) == {"location": "Paris"}
    assert resp.text.format.type == "json_schema"


def test_an_unknown_previous_response_is_refused_on_a_bridged_model(client):
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="claude-test", previous_response_id="resp_nope", input="x")
