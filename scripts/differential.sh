#!/usr/bin/env bash
# The differential harness: a generated matrix of request variants through LiteLLM 1.108.7's
# proxy and through llmux, against the same capture upstream; every divergence in the upstream
# request or the client response is reported. Not part of CI (it needs LiteLLM from PyPI).
#
#   bash scripts/differential.sh [--only REGEX]... [--reuse-litellm]
#
# Needs Python 3 with venv, Rust (stable) and PyPI. Writes the summary to
# scripts/differential/last-run/ (committed); logs and raw results go to $WORK
# (default .differential/work). Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-$ROOT/.differential/venv}
WORK=${WORK:-$ROOT/.differential/work}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

if [ ! -x "$VENV/bin/litellm" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'litellm[proxy]==1.108.7'
fi
cargo build --release -p llmux-server
python3 scripts/differential/run.py \
  --litellm-cmd "$VENV/bin/litellm --config {config} --port {port} --host 127.0.0.1" \
  --llmux-cmd "$TARGET/release/llmux --config {config} --port {port}" \
  --work "$WORK" --out "$ROOT/scripts/differential/last-run" "$@"
