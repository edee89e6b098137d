"""OpenAI's Agents SDK (`openai-agents`) against llmux: an agent with one function tool
runs to completion on a bridged Anthropic model (Responses API → chat completions →
llmux-mock's Anthropic API), and on the native OpenAI one.

The mock answers deterministically: with function tools it calls the first one (its
arguments made from the schema: `location` is "Paris"), and once the last input is that
call's output it gives its usual text. So the run is exactly: tool call, tool, answer."""

import os

import pytest

os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")  # no export to api.openai.com

import agents  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402

from conftest import MASTER_KEY  # noqa: E402

HELLO = "Hello! How can I help you today?"

agents.set_tracing_disabled(True)


@pytest.mark.parametrize("model", ["claude-test", "gpt-test"])
def test_an_agent_with_one_function_tool_runs_to_completion(base_url, model):
    calls = []

    @agents.function_tool
    def get_weather(location: str) -> str:
        """Current weather for a city."""
        calls.append(location)
        return f"18C and sunny in {location}"

    client = AsyncOpenAI(base_url=base_url, api_key=MASTER_KEY, max_retries=0, timeout=30)
    agent = agents.Agent(
        name="weather",
        instructions="Answer weather questions with the get_weather tool.",
        tools=[get_weather],
        model=agents.OpenAIResponsesModel(model=model, openai_client=client),
    )

    result = agents.Runner.run_sync(agent, "What's the weather in Paris?", max_turns=4)

    assert calls == ["Paris"]
    assert result.final_output == HELLO
    kinds = [item.type for item in result.new_items]
    # Claude (the mock's Anthropic answer) says a sentence before its tool call.
    assert kinds[-3:] == ["tool_call_item", "tool_call_output_item", "message_output_item"], kinds
    assert kinds.count("tool_call_item") == 1, kinds
    # Two model calls, each answered and priced by the gateway.
    assert len(result.raw_responses) == 2
    assert all(r.usage.input_tokens > 0 for r in result.raw_responses)
