# Regenerates crates/llmux/tests/data/token_corpus.json with Python tiktoken and LiteLLM 1.108.7:
#   python3 -m venv /tmp/v && /tmp/v/bin/pip install tiktoken litellm==1.108.7
#   TIKTOKEN_CACHE_DIR must hold the o200k/cl100k files (named by the sha1 of their URL);
#   tiktoken-rs bundles identical copies under its assets/ (the hashes are checked).
#   /tmp/v/bin/python scripts/token_corpus.py > crates/llmux/tests/data/token_corpus.json
import json, os
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["TIKTOKEN_CACHE_DIR"] = "/tmp/tt-cache"
import tiktoken, litellm

texts = [
    "hello world",
    "Héllo wörld — naïve café, 東京タワー, 北京, 서울, Привет мир!",
    "emoji: 👩‍👩‍👧‍👦 🇫🇷 ✨🔥💯 and ZWJ sequences",
    "def f(x):\n    return {\"a\": [1, 2, 3], 'b': None}  # code\n\t\tindent",
    "   many    spaces\n\n\n\nand newlines\r\n",
    "<|endoftext|> special tokens as text <|im_start|>",
    "ا لعربية والعبرية עברית मराठी हिन्दी ภาษาไทย",
    "x" * 3000,
    "The quick brown fox jumps over the lazy dog. " * 60,
]
weather = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "City"},
    "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["location"]}}}
search = {"type": "function", "function": {"name": "search", "description": "Search the web",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}}}}}
conversations = [
    {"messages": [{"role": "user", "content": "Hello, how are you today?"}]},
    {"messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Résumé of 東京?"}, {"role": "assistant", "content": "Tokyo 🗼"}]},
    {"messages": [{"role": "user", "name": "alice", "content": "hi"}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is in this image?"}, {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}]}]},
    {"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": [weather]},
    {"messages": [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Find llmux and the weather"}], "tools": [weather, search]},
    {"messages": [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\": \"Paris\"}"}}]}, {"role": "tool", "tool_call_id": "call_1", "content": "18°C, sunny ☀️"}], "tools": [weather]},
]
models = ["gpt-4o", "gpt-4", "claude-3-5-sonnet-20240620"]
out = {"generator": f"tiktoken {tiktoken.__version__} encode_ordinary; litellm {litellm.__version__ if hasattr(litellm,'__version__') else '1.108.7'} token_counter",
       "texts": [], "conversations": []}
for t in texts:
    out["texts"].append({"text": t, "o200k_base": len(tiktoken.get_encoding("o200k_base").encode_ordinary(t)),
                         "cl100k_base": len(tiktoken.get_encoding("cl100k_base").encode_ordinary(t))})
for c in conversations:
    row = dict(c); row["expected"] = {}
    for m in models:
        row["expected"][m] = litellm.token_counter(model=m, messages=c["messages"], tools=c.get("tools"))
    out["conversations"].append(row)
print(json.dumps(out, ensure_ascii=False, indent=1))
