"""Session fixtures: start llmux-mock (fake upstream) and llmux (gateway) on free local ports."""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-test-master"
HOST = "127.0.0.1"

# Never send the local test traffic through a proxy from the environment (urllib and httpx).
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), HOST, "localhost"]))


def _bin(env: str, name: str) -> str:
    path = os.environ.get(env) or str(ROOT / "target" / "release" / name)
    if not os.access(path, os.X_OK):
        pytest.exit(
            f"{name} binary not found at {path} (set {env} or run scripts/sdk-tests.sh)",
            returncode=2,
        )
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as e:
            last = e
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s (last error: {last})")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _dump(logs: list) -> str:
    out = []
    for name, path in logs:
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            text = "<unreadable>"
        out.append(f"----- {name} stderr ({path}) -----\n{text}")
    return "\n".join(out)


def _config(mock_port: int) -> str:
    base = f"http://{HOST}:{mock_port}"
    return f"""\
general_settings:
  master_key: {MASTER_KEY}

model_list:
  - model_name: gpt-test
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {base}/v1
      api_key: sk-upstream
  - model_name: embed-test
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {base}/v1
      api_key: sk-upstream
  - model_name: ratelimited
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {base}/error/429/v1
      api_key: sk-upstream
      num_retries: 0
  - model_name: claude-test
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_base: {base}
      api_key: sk-upstream
  - model_name: gemini-test
    litellm_params:
      model: gemini/gemini-2.5-flash
      api_base: {base}/v1beta
      api_key: sk-upstream
  - model_name: claude-ratelimited
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_base: {base}/error/429
      api_key: sk-upstream
      num_retries: 0
"""


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    """Base URL of a running llmux (e.g. http://127.0.0.1:PORT), backed by llmux-mock."""
    llmux = _bin("LLMUX_BIN", "llmux")
    mock = _bin("LLMUX_MOCK_BIN", "llmux-mock")
    tmp = tmp_path_factory.mktemp("llmux")
    procs: list = []
    logs: list = []
    files: list = []

    env = dict(os.environ)
    for var in ("CONFIG_FILE_PATH", "PORT"):  # llmux reads these; the CLI flags must win
        env.pop(var, None)

    def spawn(name, args):
        log_path = tmp / f"{name}.stderr.log"
        f = open(log_path, "wb")
        files.append(f)
        logs.append((name, log_path))
        p = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, env=env
        )
        procs.append(p)
        return p

    try:
        try:
            mock_port = _free_port()
            mp = spawn("llmux-mock", [mock, "--port", str(mock_port), "--host", HOST])
            _wait_http(f"http://{HOST}:{mock_port}/health", mp)

            cfg = tmp / "config.yaml"
            cfg.write_text(_config(mock_port))
            port = _free_port()
            lp = spawn("llmux", [llmux, "--config", str(cfg), "--port", str(port), "--host", HOST])
            _wait_http(f"http://{HOST}:{port}/health/liveliness", lp)
        except Exception as e:
            for p in procs:
                _stop(p)
            for f in files:
                f.flush()
            # Abort the whole session once (a failed session fixture would repeat per test).
            pytest.exit(f"gateway startup failed: {e}\n{_dump(logs)}", returncode=1)
        yield f"http://{HOST}:{port}"
    finally:
        for p in procs:
            _stop(p)
        for f in files:
            f.close()


@pytest.fixture(scope="session")
def base_url(gateway):
    """The OpenAI-SDK base_url for the gateway."""
    return gateway + "/v1"


@pytest.fixture(scope="session")
def client(base_url):
    import openai

    return openai.OpenAI(base_url=base_url, api_key=MASTER_KEY, max_retries=0, timeout=30)


@pytest.fixture(scope="session")
def anthropic_client(gateway):
    """The official Anthropic SDK pointed at the gateway (it calls `{gateway}/v1/messages`)."""
    import anthropic

    return anthropic.Anthropic(base_url=gateway, api_key=MASTER_KEY, max_retries=0, timeout=30)
