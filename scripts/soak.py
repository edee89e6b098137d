#!/usr/bin/env python3
"""Mixed-traffic soak of the llmux gateway against llmux-mock (issue #7, item 3).

Starts the mock and the gateway, runs WORKERS threads of mixed traffic (plain and
streamed chat, large bodies, upstream faults, clients that hang up mid-stream) for
--minutes, and samples the gateway's RSS and open file descriptors every --every
seconds. Prints one CSV line per sample and a summary (start, peak, end). With
--max-rss-mib it fails if the RSS ever goes over that bound, and with --max-fd-growth
if the end has that many more fds than the start (after traffic stops).
"""
import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

MODELS = {
    "plain": "",
    "stream": "/chunks/200",
    "large": "/pad/512",
    "err500": "/error/500",
    "err429": "/error/429/retry_after/1e20",
    "bad_event": "/bad_event",
    "cut": "/cut_stream",
    "truncated": "/truncated",
    "html": "/html",
    "slow": "/pace/10/chunks/1000",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port, path, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"nothing answered on port {port}{path}")


def config(mock_port):
    lines = ["model_list:"]
    for name, controls in MODELS.items():
        lines += [
            f"  - model_name: {name}",
            "    litellm_params:",
            "      model: openai/gpt-4o-mini",
            f'      api_base: "http://127.0.0.1:{mock_port}{controls}/v1"',
            "      api_key: sk-soak",
            "      num_retries: 0",
            "      timeout: 30",
        ]
    lines += ["litellm_settings:", "  num_retries: 0"]
    return "\n".join(lines) + "\n"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def one_call(port, counts):
    model = random.choice(list(MODELS))
    stream = model in ("stream", "bad_event", "cut", "slow") or random.random() < 0.2
    body = json.dumps({
        "model": model,
        "messages": [{"role": "user", "content": "hi " * random.randint(1, 2000)}],
        "stream": stream,
    })
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        r = c.getresponse()
        if model == "slow" and r.status == 200:
            r.read(2048)  # a client that hangs up mid-stream
            counts["disconnects"] += 1
        else:
            r.read()
        counts[str(r.status)] = counts.get(str(r.status), 0) + 1
    except OSError:
        counts["client_errors"] += 1
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llmux", required=True)
    ap.add_argument("--mock", required=True)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--every", type=float, default=10)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--max-rss-mib", type=float)
    ap.add_argument("--max-fd-growth", type=int)
    a = ap.parse_args()

    mock_port, port = free_port(), free_port()
    mock = subprocess.Popen([a.mock, "--port", str(mock_port), "--no-record"])
    procs = [mock]
    try:
        wait_up(mock_port, "/health")
        cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        cfg.write(config(mock_port))
        cfg.close()
        gw = subprocess.Popen(
            [a.llmux, "--config", cfg.name, "--port", str(port), "--host", "127.0.0.1"],
            env={**os.environ, "LLMUX_LOG": "error"},
        )
        procs.append(gw)
        wait_up(port, "/health/liveliness")
        time.sleep(1)
        start = (rss_kib(gw.pid), fds(gw.pid))

        stop = time.time() + a.minutes * 60
        counts = {"client_errors": 0, "disconnects": 0}
        lock = threading.Lock()

        def worker():
            local = {"client_errors": 0, "disconnects": 0}
            while time.time() < stop:
                one_call(port, local)
            with lock:
                for k, v in local.items():
                    counts[k] = counts.get(k, 0) + v

        threads = [threading.Thread(target=worker) for _ in range(a.workers)]
        for t in threads:
            t.start()
        samples = []
        print("elapsed_s,rss_mib,fds", flush=True)
        t0 = time.time()
        while time.time() < stop:
            time.sleep(min(a.every, max(0.0, stop - time.time())))
            s = (time.time() - t0, rss_kib(gw.pid) / 1024, fds(gw.pid))
            samples.append(s)
            print(f"{s[0]:.0f},{s[1]:.1f},{s[2]}", flush=True)
        for t in threads:
            t.join()
        time.sleep(2)  # idle connections close, buffers go back
        end = (rss_kib(gw.pid) / 1024, fds(gw.pid))
        peak_rss = max([start[0] / 1024] + [s[1] for s in samples])
        peak_fds = max([start[1]] + [s[2] for s in samples])
        print(f"requests by status: {json.dumps(counts, sort_keys=True)}")
        print(f"rss MiB: start {start[0] / 1024:.1f}, peak {peak_rss:.1f}, end {end[0]:.1f}")
        print(f"fds: start {start[1]}, peak {peak_fds}, end {end[1]}")
        ok = gw.poll() is None
        if not ok:
            print("FAIL: the gateway exited", file=sys.stderr)
        if a.max_rss_mib is not None and peak_rss > a.max_rss_mib:
            print(f"FAIL: RSS peaked at {peak_rss:.1f} MiB > {a.max_rss_mib}", file=sys.stderr)
            ok = False
        if a.max_fd_growth is not None and end[1] - start[1] > a.max_fd_growth:
            print(f"FAIL: {end[1] - start[1]} more fds at the end", file=sys.stderr)
            ok = False
        served = sum(v for k, v in counts.items() if k.isdigit())
        if served == 0:
            print("FAIL: no request was answered", file=sys.stderr)
            ok = False
        sys.exit(0 if ok else 1)
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
