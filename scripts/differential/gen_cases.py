#!/usr/bin/env python3
"""Generate the differential matrix: a LiteLLM config.yaml and one case per request variant.

  python3 gen_cases.py OUT_DIR [--capture-port 18865]

Writes OUT_DIR/config.yaml and OUT_DIR/cases/<id>.json in the oracle's case format
({"id", "family", "model_alias", "endpoint", "request", "scenario"?}). Stdlib only.

The matrix crosses every built family and the catalog rows with quirks with:
- content forms: string, text parts, image (data URL), file (PDF data);
- each OpenAI parameter alone, without and with `drop_params`;
- tool_choice forms and response_format forms;
- stream and non-stream; n=2;
- error statuses (401, 429, 500, 400 context window), one alias per error case because
  LiteLLM cools a deployment down after a failure;
- `/v1/completions` and `/v1/embeddings` where the family has them.
"""
import argparse
import json
import os

KEYS = {"api_key": "sk-diff-fake-key"}
AWS = {
    "aws_access_key_id": "AKIAORACLEFAKEKEY000",
    "aws_secret_access_key": "oracle/fake/secret/key/0000000000000000",
    "aws_region_name": "us-east-1",
}

# family -> (litellm model, extra litellm_params with {cap} for the capture server URL)
CHAT_FAMILIES = {
    "openai": ("openai/gpt-4o-mini", {"api_base": "{cap}/v1", **KEYS}),
    "azure": ("azure/gpt4o-deployment", {"api_base": "{cap}", "api_version": "2024-10-21", **KEYS}),
    "anthropic": ("anthropic/claude-3-5-haiku-20241022", {"api_base": "{cap}", **KEYS}),
    "gemini": ("gemini/gemini-2.5-flash", {"api_base": "{cap}/v1beta", **KEYS}),
    "bedrock": ("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
                {"aws_bedrock_runtime_endpoint": "{cap}", **AWS}),
    "cohere": ("cohere_chat/command-r-plus", {"api_base": "{cap}/v2/chat", **KEYS}),
    "ollama": ("ollama_chat/llama3.1", {"api_base": "{cap}"}),
    "mistral": ("mistral/mistral-small-latest", {"api_base": "{cap}/v1", **KEYS}),
    "magistral": ("mistral/magistral-medium-latest", {"api_base": "{cap}/v1", **KEYS}),
    "groq": ("groq/llama-3.3-70b-versatile", {"api_base": "{cap}/openai/v1", **KEYS}),
    "deepseek": ("deepseek/deepseek-chat", {"api_base": "{cap}", **KEYS}),
    "together_ai": ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", {"api_base": "{cap}/v1", **KEYS}),
    "fireworks_ai": ("fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
                     {"api_base": "{cap}/inference/v1", **KEYS}),
    "fireworks_short": ("fireworks_ai/deepseek-v3", {"api_base": "{cap}/inference/v1", **KEYS}),
    "openrouter": ("openrouter/openai/gpt-4o-mini", {"api_base": "{cap}/api/v1", **KEYS}),
    "xai_mini": ("xai/grok-3-mini", {"api_base": "{cap}/v1", **KEYS}),
    "xai_grok4": ("xai/grok-4-0709", {"api_base": "{cap}/v1", **KEYS}),
    "perplexity": ("perplexity/sonar", {"api_base": "{cap}", **KEYS}),
    "sambanova": ("sambanova/Meta-Llama-3.3-70B-Instruct", {"api_base": "{cap}/v1", **KEYS}),
    "nvidia_nim": ("nvidia_nim/meta/llama3-70b-instruct", {"api_base": "{cap}/v1", **KEYS}),
    "moonshot": ("moonshot/kimi-k2-0711-preview", {"api_base": "{cap}/v1", **KEYS}),
    "deepinfra": ("deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct", {"api_base": "{cap}/v1/openai", **KEYS}),
    "cerebras": ("cerebras/llama3.1-8b", {"api_base": "{cap}/v1", **KEYS}),
    "hosted_vllm": ("hosted_vllm/my-model", {"api_base": "{cap}/v1"}),
}

EMBED_FAMILIES = {
    "openai": ("openai/text-embedding-3-small", {"api_base": "{cap}/v1", **KEYS}),
    "gemini": ("gemini/gemini-embedding-001", {"api_base": "{cap}/v1beta", **KEYS}),
    "cohere": ("cohere/embed-english-v3.0", {"api_base": "{cap}/v2/embed", **KEYS}),
    "ollama": ("ollama/nomic-embed-text", {"api_base": "{cap}"}),
    "mistral": ("mistral/mistral-embed", {"api_base": "{cap}/v1", **KEYS}),
}

# Families that get every parameter; the other rows get the parameters their quirks touch.
FULL_FAMILIES = ["openai", "azure", "anthropic", "gemini", "bedrock", "cohere", "ollama", "mistral", "groq",
                 "deepseek", "fireworks_ai", "xai_mini"]
QUIRK_PARAMS = ["stop", "frequency_penalty", "user", "reasoning_effort", "web_search_options",
                "max_completion_tokens", "n", "seed", "logprobs"]

# Families whose error answers are exercised (each error case gets its own alias).
ERROR_FAMILIES = ["openai", "anthropic", "gemini", "bedrock", "mistral", "groq", "deepseek", "xai_mini"]
ERRORS = ["401", "429", "500", "400_context"]

USER = {"role": "user", "content": "What's the weather in Paris?"}
TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Get the current weather for a city",
        "parameters": {"type": "object", "properties": {
            "location": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["location"]}}},
    {"type": "function", "function": {
        "name": "get_time", "description": "Get the local time",
        "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}},
                       "required": ["timezone"]}}},
]
PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
       "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
PDF = "data:application/pdf;base64,JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"

CONTENT_FORMS = {
    "string": [USER],
    "parts": [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
              {"role": "user", "content": [{"type": "text", "text": "What's the weather "},
                                           {"type": "text", "text": "in Paris?"}]}],
    "image": [{"role": "user", "content": [{"type": "text", "text": "What is in this image?"},
                                           {"type": "image_url", "image_url": {"url": PNG}}]}],
    "file": [{"role": "user", "content": [{"type": "text", "text": "Summarise this file."},
                                          {"type": "file", "file": {"file_data": PDF,
                                                                    "filename": "a.pdf"}}]}],
}

PARAMS = {
    "temperature": {"temperature": 0.3},
    "top_p": {"top_p": 0.9},
    "max_tokens": {"max_tokens": 50},
    "max_completion_tokens": {"max_completion_tokens": 50},
    "stop": {"stop": ["\n\n"]},
    "presence_penalty": {"presence_penalty": 0.5},
    "frequency_penalty": {"frequency_penalty": 0.5},
    "logit_bias": {"logit_bias": {"1234": -100}},
    "seed": {"seed": 7},
    "user": {"user": "user-123"},
    "logprobs": {"logprobs": True, "top_logprobs": 2},
    "n": {"n": 2},
    "parallel_tool_calls": {"tools": TOOLS, "parallel_tool_calls": False},
    "reasoning_effort": {"reasoning_effort": "low"},
    "web_search_options": {"web_search_options": {"search_context_size": "low"}},
    "service_tier": {"service_tier": "auto"},
    "prediction": {"prediction": {"type": "content", "content": "It is sunny."}},
    "functions": {"functions": [TOOLS[0]["function"]]},
    "function_call": {"functions": [TOOLS[0]["function"]], "function_call": {"name": "get_weather"}},
}

TOOL_CHOICES = {
    "tools_only": {"tools": TOOLS},
    "tc_auto": {"tools": TOOLS, "tool_choice": "auto"},
    "tc_none": {"tools": TOOLS, "tool_choice": "none"},
    "tc_required": {"tools": TOOLS, "tool_choice": "required"},
    "tc_named": {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "get_time"}}},
}

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temp_c": {"type": "integer"}},
          "required": ["city", "temp_c"], "additionalProperties": False}
RESPONSE_FORMATS = {
    "rf_text": {"type": "text"},
    "rf_json_object": {"type": "json_object"},
    "rf_json_schema": {"type": "json_schema", "json_schema": {"name": "weather", "schema": SCHEMA}},
    "rf_json_schema_strict": {"type": "json_schema",
                              "json_schema": {"name": "weather", "schema": SCHEMA, "strict": True}},
}


def config_yaml(aliases, cap):
    lines = ["# Generated by scripts/differential/gen_cases.py: every provider points at the capture server.",
             "model_list:"]
    for alias, (model, params) in aliases:
        lines.append("  - model_name: %s" % alias)
        lines.append("    litellm_params:")
        lines.append("      model: %s" % json.dumps(model))
        for k, v in params.items():
            lines.append("      %s: %s" % (k, json.dumps(v.replace("{cap}", cap) if isinstance(v, str) else v)))
    lines += ["", "general_settings:", "  master_key: sk-diff-0123456789abcdef0123456789abcdef", ""]
    return "\n".join(lines)


def generate(cap):
    aliases = []
    cases = []

    def case(cid, family, alias, request, endpoint="/v1/chat/completions", scenario=None):
        c = {"id": cid, "family": family, "model_alias": alias, "endpoint": endpoint,
             "request": dict(request, model=alias)}
        if scenario:
            c["scenario"] = scenario
        cases.append(c)

    for fam, spec in CHAT_FAMILIES.items():
        alias = "%s-chat" % fam
        aliases.append((alias, spec))
        for form, messages in CONTENT_FORMS.items():
            case("%s__content_%s" % (fam, form), fam, alias, {"messages": messages})
        case("%s__stream" % fam, fam, alias, {"messages": [USER], "stream": True})
        case("%s__stream_usage" % fam, fam, alias,
             {"messages": [USER], "stream": True, "stream_options": {"include_usage": True}})
        case("%s__stream_tools" % fam, fam, alias, {"messages": [USER], "stream": True, "tools": TOOLS})
        for pname, pbody in PARAMS.items():
            if fam not in FULL_FAMILIES and pname not in QUIRK_PARAMS:
                continue
            case("%s__param_%s" % (fam, pname), fam, alias, dict({"messages": [USER]}, **pbody))
            case("%s__param_%s_drop" % (fam, pname), fam, alias,
                 dict({"messages": [USER], "drop_params": True}, **pbody))
        for tname, tbody in TOOL_CHOICES.items():
            case("%s__%s" % (fam, tname), fam, alias, dict({"messages": [USER]}, **tbody))
        for rname, rf in RESPONSE_FORMATS.items():
            case("%s__%s" % (fam, rname), fam, alias, {"messages": [USER], "response_format": rf})
        case("%s__text_completion" % fam, fam, alias, {"prompt": "Say hi"}, endpoint="/v1/completions")
    for fam in ERROR_FAMILIES:
        spec = CHAT_FAMILIES[fam]
        for err in ERRORS:
            alias = "%s-err-%s" % (fam, err)
            aliases.append((alias, spec))
            case("%s__err_%s" % (fam, err), fam, alias, {"messages": [USER]}, scenario={"error": err})
    for fam, spec in EMBED_FAMILIES.items():
        alias = "%s-embed" % fam
        aliases.append((alias, spec))
        case("%s__embed_single" % fam, fam, alias, {"input": "hello"}, endpoint="/v1/embeddings")
        case("%s__embed_list" % fam, fam, alias, {"input": ["a", "b"]}, endpoint="/v1/embeddings")
        case("%s__embed_float" % fam, fam, alias, {"input": "hello", "encoding_format": "float"},
             endpoint="/v1/embeddings")
        case("%s__embed_base64" % fam, fam, alias, {"input": "hello", "encoding_format": "base64"},
             endpoint="/v1/embeddings")
        case("%s__embed_base64_drop" % fam, fam, alias,
             {"input": "hello", "encoding_format": "base64", "drop_params": True}, endpoint="/v1/embeddings")
    return aliases, cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--capture-port", type=int, default=18865)
    args = ap.parse_args()
    cap = "http://127.0.0.1:%d" % args.capture_port
    aliases, cases = generate(cap)
    os.makedirs(os.path.join(args.out, "cases"), exist_ok=True)
    with open(os.path.join(args.out, "config.yaml"), "w") as fh:
        fh.write(config_yaml(aliases, cap))
    for c in cases:
        with open(os.path.join(args.out, "cases", c["id"] + ".json"), "w") as fh:
            json.dump(c, fh, indent=2, sort_keys=True)
    print("%d cases, %d aliases" % (len(cases), len(aliases)))


if __name__ == "__main__":
    main()
