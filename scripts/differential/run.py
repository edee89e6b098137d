#!/usr/bin/env python3
"""Run the generated matrix through LiteLLM's proxy and through llmux, and diff them.

  python3 run.py --litellm-cmd "venv/bin/litellm --config {config} --port {port} --host 127.0.0.1" \\
                 --llmux-cmd "target/release/llmux --config {config} --port {port}" \\
                 --work DIR --out scripts/differential/last-run

Both proxies get the same config.yaml and the same capture server (the shared oracle's,
copied here with its normaliser: `capture_server.py`, `oracle_lib.py`). For each variant
the upstream requests and the client response are normalised as the oracle does and
compared; every difference is a divergence. A divergence whose case id matches a pattern
in `reasons.json` is documented (deliberate, or not fixed yet, with the reason); any
other is undocumented. Writes OUT/summary.md and OUT/divergences.json. Stdlib only.
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_cases  # noqa: E402
import oracle_lib as ol  # noqa: E402

ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False", "LITELLM_LOG": "ERROR",
       "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "NO_PROXY": "*"}


def run_proxy(name, cmd, config, cases, args):
    """Replays every case through one proxy; returns {id: normalized result}."""
    out = {}
    logs = os.path.join(args.work, name)
    os.makedirs(logs, exist_ok=True)
    cap = prox = None
    try:
        cap = ol.start_capture(args.capture_port, os.path.join(logs, "capture.jsonl"))
        prox = ol.start_proxy(cmd, config, args.proxy_port, os.path.join(logs, "proxy.log"), env=ENV,
                              timeout=args.startup_timeout)
        mkey = ol.master_key(config)
        for i, c in enumerate(cases):
            try:
                out[c["id"]] = ol.normalize_result(c, ol.replay(c, args.proxy_port, args.capture_port, mkey,
                                                                timeout=60))
            except Exception as e:  # a crash or a timeout is a result too
                out[c["id"]] = {"replay_error": "%s: %s" % (type(e).__name__, e)}
            if (i + 1) % 100 == 0:
                print("  %s: %d/%d" % (name, i + 1, len(cases)), flush=True)
    finally:
        ol.stop(prox)
        ol.stop(cap)
    with open(os.path.join(args.work, name + ".json"), "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--litellm-cmd", required=True)
    ap.add_argument("--llmux-cmd", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "last-run"))
    ap.add_argument("--only", action="append", help="regex on case id (repeatable)")
    ap.add_argument("--capture-port", type=int, default=18865)
    ap.add_argument("--proxy-port", type=int, default=14100)
    ap.add_argument("--startup-timeout", type=int, default=240)
    ap.add_argument("--reuse-litellm", action="store_true",
                    help="reuse WORK/litellm.json from an earlier run instead of running LiteLLM again")
    ap.add_argument("--reuse-llmux", action="store_true",
                    help="reuse WORK/llmux.json too: only compare and write the summary again")
    ap.add_argument("--litellm-only", action="store_true", help="only record LiteLLM's results (WORK/litellm.json)")
    args = ap.parse_args()

    cap_url = "http://127.0.0.1:%d" % args.capture_port
    aliases, cases = gen_cases.generate(cap_url)
    if args.only:
        cases = [c for c in cases if any(re.search(p, c["id"]) for p in args.only)]
    os.makedirs(args.work, exist_ok=True)
    config = os.path.abspath(os.path.join(args.work, "config.yaml"))
    with open(config, "w") as fh:
        fh.write(gen_cases.config_yaml(aliases, cap_url))
    ol.load_aws_secrets(config)
    print("%d variants" % len(cases), flush=True)

    cached = os.path.join(args.work, "litellm.json")
    if args.reuse_litellm and os.path.exists(cached):
        with open(cached) as fh:
            lite = json.load(fh)
    else:
        lite = run_proxy("litellm", args.litellm_cmd, config, cases, args)
    if args.litellm_only:
        return
    mux_cached = os.path.join(args.work, "llmux.json")
    if args.reuse_llmux and os.path.exists(mux_cached):
        with open(mux_cached) as fh:
            mux = json.load(fh)
    else:
        mux = run_proxy("llmux", args.llmux_cmd, config, cases, args)

    with open(os.path.join(HERE, "reasons.json")) as fh:
        reasons = json.load(fh)["reasons"]
    divergences = []
    for c in cases:
        a, b = lite.get(c["id"]), mux.get(c["id"])
        if a is None or b is None:
            continue
        if "replay_error" in a or "replay_error" in b:
            d = ("$replay", a.get("replay_error"), b.get("replay_error"))
            if d[1] == d[2]:
                continue
        else:
            d = ol.compare(a, b, "strict", False)
        if d is None:
            continue
        path, lv, mv = d
        reason = next((r for r in reasons if re.search(r["cases"], c["id"])), None)
        divergences.append({"id": c["id"], "path": path, "litellm": ol.short(lv, 300), "llmux": ol.short(mv, 300),
                            "reason": reason["why"] if reason else None,
                            "kind": reason["kind"] if reason else "undocumented"})

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "divergences.json"), "w") as fh:
        json.dump(divergences, fh, indent=1, sort_keys=True)
    undocumented = [d for d in divergences if d["kind"] == "undocumented"]
    by_kind = {}
    for d in divergences:
        by_kind.setdefault(d["kind"], []).append(d)
    lines = ["# Differential run: LiteLLM 1.108.7 proxy vs llmux", "",
             "Generated by `scripts/differential.sh` (`scripts/differential/run.py`); the variants come from",
             "`gen_cases.py`, the reasons from `reasons.json`.", "",
             "- variants: %d" % len(cases),
             "- identical upstream requests and client responses: %d" % (len(cases) - len(divergences)),
             "- divergences: %d (%s)" % (len(divergences),
                                        ", ".join("%s %d" % (k, len(v)) for k, v in sorted(by_kind.items())) or "none"),
             "- undocumented divergences: %d" % len(undocumented), ""]
    for kind, items in sorted(by_kind.items()):
        lines += ["## %s" % kind, "", "| variant | first difference | LiteLLM | llmux | reason |", "|---|---|---|---|---|"]
        for d in items:
            cell = lambda v: str(v).replace("|", "\\|").replace("\n", " ")[:160]  # noqa: E731
            lines.append("| %s | `%s` | %s | %s | %s |" % (d["id"], d["path"], cell(d["litellm"]), cell(d["llmux"]),
                                                         cell(d["reason"] or "")))
        lines.append("")
    with open(os.path.join(args.out, "summary.md"), "w") as fh:
        fh.write("\n".join(lines))
    print("%d variants, %d divergences, %d undocumented" % (len(cases), len(divergences), len(undocumented)))
    print("summary: %s" % os.path.join(args.out, "summary.md"))


if __name__ == "__main__":
    main()
