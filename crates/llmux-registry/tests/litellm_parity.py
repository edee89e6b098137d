"""Writes the fixture of tests/litellm_parity.rs by asking LiteLLM itself.

    python -m venv /tmp/venv && /tmp/venv/bin/pip install litellm==1.108.7
    /tmp/venv/bin/python tests/litellm_parity.py tests/litellm_parity.jsonl          # committed sample
    /tmp/venv/bin/python tests/litellm_parity.py /tmp/all.jsonl --all                # ~13,000 queries
    LLMUX_PARITY_FILE=/tmp/all.jsonl cargo test -p llmux-registry --test litellm_parity

Queries: every map key with and without its provider, keys split into provider + model,
upper-cased keys, mismatched providers, and date/version/fine-tune/Bedrock-region variants.
"""
import os, json, random, sys, re
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
import litellm
from litellm import get_model_info
d = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'model_prices_and_context_window.json')))
del d['sample_spec']; del d['fallback_generalizations']
providers = set(str(p.value) if hasattr(p, 'value') else p for p in litellm.provider_list)
random.seed(7)
q = []
for k, v in d.items():
    lp = v.get('litellm_provider')
    q.append((k, None))
    q.append((k, lp))
    if '/' in k:
        p, rest = k.split('/', 1)
        if p in providers:
            q.append((rest, p))
            if random.random() < 0.2: q.append((rest, None))
    if random.random() < 0.05: q.append((k.upper(), lp))
    if random.random() < 0.05: q.append((k, random.choice(['openai', 'anthropic', 'azure', 'azure_ai', 'vertex_ai', 'bedrock', 'groq', 'litellm_proxy', 'gemini'])))
    if re.search(r'-\d{4}-\d{2}-\d{2}$', k) is None and lp in ('openai', 'azure', 'anthropic') and random.random() < 0.3:
        q.append((k.split('/')[-1] + '-2031-01-02', lp))
    if lp in ('gemini', 'vertex_ai-language-models') and random.random() < 0.3:
        q.append((k.split('/')[-1] + '-001', 'gemini' if lp == 'gemini' else 'vertex_ai'))
    if lp == 'bedrock' and random.random() < 0.3:
        q.append(('us.' + k.split('/')[-1], 'bedrock'))
        q.append(('bedrock/converse/' + k.split('/')[-1], None))
    if lp == 'openai' and random.random() < 0.1:
        q.append(('ft:' + k + ':org::abc', 'openai'))
q += [("gpt-4o-mini", None), ("claude-3-5-haiku-20241022", "anthropic"), ("llama-3.3-70b-versatile", "groq"),
      ("openai/gpt-4o-mini", "openrouter"), ("gpt-4o", "azure"), ("gpt-35-turbo", None), ("gpt-35-turbo", "azure"),
      ("azure/gpt-41-mini", None), ("gemini-2.5-flash", "vertex_ai_beta"), ("foo/bar", None), ("GPT-4O-MINI", None),
      ("hosted_vllm/gpt-4o-mini", None), ("litellm_proxy/gpt-4o-mini", None), ("github/gpt-4o-mini", None),
      ("openai/gpt-oss-120b", "groq"), ("accounts/fireworks/models/llama-v3p1-8b-instruct", "fireworks_ai")]
explicit = set(q[-16:])
seen = set(); out = []
for m, p in q:
    if (m, p) in seen: continue
    seen.add((m, p))
    try:
        i = get_model_info(m, p)
        key = i["key"]
        out.append([m, p, key if key in d else None, key if key not in d else None])
    except Exception as e:
        out.append([m, p, None, None])
if "--all" not in sys.argv:
    # A sample for the repository: the explicit queries, rule-based answers, and queries
    # answered by another name or by "not mapped", plus some plain ones.
    odd = [i for i, r in enumerate(out) if r[2] != r[0] and (r[0], r[1]) not in explicit]
    plain = [i for i, r in enumerate(out) if r[2] == r[0] and (r[0], r[1]) not in explicit]
    keep = set(random.sample(odd, 500)) | set(random.sample(plain, 100))
    keep |= {i for i, r in enumerate(out) if (r[0], r[1]) in explicit or r[3]}
    out = [r for i, r in enumerate(out) if i in keep]
with open(sys.argv[1], 'w') as f:
    for row in out: f.write(json.dumps(row) + "\n")
print(len(out), "queries,", sum(1 for r in out if r[3]), "answered by fallback rules")
