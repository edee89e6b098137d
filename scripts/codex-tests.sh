#!/usr/bin/env bash
# End-to-end: the real Codex CLI (npm @openai/codex, pinned) against llmux, backed by
# llmux-mock. `codex exec` one-shot tasks on a bridged Anthropic model and on an
# OpenAI-native one; in each, the mock has Codex run its shell tool (`exec_command`,
# `cmd` = "echo llmux-mock-tool-ran") and answers once the tool's output comes back.
# One task turns on Codex's Responses WebSocket, which llmux answers 426: Codex must
# fall back to HTTP. Nothing is skipped: a missing tool is a failure.
# Usage: scripts/codex-tests.sh
# Env: LLMUX_BIN, LLMUX_MOCK_BIN (default target/release/{llmux,llmux-mock}; built if missing).
set -euo pipefail

CODEX_VERSION="0.171.0"
HELLO="Hello! How can I help you today?"
TOOL_OUTPUT="llmux-mock-tool-ran"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

fail() {
    echo "codex-tests: $*" >&2
    exit 1
}

for tool in node npm python3 curl; do
    command -v "$tool" >/dev/null || fail "$tool is required (apt-get install nodejs npm python3 curl)"
done

# The CLI lives in .venv-codex/ (ignored like the SDK venv); reinstalled when the pin changes.
CODEX_DIR="$ROOT/.venv-codex"
CODEX="$CODEX_DIR/node_modules/.bin/codex"
if [[ ! -x "$CODEX" ]] || [[ "$(cat "$CODEX_DIR/.version" 2>/dev/null)" != "$CODEX_VERSION" ]]; then
    mkdir -p "$CODEX_DIR"
    npm install --prefix "$CODEX_DIR" --no-audit --no-fund --loglevel=error \
        "@openai/codex@$CODEX_VERSION" >&2
    printf '%s' "$CODEX_VERSION" > "$CODEX_DIR/.version"
fi
[[ -x "$CODEX" ]] || fail "codex not installed at $CODEX"
got="$("$CODEX" --version)" || fail "codex --version failed"
[[ "$got" == *"$CODEX_VERSION"* ]] || fail "codex is '$got', want $CODEX_VERSION"

LLMUX_BIN="${LLMUX_BIN:-$ROOT/target/release/llmux}"
LLMUX_MOCK_BIN="${LLMUX_MOCK_BIN:-$ROOT/target/release/llmux-mock}"
if [[ ! -x "$LLMUX_BIN" || ! -x "$LLMUX_MOCK_BIN" ]]; then
    echo "codex-tests: building release binaries (llmux, llmux-mock)..." >&2
    cargo build --release --quiet -p llmux-server -p llmux-mock
fi
for bin in "$LLMUX_BIN" "$LLMUX_MOCK_BIN"; do
    [[ -x "$bin" ]] || fail "$bin is missing or not executable"
done

# Everything Codex writes (config, sessions, logs) stays in here.
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {
    for _ in $(seq 1 200); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "$1 did not answer"
}

MOCK_PORT="$(free_port)"
"$LLMUX_MOCK_BIN" --host 127.0.0.1 --port "$MOCK_PORT" >"$WORK/mock.log" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$MOCK_PORT/health"

MASTER_KEY="sk-codex-master"
cat >"$WORK/config.yaml" <<YAML
general_settings:
  master_key: $MASTER_KEY
model_list:
  - model_name: claude-test
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_base: http://127.0.0.1:$MOCK_PORT
      api_key: sk-upstream
  - model_name: gpt-test
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:$MOCK_PORT/v1
      api_key: sk-upstream
YAML
PORT="$(free_port)"
env -u CONFIG_FILE_PATH -u PORT "$LLMUX_BIN" --config "$WORK/config.yaml" --port "$PORT" \
    >"$WORK/llmux.log" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$PORT/health/liveliness"

# One codex exec task: model, whether the WebSocket is tried first, the prompt.
run_task() {
    local model="$1" websockets="$2" prompt="$3"
    local name="$model-ws-$websockets"
    local home="$WORK/$name/home" codex_home="$WORK/$name/codex" dir="$WORK/$name/project"
    mkdir -p "$home" "$codex_home" "$dir"
    cat >"$codex_home/config.toml" <<TOML
model = "$model"
model_provider = "llmux"

[model_providers.llmux]
name = "llmux"
base_url = "http://127.0.0.1:$PORT/v1"
env_key = "LLMUX_CODEX_KEY"
wire_api = "responses"
supports_websockets = $websockets
TOML
    local out="$WORK/$name/events.jsonl" err="$WORK/$name/stderr.log"
    if ! (cd "$dir" && env -i PATH="$PATH" HOME="$home" CODEX_HOME="$codex_home" \
        LLMUX_CODEX_KEY="$MASTER_KEY" NO_PROXY=127.0.0.1,localhost \
        RUST_LOG="codex_api=info" \
        timeout 120 "$CODEX" exec --json --skip-git-repo-check --sandbox read-only "$prompt" \
        </dev/null >"$out" 2>"$err"); then
        cat "$err" "$out" "$WORK/llmux.log" >&2
        fail "$name: codex exec failed"
    fi
    python3 - "$out" "$HELLO" "$TOOL_OUTPUT" "$name" <<'PY' || { cat "$err" >&2; exit 1; }
import json, sys
path, hello, tool_output, name = sys.argv[1:]
events = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
items = [e["item"] for e in events if e.get("type") == "item.completed"]
commands = [i for i in items if i.get("type") == "command_execution"]
messages = [i["text"] for i in items if i.get("type") == "agent_message"]
assert commands, f"{name}: Codex ran no command: {events}"
assert commands[0]["exit_code"] == 0, f"{name}: {commands[0]}"
assert tool_output in commands[0]["aggregated_output"], f"{name}: {commands[0]}"
assert messages and messages[-1] == hello, f"{name}: final message {messages}"
assert any(e.get("type") == "turn.completed" for e in events), f"{name}: no turn.completed"
print(f"codex-tests: {name}: ran {commands[0]['command']!r}, read its output, answered")
PY
    if [[ "$websockets" == "true" ]]; then
        grep -q "connecting to Responses WebSocket" "$err" \
            || fail "$name: Codex did not try the WebSocket first (so the 426 fallback went untested)"
    fi
}

run_task claude-test false "What does the mock tool print? Run it and tell me."
run_task gpt-test false "What does the mock tool print? Run it and tell me."
run_task gpt-test true "Say hello."
run_task claude-test true "Say hello."
echo "codex-tests: all Codex CLI $CODEX_VERSION tasks passed"
