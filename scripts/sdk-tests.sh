#!/usr/bin/env bash
# End-to-end tests: the official OpenAI and Anthropic Python SDKs against llmux (with llmux-mock
# upstream).
# Usage: scripts/sdk-tests.sh [extra pytest args]
# Env: LLMUX_BIN, LLMUX_MOCK_BIN (default target/release/{llmux,llmux-mock}; built if missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv-sdk"
REQS=("openai>=1.50,<3" "anthropic>=0.40,<3" "pytest>=8,<10" "openai-agents==0.20.0")
STAMP="$VENV/.sdk-reqs"

if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
# Install only when the pinned requirement set changed (quiet, idempotent re-runs).
if [[ ! -f "$STAMP" ]] || [[ "$(cat "$STAMP")" != "${REQS[*]}" ]]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${REQS[@]}"
    printf '%s' "${REQS[*]}" > "$STAMP"
fi

export LLMUX_BIN="${LLMUX_BIN:-$ROOT/target/release/llmux}"
export LLMUX_MOCK_BIN="${LLMUX_MOCK_BIN:-$ROOT/target/release/llmux-mock}"

if [[ ! -x "$LLMUX_BIN" || ! -x "$LLMUX_MOCK_BIN" ]]; then
    echo "sdk-tests: building release binaries (llmux, llmux-mock)..." >&2
    cargo build --release --quiet -p llmux-server -p llmux-mock
fi
for bin in "$LLMUX_BIN" "$LLMUX_MOCK_BIN"; do
    if [[ ! -x "$bin" ]]; then
        echo "sdk-tests: $bin is missing or not executable" >&2
        exit 2
    fi
done

exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" tests/sdk
