"""Shared machinery of gen_golden.py and check.py (stdlib only).

- loading cases
- starting/stopping the capture server and a proxy (by PID / own process group)
- replaying one case through a proxy as a plain HTTP client
- normalizing what was captured / received
- the semantic diff
"""
import hashlib
import hmac
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CAPTURE_PORT = 18765
DEFAULT_PROXY_PORT = 14000
CONFIG = os.path.join(HERE, "config.yaml")

# ----------------------------------------------------------------------------
# cases / config
# ----------------------------------------------------------------------------


def load_cases(which="all", only=None):
    sets = ["public", "heldout"] if which == "all" else [which]
    cases = []
    for s in sets:
        d = os.path.join(HERE, "cases", s)
        if not os.path.isdir(d):
            continue
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".json"):
                with open(os.path.join(d, fn)) as fh:
                    c = json.load(fh)
                c["_set"] = s
                if only and not any(re.search(p, c["id"]) for p in only):
                    continue
                cases.append(c)
    return cases


def master_key(config_path):
    with open(config_path) as fh:
        m = re.search(r"^\s*master_key:\s*[\"']?([^\s\"'#]+)", fh.read(), re.M)
    return m.group(1) if m else None


# ----------------------------------------------------------------------------
# processes
# ----------------------------------------------------------------------------


def port_open(port, host="127.0.0.1"):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_capture(port, log_path, python=None):
    if port_open(port):
        raise SystemExit("port %d already in use (capture server)" % port)
    p = subprocess.Popen([python or sys.executable, os.path.join(HERE, "capture_server.py"), "--port", str(port),
                          "--log", log_path], stdout=subprocess.DEVNULL, stderr=open(log_path + ".stderr", "w"),
                         start_new_session=True)
    for _ in range(100):
        if port_open(port):
            return p
        time.sleep(0.1)
    stop(p)
    raise SystemExit("capture server did not start")


def start_proxy(cmd_template, config, port, log_path, env=None, timeout=180, settle=2.0):
    if port_open(port):
        raise SystemExit("port %d already in use (proxy)" % port)
    cmd = cmd_template.format(config=config, port=port)
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.Popen(cmd, shell=True, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=full_env,
                         cwd=os.path.dirname(os.path.abspath(log_path)), start_new_session=True)
    t0 = time.time()
    while time.time() - t0 < timeout:
        if p.poll() is not None:
            raise SystemExit("proxy exited early (rc=%s); see %s" % (p.returncode, log_path))
        if port_open(port):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/health/liveliness" % port, timeout=5) as r:
                    r.read()
                time.sleep(settle)  # let start-up background requests finish
                return p
            except urllib.error.HTTPError as e:
                if e.code < 500:
                    time.sleep(settle)
                    return p
            except OSError:
                pass
        time.sleep(0.5)
    stop(p)
    raise SystemExit("proxy not ready after %ds; see %s" % (timeout, log_path))


def stop(p):
    """Stop a process we started (its own session/process group, by PID)."""
    if p is None or p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(timeout=5)


# ----------------------------------------------------------------------------
# replay
# ----------------------------------------------------------------------------


def _http_json(url, body=None, method=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def parse_sse(raw_text, with_names=False):
    """Return the list of `data:` payloads (JSON-decoded when possible).

    with_names=True also returns, per payload, the name of its `event:` line (None when the
    block has none): (payloads, names).  Used only for /v1/responses cases."""
    events = []
    names = []
    for block in re.split(r"\r?\n\r?\n", raw_text):
        datas = []
        name = None
        for line in block.splitlines():
            if line.startswith("data:"):
                datas.append(line[5:].lstrip(" "))
            elif line.startswith("event:"):
                name = line[6:].strip()
        if not datas:
            continue
        payload = "\n".join(datas)
        try:
            events.append(json.loads(payload))
        except ValueError:
            events.append(payload)
        names.append(name)
    return (events, names) if with_names else events


KEEP_CLIENT_HEADERS_DROP = re.compile(r"^(x-litellm-.*|date|server|content-length|transfer-encoding|connection|"
                                      r"x-request-id|x-call-id|llm_provider-date|llm_provider-content-length|"
                                      r"llm_provider-server|llm_provider-connection|llm_provider-transfer-encoding|"
                                      r"llm_provider-x-amzn-requestid)$", re.I)


def is_background(rec):
    """Requests a proxy makes on its own (not caused by the case): model discovery GET .../models."""
    return rec["method"] == "GET" and rec["path"].rstrip("/").endswith("/models")


RESPONSES_ENDPOINT = "/v1/responses"


def is_responses_case(case):
    return (case.get("endpoint") or "").rstrip("/") == RESPONSES_ENDPOINT


def replay(case, proxy_port, capture_port, mkey, timeout=180):
    cap = "http://127.0.0.1:%d" % capture_port
    _http_json(cap + "/__oracle/begin", {"case_id": case["id"], "scenario": case.get("scenario") or {}})
    url = "http://127.0.0.1:%d%s" % (proxy_port, case.get("endpoint") or "/v1/chat/completions")
    headers = {"content-type": "application/json"}
    if mkey:
        headers["authorization"] = "Bearer " + mkey
    req = urllib.request.Request(url, data=json.dumps(case["request"]).encode(), method="POST", headers=headers)
    t0 = time.time()
    try:
        r = urllib.request.urlopen(req, timeout=timeout)
        status = r.status
    except urllib.error.HTTPError as e:
        r = e
        status = e.code
    raw = r.read()
    resp_headers = {k.lower(): v for k, v in r.headers.items()}
    elapsed = time.time() - t0
    time.sleep(0.15)  # let straggling upstream attempts land
    captured = [r for r in _http_json(cap + "/__oracle/requests")["requests"] if not is_background(r)]
    ctype = resp_headers.get("content-type", "")
    response = {"status": status,
                "headers": {k: v for k, v in sorted(resp_headers.items()) if not KEEP_CLIENT_HEADERS_DROP.match(k)}}
    text = raw.decode("utf-8", "replace")
    if is_responses_case(case):
        # /v1/responses: SSE blocks carry `event: <type>` lines too; keep their names (informational)
        if "text/event-stream" in ctype or (case["request"].get("stream") and status == 200 and
                                            text.startswith(("data:", "event:"))):
            response["events"], response["event_names"] = parse_sse(text, with_names=True)
        else:
            try:
                response["body"] = json.loads(text)
            except ValueError:
                response["body_text"] = text
    elif "text/event-stream" in ctype or (case["request"].get("stream") and status == 200 and text.startswith("data:")):
        response["events"] = parse_sse(text)
    else:
        try:
            response["body"] = json.loads(text)
        except ValueError:
            response["body_text"] = text
    return {"upstream": captured, "response": response, "elapsed_s": round(elapsed, 2)}


# ----------------------------------------------------------------------------
# normalization (documented in README.md)
# ----------------------------------------------------------------------------

# upstream request headers never recorded (transport / SDK noise / tracing)
UPSTREAM_HEADER_DROP = re.compile(r"^(user-agent|content-length|host|connection|accept-encoding|accept|"
                                  r"x-stainless-.*|traceparent|tracestate|baggage|sentry-trace|"
                                  r"amz-sdk-invocation-id|amz-sdk-request|x-amz-user-agent|x-request-id|"
                                  r"transfer-encoding|expect)$", re.I)
# upstream headers that check.py compares (all others are informational only)
COMPARED_UPSTREAM_HEADERS = ["authorization", "api-key", "x-api-key", "x-goog-api-key", "anthropic-version",
                             "anthropic-beta", "content-type", "x-amz-date", "x-amz-security-token",
                             "x-amz-content-sha256", "openai-organization"]
# client response headers that check.py compares
COMPARED_CLIENT_HEADERS = ["content-type", "retry-after"]

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
HEX_RUN_RE = re.compile(r"[0-9a-f]{16,}")
SIGV4_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                      r"SignedHeaders=([^,]+), Signature=([0-9a-f]+)$")

CONFIG_SECRETS = {}  # access key id -> secret, filled by load_aws_secrets()


def load_aws_secrets(config_path):
    with open(config_path) as fh:
        text = fh.read()
    ids = re.findall(r"aws_access_key_id:\s*\"?([^\s\"]+)", text)
    secrets = re.findall(r"aws_secret_access_key:\s*\"?([^\s\"]+)", text)
    for k, s in zip(ids, secrets):
        CONFIG_SECRETS[k] = s


def _sigv4_valid(rec, m):
    """Recompute the SigV4 signature of a captured request with the fake secret."""
    akid, date, region, service, signed, sig = m.groups()
    secret = CONFIG_SECRETS.get(akid)
    if secret is None or "body_sha256" not in rec:
        return None
    hdrs = rec["headers"]
    names = signed.split(";")
    canon_headers = "".join("%s:%s\n" % (n, " ".join(str(hdrs.get(n, "")).strip().split())) for n in names)
    # botocore: non-S3 services double-encode the (already encoded) path
    canon_uri = quote(rec["path"], safe="/~")
    q = rec.get("raw_query", "")
    pairs = sorted(tuple(p.split("=", 1)) if "=" in p else (p, "") for p in q.split("&") if p)
    canon_q = "&".join("%s=%s" % kv for kv in pairs)
    creq = "\n".join([rec["method"], canon_uri, canon_q, canon_headers, signed, rec["body_sha256"]])
    amz_date = hdrs.get("x-amz-date", "")
    scope = "%s/%s/%s/aws4_request" % (date, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])

    def h(k, msg):
        return hmac.new(k, msg.encode(), hashlib.sha256).digest()

    k = h(h(h(h(("AWS4" + secret).encode(), date), region), service), "aws4_request")
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest() == sig


def normalize_upstream(rec):
    out = {"method": rec["method"], "path": rec["path"], "query": rec.get("query") or {}}
    hdrs = {}
    for k, v in sorted(rec["headers"].items()):
        if UPSTREAM_HEADER_DROP.match(k):
            continue
        if k == "authorization" and v.startswith("AWS4-HMAC-SHA256"):
            m = SIGV4_RE.match(v)
            if m:
                valid = _sigv4_valid(rec, m)
                v = "AWS4-HMAC-SHA256 Credential=%s/<date>/%s/%s/aws4_request, SignedHeaders=<signed>, Signature=%s" % (
                    m.group(1), m.group(3), m.group(4),
                    "<valid>" if valid else ("<INVALID>" if valid is False else "<unverified>"))
        elif k == "x-amz-date":
            v = "<amz-date>"
        elif k == "x-amz-content-sha256":
            v = "<sha256>"
        elif k == "content-type":
            v = v.split(";")[0].strip().lower()
        hdrs[k] = v
    out["headers"] = hdrs
    if rec.get("body") is not None:
        out["body"] = rec["body"]
    if rec.get("body_text") is not None:
        out["body_text"] = rec["body_text"]
    return out


ID_KEYS = {"id", "tool_call_id", "call_id", "response_id", "generation_id"}
# Responses API objects (only /v1/responses cases): server-minted object ids under these keys are opaque
# (LiteLLM wraps resp_ ids in base64 with its deployment id, and mints msg_<uuid>, fc_<call id>, rs_<uuid>):
# `<prefix>_<anything>` -> `<prefix>_<id>`; the prefix stays compared.
RESPONSES_OBJECT_ID_KEYS = {"id", "item_id", "response_id", "previous_response_id"}
RESPONSES_PREFIXED_ID_RE = re.compile(r"^([A-Za-z]+)_.+$", re.S)
RESPONSES_TIMESTAMP_KEYS = {"created_at", "completed_at"}


def _mask_id_value(v):
    return HEX_RUN_RE.sub("<hex>", UUID_RE.sub("<uuid>", v))


def _mask_ids(obj, parent_key=None, responses=False):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in ("created",) and isinstance(v, (int, float)) and not isinstance(v, bool):
                out[k] = "<timestamp>"
            elif k == "system_fingerprint":
                continue
            elif responses and k in RESPONSES_TIMESTAMP_KEYS and isinstance(v, (int, float)) and \
                    not isinstance(v, bool):
                out[k] = "<timestamp>"
            elif responses and k in RESPONSES_OBJECT_ID_KEYS and isinstance(v, str) and \
                    RESPONSES_PREFIXED_ID_RE.match(v):
                out[k] = RESPONSES_PREFIXED_ID_RE.match(v).group(1) + "_<id>"
            elif (k in ID_KEYS or (responses and k in RESPONSES_OBJECT_ID_KEYS)) and isinstance(v, str):
                out[k] = _mask_id_value(v)
            else:
                out[k] = _mask_ids(v, k, responses)
        return out
    if isinstance(obj, list):
        return [_mask_ids(x, parent_key, responses) for x in obj]
    return obj


def assemble_stream(events):
    """Fold OpenAI chat.completion.chunk events into one summary object."""
    choices = {}
    usage = None
    model = None
    obj = None
    for ev in events:
        if not isinstance(ev, dict):
            continue
        obj = ev.get("object", obj)
        model = ev.get("model", model)
        if ev.get("usage"):
            usage = ev["usage"]
        for ch in ev.get("choices") or []:
            c = choices.setdefault(ch.get("index", 0), {"role": None, "content": None, "tool_calls": {},
                                                         "finish_reason": None})
            d = ch.get("delta") or {}
            if d.get("role"):
                c["role"] = d["role"]
            if d.get("content"):
                c["content"] = (c["content"] or "") + d["content"]
            for tc in d.get("tool_calls") or []:
                t = c["tool_calls"].setdefault(tc.get("index", 0), {"id": None, "type": None, "name": None,
                                                                     "arguments": ""})
                if tc.get("id"):
                    t["id"] = tc["id"]
                if tc.get("type"):
                    t["type"] = tc["type"]
                fn = tc.get("function") or {}
                if fn.get("name"):
                    t["name"] = fn["name"]
                if fn.get("arguments"):
                    t["arguments"] += fn["arguments"]
            if ch.get("finish_reason"):
                c["finish_reason"] = ch["finish_reason"]
    out_choices = []
    for idx in sorted(choices):
        c = choices[idx]
        tcs = [c["tool_calls"][i] for i in sorted(c["tool_calls"])]
        for t in tcs:
            try:
                t["arguments"] = json.loads(t["arguments"]) if t["arguments"] else {}
            except ValueError:
                pass
        out_choices.append({"index": idx, "role": c["role"], "content": c["content"], "tool_calls": tcs,
                            "finish_reason": c["finish_reason"]})
    done = any(e == "[DONE]" for e in events)
    return {"object": obj, "model": model, "choices": out_choices, "usage": usage, "done_marker": done,
            "n_events": len(events)}


RESPONSES_TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


def _parse_args(a):
    if not isinstance(a, str):
        return a
    try:
        return json.loads(a) if a else {}
    except ValueError:
        return a


def _responses_output_summary(output):
    """Message items -> role + joined output_text; function_call items -> name, call_id, parsed arguments."""
    out = []
    for item in output or []:
        if not isinstance(item, dict):
            continue
        t = item.get("type")
        if t == "message":
            text = "".join(c.get("text") or "" for c in item.get("content") or []
                           if isinstance(c, dict) and c.get("type") == "output_text")
            out.append({"type": t, "role": item.get("role"), "status": item.get("status"), "text": text})
        elif t == "function_call":
            out.append({"type": t, "status": item.get("status"), "name": item.get("name"),
                        "call_id": item.get("call_id"), "arguments": _parse_args(item.get("arguments"))})
        else:
            out.append({"type": t})
    return out


def assemble_responses_stream(events, names=None):
    """Fold a Responses API event stream (response.* events) into one summary object."""
    texts = {}
    calls = {}
    status = model = usage = final = None
    last_type = None
    for ev in events:
        if not isinstance(ev, dict):
            continue
        t = ev.get("type")
        last_type = t
        resp = ev.get("response") if isinstance(ev.get("response"), dict) else None
        if resp is not None:
            status = resp.get("status", status)
            model = resp.get("model", model)
            if resp.get("usage"):
                usage = resp["usage"]
            if t in RESPONSES_TERMINAL_EVENTS:
                final = resp
        oi = ev.get("output_index", 0)
        if t == "response.output_text.delta":
            texts[oi] = texts.get(oi, "") + (ev.get("delta") or "")
        elif t in ("response.output_item.added", "response.output_item.done"):
            item = ev.get("item") if isinstance(ev.get("item"), dict) else {}
            if item.get("type") == "function_call":
                c = calls.setdefault(oi, {"name": None, "call_id": None, "deltas": "", "done": None})
                c["name"] = item.get("name") or c["name"]
                c["call_id"] = item.get("call_id") or c["call_id"]
                if t == "response.output_item.done":
                    c["done"] = item.get("arguments")
        elif t == "response.function_call_arguments.delta":
            c = calls.setdefault(oi, {"name": None, "call_id": None, "deltas": "", "done": None})
            c["deltas"] += ev.get("delta") or ""
        elif t == "response.function_call_arguments.done":
            c = calls.setdefault(oi, {"name": None, "call_id": None, "deltas": "", "done": None})
            c["done"] = ev.get("arguments")
    fcs = []
    for oi in sorted(calls):
        c = calls[oi]
        fcs.append({"output_index": oi, "name": c["name"], "call_id": c["call_id"],
                    "arguments": _parse_args(c["deltas"] if c["deltas"] else (c["done"] or ""))})
    names = names or []
    named = [(n, ev.get("type")) for n, ev in zip(names, events) if n is not None and isinstance(ev, dict)]
    return {"status": status, "model": model,
            "text": "".join(texts[i] for i in sorted(texts)) if texts else None,
            "function_calls": fcs, "usage": usage,
            "final_output": _responses_output_summary((final or {}).get("output")) if final else None,
            "terminal_event": last_type if last_type in RESPONSES_TERMINAL_EVENTS else None,
            # an `event:` line, where there is one, must name the data's type (its absence is allowed)
            "event_names_match_type": all(n == t for n, t in named),
            "done_marker": any(e == "[DONE]" for e in events), "n_events": len(events)}


def _error_must_contain(case, body):
    msgs = []
    scen = case.get("scenario") or {}
    if scen.get("error"):
        try:
            sys.path.insert(0, HERE)
            import capture_server as cs
            for fam in cs.ERRORS.values():
                e = fam[scen["error"]]
                m = (e.get("error") or {}).get("message") if isinstance(e.get("error"), dict) else (
                    e.get("error") if isinstance(e.get("error"), str) else e.get("message"))
                if m:
                    msgs.append(m)
        except Exception:
            pass
    got = ((body or {}).get("error") or {}).get("message") if isinstance(body, dict) else None
    keep = [m for m in msgs if got and m in got]
    keep += [p for p in case.get("error_message_contains") or [] if got and p in got]
    return keep


def normalize_result(case, result):
    """Turn a raw replay() result into the golden/compare form."""
    ups = [normalize_upstream(r) for r in result["upstream"]]
    resp = result["response"]
    n = {"status": resp["status"],
         "headers": {k: (v.split(";")[0].strip().lower() if k == "content-type" else v)
                     for k, v in resp["headers"].items()}}
    rsp = is_responses_case(case)
    if "events" in resp and rsp:
        n["events"] = [_mask_ids(e, responses=True) for e in resp["events"]]
        n["event_names"] = resp.get("event_names")  # informational, not compared
        n["assembled"] = _mask_ids(assemble_responses_stream(resp["events"], resp.get("event_names")),
                                   responses=True)
    elif "events" in resp:
        evs = [_mask_ids(e) for e in resp["events"]]
        n["events"] = evs
        n["assembled"] = _mask_ids(assemble_stream(resp["events"]))
    elif "body" in resp:
        n["body"] = _mask_ids(resp["body"], responses=rsp)
        if resp["status"] >= 400 and isinstance(resp["body"], dict) and isinstance(resp["body"].get("error"), dict):
            n["error_message_contains"] = _error_must_contain(case, resp["body"])
    else:
        n["body_text"] = resp.get("body_text")
    return {"id": case["id"], "family": case.get("family"), "model_alias": case["model_alias"],
            "endpoint": case.get("endpoint") or "/v1/chat/completions",
            "upstream_attempts": len(ups), "upstream": ups, "response": n}


# ----------------------------------------------------------------------------
# semantic diff
# ----------------------------------------------------------------------------
FLOAT_REL_TOL = 1e-6
FLOAT_ABS_TOL = 1e-9


def _is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _empty(x):
    return x is None or x == {} or x == [] or x == ""


def diff(a, b, path="$", lenient=False):
    """First difference between golden a and actual b, as (path, golden, actual) or None."""
    if _is_num(a) and _is_num(b):
        if a == b or math.isclose(a, b, rel_tol=FLOAT_REL_TOL, abs_tol=FLOAT_ABS_TOL):
            return None
        return (path, a, b)
    if type(a) is not type(b):
        return (path, a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            p = "%s.%s" % (path, k)
            if k not in b:
                if lenient and _empty(a[k]):
                    continue
                return (p, a[k], "<missing>")
            if k not in a:
                if lenient and _empty(b[k]):
                    continue
                return (p, "<missing>", b[k])
            d = diff(a[k], b[k], p, lenient)
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, "%s[%d]" % (path, i), lenient)
            if d:
                return d
        if len(a) != len(b):
            return ("%s.length" % path, len(a), len(b))
        return None
    return None if a == b else (path, a, b)


RESPONSES_STREAM_FREE = ("done_marker", "n_events")


def compare(golden, actual, stream_mode="strict", lenient=False):
    """Compare one case. Returns None (pass) or (path, golden_value, actual_value)."""
    ga, aa = golden["upstream_attempts"], actual["upstream_attempts"]
    if ga != aa:
        return ("$.upstream_attempts", ga, aa)
    for i, (g, a) in enumerate(zip(golden["upstream"], actual["upstream"])):
        base = "$.upstream[%d]" % i
        for k in ("method", "path", "query"):
            d = diff(g[k], a[k], "%s.%s" % (base, k))
            if d:
                return d
        gh = {k: v for k, v in g["headers"].items() if k in COMPARED_UPSTREAM_HEADERS}
        ah = {k: v for k, v in a["headers"].items() if k in COMPARED_UPSTREAM_HEADERS}
        # content-type is only enforced when LiteLLM sends application/json (see README)
        if gh.get("content-type") not in (None, "application/json"):
            gh.pop("content-type", None)
            ah.pop("content-type", None)
        d = diff(gh, ah, base + ".headers")
        if d:
            return d
        d = diff(g.get("body"), a.get("body"), base + ".body", lenient)
        if d:
            return d
        d = diff(g.get("body_text"), a.get("body_text"), base + ".body_text")
        if d:
            return d
    gr, ar = golden["response"], actual["response"]
    d = diff(gr["status"], ar["status"], "$.response.status")
    if d:
        return d
    gh = {k: v for k, v in gr["headers"].items() if k in COMPARED_CLIENT_HEADERS}
    ah = {k: v for k, v in ar["headers"].items() if k in COMPARED_CLIENT_HEADERS}
    d = diff(gh, ah, "$.response.headers")
    if d:
        return d
    if "events" in gr or "events" in ar:
        gs, as_ = gr.get("assembled"), ar.get("assembled")
        if is_responses_case(golden) and isinstance(gs, dict) and isinstance(as_, dict):
            # OpenAI ends a Responses stream after response.completed; LiteLLM adds data: [DONE]. Either is right,
            # and so is writing or omitting event: lines, so the marker and the raw event count are not compared.
            gs = {k: v for k, v in gs.items() if k not in RESPONSES_STREAM_FREE}
            as_ = {k: v for k, v in as_.items() if k not in RESPONSES_STREAM_FREE}
        d = diff(gs, as_, "$.response.assembled", lenient)
        if d:
            return d
        if stream_mode == "strict":
            d = diff(gr.get("events"), ar.get("events"), "$.response.events", lenient)
            if d:
                return d
        return None
    gb, ab = gr.get("body"), ar.get("body")
    must = gr.get("error_message_contains")
    if must is not None and isinstance(gb, dict) and isinstance(ab, dict) and \
            isinstance(gb.get("error"), dict) and isinstance(ab.get("error"), dict):
        got = ab["error"].get("message")
        if not isinstance(got, str):
            return ("$.response.body.error.message", "<string>", got)
        for m in must:
            if m not in got:
                return ("$.response.body.error.message", "<contains %r>" % m, got)
        gb = dict(gb, error={k: v for k, v in gb["error"].items() if k != "message"})
        ab = dict(ab, error={k: v for k, v in ab["error"].items() if k != "message"})
    d = diff(gb, ab, "$.response.body", lenient)
    if d:
        return d
    return diff(gr.get("body_text"), ar.get("body_text"), "$.response.body_text")


def short(v, n=120):
    s = json.dumps(v) if not isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[:n] + "..."


def short_pair(g, a, n=120):
    """Render golden/actual values; for long differing strings show a window around the first difference."""
    if isinstance(g, str) and isinstance(a, str) and (len(g) > n or len(a) > n):
        i = next((k for k, (x, y) in enumerate(zip(g, a)) if x != y), min(len(g), len(a)))
        lo = max(0, i - 40)
        pre = "..." if lo else ""
        return pre + repr(g[lo:lo + n]), pre + repr(a[lo:lo + n])
    return short(g, n), short(a, n)
