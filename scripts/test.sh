#!/usr/bin/env bash
# Runs every test llmux has, in the order a failure is cheapest to find:
# format, lints, unit and integration tests, the LiteLLM differential oracle, and the
# official OpenAI SDK against the gateway. One release build serves every stage.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
SHARED="${SHARED:-$(dirname "$REPO")/shared}"

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --release -- -D warnings

step "build (release, shared by every stage below)"
cargo build --release --workspace --bins

step "cargo test"
# The Redis state tests start their own redis-server; in the full run they must not skip.
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq redis-server
  else
    echo "redis-server not found: install it (apt-get install redis-server)" >&2
    exit 1
  fi
fi
# The PostgreSQL key tests initdb their own cluster; in the full run they must not skip.
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq postgresql
  else
    echo "PostgreSQL not found: install it (apt-get install postgresql)" >&2
    exit 1
  fi
fi
export LLMUX_REQUIRE_REDIS=1 LLMUX_REQUIRE_POSTGRES=1
# The proptest fuzz targets (crates/*/tests/fuzz.rs) run a bounded number of cases;
# set PROPTEST_CASES higher for a longer hunt. Findings replay from proptest-regressions/.
export PROPTEST_CASES="${PROPTEST_CASES:-1024}"
cargo test --release --workspace

# Provider families whose oracle cases llmux implements; grows with each family.
ORACLE_FAMILIES='^(openai|azure|mistral|openai_compat|anthropic|gemini|bedrock|cohere|ollama)__'
if [ -f "$SHARED/oracle/check.py" ]; then
  step "differential oracle vs LiteLLM 1.108.7 ($ORACLE_FAMILIES)"
  python3 "$SHARED/oracle/check.py" --only "$ORACLE_FAMILIES" \
    --proxy-cmd "$REPO/target/release/llmux --config {config} --port {port}"
  # The /v1/responses cases compare the folded stream and treat a missing key as the
  # null LiteLLM writes (the oracle's README explains why).
  step "differential oracle vs LiteLLM 1.108.7 (^responses__)"
  python3 "$SHARED/oracle/check.py" --only '^responses__' --stream-mode assembled --lenient \
    --proxy-cmd "$REPO/target/release/llmux --config {config} --port {port}"
else
  echo "oracle not found at $SHARED/oracle (set SHARED=...): skipped" >&2
  exit 1
fi

step "OpenAI Python SDK against the gateway"
LLMUX_BIN="$REPO/target/release/llmux" LLMUX_MOCK_BIN="$REPO/target/release/llmux-mock" bash scripts/sdk-tests.sh

step "Codex CLI against the gateway"
LLMUX_BIN="$REPO/target/release/llmux" LLMUX_MOCK_BIN="$REPO/target/release/llmux-mock" bash scripts/codex-tests.sh

step "soak (2 minutes of mixed traffic and faults, RSS and fd bounds)"
LLMUX_BIN="$REPO/target/release/llmux" LLMUX_MOCK_BIN="$REPO/target/release/llmux-mock" \
  bash scripts/soak.sh --minutes 2 --every 10 --max-rss-mib 200 --max-fd-growth 40

echo
echo "all test stages passed"
